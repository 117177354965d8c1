/* ctest: shared support of the libslot process tests (ctest.h). */
#include "ctest.h"

#include <stdio.h>
#include <unistd.h>

#include "check.h"

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
