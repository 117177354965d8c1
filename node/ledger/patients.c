/* patients: the patient rules (ledger.h, "Patients, accounts and the
 * anti-scalper rules"): accounts and their binding limits, who owns a
 * claim, quotas, the cancellation deadline and daily limit, violations,
 * blacklists and exceptions, the staff log, and the reads of them.
 *
 * Why these are ledger rules and not gateway rules: a scalper holds
 * through whichever channel lets him. A quota one gateway counts is a
 * quota the next gateway does not see; here every replica counts the same
 * claims at the same ledger time.
 *
 * Costs. A patient without an account, violation, standing or
 * cancellation has no record (struct pext) at all. Quotas are counted over
 * the patient's active claims, which the patient's claim list (a doubly
 * linked list through the claims, below) holds: a HOLD costs O(active
 * claims of that patient), and the quotas themselves keep that small for
 * scheduled pools.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "ledgerInt.h"
#include "slot_time.h"

#define DAY_MS 86400000ull

/* ---- records -------------------------------------------------------------- */

const struct pext *ledger__pext_get(const struct ledger *l, uint32_t patient)
{
    if (patient == NONE || l->patients[patient].ext == NONE) {
        return NULL;
    }
    return &l->pexts[l->patients[patient].ext];
}

struct pext *ledger__pext(struct ledger *l, uint32_t patient)
{
    assert(patient != NONE);
    if (l->patients[patient].ext == NONE) {
        uint32_t xi = l->n_pexts++;
        LEDGER_GROW(l->pexts, l->pexts_cap, xi);
        memset(&l->pexts[xi], 0, sizeof l->pexts[xi]);
        l->pexts[xi].account = NONE;
        l->patients[patient].ext = xi;
    }
    return &l->pexts[l->patients[patient].ext];
}

struct amatch {
    const struct ledger *l;
    struct slot_str key;
};

static bool accountIs(const void *ctx, uint32_t ai)
{
    const struct amatch *m = ctx;
    const struct account *a = &m->l->accounts[ai];
    return a->key_len == m->key.len &&
           memcmp(m->l->pkeys + a->key_off, m->key.p, m->key.len) == 0;
}

static uint64_t keyHash(struct slot_str key)
{
    return slot_hash64(key.p, key.len, 0x61636374); /* "acct" */
}

uint32_t ledger__account_find(const struct ledger *l, struct slot_str key)
{
    struct amatch m = {l, key};
    return ledger__htab_find(&l->account_index, keyHash(key), accountIs, &m);
}

struct slot_str ledger__account_str(const struct ledger *l, uint32_t ai)
{
    const struct account *a = &l->accounts[ai];
    return (struct slot_str){l->pkeys + a->key_off, a->key_len};
}

uint32_t ledger__account_add(struct ledger *l, struct slot_str key)
{
    uint32_t ai = l->n_accounts++;
    LEDGER_GROW(l->accounts, l->accounts_cap, ai);
    struct account *a = &l->accounts[ai];
    memset(a, 0, sizeof *a);
    /* Account keys share the patient key arena (same charset, same
     * lengths); only the index tells them apart. */
    uint32_t off = l->pkeys_len;
    LEDGER_GROW(l->pkeys, l->pkeys_cap, l->pkeys_len + key.len);
    memcpy(l->pkeys + off, key.p, key.len);
    l->pkeys_len += key.len;
    a->key_off = off;
    a->key_len = (uint8_t)key.len;
    ledger__htab_put(&l->account_index, keyHash(key), ai);
    return ai;
}

/* ---- the patient-claims index ------------------------------------------- */

/* A doubly linked list through the claims, headed by the patient record:
 * O(1) to add and to remove, no table to grow, and a patient with many
 * claims costs nobody else anything (in a hash table keyed by patient,
 * its entries would form one probe run that other keys' inserts cross). */
void ledger__pa_add(struct ledger *l, uint32_t ci)
{
    struct claim *c = &l->claims[ci];
    struct patient *p = &l->patients[c->patient];
    c->pa_prev = NONE;
    c->pa_next = p->pa_head;
    if (p->pa_head != NONE) {
        l->claims[p->pa_head].pa_prev = ci;
    }
    p->pa_head = ci;
}

void ledger__pa_del(struct ledger *l, uint32_t ci)
{
    struct claim *c = &l->claims[ci];
    if (c->pa_prev != NONE) {
        l->claims[c->pa_prev].pa_next = c->pa_next;
    } else {
        assert(l->patients[c->patient].pa_head == ci);
        l->patients[c->patient].pa_head = c->pa_next;
    }
    if (c->pa_next != NONE) {
        l->claims[c->pa_next].pa_prev = c->pa_prev;
    }
    c->pa_next = c->pa_prev = NONE;
}

uint32_t ledger__pa_find(const struct ledger *l, uint32_t patient,
                         bool (*match)(const void *ctx, uint32_t ci),
                         const void *ctx)
{
    for (uint32_t ci = l->patients[patient].pa_head; ci != NONE;
         ci = l->claims[ci].pa_next) {
        if (match(ctx, ci)) {
            return ci;
        }
    }
    return NONE;
}

/* ---- who may act on a claim -------------------------------------------- */

bool ledger__bound_to(const struct ledger *l, uint32_t patient,
                      struct slot_str account)
{
    const struct pext *x = ledger__pext_get(l, patient);
    if (x == NULL || x->account == NONE || account.len == 0) {
        return false;
    }
    struct slot_str a = ledger__account_str(l, x->account);
    return a.len == account.len && memcmp(a.p, account.p, a.len) == 0;
}

int ledger__owner_check(const struct ledger *l, const struct claim *c,
                        const struct slot_cmd *cmd)
{
    struct slot_str caller = cmd->u.claim.caller;
    if (caller.len == 0) {
        return SLOT_OK; /* an administrator */
    }
    struct slot_str own = ledger__channel_str(l, c->channel);
    if (own.len == caller.len && memcmp(own.p, caller.p, own.len) == 0) {
        return SLOT_OK;
    }
    return ledger__bound_to(l, c->patient, cmd->u.claim.account)
               ? SLOT_OK
               : SLOT_NOT_OWNER;
}

/* ---- HOLD's patient rules ----------------------------------------------- */

static const struct hospital *hospitalOf(const struct ledger *l,
                                         const struct pool *p)
{
    return p->place != NULL ? &l->hospitals[p->place->hospital] : NULL;
}

static const struct pstanding *standingAt(const struct pext *x,
                                          uint32_t hospital)
{
    for (uint8_t i = 0; x != NULL && i < x->n_standings; i++) {
        if (x->standings[i].hospital == hospital) {
            return &x->standings[i];
        }
    }
    return NULL;
}

int ledger__hold_patient_rules(const struct ledger *l, const struct pool *p,
                               uint32_t patient, struct slot_str channel,
                               struct slot_str account, bool *use_exception,
                               struct slot_result *res)
{
    *use_exception = false;
    const struct hospital *h = hospitalOf(l, p);
    if (account.len > 0 &&
        (patient == NONE || !ledger__bound_to(l, patient, account))) {
        return SLOT_NOT_BOUND;
    }
    if (h == NULL) {
        return SLOT_OK;
    }
    const struct slot_rules *r = &h->rules;
    const struct slot_patient_rules *pr = &r->patient;
    if (account.len == 0 && pr->account_channels[0] != '\0' &&
        slot_rules_covers(r, pr->account_channels, strlen(pr->account_channels),
                          channel.p, channel.len)) {
        return SLOT_NOT_BOUND;
    }
    const struct pext *x = ledger__pext_get(l, patient);
    if (x == NULL) {
        return SLOT_OK;
    }
    const struct pstanding *st = standingAt(x, p->place->hospital);
    bool exempt =
        pr->blacklist_exempt[0] != '\0' &&
        slot_rules_covers(r, pr->blacklist_exempt, strlen(pr->blacklist_exempt),
                          channel.p, channel.len);
    if (st != NULL && st->until_ms > l->time_ms && !exempt) {
        if (!st->exception) {
            res->b = st->until_ms;
            return SLOT_BLACKLISTED;
        }
        *use_exception = true;
    }
    if (pr->cancel_limit_day > 0) {
        uint32_t today = slot_local_day(l->time_ms, r->utc_offset_min);
        uint32_t n = 0;
        for (uint8_t i = 0; i < x->n_cancels; i++) {
            n += slot_local_day(x->cancels_ms[i], r->utc_offset_min) == today;
        }
        if (n >= pr->cancel_limit_day) {
            *use_exception = false;
            res->b = today;
            return SLOT_CANCEL_LIMIT;
        }
    }
    return SLOT_OK;
}

void ledger__use_exception(struct ledger *l, uint32_t patient,
                           uint32_t hospital)
{
    struct pext *x = ledger__pext(l, patient);
    for (uint8_t i = 0; i < x->n_standings; i++) {
        if (x->standings[i].hospital == hospital) {
            x->standings[i].exception = 0;
        }
    }
}

/* The local days [*first, *end) of the calendar month of `day`: worked
 * out once per HOLD, so counting compares days, not dates. */
static void monthOf(uint32_t day, uint32_t *first, uint32_t *end)
{
    int64_t year;
    uint32_t month, mday;
    slot_civil_from_day(day, &year, &month, &mday);
    *first = (uint32_t)slot_day_from_civil(year, month, 1);
    *end = month == 12 ? (uint32_t)slot_day_from_civil(year + 1, 1, 1)
                       : (uint32_t)slot_day_from_civil(year, month + 1, 1);
}

struct qcount {
    const struct ledger *l;
    const struct pool *p;      /* the pool being held */
    uint32_t month, month_end; /* its visit month's days [month, end) */
    bool expert;
    uint32_t day, dept, month_n, all; /* the counts */
};

static bool isExpert(uint8_t kind)
{
    return kind != SLOT_KIND_NORMAL;
}

/* Counts one active claim (htab_find's callback: never "found", so it
 * visits every claim of the patient). */
static bool qcountOne(const void *ctx, uint32_t ci)
{
    struct qcount *q = (struct qcount *)ctx;
    const struct claim *c = &q->l->claims[ci];
    if (ledger__claim_due(q->l, c)) {
        return false; /* expired in all but bookkeeping */
    }
    q->all++;
    const struct pool *o = &q->l->pools[c->pool];
    if (q->p->place == NULL || o->place == NULL ||
        o->place->hospital != q->p->place->hospital ||
        isExpert(o->kind) != q->expert) {
        return false;
    }
    uint32_t v = o->place->visit_day;
    if (v == q->p->place->visit_day) {
        q->day++;
        q->dept += o->place->department == q->p->place->department;
    }
    q->month_n += v >= q->month && v < q->month_end;
    return false;
}

static int quota(struct slot_result *res, uint8_t which, uint64_t window)
{
    res->a = which;
    res->b = window;
    return SLOT_QUOTA_EXCEEDED;
}

/* The hospital's quotas against counts q; base 0 for a patient's own,
 * SLOT_QUOTA_ACCOUNT for its account's. */
static int quotaCheck(const struct slot_patient_rules *pr, const struct pool *p,
                      const struct qcount *q, uint8_t base,
                      struct slot_result *res)
{
    uint32_t v = p->place->visit_day;
    uint8_t day_max = q->expert ? pr->quota_day_expert : pr->quota_day_normal;
    uint8_t month_max =
        q->expert ? pr->quota_month_expert : pr->quota_month_normal;
    if (day_max > 0 && q->day >= day_max) {
        return quota(res,
                     (uint8_t)(base + (q->expert ? SLOT_QUOTA_DAY_EXPERT
                                                 : SLOT_QUOTA_DAY_NORMAL)),
                     v);
    }
    if (q->expert && pr->quota_dept_expert > 0 &&
        q->dept >= pr->quota_dept_expert) {
        return quota(res, (uint8_t)(base + SLOT_QUOTA_DEPT_EXPERT), v);
    }
    if (month_max > 0 && q->month_n >= month_max) {
        return quota(res,
                     (uint8_t)(base + (q->expert ? SLOT_QUOTA_MONTH_EXPERT
                                                 : SLOT_QUOTA_MONTH_NORMAL)),
                     q->month);
    }
    return SLOT_OK;
}

int ledger__hold_quotas(const struct ledger *l, const struct pool *p,
                        uint32_t patient, struct slot_result *res)
{
    const struct hospital *h = hospitalOf(l, p);
    uint16_t active_max = l->config.patient_active_max;
    if (patient == NONE || (h == NULL && active_max == 0)) {
        return SLOT_OK;
    }
    struct qcount q = {l, p, 0, 0, isExpert(p->kind), 0, 0, 0, 0};
    if (p->place != NULL) {
        monthOf(p->place->visit_day, &q.month, &q.month_end);
    }
    (void)ledger__pa_find(l, patient, qcountOne, &q);
    if (h != NULL) {
        const struct slot_patient_rules *pr = &h->rules.patient;
        int rc = quotaCheck(pr, p, &q, 0, res);
        if (rc != SLOT_OK) {
            return rc;
        }
        /* The account's patients together (at most
         * SLOT_ACCOUNT_PATIENTS_MAX walks of their claims). */
        const struct pext *x = ledger__pext_get(l, patient);
        if (pr->quota_per_account && x != NULL && x->account != NONE) {
            const struct account *a = &l->accounts[x->account];
            struct qcount qa = q;
            qa.day = qa.dept = qa.month_n = qa.all = 0;
            for (uint8_t i = 0; i < a->n_patients; i++) {
                (void)ledger__pa_find(l, a->patients[i], qcountOne, &qa);
            }
            rc = quotaCheck(pr, p, &qa, SLOT_QUOTA_ACCOUNT, res);
            if (rc != SLOT_OK) {
                return rc;
            }
        }
    }
    if (active_max > 0 && q.all >= active_max) {
        return quota(res, SLOT_QUOTA_ACTIVE, 0);
    }
    return SLOT_OK;
}

/* ---- cancellation ------------------------------------------------------- */

int ledger__cancel_closed(const struct ledger *l, const struct claim *c,
                          const struct slot_cmd *cmd)
{
    const struct pool *p = &l->pools[c->pool];
    const struct hospital *h = hospitalOf(l, p);
    if (cmd->u.claim.caller.len == 0 || h == NULL ||
        h->rules.patient.cancel_minute == SLOT_MINUTE_NONE) {
        return SLOT_OK;
    }
    const struct slot_patient_rules *pr = &h->rules.patient;
    uint32_t v = p->place->visit_day;
    uint32_t dday = v > pr->cancel_days_before ? v - pr->cancel_days_before : 0;
    uint64_t deadline =
        slot_utc_ms_of(dday, pr->cancel_minute, h->rules.utc_offset_min);
    if (l->time_ms < deadline) {
        return SLOT_OK;
    }
    if (pr->cancel_same_day && ledger__claim_booked_at(c) >= deadline &&
        l->time_ms < p->seg_start_ms) {
        return SLOT_OK;
    }
    return SLOT_CANCEL_CLOSED;
}

/* A patient's own cancel of claim c: recorded, and a violation when it
 * comes less than late_cancel_ms before the segment starts. */
void ledger__cancel_record(struct ledger *l, const struct claim *c)
{
    uint32_t patient = c->patient;
    const struct pool *p = &l->pools[c->pool];
    const struct hospital *h = hospitalOf(l, p);
    if (h != NULL && h->rules.patient.late_cancel_ms > 0 &&
        l->time_ms + h->rules.patient.late_cancel_ms > p->seg_start_ms) {
        uint64_t until;
        (void)ledger__violation_add(l, patient, p->place->hospital,
                                    SLOT_VIOLATION_LATE_CANCEL, &until);
    }
    struct pext *x = ledger__pext(l, patient);
    if (x->n_cancels == SLOT_CANCELS_KEPT) {
        memmove(x->cancels_ms, x->cancels_ms + 1,
                (SLOT_CANCELS_KEPT - 1) * sizeof x->cancels_ms[0]);
        x->n_cancels--;
    }
    x->cancels_ms[x->n_cancels++] = l->time_ms;
}

/* ---- violations, blacklists, exceptions ---------------------------------- */

/* The standing of the patient at a hospital, made if missing: a new one
 * takes a free place, else replaces one with nothing in force, else the
 * one with the earliest until (ledger.h). */
static struct pstanding *standingFor(struct ledger *l, struct pext *x,
                                     uint32_t hospital)
{
    for (uint8_t i = 0; i < x->n_standings; i++) {
        if (x->standings[i].hospital == hospital) {
            return &x->standings[i];
        }
    }
    uint8_t at = x->n_standings;
    if (at == SLOT_VIOLATIONS_KEPT) {
        at = 0;
        bool idle_found = false;
        for (uint8_t i = 0; i < x->n_standings; i++) {
            const struct pstanding *s = &x->standings[i];
            bool idle = s->until_ms <= l->time_ms && !s->exception;
            if (idle && !idle_found) {
                at = i;
                idle_found = true;
            } else if (!idle_found && s->until_ms < x->standings[at].until_ms) {
                at = i;
            }
        }
    } else {
        x->n_standings++;
    }
    struct pstanding *s = &x->standings[at];
    memset(s, 0, sizeof *s);
    s->hospital = hospital;
    return s;
}

static uint32_t violationsInWindow(const struct ledger *l, const struct pext *x,
                                   uint32_t hospital)
{
    const struct slot_patient_rules *pr = &l->hospitals[hospital].rules.patient;
    uint64_t window = (uint64_t)pr->violation_window_days * DAY_MS;
    uint32_t n = 0;
    for (uint8_t i = 0; i < x->n_violations; i++) {
        const struct pviolation *v = &x->violations[i];
        n += v->hospital == hospital && v->at_ms + window > l->time_ms;
    }
    return n;
}

uint32_t ledger__violation_add(struct ledger *l, uint32_t patient,
                               uint32_t hospital, uint8_t kind, uint64_t *until)
{
    struct pext *x = ledger__pext(l, patient);
    if (x->n_violations == SLOT_VIOLATIONS_KEPT) {
        memmove(x->violations, x->violations + 1,
                (SLOT_VIOLATIONS_KEPT - 1) * sizeof x->violations[0]);
        x->n_violations--;
    }
    x->violations[x->n_violations++] =
        (struct pviolation){l->time_ms, hospital, kind};
    uint32_t n = violationsInWindow(l, x, hospital);
    const struct slot_patient_rules *pr = &l->hospitals[hospital].rules.patient;
    if (pr->violation_threshold > 0 && n >= pr->violation_threshold) {
        struct pstanding *s = standingFor(l, x, hospital);
        uint64_t end = l->time_ms + (uint64_t)pr->blacklist_days * DAY_MS;
        if (end > s->until_ms) {
            s->until_ms = end;
        }
    }
    /* The blacklist in force, also one this violation did not reach the
     * threshold for (an earlier one's). */
    const struct pstanding *s = standingAt(x, hospital);
    *until = s != NULL && s->until_ms > l->time_ms ? s->until_ms : 0;
    ledger__event(l, SLOT_EV_VIOLATION, NONE, 0, patient, NONE, hospital, kind,
                  *until);
    return n;
}

void ledger__staff_log(struct ledger *l, uint8_t op, uint8_t kind,
                       struct slot_str operator_name, struct slot_str reason,
                       uint32_t hospital, uint32_t patient, uint32_t pool)
{
    uint32_t at;
    if (l->staff_len < LEDGER_STAFF_LOG_MAX) {
        at = (l->staff_head + l->staff_len++) % LEDGER_STAFF_LOG_MAX;
        LEDGER_GROW(l->staff, l->staff_cap, at);
    } else {
        at = l->staff_head;
        l->staff_head = (l->staff_head + 1) % LEDGER_STAFF_LOG_MAX;
    }
    struct staff *e = &l->staff[at];
    memset(e, 0, sizeof *e);
    e->seq = ++l->staff_seq;
    e->at_ms = l->time_ms;
    e->hospital = hospital;
    e->patient = patient;
    e->pool = pool;
    e->op = op;
    e->kind = kind;
    memcpy(e->operator_name, operator_name.p, operator_name.len);
    memcpy(e->reason, reason.p, reason.len);
}

/* A VIOLATION, UNBLOCK or EXCEPTION that took effect, in the staff log. */
static void staffLog(struct ledger *l, const struct slot_cmd *cmd,
                     uint32_t hospital, uint32_t patient)
{
    ledger__staff_log(l, cmd->op,
                      cmd->op == SLOT_OP_VIOLATION ? cmd->u.staff.kind : 0,
                      cmd->u.staff.operator_name, cmd->u.staff.reason, hospital,
                      patient, NONE);
}

/* The patient a staff command names, interned (the caller checked room). */
static uint32_t patientIntern(struct ledger *l, struct slot_str key)
{
    uint32_t pi = ledger__patient_find(l, key.p, key.len);
    return pi != NONE ? pi : ledger__patient_add(l, key.p, key.len);
}

int ledger__staff_cmd(struct ledger *l, const struct slot_cmd *cmd,
                      struct slot_result *res)
{
    uint32_t h = ledger__hospital_find(l, cmd->u.staff.hospital);
    if (h == NONE) {
        return SLOT_UNKNOWN_HOSPITAL;
    }
    struct slot_str key = cmd->u.staff.patient;
    uint32_t patient = ledger__patient_find(l, key.p, key.len);
    if (patient == NONE && l->n_patients >= LEDGER_PATIENTS_MAX) {
        return SLOT_LIMIT_REACHED;
    }
    patient = patientIntern(l, key);
    if (cmd->op == SLOT_OP_UNBLOCK) {
        struct pext *x = l->patients[patient].ext != NONE
                             ? &l->pexts[l->patients[patient].ext]
                             : NULL;
        if (x != NULL) {
            uint8_t keep = 0;
            for (uint8_t i = 0; i < x->n_violations; i++) {
                if (x->violations[i].hospital != h) {
                    x->violations[keep++] = x->violations[i];
                }
            }
            x->n_violations = keep;
            keep = 0;
            for (uint8_t i = 0; i < x->n_standings; i++) {
                const struct pstanding *s = &x->standings[i];
                if (s->hospital == h) {
                    res->a = s->until_ms > l->time_ms;
                } else {
                    x->standings[keep++] = *s;
                }
            }
            x->n_standings = keep;
        }
        staffLog(l, cmd, h, patient);
        ledger__event(l, SLOT_EV_UNBLOCKED, NONE, 0, patient, NONE, h, 0, 0);
        return SLOT_OK;
    }
    if (cmd->op == SLOT_OP_VIOLATION) {
        res->a =
            ledger__violation_add(l, patient, h, cmd->u.staff.kind, &res->b);
    } else {
        standingFor(l, ledger__pext(l, patient), h)->exception = 1;
        ledger__event(l, SLOT_EV_EXCEPTION, NONE, 0, patient, NONE, h, 0, 0);
    }
    staffLog(l, cmd, h, patient);
    return SLOT_OK;
}

/* ---- accounts ------------------------------------------------------------- */

int ledger__account_bind(struct ledger *l, const struct slot_cmd *cmd,
                         struct slot_result *res)
{
    struct slot_str akey = cmd->u.bind.account, pkey = cmd->u.bind.patient;
    uint32_t ai = ledger__account_find(l, akey);
    uint32_t patient = ledger__patient_find(l, pkey.p, pkey.len);
    const struct pext *x = ledger__pext_get(l, patient);
    if (x != NULL && x->account != NONE) {
        if (x->account == ai) {
            res->a = l->accounts[ai].n_patients;
            return SLOT_OK;
        }
        res->a = SLOT_ACCOUNT_ELSEWHERE;
        return SLOT_ACCOUNT_LIMIT;
    }
    if (ai != NONE &&
        l->accounts[ai].n_patients >= l->config.account_patients_max) {
        res->a = SLOT_ACCOUNT_FULL;
        return SLOT_ACCOUNT_LIMIT;
    }
    if ((patient == NONE && l->n_patients >= LEDGER_PATIENTS_MAX) ||
        (ai == NONE && l->n_accounts >= LEDGER_ACCOUNTS_MAX)) {
        return SLOT_LIMIT_REACHED;
    }
    patient = patientIntern(l, pkey);
    if (ai == NONE) {
        ai = ledger__account_add(l, akey);
    }
    struct account *a = &l->accounts[ai];
    a->patients[a->n_patients++] = patient;
    ledger__pext(l, patient)->account = ai;
    res->a = a->n_patients;
    ledger__event(l, SLOT_EV_ACCOUNT_BOUND, NONE, 0, patient, NONE, NONE, 0, 0);
    return SLOT_OK;
}

int ledger__account_unbind(struct ledger *l, const struct slot_cmd *cmd,
                           struct slot_result *res)
{
    struct slot_str akey = cmd->u.bind.account, pkey = cmd->u.bind.patient;
    uint32_t ai = ledger__account_find(l, akey);
    uint32_t patient = ledger__patient_find(l, pkey.p, pkey.len);
    const struct pext *x = ledger__pext_get(l, patient);
    if (ai == NONE || x == NULL || x->account != ai) {
        return SLOT_NOT_BOUND;
    }
    struct account *a = &l->accounts[ai];
    bool open = a->n_changes > 0 &&
                a->changes[a->n_changes - 1].at_ms + DAY_MS > l->time_ms;
    if (open) {
        if (a->changes[a->n_changes - 1].unbinds >=
            l->config.account_change_patients_max) {
            res->a = SLOT_ACCOUNT_CHANGE_PATIENTS;
            return SLOT_ACCOUNT_LIMIT;
        }
        a->changes[a->n_changes - 1].unbinds++;
    } else {
        uint64_t window =
            (uint64_t)l->config.account_change_window_days * DAY_MS;
        uint32_t n = 0;
        for (uint8_t i = 0; i < a->n_changes; i++) {
            n += a->changes[i].at_ms + window > l->time_ms;
        }
        if (n >= l->config.account_changes_max) {
            res->a = SLOT_ACCOUNT_CHANGES;
            return SLOT_ACCOUNT_LIMIT;
        }
        if (a->n_changes == SLOT_ACCOUNT_CHANGES_KEPT) {
            memmove(a->changes, a->changes + 1,
                    (SLOT_ACCOUNT_CHANGES_KEPT - 1) * sizeof a->changes[0]);
            a->n_changes--;
        }
        a->changes[a->n_changes].at_ms = l->time_ms;
        a->changes[a->n_changes].unbinds = 1;
        a->n_changes++;
    }
    uint8_t keep = 0;
    for (uint8_t i = 0; i < a->n_patients; i++) {
        if (a->patients[i] != patient) {
            a->patients[keep++] = a->patients[i];
        }
    }
    a->n_patients = keep;
    /* While still bound: the event names the account left. */
    ledger__event(l, SLOT_EV_ACCOUNT_UNBOUND, NONE, 0, patient, NONE, NONE, 0,
                  0);
    ledger__pext(l, patient)->account = NONE;
    res->a = a->n_patients;
    return SLOT_OK;
}

/* ---- reads ---------------------------------------------------------------- */

struct claimlist {
    const struct ledger *l;
    uint32_t *ids; /* claim indexes */
    uint32_t n;
};

static bool countOne(const void *ctx, uint32_t ci)
{
    struct claimlist *cl = (struct claimlist *)ctx;
    cl->n += !ledger__claim_due(cl->l, &cl->l->claims[ci]);
    return false;
}

static bool collectOne(const void *ctx, uint32_t ci)
{
    struct claimlist *cl = (struct claimlist *)ctx;
    if (!ledger__claim_due(cl->l, &cl->l->claims[ci])) {
        cl->ids[cl->n++] = ci;
    }
    return false;
}

void ledger_read_patient_info(const struct ledger *l, struct slot_str patient,
                              struct slot_patient_info *out)
{
    struct slot_claim *claims = out->claims;
    uint32_t cap = out->claims_cap;
    memset(out, 0, sizeof *out);
    out->claims = claims;
    out->claims_cap = cap;
    ledger__copy_str(out->patient, patient);
    uint32_t pi = ledger__patient_find(l, patient.p, patient.len);
    if (pi == NONE) {
        return;
    }
    /* Every active claim, then the first cap by id (claim ids grow in
     * apply order, so this is also the order they were made in). */
    struct claimlist cl = {l, NULL, 0};
    (void)ledger__pa_find(l, pi, countOne, &cl);
    cl.ids = ledger__realloc(NULL, (size_t)(cl.n + 1) * sizeof *cl.ids);
    cl.n = 0;
    (void)ledger__pa_find(l, pi, collectOne, &cl);
    for (uint32_t i = 1; i < cl.n; i++) { /* insertion sort: n is small */
        uint32_t v = cl.ids[i], k = i;
        while (k > 0 && l->claims[cl.ids[k - 1]].id > l->claims[v].id) {
            cl.ids[k] = cl.ids[k - 1];
            k--;
        }
        cl.ids[k] = v;
    }
    for (uint32_t i = 0; i < cl.n && out->n_claims < cap && claims != NULL;
         i++) {
        ledger__claim_out(l, &l->claims[cl.ids[i]], &claims[out->n_claims++]);
    }
    free(cl.ids);
    const struct pext *x = ledger__pext_get(l, pi);
    if (x == NULL) {
        return;
    }
    if (x->account != NONE) {
        ledger__copy_str(out->account, ledger__account_str(l, x->account));
    }
    for (uint8_t i = 0; i < x->n_violations; i++) {
        struct slot_violation *v = &out->violations[out->n_violations++];
        v->at_ms = x->violations[i].at_ms;
        v->kind = x->violations[i].kind;
        ledger__copy_str(
            v->hospital,
            (struct slot_str){l->hospitals[x->violations[i].hospital].id,
                              l->hospitals[x->violations[i].hospital].id_len});
    }
    /* One standing per hospital with violations or a standing entry. */
    uint32_t hs[2 * SLOT_VIOLATIONS_KEPT], nh = 0;
    for (uint8_t i = 0; i < x->n_standings; i++) {
        hs[nh++] = x->standings[i].hospital;
    }
    for (uint8_t i = 0; i < x->n_violations; i++) {
        bool seen = false;
        for (uint32_t k = 0; k < nh; k++) {
            seen = seen || hs[k] == x->violations[i].hospital;
        }
        if (!seen) {
            hs[nh++] = x->violations[i].hospital;
        }
    }
    for (uint32_t k = 0; k < nh && out->n_standing < SLOT_VIOLATIONS_KEPT;
         k++) {
        const struct hospital *h = &l->hospitals[hs[k]];
        const struct pstanding *st = standingAt(x, hs[k]);
        struct slot_standing *o = &out->standing[out->n_standing++];
        ledger__copy_str(o->hospital, (struct slot_str){h->id, h->id_len});
        o->violations = violationsInWindow(l, x, hs[k]);
        o->threshold = h->rules.patient.violation_threshold;
        o->blacklisted_until_ms =
            st != NULL && st->until_ms > l->time_ms ? st->until_ms : 0;
        o->exception = st != NULL && st->exception;
        o->warning = o->threshold > 0 && o->blacklisted_until_ms == 0 &&
                     o->violations + 1 == o->threshold;
    }
    out->n_cancels = x->n_cancels;
    memcpy(out->cancels_ms, x->cancels_ms, x->n_cancels * sizeof(uint64_t));
}

void ledger_read_account(const struct ledger *l, struct slot_str account,
                         struct slot_account_info *out)
{
    memset(out, 0, sizeof *out);
    ledger__copy_str(out->account, account);
    uint32_t ai = ledger__account_find(l, account);
    if (ai == NONE) {
        return;
    }
    const struct account *a = &l->accounts[ai];
    for (uint8_t i = 0; i < a->n_patients; i++) {
        const struct patient *p = &l->patients[a->patients[i]];
        ledger__copy_str(out->patients[out->n_patients++],
                         (struct slot_str){l->pkeys + p->key_off, p->key_len});
    }
    for (uint8_t i = 0; i < a->n_changes; i++) {
        out->changes[i].at_ms = a->changes[i].at_ms;
        out->changes[i].unbinds = a->changes[i].unbinds;
    }
    out->n_changes = a->n_changes;
}

void ledger_read_staff_log(const struct ledger *l, uint64_t after,
                           uint32_t limit, struct slot_staff_entry *out,
                           uint32_t *n)
{
    *n = 0;
    for (uint32_t i = 0; i < l->staff_len && *n < limit; i++) {
        const struct staff *e =
            &l->staff[(l->staff_head + i) % LEDGER_STAFF_LOG_MAX];
        if (e->seq <= after) {
            continue;
        }
        struct slot_staff_entry *o = &out[(*n)++];
        memset(o, 0, sizeof *o);
        o->seq = e->seq;
        o->at_ms = e->at_ms;
        o->op = e->op;
        o->kind = e->kind;
        if (e->hospital != NONE) {
            const struct hospital *h = &l->hospitals[e->hospital];
            ledger__copy_str(o->hospital, (struct slot_str){h->id, h->id_len});
        }
        if (e->patient != NONE) {
            const struct patient *p = &l->patients[e->patient];
            ledger__copy_str(
                o->patient,
                (struct slot_str){l->pkeys + p->key_off, p->key_len});
        }
        if (e->pool != NONE) {
            const struct pool *p = &l->pools[e->pool];
            ledger__copy_str(o->pool, (struct slot_str){p->id, p->id_len});
        }
        strcpy(o->operator_name, e->operator_name);
        strcpy(o->reason, e->reason);
    }
}
