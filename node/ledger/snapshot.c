/* The ledger's snapshot (canonical msgpack), restore (validating every
 * field: a snapshot from disk or from another node is untrusted input),
 * and state hash. The invariant checker is in check.c.
 *
 * Snapshot, version 2:
 *   ["SLSNAP", 2, time_ms, next_claim_id, next_session_id,
 *    [hold_ttl_min_ms, hold_ttl_max_ms, session_max, session_idle_ms,
 *     retain_ms, retain_max],
 *    [channel, ...],                      interning order
 *    [patient key, ...],                  interning order
 *    [name, ...],                         interning order (campus, ...)
 *    [hospital, ...],                     creation order
 *    [[pool, kind, closed, capacity, fee_cents, seg_start_ms, seg_end_ms,
 *      release_at_ms, next_visit_no, [[channel index, spec, capacity],
 *      ...], place | nil, [freed visit number, ...]], ...],
 *    [claim, ...],                        HELD and BOOKED, ascending id
 *    [claim, ...],                        retained, oldest first
 *    [[id, last_used_ms, max_seq, [[seq, fingerprint, code, a, b,
 *      time_ms], ...]], ...],             sessions, least recently used first
 *    [[channel, key, fingerprint, code, a, b, time_ms], ...]]
 *                                         idempotency keys, oldest first
 *   claim = [id, state, pool index, patient index, channel index,
 *            from_share, held_at_ms, deadline_ms, booked_at_ms,
 *            resolved_at_ms, visit_no, payment_ref ("" if none), bucket]
 *   hospital = [id, rules, rules_version, changed_at_ms, operator, reason,
 *               version, [[department, version, changed_at_ms, operator,
 *               reason, rules], ...], [[version, department + 1 (0: the
 *               hospital's), changed_at_ms, operator, reason, rules], ...]]
 *               (overrides in creation order, the log oldest first;
 *               department = names index; rules as in slot_sched.h)
 *   place = [hospital index, campus + 1, department + 1, doctor + 1 (0:
 *            none), visit_day, pay_mode, visit_slot_ms, [eligible channel
 *            index, ...], [remainder_allow channel index, ...], flowed]
 *   freed visit numbers ascending (a sorted array is a valid min-heap).
 * Version 3 appends one element, the patient rules' state:
 *   [[account_patients_max, account_changes_max, account_change_window_days,
 *     account_change_patients_max, patient_active_max, cooldown_key0,
 *     cooldown_key1],
 *    [[patient index, account index + 1 (0: none), [cancelled_at_ms, ...],
 *      [[at_ms, hospital index, kind], ...], [[hospital index, until_ms,
 *      exception], ...]], ...]           patients with a record, ascending
 *    [[account key, [patient index, ...], [[at_ms, unbinds], ...]], ...]
 *                                         accounts, creation order
 *    [[due_ms, claim id, pool index, from_share, bucket], ...]
 *                                         cooling slots, by (due, id)
 *    staff_seq, [[seq, at_ms, op, hospital index, patient index, kind,
 *      operator, reason], ...],           the staff log, oldest first
 *    [[pool index, [[joined_at_ms, patient index, account index + 1,
 *      channel index], ...]], ...],       waitlists, ascending pool index
 *    [claim id, ...]]                     HELD offers, ascending id
 * Version 4 appends to claim: attendance, checked_in_at_ms, moved_to,
 * moved_from, refunded; a pool's closed element is a bit set (1 closed,
 * 2 stopped); staff log entries are [seq, at_ms, op, hospital index + 1,
 * patient index + 1, kind, operator, reason, pool index + 1] (0: none);
 * and two elements more at the end, the no-show heap and the event feed:
 *   [[due_ms, claim id], ...]            by (due, id)
 *   [last seq, [[seq, index, time_ms, type, pool + 1, claim, patient + 1,
 *     channel + 1, account + 1, hospital + 1, a, b], ...]]
 *                                         the feed's window, oldest first
 * Version 5 appends to claim its pay method ("" none) and fee paid (0
 * unpaid); to event fee_cents, payment_ref, pay method, local_day; and
 * one element at the end, the money (money.c):
 *   [kept_from, [pay method, ...]        bytewise order (interning order
 *                                         is a replica's own, see money.c)
 *    [[day, hospital + 1, channel, pay method, booked, booked_cents,
 *      checkin_paid, checkin_paid_cents, checked_in, cancelled,
 *      cancelled_cents, refunded, refunded_cents, moved, no_show], ...]
 *                                         by (day, hospital, channel,
 *                                         pay method)
 *    [[pool index, booked, cancelled, refunded, moved, no_show,
 *      checked_in], ...]]                 scheduled pools with a count,
 *                                         ascending
 * Version 4 (still restored): no payments (a paid claim paid its pool's
 * fee now, with no method), no money element; events' local days are
 * computed from their hospitals' offsets.
 * Version 3 (still restored): none of that.
 * Version 2 (still restored): no patient rules element.
 * Version 1 (still restored): no names, hospitals, places or freed
 * numbers; shares [channel index, slots]; claims without bucket (the
 * share of their channel).
 * Bucket counters are not stored: restore recounts them from the claims.
 * Nor are the schedule index and flow-back heap: restore rebuilds them
 * from the places and the rules.
 * Orders that decide future behaviour (retained FIFO, session LRU, interning)
 * are stored as they are, so a restored replica evicts exactly as the
 * original would; everything else is sorted, so equal states give equal
 * bytes whatever the history of the slabs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slot_time.h"
#include "slot_valid.h"
#include "ledgerInt.h"

#define SNAP_MAGIC      "SLSNAP"
#define SNAP_FIELDS     19 /* v4: 18, v3: 16, v2: 15, v1: 13 */
#define EVENT_FIELDS    16 /* v4: 12 */
#define EVENT_FIELDS_V4 12
#define PATIENTS_FIELDS 8
#define CLAIM_FIELDS    20 /* v4: 18, v2, v3: 13, v1: 12 */
#define CLAIM_FIELDS_V4 18
#define RECON_FIELDS    15
#define PSTATS_FIELDS   7
#define CLAIM_FIELDS_V3 13
#define POOL_FIELDS     12 /* v1: 10 */
#define PLACE_FIELDS    10
#define HOSP_FIELDS     9
#define OVERRIDE_FIELDS 6
#define CHANGE_FIELDS   6
#define SESSION_FIELDS  4
#define SRES_FIELDS     6
#define IDEM_FIELDS     7

/* ---- snapshot ------------------------------------------------------------ */

static void packClaim(const struct ledger *l, const struct claim *c,
                      struct mp_buf *b)
{
    mp_pack_array(b, CLAIM_FIELDS);
    mp_pack_uint(b, c->id);
    mp_pack_uint(b, c->state);
    mp_pack_uint(b, c->pool);
    mp_pack_uint(b, c->patient);
    mp_pack_uint(b, c->channel);
    mp_pack_uint(b, c->from_share);
    mp_pack_uint(b, c->held_at_ms);
    mp_pack_uint(b, c->deadline_ms);
    mp_pack_uint(b, ledger__claim_booked_at(c));
    mp_pack_uint(b, c->resolved_at_ms);
    mp_pack_uint(b, c->visit_no);
    struct payref pay = {"", 0, PAY_NONE, 0};
    if (c->payref != NONE) {
        pay = ledger__payref(l, c->payref);
    }
    mp_pack_str(b, pay.s, pay.len);
    mp_pack_uint(b, c->bucket);
    mp_pack_uint(b, c->attendance);
    struct cvisit cv = ledger__claim_visit(l, c);
    mp_pack_uint(b, cv.checked_in_at_ms);
    mp_pack_uint(b, cv.moved_to);
    mp_pack_uint(b, cv.moved_from);
    mp_pack_uint(b, c->refunded);
    struct slot_str m = ledger__pay_method_str(l, pay.method);
    mp_pack_str(b, m.p, m.len);
    mp_pack_uint(b, pay.fee_cents);
}

struct idOrder {
    uint64_t id;
    uint32_t ci;
};

static int byId(const void *a, const void *b)
{
    uint64_t x = ((const struct idOrder *)a)->id;
    uint64_t y = ((const struct idOrder *)b)->id;
    return x < y ? -1 : x > y;
}

static void packActive(const struct ledger *l, struct mp_buf *b)
{
    uint32_t n = l->n_held + l->n_booked;
    struct idOrder *ord = ledger__realloc(NULL, (size_t)(n + 1) * sizeof *ord);
    uint32_t k = 0;
    for (uint32_t ci = 0; ci < l->claims_len; ci++) {
        uint8_t st = l->claims[ci].state;
        if (st == SLOT_CLAIM_HELD || st == SLOT_CLAIM_BOOKED) {
            if (k == n) {
                break;
            }
            ord[k].id = l->claims[ci].id;
            ord[k++].ci = ci;
        }
    }
    if (k != n) {
        fprintf(stderr, "ledger: active claims in slab and counters differ\n");
        abort();
    }
    /* The slab order depends on history (free-list reuse); ids do not. */
    qsort(ord, n, sizeof *ord, byId);
    mp_pack_array(b, n);
    for (uint32_t i = 0; i < n; i++) {
        packClaim(l, &l->claims[ord[i].ci], b);
    }
    free(ord);
}

static void packNameIdx(struct mp_buf *b, uint32_t ni)
{
    mp_pack_uint(b, ni == NONE ? 0 : (uint64_t)ni + 1);
}

static void packPlace(const struct place *pl, struct mp_buf *b)
{
    if (pl == NULL) {
        msgpack_pack_nil(&b->pk);
        return;
    }
    mp_pack_array(b, PLACE_FIELDS);
    mp_pack_uint(b, pl->hospital);
    packNameIdx(b, pl->campus);
    packNameIdx(b, pl->department);
    packNameIdx(b, pl->doctor);
    mp_pack_uint(b, pl->visit_day);
    mp_pack_uint(b, pl->pay_mode);
    mp_pack_uint(b, pl->visit_slot_ms);
    mp_pack_array(b, pl->n_eligible);
    for (uint8_t i = 0; i < pl->n_eligible; i++) {
        mp_pack_uint(b, pl->eligible[i]);
    }
    mp_pack_array(b, pl->n_rem_allow);
    for (uint8_t i = 0; i < pl->n_rem_allow; i++) {
        mp_pack_uint(b, pl->rem_allow[i]);
    }
    mp_pack_uint(b, pl->flowed);
}

static int byU32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Freed visit numbers, ascending: the heap's layout depends on history. */
static void packFreed(const struct pool *p, struct mp_buf *b)
{
    if (p->n_freed == 0) {
        mp_pack_array(b, 0);
        return;
    }
    uint32_t *v = ledger__realloc(NULL, (size_t)p->n_freed * sizeof *v);
    memcpy(v, p->freed, (size_t)p->n_freed * sizeof *v);
    qsort(v, p->n_freed, sizeof *v, byU32);
    mp_pack_array(b, p->n_freed);
    for (uint32_t i = 0; i < p->n_freed; i++) {
        mp_pack_uint(b, v[i]);
    }
    free(v);
}

static void packPools(const struct ledger *l, struct mp_buf *b)
{
    mp_pack_array(b, l->n_pools);
    for (uint32_t pi = 0; pi < l->n_pools; pi++) {
        const struct pool *p = &l->pools[pi];
        mp_pack_array(b, POOL_FIELDS);
        mp_pack_str(b, p->id, p->id_len);
        mp_pack_uint(b, p->kind);
        mp_pack_uint(b, (uint64_t)p->closed | (uint64_t)p->stopped << 1);
        mp_pack_uint(b, p->capacity);
        mp_pack_uint(b, p->fee_cents);
        mp_pack_uint(b, p->seg_start_ms);
        mp_pack_uint(b, p->seg_end_ms);
        mp_pack_uint(b, p->release_at_ms);
        mp_pack_uint(b, p->next_visit_no);
        mp_pack_array(b, p->n_shares);
        for (uint32_t s = 0; s < p->n_shares; s++) {
            mp_pack_array(b, 3);
            mp_pack_uint(b, p->shares[s].channel);
            mp_pack_uint(b, p->shares[s].spec);
            mp_pack_uint(b, p->shares[s].capacity);
        }
        packPlace(p->place, b);
        packFreed(p, b);
    }
}

static void packRuleText(struct mp_buf *b, uint64_t at, const char *op,
                         const char *reason, const struct slot_rules *r)
{
    mp_pack_uint(b, at);
    mp_pack_cstr(b, op);
    mp_pack_cstr(b, reason);
    slot_rules_encode(b, r);
}

static void packHospitals(const struct ledger *l, struct mp_buf *b)
{
    mp_pack_array(b, l->n_names);
    for (uint32_t i = 0; i < l->n_names; i++) {
        mp_pack_str(b, l->nkeys + l->names[i], l->nlens[i]);
    }
    mp_pack_array(b, l->n_hospitals);
    for (uint32_t i = 0; i < l->n_hospitals; i++) {
        const struct hospital *h = &l->hospitals[i];
        mp_pack_array(b, HOSP_FIELDS);
        mp_pack_str(b, h->id, h->id_len);
        slot_rules_encode(b, &h->rules);
        mp_pack_uint(b, h->rules_version);
        mp_pack_uint(b, h->changed_at_ms);
        mp_pack_cstr(b, h->operator_name);
        mp_pack_cstr(b, h->reason);
        mp_pack_uint(b, h->version);
        mp_pack_array(b, h->n_overrides);
        for (uint32_t k = 0; k < h->n_overrides; k++) {
            const struct dept_rules *o = &h->overrides[k];
            mp_pack_array(b, OVERRIDE_FIELDS);
            mp_pack_uint(b, o->department);
            mp_pack_uint(b, o->version);
            packRuleText(b, o->changed_at_ms, o->operator_name, o->reason,
                         &o->rules);
        }
        mp_pack_array(b, h->log_len);
        for (uint32_t k = 0; k < h->log_len; k++) {
            const struct rules_change *c =
                &h->log[(h->log_head + k) % LEDGER_RULES_LOG_MAX];
            mp_pack_array(b, CHANGE_FIELDS);
            mp_pack_uint(b, c->version);
            packNameIdx(b, c->department);
            packRuleText(b, c->changed_at_ms, c->operator_name, c->reason,
                         &c->rules);
        }
    }
}

static void packSessions(const struct ledger *l, struct mp_buf *b)
{
    mp_pack_array(b, l->n_sessions);
    for (uint32_t si = l->lru_head; si != NONE; si = l->sessions[si].next) {
        const struct session *s = &l->sessions[si];
        uint32_t used = 0;
        for (uint32_t i = 0; i < SLOT_SESSION_WINDOW; i++) {
            used += s->ring[i].seq != 0;
        }
        mp_pack_array(b, SESSION_FIELDS);
        mp_pack_uint(b, s->id);
        mp_pack_uint(b, s->last_used_ms);
        mp_pack_uint(b, s->max_seq);
        mp_pack_array(b, used);
        for (uint32_t i = 0; i < SLOT_SESSION_WINDOW; i++) {
            const struct sres *e = &s->ring[i];
            if (e->seq == 0) {
                continue;
            }
            mp_pack_array(b, SRES_FIELDS);
            mp_pack_uint(b, e->seq);
            mp_pack_uint(b, e->fingerprint);
            mp_pack_uint(b, e->r.code);
            mp_pack_uint(b, e->r.a);
            mp_pack_uint(b, e->r.b);
            mp_pack_uint(b, e->r.time_ms);
        }
    }
}

static void packIdems(const struct ledger *l, struct mp_buf *b)
{
    mp_pack_array(b, l->n_idems);
    for (uint32_t ii = l->idem_head; ii != NONE; ii = l->idems[ii].link) {
        const struct idem *e = &l->idems[ii];
        mp_pack_array(b, IDEM_FIELDS);
        mp_pack_str(b, e->channel, e->channel_len);
        mp_pack_str(b, e->key, e->key_len);
        mp_pack_uint(b, e->fingerprint);
        mp_pack_uint(b, e->r.code);
        mp_pack_uint(b, e->r.a);
        mp_pack_uint(b, e->r.b);
        mp_pack_uint(b, e->r.time_ms);
    }
}

static int cmpU64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int coolCmp(const void *a, const void *b)
{
    const struct cool *x = a, *y = b;
    if (x->due_ms != y->due_ms) {
        return x->due_ms < y->due_ms ? -1 : 1;
    }
    return x->claim_id < y->claim_id ? -1 : x->claim_id > y->claim_id;
}

static void packPatientRules(const struct ledger *l, struct mp_buf *b)
{
    const struct slot_config *c = &l->config;
    mp_pack_array(b, PATIENTS_FIELDS);
    mp_pack_array(b, 7);
    mp_pack_uint(b, c->account_patients_max);
    mp_pack_uint(b, c->account_changes_max);
    mp_pack_uint(b, c->account_change_window_days);
    mp_pack_uint(b, c->account_change_patients_max);
    mp_pack_uint(b, c->patient_active_max);
    mp_pack_uint(b, c->cooldown_key[0]);
    mp_pack_uint(b, c->cooldown_key[1]);
    mp_pack_array(b, l->n_pexts);
    for (uint32_t pi = 0; pi < l->n_patients; pi++) {
        const struct pext *x = ledger__pext_get(l, pi);
        if (x == NULL) {
            continue;
        }
        mp_pack_array(b, 5);
        mp_pack_uint(b, pi);
        mp_pack_uint(b, x->account == NONE ? 0 : (uint64_t)x->account + 1);
        mp_pack_array(b, x->n_cancels);
        for (uint8_t i = 0; i < x->n_cancels; i++) {
            mp_pack_uint(b, x->cancels_ms[i]);
        }
        mp_pack_array(b, x->n_violations);
        for (uint8_t i = 0; i < x->n_violations; i++) {
            mp_pack_array(b, 3);
            mp_pack_uint(b, x->violations[i].at_ms);
            mp_pack_uint(b, x->violations[i].hospital);
            mp_pack_uint(b, x->violations[i].kind);
        }
        mp_pack_array(b, x->n_standings);
        for (uint8_t i = 0; i < x->n_standings; i++) {
            mp_pack_array(b, 3);
            mp_pack_uint(b, x->standings[i].hospital);
            mp_pack_uint(b, x->standings[i].until_ms);
            mp_pack_uint(b, x->standings[i].exception);
        }
    }
    mp_pack_array(b, l->n_accounts);
    for (uint32_t ai = 0; ai < l->n_accounts; ai++) {
        const struct account *a = &l->accounts[ai];
        mp_pack_array(b, 3);
        mp_pack_str(b, l->pkeys + a->key_off, a->key_len);
        mp_pack_array(b, a->n_patients);
        for (uint8_t i = 0; i < a->n_patients; i++) {
            mp_pack_uint(b, a->patients[i]);
        }
        mp_pack_array(b, a->n_changes);
        for (uint8_t i = 0; i < a->n_changes; i++) {
            mp_pack_array(b, 2);
            mp_pack_uint(b, a->changes[i].at_ms);
            mp_pack_uint(b, a->changes[i].unbinds);
        }
    }
    /* The heap's array order depends on history: sorted, it is canonical. */
    struct cool *cs = ledger__realloc(NULL, (l->n_cools + 1) * sizeof *cs);
    if (l->n_cools > 0) {
        memcpy(cs, l->cools, l->n_cools * sizeof *cs);
        qsort(cs, l->n_cools, sizeof *cs, coolCmp);
    }
    mp_pack_array(b, l->n_cools);
    for (uint32_t i = 0; i < l->n_cools; i++) {
        mp_pack_array(b, 5);
        mp_pack_uint(b, cs[i].due_ms);
        mp_pack_uint(b, cs[i].claim_id);
        mp_pack_uint(b, cs[i].pool);
        mp_pack_uint(b, cs[i].from_share);
        mp_pack_uint(b, cs[i].bucket);
    }
    free(cs);
    mp_pack_uint(b, l->staff_seq);
    mp_pack_array(b, l->staff_len);
    for (uint32_t i = 0; i < l->staff_len; i++) {
        const struct staff *e =
            &l->staff[(l->staff_head + i) % LEDGER_STAFF_LOG_MAX];
        mp_pack_array(b, 9);
        mp_pack_uint(b, e->seq);
        mp_pack_uint(b, e->at_ms);
        mp_pack_uint(b, e->op);
        packNameIdx(b, e->hospital);
        packNameIdx(b, e->patient);
        mp_pack_uint(b, e->kind);
        mp_pack_cstr(b, e->operator_name);
        mp_pack_cstr(b, e->reason);
        packNameIdx(b, e->pool);
    }
    uint32_t waiting = 0;
    for (uint32_t pi = 0; pi < l->n_pools; pi++) {
        waiting += l->pools[pi].n_wait > 0;
    }
    mp_pack_array(b, waiting);
    for (uint32_t pi = 0; pi < l->n_pools; pi++) {
        const struct pool *p = &l->pools[pi];
        if (p->n_wait == 0) {
            continue;
        }
        mp_pack_array(b, 2);
        mp_pack_uint(b, pi);
        mp_pack_array(b, p->n_wait);
        for (uint32_t i = 0; i < p->n_wait; i++) {
            const struct wentry *e = &p->wait[i];
            mp_pack_array(b, 4);
            mp_pack_uint(b, e->joined_at_ms);
            mp_pack_uint(b, e->patient);
            mp_pack_uint(b, e->account == NONE ? 0 : (uint64_t)e->account + 1);
            mp_pack_uint(b, e->channel);
        }
    }
    /* Offers by claim id (the index's order is history). */
    uint64_t *ids =
        ledger__realloc(NULL, ((size_t)l->offer_index.count + 1) * sizeof *ids);
    uint32_t n = 0;
    for (uint32_t ci = 0; ci < l->claims_len; ci++) {
        if (l->claims[ci].state == SLOT_CLAIM_HELD &&
            ledger__offer_has(l, ci)) {
            ids[n++] = l->claims[ci].id;
        }
    }
    qsort(ids, n, sizeof *ids, cmpU64);
    mp_pack_array(b, n);
    for (uint32_t i = 0; i < n; i++) {
        mp_pack_uint(b, ids[i]);
    }
    free(ids);
}

static int noshowCmp(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    return x[0] != y[0] ? (x[0] < y[0] ? -1 : 1)
                        : (x[1] < y[1] ? -1 : x[1] > y[1]);
}

/* The no-show heap as (due, claim id) pairs, sorted: canonical. */
static void packNoshows(const struct ledger *l, struct mp_buf *b)
{
    uint64_t(*e)[2] =
        ledger__realloc(NULL, ((size_t)l->nsheap_len + 1) * sizeof *e);
    for (uint32_t i = 0; i < l->nsheap_len; i++) {
        e[i][0] = l->nsheap[i].due_ms;
        e[i][1] = l->claims[l->nsheap[i].ci].id;
    }
    qsort(e, l->nsheap_len, sizeof *e, noshowCmp);
    mp_pack_array(b, l->nsheap_len);
    for (uint32_t i = 0; i < l->nsheap_len; i++) {
        mp_pack_array(b, 2);
        mp_pack_uint(b, e[i][0]);
        mp_pack_uint(b, e[i][1]);
    }
    free(e);
}

/* The feed's window, oldest first (its order is the seq order). */
static void packEvents(const struct ledger *l, struct mp_buf *b)
{
    mp_pack_array(b, 2);
    mp_pack_uint(b, l->ev_last);
    mp_pack_array(b, l->ev_len);
    struct evwalk w;
    struct event ev;
    ledger__events_walk(l, 0, &w);
    for (uint32_t i = 0; ledger__events_next(l, &w, &ev); i++) {
        const struct event *e = &ev;
        mp_pack_array(b, EVENT_FIELDS);
        mp_pack_uint(b, l->ev_last - l->ev_len + 1 + i); /* its seq */
        mp_pack_uint(b, e->index);
        mp_pack_uint(b, e->time_ms);
        mp_pack_uint(b, e->type);
        packNameIdx(b, e->pool);
        mp_pack_uint(b, e->claim);
        packNameIdx(b, e->patient);
        mp_pack_uint(b, e->channel == EV_NO_CHANNEL ? 0 : e->channel + 1u);
        packNameIdx(b, e->account);
        packNameIdx(b, e->hospital);
        mp_pack_uint(b, e->a);
        mp_pack_uint(b, e->b);
        mp_pack_uint(b, e->fee_cents);
        char ref[SLOT_PAYMENT_REF_MAX];
        ledger__event_ref(l, e, ref);
        mp_pack_str(b, ref, e->ref_len);
        struct slot_str m = ledger__pay_method_str(l, e->method);
        mp_pack_str(b, m.p, m.len);
        mp_pack_uint(b, e->local_day);
    }
}

/* A row with its method's name, to sort without the ledger at hand. */
struct reconKey {
    const struct recon *r;
    struct slot_str method;
};

/* Rows in the canonical order: indexes of hospitals and channels are the
 * same on every replica (stored interning order); a method's is not. */
static int reconOrder(const void *x, const void *y)
{
    const struct reconKey *ka = x, *kb = y;
    const struct recon *a = ka->r, *b = kb->r;
    if (a->day != b->day) {
        return a->day < b->day ? -1 : 1;
    }
    if (a->hospital != b->hospital) {
        return a->hospital < b->hospital ? -1 : 1;
    }
    if (a->channel != b->channel) {
        return a->channel < b->channel ? -1 : 1;
    }
    return ledger__str_cmp(ka->method, kb->method);
}

static int methodOrder(const void *x, const void *y)
{
    return ledger__str_cmp(*(const struct slot_str *)x,
                           *(const struct slot_str *)y);
}

static void packMoney(const struct ledger *l, struct mp_buf *b)
{
    mp_pack_array(b, 4);
    mp_pack_uint(b, l->recon_kept_from);
    struct slot_str order[LEDGER_PAY_METHODS_MAX];
    for (uint32_t i = 0; i < l->n_pay_methods; i++) {
        order[i] = ledger__pay_method_str(l, (uint8_t)i);
    }
    qsort(order, l->n_pay_methods, sizeof *order, methodOrder);
    mp_pack_array(b, l->n_pay_methods);
    for (uint32_t i = 0; i < l->n_pay_methods; i++) {
        mp_pack_str(b, order[i].p, order[i].len);
    }
    struct reconKey *rows =
        ledger__realloc(NULL, (l->n_recons + 1) * sizeof *rows);
    for (uint32_t i = 0; i < l->n_recons; i++) {
        rows[i] = (struct reconKey){
            &l->recons[i], ledger__pay_method_str(l, l->recons[i].method)};
    }
    qsort(rows, l->n_recons, sizeof *rows, reconOrder);
    mp_pack_array(b, l->n_recons);
    for (uint32_t i = 0; i < l->n_recons; i++) {
        const struct recon *r = rows[i].r;
        struct slot_str m = rows[i].method;
        mp_pack_array(b, RECON_FIELDS);
        mp_pack_uint(b, r->day);
        packNameIdx(b, r->hospital);
        mp_pack_uint(b, r->channel);
        mp_pack_str(b, m.p, m.len);
        mp_pack_uint(b, r->booked);
        mp_pack_uint(b, r->booked_cents);
        mp_pack_uint(b, r->checkin_paid);
        mp_pack_uint(b, r->checkin_paid_cents);
        mp_pack_uint(b, r->checked_in);
        mp_pack_uint(b, r->cancelled);
        mp_pack_uint(b, r->cancelled_cents);
        mp_pack_uint(b, r->refunded);
        mp_pack_uint(b, r->refunded_cents);
        mp_pack_uint(b, r->moved);
        mp_pack_uint(b, r->no_show);
    }
    free(rows);
    static const struct pool_stats zero;
    uint32_t n = 0;
    for (uint32_t pi = 0; pi < l->n_pools; pi++) {
        const struct place *pl = l->pools[pi].place;
        n += pl != NULL && memcmp(&pl->stats, &zero, sizeof zero) != 0;
    }
    mp_pack_array(b, n);
    for (uint32_t pi = 0; pi < l->n_pools; pi++) {
        const struct place *pl = l->pools[pi].place;
        if (pl == NULL || memcmp(&pl->stats, &zero, sizeof zero) == 0) {
            continue;
        }
        const struct pool_stats *st = &pl->stats;
        mp_pack_array(b, PSTATS_FIELDS);
        mp_pack_uint(b, pi);
        mp_pack_uint(b, st->booked);
        mp_pack_uint(b, st->cancelled);
        mp_pack_uint(b, st->refunded);
        mp_pack_uint(b, st->moved);
        mp_pack_uint(b, st->no_show);
        mp_pack_uint(b, st->checked_in);
    }
}

void ledger_snapshot(const struct ledger *l, struct mp_buf *b)
{
    const struct slot_config *c = &l->config;
    mp_pack_array(b, SNAP_FIELDS);
    mp_pack_cstr(b, SNAP_MAGIC);
    mp_pack_uint(b, LEDGER_SNAPSHOT_VERSION);
    mp_pack_uint(b, l->time_ms);
    mp_pack_uint(b, l->next_claim_id);
    mp_pack_uint(b, l->next_session_id);
    mp_pack_array(b, 6);
    mp_pack_uint(b, c->hold_ttl_min_ms);
    mp_pack_uint(b, c->hold_ttl_max_ms);
    mp_pack_uint(b, c->session_max);
    mp_pack_uint(b, c->session_idle_ms);
    mp_pack_uint(b, c->retain_ms);
    mp_pack_uint(b, c->retain_max);
    mp_pack_array(b, l->n_channels);
    for (uint32_t i = 0; i < l->n_channels; i++) {
        mp_pack_str(b, l->channels[i], l->channel_len[i]);
    }
    mp_pack_array(b, l->n_patients);
    for (uint32_t i = 0; i < l->n_patients; i++) {
        const struct patient *p = &l->patients[i];
        mp_pack_str(b, l->pkeys + p->key_off, p->key_len);
    }
    packHospitals(l, b);
    packPools(l, b);
    packActive(l, b);
    mp_pack_array(b, l->n_retained);
    for (uint32_t ci = l->ret_head; ci != NONE; ci = l->claims[ci].link) {
        packClaim(l, &l->claims[ci], b);
    }
    packSessions(l, b);
    packIdems(l, b);
    packPatientRules(l, b);
    packNoshows(l, b);
    packEvents(l, b);
    packMoney(l, b);
}

uint64_t ledger_state_hash(const struct ledger *l)
{
    struct mp_buf b;
    mp_buf_init(&b);
    ledger_snapshot(l, &b);
    uint64_t h = slot_hash64(b.data, b.len, 0);
    mp_buf_free(&b);
    return h;
}

/* ---- restore ------------------------------------------------------------- */

/* Restore steps return a slot_err; RD() turns a failed read into the
 * reader's sticky error. */
#define RD(expr)                                                               \
    do {                                                                       \
        if (!(expr)) {                                                         \
            return r->err != 0 ? r->err : SLOT_MALFORMED;                      \
        }                                                                      \
    } while (0)
#define NEED(cond)                                                             \
    do {                                                                       \
        if (!(cond)) {                                                         \
            return SLOT_CORRUPT;                                               \
        }                                                                      \
    } while (0)

/* How many of n declared elements the bytes left can hold, each taking
 * at least min_bytes when valid: what restore reserves (and maps) room
 * for before reading them. The count is untrusted; the memory mapped
 * ahead of reading stays proportional to the input's size, while an
 * input that really holds n elements gets room for all of them. */
static uint32_t fitCount(const struct mp_reader *r, uint32_t n,
                         size_t min_bytes)
{
    size_t fit = mp_left(r) / min_bytes;
    return n < fit ? n : (uint32_t)fit;
}

static int readU8(struct mp_reader *r, uint64_t max, uint8_t *v)
{
    uint64_t x;
    RD(mp_read_uint(r, max, &x));
    *v = (uint8_t)x;
    return SLOT_OK;
}

static int restoreHeader(struct ledger *l, struct mp_reader *r, uint32_t *v)
{
    struct slot_str magic;
    uint64_t version;
    uint32_t n;
    RD(mp_read_array(r, &n));
    RD(mp_read_str(r, 16, &magic));
    if (magic.len != strlen(SNAP_MAGIC) ||
        memcmp(magic.p, SNAP_MAGIC, magic.len) != 0) {
        return SLOT_MALFORMED;
    }
    RD(mp_read_u64(r, &version));
    if (version < 1 || version > LEDGER_SNAPSHOT_VERSION) {
        return SLOT_BAD_VERSION;
    }
    *v = (uint32_t)version;
    if (n != (version == 1   ? SNAP_FIELDS - 6
              : version == 2 ? SNAP_FIELDS - 4
              : version == 3 ? SNAP_FIELDS - 3
              : version == 4 ? SNAP_FIELDS - 1
                             : SNAP_FIELDS)) {
        return SLOT_MALFORMED;
    }
    RD(mp_read_uint(r, SLOT_TIME_MAX_MS, &l->time_ms));
    RD(mp_read_uint(r, UINT64_MAX - 1, &l->next_claim_id));
    RD(mp_read_uint(r, UINT64_MAX - 1, &l->next_session_id));
    NEED(l->next_claim_id >= 1 && l->next_session_id >= 1);
    struct slot_config *c = &l->config;
    RD(mp_expect_array(r, 6));
    RD(mp_read_u32(r, &c->hold_ttl_min_ms));
    RD(mp_read_u32(r, &c->hold_ttl_max_ms));
    RD(mp_read_u32(r, &c->session_max));
    RD(mp_read_u64(r, &c->session_idle_ms));
    RD(mp_read_u64(r, &c->retain_ms));
    RD(mp_read_u32(r, &c->retain_max));
    return slot_valid_config(c);
}

static int restoreNames(struct ledger *l, struct mp_reader *r, uint32_t *v)
{
    (void)v;
    uint32_t n;
    RD(mp_read_array(r, &n));
    NEED(n <= LEDGER_CHANNELS_MAX);
    for (uint32_t i = 0; i < n; i++) {
        struct slot_str s;
        RD(mp_read_str(r, SLOT_CHANNEL_MAX, &s));
        NEED(slot_valid_channel(s) == SLOT_OK);
        NEED(ledger__channel_find(l, s.p, s.len) == NONE);
        ledger__channel_add(l, s.p, s.len);
    }
    RD(mp_read_array(r, &n));
    NEED(n <= LEDGER_PATIENTS_MAX);
    /* A key is a str of SLOT_PATIENT_KEY_MIN bytes or more. */
    uint32_t room = fitCount(r, n, 1 + SLOT_PATIENT_KEY_MIN);
    ledger__htab_reserve(&l->patient_index, room);
    LEDGER_RESERVE(l->patients, l->patients_cap, l->n_patients, room);
    /* A second reader runs LEDGER_PREFETCH_AHEAD keys ahead, loading the
     * table positions their lookups will want (htab.c). It validates
     * nothing and stops at the first thing it cannot read: the main reader
     * decides. */
    struct mp_reader ahead = *r;
    uint32_t ahead_n = 0; /* keys the second reader has passed */
    for (uint32_t i = 0; i < n; i++) {
        struct slot_str s;
        for (; ahead_n < n && ahead_n <= i + LEDGER_PREFETCH_AHEAD &&
               mp_read_str(&ahead, SLOT_PATIENT_KEY_MAX, &s);
             ahead_n++) {
            ledger__htab_prefetch(&l->patient_index,
                                  slot_hash64(s.p, s.len, 0));
        }
        RD(mp_read_str(r, SLOT_PATIENT_KEY_MAX, &s));
        NEED(slot_valid_patient_key(s) == SLOT_OK);
        NEED(ledger__patient_find(l, s.p, s.len) == NONE);
        ledger__patient_add(l, s.p, s.len);
    }
    return SLOT_OK;
}

/* A name index stored + 1 (0: none), into NONE or an index. */
static int readNameIdx(const struct ledger *l, struct mp_reader *r,
                       uint32_t *out)
{
    uint64_t x;
    RD(mp_read_uint(r, l->n_names, &x));
    *out = x == 0 ? NONE : (uint32_t)(x - 1);
    return SLOT_OK;
}

static int readText(struct mp_reader *r, uint32_t max,
                    int (*valid)(struct slot_str), char *out)
{
    struct slot_str s;
    RD(mp_read_str(r, max, &s));
    NEED(valid(s) == SLOT_OK);
    memcpy(out, s.p, s.len);
    out[s.len] = '\0';
    return SLOT_OK;
}

static int validReason(struct slot_str s)
{
    return slot_valid_text(s, SLOT_REASON_MAX);
}

/* changed_at_ms, operator, reason, rules: the tail of every rules record. */
static int readRuleText(const struct ledger *l, struct mp_reader *r,
                        uint64_t *at, char *op, char *reason,
                        struct slot_rules *rules)
{
    RD(mp_read_uint(r, l->time_ms, at));
    int rc = readText(r, SLOT_OPERATOR_MAX, slot_valid_operator, op);
    if (rc == SLOT_OK) {
        rc = readText(r, SLOT_REASON_MAX, validReason, reason);
    }
    if (rc == SLOT_OK) {
        rc = slot_rules_decode(r, rules);
    }
    return rc;
}

static int restoreHospital(struct ledger *l, struct mp_reader *r)
{
    struct slot_str id;
    RD(mp_expect_array(r, HOSP_FIELDS));
    RD(mp_read_str(r, SLOT_NAME_MAX, &id));
    NEED(slot_valid_name(id) == SLOT_OK);
    NEED(ledger__hospital_find(l, id) == NONE);
    uint32_t hi = l->n_hospitals++;
    LEDGER_GROW(l->hospitals, l->hospitals_cap, hi);
    struct hospital *h = &l->hospitals[hi];
    memset(h, 0, sizeof *h);
    memcpy(h->id, id.p, id.len);
    h->id_len = (uint8_t)id.len;
    int rc = slot_rules_decode(r, &h->rules);
    if (rc != SLOT_OK) {
        return rc;
    }
    RD(mp_read_u64(r, &h->rules_version));
    RD(mp_read_uint(r, l->time_ms, &h->changed_at_ms));
    rc = readText(r, SLOT_OPERATOR_MAX, slot_valid_operator, h->operator_name);
    if (rc == SLOT_OK) {
        rc = readText(r, SLOT_REASON_MAX, validReason, h->reason);
    }
    if (rc != SLOT_OK) {
        return rc;
    }
    RD(mp_read_u64(r, &h->version));
    NEED(h->rules_version >= 1 && h->rules_version <= h->version);
    uint32_t n;
    RD(mp_read_array(r, &n));
    NEED(n <= LEDGER_OVERRIDES_MAX);
    h->overrides =
        n > 0 ? ledger__realloc(NULL, n * sizeof *h->overrides) : NULL;
    h->overrides_cap = n;
    for (uint32_t k = 0; k < n; k++) {
        struct dept_rules *o = &h->overrides[k];
        memset(o, 0, sizeof *o);
        uint64_t dept;
        RD(mp_expect_array(r, OVERRIDE_FIELDS));
        RD(mp_read_uint(r, l->n_names == 0 ? 0 : l->n_names - 1, &dept));
        RD(mp_read_u64(r, &o->version));
        o->department = (uint32_t)dept;
        h->n_overrides = k + 1;
        NEED(l->n_names > 0 && o->version >= 1 && o->version <= h->version);
        for (uint32_t j = 0; j < k; j++) {
            NEED(h->overrides[j].department != o->department);
        }
        rc = readRuleText(l, r, &o->changed_at_ms, o->operator_name, o->reason,
                          &o->rules);
        if (rc != SLOT_OK) {
            return rc;
        }
        NEED(o->rules.utc_offset_min == h->rules.utc_offset_min);
    }
    RD(mp_read_array(r, &n));
    NEED(n <= LEDGER_RULES_LOG_MAX);
    h->log = ledger__realloc(NULL, LEDGER_RULES_LOG_MAX * sizeof *h->log);
    uint64_t last = 0;
    for (uint32_t k = 0; k < n; k++) {
        struct rules_change *c = &h->log[k];
        memset(c, 0, sizeof *c);
        RD(mp_expect_array(r, CHANGE_FIELDS));
        RD(mp_read_u64(r, &c->version));
        NEED(c->version > last && c->version <= h->version);
        last = c->version;
        rc = readNameIdx(l, r, &c->department);
        if (rc == SLOT_OK) {
            rc = readRuleText(l, r, &c->changed_at_ms, c->operator_name,
                              c->reason, &c->rules);
        }
        if (rc != SLOT_OK) {
            return rc;
        }
        h->log_len = k + 1;
    }
    return SLOT_OK;
}

/* Names (v2), then hospitals (v2). */
static int restoreHospitals(struct ledger *l, struct mp_reader *r, uint32_t *v)
{
    if (*v == 1) {
        return SLOT_OK;
    }
    uint32_t n;
    RD(mp_read_array(r, &n));
    NEED(n <= LEDGER_NAMES_MAX);
    for (uint32_t i = 0; i < n; i++) {
        struct slot_str s;
        RD(mp_read_str(r, SLOT_NAME_MAX, &s));
        NEED(slot_valid_name(s) == SLOT_OK);
        NEED(ledger__name_find(l, s) == NONE);
        ledger__name_add(l, s);
    }
    RD(mp_read_array(r, &n));
    NEED(n <= LEDGER_HOSPITALS_MAX);
    for (uint32_t i = 0; i < n; i++) {
        int rc = restoreHospital(l, r);
        if (rc != SLOT_OK) {
            return rc;
        }
    }
    return SLOT_OK;
}

static int readChanList(const struct ledger *l, struct mp_reader *r,
                        uint8_t *out, uint8_t *n)
{
    uint32_t cnt;
    RD(mp_read_array(r, &cnt));
    NEED(cnt <= SLOT_POOL_NAMES_MAX && (cnt == 0 || l->n_channels > 0));
    for (uint32_t i = 0; i < cnt; i++) {
        uint64_t ch;
        RD(mp_read_uint(r, l->n_channels - 1, &ch));
        out[i] = (uint8_t)ch;
        for (uint32_t k = 0; k < i; k++) {
            NEED(out[k] != out[i]);
        }
    }
    *n = (uint8_t)cnt;
    return SLOT_OK;
}

static int readPlace(const struct ledger *l, struct mp_reader *r,
                     struct place *pl)
{
    uint64_t x;
    memset(pl, 0, sizeof *pl);
    pl->flow_pos = NONE;
    pl->flow_due_ms = UINT64_MAX;
    RD(mp_expect_array(r, PLACE_FIELDS));
    NEED(l->n_hospitals > 0);
    RD(mp_read_uint(r, l->n_hospitals - 1, &x));
    pl->hospital = (uint32_t)x;
    int rc = readNameIdx(l, r, &pl->campus);
    if (rc == SLOT_OK) {
        rc = readNameIdx(l, r, &pl->department);
    }
    if (rc == SLOT_OK) {
        rc = readNameIdx(l, r, &pl->doctor);
    }
    if (rc != SLOT_OK) {
        return rc;
    }
    NEED(pl->department != NONE);
    RD(mp_read_uint(r, SLOT_DAY_MAX, &x));
    NEED(x >= 1);
    pl->visit_day = (uint32_t)x;
    rc = readU8(r, SLOT_PAY_AT_VISIT, &pl->pay_mode);
    if (rc != SLOT_OK) {
        return rc;
    }
    RD(mp_read_uint(r, SLOT_VISIT_SLOT_MAX_MS, &x));
    pl->visit_slot_ms = (uint32_t)x;
    rc = readChanList(l, r, pl->eligible, &pl->n_eligible);
    if (rc == SLOT_OK) {
        rc = readChanList(l, r, pl->rem_allow, &pl->n_rem_allow);
    }
    if (rc == SLOT_OK) {
        rc = readU8(r, 1, &pl->flowed);
    }
    return rc;
}

/* Freed visit numbers: ascending, distinct, below next_visit_no. */
static int readFreed(struct mp_reader *r, struct pool *p)
{
    uint32_t n;
    uint64_t prev = 0, v;
    RD(mp_read_array(r, &n));
    NEED(n < p->next_visit_no);
    p->freed = n > 0 ? ledger__realloc(NULL, n * sizeof *p->freed) : NULL;
    p->freed_cap = n;
    for (uint32_t i = 0; i < n; i++) {
        RD(mp_read_uint(r, p->next_visit_no - 1, &v));
        NEED(v > prev);
        prev = v;
        p->freed[p->n_freed++] = (uint32_t)v;
    }
    return SLOT_OK;
}

static int restorePool(struct ledger *l, struct mp_reader *r, uint32_t v)
{
    struct slot_str id;
    struct pool tmp;
    uint32_t n_shares, sum = 0;
    memset(&tmp, 0, sizeof tmp);
    RD(mp_expect_array(r, v == 1 ? POOL_FIELDS - 2 : POOL_FIELDS));
    RD(mp_read_str(r, SLOT_POOL_ID_MAX, &id));
    NEED(slot_valid_pool_id(id) == SLOT_OK);
    NEED(ledger__pool_find(l, id.p, id.len) == NONE);
    int rc = readU8(r, SLOT_KIND_MAX, &tmp.kind);
    uint8_t flags = 0;
    if (rc == SLOT_OK) {
        rc = readU8(r, v >= 4 ? 3 : 1, &flags);
    }
    if (rc != SLOT_OK) {
        return rc;
    }
    tmp.closed = flags & 1;
    tmp.stopped = (uint8_t)(flags >> 1);
    RD(mp_read_u32(r, &tmp.capacity));
    RD(mp_read_uint(r, SLOT_FEE_MAX_CENTS, &tmp.fee_cents));
    RD(mp_read_uint(r, SLOT_TIME_MAX_MS, &tmp.seg_start_ms));
    RD(mp_read_uint(r, SLOT_TIME_MAX_MS, &tmp.seg_end_ms));
    RD(mp_read_uint(r, SLOT_TIME_MAX_MS, &tmp.release_at_ms));
    RD(mp_read_u32(r, &tmp.next_visit_no));
    NEED(tmp.capacity >= 1 && tmp.capacity <= SLOT_POOL_CAPACITY_MAX);
    NEED(tmp.next_visit_no >= 1);
    NEED((tmp.seg_start_ms == 0 && tmp.seg_end_ms == 0) ||
         tmp.seg_start_ms < tmp.seg_end_ms);
    RD(mp_read_array(r, &n_shares));
    NEED(n_shares <= SLOT_POOL_SHARES_MAX);
    /* Shares: [channel, spec, capacity] (v1: [channel, slots]). A
     * flow-back moves capacity between buckets, never the total. */
    uint32_t spec_sum = 0;
    for (uint32_t s = 0; s < n_shares; s++) {
        uint64_t ch;
        uint32_t spec, cap;
        RD(mp_expect_array(r, v == 1 ? 2 : 3));
        RD(mp_read_uint(r, l->n_channels == 0 ? 0 : l->n_channels - 1, &ch));
        RD(mp_read_u32(r, &spec));
        cap = spec;
        if (v != 1) {
            RD(mp_read_u32(r, &cap));
        }
        NEED(l->n_channels > 0 && ledger__share_of(&tmp, (uint32_t)ch) < 0);
        NEED(spec >= 1 && spec <= tmp.capacity - spec_sum);
        NEED(cap <= tmp.capacity - sum);
        spec_sum += spec;
        sum += cap;
        tmp.shares[s].channel = (uint8_t)ch;
        tmp.shares[s].spec = spec;
        tmp.shares[s].capacity = cap;
        tmp.shares[s].free = cap;
        tmp.n_shares = (uint8_t)(s + 1);
    }
    tmp.rem.capacity = tmp.rem.free = tmp.capacity - sum;
    tmp.rem.spec = tmp.capacity - spec_sum;
    struct place pl;
    bool placed = false;
    int rc2 = SLOT_OK;
    if (v != 1) {
        placed = !(r->p < r->end && *r->p == 0xc0);
        if (placed) {
            rc2 = readPlace(l, r, &pl);
        } else {
            RD(mp_read_nil(r));
        }
        if (rc2 == SLOT_OK) {
            rc2 = readFreed(r, &tmp);
        }
    }
    if (rc2 != SLOT_OK || l->n_pools >= LEDGER_POOLS_MAX) {
        free(tmp.freed);
        return rc2 != SLOT_OK ? rc2 : SLOT_CORRUPT;
    }
    /* A sum of capacities other than the spec's is a flow-back: only a
     * scheduled pool that has flowed may have one. */
    if (sum != spec_sum && !(placed && pl.flowed)) {
        free(tmp.freed);
        return SLOT_CORRUPT;
    }
    uint32_t pi = ledger__pool_add(l, id.p, id.len);
    memcpy(tmp.id, l->pools[pi].id, sizeof tmp.id);
    tmp.id_len = l->pools[pi].id_len;
    l->pools[pi] = tmp;
    if (placed) {
        l->pools[pi].place = ledger__realloc(NULL, sizeof pl);
        *l->pools[pi].place = pl;
        ledger__sched_index_add(l, pi);
        ledger__flow_schedule(l, pi);
    }
    return SLOT_OK;
}

static int restorePools(struct ledger *l, struct mp_reader *r, uint32_t *v)
{
    uint32_t n;
    RD(mp_read_array(r, &n));
    NEED(n <= LEDGER_POOLS_MAX);
    for (uint32_t i = 0; i < n; i++) {
        int rc = restorePool(l, r, *v);
        if (rc != SLOT_OK) {
            return rc;
        }
    }
    return SLOT_OK;
}

/* The fewest bytes a claim of version v takes: its array's one-byte header
 * and one byte for each field (a fixint, an empty str). */
static size_t claimMinBytes(uint32_t v)
{
    return 1 + (v == 1   ? CLAIM_FIELDS_V3 - 1
                : v < 4  ? CLAIM_FIELDS_V3
                : v == 4 ? CLAIM_FIELDS_V4
                         : CLAIM_FIELDS);
}

/* A second reader running ahead in a list of claims (see restoreNames):
 * loads the table positions, and for active claims the patient records,
 * that the claims up to index `upto` will want. It reads each claim's id,
 * pool and patient and skips the rest; anything it cannot read stops it. */
struct claimsAhead {
    struct mp_reader r;
    uint32_t n; /* claims passed */
};

static void claimsAhead(const struct ledger *l, struct claimsAhead *a,
                        uint32_t upto, bool active)
{
    for (; a->n < upto && a->r.err == 0; a->n++) {
        uint32_t fields;
        uint64_t id, pool, patient;
        if (!mp_read_array(&a->r, &fields) || fields < 4 ||
            fields > CLAIM_FIELDS || !mp_read_u64(&a->r, &id) ||
            !mp_skip(&a->r) || !mp_read_uint(&a->r, UINT32_MAX, &pool) ||
            !mp_read_uint(&a->r, UINT32_MAX, &patient)) {
            a->r.err = SLOT_MALFORMED;
            return;
        }
        for (uint32_t f = 4; f < fields; f++) {
            mp_skip(&a->r);
        }
        ledger__htab_prefetch(&l->claim_index, id);
        if (active) {
            ledger__htab_prefetch(&l->pp_index, pool << 32 | patient);
            if (patient < l->n_patients) {
                __builtin_prefetch(&l->patients[patient]);
            }
        }
    }
}

/* Reads one claim into a fresh slab entry (*out), validating everything a
 * claim can be checked for on its own. */
static int readClaim(struct ledger *l, struct mp_reader *r, uint32_t v,
                     uint32_t *out)
{
    struct claim c;
    struct cvisit cv = {0, 0, 0};
    struct slot_str pay;
    memset(&c, 0, sizeof c);
    RD(mp_expect_array(r, v == 1   ? CLAIM_FIELDS_V3 - 1
                          : v < 4  ? CLAIM_FIELDS_V3
                          : v == 4 ? CLAIM_FIELDS_V4
                                   : CLAIM_FIELDS));
    RD(mp_read_uint(r, l->next_claim_id - 1, &c.id));
    int rc =
        readU8(r, v < 4 ? SLOT_CLAIM_CANCELLED : SLOT_CLAIM_MOVED, &c.state);
    if (rc != SLOT_OK) {
        return rc;
    }
    RD(mp_read_u32(r, &c.pool));
    RD(mp_read_u32(r, &c.patient));
    uint64_t ch, fs;
    RD(mp_read_uint(r, UINT8_MAX, &ch));
    RD(mp_read_uint(r, 1, &fs));
    RD(mp_read_uint(r, SLOT_TIME_MAX_MS, &c.held_at_ms));
    RD(mp_read_uint(r, 2 * SLOT_TIME_MAX_MS, &c.deadline_ms));
    uint64_t booked_at;
    RD(mp_read_uint(r, SLOT_TIME_MAX_MS, &booked_at));
    RD(mp_read_uint(r, SLOT_TIME_MAX_MS, &c.resolved_at_ms));
    RD(mp_read_u32(r, &c.visit_no));
    RD(mp_read_str(r, SLOT_PAYMENT_REF_MAX, &pay));
    uint64_t bucket = fs ? ch : 0; /* v1: the share of its channel */
    if (v != 1) {
        RD(mp_read_uint(r, UINT8_MAX, &bucket));
    }
    if (v >= 4) {
        uint64_t att, refunded;
        RD(mp_read_uint(r, SLOT_ATTEND_NO_SHOW, &att));
        RD(mp_read_uint(r, SLOT_TIME_MAX_MS, &cv.checked_in_at_ms));
        RD(mp_read_uint(r, l->next_claim_id - 1, &cv.moved_to));
        RD(mp_read_uint(r, l->next_claim_id - 1, &cv.moved_from));
        RD(mp_read_uint(r, 1, &refunded));
        c.attendance = (unsigned)att & 3u;
        c.refunded = (unsigned)refunded & 1u;
    }
    struct slot_str method = {"", 0};
    uint64_t fee_paid = 0;
    if (v >= 5) {
        RD(mp_read_str(r, SLOT_PAY_METHOD_MAX, &method));
        RD(mp_read_uint(r, SLOT_FEE_MAX_CENTS, &fee_paid));
        NEED(method.len == 0 || slot_valid_pay_method(method) == SLOT_OK);
        NEED(pay.len > 0 || (method.len == 0 && fee_paid == 0));
        NEED(ledger__pay_method_fits(l, method));
    }
    c.channel = (uint8_t)ch;
    c.from_share = (unsigned)fs & 1u;
    c.bucket = (uint8_t)bucket;
    NEED(c.id >= 1 && c.state >= SLOT_CLAIM_HELD);
    NEED(c.pool < l->n_pools && c.patient < l->n_patients &&
         ch < l->n_channels);
    NEED(ledger__claim_find(l, c.id) == NONE);
    /* A booking a MOVE made was never held: held_at = deadline. */
    NEED(c.held_at_ms <= l->time_ms &&
         (c.deadline_ms > c.held_at_ms ||
          (cv.moved_from != 0 && c.deadline_ms == c.held_at_ms)));
    NEED(bucket < l->n_channels && (fs || bucket == 0));
    bool confirmed = ledger__state_confirmed(c.state);
    /* Booked when confirmed, within a u32 of being held (struct claim);
     * never booked otherwise. */
    NEED(confirmed ? booked_at >= c.held_at_ms &&
                         booked_at - c.held_at_ms <= UINT32_MAX
                   : booked_at == 0);
    c.booked_after_ms = confirmed ? (uint32_t)(booked_at - c.held_at_ms) : 0;
    /* The visit-day fields: only what the transitions can produce. */
    NEED(confirmed || (c.attendance == 0 && cv.moved_from == 0));
    NEED(cv.checked_in_at_ms == 0 || c.attendance == SLOT_ATTEND_CHECKED_IN);
    NEED((c.state == SLOT_CLAIM_MOVED) == (cv.moved_to != 0));
    NEED(!c.refunded || c.state == SLOT_CLAIM_CANCELLED);
    /* Unpaid bookings (pay at visit) have no reference; holds never do.
     * The pool need not be pay-at-visit now: a POOL_UPDATE may have
     * changed its payment mode since the booking. */
    NEED(confirmed == (c.visit_no != 0));
    NEED(confirmed || pay.len == 0);
    NEED(pay.len == 0 || slot_valid_payment_ref(pay) == SLOT_OK);
    NEED(c.visit_no < l->pools[c.pool].next_visit_no);
    bool resolved = c.state != SLOT_CLAIM_HELD && c.state != SLOT_CLAIM_BOOKED;
    NEED((resolved || c.resolved_at_ms == 0) && c.resolved_at_ms <= l->time_ms);
    uint32_t ci = ledger__claim_alloc(l);
    c.link = NONE;
    if (pay.len > 0 && v < 5) {
        fee_paid = l->pools[c.pool].fee_cents; /* v4 kept no fee paid */
    }
    c.payref = pay.len > 0
                   ? ledger__payref_alloc(l, pay.p, pay.len,
                                          ledger__pay_method_intern(l, method),
                                          (uint32_t)fee_paid)
                   : NONE;
    c.visit = NONE;
    l->claims[ci] = c;
    if (cv.checked_in_at_ms != 0 || cv.moved_to != 0 || cv.moved_from != 0) {
        *ledger__claim_visit_mut(l, ci) = cv;
    }
    ledger__htab_put(&l->claim_index, c.id, ci);
    *out = ci;
    return SLOT_OK;
}

static int restoreActive(struct ledger *l, struct mp_reader *r, uint32_t *v)
{
    uint32_t n;
    uint64_t last_id = 0;
    RD(mp_read_array(r, &n));
    NEED(n <= LEDGER_CLAIMS_MAX);
    uint32_t room = fitCount(r, n, claimMinBytes(*v));
    ledger__htab_reserve(&l->claim_index, room);
    ledger__htab_reserve(&l->pp_index, room);
    LEDGER_RESERVE(l->claims, l->claims_cap, l->claims_len, room);
    struct claimsAhead ahead = {*r, 0};
    for (uint32_t i = 0; i < n; i++) {
        uint32_t ci;
        claimsAhead(
            l, &ahead,
            i + LEDGER_PREFETCH_AHEAD < n ? i + LEDGER_PREFETCH_AHEAD + 1 : n,
            true);
        int rc = readClaim(l, r, *v, &ci);
        if (rc != SLOT_OK) {
            return rc;
        }
        struct claim *c = &l->claims[ci];
        NEED(c->state == SLOT_CLAIM_HELD || c->state == SLOT_CLAIM_BOOKED);
        NEED(c->id > last_id); /* canonical order, ascending ids */
        last_id = c->id;
        struct pool *p = &l->pools[c->pool];
        NEED(!c->from_share || ledger__share_of(p, c->bucket) >= 0);
        struct bucket *b = ledger__claim_bucket(l, c);
        NEED(b->free > 0);
        b->free--;
        uint64_t pp = (uint64_t)c->pool << 32 | c->patient;
        NEED(ledger__pp_find(l, c->pool, c->patient) == NONE);
        ledger__htab_put(&l->pp_index, pp, ci);
        ledger__pa_add(l, ci);
        if (c->state == SLOT_CLAIM_HELD) {
            b->held++;
            l->n_held++;
            ledger__heap_push(l, ci);
        } else {
            b->booked++;
            l->n_booked++;
        }
    }
    return SLOT_OK;
}

static int restoreRetained(struct ledger *l, struct mp_reader *r, uint32_t *v)
{
    uint32_t n;
    uint64_t last_at = 0;
    RD(mp_read_array(r, &n));
    NEED(n <= LEDGER_CLAIMS_MAX);
    uint32_t room = fitCount(r, n, claimMinBytes(*v));
    ledger__htab_reserve(&l->claim_index, room);
    LEDGER_RESERVE(l->claims, l->claims_cap, l->claims_len, room);
    struct claimsAhead ahead = {*r, 0};
    for (uint32_t i = 0; i < n; i++) {
        uint32_t ci;
        claimsAhead(
            l, &ahead,
            i + LEDGER_PREFETCH_AHEAD < n ? i + LEDGER_PREFETCH_AHEAD + 1 : n,
            false);
        int rc = readClaim(l, r, *v, &ci);
        if (rc != SLOT_OK) {
            return rc;
        }
        const struct claim *c = &l->claims[ci];
        NEED(c->state >= SLOT_CLAIM_RELEASED);
        NEED(c->resolved_at_ms >= last_at); /* FIFO: oldest first */
        last_at = c->resolved_at_ms;
        ledger__retain_push(l, ci);
    }
    return SLOT_OK;
}

static int restoreSession(struct ledger *l, struct mp_reader *r,
                          uint64_t *last_used)
{
    uint64_t id, used_ms, max_seq;
    uint32_t n;
    RD(mp_expect_array(r, SESSION_FIELDS));
    RD(mp_read_uint(r, l->next_session_id - 1, &id));
    RD(mp_read_uint(r, l->time_ms, &used_ms));
    RD(mp_read_u64(r, &max_seq));
    RD(mp_read_array(r, &n));
    NEED(id >= 1 && ledger__session_find(l, id) == NONE);
    NEED(used_ms >= *last_used && n <= SLOT_SESSION_WINDOW);
    *last_used = used_ms;
    uint32_t si = ledger__session_alloc(l, id, used_ms);
    struct session *s = &l->sessions[si];
    s->max_seq = max_seq;
    for (uint32_t i = 0; i < n; i++) {
        struct sres e;
        uint64_t code;
        RD(mp_expect_array(r, SRES_FIELDS));
        RD(mp_read_u64(r, &e.seq));
        RD(mp_read_u64(r, &e.fingerprint));
        RD(mp_read_uint(r, UINT16_MAX, &code));
        RD(mp_read_u64(r, &e.r.a));
        RD(mp_read_u64(r, &e.r.b));
        RD(mp_read_uint(r, l->time_ms, &e.r.time_ms));
        e.r.code = (uint16_t)code;
        NEED(slot_err_name(e.r.code) != NULL);
        NEED(e.seq >= 1 && e.seq <= max_seq);
        NEED(max_seq < SLOT_SESSION_WINDOW ||
             e.seq > max_seq - SLOT_SESSION_WINDOW);
        struct sres *slot = &s->ring[e.seq % SLOT_SESSION_WINDOW];
        NEED(slot->seq == 0);
        *slot = e;
    }
    return SLOT_OK;
}

static int restoreSessions(struct ledger *l, struct mp_reader *r, uint32_t *v)
{
    (void)v;
    uint32_t n;
    uint64_t last_used = 0;
    RD(mp_read_array(r, &n));
    NEED(n <= SLOT_SESSIONS_MAX);
    for (uint32_t i = 0; i < n; i++) {
        int rc = restoreSession(l, r, &last_used);
        if (rc != SLOT_OK) {
            return rc;
        }
    }
    return SLOT_OK;
}

static int restoreIdems(struct ledger *l, struct mp_reader *r, uint32_t *v)
{
    (void)v;
    uint32_t n;
    uint64_t last_at = 0;
    RD(mp_read_array(r, &n));
    NEED(n <= LEDGER_IDEM_MAX + 1);
    ledger__htab_reserve(&l->idem_index,
                         fitCount(r, n, 1 + IDEM_FIELDS)); /* as claims */
    for (uint32_t i = 0; i < n; i++) {
        struct slot_str ch, key;
        struct slot_result res;
        uint64_t fp, code;
        RD(mp_expect_array(r, IDEM_FIELDS));
        RD(mp_read_str(r, SLOT_CHANNEL_MAX, &ch));
        RD(mp_read_str(r, SLOT_IDEM_KEY_MAX, &key));
        RD(mp_read_u64(r, &fp));
        RD(mp_read_uint(r, UINT16_MAX, &code));
        RD(mp_read_u64(r, &res.a));
        RD(mp_read_u64(r, &res.b));
        RD(mp_read_uint(r, l->time_ms, &res.time_ms));
        res.code = (uint16_t)code;
        NEED(slot_valid_channel(ch) == SLOT_OK &&
             slot_valid_idem_key(key) == SLOT_OK);
        NEED(slot_err_name(res.code) != NULL && res.time_ms >= last_at);
        NEED(ledger__idem_find(l, ch, key) == NONE);
        last_at = res.time_ms;
        ledger__idem_add(l, ch, key, fp, &res);
    }
    return SLOT_OK;
}

/* Version 1 never reused a cancelled booking's visit number; version 2
 * keeps every number below next_visit_no either booked or freed. After a
 * version 1 restore, the numbers no BOOKED claim holds are the freed ones
 * (later bookings take them first). */
static int byPoolVisit(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void v1Freed(struct ledger *l)
{
    /* (pool, visit number) of every BOOKED claim, sorted: one walk per
     * pool then finds the gaps. O(claims log claims + numbers). */
    uint64_t *bk = ledger__realloc(NULL, ((size_t)l->n_booked + 1) * 8);
    uint32_t n = 0;
    for (uint32_t ci = 0; ci < l->claims_len; ci++) {
        const struct claim *c = &l->claims[ci];
        if (c->state == SLOT_CLAIM_BOOKED) {
            bk[n++] = (uint64_t)c->pool << 32 | c->visit_no;
        }
    }
    qsort(bk, n, sizeof *bk, byPoolVisit);
    uint32_t k = 0;
    for (uint32_t pi = 0; pi < l->n_pools; pi++) {
        struct pool *p = &l->pools[pi];
        for (uint32_t v = 1; v < p->next_visit_no; v++) {
            if (k < n && bk[k] == ((uint64_t)pi << 32 | v)) {
                k++;
            } else {
                ledger__visit_free(p, v);
            }
        }
    }
    free(bk);
}

static int restorePatientRec(struct ledger *l, struct mp_reader *r,
                             uint64_t *last)
{
    uint64_t pi, acct, v;
    uint32_t n;
    RD(mp_expect_array(r, 5));
    RD(mp_read_uint(r, l->n_patients == 0 ? 0 : l->n_patients - 1, &pi));
    NEED(l->n_patients > 0 && (*last == UINT64_MAX || pi > *last));
    *last = pi;
    RD(mp_read_uint(r, LEDGER_ACCOUNTS_MAX, &acct));
    struct pext *x = ledger__pext(l, (uint32_t)pi);
    x->account = acct == 0 ? NONE : (uint32_t)(acct - 1);
    RD(mp_read_array(r, &n));
    NEED(n <= SLOT_CANCELS_KEPT);
    for (uint32_t i = 0; i < n; i++) {
        RD(mp_read_uint(r, SLOT_TIME_MAX_MS, &x->cancels_ms[i]));
    }
    x->n_cancels = (uint8_t)n;
    RD(mp_read_array(r, &n));
    NEED(n <= SLOT_VIOLATIONS_KEPT);
    for (uint32_t i = 0; i < n; i++) {
        struct pviolation *pv = &x->violations[i];
        RD(mp_expect_array(r, 3));
        RD(mp_read_uint(r, SLOT_TIME_MAX_MS, &pv->at_ms));
        RD(mp_read_uint(r, l->n_hospitals == 0 ? 0 : l->n_hospitals - 1, &v));
        NEED(l->n_hospitals > 0);
        pv->hospital = (uint32_t)v;
        RD(mp_read_uint(r, SLOT_VIOLATION_KIND_MAX, &v));
        NEED(v >= 1);
        pv->kind = (uint8_t)v;
    }
    x->n_violations = (uint8_t)n;
    RD(mp_read_array(r, &n));
    NEED(n <= SLOT_VIOLATIONS_KEPT);
    for (uint32_t i = 0; i < n; i++) {
        struct pstanding *ps = &x->standings[i];
        RD(mp_expect_array(r, 3));
        RD(mp_read_uint(r, l->n_hospitals == 0 ? 0 : l->n_hospitals - 1, &v));
        NEED(l->n_hospitals > 0);
        ps->hospital = (uint32_t)v;
        RD(mp_read_u64(r, &ps->until_ms));
        RD(mp_read_uint(r, 1, &v));
        ps->exception = (uint8_t)v;
        for (uint32_t k = 0; k < i; k++) {
            NEED(x->standings[k].hospital != ps->hospital);
        }
    }
    x->n_standings = (uint8_t)n;
    return SLOT_OK;
}

static int restoreAccount(struct ledger *l, struct mp_reader *r)
{
    struct slot_str key;
    uint32_t n;
    uint64_t v;
    RD(mp_expect_array(r, 3));
    RD(mp_read_str(r, SLOT_PATIENT_KEY_MAX, &key));
    NEED(slot_valid_patient_key(key) == SLOT_OK);
    NEED(ledger__account_find(l, key) == NONE &&
         l->n_accounts < LEDGER_ACCOUNTS_MAX);
    uint32_t ai = ledger__account_add(l, key); /* may move accounts */
    struct account *a = &l->accounts[ai];
    RD(mp_read_array(r, &n));
    NEED(n <= SLOT_ACCOUNT_PATIENTS_MAX);
    for (uint32_t i = 0; i < n; i++) {
        RD(mp_read_uint(r, l->n_patients == 0 ? 0 : l->n_patients - 1, &v));
        NEED(l->n_patients > 0);
        a->patients[i] = (uint32_t)v;
    }
    a->n_patients = (uint8_t)n;
    RD(mp_read_array(r, &n));
    NEED(n <= SLOT_ACCOUNT_CHANGES_KEPT);
    for (uint32_t i = 0; i < n; i++) {
        RD(mp_expect_array(r, 2));
        RD(mp_read_uint(r, SLOT_TIME_MAX_MS, &a->changes[i].at_ms));
        RD(mp_read_uint(r, SLOT_ACCOUNT_PATIENTS_MAX, &v));
        a->changes[i].unbinds = (uint32_t)v;
    }
    a->n_changes = (uint8_t)n;
    return SLOT_OK;
}

static int restoreCool(struct ledger *l, struct mp_reader *r)
{
    struct cool e;
    uint64_t v;
    RD(mp_expect_array(r, 5));
    RD(mp_read_uint(r, SLOT_TIME_MAX_MS + SLOT_COOLDOWN_MAX_MS, &e.due_ms));
    RD(mp_read_u64(r, &e.claim_id));
    RD(mp_read_uint(r, l->n_pools == 0 ? 0 : l->n_pools - 1, &v));
    NEED(l->n_pools > 0);
    e.pool = (uint32_t)v;
    RD(mp_read_uint(r, 1, &v));
    e.from_share = (uint8_t)v;
    RD(mp_read_uint(r, UINT8_MAX, &v));
    e.bucket = (uint8_t)v;
    struct pool *p = &l->pools[e.pool];
    int s = e.from_share ? ledger__share_of(p, e.bucket) : -1;
    NEED(!e.from_share || s >= 0);
    struct bucket *b = e.from_share ? &p->shares[s] : &p->rem;
    NEED(b->free > 0);
    b->free--;
    b->cooling++;
    ledger__cool_restore(l, &e);
    return SLOT_OK;
}

/* An index stored + 1 (0: none) below n, or a plain index (v3). */
static int readIdx(struct mp_reader *r, uint32_t n, bool plus1, uint32_t *out)
{
    uint64_t v;
    RD(mp_read_uint(r, n, &v));
    if (plus1) {
        *out = v == 0 ? NONE : (uint32_t)(v - 1);
        return SLOT_OK;
    }
    NEED(v < n);
    *out = (uint32_t)v;
    return SLOT_OK;
}

static int restoreStaff(struct ledger *l, struct mp_reader *r, uint32_t sv)
{
    uint32_t n;
    uint64_t v;
    RD(mp_read_u64(r, &l->staff_seq));
    RD(mp_read_array(r, &n));
    NEED(n <= LEDGER_STAFF_LOG_MAX);
    uint64_t last = 0;
    for (uint32_t i = 0; i < n; i++) {
        LEDGER_GROW(l->staff, l->staff_cap, i);
        struct staff *e = &l->staff[i];
        memset(e, 0, sizeof *e);
        struct slot_str op, why;
        bool v4 = sv >= 4;
        RD(mp_expect_array(r, v4 ? 9 : 8));
        RD(mp_read_u64(r, &e->seq));
        NEED(e->seq > last && e->seq <= l->staff_seq);
        last = e->seq;
        RD(mp_read_uint(r, SLOT_TIME_MAX_MS, &e->at_ms));
        RD(mp_read_uint(r, v4 ? SLOT_OP_POOL_STOP : SLOT_OP_EXCEPTION, &v));
        NEED((v >= SLOT_OP_VIOLATION && v <= SLOT_OP_EXCEPTION) ||
             v == SLOT_OP_POOL_STOP);
        e->op = (uint8_t)v;
        e->pool = NONE;
        int rc = readIdx(r, l->n_hospitals, v4, &e->hospital);
        if (rc == SLOT_OK) {
            rc = readIdx(r, l->n_patients, v4, &e->patient);
        }
        if (rc != SLOT_OK) {
            return rc;
        }
        /* A stop names a pool and no patient; the others a hospital and
         * a patient. */
        NEED((e->op == SLOT_OP_POOL_STOP) == (e->patient == NONE));
        NEED(e->op == SLOT_OP_POOL_STOP || e->hospital != NONE);
        RD(mp_read_uint(r, SLOT_VIOLATION_KIND_MAX, &v));
        e->kind = (uint8_t)v;
        RD(mp_read_str(r, SLOT_OPERATOR_MAX, &op));
        NEED(slot_valid_operator(op) == SLOT_OK);
        RD(mp_read_str(r, SLOT_REASON_MAX, &why));
        NEED(slot_valid_text(why, SLOT_REASON_MAX) == SLOT_OK);
        memcpy(e->operator_name, op.p, op.len);
        memcpy(e->reason, why.p, why.len);
        if (v4) {
            int rc2 = readIdx(r, l->n_pools, true, &e->pool);
            if (rc2 != SLOT_OK) {
                return rc2;
            }
            NEED((e->op == SLOT_OP_POOL_STOP) == (e->pool != NONE));
        }
    }
    l->staff_len = n;
    l->staff_head = 0;
    return SLOT_OK;
}

static int restoreWaitlist(struct ledger *l, struct mp_reader *r,
                           uint64_t *last)
{
    uint64_t pi, v;
    uint32_t n;
    RD(mp_expect_array(r, 2));
    RD(mp_read_uint(r, l->n_pools == 0 ? 0 : l->n_pools - 1, &pi));
    NEED(l->n_pools > 0 && (*last == UINT64_MAX || pi > *last));
    *last = pi;
    RD(mp_read_array(r, &n));
    NEED(n >= 1 && n <= LEDGER_WAITLIST_MAX);
    struct pool *p = &l->pools[pi];
    p->wait = ledger__realloc(NULL, n * sizeof *p->wait);
    p->wait_cap = n;
    for (uint32_t i = 0; i < n; i++) {
        struct wentry *e = &p->wait[i];
        RD(mp_expect_array(r, 4));
        RD(mp_read_uint(r, SLOT_TIME_MAX_MS, &e->joined_at_ms));
        RD(mp_read_uint(r, l->n_patients == 0 ? 0 : l->n_patients - 1, &v));
        NEED(l->n_patients > 0);
        e->patient = (uint32_t)v;
        RD(mp_read_uint(r, l->n_accounts, &v));
        e->account = v == 0 ? NONE : (uint32_t)(v - 1);
        RD(mp_read_uint(r, l->n_channels == 0 ? 0 : l->n_channels - 1, &v));
        NEED(l->n_channels > 0);
        e->channel = (uint8_t)v;
        p->n_wait = i + 1;
    }
    return SLOT_OK;
}

static int restoreWaits(struct ledger *l, struct mp_reader *r)
{
    uint32_t n;
    uint64_t last = UINT64_MAX, id, last_id = 0;
    RD(mp_read_array(r, &n));
    NEED(n <= l->n_pools);
    for (uint32_t i = 0; i < n; i++) {
        int rc = restoreWaitlist(l, r, &last);
        if (rc != SLOT_OK) {
            return rc;
        }
    }
    RD(mp_read_array(r, &n));
    NEED(n <= l->n_held);
    for (uint32_t i = 0; i < n; i++) {
        RD(mp_read_u64(r, &id));
        NEED(id > last_id);
        last_id = id;
        uint32_t ci = ledger__claim_find(l, id);
        NEED(ci != NONE && l->claims[ci].state == SLOT_CLAIM_HELD);
        ledger__htab_put(&l->offer_index, ci, ci);
    }
    return SLOT_OK;
}

static int restorePatientRules(struct ledger *l, struct mp_reader *r,
                               uint32_t *v)
{
    if (*v < 3) {
        return SLOT_OK; /* the defaults of ledger_create */
    }
    struct slot_config *c = &l->config;
    uint64_t x[7];
    uint32_t n;
    RD(mp_expect_array(r, PATIENTS_FIELDS));
    RD(mp_expect_array(r, 7));
    for (int i = 0; i < 7; i++) {
        RD(mp_read_u64(r, &x[i]));
    }
    NEED(x[0] <= UINT8_MAX && x[1] <= UINT8_MAX && x[2] <= UINT16_MAX &&
         x[3] <= UINT8_MAX && x[4] <= UINT16_MAX);
    c->account_patients_max = (uint8_t)x[0];
    c->account_changes_max = (uint8_t)x[1];
    c->account_change_window_days = (uint16_t)x[2];
    c->account_change_patients_max = (uint8_t)x[3];
    c->patient_active_max = (uint16_t)x[4];
    c->cooldown_key[0] = x[5];
    c->cooldown_key[1] = x[6];
    c->v3 = true;
    NEED(slot_valid_config(c) == SLOT_OK);
    RD(mp_read_array(r, &n));
    NEED(n <= l->n_patients);
    uint64_t last = UINT64_MAX;
    for (uint32_t i = 0; i < n; i++) {
        int rc = restorePatientRec(l, r, &last);
        if (rc != SLOT_OK) {
            return rc;
        }
    }
    RD(mp_read_array(r, &n));
    NEED(n <= LEDGER_ACCOUNTS_MAX);
    for (uint32_t i = 0; i < n; i++) {
        int rc = restoreAccount(l, r);
        if (rc != SLOT_OK) {
            return rc;
        }
    }
    RD(mp_read_array(r, &n));
    NEED(n <= LEDGER_CLAIMS_MAX);
    for (uint32_t i = 0; i < n; i++) {
        int rc = restoreCool(l, r);
        if (rc != SLOT_OK) {
            return rc;
        }
    }
    int rc = restoreStaff(l, r, *v);
    if (rc != SLOT_OK) {
        return rc;
    }
    return restoreWaits(l, r);
}

/* The no-show heap (version 4): pending bookings, each once, sorted. */
static int restoreNoshows(struct ledger *l, struct mp_reader *r, uint32_t *v)
{
    if (*v < 4) {
        return SLOT_OK;
    }
    uint32_t n;
    RD(mp_read_array(r, &n));
    NEED(n <= l->n_booked);
    uint64_t last_due = 0, last_id = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t due, id;
        RD(mp_expect_array(r, 2));
        RD(mp_read_uint(r, SLOT_TIME_MAX_MS, &due));
        RD(mp_read_u64(r, &id));
        NEED(i == 0 || due > last_due || (due == last_due && id > last_id));
        last_due = due;
        last_id = id;
        uint32_t ci = ledger__claim_find(l, id);
        NEED(ci != NONE && l->claims[ci].state == SLOT_CLAIM_BOOKED &&
             l->claims[ci].attendance == SLOT_ATTEND_PENDING &&
             l->claims[ci].link == NONE);
        ledger__noshow_restore(l, due, ci);
    }
    return SLOT_OK;
}

/* The event feed (version 4): consecutive seqs ending at the last, each
 * naming only what exists. */
static int restoreEvents(struct ledger *l, struct mp_reader *r, uint32_t *v)
{
    if (*v < 4) {
        return SLOT_OK;
    }
    uint32_t n;
    RD(mp_expect_array(r, 2));
    RD(mp_read_u64(r, &l->ev_last));
    RD(mp_read_array(r, &n));
    NEED(n <= LEDGER_EVENTS_MAX && n <= l->ev_last);
    ledger__events_reserve(
        l, fitCount(r, n, 1 + (*v == 4 ? EVENT_FIELDS_V4 : EVENT_FIELDS)));
    for (uint32_t i = 0; i < n; i++) {
        struct event e;
        uint64_t type, ch;
        memset(&e, 0, sizeof e);
        RD(mp_expect_array(r, *v == 4 ? EVENT_FIELDS_V4 : EVENT_FIELDS));
        uint64_t seq;
        RD(mp_read_u64(r, &seq));
        NEED(seq == l->ev_last - n + 1 + i);
        RD(mp_read_u64(r, &e.index));
        RD(mp_read_uint(r, l->time_ms, &e.time_ms));
        RD(mp_read_uint(r, SLOT_EV_MAX, &type));
        NEED(type >= 1);
        e.type = (uint8_t)type;
        int rc = readIdx(r, l->n_pools, true, &e.pool);
        if (rc != SLOT_OK) {
            return rc;
        }
        RD(mp_read_uint(r, l->next_claim_id - 1, &e.claim));
        rc = readIdx(r, l->n_patients, true, &e.patient);
        if (rc == SLOT_OK) {
            RD(mp_read_uint(r, l->n_channels, &ch));
            e.channel = ch == 0 ? EV_NO_CHANNEL : (uint8_t)(ch - 1);
            rc = readIdx(r, l->n_accounts, true, &e.account);
        }
        if (rc == SLOT_OK) {
            rc = readIdx(r, l->n_hospitals, true, &e.hospital);
        }
        if (rc != SLOT_OK) {
            return rc;
        }
        RD(mp_read_u64(r, &e.a));
        RD(mp_read_u64(r, &e.b));
        struct slot_str ref = {"", 0}, method = {"", 0};
        e.method = PAY_NONE;
        if (*v >= 5) {
            uint64_t fee, day;
            RD(mp_read_uint(r, SLOT_FEE_MAX_CENTS, &fee));
            RD(mp_read_str(r, SLOT_PAYMENT_REF_MAX, &ref));
            RD(mp_read_str(r, SLOT_PAY_METHOD_MAX, &method));
            RD(mp_read_uint(r, SLOT_LEDGER_DAY_MAX, &day));
            NEED(ref.len == 0 || slot_valid_payment_ref(ref) == SLOT_OK);
            NEED(method.len == 0 || slot_valid_pay_method(method) == SLOT_OK);
            /* Only a claim's event carries a payment, and a method or a
             * fee only with a reference. */
            NEED(ref.len > 0 || (method.len == 0 && fee == 0));
            NEED(ref.len == 0 || e.claim != 0);
            NEED(ledger__pay_method_fits(l, method));
            e.fee_cents = (uint32_t)fee;
            e.local_day = (uint32_t)day;
            e.ref_len = (uint8_t)ref.len;
            e.method = ledger__pay_method_intern(l, method);
        } else {
            int32_t off = e.hospital != NONE
                              ? l->hospitals[e.hospital].rules.utc_offset_min
                              : 0;
            e.local_day = slot_local_day(e.time_ms, off);
        }
        ledger__event_restore(l, &e, seq, ref.p);
    }
    return SLOT_OK;
}

/* The money (version 5): pay methods, reconciliation rows, pool
 * statistics. */
static int restoreMoney(struct ledger *l, struct mp_reader *r, uint32_t *v)
{
    if (*v < 5) {
        return SLOT_OK;
    }
    uint32_t n;
    uint64_t kept;
    RD(mp_expect_array(r, 4));
    RD(mp_read_uint(r, SLOT_LEDGER_DAY_MAX, &kept));
    RD(mp_read_array(r, &n));
    NEED(n <= LEDGER_PAY_METHODS_MAX);
    struct slot_str prev = {"", 0};
    for (uint32_t i = 0; i < n; i++) {
        struct slot_str m;
        RD(mp_read_str(r, SLOT_PAY_METHOD_MAX, &m));
        NEED(slot_valid_pay_method(m) == SLOT_OK);
        NEED(i == 0 || ledger__str_cmp(prev, m) < 0);
        NEED(ledger__pay_method_fits(l, m));
        ledger__pay_method_intern(l, m);
        prev = m;
    }
    /* Every method a claim or an event named is in the list. */
    NEED(l->n_pay_methods == n);
    l->recon_kept_from = (uint32_t)kept;
    RD(mp_read_array(r, &n));
    NEED(n <= LEDGER_RECON_ROWS_MAX);
    bool first = true;
    struct reconKey last = {NULL, {"", 0}};
    struct recon lastv;
    for (uint32_t i = 0; i < n; i++) {
        struct recon x;
        uint64_t day, ch, u[7], cents[4];
        struct slot_str m;
        memset(&x, 0, sizeof x);
        RD(mp_expect_array(r, RECON_FIELDS));
        RD(mp_read_uint(r, SLOT_LEDGER_DAY_MAX, &day));
        int rc = readIdx(r, l->n_hospitals, true, &x.hospital);
        if (rc != SLOT_OK) {
            return rc;
        }
        RD(mp_read_uint(r, UINT8_MAX, &ch));
        RD(mp_read_str(r, SLOT_PAY_METHOD_MAX, &m));
        NEED(day >= kept && ch < l->n_channels);
        uint32_t mi = ledger__pay_method_find(l, m);
        NEED(mi != NONE);
        RD(mp_read_uint(r, UINT32_MAX, &u[0]));
        RD(mp_read_u64(r, &cents[0]));
        RD(mp_read_uint(r, UINT32_MAX, &u[1]));
        RD(mp_read_u64(r, &cents[1]));
        RD(mp_read_uint(r, UINT32_MAX, &u[2]));
        RD(mp_read_uint(r, UINT32_MAX, &u[3]));
        RD(mp_read_u64(r, &cents[2]));
        RD(mp_read_uint(r, UINT32_MAX, &u[4]));
        RD(mp_read_u64(r, &cents[3]));
        RD(mp_read_uint(r, UINT32_MAX, &u[5]));
        RD(mp_read_uint(r, UINT32_MAX, &u[6]));
        x.day = (uint32_t)day;
        x.channel = (uint8_t)ch;
        x.method = (uint8_t)mi;
        /* Canonical order, each key once (ledger__recon_row makes it). */
        struct reconKey key = {&x, m};
        NEED(first || reconOrder(&last, &key) < 0);
        struct recon *row =
            ledger__recon_row(l, x.day, x.hospital, x.channel, x.method);
        NEED(row != NULL);
        row->booked = (uint32_t)u[0];
        row->booked_cents = cents[0];
        row->checkin_paid = (uint32_t)u[1];
        row->checkin_paid_cents = cents[1];
        row->checked_in = (uint32_t)u[2];
        row->cancelled = (uint32_t)u[3];
        row->cancelled_cents = cents[2];
        row->refunded = (uint32_t)u[4];
        row->refunded_cents = cents[3];
        row->moved = (uint32_t)u[5];
        row->no_show = (uint32_t)u[6];
        lastv = x;
        last = (struct reconKey){&lastv, m};
        first = false;
    }
    /* Making rows in order must not have dropped any. */
    NEED(l->n_recons == n && l->recon_kept_from == kept);
    RD(mp_read_array(r, &n));
    NEED(n <= l->n_pools);
    uint64_t last_pi = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t pi, c[6];
        RD(mp_expect_array(r, PSTATS_FIELDS));
        RD(mp_read_uint(r, l->n_pools - 1, &pi));
        NEED((i == 0 || pi > last_pi) && l->pools[pi].place != NULL);
        last_pi = pi;
        for (int k = 0; k < 6; k++) {
            RD(mp_read_uint(r, UINT32_MAX, &c[k]));
        }
        struct pool_stats *st = &l->pools[pi].place->stats;
        *st =
            (struct pool_stats){(uint32_t)c[0], (uint32_t)c[1], (uint32_t)c[2],
                                (uint32_t)c[3], (uint32_t)c[4], (uint32_t)c[5]};
        static const struct pool_stats zero;
        NEED(memcmp(st, &zero, sizeof zero) != 0);
    }
    return SLOT_OK;
}

int ledger_restore(const void *buf, size_t len, struct ledger **out)
{
    int (*const steps[])(struct ledger *, struct mp_reader *, uint32_t *) = {
        restoreHeader,       restoreNames,    restoreHospitals, restorePools,
        restoreActive,       restoreRetained, restoreSessions,  restoreIdems,
        restorePatientRules, restoreNoshows,  restoreEvents,    restoreMoney,
    };
    uint32_t version = 0;
    struct mp_reader r;
    *out = NULL;
    struct ledger *l = ledger_create();
    if (l == NULL) {
        return SLOT_IO;
    }
    mp_reader_init(&r, buf, len);
    int rc = SLOT_OK;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0] && rc == SLOT_OK;
         i++) {
        rc = steps[i](l, &r, &version);
    }
    if (rc == SLOT_OK && !mp_done(&r)) {
        rc = SLOT_MALFORMED;
    }
    if (rc == SLOT_OK && version == 1) {
        v1Freed(l);
    }
    char why[256];
    if (rc == SLOT_OK && !ledger_check(l, why, sizeof why)) {
        rc = SLOT_CORRUPT;
    }
    if (rc != SLOT_OK) {
        ledger_destroy(l);
        return rc;
    }
    *out = l;
    return SLOT_OK;
}
