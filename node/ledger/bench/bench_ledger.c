/* bench_ledger: micro-benchmark of the ledger on its real path.
 *
 * What a follower does for every Raft entry is slot_entry_decode followed by
 * ledger_apply; that is what (a) times, per command, over entries of 64
 * pre-encoded commands. The state it leaves behind (every slot of 10,000
 * pools claimed: half held with a 24 h ttl, half booked) is then measured
 * for (b) memory per slot and (c) snapshot and restore time.
 *
 * Part (d), bench_sched.c: the hospitals' rules (import, HOLD with every
 * rule on, the pool query) on a ledger of their own.
 *
 * Part (e), bench_patients.c: HOLD with every rule on, the patient rules
 * of protocol 3 included, against the same holds without patient rules,
 * on ledgers of their own.
 *
 * Part (f), bench_visit.c: the visit day of protocol 4 (POOL_STOP, MOVE,
 * refund CANCEL, CHECKIN, the no-show SWEEP, the POOL_CLAIMS read) over a
 * day of 100,000 bookings, on a ledger of its own.
 *
 *   bench_ledger [JSON]
 *   bench_ledger --patients    part (e) alone, printed (for profiling)
 *   bench_ledger --visit       part (f) alone, printed (for profiling)
 *   bench_ledger --restore     part (c) alone, printed (for profiling): the
 *                              ledger of (a) built untimed, then snapshot,
 *                              restore and the copy's check
 *
 * Prints a report (make bench tees it to bench/results/ledger.txt) and
 * writes the figures to JSON (default bench/results/ledger.json, whose
 * folder is created when missing; run sets pass their own path).
 * Single-threaded, single run: figures are indicative, not statistics.
 */
#include <errno.h>
#include <inttypes.h>
#include <lz4.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench_patients.h"
#include "bench_sched.h"
#include "bench_visit.h"
#include "ledger.h"
#include "slot_proto.h"

#define POOLS         10000u
#define POOL_CAPACITY 100u
#define SLOTS         (POOLS * POOL_CAPACITY) /* 1,000,000: one hold per slot */
#define CONFIRMS      (SLOTS / 2)             /* every other hold gets booked */
#define SESSIONS      1000u            /* clients the commands come from */
#define PER_ENTRY     64u              /* commands per Raft entry */
#define HOLD_TTL_MS   86400000u        /* 24 h: nothing expires meanwhile */
#define STAMP0        1700000000000ull /* leader clock; +1 ms per entry */

/* Targets from the design notes. */
#define TARGET_NS_PER_CMD     1000.0
#define TARGET_BYTES_PER_SLOT 256.0
#define TARGET_SNAPSHOT_MS    1000.0
#define TARGET_RESTORE_MS     1000.0

#define JSON_PATH_DEFAULT "bench/results/ledger.json"

/* Pre-encoded Raft entries, as a follower receives them. */
struct entries {
    uint8_t **buf;
    size_t *len;
    uint32_t n, cap;
    uint32_t n_cmds;
    size_t bytes;
};

struct bench {
    uint64_t stamp;              /* stamp of the next entry built */
    uint64_t seq[SESSIONS + 1];  /* last seq used, by session id */
    struct slot_cmd *cmds;       /* SLOT_BATCH_CMDS_MAX decoded commands */
    struct slot_result *results; /* as many results */
    uint64_t failures;           /* commands whose result was unexpected */
};

/* Text the i-th command points at; encoding copies it. */
struct cmd_text {
    char pool[32];
    char patient[32];
    char ref[32];
};

typedef void (*make_fn)(struct bench *b, uint32_t i, struct slot_cmd *c,
                        struct cmd_text *t);

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* The process's CPU time (user + system): less of the machine's load in
 * it than in the wall time, though the hypervisor's share is not in it. */
static double cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Resident set size in bytes, from /proc/self/statm. */
static double rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, resident = 0;
    if (f == NULL || fscanf(f, "%lu %lu", &size, &resident) != 2) {
        fprintf(stderr, "bench: cannot read /proc/self/statm\n");
        exit(1);
    }
    fclose(f);
    return (double)resident * (double)sysconf(_SC_PAGESIZE);
}

static struct slot_str str_of(const char *s)
{
    return (struct slot_str){s, (uint32_t)strlen(s)};
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (p == NULL) {
        fprintf(stderr, "bench: out of memory (%zu bytes)\n", n);
        exit(1);
    }
    return p;
}

/* Sends the i-th command of a workload from one of the sessions, round
 * robin, with that session's next seq. */
static void from_session(struct bench *b, uint32_t i, struct slot_cmd *c)
{
    c->session = 1 + i % SESSIONS;
    c->seq = ++b->seq[c->session];
}

static void pool_name(char *out, uint32_t pool)
{
    snprintf(out, 32, "h01/d%03u/pool-%05u", pool % 100, pool);
}

/* ---- workloads ---------------------------------------------------------- */

static void make_open(struct bench *b, uint32_t i, struct slot_cmd *c,
                      struct cmd_text *t)
{
    (void)b, (void)i, (void)t;
    c->op = SLOT_OP_SESSION_OPEN;
}

/* Setup: a config large enough for the run (sessions, 24 h holds), then
 * the pools: 100 slots, of which app 50 and phone 20; 30 shared. */
static void make_setup(struct bench *b, uint32_t i, struct slot_cmd *c,
                       struct cmd_text *t)
{
    from_session(b, i, c);
    if (i == 0) {
        c->op = SLOT_OP_CONFIG;
        c->u.config = (struct slot_config){
            .hold_ttl_min_ms = 1000,
            .hold_ttl_max_ms = HOLD_TTL_MS,
            .session_max = SLOT_SESSIONS_MAX,
            .session_idle_ms = 24ull * 3600 * 1000,
            .retain_ms = 24ull * 3600 * 1000,
            .retain_max = SLOT_RETAIN_MAX,
        };
        return;
    }
    struct slot_pool_spec *p = &c->u.pool;
    c->op = SLOT_OP_POOL_CREATE;
    pool_name(t->pool, i - 1);
    p->pool = str_of(t->pool);
    p->capacity = POOL_CAPACITY;
    p->kind = SLOT_KIND_EXPERT;
    p->fee_cents = 5000;
    p->seg_start_ms = STAMP0 + 7 * 86400000ull;
    p->seg_end_ms = p->seg_start_ms + 4 * 3600000ull;
    p->n_shares = 2;
    p->shares[0] = (struct slot_share){str_of("app"), 50};
    p->shares[1] = (struct slot_share){str_of("phone"), 20};
}

/* Hold i: pool i % POOLS (so consecutive holds spread over every pool),
 * its (i / POOLS)-th slot; the channel fills app's share, phone's, then
 * the remainder (web, kiosk), so every hold succeeds. */
static void make_hold(struct bench *b, uint32_t i, struct slot_cmd *c,
                      struct cmd_text *t)
{
    static const char *const rest[] = {"web", "kiosk"};
    uint32_t nth = i / POOLS;
    from_session(b, i, c);
    c->op = SLOT_OP_HOLD;
    pool_name(t->pool, i % POOLS);
    snprintf(t->patient, sizeof t->patient, "pk-%08u", i);
    c->u.hold.pool = str_of(t->pool);
    c->u.hold.patient = str_of(t->patient);
    c->u.hold.channel = str_of(nth < 50   ? "app"
                               : nth < 70 ? "phone"
                                          : rest[nth % 2]);
    c->u.hold.ttl_ms = HOLD_TTL_MS;
}

/* Confirm j: hold 2j, whose claim id is 2j + 1 (claims are numbered from 1
 * in apply order; the hold phase checks it). */
static void make_confirm(struct bench *b, uint32_t j, struct slot_cmd *c,
                         struct cmd_text *t)
{
    from_session(b, j, c);
    c->op = SLOT_OP_CONFIRM;
    c->u.claim.id = 2ull * j + 1;
    snprintf(t->ref, sizeof t->ref, "wxpay-%010u", j);
    c->u.claim.payment_ref = str_of(t->ref);
}

/* ---- entries ------------------------------------------------------------ */

static void entries_push(struct entries *es, uint8_t *buf, size_t len)
{
    if (es->n == es->cap) {
        es->cap = es->cap ? es->cap * 2 : 1024;
        es->buf = realloc(es->buf, es->cap * sizeof *es->buf);
        es->len = realloc(es->len, es->cap * sizeof *es->len);
        if (es->buf == NULL || es->len == NULL) {
            fprintf(stderr, "bench: out of memory\n");
            exit(1);
        }
    }
    es->buf[es->n] = buf;
    es->len[es->n] = len;
    es->n++;
    es->bytes += len;
}

/* Encodes n commands of a workload into entries of PER_ENTRY commands. */
static void entries_build(struct entries *es, struct bench *b, uint32_t n,
                          make_fn make)
{
    struct slot_entry_builder e;
    struct mp_buf one;
    mp_buf_init(&one);
    memset(es, 0, sizeof *es);
    for (uint32_t i = 0; i < n; i++) {
        if (i % PER_ENTRY == 0) {
            slot_entry_begin(&e, b->stamp, b->stamp);
            b->stamp++;
        }
        struct slot_cmd c = {0};
        struct cmd_text t;
        make(b, i, &c, &t);
        mp_buf_reset(&one);
        slot_cmd_encode(&one, &c);
        slot_entry_add(&e, one.data, one.len);
        if (i % PER_ENTRY == PER_ENTRY - 1 || i == n - 1) {
            size_t len;
            uint8_t *buf = slot_entry_finish(&e, &len);
            entries_push(es, buf, len);
        }
    }
    es->n_cmds = n;
    mp_buf_free(&one);
}

static void entries_free(struct entries *es)
{
    for (uint32_t i = 0; i < es->n; i++) {
        free(es->buf[i]);
    }
    free(es->buf);
    free(es->len);
}

static uint32_t decode_one(struct bench *b, const struct entries *es,
                           uint32_t k, uint64_t *stamp)
{
    uint32_t n = 0;
    uint64_t origin;
    int rc =
        slot_entry_decode(es->buf[k], es->len[k], stamp, &origin, b->cmds, &n);
    if (rc != SLOT_OK) {
        fprintf(stderr, "bench: entry %u does not decode: %s\n", k,
                slot_err_name(rc));
        exit(1);
    }
    return n;
}

/* Decodes every entry without applying it: the decoding share. */
static double entries_decode(struct bench *b, const struct entries *es)
{
    uint64_t stamp;
    double t0 = now_ns();
    for (uint32_t k = 0; k < es->n; k++) {
        decode_one(b, es, k, &stamp);
    }
    return now_ns() - t0;
}

/* Decodes and applies every entry, the way a follower does; results are
 * checked after the clock stops. `want_a` (may be NULL) gives the expected
 * result a of the i-th command. Returns the elapsed ns. */
/* Applies every entry of es; returns the total ns, and in *max_ns (if not
 * NULL) the slowest entry's: the stall a replica takes in one step. */
static double entries_apply(struct bench *b, struct ledger *l,
                            const struct entries *es,
                            uint64_t (*want_a)(uint32_t i), double *max_ns)
{
    double total = 0, worst = 0;
    uint32_t i = 0;
    for (uint32_t k = 0; k < es->n; k++) {
        uint64_t stamp;
        double t0 = now_ns();
        uint32_t n = decode_one(b, es, k, &stamp);
        ledger_apply(l, stamp, b->cmds, n, b->results);
        double took = now_ns() - t0;
        total += took;
        worst = took > worst ? took : worst;
        for (uint32_t c = 0; c < n; c++, i++) {
            const struct slot_result *r = &b->results[c];
            if (r->code != SLOT_OK || (want_a != NULL && r->a != want_a(i))) {
                if (b->failures++ < 5) {
                    fprintf(stderr, "bench: command %u: %s a=%" PRIu64 "\n", i,
                            slot_err_name(r->code), r->a);
                }
            }
        }
    }
    if (max_ns != NULL) {
        *max_ns = worst;
    }
    return total;
}

static uint64_t hold_id(uint32_t i)
{
    return (uint64_t)i + 1;
}

static uint64_t confirm_id(uint32_t j)
{
    return 2ull * j + 1;
}

/* ---- report ------------------------------------------------------------- */

static const char *verdict(double value, double target)
{
    return value <= target ? "ok" : "OVER TARGET";
}

struct figures {
    double hold_ns, hold_decode_ns, confirm_ns, confirm_decode_ns;
    double hold_entry_max_ms; /* slowest entry of 64 holds */
    double ledger_bytes, rss_growth_bytes;
    double snapshot_ms, restore_ms, check_ms, lz4_ms;
    double restore_cpu_ms; /* the process's CPU time during the restore */
    size_t snapshot_bytes, lz4_bytes;
    uint32_t holds_active, bookings_active;
    struct sched_figures sched;
    struct patients_figures patients;
    struct visit_figures visit;
    uint64_t failures;
};

/* A pass of part (e) as JSON: ns per HOLD and its answers by code. */
static void patientsPassJson(FILE *out, const char *name,
                             const struct patients_pass *p, uint32_t holds)
{
    static const char *const quota[8] = {
        NULL,           "day_normal",   "day_expert", "dept_expert",
        "month_normal", "month_expert", "active",     NULL};
    fprintf(out,
            "    \"%s\": {\"ns_per_hold\": %.1f, \"decode_ns_per_hold\": %.1f,"
            " \"ok\": %u, \"refused\": %u, \"codes\": {",
            name, p->hold_ns, p->hold_decode_ns, p->ok, holds - p->ok);
    const char *sep = "";
    for (int c = 1; c < PATIENTS_CODES_MAX; c++) {
        if (p->codes[c] != 0) {
            fprintf(out, "%s\"%s\": %u", sep, slot_err_name(c), p->codes[c]);
            sep = ", ";
        }
    }
    fprintf(out, "}, \"quota\": {");
    sep = "";
    for (int q = 1; q < 8; q++) {
        if (quota[q] != NULL && p->quota[q] != 0) {
            fprintf(out, "%s\"%s\": %u", sep, quota[q], p->quota[q]);
            sep = ", ";
        }
    }
    fprintf(out, "}}");
}

static void patientsJson(FILE *out, const struct patients_figures *p)
{
    fprintf(out,
            "  \"patients\": {\"pools\": %u, \"patients\": %u,"
            " \"accounts\": %u, \"blacklisted\": %u,"
            " \"cancel_limited\": %u, \"hold_commands\": %u,"
            " \"target_hold_ns\": %.0f,\n",
            p->pools, p->patients, p->accounts, p->blacklisted,
            p->cancel_limited, p->holds, PATIENTS_TARGET_HOLD_NS);
    patientsPassJson(out, "rules_on", &p->on, p->holds);
    fprintf(out, ",\n");
    patientsPassJson(out, "patient_rules_off", &p->off, p->holds);
    fprintf(out, ",\n    \"on_off_ratio\": %.3f},\n",
            p->off.hold_ns > 0 ? p->on.hold_ns / p->off.hold_ns : 0.0);
}

/* Part (f): each figure with the counts that give it its meaning. */
static void visitJson(FILE *out, const struct visit_figures *v)
{
    fprintf(
        out,
        "  \"visit\": {\"pools\": %u, \"bookings\": %u,"
        " \"checkin_before_ms\": %u, \"checkin_late_ms\": %u,"
        " \"sweep_max\": %u,\n"
        "    \"stopped_pools\": %u, \"moves\": %u, \"ns_per_move\": %.1f,"
        " \"refunds\": %u, \"ns_per_refund\": %.1f,\n"
        "    \"checked_in\": %u, \"ns_per_checkin\": %.1f,"
        " \"no_shows\": %u, \"sweep_entries\": %u,"
        " \"sweep_ns_per_no_show\": %.1f, \"sweep_entry_max_ms\": %.3f,"
        " \"sweep_entry_max_no_shows\": %u,\n"
        "    \"claims\": %u, \"pool_claims_returned\": %u,"
        " \"pool_claims_read_ms\": %.3f,\n"
        "    \"ledger_bytes_before_day\": %.0f, \"ledger_bytes\": %.0f,"
        " \"ledger_bytes_per_booking\": %.1f, \"failures\": %" PRIu64 "},\n",
        v->pools, v->bookings, VISIT_CHECKIN_BEFORE_MS, VISIT_CHECKIN_LATE_MS,
        (unsigned)SLOT_EXPIRE_MAX, v->stopped, v->moves, v->move_ns, v->refunds,
        v->refund_ns, v->checkins, v->checkin_ns, v->noshows, v->sweep_entries,
        v->sweep_ns, v->sweep_max_ms, v->sweep_max_marked, v->claims,
        v->read_claims, v->read_ms, v->booked_bytes, v->ledger_bytes,
        v->bookings ? v->ledger_bytes / v->bookings : 0.0, v->failures);
}

/* Returns false (and says why) when the file cannot be written. */
static bool write_json(const struct figures *f, const char *path)
{
    if (strcmp(path, JSON_PATH_DEFAULT) == 0 &&
        mkdir("bench/results", 0755) != 0 && errno != EEXIST) {
        fprintf(stderr,
                "bench: cannot create bench/results (run from the "
                "repository root): %s\n",
                strerror(errno));
        return false;
    }
    FILE *out = fopen(path, "w");
    if (out == NULL) {
        fprintf(stderr, "bench: cannot write %s: %s\n", path, strerror(errno));
        return false;
    }
    fprintf(out,
            "{\n"
            "  \"setup\": {\"pools\": %u, \"pool_capacity\": %u, \"slots\": %u,"
            " \"sessions\": %u, \"commands_per_entry\": %u},\n"
            "  \"apply\": {\n"
            "    \"hold\": {\"commands\": %u, \"ns_per_cmd\": %.1f,"
            " \"decode_ns_per_cmd\": %.1f, \"target_ns\": %.0f,"
            " \"slowest_entry_ms\": %.2f},\n"
            "    \"confirm\": {\"commands\": %u, \"ns_per_cmd\": %.1f,"
            " \"decode_ns_per_cmd\": %.1f, \"target_ns\": %.0f}\n"
            "  },\n"
            "  \"memory\": {\"slots\": %u, \"held\": %u, \"booked\": %u,"
            " \"ledger_bytes\": %.0f, \"ledger_bytes_per_slot\": %.1f,"
            " \"rss_growth_bytes\": %.0f, \"rss_bytes_per_slot\": %.1f,"
            " \"target_bytes_per_slot\": %.0f},\n"
            "  \"snapshot\": {\"slots\": %u, \"active_holds\": %u,"
            " \"bookings\": %u, \"free\": %u, \"bytes\": %zu,"
            " \"snapshot_ms\": %.1f, \"restore_ms\": %.1f,"
            " \"check_ms\": %.1f, \"lz4_bytes\": %zu, \"lz4_ms\": %.1f,"
            " \"target_snapshot_ms\": %.0f, \"target_restore_ms\": %.0f},\n"
            "  \"schedules\": {\"pools\": %u, \"imports\": %u,"
            " \"import_ms\": %.1f, \"hold_commands\": %u,"
            " \"hold_ns_per_cmd\": %.1f, \"hold_decode_ns_per_cmd\": %.1f,"
            " \"hold_runs\": %u, \"hold_ns_min\": %.1f,"
            " \"hold_ns_max\": %.1f,"
            " \"target_hold_ns\": %.0f, \"list_pages\": %u,"
            " \"list_ms\": %.2f, \"target_list_ms\": %.0f},\n",
            POOLS, POOL_CAPACITY, SLOTS, SESSIONS, PER_ENTRY, SLOTS, f->hold_ns,
            f->hold_decode_ns, TARGET_NS_PER_CMD, f->hold_entry_max_ms,
            CONFIRMS, f->confirm_ns, f->confirm_decode_ns, TARGET_NS_PER_CMD,
            SLOTS, f->holds_active, f->bookings_active, f->ledger_bytes,
            f->ledger_bytes / SLOTS, f->rss_growth_bytes,
            f->rss_growth_bytes / SLOTS, TARGET_BYTES_PER_SLOT, SLOTS,
            f->holds_active, f->bookings_active,
            SLOTS - f->holds_active - f->bookings_active, f->snapshot_bytes,
            f->snapshot_ms, f->restore_ms, f->check_ms, f->lz4_bytes, f->lz4_ms,
            TARGET_SNAPSHOT_MS, TARGET_RESTORE_MS, f->sched.pools,
            f->sched.imports, f->sched.import_ms, f->sched.holds,
            f->sched.hold_ns, f->sched.hold_decode_ns, f->sched.runs,
            f->sched.hold_ns_min, f->sched.hold_ns_max, SCHED_TARGET_HOLD_NS,
            f->sched.pages, f->sched.list_ms, SCHED_TARGET_LIST_MS);
    patientsJson(out, &f->patients);
    visitJson(out, &f->visit);
    fprintf(out, "  \"failures\": %" PRIu64 "\n}\n", f->failures);
    if (fclose(out) != 0) {
        fprintf(stderr, "bench: cannot write %s: %s\n", path, strerror(errno));
        return false;
    }
    return true;
}

static void reportPatients(const struct patients_figures *p)
{
    printf("(e) patients: %u patients (%u accounts; %u blacklisted, %u with "
           "the day's cancellations), %u pools\n",
           p->patients, p->accounts, p->blacklisted, p->cancel_limited,
           p->pools);
    printf("    HOLD, every rule on incl. the patient rules %6u cmds  %7.0f "
           "ns  (of which decode %4.0f ns)  target <= %.0f ns  %s\n",
           p->holds, p->on.hold_ns, p->on.hold_decode_ns,
           PATIENTS_TARGET_HOLD_NS,
           verdict(p->on.hold_ns, PATIENTS_TARGET_HOLD_NS));
    printf("      answers: %u OK, %u refused (", p->on.ok, p->holds - p->on.ok);
    const char *sep = "";
    for (int c = 1; c < PATIENTS_CODES_MAX; c++) {
        if (p->on.codes[c] != 0) {
            printf("%s%s %u", sep, slot_err_name(c), p->on.codes[c]);
            sep = ", ";
        }
    }
    printf(")\n    the same HOLDs, no patient rules           %6u cmds  %7.0f "
           "ns  (%u OK); on / off %.2f\n\n",
           p->holds, p->off.hold_ns, p->off.ok,
           p->off.hold_ns > 0 ? p->on.hold_ns / p->off.hold_ns : 0.0);
}

static void reportVisit(const struct visit_figures *v)
{
    printf("(f) the visit day: %u bookings in %u pools; %u pools stopped\n",
           v->bookings, v->pools, v->stopped);
    printf("    MOVE (to a clinic with room)  %6u cmds  %7.0f ns\n", v->moves,
           v->move_ns);
    printf("    CANCEL (refund)               %6u cmds  %7.0f ns\n", v->refunds,
           v->refund_ns);
    printf("    CHECKIN                       %6u cmds  %7.0f ns\n",
           v->checkins, v->checkin_ns);
    printf("    no-show SWEEP  %6u marked in %u entries  %7.0f ns per "
           "no-show;\n"
           "                   slowest entry %.2f ms (%u marked)\n",
           v->noshows, v->sweep_entries, v->sweep_ns, v->sweep_max_ms,
           v->sweep_max_marked);
    printf("    READ_POOL_CLAIMS of a stopped pool, %u claims returned: "
           "%.2f ms\n"
           "                   (it scans all %u claims the ledger knows)\n",
           v->read_claims, v->read_ms, v->claims);
    double n = v->bookings ? v->bookings : 1;
    printf("    ledger_memory_bytes after the day %7.1f MiB  %6.1f B/booking"
           " (the evening before: %.1f)\n\n",
           v->ledger_bytes / 1048576.0, v->ledger_bytes / n,
           v->booked_bytes / n);
}

static void reportSched(const struct sched_figures *s);

static void report(const struct figures *f, const char *path)
{
    printf("ledger micro-benchmark: %u pools x %u slots (shares app 50, "
           "phone 20, remainder 30),\n%u sessions, entries of %u commands, "
           "one run, one thread\n\n",
           POOLS, POOL_CAPACITY, SESSIONS, PER_ENTRY);
    printf("(a) slot_entry_decode + ledger_apply, per command (decoding "
           "included)\n");
    printf("    HOLD    %8u cmds  %7.0f ns  (of which decode %4.0f ns)  "
           "target <= %.0f ns  %s\n",
           SLOTS, f->hold_ns, f->hold_decode_ns, TARGET_NS_PER_CMD,
           verdict(f->hold_ns, TARGET_NS_PER_CMD));
    printf(
        "            slowest entry of %u holds: %.1f ms (growth steps: hash\n"
        "            tables below 65,536 positions double in one step, larger\n"
        "            ones move 8 entries per put, arrays grow by an eighth;\n"
        "            every replica takes a step in the same entry)\n",
        PER_ENTRY, f->hold_entry_max_ms);
    printf("    CONFIRM %8u cmds  %7.0f ns  (of which decode %4.0f ns)  "
           "target <= %.0f ns  %s\n\n",
           CONFIRMS, f->confirm_ns, f->confirm_decode_ns, TARGET_NS_PER_CMD,
           verdict(f->confirm_ns, TARGET_NS_PER_CMD));
    printf("(b) memory, %u slots all claimed (%u held with a 24 h ttl, %u "
           "booked)\n",
           SLOTS, f->holds_active, f->bookings_active);
    printf("    ledger_memory_bytes  %7.1f MiB  %6.1f B/slot  target <= %.0f  "
           "%s\n",
           f->ledger_bytes / 1048576.0, f->ledger_bytes / SLOTS,
           TARGET_BYTES_PER_SLOT,
           verdict(f->ledger_bytes / SLOTS, TARGET_BYTES_PER_SLOT));
    printf("    process RSS growth   %7.1f MiB  %6.1f B/slot  target <= %.0f  "
           "%s\n\n",
           f->rss_growth_bytes / 1048576.0, f->rss_growth_bytes / SLOTS,
           TARGET_BYTES_PER_SLOT,
           verdict(f->rss_growth_bytes / SLOTS, TARGET_BYTES_PER_SLOT));
    printf("(c) snapshot of that ledger: %u slots = %u active holds + %u "
           "bookings + %u free\n",
           SLOTS, f->holds_active, f->bookings_active,
           SLOTS - f->holds_active - f->bookings_active);
    printf("    ledger_snapshot  %7.1f ms  %7.1f MiB           target <= %.0f "
           "ms  %s\n",
           f->snapshot_ms, (double)f->snapshot_bytes / 1048576.0,
           TARGET_SNAPSHOT_MS, verdict(f->snapshot_ms, TARGET_SNAPSHOT_MS));
    printf("    ledger_restore   %7.1f ms                       target <= %.0f "
           "ms  %s\n",
           f->restore_ms, TARGET_RESTORE_MS,
           verdict(f->restore_ms, TARGET_RESTORE_MS));
    printf("    (not in the targets: ledger_check %.1f ms; LZ4 of the "
           "snapshot %.1f MiB in %.1f ms)\n\n",
           f->check_ms, (double)f->lz4_bytes / 1048576.0, f->lz4_ms);
    reportSched(&f->sched);
    reportPatients(&f->patients);
    reportVisit(&f->visit);
    printf("unexpected results: %" PRIu64 "; figures in %s\n", f->failures,
           path);
}

static void reportSched(const struct sched_figures *s)
{
    printf("(d) schedules: one hospital's rules, %u pools in %u imports\n",
           s->pools, s->imports);
    printf("    SCHEDULE_IMPORT  %7.1f ms for the %u pools (decode + apply)\n",
           s->import_ms, s->pools);
    printf("    HOLD, every rule on %6u cmds  %7.0f ns  (of which decode %4.0f "
           "ns)  target <= %.0f ns  %s\n",
           s->holds, s->hold_ns, s->hold_decode_ns, SCHED_TARGET_HOLD_NS,
           verdict(s->hold_ns, SCHED_TARGET_HOLD_NS));
    printf("      (the median of %u runs, each on a fresh ledger: fastest "
           "%.0f ns, slowest %.0f ns;\n       the other figures of (d) are "
           "the median run's)\n",
           s->runs, s->hold_ns_min, s->hold_ns_max);
    printf("    READ_QUERY, the %u pools in %u pages  %6.2f ms  target <= "
           "%.0f ms  %s\n\n",
           s->pools, s->pages, s->list_ms, SCHED_TARGET_LIST_MS,
           verdict(s->list_ms, SCHED_TARGET_LIST_MS));
}

/* ---- main --------------------------------------------------------------- */

/* (c): snapshot, restore (and check the copy is the same ledger). */
static void measure_snapshot(struct ledger *l, struct figures *f)
{
    struct mp_buf snap;
    mp_buf_init(&snap);
    double t0 = now_ns();
    ledger_snapshot(l, &snap);
    f->snapshot_ms = (now_ns() - t0) / 1e6;
    f->snapshot_bytes = snap.len;

    struct ledger *copy = NULL;
    t0 = now_ns();
    double cpu0 = cpu_ns();
    int rc = ledger_restore(snap.data, snap.len, &copy);
    f->restore_ms = (now_ns() - t0) / 1e6;
    f->restore_cpu_ms = (cpu_ns() - cpu0) / 1e6;
    if (rc != SLOT_OK || ledger_state_hash(copy) != ledger_state_hash(l)) {
        fprintf(stderr, "bench: restore failed (%s) or differs\n",
                slot_err_name(rc));
        f->failures++;
    }
    char why[256] = "";
    t0 = now_ns();
    if (copy != NULL && !ledger_check(copy, why, sizeof why)) {
        fprintf(stderr, "bench: restored ledger fails its check: %s\n", why);
        f->failures++;
    }
    f->check_ms = (now_ns() - t0) / 1e6;
    ledger_destroy(copy);

    int bound = LZ4_compressBound((int)snap.len);
    char *z = xmalloc((size_t)bound);
    t0 = now_ns();
    int zlen =
        LZ4_compress_default((const char *)snap.data, z, (int)snap.len, bound);
    f->lz4_ms = (now_ns() - t0) / 1e6;
    f->lz4_bytes = zlen > 0 ? (size_t)zlen : 0;
    free(z);
    mp_buf_free(&snap);
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--sched") == 0) {
        /* Part (d) alone, no JSON: for profiling it. */
        struct sched_figures s;
        bench_sched_median(&s, SCHED_RUNS);
        reportSched(&s);
        return s.failures == 0 ? 0 : 1;
    }
    if (argc == 2 && strcmp(argv[1], "--patients") == 0) {
        /* Part (e) alone, no JSON: for profiling it. */
        struct patients_figures p;
        bench_patients(&p);
        reportPatients(&p);
        return p.failures == 0 ? 0 : 1;
    }
    if (argc == 2 && strcmp(argv[1], "--visit") == 0) {
        /* Part (f) alone, no JSON: for profiling it. */
        struct visit_figures v;
        bench_visit(&v);
        reportVisit(&v);
        return v.failures == 0 ? 0 : 1;
    }
    /* Part (c) alone, no JSON: the same ledger, (a)'s timings unprinted. */
    bool restore_only = argc == 2 && strcmp(argv[1], "--restore") == 0;
    if (argc > 2 || (argc == 2 && argv[1][0] == '-' && !restore_only)) {
        fprintf(stderr,
                "usage: bench_ledger [JSON]  (default %s)\n"
                "       bench_ledger --sched  (part (d) alone, no JSON)\n"
                "       bench_ledger --patients  (part (e) alone, no JSON)\n"
                "       bench_ledger --visit  (part (f) alone, no JSON)\n"
                "       bench_ledger --restore  (part (c) alone, no JSON)\n",
                JSON_PATH_DEFAULT);
        return 2;
    }
    const char *json_path =
        argc == 2 && !restore_only ? argv[1] : JSON_PATH_DEFAULT;
    static struct bench b;
    struct figures f = {0};
    struct entries opens, setup, holds, confirms;
    double t_start = now_ns();

    /* (d) first, while this process is small: its runs are forked
     * children, and a child of a process holding part (a)'s entries and
     * ledger pays copy-on-write faults wherever malloc hands it memory the
     * parent had used (measured: 1.70 us per HOLD after (a), 1.2-1.5
     * before it). */
    if (!restore_only) {
        bench_sched_median(&f.sched, SCHED_RUNS);
        f.failures += f.sched.failures;
    }

    b.stamp = STAMP0;
    b.cmds = xmalloc(SLOT_BATCH_CMDS_MAX * sizeof *b.cmds);
    b.results = xmalloc(SLOT_BATCH_CMDS_MAX * sizeof *b.results);
    /* Everything is encoded before the ledger exists, so the RSS growth
     * below is the ledger's alone. */
    entries_build(&opens, &b, SESSIONS, make_open);
    entries_build(&setup, &b, 1 + POOLS, make_setup);
    entries_build(&holds, &b, SLOTS, make_hold);
    entries_build(&confirms, &b, CONFIRMS, make_confirm);
    double rss0 = rss_bytes();

    struct ledger *l = ledger_create();
    if (l == NULL) {
        fprintf(stderr, "bench: ledger_create failed\n");
        return 1;
    }
    entries_apply(&b, l, &opens, hold_id, NULL); /* session ids 1..SESSIONS */
    entries_apply(&b, l, &setup, NULL, NULL);

    /* (a) */
    f.hold_decode_ns = entries_decode(&b, &holds) / SLOTS;
    double hold_max_ns = 0;
    f.hold_ns = entries_apply(&b, l, &holds, hold_id, &hold_max_ns) / SLOTS;
    f.confirm_decode_ns = entries_decode(&b, &confirms) / CONFIRMS;
    f.hold_entry_max_ms = hold_max_ns / 1e6;
    f.confirm_ns = entries_apply(&b, l, &confirms, confirm_id, NULL) / CONFIRMS;

    /* (b) */
    struct slot_ledger_info info;
    ledger_info(l, &info);
    f.holds_active = info.holds_active;
    f.bookings_active = info.bookings_active;
    f.ledger_bytes = (double)ledger_memory_bytes(l);
    f.rss_growth_bytes = rss_bytes() - rss0;

    /* (c) */
    measure_snapshot(l, &f);
    f.failures += b.failures;

    ledger_destroy(l);
    if (restore_only) {
        printf("(c) snapshot of %u slots (%u held, %u booked)\n"
               "    ledger_snapshot  %7.1f ms  %7.1f MiB\n"
               "    ledger_restore   %7.1f ms  target <= %.0f ms  %s  (CPU "
               "%.1f ms)\n"
               "    ledger_check     %7.1f ms (of the copy, after restore)\n",
               SLOTS, f.holds_active, f.bookings_active, f.snapshot_ms,
               (double)f.snapshot_bytes / 1048576.0, f.restore_ms,
               TARGET_RESTORE_MS, verdict(f.restore_ms, TARGET_RESTORE_MS),
               f.restore_cpu_ms, f.check_ms);
        goto done;
    }

    /* (e) */
    bench_patients(&f.patients);
    f.failures += f.patients.failures;

    /* (f) */
    bench_visit(&f.visit);
    f.failures += f.visit.failures;

    report(&f, json_path);
    if (!write_json(&f, json_path)) {
        f.failures++;
    }
    printf("total run time %.1f s\n", (now_ns() - t_start) / 1e9);
done:
    entries_free(&opens);
    entries_free(&setup);
    entries_free(&holds);
    entries_free(&confirms);
    free(b.cmds);
    free(b.results);
    return f.failures == 0 ? 0 : 1;
}
