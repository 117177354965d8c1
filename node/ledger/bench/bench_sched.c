/* bench_sched: the rules' cost on the ledger's real path (bench_sched.h).
 *
 * One hospital with Beijing's rules (09:00 opens day +7, 15:00 cut-off the
 * day before, "online" = app, wechat, bank, kiosk, special clinics on the
 * app and the window only, 5 minutes to pay). 25 doctors each publish 50
 * days x 8 half-hour segments of 30 slots: 25 imports, 10,000 pools, each
 * split 114 30 %, online 60 %, the rest for the window. Then, the day
 * before the first visit day, every slot of the first 7 days is held
 * through the channel whose bucket it belongs to (so every hold passes
 * every rule and succeeds), and finally the 10,000 pools are listed a page
 * of SLOT_LIST_MAX at a time.
 */
#include "bench_sched.h"

#include <assert.h>
#include <sys/wait.h>
#include <unistd.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledger.h"
#include "slot_proto.h"
#include "slot_time.h"
#include "tsched.h"

#define DOCTORS   25u
#define DAYS      50u
#define SEGMENTS  8u
#define CAPACITY  30u
#define HOLD_DAYS 7u     /* within the 7-day horizon */
#define FIRST_DAY 20801u /* 2026-12-14 */
#define BEIJING   480
#define PER_ENTRY 64u

static double nowNs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static struct slot_str S(const char *s) {
    return (struct slot_str){s, (uint32_t)strlen(s)};
}

struct run {
    struct ledger *l;
    uint64_t stamp, seq;
    struct slot_cmd *dec;
    struct slot_result *res;
    uint64_t failures;
};

/* Encodes cmds[0..n) into entries of PER_ENTRY, then decodes and applies
 * them; returns the ns of decode + apply, *decode_ns the decoding share.
 * Every result must be OK. */
static double applyAll(struct run *r, const struct slot_cmd *cmds, uint32_t n,
                       double *decode_ns)
{
    uint8_t **bufs = calloc(n / PER_ENTRY + 1, sizeof *bufs);
    size_t *lens = calloc(n / PER_ENTRY + 1, sizeof *lens);
    struct mp_buf one;
    struct slot_entry_builder e;
    uint32_t n_entries = 0;
    if (bufs == NULL || lens == NULL) {
        fprintf(stderr, "bench: out of memory\n");
        exit(1);
    }
    mp_buf_init(&one);
    for (uint32_t i = 0; i < n; i += PER_ENTRY) {
        slot_entry_begin(&e, r->stamp, r->stamp);
        for (uint32_t k = i; k < n && k < i + PER_ENTRY; k++) {
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
    double t0 = nowNs();
    for (uint32_t k = 0; k < n_entries; k++) {
        slot_entry_decode(bufs[k], lens[k], &stamp, &origin, r->dec, &got);
    }
    if (decode_ns != NULL) {
        *decode_ns = nowNs() - t0;
    }
    t0 = nowNs();
    for (uint32_t k = 0; k < n_entries; k++) {
        slot_entry_decode(bufs[k], lens[k], &stamp, &origin, r->dec, &got);
        ledger_apply(r->l, stamp, r->dec, got, r->res);
        for (uint32_t c = 0; c < got; c++) {
            if (r->res[c].code != SLOT_OK && r->failures++ < 5) {
                fprintf(stderr, "bench: %s -> %s\n", slot_op_name(r->dec[c].op),
                        slot_err_name(r->res[c].code));
            }
        }
    }
    double took = nowNs() - t0;
    for (uint32_t k = 0; k < n_entries; k++) {
        free(bufs[k]);
    }
    free(bufs);
    free(lens);
    return took;
}

static void one(struct run *r, struct slot_cmd c)
{
    if (c.op != SLOT_OP_SESSION_OPEN) {
        c.session = 1;
        c.seq = ++r->seq;
    }
    applyAll(r, &c, 1, NULL);
}

/* Hold k of a pool: 9 through 114, 18 through the online group (its four
 * channels in turn), the last 3 at the window (the remainder). */
static const char *channelOf(uint32_t k)
{
    static const char *const online[] = {"app", "wechat", "bank", "kiosk"};
    return k < 9 ? "114" : k < 27 ? online[k % 4] : "window";
}

void bench_sched(struct sched_figures *f)
{
    memset(f, 0, sizeof *f);
    struct run r = {0};
    r.l = ledger_create();
    r.dec = malloc(SLOT_BATCH_CMDS_MAX * sizeof *r.dec);
    r.res = malloc(SLOT_BATCH_CMDS_MAX * sizeof *r.res);
    if (r.l == NULL || r.dec == NULL || r.res == NULL) {
        fprintf(stderr, "bench: out of memory\n");
        exit(1);
    }
    /* Imports happen weeks ahead; holds the day before the first day. */
    r.stamp = slot_utc_ms_of(FIRST_DAY - 30, 600, BEIJING);
    one(&r, (struct slot_cmd){.op = SLOT_OP_SESSION_OPEN});
    struct slot_cmd c = {.op = SLOT_OP_CONFIG};
    c.u.config = (struct slot_config){
        1000, 86400000, 1000, SLOT_TIME_MAX_MS, 86400000, 1000000, .v3 = false};
    one(&r, c);
    struct slot_rules rules = tsched_beijing();
    struct mp_buf rb;
    mp_buf_init(&rb);
    slot_rules_encode(&rb, &rules);
    c = (struct slot_cmd){.op = SLOT_OP_RULES_SET};
    c.u.rules.hospital = S("h01");
    c.u.rules.department = S("");
    c.u.rules.operator_name = S("bench");
    c.u.rules.reason = S("Beijing rules");
    c.u.rules.rules =
        (struct slot_str){(const char *)rb.data, (uint32_t)rb.len};
    one(&r, c);

    /* (d1) the imports */
    uint32_t days[DAYS];
    struct slot_segment segs[SEGMENTS];
    for (uint32_t d = 0; d < DAYS; d++) {
        days[d] = FIRST_DAY + d;
    }
    for (uint32_t s = 0; s < SEGMENTS; s++) {
        segs[s] = (struct slot_segment){(uint16_t)(480 + 30 * s),
                                        (uint16_t)(510 + 30 * s), CAPACITY};
    }
    struct mp_buf db, sb;
    mp_buf_init(&db);
    mp_buf_init(&sb);
    slot_days_pack(&db, days, DAYS);
    slot_segments_pack(&sb, segs, SEGMENTS);
    static struct slot_cmd imports[DOCTORS];
    static char prefix[DOCTORS][48], doctor[DOCTORS][16];
    for (uint32_t i = 0; i < DOCTORS; i++) {
        snprintf(doctor[i], sizeof doctor[i], "dr-%02u", i);
        snprintf(prefix[i], sizeof prefix[i], "h01/east/d%02u/%s", i % 5,
                 doctor[i]);
        struct slot_cmd *m = &imports[i];
        memset(m, 0, sizeof *m);
        m->op = SLOT_OP_SCHEDULE_IMPORT;
        m->session = 1;
        m->seq = ++r.seq;
        struct slot_template *t = &m->u.import;
        t->id_prefix = S(prefix[i]);
        t->sched.hospital = S("h01");
        t->sched.campus = S("east");
        t->sched.department = (struct slot_str){prefix[i] + 9, 3};
        t->sched.doctor = S(doctor[i]);
        t->sched.n_rem_allow = 1;
        t->sched.rem_allow[0] = S("window");
        t->kind = SLOT_KIND_EXPERT;
        t->fee_cents = 10000;
        t->n_shares = 2;
        t->shares[0] = (struct slot_tshare){S("114"), 300};
        t->shares[1] = (struct slot_tshare){S("online"), 600};
        t->n_days = DAYS;
        t->days = (struct slot_str){(const char *)db.data, (uint32_t)db.len};
        t->n_segments = SEGMENTS;
        t->segments =
            (struct slot_str){(const char *)sb.data, (uint32_t)sb.len};
    }
    /* One import per entry: as a node would propose them. */
    double t0 = nowNs();
    for (uint32_t i = 0; i < DOCTORS; i++) {
        applyAll(&r, &imports[i], 1, NULL);
    }
    f->import_ms = (nowNs() - t0) / 1e6;
    f->imports = DOCTORS;
    struct slot_ledger_info info;
    ledger_info(r.l, &info);
    f->pools = info.pools;

    /* (d2) holds on the first HOLD_DAYS days, the day before them */
    r.stamp = slot_utc_ms_of(FIRST_DAY - 1, 600, BEIJING);
    uint32_t n = DOCTORS * HOLD_DAYS * SEGMENTS * CAPACITY;
    struct slot_cmd *holds = calloc(n, sizeof *holds);
    char(*pool)[SLOT_POOL_ID_MAX + 1] = calloc(n, sizeof *pool);
    char(*patient)[24] = calloc(n, sizeof *patient);
    if (holds == NULL || pool == NULL || patient == NULL) {
        fprintf(stderr, "bench: out of memory\n");
        exit(1);
    }
    uint32_t k = 0;
    for (uint32_t slot = 0; slot < CAPACITY; slot++) {
        for (uint32_t i = 0; i < DOCTORS; i++) {
            for (uint32_t d = 0; d < HOLD_DAYS; d++) {
                for (uint32_t s = 0; s < SEGMENTS; s++, k++) {
                    struct slot_template *t = &imports[i].u.import;
                    slot_template_pool_id(t, days[d], &segs[s], pool[k]);
                    snprintf(patient[k], sizeof patient[k], "pk-%09u", k);
                    struct slot_cmd *h = &holds[k];
                    h->op = SLOT_OP_HOLD;
                    h->session = 1;
                    h->seq = ++r.seq;
                    h->u.hold.pool = S(pool[k]);
                    h->u.hold.patient = S(patient[k]);
                    h->u.hold.channel = S(channelOf(slot));
                    h->u.hold.ttl_ms = 0; /* the rules' 5 minutes */
                }
            }
        }
    }
    double decode = 0;
    f->holds = n;
    f->hold_ns = applyAll(&r, holds, n, &decode) / n;
    f->hold_decode_ns = decode / n;

    /* (d3) the query, every page */
    struct slot_read rd;
    memset(&rd, 0, sizeof rd);
    rd.op = SLOT_READ_QUERY;
    rd.hospital = S("h01");
    rd.kind = SLOT_KIND_ANY;
    rd.limit = SLOT_LIST_MAX;
    struct mp_buf out;
    mp_buf_init(&out);
    char after[SLOT_POOL_ID_MAX + 1] = "";
    uint32_t listed = 0;
    double list_ns = 0;
    for (uint32_t page = 0; page < SCHED_POOLS / SLOT_LIST_MAX + 2; page++) {
        rd.pool = S(after);
        mp_buf_reset(&out);
        struct slot_pool_status last;
        uint32_t got = 0, total = 0;
        /* Only the node's work is timed: the query and its reply. */
        t0 = nowNs();
        int rc = ledger_read(r.l, &rd, &out);
        list_ns += nowNs() - t0;
        if (rc != SLOT_OK) {
            f->failures++;
            break;
        }
        /* The page's last pool, for the next "after": read back. */
        struct mp_reader mr;
        uint64_t tot;
        mp_reader_init(&mr, out.data, out.len);
        if (!mp_expect_array(&mr, 2) || !mp_read_u64(&mr, &tot) ||
            !mp_read_array(&mr, &got)) {
            f->failures++;
            break;
        }
        total = (uint32_t)tot;
        (void)total;
        for (uint32_t i = 0; i < got; i++) {
            slot_pool_status_decode(&mr, &last);
        }
        if (got == 0) {
            break;
        }
        listed += got;
        f->pages++;
        strcpy(after, last.pool);
    }
    f->list_ms = list_ns / 1e6;
    if (listed != info.pools) {
        fprintf(stderr, "bench: the query listed %u of %u pools\n", listed,
                info.pools);
        f->failures++;
    }
    f->failures += r.failures;
    mp_buf_free(&out);
    mp_buf_free(&rb);
    mp_buf_free(&db);
    mp_buf_free(&sb);
    free(holds);
    free(pool);
    free(patient);
    free(r.dec);
    free(r.res);
    ledger_destroy(r.l);
}

void bench_sched_median(struct sched_figures *f, uint32_t runs)
{
    struct sched_figures all[16];
    uint64_t failures = 0;
    assert(runs >= 1 && runs <= sizeof all / sizeof all[0]);
    for (uint32_t i = 0; i < runs; i++) {
        /* Each run in a child of its own: a run in this process would
         * reuse the pages the previous run's ledger freed, and page faults
         * are part of what a growing ledger costs. */
        int fds[2];
        if (pipe(fds) != 0) {
            perror("bench: pipe");
            exit(1);
        }
        pid_t pid = fork();
        if (pid < 0) {
            perror("bench: fork");
            exit(1);
        }
        if (pid == 0) {
            close(fds[0]);
            struct sched_figures one;
            bench_sched(&one);
            _exit(write(fds[1], &one, sizeof one) == (ssize_t)sizeof one ? 0
                                                                         : 1);
        }
        close(fds[1]);
        ssize_t got = read(fds[0], &all[i], sizeof all[i]);
        close(fds[0]);
        int status;
        if (waitpid(pid, &status, 0) != pid || got != (ssize_t)sizeof all[i] ||
            !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "bench: part (d) run %u failed\n", i);
            exit(1);
        }
        failures += all[i].failures;
    }
    for (uint32_t i = 1; i < runs; i++) { /* insertion sort by HOLD time */
        struct sched_figures v = all[i];
        uint32_t k = i;
        while (k > 0 && all[k - 1].hold_ns > v.hold_ns) {
            all[k] = all[k - 1];
            k--;
        }
        all[k] = v;
    }
    *f = all[runs / 2];
    f->runs = runs;
    f->hold_ns_min = all[0].hold_ns;
    f->hold_ns_max = all[runs - 1].hold_ns;
    f->failures = failures;
}
