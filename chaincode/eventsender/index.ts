// eventsender, ported from Fabric v0.6: every invoke counts itself in "noevents" and sets the
// chaincode event "evtsender" with payload "Event <count>,<arg>,<arg>...". Query answers
// {"NoEvents":"<count>"}.
import { Chaincode, ChaincodeStub, Response, register, atoi, itoa, utf8 } from "sdk-as";

class EventSender extends Chaincode {
  init(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    const err = stub.putStateString("noevents", "0");
    if (err != null) return Response.fromError(err);
    return Response.success();
  }

  invoke(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    const b = stub.getStateString("noevents");
    const count = b == null ? "" : b; // Go's string(nil) is ""
    const noevts = atoi(count).value;
    let tosend = "Event " + count;
    for (let i = 0; i < args.length; i++) tosend += "," + args[i];

    let err = stub.putStateString("noevents", itoa(noevts + 1));
    if (err != null) return Response.fromError(err);
    err = stub.setEvent("evtsender", utf8(tosend));
    if (err != null) return Response.fromError(err);
    return Response.success();
  }

  query(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    const b = stub.getStateString("noevents");
    return Response.successString("{\"NoEvents\":\"" + (b == null ? "" : b) + "\"}");
  }
}

register(new EventSender());
export * from "sdk-as/exports";
