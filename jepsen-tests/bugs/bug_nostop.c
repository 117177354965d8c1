/* bug_nostop: a deliberate bug for jepsen-tests' tests of the tests,
 * linked only into build/bug/nostop/bin/slotd (never the normal build),
 * with -Wl,--wrap=ledger__hold -Wl,--wrap=ledger__confirm: HOLD and
 * CONFIRM ignore a pool's stoppage (ledger.h, "The visit day": both must
 * answer POOL_STOPPED). The pool is marked open around the real call and
 * stopped again after it, so everything else (reads' affected, MOVE,
 * refunds, the no-show sweep) still sees the stop, and the ledger stays
 * coherent (its invariant check counts claims, not stoppages);
 * jepsen-tests' stop check must find holds and confirms acknowledged
 * after an acknowledged POOL_STOP of their pool. No switch in the
 * ledger's sources: apply.c calls both across compilation units, so the
 * linker can divert those calls here. */
#include "ledgerInt.h"

int __real_ledger__hold(struct ledger *l, const struct slot_cmd *cmd,
                        struct slot_result *res);
int __real_ledger__confirm(struct ledger *l, const struct slot_cmd *cmd,
                           struct slot_result *res);
int __wrap_ledger__hold(struct ledger *l, const struct slot_cmd *cmd,
                        struct slot_result *res);
int __wrap_ledger__confirm(struct ledger *l, const struct slot_cmd *cmd,
                           struct slot_result *res);

/* Runs real(l, cmd, res) with pool pi (NONE: none) open for its duration. */
static int unstopped(struct ledger *l, uint32_t pi,
                     int (*real)(struct ledger *, const struct slot_cmd *,
                                 struct slot_result *),
                     const struct slot_cmd *cmd, struct slot_result *res)
{
    if (pi == NONE || !l->pools[pi].stopped) {
        return real(l, cmd, res);
    }
    l->pools[pi].stopped = 0;
    int rc = real(l, cmd, res);
    l->pools[pi].stopped = 1;
    return rc;
}

int __wrap_ledger__hold(struct ledger *l, const struct slot_cmd *cmd,
                        struct slot_result *res)
{
    struct slot_str pool = cmd->u.hold.pool;
    return unstopped(l, ledger__pool_find(l, pool.p, pool.len),
                     __real_ledger__hold, cmd, res);
}

int __wrap_ledger__confirm(struct ledger *l, const struct slot_cmd *cmd,
                           struct slot_result *res)
{
    uint32_t ci = ledger__claim_find(l, cmd->u.claim.id);
    return unstopped(l, ci == NONE ? NONE : l->claims[ci].pool,
                     __real_ledger__confirm, cmd, res);
}
