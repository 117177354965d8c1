/* schedule: SCHEDULE_IMPORT and its dry run, READ_SCHEDULE_CHECK (ledger.h).
 *
 * A hospital publishes a doctor's (or a department's) week as one request:
 * a template of segments repeated over days. The import is atomic and
 * idempotent: every pool it names either exists with exactly the fields
 * the template gives it (unchanged), or does not exist (created); a pool
 * that exists with other fields is a conflict and the whole import is
 * refused, so a half-applied schedule never exists and re-sending one
 * after a timeout is safe.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledgerInt.h"
#include "slot_time.h"

/* The pool spec of (day, segment); its id is written into id. */
static void templateSpec(const struct slot_template *t, uint32_t day,
                         const struct slot_segment *seg, int32_t offset_min,
                         char id[SLOT_POOL_ID_MAX + 1],
                         struct slot_pool_spec *sp)
{
    memset(sp, 0, sizeof *sp);
    uint32_t len = slot_template_pool_id(t, day, seg, id);
    sp->pool = (struct slot_str){id, len};
    sp->capacity = seg->capacity;
    sp->kind = t->kind;
    sp->fee_cents = t->fee_cents;
    sp->seg_start_ms = slot_utc_ms_of(day, seg->start_minute, offset_min);
    sp->seg_end_ms = slot_utc_ms_of(day, seg->end_minute, offset_min);
    for (uint32_t i = 0; i < t->n_shares; i++) {
        uint32_t slots =
            (uint32_t)((uint64_t)seg->capacity * t->shares[i].permille / 1000u);
        if (slots > 0) {
            sp->shares[sp->n_shares++] =
                (struct slot_share){t->shares[i].name, slots};
        }
    }
    sp->has_sched = true;
    sp->sched = t->sched;
    sp->sched.visit_day = day;
}

static bool strIs(struct slot_str a, struct slot_str b)
{
    return a.len == b.len && memcmp(a.p, b.p, a.len) == 0;
}

static bool namesSame(const struct ledger *l, const uint8_t *have, uint8_t n,
                      const struct slot_str *want, uint32_t n_want)
{
    if (n != n_want) {
        return false;
    }
    for (uint8_t i = 0; i < n; i++) {
        if (!strIs(ledger__channel_str(l, have[i]), want[i])) {
            return false;
        }
    }
    return true;
}

/* Does the existing pool pi have exactly the fields of sp? Shares compare
 * by their spec (a flow-back moved capacity, not what was published). */
static bool sameAsSpec(const struct ledger *l, uint32_t pi,
                       const struct slot_pool_spec *sp, uint32_t hospital)
{
    const struct pool *p = &l->pools[pi];
    const struct place *pl = p->place;
    if (p->capacity != sp->capacity || p->kind != sp->kind ||
        p->fee_cents != sp->fee_cents || p->seg_start_ms != sp->seg_start_ms ||
        p->seg_end_ms != sp->seg_end_ms ||
        p->release_at_ms != sp->release_at_ms || p->n_shares != sp->n_shares ||
        pl == NULL || pl->hospital != hospital) {
        return false;
    }
    for (uint32_t i = 0; i < sp->n_shares; i++) {
        if (p->shares[i].spec != sp->shares[i].slots ||
            !strIs(ledger__channel_str(l, p->shares[i].channel),
                   sp->shares[i].channel)) {
            return false;
        }
    }
    const struct slot_sched *s = &sp->sched;
    return strIs(ledger__name_str(l, pl->campus), s->campus) &&
           strIs(ledger__name_str(l, pl->department), s->department) &&
           strIs(ledger__name_str(l, pl->doctor), s->doctor) &&
           pl->visit_day == s->visit_day && pl->pay_mode == s->pay_mode &&
           pl->visit_slot_ms == s->visit_slot_ms &&
           namesSame(l, pl->eligible, pl->n_eligible, s->eligible,
                     s->n_eligible) &&
           namesSame(l, pl->rem_allow, pl->n_rem_allow, s->rem_allow,
                     s->n_rem_allow);
}

/* What importing t would do; conflicting ids into ids[0..cap). */
struct plan {
    uint32_t hospital;
    uint32_t fresh, same, conflicts;
    int32_t offset_min;
    uint32_t *days;
    struct slot_segment *segs;
};

static int planOf(const struct ledger *l, const struct slot_template *t,
                  struct plan *pl, char (*ids)[SLOT_POOL_ID_MAX + 1],
                  uint32_t cap)
{
    memset(pl, 0, sizeof *pl);
    pl->hospital = ledger__hospital_find(l, t->sched.hospital);
    if (pl->hospital == NONE) {
        return SLOT_UNKNOWN_HOSPITAL;
    }
    pl->offset_min = l->hospitals[pl->hospital].rules.utc_offset_min;
    pl->days = ledger__realloc(NULL, t->n_days * sizeof *pl->days);
    pl->segs = ledger__realloc(NULL, t->n_segments * sizeof *pl->segs);
    slot_template_days(t, pl->days);
    slot_template_segments(t, pl->segs);
    for (uint32_t d = 0; d < t->n_days; d++) {
        for (uint32_t s = 0; s < t->n_segments; s++) {
            char id[SLOT_POOL_ID_MAX + 1];
            struct slot_pool_spec sp;
            templateSpec(t, pl->days[d], &pl->segs[s], pl->offset_min, id, &sp);
            uint32_t pi = ledger__pool_find(l, sp.pool.p, sp.pool.len);
            if (pi == NONE) {
                pl->fresh++;
            } else if (sameAsSpec(l, pi, &sp, pl->hospital)) {
                pl->same++;
            } else {
                if (pl->conflicts < cap) {
                    memcpy(ids[pl->conflicts], id, sp.pool.len + 1);
                }
                pl->conflicts++;
            }
        }
    }
    return SLOT_OK;
}

static void planFree(struct plan *pl)
{
    free(pl->days);
    free(pl->segs);
}

int ledger__schedule_import(struct ledger *l, const struct slot_cmd *cmd,
                            struct slot_result *res)
{
    const struct slot_template *t = &cmd->u.import;
    struct plan pl;
    int rc = planOf(l, t, &pl, NULL, 0);
    if (rc != SLOT_OK) {
        return rc;
    }
    if (pl.conflicts > 0) {
        res->a = pl.conflicts;
        planFree(&pl);
        return SLOT_SCHEDULE_CONFLICT;
    }
    /* Every pool of a template names the same places and lists, but not
     * the same shares: a share of floor(capacity * permille / 1000) = 0
     * is left out. The segment of the largest capacity has every share
     * any pool has, so its spec tells what the tables must take. */
    char id[SLOT_POOL_ID_MAX + 1];
    struct slot_pool_spec sp;
    uint32_t extra_ch = 0, extra_names = 0, big = 0;
    for (uint32_t s = 1; s < t->n_segments; s++) {
        if (pl.segs[s].capacity > pl.segs[big].capacity) {
            big = s;
        }
    }
    templateSpec(t, pl.days[0], &pl.segs[big], pl.offset_min, id, &sp);
    if (l->n_pools + pl.fresh > LEDGER_POOLS_MAX ||
        (pl.fresh > 0 &&
         ledger__spec_fits(l, &sp, &extra_ch, &extra_names) != SLOT_OK)) {
        planFree(&pl);
        return SLOT_LIMIT_REACHED;
    }
    for (uint32_t d = 0; d < t->n_days; d++) {
        for (uint32_t s = 0; s < t->n_segments; s++) {
            templateSpec(t, pl.days[d], &pl.segs[s], pl.offset_min, id, &sp);
            if (ledger__pool_find(l, sp.pool.p, sp.pool.len) == NONE) {
                ledger__pool_event(l, ledger__pool_insert(l, &sp, pl.hospital),
                                   SLOT_EV_POOL_CREATED, 0, 0);
            }
        }
    }
    res->a = pl.fresh;
    res->b = pl.same;
    planFree(&pl);
    return SLOT_OK;
}

int ledger_read_schedule_check(const struct ledger *l,
                               const struct slot_template *t, uint32_t *fresh,
                               uint32_t *same,
                               char (*ids)[SLOT_POOL_ID_MAX + 1], uint32_t cap,
                               uint32_t *n_conflicts)
{
    struct plan pl;
    int rc = planOf(l, t, &pl, ids, cap);
    *fresh = pl.fresh;
    *same = pl.same;
    *n_conflicts = pl.conflicts;
    if (rc == SLOT_OK) {
        planFree(&pl);
    }
    return rc;
}
