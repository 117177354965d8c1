/* bug_flowheld: a deliberate bug for jepsen-tests' tests of the tests,
 * linked only into build/bug/flowheld/bin/slotd (never the normal build),
 * with -Wl,--wrap=ledger__sweep: a flow-back (SWEEP) moves the shares'
 * held and booked slots to the target as well, claims and all, instead of
 * only the unsold ones (ledger.h: "held and booked never do"). The
 * counters stay coherent with the claims, so no invariant check notices;
 * jepsen-tests must find the run invalid (flowback: a claim changed
 * bucket, a share kept fewer slots than its live claims). No switch in
 * the ledger's sources: apply.c calls ledger__sweep across compilation
 * units, so the linker can divert that one call here. */
#include <stdlib.h>
#include <string.h>

#include "ledgerInt.h"

int __real_ledger__sweep(struct ledger *l, uint32_t max,
                         struct slot_result *res);
int __wrap_ledger__sweep(struct ledger *l, uint32_t max,
                         struct slot_result *res);

/* Moves every held or booked claim of pool pi's shares into the bucket the
 * flow-back filled (the share named flowback_to, else the remainder). */
static void moveClaims(struct ledger *l, uint32_t pi)
{
    struct pool *p = &l->pools[pi];
    const struct slot_rules *r = ledger__rules_of(l, p);
    struct bucket *target = &p->rem;
    uint8_t share = 0, channel = 0;
    if (r != NULL && r->flowback_to[0] != '\0') {
        uint32_t ci =
            ledger__channel_find(l, r->flowback_to, strlen(r->flowback_to));
        int s = ci == NONE ? -1 : ledger__share_of(p, ci);
        if (s >= 0) {
            target = &p->shares[s];
            share = 1;
            channel = p->shares[s].channel;
        }
    }
    for (uint32_t ci = 0; ci < l->claims_len; ci++) {
        struct claim *c = &l->claims[ci];
        if (c->pool != pi || !c->from_share ||
            (c->state != SLOT_CLAIM_HELD && c->state != SLOT_CLAIM_BOOKED)) {
            continue;
        }
        struct bucket *b = ledger__claim_bucket(l, c);
        if (b == target) {
            continue;
        }
        if (c->state == SLOT_CLAIM_HELD) {
            b->held--;
            target->held++;
        } else {
            b->booked--;
            target->booked++;
        }
        b->capacity--;
        target->capacity++;
        c->from_share = share & 1u;
        c->bucket = channel;
    }
}

int __wrap_ledger__sweep(struct ledger *l, uint32_t max,
                         struct slot_result *res)
{
    /* The pools this sweep may flow: due in the heap (not flowed yet). */
    uint32_t n = 0, *due = malloc(((size_t)l->flowheap_len + 1) * sizeof *due);
    if (due == NULL) {
        abort();
    }
    for (uint32_t i = 0; i < l->flowheap_len; i++) {
        uint32_t pi = l->flowheap[i];
        if (l->pools[pi].place->flow_due_ms <= l->time_ms) {
            due[n++] = pi;
        }
    }
    int rc = __real_ledger__sweep(l, max, res);
    for (uint32_t i = 0; i < n; i++) {
        if (l->pools[due[i]].place->flowed) {
            moveClaims(l, due[i]);
        }
    }
    free(due);
    return rc;
}
