// sdk-as through the real runtime, via the sdk_probe fixture: args (binary ones included),
// context, nil vs empty state, range and prefix iterators in byte order, membership calls with
// security off (SECURITY_DISABLED) and on (real data), events, the deterministic PRNG, the
// float-free integer parsers, Go-compatible JSON, logging levels, hashing and results.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { MockNetwork, type MockTxOptions, type CallerIdentity } from '../../host/testing/mock-network.ts';
import { AbiError } from '../../host/runtime/abi.ts';
import { fixture, ok } from './built.ts';

const PROBE = fixture('sdk_probe');
const encoder = new TextEncoder();

function probe(): MockNetwork {
  const net = new MockNetwork();
  const deployed = net.deploy('probe', PROBE, ['init']);
  assert.equal(deployed.ok, true);
  return net;
}

function run(net: MockNetwork, args: Array<string | Uint8Array>, options: MockTxOptions = {}): string {
  return ok(net.invoke('probe', args, options));
}

const hex = (s: string | Uint8Array): string => Buffer.from(typeof s === 'string' ? encoder.encode(s) : s).toString('hex');

function caller(overrides: Partial<CallerIdentity> = {}): CallerIdentity {
  return {
    certificate: new Uint8Array([0x30, 0x82, 1, 2]),
    metadata: encoder.encode('meta'),
    binding: new Uint8Array([9, 8, 7]),
    attributes: new Map([['position', encoder.encode('Software Engineer')], ['company', encoder.encode('ACME')]]),
    verifySignature: (cert, sig, msg) => cert.length === 4 && sig[0] === 1 && msg.length === 3,
    ...overrides,
  };
}

test('args: getArgs keeps binary bytes, getStringArgs and getFunctionAndParameters split them like Fabric', () => {
  const net = probe();
  const binary = new Uint8Array([0, 255, 128, 10]);
  assert.equal(run(net, ['args', binary, '', 'é']), JSON.stringify([hex('args'), hex(binary), '', hex('é')]));
  assert.equal(run(net, ['stringargs', 'a', '', '"<q>"']), '["stringargs","a","","\\"\\u003cq\\u003e\\""]');
  assert.equal(run(net, ['fnparams', 'x', 'y']), 'fnparams|x|y');
  assert.equal(run(net, ['fnparams']), 'fnparams|');
});

test('context: txid, timestamp, chaincode id and payload come from the transaction', () => {
  const net = probe();
  assert.equal(run(net, ['txid'], { txid: 'tx-42' }), 'tx-42');
  assert.equal(run(net, ['timestamp'], { timestamp: { seconds: 1_234_567_890, nanos: 987_654_321 } }), '1234567890.987654321');
  assert.equal(run(net, ['ccid']), 'probe');
  assert.equal(run(net, ['payload'], { payload: new Uint8Array([1, 2, 3]) }), '010203');
});

test('state: nil and empty values differ; deletes and puts are seen by the same invoke', () => {
  const net = probe();
  assert.equal(run(net, ['get', 'k']), 'nil');
  assert.equal(run(net, ['putempty', 'k']), 'ok');
  assert.equal(run(net, ['get', 'k']), 'empty');
  assert.equal(net.getState('probe', 'k'), '');
  assert.equal(run(net, ['put', 'k', 'v']), 'ok');
  assert.equal(run(net, ['get', 'k']), 'value v');
  assert.equal(run(net, ['del', 'k']), 'ok');
  assert.equal(run(net, ['get', 'k']), 'nil');
  assert.equal(run(net, ['del', 'never-set']), 'ok');
});

test('state writes in a query return the host\'s READ_ONLY error as a value', () => {
  const net = probe();
  const query = (args: string[]): string => ok(net.query('probe', args, { txid: 'q1' }));
  assert.equal(query(['put', 'k', 'v']), `error ${AbiError.READ_ONLY}: [q1]Cannot handle PUT_STATE in query context`);
  assert.equal(query(['del', 'k']), `error ${AbiError.READ_ONLY}: [q1]Cannot handle DEL_STATE in query context`);
  assert.equal(query(['event', 'e', 'p']).startsWith(`error ${AbiError.READ_ONLY}: `), true);
  assert.deepEqual(net.keys('probe'), []);
});

test('rangeQueryState: inclusive bounds, "" unbounded, UTF-8 byte order; prefixQueryState; early close', () => {
  const net = probe();
  for (const key of ['b', 'a', 'ab', 'b0', 'c', 'é', '\u{1F600}', 'Z']) net.putState('probe', key, `v${key}`);
  const all = JSON.parse(run(net, ['range', '', ''])) as string[];
  assert.deepEqual(all.map((kv) => kv.split('=')[0]), ['Z', 'a', 'ab', 'b', 'b0', 'c', 'é', '\u{1F600}']);
  assert.deepEqual(JSON.parse(run(net, ['range', 'ab', 'b0'])), ['ab=vab', 'b=vb', 'b0=vb0']);
  assert.deepEqual(JSON.parse(run(net, ['range', 'b', ''])), ['b=vb', 'b0=vb0', 'c=vc', 'é=vé', '\u{1F600}=v\u{1F600}']);
  assert.deepEqual(JSON.parse(run(net, ['range', '', 'a'])).map((kv: string) => kv.split('=')[0]).slice(-2), ['Z', 'a']);
  assert.deepEqual(JSON.parse(run(net, ['prefix', 'b'])), ['b=vb', 'b0=vb0']);
  assert.deepEqual(JSON.parse(run(net, ['range', '', '', '2'])).length, 2, 'stopping early and closing works');
  assert.equal(run(net, ['iterators']), '40 ranges', 'exhausted iterators free their handles without close()');
});

test('membership calls answer SECURITY_DISABLED while security is off', () => {
  const net = probe();
  for (const fn of ['cert', 'metadata', 'binding']) {
    assert.match(run(net, [fn]), new RegExp(`^error ${AbiError.SECURITY_DISABLED}: .+`), fn);
  }
  assert.match(run(net, ['attr', 'position']), new RegExp(`^error ${AbiError.SECURITY_DISABLED}: .+`));
  assert.match(run(net, ['verify', 'position', 'x']), new RegExp(`^error ${AbiError.SECURITY_DISABLED}: .+`));
  assert.match(run(net, ['verifyall', 'position', 'x']), new RegExp(`^error ${AbiError.SECURITY_DISABLED}: .+`));
  assert.match(run(net, ['sig', '00', '01', '02']), new RegExp(`^error ${AbiError.SECURITY_DISABLED}: .+`));
});

test('membership calls answer real data when the transaction carries a caller', () => {
  const net = probe();
  const options = { caller: caller() };
  assert.equal(run(net, ['cert'], options), '30820102');
  assert.equal(run(net, ['metadata'], options), hex('meta'));
  assert.equal(run(net, ['binding'], options), '090807');
  assert.equal(run(net, ['attr', 'position'], options), 'Software Engineer');
  assert.equal(run(net, ['attr', 'salary'], options), "error -102: Failed attribute 'salary' doesn't exists in the TCert.");
  assert.equal(run(net, ['verify', 'position', 'Software Engineer'], options), 'true');
  assert.equal(run(net, ['verify', 'position', 'Manager'], options), 'false');
  assert.equal(run(net, ['verify', 'salary', 'x'], options), 'false');
  assert.equal(run(net, ['verifyall', 'position', 'Software Engineer', 'company', 'ACME'], options), 'true');
  assert.equal(run(net, ['verifyall', 'position', 'Software Engineer', 'company', 'Other'], options), 'false');
  assert.equal(run(net, ['verifyall'], options), 'true');
  assert.equal(run(net, ['sig', '00000000', '01', '616263'], options), 'true');
  assert.equal(run(net, ['sig', '00000000', '02', '616263'], options), 'false');
});

test('setEvent: the last call of a transaction wins', () => {
  const net = probe();
  const result = net.invoke('probe', ['event', 'name', 'payload']);
  assert.equal(result.ok && result.event?.eventName, 'name');
  assert.deepEqual(result.event && [...result.event.payload], [...encoder.encode('payload')]);
});

test('Prng: the same transaction gives the same stream, another transaction or domain another one', () => {
  const net = probe();
  const a1 = run(net, ['random', '', '5'], { txid: 'tx-a' });
  const a2 = run(net, ['random', '', '5'], { txid: 'tx-a' });
  const b = run(net, ['random', '', '5'], { txid: 'tx-b' });
  const d = run(net, ['random', 'dice', '5'], { txid: 'tx-a' });
  assert.equal(a1, a2);
  assert.notEqual(a1, b);
  assert.notEqual(a1, d);
  assert.equal(a1.split(',').length, 5);
  // the documented construction: block i = SHA-256(txid 0 ccid 0 domain || u64le(i)), read as u64le
  const seed = Buffer.concat([Buffer.from('tx-a'), Buffer.from([0]), Buffer.from('probe'), Buffer.from([0])]);
  const block0 = createHash('sha256').update(Buffer.concat([seed, Buffer.alloc(8)])).digest();
  assert.equal(a1.split(',')[0], block0.readBigUInt64LE(0).toString());
  assert.equal(a1.split(',')[4], createHash('sha256').update(Buffer.concat([seed, Buffer.from([1, 0, 0, 0, 0, 0, 0, 0])])).digest().readBigUInt64LE(0).toString());
});

test('Prng helpers stay in range and shuffle is a permutation', () => {
  const net = probe();
  const below = run(net, ['below', '6', '200'], { txid: 'dice' }).split(',').map(Number);
  assert.equal(below.length, 200);
  assert.ok(below.every((v) => v >= 0 && v < 6));
  assert.deepEqual([...new Set(below)].sort(), [0, 1, 2, 3, 4, 5], 'every face shows up in 200 throws');
  const inRange = run(net, ['inrange', '-3', '3']).split(',').map(Number);
  assert.ok(inRange.every((v) => v >= -3 && v <= 3));
  const shuffled = run(net, ['shuffle', 'a', 'b', 'c', 'd', 'e'], { txid: 'cards' }).split(',');
  assert.deepEqual([...shuffled].sort(), ['a', 'b', 'c', 'd', 'e']);
  assert.equal(run(net, ['shuffle', 'a', 'b', 'c', 'd', 'e'], { txid: 'cards' }), shuffled.join(','));
  const bytes = run(net, ['bytes', 'seed', '40']);
  const seedBlock = (i: number): Buffer => createHash('sha256').update(Buffer.concat([Buffer.from('seed'), Buffer.from([i, 0, 0, 0, 0, 0, 0, 0])])).digest();
  assert.equal(bytes, Buffer.concat([seedBlock(0), seedBlock(1)]).subarray(0, 40).toString('hex'));
});

test('integer parsing follows Go\'s strconv without floats', () => {
  const net = probe();
  const cases: Array<[string, string, string]> = [
    ['atoi', '42', 'ok 42'],
    ['atoi', '+7', 'ok 7'],
    ['atoi', '-0', 'ok 0'],
    ['atoi', '-9223372036854775808', 'ok -9223372036854775808'],
    ['atoi', '9223372036854775807', 'ok 9223372036854775807'],
    ['atoi', '9223372036854775808', '9223372036854775807 strconv.Atoi: parsing "9223372036854775808": value out of range'],
    ['atoi', '-9223372036854775809', '-9223372036854775808 strconv.Atoi: parsing "-9223372036854775809": value out of range'],
    ['atoi', '99999999999999999999999', '9223372036854775807 strconv.Atoi: parsing "99999999999999999999999": value out of range'],
    ['atoi', '', '0 strconv.Atoi: parsing "": invalid syntax'],
    ['atoi', ' 1', '0 strconv.Atoi: parsing " 1": invalid syntax'],
    ['atoi', '1.5', '0 strconv.Atoi: parsing "1.5": invalid syntax'],
    ['atoi', '-', '0 strconv.Atoi: parsing "-": invalid syntax'],
    ['atoi', '0x10', '0 strconv.Atoi: parsing "0x10": invalid syntax'],
    ['atoi', '1_000', '0 strconv.Atoi: parsing "1_000": invalid syntax'],
    ['atoi', 'a"\n', '0 strconv.Atoi: parsing "a\\"\\n": invalid syntax'],
    ['parsei64', 'x', '0 strconv.ParseInt: parsing "x": invalid syntax'],
    ['parsei32', '2147483647', 'ok 2147483647'],
    ['parsei32', '-2147483649', '-2147483648 strconv.ParseInt: parsing "-2147483649": value out of range'],
    ['parseu64', '18446744073709551615', 'ok 18446744073709551615'],
    ['parseu64', '18446744073709551616', '18446744073709551615 strconv.ParseUint: parsing "18446744073709551616": value out of range'],
    ['parseu64', '+1', '0 strconv.ParseUint: parsing "+1": invalid syntax'],
    ['parseu32', '4294967296', '4294967295 strconv.ParseUint: parsing "4294967296": value out of range'],
  ];
  for (const [fn, input, expected] of cases) assert.equal(run(net, [fn, input]), expected, `${fn}(${JSON.stringify(input)})`);
});

test('JSON output matches Go\'s encoding/json', () => {
  const net = probe();
  assert.equal(run(net, ['jsonnull']), 'null');
  assert.equal(run(net, ['json']), '[]');
  const tricky = ['<a&b>', 'tab\there', 'nl\n', 'bell\u0007', 'q"\\', '\u2028\u2029', 'é\u{1F600}', '\u007f'];
  assert.equal(
    run(net, ['json', ...tricky]),
    '["\\u003ca\\u0026b\\u003e","tab\\there","nl\\n","bell\\u0007","q\\"\\\\","\\u2028\\u2029","é\u{1F600}","\u007f"]',
  );
  assert.deepEqual(JSON.parse(run(net, ['json', ...tricky])), tricky);
});

test('logging: Fabric\'s levels, a named logger, case-insensitive level names', () => {
  const net = probe();
  const warning = net.invoke('probe', ['log', 'warning']);
  assert.equal(ok(warning), 'debug off');
  assert.deepEqual(warning.logs, ['CRITICAL [probe] c', 'ERROR [probe] e', 'WARNING [probe] w']);
  const debug = net.invoke('probe', ['log', 'Debug']);
  assert.equal(ok(debug), 'debug on');
  assert.equal(debug.logs.length, 6);
  const critical = net.invoke('probe', ['log', 'CRITICAL']);
  assert.deepEqual(critical.logs, ['CRITICAL [probe] c']);
  assert.equal(run(net, ['loglevel', 'notice']), 'ok 3');
  assert.equal(run(net, ['loglevel', 'verbose']), '1 logger: invalid log level');
  const defaults = net.invoke('probe', ['defaultlevel']);
  assert.deepEqual(defaults.logs, ['WARNING shown']);
});

test('hash: SHA-256, SHA3-256 and an unknown algorithm as an error value', () => {
  const net = probe();
  assert.equal(run(net, ['hash', '0', hex('abc')]), createHash('sha256').update('abc').digest('hex'));
  assert.equal(run(net, ['hash', '1', hex('abc')]), createHash('sha3-256').update('abc').digest('hex'));
  assert.equal(run(net, ['hash', '2', '']).length, 128, 'SHAKE256 with 64 bytes of output');
  assert.match(run(net, ['hash', '9', '00']), new RegExp(`^error ${AbiError.INVALID_ARGUMENT}: .+`));
});

test('results: nil and empty payloads, error messages, unwrap aborting on an error', () => {
  const net = probe();
  assert.equal(run(net, ['nil']), '');
  assert.equal(run(net, ['empty']), '');
  const failed = net.invoke('probe', ['fail', 'no way']);
  assert.deepEqual(failed.ok ? null : [failed.kind, failed.error], ['chaincode', 'no way']);
  const empty = net.invoke('probe', ['fail']);
  // an empty message is replaced by the host so that every failure says something
  assert.deepEqual(empty.ok ? null : [empty.kind, empty.error], ['chaincode', 'chaincode invoke returned 1 without a message']);
  assert.equal(run(net, ['unwrap', '12']), '12');
  const aborted = net.invoke('probe', ['unwrap', 'twelve']);
  assert.equal(aborted.ok, false);
  assert.ok(!aborted.ok && aborted.kind !== 'chaincode' && aborted.error.includes('strconv.Atoi: parsing "twelve": invalid syntax'), aborted.ok ? '' : `${aborted.kind}: ${aborted.error}`);
  const unknown = net.invoke('probe', ['nope']);
  assert.equal(!unknown.ok && unknown.error, 'Unsupported operation');
});

test('a failed init leaves nothing deployed', () => {
  const net = new MockNetwork();
  const failed = net.deploy('probe', PROBE, ['fail']);
  assert.deepEqual(failed.ok ? null : [failed.kind, failed.error], ['chaincode', 'init refused']);
  assert.equal(net.isDeployed('probe'), false);
});
