// authorizable_counter, ported from Fabric v0.6: attribute-based access control. Invoke
// "increment" adds one to "counter" only if the caller's certificate carries the attribute
// position = "Software Engineer" (verifyAttribute); otherwise, or with security off, it changes
// nothing and still succeeds, as in Fabric. Query "read" returns the counter.
import { Chaincode, ChaincodeStub, Response, register, atoi, itoa, utf8, str, newLogger } from "sdk-as";

const logger = newLogger("authorizable_counter");

class AuthorizableCounterChaincode extends Chaincode {
  init(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    const err = stub.putStateString("counter", "0");
    if (err != null) return Response.fromError(err);
    return Response.success();
  }

  invoke(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    if (fn != "increment") return Response.error("Invalid invoke function name. Expecting \"increment\"");
    const position = stub.readCertAttribute("position");
    logger.info("Position => " + (position.ok ? str(position.value) : "") + " error " + (position.ok ? "<nil>" : position.message));
    const isOk = stub.verifyAttribute("position", utf8("Software Engineer")).value; // errors count as "not verified"
    if (isOk) {
      const counter = stub.getStateString("counter");
      const cInt = atoi(counter == null ? "" : counter);
      if (!cInt.ok) return Response.fromError(cInt.error!);
      stub.putStateString("counter", itoa(cInt.value + 1));
    }
    return Response.success();
  }

  query(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    if (fn != "read") return Response.error("Invalid query function name. Expecting \"read\"");
    const value = stub.getState("counter");
    if (value == null) return Response.error("{\"Error\":\"Nil amount for counter\"}");
    return Response.success(value);
  }
}

register(new AuthorizableCounterChaincode());
export * from "sdk-as/exports";
