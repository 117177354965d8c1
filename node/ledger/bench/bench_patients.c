/* bench_patients: HOLD with every rule on, the patient rules included
 * (bench_patients.h).
 *
 * The hospital of part (d) (Beijing's rules, 25 doctors x 50 days x 8
 * half-hours of 30 slots, 10,000 pools), with doctors alternating expert
 * and normal clinics in five departments, and these patient rules: quotas
 * 3 normal / 2 expert a day, 1 expert per department and day, 12 normal /
 * 4 expert a month; cancellation until 15:00 the day before, 3 a day at
 * most; 3 violations in 90 days blacklist for 90 days (the window still
 * books; unpaid holds count); a cancelled slot cools 2-10 minutes; the
 * "online" group's holds must name a bound account; at most 8 active
 * claims per patient across the platform (config v3).
 *
 * Before the timed holds (not timed): 10,000 patients bound four to an
 * account; 2 % of them blacklisted (3 no-shows each); 1 % with the day's
 * three cancellations made (hold, confirm, cancel through 114: their
 * slots cool down). Then, the day before the first visit day, 50,000
 * HOLDs, five per patient, interleaved so that each patient's later
 * holds find the earlier ones active: a pseudo-random pool of the first 7
 * days, 60 % through the online group naming the patient's account (one
 * in 50 forgets it: NOT_BOUND), 30 % through 114 and 10 % at the window
 * (half of them naming the account). The quotas, the sold-out buckets,
 * the blacklist and the cancellation limit refuse a realistic share; the
 * figure is per HOLD applied, whatever its answer.
 */
#include "bench_patients.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "ledger.h"
#include "slot_proto.h"
#include "slot_time.h"
#include "tsched.h"

#define DOCTORS      25u
#define DEPARTMENTS  5u
#define DAYS         50u
#define SEGMENTS     8u
#define CAPACITY     30u
#define HOLD_DAYS    7u
#define FIRST_DAY    20801u /* 2026-12-14 */
#define BEIJING      480
#define PER_ENTRY    64u
#define PATIENTS     10000u
#define PER_PATIENT  5u
#define HOLDS        (PATIENTS * PER_PATIENT)
#define PER_ACCOUNT  4u
#define BLACKLIST_1N 50u  /* one patient in 50 is blacklisted */
#define CANCELS_1N   100u /* one in 100 used the day's cancellations */
#define FORGETS_1N   50u  /* one online hold in 50 names no account */
#define KEY_LEN      24

struct prun {
    struct ledger *l;
    uint64_t stamp, seq;
    struct slot_cmd *dec;
    struct slot_result *res;
};

/* Encodes cmds[0..n) into entries of PER_ENTRY (session 1, the next seqs),
 * decodes and applies them as a follower does; each result into out[]
 * (may be NULL). Returns the ns of decode + apply, *decode_ns (may be
 * NULL) the decoding share. */
static double applyAll(struct prun *r, struct slot_cmd *cmds, uint32_t n,
                       struct slot_result *out, double *decode_ns)
{
    uint32_t cap = n / PER_ENTRY + 1;
    uint8_t **bufs = bench_xcalloc(cap, sizeof *bufs);
    size_t *lens = bench_xcalloc(cap, sizeof *lens);
    struct mp_buf one;
    struct slot_entry_builder e;
    uint32_t n_entries = 0;
    mp_buf_init(&one);
    for (uint32_t i = 0; i < n; i += PER_ENTRY) {
        slot_entry_begin(&e, r->stamp, r->stamp);
        r->stamp++;
        for (uint32_t k = i; k < n && k < i + PER_ENTRY; k++) {
            if (cmds[k].op != SLOT_OP_SESSION_OPEN) {
                cmds[k].session = 1;
                cmds[k].seq = ++r->seq;
            }
            mp_buf_reset(&one);
            slot_cmd_encode(&one, &cmds[k]);
            slot_entry_add(&e, one.data, one.len);
        }
        bufs[n_entries] = slot_entry_finish(&e, &lens[n_entries]);
        n_entries++;
    }
    mp_buf_free(&one);
    uint64_t stamp, origin;
    uint32_t got;
    double t0 = bench_now_ns();
    for (uint32_t k = 0; k < n_entries; k++) {
        slot_entry_decode(bufs[k], lens[k], &stamp, &origin, r->dec, &got);
    }
    if (decode_ns != NULL) {
        *decode_ns = bench_now_ns() - t0;
    }
    double took = 0;
    uint32_t i = 0;
    for (uint32_t k = 0; k < n_entries; k++) {
        t0 = bench_now_ns();
        slot_entry_decode(bufs[k], lens[k], &stamp, &origin, r->dec, &got);
        ledger_apply(r->l, stamp, r->dec, got, r->res);
        took += bench_now_ns() - t0;
        for (uint32_t c = 0; c < got && out != NULL; c++) {
            out[i + c] = r->res[c];
        }
        i += got;
        free(bufs[k]);
    }
    free(bufs);
    free(lens);
    return took;
}

/* Setup commands: every answer must be OK; counts those that are not. */
static uint64_t setup(struct prun *r, struct slot_cmd *cmds, uint32_t n,
                      struct slot_result *out)
{
    struct slot_result *res = out ? out : bench_xcalloc(n, sizeof *res);
    applyAll(r, cmds, n, res, NULL);
    uint64_t bad = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (res[i].code != SLOT_OK && bad++ < 5) {
            fprintf(stderr, "bench: patients setup: %s -> %s\n",
                    slot_op_name(cmds[i].op), slot_err_name(res[i].code));
        }
    }
    if (out == NULL) {
        free(res);
    }
    return bad;
}

/* Every text the commands point at (encoding copies it). */
struct texts {
    char doctor[DOCTORS][16];
    char prefix[DOCTORS][48];
    char (*patient)[KEY_LEN];
    char (*account)[KEY_LEN];
    char (*pool)[SLOT_POOL_ID_MAX + 1]; /* the timed holds' pools */
    char (*side)[SLOT_POOL_ID_MAX + 1]; /* the cancelled holds' pools */
    uint32_t days[DAYS];
    struct slot_segment segs[SEGMENTS];
    struct slot_template tpl[DOCTORS];
    struct mp_buf db, sb, rb;
};

static const char *const ONLINE[] = {"app", "wechat", "bank", "kiosk"};

static struct slot_rules rulesOf(bool patient_rules)
{
    struct slot_rules r = tsched_beijing();
    if (!patient_rules) {
        return r; /* slot_rules_default: no patient rules */
    }
    struct slot_patient_rules *p = &r.patient;
    p->quota_day_normal = 3;
    p->quota_day_expert = 2;
    p->quota_dept_expert = 1;
    p->quota_month_normal = 12;
    p->quota_month_expert = 4;
    p->cancel_days_before = 1;
    p->cancel_minute = 900;
    p->cancel_same_day = true;
    p->cancel_limit_day = 3;
    p->violation_window_days = 90;
    p->violation_threshold = 3;
    p->blacklist_days = 90;
    strcpy(p->blacklist_exempt, "window");
    p->unpaid_is_violation = true;
    p->cooldown_min_ms = 120000;
    p->cooldown_max_ms = 600000;
    strcpy(p->account_channels, "online");
    return r;
}

/* Session, config v3, the rules, the 25 imports. */
static uint64_t buildHospital(struct prun *r, struct texts *t,
                              bool patient_rules)
{
    uint64_t bad = 0;
    struct slot_cmd c = {.op = SLOT_OP_SESSION_OPEN};
    bad += setup(r, &c, 1, NULL);
    c = (struct slot_cmd){.op = SLOT_OP_CONFIG};
    c.u.config = (struct slot_config){
        .hold_ttl_min_ms = 1000,
        .hold_ttl_max_ms = 86400000,
        .session_max = 1000,
        .session_idle_ms = SLOT_TIME_MAX_MS,
        .retain_ms = 86400000,
        .retain_max = 1000000,
        .v3 = true,
        .account_patients_max = PER_ACCOUNT,
        .account_changes_max = 1,
        .account_change_window_days = 365,
        .account_change_patients_max = 2,
        .patient_active_max = patient_rules ? 8 : 0,
        .cooldown_key = {0x736c6f74, 0x62656e6368},
    };
    bad += setup(r, &c, 1, NULL);
    struct slot_rules rules = rulesOf(patient_rules);
    mp_buf_reset(&t->rb);
    slot_rules_encode(&t->rb, &rules);
    c = (struct slot_cmd){.op = SLOT_OP_RULES_SET};
    c.u.rules.hospital = bench_str("h01");
    c.u.rules.department = bench_str("");
    c.u.rules.operator_name = bench_str("bench");
    c.u.rules.reason = bench_str("Beijing rules and patient rules");
    c.u.rules.rules =
        (struct slot_str){(const char *)t->rb.data, (uint32_t)t->rb.len};
    bad += setup(r, &c, 1, NULL);
    for (uint32_t i = 0; i < DOCTORS; i++) {
        struct slot_cmd m = {.op = SLOT_OP_SCHEDULE_IMPORT};
        m.u.import = t->tpl[i];
        bad += setup(r, &m, 1, NULL);
    }
    return bad;
}

static void textsInit(struct texts *t)
{
    memset(t, 0, sizeof *t);
    for (uint32_t d = 0; d < DAYS; d++) {
        t->days[d] = FIRST_DAY + d;
    }
    for (uint32_t s = 0; s < SEGMENTS; s++) {
        t->segs[s] = (struct slot_segment){(uint16_t)(480 + 30 * s),
                                           (uint16_t)(510 + 30 * s), CAPACITY};
    }
    mp_buf_init(&t->db);
    mp_buf_init(&t->sb);
    mp_buf_init(&t->rb);
    slot_days_pack(&t->db, t->days, DAYS);
    slot_segments_pack(&t->sb, t->segs, SEGMENTS);
    for (uint32_t i = 0; i < DOCTORS; i++) {
        /* Doctors 0, 2, 4, ... expert clinics, the others normal ones:
         * both classes of quota are counted. */
        bench_doctor_template(&t->tpl[i], i, DEPARTMENTS, t->doctor[i],
                              t->prefix[i], &t->db, DAYS, &t->sb, SEGMENTS);
    }
    t->patient = bench_xcalloc(PATIENTS, sizeof *t->patient);
    t->account = bench_xcalloc(PATIENTS / PER_ACCOUNT + 1, sizeof *t->account);
    for (uint32_t p = 0; p < PATIENTS; p++) {
        snprintf(t->patient[p], KEY_LEN, "pk-%07u", p);
    }
    for (uint32_t a = 0; a <= PATIENTS / PER_ACCOUNT; a++) {
        snprintf(t->account[a], KEY_LEN, "acct-%06u", a);
    }
    t->pool = bench_xcalloc(HOLDS, sizeof *t->pool);
    t->side = bench_xcalloc(PATIENTS, sizeof *t->side);
}

static void textsFree(struct texts *t)
{
    mp_buf_free(&t->db);
    mp_buf_free(&t->sb);
    mp_buf_free(&t->rb);
    free(t->patient);
    free(t->account);
    free(t->pool);
    free(t->side);
}

/* Binds, blacklists and the cancellations (not timed). */
static uint64_t prepare(struct prun *r, struct texts *t,
                        struct patients_figures *f)
{
    uint64_t bad = 0;
    f->blacklisted = f->cancel_limited = 0;
    struct slot_cmd *cmds = bench_xcalloc(3 * PATIENTS, sizeof *cmds);
    struct slot_result *res = bench_xcalloc(3 * PATIENTS, sizeof *res);
    uint32_t n = 0;
    for (uint32_t p = 0; p < PATIENTS; p++) {
        struct slot_cmd *c = &cmds[n++];
        memset(c, 0, sizeof *c);
        c->op = SLOT_OP_ACCOUNT_BIND;
        c->u.bind.account = bench_str(t->account[p / PER_ACCOUNT]);
        c->u.bind.patient = bench_str(t->patient[p]);
    }
    bad += setup(r, cmds, n, NULL);
    f->accounts = (PATIENTS + PER_ACCOUNT - 1) / PER_ACCOUNT;
    n = 0;
    for (uint32_t p = 7; p < PATIENTS; p += BLACKLIST_1N) {
        for (uint32_t k = 0; k < 3; k++) {
            struct slot_cmd *c = &cmds[n++];
            memset(c, 0, sizeof *c);
            c->op = SLOT_OP_VIOLATION;
            c->u.staff.hospital = bench_str("h01");
            c->u.staff.patient = bench_str(t->patient[p]);
            c->u.staff.kind = SLOT_VIOLATION_NO_SHOW;
            c->u.staff.operator_name = bench_str("bench");
            c->u.staff.reason = bench_str("no-show");
        }
        f->blacklisted++;
    }
    bad += setup(r, cmds, n, NULL);
    /* Three holds through 114 on the last three days held (within every
     * quota), each confirmed, then cancelled through 114: the patient's
     * cancellations of the day. */
    uint32_t m = 0;
    n = 0;
    for (uint32_t p = 13; p < PATIENTS; p += CANCELS_1N) {
        m++;
        for (uint32_t k = 0; k < 3; k++) {
            uint64_t x = bench_mix(0x63616e63ull << 32 | (3u * p + k));
            uint32_t doc = (uint32_t)(x % DOCTORS);
            uint32_t seg = (uint32_t)((x >> 16) % SEGMENTS);
            char *id = t->side[(m - 1) * 3 + k];
            slot_template_pool_id(&t->tpl[doc], t->days[HOLD_DAYS - 3 + k],
                                  &t->segs[seg], id);
            struct slot_cmd *c = &cmds[n++];
            memset(c, 0, sizeof *c);
            c->op = SLOT_OP_HOLD;
            c->u.hold.pool = bench_str(id);
            c->u.hold.patient = bench_str(t->patient[p]);
            c->u.hold.channel = bench_str("114");
        }
    }
    f->cancel_limited = m;
    bad += setup(r, cmds, n, res);
    uint32_t held = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (res[i].code == SLOT_OK) {
            res[held++] = res[i];
        }
    }
    n = held;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t id = res[i].a;
        cmds[i] = (struct slot_cmd){.op = SLOT_OP_CONFIRM};
        cmds[i].u.claim.id = id;
        cmds[i].u.claim.payment_ref = bench_str("pay-ref-0001");
        cmds[i].u.claim.caller = bench_str("114");
        cmds[n + i] = (struct slot_cmd){.op = SLOT_OP_CANCEL};
        cmds[n + i].u.claim.id = id;
        cmds[n + i].u.claim.caller = bench_str("114");
    }
    bad += setup(r, cmds, 2 * n, NULL);
    free(cmds);
    free(res);
    return bad;
}

/* The timed HOLDs (see the top of the file). */
static void makeHolds(struct texts *t, struct slot_cmd *h)
{
    for (uint32_t i = 0; i < HOLDS; i++) {
        uint32_t p = i % PATIENTS;
        uint64_t x = bench_mix(i);
        uint32_t doc = (uint32_t)(x % DOCTORS);
        uint32_t day = (uint32_t)((x >> 8) % HOLD_DAYS);
        uint32_t seg = (uint32_t)((x >> 16) % SEGMENTS);
        uint32_t ch = (uint32_t)((x >> 24) % 10);
        slot_template_pool_id(&t->tpl[doc], t->days[day], &t->segs[seg],
                              t->pool[i]);
        memset(&h[i], 0, sizeof h[i]);
        h[i].op = SLOT_OP_HOLD;
        h[i].u.hold.pool = bench_str(t->pool[i]);
        h[i].u.hold.patient = bench_str(t->patient[p]);
        h[i].u.hold.ttl_ms = 0; /* the rules' 5 minutes */
        bool named;
        if (ch < 6) {
            h[i].u.hold.channel = bench_str(ONLINE[(x >> 32) % 4]);
            named = (x >> 40) % FORGETS_1N != 0;
        } else {
            h[i].u.hold.channel = bench_str(ch < 9 ? "114" : "window");
            named = (x >> 48) & 1;
        }
        h[i].u.hold.account =
            named ? bench_str(t->account[p / PER_ACCOUNT]) : bench_str("");
    }
}

/* The timed HOLDs, a function of their own so that a profiler can be
 * told to look at them alone (valgrind --tool=callgrind
 * --toggle-collect=timedHolds bench_ledger --patients). */
__attribute__((noinline)) static double timedHolds(struct prun *r,
                                                   struct slot_cmd *holds,
                                                   struct slot_result *res,
                                                   double *decode_ns)
{
    return applyAll(r, holds, HOLDS, res, decode_ns);
}

static uint64_t onePass(struct texts *t, bool patient_rules,
                        struct patients_figures *f, struct patients_pass *out)
{
    struct prun r = {0};
    r.l = ledger_create();
    r.dec = bench_xcalloc(SLOT_BATCH_CMDS_MAX, sizeof *r.dec);
    r.res = bench_xcalloc(SLOT_BATCH_CMDS_MAX, sizeof *r.res);
    if (r.l == NULL) {
        fprintf(stderr, "bench: ledger_create failed\n");
        exit(1);
    }
    /* Imports weeks ahead; the rest the day before the first visit day. */
    r.stamp = slot_utc_ms_of(FIRST_DAY - 30, 600, BEIJING);
    uint64_t bad = buildHospital(&r, t, patient_rules);
    struct slot_ledger_info info;
    ledger_info(r.l, &info);
    f->pools = info.pools;
    r.stamp = slot_utc_ms_of(FIRST_DAY - 1, 570, BEIJING);
    bad += prepare(&r, t, f);
    r.stamp = slot_utc_ms_of(FIRST_DAY - 1, 600, BEIJING);
    struct slot_cmd *holds = bench_xcalloc(HOLDS, sizeof *holds);
    struct slot_result *res = bench_xcalloc(HOLDS, sizeof *res);
    makeHolds(t, holds);
    double decode = 0;
    double took = timedHolds(&r, holds, res, &decode);
    memset(out, 0, sizeof *out);
    out->hold_ns = took / HOLDS;
    out->hold_decode_ns = decode / HOLDS;
    for (uint32_t i = 0; i < HOLDS; i++) {
        int code = res[i].code;
        out->codes[code >= 0 && code < PATIENTS_CODES_MAX ? code : 0]++;
        out->ok += code == SLOT_OK;
        if (code == SLOT_QUOTA_EXCEEDED && res[i].a < 8) {
            out->quota[res[i].a]++;
        }
    }
    char why[256] = "";
    if (!ledger_check(r.l, why, sizeof why)) {
        fprintf(stderr, "bench: patients: ledger check: %s\n", why);
        bad++;
    }
    free(holds);
    free(res);
    free(r.dec);
    free(r.res);
    ledger_destroy(r.l);
    return bad;
}

void bench_patients(struct patients_figures *f)
{
    memset(f, 0, sizeof *f);
    static struct texts t;
    textsInit(&t);
    f->patients = PATIENTS;
    f->holds = HOLDS;
    /* Two rounds of (off, on) on fresh ledgers; each figure is the faster
     * of its two passes. A single pass each made the first one pay the
     * process's first touches of the heap (off read 1.3-1.6 us, on 1.0 us
     * with more work to do); the answers are the same in every pass. */
    struct patients_figures off = {0};
    struct patients_pass pass;
    for (int round = 0; round < 2; round++) {
        f->failures += onePass(&t, false, &off, &pass);
        if (round == 0 || pass.hold_ns < f->off.hold_ns) {
            f->off = pass;
        }
        f->failures += onePass(&t, true, f, &pass);
        if (round == 0 || pass.hold_ns < f->on.hold_ns) {
            f->on = pass;
        }
    }
    textsFree(&t);
}
