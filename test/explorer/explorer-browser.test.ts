// The explorer in a real browser: headless Chromium (Debian's chromium package, driven by
// playwright-core; no browser download) against a real peer process. The page goes live on the
// event stream; a transaction committed through REST appears in the latest blocks without a
// reload; its page shows its decoded arguments; a rejected one appears in the rejections.
// Fails (does not skip) when chromium is missing, and says how to install it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { RestClient } from '../../host/rest/client.ts';
import { chaincode } from '../chaincode/built.ts';
import { move, startNetwork, type TestNetwork } from '../integration/harness.ts';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** Milliseconds the page gets for what it should show (generous: the machine may be busy). */
const SHOWN_WITHIN_MS = 20_000;

let network: TestNetwork;
let rest: string;
let name: string;
let profile: string;
let browser: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

before(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: the explorer test needs Debian's chromium package. Install it with: apt-get install -y chromium (as root; apt-get update first if needed)`);
  }
  network = await startNetwork({ peers: 1, consensus: 'noops', env: { CORE_NOOPS_BLOCK_WAIT: '50ms' } });
  rest = network.layout.peers[0]!.restAddress;
  const client = new RestClient(rest);
  name = await client.chaincode('deploy', {
    type: 1,
    chaincodeID: { path: 'chaincode/chaincode_example02' },
    ctorMsg: { args: ['init', 'a', '100', 'b', '200'] },
    codePackage: Buffer.from(chaincode('chaincode_example02')).toString('base64'),
  });
  assert.equal((await client.waitForTransaction(name, 30_000)).status, 'committed');
  profile = await mkdtemp(join(tmpdir(), 'weft-chromium-'));
  browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  page = await browser.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
});

after(async () => {
  await browser?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
  await network?.down();
});

test('the explorer follows the chain live: a committed transaction appears without a reload, with its arguments decoded', async () => {
  await page.goto(`http://${rest}/explorer`);
  await page.waitForSelector('#live.on', { timeout: SHOWN_WITHIN_MS });
  assert.equal(await page.textContent('#live'), 'live');
  assert.equal(await page.textContent('#peer-id'), 'peer vp0');
  // The deploy is already on the page: block 1, and the chaincode in the deployed list.
  await page.waitForSelector(`#blocks a[title="${name}"]`, { timeout: SHOWN_WITHIN_MS });
  await page.waitForSelector(`#chaincodes td[title="${name}"]`, { timeout: SHOWN_WITHIN_MS });
  // A mark on the window: a reload would lose it.
  await page.evaluate(() => ((globalThis as unknown as { weftMark: number }).weftMark = 42));

  const txid = await move(rest, name, 'a', 'b', 10);
  await page.waitForSelector(`#blocks a[title="${txid}"]`, { timeout: SHOWN_WITHIN_MS });
  assert.equal(await page.evaluate(() => (globalThis as unknown as { weftMark?: number }).weftMark), 42, 'the page was not reloaded');
  assert.equal(await page.textContent('#height'), '3');

  await page.click(`#blocks a[title="${txid}"]`);
  await page.waitForSelector('#detail-body h2', { timeout: SHOWN_WITHIN_MS });
  const details = await page.$$eval('#detail-body table.fields tr', (rows) => rows.map((row) => row.textContent ?? ''));
  assert.ok(details.includes('statuscommitted'), details.join(' | '));
  assert.ok(details.includes('block2'), details.join(' | '));
  const args = await page.$$eval('#detail-body .arg', (spans) => spans.map((span) => span.textContent));
  assert.deepEqual(args, ['invoke', 'a', 'b', '10']);
  assert.equal(await page.evaluate(() => (globalThis as unknown as { weftMark?: number }).weftMark), 42);
});

test('a rejected transaction shows up live in the rejections with its error', async () => {
  await page.goto(`http://${rest}/explorer/#/`);
  await page.waitForSelector('#live.on', { timeout: SHOWN_WITHIN_MS });
  const txid = await move(rest, name, 'a', 'b', 'ten' as unknown as number);
  const row = await page.waitForSelector(`#rejections a[title="${txid}"]`, { timeout: SHOWN_WITHIN_MS });
  const text = await row.evaluate((link) => link.closest('tr')?.textContent ?? '');
  assert.match(text, /Invalid transaction amount, expecting a integer value$/);
  assert.deepEqual(pageErrors, [], 'no script errors or refused resources on the page');
});
