// security.tcertBatch.reuse: by default every transaction gets a fresh TCert (Fabric's
// unlinkability); with reuse N, one TCert signs N transactions, each with its own nonce and
// signature, and every validator still accepts each of them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CoreConfig } from '../../host/config/core-config.ts';
import { createLogger } from '../../host/logging.ts';
import { newInvokeTransaction, timestampNow } from '../../host/peer/transactions.ts';
import type { Transaction } from '../../host/protocol/messages.ts';
import { PeerSecurity } from '../../host/security/peer-security.ts';
import { spec, startSecureFixture, type SecureFixture } from './secure-fixture.ts';

let reusing: SecureFixture;
let fresh: SecureFixture;

before(async () => {
  // Settled, not Promise.all: if one fixture fails to start, the one that started must still be
  // closed by after(), or its servers keep the test process alive for ever.
  const [a, b] = await Promise.allSettled([
    startSecureFixture({ diego: 'DRJ23pEQl16a' }, { tcertBatchSize: 4, tcertReuse: 3 }),
    startSecureFixture({ diego: 'DRJ23pEQl16a' }, { tcertBatchSize: 4 }),
  ]);
  if (a.status === 'fulfilled') reusing = a.value;
  if (b.status === 'fulfilled') fresh = b.value;
  for (const settled of [a, b]) if (settled.status === 'rejected') throw settled.reason;
});

after(async () => {
  await Promise.all([reusing?.close(), fresh?.close()]);
});

async function signSome(fixture: SecureFixture, count: number): Promise<Transaction[]> {
  const signed: Transaction[] = [];
  for (let i = 0; i < count; i++) {
    signed.push(await fixture.peer.security!.sign(newInvokeTransaction(spec('cc', ['invoke', String(i)], 'diego'), timestampNow()), 'diego', []));
  }
  return signed;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

test('reuse 3: a TCert signs three transactions, then the next one is used; each transaction has its own nonce and passes every check', async () => {
  const signed = await signSome(reusing, 7);
  const certs = signed.map((t) => hex(t.cert));
  assert.equal(new Set(certs.slice(0, 3)).size, 1);
  assert.equal(new Set(certs.slice(3, 6)).size, 1);
  assert.notEqual(certs[0], certs[3]);
  assert.notEqual(certs[3], certs[6]);
  assert.equal(new Set(signed.map((t) => hex(t.nonce))).size, 7);
  for (const transaction of signed) assert.equal(reusing.peer.security!.checkForExecution(transaction, null).ok, true, transaction.txid);
});

test('default (reuse 1): every transaction carries a fresh TCert', async () => {
  const signed = await signSome(fresh, 5);
  assert.equal(new Set(signed.map((t) => hex(t.cert))).size, 5);
});

test('security.tcertBatch.reuse outside 1–100000 is refused with a clear error', () => {
  for (const value of ['0', '-1', '1.5', '100001']) {
    const config = CoreConfig.load({ env: { CORE_SECURITY_ENABLED: 'true', CORE_SECURITY_TCERTBATCH_REUSE: value } });
    assert.throws(() => new PeerSecurity({ config, dataDir: '/nonexistent', log: createLogger({ level: 'error' }) }), {
      message: `security.tcertBatch.reuse must be 1 to 100000, got ${Number(value)}`,
    });
  }
});
