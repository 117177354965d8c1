// api.test.mjs: the console's API module (../api.js) against a real
// slot-gateway and 3-node cluster, under node's own test runner.
//
//   node client/gateway/console/test/api.test.mjs URL ADMIN_TOKEN CHANNEL_TOKEN
//
// test_gateway's console_api case starts the cluster and the gateway and
// runs this (exit status 0: every test passed). Every request goes through
// a recording fetch: the token must travel only in the Authorization
// header, never in a URL. Waits are bounded; nothing depends on speed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { ApiError, createApi } from '../api.js';

const [URL_, ADMIN, CHANNEL] = process.argv.slice(2);
if (!URL_ || !ADMIN || !CHANNEL) {
  console.error('usage: api.test.mjs URL ADMIN_TOKEN CHANNEL_TOKEN');
  process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));

const calls = [];
function recordingFetch(url, init) {
  const h = new Headers((init && init.headers) || {});
  calls.push({ url: String(url), method: (init && init.method) || 'GET', auth: h.get('authorization') });
  return fetch(url, init);
}

const admin = createApi({ baseUrl: URL_, token: ADMIN, fetch: recordingFetch });
const channel = createApi({ baseUrl: URL_, token: CHANNEL, fetch: recordingFetch });

// A hospital whose local time is about noon now (as test_gateway does), so
// "today" and "tomorrow" are the same days wherever the machine is.
const MS_DAY = 86400000;
const MS_MIN = 60000;
const now = Date.now();
const off = 720 - Math.floor((now % MS_DAY) / MS_MIN);
const today = Math.floor((now + off * MS_MIN) / MS_DAY);
const offStr = (off < 0 ? '-' : '+') + String(Math.floor(Math.abs(off) / 60)).padStart(2, '0') + ':' +
  String(Math.abs(off) % 60).padStart(2, '0');
const dateOf = (day) => new Date(day * MS_DAY).toISOString().slice(0, 10);
const utcOf = (day, minute) => day * MS_DAY + (minute - off) * MS_MIN;
const H = 'con' + process.pid;
const poolA = `${H}/derm/wang/${dateOf(today + 1)}/1400`;
const poolB = `${H}/derm/wang/${dateOf(today + 1)}/1500`;
const state = {};

function poolBody(pool, startMin) {
  return {
    pool,
    capacity: 5,
    kind: 'normal',
    fee_cents: 5000,
    segment: { start_ms: utcOf(today + 1, startMin), end_ms: utcOf(today + 1, startMin + 60) },
    release_at_ms: 0,
    schedule: { hospital: H, department: 'derm', doctor: 'wang', visit_date: dateOf(today + 1) },
  };
}

async function book(patient, pay) {
  const h = await channel.hold(poolA, { patient, ttl_ms: 60000 });
  assert.ok(h.hold > 0);
  const c = await channel.confirm(h.hold, { payment_ref: pay, pay_method: 'wechat' });
  assert.ok(c.booking > 0 && c.visit_no > 0);
  return c.booking;
}

test('the console is served with its headers (GET and HEAD), no token', async () => {
  const res = await fetch(URL_ + '/console');
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.match(res.headers.get('content-security-policy'), /default-src 'self'/);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  const head = await fetch(URL_ + '/console/api.js', { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal(Number(head.headers.get('content-length')), readFileSync(join(here, '..', 'api.js')).length);
  assert.equal((await head.arrayBuffer()).byteLength, 0);
  const js = Buffer.from(await (await fetch(URL_ + '/console/api.js')).arrayBuffer());
  assert.ok(js.equals(readFileSync(join(here, '..', 'api.js'))));
});

test('health', async () => {
  const h = await admin.health();
  assert.equal(h.status, 'ok');
  assert.ok(['leader', 'follower'].includes(h.role), h.role);
  assert.ok(h.leader_id > 0);
  assert.ok(h.applied_index <= h.commit_index);
});

test('errors carry the API code and message', async () => {
  const bad = createApi({ baseUrl: URL_, token: 'not-a-token-0000', fetch: recordingFetch });
  await assert.rejects(bad.listPools({ hospital: H }), (e) => e instanceof ApiError && e.status === 401 &&
    e.code === 'UNAUTHORIZED' && e.message.length > 0);
  await assert.rejects(channel.stopPool('no-such-pool', 'ops', 'x'), (e) => e.status === 403 && e.code === 'FORBIDDEN');
  await assert.rejects(admin.getPool('no-such-pool-con'), (e) => e.status === 404 && e.code === 'UNKNOWN_POOL');
});

test('rules, pools created and queried by hospital / department / date', async () => {
  const r = await admin.setRules(H, { utc_offset: offStr }, 'ops@console', 'console test');
  assert.equal(r.hospital, H);
  assert.equal((await admin.createPool(poolBody(poolA, 14 * 60))).pool, poolA);
  assert.equal((await admin.createPool(poolBody(poolB, 15 * 60))).pool, poolB);
  const list = await admin.listPools({ hospital: H, department: 'derm', date_from: dateOf(today + 1), date_to: dateOf(today + 1) });
  assert.equal(list.total, 2);
  assert.deepEqual(list.pools.map((p) => p.pool).sort(), [poolA, poolB]);
  assert.equal((await admin.listPools({ hospital: H, department: 'eye' })).total, 0);
});

test('bookings through a channel token, then the stop, claims, refund and move', async () => {
  const feed0 = await admin.events({ after: 0, limit: 1 });
  state.seq0 = feed0.last;
  const b1 = await book('patient-con-0001', 'pay-con-1');
  const b2 = await book('patient-con-0002', 'pay-con-2');
  assert.equal((await admin.getPool(poolA)).booked, 2);

  const stop = await admin.stopPool(poolA, 'ops@console', 'Dr Wang is ill');
  assert.equal(stop.state, 'stopped');
  assert.equal(stop.bookings_affected, 2);
  await assert.rejects(admin.stopPool(poolA, 'ops@console', 'again'), (e) => e.status === 409 && e.code === 'POOL_STOPPED');

  const claims = await admin.poolClaims(poolA, { limit: 100 });
  assert.deepEqual(claims.claims.map((c) => c.booking ?? c.hold).sort((x, y) => x - y), [b1, b2].sort((x, y) => x - y));
  assert.ok(claims.claims.every((c) => c.affected === true), JSON.stringify(claims.claims));

  const refund = await admin.cancelBooking(b1);
  assert.equal(refund.state, 'cancelled');
  const r1 = await admin.getBooking(b1);
  assert.equal(r1.refunded, true);

  const mv = await admin.moveBooking(b2, poolB);
  assert.equal(mv.pool, poolB);
  assert.equal(mv.moved_from, b2);
  assert.ok(mv.booking > 0);
  assert.equal((await admin.getBooking(b2)).state, 'moved');
  assert.equal((await admin.getPool(poolB)).booked, 1);
  state.moved = mv.booking;
});

test('a patient looked up (body, not URL) and unblocked with a reason', async () => {
  const rec = await admin.lookupPatient({ patient: 'patient-con-0002' });
  assert.equal(rec.patient, 'patient-con-0002');
  assert.ok(rec.claims.some((c) => c.pool === poolB && (c.booking ?? c.hold) === state.moved), JSON.stringify(rec.claims));
  assert.ok(Array.isArray(rec.violations) && Array.isArray(rec.standings));
  const u = await admin.unblock(H, { patient: 'patient-con-0002' }, 'ops@console', 'console test');
  assert.equal(u.hospital, H);
  assert.equal(u.patient, 'patient-con-0002');
  assert.equal(typeof u.lifted, 'boolean');
  await assert.rejects(channel.unblock(H, { patient: 'patient-con-0002' }, 'ops', 'x'), (e) => e.code === 'FORBIDDEN');
});

test('the event feed: long poll and SSE (with Last-Event-ID) show the stop', async () => {
  const page = await admin.events({ after: state.seq0, limit: 1000 });
  const stopEv = page.events.find((e) => e.type === 'pool_stopped' && e.pool === poolA);
  assert.ok(stopEv, 'pool_stopped in the long poll');
  assert.equal(stopEv.a, 2);

  // The stream from the same cursor until it shows the stop (bounded by
  // the event count: the stop is at most a few hundred events on).
  const ctrl = new AbortController();
  const seen = [];
  let found = null;
  const done = admin.stream({ after: state.seq0 }, null, (ev, id) => {
    seen.push(ev);
    assert.equal(String(ev.seq), id);
    if (ev.type === 'pool_stopped' && ev.pool === poolA) {
      found = ev;
      ctrl.abort();
    }
    if (seen.length > 5000) {
      ctrl.abort();
    }
  }, ctrl.signal);
  await assert.rejects(done, (e) => e.name === 'AbortError');
  assert.ok(found, 'pool_stopped in the stream');
  assert.equal(found.seq, stopEv.seq);

  // Resume after the stop with Last-Event-ID: the first event is the next.
  const ctrl2 = new AbortController();
  let first = null;
  const resumed = admin.stream({ after: 0 }, String(stopEv.seq), (ev) => {
    first = first ?? ev;
    ctrl2.abort();
  }, ctrl2.signal);
  await assert.rejects(resumed, (e) => e.name === 'AbortError');
  assert.equal(first.seq, stopEv.seq + 1);
});

test('the day\'s reconciliation, CSV and JSON', async () => {
  const day = dateOf(today);
  const csv = await admin.reconciliation({ day, hospital: H, format: 'csv' });
  assert.match(csv.contentType, /^text\/csv/);
  assert.equal(csv.json, null);
  assert.ok(csv.text.includes('pay-con-1') && csv.text.includes('pay-con-2'), csv.text);
  const js = await admin.reconciliation({ day, hospital: H, format: 'json' });
  assert.match(js.contentType, /^application\/json/);
  assert.ok(js.json && typeof js.json === 'object');
  assert.ok(js.text.includes('pay-con-1'));
  await assert.rejects(admin.reconciliation({ day: 'yesterday' }), (e) => e.status === 400);
});

test('statistics of the visit day: the stop\'s refund and move counted', async () => {
  const day = dateOf(today + 1);
  const st = await admin.stats({ from: day, to: day, hospital: H });
  const derm = st.rows.find((x) => x.department === 'derm' && x.visit_date === day);
  assert.ok(derm, JSON.stringify(st));
  assert.equal(derm.pools, 2);
  assert.equal(derm.refunded_total, 1);
  assert.equal(derm.moved_total, 1);
});

test('the token only ever travelled in the Authorization header', () => {
  assert.ok(calls.length > 20);
  for (const c of calls) {
    assert.ok(!c.url.includes(ADMIN) && !c.url.includes(CHANNEL), c.url);
    if (!c.url.endsWith('/healthz')) {
      assert.match(c.auth || '', /^Bearer \S+$/, `${c.method} ${c.url}`);
    }
  }
});
