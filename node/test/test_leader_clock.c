/* test_leader_clock: the leader's band (node/leader_clock.h) on hand-made
 * clocks: steps of the wall clock an hour either way, the anchor from
 * late-applied entries, another leader's entries, a fresh node. */
#include "check.h"
#include "leader_clock.h"

#define T0   1750000000000ull /* a ledger time */
#define M0   5000000ull       /* a monotonic origin */
#define SKEW 1000u
#define HOUR 3600000ull

static uint64_t stamp(const struct leader_clock *c, uint64_t wall,
                      uint64_t mono)
{
    int64_t off;
    return leader_clock_stamp(c, wall, mono, &off);
}

/* A healthy wall clock is stamped as is; stepped an hour ahead or back,
 * the stamp stays within the band and runs at the monotonic rate. */
static void test_steps_are_clamped(void)
{
    struct leader_clock c;
    leader_clock_init(&c, SKEW);
    leader_clock_observe(&c, T0, M0, false);
    CHECK(leader_clock_anchor(&c, 2, T0, T0 + 10, M0 + 10));
    CHECK(!leader_clock_anchor(&c, 2, T0, T0 + 20, M0 + 20));
    CHECK_EQ(stamp(&c, T0 + 20, M0 + 20), T0 + 20);
    CHECK_EQ(stamp(&c, T0 + 30 + HOUR, M0 + 30), T0 + 10 + 20 + SKEW);
    CHECK_EQ(stamp(&c, T0 + 5030 + HOUR, M0 + 5030), T0 + 5030 + SKEW);
    CHECK_EQ(stamp(&c, T0 + 6000 - HOUR, M0 + 6000), T0 + 6000 - SKEW);
    int64_t off;
    leader_clock_stamp(&c, T0 + 7000 + HOUR, M0 + 7000, &off);
    CHECK_EQ(off, (int64_t)(HOUR - SKEW));
    CHECK_EQ(stamp(&c, T0 + 8000, M0 + 8000), T0 + 8000);
}

/* The anchor is the pair applied soonest after its stamp, and a wall
 * clock up to max skew below it (never above). */
static void test_anchor(void)
{
    struct leader_clock c;
    leader_clock_init(&c, SKEW);
    leader_clock_observe(&c, T0, M0, false);
    /* stamped at T0 + 100, applied 3 s late */
    leader_clock_observe(&c, T0 + 100, M0 + 3100, false);
    CHECK(leader_clock_anchor(&c, 3, T0 + 100, T0 + 5000 + HOUR, M0 + 5000));
    CHECK(!c.anchor_on_wall);
    CHECK_EQ(c.anchor_ledger_ms, T0 + 5000);
    CHECK(leader_clock_anchor(&c, 4, T0 + 100, T0 + 5600, M0 + 6000));
    CHECK(c.anchor_on_wall);
    CHECK_EQ(stamp(&c, T0 + 5600, M0 + 6000), T0 + 5600);
}

/* Another leader's entry ahead of the centre raises it; the leader's own
 * entries never do. */
static void test_raise(void)
{
    struct leader_clock c;
    leader_clock_init(&c, SKEW);
    leader_clock_observe(&c, T0, M0, false);
    leader_clock_anchor(&c, 5, T0, T0 - HOUR, M0);
    CHECK_EQ(stamp(&c, T0 - HOUR, M0 + 100), T0 + 100 - SKEW);
    /* its own stamp (wall clock an hour ahead now) */
    leader_clock_issued(&c, T0 + 100 + SKEW);
    leader_clock_observe(&c, T0 + 100 + SKEW, M0 + 100, true);
    CHECK_EQ(stamp(&c, T0 - HOUR, M0 + 100), T0 + 100 - SKEW);
    /* a foreign entry below its own stamps: ledger time is its stamp */
    leader_clock_observe(&c, T0 + 100 + SKEW, M0 + 150, false);
    CHECK_EQ(c.raised, 0);
    /* a foreign entry above them */
    leader_clock_observe(&c, T0 + 5000, M0 + 200, false);
    CHECK_EQ(c.raised, 1);
    CHECK_EQ(stamp(&c, T0 - HOUR, M0 + 200), T0 + 5000 - SKEW);
}

/* Nothing observed: the wall clock is all there is; no clamp at 0. */
static void test_fresh_and_off(void)
{
    struct leader_clock c;
    leader_clock_init(&c, SKEW);
    leader_clock_anchor(&c, 1, 0, T0 + HOUR, M0);
    CHECK(c.anchor_on_wall);
    CHECK_EQ(stamp(&c, T0 + HOUR + 50, M0 + 50), T0 + HOUR + 50);
    leader_clock_init(&c, 0);
    leader_clock_observe(&c, T0, M0, false);
    leader_clock_anchor(&c, 1, T0, T0, M0);
    CHECK_EQ(stamp(&c, T0 + HOUR, M0 + 1), T0 + HOUR);
}

static const struct check_case cases[] = {
    {"steps_are_clamped", test_steps_are_clamped},
    {"anchor", test_anchor},
    {"raise", test_raise},
    {"fresh_and_off", test_fresh_and_off},
    {NULL, NULL}};

int main(int argc, char **argv)
{
    return check_main(cases, argc, argv);
}
