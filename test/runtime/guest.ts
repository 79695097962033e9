// Test guests written in WebAssembly text: a prelude importing the whole weft ABI v1, and a
// "kv" chaincode whose every entry point dispatches on the first byte of args[0] to one ABI
// call, so tests reach each host function (and its error codes) precisely. Replies are
// `i32 return code | register bytes`, decoded by `reply()`.
import binaryen from 'binaryen';
import { ABI_FUNCTIONS } from '../../host/runtime/abi.ts';

/** Where the kv guest loads its args and builds its replies (memory is 16 pages = 1 MiB). */
export const ARGS_AT = 65_536;
export const REPLY_AT = 524_288;

const V8_FEATURES =
  binaryen.Features.MVP |
  binaryen.Features.MutableGlobals |
  binaryen.Features.SignExt |
  binaryen.Features.BulkMemory |
  binaryen.Features.BulkMemoryOpt |
  binaryen.Features.NontrappingFPToInt |
  binaryen.Features.SIMD128 |
  binaryen.Features.Atomics |
  binaryen.Features.ReferenceTypes |
  binaryen.Features.Multivalue |
  binaryen.Features.TailCall |
  binaryen.Features.ExceptionHandling |
  binaryen.Features.GC;

/** Compiles WebAssembly text to bytes (function names kept, so messages can name them). */
export function wat(text: string): Uint8Array {
  const module = binaryen.parseText(text);
  try {
    module.setFeatures(V8_FEATURES);
    const debugInfo = binaryen.getDebugInfo();
    binaryen.setDebugInfo(true);
    try {
      return module.emitBinary();
    } finally {
      binaryen.setDebugInfo(debugInfo);
    }
  } finally {
    module.dispose();
  }
}

/** Import declarations of every ABI v1 function, as $name, plus env.abort as $abort. */
export const IMPORTS = [
  ...Object.entries(ABI_FUNCTIONS).map(([name, fn]) => {
    const params = fn.params.length > 0 ? ` (param${' i32'.repeat(fn.params.length)})` : '';
    const result = fn.result === 'i32' ? ' (result i32)' : '';
    return `(import "weft" "${name}" (func $${name}${params}${result}))`;
  }),
  '(import "env" "abort" (func $abort (param i32 i32 i32 i32)))',
].join('\n');

/** A minimal valid chaincode: the given body is `invoke`; init and query return 0. */
export function chaincode(parts: { invoke?: string; init?: string; query?: string; extra?: string; memory?: string }): string {
  return `(module
${IMPORTS}
(memory (export "memory") ${parts.memory ?? '1'})
(func $weft_abi_v1 (export "weft_abi_v1"))
(func $init (export "init") (result i32) ${parts.init ?? '(i32.const 0)'})
(func $invoke (export "invoke") (result i32) ${parts.invoke ?? '(i32.const 0)'})
(func $query (export "query") (result i32) ${parts.query ?? '(i32.const 0)'})
${parts.extra ?? ''}
)`;
}

const a = (i: number): string => `(call $arg_ptr (i32.const ${i})) (call $arg_len (i32.const ${i}))`;
const digit = (i: number): string => `(i32.sub (i32.load8_u (call $arg_ptr (i32.const ${i}))) (i32.const 48))`;
const op = (char: string, body: string): string => `(if (i32.eq (local.get $op) (i32.const ${char.charCodeAt(0)})) (then ${body}))`;
const replyWith = (call: string): string => `(return (call $reply ${call}))`;

/** Helpers for guests that read their args: $load_args, $arg_ptr(i), $arg_len(i), $arg_u32(i), $reply(rc). */
export const ARG_HELPERS = `
(func $load_args
  (drop (call $get_args))
  (call $ret_read (i32.const ${ARGS_AT})))
(func $arg_ptr (param $i i32) (result i32)
  (local $p i32)
  (local.set $p (i32.const ${ARGS_AT + 4}))
  (block $done (loop $next
    (br_if $done (i32.eqz (local.get $i)))
    (local.set $p (i32.add (local.get $p) (i32.add (i32.const 4) (i32.load (local.get $p)))))
    (local.set $i (i32.sub (local.get $i) (i32.const 1)))
    (br $next)))
  (i32.add (local.get $p) (i32.const 4)))
(func $arg_len (param $i i32) (result i32)
  (i32.load (i32.sub (call $arg_ptr (local.get $i)) (i32.const 4))))
(func $reply (param $rc i32) (result i32)
  (local $n i32)
  (i32.store (i32.const ${REPLY_AT}) (local.get $rc))
  (local.set $n (call $ret_len))
  (call $ret_read (i32.const ${REPLY_AT + 4}))
  (call $set_result (i32.const ${REPLY_AT}) (i32.add (local.get $n) (i32.const 4)))
  (i32.const 0))
(func $arg_u32 (param $i i32) (result i32)
  (i32.load (call $arg_ptr (local.get $i))))
`;

/** A chaincode with ARG_HELPERS; its bodies call (call $load_args) first. */
export function argChaincode(parts: Parameters<typeof chaincode>[0]): Uint8Array {
  return wat(chaincode({ ...parts, extra: `${ARG_HELPERS}${parts.extra ?? ''}` }));
}

const KV_HELPERS = `
(data (i32.const 256) "unknown function")
${ARG_HELPERS}
(func $recurse (param $n i32) (result i32)
  (i32.add (i32.const 1) (call $recurse (i32.add (local.get $n) (i32.const 1)))))
(func $collect (param $h i32) (result i32)
  (local $n i32) (local $off i32)
  (if (i32.lt_s (local.get $h) (i32.const 0)) (then (return (call $reply (local.get $h)))))
  (local.set $off (i32.const ${REPLY_AT}))
  (block $end (loop $more
    (local.set $n (call $range_next (local.get $h)))
    (br_if $end (i32.lt_s (local.get $n) (i32.const 0)))
    (i32.store (local.get $off) (local.get $n))
    (call $ret_read (i32.add (local.get $off) (i32.const 4)))
    (local.set $off (i32.add (local.get $off) (i32.add (local.get $n) (i32.const 4))))
    (br $more)))
  (drop (call $range_close (local.get $h)))
  (call $set_result (i32.const ${REPLY_AT}) (i32.sub (local.get $off) (i32.const ${REPLY_AT})))
  (i32.const 0))
(func $dispatch (result i32)
  (local $op i32)
  (call $load_args)
  (local.set $op (i32.load8_u (call $arg_ptr (i32.const 0))))
  ${op('n', '(return (i32.const 0))')}
  ${op('p', replyWith(`(call $put_state ${a(1)} ${a(2)})`))}
  ${op('g', replyWith(`(call $get_state ${a(1)})`))}
  ${op('d', replyWith(`(call $del_state ${a(1)})`))}
  ${op('u', `(drop (call $put_state ${a(1)} ${a(2)})) ${replyWith(`(call $get_state ${a(1)})`)}`)}
  ${op('v', `(drop (call $set_event ${a(1)} ${a(2)})) ${replyWith(`(call $set_event ${a(3)} ${a(4)})`)}`)}
  ${op('r', `(return (call $collect (call $range_open ${a(1)} ${a(2)} (i32.const 0))))`)}
  ${op('x', `(return (call $collect (call $range_open ${a(1)} ${a(1)} (i32.const 1))))`)}
  ${op('o', replyWith(`(call $range_open ${a(1)} ${a(2)} ${digit(3)})`))}
  ${op('N', replyWith(`(call $range_next ${digit(1)})`))}
  ${op('K', replyWith(`(call $range_close ${digit(1)})`))}
  ${op('e', replyWith(`(call $set_event ${a(1)} ${a(2)})`))}
  ${op('E', `(drop (call $set_event ${a(1)} ${a(2)})) (call $set_result ${a(1)}) (return (i32.const 1))`)}
  ${op('l', `(call $log ${digit(1)} ${a(2)}) (return (i32.const 0))`)}
  ${op('i', replyWith(`(call $invoke_chaincode ${a(1)} ${a(2)})`))}
  ${op('q', replyWith(`(call $query_chaincode ${a(1)} ${a(2)})`))}
  ${op('t', replyWith('(call $get_tx_id)'))}
  ${op('c', replyWith('(call $get_chaincode_id)'))}
  ${op('a', replyWith('(call $get_args)'))}
  ${op('y', replyWith('(call $get_payload)'))}
  ${op('b', replyWith('(call $get_binding)'))}
  ${op('C', replyWith('(call $get_caller_certificate)'))}
  ${op('M', replyWith('(call $get_caller_metadata)'))}
  ${op('A', replyWith(`(call $read_cert_attribute ${a(1)})`))}
  ${op('V', replyWith(`(call $verify_attribute ${a(1)} ${a(2)})`))}
  ${op('S', replyWith(`(call $verify_signature ${a(1)} ${a(2)} ${a(3)})`))}
  ${op('h', replyWith(`(call $hash ${digit(1)} ${a(2)})`))}
  ${op('s', `(call $get_tx_timestamp (i32.const ${REPLY_AT})) (call $set_result (i32.const ${REPLY_AT}) (i32.const 12)) (return (i32.const 0))`)}
  ${op('f', `(call $set_result ${a(1)}) (return (i32.const 1))`)}
  ${op('W', `(drop (call $put_state ${a(1)} ${a(2)})) (call $set_result ${a(1)}) (return (i32.const 1))`)}
  ${op('P', `(drop (call $put_state ${a(1)} ${a(2)})) (unreachable)`)}
  ${op('L', '(loop $forever (br $forever))')}
  ${op('R', '(return (call $recurse (i32.const 0)))')}
  ${op('G', '(loop $grow (br_if $grow (i32.ne (memory.grow (i32.const 1)) (i32.const -1)))) (unreachable)')}
  ${op('U', '(unreachable)')}
  ${op('B', `(call $abort (i32.const 0) (i32.const 0) (i32.const 7) (i32.const 9)) (unreachable)`)}
  (call $set_result (i32.const 256) (i32.const 16))
  (i32.const 1))
`;

/** The kv chaincode: init, invoke and query all run the dispatcher (see the op table above). */
export const KV_WAT = chaincode({
  init: '(call $dispatch)',
  invoke: '(call $dispatch)',
  query: '(call $dispatch)',
  extra: KV_HELPERS,
});

let kvBytes: Uint8Array | undefined;
export function kvChaincode(): Uint8Array {
  kvBytes ??= wat(KV_WAT);
  return kvBytes;
}

/** A kv reply: the host call's return code and the register's bytes after it. */
export function reply(payload: Uint8Array): { rc: number; data: Uint8Array; text: string } {
  const rc = new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getInt32(0, true);
  const data = payload.slice(4);
  return { rc, data, text: new TextDecoder().decode(data) };
}

/** Records of the kv 'r'/'x' ops: [key, value text] pairs. */
export function records(payload: Uint8Array): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const decoder = new TextDecoder();
  for (let offset = 0; offset < payload.length;) {
    const total = view.getUint32(offset, true);
    const keyLength = view.getUint32(offset + 4, true);
    const key = decoder.decode(payload.subarray(offset + 8, offset + 8 + keyLength));
    const value = decoder.decode(payload.subarray(offset + 8 + keyLength, offset + 4 + total));
    out.push([key, value]);
    offset += 4 + total;
  }
  return out;
}

/** Encodes args in the ABI's wire form (for invoke_chaincode). */
export function encodedArgs(args: Array<string | Uint8Array>): Uint8Array {
  const parts = args.map((arg) => (typeof arg === 'string' ? new TextEncoder().encode(arg) : arg));
  const out = new Uint8Array(4 + parts.reduce((n, p) => n + 4 + p.length, 0));
  const view = new DataView(out.buffer);
  view.setUint32(0, parts.length, true);
  let offset = 4;
  for (const part of parts) {
    view.setUint32(offset, part.length, true);
    out.set(part, offset + 4);
    offset += 4 + part.length;
  }
  return out;
}

/** A chaincode whose invoke makes one host call with constant arguments and replies with its code. */
export function callOnce(fn: string, args: number[], extra = ''): Uint8Array {
  const call = `(call $${fn} ${args.map((n) => `(i32.const ${n})`).join(' ')})`;
  const isVoid = fn === 'abort' || (ABI_FUNCTIONS as Record<string, { result: string }>)[fn]?.result === 'void';
  return wat(chaincode({
    invoke: isVoid ? `${call} (i32.const 0)` : `(i32.store (i32.const 0) ${call}) (call $set_result (i32.const 0) (i32.const 4)) (i32.const 0)`,
    extra,
  }));
}
