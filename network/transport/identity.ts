// A peer's identity: one Ed25519 key, kept in its data directory (<fileSystemPath>/crypto/peer.key,
// mode 0600, created on first start). Its libp2p PeerId ("12D3KooW…") derives from the public
// key and is what other members list for this peer. The file holds libp2p's protobuf encoding of
// the private key, so libp2p tools can read it too.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import type { Ed25519PrivateKey } from '@libp2p/interface';

/** Where the key lives inside the data directory (Fabric keeps crypto material in <path>/crypto). */
export const PEER_KEY_DIR = 'crypto';
export const PEER_KEY_FILE = 'peer.key';
/** A protobuf Ed25519 private key is 68 bytes; anything much bigger is not a key file. */
const KEY_FILE_BYTES_MAX = 4_096;

export class IdentityError extends Error {
  override name = 'IdentityError';
}

export interface PeerIdentity {
  privateKey: Ed25519PrivateKey;
  /** The libp2p peer id, base58 ("12D3KooW…"). */
  peerId: string;
  /** The file the key was read from or written to. */
  keyFile: string;
  /** True when this call created the key. */
  created: boolean;
}

export function peerKeyPath(fileSystemPath: string): string {
  return join(fileSystemPath, PEER_KEY_DIR, PEER_KEY_FILE);
}

export function peerIdOf(privateKey: Ed25519PrivateKey): string {
  return peerIdFromPrivateKey(privateKey).toString();
}

function decodeKey(bytes: Uint8Array, keyFile: string): Ed25519PrivateKey {
  let key;
  try {
    key = privateKeyFromProtobuf(bytes);
  } catch (error) {
    throw new IdentityError(`${keyFile} is not a libp2p private key (${(error as Error).message}); move it away to create a new identity`);
  }
  if (key.type !== 'Ed25519') throw new IdentityError(`${keyFile} holds a ${key.type} key; weft peers use Ed25519`);
  return key;
}

/** Reads an existing key file; refuses one that others may read. */
export async function loadPeerIdentity(keyFile: string): Promise<PeerIdentity> {
  let info;
  try {
    info = await stat(keyFile);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new IdentityError(`No peer key at ${keyFile}; start the peer once (or run "weft node id") to create it`);
    throw error;
  }
  if (!info.isFile()) throw new IdentityError(`${keyFile} is not a file`);
  if (info.size > KEY_FILE_BYTES_MAX) throw new IdentityError(`${keyFile} is ${info.size} bytes, too big for a peer key`);
  if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
    throw new IdentityError(`${keyFile} is readable by others (mode ${(info.mode & 0o777).toString(8)}); run: chmod 600 ${keyFile}`);
  }
  const privateKey = decodeKey(await readFile(keyFile), keyFile);
  return { privateKey, peerId: peerIdOf(privateKey), keyFile, created: false };
}

/**
 * Loads the peer's key from its data directory, creating it (and the directory) on first use.
 * Creation is atomic and never overwrites: the key is written to a private temporary file and
 * hard-linked into place, so two processes starting at once end up with the same key.
 */
export async function loadOrCreatePeerIdentity(fileSystemPath: string): Promise<PeerIdentity> {
  const keyFile = peerKeyPath(fileSystemPath);
  try {
    return await loadPeerIdentity(keyFile);
  } catch (error) {
    if (!(error instanceof IdentityError) || !error.message.startsWith('No peer key')) throw error;
  }
  await mkdir(join(fileSystemPath, PEER_KEY_DIR), { recursive: true, mode: 0o700 });
  const privateKey = await generateKeyPair('Ed25519');
  const temporary = `${keyFile}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    await handle.writeFile(privateKeyToProtobuf(privateKey));
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temporary, keyFile);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // Another process created it first: use theirs.
    await unlink(temporary);
    return loadPeerIdentity(keyFile);
  }
  await unlink(temporary);
  return { privateKey, peerId: peerIdOf(privateKey), keyFile, created: true };
}
