// ioheavy, BLOCKBENCH's IO micro-benchmark chaincode for Fabric v0.6 (benchmark/contracts/
// hyperledger/go/io) ported to AssemblyScript: many state writes or reads in one transaction.
// Invoke: write <start> <n> puts keys start…start+n-1, scan <start> <n> reads them (and answers
// how many it found; Go answered nothing). Query: read <key>. A key is the number zero-padded to
// 20 digits; the value of key k is 100 bytes of the Go code's alphabet from offset k % 50
// (20-byte keys, 100-byte values, as in the paper). Same functions, arguments and error strings
// as the Go chaincode; weft refuses a start outside 0…2^63-1-IO_KEYS_MAX (Go panicked on a
// negative one) and more than IO_KEYS_MAX keys per transaction.
//
// Keys and values go to the host as (pointer, length) from two reused buffers, through the SDK's
// state.ts: building a string and encoding it for every key costs ~8× the fuel of the put itself,
// which would cap a transaction at ~4,000 keys instead of BLOCKBENCH's 20,000.
import { Chaincode, ChaincodeStub, Response, register, atoi, itoa } from "sdk-as";
import { statePut, stateGetRaw } from "sdk-as/state";

/** Keys one write or scan may touch: BLOCKBENCH's own driver writes batches of 20,000. */
const IO_KEYS_MAX: i64 = 20000;
const KEY_DIGITS = 20;
const VALUE_BYTES = 100;
const ALPHABET = "abcdefghijklmnopqrstuvwxy#$%^&*()_+[]{}|;:,./<>?`~";

/** The key of k (0 ≤ k), written into `key` as 20 ASCII digits. */
function genKey(key: Uint8Array, k: i64): void {
  let rest = k;
  for (let d = KEY_DIGITS - 1; d >= 0; d--) {
    unchecked((key[d] = <u8>(0x30 + <i32>(rest % 10))));
    rest /= 10;
  }
}

class IO extends Chaincode {
  init(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    return Response.success();
  }

  invoke(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    if (fn != "write" && fn != "scan") return Response.error("Received unknown function invocation");
    if (args.length != 2) return Response.error("Incorrect number of arguments. Expecting 2. name of the key and value to set");
    const start = atoi(args[0]);
    if (!start.ok) return Response.error(start.message);
    const count = atoi(args[1]);
    if (!count.ok) return Response.error(count.message);
    if (start.value < 0 || start.value > i64.MAX_VALUE - IO_KEYS_MAX) return Response.error("start key out of range, got " + args[0]);
    if (count.value > IO_KEYS_MAX) return Response.error("at most " + itoa(IO_KEYS_MAX) + " keys per transaction, got " + args[1]);
    return fn == "write" ? this.write(start.value, count.value) : this.scan(start.value, count.value);
  }

  query(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    if (fn != "read") return Response.error("Received unknown function query");
    if (args.length != 1) return Response.error("Incorrect number of arguments. Expecting name of the key to query");
    return Response.success(stub.getState(args[0]));
  }

  private write(start: i64, count: i64): Response {
    const key = new Uint8Array(KEY_DIGITS);
    // three copies of the alphabet, so the value of any key (offset < 50, 100 bytes) is one slice
    const pool = String.UTF8.encode(ALPHABET + ALPHABET + ALPHABET);
    const poolStart = changetype<usize>(pool);
    for (let i: i64 = 0; i < count; i++) {
      const k = start + i;
      genKey(key, k);
      const err = statePut(key.dataStart, KEY_DIGITS, poolStart + <usize>(k % 50), VALUE_BYTES);
      if (err != null) return Response.fromError(err);
    }
    return Response.success();
  }

  private scan(start: i64, count: i64): Response {
    const key = new Uint8Array(KEY_DIGITS);
    let found: i64 = 0;
    for (let i: i64 = 0; i < count; i++) {
      genKey(key, start + i);
      if (stateGetRaw(key.dataStart, KEY_DIGITS) >= 0) found++;
    }
    return Response.successString(itoa(found));
  }
}

register(new IO());
export * from "sdk-as/exports";
