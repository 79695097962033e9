// The simulator's MessageSigner: replica i signs with its own secret (a keyed SHA-256), and
// verification recomputes with the claimed signer's secret. Byzantine replicas get only their own
// signer, so they can lie about content but cannot sign as someone else.
import { createHash } from 'node:crypto';
import type { MessageSigner } from '../../network/transport/types.ts';

function mac(secret: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(secret).update(data).digest());
}

export class SimKeys {
  readonly #secrets: Uint8Array[];

  constructor(n: number, seed: number) {
    this.#secrets = [...Array(n).keys()].map((i) => new TextEncoder().encode(`secret-${seed}-${i}`));
  }

  signerFor(replica: number): MessageSigner {
    const secret = this.#secrets[replica];
    if (secret === undefined) throw new RangeError(`no key for replica ${replica}`);
    return {
      sign: (data) => mac(secret, data),
      verify: (peerId, data, signature) => {
        const match = /^vp(\d+)$/.exec(peerId);
        const key = match ? this.#secrets[Number(match[1])] : undefined;
        if (key === undefined || signature.length !== 32) return false;
        const expected = mac(key, data);
        return expected.every((b, i) => b === signature[i]);
      },
    };
  }
}
