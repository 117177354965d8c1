/* ctest: what the libslot process tests share (test_libslot_sched,
 * test_libslot_patients): a sync client on a cluster, names unique to the
 * test process, and local-time arithmetic for hospitals whose UTC offset
 * puts "now" near noon (so date rules do not depend on when tests run).
 * Test support only: every failure is a CHECK (proto/testlib/check.h). */
#ifndef CLIENT_CTEST_H
#define CLIENT_CTEST_H

#include <stdint.h>

#include "check.h"
#include "libslot.h"

/* Under AddressSanitizer, a leak check at the end of a test case. */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define CTEST_LEAK_CHECK() __lsan_do_leak_check()
#else
#define CTEST_LEAK_CHECK() ((void)0)
#endif

#define CTEST_MS_PER_MIN 60000ull
#define CTEST_MS_PER_DAY 86400000ull

/* A sync client on the cluster (comma-separated client addresses), 10 s
 * timeout. The caller closes it (slotc_sync_close). */
struct slotc_sync *ctest_open(const char *cluster);

/* The test program's main: starts one local 3-node cluster shared by the
 * cases, runs them (check_main: argv[1] selects), stops it. */
int ctest_main(const struct check_case *cases, int argc, char **argv);
/* A sync client (ctest_open) on the shared cluster; CHECKs it started. */
struct slotc_sync *ctest_shared_open(void);
/* The shared cluster's client addresses (slotctl --cluster); CHECKs it
 * started. Cases run in forked children: kill no node of it (a node
 * restarted by a child would die with the child). */
const char *ctest_shared_cluster(void);

/* "<prefix>-<pid>-<n>": hospitals, patients, accounts (at least 8 bytes
 * with a short prefix). The last 16 results stay valid. */
const char *ctest_uniq(const char *prefix);

/* A UTC offset in whole minutes (-720..720) that makes local time about
 * noon at t_ms; the local minute of t_ms under an offset. */
int32_t ctest_noon_offset(uint64_t t_ms);
uint32_t ctest_local_minute(uint64_t t_ms, int32_t off);

/* The UTC instant of local day `day`, minute `minute` under offset off. */
uint64_t ctest_utc_of(uint32_t day, uint32_t minute, int32_t off);

/* A hospital near its local noon: a unique name, its offset, today and
 * the local minute now. */
struct ctest_hosp {
    char name[SLOTC_NAME_MAX + 1];
    int32_t off;
    uint32_t today;
    uint32_t minute;
};
/* Names a new hospital (prefix) at local noon now; r = slotc_rules_init's
 * rules with its offset, for the caller to adjust and ctest_rules_set. */
void ctest_hosp_init(struct ctest_hosp *h, const char *prefix,
                     struct slotc_rules *r);
/* Sets the hospital's rules (CHECKs they are taken). */
void ctest_rules_set(struct slotc_sync *s, const struct ctest_hosp *h,
                     const struct slotc_rules *r);
/* Creates the scheduled pool "<hospital>/<tag>" of department dep on
 * local day `day`, segment [start_min, end_min) local, paid at the
 * visit, no shares; returns its id (one of 16 static buffers). */
const char *ctest_pool(struct slotc_sync *s, const struct ctest_hosp *h,
                       const char *tag, const char *dep, uint32_t day, int kind,
                       uint32_t cap, uint32_t start_min, uint32_t end_min);
/* Holds for 60 s (account NULL: none) into *req; *id = the hold (0 if
 * refused; id may be NULL). Returns the status. */
int ctest_hold(struct slotc_sync *s, struct slotc_req *req, const char *pool,
               const char *patient, const char *channel, const char *account,
               uint64_t *id);
/* Holds and books through channel (payment_ref NULL: unpaid, at the
 * visit); CHECKs both; returns the booking id. */
uint64_t ctest_book(struct slotc_sync *s, const char *pool, const char *patient,
                    const char *channel, const char *payment_ref);

#endif /* CLIENT_CTEST_H */
