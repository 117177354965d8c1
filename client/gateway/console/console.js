// console.js: the operator console's UI (index.html's views), over api.js.
//
// Everything the API returns is rendered through textContent and DOM
// nodes (el() below), never parsed as HTML. The admin token lives in this
// tab's sessionStorage and travels only in the Authorization header.
import { ApiError, createApi, newIdemKey } from './api.js';

const TOKEN_KEY = 'slot-console-token';
let api = null;

// ---- DOM helpers -----------------------------------------------------------

function $(sel) {
  return document.querySelector(sel);
}

// el('td', {className: 'x'}, 'text', node...): children are strings (text
// nodes) or nodes; attrs are set as properties.
function el(tag, attrs, ...children) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'dataset') {
      Object.assign(n.dataset, v);
    } else {
      n[k] = v;
    }
  }
  for (const c of children) {
    if (c === null || c === undefined) {
      continue;
    }
    n.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return n;
}

function row(cells, attrs) {
  return el('tr', attrs, ...cells.map((c) => el('td', null, c)));
}

function fmtTime(ms) {
  if (!ms) {
    return '';
  }
  return new Date(Number(ms)).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

function formData(form) {
  const out = {};
  for (const [k, v] of new FormData(form).entries()) {
    out[k] = typeof v === 'string' ? v.trim() : v;
  }
  return out;
}

// Every error the API returns: its code and message, on top of the page.
function showError(e, what) {
  const box = $('#errors');
  let code = 'ERROR';
  let msg = String(e);
  if (e instanceof ApiError) {
    code = e.code + (e.status ? ' (' + e.status + ')' : '');
    msg = e.message;
  } else if (e && e.message) {
    msg = e.message;
  }
  const item = el('div', { className: 'error' }, el('code', null, code), (what ? what + ': ' : '') + msg, ' ');
  const close = el('button', { type: 'button' }, 'dismiss');
  close.addEventListener('click', () => item.remove());
  item.append(close);
  box.prepend(item);
  while (box.children.length > 8) {
    box.lastElementChild.remove();
  }
}

async function guarded(what, fn) {
  try {
    return await fn();
  } catch (e) {
    if (e && e.name === 'AbortError') {
      return undefined;
    }
    showError(e, what);
    return undefined;
  }
}

// ---- sign-in and views -----------------------------------------------------

function signIn(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
  api = createApi({ token });
  $('#whoami').textContent = 'Signed in with the admin token (kept in this tab only).';
  $('#signout').hidden = false;
  $('#token').value = '';
  startFeed();
  refreshCluster();
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  api = createApi({ token: '' });
  stopFeed();
  $('#whoami').textContent = 'Signed out.';
  $('#signout').hidden = true;
  refreshCluster();
}

function show(view) {
  for (const s of document.querySelectorAll('.view')) {
    s.hidden = s.id !== 'view-' + view;
  }
  for (const b of document.querySelectorAll('#tabs button')) {
    if (b.dataset.view === view) {
      b.setAttribute('aria-current', 'page');
    } else {
      b.removeAttribute('aria-current');
    }
  }
}

// ---- cluster health --------------------------------------------------------

async function refreshHealth() {
  const body = $('#health-table tbody');
  try {
    const h = await createApi({}).health();
    const lag = Number(h.commit_index) - Number(h.applied_index);
    body.replaceChildren(
      row(['status', el('span', { className: 'ok' }, h.status)]),
      row(['node (reached by the gateway)', h.node]),
      row(['its role', h.role]),
      row(['leader', h.leader_id]),
      row(['term', h.term]),
      row(['commit index', h.commit_index]),
      row(['applied index', h.applied_index]),
      row(['apply lag (entries)', lag]),
      row(['ledger time', fmtTime(h.ledger_time_ms)]),
      row(['checked', fmtTime(Date.now())]),
    );
  } catch (e) {
    const code = e instanceof ApiError ? e.code : 'ERROR';
    body.replaceChildren(row(['status', el('span', { className: 'bad' }, code + ': ' + (e.message || e))]));
  }
}

// Every node of the cluster (GET /v1/cluster, the admin token): one row
// each, the leader's row marked, an unreachable node with its error.
async function refreshCluster() {
  const body = $('#cluster-table tbody');
  const summary = $('#cluster-summary');
  if (!sessionStorage.getItem(TOKEN_KEY)) {
    body.replaceChildren();
    summary.textContent = 'Sign in with the admin token to see every node.';
    return;
  }
  try {
    const v = await api.cluster();
    const rows = v.nodes.map((n) => {
      if (!n.reachable) {
        const err = n.error ? n.error.code + ': ' + n.error.message : 'no answer';
        return row([n.node, '', n.address, '', '', '', '', '', el('span', { className: 'bad' }, 'no: ' + err)],
          { className: 'unreachable' });
      }
      const isLeader = v.leader !== null && n.id === v.leader;
      return row([n.node, n.id, n.address, isLeader ? n.role + ' \u2605' : n.role, n.term, n.commit_index,
        n.applied_index, n.lag === null ? '' : n.lag, el('span', { className: 'ok' }, 'yes')],
      isLeader ? { className: 'leader' } : null);
    });
    body.replaceChildren(...rows);
    const down = v.nodes.filter((n) => !n.reachable).length;
    summary.textContent = (v.leader === null ? 'No leader seen' : 'Leader: node id ' + v.leader) +
      '; max lag ' + (v.max_lag === null ? '-' : v.max_lag) + ' entries; ' +
      (down === 0 ? 'every node answered' : down + ' of ' + v.nodes.length + ' unreachable') +
      ' (checked ' + fmtTime(Date.now()) + ').';
  } catch (e) {
    body.replaceChildren();
    const code = e instanceof ApiError ? e.code : 'ERROR';
    summary.replaceChildren(el('span', { className: 'bad' }, code + ': ' + (e.message || e)));
  }
}

// ---- pools with live counts ------------------------------------------------

const pools = { shown: new Map(), query: null, next: null };

function poolRow(p) {
  const stop = el('button', { type: 'button' }, 'stop / claims');
  stop.addEventListener('click', () => {
    $('#stop-form').elements.pool.value = p.pool;
    show('stop');
  });
  return row([p.pool, p.kind, p.state, p.capacity, p.free, p.held, p.booked, p.cooling ?? '', stop],
    { className: p.state === 'stopped' ? 'stopped' : '', dataset: { pool: p.pool } });
}

function renderPools(list, append) {
  const body = $('#pools-table tbody');
  if (!append) {
    body.replaceChildren();
    pools.shown.clear();
  }
  for (const p of list) {
    const tr = poolRow(p);
    pools.shown.set(p.pool, tr);
    body.append(tr);
  }
}

async function queryPools(append) {
  const q = Object.assign({}, pools.query, { limit: 100 });
  if (append && pools.next) {
    q.after = pools.next;
  }
  const r = await api.listPools(q);
  renderPools(r.pools || [], append);
  pools.next = r.next_after || null;
  $('#pools-more').hidden = !pools.next;
  $('#pools-live').textContent = `${r.total} pools (read at index ${r.applied_index ?? '?'}${r.stale ? ', stale' : ''}); counts follow the event feed.`;
  if (!append) {
    await loadStats();
  }
}

// The statistics of the queried days (GET /v1/stats): needs both dates.
async function loadStats() {
  const q = pools.query;
  const t = $('#stats-table');
  t.hidden = !(q.date_from && q.date_to);
  if (t.hidden) {
    return;
  }
  const r = await api.stats({ from: q.date_from, to: q.date_to, hospital: q.hospital });
  const rows = (r.rows || []).filter((x) => !q.department || x.department === q.department);
  t.tBodies[0].replaceChildren(...rows.map((x) => row([x.visit_date, x.department, x.pools, x.released,
    x.booked_now, x.cancelled_total, x.refunded_total, x.moved_total, x.no_show_total,
    (100 * Number(x.booking_rate)).toFixed(1) + ' %'])));
}

// An event about a shown pool: read that pool again (its counters are the
// ledger's, not a sum the page keeps), at most one read per pool at a time.
// An event that arrives while a read is out may describe a change the read
// did not see: the pool is marked and read once more when that read ends,
// so the row always ends on a read issued after the pool's last event.
const refreshing = new Set();
const rereadWanted = new Set();
async function poolChanged(poolId) {
  if (!pools.shown.has(poolId)) {
    return;
  }
  if (refreshing.has(poolId)) {
    rereadWanted.add(poolId);
    return;
  }
  refreshing.add(poolId);
  try {
    do {
      rereadWanted.delete(poolId);
      const p = await api.getPool(poolId);
      const tr = pools.shown.get(poolId);
      if (!tr) {
        return; // the view was redrawn without it meanwhile
      }
      const fresh = poolRow(p);
      fresh.classList.add('changed');
      tr.replaceWith(fresh);
      pools.shown.set(poolId, fresh);
    } while (rereadWanted.has(poolId));
  } catch (e) {
    showError(e, 'pool ' + poolId);
  } finally {
    refreshing.delete(poolId);
    rereadWanted.delete(poolId);
  }
}

// ---- stop a clinic, move or refund -----------------------------------------

let stopPool = '';

function claimRow(c) {
  const id = c.booking ?? c.hold;
  const act = el('span');
  if (c.state === 'booked') {
    const move = el('button', { type: 'button' }, 'move');
    move.addEventListener('click', () => guarded('move ' + id, async () => {
      const target = $('#move-target').elements.target.value;
      if (!target) {
        throw new Error('choose a pool to move to first');
      }
      const r = await api.moveBooking(id, target, newIdemKey());
      $('#stop-result').textContent = `booking ${id} moved to ${r.pool}: booking ${r.booking}, visit number ${r.visit_no}`;
      await loadClaims();
    }));
    const refund = el('button', { type: 'button' }, 'refund');
    refund.addEventListener('click', () => guarded('refund ' + id, async () => {
      await api.cancelBooking(id, newIdemKey());
      $('#stop-result').textContent = `booking ${id} cancelled and refunded`;
      await loadClaims();
    }));
    act.append(move, ' ', refund);
  }
  return row([id, c.state + (c.moved_to ? ' → ' + c.moved_to : '') + (c.refunded ? ' (refunded)' : ''),
    c.patient, c.channel, c.visit_no ?? '', c.paid ? 'yes' : 'no', c.affected ? 'yes' : 'no', act]);
}

async function loadClaims() {
  stopPool = $('#stop-form').elements.pool.value.trim();
  if (!stopPool) {
    throw new Error('name the pool first');
  }
  const body = $('#claims-table tbody');
  body.replaceChildren();
  let after;
  for (let page = 0; page < 100; page++) {
    const r = await api.poolClaims(stopPool, { after, limit: 100 });
    for (const c of r.claims || []) {
      body.append(claimRow(c));
    }
    if (!r.next_after) {
      break;
    }
    after = r.next_after;
  }
}

// Open pools of the stopped pool's hospital, department and kind (the
// ledger refuses any other target: MOVE_MISMATCH).
async function loadTargets() {
  const name = $('#stop-form').elements.pool.value.trim();
  if (!name) {
    throw new Error('name the pool first');
  }
  const p = await api.getPool(name);
  const sel = $('#move-target').elements.target;
  sel.replaceChildren();
  if (!p.schedule) {
    throw new Error('a free-standing pool: its bookings can only be refunded');
  }
  const r = await api.listPools({ hospital: p.schedule.hospital, department: p.schedule.department, kind: p.kind, limit: 500 });
  for (const t of r.pools || []) {
    if (t.pool !== p.pool && t.state === 'open') {
      sel.append(el('option', { value: t.pool }, `${t.pool} (free ${t.free})`));
    }
  }
  if (sel.options.length === 0) {
    throw new Error('no other open pool of this department and kind');
  }
}

// ---- patients --------------------------------------------------------------

let patientWho = null;

function table(head, rows) {
  return el('table', null, el('thead', null, el('tr', null, ...head.map((h) => el('th', null, h)))),
    el('tbody', null, ...rows));
}

function renderPatient(r) {
  const box = $('#patient-record');
  box.replaceChildren(
    el('p', null, 'Patient ', el('code', null, r.patient), r.account ? ' — account ' + r.account : ''),
    el('h3', null, 'Claims'),
    table(['Claim', 'State', 'Pool', 'Channel', 'Visit'],
      (r.claims || []).map((c) => row([c.booking ?? c.hold, c.state, c.pool, c.channel, fmtTime(c.visit_start_ms)]))),
    el('h3', null, 'Violations'),
    table(['At', 'Hospital', 'Kind'], (r.violations || []).map((v) => row([fmtTime(v.at_ms), v.hospital, v.kind]))),
    el('h3', null, 'Standing per hospital'),
    table(['Hospital', 'Violations', 'Threshold', 'Warning', 'Blacklisted until', 'Exception'],
      (r.standings || []).map((s) => row([s.hospital, s.violations, s.threshold, s.warning ? 'yes' : 'no',
        s.blacklisted ? fmtTime(s.blacklisted_until_ms) : 'no', s.exception ? 'yes' : 'no']))),
  );
  const blocked = (r.standings || []).find((s) => s.blacklisted);
  const form = $('#unblock-form');
  form.hidden = false;
  if (blocked) {
    form.elements.hospital.value = blocked.hospital;
  }
}

// ---- the event feed --------------------------------------------------------

const feed = { ctrl: null, paused: false, last: null, types: new Set(), rows: 0 };
const FEED_ROWS_MAX = 500;

function onEvent(ev, id) {
  feed.last = id || String(ev.seq);
  if (ev.pool) {
    poolChanged(ev.pool);
  }
  if (!feed.types.has(ev.type)) {
    feed.types.add(ev.type);
    $('#feed-form').elements.type.append(el('option', { value: ev.type }, ev.type));
  }
  const filter = $('#feed-form').elements.type.value;
  if (feed.paused || (filter && filter !== ev.type)) {
    return;
  }
  const body = $('#feed-table tbody');
  body.prepend(row([ev.seq, fmtTime(ev.time_ms), ev.type, ev.pool, ev.claim || '', ev.patient, ev.channel, ev.a, ev.b]));
  while (body.children.length > FEED_ROWS_MAX) {
    body.lastElementChild.remove();
  }
  $('#feed-status').textContent = `live; last event ${ev.seq}`;
}

// One SSE stream for the whole page (live counts and the feed view); on
// an error it reconnects after a pause, resuming with Last-Event-ID.
async function startFeed() {
  stopFeed();
  const ctrl = new AbortController();
  feed.ctrl = ctrl;
  const after = $('#feed-form').elements.after.value;
  let q = after !== '' ? { after } : {};
  if (after === '' && feed.last === null) {
    // Start from now: the newest event's seq.
    try {
      const page = await api.events({ after: 0, limit: 1 });
      q = { after: page.last ?? 0 };
    } catch (e) {
      showError(e, 'event feed');
    }
  }
  for (let attempt = 0; !ctrl.signal.aborted; attempt++) {
    try {
      $('#feed-status').textContent = 'connected';
      await api.stream(q, feed.last, onEvent, ctrl.signal);
    } catch (e) {
      if (ctrl.signal.aborted) {
        return;
      }
      showError(e, 'event feed');
      if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
        return;
      }
    }
    $('#feed-status').textContent = 'reconnecting…';
    await new Promise((res) => setTimeout(res, Math.min(30000, 1000 * 2 ** Math.min(attempt, 5))));
  }
}

function stopFeed() {
  if (feed.ctrl) {
    feed.ctrl.abort();
    feed.ctrl = null;
  }
}

// ---- wiring ----------------------------------------------------------------

function wire() {
  $('#signin').addEventListener('submit', (ev) => {
    ev.preventDefault();
    signIn($('#token').value.trim());
  });
  $('#signout').addEventListener('click', signOut);
  for (const b of document.querySelectorAll('#tabs button')) {
    b.addEventListener('click', () => show(b.dataset.view));
  }
  $('#pools-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    pools.query = formData(ev.target);
    pools.next = null;
    guarded('pools', () => queryPools(false));
  });
  $('#pools-more').addEventListener('click', () => guarded('pools', () => queryPools(true)));
  $('#stop-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = formData(ev.target);
    guarded('stop ' + f.pool, async () => {
      const r = await api.stopPool(f.pool, f.operator, f.reason, newIdemKey());
      $('#stop-result').textContent = `${r.pool} stopped: ${r.bookings_affected} bookings and ${r.holds_affected} holds affected`;
      await loadClaims();
    });
  });
  $('#claims-load').addEventListener('click', () => guarded('claims', loadClaims));
  $('#targets-load').addEventListener('click', () => guarded('move targets', loadTargets));
  $('#patient-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = formData(ev.target);
    const who = f.id_type ? { id_type: f.id_type, id_number: f.id_number } : { patient: f.patient };
    ev.target.elements.id_number.value = '';
    guarded('patient', async () => {
      const r = await api.lookupPatient(who);
      patientWho = { patient: r.patient };
      renderPatient(r);
    });
  });
  $('#unblock-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = formData(ev.target);
    guarded('unblock', async () => {
      if (!patientWho) {
        throw new Error('look a patient up first');
      }
      const r = await api.unblock(f.hospital, patientWho, f.operator, f.reason, newIdemKey());
      $('#unblock-result').textContent = `${r.patient} at ${r.hospital}: ${r.lifted ? 'unblocked' : 'was not blacklisted'}`;
      renderPatient(await api.lookupPatient(patientWho));
    });
  });
  $('#feed-toggle').addEventListener('click', (ev) => {
    feed.paused = !feed.paused;
    ev.target.textContent = feed.paused ? 'Resume' : 'Pause';
    $('#feed-status').textContent = feed.paused ? 'paused (counts still follow the feed)' : 'live';
  });
  $('#feed-clear').addEventListener('click', () => $('#feed-table tbody').replaceChildren());
  $('#feed-form').elements.after.addEventListener('change', () => {
    feed.last = null;
    if (api) {
      startFeed();
    }
  });
  $('#recon-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = formData(ev.target);
    guarded('reconciliation', async () => {
      const r = await api.reconciliation(f);
      const blob = new Blob([r.text], { type: r.contentType || 'application/octet-stream' });
      const name = `reconciliation-${f.day}${f.hospital ? '-' + f.hospital : ''}.${f.format === 'csv' ? 'csv' : 'json'}`;
      const a = el('a', { href: URL.createObjectURL(blob), download: name }, 'download ' + name);
      $('#recon-result').replaceChildren(a, r.json && r.json.agree !== undefined ? ` (agree: ${r.json.agree})` : '');
      $('#recon-preview').textContent = r.json ? JSON.stringify(r.json, null, 2).slice(0, 20000) : r.text.slice(0, 20000);
    });
  });
}

wire();
show('health');
refreshHealth();
const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) {
  signIn(saved);
} else {
  api = createApi({ token: '' });
}
refreshCluster();
setInterval(() => {
  refreshHealth();
  refreshCluster();
}, 2000);
