/* gw_admit: the adaptive in-flight budget (see gw_admit.h for the rule). */
#include "gw_admit.h"

#include <assert.h>

static uint32_t clamp(const struct gw_admit *a, uint64_t v)
{
    if (v < a->min) {
        return a->min;
    }
    return v > a->max ? a->max : (uint32_t)v;
}

/* The loop busy this share of a window (permille) at which a standing
 * delay is the gateway's own CPU. */
#define BUSY_HOLD_PERMILLE 900u

static void windowReset(struct gw_admit *a, uint64_t now_ms)
{
    a->window_start_ms = now_ms;
    a->window_idle_ms = a->idle_ms;
    a->window_done = 0;
    a->window_min_us = UINT64_MAX;
    a->window_limited = false;
}

/* Closes the window if its interval is over, and moves the budget. The
 * rate is over the time the window really lasted: an idle gateway has no
 * call to close it at the interval's end. */
static void windowClose(struct gw_admit *a, uint64_t now_ms)
{
    if (a->target_ms == 0 || now_ms < a->window_start_ms + a->interval_ms) {
        return;
    }
    uint64_t elapsed_ms = now_ms - a->window_start_ms;
    uint64_t idle_ms = a->idle_ms - a->window_idle_ms;
    uint64_t busy_ms = !a->idle_given         ? 0
                       : idle_ms < elapsed_ms ? elapsed_ms - idle_ms
                                              : 0;
    a->last_busy_permille = (uint32_t)(busy_ms * 1000 / elapsed_ms);
    if (a->window_done > 0) {
        a->last_delay_us = a->window_min_us;
        if (a->window_min_us > (uint64_t)a->target_ms * 1000 &&
            a->last_busy_permille >= BUSY_HOLD_PERMILLE) {
            a->held_busy++; /* the gateway's CPU: hold (gw_admit.h) */
        } else if (a->window_min_us > (uint64_t)a->target_ms * 1000) {
            /* A standing queue: as many in flight as the cluster answers
             * in `target` (answers/s x target s). */
            uint64_t v = a->window_done * a->target_ms / elapsed_ms;
            uint32_t b = clamp(a, v);
            if (b < a->budget) {
                a->shrinks++;
            }
            a->budget = b;
        } else if (a->window_limited && a->budget < a->max) {
            a->budget = clamp(a, (uint64_t)a->budget + a->budget / 4 + 1);
            a->grows++;
        }
    }
    windowReset(a, now_ms);
}

void gw_admit_init(struct gw_admit *a, uint32_t target_ms, uint32_t interval_ms,
                   uint32_t min, uint32_t max, uint64_t now_ms)
{
    assert(interval_ms >= 1 && min >= 1 && min <= max);
    a->target_ms = target_ms;
    a->interval_ms = interval_ms;
    a->min = min;
    a->max = max;
    a->budget = max;
    a->last_delay_us = 0;
    a->shrinks = a->grows = a->held_busy = 0;
    a->last_busy_permille = 0;
    a->idle_ms = 0;
    /* Until gw_admit_idle is called the loop counts as idle throughout:
     * windows see idle time advance with the clock. */
    a->idle_given = false;
    windowReset(a, now_ms);
}

bool gw_admit_try(struct gw_admit *a, uint64_t now_ms, uint32_t inflight)
{
    windowClose(a, now_ms);
    uint32_t budget = a->target_ms == 0 ? a->max : a->budget;
    if (inflight >= budget) {
        a->window_limited = true;
        return false;
    }
    if ((uint64_t)inflight + 1 >= (uint64_t)budget - budget / 8) {
        a->window_limited = true;
    }
    return true;
}

void gw_admit_done(struct gw_admit *a, uint64_t now_ms, uint64_t us)
{
    windowClose(a, now_ms);
    a->window_done++;
    if (us < a->window_min_us) {
        a->window_min_us = us;
    }
}

void gw_admit_idle(struct gw_admit *a, uint64_t idle_ms)
{
    if (!a->idle_given) {
        /* The first report is the open window's baseline. */
        a->idle_given = true;
        a->idle_ms = a->window_idle_ms = idle_ms;
        return;
    }
    if (idle_ms > a->idle_ms) {
        a->idle_ms = idle_ms;
    }
}
