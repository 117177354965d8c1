/* reads: pool, claim, patient and ledger reads. They never change state:
 * a HELD claim past its deadline reads as EXPIRED until a command expires it.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledgerInt.h"
#include "slot_time.h"

/* ---- reads --------------------------------------------------------------- */

static void bucketOut(const struct ledger *l, const struct bucket *b,
                      bool share, struct slot_bucket *out)
{
    memset(out, 0, sizeof *out);
    if (share) {
        memcpy(out->channel, l->channels[b->channel],
               l->channel_len[b->channel]);
    }
    out->capacity = b->capacity;
    out->free = b->free;
    out->held = b->held;
    out->booked = b->booked;
    out->cooling = b->cooling;
}

static void namesOut(const struct ledger *l, const uint8_t *names, uint8_t n,
                     char out[][SLOT_CHANNEL_MAX + 1], uint32_t *n_out)
{
    *n_out = n;
    for (uint8_t i = 0; i < n; i++) {
        memcpy(out[i], l->channels[names[i]], l->channel_len[names[i]]);
    }
}

static void nameOut(const struct ledger *l, uint32_t ni, char *out)
{
    struct slot_str s = ledger__name_str(l, ni);
    memcpy(out, s.p, s.len);
}

static void placeOut(const struct ledger *l, const struct pool *p,
                     struct slot_place *out)
{
    const struct place *pl = p->place;
    const struct hospital *h = &l->hospitals[pl->hospital];
    memcpy(out->hospital, h->id, h->id_len);
    nameOut(l, pl->campus, out->campus);
    nameOut(l, pl->department, out->department);
    nameOut(l, pl->doctor, out->doctor);
    out->visit_day = pl->visit_day;
    out->pay_mode = pl->pay_mode;
    out->visit_slot_ms = pl->visit_slot_ms;
    namesOut(l, pl->eligible, pl->n_eligible, out->eligible, &out->n_eligible);
    namesOut(l, pl->rem_allow, pl->n_rem_allow, out->rem_allow,
             &out->n_rem_allow);
    out->flow_due_ms = pl->flow_due_ms == UINT64_MAX ? 0 : pl->flow_due_ms;
    out->flowed_back = pl->flowed;
}

/* When the pool opens to channels that follow the hospital's own horizon:
 * its release time, or for a scheduled pool the later of that and the
 * release minute of its visit day minus the horizon. */
uint64_t ledger__opens_at(const struct ledger *l, const struct pool *p)
{
    const struct slot_rules *r = ledger__rules_of(l, p);
    uint64_t at = p->release_at_ms;
    if (r != NULL && r->horizon_days > 0) {
        uint32_t v = p->place->visit_day;
        uint32_t day = v > r->horizon_days ? v - r->horizon_days : 0;
        uint64_t o = slot_utc_ms_of(day, r->release_minute, r->utc_offset_min);
        at = o > at ? o : at;
    }
    return at;
}

void ledger__pool_status(const struct ledger *l, uint32_t pi,
                         struct slot_pool_status *out)
{
    const struct pool *p = &l->pools[pi];
    memset(out, 0, sizeof *out);
    memcpy(out->pool, p->id, p->id_len);
    out->kind = p->kind;
    uint64_t opens = ledger__opens_at(l, p);
    out->state = p->stopped           ? SLOT_PSTATE_STOPPED
                 : p->closed          ? SLOT_PSTATE_CLOSED
                 : l->time_ms < opens ? SLOT_PSTATE_SCHEDULED
                                      : SLOT_PSTATE_OPEN;
    out->capacity = p->capacity;
    out->fee_cents = p->fee_cents;
    out->seg_start_ms = p->seg_start_ms;
    out->seg_end_ms = p->seg_end_ms;
    out->release_at_ms = opens;
    if (p->place != NULL) {
        out->has_place = true;
        placeOut(l, p, &out->place);
    }
    out->next_visit_no = p->next_visit_no;
    out->n_shares = p->n_shares;
    for (uint32_t i = 0; i < p->n_shares; i++) {
        bucketOut(l, &p->shares[i], true, &out->shares[i]);
    }
    bucketOut(l, &p->rem, false, &out->remainder);
    const struct slot_bucket *all = out->shares;
    for (uint32_t i = 0; i <= p->n_shares; i++) {
        const struct slot_bucket *b =
            i < p->n_shares ? &all[i] : &out->remainder;
        out->free += b->free;
        out->held += b->held;
        out->booked += b->booked;
        out->cooling += b->cooling;
    }
    out->waiting = p->n_wait;
}

int ledger_read_pool(const struct ledger *l, struct slot_str pool,
                     struct slot_pool_status *out)
{
    uint32_t pi = ledger__pool_find(l, pool.p, pool.len);
    if (pi == NONE) {
        return SLOT_UNKNOWN_POOL;
    }
    ledger__pool_status(l, pi, out);
    return SLOT_OK;
}

void ledger__claim_out(const struct ledger *l, const struct claim *c,
                       struct slot_claim *out)
{
    const struct pool *p = &l->pools[c->pool];
    const struct patient *pt = &l->patients[c->patient];
    memset(out, 0, sizeof *out);
    out->id = c->id;
    out->state = ledger__claim_due(l, c) ? SLOT_CLAIM_EXPIRED : c->state;
    memcpy(out->pool, p->id, p->id_len);
    memcpy(out->patient, l->pkeys + pt->key_off, pt->key_len);
    memcpy(out->channel, l->channels[c->channel], l->channel_len[c->channel]);
    out->held_at_ms = c->held_at_ms;
    out->deadline_ms = c->deadline_ms;
    out->booked_at_ms = ledger__claim_booked_at(c);
    out->resolved_at_ms = c->resolved_at_ms;
    out->visit_no = c->visit_no;
    if (c->payref != NONE) {
        struct payref pr = ledger__payref(l, c->payref);
        memcpy(out->payment_ref, pr.s, pr.len);
        out->paid = 1;
        struct slot_str m = ledger__pay_method_str(l, pr.method);
        memcpy(out->pay_method, m.p, m.len);
        out->fee_paid_cents = pr.fee_cents;
    }
    if (c->from_share) {
        memcpy(out->bucket, l->channels[c->bucket], l->channel_len[c->bucket]);
    }
    /* The number's share of the segment: when the patient should come. */
    if (c->visit_no > 0 && p->seg_start_ms != 0) {
        uint64_t slot = p->place != NULL && p->place->visit_slot_ms != 0
                            ? p->place->visit_slot_ms
                            : (p->seg_end_ms - p->seg_start_ms) / p->capacity;
        out->visit_start_ms = p->seg_start_ms + (c->visit_no - 1) * slot;
        out->visit_end_ms = out->visit_start_ms + slot;
    }
    out->attendance = c->attendance;
    struct cvisit cv = ledger__claim_visit(l, c);
    out->checked_in_at_ms = cv.checked_in_at_ms;
    out->moved_to = cv.moved_to;
    out->moved_from = cv.moved_from;
    out->refunded = c->refunded;
    out->affected = p->stopped;
}

int ledger_read_claim(const struct ledger *l, uint64_t id, bool booking,
                      struct slot_claim *out)
{
    uint32_t ci =
        booking ? ledger__booking_find(l, id) : ledger__claim_find(l, id);
    if (ci == NONE) {
        return booking ? SLOT_UNKNOWN_BOOKING : SLOT_UNKNOWN_HOLD;
    }
    ledger__claim_out(l, &l->claims[ci], out);
    return SLOT_OK;
}

int ledger_read_patient(const struct ledger *l, struct slot_str pool,
                        struct slot_str patient, struct slot_claim *out,
                        uint32_t cap, uint32_t *n)
{
    *n = 0;
    uint32_t pi = ledger__pool_find(l, pool.p, pool.len);
    if (pi == NONE) {
        return SLOT_UNKNOWN_POOL;
    }
    uint32_t pt = ledger__patient_find(l, patient.p, patient.len);
    uint32_t ci = pt == NONE ? NONE : ledger__pp_find(l, pi, pt);
    /* A hold past its deadline is no longer active, swept or not. */
    if (ci != NONE && cap > 0 && !ledger__claim_due(l, &l->claims[ci])) {
        ledger__claim_out(l, &l->claims[ci], &out[0]);
        *n = 1;
    }
    return SLOT_OK;
}

int ledger_read_pools(const struct ledger *l, struct slot_str after,
                      uint32_t limit, struct slot_pool_status *out, uint32_t *n)
{
    uint32_t start = 0;
    *n = 0;
    if (after.len > 0) {
        uint32_t pi = ledger__pool_find(l, after.p, after.len);
        if (pi == NONE) {
            return SLOT_UNKNOWN_POOL;
        }
        start = pi + 1;
    }
    for (uint32_t pi = start; pi < l->n_pools && *n < limit; pi++) {
        ledger__pool_status(l, pi, &out[(*n)++]);
    }
    return SLOT_OK;
}

void ledger_info(const struct ledger *l, struct slot_ledger_info *out)
{
    memset(out, 0, sizeof *out);
    out->time_ms = l->time_ms;
    out->pools = l->n_pools;
    out->patients = l->n_patients;
    out->channels = l->n_channels;
    out->sessions = l->n_sessions;
    out->holds_active = l->n_held;
    out->bookings_active = l->n_booked;
    out->retained = l->n_retained;
    out->config = l->config;
    /* The cool-down key makes return times unpredictable to channels: no
     * read reports it. */
    out->config.cooldown_key[0] = out->config.cooldown_key[1] = 0;
}

uint32_t ledger_events_held(const struct ledger *l)
{
    return l->ev_len;
}

static int readQuery(const struct ledger *l, const struct slot_read *rd,
                     struct mp_buf *out)
{
    struct slot_pool_status *st = ledger__realloc(NULL, rd->limit * sizeof *st);
    uint32_t n, total;
    int rc = ledger_read_query(l, rd, st, rd->limit, &n, &total);
    if (rc == SLOT_OK) {
        mp_pack_array(out, 2);
        mp_pack_uint(out, total);
        mp_pack_array(out, n);
        for (uint32_t i = 0; i < n; i++) {
            slot_pool_status_encode(out, &st[i]);
        }
    }
    free(st);
    return rc;
}

static int readRulesLog(const struct ledger *l, const struct slot_read *rd,
                        struct mp_buf *out)
{
    uint32_t cap =
        rd->limit < LEDGER_RULES_LOG_MAX ? rd->limit : LEDGER_RULES_LOG_MAX;
    struct slot_rules_info *info = ledger__realloc(NULL, cap * sizeof *info);
    uint32_t n;
    int rc = ledger_read_rules_log(l, rd->hospital, rd->after_version, cap,
                                   info, &n);
    if (rc == SLOT_OK) {
        mp_pack_array(out, n);
        for (uint32_t i = 0; i < n; i++) {
            slot_rules_info_encode(out, &info[i]);
        }
    }
    free(info);
    return rc;
}

static int readScheduleCheck(const struct ledger *l, const struct slot_read *rd,
                             struct mp_buf *out)
{
    char(*ids)[SLOT_POOL_ID_MAX + 1] =
        ledger__realloc(NULL, SLOT_LIST_MAX * sizeof *ids);
    uint32_t fresh, same, conflicts;
    int rc = ledger_read_schedule_check(l, &rd->tpl, &fresh, &same, ids,
                                        SLOT_LIST_MAX, &conflicts);
    if (rc == SLOT_OK) {
        uint32_t listed = conflicts < SLOT_LIST_MAX ? conflicts : SLOT_LIST_MAX;
        mp_pack_array(out, 3);
        mp_pack_uint(out, fresh);
        mp_pack_uint(out, same);
        mp_pack_array(out, listed);
        for (uint32_t i = 0; i < listed; i++) {
            mp_pack_cstr(out, ids[i]);
        }
    }
    free(ids);
    return rc;
}

int ledger_read(const struct ledger *l, const struct slot_read *rd,
                struct mp_buf *out)
{
    int rc = SLOT_OK;
    switch (rd->op) {
        case SLOT_READ_POOL: {
            struct slot_pool_status st;
            rc = ledger_read_pool(l, rd->pool, &st);
            if (rc == SLOT_OK) {
                slot_pool_status_encode(out, &st);
            }
            return rc;
        }
        case SLOT_READ_HOLD:
        case SLOT_READ_BOOKING: {
            struct slot_claim c;
            rc = ledger_read_claim(l, rd->id, rd->op == SLOT_READ_BOOKING, &c);
            if (rc == SLOT_OK) {
                slot_claim_encode(out, &c);
            }
            return rc;
        }
        case SLOT_READ_PATIENT: {
            struct slot_claim c;
            uint32_t n;
            rc = ledger_read_patient(l, rd->pool, rd->patient, &c, 1, &n);
            if (rc == SLOT_OK) {
                mp_pack_array(out, n);
                if (n == 1) {
                    slot_claim_encode(out, &c);
                }
            }
            return rc;
        }
        case SLOT_READ_POOLS: {
            struct slot_pool_status *st =
                ledger__realloc(NULL, rd->limit * sizeof *st);
            uint32_t n;
            rc = ledger_read_pools(l, rd->pool, rd->limit, st, &n);
            if (rc == SLOT_OK) {
                mp_pack_array(out, n);
                for (uint32_t i = 0; i < n; i++) {
                    slot_pool_status_encode(out, &st[i]);
                }
            }
            free(st);
            return rc;
        }
        case SLOT_READ_LEDGER: {
            struct slot_ledger_info info;
            ledger_info(l, &info);
            if (!rd->no_hash) {
                info.state_hash = ledger_state_hash(l);
            }
            slot_ledger_info_encode(out, &info);
            return SLOT_OK;
        }
        case SLOT_READ_QUERY:
            return readQuery(l, rd, out);
        case SLOT_READ_RULES: {
            struct slot_rules_info *info = ledger__realloc(NULL, sizeof *info);
            rc = ledger_read_rules(l, rd->hospital, rd->department, info);
            if (rc == SLOT_OK) {
                slot_rules_info_encode(out, info);
            }
            free(info);
            return rc;
        }
        case SLOT_READ_RULES_LOG:
            return readRulesLog(l, rd, out);
        case SLOT_READ_SCHEDULE_CHECK:
            return readScheduleCheck(l, rd, out);
        case SLOT_READ_PATIENT_INFO: {
            struct slot_patient_info *pi = ledger__realloc(NULL, sizeof *pi);
            pi->claims = ledger__realloc(NULL, SLOT_LIST_MAX *
                                                   sizeof(struct slot_claim));
            pi->claims_cap = SLOT_LIST_MAX;
            ledger_read_patient_info(l, rd->patient, pi);
            slot_patient_info_encode(out, pi);
            free(pi->claims);
            free(pi);
            return SLOT_OK;
        }
        case SLOT_READ_ACCOUNT: {
            struct slot_account_info ai;
            ledger_read_account(l, rd->account, &ai);
            slot_account_info_encode(out, &ai);
            return SLOT_OK;
        }
        case SLOT_READ_WAITLIST: {
            uint32_t pos, len;
            rc = ledger_read_waitlist(l, rd->pool, rd->patient, &pos, &len);
            if (rc == SLOT_OK) {
                mp_pack_array(out, 2);
                mp_pack_uint(out, pos);
                mp_pack_uint(out, len);
            }
            return rc;
        }
        case SLOT_READ_STAFF_LOG: {
            struct slot_staff_entry *e =
                ledger__realloc(NULL, rd->limit * sizeof *e);
            uint32_t n;
            ledger_read_staff_log(l, rd->after_version, rd->limit, e, &n);
            mp_pack_array(out, n);
            for (uint32_t i = 0; i < n; i++) {
                slot_staff_entry_encode(out, &e[i]);
            }
            free(e);
            return SLOT_OK;
        }
        case SLOT_READ_EVENTS: {
            struct slot_event *e = ledger__realloc(NULL, rd->limit * sizeof *e);
            uint32_t n;
            uint64_t first, last;
            ledger_read_events(l, rd->after_id, rd->limit, e, &n, &first,
                               &last);
            mp_pack_array(out, 3);
            mp_pack_uint(out, first);
            mp_pack_uint(out, last);
            mp_pack_array(out, n);
            for (uint32_t i = 0; i < n; i++) {
                slot_event_encode(out, &e[i]);
            }
            free(e);
            return SLOT_OK;
        }
        case SLOT_READ_POOL_CLAIMS: {
            struct slot_claim *c = ledger__realloc(NULL, rd->limit * sizeof *c);
            uint32_t n;
            rc = ledger_read_pool_claims(l, rd->pool, rd->after_id, rd->limit,
                                         c, &n);
            if (rc == SLOT_OK) {
                mp_pack_array(out, n);
                for (uint32_t i = 0; i < n; i++) {
                    slot_claim_encode(out, &c[i]);
                }
            }
            free(c);
            return rc;
        }
        case SLOT_READ_RECON: {
            struct slot_recon_row *row =
                ledger__realloc(NULL, rd->limit * sizeof *row);
            uint32_t n, total, kept;
            ledger_read_recon(l, rd->day, rd->hospital, rd->channel,
                              (uint32_t)rd->after_id, rd->limit, row, &n,
                              &total, &kept);
            mp_pack_array(out, 3);
            mp_pack_uint(out, kept);
            mp_pack_uint(out, total);
            mp_pack_array(out, n);
            for (uint32_t i = 0; i < n; i++) {
                slot_recon_row_encode(out, &row[i]);
            }
            free(row);
            return SLOT_OK;
        }
        case SLOT_READ_STATS: {
            struct slot_stats_row *row =
                ledger__realloc(NULL, rd->limit * sizeof *row);
            uint32_t n, total;
            ledger_read_stats(l, rd->hospital, rd->date_from, rd->date_to,
                              (uint32_t)rd->after_id, rd->limit, row, &n,
                              &total);
            mp_pack_array(out, 2);
            mp_pack_uint(out, total);
            mp_pack_array(out, n);
            for (uint32_t i = 0; i < n; i++) {
                slot_stats_row_encode(out, &row[i]);
            }
            free(row);
            return SLOT_OK;
        }
    }
    return SLOT_UNKNOWN_OP;
}

int ledger_read_waitlist(const struct ledger *l, struct slot_str pool,
                         struct slot_str patient, uint32_t *position,
                         uint32_t *length)
{
    uint32_t pi = ledger__pool_find(l, pool.p, pool.len);
    if (pi == NONE) {
        return SLOT_UNKNOWN_POOL;
    }
    const struct pool *p = &l->pools[pi];
    uint32_t pt = ledger__patient_find(l, patient.p, patient.len);
    *position = 0;
    *length = p->n_wait;
    for (uint32_t i = 0; pt != NONE && i < p->n_wait; i++) {
        if (p->wait[i].patient == pt) {
            *position = i + 1;
        }
    }
    return SLOT_OK;
}
