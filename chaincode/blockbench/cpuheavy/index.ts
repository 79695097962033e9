// cpuheavy, BLOCKBENCH's execution-layer micro-benchmark chaincode for Fabric v0.6
// (benchmark/contracts/hyperledger/go/sorter) ported to AssemblyScript. Invoke: sort <n> fills
// an array of n+1 integers with n, n-1, …, 0, sorts it with quicksort (Hoare partition, middle
// pivot, as the Go code) and records n under the key "num". Query: none.
// The Go code's second recursion was guarded by `j < right` (the Solidity version's `i < right`
// is the correct guard; the Go one can index past the end): this port uses the correct one, and
// checks the result is sorted, failing the transaction if not. n is bounded by SORT_SIZE_MAX so
// the array fits the sandbox's memory; the fuel limit bounds the work first (docs/limits.md).
import { Chaincode, ChaincodeStub, Response, register, atoi, itoa } from "sdk-as";

/** Largest n accepted: n+1 i32 elements (4 MiB) fit the sandbox's 10 MiB memory. */
const SORT_SIZE_MAX: i64 = 1000000;

function quicksort(data: StaticArray<i32>, left: i32, right: i32): void {
  let i = left;
  let j = right;
  if (i == j) return;
  const pivot = unchecked(data[left + (right - left) / 2]);
  while (i <= j) {
    while (unchecked(data[i]) < pivot) i++;
    while (pivot < unchecked(data[j])) j--;
    if (i <= j) {
      const t = unchecked(data[i]);
      unchecked((data[i] = data[j]));
      unchecked((data[j] = t));
      i++;
      j--;
    }
  }
  if (left < j) quicksort(data, left, j);
  if (i < right) quicksort(data, i, right);
}

class Sorter extends Chaincode {
  init(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    return Response.success();
  }

  invoke(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    if (fn != "sort") return Response.error("Received unknown function invocation: " + fn);
    if (args.length != 1) return Response.error("Incorrect number of arguments. Expecting 1: sort <n>");
    const parsed = atoi(args[0]);
    if (!parsed.ok) return Response.error(parsed.message);
    const n = parsed.value;
    if (n < 0 || n > SORT_SIZE_MAX) return Response.error("sort: n must be from 0 to " + itoa(SORT_SIZE_MAX) + ", got " + args[0]);
    const size = <i32>n + 1;
    const data = new StaticArray<i32>(size);
    for (let i = 0; i < size; i++) unchecked((data[i] = <i32>n - i));
    quicksort(data, 0, size - 1);
    for (let i = 0; i < size; i++) {
      if (unchecked(data[i]) != i) return Response.error("sort: the array is not sorted at index " + i.toString());
    }
    const err = stub.putStateString("num", args[0]);
    return err != null ? Response.fromError(err) : Response.success();
  }

  query(stub: ChaincodeStub, fn: string, args: Array<string>): Response {
    return Response.error("Received unknown function query");
  }
}

register(new Sorter());
export * from "sdk-as/exports";
