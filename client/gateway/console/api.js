// api.js: the operator console's client of slot-gateway's REST API (the
// same /v1 routes the booking channels call; client/gateway/README.md).
//
// No DOM here: the module runs in the browser (console.js) and under node
// (test/api.test.mjs) alike. createApi takes the base URL, the token and a
// fetch function (default: the global one), so a test drives it against a
// real gateway. Every call sends "Authorization: Bearer TOKEN" (a header:
// the token is never put in a URL); every error answer becomes an ApiError
// with the API's code and message.

export class ApiError extends Error {
  // status: the HTTP status (0: no answer); code: error.code of the body
  // ("NETWORK" when the request did not get an answer); body: the parsed
  // body, or null.
  constructor(status, code, message, body) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

// A fresh Idempotency-Key for one operator action: a retry of the same
// action (a button pressed again after a network error) may reuse it.
// getRandomValues, not randomUUID: the latter needs a secure context.
export function newIdemKey() {
  const b = new Uint8Array(12);
  globalThis.crypto.getRandomValues(b);
  return 'console-' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

// Percent-encodes one path segment the way the gateway decodes it (pool
// ids contain '/').
export function seg(s) {
  return encodeURIComponent(String(s));
}

function queryString(q) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q || {})) {
    if (v !== undefined && v !== null && v !== '') {
      p.set(k, String(v));
    }
  }
  const s = p.toString();
  return s ? '?' + s : '';
}

async function errorOf(res) {
  let text = '';
  try {
    text = await res.text();
  } catch (e) {
    text = '';
  }
  let body = null;
  try {
    body = JSON.parse(text);
  } catch (e) {
    body = null;
  }
  const err = body && typeof body === 'object' ? body.error : null;
  if (err && typeof err.code === 'string') {
    return new ApiError(res.status, err.code, String(err.message || ''), body);
  }
  return new ApiError(res.status, 'HTTP_' + res.status, text.slice(0, 200) || res.statusText, body);
}

// Parses a text/event-stream body (a ReadableStream of bytes) into events
// {id, event, data}, calling onEvent for each; resolves when the stream
// ends. The browser's EventSource cannot send an Authorization header, so
// the console reads the stream through fetch.
export async function readSse(body, onEvent) {
  const reader = body.getReader();
  const dec = new TextDecoder();
  let buf = '';
  let ev = { id: null, event: 'message', data: [] };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) {
      return;
    }
    buf += dec.decode(value, { stream: true });
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      let line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.endsWith('\r')) {
        line = line.slice(0, -1);
      }
      if (line === '') {
        if (ev.data.length > 0) {
          onEvent({ id: ev.id, event: ev.event, data: ev.data.join('\n') });
        }
        ev = { id: null, event: 'message', data: [] };
        continue;
      }
      if (line.startsWith(':')) {
        continue; // a heartbeat
      }
      const c = line.indexOf(':');
      const field = c < 0 ? line : line.slice(0, c);
      let v = c < 0 ? '' : line.slice(c + 1);
      if (v.startsWith(' ')) {
        v = v.slice(1);
      }
      if (field === 'id') {
        ev.id = v;
      } else if (field === 'event') {
        ev.event = v;
      } else if (field === 'data') {
        ev.data.push(v);
      }
    }
  }
}

// opts: {baseUrl: '' (same origin) or 'http://host:port', token, fetch}.
export function createApi(opts) {
  const base = (opts && opts.baseUrl) || '';
  const token = opts && opts.token;
  const f = (opts && opts.fetch) || globalThis.fetch.bind(globalThis);

  function headers(extra) {
    const h = { Accept: 'application/json' };
    if (token) {
      h.Authorization = 'Bearer ' + token;
    }
    return Object.assign(h, extra || {});
  }

  async function send(method, path, body, extra, signal) {
    const init = { method, headers: headers(extra), signal };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await f(base + path, init);
    } catch (e) {
      if (e && e.name === 'AbortError') {
        throw e;
      }
      throw new ApiError(0, 'NETWORK', String((e && e.message) || e), null);
    }
    if (!res.ok) {
      throw await errorOf(res);
    }
    return res;
  }

  async function json(method, path, body, extra, signal) {
    const res = await send(method, path, body, extra, signal);
    return res.json();
  }

  // A mutating call: with an Idempotency-Key (one per operator action).
  function act(method, path, body, idem) {
    return json(method, path, body, { 'Idempotency-Key': idem || newIdemKey() });
  }

  return {
    // Cluster health: the status of the node the gateway reaches (public).
    health: async () => {
      let res;
      try {
        res = await f(base + '/healthz', { headers: { Accept: 'application/json' } });
      } catch (e) {
        throw new ApiError(0, 'NETWORK', String((e && e.message) || e), null);
      }
      if (!res.ok) {
        throw await errorOf(res);
      }
      return res.json();
    },
    // Pools: q = {hospital, department, doctor, date_from, date_to, kind,
    // after, limit, stale}.
    listPools: (q) => json('GET', '/v1/pools' + queryString(q)),
    getPool: (pool) => json('GET', '/v1/pools/' + seg(pool)),
    createPool: (body, idem) => act('POST', '/v1/pools', body, idem),
    // A channel's booking (a channel token; the console itself never
    // books: these serve its tests and a channel's view of the same API).
    hold: (pool, body, idem) => act('POST', '/v1/pools/' + seg(pool) + '/holds', body, idem),
    confirm: (hold, body, idem) => act('POST', '/v1/holds/' + seg(hold) + '/confirm', body || {}, idem),
    getRules: (hospital) => json('GET', '/v1/hospitals/' + seg(hospital) + '/rules'),
    setRules: (hospital, rules, operator, reason, idem) =>
      act('PUT', '/v1/hospitals/' + seg(hospital) + '/rules', { operator, reason, rules }, idem),
    // A doctor's stoppage, with who and why.
    stopPool: (pool, operator, reason, idem) =>
      act('POST', '/v1/pools/' + seg(pool) + '/stop', { operator, reason }, idem),
    poolClaims: (pool, q) => json('GET', '/v1/pools/' + seg(pool) + '/claims' + queryString(q)),
    moveBooking: (booking, pool, idem) =>
      act('POST', '/v1/bookings/' + seg(booking) + '/move', { pool }, idem),
    // A stopped clinic's booking cancelled is a refund.
    cancelBooking: (booking, idem) => act('POST', '/v1/bookings/' + seg(booking) + '/cancel', {}, idem),
    getBooking: (booking) => json('GET', '/v1/bookings/' + seg(booking)),
    // A patient's record; who = {patient} or {id_type, id_number}: in the
    // body, never the URL.
    lookupPatient: (who) => json('POST', '/v1/patients/lookup', who),
    unblock: (hospital, who, operator, reason, idem) =>
      act('POST', '/v1/hospitals/' + seg(hospital) + '/unblock',
        Object.assign({}, who, { operator, reason }), idem),
    staffLog: (q) => json('GET', '/v1/staff-log' + queryString(q)),
    // The feed as a long poll: q = {after, limit, wait_ms}.
    events: (q, signal) => json('GET', '/v1/events' + queryString(q), undefined, undefined, signal),
    // The feed as Server-Sent Events: calls onEvent(event JSON, sse id) for
    // each; resumes after lastEventId (Last-Event-ID) or q.after. Resolves
    // when the stream ends or signal aborts it (AbortError).
    stream: async (q, lastEventId, onEvent, signal) => {
      const extra = { Accept: 'text/event-stream' };
      if (lastEventId !== undefined && lastEventId !== null && lastEventId !== '') {
        extra['Last-Event-ID'] = String(lastEventId);
      }
      const res = await send('GET', '/v1/events/stream' + queryString(q), undefined, extra, signal);
      await readSse(res.body, (m) => {
        if (m.event === 'error') {
          let body = null;
          try {
            body = JSON.parse(m.data);
          } catch (e) {
            body = null;
          }
          const err = body && body.error ? body.error : { code: 'STREAM', message: m.data };
          throw new ApiError(200, err.code, err.message, body);
        }
        onEvent(JSON.parse(m.data), m.id);
      });
    },
    // A day's reconciliation: q = {day, hospital, channel, format}. Returns
    // {contentType, text, json} (json null for CSV).
    reconciliation: async (q) => {
      const accept = q && q.format === 'csv' ? 'text/csv' : 'application/json';
      const res = await send('GET', '/v1/reconciliation' + queryString(q), undefined, { Accept: accept });
      const text = await res.text();
      const contentType = res.headers.get('content-type') || '';
      return { contentType, text, json: contentType.startsWith('application/json') ? JSON.parse(text) : null };
    },
    stats: (q) => json('GET', '/v1/stats' + queryString(q)),
  };
}
