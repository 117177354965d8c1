/* bug_nosessions: a deliberate bug for jepsen-tests' tests of the tests,
 * linked only into build/bug/nosessions/bin/slotd (never the normal
 * build), with -Wl,--wrap=ledger__session_slot: every lookup of a stored
 * result finds the slot empty, so a retried request runs again instead of
 * getting its first answer. jepsen-tests must find the run invalid
 * (duplicated holds or confirms). */
#include "ledgerInt.h"

struct sres *__real_ledger__session_slot(struct session *s, uint64_t seq);
struct sres *__wrap_ledger__session_slot(struct session *s, uint64_t seq);

struct sres *__wrap_ledger__session_slot(struct session *s, uint64_t seq)
{
    struct sres *slot = __real_ledger__session_slot(s, seq);
    slot->seq = 0;
    return slot;
}
