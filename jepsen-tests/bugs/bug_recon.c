/* bug_recon: a deliberate bug for jepsen-tests' tests of the tests, linked
 * only into build/bug/recon/bin/slotd (never the normal build), with
 * -Wl,--wrap=ledger__money_count: the money of a CANCELLED event is not
 * counted when the claim's id is 0 mod 3 (neither its reconciliation row
 * nor its pool's statistics move), so a day's cancelled / refunded
 * counters and cents fall short of its events. The choice depends on the
 * claim id only, so every replica counts the same (the replicas and the
 * ledger's invariant check see nothing) and the feed is untouched (the
 * feed check sees nothing): jepsen-tests' recon check must find rows that
 * differ from the final feed's sums. No switch in the ledger's sources:
 * feed.c calls ledger__money_count (money.c) across compilation units,
 * so the linker can divert the call here. */
#include "ledgerInt.h"

void __real_ledger__money_count(struct ledger *l, uint32_t ci, uint8_t type,
                                uint64_t a, uint64_t b, uint32_t local_day);
void __wrap_ledger__money_count(struct ledger *l, uint32_t ci, uint8_t type,
                                uint64_t a, uint64_t b, uint32_t local_day);

void __wrap_ledger__money_count(struct ledger *l, uint32_t ci, uint8_t type,
                                uint64_t a, uint64_t b, uint32_t local_day)
{
    if (type == SLOT_EV_CANCELLED && l->claims[ci].id % 3 == 0) {
        return; /* the cancel's money, lost */
    }
    __real_ledger__money_count(l, ci, type, a, b, local_day);
}
