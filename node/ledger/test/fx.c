/* fx: the ledger unit tests' fixture (see fx.h). */
#include "fx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

const char *err_name(int code)
{
    const char *n = slot_err_name(code);
    return n != NULL ? n : "?";
}

void check_code(const char *file, int line, int got, int want)
{
    if (got != want) {
        fprintf(stderr, "%s:%d: code %s (%d), want %s (%d)\n", file, line,
                err_name(got), got, err_name(want), want);
        exit(1);
    }
}

void check_ledger(const struct ledger *l)
{
    char why[512] = "";
    if (!ledger_check(l, why, sizeof why)) {
        fprintf(stderr, "ledger_check failed: %s\n", why);
        exit(1);
    }
}

struct slot_str str_of(const char *s)
{
    return (struct slot_str){s, (uint32_t)strlen(s)};
}

bool result_eq(const struct slot_result *x, const struct slot_result *y)
{
    return x->code == y->code && x->a == y->a && x->b == y->b &&
           x->time_ms == y->time_ms;
}

/* Sets the fingerprint the decoder would compute, and checks that the
 * command is one the decoder accepts (the ledger may assume it). */
void cmd_seal(struct slot_cmd *c)
{
    struct mp_buf b;
    struct slot_cmd back;
    mp_buf_init(&b);
    slot_cmd_encode(&b, c);
    c->fingerprint = slot_hash64(b.data, b.len, 0);
    CHECK_CODE(slot_cmd_decode_buf(b.data, b.len, &back), SLOT_OK);
    CHECK(back.fingerprint == c->fingerprint);
    c->idem.fingerprint = back.idem.fingerprint;
    mp_buf_free(&b);
}

/* Applies c alone in a batch stamped f->now, session fields as given, then
 * verifies every invariant. */
struct slot_result fx_apply(struct fx *f, struct slot_cmd c)
{
    struct slot_result r;
    cmd_seal(&c);
    memset(&r, 0xa5, sizeof r);
    ledger_apply(f->l, f->now, &c, 1, &r);
    check_ledger(f->l);
    return r;
}

struct slot_result fx_send(struct fx *f, struct slot_cmd c, uint64_t session,
                           uint64_t seq)
{
    c.session = session;
    c.seq = seq;
    return fx_apply(f, c);
}

/* Sends c from the fixture's session with the next request number
 * (SESSION_OPEN and EXPIRE carry none). */
struct slot_result fx_run(struct fx *f, struct slot_cmd c)
{
    if (c.op == SLOT_OP_SESSION_OPEN || c.op == SLOT_OP_EXPIRE ||
        c.op == SLOT_OP_SWEEP) {
        return fx_send(f, c, 0, 0);
    }
    f->seq++;
    return fx_send(f, c, f->session, f->seq);
}

struct slot_result fx_expect(struct fx *f, struct slot_cmd c, int want,
                             const char *file, int line)
{
    struct slot_result r = fx_run(f, c);
    check_code(file, line, r.code, want);
    CHECK(r.time_ms == ledger_time_ms(f->l));
    return r;
}

/* ---- commands ------------------------------------------------------------ */

struct slot_cmd cmd_open(void)
{
    return (struct slot_cmd){.op = SLOT_OP_SESSION_OPEN};
}

struct slot_cmd cmd_config(struct slot_config cfg)
{
    struct slot_cmd c = {.op = SLOT_OP_CONFIG};
    c.u.config = cfg;
    return c;
}

/* A POOL_CREATE or POOL_UPDATE without shares; add them with cmd_share. */
struct slot_cmd cmd_pool(uint8_t op, const char *pool, uint32_t capacity)
{
    struct slot_cmd c = {.op = op};
    c.u.pool.pool = str_of(pool);
    c.u.pool.capacity = capacity;
    c.u.pool.kind = SLOT_KIND_EXPERT;
    c.u.pool.fee_cents = 5000;
    return c;
}

void cmd_share(struct slot_cmd *c, const char *channel, uint32_t slots)
{
    CHECK(c->u.pool.n_shares < SLOT_POOL_SHARES_MAX);
    c->u.pool.shares[c->u.pool.n_shares++] =
        (struct slot_share){str_of(channel), slots};
}

struct slot_cmd cmd_close(const char *pool)
{
    struct slot_cmd c = {.op = SLOT_OP_POOL_CLOSE};
    c.u.close.pool = str_of(pool);
    return c;
}

struct slot_cmd cmd_hold(const char *pool, const char *patient,
                         const char *channel, uint32_t ttl_ms)
{
    struct slot_cmd c = {.op = SLOT_OP_HOLD};
    c.u.hold.pool = str_of(pool);
    c.u.hold.patient = str_of(patient);
    c.u.hold.channel = str_of(channel);
    c.u.hold.ttl_ms = ttl_ms;
    return c;
}

struct slot_cmd cmd_confirm(uint64_t hold)
{
    struct slot_cmd c = {.op = SLOT_OP_CONFIRM};
    c.u.claim.id = hold;
    c.u.claim.payment_ref = str_of("pay-0001");
    return c;
}

struct slot_cmd cmd_release(uint64_t hold)
{
    struct slot_cmd c = {.op = SLOT_OP_RELEASE};
    c.u.claim.id = hold;
    return c;
}

struct slot_cmd cmd_cancel(uint64_t booking)
{
    struct slot_cmd c = {.op = SLOT_OP_CANCEL};
    c.u.claim.id = booking;
    return c;
}

struct slot_cmd cmd_expire(uint32_t max)
{
    struct slot_cmd c = {.op = SLOT_OP_EXPIRE};
    c.u.expire.max = max;
    return c;
}

struct slot_cmd cmd_hold_account(const char *pool, const char *patient,
                                 const char *channel, uint32_t ttl_ms,
                                 const char *account)
{
    struct slot_cmd c = cmd_hold(pool, patient, channel, ttl_ms);
    c.u.hold.account = str_of(account);
    return c;
}

struct slot_cmd cmd_as(struct slot_cmd c, const char *caller,
                       const char *account)
{
    CHECK(c.op == SLOT_OP_CONFIRM || c.op == SLOT_OP_RELEASE ||
          c.op == SLOT_OP_CANCEL || c.op == SLOT_OP_MOVE);
    c.u.claim.caller = str_of(caller);
    c.u.claim.account = str_of(account);
    return c;
}

static struct slot_cmd cmdBindOp(uint8_t op, const char *account,
                                 const char *patient)
{
    struct slot_cmd c = {.op = op};
    c.u.bind.account = str_of(account);
    c.u.bind.patient = str_of(patient);
    return c;
}

struct slot_cmd cmd_bind(const char *account, const char *patient)
{
    return cmdBindOp(SLOT_OP_ACCOUNT_BIND, account, patient);
}

struct slot_cmd cmd_unbind(const char *account, const char *patient)
{
    return cmdBindOp(SLOT_OP_ACCOUNT_UNBIND, account, patient);
}

static struct slot_cmd cmdStaff(uint8_t op, const char *hospital,
                                const char *patient)
{
    struct slot_cmd c = {.op = op};
    c.u.staff.hospital = str_of(hospital);
    c.u.staff.patient = str_of(patient);
    c.u.staff.operator_name = str_of("ops@test");
    c.u.staff.reason = str_of("test");
    return c;
}

struct slot_cmd cmd_violation(const char *hospital, const char *patient,
                              uint8_t kind)
{
    struct slot_cmd c = cmdStaff(SLOT_OP_VIOLATION, hospital, patient);
    c.u.staff.kind = kind;
    return c;
}

struct slot_cmd cmd_unblock(const char *hospital, const char *patient)
{
    return cmdStaff(SLOT_OP_UNBLOCK, hospital, patient);
}

struct slot_cmd cmd_exception(const char *hospital, const char *patient)
{
    return cmdStaff(SLOT_OP_EXCEPTION, hospital, patient);
}

struct slot_cmd cmd_stop(const char *pool)
{
    struct slot_cmd c = {.op = SLOT_OP_POOL_STOP};
    c.u.stop.pool = str_of(pool);
    c.u.stop.operator_name = str_of("ops@test");
    c.u.stop.reason = str_of("doctor ill");
    return c;
}

struct slot_cmd cmd_move(uint64_t booking, const char *target)
{
    struct slot_cmd c = {.op = SLOT_OP_MOVE};
    c.u.claim.id = booking;
    c.u.claim.pool = str_of(target);
    return c;
}

struct slot_cmd cmd_checkin(uint64_t booking, const char *patient,
                            const char *payment_ref)
{
    struct slot_cmd c = {.op = SLOT_OP_CHECKIN};
    c.u.claim.id = booking;
    c.u.claim.patient = str_of(patient);
    c.u.claim.payment_ref = str_of(payment_ref);
    return c;
}

/* ---- reads --------------------------------------------------------------- */

struct slot_pool_status pool_of(const struct ledger *l, const char *pool)
{
    struct slot_pool_status s;
    CHECK_CODE(ledger_read_pool(l, str_of(pool), &s), SLOT_OK);
    return s;
}

struct slot_claim claim_of(const struct ledger *l, uint64_t id)
{
    struct slot_claim c;
    CHECK_CODE(ledger_read_claim(l, id, false, &c), SLOT_OK);
    return c;
}

struct slot_ledger_info info_of(const struct ledger *l)
{
    struct slot_ledger_info i;
    ledger_info(l, &i);
    return i;
}

void check_bucket(const char *file, int line, const struct slot_bucket *b,
                  uint32_t capacity, uint32_t n_free, uint32_t held,
                  uint32_t booked)
{
    if (b->capacity != capacity || b->free != n_free || b->held != held ||
        b->booked != booked) {
        fprintf(stderr,
                "%s:%d: bucket '%s' is cap %u free %u held %u booked %u, "
                "want %u %u %u %u\n",
                file, line, b->channel, b->capacity, b->free, b->held,
                b->booked, capacity, n_free, held, booked);
        exit(1);
    }
}

/* Whole-pool counters, through the same check (channel shown as ""). */

/* ---- shorthands ---------------------------------------------------------- */

void fx_init(struct fx *f)
{
    f->l = ledger_create();
    CHECK(f->l != NULL);
    f->now = T0;
    f->seq = 0;
    f->session = fx_run(f, cmd_open()).a;
    CHECK(f->session != 0);
}

void fx_pool(struct fx *f, const char *pool, uint32_t capacity)
{
    EXPECT(f, cmd_pool(SLOT_OP_POOL_CREATE, pool, capacity), SLOT_OK);
}

/* A hold through channel "app" with the default ttl; returns its id. */
uint64_t fx_hold(struct fx *f, const char *pool, const char *patient)
{
    return EXPECT(f, cmd_hold(pool, patient, "app", TTL), SLOT_OK).a;
}

struct slot_config config_of(const struct ledger *l)
{
    return info_of(l).config;
}
