// weft's block explorer in the browser: plain JavaScript, no build step, no library. It reads the
// peer's /weft/… routes a page at a time (never the whole chain) and follows the chain live
// through the peer's event hub (WebSocket, BLOCK and REJECTION interests); when the hub cannot be
// reached it polls instead and keeps trying the hub. Everything shown came from the chain, so
// from clients and chaincode: it is only ever put in the page as text (textContent), never as HTML.

/** Block summaries fetched per page. */
const PAGE_BLOCKS = 20;
/** Rows kept in the latest-blocks table; older ones are dropped as new blocks arrive. */
const ROWS_MAX = 200;
/** Rejections kept in the live list. */
const REJECTIONS_MAX = 50;
/** Milliseconds between refreshes of the network panel (view, primary, heights). */
const NETWORK_REFRESH_MS = 3_000;
/** Milliseconds between polls while the event hub is unreachable, and between reconnection attempts. */
const POLL_MS = 2_000;
const RECONNECT_MS = 5_000;
/** Milliseconds block events are gathered before their summaries are fetched in one request. */
const GATHER_MS = 50;
/** Chaincodes per page; while they fit in one, the list is reloaded with the network panel. */
const PAGE_CHAINCODES = 20;
/** Transactions of a block shown per page in the block view. */
const TX_PAGE = 100;

const $ = (id) => document.getElementById(id);

/** An element with attributes and children (strings become text nodes, never HTML). */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') element.className = value;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

function short(text, keep = 12) {
  const value = String(text ?? '');
  return value.length > keep + 1 ? `${value.slice(0, keep)}…` : value;
}

function time(iso) {
  if (!iso) return '–';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '–' : date.toLocaleString();
}

function blockLink(number) {
  return h('a', { href: `#/block/${number}` }, String(number));
}

function txLink(txid, keep = 12) {
  return h('a', { href: `#/tx/${encodeURIComponent(txid)}`, class: 'mono', title: txid }, short(txid, keep));
}

/** A decoded argument or payload: {text} or {hex}, maybe truncated. */
function bytesView(value) {
  if (!value) return '';
  const shown = value.text !== undefined ? h('span', { class: 'arg' }, value.text) : h('span', { class: 'arg hex mono' }, value.hex ?? '');
  if (value.truncated) shown.append(h('span', { class: 'muted' }, ` … (${value.bytes} bytes)`));
  return shown;
}

function argsView(tx) {
  if (tx.payloadError) return h('span', { class: 'bad' }, tx.payloadError);
  if (tx.confidential) return h('span', { class: 'muted' }, tx.payloadBytes === undefined ? 'confidential' : `confidential (${tx.payloadBytes} bytes, encrypted)`);
  const args = (tx.args ?? []).map(bytesView);
  if (tx.argsTotal) args.push(h('span', { class: 'muted' }, `(${tx.argsTotal} arguments in all)`));
  return h('span', {}, args);
}

function showError(message) {
  const box = $('error');
  box.textContent = message;
  box.hidden = !message;
}

async function getJson(path) {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  let body;
  try {
    body = await response.json();
  } catch {
    throw new Error(`${path}: answer is not JSON (HTTP ${response.status})`);
  }
  if (!response.ok) throw new Error(body?.Error ?? `${path}: HTTP ${response.status}`);
  return body;
}

// ---------------------------------------------------------------------------------------------
// latest blocks

const state = {
  /** Highest block number shown in the table. */
  shownHead: -1,
  /** Lowest block number shown (for "older"). */
  shownTail: Infinity,
  /** Highest block number announced by the hub and not yet fetched. */
  pendingHead: -1,
  gatherTimer: 0,
  socket: null,
  pollTimer: 0,
  eventsAddress: null,
};

function setHeight(height) {
  if (typeof height === 'number') $('height').textContent = String(height);
}

function blockRow(block, fresh) {
  return h(
    'tr',
    { class: fresh ? 'new' : undefined, 'data-block': block.number },
    h('td', {}, blockLink(block.number)),
    h('td', {}, String(block.transactions)),
    h('td', { class: block.rejected > 0 ? 'bad' : undefined }, String(block.rejected)),
    h('td', {}, String(block.events)),
    h('td', {}, time(block.committedAt)),
    h('td', { class: 'mono', title: block.hash ?? '' }, short(block.hash, 16)),
    h('td', {}, (block.txids ?? []).map((txid) => [txLink(txid), ' ']), block.transactions > (block.txids ?? []).length ? h('span', { class: 'muted' }, '…') : ''),
  );
}

/** Puts summaries (newest first) into the table: above the shown head, or below the tail. */
function addBlocks(blocks, { fresh }) {
  const body = $('blocks').tBodies[0];
  // Blocks far above what is shown (a long disconnection): start the table again from them.
  if (state.shownHead >= 0 && blocks.length > 0 && Math.min(...blocks.map((b) => b.number)) > state.shownHead + 1) {
    body.replaceChildren();
    state.shownHead = -1;
    state.shownTail = Infinity;
  }
  const newer = blocks.filter((b) => b.number > state.shownHead).sort((a, b) => b.number - a.number);
  const older = blocks.filter((b) => b.number < state.shownTail).sort((a, b) => b.number - a.number);
  if (state.shownHead < 0) {
    for (const block of newer) body.append(blockRow(block, false));
  } else {
    const rows = newer.map((block) => blockRow(block, fresh));
    body.prepend(...rows);
    for (const block of older) if (block.number < state.shownHead) body.append(blockRow(block, false));
  }
  for (const block of blocks) {
    state.shownHead = Math.max(state.shownHead, block.number);
    state.shownTail = Math.min(state.shownTail, block.number);
  }
  while (body.rows.length > ROWS_MAX) {
    body.deleteRow(body.rows.length - 1);
    const last = body.rows[body.rows.length - 1];
    state.shownTail = Number(last?.dataset.block ?? state.shownTail);
  }
  $('older').hidden = state.shownTail <= 0;
}

async function loadLatest() {
  const page = await getJson(`/weft/blocks?count=${PAGE_BLOCKS}`);
  setHeight(page.height);
  addBlocks(page.blocks, { fresh: state.shownHead >= 0 });
}

async function loadOlder() {
  if (!(state.shownTail > 0)) return;
  const page = await getJson(`/weft/blocks?from=${state.shownTail - 1}&count=${PAGE_BLOCKS}`);
  addBlocks(page.blocks, { fresh: false });
}

/** A block was announced: gather announcements briefly, then fetch every missing summary at once. */
function announceBlock(number) {
  state.pendingHead = Math.max(state.pendingHead, number);
  setHeight(number + 1);
  if (state.gatherTimer) return;
  state.gatherTimer = setTimeout(async () => {
    state.gatherTimer = 0;
    const head = state.pendingHead;
    if (head <= state.shownHead) return;
    const count = Math.min(100, head - state.shownHead);
    try {
      const page = await getJson(`/weft/blocks?from=${head}&count=${count}`);
      setHeight(page.height);
      addBlocks(page.blocks, { fresh: true });
      showError('');
    } catch (error) {
      showError(`Could not load block ${head}: ${error.message}`);
    }
  }, GATHER_MS);
}

// ---------------------------------------------------------------------------------------------
// live updates: the event hub

function setLive(on, text) {
  const badge = $('live');
  badge.className = `live ${on ? 'on' : 'off'}`;
  badge.textContent = text;
}

/** The hub's WebSocket URL: its port, at the host this page was loaded from when the hub listens on all interfaces. */
function hubUrl(address) {
  const match = /^(.*):(\d+)$/.exec(address);
  if (!match) return null;
  const host = ['0.0.0.0', '127.0.0.1', '[::]', '::', ''].includes(match[1]) ? location.hostname : match[1];
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${match[2]}`;
}

function connectHub() {
  const url = state.eventsAddress ? hubUrl(state.eventsAddress) : null;
  if (!url) {
    setLive(false, 'polling (no event hub)');
    startPolling();
    return;
  }
  let registered = false;
  const socket = new WebSocket(url);
  state.socket = socket;
  socket.addEventListener('open', () => {
    // FILTERED_BLOCK (4): the page only needs each new block's number, not the block built as JSON.
    socket.send(JSON.stringify({ register: { events: [{ eventType: 4 }, { eventType: 3 }] } }));
  });
  socket.addEventListener('message', (message) => {
    let event;
    try {
      event = JSON.parse(message.data);
    } catch {
      return;
    }
    if (event.register) {
      registered = true;
      stopPolling();
      setLive(true, 'live');
      // Blocks committed between the first page and the registration are fetched now.
      loadLatest().catch((error) => showError(error.message));
    } else if (event.filteredBlock && Number.isSafeInteger(event.filteredBlock.blockNumber)) {
      announceBlock(event.filteredBlock.blockNumber);
    } else if (event.rejection) {
      addRejection(event.rejection);
    } else if (event.error) {
      showError(`The event hub refused the page's registration: ${event.error}`);
    }
  });
  socket.addEventListener('close', () => {
    if (state.socket !== socket) return;
    state.socket = null;
    setLive(false, registered ? 'reconnecting (polling)' : 'polling (event hub unreachable)');
    startPolling();
    setTimeout(connectHub, RECONNECT_MS);
  });
}

function startPolling() {
  if (state.pollTimer) return;
  state.pollTimer = setInterval(() => loadLatest().catch((error) => showError(error.message)), POLL_MS);
}

function stopPolling() {
  clearInterval(state.pollTimer);
  state.pollTimer = 0;
}

function addRejection(rejection) {
  const body = $('rejections').tBodies[0];
  const txid = String(rejection.tx?.txid ?? '');
  body.prepend(h('tr', { class: 'new' }, h('td', {}, txLink(txid)), h('td', { class: 'bad' }, String(rejection.errorMsg ?? ''))));
  while (body.rows.length > REJECTIONS_MAX) body.deleteRow(body.rows.length - 1);
}

// ---------------------------------------------------------------------------------------------
// network and chaincodes

async function refreshNetwork() {
  const network = await getJson('/weft/network');
  const self = network.self ?? {};
  const consensus = self.consensus ?? {};
  $('peer-id').textContent = `peer ${self.id ?? '?'}`;
  setHeight(self.height);
  state.eventsAddress = self.events ?? null;
  $('view').textContent = consensus.view !== undefined ? String(consensus.view) : '–';
  $('primary').textContent = consensus.primary ?? '–';
  const rows = [
    ['consensus', consensus.plugin ?? '–'],
    ['view', consensus.view !== undefined ? `${consensus.view}${consensus.activeView === false ? ' (view change under way)' : ''}` : '–'],
    ['primary', consensus.primary ?? '–'],
    ['replicas', consensus.N !== undefined ? `N=${consensus.N}, f=${consensus.f}` : '–'],
    ['last executed', consensus.lastExec ?? '–'],
    ['last stable checkpoint', consensus.watermarks?.low ?? '–'],
  ];
  $('consensus').tBodies[0].replaceChildren(...rows.map(([name, value]) => h('tr', {}, h('th', {}, name), h('td', {}, String(value)))));
  const peers = [{ id: self.id, address: 'this peer', validator: true, height: self.height }, ...(network.peers ?? [])];
  $('peers').tBodies[0].replaceChildren(
    ...peers.map((peer) =>
      h(
        'tr',
        {},
        h('td', {}, String(peer.id ?? '')),
        h('td', { class: 'mono' }, String(peer.address ?? '')),
        h('td', {}, peer.validator ? (consensus.primary === peer.id ? 'validator, primary' : 'validator') : 'non-validating'),
        h('td', { class: peer.height === null ? 'bad' : undefined, title: peer.error ?? '' }, peer.height === null ? 'no answer' : String(peer.height)),
      ),
    ),
  );
}

let chaincodesAfter = '';
/** Loads the next page of chaincodes; `again` reloads the list from the first page (new deploys). */
async function loadChaincodes(again = false) {
  if (again) chaincodesAfter = '';
  const page = await getJson(`/weft/chaincodes?count=${PAGE_CHAINCODES}${chaincodesAfter ? `&after=${encodeURIComponent(chaincodesAfter)}` : ''}`);
  const body = $('chaincodes').tBodies[0];
  if (again) body.replaceChildren();
  for (const cc of page.chaincodes) {
    body.append(
      h(
        'tr',
        {},
        h('td', { class: 'mono', title: cc.name }, short(cc.name, 16)),
        h('td', { class: 'mono' }, cc.path ?? ''),
        h('td', {}, cc.deployedIn === null || cc.deployedIn === undefined ? '–' : blockLink(cc.deployedIn)),
        h('td', {}, cc.codeBytes !== undefined ? `${(cc.codeBytes / 1024).toFixed(1)} KiB` : '–'),
        h('td', {}, cc.recordError ? h('span', { class: 'bad' }, cc.recordError) : argsView(cc)),
      ),
    );
  }
  chaincodesAfter = page.next ?? '';
  $('more-chaincodes').hidden = !page.next;
}

// ---------------------------------------------------------------------------------------------
// block and transaction views (#/block/N, #/tx/ID)

function fields(rows) {
  return h('table', { class: 'fields' }, h('tbody', {}, rows.map(([name, value]) => h('tr', {}, h('th', {}, name), h('td', {}, value)))));
}

function transactionsTable(list) {
  return h(
    'table',
    { id: 'block-transactions' },
    h('thead', {}, h('tr', {}, h('th', {}, 'transaction'), h('th', {}, 'type'), h('th', {}, 'chaincode'), h('th', {}, 'arguments'), h('th', {}, 'time'))),
    h(
      'tbody',
      {},
      list.map((tx) => h('tr', {}, h('td', {}, txLink(tx.txid, 36)), h('td', {}, tx.type), h('td', { class: 'mono', title: tx.chaincode ?? '' }, short(tx.chaincode, 16)), h('td', {}, argsView(tx)), h('td', {}, time(tx.timestamp)))),
    ),
  );
}

async function showBlock(number, offset = 0) {
  const block = await getJson(`/weft/blocks/${number}?offset=${offset}&count=${TX_PAGE}`);
  const parts = [
    h('h2', {}, `Block ${block.number}`),
    fields([
      ['hash', h('span', { class: 'mono' }, block.hash ?? '')],
      ['previous block', block.number > 0 ? h('a', { href: `#/block/${block.number - 1}`, class: 'mono' }, block.previousHash) : '–'],
      ['state hash', h('span', { class: 'mono' }, block.stateHash)],
      ['committed', time(block.committedAt)],
      ['transactions', String(block.transactions)],
    ]),
    h('h3', {}, `Transactions ${block.transactions > 0 ? `${offset + 1}–${offset + block.transactionList.length} of ${block.transactions}` : '(none)'}`),
    transactionsTable(block.transactionList),
  ];
  const pager = h('p', {});
  if (offset > 0) pager.append(h('a', { href: `#/block/${number}/${Math.max(0, offset - TX_PAGE)}` }, '← previous transactions'), ' ');
  if (offset + TX_PAGE < block.transactions) pager.append(h('a', { href: `#/block/${number}/${offset + TX_PAGE}` }, 'next transactions →'));
  parts.push(pager);
  if (block.rejectedList.length > 0) {
    parts.push(
      h('h3', {}, `Rejected (left out of the block): ${block.rejected}`),
      h('table', {}, h('tbody', {}, block.rejectedList.map((r) => h('tr', {}, h('td', {}, txLink(r.txid, 36)), h('td', { class: 'bad' }, r.error))))),
    );
  }
  if (block.eventList.length > 0) {
    parts.push(
      h('h3', {}, `Chaincode events: ${block.events}`),
      h('table', {}, h('tbody', {}, block.eventList.map((e) => h('tr', {}, h('td', {}, txLink(e.txID, 36)), h('td', {}, e.eventName), h('td', {}, bytesView(e.payload)))))),
    );
  }
  return parts;
}

async function showTransaction(txid) {
  const found = await getJson(`/weft/transactions/${encodeURIComponent(txid)}`);
  const tx = found.transaction;
  const rows = [
    ['transaction', h('span', { class: 'mono' }, txid)],
    ['status', found.status === 'rejected' ? h('span', { class: 'bad' }, `rejected: ${found.error}`) : found.status],
    ['block', blockLink(found.blockNumber)],
  ];
  if (found.index !== undefined) rows.push(['position in block', String(found.index)]);
  if (tx) {
    rows.push(['type', tx.type], ['chaincode', h('span', { class: 'mono' }, tx.chaincode ?? '')]);
    if (tx.path) rows.push(['path', tx.path]);
    rows.push(['arguments', argsView(tx)], ['time', time(tx.timestamp)]);
  }
  return [h('h2', {}, 'Transaction'), fields(rows)];
}

async function route() {
  const hash = decodeURIComponent(location.hash.replace(/^#\/?/, ''));
  const [kind, id, offset] = hash.split('/');
  const detail = kind === 'block' || kind === 'tx';
  $('home').hidden = detail;
  $('detail').hidden = !detail;
  if (!detail) return;
  const body = $('detail-body');
  body.replaceChildren(h('p', { class: 'muted' }, 'loading…'));
  try {
    if (kind === 'block') {
      if (!/^\d{1,16}$/.test(id ?? '')) throw new Error(`"${id}" is not a block number`);
      body.replaceChildren(...(await showBlock(Number(id), /^\d{1,16}$/.test(offset ?? '') ? Number(offset) : 0)));
    } else {
      body.replaceChildren(...(await showTransaction(id ?? '')));
    }
  } catch (error) {
    body.replaceChildren(h('p', { class: 'error' }, error.message));
  }
}

// ---------------------------------------------------------------------------------------------

async function start() {
  $('search').addEventListener('submit', (event) => {
    event.preventDefault();
    const value = $('search-input').value.trim();
    if (value === '') return;
    location.hash = /^\d{1,16}$/.test(value) ? `#/block/${value}` : `#/tx/${encodeURIComponent(value)}`;
  });
  $('older').addEventListener('click', () => loadOlder().catch((error) => showError(error.message)));
  $('more-chaincodes').addEventListener('click', () => loadChaincodes().catch((error) => showError(error.message)));
  window.addEventListener('hashchange', route);
  route();
  try {
    await refreshNetwork();
    await loadLatest();
    await loadChaincodes();
    showError('');
  } catch (error) {
    showError(`Cannot reach the peer: ${error.message}`);
  }
  connectHub();
  setInterval(() => {
    refreshNetwork().catch((error) => showError(error.message));
    if ($('more-chaincodes').hidden) loadChaincodes(true).catch((error) => showError(error.message));
  }, NETWORK_REFRESH_MS);
}

start();
