/* redis peer: the burst against a single Redis, as its users run it.
 *
 * ---- Configuration (recorded in every result's "system")
 * --------------------- Debian's redis-server (7.0), one instance on 127.0.0.1,
 * data in a fresh directory on the same disk as slotd's, with durability on:
 *
 *   appendonly yes
 *   appendfsync always    (the AOF is fsync'd before the replies of every
 *                          event-loop iteration are sent)
 *
 * and everything else at its defaults (RDB snapshots included). No
 * replication: a single node, as the issue measured it.
 *
 * ---- A booking: one Lua check-and-decrement (EVALSHA)
 * ------------------------ KEYS[1] {POOL}:left   KEYS[2] {POOL}:booked (hash
 * patient -> slot) already in the hash -> -2 (PATIENT_HAS_CLAIM); left missing
 * -> -3; left <= 0 -> -1 (SOLD_OUT); else DECR left, HSET patient = slot
 *   (capacity - left + 1) -> the slot number.
 * cfg->conns connections per worker (hiredis async on the worker's libuv
 * loop), cfg->depth commands pipelined on each.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcluster.h"
#include "slot_err.h"
#include "sys.h"

#ifndef HAVE_HIREDIS

static int noHiredis(struct sys *s, struct run *r)
{
    (void)s;
    (void)r;
    fprintf(stderr, "slotbench: built without hiredis (apt-get install "
                    "libhiredis-dev, then rebuild) - redis peer unavailable\n");
    return -1;
}

static json_t *rDescribeNone(struct sys *s)
{
    (void)s;
    return json_pack("{s:s,s:s}", "system", "redis", "error", "no hiredis");
}

static void rStopNone(struct sys *s)
{
    (void)s;
}

const struct sys_vt sys_redis = {
    .name = "redis",
    .start = noHiredis,
    .describe = rDescribeNone,
    .stop = rStopNone,
};
const struct be_vt be_redis = {.name = "redis", .one_step = true};

#else /* HAVE_HIREDIS */

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <hiredis/adapters/libuv.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#pragma GCC diagnostic pop

#define PING_WAIT_MS 10000

static const char SCRIPT[] =
    "if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return -2 end\n"
    "local left = tonumber(redis.call('GET', KEYS[1]))\n"
    "if left == nil then return -3 end\n"
    "if left <= 0 then return -1 end\n"
    "redis.call('DECR', KEYS[1])\n"
    "local slot = tonumber(ARGV[2]) - left + 1\n"
    "redis.call('HSET', KEYS[2], ARGV[1], slot)\n"
    "return slot\n";

static const char CONF[] = "appendonly yes\nappendfsync always\n";

/* The script's SHA1, loaded by the system before the workers start; read
 * only afterwards. */
static char g_sha[48];

static void keys(const char *pool, char *left, char *booked, size_t cap)
{
    snprintf(left, cap, "{%s}:left", pool);
    snprintf(booked, cap, "{%s}:booked", pool);
}

/* ---- the backend --------------------------------------------------------- */

struct rb {
    struct run *r;
    uint32_t n, cap, pending, open;
    redisAsyncContext *ac[BENCH_CONNS_MAX];
    bool up[BENCH_CONNS_MAX];
    uint32_t rr;
    bool closing;
};

struct rreq {
    struct task *t;
    struct rb *b;
};

static void rDone(redisAsyncContext *ac, void *reply, void *data)
{
    struct rreq *q = data;
    redisReply *rep = reply;
    struct be_result r;
    (void)ac;
    memset(&r, 0, sizeof r);
    q->b->pending--;
    if (rep == NULL) {
        r.status = q->b->closing ? SLOT_SHUTDOWN : SLOT_OUTCOME_UNKNOWN;
    } else if (rep->type == REDIS_REPLY_INTEGER) {
        long long v = rep->integer;
        r.status = v > 0     ? SLOT_OK
                   : v == -1 ? SLOT_SOLD_OUT
                   : v == -2 ? SLOT_PATIENT_HAS_CLAIM
                             : SLOT_UNKNOWN_POOL;
        r.visit_no = v > 0 ? (uint32_t)v : 0;
    } else {
        r.status = BENCH_ERR_HTTP; /* an error reply */
    }
    sim_complete(q->t, &r);
}

static void onConnect(const redisAsyncContext *ac, int status)
{
    struct rb *b = ac->data;
    for (uint32_t i = 0; i < b->n; i++) {
        if (b->ac[i] == ac) {
            b->up[i] = status == REDIS_OK;
        }
    }
}

static void onDisconnect(const redisAsyncContext *ac, int status)
{
    struct rb *b = ac->data;
    (void)status;
    for (uint32_t i = 0; i < b->n; i++) {
        if (b->ac[i] == ac) {
            b->up[i] = false;
            b->ac[i] = NULL;
        }
    }
    if (--b->open == 0 && b->closing) {
        free(b);
    }
}

static int rOpen(struct worker *w, void **out)
{
    struct run *r = sim_worker_run(w);
    const struct cfg *c = r->cfg;
    struct rb *b = calloc(1, sizeof *b);
    char host[64];
    if (b == NULL) {
        return -1;
    }
    const char *colon = strrchr(r->target, ':');
    snprintf(host, sizeof host, "%.*s", (int)(colon - r->target), r->target);
    b->r = r;
    b->n = c->conns;
    b->cap = c->conns * c->depth;
    for (uint32_t i = 0; i < b->n; i++) {
        redisAsyncContext *ac = redisAsyncConnect(host, atoi(colon + 1));
        if (ac == NULL || ac->err) {
            return -1;
        }
        ac->data = b;
        redisLibuvAttach(ac, sim_worker_loop(w));
        redisAsyncSetConnectCallback(ac, onConnect);
        redisAsyncSetDisconnectCallback(ac, onDisconnect);
        b->ac[i] = ac;
        b->up[i] = true; /* commands queue until the connect completes */
        b->open++;
    }
    *out = b;
    return 0;
}

static void rClose(void *be)
{
    struct rb *b = be;
    redisAsyncContext *ac[BENCH_CONNS_MAX];
    uint32_t n = 0;
    b->closing = true;
    for (uint32_t i = 0; i < b->n; i++) {
        if (b->ac[i] != NULL) {
            ac[n++] = b->ac[i];
        }
    }
    if (n == 0) {
        free(b);
        return;
    }
    /* The last disconnect frees b (onDisconnect): use only the copies. */
    for (uint32_t i = 0; i < n; i++) {
        redisAsyncDisconnect(ac[i]);
    }
}

static uint32_t rPending(void *be)
{
    return ((struct rb *)be)->pending;
}

static bool rRoom(void *be)
{
    struct rb *b = be;
    return b->pending < b->cap;
}

static int rHold(void *be, struct task *t, const char *pool,
                 const char *patient, const char *channel, uint32_t ttl_ms)
{
    struct rb *b = be;
    struct rreq *q = sim_task_area(t);
    char left[96], booked[96], cap[16];
    (void)channel;
    (void)ttl_ms;
    q->t = t;
    q->b = b;
    keys(pool, left, booked, sizeof left);
    snprintf(cap, sizeof cap, "%u", b->r->pool[sim_task_pool(t)].capacity);
    for (uint32_t k = 0; k < b->n; k++) {
        uint32_t i = (b->rr + k) % b->n;
        if (b->ac[i] == NULL || !b->up[i]) {
            continue;
        }
        b->rr = i + 1;
        if (redisAsyncCommand(b->ac[i], rDone, q, "EVALSHA %s 2 %s %s %s %s",
                              g_sha, left, booked, patient, cap) != REDIS_OK) {
            return SLOT_UNAVAILABLE;
        }
        b->pending++;
        sim_count(t, 1, 0);
        return 0;
    }
    return SLOT_UNAVAILABLE;
}

static int rUnsupported(void *be, struct task *t, uint64_t hold,
                        const char *ref)
{
    (void)be;
    (void)t;
    (void)hold;
    (void)ref;
    return SLOT_UNKNOWN_OP;
}

static int rUnsupported2(void *be, struct task *t, uint64_t hold)
{
    (void)be;
    (void)t;
    (void)hold;
    return SLOT_UNKNOWN_OP;
}

const struct be_vt be_redis = {
    .name = "redis",
    .one_step = true,
    .req_size = sizeof(struct rreq),
    .open = rOpen,
    .close = rClose,
    .pending = rPending,
    .room = rRoom,
    .hold = rHold,
    .confirm = rUnsupported,
    .release = rUnsupported2,
    .query = NULL,
};

/* ---- the system ---------------------------------------------------------- */

struct rctx {
    redisContext *c;
    int port;
};

static redisReply *cmd(struct sys *s, const char *fmt, ...)
{
    struct rctx *x = s->peer_ctx;
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(x->c, fmt, ap);
    va_end(ap);
    return r;
}

static int redisStart(struct sys *s, struct run *r)
{
    char bin[512], conf[400], log[400];
    struct rctx *x = calloc(1, sizeof *x);
    s->peer_ctx = x;
    s->run = r;
    if (x == NULL) {
        return -1;
    }
    if (proc_which("redis-server", bin, sizeof bin) != 0) {
        fprintf(stderr,
                "slotbench: redis-server not installed (apt-get install "
                "redis-server)\n");
        return -1;
    }
    if (proc_tmpdir(s->peer_dir, sizeof s->peer_dir, "SLOTBENCH_TMP",
                    "/var/tmp", "slotbench-redis-") != 0 ||
        proc_free_ports(&x->port, 1) != 0) {
        return -1;
    }
    snprintf(conf, sizeof conf, "%s/redis.conf", s->peer_dir);
    snprintf(log, sizeof log, "%s/redis.log", s->peer_dir);
    FILE *f = fopen(conf, "w");
    if (f == NULL) {
        return -1;
    }
    fprintf(f,
            "bind 127.0.0.1\nport %d\ndaemonize no\ndir %s\nlogfile \"\"\n%s",
            x->port, s->peer_dir, CONF);
    fclose(f);
    char *argv[] = {bin, conf, NULL};
    if (proc_spawn(&s->peer[0], "redis-server", argv, log) != 0) {
        return -1;
    }
    s->n_peer = 1;
    snprintf(r->target, sizeof r->target, "127.0.0.1:%d", x->port);
    long long end = tclock_mono_ms() + PING_WAIT_MS;
    while (tclock_mono_ms() < end && !proc_exited(&s->peer[0])) {
        struct timeval tv = {1, 0};
        x->c = redisConnectWithTimeout("127.0.0.1", x->port, tv);
        if (x->c != NULL && !x->c->err) {
            redisReply *p = redisCommand(x->c, "PING");
            bool ok = p != NULL && p->type == REDIS_REPLY_STATUS;
            freeReplyObject(p);
            if (ok) {
                break;
            }
        }
        if (x->c != NULL) {
            redisFree(x->c);
            x->c = NULL;
        }
        tclock_sleep_ms(50);
    }
    if (x->c == NULL) {
        fprintf(stderr, "slotbench: redis-server did not answer (log %s)\n",
                log);
        return -1;
    }
    redisReply *rep = cmd(s, "SCRIPT LOAD %s", SCRIPT);
    if (rep == NULL || rep->type != REDIS_REPLY_STRING) {
        freeReplyObject(rep);
        return -1;
    }
    snprintf(g_sha, sizeof g_sha, "%s", rep->str);
    freeReplyObject(rep);
    rep = cmd(s, "INFO server");
    if (rep != NULL && rep->type == REDIS_REPLY_STRING) {
        const char *v = strstr(rep->str, "redis_version:");
        if (v != NULL) {
            snprintf(s->version, sizeof s->version, "%.*s",
                     (int)strcspn(v + 14, "\r\n"), v + 14);
        }
    }
    freeReplyObject(rep);
    /* Make sure the durability settings took. */
    rep = cmd(s, "CONFIG GET appendfsync");
    bool always = rep != NULL && rep->type == REDIS_REPLY_ARRAY &&
                  rep->elements == 2 &&
                  strcmp(rep->element[1]->str, "always") == 0;
    freeReplyObject(rep);
    if (!always) {
        fprintf(stderr, "slotbench: redis did not take appendfsync always\n");
        return -1;
    }
    return 0;
}

static int redisConfigure(struct sys *s, uint32_t a, uint32_t b)
{
    (void)s;
    (void)a;
    (void)b;
    return 0;
}

static int redisCreatePool(struct sys *s, struct run *r, uint32_t i,
                           int64_t rel)
{
    char left[96], booked[96];
    (void)rel;
    keys(r->pool[i].id, left, booked, sizeof left);
    redisReply *rep = cmd(s, "SET %s %u", left, r->pool[i].capacity);
    bool ok = rep != NULL && rep->type == REDIS_REPLY_STATUS;
    freeReplyObject(rep);
    freeReplyObject(cmd(s, "DEL %s", booked));
    return ok ? 0 : -1;
}

static int redisCounters(struct sys *s, struct sys_counters *out)
{
    (void)s;
    memset(out, 0, sizeof *out);
    return 0;
}

static int redisPoolState(struct sys *s, const char *pool, struct pool_state *o)
{
    char left[96], booked[96];
    keys(pool, left, booked, sizeof left);
    redisReply *a = cmd(s, "GET %s", left);
    redisReply *b = cmd(s, "HLEN %s", booked);
    int rc = -1;
    if (a != NULL && a->type == REDIS_REPLY_STRING && b != NULL &&
        b->type == REDIS_REPLY_INTEGER) {
        o->free = (uint32_t)strtoul(a->str, NULL, 10);
        o->booked = (uint32_t)b->integer;
        o->held = 0;
        o->capacity = 0;
        for (uint32_t i = 0; i < s->run->n_pools; i++) {
            if (strcmp(s->run->pool[i].id, pool) == 0) {
                o->capacity = s->run->pool[i].capacity;
            }
        }
        rc = 0;
    }
    freeReplyObject(a);
    freeReplyObject(b);
    return rc;
}

static int redisResolve(struct sys *s, const char *pool, const char *patient,
                        bool *booked, struct booking *bk)
{
    char left[96], bkey[96];
    keys(pool, left, bkey, sizeof left);
    redisReply *rep = cmd(s, "HGET %s %s", bkey, patient);
    *booked = false;
    if (rep == NULL) {
        return -1;
    }
    if (rep->type == REDIS_REPLY_STRING) {
        *booked = true;
        bk->id = 0;
        bk->visit_no = (uint32_t)strtoul(rep->str, NULL, 10);
    }
    freeReplyObject(rep);
    return 0;
}

static int redisSlots(struct sys *s, const char *pool, uint32_t **out,
                      uint32_t *n)
{
    char left[96], booked[96];
    keys(pool, left, booked, sizeof left);
    redisReply *rep = cmd(s, "HVALS %s", booked);
    *n = 0;
    *out = NULL;
    if (rep == NULL || rep->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(rep);
        return -1;
    }
    *out = malloc((rep->elements + 1) * sizeof **out);
    for (size_t i = 0; *out != NULL && i < rep->elements; i++) {
        (*out)[(*n)++] = (uint32_t)strtoul(rep->element[i]->str, NULL, 10);
    }
    freeReplyObject(rep);
    return 0;
}

static json_t *redisDescribe(struct sys *s)
{
    return json_pack(
        "{s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:s}", "system", "redis", "version",
        s->version, "nodes", 1, "config",
        "bind 127.0.0.1, port, dir, appendonly yes, appendfsync always; "
        "everything else default (RDB save rules included)",
        "durability",
        "AOF fsync'd before each event loop's replies (appendfsync "
        "always); no replication",
        "client", "hiredis async on libuv, pipelined", "booking",
        "EVALSHA of a Lua check-and-decrement (HEXISTS, GET, "
        "DECR, HSET)",
        "data_fs", proc_fs_type(s->peer_dir));
}

static void redisStop(struct sys *s)
{
    struct rctx *x = s->peer_ctx;
    if (x != NULL && x->c != NULL) {
        redisFree(x->c);
    }
    if (s->n_peer > 0) {
        proc_stop(&s->peer[0], 5000, NULL, 0);
        s->n_peer = 0;
    }
    if (s->peer_dir[0] != '\0' && getenv("SLOTBENCH_KEEP") == NULL) {
        proc_rmrf(s->peer_dir);
    }
    free(x);
    s->peer_ctx = NULL;
}

const struct sys_vt sys_redis = {
    .name = "redis",
    .start = redisStart,
    .configure = redisConfigure,
    .create_pool = redisCreatePool,
    .counters = redisCounters,
    .pool_state = redisPoolState,
    .resolve = redisResolve,
    .slots = redisSlots,
    .describe = redisDescribe,
    .stop = redisStop,
};

#endif /* HAVE_HIREDIS */
