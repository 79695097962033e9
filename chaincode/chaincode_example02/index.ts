// chaincode_example02, ported from Fabric v0.6 (examples/chaincode/go/chaincode_example02):
// two accounts initialised by Init, Invoke moves X units from A to B (no negative-balance check)
// or deletes an account, Query returns an account's raw value bytes. Same error strings.
import { Chaincode, ChaincodeStub, Response, register, atoi, itoa } from "sdk-as";

class SimpleChaincode extends Chaincode {
  init(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    if (args.length != 4) return Response.error("Incorrect number of arguments. Expecting 4");
    const A = args[0];
    const Aval = atoi(args[1]);
    if (!Aval.ok) return Response.error("Expecting integer value for asset holding");
    const B = args[2];
    const Bval = atoi(args[3]);
    if (!Bval.ok) return Response.error("Expecting integer value for asset holding");

    let err = stub.putStateString(A, itoa(Aval.value));
    if (err != null) return Response.fromError(err);
    err = stub.putStateString(B, itoa(Bval.value));
    if (err != null) return Response.fromError(err);
    return Response.success();
  }

  invoke(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    if (fn == "delete") return this.delete(stub, args);

    if (args.length != 3) return Response.error("Incorrect number of arguments. Expecting 3");
    const A = args[0];
    const B = args[1];

    const Avalbytes = stub.getStateString(A);
    if (Avalbytes == null) return Response.error("Entity not found");
    let Aval = atoi(Avalbytes).value; // Go ignores this error: Aval, _ = strconv.Atoi(...)

    const Bvalbytes = stub.getStateString(B);
    if (Bvalbytes == null) return Response.error("Entity not found");
    let Bval = atoi(Bvalbytes).value;

    const X = atoi(args[2]);
    if (!X.ok) return Response.error("Invalid transaction amount, expecting a integer value");
    Aval = Aval - X.value;
    Bval = Bval + X.value;

    let err = stub.putStateString(A, itoa(Aval));
    if (err != null) return Response.fromError(err);
    err = stub.putStateString(B, itoa(Bval));
    if (err != null) return Response.fromError(err);
    return Response.success();
  }

  private delete(stub: ChaincodeStub, args: Array<string>): Response {
    if (args.length != 1) return Response.error("Incorrect number of arguments. Expecting 1");
    if (stub.delState(args[0]) != null) return Response.error("Failed to delete state");
    return Response.success();
  }

  query(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    if (fn != "query") return Response.error("Invalid query function name. Expecting \"query\"");
    if (args.length != 1) return Response.error("Incorrect number of arguments. Expecting name of the person to query");
    const A = args[0];
    const Avalbytes = stub.getState(A);
    if (Avalbytes == null) return Response.error("{\"Error\":\"Nil amount for " + A + "\"}");
    return Response.success(Avalbytes);
  }
}

register(new SimpleChaincode());
export * from "sdk-as/exports";
