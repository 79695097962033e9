// Structured logs: the level spec (Fabric's level names, per-module overrides), JSON lines a
// machine can parse (one module key each), text lines a person can read, a clear error for a
// bad level or format; and a real `weft node start` obeying CORE_LOGGING_LEVEL and
// CORE_LOGGING_FORMAT=json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { EventClient } from '../../host/events/event-client.ts';
import { EventType } from '../../host/events/interests.ts';
import { createLogger, parseLevelSpec, parseLogFormat } from '../../host/logging.ts';
import { REPO_ROOT } from '../integration/harness.ts';

/** A destination that keeps what is written, line by line. */
function sink(): { stream: Writable; lines: () => string[] } {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      text += String(chunk);
      callback();
    },
  });
  return { stream, lines: () => text.split('\n').filter((line) => line !== '') };
}

/** pino writes asynchronously to a stream; lines are there after a turn. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

test('a level spec is a default level and per-module levels, in Fabric\'s names', () => {
  const spec = parseLevelSpec('warning,pbft=debug:events=DEBUG, rest = error');
  assert.equal(spec.default, 'warning');
  assert.deepEqual([...spec.modules], [['pbft', 'debug'], ['events', 'debug'], ['rest', 'error']]);
  assert.equal(parseLevelSpec('WARN').default, 'warning');
  assert.equal(parseLevelSpec('').default, 'info');
  assert.throws(() => parseLevelSpec('info,pbft=chatty'), /Unknown logging level "chatty": use one of critical, error, warning, notice, info, debug/);
  assert.equal(parseLogFormat('JSON'), 'json');
  assert.equal(parseLogFormat(''), undefined);
  assert.throws(() => parseLogFormat('xml'), /CORE_LOGGING_FORMAT must be json or text, got "xml"/);
  assert.throws(() => createLogger({ level: 'info', format: 'yaml' }), /CORE_LOGGING_FORMAT must be json or text, got "yaml"/);
});

test('JSON lines: each module at its own level, one module key per line, base fields and the event\'s fields', async () => {
  const out = sink();
  const log = createLogger({ level: 'warning,pbft=debug', format: 'json', destination: out.stream, base: { peer: 'vp2' } });
  log.info('hidden: peer is at warning');
  log.warning('Disk almost full', { freeBytes: 1024 });
  const pbft = log.child('pbft');
  pbft.debug('sending view-change', { view: 3 });
  pbft.child('transport').info('hidden: transport is at warning');
  log.child('events').critical('stopped');
  await settle();
  const lines = out.lines();
  for (const line of lines) assert.equal(line.match(/"module":/g)?.length, 1, line);
  const parsed = lines.map((line) => {
    const { time, ...rest } = JSON.parse(line) as Record<string, unknown>;
    assert.match(String(time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    return rest;
  });
  assert.deepEqual(parsed, [
    { level: 'warning', peer: 'vp2', module: 'peer', freeBytes: 1024, msg: 'Disk almost full' },
    { level: 'debug', peer: 'vp2', module: 'pbft', view: 3, msg: 'sending view-change' },
    { level: 'critical', peer: 'vp2', module: 'events', msg: 'stopped' },
  ]);
  assert.equal(pbft.isDebug(), true);
  assert.equal(log.isDebug(), false);
});

test('text lines: time, level, [module], message, then key=value fields, quoted when they hold spaces', async () => {
  const out = sink();
  const log = createLogger({ level: 'info', format: 'text', destination: out.stream });
  log.child('statetransfer').info('State transfer', { from: 10, to: 99, state: 'deltas', error: 'peer vp1 timed out' });
  await settle();
  const [line] = out.lines();
  assert.match(line ?? '', /^\d\d:\d\d:\d\d\.\d{3} INFO     \[statetransfer\] State transfer from=10 to=99 state=deltas error="peer vp1 timed out"$/);
});

test('weft node start logs as CORE_LOGGING_LEVEL and CORE_LOGGING_FORMAT=json say', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'weft-log-'));
  const child = spawn(process.execPath, [join(REPO_ROOT, 'host', 'cli', 'main.ts'), 'node', 'start'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      CORE_PEER_ID: 'vp0',
      CORE_PEER_FILESYSTEMPATH: dir,
      CORE_REST_ADDRESS: '127.0.0.1:0',
      CORE_PEER_VALIDATOR_EVENTS_ADDRESS: '127.0.0.1:0',
      CORE_LOGGING_LEVEL: 'warning,events=debug',
      CORE_LOGGING_FORMAT: 'json',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += String(chunk)));
  child.stderr.on('data', (chunk) => (stderr += String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const rest = await new Promise<string>((resolve, reject) => {
      const check = (): void => {
        const match = /REST (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
        if (match) resolve(match[1] as string);
      };
      child.stdout.on('data', check);
      child.once('exit', () => reject(new Error(`the peer exited: ${stderr}`)));
    });
    const status = (await (await fetch(`${rest}/weft/status`)).json()) as { events: string };
    const client = await EventClient.connect({ address: status.events, interests: [{ eventType: EventType.BLOCK }], onEvent: () => {} });
    await client.close();
    for (let i = 0; i < 100 && !stderr.includes('Event consumer connected'); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  } finally {
    child.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  }
  const lines = stderr.split('\n').filter((line) => line !== '');
  const records = lines.map((line) => JSON.parse(line) as { level: string; module: string; msg: string; peer: string });
  assert.ok(records.length > 0, 'at least the consumer line');
  for (const record of records) {
    // Everything below warning comes from the one module set to debug.
    if (!['critical', 'error', 'warning'].includes(record.level)) assert.equal(record.module, 'events', JSON.stringify(record));
    assert.equal(record.peer, 'vp0');
  }
  assert.ok(records.some((r) => r.level === 'debug' && r.module === 'events' && r.msg === 'Event consumer connected'), stderr);
  assert.ok(!records.some((r) => r.msg === 'Peer started'), 'a notice, below warning');
});
