// The chaincode contract (Fabric's shim.Chaincode) and the glue that runs it: an author extends
// Chaincode, registers one instance, and re-exports the entry points of "sdk-as/exports".
// The glue builds the stub, splits args into function and parameters, calls the method and
// hands its Response to the host (payload on success, message on error).
import { set_result } from "./env";
import { utf8, utf8Buffer } from "./bytes";
import { StubError } from "./result";
import { ChaincodeStub } from "./stub";

/** What init/invoke/query return: success bytes (possibly none) or an error message, like Go's `([]byte, error)`. */
export class Response {
  /** Prefer the static factories below. */
  constructor(
    public readonly isError: bool,
    public readonly payload: Uint8Array | null,
    public readonly message: string,
  ) {}

  /** Success, with these bytes as the transaction's result (null: no payload, Go's `nil`). */
  static success(payload: Uint8Array | null = null): Response {
    return payload == null ? SUCCESS_WITHOUT_PAYLOAD : new Response(false, payload, "");
  }

  /** Success with a UTF-8 payload. */
  static successString(payload: string): Response {
    return new Response(false, utf8(payload), "");
  }

  /** Failure: the transaction's writes and event are discarded and `message` is its error. */
  static error(message: string): Response {
    return new Response(true, null, message);
  }

  /** Failure carrying an error's message unchanged (Go's `return nil, err`). */
  static fromError(error: StubError): Response {
    return new Response(true, null, error.message);
  }
}

/** Shared (a Response is immutable) and built at start, so `Response.success()` allocates nothing. */
const SUCCESS_WITHOUT_PAYLOAD = new Response(false, null, "");

/** Fabric's shim.Chaincode. `fn` is args[0], `args` the rest, as the v0.6 shim passes them. */
export abstract class Chaincode {
  /** Runs once, in the deploy transaction. */
  abstract init(stub: ChaincodeStub, fn: string, args: Array<string>): Response;
  /** Runs for every invoke transaction; may write state. */
  abstract invoke(stub: ChaincodeStub, fn: string, args: Array<string>): Response;
  /** Runs for queries: read-only, on committed state. */
  abstract query(stub: ChaincodeStub, fn: string, args: Array<string>): Response;
}

let registered: Chaincode | null = null;

/** Makes `chaincode` the one this module runs. Call it once, at the top level of your index.ts. */
export function register(chaincode: Chaincode): void {
  registered = chaincode;
}

/** Which entry point the host called. */
export namespace Entry {
  export const INIT: i32 = 0;
  export const INVOKE: i32 = 1;
  export const QUERY: i32 = 2;
}

/** Runs the registered chaincode's method for `entry`; returns the export's result (0 = success). */
export function dispatch(entry: i32): i32 {
  const chaincode = registered;
  if (chaincode == null) abort("no chaincode registered: call register(new YourChaincode()) in your index.ts");
  const stub = new ChaincodeStub();
  const fn = stub.functionName();
  const params = stub.parameters();
  let response: Response;
  if (entry == Entry.INIT) response = chaincode!.init(stub, fn, params);
  else if (entry == Entry.INVOKE) response = chaincode!.invoke(stub, fn, params);
  else response = chaincode!.query(stub, fn, params);

  if (response.isError) {
    const message = utf8Buffer(response.message);
    set_result(changetype<usize>(message), message.byteLength);
    return 1;
  }
  const payload = response.payload;
  if (payload != null && payload.length > 0) set_result(payload.dataStart, payload.length);
  return 0;
}
