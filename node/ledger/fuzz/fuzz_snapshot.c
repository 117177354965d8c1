/* fuzz_snapshot: ledger_restore on arbitrary bytes. A snapshot is untrusted
 * input (it crosses the network from the leader and sits on disk): restore
 * must refuse anything inconsistent rather than build a ledger that breaks
 * later.
 *
 * Whatever restores must pass ledger_check, snapshot to bytes that restore
 * to the same state hash (and snapshot to the same bytes again), and keep
 * its invariants through a batch applied on top of it.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "slot_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void checkLedger(const struct ledger *l)
{
    char why[512];
    if (!ledger_check(l, why, sizeof why)) {
        fprintf(stderr, "ledger_check: %s\n", why);
        abort();
    }
}

/* Expiry and a session open touch the heap, the session table and the
 * retained list that restore rebuilt. */
static void applySome(struct ledger *l)
{
    struct slot_cmd cmds[2];
    struct slot_result res[2];
    memset(cmds, 0, sizeof cmds);
    cmds[0].op = SLOT_OP_EXPIRE;
    cmds[0].u.expire.max = SLOT_EXPIRE_MAX;
    cmds[1].op = SLOT_OP_SESSION_OPEN;
    uint64_t t = ledger_time_ms(l);
    uint64_t next = ledger_next_deadline_ms(l);
    uint64_t stamp = next != UINT64_MAX && next > t ? next : t;
    ledger_apply(l, stamp <= SLOT_TIME_MAX_MS ? stamp : t, cmds, 2, res);
    checkLedger(l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ledger *l = NULL;
    int rc = ledger_restore(data, size, &l);
    if (rc != SLOT_OK) {
        assert(l == NULL);
        return 0;
    }
    assert(l != NULL);
    checkLedger(l);
    struct mp_buf s1, s2;
    struct ledger *r = NULL;
    mp_buf_init(&s1);
    mp_buf_init(&s2);
    ledger_snapshot(l, &s1);
    assert(ledger_restore(s1.data, s1.len, &r) == SLOT_OK && r != NULL);
    checkLedger(r);
    assert(ledger_state_hash(r) == ledger_state_hash(l));
    ledger_snapshot(r, &s2);
    assert(s1.len == s2.len && memcmp(s1.data, s2.data, s1.len) == 0);
    applySome(l);
    ledger_destroy(r);
    ledger_destroy(l);
    mp_buf_free(&s1);
    mp_buf_free(&s2);
    return 0;
}
