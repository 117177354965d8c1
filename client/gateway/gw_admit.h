/* gw_admit: the gateway's in-flight budget, adapted to the delay the
 * cluster's calls see (a CoDel-style controller).
 *
 * Why: with thousands of keep-alive connections a fixed budget
 * (limits.inflight_max, 4096) admits every request and lets them queue
 * inside the gateway and libslot: at 35k answers/s, 4,000 in flight is
 * ~115 ms of waiting for every accepted request. A patient is better
 * served by a 503 + Retry-After at once than by an answer that comes late,
 * so the budget is what the cluster can answer within the target delay.
 *
 * How, per interval (limits.queue_interval_ms, 100):
 *   - every finished call gives its time in the gateway (start to answer);
 *     the interval keeps their count and their minimum. The minimum is the
 *     standing delay: a burst that drains within the interval has one fast
 *     call at least, a queue that stays has none (CoDel's insight).
 *   - at the interval's end:
 *       standing delay > target (limits.queue_target_ms, 20):
 *           budget = answers per second in the interval x target
 *           (Little's law: that many in flight wait about `target`);
 *       else, if the budget was reached (a request was refused, or the
 *       gateway held >= 7/8 of the budget): budget += budget / 4 + 1;
 *       no answer at all in the interval: unchanged (a failover: the
 *           budget stays and every request beyond it is refused at once).
 *     always clamped to [inflight_min, inflight_max].
 *   but when the gateway's own loop was busy >= 90 % of the interval (its
 *   idle time, uv_metrics_idle_time, given by gw_admit_idle), a standing
 *   delay is the gateway's CPU, not the cluster's queue: the budget is
 *   held. Shrinking it then only trades admitted holds for refusals that
 *   cost the same loop, and the completions it is computed from fall with
 *   it: seen collapsing to inflight_min (1.7k hold decisions/s against
 *   10.9k with a fixed budget) in a burst on the 2-core box.
 * Memoryless across intervals on purpose: one interval of evidence moves
 * the budget, so a burst's first 100 ms decides how the rest is served.
 *
 *        +--------+  standing delay > target   +-----------+
 *        | budget | -------------------------> | budget =  |
 *        |  held  | <------------------------- | rate x tgt|
 *        +--------+   delay <= target and      +-----------+
 *            ^   |    budget reached: grow 25 %
 *            +---+ no answers / not reached: unchanged
 *
 * Pure: time comes as an argument (loop milliseconds), no clock, no I/O.
 * target_ms 0 switches the controller off: the budget is inflight_max.
 * Single-threaded (the gateway's loop).
 */
#ifndef GW_ADMIT_H
#define GW_ADMIT_H

#include <stdbool.h>
#include <stdint.h>

struct gw_admit {
    /* configuration */
    uint32_t target_ms;   /* 0: off */
    uint32_t interval_ms; /* >= 1 */
    uint32_t min, max;    /* budget bounds, 1 <= min <= max */
    /* state */
    uint32_t budget;
    uint64_t window_start_ms;
    uint64_t window_done;    /* calls finished in the window */
    uint64_t window_min_us;  /* their smallest time in the gateway */
    bool window_limited;     /* the budget was reached in the window */
    uint64_t last_delay_us;  /* the last closed window's standing delay */
    uint64_t shrinks, grows; /* budget moves, for /metrics */
    uint64_t held_busy;      /* windows held: the gateway's loop was busy */
    uint64_t idle_ms;        /* the loop's idle time so far (gw_admit_idle) */
    uint64_t window_idle_ms; /* ... when the window opened */
    uint32_t last_busy_permille; /* the last closed window's */
    bool idle_given;             /* gw_admit_idle was called */
};

/* Configures a; budget starts at max (nothing measured yet). */
void gw_admit_init(struct gw_admit *a, uint32_t target_ms, uint32_t interval_ms,
                   uint32_t min, uint32_t max, uint64_t now_ms);

/* May one more request start now, with `inflight` calls alive? Closes
 * the window when its time has come. A false answer marks the window
 * limited; the caller answers 503 + Retry-After. */
bool gw_admit_try(struct gw_admit *a, uint64_t now_ms, uint32_t inflight);

/* A call finished after `us` microseconds in the gateway. */
void gw_admit_done(struct gw_admit *a, uint64_t now_ms, uint64_t us);

/* The gateway's loop has been idle idle_ms in all so far (non-decreasing);
 * given before gw_admit_try / gw_admit_done. Never given: the loop counts
 * as idle enough (the controller as above without the hold). */
void gw_admit_idle(struct gw_admit *a, uint64_t idle_ms);

#endif /* GW_ADMIT_H */
