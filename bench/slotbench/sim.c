/* sim: workers and the simulated patients (see sim.h). */
#include "sim.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slot_err.h"
#include "hosp.h"
#include "procstat.h"
#include "trand.h"

#define TICK_MS        1u
#define DUE_PER_TICK   20000u /* timers fired per tick: keeps I/O flowing */
#define RETRY_SOON_MS  50u    /* after TIMEOUT, UNAVAILABLE, doubt */
#define CLIENT_BUSY_MS 1u     /* the client library's queue was full */
#define STORM_RETRY_MS 2u
#define BOOKINGS_MAX   (8u << 20) /* recorded bookings per worker */
#define NS_PER_MS      1000000ull

enum tkind { TK_PATIENT = 0, TK_BOT, TK_STEADY, TK_STORM };
enum tstate {
    TS_NEW = 0,
    TS_WAIT, /* in the heap; `next` says what to do then */
    TS_BUSY, /* an operation in flight */
    TS_DONE,
};
enum tnext { NX_HOLD = 0, NX_PROBE, NX_CONFIRM, NX_RELEASE, NX_QUERY };

struct task {
    struct worker *w;
    uint32_t idx; /* global index (burst, storm) or arrival number */
    uint64_t due_ns;
    uint64_t first_ns; /* first attempt: patience counts from here */
    uint64_t want_ns;  /* when the patient wanted to send the operation */
    uint64_t sub_ns;   /* when it was handed to the backend */
    uint64_t hold_id;
    uint64_t deadline_ms;
    uint32_t visit_no;
    uint16_t pool;
    uint8_t kind, state, next, op, probes;
    bool doubt_hold;    /* a hold attempt of unknown outcome */
    bool doubt_confirm; /* a confirm attempt of unknown outcome */
    bool booked;
    bool probing;
    uint8_t name_k, chan_k; /* --rules bots: current name and channel */
    uint32_t bot;           /* --rules bots: the bot's number */
    char patient[24];
    struct task *next_free; /* on the free list, or the wait FIFO */
    bool waiting;           /* on the wait FIFO */
};

/* A timer heap entry: (due time, task index) is a stable order. */
struct hent {
    uint64_t due_ns;
    uint32_t idx;
    struct task *t;
};

struct worker {
    struct run *r;
    const struct cfg *c;
    const struct be_vt *be;
    uint32_t id;
    pthread_t th;
    bool started;
    /* The intended send time of the operation submit() is given next (a
     * timer's due time, an open-loop arrival's slot), 0: now. Latency
     * counts from it, so a generator that falls behind its schedule shows
     * in the figures (no coordinated omission). */
    uint64_t want_at;
    uv_loop_t loop;
    uv_timer_t tick;
    void *bectx;
    unsigned char *mem; /* tasks, stride bytes each */
    size_t stride, area_off;
    uint32_t n_tasks;
    uint32_t n_fixed;  /* burst/storm tasks that count towards "done" */
    struct hent *heap; /* the timer heap, keys inline */
    uint32_t n_heap;
    struct task *free_list;
    struct trand rng; /* this worker's stream: a seed replays the run */
    struct stats st;
    struct booking *bk;
    uint64_t n_bk, cap_bk;
    bool truncated;
    struct doubt *dt;
    uint64_t n_dt, cap_dt;
    uint32_t inflight;
    /* Operations waiting for room in the backend (a bounded number of
     * connections, each with a bounded window): two FIFOs, each in want
     * order. */
    struct task *wq_head, *wq_tail; /* arrivals waiting for room */
    /* Follow-ups waiting for room (a confirm, a release, a query): served
     * before arrivals. A patient who holds already has a connection of
     * his own in a real channel (the one his hold came back on); only a
     * newcomer waits for one. One FIFO for both put every confirm of the
     * http burst behind ~90,000 waiting arrivals (4 s, twice the hold's
     * ttl: no booking at all). */
    struct task *fq_head, *fq_tail;
    uint32_t wq_n; /* both */
    bool stopping, closing;
    uint64_t drain_end_ns;
    /* open loop */
    double rate;
    uint64_t gen_start_ns;
    uint64_t issued;
    uint64_t arrival_no;
    uint64_t measure_from_ns;
    double pool_cdf[BENCH_POOLS_MAX];
    /* live counters, read by the main thread */
    _Atomic uint64_t a_dec, a_dec_ok, a_book, a_holds_ok, a_done;
    _Atomic uint32_t a_pending;
};

struct sim {
    struct run *r;
    uint32_t n;
    struct worker *w[BENCH_THREADS_MAX];
    uint64_t fixed_total;
};

static const char *const CHANNELS[BENCH_CHANNELS] = {"app", "wechat", "114",
                                                     "kiosk"};

/* True for a bot that rotates its names and channels (--rules). */
static bool rotates(const struct task *t)
{
    return t->kind == TK_BOT && t->w->r->hosp != NULL;
}

/* The channel the task's next operation goes through. */
static uint32_t chanOf(const struct task *t)
{
    return rotates(t) ? t->chan_k : t->idx % BENCH_CHANNELS;
}

/* The bucket of the pool the task books from (--rules), by its channel. */
static uint32_t bucketOf(const struct task *t)
{
    return hosp_bucket(CHANNELS[chanOf(t)]);
}

/* A rotating bot moves on to its next name and channel. */
static void rotate(struct task *t)
{
    t->name_k = (uint8_t)((t->name_k + 1) % t->w->c->bot_names);
    t->chan_k = (uint8_t)((t->chan_k + 1) % BENCH_CHANNELS);
    hosp_bot_name(t->bot, t->name_k, t->patient);
}

const char *bench_status_name(int code)
{
    switch (code) {
        case BENCH_ERR_RATE_LIMITED:
            return "RATE_LIMITED";
        case BENCH_ERR_OVERLOADED:
            return "OVERLOADED";
        case BENCH_ERR_AUTH:
            return "UNAUTHORIZED";
        case BENCH_ERR_HTTP:
            return "HTTP_ERROR";
        case BENCH_ERR_CONFLICT:
            return "CONFLICT";
        case BENCH_ERR_SHED:
            return "SHED";
        default:
            break;
    }
    const char *n = slot_err_name(code);
    return n ? n : "UNKNOWN_STATUS";
}

bool bench_status_retryable(int code)
{
    switch (code) {
        case SLOT_TIMEOUT:
        case SLOT_UNAVAILABLE:
        case SLOT_NAME_UNRESOLVED:
        case SLOT_SHUTDOWN:
        case SLOT_BUSY:
        case SLOT_NO_LEADER:
        case SLOT_NOT_LEADER:
        case SLOT_IO:
        case BENCH_ERR_RATE_LIMITED:
        case BENCH_ERR_OVERLOADED:
        case BENCH_ERR_HTTP:
        case BENCH_ERR_SHED:
            return true;
        default:
            return false;
    }
}

/* ---- small helpers ------------------------------------------------------- */

/* Uniform in [0, 1): the top 53 bits of the worker's stream. */
static double rnd01(struct worker *w)
{
    return trand_unit(&w->rng);
}

static uint64_t rndRange(struct worker *w, uint64_t lo, uint64_t hi)
{
    return hi <= lo ? lo : lo + trand_next(&w->rng) % (hi - lo + 1);
}

static struct task *taskAt(struct worker *w, uint32_t i)
{
    return (struct task *)(void *)(w->mem + (size_t)i * w->stride);
}

void *sim_task_area(struct task *t)
{
    struct worker *w = t->w;
    return (unsigned char *)t + w->area_off;
}

struct worker *sim_task_worker(struct task *t)
{
    return t->w;
}

uint32_t sim_task_channel(const struct task *t)
{
    return chanOf(t);
}

uint32_t sim_task_index(const struct task *t)
{
    return t->idx;
}

uint32_t sim_task_pool(const struct task *t)
{
    return t->pool;
}

uv_loop_t *sim_worker_loop(struct worker *w)
{
    return &w->loop;
}

struct run *sim_worker_run(struct worker *w)
{
    return w->r;
}

uint32_t sim_worker_id(const struct worker *w)
{
    return w->id;
}

void sim_count(struct task *t, uint32_t requests, uint32_t conflicts)
{
    t->w->st.be_requests += requests;
    t->w->st.be_conflicts += conflicts;
}

bool stats_is_decision(int status)
{
    return status == SLOT_OK || (status >= 20 && status < 60);
}

void stats_init(struct stats *st, uint32_t n_ms)
{
    memset(st, 0, sizeof *st);
    for (int i = 0; i < OPK_N; i++) {
        hist_init(&st->lat[i][0]);
        hist_init(&st->lat[i][1]);
    }
    hist_init(&st->live[0]);
    hist_init(&st->live[1]);
    hist_init(&st->service);
    for (int i = 0; i < 4; i++) {
        hist_init(&st->split[i]);
    }
    hist_init(&st->shed);
    st->n_ms = n_ms;
    st->dec_ms = calloc(n_ms, sizeof *st->dec_ms);
    st->ok_ms = calloc(n_ms, sizeof *st->ok_ms);
    st->book_ms = calloc(n_ms, sizeof *st->book_ms);
    st->first_by_ledger_ms = calloc(n_ms, sizeof *st->first_by_ledger_ms);
    if (!st->dec_ms || !st->ok_ms || !st->book_ms || !st->first_by_ledger_ms) {
        fprintf(stderr, "slotbench: out of memory\n");
        abort();
    }
}

uint32_t *stats_code_series(struct stats *st, int op, int status)
{
    uint32_t **a = &st->code_ms[op][status];
    if (*a == NULL) {
        *a = calloc(st->n_ms ? st->n_ms : 1, sizeof **a);
        if (*a == NULL) {
            fprintf(stderr, "slotbench: out of memory\n");
            abort();
        }
    }
    return *a;
}

void stats_free(struct stats *st)
{
    for (int op = 0; op < OPK_N; op++) {
        for (int k = 0; k < BENCH_STATUS_MAX; k++) {
            free(st->code_ms[op][k]);
            st->code_ms[op][k] = NULL;
        }
    }
    free(st->dec_ms);
    free(st->ok_ms);
    free(st->book_ms);
    free(st->first_by_ledger_ms);
    st->dec_ms = st->ok_ms = st->book_ms = st->first_by_ledger_ms = NULL;
}

void stats_merge(struct stats *d, const struct stats *s)
{
    hist_merge(&d->live[0], &s->live[0]);
    hist_merge(&d->live[1], &s->live[1]);
    hist_merge(&d->service, &s->service);
    for (int i = 0; i < 4; i++) {
        hist_merge(&d->split[i], &s->split[i]);
    }
    hist_merge(&d->shed, &s->shed);
    if (s->wait_max > d->wait_max) {
        d->wait_max = s->wait_max;
    }
    for (int i = 0; i < OPK_N; i++) {
        hist_merge(&d->lat[i][0], &s->lat[i][0]);
        hist_merge(&d->lat[i][1], &s->lat[i][1]);
        for (int k = 0; k < BENCH_STATUS_MAX; k++) {
            d->status[i][k] += s->status[i][k];
            if (i < 2) {
                d->hold_by[i][k] += s->hold_by[i][k];
            }
            if (s->code_ms[i][k] == NULL) {
                continue;
            }
            uint32_t *dst = stats_code_series(d, i, k);
            uint32_t n = d->n_ms < s->n_ms ? d->n_ms : s->n_ms;
            for (uint32_t m = 0; m < n; m++) {
                dst[m] += s->code_ms[i][k][m];
            }
        }
    }
    for (int who = 0; who < 2; who++) {
        for (int q = 0; q < 8; q++) {
            d->quota_by[who][q] += s->quota_by[who][q];
        }
    }
    d->decisions += s->decisions;
    d->decisions_ok += s->decisions_ok;
    d->bookings += s->bookings;
    d->holds_ok += s->holds_ok;
    d->client_busy += s->client_busy;
    d->dropped += s->dropped;
    d->lagged += s->lagged;
    d->arrivals += s->arrivals;
    d->abandoned += s->abandoned;
    d->gave_up += s->gave_up;
    d->doubtful += s->doubtful;
    d->hold_expired += s->hold_expired;
    d->be_requests += s->be_requests;
    d->wait_expired += s->wait_expired;
    d->be_conflicts += s->be_conflicts;
    uint32_t n = d->n_ms < s->n_ms ? d->n_ms : s->n_ms;
    for (uint32_t i = 0; i < n; i++) {
        d->dec_ms[i] += s->dec_ms[i];
        d->ok_ms[i] += s->ok_ms[i];
        d->book_ms[i] += s->book_ms[i];
        uint32_t a = d->first_by_ledger_ms[i], b = s->first_by_ledger_ms[i];
        if (b != 0 && (a == 0 || b < a)) {
            d->first_by_ledger_ms[i] = b;
        }
    }
}

/* ---- the timer heap (due time, then task index: a stable order) ---------- */

/* Entries carry their key, so sifting never touches a task: with 10^5
 * patients waiting, chasing task pointers made heapPop the generator's
 * hottest function (10 % of the machine in a burst profile). */
static bool before(const struct hent *a, const struct hent *b)
{
    return a->due_ns < b->due_ns || (a->due_ns == b->due_ns && a->idx < b->idx);
}

static void heapUp(struct worker *w, uint32_t i)
{
    struct hent e = w->heap[i];
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (!before(&e, &w->heap[p])) {
            break;
        }
        w->heap[i] = w->heap[p];
        i = p;
    }
    w->heap[i] = e;
}

static void heapDown(struct worker *w, uint32_t i)
{
    struct hent e = w->heap[i];
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = l;
        if (l >= w->n_heap) {
            break;
        }
        if (r < w->n_heap && before(&w->heap[r], &w->heap[l])) {
            m = r;
        }
        if (!before(&w->heap[m], &e)) {
            break;
        }
        w->heap[i] = w->heap[m];
        i = m;
    }
    w->heap[i] = e;
}

static void heapPush(struct worker *w, struct task *t)
{
    w->heap[w->n_heap] =
        (struct hent){.due_ns = t->due_ns, .idx = t->idx, .t = t};
    heapUp(w, w->n_heap++);
}

static struct task *heapPop(struct worker *w)
{
    struct task *t = w->heap[0].t;
    w->n_heap--;
    if (w->n_heap > 0) {
        w->heap[0] = w->heap[w->n_heap];
        heapDown(w, 0);
    }
    return t;
}

/* ---- recording ----------------------------------------------------------- */

static uint32_t msSinceT0(const struct worker *w, uint64_t ns)
{
    return (uint32_t)((ns - w->r->t0_ns) / NS_PER_MS);
}

static void record(struct worker *w, struct task *t,
                   const struct be_result *res, uint64_t now)
{
    struct stats *st = &w->st;
    int s = res->status;
    bool ok = s == SLOT_OK;
    int op = t->op;
    uint32_t ms = msSinceT0(w, now);
    if (s >= 0 && s < BENCH_STATUS_MAX) {
        st->status[op][s]++;
        if (op == OPK_HOLD) {
            int who = t->kind == TK_BOT;
            st->hold_by[who][s]++;
            if (s == SLOT_QUOTA_EXCEEDED) {
                st->quota_by[who][res->quota >= 0 && res->quota < 8 ? res->quota
                                                                    : 0]++;
            }
        }
        if (ms < st->n_ms) {
            stats_code_series(st, op, s)[ms]++;
        }
    }
    if (t->want_ns >= w->measure_from_ns) {
        hist_add(&st->lat[op][ok ? 0 : 1], now - t->want_ns);
        hist_add(&st->service, now - t->sub_ns);
        if (s == BENCH_ERR_OVERLOADED || s == BENCH_ERR_RATE_LIMITED) {
            hist_add(&st->shed, now - t->want_ns);
        }
        if (ok && res->sent_ns >= t->sub_ns && res->sent_ns <= now) {
            uint64_t srv_ns =
                res->server_us == UINT64_MAX ? 0 : res->server_us * 1000;
            uint64_t wire_ns = now - res->sent_ns;
            hist_add(&st->split[0], t->sub_ns - t->want_ns);
            hist_add(&st->split[1], res->sent_ns - t->sub_ns);
            hist_add(&st->split[2], wire_ns > srv_ns ? wire_ns - srv_ns : 0);
            if (res->server_us != UINT64_MAX) {
                hist_add(&st->split[3], srv_ns);
            }
        }
    }
    if (t->kind == TK_STEADY && w->r->phase == PH_STORM && op == OPK_HOLD) {
        int64_t sub_wall = w->r->t0_wall_ms +
                           (int64_t)((t->want_ns - w->r->t0_ns) / NS_PER_MS);
        hist_add(&st->live[sub_wall >= (int64_t)w->r->deadline_wall_ms],
                 now - t->want_ns);
    }
    if (op == OPK_QUERY || !stats_is_decision(s)) {
        return;
    }
    st->decisions++;
    atomic_fetch_add_explicit(&w->a_dec, 1, memory_order_relaxed);
    if (ms < st->n_ms) {
        st->dec_ms[ms]++;
    }
    if (!ok) {
        return;
    }
    st->decisions_ok++;
    atomic_fetch_add_explicit(&w->a_dec_ok, 1, memory_order_relaxed);
    if (ms < st->n_ms) {
        st->ok_ms[ms]++;
    }
    if (res->ledger_ms != 0 && (int64_t)res->ledger_ms >= w->r->t0_wall_ms) {
        uint64_t lm = res->ledger_ms - (uint64_t)w->r->t0_wall_ms;
        if (lm < st->n_ms) {
            uint32_t v = ms + 1, *f = &st->first_by_ledger_ms[lm];
            if (*f == 0 || v < *f) {
                *f = v;
            }
        }
    }
}

static void addBooking(struct worker *w, struct task *t, uint64_t id,
                       uint32_t visit_no, uint64_t now)
{
    struct pool_rt *p = &w->r->pool[t->pool];
    t->booked = true;
    t->doubt_hold = t->doubt_confirm = false;
    t->visit_no = visit_no;
    t->hold_id = id;
    w->st.bookings++;
    atomic_fetch_add_explicit(&w->a_book, 1, memory_order_relaxed);
    uint32_t ms = msSinceT0(w, now);
    if (ms < w->st.n_ms) {
        w->st.book_ms[ms]++;
    }
    if (w->r->hosp != NULL) {
        atomic_fetch_add(&p->bucket_booked[bucketOf(t)], 1);
    }
    uint32_t prev = atomic_fetch_add(&p->booked, 1);
    if (prev + 1 == p->capacity) {
        atomic_store(&p->sellout_ns, now);
    }
    if (w->n_bk == w->cap_bk) {
        uint64_t cap = w->cap_bk ? 2 * w->cap_bk : 4096;
        struct booking *nb =
            cap <= BOOKINGS_MAX ? realloc(w->bk, cap * sizeof *nb) : NULL;
        if (nb == NULL) {
            w->truncated = true;
            return;
        }
        w->bk = nb;
        w->cap_bk = cap;
    }
    struct booking *b = &w->bk[w->n_bk++];
    b->pool = t->pool;
    b->visit_no = visit_no;
    b->id = id;
    memcpy(b->patient, t->patient, sizeof b->patient);
}

static void addDoubt(struct worker *w, struct task *t)
{
    w->st.doubtful++;
    if (w->n_dt == w->cap_dt) {
        uint64_t cap = w->cap_dt ? 2 * w->cap_dt : 256;
        struct doubt *nd =
            cap <= BOOKINGS_MAX ? realloc(w->dt, cap * sizeof *nd) : NULL;
        if (nd == NULL) {
            return;
        }
        w->dt = nd;
        w->cap_dt = cap;
    }
    struct doubt *d = &w->dt[w->n_dt++];
    d->pool = t->pool;
    d->hold = t->doubt_confirm ? t->hold_id : 0;
    memcpy(d->patient, t->patient, sizeof d->patient);
}

static void setFatal(struct worker *w, const char *what, int status)
{
    int expected = 0;
    if (atomic_compare_exchange_strong(&w->r->fatal, &expected, 1)) {
        snprintf(w->r->fatal_msg, sizeof w->r->fatal_msg, "%s: %s", what,
                 bench_status_name(status));
    }
}

/* ---- task life ----------------------------------------------------------- */

static void submit(struct worker *w, struct task *t);
static void drain(struct worker *w);
static void finishSteady(struct worker *w, struct task *t);

static void schedule(struct worker *w, struct task *t, uint64_t delay_ms,
                     int next)
{
    t->state = TS_WAIT;
    t->next = (uint8_t)next;
    t->due_ns = uv_hrtime() + delay_ms * NS_PER_MS;
    heapPush(w, t);
}

static void taskDone(struct worker *w, struct task *t)
{
    if (t->state == TS_DONE) {
        return;
    }
    if (!t->booked && (t->doubt_hold || t->doubt_confirm)) {
        addDoubt(w, t);
    }
    t->state = TS_DONE;
    if (t->kind == TK_STEADY) {
        finishSteady(w, t);
        return;
    }
    atomic_fetch_add_explicit(&w->a_done, 1, memory_order_relaxed);
}

/* Nothing left for this task: its pool sold out, or with --rules its
 * bucket (the rest of the pool is not its channel's to book). */
static bool soldOut(struct worker *w, struct task *t)
{
    struct pool_rt *p = &w->r->pool[t->pool];
    if (w->r->hosp != NULL && !rotates(t)) {
        uint32_t b = bucketOf(t);
        return atomic_load_explicit(&p->bucket_booked[b],
                                    memory_order_relaxed) >= p->bucket_cap[b];
    }
    return atomic_load_explicit(&p->booked, memory_order_relaxed) >=
           p->capacity;
}

/* A refusal that may pass: try again later, within the patient's patience. */
static void retryLater(struct worker *w, struct task *t, int status)
{
    const struct cfg *c = w->c;
    uint64_t now = uv_hrtime();
    if (w->stopping || soldOut(w, t) ||
        now - t->first_ns > (uint64_t)c->patience_ms * NS_PER_MS) {
        if (!t->booked) {
            w->st.gave_up++;
        }
        taskDone(w, t);
        return;
    }
    uint64_t d;
    if (status == BENCH_ERR_OVERLOADED || status == BENCH_ERR_RATE_LIMITED) {
        /* 503 / 429 + Retry-After: an app waits as told (bots too: a bot
         * that does not is the per-patient limiter's, and the generator's
         * connections are shared by all), with jitter so that the
         * refused do not come back together. */
        d = rndRange(w, c->retry_after_ms / 2, c->retry_after_ms * 3 / 2);
    } else if (t->kind == TK_BOT) {
        d = rndRange(w, 0, c->bot_retry_ms);
    } else if (status == SLOT_NOT_RELEASED) {
        d = rndRange(w, c->retry_min_ms / 2, c->retry_min_ms);
    } else {
        d = rndRange(w, c->retry_min_ms, c->retry_max_ms);
    }
    schedule(w, t, d, NX_HOLD);
}

static void retrySoon(struct worker *w, struct task *t, int next)
{
    if (w->stopping) {
        taskDone(w, t);
        return;
    }
    schedule(w, t, RETRY_SOON_MS, next);
}

/* The patient (or bot) now holds a slot: pay, or let it lapse. */
static void afterHold(struct worker *w, struct task *t)
{
    const struct cfg *c = w->c;
    double abandon = t->kind == TK_BOT ? c->bot_abandon : c->abandon;
    if (rnd01(w) < abandon) {
        w->st.abandoned++;
        if (t->kind == TK_BOT && !w->stopping) {
            /* A scalper re-holds the slot for a buyer once it lapses
             * (with --rules under its next name). */
            if (rotates(t)) {
                rotate(t);
            }
            schedule(w, t, c->ttl_ms + 1, NX_HOLD);
            return;
        }
        taskDone(w, t);
        return;
    }
    schedule(w, t, rndRange(w, c->pay_min_ms, c->pay_max_ms), NX_CONFIRM);
}

static void onBurstHold(struct worker *w, struct task *t,
                        const struct be_result *res, uint64_t now)
{
    int s = res->status;
    if (t->probing) {
        /* A bot's extra hold on a pool where it already holds a slot. */
        if (s == SLOT_OK) {
            /* Without --rules the quota failed (the check will say so);
             * a rotating bot's probe under another name may hold, and
             * lets the hold lapse. */
            w->st.holds_ok++;
        }
        if (t->probes > 0) {
            t->probes--;
        }
        if (t->probes > 0 && !w->stopping) {
            t->next = NX_PROBE;
            submit(w, t);
            return;
        }
        t->probing = false;
        afterHold(w, t);
        return;
    }
    switch (s) {
        case SLOT_OK:
            w->st.holds_ok++;
            atomic_fetch_add_explicit(&w->a_holds_ok, 1, memory_order_relaxed);
            t->doubt_hold = false;
            t->hold_id = res->id;
            t->deadline_ms = res->deadline_ms;
            if (w->be->one_step) {
                addBooking(w, t, res->id, res->visit_no, now);
                taskDone(w, t);
                return;
            }
            if (t->kind == TK_BOT && w->c->bot_probes > 0 && !w->stopping) {
                t->probes = (uint8_t)w->c->bot_probes;
                t->probing = true;
                t->next = NX_PROBE;
                submit(w, t);
                return;
            }
            afterHold(w, t);
            return;
        case SLOT_PATIENT_HAS_CLAIM:
            if (t->doubt_hold && w->be->query != NULL && !w->stopping) {
                /* Our doubtful attempt took a slot: learn which. */
                t->next = NX_QUERY;
                submit(w, t);
                return;
            }
            if (t->doubt_hold && w->be->one_step) {
                /* A peer booked it on the doubtful attempt. */
                addBooking(w, t, 0, 0, now);
                taskDone(w, t);
                return;
            }
            if (rotates(t)) {
                rotate(t); /* a name that holds here already */
            }
            retryLater(w, t, s); /* a bot's lapsed hold not yet expired */
            return;
        case SLOT_SOLD_OUT:
            if (rotates(t)) {
                rotate(t); /* another channel's bucket may have room */
            }
            retryLater(w, t, s);
            return;
        case SLOT_NOT_RELEASED:
        case BENCH_ERR_OVERLOADED:
        case BENCH_ERR_RATE_LIMITED:
            retryLater(w, t, s);
            return;
        case SLOT_QUOTA_EXCEEDED:
        case SLOT_NOT_BOUND:
        case SLOT_BLACKLISTED:
        case SLOT_CANCEL_LIMIT:
            /* The patient rules (--rules): a bot tries its next name and
             * channel; a patient, who has one name, gives up. */
            if (rotates(t)) {
                rotate(t);
                retryLater(w, t, s);
                return;
            }
            w->st.gave_up++;
            taskDone(w, t);
            return;
        case SLOT_OUTCOME_UNKNOWN:
            t->doubt_hold = true;
            retrySoon(w, t, NX_HOLD);
            return;
        default:
            if (bench_status_retryable(s)) {
                retrySoon(w, t, NX_HOLD);
                return;
            }
            setFatal(w, "hold refused", s);
            taskDone(w, t);
            return;
    }
}

static void onBurstConfirm(struct worker *w, struct task *t,
                           const struct be_result *res, uint64_t now)
{
    switch (res->status) {
        case SLOT_OK:
            addBooking(w, t, res->id, res->visit_no, now);
            taskDone(w, t);
            return;
        case SLOT_HOLD_EXPIRED:
        case SLOT_ALREADY_RELEASED:
        case SLOT_UNKNOWN_HOLD:
            /* Paid too late (or the hold was lost): start over. */
            w->st.hold_expired++;
            t->doubt_confirm = false;
            t->hold_id = 0;
            if (w->stopping) {
                taskDone(w, t);
            } else {
                t->next = NX_HOLD;
                submit(w, t);
            }
            return;
        case SLOT_ALREADY_CONFIRMED:
            /* An earlier attempt of ours confirmed it: learn the visit. */
            t->doubt_confirm = true;
            if (w->be->query != NULL && !w->stopping) {
                t->next = NX_QUERY;
                submit(w, t);
            } else {
                taskDone(w, t);
            }
            return;
        case SLOT_OUTCOME_UNKNOWN:
            t->doubt_confirm = true;
            retrySoon(w, t, NX_CONFIRM);
            return;
        default:
            if (bench_status_retryable(res->status)) {
                retrySoon(w, t, NX_CONFIRM);
                return;
            }
            setFatal(w, "confirm refused", res->status);
            taskDone(w, t);
            return;
    }
}

static void onQuery(struct worker *w, struct task *t,
                    const struct be_result *res, uint64_t now)
{
    if (res->status != SLOT_OK) {
        retrySoon(w, t, NX_QUERY);
        return;
    }
    if (res->n_claims == 0) {
        /* The doubtful attempt did not take a slot (or it lapsed). */
        t->doubt_hold = t->doubt_confirm = false;
        t->hold_id = 0;
        retryLater(w, t, SLOT_SOLD_OUT);
        return;
    }
    if (res->claim_state == 2 /* SLOTC_CLAIM_BOOKED */) {
        addBooking(w, t, res->claim_id, res->claim_visit_no, now);
        taskDone(w, t);
        return;
    }
    t->doubt_hold = false;
    t->hold_id = res->claim_id;
    t->deadline_ms = res->claim_deadline_ms;
    if (w->stopping) {
        taskDone(w, t);
        return;
    }
    t->next = NX_CONFIRM;
    submit(w, t);
}

static void onSteady(struct worker *w, struct task *t,
                     const struct be_result *res, uint64_t now)
{
    int s = res->status;
    if (t->op == OPK_HOLD) {
        if (s == SLOT_OK) {
            w->st.holds_ok++;
            atomic_fetch_add_explicit(&w->a_holds_ok, 1, memory_order_relaxed);
            t->hold_id = res->id;
            if (w->be->one_step) {
                addBooking(w, t, res->id, res->visit_no, now);
                taskDone(w, t);
                return;
            }
            bool confirm = rnd01(w) < w->c->confirm_share;
            if (w->c->pay_max_ms > 0) {
                schedule(w, t, rndRange(w, w->c->pay_min_ms, w->c->pay_max_ms),
                         confirm ? NX_CONFIRM : NX_RELEASE);
                return;
            }
            t->next = (uint8_t)(confirm ? NX_CONFIRM : NX_RELEASE);
            submit(w, t);
            return;
        }
        if (s == SLOT_OUTCOME_UNKNOWN) {
            t->doubt_hold = true;
        } else if ((!stats_is_decision(s) && !bench_status_retryable(s)) ||
                   s == SLOT_TTL_OUT_OF_RANGE || s == SLOT_UNKNOWN_POOL ||
                   s == SLOT_LIMIT_REACHED) {
            setFatal(w, "hold refused", s);
        }
        taskDone(w, t);
        return;
    }
    if (t->op == OPK_CONFIRM) {
        if (s == SLOT_OK) {
            addBooking(w, t, res->id, res->visit_no, now);
        } else if (s == SLOT_OUTCOME_UNKNOWN) {
            t->doubt_confirm = true;
        } else if (s == SLOT_HOLD_EXPIRED) {
            w->st.hold_expired++;
        }
    }
    taskDone(w, t);
}

static void onStorm(struct worker *w, struct task *t,
                    const struct be_result *res)
{
    struct run *r = w->r;
    int s = res->status;
    if (s == SLOT_OK) {
        w->st.holds_ok++;
        atomic_fetch_add_explicit(&w->a_holds_ok, 1, memory_order_relaxed);
        uint64_t d = res->deadline_ms;
        uint64_t cur = atomic_load(&r->storm_deadline_min);
        while (d < cur &&
               !atomic_compare_exchange_weak(&r->storm_deadline_min, &cur, d)) {
        }
        cur = atomic_load(&r->storm_deadline_max);
        while (d > cur &&
               !atomic_compare_exchange_weak(&r->storm_deadline_max, &cur, d)) {
        }
        atomic_fetch_add(&r->storm_filled, 1);
        taskDone(w, t);
        return;
    }
    if (s == SLOT_OUTCOME_UNKNOWN) {
        t->doubt_hold = true;
        taskDone(w, t);
        return;
    }
    if (s == SLOT_TTL_OUT_OF_RANGE || s == SLOT_UNKNOWN_POOL ||
        s == SLOT_SOLD_OUT || s == SLOT_LIMIT_REACHED ||
        s == SLOT_INVALID_ARGUMENT) {
        setFatal(w, "storm hold refused", s);
        taskDone(w, t);
        return;
    }
    if (w->stopping) {
        taskDone(w, t);
        return;
    }
    schedule(w, t, STORM_RETRY_MS, NX_HOLD);
}

static void dispatchResult(struct worker *w, struct task *t,
                           const struct be_result *res, uint64_t now)
{
    if (t->op == OPK_QUERY) {
        onQuery(w, t, res, now);
        return;
    }
    switch (t->kind) {
        case TK_PATIENT:
        case TK_BOT:
            if (t->op == OPK_HOLD) {
                onBurstHold(w, t, res, now);
            } else {
                onBurstConfirm(w, t, res, now);
            }
            return;
        case TK_STEADY:
            onSteady(w, t, res, now);
            return;
        case TK_STORM:
            onStorm(w, t, res);
            return;
    }
}

void sim_complete(struct task *t, const struct be_result *res)
{
    struct worker *w = t->w;
    uint64_t now = uv_hrtime();
    w->inflight--;
    t->state = TS_NEW;
    record(w, t, res, now);
    dispatchResult(w, t, res, now);
    if (!w->closing) {
        drain(w);
    }
    atomic_store_explicit(&w->a_pending, w->inflight + w->wq_n,
                          memory_order_relaxed);
}

static bool followUp(const struct task *t)
{
    return t->next == NX_CONFIRM || t->next == NX_RELEASE ||
           t->next == NX_QUERY;
}

static void waitPush(struct worker *w, struct task *t)
{
    struct task **head = followUp(t) ? &w->fq_head : &w->wq_head;
    struct task **tail = followUp(t) ? &w->fq_tail : &w->wq_tail;
    t->waiting = true;
    t->next_free = NULL;
    if (*tail != NULL) {
        (*tail)->next_free = t;
    } else {
        *head = t;
    }
    *tail = t;
    w->wq_n++;
    if (w->wq_n > w->st.wait_max) {
        w->st.wait_max = w->wq_n;
    }
}

/* The next waiting task: a follow-up first, else an arrival (arrivals:
 * an arrival even when follow-ups wait). */
static struct task *waitPopFrom(struct worker *w, bool arrivals)
{
    bool follow = !arrivals && w->fq_head != NULL;
    struct task **head = follow ? &w->fq_head : &w->wq_head;
    struct task **tail = follow ? &w->fq_tail : &w->wq_tail;
    struct task *t = *head;
    *head = t->next_free;
    if (*head == NULL) {
        *tail = NULL;
    }
    w->wq_n--;
    t->waiting = false;
    t->next_free = NULL;
    return t;
}

static struct task *waitPop(struct worker *w)
{
    return waitPopFrom(w, false);
}

static bool waitEmpty(const struct worker *w)
{
    return w->wq_head == NULL && w->fq_head == NULL;
}

/* The account a --rules HOLD names (hosp.h), into acct ("" none): a
 * rotating bot's bound name its account, an unbound one the bot's last
 * account through the app (refused NOT_BOUND); a patient through the app
 * its own account. */
static void holdAccount(struct worker *w, struct task *t, uint32_t name_k,
                        uint32_t chan, char *acct)
{
    const struct hosp *h = w->r->hosp;
    if (h == NULL || !h->accounts) {
        return;
    }
    bool app = chan == 0;
    if (rotates(t)) {
        uint32_t room = w->c->bot_accounts * HOSP_ACCOUNT_MAX;
        if (name_k < room) {
            hosp_bot_account(t->bot, name_k / HOSP_ACCOUNT_MAX, acct);
        } else if (app) {
            hosp_bot_account(t->bot, w->c->bot_accounts - 1, acct);
        }
    } else if (t->kind == TK_PATIENT && app) {
        hosp_patient_account(t->idx, acct);
    }
}

/* Hands the task's operation to the backend. Pool ids, patient keys and
 * refs are formatted here and copied by the backend. */
static void sendNow(struct worker *w, struct task *t)
{
    struct run *r = w->r;
    const char *pool = r->pool[t->pool].id;
    const char *chan = CHANNELS[chanOf(t)];
    char acct[HOSP_KEY_MAX] = "";
    char ref[48];
    int rc;
    uint32_t ttl = r->hold_ttl_ms; /* 0: the hospital's payment window */
    t->sub_ns = uv_hrtime();
    switch (t->next) {
        case NX_HOLD:
        case NX_PROBE:
            t->op = OPK_HOLD;
            if (t->kind == TK_STORM) {
                int64_t left =
                    (int64_t)r->deadline_wall_ms -
                    (int64_t)(r->t0_wall_ms +
                              (int64_t)((t->sub_ns - r->t0_ns) / NS_PER_MS));
                if (left < 1) {
                    setFatal(w, "storm fill too slow for --storm-deadline-ms",
                             SLOT_TIMEOUT);
                    taskDone(w, t);
                    return;
                }
                ttl = (uint32_t)left;
            }
            if (t->next == NX_PROBE && rotates(t)) {
                /* Probe j of a rotating bot: its next names, channels and
                 * hot pools in turn (hosp.h); a probe that holds lapses. */
                uint32_t j = w->c->bot_probes - t->probes;
                uint32_t k = (t->name_k + 1 + j) % w->c->bot_names;
                uint32_t ch = (t->chan_k + 1 + j) % BENCH_CHANNELS;
                uint32_t bp =
                    w->c->bot_pools < r->n_pools ? w->c->bot_pools : r->n_pools;
                char name[HOSP_KEY_MAX];
                hosp_bot_name(t->bot, k, name);
                holdAccount(w, t, k, ch, acct);
                pool = r->pool[(t->pool + 1 + j) % bp].id;
                chan = CHANNELS[ch];
                rc = acct[0] != '\0' && w->be->hold_account != NULL
                         ? w->be->hold_account(w->bectx, t, pool, name, chan,
                                               acct, ttl)
                         : w->be->hold(w->bectx, t, pool, name, chan, ttl);
                break;
            }
            holdAccount(w, t, t->name_k, chanOf(t), acct);
            rc = acct[0] != '\0' && w->be->hold_account != NULL
                     ? w->be->hold_account(w->bectx, t, pool, t->patient, chan,
                                           acct, ttl)
                     : w->be->hold(w->bectx, t, pool, t->patient, chan, ttl);
            break;
        case NX_CONFIRM:
            t->op = OPK_CONFIRM;
            snprintf(ref, sizeof ref, "pay-%u-%llu", t->idx,
                     (unsigned long long)t->hold_id);
            rc = w->be->confirm(w->bectx, t, t->hold_id, ref);
            break;
        case NX_RELEASE:
            t->op = OPK_RELEASE;
            rc = w->be->release(w->bectx, t, t->hold_id);
            break;
        default:
            t->op = OPK_QUERY;
            rc = w->be->query ? w->be->query(w->bectx, t, pool, t->patient)
                              : SLOT_UNKNOWN_OP;
            break;
    }
    if (rc == 0) {
        t->state = TS_BUSY;
        w->inflight++;
        atomic_store_explicit(&w->a_pending, w->inflight + w->wq_n,
                              memory_order_relaxed);
        return;
    }
    if (rc == SLOT_BUSY && !w->stopping) {
        /* The library refused although there was room: count it, and
         * try again shortly. */
        w->st.client_busy++;
        schedule(w, t, CLIENT_BUSY_MS, t->next);
        return;
    }
    if (rc != SLOT_BUSY && rc != SLOT_SHUTDOWN) {
        setFatal(w, "submit refused", rc);
    }
    taskDone(w, t);
}

/* Ends a new hold that was never sent with status, as if answered now. */
static void refuseUnsent(struct worker *w, struct task *t, int status,
                         uint64_t now)
{
    struct be_result res;
    memset(&res, 0, sizeof res);
    res.status = status;
    t->op = OPK_HOLD;
    t->sub_ns = now;
    w->inflight++; /* sim_complete counts it down */
    sim_complete(t, &res);
}

/* An arrival that waited for room longer than a request's deadline gets
 * TIMEOUT there, as a patient's app would give up: the generator never
 * hides an overload in an unbounded queue. Only new holds of steady
 * arrivals expire so (a burst patient's next step always waits). */
static void expireWaiting(struct worker *w, uint64_t now)
{
    uint64_t limit = (uint64_t)w->c->timeout_ms * NS_PER_MS;
    while (w->wq_head != NULL && w->wq_head->kind == TK_STEADY &&
           w->wq_head->next == NX_HOLD && now - w->wq_head->want_ns > limit) {
        struct task *t = waitPopFrom(w, true);
        w->st.wait_expired++;
        refuseUnsent(w, t, SLOT_TIMEOUT, now);
    }
}

/* Sends waiting operations while the backend has room. */
static void drain(struct worker *w)
{
    while (!waitEmpty(w) && w->be->room(w->bectx)) {
        struct task *t = waitPop(w);
        if (w->stopping && !(t->next == NX_CONFIRM || t->next == NX_QUERY)) {
            taskDone(w, t);
            continue;
        }
        sendNow(w, t);
    }
}

/* The patient wants to send t->next now: at once if the backend has room
 * and nobody waits before it, else in FIFO order as room frees up. The
 * latency it sees counts from when it meant to (w->want_at), else now. */
static void submit(struct worker *w, struct task *t)
{
    uint64_t want_at = w->want_at;
    w->want_at = 0;
    if (w->stopping && !(t->next == NX_CONFIRM || t->next == NX_QUERY)) {
        taskDone(w, t);
        return;
    }
    uint64_t now = uv_hrtime();
    uint64_t want = want_at != 0 && want_at <= now ? want_at : now;
    if (t->first_ns == 0) {
        t->first_ns = want;
    }
    t->want_ns = want;
    if ((followUp(t) ? w->fq_head == NULL : waitEmpty(w)) &&
        w->be->room(w->bectx)) {
        sendNow(w, t);
        return;
    }
    if (w->c->shed && t->kind == TK_STEADY && t->next == NX_HOLD) {
        /* No room: refuse the new arrival now, as a channel shedding
         * load would; holds already taken still get their confirm. */
        refuseUnsent(w, t, BENCH_ERR_SHED, now);
        return;
    }
    waitPush(w, t);
}

/* ---- steady arrivals ----------------------------------------------------- */

static void steadyBegin(struct worker *w, struct task *t)
{
    struct run *r = w->r;
    uint64_t n = w->arrival_no++;
    t->state = TS_NEW;
    t->first_ns = 0;
    t->hold_id = 0;
    t->booked = t->doubt_hold = t->doubt_confirm = t->probing = false;
    t->idx = (uint32_t)n;
    if (r->phase == PH_STORM) {
        t->pool = (uint16_t)r->live_pool;
    } else {
        /* Round robin over the pools, each worker from its own start.
         * (n * BENCH_THREADS_MAX + id) sent every arrival of worker 0 to
         * pool 0 whenever the pool count divided BENCH_THREADS_MAX: one
         * pool sold out within seconds and a point then measured
         * SOLD_OUT refusals.) */
        t->pool = (uint16_t)((n + w->id) % r->n_pools);
    }
    snprintf(t->patient, sizeof t->patient, "s%02u%02u%010llu", r->point % 100,
             w->id, (unsigned long long)n);
    w->st.arrivals++;
    t->next = NX_HOLD;
    submit(w, t);
}

static void finishSteady(struct worker *w, struct task *t)
{
    if (w->r->phase == PH_CLOSED && !w->stopping) {
        steadyBegin(w, t);
        return;
    }
    t->next_free = w->free_list;
    w->free_list = t;
}

static void generate(struct worker *w, uint64_t now)
{
    if (w->rate <= 0) {
        return;
    }
    double due = w->rate * (double)(now - w->gen_start_ns) / 1e9;
    uint64_t want = (uint64_t)due;
    if (want <= w->issued) {
        return;
    }
    uint64_t behind = want - w->issued;
    /* More than 100 ms behind: the generator cannot keep up; those
     * arrivals are dropped (and reported), not bunched. */
    uint64_t slack = (uint64_t)(w->rate / 10.0) + 1;
    if (behind > slack) {
        w->st.dropped += behind - slack;
        w->issued += behind - slack;
        behind = slack;
    }
    if (behind > (uint64_t)(w->rate / 1000.0) + 1) {
        w->st.lagged += behind - (uint64_t)(w->rate / 1000.0) - 1;
    }
    for (uint64_t i = 0; i < behind; i++) {
        struct task *t = w->free_list;
        w->issued++;
        if (t == NULL) {
            w->st.dropped++;
            continue;
        }
        w->free_list = t->next_free;
        /* Arrival number `issued` was due when rate x elapsed reached it. */
        w->want_at =
            w->gen_start_ns + (uint64_t)((double)w->issued * 1e9 / w->rate);
        steadyBegin(w, t);
    }
}

/* ---- the worker loop ----------------------------------------------------- */

static void closeCb(uv_handle_t *h)
{
    (void)h;
}

static void beginClose(struct worker *w)
{
    w->closing = true;
    uv_timer_stop(&w->tick);
    uv_close((uv_handle_t *)&w->tick, closeCb);
    /* Completes what is still pending (SHUTDOWN / OUTCOME_UNKNOWN). */
    w->be->close(w->bectx);
}

static void tickCb(uv_timer_t *h)
{
    struct worker *w = h->data;
    struct run *r = w->r;
    uint64_t now = uv_hrtime();
    if (!w->stopping && atomic_load_explicit(&r->stop, memory_order_relaxed)) {
        w->stopping = true;
        w->drain_end_ns = now + (uint64_t)w->c->drain_ms * NS_PER_MS;
        /* Waiting tasks will not act again; a confirm due is still sent
         * (its patient has paid), the rest are done. */
        while (w->n_heap > 0) {
            struct task *t = heapPop(w);
            if (t->next == NX_CONFIRM && !w->be->one_step) {
                submit(w, t);
            } else {
                taskDone(w, t);
            }
        }
        drain(w);
    }
    if (w->stopping) {
        drain(w);
        if ((w->inflight == 0 && waitEmpty(w)) || now >= w->drain_end_ns) {
            while (!waitEmpty(w)) {
                taskDone(w, waitPop(w));
            }
            beginClose(w);
        }
        return;
    }
    expireWaiting(w, now);
    drain(w);
    uint32_t fired = 0;
    while (w->n_heap > 0 && w->heap[0].due_ns <= now && fired < DUE_PER_TICK) {
        struct task *t = heapPop(w);
        fired++;
        w->want_at = t->due_ns;
        submit(w, t);
    }
    if (r->phase == PH_OPEN ||
        (r->phase == PH_STORM &&
         atomic_load_explicit(&r->live_on, memory_order_relaxed))) {
        if (w->gen_start_ns == 0) {
            w->gen_start_ns = now;
        }
        generate(w, now);
    } else {
        w->gen_start_ns = 0;
        w->issued = 0;
    }
}

/* Zipf-like weights: pool i is 1/(i+1) as popular as pool 0. */
static void buildPoolCdf(struct worker *w, uint32_t n)
{
    double sum = 0;
    for (uint32_t i = 0; i < n; i++) {
        sum += 1.0 / (i + 1);
        w->pool_cdf[i] = sum;
    }
    for (uint32_t i = 0; i < n; i++) {
        w->pool_cdf[i] /= sum;
    }
}

static uint16_t pickPool(struct worker *w, uint32_t n)
{
    double u = rnd01(w);
    for (uint32_t i = 0; i < n; i++) {
        if (u <= w->pool_cdf[i]) {
            return (uint16_t)i;
        }
    }
    return (uint16_t)(n - 1);
}

/* Arrival offset after the release: a truncated exponential (the crowd
 * is largest right at the release) over arrival_ms. */
static uint64_t arrivalMs(struct worker *w)
{
    double a = w->c->arrival_ms;
    if (a <= 0) {
        return 0;
    }
    double m = a / 3.0;
    double u = rnd01(w);
    return (uint64_t)(-m * log(1.0 - u * (1.0 - exp(-a / m))));
}

/* Creates this worker's tasks and puts their first step in the heap. */
static int setupTasks(struct worker *w)
{
    struct run *r = w->r;
    const struct cfg *c = w->c;
    uint32_t T = c->threads;
    uint64_t total = 0, open = 0;
    uint32_t n_bots = (uint32_t)(c->patients * c->bot_share + 0.5);
    uint32_t n_pat = c->patients - n_bots;
    uint32_t bot_pools = c->bot_pools < r->n_pools ? c->bot_pools : r->n_pools;
    switch (r->phase) {
        case PH_BURST:
            total = (uint64_t)n_pat + (uint64_t)n_bots * bot_pools;
            break;
        case PH_STORM:
            total = c->storm_holds;
            open = c->outstanding_max / T + 1;
            break;
        case PH_OPEN:
            open = c->outstanding_max / T + 1;
            break;
        case PH_CLOSED:
            open = r->concurrency / T + (w->id < r->concurrency % T ? 1 : 0);
            break;
    }
    uint32_t mine = (uint32_t)(total / T + (w->id < total % T ? 1 : 0));
    w->n_fixed = mine;
    w->n_tasks = mine + (uint32_t)open;
    size_t base = (sizeof(struct task) + 15) & ~(size_t)15;
    w->area_off = base;
    w->stride = base + ((w->be->req_size + 15) & ~(size_t)15);
    w->mem = calloc(w->n_tasks ? w->n_tasks : 1, w->stride);
    w->heap = calloc(w->n_tasks ? w->n_tasks : 1, sizeof *w->heap);
    if (w->mem == NULL || w->heap == NULL) {
        return -1;
    }
    buildPoolCdf(w, r->n_pools);
    uint64_t release = r->release_ns;
    for (uint32_t k = 0; k < mine; k++) {
        struct task *t = taskAt(w, k);
        uint32_t g = k * T + w->id; /* the global index */
        t->w = w;
        t->idx = g;
        if (r->phase == PH_STORM) {
            t->kind = TK_STORM;
            t->pool = 0;
            snprintf(t->patient, sizeof t->patient, "storm%08u", g);
            t->due_ns = r->t0_ns + (uint64_t)k; /* at once, in order */
            t->next = NX_HOLD;
            t->state = TS_WAIT;
            heapPush(w, t);
            continue;
        }
        uint64_t at;
        if (g < n_pat) {
            t->kind = TK_PATIENT;
            t->pool = pickPool(w, r->n_pools);
            snprintf(t->patient, sizeof t->patient, "pt%08u", g);
            at = release + arrivalMs(w) * NS_PER_MS;
        } else {
            uint32_t b = (g - n_pat) / bot_pools;
            t->kind = TK_BOT;
            t->pool = (uint16_t)((g - n_pat) % bot_pools);
            snprintf(t->patient, sizeof t->patient, "bot%06u", b);
            if (r->hosp != NULL) {
                /* The bots start spread over the names' positions (so
                 * some on an unbound or blacklisted name), each of a
                 * bot's tasks on a name of its own (hosp.h). */
                t->bot = b;
                t->name_k = (uint8_t)((b + t->pool) % c->bot_names);
                t->chan_k = (uint8_t)(b % BENCH_CHANNELS);
                hosp_bot_name(b, t->name_k, t->patient);
            }
            uint64_t early = (uint64_t)c->bot_early_ms * NS_PER_MS;
            at =
                release - (early < release ? early : 0) + rndRange(w, 0, early);
        }
        t->due_ns = at;
        t->next = NX_HOLD;
        t->state = TS_WAIT;
        heapPush(w, t);
    }
    for (uint32_t k = mine; k < w->n_tasks; k++) {
        struct task *t = taskAt(w, k);
        t->w = w;
        t->kind = TK_STEADY;
        t->state = TS_DONE;
        t->next_free = w->free_list;
        w->free_list = t;
    }
    return 0;
}

static void *workerMain(void *arg)
{
    struct worker *w = arg;
    struct run *r = w->r;
    if (w->be->open(w, &w->bectx) != 0) {
        setFatal(w, "backend open failed", SLOT_UNAVAILABLE);
        atomic_fetch_add(&r->workers_ready, 1);
        return NULL;
    }
    uv_timer_init(&w->loop, &w->tick);
    w->tick.data = w;
    uv_timer_start(&w->tick, tickCb, TICK_MS, TICK_MS);
    atomic_fetch_add(&r->workers_ready, 1);
    if (r->phase == PH_CLOSED) {
        /* Each closed-loop task starts at once and runs back to back. */
        while (w->free_list != NULL) {
            struct task *t = w->free_list;
            w->free_list = t->next_free;
            steadyBegin(w, t);
        }
    }
    uv_run(&w->loop, UV_RUN_DEFAULT);
    /* Tasks still waiting (stopped before they acted). */
    for (uint32_t k = 0; k < w->n_fixed; k++) {
        struct task *t = taskAt(w, k);
        if (t->state != TS_DONE) {
            taskDone(w, t);
        }
    }
    procstat_thread_exit(); /* the generator's CPU (procstat.h) */
    return NULL;
}

struct sim *sim_start(struct run *r)
{
    const struct cfg *c = r->cfg;
    struct sim *s = calloc(1, sizeof *s);
    if (s == NULL) {
        return NULL;
    }
    s->r = r;
    s->n = c->threads;
    atomic_store(&r->stop, 0);
    atomic_store(&r->workers_ready, 0);
    for (uint32_t i = 0; i < s->n; i++) {
        struct worker *w = calloc(1, sizeof *w);
        if (w == NULL) {
            goto fail;
        }
        s->w[i] = w;
        w->r = r;
        w->c = c;
        w->be = r->be;
        w->id = i;
        /* One stream per (seed, worker, point), each field in bits of
         * its own (seed < 2^32, workers < 2^16, points < 2^16);
         * trand_seed spreads them. */
        trand_seed(&w->rng,
                   c->seed << 32 | (uint64_t)i << 16 | (r->point & 0xffffu));
        w->rate = r->phase == PH_OPEN    ? r->rate / s->n
                  : r->phase == PH_STORM ? (double)c->live_rate / s->n
                                         : 0;
        w->measure_from_ns = r->phase == PH_OPEN || r->phase == PH_CLOSED
                                 ? r->t0_ns + (uint64_t)c->warmup_ms * NS_PER_MS
                                 : 0;
        stats_init(&w->st, r->n_ms);
        if (uv_loop_init(&w->loop) != 0 || setupTasks(w) != 0) {
            fprintf(stderr, "slotbench: worker setup failed\n");
            goto fail;
        }
        s->fixed_total += w->n_fixed;
    }
    for (uint32_t i = 0; i < s->n; i++) {
        if (pthread_create(&s->w[i]->th, NULL, workerMain, s->w[i]) != 0) {
            fprintf(stderr, "slotbench: cannot start a worker thread\n");
            atomic_store(&r->stop, 1);
            s->n = i;
            struct phase_out tmp;
            sim_finish(s, &tmp);
            phase_out_free(&tmp);
            return NULL;
        }
        s->w[i]->started = true;
    }
    return s;
fail:
    for (uint32_t i = 0; i < s->n; i++) {
        if (s->w[i] != NULL) {
            stats_free(&s->w[i]->st);
            free(s->w[i]->mem);
            free(s->w[i]->heap);
            free(s->w[i]);
        }
    }
    free(s);
    return NULL;
}

void sim_live(struct sim *s, struct sim_live *o)
{
    memset(o, 0, sizeof *o);
    for (uint32_t i = 0; i < s->n; i++) {
        struct worker *w = s->w[i];
        o->decisions += atomic_load_explicit(&w->a_dec, memory_order_relaxed);
        o->decisions_ok +=
            atomic_load_explicit(&w->a_dec_ok, memory_order_relaxed);
        o->bookings += atomic_load_explicit(&w->a_book, memory_order_relaxed);
        o->holds_ok +=
            atomic_load_explicit(&w->a_holds_ok, memory_order_relaxed);
        o->done += atomic_load_explicit(&w->a_done, memory_order_relaxed);
        o->pending += atomic_load_explicit(&w->a_pending, memory_order_relaxed);
    }
}

bool sim_all_done(struct sim *s)
{
    struct sim_live l;
    sim_live(s, &l);
    return s->fixed_total > 0 && l.done >= s->fixed_total;
}

void sim_finish(struct sim *s, struct phase_out *out)
{
    struct run *r = s->r;
    memset(out, 0, sizeof *out);
    atomic_store(&r->stop, 1);
    stats_init(&out->st, r->n_ms);
    for (uint32_t i = 0; i < s->n; i++) {
        struct worker *w = s->w[i];
        if (w->started) {
            pthread_join(w->th, NULL);
        }
        uv_loop_close(&w->loop);
        stats_merge(&out->st, &w->st);
        out->tasks += w->n_tasks;
        if (w->n_bk > 0) {
            struct booking *nb = realloc(
                out->bookings, (out->n_bookings + w->n_bk) * sizeof *nb);
            if (nb != NULL) {
                out->bookings = nb;
                memcpy(nb + out->n_bookings, w->bk, w->n_bk * sizeof *nb);
                out->n_bookings += w->n_bk;
            } else {
                out->truncated = true;
            }
        }
        if (w->n_dt > 0) {
            struct doubt *nd =
                realloc(out->doubts, (out->n_doubts + w->n_dt) * sizeof *nd);
            if (nd != NULL) {
                out->doubts = nd;
                memcpy(nd + out->n_doubts, w->dt, w->n_dt * sizeof *nd);
                out->n_doubts += w->n_dt;
            }
        }
        out->truncated |= w->truncated;
        stats_free(&w->st);
        free(w->bk);
        free(w->dt);
        free(w->mem);
        free(w->heap);
        free(w);
    }
    free(s);
}

void phase_out_free(struct phase_out *o)
{
    stats_free(&o->st);
    free(o->bookings);
    free(o->doubts);
    o->bookings = NULL;
    o->doubts = NULL;
}
