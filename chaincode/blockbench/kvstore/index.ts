// kvstore, BLOCKBENCH's YCSB chaincode for Fabric v0.6 (benchmark/contracts/hyperledger/go/
// kvstore-v0.6) ported to AssemblyScript: the key/value store the YCSB driver writes and reads.
// Invoke: write <key> <value>, delete <key>. Query: read <key> (the raw value, empty if unset).
// Same functions, arguments and error strings as the Go chaincode.
import { Chaincode, ChaincodeStub, Response, register } from "sdk-as";

class KVStore extends Chaincode {
  init(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    return Response.success();
  }

  invoke(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    if (fn == "write") {
      if (args.length != 2) return Response.error("Incorrect number of arguments. Expecting 2. name of the key and value to set");
      // the value's raw bytes, as Go's []byte(value) keeps them
      const err = stub.putState(args[0], stub.getArgs()[2]);
      return err != null ? Response.fromError(err) : Response.success();
    }
    if (fn == "delete") {
      if (args.length != 1) return Response.error("Incorrect number of arguments. Expecting name of the key to delete");
      const err = stub.delState(args[0]);
      return err != null ? Response.fromError(err) : Response.success();
    }
    return Response.error("Received unknown function invocation");
  }

  query(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    if (fn != "read") return Response.error("Received unknown function query");
    if (args.length != 1) return Response.error("Incorrect number of arguments. Expecting name of the key to query");
    return Response.success(stub.getState(args[0]));
  }
}

register(new KVStore());
export * from "sdk-as/exports";
