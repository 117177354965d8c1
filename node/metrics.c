/* metrics: slotd's Prometheus endpoint (see metrics.h). */
#include "metrics.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "slot_addr.h"
#include "slot_prom.h"

static const struct {
    const char *name, *type, *help;
} table[METRICS_COUNT] = {
#define METRICS_ROW(id, n, t, h) [METRICS_##id] = {n, t, h},
    METRICS_LIST(METRICS_ROW)
#undef METRICS_ROW
};

const char *metrics_name(enum metrics_id id)
{
    return id < METRICS_COUNT ? table[id].name : NULL;
}

/* ---- recording -------------------------------------------------------------- */

/* Seconds histograms, in microseconds: 10 us (an apply of a few commands)
 * to 30 s (a snapshot of a large ledger). */
static const uint64_t bounds_us[] = {
    10,     25,      50,      100,     250,      500,     1000,
    2500,   5000,    10000,   25000,   50000,    100000,  250000,
    500000, 1000000, 2500000, 5000000, 10000000, 30000000};
#define N_BOUNDS_US (sizeof bounds_us / sizeof bounds_us[0])
_Static_assert(N_BOUNDS_US <= METRICS_BOUNDS_MAX, "METRICS_BOUNDS_MAX");

/* Commands per entry: powers of two up to SLOT_BATCH_CMDS_MAX. */
static const uint64_t bounds_cmds[] = {1,  2,   4,   8,   16,  32,
                                       64, 128, 256, 512, 1024};
#define N_BOUNDS_CMDS (sizeof bounds_cmds / sizeof bounds_cmds[0])
_Static_assert(N_BOUNDS_CMDS <= METRICS_BOUNDS_MAX, "METRICS_BOUNDS_MAX");

void metrics_rec_seconds(struct metrics_hist *h, uint64_t us)
{
    slot_prom_hist_add(h->buckets, bounds_us, N_BOUNDS_US, us);
    h->count++;
    h->sum += us;
}

void metrics_rec_commands(struct metrics_hist *h, uint64_t n)
{
    slot_prom_hist_add(h->buckets, bounds_cmds, N_BOUNDS_CMDS, n);
    h->count++;
    h->sum += n;
}

/* FNV-1a: pool ids are short, and the table only needs spreading. */
static uint32_t hashPool(const char *p, uint32_t len)
{
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < len; i++) {
        h = (h ^ (uint8_t)p[i]) * 16777619u;
    }
    return h;
}

/* The slot of pool in window w, or NULL; *free_slot gets the first empty
 * slot met (NULL if none within METRICS_HOT_PROBES). */
static struct metrics_hot_slot *hotFind(struct metrics_hot_slot *w,
                                        const char *pool, uint32_t len,
                                        struct metrics_hot_slot **free_slot)
{
    uint32_t h = hashPool(pool, len);
    *free_slot = NULL;
    for (uint32_t k = 0; k < METRICS_HOT_PROBES; k++) {
        struct metrics_hot_slot *s = &w[(h + k) % METRICS_HOT_SLOTS];
        if (s->len == 0) {
            *free_slot = s;
            return NULL; /* slots are never emptied one by one */
        }
        if (s->len == len && memcmp(s->pool, pool, len) == 0) {
            return s;
        }
    }
    return NULL;
}

/* Starts a new window when the current one is over; after two idle
 * windows both are empty. */
static void hotRotate(struct metrics_rec *r, uint64_t now_ms)
{
    if (now_ms < r->_hot_start_ms + METRICS_HOT_WINDOW_MS) {
        return;
    }
    bool both = now_ms >= r->_hot_start_ms + 2 * METRICS_HOT_WINDOW_MS;
    r->_hot_cur ^= 1;
    memset(r->_hot[r->_hot_cur], 0, sizeof r->_hot[0]);
    if (both) {
        memset(r->_hot[r->_hot_cur ^ 1], 0, sizeof r->_hot[0]);
    }
    r->_hot_start_ms = now_ms;
}

void metrics_rec_hold(struct metrics_rec *r, const char *pool, uint32_t len,
                      uint64_t now_ms)
{
    hotRotate(r, now_ms);
    if (len == 0 || len > SLOT_POOL_ID_MAX) {
        r->hot_untracked++;
        return;
    }
    struct metrics_hot_slot *free_slot;
    struct metrics_hot_slot *s =
        hotFind(r->_hot[r->_hot_cur], pool, len, &free_slot);
    if (s == NULL && free_slot != NULL) {
        s = free_slot;
        s->len = len;
        memcpy(s->pool, pool, len);
    }
    if (s == NULL) {
        r->hot_untracked++;
        return;
    }
    s->holds++;
}

/* ---- rendering ---------------------------------------------------------- */

static void mpPut(void *ctx, const char *s, size_t n)
{
    mp_buf_append(ctx, s, n);
}

static void head(const struct slot_prom_out *o, enum metrics_id id)
{
    slot_prom_head(o, table[id].name, table[id].type, table[id].help);
}

static void scalar(const struct slot_prom_out *o, enum metrics_id id,
                   uint64_t v)
{
    head(o, id);
    slot_prom_printf(o, "%s %" PRIu64 "\n", table[id].name, v);
}

static void histSeconds(const struct slot_prom_out *o, enum metrics_id id,
                        const char *label, const char *value,
                        const struct metrics_hist *h)
{
    slot_prom_hist(o, table[id].name, label, value, bounds_us, N_BOUNDS_US,
                   1e-6, h->buckets, h->count, h->sum);
}

struct hot_row {
    const struct metrics_hot_slot *slot;
    uint64_t holds;
};

/* Keeps top[0..*n) sorted by holds, descending, at most cap rows. */
static void topInsert(struct hot_row *top, uint32_t *n, uint32_t cap,
                      const struct metrics_hot_slot *slot, uint64_t holds)
{
    if (cap == 0 || (*n == cap && top[cap - 1].holds >= holds)) {
        return;
    }
    uint32_t i = *n < cap ? (*n)++ : cap - 1;
    while (i > 0 && top[i - 1].holds < holds) {
        top[i] = top[i - 1];
        i--;
    }
    top[i] = (struct hot_row){slot, holds};
}

/* One pass over both windows: each pool's holds are its current count
 * plus its previous one. */
static uint32_t hotTop(struct metrics_rec *r, struct hot_row *top, uint32_t cap)
{
    uint32_t n = 0;
    struct metrics_hot_slot *cur = r->_hot[r->_hot_cur];
    struct metrics_hot_slot *prev = r->_hot[r->_hot_cur ^ 1];
    struct metrics_hot_slot *free_slot;
    for (uint32_t i = 0; i < METRICS_HOT_SLOTS; i++) {
        const struct metrics_hot_slot *s = &cur[i];
        if (s->len != 0) {
            const struct metrics_hot_slot *p =
                hotFind(prev, s->pool, s->len, &free_slot);
            topInsert(top, &n, cap, s,
                      (uint64_t)s->holds + (p != NULL ? p->holds : 0));
        }
    }
    for (uint32_t i = 0; i < METRICS_HOT_SLOTS; i++) {
        const struct metrics_hot_slot *s = &prev[i];
        if (s->len != 0 && hotFind(cur, s->pool, s->len, &free_slot) == NULL) {
            topInsert(top, &n, cap, s, s->holds);
        }
    }
    return n;
}

static const char *const role_names[METRICS_ROLES] = {"unavailable", "follower",
                                                      "candidate", "leader"};
static const char *const disk_names[METRICS_DISK_OPS] = {
    "append", "snapshot", "truncate", "term", "vote"};

void metrics_render(struct metrics_values *v, uint32_t hot_n, uint64_t now_ms,
                    uint64_t refused, struct mp_buf *out)
{
    const struct slot_prom_out o = {.put = mpPut, .ctx = out};
    static const struct metrics_rec none;
    const struct metrics_rec *rec = v->rec != NULL ? v->rec : &none;

    head(&o, METRICS_ROLE);
    for (int i = 0; i < METRICS_ROLES; i++) {
        slot_prom_printf(&o, "slotd_role{role=\"%s\"} %d\n", role_names[i],
                         (int)v->role == i);
    }
    scalar(&o, METRICS_LEADER_ID, v->leader_id);
    scalar(&o, METRICS_TERM, v->term);
    scalar(&o, METRICS_COMMIT, v->commit);
    scalar(&o, METRICS_APPLIED, v->applied);
    scalar(&o, METRICS_LAST, v->last);
    scalar(&o, METRICS_ENTRIES, v->entries);
    scalar(&o, METRICS_COMMANDS, v->commands);
    head(&o, METRICS_ENTRY_CMDS);
    slot_prom_hist(&o, table[METRICS_ENTRY_CMDS].name, NULL, NULL, bounds_cmds,
                   N_BOUNDS_CMDS, 1.0, rec->entry_cmds.buckets,
                   rec->entry_cmds.count, rec->entry_cmds.sum);
    head(&o, METRICS_APPLY);
    histSeconds(&o, METRICS_APPLY, NULL, NULL, &rec->apply_us);
    scalar(&o, METRICS_BATCHES, v->batches);
    scalar(&o, METRICS_BUSY, v->busy);
    scalar(&o, METRICS_STALLS, v->leader_stalls);
    head(&o, METRICS_STALL_MAX);
    slot_prom_printf(
        &o, "%s %" PRIu64 ".%06" PRIu64 "\n", table[METRICS_STALL_MAX].name,
        v->leader_stall_max_us / 1000000, v->leader_stall_max_us % 1000000);
    scalar(&o, METRICS_NOT_LEADER, v->not_leader);
    scalar(&o, METRICS_LOST, v->lost);
    scalar(&o, METRICS_EXPIRE, v->expire);
    head(&o, METRICS_OVERDUE);
    slot_prom_printf(&o, "%s %.3f\n", table[METRICS_OVERDUE].name,
                     v->overdue_s);
    scalar(&o, METRICS_SNAP_TAKEN, v->snapshots_taken);
    scalar(&o, METRICS_SNAP_RESTORED, v->snapshots_restored);
    scalar(&o, METRICS_SNAP_FAILED, rec->snapshot_failures);
    head(&o, METRICS_SNAP_LAST_OK);
    slot_prom_printf(&o, "%s %.3f\n", table[METRICS_SNAP_LAST_OK].name,
                     (double)rec->snapshot_last_ok_ms / 1e3);
    head(&o, METRICS_SNAP_DUR);
    histSeconds(&o, METRICS_SNAP_DUR, NULL, NULL, &rec->snapshot_us);
    head(&o, METRICS_FORK);
    histSeconds(&o, METRICS_FORK, NULL, NULL, &rec->fork_us);
    head(&o, METRICS_DISK);
    for (int i = 0; i < METRICS_DISK_OPS; i++) {
        histSeconds(&o, METRICS_DISK, "op", disk_names[i], &rec->disk_us[i]);
    }
    scalar(&o, METRICS_POOLS, v->ledger.pools);
    scalar(&o, METRICS_PATIENTS, v->ledger.patients);
    scalar(&o, METRICS_SESSIONS, v->ledger.sessions);
    scalar(&o, METRICS_HOLDS, v->ledger.holds_active);
    scalar(&o, METRICS_BOOKINGS, v->ledger.bookings_active);
    scalar(&o, METRICS_RETAINED, v->ledger.retained);
    scalar(&o, METRICS_EVENTS, v->events_held);

    head(&o, METRICS_HOT);
    if (v->rec != NULL) {
        struct hot_row top[METRICS_HOT_N_MAX];
        hotRotate(v->rec, now_ms);
        uint32_t n = hotTop(
            v->rec, top, hot_n < METRICS_HOT_N_MAX ? hot_n : METRICS_HOT_N_MAX);
        for (uint32_t i = 0; i < n; i++) {
            char pool[SLOT_POOL_ID_MAX + 1];
            memcpy(pool, top[i].slot->pool, top[i].slot->len);
            pool[top[i].slot->len] = '\0';
            slot_prom_printf(&o, "%s{pool=\"", table[METRICS_HOT].name);
            slot_prom_label(&o, pool);
            slot_prom_printf(&o, "\"} %" PRIu64 "\n", top[i].holds);
        }
    }
    scalar(&o, METRICS_HOT_WINDOW, METRICS_HOT_WINDOW_MS / 1000);
    scalar(&o, METRICS_HOT_UNTRACKED, rec->hot_untracked);
    scalar(&o, METRICS_REFUSED, refused);
}

/* ---- the request parser ------------------------------------------------- */

static bool isTchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* The end of the head ("\r\n\r\n"), or NULL. */
static const char *headEnd(const char *buf, size_t len)
{
    for (size_t i = 3; i < len; i++) {
        if (buf[i] == '\n' && buf[i - 1] == '\r' && buf[i - 2] == '\n' &&
            buf[i - 3] == '\r') {
            return buf + i + 1;
        }
    }
    return NULL;
}

/* One header line [p, eol) (without CRLF). */
static bool headerOk(const char *p, const char *eol)
{
    const char *colon = p;
    while (colon < eol && isTchar(*colon)) {
        colon++;
    }
    if (colon == p || colon == eol || *colon != ':') {
        return false;
    }
    size_t nlen = (size_t)(colon - p);
    for (const char *q = colon + 1; q < eol; q++) {
        /* Field values: visible ASCII, obs-text, SP and HTAB. */
        if ((unsigned char)*q < 0x20 && *q != '\t') {
            return false;
        }
        if (*q == 0x7f) {
            return false;
        }
    }
    const char *val = colon + 1;
    while (val < eol && (*val == ' ' || *val == '\t')) {
        val++;
    }
    if (nlen == 17 && strncasecmp(p, "transfer-encoding", 17) == 0) {
        return false;
    }
    if (nlen == 14 && strncasecmp(p, "content-length", 14) == 0) {
        /* Only an explicit empty body is acceptable. */
        const char *e = eol;
        while (e > val && (e[-1] == ' ' || e[-1] == '\t')) {
            e--;
        }
        return e - val == 1 && *val == '0';
    }
    return true;
}

enum metrics_parse metrics_parse_request(const char *buf, size_t len)
{
    if (len > METRICS_REQUEST_MAX) {
        return METRICS_PARSE_BAD;
    }
    const char *end = headEnd(buf, len);
    if (end == NULL) {
        /* A bare LF, or a NUL, anywhere already received is malformed. */
        for (size_t i = 0; i < len; i++) {
            if (buf[i] == '\0' ||
                (buf[i] == '\n' && (i == 0 || buf[i - 1] != '\r'))) {
                return METRICS_PARSE_BAD;
            }
        }
        return len == METRICS_REQUEST_MAX ? METRICS_PARSE_BAD
                                          : METRICS_PARSE_MORE;
    }
    /* The request line. */
    const char *p = buf, *eol = memchr(buf, '\r', (size_t)(end - buf));
    if (eol[1] != '\n') {
        return METRICS_PARSE_BAD;
    }
    const char *m = p;
    while (m < eol && *m >= 'A' && *m <= 'Z') {
        m++;
    }
    size_t mlen = (size_t)(m - p);
    if (mlen == 0 || mlen > 16 || m == eol || *m != ' ') {
        return METRICS_PARSE_BAD;
    }
    const char *target = m + 1, *t = target;
    while (t<eol && * t> ' ' && *t < 0x7f) {
        t++;
    }
    if (t == target || *target != '/' || t == eol || *t != ' ') {
        return METRICS_PARSE_BAD;
    }
    const char *ver = t + 1;
    if (eol - ver != 8 || memcmp(ver, "HTTP/1.", 7) != 0 ||
        (ver[7] != '0' && ver[7] != '1')) {
        return METRICS_PARSE_BAD;
    }
    /* Header lines up to the empty line. */
    for (p = eol + 2; p < end - 2;) {
        eol = memchr(p, '\r', (size_t)(end - p));
        if (eol == NULL || eol[1] != '\n' ||
            memchr(p, '\n', (size_t)(eol - p)) != NULL || !headerOk(p, eol)) {
            return METRICS_PARSE_BAD;
        }
        p = eol + 2;
    }
    size_t tlen = (size_t)(t - target);
    const char *q = memchr(target, '?', tlen);
    size_t plen = q != NULL ? (size_t)(q - target) : tlen;
    if (mlen == 3 && memcmp(buf, "GET", 3) == 0 && plen == 8 &&
        memcmp(target, "/metrics", 8) == 0) {
        return METRICS_PARSE_METRICS;
    }
    return METRICS_PARSE_NOT_FOUND;
}

/* ---- the server ---------------------------------------------------------- */

struct mconn {
    struct metrics_server *s;
    bool used;
    bool answered; /* a reply is being written: ignore further input */
    int handles;   /* open handles (tcp, timer) while closing */
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_write_t write;
    struct mp_buf out;
    size_t len;
    char req[METRICS_REQUEST_MAX];
};

struct metrics_server {
    uv_loop_t *loop;
    uv_tcp_t listener;
    uint32_t hot_n;
    metrics_collect_cb collect;
    void *data;
    uint64_t refused;
    bool stopping;
    int handles; /* listener + every connection's open handles */
    void (*stop_cb)(void *data);
    void *stop_data;
    struct mconn conns[METRICS_CONNS_MAX];
};

static void handleClosed(uv_handle_t *h)
{
    struct metrics_server *s = h->data;
    if (--s->handles == 0 && s->stopping && s->stop_cb != NULL) {
        s->stop_cb(s->stop_data);
    }
}

static void connHandleClosed(uv_handle_t *h)
{
    struct mconn *c = h->data;
    struct metrics_server *s = c->s;
    if (--c->handles == 0) {
        mp_buf_free(&c->out);
        c->used = false;
    }
    if (--s->handles == 0 && s->stopping && s->stop_cb != NULL) {
        s->stop_cb(s->stop_data);
    }
}

static void connClose(struct mconn *c)
{
    if (c->handles != 2 || uv_is_closing((uv_handle_t *)&c->tcp)) {
        return;
    }
    uv_close((uv_handle_t *)&c->tcp, connHandleClosed);
    uv_close((uv_handle_t *)&c->timer, connHandleClosed);
}

static void written(uv_write_t *w, int status)
{
    (void)status;
    connClose(w->data);
}

static void reply(struct mconn *c, int code, const char *reason,
                  const struct mp_buf *body)
{
    char headbuf[256];
    size_t blen = body != NULL ? body->len : 0;
    int n = snprintf(headbuf, sizeof headbuf,
                     "HTTP/1.1 %d %s\r\n"
                     "Content-Type: %s\r\n"
                     "Content-Length: %zu\r\n"
                     "Connection: close\r\n\r\n",
                     code, reason,
                     code == 200 ? "text/plain; version=0.0.4; charset=utf-8"
                                 : "text/plain; charset=utf-8",
                     blen);
    assert(n > 0 && (size_t)n < sizeof headbuf);
    mp_buf_reset(&c->out);
    mp_buf_append(&c->out, headbuf, (size_t)n);
    if (body != NULL) {
        mp_buf_append(&c->out, body->data, body->len);
    }
    c->answered = true;
    uv_read_stop((uv_stream_t *)&c->tcp);
    uv_buf_t b = uv_buf_init((char *)c->out.data, (unsigned)c->out.len);
    c->write.data = c;
    if (uv_write(&c->write, (uv_stream_t *)&c->tcp, &b, 1, written) != 0) {
        connClose(c);
    }
}

static void serve(struct mconn *c)
{
    struct metrics_server *s = c->s;
    switch (metrics_parse_request(c->req, c->len)) {
        case METRICS_PARSE_MORE:
            return;
        case METRICS_PARSE_METRICS: {
            struct metrics_values v;
            memset(&v, 0, sizeof v);
            s->collect(s->data, &v);
            struct mp_buf body;
            mp_buf_init(&body);
            metrics_render(&v, s->hot_n, uv_now(s->loop), s->refused, &body);
            reply(c, 200, "OK", &body);
            mp_buf_free(&body);
            return;
        }
        case METRICS_PARSE_NOT_FOUND:
            reply(c, 404, "Not Found", NULL);
            return;
        default:
            reply(c, 400, "Bad Request", NULL);
            return;
    }
}

static void allocCb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    struct mconn *c = h->data;
    (void)hint;
    /* One spare byte: a head that fills the buffer is judged too long. */
    *b = uv_buf_init(c->req + c->len, (unsigned)(sizeof c->req - c->len));
}

static void readCb(uv_stream_t *st, ssize_t nread, const uv_buf_t *b)
{
    struct mconn *c = st->data;
    (void)b;
    if (nread < 0) {
        connClose(c);
        return;
    }
    if (c->answered || nread == 0) {
        return;
    }
    c->len += (size_t)nread;
    serve(c);
}

static void idleCb(uv_timer_t *t)
{
    connClose(t->data);
}

static void refusedClosed(uv_handle_t *h)
{
    struct metrics_server *s = h->data;
    free(h);
    handleClosed((uv_handle_t *)&s->listener);
}

static void acceptCb(uv_stream_t *l, int status)
{
    struct metrics_server *s = l->data;
    if (status != 0 || s->stopping) {
        return;
    }
    struct mconn *c = NULL;
    for (int i = 0; i < METRICS_CONNS_MAX && c == NULL; i++) {
        c = s->conns[i].used ? NULL : &s->conns[i];
    }
    if (c == NULL) {
        /* Take it off the backlog and close it: the scraper retries. */
        uv_tcp_t *t = malloc(sizeof *t);
        if (t == NULL) {
            return;
        }
        uv_tcp_init(s->loop, t);
        t->data = s;
        s->handles++;
        s->refused++;
        uv_accept(l, (uv_stream_t *)t);
        uv_close((uv_handle_t *)t, refusedClosed);
        return;
    }
    memset(c, 0, offsetof(struct mconn, req));
    c->s = s;
    c->used = true;
    mp_buf_init(&c->out);
    uv_tcp_init(s->loop, &c->tcp);
    uv_timer_init(s->loop, &c->timer);
    c->tcp.data = c->timer.data = c;
    c->handles = 2;
    s->handles += 2;
    if (uv_accept(l, (uv_stream_t *)&c->tcp) != 0 ||
        uv_read_start((uv_stream_t *)&c->tcp, allocCb, readCb) != 0) {
        connClose(c);
        return;
    }
    uv_timer_start(&c->timer, idleCb, METRICS_IDLE_MS, 0);
}

int metrics_start(uv_loop_t *loop, const char *addr, uint32_t hot_n,
                  metrics_collect_cb collect, void *data,
                  struct metrics_server **out, char *err, size_t err_len)
{
    struct sockaddr_storage ss;
    *out = NULL;
    /* Start-up only, before the loop runs: a blocking resolve is fine. */
    struct slot_hostport hp;
    if (slot_hostport_parse(addr, strlen(addr), "--metrics", &hp, err,
                            err_len) != SLOT_OK ||
        slot_hostport_resolve_startup(&hp, "--metrics", AF_UNSPEC, &ss, err,
                                      err_len) != SLOT_OK) {
        return -1;
    }
    struct metrics_server *s = calloc(1, sizeof *s);
    if (s == NULL) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    s->loop = loop;
    s->hot_n = hot_n;
    s->collect = collect;
    s->data = data;
    uv_tcp_init(loop, &s->listener);
    s->listener.data = s;
    s->handles = 1;
    int rv = uv_tcp_bind(&s->listener, (const struct sockaddr *)&ss, 0);
    if (rv == 0) {
        rv = uv_listen((uv_stream_t *)&s->listener, 64, acceptCb);
    }
    if (rv != 0) {
        snprintf(err, err_len, "--metrics %s: %s", addr, uv_strerror(rv));
        /* Closed by metrics_stop; the caller stops slotd anyway. */
        *out = s;
        return -1;
    }
    *out = s;
    return 0;
}

void metrics_stop(struct metrics_server *s, void (*cb)(void *data),
                  void *cb_data)
{
    if (s->stopping) {
        return;
    }
    s->stopping = true;
    s->stop_cb = cb;
    s->stop_data = cb_data;
    for (int i = 0; i < METRICS_CONNS_MAX; i++) {
        if (s->conns[i].used) {
            connClose(&s->conns[i]);
        }
    }
    uv_close((uv_handle_t *)&s->listener, handleClosed);
}

void metrics_free(struct metrics_server *s)
{
    free(s);
}
