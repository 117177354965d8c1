/* test_ledger: unit tests of the ledger (node/ledger.c) against its contract
 * in node/ledger.h, one focused test per command and per error path.
 *
 * Every test drives a ledger through struct fx: commands are built as
 * struct slot_cmd with strings pointing at literals, fingerprinted the way
 * the decoder would (slot_cmd_encode + slot_hash64) and applied one per
 * batch at the fixture's clock. After every apply the fixture runs
 * ledger_check, so each test also checks every invariant after each step.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "ledger.h"
#include "ledgerInt.h"

#include "fx.h"

/* Snapshot, restore and check that the copy is the same ledger (below). */
static struct ledger *restore_same(const struct ledger *l);

/* ---- sessions ------------------------------------------------------------ */

static void test_session_open(void)
{
    struct fx f;
    fx_init(&f);
    CHECK_EQ(f.session, 1);
    struct slot_result r = EXPECT(&f, cmd_open(), SLOT_OK);
    CHECK_EQ(r.a, 2);
    CHECK_EQ(r.b, 0);
    CHECK_EQ(r.time_ms, T0);
    CHECK_EQ(EXPECT(&f, cmd_open(), SLOT_OK).a, 3);
    CHECK_EQ(info_of(f.l).sessions, 3);
    /* A fresh session accepts seq 1. */
    CHECK_CODE(fx_send(&f, cmd_pool(SLOT_OP_POOL_CREATE, "p", 1), 3, 1).code,
               SLOT_OK);
    ledger_destroy(f.l);
}

static void test_session_unknown(void)
{
    struct fx f;
    fx_init(&f);
    fx_pool(&f, "p", 2);
    uint64_t h = ledger_state_hash(f.l);
    struct slot_result r =
        fx_send(&f, cmd_hold("p", "patient-1", "app", TTL), 99, 1);
    CHECK_CODE(r.code, SLOT_SESSION_UNKNOWN);
    CHECK(ledger_state_hash(f.l) == h);
    CHECK_EQ(pool_of(f.l, "p").held, 0);
    /* Not stored either: the same request again is judged afresh. */
    r = fx_send(&f, cmd_hold("p", "patient-1", "app", TTL), 99, 1);
    CHECK_CODE(r.code, SLOT_SESSION_UNKNOWN);
    CHECK(ledger_state_hash(f.l) == h);
    ledger_destroy(f.l);
}

static void test_session_retry_same_result(void)
{
    struct fx f;
    fx_init(&f);
    fx_pool(&f, "p", 2);
    struct slot_cmd hold = cmd_hold("p", "patient-1", "app", TTL);
    struct slot_result first = fx_send(&f, hold, f.session, 5);
    CHECK_CODE(first.code, SLOT_OK);

    /* Same ledger time: nothing at all changes, not even the session. */
    uint64_t h = ledger_state_hash(f.l);
    struct slot_result again = fx_send(&f, hold, f.session, 5);
    CHECK(result_eq(&again, &first));
    CHECK(ledger_state_hash(f.l) == h);

    /* Later: the original answer, including its time, and no second hold. */
    f.now += 5000;
    again = fx_send(&f, hold, f.session, 5);
    CHECK(result_eq(&again, &first));
    CHECK_EQ(again.time_ms, T0);
    CHECK_EQ(pool_of(f.l, "p").held, 1);
    CHECK_EQ(info_of(f.l).holds_active, 1);
    ledger_destroy(f.l);
}

/* A stored refusal is replayed even when the command would now succeed. */
static void test_session_retry_replays_error(void)
{
    struct fx f;
    fx_init(&f);
    fx_pool(&f, "p", 1);
    uint64_t h1 = fx_hold(&f, "p", "patient-1");
    struct slot_cmd hold = cmd_hold("p", "patient-2", "app", TTL);
    struct slot_result first = fx_send(&f, hold, f.session, 10);
    CHECK_CODE(first.code, SLOT_SOLD_OUT);
    f.seq = 10;
    EXPECT(&f, cmd_release(h1), SLOT_OK);
    f.now += 1;
    struct slot_result again = fx_send(&f, hold, f.session, 10);
    CHECK(result_eq(&again, &first));
    CHECK_EQ(pool_of(f.l, "p").free, 1);
    ledger_destroy(f.l);
}

static void test_session_request_mismatch(void)
{
    struct fx f;
    fx_init(&f);
    fx_pool(&f, "p", 2);
    CHECK_CODE(
        fx_send(&f, cmd_hold("p", "patient-1", "app", TTL), f.session, 7).code,
        SLOT_OK);
    uint64_t h = ledger_state_hash(f.l);
    struct slot_result r =
        fx_send(&f, cmd_hold("p", "patient-2", "app", TTL), f.session, 7);
    CHECK_CODE(r.code, SLOT_REQUEST_MISMATCH);
    CHECK(ledger_state_hash(f.l) == h);
    CHECK_EQ(pool_of(f.l, "p").held, 1);
    ledger_destroy(f.l);
}

static void test_session_request_too_old(void)
{
    struct fx f;
    fx_init(&f);
    /* seq 1..window+1, each a stored UNKNOWN_HOLD (cheap, changes no pool). */
    struct slot_result second = {0};
    for (uint64_t i = 1; i <= SLOT_SESSION_WINDOW + 1; i++) {
        struct slot_result r =
            EXPECT(&f, cmd_release(1000 + i), SLOT_UNKNOWN_HOLD);
        if (i == 2) {
            second = r;
        }
    }
    uint64_t h = ledger_state_hash(f.l);
    /* max_seq = window + 1: seq 1 is too old, seq 2 is still answered. */
    struct slot_result r = fx_send(&f, cmd_release(1001), f.session, 1);
    CHECK_CODE(r.code, SLOT_REQUEST_TOO_OLD);
    CHECK(ledger_state_hash(f.l) == h);
    r = fx_send(&f, cmd_release(1002), f.session, 2);
    CHECK(result_eq(&r, &second));
    CHECK(ledger_state_hash(f.l) == h);

    /* A jump ahead moves the window: 200 - window is too old, one more runs
     * (it was never applied). */
    CHECK_CODE(fx_send(&f, cmd_release(5), f.session, 200).code,
               SLOT_UNKNOWN_HOLD);
    CHECK_CODE(
        fx_send(&f, cmd_release(5), f.session, 200 - SLOT_SESSION_WINDOW).code,
        SLOT_REQUEST_TOO_OLD);
    CHECK_CODE(
        fx_send(&f, cmd_release(5), f.session, 201 - SLOT_SESSION_WINDOW).code,
        SLOT_UNKNOWN_HOLD);
    ledger_destroy(f.l);
}

static void test_session_idle_eviction(void)
{
    struct fx f;
    fx_init(&f);
    struct slot_config cfg = config_of(f.l);
    cfg.session_idle_ms = 1000;
    EXPECT(&f, cmd_config(cfg), SLOT_OK);
    fx_pool(&f, "p", 5);
    f.now = T0 + 999; /* idle 999 ms: still known, and touched */
    EXPECT(&f, cmd_release(77), SLOT_UNKNOWN_HOLD);
    f.now = T0 + 999 + 999;
    EXPECT(&f, cmd_release(77), SLOT_UNKNOWN_HOLD);
    f.now = T0 + 999 + 999 + 1000; /* last_used + idle <= now: forgotten */
    struct slot_result r = fx_run(&f, cmd_release(77));
    CHECK_CODE(r.code, SLOT_SESSION_UNKNOWN);
    CHECK_EQ(info_of(f.l).sessions, 0);
    ledger_destroy(f.l);
}

static void test_session_lru_eviction(void)
{
    struct fx f;
    fx_init(&f);
    struct slot_config cfg = config_of(f.l);
    cfg.session_max = 3;
    EXPECT(&f, cmd_config(cfg), SLOT_OK);
    uint64_t s2 = EXPECT(&f, cmd_open(), SLOT_OK).a;
    uint64_t s3 = EXPECT(&f, cmd_open(), SLOT_OK).a;
    f.now += 10;
    /* Touch s1: LRU order is now s2, s3, s1. */
    EXPECT(&f, cmd_release(77), SLOT_UNKNOWN_HOLD);
    uint64_t s4 = EXPECT(&f, cmd_open(), SLOT_OK).a;
    CHECK_EQ(s4, 4);
    CHECK_EQ(info_of(f.l).sessions, 3);
    CHECK_CODE(fx_send(&f, cmd_release(77), s2, 1).code, SLOT_SESSION_UNKNOWN);
    CHECK_CODE(fx_send(&f, cmd_release(77), s3, 1).code, SLOT_UNKNOWN_HOLD);
    CHECK_CODE(fx_send(&f, cmd_release(77), s4, 1).code, SLOT_UNKNOWN_HOLD);
    EXPECT(&f, cmd_release(77), SLOT_UNKNOWN_HOLD);
    ledger_destroy(f.l);
}

/* Idle sessions go at most SLOT_SESSION_EVICT_PER_CMD per command. */
static void test_session_eviction_bounded(void)
{
    struct fx f;
    fx_init(&f);
    struct slot_config cfg = config_of(f.l);
    cfg.session_idle_ms = 1000;
    EXPECT(&f, cmd_config(cfg), SLOT_OK);
    for (int i = 0; i < 19; i++) {
        EXPECT(&f, cmd_open(), SLOT_OK);
    }
    CHECK_EQ(info_of(f.l).sessions, 20);
    f.now += 1000;
    uint32_t left = 20;
    while (left > 0) {
        EXPECT(&f, cmd_expire(1), SLOT_OK);
        left -= left < SLOT_SESSION_EVICT_PER_CMD ? left
                                                  : SLOT_SESSION_EVICT_PER_CMD;
        CHECK_EQ(info_of(f.l).sessions, left);
    }
    ledger_destroy(f.l);
}

/* ---- idempotency keys (IDEM) -------------------------------------------- */

static struct slot_cmd with_key(struct slot_cmd c, const char *channel,
                                const char *key)
{
    c.idem.channel = str_of(channel);
    c.idem.key = str_of(key);
    return c;
}

/* The same key and command from another session (another gateway): the
 * original answer, and no second hold. */
static void test_idem_replay_across_sessions(void)
{
    struct fx f;
    fx_init(&f);
    fx_pool(&f, "p", 3);
    struct slot_cmd hold =
        with_key(cmd_hold("p", "patient-1", "app", TTL), "app", "req-1");
    struct slot_result first = EXPECT(&f, hold, SLOT_OK);
    struct slot_result s2 = fx_run(&f, cmd_open());
    f.now += 2000;
    struct slot_result again = fx_send(&f, hold, s2.a, 1);
    CHECK(result_eq(&again, &first));
    CHECK_EQ(pool_of(f.l, "p").held, 1);
    /* A stored refusal is remembered too. */
    struct slot_cmd hold2 =
        with_key(cmd_hold("p", "patient-1", "app", TTL), "app", "req-2");
    struct slot_result refused = EXPECT(&f, hold2, SLOT_PATIENT_HAS_CLAIM);
    EXPECT(&f, cmd_release(first.a), SLOT_OK);
    f.now += 1;
    again = fx_send(&f, hold2, s2.a, 2);
    CHECK(result_eq(&again, &refused));
    CHECK_EQ(pool_of(f.l, "p").held, 0);
    ledger_destroy(f.l);
}

/* The same key with another command: REQUEST_MISMATCH, nothing runs. */
static void test_idem_mismatch(void)
{
    struct fx f;
    fx_init(&f);
    fx_pool(&f, "p", 3);
    EXPECT(&f, with_key(cmd_hold("p", "patient-1", "app", TTL), "app", "k"),
           SLOT_OK);
    uint64_t claims = info_of(f.l).holds_active;
    struct slot_result r =
        EXPECT(&f, with_key(cmd_hold("p", "patient-2", "app", TTL), "app", "k"),
               SLOT_REQUEST_MISMATCH);
    CHECK(r.a == 0 && r.b == 0);
    CHECK_EQ(info_of(f.l).holds_active, claims);
    /* Keys are per channel: the same key of another channel is another. */
    EXPECT(&f, with_key(cmd_hold("p", "patient-2", "114", TTL), "114", "k"),
           SLOT_OK);
    CHECK_EQ(info_of(f.l).holds_active, claims + 1);
    ledger_destroy(f.l);
}

/* Keys are forgotten after retain_ms of ledger time (then the command
 * runs again), and survive a snapshot. */
static void test_idem_retention_and_snapshot(void)
{
    struct fx f;
    fx_init(&f);
    fx_pool(&f, "p", 3);
    struct slot_cmd close = with_key(cmd_close("p"), "app", "close-1");
    struct slot_result first = EXPECT(&f, close, SLOT_OK);
    struct mp_buf b;
    mp_buf_init(&b);
    ledger_snapshot(f.l, &b);
    struct ledger *copy;
    CHECK_CODE(ledger_restore(b.data, b.len, &copy), SLOT_OK);
    CHECK(ledger_state_hash(copy) == ledger_state_hash(f.l));
    ledger_destroy(f.l);
    f.l = copy;
    f.now += 10;
    struct slot_result again = fx_run(&f, close);
    CHECK(result_eq(&again, &first)); /* original time included */
    f.now += LEDGER_DEFAULT_RETAIN_MS;
    f.session = fx_run(&f, cmd_open()).a; /* the old one idled out */
    f.seq = 0;
    EXPECT(&f, close, SLOT_POOL_CLOSED); /* forgotten: it ran again */
    mp_buf_free(&b);
    ledger_destroy(f.l);
}

/* ---- config -------------------------------------------------------------- */

static void test_config_defaults_and_replace(void)
{
    struct fx f;
    fx_init(&f);
    struct slot_config cfg = config_of(f.l);
    CHECK_EQ(cfg.hold_ttl_min_ms, LEDGER_DEFAULT_TTL_MIN_MS);
    CHECK_EQ(cfg.hold_ttl_max_ms, LEDGER_DEFAULT_TTL_MAX_MS);
    CHECK_EQ(cfg.session_max, LEDGER_DEFAULT_SESSION_MAX);
    CHECK(cfg.session_idle_ms == LEDGER_DEFAULT_SESSION_IDLE_MS);
    CHECK(cfg.retain_ms == LEDGER_DEFAULT_RETAIN_MS);
    CHECK_EQ(cfg.retain_max, LEDGER_DEFAULT_RETAIN_MAX);

    /* A protocol 2 CONFIG (v3 false): the patient limits stay. */
    struct slot_config want = {2000, 5000, 100, 7000, 8000, 9, .v3 = false};
    struct slot_result r = EXPECT(&f, cmd_config(want), SLOT_OK);
    CHECK_EQ(r.a, 0);
    CHECK_EQ(r.b, 0);
    cfg = config_of(f.l);
    CHECK_EQ(cfg.hold_ttl_min_ms, 2000);
    CHECK_EQ(cfg.hold_ttl_max_ms, 5000);
    CHECK_EQ(cfg.session_max, 100);
    CHECK_EQ(cfg.session_idle_ms, 7000);
    CHECK_EQ(cfg.retain_ms, 8000);
    CHECK_EQ(cfg.retain_max, 9);
    /* The new bounds rule holds at once. */
    fx_pool(&f, "p", 5);
    EXPECT(&f, cmd_hold("p", "patient-1", "app", 1999), SLOT_TTL_OUT_OF_RANGE);
    EXPECT(&f, cmd_hold("p", "patient-1", "app", 5001), SLOT_TTL_OUT_OF_RANGE);
    EXPECT(&f, cmd_hold("p", "patient-1", "app", 5000), SLOT_OK);
    ledger_destroy(f.l);
}

/* Lowering session_max: the surplus goes from the LRU end, before the next
 * command runs. */
static void test_config_shrinks_sessions(void)
{
    struct fx f;
    fx_init(&f);
    uint64_t s2 = EXPECT(&f, cmd_open(), SLOT_OK).a;
    uint64_t s3 = EXPECT(&f, cmd_open(), SLOT_OK).a;
    struct slot_config cfg = config_of(f.l);
    cfg.session_max = 1;
    EXPECT(&f, cmd_config(cfg), SLOT_OK); /* s1 is now the most recent */
    EXPECT(&f, cmd_expire(1), SLOT_OK);
    CHECK_EQ(info_of(f.l).sessions, 1);
    CHECK_CODE(fx_send(&f, cmd_release(9), s2, 1).code, SLOT_SESSION_UNKNOWN);
    CHECK_CODE(fx_send(&f, cmd_release(9), s3, 1).code, SLOT_SESSION_UNKNOWN);
    EXPECT(&f, cmd_release(9), SLOT_UNKNOWN_HOLD);
    ledger_destroy(f.l);
}

/* ---- pools --------------------------------------------------------------- */

static void test_pool_create(void)
{
    struct fx f;
    fx_init(&f);
    struct slot_cmd c =
        cmd_pool(SLOT_OP_POOL_CREATE, "h1/cardio/2024-05-01/am", 10);
    cmd_share(&c, "app", 3);
    cmd_share(&c, "phone", 2);
    c.u.pool.kind = SLOT_KIND_SPECIAL;
    c.u.pool.fee_cents = 12345;
    c.u.pool.seg_start_ms = 5000000;
    c.u.pool.seg_end_ms = 6000000;
    struct slot_result r = EXPECT(&f, c, SLOT_OK);
    CHECK_EQ(r.a, 0);
    CHECK_EQ(r.b, 0);
    struct slot_pool_status s = pool_of(f.l, "h1/cardio/2024-05-01/am");
    CHECK_STR(s.pool, "h1/cardio/2024-05-01/am");
    CHECK_EQ(s.kind, SLOT_KIND_SPECIAL);
    CHECK_EQ(s.state, SLOT_PSTATE_OPEN);
    CHECK_EQ(s.capacity, 10);
    CHECK_POOL(s, 10, 0, 0);
    CHECK_EQ(s.fee_cents, 12345);
    CHECK_EQ(s.seg_start_ms, 5000000);
    CHECK_EQ(s.seg_end_ms, 6000000);
    CHECK_EQ(s.release_at_ms, 0);
    CHECK_EQ(s.next_visit_no, 1);
    CHECK_EQ(s.n_shares, 2);
    CHECK_STR(s.shares[0].channel, "app");
    CHECK_BUCKET(&s.shares[0], 3, 3, 0, 0);
    CHECK_STR(s.shares[1].channel, "phone");
    CHECK_BUCKET(&s.shares[1], 2, 2, 0, 0);
    CHECK_STR(s.remainder.channel, "");
    CHECK_BUCKET(&s.remainder, 5, 5, 0, 0);
    CHECK_EQ(info_of(f.l).channels, 2);

    /* A second create with the same id changes nothing. */
    EXPECT(&f, cmd_pool(SLOT_OP_POOL_CREATE, "h1/cardio/2024-05-01/am", 99),
           SLOT_POOL_EXISTS);
    CHECK_EQ(pool_of(f.l, "h1/cardio/2024-05-01/am").capacity, 10);
    CHECK_EQ(info_of(f.l).pools, 1);
    ledger_destroy(f.l);
}

/* Channels table: LEDGER_CHANNELS_MAX fit; one more is LIMIT_REACHED, for a
 * pool create (which then does not exist) and for a hold. */
static void test_pool_channel_limit(void)
{
    static const char *const names[] = {
        "c00", "c01", "c02", "c03", "c04", "c05", "c06", "c07", "c08", "c09",
        "c10", "c11", "c12", "c13", "c14", "c15", "c16", "c17", "c18", "c19",
        "c20", "c21", "c22", "c23", "c24", "c25", "c26", "c27", "c28", "c29",
        "c30", "c31", "c32", "c33", "c34", "c35", "c36", "c37", "c38", "c39",
        "c40", "c41", "c42", "c43", "c44", "c45", "c46", "c47", "c48", "c49",
        "c50", "c51", "c52", "c53", "c54", "c55", "c56", "c57", "c58", "c59",
        "c60", "c61", "c62", "c63"};
    static const char *const pools[] = {"q0", "q1", "q2", "q3",
                                        "q4", "q5", "q6", "q7"};
    _Static_assert(sizeof names / sizeof names[0] == LEDGER_CHANNELS_MAX,
                   "one name per channel");
    struct fx f;
    fx_init(&f);
    for (int p = 0; p < 8; p++) {
        struct slot_cmd c = cmd_pool(SLOT_OP_POOL_CREATE, pools[p], 16);
        for (int i = 0; i < 8; i++) {
            cmd_share(&c, names[p * 8 + i], 1);
        }
        EXPECT(&f, c, SLOT_OK);
    }
    CHECK_EQ(info_of(f.l).channels, LEDGER_CHANNELS_MAX);
    struct slot_cmd c = cmd_pool(SLOT_OP_POOL_CREATE, "extra", 4);
    cmd_share(&c, "c00", 1);
    cmd_share(&c, "newbie", 1);
    EXPECT(&f, c, SLOT_LIMIT_REACHED);
    struct slot_pool_status s;
    CHECK_CODE(ledger_read_pool(f.l, str_of("extra"), &s), SLOT_UNKNOWN_POOL);
    CHECK_EQ(info_of(f.l).pools, 8);
    /* A hold through a known channel works, through a new one it cannot. */
    EXPECT(&f, cmd_hold("q0", "patient-1", "c05", TTL), SLOT_OK);
    EXPECT(&f, cmd_hold("q0", "patient-2", "newbie", TTL), SLOT_LIMIT_REACHED);
    CHECK_EQ(pool_of(f.l, "q0").held, 1);
    /* An update naming a new channel cannot intern it either. */
    c = cmd_pool(SLOT_OP_POOL_UPDATE, "q1", 16);
    cmd_share(&c, "newbie", 1);
    EXPECT(&f, c, SLOT_LIMIT_REACHED);
    CHECK_EQ(pool_of(f.l, "q1").n_shares, 8);
    CHECK_EQ(info_of(f.l).channels, LEDGER_CHANNELS_MAX);
    ledger_destroy(f.l);
}

static void test_pool_update_replaces(void)
{
    struct fx f;
    fx_init(&f);
    struct slot_cmd c = cmd_pool(SLOT_OP_POOL_CREATE, "p", 10);
    cmd_share(&c, "app", 4);
    EXPECT(&f, c, SLOT_OK);
    fx_hold(&f, "p", "patient-1");                               /* app share */
    EXPECT(&f, cmd_hold("p", "patient-2", "web", TTL), SLOT_OK); /* remainder */

    c = cmd_pool(SLOT_OP_POOL_UPDATE, "p", 6);
    cmd_share(&c, "phone", 2);
    cmd_share(&c, "app", 1);
    c.u.pool.kind = SLOT_KIND_NORMAL;
    c.u.pool.fee_cents = 700;
    c.u.pool.seg_start_ms = 10;
    c.u.pool.seg_end_ms = 20;
    c.u.pool.release_at_ms = T0 - 1;
    EXPECT(&f, c, SLOT_OK);
    struct slot_pool_status s = pool_of(f.l, "p");
    CHECK_EQ(s.kind, SLOT_KIND_NORMAL);
    CHECK_EQ(s.fee_cents, 700);
    CHECK_EQ(s.seg_start_ms, 10);
    CHECK_EQ(s.seg_end_ms, 20);
    CHECK_EQ(s.release_at_ms, T0 - 1);
    CHECK_EQ(s.capacity, 6);
    CHECK_POOL(s, 4, 2, 0);
    CHECK_EQ(s.n_shares, 2);
    CHECK_STR(s.shares[0].channel, "phone");
    CHECK_BUCKET(&s.shares[0], 2, 2, 0, 0);
    CHECK_STR(s.shares[1].channel, "app");
    CHECK_BUCKET(&s.shares[1], 1, 0, 1, 0);
    CHECK_BUCKET(&s.remainder, 3, 2, 1, 0);
    ledger_destroy(f.l);
}

/* Shared set-up of the CAPACITY_CONFLICT tests: pool "p" of 10 with an app
 * share of 3; two app holds in the share and two web holds in the
 * remainder. */
static void fx_busy_pool(struct fx *f)
{
    struct slot_cmd c = cmd_pool(SLOT_OP_POOL_CREATE, "p", 10);
    cmd_share(&c, "app", 3);
    EXPECT(f, c, SLOT_OK);
    fx_hold(f, "p", "patient-1");
    fx_hold(f, "p", "patient-2");
    EXPECT(f, cmd_hold("p", "patient-3", "web", TTL), SLOT_OK);
    EXPECT(f, cmd_hold("p", "patient-4", "web", TTL), SLOT_OK);
}

static void check_busy_pool_unchanged(const struct ledger *l)
{
    struct slot_pool_status s = pool_of(l, "p");
    CHECK_EQ(s.capacity, 10);
    CHECK_POOL(s, 6, 4, 0);
    CHECK_EQ(s.n_shares, 1);
    CHECK_BUCKET(&s.shares[0], 3, 1, 2, 0);
    CHECK_BUCKET(&s.remainder, 7, 5, 2, 0);
}

static void test_pool_update_share_below_used(void)
{
    struct fx f;
    fx_init(&f);
    fx_busy_pool(&f);
    struct slot_cmd c = cmd_pool(SLOT_OP_POOL_UPDATE, "p", 10);
    cmd_share(&c, "app", 1);
    EXPECT(&f, c, SLOT_CAPACITY_CONFLICT);
    check_busy_pool_unchanged(f.l);
    c.u.pool.shares[0].slots = 2; /* exactly what is in use: fine */
    EXPECT(&f, c, SLOT_OK);
    struct slot_pool_status s = pool_of(f.l, "p");
    CHECK_BUCKET(&s.shares[0], 2, 0, 2, 0);
    ledger_destroy(f.l);
}

static void test_pool_update_removed_share_used(void)
{
    struct fx f;
    fx_init(&f);
    fx_busy_pool(&f);
    /* Remainder would be 10 >= 2: only the removed share conflicts. */
    EXPECT(&f, cmd_pool(SLOT_OP_POOL_UPDATE, "p", 10), SLOT_CAPACITY_CONFLICT);
    check_busy_pool_unchanged(f.l);
    /* Same when the share is replaced by another channel's. */
    struct slot_cmd c = cmd_pool(SLOT_OP_POOL_UPDATE, "p", 10);
    cmd_share(&c, "phone", 3);
    EXPECT(&f, c, SLOT_CAPACITY_CONFLICT);
    check_busy_pool_unchanged(f.l);
    ledger_destroy(f.l);
}

static void test_pool_update_remainder_below_used(void)
{
    struct fx f;
    fx_init(&f);
    fx_busy_pool(&f);
    /* Capacity 4 with app 3 leaves a remainder of 1 < 2 in use. */
    struct slot_cmd c = cmd_pool(SLOT_OP_POOL_UPDATE, "p", 4);
    cmd_share(&c, "app", 3);
    EXPECT(&f, c, SLOT_CAPACITY_CONFLICT);
    check_busy_pool_unchanged(f.l);
    /* A new share eating the remainder: 10 - 3 - 6 = 1 < 2. */
    c = cmd_pool(SLOT_OP_POOL_UPDATE, "p", 10);
    cmd_share(&c, "app", 3);
    cmd_share(&c, "phone", 6);
    EXPECT(&f, c, SLOT_CAPACITY_CONFLICT);
    check_busy_pool_unchanged(f.l);
    c.u.pool.shares[1].slots = 5; /* remainder 2: fine */
    EXPECT(&f, c, SLOT_OK);
    struct slot_pool_status s = pool_of(f.l, "p");
    CHECK_BUCKET(&s.remainder, 2, 0, 2, 0);
    ledger_destroy(f.l);
}

static void test_pool_update_closed_unknown(void)
{
    struct fx f;
    fx_init(&f);
    EXPECT(&f, cmd_pool(SLOT_OP_POOL_UPDATE, "nope", 5), SLOT_UNKNOWN_POOL);
    fx_pool(&f, "p", 5);
    EXPECT(&f, cmd_close("p"), SLOT_OK);
    EXPECT(&f, cmd_pool(SLOT_OP_POOL_UPDATE, "p", 7), SLOT_POOL_CLOSED);
    CHECK_EQ(pool_of(f.l, "p").capacity, 5);
    ledger_destroy(f.l);
}

static void test_pool_close(void)
{
    struct fx f;
    fx_init(&f);
    fx_pool(&f, "p", 5);
    uint64_t h1 = fx_hold(&f, "p", "patient-1");
    uint64_t h2 = fx_hold(&f, "p", "patient-2");
    EXPECT(&f, cmd_confirm(h2), SLOT_OK);
    struct slot_result r = EXPECT(&f, cmd_close("p"), SLOT_OK);
    CHECK_EQ(r.a, 0);
    CHECK_EQ(pool_of(f.l, "p").state, SLOT_PSTATE_CLOSED);
    EXPECT(&f, cmd_close("p"), SLOT_POOL_CLOSED);
    EXPECT(&f, cmd_close("nope"), SLOT_UNKNOWN_POOL);
    EXPECT(&f, cmd_hold("p", "patient-3", "app", TTL), SLOT_POOL_CLOSED);
    /* Existing claims live on. */
    CHECK_POOL(pool_of(f.l, "p"), 3, 1, 1);
    EXPECT(&f, cmd_confirm(h1), SLOT_OK);
    EXPECT(&f, cmd_cancel(h2), SLOT_OK);
    CHECK_POOL(pool_of(f.l, "p"), 4, 0, 1);
    ledger_destroy(f.l);
}

/* ---- hold ---------------------------------------------------------------- */

static void test_hold_ok(void)
{
    struct fx f;
    fx_init(&f);
    fx_pool(&f, "p", 5);
    struct slot_result r =
        EXPECT(&f, cmd_hold("p", "patient-1", "app", 120000), SLOT_OK);
    CHECK_EQ(r.a, 1);
    CHECK_EQ(r.b, T0 + 120000);
    f.now += 7;
    r = EXPECT(&f, cmd_hold("p", "patient-2", "web", 1000), SLOT_OK);
    CHECK_EQ(r.a, 2);
    CHECK_EQ(r.b, T0 + 7 + 1000);
    struct slot_claim c = claim_of(f.l, 2);
    CHECK_EQ(c.id, 2);
    CHECK_EQ(c.state, SLOT_CLAIM_HELD);
    CHECK_STR(c.pool, "p");
    CHECK_STR(c.patient, "patient-2");
    CHECK_STR(c.channel, "web");
    CHECK_EQ(c.held_at_ms, T0 + 7);
    CHECK_EQ(c.deadline_ms, T0 + 7 + 1000);
    CHECK_EQ(c.booked_at_ms, 0);
    CHECK_EQ(c.resolved_at_ms, 0);
    CHECK_EQ(c.visit_no, 0);
    CHECK_POOL(pool_of(f.l, "p"), 3, 2, 0);
    CHECK_EQ(info_of(f.l).holds_active, 2);
    CHECK_EQ(info_of(f.l).patients, 2);
    ledger_destroy(f.l);
}

static void test_hold_unknown_pool(void)
{
    struct fx f;
    fx_init(&f);
    /* Even with an out-of-range ttl, the pool is judged first. */
    EXPECT(&f, cmd_hold("nope", "patient-1", "app", 1), SLOT_UNKNOWN_POOL);
    CHECK_EQ(info_of(f.l).holds_active, 0);
    ledger_destroy(f.l);
}

static void test_hold_closed_before_not_released(void)
{
    struct fx f;
    fx_init(&f);
    struct slot_cmd c = cmd_pool(SLOT_OP_POOL_CREATE, "p", 5);
    c.u.pool.release_at_ms = T0 + 100000;
    EXPECT(&f, c, SLOT_OK);
    EXPECT(&f, cmd_close("p"), SLOT_OK);
    EXPECT(&f, cmd_hold("p", "patient-1", "app", 1), SLOT_POOL_CLOSED);
    ledger_destroy(f.l);
}

static void test_hold_not_released(void)
{
    struct fx f;
    fx_init(&f);
    struct slot_cmd c = cmd_pool(SLOT_OP_POOL_CREATE, "p", 5);
    c.u.pool.release_at_ms = T0 + 500;
    EXPECT(&f, c, SLOT_OK);
    /* NOT_RELEASED comes before TTL_OUT_OF_RANGE. */
    EXPECT(&f, cmd_hold("p", "patient-1", "app", 1), SLOT_NOT_RELEASED);
    f.now = T0 + 499;
    EXPECT(&f, cmd_hold("p", "patient-1", "app", TTL), SLOT_NOT_RELEASED);
    CHECK_EQ(pool_of(f.l, "p").held, 0);
    f.now = T0 + 500;
    EXPECT(&f, cmd_hold("p", "patient-1", "app", TTL), SLOT_OK);
    ledger_destroy(f.l);
}

static void test_hold_ttl_range(void)
{
    struct fx f;
    fx_init(&f);
    fx_pool(&f, "p", 5);
    EXPECT(&f, cmd_hold("p", "patient-1", "app", LEDGER_DEFAULT_TTL_MIN_MS - 1),
           SLOT_TTL_OUT_OF_RANGE);
    EXPECT(&f, cmd_hold("p", "patient-1", "app", LEDGER_DEFAULT_TTL_MAX_MS + 1),
           SLOT_TTL_OUT_OF_RANGE);
    EXPECT(&f, cmd_hold("p", "patient-1", "app", UINT32_MAX),
           SLOT_TTL_OUT_OF_RANGE);
    CHECK_EQ(pool_of(f.l, "p").held, 0);
    EXPECT(&f, cmd_hold("p", "patient-1", "app", LEDGER_DEFAULT_TTL_MIN_MS),
           SLOT_OK);
    EXPECT(&f, cmd_hold("p", "patient-2", "app", LEDGER_DEFAULT_TTL_MAX_MS),
           SLOT_OK);
    /* TTL_OUT_OF_RANGE comes before PATIENT_HAS_CLAIM. */
    EXPECT(&f, cmd_hold("p", "patient-1", "app", 1), SLOT_TTL_OUT_OF_RANGE);
    ledger_destroy(f.l);
}

static void test_hold_patient_has_claim(void)
{
    struct fx f;
    fx_init(&f);
    fx_pool(&f, "p", 2);
    fx_pool(&f, "q", 5);
    uint64_t h1 = fx_hold(&f, "p", "patient-1");
    EXPECT(&f, cmd_hold("p", "patient-1", "web", TTL), SLOT_PATIENT_HAS_CLAIM);
    fx_hold(&f, "p", "patient-2"); /* p is full now */
    /* PATIENT_HAS_CLAIM comes before SOLD_OUT. */
    EXPECT(&f, cmd_hold("p", "patient-1", "app", TTL), SLOT_PATIENT_HAS_CLAIM);
    EXPECT(&f, cmd_hold("p", "patient-3", "app", TTL), SLOT_SOLD_OUT);
    /* Another pool is another matter. */
    fx_hold(&f, "q", "patient-1");
    /* A booking counts too; a released or cancelled claim does not. */
    EXPECT(&f, cmd_confirm(h1), SLOT_OK);
    EXPECT(&f, cmd_hold("q", "patient-1", "app", TTL), SLOT_PATIENT_HAS_CLAIM);
    EXPECT(&f, cmd_hold("p", "patient-1", "app", TTL), SLOT_PATIENT_HAS_CLAIM);
    EXPECT(&f, cmd_cancel(h1), SLOT_OK);
    uint64_t h4 = fx_hold(&f, "p", "patient-1");
    EXPECT(&f, cmd_release(h4), SLOT_OK);
    fx_hold(&f, "p", "patient-1");
    ledger_destroy(f.l);
}

/* A hold past its deadline does not count: it expires on the spot. */
static void test_hold_patient_expired_claim(void)
{
    struct fx f;
    fx_init(&f);
    fx_pool(&f, "p", 1);
    uint64_t h1 =
        EXPECT(&f, cmd_hold("p", "patient-1", "app", 1000), SLOT_OK).a;
    f.now = T0 + 999;
    EXPECT(&f, cmd_hold("p", "patient-1", "app", 1000), SLOT_PATIENT_HAS_CLAIM);
    f.now = T0 + 1000; /* deadline == now, no sweep ran */
    /* Refused at the ttl, before the patient's claims are looked at. */
    EXPECT(&f, cmd_hold("p", "patient-1", "app", 1), SLOT_TTL_OUT_OF_RANGE);
    CHECK_EQ(info_of(f.l).retained, 0);
    uint64_t h2 =
        EXPECT(&f, cmd_hold("p", "patient-1", "app", 1000), SLOT_OK).a;
    CHECK(h2 != h1);
    struct slot_claim c = claim_of(f.l, h1);
    CHECK_EQ(c.state, SLOT_CLAIM_EXPIRED);
    CHECK_EQ(c.resolved_at_ms, T0 + 1000);
    CHECK_POOL(pool_of(f.l, "p"), 0, 1, 0);
    struct slot_ledger_info i = info_of(f.l);
    CHECK_EQ(i.holds_active, 1);
    CHECK_EQ(i.retained, 1);
    ledger_destroy(f.l);
}

/* A channel's holds go to its share while it has a free slot, then to the
 * shared remainder; SOLD_OUT when neither can take it. */
static void test_hold_share_then_remainder(void)
{
    struct fx f;
    fx_init(&f);
    struct slot_cmd c = cmd_pool(SLOT_OP_POOL_CREATE, "p", 4);
    cmd_share(&c, "app", 1);
    cmd_share(&c, "phone", 1);
    EXPECT(&f, c, SLOT_OK);
    fx_hold(&f, "p", "patient-1");
    struct slot_pool_status s = pool_of(f.l, "p");
    CHECK_BUCKET(&s.shares[0], 1, 0, 1, 0);
    CHECK_BUCKET(&s.remainder, 2, 2, 0, 0);
    uint64_t h2 = fx_hold(&f, "p", "patient-2");
    EXPECT(&f, cmd_hold("p", "patient-3", "web", TTL), SLOT_OK);
    s = pool_of(f.l, "p");
    CHECK_BUCKET(&s.shares[0], 1, 0, 1, 0);
    CHECK_BUCKET(&s.shares[1], 1, 1, 0, 0);
    CHECK_BUCKET(&s.remainder, 2, 0, 2, 0);
    /* Remainder gone: app and web are sold out, phone still has its share. */
    EXPECT(&f, cmd_hold("p", "patient-4", "app", TTL), SLOT_SOLD_OUT);
    EXPECT(&f, cmd_hold("p", "patient-4", "web", TTL), SLOT_SOLD_OUT);
    EXPECT(&f, cmd_hold("p", "patient-4", "phone", TTL), SLOT_OK);
    s = pool_of(f.l, "p");
    CHECK_BUCKET(&s.shares[1], 1, 0, 1, 0);
    CHECK_POOL(s, 0, 4, 0);
    /* A freed remainder slot serves whoever comes next. */
    EXPECT(&f, cmd_release(h2), SLOT_OK);
    EXPECT(&f, cmd_hold("p", "patient-5", "web", TTL), SLOT_OK);
    s = pool_of(f.l, "p");
    CHECK_BUCKET(&s.remainder, 2, 0, 2, 0);
    ledger_destroy(f.l);
}

/* No remainder: a channel without a share can never hold. */
static void test_hold_sold_out_without_remainder(void)
{
    struct fx f;
    fx_init(&f);
    struct slot_cmd c = cmd_pool(SLOT_OP_POOL_CREATE, "p", 2);
    cmd_share(&c, "app", 2);
    EXPECT(&f, c, SLOT_OK);
    EXPECT(&f, cmd_hold("p", "patient-1", "web", TTL), SLOT_SOLD_OUT);
    fx_hold(&f, "p", "patient-1");
    fx_hold(&f, "p", "patient-2");
    EXPECT(&f, cmd_hold("p", "patient-3", "app", TTL), SLOT_SOLD_OUT);
    struct slot_pool_status s = pool_of(f.l, "p");
    CHECK_BUCKET(&s.shares[0], 2, 0, 2, 0);
    CHECK_BUCKET(&s.remainder, 0, 0, 0, 0);
    ledger_destroy(f.l);
}

/* ---- confirm ------------------------------------------------------------- */

static void test_confirm_visit_numbers(void)
{
    struct fx f;
    fx_init(&f);
    fx_pool(&f, "p", 5);
    fx_pool(&f, "q", 5);
    uint64_t h1 = fx_hold(&f, "p", "patient-1");
    uint64_t h2 = fx_hold(&f, "p", "patient-2");
    uint64_t h3 = fx_hold(&f, "q", "patient-3");
    uint64_t h4 = fx_hold(&f, "p", "patient-4");
    f.now += 10;
    struct slot_result r = EXPECT(&f, cmd_confirm(h2), SLOT_OK);
    CHECK_EQ(r.a, h2);
    CHECK_EQ(r.b, 1);
    CHECK_EQ(EXPECT(&f, cmd_confirm(h3), SLOT_OK).b, 1); /* per pool */
    CHECK_EQ(EXPECT(&f, cmd_confirm(h1), SLOT_OK).b, 2);
    EXPECT(&f, cmd_cancel(h1), SLOT_OK);
    /* The number a cancellation freed goes to the next booking: numbers
     * stay within capacity and keep meaning a time. */
    CHECK_EQ(EXPECT(&f, cmd_confirm(h4), SLOT_OK).b, 2);
    uint64_t h5 = fx_hold(&f, "p", "patient-1");
    CHECK_EQ(EXPECT(&f, cmd_confirm(h5), SLOT_OK).b, 3);
    CHECK_EQ(pool_of(f.l, "p").next_visit_no, 4);
    CHECK_EQ(pool_of(f.l, "q").next_visit_no, 2);
    struct slot_claim c = claim_of(f.l, h2);
    CHECK_EQ(c.state, SLOT_CLAIM_BOOKED);
    CHECK_EQ(c.visit_no, 1);
    CHECK_EQ(c.booked_at_ms, T0 + 10);
    CHECK_STR(c.payment_ref, "pay-0001");
    CHECK_EQ(claim_of(f.l, h1).visit_no, 2);
    CHECK_POOL(pool_of(f.l, "p"), 2, 0, 3);
    ledger_destroy(f.l);
}

/* Payment records live in slabs by size (ledgerInt.h, struct payslab):
 * references at each class's limits read back whole, through a cancel
 * that frees a record for the next booking and through a snapshot. */
static void test_confirm_payment_classes(void)
{
    static const uint32_t lens[] = {1, 25, 26, 27, 41, 42, 43, 63, 64};
    enum { N = sizeof lens / sizeof lens[0] };
    char refs[N][SLOT_PAYMENT_REF_MAX + 1];
    uint64_t ids[N];
    struct fx f;
    fx_init(&f);
    fx_pool(&f, "p", 2 * N);
    for (uint32_t i = 0; i < N; i++) {
        for (uint32_t j = 0; j < lens[i]; j++) {
            refs[i][j] = (char)('A' + (i * 7 + j) % 26);
        }
        refs[i][lens[i]] = '\0';
        char patient[32];
        snprintf(patient, sizeof patient, "patient-%u", i);
        ids[i] = fx_hold(&f, "p", patient);
        struct slot_cmd c = cmd_confirm(ids[i]);
        c.u.claim.payment_ref = str_of(refs[i]);
        EXPECT(&f, c, SLOT_OK);
    }
    /* Each class frees one record, which the next booking of its class
     * takes. */
    for (uint32_t i = 2; i < N; i += 3) {
        EXPECT(&f, cmd_cancel(ids[i]), SLOT_OK);
        char patient[32];
        snprintf(patient, sizeof patient, "patient-again-%u", i);
        uint64_t h = fx_hold(&f, "p", patient);
        struct slot_cmd c = cmd_confirm(h);
        c.u.claim.payment_ref = str_of(refs[i]);
        EXPECT(&f, c, SLOT_OK);
        CHECK_STR(claim_of(f.l, h).payment_ref, refs[i]);
    }
    struct ledger *copy = restore_same(f.l);
    for (uint32_t i = 0; i < N; i++) {
        CHECK_STR(claim_of(f.l, ids[i]).payment_ref, refs[i]);
        CHECK_STR(claim_of(copy, ids[i]).payment_ref, refs[i]);
        CHECK_EQ(claim_of(copy, ids[i]).paid, 1);
    }
    check_ledger(copy);
    ledger_destroy(copy);
    ledger_destroy(f.l);
}

/* A claim keeps when it was booked as an offset from when it was held
 * (struct claim, a u32): a CONFIRM at the last moment of the longest hold
 * reads back exact, after a restore too. */
static void test_confirm_booked_at_late(void)
{
    const uint32_t ttl = 86400000; /* the longest hold config allows */
    struct fx f;
    fx_init(&f);
    struct slot_config cfg = config_of(f.l);
    cfg.hold_ttl_max_ms = ttl;
    cfg.session_idle_ms = 2ull * ttl; /* the session waits with the hold */
    EXPECT(&f, cmd_config(cfg), SLOT_OK);
    fx_pool(&f, "p", 2);
    uint64_t held_at = f.now;
    uint64_t h = EXPECT(&f, cmd_hold("p", "patient-1", "app", ttl), SLOT_OK).a;
    f.now += ttl - 1;
    EXPECT(&f, cmd_confirm(h), SLOT_OK);
    struct slot_claim c = claim_of(f.l, h);
    CHECK_EQ(c.held_at_ms, held_at);
    CHECK_EQ(c.booked_at_ms, held_at + ttl - 1);
    EXPECT(&f, cmd_cancel(h), SLOT_OK);
    CHECK_EQ(claim_of(f.l, h).booked_at_ms, held_at + ttl - 1);
    struct ledger *copy = restore_same(f.l);
    CHECK_EQ(claim_of(copy, h).booked_at_ms, held_at + ttl - 1);
    check_ledger(copy);
    ledger_destroy(copy);
    ledger_destroy(f.l);
}

static void test_confirm_unknown_hold(void)
{
    struct fx f;
    fx_init(&f);
    fx_pool(&f, "p", 5);
    uint64_t h = fx_hold(&f, "p", "patient-1");
    EXPECT(&f, cmd_confirm(h + 1), SLOT_UNKNOWN_HOLD);
    EXPECT(&f, cmd_release(h + 1), SLOT_UNKNOWN_HOLD);
    CHECK_EQ(claim_of(f.l, h).state, SLOT_CLAIM_HELD);
    ledger_destroy(f.l);
}

static void test_confirm_expired_at_deadline(void)
{
    struct fx f;
    fx_init(&f);
    fx_pool(&f, "p", 5);
    uint64_t h1 =
        EXPECT(&f, cmd_hold("p", "patient-1", "app", 1000), SLOT_OK).a;
    uint64_t h2 =
        EXPECT(&f, cmd_hold("p", "patient-2", "app", 1000), SLOT_OK).a;
    f.now = T0 + 999;
    EXPECT(&f, cmd_confirm(h2), SLOT_OK);
    f.now = T0 + 1000;
    CHECK(ledger_next_deadline_ms(f.l) == T0 + 1000); /* no sweep ran */
    EXPECT(&f, cmd_confirm(h1), SLOT_HOLD_EXPIRED);
    struct slot_claim c = claim_of(f.l, h1);
    CHECK_EQ(c.state, SLOT_CLAIM_EXPIRED);
    CHECK_EQ(c.resolved_at_ms, T0 + 1000);
    CHECK_POOL(pool_of(f.l, "p"), 4, 0, 1);
    CHECK(ledger_next_deadline_ms(f.l) == UINT64_MAX);
    CHECK_EQ(info_of(f.l).retained, 1);
    /* Every later resolution names the expiry. */
    EXPECT(&f, cmd_confirm(h1), SLOT_HOLD_EXPIRED);
    EXPECT(&f, cmd_release(h1), SLOT_HOLD_EXPIRED);
    ledger_destroy(f.l);
}

static void test_release_expired_at_deadline(void)
{
    struct fx f;
    fx_init(&f);
    fx_pool(&f, "p", 5);
    uint64_t h = EXPECT(&f, cmd_hold("p", "patient-1", "app", 1000), SLOT_OK).a;
    f.now = T0 + 1000;
    EXPECT(&f, cmd_release(h), SLOT_HOLD_EXPIRED);
    CHECK_EQ(claim_of(f.l, h).state, SLOT_CLAIM_EXPIRED);
    CHECK_POOL(pool_of(f.l, "p"), 5, 0, 0);
    EXPECT(&f, cmd_confirm(h), SLOT_HOLD_EXPIRED);
    ledger_destroy(f.l);
}

static void test_confirm_already_confirmed(void)
{
    struct fx f;
    fx_init(&f);
    fx_pool(&f, "p", 5);
    uint64_t h = fx_hold(&f, "p", "patient-1");
    EXPECT(&f, cmd_confirm(h), SLOT_OK);
    EXPECT(&f, cmd_confirm(h), SLOT_ALREADY_CONFIRMED);
    EXPECT(&f, cmd_release(h), SLOT_ALREADY_CONFIRMED);
    /* Long after the hold's deadline, a booking is still a booking. */
    f.now += 10 * TTL;
    EXPECT(&f, cmd_confirm(h), SLOT_ALREADY_CONFIRMED);
    EXPECT(&f, cmd_cancel(h), SLOT_OK);
    EXPECT(&f, cmd_confirm(h), SLOT_ALREADY_CONFIRMED);
    EXPECT(&f, cmd_release(h), SLOT_ALREADY_CONFIRMED);
    CHECK_EQ(claim_of(f.l, h).visit_no, 1);
    CHECK_EQ(pool_of(f.l, "p").next_visit_no, 2);
    ledger_destroy(f.l);
}

static void test_confirm_already_released(void)
{
    struct fx f;
    fx_init(&f);
    fx_pool(&f, "p", 5);
    uint64_t h = fx_hold(&f, "p", "patient-1");
    EXPECT(&f, cmd_release(h), SLOT_OK);
    EXPECT(&f, cmd_confirm(h), SLOT_ALREADY_RELEASED);
    EXPECT(&f, cmd_release(h), SLOT_ALREADY_RELEASED);
    f.now += 10 * TTL; /* past the old deadline: still "released" */
    EXPECT(&f, cmd_confirm(h), SLOT_ALREADY_RELEASED);
    CHECK_POOL(pool_of(f.l, "p"), 5, 0, 0);
    ledger_destroy(f.l);
}

/* ---- release / cancel ---------------------------------------------------- */

static void test_release(void)
{
    struct fx f;
    fx_init(&f);
    struct slot_cmd c = cmd_pool(SLOT_OP_POOL_CREATE, "p", 3);
    cmd_share(&c, "app", 1);
    EXPECT(&f, c, SLOT_OK);
    uint64_t h = fx_hold(&f, "p", "patient-1");
    f.now += 50;
    struct slot_result r = EXPECT(&f, cmd_release(h), SLOT_OK);
    CHECK_EQ(r.a, 0);
    CHECK_EQ(r.b, 0);
    struct slot_claim cl = claim_of(f.l, h);
    CHECK_EQ(cl.state, SLOT_CLAIM_RELEASED);
    CHECK_EQ(cl.resolved_at_ms, T0 + 50);
    struct slot_pool_status s = pool_of(f.l, "p");
    CHECK_POOL(s, 3, 0, 0);
    CHECK_BUCKET(&s.shares[0], 1, 1, 0, 0);
    struct slot_ledger_info i = info_of(f.l);
    CHECK_EQ(i.holds_active, 0);
    CHECK_EQ(i.retained, 1);
    CHECK(ledger_next_deadline_ms(f.l) == UINT64_MAX);
    fx_hold(&f, "p", "patient-1");
    ledger_destroy(f.l);
}

static void test_cancel(void)
{
    struct fx f;
    fx_init(&f);
    struct slot_cmd c = cmd_pool(SLOT_OP_POOL_CREATE, "p", 3);
    cmd_share(&c, "app", 1);
    EXPECT(&f, c, SLOT_OK);
    uint64_t h = fx_hold(&f, "p", "patient-1");
    EXPECT(&f, cmd_confirm(h), SLOT_OK);
    CHECK_EQ(info_of(f.l).bookings_active, 1);
    f.now += 70;
    struct slot_result r = EXPECT(&f, cmd_cancel(h), SLOT_OK);
    CHECK_EQ(r.a, 0);
    CHECK_EQ(r.b, 0);
    struct slot_claim cl;
    CHECK_CODE(ledger_read_claim(f.l, h, true, &cl), SLOT_OK);
    CHECK_EQ(cl.state, SLOT_CLAIM_CANCELLED);
    CHECK_EQ(cl.resolved_at_ms, T0 + 70);
    CHECK_EQ(cl.visit_no, 1);
    struct slot_pool_status s = pool_of(f.l, "p");
    CHECK_POOL(s, 3, 0, 0);
    CHECK_BUCKET(&s.shares[0], 1, 1, 0, 0);
    struct slot_ledger_info i = info_of(f.l);
    CHECK_EQ(i.bookings_active, 0);
    CHECK_EQ(i.retained, 1);
    EXPECT(&f, cmd_cancel(h), SLOT_ALREADY_CANCELLED);
    ledger_destroy(f.l);
}

static void test_cancel_unknown_booking(void)
{
    struct fx f;
    fx_init(&f);
    fx_pool(&f, "p", 5);
    uint64_t held = fx_hold(&f, "p", "patient-1");
    uint64_t released = fx_hold(&f, "p", "patient-2");
    EXPECT(&f, cmd_release(released), SLOT_OK);
    uint64_t expired =
        EXPECT(&f, cmd_hold("p", "patient-3", "app", 1000), SLOT_OK).a;
    f.now += 1000;
    EXPECT(&f, cmd_expire(10), SLOT_OK);
    CHECK_EQ(claim_of(f.l, expired).state, SLOT_CLAIM_EXPIRED);
    EXPECT(&f, cmd_cancel(held), SLOT_UNKNOWN_BOOKING);
    EXPECT(&f, cmd_cancel(released), SLOT_UNKNOWN_BOOKING);
    EXPECT(&f, cmd_cancel(expired), SLOT_UNKNOWN_BOOKING);
    EXPECT(&f, cmd_cancel(999), SLOT_UNKNOWN_BOOKING);
    CHECK_EQ(claim_of(f.l, held).state, SLOT_CLAIM_HELD);
    CHECK_POOL(pool_of(f.l, "p"), 4, 1, 0);
    ledger_destroy(f.l);
}

/* ---- expire -------------------------------------------------------------- */

static bool claim_known(const struct ledger *l, uint64_t id)
{
    struct slot_claim c;
    return ledger_read_claim(l, id, false, &c) == SLOT_OK;
}

/* Oldest deadline first, ties by id, at most max per command. Reads show
 * any hold past its deadline as expired, so to see which ones the sweep
 * took, retain_ms is 0: a swept hold is forgotten at the next command. */
static void test_expire_order(void)
{
    struct fx f;
    fx_init(&f);
    struct slot_config cfg = config_of(f.l);
    cfg.retain_ms = 0;
    EXPECT(&f, cmd_config(cfg), SLOT_OK);
    fx_pool(&f, "p", 5);
    uint64_t h1 =
        EXPECT(&f, cmd_hold("p", "patient-1", "app", 3000), SLOT_OK).a;
    uint64_t h2 =
        EXPECT(&f, cmd_hold("p", "patient-2", "app", 2000), SLOT_OK).a;
    f.now = T0 + 1000;
    uint64_t h3 =
        EXPECT(&f, cmd_hold("p", "patient-3", "app", 1000), SLOT_OK).a;
    uint64_t h4 =
        EXPECT(&f, cmd_hold("p", "patient-4", "app", 9000), SLOT_OK).a;
    CHECK(ledger_next_deadline_ms(f.l) == T0 + 2000);
    /* Nothing due yet. */
    struct slot_result r = EXPECT(&f, cmd_expire(SLOT_EXPIRE_MAX), SLOT_OK);
    CHECK_EQ(r.a, 0);
    CHECK_EQ(r.b, 0);

    f.now = T0 + 3000;
    r = EXPECT(&f, cmd_expire(1), SLOT_OK);
    CHECK_EQ(r.a, 1);
    CHECK_EQ(r.b, 2);
    EXPECT(&f, cmd_release(999), SLOT_UNKNOWN_HOLD); /* forgets the swept */
    CHECK(!claim_known(f.l, h2));
    CHECK(claim_known(f.l, h3) && claim_known(f.l, h1));
    CHECK(ledger_next_deadline_ms(f.l) == T0 + 2000);

    r = EXPECT(&f, cmd_expire(1), SLOT_OK);
    CHECK_EQ(r.a, 1);
    CHECK_EQ(r.b, 1);
    EXPECT(&f, cmd_release(999), SLOT_UNKNOWN_HOLD);
    CHECK(!claim_known(f.l, h3));
    CHECK(claim_known(f.l, h1));
    CHECK(ledger_next_deadline_ms(f.l) == T0 + 3000);

    r = EXPECT(&f, cmd_expire(SLOT_EXPIRE_MAX), SLOT_OK);
    CHECK_EQ(r.a, 1);
    CHECK_EQ(r.b, 0);
    EXPECT(&f, cmd_release(999), SLOT_UNKNOWN_HOLD);
    CHECK(!claim_known(f.l, h1));
    CHECK_EQ(claim_of(f.l, h4).state, SLOT_CLAIM_HELD);
    CHECK(ledger_next_deadline_ms(f.l) == T0 + 10000);
    CHECK_POOL(pool_of(f.l, "p"), 4, 1, 0);
    ledger_destroy(f.l);
}

/* A swept hold is EXPIRED with resolved_at = the sweep's time. */
static void test_expire_resolves(void)
{
    struct fx f;
    fx_init(&f);
    fx_pool(&f, "p", 5);
    uint64_t h = EXPECT(&f, cmd_hold("p", "patient-1", "app", 1000), SLOT_OK).a;
    f.now = T0 + 1500;
    CHECK_EQ(EXPECT(&f, cmd_expire(1), SLOT_OK).a, 1);
    struct slot_claim c = claim_of(f.l, h);
    CHECK_EQ(c.state, SLOT_CLAIM_EXPIRED);
    CHECK_EQ(c.resolved_at_ms, T0 + 1500);
    CHECK_POOL(pool_of(f.l, "p"), 5, 0, 0);
    struct slot_ledger_info i = info_of(f.l);
    CHECK_EQ(i.holds_active, 0);
    CHECK_EQ(i.retained, 1);
    CHECK(ledger_next_deadline_ms(f.l) == UINT64_MAX);
    EXPECT(&f, cmd_confirm(h), SLOT_HOLD_EXPIRED);
    ledger_destroy(f.l);
}

static void test_expire_due_count_cap(void)
{
    enum { N = SLOT_EXPIRE_DUE_COUNT_MAX + 76 };
    struct fx f;
    fx_init(&f);
    fx_pool(&f, "p", N);
    for (int i = 0; i < N; i++) {
        char key[32];
        snprintf(key, sizeof key, "patient-%05d", i);
        EXPECT(&f, cmd_hold("p", key, "app", 1000), SLOT_OK);
    }
    f.now += 1000;
    struct slot_result r = EXPECT(&f, cmd_expire(1), SLOT_OK);
    CHECK_EQ(r.a, 1);
    CHECK_EQ(r.b, SLOT_EXPIRE_DUE_COUNT_MAX); /* N - 1 due, capped */
    r = EXPECT(&f, cmd_expire(75), SLOT_OK);
    CHECK_EQ(r.a, 75);
    CHECK_EQ(r.b, SLOT_EXPIRE_DUE_COUNT_MAX); /* exactly the cap left */
    r = EXPECT(&f, cmd_expire(1), SLOT_OK);
    CHECK_EQ(r.b, SLOT_EXPIRE_DUE_COUNT_MAX - 1);
    r = EXPECT(&f, cmd_expire(SLOT_EXPIRE_MAX), SLOT_OK);
    CHECK_EQ(r.a, SLOT_EXPIRE_DUE_COUNT_MAX - 1);
    CHECK_EQ(r.b, 0);
    CHECK_POOL(pool_of(f.l, "p"), N, 0, 0);
    ledger_destroy(f.l);
}

/* ---- time ---------------------------------------------------------------- */

static void test_time_never_goes_back(void)
{
    struct fx f;
    fx_init(&f);
    fx_pool(&f, "p", 5);
    f.now = T0 + 5000;
    uint64_t h1 =
        EXPECT(&f, cmd_hold("p", "patient-1", "app", 1000), SLOT_OK).a;
    CHECK(ledger_time_ms(f.l) == T0 + 5000);
    f.now = T0 + 3000; /* a new leader with a slower clock */
    struct slot_result r =
        EXPECT(&f, cmd_hold("p", "patient-2", "app", 1000), SLOT_OK);
    CHECK_EQ(r.time_ms, T0 + 5000);
    CHECK_EQ(r.b, T0 + 6000);
    CHECK(ledger_time_ms(f.l) == T0 + 5000);
    f.now = T0 + 6000;
    EXPECT(&f, cmd_expire(1), SLOT_OK);
    CHECK_EQ(claim_of(f.l, h1).state, SLOT_CLAIM_EXPIRED);
    /* Going back after the deadline does not revive the other hold. */
    f.now = T0 + 4000;
    EXPECT(&f, cmd_confirm(r.a), SLOT_HOLD_EXPIRED);
    ledger_destroy(f.l);
}

/* One batch: time advances once; commands see each other's effects. */
static void test_batch(void)
{
    struct fx f;
    fx_init(&f);
    fx_pool(&f, "p", 1);
    struct slot_cmd cmds[3] = {cmd_hold("p", "patient-1", "app", TTL),
                               cmd_confirm(1),
                               cmd_hold("p", "patient-2", "app", TTL)};
    for (uint64_t i = 0; i < 3; i++) {
        cmds[i].session = f.session;
        cmds[i].seq = 10 + i;
        cmd_seal(&cmds[i]);
    }
    struct slot_result res[3];
    ledger_apply(f.l, T0 + 42, cmds, 3, res);
    check_ledger(f.l);
    CHECK_CODE(res[0].code, SLOT_OK);
    CHECK_CODE(res[1].code, SLOT_OK);
    CHECK_EQ(res[1].b, 1);
    CHECK_CODE(res[2].code, SLOT_SOLD_OUT);
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(res[i].time_ms, T0 + 42);
    }
    CHECK_POOL(pool_of(f.l, "p"), 0, 0, 1);
    ledger_destroy(f.l);
}

/* ---- retention ----------------------------------------------------------- */

static void test_retain_ms(void)
{
    struct fx f;
    fx_init(&f);
    struct slot_config cfg = config_of(f.l);
    cfg.retain_ms = 10000;
    EXPECT(&f, cmd_config(cfg), SLOT_OK);
    fx_pool(&f, "p", 5);
    uint64_t rel = fx_hold(&f, "p", "patient-1");
    uint64_t can = fx_hold(&f, "p", "patient-2");
    EXPECT(&f, cmd_confirm(can), SLOT_OK);
    EXPECT(&f, cmd_release(rel), SLOT_OK);
    EXPECT(&f, cmd_cancel(can), SLOT_OK);
    f.now = T0 + 9999;
    EXPECT(&f, cmd_confirm(rel), SLOT_ALREADY_RELEASED);
    EXPECT(&f, cmd_cancel(can), SLOT_ALREADY_CANCELLED);
    CHECK_EQ(info_of(f.l).retained, 2);
    f.now = T0 + 10000; /* resolved_at + retain_ms <= now */
    EXPECT(&f, cmd_confirm(rel), SLOT_UNKNOWN_HOLD);
    EXPECT(&f, cmd_cancel(can), SLOT_UNKNOWN_BOOKING);
    struct slot_claim c;
    CHECK_CODE(ledger_read_claim(f.l, rel, false, &c), SLOT_UNKNOWN_HOLD);
    CHECK_CODE(ledger_read_claim(f.l, can, false, &c), SLOT_UNKNOWN_HOLD);
    CHECK_CODE(ledger_read_claim(f.l, can, true, &c), SLOT_UNKNOWN_BOOKING);
    CHECK_EQ(info_of(f.l).retained, 0);
    ledger_destroy(f.l);
}

static void test_retain_max(void)
{
    struct fx f;
    fx_init(&f);
    struct slot_config cfg = config_of(f.l);
    cfg.retain_max = 2;
    EXPECT(&f, cmd_config(cfg), SLOT_OK);
    fx_pool(&f, "p", 5);
    uint64_t h1 = fx_hold(&f, "p", "patient-1");
    uint64_t h2 = fx_hold(&f, "p", "patient-2");
    uint64_t h3 = fx_hold(&f, "p", "patient-3");
    EXPECT(&f, cmd_release(h1), SLOT_OK);
    EXPECT(&f, cmd_release(h2), SLOT_OK);
    EXPECT(&f, cmd_release(h3), SLOT_OK);
    /* Trimmed at the start of the next command, oldest first. */
    CHECK_EQ(info_of(f.l).retained, 3);
    EXPECT(&f, cmd_confirm(h1), SLOT_UNKNOWN_HOLD);
    CHECK_EQ(info_of(f.l).retained, 2);
    EXPECT(&f, cmd_confirm(h2), SLOT_ALREADY_RELEASED);
    EXPECT(&f, cmd_confirm(h3), SLOT_ALREADY_RELEASED);
    ledger_destroy(f.l);
}

/* Resolved claims go at most SLOT_RETAIN_EVICT_PER_CMD per command. */
static void test_retain_eviction_bounded(void)
{
    enum { N = SLOT_RETAIN_EVICT_PER_CMD * 2 + 5 };
    struct fx f;
    fx_init(&f);
    struct slot_config cfg = config_of(f.l);
    cfg.retain_ms = 1000;
    EXPECT(&f, cmd_config(cfg), SLOT_OK);
    fx_pool(&f, "p", N);
    for (int i = 0; i < N; i++) {
        char key[32];
        snprintf(key, sizeof key, "patient-%03d", i);
        uint64_t h = EXPECT(&f, cmd_hold("p", key, "app", TTL), SLOT_OK).a;
        EXPECT(&f, cmd_release(h), SLOT_OK);
    }
    CHECK_EQ(info_of(f.l).retained, N);
    f.now += 1000;
    uint32_t left = N;
    while (left > 0) {
        EXPECT(&f, cmd_expire(1), SLOT_OK);
        left -=
            left < SLOT_RETAIN_EVICT_PER_CMD ? left : SLOT_RETAIN_EVICT_PER_CMD;
        CHECK_EQ(info_of(f.l).retained, left);
    }
    ledger_destroy(f.l);
}

/* ---- reads --------------------------------------------------------------- */

static void test_read_pool_state(void)
{
    struct fx f;
    fx_init(&f);
    struct slot_cmd c = cmd_pool(SLOT_OP_POOL_CREATE, "p", 10);
    cmd_share(&c, "app", 3);
    cmd_share(&c, "phone", 2);
    c.u.pool.release_at_ms = T0 + 100;
    EXPECT(&f, c, SLOT_OK);
    CHECK_EQ(pool_of(f.l, "p").state, SLOT_PSTATE_SCHEDULED);
    f.now = T0 + 100;
    EXPECT(&f, cmd_expire(1), SLOT_OK); /* reads judge by ledger time */
    CHECK_EQ(pool_of(f.l, "p").state, SLOT_PSTATE_OPEN);
    uint64_t a1 = fx_hold(&f, "p", "patient-1");
    fx_hold(&f, "p", "patient-2");
    EXPECT(&f, cmd_hold("p", "patient-3", "phone", TTL), SLOT_OK);
    EXPECT(&f, cmd_hold("p", "patient-4", "web", TTL), SLOT_OK);
    EXPECT(&f, cmd_confirm(a1), SLOT_OK);
    struct slot_pool_status s = pool_of(f.l, "p");
    CHECK_POOL(s, 6, 3, 1);
    CHECK_BUCKET(&s.shares[0], 3, 1, 1, 1);
    CHECK_BUCKET(&s.shares[1], 2, 1, 1, 0);
    CHECK_BUCKET(&s.remainder, 5, 4, 1, 0);
    EXPECT(&f, cmd_close("p"), SLOT_OK);
    CHECK_EQ(pool_of(f.l, "p").state, SLOT_PSTATE_CLOSED);
    CHECK_CODE(ledger_read_pool(f.l, str_of("nope"), &s), SLOT_UNKNOWN_POOL);
    ledger_destroy(f.l);
}

static void test_read_claim(void)
{
    struct fx f;
    fx_init(&f);
    fx_pool(&f, "p", 5);
    uint64_t held = fx_hold(&f, "p", "patient-1");
    uint64_t booked = fx_hold(&f, "p", "patient-2");
    uint64_t late =
        EXPECT(&f, cmd_hold("p", "patient-3", "app", 1000), SLOT_OK).a;
    f.now += 10;
    EXPECT(&f, cmd_confirm(booked), SLOT_OK);
    struct slot_claim c;
    CHECK_CODE(ledger_read_claim(f.l, held, true, &c), SLOT_UNKNOWN_BOOKING);
    CHECK_CODE(ledger_read_claim(f.l, held, false, &c), SLOT_OK);
    CHECK_EQ(c.state, SLOT_CLAIM_HELD);
    CHECK_CODE(ledger_read_claim(f.l, booked, true, &c), SLOT_OK);
    CHECK_EQ(c.id, booked);
    CHECK_EQ(c.state, SLOT_CLAIM_BOOKED);
    CHECK_STR(c.patient, "patient-2");
    CHECK_EQ(c.held_at_ms, T0);
    CHECK_EQ(c.deadline_ms, T0 + TTL);
    CHECK_EQ(c.booked_at_ms, T0 + 10);
    CHECK_EQ(c.resolved_at_ms, 0);
    CHECK_EQ(c.visit_no, 1);
    CHECK_STR(c.payment_ref, "pay-0001");
    CHECK_CODE(ledger_read_claim(f.l, booked, false, &c), SLOT_OK);
    CHECK_EQ(c.state, SLOT_CLAIM_BOOKED);
    CHECK_CODE(ledger_read_claim(f.l, 999, false, &c), SLOT_UNKNOWN_HOLD);
    CHECK_CODE(ledger_read_claim(f.l, 999, true, &c), SLOT_UNKNOWN_BOOKING);
    /* Past its deadline a hold reads as expired, though no sweep ran. */
    f.now = T0 + 1000;
    EXPECT(&f, cmd_release(999), SLOT_UNKNOWN_HOLD);
    CHECK_EQ(claim_of(f.l, late).state, SLOT_CLAIM_EXPIRED);
    CHECK_CODE(ledger_read_claim(f.l, late, true, &c), SLOT_UNKNOWN_BOOKING);
    ledger_destroy(f.l);
}

static void test_read_patient(void)
{
    struct fx f;
    fx_init(&f);
    fx_pool(&f, "p", 5);
    fx_pool(&f, "q", 5);
    uint64_t h = fx_hold(&f, "p", "patient-1");
    fx_hold(&f, "q", "patient-1");
    struct slot_claim out[4];
    uint32_t n = 99;
    CHECK_CODE(
        ledger_read_patient(f.l, str_of("p"), str_of("patient-1"), out, 4, &n),
        SLOT_OK);
    CHECK_EQ(n, 1);
    CHECK_EQ(out[0].id, h);
    CHECK_STR(out[0].pool, "p");
    EXPECT(&f, cmd_confirm(h), SLOT_OK);
    CHECK_CODE(
        ledger_read_patient(f.l, str_of("p"), str_of("patient-1"), out, 4, &n),
        SLOT_OK);
    CHECK_EQ(n, 1);
    CHECK_EQ(out[0].state, SLOT_CLAIM_BOOKED);
    EXPECT(&f, cmd_cancel(h), SLOT_OK);
    n = 99;
    CHECK_CODE(
        ledger_read_patient(f.l, str_of("p"), str_of("patient-1"), out, 4, &n),
        SLOT_OK);
    CHECK_EQ(n, 0);
    /* A patient never seen has no claims (or is unknown). */
    n = 99;
    if (ledger_read_patient(f.l, str_of("p"), str_of("patient-9"), out, 4,
                            &n) == SLOT_OK) {
        CHECK_EQ(n, 0);
    }
    CHECK_CODE(ledger_read_patient(f.l, str_of("nope"), str_of("patient-1"),
                                   out, 4, &n),
               SLOT_UNKNOWN_POOL);
    ledger_destroy(f.l);
}

static void test_read_pools(void)
{
    static const char *const ids[] = {"d/5", "d/1", "d/4", "d/2", "d/3"};
    struct fx f;
    fx_init(&f);
    for (uint32_t i = 0; i < 5; i++) {
        fx_pool(&f, ids[i], i + 1);
    }
    struct slot_pool_status out[8];
    uint32_t n = 0;
    CHECK_CODE(ledger_read_pools(f.l, str_of(""), 2, out, &n), SLOT_OK);
    CHECK_EQ(n, 2);
    CHECK_STR(out[0].pool, "d/5"); /* creation order */
    CHECK_STR(out[1].pool, "d/1");
    CHECK_EQ(out[1].capacity, 2);
    CHECK_CODE(ledger_read_pools(f.l, str_of("d/1"), 8, out, &n), SLOT_OK);
    CHECK_EQ(n, 3);
    CHECK_STR(out[0].pool, "d/4");
    CHECK_STR(out[2].pool, "d/3");
    CHECK_CODE(ledger_read_pools(f.l, str_of("d/3"), 8, out, &n), SLOT_OK);
    CHECK_EQ(n, 0);
    CHECK_CODE(ledger_read_pools(f.l, str_of("d/9"), 8, out, &n),
               SLOT_UNKNOWN_POOL);
    ledger_destroy(f.l);
}

static void test_read_ledger_info(void)
{
    struct fx f;
    fx_init(&f);
    struct slot_cmd c = cmd_pool(SLOT_OP_POOL_CREATE, "p", 5);
    cmd_share(&c, "app", 1);
    cmd_share(&c, "phone", 1);
    EXPECT(&f, c, SLOT_OK);
    fx_pool(&f, "q", 5);
    EXPECT(&f, cmd_open(), SLOT_OK);
    uint64_t h1 = fx_hold(&f, "p", "patient-1");
    fx_hold(&f, "p", "patient-2");
    uint64_t h3 = EXPECT(&f, cmd_hold("q", "patient-1", "web", TTL), SLOT_OK).a;
    f.now += 3;
    EXPECT(&f, cmd_confirm(h1), SLOT_OK);
    EXPECT(&f, cmd_release(h3), SLOT_OK);
    struct slot_ledger_info i = info_of(f.l);
    CHECK_EQ(i.time_ms, T0 + 3);
    CHECK(i.state_hash == 0); /* O(1): READ_LEDGER adds the hash */
    CHECK_EQ(i.pools, 2);
    CHECK_EQ(i.patients, 2);
    CHECK_EQ(i.channels, 3);
    CHECK_EQ(i.sessions, 2);
    CHECK_EQ(i.holds_active, 1);
    CHECK_EQ(i.bookings_active, 1);
    CHECK_EQ(i.retained, 1);
    CHECK_EQ(i.config.session_max, LEDGER_DEFAULT_SESSION_MAX);
    ledger_destroy(f.l);
}

/* ledger_read packs exactly what the typed reads return. */
static void check_read_bytes(const struct ledger *l, struct slot_read rd,
                             int want, const struct mp_buf *expect)
{
    struct mp_buf out;
    mp_buf_init(&out);
    CHECK_CODE(ledger_read(l, &rd, &out), want);
    CHECK_EQ(out.len, expect->len);
    CHECK(out.len == 0 || memcmp(out.data, expect->data, out.len) == 0);
    mp_buf_free(&out);
}

static void test_read_packed(void)
{
    struct fx f;
    fx_init(&f);
    struct slot_cmd c = cmd_pool(SLOT_OP_POOL_CREATE, "p", 5);
    cmd_share(&c, "app", 2);
    EXPECT(&f, c, SLOT_OK);
    fx_pool(&f, "q", 3);
    uint64_t h = fx_hold(&f, "p", "patient-1");
    EXPECT(&f, cmd_confirm(h), SLOT_OK);

    struct mp_buf want;
    mp_buf_init(&want);
    struct slot_pool_status ps[2];
    ps[0] = pool_of(f.l, "p");
    slot_pool_status_encode(&want, &ps[0]);
    check_read_bytes(
        f.l, (struct slot_read){.op = SLOT_READ_POOL, .pool = str_of("p")},
        SLOT_OK, &want);

    mp_buf_reset(&want);
    struct slot_claim cl = claim_of(f.l, h);
    slot_claim_encode(&want, &cl);
    check_read_bytes(f.l, (struct slot_read){.op = SLOT_READ_HOLD, .id = h},
                     SLOT_OK, &want);
    check_read_bytes(f.l, (struct slot_read){.op = SLOT_READ_BOOKING, .id = h},
                     SLOT_OK, &want);

    mp_buf_reset(&want);
    mp_pack_array(&want, 1);
    slot_claim_encode(&want, &cl);
    check_read_bytes(f.l,
                     (struct slot_read){.op = SLOT_READ_PATIENT,
                                        .pool = str_of("p"),
                                        .patient = str_of("patient-1")},
                     SLOT_OK, &want);

    mp_buf_reset(&want);
    uint32_t n = 0;
    CHECK_CODE(ledger_read_pools(f.l, str_of(""), 2, ps, &n), SLOT_OK);
    CHECK_EQ(n, 2);
    mp_pack_array(&want, 2);
    slot_pool_status_encode(&want, &ps[0]);
    slot_pool_status_encode(&want, &ps[1]);
    check_read_bytes(f.l,
                     (struct slot_read){
                         .op = SLOT_READ_POOLS, .pool = str_of(""), .limit = 2},
                     SLOT_OK, &want);

    mp_buf_reset(&want);
    struct slot_ledger_info i = info_of(f.l);
    i.state_hash = ledger_state_hash(f.l);
    slot_ledger_info_encode(&want, &i);
    check_read_bytes(f.l, (struct slot_read){.op = SLOT_READ_LEDGER}, SLOT_OK,
                     &want);
    /* The health probe's form: the same without the O(state) hash. */
    mp_buf_reset(&want);
    i.state_hash = 0;
    slot_ledger_info_encode(&want, &i);
    check_read_bytes(
        f.l, (struct slot_read){.op = SLOT_READ_LEDGER, .no_hash = true},
        SLOT_OK, &want);

    /* Errors pack nothing. */
    mp_buf_reset(&want);
    check_read_bytes(
        f.l, (struct slot_read){.op = SLOT_READ_POOL, .pool = str_of("x")},
        SLOT_UNKNOWN_POOL, &want);
    check_read_bytes(f.l, (struct slot_read){.op = SLOT_READ_HOLD, .id = 99},
                     SLOT_UNKNOWN_HOLD, &want);
    mp_buf_free(&want);
    ledger_destroy(f.l);
}

/* ---- snapshot / restore -------------------------------------------------- */

/* A ledger with something of everything: config, pools (shares, scheduled,
 * closed), claims in every state, a second session with stored results. */
static void fx_populate(struct fx *f)
{
    struct slot_config cfg = config_of(f->l);
    cfg.retain_ms = 3600000;
    cfg.session_max = 1000;
    EXPECT(f, cmd_config(cfg), SLOT_OK);
    struct slot_cmd c = cmd_pool(SLOT_OP_POOL_CREATE, "dept/a", 6);
    cmd_share(&c, "app", 2);
    cmd_share(&c, "phone", 1);
    EXPECT(f, c, SLOT_OK);
    fx_pool(f, "dept/b", 3);
    c = cmd_pool(SLOT_OP_POOL_CREATE, "dept/c", 4);
    c.u.pool.release_at_ms = T0 + 86400000;
    EXPECT(f, c, SLOT_OK);
    fx_pool(f, "dept/d", 2);
    uint64_t h1 = fx_hold(f, "dept/a", "patient-1");
    uint64_t h2 =
        EXPECT(f, cmd_hold("dept/a", "patient-2", "phone", TTL), SLOT_OK).a;
    uint64_t h3 =
        EXPECT(f, cmd_hold("dept/a", "patient-3", "web", 1000), SLOT_OK).a;
    uint64_t h4 = fx_hold(f, "dept/b", "patient-1");
    fx_hold(f, "dept/a", "patient-4");
    fx_hold(f, "dept/d", "patient-5");
    EXPECT(f, cmd_close("dept/d"), SLOT_OK);
    f->now += 1000;
    EXPECT(f, cmd_confirm(h1), SLOT_OK);
    EXPECT(f, cmd_release(h2), SLOT_OK);
    EXPECT(f, cmd_confirm(h3), SLOT_HOLD_EXPIRED);
    EXPECT(f, cmd_confirm(h4), SLOT_OK);
    EXPECT(f, cmd_cancel(h4), SLOT_OK);
    uint64_t s2 = EXPECT(f, cmd_open(), SLOT_OK).a;
    CHECK_CODE(
        fx_send(f, cmd_hold("dept/b", "patient-6", "kiosk", TTL), s2, 1).code,
        SLOT_OK);
    CHECK_CODE(
        fx_send(f, cmd_hold("dept/c", "patient-6", "kiosk", TTL), s2, 2).code,
        SLOT_NOT_RELEASED);
}

static void snapshot_of(const struct ledger *l, struct mp_buf *b)
{
    mp_buf_init(b);
    ledger_snapshot(l, b);
    CHECK(b->len > 0);
}

/* Restores a snapshot that must be good, and checks it is the same ledger. */
static struct ledger *restore_same(const struct ledger *l)
{
    struct mp_buf s1, s2;
    snapshot_of(l, &s1);
    struct ledger *r = NULL;
    CHECK_CODE(ledger_restore(s1.data, s1.len, &r), SLOT_OK);
    CHECK(r != NULL);
    check_ledger(r);
    CHECK(ledger_state_hash(r) == ledger_state_hash(l));
    CHECK(ledger_time_ms(r) == ledger_time_ms(l));
    CHECK(ledger_next_deadline_ms(r) == ledger_next_deadline_ms(l));
    snapshot_of(r, &s2);
    CHECK_EQ(s2.len, s1.len);
    CHECK(memcmp(s1.data, s2.data, s1.len) == 0);
    mp_buf_free(&s1);
    mp_buf_free(&s2);
    return r;
}

static void test_snapshot_empty(void)
{
    struct ledger *l = ledger_create();
    CHECK(l != NULL);
    struct ledger *r = restore_same(l);
    ledger_destroy(r);
    ledger_destroy(l);
}

static void test_snapshot_round_trip(void)
{
    struct fx f;
    fx_init(&f);
    fx_populate(&f);
    struct fx g = f;
    g.l = restore_same(f.l);
    struct slot_ledger_info fi = info_of(f.l), gi = info_of(g.l);
    CHECK_EQ(gi.pools, fi.pools);
    CHECK_EQ(gi.sessions, fi.sessions);
    CHECK_EQ(gi.retained, fi.retained);
    CHECK_EQ(gi.holds_active, fi.holds_active);

    /* Both ledgers go on identically: new commands, retries, expiry. */
    struct fx *both[2] = {&f, &g};
    struct slot_result r[2][6];
    for (int k = 0; k < 2; k++) {
        struct fx *x = both[k];
        x->now += 5;
        r[k][0] = fx_run(x, cmd_hold("dept/a", "patient-7", "app", TTL));
        r[k][1] =
            fx_send(x, cmd_hold("dept/b", "patient-6", "kiosk", TTL), 2, 1);
        r[k][2] = fx_run(x, cmd_confirm(r[k][0].a));
        r[k][3] = fx_run(x, cmd_cancel(1));
        x->now += 2 * TTL;
        r[k][4] = fx_run(x, cmd_expire(SLOT_EXPIRE_MAX));
        r[k][5] = fx_run(x, cmd_hold("dept/a", "patient-8", "phone", TTL));
    }
    for (int i = 0; i < 6; i++) {
        CHECK(result_eq(&r[0][i], &r[1][i]));
    }
    CHECK_EQ(r[1][1].time_ms, T0 + 1000); /* a replayed, stored result */
    CHECK(ledger_state_hash(f.l) == ledger_state_hash(g.l));
    ledger_destroy(restore_same(g.l));
    ledger_destroy(g.l);
    ledger_destroy(f.l);
}

/* Restores bytes that may be anything: an error leaves *out NULL; a success
 * must be a consistent ledger. Never a crash. */
static void restore_any(const void *buf, size_t len)
{
    struct ledger *out = (struct ledger *)(uintptr_t)1; /* must be set */
    int rc = ledger_restore(buf, len, &out);
    if (rc != SLOT_OK) {
        CHECK(out == NULL);
        CHECK(slot_err_name(rc) != NULL);
        return;
    }
    CHECK(out != NULL);
    check_ledger(out);
    ledger_destroy(out);
}

static void test_restore_truncated(void)
{
    struct fx f;
    fx_init(&f);
    fx_populate(&f);
    struct mp_buf s;
    snapshot_of(f.l, &s);
    for (size_t len = 0; len < s.len; len++) {
        uint8_t *copy = malloc(len + 1); /* exact size for ASan */
        CHECK(copy != NULL);
        memcpy(copy, s.data, len);
        struct ledger *out = (struct ledger *)(uintptr_t)1;
        int rc = ledger_restore(copy, len, &out);
        if (rc == SLOT_OK || out != NULL) {
            fprintf(stderr, "prefix of %zu/%zu bytes: %s\n", len, s.len,
                    err_name(rc));
            exit(1);
        }
        free(copy);
    }
    /* Trailing garbage is not a snapshot either. */
    mp_buf_append(&s, "\x00", 1);
    struct ledger *out = NULL;
    CHECK(ledger_restore(s.data, s.len, &out) != SLOT_OK);
    CHECK(out == NULL);
    mp_buf_free(&s);
    ledger_destroy(f.l);
}

static void test_restore_flipped_bytes(void)
{
    static const uint8_t masks[] = {0x01, 0x10, 0x80, 0xff};
    struct fx f;
    fx_init(&f);
    fx_populate(&f);
    struct mp_buf s;
    snapshot_of(f.l, &s);
    uint8_t *copy = malloc(s.len);
    CHECK(copy != NULL);
    for (size_t i = 0; i < s.len; i++) {
        for (size_t m = 0; m < sizeof masks; m++) {
            memcpy(copy, s.data, s.len);
            copy[i] ^= masks[m];
            restore_any(copy, s.len);
        }
    }
    free(copy);
    mp_buf_free(&s);
    ledger_destroy(f.l);
}

static void test_restore_bad_version(void)
{
    static const uint8_t versions[] = {0, LEDGER_SNAPSHOT_VERSION + 1, 0x7f};
    struct fx f;
    fx_init(&f);
    fx_populate(&f);
    struct mp_buf s;
    snapshot_of(f.l, &s);
    /* The version is the first number of the snapshot's top array (after
     * the magic string, if there is one). */
    struct mp_reader rd;
    uint32_t n;
    mp_reader_init(&rd, s.data, s.len);
    CHECK(mp_read_array(&rd, &n) && n >= 2);
    if ((*rd.p & 0xe0) == 0xa0 || *rd.p == 0xd9) {
        CHECK(mp_skip(&rd));
    }
    size_t at = (size_t)(rd.p - s.data);
    CHECK_EQ(s.data[at], LEDGER_SNAPSHOT_VERSION);
    for (size_t i = 0; i < sizeof versions; i++) {
        s.data[at] = versions[i];
        struct ledger *out = (struct ledger *)(uintptr_t)1;
        CHECK_CODE(ledger_restore(s.data, s.len, &out), SLOT_BAD_VERSION);
        CHECK(out == NULL);
    }
    mp_buf_free(&s);
    ledger_destroy(f.l);
}

static void test_restore_empty_and_garbage(void)
{
    static const char *const junk[] = {"\xc0",     "\x90",
                                       "\x91\x01", "\xdd\xff\xff\xff\xff",
                                       "SLE1",     "\x93\x01\x02\x03"};
    struct ledger *out = (struct ledger *)(uintptr_t)1;
    CHECK(ledger_restore("", 0, &out) != SLOT_OK);
    CHECK(out == NULL);
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        out = (struct ledger *)(uintptr_t)1;
        CHECK(ledger_restore(junk[i], strlen(junk[i]), &out) != SLOT_OK);
        CHECK(out == NULL);
    }
}

/* ---- the event feed's runs (ledgerInt.h, struct evrun) ------------------ */

/* Every event read from l after `after` has the index and time want_*
 * give for its seq (indexed from base). */
static void checkEventRuns(const struct ledger *l, uint64_t after,
                           const uint64_t *want_index,
                           const uint64_t *want_time, uint64_t base)
{
    enum { PAGE = 4096 };
    struct slot_event *evs = calloc(PAGE, sizeof *evs);
    CHECK(evs != NULL);
    uint64_t first, last, seen = 0;
    uint32_t n;
    do {
        ledger_read_events(l, after, PAGE, evs, &n, &first, &last);
        for (uint32_t i = 0; i < n; i++) {
            CHECK_EQ(evs[i].seq,
                     (after > first - 1 ? after : first - 1) + 1 + i);
            CHECK(evs[i].seq > base);
            CHECK_EQ(evs[i].index, want_index[evs[i].seq - base]);
            CHECK_EQ(evs[i].time_ms, want_time[evs[i].seq - base]);
        }
        seen += n;
        after = n > 0 ? evs[n - 1].seq : after;
    } while (n > 0);
    CHECK_EQ(after, last);
    CHECK(seen > 0);
    free(evs);
}

/* The feed keeps an entry's Raft index and ledger time once per run of
 * events that share them. Past the window's bound (runs dropped at its old
 * end), with runs split by the index, by the time or by both, every event
 * still reads back its own pair, from any cursor, after a restore too. */
static void test_event_runs(void)
{
    enum { EXTRA = 5000 };
    const uint64_t total = LEDGER_EVENTS_MAX + EXTRA;
    struct fx f;
    fx_init(&f);
    fx_pool(&f, "p", 1);
    uint64_t base = f.l->ev_last;
    uint64_t *want_index = calloc(total + 1, sizeof *want_index);
    uint64_t *want_time = calloc(total + 1, sizeof *want_time);
    CHECK(want_index != NULL && want_time != NULL);
    uint64_t hold = 0;
    for (uint64_t k = 0; f.l->ev_last - base < total; k++) {
        /* HOLD and RELEASE in turn: one event each. The index changes
         * every third command, the time every second. */
        struct slot_cmd c = hold == 0 ? cmd_hold("p", "patient-1", "app", TTL)
                                      : cmd_release(hold);
        c.session = f.session;
        c.seq = ++f.seq;
        cmd_seal(&c);
        struct slot_result r;
        uint64_t index = 1000 + k / 3, stamp = f.now + k / 2;
        ledger_apply_at(f.l, index, stamp, &c, 1, &r);
        CHECK_CODE(r.code, SLOT_OK);
        hold = hold == 0 ? r.a : 0;
        CHECK_EQ(f.l->ev_last - base, (k + 1));
        want_index[k + 1] = index;
        want_time[k + 1] = stamp;
    }
    CHECK_EQ(ledger_events_held(f.l), LEDGER_EVENTS_MAX);
    CHECK(f.l->evrun_len < LEDGER_EVENTS_MAX);
    check_ledger(f.l);
    checkEventRuns(f.l, 0, want_index, want_time, base);
    checkEventRuns(f.l, base + EXTRA + 12345, want_index, want_time, base);
    checkEventRuns(f.l, f.l->ev_last - 2, want_index, want_time, base);
    struct ledger *copy = restore_same(f.l);
    check_ledger(copy);
    checkEventRuns(copy, base + EXTRA + 777, want_index, want_time, base);
    ledger_destroy(copy);
    free(want_index);
    free(want_time);
    ledger_destroy(f.l);
}

/* ---- runner -------------------------------------------------------------- */

/* ---- hash tables (ledgerInt.h): incremental growth ---------------------- */

static bool matchVal(const void *ctx, uint32_t val)
{
    return val == *(const uint32_t *)ctx;
}

/* Value v is stored under key htabKey(v): 4 values share each key, so
 * string-table style lookups (find with a match) are exercised too. */
static uint64_t htabKey(uint32_t v)
{
    return (uint64_t)(v / 4) * 0x9e3779b97f4a7c15ULL + 7;
}

/* Puts, finds and deletes against a presence array through several
 * doublings, with deletes landing while a table is still moving entries
 * out of its old arrays (which may shift entries behind the cursor). */
static void test_htab_incremental_growth(void)
{
    enum { N = 200000 };
    static bool present[N];
    memset(present, 0, sizeof present);
    struct htab t;
    memset(&t, 0, sizeof t);
    uint64_t rnd = 88172645463325252ull;
    uint32_t next = 0, live = 0, seen_growing = 0, dels_while_growing = 0,
             seen_mapping = 0;
    for (uint32_t step = 0; step < 3 * N && next < N; step++) {
        rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
        if (rnd % 4 != 0 || live == 0) {
            ledger__htab_put(&t, htabKey(next), next);
            present[next++] = true;
            live++;
        } else {
            uint32_t v = (uint32_t)((rnd >> 8) % next);
            while (!present[v]) {
                v = (v + 1) % next;
            }
            dels_while_growing += t.old_cap != 0;
            ledger__htab_del(&t, htabKey(v), v);
            present[v] = false;
            live--;
        }
        seen_growing += t.old_cap != 0;
        CHECK(t.next_cap == 0 || t.old_cap == 0); /* mapping, then moving */
        if (t.next_cap != 0) {
            /* Mapping the doubled arrays (2 MiB: 32 puts) while the
             * current ones fill a little past 3/4. */
            seen_mapping++;
            CHECK_EQ(t.next_cap, 2 * t.cap);
            CHECK(t.next_mapped < 32);
            CHECK((uint64_t)t.count * 8 <= (uint64_t)t.cap * 7);
        } else {
            CHECK((uint64_t)t.count * 4 <= (uint64_t)t.cap * 3);
        }
        CHECK_EQ(t.count, live);
        if (step % 997 == 0) {
            for (uint32_t v = 0; v < next; v++) {
                uint32_t got = ledger__htab_find(&t, htabKey(v), matchVal, &v);
                CHECK_EQ(got, present[v] ? v : NONE);
            }
        }
    }
    CHECK(seen_growing > 0 && dels_while_growing > 0);
    /* 262,144 positions at the end: the step from 131,072 was mapped one
     * chunk a put, each put counted while mapping (deletes too) */
    CHECK_EQ(t.cap, 262144u);
    CHECK(seen_mapping >= 31);
    for (uint32_t v = 0; v < next; v++) {
        CHECK_EQ(ledger__htab_find(&t, htabKey(v), matchVal, &v),
                 present[v] ? v : NONE);
    }
    /* Empty it completely: the old arrays go with their last entry. */
    for (uint32_t v = 0; v < next; v++) {
        if (present[v]) {
            ledger__htab_del(&t, htabKey(v), v);
        }
    }
    CHECK_EQ(t.count, 0);
    CHECK_EQ(t.old_cap, 0);
    uint32_t zero = 0;
    CHECK_EQ(ledger__htab_find(&t, htabKey(0), matchVal, &zero), NONE);
    /* reserve finishes a growth in progress and rehashes at once. */
    for (uint32_t v = 0; v < 5000; v++) {
        ledger__htab_put(&t, (uint64_t)v * 0x9e3779b97f4a7c15ULL, v);
    }
    ledger__htab_reserve(&t, 100000);
    CHECK_EQ(t.old_cap, 0);
    CHECK_EQ(t.count, 5000);
    for (uint32_t v = 0; v < 5000; v++) {
        CHECK_EQ(ledger__htab_find(&t, (uint64_t)v * 0x9e3779b97f4a7c15ULL,
                                   matchVal, &v),
                 v);
    }
    ledger__htab_free(&t);
}

/* Keys of values in test_htab_tags. */
static const uint64_t *tagKeys;

static bool matchKey(const void *ctx, uint32_t val)
{
    return tagKeys[val] == *(const uint64_t *)ctx;
}

/* A table keeps 32 bits of a key's hash, not the key: keys whose tags
 * are equal are told apart by the lookup's match alone. Key k and k +
 * 1/phi (mod 2^64) hash to products one apart, so mostly to one tag. */
static void test_htab_tags(void)
{
    enum { N = 3000 };
    static uint64_t keys[2 * N];
    const uint64_t phi_inv = 0xf1de83e19937733dULL; /* phi * phi_inv = 1 */
    CHECK_EQ(phi_inv * 0x9e3779b97f4a7c15ULL, 1);
    tagKeys = keys;
    struct htab t;
    memset(&t, 0, sizeof t);
    uint32_t same_tag = 0;
    for (uint32_t i = 0; i < N; i++) {
        keys[2 * i] = (uint64_t)i * 1000003u;
        keys[2 * i + 1] = keys[2 * i] + phi_inv;
        same_tag += (keys[2 * i] * 0x9e3779b97f4a7c15ULL) >> 32 ==
                    (keys[2 * i + 1] * 0x9e3779b97f4a7c15ULL) >> 32;
        ledger__htab_put(&t, keys[2 * i], 2 * i);
    }
    CHECK(same_tag > N / 2);
    /* The twins are not in yet: no lookup of one may find the other. */
    for (uint32_t i = 0; i < N; i++) {
        CHECK_EQ(
            ledger__htab_find(&t, keys[2 * i + 1], matchKey, &keys[2 * i + 1]),
            NONE);
        CHECK_EQ(ledger__htab_find(&t, keys[2 * i], matchKey, &keys[2 * i]),
                 2 * i);
    }
    for (uint32_t i = 0; i < N; i++) {
        ledger__htab_put(&t, keys[2 * i + 1], 2 * i + 1);
    }
    for (uint32_t i = 0; i < N; i++) {
        ledger__htab_del(&t, keys[2 * i], 2 * i);
    }
    for (uint32_t i = 0; i < N; i++) {
        CHECK_EQ(ledger__htab_find(&t, keys[2 * i], matchKey, &keys[2 * i]),
                 NONE);
        CHECK_EQ(
            ledger__htab_find(&t, keys[2 * i + 1], matchKey, &keys[2 * i + 1]),
            2 * i + 1);
    }
    ledger__htab_free(&t);
}

static const struct check_case cases[] = {
    {"session_open", test_session_open},
    {"session_unknown", test_session_unknown},
    {"session_retry_same_result", test_session_retry_same_result},
    {"idem_replay_across_sessions", test_idem_replay_across_sessions},
    {"idem_mismatch", test_idem_mismatch},
    {"idem_retention_and_snapshot", test_idem_retention_and_snapshot},
    {"session_retry_replays_error", test_session_retry_replays_error},
    {"session_request_mismatch", test_session_request_mismatch},
    {"session_request_too_old", test_session_request_too_old},
    {"session_idle_eviction", test_session_idle_eviction},
    {"session_lru_eviction", test_session_lru_eviction},
    {"session_eviction_bounded", test_session_eviction_bounded},
    {"config_defaults_and_replace", test_config_defaults_and_replace},
    {"config_shrinks_sessions", test_config_shrinks_sessions},
    {"pool_create", test_pool_create},
    {"pool_channel_limit", test_pool_channel_limit},
    {"pool_update_replaces", test_pool_update_replaces},
    {"pool_update_share_below_used", test_pool_update_share_below_used},
    {"pool_update_removed_share_used", test_pool_update_removed_share_used},
    {"pool_update_remainder_below_used", test_pool_update_remainder_below_used},
    {"pool_update_closed_unknown", test_pool_update_closed_unknown},
    {"pool_close", test_pool_close},
    {"hold_ok", test_hold_ok},
    {"hold_unknown_pool", test_hold_unknown_pool},
    {"hold_closed_before_not_released", test_hold_closed_before_not_released},
    {"hold_not_released", test_hold_not_released},
    {"hold_ttl_range", test_hold_ttl_range},
    {"hold_patient_has_claim", test_hold_patient_has_claim},
    {"hold_patient_expired_claim", test_hold_patient_expired_claim},
    {"hold_share_then_remainder", test_hold_share_then_remainder},
    {"hold_sold_out_without_remainder", test_hold_sold_out_without_remainder},
    {"confirm_visit_numbers", test_confirm_visit_numbers},
    {"confirm_payment_classes", test_confirm_payment_classes},
    {"confirm_booked_at_late", test_confirm_booked_at_late},
    {"confirm_unknown_hold", test_confirm_unknown_hold},
    {"confirm_expired_at_deadline", test_confirm_expired_at_deadline},
    {"release_expired_at_deadline", test_release_expired_at_deadline},
    {"confirm_already_confirmed", test_confirm_already_confirmed},
    {"confirm_already_released", test_confirm_already_released},
    {"release", test_release},
    {"cancel", test_cancel},
    {"cancel_unknown_booking", test_cancel_unknown_booking},
    {"expire_order", test_expire_order},
    {"expire_resolves", test_expire_resolves},
    {"expire_due_count_cap", test_expire_due_count_cap},
    {"time_never_goes_back", test_time_never_goes_back},
    {"batch", test_batch},
    {"retain_ms", test_retain_ms},
    {"retain_max", test_retain_max},
    {"retain_eviction_bounded", test_retain_eviction_bounded},
    {"read_pool_state", test_read_pool_state},
    {"read_claim", test_read_claim},
    {"read_patient", test_read_patient},
    {"read_pools", test_read_pools},
    {"read_ledger_info", test_read_ledger_info},
    {"read_packed", test_read_packed},
    {"snapshot_empty", test_snapshot_empty},
    {"snapshot_round_trip", test_snapshot_round_trip},
    {"restore_truncated", test_restore_truncated},
    {"restore_flipped_bytes", test_restore_flipped_bytes},
    {"restore_bad_version", test_restore_bad_version},
    {"restore_empty_and_garbage", test_restore_empty_and_garbage},
    {"event_runs", test_event_runs},
    {"htab_tags", test_htab_tags},
    {"htab_incremental_growth", test_htab_incremental_growth},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return check_main(cases, argc, argv);
}
