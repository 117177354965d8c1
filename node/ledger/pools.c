/* pools: POOL_CREATE, POOL_UPDATE, POOL_CLOSE (ledger.h, "Exact rules"),
 * and the pieces SCHEDULE_IMPORT shares with them: checking that a spec
 * fits the tables, and inserting a pool. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledgerInt.h"

/* Every channel-namespace name a spec interns, in interning order: shares,
 * then eligible, then remainder_allow. */
static uint32_t specChannelNames(const struct slot_pool_spec *sp,
                                 struct slot_str out[3 * SLOT_POOL_SHARES_MAX])
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < sp->n_shares; i++) {
        out[n++] = sp->shares[i].channel;
    }
    if (sp->has_sched) {
        for (uint32_t i = 0; i < sp->sched.n_eligible; i++) {
            out[n++] = sp->sched.eligible[i];
        }
        for (uint32_t i = 0; i < sp->sched.n_rem_allow; i++) {
            out[n++] = sp->sched.rem_allow[i];
        }
    }
    return n;
}

static bool seen(const struct slot_str *names, uint32_t n, struct slot_str s)
{
    for (uint32_t i = 0; i < n; i++) {
        if (names[i].len == s.len && memcmp(names[i].p, s.p, s.len) == 0) {
            return true;
        }
    }
    return false;
}

/* New channel-namespace names and schedule names a spec would intern,
 * counted once each; *extra_channels / *extra_names add to earlier specs
 * of the same command (SCHEDULE_IMPORT checks all its pools first). */
int ledger__spec_fits(const struct ledger *l, const struct slot_pool_spec *sp,
                      uint32_t *extra_channels, uint32_t *extra_names)
{
    struct slot_str names[3 * SLOT_POOL_SHARES_MAX];
    uint32_t n = specChannelNames(sp, names);
    for (uint32_t i = 0; i < n; i++) {
        if (ledger__channel_find(l, names[i].p, names[i].len) == NONE &&
            !seen(names, i, names[i])) {
            (*extra_channels)++;
        }
    }
    if (sp->has_sched) {
        struct slot_str place[3] = {sp->sched.campus, sp->sched.department,
                                    sp->sched.doctor};
        for (uint32_t i = 0; i < 3; i++) {
            if (place[i].len > 0 && ledger__name_find(l, place[i]) == NONE &&
                !seen(place, i, place[i])) {
                (*extra_names)++;
            }
        }
    }
    return l->n_channels + *extra_channels > LEDGER_CHANNELS_MAX ||
                   l->n_names + *extra_names > LEDGER_NAMES_MAX
               ? SLOT_LIMIT_REACHED
               : SLOT_OK;
}

/* in_use: the bucket's held, booked and cooling counters, kept. */
static void bucketSet(struct bucket *b, uint32_t channel, uint32_t capacity,
                      const struct bucket *in_use)
{
    uint32_t used = in_use->held + in_use->booked + in_use->cooling;
    assert(used <= capacity);
    b->channel = (uint8_t)channel;
    b->capacity = capacity;
    b->spec = capacity;
    b->held = in_use->held;
    b->booked = in_use->booked;
    b->cooling = in_use->cooling;
    b->free = capacity - used;
}

/* Slots of a bucket that are not free: a POOL_UPDATE keeps them. */
static uint32_t inUse(const struct bucket *b)
{
    return b->held + b->booked + b->cooling;
}

static void poolSetFields(struct pool *p, const struct slot_pool_spec *sp)
{
    p->kind = sp->kind;
    p->capacity = sp->capacity;
    p->fee_cents = sp->fee_cents;
    p->seg_start_ms = sp->seg_start_ms;
    p->seg_end_ms = sp->seg_end_ms;
    p->release_at_ms = sp->release_at_ms;
}

static uint32_t sharesSum(const struct slot_pool_spec *sp)
{
    uint32_t sum = 0;
    for (uint32_t i = 0; i < sp->n_shares; i++) {
        sum += sp->shares[i].slots;
    }
    assert(sum <= sp->capacity); /* checked by the decoder */
    return sum;
}

/* Sets the pool's place from the spec's schedule fields (interning its
 * names: the caller checked room) and files it in its hospital's day
 * index and the flow-back heap. */
static void placeSet(struct ledger *l, uint32_t pi, const struct slot_sched *s,
                     uint32_t hospital)
{
    struct pool *p = &l->pools[pi];
    if (p->place == NULL) {
        p->place = ledger__realloc(NULL, sizeof *p->place);
        memset(p->place, 0, sizeof *p->place);
        p->place->flow_pos = NONE;
        p->place->flow_due_ms = UINT64_MAX;
    } else {
        ledger__sched_index_remove(l, pi);
    }
    struct place *pl = p->place;
    pl->hospital = hospital;
    pl->campus = ledger__name_intern(l, s->campus);
    pl->department = ledger__name_intern(l, s->department);
    pl->doctor = ledger__name_intern(l, s->doctor);
    pl->visit_day = s->visit_day;
    pl->pay_mode = s->pay_mode;
    pl->visit_slot_ms = s->visit_slot_ms;
    pl->n_eligible = (uint8_t)s->n_eligible;
    for (uint32_t i = 0; i < s->n_eligible; i++) {
        pl->eligible[i] = (uint8_t)ledger__channel_intern(l, s->eligible[i]);
    }
    pl->n_rem_allow = (uint8_t)s->n_rem_allow;
    for (uint32_t i = 0; i < s->n_rem_allow; i++) {
        pl->rem_allow[i] = (uint8_t)ledger__channel_intern(l, s->rem_allow[i]);
    }
    ledger__sched_index_add(l, pi);
    ledger__flow_schedule(l, pi);
}

/* The hospital a spec's schedule fields name, NONE for a free-standing
 * spec; UNKNOWN_HOSPITAL when they name one without rules. */
static int specHospital(const struct ledger *l, const struct slot_pool_spec *sp,
                        uint32_t *hospital)
{
    *hospital = NONE;
    if (!sp->has_sched) {
        return SLOT_OK;
    }
    *hospital = ledger__hospital_find(l, sp->sched.hospital);
    return *hospital == NONE ? SLOT_UNKNOWN_HOSPITAL : SLOT_OK;
}

uint32_t ledger__pool_insert(struct ledger *l, const struct slot_pool_spec *sp,
                             uint32_t hospital)
{
    uint32_t pi = ledger__pool_add(l, sp->pool.p, sp->pool.len);
    struct pool *p = &l->pools[pi];
    poolSetFields(p, sp);
    p->next_visit_no = 1;
    p->n_shares = (uint8_t)sp->n_shares;
    for (uint32_t i = 0; i < sp->n_shares; i++) {
        uint32_t ci = ledger__channel_intern(l, sp->shares[i].channel);
        bucketSet(&p->shares[i], ci, sp->shares[i].slots, &(struct bucket){0});
    }
    bucketSet(&p->rem, 0, sp->capacity - sharesSum(sp), &(struct bucket){0});
    if (sp->has_sched) {
        placeSet(l, pi, &sp->sched, hospital);
    }
    return pi;
}

int ledger__pool_create(struct ledger *l, const struct slot_pool_spec *sp)
{
    if (ledger__pool_find(l, sp->pool.p, sp->pool.len) != NONE) {
        return SLOT_POOL_EXISTS;
    }
    uint32_t hospital, extra_ch = 0, extra_names = 0;
    int rc = specHospital(l, sp, &hospital);
    if (rc != SLOT_OK) {
        return rc;
    }
    if (l->n_pools >= LEDGER_POOLS_MAX) {
        return SLOT_LIMIT_REACHED;
    }
    rc = ledger__spec_fits(l, sp, &extra_ch, &extra_names);
    if (rc != SLOT_OK) {
        return rc;
    }
    ledger__pool_event(l, ledger__pool_insert(l, sp, hospital),
                       SLOT_EV_POOL_CREATED, 0, 0);
    return SLOT_OK;
}

/* Can the pool take the new layout without stranding a held or booked
 * slot? Channels not yet interned have no claims. */
static int updateFits(const struct ledger *l, const struct pool *p,
                      const struct slot_pool_spec *sp)
{
    uint32_t seen_shares = 0; /* old shares matched by a new one, a bit set */
    for (uint32_t i = 0; i < sp->n_shares; i++) {
        struct slot_str ch = sp->shares[i].channel;
        uint32_t ci = ledger__channel_find(l, ch.p, ch.len);
        int s = ci == NONE ? -1 : ledger__share_of(p, ci);
        if (s < 0) {
            continue;
        }
        seen_shares |= 1u << s;
        const struct bucket *b = &p->shares[s];
        if (inUse(b) > sp->shares[i].slots) {
            return SLOT_CAPACITY_CONFLICT;
        }
    }
    for (int s = 0; s < p->n_shares; s++) {
        const struct bucket *b = &p->shares[s];
        if (!(seen_shares & (1u << s)) && inUse(b) > 0) {
            return SLOT_CAPACITY_CONFLICT;
        }
    }
    if (inUse(&p->rem) > sp->capacity - sharesSum(sp)) {
        return SLOT_CAPACITY_CONFLICT;
    }
    return SLOT_OK;
}

int ledger__pool_update(struct ledger *l, const struct slot_pool_spec *sp)
{
    uint32_t pi = ledger__pool_find(l, sp->pool.p, sp->pool.len);
    if (pi == NONE) {
        return SLOT_UNKNOWN_POOL;
    }
    if (l->pools[pi].stopped) {
        return SLOT_POOL_STOPPED;
    }
    if (l->pools[pi].closed) {
        return SLOT_POOL_CLOSED;
    }
    /* A spec with schedule fields was made to carry a segment by the
     * decoder; one without them keeps the pool's place, so it must too. */
    if (l->pools[pi].place != NULL && sp->seg_end_ms == 0) {
        return SLOT_INVALID_ARGUMENT;
    }
    uint32_t hospital, extra_ch = 0, extra_names = 0;
    int rc = specHospital(l, sp, &hospital);
    if (rc != SLOT_OK) {
        return rc;
    }
    rc = updateFits(l, &l->pools[pi], sp);
    if (rc == SLOT_OK) {
        rc = ledger__spec_fits(l, sp, &extra_ch, &extra_names);
    }
    if (rc != SLOT_OK) {
        return rc;
    }
    uint32_t chans[SLOT_POOL_SHARES_MAX];
    for (uint32_t i = 0; i < sp->n_shares; i++) {
        chans[i] = ledger__channel_intern(l, sp->shares[i].channel);
    }
    struct pool *p = &l->pools[pi];
    struct bucket old[SLOT_POOL_SHARES_MAX];
    uint8_t n_old = p->n_shares;
    memcpy(old, p->shares, sizeof old);
    for (uint32_t i = 0; i < sp->n_shares; i++) {
        struct bucket kept = {0};
        for (uint8_t s = 0; s < n_old; s++) {
            if (old[s].channel == chans[i]) {
                kept = old[s];
            }
        }
        bucketSet(&p->shares[i], chans[i], sp->shares[i].slots, &kept);
    }
    p->n_shares = (uint8_t)sp->n_shares;
    struct bucket rem = p->rem;
    bucketSet(&p->rem, 0, sp->capacity - sharesSum(sp), &rem);
    poolSetFields(p, sp);
    if (sp->has_sched) {
        placeSet(l, pi, &sp->sched, hospital);
    } else if (p->place != NULL) {
        /* The segment may have moved: its place in the day's order and its
         * flow-back time with it. */
        ledger__sched_index_remove(l, pi);
        ledger__sched_index_add(l, pi);
        ledger__flow_schedule(l, pi);
    }
    ledger__pool_event(l, pi, SLOT_EV_POOL_UPDATED, 0, 0);
    return SLOT_OK;
}

int ledger__pool_close(struct ledger *l, struct slot_str id)
{
    uint32_t pi = ledger__pool_find(l, id.p, id.len);
    if (pi == NONE) {
        return SLOT_UNKNOWN_POOL;
    }
    if (l->pools[pi].stopped) {
        return SLOT_POOL_STOPPED;
    }
    if (l->pools[pi].closed) {
        return SLOT_POOL_CLOSED;
    }
    l->pools[pi].closed = 1;
    ledger__pool_event(l, pi, SLOT_EV_POOL_CLOSED, 0, 0);
    return SLOT_OK;
}

/* ---- visit numbers -------------------------------------------------------- */

static void freedUp(uint32_t *h, uint32_t i)
{
    while (i > 0 && h[(i - 1) / 2] > h[i]) {
        uint32_t up = (i - 1) / 2, t = h[up];
        h[up] = h[i];
        h[i] = t;
        i = up;
    }
}

static void freedDown(uint32_t *h, uint32_t n, uint32_t i)
{
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= n) {
            return;
        }
        if (c + 1 < n && h[c + 1] < h[c]) {
            c++;
        }
        if (h[i] <= h[c]) {
            return;
        }
        uint32_t t = h[i];
        h[i] = h[c];
        h[c] = t;
        i = c;
    }
}

uint32_t ledger__visit_take(struct pool *p)
{
    if (p->n_freed == 0) {
        return p->next_visit_no++;
    }
    uint32_t v = p->freed[0];
    p->freed[0] = p->freed[--p->n_freed];
    freedDown(p->freed, p->n_freed, 0);
    return v;
}

void ledger__visit_free(struct pool *p, uint32_t v)
{
    assert(v >= 1 && v < p->next_visit_no);
    LEDGER_GROW(p->freed, p->freed_cap, p->n_freed);
    p->freed[p->n_freed++] = v;
    freedUp(p->freed, p->n_freed - 1);
}
