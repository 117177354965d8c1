/* bug_nomatch: a deliberate bug for jepsen-tests' tests of the tests,
 * linked only into build/bug/nomatch/bin/slotd (never the normal build),
 * with -Wl,--wrap=ledger__checkin: CHECKIN does not check who came (the
 * booking's patient, ledger.h "The visit day"): a check-in refused
 * PATIENT_MISMATCH runs again as if the booking's own patient had come,
 * and so checks the booking in for a stranger. The ledger stays coherent
 * (its invariant check knows nothing of who checked in); jepsen-tests'
 * attendance check must find check-ins acknowledged to another patient.
 * No switch in the ledger's sources: apply.c calls ledger__checkin across
 * compilation units, so the linker can divert that one call here. */
#include "ledgerInt.h"

int __real_ledger__checkin(struct ledger *l, const struct slot_cmd *cmd,
                           struct slot_result *res);
int __wrap_ledger__checkin(struct ledger *l, const struct slot_cmd *cmd,
                           struct slot_result *res);

int __wrap_ledger__checkin(struct ledger *l, const struct slot_cmd *cmd,
                           struct slot_result *res)
{
    int rc = __real_ledger__checkin(l, cmd, res);
    if (rc != SLOT_PATIENT_MISMATCH) {
        return rc;
    }
    uint32_t ci = ledger__claim_find(l, cmd->u.claim.id);
    if (ci == NONE) {
        return rc;
    }
    const struct patient *pt = &l->patients[l->claims[ci].patient];
    struct slot_cmd own = *cmd;
    own.u.claim.patient =
        (struct slot_str){l->pkeys + pt->key_off, pt->key_len};
    return __real_ledger__checkin(l, &own, res);
}
