/* flowback: the flow-back of unsold channel shares (ledger.h, SWEEP).
 *
 * Hospitals give channels shares of a clinic's slots (114 gets 30 %, the
 * online group 70 %) and, at a set local time (15:00 the day before, or
 * 07:00 on the visit day), let what a share did not sell flow back to the
 * remainder (or a named share) so the hall's window can sell it. The time
 * depends on the pool's rules, which RULES_SET may change, so each
 * scheduled pool keeps its due time and a position in a min-heap of
 * (due, pool index); the leader proposes SWEEP when the earliest is due,
 * like EXPIRE. A flow-back changes counters only: a held or booked slot
 * never moves, and it happens once per pool.
 *
 *   pool state       due time            heap       after SWEEP
 *   no rule          UINT64_MAX          absent     -
 *   waiting          local time of rule  present    flowed, absent
 *   flowed           UINT64_MAX          absent     (never again)
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledgerInt.h"
#include "slot_time.h"

static uint64_t dueOf(const struct ledger *l, uint32_t pi)
{
    return l->pools[pi].place->flow_due_ms;
}

static bool flowLess(const struct ledger *l, uint32_t a, uint32_t b)
{
    /* Ties broken by pool index: every replica flows in the same order. */
    return dueOf(l, a) < dueOf(l, b) || (dueOf(l, a) == dueOf(l, b) && a < b);
}

static void flowSet(struct ledger *l, uint32_t pos, uint32_t pi)
{
    l->flowheap[pos] = pi;
    l->pools[pi].place->flow_pos = pos;
}

static void flowUp(struct ledger *l, uint32_t pos)
{
    uint32_t pi = l->flowheap[pos];
    while (pos > 0) {
        uint32_t parent = (pos - 1) / 2;
        if (!flowLess(l, pi, l->flowheap[parent])) {
            break;
        }
        flowSet(l, pos, l->flowheap[parent]);
        pos = parent;
    }
    flowSet(l, pos, pi);
}

static void flowDown(struct ledger *l, uint32_t pos)
{
    uint32_t pi = l->flowheap[pos];
    for (;;) {
        uint32_t c = 2 * pos + 1;
        if (c >= l->flowheap_len) {
            break;
        }
        if (c + 1 < l->flowheap_len &&
            flowLess(l, l->flowheap[c + 1], l->flowheap[c])) {
            c++;
        }
        if (!flowLess(l, l->flowheap[c], pi)) {
            break;
        }
        flowSet(l, pos, l->flowheap[c]);
        pos = c;
    }
    flowSet(l, pos, pi);
}

static void flowRemove(struct ledger *l, uint32_t pi)
{
    struct place *pl = l->pools[pi].place;
    uint32_t pos = pl->flow_pos;
    assert(pos < l->flowheap_len && l->flowheap[pos] == pi);
    uint32_t last = l->flowheap[--l->flowheap_len];
    pl->flow_pos = NONE;
    if (last == pi) {
        return;
    }
    flowSet(l, pos, last);
    flowUp(l, pos);
    flowDown(l, l->pools[last].place->flow_pos);
}

void ledger__flow_push(struct ledger *l, uint32_t pi)
{
    LEDGER_GROW(l->flowheap, l->flowheap_cap, l->flowheap_len);
    uint32_t pos = l->flowheap_len++;
    flowSet(l, pos, pi);
    flowUp(l, pos);
}

uint64_t ledger__flow_due(const struct ledger *l, uint32_t pi)
{
    const struct pool *p = &l->pools[pi];
    const struct slot_rules *r = ledger__rules_of(l, p);
    if (r == NULL || p->place->flowed ||
        r->flowback_minute == SLOT_MINUTE_NONE) {
        return UINT64_MAX;
    }
    uint32_t v = p->place->visit_day;
    uint32_t day =
        v > r->flowback_days_before ? v - r->flowback_days_before : 0;
    return slot_utc_ms_of(day, r->flowback_minute, r->utc_offset_min);
}

void ledger__flow_schedule(struct ledger *l, uint32_t pi)
{
    struct place *pl = l->pools[pi].place;
    if (pl->flow_pos != NONE) {
        flowRemove(l, pi);
    }
    pl->flow_due_ms = ledger__flow_due(l, pi);
    if (pl->flow_due_ms != UINT64_MAX) {
        ledger__flow_push(l, pi);
    }
}

/* The pool's unsold share slots go to the target bucket (ledger.h). */
static void flowBack(struct ledger *l, uint32_t pi)
{
    struct pool *p = &l->pools[pi];
    const struct slot_rules *r = ledger__rules_of(l, p);
    struct bucket *target = &p->rem;
    if (r->flowback_to[0] != '\0') {
        uint32_t ci =
            ledger__channel_find(l, r->flowback_to, strlen(r->flowback_to));
        int s = ci == NONE ? -1 : ledger__share_of(p, ci);
        if (s >= 0) {
            target = &p->shares[s];
        }
    }
    for (uint8_t s = 0; s < p->n_shares; s++) {
        struct bucket *b = &p->shares[s];
        if (b == target) {
            continue;
        }
        uint32_t moved = b->free;
        b->capacity -= moved;
        b->free = 0;
        target->capacity += moved;
        target->free += moved;
        ledger__bucket_assert(l, pi, b);
    }
    ledger__bucket_assert(l, pi, target);
    p->place->flowed = 1;
    p->place->flow_due_ms = UINT64_MAX;
    ledger__pool_event(l, pi, SLOT_EV_FLOWED_BACK, 0, 0);
}

/* The flow-back heap's due time at position pos (ledger__heap_due). */
static uint64_t flowDueAt(const struct ledger *l, uint32_t pos)
{
    return dueOf(l, l->flowheap[pos]);
}

int ledger__sweep(struct ledger *l, uint32_t max, struct slot_result *res)
{
    uint32_t n = 0;
    while (n < max && l->flowheap_len > 0 &&
           dueOf(l, l->flowheap[0]) <= l->time_ms) {
        uint32_t pi = l->flowheap[0];
        flowRemove(l, pi);
        flowBack(l, pi);
        n++;
    }
    /* Then slots back from cooling (cooling.c), then no-shows (visit.c),
     * within what is left. */
    n += ledger__cool_sweep(l, max - n);
    n += ledger__noshow_sweep(l, max - n);
    uint32_t due = ledger__heap_due(l, l->flowheap_len, flowDueAt,
                                    SLOT_EXPIRE_DUE_COUNT_MAX);
    due += ledger__cool_due(l, SLOT_EXPIRE_DUE_COUNT_MAX - due);
    due += ledger__noshow_due(l, SLOT_EXPIRE_DUE_COUNT_MAX - due);
    res->a = n;
    res->b = due;
    return SLOT_OK;
}

uint64_t ledger_next_sweep_ms(const struct ledger *l)
{
    uint64_t flow =
        l->flowheap_len == 0 ? UINT64_MAX : dueOf(l, l->flowheap[0]);
    uint64_t cool = ledger__cool_next_ms(l);
    uint64_t noshow = ledger__noshow_next_ms(l);
    uint64_t next = flow < cool ? flow : cool;
    return next < noshow ? next : noshow;
}
