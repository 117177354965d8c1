/* hosp: the benchmark's hospital, for the runs with a hospital's rules
 * (burst --rules, failover --rules, import): its rule set, the place of
 * the burst's pools in its schedule, and its schedule as templates.
 * Private to bench/slotbench/.
 *
 * Times are relative to now, never a calendar date: the UTC offset puts
 * the hospital's local time near noon when the run starts, so no run
 * crosses a local midnight, and every date rule is set so that the burst
 * passes it (the HOLDs take the rules' whole path and none is refused
 * by a date).
 *
 * ---- The rule set (every rule on) ------------------------------------------
 *   utc offset    local time ~ 12:00 at setup (whole minutes)
 *   horizon       7 days: the burst's pools are visits on day R + 7, R the
 *                 local date of the release moment
 *   release       the local minute that contains the burst's release
 *                 moment: before that minute the hospital's rule answers
 *                 NOT_RELEASED, within it the pool's own release_at_ms
 *                 (the burst's --release-in-ms) gives the millisecond.
 *                 (Minute boundaries are the same at every whole-minute
 *                 offset: aligning the release to the hospital's minute
 *                 alone would cost each run up to a minute of waiting.)
 *   cut-off       15:00 the day before the visit (6 days after R)
 *   pay window    the burst's --ttl-ms (>= 1000; below that, none): a
 *                 native HOLD sends ttl 0 and gets it; pay_ttl_max_ms the
 *                 same (a HOLD asking for more is refused)
 *   flow-back     unsold shares to the remainder at 15:00 the day before
 *                 the visit (due then, not during the run)
 *   groups        online = app, wechat, bank
 *   policies      online and 114: cut-off, not the same day; window: no
 *                 cut-off, the same day; "*": cut-off
 *   eligibility   special clinics (any department): app and window only;
 *                 then cardio's expert clinics: 114, online, kiosk (the
 *                 first rule is looked at and passed over on every HOLD)
 *   patients      (issue 15) quotas: 3 normal / 2 expert a visit day, 1
 *                 expert per department and day, 12 normal / 4 expert a
 *                 month; cancellation until 15:00 the day before (same-day
 *                 bookings until the segment starts), 3 a day at most;
 *                 HOSP_VIOLATIONS violations in 90 days (no-shows; not
 *                 unpaid holds, which lapse for honest patients under
 *                 this box's latencies) blacklist for 90 days, the window
 *                 still books; a
 *                 cancelled slot cools 2-10 minutes; with accounts (native
 *                 mode: the gateway cannot name an account yet) the app's
 *                 holds must name an account the patient is bound to
 *
 * ---- The rotating bots (--rules) --------------------------------------------
 *   Bot b has --bot-names N patient keys (hosp_bot_name) and --bot-accounts
 *   A accounts (hosp_bot_account). Before the burst (botprep.h) it binds
 *   its names in order to its accounts, up to the account limit (4, the
 *   ledger's default) each, then the next account; once its accounts are
 *   full its remaining names are refused (ACCOUNT_LIMIT) and stay
 *   unbound. Its last name already has HOSP_VIOLATIONS no-shows (it is
 *   blacklisted). In the burst each of its tasks (one per hot pool it
 *   hammers) starts on name (pool index) and channel b % 4, and after a
 *   refusal by a patient rule, a lapsed hold or a sold-out bucket moves on
 *   to the next name and channel: a bound name names its account, an
 *   unbound one names the bot's last account through the app (NOT_BOUND)
 *   and none elsewhere. Names held in one hot pool meet the per-department
 *   quota in the others. Patients
 *   through the app name their own account (hosp_patient_account), bound
 *   before the burst too.
 *
 * ---- A burst pool ----------------------------------------------------------
 *   campus east, department cardio, doctor dr-hot-I, expert, visit day
 *   R + 7, 08:00-12:00, paid online; shares 114 = capacity / 4, online =
 *   capacity / 2, and the remainder (the rest) for kiosk only
 *   (remainder_allow). The generator's four channels take a quarter of the
 *   patients each, so every kind of bucket is hit in proportion to its
 *   size: app and wechat the group's share, 114 its own, kiosk the
 *   protected remainder.
 *
 * ---- The schedule (import) -------------------------------------------------
 *   T templates, one per doctor: campus east / west in turn, one of five
 *   departments, expert or normal clinics in turn; each S half-hour
 *   segments from 08:00 of D consecutive days from tomorrow, capacity 30
 *   (114 30 %, online 50 %, remainder for kiosk and window), T x D x S
 *   pools. Pool ids "<hospital>/<campus>/<department>/<doctor>/YYYYMMDD/
 *   HHMM" (slotc_template).
 */
#ifndef SLOTBENCH_HOSP_H
#define SLOTBENCH_HOSP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "bench.h"
#include "libslot.h"

#define HOSP_HORIZON_DAYS  7u
#define HOSP_DEPARTMENTS   5u
#define HOSP_SEGMENTS_MAX  32u /* half-hours from 08:00 (to 24:00) */
#define HOSP_IMPORT_CAP    30u /* slots of an imported pool */
#define HOSP_VIOLATIONS    3u  /* the blacklist threshold */
#define HOSP_ACCOUNT_MAX   4u  /* patients an account binds (ledger default) */
#define HOSP_BOT_NAMES_MAX 32u
#define HOSP_KEY_MAX       24u /* a key hosp_*_name/account writes, NUL incl. */

struct hosp {
    char name[SLOTC_NAME_MAX + 1];
    int32_t utc_offset_min;
    uint32_t release_day;    /* R: local date of the release moment */
    uint32_t release_minute; /* its local minute */
    uint32_t visit_day;      /* R + HOSP_HORIZON_DAYS */
    uint32_t pay_ttl_ms;     /* 0: none (--ttl-ms below 1000) */
    bool accounts;           /* the app's holds must name an account */
    struct slotc_rules rules;
};

/* Fills h: hospital `name` (1..SLOTC_NAME_MAX bytes of [A-Za-z0-9_.-]),
 * the UTC offset that makes local time ~ 12:00 at now_ms, the date rules
 * around the release moment release_wall_ms (>= now_ms, within the local
 * day), the payment window ttl_ms, the patient rules (with the app's
 * account rule if `accounts`). Pure: no clock. */
void hosp_init(struct hosp *h, const char *name, int64_t now_ms,
               int64_t release_wall_ms, uint32_t ttl_ms, bool accounts);

/* Keys of the rotating bots and of the patients' accounts (HOSP_KEY_MAX
 * bytes each): bot b's name k, its account a, and the account of the
 * burst's patient g (whose key is "pt%08u"). */
void hosp_bot_name(uint32_t b, uint32_t k, char *out);
void hosp_bot_account(uint32_t b, uint32_t a, char *out);
void hosp_patient_account(uint32_t g, char *out);

/* Gives the hospital its rules (slotc_sync_rules_set, as operator
 * "slotbench"). 0, or -1 after printing why. */
int hosp_rules_set(struct slotc_sync *admin, const struct hosp *h);

/* A burst pool's definition: spec.place points to place, and every
 * string into the struct itself, h, the id or static storage. */
struct hosp_pool {
    struct slotc_pool_spec spec;
    struct slotc_place place;
    char doctor[SLOTC_NAME_MAX + 1];
};

/* The definition of burst pool `id` (capacity 1..100000, release_at_ms),
 * index i (its doctor), into *out. Keep h, id and *out alive until the
 * spec is submitted (libslot copies it then). */
void hosp_burst_spec(const struct hosp *h, uint32_t i, const char *id,
                     uint32_t capacity, uint64_t release_at_ms,
                     struct hosp_pool *out);

/* The bucket a channel of the generator books from in a burst pool: 0 the
 * 114 share, 1 the online share (app, wechat, bank), 2 the remainder
 * (kiosk; any other channel too, though the rules refuse it there). */
uint32_t hosp_bucket(const char *channel);
/* The slots of each bucket of a burst pool of `capacity`. */
void hosp_bucket_caps(uint32_t capacity, uint32_t caps[BENCH_BUCKETS]);

/* The rule set and the burst pools' layout as the run's JSON records it
 * (a new reference). */
json_t *hosp_json(const struct hosp *h);

/* ---- the schedule of the import scenario --------------------------------- */

struct hosp_plan {
    uint32_t n_templates, n_days, n_segments;
    uint64_t pools; /* n_templates x n_days x n_segments */
    struct slotc_template *tpl;
    uint32_t *days; /* n_days local dates, shared by every template */
    struct slotc_segment seg[HOSP_SEGMENTS_MAX];
    char (*prefix)[SLOTC_ID_PREFIX_MAX + 1];
    char (*doctor)[SLOTC_NAME_MAX + 1];
};

/* Plans about `pools` pools in `templates` templates of hospital h: S =
 * min(8, pools / templates) segments (at least 1; more, up to
 * HOSP_SEGMENTS_MAX, if a template would otherwise need more than
 * SLOTC_TEMPLATE_DAYS_MAX days), D = ceil(pools / (T x S)) days from h's
 * release day + 1 (T is lowered to `pools` if that is smaller). p->pools
 * is T x D x S, at least `pools`. 0, or -1 (with why in err) if D would
 * still exceed SLOTC_TEMPLATE_DAYS_MAX, a pool id would be too long, or
 * memory ran out. Free with hosp_plan_free. */
int hosp_plan(struct hosp_plan *p, const struct hosp *h, uint64_t pools,
              uint32_t templates, char *err, size_t err_len);
void hosp_plan_free(struct hosp_plan *p);

/* The id of pool (day index d, segment s) of template t into id
 * (SLOTC_POOL_ID_MAX + 1 bytes), as the ledger names it. */
void hosp_plan_pool_id(const struct hosp_plan *p, uint32_t t, uint32_t d,
                       uint32_t s, char *id);

/* The plan's shape for the JSON (a new reference). */
json_t *hosp_plan_json(const struct hosp_plan *p);

#endif /* SLOTBENCH_HOSP_H */
