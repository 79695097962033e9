// smallbank, BLOCKBENCH's Smallbank chaincode for Fabric v0.6 (benchmark/contracts/hyperledger/
// go/smallbank) ported to AssemblyScript: checking and savings accounts under the keys
// "checking_<acc>" and "saving_<acc>"; an account never written holds BALANCE (100000) in both.
//
// Invoke, with BLOCKBENCH's names and arguments (its driver sends exactly these):
//   amalgate <acc1> <acc2>          saving_acc2 = saving_acc1 + checking_acc2; checking_acc1 = 0
//   getBalance <acc>                reads both balances; answers their sum (Go answered nothing)
//   updateBalance <acc> <amount>    checking_acc += amount
//   updateSaving <acc> <amount>     saving_acc += amount
//   sendPayment <acc1> <acc2> <amt> checking_acc1 -= amt; checking_acc2 += amt
//   writeCheck <acc> <amount>       checking_acc -= amount, and 1 more if amount < checking + saving
// Query: <key> answers the raw value of any key (as the Go Query did, whatever the function).
//
// The arithmetic is the Go code's, quirks included (amalgate's crossed accounts, writeCheck's
// inverted penalty, unparsable balances read as BALANCE, sendPayment/writeCheck's amounts read
// as 0 when unparsable): the workload must do the same state work as on Fabric. Weft's
// differences, for hostile input: a missing argument is an error rather than a Go panic, an
// unknown function is an error rather than a silent success, `amalgamate` is accepted as an
// alias of the misspelt `amalgate`, and `preload <first> <count>` (weft addition) writes BALANCE
// into both accounts of a range so a benchmark can start from existing accounts.
import { Chaincode, ChaincodeStub, Response, register, atoi, itoa } from "sdk-as";

/** What an account holds before anything is written to it (Go's BALANCE). */
const BALANCE: i64 = 100000;
/** Accounts one preload transaction may create (two writes each; far below the fuel limit). */
const PRELOAD_ACCOUNTS_MAX: i64 = 1000;
const CHECKING = "checking_";
const SAVING = "saving_";

/** A balance as the Go code reads it: BALANCE when the key is unset or not an integer. */
function balance(stub: ChaincodeStub, key: string): i64 {
  const text = stub.getStateString(key);
  if (text == null) return BALANCE;
  const parsed = atoi(text);
  return parsed.ok ? parsed.value : BALANCE;
}

function put(stub: ChaincodeStub, key: string, value: i64): Response {
  const err = stub.putStateString(key, itoa(value));
  return err != null ? Response.fromError(err) : Response.success();
}

function expect(args: Array<string>, count: i32, usage: string): Response | null {
  if (args.length != count) return Response.error("Incorrect number of arguments. Expecting " + count.toString() + ": " + usage);
  return null;
}

class SmallBank extends Chaincode {
  init(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    return Response.success();
  }

  invoke(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    if (fn == "amalgate" || fn == "amalgamate") return this.amalgate(stub, args);
    if (fn == "getBalance") return this.getBalance(stub, args);
    if (fn == "updateBalance") return this.update(stub, args, CHECKING, "updateBalance");
    if (fn == "updateSaving") return this.update(stub, args, SAVING, "updateSaving");
    if (fn == "sendPayment") return this.sendPayment(stub, args);
    if (fn == "writeCheck") return this.writeCheck(stub, args);
    if (fn == "preload") return this.preload(stub, args);
    return Response.error("Received unknown function invocation: " + fn);
  }

  query(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    // Go's Query read args[0] (the first argument after the function) whatever the function.
    if (args.length < 1) return Response.error("Incorrect number of arguments. Expecting the key to query");
    return Response.success(stub.getState(args[0]));
  }

  private amalgate(stub: ChaincodeStub, args: Array<string>): Response {
    const bad = expect(args, 2, "amalgate <acc1> <acc2>");
    if (bad != null) return bad;
    const sum = balance(stub, SAVING + args[0]) + balance(stub, CHECKING + args[1]);
    const cleared = put(stub, CHECKING + args[0], 0);
    if (cleared.isError) return cleared;
    return put(stub, SAVING + args[1], sum);
  }

  private getBalance(stub: ChaincodeStub, args: Array<string>): Response {
    const bad = expect(args, 1, "getBalance <acc>");
    if (bad != null) return bad;
    return Response.successString(itoa(balance(stub, SAVING + args[0]) + balance(stub, CHECKING + args[0])));
  }

  private update(stub: ChaincodeStub, args: Array<string>, table: string, name: string): Response {
    const bad = expect(args, 2, name + " <acc> <amount>");
    if (bad != null) return bad;
    const current = balance(stub, table + args[0]);
    const amount = atoi(args[1]);
    if (!amount.ok) return Response.error(amount.message);
    return put(stub, table + args[0], current + amount.value);
  }

  private sendPayment(stub: ChaincodeStub, args: Array<string>): Response {
    const bad = expect(args, 3, "sendPayment <acc1> <acc2> <amount>");
    if (bad != null) return bad;
    const from = balance(stub, CHECKING + args[0]);
    const to = balance(stub, CHECKING + args[1]);
    const amount = atoi(args[2]).value; // Go ignores this error
    const debited = put(stub, CHECKING + args[0], from - amount);
    if (debited.isError) return debited;
    return put(stub, CHECKING + args[1], to + amount);
  }

  private writeCheck(stub: ChaincodeStub, args: Array<string>): Response {
    const bad = expect(args, 2, "writeCheck <acc> <amount>");
    if (bad != null) return bad;
    const checking = balance(stub, CHECKING + args[0]);
    const saving = balance(stub, SAVING + args[0]);
    const amount = atoi(args[1]).value; // Go ignores this error
    return put(stub, CHECKING + args[0], amount < checking + saving ? checking - amount - 1 : checking - amount);
  }

  private preload(stub: ChaincodeStub, args: Array<string>): Response {
    const bad = expect(args, 2, "preload <first account> <count>");
    if (bad != null) return bad;
    const first = atoi(args[0]);
    if (!first.ok) return Response.error(first.message);
    const count = atoi(args[1]);
    if (!count.ok) return Response.error(count.message);
    if (first.value < 0 || count.value < 0 || count.value > PRELOAD_ACCOUNTS_MAX) {
      return Response.error("preload: first must be >= 0 and count from 0 to " + itoa(PRELOAD_ACCOUNTS_MAX));
    }
    const initial = itoa(BALANCE);
    for (let i: i64 = 0; i < count.value; i++) {
      const account = itoa(first.value + i);
      let err = stub.putStateString(CHECKING + account, initial);
      if (err == null) err = stub.putStateString(SAVING + account, initial);
      if (err != null) return Response.fromError(err);
    }
    return Response.success();
  }
}

register(new SmallBank());
export * from "sdk-as/exports";
