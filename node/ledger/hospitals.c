/* hospitals: hospitals and their rule sets (RULES_SET, the rules reads),
 * the rules that apply to a pool, each hospital's schedule index (its
 * pools by visit day) and the pool query (ledger.h, "Hospitals, schedules
 * and their rules").
 *
 * Hospitals are few (LEDGER_HOSPITALS_MAX) and looked up by name only by
 * admin commands and reads; a pool keeps its hospital's index, so HOLD
 * reaches its rules without a lookup. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledgerInt.h"
#include "slot_time.h"

static bool sstrIs(struct slot_str a, const char *z, size_t zlen)
{
    return a.len == zlen && memcmp(a.p, z, zlen) == 0;
}

uint32_t ledger__hospital_find(const struct ledger *l, struct slot_str id)
{
    for (uint32_t i = 0; i < l->n_hospitals; i++) {
        if (sstrIs(id, l->hospitals[i].id, l->hospitals[i].id_len)) {
            return i;
        }
    }
    return NONE;
}

static const struct dept_rules *overrideOf(const struct hospital *h,
                                           uint32_t department)
{
    for (uint32_t i = 0; department != NONE && i < h->n_overrides; i++) {
        if (h->overrides[i].department == department) {
            return &h->overrides[i];
        }
    }
    return NULL;
}

const struct slot_rules *ledger__rules_of(const struct ledger *l,
                                          const struct pool *p)
{
    if (p->place == NULL) {
        return NULL;
    }
    const struct hospital *h = &l->hospitals[p->place->hospital];
    const struct dept_rules *o = overrideOf(h, p->place->department);
    return o != NULL ? &o->rules : &h->rules;
}

/* ---- the schedule index ---------------------------------------------------- */

/* A pool's place in the query's order: (visit_day, seg_start_ms,
 * department, doctor, pool id). */
int ledger__query_cmp(const struct ledger *l, uint32_t a, uint32_t b)
{
    const struct pool *x = &l->pools[a], *y = &l->pools[b];
    if (x->place->visit_day != y->place->visit_day) {
        return x->place->visit_day < y->place->visit_day ? -1 : 1;
    }
    if (x->seg_start_ms != y->seg_start_ms) {
        return x->seg_start_ms < y->seg_start_ms ? -1 : 1;
    }
    struct slot_str s[4] = {ledger__name_str(l, x->place->department),
                            ledger__name_str(l, y->place->department),
                            ledger__name_str(l, x->place->doctor),
                            ledger__name_str(l, y->place->doctor)};
    for (int k = 0; k < 4; k += 2) {
        uint32_t n = s[k].len < s[k + 1].len ? s[k].len : s[k + 1].len;
        int c = memcmp(s[k].p, s[k + 1].p, n);
        if (c != 0 || s[k].len != s[k + 1].len) {
            return c != 0 ? c : (s[k].len < s[k + 1].len ? -1 : 1);
        }
    }
    uint32_t n = x->id_len < y->id_len ? x->id_len : y->id_len;
    int c = memcmp(x->id, y->id, n);
    return c != 0 ? c : (x->id_len < y->id_len ? -1 : x->id_len > y->id_len);
}

/* Position of `day` in h->days, or where it would go. */
static uint32_t dayPos(const struct hospital *h, uint32_t day)
{
    uint32_t lo = 0, hi = h->n_days;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (h->days[mid].day < day) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

void ledger__sched_index_add(struct ledger *l, uint32_t pi)
{
    const struct place *pl = l->pools[pi].place;
    struct hospital *h = &l->hospitals[pl->hospital];
    uint32_t at = dayPos(h, pl->visit_day);
    if (at == h->n_days || h->days[at].day != pl->visit_day) {
        /* A new day: days per hospital are few (a schedule spans months),
         * so the sorted array's memmove is cheap. */
        LEDGER_GROW(h->days, h->days_cap, h->n_days);
        memmove(&h->days[at + 1], &h->days[at],
                (h->n_days - at) * sizeof *h->days);
        memset(&h->days[at], 0, sizeof h->days[at]);
        h->days[at].day = pl->visit_day;
        h->n_days++;
    }
    /* Each day's pools stay in query order (ledger__query_cmp): a page
     * is a walk from the "after" pool, never a sort. The insertion's
     * memmove is O(a day's clinics). */
    struct hday *d = &h->days[at];
    LEDGER_GROW(d->pools, d->cap, d->n);
    uint32_t lo = 0, hi = d->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (ledger__query_cmp(l, d->pools[mid], pi) < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    memmove(&d->pools[lo + 1], &d->pools[lo], (d->n - lo) * sizeof *d->pools);
    d->pools[lo] = pi;
    d->n++;
    h->n_pools++;
}

void ledger__sched_index_remove(struct ledger *l, uint32_t pi)
{
    const struct place *pl = l->pools[pi].place;
    struct hospital *h = &l->hospitals[pl->hospital];
    uint32_t at = dayPos(h, pl->visit_day);
    assert(at < h->n_days && h->days[at].day == pl->visit_day);
    struct hday *d = &h->days[at];
    uint32_t k = 0;
    while (k < d->n && d->pools[k] != pi) {
        k++;
    }
    assert(k < d->n);
    /* A linear search: the pool's key may have changed already (an
     * update re-files the pool after changing its fields). */
    memmove(&d->pools[k], &d->pools[k + 1], (d->n - k - 1) * sizeof *d->pools);
    d->n--;
    h->n_pools--;
    if (d->n == 0) {
        free(d->pools);
        memmove(&h->days[at], &h->days[at + 1],
                (h->n_days - at - 1) * sizeof *h->days);
        h->n_days--;
    }
}

/* ---- RULES_SET --------------------------------------------------------------- */

static void copyText(char *dst, size_t cap, struct slot_str s)
{
    assert(s.len < cap);
    memcpy(dst, s.p, s.len);
    dst[s.len] = '\0';
}

static void logChange(struct hospital *h, uint32_t department,
                      const struct slot_cmd *cmd, const struct slot_rules *r,
                      uint64_t now)
{
    if (h->log == NULL) {
        h->log = ledger__realloc(NULL, LEDGER_RULES_LOG_MAX * sizeof *h->log);
    }
    uint32_t at = (h->log_head + h->log_len) % LEDGER_RULES_LOG_MAX;
    if (h->log_len == LEDGER_RULES_LOG_MAX) {
        h->log_head = (h->log_head + 1) % LEDGER_RULES_LOG_MAX;
    } else {
        h->log_len++;
    }
    struct rules_change *c = &h->log[at];
    memset(c, 0, sizeof *c);
    c->version = h->version;
    c->department = department;
    c->changed_at_ms = now;
    copyText(c->operator_name, sizeof c->operator_name,
             cmd->u.rules.operator_name);
    copyText(c->reason, sizeof c->reason, cmd->u.rules.reason);
    c->rules = *r;
}

/* Recomputes the flow-back due time of every pool the change applies to
 * (all of the hospital's, or one department's). O(pools of the hospital):
 * rule changes are rare admin commands. */
static void reschedule(struct ledger *l, uint32_t hi, uint32_t department)
{
    const struct hospital *h = &l->hospitals[hi];
    for (uint32_t d = 0; d < h->n_days; d++) {
        for (uint32_t k = 0; k < h->days[d].n; k++) {
            uint32_t pi = h->days[d].pools[k];
            if (department == NONE ||
                l->pools[pi].place->department == department) {
                ledger__flow_schedule(l, pi);
            }
        }
    }
}

static uint32_t hospitalAdd(struct ledger *l, struct slot_str id)
{
    uint32_t hi = l->n_hospitals++;
    LEDGER_GROW(l->hospitals, l->hospitals_cap, hi);
    struct hospital *h = &l->hospitals[hi];
    memset(h, 0, sizeof *h);
    copyText(h->id, sizeof h->id, id);
    h->id_len = (uint8_t)id.len;
    slot_rules_default(&h->rules);
    return hi;
}

int ledger__rules_set(struct ledger *l, const struct slot_cmd *cmd,
                      struct slot_result *res)
{
    struct slot_rules r;
    struct mp_reader rd;
    mp_reader_init(&rd, cmd->u.rules.rules.p, cmd->u.rules.rules.len);
    int rc = slot_rules_decode(&rd, &r);
    assert(rc == SLOT_OK); /* validated by the decoder */
    (void)rc;
    uint32_t hi = ledger__hospital_find(l, cmd->u.rules.hospital);
    uint32_t dept = NONE;
    struct slot_str dname = cmd->u.rules.department;
    if (dname.len == 0) {
        if (hi == NONE && l->n_hospitals >= LEDGER_HOSPITALS_MAX) {
            return SLOT_LIMIT_REACHED;
        }
        /* Pools' local dates were fixed under this offset, and its
         * departments' rules share it. */
        if (hi != NONE &&
            (l->hospitals[hi].n_pools > 0 ||
             l->hospitals[hi].n_overrides > 0) &&
            r.utc_offset_min != l->hospitals[hi].rules.utc_offset_min) {
            return SLOT_INVALID_ARGUMENT;
        }
    } else {
        if (hi == NONE) {
            return SLOT_UNKNOWN_HOSPITAL;
        }
        const struct hospital *h = &l->hospitals[hi];
        if (r.utc_offset_min != h->rules.utc_offset_min) {
            return SLOT_INVALID_ARGUMENT; /* one hospital, one offset */
        }
        dept = ledger__name_find(l, dname);
        bool fresh = dept == NONE || overrideOf(h, dept) == NULL;
        if ((dept == NONE && l->n_names >= LEDGER_NAMES_MAX) ||
            (fresh && h->n_overrides >= LEDGER_OVERRIDES_MAX)) {
            return SLOT_LIMIT_REACHED;
        }
        dept = ledger__name_intern(l, dname);
    }
    if (hi == NONE) {
        hi = hospitalAdd(l, cmd->u.rules.hospital);
    }
    struct hospital *h = &l->hospitals[hi];
    h->version++;
    if (dept == NONE) {
        h->rules = r;
        h->rules_version = h->version;
        h->changed_at_ms = l->time_ms;
        copyText(h->operator_name, sizeof h->operator_name,
                 cmd->u.rules.operator_name);
        copyText(h->reason, sizeof h->reason, cmd->u.rules.reason);
    } else {
        struct dept_rules *o = (struct dept_rules *)overrideOf(h, dept);
        if (o == NULL) {
            LEDGER_GROW(h->overrides, h->overrides_cap, h->n_overrides);
            o = &h->overrides[h->n_overrides++];
            memset(o, 0, sizeof *o);
            o->department = dept;
        }
        o->rules = r;
        o->version = h->version;
        o->changed_at_ms = l->time_ms;
        copyText(o->operator_name, sizeof o->operator_name,
                 cmd->u.rules.operator_name);
        copyText(o->reason, sizeof o->reason, cmd->u.rules.reason);
    }
    logChange(h, dept, cmd, &r, l->time_ms);
    reschedule(l, hi, dept);
    res->a = h->version;
    ledger__event(l, SLOT_EV_RULES_CHANGED, NONE, 0, NONE, NONE, hi, res->a, 0);
    return SLOT_OK;
}

/* ---- rules reads ------------------------------------------------------------- */

static void infoOf(const struct ledger *l, const char *department,
                   uint64_t version, uint64_t at, const char *op,
                   const char *reason, const struct slot_rules *r,
                   struct slot_rules_info *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->department, sizeof out->department, "%s", department);
    out->version = version;
    out->changed_at_ms = at;
    snprintf(out->operator_name, sizeof out->operator_name, "%s", op);
    snprintf(out->reason, sizeof out->reason, "%s", reason);
    out->rules = *r;
    (void)l;
}

int ledger_read_rules(const struct ledger *l, struct slot_str hospital,
                      struct slot_str department, struct slot_rules_info *out)
{
    uint32_t hi = ledger__hospital_find(l, hospital);
    if (hi == NONE) {
        return SLOT_UNKNOWN_HOSPITAL;
    }
    const struct hospital *h = &l->hospitals[hi];
    uint32_t dept =
        department.len > 0 ? ledger__name_find(l, department) : NONE;
    const struct dept_rules *o = overrideOf(h, dept);
    char dname[SLOT_NAME_MAX + 1];
    copyText(dname, sizeof dname, department);
    if (o != NULL) {
        infoOf(l, dname, o->version, o->changed_at_ms, o->operator_name,
               o->reason, &o->rules, out);
    } else {
        infoOf(l, "", h->rules_version, h->changed_at_ms, h->operator_name,
               h->reason, &h->rules, out);
        out->inherited = department.len > 0;
        snprintf(out->department, sizeof out->department, "%s", dname);
    }
    return SLOT_OK;
}

int ledger_read_rules_log(const struct ledger *l, struct slot_str hospital,
                          uint64_t after, uint32_t limit,
                          struct slot_rules_info *out, uint32_t *n)
{
    *n = 0;
    uint32_t hi = ledger__hospital_find(l, hospital);
    if (hi == NONE) {
        return SLOT_UNKNOWN_HOSPITAL;
    }
    const struct hospital *h = &l->hospitals[hi];
    for (uint32_t k = 0; k < h->log_len && *n < limit; k++) {
        const struct rules_change *c =
            &h->log[(h->log_head + k) % LEDGER_RULES_LOG_MAX];
        if (c->version <= after) {
            continue;
        }
        struct slot_str d = ledger__name_str(l, c->department);
        char dname[SLOT_NAME_MAX + 1];
        copyText(dname, sizeof dname, d);
        infoOf(l, dname, c->version, c->changed_at_ms, c->operator_name,
               c->reason, &c->rules, &out[(*n)++]);
    }
    return SLOT_OK;
}

/* ---- the pool query ---------------------------------------------------------- */

static bool queryMatch(const struct ledger *l, const struct pool *p,
                       const struct slot_read *rd)
{
    const struct place *pl = p->place;
    return (rd->department.len == 0 ||
            (pl->department != NONE &&
             sstrIs(rd->department, l->nkeys + l->names[pl->department],
                    l->nlens[pl->department]))) &&
           (rd->doctor.len == 0 ||
            (pl->doctor != NONE &&
             sstrIs(rd->doctor, l->nkeys + l->names[pl->doctor],
                    l->nlens[pl->doctor]))) &&
           (rd->kind == SLOT_KIND_ANY || rd->kind == p->kind);
}

int ledger_read_query(const struct ledger *l, const struct slot_read *rd,
                      struct slot_pool_status *out, uint32_t cap, uint32_t *n,
                      uint32_t *total)
{
    *n = *total = 0;
    uint32_t hi = ledger__hospital_find(l, rd->hospital);
    if (hi == NONE) {
        return SLOT_UNKNOWN_HOSPITAL;
    }
    const struct hospital *h = &l->hospitals[hi];
    uint32_t after = NONE;
    if (rd->pool.len > 0) {
        after = ledger__pool_find(l, rd->pool.p, rd->pool.len);
        if (after == NONE || l->pools[after].place == NULL ||
            l->pools[after].place->hospital != hi) {
            return SLOT_UNKNOWN_POOL;
        }
    }
    uint32_t limit = rd->limit < cap ? rd->limit : cap;
    uint32_t to = rd->date_to == 0 ? UINT32_MAX : rd->date_to;
    bool filtered = rd->department.len > 0 || rd->doctor.len > 0 ||
                    rd->kind != SLOT_KIND_ANY;
    uint32_t after_day = after == NONE ? 0 : l->pools[after].place->visit_day;
    for (uint32_t d = dayPos(h, rd->date_from);
         d < h->n_days && h->days[d].day <= to; d++) {
        const struct hday *hd = &h->days[d];
        if (!filtered && (*n >= limit || hd->day < after_day)) {
            *total += hd->n; /* counting a day needs no look at its pools */
            continue;
        }
        for (uint32_t k = 0; k < hd->n; k++) {
            uint32_t pi = hd->pools[k];
            if (!queryMatch(l, &l->pools[pi], rd)) {
                continue;
            }
            (*total)++;
            /* Days are in order and so are a day's pools: the page is the
             * matches after `after`, in walk order. */
            bool past =
                hd->day > after_day ||
                (hd->day == after_day && ledger__query_cmp(l, pi, after) > 0);
            if (*n < limit && (after == NONE || past)) {
                ledger__pool_status(l, pi, &out[(*n)++]);
            }
        }
    }
    return SLOT_OK;
}
