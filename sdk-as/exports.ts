// The exports every weft chaincode module carries (host/runtime/abi.ts REQUIRED_EXPORTS besides
// `memory`): the three entry points, each `() -> i32` (0 = success), and the ABI marker.
// A chaincode's index.ts re-exports them with one line:  export * from "sdk-as/exports";
import { dispatch, Entry } from "./chaincode";

export function init(): i32 {
  return dispatch(Entry.INIT);
}

export function invoke(): i32 {
  return dispatch(Entry.INVOKE);
}

export function query(): i32 {
  return dispatch(Entry.QUERY);
}

/** Declares the host ABI version this module was built against. Never called. */
export function weft_abi_v1(): void {}
