// chaincode_example04, ported from Fabric v0.6: chaincode calling chaincode. Invoke(callee,
// event, 1) invokes chaincode_example02 deployed as `callee` with ["invoke","a","b","10"] in the
// same transaction, then records the event. Fabric hard-coded the callee's 128-hex name; here it
// is the first argument (as in Fabric 1.0's version of this example).
import { Chaincode, ChaincodeStub, Response, register, atoi, itoa, toChaincodeArgs } from "sdk-as";

class SimpleChaincode extends Chaincode {
  init(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    if (args.length != 2) return Response.error("Incorrect number of arguments. Expecting 2");
    const eventVal = atoi(args[1]);
    if (!eventVal.ok) return Response.error("Expecting integer value for event status");
    const err = stub.putStateString(args[0], itoa(eventVal.value));
    if (err != null) return Response.fromError(err);
    return Response.success();
  }

  invoke(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    if (args.length != 3) return Response.error("Incorrect number of arguments. Expecting 3");
    const chaincodeToCall = args[0];
    const event = args[1];
    const eventVal = atoi(args[2]);
    if (!eventVal.ok) return Response.error("Expected integer value for event state change");
    if (eventVal.value != 1) return Response.success(); // "Unexpected event. Doing nothing"

    const response = stub.invokeChaincode(chaincodeToCall, toChaincodeArgs(["invoke", "a", "b", "10"]));
    if (!response.ok) return Response.error("Failed to invoke chaincode. Got error: " + response.message);

    const err = stub.putStateString(event, itoa(eventVal.value));
    if (err != null) return Response.fromError(err);
    return Response.success();
  }

  query(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    if (fn != "query") return Response.error("Invalid query function name. Expecting \"query\"");
    if (args.length != 1) return Response.error("Incorrect number of arguments. Expecting entity to query");
    const event = args[0];
    const value = stub.getStateString(event);
    if (value == null) return Response.error("{\"Error\":\"Nil value for " + event + "\"}");
    return Response.successString("{\"Name\":\"" + event + "\",\"Amount\":\"" + value + "\"}");
  }
}

register(new SimpleChaincode());
export * from "sdk-as/exports";
