/* be_http: the http backend, slot-gateway's JSON API over httpc.
 *
 *   hold     POST /v1/pools/{pool}/holds {"patient","ttl_ms"}
 *            201 {"hold","deadline_ms"}; the channel is the token's
 *   confirm  POST /v1/holds/{hold}/confirm {"payment_ref"}
 *            200 {"booking","visit_no"}
 *   release  DELETE /v1/holds/{hold}
 *   query    GET /v1/pools/{pool}/patients/{patient}: the claim, or 404
 *   errors   {"error":{"code":NAME,...}}: NAME is a ledger code or one of
 *            the gateway's (RATE_LIMITED, OVERLOADED, ...)
 *
 * Each worker has one httpc: cfg->conns keep-alive connections with up to
 * cfg->depth requests pipelined on each (by default 4,000 connections of
 * one request each, as thousands of patients' apps reach a gateway), and
 * cfg->conn_reqs of churn. Each answer carries when it was written and the
 * gateway's Server-Timing, for the split of an accepted request's time. Pool ids never contain '/', so
 * they need no percent-encoding.
 */
#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slot_err.h"
#include "bench.h"
#include "httpc.h"

#define REQ_BYTES 768

struct hreq {
    struct httpc_req hr;
    struct task *t;
    int op;
    uint32_t ttl_ms;
    char buf[REQ_BYTES];
};

struct hb {
    struct httpc *h;
    struct run *r;
    uint32_t cap; /* conns * depth: what the connections can carry */
};

static int codeOf(json_t *doc, int http)
{
    json_t *e = json_object_get(doc, "error");
    const char *name = json_string_value(json_object_get(e, "code"));
    if (name != NULL) {
        int c = slot_err_from_name(name);
        if (c >= 0) {
            return c;
        }
        if (strcmp(name, "RATE_LIMITED") == 0) {
            return BENCH_ERR_RATE_LIMITED;
        }
        if (strcmp(name, "OVERLOADED") == 0) {
            return BENCH_ERR_OVERLOADED;
        }
        if (strcmp(name, "UNAUTHORIZED") == 0 ||
            strcmp(name, "FORBIDDEN") == 0) {
            return BENCH_ERR_AUTH;
        }
    }
    switch (http) {
        case 429:
            return BENCH_ERR_RATE_LIMITED;
        case 503:
            return BENCH_ERR_OVERLOADED;
        case 401:
        case 403:
            return BENCH_ERR_AUTH;
        case 504:
            return SLOT_OUTCOME_UNKNOWN;
        default:
            return BENCH_ERR_HTTP;
    }
}

static uint64_t u64(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? (uint64_t)json_integer_value(v) : 0;
}

static int claimState(const char *s)
{
    static const char *const names[] = {"",         "held",    "booked",
                                        "released", "expired", "cancelled"};
    for (int i = 1; s != NULL && i < 6; i++) {
        if (strcmp(s, names[i]) == 0) {
            return i;
        }
    }
    return 0;
}

static void done(struct httpc_req *hr, int http, const char *body, size_t len)
{
    struct hreq *q = hr->data;
    struct be_result r;
    memset(&r, 0, sizeof r);
    r.sent_ns = hr->sent_ns;
    r.server_us = hr->server_us;
    if (http < 0) {
        r.status = http == HTTPC_UNSENT     ? SLOT_UNAVAILABLE
                   : http == HTTPC_SHUTDOWN ? SLOT_SHUTDOWN
                   : q->op == OPK_QUERY     ? SLOT_TIMEOUT
                                            : SLOT_OUTCOME_UNKNOWN;
        sim_complete(q->t, &r);
        return;
    }
    json_t *doc = len > 0 ? json_loadb(body, len, 0, NULL) : NULL;
    if (http >= 200 && http < 300) {
        r.status = SLOT_OK;
        switch (q->op) {
            case OPK_HOLD:
                r.id = u64(doc, "hold");
                r.deadline_ms = u64(doc, "deadline_ms");
                if (r.deadline_ms > q->ttl_ms) {
                    r.ledger_ms = r.deadline_ms - q->ttl_ms;
                }
                if (r.id == 0) {
                    r.status = BENCH_ERR_HTTP;
                }
                break;
            case OPK_CONFIRM:
                r.id = u64(doc, "booking");
                r.visit_no = (uint32_t)u64(doc, "visit_no");
                break;
            case OPK_QUERY:
                r.n_claims = 1;
                r.claim_state = claimState(
                    json_string_value(json_object_get(doc, "state")));
                r.claim_id = u64(doc, "hold");
                if (r.claim_id == 0) {
                    r.claim_id = u64(doc, "booking");
                }
                r.claim_visit_no = (uint32_t)u64(doc, "visit_no");
                r.claim_deadline_ms = u64(doc, "deadline_ms");
                if (r.claim_state != 1 && r.claim_state != 2) {
                    r.n_claims = 0; /* no active claim */
                }
                break;
            default:
                break;
        }
    } else {
        r.status = codeOf(doc, http);
        if (q->op == OPK_QUERY && http == 404 &&
            r.status != SLOT_UNKNOWN_POOL) {
            r.status = SLOT_OK; /* no claim */
        }
    }
    json_decref(doc);
    sim_complete(q->t, &r);
}

static int hOpen(struct worker *w, void **out)
{
    struct run *r = sim_worker_run(w);
    const struct cfg *c = r->cfg;
    struct hb *b = calloc(1, sizeof *b);
    char host[64];
    int port;
    if (b == NULL) {
        return -1;
    }
    const char *colon = strrchr(r->target, ':');
    if (colon == NULL || (size_t)(colon - r->target) >= sizeof host) {
        free(b);
        return -1;
    }
    snprintf(host, sizeof host, "%.*s", (int)(colon - r->target), r->target);
    port = atoi(colon + 1);
    struct httpc_options o = {
        .host = host,
        .port = port,
        .conns = c->conns,
        .depth = c->depth,
        .queue_max = c->queue_max,
        .timeout_ms = c->timeout_ms,
        .conn_reqs = c->conn_reqs,
    };
    if (httpc_open(sim_worker_loop(w), &o, &b->h) != 0) {
        free(b);
        return -1;
    }
    b->r = r;
    b->cap = c->conns * c->depth;
    *out = b;
    return 0;
}

static void freed(void *data)
{
    free(data);
}

static void hClose(void *be)
{
    struct hb *b = be;
    struct httpc_stats st;
    httpc_stats(b->h, &st);
    atomic_fetch_add(&b->r->http_connects, st.connects);
    atomic_fetch_add(&b->r->http_churn_closes, st.churn_closes);
    atomic_fetch_add(&b->r->http_failures, st.failures);
    httpc_close(b->h, freed, b);
}

static uint32_t hPending(void *be)
{
    struct hb *b = be;
    return httpc_pending(b->h);
}

static bool hRoom(void *be)
{
    struct hb *b = be;
    return httpc_pending(b->h) < b->cap;
}

static int hSend(struct hb *b, struct task *t, int op, int chan,
                 const char *method, const char *path, const char *body)
{
    struct hreq *q = sim_task_area(t);
    q->t = t;
    q->op = op;
    size_t blen = strlen(body);
    int n = snprintf(
        q->buf, sizeof q->buf,
        "%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"
        "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
        method, path, b->r->target, b->r->token[chan], blen, body);
    if (n < 0 || (size_t)n >= sizeof q->buf) {
        return SLOT_TOO_LARGE;
    }
    q->hr.data = q;
    q->hr.buf = q->buf;
    q->hr.len = (size_t)n;
    q->hr.cb = done;
    int rc = httpc_send(b->h, &q->hr);
    return rc == 0 ? 0 : rc == HTTPC_BUSY ? SLOT_BUSY : SLOT_SHUTDOWN;
}

static int chanOf(const char *channel)
{
    static const char *const names[BENCH_CHANNELS] = {"app", "wechat", "114",
                                                      "kiosk"};
    for (int i = 0; i < BENCH_CHANNELS; i++) {
        if (strcmp(channel, names[i]) == 0) {
            return i;
        }
    }
    return 0;
}

static int hHold(void *be, struct task *t, const char *pool,
                 const char *patient, const char *channel, uint32_t ttl_ms)
{
    char path[128], body[160];
    struct hreq *q = sim_task_area(t);
    q->ttl_ms = ttl_ms;
    snprintf(path, sizeof path, "/v1/pools/%s/holds", pool);
    snprintf(body, sizeof body, "{\"patient\":\"%s\",\"ttl_ms\":%u}", patient,
             ttl_ms);
    return hSend(be, t, OPK_HOLD, chanOf(channel), "POST", path, body);
}

static int hConfirm(void *be, struct task *t, uint64_t hold, const char *ref)
{
    char path[64], body[128];
    snprintf(path, sizeof path, "/v1/holds/%llu/confirm",
             (unsigned long long)hold);
    snprintf(body, sizeof body, "{\"payment_ref\":\"%s\"}", ref);
    return hSend(be, t, OPK_CONFIRM, (int)sim_task_channel(t), "POST", path,
                 body);
}

static int hRelease(void *be, struct task *t, uint64_t hold)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/holds/%llu", (unsigned long long)hold);
    return hSend(be, t, OPK_RELEASE, (int)sim_task_channel(t), "DELETE", path,
                 "");
}

static int hQuery(void *be, struct task *t, const char *pool,
                  const char *patient)
{
    char path[160];
    snprintf(path, sizeof path, "/v1/pools/%s/patients/%s", pool, patient);
    return hSend(be, t, OPK_QUERY, (int)sim_task_channel(t), "GET", path, "");
}

const struct be_vt be_http = {
    .name = "http",
    .one_step = false,
    .req_size = sizeof(struct hreq),
    .open = hOpen,
    .close = hClose,
    .pending = hPending,
    .room = hRoom,
    .hold = hHold,
    .confirm = hConfirm,
    .release = hRelease,
    .query = hQuery,
};
