/* bug_cooldown: a deliberate bug for jepsen-tests' tests of the tests,
 * linked only into build/bug/cooldown/bin/slotd (never the normal build),
 * with -Wl,--wrap=ledger__cool_push: a slot freed by a cancel (or a
 * declined offer) cools as if its cool-down had no minimum, for
 * 0..(max - min) ms instead of min..max (ledger.h: "cooling until now +
 * cooldown_min_ms + siphash24(...) % (max - min + 1)"). Counters stay
 * coherent; jepsen-tests' cooldown check must find a hold that took the
 * slot before the minimum had passed. No switch in the ledger's sources:
 * claims.c calls ledger__cool_push across compilation units. */
#include "ledgerInt.h"

bool __real_ledger__cool_push(struct ledger *l, const struct claim *c,
                              const struct slot_patient_rules *pr,
                              uint64_t from_ms);
bool __wrap_ledger__cool_push(struct ledger *l, const struct claim *c,
                              const struct slot_patient_rules *pr,
                              uint64_t from_ms);

bool __wrap_ledger__cool_push(struct ledger *l, const struct claim *c,
                              const struct slot_patient_rules *pr,
                              uint64_t from_ms)
{
    uint64_t min = pr->cooldown_min_ms;
    return __real_ledger__cool_push(l, c, pr,
                                    from_ms > min ? from_ms - min : 0);
}
