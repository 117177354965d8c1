/* leader_clock: the time a leader stamps its entries with, its wall clock
 * held to a band around a monotonic extrapolation of ledger time.
 *
 * Ledger time is max(previous ledger time, stamp) (ledger.h): a leader
 * whose wall clock jumps an hour ahead would expire every hold at once, one
 * whose clock jumps back would freeze ledger time. So the leader's stamp
 * is its wall clock clamped to
 *
 *     [centre - max_skew_ms, centre + max_skew_ms],
 *     centre = anchor_ledger_ms + (mono_now - anchor_mono_ms)
 *
 * where the anchor is fixed once per leadership term, from what the node
 * itself saw of ledger time (leader_clock_observe): each entry it applies
 * gives a pair (L, m), the ledger time after it and this node's
 * CLOCK_MONOTONIC then, and ext(t) = max (L - m) + t over the pairs of
 * the last one or two LEADER_CLOCK_WINDOW_MS. Every L was stamped before
 * this node applied it, so ext is never ahead of the clocks that stamped
 * the L's, whatever the delay; the max picks the pair applied soonest after
 * its stamp (an entry committed seconds late would put ext behind by
 * that much), and the window forgets the pairs of stamps that were ahead
 * long ago once newer pairs come. A follower that applied nothing for a
 * while extrapolates from when it last did. The anchor is
 * ext, or the wall clock when it lies in [ext - max_skew_ms, ext]: a
 * healthy leader after a leader whose clock was ahead re-anchors on its
 * own clock, but no anchor is ever ahead of ext. Within the term the
 * anchor only moves up, to the extrapolation of another leader's entry
 * it applies (its applied index was stale when it anchored).
 *
 * No re-anchoring within a term: on Linux CLOCK_MONOTONIC is slewed by NTP
 * and adjtime exactly as CLOCK_REALTIME is (only steps differ), so a wall
 * clock that is right stays in the band; and re-anchoring on a wall clock
 * that agrees "well enough" would let one that creeps ahead in sub-band
 * steps drag ledger time along at any rate.
 *
 * A node that has observed no ledger time in this process (a fresh
 * cluster, or the first leader after every node restarted: its applied
 * state is from disk, at an unknown age) has nothing to extrapolate from
 * and anchors on its wall clock.
 *
 * Guarantee (one term): every stamp s at monotonic time t satisfies
 *     ext(t) - 2 max_skew_ms <= s <= ext(t) + max_skew_ms,
 * and s is the wall clock whenever the wall clock lies in the band. So
 * with any one node's wall clock wrong by any amount, ledger time runs at
 * the rate of its leaders' monotonic clocks; each leadership term can put
 * it at most max_skew_ms further ahead of the true time, and never further
 * ahead than the largest error of a leader's wall clock (a stamp above the
 * wall clock is at most ext - max_skew_ms); it stands still only after a
 * change of leader, for at most about 3 max_skew_ms (the old leader's last
 * stamps up to max_skew_ms ahead, the new one's up to 2 behind).
 *
 * Pure: no clock is read here (the core passes wall and monotonic time in),
 * so test_sim drives it, and a test build may wrap leader_clock_stamp
 * (jepsen-tests/bugs/bug_noclamp.c).
 */
#ifndef SLOT_LEADER_CLOCK_H
#define SLOT_LEADER_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define LEADER_CLOCK_WINDOW_MS 10000

/* One (L, m) pair: ledger time L applied at monotonic time m. */
struct leader_clock_obs {
    bool set;
    uint64_t ledger_ms, mono_ms;
};

struct leader_clock {
    uint64_t max_skew_ms; /* 0: no clamp, the raw wall clock */
    /* The pair with the largest L - m in the current window (begun at
     * win_mono_ms) and in the one before it. */
    bool observed;
    uint64_t last_ledger_ms; /* the highest ledger time observed */
    uint64_t win_mono_ms;
    struct leader_clock_obs cur, prev;
    /* The anchor of the current leadership term. */
    bool anchored;
    uint64_t term;
    uint64_t anchor_ledger_ms, anchor_mono_ms;
    bool anchor_on_wall;    /* the anchor is the wall clock (for logs) */
    uint64_t raised;        /* times another leader's entry raised it */
    uint64_t issued_max_ms; /* the highest stamp issued in the term */
};

/* Starts with nothing observed and no anchor. */
void leader_clock_init(struct leader_clock *c, uint64_t max_skew_ms);

/* This node applied an entry and ledger time is now ledger_ms, at
 * monotonic time mono_ms. Call on every node, leader or not, after every
 * entry; own: the entry is one this node proposed. An entry of another
 * leader that puts ledger time above the band's centre and above every
 * stamp this leader issued in its term moves the centre up to it (a leader
 * whose applied index was stale commits its predecessors' entries). */
void leader_clock_observe(struct leader_clock *c, uint64_t ledger_ms,
                          uint64_t mono_ms, bool own);

/* Anchors the band for leadership term `term` unless already anchored for
 * it (ledger_ms: the ledger time this node applied). Call when the node
 * leads, before leader_clock_stamp. Returns true if it anchored now. */
bool leader_clock_anchor(struct leader_clock *c, uint64_t term,
                         uint64_t ledger_ms, uint64_t wall_ms,
                         uint64_t mono_ms);

/* The stamp for the leader's entries and its expiry decisions at wall
 * clock wall_ms and monotonic time mono_ms: wall_ms clamped to the band
 * (wall_ms itself when not anchored or max_skew_ms is 0). *off_ms is set
 * to wall_ms - stamp (0 when the wall clock is in the band). Pure. */
uint64_t leader_clock_stamp(const struct leader_clock *c, uint64_t wall_ms,
                            uint64_t mono_ms, int64_t *off_ms);

/* The leader stamped (or decided by) stamp_ms: what the term issued. */
void leader_clock_issued(struct leader_clock *c, uint64_t stamp_ms);

#endif /* SLOT_LEADER_CLOCK_H */
