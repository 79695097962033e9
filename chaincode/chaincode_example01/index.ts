// chaincode_example01, ported from Fabric v0.6: keeps A and B in module variables, not in state,
// and Invoke(X) moves X from A to B in memory. Fabric's tests use it for the erroneous
// transaction: Invoke with a non-integer X fails (and is left out of the block).
// In weft every transaction starts from the module's initial memory, so these variables never
// carry over between transactions (in Fabric they lived as long as the container did).
import { Chaincode, ChaincodeStub, Response, register, atoi, itoa, newLogger } from "sdk-as";

const logger = newLogger("chaincode_example01");

let A: string = "";
let B: string = "";
let Aval: i64 = 0;
let Bval: i64 = 0;

class SimpleChaincode extends Chaincode {
  init(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    if (args.length != 4) return Response.error("Incorrect number of arguments. Expecting 4");
    A = args[0];
    const a = atoi(args[1]);
    if (!a.ok) return Response.error("Expecting integer value for asset holding");
    Aval = a.value;
    B = args[2];
    const b = atoi(args[3]);
    if (!b.ok) return Response.error("Expecting integer value for asset holding");
    Bval = b.value;
    logger.info("Aval = " + itoa(Aval) + ", Bval = " + itoa(Bval));
    return Response.success();
  }

  invoke(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    // Go indexes args[0] unchecked (a panic with no args); here that is an abort, also a failed transaction.
    const X = atoi(args[0]);
    Aval = Aval - X.value;
    Bval = Bval + X.value;
    const ts = stub.getTxTimestamp();
    logger.info("Transaction Time: " + ts.seconds.toString() + "s " + ts.nanos.toString() + "ns, Aval = " + itoa(Aval) + ", Bval = " + itoa(Bval));
    if (!X.ok) return Response.fromError(X.error!);
    return Response.success();
  }

  query(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    return Response.success();
  }
}

register(new SimpleChaincode());
export * from "sdk-as/exports";
