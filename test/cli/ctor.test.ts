// The CLI's -c and -a parsing, with Fabric's messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAttributes, parseCtor } from '../../host/cli/ctor.ts';

test('both ctor forms, keys case-insensitive', () => {
  assert.deepEqual(parseCtor('{"Args":["init","a","100"]}'), { args: ['init', 'a', '100'] });
  assert.deepEqual(parseCtor('{"Function":"init","Args":["a","100"]}'), { function: 'init', args: ['a', '100'] });
  assert.deepEqual(parseCtor('{"function":"q","args":[]}'), { function: 'q', args: [] });
  assert.deepEqual(parseCtor('{}'), { args: [] });
});

test('anything else is refused with Fabric\'s message', () => {
  const keys = "Non-empty JSON chaincode parameters must contain the following keys: 'Args' or 'Function' and 'Args'";
  for (const bad of ['{"Foo":1}', '{"Function":"f"}', '[]', '"x"']) assert.throws(() => parseCtor(bad), { message: keys }, bad);
  assert.throws(() => parseCtor('{"Args":[1]}'), /Args must be an array of strings/);
  assert.throws(() => parseCtor('{'), /Chaincode argument error/);
  assert.deepEqual(parseAttributes('["position","company"]'), ['position', 'company']);
  assert.throws(() => parseAttributes('{"a":1}'), /attributes must be a JSON array of strings/);
});
