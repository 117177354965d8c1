/* holds: HOLD, CONFIRM, RELEASE, CANCEL and the EXPIRE sweep (ledger.h,
 * "Exact rules" and the lifecycle diagram). */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledgerInt.h"
#include "slot_time.h"

/* The rules a hold is judged by, worked out once per HOLD: the pool's rule
 * set (NULL: a free-standing pool) and the channel's policy in it. */
struct judge {
    const struct slot_rules *r;
    struct slot_str ch;
    struct slot_policy pol;
    uint32_t today, minute; /* local, under r's offset */
};

static bool covers(const struct ledger *l, const struct judge *j, uint32_t name)
{
    struct slot_str n = ledger__channel_str(l, name);
    return slot_rules_covers(j->r, n.p, n.len, j->ch.p, j->ch.len);
}

/* eligible(C) of ledger.h: the pool's list, else the first matching
 * eligibility rule's, else everyone. */
static bool eligible(const struct ledger *l, const struct pool *p,
                     const struct judge *j)
{
    const struct place *pl = p->place;
    if (pl->n_eligible > 0) {
        for (uint8_t i = 0; i < pl->n_eligible; i++) {
            if (covers(l, j, pl->eligible[i])) {
                return true;
            }
        }
        return false;
    }
    struct slot_str dept = ledger__name_str(l, pl->department);
    for (uint8_t i = 0; i < j->r->n_elig; i++) {
        const struct slot_elig *e = &j->r->elig[i];
        bool dept_ok = e->department[0] == '\0' ||
                       (strlen(e->department) == dept.len &&
                        memcmp(e->department, dept.p, dept.len) == 0);
        if (!dept_ok || (e->kind != SLOT_KIND_ANY && e->kind != p->kind)) {
            continue;
        }
        for (uint8_t k = 0; k < e->n; k++) {
            if (slot_rules_covers(j->r, e->names[k], strlen(e->names[k]),
                                  j->ch.p, j->ch.len)) {
                return true;
            }
        }
        return false;
    }
    return true;
}

/* The date rules of a scheduled pool, in HOLD's order after eligibility
 * (ledger.h): the channel's horizon, the release minute of the opening
 * day, the explicit release time, then the closing rules. */
static int dateRules(const struct ledger *l, const struct pool *p,
                     const struct judge *j)
{
    uint32_t v = p->place->visit_day;
    uint32_t h =
        j->pol.horizon_days != 0 ? j->pol.horizon_days : j->r->horizon_days;
    if (h > 0) {
        uint32_t opens = v > h ? v - h : 0;
        if (j->today < opens) {
            return SLOT_OUTSIDE_HORIZON;
        }
        if (j->today == opens && j->minute < j->r->release_minute) {
            return SLOT_NOT_RELEASED;
        }
    }
    if (l->time_ms < p->release_at_ms) {
        return SLOT_NOT_RELEASED;
    }
    bool cut = j->pol.cutoff && j->r->cutoff_minute != SLOT_MINUTE_NONE &&
               (j->today + 1 > v ||
                (j->today + 1 == v && j->minute >= j->r->cutoff_minute));
    if (j->today > v || (p->seg_end_ms != 0 && l->time_ms >= p->seg_end_ms) ||
        cut || (!j->pol.same_day && j->today >= v)) {
        return SLOT_BOOKING_CLOSED;
    }
    return SLOT_OK;
}

/* The payment window: the request's, else (scheduled pools) the rules'
 * default; within the config's bounds and the rules' maximum. */
static int ttlOf(const struct ledger *l, const struct judge *j, uint32_t ttl,
                 uint32_t *out)
{
    if (ttl == 0 && j->r != NULL) {
        ttl = j->r->pay_ttl_ms;
    }
    uint32_t max = l->config.hold_ttl_max_ms;
    if (j->r != NULL && j->r->pay_ttl_max_ms != 0 &&
        j->r->pay_ttl_max_ms < max) {
        max = j->r->pay_ttl_max_ms;
    }
    if (ttl < l->config.hold_ttl_min_ms || ttl > max) {
        return SLOT_TTL_OUT_OF_RANGE;
    }
    *out = ttl;
    return SLOT_OK;
}

/* The bucket a new hold takes (ledger.h, SOLD_OUT): the channel's own
 * share, then shares naming a group that contains it, then the remainder
 * if the pool lets this channel use it; NULL when sold out. *bucket is the
 * share's name index. */
static struct bucket *pickBucket(const struct ledger *l, struct pool *p,
                                 const struct judge *j, uint32_t channel,
                                 uint8_t *from_share, uint8_t *bucket)
{
    int s = channel == NONE ? -1 : ledger__share_of(p, channel);
    *from_share = 1;
    if (s >= 0 && p->shares[s].free > 0) {
        *bucket = p->shares[s].channel;
        return &p->shares[s];
    }
    for (uint8_t i = 0; j->r != NULL && i < p->n_shares; i++) {
        struct bucket *b = &p->shares[i];
        if ((int)i != s && b->free > 0 && covers(l, j, b->channel)) {
            *bucket = b->channel;
            return b;
        }
    }
    *from_share = 0;
    *bucket = 0;
    if (p->rem.free == 0) {
        return NULL;
    }
    if (p->place == NULL || p->place->n_rem_allow == 0) {
        return &p->rem;
    }
    for (uint8_t i = 0; i < p->place->n_rem_allow; i++) {
        if (covers(l, j, p->place->rem_allow[i])) {
            return &p->rem;
        }
    }
    return NULL;
}

struct bucket *ledger__pick_bucket(const struct ledger *l, uint32_t pi,
                                   uint32_t channel, uint8_t *from_share,
                                   uint8_t *bucket)
{
    struct pool *p = &l->pools[pi];
    struct judge j = {ledger__rules_of(l, p),
                      ledger__channel_str(l, channel),
                      {{0}, 0, false, false},
                      0,
                      0};
    return pickBucket(l, p, &j, channel, from_share, bucket);
}

/* What a HOLD, a WAITLIST_JOIN or an offer asks for: who, through which
 * channel and account, at which pool. */
struct ask {
    uint32_t pool;
    struct slot_str key, chan, account;
    uint32_t ttl_ms;
    bool check_ttl;    /* HOLD only; the others skip TTL_OUT_OF_RANGE */
    bool no_exception; /* an offer: a pending exception does not help */
};

/* What the checks found out, for the step that follows them. */
struct verdict {
    struct judge j;
    uint32_t patient; /* NONE: not interned yet */
    uint32_t ttl_ms;
    bool use_exception;
};

/* HOLD's refusals in ledger.h's order, up to and including
 * QUOTA_EXCEEDED: everything that depends on who asks, not on whether a
 * slot is free. May expire the patient's own due hold on the way (time
 * catching up). */
static int askChecks(struct ledger *l, const struct ask *q, struct verdict *v,
                     struct slot_result *res)
{
    struct pool *p = &l->pools[q->pool];
    if (p->stopped) {
        return SLOT_POOL_STOPPED;
    }
    if (p->closed) {
        return SLOT_POOL_CLOSED;
    }
    v->j = (struct judge){
        ledger__rules_of(l, p), q->chan, {{0}, 0, false, false}, 0, 0};
    struct judge *j = &v->j;
    int rc;
    if (j->r != NULL) {
        j->pol = slot_rules_policy(j->r, q->chan.p, q->chan.len);
        j->today = slot_local_day(l->time_ms, j->r->utc_offset_min);
        j->minute = slot_local_minute(l->time_ms, j->r->utc_offset_min);
        if (!eligible(l, p, j)) {
            return SLOT_CHANNEL_NOT_ALLOWED;
        }
        rc = dateRules(l, p, j);
        if (rc != SLOT_OK) {
            return rc;
        }
    } else if (l->time_ms < p->release_at_ms) {
        return SLOT_NOT_RELEASED;
    }
    if (q->check_ttl) {
        rc = ttlOf(l, j, q->ttl_ms, &v->ttl_ms);
        if (rc != SLOT_OK) {
            return rc;
        }
    }
    v->patient = ledger__patient_find(l, q->key.p, q->key.len);
    rc = ledger__hold_patient_rules(l, p, v->patient, q->chan, q->account,
                                    &v->use_exception, res);
    if (rc != SLOT_OK) {
        return rc;
    }
    if (v->use_exception && q->no_exception) {
        return SLOT_BLACKLISTED; /* before PATIENT_HAS_CLAIM's expiry */
    }
    if (v->patient != NONE) {
        uint32_t prev = ledger__pp_find(l, q->pool, v->patient);
        if (prev != NONE) {
            if (!ledger__claim_due(l, &l->claims[prev])) {
                return SLOT_PATIENT_HAS_CLAIM;
            }
            ledger__claim_resolve(l, prev, SLOT_CLAIM_EXPIRED);
        }
    }
    return ledger__hold_quotas(l, p, v->patient, res);
}

/* A new HELD claim of patient through channel, taking a slot of bucket b
 * (a free one: the caller moved it out of free, or it is a cancelled
 * booking's slot handed over). */
static uint32_t claimNew(struct ledger *l, uint32_t pi, uint32_t patient,
                         uint32_t channel, uint8_t from_share, uint8_t bucket,
                         uint32_t ttl_ms, struct bucket *b)
{
    uint32_t ci = ledger__claim_alloc(l);
    struct claim *c = &l->claims[ci];
    c->id = l->next_claim_id++;
    c->held_at_ms = l->time_ms;
    c->deadline_ms = l->time_ms + ttl_ms;
    c->pool = pi;
    c->patient = patient;
    c->channel = (uint8_t)channel;
    c->from_share = from_share & 1u;
    c->bucket = bucket;
    c->state = SLOT_CLAIM_HELD;
    b->held++;
    ledger__bucket_assert(l, pi, b);
    l->n_held++;
    ledger__heap_push(l, ci);
    ledger__htab_put(&l->claim_index, c->id, ci);
    ledger__htab_put(&l->pp_index, ledger__pp_key(pi, patient), ci);
    ledger__pa_add(l, ci);
    return ci;
}

int ledger__hold(struct ledger *l, const struct slot_cmd *cmd,
                 struct slot_result *res)
{
    const struct slot_str pool = cmd->u.hold.pool;
    const struct slot_str key = cmd->u.hold.patient;
    const struct slot_str chan = cmd->u.hold.channel;
    uint32_t pi = ledger__pool_find(l, pool.p, pool.len);
    if (pi == NONE) {
        return SLOT_UNKNOWN_POOL;
    }
    struct ask q = {.pool = pi,
                    .key = key,
                    .chan = chan,
                    .account = cmd->u.hold.account,
                    .ttl_ms = cmd->u.hold.ttl_ms,
                    .check_ttl = true};
    struct verdict v;
    int rc = askChecks(l, &q, &v, res);
    if (rc != SLOT_OK) {
        return rc;
    }
    struct pool *p = &l->pools[pi];
    uint32_t patient = v.patient;
    uint32_t channel = ledger__channel_find(l, chan.p, chan.len);
    uint8_t from_share, bucket;
    struct bucket *b = pickBucket(l, p, &v.j, channel, &from_share, &bucket);
    if (b == NULL) {
        return SLOT_SOLD_OUT;
    }
    if ((patient == NONE && l->n_patients >= LEDGER_PATIENTS_MAX) ||
        (channel == NONE && l->n_channels >= LEDGER_CHANNELS_MAX) ||
        l->n_held + l->n_booked + l->n_retained >= LEDGER_CLAIMS_MAX) {
        return SLOT_LIMIT_REACHED;
    }
    if (patient == NONE) {
        patient = ledger__patient_add(l, key.p, key.len);
    }
    if (channel == NONE) {
        channel = ledger__channel_add(l, chan.p, chan.len);
    }
    b->free--;
    uint32_t ci =
        claimNew(l, pi, patient, channel, from_share, bucket, v.ttl_ms, b);
    if (v.use_exception) {
        ledger__use_exception(l, patient, p->place->hospital);
    }
    res->a = l->claims[ci].id;
    res->b = l->claims[ci].deadline_ms;
    ledger__claim_event(l, ci, SLOT_EV_HELD, res->b, 0);
    return SLOT_OK;
}

/* ---- waitlists ------------------------------------------------------------ */

static int waitFind(const struct pool *p, uint32_t patient)
{
    for (uint32_t i = 0; patient != NONE && i < p->n_wait; i++) {
        if (p->wait[i].patient == patient) {
            return (int)i;
        }
    }
    return -1;
}

int ledger__wait_join(struct ledger *l, const struct slot_cmd *cmd,
                      struct slot_result *res)
{
    const struct slot_str key = cmd->u.wait.patient;
    const struct slot_str chan = cmd->u.wait.channel;
    uint32_t pi =
        ledger__pool_find(l, cmd->u.wait.pool.p, cmd->u.wait.pool.len);
    if (pi == NONE) {
        return SLOT_UNKNOWN_POOL;
    }
    struct ask q = {
        .pool = pi, .key = key, .chan = chan, .account = cmd->u.wait.account};
    struct verdict v;
    int rc = askChecks(l, &q, &v, res);
    if (rc != SLOT_OK) {
        return rc;
    }
    struct pool *p = &l->pools[pi];
    if (waitFind(p, v.patient) >= 0) {
        return SLOT_ALREADY_WAITING;
    }
    uint32_t channel = ledger__channel_find(l, chan.p, chan.len);
    uint8_t from_share, bucket;
    if (pickBucket(l, p, &v.j, channel, &from_share, &bucket) != NULL) {
        return SLOT_NOT_SOLD_OUT;
    }
    if (p->n_wait >= LEDGER_WAITLIST_MAX ||
        (v.patient == NONE && l->n_patients >= LEDGER_PATIENTS_MAX) ||
        (channel == NONE && l->n_channels >= LEDGER_CHANNELS_MAX)) {
        return SLOT_LIMIT_REACHED;
    }
    uint32_t patient =
        v.patient != NONE ? v.patient : ledger__patient_add(l, key.p, key.len);
    if (channel == NONE) {
        channel = ledger__channel_add(l, chan.p, chan.len);
    }
    uint32_t account = cmd->u.wait.account.len > 0
                           ? ledger__account_find(l, cmd->u.wait.account)
                           : NONE;
    LEDGER_GROW(p->wait, p->wait_cap, p->n_wait);
    p->wait[p->n_wait++] =
        (struct wentry){l->time_ms, patient, account, (uint8_t)channel};
    res->a = p->n_wait;
    ledger__event(l, SLOT_EV_WAIT_JOINED, pi, 0, patient, channel,
                  p->place != NULL ? p->place->hospital : NONE, res->a, 0);
    return SLOT_OK;
}

static void waitRemove(struct pool *p, uint32_t i)
{
    memmove(&p->wait[i], &p->wait[i + 1],
            (p->n_wait - i - 1) * sizeof p->wait[0]);
    p->n_wait--;
}

int ledger__wait_leave(struct ledger *l, const struct slot_cmd *cmd)
{
    uint32_t pi =
        ledger__pool_find(l, cmd->u.wait.pool.p, cmd->u.wait.pool.len);
    if (pi == NONE) {
        return SLOT_UNKNOWN_POOL;
    }
    struct pool *p = &l->pools[pi];
    struct slot_str key = cmd->u.wait.patient;
    int i = waitFind(p, ledger__patient_find(l, key.p, key.len));
    if (i < 0) {
        return SLOT_NOT_WAITING;
    }
    /* Who may take a patient off the list: as for a claim (ledger.h). */
    struct slot_str caller = cmd->u.wait.channel;
    struct slot_str own = ledger__channel_str(l, p->wait[i].channel);
    bool ok =
        caller.len == 0 ||
        (own.len == caller.len && memcmp(own.p, caller.p, own.len) == 0) ||
        ledger__bound_to(l, p->wait[i].patient, cmd->u.wait.account);
    if (!ok) {
        return SLOT_NOT_OWNER;
    }
    struct wentry gone = p->wait[i];
    waitRemove(p, (uint32_t)i);
    ledger__event(l, SLOT_EV_WAIT_LEFT, pi, 0, gone.patient, gone.channel,
                  p->place != NULL ? p->place->hospital : NONE, 0, 0);
    return SLOT_OK;
}

/* The waitlist's first patient who may have the slot a cancel of claim ci
 * frees, dropping at most SLOT_WAITLIST_SKIP_MAX who may not (ledger.h):
 * the bound is on drops, so the waiter after the last drop is still
 * asked, and stays on the list if it may not either. Fills *v for the
 * one found; false if none. */
static bool offerTo(struct ledger *l, uint32_t pi, struct wentry *out,
                    struct verdict *v)
{
    struct pool *p = &l->pools[pi];
    uint32_t dropped = 0;
    while (p->n_wait > 0 && !p->closed) {
        struct wentry e = p->wait[0];
        const struct patient *pt = &l->patients[e.patient];
        struct slot_str account = e.account != NONE
                                      ? ledger__account_str(l, e.account)
                                      : (struct slot_str){"", 0};
        struct ask q = {pi,
                        {l->pkeys + pt->key_off, pt->key_len},
                        ledger__channel_str(l, e.channel),
                        account,
                        0,
                        false,
                        true};
        struct slot_result ignored = {0};
        if (askChecks(l, &q, v, &ignored) == SLOT_OK) {
            waitRemove(p, 0);
            *out = e;
            return true;
        }
        if (dropped == SLOT_WAITLIST_SKIP_MAX) {
            break;
        }
        waitRemove(p, 0);
        dropped++;
    }
    return false;
}

/* The slot of the cancelled claim ci (already back in its bucket's free
 * slots) to waiter e, as an offer. */
static void offerSlot(struct ledger *l, uint32_t ci, const struct wentry *e)
{
    const struct claim *cancelled = &l->claims[ci];
    uint32_t pi = cancelled->pool;
    uint8_t from_share = cancelled->from_share, bucket = cancelled->bucket;
    struct bucket *b = ledger__claim_bucket(l, cancelled);
    const struct slot_rules *r = ledger__rules_of(l, &l->pools[pi]);
    uint32_t ttl = r != NULL && r->pay_ttl_ms != 0 ? r->pay_ttl_ms
                                                   : l->config.hold_ttl_max_ms;
    b->free--;
    uint32_t oi =
        claimNew(l, pi, e->patient, e->channel, from_share, bucket, ttl, b);
    ledger__htab_put(&l->offer_index, oi, oi);
    ledger__claim_event(l, oi, SLOT_EV_OFFERED, l->claims[oi].deadline_ms, 0);
}

/* Shared refusals of CONFIRM and RELEASE; expires a due hold on the way
 * (but not for a caller who does not own it: a stranger changes nothing).
 * Returns SLOT_OK when the claim is HELD and before its deadline. */
static int heldCheck(struct ledger *l, const struct slot_cmd *cmd,
                     uint32_t *out)
{
    uint32_t ci = ledger__claim_find(l, cmd->u.claim.id);
    if (ci == NONE) {
        return SLOT_UNKNOWN_HOLD;
    }
    struct claim *c = &l->claims[ci];
    int rc = ledger__owner_check(l, c, cmd);
    if (rc != SLOT_OK) {
        return rc;
    }
    switch (c->state) {
        case SLOT_CLAIM_HELD:
            if (ledger__claim_due(l, c)) {
                /* Refused even if no sweep has run: the deadline is
                 * judged against ledger time only. */
                ledger__claim_resolve(l, ci, SLOT_CLAIM_EXPIRED);
                return SLOT_HOLD_EXPIRED;
            }
            *out = ci;
            return SLOT_OK;
        case SLOT_CLAIM_EXPIRED:
            return SLOT_HOLD_EXPIRED;
        case SLOT_CLAIM_BOOKED:
        case SLOT_CLAIM_CANCELLED:
        case SLOT_CLAIM_MOVED:
            return SLOT_ALREADY_CONFIRMED;
        case SLOT_CLAIM_RELEASED:
            return SLOT_ALREADY_RELEASED;
    }
    assert(0 && "claim in index with an invalid state");
    return SLOT_CORRUPT;
}

int ledger__confirm(struct ledger *l, const struct slot_cmd *cmd,
                    struct slot_result *res)
{
    uint32_t ci;
    int rc = heldCheck(l, cmd, &ci);
    if (rc != SLOT_OK) {
        return rc;
    }
    struct claim *c = &l->claims[ci];
    struct pool *p = &l->pools[c->pool];
    if (p->stopped) {
        return SLOT_POOL_STOPPED; /* the hold stays until released or due */
    }
    struct slot_str ref = cmd->u.claim.payment_ref;
    bool at_visit = p->place != NULL && p->place->pay_mode == SLOT_PAY_AT_VISIT;
    if (ref.len == 0 && !at_visit) {
        return SLOT_PAYMENT_REQUIRED;
    }
    if (!ledger__pay_method_fits(l, cmd->u.claim.pay_method)) {
        return SLOT_LIMIT_REACHED;
    }
    struct bucket *b = ledger__claim_bucket(l, c);
    ledger__heap_remove(l, ci);
    if (ledger__offer_has(l, ci)) {
        ledger__htab_del(&l->offer_index, ci, ci); /* an offer, taken */
    }
    c->state = SLOT_CLAIM_BOOKED;
    /* Before the deadline (HOLD_EXPIRED otherwise), within the ttl. */
    assert(l->time_ms >= c->held_at_ms && l->time_ms < c->deadline_ms &&
           l->time_ms - c->held_at_ms <= UINT32_MAX);
    c->booked_after_ms = (uint32_t)(l->time_ms - c->held_at_ms);
    c->visit_no = ledger__visit_take(p);
    /* Unpaid (pay at the visit): no reference until check-in. */
    if (ref.len > 0) {
        ledger__payment_set(l, ci, ref, cmd->u.claim.pay_method);
    }
    b->held--;
    b->booked++;
    ledger__bucket_assert(l, c->pool, b);
    l->n_held--;
    l->n_booked++;
    ledger__noshow_join(l, ci);
    res->a = c->id;
    res->b = c->visit_no;
    ledger__claim_event(l, ci, SLOT_EV_BOOKED, c->visit_no, c->payref != NONE);
    return SLOT_OK;
}

int ledger__release(struct ledger *l, const struct slot_cmd *cmd)
{
    uint32_t ci;
    int rc = heldCheck(l, cmd, &ci);
    if (rc != SLOT_OK) {
        return rc;
    }
    ledger__claim_resolve(l, ci, SLOT_CLAIM_RELEASED);
    return SLOT_OK;
}

int ledger__cancel(struct ledger *l, const struct slot_cmd *cmd)
{
    uint32_t ci = ledger__booking_find(l, cmd->u.claim.id);
    if (ci == NONE) {
        return SLOT_UNKNOWN_BOOKING; /* a HELD claim is left as it is */
    }
    struct claim *c = &l->claims[ci];
    int rc = ledger__owner_check(l, c, cmd);
    if (rc != SLOT_OK) {
        return rc;
    }
    if (c->state != SLOT_CLAIM_BOOKED) {
        return SLOT_ALREADY_CANCELLED;
    }
    if (c->attendance == SLOT_ATTEND_NO_SHOW) {
        return SLOT_NO_SHOW; /* final: the visit is over, unattended */
    }
    if (l->pools[c->pool].stopped) {
        /* The clinic's fault, not the patient's: a refund whatever the
         * deadline or attendance, counted nowhere, the slot simply free
         * (a stopped pool holds nothing more). */
        ledger__visit_free(&l->pools[c->pool], c->visit_no);
        c->refunded = 1; /* before: the CANCELLED event says so */
        ledger__claim_resolve_to(l, ci, SLOT_CLAIM_CANCELLED, true);
        return SLOT_OK;
    }
    if (c->attendance == SLOT_ATTEND_CHECKED_IN) {
        return SLOT_ALREADY_CHECKED_IN;
    }
    rc = ledger__cancel_closed(l, c, cmd);
    if (rc != SLOT_OK) {
        return rc;
    }
    ledger__visit_free(&l->pools[c->pool], c->visit_no);
    /* The waitlist first: with a taker, the slot goes back to free without
     * cooling and the offer takes it at once, in this same command. */
    struct wentry e;
    struct verdict v;
    bool offer = l->pools[c->pool].n_wait > 0 && offerTo(l, c->pool, &e, &v);
    ledger__claim_resolve_to(l, ci, SLOT_CLAIM_CANCELLED, offer);
    if (offer) {
        offerSlot(l, ci, &e);
    }
    if (cmd->u.claim.caller.len > 0) {
        ledger__cancel_record(l, &l->claims[ci]);
    }
    return SLOT_OK;
}

/* The expiry heap's due time at position pos (ledger__heap_due). */
static uint64_t heldDueAt(const struct ledger *l, uint32_t pos)
{
    return l->claims[l->heap[pos]].deadline_ms;
}

int ledger__expire(struct ledger *l, uint32_t max, struct slot_result *res)
{
    uint32_t n = 0;
    while (n < max && l->heap_len > 0 &&
           l->claims[l->heap[0]].deadline_ms <= l->time_ms) {
        ledger__claim_resolve(l, l->heap[0], SLOT_CLAIM_EXPIRED);
        n++;
    }
    res->a = n;
    res->b =
        ledger__heap_due(l, l->heap_len, heldDueAt, SLOT_EXPIRE_DUE_COUNT_MAX);
    return SLOT_OK;
}
