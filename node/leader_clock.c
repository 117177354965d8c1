/* leader_clock: the leader's stamp, clamped to a band (leader_clock.h). */
#include "leader_clock.h"

#include <string.h>

void leader_clock_init(struct leader_clock *c, uint64_t max_skew_ms)
{
    memset(c, 0, sizeof *c);
    c->max_skew_ms = max_skew_ms;
}

/* a is a better pair than b: L - m larger (wraps: both are ms counts far
 * below 2^63). */
static bool obsBetter(const struct leader_clock_obs *a,
                      const struct leader_clock_obs *b)
{
    return !b->set || (int64_t)(a->ledger_ms - a->mono_ms) >
                          (int64_t)(b->ledger_ms - b->mono_ms);
}

/* Ledger time extrapolated to mono_ms from the best pair. */
static uint64_t extrapolate(const struct leader_clock *c, uint64_t mono_ms)
{
    const struct leader_clock_obs *b =
        c->prev.set && obsBetter(&c->prev, &c->cur) ? &c->prev : &c->cur;
    uint64_t elapsed = mono_ms > b->mono_ms ? mono_ms - b->mono_ms : 0;
    return b->ledger_ms + elapsed;
}

void leader_clock_observe(struct leader_clock *c, uint64_t ledger_ms,
                          uint64_t mono_ms, bool own)
{
    struct leader_clock_obs o = {true, ledger_ms, mono_ms};
    if (ledger_ms > c->last_ledger_ms) {
        c->last_ledger_ms = ledger_ms;
    }
    if (!c->observed || mono_ms >= c->win_mono_ms + LEADER_CLOCK_WINDOW_MS) {
        /* A new window. The last one's best stays until the next: with
         * no pair seen since, old pairs are all there is to go by. */
        c->prev = c->cur;
        c->cur = o;
        c->win_mono_ms = mono_ms;
        c->observed = true;
    } else if (obsBetter(&o, &c->cur)) {
        c->cur = o;
    }
    if (!own && c->anchored && c->max_skew_ms != 0 &&
        ledger_ms > c->issued_max_ms && mono_ms >= c->anchor_mono_ms) {
        /* Ledger time above every stamp this leader issued in its term:
         * another leader's stamp (an older term's entry it commits, its
         * applied index having been stale). The band moves up to it, never
         * down. Never on the leader's own stamps: up to max_skew_ms ahead
         * of its centre, they would ratchet it. */
        uint64_t centre = c->anchor_ledger_ms + (mono_ms - c->anchor_mono_ms);
        if (ledger_ms > centre) {
            c->anchor_ledger_ms = ledger_ms;
            c->anchor_mono_ms = mono_ms;
            c->raised++;
        }
    }
}

bool leader_clock_anchor(struct leader_clock *c, uint64_t term,
                         uint64_t ledger_ms, uint64_t wall_ms, uint64_t mono_ms)
{
    if (c->anchored && c->term == term) {
        return false;
    }
    c->anchored = true;
    c->term = term;
    c->anchor_mono_ms = mono_ms;
    c->issued_max_ms = 0;
    if (!c->observed || ledger_ms == 0) {
        /* Nothing seen applied in this process (a fresh cluster, or every
         * node restarted: the ledger read from disk is of unknown age):
         * only the wall clock is left. */
        c->anchor_ledger_ms = wall_ms;
        c->anchor_on_wall = true;
        return true;
    }
    if (ledger_ms > c->last_ledger_ms) {
        /* A snapshot restored since the last entry applied: its ledger
         * time, as of now, is one more pair. */
        leader_clock_observe(c, ledger_ms, mono_ms, true);
    }
    uint64_t ext = extrapolate(c, mono_ms);
    uint64_t lo = ext > c->max_skew_ms ? ext - c->max_skew_ms : 0;
    c->anchor_on_wall = wall_ms >= lo && wall_ms <= ext;
    c->anchor_ledger_ms = c->anchor_on_wall ? wall_ms : ext;
    return true;
}

uint64_t leader_clock_stamp(const struct leader_clock *c, uint64_t wall_ms,
                            uint64_t mono_ms, int64_t *off_ms)
{
    *off_ms = 0;
    if (!c->anchored || c->max_skew_ms == 0) {
        return wall_ms;
    }
    uint64_t elapsed =
        mono_ms > c->anchor_mono_ms ? mono_ms - c->anchor_mono_ms : 0;
    uint64_t centre = c->anchor_ledger_ms + elapsed;
    uint64_t lo = centre > c->max_skew_ms ? centre - c->max_skew_ms : 0;
    uint64_t hi = centre + c->max_skew_ms;
    uint64_t s = wall_ms < lo ? lo : wall_ms > hi ? hi : wall_ms;
    *off_ms = (int64_t)(wall_ms - s);
    return s;
}

void leader_clock_issued(struct leader_clock *c, uint64_t stamp_ms)
{
    if (stamp_ms > c->issued_max_ms) {
        c->issued_max_ms = stamp_ms;
    }
}
