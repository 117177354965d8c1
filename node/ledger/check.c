/* check: ledger_check, every invariant of ledger.h verified from scratch
 * in O(state). Called after restore, by tests after every apply, and by
 * slotd in debug builds. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledgerInt.h"

/* ---- invariant check ----------------------------------------------------- */

#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            snprintf(why, why_len, __VA_ARGS__);                               \
            return false;                                                      \
        }                                                                      \
    } while (0)

static const char *poolName(const struct ledger *l, uint32_t pi,
                            char buf[SLOT_POOL_ID_MAX + 1])
{
    memcpy(buf, l->pools[pi].id, l->pools[pi].id_len);
    buf[l->pools[pi].id_len] = '\0';
    return buf;
}

static bool checkBuckets(const struct ledger *l, char *why, size_t why_len)
{
    /* Recount every bucket from the claims, then compare. */
    /* Per bucket: held, booked, cooling. */
    uint32_t *cnt = calloc(
        (size_t)l->n_pools * (SLOT_POOL_SHARES_MAX + 1) * 3 + 1, sizeof *cnt);
    CHECK(cnt != NULL, "out of memory");
    bool ok = true;
    char name[SLOT_POOL_ID_MAX + 1];
    for (uint32_t ci = 0; ci < l->claims_len && ok; ci++) {
        const struct claim *c = &l->claims[ci];
        if (c->state != SLOT_CLAIM_HELD && c->state != SLOT_CLAIM_BOOKED) {
            continue;
        }
        int s = c->from_share ? ledger__share_of(&l->pools[c->pool], c->bucket)
                              : SLOT_POOL_SHARES_MAX;
        if (s < 0) {
            snprintf(why, why_len,
                     "pool %s: claim %llu counted in a share "
                     "its pool does not have",
                     poolName(l, c->pool, name), (unsigned long long)c->id);
            ok = false;
            break;
        }
        size_t k =
            ((size_t)c->pool * (SLOT_POOL_SHARES_MAX + 1) + (size_t)s) * 3;
        cnt[k + (c->state == SLOT_CLAIM_BOOKED)]++;
    }
    for (uint32_t i = 0; i < l->n_cools && ok; i++) {
        const struct cool *e = &l->cools[i];
        int s = e->pool >= l->n_pools ? -1
                : e->from_share
                    ? ledger__share_of(&l->pools[e->pool], e->bucket)
                    : SLOT_POOL_SHARES_MAX;
        if (s < 0) {
            snprintf(why, why_len, "cooling slot of claim %llu: no such bucket",
                     (unsigned long long)e->claim_id);
            ok = false;
            break;
        }
        cnt[((size_t)e->pool * (SLOT_POOL_SHARES_MAX + 1) + (size_t)s) * 3 +
            2]++;
    }
    for (uint32_t pi = 0; pi < l->n_pools && ok; pi++) {
        const struct pool *p = &l->pools[pi];
        uint32_t total = 0, spec = 0;
        for (int s = 0; s <= SLOT_POOL_SHARES_MAX && ok; s++) {
            if (s < SLOT_POOL_SHARES_MAX && s >= p->n_shares) {
                continue;
            }
            const struct bucket *b =
                s < SLOT_POOL_SHARES_MAX ? &p->shares[s] : &p->rem;
            size_t k =
                ((size_t)pi * (SLOT_POOL_SHARES_MAX + 1) + (size_t)s) * 3;
            total += b->capacity;
            spec += b->spec;
            if ((uint64_t)b->free + b->held + b->booked + b->cooling !=
                    b->capacity ||
                b->held != cnt[k] || b->booked != cnt[k + 1] ||
                b->cooling != cnt[k + 2]) {
                snprintf(why, why_len,
                         "pool %s bucket %d: free %u + held %u + booked %u + "
                         "cooling %u vs capacity %u; claims held %u booked "
                         "%u, cooling entries %u",
                         poolName(l, pi, name), s, b->free, b->held, b->booked,
                         b->cooling, b->capacity, cnt[k], cnt[k + 1],
                         cnt[k + 2]);
                ok = false;
            }
            if (s < p->n_shares && ok &&
                (p->shares[s].channel >= l->n_channels ||
                 ledger__share_of(p, p->shares[s].channel) != s)) {
                snprintf(why, why_len,
                         "pool %s: share %d channel invalid or "
                         "repeated",
                         poolName(l, pi, name), s);
                ok = false;
            }
        }
        if (ok && (total != p->capacity || spec != p->capacity)) {
            snprintf(why, why_len,
                     "pool %s: buckets sum to %u (spec %u), capacity %u",
                     poolName(l, pi, name), total, spec, p->capacity);
            ok = false;
        }
        /* Only a flow-back moves capacity off the spec. */
        bool moved = false;
        for (int s = 0; s < p->n_shares; s++) {
            moved |= p->shares[s].capacity != p->shares[s].spec;
        }
        if (ok && moved && (p->place == NULL || !p->place->flowed)) {
            snprintf(why, why_len, "pool %s: capacity moved without flow-back",
                     poolName(l, pi, name));
            ok = false;
        }
    }
    free(cnt);
    return ok;
}

static bool checkClaims(const struct ledger *l, char *why, size_t why_len)
{
    uint32_t held = 0, booked = 0, freed = 0, resolved = 0, noshows = 0;
    char name[SLOT_POOL_ID_MAX + 1];
    for (uint32_t ci = 0; ci < l->claims_len; ci++) {
        const struct claim *c = &l->claims[ci];
        if (ci + LEDGER_PREFETCH_AHEAD < l->claims_len) {
            /* The claims are in slab order, their positions in the tables
             * anywhere: load those a few claims ahead (htab.c). */
            const struct claim *a = c + LEDGER_PREFETCH_AHEAD;
            ledger__htab_prefetch(&l->claim_index, a->id);
            ledger__htab_prefetch(&l->pp_index,
                                  (uint64_t)a->pool << 32 | a->patient);
        }
        if (c->state == 0) {
            freed++;
            continue;
        }
        CHECK(ledger__claim_find(l, c->id) == ci,
              "claim %llu not indexed by its id", (unsigned long long)c->id);
        CHECK(c->id < l->next_claim_id, "claim id %llu from the future",
              (unsigned long long)c->id);
        CHECK(c->visit_no < l->pools[c->pool].next_visit_no,
              "pool %s: visit number %u not below next %u",
              poolName(l, c->pool, name), c->visit_no,
              l->pools[c->pool].next_visit_no);
        CHECK(c->channel < l->n_channels && c->bucket < l->n_channels,
              "claim %llu: channel or bucket out of range",
              (unsigned long long)c->id);
        bool active =
            c->state == SLOT_CLAIM_HELD || c->state == SLOT_CLAIM_BOOKED;
        CHECK(active == (ledger__pp_find(l, c->pool, c->patient) == ci),
              "pool %s: claim %llu and the (pool, patient) index disagree",
              poolName(l, c->pool, name), (unsigned long long)c->id);
        if (c->state == SLOT_CLAIM_HELD) {
            held++;
            CHECK(c->link < l->heap_len && l->heap[c->link] == ci,
                  "pool %s: held claim %llu not in the expiry heap",
                  poolName(l, c->pool, name), (unsigned long long)c->id);
        } else if (c->state == SLOT_CLAIM_BOOKED) {
            booked++;
            CHECK(c->link == NONE ||
                      (c->link < l->nsheap_len && l->nsheap[c->link].ci == ci &&
                       c->attendance == SLOT_ATTEND_PENDING),
                  "pool %s: booking %llu and the no-show heap disagree",
                  poolName(l, c->pool, name), (unsigned long long)c->id);
            noshows += c->link != NONE;
        } else {
            resolved++;
        }
        bool confirmed = ledger__state_confirmed(c->state);
        CHECK(c->visit == NONE || c->visit < l->cvisits_len,
              "claim %llu: visit-day record out of range",
              (unsigned long long)c->id);
        struct cvisit cv = ledger__claim_visit(l, c);
        CHECK((confirmed || (c->attendance == 0 && cv.moved_from == 0)) &&
                  (cv.checked_in_at_ms == 0 ||
                   c->attendance == SLOT_ATTEND_CHECKED_IN) &&
                  (c->state == SLOT_CLAIM_MOVED) == (cv.moved_to != 0) &&
                  (!c->refunded || c->state == SLOT_CLAIM_CANCELLED),
              "claim %llu: visit-day fields impossible in its state",
              (unsigned long long)c->id);
    }
    CHECK(noshows == l->nsheap_len, "no-show heap holds %u, %u bookings in it",
          l->nsheap_len, noshows);
    for (uint32_t pos = 1; pos < l->nsheap_len; pos++) {
        const struct noshow *e = &l->nsheap[pos];
        const struct noshow *up = &l->nsheap[(pos - 1) / 2];
        CHECK(up->due_ms < e->due_ms ||
                  (up->due_ms == e->due_ms &&
                   l->claims[up->ci].id < l->claims[e->ci].id),
              "no-show heap out of order at %u", pos);
    }
    CHECK(held == l->n_held && booked == l->n_booked &&
              resolved == l->n_retained && held == l->heap_len,
          "claim counts: held %u/%u (heap %u), booked %u/%u, retained %u/%u",
          held, l->n_held, l->heap_len, booked, l->n_booked, resolved,
          l->n_retained);
    CHECK(l->claim_index.count == held + booked + resolved &&
              l->pp_index.count == held + booked &&
              held + booked + resolved + freed == l->claims_len,
          "claim index sizes disagree with the records");
    for (uint32_t pos = 1; pos < l->heap_len; pos++) {
        const struct claim *c = &l->claims[l->heap[pos]];
        const struct claim *parent = &l->claims[l->heap[(pos - 1) / 2]];
        CHECK(parent->deadline_ms < c->deadline_ms ||
                  (parent->deadline_ms == c->deadline_ms && parent->id < c->id),
              "expiry heap out of order at %u", pos);
    }
    uint32_t n = 0;
    uint64_t last = 0;
    for (uint32_t ci = l->ret_head; ci != NONE; ci = l->claims[ci].link) {
        const struct claim *c = &l->claims[ci];
        CHECK(n < l->n_retained && c->state >= SLOT_CLAIM_RELEASED &&
                  c->resolved_at_ms >= last && c->resolved_at_ms <= l->time_ms,
              "retained list broken at claim %llu", (unsigned long long)c->id);
        last = c->resolved_at_ms;
        n++;
    }
    CHECK(n == l->n_retained, "retained list holds %u, counted %u", n,
          l->n_retained);
    return true;
}

/* The seen table's values index its keys (a table keeps only tags). */
static bool seenIs(const void *ctx, uint32_t v)
{
    const uint64_t *const *k = ctx;
    return k[0][v] == *k[1];
}

/* Whether key is in the seen table; if not, it goes in. */
static bool seenPut(struct htab *seen, uint64_t *keys, uint32_t *n,
                    uint64_t key)
{
    const uint64_t *k[2] = {keys, &key};
    if (ledger__htab_find(seen, key, seenIs, k) != NONE) {
        return true;
    }
    keys[*n] = key;
    ledger__htab_put(seen, key, (*n)++);
    return false;
}

/* The visit numbers of each pool's BOOKED claims are distinct, and with
 * the pool's freed numbers they are exactly 1 .. next_visit_no - 1. */
static bool checkVisitNumbers(const struct ledger *l, char *why, size_t why_len)
{
    struct htab seen;
    memset(&seen, 0, sizeof seen);
    bool ok = true;
    char name[SLOT_POOL_ID_MAX + 1];
    uint32_t *booked = calloc((size_t)l->n_pools + 1, sizeof *booked);
    CHECK(booked != NULL, "out of memory");
    size_t n_freed = 0;
    for (uint32_t pi = 0; pi < l->n_pools; pi++) {
        n_freed += l->pools[pi].n_freed;
    }
    uint32_t n_keys = 0;
    /* Every claim bounds the bookings, whatever the counters say. */
    uint64_t *keys =
        malloc(((size_t)l->claims_len + n_freed + 1) * sizeof *keys);
    if (keys == NULL) {
        free(booked);
    }
    CHECK(keys != NULL, "out of memory");
    /* Sized once for the bookings (the freed numbers are few): no doubling
     * and no page faults while it fills. */
    ledger__htab_reserve(&seen, l->n_booked);
    for (uint32_t ci = 0; ci < l->claims_len && ok; ci++) {
        const struct claim *c = &l->claims[ci];
        if (ci + LEDGER_PREFETCH_AHEAD < l->claims_len) {
            const struct claim *a = c + LEDGER_PREFETCH_AHEAD;
            ledger__htab_prefetch(&seen, (uint64_t)a->pool << 32 | a->visit_no);
        }
        if (c->state != SLOT_CLAIM_BOOKED) {
            continue;
        }
        uint64_t key = (uint64_t)c->pool << 32 | c->visit_no;
        if (c->visit_no == 0 || seenPut(&seen, keys, &n_keys, key)) {
            snprintf(why, why_len, "pool %s: visit number %u given twice",
                     poolName(l, c->pool, name), c->visit_no);
            ok = false;
        } else {
            booked[c->pool]++;
        }
    }
    for (uint32_t pi = 0; pi < l->n_pools && ok; pi++) {
        const struct pool *p = &l->pools[pi];
        for (uint32_t i = 0; i < p->n_freed && ok; i++) {
            uint32_t v = p->freed[i];
            uint64_t key = (uint64_t)pi << 32 | v;
            bool heap = i == 0 || p->freed[(i - 1) / 2] < v;
            if (v == 0 || v >= p->next_visit_no || !heap ||
                seenPut(&seen, keys, &n_keys, key)) {
                snprintf(why, why_len,
                         "pool %s: freed visit number %u booked, repeated or "
                         "out of order",
                         poolName(l, pi, name), v);
                ok = false;
            }
        }
        if (ok && booked[pi] + p->n_freed != p->next_visit_no - 1) {
            snprintf(why, why_len,
                     "pool %s: %u booked + %u freed numbers, next is %u",
                     poolName(l, pi, name), booked[pi], p->n_freed,
                     p->next_visit_no);
            ok = false;
        }
    }
    free(booked);
    free(keys);
    ledger__htab_free(&seen);
    return ok;
}

/* Hospitals, their day indexes and the flow-back heap against the pools. */
static bool checkSchedules(const struct ledger *l, char *why, size_t why_len)
{
    char name[SLOT_POOL_ID_MAX + 1];
    uint32_t placed = 0, due = 0;
    CHECK(l->name_index.count == l->n_names, "names index size");
    for (uint32_t ni = 0; ni < l->n_names; ni++) {
        CHECK(ledger__name_find(l, ledger__name_str(l, ni)) == ni,
              "name %u not found by its text", ni);
    }
    for (uint32_t pi = 0; pi < l->n_pools; pi++) {
        const struct place *pl = l->pools[pi].place;
        if (pl == NULL) {
            continue;
        }
        placed++;
        CHECK(pl->hospital < l->n_hospitals && pl->department != NONE &&
                  pl->department < l->n_names &&
                  (pl->campus == NONE || pl->campus < l->n_names) &&
                  (pl->doctor == NONE || pl->doctor < l->n_names),
              "pool %s: place names out of range", poolName(l, pi, name));
        CHECK(pl->flow_due_ms == ledger__flow_due(l, pi),
              "pool %s: flow-back due %llu, rules say %llu",
              poolName(l, pi, name), (unsigned long long)pl->flow_due_ms,
              (unsigned long long)ledger__flow_due(l, pi));
        bool in_heap = pl->flow_due_ms != UINT64_MAX;
        due += in_heap;
        CHECK(in_heap ? pl->flow_pos < l->flowheap_len &&
                            l->flowheap[pl->flow_pos] == pi
                      : pl->flow_pos == NONE,
              "pool %s: flow-back heap position wrong", poolName(l, pi, name));
        const struct hospital *h = &l->hospitals[pl->hospital];
        uint32_t found = 0;
        for (uint32_t d = 0; d < h->n_days; d++) {
            for (uint32_t k = 0; k < h->days[d].n; k++) {
                if (h->days[d].pools[k] == pi) {
                    found += h->days[d].day == pl->visit_day ? 1 : 100;
                }
            }
        }
        CHECK(found == 1, "pool %s: in its hospital's day index %u times",
              poolName(l, pi, name), found);
    }
    CHECK(due == l->flowheap_len, "flow-back heap holds %u, %u are due",
          l->flowheap_len, due);
    for (uint32_t pos = 1; pos < l->flowheap_len; pos++) {
        uint32_t a = l->flowheap[(pos - 1) / 2], b = l->flowheap[pos];
        uint64_t da = l->pools[a].place->flow_due_ms;
        uint64_t db = l->pools[b].place->flow_due_ms;
        CHECK(da < db || (da == db && a < b), "flow-back heap out of order");
    }
    uint32_t indexed = 0;
    for (uint32_t hi = 0; hi < l->n_hospitals; hi++) {
        const struct hospital *h = &l->hospitals[hi];
        uint32_t n = 0;
        for (uint32_t d = 0; d < h->n_days; d++) {
            CHECK(h->days[d].n > 0 &&
                      (d == 0 || h->days[d - 1].day < h->days[d].day),
                  "hospital %s: day index out of order", h->id);
            for (uint32_t k = 1; k < h->days[d].n; k++) {
                CHECK(ledger__query_cmp(l, h->days[d].pools[k - 1],
                                        h->days[d].pools[k]) < 0,
                      "hospital %s: day %u not in query order", h->id,
                      h->days[d].day);
            }
            n += h->days[d].n;
        }
        CHECK(n == h->n_pools, "hospital %s: %u pools indexed, %u counted",
              h->id, n, h->n_pools);
        indexed += n;
        CHECK(h->n_overrides <= LEDGER_OVERRIDES_MAX &&
                  h->log_len <= LEDGER_RULES_LOG_MAX &&
                  h->rules_version <= h->version,
              "hospital %s: overrides, log or versions out of bounds", h->id);
        for (uint32_t k = 0; k < h->n_overrides; k++) {
            CHECK(h->overrides[k].rules.utc_offset_min ==
                      h->rules.utc_offset_min,
                  "hospital %s: a department with another UTC offset", h->id);
        }
    }
    CHECK(indexed == placed, "day indexes hold %u pools, %u are scheduled",
          indexed, placed);
    return true;
}

static bool checkIndexes(const struct ledger *l, char *why, size_t why_len)
{
    char name[SLOT_POOL_ID_MAX + 1];
    CHECK(l->pool_index.count == l->n_pools, "pool index size");
    for (uint32_t pi = 0; pi < l->n_pools; pi++) {
        const struct pool *p = &l->pools[pi];
        CHECK(ledger__pool_find(l, p->id, p->id_len) == pi,
              "pool %s not found by its id", poolName(l, pi, name));
    }
    CHECK(l->patient_index.count == l->n_patients, "patient index size");
    for (uint32_t pi = 0; pi < l->n_patients; pi++) {
        const struct patient *p = &l->patients[pi];
        if (pi + LEDGER_PREFETCH_AHEAD < l->n_patients) {
            const struct patient *a = p + LEDGER_PREFETCH_AHEAD;
            ledger__htab_prefetch(
                &l->patient_index,
                slot_hash64(l->pkeys + a->key_off, a->key_len, 0));
        }
        CHECK(ledger__patient_find(l, l->pkeys + p->key_off, p->key_len) == pi,
              "patient %u not found by its key", pi);
    }
    uint32_t n = 0;
    uint64_t last = 0;
    for (uint32_t si = l->lru_head; si != NONE; si = l->sessions[si].next) {
        const struct session *s = &l->sessions[si];
        CHECK(n < l->n_sessions && s->id != 0 && s->id < l->next_session_id &&
                  ledger__session_find(l, s->id) == si &&
                  s->last_used_ms >= last && s->last_used_ms <= l->time_ms,
              "session list broken at session %llu", (unsigned long long)s->id);
        last = s->last_used_ms;
        n++;
    }
    CHECK(n == l->n_sessions && l->session_index.count == n,
          "session list holds %u, counted %u", n, l->n_sessions);
    n = 0;
    last = 0;
    for (uint32_t ii = l->idem_head; ii != NONE; ii = l->idems[ii].link) {
        const struct idem *e = &l->idems[ii];
        struct slot_str ch = {e->channel, e->channel_len};
        struct slot_str key = {e->key, e->key_len};
        CHECK(n < l->n_idems && e->r.time_ms >= last &&
                  e->r.time_ms <= l->time_ms &&
                  ledger__idem_find(l, ch, key) == ii,
              "idempotency key list broken at entry %u", n);
        last = e->r.time_ms;
        n++;
    }
    CHECK(n == l->n_idems && l->idem_index.count == n,
          "idempotency keys: list holds %u, counted %u", n, l->n_idems);
    return true;
}

/* Each patient's claim list links back and forth, holds only active claims
 * of that patient, and ends; the lists hold *listed claims in all. */
static bool checkClaimLists(const struct ledger *l, uint32_t *listed, char *why,
                            size_t why_len)
{
    *listed = 0;
    for (uint32_t pi = 0; pi < l->n_patients; pi++) {
        uint32_t prev = NONE, steps = 0;
        for (uint32_t ci = l->patients[pi].pa_head; ci != NONE;
             ci = l->claims[ci].pa_next) {
            CHECK(ci < l->claims_len && steps++ < l->claims_len,
                  "patient %u: claim list leaves the slab or loops", pi);
            const struct claim *c = &l->claims[ci];
            CHECK((c->state == SLOT_CLAIM_HELD ||
                   c->state == SLOT_CLAIM_BOOKED) &&
                      c->patient == pi && c->pa_prev == prev,
                  "patient %u: claim %llu does not belong in its list", pi,
                  (unsigned long long)c->id);
            prev = ci;
            (*listed)++;
        }
    }
    return true;
}

/* Accounts and patient records point at each other; the patients' claim
 * lists hold exactly the active claims; the staff log names valid
 * hospitals and patients in increasing order. */
static bool checkPatientRules(const struct ledger *l, char *why, size_t why_len)
{
    uint32_t bound = 0, records = 0;
    for (uint32_t pi = 0; pi < l->n_patients; pi++) {
        uint32_t xi = l->patients[pi].ext;
        if (xi == NONE) {
            continue;
        }
        CHECK(xi < l->n_pexts, "patient %u: record %u out of range", pi, xi);
        records++;
        const struct pext *x = &l->pexts[xi];
        if (x->account != NONE) {
            CHECK(x->account < l->n_accounts, "patient %u: account invalid",
                  pi);
            const struct account *a = &l->accounts[x->account];
            bool listed = false;
            for (uint8_t i = 0; i < a->n_patients; i++) {
                listed = listed || a->patients[i] == pi;
            }
            CHECK(listed, "patient %u: its account does not list it", pi);
            bound++;
        }
        for (uint8_t i = 0; i < x->n_violations; i++) {
            CHECK(x->violations[i].hospital < l->n_hospitals,
                  "patient %u: violation at an unknown hospital", pi);
        }
        for (uint8_t i = 0; i < x->n_standings; i++) {
            CHECK(x->standings[i].hospital < l->n_hospitals,
                  "patient %u: standing at an unknown hospital", pi);
        }
    }
    CHECK(records == l->n_pexts, "%u patient records, %u referenced",
          l->n_pexts, records);
    uint32_t listed = 0;
    for (uint32_t ai = 0; ai < l->n_accounts; ai++) {
        const struct account *a = &l->accounts[ai];
        CHECK(a->n_patients <= SLOT_ACCOUNT_PATIENTS_MAX &&
                  a->n_changes <= SLOT_ACCOUNT_CHANGES_KEPT,
              "account %u: lists too long", ai);
        for (uint8_t i = 0; i < a->n_patients; i++) {
            uint32_t pi = a->patients[i];
            CHECK(pi < l->n_patients && l->patients[pi].ext != NONE &&
                      l->pexts[l->patients[pi].ext].account == ai,
                  "account %u: patient %u does not name it", ai, pi);
        }
        listed += a->n_patients;
    }
    CHECK(listed == bound, "accounts list %u patients, %u are bound", listed,
          bound);
    /* Every listed claim is active and in its own patient's list, once
     * (the lists end and link back): as many listed as active means every
     * active claim is listed. */
    uint32_t active = 0, in_lists;
    for (uint32_t ci = 0; ci < l->claims_len; ci++) {
        const struct claim *c = &l->claims[ci];
        active += c->state == SLOT_CLAIM_HELD || c->state == SLOT_CLAIM_BOOKED;
    }
    if (!checkClaimLists(l, &in_lists, why, why_len)) {
        return false;
    }
    CHECK(in_lists == active,
          "the patients' claim lists hold %u, %u claims are active", in_lists,
          active);
    uint32_t offers = 0;
    for (uint32_t ci = 0; ci < l->claims_len; ci++) {
        offers +=
            l->claims[ci].state == SLOT_CLAIM_HELD && ledger__offer_has(l, ci);
    }
    CHECK(offers == l->offer_index.count,
          "%u offers indexed, %u of them HELD claims", l->offer_index.count,
          offers);
    for (uint32_t pi = 0; pi < l->n_pools; pi++) {
        const struct pool *p = &l->pools[pi];
        CHECK(p->n_wait <= LEDGER_WAITLIST_MAX &&
                  (!p->stopped || p->n_wait == 0),
              "pool %u: waitlist too long, or a stopped pool's not empty", pi);
        for (uint32_t i = 0; i < p->n_wait; i++) {
            const struct wentry *e = &p->wait[i];
            CHECK(e->patient < l->n_patients && e->channel < l->n_channels &&
                      (e->account == NONE || e->account < l->n_accounts),
                  "pool %u: waitlist entry %u invalid", pi, i);
            for (uint32_t k = 0; k < i; k++) {
                CHECK(p->wait[k].patient != e->patient,
                      "pool %u: a patient waits twice", pi);
            }
        }
    }
    uint64_t last = 0;
    for (uint32_t i = 0; i < l->staff_len; i++) {
        const struct staff *e =
            &l->staff[(l->staff_head + i) % LEDGER_STAFF_LOG_MAX];
        bool stop = e->op == SLOT_OP_POOL_STOP;
        CHECK(e->seq > last && e->seq <= l->staff_seq &&
                  (e->hospital < l->n_hospitals ||
                   (stop && e->hospital == NONE)) &&
                  (stop ? e->patient == NONE && e->pool < l->n_pools
                        : e->patient < l->n_patients && e->pool == NONE),
              "staff log entry %u invalid", i);
        last = e->seq;
    }
    return true;
}

/* The feed: consecutive seqs up to the last, time never going back, names
 * in range. */
static bool checkEvents(const struct ledger *l, char *why, size_t why_len)
{
    CHECK(l->ev_len <= l->ev_cap && l->ev_len <= LEDGER_EVENTS_MAX &&
              l->ev_len <= l->ev_last,
          "event window holds %u of %llu", l->ev_len,
          (unsigned long long)l->ev_last);
    uint64_t t = 0;
    /* The references' bytes: each event's right after the previous one's,
     * from the ring's tail, using all of it. */
    uint32_t pos = l->evref_tail, bytes = 0;
    /* The runs: ascending, none empty, the first holding the oldest
     * event (feed.c). */
    uint64_t first = l->ev_last - l->ev_len + 1;
    CHECK((l->evrun_len == 0) == (l->ev_len == 0) &&
              l->evrun_len <= l->ev_len && l->evrun_len <= l->evrun_cap,
          "event window: %u runs for %u events", l->evrun_len, l->ev_len);
    for (uint32_t k = 0; k < l->evrun_len; k++) {
        const struct evrun *r =
            &l->evruns[(l->evrun_head + k) & (l->evrun_cap - 1)];
        const struct evrun *q =
            k + 1 < l->evrun_len
                ? &l->evruns[(l->evrun_head + k + 1) & (l->evrun_cap - 1)]
                : NULL;
        CHECK(r->first_seq <= l->ev_last && (k > 0 || r->first_seq <= first) &&
                  (q == NULL ||
                   (q->first_seq > r->first_seq && q->first_seq > first &&
                    (q->index != r->index || q->time_ms != r->time_ms))),
              "event run %u out of place", k);
    }
    struct evwalk w;
    struct event ev;
    ledger__events_walk(l, 0, &w);
    for (uint32_t i = 0; ledger__events_next(l, &w, &ev); i++) {
        const struct event *e = &ev;
        unsigned long long seq = first + i;
        CHECK(e->ref_len == 0 || (e->ref_pos == pos && e->claim != 0),
              "event %llu's reference is out of place", seq);
        CHECK(e->ref_len > 0 || (e->fee_cents == 0 && e->method == PAY_NONE),
              "event %llu has a payment without a reference", seq);
        CHECK(e->method == PAY_NONE || e->method < l->n_pay_methods,
              "event %llu's pay method", seq);
        pos += e->ref_len;
        bytes += e->ref_len;
        CHECK(e->time_ms >= t && e->time_ms <= l->time_ms && e->type >= 1 &&
                  e->type <= SLOT_EV_MAX &&
                  (e->pool == NONE || e->pool < l->n_pools) &&
                  (e->patient == NONE || e->patient < l->n_patients) &&
                  (e->channel == EV_NO_CHANNEL || e->channel < l->n_channels) &&
                  (e->account == NONE || e->account < l->n_accounts) &&
                  (e->hospital == NONE || e->hospital < l->n_hospitals) &&
                  e->claim < l->next_claim_id,
              "event %llu invalid", seq);
        t = e->time_ms;
    }
    CHECK(bytes == l->evref_used && l->evref_used <= l->evref_cap,
          "event references use %u bytes, the ring says %u", bytes,
          l->evref_used);
    return true;
}

/* The money: rows sorted and unique, none older than kept_from, names in
 * range; payments' methods known. */
static bool checkMoney(const struct ledger *l, char *why, size_t why_len)
{
    CHECK(l->n_pay_methods <= LEDGER_PAY_METHODS_MAX &&
              l->n_recons <= LEDGER_RECON_ROWS_MAX,
          "money tables: %u methods, %u rows", l->n_pay_methods, l->n_recons);
    for (uint32_t i = 0; i < l->n_recons; i++) {
        const struct recon *r = &l->recons[i];
        CHECK(r->day >= l->recon_kept_from &&
                  (r->hospital == NONE || r->hospital < l->n_hospitals) &&
                  r->channel < l->n_channels &&
                  (r->method == PAY_NONE || r->method < l->n_pay_methods),
              "reconciliation row %u invalid", i);
        if (i > 0) {
            const struct recon *p = &l->recons[i - 1];
            bool less = p->day != r->day             ? p->day < r->day
                        : p->hospital != r->hospital ? p->hospital < r->hospital
                        : p->channel != r->channel   ? p->channel < r->channel
                                                     : p->method < r->method;
            CHECK(less, "reconciliation rows %u, %u out of order", i - 1, i);
        }
    }
    for (uint32_t ci = 0; ci < l->claims_len; ci++) {
        const struct claim *c = &l->claims[ci];
        if (c->state == 0 || c->payref == NONE) {
            continue;
        }
        uint32_t k = c->payref >> LEDGER_PAY_CLASS_SHIFT;
        uint32_t i = c->payref & ((1u << LEDGER_PAY_CLASS_SHIFT) - 1);
        CHECK(k < LEDGER_PAY_CLASSES && i < l->payslabs[k].len,
              "claim %llu's payment record out of range",
              (unsigned long long)c->id);
        struct payref pr = ledger__payref(l, c->payref);
        CHECK(pr.len > 0 && pr.len <= SLOT_PAYMENT_REF_MAX &&
                  LEDGER_PAY_HEAD_BYTES + pr.len <= LEDGER_PAY_REC_BYTES(k) &&
                  (pr.method == PAY_NONE || pr.method < l->n_pay_methods) &&
                  pr.fee_cents <= SLOT_FEE_MAX_CENTS,
              "claim %llu's payment invalid", (unsigned long long)c->id);
    }
    return true;
}

bool ledger_check(const struct ledger *l, char *why, size_t why_len)
{
    return checkIndexes(l, why, why_len) && checkBuckets(l, why, why_len) &&
           checkClaims(l, why, why_len) && checkVisitNumbers(l, why, why_len) &&
           checkSchedules(l, why, why_len) &&
           checkPatientRules(l, why, why_len) && checkEvents(l, why, why_len) &&
           checkMoney(l, why, why_len);
}
