/* jepsen-client: runs one workload and one nemesis schedule against a slotd
 * cluster and writes the history, Jepsen style (jepsen-tests/README.md).
 *
 * ---- Shape --------------------------------------------------------------
 *
 *   main thread: one libuv loop; `--conns` async libslot clients; `--procs`
 *     simulated processes, each bound to one client, each doing one
 *     operation at a time (invoke ... ok / fail / info). A process whose
 *     operation ends in info (outcome unknown) is "crashed": it continues
 *     under a new process number (old + procs), as in Jepsen, so that every
 *     process has at most one operation open at any time.
 *   nemesis thread: a fault or a heal every ~--interval ms, with blocking
 *     calls only: `ctl` (jepsen-tests/ctl) for processes, packets and disks,
 *     a private blocking libslot client for leadership and membership.
 *   end: the workload stops, the nemesis heals everything, a quiet period,
 *     then the final reads: every pool and every known claim on every node
 *     (stale reads pinned to the node, after all nodes applied the same
 *     index), every pool through the leader, and every node's status.
 *
 * ---- History -------------------------------------------------------------
 * One JSON object per line: process (a number; "nemesis" for faults), type
 * (invoke / ok / fail / info), f, value, time (ns since start, monotonic),
 * wall (ms, CLOCK_REALTIME: the clock every node's ledger stamps derive from
 * on this machine, before their --clock-offset-ms).
 * Completions the ledger answered add ltime (ledger time of the entry, ms),
 * index (Raft index: the entry for commands, the applied index for reads)
 * and node (reads). Failures add error (the slot_err name). A fail without
 * index is the client's own (TIMEOUT, UNAVAILABLE, a pinned read that got
 * NOT_LEADER): the operation certainly did not take effect and observed
 * nothing. OUTCOME_UNKNOWN is info.
 */
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "libslot.h"
#include "tclock.h"
#include "trand.h"

extern char **environ;

#define NODES_MAX  5
#define PROCS_MAX  256
#define CONNS_MAX  16
#define HELD_MAX   3
#define BOOKED_MAX 12     /* visit; the other workloads keep 6 */
#define FINAL_PROC 100000 /* final reads: process FINAL_PROC + node */
#define SETUP_PROC 99999

enum workload {
    W_SLOTS,
    W_CONSERVATION,
    W_BOOKINGS,
    W_COUNTER,
    W_QUOTAS,
    W_VISIT
};
static const char *const workload_names[] = {
    "slots", "conservation", "bookings", "counter", "quotas", "visit"};
#define N_WORKLOADS 6

enum fn {
    F_CREATE,
    F_HOLD,
    F_CONFIRM,
    F_RELEASE,
    F_CANCEL,
    F_READ_POOL,
    F_READ_PATIENT,
    F_READ_HOLD,
    F_STATUS,
    F_RULES,
    F_READ_PINFO,
    F_JOIN,
    F_LEAVE,
    F_READ_WAIT,
    F_BIND,
    F_STOP,
    F_MOVE,
    F_CHECKIN,
    F_READ_PCLAIMS,
};
static const char *const fn_names[] = {
    "create",         "hold",          "confirm",           "release",
    "cancel",         "read_pool",     "read_patient",      "read_hold",
    "status",         "rules",         "read_patient_info", "waitlist_join",
    "waitlist_leave", "read_waitlist", "account_bind",      "pool_stop",
    "move",           "checkin",       "read_pool_claims"};

/* ---- options ------------------------------------------------------------- */

static struct {
    int nodes;
    char members[NODES_MAX][SLOTC_ADDRESS_MAX + 1]; /* "RAFT/CLIENT" */
    char client[NODES_MAX][SLOTC_ADDRESS_MAX + 1];  /* "HOST:PORT" */
    char cluster[1024];
    const char *ctl;
    const char *ctl_dir;
    const char *history;
    int workload;
    char nemesis[256];
    uint64_t seed;
    double time_s;
    int procs;
    int conns;
    int interval_ms;
    int quiet_s;
    int delay_ms; /* mean pause between a process's operations */
    int pools_active;
    int pool_ops;   /* operations per pool before it is retired */
    int timeout_ms; /* per operation */
} opt = {
    .nodes = 0,
    .seed = 1,
    .time_s = 30,
    .procs = 12,
    .conns = 4,
    .interval_ms = 4000,
    .quiet_s = 3,
    .delay_ms = 40,
    .pools_active = 3,
    .pool_ops = 150,
    .timeout_ms = 4000,
};

/* ---- small things -------------------------------------------------------- */

static uint64_t t0_ns;

static uint64_t nowNs(void)
{
    return uv_hrtime() - t0_ns;
}

/* One generator per thread (trand.h), seeded from --seed (the workload's
 * with 2 * seed, the nemesis's with 2 * seed + 1), so a seed replays the
 * same choices (not the same timing). These streams replaced the client's
 * own xorshift in commit "jepsen-client: tclock and trand": a seed from an
 * older run makes other choices now. */
static struct trand wrng; /* workload (main thread) */
static struct trand nrng; /* nemesis thread */

/* Uniform in [0, 1): the top 53 bits of the next draw. */
static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "[%8.3f] ", (double)nowNs() / 1e9);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* A tiny JSON object builder into a fixed buffer (values are numbers and
 * strings of safe charsets: pool ids, patient keys, node addresses). */
struct jb {
    char s[16384];
    size_t n;
};

static void jbAdd(struct jb *j, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void jbAdd(struct jb *j, const char *fmt, ...)
{
    if (j->n >= sizeof j->s) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(j->s + j->n, sizeof j->s - j->n, fmt, ap);
    va_end(ap);
    if (k > 0) {
        j->n += (size_t)k;
    }
}

static void jbKey(struct jb *j, const char *key)
{
    jbAdd(j, "%s\"%s\":", j->n > 1 ? "," : "", key);
}

static void jbInit(struct jb *j)
{
    j->n = 0;
    jbAdd(j, "{");
}

static void jbU(struct jb *j, const char *key, uint64_t v)
{
    jbKey(j, key);
    jbAdd(j, "%" PRIu64, v);
}

static void jbS(struct jb *j, const char *key, const char *v)
{
    jbKey(j, key);
    jbAdd(j, "\"%s\"", v);
}

static void jbB(struct jb *j, const char *key, bool v)
{
    jbKey(j, key);
    jbAdd(j, "%s", v ? "true" : "false");
}

static const char *jbEnd(struct jb *j)
{
    jbAdd(j, "}");
    return j->s;
}

/* ---- history ------------------------------------------------------------- */

static FILE *hist;
static pthread_mutex_t hist_mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t n_invoke, n_ok, n_fail, n_info;

/* Writes one line. proc < 0: the nemesis. extra: ",\"k\":v..." or "". */
static void histLine(int proc, const char *type, const char *f,
                     const char *value, const char *extra)
{
    uint64_t t = nowNs();
    uint64_t wall = (uint64_t)tclock_wall_ms();
    pthread_mutex_lock(&hist_mu);
    if (proc < 0) {
        fprintf(hist, "{\"process\":\"nemesis\"");
    } else {
        fprintf(hist, "{\"process\":%d", proc);
    }
    fprintf(hist,
            ",\"type\":\"%s\",\"f\":\"%s\",\"value\":%s,\"time\":%" PRIu64
            ",\"wall\":%" PRIu64 "%s}\n",
            type, f, value, t, wall, extra);
    if (strcmp(type, "invoke") == 0) {
        n_invoke++;
    } else if (strcmp(type, "ok") == 0) {
        n_ok++;
    } else if (strcmp(type, "fail") == 0) {
        n_fail++;
    } else {
        n_info++;
    }
    pthread_mutex_unlock(&hist_mu);
}

static void histFlush(void)
{
    pthread_mutex_lock(&hist_mu);
    fflush(hist);
    pthread_mutex_unlock(&hist_mu);
}

/* True for codes only the ledger gives (it executed the command and said
 * no): such a failure is an observation of the state, kept by the checker. */
static bool ledgerCode(int code)
{
    return (code >= 20 && code < 60) || code == SLOT_LIMIT_REACHED;
}

/* ---- the slots workload's hospital ----------------------------------------
 * Every pool of the slots workload is a scheduled pool of one hospital,
 * whose rules make a channel group (online = app, wechat), a policy, and
 * an eligibility rule (special pools: app and window only). Local time is
 * about noon (the UTC offset is chosen at the start, as
 * client/test/test_libslot_sched.c does), so no day turns during a run.
 * Pools visit tomorrow or one of the next VISIT_DAYS - 1 days. The rules
 * start without flow-back; FLOW_STEPS times during the run (after holds
 * and bookings exist, under the nemesis) a RULES_SET turns on a flow-back
 * at the running local minute of day visit - k (step k = 1, 2, ...): the
 * pools visiting within k days become due at once and the leader, whoever
 * it is then, proposes SWEEP; later pools of those days flow as soon as
 * they are created; the last visit day never flows (a control). */

#define HOSPITAL   "jh"
#define VISIT_DAYS 3
#define FLOW_STEPS 2
#define MS_PER_MIN 60000ull
#define MS_PER_DAY 86400000ull

static struct {
    int32_t off;                         /* UTC offset, minutes */
    uint32_t today;                      /* local day at the start */
    char flow_to[SLOTC_CHANNEL_MAX + 1]; /* "" (the remainder) or a share */
    int step;                            /* flow-back steps done */
    uint64_t step_at_ms[FLOW_STEPS];     /* since the workload started */
    uv_timer_t timer;
    struct slotc_req req;
    bool busy;
    int proc; /* the rules process (a new number after an info) */
    char value[1024];
} hosp;

static uint32_t localMinute(uint64_t t_ms, int32_t off)
{
    int64_t local = (int64_t)t_ms + (int64_t)off * (int64_t)MS_PER_MIN;
    return (uint32_t)((local % (int64_t)MS_PER_DAY) / (int64_t)MS_PER_MIN);
}

/* UTC ms of local (day, minute). */
static uint64_t utcOf(uint32_t day, uint32_t minute, int32_t off)
{
    return (uint64_t)day * MS_PER_DAY + (uint64_t)minute * MS_PER_MIN -
           (uint64_t)((int64_t)off * (int64_t)MS_PER_MIN);
}

static void nameCopy(char *dst, const char *src)
{
    snprintf(dst, SLOTC_CHANNEL_MAX + 1, "%s", src);
}

/* The hospital's rules with flow-back at `minute` (-1: none) of day
 * visit - flow_days. */
static void rulesFill(struct slotc_rules *r, uint32_t flow_days, int32_t minute)
{
    slotc_rules_init(r);
    r->utc_offset_min = hosp.off;
    r->flowback_days_before = flow_days;
    r->flowback_minute = minute;
    nameCopy(r->flowback_to, hosp.flow_to);
    r->n_groups = 1;
    nameCopy(r->groups[0].name, "online");
    r->groups[0].n = 2;
    nameCopy(r->groups[0].channels[0], "app");
    nameCopy(r->groups[0].channels[1], "wechat");
    /* The 114 platform: cut-off and no same-day booking (neither bites:
     * no cut-off minute, visits from tomorrow on). */
    r->n_policies = 1;
    nameCopy(r->policies[0].channel, "114");
    r->policies[0].cutoff = true;
    r->policies[0].same_day = false;
    r->n_elig = 1;
    r->elig[0].department[0] = '\0';
    r->elig[0].kind = SLOTC_KIND_SPECIAL;
    r->elig[0].n = 2;
    nameCopy(r->elig[0].names[0], "app");
    nameCopy(r->elig[0].names[1], "window");
}

/* ---- pools --------------------------------------------------------------- */

enum pool_state { P_NEED_CREATE, P_CREATING, P_ACTIVE, P_RETIRED };

struct pool {
    char name[32];
    uint32_t capacity;
    int state;
    uint32_t ops;
    uint32_t patients;     /* patient keys used in this pool: 0..patients-1 */
    uint32_t next_patient; /* counter workload: a fresh patient per add */
    /* slots workload: a scheduled pool of HOSPITAL (place); quotas: of
     * QHOSPITAL */
    bool place;
    const char *hospital;
    const char *dept;
    int kind;
    uint32_t day;
    uint32_t n_shares;
    struct slotc_share shares[3];
    uint32_t n_elig;
    const char *elig[3];
    uint32_t n_rem;
    const char *rem[2];
    /* visit: the segment (UTC ms; 0: 14:00-15:00 local of its day) */
    uint64_t seg_start, seg_end;
    bool stopped;  /* visit: a POOL_STOP of it was answered OK or STOPPED */
    bool at_visit; /* visit: paid at the visit (a confirm may leave it
                    * unpaid: the check-in pays it) */
};

static struct pool *pools;
static uint32_t n_pools, cap_pools;

/* Every claim id any completion revealed (final reads cover them all). */
static uint64_t *ids;
static uint32_t *id_pool;
static uint32_t n_ids, cap_ids;

/* Open-addressing set of the ids in ids[] (0: empty). */
static uint64_t *id_set;
static uint32_t id_set_cap;

static bool idSeen(uint64_t id)
{
    if ((n_ids + 1) * 2 >= id_set_cap) {
        uint32_t cap = id_set_cap ? 2 * id_set_cap : 4096;
        uint64_t *set = calloc(cap, sizeof *set);
        if (set == NULL) {
            abort();
        }
        for (uint32_t i = 0; i < n_ids; i++) {
            uint32_t k =
                (uint32_t)(ids[i] * 0x9E3779B97F4A7C15ull >> 40) & (cap - 1);
            while (set[k] != 0) {
                k = (k + 1) & (cap - 1);
            }
            set[k] = ids[i];
        }
        free(id_set);
        id_set = set;
        id_set_cap = cap;
    }
    uint32_t k =
        (uint32_t)(id * 0x9E3779B97F4A7C15ull >> 40) & (id_set_cap - 1);
    while (id_set[k] != 0) {
        if (id_set[k] == id) {
            return true;
        }
        k = (k + 1) & (id_set_cap - 1);
    }
    id_set[k] = id;
    return false;
}

static void idAdd(uint64_t id, uint32_t pool)
{
    if (id == 0 || idSeen(id)) {
        return;
    }
    if (n_ids == cap_ids) {
        cap_ids = cap_ids ? 2 * cap_ids : 1024;
        ids = realloc(ids, cap_ids * sizeof *ids);
        id_pool = realloc(id_pool, cap_ids * sizeof *id_pool);
        if (ids == NULL || id_pool == NULL) {
            abort();
        }
    }
    ids[n_ids] = id;
    id_pool[n_ids++] = pool;
}

/* A slots pool's buckets and place: shares on a channel and on a group,
 * a remainder kept for the window (or also 114, or open to everyone
 * eligible), an eligible list that leaves out channels the workload uses
 * (or the hospital's rule for special pools), a visit day. */
static void poolPlace(struct pool *p)
{
    p->place = true;
    p->hospital = HOSPITAL;
    p->dept = "gen";
    uint32_t online = 1 + trand_below(&wrng, p->capacity >= 5 ? 2 : 1);
    uint32_t r = trand_below(&wrng, 10);
    if (r < 6) {
        p->n_shares = 2;
        p->shares[0] = (struct slotc_share){"114", 1};
        p->shares[1] = (struct slotc_share){"online", online};
    } else if (r < 8 && p->capacity >= 4) {
        p->n_shares = 3;
        p->shares[0] = (struct slotc_share){"app", 1};
        p->shares[1] = (struct slotc_share){"online", 1};
        p->shares[2] = (struct slotc_share){"114", 1};
    } else {
        p->n_shares = 1;
        p->shares[0] = (struct slotc_share){"online", online};
    }
    r = trand_below(&wrng, 10);
    p->n_rem = r < 7 ? 1 : r < 8 ? 2 : 0;
    p->rem[0] = "window";
    p->rem[1] = "114";
    r = trand_below(&wrng, 10);
    if (r >= 6) {
        p->n_elig = 3;
        p->elig[0] = r < 8 ? "online" : "app";
        p->elig[1] = "114";
        p->elig[2] = "window";
    }
    p->kind =
        trand_below(&wrng, 100) < 15 ? SLOTC_KIND_SPECIAL : SLOTC_KIND_NORMAL;
    p->day = hosp.today + 1 + trand_below(&wrng, VISIT_DAYS);
}

static uint32_t poolNew(void)
{
    if (n_pools == cap_pools) {
        cap_pools = cap_pools ? 2 * cap_pools : 64;
        pools = realloc(pools, cap_pools * sizeof *pools);
        if (pools == NULL) {
            abort();
        }
    }
    struct pool *p = &pools[n_pools];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "pool-%u", n_pools);
    switch (opt.workload) {
        case W_COUNTER:
            p->capacity = 100000;
            p->patients = 0;
            break;
        case W_CONSERVATION:
            p->capacity = 3 + trand_below(&wrng, 6); /* 3..8 */
            p->patients = p->capacity + 4;
            break;
        case W_BOOKINGS:
            p->capacity = 20 + trand_below(&wrng, 20);
            p->patients = 100000; /* effectively fresh patients */
            break;
        case W_QUOTAS:
        case W_VISIT:
            break; /* setupQuotas / setupVisit fill it in */
        default:
            p->capacity = 3 + trand_below(&wrng, 4); /* 3..6 */
            p->patients = 3 * p->capacity + 4;
            poolPlace(p);
            break;
    }
    p->state = P_NEED_CREATE;
    return n_pools++;
}

static int activePools(uint32_t *out, int max)
{
    int n = 0;
    for (uint32_t i = 0; i < n_pools && n < max; i++) {
        if (pools[i].state == P_ACTIVE) {
            out[n++] = i;
        }
    }
    return n;
}

/* ---- processes ----------------------------------------------------------- */

struct claim {
    uint64_t id;
    uint32_t pool;
    uint64_t deadline;
    const char *channel; /* quotas: the hold's */
    int patient;         /* quotas: the holder's number */
    bool no_checkin;     /* visit: never checked in (a no-show to be) */
};

struct proc {
    int slot; /* index in procs[] */
    int id;   /* Jepsen process number */
    struct slotc *c;
    struct slotc_req req;
    uv_timer_t timer;
    bool busy;
    /* the operation in flight */
    int f;
    uint32_t pool;
    char patient[32];
    uint32_t ttl;
    uint64_t cid;        /* claim id operated on */
    const char *channel; /* a hold's; quotas: the caller of the others */
    const char *account; /* quotas: the account named ("": none) */
    const char *caller;  /* quotas: confirm / release / cancel's channel
                          * (NULL: an administrator, the other workloads) */
    int patient_k;       /* quotas: the holder's number (-1: a waiter) */
    /* quotas: the process's own waiter, qwaiter-<slot> (never holds) */
    int wl_pool;        /* the pool whose list it may be on, or -1 */
    uint32_t wl_joined; /* pools whose list it joined (one join each: the
                         * FIFO check needs it) */
    uint64_t readback;  /* slots: a hold to read back next (its bucket) */
    uint32_t readback_pool;
    uint64_t after;         /* visit: read_pool_claims from this id on */
    uint32_t target;        /* visit: a move's target pool */
    bool wrong_patient;     /* visit: a check-in by another patient */
    char payref[32];        /* confirm / checkin: the payment ("": none) */
    const char *pay_method; /* and how it was paid ("": not said) */
    int pinned;             /* node index, or -1 */
    bool stale;
    char value[1024]; /* the invocation's value (JSON) */
    /* what this process knows it holds and booked */
    struct claim held[HELD_MAX];
    int n_held;
    struct claim booked[BOOKED_MAX];
    int n_booked;
    uint32_t seq;
};

static struct proc procs[PROCS_MAX];
static struct slotc *clients[CONNS_MAX];
static uv_loop_t loop;
static uv_timer_t stop_timer, flush_timer;
static bool stopping;
static int procs_busy;

static void procSchedule(struct proc *p, uint64_t delay_ms);

static void namesJson(struct jb *j, const char *key, const char *const *v,
                      uint32_t n)
{
    jbKey(j, key);
    jbAdd(j, "[");
    for (uint32_t i = 0; i < n; i++) {
        jbAdd(j, "%s\"%s\"", i ? "," : "", v[i]);
    }
    jbAdd(j, "]");
}

/* A scheduled pool's spec as the checker reads it (history.h). */
static void placeJson(struct jb *j, const struct pool *pl)
{
    jbU(j, "kind", (uint64_t)pl->kind);
    jbKey(j, "shares");
    jbAdd(j, "[");
    for (uint32_t i = 0; i < pl->n_shares; i++) {
        jbAdd(j, "%s[\"%s\",%u]", i ? "," : "", pl->shares[i].channel,
              pl->shares[i].slots);
    }
    jbAdd(j, "]");
    jbKey(j, "place");
    struct jb q;
    jbInit(&q);
    jbS(&q, "hospital", pl->hospital);
    jbS(&q, "dept", pl->dept);
    jbU(&q, "day", pl->day);
    namesJson(&q, "eligible", pl->elig, pl->n_elig);
    namesJson(&q, "rem_allow", pl->rem, pl->n_rem);
    jbAdd(j, "%s", jbEnd(&q));
}

/* A rule set as the checker reads it (history.h). */
static void rulesJson(struct jb *j, const struct slotc_rules *r, int step)
{
    jbInit(j);
    jbS(j, "hospital", HOSPITAL);
    jbKey(j, "offset");
    jbAdd(j, "%d", r->utc_offset_min);
    jbKey(j, "flow_minute");
    jbAdd(j, "%d", r->flowback_minute);
    jbU(j, "flow_days", r->flowback_days_before);
    jbS(j, "flow_to", r->flowback_to);
    jbKey(j, "groups");
    jbAdd(j, "[");
    for (uint32_t g = 0; g < r->n_groups; g++) {
        jbAdd(j, "%s[\"%s\",[", g ? "," : "", r->groups[g].name);
        for (uint32_t i = 0; i < r->groups[g].n; i++) {
            jbAdd(j, "%s\"%s\"", i ? "," : "", r->groups[g].channels[i]);
        }
        jbAdd(j, "]]");
    }
    jbAdd(j, "]");
    jbKey(j, "elig");
    jbAdd(j, "[");
    for (uint32_t e = 0; e < r->n_elig; e++) {
        jbAdd(j, "%s[\"%s\",%d,[", e ? "," : "", r->elig[e].department,
              r->elig[e].kind);
        for (uint32_t i = 0; i < r->elig[e].n; i++) {
            jbAdd(j, "%s\"%s\"", i ? "," : "", r->elig[e].names[i]);
        }
        jbAdd(j, "]]");
    }
    jbAdd(j, "]");
    jbU(j, "step", (uint64_t)step);
    jbEnd(j);
}

static void valueOf(struct proc *p, struct jb *j)
{
    jbInit(j);
    struct pool *pl = &pools[p->pool];
    switch (p->f) {
        case F_CREATE:
            jbS(j, "pool", pl->name);
            jbU(j, "capacity", pl->capacity);
            if (pl->place) {
                placeJson(j, pl);
            }
            break;
        case F_HOLD:
            jbS(j, "pool", pl->name);
            jbS(j, "patient", p->patient);
            jbU(j, "ttl", p->ttl);
            jbS(j, "channel", p->channel);
            if (p->account != NULL && p->account[0]) {
                jbS(j, "account", p->account);
            }
            break;
        case F_CONFIRM:
        case F_RELEASE:
        case F_CANCEL:
        case F_READ_HOLD:
            jbS(j, "pool", pl->name);
            jbU(j, "id", p->cid);
            if (p->f != F_READ_HOLD && p->caller != NULL) {
                jbS(j, "caller", p->caller);
            }
            if (p->f != F_READ_HOLD && p->account != NULL && p->account[0]) {
                jbS(j, "account", p->account);
            }
            if (p->f == F_CONFIRM) {
                jbS(j, "payment_ref", p->payref);
                jbS(j, "pay_method", p->pay_method);
            }
            break;
        case F_READ_PINFO:
            jbS(j, "patient", p->patient);
            break;
        case F_JOIN:
        case F_LEAVE:
        case F_READ_WAIT:
            jbS(j, "pool", pl->name);
            jbS(j, "patient", p->patient);
            if (p->f == F_JOIN) {
                jbS(j, "channel", p->channel);
            } else if (p->f == F_LEAVE) {
                jbS(j, "caller", p->caller);
            }
            break;
        case F_READ_POOL:
        case F_STOP:
            jbS(j, "pool", pl->name);
            break;
        case F_READ_PCLAIMS:
            jbS(j, "pool", pl->name);
            jbU(j, "after", p->after);
            break;
        case F_MOVE:
            jbS(j, "pool", pl->name);
            jbU(j, "id", p->cid);
            jbS(j, "target", pools[p->target].name);
            jbS(j, "caller", p->caller);
            break;
        case F_CHECKIN:
            jbS(j, "pool", pl->name);
            jbU(j, "id", p->cid);
            jbS(j, "patient", p->patient);
            jbS(j, "payment_ref", p->payref);
            jbS(j, "pay_method", p->pay_method);
            break;
        case F_READ_PATIENT:
            jbS(j, "pool", pl->name);
            jbS(j, "patient", p->patient);
            break;
    }
    if (p->pinned >= 0) {
        jbS(j, "on", opt.client[p->pinned]);
    }
    if (p->stale) {
        jbB(j, "stale", true);
    }
}

static void claimJson(struct jb *j, const struct slotc_claim *c)
{
    jbU(j, "id", c->id);
    jbS(j, "state",
        slotc_claim_state_name(c->state) ? slotc_claim_state_name(c->state)
                                         : "?");
    jbS(j, "patient", c->patient);
    jbU(j, "deadline", c->deadline_ms);
    jbU(j, "visit", c->visit_no);
    jbS(j, "bucket", c->bucket);
    jbS(j, "channel", c->channel);
    jbU(j, "held_at", c->held_at_ms);
    jbS(j, "pool", c->pool);
    /* protocol 4: the visit day */
    const char *att = slotc_attendance_name(c->attendance);
    jbS(j, "attendance", att ? att : "?");
    jbU(j, "checked_in_at", c->checked_in_at_ms);
    jbU(j, "moved_to", c->moved_to);
    jbU(j, "moved_from", c->moved_from);
    jbB(j, "refunded", c->refunded);
    jbB(j, "affected", c->affected);
}

static void bucketJson(struct jb *j, const struct slotc_bucket *b)
{
    jbAdd(j, "%u,%u,%u,%u,%u", b->capacity, b->free, b->held, b->booked,
          b->cooling);
}

static void poolJson(struct jb *j, const struct slotc_pool *pl)
{
    jbU(j, "capacity", pl->capacity);
    jbU(j, "free", pl->free);
    jbU(j, "held", pl->held);
    jbU(j, "booked", pl->booked);
    jbU(j, "cooling", pl->cooling);
    jbB(j, "stopped", pl->state == SLOTC_POOL_STOPPED);
    /* The buckets' own identity (counters of the shared remainder and of
     * each channel share) as a conservation witness. */
    uint32_t bf = pl->remainder.free, bh = pl->remainder.held,
             bb = pl->remainder.booked, bc = pl->remainder.capacity,
             bk = pl->remainder.cooling;
    for (uint32_t i = 0; i < pl->n_shares; i++) {
        bf += pl->shares[i].free;
        bh += pl->shares[i].held;
        bb += pl->shares[i].booked;
        bc += pl->shares[i].capacity;
        bk += pl->shares[i].cooling;
    }
    jbAdd(j, ",\"buckets\":[%u,%u,%u,%u,%u]", bc, bf, bh, bb, bk);
    /* Each bucket, and the flow-back state of a scheduled pool. */
    jbKey(j, "shares");
    jbAdd(j, "[");
    for (uint32_t i = 0; i < pl->n_shares; i++) {
        jbAdd(j, "%s[\"%s\",", i ? "," : "", pl->shares[i].channel);
        bucketJson(j, &pl->shares[i]);
        jbAdd(j, "]");
    }
    jbAdd(j, "]");
    jbKey(j, "rem");
    jbAdd(j, "[");
    bucketJson(j, &pl->remainder);
    jbAdd(j, "]");
    if (pl->scheduled) {
        jbB(j, "flowed", pl->place.flowed_back);
        jbU(j, "flow_due", pl->place.flow_due_ms);
    }
}

/* Writes the completion of a process's operation from its request. Also
 * used for the final reads (sync face): req is then a sync request. */
static const char *completionType(int f, int status)
{
    if (status == SLOT_OK) {
        return "ok";
    }
    if (status == SLOT_OUTCOME_UNKNOWN) {
        return "info";
    }
    (void)f;
    return "fail";
}

static void writeCompletion(int proc, int f, const char *invoke_value,
                            const struct slotc_req *req)
{
    struct jb v;
    /* value: the invocation's fields plus what came back */
    v.n = 0;
    jbAdd(&v, "%.*s", (int)strlen(invoke_value) - 1, invoke_value);
    int st = req->status;
    const struct slotc_out *o = &req->out;
    if (st == SLOT_OK) {
        switch (f) {
            case F_HOLD:
                jbU(&v, "hold", o->id);
                jbU(&v, "deadline", o->deadline_ms);
                break;
            case F_CONFIRM:
                jbU(&v, "visit", o->visit_no);
                break;
            case F_RULES:
                jbU(&v, "version", o->version);
                break;
            case F_STOP:
                jbU(&v, "bookings", o->bookings);
                jbU(&v, "holds", o->holds);
                break;
            case F_MOVE:
                jbU(&v, "new_id", o->id);
                jbU(&v, "visit", o->visit_no);
                break;
            case F_CHECKIN:
                jbU(&v, "visit", o->visit_no);
                break;
            case F_JOIN:
                jbU(&v, "position", o->position);
                break;
            case F_READ_WAIT:
                jbU(&v, "position", o->position);
                jbU(&v, "length", o->length);
                break;
            case F_READ_POOL:
                if (o->n_pools == 1) {
                    poolJson(&v, &o->pools[0]);
                }
                break;
            case F_READ_PATIENT:
            case F_READ_HOLD:
            case F_READ_PINFO:
            case F_READ_PCLAIMS:
                jbKey(&v, "claims");
                jbAdd(&v, "[");
                for (uint32_t i = 0; i < o->n_claims; i++) {
                    struct jb c;
                    jbInit(&c);
                    claimJson(&c, &o->claims[i]);
                    jbAdd(&v, "%s%s", i ? "," : "", jbEnd(&c));
                }
                jbAdd(&v, "]");
                break;
            case F_STATUS:
                if (o->status != NULL) {
                    jbS(&v, "role", o->status->role);
                    jbU(&v, "term", o->status->term);
                    jbU(&v, "applied", o->status->applied_index);
                    jbU(&v, "commit", o->status->commit_index);
                    jbAdd(&v, ",\"hash\":\"%016" PRIx64 "\"",
                          o->status->state_hash);
                    jbU(&v, "ltime_now", o->status->ledger_time_ms);
                    jbU(&v, "members", o->status->n_members);
                }
                break;
        }
    }
    if (st == SLOT_QUOTA_EXCEEDED) {
        jbU(&v, "quota", (uint64_t)o->quota);
        jbU(&v, "window", o->window_day);
    }
    jbEnd(&v);
    char extra[256];
    size_t n = 0;
    extra[0] = '\0';
    bool is_read = f == F_READ_POOL || f == F_READ_PATIENT ||
                   f == F_READ_HOLD || f == F_READ_PINFO || f == F_READ_WAIT ||
                   f == F_READ_PCLAIMS;
    bool observed = st == SLOT_OK || ledgerCode(st);
    if (observed && f != F_STATUS) {
        if (!is_read) {
            n += (size_t)snprintf(extra + n, sizeof extra - n,
                                  ",\"ltime\":%" PRIu64, o->ledger_time_ms);
        }
        n += (size_t)snprintf(extra + n, sizeof extra - n,
                              ",\"index\":%" PRIu64, o->index);
    }
    if (is_read && o->node != NULL && n < sizeof extra) {
        n += (size_t)snprintf(extra + n, sizeof extra - n, ",\"node\":\"%s\"",
                              o->node);
    }
    if (st != SLOT_OK && n < sizeof extra) {
        const char *name = slotc_err_name(st);
        snprintf(extra + n, sizeof extra - n, ",\"error\":\"%s\"",
                 name ? name : "?");
    }
    histLine(proc, completionType(f, st), fn_names[f], v.s, extra);
}

static void heldRemove(struct proc *p, uint64_t id)
{
    for (int i = 0; i < p->n_held; i++) {
        if (p->held[i].id == id) {
            p->held[i] = p->held[--p->n_held];
            return;
        }
    }
}

static void bookedRemove(struct proc *p, uint64_t id)
{
    for (int i = 0; i < p->n_booked; i++) {
        if (p->booked[i].id == id) {
            p->booked[i] = p->booked[--p->n_booked];
            return;
        }
    }
}

/* A waiter's claim (an offer: waiters never hold) that the process does
 * not know yet becomes one of its holds: it confirms or releases it, and
 * may cancel the booking, like any other. */
static void waiterOffer(struct proc *p, const struct slotc_claim *cl,
                        uint32_t pool)
{
    if (cl->state != SLOTC_CLAIM_HELD) {
        return;
    }
    for (int i = 0; i < p->n_held; i++) {
        if (p->held[i].id == cl->id) {
            return;
        }
    }
    if (p->n_held < HELD_MAX) {
        struct claim *c = &p->held[p->n_held++];
        c->id = cl->id;
        c->pool = pool;
        c->deadline = cl->deadline_ms;
        c->channel = "wechat";
        c->patient = -1;
    }
    if ((int)pool == p->wl_pool) {
        p->wl_pool = -1;
    }
}

static void visitDone(struct proc *p, const struct slotc_req *req);

static void procDone(struct slotc_req *req)
{
    struct proc *p = req->data;
    int st = req->status;
    writeCompletion(p->id, p->f, p->value, req);
    if (opt.workload == W_VISIT) {
        visitDone(p, req);
    }
    struct pool *pl = &pools[p->pool];
    switch (p->f) {
        case F_CREATE:
            if (st == SLOT_OK || st == SLOT_POOL_EXISTS) {
                pl->state = P_ACTIVE;
            } else {
                pl->state = P_NEED_CREATE; /* someone tries again */
            }
            break;
        case F_HOLD:
            if (st == SLOT_OK && opt.workload == W_SLOTS &&
                trand_unit(&wrng) < 0.5) {
                p->readback = req->out.id; /* which bucket did it take? */
                p->readback_pool = p->pool;
            }
            if (st == SLOT_OK) {
                idAdd(req->out.id, p->pool);
                if (p->n_held < HELD_MAX) {
                    struct claim *c = &p->held[p->n_held++];
                    c->id = req->out.id;
                    c->pool = p->pool;
                    c->deadline = req->out.deadline_ms;
                    c->channel = p->channel;
                    c->patient = p->patient_k;
                }
            }
            break;
        case F_CONFIRM: {
            struct claim was = {.id = p->cid, .pool = p->pool};
            for (int i = 0; i < p->n_held; i++) {
                if (p->held[i].id == p->cid) {
                    was = p->held[i];
                }
            }
            heldRemove(p, p->cid);
            /* visit: a full list forgets a booking of a pool that is
             * not stopped (it may be in the final reads only) */
            for (int i = 0; st == SLOT_OK && opt.workload == W_VISIT &&
                            p->n_booked == BOOKED_MAX && i < p->n_booked;
                 i++) {
                if (!pools[p->booked[i].pool].stopped) {
                    p->booked[i] = p->booked[--p->n_booked];
                }
            }
            if (st == SLOT_OK &&
                p->n_booked < (opt.workload == W_VISIT ? BOOKED_MAX : 6)) {
                /* visit: 35 % never come (the no-show sweep's work) */
                was.no_checkin = trand_unit(&wrng) < 0.35;
                p->booked[p->n_booked++] = was;
            }
            break;
        }
        case F_READ_PINFO:
            for (uint32_t i = 0; st == SLOT_OK && i < req->out.n_claims; i++) {
                const struct slotc_claim *cl = &req->out.claims[i];
                for (uint32_t k = 0; k < n_pools; k++) {
                    if (strcmp(pools[k].name, cl->pool) == 0) {
                        idAdd(cl->id, k);
                        if (p->patient_k < 0) {
                            waiterOffer(p, cl, k);
                        }
                    }
                }
            }
            break;
        case F_JOIN:
            if (st == SLOT_OK || st == SLOT_OUTCOME_UNKNOWN) {
                p->wl_pool = (int)p->pool; /* on it, or maybe */
            }
            break;
        case F_LEAVE:
            if (st == SLOT_OK || st == SLOT_NOT_WAITING) {
                p->wl_pool = -1;
            }
            break;
        case F_READ_WAIT:
            if (st == SLOT_OK && req->out.position == 0) {
                p->wl_pool = -1; /* offered, dropped (or never joined) */
            }
            break;
        case F_RELEASE:
            heldRemove(p, p->cid);
            break;
        case F_CANCEL:
            bookedRemove(p, p->cid);
            break;
        case F_READ_PATIENT:
            for (uint32_t i = 0; st == SLOT_OK && i < req->out.n_claims; i++) {
                idAdd(req->out.claims[i].id, p->pool);
            }
            break;
        default:
            break;
    }
    if (st == SLOT_OUTCOME_UNKNOWN) {
        /* This process may have crashed mid-operation: a new one takes
         * its place (and forgets its claims: they resolve on their own). */
        p->id += opt.procs;
        p->n_held = 0;
    }
    p->busy = false;
    procs_busy--;
    procSchedule(p, trand_below(&wrng, (uint32_t)(2 * opt.delay_ms + 1)));
}

/* The pool's spec (and place: a scheduled pool, 14:00-15:00 local on its
 * visit day, paid online). */
/* A pool's fee (protocol 5: what a payment records, what the
 * reconciliation counts): 10.00 to 27.50, from its name. */
static uint64_t poolFee(const struct pool *pl)
{
    uint32_t h = 2166136261u;
    for (const char *c = pl->name; *c; c++) {
        h = (h ^ (uint8_t)*c) * 16777619u;
    }
    return 1000 + 250 * (uint64_t)(h % 8);
}

static void poolSpec(const struct pool *pl, struct slotc_pool_spec *spec,
                     struct slotc_place *place)
{
    memset(spec, 0, sizeof *spec);
    spec->pool = pl->name;
    spec->capacity = pl->capacity;
    spec->fee_cents = poolFee(pl);
    if (!pl->place) {
        return;
    }
    memset(place, 0, sizeof *place);
    place->hospital = pl->hospital;
    place->department = pl->dept;
    place->visit_day = pl->day;
    place->pay_mode = pl->at_visit ? SLOTC_PAY_AT_VISIT : SLOTC_PAY_ONLINE;
    place->n_eligible = pl->n_elig;
    for (uint32_t i = 0; i < pl->n_elig; i++) {
        place->eligible[i] = pl->elig[i];
    }
    place->n_remainder_allow = pl->n_rem;
    for (uint32_t i = 0; i < pl->n_rem; i++) {
        place->remainder_allow[i] = pl->rem[i];
    }
    spec->kind = pl->kind;
    spec->seg_start_ms =
        pl->seg_end ? pl->seg_start : utcOf(pl->day, 14 * 60, hosp.off);
    spec->seg_end_ms =
        pl->seg_end ? pl->seg_end : utcOf(pl->day, 15 * 60, hosp.off);
    spec->n_shares = pl->n_shares;
    for (uint32_t i = 0; i < pl->n_shares; i++) {
        spec->shares[i] = pl->shares[i];
    }
    spec->place = place;
}

static int pickNode(void)
{
    return (int)trand_below(&wrng, (uint32_t)opt.nodes);
}

/* ---- the quotas workload ----------------------------------------------------
 * Hospital QHOSPITAL's patient rules (ledger.h, "Patients, accounts and
 * the anti-scalper rules"): per visit day at most Q_DAY_NORMAL normal and
 * Q_DAY_EXPERT expert claims, one expert claim per department and day, per
 * month Q_MONTH_NORMAL / Q_MONTH_EXPERT; no cancellation deadline and no
 * daily cancellation limit (cancels happen all the time); a cancelled
 * booking's slot cools for Q_COOL_MIN_MS..Q_COOL_MAX_MS; holds through
 * app must name an account the patient is bound to (the first Q_BOUND
 * holders are, bound to one account). Q_POOLS small pools (capacity 1 or 2)
 * visit tomorrow or the day after, normal and expert, in two departments,
 * all created at the start. Q_HOLDERS patients, shared by every process,
 * hold through app (with the account), wechat, 114 or window and confirm,
 * release or cancel through the hold's channel (or, for a bound patient,
 * now and then through app with the account: ownership by account). */

#define QHOSPITAL      "jq"
#define Q_DAYS         2
#define Q_POOLS        16 /* Q_DAYS x 2 departments x 2 kinds x 2 */
#define Q_HOLDERS      8
#define Q_BOUND        4
#define Q_DAY_NORMAL   2
#define Q_DAY_EXPERT   2
#define Q_DEPT_EXPERT  1
#define Q_MONTH_NORMAL 3
#define Q_MONTH_EXPERT 3
#define Q_COOL_MIN_MS  2000
#define Q_COOL_MAX_MS  6000
#define Q_PAY_TTL_MS   3000 /* an offer's payment window */
#define Q_WAITLIST     1    /* waiters join the pools' waitlists */

static const char *const q_depts[2] = {"int", "sur"};

static void qHolder(char *out, size_t len, int k)
{
    snprintf(out, len, "qpatient-%02d", k);
}

/* The account holder k is bound to ("" for none). */
static const char *qAccount(int k)
{
    static const char *const acc[] = {"qaccount-0"};
    return k >= 0 && k < Q_BOUND ? acc[k / 4] : "";
}

static void qRulesFill(struct slotc_rules *r)
{
    slotc_rules_init(r);
    r->utc_offset_min = hosp.off;
    r->pay_ttl_ms = Q_PAY_TTL_MS;
    struct slotc_patient_rules *pr = &r->patient;
    pr->quota_day_normal = Q_DAY_NORMAL;
    pr->quota_day_expert = Q_DAY_EXPERT;
    pr->quota_dept_expert = Q_DEPT_EXPERT;
    pr->quota_month_normal = Q_MONTH_NORMAL;
    pr->quota_month_expert = Q_MONTH_EXPERT;
    pr->cancel_minute = -1;
    pr->cancel_limit_day = 0;
    pr->cooldown_min_ms = Q_COOL_MIN_MS;
    pr->cooldown_max_ms = Q_COOL_MAX_MS;
    nameCopy(pr->account_channels, "app");
}

/* The rule set as the checker reads it (history.h). */
static void qRulesJson(struct jb *j, const struct slotc_rules *r)
{
    const struct slotc_patient_rules *pr = &r->patient;
    jbInit(j);
    jbS(j, "hospital", QHOSPITAL);
    jbKey(j, "offset");
    jbAdd(j, "%d", r->utc_offset_min);
    jbKey(j, "flow_minute");
    jbAdd(j, "%d", r->flowback_minute);
    jbKey(j, "quotas");
    jbAdd(j, "[%u,%u,%u,%u,%u]", pr->quota_day_normal, pr->quota_day_expert,
          pr->quota_dept_expert, pr->quota_month_normal,
          pr->quota_month_expert);
    jbKey(j, "cooldown");
    jbAdd(j, "[%u,%u]", pr->cooldown_min_ms, pr->cooldown_max_ms);
    jbU(j, "pay_ttl", r->pay_ttl_ms);
    jbS(j, "account_channels", pr->account_channels);
    jbEnd(j);
}

/* One blocking setup command with its history lines (process SETUP_PROC),
 * tried up to 5 times until acknowledged. */
static int qSetupCmd(int f, const char *value,
                     int (*run)(struct slotc_req *, const void *),
                     const void *arg)
{
    for (int attempt = 0; attempt < 5; attempt++) {
        struct slotc_req req;
        slotc_req_init(&req);
        req.timeout_ms = 5000;
        histLine(SETUP_PROC, "invoke", fn_names[f], value, "");
        int rc = run(&req, arg);
        writeCompletion(SETUP_PROC, f, value, &req);
        if (rc == SLOT_OK ||
            (f == F_CREATE && rc == SLOT_POOL_EXISTS && attempt > 0)) {
            return 0;
        }
        tclock_sleep_ms(500);
    }
    return -1;
}

static struct slotc_sync *syncc;

static int qRunRules(struct slotc_req *req, const void *arg)
{
    return slotc_sync_rules_set(syncc, req, QHOSPITAL, NULL, "jepsen",
                                "quotas setup", arg);
}

static int qRunBind(struct slotc_req *req, const void *arg)
{
    int k = *(const int *)arg;
    char pat[32];
    qHolder(pat, sizeof pat, k);
    return slotc_sync_account_bind(syncc, req, qAccount(k), pat);
}

static int qRunCreate(struct slotc_req *req, const void *arg)
{
    const struct pool *pl = arg;
    struct slotc_pool_spec spec;
    struct slotc_place place;
    poolSpec(pl, &spec, &place);
    return slotc_sync_pool_create(syncc, req, &spec);
}

/* The hospital, its rules, the accounts and every pool. */
static int setupQuotas(void)
{
    uint64_t now = (uint64_t)tclock_wall_ms();
    hosp.off = 720 - (int32_t)((now % MS_PER_DAY) / MS_PER_MIN); /* noon */
    hosp.today = slotc_local_day(now, hosp.off);
    struct slotc_rules r;
    qRulesFill(&r);
    struct jb v;
    qRulesJson(&v, &r);
    if (qSetupCmd(F_RULES, v.s, qRunRules, &r) != 0) {
        return -1;
    }
    for (int k = 0; k < Q_BOUND; k++) {
        char pat[32];
        qHolder(pat, sizeof pat, k);
        jbInit(&v);
        jbS(&v, "account", qAccount(k));
        jbS(&v, "patient", pat);
        jbEnd(&v);
        if (qSetupCmd(F_BIND, v.s, qRunBind, &k) != 0) {
            return -1;
        }
    }
    for (uint32_t i = 0; i < Q_POOLS; i++) {
        uint32_t k = poolNew();
        struct pool *pl = &pools[k];
        pl->place = true;
        pl->hospital = QHOSPITAL;
        pl->day = hosp.today + 1 + i / 8;
        pl->dept = q_depts[(i / 4) % 2];
        pl->kind = (i / 2) % 2 ? SLOTC_KIND_EXPERT : SLOTC_KIND_NORMAL;
        pl->capacity = 1 + 2 * (i % 2);
        snprintf(pl->name, sizeof pl->name, "q%u-%s-%s-%u", 1 + i / 8, pl->dept,
                 pl->kind ? "ex" : "nm", i % 2);
        jbInit(&v);
        jbS(&v, "pool", pl->name);
        jbU(&v, "capacity", pl->capacity);
        placeJson(&v, pl);
        jbEnd(&v);
        if (qSetupCmd(F_CREATE, v.s, qRunCreate, pl) != 0) {
            return -1;
        }
        pl->state = P_ACTIVE;
    }
    logf_("setup: hospital %s, UTC offset %d min, %d pools, cool-down "
          "%d..%d ms",
          QHOSPITAL, hosp.off, Q_POOLS, Q_COOL_MIN_MS, Q_COOL_MAX_MS);
    return 0;
}

static bool procSubmit(struct proc *p);

/* The process's waiter: joins the list of a sold-out pool it never joined
 * (NOT_SOLD_OUT otherwise), reads its place and its claims (offers), and
 * now and then leaves. Through wechat, no account. */
static void waiterChoose(struct proc *p)
{
    snprintf(p->patient, sizeof p->patient, "qwaiter-%02d", p->slot);
    p->patient_k = -1;
    p->channel = "wechat";
    double r = trand_unit(&wrng);
    if (p->wl_pool >= 0) {
        p->pool = (uint32_t)p->wl_pool;
        p->f = r < 0.45 ? F_READ_WAIT : r < 0.9 ? F_READ_PINFO : F_LEAVE;
        return;
    }
    uint32_t left[32];
    uint32_t n = 0;
    for (uint32_t k = 0; k < n_pools && k < 32; k++) {
        if (!(p->wl_joined & (1u << k))) {
            left[n++] = k;
        }
    }
    if (r < 0.3 || n == 0) {
        p->f = F_READ_PINFO;
        return;
    }
    p->pool = left[trand_below(&wrng, n)];
    p->wl_joined |= 1u << p->pool;
    p->f = F_JOIN;
}

/* Chooses the next operation of a quotas process: resolve a hold it
 * knows, cancel a booking it knows, or hold / read. */
static bool quotasStart(struct proc *p)
{
    p->pinned = -1;
    p->stale = false;
    p->cid = 0;
    p->account = "";
    p->caller = NULL;
    p->patient_k = -1;
    p->pool = 0;
    double r = trand_unit(&wrng);
    if (p->n_held > 0 && r < 0.5) {
        const struct claim *h =
            &p->held[trand_below(&wrng, (uint32_t)p->n_held)];
        p->cid = h->id;
        p->pool = h->pool;
        p->patient_k = h->patient;
        p->f = trand_unit(&wrng) < 0.7 ? F_CONFIRM : F_RELEASE;
        p->channel = h->channel;
        if (strcmp(h->channel, "app") == 0 ||
            (qAccount(h->patient)[0] && trand_unit(&wrng) < 0.25)) {
            p->channel = "app"; /* the account's channel may act for it */
            p->account = qAccount(h->patient);
        }
    } else if (p->n_booked > 0 && r < 0.3) {
        const struct claim *b =
            &p->booked[trand_below(&wrng, (uint32_t)p->n_booked)];
        p->cid = b->id;
        p->pool = b->pool;
        p->patient_k = b->patient;
        p->f = trand_unit(&wrng) < 0.8 ? F_CANCEL : F_READ_HOLD;
        p->channel = b->channel;
        if (strcmp(b->channel, "app") == 0) {
            p->account = qAccount(b->patient);
        }
    } else {
        static const char *const chans[] = {"app", "app", "wechat", "114",
                                            "window"};
        double q = trand_unit(&wrng);
        p->pool = trand_below(&wrng, n_pools);
        int k = (int)trand_below(&wrng, Q_HOLDERS);
        qHolder(p->patient, sizeof p->patient, k);
        p->patient_k = k;
        if (Q_WAITLIST && q >= 0.82) {
            waiterChoose(p);
        } else if (q < 0.6) {
            p->f = F_HOLD;
            p->channel = chans[trand_below(&wrng, 5)];
            if (strcmp(p->channel, "app") == 0) {
                /* an unbound patient through app: NOT_BOUND, now and then */
                if (qAccount(k)[0] == '\0' && trand_unit(&wrng) < 0.85) {
                    p->channel = "wechat";
                }
                p->account = qAccount(k);
            }
            p->ttl = 1500 + trand_below(&wrng, 3000);
        } else if (q < 0.7) {
            p->f = F_READ_PINFO;
        } else {
            p->f = F_READ_POOL;
        }
        if ((p->f == F_READ_PINFO || p->f == F_READ_POOL ||
             p->f == F_READ_WAIT) &&
            trand_unit(&wrng) < 0.3) {
            p->stale = true; /* a replica's state obeys the rules too */
            p->pinned = pickNode();
        }
    }
    if (p->f == F_CONFIRM || p->f == F_RELEASE || p->f == F_CANCEL ||
        p->f == F_LEAVE) {
        p->caller = p->channel;
    }
    return procSubmit(p);
}

/* ---- the visit workload ------------------------------------------------------
 * The visit day (ledger.h, "The visit day: stoppage, moves, check-in,
 * no-shows"): hospital VHOSPITAL visits today, its rules check patients in
 * from V_BEFORE of the run before a segment starts until V_LATE of it
 * before the segment ends, and sweep no-shows. Two departments of V_PER
 * pools each, all created at the start, with segments inside the run (in
 * fractions of it, vseg[]): per department the first two pools are
 * stopped mid-run (vstop_at[]), the next two never are, and the bookings
 * of a stopped pool move there (or are cancelled for a refund); the last
 * one is neither stopped nor a target: its bookings not checked in are
 * the no-shows of the first half of the run. Every
 * process holds (a random pool, stopped ones too: POOL_STOPPED) for
 * V_PATIENTS patients shared by all, confirms or releases its holds,
 * checks its bookings in (sometimes as another patient: PATIENT_MISMATCH;
 * a third of them never: no-shows), moves or cancels the bookings of
 * stopped pools, and reads claims, pools and pool claims (30 % stale on
 * a pinned node). The first process free when a stop is due stops the
 * pool (again after a failure or an unknown outcome: POOL_STOPPED then
 * says it is). */

#define VHOSPITAL  "jv"
#define V_DEPTS    2
#define V_PER      5 /* pools per department: 2 stopped, 2 targets, 1 */
#define V_PATIENTS 40
#define V_BEFORE   0.15 /* check-in opens, before the segment (x run) */
#define V_LATE     0.10 /* and closes, before its end (x run) */

/* Per pool of a department: segment start and end, capacity. */
static const struct {
    double start, end;
    uint32_t capacity;
} vseg[V_PER] = {{0.25, 0.65, 5},
                 {0.30, 0.70, 5},
                 {0.35, 0.90, 10},
                 {0.20, 0.62, 6},
                 {0.15, 0.55, 6}};
/* When the stoppable pools (k = 0, 1 of each department) are stopped. */
static const double vstop_at[V_DEPTS][2] = {{0.33, 0.48}, {0.40, 0.55}};

static struct {
    uint32_t before_ms, late_ms;
    int n;
    uint32_t pool[V_DEPTS * 2];
    uint64_t at_ms[V_DEPTS * 2]; /* since the workload started */
    bool busy[V_DEPTS * 2];
} vstop;

static void vPatient(char *out, size_t len, int k)
{
    snprintf(out, len, "vpatient-%02d", k);
}

static void vRulesFill(struct slotc_rules *r)
{
    slotc_rules_init(r);
    r->utc_offset_min = hosp.off;
    r->visit.checkin_before_ms = vstop.before_ms;
    r->visit.checkin_late_ms = vstop.late_ms;
    r->visit.noshow_sweep = true;
}

/* The rule set as the checker reads it (history.h). */
static void vRulesJson(struct jb *j, const struct slotc_rules *r)
{
    jbInit(j);
    jbS(j, "hospital", VHOSPITAL);
    jbKey(j, "offset");
    jbAdd(j, "%d", r->utc_offset_min);
    jbKey(j, "flow_minute");
    jbAdd(j, "%d", r->flowback_minute);
    jbKey(j, "visit");
    jbAdd(j, "[%u,%u,%d]", r->visit.checkin_before_ms, r->visit.checkin_late_ms,
          r->visit.noshow_sweep ? 1 : 0);
    jbEnd(j);
}

static int vRunRules(struct slotc_req *req, const void *arg)
{
    return slotc_sync_rules_set(syncc, req, VHOSPITAL, NULL, "jepsen",
                                "visit setup", arg);
}

/* The hospital, its rules and every pool, segments from now on. */
static int setupVisit(void)
{
    uint64_t now = (uint64_t)tclock_wall_ms();
    hosp.off = 720 - (int32_t)((now % MS_PER_DAY) / MS_PER_MIN); /* noon */
    hosp.today = slotc_local_day(now, hosp.off);
    double run_ms = opt.time_s * 1000;
    vstop.before_ms = (uint32_t)(V_BEFORE * run_ms);
    vstop.late_ms = (uint32_t)(V_LATE * run_ms);
    struct slotc_rules r;
    vRulesFill(&r);
    struct jb v;
    vRulesJson(&v, &r);
    if (qSetupCmd(F_RULES, v.s, vRunRules, &r) != 0) {
        return -1;
    }
    /* The workload starts after the creates (about a second). */
    uint64_t base = now + 1500;
    for (uint32_t i = 0; i < V_DEPTS * V_PER; i++) {
        uint32_t k = poolNew();
        struct pool *pl = &pools[k];
        uint32_t d = i / V_PER, j = i % V_PER;
        pl->place = true;
        pl->hospital = VHOSPITAL;
        pl->day = hosp.today;
        pl->dept = q_depts[d];
        pl->kind = SLOTC_KIND_NORMAL;
        pl->capacity = vseg[j].capacity;
        pl->seg_start = base + (uint64_t)(vseg[j].start * run_ms);
        pl->seg_end = base + (uint64_t)(vseg[j].end * run_ms);
        pl->at_visit = j >= 3; /* a target of moves, and the no-shows' */
        snprintf(pl->name, sizeof pl->name, "v-%s-%u", pl->dept, j);
        jbInit(&v);
        jbS(&v, "pool", pl->name);
        jbU(&v, "capacity", pl->capacity);
        placeJson(&v, pl);
        jbKey(&v, "seg");
        jbAdd(&v, "[%" PRIu64 ",%" PRIu64 "]", pl->seg_start, pl->seg_end);
        jbEnd(&v);
        if (qSetupCmd(F_CREATE, v.s, qRunCreate, pl) != 0) {
            return -1;
        }
        pl->state = P_ACTIVE;
        if (j < 2) {
            vstop.pool[vstop.n] = k;
            vstop.at_ms[vstop.n++] = (uint64_t)(vstop_at[d][j] * run_ms);
        }
    }
    logf_("setup: hospital %s, UTC offset %d min, %d pools, check-in from "
          "%u ms before to %u ms before the end",
          VHOSPITAL, hosp.off, V_DEPTS * V_PER, vstop.before_ms, vstop.late_ms);
    return 0;
}

static uint64_t loop_t0_ms;

/* A pool of the same department that is never stopped. */
static uint32_t vTarget(uint32_t pool)
{
    uint32_t d = pool / V_PER;
    return d * V_PER + 2 + trand_below(&wrng, 2);
}

/* A known claim id (of pool `pool`, or any: UINT32_MAX), or 0. */
static uint64_t vKnownId(uint32_t *pool)
{
    if (n_ids == 0) {
        return 0;
    }
    uint32_t k = trand_below(&wrng, n_ids);
    *pool = id_pool[k];
    return ids[k];
}

static bool visitStart(struct proc *p)
{
    p->pinned = -1;
    p->stale = false;
    p->cid = 0;
    p->account = "";
    p->caller = NULL;
    p->patient_k = -1;
    p->wrong_patient = false;
    p->pool = 0;
    uint64_t el = uv_now(&loop) - loop_t0_ms;
    for (int s = 0; s < vstop.n; s++) {
        if (!vstop.busy[s] && !pools[vstop.pool[s]].stopped &&
            el >= vstop.at_ms[s]) {
            vstop.busy[s] = true;
            p->f = F_STOP;
            p->pool = vstop.pool[s];
            return procSubmit(p);
        }
    }
    double r = trand_unit(&wrng);
    if (p->n_held > 0 && r < 0.45) {
        const struct claim *h =
            &p->held[trand_below(&wrng, (uint32_t)p->n_held)];
        p->cid = h->id;
        p->pool = h->pool;
        p->patient_k = h->patient;
        p->channel = h->channel;
        p->caller = h->channel;
        p->f = trand_unit(&wrng) < 0.8 ? F_CONFIRM : F_RELEASE;
    } else if (p->n_booked > 0 && r < 0.7) {
        struct claim *b = &p->booked[trand_below(&wrng, (uint32_t)p->n_booked)];
        p->cid = b->id;
        p->pool = b->pool;
        p->patient_k = b->patient;
        p->channel = b->channel;
        p->caller = b->channel;
        double q = trand_unit(&wrng);
        /* check in while the window is open (by this machine's clock),
         * now and then outside it (CHECKIN_NOT_OPEN, CHECKIN_CLOSED) */
        const struct pool *bp = &pools[b->pool];
        uint64_t now = (uint64_t)tclock_wall_ms();
        bool open = now + vstop.before_ms >= bp->seg_start &&
                    now + vstop.late_ms < bp->seg_end;
        bool over = now + vstop.late_ms >= bp->seg_end;
        if (!bp->stopped && over && q < 0.6) {
            /* check-in closed: one last read, then forget it */
            p->f = F_READ_HOLD;
            bookedRemove(p, p->cid);
        } else if (bp->stopped) {
            p->f = q < 0.7 ? F_MOVE : q < 0.9 ? F_CANCEL : F_READ_HOLD;
            p->target = vTarget(b->pool);
        } else if (q < 0.004) {
            p->f = F_CANCEL; /* rarely: a booking is picked ~30 times */
        } else if (!b->no_checkin && q < (open ? 0.7 : over ? 0.75 : 0.1)) {
            p->f = F_CHECKIN;
            vPatient(p->patient, sizeof p->patient, b->patient);
            if (trand_unit(&wrng) < 0.15) {
                p->wrong_patient = true;
                vPatient(p->patient, sizeof p->patient,
                         (b->patient + 1 + (int)trand_below(&wrng, 5)) %
                             V_PATIENTS);
            }
        } else {
            p->f = F_READ_HOLD;
        }
    } else {
        double q = trand_unit(&wrng);
        p->pool = trand_below(&wrng, n_pools);
        /* mostly pools still open (by this machine's clock) */
        uint64_t now = (uint64_t)tclock_wall_ms();
        for (int t = 0;
             t < 8 && trand_unit(&wrng) < 0.85 &&
             (pools[p->pool].stopped || now >= pools[p->pool].seg_end);
             t++) {
            p->pool = trand_below(&wrng, n_pools);
        }
        if (q < 0.55) {
            static const char *const chans[] = {"app", "wechat", "window"};
            /* a target pool (never stopped) keeps room for moves: only
             * capacity - 2 patients hold there */
            uint32_t j = p->pool % V_PER;
            int k = (int)trand_below(
                &wrng, j == 2 || j == 3 ? vseg[j].capacity - 2 : V_PATIENTS);
            vPatient(p->patient, sizeof p->patient, k);
            p->patient_k = k;
            p->f = F_HOLD;
            p->channel = chans[trand_below(&wrng, 3)];
            p->ttl = 1000 + trand_below(&wrng, 2500);
        } else if (q < 0.72) {
            p->f = F_READ_POOL;
        } else if (q < 0.86) {
            p->f = F_READ_PCLAIMS;
            uint32_t kp = 0;
            uint64_t id = trand_unit(&wrng) < 0.5 ? vKnownId(&kp) : 0;
            p->after = id > 0 && kp == p->pool ? id - 1 : 0;
        } else {
            uint32_t kp = 0;
            uint64_t id = vKnownId(&kp);
            if (id == 0) {
                p->f = F_READ_POOL;
            } else {
                p->f = F_READ_HOLD;
                p->cid = id;
                p->pool = kp;
            }
        }
        if (p->f != F_HOLD && trand_unit(&wrng) < 0.3) {
            p->stale = true; /* a replica's state keeps the rules too */
            p->pinned = pickNode();
        }
    }
    return procSubmit(p);
}

/* What a visit operation's answer teaches the process. */
static void visitDone(struct proc *p, const struct slotc_req *req)
{
    int st = req->status;
    const struct slotc_out *o = &req->out;
    switch (p->f) {
        case F_STOP:
            for (int s = 0; s < vstop.n; s++) {
                if (vstop.pool[s] == p->pool) {
                    vstop.busy[s] = false;
                }
            }
            if (st == SLOT_OK || st == SLOT_POOL_STOPPED) {
                pools[p->pool].stopped = true;
            }
            break;
        case F_MOVE:
            for (int i = 0; i < p->n_booked; i++) {
                struct claim *b = &p->booked[i];
                if (b->id != p->cid) {
                    continue;
                }
                if (st == SLOT_OK) {
                    idAdd(o->id, p->target);
                    b->id = o->id;
                    b->pool = p->target;
                } else if (st == SLOT_ALREADY_CANCELLED ||
                           st == SLOT_UNKNOWN_BOOKING) {
                    bookedRemove(p, p->cid); /* moved or refunded before */
                }
                break;
            }
            break;
        case F_CHECKIN:
            /* done with it, unless its pool is to be stopped (moved or
             * refunded then, checked in or not) */
            if ((st == SLOT_OK || st == SLOT_ALREADY_CHECKED_IN ||
                 st == SLOT_NO_SHOW || st == SLOT_CHECKIN_CLOSED ||
                 st == SLOT_ALREADY_CANCELLED) &&
                !p->wrong_patient && p->pool % V_PER >= 2 &&
                trand_unit(&wrng) < 0.5) {
                bookedRemove(p, p->cid);
            }
            break;
        case F_READ_HOLD:
        case F_READ_PCLAIMS:
            for (uint32_t i = 0; st == SLOT_OK && i < o->n_claims; i++) {
                for (uint32_t k = 0; k < n_pools; k++) {
                    if (strcmp(pools[k].name, o->claims[i].pool) == 0) {
                        idAdd(o->claims[i].id, k);
                    }
                }
            }
            if (p->f == F_READ_HOLD && st == SLOT_OK && o->n_claims == 1 &&
                o->claims[0].state != SLOTC_CLAIM_BOOKED) {
                bookedRemove(p, p->cid);
            }
            break;
        default:
            break;
    }
}

/* Chooses and submits the next operation of p. Returns false if it chose
 * to do nothing this time. */
static bool procStart(struct proc *p)
{
    if (opt.workload == W_QUOTAS) {
        return quotasStart(p);
    }
    if (opt.workload == W_VISIT) {
        return visitStart(p);
    }
    p->caller = NULL;
    p->account = NULL;
    uint32_t act[64];
    int n_act = activePools(act, 64);
    p->pinned = -1;
    p->stale = false;
    p->cid = 0;
    /* Pools: keep opt.pools_active of them open; whoever comes first
     * creates the next one (one creation at a time). */
    p->f = -1;
    if (n_act < opt.pools_active) {
        uint32_t need = UINT32_MAX;
        bool creating = false;
        for (uint32_t i = 0; i < n_pools; i++) {
            creating = creating || pools[i].state == P_CREATING;
            if (need == UINT32_MAX && pools[i].state == P_NEED_CREATE) {
                need = i;
            }
        }
        if (need == UINT32_MAX && !creating) {
            need = poolNew();
        }
        if (need != UINT32_MAX && !creating) {
            p->f = F_CREATE;
            p->pool = need;
            pools[need].state = P_CREATING;
        }
    }
    double r = trand_unit(&wrng);
    if (p->f == F_CREATE) {
        /* chosen above */
    } else if (p->readback != 0) {
        p->f = F_READ_HOLD;
        p->cid = p->readback;
        p->pool = p->readback_pool;
        p->readback = 0;
    } else if (opt.workload == W_COUNTER) {
        if (n_act == 0) {
            return false; /* the pool is being created (act[0] unset) */
        }
        p->pool = act[0];
        if (r < 0.5) {
            p->f = F_HOLD;
            snprintf(p->patient, sizeof p->patient, "counter-%d-%u", p->slot,
                     p->seq++);
            p->ttl = 3600000;
            p->channel = "app";
        } else {
            p->f = F_READ_POOL;
            if (trand_unit(&wrng) < 0.25) {
                p->pinned = pickNode();
            }
        }
    } else if (p->n_held > 0 && r < (opt.workload == W_BOOKINGS ? 0.9 : 0.45)) {
        int k = (int)trand_below(&wrng, (uint32_t)p->n_held);
        p->cid = p->held[k].id;
        p->pool = p->held[k].pool;
        double q = trand_unit(&wrng);
        p->f = q < (opt.workload == W_BOOKINGS ? 0.95 : 0.7) ? F_CONFIRM
                                                             : F_RELEASE;
    } else if (p->n_booked > 0 && r < 0.55) {
        int k = (int)trand_below(&wrng, (uint32_t)p->n_booked);
        p->cid = p->booked[k].id;
        p->pool = p->booked[k].pool;
        double q = trand_unit(&wrng);
        if (q < (opt.workload == W_BOOKINGS ? 0.3 : 0.5)) {
            p->f = F_CANCEL;
        } else {
            p->f = F_READ_HOLD;
        }
    } else {
        if (n_act == 0) {
            return false;
        }
        p->pool = act[trand_below(&wrng, (uint32_t)n_act)];
        struct pool *pl = &pools[p->pool];
        double q = trand_unit(&wrng);
        double hold_share = opt.workload == W_BOOKINGS ? 0.7 : 0.55;
        if (q < hold_share) {
            p->f = F_HOLD;
            p->channel = "app";
            if (opt.workload == W_SLOTS) {
                static const char *const chans[] = {
                    "app", "app", "app",    "wechat", "wechat",
                    "114", "114", "window", "window", "bank"};
                p->channel = chans[trand_below(&wrng, 10)];
            }
            uint32_t k = pl->patients >= 100000
                             ? pl->next_patient++
                             : trand_below(&wrng, pl->patients);
            snprintf(p->patient, sizeof p->patient, "patient-%05u", k);
            if (opt.workload == W_BOOKINGS) {
                p->ttl = 8000;
            } else {
                p->ttl = 300 + trand_below(&wrng, 2200);
            }
        } else if (opt.workload == W_BOOKINGS ||
                   q < hold_share + 0.8 * (1 - hold_share)) {
            p->f = F_READ_POOL;
            double s = trand_unit(&wrng);
            if (opt.workload == W_CONSERVATION && s < 0.5) {
                p->stale = true; /* conservation holds on every replica */
                p->pinned = pickNode();
            } else if (s < 0.3) {
                p->pinned = pickNode(); /* a correct follower says NOT_LEADER */
            }
        } else {
            p->f = F_READ_PATIENT;
            snprintf(p->patient, sizeof p->patient, "patient-%05u",
                     trand_below(&wrng, pl->patients));
        }
        pl->ops++;
        if (pl->ops >= (uint32_t)opt.pool_ops && pl->state == P_ACTIVE) {
            pl->state = P_RETIRED;
        }
    }
    return procSubmit(p);
}

/* The payment of a confirm or check-in: a reference (pay-<id>, desk-<id>)
 * and a method from a small set, chosen from the seed and the claim id
 * (the same on a retry of one operation), apart from the workload's
 * generator so that a seed's other choices are as before. A confirm in a
 * pool paid at the visit leaves the booking unpaid half the time (the
 * check-in then pays it: CHECKED_IN b = 1). */
static void payChoose(struct proc *p)
{
    static const char *const methods[] = {"wechat", "alipay", "card", ""};
    uint64_t h = (opt.seed + 1) * 0x9e3779b97f4a7c15ull ^
                 (p->cid + (uint64_t)p->f * 0x632be59bd9b4e019ull);
    h ^= h >> 31;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 29;
    p->pay_method = methods[h % 4];
    snprintf(p->payref, sizeof p->payref, "%s-%" PRIu64,
             p->f == F_CONFIRM ? "pay" : "desk", p->cid);
    if (p->f == F_CONFIRM && pools[p->pool].at_visit && (h >> 8) % 2 == 0) {
        p->payref[0] = '\0';
        p->pay_method = "";
    }
}

/* Writes p's invocation and submits it. */
static bool procSubmit(struct proc *p)
{
    if (p->f == F_CONFIRM || p->f == F_CHECKIN) {
        payChoose(p);
    }
    struct jb v;
    valueOf(p, &v);
    snprintf(p->value, sizeof p->value, "%.1023s", jbEnd(&v));
    slotc_req_init(&p->req);
    p->req.data = p;
    p->req.timeout_ms = (uint32_t)opt.timeout_ms;
    if (p->pinned >= 0) {
        p->req.node = opt.client[p->pinned];
    }
    if (p->stale) {
        p->req.flags = SLOTC_STALE;
    }
    histLine(p->id, "invoke", fn_names[p->f], p->value, "");
    struct pool *pl = &pools[p->pool];
    int rc;
    switch (p->f) {
        case F_CREATE: {
            struct slotc_pool_spec spec;
            struct slotc_place place;
            poolSpec(pl, &spec, &place);
            rc = slotc_pool_create(p->c, &p->req, &spec, procDone);
            break;
        }
        case F_HOLD:
            rc = slotc_hold_account(p->c, &p->req, pl->name, p->patient,
                                    p->channel, p->account, p->ttl, procDone);
            break;
        case F_CONFIRM:
            rc = slotc_confirm_pay(p->c, &p->req, p->cid, p->payref,
                                   p->pay_method, p->caller, p->account,
                                   procDone);
            break;
        case F_RELEASE:
            rc = slotc_release_as(p->c, &p->req, p->cid, p->caller, p->account,
                                  procDone);
            break;
        case F_CANCEL:
            rc = slotc_cancel_as(p->c, &p->req, p->cid, p->caller, p->account,
                                 procDone);
            break;
        case F_READ_PINFO:
            rc = slotc_read_patient_info(p->c, &p->req, p->patient, procDone);
            break;
        case F_JOIN:
            rc = slotc_waitlist_join(p->c, &p->req, pl->name, p->patient,
                                     p->channel, NULL, procDone);
            break;
        case F_LEAVE:
            rc = slotc_waitlist_leave(p->c, &p->req, pl->name, p->patient,
                                      p->caller, NULL, procDone);
            break;
        case F_READ_WAIT:
            rc = slotc_read_waitlist(p->c, &p->req, pl->name, p->patient,
                                     procDone);
            break;
        case F_READ_POOL:
            rc = slotc_read_pool(p->c, &p->req, pl->name, procDone);
            break;
        case F_READ_PATIENT:
            rc = slotc_read_patient(p->c, &p->req, pl->name, p->patient,
                                    procDone);
            break;
        case F_READ_HOLD:
            rc = slotc_read_hold(p->c, &p->req, p->cid, procDone);
            break;
        case F_STOP:
            rc = slotc_pool_stop(p->c, &p->req, pl->name, "jepsen",
                                 "doctor away", procDone);
            break;
        case F_MOVE:
            rc = slotc_move(p->c, &p->req, p->cid, pools[p->target].name,
                            p->caller, NULL, procDone);
            break;
        case F_CHECKIN:
            rc = slotc_checkin_pay(p->c, &p->req, p->cid, p->patient, p->payref,
                                   p->pay_method, procDone);
            break;
        case F_READ_PCLAIMS:
            rc = slotc_read_pool_claims(p->c, &p->req, pl->name, p->after, 24,
                                        procDone);
            break;
        default:
            rc = SLOT_INVALID_ARGUMENT;
            break;
    }
    if (rc != SLOT_OK) {
        /* Refused before anything was sent: nothing happened. */
        p->req.status = rc;
        writeCompletion(p->id, p->f, p->value, &p->req);
        if (p->f == F_CREATE) {
            pl->state = P_NEED_CREATE;
        }
        return false;
    }
    p->busy = true;
    procs_busy++;
    return true;
}

static void procTimer(uv_timer_t *t)
{
    struct proc *p = t->data;
    if (stopping) {
        return;
    }
    if (!procStart(p)) {
        procSchedule(p, 20 + trand_below(&wrng, 30));
    }
}

static void procSchedule(struct proc *p, uint64_t delay_ms)
{
    if (!stopping) {
        uv_timer_start(&p->timer, procTimer, delay_ms, 0);
    }
}

static void stopCb(uv_timer_t *t)
{
    (void)t;
    stopping = true;
    logf_("workload: time is up; waiting for %d operations in flight",
          procs_busy);
    for (int i = 0; i < opt.procs; i++) {
        uv_timer_stop(&procs[i].timer);
    }
    uv_timer_stop(&flush_timer);
    if (opt.workload == W_SLOTS) {
        uv_timer_stop(&hosp.timer);
    }
}

static void flushCb(uv_timer_t *t)
{
    (void)t;
    histFlush();
}

/* ---- the hospital's flow-back steps (slots) ------------------------------ */

#define RULES_PROC 99000 /* the rules process: 99000, 99001 after an info */

static void rulesStep(uv_timer_t *t);

static void rulesAgain(uint64_t delay_ms)
{
    if (!stopping && hosp.step < FLOW_STEPS) {
        uv_timer_start(&hosp.timer, rulesStep, delay_ms, 0);
    }
}

static void rulesDone(struct slotc_req *req)
{
    int st = req->status;
    writeCompletion(hosp.proc, F_RULES, hosp.value, req);
    hosp.busy = false;
    if (st == SLOT_OUTCOME_UNKNOWN) {
        hosp.proc++; /* may have applied: say so again, as a new process */
    }
    if (st != SLOT_OK) {
        rulesAgain(1000);
        return;
    }
    hosp.step++;
    logf_("rules: flow-back step %d applied at index %" PRIu64, hosp.step,
          req->out.index);
    uint64_t now = uv_now(&loop) - loop_t0_ms;
    if (hosp.step < FLOW_STEPS) {
        uint64_t at = hosp.step_at_ms[hosp.step];
        rulesAgain(at > now ? at - now : 0);
    }
}

/* ---- the census before a flow-back step ------------------------------------
 * Just before each flow-back step the rules process reads every claim the
 * run knows of in the pools the step will flow, one read each (processes
 * CENSUS_PROC + n, nodes in turn): every claim live at the flow then
 * has a bucket read before it (one node's state at its applied index,
 * before the step was proposed), and the final reads read each again. A
 * flow-back that moves a held or booked slot is then a claim whose bucket
 * changed (the flowback check), wherever the workload's own read-backs
 * fell. Without it a claim held just before the flow and read back just
 * after was seen only in its new bucket: jepsen-bug-flowheld found
 * flowback valid in CI (seed 5) and in a local make test. */
#define CENSUS_PROC  97000
#define CENSUS_MAX   256  /* reads a step: more than the run's claims there */
#define CENSUS_PROCS 1000 /* process numbers below FEED_PROC */

static struct {
    struct slotc_req req[CENSUS_MAX];
    char value[CENSUS_MAX][160];
    int proc[CENSUS_MAX];
    int left;  /* reads in flight */
    int procs; /* process numbers used */
} census;

static void rulesSend(void);

static void censusDone(struct slotc_req *req)
{
    int k = (int)(req - census.req);
    writeCompletion(census.proc[k], F_READ_HOLD, census.value[k], req);
    if (--census.left == 0) {
        hosp.busy = false;
        if (!stopping) {
            rulesSend();
        }
    }
}

/* Reads the claims of the pools step hosp.step + 1 flows (visiting within
 * that many days); false if none was sent. */
static bool censusStart(void)
{
    uint32_t last_day = hosp.today + (uint32_t)hosp.step + 1;
    census.left = 0;
    for (uint32_t i = 0;
         i < n_ids && census.left < CENSUS_MAX && census.procs < CENSUS_PROCS;
         i++) {
        const struct pool *pl = &pools[id_pool[i]];
        if (!pl->place || pl->day > last_day) {
            continue;
        }
        int k = census.left, node = (int)(i % (uint32_t)opt.nodes);
        struct jb v;
        jbInit(&v);
        jbS(&v, "pool", pl->name);
        jbU(&v, "id", ids[i]);
        jbS(&v, "on", opt.client[node]);
        jbB(&v, "stale", true);
        jbEnd(&v);
        snprintf(census.value[k], sizeof census.value[k], "%.159s", v.s);
        census.proc[k] = CENSUS_PROC + census.procs++;
        slotc_req_init(&census.req[k]);
        census.req[k].timeout_ms = (uint32_t)opt.timeout_ms;
        /* One node's own state at its applied index (SLOTC_STALE), like
         * the final reads: a bucket is a fact of the index it was read at,
         * and 256 concurrent linearizable reads made the linearizability
         * search of a pool run out of time under partitions. */
        census.req[k].node = opt.client[node];
        census.req[k].flags = SLOTC_STALE;
        histLine(census.proc[k], "invoke", fn_names[F_READ_HOLD],
                 census.value[k], "");
        int rc =
            slotc_read_hold(clients[0], &census.req[k], ids[i], censusDone);
        if (rc != SLOT_OK) {
            census.req[k].status = rc; /* nothing was sent */
            writeCompletion(census.proc[k], F_READ_HOLD, census.value[k],
                            &census.req[k]);
            continue;
        }
        census.left++;
    }
    return census.left > 0;
}

/* Step k turns flow-back on for the pools visiting within k days, at the
 * local minute that began at least 15 s ago (every node's clock is within
 * 10 s of ours), so those pools are due at once; the census first. */
static void rulesStep(uv_timer_t *t)
{
    (void)t;
    if (stopping || hosp.busy || hosp.step >= FLOW_STEPS) {
        return;
    }
    hosp.busy = true;
    if (!censusStart()) {
        hosp.busy = false;
        rulesSend();
    }
}

static void rulesSend(void)
{
    struct slotc_rules r;
    uint64_t wall = (uint64_t)tclock_wall_ms() - 15000;
    rulesFill(&r, (uint32_t)hosp.step + 1,
              (int32_t)localMinute(wall, hosp.off));
    struct jb v;
    rulesJson(&v, &r, hosp.step + 1);
    snprintf(hosp.value, sizeof hosp.value, "%.1023s", v.s);
    slotc_req_init(&hosp.req);
    hosp.req.timeout_ms = (uint32_t)opt.timeout_ms;
    histLine(hosp.proc, "invoke", fn_names[F_RULES], hosp.value, "");
    int rc = slotc_rules_set(clients[0], &hosp.req, HOSPITAL, NULL, "jepsen",
                             "flow-back step", &r, rulesDone);
    if (rc != SLOT_OK) {
        hosp.req.status = rc; /* nothing was sent */
        writeCompletion(hosp.proc, F_RULES, hosp.value, &hosp.req);
        rulesAgain(1000);
        return;
    }
    hosp.busy = true;
}

/* ---- the feed follower ----------------------------------------------------
 * One more process (FEED_PROC, not one of the workload's) follows the event
 * feed (ledger.h, "The event feed") during the whole run with the async
 * API, on a connection of its own: a page of 1..300 events (100..300
 * while behind, else 1..8 a fifth of the time) after its cursor, through
 * the leader (linearizable) or, a third of the time, from
 * one node (SLOTC_STALE, which may lag: fewer events, never other ones);
 * now and then (10 %) it reads again a page it already had, from up to 40
 * events back, on a pinned node, so that one seq is read twice from two
 * places. Its cursor is the largest seq it read: after an error (a node
 * down, a leader change, a timeout) it resumes from there, and a full page
 * is followed at once by the next. Every page is one operation in the
 * history (f "read_events": value after, limit, on / stale; the answer's
 * first, last and events, each [seq, index, time_ms, type, claim, pool,
 * patient, channel, a, b, account, hospital, fee_cents, payment_ref,
 * pay_method, local_day]; histories before protocol 5 wrote the account
 * only when there was one or for a pool-less event, its hospital only for
 * the latter, and nothing after). At the end, after the heal and the other
 * final reads, finalRecon reads the reconciliation counters of every
 * local day the run touched and then finalFeed reads the whole feed from
 * seq 0 through the leader (process FINAL_PROC, "final": true): the feed
 * ends with a short page read after the counters, so it holds every event
 * they count. */

#define FEED_PROC      98000
#define FEED_LIMIT_MAX 300

/* Its own generator (seeded from --seed, apart from the workload's), so
 * that a seed replays the workload's choices as before the follower. */
static struct trand frng;
static struct {
    struct slotc *c;
    struct slotc_req req;
    uv_timer_t timer;
    uint64_t cursor; /* the largest seq read */
    uint32_t limit;
    bool behind; /* the last page was full */
    uint64_t pages, events, errors;
    char value[256];
} feed;

static void feedStep(uv_timer_t *t);

/* A growing string for a page's completion (up to SLOTC_LIST_MAX events,
 * each ~120 bytes: more than struct jb holds). */
struct sbuf {
    char *s;
    size_t n, cap;
};

static void sbAdd(struct sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void sbAdd(struct sbuf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->s + b->n, b->cap - b->n, fmt, ap);
        va_end(ap);
        if (k >= 0 && (size_t)k < b->cap - b->n) {
            b->n += (size_t)k;
            return;
        }
        b->cap = b->cap * 2 + (size_t)(k > 0 ? k : 0) + 256;
        b->s = realloc(b->s, b->cap);
        if (b->s == NULL) {
            abort();
        }
    }
}

/* A read completion's extra members: the serving node's applied index
 * (when it answered), the node, the error. */
static void readExtra(char *extra, size_t cap, int st,
                      const struct slotc_out *o)
{
    size_t n = 0;
    extra[0] = '\0';
    if (st == SLOT_OK || ledgerCode(st)) {
        n += (size_t)snprintf(extra, cap, ",\"index\":%" PRIu64, o->index);
    }
    if (o->node != NULL && n < cap) {
        n += (size_t)snprintf(extra + n, cap - n, ",\"node\":\"%s\"", o->node);
    }
    if (st != SLOT_OK && n < cap) {
        const char *name = slotc_err_name(st);
        snprintf(extra + n, cap - n, ",\"error\":\"%s\"", name ? name : "?");
    }
}

/* Writes a read_events completion: the invocation's value plus first,
 * last and the events; index and node of the serving node; the error. */
static void feedCompletion(int proc, const char *invoke_value,
                           const struct slotc_req *req)
{
    struct sbuf b = {malloc(4096), 0, 4096};
    if (b.s == NULL) {
        abort();
    }
    sbAdd(&b, "%.*s", (int)strlen(invoke_value) - 1, invoke_value);
    const struct slotc_out *o = &req->out;
    int st = req->status;
    if (st == SLOT_OK || st == SLOT_CURSOR_EXPIRED) {
        sbAdd(&b, ",\"first\":%" PRIu64 ",\"last\":%" PRIu64, o->first,
              o->last);
    }
    if (st == SLOT_OK) {
        sbAdd(&b, ",\"events\":[");
        for (uint32_t i = 0; i < o->n_events; i++) {
            const struct slotc_event *e = &o->events[i];
            sbAdd(&b,
                  "%s[%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%d,%" PRIu64
                  ",\"%s\",\"%s\",\"%s\",%" PRIu64 ",%" PRIu64,
                  i ? "," : "", e->seq, e->index, e->time_ms, e->type, e->claim,
                  e->pool, e->patient, e->channel, e->a, e->b);
            /* the account, the hospital, then protocol 5's payment and
             * local day (histories before it stop at the account, or at
             * a pool-less event's hospital) */
            sbAdd(&b, ",\"%s\",\"%s\",%" PRIu64 ",\"%s\",\"%s\",%" PRIu32 "]",
                  e->account, e->hospital, e->fee_cents, e->payment_ref,
                  e->pay_method, e->local_day);
        }
        sbAdd(&b, "]");
    }
    sbAdd(&b, "}");
    char extra[256];
    readExtra(extra, sizeof extra, st, o);
    /* A read never has an unknown outcome: ok or fail. */
    histLine(proc, st == SLOT_OK ? "ok" : "fail", "read_events", b.s, extra);
    free(b.s);
}

static void feedAgain(uint64_t delay_ms)
{
    if (!stopping) {
        uv_timer_start(&feed.timer, feedStep, delay_ms, 0);
    }
}

static void feedDone(struct slotc_req *req)
{
    int st = req->status;
    feedCompletion(FEED_PROC, feed.value, req);
    feed.pages++;
    if (st == SLOT_OK) {
        feed.events += req->out.n_events;
        if (req->out.n_events > 0) {
            uint64_t top = req->out.events[req->out.n_events - 1].seq;
            feed.cursor = top > feed.cursor ? top : feed.cursor;
        }
        feed.behind = req->out.n_events == feed.limit;
        /* a full page: more may be there at once */
        feedAgain(
            req->out.n_events == feed.limit ? 0 : 30 + trand_below(&frng, 90));
        return;
    }
    feed.errors++;
    if (st == SLOT_CURSOR_EXPIRED && req->out.first > feed.cursor + 1) {
        feed.cursor = req->out.first - 1; /* the rest is lost to us */
    }
    feedAgain(100 + trand_below(&frng, 200));
}

static void feedStep(uv_timer_t *t)
{
    (void)t;
    if (stopping) {
        return;
    }
    slotc_req_init(&feed.req);
    feed.req.timeout_ms = (uint32_t)opt.timeout_ms;
    uint64_t after = feed.cursor;
    double u = trand_unit(&frng);
    int node = -1;
    if (u < 0.10) {
        uint64_t back = 1 + trand_below(&frng, 40);
        after = after > back ? after - back : 0;
        node = (int)trand_below(&frng, (uint32_t)opt.nodes);
    } else if (u < 0.40) {
        node = (int)trand_below(&frng, (uint32_t)opt.nodes);
    }
    /* Behind (the last page was full): large pages, to catch up; else
     * now and then a tiny one, which ends inside an entry. */
    feed.limit =
        feed.behind
            ? FEED_LIMIT_MAX / 3 + trand_below(&frng, 2 * FEED_LIMIT_MAX / 3)
        : trand_unit(&frng) < 0.2 ? 1 + trand_below(&frng, 8)
                                  : 1 + trand_below(&frng, FEED_LIMIT_MAX);
    struct jb v;
    jbInit(&v);
    jbU(&v, "after", after);
    jbU(&v, "limit", feed.limit);
    if (node >= 0) {
        feed.req.node = opt.client[node];
        feed.req.flags = SLOTC_STALE;
        jbS(&v, "on", opt.client[node]);
        jbB(&v, "stale", true);
    }
    snprintf(feed.value, sizeof feed.value, "%.255s", jbEnd(&v));
    feed.req.data = &feed;
    histLine(FEED_PROC, "invoke", "read_events", feed.value, "");
    int rc = slotc_read_events(feed.c, &feed.req, after, feed.limit, feedDone);
    if (rc != SLOT_OK) {
        feed.req.status = rc; /* nothing was sent */
        feedCompletion(FEED_PROC, feed.value, &feed.req);
        feedAgain(100);
    }
}

/* Writes a read_recon completion: the invocation's value plus
 * kept_from_day, total and the rows, each [day, hospital, channel,
 * pay_method, booked, booked_cents, checkin_paid, checkin_paid_cents,
 * checked_in, cancelled, cancelled_cents, refunded, refunded_cents,
 * moved, no_show]; index (the serving node's applied index) and node. */
static void reconCompletion(const char *invoke_value,
                            const struct slotc_req *req)
{
    struct sbuf b = {malloc(4096), 0, 4096};
    if (b.s == NULL) {
        abort();
    }
    sbAdd(&b, "%.*s", (int)strlen(invoke_value) - 1, invoke_value);
    const struct slotc_out *o = &req->out;
    int st = req->status;
    if (st == SLOT_OK) {
        sbAdd(&b,
              ",\"kept_from_day\":%" PRIu32 ",\"total\":%" PRIu64 ",\"rows\":[",
              o->kept_from_day, (uint64_t)o->total);
        for (uint32_t i = 0; i < o->n_recon; i++) {
            const struct slotc_recon_row *r = &o->recon[i];
            sbAdd(&b,
                  "%s[%" PRIu32 ",\"%s\",\"%s\",\"%s\",%" PRIu32 ",%" PRIu64
                  ",%" PRIu32 ",%" PRIu64 ",%" PRIu32 ",%" PRIu32 ",%" PRIu64
                  ",%" PRIu32 ",%" PRIu64 ",%" PRIu32 ",%" PRIu32 "]",
                  i ? "," : "", r->day, r->hospital, r->channel, r->pay_method,
                  r->booked, r->booked_cents, r->checkin_paid,
                  r->checkin_paid_cents, r->checked_in, r->cancelled,
                  r->cancelled_cents, r->refunded, r->refunded_cents, r->moved,
                  r->no_show);
        }
        sbAdd(&b, "]");
    }
    sbAdd(&b, "}");
    char extra[256];
    readExtra(extra, sizeof extra, st, o);
    histLine(FINAL_PROC, st == SLOT_OK ? "ok" : "fail", "read_recon", b.s,
             extra);
    free(b.s);
}

/* When the run began (wall clock), for the days finalRecon reads. */
static uint64_t run_start_ms;

/* The reconciliation counters (protocol 5) of every local day the run
 * may have touched, through the leader, hospital and channel "" (all):
 * the hospitals' UTC offsets are within +-12 h (local noon at the start)
 * and free-standing pools count in UTC, so the UTC days from the day
 * before the start to the day after now hold them all. One page per day
 * (a day has at most hospitals x channels x methods rows, here tens); a
 * failed read is tried again (at most 10 times a day). The checker sums
 * the final feed's events up to each read's index against its rows, so
 * finalFeed must come after this. */
static void finalRecon(void)
{
    uint64_t now = (uint64_t)tclock_wall_ms();
    uint32_t from = (uint32_t)(run_start_ms / MS_PER_DAY) - 1;
    uint32_t to = (uint32_t)(now / MS_PER_DAY) + 1;
    int read = 0;
    for (uint32_t day = from; day <= to; day++) {
        for (int fails = 0; fails < 10; fails++) {
            struct slotc_req r;
            slotc_req_init(&r);
            r.timeout_ms = 3000;
            struct jb v;
            jbInit(&v);
            jbU(&v, "day", day);
            jbS(&v, "hospital", "");
            jbS(&v, "channel", "");
            jbU(&v, "limit", SLOTC_LIST_MAX);
            jbB(&v, "final", true);
            jbEnd(&v);
            histLine(FINAL_PROC, "invoke", "read_recon", v.s, "");
            int rc = slotc_sync_read_recon(syncc, &r, day, "", "", 0,
                                           SLOTC_LIST_MAX);
            reconCompletion(v.s, &r);
            if (rc == SLOT_OK) {
                read++;
                break;
            }
            tclock_sleep_ms(300);
        }
    }
    logf_("final: reconciliation counters of %d of %u days read", read,
          to - from + 1);
}

/* The whole feed through the leader, from seq 0, page by page, until a
 * page comes back short (the feed may still grow: the leader's EXPIRE and
 * SWEEP go on); a failed page is tried again (at most 20 failures). */
static void finalFeed(void)
{
    uint64_t after = 0;
    for (int fails = 0; fails < 20;) {
        struct slotc_req r;
        slotc_req_init(&r);
        r.timeout_ms = 3000;
        struct jb v;
        jbInit(&v);
        jbU(&v, "after", after);
        jbU(&v, "limit", SLOTC_LIST_MAX);
        jbB(&v, "final", true);
        jbEnd(&v);
        histLine(FINAL_PROC, "invoke", "read_events", v.s, "");
        int rc = slotc_sync_read_events(syncc, &r, after, SLOTC_LIST_MAX);
        feedCompletion(FINAL_PROC, v.s, &r);
        if (rc == SLOT_CURSOR_EXPIRED && r.out.first > after + 1) {
            after = r.out.first - 1;
            continue;
        }
        if (rc != SLOT_OK) {
            fails++;
            tclock_sleep_ms(300);
            continue;
        }
        if (r.out.n_events > 0) {
            after = r.out.events[r.out.n_events - 1].seq;
        }
        if (r.out.n_events < SLOTC_LIST_MAX) {
            logf_("final: the feed read to seq %" PRIu64, after);
            return;
        }
    }
    logf_("final: the feed could not be read to its end");
}

/* ---- nemesis ------------------------------------------------------------- */

enum node_state { N_UP, N_DOWN, N_PAUSED, N_REMOVED, N_SKEWED, N_FULL };

enum fault {
    FT_PART_LEADER,
    FT_PART_HALVES,
    FT_PART_RING,
    FT_PART_BRIDGE,
    FT_PART_CLIENTS,
    FT_LOST_REPLIES,
    FT_KILL,
    FT_PAUSE,
    FT_CLOCK,
    FT_TRANSFER,
    FT_MEMBER,
    FT_DISK,
    FT_CLOCKSTEP, /* not in "all": needs nodes under libfaketime */
    FT_COUNT
};
static const char *const fault_names[] = {"partition-leader",
                                          "partition-halves",
                                          "partition-ring",
                                          "partition-bridge",
                                          "partition-clients",
                                          "lost-replies",
                                          "kill",
                                          "pause",
                                          "clock",
                                          "transfer",
                                          "member",
                                          "disk",
                                          "clockstep"};

/* lost-replies: every reply to the clients is dropped for longer than the
 * clients' attempt timeout (after which libslot deems a silent connection
 * dead and resends its requests with their session numbers) and well
 * within the operation deadline (--timeout, 4 s), so the retries of
 * commands that were applied are answered before the deadline: each one
 * is an observed test of exactly-once, never an info operation. */
#define ATTEMPT_TIMEOUT_MS 1000
#define BLIP_MS            (ATTEMPT_TIMEOUT_MS + 500)

/* Network faults (nftables in the nodes' namespaces): one at a time, all
 * undone by `ctl heal-net`. */
static bool isNet(int fault)
{
    return fault <= FT_LOST_REPLIES;
}

/* What the nemesis did, per kind: the run's own record of its faults
 * (logged, and written to the history's "summary" line). */
struct fault_count {
    int acted;   /* started, and in force (or done, for instant kinds) */
    int failed;  /* tried, and a step of it failed */
    int skipped; /* not tried: no possible target at that moment */
    int heals, heals_failed;
};

struct active {
    int fault;
    int nodes[NODES_MAX];
    int n;
};

static struct {
    bool enabled[FT_COUNT];
    int n_enabled;
    int group[FT_COUNT]; /* the --nemesis item that enabled the kind, or -1 */
    struct fault_count count[FT_COUNT];
    int node_state[NODES_MAX + 1]; /* 1-based */
    struct active act[8];
    int n_act;
    int max_act;
    volatile int stop;
    struct slotc_sync *admin;
    pthread_t thread;
    int crashes;
} nem;

/* Runs `ctl DIR args...` and waits (at most 60 s). Returns its exit code. */
static int ctl(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int ctl(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    char *argv[16];
    int argc = 0;
    argv[argc++] = (char *)opt.ctl;
    argv[argc++] = (char *)opt.ctl_dir;
    char *save = NULL;
    for (char *tok = strtok_r(line, " ", &save); tok && argc < 15;
         tok = strtok_r(NULL, " ", &save)) {
        argv[argc++] = tok;
    }
    argv[argc] = NULL;
    pid_t pid;
    if (posix_spawn(&pid, opt.ctl, NULL, NULL, argv, environ) != 0) {
        logf_("nemesis: cannot run %s", opt.ctl);
        return -1;
    }
    for (int waited = 0; waited < 60000; waited += 10) {
        int status;
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid) {
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
        tclock_sleep_ms(10);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    logf_("nemesis: ctl %s timed out", argv[2]);
    return -1;
}

static bool alive(int i)
{
    return ctl("alive %d", i) == 0;
}

/* The node that says it leads (highest term), or 0. */
static int findLeader(void)
{
    int best = 0;
    uint64_t term = 0;
    for (int i = 1; i <= opt.nodes; i++) {
        if (nem.node_state[i] == N_DOWN || nem.node_state[i] == N_REMOVED ||
            nem.node_state[i] == N_PAUSED) {
            continue;
        }
        struct slotc_req r;
        slotc_req_init(&r);
        r.node = opt.client[i - 1];
        r.timeout_ms = 500;
        if (slotc_sync_status(nem.admin, &r) == SLOT_OK &&
            r.out.status != NULL && strcmp(r.out.status->role, "leader") == 0 &&
            r.out.status->term >= term) {
            term = r.out.status->term;
            best = i;
        }
    }
    return best;
}

static void nemLog(const char *type, const char *f, const char *value)
{
    histLine(-1, type, f, value, "");
}

static const char *nodesJson(const int *nodes, int n, char *buf, size_t len)
{
    size_t k = 0;
    k += (size_t)snprintf(buf + k, len - k, "[");
    for (int i = 0; i < n && k < len; i++) {
        k += (size_t)snprintf(buf + k, len - k, "%s%d", i ? "," : "", nodes[i]);
    }
    if (k < len) {
        snprintf(buf + k, len - k, "]");
    }
    return buf;
}

static void shuffle(int *a, int n)
{
    for (int i = n - 1; i > 0; i--) {
        int j = (int)trand_below(&nrng, (uint32_t)i + 1);
        int t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

/* Nodes in state N_UP (1-based ids) in random order. */
static int upNodes(int *out)
{
    int n = 0;
    for (int i = 1; i <= opt.nodes; i++) {
        if (nem.node_state[i] == N_UP) {
            out[n++] = i;
        }
    }
    shuffle(out, n);
    return n;
}

static bool partitionActive(void)
{
    for (int k = 0; k < nem.n_act; k++) {
        if (isNet(nem.act[k].fault)) {
            return true;
        }
    }
    return false;
}

/* Picks a target: the leader with probability p_leader (if it is up),
 * else a random node in N_UP. 0 if none. */
static int pickTarget(double p_leader)
{
    int up[NODES_MAX], n = upNodes(up);
    if (n == 0) {
        return 0;
    }
    if (trand_unit(&nrng) < p_leader) {
        int l = findLeader();
        if (l > 0 && nem.node_state[l] == N_UP) {
            return l;
        }
    }
    return up[0];
}

static int votersNow(void)
{
    int n = 0;
    for (int i = 1; i <= opt.nodes; i++) {
        n += nem.node_state[i] != N_REMOVED;
    }
    return n;
}

/* The cut pairs of a partition, "1-2 1-3". Returns false if not possible. */
static bool partitionPairs(int fault, char *pairs, size_t len, char *desc,
                           size_t dlen)
{
    int all[NODES_MAX], n = opt.nodes;
    int side[NODES_MAX + 1]; /* group per node; -1: the bridge (sees all) */
    for (int i = 0; i < n; i++) {
        all[i] = i + 1;
    }
    shuffle(all, n);
    for (int i = 0; i <= n; i++) {
        side[i] = 0;
    }
    bool ring = false;
    switch (fault) {
        case FT_PART_LEADER: {
            int l = findLeader();
            if (l == 0) {
                l = all[0];
            }
            side[l] = 1;
            snprintf(desc, dlen, "isolate leader %d", l);
            break;
        }
        case FT_PART_HALVES:
            for (int i = 0; i < n / 2; i++) {
                side[all[i]] = 1;
            }
            snprintf(desc, dlen, "minority/majority halves");
            break;
        case FT_PART_RING:
            if (n >= 5) {
                ring = true;
                snprintf(desc, dlen, "ring %d-%d-%d-%d-%d", all[0], all[1],
                         all[2], all[3], all[4]);
                break;
            }
            /* three nodes: a ring of majorities is the bridge */
            /* fallthrough */
        case FT_PART_BRIDGE:
            for (int i = 0; i < n; i++) {
                side[all[i]] = i == 0 ? -1 : (i <= (n - 1) / 2 ? 1 : 2);
            }
            snprintf(desc, dlen, "bridge %d", all[0]);
            break;
        default:
            return false;
    }
    size_t k = 0;
    pairs[0] = '\0';
    for (int a = 1; a <= n; a++) {
        for (int b = a + 1; b <= n; b++) {
            bool cut;
            if (ring) {
                int pa = 0, pb = 0;
                for (int i = 0; i < n; i++) {
                    pa = all[i] == a ? i : pa;
                    pb = all[i] == b ? i : pb;
                }
                int d = abs(pa - pb);
                cut = d != 1 && d != n - 1;
            } else {
                cut = side[a] != -1 && side[b] != -1 && side[a] != side[b];
            }
            if (cut && k < len) {
                k += (size_t)snprintf(pairs + k, len - k, "%s%d-%d",
                                      k ? " " : "", a, b);
            }
        }
    }
    return k > 0;
}

/* Node i's role in the leader's configuration: 2 voter, 1 spare or
 * standby, 0 not a member, -1 unknown (no leader answered). */
static int memberRole(int i)
{
    int l = findLeader();
    if (l == 0) {
        return -1;
    }
    struct slotc_req s;
    slotc_req_init(&s);
    s.node = opt.client[l - 1];
    s.timeout_ms = 1000;
    if (slotc_sync_status(nem.admin, &s) != SLOT_OK || s.out.status == NULL ||
        strcmp(s.out.status->role, "leader") != 0) {
        return -1;
    }
    for (uint32_t m = 0; m < s.out.status->n_members; m++) {
        if (s.out.status->members[m].id == (uint64_t)i) {
            return s.out.status->members[m].role == SLOTC_ROLE_VOTER ? 2 : 1;
        }
    }
    return 0;
}

/* Makes node i a running voter again: a node removed from the
 * configuration comes back empty, as a fresh joiner. */
static bool memberAddBack(int i)
{
    int role = memberRole(i);
    if (role == -1) {
        return false;
    }
    if (role == 2 && alive(i)) {
        return true; /* the removal never happened */
    }
    if (role == 0) {
        ctl("stop %d", i); /* removed, maybe still shutting down */
        if (ctl("wipe %d", i) != 0 || ctl("start %d --join", i) != 0) {
            return false;
        }
        bool added = false;
        for (int attempt = 0; attempt < 5 && !added; attempt++) {
            struct slotc_req r;
            slotc_req_init(&r);
            r.timeout_ms = 3000;
            int rc = slotc_sync_member_add(nem.admin, &r, (uint64_t)i,
                                           opt.members[i - 1]);
            added = rc == SLOT_OK || memberRole(i) >= 1;
            if (!added) {
                logf_("nemesis: adding node %d back: %s", i,
                      slotc_err_name(rc));
                tclock_sleep_ms(300);
            }
        }
        if (!added) {
            return false;
        }
    } else if (!alive(i) && ctl("start %d", i) != 0) {
        return false; /* a member whose process is gone: restart it */
    }
    for (int attempt = 0; attempt < 10; attempt++) {
        struct slotc_req r;
        slotc_req_init(&r);
        r.timeout_ms = 3000;
        int rc = slotc_sync_member_assign(nem.admin, &r, (uint64_t)i,
                                          SLOTC_ROLE_VOTER);
        if (rc == SLOT_OK || memberRole(i) == 2) {
            return true;
        }
        logf_("nemesis: promoting node %d: %s", i, slotc_err_name(rc));
        tclock_sleep_ms(300);
    }
    return false;
}

static void heal(int k)
{
    struct active a = nem.act[k];
    nem.act[k] = nem.act[--nem.n_act];
    char nodes[64], val[256];
    nodesJson(a.nodes, a.n, nodes, sizeof nodes);
    snprintf(val, sizeof val, "{\"fault\":\"%s\",\"nodes\":%s}",
             fault_names[a.fault], nodes);
    nemLog("invoke", "stop", val);
    bool ok = true;
    switch (a.fault) {
        case FT_PART_LEADER:
        case FT_PART_HALVES:
        case FT_PART_RING:
        case FT_PART_BRIDGE:
        case FT_PART_CLIENTS:
        case FT_LOST_REPLIES:
            ok = ctl("heal-net") == 0;
            break;
        case FT_KILL:
            for (int i = 0; i < a.n; i++) {
                ok = ctl("start %d", a.nodes[i]) == 0 && ok;
                nem.node_state[a.nodes[i]] = N_UP;
            }
            break;
        case FT_PAUSE:
            for (int i = 0; i < a.n; i++) {
                ok = ctl("resume %d", a.nodes[i]) == 0 && ok;
                nem.node_state[a.nodes[i]] = N_UP;
            }
            break;
        case FT_CLOCK:
            ok = ctl("stop %d", a.nodes[0]) == 0 &&
                 ctl("start %d --offset 0", a.nodes[0]) == 0;
            nem.node_state[a.nodes[0]] = N_UP;
            break;
        case FT_CLOCKSTEP:
            ok = ctl("clockstep %d 0", a.nodes[0]) == 0;
            break;
        case FT_MEMBER:
            ok = memberAddBack(a.nodes[0]);
            nem.node_state[a.nodes[0]] = ok ? N_UP : N_REMOVED;
            if (!ok) {
                nem.act[nem.n_act++] = a; /* try again at the next heal */
            }
            break;
        case FT_DISK:
            ok = ctl("unfill %d", a.nodes[0]) == 0;
            if (!alive(a.nodes[0])) {
                /* slotd stops on a failed write, by design: a restart
                 * recovers from the log. */
                ok = ctl("start %d", a.nodes[0]) == 0 && ok;
                snprintf(val, sizeof val,
                         "{\"fault\":\"disk\",\"nodes\":%s,\"restarted\":true}",
                         nodes);
            }
            nem.node_state[a.nodes[0]] = N_UP;
            break;
        default:
            break;
    }
    nem.count[a.fault].heals += ok;
    nem.count[a.fault].heals_failed += !ok;
    if (!ok) {
        size_t l = strlen(val);
        snprintf(val + l - 1, sizeof val - l + 1, ",\"error\":true}");
    }
    nemLog("info", "stop", val);
}

static void startFault(int fault)
{
    struct active a;
    memset(&a, 0, sizeof a);
    a.fault = fault;
    char val[512], nodes[64], pairs[128], desc[64];
    bool ok = true, keep = true, oneway = false;
    desc[0] = pairs[0] = '\0';
    switch (fault) {
        case FT_PART_LEADER:
        case FT_PART_HALVES:
        case FT_PART_RING:
        case FT_PART_BRIDGE:
            if (!partitionPairs(fault, pairs, sizeof pairs, desc,
                                sizeof desc)) {
                nem.count[fault].skipped++;
                return;
            }
            break;
        case FT_PART_CLIENTS:
            a.nodes[0] = pickTarget(0.8);
            a.n = a.nodes[0] ? 1 : 0;
            if (a.n == 0) {
                nem.count[fault].skipped++;
                return;
            }
            oneway = trand_unit(&nrng) < 0.7;
            snprintf(desc, sizeof desc, "%s",
                     oneway ? "replies to clients lost" : "no client traffic");
            break;
        case FT_KILL: {
            int minority = (votersNow() - 1) / 2;
            int want = 1 + (int)trand_below(
                               &nrng, (uint32_t)(minority > 0 ? minority : 1));
            int first = pickTarget(0.5);
            if (first == 0) {
                nem.count[fault].skipped++;
                return;
            }
            a.nodes[a.n++] = first;
            int up[NODES_MAX], n = upNodes(up);
            for (int i = 0; i < n && a.n < want; i++) {
                if (up[i] != first) {
                    a.nodes[a.n++] = up[i];
                }
            }
            break;
        }
        case FT_CLOCKSTEP:
            /* The leader's clock mostly: its stamps are what a step could
             * move. */
            a.nodes[0] = pickTarget(0.8);
            a.n = a.nodes[0] ? 1 : 0;
            if (a.n == 0) {
                nem.count[fault].skipped++;
                return;
            }
            break;
        case FT_PAUSE:
        case FT_CLOCK:
        case FT_DISK:
            a.nodes[0] = pickTarget(0.5);
            a.n = a.nodes[0] ? 1 : 0;
            if (a.n == 0) {
                nem.count[fault].skipped++;
                return;
            }
            break;
        case FT_MEMBER:
            if (votersNow() <= 2 || (opt.nodes >= 5 && votersNow() <= 3)) {
                nem.count[fault].skipped++;
                return;
            }
            a.nodes[0] = pickTarget(0.3);
            a.n = a.nodes[0] ? 1 : 0;
            if (a.n == 0) {
                nem.count[fault].skipped++;
                return;
            }
            break;
        case FT_TRANSFER:
            keep = false;
            break;
        case FT_LOST_REPLIES:
            for (int i = 1; i <= opt.nodes; i++) {
                a.nodes[a.n++] = i;
            }
            snprintf(desc, sizeof desc, "every reply to the clients lost");
            keep = false;
            break;
    }
    nodesJson(a.nodes, a.n, nodes, sizeof nodes);
    {
        size_t l =
            (size_t)snprintf(val, sizeof val, "{\"fault\":\"%s\",\"nodes\":%s",
                             fault_names[fault], nodes);
        if (pairs[0] && l < sizeof val) {
            l += (size_t)snprintf(val + l, sizeof val - l, ",\"cut\":\"%s\"",
                                  pairs);
        }
        if (desc[0] && l < sizeof val) {
            l += (size_t)snprintf(val + l, sizeof val - l, ",\"desc\":\"%s\"",
                                  desc);
        }
        if (l < sizeof val) {
            snprintf(val + l, sizeof val - l, "}");
        }
    }
    nemLog("invoke", "start", val);
    int offset = 0;
    bool crashed = false, restarted = false, in_doubt = false;
    switch (fault) {
        case FT_PART_LEADER:
        case FT_PART_HALVES:
        case FT_PART_RING:
        case FT_PART_BRIDGE:
            ok = ctl("drop %s", pairs) == 0;
            break;
        case FT_PART_CLIENTS:
            ok = ctl("cut-clients %d %s", a.nodes[0],
                     oneway ? "out" : "both") == 0;
            break;
        case FT_LOST_REPLIES:
            for (int i = 0; i < a.n; i++) {
                ok = ctl("cut-clients %d out", a.nodes[i]) == 0 && ok;
            }
            break;
        case FT_KILL:
            for (int i = 0; i < a.n; i++) {
                ok = ctl("kill %d", a.nodes[i]) == 0 && ok;
                nem.node_state[a.nodes[i]] = N_DOWN;
            }
            break;
        case FT_PAUSE:
            ok = ctl("pause %d", a.nodes[0]) == 0;
            nem.node_state[a.nodes[0]] = N_PAUSED;
            break;
        case FT_CLOCK:
            offset = (int)(1000 + trand_below(&nrng, 9000)) *
                     (trand_unit(&nrng) < 0.5 ? -1 : 1);
            nem.node_state[a.nodes[0]] = N_SKEWED;
            ok = ctl("stop %d", a.nodes[0]) == 0 &&
                 ctl("start %d --offset %d", a.nodes[0], offset) == 0;
            break;
        case FT_CLOCKSTEP: {
            /* 1-10 s, up to 10 min, or an hour, forward or back, on a
             * running node (NTP step, VM resume): no restart. */
            static const uint32_t spans[] = {10000, 600000, 0};
            uint32_t span = spans[trand_below(&nrng, 3)];
            offset = span == 0 ? 3600000
                               : (int)(1000 + trand_below(&nrng, span - 999));
            offset *= trand_unit(&nrng) < 0.5 ? -1 : 1;
            ok = ctl("clockstep %d %d", a.nodes[0], offset) == 0;
            break;
        }
        case FT_DISK:
            nem.node_state[a.nodes[0]] = N_FULL;
            ok = ctl("fill %d", a.nodes[0]) == 0;
            if (ok && trand_unit(&nrng) < 0.5) {
                /* and a crash on the full disk: the restart must fail
                 * cleanly (or recover); the heal frees the disk and
                 * starts it again */
                ctl("kill %d", a.nodes[0]);
                restarted = ctl("start %d", a.nodes[0]) == 0;
                tclock_sleep_ms(300);
                restarted = restarted && alive(a.nodes[0]);
                crashed = true;
            }
            break;
        case FT_TRANSFER: {
            struct slotc_req r;
            slotc_req_init(&r);
            r.timeout_ms = 3000;
            int rc = slotc_sync_transfer(nem.admin, &r, 0);
            ok = rc == SLOT_OK;
            break;
        }
        case FT_MEMBER: {
            int i = a.nodes[0];
            struct slotc_req r;
            slotc_req_init(&r);
            r.timeout_ms = 4000;
            int rc = slotc_sync_member_remove(nem.admin, &r, (uint64_t)i);
            /* Unless it surely happened, the change may still be in the
             * log and commit later: the node then stops by itself. Either
             * way the heal puts it back as a voter. */
            int role = rc == SLOT_OK ? 0 : memberRole(i);
            for (int w = 0; w < 10 && role == -1; w++) {
                tclock_sleep_ms(200); /* no leader to ask yet */
                role = memberRole(i);
            }
            if (role != 2) {
                for (int w = 0; w < 50 && role == 0 && alive(i); w++) {
                    tclock_sleep_ms(100); /* it stops itself */
                }
                if (role == 0) {
                    ctl("stop %d", i);
                }
                nem.node_state[i] = N_REMOVED;
            } else {
                ok = false;
                keep = false;
            }
            in_doubt = role == -1; /* a "late" line says if it happens */
            if (rc != SLOT_OK) {
                size_t l = strlen(val);
                snprintf(val + l - 1, sizeof val - l + 1,
                         ",\"outcome\":\"%s\"}",
                         role == 0   ? "removed"
                         : role == 2 ? "still a voter"
                                     : "unknown");
            }
            break;
        }
    }
    if (!ok) {
        size_t l = strlen(val);
        snprintf(val + l - 1, sizeof val - l + 1, ",\"error\":true}");
    }
    if (fault == FT_CLOCK || fault == FT_CLOCKSTEP) {
        size_t l = strlen(val);
        snprintf(val + l - 1, sizeof val - l + 1, ",\"offset_ms\":%d}", offset);
    }
    if (crashed) {
        size_t l = strlen(val);
        snprintf(val + l - 1, sizeof val - l + 1,
                 ",\"killed\":true,\"restarted\":%s}",
                 restarted ? "true" : "false");
    }
    /* "acted": the fault is in force (or, for transfer, happened); the
     * checker compares these with the kinds that were asked for. */
    bool acted = ok && !in_doubt;
    {
        size_t l = strlen(val);
        snprintf(val + l - 1, sizeof val - l + 1, ",\"acted\":%s}",
                 acted ? "true" : "false");
    }
    nem.count[fault].acted += acted;
    nem.count[fault].failed += !acted;
    nemLog("info", "start", val);
    if (keep) {
        nem.act[nem.n_act++] = a;
    } else if (fault == FT_LOST_REPLIES) {
        /* A blip: over after BLIP_MS, healed here like any fault. */
        tclock_sleep_ms(BLIP_MS);
        nem.act[nem.n_act++] = a;
        heal(nem.n_act - 1);
    }
}

/* A node that should run but does not crashed by itself: a finding. */
static void checkCrashes(void)
{
    for (int i = 1; i <= opt.nodes; i++) {
        int st = nem.node_state[i];
        if ((st == N_UP || st == N_SKEWED) && !alive(i) && memberRole(i) == 0) {
            /* a removal that committed late: not a crash; heal re-adds */
            char val[128];
            snprintf(val, sizeof val,
                     "{\"fault\":\"member\",\"nodes\":[%d],\"late\":true,"
                     "\"acted\":true}",
                     i);
            nem.count[FT_MEMBER].acted++;
            nemLog("info", "start", val);
            nem.node_state[i] = N_REMOVED;
            struct active a;
            memset(&a, 0, sizeof a);
            a.fault = FT_MEMBER;
            a.nodes[0] = i;
            a.n = 1;
            if (nem.n_act < 8) {
                nem.act[nem.n_act++] = a;
            }
            continue;
        }
        if ((st == N_UP || st == N_SKEWED) && !alive(i)) {
            char val[128];
            snprintf(val, sizeof val, "{\"node\":%d}", i);
            nemLog("info", "crash", val);
            logf_("nemesis: node %d died on its own; restarting it", i);
            nem.crashes++;
            ctl("start %d", i);
        }
    }
}

static void healAll(void)
{
    /* Network first, then processes, members last: a node can only be
     * added back (and caught up) once the others can reach it. */
    for (int pass = 0; pass < 3; pass++) {
        for (int k = nem.n_act - 1; k >= 0; k--) {
            if (k >= nem.n_act) {
                continue;
            }
            int f = nem.act[k].fault;
            bool net = isNet(f), member = f == FT_MEMBER;
            if ((pass == 0 && net) || (pass == 1 && !net && !member) ||
                (pass == 2 && member)) {
                heal(k);
            }
        }
    }
    for (int retry = 0; retry < 1 && nem.n_act > 0; retry++) {
        tclock_sleep_ms(2000);
        heal(nem.n_act - 1); /* members that could not be added back yet */
    }
    if (nem.n_act > 0) {
        logf_("nemesis: %d faults could not be healed", nem.n_act);
        nem.n_act = 0;
    }
    ctl("heal-net");
    for (int i = 1; i <= opt.nodes; i++) {
        ctl("resume %d", i);
        if (nem.node_state[i] != N_REMOVED && !alive(i)) {
            char val[128];
            snprintf(val, sizeof val, "{\"node\":%d}", i);
            nemLog("info", "restart", val);
            ctl("start %d", i);
        }
    }
}

/* True if some kind of --nemesis item `group` has acted. */
static bool groupActed(int group)
{
    for (int f = 0; f < FT_COUNT; f++) {
        if (nem.group[f] == group && nem.count[f].acted > 0) {
            return true;
        }
    }
    return false;
}

/* The nemesis's own account, at the end: per kind asked for, how often it
 * acted, failed, found no target, healed. Logged and written to the
 * history ("summary"). */
static void nemSummary(void)
{
    char val[2048];
    size_t l = (size_t)snprintf(val, sizeof val, "{\"faults\":{");
    int k = 0;
    for (int f = 0; f < FT_COUNT && l < sizeof val; f++) {
        if (!nem.enabled[f]) {
            continue;
        }
        const struct fault_count *c = &nem.count[f];
        l += (size_t)snprintf(
            val + l, sizeof val - l,
            "%s\"%s\":{\"acted\":%d,\"failed\":%d,\"skipped\":%d,"
            "\"heals\":%d,\"heals_failed\":%d}",
            k++ ? "," : "", fault_names[f], c->acted, c->failed, c->skipped,
            c->heals, c->heals_failed);
        logf_("nemesis: %-17s acted %d, failed %d, skipped %d, healed %d, "
              "heals failed %d",
              fault_names[f], c->acted, c->failed, c->skipped, c->heals,
              c->heals_failed);
    }
    if (l < sizeof val) {
        snprintf(val + l, sizeof val - l, "}}");
    }
    nemLog("info", "summary", val);
}

static void *nemesisMain(void *arg)
{
    (void)arg;
    while (!nem.stop) {
        int wait = opt.interval_ms / 2 +
                   (int)trand_below(&nrng, (uint32_t)opt.interval_ms);
        for (int w = 0; w < wait && !nem.stop; w += 50) {
            tclock_sleep_ms(50);
        }
        if (nem.stop) {
            break;
        }
        checkCrashes();
        if (nem.n_act > 0 &&
            (nem.n_act >= nem.max_act || trand_unit(&nrng) < 0.6)) {
            heal(0);
            continue;
        }
        /* A kind that is not already active (one network fault at a
         * time). Coverage first: a kind of a --nemesis item that has not
         * acted yet, then a kind not tried yet, so that a run of a few
         * faults still exercises every item it was asked for (the checker
         * answers unknown for an item that never acted). */
        int cand[FT_COUNT], n = 0, best = -1;
        for (int f = 0; f < FT_COUNT; f++) {
            bool busy = false;
            for (int k = 0; k < nem.n_act; k++) {
                busy = busy || nem.act[k].fault == f;
            }
            if (isNet(f) && partitionActive()) {
                busy = true;
            }
            if (!nem.enabled[f] || busy) {
                continue;
            }
            int score = (groupActed(nem.group[f]) ? 0 : 2) +
                        (nem.count[f].acted + nem.count[f].failed == 0);
            if (score > best) {
                best = score;
                n = 0;
            }
            if (score == best) {
                cand[n++] = f;
            }
        }
        if (n > 0) {
            startFault(cand[trand_below(&nrng, (uint32_t)n)]);
        }
    }
    healAll();
    nemSummary();
    return NULL;
}

/* Enables the kinds of one --nemesis item (a kind, "partition" or "all");
 * a kind not enabled before joins the item's group. False if unknown. */
static bool enableItem(const char *item, int group)
{
    bool found = false;
    for (int f = 0; f < FT_COUNT; f++) {
        bool in = (strcmp(item, "all") == 0 && f != FT_CLOCKSTEP) ||
                  (strcmp(item, "partition") == 0 && f >= FT_PART_LEADER &&
                   f <= FT_PART_CLIENTS) ||
                  strcmp(item, fault_names[f]) == 0;
        if (in && !nem.enabled[f]) {
            nem.enabled[f] = true;
            nem.group[f] = group;
        }
        found = found || in;
    }
    return found;
}

static int parseNemesis(const char *list)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    for (int f = 0; f < FT_COUNT; f++) {
        nem.group[f] = -1;
    }
    char *save = NULL;
    int group = 0;
    for (char *t = strtok_r(buf, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        if (strcmp(t, "none") == 0) {
            continue;
        }
        if (!enableItem(t, group++)) {
            fprintf(stderr, "unknown nemesis '%s'\n", t);
            return -1;
        }
    }
    for (int f = 0; f < FT_COUNT; f++) {
        nem.n_enabled += nem.enabled[f];
    }
    /* Kinds counted once for "combined": partitions as one; the instant
     * kinds (transfer, lost-replies) never stay active. */
    int kinds = 0;
    bool part = false;
    for (int f = 0; f < FT_COUNT; f++) {
        if (nem.enabled[f] && f <= FT_PART_CLIENTS) {
            part = true;
        } else if (nem.enabled[f] && f != FT_TRANSFER && f != FT_LOST_REPLIES) {
            kinds++;
        }
    }
    kinds += part;
    nem.max_act = kinds > 1 ? 2 : 1;
    return 0;
}

/* ---- setup and final reads (blocking face, main thread) ------------------ */

static bool waitLeader(int timeout_ms)
{
    for (int t = 0; t < timeout_ms; t += 200) {
        for (int i = 0; i < opt.nodes; i++) {
            struct slotc_req r;
            slotc_req_init(&r);
            r.node = opt.client[i];
            r.timeout_ms = 300;
            if (slotc_sync_status(syncc, &r) == SLOT_OK && r.out.status &&
                strcmp(r.out.status->role, "leader") == 0) {
                return true;
            }
        }
        tclock_sleep_ms(200);
    }
    return false;
}

/* slots: the hospital, its first rules (no flow-back yet), and when the
 * flow-back steps will come. */
static int setupRules(void)
{
    uint64_t now = (uint64_t)tclock_wall_ms();
    hosp.off = 720 - (int32_t)((now % MS_PER_DAY) / MS_PER_MIN); /* noon */
    hosp.today = slotc_local_day(now, hosp.off);
    nameCopy(hosp.flow_to, trand_below(&wrng, 4) == 0 ? "114" : "");
    for (int k = 0; k < FLOW_STEPS; k++) {
        double at = 0.3 + 0.3 * k + 0.15 * trand_unit(&wrng);
        hosp.step_at_ms[k] = (uint64_t)(opt.time_s * 1000 * at);
    }
    hosp.proc = RULES_PROC;
    struct slotc_rules r;
    rulesFill(&r, 0, -1);
    struct jb v;
    rulesJson(&v, &r, 0);
    for (int attempt = 0; attempt < 5; attempt++) {
        struct slotc_req req;
        slotc_req_init(&req);
        req.timeout_ms = 5000;
        histLine(SETUP_PROC, "invoke", fn_names[F_RULES], v.s, "");
        int rc = slotc_sync_rules_set(syncc, &req, HOSPITAL, NULL, "jepsen",
                                      "setup", &r);
        writeCompletion(SETUP_PROC, F_RULES, v.s, &req);
        if (rc == SLOT_OK) {
            logf_("setup: hospital %s, UTC offset %d min, flow-back to "
                  "\"%s\" at %.1f s and %.1f s",
                  HOSPITAL, hosp.off, hosp.flow_to,
                  (double)hosp.step_at_ms[0] / 1000,
                  (double)hosp.step_at_ms[1] / 1000);
            return 0;
        }
        tclock_sleep_ms(500);
    }
    return -1;
}

static int setupLedger(void)
{
    if (!waitLeader(20000)) {
        logf_("setup: no leader within 20 s");
        return -1;
    }
    struct slotc_config cfg = {
        .hold_ttl_min_ms = 100,
        .hold_ttl_max_ms = 3600000,
        .session_max = 16384,
        .session_idle_ms = 3600000,
        .retain_ms = 86400000,
        .retain_max = 4000000,
    };
    for (int attempt = 0; attempt < 5; attempt++) {
        struct slotc_req r;
        slotc_req_init(&r);
        r.timeout_ms = 5000;
        const char *v = "{\"hold_ttl_min_ms\":100,\"hold_ttl_max_ms\":3600000}";
        histLine(SETUP_PROC, "invoke", "config", v, "");
        int rc = slotc_sync_config(syncc, &r, &cfg);
        char extra[96];
        if (rc == SLOT_OK) {
            snprintf(extra, sizeof extra, ",\"index\":%" PRIu64, r.out.index);
        } else {
            snprintf(extra, sizeof extra, ",\"error\":\"%s\"",
                     slotc_err_name(rc) ? slotc_err_name(rc) : "?");
        }
        histLine(SETUP_PROC,
                 rc == SLOT_OK                ? "ok"
                 : rc == SLOT_OUTCOME_UNKNOWN ? "info"
                                              : "fail",
                 "config", v, extra);
        if (rc == SLOT_OK) {
            return opt.workload == W_SLOTS    ? setupRules()
                   : opt.workload == W_QUOTAS ? setupQuotas()
                   : opt.workload == W_VISIT  ? setupVisit()
                                              : 0;
        }
        tclock_sleep_ms(500);
    }
    return -1;
}

/* Nodes (0-based) in the final configuration as voters. */
static bool final_member[NODES_MAX];

/* The leader's view of the configuration: final_member[]. */
static bool finalMembers(void)
{
    for (int i = 0; i < opt.nodes; i++) {
        struct slotc_req r;
        slotc_req_init(&r);
        r.node = opt.client[i];
        r.timeout_ms = 1000;
        if (slotc_sync_status(syncc, &r) != SLOT_OK || r.out.status == NULL ||
            strcmp(r.out.status->role, "leader") != 0) {
            continue;
        }
        for (int k = 0; k < opt.nodes; k++) {
            final_member[k] = false;
            for (uint32_t m = 0; m < r.out.status->n_members; m++) {
                final_member[k] =
                    final_member[k] ||
                    (r.out.status->members[m].id == (uint64_t)k + 1 &&
                     r.out.status->members[m].role == SLOTC_ROLE_VOTER);
            }
        }
        return true;
    }
    return false;
}

/* Records every node's final status in the history; true if the voters
 * that answered all applied the same index. */
static bool recordStatuses(void)
{
    uint64_t applied = 0;
    bool same = true;
    for (int i = 0; i < opt.nodes; i++) {
        struct slotc_req r;
        slotc_req_init(&r);
        r.node = opt.client[i];
        r.timeout_ms = 1000;
        struct jb v;
        jbInit(&v);
        jbU(&v, "node", (uint64_t)i + 1);
        jbB(&v, "final", true);
        jbB(&v, "member", final_member[i]);
        jbEnd(&v);
        histLine(FINAL_PROC + i + 1, "invoke", fn_names[F_STATUS], v.s, "");
        int rc = slotc_sync_status(syncc, &r);
        writeCompletion(FINAL_PROC + i + 1, F_STATUS, v.s, &r);
        if (rc != SLOT_OK || r.out.status == NULL || !final_member[i]) {
            continue;
        }
        if (applied == 0) {
            applied = r.out.status->applied_index;
        } else if (r.out.status->applied_index != applied) {
            same = false;
        }
    }
    return same;
}

/* Waits until a leader is known, every voter answers and all applied the
 * same index; records each node's status (and whether it is a voter: a
 * node the nemesis could not add back is not, and is left out of the final
 * reads). Returns true if they converged. */
static bool converge(int timeout_ms)
{
    for (int t = 0;; t += 500) {
        bool all = true, leader = finalMembers(), same = true;
        uint64_t applied = 0;
        for (int i = 0; i < opt.nodes && leader; i++) {
            if (!final_member[i]) {
                continue;
            }
            struct slotc_req r;
            slotc_req_init(&r);
            r.node = opt.client[i];
            r.timeout_ms = 1000;
            if (slotc_sync_status(syncc, &r) != SLOT_OK ||
                r.out.status == NULL) {
                all = false;
                continue;
            }
            if (applied == 0) {
                applied = r.out.status->applied_index;
            } else if (r.out.status->applied_index != applied) {
                same = false;
            }
        }
        if ((all && leader && same) || t >= timeout_ms) {
            /* The recorded statuses are read again: the leader's EXPIRE and
             * SWEEP go on, so one node may apply an entry between the reads
             * above and these. A few rounds until the voters' recorded
             * indexes agree (the checker takes each node's last). */
            for (int round = 0; round < 10; round++) {
                if (recordStatuses()) {
                    break;
                }
                tclock_sleep_ms(100);
            }
            return all && leader && same;
        }
        tclock_sleep_ms(500);
    }
}

static void finalRead(int proc, int f, int node, uint32_t pool, uint64_t id)
{
    struct slotc_req r;
    slotc_req_init(&r);
    r.timeout_ms = 3000;
    if (node >= 0) {
        r.node = opt.client[node];
        r.flags = SLOTC_STALE;
    }
    struct jb v;
    jbInit(&v);
    jbS(&v, "pool", pools[pool].name);
    if (f == F_READ_HOLD) {
        jbU(&v, "id", id);
    }
    if (node >= 0) {
        jbS(&v, "on", opt.client[node]);
        jbB(&v, "stale", true);
    }
    jbB(&v, "final", true);
    jbEnd(&v);
    histLine(proc, "invoke", fn_names[f], v.s, "");
    if (f == F_READ_POOL) {
        slotc_sync_read_pool(syncc, &r, pools[pool].name);
    } else {
        slotc_sync_read_hold(syncc, &r, id);
    }
    writeCompletion(proc, f, v.s, &r);
}

/* A patient's active claims through the leader (process FINAL_PROC). */
static void finalPatient(const char *patient)
{
    struct slotc_req r;
    slotc_req_init(&r);
    r.timeout_ms = 3000;
    struct jb v;
    jbInit(&v);
    jbS(&v, "patient", patient);
    jbB(&v, "final", true);
    jbEnd(&v);
    histLine(FINAL_PROC, "invoke", fn_names[F_READ_PINFO], v.s, "");
    slotc_sync_read_patient_info(syncc, &r, patient);
    writeCompletion(FINAL_PROC, F_READ_PINFO, v.s, &r);
}

/* A waiter's place on a pool's list through the leader. */
static void finalWaitlist(const char *patient, uint32_t pool)
{
    struct slotc_req r;
    slotc_req_init(&r);
    r.timeout_ms = 3000;
    struct jb v;
    jbInit(&v);
    jbS(&v, "pool", pools[pool].name);
    jbS(&v, "patient", patient);
    jbB(&v, "final", true);
    jbEnd(&v);
    histLine(FINAL_PROC, "invoke", fn_names[F_READ_WAIT], v.s, "");
    slotc_sync_read_waitlist(syncc, &r, pools[pool].name, patient);
    writeCompletion(FINAL_PROC, F_READ_WAIT, v.s, &r);
}

static void finalReads(void)
{
    /* Through the leader: linearizable, part of the checked history. */
    for (uint32_t p = 0; p < n_pools; p++) {
        if (pools[p].state == P_ACTIVE || pools[p].state == P_RETIRED) {
            finalRead(FINAL_PROC, F_READ_POOL, -1, p, 0);
        }
    }
    /* quotas: every holder's and waiter's active claims, and each
     * waiter's place on every list it joined, through the leader */
    for (int k = 0; opt.workload == W_QUOTAS && k < Q_HOLDERS; k++) {
        char pat[32];
        qHolder(pat, sizeof pat, k);
        finalPatient(pat);
    }
    for (int i = 0; opt.workload == W_QUOTAS && i < opt.procs; i++) {
        char pat[32];
        snprintf(pat, sizeof pat, "qwaiter-%02d", i);
        for (uint32_t k = 0; k < n_pools && k < 32; k++) {
            if (procs[i].wl_joined & (1u << k)) {
                finalWaitlist(pat, k);
            }
        }
        if (procs[i].wl_joined != 0) {
            finalPatient(pat);
        }
    }
    /* Each voter's own state. */
    for (int i = 0; i < opt.nodes; i++) {
        if (!final_member[i]) {
            continue;
        }
        for (uint32_t p = 0; p < n_pools; p++) {
            if (pools[p].state == P_ACTIVE || pools[p].state == P_RETIRED) {
                finalRead(FINAL_PROC + i + 1, F_READ_POOL, i, p, 0);
            }
        }
        if (opt.workload == W_COUNTER) {
            continue;
        }
        for (uint32_t k = 0; k < n_ids; k++) {
            finalRead(FINAL_PROC + i + 1, F_READ_HOLD, i, id_pool[k], ids[k]);
        }
    }
}

/* ---- main ---------------------------------------------------------------- */

static void usage(void)
{
    fprintf(
        stderr,
        "usage: jepsen-client --members RAFT/CLIENT,... --history FILE\n"
        "         [--ctl PATH --ctl-dir DIR] [--workload "
        "slots|conservation|bookings|counter|quotas|visit]\n"
        "         [--nemesis LIST] [--time S] [--seed N] [--procs N] [--conns "
        "N]\n"
        "         [--interval MS] [--quiet S] [--delay MS] [--timeout MS]\n");
}

static int parseArgs(int argc, char **argv)
{
    static const struct option lo[] = {
        {"members", required_argument, NULL, 'm'},
        {"history", required_argument, NULL, 'H'},
        {"ctl", required_argument, NULL, 'c'},
        {"ctl-dir", required_argument, NULL, 'd'},
        {"workload", required_argument, NULL, 'w'},
        {"nemesis", required_argument, NULL, 'n'},
        {"time", required_argument, NULL, 't'},
        {"seed", required_argument, NULL, 's'},
        {"procs", required_argument, NULL, 'p'},
        {"conns", required_argument, NULL, 'k'},
        {"interval", required_argument, NULL, 'i'},
        {"quiet", required_argument, NULL, 'q'},
        {"delay", required_argument, NULL, 'D'},
        {"timeout", required_argument, NULL, 'T'},
        {NULL, 0, NULL, 0},
    };
    const char *members = NULL;
    snprintf(opt.nemesis, sizeof opt.nemesis, "none");
    int ch;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
            case 'm':
                members = optarg;
                break;
            case 'H':
                opt.history = optarg;
                break;
            case 'c':
                opt.ctl = optarg;
                break;
            case 'd':
                opt.ctl_dir = optarg;
                break;
            case 'w':
                opt.workload = -1;
                for (int w = 0; w < N_WORKLOADS; w++) {
                    if (strcmp(optarg, workload_names[w]) == 0) {
                        opt.workload = w;
                    }
                }
                if (opt.workload < 0) {
                    fprintf(stderr, "unknown workload %s\n", optarg);
                    return -1;
                }
                break;
            case 'n':
                snprintf(opt.nemesis, sizeof opt.nemesis, "%s", optarg);
                break;
            case 't':
                opt.time_s = atof(optarg);
                break;
            case 's':
                opt.seed = strtoull(optarg, NULL, 10);
                break;
            case 'p':
                opt.procs = atoi(optarg);
                break;
            case 'k':
                opt.conns = atoi(optarg);
                break;
            case 'i':
                opt.interval_ms = atoi(optarg);
                break;
            case 'q':
                opt.quiet_s = atoi(optarg);
                break;
            case 'D':
                opt.delay_ms = atoi(optarg);
                break;
            case 'T':
                opt.timeout_ms = atoi(optarg);
                break;
            default:
                usage();
                return -1;
        }
    }
    if (members == NULL || opt.history == NULL || opt.procs < 1 ||
        opt.procs > PROCS_MAX || opt.conns < 1 || opt.conns > CONNS_MAX ||
        opt.interval_ms < 100) {
        usage();
        return -1;
    }
    char buf[2048];
    snprintf(buf, sizeof buf, "%s", members);
    char *save = NULL;
    size_t cl = 0;
    for (char *t = strtok_r(buf, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        if (opt.nodes == NODES_MAX) {
            fprintf(stderr, "at most %d nodes\n", NODES_MAX);
            return -1;
        }
        char raft[SLOTC_ADDRESS_MAX + 1];
        snprintf(opt.members[opt.nodes], sizeof opt.members[0], "%s", t);
        if (slotc_address_split(t, raft, sizeof raft, opt.client[opt.nodes],
                                sizeof opt.client[0]) != SLOT_OK ||
            opt.client[opt.nodes][0] == '\0') {
            fprintf(stderr, "bad member address %s\n", t);
            return -1;
        }
        cl += (size_t)snprintf(opt.cluster + cl, sizeof opt.cluster - cl,
                               "%s%s", cl ? "," : "", opt.client[opt.nodes]);
        opt.nodes++;
    }
    if (parseNemesis(opt.nemesis) != 0) {
        return -1;
    }
    if (nem.n_enabled > 0 && (opt.ctl == NULL || opt.ctl_dir == NULL)) {
        fprintf(stderr, "a nemesis needs --ctl and --ctl-dir\n");
        return -1;
    }
    if (opt.workload == W_COUNTER) {
        opt.pools_active = 1;
        opt.pool_ops = 1 << 30;
    }
    return 0;
}

/* The history's first line: what this run was asked to do (the checker
 * compares the nemesis's actions with it). */
static void planLine(void)
{
    char val[1024];
    size_t l = (size_t)snprintf(
        val, sizeof val,
        "{\"nemesis\":\"%s\",\"nodes\":%d,\"workload\":\"%s\","
        "\"seed\":%" PRIu64 ",\"time_s\":%.0f,\"interval_ms\":%d,"
        "\"blip_ms\":%d,\"sched\":%s,\"waitlist\":%s,\"visit\":%s,"
        "\"feed\":true,\"recon\":true,\"faults\":[",
        opt.nemesis, opt.nodes, workload_names[opt.workload], opt.seed,
        opt.time_s, opt.interval_ms, BLIP_MS,
        opt.workload == W_SLOTS ? "true" : "false",
        opt.workload == W_QUOTAS && Q_WAITLIST ? "true" : "false",
        opt.workload == W_VISIT ? "true" : "false");
    for (int f = 0, k = 0; f < FT_COUNT && l < sizeof val; f++) {
        if (nem.enabled[f]) {
            l += (size_t)snprintf(val + l, sizeof val - l, "%s\"%s\"",
                                  k++ ? "," : "", fault_names[f]);
        }
    }
    if (l < sizeof val) {
        snprintf(val + l, sizeof val - l, "]}");
    }
    nemLog("info", "plan", val);
}

static void closedCb(void *data)
{
    (void)data;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    t0_ns = uv_hrtime();
    run_start_ms = (uint64_t)tclock_wall_ms();
    if (parseArgs(argc, argv) != 0) {
        return 2;
    }
    hist = fopen(opt.history, "w");
    if (hist == NULL) {
        perror(opt.history);
        return 2;
    }
    trand_seed(&wrng, 2 * opt.seed);
    trand_seed(&nrng, 2 * opt.seed + 1);
    trand_seed(&frng, opt.seed ^ 0xfeedfeedfeedfeedull);
    struct slotc_options o;
    slotc_options_init(&o);
    o.cluster = opt.cluster;
    o.timeout_ms = 5000;
    o.connect_timeout_ms = 500;
    o.attempt_timeout_ms = ATTEMPT_TIMEOUT_MS;
    if (slotc_sync_open(&o, &syncc) != SLOT_OK ||
        slotc_sync_open(&o, &nem.admin) != SLOT_OK) {
        fprintf(stderr, "cannot open a client on %s\n", opt.cluster);
        return 2;
    }
    for (int i = 1; i <= opt.nodes; i++) {
        nem.node_state[i] = N_UP;
    }
    planLine();
    logf_("workload %s, nemesis %s, %d nodes, %.0f s, seed %" PRIu64,
          workload_names[opt.workload], opt.nemesis, opt.nodes, opt.time_s,
          opt.seed);
    if (setupLedger() != 0) {
        fclose(hist);
        return 3;
    }
    uv_loop_init(&loop);
    o.timeout_ms = (uint32_t)opt.timeout_ms;
    o.sessions_max = 4;
    for (int k = 0; k < opt.conns; k++) {
        if (slotc_open(&loop, &o, &clients[k]) != SLOT_OK) {
            fprintf(stderr, "slotc_open failed\n");
            return 2;
        }
    }
    if (slotc_open(&loop, &o, &feed.c) != SLOT_OK) {
        fprintf(stderr, "slotc_open failed\n");
        return 2;
    }
    for (int i = 0; i < opt.procs; i++) {
        struct proc *p = &procs[i];
        p->slot = i;
        p->id = i;
        p->wl_pool = -1;
        p->c = clients[i % opt.conns];
        uv_timer_init(&loop, &p->timer);
        p->timer.data = p;
        procSchedule(p, trand_below(&wrng, 50));
    }
    uv_timer_init(&loop, &stop_timer);
    uv_timer_start(&stop_timer, stopCb, (uint64_t)(opt.time_s * 1000), 0);
    loop_t0_ms = uv_now(&loop);
    if (opt.workload == W_SLOTS) {
        uv_timer_init(&loop, &hosp.timer);
        uv_timer_start(&hosp.timer, rulesStep, hosp.step_at_ms[0], 0);
    }
    uv_timer_init(&loop, &flush_timer);
    uv_timer_start(&flush_timer, flushCb, 200, 200);
    uv_timer_init(&loop, &feed.timer);
    uv_timer_start(&feed.timer, feedStep, 0, 0);
    if (nem.n_enabled > 0) {
        pthread_create(&nem.thread, NULL, nemesisMain, NULL);
    }
    uv_run(&loop,
           UV_RUN_DEFAULT); /* until the timers stop and requests drain */
    logf_("workload: done (%" PRIu64 " invocations)", n_invoke);
    if (nem.n_enabled > 0) {
        nem.stop = 1;
        pthread_join(nem.thread, NULL);
        logf_("nemesis: healed (%d unexpected crashes)", nem.crashes);
    }
    for (int k = 0; k < opt.conns; k++) {
        slotc_close(clients[k], closedCb, NULL);
    }
    slotc_close(feed.c, closedCb, NULL);
    uv_close((uv_handle_t *)&feed.timer, NULL);
    logf_("feed: %" PRIu64 " pages, %" PRIu64 " events, %" PRIu64
          " errors, read to seq %" PRIu64,
          feed.pages, feed.events, feed.errors, feed.cursor);
    for (int i = 0; i < opt.procs; i++) {
        uv_close((uv_handle_t *)&procs[i].timer, NULL);
    }
    uv_close((uv_handle_t *)&stop_timer, NULL);
    uv_close((uv_handle_t *)&flush_timer, NULL);
    if (opt.workload == W_SLOTS) {
        uv_close((uv_handle_t *)&hosp.timer, NULL);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    histFlush();
    logf_("quiet period: %d s", opt.quiet_s);
    tclock_sleep_ms(opt.quiet_s * 1000);
    bool conv = converge(30000);
    logf_("final: nodes %s",
          conv ? "converged" : "did NOT converge within 30 s");
    finalReads();
    finalRecon();
    finalFeed();
    slotc_sync_close(syncc);
    slotc_sync_close(nem.admin);
    histFlush();
    fclose(hist);
    logf_("history: %" PRIu64 " invoke, %" PRIu64 " ok, %" PRIu64
          " fail, %" PRIu64 " info",
          n_invoke, n_ok, n_fail, n_info);
    return 0;
}
