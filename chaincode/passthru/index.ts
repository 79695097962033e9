// passthru, ported from Fabric v0.6: forwards invoke and query to another chaincode. The
// function name is the callee's chaincode name, args[0] the callee's function and the rest its
// args. Init answers the function name, or fails with it if it contains "error".
import { Chaincode, ChaincodeStub, Response, register, toChaincodeArgs } from "sdk-as";

function forward(invoke: bool, stub: ChaincodeStub, fn: string, args: Array<string>): Response {
  if (fn.length == 0) return Response.error("Chaincode ID not provided");
  const callArgs = toChaincodeArgs(args);
  const result = invoke ? stub.invokeChaincode(fn, callArgs) : stub.queryChaincode(fn, callArgs);
  if (!result.ok) return Response.fromError(result.error!);
  return Response.success(result.value);
}

class PassthruChaincode extends Chaincode {
  init(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    if (fn.indexOf("error") >= 0) return Response.error(fn);
    return Response.successString(fn);
  }

  invoke(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    return forward(true, stub, fn, args);
  }

  query(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    return forward(false, stub, fn, args);
  }
}

register(new PassthruChaincode());
export * from "sdk-as/exports";
