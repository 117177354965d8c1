/* bug_quota: a deliberate bug for jepsen-tests' tests of the tests, linked
 * only into build/bug/quota/bin/slotd (never the normal build), with
 * -Wl,--wrap=ledger__hold_quotas: the hospital's quotas (per day, per
 * department, per month) never refuse a HOLD; the platform-wide one
 * (config.patient_active_max) still does. The ledger stays coherent (its
 * invariant check knows nothing of quotas); jepsen-tests' quotas check
 * must find a patient with more claims in a window than the rules
 * allow. No switch in
 * the ledger's sources: holds.c calls ledger__hold_quotas across
 * compilation units, so the linker can divert that one call here. */
#include "ledgerInt.h"

int __real_ledger__hold_quotas(const struct ledger *l, const struct pool *p,
                               uint32_t patient, struct slot_result *res);
int __wrap_ledger__hold_quotas(const struct ledger *l, const struct pool *p,
                               uint32_t patient, struct slot_result *res);

int __wrap_ledger__hold_quotas(const struct ledger *l, const struct pool *p,
                               uint32_t patient, struct slot_result *res)
{
    int rc = __real_ledger__hold_quotas(l, p, patient, res);
    /* All five hospital quotas: with the month's still refusing, a
     * patient could pass the day's by one claim at most (the month
     * quota the workload sets is 3 against the day's 2), and a slow run
     * might never show it (CI once did not). */
    if (rc == SLOT_QUOTA_EXCEEDED && res->a >= SLOT_QUOTA_DAY_NORMAL &&
        res->a <= SLOT_QUOTA_MONTH_EXPERT) {
        res->a = 0;
        res->b = 0;
        return SLOT_OK;
    }
    return rc;
}
