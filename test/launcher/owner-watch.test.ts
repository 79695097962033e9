// The owner watch: a peer started for a bench or a test stops once the process that started it is gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { OWNER_PID_ENV, ownerPidFrom, watchOwner } from '../../host/launcher/owner-watch.ts';
import { processExists } from '../../host/process-exists.ts';

test('ownerPidFrom: unset or empty means no owner; anything but a positive integer is refused by name', () => {
  assert.equal(ownerPidFrom({}), undefined);
  assert.equal(ownerPidFrom({ [OWNER_PID_ENV]: '' }), undefined);
  assert.equal(ownerPidFrom({ [OWNER_PID_ENV]: '4242' }), 4242);
  for (const bad of ['0', '-3', '12abc', '1.5', ' 7', '1e3', '99999999999999999999']) {
    assert.throws(() => ownerPidFrom({ [OWNER_PID_ENV]: bad }), { message: new RegExp(`^${OWNER_PID_ENV} must be a process id`) }, bad);
  }
});

test('watchOwner calls back once after the owner exits, and not while it lives or after cancel', async () => {
  const owner = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  try {
    assert.ok(owner.pid !== undefined && other.pid !== undefined);
    assert.equal(processExists(owner.pid), true);
    let calls = 0;
    const gone = new Promise<void>((resolve) => watchOwner(owner.pid!, () => { calls++; resolve(); }, 20));
    let cancelledCalls = 0;
    const cancel = watchOwner(other.pid, () => cancelledCalls++, 20);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(calls, 0, 'the owner is alive');
    cancel();
    owner.kill('SIGKILL');
    other.kill('SIGKILL');
    await Promise.all([once(owner, 'exit'), once(other, 'exit')]);
    await gone;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(calls, 1);
    assert.equal(cancelledCalls, 0, 'a cancelled watch stays silent');
    assert.equal(processExists(owner.pid), false);
  } finally {
    owner.kill('SIGKILL');
    other.kill('SIGKILL');
  }
});
