// Chaincode modules assembled byte by byte, for shapes the text parser cannot produce (very deep
// nesting) and for exact control over sections.

function leb(value: number): number[] {
  const out: number[] = [];
  let v = value;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

function name(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return [...leb(bytes.length), ...bytes];
}

function section(id: number, body: number[]): number[] {
  return [id, ...leb(body.length), ...body];
}

const I32_CONST_0_END = [0x41, 0x00, 0x0b];

/** A chaincode with no imports whose invoke body is `invoke` (code bytes, `end` included; no locals). */
export function rawChaincode(invoke: number[]): Uint8Array {
  const bodies = [[0x00, ...invoke], [0x00, ...I32_CONST_0_END], [0x00, ...I32_CONST_0_END], [0x00, 0x0b]];
  const code = [...leb(bodies.length), ...bodies.flatMap((body) => [...leb(body.length), ...body])];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [2, 0x60, 0x00, 0x01, 0x7f, 0x60, 0x00, 0x00]),
    ...section(3, [4, 0, 0, 0, 1]),
    ...section(5, [1, 0x00, 0x01]),
    ...section(7, [5, ...name('invoke'), 0, 0, ...name('init'), 0, 1, ...name('query'), 0, 2, ...name('weft_abi_v1'), 0, 3, ...name('memory'), 2, 0]),
    ...section(10, code),
  ]);
}

/** invoke = 1 + (1 + (1 + …)): an expression tree `depth` deep. */
export function nestedAdds(depth: number): Uint8Array {
  const body: number[] = [];
  for (let i = 0; i < depth; i++) body.push(0x41, 0x01);
  for (let i = 0; i < depth - 1; i++) body.push(0x6a);
  return rawChaincode([...body, 0x0b]);
}

/** invoke = `depth` nested blocks around a branch out of the innermost. */
export function nestedBlocks(depth: number): Uint8Array {
  const body: number[] = [];
  for (let i = 0; i < depth; i++) body.push(0x02, 0x7f);
  body.push(0x41, 0x00, 0x0c, 0x00);
  for (let i = 0; i < depth; i++) body.push(0x0b);
  return rawChaincode([...body, 0x0b]);
}
