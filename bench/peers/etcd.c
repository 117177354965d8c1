/* etcd peer: the burst against a 3-member etcd, as its users run it.
 *
 * ---- Configuration (recorded in every result's "system")
 * --------------------- Debian's etcd-server (3.4), 3 members on 127.0.0.1,
 * data in a fresh directory on the same disk as slotd's, every durability
 * setting at its default: the WAL is fsync'd before a proposal counts (no
 * --unsafe-no-fsync), default snapshot count, heartbeat 100 ms, election
 * 1000 ms. Only ports, names, the data directory and --logger zap
 * --log-level warn are set.
 *
 * ---- A booking: one compare-and-decrement transaction
 * ------------------------ POST /v3/kv/txn (the v3 API's JSON gateway, base64
 * keys and values):
 *
 *   compare  value(sb/POOL/left) == v   and create_revision(sb/POOL/p/PATIENT)
 * == 0 success  put sb/POOL/left = v - 1,  put sb/POOL/p/PATIENT = slot
 * (capacity - v + 1) failure  range sb/POOL/left,  range sb/POOL/p/PATIENT
 *
 * v is the last value this worker saw. A failed compare returns the
 * current value in the same round trip: the patient already has a slot
 * (PATIENT_HAS_CLAIM), the pool is sold out (SOLD_OUT), or another client
 * won the race and the transaction is retried at once with the new value
 * (a conflict, counted). Once a worker saw 0, a patient's attempt is one
 * linearizable range read (POST /v3/kv/range) that confirms SOLD_OUT.
 * cfg->conns HTTP/1.1 connections per worker, one request in flight each
 * (the "64 clients"), spread over the three members' endpoints
 * as clientv3 spreads its endpoints.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tcluster.h"
#include "slot_err.h"
#include "httpc.h"
#include "sys.h"

#define MEMBERS        3
#define HEALTH_WAIT_MS 20000
#define RETRIES_MAX    10000u /* conflicts one booking may meet */
#define REQ_BYTES      2600
#define KEY_PREFIX     "sb/"

/* ---- base64 -------------------------------------------------------------- */

static const char B64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t b64enc(const char *in, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)(unsigned char)in[i] << 16;
        if (i + 1 < n) {
            v |= (uint32_t)(unsigned char)in[i + 1] << 8;
        }
        if (i + 2 < n) {
            v |= (unsigned char)in[i + 2];
        }
        if (o + 4 >= cap) {
            break;
        }
        out[o++] = B64[(v >> 18) & 63];
        out[o++] = B64[(v >> 12) & 63];
        out[o++] = i + 1 < n ? B64[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? B64[v & 63] : '=';
    }
    out[o] = '\0';
    return o;
}

static size_t b64dec(const char *in, char *out, size_t cap)
{
    uint32_t v = 0;
    int bits = 0;
    size_t o = 0;
    for (; *in != '\0' && *in != '='; in++) {
        const char *p = strchr(B64, *in);
        if (p == NULL) {
            break;
        }
        v = (v << 6) | (uint32_t)(p - B64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o + 1 < cap) {
                out[o++] = (char)((v >> bits) & 0xff);
            }
        }
    }
    out[o] = '\0';
    return o;
}

static void keyB64(const char *pool, const char *patient, char *out, size_t cap)
{
    char key[200];
    if (patient != NULL) {
        snprintf(key, sizeof key, KEY_PREFIX "%s/p/%s", pool, patient);
    } else {
        snprintf(key, sizeof key, KEY_PREFIX "%s/left", pool);
    }
    b64enc(key, strlen(key), out, cap);
}

static void numB64(int64_t v, char *out, size_t cap)
{
    char s[32];
    snprintf(s, sizeof s, "%lld", (long long)v);
    b64enc(s, strlen(s), out, cap);
}

/* The decoded integer value of kvs[0] of a range response, or -1. */
static int64_t rangeValue(json_t *rr)
{
    json_t *kv = json_array_get(json_object_get(rr, "kvs"), 0);
    const char *v = json_string_value(json_object_get(kv, "value"));
    char buf[32];
    if (v == NULL) {
        return -1;
    }
    b64dec(v, buf, sizeof buf);
    return strtoll(buf, NULL, 10);
}

static int formatPost(char *buf, size_t cap, const char *host, const char *path,
                      const char *body)
{
    return snprintf(buf, cap,
                    "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: "
                    "application/json\r\nContent-Length: %zu\r\n\r\n%s",
                    path, host, strlen(body), body);
}

/* ---- the backend --------------------------------------------------------- */

enum { K_TXN = 1, K_RANGE = 2 };

struct eb {
    struct run *r;
    struct httpc *h[MEMBERS];
    char host[MEMBERS][32];
    uint32_t cap;
    int64_t seen[BENCH_POOLS_MAX]; /* last counter value seen, per pool */
};

struct ereq {
    struct httpc_req hr;
    struct task *t;
    struct eb *b;
    uint32_t pool;
    int kind;
    int64_t v;
    uint32_t attempts;
    char patient[72];
    char buf[REQ_BYTES];
};

static void eDone(struct httpc_req *hr, int http, const char *body, size_t len);

static int eSend(struct ereq *q)
{
    struct eb *b = q->b;
    const char *pool = b->r->pool[q->pool].id;
    uint32_t capacity = b->r->pool[q->pool].capacity;
    char k[160], pk[200], v0[32], v1[32], slot[32], json[2048];
    int m = 0;
    for (int i = 1; i < MEMBERS; i++) {
        if (httpc_pending(b->h[i]) < httpc_pending(b->h[m])) {
            m = i;
        }
    }
    keyB64(pool, NULL, k, sizeof k);
    if (q->v <= 0) {
        q->kind = K_RANGE;
        snprintf(json, sizeof json, "{\"key\":\"%s\"}", k);
        q->hr.len = (size_t)formatPost(q->buf, sizeof q->buf, b->host[m],
                                       "/v3/kv/range", json);
    } else {
        q->kind = K_TXN;
        keyB64(pool, q->patient, pk, sizeof pk);
        numB64(q->v, v0, sizeof v0);
        numB64(q->v - 1, v1, sizeof v1);
        numB64((int64_t)capacity - q->v + 1, slot, sizeof slot);
        snprintf(
            json, sizeof json,
            "{\"compare\":[{\"key\":\"%s\",\"target\":\"VALUE\",\"result\":"
            "\"EQUAL\",\"value\":\"%s\"},{\"key\":\"%s\",\"target\":"
            "\"CREATE\",\"result\":\"EQUAL\",\"create_revision\":\"0\"}],"
            "\"success\":[{\"request_put\":{\"key\":\"%s\",\"value\":\"%s\"}},"
            "{\"request_put\":{\"key\":\"%s\",\"value\":\"%s\"}}],"
            "\"failure\":[{\"request_range\":{\"key\":\"%s\"}},"
            "{\"request_range\":{\"key\":\"%s\"}}]}",
            k, v0, pk, k, v1, pk, slot, k, pk);
        q->hr.len = (size_t)formatPost(q->buf, sizeof q->buf, b->host[m],
                                       "/v3/kv/txn", json);
    }
    q->hr.buf = q->buf;
    q->hr.data = q;
    q->hr.cb = eDone;
    q->attempts++;
    sim_count(q->t, 1, 0);
    int rc = httpc_send(b->h[m], &q->hr);
    return rc == 0 ? 0 : rc == HTTPC_BUSY ? SLOT_BUSY : SLOT_SHUTDOWN;
}

static void finish(struct ereq *q, int status, uint32_t slot)
{
    struct be_result r;
    memset(&r, 0, sizeof r);
    r.status = status;
    r.visit_no = slot;
    sim_complete(q->t, &r);
}

static void eDone(struct httpc_req *hr, int http, const char *body, size_t len)
{
    struct ereq *q = hr->data;
    struct eb *b = q->b;
    if (http < 0) {
        finish(q,
               http == HTTPC_UNSENT     ? SLOT_UNAVAILABLE
               : http == HTTPC_SHUTDOWN ? SLOT_SHUTDOWN
               : q->kind == K_RANGE     ? SLOT_TIMEOUT
                                        : SLOT_OUTCOME_UNKNOWN,
               0);
        return;
    }
    json_t *doc = json_loadb(body, len, 0, NULL);
    if (http != 200 || doc == NULL) {
        json_decref(doc);
        finish(q, BENCH_ERR_HTTP, 0);
        return;
    }
    int status = -1;
    uint32_t slot = 0;
    int64_t cur;
    if (q->kind == K_RANGE) {
        cur = rangeValue(doc);
        if (cur >= 0 && cur < b->seen[q->pool]) {
            b->seen[q->pool] = cur;
        }
        if (cur <= 0) {
            status = cur == 0 ? SLOT_SOLD_OUT : SLOT_UNKNOWN_POOL;
        } else {
            q->v = cur;
        }
    } else if (json_is_true(json_object_get(doc, "succeeded"))) {
        status = SLOT_OK;
        slot = (uint32_t)((int64_t)b->r->pool[q->pool].capacity - q->v + 1);
        if (q->v - 1 < b->seen[q->pool]) {
            b->seen[q->pool] = q->v - 1;
        }
    } else {
        json_t *resp = json_object_get(doc, "responses");
        json_t *r0 = json_object_get(json_array_get(resp, 0), "response_range");
        json_t *r1 = json_object_get(json_array_get(resp, 1), "response_range");
        cur = rangeValue(r0);
        if (cur >= 0 && cur < b->seen[q->pool]) {
            b->seen[q->pool] = cur;
        }
        if (json_array_size(json_object_get(r1, "kvs")) > 0) {
            status = SLOT_PATIENT_HAS_CLAIM;
        } else if (cur <= 0) {
            status = cur == 0 ? SLOT_SOLD_OUT : SLOT_UNKNOWN_POOL;
        } else {
            /* Another client decremented first: try again at once. */
            sim_count(q->t, 0, 1);
            q->v = cur;
        }
    }
    json_decref(doc);
    if (status >= 0) {
        finish(q, status, slot);
        return;
    }
    if (q->attempts >= RETRIES_MAX) {
        finish(q, SLOT_TIMEOUT, 0);
        return;
    }
    int rc = eSend(q);
    if (rc != 0) {
        finish(q, rc == SLOT_BUSY ? SLOT_UNAVAILABLE : rc, 0);
    }
}

static int eOpen(struct worker *w, void **out)
{
    struct run *r = sim_worker_run(w);
    const struct cfg *c = r->cfg;
    struct eb *b = calloc(1, sizeof *b);
    if (b == NULL) {
        return -1;
    }
    b->r = r;
    for (uint32_t i = 0; i < BENCH_POOLS_MAX; i++) {
        b->seen[i] = i < r->n_pools ? (int64_t)r->pool[i].capacity : 0;
    }
    /* r->target: "HOST:PORT,HOST:PORT,HOST:PORT" */
    char list[300];
    snprintf(list, sizeof list, "%s", r->target);
    int i = 0;
    uint32_t per = (c->conns + MEMBERS - 1) / MEMBERS;
    for (char *save = NULL, *tok = strtok_r(list, ",", &save);
         tok != NULL && i < MEMBERS; tok = strtok_r(NULL, ",", &save), i++) {
        char *colon = strrchr(tok, ':');
        snprintf(b->host[i], sizeof b->host[i], "%s", tok);
        *colon = '\0';
        struct httpc_options o = {.host = tok,
                                  .port = atoi(colon + 1),
                                  .conns = per,
                                  .depth = 1,
                                  .queue_max = c->queue_max,
                                  .timeout_ms = c->timeout_ms};
        if (httpc_open(sim_worker_loop(w), &o, &b->h[i]) != 0) {
            return -1;
        }
    }
    b->cap = c->conns;
    *out = b;
    return 0;
}

static void eFreed(void *data)
{
    (void)data;
}

static void eClose(void *be)
{
    struct eb *b = be;
    for (int i = 0; i < MEMBERS; i++) {
        httpc_close(b->h[i], eFreed, NULL);
    }
    free(b); /* callbacks of the closing clients do not touch b */
}

static uint32_t ePending(void *be)
{
    struct eb *b = be;
    uint32_t n = 0;
    for (int i = 0; i < MEMBERS; i++) {
        n += httpc_pending(b->h[i]);
    }
    return n;
}

static bool eRoom(void *be)
{
    return ePending(be) < ((struct eb *)be)->cap;
}

static int eHold(void *be, struct task *t, const char *pool,
                 const char *patient, const char *channel, uint32_t ttl_ms)
{
    struct eb *b = be;
    struct ereq *q = sim_task_area(t);
    (void)pool;
    (void)channel;
    (void)ttl_ms;
    q->t = t;
    q->b = b;
    q->pool = sim_task_pool(t);
    q->attempts = 0;
    q->v = b->seen[q->pool];
    snprintf(q->patient, sizeof q->patient, "%s", patient);
    return eSend(q);
}

static int eUnsupported(void *be, struct task *t, uint64_t hold,
                        const char *ref)
{
    (void)be;
    (void)t;
    (void)hold;
    (void)ref;
    return SLOT_UNKNOWN_OP;
}

static int eUnsupported2(void *be, struct task *t, uint64_t hold)
{
    (void)be;
    (void)t;
    (void)hold;
    return SLOT_UNKNOWN_OP;
}

const struct be_vt be_etcd = {
    .name = "etcd",
    .one_step = true,
    .req_size = sizeof(struct ereq),
    .open = eOpen,
    .close = eClose,
    .pending = ePending,
    .room = eRoom,
    .hold = eHold,
    .confirm = eUnsupported,
    .release = eUnsupported2,
    .query = NULL,
};

/* ---- the system ---------------------------------------------------------- */

struct ectx {
    char bin[512];
    char host[MEMBERS][32];
    int cport[MEMBERS];
};

static int post(struct sys *s, int m, const char *path, const char *json,
                char **body)
{
    struct ectx *e = s->peer_ctx;
    char buf[4096];
    int n = formatPost(buf, sizeof buf, e->host[m], path, json);
    return httpc_sync("127.0.0.1", e->cport[m], buf, (size_t)n, 5000, body,
                      NULL);
}

static int get(struct sys *s, int m, const char *path, char **body)
{
    struct ectx *e = s->peer_ctx;
    char buf[512];
    int n = snprintf(buf, sizeof buf, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n",
                     path, e->host[m]);
    return httpc_sync("127.0.0.1", e->cport[m], buf, (size_t)n, 2000, body,
                      NULL);
}

static int etcdStart(struct sys *s, struct run *r)
{
    struct ectx *e = calloc(1, sizeof *e);
    int ports[2 * MEMBERS];
    char initial[512] = "";
    s->peer_ctx = e;
    s->run = r;
    if (e == NULL) {
        return -1;
    }
    if (proc_which("etcd", e->bin, sizeof e->bin) != 0) {
        fprintf(stderr, "slotbench: etcd not installed (apt-get install "
                        "etcd-server etcd-client)\n");
        return -1;
    }
    if (proc_tmpdir(s->peer_dir, sizeof s->peer_dir, "SLOTBENCH_TMP",
                    "/var/tmp", "slotbench-etcd-") != 0 ||
        proc_free_ports(ports, 2 * MEMBERS) != 0) {
        return -1;
    }
    for (int i = 0; i < MEMBERS; i++) {
        size_t l = strlen(initial);
        snprintf(initial + l, sizeof initial - l, "%se%d=http://127.0.0.1:%d",
                 i ? "," : "", i + 1, ports[2 * i + 1]);
    }
    r->target[0] = '\0';
    for (int i = 0; i < MEMBERS; i++) {
        char name[8], dir[300], curl[64], purl[64], log[320];
        e->cport[i] = ports[2 * i];
        snprintf(e->host[i], sizeof e->host[i], "127.0.0.1:%d", e->cport[i]);
        snprintf(name, sizeof name, "e%d", i + 1);
        snprintf(dir, sizeof dir, "%s/%s", s->peer_dir, name);
        snprintf(curl, sizeof curl, "http://127.0.0.1:%d", e->cport[i]);
        snprintf(purl, sizeof purl, "http://127.0.0.1:%d", ports[2 * i + 1]);
        snprintf(log, sizeof log, "%s/%s.log", s->peer_dir, name);
        char *argv[] = {e->bin,      "--name",
                        name,        "--data-dir",
                        dir,         "--listen-client-urls",
                        curl,        "--advertise-client-urls",
                        curl,        "--listen-peer-urls",
                        purl,        "--initial-advertise-peer-urls",
                        purl,        "--initial-cluster",
                        initial,     "--initial-cluster-token",
                        "slotbench", "--initial-cluster-state",
                        "new",       "--logger",
                        "zap",       "--log-level",
                        "warn",      NULL};
        if (proc_spawn(&s->peer[i], name, argv, log) != 0) {
            return -1;
        }
        s->n_peer = i + 1;
        size_t l = strlen(r->target);
        snprintf(r->target + l, sizeof r->target - l, "%s%s", i ? "," : "",
                 e->host[i]);
    }
    long long end = tclock_mono_ms() + HEALTH_WAIT_MS;
    for (int i = 0; i < MEMBERS; i++) {
        for (;;) {
            char *body = NULL;
            int st = get(s, i, "/health", &body);
            bool ok = st == 200 && body != NULL && strstr(body, "true") != NULL;
            free(body);
            if (ok) {
                break;
            }
            if (tclock_mono_ms() > end || proc_exited(&s->peer[i])) {
                fprintf(stderr,
                        "slotbench: etcd member %d not healthy (logs in %s)\n",
                        i + 1, s->peer_dir);
                return -1;
            }
            tclock_sleep_ms(100);
        }
    }
    char *body = NULL;
    if (get(s, 0, "/version", &body) == 200 && body != NULL) {
        json_t *v = json_loads(body, 0, NULL);
        snprintf(s->version, sizeof s->version, "%s",
                 json_string_value(json_object_get(v, "etcdserver"))
                     ? json_string_value(json_object_get(v, "etcdserver"))
                     : "?");
        json_decref(v);
    }
    free(body);
    return 0;
}

static int etcdConfigure(struct sys *s, uint32_t a, uint32_t b)
{
    (void)s;
    (void)a;
    (void)b;
    return 0;
}

static int etcdCreatePool(struct sys *s, struct run *r, uint32_t i, int64_t rel)
{
    char k[160], v[32], json[400];
    (void)rel;
    keyB64(r->pool[i].id, NULL, k, sizeof k);
    numB64(r->pool[i].capacity, v, sizeof v);
    snprintf(json, sizeof json, "{\"key\":\"%s\",\"value\":\"%s\"}", k, v);
    return post(s, 0, "/v3/kv/put", json, NULL) == 200 ? 0 : -1;
}

static int etcdCounters(struct sys *s, struct sys_counters *out)
{
    (void)s;
    memset(out, 0, sizeof *out);
    return 0;
}

/* Range over the pool's patient keys: their count, or their values. */
static json_t *patients(struct sys *s, const char *pool, bool count_only)
{
    char from[200], to[200], fb[300], tb[300], json[800];
    snprintf(from, sizeof from, KEY_PREFIX "%s/p/", pool);
    snprintf(to, sizeof to, KEY_PREFIX "%s/p0", pool); /* '/' + 1 */
    b64enc(from, strlen(from), fb, sizeof fb);
    b64enc(to, strlen(to), tb, sizeof tb);
    snprintf(json, sizeof json, "{\"key\":\"%s\",\"range_end\":\"%s\"%s}", fb,
             tb, count_only ? ",\"count_only\":true" : "");
    char *body = NULL;
    json_t *doc = NULL;
    if (post(s, 0, "/v3/kv/range", json, &body) == 200 && body != NULL) {
        doc = json_loads(body, 0, NULL);
    }
    free(body);
    return doc;
}

static int etcdPoolState(struct sys *s, const char *pool, struct pool_state *o)
{
    char k[160], json[300];
    char *body = NULL;
    keyB64(pool, NULL, k, sizeof k);
    snprintf(json, sizeof json, "{\"key\":\"%s\"}", k);
    if (post(s, 0, "/v3/kv/range", json, &body) != 200 || body == NULL) {
        free(body);
        return -1;
    }
    json_t *doc = json_loads(body, 0, NULL);
    free(body);
    int64_t left = rangeValue(doc);
    json_decref(doc);
    json_t *c = patients(s, pool, true);
    const char *n = json_string_value(json_object_get(c, "count"));
    int64_t booked = n ? strtoll(n, NULL, 10) : 0;
    json_decref(c);
    if (left < 0) {
        return -1;
    }
    o->free = (uint32_t)left;
    o->held = 0;
    o->booked = (uint32_t)booked;
    for (uint32_t i = 0; i < s->run->n_pools; i++) {
        if (strcmp(s->run->pool[i].id, pool) == 0) {
            o->capacity = s->run->pool[i].capacity;
        }
    }
    return 0;
}

static int etcdResolve(struct sys *s, const char *pool, const char *patient,
                       bool *booked, struct booking *b)
{
    char k[200], json[300];
    char *body = NULL;
    keyB64(pool, patient, k, sizeof k);
    snprintf(json, sizeof json, "{\"key\":\"%s\"}", k);
    *booked = false;
    if (post(s, 0, "/v3/kv/range", json, &body) != 200 || body == NULL) {
        free(body);
        return -1;
    }
    json_t *doc = json_loads(body, 0, NULL);
    free(body);
    int64_t v = rangeValue(doc);
    json_decref(doc);
    if (v > 0) {
        *booked = true;
        b->id = 0;
        b->visit_no = (uint32_t)v;
    }
    return 0;
}

static int etcdSlots(struct sys *s, const char *pool, uint32_t **out,
                     uint32_t *n)
{
    json_t *doc = patients(s, pool, false);
    json_t *kvs = json_object_get(doc, "kvs");
    size_t m = json_array_size(kvs);
    *out = malloc((m + 1) * sizeof **out);
    *n = 0;
    for (size_t i = 0; *out != NULL && i < m; i++) {
        const char *v =
            json_string_value(json_object_get(json_array_get(kvs, i), "value"));
        char buf[32];
        if (v != NULL) {
            b64dec(v, buf, sizeof buf);
            (*out)[(*n)++] = (uint32_t)strtoul(buf, NULL, 10);
        }
    }
    json_decref(doc);
    return 0;
}

static json_t *etcdDescribe(struct sys *s)
{
    return json_pack(
        "{s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:s}", "system", "etcd", "version",
        s->version, "members", MEMBERS, "flags",
        "--name --data-dir --listen/advertise-client-urls "
        "--listen-peer-urls --initial-advertise-peer-urls --initial-cluster "
        "--initial-cluster-token --initial-cluster-state new --logger zap "
        "--log-level warn; everything else default",
        "durability",
        "default: WAL fsync'd before a proposal commits (no --unsafe-no-fsync)",
        "client",
        "v3 JSON gateway over HTTP/1.1 keep-alive, one request in flight per "
        "connection, connections spread over the 3 members",
        "booking",
        "txn: compare value(left)==v and create_revision(patient)==0; put "
        "left=v-1, put patient=slot; on failure range both and retry",
        "data_fs", proc_fs_type(s->peer_dir));
}

static void etcdStop(struct sys *s)
{
    for (int i = 0; i < s->n_peer; i++) {
        proc_stop(&s->peer[i], 5000, NULL, 0);
    }
    s->n_peer = 0;
    if (s->peer_dir[0] != '\0' && getenv("SLOTBENCH_KEEP") == NULL) {
        proc_rmrf(s->peer_dir);
    }
    free(s->peer_ctx);
    s->peer_ctx = NULL;
}

const struct sys_vt sys_etcd = {
    .name = "etcd",
    .start = etcdStart,
    .configure = etcdConfigure,
    .create_pool = etcdCreatePool,
    .counters = etcdCounters,
    .pool_state = etcdPoolState,
    .resolve = etcdResolve,
    .slots = etcdSlots,
    .describe = etcdDescribe,
    .stop = etcdStop,
};
