// donothing, BLOCKBENCH's consensus micro-benchmark for Fabric v0.6 (benchmark/contracts/
// hyperledger/go/donothing) ported to AssemblyScript: an invoke that returns at once, so a run
// measures ordering, execution overhead and commit alone. Invoke: donothing. Query: none.
import { Chaincode, ChaincodeStub, Response, register } from "sdk-as";

class DoNothing extends Chaincode {
  init(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    return Response.success();
  }

  invoke(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    if (fn == "donothing") return Response.success();
    return Response.error("Received unknown function invocation");
  }

  query(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    return Response.error("Received unknown function query");
  }
}

register(new DoNothing());
export * from "sdk-as/exports";
