/* tclock: time for tests and tools: monotonic and wall milliseconds, and a
 * sleep that survives signals. Header-only; the one copy every test, the
 * cluster launcher, slotbench and jepsen-tests use.
 *
 * Tests must not assert on durations (a machine's slow phase is not a
 * bug): use these to bound waits, never to judge speed. */
#ifndef SLOT_TCLOCK_H
#define SLOT_TCLOCK_H

#include <errno.h>
#include <time.h>

static inline long long tclock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds of CLOCK_MONOTONIC: for deadlines and intervals. */
static inline long long tclock_mono_ms(void)
{
    return tclock_ms(CLOCK_MONOTONIC);
}

/* Milliseconds since the epoch (CLOCK_REALTIME): what slotd stamps entries
 * with, so what ledger times are compared with. */
static inline long long tclock_wall_ms(void)
{
    return tclock_ms(CLOCK_REALTIME);
}

/* Sleeps ms milliseconds (<= 0: returns at once), resuming after signals. */
static inline void tclock_sleep_ms(long long ms)
{
    if (ms <= 0) {
        return;
    }
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

#endif /* SLOT_TCLOCK_H */
