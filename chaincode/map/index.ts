// map, ported from Fabric v0.6 (examples/chaincode/go/map): a key/value map in state.
// Invoke: put <key> <value>, remove <key>. Query: get <key> (the raw value), keys (every key, as
// the JSON array Go's json.Marshal writes; `null` when there are none). Anything else:
// "Unsupported operation".
import { Chaincode, ChaincodeStub, Response, register, jsonStringArray } from "sdk-as";

class MapChaincode extends Chaincode {
  init(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    return Response.success();
  }

  invoke(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    if (fn == "put") {
      if (args.length < 2) return Response.error("put operation must include two arguments, a key and value");
      // the raw bytes of the value argument, as Go's []byte(value) keeps them (even if not UTF-8)
      const err = stub.putState(args[0], stub.getArgs()[2]);
      if (err != null) return Response.error("put operation failed. Error updating state: " + err.message);
      return Response.success();
    }
    if (fn == "remove") {
      if (args.length < 1) return Response.error("remove operation must include one argument, a key");
      const err = stub.delState(args[0]);
      if (err != null) return Response.error("remove operation failed. Error updating state: " + err.message);
      return Response.success();
    }
    return Response.error("Unsupported operation");
  }

  query(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    if (fn == "get") {
      if (args.length < 1) return Response.error("get operation must include one argument, a key");
      return Response.success(stub.getState(args[0]));
    }
    if (fn == "keys") {
      const opened = stub.rangeQueryState("", "");
      if (!opened.ok) return Response.error("keys operation failed. Error accessing state: " + opened.message);
      const iter = opened.value;
      let keys: Array<string> | null = null; // Go's nil slice marshals as null
      while (iter.hasNext()) {
        if (keys == null) keys = new Array<string>();
        keys.push(iter.next().key);
      }
      iter.close();
      return Response.successString(jsonStringArray(keys));
    }
    return Response.error("Unsupported operation");
  }
}

register(new MapChaincode());
export * from "sdk-as/exports";
