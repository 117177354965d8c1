/* bug_noclamp: a deliberate bug for jepsen-tests' tests of the tests,
 * linked only into build/bug/noclamp/bin/slotd (never the normal build),
 * with -Wl,--wrap=leader_clock_stamp: the leader stamps its entries (and
 * decides expiry) with its raw wall clock, the band of node/leader_clock.h
 * gone, as before issue 18. A leader whose wall clock a clockstep moves an
 * hour ahead expires every hold at once: jepsen-tests' holdlife check must
 * see holds expired long before their TTL. No switch in the node's
 * sources: node_core.c calls leader_clock_stamp across compilation units,
 * so the linker can divert that call here. */
#include "leader_clock.h"

uint64_t __real_leader_clock_stamp(const struct leader_clock *c,
                                   uint64_t wall_ms, uint64_t mono_ms,
                                   int64_t *off_ms);
uint64_t __wrap_leader_clock_stamp(const struct leader_clock *c,
                                   uint64_t wall_ms, uint64_t mono_ms,
                                   int64_t *off_ms);

uint64_t __wrap_leader_clock_stamp(const struct leader_clock *c,
                                   uint64_t wall_ms, uint64_t mono_ms,
                                   int64_t *off_ms)
{
    (void)c;
    (void)mono_ms;
    *off_ms = 0;
    return wall_ms;
}
