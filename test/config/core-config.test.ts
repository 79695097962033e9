// core.yaml loading with CORE_* overrides (Fabric's viper semantics), durations and addresses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreConfig, ConfigError } from '../../host/config/core-config.ts';
import { parseDurationMs } from '../../host/config/duration.ts';
import { parseHostPort, dialableHost } from '../../host/config/addresses.ts';

test('defaults carry Fabric\'s key names and values', () => {
  const config = CoreConfig.load({ env: {} });
  assert.equal(config.string('rest.address'), '0.0.0.0:7050');
  assert.equal(config.string('peer.listenAddress'), '0.0.0.0:7051');
  assert.equal(config.string('peer.validator.events.address'), '0.0.0.0:7053');
  assert.equal(config.string('peer.validator.consensus.plugin'), 'noops');
  assert.equal(config.bool('security.enabled'), false);
  assert.equal(config.number('ledger.state.deltaHistorySize'), 500);
  assert.equal(config.number('noops.block.size'), 500);
  assert.equal(config.durationMs('noops.block.wait'), 1000);
  assert.equal(config.string('rest.validPatterns.enrollmentID'), '^\\w+$');
});

test('CORE_* variables override keys case-insensitively, typed like the default', () => {
  const config = CoreConfig.load({
    env: { CORE_PEER_ID: 'vp1', CORE_SECURITY_ENABLED: 'true', CORE_NOOPS_BLOCK_SIZE: '7', CORE_PEER_FILESYSTEMPATH: '/tmp/x', CORE_UNKNOWN_KEY: 'ignored' },
  });
  assert.equal(config.string('peer.id'), 'vp1');
  assert.equal(config.bool('security.enabled'), true);
  assert.equal(config.number('noops.block.size'), 7);
  assert.equal(config.string('peer.fileSystemPath'), '/tmp/x');
  assert.equal(config.get('unknown.key'), undefined);
});

test('a bad value in the environment is a clear error naming the variable', () => {
  assert.throws(() => CoreConfig.load({ env: { CORE_NOOPS_BLOCK_SIZE: 'many' } }), (e: Error) => e instanceof ConfigError && /CORE_NOOPS_BLOCK_SIZE must be a number, got "many"/.test(e.message));
  assert.throws(() => CoreConfig.load({ env: { CORE_SECURITY_ENABLED: 'perhaps' } }), /CORE_SECURITY_ENABLED must be true or false/);
});

test('a user file overrides defaults; the environment overrides the file; explicit overrides win', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'core.yaml');
  writeFileSync(file, 'peer:\n  id: fromfile\n  networkId: mynet\nrest:\n  address: 127.0.0.1:9000\n');
  const config = CoreConfig.load({ file, env: { CORE_REST_ADDRESS: '127.0.0.1:9001' }, overrides: { 'peer.networkId': 'cli' } });
  assert.equal(config.string('peer.id'), 'fromfile');
  assert.equal(config.string('rest.address'), '127.0.0.1:9001');
  assert.equal(config.string('peer.networkId'), 'cli');
  assert.equal(config.string('peer.validator.consensus.plugin'), 'noops');
});

test('unreadable or invalid files are clear errors', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.throws(() => CoreConfig.load({ file: join(dir, 'missing.yaml'), env: {} }), /Cannot read config file/);
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'peer: [unclosed');
  assert.throws(() => CoreConfig.load({ file: bad, env: {} }), /Invalid YAML/);
  const list = join(dir, 'list.yaml');
  writeFileSync(list, '- a\n- b\n');
  assert.throws(() => CoreConfig.load({ file: list, env: {} }), /must hold a mapping/);
});

test('Go durations', () => {
  assert.equal(parseDurationMs('1s'), 1000);
  assert.equal(parseDurationMs('500ms'), 500);
  assert.equal(parseDurationMs('1m30s'), 90_000);
  assert.equal(parseDurationMs('2h'), 7_200_000);
  assert.equal(parseDurationMs('1.5s'), 1500);
  assert.equal(parseDurationMs('250'), 250);
  assert.equal(parseDurationMs(0), 0);
  for (const bad of ['', 's', '1x', '1s2', '-1s', 'soon']) assert.throws(() => parseDurationMs(bad), /Invalid duration/, bad);
});

test('host:port addresses', () => {
  assert.deepEqual(parseHostPort('0.0.0.0:7050', 'rest.address'), { host: '0.0.0.0', port: 7050 });
  assert.deepEqual(parseHostPort(':7051', 'x'), { host: '0.0.0.0', port: 7051 });
  assert.deepEqual(parseHostPort('[::1]:80', 'x'), { host: '::1', port: 80 });
  assert.deepEqual(parseHostPort('vp0:7051', 'x'), { host: 'vp0', port: 7051 });
  for (const bad of ['7050', 'host:', 'host:99999', 'a:b']) assert.throws(() => parseHostPort(bad, 'rest.address'), /rest.address must be host:port/, bad);
  assert.equal(dialableHost('0.0.0.0'), '127.0.0.1');
  assert.equal(dialableHost('10.0.0.2'), '10.0.0.2');
});
