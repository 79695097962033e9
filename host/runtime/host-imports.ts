// The raw ABI v1 front end: the functions of import module `weft` (and env.abort) for one
// instance. Each one, in this order: refuses to run outside a transaction, refuses writes in a
// query, checks sizes against limits.ts, charges fuel (base + per byte) before copying, copies
// in with pointers read as unsigned and bounds-checked, decodes UTF-8 strictly, then hands plain
// values to the frame (invocation.ts). Violations trap the guest through HostTrap.
import { ABI_FUNCTIONS, ABI_MODULE, AbiError, RangeFlags, type AbiFunctionName } from './abi.ts';
import { HostTrap, TrapMessage } from './host-trap.ts';
import { hostCallFuel, type Counter, type Frame } from './invocation.ts';
import { decodeUtf8, encodeUtf8 } from './utf8.ts';
import {
  ARGS_BYTES_MAX,
  ARGS_COUNT_MAX,
  CHAINCODE_NAME_BYTES_MAX,
  EVENT_NAME_BYTES_MAX,
  EVENT_PAYLOAD_BYTES_MAX,
  FUEL_HOST_CALL_BASE,
  FUEL_PER_BYTE_HASHED,
  FUEL_PER_BYTE_READ,
  FUEL_PER_SIGNATURE_VERIFY,
  HASH_INPUT_BYTES_MAX,
  MEMBERSHIP_INPUT_BYTES_MAX,
  RESULT_BYTES_MAX,
  STATE_KEY_BYTES_MAX,
  STATE_VALUE_BYTES_MAX,
} from '../protocol/limits.ts';

const TIMESTAMP_BYTES = 12;
/** Largest args encoding invoke_chaincode accepts: ARGS_BYTES_MAX of data plus its length fields. */
const ENCODED_ARGS_BYTES_MAX = ARGS_BYTES_MAX + 4 + 4 * ARGS_COUNT_MAX;
/** Bytes of an AssemblyScript abort message or file name read at most (UTF-16). */
const ABORT_TEXT_BYTES_MAX = 512;
const LOG_LEVEL_MAX = 5;

/** What the imports of one instance share: its memory, its low write mark, the running frame. */
export class InstanceSlot {
  readonly memory: WebAssembly.Memory;
  #bytes: Uint8Array;
  lowMark: Counter = { value: 0 };
  frame: Frame | null = null;

  constructor(memory: WebAssembly.Memory) {
    this.memory = memory;
    this.#bytes = new Uint8Array(memory.buffer);
  }

  /** The memory as bytes; re-viewed after a memory.grow detached the old buffer. */
  bytes(): Uint8Array {
    if (this.#bytes.length === 0) this.#bytes = new Uint8Array(this.memory.buffer);
    return this.#bytes;
  }
}

function frameOf(slot: InstanceSlot, fn: AbiFunctionName): Frame {
  const frame = slot.frame;
  if (frame === null) throw new HostTrap('abi', `host function ${ABI_MODULE}.${fn} called outside a transaction (module start code may not use the ABI)`);
  return frame;
}

function limit(what: string, length: number, max: number, maxName: string): void {
  if (length > max) throw new HostTrap('limit', TrapMessage.tooLarge(what, length, maxName, max));
}

/** Start offset of guest bytes [ptr, ptr + len) after an unsigned bounds check. */
function checked(slot: InstanceSlot, what: string, ptr: number, length: number): number {
  const start = ptr >>> 0;
  const size = slot.bytes().length;
  if (start + length > size) throw new HostTrap('abi', TrapMessage.outOfBounds(what, start, length, size));
  return start;
}

function copyIn(slot: InstanceSlot, what: string, ptr: number, length: number): Uint8Array {
  const start = checked(slot, what, ptr, length);
  return slot.bytes().slice(start, start + length);
}

function stringIn(slot: InstanceSlot, what: string, ptr: number, length: number): string {
  const start = checked(slot, what, ptr, length);
  const text = decodeUtf8(slot.bytes(), start, start + length);
  if (text === undefined) throw new HostTrap('abi', TrapMessage.invalidUtf8(what));
  return text;
}

/** Writes to guest memory and raises the low write mark, so a restore covers the bytes. */
function copyOut(slot: InstanceSlot, what: string, dst: number, bytes: Uint8Array): void {
  const start = checked(slot, what, dst, bytes.length);
  slot.bytes().set(bytes, start);
  const end = start + bytes.length;
  if (end > slot.lowMark.value >>> 0) slot.lowMark.value = end | 0;
}

/** AssemblyScript string (UTF-16LE, byte length at ptr - 4) for an abort message; never traps. */
function assemblyScriptString(slot: InstanceSlot, ptr: number): string {
  const start = ptr >>> 0;
  if (start === 0) return '';
  const bytes = slot.bytes();
  if (start < 4 || start > bytes.length) return '<unreadable>';
  const declared = new DataView(bytes.buffer, bytes.byteOffset).getUint32(start - 4, true);
  const length = Math.min(declared, ABORT_TEXT_BYTES_MAX) & ~1;
  if (start + length > bytes.length) return '<unreadable>';
  let text = '';
  for (let i = start; i < start + length; i += 2) text += String.fromCharCode((bytes[i] as number) | ((bytes[i + 1] as number) << 8));
  return declared > length ? `${text}…` : text;
}

type ImportFunction = (...args: number[]) => number | void;

/** The `weft` import object of one instance (its memory is added by the caller). */
export function createWeftImports(slot: InstanceSlot): Record<AbiFunctionName, ImportFunction> {
  const key = (fn: AbiFunctionName, ptr: number, length: number): string => stringIn(slot, `key of ${fn}`, ptr, length);
  const imports: Record<AbiFunctionName, ImportFunction> = {
    ret_len: () => {
      const frame = frameOf(slot, 'ret_len');
      frame.charge(FUEL_HOST_CALL_BASE);
      return frame.register.length;
    },
    ret_read: (dst) => {
      const frame = frameOf(slot, 'ret_read');
      const register = frame.register;
      frame.charge(FUEL_HOST_CALL_BASE + register.length * FUEL_PER_BYTE_READ);
      copyOut(slot, 'ret_read destination', dst as number, register);
    },

    get_args: () => {
      const frame = frameOf(slot, 'get_args');
      frame.charge(FUEL_HOST_CALL_BASE);
      return frame.args();
    },
    get_tx_id: () => {
      const frame = frameOf(slot, 'get_tx_id');
      frame.charge(FUEL_HOST_CALL_BASE);
      return frame.txId();
    },
    get_tx_timestamp: (dst) => {
      const frame = frameOf(slot, 'get_tx_timestamp');
      frame.charge(FUEL_HOST_CALL_BASE + TIMESTAMP_BYTES * FUEL_PER_BYTE_READ);
      const { seconds, nanos } = frame.tx.context.timestamp;
      const out = new Uint8Array(TIMESTAMP_BYTES);
      const view = new DataView(out.buffer);
      view.setBigInt64(0, BigInt(seconds), true);
      view.setInt32(8, nanos, true);
      copyOut(slot, 'get_tx_timestamp destination', dst as number, out);
    },
    get_chaincode_id: () => {
      const frame = frameOf(slot, 'get_chaincode_id');
      frame.charge(FUEL_HOST_CALL_BASE);
      return frame.chaincodeId();
    },
    get_binding: () => {
      const frame = frameOf(slot, 'get_binding');
      frame.charge(FUEL_HOST_CALL_BASE);
      return frame.binding();
    },
    get_payload: () => {
      const frame = frameOf(slot, 'get_payload');
      frame.charge(FUEL_HOST_CALL_BASE);
      return frame.payload();
    },
    get_caller_certificate: () => {
      const frame = frameOf(slot, 'get_caller_certificate');
      frame.charge(FUEL_HOST_CALL_BASE);
      return frame.callerCertificate();
    },
    get_caller_metadata: () => {
      const frame = frameOf(slot, 'get_caller_metadata');
      frame.charge(FUEL_HOST_CALL_BASE);
      return frame.callerMetadata();
    },

    get_state: (keyPtr, keyLen) => {
      const frame = frameOf(slot, 'get_state');
      const keyBytes = (keyLen as number) >>> 0;
      limit('key', keyBytes, STATE_KEY_BYTES_MAX, 'STATE_KEY_BYTES_MAX');
      frame.charge(hostCallFuel(keyBytes));
      return frame.getState(key('get_state', keyPtr as number, keyBytes));
    },
    put_state: (keyPtr, keyLen, valuePtr, valueLen) => {
      const frame = frameOf(slot, 'put_state');
      if (frame.spec.readOnly) {
        frame.charge(FUEL_HOST_CALL_BASE);
        return frame.refuseWrite('PUT_STATE');
      }
      const keyBytes = (keyLen as number) >>> 0;
      const valueBytes = (valueLen as number) >>> 0;
      limit('key', keyBytes, STATE_KEY_BYTES_MAX, 'STATE_KEY_BYTES_MAX');
      limit('value', valueBytes, STATE_VALUE_BYTES_MAX, 'STATE_VALUE_BYTES_MAX');
      frame.charge(hostCallFuel(keyBytes + valueBytes, keyBytes + valueBytes));
      const k = key('put_state', keyPtr as number, keyBytes);
      return frame.putState(k, copyIn(slot, 'value of put_state', valuePtr as number, valueBytes));
    },
    del_state: (keyPtr, keyLen) => {
      const frame = frameOf(slot, 'del_state');
      if (frame.spec.readOnly) {
        frame.charge(FUEL_HOST_CALL_BASE);
        return frame.refuseWrite('DEL_STATE');
      }
      const keyBytes = (keyLen as number) >>> 0;
      limit('key', keyBytes, STATE_KEY_BYTES_MAX, 'STATE_KEY_BYTES_MAX');
      frame.charge(hostCallFuel(keyBytes, keyBytes));
      return frame.delState(key('del_state', keyPtr as number, keyBytes));
    },
    range_open: (startPtr, startLen, endPtr, endLen, flags) => {
      const frame = frameOf(slot, 'range_open');
      const prefix = ((flags as number) & RangeFlags.PREFIX) !== 0;
      const startBytes = (startLen as number) >>> 0;
      const endBytes = prefix ? 0 : (endLen as number) >>> 0;
      limit('start key', startBytes, STATE_KEY_BYTES_MAX, 'STATE_KEY_BYTES_MAX');
      limit('end key', endBytes, STATE_KEY_BYTES_MAX, 'STATE_KEY_BYTES_MAX');
      frame.charge(hostCallFuel(startBytes + endBytes));
      if (((flags as number) & ~RangeFlags.PREFIX) !== 0) {
        frame.register = encodeUtf8(`unknown range_open flags ${(flags as number) >>> 0}`);
        return AbiError.INVALID_ARGUMENT;
      }
      const start = stringIn(slot, 'start key of range_open', startPtr as number, startBytes);
      const end = prefix ? '' : stringIn(slot, 'end key of range_open', endPtr as number, endBytes);
      return frame.rangeOpen(start, end, prefix);
    },
    range_next: (handle) => {
      const frame = frameOf(slot, 'range_next');
      frame.charge(FUEL_HOST_CALL_BASE);
      return frame.rangeNext(handle as number);
    },
    range_close: (handle) => {
      const frame = frameOf(slot, 'range_close');
      frame.charge(FUEL_HOST_CALL_BASE);
      return frame.rangeClose(handle as number);
    },

    invoke_chaincode: (namePtr, nameLen, argsPtr, argsLen) => callChaincode('invoke_chaincode', namePtr, nameLen, argsPtr, argsLen),
    query_chaincode: (namePtr, nameLen, argsPtr, argsLen) => callChaincode('query_chaincode', namePtr, nameLen, argsPtr, argsLen),

    read_cert_attribute: (namePtr, nameLen) => {
      const frame = frameOf(slot, 'read_cert_attribute');
      const nameBytes = (nameLen as number) >>> 0;
      limit('attribute name', nameBytes, MEMBERSHIP_INPUT_BYTES_MAX, 'MEMBERSHIP_INPUT_BYTES_MAX');
      frame.charge(hostCallFuel(nameBytes));
      return frame.readCertAttribute(stringIn(slot, 'attribute name', namePtr as number, nameBytes));
    },
    verify_attribute: (namePtr, nameLen, valuePtr, valueLen) => {
      const frame = frameOf(slot, 'verify_attribute');
      const nameBytes = (nameLen as number) >>> 0;
      const valueBytes = (valueLen as number) >>> 0;
      limit('attribute name', nameBytes, MEMBERSHIP_INPUT_BYTES_MAX, 'MEMBERSHIP_INPUT_BYTES_MAX');
      limit('attribute value', valueBytes, MEMBERSHIP_INPUT_BYTES_MAX, 'MEMBERSHIP_INPUT_BYTES_MAX');
      frame.charge(hostCallFuel(nameBytes + valueBytes));
      const name = stringIn(slot, 'attribute name', namePtr as number, nameBytes);
      return frame.verifyAttribute(name, copyIn(slot, 'attribute value', valuePtr as number, valueBytes));
    },
    verify_signature: (certPtr, certLen, sigPtr, sigLen, msgPtr, msgLen) => {
      const frame = frameOf(slot, 'verify_signature');
      const sizes = [(certLen as number) >>> 0, (sigLen as number) >>> 0, (msgLen as number) >>> 0] as const;
      limit('certificate', sizes[0], MEMBERSHIP_INPUT_BYTES_MAX, 'MEMBERSHIP_INPUT_BYTES_MAX');
      limit('signature', sizes[1], MEMBERSHIP_INPUT_BYTES_MAX, 'MEMBERSHIP_INPUT_BYTES_MAX');
      limit('message', sizes[2], MEMBERSHIP_INPUT_BYTES_MAX, 'MEMBERSHIP_INPUT_BYTES_MAX');
      frame.charge(hostCallFuel(sizes[0] + sizes[1] + sizes[2]) + FUEL_PER_SIGNATURE_VERIFY);
      return frame.verifySignature(
        copyIn(slot, 'certificate', certPtr as number, sizes[0]),
        copyIn(slot, 'signature', sigPtr as number, sizes[1]),
        copyIn(slot, 'message', msgPtr as number, sizes[2]),
      );
    },

    hash: (algorithm, ptr, len) => {
      const frame = frameOf(slot, 'hash');
      const length = (len as number) >>> 0;
      limit('hash input', length, HASH_INPUT_BYTES_MAX, 'HASH_INPUT_BYTES_MAX');
      frame.charge(hostCallFuel(length) + length * FUEL_PER_BYTE_HASHED);
      const start = checked(slot, 'hash input', ptr as number, length);
      return frame.hash(algorithm as number, slot.bytes().subarray(start, start + length));
    },
    set_event: (namePtr, nameLen, payloadPtr, payloadLen) => {
      const frame = frameOf(slot, 'set_event');
      if (frame.spec.readOnly) {
        frame.charge(FUEL_HOST_CALL_BASE);
        return frame.refuseWrite('SET_EVENT');
      }
      const nameBytes = (nameLen as number) >>> 0;
      const payloadBytes = (payloadLen as number) >>> 0;
      limit('event name', nameBytes, EVENT_NAME_BYTES_MAX, 'EVENT_NAME_BYTES_MAX');
      limit('event payload', payloadBytes, EVENT_PAYLOAD_BYTES_MAX, 'EVENT_PAYLOAD_BYTES_MAX');
      frame.charge(hostCallFuel(nameBytes + payloadBytes, nameBytes + payloadBytes));
      const name = stringIn(slot, 'event name', namePtr as number, nameBytes);
      return frame.setEvent(name, copyIn(slot, 'event payload', payloadPtr as number, payloadBytes));
    },
    log: (level, ptr, len) => {
      const frame = frameOf(slot, 'log');
      const length = (len as number) >>> 0;
      if ((level as number) >>> 0 > LOG_LEVEL_MAX) throw new HostTrap('abi', `log level ${level as number} is not one of 0..${LOG_LEVEL_MAX}`);
      frame.charge(hostCallFuel(length));
      const start = checked(slot, 'log message', ptr as number, length);
      // A line over the budget is dropped unread: logs are not consensus state, fuel is charged anyway.
      if (!frame.tx.logFits(length)) return frame.tx.log(level as number, '', length);
      const text = decodeUtf8(slot.bytes(), start, start + length);
      if (text === undefined) throw new HostTrap('abi', TrapMessage.invalidUtf8('log message'));
      frame.tx.log(level as number, text, length);
    },
    set_result: (ptr, len) => {
      const frame = frameOf(slot, 'set_result');
      const length = (len as number) >>> 0;
      limit('result', length, RESULT_BYTES_MAX, 'RESULT_BYTES_MAX');
      frame.charge(hostCallFuel(length, length));
      frame.setResult(copyIn(slot, 'result', ptr as number, length));
    },
  };

  function callChaincode(fn: 'invoke_chaincode' | 'query_chaincode', namePtr?: number, nameLen?: number, argsPtr?: number, argsLen?: number): number {
    const frame = frameOf(slot, fn);
    const query = fn === 'query_chaincode';
    if (!query && frame.spec.readOnly) {
      frame.charge(FUEL_HOST_CALL_BASE);
      return frame.refuseWrite('INVOKE_CHAINCODE');
    }
    const nameBytes = (nameLen as number) >>> 0;
    const argsBytes = (argsLen as number) >>> 0;
    limit('chaincode name', nameBytes, CHAINCODE_NAME_BYTES_MAX, 'CHAINCODE_NAME_BYTES_MAX');
    limit('args encoding', argsBytes, ENCODED_ARGS_BYTES_MAX, 'ARGS_BYTES_MAX plus length fields');
    frame.charge(hostCallFuel(nameBytes + argsBytes));
    const name = stringIn(slot, `chaincode name of ${fn}`, namePtr as number, nameBytes);
    return frame.callChaincode(name, copyIn(slot, `args of ${fn}`, argsPtr as number, argsBytes), query);
  }

  return imports;
}

/** env.abort: AssemblyScript's runtime error hook; ends the transaction with its message. */
export function createAbort(slot: InstanceSlot): (messagePtr: number, filePtr: number, line: number, column: number) => never {
  return (messagePtr, filePtr, line, column) => {
    slot.frame?.charge(FUEL_HOST_CALL_BASE);
    const message = assemblyScriptString(slot, messagePtr);
    const file = assemblyScriptString(slot, filePtr);
    throw new HostTrap('trap', `abort: ${message} in ${file}(${line >>> 0}:${column >>> 0})`);
  };
}

/** The ABI's function names, to check the import object against the table. */
export const WEFT_FUNCTION_NAMES = Object.keys(ABI_FUNCTIONS) as AbiFunctionName[];
