// Digests computed by the host (charged per byte), so chaincode needs no hashing code of its own.
import { hash } from "./env";
import { HashAlgorithm } from "./codes";
import { Result, okResult, errResult } from "./result";
import { takeRegister, hostError } from "./bytes";

/** The digest of `data` with a HashAlgorithm; an error for an algorithm the host does not know. */
export function digest(algorithm: i32, data: Uint8Array): Result<Uint8Array> {
  const rc = hash(algorithm, data.dataStart, data.length);
  if (rc < 0) {
    const error = hostError(rc);
    return errResult<Uint8Array>(error.message, error.code);
  }
  return okResult<Uint8Array>(takeRegister(rc));
}

/** SHA-256 (32 bytes). */
export function sha256(data: Uint8Array): Uint8Array {
  return digest(HashAlgorithm.SHA256, data).unwrap();
}

/** SHA3-256 (32 bytes). */
export function sha3_256(data: Uint8Array): Uint8Array {
  return digest(HashAlgorithm.SHA3_256, data).unwrap();
}

/** Fabric's SHAKE256 with 64 bytes of output (its chaincode names and transaction ids). */
export function shake256_64(data: Uint8Array): Uint8Array {
  return digest(HashAlgorithm.SHAKE256_64, data).unwrap();
}

/** Lower-case hex of bytes. */
export function toHex(data: Uint8Array): string {
  const digits = "0123456789abcdef";
  let out = "";
  for (let i = 0; i < data.length; i++) {
    const b = <i32>unchecked(data[i]);
    out += digits.charAt(b >> 4) + digits.charAt(b & 15);
  }
  return out;
}
