/* ctest: what the libslot process tests share (test_libslot_sched,
 * test_libslot_patients): a sync client on a cluster, names unique to the
 * test process, and local-time arithmetic for hospitals whose UTC offset
 * puts "now" near noon (so date rules do not depend on when tests run).
 * Test support only: every failure is a CHECK (proto/testlib/check.h). */
#ifndef CLIENT_CTEST_H
#define CLIENT_CTEST_H

#include <stdint.h>

#include "libslot.h"

#define CTEST_MS_PER_MIN 60000ull
#define CTEST_MS_PER_DAY 86400000ull

/* A sync client on the cluster (comma-separated client addresses), 10 s
 * timeout. The caller closes it (slotc_sync_close). */
struct slotc_sync *ctest_open(const char *cluster);

/* "<prefix>-<pid>-<n>": hospitals, patients, accounts (at least 8 bytes
 * with a short prefix). The last 16 results stay valid. */
const char *ctest_uniq(const char *prefix);

/* A UTC offset in whole minutes (-720..720) that makes local time about
 * noon at t_ms; the local minute of t_ms under an offset. */
int32_t ctest_noon_offset(uint64_t t_ms);
uint32_t ctest_local_minute(uint64_t t_ms, int32_t off);

#endif /* CLIENT_CTEST_H */
