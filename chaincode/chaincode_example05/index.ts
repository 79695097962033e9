// chaincode_example05, ported from Fabric v0.6: chaincode querying chaincode. Invoke(callee, sum)
// queries chaincode_example02 deployed as `callee` for a and b and stores a+b under `sum`;
// Query(callee, sum) computes the same without writing. The callee's name is an argument, as in
// Fabric's own version.
import { Chaincode, ChaincodeStub, Response, Result, okResult, errResult, register, atoi, itoa, str, toChaincodeArgs } from "sdk-as";

/** a + b as chaincode_example02 (deployed as `callee`) reports them, or Fabric's error message. */
function sumOf(stub: ChaincodeStub, callee: string): Result<i64> {
  let total: i64 = 0;
  const names = ["a", "b"];
  for (let i = 0; i < names.length; i++) {
    const response = stub.queryChaincode(callee, toChaincodeArgs(["query", names[i]]));
    if (!response.ok) return errResult<i64>("Failed to query chaincode. Got error: " + response.message);
    const value = atoi(str(response.value));
    if (!value.ok) return errResult<i64>("Error retrieving state from ledger for queried chaincode: " + value.message);
    total += value.value;
  }
  return okResult<i64>(total);
}

class SimpleChaincode extends Chaincode {
  init(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    if (args.length != 2) return Response.error("Incorrect number of arguments. Expecting 2");
    const sumVal = atoi(args[1]);
    if (!sumVal.ok) return Response.error("Expecting integer value for sum");
    const err = stub.putStateString(args[0], itoa(sumVal.value));
    if (err != null) return Response.fromError(err);
    return Response.success();
  }

  invoke(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    if (args.length != 2) return Response.error("Incorrect number of arguments. Expecting 2");
    const sum = sumOf(stub, args[0]);
    if (!sum.ok) return Response.error(sum.message);
    const err = stub.putStateString(args[1], itoa(sum.value));
    if (err != null) return Response.fromError(err);
    return Response.successString(itoa(sum.value));
  }

  query(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    if (fn != "query") return Response.error("Invalid query function name. Expecting \"query\"");
    if (args.length != 2) return Response.error("Incorrect number of arguments. Expecting 2");
    const sum = sumOf(stub, args[0]);
    if (!sum.ok) return Response.error(sum.message);
    return Response.successString(itoa(sum.value));
  }
}

register(new SimpleChaincode());
export * from "sdk-as/exports";
