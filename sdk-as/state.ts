// World-state access of the running chaincode over the host ABI: get/put/del and range
// iterators. Keys cross the ABI as UTF-8 bytes; ChaincodeStub (stub.ts) and the table API
// (table.ts) both build on these functions.
import { get_state, put_state, del_state, range_open, range_next, range_close } from "./env";
import { AbiError, RangeFlags } from "./codes";
import { StubError, Result, okResult, errResult } from "./result";
import { takeRegister, hostError, str, ByteReader } from "./bytes";

// Keys are passed as (pointer, length) so callers can hand over a bare ArrayBuffer or a
// Uint8Array's data without allocating a view; the caller keeps the key alive across the call.

/** The value stored under a key, or null if there is none (an empty value is an empty array, not null). */
export function stateGet(keyPtr: usize, keyLen: i32): Uint8Array | null {
  const rc = stateGetRaw(keyPtr, keyLen);
  return rc < 0 ? null : takeRegister(rc);
}

/** get_state: the value's length (it is in the register), or -1 if absent; aborts on a host error. */
export function stateGetRaw(keyPtr: usize, keyLen: i32): i32 {
  const rc = get_state(keyPtr, keyLen);
  if (rc < AbiError.ABSENT) abort("get_state failed: " + hostError(rc).message);
  return rc;
}

/** Writes `value` under a key; an error in a query (Fabric's "Cannot handle PUT_STATE in query context"). */
export function statePut(keyPtr: usize, keyLen: i32, valuePtr: usize, valueLen: i32): StubError | null {
  const rc = put_state(keyPtr, keyLen, valuePtr, valueLen);
  return rc < 0 ? hostError(rc) : null;
}

/** Deletes a key (whether or not it exists); an error in a query. */
export function stateDel(keyPtr: usize, keyLen: i32): StubError | null {
  const rc = del_state(keyPtr, keyLen);
  return rc < 0 ? hostError(rc) : null;
}

/** One record of a range query. */
export class KeyValue {
  constructor(public readonly key: string, public readonly value: Uint8Array) {}
}

/**
 * Fabric's StateRangeQueryIteratorInterface: hasNext / next / close over keys in UTF-8 byte
 * order. It prefetches one record so hasNext() can answer, and releases its host handle as soon
 * as the range is exhausted, so close() is only needed when you stop early (it is always safe).
 */
export class StateRangeQueryIterator {
  private handle: i32;
  private pending: KeyValue | null = null;
  private closed: bool = false;

  constructor(handle: i32) {
    this.handle = handle;
  }

  /** True if next() has a record to return. */
  hasNext(): bool {
    if (this.pending != null) return true;
    if (this.closed) return false;
    const rc = range_next(this.handle);
    if (rc == AbiError.ABSENT) {
      this.close();
      return false;
    }
    if (rc < AbiError.ABSENT) abort("range_next failed: " + hostError(rc).message);
    // record: u32 keyLen | key | value
    const reader = new ByteReader(takeRegister(rc));
    const keyLen = reader.u32le();
    const key = reader.take(<i32>keyLen);
    if (reader.failed) abort("range_next returned a malformed record");
    const value = reader.take(reader.remaining);
    this.pending = new KeyValue(str(key), value);
    return true;
  }

  /** The next record. Calling it when hasNext() is false aborts (Fabric's "No such key"). */
  next(): KeyValue {
    if (!this.hasNext()) abort("No such key");
    const kv = this.pending!;
    this.pending = null;
    return kv;
  }

  /** Releases the host iterator. Idempotent. */
  close(): StubError | null {
    if (this.closed) return null;
    this.closed = true;
    this.pending = null;
    const rc = range_close(this.handle);
    return rc < 0 ? hostError(rc) : null;
  }
}

/** Opens an iterator over [start, end] (both inclusive, "" = unbounded), or over a key prefix. */
export function openRange(startPtr: usize, startLen: i32, endPtr: usize, endLen: i32, prefix: bool): Result<StateRangeQueryIterator> {
  const rc = range_open(startPtr, startLen, endPtr, endLen, prefix ? RangeFlags.PREFIX : 0);
  if (rc < 0) {
    const error = hostError(rc);
    return errResult<StateRangeQueryIterator>(error.message, error.code);
  }
  return okResult<StateRangeQueryIterator>(new StateRangeQueryIterator(rc));
}
