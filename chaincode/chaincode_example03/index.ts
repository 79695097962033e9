// chaincode_example03, ported from Fabric v0.6: Init stores one integer; Query tries to write
// state, which a query may not do, and answers Fabric's error JSON. It checks that queries are
// read-only. Invoke is a no-op.
import { Chaincode, ChaincodeStub, Response, register, atoi, itoa } from "sdk-as";

class SimpleChaincode extends Chaincode {
  init(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    if (args.length != 2) return Response.error("Incorrect number of arguments. Expecting 2");
    const Aval = atoi(args[1]);
    if (!Aval.ok) return Response.error("Expecting integer value for asset holding");
    const err = stub.putStateString(args[0], itoa(Aval.value));
    if (err != null) return Response.fromError(err);
    return Response.success();
  }

  invoke(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    return Response.success();
  }

  query(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    if (fn != "query") return Response.error("Invalid query function name. Expecting \"query\"");
    if (args.length != 2) return Response.error("Incorrect number of arguments. Expecting 2");
    const Aval = atoi(args[1]);
    if (!Aval.ok) return Response.error("Expecting integer value for asset holding");
    // this put is illegal within a query
    const err = stub.putStateString(args[0], itoa(Aval.value));
    if (err != null) return Response.error("{\"Error\":\"Cannot put state within chaincode query\"}");
    return Response.success();
  }
}

register(new SimpleChaincode());
export * from "sdk-as/exports";
