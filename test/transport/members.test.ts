// The member list a person writes (id=peerId@host:port, …), its errors, and address parsing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatMemberList, Membership, MemberListError, parseMemberList, replicaOf } from '../../network/transport/members.ts';
import { parseAddressList, parseHostPort, toMultiaddr } from '../../network/transport/addresses.ts';
import { makePeers } from './helpers.ts';

const [a, b, c] = await makePeers(['vp0', 'vp1', 'nvp0']);
if (!a || !b || !c) throw new Error('no peers');

test('parses ids, peer ids and optional addresses; vpN ids are validators', () => {
  const text = `
    # validators
    vp0=${a.peerId}@10.0.0.1:7051, vp1=${b.peerId}@[::1]:7151
    nvp0=${c.peerId}   # dials in
  `;
  const inputs = parseMemberList(text);
  assert.deepEqual(inputs, [
    { id: 'vp0', peerId: a.peerId, address: '10.0.0.1:7051' },
    { id: 'vp1', peerId: b.peerId, address: '[::1]:7151' },
    { id: 'nvp0', peerId: c.peerId, address: undefined },
  ]);
  const membership = new Membership(inputs);
  assert.deepEqual(
    membership.all().map((m) => [m.id, m.validator, m.address, m.publicKey.byteLength]),
    [
      ['vp0', true, { host: '10.0.0.1', port: 7051 }, 32],
      ['vp1', true, { host: '::1', port: 7151 }, 32],
      ['nvp0', false, undefined, 32],
    ],
  );
  assert.equal(membership.byPeerId(b.peerId)?.id, 'vp1');
  assert.equal(replicaOf('vp12'), 12);
  assert.equal(replicaOf('vp01'), undefined);
});

test('formatMemberList writes what parseMemberList reads back', () => {
  const inputs = [
    { id: 'vp0', peerId: a.peerId, address: 'vp0.example.org:7051' },
    { id: 'vp1', peerId: b.peerId, address: '[::1]:7151' },
    { id: 'nvp0', peerId: c.peerId },
  ];
  const text = formatMemberList(inputs);
  assert.equal(text, `vp0=${a.peerId}@vp0.example.org:7051,vp1=${b.peerId}@[::1]:7151,nvp0=${c.peerId}`);
  assert.deepEqual(parseMemberList(text), inputs.map((m) => ({ address: undefined, ...m })));
  assert.deepEqual(parseMemberList('  \n# nothing\n'), []);
});

test('errors name the entry and what is wrong', () => {
  const cases: [string, string][] = [
    [`vp0:${a.peerId}`, `member list entry 1 ("vp0:${a.peerId}"): expected id=peerId or id=peerId@host:port`],
    ['vp0=abc', 'member list entry 1 ("vp0=abc"): "abc" is not a libp2p peer id (expected base58 like 12D3KooW…)'],
    [`vp0=${a.peerId}@`, `member list entry 1 ("vp0=${a.peerId}@"): nothing after "@"; give host:port or leave out the "@"`],
    [`vp0=${a.peerId}@host`, `member list entry 1 ("vp0=${a.peerId}@host"): the address must be host:port (e.g. 10.0.0.1:7051), got "host"`],
    [`vp0=${a.peerId}@h:70000`, `member list entry 1 ("vp0=${a.peerId}@h:70000"): the address must be host:port (e.g. 10.0.0.1:7051), got "h:70000"`],
    [`vp0=${a.peerId},v/p=${b.peerId}`, `member list entry 2 ("v/p=${b.peerId}"): the id "v/p" may hold only letters, digits, ".", "_" and "-"`],
    [`=${a.peerId}`, `member list entry 1 ("=${a.peerId}"): the id is empty`],
    [`vp0=${a.peerId},vp0=${b.peerId}`, 'The member list names "vp0" twice'],
    [`vp0=${a.peerId},vp1=${a.peerId}`, `"vp0" and "vp1" have the same peer id ${a.peerId}; each member needs its own key`],
    // An RSA/legacy CIDv0 id: valid libp2p, but not Ed25519.
    ['vp0=QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N', 'member list entry 1 ("vp0=QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N"): "QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N" is not an Ed25519 peer id (its key is RSA); weft members use Ed25519 keys (12D3KooW…)'],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseMemberList(text), (error: unknown) => {
      assert.ok(error instanceof MemberListError, `${text}: ${String(error)}`);
      assert.equal(error.message, message);
      return true;
    });
  }
});

test('host:port parsing and multiaddrs', () => {
  assert.deepEqual(parseHostPort(':7051', 'x'), { host: '0.0.0.0', port: 7051 });
  assert.deepEqual(parseHostPort('[fe80::1]:1', 'x'), { host: 'fe80::1', port: 1 });
  assert.equal(toMultiaddr(parseHostPort('10.1.2.3:7051', 'x')).toString(), '/ip4/10.1.2.3/tcp/7051');
  assert.equal(toMultiaddr(parseHostPort('[::1]:7051', 'x')).toString(), '/ip6/::1/tcp/7051');
  assert.equal(toMultiaddr(parseHostPort('vp0:7051', 'x')).toString(), '/dns/vp0/tcp/7051');
  assert.deepEqual(parseAddressList('vp0:7051, ,10.0.0.2:7051', 'peer.discovery.rootnode'), [
    { host: 'vp0', port: 7051 },
    { host: '10.0.0.2', port: 7051 },
  ]);
  assert.throws(() => parseAddressList('vp0', 'peer.discovery.rootnode'), { message: 'peer.discovery.rootnode must be host:port (e.g. 10.0.0.1:7051), got "vp0"' });
  assert.throws(() => parseHostPort('[nope]:1', 'peer.address'), { message: 'peer.address: "nope" in brackets is not an IPv6 address' });
  assert.throws(() => parseHostPort('a_b:1', 'peer.address'), { message: 'peer.address: "a_b" is not an IP address or host name' });
});
