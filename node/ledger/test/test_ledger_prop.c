/* test_ledger_prop: seeded randomized property test of the ledger against
 * the reference model (refmodel.h).
 *
 * Each seed drives one ledger and one model through the same few hundred
 * random batches, drawn from a deliberately small universe (seven pools of
 * 1-6 slots, ten patients, three channels, short TTLs, tiny session and
 * retention limits) so that collisions, sell-outs, expiries, evictions and
 * retries happen all the time. Each case leans on one area (see PROFILES);
 * two widen the universe: "limits" fills the ledger's channel table, "bulk"
 * has pools of up to 2000 slots and thousands of patients so that more holds
 * come due at once than EXPIRE counts. After every batch:
 *   - each command's result must be equal in ledger and model, field by
 *     field;
 *   - ledger_check() must pass;
 * and at random points:
 *   - reads (pools, claims, patients, pool lists, ledger info, and the
 *     encoded replies of ledger_read) must agree;
 *   - the ledger is snapshotted and restored; the copy must hash and
 *     snapshot identically, and the run continues on the copy, so restored
 *     state has to behave exactly like the original.
 * A fraction of batches go through the real codec (entry builder, entry
 * decoder) before reaching the ledger; the model always gets the commands
 * as generated, so codec and ledger are checked together.
 *
 * Usage: test_ledger_prop [--quick] [--seeds N] [--steps N] [--seed N]
 *                         [--stats] [NAME]
 *   --quick    a tenth of the default seeds (the AddressSanitizer run);
 *   --seeds N  seeds per case (long runs);
 *   --seed N   replays one seed verbosely, printing every batch;
 *   --stats    prints per-case result-code counts (generator coverage);
 *   NAME       runs only the cases whose name contains NAME.
 * A failing seed prints the command line that replays it.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mp.h"
#include "slot_proto.h"
#include "check.h"
#include "ledger.h"
#include "refmodel.h"

/* Scale: the default run (8 cases, ~3500 seeds of 300 batches) takes about
 * 12 s at -O2 on a 2-core machine; --quick about 4 s under ASan. */
#define DEFAULT_SEEDS_PER_CASE 500
#define DEFAULT_STEPS          300
/* Session commands remembered for retries. */
#define HISTORY 128
/* Case k draws seeds (k + 1) * SEED_STRIDE + i, so a seed names its case. */
#define SEED_STRIDE       1000000ull
#define SESSIONS_SEEN_MAX 4096

static struct {
    uint32_t seeds;
    uint32_t steps;
    bool stats;
    const char *argv0;
} opt = {DEFAULT_SEEDS_PER_CASE, DEFAULT_STEPS, false, "test_ledger_prop"};

/* ---- the universe -------------------------------------------------------- */

/* The last pool id is never created: it keeps UNKNOWN_POOL reachable. */
static const char *const POOL_IDS[] = {
    "p0", "p1",   "gh1/cardio/dr-wang:2024-05-01.am", "p3", "p4", "p5",
    "p6", "ghost"};
#define N_POOL_IDS  (sizeof POOL_IDS / sizeof POOL_IDS[0])
#define N_CREATABLE (N_POOL_IDS - 1)
static const char *const PATIENTS[] = {
    "pat-0000", "pat-0001", "pat-0002", "pat-0003", "pat-0004",
    "pat-0005", "pat-0006", "pat-0007", "pat-0008", "k9:Zx_4.abcdefgh"};
#define N_PATIENTS (sizeof PATIENTS / sizeof PATIENTS[0])
static const char *const CHANNELS[] = {"app", "wechat", "114"};
#define N_CHANNELS (sizeof CHANNELS / sizeof CHANNELS[0])
static const char *const PAYMENT_REFS[] = {"pay:0001", "wx-tx#77", "!~"};
#define N_PAYMENT_REFS (sizeof PAYMENT_REFS / sizeof PAYMENT_REFS[0])

/* The "limits" and "bulk" cases need bigger universes: more channels than
 * the ledger's channel table holds, and enough patients to have more than
 * SLOT_EXPIRE_DUE_COUNT_MAX holds due at once. Filled by universe_init(). */
#define BULK_PATIENTS 2400
#define MANY_CHANNELS (LEDGER_CHANNELS_MAX + 16)
static char bulk_patients[BULK_PATIENTS][16];
static char many_channels[MANY_CHANNELS][8];

static void universe_init(void)
{
    for (unsigned i = 0; i < BULK_PATIENTS; i++) {
        snprintf(bulk_patients[i], sizeof bulk_patients[i], "bulk-%05u", i);
    }
    for (unsigned i = 0; i < MANY_CHANNELS; i++) {
        snprintf(many_channels[i], sizeof many_channels[i], "ch%02u", i);
    }
}

static const char *patient_name(uint32_t i)
{
    return i < N_PATIENTS ? PATIENTS[i] : bulk_patients[i - N_PATIENTS];
}

static const char *channel_name(uint32_t i)
{
    return i < N_CHANNELS ? CHANNELS[i] : many_channels[i - N_CHANNELS];
}

static struct slot_str sstr(const char *z)
{
    struct slot_str s = {z, (uint32_t)strlen(z)};
    return s;
}

/* ---- profiles: what each case leans on ----------------------------------- */

/* What the generator may emit; RETRY_SAME resends an earlier (session, seq)
 * request unchanged, RETRY_DIFF reuses its (session, seq) for another
 * command. */
enum kind {
    K_OPEN,
    K_CONFIG,
    K_CREATE,
    K_UPDATE,
    K_CLOSE,
    K_HOLD,
    K_CONFIRM,
    K_RELEASE,
    K_CANCEL,
    K_EXPIRE,
    K_RETRY_SAME,
    K_RETRY_DIFF,
    K_COUNT
};

struct profile {
    const char *name;
    uint32_t weight[K_COUNT]; /* relative odds of each kind */
    uint32_t codec_pct;       /* batches that go through the entry codec */
    uint32_t unknown_pct;     /* session commands naming an unknown session */
    uint32_t seq_skip_pct;    /* seqs that are not simply the next one */
    uint32_t tiny_pct;        /* per CONFIG field: a tiny limit */
    uint32_t ttl_span_ms;     /* in-range TTLs are min + [0, span] */
    uint32_t dt_max_ms;       /* usual time step between batches */
    uint32_t jump_pct;        /* a big step (idle, retention, deadline) */
    uint32_t back_pct;        /* a stamp behind ledger time */
    uint32_t read_every;      /* compare reads about every N steps */
    uint32_t snap_every;      /* snapshot/restore about every N steps */
    uint32_t patients;        /* universe sizes; 0: the small defaults */
    uint32_t channels;
    uint32_t capacity_max;
    uint32_t batch_max;
    uint32_t sweep_pct; /* EXPIREs with a big max; the others free 1-3 */
    uint32_t seeds_div; /* runs opt.seeds / seeds_div seeds (costly cases) */
};

/* Weights: POOL_CLOSE is rare because it is for good; a run whose pools
 * are all closed tests little. One profile per paragraph reads better than
 * one field per line, hence no clang-format here. */
/* clang-format off */
static const struct profile PROFILES[] = {
    {.name = "mixed",
     /*         OPEN CONF CRE UPD CLO HOLD CONF REL CAN EXP RS RD */
     .weight = {20, 10, 15, 10, 2, 150, 70, 30, 30, 30, 25, 15},
     .codec_pct = 15, .unknown_pct = 3, .seq_skip_pct = 8, .tiny_pct = 30,
     .ttl_span_ms = 3000, .dt_max_ms = 800, .jump_pct = 4, .back_pct = 5,
     .read_every = 8, .snap_every = 25, .sweep_pct = 25},
    {.name = "sessions",
     .weight = {50, 10, 15, 5, 2, 100, 50, 20, 20, 15, 110, 70},
     .codec_pct = 15, .unknown_pct = 12, .seq_skip_pct = 25, .tiny_pct = 60,
     .ttl_span_ms = 3000, .dt_max_ms = 600, .jump_pct = 10, .back_pct = 5,
     .read_every = 8, .snap_every = 25, .sweep_pct = 25},
    {.name = "eviction",
     .weight = {15, 30, 15, 5, 2, 150, 70, 50, 50, 40, 30, 15},
     .codec_pct = 15, .unknown_pct = 3, .seq_skip_pct = 8, .tiny_pct = 85,
     .ttl_span_ms = 2000, .dt_max_ms = 800, .jump_pct = 10, .back_pct = 5,
     .read_every = 8, .snap_every = 20, .sweep_pct = 25},
    {.name = "expiry",
     .weight = {15, 10, 15, 5, 2, 160, 80, 40, 20, 70, 20, 10},
     .codec_pct = 15, .unknown_pct = 2, .seq_skip_pct = 5, .tiny_pct = 20,
     .ttl_span_ms = 400, .dt_max_ms = 300, .jump_pct = 8, .back_pct = 10,
     .read_every = 8, .snap_every = 25, .sweep_pct = 25},
    {.name = "pools",
     .weight = {15, 5, 40, 60, 6, 130, 50, 30, 30, 20, 15, 10},
     .codec_pct = 15, .unknown_pct = 2, .seq_skip_pct = 5, .tiny_pct = 20,
     .ttl_span_ms = 3000, .dt_max_ms = 600, .jump_pct = 4, .back_pct = 5,
     .read_every = 8, .snap_every = 25, .sweep_pct = 25},
    {.name = "codec",
     .weight = {25, 15, 20, 15, 2, 140, 60, 30, 30, 30, 40, 25},
     .codec_pct = 100, .unknown_pct = 4, .seq_skip_pct = 12, .tiny_pct = 50,
     .ttl_span_ms = 1500, .dt_max_ms = 600, .jump_pct = 6, .back_pct = 8,
     .read_every = 10, .snap_every = 30, .sweep_pct = 25},
    /* More channel names than the ledger's table: LIMIT_REACHED on HOLD,
     * POOL_CREATE and POOL_UPDATE. */
    {.name = "limits",
     .weight = {15, 5, 40, 40, 2, 150, 50, 30, 30, 20, 15, 10},
     .codec_pct = 15, .unknown_pct = 2, .seq_skip_pct = 5, .tiny_pct = 20,
     .ttl_span_ms = 3000, .dt_max_ms = 600, .jump_pct = 4, .back_pct = 5,
     .read_every = 8, .snap_every = 25, .sweep_pct = 25,
     .channels = MANY_CHANNELS},
    /* Big pools, many patients, big batches, rare and small sweeps: more
     * than SLOT_EXPIRE_DUE_COUNT_MAX holds come due at once. No POOL_CLOSE:
     * a closed big pool would waste the case. */
    {.name = "bulk",
     .weight = {5, 1, 10, 2, 0, 400, 40, 20, 10, 15, 10, 5},
     .codec_pct = 10, .unknown_pct = 1, .seq_skip_pct = 3, .tiny_pct = 5,
     .ttl_span_ms = 20000, .dt_max_ms = 30, .jump_pct = 1, .back_pct = 5,
     .read_every = 16, .snap_every = 40, .sweep_pct = 1,
     .patients = BULK_PATIENTS, .capacity_max = 2000, .batch_max = 48,
     .seeds_div = 30},
};
/* clang-format on */
#define N_PROFILES  (sizeof PROFILES / sizeof PROFILES[0])
#define BATCH_LIMIT 64 /* largest batch_max of any profile */

static uint32_t n_patients(const struct profile *pf)
{
    return pf->patients != 0 ? pf->patients : N_PATIENTS;
}

static uint32_t n_channels(const struct profile *pf)
{
    return pf->channels != 0 ? pf->channels : N_CHANNELS;
}

/* ---- one seeded run ------------------------------------------------------ */

/* What a run exercised: results per (op, code), and the events a profile
 * exists for. run_case() asserts minimums (see MUST below), so a generator
 * change that silently stops producing a case fails the test instead of
 * passing with less coverage. */
struct cover {
    uint64_t codes[SLOT_OP_MAX + 1][128];
    uint64_t snapshots;  /* snapshot + restore round trips */
    uint64_t codec;      /* batches through the entry codec */
    uint64_t due_capped; /* EXPIREs that found >= DUE_COUNT_MAX still due */
    uint64_t replays;    /* retries answered with the stored result */
};

struct run {
    const struct profile *pf;
    uint64_t seed;
    uint32_t step;
    bool verbose;
    uint64_t rng;  /* drives the commands */
    uint64_t rng2; /* drives when to read and snapshot: kept apart so the
                    * command stream of a seed never depends on it */
    struct ledger *l;
    struct refmodel *m;
    uint64_t clock_ms; /* the generator's wall clock (stamps' high mark) */
    /* Highest seq sent, per session id modulo the table: ids that share a
     * slot only make the seqs less regular, which is harmless. */
    uint64_t hi_seq[SESSIONS_SEEN_MAX];
    /* Recent session commands, for retries; strings point at the static
     * universe, so copies stay valid. */
    struct slot_cmd hist[HISTORY];
    uint32_t n_hist;
    uint32_t holds_in_batch; /* HOLDs generated so far in this batch */
    struct mp_buf enc;       /* scratch encoder */
    struct cover cov;        /* what this seed exercised */
};

static uint64_t split_mix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform enough in [0, n) for n > 0. */
static uint32_t rnd(struct run *r, uint32_t n)
{
    return (uint32_t)(split_mix(&r->rng) % n);
}

static bool chance(struct run *r, uint32_t pct)
{
    return rnd(r, 100) < pct;
}

/* ---- printing ------------------------------------------------------------ */

static const char *code_name(int code)
{
    const char *n = slot_err_name(code);
    return n != NULL ? n : "?";
}

static void fmt_cmd(const struct slot_cmd *c, char *out, size_t cap)
{
    const char *op = slot_op_name(c->op);
    int k = snprintf(out, cap, "%s s=%" PRIu64 " q=%" PRIu64 " ",
                     op != NULL ? op : "?", c->session, c->seq);
    if (k < 0 || (size_t)k >= cap) {
        return;
    }
    out += k;
    cap -= (size_t)k;
    switch (c->op) {
        case SLOT_OP_CONFIG:
            snprintf(out, cap,
                     "ttl=[%" PRIu32 ",%" PRIu32 "] smax=%" PRIu32
                     " idle=%" PRIu64 " retain=%" PRIu64 "ms/%" PRIu32,
                     c->u.config.hold_ttl_min_ms, c->u.config.hold_ttl_max_ms,
                     c->u.config.session_max, c->u.config.session_idle_ms,
                     c->u.config.retain_ms, c->u.config.retain_max);
            break;
        case SLOT_OP_POOL_CREATE:
        case SLOT_OP_POOL_UPDATE: {
            const struct slot_pool_spec *p = &c->u.pool;
            int w =
                snprintf(out, cap,
                         "%.*s cap=%" PRIu32 " kind=%u rel=%" PRIu64 " shares=",
                         (int)p->pool.len, p->pool.p, p->capacity, p->kind,
                         p->release_at_ms);
            for (uint32_t i = 0; i < p->n_shares && w > 0 && (size_t)w < cap;
                 i++) {
                int x = snprintf(out + w, cap - (size_t)w, "%.*s:%" PRIu32 " ",
                                 (int)p->shares[i].channel.len,
                                 p->shares[i].channel.p, p->shares[i].slots);
                w = x < 0 ? -1 : w + x;
            }
            break;
        }
        case SLOT_OP_POOL_CLOSE:
            snprintf(out, cap, "%.*s", (int)c->u.close.pool.len,
                     c->u.close.pool.p);
            break;
        case SLOT_OP_HOLD:
            snprintf(out, cap, "%.*s %.*s %.*s ttl=%" PRIu32,
                     (int)c->u.hold.pool.len, c->u.hold.pool.p,
                     (int)c->u.hold.patient.len, c->u.hold.patient.p,
                     (int)c->u.hold.channel.len, c->u.hold.channel.p,
                     c->u.hold.ttl_ms);
            break;
        case SLOT_OP_CONFIRM:
            snprintf(out, cap, "hold=%" PRIu64 " ref=%.*s", c->u.confirm.hold,
                     (int)c->u.confirm.payment_ref.len,
                     c->u.confirm.payment_ref.p);
            break;
        case SLOT_OP_RELEASE:
            snprintf(out, cap, "hold=%" PRIu64, c->u.release.hold);
            break;
        case SLOT_OP_CANCEL:
            snprintf(out, cap, "booking=%" PRIu64, c->u.cancel.booking);
            break;
        case SLOT_OP_EXPIRE:
            snprintf(out, cap, "max=%" PRIu32, c->u.expire.max);
            break;
        default:
            out[0] = '\0';
    }
}

static void fmt_result(const struct slot_result *res, char *out, size_t cap)
{
    snprintf(out, cap, "%s a=%" PRIu64 " b=%" PRIu64 " t=%" PRIu64,
             code_name(res->code), res->a, res->b, res->time_ms);
}

/* Reports a failure of this run and how to replay it; never returns. */
__attribute__((format(printf, 2, 3), noreturn)) static void
fail(const struct run *r, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "seed %" PRIu64 " (%s) step %" PRIu32 ": ", r->seed,
            r->pf->name, r->step);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nreplay: %s --seed %" PRIu64 "\n", opt.argv0, r->seed);
    exit(1);
}

/* ---- the generator ------------------------------------------------------- */

/* Fingerprints as the decoder computes them: hashes of the canonical bytes
 * (the whole command; for IDEM also the inner one). */
static void seal(struct run *r, struct slot_cmd *c)
{
    struct slot_cmd d;
    mp_buf_reset(&r->enc);
    slot_cmd_encode(&r->enc, c);
    if (slot_cmd_decode_buf(r->enc.data, r->enc.len, &d) != SLOT_OK) {
        fprintf(stderr, "generated command does not decode\n");
        abort();
    }
    c->fingerprint = d.fingerprint;
    c->idem.fingerprint = d.idem.fingerprint;
}

static uint32_t live_sessions(struct run *r, uint64_t *ids, uint32_t cap)
{
    uint32_t n = refmodel_sessions(r->m, ids, cap);
    return n < cap ? n : cap;
}

/* Mostly a live session (the most recently used ones more often: they are
 * the ones clients are busy with); sometimes one the ledger never heard of
 * or has forgotten. */
static uint64_t pick_session(struct run *r)
{
    uint64_t ids[64];
    uint32_t n = live_sessions(r, ids, 64);
    uint64_t last = refmodel_last_session_id(r->m);
    if (n == 0 || chance(r, r->pf->unknown_pct)) {
        if (last > 0 && chance(r, 60)) {
            return 1 + rnd(r, (uint32_t)last); /* any, maybe forgotten */
        }
        return last + 1 + rnd(r, 3); /* never opened (yet) */
    }
    if (chance(r, 50)) {
        return ids[rnd(r, n < 3 ? n : 3)];
    }
    return ids[rnd(r, n)];
}

/* The next request number of a session: usually the next one, sometimes a
 * gap, a jump past the window, or a step back into or below it. */
static uint64_t pick_seq(struct run *r, uint64_t session)
{
    uint64_t *hi = &r->hi_seq[session % SESSIONS_SEEN_MAX];
    if (!chance(r, r->pf->seq_skip_pct)) {
        return ++*hi;
    }
    uint32_t how = rnd(r, 10);
    if (how < 4) {
        return *hi += 2 + rnd(r, 3);
    }
    if (how < 6) {
        return *hi += SLOT_SESSION_WINDOW - 2 + rnd(r, 6);
    }
    uint64_t back = 1 + rnd(r, SLOT_SESSION_WINDOW + 8);
    return *hi > back ? *hi - back : 1 + rnd(r, 3);
}

static struct slot_str pick_pool(struct run *r, bool creatable)
{
    return sstr(POOL_IDS[rnd(r, creatable ? N_CREATABLE : N_POOL_IDS)]);
}

static bool pool_exists(struct run *r, struct slot_str pool)
{
    struct slot_pool_status st;
    return refmodel_read_pool(r->m, pool, &st) == SLOT_OK;
}

/* Mostly a pool that exists and is not closed, so HOLDs get to the rules
 * past UNKNOWN_POOL and POOL_CLOSED. */
static struct slot_str pick_open_pool(struct run *r)
{
    struct slot_str pool = pick_pool(r, false);
    struct slot_pool_status st;
    for (int tries = 0; tries < 8 && chance(r, 85) &&
                        (refmodel_read_pool(r->m, pool, &st) != SLOT_OK ||
                         st.state == SLOT_PSTATE_CLOSED);
         tries++) {
        pool = pick_pool(r, false);
    }
    return pool;
}

/* A claim id for CONFIRM / RELEASE / CANCEL: often one of the newest
 * claims in the state the command wants (a live hold, a booking), else a
 * hold made earlier in this batch, an id never issued, a recent id or any
 * id (maybe forgotten after retention). */
static uint64_t pick_claim(struct run *r, uint8_t want)
{
    uint64_t last = refmodel_last_claim_id(r->m);
    uint32_t w = rnd(r, 100);
    if (w < 60) {
        uint64_t found[8];
        uint32_t n = 0;
        for (uint64_t id = last; id >= 1 && last - id < 64 && n < 8; id--) {
            struct slot_claim c;
            if (refmodel_read_claim(r->m, id, false, &c) == SLOT_OK &&
                c.state == want) {
                found[n++] = id;
            }
        }
        if (n > 0) {
            return found[rnd(r, n)];
        }
    }
    if (w < 70 && r->holds_in_batch > 0) {
        return last + 1 + rnd(r, r->holds_in_batch);
    }
    if (last == 0 || w < 76) {
        return last + 1 + rnd(r, 3);
    }
    if (w < 90) {
        return last - rnd(r, last < 12 ? (uint32_t)last : 12);
    }
    return 1 + rnd(r, (uint32_t)(last < UINT32_MAX ? last : UINT32_MAX));
}

/* A channel index: the three usual ones mostly, any of a bigger universe
 * when the profile has one. */
static uint32_t pick_channel(struct run *r)
{
    uint32_t n = n_channels(r->pf);
    return n == N_CHANNELS || chance(r, 40) ? rnd(r, N_CHANNELS) : rnd(r, n);
}

static void gen_config(struct run *r, struct slot_config *c)
{
    static const uint32_t mins[] = {1, 7, 50, 200, 1000};
    uint32_t tiny = r->pf->tiny_pct;
    c->hold_ttl_min_ms = mins[rnd(r, 5)];
    c->hold_ttl_max_ms = c->hold_ttl_min_ms + rnd(r, r->pf->ttl_span_ms + 1);
    c->session_max = chance(r, tiny) ? 1 + rnd(r, 6)
                     : chance(r, 50) ? LEDGER_DEFAULT_SESSION_MAX
                                     : 8 + rnd(r, 64);
    c->session_idle_ms =
        chance(r, tiny) ? 1000 + rnd(r, 4000) : LEDGER_DEFAULT_SESSION_IDLE_MS;
    c->retain_ms = !chance(r, tiny) ? LEDGER_DEFAULT_RETAIN_MS
                   : chance(r, 10)  ? 0
                                    : rnd(r, 4000);
    c->retain_max = chance(r, tiny) ? rnd(r, 8)
                    : chance(r, 50) ? LEDGER_DEFAULT_RETAIN_MAX
                                    : 16 + rnd(r, 64);
}

/* A pool id to create (mostly a new one) or update (mostly an existing
 * one); the other choice yields POOL_EXISTS / UNKNOWN_POOL. */
static struct slot_str pick_spec_pool(struct run *r, bool update)
{
    struct slot_str pool = pick_pool(r, !update);
    for (int tries = 0;
         tries < 3 && pool_exists(r, pool) != update && chance(r, 80);
         tries++) {
        pool = pick_pool(r, !update);
    }
    return pool;
}

static void gen_spec(struct run *r, struct slot_pool_spec *p, bool update)
{
    p->pool = pick_spec_pool(r, update);
    p->capacity =
        1 + rnd(r, r->pf->capacity_max != 0 ? r->pf->capacity_max : 6);
    p->kind = (uint8_t)rnd(r, SLOT_KIND_MAX + 1);
    p->fee_cents = chance(r, 30) ? 0 : 100 * (uint64_t)(1 + rnd(r, 500));
    if (chance(r, 50)) {
        p->seg_start_ms = rnd(r, 1000000);
        p->seg_end_ms = p->seg_start_ms + 1 + rnd(r, 1000000);
    }
    uint32_t w = rnd(r, 10);
    if (w < 6) {
        p->release_at_ms = 0;
    } else if (w < 8) {
        p->release_at_ms = r->clock_ms - rnd(r, 1000);
    } else {
        p->release_at_ms = r->clock_ms + 1 + rnd(r, 3000);
    }
    /* Shares: a few distinct channels in random order, each 1..what is
     * left, so the sum never exceeds the capacity. */
    uint32_t cand[4], n_cand = 0;
    for (int tries = 0; tries < 8 && n_cand < 4; tries++) {
        uint32_t ch = pick_channel(r);
        bool dup = false;
        for (uint32_t i = 0; i < n_cand; i++) {
            dup = dup || cand[i] == ch;
        }
        if (!dup) {
            cand[n_cand++] = ch;
        }
    }
    uint32_t sum = 0;
    p->n_shares = 0;
    for (uint32_t i = 0; i < n_cand; i++) {
        if (sum < p->capacity && chance(r, 40)) {
            uint32_t slots = 1 + rnd(r, p->capacity - sum);
            p->shares[p->n_shares].channel = sstr(channel_name(cand[i]));
            p->shares[p->n_shares].slots = slots;
            p->n_shares++;
            sum += slots;
        }
    }
}

/* TTLs mostly inside the configured bounds, sometimes just or far out. */
static uint32_t gen_ttl(struct run *r)
{
    struct slot_config c = refmodel_config(r->m);
    uint32_t w = rnd(r, 100);
    if (w < 5) {
        return c.hold_ttl_min_ms - 1 - rnd(r, c.hold_ttl_min_ms);
    }
    if (w < 10) {
        return chance(r, 80) ? c.hold_ttl_max_ms + 1 : UINT32_MAX;
    }
    if (w < 14) {
        return w < 12 ? c.hold_ttl_min_ms : c.hold_ttl_max_ms; /* edges */
    }
    uint32_t span = c.hold_ttl_max_ms - c.hold_ttl_min_ms;
    if (span > r->pf->ttl_span_ms) {
        span = r->pf->ttl_span_ms;
    }
    return c.hold_ttl_min_ms + rnd(r, span + 1);
}

/* The op-specific part of a session command of kind k. */
static void gen_body(struct run *r, struct slot_cmd *c, enum kind k)
{
    switch (k) {
        case K_CONFIG:
            c->op = SLOT_OP_CONFIG;
            gen_config(r, &c->u.config);
            break;
        case K_CREATE:
            c->op = SLOT_OP_POOL_CREATE;
            gen_spec(r, &c->u.pool, false);
            break;
        case K_UPDATE:
            c->op = SLOT_OP_POOL_UPDATE;
            gen_spec(r, &c->u.pool, true);
            break;
        case K_CLOSE:
            c->op = SLOT_OP_POOL_CLOSE;
            c->u.close.pool = pick_pool(r, false);
            break;
        case K_CONFIRM:
            c->op = SLOT_OP_CONFIRM;
            c->u.confirm.hold = pick_claim(
                r, chance(r, 80) ? SLOT_CLAIM_HELD : SLOT_CLAIM_EXPIRED);
            c->u.confirm.payment_ref =
                sstr(PAYMENT_REFS[rnd(r, N_PAYMENT_REFS)]);
            break;
        case K_RELEASE:
            c->op = SLOT_OP_RELEASE;
            c->u.release.hold = pick_claim(
                r, chance(r, 80) ? SLOT_CLAIM_HELD : SLOT_CLAIM_EXPIRED);
            break;
        case K_CANCEL:
            c->op = SLOT_OP_CANCEL;
            c->u.cancel.booking = pick_claim(
                r, chance(r, 80) ? SLOT_CLAIM_BOOKED : SLOT_CLAIM_CANCELLED);
            break;
        default:
            c->op = SLOT_OP_HOLD;
            c->u.hold.pool = pick_open_pool(r);
            c->u.hold.patient = sstr(patient_name(rnd(r, n_patients(r->pf))));
            c->u.hold.channel = sstr(channel_name(pick_channel(r)));
            c->u.hold.ttl_ms = gen_ttl(r);
            r->holds_in_batch++;
            break;
    }
}

static enum kind pick_kind(struct run *r)
{
    /* Keep the run alive: a world without sessions or pools tests little. */
    if (refmodel_sessions(r->m, NULL, 0) == 0 && chance(r, 70)) {
        return K_OPEN;
    }
    if (refmodel_pool_count(r->m) < 2 && chance(r, 30)) {
        return K_CREATE;
    }
    uint32_t total = 0;
    for (int k = 0; k < K_COUNT; k++) {
        total += r->pf->weight[k];
    }
    uint32_t x = rnd(r, total);
    for (int k = 0; k < K_COUNT; k++) {
        if (x < r->pf->weight[k]) {
            return (enum kind)k;
        }
        x -= r->pf->weight[k];
    }
    return K_HOLD;
}

static void remember(struct run *r, const struct slot_cmd *c)
{
    r->hist[r->n_hist % HISTORY] = *c;
    r->n_hist++;
}

/* Idempotency keys: a small universe, so keys are reused across sessions
 * with the same and with different commands. */
static const char *const IDEM_KEYS[] = {"k0", "k1", "k2", "k3", "k4", "k5"};
static const char *const IDEM_CHANNELS[] = {"app", "114"};

static struct slot_str lit(const char *s)
{
    struct slot_str x = {s, (uint32_t)strlen(s)};
    return x;
}

/* Wraps a channel mutation in IDEM now and then. */
static void maybe_idem(struct run *r, struct slot_cmd *c)
{
    if (c->op < SLOT_OP_POOL_CREATE || c->op > SLOT_OP_CANCEL ||
        !chance(r, 15)) {
        return;
    }
    c->idem.channel = lit(IDEM_CHANNELS[rnd(r, 2)]);
    c->idem.key = lit(IDEM_KEYS[rnd(r, 6)]);
}

/* A remembered IDEM command resent on another session and seq, as another
 * gateway would: the ledger must answer the original result. */
static bool idem_replay(struct run *r, struct slot_cmd *c)
{
    uint32_t n = r->n_hist < HISTORY ? r->n_hist : HISTORY;
    for (uint32_t tries = 0; tries < 4 && n > 0; tries++) {
        const struct slot_cmd *old = &r->hist[rnd(r, n)];
        if (old->idem.key.len > 0) {
            *c = *old;
            c->session = pick_session(r);
            c->seq = pick_seq(r, c->session);
            return true;
        }
    }
    return false;
}

static void gen_cmd(struct run *r, struct slot_cmd *c)
{
    memset(c, 0, sizeof *c);
    enum kind k = pick_kind(r);
    if ((k == K_RETRY_SAME || k == K_RETRY_DIFF) && r->n_hist == 0) {
        k = K_HOLD;
    }
    if (k == K_OPEN) {
        c->op = SLOT_OP_SESSION_OPEN;
    } else if (k == K_EXPIRE) {
        c->op = SLOT_OP_EXPIRE;
        c->u.expire.max = chance(r, r->pf->sweep_pct)
                              ? 1 + rnd(r, SLOT_EXPIRE_MAX)
                              : 1 + rnd(r, 3);
    } else if (k == K_RETRY_SAME) {
        uint32_t n = r->n_hist < HISTORY ? r->n_hist : HISTORY;
        *c = r->hist[rnd(r, n)];
        return; /* already sealed */
    } else if (k == K_RETRY_DIFF) {
        uint32_t n = r->n_hist < HISTORY ? r->n_hist : HISTORY;
        const struct slot_cmd *old = &r->hist[rnd(r, n)];
        uint64_t session = old->session, seq = old->seq;
        enum kind body;
        do {
            body = pick_kind(r);
        } while (body == K_OPEN || body >= K_EXPIRE);
        gen_body(r, c, body);
        c->session = session;
        c->seq = seq;
    } else if (!(chance(r, 5) && idem_replay(r, c))) {
        gen_body(r, c, k);
        maybe_idem(r, c);
        c->session = pick_session(r);
        c->seq = pick_seq(r, c->session);
    }
    seal(r, c);
    if (c->session != 0) {
        remember(r, c);
    }
}

/* The stamp of the next batch. Mostly a small step; sometimes a jump to a
 * boundary that matters (a hold's deadline, a session's idle limit) or far
 * beyond; sometimes behind ledger time, which must not move it back. */
static uint64_t gen_stamp(struct run *r)
{
    uint32_t w = rnd(r, 100);
    if (w < r->pf->jump_pct) {
        struct slot_config c = refmodel_config(r->m);
        uint64_t next = refmodel_next_deadline_ms(r->m);
        uint32_t how = rnd(r, 4);
        if (how == 0 && next != UINT64_MAX && next > r->clock_ms) {
            r->clock_ms = next - (chance(r, 30) ? 1 : 0);
        } else if (how == 1 && c.session_idle_ms < 100000) {
            r->clock_ms += c.session_idle_ms - 1 + rnd(r, 3);
        } else if (how == 2 && c.retain_ms < 100000) {
            r->clock_ms += c.retain_ms + rnd(r, 2);
        } else {
            r->clock_ms += 1000 + rnd(r, 20000);
        }
    } else if (w < 80) {
        r->clock_ms += rnd(r, r->pf->dt_max_ms + 1);
    }
    if (chance(r, r->pf->back_pct)) {
        return r->clock_ms - rnd(r, 5000);
    }
    return r->clock_ms;
}

/* ---- comparing ----------------------------------------------------------- */

static void check_result(struct run *r, const struct slot_cmd *cmds, uint32_t n,
                         uint32_t i, const struct slot_result *lr,
                         const struct slot_result *mr)
{
    if (lr->code == mr->code && lr->a == mr->a && lr->b == mr->b &&
        lr->time_ms == mr->time_ms) {
        return;
    }
    char buf[512], lb[128], mb[128];
    for (uint32_t j = 0; j < n; j++) {
        fmt_cmd(&cmds[j], buf, sizeof buf);
        fprintf(stderr, "  %s[%" PRIu32 "] %s\n", j == i ? ">" : " ", j, buf);
    }
    fmt_cmd(&cmds[i], buf, sizeof buf);
    fmt_result(lr, lb, sizeof lb);
    fmt_result(mr, mb, sizeof mb);
    fail(r, "batch command %" PRIu32 " %s\n  ledger: %s\n  model:  %s", i, buf,
         lb, mb);
}

/* The first differing field of two structs, or NULL: one line per field
 * so a new field is easy to add. */
#define DIFF_(f)                                                               \
    do {                                                                       \
        if (a->f != b->f) {                                                    \
            return #f;                                                         \
        }                                                                      \
    } while (0)

static const char *diff_bucket(const struct slot_bucket *a,
                               const struct slot_bucket *b)
{
    if (strcmp(a->channel, b->channel) != 0) {
        return "channel";
    }
    DIFF_(capacity);
    DIFF_(free);
    DIFF_(held);
    DIFF_(booked);
    return NULL;
}

static const char *diff_pool(const struct slot_pool_status *a,
                             const struct slot_pool_status *b)
{
    if (strcmp(a->pool, b->pool) != 0) {
        return "pool";
    }
    DIFF_(kind);
    DIFF_(state);
    DIFF_(capacity);
    DIFF_(free);
    DIFF_(held);
    DIFF_(booked);
    DIFF_(fee_cents);
    DIFF_(seg_start_ms);
    DIFF_(seg_end_ms);
    DIFF_(release_at_ms);
    DIFF_(next_visit_no);
    DIFF_(n_shares);
    for (uint32_t i = 0; i < a->n_shares && i < SLOT_POOL_SHARES_MAX; i++) {
        if (diff_bucket(&a->shares[i], &b->shares[i]) != NULL) {
            return "shares[]";
        }
    }
    return diff_bucket(&a->remainder, &b->remainder) != NULL ? "remainder"
                                                             : NULL;
}

static const char *diff_claim(const struct slot_claim *a,
                              const struct slot_claim *b)
{
    DIFF_(id);
    DIFF_(state);
    DIFF_(held_at_ms);
    DIFF_(deadline_ms);
    DIFF_(booked_at_ms);
    DIFF_(resolved_at_ms);
    DIFF_(visit_no);
    if (strcmp(a->pool, b->pool) != 0) {
        return "pool";
    }
    if (strcmp(a->patient, b->patient) != 0) {
        return "patient";
    }
    if (strcmp(a->channel, b->channel) != 0) {
        return "channel";
    }
    return strcmp(a->payment_ref, b->payment_ref) != 0 ? "payment_ref" : NULL;
}

/* Everything but state_hash, which the model does not compute. */
static const char *diff_info(const struct slot_ledger_info *a,
                             const struct slot_ledger_info *b)
{
    DIFF_(time_ms);
    DIFF_(pools);
    DIFF_(patients);
    DIFF_(channels);
    DIFF_(sessions);
    DIFF_(holds_active);
    DIFF_(bookings_active);
    DIFF_(retained);
    DIFF_(config.hold_ttl_min_ms);
    DIFF_(config.hold_ttl_max_ms);
    DIFF_(config.session_max);
    DIFF_(config.session_idle_ms);
    DIFF_(config.retain_ms);
    DIFF_(config.retain_max);
    return NULL;
}
#undef DIFF_

static void print_bucket(const char *who, const struct slot_bucket *b)
{
    fprintf(stderr,
            "    %s bucket '%s' cap=%" PRIu32 " free=%" PRIu32 " held=%" PRIu32
            " booked=%" PRIu32 "\n",
            who, b->channel, b->capacity, b->free, b->held, b->booked);
}

static void print_pool(const char *who, const struct slot_pool_status *s)
{
    fprintf(stderr,
            "  %s: %s kind=%u state=%u cap=%" PRIu32 " free=%" PRIu32
            " held=%" PRIu32 " booked=%" PRIu32 " fee=%" PRIu64 " seg=%" PRIu64
            "-%" PRIu64 " rel=%" PRIu64 " next_visit=%" PRIu32
            " shares=%" PRIu32 "\n",
            who, s->pool, s->kind, s->state, s->capacity, s->free, s->held,
            s->booked, s->fee_cents, s->seg_start_ms, s->seg_end_ms,
            s->release_at_ms, s->next_visit_no, s->n_shares);
    for (uint32_t i = 0; i < s->n_shares && i < SLOT_POOL_SHARES_MAX; i++) {
        print_bucket(who, &s->shares[i]);
    }
    print_bucket(who, &s->remainder);
}

static void print_claim(const char *who, const struct slot_claim *c)
{
    fprintf(stderr,
            "  %s: id=%" PRIu64 " state=%u pool=%s patient=%s channel=%s "
            "held_at=%" PRIu64 " deadline=%" PRIu64 " booked_at=%" PRIu64
            " resolved_at=%" PRIu64 " visit=%" PRIu32 " ref=%s\n",
            who, c->id, c->state, c->pool, c->patient, c->channel,
            c->held_at_ms, c->deadline_ms, c->booked_at_ms, c->resolved_at_ms,
            c->visit_no, c->payment_ref);
}

static void compare_pool(struct run *r, struct slot_str pool)
{
    struct slot_pool_status ls, ms;
    memset(&ls, 0, sizeof ls);
    int lc = ledger_read_pool(r->l, pool, &ls);
    int mc = refmodel_read_pool(r->m, pool, &ms);
    const char *d = lc != mc        ? "code"
                    : lc == SLOT_OK ? diff_pool(&ls, &ms)
                                    : NULL;
    if (d != NULL) {
        if (lc == SLOT_OK && mc == SLOT_OK) {
            print_pool("ledger", &ls);
            print_pool("model ", &ms);
        }
        fail(r, "read pool %.*s: %s differs (ledger %s, model %s)",
             (int)pool.len, pool.p, d, code_name(lc), code_name(mc));
    }
}

static void compare_claim(struct run *r, uint64_t id, bool booking)
{
    struct slot_claim lc, mc;
    memset(&lc, 0, sizeof lc);
    int lrc = ledger_read_claim(r->l, id, booking, &lc);
    int mrc = refmodel_read_claim(r->m, id, booking, &mc);
    const char *d = lrc != mrc       ? "code"
                    : lrc == SLOT_OK ? diff_claim(&lc, &mc)
                                     : NULL;
    if (d != NULL) {
        if (lrc == SLOT_OK && mrc == SLOT_OK) {
            print_claim("ledger", &lc);
            print_claim("model ", &mc);
        }
        fail(r, "read %s %" PRIu64 ": %s differs (ledger %s, model %s)",
             booking ? "booking" : "hold", id, d, code_name(lrc),
             code_name(mrc));
    }
}

static void compare_patient(struct run *r, struct slot_str pool,
                            struct slot_str patient)
{
    struct slot_claim lc[4], mc[4];
    uint32_t ln = 0, mn = 0;
    memset(lc, 0, sizeof lc);
    int lrc = ledger_read_patient(r->l, pool, patient, lc, 4, &ln);
    int mrc = refmodel_read_patient(r->m, pool, patient, mc, 4, &mn);
    const char *d = lrc != mrc ? "code" : NULL;
    if (d == NULL && lrc == SLOT_OK) {
        d = ln != mn ? "count" : NULL;
        for (uint32_t i = 0; d == NULL && i < ln; i++) {
            d = diff_claim(&lc[i], &mc[i]);
        }
    }
    if (d != NULL) {
        for (uint32_t i = 0; lrc == SLOT_OK && i < ln && i < 4; i++) {
            print_claim("ledger", &lc[i]);
        }
        for (uint32_t i = 0; mrc == SLOT_OK && i < mn && i < 4; i++) {
            print_claim("model ", &mc[i]);
        }
        fail(r,
             "read patient %.*s in %.*s: %s differs (ledger %s n=%" PRIu32
             ", model %s n=%" PRIu32 ")",
             (int)patient.len, patient.p, (int)pool.len, pool.p, d,
             code_name(lrc), ln, code_name(mrc), mn);
    }
}

static void compare_pools(struct run *r, struct slot_str after, uint32_t limit)
{
    static struct slot_pool_status ls[N_POOL_IDS + 1], ms[N_POOL_IDS + 1];
    uint32_t ln = 0, mn = 0;
    memset(ls, 0, sizeof ls);
    int lrc = ledger_read_pools(r->l, after, limit, ls, &ln);
    int mrc = refmodel_read_pools(r->m, after, limit, ms, &mn);
    const char *d = lrc != mrc ? "code" : NULL;
    if (d == NULL && lrc == SLOT_OK) {
        d = ln != mn ? "count" : NULL;
        for (uint32_t i = 0; d == NULL && i < ln; i++) {
            d = diff_pool(&ls[i], &ms[i]);
        }
    }
    if (d != NULL) {
        fail(r,
             "read pools after '%.*s' limit %" PRIu32
             ": %s differs (ledger %s n=%" PRIu32 ", model %s n=%" PRIu32 ")",
             (int)after.len, after.p, limit, d, code_name(lrc), ln,
             code_name(mrc), mn);
    }
}

static void compare_info(struct run *r)
{
    struct slot_ledger_info li, mi;
    ledger_info(r->l, &li);
    refmodel_info(r->m, &mi);
    const char *d = diff_info(&li, &mi);
    if (d != NULL) {
        fail(r, "ledger info: %s differs", d);
    }
    if (ledger_time_ms(r->l) != refmodel_time_ms(r->m)) {
        fail(r, "time: ledger %" PRIu64 ", model %" PRIu64,
             ledger_time_ms(r->l), refmodel_time_ms(r->m));
    }
    if (ledger_next_deadline_ms(r->l) != refmodel_next_deadline_ms(r->m)) {
        fail(r, "next deadline: ledger %" PRIu64 ", model %" PRIu64,
             ledger_next_deadline_ms(r->l), refmodel_next_deadline_ms(r->m));
    }
}

/* ledger_read packs the reply body; the model's structs packed by the same
 * encoders must give the same bytes. */
static void compare_encoded_read(struct run *r, const struct slot_read *rd)
{
    struct mp_buf lb, mb;
    mp_buf_init(&lb);
    mp_buf_init(&mb);
    int lrc = ledger_read(r->l, rd, &lb);
    int mrc;
    if (rd->op == SLOT_READ_POOL) {
        struct slot_pool_status s;
        mrc = refmodel_read_pool(r->m, rd->pool, &s);
        if (mrc == SLOT_OK) {
            slot_pool_status_encode(&mb, &s);
        }
    } else if (rd->op == SLOT_READ_HOLD || rd->op == SLOT_READ_BOOKING) {
        struct slot_claim c;
        mrc =
            refmodel_read_claim(r->m, rd->id, rd->op == SLOT_READ_BOOKING, &c);
        if (mrc == SLOT_OK) {
            slot_claim_encode(&mb, &c);
        }
    } else if (rd->op == SLOT_READ_PATIENT) {
        struct slot_claim c[4];
        uint32_t n;
        mrc = refmodel_read_patient(r->m, rd->pool, rd->patient, c, 4, &n);
        if (mrc == SLOT_OK) {
            mp_pack_array(&mb, n);
            for (uint32_t i = 0; i < n; i++) {
                slot_claim_encode(&mb, &c[i]);
            }
        }
    } else {
        struct slot_ledger_info info;
        refmodel_info(r->m, &info);
        info.state_hash = rd->no_hash ? 0 : ledger_state_hash(r->l);
        slot_ledger_info_encode(&mb, &info);
        mrc = SLOT_OK;
    }
    if (lrc != mrc || lb.len != mb.len ||
        (lb.len > 0 && memcmp(lb.data, mb.data, lb.len) != 0)) {
        fail(r,
             "ledger_read op %u (id %" PRIu64 ", pool '%.*s'): ledger %s "
             "%zu bytes, model %s %zu bytes",
             rd->op, rd->id, (int)rd->pool.len, rd->pool.p, code_name(lrc),
             lb.len, code_name(mrc), mb.len);
    }
    mp_buf_free(&lb);
    mp_buf_free(&mb);
}

static uint32_t rnd2(struct run *r, uint32_t n)
{
    return (uint32_t)(split_mix(&r->rng2) % n);
}

/* Compares reads. full: every pool, patient and claim id ever issued;
 * otherwise the recent claims and a random sample of the rest. */
static void compare_reads(struct run *r, bool full)
{
    compare_info(r);
    for (uint32_t i = 0; i < N_POOL_IDS; i++) {
        compare_pool(r, sstr(POOL_IDS[i]));
    }
    compare_pools(r, sstr(""), SLOT_LIST_MAX);
    compare_pools(r, sstr(POOL_IDS[rnd2(r, N_POOL_IDS)]), 1 + rnd2(r, 3));

    uint64_t last = refmodel_last_claim_id(r->m);
    uint64_t from = full || last < 48 ? 1 : last - 47;
    for (uint64_t id = from; id <= last + 1; id++) {
        compare_claim(r, id, false);
        compare_claim(r, id, true);
    }
    for (uint32_t i = 0; !full && last > 0 && i < 8; i++) {
        uint64_t id = 1 + rnd2(r, (uint32_t)last);
        compare_claim(r, id, false);
        compare_claim(r, id, true);
    }

    /* Every (pool, patient) pair of the small universe; a sample of the
     * bulk one (the model's patient read is a linear scan). */
    uint32_t np = n_patients(r->pf);
    if (full) {
        for (uint32_t p = 0; p < N_POOL_IDS; p++) {
            for (uint32_t q = 0; q < np && q < 64; q++) {
                compare_patient(r, sstr(POOL_IDS[p]), sstr(patient_name(q)));
            }
        }
    }
    for (uint32_t i = 0; i < (full ? 256u : 24u); i++) {
        compare_patient(r, sstr(POOL_IDS[rnd2(r, N_POOL_IDS)]),
                        sstr(patient_name(rnd2(r, np))));
    }

    struct slot_read rd;
    memset(&rd, 0, sizeof rd);
    rd.op = (uint8_t)(1 + rnd2(r, SLOT_READ_LEDGER));
    if (rd.op == SLOT_READ_POOLS) {
        rd.op = SLOT_READ_LEDGER; /* pool lists were compared above */
    }
    rd.pool = sstr(POOL_IDS[rnd2(r, N_POOL_IDS)]);
    rd.patient = sstr(patient_name(rnd2(r, np)));
    rd.id = 1 + rnd2(r, (uint32_t)(last + 2));
    rd.no_hash = rd.op == SLOT_READ_LEDGER && rnd2(r, 2) == 0;
    compare_encoded_read(r, &rd);
}

static void check_ledger(struct run *r)
{
    char why[256] = "";
    if (!ledger_check(r->l, why, sizeof why)) {
        fail(r, "ledger_check: %s", why);
    }
}

/* Snapshot, restore, verify the copy, continue on the copy. */
static void snapshot_restore(struct run *r)
{
    struct mp_buf a, b;
    mp_buf_init(&a);
    mp_buf_init(&b);
    ledger_snapshot(r->l, &a);
    struct ledger *copy = NULL;
    int rc = ledger_restore(a.data, a.len, &copy);
    if (rc != SLOT_OK || copy == NULL) {
        fail(r, "ledger_restore of a fresh %zu-byte snapshot: %s", a.len,
             code_name(rc));
    }
    if (ledger_state_hash(copy) != ledger_state_hash(r->l)) {
        fail(r, "state hash differs after restore");
    }
    ledger_snapshot(copy, &b);
    if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0) {
        fail(r, "snapshot of the restored ledger differs (%zu vs %zu bytes)",
             a.len, b.len);
    }
    mp_buf_free(&a);
    mp_buf_free(&b);
    ledger_destroy(r->l);
    r->l = copy;
    r->cov.snapshots++;
    check_ledger(r);
    compare_info(r);
}

/* Encodes the batch as a Raft entry, decodes it, checks the decoded
 * commands against the originals, and applies the decoded ones. */
static void apply_via_codec(struct run *r, uint64_t stamp,
                            const struct slot_cmd *cmds, uint32_t n,
                            struct slot_result *res)
{
    static struct slot_cmd dec[SLOT_BATCH_CMDS_MAX];
    struct slot_entry_builder e;
    uint64_t origin = stamp * 31 + n; /* any value; must round-trip */
    slot_entry_begin(&e, stamp, origin);
    for (uint32_t i = 0; i < n; i++) {
        mp_buf_reset(&r->enc);
        slot_cmd_encode(&r->enc, &cmds[i]);
        slot_entry_add(&e, r->enc.data, r->enc.len);
    }
    size_t len = 0;
    void *entry = slot_entry_finish(&e, &len);
    slot_entry_builder_free(&e);
    uint64_t dstamp = 0, dorigin = 0;
    uint32_t dn = 0;
    int rc = slot_entry_decode(entry, len, &dstamp, &dorigin, dec, &dn);
    if (rc != SLOT_OK || dn != n || dstamp != stamp || dorigin != origin ||
        len % 8 != 0) {
        fail(r,
             "entry round trip: %s, %" PRIu32 "/%" PRIu32
             " commands, stamp %" PRIu64 "/%" PRIu64 ", %zu bytes",
             code_name(rc), dn, n, dstamp, stamp, len);
    }
    for (uint32_t i = 0; i < n; i++) {
        if (dec[i].op != cmds[i].op || dec[i].session != cmds[i].session ||
            dec[i].seq != cmds[i].seq ||
            dec[i].fingerprint != cmds[i].fingerprint) {
            fail(r, "entry round trip changed command %" PRIu32, i);
        }
    }
    ledger_apply(r->l, dstamp, dec, dn, res);
    /* The decoded strings die with the entry: the ledger must have copied
     * whatever it keeps (AddressSanitizer catches it if not). */
    free(entry);
}

static void run_step(struct run *r)
{
    struct slot_cmd cmds[BATCH_LIMIT];
    struct slot_result lres[BATCH_LIMIT], mres[BATCH_LIMIT];
    uint64_t stamp = gen_stamp(r);
    uint32_t n = 1 + rnd(r, r->pf->batch_max != 0 ? r->pf->batch_max : 8);
    r->holds_in_batch = 0;
    for (uint32_t i = 0; i < n; i++) {
        gen_cmd(r, &cmds[i]);
    }
    bool codec = chance(r, r->pf->codec_pct);

    memset(lres, 0xa5, sizeof lres); /* a result left unwritten shows */
    r->cov.codec += codec;
    if (codec) {
        apply_via_codec(r, stamp, cmds, n, lres);
    } else {
        ledger_apply(r->l, stamp, cmds, n, lres);
    }
    refmodel_apply(r->m, stamp, cmds, n, mres);

    if (r->verbose) {
        printf("step %" PRIu32 " stamp %" PRIu64 " time %" PRIu64 "%s\n",
               r->step, stamp, refmodel_time_ms(r->m), codec ? " (codec)" : "");
    }
    for (uint32_t i = 0; i < n; i++) {
        if (r->verbose) {
            char cb[512], rb[128];
            fmt_cmd(&cmds[i], cb, sizeof cb);
            fmt_result(&lres[i], rb, sizeof rb);
            printf("  %-70s -> %s\n", cb, rb);
        }
        check_result(r, cmds, n, i, &lres[i], &mres[i]);
        if (mres[i].code < 128) {
            r->cov.codes[cmds[i].op][mres[i].code]++;
        }
        r->cov.due_capped += cmds[i].op == SLOT_OP_EXPIRE &&
                             mres[i].b >= SLOT_EXPIRE_DUE_COUNT_MAX;
        /* A fresh result carries this batch's time; an older one was
         * stored by the session and answered again. */
        r->cov.replays += mres[i].time_ms < refmodel_time_ms(r->m);
    }
    check_ledger(r);
}

static void run_seed(const struct profile *pf, uint64_t seed, bool verbose,
                     struct cover *cov)
{
    struct run *r = calloc(1, sizeof *r);
    CHECK(r != NULL);
    r->pf = pf;
    r->seed = seed;
    r->verbose = verbose;
    r->rng = seed;
    r->rng2 = seed ^ 0x5eed5eed5eed5eedull;
    r->l = ledger_create();
    r->m = refmodel_create();
    CHECK(r->l != NULL);
    mp_buf_init(&r->enc);
    /* Start at a realistic epoch-ms clock, somewhere in a day. */
    r->clock_ms = 1700000000000ull + rnd(r, 86400000);

    for (r->step = 0; r->step < opt.steps; r->step++) {
        run_step(r);
        if (rnd2(r, r->pf->read_every) == 0) {
            compare_reads(r, false);
        }
        if (rnd2(r, r->pf->snap_every) == 0) {
            snapshot_restore(r);
        }
    }
    compare_reads(r, true);

    if (cov != NULL) {
        for (int op = 0; op <= SLOT_OP_MAX; op++) {
            for (int c = 0; c < 128; c++) {
                cov->codes[op][c] += r->cov.codes[op][c];
            }
        }
        cov->snapshots += r->cov.snapshots;
        cov->codec += r->cov.codec;
        cov->due_capped += r->cov.due_capped;
        cov->replays += r->cov.replays;
    }
    mp_buf_free(&r->enc);
    ledger_destroy(r->l);
    refmodel_destroy(r->m);
    free(r);
}

/* ---- cases --------------------------------------------------------------- */

static void print_stats(const char *name, uint64_t codes[SLOT_OP_MAX + 1][128])
{
    printf("%s: results per op\n", name);
    for (int op = 1; op <= SLOT_OP_MAX; op++) {
        printf("  %-13s", slot_op_name(op));
        for (int c = 0; c < 128; c++) {
            if (codes[op][c] != 0) {
                printf(" %s=%" PRIu64, code_name(c), codes[op][c]);
            }
        }
        printf("\n");
    }
}

/* Results every case must produce at least once, even in a --quick run:
 * the refusals of each rule and the outcomes of each transition. */
static const struct {
    uint8_t op;
    uint16_t code;
} MUST[] = {
    {SLOT_OP_POOL_CREATE, SLOT_OK},
    {SLOT_OP_POOL_CREATE, SLOT_POOL_EXISTS},
    {SLOT_OP_POOL_UPDATE, SLOT_OK},
    {SLOT_OP_POOL_UPDATE, SLOT_CAPACITY_CONFLICT},
    {SLOT_OP_HOLD, SLOT_OK},
    {SLOT_OP_HOLD, SLOT_UNKNOWN_POOL},
    {SLOT_OP_HOLD, SLOT_NOT_RELEASED},
    {SLOT_OP_HOLD, SLOT_TTL_OUT_OF_RANGE},
    {SLOT_OP_HOLD, SLOT_PATIENT_HAS_CLAIM},
    {SLOT_OP_HOLD, SLOT_SOLD_OUT},
    {SLOT_OP_HOLD, SLOT_SESSION_UNKNOWN},
    {SLOT_OP_HOLD, SLOT_REQUEST_TOO_OLD},
    {SLOT_OP_HOLD, SLOT_REQUEST_MISMATCH},
    {SLOT_OP_CONFIRM, SLOT_OK},
    {SLOT_OP_CONFIRM, SLOT_UNKNOWN_HOLD},
    {SLOT_OP_CONFIRM, SLOT_HOLD_EXPIRED},
    {SLOT_OP_CONFIRM, SLOT_ALREADY_CONFIRMED},
    {SLOT_OP_CONFIRM, SLOT_ALREADY_RELEASED},
    {SLOT_OP_RELEASE, SLOT_OK},
    {SLOT_OP_RELEASE, SLOT_HOLD_EXPIRED},
    {SLOT_OP_CANCEL, SLOT_OK},
    {SLOT_OP_CANCEL, SLOT_UNKNOWN_BOOKING},
    {SLOT_OP_CANCEL, SLOT_ALREADY_CANCELLED},
    {SLOT_OP_EXPIRE, SLOT_OK},
};

static void must(const char *pf, bool ok, const char *what, uint64_t n)
{
    if (!ok) {
        fprintf(stderr,
                "case %s: %s happened %" PRIu64 " times: the generator no "
                "longer covers it\n",
                pf, what, n);
        exit(1);
    }
}

/* Fails the case if its seeds did not exercise what it is there for. */
static void check_cover(const struct profile *pf, const struct cover *c)
{
    for (size_t i = 0; i < sizeof MUST / sizeof MUST[0]; i++) {
        uint64_t n = c->codes[MUST[i].op][MUST[i].code];
        char what[96];
        snprintf(what, sizeof what, "%s -> %s", slot_op_name(MUST[i].op),
                 code_name(MUST[i].code));
        must(pf->name, n > 0, what, n);
    }
    must(pf->name, c->snapshots > 0, "snapshot + restore", c->snapshots);
    must(pf->name, c->codec > 0, "a batch through the codec", c->codec);
    must(pf->name, c->replays > 0, "a retry answered from the session",
         c->replays);
    if (pf->weight[K_CLOSE] > 0) {
        must(pf->name, c->codes[SLOT_OP_POOL_CLOSE][SLOT_OK] > 0,
             "POOL_CLOSE -> OK", c->codes[SLOT_OP_POOL_CLOSE][SLOT_OK]);
        must(pf->name, c->codes[SLOT_OP_HOLD][SLOT_POOL_CLOSED] > 0,
             "HOLD -> POOL_CLOSED", c->codes[SLOT_OP_HOLD][SLOT_POOL_CLOSED]);
    }
    if (pf->channels == MANY_CHANNELS) {
        must(pf->name, c->codes[SLOT_OP_HOLD][SLOT_LIMIT_REACHED] > 0,
             "HOLD -> LIMIT_REACHED",
             c->codes[SLOT_OP_HOLD][SLOT_LIMIT_REACHED]);
        must(pf->name, c->codes[SLOT_OP_POOL_UPDATE][SLOT_LIMIT_REACHED] > 0,
             "POOL_UPDATE -> LIMIT_REACHED",
             c->codes[SLOT_OP_POOL_UPDATE][SLOT_LIMIT_REACHED]);
    }
    if (pf->patients == BULK_PATIENTS) {
        must(pf->name, c->due_capped > 0,
             "an EXPIRE finding more holds due than it counts", c->due_capped);
    }
}

static void run_case(uint32_t k)
{
    static struct cover cov;
    memset(&cov, 0, sizeof cov);
    uint64_t base = (k + 1) * SEED_STRIDE;
    uint32_t div = PROFILES[k].seeds_div != 0 ? PROFILES[k].seeds_div : 1;
    uint32_t seeds = (opt.seeds + div - 1) / div;
    for (uint32_t i = 0; i < seeds; i++) {
        run_seed(&PROFILES[k], base + i, false, &cov);
    }
    if (opt.stats) {
        print_stats(PROFILES[k].name, cov.codes);
        printf("  snapshots %" PRIu64 ", codec batches %" PRIu64
               ", capped sweeps %" PRIu64 ", replays %" PRIu64 "\n",
               cov.snapshots, cov.codec, cov.due_capped, cov.replays);
    }
    check_cover(&PROFILES[k], &cov);
}

static void test_mixed(void)
{
    run_case(0);
}
static void test_sessions(void)
{
    run_case(1);
}
static void test_eviction(void)
{
    run_case(2);
}
static void test_expiry(void)
{
    run_case(3);
}
static void test_pools(void)
{
    run_case(4);
}
static void test_codec(void)
{
    run_case(5);
}
static void test_limits(void)
{
    run_case(6);
}
static void test_bulk(void)
{
    run_case(7);
}

static const struct check_case cases[] = {{"prop_mixed", test_mixed},
                                          {"prop_sessions", test_sessions},
                                          {"prop_eviction", test_eviction},
                                          {"prop_expiry", test_expiry},
                                          {"prop_pools", test_pools},
                                          {"prop_codec", test_codec},
                                          {"prop_limits", test_limits},
                                          {"prop_bulk", test_bulk},
                                          {NULL, NULL}};

_Static_assert(sizeof cases / sizeof cases[0] == N_PROFILES + 1,
               "one case per profile");

static uint64_t parse_u64(const char *s)
{
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 10);
    if (s[0] == '\0' || end == NULL || *end != '\0') {
        fprintf(stderr, "not a number: %s\n", s);
        exit(2);
    }
    return v;
}

/* Replays one seed in-process, printing every batch. */
static int replay(uint64_t seed)
{
    uint64_t k = seed / SEED_STRIDE;
    const struct profile *pf =
        k >= 1 && k <= N_PROFILES ? &PROFILES[k - 1] : &PROFILES[0];
    printf("replaying seed %" PRIu64 " with profile %s\n", seed, pf->name);
    run_seed(pf, seed, true, NULL);
    printf("1 passed, 0 failed\n");
    return 0;
}

int main(int argc, char **argv)
{
    char *args[2] = {argv[0], NULL};
    int nargs = 1;
    bool one_seed = false;
    uint64_t seed = 0;
    opt.argv0 = argv[0];
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            opt.seeds = DEFAULT_SEEDS_PER_CASE / 10;
        } else if (strcmp(argv[i], "--seeds") == 0 && i + 1 < argc) {
            opt.seeds = (uint32_t)parse_u64(argv[++i]);
        } else if (strcmp(argv[i], "--steps") == 0 && i + 1 < argc) {
            opt.steps = (uint32_t)parse_u64(argv[++i]);
        } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            one_seed = true;
            seed = parse_u64(argv[++i]);
        } else if (strcmp(argv[i], "--stats") == 0) {
            opt.stats = true;
        } else if (argv[i][0] != '-' && nargs == 1) {
            args[nargs++] = argv[i];
        } else {
            fprintf(stderr,
                    "usage: %s [--quick] [--seeds N] [--steps N] [--seed N] "
                    "[--stats] [NAME]\n",
                    argv[0]);
            return 2;
        }
    }
    universe_init();
    if (one_seed) {
        return replay(seed);
    }
    return check_main(cases, nargs, args);
}
