// Progress of long operations: the terminal line redrawn in place on a TTY, plain lines (the
// state at most every few seconds) in a pipe or CI; and a state transfer logging its progress.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { Ledger } from '../../host/ledger/ledger.ts';
import type { Logger } from '../../host/logging.ts';
import { StateTransfer, StateTransferServer } from '../../host/peer/state-transfer.ts';
import { PLAIN_STATUS_EVERY_MS, createProgress, isInteractive } from '../../host/progress.ts';
import { MemoryHub } from '../../network/transport/memory-transport.ts';
import { blockInput, invoke, openTempLedger, writes } from '../ledger/helpers.ts';

function fakeStream(isTTY: boolean, columns = 40) {
  const out: string[] = [];
  return { out, stream: { isTTY, columns, write: (text: string) => out.push(text) > 0 } as unknown as NodeJS.WritableStream & { isTTY: boolean; columns: number } };
}

test('on a terminal the state is one line redrawn in place, and steps scroll above it', () => {
  let now = 0;
  const { out, stream } = fakeStream(true);
  const progress = createProgress({ stream, plain: false, now: () => now });
  progress.status('building 0/2: map');
  now += 50;
  progress.status('building 0/2: map (0.1 s)'); // too soon after the last redraw
  now += 100;
  progress.status('building 0/2: map, passthru and a name far too long for the terminal');
  progress.step('built    map');
  progress.status('building 1/2: passthru');
  progress.clear();
  assert.deepEqual(out, [
    '\r\x1b[2Kbuilding 0/2: map',
    '\r\x1b[2Kbuilding 0/2: map, passthru and a name…',
    '\r\x1b[2K',
    'built    map\n',
    '\r\x1b[2Kbuilding 1/2: passthru',
    '\r\x1b[2K',
  ]);
});

test('in a pipe or CI every step is a line and the state is printed at most every few seconds', () => {
  let now = 0;
  const { out, stream } = fakeStream(false);
  const progress = createProgress({ stream, now: () => now });
  progress.status('waiting for vp1, vp2');
  now += PLAIN_STATUS_EVERY_MS - 1;
  progress.status('waiting for vp2');
  progress.step('vp1 ready');
  now += 1;
  progress.status('waiting for vp2');
  progress.clear();
  assert.deepEqual(out, ['waiting for vp1, vp2\n', 'vp1 ready\n', 'waiting for vp2\n']);
  assert.equal(isInteractive({ isTTY: true }, { CI: 'true' }), false);
  assert.equal(isInteractive({ isTTY: true }, { TERM: 'dumb' }), false);
  assert.equal(isInteractive({ isTTY: true }, { TERM: 'xterm-256color' }), true);
  assert.equal(isInteractive({ isTTY: false }, {}), false);
});

function capture(): { logger: Logger; lines: Array<{ message: string; fields: Record<string, unknown> | undefined }> } {
  const lines: Array<{ message: string; fields: Record<string, unknown> | undefined }> = [];
  const record = (message: string, fields?: Record<string, unknown>): void => {
    lines.push({ message, fields });
  };
  const logger: Logger = { critical: record, error: record, warning: record, notice: record, info: record, debug: record, child: () => logger, isDebug: () => true };
  return { logger, lines };
}

async function ledgers(t: TestContext, blocks: number): Promise<{ source: Ledger; transfer: StateTransfer; lines: ReturnType<typeof capture>['lines'] }> {
  const hub = new MemoryHub();
  const source = (await openTempLedger(t)).ledger;
  const target = (await openTempLedger(t)).ledger;
  for (let i = 0; i < blocks; i++) {
    const n = source.height();
    await source.commitBlock(blockInput({ transactions: [invoke(`tx-${n}`)], writes: writes('ex02', { [`k${n}`]: `v${n}` }) }));
  }
  const server = hub.create('vp0');
  const client = hub.create('vp1');
  const serving = new StateTransferServer(source, { snapshotIdleMs: 60_000 });
  server.onRequest('sync', (from, payload) => serving.handle(from, payload));
  await server.start();
  await client.start();
  const { logger, lines } = capture();
  const transfer = new StateTransfer(target, client, { blocksPerRequest: 4, maxDeltas: 5, blockTimeoutMs: 2_000, snapshotTimeoutMs: 10_000, log: logger });
  return { source, transfer, lines };
}

test('a state transfer logs its progress, each step ending with its full count', async (t) => {
  const { source, transfer, lines } = await ledgers(t, 12);
  await transfer.syncTo({ height: source.height(), blockHash: source.head().blockHash }, ['vp0']);
  const progress = lines.filter((line) => line.message === 'State transfer progress').map((line) => line.fields);
  // 12 blocks behind, more than maxDeltas: blocks proven backwards, appended, then the state by snapshot.
  assert.deepEqual(progress.filter((f) => f?.done === f?.total), [
    { step: 'blocks proven', done: 12, total: 12 },
    { step: 'blocks appended (state by snapshot next)', done: 12, total: 12 },
  ]);
  // How many chunks a snapshot has is the server's business; the last one is always reported.
  const last = progress.at(-1);
  assert.equal(last?.step, 'snapshot chunks from vp0');
  assert.ok(Number(last?.done) >= 1 && last?.total === undefined, JSON.stringify(last));
  assert.deepEqual(lines.at(-1)?.message, 'State transfer complete');
});
