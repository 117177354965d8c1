/* money: pay methods, the reconciliation counters and the pools'
 * statistics (ledger.h, "Money and statistics").
 *
 * Why the ledger counts money at all, when every event already says what
 * moved: finance reconciles a day against something that cannot lose a
 * line. The feed's window forgets after a day and the archive is a file
 * someone could lose or truncate; the counters are replicated state,
 * moved by the same apply that makes the events, so "the archived events
 * of day D sum to the ledger's counters of day D" is a real check of the
 * archive, the feed and every tool in between.
 *
 * Every counter moves in ledger__money_count, called by
 * ledger__claim_event right after the event is in the feed: one place,
 * so a counter and its event cannot disagree about the day, the channel
 * or the method.
 *
 * The rows are a sorted array keyed (day, hospital, channel, method
 * index): a binary search per counted event, an insertion (memmove) the
 * first time a key appears in a day (tens of times a day), and dropping
 * old days from the front. The method index is this replica's interning
 * order, which a replica restored from a snapshot may not share: nothing
 * observable depends on the in-memory order (reads and snapshots sort by
 * names), only on the set of rows.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "ledgerInt.h"
#include "slot_time.h"

/* ---- pay methods ----------------------------------------------------------- */

uint32_t ledger__pay_method_find(const struct ledger *l, struct slot_str m)
{
    if (m.len == 0) {
        return PAY_NONE;
    }
    for (uint32_t i = 0; i < l->n_pay_methods; i++) {
        if (l->pay_method_len[i] == m.len &&
            memcmp(l->pay_methods[i], m.p, m.len) == 0) {
            return i;
        }
    }
    return NONE;
}

bool ledger__pay_method_fits(const struct ledger *l, struct slot_str m)
{
    return ledger__pay_method_find(l, m) != NONE ||
           l->n_pay_methods < LEDGER_PAY_METHODS_MAX;
}

uint8_t ledger__pay_method_intern(struct ledger *l, struct slot_str m)
{
    uint32_t mi = ledger__pay_method_find(l, m);
    if (mi != NONE) {
        return (uint8_t)mi;
    }
    assert(l->n_pay_methods < LEDGER_PAY_METHODS_MAX &&
           m.len <= SLOT_PAY_METHOD_MAX);
    mi = l->n_pay_methods++;
    memcpy(l->pay_methods[mi], m.p, m.len);
    l->pay_method_len[mi] = (uint8_t)m.len;
    return (uint8_t)mi;
}

struct slot_str ledger__pay_method_str(const struct ledger *l, uint8_t mi)
{
    if (mi == PAY_NONE) {
        return (struct slot_str){"", 0};
    }
    assert(mi < l->n_pay_methods);
    return (struct slot_str){l->pay_methods[mi], l->pay_method_len[mi]};
}

void ledger__payment_set(struct ledger *l, uint32_t ci, struct slot_str ref,
                         struct slot_str method)
{
    assert(ref.len > 0 && l->claims[ci].payref == NONE);
    uint8_t mi = ledger__pay_method_intern(l, method);
    const struct pool *p = &l->pools[l->claims[ci].pool];
    l->claims[ci].payref =
        ledger__payref_alloc(l, ref.p, ref.len, mi, (uint32_t)p->fee_cents);
}

/* ---- reconciliation rows --------------------------------------------------- */

static int keyCmp(const struct recon *r, uint32_t day, uint32_t hospital,
                  uint8_t channel, uint8_t method)
{
    if (r->day != day) {
        return r->day < day ? -1 : 1;
    }
    if (r->hospital != hospital) {
        return r->hospital < hospital ? -1 : 1;
    }
    if (r->channel != channel) {
        return r->channel < channel ? -1 : 1;
    }
    return r->method < method ? -1 : r->method > method;
}

/* Where the key is, or would go: the first row not less than it. */
static uint32_t rowAt(const struct ledger *l, uint32_t day, uint32_t hospital,
                      uint8_t channel, uint8_t method)
{
    uint32_t lo = 0, hi = l->n_recons;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (keyCmp(&l->recons[mid], day, hospital, channel, method) < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* Drops the rows of days before `day` (they are at the front). */
static void dropBefore(struct ledger *l, uint32_t day)
{
    uint32_t n = 0;
    while (n < l->n_recons && l->recons[n].day < day) {
        n++;
    }
    if (n > 0) {
        memmove(l->recons, l->recons + n,
                (l->n_recons - n) * sizeof *l->recons);
        l->n_recons -= n;
    }
    l->recon_kept_from = day;
}

struct recon *ledger__recon_row(struct ledger *l, uint32_t day,
                                uint32_t hospital, uint8_t channel,
                                uint8_t method)
{
    if (day < l->recon_kept_from) {
        return NULL; /* forgotten already: nothing older is counted */
    }
    uint32_t lo = rowAt(l, day, hospital, channel, method);
    if (lo < l->n_recons &&
        keyCmp(&l->recons[lo], day, hospital, channel, method) == 0) {
        return &l->recons[lo];
    }
    /* A new key: first make room by age, then by count. */
    if (day >= LEDGER_RECON_DAYS_KEPT &&
        day - LEDGER_RECON_DAYS_KEPT + 1 > l->recon_kept_from) {
        dropBefore(l, day - LEDGER_RECON_DAYS_KEPT + 1);
    }
    if (l->n_recons >= LEDGER_RECON_ROWS_MAX) {
        /* A day has at most hospitals x channels x methods rows, fewer
         * than the maximum: the oldest day is never `day` itself. */
        assert(l->recons[0].day < day);
        dropBefore(l, l->recons[0].day + 1);
    }
    if (day < l->recon_kept_from) {
        return NULL;
    }
    /* Positions moved if rows were dropped: search again. */
    lo = rowAt(l, day, hospital, channel, method);
    LEDGER_GROW(l->recons, l->recons_cap, l->n_recons);
    memmove(l->recons + lo + 1, l->recons + lo,
            (l->n_recons - lo) * sizeof *l->recons);
    l->n_recons++;
    l->recons[lo] = (struct recon){
        .day = day, .hospital = hospital, .channel = channel, .method = method};
    return &l->recons[lo];
}

void ledger__money_count(struct ledger *l, uint32_t ci, uint8_t type,
                         uint64_t a, uint64_t b, uint32_t local_day)
{
    const struct claim *c = &l->claims[ci];
    struct place *pl = l->pools[c->pool].place;
    struct pool_stats none = {0};
    struct pool_stats *st = pl != NULL ? &pl->stats : &none;
    uint64_t fee = 0;
    uint8_t method = PAY_NONE;
    if (c->payref != NONE) {
        struct payref pr = ledger__payref(l, c->payref);
        fee = pr.fee_cents;
        method = pr.method;
    }
    bool counted = type == SLOT_EV_BOOKED || type == SLOT_EV_CHECKED_IN ||
                   type == SLOT_EV_CANCELLED || type == SLOT_EV_MOVED ||
                   type == SLOT_EV_NO_SHOW;
    if (!counted) {
        return; /* holds, offers, releases and expiries move no money */
    }
    /* A MOVE's BOOKED: the booking moved, no new money (MOVED counted it
     * on the old claim); the target pool has one more booking. */
    bool moved_in =
        type == SLOT_EV_BOOKED && ledger__claim_visit(l, c).moved_from != 0;
    switch (type) {
        case SLOT_EV_BOOKED:
            st->booked++;
            break;
        case SLOT_EV_CHECKED_IN:
            st->checked_in++;
            break;
        case SLOT_EV_CANCELLED:
            if (a) {
                st->refunded++;
            } else {
                st->cancelled++;
            }
            break;
        case SLOT_EV_MOVED:
            st->moved++;
            break;
        default:
            st->no_show++;
            break;
    }
    if (moved_in) {
        return;
    }
    struct recon *r = ledger__recon_row(
        l, local_day, pl != NULL ? pl->hospital : NONE, c->channel, method);
    if (r == NULL) {
        return;
    }
    switch (type) {
        case SLOT_EV_BOOKED:
            r->booked++;
            r->booked_cents += fee;
            break;
        case SLOT_EV_CHECKED_IN:
            r->checked_in++;
            if (b) {
                r->checkin_paid++;
                r->checkin_paid_cents += fee;
            }
            break;
        case SLOT_EV_CANCELLED:
            if (a) {
                r->refunded++;
                r->refunded_cents += fee;
            } else {
                r->cancelled++;
                r->cancelled_cents += fee;
            }
            break;
        case SLOT_EV_MOVED:
            r->moved++;
            break;
        default:
            r->no_show++;
            break;
    }
}

/* ---- reads ----------------------------------------------------------------- */

static struct slot_str hospitalStr(const struct ledger *l, uint32_t hi)
{
    if (hi == NONE) {
        return (struct slot_str){"", 0};
    }
    return (struct slot_str){l->hospitals[hi].id, l->hospitals[hi].id_len};
}

static bool strEq(struct slot_str a, struct slot_str b)
{
    return a.len == b.len && memcmp(a.p, b.p, a.len) == 0;
}

int ledger__str_cmp(struct slot_str a, struct slot_str b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = memcmp(a.p, b.p, n);
    return c != 0 ? c : (a.len > b.len) - (a.len < b.len);
}

static int reconOutCmp(const void *x, const void *y)
{
    const struct slot_recon_row *a = x, *b = y;
    int c = strcmp(a->hospital, b->hospital);
    if (c == 0) {
        c = strcmp(a->channel, b->channel);
    }
    return c != 0 ? c : strcmp(a->pay_method, b->pay_method);
}

static void reconOut(const struct ledger *l, const struct recon *r,
                     struct slot_recon_row *out)
{
    memset(out, 0, sizeof *out);
    out->day = r->day;
    ledger__copy_str(out->hospital, hospitalStr(l, r->hospital));
    ledger__copy_str(out->channel, ledger__channel_str(l, r->channel));
    ledger__copy_str(out->pay_method, ledger__pay_method_str(l, r->method));
    out->booked = r->booked;
    out->booked_cents = r->booked_cents;
    out->checkin_paid = r->checkin_paid;
    out->checkin_paid_cents = r->checkin_paid_cents;
    out->checked_in = r->checked_in;
    out->cancelled = r->cancelled;
    out->cancelled_cents = r->cancelled_cents;
    out->refunded = r->refunded;
    out->refunded_cents = r->refunded_cents;
    out->moved = r->moved;
    out->no_show = r->no_show;
}

void ledger_read_recon(const struct ledger *l, uint32_t day,
                       struct slot_str hospital, struct slot_str channel,
                       uint32_t after, uint32_t limit,
                       struct slot_recon_row *out, uint32_t *n, uint32_t *total,
                       uint32_t *kept_from)
{
    *n = 0;
    *total = 0;
    *kept_from = l->recon_kept_from;
    /* The day's rows are contiguous (the day's first key sorts first);
     * collect the matches, sort them by names. */
    uint32_t lo = rowAt(l, day, 0, 0, 0);
    uint32_t end = lo;
    while (end < l->n_recons && l->recons[end].day == day) {
        end++;
    }
    if (end == lo) {
        return;
    }
    struct slot_recon_row *all =
        ledger__realloc(NULL, (end - lo) * sizeof *all);
    uint32_t m = 0;
    for (uint32_t i = lo; i < end; i++) {
        const struct recon *r = &l->recons[i];
        if ((hospital.len > 0 &&
             !strEq(hospital, hospitalStr(l, r->hospital))) ||
            (channel.len > 0 &&
             !strEq(channel, ledger__channel_str(l, r->channel)))) {
            continue;
        }
        reconOut(l, r, &all[m++]);
    }
    qsort(all, m, sizeof *all, reconOutCmp);
    *total = m;
    for (uint32_t i = after; i < m && *n < limit; i++) {
        out[(*n)++] = all[i];
    }
    free(all);
}

/* ---- statistics ------------------------------------------------------------ */

/* A scheduled pool of the read, by its group's order. */
struct statPool {
    uint32_t day;
    struct slot_str hospital, department;
    uint32_t pi;
};

static int statPoolCmp(const void *x, const void *y)
{
    const struct statPool *a = x, *b = y;
    if (a->day != b->day) {
        return a->day < b->day ? -1 : 1;
    }
    int c = ledger__str_cmp(a->hospital, b->hospital);
    return c != 0 ? c : ledger__str_cmp(a->department, b->department);
}

void ledger_read_stats(const struct ledger *l, struct slot_str hospital,
                       uint32_t date_from, uint32_t date_to, uint32_t after,
                       uint32_t limit, struct slot_stats_row *out, uint32_t *n,
                       uint32_t *total)
{
    *n = 0;
    *total = 0;
    uint32_t m = 0;
    struct statPool *sp = NULL;
    uint32_t sp_cap = 0;
    for (uint32_t pi = 0; pi < l->n_pools; pi++) {
        const struct place *pl = l->pools[pi].place;
        if (pl == NULL || pl->visit_day < date_from ||
            pl->visit_day > date_to) {
            continue;
        }
        struct slot_str h = hospitalStr(l, pl->hospital);
        if (hospital.len > 0 && !strEq(hospital, h)) {
            continue;
        }
        LEDGER_GROW(sp, sp_cap, m);
        sp[m++] = (struct statPool){pl->visit_day, h,
                                    ledger__name_str(l, pl->department), pi};
    }
    if (m > 0) { /* (sp is NULL when nothing matched) */
        qsort(sp, m, sizeof *sp, statPoolCmp);
    }
    struct slot_stats_row row;
    for (uint32_t i = 0; i < m; i++) {
        if (i == 0 || statPoolCmp(&sp[i - 1], &sp[i]) != 0) {
            memset(&row, 0, sizeof row);
            row.visit_day = sp[i].day;
            ledger__copy_str(row.hospital, sp[i].hospital);
            ledger__copy_str(row.department, sp[i].department);
        }
        const struct pool *p = &l->pools[sp[i].pi];
        const struct pool_stats *st = &p->place->stats;
        row.pools++;
        row.capacity += p->capacity;
        if (l->time_ms >= ledger__opens_at(l, p)) {
            row.released += p->capacity;
        }
        for (uint32_t k = 0; k < p->n_shares; k++) {
            row.booked_now += p->shares[k].booked;
        }
        row.booked_now += p->rem.booked;
        row.booked_total += st->booked;
        row.cancelled_total += st->cancelled;
        row.refunded_total += st->refunded;
        row.moved_total += st->moved;
        row.no_show_total += st->no_show;
        row.checked_in_total += st->checked_in;
        if (i + 1 == m || statPoolCmp(&sp[i], &sp[i + 1]) != 0) {
            if (*total >= after && *n < limit) {
                out[(*n)++] = row;
            }
            (*total)++;
        }
    }
    free(sp);
}
