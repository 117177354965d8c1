/* ctest: shared support of the libslot process tests (ctest.h). */
#include "ctest.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "tclock.h"
#include "tcluster.h"

static struct tcluster g_shared;
static bool g_shared_ok;

int ctest_main(const struct check_case *cases, int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    g_shared_ok = tcluster_start(&g_shared, 3, 0) == 0;
    if (!g_shared_ok) {
        fprintf(stderr, "could not start the shared cluster\n");
    }
    int rc = check_main(cases, argc, argv);
    if (g_shared_ok) {
        CHECK_EQ(tcluster_stop(&g_shared), 0);
    }
    return rc;
}

struct slotc_sync *ctest_shared_open(void)
{
    CHECK(g_shared_ok);
    return ctest_open(g_shared.cluster);
}

const char *ctest_shared_cluster(void)
{
    CHECK(g_shared_ok);
    return g_shared.cluster;
}

struct slotc_sync *ctest_open(const char *cluster)
{
    struct slotc_options o;
    struct slotc_sync *s = NULL;
    slotc_options_init(&o);
    o.cluster = cluster;
    o.timeout_ms = 10000;
    CHECK_EQ(slotc_sync_open(&o, &s), SLOT_OK);
    return s;
}

const char *ctest_uniq(const char *prefix)
{
    static char buf[16][SLOTC_NAME_MAX + 1];
    static int k;
    char *b = buf[k % 16];
    snprintf(b, sizeof buf[0], "%s-%d-%d", prefix, (int)getpid(), k++);
    return b;
}

int32_t ctest_noon_offset(uint64_t t_ms)
{
    int32_t utc_min = (int32_t)((t_ms % CTEST_MS_PER_DAY) / CTEST_MS_PER_MIN);
    return 720 - utc_min;
}

uint32_t ctest_local_minute(uint64_t t_ms, int32_t off)
{
    int64_t local = (int64_t)t_ms + (int64_t)off * (int64_t)CTEST_MS_PER_MIN;
    return (uint32_t)((local % (int64_t)CTEST_MS_PER_DAY) /
                      (int64_t)CTEST_MS_PER_MIN);
}

uint64_t ctest_utc_of(uint32_t day, uint32_t minute, int32_t off)
{
    return (uint64_t)day * CTEST_MS_PER_DAY +
           (uint64_t)minute * CTEST_MS_PER_MIN -
           (uint64_t)((int64_t)off * (int64_t)CTEST_MS_PER_MIN);
}

void ctest_hosp_init(struct ctest_hosp *h, const char *prefix,
                     struct slotc_rules *r)
{
    uint64_t now = (uint64_t)tclock_wall_ms();
    snprintf(h->name, sizeof h->name, "%s", ctest_uniq(prefix));
    h->off = ctest_noon_offset(now);
    h->today = slotc_local_day(now, h->off);
    h->minute = ctest_local_minute(now, h->off);
    slotc_rules_init(r);
    r->utc_offset_min = h->off;
}

void ctest_rules_set(struct slotc_sync *s, const struct ctest_hosp *h,
                     const struct slotc_rules *r)
{
    struct slotc_req req;
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_rules_set(s, &req, h->name, NULL, "admin@test",
                                  "患者 rules", r),
             SLOT_OK);
}

const char *ctest_pool(struct slotc_sync *s, const struct ctest_hosp *h,
                       const char *tag, const char *dep, uint32_t day, int kind,
                       uint32_t cap, uint32_t start_min, uint32_t end_min)
{
    static char ids[16][SLOTC_POOL_ID_MAX + 1];
    static int k;
    char *id = ids[k++ % 16];
    snprintf(id, sizeof ids[0], "%s/%s", h->name, tag);
    struct slotc_place pl;
    memset(&pl, 0, sizeof pl);
    pl.hospital = h->name;
    pl.department = dep;
    pl.visit_day = day;
    pl.pay_mode = SLOTC_PAY_AT_VISIT;
    struct slotc_pool_spec sp;
    memset(&sp, 0, sizeof sp);
    sp.pool = id;
    sp.capacity = cap;
    sp.kind = kind;
    sp.seg_start_ms = ctest_utc_of(day, start_min, h->off);
    sp.seg_end_ms = ctest_utc_of(day, end_min, h->off);
    sp.place = &pl;
    struct slotc_req req;
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_pool_create(s, &req, &sp), SLOT_OK);
    return id;
}

int ctest_hold(struct slotc_sync *s, struct slotc_req *req, const char *pool,
               const char *patient, const char *channel, const char *account,
               uint64_t *id)
{
    slotc_req_init(req);
    int rc =
        slotc_sync_hold_account(s, req, pool, patient, channel, account, 60000);
    if (id != NULL) {
        *id = rc == SLOT_OK ? req->out.id : 0;
    }
    return rc;
}

uint64_t ctest_book(struct slotc_sync *s, const char *pool, const char *patient,
                    const char *channel, const char *payment_ref)
{
    struct slotc_req req;
    uint64_t id;
    CHECK_EQ(ctest_hold(s, &req, pool, patient, channel, NULL, &id), SLOT_OK);
    CHECK_EQ(slotc_sync_confirm_as(s, &req, id, payment_ref, channel, NULL),
             SLOT_OK);
    return id;
}
