/* fx: the fixture of the ledger's unit tests (test_ledger.c,
 * test_sched.c): a ledger, a session, and one command per batch at a
 * stamp the test moves, with ledger_check after every apply. Command
 * builders fill what the decoder would (cmd_seal re-encodes and decodes,
 * so every command a test applies is one the decoder accepts). Failures
 * exit the test's child process with file and line. */
#ifndef SLOT_LEDGER_FX_H
#define SLOT_LEDGER_FX_H

#include <stdbool.h>
#include <stdint.h>

#include "ledger.h"

#define T0  1000000u /* ledger time of every test's first batch */
#define TTL 60000u   /* hold ttl used unless a test says otherwise */

struct fx {
    struct ledger *l;
    uint64_t now;     /* stamp of the next batch */
    uint64_t session; /* the session fx_run() sends from */
    uint64_t seq;     /* last request number fx_run() used */
};

const char *err_name(int code);
void check_code(const char *file, int line, int got, int want);
#define CHECK_CODE(got, want) check_code(__FILE__, __LINE__, (got), (want))
void check_ledger(const struct ledger *l);
struct slot_str str_of(const char *s);
bool result_eq(const struct slot_result *x, const struct slot_result *y);

/* Sets the fingerprint the decoder would compute, and checks that the
 * command is one the decoder accepts (the ledger may assume it). */
void cmd_seal(struct slot_cmd *c);
/* Applies c alone in a batch stamped f->now, session fields as given, then
 * verifies every invariant. */
struct slot_result fx_apply(struct fx *f, struct slot_cmd c);
struct slot_result fx_send(struct fx *f, struct slot_cmd c, uint64_t session,
                           uint64_t seq);
/* Sends c from the fixture's session with the next request number
 * (SESSION_OPEN, EXPIRE and SWEEP carry none). */
struct slot_result fx_run(struct fx *f, struct slot_cmd c);
struct slot_result fx_expect(struct fx *f, struct slot_cmd c, int want,
                             const char *file, int line);
#define EXPECT(f, c, want) fx_expect((f), (c), (want), __FILE__, __LINE__)

struct slot_cmd cmd_open(void);
struct slot_cmd cmd_config(struct slot_config cfg);
/* A POOL_CREATE or POOL_UPDATE without shares; add them with cmd_share. */
struct slot_cmd cmd_pool(uint8_t op, const char *pool, uint32_t capacity);
void cmd_share(struct slot_cmd *c, const char *channel, uint32_t slots);
struct slot_cmd cmd_close(const char *pool);
struct slot_cmd cmd_hold(const char *pool, const char *patient,
                         const char *channel, uint32_t ttl_ms);
/* Confirms with the payment reference "pay-0001". */
struct slot_cmd cmd_confirm(uint64_t hold);
struct slot_cmd cmd_release(uint64_t hold);
struct slot_cmd cmd_cancel(uint64_t booking);
struct slot_cmd cmd_expire(uint32_t max);
/* Protocol 3: a HOLD naming an account; c (CONFIRM, RELEASE, CANCEL, MOVE)
 * asked by caller ("" = an administrator) with account ("" none); the
 * account and staff commands (operator "ops@test", reason "test"). */
struct slot_cmd cmd_hold_account(const char *pool, const char *patient,
                                 const char *channel, uint32_t ttl_ms,
                                 const char *account);
struct slot_cmd cmd_as(struct slot_cmd c, const char *caller,
                       const char *account);
struct slot_cmd cmd_bind(const char *account, const char *patient);
struct slot_cmd cmd_unbind(const char *account, const char *patient);
struct slot_cmd cmd_violation(const char *hospital, const char *patient,
                              uint8_t kind);
struct slot_cmd cmd_unblock(const char *hospital, const char *patient);
struct slot_cmd cmd_exception(const char *hospital, const char *patient);
/* Protocol 4: POOL_STOP (operator "ops@test"), MOVE as an administrator
 * (cmd_as for a caller), CHECKIN (payment_ref "" none). */
struct slot_cmd cmd_stop(const char *pool);
struct slot_cmd cmd_move(uint64_t booking, const char *target);
struct slot_cmd cmd_checkin(uint64_t booking, const char *patient,
                            const char *payment_ref);

struct slot_pool_status pool_of(const struct ledger *l, const char *pool);
struct slot_claim claim_of(const struct ledger *l, uint64_t id);
struct slot_ledger_info info_of(const struct ledger *l);
void check_bucket(const char *file, int line, const struct slot_bucket *b,
                  uint32_t capacity, uint32_t n_free, uint32_t held,
                  uint32_t booked);
#define CHECK_BUCKET(b, cap, fr, he, bo)                                       \
    check_bucket(__FILE__, __LINE__, (b), cap, fr, he, bo)
/* Whole-pool counters, through the same check (channel shown as ""). */
#define CHECK_POOL(s, fr, he, bo)                                              \
    check_bucket(__FILE__, __LINE__,                                           \
                 &(struct slot_bucket){"", (s).capacity, (s).free, (s).held,   \
                                       (s).booked, (s).cooling},               \
                 (s).capacity, fr, he, bo)

/* A new ledger at T0 with one open session. */
void fx_init(struct fx *f);
void fx_pool(struct fx *f, const char *pool, uint32_t capacity);
/* A hold through channel "app" with the default ttl; returns its id. */
uint64_t fx_hold(struct fx *f, const char *pool, const char *patient);
struct slot_config config_of(const struct ledger *l);

#endif /* SLOT_LEDGER_FX_H */
