/* bug_feed: a deliberate bug for jepsen-tests' tests of the tests, linked
 * only into build/bug/feed/bin/slotd (never the normal build), with
 * -Wl,--wrap=ledger__claim_event: the feed loses the BOOKED event of every
 * claim whose id is 0 mod 4 and writes that of every claim whose id is 1
 * mod 4 twice (CONFIRM's, and MOVE's new booking's). The choice depends on
 * the claim id only, so every replica makes the same feed (the replicas
 * and the ledger's invariant check see nothing), and seqs stay
 * consecutive: a follower sees no gap. jepsen-tests' feed check must find
 * acknowledged confirms with no BOOKED event, or with two. No switch in
 * the ledger's sources: holds.c and visit.c call ledger__claim_event
 * across compilation units, so the linker can divert those calls here. */
#include "ledgerInt.h"

void __real_ledger__claim_event(struct ledger *l, uint32_t ci, uint8_t type,
                                uint64_t a, uint64_t b);
void __wrap_ledger__claim_event(struct ledger *l, uint32_t ci, uint8_t type,
                                uint64_t a, uint64_t b);

void __wrap_ledger__claim_event(struct ledger *l, uint32_t ci, uint8_t type,
                                uint64_t a, uint64_t b)
{
    uint64_t id = l->claims[ci].id;
    if (type == SLOT_EV_BOOKED && id % 4 == 0) {
        return; /* lost */
    }
    __real_ledger__claim_event(l, ci, type, a, b);
    if (type == SLOT_EV_BOOKED && id % 4 == 1) {
        __real_ledger__claim_event(l, ci, type, a, b); /* twice */
    }
}
