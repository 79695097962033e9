// The pbft: section of core.yaml (Fabric's TestEnvOverride and its Int/Duration/Bool variants),
// Fabric's checks with their messages, the conversion to ticks, and the relations between the
// core's constants.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CoreConfig } from '../../host/config/core-config.ts';
import { BLOCK_TRANSACTIONS_MAX, TRANSACTION_BYTES_MAX } from '../../host/protocol/limits.ts';
import { PAYLOAD_BYTES_MAX } from '../../network/transport/limits.ts';
import * as C from '../../network/pbft/constants.ts';
import { readPbftConfig, replicaIdOf, replicaOptionsFrom, ticksFor } from '../../network/pbft/config.ts';
import { replicaOptions, validateReplicaOptions } from '../../network/pbft/options.ts';

const load = (env: Record<string, string> = {}, overrides: Record<string, string | number | boolean> = {}): CoreConfig => CoreConfig.load({ env, overrides });

describe('pbft config', () => {
  it("has Fabric's defaults", () => {
    const config = readPbftConfig(load(), 'vp0');
    assert.deepEqual(
      { ...config, adjustments: config.adjustments },
      {
        mode: 'batch',
        N: 4,
        f: 1,
        K: 10,
        logMultiplier: 4,
        L: 40,
        batchSize: 500,
        byzantine: false,
        batchWhenIdle: true,
        viewChangePeriod: 0,
        timeouts: { batchMs: 1000, requestMs: 2000, viewChangeMs: 2000, resendViewChangeMs: 2000, nullRequestMs: 0, broadcastMs: 1000 },
        executorQueueSize: 30,
        replicaId: 0,
        adjustments: [],
      },
    );
  });

  it('takes CORE_PBFT_* overrides: integers, durations and booleans (TestEnvOverride)', () => {
    const config = readPbftConfig(
      load({ CORE_PBFT_GENERAL_N: '7', CORE_PBFT_GENERAL_F: '2', CORE_PBFT_GENERAL_TIMEOUT_REQUEST: '5s', CORE_PBFT_GENERAL_BYZANTINE: 'true', CORE_PBFT_EXECUTOR_QUEUESIZE: '50' }),
      'vp6',
    );
    assert.equal(config.N, 7);
    assert.equal(config.f, 2);
    assert.equal(config.timeouts.requestMs, 5000);
    assert.equal(config.byzantine, true);
    assert.equal(config.executorQueueSize, 50);
    assert.equal(config.replicaId, 6);
    assert.throws(() => load({ CORE_PBFT_GENERAL_N: 'four' }), /CORE_PBFT_GENERAL_N must be a number, got "four"/);
    assert.throws(() => load({ CORE_PBFT_GENERAL_BYZANTINE: 'maybe' }), /CORE_PBFT_GENERAL_BYZANTINE must be true or false/);
  });

  it("refuses what Fabric refuses, with Fabric's words", () => {
    assert.throws(() => readPbftConfig(load({}, { 'pbft.general.mode': 'classic' }), 'vp0'), /Invalid PBFT mode: "classic"/);
    assert.throws(() => readPbftConfig(load({}, { 'pbft.general.N': 3 }), 'vp0'), /need at least 4 enough replicas to tolerate 1 byzantine faults, but only 3 replicas configured/);
    assert.throws(() => readPbftConfig(load({}, { 'pbft.general.logmultiplier': 1 }), 'vp0'), /Log multiplier must be greater than or equal to 2/);
    assert.throws(() => readPbftConfig(load({}, { 'pbft.general.K': 0 }), 'vp0'), /pbft.general.K must be an integer from 1 to 1000, got 0/);
    assert.throws(() => readPbftConfig(load({}, { 'pbft.general.K': 500, 'pbft.general.logmultiplier': 5 }), 'vp0'), /log size K·logmultiplier = 2500 exceeds 2000/);
    assert.throws(() => readPbftConfig(load({}, { 'pbft.general.batchsize': 0 }), 'vp0'), /pbft.general.batchsize must be an integer from 1/);
    assert.throws(() => readPbftConfig(load({}, { 'pbft.general.timeout.batch': 'soon' }), 'vp0'), /pbft.general.timeout.batch: Invalid duration "soon"/);
    assert.throws(() => readPbftConfig(load(), 'jdoe'), /PBFT needs peer.id of the form vpN \(vp0 is replica 0\), got "jdoe"/);
    assert.throws(() => readPbftConfig(load(), 'vp4'), /peer.id vp4 is replica 4, but pbft.general.N is 4: replica ids run from 0 to 3/);
    assert.equal(replicaIdOf('vp12'), 12);
    assert.throws(() => replicaIdOf('vp01'), /vpN/);
  });

  it("applies Fabric's timeout rules: request above batch, null request above request", () => {
    const raised = readPbftConfig(load({}, { 'pbft.general.timeout.batch': '2s', 'pbft.general.timeout.request': '2s', 'pbft.general.timeout.nullrequest': '1s' }), 'vp1');
    assert.equal(raised.timeouts.requestMs, 3000);
    assert.equal(raised.timeouts.nullRequestMs, 4500);
    assert.deepEqual(raised.adjustments, [
      'Configured request timeout must be greater than batch timeout, setting to 3000ms',
      'Configured null request timeout must be greater than request timeout, setting to 4500ms',
    ]);
  });

  it('converts durations to ticks, keeping the strict orderings', () => {
    assert.equal(ticksFor(0, 50), 0);
    assert.equal(ticksFor(1, 50), 1);
    assert.equal(ticksFor(2000, 50), 40);
    assert.equal(ticksFor(2001, 50), 41);
    const options = replicaOptionsFrom(readPbftConfig(load({}, { 'pbft.general.timeout.nullrequest': '5s' }), 'vp2'), { tickMs: 50 });
    assert.equal(options.id, 2);
    assert.equal(options.batchTimeoutTicks, 20);
    assert.equal(options.requestTimeoutTicks, 40);
    assert.equal(options.viewChangeTimeoutTicks, 40);
    assert.equal(options.nullRequestTimeoutTicks, 100);
    assert.equal(options.statusIntervalTicks, 20);
    // With a coarse tick, 1s and 1.5s round to the same tick count; the request timeout stays above.
    const coarse = replicaOptionsFrom(readPbftConfig(load({}, { 'pbft.general.timeout.request': '1100ms' }), 'vp0'), { tickMs: 1000 });
    assert.ok(coarse.requestTimeoutTicks > coarse.batchTimeoutTicks);
  });

  it('validates core options with a clear message', () => {
    assert.throws(() => replicaOptions({ id: 4 }), /replica id must be an integer from 0 to 3, got 4/);
    assert.throws(() => replicaOptions({ id: 0, n: 3 }), /need at least 4 replicas to tolerate 1 byzantine faults/);
    assert.throws(() => replicaOptions({ id: 0, requestTimeoutTicks: 20 }), /request timeout \(20 ticks\) must exceed the batch timeout \(20 ticks\)/);
    assert.throws(() => replicaOptions({ id: 0, nullRequestTimeoutTicks: 30 }), /null request timeout \(30 ticks\) must exceed the request timeout/);
    assert.doesNotThrow(() => validateReplicaOptions(replicaOptions({ id: 0, n: 1, f: 0 })));
  });
});

describe('pbft constants', () => {
  it('hold together', () => {
    assert.equal(C.BATCH_REQUESTS_MAX, BLOCK_TRANSACTIONS_MAX);
    assert.equal(C.REQUEST_PAYLOAD_BYTES_MAX, TRANSACTION_BYTES_MAX);
    assert.ok(C.MESSAGE_BYTES_MAX <= PAYLOAD_BYTES_MAX.consensus, 'a PBFT message must fit the transport');
    assert.ok(C.BATCH_BYTES_MAX < C.MESSAGE_BYTES_MAX, 'a pre-prepare carries a whole batch plus framing');
    assert.ok(C.BATCH_BYTES_MAX > C.REQUEST_PAYLOAD_BYTES_MAX + C.SIGNATURE_BYTES_MAX, 'a maximal transaction fits a batch');
    assert.ok(C.PQ_ENTRIES_MAX >= C.LOG_SIZE_MAX * C.QSET_DIGESTS_PER_SEQNO_MAX, 'the Q set of a maximal log fits a view-change');
    assert.ok(C.CSET_ENTRIES_MAX >= C.LOG_SIZE_MAX + 1, 'a view-change carries every checkpoint in its window, even with K = 1');
    assert.ok(C.CHECKPOINT_PERIOD_MAX * 2 <= C.LOG_SIZE_MAX, 'the largest K still leaves logmultiplier ≥ 2');
    assert.ok(C.REQUEST_COUNTER_RESERVATION < C.DEDUP_RANGES_PER_ORIGIN_MAX * 64);
    assert.ok(C.DIGEST_CHARS_MAX >= 88, 'base64 of a 64-byte hash');
  });
});
