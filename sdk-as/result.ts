// How handleable errors come back to a chaincode author. AssemblyScript has no exceptions, so a
// call that Fabric declares as `(T, error)` returns a Result<T>, and one declared as `error`
// returns `StubError | null` (null = success), mirroring Go's `if err != nil`. Conditions an
// author cannot handle (a broken host contract, misuse such as next() past the end) abort.
import { SdkError } from "./codes";

/** An error a chaincode can handle: Fabric's message, plus the host ABI code it came from. */
export class StubError extends Error {
  /** An AbiError code (<= -2) or an SdkError code for errors raised by the SDK itself. */
  readonly code: i32;

  constructor(message: string, code: i32) {
    super(message);
    this.name = "StubError";
    this.code = code;
  }
}

/** The zero value of T: null for references, 0 / false for numbers and bools. */
// @ts-ignore: decorator
@inline
export function zeroOf<T>(): T {
  if (isReference<T>()) return changetype<T>(0);
  // @ts-ignore: numeric cast of a generic value type
  return <T>0;
}

/** A value or an error, like Go's `(value, err)`. */
export class Result<T> {
  /** The value; T's zero value (or Go's value for that error, see parseI64) when `error` is set. */
  readonly value: T;
  /** null on success. */
  readonly error: StubError | null;

  constructor(value: T, error: StubError | null = null) {
    this.value = value;
    this.error = error;
  }

  /** True when there is no error. */
  get ok(): bool {
    return this.error == null;
  }

  /** The error's message, or "" on success. */
  get message(): string {
    const error = this.error;
    return error == null ? "" : error.message;
  }

  /** The value, or abort the transaction with the error's message (for errors you cannot handle). */
  unwrap(): T {
    const error = this.error;
    if (error != null) abort(error.message);
    return this.value;
  }
}

/** A successful Result. */
export function okResult<T>(value: T): Result<T> {
  return new Result<T>(value, null);
}

/** A failed Result carrying T's zero value; `code` defaults to SdkError.CHAINCODE. */
export function errResult<T>(message: string, code: i32 = SdkError.CHAINCODE): Result<T> {
  return new Result<T>(zeroOf<T>(), new StubError(message, code));
}
