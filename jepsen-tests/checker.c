/* jepsen-checker: checks a history (history.h) and writes the verdict.
 *
 *   jepsen-checker --history FILE --out DIR [--workload W] [--procs N]
 *                  [--test NAME] [--time-limit S] [--memory-mb N]
 *                  [--nemesis LIST]
 *
 * --nemesis: what the test asked for (jepsen-tests/run passes its own);
 * without it, the request recorded in the history's "plan" line.
 *
 * Checks (each valid / invalid / unknown; the run is valid only if every
 * check that applies is valid):
 *   linearizable   per pool, Wing-Gong-Lowe search over the slot pool model
 *                  (model.h) with the ledger times from the history;
 *   ledger-order   cheap global facts: an operation invoked after another
 *                  completed sees a later Raft index and ledger time; hold
 *                  deadlines are ledger time + ttl; no confirm or release is
 *                  accepted at or after its hold's deadline; hold ids unique;
 *   conservation   every pool read (any node, stale or not): free + held +
 *                  booked == capacity, per bucket too; no patient with two
 *                  live claims in a pool; no visit number (slot) held by
 *                  two bookings at once;
 *   buckets        scheduled pools: no hold of a channel the pool's
 *                  eligibility leaves out, CHANNEL_NOT_ALLOWED only where
 *                  it does, every claim in a bucket its channel may take
 *                  from (own share, a group's share, the remainder if
 *                  remainder_allow lets it), coherent buckets in reads;
 *   flowback       scheduled pools: a pool flows back once, when due, its
 *                  capacities moved exactly by the unsold share slots; a
 *                  share keeps its held and booked slots (bounded from the
 *                  claims live around the flow); no claim changes bucket;
 *                  voters agree on buckets and flow at the end;
 *   bookings       every acknowledged booking not cancelled is booked in the
 *                  final reads of every node, none appears unacknowledged;
 *   replicas       after the final convergence, equal state hashes;
 *   crashes        no node died on its own;
 *   counter        (counter workload) every read within the bounds of the
 *                  adds completed before it and the adds invoked before it;
 *   quotas, cooldown, waitlist   (quotas workload, instead of
 *                  linearizable) the patient rules, below;
 *   stop, moves, attendance, refunds   (visit workload, instead of
 *                  linearizable) the visit day: no hold or confirm after a
 *                  pool's stop, its claims read affected; each booking
 *                  moved once, old MOVED and new moved_from, no move
 *                  overbooks; no booking both checked in and a no-show,
 *                  no no-show before check-in closed, check-ins in the
 *                  window by the booking's patient; cancels after a stop
 *                  are refunds (below);
 *   feed           (every workload) the event feed the follower and the
 *                  final phase read: pages gap-free, a seq read twice the
 *                  same event, index and time never back; the final feed
 *                  holds what the follower read; each acknowledged
 *                  state-changing operation's event exactly once with its
 *                  fields, no event of an operation that never happened,
 *                  each claim's events in the order of its life (below);
 *   recon          (every workload) the reconciliation counters read in
 *                  the final phase equal the final feed's events up to
 *                  each read's index summed per (local day, hospital,
 *                  channel, pay method); acknowledged confirms' and
 *                  check-ins' payments in their events (below);
 *   coverage       the history can be judged at all (valid or unknown, never
 *                  invalid): some client operation succeeded, the final
 *                  phase is there (every node's status, every pool read
 *                  through the leader and on every voter), every
 *                  --nemesis item asked for acted at least once, and in a
 *                  history of scheduled pools a group's share was taken,
 *                  the remainder's restriction refused a hold, and a pool
 *                  flowed back.
 *
 * Writes DIR/results.json, DIR/timeline.html, DIR/latency.dat,
 * DIR/rate.dat, DIR/plots.gp (gnuplot), and one summary line on stdout.
 * Exit: 0 valid, 1 invalid, 2 unknown (or unreadable history).
 */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "slot_err.h"
#include "slot_proto.h"
#include "history.h"
#include "linear.h"
#include "model.h"

#define ANOMALIES_MAX 20
#define MAX_SUCC      512

static struct {
    const char *history;
    const char *out;
    const char *workload;
    const char *test;
    const char *nemesis; /* NULL: the history's plan */
    int procs;
    double time_limit;
    size_t memory_mb;
} opt = {NULL, NULL, "slots", "test", NULL, 0, 60, 1024};

static struct history *H;

/* ---- check results ------------------------------------------------------- */

enum verdict { V_VALID = 0, V_INVALID = 1, V_UNKNOWN = 2 };

struct check {
    const char *name;
    int verdict;
    json_t *j;         /* details */
    json_t *anomalies; /* array */
    int n_anomalies;
};

static void checkInit(struct check *c, const char *name)
{
    c->name = name;
    c->verdict = V_VALID;
    c->j = json_object();
    c->anomalies = json_array();
    c->n_anomalies = 0;
}

static void unknown(struct check *c, const char *why)
{
    if (c->verdict == V_VALID) {
        c->verdict = V_UNKNOWN;
    }
    json_t *r = json_object_get(c->j, "unknown_because");
    if (r == NULL) {
        r = json_array();
        json_object_set_new(c->j, "unknown_because", r);
    }
    if (json_array_size(r) < 10) {
        json_array_append_new(r, json_string(why));
    }
}

/* Records an anomaly: type, message, and the operations involved. */
static void anomaly(struct check *c, const char *type, const char *pool,
                    const char *msg, const struct h_op *a, const struct h_op *b,
                    const struct h_op *d)
{
    c->verdict = V_INVALID;
    c->n_anomalies++;
    if (c->n_anomalies > ANOMALIES_MAX) {
        return;
    }
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string(type));
    if (pool != NULL && pool[0]) {
        json_object_set_new(o, "pool", json_string(pool));
    }
    json_object_set_new(o, "msg", json_string(msg));
    json_t *ops = json_array();
    const struct h_op *list[3] = {a, b, d};
    for (int i = 0; i < 3; i++) {
        if (list[i] != NULL) {
            json_array_append_new(ops, history_op_json(list[i]));
        }
    }
    json_object_set_new(o, "ops", ops);
    json_array_append_new(c->anomalies, o);
}

static const char *vname(int v)
{
    return v == V_VALID ? "true" : v == V_INVALID ? "false" : "unknown";
}

static json_t *vjson(int v)
{
    return v == V_VALID     ? json_true()
           : v == V_INVALID ? json_false()
                            : json_string("unknown");
}

/* ---- helpers ------------------------------------------------------------- */

static bool isCommand(int f)
{
    return f == HF_CREATE || f == HF_HOLD || f == HF_CONFIRM ||
           f == HF_RELEASE || f == HF_CANCEL || f == HF_RULES || f == HF_JOIN ||
           f == HF_LEAVE || f == HF_STOP || f == HF_MOVE || f == HF_CHECKIN;
}

static bool isRead(int f)
{
    return f == HF_READ_POOL || f == HF_READ_PATIENT || f == HF_READ_HOLD ||
           f == HF_READ_PINFO || f == HF_READ_WAIT || f == HF_READ_PCLAIMS;
}

static bool isClientOp(const struct h_op *op)
{
    return op->process >= 0 && (isCommand(op->f) || isRead(op->f));
}

/* Observed completions usable for ordering: commands the ledger answered
 * and linearizable reads (not stale). */
static bool ordered(const struct h_op *op)
{
    if (!isClientOp(op) || op->type == H_INFO || !op->observed) {
        return false;
    }
    return isCommand(op->f) || !op->stale;
}

/* A hash map from uint64 to int (op index), open addressing; -1 absent. */
struct imap {
    uint64_t *k; /* key + 1; 0 empty */
    int *v;
    size_t cap, n;
};

static void imapInit(struct imap *m, size_t n)
{
    m->cap = 16;
    m->n = 0;
    while (m->cap < 2 * n + 16) {
        m->cap *= 2;
    }
    m->k = calloc(m->cap, sizeof *m->k);
    m->v = malloc(m->cap * sizeof *m->v);
    if (m->k == NULL || m->v == NULL) {
        abort();
    }
}

static size_t imapSlot(const struct imap *m, uint64_t key)
{
    size_t i = (size_t)((key + 1) * 0x9E3779B97F4A7C15ull >> 17) & (m->cap - 1);
    while (m->k[i] != 0 && m->k[i] != key + 1) {
        i = (i + 1) & (m->cap - 1);
    }
    return i;
}

static int imapGet(const struct imap *m, uint64_t key)
{
    size_t i = imapSlot(m, key);
    return m->k[i] == 0 ? -1 : m->v[i];
}

static void imapPut(struct imap *m, uint64_t key, int v)
{
    if (2 * (m->n + 1) > m->cap) {
        struct imap g;
        imapInit(&g, m->cap);
        for (size_t i = 0; i < m->cap; i++) {
            if (m->k[i] != 0) {
                imapPut(&g, m->k[i] - 1, m->v[i]);
            }
        }
        free(m->k);
        free(m->v);
        *m = g;
    }
    size_t i = imapSlot(m, key);
    if (m->k[i] == 0) {
        m->n++;
    }
    m->k[i] = key + 1;
    m->v[i] = v;
}

static void imapFree(struct imap *m)
{
    free(m->k);
    free(m->v);
}

/* Pools by name: index into a names table. */
static char (*pool_names)[H_STR_MAX];
static int n_pool_names;

static int poolIndex(const char *name)
{
    for (int i = 0; i < n_pool_names; i++) {
        if (strcmp(pool_names[i], name) == 0) {
            return i;
        }
    }
    return -1;
}

/* The create ops that name a pool's place (scheduled pools), per pool. */
static const struct h_op **pool_place;

/* The hospital of scheduled pool p, or NULL. */
static const char *poolHospital(int p)
{
    return pool_place[p] != NULL ? pool_place[p]->sched->hospital : NULL;
}

static void collectPools(void)
{
    pool_names = malloc(((size_t)H->n_ops + 1) * sizeof *pool_names);
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        if (op->pool[0] && isClientOp(op) && poolIndex(op->pool) < 0) {
            snprintf(pool_names[n_pool_names++], H_STR_MAX, "%s", op->pool);
        }
    }
    pool_place = calloc((size_t)n_pool_names + 1, sizeof *pool_place);
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        int p = op->f == HF_CREATE && isClientOp(op) && op->sched != NULL &&
                        op->sched->placed
                    ? poolIndex(op->pool)
                    : -1;
        if (p >= 0 && pool_place[p] == NULL) {
            pool_place[p] = op;
        }
    }
}

/* ---- ledger time against the real clock
 * ------------------------------------------------ Every node runs on this
 * machine: a ledger stamp is CLOCK_REALTIME plus that node's --clock-offset-ms
 * (the clock nemesis records the offsets it applied). Ledger time is a running
 * max of stamps, so at any moment it is at most the real time plus the largest
 * offset applied so far. The history records the client's real clock (wall) on
 * every line. */
#define WALL_SLACK_MS 5

static int64_t max_skew_ms;

/* slotd's --clock-max-skew-ms in the run (run --clock-max-skew-ms; slotd's
 * default otherwise): a leader's stamps stay within it of ledger time
 * extrapolated by its monotonic clock (node/leader_clock.h). */
static int64_t clock_band_ms = 1000;
/* The clockstep nemesis steps a running node's wall clock (not its
 * --clock-offset-ms): its stamps, clamped, put ledger time at most a band
 * per leadership term ahead of the real clock. Terms led by a stepped
 * node during a run of clockstep alone: a few; allowed for: this many. */
#define CLOCKSTEP_TERMS 4

static void timeBounds(void)
{
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        int64_t off = 0;
        if (op->process < 0 && strcmp(op->fault, "clock") == 0) {
            off = op->offset_ms;
        } else if (op->process < 0 && strcmp(op->fault, "clockstep") == 0) {
            off = op->offset_ms < CLOCKSTEP_TERMS * clock_band_ms
                      ? op->offset_ms
                      : CLOCKSTEP_TERMS * clock_band_ms;
        }
        if (off > max_skew_ms) {
            max_skew_ms = off;
        }
    }
    for (int i = 0; i < H->n_ops; i++) {
        struct h_op *op = &H->ops[i];
        if (op->process >= 0 && isRead(op->f) && op->type != H_INFO &&
            op->wall_ret != 0) {
            op->lt_max = op->wall_ret + (uint64_t)max_skew_ms + WALL_SLACK_MS;
        }
    }
}

/* ---- holdlife: hold lifetimes against the real clock ----------------------
 * A hold invoked at real time t0 (the client's monotonic clock; its stamp
 * comes later) with TTL T must not be seen expired (a read saying EXPIRED,
 * or a confirm / release refused HOLD_EXPIRED) at a real time before
 *     t0 + T - (k + 2) x band - HOLDLIFE_SLACK_MS,
 * band = slotd's --clock-max-skew-ms, k = the nemesis events during its
 * life that may change the leader (every start and stop but clockstep's):
 * the bound of node/leader_clock.h, whatever a clockstep did to one node's
 * wall clock. The seen time is the observing operation's completion (the
 * expiry happened before it). Holds whose life saw the `clock` nemesis
 * restart a node with an offset are not judged: a node that has applied
 * nothing since its start trusts its wall clock (leader_clock.h). */
#define HOLDLIFE_SLACK_MS 50

static void holdlifeSeen(struct check *c, struct imap *holds,
                         const struct h_op *op, uint64_t id, int *judged,
                         int *skipped, int64_t *min_margin)
{
    int h = imapGet(holds, id);
    if (h < 0) {
        return;
    }
    const struct h_op *hold = &H->ops[h];
    if (hold->ttl == 0 || op->t_ret == UINT64_MAX || op->t_ret < hold->t_inv) {
        return;
    }
    int k = 0;
    bool restart = false;
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *n = &H->ops[i];
        if (n->process >= 0 || n->t_inv < hold->t_inv || n->t_inv > op->t_ret ||
            (strcmp(n->fname, "start") != 0 && strcmp(n->fname, "stop") != 0)) {
            continue;
        }
        if (strcmp(n->fault, "clock") == 0) {
            restart = true;
        } else if (strcmp(n->fault, "clockstep") != 0) {
            k++;
        }
    }
    if (restart) {
        (*skipped)++;
        return;
    }
    (*judged)++;
    int64_t life_ms = (int64_t)((op->t_ret - hold->t_inv) / 1000000);
    int64_t allowed =
        (int64_t)hold->ttl - (k + 2) * clock_band_ms - HOLDLIFE_SLACK_MS;
    int64_t margin = life_ms - (int64_t)hold->ttl;
    if (margin < *min_margin) {
        *min_margin = margin;
    }
    if (life_ms < allowed) {
        char msg[256];
        snprintf(msg, sizeof msg,
                 "hold %" PRIu64 " (ttl %u ms) seen expired %" PRId64
                 " ms after its invocation: %" PRId64 " ms early, more "
                 "than (%d leader changes + 2) x %" PRId64 " ms",
                 id, hold->ttl, life_ms, (int64_t)hold->ttl - life_ms, k,
                 clock_band_ms);
        anomaly(c, "early-expiry", hold->pool, msg, hold, op, NULL);
    }
}

static void checkHoldlife(struct check *c, struct imap *holds)
{
    int judged = 0, skipped = 0;
    int64_t min_margin = INT64_MAX;
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        if (!isClientOp(op) || op->t_ret == UINT64_MAX) {
            continue;
        }
        if ((op->f == HF_CONFIRM || op->f == HF_RELEASE) &&
            op->type == H_FAIL && op->observed &&
            op->err == SLOT_HOLD_EXPIRED) {
            holdlifeSeen(c, holds, op, op->id, &judged, &skipped, &min_margin);
        }
        if (op->type != H_OK) {
            continue;
        }
        if ((op->f == HF_READ_HOLD || op->f == HF_READ_PATIENT) &&
            op->claim.id != 0 && op->claim.state == HC_EXPIRED) {
            holdlifeSeen(c, holds, op, op->claim.id, &judged, &skipped,
                         &min_margin);
        }
        if ((op->f == HF_READ_PINFO || op->f == HF_READ_PCLAIMS) &&
            op->claims != NULL) {
            for (int k = 0; k < op->n_claims; k++) {
                if (op->claims[k].state == HC_EXPIRED) {
                    holdlifeSeen(c, holds, op, op->claims[k].id, &judged,
                                 &skipped, &min_margin);
                }
            }
        }
    }
    json_object_set_new(c->j, "band_ms", json_integer(clock_band_ms));
    json_object_set_new(c->j, "expiries_judged", json_integer(judged));
    json_object_set_new(c->j, "expiries_skipped", json_integer(skipped));
    if (judged > 0) {
        json_object_set_new(c->j, "min_life_minus_ttl_ms",
                            json_integer(min_margin));
    }
}

/* ---- linearizability ----------------------------------------------------- */

static double nowS(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void checkLinear(struct check *c)
{
    double t_start = nowS();
    int valid = 0, invalid = 0, unk = 0, total_ops = 0;
    json_t *per_pool = json_object();
    const struct h_op **ops = malloc(((size_t)H->n_ops + 1) * sizeof *ops);
    struct lin_op *lops = malloc(((size_t)H->n_ops + 1) * sizeof *lops);
    for (int p = 0; p < n_pool_names; p++) {
        int n = 0;
        const char *hosp = poolHospital(p);
        for (int i = 0; i < H->n_ops; i++) {
            const struct h_op *op = &H->ops[i];
            /* A scheduled pool's model follows its hospital's rules. */
            bool rules = op->f == HF_RULES && hosp != NULL &&
                         strcmp(op->sched->hospital, hosp) == 0;
            if (!isClientOp(op) ||
                (!rules && strcmp(op->pool, pool_names[p]) != 0)) {
                continue;
            }
            if (history_unobserved_fail(op) || (isRead(op->f) && op->stale)) {
                continue; /* no effect, observed nothing / not linearizable */
            }
            ops[n] = op;
            lops[n].call = op->t_inv;
            lops[n].ret = op->type == H_INFO ? UINT64_MAX : op->t_ret;
            n++;
        }
        total_ops += n;
        struct pool_model pm;
        pool_model_init(&pm, ops, n);
        struct lin_model lm = {pm.state_size, &pm, pool_model_initial,
                               pool_model_step};
        double left = opt.time_limit - (nowS() - t_start);
        struct lin_limits lim = {left > 0 ? left : 0.01, opt.memory_mb << 20};
        struct lin_result res;
        lin_check(&lm, lops, n, MAX_SUCC, &lim, &res);
        int v = res.verdict;
        if (pm.overflow && v == LIN_INVALID) {
            v = LIN_UNKNOWN;
            snprintf(res.reason, sizeof res.reason,
                     "model branching over its bound");
        }
        json_t *pj = json_object();
        json_object_set_new(pj, "ops", json_integer(n));
        json_object_set_new(pj, "configs",
                            json_integer((json_int_t)res.configs));
        json_object_set_new(pj, "valid",
                            vjson(v == LIN_VALID     ? V_VALID
                                  : v == LIN_INVALID ? V_INVALID
                                                     : V_UNKNOWN));
        if (v == LIN_VALID) {
            valid++;
        } else if (v == LIN_UNKNOWN) {
            unk++;
            char why[256];
            snprintf(why, sizeof why, "%s: %s", pool_names[p], res.reason);
            unknown(c, why);
            json_object_set_new(pj, "reason", json_string(res.reason));
        } else {
            invalid++;
            c->verdict = V_INVALID;
            c->n_anomalies++;
            if (c->n_anomalies <= ANOMALIES_MAX) {
                json_t *o = json_object();
                json_object_set_new(o, "type", json_string("not-linearizable"));
                json_object_set_new(o, "pool", json_string(pool_names[p]));
                const struct h_op *stuck =
                    res.stuck_op >= 0 ? ops[res.stuck_op] : NULL;
                char msg[512];
                snprintf(msg, sizeof msg,
                         "no linearization: after the %d operations below (in "
                         "linearization "
                         "order), %s of process %d (line %d) cannot be placed "
                         "before it returns",
                         res.n_prefix, stuck ? stuck->fname : "?",
                         stuck ? stuck->process : -1,
                         stuck ? stuck->line_inv : 0);
                json_object_set_new(o, "msg", json_string(msg));
                char *st =
                    res.state ? pool_model_describe(&pm, res.state) : NULL;
                if (st != NULL) {
                    json_object_set_new(o, "model_state", json_string(st));
                    free(st);
                }
                json_t *jops = json_array();
                if (stuck) {
                    json_t *so = history_op_json(stuck);
                    json_object_set_new(so, "stuck", json_true());
                    json_array_append_new(jops, so);
                }
                int from = res.n_prefix > 12 ? res.n_prefix - 12 : 0;
                for (int i = from; i < res.n_prefix; i++) {
                    json_array_append_new(jops,
                                          history_op_json(ops[res.prefix[i]]));
                }
                /* and what was concurrent with the stuck operation */
                int conc = 0;
                for (int i = 0; stuck && i < n && conc < 8; i++) {
                    if (ops[i] != stuck && ops[i]->t_inv < stuck->t_ret &&
                        (ops[i]->type == H_INFO ||
                         ops[i]->t_ret > stuck->t_inv)) {
                        bool in_prefix = false;
                        for (int k = 0; k < res.n_prefix; k++) {
                            in_prefix =
                                in_prefix || ops[res.prefix[k]] == ops[i];
                        }
                        if (!in_prefix) {
                            json_t *co = history_op_json(ops[i]);
                            json_object_set_new(co, "concurrent", json_true());
                            json_array_append_new(jops, co);
                            conc++;
                        }
                    }
                }
                json_object_set_new(o, "ops", jops);
                json_array_append_new(c->anomalies, o);
            }
        }
        json_object_set_new(per_pool, pool_names[p], pj);
        lin_result_free(&res);
        pool_model_free(&pm);
    }
    free(ops);
    free(lops);
    json_object_set_new(c->j, "pools_valid", json_integer(valid));
    json_object_set_new(c->j, "pools_invalid", json_integer(invalid));
    json_object_set_new(c->j, "pools_unknown", json_integer(unk));
    json_object_set_new(c->j, "ops", json_integer(total_ops));
    json_object_set_new(c->j, "seconds", json_real(nowS() - t_start));
    json_object_set_new(c->j, "pools", per_pool);
}

/* ---- ledger order -------------------------------------------------------- */

static int byRet(const void *a, const void *b)
{
    const struct h_op *x = *(const struct h_op *const *)a,
                      *y = *(const struct h_op *const *)b;
    return x->t_ret < y->t_ret ? -1 : x->t_ret > y->t_ret;
}

static int byInv(const void *a, const void *b)
{
    const struct h_op *x = *(const struct h_op *const *)a,
                      *y = *(const struct h_op *const *)b;
    return x->t_inv < y->t_inv ? -1 : x->t_inv > y->t_inv;
}

static void checkOrder(struct check *c, struct imap *holds)
{
    int n = 0;
    const struct h_op **byr = malloc(((size_t)H->n_ops + 1) * sizeof *byr);
    const struct h_op **byi = malloc(((size_t)H->n_ops + 1) * sizeof *byi);
    for (int i = 0; i < H->n_ops; i++) {
        if (ordered(&H->ops[i])) {
            byr[n] = byi[n] = &H->ops[i];
            n++;
        }
    }
    qsort(byr, (size_t)n, sizeof *byr, byRet);
    qsort(byi, (size_t)n, sizeof *byi, byInv);
    const struct h_op *max_idx = NULL, *max_lt = NULL;
    int k = 0, pairs = 0;
    for (int i = 0; i < n; i++) {
        const struct h_op *b = byi[i];
        while (k < n && byr[k]->t_ret < b->t_inv) {
            const struct h_op *a = byr[k++];
            if (max_idx == NULL || a->index > max_idx->index) {
                max_idx = a;
            }
            if (isCommand(a->f) &&
                (max_lt == NULL || a->ltime > max_lt->ltime)) {
                max_lt = a;
            }
        }
        if (max_idx != NULL) {
            pairs++;
            bool bad = isCommand(b->f) ? b->index <= max_idx->index
                                       : b->index < max_idx->index;
            if (bad) {
                char msg[400];
                snprintf(msg, sizeof msg,
                         "%s (line %d) was invoked after %s (line %d) "
                         "completed at Raft index "
                         "%" PRIu64 ", yet %s index %" PRIu64 ": %s",
                         b->fname, b->line_inv, max_idx->fname,
                         max_idx->line_ret, max_idx->index,
                         isRead(b->f) ? "was served at" : "got", b->index,
                         isRead(b->f) ? "a stale read"
                                      : "applied out of real-time order");
                anomaly(c, isRead(b->f) ? "stale-read" : "index-order", b->pool,
                        msg, max_idx, b, NULL);
            }
        }
        if (max_lt != NULL && isCommand(b->f) && b->ltime < max_lt->ltime) {
            char msg[300];
            snprintf(msg, sizeof msg,
                     "%s (line %d) applied at ledger time %" PRIu64
                     ", before %" PRIu64
                     " of %s (line %d) which completed before it was invoked",
                     b->fname, b->line_inv, b->ltime, max_lt->ltime,
                     max_lt->fname, max_lt->line_inv);
            anomaly(c, "ledger-time-order", b->pool, msg, max_lt, b, NULL);
        }
    }
    free(byr);
    free(byi);
    /* ledger time never ahead of the real clock (+ offsets) */
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        if (ordered(op) && isCommand(op->f) && op->wall_ret != 0 &&
            op->ltime > op->wall_ret + (uint64_t)max_skew_ms + WALL_SLACK_MS) {
            char msg[300];
            snprintf(
                msg, sizeof msg,
                "%s answered at real time %" PRIu64 " with ledger time %" PRIu64
                ", ahead of every node's clock (largest offset %" PRId64 " ms)",
                op->fname, op->wall_ret, op->ltime, max_skew_ms);
            anomaly(c, "ledger-time-ahead", op->pool, msg, op, NULL, NULL);
        }
    }
    /* deadlines and ids */
    int checked = 0;
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        if (!isClientOp(op) || op->type != H_OK) {
            continue;
        }
        if (op->f == HF_HOLD) {
            checked++;
            if (op->deadline != op->ltime + op->ttl) {
                char msg[200];
                snprintf(msg, sizeof msg,
                         "hold deadline %" PRIu64 " != ledger time %" PRIu64
                         " + ttl %u",
                         op->deadline, op->ltime, op->ttl);
                anomaly(c, "hold-deadline", op->pool, msg, op, NULL, NULL);
            }
            int other = imapGet(holds, op->hold_id);
            if (other >= 0 && &H->ops[other] != op) {
                anomaly(c, "hold-id-twice", op->pool,
                        "two holds got the same id", &H->ops[other], op, NULL);
            }
        } else if (op->f == HF_CONFIRM || op->f == HF_RELEASE) {
            int h = imapGet(holds, op->id);
            if (h >= 0 && op->ltime >= H->ops[h].deadline) {
                char msg[200];
                snprintf(msg, sizeof msg,
                         "%s accepted at ledger time %" PRIu64
                         ", at or after the hold's "
                         "deadline %" PRIu64,
                         op->fname, op->ltime, H->ops[h].deadline);
                anomaly(c,
                        op->f == HF_CONFIRM ? "confirm-after-deadline"
                                            : "release-after-deadline",
                        op->pool, msg, &H->ops[h], op, NULL);
            }
        }
    }
    json_object_set_new(c->j, "ordered_ops", json_integer(n));
    json_object_set_new(c->j, "holds", json_integer(checked));
}

/* ---- conservation -------------------------------------------------------- */

struct life {
    const struct h_op *hold;
    uint64_t start, end; /* ledger time; end UINT64_MAX: forever; 0: unknown */
};

static int lifeCmp(const void *a, const void *b)
{
    const struct life *x = a, *y = b;
    int c = strcmp(x->hold->pool, y->hold->pool);
    if (c == 0) {
        c = strcmp(x->hold->patient, y->hold->patient);
    }
    if (c == 0) {
        c = x->start < y->start ? -1 : x->start > y->start;
    }
    return c;
}

/* Final per-node reads: index of the final read_hold op of (node, id). */
static int nodeOf(const struct h_op *op, char (*nodes)[H_STR_MAX], int *n_nodes)
{
    const char *on = op->node[0] ? op->node : "";
    if (op->inv) {
        json_t *v = json_object_get(op->inv, "value");
        json_t *o = json_object_get(v, "on");
        if (json_is_string(o)) {
            on = json_string_value(o);
        }
    }
    for (int i = 0; i < *n_nodes; i++) {
        if (strcmp(nodes[i], on) == 0) {
            return i;
        }
    }
    if (*n_nodes >= 16) {
        return -1;
    }
    snprintf(nodes[*n_nodes], H_STR_MAX, "%s", on);
    return (*n_nodes)++;
}

static int byVisit(const void *a, const void *b)
{
    const struct h_op *x = *(const struct h_op *const *)a,
                      *y = *(const struct h_op *const *)b;
    int k = strcmp(x->pool, y->pool);
    if (k == 0) {
        k = x->visit < y->visit ? -1 : x->visit > y->visit;
    }
    if (k == 0) {
        k = x->index < y->index ? -1 : x->index > y->index;
    }
    return k;
}

/* Acknowledged bookings sharing a visit number in a pool: each one but the
 * last was cancelled (acknowledged at or before the next one's confirm, or
 * with an unknown outcome) before the next took the number. */
static void checkVisits(struct check *c)
{
    const struct h_op **conf = malloc(((size_t)H->n_ops + 1) * sizeof *conf);
    struct imap cancel_ok, cancel_maybe;
    imapInit(&cancel_ok, (size_t)H->n_ops);
    imapInit(&cancel_maybe, (size_t)H->n_ops);
    int n = 0;
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        if (!isClientOp(op)) {
            continue;
        }
        if (op->f == HF_CONFIRM && op->type == H_OK) {
            conf[n++] = op;
        } else if ((op->f == HF_CANCEL || op->f == HF_MOVE) &&
                   op->type == H_OK) {
            imapPut(&cancel_ok, op->id, i); /* a MOVE frees it too */
        } else if ((op->f == HF_CANCEL || op->f == HF_MOVE) &&
                   op->type == H_INFO) {
            imapPut(&cancel_maybe, op->id, i);
        }
    }
    qsort(conf, (size_t)n, sizeof *conf, byVisit);
    for (int i = 1; i < n; i++) {
        const struct h_op *a = conf[i - 1], *b = conf[i];
        if (strcmp(a->pool, b->pool) != 0 || a->visit != b->visit ||
            a->id == b->id) {
            continue;
        }
        /* Before: by ledger time (exact) or by index (a retry answered
         * from the session table reports a later one). */
        int k = imapGet(&cancel_ok, a->id);
        if ((k >= 0 &&
             (H->ops[k].ltime <= b->ltime || H->ops[k].index <= b->index)) ||
            imapGet(&cancel_maybe, a->id) >= 0) {
            continue;
        }
        char msg[300];
        snprintf(msg, sizeof msg,
                 "visit number %u given to booking %" PRIu64 " (index %" PRIu64
                 ") while booking %" PRIu64 " (index %" PRIu64
                 ") had it and was not cancelled before",
                 b->visit, b->id, b->index, a->id, a->index);
        anomaly(c, "slot-twice", b->pool, msg, a, b,
                k >= 0 ? &H->ops[k] : NULL);
    }
    imapFree(&cancel_ok);
    imapFree(&cancel_maybe);
    free(conf);
}

static void checkConservation(struct check *c, struct imap *holds)
{
    int reads = 0;
    /* capacity of each pool from its creation */
    uint32_t *cap = calloc((size_t)n_pool_names + 1, sizeof *cap);
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        if (op->f == HF_CREATE && op->process >= 0) {
            int p = poolIndex(op->pool);
            if (p >= 0) {
                cap[p] = op->capacity;
            }
        }
    }
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        if (op->f != HF_READ_POOL || op->type != H_OK || !op->has_counts) {
            continue;
        }
        reads++;
        int p = poolIndex(op->pool);
        char msg[300];
        if ((uint64_t)op->r_free + op->r_held + op->r_booked + op->r_cooling !=
                op->r_cap ||
            (p >= 0 && cap[p] != 0 && op->r_cap != cap[p])) {
            snprintf(msg, sizeof msg,
                     "free %u + held %u + booked %u + cooling %u != capacity "
                     "%u (created with %u)%s",
                     op->r_free, op->r_held, op->r_booked, op->r_cooling,
                     op->r_cap, p >= 0 ? cap[p] : 0,
                     op->stale ? " (stale read)" : "");
            anomaly(c, "counters", op->pool, msg, op, NULL, NULL);
        } else if (op->has_buckets &&
                   (op->b_cap != op->r_cap || op->b_free != op->r_free ||
                    op->b_held != op->r_held || op->b_booked != op->r_booked ||
                    op->b_cooling != op->r_cooling)) {
            snprintf(msg, sizeof msg,
                     "buckets sum to capacity %u free %u held %u booked %u, "
                     "the pool says "
                     "%u/%u/%u/%u",
                     op->b_cap, op->b_free, op->b_held, op->b_booked, op->r_cap,
                     op->r_free, op->r_held, op->r_booked);
            anomaly(c, "bucket-counters", op->pool, msg, op, NULL, NULL);
        }
    }
    /* No patient twice: the lives of each (pool, patient)'s claims, in
     * ledger time, must not overlap. */
    int n_holds = 0;
    struct life *lv = malloc(((size_t)H->n_ops + 1) * sizeof *lv);
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        if (op->f == HF_HOLD && op->type == H_OK && isClientOp(op)) {
            lv[n_holds].hold = op;
            lv[n_holds].start = op->ltime;
            lv[n_holds].end = op->deadline; /* unless confirmed / released */
            n_holds++;
        }
    }
    struct imap life_of;
    imapInit(&life_of, (size_t)n_holds);
    for (int i = 0; i < n_holds; i++) {
        imapPut(&life_of, lv[i].hold->hold_id, i);
    }
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        if (!isClientOp(op) || history_unobserved_fail(op)) {
            continue;
        }
        int k = (op->f == HF_CONFIRM || op->f == HF_RELEASE ||
                 op->f == HF_CANCEL || op->f == HF_MOVE)
                    ? imapGet(&life_of, op->id)
                    : -1;
        if (k < 0) {
            continue;
        }
        struct life *l = &lv[k];
        if (op->type == H_INFO) {
            l->end = 0; /* may have changed at an unknown time */
        } else if (op->type == H_OK && op->f == HF_RELEASE && l->end != 0) {
            l->end = op->ltime < l->end ? op->ltime : l->end;
        } else if (op->type == H_OK && op->f == HF_CONFIRM && l->end != 0) {
            l->end = UINT64_MAX;
        }
    }
    /* an acknowledged cancel or MOVE (the booking leaves the pool) ends a
     * booking's life */
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        int k = (op->f == HF_CANCEL || op->f == HF_MOVE) && op->type == H_OK &&
                        isClientOp(op)
                    ? imapGet(&life_of, op->id)
                    : -1;
        if (k >= 0 && (lv[k].end == UINT64_MAX || op->ltime < lv[k].end)) {
            lv[k].end = op->ltime;
        }
    }
    qsort(lv, (size_t)n_holds, sizeof *lv, lifeCmp);
    for (int i = 1; i < n_holds; i++) {
        const struct life *a = &lv[i - 1], *b = &lv[i];
        if (strcmp(a->hold->pool, b->hold->pool) == 0 &&
            strcmp(a->hold->patient, b->hold->patient) == 0 && a->end != 0 &&
            b->start < a->end) {
            char msg[300];
            snprintf(msg, sizeof msg,
                     "patient %s got hold %" PRIu64 " at ledger time %" PRIu64
                     " while hold %" PRIu64 " (ledger time %" PRIu64
                     ") was live until %s",
                     b->hold->patient, b->hold->hold_id, b->start,
                     a->hold->hold_id, a->start,
                     a->end == UINT64_MAX ? "the end (booked)" : "later");
            anomaly(c, "patient-twice", b->hold->pool, msg, a->hold, b->hold,
                    NULL);
        }
    }
    imapFree(&life_of);
    free(lv);
    /* No slot twice: a visit number belongs to one booking at a time (a
     * cancellation frees it for the next booking, ledger.h). */
    checkVisits(c);
    /* Final state of every node: per (pool, patient) at most one live
     * claim; per pool booked claims <= capacity, distinct visits, equal
     * to the pool's booked counter. */
    char nodes[16][H_STR_MAX];
    int n_nodes = 0;
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        if (op->final && op->stale &&
            (op->f == HF_READ_HOLD || op->f == HF_READ_POOL)) {
            nodeOf(op, nodes, &n_nodes);
        }
    }
    for (int nd = 0; nd < n_nodes; nd++) {
        for (int p = 0; p < n_pool_names; p++) {
            int booked = 0, counter = -1;
            const struct h_op *pool_read = NULL;
            /* (patient, visit) pairs of this node and pool */
            struct imap pat, vis, seen;
            imapInit(&pat, 64);
            imapInit(&vis, 64);
            imapInit(&seen, 64);
            for (int i = 0; i < H->n_ops; i++) {
                const struct h_op *op = &H->ops[i];
                if (!op->final || !op->stale || op->type != H_OK ||
                    strcmp(op->pool, pool_names[p]) != 0 ||
                    nodeOf(op, nodes, &n_nodes) != nd) {
                    continue;
                }
                if (op->f == HF_READ_POOL && op->has_counts) {
                    counter = (int)op->r_booked;
                    pool_read = op;
                    continue;
                }
                if (op->f != HF_READ_HOLD || op->n_claims != 1) {
                    continue;
                }
                const struct h_claimv *cl = &op->claim;
                if (cl->state != HC_HELD && cl->state != HC_BOOKED) {
                    continue;
                }
                if (imapGet(&seen, cl->id) >= 0) {
                    continue; /* the same claim read twice */
                }
                imapPut(&seen, cl->id, i);
                uint64_t pk = 1469598103934665603ull;
                for (const char *s = cl->patient; *s; s++) {
                    pk = (pk ^ (uint8_t)*s) * 1099511628211ull;
                }
                int other = imapGet(&pat, pk);
                if (other >= 0 && H->ops[other].claim.id != cl->id) {
                    char msg[300];
                    snprintf(msg, sizeof msg,
                             "node %.72s: patient %s has claims %" PRIu64
                             " and %" PRIu64 " live in the final state",
                             nodes[nd], cl->patient, H->ops[other].claim.id,
                             cl->id);
                    anomaly(c, "patient-twice", op->pool, msg, &H->ops[other],
                            op, NULL);
                } else {
                    imapPut(&pat, pk, i);
                }
                if (cl->state == HC_BOOKED) {
                    booked++;
                    int ov = imapGet(&vis, cl->visit);
                    if (ov >= 0 && H->ops[ov].claim.id != cl->id) {
                        char msg[300];
                        snprintf(msg, sizeof msg,
                                 "node %.72s: bookings %" PRIu64 " and %" PRIu64
                                 " share visit number %u",
                                 nodes[nd], H->ops[ov].claim.id, cl->id,
                                 cl->visit);
                        anomaly(c, "slot-twice", op->pool, msg, &H->ops[ov], op,
                                NULL);
                    } else {
                        imapPut(&vis, cl->visit, i);
                    }
                }
            }
            int pc = cap[p];
            if (pc > 0 && booked > pc) {
                char msg[200];
                snprintf(msg, sizeof msg,
                         "node %.72s: %d bookings in a pool of capacity %d",
                         nodes[nd], booked, pc);
                anomaly(c, "overbooked", pool_names[p], msg, pool_read, NULL,
                        NULL);
            }
            if (counter >= 0 && booked > counter) {
                /* claims we know of are a subset: the counter can be larger
                 * (holds of info operations whose id nobody saw) but not
                 * smaller */
                char msg[200];
                snprintf(
                    msg, sizeof msg,
                    "node %.72s: %d bookings read by id, but the pool counts "
                    "%d booked",
                    nodes[nd], booked, counter);
                anomaly(c, "booked-counter", pool_names[p], msg, pool_read,
                        NULL, NULL);
            }
            imapFree(&pat);
            imapFree(&vis);
            imapFree(&seen);
        }
    }
    free(cap);
    json_object_set_new(c->j, "pool_reads", json_integer(reads));
    json_object_set_new(c->j, "holds", json_integer(n_holds));
    json_object_set_new(c->j, "final_nodes", json_integer(n_nodes));
    (void)holds;
}

/* ---- bookings ------------------------------------------------------------ */

static void checkBookings(struct check *c, int nodes_expected)
{
    char nodes[16][H_STR_MAX];
    int n_nodes = 0;
    struct imap fin[16];
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        if (op->final && op->stale &&
            (op->f == HF_READ_HOLD || op->f == HF_READ_POOL)) {
            nodeOf(op, nodes, &n_nodes); /* every node read at the end */
        }
    }
    for (int nd = 0; nd < n_nodes; nd++) {
        imapInit(&fin[nd],
                 (size_t)H->n_ops / (size_t)(n_nodes ? n_nodes : 1) + 16);
    }
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        if (op->final && op->stale && op->f == HF_READ_HOLD) {
            int nd = nodeOf(op, nodes, &n_nodes);
            if (nd >= 0) {
                imapPut(&fin[nd], op->id, i);
            }
        }
    }
    /* per id: acknowledged / maybe / cancelled */
    struct imap ack, cancel_ok, cancel_maybe, confirm_maybe, move_any;
    imapInit(&move_any, (size_t)H->n_ops);
    imapInit(&ack, (size_t)H->n_ops);
    imapInit(&cancel_ok, (size_t)H->n_ops);
    imapInit(&cancel_maybe, (size_t)H->n_ops);
    imapInit(&confirm_maybe, (size_t)H->n_ops);
    int n_ack = 0;
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        if (!isClientOp(op)) {
            continue;
        }
        if (op->f == HF_CONFIRM && op->type == H_OK) {
            if (imapGet(&ack, op->id) < 0) {
                n_ack++;
            }
            imapPut(&ack, op->id, i);
        } else if (op->f == HF_CONFIRM && op->type == H_INFO) {
            imapPut(&confirm_maybe, op->id, i);
        } else if (op->f == HF_CANCEL && op->type == H_OK) {
            imapPut(&cancel_ok, op->id, i);
        } else if (op->f == HF_CANCEL && op->type == H_INFO) {
            imapPut(&cancel_maybe, op->id, i);
        } else if (op->f == HF_MOVE && op->type != H_FAIL) {
            imapPut(&move_any, op->id, i); /* the moves check judges it */
        }
    }
    if (n_nodes == 0) {
        json_object_set_new(c->j, "skipped",
                            json_string("no final reads in the history"));
    }
    if (nodes_expected > 0 && n_nodes > 0 && n_nodes < nodes_expected) {
        unknown(c, "final reads missing for some nodes");
    }
    int present = 0, missing_reads = 0;
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        if (!isClientOp(op) || op->f != HF_CONFIRM || op->type != H_OK ||
            imapGet(&ack, op->id) != i) {
            continue;
        }
        int cok = imapGet(&cancel_ok, op->id);
        bool cmaybe = imapGet(&cancel_maybe, op->id) >= 0;
        for (int nd = 0; nd < n_nodes; nd++) {
            int r = imapGet(&fin[nd], op->id);
            const struct h_op *rd = r >= 0 ? &H->ops[r] : NULL;
            if (rd == NULL ||
                (rd->type != H_OK && !(rd->type == H_FAIL && rd->observed))) {
                missing_reads++;
                continue;
            }
            int st = rd->type == H_OK && rd->n_claims == 1 ? rd->claim.state
                                                           : HC_NONE;
            char msg[1400];
            if (st == HC_BOOKED && cok < 0) {
                present++;
            } else if (st == HC_CANCELLED && (cok >= 0 || cmaybe)) {
                present++;
            } else if (st == HC_MOVED && imapGet(&move_any, op->id) >= 0) {
                present++;
            } else if (st == HC_BOOKED && cok >= 0) {
                snprintf(msg, sizeof msg,
                         "booking %" PRIu64
                         " was cancelled (acknowledged) but node %s has it "
                         "booked",
                         op->id, nodes[nd]);
                anomaly(c, "cancel-lost", op->pool, msg, op, &H->ops[cok], rd);
            } else {
                /* a cancel of it that failed (a retry answered by a second
                 * execution says ALREADY_CANCELLED) explains the most */
                const struct h_op *cf = NULL;
                for (int k = 0;
                     k < H->n_ops && st == HC_CANCELLED && cf == NULL; k++) {
                    if (H->ops[k].f == HF_CANCEL && H->ops[k].id == op->id &&
                        isClientOp(&H->ops[k])) {
                        cf = &H->ops[k];
                    }
                }
                snprintf(msg, sizeof msg,
                         "acknowledged booking %" PRIu64
                         " is %s in the final state of node %s%s",
                         op->id,
                         rd->type == H_OK
                             ? history_claim_name(st)
                             : (slot_err_name(rd->err) ? slot_err_name(rd->err)
                                                       : "?"),
                         nodes[nd],
                         cf ? ", though every cancel of it failed"
                            : ", never cancelled");
                anomaly(c, "lost-booking", op->pool, msg, op, rd, cf);
            }
        }
    }
    if (missing_reads > 0) {
        char why[128];
        snprintf(why, sizeof why,
                 "%d final reads of acknowledged bookings failed",
                 missing_reads);
        unknown(c, why);
    }
    /* Bookings nobody acknowledged: every confirm of the id failed for sure,
     * yet a node has it booked or cancelled. */
    int phantoms = 0;
    for (int nd = 0; nd < n_nodes; nd++) {
        for (int i = 0; i < H->n_ops; i++) {
            const struct h_op *rd = &H->ops[i];
            if (!rd->final || !rd->stale || rd->f != HF_READ_HOLD ||
                rd->type != H_OK || rd->n_claims != 1 ||
                nodeOf(rd, nodes, &n_nodes) != nd) {
                continue;
            }
            if (rd->claim.state != HC_BOOKED &&
                rd->claim.state != HC_CANCELLED) {
                continue;
            }
            if (imapGet(&ack, rd->id) >= 0 ||
                imapGet(&confirm_maybe, rd->id) >= 0) {
                continue;
            }
            /* was there any confirm of it at all? */
            const struct h_op *conf = NULL;
            for (int k = 0; k < H->n_ops && conf == NULL; k++) {
                if (H->ops[k].f == HF_CONFIRM && H->ops[k].id == rd->id &&
                    isClientOp(&H->ops[k])) {
                    conf = &H->ops[k];
                }
            }
            if (conf == NULL) {
                continue; /* an id we learnt from a read: its confirm is not
                             ours */
            }
            phantoms++;
            char msg[300];
            snprintf(msg, sizeof msg,
                     "claim %" PRIu64
                     " is %s on node %.72s, but every confirm of it failed",
                     rd->id, history_claim_name(rd->claim.state), nodes[nd]);
            anomaly(c, "unacknowledged-booking", rd->pool, msg, conf, rd, NULL);
        }
    }
    for (int nd = 0; nd < n_nodes; nd++) {
        imapFree(&fin[nd]);
    }
    imapFree(&ack);
    imapFree(&cancel_ok);
    imapFree(&cancel_maybe);
    imapFree(&confirm_maybe);
    imapFree(&move_any);
    json_object_set_new(c->j, "acknowledged", json_integer(n_ack));
    json_object_set_new(c->j, "present_checks", json_integer(present));
    json_object_set_new(c->j, "nodes", json_integer(n_nodes));
    json_object_set_new(c->j, "phantoms", json_integer(phantoms));
}

/* ---- scheduled pools: buckets and flow-back -------------------------------
 * The slots workload's pools belong to a hospital whose rules (groups,
 * eligibility, flow-back) the history records with every change; each
 * create records the pool's shares and place, each hold its channel, each
 * claim read the claim's bucket and channel, each pool read every bucket
 * and whether the pool flowed back. The rules in force at an instant are
 * not observed directly: a channel is judged allowed when some rule set
 * that may have been in force (acknowledged or of unknown outcome, invoked
 * before) allows it, refused wrongly when none refuses it. */

/* Rules operations that may have taken effect, in history order. */
static const struct h_op **rules_ops;
static int n_rules_ops;

/* What the checks saw of the channel rules and flow-back at work: the
 * coverage floor asks for some of each in a scheduled history. */
static struct {
    bool sched;        /* scheduled pools (or the plan says the workload
                        * makes them) */
    int group_holds;   /* claims that took a group's share */
    int rem_refusals;  /* SOLD_OUT to a channel the remainder keeps out
                        * while it surely had a free slot */
    int rem_takes;     /* claims in a restricted remainder */
    int pools_flowed;  /* pools seen flowed back */
    int flows_claimed; /* of those, with a held or booked share slot
                        * throughout the flow's window */
} ev;

static void collectRules(void)
{
    rules_ops = malloc(((size_t)H->n_ops + 1) * sizeof *rules_ops);
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        if (op->f == HF_RULES && op->process >= 0 && op->sched != NULL &&
            op->type != H_FAIL) {
            rules_ops[n_rules_ops++] = op;
        }
    }
}

enum rule_q { Q_ELIGIBLE, Q_REMAINDER, Q_COVERS };

/* Is there a rule set of the pool's hospital, invoked before t, under
 * which the question's answer is `want`? (No rules op at all: the
 * question under no rules.) */
static bool someRules(const struct h_sched *place, uint64_t t, int q,
                      const char *a, const char *b, bool want)
{
    int seen = 0;
    for (int i = 0; i <= n_rules_ops; i++) {
        const struct h_sched *r = NULL;
        if (i < n_rules_ops) {
            const struct h_op *op = rules_ops[i];
            if (op->t_inv >= t ||
                strcmp(op->sched->hospital, place->hospital) != 0) {
                continue;
            }
            r = op->sched;
            seen++;
        } else if (seen > 0) {
            break;
        }
        bool yes = q == Q_ELIGIBLE    ? model_eligible(place, r, a)
                   : q == Q_REMAINDER ? model_rem_allows(place, r, a)
                                      : model_covers(r, a, b);
        if (yes == want) {
            return true;
        }
    }
    return false;
}

/* Is `name` a group of some rule set of the hospital? */
static bool isGroup(const struct h_sched *place, const char *name)
{
    for (int i = 0; i < n_rules_ops; i++) {
        const struct h_sched *r = rules_ops[i]->sched;
        for (int g = 0;
             strcmp(r->hospital, place->hospital) == 0 && g < r->n_groups;
             g++) {
            if (strcmp(r->group[g], name) == 0) {
                return true;
            }
        }
    }
    return false;
}

/* Everything the history says about one claim: its bucket, and when it
 * certainly ended (an acknowledged release or cancel, a HOLD_EXPIRED
 * answer about it) and was certainly live (a read showing it held or
 * booked). A command's answer carries the ledger time it was applied at,
 * but a retry answered from the session table (exactly-once) carries the
 * index of the retry's entry: the index is only an upper bound of where
 * the command took effect, its ledger time exact. A read's index is the
 * state it read. */
struct crec {
    uint64_t id;
    int pool;
    const struct h_op *hold;  /* the acknowledged hold, or NULL */
    const struct h_op *bread; /* the first read that gave its bucket */
    char channel[H_NAME_MAX];
    char bucket[H_NAME_MAX];
    uint64_t end_index; /* smallest index of an ending answer (0: none) */
    uint64_t end_ltime; /* smallest ledger time of one (0: none) */
    uint64_t live_read; /* highest index of a read showing it live */
};

static struct crec *crecs;
static int n_crecs;
static struct imap crec_of; /* id -> crecs index */

static struct crec *crecGet(uint64_t id, int pool)
{
    int k = imapGet(&crec_of, id);
    if (k >= 0) {
        return &crecs[k];
    }
    struct crec *r = &crecs[n_crecs];
    memset(r, 0, sizeof *r);
    r->id = id;
    r->pool = pool;
    imapPut(&crec_of, id, n_crecs++);
    return r;
}

static uint64_t minNonZero(uint64_t have, uint64_t v)
{
    return have == 0 || v < have ? v : have;
}

static void collectClaims(void)
{
    crecs = calloc((size_t)H->n_ops + 1, sizeof *crecs);
    imapInit(&crec_of, (size_t)H->n_ops);
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        int p = isClientOp(op) ? poolIndex(op->pool) : -1;
        if (p < 0) {
            continue;
        }
        if (op->f == HF_HOLD && op->type == H_OK && op->hold_id != 0) {
            struct crec *r = crecGet(op->hold_id, p);
            if (r->hold == NULL) {
                r->hold = op;
                snprintf(r->channel, sizeof r->channel, "%s",
                         op->channel[0] ? op->channel : "app");
            }
        } else if ((op->f == HF_READ_HOLD || op->f == HF_READ_PATIENT) &&
                   op->type == H_OK && op->n_claims == 1 && op->claim.id != 0) {
            struct crec *r = crecGet(op->claim.id, p);
            if (op->claim.has_bucket && r->bread == NULL) {
                r->bread = op;
                snprintf(r->bucket, sizeof r->bucket, "%s", op->claim.bucket);
                if (r->hold == NULL) {
                    snprintf(r->channel, sizeof r->channel, "%s",
                             op->claim.channel);
                }
            }
            if ((op->claim.state == HC_HELD || op->claim.state == HC_BOOKED) &&
                op->index > r->live_read) {
                r->live_read = op->index;
            }
        }
    }
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        int k = isClientOp(op) && (op->f == HF_CONFIRM || op->f == HF_RELEASE ||
                                   op->f == HF_CANCEL)
                    ? imapGet(&crec_of, op->id)
                    : -1;
        if (k < 0) {
            continue;
        }
        struct crec *r = &crecs[k];
        if ((op->type == H_OK && (op->f == HF_RELEASE || op->f == HF_CANCEL)) ||
            (op->type == H_FAIL && op->observed &&
             op->err == SLOT_HOLD_EXPIRED)) {
            r->end_index = minNonZero(r->end_index, op->index);
            r->end_ltime = minNonZero(r->end_ltime, op->ltime);
        }
    }
}

/* The bucket name of a claim as reads give it: a share, or "" for the
 * remainder. Which share index of the pool's spec, or -1 (remainder), or
 * -2 (no such bucket). */
static int shareOf(const struct h_sched *place, const char *bucket)
{
    if (bucket[0] == '\0') {
        return -1;
    }
    for (int s = 0; s < place->n_shares; s++) {
        if (strcmp(place->share[s], bucket) == 0) {
            return s;
        }
    }
    return -2;
}

/* Is the claim certainly gone (resolved) at every index >= idx? */
static bool goneBy(const struct crec *r, uint64_t idx)
{
    return r->end_index != 0 && r->end_index <= idx;
}

/* Holds of the pool whose outcome is unknown, invoked before t: each may
 * have made a claim nobody read. */
static int infoHolds(int p, uint64_t t)
{
    int n = 0;
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        n += op->f == HF_HOLD && op->type == H_INFO && isClientOp(op) &&
             op->t_inv < t && poolIndex(op->pool) == p;
    }
    return n;
}

static uint32_t remSpec(int p)
{
    const struct h_op *c = pool_place[p];
    uint32_t sum = 0;
    for (int s = 0; s < c->sched->n_shares; s++) {
        sum += c->sched->share_slots[s];
    }
    return c->capacity > sum ? c->capacity - sum : 0;
}

/* A SOLD_OUT to a channel the remainder keeps out is the restriction at
 * work only if the remainder had a free slot: fewer claims than its
 * capacity (at least its spec) could be live in it at that index. */
static bool remHadRoom(int p, const struct h_op *refusal)
{
    int live = infoHolds(p, refusal->t_ret);
    for (int k = 0; k < n_crecs; k++) {
        const struct crec *r = &crecs[k];
        if (r->pool != p || (r->bread != NULL && r->bucket[0] != '\0')) {
            continue; /* not in the remainder */
        }
        /* Held after the refusal, or gone before it (ledger times). */
        if ((r->hold != NULL && (r->hold->ltime > refusal->ltime ||
                                 r->hold->t_inv > refusal->t_ret)) ||
            (r->end_ltime != 0 && r->end_ltime < refusal->ltime)) {
            continue;
        }
        live++;
    }
    return (uint32_t)live < remSpec(p);
}

static void checkBuckets(struct check *c)
{
    int holds = 0, claims = 0, refusals = 0, reads = 0;
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        int p = isClientOp(op) ? poolIndex(op->pool) : -1;
        if (p < 0 || pool_place[p] == NULL) {
            continue;
        }
        const struct h_sched *pl = pool_place[p]->sched;
        const char *ch = op->channel[0] ? op->channel : "app";
        char msg[400];
        if (op->f == HF_HOLD && op->type == H_OK) {
            holds++;
            if (!someRules(pl, op->t_ret, Q_ELIGIBLE, ch, NULL, true)) {
                snprintf(msg, sizeof msg,
                         "hold %" PRIu64 " through %s accepted, but the "
                         "pool's eligibility leaves %s out",
                         op->hold_id, ch, ch);
                anomaly(c, "not-eligible", op->pool, msg, pool_place[p], op,
                        NULL);
            }
        } else if (op->f == HF_HOLD && op->type == H_FAIL && op->observed &&
                   op->err == SLOT_CHANNEL_NOT_ALLOWED) {
            refusals++;
            if (!someRules(pl, op->t_ret, Q_ELIGIBLE, ch, NULL, false)) {
                snprintf(msg, sizeof msg,
                         "a hold through %s refused CHANNEL_NOT_ALLOWED, "
                         "but the pool's eligibility lets %s book it",
                         ch, ch);
                anomaly(c, "refused-eligible", op->pool, msg, pool_place[p], op,
                        NULL);
            }
        } else if (op->f == HF_HOLD && op->type == H_FAIL && op->observed &&
                   op->err == SLOT_SOLD_OUT &&
                   someRules(pl, op->t_ret, Q_ELIGIBLE, ch, NULL, true) &&
                   !someRules(pl, op->t_ret, Q_REMAINDER, ch, NULL, true) &&
                   remHadRoom(p, op)) {
            ev.rem_refusals++;
        } else if (op->f == HF_READ_POOL && op->type == H_OK && op->has_rb) {
            reads++;
            bool names = op->n_rb == pl->n_shares;
            uint64_t sum = op->rrem.cap;
            bool counts = (uint64_t)op->rrem.free + op->rrem.held +
                              op->rrem.booked + op->rrem.cooling ==
                          op->rrem.cap;
            for (int s = 0; s < op->n_rb; s++) {
                const struct h_bucket *b = &op->rb[s];
                names = names && s < pl->n_shares &&
                        strcmp(b->name, pl->share[s]) == 0;
                counts = counts &&
                         (uint64_t)b->free + b->held + b->booked + b->cooling ==
                             b->cap;
                sum += b->cap;
            }
            if (!names) {
                anomaly(c, "bucket-names", op->pool,
                        "the pool's shares are not the ones it was created "
                        "with",
                        pool_place[p], op, NULL);
            } else if (!counts || sum != op->r_cap) {
                snprintf(msg, sizeof msg,
                         "a bucket's free + held + booked is not its "
                         "capacity, or the buckets' capacities sum to %" PRIu64
                         ", not %u%s",
                         sum, op->r_cap, op->stale ? " (stale read)" : "");
                anomaly(c, "bucket-counters", op->pool, msg, op, NULL, NULL);
            }
        }
    }
    /* Every claim in a bucket its channel may take from, by every read
     * of it (one anomaly per claim and bucket). */
    struct imap told;
    imapInit(&told, (size_t)n_crecs);
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        int k = (op->f == HF_READ_HOLD || op->f == HF_READ_PATIENT) &&
                        op->type == H_OK && op->n_claims == 1 &&
                        op->claim.has_bucket && isClientOp(op)
                    ? imapGet(&crec_of, op->claim.id)
                    : -1;
        const struct crec *r = k >= 0 ? &crecs[k] : NULL;
        if (r == NULL || pool_place[r->pool] == NULL) {
            continue;
        }
        int seen = imapGet(&told, r->id);
        if (seen >= 0 &&
            strcmp(H->ops[seen].claim.bucket, op->claim.bucket) == 0) {
            continue;
        }
        claims += seen < 0;
        const struct h_sched *pl = pool_place[r->pool]->sched;
        const char *bk = op->claim.bucket;
        uint64_t t = r->hold != NULL ? r->hold->t_ret : op->t_ret;
        int s = shareOf(pl, bk);
        char msg[400];
        const char *why = NULL;
        if (strcmp(op->claim.channel, r->channel) != 0) {
            why = "channel-changed";
            snprintf(msg, sizeof msg,
                     "claim %" PRIu64 " was held through %s, a read says %s",
                     r->id, r->channel, op->claim.channel);
        } else if (s == -2) {
            why = "unknown-bucket";
            snprintf(msg, sizeof msg,
                     "claim %" PRIu64 " is in bucket \"%s\", which the pool "
                     "does not have",
                     r->id, bk);
        } else if (!someRules(pl, t, Q_ELIGIBLE, r->channel, NULL, true)) {
            why = "not-eligible";
            snprintf(msg, sizeof msg,
                     "claim %" PRIu64 " of channel %s, which may not book "
                     "the pool",
                     r->id, r->channel);
        } else if (s >= 0 && !someRules(pl, t, Q_COVERS, pl->share[s],
                                        r->channel, true)) {
            why = "forbidden-bucket";
            snprintf(msg, sizeof msg,
                     "claim %" PRIu64 " of channel %s is in the share "
                     "of %s, which is not its own nor a group of it",
                     r->id, r->channel, pl->share[s]);
        } else if (s == -1 &&
                   !someRules(pl, t, Q_REMAINDER, r->channel, NULL, true)) {
            why = "forbidden-remainder";
            snprintf(msg, sizeof msg,
                     "claim %" PRIu64 " of channel %s is in the remainder, "
                     "which the pool keeps for others",
                     r->id, r->channel);
        }
        if (why != NULL) {
            anomaly(c, why, pool_names[r->pool], msg, pool_place[r->pool],
                    r->hold, op);
        }
        imapPut(&told, r->id, i);
        if (seen < 0 && op == r->bread) {
            ev.group_holds += s >= 0 && strcmp(pl->share[s], r->channel) != 0 &&
                              isGroup(pl, pl->share[s]);
            ev.rem_takes += s == -1 && pl->n_rem_allow > 0;
        }
    }
    imapFree(&told);
    json_object_set_new(c->j, "holds", json_integer(holds));
    json_object_set_new(c->j, "claims_read", json_integer(claims));
    json_object_set_new(c->j, "not_allowed_refusals", json_integer(refusals));
    json_object_set_new(c->j, "pool_reads", json_integer(reads));
    json_object_set_new(c->j, "group_holds", json_integer(ev.group_holds));
    json_object_set_new(c->j, "remainder_refusals",
                        json_integer(ev.rem_refusals));
    json_object_set_new(c->j, "remainder_takes", json_integer(ev.rem_takes));
}

static int byIndex(const void *a, const void *b)
{
    const struct h_op *x = *(const struct h_op *const *)a,
                      *y = *(const struct h_op *const *)b;
    return x->index < y->index ? -1 : x->index > y->index;
}

static bool capsEqual(const struct h_op *a, const struct h_op *b)
{
    if (a->n_rb != b->n_rb || a->rrem.cap != b->rrem.cap) {
        return false;
    }
    for (int s = 0; s < a->n_rb; s++) {
        if (a->rb[s].cap != b->rb[s].cap) {
            return false;
        }
    }
    return true;
}

static bool bucketEqual(const struct h_bucket *a, const struct h_bucket *b)
{
    return a->cap == b->cap && a->free == b->free && a->held == b->held &&
           a->booked == b->booked;
}

static bool bucketsEqual(const struct h_op *a, const struct h_op *b)
{
    bool eq = capsEqual(a, b) && a->flowed == b->flowed &&
              bucketEqual(&a->rrem, &b->rrem);
    for (int s = 0; eq && s < a->n_rb; s++) {
        eq = bucketEqual(&a->rb[s], &b->rb[s]);
    }
    return eq;
}

/* Held or booked at every index from its hold to b: read live at or
 * after b (a claim never comes back to life). */
static bool liveThrough(const struct crec *r, uint64_t b)
{
    return r->live_read >= b;
}

/* The capacities after a flow-back are the spec's with every non-target
 * share's unsold slots moved to target (-1: the remainder). */
static bool flowFits(int p, const struct h_op *rd, int target)
{
    const struct h_sched *pl = pool_place[p]->sched;
    uint64_t lost = 0, gain;
    for (int s = 0; s < pl->n_shares; s++) {
        uint32_t cap = rd->rb[s].cap, slots = pl->share_slots[s];
        if ((s == target && cap < slots) || (s != target && cap > slots)) {
            return false;
        }
        lost += s != target ? slots - cap : 0;
    }
    if (target < 0) {
        if (rd->rrem.cap < remSpec(p)) {
            return false;
        }
        gain = rd->rrem.cap - remSpec(p);
    } else {
        if (rd->rrem.cap != remSpec(p)) {
            return false;
        }
        gain = rd->rb[target].cap - pl->share_slots[target];
    }
    return lost == gain;
}

/* One flowed pool: was it due, did the capacities move as a flow-back
 * moves them, and did each non-target share keep exactly its held and
 * booked slots? The flow-back is one SWEEP entry at an index in (a, b]:
 * after the last read showing the pool not flowed (or its creation),
 * at or before the first read showing it flowed. A share's capacity after
 * it is its held + booked at that entry, so at least the claims of the
 * share live throughout the window and at most those that may have been
 * live in it. */
static void flowedPool(struct check *c, int p, const struct h_op *before,
                       const struct h_op *first)
{
    const struct h_sched *pl = pool_place[p]->sched;
    uint64_t bound =
        first->wall_ret != 0
            ? first->wall_ret + (uint64_t)max_skew_ms + WALL_SLACK_MS
            : UINT64_MAX;
    bool due = false;
    int targets[H_LIST_MAX + 1], nt = 0;
    for (int i = 0; i < n_rules_ops; i++) {
        const struct h_op *r = rules_ops[i];
        uint64_t d = model_flow_due(pl, r->sched);
        if (r->t_inv >= first->t_ret ||
            strcmp(r->sched->hospital, pl->hospital) != 0 || d == UINT64_MAX) {
            continue;
        }
        due = due || d <= bound;
        int t = model_flow_target(pl, r->sched);
        bool have = false;
        for (int k = 0; k < nt; k++) {
            have = have || targets[k] == t;
        }
        if (!have && nt <= H_LIST_MAX) {
            targets[nt++] = t;
        }
    }
    char msg[400];
    if (!due) {
        anomaly(c, "flowed-not-due", pool_names[p],
                "the pool flowed back, but no rule set that may have been "
                "in force makes its flow-back due by then",
                pool_place[p], first, NULL);
    }
    int target = -2;
    for (int k = 0; k < nt && target == -2; k++) {
        target = flowFits(p, first, targets[k]) ? targets[k] : -2;
    }
    if (nt == 0 && flowFits(p, first, -1)) {
        target = -1;
    }
    if (target == -2) {
        anomaly(c, "flow-moved-wrong", pool_names[p],
                "after the flow-back the buckets' capacities are not the "
                "spec's with the shares' unsold slots moved to the target",
                pool_place[p], first, NULL);
        return;
    }
    uint64_t a = before != NULL ? before->index : 0, b = first->index;
    bool claimed = false;
    for (int s = 0; s < pl->n_shares; s++) {
        if (s == target) {
            continue;
        }
        int lo = 0, hi = infoHolds(p, first->t_ret);
        const struct crec *witness = NULL;
        for (int k = 0; k < n_crecs; k++) {
            const struct crec *r = &crecs[k];
            if (r->pool != p) {
                continue;
            }
            bool in = r->bread != NULL && shareOf(pl, r->bucket) == s;
            if (!in && r->bread != NULL) {
                continue;
            }
            if (in && r->hold != NULL && r->hold->index <= a &&
                liveThrough(r, b)) {
                lo++;
                witness = r;
            }
            /* May have been live at the flow: held before the first
             * flowed read returned, not certainly gone by a. */
            if ((r->hold == NULL || r->hold->t_inv < first->t_ret) &&
                !goneBy(r, a)) {
                hi++;
            }
        }
        uint32_t cap = first->rb[s].cap;
        claimed = claimed || lo > 0;
        if (cap < (uint32_t)lo) {
            snprintf(msg, sizeof msg,
                     "share %s has %u slots after the flow-back (index %" PRIu64
                     "..%" PRIu64 "), but %d of its claims were held or "
                     "booked throughout: flow-back moved a held or booked "
                     "slot",
                     pl->share[s], cap, a + 1, b, lo);
            anomaly(c, "flow-moved-claims", pool_names[p], msg, first,
                    witness->hold, witness->bread);
        } else if (cap > (uint32_t)hi) {
            snprintf(
                msg, sizeof msg,
                "share %s kept %u slots after the flow-back (index %" PRIu64
                "..%" PRIu64 "), but at most %d of its claims can have "
                "been live: unsold slots stayed",
                pl->share[s], cap, a + 1, b, hi);
            anomaly(c, "flow-kept-free", pool_names[p], msg, first, before,
                    NULL);
        }
    }
    /* The same bound without knowing any claim's bucket, from the last
     * read before the flow: at index a the pool had T held or booked
     * claims, K of them in the shares that lose their unsold slots. Of the
     * T, at most T - L ended by b, L being the claims held by a and read
     * live at b or later (a claim never comes back to life), so at least
     * K - (T - L) share claims were live at the flow and those shares keep
     * that many slots. This catches a moved claim whose only reads came
     * after the flow (held just before it, read back just after). */
    if (before != NULL && before->f == HF_READ_POOL && before->has_rb) {
        uint64_t t_live = before->rrem.held + before->rrem.booked, k = 0,
                 caps = 0, l = 0;
        for (int s = 0; s < pl->n_shares; s++) {
            uint64_t hb = before->rb[s].held + before->rb[s].booked;
            t_live += hb;
            k += s != target ? hb : 0;
            caps += s != target ? first->rb[s].cap : 0;
        }
        const struct crec *witness = NULL;
        for (int i = 0; i < n_crecs; i++) {
            const struct crec *r = &crecs[i];
            if (r->pool == p && r->hold != NULL && r->hold->index <= a &&
                liveThrough(r, b)) {
                l++;
                witness = r;
            }
        }
        if (l <= t_live && k > t_live - l && caps < k - (t_live - l)) {
            snprintf(msg, sizeof msg,
                     "the shares that flowed back kept %" PRIu64
                     " slots (index %" PRIu64 "..%" PRIu64 "), but at index "
                     "%" PRIu64 " they held %" PRIu64 " of the pool's %" PRIu64
                     " live claims, and %" PRIu64 " of those %" PRIu64
                     " were live throughout: flow-back moved a held or "
                     "booked slot",
                     caps, a + 1, b, a, k, t_live, l, t_live);
            anomaly(c, "flow-moved-claims", pool_names[p], msg, before, first,
                    witness != NULL ? witness->hold : NULL);
        }
    }
    ev.flows_claimed += claimed;
}

static void checkFlowback(struct check *c)
{
    const struct h_op **rd = malloc(((size_t)H->n_ops + 1) * sizeof *rd);
    int reads = 0;
    for (int p = 0; p < n_pool_names; p++) {
        if (pool_place[p] == NULL) {
            continue;
        }
        const struct h_sched *pl = pool_place[p]->sched;
        int n = 0;
        for (int i = 0; i < H->n_ops; i++) {
            const struct h_op *op = &H->ops[i];
            if (op->f == HF_READ_POOL && op->type == H_OK && op->has_rb &&
                isClientOp(op) && strcmp(op->pool, pool_names[p]) == 0 &&
                op->n_rb == pl->n_shares) {
                rd[n++] = op;
            }
        }
        reads += n;
        qsort(rd, (size_t)n, sizeof *rd, byIndex);
        const struct h_op *before = NULL, *first = NULL, *ref = NULL;
        for (int k = 0; k < n; k++) {
            const struct h_op *r = rd[k];
            if (!r->flowed) {
                bool spec = r->rrem.cap == remSpec(p);
                for (int s = 0; s < r->n_rb; s++) {
                    spec = spec && r->rb[s].cap == pl->share_slots[s];
                }
                if (!spec) {
                    anomaly(c, "moved-without-flow", pool_names[p],
                            "a bucket's capacity differs from the spec, but "
                            "the pool has not flowed back",
                            pool_place[p], r, NULL);
                }
                before = r; /* the last, by index */
                continue;
            }
            first = first != NULL ? first : r;
            if (ref == NULL) {
                ref = r;
            } else if (!capsEqual(ref, r)) {
                anomaly(c, "flowed-twice", pool_names[p],
                        "two reads of the flowed-back pool show different "
                        "bucket capacities: it flowed back more than once",
                        ref, r, NULL);
            }
        }
        if (before != NULL && first != NULL && before->index >= first->index) {
            anomaly(c, "flow-undone", pool_names[p],
                    "a read shows the pool not flowed back at a Raft index "
                    "where another showed it flowed",
                    first, before, NULL);
        } else if (first != NULL) {
            if (before == NULL) {
                /* the window starts at the pool's creation */
                for (int i = 0; i < H->n_ops && before == NULL; i++) {
                    const struct h_op *op = &H->ops[i];
                    if (op->f == HF_CREATE && op->type == H_OK &&
                        isClientOp(op) &&
                        strcmp(op->pool, pool_names[p]) == 0) {
                        before = op;
                    }
                }
            }
            ev.pools_flowed++;
            flowedPool(c, p, before, first);
        }
        /* Every voter's final state agrees on the buckets and the flow. */
        const struct h_op *fin = NULL;
        for (int k = 0; k < n; k++) {
            const struct h_op *r = rd[k];
            if (!r->final || !r->stale) {
                continue;
            }
            if (fin == NULL) {
                fin = r;
            } else if (r->index == fin->index && !bucketsEqual(fin, r)) {
                anomaly(c, "final-disagree", pool_names[p],
                        "two nodes at the same applied index disagree on "
                        "the pool's buckets or flow-back",
                        fin, r, NULL);
            }
        }
    }
    free(rd);
    /* A claim stays in its bucket for life (ledger.h): every read agrees. */
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        if ((op->f != HF_READ_HOLD && op->f != HF_READ_PATIENT) ||
            op->type != H_OK || op->n_claims != 1 || !op->claim.has_bucket ||
            !isClientOp(op)) {
            continue;
        }
        int k = imapGet(&crec_of, op->claim.id);
        const struct crec *r = k >= 0 ? &crecs[k] : NULL;
        if (r != NULL && r->bread != NULL &&
            strcmp(r->bucket, op->claim.bucket) != 0) {
            char msg[300];
            snprintf(msg, sizeof msg,
                     "claim %" PRIu64 " was in bucket \"%s\", a later read "
                     "says \"%s\": its slot moved",
                     r->id, r->bucket, op->claim.bucket);
            anomaly(c, "bucket-changed", op->pool, msg, r->bread, op, NULL);
        }
    }
    json_object_set_new(c->j, "pool_reads", json_integer(reads));
    json_object_set_new(c->j, "pools_flowed", json_integer(ev.pools_flowed));
    json_object_set_new(c->j, "flows_with_claims",
                        json_integer(ev.flows_claimed));
}

/* ---- replicas, crashes --------------------------------------------------- */

static int checkReplicas(struct check *c)
{
    const struct h_op *st[16] = {0};
    int n = 0, answered = 0;
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        if (op->f == HF_STATUS && op->final && op->status_node >= 1 &&
            op->status_node <= 16) {
            st[op->status_node - 1] = op;
            if ((int)op->status_node > n) {
                n = (int)op->status_node;
            }
        }
    }
    if (n == 0) {
        /* a hand-made history without the final phase */
        json_object_set_new(c->j, "skipped",
                            json_string("no final status in the history"));
        return 0;
    }
    const struct h_op *ref = NULL;
    bool same_index = true;
    for (int i = 0; i < n; i++) {
        if (st[i] != NULL && st[i]->inv != NULL &&
            json_is_false(json_object_get(json_object_get(st[i]->inv, "value"),
                                          "member"))) {
            char why[96];
            snprintf(why, sizeof why,
                     "node %d is not a voter at the end (the nemesis could not "
                     "add it back)",
                     i + 1);
            unknown(c, why);
            st[i] = NULL; /* not a replica of the final state */
            continue;
        }
        if (st[i] == NULL || st[i]->type != H_OK) {
            char why[64];
            snprintf(why, sizeof why, "node %d did not answer its final status",
                     i + 1);
            unknown(c, why);
            continue;
        }
        answered++;
        if (ref == NULL) {
            ref = st[i];
        } else if (st[i]->applied != ref->applied) {
            same_index = false;
        }
    }
    if (!same_index) {
        unknown(c, "nodes had not applied the same index at the end");
    }
    for (int i = 0; i < n && same_index && ref; i++) {
        if (st[i] && st[i]->type == H_OK && st[i]->hash != ref->hash) {
            char msg[200];
            snprintf(msg, sizeof msg,
                     "nodes %" PRIu64 " and %" PRIu64 " applied index %" PRIu64
                     " but their ledger hashes differ",
                     ref->status_node, st[i]->status_node, ref->applied);
            anomaly(c, "replicas-diverged", NULL, msg, ref, st[i], NULL);
        }
    }
    json_object_set_new(c->j, "nodes", json_integer(n));
    json_object_set_new(c->j, "answered", json_integer(answered));
    if (ref) {
        json_object_set_new(c->j, "applied",
                            json_integer((json_int_t)ref->applied));
    }
    return n;
}

static void checkCrashes(struct check *c)
{
    int n = 0;
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        if (op->process < 0 && strcmp(op->fname, "crash") == 0) {
            n++;
            char msg[128];
            snprintf(msg, sizeof msg,
                     "node %d exited without being told to (see its log)",
                     op->n_nodes > 0 ? op->nodes[0] : 0);
            anomaly(c, "node-crash", NULL, msg, op, NULL, NULL);
        }
    }
    json_object_set_new(c->j, "crashes", json_integer(n));
}

/* ---- the quotas workload: quotas, cool-down, waitlist FIFO ---------------
 * The patient rules (node/ledger/ledger.h, "Patients, accounts and the
 * anti-scalper rules", "Waitlists") of one hospital, judged from the
 * history alone. Each check uses only what is certain, so an operation
 * of unknown outcome can hide an anomaly but never invent one.
 *
 * A claim's certain life: an acknowledged hold is active (HELD before its
 * deadline, or BOOKED) from its ledger time (exact, retries included) to
 * the earliest instant its end may have come: its deadline unless a
 * confirm of it was acknowledged; an acknowledged release or cancel; a
 * release or cancel of unknown outcome ends it at once (it may have
 * applied at any time after the hold: a cancel after an acknowledged
 * confirm, at the confirm). Lives are half-open [start, end): an end and
 * a start at the same ledger millisecond do not overlap (either order is
 * possible within one millisecond), two starts at one millisecond do
 * (whichever came second saw the first). Holds of unknown outcome, and
 * claims the history only read (waitlist offers), add nothing: they can
 * only make the true count larger than the one checked.
 *
 *   quotas    at no ledger time does a patient have more certain lives in
 *             one window than the rule sets allow (per visit day and
 *             class, per department and day for expert pools, per
 *             calendar month and class; the largest quota of any rule set
 *             that may have been in force). And no read of a patient's
 *             claims (any node: each applied prefix must obey the rules)
 *             shows more active claims in a window than that.
 *   cooldown  per pool, at no ledger time are more slots certainly taken
 *             than its capacity, counting the certain lives of its claims
 *             and, for each acknowledged cancel of a booking of an
 *             acknowledged hold at ledger time T, its slot from T to T +
 *             the smallest cool-down minimum of the rule sets (ledger.h:
 *             the slot cools until at least then, or is offered to a
 *             waiting patient, whose claim, released or lapsed, cools from
 *             T as well: the slot is taken throughout, whoever has it).
 *             A hold that succeeds while that is full took a cooling slot
 *             (or one that was never free).
 *   waitlist  FIFO: a patient P got an offer (a claim of P in a pool P
 *             joined the list of, that no hold of P made: P never holds
 *             there), seen by a read at index i (so made by then); Q
 *             joined that list before P (ledger time); a read at an index
 *             at or after i shows Q still on the list. With one join of
 *             each of P and Q there, Q was on the list throughout, ahead
 *             of P: the ledger gives the slot to the head, and drops (does
 *             not skip) a head it refuses, so Q should have had the
 *             offer. Patients with more than one join of the pool, or a
 *             join of unknown outcome, are left out.
 */

static bool quotas_mode;

/* The patient rules that may have been in force: per quota the largest of
 * any rule set (0: some set has no limit), the smallest cool-down
 * minimum. */
static struct {
    bool known;
    uint32_t quota[5];
    uint32_t cool_min_ms;
} prules;

/* What the quotas workload's checks saw (the coverage floor). */
static struct {
    int refusals;     /* QUOTA_EXCEEDED answers */
    int lives;        /* certain lives checked */
    int pinfo_reads;  /* patient reads checked */
    int cancels;      /* cooling intervals (acknowledged cancels) */
    int cool_refused; /* SOLD_OUT while a cooling interval was open */
    int joins;        /* acknowledged waitlist joins */
    int offers;       /* offers seen */
    int fifo_pairs;   /* (offer, earlier joiner still waiting) comparisons */
} qev;

enum {
    QU_DAY_NORMAL,
    QU_DAY_EXPERT,
    QU_DEPT_EXPERT,
    QU_MONTH_NORMAL,
    QU_MONTH_EXPERT
};

static void collectPatientRules(void)
{
    for (int i = 0; i < n_rules_ops; i++) {
        const struct h_sched *r = rules_ops[i]->sched;
        uint32_t q[5] = {0}, cmin = 0;
        if (r->has_patient) {
            memcpy(q, r->quota, sizeof q);
            cmin = r->cool_min_ms;
        }
        for (int k = 0; k < 5; k++) {
            uint32_t have = prules.quota[k];
            prules.quota[k] = !prules.known            ? q[k]
                              : have == 0 || q[k] == 0 ? 0
                              : have > q[k]            ? have
                                                       : q[k];
        }
        prules.cool_min_ms = !prules.known || cmin < prules.cool_min_ms
                                 ? cmin
                                 : prules.cool_min_ms;
        prules.known = true;
    }
}

static uint64_t fnv(const char *s, uint64_t h)
{
    for (; *s; s++) {
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    }
    return h;
}

/* Year * 12 + month of a day number (days since 1970-01-01; civil
 * calendar, H. Hinnant's days_from_civil inverted). */
static uint32_t monthOf(uint32_t day)
{
    int64_t z = (int64_t)day + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    return (uint32_t)((y + (m <= 2)) * 12 + m - 1);
}

/* A scheduled pool's class and place (NULL: not one). */
static const struct h_sched *poolSched(int p)
{
    return p >= 0 && pool_place[p] != NULL ? pool_place[p]->sched : NULL;
}

static bool isExpert(int kind)
{
    return kind != 0; /* every kind but normal (ledger.h) */
}

/* One certain life (a claim of an acknowledged hold), or a cooling
 * interval of a cancelled booking's slot. */
struct qlife {
    int pool;
    const struct h_op *hold;   /* the hold (cooling: the cancelled one's) */
    const struct h_op *end_op; /* what ended it (NULL: its deadline) */
    uint64_t start, end;       /* ledger time, [start, end) */
    bool cooling;
};

/* A window entry: one life in one window (group) with its limit. */
struct qentry {
    uint64_t group;
    uint32_t limit;
    int kind; /* QU_*; -1: a pool's capacity */
    int life;
};

static struct qlife *qlives;
static int n_qlives;

static int qentryCmp(const void *a, const void *b)
{
    const struct qentry *x = a, *y = b;
    if (x->group != y->group) {
        return x->group < y->group ? -1 : 1;
    }
    const struct qlife *lx = &qlives[x->life], *ly = &qlives[y->life];
    if (lx->start != ly->start) {
        return lx->start < ly->start ? -1 : 1;
    }
    /* At one ledger millisecond, the log decides: ledger time only says
     * "not before", and many entries share a millisecond (a burst, or a
     * leader whose clock is held back by the clamp of node/leader_clock.h,
     * which keeps ledger time still for up to ~3 x max skew). A life
     * starts with its hold's entry, a cooling interval with its cancel's;
     * ordering ties by ledger time alone blamed a hold for a slot that a
     * cancel committed after it cooled (soak, quotas-clockstep-n3 seed
     * 65085). Every op here was answered, so each has its entry's index.
     * Within one entry (equal indexes) the history does not say which
     * command of the batch came first, so the hold goes first: only what
     * is certain is blamed (so too without an index, which answered ops
     * always have). */
    const struct h_op *ox = lx->cooling ? lx->end_op : lx->hold;
    const struct h_op *oy = ly->cooling ? ly->end_op : ly->hold;
    uint64_t ix = ox != NULL ? ox->index : 0, iy = oy != NULL ? oy->index : 0;
    if (ix != 0 && iy != 0 && ix != iy) {
        return ix < iy ? -1 : 1;
    }
    return (int)lx->cooling - (int)ly->cooling;
}

static const char *const quota_names[] = {
    "day_normal", "day_expert", "dept_expert", "month_normal", "month_expert"};

/* Builds the certain lives of the claims of acknowledged holds, and the
 * cooling intervals of acknowledged cancels of their bookings. */
static void collectLives(void)
{
    qlives = calloc(2 * (size_t)H->n_ops + 1, sizeof *qlives);
    struct imap of;
    imapInit(&of, (size_t)H->n_ops);
    /* per life: booked (an acknowledged confirm) at, cancels */
    uint64_t *booked = calloc((size_t)H->n_ops + 1, sizeof *booked);
    const struct h_op **cancel = calloc((size_t)H->n_ops + 1, sizeof *cancel);
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        if (!isClientOp(op) || op->f != HF_HOLD || op->type != H_OK ||
            op->hold_id == 0 || imapGet(&of, op->hold_id) >= 0) {
            continue;
        }
        struct qlife *l = &qlives[n_qlives];
        l->pool = poolIndex(op->pool);
        l->hold = op;
        l->start = op->ltime;
        l->end = op->deadline;
        imapPut(&of, op->hold_id, n_qlives++);
    }
    int n_holds = n_qlives;
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        int k = isClientOp(op) && op->f == HF_CONFIRM && op->type == H_OK
                    ? imapGet(&of, op->id)
                    : -1;
        if (k >= 0 && (booked[k] == 0 || op->ltime < booked[k])) {
            booked[k] = op->ltime;
        }
    }
    for (int k = 0; k < n_holds; k++) {
        if (booked[k] != 0) {
            qlives[k].end = UINT64_MAX;
        }
    }
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        int k = isClientOp(op) && (op->f == HF_RELEASE || op->f == HF_CANCEL)
                    ? imapGet(&of, op->id)
                    : -1;
        if (k < 0 || history_unobserved_fail(op) || op->type == H_FAIL) {
            continue;
        }
        struct qlife *l = &qlives[k];
        uint64_t e = op->type == H_OK                       ? op->ltime
                     : op->f == HF_CANCEL && booked[k] != 0 ? booked[k]
                                                            : l->start;
        if (e < l->end) {
            l->end = e;
            l->end_op = op;
        }
        if (op->f == HF_CANCEL && op->type == H_OK &&
            (cancel[k] == NULL || op->ltime < cancel[k]->ltime)) {
            cancel[k] = op;
        }
    }
    for (int k = 0; k < n_holds && prules.cool_min_ms > 0; k++) {
        if (cancel[k] == NULL) {
            continue;
        }
        struct qlife *l = &qlives[n_qlives++];
        l->pool = qlives[k].pool;
        l->hold = qlives[k].hold;
        l->end_op = cancel[k];
        l->start = cancel[k]->ltime;
        l->end = cancel[k]->ltime + prules.cool_min_ms;
        l->cooling = true;
        qev.cancels++;
    }
    free(booked);
    free(cancel);
    imapFree(&of);
}

/* Sweeps each group of entries (sorted) and reports every entry that
 * starts while `limit` others are certainly live in its group. */
static void sweepWindows(struct check *c, struct qentry *e, int n, bool pools)
{
    qsort(e, (size_t)n, sizeof *e, qentryCmp);
    int *act = malloc(((size_t)n + 1) * sizeof *act);
    int n_act = 0;
    for (int i = 0; i < n; i++) {
        if (i == 0 || e[i].group != e[i - 1].group) {
            n_act = 0;
        }
        const struct qlife *l = &qlives[e[i].life];
        int keep = 0;
        for (int a = 0; a < n_act; a++) {
            if (qlives[act[a]].end > l->start) {
                act[keep++] = act[a];
            }
        }
        n_act = keep;
        if ((uint32_t)n_act >= e[i].limit && (!pools || !l->cooling)) {
            /* the witnesses: a cooling interval first, else the latest */
            const struct qlife *w = &qlives[act[n_act - 1]];
            for (int a = 0; a < n_act; a++) {
                if (qlives[act[a]].cooling) {
                    w = &qlives[act[a]];
                }
            }
            char msg[600];
            const struct h_sched *s = poolSched(l->pool);
            if (!pools) {
                snprintf(msg, sizeof msg,
                         "patient %s got hold %" PRIu64 " (pool %s, day %u) at "
                         "ledger time %" PRIu64 " while %d claims of the "
                         "same %s window were certainly active (quota %u)",
                         l->hold->patient, l->hold->hold_id, l->hold->pool,
                         s ? s->day : 0, l->start, n_act,
                         quota_names[e[i].kind], e[i].limit);
                anomaly(c, "over-quota", l->hold->pool, msg, w->hold, l->hold,
                        w->end_op);
            } else {
                snprintf(msg, sizeof msg,
                         "hold %" PRIu64 " succeeded at ledger time %" PRIu64
                         " while %d of the pool's %u slots were certainly "
                         "taken%s",
                         l->hold->hold_id, l->start, n_act, e[i].limit,
                         w->cooling ? ", one by a slot cooling after a cancel "
                                      "(within the cool-down minimum)"
                                    : "");
                anomaly(c, w->cooling ? "within-cooldown" : "overfull",
                        l->hold->pool, msg, w->hold,
                        w->cooling ? w->end_op : NULL, l->hold);
            }
        }
        if (l->end > l->start) {
            act[n_act++] = e[i].life;
        }
    }
    free(act);
}

/* The windows of a claim of patient `pat` in pool p, with their limits:
 * writes up to 3 entries for life k. */
static int windowsOf(int p, const char *pat, int k, struct qentry *out)
{
    const struct h_sched *s = poolSched(p);
    if (s == NULL) {
        return 0;
    }
    bool ex = isExpert(s->kind);
    uint64_t base = fnv(s->hospital, fnv(pat, 1469598103934665603ull));
    int n = 0;
    int kinds[3] = {ex ? QU_DAY_EXPERT : QU_DAY_NORMAL,
                    ex ? QU_DEPT_EXPERT : -1,
                    ex ? QU_MONTH_EXPERT : QU_MONTH_NORMAL};
    for (int w = 0; w < 3; w++) {
        if (kinds[w] < 0 || prules.quota[kinds[w]] == 0) {
            continue;
        }
        uint64_t g = (base ^ (uint64_t)kinds[w]) * 1099511628211ull;
        g = (g ^ (kinds[w] >= QU_MONTH_NORMAL ? monthOf(s->day) : s->day)) *
            1099511628211ull;
        if (kinds[w] == QU_DEPT_EXPERT) {
            g = fnv(s->dept, g);
        }
        out[n].group = g;
        out[n].limit = prules.quota[kinds[w]];
        out[n].kind = kinds[w];
        out[n].life = k;
        n++;
    }
    return n;
}

static void checkQuotas(struct check *c)
{
    if (!prules.known) {
        unknown(c, "no rule set in the history: the quotas are unknown");
        return;
    }
    struct qentry *e = malloc(3 * ((size_t)n_qlives + 1) * sizeof *e);
    int n = 0;
    for (int k = 0; k < n_qlives; k++) {
        const struct qlife *l = &qlives[k];
        if (!l->cooling) {
            qev.lives++;
            n += windowsOf(l->pool, l->hold->patient, k, e + n);
        }
    }
    sweepWindows(c, e, n, false);
    free(e);
    /* Reads of a patient's active claims. */
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        if (op->f == HF_HOLD && op->type == H_FAIL && op->observed &&
            op->err == SLOT_QUOTA_EXCEEDED) {
            qev.refusals++;
        }
        if (op->f != HF_READ_PINFO || op->type != H_OK || op->n_claims < 2) {
            continue;
        }
        qev.pinfo_reads++;
        struct qentry w[3 * 64];
        int nw = 0;
        for (int k = 0; k < op->n_claims && k < 64; k++) {
            const struct h_claimv *cl = &op->claims[k];
            if (cl->state == HC_HELD || cl->state == HC_BOOKED) {
                nw += windowsOf(poolIndex(cl->pool), op->patient, k, w + nw);
            }
        }
        for (int a = 0; a < nw; a++) {
            uint32_t cnt = 0;
            for (int b = 0; b < nw; b++) {
                cnt += w[b].group == w[a].group;
            }
            if (cnt > w[a].limit) {
                char msg[300];
                snprintf(msg, sizeof msg,
                         "a read of patient %s (index %" PRIu64
                         "%s) shows %u active claims in one %s window "
                         "(quota %u)",
                         op->patient, op->index, op->stale ? ", stale" : "",
                         cnt, quota_names[w[a].kind], w[a].limit);
                anomaly(c, "read-over-quota", op->claims[w[a].life].pool, msg,
                        op, NULL, NULL);
                break;
            }
        }
    }
    json_object_set_new(c->j, "lives", json_integer(qev.lives));
    json_object_set_new(c->j, "refusals", json_integer(qev.refusals));
    json_object_set_new(c->j, "patient_reads", json_integer(qev.pinfo_reads));
    json_t *q = json_array();
    for (int k = 0; k < 5; k++) {
        json_array_append_new(q, json_integer(prules.quota[k]));
    }
    json_object_set_new(c->j, "quotas", q);
}

static void checkCooldown(struct check *c)
{
    if (!prules.known) {
        unknown(c, "no rule set in the history: the cool-down is unknown");
        return;
    }
    struct qentry *e = malloc(((size_t)n_qlives + 1) * sizeof *e);
    int n = 0;
    for (int k = 0; k < n_qlives; k++) {
        const struct qlife *l = &qlives[k];
        if (l->pool < 0 || pool_place[l->pool] == NULL ||
            pool_place[l->pool]->capacity == 0) {
            continue;
        }
        e[n].group = (uint64_t)l->pool;
        e[n].limit = pool_place[l->pool]->capacity;
        e[n].kind = -1;
        e[n].life = k;
        n++;
    }
    sweepWindows(c, e, n, true);
    free(e);
    /* SOLD_OUT while a cooling interval of the pool was open: the
     * cool-down at work (coverage). */
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        if (op->f != HF_HOLD || op->type != H_FAIL || !op->observed ||
            op->err != SLOT_SOLD_OUT) {
            continue;
        }
        int p = poolIndex(op->pool);
        for (int k = 0; k < n_qlives; k++) {
            const struct qlife *l = &qlives[k];
            if (l->cooling && l->pool == p && l->start < op->ltime &&
                op->ltime < l->end) {
                qev.cool_refused++;
                break;
            }
        }
    }
    json_object_set_new(c->j, "cool_min_ms", json_integer(prules.cool_min_ms));
    json_object_set_new(c->j, "cooling_intervals", json_integer(qev.cancels));
    json_object_set_new(c->j, "sold_out_while_cooling",
                        json_integer(qev.cool_refused));
}

/* Waitlist joins per (pool, patient): the one join, or -1 (none or more
 * than one). */
static int joinOf(int p, const char *patient, const int *jp, const int *jn,
                  int n_j)
{
    int found = -1;
    for (int i = 0; i < n_j; i++) {
        const struct h_op *op = &H->ops[jp[i]];
        if (poolIndex(op->pool) == p && strcmp(op->patient, patient) == 0) {
            if (found >= 0 || jn[i] != 1) {
                return -1;
            }
            found = jp[i];
        }
    }
    return found >= 0 && H->ops[found].type == H_OK ? found : -1;
}

static void checkWaitlist(struct check *c)
{
    /* Join ops, one per (pool, patient) key, with how many there were. */
    int *jp = malloc(((size_t)H->n_ops + 1) * sizeof *jp);
    int *jn = calloc((size_t)H->n_ops + 1, sizeof *jn);
    int n_j = 0;
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        if (!isClientOp(op) || op->f != HF_JOIN ||
            history_unobserved_fail(op)) {
            continue;
        }
        qev.joins += op->type == H_OK;
        int k = 0;
        while (k < n_j && !(strcmp(H->ops[jp[k]].pool, op->pool) == 0 &&
                            strcmp(H->ops[jp[k]].patient, op->patient) == 0)) {
            k++;
        }
        if (k == n_j) {
            jp[n_j++] = i;
        }
        jn[k]++;
    }
    struct imap seen;
    imapInit(&seen, 64);
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *rd = &H->ops[i];
        if ((rd->f != HF_READ_PINFO && rd->f != HF_READ_HOLD) ||
            rd->type != H_OK) {
            continue;
        }
        for (int k = 0; k < rd->n_claims; k++) {
            const struct h_claimv *cl =
                rd->f == HF_READ_PINFO ? &rd->claims[k] : &rd->claim;
            const char *pool = cl->pool[0] ? cl->pool : rd->pool;
            int p = poolIndex(pool);
            if (p < 0 || cl->held_at == 0 || imapGet(&seen, cl->id) >= 0) {
                continue;
            }
            imapPut(&seen, cl->id, i);
            int pj = joinOf(p, cl->patient, jp, jn, n_j);
            if (pj < 0 || H->ops[pj].ltime >= cl->held_at) {
                continue;
            }
            /* no hold of P in p at all: the claim is an offer */
            bool held = false;
            for (int h = 0; h < H->n_ops && !held; h++) {
                const struct h_op *op = &H->ops[h];
                held = isClientOp(op) && op->f == HF_HOLD &&
                       strcmp(op->patient, cl->patient) == 0 &&
                       strcmp(op->pool, pool) == 0;
            }
            if (held) {
                continue;
            }
            qev.offers++;
            /* the first read that shows it: the offer was made by then */
            const struct h_op *first = rd;
            for (int h = 0; h < H->n_ops; h++) {
                const struct h_op *op = &H->ops[h];
                if ((op->f != HF_READ_PINFO && op->f != HF_READ_HOLD) ||
                    op->type != H_OK || op->index >= first->index) {
                    continue;
                }
                for (int m = 0; m < op->n_claims; m++) {
                    const struct h_claimv *o =
                        op->f == HF_READ_PINFO ? &op->claims[m] : &op->claim;
                    if (o->id == cl->id) {
                        first = op;
                    }
                }
            }
            const struct h_op *pjo = &H->ops[pj];
            for (int q = 0; q < n_j; q++) {
                const struct h_op *qj = &H->ops[jp[q]];
                if (poolIndex(qj->pool) != p || jn[q] != 1 ||
                    qj->type != H_OK || qj->ltime >= pjo->ltime ||
                    strcmp(qj->patient, cl->patient) == 0) {
                    continue;
                }
                /* a read showing Q still waiting after the cancel */
                const struct h_op *w = NULL;
                for (int h = 0; h < H->n_ops && w == NULL; h++) {
                    const struct h_op *op = &H->ops[h];
                    if (op->f == HF_READ_WAIT && op->type == H_OK &&
                        op->position > 0 && op->index >= first->index &&
                        poolIndex(op->pool) == p &&
                        strcmp(op->patient, qj->patient) == 0) {
                        w = op;
                    }
                }
                qev.fifo_pairs++;
                if (w == NULL) {
                    continue;
                }
                char msg[600];
                snprintf(
                    msg, sizeof msg,
                    "patient %s got the offer %" PRIu64 " (held at %" PRIu64
                    ", read at index %" PRIu64
                    "), while %s, who joined the list earlier (ledger "
                    "time %" PRIu64 " < %" PRIu64
                    "), was still waiting at index %" PRIu64 " (position %u)",
                    cl->patient, cl->id, cl->held_at, first->index, qj->patient,
                    qj->ltime, pjo->ltime, w->index, w->position);
                anomaly(c, "not-fifo", pool, msg, qj, first, w);
            }
        }
    }
    imapFree(&seen);
    free(jp);
    free(jn);
    json_object_set_new(c->j, "joins", json_integer(qev.joins));
    json_object_set_new(c->j, "offers", json_integer(qev.offers));
    json_object_set_new(c->j, "pairs", json_integer(qev.fifo_pairs));
}

/* The quotas workload exercised its rules: quotas refused holds, cancels
 * cooled slots, waitlists made offers (when the plan says it joins
 * them). */
static void coverQuotas(struct check *c, bool waitlist)
{
    json_t *q = json_object();
    json_object_set_new(c->j, "quotas", q);
    json_object_set_new(q, "quota_refusals", json_integer(qev.refusals));
    json_object_set_new(q, "cooling_intervals", json_integer(qev.cancels));
    json_object_set_new(q, "sold_out_while_cooling",
                        json_integer(qev.cool_refused));
    json_object_set_new(q, "joins", json_integer(qev.joins));
    json_object_set_new(q, "offers", json_integer(qev.offers));
    if (qev.refusals == 0) {
        unknown(c, "no hold was refused QUOTA_EXCEEDED (quotas untested)");
    }
    if (qev.cancels == 0) {
        unknown(c, "no acknowledged cancel under a cool-down (cool-down "
                   "untested)");
    }
    if (waitlist && qev.offers == 0) {
        unknown(c, "no waitlist offer was seen (waitlist untested)");
    }
}

/* ---- the visit workload: stoppage, moves, attendance, refunds ------------
 * The visit day (node/ledger/ledger.h, "The visit day: stoppage, moves,
 * check-in, no-shows"), judged from the history alone and, as the quotas
 * checks, only from what is certain: an operation of unknown outcome can
 * hide an anomaly, never invent one.
 *
 * What is certain about a stop of pool p: an acknowledged POOL_STOP, or
 * one refused POOL_STOPPED, says p was stopped at its ledger time (exact)
 * and at its index (an upper bound of the entry that applied it: a retry
 * answered from the session table reports its own, later one). S(p), I(p):
 * the smallest of those. p was certainly not stopped before the first
 * POOL_STOP of it was invoked (only the workload stops pools). A booking's
 * pool and patient are its hold's (a MOVE's new booking: the target, and
 * the old booking's patient). The check-in window of pool p under the
 * rule sets that may have been in force (acknowledged or of unknown
 * outcome): it opens between seg_start - the largest and seg_start - the
 * smallest checkin_before_ms, and closes between seg_end - the largest
 * and seg_end - the smallest checkin_late_ms. A read's ledger time is at
 * most the real clock at its return plus the largest clock offset (the
 * nodes run on this machine, ledger-order).
 *
 *   stop        no HOLD in p and no CONFIRM of a hold of p acknowledged at
 *               a ledger time after S(p); every claim read at an index at
 *               or after I(p) of a claim of p reports affected, and none
 *               of a pool no POOL_STOP was invoked for before the read
 *               returned does; every read of p at or after I(p) says
 *               stopped and shows no more booked slots than the
 *               acknowledged stop counted (its answer's booked counter:
 *               cancels and moves only take bookings away), and booked
 *               never grows from one read of p to a later one (by index)
 *               after I(p); no read says a pool stopped before any
 *               POOL_STOP of it was invoked.
 *   moves       one booking is moved at most once (two acknowledged MOVEs
 *               of it answer the same new id: a retry); an acknowledged
 *               MOVE's source pool was stopped (a POOL_STOP of it invoked
 *               before the MOVE returned); every read of the new booking
 *               says moved_from = the old id, and at or after the MOVE's
 *               index it is in the target pool with the old booking's
 *               patient, and BOOKED unless a CANCEL or MOVE of it was
 *               invoked; every read of the old booking at or after the
 *               MOVE's index says MOVED with moved_to = the new id, and no
 *               read says MOVED (or moved_to) without a MOVE of it; and a
 *               move never overbooks: per pool, at no ledger time are
 *               more claims certainly live than its capacity, counting
 *               the certain lives of acknowledged holds (as the quotas
 *               workload's: HELD until the deadline unless a confirm was
 *               acknowledged, ended by an acknowledged release, cancel or
 *               MOVE at its ledger time, by one of unknown outcome at the
 *               confirm, or at the hold when unconfirmed) and of
 *               acknowledged MOVEs' new bookings (from the MOVE's ledger
 *               time, ended likewise); a hold or MOVE that succeeds while
 *               the pool is full is an anomaly (`overfull`).
 *   attendance  no booking is both checked in (an acknowledged CHECKIN,
 *               or a read) and read no_show; a booking's attendance never
 *               goes back to pending (reads by index); no read shows a
 *               no_show while the pool's check-in may still have been open
 *               (its ledger time bound below the earliest close), nor
 *               under rule sets none of which sweeps no-shows, nor a
 *               no_show made after the stop (read pending at or after
 *               I(p), no_show later: SWEEP drops a stopped pool's
 *               bookings); an acknowledged CHECKIN was in the window (its
 *               ledger time in [earliest open, latest close)), by the
 *               booking's own patient, not after S(p); a checked_in read's
 *               checked_in_at is in the window; CHECKIN_NOT_OPEN only
 *               before the latest open, CHECKIN_CLOSED only at or after
 *               the earliest close; PATIENT_MISMATCH never answers the
 *               booking's own patient; a no-show is final: no CANCEL or
 *               MOVE of a booking is acknowledged after a read showing it
 *               no_show returned.
 *   refunds     an acknowledged CANCEL of a booking of p after S(p) (by
 *               ledger time) is a refund: never refused ALREADY_CHECKED_IN
 *               or CANCEL_CLOSED (a refused one after S(p) is the anomaly;
 *               NO_SHOW is right: a no-show is final, stopped or not), read CANCELLED and refunded at or after its
 *               index; a CANCEL that returned before any POOL_STOP of p
 *               was invoked is not a refund (never read refunded).
 */

static bool visit_mode;

/* The visit rules that may have been in force (the largest and smallest
 * of each). */
static struct {
    bool known, sweep;
    uint64_t before_min, before_max, late_min, late_max;
} vrules;

/* What the visit checks saw (the coverage floor). */
static struct {
    int stops;      /* pools certainly stopped */
    int moves;      /* acknowledged MOVEs */
    int checkins;   /* acknowledged CHECKINs */
    int mismatches; /* PATIENT_MISMATCH answers */
    int no_shows;   /* bookings read no_show */
    int refunds;    /* acknowledged refund cancels */
    int affected;   /* claim reads that said affected */
} vev;

/* One booking (or hold) the history names: its pool and patient. */
struct vbook {
    uint64_t id;
    int pool;
    const char *patient;
    const struct h_op *hold;   /* the acknowledged hold (NULL: moved in) */
    const struct h_op *move;   /* moved in: the acknowledged MOVE */
    const struct h_op *moved;  /* moved away: the first acknowledged MOVE */
    const struct h_op *cancel; /* the first acknowledged CANCEL */
    bool confirmed;            /* an acknowledged confirm (or moved in) */
    uint64_t booked_lt;        /* its ledger time (moved in: the MOVE's) */
    bool maybe_gone;           /* a CANCEL or MOVE of it invoked */
};

static struct vbook *vbooks;
static int n_vbooks;
static struct imap vbook_of;

/* Per pool: the certain stop (S, I, the op) and the first stop invoked. */
static uint64_t *stop_lt, *stop_idx, *stop_first_inv;
static const struct h_op **stop_op;

static struct vbook *vbGet(uint64_t id)
{
    int k = id != 0 ? imapGet(&vbook_of, id) : -1;
    return k >= 0 ? &vbooks[k] : NULL;
}

static struct vbook *vbNew(uint64_t id, int pool, const char *patient)
{
    struct vbook *b = &vbooks[n_vbooks];
    memset(b, 0, sizeof *b);
    b->id = id;
    b->pool = pool;
    b->patient = patient;
    imapPut(&vbook_of, id, n_vbooks++);
    return b;
}

static bool stoppedBy(int p, uint64_t ltime)
{
    return p >= 0 && stop_op[p] != NULL && stop_lt[p] < ltime;
}

/* No POOL_STOP of p was invoked before time t (ns): p was not stopped. */
static bool notStoppedAt(int p, uint64_t t)
{
    return p >= 0 && stop_first_inv[p] > t;
}

static void collectVisit(void)
{
    for (int i = 0; i < n_rules_ops; i++) {
        const struct h_sched *r = rules_ops[i]->sched;
        uint64_t b = r->has_visit ? r->checkin_before_ms : 86400000;
        uint64_t l = r->has_visit ? r->checkin_late_ms : 0;
        bool sw = r->has_visit && r->noshow_sweep;
        if (!vrules.known) {
            vrules.before_min = vrules.before_max = b;
            vrules.late_min = vrules.late_max = l;
        }
        vrules.before_min = b < vrules.before_min ? b : vrules.before_min;
        vrules.before_max = b > vrules.before_max ? b : vrules.before_max;
        vrules.late_min = l < vrules.late_min ? l : vrules.late_min;
        vrules.late_max = l > vrules.late_max ? l : vrules.late_max;
        vrules.sweep = vrules.sweep || sw;
        vrules.known = true;
    }
    size_t np = (size_t)n_pool_names + 1;
    stop_lt = calloc(np, sizeof *stop_lt);
    stop_idx = calloc(np, sizeof *stop_idx);
    stop_first_inv = malloc(np * sizeof *stop_first_inv);
    stop_op = calloc(np, sizeof *stop_op);
    for (size_t p = 0; p < np; p++) {
        stop_first_inv[p] = UINT64_MAX;
    }
    vbooks = calloc((size_t)H->n_ops + 1, sizeof *vbooks);
    imapInit(&vbook_of, (size_t)H->n_ops);
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        int p = isClientOp(op) ? poolIndex(op->pool) : -1;
        if (p < 0) {
            continue;
        }
        if (op->f == HF_STOP) {
            if (op->t_inv < stop_first_inv[p]) {
                stop_first_inv[p] = op->t_inv;
            }
            bool sure =
                op->type == H_OK || (op->type == H_FAIL && op->observed &&
                                     op->err == SLOT_POOL_STOPPED);
            if (sure && (stop_op[p] == NULL || op->ltime < stop_lt[p])) {
                stop_lt[p] = op->ltime;
                stop_op[p] = op;
            }
            if (sure && (stop_idx[p] == 0 || op->index < stop_idx[p])) {
                stop_idx[p] = op->index;
            }
        } else if (op->f == HF_HOLD && op->type == H_OK && op->hold_id != 0 &&
                   vbGet(op->hold_id) == NULL) {
            vbNew(op->hold_id, p, op->patient)->hold = op;
        } else if (op->f == HF_MOVE && op->type == H_OK && op->new_id != 0) {
            struct vbook *old = vbGet(op->id);
            if (old != NULL && old->moved == NULL) {
                old->moved = op;
            }
            if (vbGet(op->new_id) == NULL) {
                struct vbook *b = vbNew(op->new_id, poolIndex(op->target),
                                        old != NULL ? old->patient : NULL);
                b->move = op;
                b->confirmed = true;
                b->booked_lt = op->ltime;
            }
        }
    }
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        struct vbook *b = isClientOp(op) ? vbGet(op->id) : NULL;
        if (b == NULL || history_unobserved_fail(op)) {
            continue;
        }
        if (op->f == HF_CONFIRM && op->type == H_OK &&
            (!b->confirmed || op->ltime < b->booked_lt)) {
            b->confirmed = true;
            b->booked_lt = op->ltime;
        } else if (op->f == HF_CANCEL && op->type == H_OK &&
                   (b->cancel == NULL || op->ltime < b->cancel->ltime)) {
            b->cancel = op;
        }
        if ((op->f == HF_CANCEL || op->f == HF_MOVE) && op->type != H_FAIL) {
            b->maybe_gone = true;
        }
    }
    for (int p = 0; p < n_pool_names; p++) {
        vev.stops += stop_op[p] != NULL;
    }
}

/* The pool of the booking an op names (its hold's), else the op's. */
static int vPool(const struct h_op *op)
{
    const struct vbook *b = vbGet(op->id);
    return b != NULL && b->pool >= 0 ? b->pool : poolIndex(op->pool);
}

/* Pool p's check-in window under the rule sets: earliest / latest open
 * and close (0 / UINT64_MAX when p has no recorded segment). */
static bool vWindow(int p, uint64_t *open_lo, uint64_t *open_hi,
                    uint64_t *close_lo, uint64_t *close_hi)
{
    const struct h_sched *s = poolSched(p);
    if (s == NULL || s->seg_end == 0 || !vrules.known) {
        return false;
    }
    uint64_t st = s->seg_start, en = s->seg_end;
    *open_lo = st > vrules.before_max ? st - vrules.before_max : 0;
    *open_hi = st > vrules.before_min ? st - vrules.before_min : 0;
    *close_lo = en > vrules.late_max ? en - vrules.late_max : 0;
    *close_hi = en > vrules.late_min ? en - vrules.late_min : 0;
    return true;
}

/* Every claim a read shows (read_hold, read_patient: one; read_pool_claims,
 * read_patient_info: all), with the claim's pool. */
static int readClaims(const struct h_op *op, const struct h_claimv **out,
                      int max)
{
    if (!isRead(op->f) || op->type != H_OK || op->n_claims == 0) {
        return 0;
    }
    if (op->claims == NULL) {
        out[0] = &op->claim;
        return 1;
    }
    int n = 0;
    for (int k = 0; k < op->n_claims && n < max; k++) {
        out[n++] = &op->claims[k];
    }
    return n;
}

static int claimPool(const struct h_op *op, const struct h_claimv *cl)
{
    return poolIndex(cl->pool[0] ? cl->pool : op->pool);
}

#define VREAD_MAX 256

static void checkStop(struct check *c)
{
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        if (!isClientOp(op)) {
            continue;
        }
        char msg[400];
        int p = op->f == HF_CONFIRM ? vPool(op) : poolIndex(op->pool);
        if ((op->f == HF_HOLD || op->f == HF_CONFIRM) && op->type == H_OK &&
            stoppedBy(p, op->ltime)) {
            snprintf(msg, sizeof msg,
                     "%s acknowledged at ledger time %" PRIu64
                     ", after pool %s was stopped (ledger time %" PRIu64 ")",
                     op->fname, op->ltime, pool_names[p], stop_lt[p]);
            anomaly(c,
                    op->f == HF_HOLD ? "hold-after-stop" : "confirm-after-stop",
                    pool_names[p], msg, stop_op[p], op, NULL);
        }
        if (op->f == HF_READ_POOL && op->type == H_OK && op->has_stopped &&
            p >= 0) {
            if (stop_op[p] != NULL && op->index >= stop_idx[p] &&
                !op->stopped) {
                snprintf(msg, sizeof msg,
                         "a read at index %" PRIu64 " says pool %s is not "
                         "stopped; it was by index %" PRIu64,
                         op->index, pool_names[p], stop_idx[p]);
                anomaly(c, "not-stopped", pool_names[p], msg, stop_op[p], op,
                        NULL);
            }
            if (op->stopped && notStoppedAt(p, op->t_ret)) {
                anomaly(c, "stopped-without-stop", pool_names[p],
                        "a read says the pool is stopped before any "
                        "POOL_STOP of it was invoked",
                        op, NULL, NULL);
            }
            if (stop_op[p] != NULL && stop_op[p]->type == H_OK &&
                op->index >= stop_idx[p] && op->has_counts &&
                op->r_booked > stop_op[p]->stop_bookings) {
                snprintf(msg, sizeof msg,
                         "a read at index %" PRIu64 " shows %u booked in "
                         "pool %s, the stop (index %" PRIu64 ") counted %u",
                         op->index, op->r_booked, pool_names[p], stop_idx[p],
                         stop_op[p]->stop_bookings);
                anomaly(c, "booked-after-stop", pool_names[p], msg, stop_op[p],
                        op, NULL);
            }
        }
        const struct h_claimv *cls[VREAD_MAX];
        int n = readClaims(op, cls, VREAD_MAX);
        for (int k = 0; k < n; k++) {
            const struct h_claimv *cl = cls[k];
            int cp = claimPool(op, cl);
            if (cl->attendance < 0 || cp < 0) {
                continue; /* not a protocol-4 read */
            }
            vev.affected += cl->affected;
            if (stop_op[cp] != NULL && op->index >= stop_idx[cp] &&
                !cl->affected) {
                snprintf(msg, sizeof msg,
                         "claim %" PRIu64 " of pool %s read at index %" PRIu64
                         " is not affected; the pool was stopped by index "
                         "%" PRIu64,
                         cl->id, pool_names[cp], op->index, stop_idx[cp]);
                anomaly(c, "not-affected", pool_names[cp], msg, stop_op[cp], op,
                        NULL);
            } else if (cl->affected && notStoppedAt(cp, op->t_ret)) {
                snprintf(msg, sizeof msg,
                         "claim %" PRIu64 " read affected before any "
                         "POOL_STOP of pool %s was invoked",
                         cl->id, pool_names[cp]);
                anomaly(c, "affected-without-stop", pool_names[cp], msg, op,
                        NULL, NULL);
            }
        }
    }
    /* booked never grows after the stop: each pool's reads at or after
     * I(p), by index */
    const struct h_op **rd = malloc(((size_t)H->n_ops + 1) * sizeof *rd);
    for (int p = 0; p < n_pool_names; p++) {
        if (stop_op[p] == NULL) {
            continue;
        }
        int n = 0;
        for (int i = 0; i < H->n_ops; i++) {
            const struct h_op *op = &H->ops[i];
            if (op->f == HF_READ_POOL && op->type == H_OK && op->has_counts &&
                poolIndex(op->pool) == p && op->index >= stop_idx[p]) {
                rd[n++] = op;
            }
        }
        qsort(rd, (size_t)n, sizeof *rd, byIndex);
        const struct h_op *low = NULL;
        for (int k = 0; k < n; k++) {
            if (low != NULL && rd[k]->index > low->index &&
                rd[k]->r_booked > low->r_booked) {
                char msg[300];
                snprintf(msg, sizeof msg,
                         "pool %s stopped by index %" PRIu64 ": %u booked at "
                         "index %" PRIu64 ", %u at index %" PRIu64,
                         pool_names[p], stop_idx[p], low->r_booked, low->index,
                         rd[k]->r_booked, rd[k]->index);
                anomaly(c, "booked-grew", pool_names[p], msg, stop_op[p], low,
                        rd[k]);
            }
            if (low == NULL || rd[k]->r_booked < low->r_booked) {
                low = rd[k];
            }
        }
    }
    free(rd);
    json_object_set_new(c->j, "pools_stopped", json_integer(vev.stops));
    json_object_set_new(c->j, "affected_reads", json_integer(vev.affected));
}

/* A certain life of a claim in a pool (moves' capacity check). */
struct vlife {
    int pool;
    const struct h_op *from; /* the hold or the MOVE */
    const struct h_op *end_op;
    uint64_t start, end; /* [start, end), ledger time */
};

static int vlifeCmp(const void *a, const void *b)
{
    const struct vlife *x = a, *y = b;
    if (x->pool != y->pool) {
        return x->pool < y->pool ? -1 : 1;
    }
    return x->start < y->start ? -1 : x->start > y->start;
}

static void vCapacity(struct check *c)
{
    struct vlife *lv = calloc((size_t)n_vbooks + 1, sizeof *lv);
    for (int k = 0; k < n_vbooks; k++) {
        const struct vbook *b = &vbooks[k];
        struct vlife *l = &lv[k];
        l->pool = b->pool;
        l->from = b->hold != NULL ? b->hold : b->move;
        l->start = b->hold != NULL ? b->hold->ltime : b->move->ltime;
        l->end = b->confirmed ? UINT64_MAX : b->hold->deadline;
    }
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        int k = isClientOp(op) && (op->f == HF_RELEASE || op->f == HF_CANCEL ||
                                   op->f == HF_MOVE)
                    ? imapGet(&vbook_of, op->id)
                    : -1;
        if (k < 0 || op->type == H_FAIL) {
            continue;
        }
        const struct vbook *b = &vbooks[k];
        struct vlife *l = &lv[k];
        uint64_t e = op->type == H_OK                      ? op->ltime
                     : op->f != HF_RELEASE && b->confirmed ? b->booked_lt
                                                           : l->start;
        if (e < l->end) {
            l->end = e;
            l->end_op = op;
        }
    }
    qsort(lv, (size_t)n_vbooks, sizeof *lv, vlifeCmp);
    int *act = malloc(((size_t)n_vbooks + 1) * sizeof *act);
    int n_act = 0, checked = 0;
    for (int i = 0; i < n_vbooks; i++) {
        if (i == 0 || lv[i].pool != lv[i - 1].pool) {
            n_act = 0;
        }
        const struct vlife *l = &lv[i];
        if (l->pool < 0 || pool_place[l->pool] == NULL) {
            continue;
        }
        uint32_t cap = pool_place[l->pool]->capacity;
        int keep = 0;
        for (int a = 0; a < n_act; a++) {
            if (lv[act[a]].end > l->start) {
                act[keep++] = act[a];
            }
        }
        n_act = keep;
        checked++;
        if (cap > 0 && (uint32_t)n_act >= cap) {
            char msg[400];
            snprintf(msg, sizeof msg,
                     "%s succeeded in pool %s at ledger time %" PRIu64
                     " while all %u of its slots were certainly taken",
                     l->from->fname, pool_names[l->pool], l->start, cap);
            anomaly(c, "overfull", pool_names[l->pool], msg,
                    lv[act[n_act - 1]].from, l->from, NULL);
        }
        if (l->end > l->start) {
            act[n_act++] = i;
        }
    }
    free(act);
    free(lv);
    json_object_set_new(c->j, "lives", json_integer(checked));
}

static void checkMoves(struct check *c)
{
    struct imap first;
    imapInit(&first, 64);
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        if (!isClientOp(op) || op->f != HF_MOVE || op->type != H_OK) {
            continue;
        }
        vev.moves++;
        char msg[400];
        int o = imapGet(&first, op->id);
        if (o >= 0 && H->ops[o].new_id != op->new_id) {
            snprintf(msg, sizeof msg,
                     "booking %" PRIu64 " moved twice: to %" PRIu64
                     " and to %" PRIu64,
                     op->id, H->ops[o].new_id, op->new_id);
            anomaly(c, "moved-twice", op->pool, msg, &H->ops[o], op, NULL);
        } else if (o < 0) {
            imapPut(&first, op->id, i);
        }
        int p = vPool(op);
        if (notStoppedAt(p, op->t_ret)) {
            snprintf(msg, sizeof msg,
                     "booking %" PRIu64 " of pool %s moved, but no POOL_STOP "
                     "of the pool was invoked before",
                     op->id, pool_names[p]);
            anomaly(c, "move-not-stopped", op->pool, msg, op, NULL, NULL);
        }
    }
    /* reads of moved bookings, old and new */
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        const struct h_claimv *cls[VREAD_MAX];
        int n = readClaims(op, cls, VREAD_MAX);
        for (int k = 0; k < n; k++) {
            const struct h_claimv *cl = cls[k];
            if (cl->attendance < 0) {
                continue;
            }
            char msg[500];
            const struct vbook *b = vbGet(cl->id);
            if (b != NULL && b->move != NULL) {
                const struct h_op *mv = b->move;
                int tp = poolIndex(mv->target);
                const char *bad = NULL;
                if (cl->moved_from != mv->id) {
                    bad = "moved_from is not the old booking";
                } else if (op->index >= mv->index && claimPool(op, cl) != tp) {
                    bad = "it is not in the target pool";
                } else if (op->index >= mv->index && b->patient != NULL &&
                           strcmp(cl->patient, b->patient) != 0) {
                    bad = "its patient is not the old booking's";
                } else if (op->index >= mv->index && cl->state != HC_BOOKED &&
                           !b->maybe_gone) {
                    bad = "it is not BOOKED (never cancelled or moved)";
                }
                if (bad != NULL) {
                    snprintf(msg, sizeof msg,
                             "booking %" PRIu64 ", moved from %" PRIu64
                             " (index %" PRIu64 "), read at index %" PRIu64
                             " (%s, moved_from %" PRIu64 "): %s",
                             cl->id, mv->id, mv->index, op->index,
                             history_claim_name(cl->state), cl->moved_from,
                             bad);
                    anomaly(c, "bad-new-booking", mv->target, msg, mv, op,
                            NULL);
                }
            }
            if (b != NULL && b->moved != NULL) {
                const struct h_op *mv = b->moved;
                if ((op->index >= mv->index &&
                     (cl->state != HC_MOVED || cl->moved_to != mv->new_id)) ||
                    (cl->state == HC_MOVED && cl->moved_to != mv->new_id)) {
                    snprintf(msg, sizeof msg,
                             "booking %" PRIu64 " moved to %" PRIu64
                             " (index %" PRIu64 ") is read %s with moved_to "
                             "%" PRIu64 " at index %" PRIu64,
                             cl->id, mv->new_id, mv->index,
                             history_claim_name(cl->state), cl->moved_to,
                             op->index);
                    anomaly(c, "old-not-moved", mv->pool, msg, mv, op, NULL);
                }
            } else if ((cl->state == HC_MOVED || cl->moved_to != 0) &&
                       b != NULL) {
                /* no acknowledged MOVE of it: one must have been invoked */
                bool any = false;
                for (int m = 0; m < H->n_ops && !any; m++) {
                    const struct h_op *mo = &H->ops[m];
                    any = isClientOp(mo) && mo->f == HF_MOVE &&
                          mo->id == cl->id && mo->t_inv < op->t_ret;
                }
                if (!any) {
                    snprintf(msg, sizeof msg,
                             "claim %" PRIu64 " read MOVED (moved_to %" PRIu64
                             ") but no MOVE of it was invoked before",
                             cl->id, cl->moved_to);
                    anomaly(c, "moved-without-move", op->pool, msg, op, NULL,
                            NULL);
                }
            }
        }
    }
    imapFree(&first);
    vCapacity(c);
    json_object_set_new(c->j, "moves", json_integer(vev.moves));
}

/* One attendance observation of a claim. */
struct vobs {
    uint64_t id, index;
    int att;
    const struct h_op *op;
};

static int vobsCmp(const void *a, const void *b)
{
    const struct vobs *x = a, *y = b;
    if (x->id != y->id) {
        return x->id < y->id ? -1 : 1;
    }
    return x->index < y->index ? -1 : x->index > y->index;
}

static void checkAttendance(struct check *c)
{
    struct imap ckin;
    imapInit(&ckin, 64);
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        if (!isClientOp(op) || op->f != HF_CHECKIN ||
            history_unobserved_fail(op) || op->type == H_INFO) {
            continue;
        }
        char msg[400];
        const struct vbook *b = vbGet(op->id);
        int p = vPool(op);
        uint64_t olo, ohi, clo, chi;
        bool win = vWindow(p, &olo, &ohi, &clo, &chi);
        bool own = b != NULL && b->patient != NULL &&
                   strcmp(b->patient, op->patient) == 0;
        if (op->type == H_OK) {
            vev.checkins++;
            imapPut(&ckin, op->id, i);
            if (b != NULL && b->patient != NULL && !own) {
                snprintf(msg, sizeof msg,
                         "booking %" PRIu64 " of patient %s checked in by "
                         "patient %s",
                         op->id, b->patient, op->patient);
                anomaly(c, "checkin-wrong-patient", op->pool, msg,
                        b->hold ? b->hold : b->move, op, NULL);
            }
            if (win && (op->ltime < olo || op->ltime >= chi)) {
                snprintf(msg, sizeof msg,
                         "check-in at ledger time %" PRIu64 ", outside the "
                         "window [%" PRIu64 ", %" PRIu64 ")",
                         op->ltime, olo, chi);
                anomaly(c, "checkin-outside-window", op->pool, msg, op, NULL,
                        NULL);
            }
            if (stoppedBy(p, op->ltime)) {
                snprintf(msg, sizeof msg,
                         "check-in at ledger time %" PRIu64 " after the pool "
                         "was stopped (%" PRIu64 ")",
                         op->ltime, stop_lt[p]);
                anomaly(c, "checkin-after-stop", op->pool, msg, stop_op[p], op,
                        NULL);
            }
        } else if (op->err == SLOT_PATIENT_MISMATCH) {
            vev.mismatches++;
            if (own) {
                snprintf(msg, sizeof msg,
                         "PATIENT_MISMATCH for booking %" PRIu64
                         " checked in by its own patient %s",
                         op->id, op->patient);
                anomaly(c, "mismatch-own-patient", op->pool, msg,
                        b->hold ? b->hold : b->move, op, NULL);
            }
        } else if (op->err == SLOT_CHECKIN_NOT_OPEN && win &&
                   op->ltime >= ohi) {
            snprintf(msg, sizeof msg,
                     "CHECKIN_NOT_OPEN at ledger time %" PRIu64
                     ", check-in opened by %" PRIu64,
                     op->ltime, ohi);
            anomaly(c, "refused-open", op->pool, msg, op, NULL, NULL);
        } else if (op->err == SLOT_CHECKIN_CLOSED && win && op->ltime < clo) {
            snprintf(msg, sizeof msg,
                     "CHECKIN_CLOSED at ledger time %" PRIu64
                     ", check-in closes at %" PRIu64 " at the earliest",
                     op->ltime, clo);
            anomaly(c, "refused-closed-early", op->pool, msg, op, NULL, NULL);
        }
    }
    /* Reads: attendance per claim, by index. */
    struct vobs *ob = malloc(((size_t)H->n_ops * 4 + 16) * sizeof *ob);
    size_t cap_ob = (size_t)H->n_ops * 4 + 16;
    size_t n_ob = 0;
    struct imap ns_seen;
    imapInit(&ns_seen, 64);
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        const struct h_claimv *cls[VREAD_MAX];
        int n = readClaims(op, cls, VREAD_MAX);
        for (int k = 0; k < n; k++) {
            const struct h_claimv *cl = cls[k];
            if (cl->attendance < 0 || cl->state != HC_BOOKED) {
                continue; /* attendance is a BOOKED claim's */
            }
            if (n_ob == cap_ob) {
                cap_ob *= 2;
                ob = realloc(ob, cap_ob * sizeof *ob);
            }
            ob[n_ob++] = (struct vobs){cl->id, op->index, cl->attendance, op};
            char msg[400];
            int p = claimPool(op, cl);
            uint64_t olo, ohi, clo, chi;
            bool win = vWindow(p, &olo, &ohi, &clo, &chi);
            if (cl->attendance == HA_NO_SHOW) {
                int seen = imapGet(&ns_seen, cl->id);
                if (seen < 0) {
                    vev.no_shows++;
                }
                if (seen < 0 || op->t_ret < H->ops[seen].t_ret) {
                    imapPut(&ns_seen, cl->id, i);
                }
                int ck = imapGet(&ckin, cl->id);
                if (ck >= 0) {
                    snprintf(msg, sizeof msg,
                             "booking %" PRIu64 " was checked in "
                             "(acknowledged) and is read no_show",
                             cl->id);
                    anomaly(c, "checked-in-and-no-show", cl->pool, msg,
                            &H->ops[ck], op, NULL);
                }
                if (vrules.known && !vrules.sweep) {
                    anomaly(c, "no-show-without-sweep", cl->pool,
                            "a no_show under rules that never sweep "
                            "no-shows",
                            op, NULL, NULL);
                } else if (win && op->lt_max != 0 && op->lt_max < clo) {
                    snprintf(msg, sizeof msg,
                             "booking %" PRIu64 " read no_show at ledger time "
                             "%" PRIu64 " at the latest, before check-in "
                             "closed (%" PRIu64 " at the earliest)",
                             cl->id, op->lt_max, clo);
                    anomaly(c, "early-no-show", cl->pool, msg, op, NULL, NULL);
                }
            } else if (cl->attendance == HA_CHECKED_IN && win &&
                       (cl->checked_in_at < olo || cl->checked_in_at >= chi)) {
                snprintf(msg, sizeof msg,
                         "booking %" PRIu64 " read checked in at %" PRIu64
                         ", outside the window [%" PRIu64 ", %" PRIu64 ")",
                         cl->id, cl->checked_in_at, olo, chi);
                anomaly(c, "checkin-outside-window", cl->pool, msg, op, NULL,
                        NULL);
            }
        }
    }
    /* A no-show is final: neither cancelled nor moved after a read
     * showed it (that read returned before the command was invoked). */
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        int ns = isClientOp(op) && (op->f == HF_CANCEL || op->f == HF_MOVE) &&
                         op->type == H_OK
                     ? imapGet(&ns_seen, op->id)
                     : -1;
        if (ns >= 0 && H->ops[ns].t_ret < op->t_inv) {
            char msg[300];
            snprintf(msg, sizeof msg,
                     "booking %" PRIu64 " was read no_show, then a %s of it "
                     "was acknowledged",
                     op->id, op->fname);
            anomaly(c, "no-show-undone", op->pool, msg, &H->ops[ns], op, NULL);
        }
    }
    qsort(ob, n_ob, sizeof *ob, vobsCmp);
    for (size_t a = 0; a < n_ob;) {
        size_t e = a;
        while (e < n_ob && ob[e].id == ob[a].id) {
            e++;
        }
        const struct vobs *set = NULL;     /* first non-pending read */
        const struct vobs *pend_ok = NULL; /* pending at or after I(p) */
        for (size_t k = a; k < e; k++) {
            const struct vobs *o = &ob[k];
            const struct h_claimv *cl = NULL;
            const struct h_claimv *cls[VREAD_MAX];
            int n = readClaims(o->op, cls, VREAD_MAX);
            for (int m = 0; m < n && cl == NULL; m++) {
                cl = cls[m]->id == o->id ? cls[m] : NULL;
            }
            int p = cl != NULL ? claimPool(o->op, cl) : -1;
            char msg[400];
            if (set != NULL && o->index > set->index && o->att != set->att) {
                snprintf(msg, sizeof msg,
                         "booking %" PRIu64 " read %s at index %" PRIu64
                         ", then %s at index %" PRIu64,
                         o->id,
                         set->att == HA_NO_SHOW ? "no_show" : "checked_in",
                         set->index,
                         o->att == HA_PENDING   ? "pending"
                         : o->att == HA_NO_SHOW ? "no_show"
                                                : "checked_in",
                         o->index);
                anomaly(c, "attendance-changed", o->op->pool, msg, set->op,
                        o->op, NULL);
            }
            if (set == NULL && o->att != HA_PENDING) {
                set = o;
            }
            if (o->att == HA_PENDING && p >= 0 && stop_op[p] != NULL &&
                o->index >= stop_idx[p] && pend_ok == NULL) {
                pend_ok = o;
            }
            if (o->att == HA_NO_SHOW && pend_ok != NULL &&
                o->index > pend_ok->index) {
                snprintf(msg, sizeof msg,
                         "booking %" PRIu64 " of a stopped pool read pending "
                         "at index %" PRIu64 " (after the stop), then "
                         "no_show at index %" PRIu64,
                         o->id, pend_ok->index, o->index);
                anomaly(c, "no-show-after-stop", o->op->pool, msg, pend_ok->op,
                        o->op, NULL);
            }
        }
        a = e;
    }
    free(ob);
    imapFree(&ns_seen);
    imapFree(&ckin);
    json_object_set_new(c->j, "checkins", json_integer(vev.checkins));
    json_object_set_new(c->j, "mismatches", json_integer(vev.mismatches));
    json_object_set_new(c->j, "no_shows", json_integer(vev.no_shows));
}

static void checkRefunds(struct check *c)
{
    int later = 0;
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        if (!isClientOp(op) || op->f != HF_CANCEL || !op->observed ||
            op->type == H_INFO) {
            continue;
        }
        int p = vPool(op);
        char msg[400];
        if (stoppedBy(p, op->ltime)) {
            if (op->type == H_OK) {
                vev.refunds++;
            } else if (op->err == SLOT_ALREADY_CHECKED_IN ||
                       op->err == SLOT_CANCEL_CLOSED) {
                snprintf(msg, sizeof msg,
                         "a cancel of booking %" PRIu64 " of stopped pool %s "
                         "(a refund) was refused %s",
                         op->id, pool_names[p], slot_err_name(op->err));
                anomaly(c, "refund-refused", pool_names[p], msg, stop_op[p], op,
                        NULL);
                continue;
            }
        }
        if (op->type != H_OK) {
            continue;
        }
        bool refund = stoppedBy(p, op->ltime);
        bool plain = notStoppedAt(p, op->t_ret);
        if (!refund && !plain) {
            continue;
        }
        later += plain;
        for (int k = 0; k < H->n_ops; k++) {
            const struct h_op *rd = &H->ops[k];
            if (rd->index < op->index) {
                continue;
            }
            const struct h_claimv *cls[VREAD_MAX];
            int n = readClaims(rd, cls, VREAD_MAX);
            for (int m = 0; m < n; m++) {
                const struct h_claimv *cl = cls[m];
                if (cl->id != op->id || cl->attendance < 0) {
                    continue;
                }
                if (refund && (cl->state != HC_CANCELLED || !cl->refunded)) {
                    snprintf(msg, sizeof msg,
                             "booking %" PRIu64 " cancelled at ledger time "
                             "%" PRIu64 ", after its pool %s was stopped "
                             "(%" PRIu64 "), is read %s%s at index %" PRIu64,
                             op->id, op->ltime, pool_names[p], stop_lt[p],
                             history_claim_name(cl->state),
                             cl->refunded ? "" : " and not refunded",
                             rd->index);
                    anomaly(c, "not-refunded", pool_names[p], msg, op, rd,
                            NULL);
                } else if (plain && cl->refunded) {
                    snprintf(msg, sizeof msg,
                             "booking %" PRIu64 " cancelled before any stop "
                             "of pool %s is read refunded",
                             op->id, pool_names[p]);
                    anomaly(c, "refund-without-stop", pool_names[p], msg, op,
                            rd, NULL);
                }
            }
        }
    }
    json_object_set_new(c->j, "refunds", json_integer(vev.refunds));
    json_object_set_new(c->j, "plain_cancels", json_integer(later));
}

/* The visit workload exercised the visit day: a pool stopped, a booking
 * moved, one checked in, one marked a no-show, a refund. */
static void coverVisit(struct check *c)
{
    json_t *v = json_object();
    json_object_set_new(c->j, "visit", v);
    json_object_set_new(v, "pools_stopped", json_integer(vev.stops));
    json_object_set_new(v, "moves", json_integer(vev.moves));
    json_object_set_new(v, "checkins", json_integer(vev.checkins));
    json_object_set_new(v, "mismatches", json_integer(vev.mismatches));
    json_object_set_new(v, "no_shows", json_integer(vev.no_shows));
    json_object_set_new(v, "refunds", json_integer(vev.refunds));
    if (vev.stops == 0) {
        unknown(c, "no pool was certainly stopped (stoppage untested)");
    }
    if (vev.moves == 0) {
        unknown(c, "no MOVE was acknowledged (moves untested)");
    }
    if (vev.checkins == 0) {
        unknown(c, "no CHECKIN was acknowledged (check-in untested)");
    }
    if (vev.no_shows == 0) {
        unknown(c, "no booking was read no_show (the no-show sweep "
                   "untested)");
    }
    if (vev.refunds == 0) {
        unknown(c, "no refund cancel was acknowledged (refunds untested)");
    }
}

/* ---- coverage: the floor under every verdict
 * ----------------------------------------------- A history proves nothing
 * about the cluster when nothing succeeded, when the final phase (where lost
 * bookings and diverged replicas show) is missing, or when a fault that was
 * asked for never happened: each is `unknown`, never `valid`. */

/* The nemesis kinds, as jepsen-client names them (its fault_names). */
static const char *const fault_kinds[] = {"partition-leader",
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
#define N_KINDS        ((int)(sizeof fault_kinds / sizeof fault_kinds[0]))
#define PARTITION_MASK 0x1fu /* "partition": the five partition-* kinds */
#define ITEMS_MAX      16

static int kindOf(const char *name)
{
    for (int k = 0; k < N_KINDS; k++) {
        if (strcmp(name, fault_kinds[k]) == 0) {
            return k;
        }
    }
    return -1;
}

/* Splits a --nemesis list into items ("none" dropped) and the kinds each
 * stands for. Returns the number of items, or -1 for an unknown one. */
static int nemesisItems(const char *list, char (*items)[32], uint32_t *masks)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t && n < ITEMS_MAX;
         t = strtok_r(NULL, ",", &save)) {
        uint32_t m = 0;
        if (strcmp(t, "none") == 0) {
            continue;
        } else if (strcmp(t, "all") == 0) {
            m = (1u << N_KINDS) - 1;
        } else if (strcmp(t, "partition") == 0) {
            m = PARTITION_MASK;
        } else if (kindOf(t) >= 0) {
            m = 1u << kindOf(t);
        } else {
            return -1;
        }
        snprintf(items[n], 32, "%s", t);
        masks[n++] = m;
    }
    return n;
}

static uint32_t maskUnion(const uint32_t *masks, int n)
{
    uint32_t u = 0;
    for (int i = 0; i < n; i++) {
        u |= masks[i];
    }
    return u;
}

/* Every node has a final status, and every pool the run used was read at
 * the end through the leader and on every voter. */
static void coverFinal(struct check *c, int plan_nodes)
{
    bool seen[17] = {false}, member[17] = {false};
    int max_node = 0;
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        if (op->process < 0 || op->f != HF_STATUS || !op->final) {
            continue;
        }
        json_t *v = json_object_get(op->inv, "value");
        json_int_t k = json_integer_value(json_object_get(v, "node"));
        if (k >= 1 && k <= 16) {
            seen[k] = true;
            member[k] = !json_is_false(json_object_get(v, "member"));
            max_node = k > max_node ? (int)k : max_node;
        }
    }
    int n = plan_nodes > 0 && plan_nodes <= 16 ? plan_nodes : max_node;
    json_object_set_new(c->j, "nodes", json_integer(n));
    if (n == 0) {
        unknown(c, "no final phase: no node's final status in the history");
        return;
    }
    int voters = 0;
    for (int k = 1; k <= n; k++) {
        voters += seen[k] && member[k];
        if (!seen[k]) {
            char why[96];
            snprintf(why, sizeof why,
                     "node %d has no final status (final phase incomplete)", k);
            unknown(c, why);
        }
    }
    /* Pools the client used: an operation the ledger accepted, or a create
     * it found done already (the client then uses the pool too). */
    bool *used = calloc((size_t)n_pool_names + 1, sizeof *used);
    bool *lin = calloc((size_t)n_pool_names + 1, sizeof *lin);
    uint32_t *on = calloc((size_t)n_pool_names + 1, sizeof *on);
    char nodes[16][H_STR_MAX];
    int n_nodes = 0;
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        int p = isClientOp(op) ? poolIndex(op->pool) : -1;
        if (p < 0) {
            continue;
        }
        if (!op->final) {
            used[p] = used[p] || op->type == H_OK ||
                      (op->f == HF_CREATE && op->type == H_FAIL &&
                       op->err == SLOT_POOL_EXISTS);
        } else if (op->f == HF_READ_POOL && !op->stale) {
            lin[p] = true;
        } else if (op->f == HF_READ_POOL) {
            int nd = nodeOf(op, nodes, &n_nodes);
            on[p] |= nd >= 0 ? 1u << nd : 0;
        }
    }
    int checked = 0;
    for (int p = 0; p < n_pool_names; p++) {
        if (!used[p]) {
            continue;
        }
        checked++;
        int read_on = __builtin_popcount(on[p]);
        if (!lin[p] || read_on < voters) {
            char why[200];
            snprintf(why, sizeof why,
                     "pool %s: %s, read on %d of %d voters at the end (final "
                     "phase incomplete)",
                     pool_names[p],
                     lin[p] ? "read through the leader"
                            : "no final read through the leader",
                     read_on, voters);
            unknown(c, why);
        }
    }
    json_object_set_new(c->j, "voters", json_integer(voters));
    json_object_set_new(c->j, "pools_read_at_end", json_integer(checked));
    free(used);
    free(lin);
    free(on);
}

/* Every item of the request acted at least once: a start whose completion
 * says "acted" (the history's record of what the nemesis did). */
static void coverNemesis(struct check *c, const struct h_op *plan)
{
    json_t *pv = plan != NULL ? json_object_get(plan->ret, "value") : NULL;
    const char *planned = json_string_value(json_object_get(pv, "nemesis"));
    const char *req = opt.nemesis       ? opt.nemesis
                      : planned != NULL ? planned
                                        : "none";
    char items[ITEMS_MAX][32], pitems[ITEMS_MAX][32];
    uint32_t masks[ITEMS_MAX], pmasks[ITEMS_MAX];
    int n = nemesisItems(req, items, masks);
    json_t *nj = json_object();
    json_object_set_new(c->j, "nemesis", nj);
    json_object_set_new(nj, "request", json_string(req));
    if (n < 0) {
        unknown(c, "the nemesis request names an unknown fault");
        return;
    }
    if (opt.nemesis != NULL && n > 0 && plan == NULL) {
        unknown(c, "the history has no plan line: which nemesis ran is "
                   "unknown");
    } else if (opt.nemesis != NULL && plan != NULL) {
        int pn = planned != NULL ? nemesisItems(planned, pitems, pmasks) : -1;
        if (pn < 0 || maskUnion(pmasks, pn) != maskUnion(masks, n)) {
            char why[400];
            snprintf(why, sizeof why,
                     "the history's plan (nemesis %s) is not what the test "
                     "asked for (%s)",
                     planned != NULL ? planned : "?", req);
            unknown(c, why);
        }
    }
    int acted[N_KINDS] = {0}, failed[N_KINDS] = {0};
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        int k = op->process < 0 && op->nem_start ? kindOf(op->fault) : -1;
        if (k >= 0) {
            acted[k] += op->nem_acted;
            failed[k] += !op->nem_acted;
        }
    }
    json_t *kj = json_object();
    for (int k = 0; k < N_KINDS; k++) {
        if (acted[k] + failed[k] > 0) {
            json_t *o = json_object();
            json_object_set_new(o, "acted", json_integer(acted[k]));
            json_object_set_new(o, "failed", json_integer(failed[k]));
            json_object_set_new(kj, fault_kinds[k], o);
        }
    }
    json_object_set_new(nj, "kinds", kj);
    json_t *ij = json_object();
    for (int i = 0; i < n; i++) {
        int a = 0, f = 0;
        for (int k = 0; k < N_KINDS; k++) {
            if (masks[i] & (1u << k)) {
                a += acted[k];
                f += failed[k];
            }
        }
        json_object_set_new(ij, items[i], json_integer(a));
        if (a == 0) {
            char why[160];
            snprintf(why, sizeof why,
                     "nemesis %.32s was asked for but never acted (%d attempts "
                     "failed)",
                     items[i], f);
            unknown(c, why);
        }
    }
    json_object_set_new(nj, "acted", ij);
}

/* Scheduled pools: the channel rules and flow-back were exercised (a
 * claim took a group's share, the remainder refused a channel while it
 * had room, a pool flowed back). */
static void coverSched(struct check *c, bool planned)
{
    for (int p = 0; p < n_pool_names; p++) {
        ev.sched = ev.sched || pool_place[p] != NULL;
    }
    if (!ev.sched && !planned) {
        return;
    }
    json_t *sj = json_object();
    json_object_set_new(c->j, "sched", sj);
    json_object_set_new(sj, "group_holds", json_integer(ev.group_holds));
    json_object_set_new(sj, "remainder_refusals",
                        json_integer(ev.rem_refusals));
    json_object_set_new(sj, "pools_flowed", json_integer(ev.pools_flowed));
    json_object_set_new(sj, "flows_with_claims",
                        json_integer(ev.flows_claimed));
    if (!ev.sched) {
        unknown(c, "the plan says the workload makes scheduled pools, but "
                   "none was created");
        return;
    }
    if (ev.group_holds == 0) {
        unknown(c, "no claim was read in a group's share (channel groups "
                   "untested)");
    }
    if (ev.rem_refusals == 0) {
        unknown(c, "no hold was refused by the remainder's restriction "
                   "while it had room (protected remainder untested)");
    }
    if (ev.pools_flowed == 0) {
        unknown(c, "no pool was seen flowed back (flow-back untested)");
    }
}

static void checkCoverage(struct check *c)
{
    int invoked = 0, ok = 0;
    const struct h_op *plan = NULL;
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        if (isClientOp(op) && !op->final && op->pool[0]) {
            invoked++;
            ok += op->type == H_OK;
        }
        if (plan == NULL && op->process < 0 && strcmp(op->fname, "plan") == 0) {
            plan = op;
        }
    }
    json_object_set_new(c->j, "client_ok", json_integer(ok));
    if (ok == 0) {
        char why[128];
        snprintf(why, sizeof why,
                 "no client operation succeeded (%d invoked): nothing was "
                 "tested",
                 invoked);
        unknown(c, why);
    }
    json_t *pv = plan != NULL ? json_object_get(plan->ret, "value") : NULL;
    coverFinal(c, (int)json_integer_value(json_object_get(pv, "nodes")));
    coverNemesis(c, plan);
    if (quotas_mode) {
        coverQuotas(c, json_is_true(json_object_get(pv, "waitlist")));
    } else if (visit_mode) {
        coverVisit(c);
    } else {
        coverSched(c, json_is_true(json_object_get(pv, "sched")));
    }
}

/* ---- counter ------------------------------------------------------------- */

static int u64cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Number of values in sorted a[0..n) below x. */
static int below(const uint64_t *a, int n, uint64_t x)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (a[mid] < x) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

static void checkCounter(struct check *c)
{
    uint64_t *ok_ret = malloc(((size_t)H->n_ops + 1) * 8);
    uint64_t *any_inv = malloc(((size_t)H->n_ops + 1) * 8);
    int n_ok = 0, n_any = 0, reads = 0;
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        if (op->f != HF_HOLD || !isClientOp(op)) {
            continue;
        }
        if (op->type == H_OK) {
            ok_ret[n_ok++] = op->t_ret;
        }
        if (op->type == H_OK || op->type == H_INFO) {
            any_inv[n_any++] = op->t_inv;
        }
    }
    qsort(ok_ret, (size_t)n_ok, 8, u64cmp);
    qsort(any_inv, (size_t)n_any, 8, u64cmp);
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        if (op->f != HF_READ_POOL || op->type != H_OK || !op->has_counts ||
            (op->stale && !op->final)) {
            continue;
        }
        reads++;
        uint64_t v = (uint64_t)op->r_held + op->r_booked;
        int lo = below(ok_ret, n_ok, op->t_inv);
        int hi = below(any_inv, n_any, op->t_ret);
        if (v < (uint64_t)lo || v > (uint64_t)hi) {
            char msg[200];
            snprintf(msg, sizeof msg,
                     "read %" PRIu64
                     ", but between %d and %d adds could be seen",
                     v, lo, hi);
            anomaly(c, "counter-bounds", op->pool, msg, op, NULL, NULL);
        }
    }
    free(ok_ret);
    free(any_inv);
    json_object_set_new(c->j, "reads", json_integer(reads));
    json_object_set_new(c->j, "adds_ok", json_integer(n_ok));
}

/* ---- outputs ------------------------------------------------------------- */

/* ---- feed ----------------------------------------------------------------
 * The event feed (ledger.h, "The event feed"), judged from what the
 * follower (process FEED_PROC) and the final phase read of it (f
 * read_events, history.h) and from the operations' certain outcomes.
 *
 * Pages: each ok page starts right after its cursor (at max(after + 1,
 * first)) with consecutive seqs, no more than limit, none past last; a
 * short page ends at last; no event of a page is past the serving node's
 * applied index (`page`). The same seq read twice (two nodes, a re-read,
 * the final read) is the same event (`differs`). The follower's seqs are
 * gap-free from 1 (a CURSOR_EXPIRED answer explains a gap up to its
 * first) (`gap`). Over every seq read: the Raft index and the ledger time
 * never decrease, and the events of one index have one time (`order`).
 * The final feed (read through the leader from seq 0 to a short page)
 * holds every seq the follower read (`not-in-final`). A MALFORMED page (a
 * hole the client library caught) is `page` too.
 *
 * Then, if the final feed is complete from seq 1 (else `unknown`):
 * every acknowledged HOLD has exactly one HELD of its id, with its pool,
 * patient, channel, deadline (a), ledger time and the account it named
 * (accepted: the patient is bound to it), at an index no later
 * than the answer's (a session replay answers at a later entry); every
 * acknowledged CONFIRM one BOOKED (pool, visit_no, ledger time); RELEASE
 * one RELEASED, CANCEL one CANCELLED, CHECKIN one CHECKED_IN (visit_no);
 * MOVE one MOVED (a = the new id) followed in the same entry by the new
 * booking's BOOKED in the target pool, with the old booking's patient;
 * POOL_STOP one POOL_STOPPED (a, b = its bookings and holds); a create
 * one POOL_CREATED; a rules operation one RULES_CHANGED of its hospital
 * and version (`missing`, `mismatch`). No claim has two events of one
 * kind (`duplicate`), nor a pool two POOL_CREATED, POOL_STOPPED or
 * FLOWED_BACK. No event of an operation that certainly did not happen
 * (`unexplained`): a BOOKED, RELEASED, CANCELLED, MOVED or CHECKED_IN of
 * a claim without an acknowledged or unknown-outcome operation of that
 * kind on it (a BOOKED right after the MOVED that names it is the move's);
 * HELD events of ids no acknowledged HOLD got, more per (pool, patient)
 * than that pair's HOLDs of unknown outcome; a POOL_STOPPED, POOL_CREATED,
 * RULES_CHANGED (per hospital) or CONFIG_CHANGED beyond the acknowledged
 * and unknown operations; WAIT_JOINED / WAIT_LEFT per (pool, patient)
 * between the acknowledged joins (leaves) and those plus the unknown
 * ones. And each claim's events follow its life (`lifecycle`): HELD or
 * OFFERED first, BOOKED from held before the deadline (or a move's new
 * booking), RELEASED from held, EXPIRED from held at or after the
 * deadline, CANCELLED and MOVED from booked, CHECKED_IN and NO_SHOW from
 * a booked claim not marked yet, nothing after an end; one pool and
 * patient throughout.
 *
 * Unknown when the follower read nothing (in a history whose plan says
 * "feed", or that has feed reads; older histories skip the check). */

#define FEED_PROC 98000

/* The event types are the ledger's (slot_proto.h): the checker reads the
 * names the client wrote, through slot_event_name. */
#define EV_TYPES (SLOT_EV_MAX + 1)

struct fev {
    uint64_t seq, index, time, claim, a, b;
    int type;
    const char *pool, *patient, *channel, *account, *hospital;
    /* protocol 5 (has_money): the claim's payment right after the event
     * and the event's local day */
    bool has_money;
    uint64_t fee;
    const char *payref, *method;
    uint32_t local_day;
    const struct h_op *op; /* the page it was read in */
    bool final;
};

static const char *jstr(json_t *a, size_t i)
{
    json_t *v = json_array_get(a, i);
    return json_is_string(v) ? json_string_value(v) : "";
}

static uint64_t jnum(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (uint64_t)json_integer_value(v) : 0;
}

static bool fevParse(json_t *a, const struct h_op *op, struct fev *e)
{
    if (!json_is_array(a) || json_array_size(a) < 10) {
        return false;
    }
    e->seq = (uint64_t)json_integer_value(json_array_get(a, 0));
    e->index = (uint64_t)json_integer_value(json_array_get(a, 1));
    e->time = (uint64_t)json_integer_value(json_array_get(a, 2));
    e->type = (int)json_integer_value(json_array_get(a, 3));
    e->claim = (uint64_t)json_integer_value(json_array_get(a, 4));
    e->pool = jstr(a, 5);
    e->patient = jstr(a, 6);
    e->channel = jstr(a, 7);
    e->a = (uint64_t)json_integer_value(json_array_get(a, 8));
    e->b = (uint64_t)json_integer_value(json_array_get(a, 9));
    e->account = jstr(a, 10);
    e->hospital = jstr(a, 11);
    /* protocol 5 appends fee_cents, payment_ref, pay_method, local_day
     * (after account and hospital, then always written) */
    e->has_money = json_array_size(a) >= 16;
    e->fee = (uint64_t)json_integer_value(json_array_get(a, 12));
    e->payref = jstr(a, 13);
    e->method = jstr(a, 14);
    e->local_day = (uint32_t)json_integer_value(json_array_get(a, 15));
    e->op = op;
    e->final = op->final;
    return true;
}

static bool fevSame(const struct fev *x, const struct fev *y)
{
    return x->seq == y->seq && x->index == y->index && x->time == y->time &&
           x->type == y->type && x->claim == y->claim && x->a == y->a &&
           x->b == y->b && strcmp(x->pool, y->pool) == 0 &&
           strcmp(x->patient, y->patient) == 0 &&
           strcmp(x->channel, y->channel) == 0 &&
           strcmp(x->account, y->account) == 0 &&
           strcmp(x->hospital, y->hospital) == 0 &&
           x->has_money == y->has_money && x->fee == y->fee &&
           x->local_day == y->local_day && strcmp(x->payref, y->payref) == 0 &&
           strcmp(x->method, y->method) == 0;
}

static const char *evName(int t)
{
    return t > 0 && t < EV_TYPES ? slot_event_name(t) : "?";
}

/* Anomalies of the feed check, counted per type in results.json. */
static json_t *feed_types;

static void fAnomaly(struct check *c, const char *type, const char *pool,
                     const char *msg, const struct h_op *a,
                     const struct h_op *b, const struct h_op *d)
{
    if (feed_types == NULL) {
        feed_types = json_object();
    }
    json_t *n = json_object_get(feed_types, type);
    json_object_set_new(feed_types, type,
                        json_integer(n ? json_integer_value(n) + 1 : 1));
    anomaly(c, type, pool, msg, a, b, d);
}

/* An anomaly about one event (and the operation it belongs to). */
static void evAnomaly(struct check *c, const char *type, const struct fev *e,
                      const struct h_op *op, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void evAnomaly(struct check *c, const char *type, const struct fev *e,
                      const struct h_op *op, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (e != NULL && k > 0 && (size_t)k < sizeof msg) {
        snprintf(msg + k, sizeof msg - (size_t)k,
                 " [event seq %" PRIu64 " %s claim %" PRIu64 " index %" PRIu64
                 " time %" PRIu64 " a %" PRIu64 " b %" PRIu64 "]",
                 e->seq, evName(e->type), e->claim, e->index, e->time, e->a,
                 e->b);
    }
    fAnomaly(c, type,
             e != NULL    ? e->pool
             : op != NULL ? op->pool
                          : NULL,
             msg, op, e != NULL ? e->op : NULL, NULL);
}

static struct fev *fevs;
static int n_fevs, cap_fevs;

/* What the feed check leaves to the recon check: the distinct events in
 * seq order when the final feed was read to its end from seq 1 (else
 * NULL), its last seq, and its last (short) page. */
static const struct fev **feed_final;
static int n_feed_final;
static uint64_t feed_final_max;
static const struct h_op *feed_final_page;

static void fevPush(const struct fev *e)
{
    if (n_fevs == cap_fevs) {
        cap_fevs = cap_fevs ? 2 * cap_fevs : 4096;
        fevs = realloc(fevs, (size_t)cap_fevs * sizeof *fevs);
        if (fevs == NULL) {
            abort();
        }
    }
    fevs[n_fevs++] = *e;
}

/* One page's own facts; its events into fevs. */
static void feedPage(struct check *c, const struct h_op *op)
{
    if (op->type == H_FAIL && op->err == SLOT_MALFORMED) {
        evAnomaly(c, "page", NULL, op,
                  "a page the client library refused (a hole, or not right "
                  "after the cursor)");
    }
    if (op->type != H_OK) {
        return;
    }
    json_t *iv = json_object_get(op->inv, "value");
    json_t *rv = json_object_get(op->ret, "value");
    uint64_t after = jnum(iv, "after"), limit = jnum(iv, "limit");
    uint64_t first = jnum(rv, "first"), last = jnum(rv, "last");
    json_t *evs = json_object_get(rv, "events");
    size_t n = json_array_size(evs);
    uint64_t want = after + 1 > first ? after + 1 : first;
    if (n > limit) {
        evAnomaly(c, "page", NULL, op, "%zu events, more than the limit", n);
    }
    for (size_t i = 0; i < n; i++) {
        struct fev e;
        if (!fevParse(json_array_get(evs, i), op, &e)) {
            evAnomaly(c, "page", NULL, op, "an event not understood");
            return;
        }
        if (e.seq != want + i) {
            evAnomaly(c, "page", &e, op,
                      "page after %" PRIu64 " (first %" PRIu64 "): seq %" PRIu64
                      " expected",
                      after, first, want + i);
        }
        if (e.seq > last) {
            evAnomaly(c, "page", &e, op, "seq past the page's last %" PRIu64,
                      last);
        }
        if (op->observed && e.index > op->index) {
            evAnomaly(
                c, "page", &e, op,
                "event of an entry past the node's applied index %" PRIu64,
                op->index);
        }
        fevPush(&e);
    }
    if (n < limit && last >= want && (n == 0 || want + n - 1 != last)) {
        evAnomaly(c, "page", NULL, op,
                  "a short page (%zu of %" PRIu64
                  ") that stops before last %" PRIu64,
                  n, limit, last);
    }
}

struct fcl {
    int ev[EV_TYPES]; /* first event (index into dist) of each kind, -1 */
    uint8_t n[EV_TYPES];
    uint8_t ok[6], maybe[6]; /* operations on it: FK_* below */
    int ok_op[6];
    /* its life */
    uint8_t st, att;
    uint64_t deadline;
    const char *pool, *patient;
};

enum { FK_HOLD, FK_CONFIRM, FK_RELEASE, FK_CANCEL, FK_MOVE, FK_CHECKIN };

static struct fcl *fcls;
static int n_fcls, cap_fcls;
static struct imap fcl_of;

static struct fcl *fclGet(uint64_t claim)
{
    int i = imapGet(&fcl_of, claim);
    if (i >= 0) {
        return &fcls[i];
    }
    if (n_fcls == cap_fcls) {
        cap_fcls = cap_fcls ? 2 * cap_fcls : 4096;
        fcls = realloc(fcls, (size_t)cap_fcls * sizeof *fcls);
        if (fcls == NULL) {
            abort();
        }
    }
    struct fcl *r = &fcls[n_fcls];
    memset(r, 0, sizeof *r);
    for (int t = 0; t < EV_TYPES; t++) {
        r->ev[t] = -1;
    }
    imapPut(&fcl_of, claim, n_fcls++);
    return r;
}

static int fevBySeq(const void *a, const void *b)
{
    const struct fev *x = *(const struct fev *const *)a,
                     *y = *(const struct fev *const *)b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Counts per string key (hashed) in an imap: +1. */
static void keyInc(struct imap *m, uint64_t key)
{
    int v = imapGet(m, key);
    imapPut(m, key, v < 0 ? 1 : v + 1);
}

static int keyGet(const struct imap *m, uint64_t key)
{
    int v = imapGet(m, key);
    return v < 0 ? 0 : v;
}

static uint64_t key2(const char *x, const char *y)
{
    return fnv(y, fnv("\x01", fnv(x, 14695981039346656037ull)));
}

static bool claimKind(int t)
{
    return t >= SLOT_EV_HELD && t <= SLOT_EV_NO_SHOW;
}

/* A claim's events in seq order against its life. */
static void feedLife(struct check *c, struct fcl *r, const struct fev *e,
                     const struct fev *prev)
{
    enum { L_NONE, L_HELD, L_BOOKED, L_END };
    if (r->pool == NULL) {
        r->pool = e->pool;
        r->patient = e->patient;
    } else if (strcmp(r->pool, e->pool) != 0 ||
               strcmp(r->patient, e->patient) != 0) {
        evAnomaly(c, "lifecycle", e, NULL,
                  "claim's pool / patient changed (was %s / %s)", r->pool,
                  r->patient);
    }
    const char *bad = NULL;
    switch (e->type) {
        case SLOT_EV_HELD:
        case SLOT_EV_OFFERED:
            if (r->st != L_NONE) {
                bad = "held twice";
            }
            r->st = L_HELD;
            r->deadline = e->a;
            break;
        case SLOT_EV_BOOKED: {
            bool moved = prev != NULL && prev->type == SLOT_EV_MOVED &&
                         prev->a == e->claim && prev->index == e->index;
            if (moved ? r->st != L_NONE : r->st != L_HELD) {
                bad = "booked while not held";
            } else if (!moved && e->time >= r->deadline) {
                bad = "booked at or after its deadline";
            }
            r->st = L_BOOKED;
            break;
        }
        case SLOT_EV_RELEASED:
        case SLOT_EV_EXPIRED:
            if (r->st != L_HELD) {
                bad = "ended while not held";
            } else if (e->type == SLOT_EV_EXPIRED && e->time < r->deadline) {
                bad = "expired before its deadline";
            }
            r->st = L_END;
            break;
        case SLOT_EV_CANCELLED:
        case SLOT_EV_MOVED:
            if (r->st != L_BOOKED) {
                bad = "cancelled or moved while not booked";
            }
            r->st = L_END;
            break;
        case SLOT_EV_CHECKED_IN:
        case SLOT_EV_NO_SHOW:
            if (r->st != L_BOOKED || r->att != 0) {
                bad = "checked in / no-show while not a pending booking";
            }
            r->att = e->type == SLOT_EV_CHECKED_IN ? 1 : 2;
            break;
        default:
            break;
    }
    if (bad != NULL) {
        evAnomaly(c, "lifecycle", e, NULL, "%s", bad);
    }
}

static void checkFeed(struct check *c)
{
    bool planned = false;
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        if (op->process < 0 && strcmp(op->fname, "plan") == 0) {
            planned = json_is_true(
                json_object_get(json_object_get(op->ret, "value"), "feed"));
            break;
        }
    }
    int pages = 0, fpages = 0, stale_pages = 0, errors = 0;
    const struct h_op *final_last = NULL;
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        if (op->f != HF_READ_EVENTS || op->process < 0) {
            continue;
        }
        feedPage(c, op);
        if (op->final) {
            final_last = op;
            fpages++;
        } else {
            pages++;
            stale_pages += op->stale;
            errors += op->type != H_OK;
        }
    }
    json_object_set_new(c->j, "pages", json_integer(pages));
    json_object_set_new(c->j, "stale_pages", json_integer(stale_pages));
    json_object_set_new(c->j, "errors", json_integer(errors));
    json_object_set_new(c->j, "final_pages", json_integer(fpages));
    if (!planned && pages + fpages == 0) {
        json_object_set_new(c->j, "skipped",
                            json_string("no feed follower in this history"));
        return;
    }
    /* Distinct seqs: the first read of each; every other read of it must
     * be the same event. */
    struct imap by_seq;
    imapInit(&by_seq, (size_t)n_fevs);
    const struct fev **dist = malloc(((size_t)n_fevs + 1) * sizeof *dist);
    int n_dist = 0, twice = 0, fol = 0;
    uint64_t fin_min = UINT64_MAX, fin_max = 0, fol_max = 0;
    int fin_n = 0;
    for (int i = 0; i < n_fevs; i++) {
        const struct fev *e = &fevs[i];
        int k = imapGet(&by_seq, e->seq);
        if (k < 0) {
            imapPut(&by_seq, e->seq, i);
            dist[n_dist++] = e;
        } else {
            twice += !e->final;
            if (!fevSame(&fevs[k], e)) {
                evAnomaly(c, "differs", e, fevs[k].op,
                          "seq read twice, two different events (the other: "
                          "%s claim %" PRIu64 " index %" PRIu64 ")",
                          evName(fevs[k].type), fevs[k].claim, fevs[k].index);
            }
        }
        if (!e->final) {
            fol++;
            fol_max = e->seq > fol_max ? e->seq : fol_max;
        }
    }
    /* The final feed's own seqs: contiguous from fin_min? */
    struct imap fin_seen;
    imapInit(&fin_seen, (size_t)n_fevs);
    for (int i = 0; i < n_fevs; i++) {
        const struct fev *e = &fevs[i];
        if (e->final && imapGet(&fin_seen, e->seq) < 0) {
            imapPut(&fin_seen, e->seq, i);
            fin_n++;
            fin_min = e->seq < fin_min ? e->seq : fin_min;
            fin_max = e->seq > fin_max ? e->seq : fin_max;
        }
    }
    qsort(dist, (size_t)n_dist, sizeof *dist, fevBySeq);
    json_object_set_new(c->j, "events_read", json_integer(fol));
    json_object_set_new(c->j, "follower_rereads", json_integer(twice));
    json_object_set_new(c->j, "follower_last",
                        json_integer((json_int_t)fol_max));
    json_object_set_new(c->j, "final_last", json_integer((json_int_t)fin_max));
    /* The follower's seqs: gap-free from 1, but for CURSOR_EXPIRED. */
    uint64_t prev_seq = 0;
    {
        /* distinct follower seqs, sorted */
        uint64_t *fs = malloc(((size_t)fol + 1) * sizeof *fs);
        int nf = 0;
        for (int i = 0; i < n_fevs; i++) {
            if (!fevs[i].final) {
                fs[nf++] = fevs[i].seq;
            }
        }
        qsort(fs, (size_t)nf, sizeof *fs, u64cmp);
        for (int i = 0; i < nf; i++) {
            if (i > 0 && fs[i] == fs[i - 1]) {
                continue;
            }
            if (fs[i] > prev_seq + 1) {
                bool expired = false;
                for (int k = 0; k < H->n_ops && !expired; k++) {
                    const struct h_op *op = &H->ops[k];
                    if (op->f == HF_READ_EVENTS && !op->final &&
                        op->err == SLOT_CURSOR_EXPIRED) {
                        json_t *iv = json_object_get(op->inv, "value");
                        json_t *rv = json_object_get(op->ret, "value");
                        expired = jnum(iv, "after") < fs[i] &&
                                  fs[i] <= jnum(rv, "first");
                    }
                }
                if (!expired) {
                    char msg[160];
                    snprintf(msg, sizeof msg,
                             "the follower read seq %" PRIu64
                             " but none of %" PRIu64 "..%" PRIu64,
                             fs[i], prev_seq + 1, fs[i] - 1);
                    fAnomaly(c, "gap", NULL, msg, NULL, NULL, NULL);
                }
            }
            prev_seq = fs[i];
        }
        free(fs);
    }
    /* Index and time never go back with seq. */
    for (int i = 1; i < n_dist; i++) {
        const struct fev *p = dist[i - 1], *e = dist[i];
        if (e->index < p->index || e->time < p->time ||
            (e->index == p->index && e->time != p->time)) {
            evAnomaly(c, "order", e, p->op,
                      "after seq %" PRIu64 " (index %" PRIu64 " time %" PRIu64
                      ")",
                      p->seq, p->index, p->time);
        }
    }
    bool complete =
        final_last != NULL && final_last->type == H_OK &&
        json_array_size(json_object_get(
            json_object_get(final_last->ret, "value"), "events")) <
            jnum(json_object_get(final_last->inv, "value"), "limit") &&
        (fin_n == 0 || (uint64_t)fin_n == fin_max - fin_min + 1);
    if (complete) {
        for (int i = 0; i < n_fevs; i++) {
            const struct fev *e = &fevs[i];
            if (!e->final && e->seq > fin_max) {
                evAnomaly(
                    c, "not-in-final", e, NULL,
                    "the follower read it; the final feed ends at %" PRIu64,
                    fin_max);
                break;
            }
        }
    }
    if (fol == 0) {
        unknown(c, "the follower read no event");
    }
    if (!complete) {
        unknown(c, "the final feed was not read to its end");
    } else if (fin_n > 0 && fin_min != 1) {
        unknown(c, "the final feed does not start at seq 1 (window)");
        complete = false;
    }
    if (!complete) {
        if (feed_types != NULL) {
            json_object_set_new(c->j, "anomaly_types", feed_types);
            feed_types = NULL;
        }
        imapFree(&by_seq);
        imapFree(&fin_seen);
        free(dist);
        free(fevs);
        fevs = NULL;
        return;
    }
    /* Every page's window and newest seq against the final feed: a
     * replica's feed at applied index I is the same on every node, holds
     * seq 1 still (the final feed does, and the window only moves on) and
     * ends at the last event of an entry <= I. (A page whose index is
     * past the final feed's last entry is not judged.) */
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        if (op->f != HF_READ_EVENTS || op->process < 0 ||
            (op->type != H_OK && op->err != SLOT_CURSOR_EXPIRED)) {
            continue;
        }
        json_t *rv = json_object_get(op->ret, "value");
        uint64_t first = jnum(rv, "first"), last = jnum(rv, "last");
        if (first > 1) {
            evAnomaly(c, "window", NULL, op,
                      "the page's window starts at seq %" PRIu64
                      ", the final feed still holds seq 1%s",
                      first,
                      op->err == SLOT_CURSOR_EXPIRED ? " (CURSOR_EXPIRED)"
                                                     : "");
        }
        if (!op->observed || n_dist == 0 ||
            op->index >= dist[n_dist - 1]->index) {
            continue;
        }
        /* the largest seq of an entry <= op->index (dist: seq order, and
         * index never decreases with it) */
        int lo = 0, hi = n_dist; /* first with index > op->index */
        while (lo < hi) {
            int mid = (lo + hi) / 2;
            if (dist[mid]->index <= op->index) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        uint64_t want = lo > 0 ? dist[lo - 1]->seq : 0;
        if (last != want) {
            evAnomaly(c, "page", NULL, op,
                      "last %" PRIu64 " at applied index %" PRIu64
                      ": the final feed's last seq by then is %" PRIu64,
                      last, op->index, want);
        }
    }
    /* Operations by claim, pool, key. */
    imapInit(&fcl_of, (size_t)n_dist / 2 + 16);
    struct imap ok_key, maybe_key, ev_key, held_key;
    imapInit(&ok_key, 64);
    imapInit(&maybe_key, 64);
    imapInit(&ev_key, 64);
    imapInit(&held_key, 64);
    /* per pool: creates and stops acknowledged / unknown, and events */
    int np = n_pool_names + 1;
    int *pcnt = calloc((size_t)np * 7, sizeof *pcnt);
    int *pc_ok = pcnt, *pc_maybe = pcnt + np, *ps_ok = pcnt + 2 * np,
        *ps_maybe = pcnt + 3 * np, *p_created = pcnt + 4 * np,
        *p_stopped = pcnt + 5 * np, *p_flowed = pcnt + 6 * np;
    int cfg_ok = 0, cfg_maybe = 0, cfg_ev = 0;
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        if (op->process < 0 || op->final || op->f == HF_READ_EVENTS) {
            continue;
        }
        bool ok = op->type == H_OK, maybe = op->type == H_INFO;
        if (!ok && !maybe) {
            continue;
        }
        int kind = op->f == HF_HOLD      ? FK_HOLD
                   : op->f == HF_CONFIRM ? FK_CONFIRM
                   : op->f == HF_RELEASE ? FK_RELEASE
                   : op->f == HF_CANCEL  ? FK_CANCEL
                   : op->f == HF_MOVE    ? FK_MOVE
                   : op->f == HF_CHECKIN ? FK_CHECKIN
                                         : -1;
        if (kind == FK_HOLD) {
            if (ok) {
                struct fcl *r = fclGet(op->hold_id);
                r->ok[kind]++;
                r->ok_op[kind] = i;
            } else {
                keyInc(&maybe_key, key2(op->pool, op->patient));
            }
        } else if (kind >= 0) {
            struct fcl *r = fclGet(op->id);
            if (ok) {
                r->ok[kind]++;
                r->ok_op[kind] = i;
            } else {
                r->maybe[kind]++;
            }
        }
        int p = poolIndex(op->pool);
        if (op->f == HF_CREATE && p >= 0) {
            (ok ? pc_ok : pc_maybe)[p]++;
        } else if (op->f == HF_STOP && p >= 0) {
            (ok ? ps_ok : ps_maybe)[p]++;
        } else if (op->f == HF_JOIN || op->f == HF_LEAVE) {
            uint64_t k = key2(op->pool, op->patient) + (op->f == HF_LEAVE);
            keyInc(ok ? &ok_key : &maybe_key, k);
        } else if (op->f == HF_RULES && op->sched != NULL) {
            keyInc(ok ? &ok_key : &maybe_key,
                   key2("rules", op->sched->hospital));
        } else if (op->f == HF_CONFIG) {
            cfg_ok += ok;
            cfg_maybe += maybe;
        }
    }
    /* The feed, in seq order: each claim's life, counts per key. */
    for (int i = 0; i < n_dist; i++) {
        const struct fev *e = dist[i];
        if (claimKind(e->type) && e->claim != 0) {
            struct fcl *r = fclGet(e->claim);
            if (r->n[e->type]++ == 0) {
                r->ev[e->type] = i;
            } else {
                evAnomaly(c, "duplicate", e, NULL, "a second %s of the claim",
                          evName(e->type));
            }
            feedLife(c, r, e, i > 0 ? dist[i - 1] : NULL);
        }
        int p = e->pool[0] ? poolIndex(e->pool) : -1;
        switch (e->type) {
            case SLOT_EV_POOL_CREATED:
            case SLOT_EV_POOL_STOPPED:
            case SLOT_EV_FLOWED_BACK: {
                int *cnt = e->type == SLOT_EV_POOL_CREATED   ? p_created
                           : e->type == SLOT_EV_POOL_STOPPED ? p_stopped
                                                             : p_flowed;
                if (p < 0) {
                    break; /* a pool no operation named */
                }
                if (cnt[p]++ > 0) {
                    evAnomaly(c, "duplicate", e, NULL,
                              "a second %s of the pool", evName(e->type));
                }
                if (e->type == SLOT_EV_POOL_CREATED &&
                    pc_ok[p] + pc_maybe[p] == 0) {
                    evAnomaly(c, "unexplained", e, NULL,
                              "no acknowledged or unknown create of the pool");
                }
                if (e->type == SLOT_EV_POOL_STOPPED &&
                    ps_ok[p] + ps_maybe[p] == 0) {
                    evAnomaly(
                        c, "unexplained", e, NULL,
                        "no acknowledged or unknown POOL_STOP of the pool");
                }
                break;
            }
            case SLOT_EV_WAIT_JOINED:
            case SLOT_EV_WAIT_LEFT:
                keyInc(&ev_key, key2(e->pool, e->patient) +
                                    (e->type == SLOT_EV_WAIT_LEFT));
                break;
            case SLOT_EV_RULES_CHANGED:
                keyInc(&ev_key, key2("rules", e->hospital));
                break;
            case SLOT_EV_CONFIG_CHANGED:
                cfg_ev++;
                break;
            default:
                break;
        }
    }
    /* Acknowledged operations: one event each, with their fields. */
    static const int kind_ev[6] = {SLOT_EV_HELD,     SLOT_EV_BOOKED,
                                   SLOT_EV_RELEASED, SLOT_EV_CANCELLED,
                                   SLOT_EV_MOVED,    SLOT_EV_CHECKED_IN};
    int matched = 0;
    for (int i = 0; i < n_fcls; i++) {
        struct fcl *r = &fcls[i];
        for (int k = 0; k < 6; k++) {
            int t = kind_ev[k];
            if (r->ok[k] > 0) {
                const struct h_op *op = &H->ops[r->ok_op[k]];
                if (r->n[t] == 0) {
                    evAnomaly(c, "missing", NULL, op,
                              "acknowledged %s of claim %" PRIu64
                              " (index %" PRIu64 "), no %s event in the feed",
                              op->fname, k == FK_HOLD ? op->hold_id : op->id,
                              op->index, evName(t));
                    continue;
                }
                const struct fev *e = dist[r->ev[t]];
                bool bad = e->time != op->ltime || e->index > op->index ||
                           (op->pool[0] && strcmp(e->pool, op->pool) != 0);
                if (k == FK_HOLD) {
                    bad = bad || strcmp(e->patient, op->patient) != 0 ||
                          (op->channel[0] &&
                           strcmp(e->channel, op->channel) != 0) ||
                          e->a != op->deadline ||
                          (op->account[0] &&
                           strcmp(e->account, op->account) != 0);
                } else if (k == FK_CONFIRM || k == FK_CHECKIN) {
                    bad = bad || e->a != op->visit;
                } else if (k == FK_MOVE) {
                    const struct fev *nb =
                        r->ev[t] + 1 < n_dist ? dist[r->ev[t] + 1] : NULL;
                    bad = bad || e->a != op->new_id || nb == NULL ||
                          nb->type != SLOT_EV_BOOKED ||
                          nb->claim != op->new_id || nb->index != e->index ||
                          strcmp(nb->pool, op->target) != 0 ||
                          strcmp(nb->patient, e->patient) != 0;
                }
                if (bad) {
                    evAnomaly(c, "mismatch", e, op,
                              "the acknowledged %s (ltime %" PRIu64
                              ", index %" PRIu64 ") and its event disagree",
                              op->fname, op->ltime, op->index);
                } else {
                    matched++;
                }
            } else if (r->n[t] > 0 && k != FK_HOLD && r->maybe[k] == 0) {
                const struct fev *e = dist[r->ev[t]];
                const struct fev *p = r->ev[t] > 0 ? dist[r->ev[t] - 1] : NULL;
                bool by_move = t == SLOT_EV_BOOKED && p != NULL &&
                               p->type == SLOT_EV_MOVED && p->a == e->claim &&
                               p->index == e->index;
                if (!by_move) {
                    evAnomaly(c, "unexplained", e, NULL,
                              "no acknowledged or unknown-outcome %s of the "
                              "claim",
                              k == FK_CONFIRM   ? "confirm"
                              : k == FK_RELEASE ? "release"
                              : k == FK_CANCEL  ? "cancel"
                              : k == FK_MOVE    ? "move"
                                                : "checkin");
                }
            } else if (r->n[t] > 0 && k == FK_HOLD) {
                const struct fev *e = dist[r->ev[t]];
                uint64_t key = key2(e->pool, e->patient);
                keyInc(&held_key, key);
                if (keyGet(&held_key, key) > keyGet(&maybe_key, key)) {
                    evAnomaly(c, "unexplained", e, NULL,
                              "a HELD no acknowledged HOLD got, beyond the "
                              "%d unknown-outcome HOLDs of (%s, %s)",
                              keyGet(&maybe_key, key), e->pool, e->patient);
                }
            }
        }
    }
    for (int p = 0; p < n_pool_names; p++) {
        const char *pn = pool_names[p];
        char msg[200];
        if (pc_ok[p] > 0 && p_created[p] == 0) {
            snprintf(msg, sizeof msg,
                     "acknowledged create of %s, no pool_created event", pn);
            fAnomaly(c, "missing", pn, msg, NULL, NULL, NULL);
        }
        if (ps_ok[p] > 0 && p_stopped[p] == 0) {
            snprintf(msg, sizeof msg,
                     "acknowledged POOL_STOP of %s, no pool_stopped event", pn);
            fAnomaly(c, "missing", pn, msg, NULL, NULL, NULL);
        }
    }
    /* POOL_STOPPED's counters are the acknowledged stop's. */
    for (int i = 0; i < n_dist; i++) {
        const struct fev *e = dist[i];
        int p = e->type == SLOT_EV_POOL_STOPPED ? poolIndex(e->pool) : -1;
        for (int k = 0; p >= 0 && k < H->n_ops; k++) {
            const struct h_op *op = &H->ops[k];
            if (op->f == HF_STOP && op->type == H_OK && !op->final &&
                strcmp(op->pool, e->pool) == 0 &&
                (e->a != op->stop_bookings ||
                 e->b != jnum(json_object_get(op->ret, "value"), "holds") ||
                 e->time != op->ltime)) {
                evAnomaly(c, "mismatch", e, op,
                          "the acknowledged POOL_STOP and its event disagree");
            }
        }
        /* An acknowledged rules operation: its version, once. */
        if (e->type == SLOT_EV_RULES_CHANGED) {
            for (int k = 0; k < H->n_ops; k++) {
                const struct h_op *op = &H->ops[k];
                if (op->f == HF_RULES && op->type == H_OK && op->sched &&
                    strcmp(op->sched->hospital, e->hospital) == 0 &&
                    op->version == e->a && e->time != op->ltime) {
                    evAnomaly(c, "mismatch", e, op,
                              "the acknowledged rules operation and its event "
                              "disagree");
                }
            }
        }
    }
    for (int k = 0; k < H->n_ops; k++) {
        const struct h_op *op = &H->ops[k];
        if (op->f != HF_RULES || op->type != H_OK || op->sched == NULL ||
            op->final) {
            continue;
        }
        int n = 0;
        for (int i = 0; i < n_dist; i++) {
            n += dist[i]->type == SLOT_EV_RULES_CHANGED &&
                 strcmp(dist[i]->hospital, op->sched->hospital) == 0 &&
                 dist[i]->a == op->version;
        }
        if (n != 1) {
            char msg[200];
            snprintf(msg, sizeof msg,
                     "acknowledged rules version %" PRIu64
                     " of %s: %d rules_changed events",
                     op->version, op->sched->hospital, n);
            fAnomaly(c, n == 0 ? "missing" : "duplicate", NULL, msg, op, NULL,
                     NULL);
        }
    }
    /* Per key: acknowledged <= events <= acknowledged + unknown. */
    for (size_t s = 0; s < ev_key.cap + ok_key.cap; s++) {
        const struct imap *m = s < ev_key.cap ? &ev_key : &ok_key;
        size_t at = s < ev_key.cap ? s : s - ev_key.cap;
        if (m->k[at] == 0) {
            continue;
        }
        uint64_t key = m->k[at] - 1;
        if (m == &ok_key && imapGet(&ev_key, key) >= 0) {
            continue; /* judged with the events' keys */
        }
        int nev = keyGet(&ev_key, key), ok = keyGet(&ok_key, key),
            mb = keyGet(&maybe_key, key);
        if (nev < ok || nev > ok + mb) {
            char msg[200];
            snprintf(msg, sizeof msg,
                     "%d wait_joined / wait_left / rules_changed events of "
                     "one key, %d acknowledged and %d unknown operations",
                     nev, ok, mb);
            fAnomaly(c, nev < ok ? "missing" : "unexplained", NULL, msg, NULL,
                     NULL, NULL);
        }
    }
    if (cfg_ev < cfg_ok || cfg_ev > cfg_ok + cfg_maybe) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "%d config_changed events, %d acknowledged and %d unknown "
                 "CONFIGs",
                 cfg_ev, cfg_ok, cfg_maybe);
        fAnomaly(c, cfg_ev < cfg_ok ? "missing" : "unexplained", NULL, msg,
                 NULL, NULL, NULL);
    }
    json_object_set_new(c->j, "ops_matched", json_integer(matched));
    int by_type[EV_TYPES] = {0};
    for (int i = 0; i < n_dist; i++) {
        by_type[dist[i]->type > 0 && dist[i]->type < EV_TYPES ? dist[i]->type
                                                              : 0]++;
    }
    json_t *bt = json_object();
    for (int t = 1; t < EV_TYPES; t++) {
        if (by_type[t] > 0) {
            json_object_set_new(bt, slot_event_name(t),
                                json_integer(by_type[t]));
        }
    }
    json_object_set_new(c->j, "events_by_type", bt);
    if (feed_types != NULL) {
        json_object_set_new(c->j, "anomaly_types", feed_types);
        feed_types = NULL;
    }
    free(pcnt);
    imapFree(&ok_key);
    imapFree(&maybe_key);
    imapFree(&ev_key);
    imapFree(&held_key);
    imapFree(&fcl_of);
    imapFree(&by_seq);
    imapFree(&fin_seen);
    free(fcls);
    /* dist and fevs: the recon check's (it frees them) */
    feed_final = dist;
    n_feed_final = n_dist;
    feed_final_max = fin_max;
    feed_final_page = final_last;
}

/* ---- recon ---------------------------------------------------------------
 * Protocol 5's reconciliation counters (ledger.h, "Money and statistics")
 * against the event feed: the final phase reads READ_RECON through the
 * leader for every local day the run may have touched (f read_recon,
 * before the final feed, history.h), each at the serving node's applied
 * index X. The counters at X are a function of the feed's events up to X,
 * so, when the feed check found the final feed complete from seq 1 and the
 * final feed extends past X (its last event's index >= X, or its last,
 * short page was invoked after the read returned), the events with index
 * <= X and local_day = the read's day, summed per (hospital, channel,
 * pay_method) as ledger.h's table says, are the day's rows:
 *   BOOKED by a CONFIRM: booked, booked_cents += fee_cents (a BOOKED right
 *     after the MOVED that names it, in the same entry, is a move's: none);
 *   CHECKED_IN: checked_in; b = 1 also checkin_paid, checkin_paid_cents;
 *   CANCELLED a = 0: cancelled, cancelled_cents; a = 1: refunded,
 *     refunded_cents;
 *   MOVED: moved; NO_SHOW: no_show.
 * Anomalies: `differs` (a row's counter is not the events' sum: the row,
 * the counter and both values), `missing-row` (events count something,
 * no row), `extra-row` (a row with counts no event explains). A day older
 * than the read's kept_from_day is not judged (forgotten by design).
 * And `payment`: every acknowledged CONFIRM that gave a payment_ref has
 * its BOOKED event (paid, b = 1) with that payment_ref and the pay_method
 * it named, one that gave none an unpaid BOOKED; every acknowledged
 * CHECKIN that gave a payment_ref has its CHECKED_IN with b = 1 and that
 * payment when the booking was unpaid (its BOOKED's payment_ref ""), else
 * b = 0 and the booking's payment unchanged.
 * Unknown when a read failed every time for a day, read fewer rows than
 * its total, the final feed is incomplete or does not reach a read's
 * index, or its events carry no local day (a history before protocol 5).
 * Skipped when the history has no read_recon and its plan does not say
 * "recon" (older histories). */

enum {
    RC_BOOKED,
    RC_BOOKED_CENTS,
    RC_CHECKIN_PAID,
    RC_CHECKIN_PAID_CENTS,
    RC_CHECKED_IN,
    RC_CANCELLED,
    RC_CANCELLED_CENTS,
    RC_REFUNDED,
    RC_REFUNDED_CENTS,
    RC_MOVED,
    RC_NO_SHOW,
    RC_COUNT
};

/* In the order of a row's counters after its key (history.h). */
static const char *const rc_names[RC_COUNT] = {
    "booked",         "booked_cents", "checkin_paid",    "checkin_paid_cents",
    "checked_in",     "cancelled",    "cancelled_cents", "refunded",
    "refunded_cents", "moved",        "no_show"};

struct rrow {
    const char *hospital, *channel, *method;
    uint64_t v[RC_COUNT];
    bool seen; /* a row of the read (events: matched one) */
};

static struct rrow *rrowGet(struct rrow **rows, int *n, int *cap, const char *h,
                            const char *ch, const char *m)
{
    for (int i = 0; i < *n; i++) {
        struct rrow *r = &(*rows)[i];
        if (strcmp(r->hospital, h) == 0 && strcmp(r->channel, ch) == 0 &&
            strcmp(r->method, m) == 0) {
            return r;
        }
    }
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 32;
        *rows = realloc(*rows, (size_t)*cap * sizeof **rows);
        if (*rows == NULL) {
            abort();
        }
    }
    struct rrow *r = &(*rows)[(*n)++];
    memset(r, 0, sizeof *r);
    r->hospital = h;
    r->channel = ch;
    r->method = m;
    return r;
}

static bool rrowZero(const struct rrow *r)
{
    for (int k = 0; k < RC_COUNT; k++) {
        if (r->v[k] != 0) {
            return false;
        }
    }
    return true;
}

/* A BOOKED a MOVE made: right after the MOVED naming it, same entry. */
static bool bookedByMove(int i)
{
    const struct fev *e = feed_final[i], *p = i > 0 ? feed_final[i - 1] : NULL;
    return e->type == SLOT_EV_BOOKED && p != NULL && p->type == SLOT_EV_MOVED &&
           p->a == e->claim && p->index == e->index;
}

/* Adds event i's counts to its row. Returns whether it counts anything. */
static bool reconAdd(struct rrow *r, int i)
{
    const struct fev *e = feed_final[i];
    switch (e->type) {
        case SLOT_EV_BOOKED:
            if (bookedByMove(i)) {
                return false;
            }
            r->v[RC_BOOKED]++;
            r->v[RC_BOOKED_CENTS] += e->fee;
            return true;
        case SLOT_EV_CHECKED_IN:
            r->v[RC_CHECKED_IN]++;
            if (e->b == 1) {
                r->v[RC_CHECKIN_PAID]++;
                r->v[RC_CHECKIN_PAID_CENTS] += e->fee;
            }
            return true;
        case SLOT_EV_CANCELLED:
            r->v[e->a ? RC_REFUNDED : RC_CANCELLED]++;
            r->v[e->a ? RC_REFUNDED_CENTS : RC_CANCELLED_CENTS] += e->fee;
            return true;
        case SLOT_EV_MOVED:
            r->v[RC_MOVED]++;
            return true;
        case SLOT_EV_NO_SHOW:
            r->v[RC_NO_SHOW]++;
            return true;
        default:
            return false;
    }
}

static bool counted(int type)
{
    return type == SLOT_EV_BOOKED || type == SLOT_EV_CHECKED_IN ||
           type == SLOT_EV_CANCELLED || type == SLOT_EV_MOVED ||
           type == SLOT_EV_NO_SHOW;
}

/* One recon read's rows against the events up to its index. */
static void reconRead(struct check *c, const struct h_op *op, int *rows_cmp,
                      int *summed)
{
    json_t *iv = json_object_get(op->inv, "value");
    json_t *rv = json_object_get(op->ret, "value");
    uint32_t day = (uint32_t)jnum(iv, "day");
    json_t *rows = json_object_get(rv, "rows");
    uint64_t x = op->index;
    struct rrow *got = NULL, *want = NULL;
    int n_got = 0, cap_got = 0, n_want = 0, cap_want = 0;
    for (size_t i = 0; i < json_array_size(rows); i++) {
        json_t *a = json_array_get(rows, i);
        if (!json_is_array(a) || json_array_size(a) < 4 + RC_COUNT) {
            fAnomaly(c, "malformed", NULL, "a recon row not understood", op,
                     NULL, NULL);
            continue;
        }
        struct rrow *r =
            rrowGet(&got, &n_got, &cap_got, jstr(a, 1), jstr(a, 2), jstr(a, 3));
        if (r->seen) {
            fAnomaly(c, "duplicate-row", NULL, "a recon row read twice", op,
                     NULL, NULL);
        }
        r->seen = true;
        for (int k = 0; k < RC_COUNT; k++) {
            r->v[k] = (uint64_t)json_integer_value(
                json_array_get(a, (size_t)(4 + k)));
        }
        if ((uint32_t)json_integer_value(json_array_get(a, 0)) != day) {
            fAnomaly(c, "differs", NULL, "a recon row of another day", op, NULL,
                     NULL);
        }
    }
    for (int i = 0; i < n_feed_final; i++) {
        const struct fev *e = feed_final[i];
        if (e->index > x || e->seq > feed_final_max) {
            break; /* index never decreases with seq (the feed check) */
        }
        if (e->local_day != day || e->claim == 0 || !counted(e->type)) {
            continue;
        }
        struct rrow *r = rrowGet(&want, &n_want, &cap_want, e->hospital,
                                 e->channel, e->method);
        *summed += reconAdd(r, i);
    }
    char msg[400];
    for (int i = 0; i < n_want; i++) {
        struct rrow *w = &want[i];
        if (rrowZero(w)) {
            continue;
        }
        struct rrow *g = NULL;
        for (int k = 0; k < n_got && g == NULL; k++) {
            if (strcmp(got[k].hospital, w->hospital) == 0 &&
                strcmp(got[k].channel, w->channel) == 0 &&
                strcmp(got[k].method, w->method) == 0) {
                g = &got[k];
            }
        }
        if (g == NULL) {
            snprintf(msg, sizeof msg,
                     "day %" PRIu32 " (%s, %s, %s) at index %" PRIu64
                     ": the events count booked %" PRIu64 " checked_in %" PRIu64
                     " cancelled %" PRIu64 " refunded %" PRIu64
                     " moved %" PRIu64 " no_show %" PRIu64 ", no row",
                     day, w->hospital, w->channel, w->method, x,
                     w->v[RC_BOOKED], w->v[RC_CHECKED_IN], w->v[RC_CANCELLED],
                     w->v[RC_REFUNDED], w->v[RC_MOVED], w->v[RC_NO_SHOW]);
            fAnomaly(c, "missing-row", NULL, msg, op, NULL, NULL);
            continue;
        }
        g->seen = false; /* explained */
        (*rows_cmp)++;
        for (int k = 0; k < RC_COUNT; k++) {
            if (g->v[k] != w->v[k]) {
                snprintf(msg, sizeof msg,
                         "day %" PRIu32 " (%s, %s, %s) at index %" PRIu64
                         ": %s is %" PRIu64 ", the events sum to %" PRIu64,
                         day, w->hospital, w->channel, w->method, x,
                         rc_names[k], g->v[k], w->v[k]);
                fAnomaly(c, "differs", NULL, msg, op, NULL, NULL);
            }
        }
    }
    for (int k = 0; k < n_got; k++) {
        if (got[k].seen && !rrowZero(&got[k])) {
            snprintf(msg, sizeof msg,
                     "day %" PRIu32 " (%s, %s, %s) at index %" PRIu64
                     ": a row (booked %" PRIu64 " cancelled %" PRIu64
                     " refunded %" PRIu64 " checked_in %" PRIu64
                     ") no event explains",
                     day, got[k].hospital, got[k].channel, got[k].method, x,
                     got[k].v[RC_BOOKED], got[k].v[RC_CANCELLED],
                     got[k].v[RC_REFUNDED], got[k].v[RC_CHECKED_IN]);
            fAnomaly(c, "extra-row", NULL, msg, op, NULL, NULL);
        } else if (got[k].seen) {
            (*rows_cmp)++; /* an all-zero row: agrees with no events */
        }
    }
    free(got);
    free(want);
}

static const char *ostr(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Acknowledged CONFIRMs' and CHECKINs' payments in their events. */
static void reconPayments(struct check *c)
{
    struct imap by_claim; /* claim * 32 + type -> first event */
    imapInit(&by_claim, (size_t)n_feed_final);
    for (int i = 0; i < n_feed_final; i++) {
        const struct fev *e = feed_final[i];
        uint64_t key = e->claim * 32 + (uint64_t)e->type;
        if (e->claim != 0 && e->type < 32 && imapGet(&by_claim, key) < 0) {
            imapPut(&by_claim, key, i);
        }
    }
    int confirms = 0, checkins = 0;
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        if ((op->f != HF_CONFIRM && op->f != HF_CHECKIN) || op->type != H_OK ||
            op->process < 0 || op->final) {
            continue;
        }
        json_t *iv = json_object_get(op->inv, "value");
        const char *ref = ostr(iv, "payment_ref");
        const char *method = ostr(iv, "pay_method");
        if (ref == NULL) {
            continue; /* a history before protocol 5 */
        }
        method = method != NULL ? method : "";
        int t = op->f == HF_CONFIRM ? SLOT_EV_BOOKED : SLOT_EV_CHECKED_IN;
        int k = imapGet(&by_claim, op->id * 32 + (uint64_t)t);
        if (k < 0) {
            continue; /* the feed check says `missing` */
        }
        const struct fev *e = feed_final[k];
        if (!e->has_money) {
            continue;
        }
        if (op->f == HF_CONFIRM) {
            confirms++;
            bool paid = ref[0] != '\0';
            if (e->b != paid || strcmp(e->payref, ref) != 0 ||
                strcmp(e->method, paid ? method : "") != 0) {
                evAnomaly(c, "payment", e, op,
                          "the confirm paid '%s' by '%s'; its BOOKED says "
                          "'%s' by '%s' (fee %" PRIu64 ")",
                          ref, method, e->payref, e->method, e->fee);
            }
            continue;
        }
        if (ref[0] == '\0') {
            continue;
        }
        int kb = imapGet(&by_claim, op->id * 32 + SLOT_EV_BOOKED);
        if (kb < 0) {
            continue;
        }
        checkins++;
        const struct fev *bk = feed_final[kb];
        bool unpaid = bk->payref[0] == '\0';
        const char *wref = unpaid ? ref : bk->payref;
        const char *wmet = unpaid ? method : bk->method;
        if (e->b != unpaid || strcmp(e->payref, wref) != 0 ||
            strcmp(e->method, wmet) != 0 || (!unpaid && e->fee != bk->fee)) {
            evAnomaly(c, "payment", e, op,
                      "the check-in gave '%s' by '%s' on a booking %s '%s' by "
                      "'%s'; its CHECKED_IN says '%s' by '%s'",
                      ref, method, unpaid ? "unpaid:" : "paid", bk->payref,
                      bk->method, e->payref, e->method);
        }
    }
    json_object_set_new(c->j, "confirms_checked", json_integer(confirms));
    json_object_set_new(c->j, "checkins_checked", json_integer(checkins));
    imapFree(&by_claim);
}

static void checkRecon(struct check *c)
{
    bool planned = false;
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        if (op->process < 0 && strcmp(op->fname, "plan") == 0) {
            planned = json_is_true(
                json_object_get(json_object_get(op->ret, "value"), "recon"));
            break;
        }
    }
    int reads = 0, oks = 0;
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        if (op->f == HF_READ_RECON && op->process >= 0) {
            reads++;
            oks += op->type == H_OK;
        }
    }
    json_object_set_new(c->j, "reads", json_integer(reads));
    if (!planned && reads == 0) {
        json_object_set_new(
            c->j, "skipped",
            json_string("no reconciliation reads in this history"));
        goto done;
    }
    if (oks == 0) {
        unknown(c, "no reconciliation read succeeded");
        goto done;
    }
    if (feed_final == NULL) {
        unknown(c, "the final feed was not read to its end from seq 1");
        goto done;
    }
    for (int i = 0; i < n_feed_final; i++) {
        if (!feed_final[i]->has_money) {
            unknown(c, "events without payment and local day (protocol 4)");
            goto done;
        }
    }
    uint64_t last_index =
        n_feed_final > 0 ? feed_final[n_feed_final - 1]->index : 0;
    int days = 0, forgotten = 0, rows_cmp = 0, summed = 0;
    uint32_t day_first = UINT32_MAX, day_last = 0;
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        if (op->f != HF_READ_RECON || op->process < 0) {
            continue;
        }
        json_t *iv = json_object_get(op->inv, "value");
        json_t *rv = json_object_get(op->ret, "value");
        uint32_t day = (uint32_t)jnum(iv, "day");
        if (op->type != H_OK) {
            /* a day none of whose reads succeeded: not judged */
            bool later_ok = false;
            for (int k = i + 1; k < H->n_ops && !later_ok; k++) {
                const struct h_op *o2 = &H->ops[k];
                later_ok =
                    o2->f == HF_READ_RECON && o2->type == H_OK &&
                    jnum(json_object_get(o2->inv, "value"), "day") == day;
            }
            if (!later_ok) {
                unknown(c, "a day's reconciliation read failed every time");
            }
            continue;
        }
        if (!op->observed) {
            unknown(c, "a reconciliation read without its index");
            continue;
        }
        if (jnum(rv, "total") != json_array_size(json_object_get(rv, "rows"))) {
            unknown(c, "a reconciliation read has fewer rows than its total");
            continue;
        }
        if (last_index < op->index &&
            (feed_final_page == NULL ||
             feed_final_page->line_inv <= op->line_ret)) {
            unknown(c, "the final feed does not reach a reconciliation "
                       "read's index");
            continue;
        }
        days++;
        day_first = day < day_first ? day : day_first;
        day_last = day > day_last ? day : day_last;
        if (day < jnum(rv, "kept_from_day")) {
            forgotten++;
            continue;
        }
        reconRead(c, op, &rows_cmp, &summed);
    }
    reconPayments(c);
    json_object_set_new(c->j, "days", json_integer(days));
    if (days > 0) {
        json_object_set_new(c->j, "day_first", json_integer(day_first));
        json_object_set_new(c->j, "day_last", json_integer(day_last));
    }
    json_object_set_new(c->j, "days_forgotten", json_integer(forgotten));
    json_object_set_new(c->j, "rows_compared", json_integer(rows_cmp));
    json_object_set_new(c->j, "events_summed", json_integer(summed));
done:
    if (feed_types != NULL) {
        json_object_set_new(c->j, "anomaly_types", feed_types);
        feed_types = NULL;
    }
    free(feed_final);
    feed_final = NULL;
    n_feed_final = 0;
    free(fevs);
    fevs = NULL;
}

static json_t *counts(void)
{
    json_t *o = json_object(), *byf = json_object(), *errs = json_object();
    int inv = 0, ok = 0, fail = 0, info = 0, nem = 0;
    for (int i = 0; i < H->n_ops; i++) {
        const struct h_op *op = &H->ops[i];
        if (op->process < 0) {
            nem++;
            continue;
        }
        inv++;
        const char *t = op->type == H_OK     ? "ok"
                        : op->type == H_FAIL ? "fail"
                                             : "info";
        ok += op->type == H_OK;
        fail += op->type == H_FAIL;
        info += op->type == H_INFO;
        json_t *f = json_object_get(byf, op->fname);
        if (f == NULL) {
            f = json_object();
            json_object_set_new(byf, op->fname, f);
        }
        json_t *k = json_object_get(f, t);
        json_object_set_new(f, t,
                            json_integer(k ? json_integer_value(k) + 1 : 1));
        if (op->type != H_OK) {
            const char *e = op->err > 0 ? slot_err_name(op->err) : NULL;
            if (e == NULL) {
                e = op->type == H_INFO ? "INCOMPLETE" : "?";
            }
            json_t *x = json_object_get(errs, e);
            json_object_set_new(
                errs, e, json_integer(x ? json_integer_value(x) + 1 : 1));
        }
    }
    json_object_set_new(o, "invoke", json_integer(inv));
    json_object_set_new(o, "ok", json_integer(ok));
    json_object_set_new(o, "fail", json_integer(fail));
    json_object_set_new(o, "info", json_integer(info));
    json_object_set_new(o, "nemesis", json_integer(nem));
    json_object_set_new(o, "by_f", byf);
    json_object_set_new(o, "errors", errs);
    return o;
}

static FILE *openOut(const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", opt.out, name);
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        perror(path);
    }
    return f;
}

static void htmlEscape(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
            case '<':
                fputs("&lt;", f);
                break;
            case '>':
                fputs("&gt;", f);
                break;
            case '&':
                fputs("&amp;", f);
                break;
            case '"':
                fputs("&quot;", f);
                break;
            default:
                fputc(*s, f);
                break;
        }
    }
}

/* Faults as intervals: a start and the next stop of the same fault. */
struct fault_iv {
    uint64_t from, to;
    char label[96];
};

static int faultIntervals(struct fault_iv *iv, int max)
{
    int n = 0;
    for (int i = 0; i < H->n_ops && n < max; i++) {
        const struct h_op *op = &H->ops[i];
        if (op->process >= 0) {
            continue;
        }
        if (op->nem_start) {
            struct fault_iv *v = &iv[n++];
            v->from = op->t_inv;
            v->to = H->t_end;
            char nodes[32] = "";
            for (int k = 0, l = 0; k < op->n_nodes && l < 30; k++) {
                l += snprintf(nodes + l, sizeof nodes - (size_t)l, "%s%d",
                              k ? "," : " n", op->nodes[k]);
            }
            snprintf(v->label, sizeof v->label, "%s%s", op->fault, nodes);
            if (strcmp(op->fault, "transfer") == 0) {
                v->to = op->t_ret != UINT64_MAX ? op->t_ret : op->t_inv;
                continue;
            }
            for (int k = i + 1; k < H->n_ops; k++) {
                const struct h_op *s = &H->ops[k];
                if (s->process < 0 && !s->nem_start &&
                    strcmp(s->fname, "stop") == 0 &&
                    strcmp(s->fault, op->fault) == 0) {
                    v->to = s->t_ret != UINT64_MAX ? s->t_ret : s->t_inv;
                    break;
                }
            }
        } else if (strcmp(op->fname, "crash") == 0) {
            struct fault_iv *v = &iv[n++];
            v->from = op->t_inv;
            v->to = op->t_inv + 50000000;
            snprintf(v->label, sizeof v->label, "CRASH n%d",
                     op->n_nodes ? op->nodes[0] : 0);
        }
    }
    return n;
}

static void writeTimeline(int verdict)
{
    FILE *f = openOut("timeline.html");
    if (f == NULL) {
        return;
    }
    int procs = opt.procs;
    if (procs <= 0) {
        procs = 1;
        for (int i = 0; i < H->n_ops; i++) {
            if (H->ops[i].process >= 0 && H->ops[i].process < 1000 &&
                H->ops[i].process + 1 > procs) {
                procs = H->ops[i].process + 1;
            }
        }
        if (procs > 64) {
            procs = 64;
        }
    }
    double px_per_s = 100.0;
    const int colw = 90;
    int cols = procs + 1; /* + final reads */
    fprintf(
        f,
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%s "
        "timeline</title>\n"
        "<style>body{font:11px "
        "sans-serif;margin:0}#t{position:relative;margin:40px 0 0 60px}"
        ".op{position:absolute;width:%dpx;overflow:hidden;border:1px solid "
        "#0003;"
        "box-sizing:border-box;white-space:nowrap;font-size:9px}"
        ".ok{background:#6DB6FE}.fail{background:#FEB5DA}.info{background:#"
        "FFAA26}"
        ".nem{position:absolute;left:-60px;background:#f002;border-top:1px "
        "solid #c00;"
        "font-size:10px;color:#900;pointer-events:none}"
        ".hdr{position:absolute;top:-16px;width:%dpx;font-weight:bold}"
        ".sec{position:absolute;left:-58px;color:#888}"
        "#key{position:fixed;top:0;left:0;right:0;background:#fff;padding:4px;"
        "border-bottom:1px solid #ccc;z-index:9}</style></head><body>\n"
        "<div id=\"key\"><b>%s</b> valid: %s &nbsp; <span "
        "class=\"ok\">&nbsp;ok&nbsp;</span> "
        "<span class=\"fail\">&nbsp;fail&nbsp;</span> <span "
        "class=\"info\">&nbsp;info&nbsp;"
        "</span> &nbsp; time flows down (%.0f px/s); red bands: faults; hover "
        "for "
        "details</div>\n<div id=\"t\">\n",
        opt.test, colw - 2, colw - 2, opt.test, vname(verdict), px_per_s);
    for (int c = 0; c < cols; c++) {
        fprintf(f, "<div class=\"hdr\" style=\"left:%dpx\">%s %d</div>\n",
                c * colw, c < procs ? "proc" : "final", c < procs ? c : 0);
    }
    double end_s = (double)H->t_end / 1e9;
    for (int s = 0; s <= (int)end_s; s++) {
        fprintf(f, "<div class=\"sec\" style=\"top:%.0fpx\">%ds</div>\n",
                s * px_per_s, s);
    }
    struct fault_iv *iv = malloc(4096 * sizeof *iv);
    int n_iv = iv ? faultIntervals(iv, 4096) : 0;
    for (int i = 0; i < n_iv; i++) {
        double top = (double)iv[i].from / 1e9 * px_per_s;
        double h = (double)(iv[i].to - iv[i].from) / 1e9 * px_per_s;
        fprintf(
            f,
            "<div class=\"nem\" style=\"top:%.1fpx;height:%.1fpx;width:%dpx\">",
            top, h < 2 ? 2 : h, cols * colw + 60);
        htmlEscape(f, iv[i].label);
        fprintf(f, "</div>\n");
    }
    free(iv);
    int drawn = 0;
    for (int i = 0; i < H->n_ops && drawn < 40000; i++) {
        const struct h_op *op = &H->ops[i];
        if (op->process < 0) {
            continue;
        }
        int col = op->process >= 99999 ? procs : op->process % procs;
        double top = (double)op->t_inv / 1e9 * px_per_s;
        uint64_t ret = op->type == H_INFO ? (op->line_ret ? H->t_end : H->t_end)
                                          : op->t_ret;
        if (op->type == H_INFO && op->ret != NULL) {
            ret = op->t_inv + 500000000; /* show info ops half a second long */
            json_t *t = json_object_get(op->ret, "time");
            if (json_is_integer(t)) {
                ret = (uint64_t)json_integer_value(t);
            }
        }
        double h = (double)(ret - op->t_inv) / 1e9 * px_per_s;
        const char *cls = op->type == H_OK     ? "ok"
                          : op->type == H_FAIL ? "fail"
                                               : "info";
        fprintf(f,
                "<div class=\"op %s\" "
                "style=\"left:%dpx;top:%.1fpx;height:%.1fpx\" title=\"",
                cls, col * colw, top, h < 2 ? 2 : h);
        /* the completion repeats the invocation's value */
        char *rt = json_dumps(op->ret ? op->ret : op->inv, JSON_COMPACT);
        if (rt) {
            htmlEscape(f, rt);
        }
        free(rt);
        fprintf(f, "\">%d %s %s</div>\n", op->process, op->fname,
                op->type == H_OK ? ""
                                 : (op->err > 0 && slot_err_name(op->err)
                                        ? slot_err_name(op->err)
                                        : ""));
        drawn++;
    }
    fprintf(f, "</div></body></html>\n");
    fclose(f);
}

static void writePlots(void)
{
    FILE *lat = openOut("latency.dat"), *rate = openOut("rate.dat"),
         *gp = openOut("plots.gp");
    if (lat == NULL || rate == NULL || gp == NULL) {
        if (lat)
            fclose(lat);
        if (rate)
            fclose(rate);
        if (gp)
            fclose(gp);
        return;
    }
    /* latency.dat: blocks per (f, type): t_s latency_ms */
    static const char *const fs[] = {"hold",      "confirm",   "release",
                                     "cancel",    "read_pool", "read_patient",
                                     "read_hold", "create"};
    static const int fi[] = {HF_HOLD,      HF_CONFIRM,   HF_RELEASE,
                             HF_CANCEL,    HF_READ_POOL, HF_READ_PATIENT,
                             HF_READ_HOLD, HF_CREATE};
    static const char *const ts[] = {"ok", "fail", "info"};
    static const int ti[] = {H_OK, H_FAIL, H_INFO};
    int blocks = 0;
    char titles[32][48];
    for (int a = 0; a < 8; a++) {
        for (int b = 0; b < 3; b++) {
            int n = 0;
            for (int i = 0; i < H->n_ops; i++) {
                const struct h_op *op = &H->ops[i];
                if (op->process < 0 || op->final || op->f != fi[a] ||
                    op->type != ti[b]) {
                    continue;
                }
                uint64_t ret = op->t_ret;
                if (op->type == H_INFO) {
                    json_t *t =
                        op->ret ? json_object_get(op->ret, "time") : NULL;
                    if (!json_is_integer(t)) {
                        continue;
                    }
                    ret = (uint64_t)json_integer_value(t);
                }
                fprintf(lat, "%.3f %.3f\n", (double)op->t_inv / 1e9,
                        (double)(ret - op->t_inv) / 1e6);
                n++;
            }
            if (n > 0 && blocks < 32) {
                fprintf(lat, "\n\n");
                snprintf(titles[blocks++], sizeof titles[0], "%s %s", fs[a],
                         ts[b]);
            } else if (n > 0) {
                fprintf(lat, "\n\n");
            }
        }
    }
    /* rate.dat: per second, ops completed (ok/fail/info) per f */
    int secs = (int)(H->t_end / 1000000000ull) + 1;
    fprintf(rate, "# second");
    for (int a = 0; a < 8; a++) {
        fprintf(rate, " %s", fs[a]);
    }
    fprintf(rate, "\n");
    int *cnt = calloc((size_t)secs * 8, sizeof *cnt);
    for (int i = 0; i < H->n_ops && cnt; i++) {
        const struct h_op *op = &H->ops[i];
        if (op->process < 0 || op->final) {
            continue;
        }
        for (int a = 0; a < 8; a++) {
            if (op->f == fi[a]) {
                int s = (int)(op->t_inv / 1000000000ull);
                if (s < secs) {
                    cnt[s * 8 + a]++;
                }
            }
        }
    }
    for (int s = 0; s < secs && cnt; s++) {
        fprintf(rate, "%d", s);
        for (int a = 0; a < 8; a++) {
            fprintf(rate, " %d", cnt[s * 8 + a]);
        }
        fprintf(rate, "\n");
    }
    free(cnt);
    /* plots.gp: run from DIR */
    fprintf(gp, "set terminal pngcairo size 1200,600 font ',9' noenhanced\nset "
                "key outside right noenhanced\n"
                "set xlabel 'time (s)'\nset grid\n");
    struct fault_iv *iv = malloc(4096 * sizeof *iv);
    int n_iv = iv ? faultIntervals(iv, 4096) : 0;
    for (int i = 0; i < n_iv; i++) {
        fprintf(gp,
                "set object %d rect from %.3f, graph 0 to %.3f, graph 1 fc rgb "
                "'#ff0000' "
                "fs transparent solid 0.12 noborder behind\n",
                i + 1, (double)iv[i].from / 1e9,
                (double)(iv[i].to > iv[i].from + 20000000
                             ? iv[i].to
                             : iv[i].from + 20000000) /
                    1e9);
        fprintf(gp,
                "set label %d '%s' at %.3f, graph %.2f font ',7' tc rgb "
                "'#990000'\n",
                i + 1, iv[i].label, (double)iv[i].from / 1e9,
                0.97 - 0.04 * (i % 5));
    }
    free(iv);
    fprintf(gp,
            "set output 'latency.png'\nset title '%s: latency'\nset ylabel "
            "'latency (ms)'\n"
            "set logscale y\n",
            opt.test);
    if (blocks == 0) {
        fprintf(gp, "plot 1 notitle\n");
    } else {
        fprintf(gp, "plot ");
        for (int b = 0; b < blocks; b++) {
            fprintf(gp,
                    "%s'latency.dat' index %d using 1:2 with points pt 7 ps "
                    "0.4 title '%s'",
                    b ? ", \\\n     " : "", b, titles[b]);
        }
        fprintf(gp, "\n");
    }
    fprintf(gp,
            "unset logscale y\nset output 'rate.png'\nset title '%s: "
            "operations per second'\n"
            "set ylabel 'ops/s'\nplot ",
            opt.test);
    for (int a = 0; a < 8; a++) {
        fprintf(gp, "%s'rate.dat' using 1:%d with lines lw 1.5 title '%s'",
                a ? ", \\\n     " : "", a + 2, fs[a]);
    }
    fprintf(gp, "\n");
    fclose(lat);
    fclose(rate);
    fclose(gp);
}

/* ---- main ---------------------------------------------------------------- */

static int parseArgs(int argc, char **argv)
{
    static const struct option lo[] = {
        {"history", required_argument, NULL, 'H'},
        {"out", required_argument, NULL, 'o'},
        {"workload", required_argument, NULL, 'w'},
        {"test", required_argument, NULL, 'n'},
        {"procs", required_argument, NULL, 'p'},
        {"time-limit", required_argument, NULL, 't'},
        {"memory-mb", required_argument, NULL, 'm'},
        {"nemesis", required_argument, NULL, 'N'},
        {"clock-max-skew-ms", required_argument, NULL, 'S'},
        {NULL, 0, NULL, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
            case 'H':
                opt.history = optarg;
                break;
            case 'o':
                opt.out = optarg;
                break;
            case 'w':
                opt.workload = optarg;
                break;
            case 'n':
                opt.test = optarg;
                break;
            case 'p':
                opt.procs = atoi(optarg);
                break;
            case 't':
                opt.time_limit = atof(optarg);
                break;
            case 'm':
                opt.memory_mb = (size_t)atol(optarg);
                break;
            case 'N':
                opt.nemesis = optarg;
                break;
            case 'S':
                clock_band_ms = atoll(optarg);
                break;
            default:
                return -1;
        }
    }
    if (opt.history == NULL) {
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (parseArgs(argc, argv) != 0) {
        fprintf(stderr, "usage: jepsen-checker --history FILE [--out DIR] "
                        "[--workload W] [--test NAME]\n"
                        "                      [--procs N] [--time-limit S] "
                        "[--memory-mb N] [--nemesis LIST]\n");
        return 2;
    }
    H = history_load(opt.history);
    if (H == NULL) {
        perror(opt.history);
        return 2;
    }
    json_t *res = json_object();
    json_object_set_new(res, "test", json_string(opt.test));
    json_object_set_new(res, "workload", json_string(opt.workload));
    json_object_set_new(res, "history", json_string(opt.history));
    int verdict = V_VALID;
    json_t *checks = json_object();
    if (H->error[0]) {
        json_object_set_new(res, "error", json_string(H->error));
        verdict = V_UNKNOWN;
    } else {
        collectPools();
        timeBounds();
        bool counter = strcmp(opt.workload, "counter") == 0;
        struct imap holds;
        imapInit(&holds, (size_t)H->n_ops);
        for (int i = 0; i < H->n_ops; i++) {
            const struct h_op *op = &H->ops[i];
            if (op->f == HF_HOLD && op->type == H_OK && isClientOp(op) &&
                imapGet(&holds, op->hold_id) < 0) {
                imapPut(&holds, op->hold_id, i);
            }
        }
        collectRules();
        collectClaims();
        json_t *pv = NULL;
        for (int i = 0; i < H->n_ops && pv == NULL; i++) {
            if (H->ops[i].process < 0 && strcmp(H->ops[i].fname, "plan") == 0) {
                pv = json_object_get(H->ops[i].ret, "value");
            }
        }
        const char *pw = json_string_value(json_object_get(pv, "workload"));
        quotas_mode = strcmp(opt.workload, "quotas") == 0 ||
                      (pw != NULL && strcmp(pw, "quotas") == 0);
        visit_mode = strcmp(opt.workload, "visit") == 0 ||
                     (pw != NULL && strcmp(pw, "visit") == 0);
        collectPatientRules();
        collectLives();
        collectVisit();
        struct check cs[16];
        int nc = 0;
        if (quotas_mode) {
            /* The pool model (model.h) knows neither quotas (a hold's
             * answer depends on the patient's other pools) nor cool-downs
             * and offers (a cancel's slot is not free): the patient rules
             * have their own checks instead. */
            checkInit(&cs[nc], "quotas");
            checkQuotas(&cs[nc++]);
            checkInit(&cs[nc], "cooldown");
            checkCooldown(&cs[nc++]);
            checkInit(&cs[nc], "waitlist");
            checkWaitlist(&cs[nc++]);
        } else if (visit_mode) {
            /* The pool model knows neither stoppages nor moves nor
             * attendance: the visit day has its own checks. */
            checkInit(&cs[nc], "stop");
            checkStop(&cs[nc++]);
            checkInit(&cs[nc], "moves");
            checkMoves(&cs[nc++]);
            checkInit(&cs[nc], "attendance");
            checkAttendance(&cs[nc++]);
            checkInit(&cs[nc], "refunds");
            checkRefunds(&cs[nc++]);
        } else if (!counter) {
            checkInit(&cs[nc], "linearizable");
            checkLinear(&cs[nc++]);
        } else {
            checkInit(&cs[nc], "counter");
            checkCounter(&cs[nc++]);
        }
        checkInit(&cs[nc], "ledger-order");
        checkOrder(&cs[nc++], &holds);
        checkInit(&cs[nc], "holdlife");
        checkHoldlife(&cs[nc++], &holds);
        checkInit(&cs[nc], "conservation");
        checkConservation(&cs[nc++], &holds);
        checkInit(&cs[nc], "buckets");
        checkBuckets(&cs[nc++]);
        checkInit(&cs[nc], "flowback");
        checkFlowback(&cs[nc++]);
        checkInit(&cs[nc], "replicas");
        int nodes = checkReplicas(&cs[nc++]);
        if (!counter) {
            checkInit(&cs[nc], "bookings");
            checkBookings(&cs[nc++], nodes);
        }
        checkInit(&cs[nc], "crashes");
        checkCrashes(&cs[nc++]);
        checkInit(&cs[nc], "feed");
        checkFeed(&cs[nc++]);
        checkInit(&cs[nc], "recon");
        checkRecon(&cs[nc++]);
        checkInit(&cs[nc], "coverage");
        checkCoverage(&cs[nc++]);
        imapFree(&holds);
        imapFree(&crec_of);
        free(crecs);
        free(qlives);
        free(rules_ops);
        imapFree(&vbook_of);
        free(vbooks);
        free(stop_lt);
        free(stop_idx);
        free(stop_first_inv);
        free(stop_op);
        for (int i = 0; i < nc; i++) {
            json_object_set_new(cs[i].j, "valid", vjson(cs[i].verdict));
            json_object_set_new(cs[i].j, "anomaly_count",
                                json_integer(cs[i].n_anomalies));
            json_object_set_new(cs[i].j, "anomalies", cs[i].anomalies);
            json_object_set_new(checks, cs[i].name, cs[i].j);
            if (cs[i].verdict == V_INVALID) {
                verdict = V_INVALID;
            } else if (cs[i].verdict == V_UNKNOWN && verdict == V_VALID) {
                verdict = V_UNKNOWN;
            }
        }
    }
    json_object_set_new(res, "valid", vjson(verdict));
    json_object_set_new(res, "checks", checks);
    json_t *cnt = counts();
    json_object_set_new(res, "counts", cnt);
    /* summary line */
    char sum[1024];
    size_t n = (size_t)snprintf(
        sum, sizeof sum,
        "%s: valid=%s ops=%" JSON_INTEGER_FORMAT " (ok %" JSON_INTEGER_FORMAT
        ", fail %" JSON_INTEGER_FORMAT ", info %" JSON_INTEGER_FORMAT ")",
        opt.test, vname(verdict),
        json_integer_value(json_object_get(cnt, "invoke")),
        json_integer_value(json_object_get(cnt, "ok")),
        json_integer_value(json_object_get(cnt, "fail")),
        json_integer_value(json_object_get(cnt, "info")));
    const char *key;
    json_t *val;
    json_object_foreach(checks, key, val)
    {
        json_t *v = json_object_get(val, "valid");
        const char *vs = json_is_true(v)    ? "ok"
                         : json_is_false(v) ? "INVALID"
                                            : "unknown";
        json_int_t an =
            json_integer_value(json_object_get(val, "anomaly_count"));
        if (n < sizeof sum) {
            n += (size_t)snprintf(sum + n, sizeof sum - n, " %s=%s", key, vs);
        }
        if (an > 0 && n < sizeof sum) {
            n += (size_t)snprintf(sum + n, sizeof sum - n,
                                  "(%" JSON_INTEGER_FORMAT ")", an);
        }
    }
    if (H->error[0] && n < sizeof sum) {
        snprintf(sum + n, sizeof sum - n, " history error: %s", H->error);
    }
    json_object_set_new(res, "summary", json_string(sum));
    if (opt.out != NULL) {
        char path[4096];
        snprintf(path, sizeof path, "%s/results.json", opt.out);
        if (json_dump_file(res, path, JSON_INDENT(1) | JSON_PRESERVE_ORDER) !=
            0) {
            perror(path);
        }
        writeTimeline(verdict);
        writePlots();
    }
    printf("%s\n", sum);
    json_decref(res);
    history_free(H);
    return verdict;
}
