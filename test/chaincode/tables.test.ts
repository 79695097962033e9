// The table API (sdk-as/table.ts) through asset_table: every call, every column type, Fabric's
// error strings (typos included), and byte compatibility with Fabric v0.6's storage: the state
// keys (`len(name) name` + `len(k) k` per key column) and the protobuf Table/Row values, checked
// against table.proto with protobufjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import protobuf from 'protobufjs';
import { MockNetwork } from '../../host/testing/mock-network.ts';
import { chaincode, ok, chaincodeError } from './built.ts';

// core/chaincode/shim/table.proto (Fabric v0.6)
const TABLE_PROTO = `
syntax = "proto3";
package shim;
message ColumnDefinition {
  string name = 1;
  enum Type { STRING = 0; INT32 = 1; INT64 = 2; UINT32 = 3; UINT64 = 4; BYTES = 5; BOOL = 6; }
  Type type = 2;
  bool key = 3;
}
message Table { string name = 1; repeated ColumnDefinition columnDefinitions = 2; }
message Column { oneof value { string string = 1; int32 int32 = 2; int64 int64 = 3; uint32 uint32 = 4; uint64 uint64 = 5; bytes bytes = 6; bool bool = 7; } }
message Row { repeated Column columns = 1; }
`;
const root = protobuf.parse(TABLE_PROTO).root;
const TableMessage = root.lookupType('shim.Table');
const RowMessage = root.lookupType('shim.Row');

function deployed(): MockNetwork {
  const net = new MockNetwork();
  ok(net.deploy('assets', chaincode('asset_table'), ['init']));
  return net;
}

const GOLD_7 = ['STRING:gold', 'UINT64:7', 'BYTES:alice', 'INT32:-5', 'INT64:-9000000000', 'UINT32:4000000000', 'BOOL:false'];

test('createTable stores the definition at len(name)+name as a protobuf Table', () => {
  const net = deployed();
  assert.deepEqual(net.keys('assets'), ['6Assets']);
  const stored = TableMessage.toObject(TableMessage.decode(net.getStateBytes('assets', '6Assets')!), { enums: String, defaults: true });
  assert.deepEqual(stored, {
    name: 'Assets',
    columnDefinitions: [
      { name: 'category', type: 'STRING', key: true },
      { name: 'serial', type: 'UINT64', key: true },
      { name: 'owner', type: 'BYTES', key: false },
      { name: 'quantity', type: 'INT32', key: false },
      { name: 'value', type: 'INT64', key: false },
      { name: 'batch', type: 'UINT32', key: false },
      { name: 'frozen', type: 'BOOL', key: false },
    ],
  });
  assert.equal(
    ok(net.query('assets', ['table', 'Assets'])),
    '{"name":"Assets","columns":["category:STRING:key","serial:UINT64:key","owner:BYTES","quantity:INT32","value:INT64","batch:UINT32","frozen:BOOL"]}',
  );
});

test('insertRow writes Fabric\'s row key and a protobuf Row holding every column type', () => {
  const net = deployed();
  ok(net.invoke('assets', ['issue', 'gold', '7', 'alice', '-5', '-9000000000', '4000000000']));
  assert.deepEqual(net.keys('assets'), ['6Assets', '6Assets4gold17']);
  const row = RowMessage.toObject(RowMessage.decode(net.getStateBytes('assets', '6Assets4gold17')!), { longs: String, bytes: String });
  assert.deepEqual(row, {
    columns: [
      { string: 'gold' },
      { uint64: '7' },
      { bytes: Buffer.from('alice').toString('base64') },
      { int32: -5 },
      { int64: '-9000000000' },
      { uint32: 4000000000 },
      { bool: false },
    ],
  });
  // and byte for byte what protobufjs (like Go's proto.Marshal) writes for the same message
  const expected = RowMessage.encode(RowMessage.fromObject({
    columns: [{ string: 'gold' }, { uint64: 7 }, { bytes: Buffer.from('alice') }, { int32: -5 }, { int64: -9000000000 }, { uint32: 4000000000 }, { bool: false }],
  })).finish();
  assert.deepEqual([...net.getStateBytes('assets', '6Assets4gold17')!], [...expected]);
  assert.equal(ok(net.query('assets', ['asset', 'gold', '7'])), JSON.stringify(GOLD_7));
});

test('insertRow answers false for an existing key, replaceRow false for a missing one', () => {
  const net = deployed();
  ok(net.invoke('assets', ['issue', 'gold', '7', 'alice', '1', '1', '1']));
  assert.equal(chaincodeError(net.invoke('assets', ['issue', 'gold', '7', 'bob', '1', '1', '1'])), 'Asset gold/7 already exists');
  const cells = ['STRING:gold', 'UINT64:7', 'BYTES:x', 'INT32:0', 'INT64:0', 'UINT32:0', 'BOOL:true'];
  assert.equal(ok(net.invoke('assets', ['insert', 'Assets', ...cells])), 'false');
  assert.equal(ok(net.invoke('assets', ['replace', 'Assets', ...cells])), 'true');
  assert.equal(ok(net.invoke('assets', ['replace', 'Assets', 'STRING:gold', 'UINT64:8', ...cells.slice(2)])), 'false');
  assert.equal(ok(net.query('assets', ['asset', 'gold', '7'])), JSON.stringify(cells));
});

test('getRow of a missing row is an empty row, not an error (as in Fabric)', () => {
  const net = deployed();
  assert.equal(ok(net.query('assets', ['asset', 'gold', '1'])), '[]');
  assert.equal(ok(net.query('assets', ['get', 'NoTable', 'STRING:x'])), '[]', 'GetRow does not even check the table');
});

test('getRows scans a partial key in key byte order; transfer and freeze replace rows', () => {
  const net = deployed();
  ok(net.invoke('assets', ['issue', 'gold', '12', 'bob', '1', '2', '3']));
  ok(net.invoke('assets', ['issue', 'gold', '7', 'alice', '1', '2', '3']));
  ok(net.invoke('assets', ['issue', 'silver', '1', 'carol', '1', '2', '3']));
  ok(net.invoke('assets', ['issue', '', '1', 'nobody', '1', '2', '3']));
  const gold = JSON.parse(ok(net.query('assets', ['assets', 'gold']))) as string[][];
  assert.deepEqual(gold.map((r) => r.slice(0, 3)), [
    ['STRING:gold', 'UINT64:7', 'BYTES:alice'], // key "...4gold17" sorts before "...4gold212"
    ['STRING:gold', 'UINT64:12', 'BYTES:bob'],
  ]);
  const all = JSON.parse(ok(net.query('assets', ['assets']))) as string[][];
  assert.deepEqual(all.map((r) => r[2]), ['BYTES:nobody', 'BYTES:alice', 'BYTES:bob', 'BYTES:carol'], 'rows with an empty first key are found too');
  assert.equal(ok(net.query('assets', ['rows', 'Assets', 'STRING:gold', 'UINT64:12'])), JSON.stringify([['STRING:gold', 'UINT64:12', 'BYTES:bob', 'INT32:1', 'INT64:2', 'UINT32:3', 'BOOL:false']]));
  assert.equal(ok(net.query('assets', ['assets', 'copper'])), '[]');

  ok(net.invoke('assets', ['transfer', 'gold', '7', 'dave']));
  ok(net.invoke('assets', ['freeze', 'gold', '7']));
  assert.equal(chaincodeError(net.invoke('assets', ['transfer', 'gold', '7', 'erin'])), 'Asset gold/7 is frozen');
  assert.equal(chaincodeError(net.invoke('assets', ['transfer', 'gold', '99', 'erin'])), 'Asset gold/99 not found');
  const row = JSON.parse(ok(net.query('assets', ['asset', 'gold', '7']))) as string[];
  assert.equal(row[2], 'BYTES:dave');
  assert.equal(row[6], 'BOOL:true');
});

test('getRows does not confuse a short key with a longer one sharing its encoded prefix', () => {
  const net = deployed();
  ok(net.invoke('assets', ['define', 'T', 'k:STRING:key', 'j:STRING:key', 'v:INT32']));
  // key "0" encodes as "10", a 10-byte key as "10" + 10 bytes: both start with "1T10"
  ok(net.invoke('assets', ['insert', 'T', 'STRING:0', 'STRING:x', 'INT32:1']));
  ok(net.invoke('assets', ['insert', 'T', 'STRING:abcdefghij', 'STRING:y', 'INT32:2']));
  assert.deepEqual(net.keys('assets').filter((k) => k.startsWith('1T')), ['1T', '1T101x', '1T10abcdefghij1y']);
  assert.equal(ok(net.query('assets', ['rows', 'T', 'STRING:0'])), JSON.stringify([['STRING:0', 'STRING:x', 'INT32:1']]));
  assert.equal(ok(net.query('assets', ['rows', 'T', 'STRING:abcdefghij'])), JSON.stringify([['STRING:abcdefghij', 'STRING:y', 'INT32:2']]));
});

test('a single-column table is read with getRow, as Fabric special-cases it', () => {
  const net = deployed();
  ok(net.invoke('assets', ['define', 'Names', 'name:STRING:key']));
  ok(net.invoke('assets', ['insert', 'Names', 'STRING:ann']));
  ok(net.invoke('assets', ['insert', 'Names', 'STRING:annie']));
  assert.equal(ok(net.query('assets', ['rows', 'Names', 'STRING:ann'])), '[["STRING:ann"]]');
  assert.equal(ok(net.query('assets', ['rows', 'Names'])), '[["STRING:ann"],["STRING:annie"]]');
});

test('deleteRow and deleteTable remove rows and the definition', () => {
  const net = deployed();
  ok(net.invoke('assets', ['issue', 'gold', '7', 'alice', '1', '2', '3']));
  ok(net.invoke('assets', ['issue', '', '1', 'nobody', '1', '2', '3']));
  ok(net.invoke('assets', ['issue', 'tin', '2', 'zed', '1', '2', '3']));
  ok(net.invoke('assets', ['delete', 'Assets', 'STRING:tin', 'UINT64:2']));
  assert.deepEqual(net.keys('assets'), ['6Assets', '6Assets011', '6Assets4gold17']);
  ok(net.invoke('assets', ['define', 'Other', 'k:INT64:key']));
  ok(net.invoke('assets', ['insert', 'Other', 'INT64:-1']));
  ok(net.invoke('assets', ['drop', 'Assets']));
  assert.deepEqual(net.keys('assets'), ['5Other', '5Other2-1'], 'every Assets row went, rows with an empty first key included; Other stayed');
  assert.equal(chaincodeError(net.query('assets', ['table', 'Assets'])), 'chaincode: Table not found');
  assert.equal(chaincodeError(net.invoke('assets', ['issue', 'gold', '8', 'x', '1', '2', '3'])), 'chaincode: Table not found');
});

test('every column type round-trips as a key, including extremes', () => {
  const net = deployed();
  ok(net.invoke('assets', ['define', 'K', 's:STRING:key', 'a:INT32:key', 'b:INT64:key', 'c:UINT32:key', 'd:UINT64:key', 'e:BYTES:key', 'f:BOOL:key']));
  const cells = ['STRING:é', 'INT32:-2147483648', 'INT64:-9223372036854775808', 'UINT32:4294967295', 'UINT64:18446744073709551615', 'BYTES:b', 'BOOL:true'];
  assert.equal(ok(net.invoke('assets', ['insert', 'K', ...cells])), 'true');
  assert.ok(net.keys('assets').includes('1K2é11-214748364820-922337203685477580810429496729520184467440737095516151b4true'));
  assert.equal(ok(net.query('assets', ['get', 'K', ...cells])), JSON.stringify(cells));
  assert.equal(ok(net.query('assets', ['rows', 'K', 'STRING:é', 'INT32:-2147483648'])), JSON.stringify([cells]));
});

test('Fabric\'s error strings, typos included', () => {
  const net = deployed();
  const define = (...args: string[]): string => chaincodeError(net.invoke('assets', ['define', ...args]));
  assert.equal(define('Assets', 'x:STRING:key'), 'CreateTable operation failed. Table Assets already exists.');
  assert.equal(define('T'), 'Invalid column definitions. Tables must contain at least one column.');
  assert.equal(define('T', 'a:STRING:key', 'a:INT32'), 'Invalid table. Table contains duplicate column name \'a\'.');
  assert.equal(define('T', ':STRING:key'), 'Column definition 0 is invalid. Name must be 1 or more characters.');
  assert.equal(define('T', 'a:STRING:key', 'b:9'), 'Column definition b does not have a valid type.');
  assert.equal(define('T', 'a:STRING', 'b:INT32'), 'Inavlid table. One or more columns must be a key.');
  assert.equal(define('', 'a:STRING:key'), 'CreateTable operation failed. Inavlid table name. Table name must be 1 or more characters.');
  assert.equal(chaincodeError(net.query('assets', ['table', ''])), 'Inavlid table name. Table name must be 1 or more characters.');

  ok(net.invoke('assets', ['define', 'T', 'k:STRING:key', 'v:BOOL']));
  assert.equal(chaincodeError(net.invoke('assets', ['insert', 'T', 'STRING:a'])), 'Table \'T\' defines 2 columns, but row has 1 columns.');
  assert.equal(chaincodeError(net.invoke('assets', ['insert', 'T', 'STRING:a', 'INT32:1'])), 'The type for table \'T\', column \'v\' is \'BOOL\', but the column in the row does not match.');
  assert.equal(chaincodeError(net.invoke('assets', ['replace', 'Nope', 'STRING:a'])), 'chaincode: Table not found');
  assert.equal(chaincodeError(net.query('assets', ['rows', 'Nope'])), 'chaincode: Table not found');
  assert.equal(chaincodeError(net.invoke('assets', ['drop', ''])), 'Inavlid table name. Table name must be 1 or more characters.');
  assert.deepEqual(net.keys('assets'), ['1T', '6Assets'], 'failed calls wrote nothing');
});

test('table writes fail in a query with the host\'s read-only error, wrapped as Fabric wraps it', () => {
  const net = deployed();
  ok(net.invoke('assets', ['define', 'T', 'k:STRING:key']));
  ok(net.invoke('assets', ['insert', 'T', 'STRING:a']));
  const readOnly = (verb: string): string => `[mock-tx-${verb}]Cannot handle ${verb} in query context`;
  const query = (args: string[], verb: string): string => chaincodeError(net.query('assets', args, { txid: `mock-tx-${verb}` }));
  assert.equal(query(['insert', 'T', 'STRING:b'], 'PUT_STATE'), `Error inserting row in table T: ${readOnly('PUT_STATE')}`);
  assert.equal(query(['replace', 'T', 'STRING:a'], 'PUT_STATE'), `Error inserting row in table T: ${readOnly('PUT_STATE')}`);
  assert.equal(query(['define', 'U', 'k:STRING:key'], 'PUT_STATE'), `Error inserting table in state: ${readOnly('PUT_STATE')}`);
  assert.equal(query(['delete', 'T', 'STRING:a'], 'DEL_STATE'), `DeleteRow operation error. Error deleting row: ${readOnly('DEL_STATE')}`);
  assert.equal(query(['drop', 'T'], 'DEL_STATE'), `Error deleting table: ${readOnly('DEL_STATE')}`);
  assert.deepEqual(net.keys('assets'), ['1T', '1T1a', '6Assets']);
});
