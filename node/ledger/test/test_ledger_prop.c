/* test_ledger_prop: seeded randomized property test of the ledger against
 * the reference model (refmodel.h).
 *
 * Each seed drives one ledger and one model through the same few hundred
 * random batches, drawn from a deliberately small universe (seven pools of
 * 1-6 slots, ten patients, three channels, short TTLs, tiny session and
 * retention limits) so that collisions, sell-outs, expiries, evictions and
 * retries happen all the time. Each case leans on one area (see PROFILES);
 * two widen the universe: "limits" fills the ledger's channel table, "bulk"
 * has pools of up to 2000 slots and thousands of patients so that more holds
 * come due at once than EXPIRE counts.
 *
 * Schedules (issue 14; "sched", "flowback", and some of "codec" and
 * "limits"): four hospitals (one never gets rules), rule sets drawn from a
 * small universe (Beijing's offset and UTC-05:00, release minutes,
 * horizons including 0, cut-offs including none, payment windows, flow-back
 * times and targets, 0-2 channel groups, policies including "*",
 * eligibility rules) set for hospitals and departments; scheduled pools of
 * visit days from yesterday to eight days ahead (local), with segments,
 * eligible and remainder_allow lists naming channels and groups, both
 * payment modes; schedule imports of small templates, repeated as they
 * were (nothing changes) or changed (conflicts); SWEEPs; HOLDs with ttl 0
 * and through channels inside and outside groups; CONFIRMs without a
 * payment reference; stamps that step by hours and days, to the next
 * flow-back and to the minutes the rules name. Sessions outlive those
 * steps (the profiles' idle_ms).
 *
 * Patient rules (protocol 3; "patients"): rule sets with quotas, cancel
 * deadlines and daily limits, violation thresholds, blacklist exemptions,
 * account channels, cool-downs, quotas counted per account
 * (quota_per_account) and late cancels as violations (late_cancel_ms of
 * hours to a day); CONFIGs of both versions (a version 2
 * one keeps the account limits and the cool-down key); five patients and
 * three accounts; HOLDs with and without accounts, CONFIRM / RELEASE /
 * CANCEL by administrators, the claim's channel or another one, with the
 * patient's account or another; ACCOUNT_BIND / UNBIND, VIOLATION, UNBLOCK,
 * EXCEPTION; steps of days and months. Its reads add every patient's
 * record, every account and the staff log; its MUST list
 * (MUST_PATIENTS) names every new refusal of every command that has one.
 *
 * Waitlists ("waitlist"): pools of one or two slots, 24 patients who
 * WAITLIST_JOIN the sold-out ones (mostly those with a booking, often the
 * longest list) through several channels and accounts and LEAVE them (as
 * themselves, an administrator, another channel, by account); CANCELs
 * that pick a booking of a pool with waiters, by its owner or an
 * administrator, so the slot is offered; offers confirmed, released and
 * lapsing (into cooling, or free at once when the cool-down has passed);
 * VIOLATIONs and EXCEPTIONs aimed at waiters near the head, and stamps
 * that jump past the segment of the longest list's pool, so waiters are
 * dropped, up to the skip bound. Its reads add every patient's place on
 * the newest pools' waitlists and the pools' `waiting`; its MUST list
 * (MUST_WAIT) names every refusal of WAITLIST_JOIN / LEAVE the universe
 * reaches and each step of an offer's life.
 *
 * The visit day (protocol 4; "visit"): clinics of two hospitals and two
 * departments whose segments lie from an hour before the clock to five
 * hours after it, mostly of one kind, so that they are MOVE targets of
 * each other; rule sets (version 3) with check-in opening 0 to 24 h before
 * the segment and closing 0 to 60 min before its end (or never open), the
 * no-show sweep mostly on, and rule changes aimed at a pending booking's
 * clinic (check-in closing later: its no-show due is put back; the sweep
 * turned off: dropped); POOL_STOPs of clinics with holds, bookings and
 * waiters; MOVEs of stopped clinics' bookings to matching clinics, to the
 * booking's own, to mismatching, stopped, closed, over, full ones and to
 * ones where the patient already has a claim; CHECKINs by the booking's
 * patient or another, before, inside and after the window, of checked-in,
 * no-show, moved, cancelled and stopped bookings, some paying an unpaid
 * booking; CANCELs of stopped clinics' bookings (refunds), checked-in,
 * no-show and moved ones; CONFIRMs of live holds in stopped clinics; and
 * stamps that jump to check-in's opening or close of a pending booking or
 * to the next sweep (a no-show due). Its reads add POOL_CLAIMS of the
 * newest pools (encoded); claim reads compare attendance, check-in time,
 * moves, refunds and `affected` in every profile, staff log reads the
 * entry's pool. Its MUST list (MUST_VISIT) names each of the eight new
 * refusals, POOL_STOPPED of every command that has it, every refusal of
 * MOVE but LIMIT_REACHED, and each transition (a move, a refund, a
 * check-in, a no-show marked, dropped because its clinic stopped or its
 * rules no longer sweep, put back after a rule change).
 *
 * The money (protocol 5; "money"): every profile's CONFIRMs and CHECKINs
 * name pay methods (wechat, alipay, card, cash, insurance or "", and none
 * without a payment reference: the decoder refuses that); the money case
 * is the visit day's clinics (also in the UTC-05:00 hospital), with more
 * distinct methods than LEDGER_PAY_METHODS_MAX (the table fills:
 * LIMIT_REACHED of CONFIRM and of a paying CHECKIN), POOL_UPDATEs that
 * change the fee of a booked clinic (its own spec, another fee), so
 * cancels and refunds must give back the fee paid, CHECKINs that pay an
 * unpaid booking, stamps that step to the local midnights of a +08:00 and
 * a -05:00 hospital (rows of several days) and rarely past
 * LEDGER_RECON_DAYS_KEPT days (the oldest rows go). It is a case of its
 * own so the visit case's MUST list and rare outcomes stay as they were.
 * Events compare their payment and local_day and claims their method and
 * fee paid in every profile; RECON reads (days around the clock and
 * without rows, filters by hospital and channel, pages) and STATS reads
 * (ranges of up to SLOT_STATS_DAYS_MAX days, by hospital, pages) are
 * compared as encoded bytes at random points and after every restore, in
 * every profile (one each; more in the money case). Its MUST list
 * (check_money_cover) names both LIMIT_REACHEDs, a paying check-in, a
 * paid booking cancelled, refunded and moved, a cancel after a fee
 * change, dropped rows, RECON reads with rows (filtered, paged) and of an
 * empty day, STATS reads with groups (paged), and every counter of a row
 * nonzero.
 *
 * After every batch:
 *   - each command's result must be equal in ledger and model, field by
 *     field;
 *   - ledger_check() must pass;
 *   - the event feed (protocol 4): the events the batch added, read with
 *     ledger_read_events, must equal the model's field by field (seq, the
 *     Raft index the batch was applied at: the next, a gap, or 0 through
 *     ledger_apply; time, type, pool, claim, patient, channel, account,
 *     hospital, a, b; protocol 5: fee_cents, payment_ref, pay_method,
 *     local_day), and so must first and last;
 * and at random points:
 *   - reads (pools, claims, patients, pool lists, ledger info, pool
 *     queries, rules, rule logs, schedule checks, next deadline and next
 *     sweep, and the encoded replies of ledger_read, READ_EVENTS with a
 *     random cursor and page among them) must agree;
 *   - the ledger is snapshotted and restored; the copy must hash and
 *     snapshot identically, and the run continues on the copy, so restored
 *     state has to behave exactly like the original.
 * Each case must produce what it is there for (MUST, MUST_SCHED,
 * check_cover): every refusal of its commands, and events no result code
 * names (a reused visit number, a flow-back that moved slots, an import
 * that changed nothing, ...), counted by the model (refmodel_stats);
 * EV_MUST gives each event type a profile that must make it, and the
 * profiles whose clock crosses a day must see the feed drop events older
 * than LEDGER_EVENTS_RETAIN_MS (and a READ_EVENTS cursor left behind).
 * A fraction of batches go through the real codec (entry builder, entry
 * decoder) before reaching the ledger; the model always gets the commands
 * as generated, so codec and ledger are checked together.
 *
 * Usage: test_ledger_prop [--quick] [--seeds N] [--steps N] [--seed N]
 *                         [--stats] [NAME]
 *   --quick    a tenth of the default seeds (the AddressSanitizer run);
 *   --seeds N  seeds per case (long runs);
 *   --seed N   replays one seed verbosely, printing every batch;
 *   --stats    prints per-case result-code counts (generator coverage);
 *   NAME       runs only the cases whose name contains NAME.
 * A failing seed prints the command line that replays it.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mp.h"
#include "slot_proto.h"
#include "slot_sched.h"
#include "slot_time.h"
#include "check.h"
#include "ledger.h"
#include "refmodel.h"

/* Scale: the default run (14 cases, ~5000 seeds of 300 batches) takes
 * about 30 s of CPU at -O2 on a 2-core machine; --quick about 30 s under
 * ASan. */
#define DEFAULT_SEEDS_PER_CASE 500
#define DEFAULT_STEPS          300
/* Session commands remembered for retries. */
#define HISTORY 128
/* Case k draws seeds (k + 1) * SEED_STRIDE + i, so a seed names its case. */
#define SEED_STRIDE       1000000ull
#define SESSIONS_SEEN_MAX 4096
#define TPL_HISTORY       16  /* templates remembered for re-imports */
#define QUERY_CAP         64  /* largest page of a compared pool query */
#define POOLS_CAP         512 /* pools a compared POOLS read returns */
#define STAFF_CAP         64  /* entries of a compared STAFF_LOG read */

static struct {
    uint32_t seeds;
    uint32_t steps;
    bool stats;
    const char *argv0;
} opt = {DEFAULT_SEEDS_PER_CASE, DEFAULT_STEPS, false, "test_ledger_prop"};

/* ---- the universe -------------------------------------------------------- */

/* The last pool id is never created: it keeps UNKNOWN_POOL reachable. */
static const char *const POOL_IDS[] = {
    "p0", "p1",   "gh1/cardio/dr-wang:2024-05-01.am", "p3", "p4", "p5",
    "p6", "ghost"};
#define N_POOL_IDS  (sizeof POOL_IDS / sizeof POOL_IDS[0])
#define N_CREATABLE (N_POOL_IDS - 1)
static const char *const PATIENTS[] = {
    "pat-0000", "pat-0001", "pat-0002", "pat-0003", "pat-0004",
    "pat-0005", "pat-0006", "pat-0007", "pat-0008", "k9:Zx_4.abcdefgh"};
#define N_PATIENTS (sizeof PATIENTS / sizeof PATIENTS[0])
static const char *const CHANNELS[] = {"app", "wechat", "114"};
#define N_CHANNELS (sizeof CHANNELS / sizeof CHANNELS[0])
static const char *const PAYMENT_REFS[] = {"pay:0001", "wx-tx#77", "!~"};
#define N_PAYMENT_REFS (sizeof PAYMENT_REFS / sizeof PAYMENT_REFS[0])
#define N_OF(a)        ((uint32_t)(sizeof(a) / sizeof(a)[0]))
/* Protocol 5: how a payment_ref was paid ("" none given). The "money"
 * case adds MANY_METHODS more, so the ledger's table fills. */
static const char *const PAY_METHODS[] = {"wechat", "alipay",    "card",
                                          "cash",   "insurance", ""};

/* Schedules: three hospitals that get rules (the first two in Beijing's
 * time, one at UTC-05:00, so local days start at other instants) and one
 * that never does (UNKNOWN_HOSPITAL). A few departments, doctors,
 * campuses; channels "bank" and "kiosk" that only groups name; groups
 * "online" and "hall" that shares, eligible and remainder_allow lists
 * name. */
static const char *const HOSPITALS[] = {"pumch", "bjh", "h-west", "nowhere"};
#define N_HOSPITALS N_OF(HOSPITALS)
#define N_RULED     (N_HOSPITALS - 1) /* "nowhere" never gets rules */
static const int16_t HOSPITAL_OFFSETS[] = {480, 480, -300, 0};
static const int16_t OTHER_OFFSETS[] = {480, 0, -300, 540};
static const char *const CAMPUSES[] = {"", "east", "west"};
static const char *const DEPTS[] = {"cardio", "derm", "peds"};
static const char *const DOCTORS[] = {"", "dr-wang", "dr-li"};
/* "online" also as a channel: a HOLD through a group's name. */
static const char *const SCHED_CHANNELS[] = {
    "app",   "wechat", "114",    "window", "bank",   "doctor",
    "kiosk", "app",    "wechat", "114",    "window", "online"};
static const char *const LIST_NAMES[] = {"app",    "114",    "window",
                                         "doctor", "online", "hall"};
static const char *const SHARE_NAMES[] = {"app",    "wechat", "114",
                                          "window", "online", "hall"};
static const char *const POLICY_NAMES[] = {"*",      "online", "hall", "window",
                                           "doctor", "114",    "app"};
static const char *const ONLINE_CHANNELS[] = {"app", "wechat", "bank", "kiosk"};
static const char *const FLOW_TO[] = {"", "", "app", "online", "114", "nosuch"};
static const char *const OPERATORS[] = {"ops@pumch", "admin.li"};
static const char *const REASONS[] = {
    "winter hours", "\xe6\x94\xbe\xe5\x8f\xb7\xe8\xa7\x84\xe5\x88\x99"};
static const char *const PREFIXES[] = {"imp-a", "imp-b", "cardio.wang"};
/* Protocol 3: accounts (patient key rules), callers. */
static const char *const ACCOUNTS[] = {"acct-0001", "acct-0002", "acct-0003"};
static const char *const CALLERS[] = {"app", "wechat", "114", "window",
                                      "online"};
/* Template segments: local [start, end) minutes, increasing. */
static const uint16_t SEG_MENU[][2] = {{480, 510},  {510, 540}, {540, 600},
                                       {780, 840},  {840, 900}, {900, 960},
                                       {1380, 1440}};

/* The "limits" and "bulk" cases need bigger universes: more channels than
 * the ledger's channel table holds, and enough patients to have more than
 * SLOT_EXPIRE_DUE_COUNT_MAX holds due at once. Filled by universe_init(). */
#define BULK_PATIENTS 2400
#define MANY_CHANNELS (LEDGER_CHANNELS_MAX + 16)
#define MANY_METHODS  (LEDGER_PAY_METHODS_MAX + 8)
static char bulk_patients[BULK_PATIENTS][16];
static char many_channels[MANY_CHANNELS][8];
static char many_methods[MANY_METHODS][8];

static void universe_init(void)
{
    for (unsigned i = 0; i < BULK_PATIENTS; i++) {
        snprintf(bulk_patients[i], sizeof bulk_patients[i], "bulk-%05u", i);
    }
    for (unsigned i = 0; i < MANY_CHANNELS; i++) {
        snprintf(many_channels[i], sizeof many_channels[i], "ch%02u", i);
    }
    for (unsigned i = 0; i < MANY_METHODS; i++) {
        snprintf(many_methods[i], sizeof many_methods[i], "pm-%02u", i);
    }
}

static const char *patient_name(uint32_t i)
{
    return i < N_PATIENTS ? PATIENTS[i] : bulk_patients[i - N_PATIENTS];
}

static const char *channel_name(uint32_t i)
{
    return i < N_CHANNELS ? CHANNELS[i] : many_channels[i - N_CHANNELS];
}

static struct slot_str sstr(const char *z)
{
    struct slot_str s = {z, (uint32_t)strlen(z)};
    return s;
}

static bool str_is(struct slot_str s, const char *z)
{
    return s.len == strlen(z) && memcmp(s.p, z, s.len) == 0;
}

/* ---- profiles: what each case leans on ----------------------------------- */

/* What the generator may emit; RETRY_SAME resends an earlier (session, seq)
 * request unchanged, RETRY_DIFF reuses its (session, seq) for another
 * command. */
enum kind {
    K_OPEN,
    K_CONFIG,
    K_CREATE,
    K_UPDATE,
    K_CLOSE,
    K_HOLD,
    K_CONFIRM,
    K_RELEASE,
    K_CANCEL,
    K_EXPIRE,
    K_RETRY_SAME,
    K_RETRY_DIFF,
    K_RULES,  /* RULES_SET */
    K_IMPORT, /* SCHEDULE_IMPORT */
    K_SWEEP,
    K_BIND, /* protocol 3: ACCOUNT_BIND, ... */
    K_UNBIND,
    K_VIOLATION,
    K_UNBLOCK,
    K_EXCEPTION,
    K_JOIN, /* WAITLIST_JOIN */
    K_LEAVE,
    K_STOP, /* protocol 4: POOL_STOP, MOVE, CHECKIN */
    K_MOVE,
    K_CHECKIN,
    K_COUNT
};

struct profile {
    const char *name;
    uint32_t weight[K_COUNT]; /* relative odds of each kind */
    uint32_t codec_pct;       /* batches that go through the entry codec */
    uint32_t unknown_pct;     /* session commands naming an unknown session */
    uint32_t seq_skip_pct;    /* seqs that are not simply the next one */
    uint32_t tiny_pct;        /* per CONFIG field: a tiny limit */
    uint32_t ttl_span_ms;     /* in-range TTLs are min + [0, span] */
    uint32_t dt_max_ms;       /* usual time step between batches */
    uint32_t jump_pct;        /* a big step (idle, retention, deadline) */
    uint32_t back_pct;        /* a stamp behind ledger time */
    uint32_t read_every;      /* compare reads about every N steps */
    uint32_t snap_every;      /* snapshot/restore about every N steps */
    uint32_t patients;        /* universe sizes; 0: the small defaults */
    uint32_t channels;
    uint32_t capacity_max;
    uint32_t batch_max;
    uint32_t sweep_pct; /* EXPIREs with a big max; the others free 1-3 */
    uint32_t seeds_div; /* runs opt.seeds / seeds_div seeds (costly cases) */
    uint32_t seeds_min; /* ... but at least this many (--quick too): a case
                         * whose rare outcomes need every default seed */
    /* Schedules (0 in the profiles of protocol version 1's commands): */
    uint32_t sched_pct;     /* pool specs with schedule fields */
    uint32_t day_pct;       /* stamps that move by hours or days */
    uint32_t flow_pct;      /* rule sets with a flow-back minute */
    uint32_t empty_ref_pct; /* CONFIRMs without a payment reference */
    uint32_t ttl0_pct;      /* HOLDs with ttl 0 (the rules' default) */
    uint64_t idle_ms;       /* session_idle_ms of a CONFIG that is not tiny */
    uint32_t burst_pct;     /* batches of RULES_SETs of one hospital */
    /* The patient rules (0 in the profiles before protocol 3): rule sets
     * with patient rules; it also turns on CONFIGs with protocol 3
     * fields, HOLDs naming accounts, callers on CONFIRM / RELEASE /
     * CANCEL, simpler date rules, month steps and the patient reads. */
    uint32_t patient_pct;
    /* Waitlists (weight[K_JOIN] > 0): CANCELs that pick a booking of a
     * pool with waiters, JOINs that pick a sold-out pool. */
    uint32_t wait_pct;
    /* The visit day (protocol 4; 0 in the profiles before it): pool specs
     * of two departments whose segments lie around ledger time, rule sets
     * with check-in windows and the no-show sweep, stamps that jump to
     * check-in's opening and close, CANCELs of stopped, checked-in and
     * no-show bookings. */
    uint32_t visit_pct;
    /* The money (protocol 5; 0 elsewhere): pay methods from a universe
     * bigger than the ledger's table, POOL_UPDATEs that change the fee
     * of a pool with bookings (its own spec, another fee), visit clinics
     * in a UTC-05:00 hospital too, stamps that step to local midnights
     * (money_pct: the odds of one per batch), RECON and STATS reads of
     * every kind. */
    uint32_t money_pct;
};

/* Weights: POOL_CLOSE is rare because it is for good; a run whose pools
 * are all closed tests little. One profile per paragraph reads better than
 * one field per line, hence no clang-format here. */
/* clang-format off */
static const struct profile PROFILES[] = {
    {.name = "mixed",
     /*         OPEN CONF CRE UPD CLO HOLD CONF REL CAN EXP RS RD */
     .weight = {20, 10, 15, 10, 2, 150, 70, 30, 30, 30, 25, 15},
     .codec_pct = 15, .unknown_pct = 3, .seq_skip_pct = 8, .tiny_pct = 30,
     .ttl_span_ms = 3000, .dt_max_ms = 800, .jump_pct = 4, .back_pct = 5,
     .read_every = 8, .snap_every = 25, .sweep_pct = 25},
    {.name = "sessions",
     .weight = {50, 10, 15, 5, 2, 100, 50, 20, 20, 15, 110, 70},
     .codec_pct = 15, .unknown_pct = 12, .seq_skip_pct = 25, .tiny_pct = 60,
     .ttl_span_ms = 3000, .dt_max_ms = 600, .jump_pct = 10, .back_pct = 5,
     .read_every = 8, .snap_every = 25, .sweep_pct = 25},
    {.name = "eviction",
     .weight = {15, 30, 15, 5, 2, 150, 70, 50, 50, 40, 30, 15},
     .codec_pct = 15, .unknown_pct = 3, .seq_skip_pct = 8, .tiny_pct = 85,
     .ttl_span_ms = 2000, .dt_max_ms = 800, .jump_pct = 10, .back_pct = 5,
     .read_every = 8, .snap_every = 20, .sweep_pct = 25},
    {.name = "expiry",
     .weight = {15, 10, 15, 5, 2, 160, 80, 40, 20, 70, 20, 10},
     .codec_pct = 15, .unknown_pct = 2, .seq_skip_pct = 5, .tiny_pct = 20,
     .ttl_span_ms = 400, .dt_max_ms = 300, .jump_pct = 8, .back_pct = 10,
     .read_every = 8, .snap_every = 25, .sweep_pct = 25},
    {.name = "pools",
     .weight = {15, 5, 40, 60, 6, 130, 50, 30, 30, 20, 15, 10},
     .codec_pct = 15, .unknown_pct = 2, .seq_skip_pct = 5, .tiny_pct = 20,
     .ttl_span_ms = 3000, .dt_max_ms = 600, .jump_pct = 4, .back_pct = 5,
     .read_every = 8, .snap_every = 25, .sweep_pct = 25},
    /* Every batch through the entry codec, schedule commands included. */
    {.name = "codec",
     /*         OPEN CONF CRE UPD CLO HOLD CONF REL CAN EXP RS RD RUL IMP SWP */
     .weight = {25, 15, 20, 15, 2, 140, 60, 30, 30, 30, 40, 25, 10, 10, 10},
     .codec_pct = 100, .unknown_pct = 4, .seq_skip_pct = 12, .tiny_pct = 50,
     .ttl_span_ms = 1500, .dt_max_ms = 600, .jump_pct = 6, .back_pct = 8,
     .read_every = 10, .snap_every = 40, .sweep_pct = 25,
     .sched_pct = 50, .day_pct = 4, .flow_pct = 60, .empty_ref_pct = 15,
     .ttl0_pct = 10, .idle_ms = 40ull * 86400000},
    /* More channel names than the ledger's table: LIMIT_REACHED on HOLD,
     * POOL_CREATE and POOL_UPDATE. */
    {.name = "limits",
     .weight = {15, 5, 40, 40, 2, 150, 50, 30, 30, 20, 15, 10, 10, 12, 6},
     .codec_pct = 15, .unknown_pct = 2, .seq_skip_pct = 5, .tiny_pct = 20,
     .ttl_span_ms = 3000, .dt_max_ms = 600, .jump_pct = 4, .back_pct = 5,
     .read_every = 10, .snap_every = 40, .sweep_pct = 25,
     .channels = MANY_CHANNELS,
     .sched_pct = 35, .day_pct = 4, .flow_pct = 60, .empty_ref_pct = 15,
     .ttl0_pct = 8, .idle_ms = 40ull * 86400000,
     /* HOLD and SCHEDULE_IMPORT meet a full channel table a few times in
      * the 500 default seeds, not in a tenth of them; the seeds are the
      * same in every build, so the ASan run sees what the release run
      * sees. */
     .seeds_min = DEFAULT_SEEDS_PER_CASE},
    /* Big pools, many patients, big batches, rare and small sweeps: more
     * than SLOT_EXPIRE_DUE_COUNT_MAX holds come due at once. No POOL_CLOSE:
     * a closed big pool would waste the case. */
    {.name = "bulk",
     .weight = {5, 1, 10, 2, 0, 400, 40, 20, 10, 15, 10, 5},
     .codec_pct = 10, .unknown_pct = 1, .seq_skip_pct = 3, .tiny_pct = 5,
     .ttl_span_ms = 20000, .dt_max_ms = 30, .jump_pct = 1, .back_pct = 5,
     .read_every = 16, .snap_every = 40, .sweep_pct = 1,
     .patients = BULK_PATIENTS, .capacity_max = 2000, .batch_max = 48,
     .seeds_div = 30},
    /* Hospitals' schedules: rule sets, scheduled pools of days around the
     * clock, imports, date rules crossed by steps of hours and days, so
     * every refusal of a scheduled HOLD and CONFIRM happens. Sessions
     * outlive the day steps (idle_ms). */
    {.name = "sched",
     /*         OPEN CONF CRE UPD CLO HOLD CONF REL CAN EXP RS RD RUL IMP SWP */
     .weight = {20, 8, 30, 12, 2, 170, 70, 20, 35, 20, 20, 10, 14, 14, 12},
     .codec_pct = 10, .unknown_pct = 2, .seq_skip_pct = 5, .tiny_pct = 10,
     .ttl_span_ms = 20000, .dt_max_ms = 5000, .jump_pct = 4, .back_pct = 5,
     .read_every = 10, .snap_every = 40, .sweep_pct = 25,
     .sched_pct = 85, .day_pct = 8, .flow_pct = 40, .empty_ref_pct = 25,
     .ttl0_pct = 12, .idle_ms = 40ull * 86400000, .burst_pct = 4},
    /* Flow-back: rule sets that mostly have a flow-back time, stamps that
     * jump to the next one, SWEEPs, and holds and bookings in the shares
     * that a flow-back must leave where they are. */
    {.name = "flowback",
     /*         OPEN CONF CRE UPD CLO HOLD CONF REL CAN EXP RS RD RUL IMP SWP */
     .weight = {20, 5, 30, 8, 1, 170, 70, 20, 25, 15, 15, 8, 12, 12, 40},
     .codec_pct = 10, .unknown_pct = 2, .seq_skip_pct = 5, .tiny_pct = 10,
     .ttl_span_ms = 60000, .dt_max_ms = 5000, .jump_pct = 4, .back_pct = 5,
     .read_every = 10, .snap_every = 40, .sweep_pct = 30,
     .sched_pct = 90, .day_pct = 14, .flow_pct = 90, .empty_ref_pct = 15,
     .ttl0_pct = 10, .idle_ms = 40ull * 86400000},
    /* The patient rules of protocol 3: quotas, cancellation deadline and
     * daily limit, ownership, accounts, violations, blacklist and
     * exceptions, cool-down after a cancel. Few patients and accounts, so
     * every rule fires; date rules mostly out of the way; steps of days
     * and months; SWEEPs that return cooling slots. */
    {.name = "patients",
     /*         OPEN CONF CRE UPD CLO HOLD CONF REL CAN EXP RS RD RUL IMP SWP
      *         BND UNB VIO UNBL EXC */
     .weight = {15, 10, 30, 6, 1, 170, 80, 20, 60, 20, 10, 5, 12, 6, 25,
                25, 15, 15, 6, 8},
     .codec_pct = 10, .unknown_pct = 2, .seq_skip_pct = 5, .tiny_pct = 8,
     .ttl_span_ms = 20000, .dt_max_ms = 5000, .jump_pct = 4, .back_pct = 5,
     .read_every = 10, .snap_every = 30, .sweep_pct = 25, .patients = 5,
     .sched_pct = 90, .day_pct = 10, .flow_pct = 20, .empty_ref_pct = 15,
     .ttl0_pct = 10, .idle_ms = 80ull * 86400000, .patient_pct = 85,
     /* the rarer quotas need more than a tenth of the seeds */
     .seeds_min = 150},
    /* Waitlists: pools of one or two slots that sell out, a dozen
     * patients joining them through several channels and accounts,
     * leaving, cancels by owners and administrators that offer the slot
     * to the head, offers confirmed, declined and lapsing, waiters made
     * ineligible (quotas, blacklists, accounts, the booking closing as
     * days pass) and dropped, up to the skip bound. */
    {.name = "waitlist",
     /*         OPEN CONF CRE UPD CLO HOLD CONF REL CAN EXP RS RD RUL IMP SWP
      *         BND UNB VIO UNBL EXC JOIN LEAVE */
     .weight = {15, 6, 30, 4, 2, 140, 90, 25, 70, 25, 10, 5, 10, 4, 20,
                15, 8, 35, 3, 25, 140, 8},
     .codec_pct = 10, .unknown_pct = 2, .seq_skip_pct = 5, .tiny_pct = 5,
     .ttl_span_ms = 20000, .dt_max_ms = 5000, .jump_pct = 5, .back_pct = 5,
     .read_every = 10, .snap_every = 30, .sweep_pct = 25, .patients = 24,
     .capacity_max = 2,
     .sched_pct = 90, .day_pct = 8, .flow_pct = 10, .empty_ref_pct = 10,
     .ttl0_pct = 10, .idle_ms = 80ull * 86400000, .patient_pct = 70,
     .wait_pct = 70, .seeds_div = 2, .seeds_min = 80},
    /* The visit day: clinics of two departments around ledger time,
     * stopped (POOL_STOP) with holds, bookings and waiters in them, their
     * bookings moved to other clinics (of the same department and kind,
     * or not), refunded, checked in (by the right patient or not, before,
     * inside and after the window) and swept as no-shows (or dropped, or
     * put back when a rule change moves check-in's close later), the
     * violations feeding the blacklist. */
    {.name = "visit",
     /*         OPEN CONF CRE UPD CLO HOLD CONF REL CAN EXP RS RD RUL IMP SWP
      *         BND UNB VIO UNBL EXC JOIN LEAVE STOP MOVE CHECKIN */
     .weight = {15, 4, 45, 6, 3, 170, 100, 15, 45, 20, 6, 2, 20, 2, 45,
                4, 2, 4, 2, 2, 12, 2, 10, 45, 70},
     .codec_pct = 10, .unknown_pct = 2, .seq_skip_pct = 5, .tiny_pct = 5,
     .ttl_span_ms = 240000, .dt_max_ms = 5000, .jump_pct = 4, .back_pct = 5,
     .read_every = 10, .snap_every = 30, .sweep_pct = 30, .patients = 8,
     .capacity_max = 4,
     .sched_pct = 92, .day_pct = 2, .flow_pct = 10, .empty_ref_pct = 25,
     .ttl0_pct = 10, .idle_ms = 80ull * 86400000, .patient_pct = 40,
     .visit_pct = 85, .seeds_div = 4, .seeds_min = 60},
    /* The money: the visit day's clinics (in Beijing's time and at
     * UTC-05:00), booked paid and unpaid through many pay methods (the
     * table fills: LIMIT_REACHED), their fees changed while booked, then
     * cancelled, refunded, moved and checked in (paying), stamps across
     * local midnights so reconciliation rows of several days exist, and
     * RECON / STATS reads with filters and pages. Its own case rather
     * than the visit one's: the visit case's MUST list stays as it was,
     * and this one's universe (more pay methods than the ledger's table,
     * a third hospital, midnight steps) would thin the visit case's rare
     * outcomes. */
    {.name = "money",
     /*         OPEN CONF CRE UPD CLO HOLD CONF REL CAN EXP RS RD RUL IMP SWP
      *         BND UNB VIO UNBL EXC JOIN LEAVE STOP MOVE CHECKIN */
     .weight = {15, 4, 45, 25, 2, 170, 110, 10, 50, 20, 6, 2, 20, 2, 40,
                4, 2, 2, 2, 2, 6, 2, 10, 40, 70},
     .codec_pct = 10, .unknown_pct = 2, .seq_skip_pct = 5, .tiny_pct = 5,
     .ttl_span_ms = 240000, .dt_max_ms = 5000, .jump_pct = 4, .back_pct = 5,
     .read_every = 10, .snap_every = 30, .sweep_pct = 30, .patients = 16,
     .capacity_max = 4, .batch_max = 16,
     .sched_pct = 92, .day_pct = 2, .flow_pct = 10, .empty_ref_pct = 40,
     .ttl0_pct = 10, .idle_ms = 80ull * 86400000, .patient_pct = 30,
     .visit_pct = 85, .money_pct = 6, .seeds_div = 8, .seeds_min = 40},
};
/* clang-format on */
#define N_PROFILES  (sizeof PROFILES / sizeof PROFILES[0])
#define BATCH_LIMIT 64 /* largest batch_max of any profile */

static uint32_t n_patients(const struct profile *pf)
{
    return pf->patients != 0 ? pf->patients : N_PATIENTS;
}

static uint32_t n_channels(const struct profile *pf)
{
    return pf->channels != 0 ? pf->channels : N_CHANNELS;
}

/* ---- one seeded run ------------------------------------------------------ */

/* What a run exercised: results per (op, code), and the events a profile
 * exists for. run_case() asserts minimums (see MUST below), so a generator
 * change that silently stops producing a case fails the test instead of
 * passing with less coverage. */
struct cover {
    uint64_t codes[SLOT_OP_MAX + 1][128];
    uint64_t snapshots;  /* snapshot + restore round trips */
    uint64_t codec;      /* batches through the entry codec */
    uint64_t due_capped; /* EXPIREs that found >= DUE_COUNT_MAX still due */
    uint64_t replays;    /* retries answered with the stored result */
    struct refmodel_stats st;   /* the model's counts of events (refmodel.h) */
    uint64_t sched_reads;       /* schedule reads compared with a result */
    uint64_t patient_reads;     /* PATIENT_INFO reads compared */
    uint64_t encoded_p3;        /* protocol 3 reads compared as bytes */
    uint64_t wait_reads;        /* WAITLIST reads compared */
    uint64_t wait_reads_on;     /* ... finding the patient on the list */
    uint64_t pool_claims_reads; /* POOL_CLAIMS reads compared as bytes */
    uint64_t events;            /* feed events compared */
    uint64_t event_reads;       /* READ_EVENTS compared as bytes */
    uint64_t event_reads_gap;   /* ... whose cursor was behind first */
    uint64_t recon_reads;       /* RECON reads compared as bytes */
    uint64_t recon_rows;        /* ... that found rows */
    uint64_t recon_filtered;    /* ... with rows, filtered by hospital or
                                 * channel */
    uint64_t recon_paged;       /* ... with rows, after > 0 */
    uint64_t recon_empty_day;   /* ... of a day without rows */
    uint32_t recon_nonzero;     /* bit i: counter i seen nonzero in a row */
    uint64_t stats_reads;       /* STATS reads compared as bytes */
    uint64_t stats_rows;        /* ... that found groups */
    uint64_t stats_paged;       /* ... with groups, after > 0 */
};

struct run {
    const struct profile *pf;
    uint64_t seed;
    uint32_t step;
    bool verbose;
    uint64_t rng;  /* drives the commands */
    uint64_t rng2; /* drives when to read and snapshot: kept apart so the
                    * command stream of a seed never depends on it */
    uint64_t rng3; /* draws pay methods (protocol 5): kept apart so the
                    * other profiles' command streams stayed as they were
                    * (their rare MUSTs are met by the same seeds) */
    struct ledger *l;
    struct refmodel *m;
    uint64_t clock_ms; /* the generator's wall clock (stamps' high mark) */
    /* Highest seq sent, per session id modulo the table: ids that share a
     * slot only make the seqs less regular, which is harmless. */
    uint64_t hi_seq[SESSIONS_SEEN_MAX];
    /* Recent session commands, for retries; strings point at the static
     * universe, so copies stay valid. */
    struct slot_cmd hist[HISTORY];
    uint32_t n_hist;
    uint32_t holds_in_batch; /* HOLDs generated so far in this batch */
    struct mp_buf enc;       /* scratch encoder */
    struct cover cov;        /* what this seed exercised */
    /* Bytes that commands point to (encoded rule sets, template days and
     * segments) and pool ids copied from the model: kept for the whole
     * run, since retries resend old commands. */
    char **kept;
    uint32_t n_kept, cap_kept;
    /* Templates imported so far, to import again (unchanged) or changed
     * (conflicts). */
    struct slot_template tpl[TPL_HISTORY];
    uint32_t n_tpl;
    uint32_t fresh_pools; /* "pt-N" pool ids handed out */
    uint64_t raft_index;  /* the Raft index of the last batch */
    uint64_t ev_seen;     /* the feed's events compared so far */
    bool burst;           /* this batch is rule changes of burst_hospital */
    uint32_t burst_hospital;
};

static uint64_t split_mix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform enough in [0, n) for n > 0. */
static uint32_t rnd(struct run *r, uint32_t n)
{
    return (uint32_t)(split_mix(&r->rng) % n);
}

static bool chance(struct run *r, uint32_t pct)
{
    return rnd(r, 100) < pct;
}

static uint32_t rnd2(struct run *r, uint32_t n);

/* ---- printing ------------------------------------------------------------ */

static const char *code_name(int code)
{
    const char *n = slot_err_name(code);
    return n != NULL ? n : "?";
}

/* Appends the names of a list ("a,b,c") at out[*w...]. */
static void fmt_names(const struct slot_str *names, uint32_t n, char *out,
                      size_t cap, int *w)
{
    for (uint32_t i = 0; i < n && *w >= 0 && (size_t)*w < cap; i++) {
        int x = snprintf(out + *w, cap - (size_t)*w, "%s%.*s", i ? "," : "",
                         (int)names[i].len, names[i].p);
        *w = x < 0 ? -1 : *w + x;
    }
}

static void fmt_sched(const struct slot_sched *s, uint64_t seg_start,
                      uint64_t seg_end, char *out, size_t cap)
{
    char day[11];
    slot_day_format(s->visit_day, day);
    int w =
        snprintf(out, cap,
                 "| %.*s/%.*s/%.*s/%.*s day=%s seg=%" PRIu64 "+%" PRIu64
                 "m pay=%u slot=%" PRIu32 " elig=",
                 (int)s->hospital.len, s->hospital.p, (int)s->campus.len,
                 s->campus.p, (int)s->department.len, s->department.p,
                 (int)s->doctor.len, s->doctor.p, day, seg_start,
                 (seg_end - seg_start) / 60000, s->pay_mode, s->visit_slot_ms);
    fmt_names(s->eligible, s->n_eligible, out, cap, &w);
    if (w >= 0 && (size_t)w < cap) {
        int x = snprintf(out + w, cap - (size_t)w, " rem=");
        w = x < 0 ? -1 : w + x;
    }
    fmt_names(s->rem_allow, s->n_rem_allow, out, cap, &w);
}

static void fmt_rules(const struct slot_cmd *c, char *out, size_t cap)
{
    struct slot_rules r;
    struct mp_reader rd;
    mp_reader_init(&rd, c->u.rules.rules.p, c->u.rules.rules.len);
    if (slot_rules_decode(&rd, &r) != SLOT_OK) {
        snprintf(out, cap, "(bad rules)");
        return;
    }
    int w = snprintf(out, cap,
                     "%.*s/%.*s off=%d rel=%u hor=%u cut=%u ttl=%" PRIu32
                     "/%" PRIu32 " flow=%u@-%ud->%s groups=%u pol=",
                     (int)c->u.rules.hospital.len, c->u.rules.hospital.p,
                     (int)c->u.rules.department.len, c->u.rules.department.p,
                     r.utc_offset_min, r.release_minute, r.horizon_days,
                     r.cutoff_minute, r.pay_ttl_ms, r.pay_ttl_max_ms,
                     r.flowback_minute, r.flowback_days_before, r.flowback_to,
                     r.n_groups);
    for (uint32_t i = 0; i < r.n_policies && w >= 0 && (size_t)w < cap; i++) {
        const struct slot_policy *p = &r.policies[i];
        int x = snprintf(out + w, cap - (size_t)w, "%s:%u%s%s ", p->channel,
                         p->horizon_days, p->cutoff ? "c" : "",
                         p->same_day ? "s" : "");
        w = x < 0 ? -1 : w + x;
    }
    for (uint32_t i = 0; i < r.n_elig && w >= 0 && (size_t)w < cap; i++) {
        const struct slot_elig *e = &r.elig[i];
        int x = snprintf(out + w, cap - (size_t)w, "elig[%s/%u:%s%s%s] ",
                         e->department, e->kind, e->names[0],
                         e->n > 1 ? "," : "", e->n > 1 ? e->names[1] : "");
        w = x < 0 ? -1 : w + x;
    }
    const struct slot_patient_rules *p = &r.patient;
    if (w >= 0 && (size_t)w < cap) {
        snprintf(out + w, cap - (size_t)w,
                 "| quota=%u/%u/%u/%u/%u cancel=-%ud@%u%s limit=%u "
                 "viol=%ud/%u bl=%ud exempt=%s unpaid=%d cool=%" PRIu32
                 "-%" PRIu32 " acct=%s per_acct=%d late=%" PRIu32,
                 p->quota_day_normal, p->quota_day_expert, p->quota_dept_expert,
                 p->quota_month_normal, p->quota_month_expert,
                 p->cancel_days_before, p->cancel_minute,
                 p->cancel_same_day ? "+sd" : "", p->cancel_limit_day,
                 p->violation_window_days, p->violation_threshold,
                 p->blacklist_days, p->blacklist_exempt, p->unpaid_is_violation,
                 p->cooldown_min_ms, p->cooldown_max_ms, p->account_channels,
                 p->quota_per_account, p->late_cancel_ms);
    }
}

static void fmt_template(const struct slot_template *t, char *out, size_t cap)
{
    uint32_t days[SLOT_TEMPLATE_DAYS_MAX];
    struct slot_segment segs[SLOT_TEMPLATE_SEGS_MAX];
    slot_template_days(t, days);
    slot_template_segments(t, segs);
    int w = snprintf(
        out, cap, "%.*s kind=%u fee=%" PRIu64 " shares=", (int)t->id_prefix.len,
        t->id_prefix.p, t->kind, t->fee_cents);
    for (uint32_t i = 0; i < t->n_shares && w >= 0 && (size_t)w < cap; i++) {
        int x = snprintf(out + w, cap - (size_t)w, "%.*s:%u ",
                         (int)t->shares[i].name.len, t->shares[i].name.p,
                         t->shares[i].permille);
        w = x < 0 ? -1 : w + x;
    }
    for (uint32_t i = 0; i < t->n_days && w >= 0 && (size_t)w < cap; i++) {
        int x = snprintf(out + w, cap - (size_t)w, "%s%" PRIu32,
                         i == 0 ? "days=" : ",", days[i]);
        w = x < 0 ? -1 : w + x;
    }
    if (w >= 0 && (size_t)w < cap) {
        int x = snprintf(out + w, cap - (size_t)w, " segs=");
        w = x < 0 ? -1 : w + x;
    }
    for (uint32_t i = 0; i < t->n_segments && w >= 0 && (size_t)w < cap; i++) {
        int x = snprintf(out + w, cap - (size_t)w, "%u-%u:%" PRIu32 " ",
                         segs[i].start_minute, segs[i].end_minute,
                         segs[i].capacity);
        w = x < 0 ? -1 : w + x;
    }
    if (w >= 0 && (size_t)w < cap) {
        fmt_sched(&t->sched, 0, 0, out + w, cap - (size_t)w);
    }
}

static void fmt_cmd(const struct slot_cmd *c, char *out, size_t cap)
{
    const char *op = slot_op_name(c->op);
    int k = snprintf(out, cap, "%s s=%" PRIu64 " q=%" PRIu64 " ",
                     op != NULL ? op : "?", c->session, c->seq);
    if (k < 0 || (size_t)k >= cap) {
        return;
    }
    out += k;
    cap -= (size_t)k;
    switch (c->op) {
        case SLOT_OP_CONFIG:
            snprintf(out, cap,
                     "ttl=[%" PRIu32 ",%" PRIu32 "] smax=%" PRIu32
                     " idle=%" PRIu64 " retain=%" PRIu64 "ms/%" PRIu32
                     " v3=%d acct=%u/%u/%ud/%u active=%u",
                     c->u.config.hold_ttl_min_ms, c->u.config.hold_ttl_max_ms,
                     c->u.config.session_max, c->u.config.session_idle_ms,
                     c->u.config.retain_ms, c->u.config.retain_max,
                     c->u.config.v3, c->u.config.account_patients_max,
                     c->u.config.account_changes_max,
                     c->u.config.account_change_window_days,
                     c->u.config.account_change_patients_max,
                     c->u.config.patient_active_max);
            break;
        case SLOT_OP_POOL_CREATE:
        case SLOT_OP_POOL_UPDATE: {
            const struct slot_pool_spec *p = &c->u.pool;
            int w =
                snprintf(out, cap,
                         "%.*s cap=%" PRIu32 " kind=%u rel=%" PRIu64 " shares=",
                         (int)p->pool.len, p->pool.p, p->capacity, p->kind,
                         p->release_at_ms);
            for (uint32_t i = 0; i < p->n_shares && w > 0 && (size_t)w < cap;
                 i++) {
                int x = snprintf(out + w, cap - (size_t)w, "%.*s:%" PRIu32 " ",
                                 (int)p->shares[i].channel.len,
                                 p->shares[i].channel.p, p->shares[i].slots);
                w = x < 0 ? -1 : w + x;
            }
            if (p->has_sched && w > 0 && (size_t)w < cap) {
                fmt_sched(&p->sched, p->seg_start_ms, p->seg_end_ms, out + w,
                          cap - (size_t)w);
            }
            break;
        }
        case SLOT_OP_RULES_SET:
            fmt_rules(c, out, cap);
            break;
        case SLOT_OP_SCHEDULE_IMPORT:
            fmt_template(&c->u.import, out, cap);
            break;
        case SLOT_OP_SWEEP:
            snprintf(out, cap, "max=%" PRIu32, c->u.expire.max);
            break;
        case SLOT_OP_POOL_CLOSE:
            snprintf(out, cap, "%.*s", (int)c->u.close.pool.len,
                     c->u.close.pool.p);
            break;
        case SLOT_OP_HOLD:
            snprintf(out, cap, "%.*s %.*s %.*s ttl=%" PRIu32 " acct=%.*s",
                     (int)c->u.hold.pool.len, c->u.hold.pool.p,
                     (int)c->u.hold.patient.len, c->u.hold.patient.p,
                     (int)c->u.hold.channel.len, c->u.hold.channel.p,
                     c->u.hold.ttl_ms, (int)c->u.hold.account.len,
                     c->u.hold.account.p);
            break;
        case SLOT_OP_CONFIRM:
        case SLOT_OP_RELEASE:
        case SLOT_OP_CANCEL:
            snprintf(out, cap,
                     "id=%" PRIu64
                     " ref=%.*s method=%.*s caller=%.*s acct=%.*s",
                     c->u.claim.id, (int)c->u.claim.payment_ref.len,
                     c->u.claim.payment_ref.p, (int)c->u.claim.pay_method.len,
                     c->u.claim.pay_method.p, (int)c->u.claim.caller.len,
                     c->u.claim.caller.p, (int)c->u.claim.account.len,
                     c->u.claim.account.p);
            break;
        case SLOT_OP_ACCOUNT_BIND:
        case SLOT_OP_ACCOUNT_UNBIND:
            snprintf(out, cap, "%.*s %.*s", (int)c->u.bind.account.len,
                     c->u.bind.account.p, (int)c->u.bind.patient.len,
                     c->u.bind.patient.p);
            break;
        case SLOT_OP_VIOLATION:
        case SLOT_OP_UNBLOCK:
        case SLOT_OP_EXCEPTION:
            snprintf(out, cap, "%.*s %.*s kind=%u",
                     (int)c->u.staff.hospital.len, c->u.staff.hospital.p,
                     (int)c->u.staff.patient.len, c->u.staff.patient.p,
                     c->u.staff.kind);
            break;
        case SLOT_OP_EXPIRE:
            snprintf(out, cap, "max=%" PRIu32, c->u.expire.max);
            break;
        case SLOT_OP_POOL_STOP:
            snprintf(out, cap, "%.*s op=%.*s", (int)c->u.stop.pool.len,
                     c->u.stop.pool.p, (int)c->u.stop.operator_name.len,
                     c->u.stop.operator_name.p);
            break;
        case SLOT_OP_MOVE:
            snprintf(out, cap, "id=%" PRIu64 " to=%.*s caller=%.*s acct=%.*s",
                     c->u.claim.id, (int)c->u.claim.pool.len, c->u.claim.pool.p,
                     (int)c->u.claim.caller.len, c->u.claim.caller.p,
                     (int)c->u.claim.account.len, c->u.claim.account.p);
            break;
        case SLOT_OP_CHECKIN:
            snprintf(out, cap,
                     "id=%" PRIu64 " patient=%.*s ref=%.*s method=%.*s",
                     c->u.claim.id, (int)c->u.claim.patient.len,
                     c->u.claim.patient.p, (int)c->u.claim.payment_ref.len,
                     c->u.claim.payment_ref.p, (int)c->u.claim.pay_method.len,
                     c->u.claim.pay_method.p);
            break;
        case SLOT_OP_WAITLIST_JOIN:
        case SLOT_OP_WAITLIST_LEAVE:
            snprintf(out, cap, "%.*s %.*s %s=%.*s acct=%.*s",
                     (int)c->u.wait.pool.len, c->u.wait.pool.p,
                     (int)c->u.wait.patient.len, c->u.wait.patient.p,
                     c->op == SLOT_OP_WAITLIST_JOIN ? "channel" : "caller",
                     (int)c->u.wait.channel.len, c->u.wait.channel.p,
                     (int)c->u.wait.account.len, c->u.wait.account.p);
            break;
        default:
            out[0] = '\0';
    }
}

static void fmt_result(const struct slot_result *res, char *out, size_t cap)
{
    snprintf(out, cap, "%s a=%" PRIu64 " b=%" PRIu64 " t=%" PRIu64,
             code_name(res->code), res->a, res->b, res->time_ms);
}

/* Reports a failure of this run and how to replay it; never returns. */
__attribute__((format(printf, 2, 3), noreturn)) static void
fail(const struct run *r, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "seed %" PRIu64 " (%s) step %" PRIu32 ": ", r->seed,
            r->pf->name, r->step);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nreplay: %s --seed %" PRIu64 "\n", opt.argv0, r->seed);
    exit(1);
}

/* ---- the generator ------------------------------------------------------- */

/* Fingerprints as the decoder computes them: hashes of the canonical bytes
 * (the whole command; for IDEM also the inner one). */
static void seal(struct run *r, struct slot_cmd *c)
{
    struct slot_cmd d;
    mp_buf_reset(&r->enc);
    slot_cmd_encode(&r->enc, c);
    if (slot_cmd_decode_buf(r->enc.data, r->enc.len, &d) != SLOT_OK) {
        fprintf(stderr, "generated command does not decode\n");
        abort();
    }
    c->fingerprint = d.fingerprint;
    c->idem.fingerprint = d.idem.fingerprint;
}

static uint32_t live_sessions(struct run *r, uint64_t *ids, uint32_t cap)
{
    uint32_t n = refmodel_sessions(r->m, ids, cap);
    return n < cap ? n : cap;
}

/* Mostly a live session (the most recently used ones more often: they are
 * the ones clients are busy with); sometimes one the ledger never heard of
 * or has forgotten. */
static uint64_t pick_session(struct run *r)
{
    uint64_t ids[64];
    uint32_t n = live_sessions(r, ids, 64);
    uint64_t last = refmodel_last_session_id(r->m);
    if (n == 0 || chance(r, r->pf->unknown_pct)) {
        if (last > 0 && chance(r, 60)) {
            return 1 + rnd(r, (uint32_t)last); /* any, maybe forgotten */
        }
        return last + 1 + rnd(r, 3); /* never opened (yet) */
    }
    if (chance(r, 50)) {
        return ids[rnd(r, n < 3 ? n : 3)];
    }
    return ids[rnd(r, n)];
}

/* The next request number of a session: usually the next one, sometimes a
 * gap, a jump past the window, or a step back into or below it. */
static uint64_t pick_seq(struct run *r, uint64_t session)
{
    uint64_t *hi = &r->hi_seq[session % SESSIONS_SEEN_MAX];
    if (!chance(r, r->pf->seq_skip_pct)) {
        return ++*hi;
    }
    uint32_t how = rnd(r, 10);
    if (how < 4) {
        return *hi += 2 + rnd(r, 3);
    }
    if (how < 6) {
        return *hi += SLOT_SESSION_WINDOW - 2 + rnd(r, 6);
    }
    uint64_t back = 1 + rnd(r, SLOT_SESSION_WINDOW + 8);
    return *hi > back ? *hi - back : 1 + rnd(r, 3);
}

static struct slot_str pick_pool(struct run *r, bool creatable)
{
    return sstr(POOL_IDS[rnd(r, creatable ? N_CREATABLE : N_POOL_IDS)]);
}

/* A copy of len bytes that lives as long as the run. */
static const char *keep(struct run *r, const void *p, size_t len)
{
    if (r->n_kept == r->cap_kept) {
        r->cap_kept = r->cap_kept == 0 ? 64 : 2 * r->cap_kept;
        r->kept = realloc(r->kept, r->cap_kept * sizeof *r->kept);
        CHECK(r->kept != NULL);
    }
    char *c = malloc(len + 1);
    CHECK(c != NULL);
    memcpy(c, p, len);
    c[len] = '\0';
    r->kept[r->n_kept++] = c;
    return c;
}

static struct slot_str keep_buf(struct run *r, const struct mp_buf *b)
{
    struct slot_str s = {keep(r, b->data, b->len), (uint32_t)b->len};
    return s;
}

/* Any pool the model has (imported ones included), or a POOL_IDS one when
 * there is none. */
static struct slot_str pick_model_pool(struct run *r)
{
    uint32_t n = refmodel_pool_count(r->m);
    if (n == 0) {
        return pick_pool(r, false);
    }
    const char *id = refmodel_pool_id(r->m, rnd(r, n));
    return sstr(keep(r, id, strlen(id)));
}

static bool pool_exists(struct run *r, struct slot_str pool)
{
    struct slot_pool_status st;
    return refmodel_read_pool(r->m, pool, &st) == SLOT_OK;
}

/* Mostly a pool that exists and is not closed, so HOLDs get to the rules
 * past UNKNOWN_POOL and POOL_CLOSED. */
static struct slot_str pick_open_pool(struct run *r)
{
    if (r->pf->patient_pct > 0 && chance(r, 90)) {
        /* one of the newest pools, mostly one that is not over */
        uint32_t n = refmodel_pool_count(r->m);
        struct slot_str pool = pick_pool(r, false);
        struct slot_pool_status st;
        for (int tries = 0; n > 0 && tries < 6; tries++) {
            const char *id =
                refmodel_pool_id(r->m, n - 1 - rnd(r, n < 24 ? n : 24));
            pool = sstr(keep(r, id, strlen(id)));
            if (refmodel_read_pool(r->m, pool, &st) == SLOT_OK &&
                st.state != SLOT_PSTATE_CLOSED &&
                st.state != SLOT_PSTATE_STOPPED &&
                (st.seg_end_ms == 0 || st.seg_end_ms > r->clock_ms) &&
                chance(r, 90)) {
                break;
            }
        }
        return pool;
    }
    if (r->pf->sched_pct > 0 && chance(r, 60)) {
        /* mostly one whose clinic is not over yet */
        struct slot_str pool = pick_model_pool(r);
        struct slot_pool_status st;
        for (int tries = 0;
             tries < 4 && chance(r, 80) &&
             refmodel_read_pool(r->m, pool, &st) == SLOT_OK &&
             (st.state == SLOT_PSTATE_CLOSED ||
              (st.seg_end_ms != 0 && st.seg_end_ms <= r->clock_ms));
             tries++) {
            pool = pick_model_pool(r);
        }
        return pool;
    }
    struct slot_str pool = pick_pool(r, false);
    struct slot_pool_status st;
    for (int tries = 0; tries < 8 && chance(r, 85) &&
                        (refmodel_read_pool(r->m, pool, &st) != SLOT_OK ||
                         st.state == SLOT_PSTATE_CLOSED);
         tries++) {
        pool = pick_pool(r, false);
    }
    return pool;
}

/* A claim id for CONFIRM / RELEASE / CANCEL: often one of the newest
 * claims in the state the command wants (a live hold, a booking), else a
 * hold made earlier in this batch, an id never issued, a recent id or any
 * id (maybe forgotten after retention). */
static uint64_t pick_claim(struct run *r, uint8_t want)
{
    uint64_t last = refmodel_last_claim_id(r->m);
    uint32_t w = rnd(r, 100);
    if (w < 60) {
        uint64_t found[8];
        uint32_t n = 0;
        for (uint64_t id = last; id >= 1 && last - id < 64 && n < 8; id--) {
            struct slot_claim c;
            if (refmodel_read_claim(r->m, id, false, &c) == SLOT_OK &&
                c.state == want) {
                found[n++] = id;
            }
        }
        if (n > 0) {
            return found[rnd(r, n)];
        }
    }
    if (w < 70 && r->holds_in_batch > 0) {
        return last + 1 + rnd(r, r->holds_in_batch);
    }
    if (last == 0 || w < 76) {
        return last + 1 + rnd(r, 3);
    }
    if (w < 90) {
        return last - rnd(r, last < 12 ? (uint32_t)last : 12);
    }
    return 1 + rnd(r, (uint32_t)(last < UINT32_MAX ? last : UINT32_MAX));
}

/* A channel index: the three usual ones mostly, any of a bigger universe
 * when the profile has one. */
static uint32_t pick_channel(struct run *r)
{
    uint32_t n = n_channels(r->pf);
    return n == N_CHANNELS || chance(r, 40) ? rnd(r, N_CHANNELS) : rnd(r, n);
}

static void gen_config(struct run *r, struct slot_config *c)
{
    static const uint32_t mins[] = {1, 7, 50, 200, 1000};
    uint32_t tiny = r->pf->tiny_pct;
    c->hold_ttl_min_ms = mins[rnd(r, 5)];
    c->hold_ttl_max_ms = c->hold_ttl_min_ms + rnd(r, r->pf->ttl_span_ms + 1);
    c->session_max = chance(r, tiny) ? 1 + rnd(r, 6)
                     : chance(r, 50) ? LEDGER_DEFAULT_SESSION_MAX
                                     : 8 + rnd(r, 64);
    if (r->pf->sched_pct > 0 && chance(r, 40)) {
        /* room for the rules' payment windows (minutes) */
        c->hold_ttl_max_ms = 600000 + rnd(r, 600000);
    }
    uint64_t idle =
        r->pf->idle_ms != 0 ? r->pf->idle_ms : LEDGER_DEFAULT_SESSION_IDLE_MS;
    c->session_idle_ms = chance(r, tiny) ? 1000 + rnd(r, 4000) : idle;
    c->retain_ms = !chance(r, tiny) ? LEDGER_DEFAULT_RETAIN_MS
                   : chance(r, 10)  ? 0
                                    : rnd(r, 4000);
    c->retain_max = chance(r, tiny) ? rnd(r, 8)
                    : chance(r, 50) ? LEDGER_DEFAULT_RETAIN_MAX
                                    : 16 + rnd(r, 64);
    /* Protocol 3's fields; else a version 2 CONFIG, which keeps them. */
    if (r->pf->patient_pct > 0 && chance(r, 75)) {
        c->v3 = true;
        c->account_patients_max = (uint8_t)(1 + rnd(r, 3));
        c->account_changes_max = (uint8_t)(1 + rnd(r, 2));
        c->account_change_window_days = (uint16_t)(1 + rnd(r, 3));
        c->account_change_patients_max = (uint8_t)(1 + rnd(r, 2));
        c->patient_active_max = (uint16_t)(chance(r, 50) ? 0 : 2 + rnd(r, 4));
        c->cooldown_key[0] = split_mix(&r->rng);
        c->cooldown_key[1] = chance(r, 20) ? 0 : split_mix(&r->rng);
    }
}

/* ---- the schedule generators -------------------------------------------- */

/* The UTC offset of hospital hi: its rules' if it has some, else the one
 * it is meant to get. */
static int16_t hospital_offset(struct run *r, uint32_t hi)
{
    static struct slot_rules_info info;
    if (refmodel_read_rules(r->m, sstr(HOSPITALS[hi]), sstr(""), &info) ==
        SLOT_OK) {
        return info.rules.utc_offset_min;
    }
    return HOSPITAL_OFFSETS[hi];
}

/* A hospital index: mostly one that gets rules, rarely "nowhere". */
static uint32_t pick_hospital(struct run *r)
{
    return chance(r, 5) ? N_RULED : rnd(r, N_RULED);
}

/* A name of list[0..n), or in the "limits" case often one of its many
 * channels (so schedule fields and templates fill the channel table). */
static const char *pick_name(struct run *r, const char *const *list, uint32_t n)
{
    if (n_channels(r->pf) > N_CHANNELS && chance(r, 50)) {
        return channel_name(pick_channel(r));
    }
    return list[rnd(r, n)];
}

/* 1..max distinct names of list[0..n) into out; returns how many. */
static uint32_t pick_names(struct run *r, const char *const *list, uint32_t n,
                           uint32_t max, struct slot_str *out)
{
    uint32_t k = 0, want = 1 + rnd(r, max);
    for (uint32_t tries = 0; tries < 8 && k < want; tries++) {
        const char *x = pick_name(r, list, n);
        bool dup = false;
        for (uint32_t i = 0; i < k; i++) {
            dup = dup || str_is(out[i], x);
        }
        if (!dup) {
            out[k++] = sstr(x);
        }
    }
    return k;
}

/* The visit profile's clinics: two hospitals of one offset, two
 * departments, a segment starting from an hour before the clock to five
 * hours after it (check-in windows open and close during a run), no
 * channel lists; mostly normal clinics, so that many are MOVE targets of
 * each other. */
static void visit_sched(struct run *r, struct slot_pool_spec *p)
{
    struct slot_sched *s = &p->sched;
    uint32_t hi = rnd(r, r->pf->money_pct > 0 ? 3 : 2); /* 2: UTC-05:00 */
    int16_t off = hospital_offset(r, hi);
    uint32_t day = slot_local_day(r->clock_ms, off);
    int64_t start = (int64_t)slot_local_minute(r->clock_ms, off) - 60 +
                    (int64_t)rnd(r, 360);
    if (start < 0) {
        start = 0;
    }
    if (start >= 1410) {
        day++;
        start = start - 1440 < 0 ? 0 : start - 1440;
    }
    uint32_t len = 30 * (1 + rnd(r, 4));
    if (start + len > 1440) {
        len = 1440 - (uint32_t)start;
    }
    p->seg_start_ms = slot_utc_ms_of(day, (uint32_t)start, off);
    p->seg_end_ms = slot_utc_ms_of(day, (uint32_t)start + len, off);
    p->kind = (uint8_t)(chance(r, 80) ? SLOT_KIND_NORMAL : SLOT_KIND_EXPERT);
    memset(s, 0, sizeof *s);
    s->hospital = sstr(HOSPITALS[hi]);
    s->campus = sstr(CAMPUSES[rnd(r, N_OF(CAMPUSES))]);
    s->department = sstr(DEPTS[rnd(r, 2)]);
    s->doctor = sstr(DOCTORS[rnd(r, N_OF(DOCTORS))]);
    s->visit_day = day;
    s->pay_mode = (uint8_t)rnd(r, 2);
    s->visit_slot_ms = chance(r, 70) ? 0 : 600000;
}

/* The schedule fields of a pool spec, with a segment on a visit day
 * around the clock (yesterday .. eight days ahead, local), so horizons,
 * release minutes, cut-offs and the same-day rules all apply. */
static void gen_sched(struct run *r, struct slot_pool_spec *p)
{
    static const uint16_t starts[] = {480, 510, 540, 780, 840, 900, 1380};
    struct slot_sched *s = &p->sched;
    uint32_t hi = pick_hospital(r);
    int16_t off = hospital_offset(r, hi);
    uint32_t day = slot_local_day(r->clock_ms, off) + rnd(r, 10) - 1;
    if (r->pf->patient_pct > 0 && chance(r, 30)) {
        day += rnd(r, 35); /* the month quotas: other days, other months */
    }
    uint32_t start = chance(r, 20) ? rnd(r, 1380) : starts[rnd(r, 7)];
    uint32_t len = 30 * (1 + rnd(r, 4));
    if (start + len > 1440) {
        len = 1440 - start;
    }
    p->seg_start_ms = slot_utc_ms_of(day, start, off);
    p->seg_end_ms = slot_utc_ms_of(day, start + len, off);
    p->release_at_ms = chance(r, 85) ? 0 : r->clock_ms + rnd(r, 20000) - 5000;
    memset(s, 0, sizeof *s);
    s->hospital = sstr(HOSPITALS[hi]);
    s->campus = sstr(CAMPUSES[rnd(r, N_OF(CAMPUSES))]);
    s->department = sstr(DEPTS[rnd(r, N_OF(DEPTS))]);
    s->doctor = sstr(DOCTORS[rnd(r, N_OF(DOCTORS))]);
    s->visit_day = day;
    s->pay_mode = (uint8_t)rnd(r, 2);
    s->visit_slot_ms = chance(r, 70)   ? 0
                       : chance(r, 50) ? 600000
                                       : 1 + rnd(r, 3600000);
    if (r->pf->visit_pct > 0 && chance(r, r->pf->visit_pct)) {
        visit_sched(r, p);
        return;
    }
    bool few_lists = r->pf->patient_pct > 0; /* HOLDs get to its rules */
    if (chance(r, few_lists ? 8 : 35)) {
        s->n_eligible =
            pick_names(r, LIST_NAMES, N_OF(LIST_NAMES), 2, s->eligible);
    }
    if (chance(r, few_lists ? 12 : 45)) {
        s->n_rem_allow =
            pick_names(r, LIST_NAMES, N_OF(LIST_NAMES), 2, s->rem_allow);
    }
}

static void zcopy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src);
}

/* Patient rules (rule set version 2) from a small universe, tight enough
 * that every rule fires among a handful of patients. */
static void gen_patient_rules(struct run *r, struct slot_patient_rules *p)
{
    static const uint8_t day_normal[] = {0, 1, 1, 2};
    static const uint8_t day_expert[] = {0, 0, 1, 2};
    static const uint8_t dept_expert[] = {0, 1, 1, 2};
    static const uint8_t month_normal[] = {0, 1, 2, 3};
    static const uint8_t month_expert[] = {0, 1, 2};
    static const uint16_t cancel_minutes[] = {480, 900, 1200, 600};
    static const uint16_t windows[] = {1, 3, 7};
    static const uint32_t cool_min[] = {0, 0, 1000, 20000};
    static const uint32_t cool_max[] = {0, 5000, 60000, 600000};
    static const char *const exempt[] = {"", "", "114", "hall", "online"};
    static const char *const acct[] = {"", "", "", "app", "online", "wechat"};
    static const uint32_t late_cancel[] = {0,        0,        3600000,
                                           10800000, 21600000, 86400000};
    p->quota_day_normal = day_normal[rnd(r, N_OF(day_normal))];
    p->quota_day_expert = day_expert[rnd(r, N_OF(day_expert))];
    p->quota_dept_expert = dept_expert[rnd(r, N_OF(dept_expert))];
    p->quota_month_normal = month_normal[rnd(r, N_OF(month_normal))];
    p->quota_month_expert = month_expert[rnd(r, N_OF(month_expert))];
    p->cancel_days_before = (uint16_t)rnd(r, 3);
    p->cancel_minute = chance(r, 30) ? SLOT_MINUTE_NONE
                       : chance(r, 20)
                           ? (uint16_t)rnd(r, 1440)
                           : cancel_minutes[rnd(r, N_OF(cancel_minutes))];
    p->cancel_same_day = chance(r, 50);
    p->cancel_limit_day = (uint8_t)(chance(r, 50) ? 0 : 1 + rnd(r, 2));
    p->violation_window_days = windows[rnd(r, N_OF(windows))];
    p->violation_threshold = (uint8_t)rnd(r, 4);
    p->blacklist_days = (uint16_t)(1 + rnd(r, 2));
    zcopy(p->blacklist_exempt, sizeof p->blacklist_exempt,
          exempt[rnd(r, N_OF(exempt))]);
    p->unpaid_is_violation = chance(r, 50);
    p->cooldown_min_ms = cool_min[rnd(r, N_OF(cool_min))];
    p->cooldown_max_ms = cool_max[rnd(r, N_OF(cool_max))];
    if (p->cooldown_max_ms != 0 && p->cooldown_max_ms < p->cooldown_min_ms) {
        p->cooldown_max_ms = p->cooldown_min_ms;
    }
    if (p->cooldown_max_ms == 0) {
        p->cooldown_min_ms = 0;
    }
    zcopy(p->account_channels, sizeof p->account_channels,
          acct[rnd(r, N_OF(acct))]);
    /* The account's patients' claims together, and cancels a few hours
     * (or a day) before the segment that count as violations. */
    p->quota_per_account = chance(r, 40);
    p->late_cancel_ms = late_cancel[rnd(r, N_OF(late_cancel))];
}

/* The visit profile's rule sets (version 3): mostly no date rules in the
 * way of its same-day clinics; check-in from 0 to 24 h before the segment
 * until 0 to an hour before its end (or after it ends: never open), the
 * no-show sweep mostly on. */
static void gen_visit_rules(struct run *r, struct slot_rules *R)
{
    static const uint32_t before[] = {0, 600000, 1800000, 7200000, 86400000};
    static const uint32_t late[] = {0, 300000, 900000, 1800000, 3600000};
    if (chance(r, 85)) {
        R->horizon_days = 0;
        R->cutoff_minute = SLOT_MINUTE_NONE;
        R->n_policies = 0;
        R->n_elig = 0;
        R->flowback_minute = SLOT_MINUTE_NONE;
    }
    R->visit.checkin_before_ms = before[rnd(r, N_OF(before))];
    R->visit.checkin_late_ms =
        chance(r, 3) ? SLOT_CHECKIN_MAX_MS : late[rnd(r, N_OF(late))];
    R->visit.noshow_sweep = chance(r, 75);
}

/* A rule set drawn from a small universe (slot_sched.h's fields). */
static void gen_rules(struct run *r, struct slot_rules *R, int16_t off)
{
    static const uint16_t releases[] = {0, 540, 555, 480, 720};
    static const uint16_t horizons[] = {0, 1, 2, 3, 7};
    static const uint16_t cutoffs[] = {SLOT_MINUTE_NONE, 900, 1020, 600};
    static const uint32_t pay_ttls[] = {0, 1000, 3000, 300000};
    static const uint32_t pay_maxes[] = {0, 2000, 5000, 900000};
    static const uint16_t flows[] = {420, 900, 1200, 0};
    static const uint16_t policy_horizons[] = {0, 0, 1, 2, 30};
    slot_rules_default(R);
    R->utc_offset_min = off;
    R->release_minute =
        (uint16_t)(chance(r, 20) ? rnd(r, 1440) : releases[rnd(r, 5)]);
    R->horizon_days = horizons[rnd(r, 5)];
    R->cutoff_minute =
        (uint16_t)(chance(r, 15) ? rnd(r, 1440) : cutoffs[rnd(r, 4)]);
    R->pay_ttl_ms = pay_ttls[rnd(r, 4)];
    R->pay_ttl_max_ms = pay_maxes[rnd(r, 4)];
    if (R->pay_ttl_max_ms != 0 && R->pay_ttl_ms > R->pay_ttl_max_ms) {
        R->pay_ttl_max_ms = 0;
    }
    R->flowback_days_before = (uint8_t)rnd(r, 3);
    if (chance(r, r->pf->flow_pct)) {
        R->flowback_minute =
            (uint16_t)(chance(r, 30) ? rnd(r, 1440) : flows[rnd(r, 4)]);
    }
    zcopy(R->flowback_to, sizeof R->flowback_to, FLOW_TO[rnd(r, 6)]);
    uint32_t n_groups = rnd(r, 3);
    if (n_groups >= 1) {
        struct slot_group *g = &R->groups[R->n_groups++];
        zcopy(g->name, sizeof g->name, "online");
        for (uint32_t i = 0; i < N_OF(ONLINE_CHANNELS); i++) {
            if (chance(r, 70) || (i == 0 && chance(r, 50))) {
                zcopy(g->channels[g->n++], sizeof g->channels[0],
                      ONLINE_CHANNELS[i]);
            }
        }
        if (g->n == 0) {
            zcopy(g->channels[g->n++], sizeof g->channels[0], "wechat");
        }
    }
    if (n_groups >= 2) {
        struct slot_group *g = &R->groups[R->n_groups++];
        zcopy(g->name, sizeof g->name, "hall");
        zcopy(g->channels[g->n++], sizeof g->channels[0], "window");
        if (chance(r, 50)) {
            zcopy(g->channels[g->n++], sizeof g->channels[0], "kiosk");
        }
    }
    uint32_t n_pol = rnd(r, 4);
    for (uint32_t t = 0; t < 8 && R->n_policies < n_pol; t++) {
        const char *name = POLICY_NAMES[rnd(r, N_OF(POLICY_NAMES))];
        bool dup = false;
        for (uint32_t i = 0; i < R->n_policies; i++) {
            dup = dup || strcmp(R->policies[i].channel, name) == 0;
        }
        if (!dup) {
            struct slot_policy *p = &R->policies[R->n_policies++];
            zcopy(p->channel, sizeof p->channel, name);
            p->horizon_days = policy_horizons[rnd(r, 5)];
            p->cutoff = chance(r, 60);
            p->same_day = chance(r, 60);
        }
    }
    uint32_t n_elig = chance(r, 50) ? 0 : 1 + rnd(r, 2);
    for (uint32_t k = 0; k < n_elig; k++) {
        static const uint8_t kinds[] = {SLOT_KIND_ANY, SLOT_KIND_ANY,
                                        SLOT_KIND_NORMAL, SLOT_KIND_SPECIAL};
        static const char *const depts[] = {"", "", "cardio", "derm"};
        struct slot_elig *e = &R->elig[R->n_elig++];
        zcopy(e->department, sizeof e->department, depts[rnd(r, 4)]);
        e->kind = kinds[rnd(r, 4)];
        struct slot_str names[3];
        e->n = (uint8_t)pick_names(r, LIST_NAMES, N_OF(LIST_NAMES), 3, names);
        for (uint32_t i = 0; i < e->n; i++) {
            zcopy(e->names[i], sizeof e->names[i], names[i].p);
        }
    }
    if (r->pf->patient_pct > 0) {
        /* Date rules mostly out of the way: HOLDs get to the patients'. */
        if (chance(r, 70)) {
            R->horizon_days = 0;
            R->cutoff_minute = SLOT_MINUTE_NONE;
            R->n_policies = 0;
            R->n_elig = 0;
        }
        if (chance(r, r->pf->patient_pct)) {
            gen_patient_rules(r, &R->patient);
        }
    }
    if (r->pf->visit_pct > 0) {
        gen_visit_rules(r, R);
    }
    CHECK(slot_rules_check(R) == SLOT_OK);
}

/* What a visit-day command looks for in a claim. */
enum visit_want {
    W_STOPPED_BOOKING, /* BOOKED in a stopped pool, not a no-show */
    W_PENDING_OPEN,    /* BOOKED, pending, its check-in window open now */
    W_PENDING,         /* BOOKED, pending, pool not stopped */
    W_CHECKED_IN,      /* BOOKED, checked in */
    W_NO_SHOW,         /* BOOKED, a no-show */
    W_MOVED,           /* MOVED */
    W_HELD_STOPPED,    /* HELD in a stopped pool (CONFIRM) */
    W_UNPAID_OPEN,     /* W_PENDING_OPEN and unpaid (a check-in pays) */
};

static uint64_t pick_visit_claim(struct run *r, enum visit_want w);

/* RULES_SET: the hospital's own rules or a department's, mostly in the
 * hospital's offset (another one is INVALID_ARGUMENT once it has pools or
 * departments); department rules of "nowhere" are UNKNOWN_HOSPITAL. */
static void gen_rules_cmd(struct run *r, struct slot_cmd *c)
{
    static struct slot_rules R;
    bool dept = chance(r, 35);
    uint32_t hi = r->burst ? r->burst_hospital
                  : dept   ? pick_hospital(r)
                           : rnd(r, N_RULED);
    if (r->pf->visit_pct > 0 && chance(r, 80)) {
        hi = rnd(r, r->pf->money_pct > 0 ? 3 : 2); /* the clinics' */
    }
    int16_t off = chance(r, 6) ? OTHER_OFFSETS[rnd(r, N_OF(OTHER_OFFSETS))]
                               : hospital_offset(r, hi);
    gen_rules(r, &R, off);
    static struct slot_claim cl;
    static struct slot_pool_status st;
    uint64_t id = r->pf->visit_pct > 0 && !r->burst && chance(r, 30)
                      ? pick_visit_claim(r, W_PENDING)
                      : 0;
    if (id != 0 && refmodel_read_claim(r->m, id, false, &cl) == SLOT_OK &&
        refmodel_read_pool(r->m, sstr(cl.pool), &st) == SLOT_OK &&
        st.has_place) {
        /* the rules of a pending booking's clinic, check-in closing
         * later (a no-show due is put back) or the sweep turned off */
        for (uint32_t i = 0; i < N_RULED; i++) {
            if (strcmp(HOSPITALS[i], st.place.hospital) == 0) {
                hi = i;
            }
        }
        dept = chance(r, 40);
        R.utc_offset_min = hospital_offset(r, hi);
        R.visit.checkin_late_ms = chance(r, 70) ? 0 : 300000;
        R.visit.noshow_sweep = chance(r, 85);
    } else {
        id = 0;
    }
    mp_buf_reset(&r->enc);
    slot_rules_encode(&r->enc, &R);
    c->u.rules.hospital = sstr(HOSPITALS[hi]);
    c->u.rules.department =
        sstr(dept ? DEPTS[rnd(r, r->pf->visit_pct > 0 ? 2 : N_OF(DEPTS))] : "");
    if (id != 0 && dept) {
        c->u.rules.department =
            sstr(keep(r, st.place.department, strlen(st.place.department)));
    }
    c->u.rules.operator_name = sstr(OPERATORS[rnd(r, N_OF(OPERATORS))]);
    c->u.rules.reason = sstr(REASONS[rnd(r, N_OF(REASONS))]);
    c->u.rules.rules = keep_buf(r, &r->enc);
}

/* A template: mostly a new small one (1-3 days around the clock, 1-3
 * segments), else one imported before, as it was (nothing changes) or
 * with one field changed (its existing pools conflict). remember: keep it
 * for later re-imports. */
static void gen_template(struct run *r, struct slot_template *t, bool remember)
{
    static const uint64_t fees[] = {0, 1000, 5000};
    static const struct {
        const char *name;
        uint16_t permille;
    } shares[] = {{"app", 300},    {"online", 700}, {"114", 300},
                  {"window", 200}, {"hall", 100},   {"wechat", 500}};
    uint32_t n_old = r->n_tpl < TPL_HISTORY ? r->n_tpl : TPL_HISTORY;
    if (n_old > 0 && chance(r, 40)) {
        *t = r->tpl[rnd(r, n_old)];
        if (chance(r, 35)) {
            switch (rnd(r, 4)) {
                case 0:
                    t->fee_cents += 100;
                    break;
                case 1:
                    t->kind = (uint8_t)((t->kind + 1) % (SLOT_KIND_MAX + 1));
                    break;
                case 2:
                    t->sched.pay_mode ^= 1;
                    break;
                default:
                    t->sched.visit_slot_ms =
                        t->sched.visit_slot_ms != 0 ? 0 : 600000;
            }
        }
        return;
    }
    memset(t, 0, sizeof *t);
    uint32_t hi = pick_hospital(r);
    int16_t off = hospital_offset(r, hi);
    t->id_prefix = sstr(PREFIXES[rnd(r, N_OF(PREFIXES))]);
    t->sched.hospital = sstr(HOSPITALS[hi]);
    t->sched.campus = sstr(CAMPUSES[rnd(r, N_OF(CAMPUSES))]);
    t->sched.department = sstr(DEPTS[rnd(r, N_OF(DEPTS))]);
    t->sched.doctor = sstr(DOCTORS[rnd(r, N_OF(DOCTORS))]);
    t->kind = (uint8_t)(chance(r, 60) ? 0 : rnd(r, SLOT_KIND_MAX + 1));
    t->fee_cents = fees[rnd(r, 3)];
    t->sched.pay_mode = (uint8_t)rnd(r, 2);
    t->sched.visit_slot_ms = chance(r, 80) ? 0 : 600000;
    uint32_t sum = 0, want = rnd(r, 3);
    for (uint32_t tries = 0; tries < 6 && t->n_shares < want; tries++) {
        uint32_t k = rnd(r, N_OF(shares));
        const char *name = n_channels(r->pf) > N_CHANNELS && chance(r, 50)
                               ? channel_name(pick_channel(r))
                               : shares[k].name;
        bool dup = false;
        for (uint32_t i = 0; i < t->n_shares; i++) {
            dup = dup || str_is(t->shares[i].name, name);
        }
        if (!dup && sum + shares[k].permille <= 1000) {
            t->shares[t->n_shares].name = sstr(name);
            t->shares[t->n_shares].permille = shares[k].permille;
            t->n_shares++;
            sum += shares[k].permille;
        }
    }
    if (chance(r, 25)) {
        t->sched.n_eligible =
            pick_names(r, LIST_NAMES, N_OF(LIST_NAMES), 2, t->sched.eligible);
    }
    if (chance(r, 30)) {
        t->sched.n_rem_allow =
            pick_names(r, LIST_NAMES, N_OF(LIST_NAMES), 1, t->sched.rem_allow);
    }
    uint32_t days[3], n_days = 1 + rnd(r, 3);
    days[0] = slot_local_day(r->clock_ms, off) + rnd(r, 8) - 1;
    for (uint32_t i = 1; i < n_days; i++) {
        days[i] = days[i - 1] + 1 + rnd(r, 2);
    }
    struct slot_segment segs[3];
    uint32_t n_segs = 0, from = 0, want_segs = 1 + rnd(r, 3);
    for (uint32_t i = 0; i < want_segs && from < N_OF(SEG_MENU); i++) {
        uint32_t k = from + rnd(r, (N_OF(SEG_MENU) - from + 1) / 2);
        segs[n_segs].start_minute = SEG_MENU[k][0];
        segs[n_segs].end_minute = SEG_MENU[k][1];
        segs[n_segs].capacity = 1 + rnd(r, 5);
        n_segs++;
        from = k + 1;
    }
    mp_buf_reset(&r->enc);
    slot_days_pack(&r->enc, days, n_days);
    t->days = keep_buf(r, &r->enc);
    t->n_days = n_days;
    mp_buf_reset(&r->enc);
    slot_segments_pack(&r->enc, segs, n_segs);
    t->segments = keep_buf(r, &r->enc);
    t->n_segments = n_segs;
    if (remember) {
        r->tpl[r->n_tpl++ % TPL_HISTORY] = *t;
    }
}

/* A step of hours or days, so date rules and flow-back are crossed: to
 * the next flow-back due time (or just before it), a day on, some hours
 * on, or to (just before) a minute of the day the rules name. */
static void day_step(struct run *r)
{
    static const uint16_t minutes[] = {540, 555, 900, 1020, 420, 600};
    if (r->pf->patient_pct > 0 && chance(r, 8)) {
        /* into another month: quotas' and blacklists' windows pass */
        r->clock_ms += (uint64_t)(20 + rnd(r, 15)) * SLOT_MS_PER_DAY;
        return;
    }
    uint32_t how = rnd(r, 4);
    uint64_t next = refmodel_next_sweep_ms(r->m);
    if (how == 0 && next != UINT64_MAX && next > r->clock_ms) {
        r->clock_ms = next - (chance(r, 30) ? 1 : 0);
    } else if (how == 1) {
        r->clock_ms += 86400000ull - 600000 + rnd(r, 1200000);
    } else if (how == 2) {
        r->clock_ms += rnd(r, 6 * 3600000);
    } else {
        int16_t off = hospital_offset(r, rnd(r, N_RULED));
        uint32_t today = slot_local_day(r->clock_ms, off);
        uint64_t at = slot_utc_ms_of(today, minutes[rnd(r, 6)], off);
        if (at <= r->clock_ms) {
            at += SLOT_MS_PER_DAY;
        }
        r->clock_ms = at - (chance(r, 40) ? 1 + rnd(r, 2) : 0);
    }
}

/* A pool id to create (mostly a new one) or update (mostly an existing
 * one); the other choice yields POOL_EXISTS / UNKNOWN_POOL. */
static struct slot_str pick_spec_pool(struct run *r, bool update)
{
    if (!update && r->pf->patient_pct > 0 && chance(r, 60)) {
        char id[16]; /* a new pool: the clock moves on by days */
        snprintf(id, sizeof id, "pt-%" PRIu32, r->fresh_pools++);
        return sstr(keep(r, id, strlen(id)));
    }
    if (update && r->pf->sched_pct > 0 && chance(r, 30)) {
        return pick_model_pool(r);
    }
    struct slot_str pool = pick_pool(r, !update);
    for (int tries = 0;
         tries < 3 && pool_exists(r, pool) != update && chance(r, 80);
         tries++) {
        pool = pick_pool(r, !update);
    }
    return pool;
}

static void gen_spec(struct run *r, struct slot_pool_spec *p, bool update)
{
    p->pool = pick_spec_pool(r, update);
    p->capacity =
        1 + rnd(r, r->pf->capacity_max != 0 ? r->pf->capacity_max : 6);
    p->kind = (uint8_t)rnd(r, SLOT_KIND_MAX + 1);
    p->fee_cents = chance(r, 30) ? 0 : 100 * (uint64_t)(1 + rnd(r, 500));
    if (chance(r, 50)) {
        p->seg_start_ms = rnd(r, 1000000);
        p->seg_end_ms = p->seg_start_ms + 1 + rnd(r, 1000000);
    }
    uint32_t w = rnd(r, 10);
    if (w < 6) {
        p->release_at_ms = 0;
    } else if (w < 8) {
        p->release_at_ms = r->clock_ms - rnd(r, 1000);
    } else {
        p->release_at_ms = r->clock_ms + 1 + rnd(r, 3000);
    }
    p->has_sched = chance(r, r->pf->sched_pct);
    if (p->has_sched) {
        gen_sched(r, p);
    } else if (update) {
        /* An update without schedule fields keeps a scheduled pool's
         * place, and must keep a segment (ledger.h): mostly its own,
         * sometimes none (INVALID_ARGUMENT). */
        struct slot_pool_status st;
        if (refmodel_read_pool(r->m, p->pool, &st) == SLOT_OK && st.has_place) {
            bool none = chance(r, 10);
            p->seg_start_ms = none ? 0 : st.seg_start_ms;
            p->seg_end_ms = none ? 0 : st.seg_end_ms;
        }
    }
    /* Shares: a few distinct channels (and, for a scheduled pool, groups)
     * in random order, each 1..what is left, so the sum never exceeds the
     * capacity. */
    const char *cand[4];
    uint32_t n_cand = 0;
    for (int tries = 0; tries < 8 && n_cand < 4; tries++) {
        const char *ch = p->has_sched
                             ? pick_name(r, SHARE_NAMES, N_OF(SHARE_NAMES))
                             : channel_name(pick_channel(r));
        bool dup = false;
        for (uint32_t i = 0; i < n_cand; i++) {
            dup = dup || strcmp(cand[i], ch) == 0;
        }
        if (!dup) {
            cand[n_cand++] = ch;
        }
    }
    uint32_t sum = 0;
    p->n_shares = 0;
    for (uint32_t i = 0; i < n_cand; i++) {
        if (sum < p->capacity && chance(r, p->has_sched ? 55 : 40)) {
            uint32_t slots = 1 + rnd(r, p->capacity - sum);
            p->shares[p->n_shares].channel = sstr(cand[i]);
            p->shares[p->n_shares].slots = slots;
            p->n_shares++;
            sum += slots;
        }
    }
}

/* The money case's POOL_UPDATE: a booked claim's pool as it is (no
 * schedule fields: it keeps its place and its segment; shares as they
 * are now) with another fee, so a cancel or refund afterwards must give
 * back the fee paid, not the pool's. False if no booking was found. */
static bool gen_fee_update(struct run *r, struct slot_pool_spec *p)
{
    static const uint64_t fees[] = {0, 1000, 2500, 5000, 12000};
    static struct slot_claim cl;
    static struct slot_pool_status st;
    uint64_t id = pick_claim(r, SLOT_CLAIM_BOOKED);
    if (refmodel_read_claim(r->m, id, false, &cl) != SLOT_OK ||
        cl.state != SLOT_CLAIM_BOOKED ||
        refmodel_read_pool(r->m, sstr(cl.pool), &st) != SLOT_OK) {
        return false;
    }
    memset(p, 0, sizeof *p);
    p->pool = sstr(keep(r, st.pool, strlen(st.pool)));
    p->capacity = st.capacity;
    p->kind = st.kind;
    p->fee_cents = fees[rnd(r, N_OF(fees))];
    p->seg_start_ms = st.seg_start_ms;
    p->seg_end_ms = st.seg_end_ms;
    p->n_shares = 0;
    for (uint32_t i = 0; i < st.n_shares; i++) {
        const char *ch = st.shares[i].channel;
        if (st.shares[i].capacity == 0) {
            continue; /* emptied by a flow-back: a spec's share has slots */
        }
        p->shares[p->n_shares].channel = sstr(keep(r, ch, strlen(ch)));
        p->shares[p->n_shares].slots = st.shares[i].capacity;
        p->n_shares++;
    }
    return true;
}

/* TTLs mostly inside the configured bounds, sometimes just or far out. */
static uint32_t gen_ttl(struct run *r)
{
    struct slot_config c = refmodel_config(r->m);
    if (chance(r, r->pf->ttl0_pct)) {
        return 0; /* the rules' payment window */
    }
    uint32_t w = rnd(r, 100);
    if (w < 5) {
        return c.hold_ttl_min_ms - 1 - rnd(r, c.hold_ttl_min_ms);
    }
    if (w < 10) {
        return chance(r, 80) ? c.hold_ttl_max_ms + 1 : UINT32_MAX;
    }
    if (w < 14) {
        return w < 12 ? c.hold_ttl_min_ms : c.hold_ttl_max_ms; /* edges */
    }
    uint32_t span = c.hold_ttl_max_ms - c.hold_ttl_min_ms;
    if (span > r->pf->ttl_span_ms) {
        span = r->pf->ttl_span_ms;
    }
    return c.hold_ttl_min_ms + rnd(r, span + 1);
}

/* The account the model has the patient bound to ("" none), as one of
 * the universe's strings (commands keep pointers). */
static const char *account_of(struct run *r, const char *patient)
{
    static struct slot_patient_info info;
    info.claims = NULL;
    info.claims_cap = 0;
    refmodel_read_patient_info(r->m, sstr(patient), &info);
    for (uint32_t i = 0; i < N_OF(ACCOUNTS); i++) {
        if (strcmp(info.account, ACCOUNTS[i]) == 0) {
            return ACCOUNTS[i];
        }
    }
    return "";
}

/* An account for a command about the patient: none, the patient's, or
 * any (mostly not the patient's). */
static struct slot_str pick_account(struct run *r, const char *patient)
{
    uint32_t w = rnd(r, 10);
    if (w < 4) {
        return sstr("");
    }
    if (w < 8) {
        return sstr(account_of(r, patient));
    }
    return sstr(ACCOUNTS[rnd(r, N_OF(ACCOUNTS))]);
}

/* Who asks for a CONFIRM / RELEASE / CANCEL (protocol 3): an
 * administrator (""), the claim's own channel, or another one; with an
 * account or not. Only in the profiles with patient rules: the others
 * keep their command streams. */
static void pick_caller(struct run *r, struct slot_cmd *c)
{
    if (r->pf->patient_pct == 0) {
        return;
    }
    struct slot_claim cl;
    bool known =
        refmodel_read_claim(r->m, c->u.claim.id, false, &cl) == SLOT_OK;
    uint32_t w = rnd(r, 10);
    c->u.claim.caller = sstr(CALLERS[rnd(r, N_OF(CALLERS))]);
    if (w < 3) {
        c->u.claim.caller = sstr("");
    } else if (w < 7 && known) {
        c->u.claim.caller = sstr(keep(r, cl.channel, strlen(cl.channel)));
    }
    c->u.claim.account = pick_account(r, known ? cl.patient : patient_name(0));
}

/* The hospital, patient, operator and reason of VIOLATION / UNBLOCK /
 * EXCEPTION. */
static const char *pool_with_waiters(struct run *r, bool longest);

/* The waitlist profile: often a patient near the head of a waitlist, at
 * its pool's hospital (a violation or an exception then decides whether
 * the next cancel there offers to it). */
static void staff_waiter(struct run *r, struct slot_cmd *c)
{
    static struct slot_pool_status st;
    const char *id = pool_with_waiters(r, chance(r, 50));
    if (id == NULL || refmodel_read_pool(r->m, sstr(id), &st) != SLOT_OK ||
        !st.has_place) {
        return;
    }
    const char *patient = NULL, *channel = NULL;
    uint32_t len = refmodel_waiter(r->m, sstr(id), UINT32_MAX, NULL, NULL);
    refmodel_waiter(r->m, sstr(id), rnd(r, len < 3 ? len : 3), &patient,
                    &channel);
    c->u.staff.hospital =
        sstr(keep(r, st.place.hospital, strlen(st.place.hospital)));
    c->u.staff.patient = sstr(keep(r, patient, strlen(patient)));
}

static void gen_staff(struct run *r, struct slot_cmd *c)
{
    c->u.staff.hospital = sstr(HOSPITALS[pick_hospital(r)]);
    c->u.staff.patient = sstr(patient_name(rnd(r, n_patients(r->pf))));
    c->u.staff.operator_name = sstr(OPERATORS[rnd(r, N_OF(OPERATORS))]);
    c->u.staff.reason = sstr(REASONS[rnd(r, N_OF(REASONS))]);
    if (r->pf->wait_pct > 0 && chance(r, 50)) {
        staff_waiter(r, c);
    }
}

/* ---- the waitlist generators -------------------------------------------- */

/* A pool for WAITLIST_JOIN: mostly one of the newest with no free slot
 * and a booking (a CANCEL of which offers), not over yet; half the time
 * the one with the longest list, so that lists grow past the skip bound.
 * Else what a HOLD would pick. */
static struct slot_str pick_join_pool(struct run *r)
{
    uint32_t n = refmodel_pool_count(r->m);
    if (n > 0 && chance(r, r->pf->wait_pct)) {
        static struct slot_pool_status st;
        const char *full[24], *best = NULL;
        uint32_t n_full = 0, best_waiting = 0;
        bool booked = chance(r, 80);
        for (uint32_t k = 0; k < n && k < 24; k++) {
            const char *id = refmodel_pool_id(r->m, n - 1 - k);
            if (refmodel_read_pool(r->m, sstr(id), &st) != SLOT_OK ||
                st.state == SLOT_PSTATE_CLOSED || st.free > 0 ||
                (booked && st.booked == 0) ||
                (st.seg_end_ms != 0 && st.seg_end_ms <= r->clock_ms)) {
                continue;
            }
            full[n_full++] = id;
            if (best == NULL || st.waiting > best_waiting) {
                best = id;
                best_waiting = st.waiting;
            }
        }
        if (n_full > 0) {
            const char *id = chance(r, 50) ? best : full[rnd(r, n_full)];
            return sstr(keep(r, id, strlen(id)));
        }
    }
    return pick_open_pool(r);
}

/* One of the newest pools with waiters (NULL if none); the one with the
 * longest list when longest. */
static const char *pool_with_waiters(struct run *r, bool longest)
{
    uint32_t n = refmodel_pool_count(r->m);
    const char *found[32];
    uint32_t n_found = 0, most = 0;
    const char *best = NULL;
    for (uint32_t k = 0; k < n && k < 32; k++) {
        const char *id = refmodel_pool_id(r->m, n - 1 - k);
        uint32_t len = refmodel_waiter(r->m, sstr(id), UINT32_MAX, NULL, NULL);
        if (len > 0) {
            found[n_found++] = id;
            if (len > most) {
                most = len;
                best = id;
            }
        }
    }
    if (n_found == 0) {
        return NULL;
    }
    return longest ? best : found[rnd(r, n_found)];
}

/* WAITLIST_LEAVE: mostly a waiter of a pool with waiters, asked by an
 * administrator, the entry's channel or another one, with an account or
 * not. */
static void gen_leave(struct run *r, struct slot_cmd *c)
{
    const char *id = chance(r, 85) ? pool_with_waiters(r, false) : NULL;
    c->u.wait.pool =
        id != NULL ? sstr(keep(r, id, strlen(id))) : pick_open_pool(r);
    const char *patient = patient_name(rnd(r, n_patients(r->pf)));
    const char *channel = NULL;
    uint32_t len =
        refmodel_waiter(r->m, c->u.wait.pool, UINT32_MAX, NULL, NULL);
    if (len > 0 && chance(r, 80)) {
        refmodel_waiter(r->m, c->u.wait.pool, rnd(r, len), &patient, &channel);
        patient = keep(r, patient, strlen(patient));
        channel = keep(r, channel, strlen(channel));
    }
    c->u.wait.patient = sstr(patient);
    uint32_t w = rnd(r, 10);
    c->u.wait.channel = sstr(CALLERS[rnd(r, N_OF(CALLERS))]);
    if (w < 3) {
        c->u.wait.channel = sstr("");
    } else if (w < 7 && channel != NULL) {
        c->u.wait.channel = sstr(channel);
    }
    c->u.wait.account = pick_account(r, patient);
}

/* A booking to CANCEL whose pool has waiters (the longest list among
 * the newest claims), or 0. over: only pools whose segment is over, where
 * every waiter is refused BOOKING_CLOSED (the skip bound). */
static uint64_t pick_waited_booking(struct run *r, bool over)
{
    static struct slot_claim cl;
    static struct slot_pool_status st;
    uint64_t last = refmodel_last_claim_id(r->m), best = 0;
    uint32_t most = 0;
    for (uint64_t id = last; id >= 1 && last - id < 256; id--) {
        if (refmodel_read_claim(r->m, id, false, &cl) != SLOT_OK ||
            cl.state != SLOT_CLAIM_BOOKED) {
            continue;
        }
        uint32_t len =
            refmodel_waiter(r->m, sstr(cl.pool), UINT32_MAX, NULL, NULL);
        if (over && (refmodel_read_pool(r->m, sstr(cl.pool), &st) != SLOT_OK ||
                     !st.has_place || st.seg_end_ms > r->clock_ms)) {
            continue;
        }
        if (len > most || (len > 0 && len == most && chance(r, 30))) {
            most = len;
            best = id;
        }
    }
    return best;
}

/* ---- the visit-day generators ------------------------------------------- */

static bool visit_fits(struct run *r, const struct slot_claim *c,
                       enum visit_want w)
{
    uint64_t open, close;
    switch (w) {
        case W_STOPPED_BOOKING: /* a no-show is final: not one of them */
            return c->state == SLOT_CLAIM_BOOKED && c->affected &&
                   c->attendance != SLOT_ATTEND_NO_SHOW;
        case W_UNPAID_OPEN:
        case W_PENDING_OPEN:
            if (w == W_UNPAID_OPEN && c->paid) {
                return false;
            }
            return c->state == SLOT_CLAIM_BOOKED && !c->affected &&
                   c->attendance == SLOT_ATTEND_PENDING &&
                   refmodel_checkin_window(r->m, sstr(c->pool), &open,
                                           &close) &&
                   open <= r->clock_ms && r->clock_ms < close;
        case W_PENDING:
            return c->state == SLOT_CLAIM_BOOKED && !c->affected &&
                   c->attendance == SLOT_ATTEND_PENDING;
        case W_CHECKED_IN:
            return c->state == SLOT_CLAIM_BOOKED &&
                   c->attendance == SLOT_ATTEND_CHECKED_IN;
        case W_NO_SHOW:
            return c->state == SLOT_CLAIM_BOOKED &&
                   c->attendance == SLOT_ATTEND_NO_SHOW;
        case W_MOVED:
            return c->state == SLOT_CLAIM_MOVED;
        default:
            return c->state == SLOT_CLAIM_HELD && c->affected &&
                   c->deadline_ms > r->clock_ms;
    }
}

/* One of the newest claims (the last 160) that fits w, or 0. */
static uint64_t pick_visit_claim(struct run *r, enum visit_want w)
{
    static struct slot_claim c;
    uint64_t found[16];
    uint32_t n = 0;
    uint64_t last = refmodel_last_claim_id(r->m);
    for (uint64_t id = last; id >= 1 && last - id < 160 && n < 16; id--) {
        if (refmodel_read_claim(r->m, id, false, &c) == SLOT_OK &&
            visit_fits(r, &c, w)) {
            found[n++] = id;
        }
    }
    return n > 0 ? found[rnd(r, n)] : 0;
}

/* POOL_STOP: mostly one of the newest pools with holds or bookings that
 * is not stopped yet; else any pool (maybe stopped: POOL_STOPPED), or
 * one that does not exist. */
static struct slot_str pick_stop_pool(struct run *r)
{
    static struct slot_pool_status st;
    uint32_t n = refmodel_pool_count(r->m);
    if (n > 0 && chance(r, 75)) {
        for (int tries = 0; tries < 10; tries++) {
            const char *id =
                refmodel_pool_id(r->m, n - 1 - rnd(r, n < 16 ? n : 16));
            if (refmodel_read_pool(r->m, sstr(id), &st) == SLOT_OK &&
                st.state != SLOT_PSTATE_STOPPED &&
                (tries < 5 ? st.booked > 0 && st.seg_end_ms > r->clock_ms
                           : st.held + st.booked > 0)) {
                return sstr(keep(r, id, strlen(id)));
            }
        }
    }
    return chance(r, 90) ? pick_model_pool(r) : sstr("ghost");
}

/* MOVE's target for a booking of pool `from`: mostly a pool of the same
 * hospital, department and kind that is not stopped and not over; else
 * any pool, the booking's own, or one that does not exist. */
static struct slot_str pick_move_target(struct run *r, const char *from,
                                        const char *patient)
{
    static struct slot_pool_status src, st;
    uint32_t n = refmodel_pool_count(r->m);
    uint32_t w = rnd(r, 100);
    bool own = chance(r, 25); /* PATIENT_HAS_CLAIM */
    if (w < 70 && refmodel_read_pool(r->m, sstr(from), &src) == SLOT_OK &&
        src.has_place) {
        const char *fit[32];
        uint32_t n_fit = 0;
        for (uint32_t k = 0; k < n && k < 48 && n_fit < 32; k++) {
            const char *id = refmodel_pool_id(r->m, n - 1 - k);
            if (strcmp(id, from) != 0 &&
                refmodel_read_pool(r->m, sstr(id), &st) == SLOT_OK &&
                st.has_place && st.kind == src.kind &&
                strcmp(st.place.hospital, src.place.hospital) == 0 &&
                strcmp(st.place.department, src.place.department) == 0 &&
                (chance(r, 10) || (st.state != SLOT_PSTATE_STOPPED &&
                                   st.seg_end_ms > r->clock_ms))) {
                struct slot_claim mine[1];
                uint32_t k_mine = 0;
                if (own) {
                    refmodel_read_patient(r->m, sstr(id), sstr(patient), mine,
                                          1, &k_mine);
                    if (k_mine > 0) {
                        return sstr(keep(r, id, strlen(id)));
                    }
                }
                fit[n_fit++] = id;
            }
        }
        if (n_fit > 0) {
            const char *id = fit[rnd(r, n_fit)];
            return sstr(keep(r, id, strlen(id)));
        }
    }
    if (w < 80) {
        return sstr(keep(r, from, strlen(from)));
    }
    return chance(r, 85) ? pick_model_pool(r) : sstr("ghost");
}

/* A stopped clinic's booking whose patient holds or booked a clinic it
 * could move to (PATIENT_HAS_CLAIM): its id and that pool, or 0. */
static uint64_t pick_move_own(struct run *r, struct slot_str *to)
{
    static struct slot_claim c, mine[1];
    static struct slot_pool_status src, st;
    uint64_t last = refmodel_last_claim_id(r->m);
    uint32_t n = refmodel_pool_count(r->m);
    for (uint64_t id = last; id >= 1 && last - id < 160; id--) {
        if (refmodel_read_claim(r->m, id, false, &c) != SLOT_OK ||
            !visit_fits(r, &c, W_STOPPED_BOOKING) ||
            refmodel_read_pool(r->m, sstr(c.pool), &src) != SLOT_OK) {
            continue;
        }
        for (uint32_t k = 0; k < n && k < 48; k++) {
            const char *pid = refmodel_pool_id(r->m, n - 1 - k);
            uint32_t k_mine = 0;
            if (refmodel_read_pool(r->m, sstr(pid), &st) == SLOT_OK &&
                st.has_place && st.kind == src.kind &&
                strcmp(pid, c.pool) != 0 &&
                strcmp(st.place.hospital, src.place.hospital) == 0 &&
                strcmp(st.place.department, src.place.department) == 0 &&
                refmodel_read_patient(r->m, sstr(pid), sstr(c.patient), mine, 1,
                                      &k_mine) == SLOT_OK &&
                k_mine > 0) {
                *to = sstr(keep(r, pid, strlen(pid)));
                return id;
            }
        }
    }
    return 0;
}

/* A stopped clinic's booking whose patient has a hold past its deadline,
 * not expired yet, in a clinic it could move to (MOVE expires it first):
 * its id and that pool, or 0. */
static uint64_t pick_move_due(struct run *r, struct slot_str *to)
{
    static struct slot_claim o, c;
    static struct slot_pool_status src, st;
    uint64_t last = refmodel_last_claim_id(r->m);
    for (uint64_t h = last; h >= 1 && last - h < 160; h--) {
        if (refmodel_read_claim(r->m, h, false, &o) != SLOT_OK ||
            o.state != SLOT_CLAIM_EXPIRED || o.resolved_at_ms != 0 ||
            refmodel_read_pool(r->m, sstr(o.pool), &st) != SLOT_OK ||
            !st.has_place) {
            continue;
        }
        for (uint64_t id = last; id >= 1 && last - id < 160; id--) {
            if (refmodel_read_claim(r->m, id, false, &c) == SLOT_OK &&
                visit_fits(r, &c, W_STOPPED_BOOKING) &&
                strcmp(c.patient, o.patient) == 0 &&
                strcmp(c.pool, o.pool) != 0 &&
                refmodel_read_pool(r->m, sstr(c.pool), &src) == SLOT_OK &&
                src.has_place && src.kind == st.kind &&
                strcmp(st.place.hospital, src.place.hospital) == 0 &&
                strcmp(st.place.department, src.place.department) == 0) {
                *to = sstr(keep(r, o.pool, strlen(o.pool)));
                return id;
            }
        }
    }
    return 0;
}

static void gen_move(struct run *r, struct slot_cmd *c)
{
    static struct slot_claim cl;
    c->op = SLOT_OP_MOVE;
    if (chance(r, 30)) {
        c->u.claim.id = chance(r, 40) ? pick_move_due(r, &c->u.claim.pool) : 0;
        if (c->u.claim.id == 0) {
            c->u.claim.id = pick_move_own(r, &c->u.claim.pool);
        }
        if (c->u.claim.id != 0) {
            pick_caller(r, c);
            return;
        }
    }
    uint32_t w = rnd(r, 100);
    c->u.claim.id = w < 66   ? pick_visit_claim(r, W_STOPPED_BOOKING)
                    : w < 73 ? pick_visit_claim(r, W_MOVED)
                    : w < 80 ? pick_visit_claim(r, W_NO_SHOW)
                    : w < 90 ? pick_visit_claim(r, W_PENDING)
                             : 0;
    if (c->u.claim.id == 0) {
        c->u.claim.id =
            pick_claim(r, chance(r, 70) ? SLOT_CLAIM_BOOKED : SLOT_CLAIM_HELD);
    }
    const char *from = "p0", *patient = "";
    if (refmodel_read_claim(r->m, c->u.claim.id, false, &cl) == SLOT_OK) {
        from = keep(r, cl.pool, strlen(cl.pool));
        patient = keep(r, cl.patient, strlen(cl.patient));
    }
    c->u.claim.pool = pick_move_target(r, from, patient);
    pick_caller(r, c);
}

/* A pay method for a CONFIRM or CHECKIN given ref: none without a
 * reference (the decoder refuses a method alone), else one of the usual
 * few or "", and in the money case often one of many (the table fills). */
static struct slot_str pick_method(struct run *r, struct slot_str ref)
{
    if (ref.len == 0) {
        return sstr("");
    }
    uint64_t x = split_mix(&r->rng3);
    if (r->pf->money_pct > 0 && x % 100 < 75) {
        return sstr(many_methods[(x >> 8) % MANY_METHODS]);
    }
    return sstr(PAY_METHODS[(x >> 8) % N_OF(PAY_METHODS)]);
}

static void gen_checkin(struct run *r, struct slot_cmd *c)
{
    static struct slot_claim cl;
    static const enum visit_want wants[] = {
        W_PENDING_OPEN, W_PENDING_OPEN, W_PENDING_OPEN,    W_PENDING, W_PENDING,
        W_CHECKED_IN,   W_NO_SHOW,      W_STOPPED_BOOKING, W_MOVED};
    c->op = SLOT_OP_CHECKIN;
    /* the money case: often an unpaid booking, paid at the check-in */
    bool pay = r->pf->money_pct > 0 && chance(r, 50);
    c->u.claim.id =
        pick_visit_claim(r, pay ? W_UNPAID_OPEN : wants[rnd(r, N_OF(wants))]);
    if (c->u.claim.id == 0 || chance(r, 8)) {
        c->u.claim.id = pick_claim(r, chance(r, 60)   ? SLOT_CLAIM_BOOKED
                                      : chance(r, 50) ? SLOT_CLAIM_CANCELLED
                                                      : SLOT_CLAIM_HELD);
    }
    const char *patient = patient_name(rnd(r, n_patients(r->pf)));
    if (refmodel_read_claim(r->m, c->u.claim.id, false, &cl) == SLOT_OK &&
        chance(r, 85)) {
        patient = keep(r, cl.patient, strlen(cl.patient));
    }
    c->u.claim.patient = sstr(patient);
    c->u.claim.payment_ref = chance(r, pay ? 15 : 50)
                                 ? sstr("")
                                 : sstr(PAYMENT_REFS[rnd(r, N_PAYMENT_REFS)]);
    c->u.claim.pay_method = pick_method(r, c->u.claim.payment_ref);
}

/* A CANCEL of the visit profile: a stopped clinic's booking (a refund),
 * a checked-in or no-show one, a moved one. */
static uint64_t pick_visit_cancel(struct run *r)
{
    static const enum visit_want wants[] = {
        W_STOPPED_BOOKING, W_STOPPED_BOOKING, W_CHECKED_IN, W_NO_SHOW, W_MOVED};
    return pick_visit_claim(r, wants[rnd(r, N_OF(wants))]);
}

/* The op-specific part of a session command of kind k. */
static void gen_body(struct run *r, struct slot_cmd *c, enum kind k)
{
    switch (k) {
        case K_CONFIG:
            c->op = SLOT_OP_CONFIG;
            gen_config(r, &c->u.config);
            break;
        case K_CREATE:
            c->op = SLOT_OP_POOL_CREATE;
            gen_spec(r, &c->u.pool, false);
            break;
        case K_UPDATE:
            c->op = SLOT_OP_POOL_UPDATE;
            if (r->pf->money_pct == 0 || chance(r, 30) ||
                !gen_fee_update(r, &c->u.pool)) {
                gen_spec(r, &c->u.pool, true);
            }
            break;
        case K_CLOSE:
            c->op = SLOT_OP_POOL_CLOSE;
            c->u.close.pool = r->pf->sched_pct > 0 && chance(r, 50)
                                  ? pick_model_pool(r)
                                  : pick_pool(r, false);
            break;
        case K_CONFIRM:
            c->op = SLOT_OP_CONFIRM;
            c->u.claim.id =
                r->pf->visit_pct > 0 && chance(r, 15)
                    ? pick_visit_claim(r,
                                       chance(r, 70) ? W_HELD_STOPPED : W_MOVED)
                    : 0;
            if (c->u.claim.id == 0) {
                c->u.claim.id = pick_claim(
                    r, chance(r, 80) ? SLOT_CLAIM_HELD : SLOT_CLAIM_EXPIRED);
            }
            c->u.claim.payment_ref =
                chance(r, r->pf->empty_ref_pct)
                    ? sstr("")
                    : sstr(PAYMENT_REFS[rnd(r, N_PAYMENT_REFS)]);
            c->u.claim.pay_method = pick_method(r, c->u.claim.payment_ref);
            pick_caller(r, c);
            break;
        case K_RULES:
            c->op = SLOT_OP_RULES_SET;
            gen_rules_cmd(r, c);
            break;
        case K_IMPORT:
            c->op = SLOT_OP_SCHEDULE_IMPORT;
            gen_template(r, &c->u.import, true);
            break;
        case K_RELEASE:
            c->op = SLOT_OP_RELEASE;
            c->u.claim.id = pick_claim(r, chance(r, 80) ? SLOT_CLAIM_HELD
                                                        : SLOT_CLAIM_EXPIRED);
            pick_caller(r, c);
            break;
        case K_CANCEL:
            c->op = SLOT_OP_CANCEL;
            c->u.claim.id = 0;
            bool over = false;
            if (r->pf->wait_pct > 0 && chance(r, r->pf->wait_pct / 3)) {
                over = chance(r, 50);
                c->u.claim.id = pick_waited_booking(r, over);
            }
            if (r->pf->visit_pct > 0 && chance(r, 40)) {
                c->u.claim.id = pick_visit_cancel(r);
            }
            if (c->u.claim.id == 0) {
                c->u.claim.id =
                    pick_claim(r, chance(r, 80) ? SLOT_CLAIM_BOOKED
                                                : SLOT_CLAIM_CANCELLED);
            }
            pick_caller(r, c);
            if (over && chance(r, 70)) {
                /* after the visit, the hospital's staff */
                c->u.claim.caller = sstr("");
            }
            break;
        case K_JOIN: {
            c->op = SLOT_OP_WAITLIST_JOIN;
            c->u.wait.pool = pick_join_pool(r);
            const char *patient = patient_name(rnd(r, n_patients(r->pf)));
            c->u.wait.patient = sstr(patient);
            c->u.wait.channel =
                sstr(pick_name(r, SCHED_CHANNELS, N_OF(SCHED_CHANNELS)));
            c->u.wait.account = pick_account(r, patient);
            break;
        }
        case K_LEAVE:
            c->op = SLOT_OP_WAITLIST_LEAVE;
            gen_leave(r, c);
            break;
        case K_STOP:
            c->op = SLOT_OP_POOL_STOP;
            c->u.stop.pool = pick_stop_pool(r);
            c->u.stop.operator_name = sstr(OPERATORS[rnd(r, N_OF(OPERATORS))]);
            c->u.stop.reason = sstr(REASONS[rnd(r, N_OF(REASONS))]);
            break;
        case K_MOVE:
            gen_move(r, c);
            break;
        case K_CHECKIN:
            gen_checkin(r, c);
            break;
        case K_BIND:
        case K_UNBIND: {
            c->op = k == K_BIND ? SLOT_OP_ACCOUNT_BIND : SLOT_OP_ACCOUNT_UNBIND;
            const char *patient = patient_name(rnd(r, n_patients(r->pf)));
            const char *mine = account_of(r, patient);
            c->u.bind.patient = sstr(patient);
            c->u.bind.account =
                sstr(k == K_UNBIND && mine[0] != '\0' && chance(r, 70)
                         ? mine
                         : ACCOUNTS[rnd(r, N_OF(ACCOUNTS))]);
            break;
        }
        case K_VIOLATION:
            c->op = SLOT_OP_VIOLATION;
            gen_staff(r, c);
            c->u.staff.kind = (uint8_t)(1 + rnd(r, SLOT_VIOLATION_OTHER));
            break;
        case K_UNBLOCK:
            c->op = SLOT_OP_UNBLOCK;
            gen_staff(r, c);
            break;
        case K_EXCEPTION:
            c->op = SLOT_OP_EXCEPTION;
            gen_staff(r, c);
            break;
        default:
            c->op = SLOT_OP_HOLD;
            c->u.hold.pool = pick_open_pool(r);
            c->u.hold.patient = sstr(patient_name(rnd(r, n_patients(r->pf))));
            c->u.hold.channel =
                r->pf->sched_pct > 0
                    ? sstr(pick_name(r, SCHED_CHANNELS, N_OF(SCHED_CHANNELS)))
                    : sstr(channel_name(pick_channel(r)));
            c->u.hold.ttl_ms = gen_ttl(r);
            if (r->pf->patient_pct > 0) {
                const char *pt = c->u.hold.patient.p; /* a universe string */
                c->u.hold.account = r->pf->visit_pct > 0 && chance(r, 60)
                                        ? sstr(account_of(r, pt))
                                        : pick_account(r, pt);
            }
            r->holds_in_batch++;
            break;
    }
}

static enum kind pick_kind(struct run *r)
{
    /* Keep the run alive: a world without sessions or pools tests little. */
    if (refmodel_sessions(r->m, NULL, 0) == 0 && chance(r, 70)) {
        return K_OPEN;
    }
    if (refmodel_pool_count(r->m) < 2 && chance(r, 30)) {
        return K_CREATE;
    }
    uint32_t total = 0;
    for (int k = 0; k < K_COUNT; k++) {
        total += r->pf->weight[k];
    }
    uint32_t x = rnd(r, total);
    for (int k = 0; k < K_COUNT; k++) {
        if (x < r->pf->weight[k]) {
            return (enum kind)k;
        }
        x -= r->pf->weight[k];
    }
    return K_HOLD;
}

static void remember(struct run *r, const struct slot_cmd *c)
{
    r->hist[r->n_hist % HISTORY] = *c;
    r->n_hist++;
}

/* Idempotency keys: a small universe, so keys are reused across sessions
 * with the same and with different commands. */
static const char *const IDEM_KEYS[] = {"k0", "k1", "k2", "k3", "k4", "k5"};
static const char *const IDEM_CHANNELS[] = {"app", "114"};

static struct slot_str lit(const char *s)
{
    struct slot_str x = {s, (uint32_t)strlen(s)};
    return x;
}

/* Wraps a channel mutation in IDEM now and then. */
static void maybe_idem(struct run *r, struct slot_cmd *c)
{
    bool wraps = (c->op >= SLOT_OP_POOL_CREATE && c->op <= SLOT_OP_CANCEL) ||
                 c->op == SLOT_OP_RULES_SET ||
                 c->op == SLOT_OP_SCHEDULE_IMPORT ||
                 (c->op >= SLOT_OP_ACCOUNT_BIND && c->op <= SLOT_OP_CHECKIN);
    if (!wraps || !chance(r, 15)) {
        return;
    }
    c->idem.channel = lit(IDEM_CHANNELS[rnd(r, 2)]);
    c->idem.key = lit(IDEM_KEYS[rnd(r, 6)]);
}

/* A remembered IDEM command resent on another session and seq, as another
 * gateway would: the ledger must answer the original result. */
static bool idem_replay(struct run *r, struct slot_cmd *c)
{
    uint32_t n = r->n_hist < HISTORY ? r->n_hist : HISTORY;
    for (uint32_t tries = 0; tries < 4 && n > 0; tries++) {
        const struct slot_cmd *old = &r->hist[rnd(r, n)];
        if (old->idem.key.len > 0) {
            *c = *old;
            c->session = pick_session(r);
            c->seq = pick_seq(r, c->session);
            return true;
        }
    }
    return false;
}

static void gen_cmd(struct run *r, struct slot_cmd *c)
{
    memset(c, 0, sizeof *c);
    enum kind k = r->burst ? K_RULES : pick_kind(r);
    if ((k == K_RETRY_SAME || k == K_RETRY_DIFF) && r->n_hist == 0) {
        k = K_HOLD;
    }
    if (k == K_OPEN) {
        c->op = SLOT_OP_SESSION_OPEN;
    } else if (k == K_EXPIRE || k == K_SWEEP) {
        /* the leader's proposals: anonymous */
        c->op = k == K_EXPIRE ? SLOT_OP_EXPIRE : SLOT_OP_SWEEP;
        c->u.expire.max = chance(r, r->pf->sweep_pct)
                              ? 1 + rnd(r, SLOT_EXPIRE_MAX)
                              : 1 + rnd(r, 3);
    } else if (k == K_RETRY_SAME) {
        uint32_t n = r->n_hist < HISTORY ? r->n_hist : HISTORY;
        *c = r->hist[rnd(r, n)];
        return; /* already sealed */
    } else if (k == K_RETRY_DIFF) {
        uint32_t n = r->n_hist < HISTORY ? r->n_hist : HISTORY;
        const struct slot_cmd *old = &r->hist[rnd(r, n)];
        uint64_t session = old->session, seq = old->seq;
        enum kind body;
        do {
            body = pick_kind(r);
        } while (body == K_OPEN || body == K_EXPIRE || body == K_SWEEP ||
                 body == K_RETRY_SAME || body == K_RETRY_DIFF);
        gen_body(r, c, body);
        c->session = session;
        c->seq = seq;
    } else if (!(chance(r, 5) && idem_replay(r, c))) {
        gen_body(r, c, k);
        maybe_idem(r, c);
        c->session = pick_session(r);
        c->seq = pick_seq(r, c->session);
    }
    seal(r, c);
    if (c->session != 0) {
        remember(r, c);
    }
}

/* To the end of the segment of the scheduled pool with the longest
 * waitlist and a booking (a little after it, so the booking is closed
 * for every waiter; the skip bound): nothing if there is none. */
static void wait_step(struct run *r)
{
    static struct slot_pool_status st;
    uint32_t n = refmodel_pool_count(r->m), most = 0;
    uint64_t to = 0;
    for (uint32_t k = 0; k < n && k < 32; k++) {
        const char *id = refmodel_pool_id(r->m, n - 1 - k);
        if (refmodel_read_pool(r->m, sstr(id), &st) == SLOT_OK &&
            st.has_place && st.booked > 0 && st.waiting > most &&
            st.seg_end_ms > r->clock_ms) {
            most = st.waiting;
            to = st.seg_end_ms;
        }
    }
    if (most > SLOT_WAITLIST_SKIP_MAX) {
        r->clock_ms = to + rnd(r, 60000);
    }
}

/* The visit profile: to (around) the opening or the close of check-in of
 * a pending booking's clinic, or to the next sweep (a no-show due), when
 * that is ahead of the clock and not days away. */
static void visit_step(struct run *r)
{
    static struct slot_claim c;
    uint64_t to = 0, open, close;
    if (chance(r, 50)) {
        to = refmodel_next_sweep_ms(r->m); /* a no-show due, mostly */
    } else {
        uint64_t id = pick_visit_claim(r, W_PENDING);
        if (id != 0 && refmodel_read_claim(r->m, id, false, &c) == SLOT_OK &&
            refmodel_checkin_window(r->m, sstr(c.pool), &open, &close)) {
            to = chance(r, 50) ? open : close;
        }
    }
    if (to == 0 || to == UINT64_MAX || to <= r->clock_ms ||
        to - r->clock_ms > 2 * SLOT_MS_PER_DAY) {
        return;
    }
    uint32_t w = rnd(r, 4);
    r->clock_ms = w == 0 ? to - 1 : w == 1 ? to : to + rnd(r, 60000);
}

/* The money case: to around the next local midnight of a Beijing or a
 * UTC-05:00 hospital, when it is less than a few hours ahead, so bookings
 * made on one local day are cancelled, checked in or moved on the next
 * (reconciliation rows of several days); rarely about
 * LEDGER_RECON_DAYS_KEPT days ahead, so the kept days move on. */
static void midnight_step(struct run *r)
{
    if (chance(r, 2)) {
        /* past the days the ledger keeps: the oldest rows go */
        r->clock_ms += (uint64_t)(LEDGER_RECON_DAYS_KEPT - 2 + rnd(r, 5)) *
                       SLOT_MS_PER_DAY;
        return;
    }
    int16_t off = hospital_offset(r, chance(r, 50) ? 0 : 2);
    uint64_t at = slot_utc_ms_of(slot_local_day(r->clock_ms, off) + 1, 0, off);
    if (at - r->clock_ms > 5 * 3600000ull) {
        return;
    }
    r->clock_ms = chance(r, 50) ? at - 1 - rnd(r, 120000) : at + rnd(r, 120000);
}

/* The stamp of the next batch. Mostly a small step; sometimes a jump to a
 * boundary that matters (a hold's deadline, a session's idle limit) or far
 * beyond; sometimes behind ledger time, which must not move it back. */
static uint64_t gen_stamp(struct run *r)
{
    uint32_t w = rnd(r, 100);
    if (w < r->pf->jump_pct) {
        struct slot_config c = refmodel_config(r->m);
        uint64_t next = refmodel_next_deadline_ms(r->m);
        uint32_t how = rnd(r, 4);
        if (how == 0 && next != UINT64_MAX && next > r->clock_ms) {
            r->clock_ms = next - (chance(r, 30) ? 1 : 0);
        } else if (how == 1 && c.session_idle_ms < 100000) {
            r->clock_ms += c.session_idle_ms - 1 + rnd(r, 3);
        } else if (how == 2 && c.retain_ms < 100000) {
            r->clock_ms += c.retain_ms + rnd(r, 2);
        } else {
            r->clock_ms += 1000 + rnd(r, 20000);
        }
    } else if (w < 80) {
        r->clock_ms += rnd(r, r->pf->dt_max_ms + 1);
    }
    if (chance(r, r->pf->day_pct)) {
        day_step(r);
    }
    if (r->pf->wait_pct > 0 && chance(r, 10)) {
        wait_step(r);
    }
    if (r->pf->visit_pct > 0 && chance(r, 15)) {
        visit_step(r);
    }
    if (r->pf->money_pct > 0 && chance(r, r->pf->money_pct)) {
        midnight_step(r);
    }
    if (chance(r, r->pf->back_pct)) {
        return r->clock_ms - rnd(r, 5000);
    }
    return r->clock_ms;
}

/* ---- comparing ----------------------------------------------------------- */

static void print_pool(const char *who, const struct slot_pool_status *s);
static void print_claim(const char *who, const struct slot_claim *c);

static void check_result(struct run *r, const struct slot_cmd *cmds, uint32_t n,
                         uint32_t i, const struct slot_result *lr,
                         const struct slot_result *mr)
{
    if (lr->code == mr->code && lr->a == mr->a && lr->b == mr->b &&
        lr->time_ms == mr->time_ms) {
        return;
    }
    char buf[512], lb[128], mb[128];
    for (uint32_t j = 0; j < n; j++) {
        fmt_cmd(&cmds[j], buf, sizeof buf);
        fprintf(stderr, "  %s[%" PRIu32 "] %s\n", j == i ? ">" : " ", j, buf);
    }
    fmt_cmd(&cmds[i], buf, sizeof buf);
    fmt_result(lr, lb, sizeof lb);
    fmt_result(mr, mb, sizeof mb);
    if (cmds[i].op == SLOT_OP_HOLD) {
        /* the pool as the batch left it, in both */
        struct slot_pool_status ls, ms;
        if (ledger_read_pool(r->l, cmds[i].u.hold.pool, &ls) == SLOT_OK &&
            refmodel_read_pool(r->m, cmds[i].u.hold.pool, &ms) == SLOT_OK) {
            print_pool("ledger", &ls);
            print_pool("model ", &ms);
        }
    }
    if (cmds[i].op == SLOT_OP_MOVE || cmds[i].op == SLOT_OP_CHECKIN ||
        cmds[i].op == SLOT_OP_CANCEL || cmds[i].op == SLOT_OP_CONFIRM) {
        /* the claim as the batch left it, in both */
        struct slot_claim lc, mc;
        if (ledger_read_claim(r->l, cmds[i].u.claim.id, false, &lc) ==
                SLOT_OK &&
            refmodel_read_claim(r->m, cmds[i].u.claim.id, false, &mc) ==
                SLOT_OK) {
            print_claim("ledger", &lc);
            print_claim("model ", &mc);
        }
    }
    fail(r, "batch command %" PRIu32 " %s\n  ledger: %s\n  model:  %s", i, buf,
         lb, mb);
}

/* The first differing field of two structs, or NULL: one line per field
 * so a new field is easy to add. */
#define DIFF_(f)                                                               \
    do {                                                                       \
        if (a->f != b->f) {                                                    \
            return #f;                                                         \
        }                                                                      \
    } while (0)

static const char *diff_bucket(const struct slot_bucket *a,
                               const struct slot_bucket *b)
{
    if (strcmp(a->channel, b->channel) != 0) {
        return "channel";
    }
    DIFF_(capacity);
    DIFF_(free);
    DIFF_(held);
    DIFF_(booked);
    DIFF_(cooling);
    return NULL;
}

static const char *diff_names(const char (*a)[SLOT_CHANNEL_MAX + 1],
                              const char (*b)[SLOT_CHANNEL_MAX + 1], uint32_t n)
{
    for (uint32_t i = 0; i < n && i < SLOT_POOL_NAMES_MAX; i++) {
        if (strcmp(a[i], b[i]) != 0) {
            return "a name";
        }
    }
    return NULL;
}

static const char *diff_place(const struct slot_place *a,
                              const struct slot_place *b)
{
    if (strcmp(a->hospital, b->hospital) != 0) {
        return "place.hospital";
    }
    if (strcmp(a->campus, b->campus) != 0) {
        return "place.campus";
    }
    if (strcmp(a->department, b->department) != 0) {
        return "place.department";
    }
    if (strcmp(a->doctor, b->doctor) != 0) {
        return "place.doctor";
    }
    DIFF_(visit_day);
    DIFF_(pay_mode);
    DIFF_(visit_slot_ms);
    DIFF_(n_eligible);
    if (diff_names(a->eligible, b->eligible, a->n_eligible) != NULL) {
        return "place.eligible";
    }
    DIFF_(n_rem_allow);
    if (diff_names(a->rem_allow, b->rem_allow, a->n_rem_allow) != NULL) {
        return "place.rem_allow";
    }
    DIFF_(flow_due_ms);
    DIFF_(flowed_back);
    return NULL;
}

static const char *diff_pool(const struct slot_pool_status *a,
                             const struct slot_pool_status *b)
{
    if (strcmp(a->pool, b->pool) != 0) {
        return "pool";
    }
    DIFF_(kind);
    DIFF_(state);
    DIFF_(capacity);
    DIFF_(free);
    DIFF_(held);
    DIFF_(booked);
    DIFF_(fee_cents);
    DIFF_(seg_start_ms);
    DIFF_(seg_end_ms);
    DIFF_(release_at_ms);
    DIFF_(next_visit_no);
    DIFF_(n_shares);
    for (uint32_t i = 0; i < a->n_shares && i < SLOT_POOL_SHARES_MAX; i++) {
        if (diff_bucket(&a->shares[i], &b->shares[i]) != NULL) {
            return "shares[]";
        }
    }
    if (diff_bucket(&a->remainder, &b->remainder) != NULL) {
        return "remainder";
    }
    DIFF_(cooling);
    DIFF_(waiting);
    DIFF_(has_place);
    return a->has_place ? diff_place(&a->place, &b->place) : NULL;
}

static const char *diff_claim(const struct slot_claim *a,
                              const struct slot_claim *b)
{
    DIFF_(id);
    DIFF_(state);
    DIFF_(held_at_ms);
    DIFF_(deadline_ms);
    DIFF_(booked_at_ms);
    DIFF_(resolved_at_ms);
    DIFF_(visit_no);
    if (strcmp(a->pool, b->pool) != 0) {
        return "pool";
    }
    if (strcmp(a->patient, b->patient) != 0) {
        return "patient";
    }
    if (strcmp(a->channel, b->channel) != 0) {
        return "channel";
    }
    if (strcmp(a->payment_ref, b->payment_ref) != 0) {
        return "payment_ref";
    }
    DIFF_(visit_start_ms);
    DIFF_(visit_end_ms);
    DIFF_(paid);
    DIFF_(attendance);
    DIFF_(checked_in_at_ms);
    DIFF_(moved_to);
    DIFF_(moved_from);
    DIFF_(refunded);
    DIFF_(affected);
    DIFF_(fee_paid_cents);
    if (strcmp(a->pay_method, b->pay_method) != 0) {
        return "pay_method";
    }
    return strcmp(a->bucket, b->bucket) != 0 ? "bucket" : NULL;
}

/* Everything but state_hash, which the model does not compute. */
static const char *diff_info(const struct slot_ledger_info *a,
                             const struct slot_ledger_info *b)
{
    DIFF_(time_ms);
    DIFF_(pools);
    DIFF_(patients);
    DIFF_(channels);
    DIFF_(sessions);
    DIFF_(holds_active);
    DIFF_(bookings_active);
    DIFF_(retained);
    DIFF_(config.hold_ttl_min_ms);
    DIFF_(config.hold_ttl_max_ms);
    DIFF_(config.session_max);
    DIFF_(config.session_idle_ms);
    DIFF_(config.retain_ms);
    DIFF_(config.retain_max);
    DIFF_(config.account_patients_max);
    DIFF_(config.account_changes_max);
    DIFF_(config.account_change_window_days);
    DIFF_(config.account_change_patients_max);
    DIFF_(config.patient_active_max);
    DIFF_(config.cooldown_key[0]);
    DIFF_(config.cooldown_key[1]);
    return NULL;
}

static const char *diff_standing(const struct slot_standing *a,
                                 const struct slot_standing *b)
{
    if (strcmp(a->hospital, b->hospital) != 0) {
        return "standing.hospital";
    }
    DIFF_(violations);
    DIFF_(threshold);
    DIFF_(warning);
    DIFF_(blacklisted_until_ms);
    DIFF_(exception);
    return NULL;
}

/* Everything; standings as a set (the caller sorts them). */
static const char *diff_patient_info(const struct slot_patient_info *a,
                                     const struct slot_patient_info *b)
{
    if (strcmp(a->patient, b->patient) != 0) {
        return "patient";
    }
    if (strcmp(a->account, b->account) != 0) {
        return "account";
    }
    DIFF_(n_claims);
    for (uint32_t i = 0; i < a->n_claims && i < a->claims_cap; i++) {
        if (diff_claim(&a->claims[i], &b->claims[i]) != NULL) {
            return "claims[]";
        }
    }
    DIFF_(n_violations);
    for (uint32_t i = 0; i < a->n_violations; i++) {
        DIFF_(violations[i].at_ms);
        DIFF_(violations[i].kind);
        if (strcmp(a->violations[i].hospital, b->violations[i].hospital) != 0) {
            return "violations[].hospital";
        }
    }
    DIFF_(n_standing);
    for (uint32_t i = 0; i < a->n_standing; i++) {
        const char *d = diff_standing(&a->standing[i], &b->standing[i]);
        if (d != NULL) {
            return d;
        }
    }
    DIFF_(n_cancels);
    for (uint32_t i = 0; i < a->n_cancels; i++) {
        DIFF_(cancels_ms[i]);
    }
    return NULL;
}

static const char *diff_account(const struct slot_account_info *a,
                                const struct slot_account_info *b)
{
    if (strcmp(a->account, b->account) != 0) {
        return "account";
    }
    DIFF_(n_patients);
    for (uint32_t i = 0; i < a->n_patients; i++) {
        if (strcmp(a->patients[i], b->patients[i]) != 0) {
            return "patients[]";
        }
    }
    DIFF_(n_changes);
    for (uint32_t i = 0; i < a->n_changes; i++) {
        DIFF_(changes[i].at_ms);
        DIFF_(changes[i].unbinds);
    }
    return NULL;
}

static const char *diff_staff(const struct slot_staff_entry *a,
                              const struct slot_staff_entry *b)
{
    DIFF_(seq);
    DIFF_(at_ms);
    DIFF_(op);
    DIFF_(kind);
    if (strcmp(a->hospital, b->hospital) != 0 ||
        strcmp(a->patient, b->patient) != 0) {
        return "hospital or patient";
    }
    if (strcmp(a->operator_name, b->operator_name) != 0 ||
        strcmp(a->reason, b->reason) != 0) {
        return "operator or reason";
    }
    return strcmp(a->pool, b->pool) != 0 ? "pool" : NULL;
}

/* The rule sets compare by their canonical encoding. */
static const char *diff_rules_info(const struct slot_rules_info *a,
                                   const struct slot_rules_info *b)
{
    static struct mp_buf x, y;
    static bool init;
    if (!init) {
        mp_buf_init(&x);
        mp_buf_init(&y);
        init = true;
    }
    DIFF_(inherited);
    DIFF_(version);
    if (strcmp(a->department, b->department) != 0) {
        return "department";
    }
    DIFF_(changed_at_ms);
    if (strcmp(a->operator_name, b->operator_name) != 0) {
        return "operator";
    }
    if (strcmp(a->reason, b->reason) != 0) {
        return "reason";
    }
    mp_buf_reset(&x);
    mp_buf_reset(&y);
    slot_rules_encode(&x, &a->rules);
    slot_rules_encode(&y, &b->rules);
    return x.len != y.len || memcmp(x.data, y.data, x.len) != 0 ? "rules"
                                                                : NULL;
}
#undef DIFF_

static void print_bucket(const char *who, const struct slot_bucket *b)
{
    fprintf(stderr,
            "    %s bucket '%s' cap=%" PRIu32 " free=%" PRIu32 " held=%" PRIu32
            " booked=%" PRIu32 " cooling=%" PRIu32 "\n",
            who, b->channel, b->capacity, b->free, b->held, b->booked,
            b->cooling);
}

static void print_pool(const char *who, const struct slot_pool_status *s)
{
    fprintf(stderr,
            "  %s: %s kind=%u state=%u cap=%" PRIu32 " free=%" PRIu32
            " held=%" PRIu32 " booked=%" PRIu32 " fee=%" PRIu64 " seg=%" PRIu64
            "-%" PRIu64 " rel=%" PRIu64 " next_visit=%" PRIu32
            " shares=%" PRIu32 " cooling=%" PRIu32 " waiting=%" PRIu32 "\n",
            who, s->pool, s->kind, s->state, s->capacity, s->free, s->held,
            s->booked, s->fee_cents, s->seg_start_ms, s->seg_end_ms,
            s->release_at_ms, s->next_visit_no, s->n_shares, s->cooling,
            s->waiting);
    for (uint32_t i = 0; i < s->n_shares && i < SLOT_POOL_SHARES_MAX; i++) {
        print_bucket(who, &s->shares[i]);
    }
    print_bucket(who, &s->remainder);
    if (s->has_place) {
        const struct slot_place *p = &s->place;
        fprintf(stderr,
                "    %s place %s/%s/%s/%s day=%" PRIu32 " pay=%u slot=%" PRIu32
                " elig=%" PRIu32 " rem=%" PRIu32 " flow_due=%" PRIu64
                " flowed=%u\n",
                who, p->hospital, p->campus, p->department, p->doctor,
                p->visit_day, p->pay_mode, p->visit_slot_ms, p->n_eligible,
                p->n_rem_allow, p->flow_due_ms, p->flowed_back);
    }
}

static void print_claim(const char *who, const struct slot_claim *c)
{
    fprintf(stderr,
            "  %s: id=%" PRIu64 " state=%u pool=%s patient=%s channel=%s "
            "held_at=%" PRIu64 " deadline=%" PRIu64 " booked_at=%" PRIu64
            " resolved_at=%" PRIu64 " visit=%" PRIu32 " ref=%s window=%" PRIu64
            "-%" PRIu64 " paid=%u bucket=%s attend=%u checked_in=%" PRIu64
            " moved_to=%" PRIu64 " moved_from=%" PRIu64
            " refunded=%u affected=%u method=%s fee_paid=%" PRIu64 "\n",
            who, c->id, c->state, c->pool, c->patient, c->channel,
            c->held_at_ms, c->deadline_ms, c->booked_at_ms, c->resolved_at_ms,
            c->visit_no, c->payment_ref, c->visit_start_ms, c->visit_end_ms,
            c->paid, c->bucket, c->attendance, c->checked_in_at_ms, c->moved_to,
            c->moved_from, c->refunded, c->affected, c->pay_method,
            c->fee_paid_cents);
}

static void compare_pool(struct run *r, struct slot_str pool)
{
    struct slot_pool_status ls, ms;
    memset(&ls, 0, sizeof ls);
    int lc = ledger_read_pool(r->l, pool, &ls);
    int mc = refmodel_read_pool(r->m, pool, &ms);
    const char *d = lc != mc        ? "code"
                    : lc == SLOT_OK ? diff_pool(&ls, &ms)
                                    : NULL;
    if (d != NULL) {
        if (lc == SLOT_OK && mc == SLOT_OK) {
            print_pool("ledger", &ls);
            print_pool("model ", &ms);
        }
        fail(r, "read pool %.*s: %s differs (ledger %s, model %s)",
             (int)pool.len, pool.p, d, code_name(lc), code_name(mc));
    }
}

static void compare_claim(struct run *r, uint64_t id, bool booking)
{
    struct slot_claim lc, mc;
    memset(&lc, 0, sizeof lc);
    int lrc = ledger_read_claim(r->l, id, booking, &lc);
    int mrc = refmodel_read_claim(r->m, id, booking, &mc);
    const char *d = lrc != mrc       ? "code"
                    : lrc == SLOT_OK ? diff_claim(&lc, &mc)
                                     : NULL;
    if (d != NULL) {
        if (lrc == SLOT_OK && mrc == SLOT_OK) {
            print_claim("ledger", &lc);
            print_claim("model ", &mc);
        }
        fail(r, "read %s %" PRIu64 ": %s differs (ledger %s, model %s)",
             booking ? "booking" : "hold", id, d, code_name(lrc),
             code_name(mrc));
    }
}

static void compare_patient(struct run *r, struct slot_str pool,
                            struct slot_str patient)
{
    struct slot_claim lc[4], mc[4];
    uint32_t ln = 0, mn = 0;
    memset(lc, 0, sizeof lc);
    int lrc = ledger_read_patient(r->l, pool, patient, lc, 4, &ln);
    int mrc = refmodel_read_patient(r->m, pool, patient, mc, 4, &mn);
    const char *d = lrc != mrc ? "code" : NULL;
    if (d == NULL && lrc == SLOT_OK) {
        d = ln != mn ? "count" : NULL;
        for (uint32_t i = 0; d == NULL && i < ln; i++) {
            d = diff_claim(&lc[i], &mc[i]);
        }
    }
    if (d != NULL) {
        for (uint32_t i = 0; lrc == SLOT_OK && i < ln && i < 4; i++) {
            print_claim("ledger", &lc[i]);
        }
        for (uint32_t i = 0; mrc == SLOT_OK && i < mn && i < 4; i++) {
            print_claim("model ", &mc[i]);
        }
        fail(r,
             "read patient %.*s in %.*s: %s differs (ledger %s n=%" PRIu32
             ", model %s n=%" PRIu32 ")",
             (int)patient.len, patient.p, (int)pool.len, pool.p, d,
             code_name(lrc), ln, code_name(mrc), mn);
    }
}

static void compare_pools(struct run *r, struct slot_str after, uint32_t limit)
{
    static struct slot_pool_status ls[POOLS_CAP], ms[POOLS_CAP];
    uint32_t ln = 0, mn = 0;
    if (limit > POOLS_CAP) { /* the first POOLS_CAP pools, then */
        limit = POOLS_CAP;
    }
    uint32_t most = refmodel_pool_count(r->m);
    memset(ls, 0, (most < limit ? most : limit) * sizeof ls[0]);
    int lrc = ledger_read_pools(r->l, after, limit, ls, &ln);
    int mrc = refmodel_read_pools(r->m, after, limit, ms, &mn);
    const char *d = lrc != mrc ? "code" : NULL;
    if (d == NULL && lrc == SLOT_OK) {
        d = ln != mn ? "count" : NULL;
        for (uint32_t i = 0; d == NULL && i < ln; i++) {
            d = diff_pool(&ls[i], &ms[i]);
        }
    }
    if (d != NULL) {
        for (uint32_t i = 0; lrc == SLOT_OK && mrc == SLOT_OK && i < ln &&
                             i < mn && diff_pool(&ls[i], &ms[i]) == NULL;
             i++) {
            if (i + 1 < ln && i + 1 < mn &&
                diff_pool(&ls[i + 1], &ms[i + 1]) != NULL) {
                print_pool("ledger", &ls[i + 1]);
                print_pool("model ", &ms[i + 1]);
            }
        }
        fail(r,
             "read pools after '%.*s' limit %" PRIu32
             ": %s differs (ledger %s n=%" PRIu32 ", model %s n=%" PRIu32 ")",
             (int)after.len, after.p, limit, d, code_name(lrc), ln,
             code_name(mrc), mn);
    }
}

static void compare_info(struct run *r)
{
    struct slot_ledger_info li, mi;
    ledger_info(r->l, &li);
    refmodel_info(r->m, &mi);
    const char *d = diff_info(&li, &mi);
    if (d != NULL) {
        fail(r, "ledger info: %s differs", d);
    }
    if (ledger_time_ms(r->l) != refmodel_time_ms(r->m)) {
        fail(r, "time: ledger %" PRIu64 ", model %" PRIu64,
             ledger_time_ms(r->l), refmodel_time_ms(r->m));
    }
    if (ledger_next_deadline_ms(r->l) != refmodel_next_deadline_ms(r->m)) {
        fail(r, "next deadline: ledger %" PRIu64 ", model %" PRIu64,
             ledger_next_deadline_ms(r->l), refmodel_next_deadline_ms(r->m));
    }
    if (ledger_next_sweep_ms(r->l) != refmodel_next_sweep_ms(r->m)) {
        fail(r, "next sweep: ledger %" PRIu64 ", model %" PRIu64,
             ledger_next_sweep_ms(r->l), refmodel_next_sweep_ms(r->m));
    }
}

static void print_page(const char *who, const struct slot_pool_status *s,
                       uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        fprintf(stderr,
                "  %s [%" PRIu32 "] %s day=%" PRIu32 " seg=%" PRIu64 " %s/%s\n",
                who, i, s[i].pool, s[i].place.visit_day, s[i].seg_start_ms,
                s[i].place.department, s[i].place.doctor);
    }
}

/* READ_QUERY: code, total, the page, field by field. */
static void compare_query(struct run *r, const struct slot_read *rd)
{
    static struct slot_pool_status ls[QUERY_CAP], ms[QUERY_CAP];
    uint32_t ln = 0, mn = 0, lt = 0, mt = 0;
    CHECK(rd->limit <= QUERY_CAP);
    memset(ls, 0, rd->limit * sizeof ls[0]);
    int lrc = ledger_read_query(r->l, rd, ls, QUERY_CAP, &ln, &lt);
    int mrc = refmodel_read_query(r->m, rd, ms, QUERY_CAP, &mn, &mt);
    const char *d = lrc != mrc ? "code" : NULL;
    if (d == NULL && lrc == SLOT_OK) {
        d = ln != mn ? "count" : lt != mt ? "total" : NULL;
        for (uint32_t i = 0; d == NULL && i < ln; i++) {
            d = diff_pool(&ls[i], &ms[i]);
        }
    }
    if (d != NULL) {
        print_page("ledger", ls, lrc == SLOT_OK ? ln : 0);
        print_page("model ", ms, mrc == SLOT_OK ? mn : 0);
        fail(r,
             "read query %.*s dept '%.*s' doctor '%.*s' days %" PRIu32
             "..%" PRIu32 " kind %u after '%.*s' limit %" PRIu32
             ": %s differs (ledger %s n=%" PRIu32 " total=%" PRIu32
             ", model %s n=%" PRIu32 " total=%" PRIu32 ")",
             (int)rd->hospital.len, rd->hospital.p, (int)rd->department.len,
             rd->department.p, (int)rd->doctor.len, rd->doctor.p, rd->date_from,
             rd->date_to, rd->kind, (int)rd->pool.len, rd->pool.p, rd->limit, d,
             code_name(lrc), ln, lt, code_name(mrc), mn, mt);
    }
    r->cov.sched_reads += lrc == SLOT_OK;
}

static void compare_rules(struct run *r, struct slot_str hospital,
                          struct slot_str dept)
{
    static struct slot_rules_info li, mi;
    memset(&li, 0, sizeof li);
    int lrc = ledger_read_rules(r->l, hospital, dept, &li);
    int mrc = refmodel_read_rules(r->m, hospital, dept, &mi);
    const char *d = lrc != mrc       ? "code"
                    : lrc == SLOT_OK ? diff_rules_info(&li, &mi)
                                     : NULL;
    if (d != NULL) {
        fail(r,
             "read rules %.*s/%.*s: %s differs (ledger %s v%" PRIu64
             " '%s' inherited=%d, model %s v%" PRIu64 " '%s' inherited=%d)",
             (int)hospital.len, hospital.p, (int)dept.len, dept.p, d,
             code_name(lrc), li.version, li.department, li.inherited,
             code_name(mrc), mi.version, mi.department, mi.inherited);
    }
    r->cov.sched_reads += lrc == SLOT_OK;
}

#define LOG_CAP (LEDGER_RULES_LOG_MAX + 8)

static void compare_rules_log(struct run *r, struct slot_str hospital,
                              uint64_t after, uint32_t limit)
{
    static struct slot_rules_info ls[LOG_CAP], ms[LOG_CAP];
    uint32_t ln = 0, mn = 0;
    CHECK(limit <= LOG_CAP);
    int lrc = ledger_read_rules_log(r->l, hospital, after, limit, ls, &ln);
    int mrc = refmodel_read_rules_log(r->m, hospital, after, limit, ms, &mn);
    const char *d = lrc != mrc ? "code" : NULL;
    if (d == NULL && lrc == SLOT_OK) {
        d = ln != mn ? "count" : NULL;
        for (uint32_t i = 0; d == NULL && i < ln; i++) {
            d = diff_rules_info(&ls[i], &ms[i]);
        }
    }
    if (d != NULL) {
        fail(r,
             "read rules log %.*s after %" PRIu64 " limit %" PRIu32
             ": %s differs (ledger %s n=%" PRIu32 " first v%" PRIu64
             ", model %s n=%" PRIu32 " first v%" PRIu64 ")",
             (int)hospital.len, hospital.p, after, limit, d, code_name(lrc), ln,
             ln > 0 ? ls[0].version : 0, code_name(mrc), mn,
             mn > 0 ? ms[0].version : 0);
    }
    r->cov.sched_reads += lrc == SLOT_OK;
}

#define CONFLICT_CAP 16

static void compare_schedule_check(struct run *r, const struct slot_template *t)
{
    char lids[CONFLICT_CAP][SLOT_POOL_ID_MAX + 1];
    char mids[CONFLICT_CAP][SLOT_POOL_ID_MAX + 1];
    uint32_t lf = 0, ls = 0, lc = 0, mf = 0, ms = 0, mc = 0;
    uint32_t cap = 1 + rnd2(r, CONFLICT_CAP);
    int lrc = ledger_read_schedule_check(r->l, t, &lf, &ls, lids, cap, &lc);
    int mrc = refmodel_read_schedule_check(r->m, t, &mf, &ms, mids, cap, &mc);
    const char *d = lrc != mrc ? "code" : NULL;
    if (d == NULL && lrc == SLOT_OK) {
        d = lf != mf   ? "new"
            : ls != ms ? "unchanged"
            : lc != mc ? "conflicts"
                       : NULL;
        for (uint32_t i = 0; d == NULL && i < lc && i < cap; i++) {
            d = strcmp(lids[i], mids[i]) != 0 ? "a conflicting id" : NULL;
        }
    }
    if (d != NULL) {
        char buf[1024];
        fmt_template(t, buf, sizeof buf);
        fail(r,
             "read schedule check %s: %s differs (ledger %s %" PRIu32
             "/%" PRIu32 "/%" PRIu32 ", model %s %" PRIu32 "/%" PRIu32
             "/%" PRIu32 ")",
             buf, d, code_name(lrc), lf, ls, lc, code_name(mrc), mf, ms, mc);
    }
    r->cov.sched_reads += lrc == SLOT_OK;
}

/* ledger_read packs the reply body; the model's structs packed by the same
 * encoders must give the same bytes. */
static void print_recon_row(const char *who, const struct slot_recon_row *x)
{
    fprintf(stderr,
            "  %s: day %" PRIu32 " '%s' '%s' '%s' booked %" PRIu32 "/%" PRIu64
            " checkin_paid %" PRIu32 "/%" PRIu64 " checked_in %" PRIu32
            " cancelled %" PRIu32 "/%" PRIu64 " refunded %" PRIu32 "/%" PRIu64
            " moved %" PRIu32 " no_show %" PRIu32 "\n",
            who, x->day, x->hospital, x->channel, x->pay_method, x->booked,
            x->booked_cents, x->checkin_paid, x->checkin_paid_cents,
            x->checked_in, x->cancelled, x->cancelled_cents, x->refunded,
            x->refunded_cents, x->moved, x->no_show);
}

static void print_stats_row(const char *who, const struct slot_stats_row *x)
{
    fprintf(stderr,
            "  %s: day %" PRIu32 " '%s' '%s' pools %" PRIu32
            " released %" PRIu64 " capacity %" PRIu64 " booked_now %" PRIu64
            " booked %" PRIu64 " cancelled %" PRIu64 " refunded %" PRIu64
            " moved %" PRIu64 " no_show %" PRIu64 " checked_in %" PRIu64 "\n",
            who, x->visit_day, x->hospital, x->department, x->pools,
            x->released, x->capacity, x->booked_now, x->booked_total,
            x->cancelled_total, x->refunded_total, x->moved_total,
            x->no_show_total, x->checked_in_total);
}

/* A RECON or STATS read that differed, row by row. */
static void print_money_read(struct run *r, const struct slot_read *rd)
{
    static struct slot_recon_row lr[SLOT_LIST_MAX], mr[SLOT_LIST_MAX];
    static struct slot_stats_row ls[SLOT_LIST_MAX], ms[SLOT_LIST_MAX];
    uint32_t ln, mn, lt, mt, lk = 0, mk = 0;
    if (rd->op == SLOT_READ_RECON) {
        ledger_read_recon(r->l, rd->day, rd->hospital, rd->channel,
                          (uint32_t)rd->after_id, rd->limit, lr, &ln, &lt, &lk);
        refmodel_read_recon(r->m, rd->day, rd->hospital, rd->channel,
                            (uint32_t)rd->after_id, rd->limit, mr, &mn, &mt,
                            &mk);
    } else {
        ledger_read_stats(r->l, rd->hospital, rd->date_from, rd->date_to,
                          (uint32_t)rd->after_id, rd->limit, ls, &ln, &lt);
        refmodel_read_stats(r->m, rd->hospital, rd->date_from, rd->date_to,
                            (uint32_t)rd->after_id, rd->limit, ms, &mn, &mt);
    }
    fprintf(stderr,
            "  read %u day %" PRIu32 " from %" PRIu32 " to %" PRIu32
            " hospital '%.*s' channel '%.*s' after %" PRIu64 " limit %" PRIu32
            ": ledger n %" PRIu32 " total %" PRIu32 " kept_from %" PRIu32
            ", model n %" PRIu32 " total %" PRIu32 " kept_from %" PRIu32 "\n",
            rd->op, rd->day, rd->date_from, rd->date_to, (int)rd->hospital.len,
            rd->hospital.p, (int)rd->channel.len, rd->channel.p, rd->after_id,
            rd->limit, ln, lt, lk, mn, mt, mk);
    for (uint32_t i = 0; i < ln || i < mn; i++) {
        if (rd->op == SLOT_READ_RECON) {
            if (i < ln) {
                print_recon_row("ledger", &lr[i]);
            }
            if (i < mn) {
                print_recon_row("model ", &mr[i]);
            }
        } else {
            if (i < ln) {
                print_stats_row("ledger", &ls[i]);
            }
            if (i < mn) {
                print_stats_row("model ", &ms[i]);
            }
        }
    }
}

static void compare_encoded_read(struct run *r, const struct slot_read *rd)
{
    struct mp_buf lb, mb;
    mp_buf_init(&lb);
    mp_buf_init(&mb);
    int lrc = ledger_read(r->l, rd, &lb);
    int mrc;
    if (rd->op == SLOT_READ_POOL) {
        struct slot_pool_status s;
        mrc = refmodel_read_pool(r->m, rd->pool, &s);
        if (mrc == SLOT_OK) {
            slot_pool_status_encode(&mb, &s);
        }
    } else if (rd->op == SLOT_READ_HOLD || rd->op == SLOT_READ_BOOKING) {
        struct slot_claim c;
        mrc =
            refmodel_read_claim(r->m, rd->id, rd->op == SLOT_READ_BOOKING, &c);
        if (mrc == SLOT_OK) {
            slot_claim_encode(&mb, &c);
        }
    } else if (rd->op == SLOT_READ_PATIENT) {
        struct slot_claim c[4];
        uint32_t n;
        mrc = refmodel_read_patient(r->m, rd->pool, rd->patient, c, 4, &n);
        if (mrc == SLOT_OK) {
            mp_pack_array(&mb, n);
            for (uint32_t i = 0; i < n; i++) {
                slot_claim_encode(&mb, &c[i]);
            }
        }
    } else if (rd->op == SLOT_READ_QUERY) {
        static struct slot_pool_status st[QUERY_CAP];
        uint32_t n, total;
        CHECK(rd->limit <= QUERY_CAP);
        mrc = refmodel_read_query(r->m, rd, st, QUERY_CAP, &n, &total);
        if (mrc == SLOT_OK) {
            mp_pack_array(&mb, 2);
            mp_pack_uint(&mb, total);
            mp_pack_array(&mb, n);
            for (uint32_t i = 0; i < n; i++) {
                slot_pool_status_encode(&mb, &st[i]);
            }
        }
    } else if (rd->op == SLOT_READ_RULES) {
        static struct slot_rules_info info;
        mrc = refmodel_read_rules(r->m, rd->hospital, rd->department, &info);
        if (mrc == SLOT_OK) {
            slot_rules_info_encode(&mb, &info);
        }
    } else if (rd->op == SLOT_READ_RULES_LOG) {
        static struct slot_rules_info log[LOG_CAP];
        uint32_t n;
        CHECK(rd->limit <= LOG_CAP);
        mrc = refmodel_read_rules_log(r->m, rd->hospital, rd->after_version,
                                      rd->limit, log, &n);
        if (mrc == SLOT_OK) {
            mp_pack_array(&mb, n);
            for (uint32_t i = 0; i < n; i++) {
                slot_rules_info_encode(&mb, &log[i]);
            }
        }
    } else if (rd->op == SLOT_READ_SCHEDULE_CHECK) {
        static char ids[SLOT_LIST_MAX][SLOT_POOL_ID_MAX + 1];
        uint32_t fresh, same, nc;
        mrc = refmodel_read_schedule_check(r->m, &rd->tpl, &fresh, &same, ids,
                                           SLOT_LIST_MAX, &nc);
        if (mrc == SLOT_OK) {
            uint32_t n = nc < SLOT_LIST_MAX ? nc : SLOT_LIST_MAX;
            mp_pack_array(&mb, 3);
            mp_pack_uint(&mb, fresh);
            mp_pack_uint(&mb, same);
            mp_pack_array(&mb, n);
            for (uint32_t i = 0; i < n; i++) {
                mp_pack_cstr(&mb, ids[i]);
            }
        }
    } else if (rd->op == SLOT_READ_PATIENT_INFO) {
        static struct slot_claim cl[SLOT_LIST_MAX];
        static struct slot_patient_info info;
        info.claims = cl;
        info.claims_cap = SLOT_LIST_MAX;
        refmodel_read_patient_info(r->m, rd->patient, &info);
        if (info.n_standing > 1) {
            /* the standings' order is the ledger's (P10): compared as a
             * set by compare_patient_info */
            mp_buf_free(&lb);
            mp_buf_free(&mb);
            return;
        }
        slot_patient_info_encode(&mb, &info);
        mrc = SLOT_OK;
        r->cov.encoded_p3++;
    } else if (rd->op == SLOT_READ_ACCOUNT) {
        struct slot_account_info info;
        refmodel_read_account(r->m, rd->account, &info);
        slot_account_info_encode(&mb, &info);
        mrc = SLOT_OK;
        r->cov.encoded_p3++;
    } else if (rd->op == SLOT_READ_WAITLIST) {
        uint32_t pos, len;
        mrc = refmodel_read_waitlist(r->m, rd->pool, rd->patient, &pos, &len);
        if (mrc == SLOT_OK) {
            mp_pack_array(&mb, 2);
            mp_pack_uint(&mb, pos);
            mp_pack_uint(&mb, len);
        }
        r->cov.wait_reads++;
    } else if (rd->op == SLOT_READ_POOL_CLAIMS) {
        static struct slot_claim cl[SLOT_LIST_MAX];
        uint32_t n;
        mrc = refmodel_read_pool_claims(r->m, rd->pool, rd->after_id, rd->limit,
                                        cl, &n);
        if (mrc == SLOT_OK) {
            mp_pack_array(&mb, n);
            for (uint32_t i = 0; i < n; i++) {
                slot_claim_encode(&mb, &cl[i]);
            }
        }
        r->cov.pool_claims_reads++;
    } else if (rd->op == SLOT_READ_EVENTS) {
        static struct slot_event ev[SLOT_LIST_MAX];
        uint32_t n;
        uint64_t first, last;
        CHECK(rd->limit <= SLOT_LIST_MAX);
        refmodel_read_events(r->m, rd->after_id, rd->limit, ev, &n, &first,
                             &last);
        mp_pack_array(&mb, 3);
        mp_pack_uint(&mb, first);
        mp_pack_uint(&mb, last);
        mp_pack_array(&mb, n);
        for (uint32_t i = 0; i < n; i++) {
            slot_event_encode(&mb, &ev[i]);
        }
        mrc = SLOT_OK;
        r->cov.event_reads++;
        r->cov.event_reads_gap += rd->after_id + 1 < first;
    } else if (rd->op == SLOT_READ_RECON) {
        static struct slot_recon_row rows[SLOT_LIST_MAX];
        uint32_t n, total, kept_from;
        CHECK(rd->limit <= SLOT_LIST_MAX);
        refmodel_read_recon(r->m, rd->day, rd->hospital, rd->channel,
                            (uint32_t)rd->after_id, rd->limit, rows, &n, &total,
                            &kept_from);
        mp_pack_array(&mb, 3);
        mp_pack_uint(&mb, kept_from);
        mp_pack_uint(&mb, total);
        mp_pack_array(&mb, n);
        for (uint32_t i = 0; i < n; i++) {
            slot_recon_row_encode(&mb, &rows[i]);
            const struct slot_recon_row *x = &rows[i];
            const uint64_t counters[] = {
                x->booked,          x->booked_cents,
                x->checkin_paid,    x->checkin_paid_cents,
                x->checked_in,      x->cancelled,
                x->cancelled_cents, x->refunded,
                x->refunded_cents,  x->moved,
                x->no_show};
            for (uint32_t k = 0; k < N_OF(counters); k++) {
                r->cov.recon_nonzero |= counters[k] != 0 ? 1u << k : 0;
            }
        }
        mrc = SLOT_OK;
        r->cov.recon_reads++;
        r->cov.recon_rows += n > 0;
        r->cov.recon_filtered +=
            n > 0 && (rd->hospital.len > 0 || rd->channel.len > 0);
        r->cov.recon_paged += n > 0 && rd->after_id > 0;
        r->cov.recon_empty_day += total == 0;
    } else if (rd->op == SLOT_READ_STATS) {
        static struct slot_stats_row rows[SLOT_LIST_MAX];
        uint32_t n, total;
        CHECK(rd->limit <= SLOT_LIST_MAX);
        refmodel_read_stats(r->m, rd->hospital, rd->date_from, rd->date_to,
                            (uint32_t)rd->after_id, rd->limit, rows, &n,
                            &total);
        mp_pack_array(&mb, 2);
        mp_pack_uint(&mb, total);
        mp_pack_array(&mb, n);
        for (uint32_t i = 0; i < n; i++) {
            slot_stats_row_encode(&mb, &rows[i]);
        }
        mrc = SLOT_OK;
        r->cov.stats_reads++;
        r->cov.stats_rows += n > 0;
        r->cov.stats_paged += n > 0 && rd->after_id > 0;
    } else if (rd->op == SLOT_READ_STAFF_LOG) {
        static struct slot_staff_entry log[STAFF_CAP];
        uint32_t n;
        CHECK(rd->limit <= STAFF_CAP);
        refmodel_read_staff_log(r->m, rd->after_version, rd->limit, log, &n);
        mp_pack_array(&mb, n);
        for (uint32_t i = 0; i < n; i++) {
            slot_staff_entry_encode(&mb, &log[i]);
        }
        mrc = SLOT_OK;
        r->cov.encoded_p3++;
    } else {
        struct slot_ledger_info info;
        refmodel_info(r->m, &info);
        info.state_hash = rd->no_hash ? 0 : ledger_state_hash(r->l);
        slot_ledger_info_encode(&mb, &info);
        mrc = SLOT_OK;
    }
    if (lrc != mrc || lb.len != mb.len ||
        (lb.len > 0 && memcmp(lb.data, mb.data, lb.len) != 0)) {
        if (rd->op == SLOT_READ_RECON || rd->op == SLOT_READ_STATS) {
            print_money_read(r, rd);
        }
        fail(r,
             "ledger_read op %u (id %" PRIu64 ", after %" PRIu64
             ", limit %" PRIu32 ", pool '%.*s'): ledger %s "
             "%zu bytes, model %s %zu bytes",
             rd->op, rd->id, rd->after_id, rd->limit, (int)rd->pool.len,
             rd->pool.p, code_name(lrc), lb.len, code_name(mrc), mb.len);
    }
    mp_buf_free(&lb);
    mp_buf_free(&mb);
}

static uint32_t rnd2(struct run *r, uint32_t n)
{
    return (uint32_t)(split_mix(&r->rng2) % n);
}

/* A pool query: any hospital (unknown ones too), filters or none, a page
 * starting anywhere (a pool of another hospital: UNKNOWN_POOL). */
static void gen_query_read(struct run *r, struct slot_read *rd)
{
    static const uint32_t limits[] = {1, 2, 3, 5, QUERY_CAP};
    memset(rd, 0, sizeof *rd);
    rd->op = SLOT_READ_QUERY;
    uint32_t hi = rnd2(r, N_HOSPITALS);
    rd->hospital = sstr(HOSPITALS[hi]);
    rd->department = sstr(rnd2(r, 3) == 0 ? DEPTS[rnd2(r, N_OF(DEPTS))] : "");
    rd->doctor = sstr(rnd2(r, 4) == 0 ? DOCTORS[1 + rnd2(r, 2)] : "");
    uint32_t today = slot_local_day(r->clock_ms, hospital_offset(r, hi));
    if (rnd2(r, 3) == 0) {
        rd->date_from = today + rnd2(r, 5) - 1;
    }
    if (rnd2(r, 3) == 0) {
        rd->date_to =
            (rd->date_from > today ? rd->date_from : today) + rnd2(r, 4);
    }
    rd->kind =
        (uint8_t)(rnd2(r, 3) == 0 ? rnd2(r, SLOT_KIND_MAX + 1) : SLOT_KIND_ANY);
    uint32_t n = refmodel_pool_count(r->m);
    if (n > 0 && rnd2(r, 3) == 0) {
        rd->pool = sstr(refmodel_pool_id(r->m, rnd2(r, n)));
    } else if (rnd2(r, 20) == 0) {
        rd->pool = sstr("ghost");
    }
    rd->limit = limits[rnd2(r, N_OF(limits))];
}

/* A template drawn with the reads' generator, not the commands'. */
static void gen_read_template(struct run *r, struct slot_template *t)
{
    uint64_t save = r->rng;
    r->rng = r->rng2;
    gen_template(r, t, false);
    r->rng2 = r->rng;
    r->rng = save;
}

/* The schedule reads: every hospital's and department's rules, rule logs,
 * pool queries, a schedule check, a sample of the pools (imported ones
 * are not in POOL_IDS), and one of them encoded through ledger_read. */
static void compare_sched_reads(struct run *r, bool full)
{
    for (uint32_t hi = 0; hi < N_HOSPITALS; hi++) {
        struct slot_str h = sstr(HOSPITALS[hi]);
        compare_rules(r, h, sstr(""));
        for (uint32_t d = 0; d < N_OF(DEPTS); d++) {
            if (full || rnd2(r, 3) == 0) {
                compare_rules(r, h, sstr(DEPTS[d]));
            }
        }
        if (full || rnd2(r, 2) == 0) {
            compare_rules_log(r, h, rnd2(r, 3) == 0 ? 0 : rnd2(r, 40),
                              1 + rnd2(r, LOG_CAP));
        }
    }
    struct slot_read rd;
    for (uint32_t i = 0; i < (full ? 16u : 4u); i++) {
        gen_query_read(r, &rd);
        compare_query(r, &rd);
    }
    struct slot_template t;
    gen_read_template(r, &t);
    compare_schedule_check(r, &t);
    uint32_t n = refmodel_pool_count(r->m);
    for (uint32_t i = 0; i < n && (full || i < 6); i++) {
        compare_pool(r, sstr(refmodel_pool_id(r->m, full ? i : rnd2(r, n))));
    }

    switch (rnd2(r, 4)) {
        case 0:
            gen_query_read(r, &rd);
            break;
        case 1:
            memset(&rd, 0, sizeof rd);
            rd.op = SLOT_READ_RULES;
            rd.hospital = sstr(HOSPITALS[rnd2(r, N_HOSPITALS)]);
            rd.department = sstr(rnd2(r, 2) ? DEPTS[rnd2(r, 3)] : "");
            break;
        case 2:
            memset(&rd, 0, sizeof rd);
            rd.op = SLOT_READ_RULES_LOG;
            rd.hospital = sstr(HOSPITALS[rnd2(r, N_HOSPITALS)]);
            rd.after_version = rnd2(r, 40);
            rd.limit = 1 + rnd2(r, LOG_CAP);
            break;
        default:
            memset(&rd, 0, sizeof rd);
            rd.op = SLOT_READ_SCHEDULE_CHECK;
            gen_read_template(r, &rd.tpl);
    }
    compare_encoded_read(r, &rd);
}

#define INFO_CLAIMS 64 /* more than a small universe's patient has */

static int cmp_standing(const void *a, const void *b)
{
    return strcmp(((const struct slot_standing *)a)->hospital,
                  ((const struct slot_standing *)b)->hospital);
}

static void print_patient_info(const char *who,
                               const struct slot_patient_info *p)
{
    fprintf(stderr,
            "  %s: %s account=%s claims=%" PRIu32 " violations=%" PRIu32
            " cancels=%" PRIu32 "\n",
            who, p->patient, p->account, p->n_claims, p->n_violations,
            p->n_cancels);
    for (uint32_t i = 0; i < p->n_violations; i++) {
        fprintf(stderr, "    %s violation %" PRIu64 " %s kind=%u\n", who,
                p->violations[i].at_ms, p->violations[i].hospital,
                p->violations[i].kind);
    }
    for (uint32_t i = 0; i < p->n_standing; i++) {
        const struct slot_standing *s = &p->standing[i];
        fprintf(stderr,
                "    %s standing %s n=%" PRIu32 " threshold=%" PRIu32
                " warning=%d until=%" PRIu64 " exception=%d\n",
                who, s->hospital, s->violations, s->threshold, s->warning,
                s->blacklisted_until_ms, s->exception);
    }
    for (uint32_t i = 0; i < p->n_cancels; i++) {
        fprintf(stderr, "    %s cancel %" PRIu64 "\n", who, p->cancels_ms[i]);
    }
    for (uint32_t i = 0; i < p->n_claims && i < p->claims_cap; i++) {
        print_claim(who, &p->claims[i]);
    }
}

static void compare_patient_info(struct run *r, struct slot_str patient)
{
    static struct slot_claim lcl[INFO_CLAIMS], mcl[INFO_CLAIMS];
    static struct slot_patient_info li, mi;
    memset(&li, 0, sizeof li);
    memset(lcl, 0, sizeof lcl);
    li.claims = lcl;
    li.claims_cap = INFO_CLAIMS;
    mi.claims = mcl;
    mi.claims_cap = INFO_CLAIMS;
    ledger_read_patient_info(r->l, patient, &li);
    refmodel_read_patient_info(r->m, patient, &mi);
    qsort(li.standing,
          li.n_standing < SLOT_VIOLATIONS_KEPT ? li.n_standing
                                               : SLOT_VIOLATIONS_KEPT,
          sizeof li.standing[0], cmp_standing);
    const char *d = diff_patient_info(&li, &mi);
    if (d != NULL) {
        print_patient_info("ledger", &li);
        print_patient_info("model ", &mi);
        fail(r, "read patient info %.*s: %s differs", (int)patient.len,
             patient.p, d);
    }
    r->cov.patient_reads++;
}

static void compare_account(struct run *r, struct slot_str account)
{
    struct slot_account_info la, ma;
    memset(&la, 0, sizeof la);
    ledger_read_account(r->l, account, &la);
    refmodel_read_account(r->m, account, &ma);
    const char *d = diff_account(&la, &ma);
    if (d != NULL) {
        fail(r,
             "read account %.*s: %s differs (ledger %" PRIu32
             " patients %" PRIu32 " changes, model %" PRIu32
             " patients %" PRIu32 " changes)",
             (int)account.len, account.p, d, la.n_patients, la.n_changes,
             ma.n_patients, ma.n_changes);
    }
}

static void compare_staff_log(struct run *r, uint64_t after, uint32_t limit)
{
    static struct slot_staff_entry ls[STAFF_CAP], ms[STAFF_CAP];
    uint32_t ln = 0, mn = 0;
    CHECK(limit <= STAFF_CAP);
    memset(ls, 0, sizeof ls);
    ledger_read_staff_log(r->l, after, limit, ls, &ln);
    refmodel_read_staff_log(r->m, after, limit, ms, &mn);
    const char *d = ln != mn ? "count" : NULL;
    for (uint32_t i = 0; d == NULL && i < ln; i++) {
        d = diff_staff(&ls[i], &ms[i]);
    }
    if (d != NULL) {
        fail(r,
             "read staff log after %" PRIu64 " limit %" PRIu32
             ": %s differs (ledger n=%" PRIu32 ", model n=%" PRIu32 ")",
             after, limit, d, ln, mn);
    }
}

/* The protocol 3 reads: every patient's record and account of the small
 * universe, the staff log, and one of them through ledger_read. */
static void compare_patient_reads(struct run *r)
{
    for (uint32_t i = 0; i < n_patients(r->pf); i++) {
        compare_patient_info(r, sstr(patient_name(i)));
    }
    for (uint32_t i = 0; i < N_OF(ACCOUNTS); i++) {
        compare_account(r, sstr(ACCOUNTS[i]));
    }
    compare_staff_log(r, rnd2(r, 3) == 0 ? 0 : rnd2(r, 60),
                      1 + rnd2(r, STAFF_CAP));
    struct slot_read rd;
    memset(&rd, 0, sizeof rd);
    switch (rnd2(r, 3)) {
        case 0:
            rd.op = SLOT_READ_PATIENT_INFO;
            rd.patient = sstr(patient_name(rnd2(r, n_patients(r->pf))));
            break;
        case 1:
            rd.op = SLOT_READ_ACCOUNT;
            rd.account = sstr(ACCOUNTS[rnd2(r, N_OF(ACCOUNTS))]);
            break;
        default:
            rd.op = SLOT_READ_STAFF_LOG;
            rd.after_version = rnd2(r, 40);
            rd.limit = 1 + rnd2(r, STAFF_CAP);
    }
    compare_encoded_read(r, &rd);
}

static void compare_waitlist(struct run *r, struct slot_str pool,
                             struct slot_str patient)
{
    uint32_t lp = 0, ll = 0, mp = 0, ml = 0;
    int lrc = ledger_read_waitlist(r->l, pool, patient, &lp, &ll);
    int mrc = refmodel_read_waitlist(r->m, pool, patient, &mp, &ml);
    if (lrc != mrc || lp != mp || ll != ml) {
        fail(r,
             "read waitlist %.*s %.*s: ledger %s %" PRIu32 "/%" PRIu32
             ", model %s %" PRIu32 "/%" PRIu32,
             (int)pool.len, pool.p, (int)patient.len, patient.p, code_name(lrc),
             lp, ll, code_name(mrc), mp, ml);
    }
    r->cov.wait_reads++;
    r->cov.wait_reads_on += mp > 0;
}

/* Every patient's place on the newest pools' waitlists (and an unknown
 * pool's), and one WAITLIST read through ledger_read. */
static void compare_waitlists(struct run *r, bool full)
{
    uint32_t n = refmodel_pool_count(r->m);
    uint32_t most = full ? n : 8;
    for (uint32_t k = 0; k < n && k < most; k++) {
        const char *id = refmodel_pool_id(r->m, n - 1 - k);
        for (uint32_t q = 0; q < n_patients(r->pf); q++) {
            compare_waitlist(r, sstr(id), sstr(patient_name(q)));
        }
    }
    compare_waitlist(r, sstr("ghost"), sstr(patient_name(0)));
    struct slot_read rd;
    memset(&rd, 0, sizeof rd);
    rd.op = SLOT_READ_WAITLIST;
    rd.pool = n > 0 && rnd2(r, 8) != 0
                  ? sstr(refmodel_pool_id(r->m, rnd2(r, n)))
                  : sstr(POOL_IDS[rnd2(r, N_POOL_IDS)]);
    rd.patient = sstr(patient_name(rnd2(r, n_patients(r->pf))));
    compare_encoded_read(r, &rd);
}

/* One POOL_CLAIMS read through ledger_read_pool_claims, claim by claim. */
static void compare_pool_claims_read(struct run *r, const struct slot_read *rd)
{
    static struct slot_claim lc[SLOT_LIST_MAX], mc[SLOT_LIST_MAX];
    uint32_t ln = 0, mn = 0;
    int lrc = ledger_read_pool_claims(r->l, rd->pool, rd->after_id, rd->limit,
                                      lc, &ln);
    int mrc = refmodel_read_pool_claims(r->m, rd->pool, rd->after_id, rd->limit,
                                        mc, &mn);
    const char *d = lrc != mrc ? "code" : NULL;
    if (d == NULL && lrc == SLOT_OK) {
        d = ln != mn ? "count" : NULL;
        for (uint32_t i = 0; d == NULL && i < ln; i++) {
            d = diff_claim(&lc[i], &mc[i]);
            if (d != NULL) {
                print_claim("ledger", &lc[i]);
                print_claim("model ", &mc[i]);
            }
        }
    }
    if (d != NULL) {
        fail(r,
             "read pool claims %.*s after %" PRIu64 " limit %" PRIu32
             ": %s differs (ledger %s n=%" PRIu32 ", model %s n=%" PRIu32 ")",
             (int)rd->pool.len, rd->pool.p, rd->after_id, rd->limit, d,
             code_name(lrc), ln, code_name(mrc), mn);
    }
}

/* POOL_CLAIMS of the newest pools (every pool when full), from the
 * start or after some id, pages of any size, and of unknown pools. */
static void compare_pool_claims(struct run *r, bool full)
{
    uint32_t n = refmodel_pool_count(r->m);
    uint64_t last = refmodel_last_claim_id(r->m);
    struct slot_read rd;
    for (uint32_t k = 0; k <= n && k < (full ? n + 1 : 6u); k++) {
        memset(&rd, 0, sizeof rd);
        rd.op = SLOT_READ_POOL_CLAIMS;
        rd.pool =
            k < n ? sstr(refmodel_pool_id(r->m, n - 1 - k)) : sstr("ghost");
        rd.after_id =
            rnd2(r, 2) == 0 || last == 0 ? 0 : rnd2(r, (uint32_t)last);
        if (rnd2(r, 30) == 0) {
            rd.after_id = UINT64_MAX;
        }
        rd.limit = rnd2(r, 3) == 0 ? 1 + rnd2(r, 3) : SLOT_LIST_MAX;
        compare_pool_claims_read(r, &rd);
        compare_encoded_read(r, &rd);
    }
}

static void compare_event_reads(struct run *r);

/* Protocol 5: RECON reads of the local days around the clock (Beijing,
 * UTC-05:00, UTC; today, yesterday, the day before), now and then of a
 * day without rows, filtered by hospital and channel or not, pages
 * anywhere; STATS reads of ranges of up to SLOT_STATS_DAYS_MAX days around
 * the clock, by hospital or not, pages anywhere. n of each. */
static void compare_money_reads(struct run *r, uint32_t n)
{
    static const int16_t offs[] = {480, -300, 0};
    struct slot_read rd;
    for (uint32_t k = 0; k < n; k++) {
        memset(&rd, 0, sizeof rd);
        rd.op = SLOT_READ_RECON;
        rd.day =
            slot_local_day(r->clock_ms, offs[rnd2(r, N_OF(offs))]) - rnd2(r, 3);
        if (rnd2(r, 8) == 0) {
            rd.day = rnd2(r, 2) == 0 ? rd.day + 30 : 0;
        }
        rd.hospital =
            sstr(rnd2(r, 2) == 0 ? "" : HOSPITALS[rnd2(r, N_HOSPITALS)]);
        rd.channel = sstr("");
        if (rnd2(r, 3) == 0) {
            rd.channel =
                r->pf->sched_pct > 0
                    ? sstr(SCHED_CHANNELS[rnd2(r, N_OF(SCHED_CHANNELS))])
                    : sstr(CHANNELS[rnd2(r, N_CHANNELS)]);
        }
        rd.after_id = rnd2(r, 3) == 0 ? rnd2(r, 6) : 0;
        rd.limit = rnd2(r, 3) == 0 ? 1 + rnd2(r, 3) : SLOT_LIST_MAX;
        compare_encoded_read(r, &rd);

        memset(&rd, 0, sizeof rd);
        rd.op = SLOT_READ_STATS;
        rd.date_from = slot_local_day(r->clock_ms, 480) - 10 + rnd2(r, 12);
        rd.date_to = rd.date_from + rnd2(r, SLOT_STATS_DAYS_MAX);
        rd.hospital =
            sstr(rnd2(r, 2) == 0 ? "" : HOSPITALS[rnd2(r, N_HOSPITALS)]);
        rd.after_id = rnd2(r, 3) == 0 ? rnd2(r, 4) : 0;
        rd.limit = rnd2(r, 3) == 0 ? 1 + rnd2(r, 2) : SLOT_LIST_MAX;
        compare_encoded_read(r, &rd);
    }
}

/* Compares reads. full: every pool, patient and claim id ever issued;
 * otherwise the recent claims and a random sample of the rest. */
static void compare_reads(struct run *r, bool full)
{
    compare_info(r);
    for (uint32_t i = 0; i < N_POOL_IDS; i++) {
        compare_pool(r, sstr(POOL_IDS[i]));
    }
    compare_pools(r, sstr(""), SLOT_LIST_MAX);
    compare_pools(r, sstr(POOL_IDS[rnd2(r, N_POOL_IDS)]), 1 + rnd2(r, 3));

    uint64_t last = refmodel_last_claim_id(r->m);
    uint64_t from = full || last < 48 ? 1 : last - 47;
    for (uint64_t id = from; id <= last + 1; id++) {
        compare_claim(r, id, false);
        compare_claim(r, id, true);
    }
    for (uint32_t i = 0; !full && last > 0 && i < 8; i++) {
        uint64_t id = 1 + rnd2(r, (uint32_t)last);
        compare_claim(r, id, false);
        compare_claim(r, id, true);
    }

    /* Every (pool, patient) pair of the small universe; a sample of the
     * bulk one (the model's patient read is a linear scan). */
    uint32_t np = n_patients(r->pf);
    if (full) {
        for (uint32_t p = 0; p < N_POOL_IDS; p++) {
            for (uint32_t q = 0; q < np && q < 64; q++) {
                compare_patient(r, sstr(POOL_IDS[p]), sstr(patient_name(q)));
            }
        }
    }
    for (uint32_t i = 0; i < (full ? 256u : 24u); i++) {
        compare_patient(r, sstr(POOL_IDS[rnd2(r, N_POOL_IDS)]),
                        sstr(patient_name(rnd2(r, np))));
    }

    struct slot_read rd;
    memset(&rd, 0, sizeof rd);
    rd.op = (uint8_t)(1 + rnd2(r, SLOT_READ_LEDGER));
    if (rd.op == SLOT_READ_POOLS) {
        rd.op = SLOT_READ_LEDGER; /* pool lists were compared above */
    }
    rd.pool = sstr(POOL_IDS[rnd2(r, N_POOL_IDS)]);
    rd.patient = sstr(patient_name(rnd2(r, np)));
    rd.id = 1 + rnd2(r, (uint32_t)(last + 2));
    rd.no_hash = rd.op == SLOT_READ_LEDGER && rnd2(r, 2) == 0;
    compare_encoded_read(r, &rd);
    if (r->pf->sched_pct > 0) {
        compare_sched_reads(r, full);
    }
    if (r->pf->patient_pct > 0) {
        compare_patient_reads(r);
    }
    if (r->pf->weight[K_JOIN] > 0) {
        compare_waitlists(r, full);
    }
    if (r->pf->visit_pct > 0) {
        compare_pool_claims(r, full);
    }
    compare_event_reads(r);
    compare_money_reads(r, r->pf->money_pct > 0 ? (full ? 12u : 4u) : 1u);
}

/* ---- the event feed (protocol 4) ---------------------------------------- */

static const char *diff_event(const struct slot_event *a,
                              const struct slot_event *b)
{
    if (a->seq != b->seq)
        return "seq";
    if (a->index != b->index)
        return "index";
    if (a->time_ms != b->time_ms)
        return "time_ms";
    if (a->type != b->type)
        return "type";
    if (strcmp(a->pool, b->pool) != 0)
        return "pool";
    if (a->claim != b->claim)
        return "claim";
    if (strcmp(a->patient, b->patient) != 0)
        return "patient";
    if (strcmp(a->channel, b->channel) != 0)
        return "channel";
    if (strcmp(a->account, b->account) != 0)
        return "account";
    if (strcmp(a->hospital, b->hospital) != 0)
        return "hospital";
    if (a->a != b->a)
        return "a";
    if (a->b != b->b)
        return "b";
    if (a->fee_cents != b->fee_cents)
        return "fee_cents";
    if (strcmp(a->payment_ref, b->payment_ref) != 0)
        return "payment_ref";
    if (strcmp(a->pay_method, b->pay_method) != 0)
        return "pay_method";
    if (a->local_day != b->local_day)
        return "local_day";
    return NULL;
}

static void print_event(const char *who, const struct slot_event *e)
{
    const char *name = slot_event_name(e->type);
    printf(
        "  %s: seq %" PRIu64 " index %" PRIu64 " time %" PRIu64
        " %s pool '%s' claim %" PRIu64
        " patient '%s' channel '%s' account '%s' hospital '%s' a %" PRIu64
        " b %" PRIu64 " fee %" PRIu64 " ref '%s' method '%s' day %" PRIu32 "\n",
        who, e->seq, e->index, e->time_ms, name != NULL ? name : "?", e->pool,
        e->claim, e->patient, e->channel, e->account, e->hospital, e->a, e->b,
        e->fee_cents, e->payment_ref, e->pay_method, e->local_day);
}

/* The feed after cursor `after`, page by page, field by field, and first
 * / last; returns the newest seq. */
static uint64_t compare_feed(struct run *r, uint64_t after, bool count)
{
    enum { PAGE = 256 };
    static struct slot_event le[PAGE], me[PAGE];
    for (;;) {
        uint32_t ln = 0, mn = 0;
        uint64_t lf, ll, mf, ml;
        ledger_read_events(r->l, after, PAGE, le, &ln, &lf, &ll);
        refmodel_read_events(r->m, after, PAGE, me, &mn, &mf, &ml);
        const char *d = lf != mf ? "first" : ll != ml ? "last" : NULL;
        for (uint32_t i = 0; d == NULL && i < ln && i < mn; i++) {
            d = diff_event(&le[i], &me[i]);
        }
        if (d == NULL && ln != mn) {
            d = "count";
        }
        if (d != NULL) {
            for (uint32_t k = 0; k < ln || k < mn; k++) {
                if (k < ln) {
                    print_event("ledger", &le[k]);
                }
                if (k < mn) {
                    print_event("model ", &me[k]);
                }
            }
            fail(r,
                 "events after %" PRIu64 ": %s differs (ledger first %" PRIu64
                 " last %" PRIu64 " n=%" PRIu32 ", model first %" PRIu64
                 " last %" PRIu64 " n=%" PRIu32 ")",
                 after, d, lf, ll, ln, mf, ml, mn);
        }
        r->cov.events += count ? mn : 0;
        if (mn < PAGE) {
            return ml;
        }
        after = me[mn - 1].seq;
    }
}

/* After every batch: the events it added (everything after ev_seen). */
static void compare_events(struct run *r)
{
    r->ev_seen = compare_feed(r, r->ev_seen, true);
}

/* The whole window (after a restore: the snapshot carries the feed). */
static void compare_window(struct run *r)
{
    compare_feed(r, 0, false);
}

/* READ_EVENTS through ledger_read: a cursor anywhere from before the
 * window's start to past its end (UINT64_MAX now and then: after + 1
 * once wrapped there and answered the whole window), pages of any size. */
static void compare_event_reads(struct run *r)
{
    uint64_t last = r->ev_seen;
    struct slot_read rd;
    for (int k = 0; k < 2; k++) {
        memset(&rd, 0, sizeof rd);
        rd.op = SLOT_READ_EVENTS;
        switch (rnd2(r, 5)) {
            case 0:
                rd.after_id = 0;
                break;
            case 1:
                rd.after_id = last > 8 ? last - 1 - rnd2(r, 8) : 0;
                break;
            case 2:
                rd.after_id = last + rnd2(r, 3);
                break;
            case 3:
                rd.after_id = rnd2(r, 50) == 0 ? UINT64_MAX : last / 2;
                break;
            default:
                rd.after_id = last > 0 ? rnd2(r, (uint32_t)last) : 0;
        }
        rd.limit = rnd2(r, 3) == 0 ? 1 + rnd2(r, 4) : SLOT_LIST_MAX;
        compare_encoded_read(r, &rd);
    }
}

static void check_ledger(struct run *r)
{
    char why[256] = "";
    if (!ledger_check(r->l, why, sizeof why)) {
        fail(r, "ledger_check: %s", why);
    }
}

/* Snapshot, restore, verify the copy, continue on the copy. */
static void snapshot_restore(struct run *r)
{
    struct mp_buf a, b;
    mp_buf_init(&a);
    mp_buf_init(&b);
    ledger_snapshot(r->l, &a);
    struct ledger *copy = NULL;
    int rc = ledger_restore(a.data, a.len, &copy);
    if (rc != SLOT_OK || copy == NULL) {
        /* the pools, to see what the snapshot could not take back */
        for (uint32_t i = 0; i < refmodel_pool_count(r->m); i++) {
            struct slot_pool_status st;
            const char *id = refmodel_pool_id(r->m, i);
            if (ledger_read_pool(r->l, sstr(id), &st) == SLOT_OK) {
                print_pool("ledger", &st);
            }
        }
        fail(r, "ledger_restore of a fresh %zu-byte snapshot: %s", a.len,
             code_name(rc));
    }
    if (ledger_state_hash(copy) != ledger_state_hash(r->l)) {
        fail(r, "state hash differs after restore");
    }
    ledger_snapshot(copy, &b);
    if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0) {
        fail(r, "snapshot of the restored ledger differs (%zu vs %zu bytes)",
             a.len, b.len);
    }
    mp_buf_free(&a);
    mp_buf_free(&b);
    ledger_destroy(r->l);
    r->l = copy;
    r->cov.snapshots++;
    check_ledger(r);
    compare_info(r);
    compare_window(r);
    compare_money_reads(r, r->pf->money_pct > 0 ? 4u : 1u);
}

/* Encodes the batch as a Raft entry, decodes it, checks the decoded
 * commands against the originals, and applies the decoded ones. */
static void apply_via_codec(struct run *r, uint64_t index, uint64_t stamp,
                            const struct slot_cmd *cmds, uint32_t n,
                            struct slot_result *res)
{
    static struct slot_cmd dec[SLOT_BATCH_CMDS_MAX];
    struct slot_entry_builder e;
    uint64_t origin = stamp * 31 + n; /* any value; must round-trip */
    slot_entry_begin(&e, stamp, origin);
    for (uint32_t i = 0; i < n; i++) {
        mp_buf_reset(&r->enc);
        slot_cmd_encode(&r->enc, &cmds[i]);
        slot_entry_add(&e, r->enc.data, r->enc.len);
    }
    size_t len = 0;
    void *entry = slot_entry_finish(&e, &len);
    slot_entry_builder_free(&e);
    uint64_t dstamp = 0, dorigin = 0;
    uint32_t dn = 0;
    int rc = slot_entry_decode(entry, len, &dstamp, &dorigin, dec, &dn);
    if (rc != SLOT_OK || dn != n || dstamp != stamp || dorigin != origin ||
        len % 8 != 0) {
        fail(r,
             "entry round trip: %s, %" PRIu32 "/%" PRIu32
             " commands, stamp %" PRIu64 "/%" PRIu64 ", %zu bytes",
             code_name(rc), dn, n, dstamp, stamp, len);
    }
    for (uint32_t i = 0; i < n; i++) {
        if (dec[i].op != cmds[i].op || dec[i].session != cmds[i].session ||
            dec[i].seq != cmds[i].seq ||
            dec[i].fingerprint != cmds[i].fingerprint) {
            fail(r, "entry round trip changed command %" PRIu32, i);
        }
    }
    if (index == 0) {
        ledger_apply(r->l, dstamp, dec, dn, res);
    } else {
        ledger_apply_at(r->l, index, dstamp, dec, dn, res);
    }
    /* The decoded strings die with the entry: the ledger must have copied
     * whatever it keeps (AddressSanitizer catches it if not). */
    free(entry);
}

static void run_step(struct run *r)
{
    struct slot_cmd cmds[BATCH_LIMIT];
    struct slot_result lres[BATCH_LIMIT], mres[BATCH_LIMIT];
    uint64_t stamp = gen_stamp(r);
    uint32_t n = 1 + rnd(r, r->pf->batch_max != 0 ? r->pf->batch_max : 8);
    r->holds_in_batch = 0;
    /* A burst: a batch of rule changes of one hospital, so that its change
     * log overflows LEDGER_RULES_LOG_MAX now and then. */
    r->burst = chance(r, r->pf->burst_pct);
    r->burst_hospital = rnd(r, N_RULED);
    for (uint32_t i = 0; i < n; i++) {
        gen_cmd(r, &cmds[i]);
    }
    r->burst = false;
    bool codec = chance(r, r->pf->codec_pct);

    memset(lres, 0xa5, sizeof lres); /* a result left unwritten shows */
    r->cov.codec += codec;
    if (r->verbose) {
        /* the batch before it runs: a crash in it still shows it */
        printf("step %" PRIu32 " stamp %" PRIu64 "%s\n", r->step, stamp,
               codec ? " (codec)" : "");
        for (uint32_t i = 0; i < n; i++) {
            char cb[1024];
            fmt_cmd(&cmds[i], cb, sizeof cb);
            printf("  [%" PRIu32 "] %s\n", i, cb);
        }
        fflush(stdout);
    }
    /* The Raft index the events carry: the next one, now and then a gap
     * (entries that were not commands), or 0 (ledger_apply). From rng2:
     * the command stream of a seed does not depend on it. */
    r->raft_index += 1 + (rnd2(r, 10) == 0 ? rnd2(r, 5) : 0);
    uint64_t index = rnd2(r, 20) == 0 ? 0 : r->raft_index;
    if (codec) {
        apply_via_codec(r, index, stamp, cmds, n, lres);
    } else if (index == 0) {
        ledger_apply(r->l, stamp, cmds, n, lres);
    } else {
        ledger_apply_at(r->l, index, stamp, cmds, n, lres);
    }
    if (index == 0) {
        refmodel_apply(r->m, stamp, cmds, n, mres);
    } else {
        refmodel_apply_at(r->m, index, stamp, cmds, n, mres);
    }

    if (r->verbose) {
        printf("  time %" PRIu64 "\n", refmodel_time_ms(r->m));
    }
    for (uint32_t i = 0; i < n; i++) {
        if (r->verbose) {
            char rb[128];
            fmt_result(&lres[i], rb, sizeof rb);
            printf("  [%" PRIu32 "] -> %s\n", i, rb);
        }
        check_result(r, cmds, n, i, &lres[i], &mres[i]);
        if (mres[i].code < 128) {
            r->cov.codes[cmds[i].op][mres[i].code]++;
        }
        r->cov.due_capped += cmds[i].op == SLOT_OP_EXPIRE &&
                             mres[i].b >= SLOT_EXPIRE_DUE_COUNT_MAX;
        /* A fresh result carries this batch's time; an older one was
         * stored by the session and answered again. */
        r->cov.replays += mres[i].time_ms < refmodel_time_ms(r->m);
    }
    compare_events(r);
    check_ledger(r);
}

static void stats_add(struct refmodel_stats *to, struct refmodel_stats x)
{
    to->not_released_minute += x.not_released_minute;
    to->closed_cutoff += x.closed_cutoff;
    to->closed_same_day += x.closed_same_day;
    to->closed_over += x.closed_over;
    to->elig_by_rule += x.elig_by_rule;
    to->elig_by_pool += x.elig_by_pool;
    to->group_share += x.group_share;
    to->protected_sold_out += x.protected_sold_out;
    to->ttl_default += x.ttl_default;
    to->ttl_rule_max += x.ttl_rule_max;
    to->visit_reused += x.visit_reused;
    to->unpaid += x.unpaid;
    to->flow_moved += x.flow_moved;
    to->flow_to_share += x.flow_to_share;
    to->flow_kept_held += x.flow_kept_held;
    to->import_created += x.import_created;
    to->import_unchanged += x.import_unchanged;
    to->import_same_flowed += x.import_same_flowed;
    to->log_dropped += x.log_dropped;
    to->early_by_policy += x.early_by_policy;
    for (int i = 0; i <= SLOT_QUOTA_ACCOUNT_MONTH_EXPERT; i++) {
        to->quota[i] += x.quota[i];
    }
    for (int i = 0; i <= SLOT_ACCOUNT_CHANGE_PATIENTS; i++) {
        to->account_rule[i] += x.account_rule[i];
    }
    to->not_bound_channel += x.not_bound_channel;
    to->owner_by_account += x.owner_by_account;
    to->cooled += x.cooled;
    to->cool_returned += x.cool_returned;
    to->unpaid_violation += x.unpaid_violation;
    to->blacklisted += x.blacklisted;
    to->exception_used += x.exception_used;
    to->exempt_hold += x.exempt_hold;
    to->late_cancel += x.late_cancel;
    to->late_blacklisted += x.late_blacklisted;
    to->cancel_same_day += x.cancel_same_day;
    to->standing_replaced += x.standing_replaced;
    to->bind_same += x.bind_same;
    to->change_joined += x.change_joined;
    to->offers += x.offers;
    to->offer_confirmed += x.offer_confirmed;
    to->offer_released += x.offer_released;
    to->offer_expired += x.offer_expired;
    to->offer_cooled += x.offer_cooled;
    to->offer_freed += x.offer_freed;
    to->wait_dropped += x.wait_dropped;
    to->skip_bound += x.skip_bound;
    to->offer_after_drop += x.offer_after_drop;
    to->offer_no_exception += x.offer_no_exception;
    to->join_exception += x.join_exception;
    to->leave_by_account += x.leave_by_account;
    to->wait_closed_kept += x.wait_closed_kept;
    to->stops += x.stops;
    to->stop_waiters += x.stop_waiters;
    to->stop_closed += x.stop_closed;
    to->confirm_stopped_kept += x.confirm_stopped_kept;
    to->refunds += x.refunds;
    to->refund_attended += x.refund_attended;
    to->moves += x.moves;
    to->move_attended += x.move_attended;
    to->move_expired_own += x.move_expired_own;
    to->checkins += x.checkins;
    to->checkin_paid += x.checkin_paid;
    to->checkin_closed_by_late += x.checkin_closed_by_late;
    to->noshow_marked += x.noshow_marked;
    to->noshow_blacklisted += x.noshow_blacklisted;
    to->noshow_dropped_stopped += x.noshow_dropped_stopped;
    to->noshow_dropped_rule += x.noshow_dropped_rule;
    to->noshow_put_back += x.noshow_put_back;
    to->stopped_expiry_excused += x.stopped_expiry_excused;
    for (int i = 0; i <= SLOT_EV_MAX; i++) {
        to->ev_types[i] += x.ev_types[i];
    }
    to->ev_dropped_old += x.ev_dropped_old;
    to->ev_dropped_max += x.ev_dropped_max;
    to->ev_refused += x.ev_refused;
    to->ev_offer_late += x.ev_offer_late;
    to->ev_offer_expired_own += x.ev_offer_expired_own;
    to->method_full_confirm += x.method_full_confirm;
    to->method_full_checkin += x.method_full_checkin;
    to->paid_cancelled += x.paid_cancelled;
    to->paid_refunded += x.paid_refunded;
    to->paid_moved += x.paid_moved;
    to->recon_too_old += x.recon_too_old;
    to->paid_fee_changed += x.paid_fee_changed;
    to->recon_dropped += x.recon_dropped;
    to->recon_other_day += x.recon_other_day;
    if (x.wait_longest > to->wait_longest) {
        to->wait_longest = x.wait_longest;
    }
}

static void run_seed(const struct profile *pf, uint64_t seed, bool verbose,
                     struct cover *cov)
{
    struct run *r = calloc(1, sizeof *r);
    CHECK(r != NULL);
    r->pf = pf;
    r->seed = seed;
    r->verbose = verbose;
    r->rng = seed;
    r->rng2 = seed ^ 0x5eed5eed5eed5eedull;
    r->rng3 = seed ^ 0x9a1d9a1d9a1d9a1dull;
    r->l = ledger_create();
    r->m = refmodel_create();
    CHECK(r->l != NULL);
    mp_buf_init(&r->enc);
    /* Start at a realistic epoch-ms clock, somewhere in a day. */
    r->clock_ms = 1700000000000ull + rnd(r, 86400000);

    for (r->step = 0; r->step < opt.steps; r->step++) {
        run_step(r);
        if (verbose && pf->weight[K_JOIN] > 0) {
            /* a replay finds the batch that made the lists differ */
            compare_waitlists(r, true);
        }
        if (rnd2(r, r->pf->read_every) == 0) {
            compare_reads(r, false);
        }
        if (rnd2(r, r->pf->snap_every) == 0) {
            snapshot_restore(r);
        }
    }
    compare_reads(r, true);
    compare_window(r);

    if (cov != NULL) {
        for (int op = 0; op <= SLOT_OP_MAX; op++) {
            for (int c = 0; c < 128; c++) {
                cov->codes[op][c] += r->cov.codes[op][c];
            }
        }
        cov->snapshots += r->cov.snapshots;
        cov->codec += r->cov.codec;
        cov->due_capped += r->cov.due_capped;
        cov->replays += r->cov.replays;
        cov->sched_reads += r->cov.sched_reads;
        cov->patient_reads += r->cov.patient_reads;
        cov->encoded_p3 += r->cov.encoded_p3;
        cov->wait_reads += r->cov.wait_reads;
        cov->wait_reads_on += r->cov.wait_reads_on;
        cov->pool_claims_reads += r->cov.pool_claims_reads;
        cov->events += r->cov.events;
        cov->event_reads += r->cov.event_reads;
        cov->event_reads_gap += r->cov.event_reads_gap;
        cov->recon_reads += r->cov.recon_reads;
        cov->recon_rows += r->cov.recon_rows;
        cov->recon_filtered += r->cov.recon_filtered;
        cov->recon_paged += r->cov.recon_paged;
        cov->recon_empty_day += r->cov.recon_empty_day;
        cov->recon_nonzero |= r->cov.recon_nonzero;
        cov->stats_reads += r->cov.stats_reads;
        cov->stats_rows += r->cov.stats_rows;
        cov->stats_paged += r->cov.stats_paged;
        stats_add(&cov->st, refmodel_stats(r->m));
    }
    for (uint32_t i = 0; i < r->n_kept; i++) {
        free(r->kept[i]);
    }
    free(r->kept);
    mp_buf_free(&r->enc);
    ledger_destroy(r->l);
    refmodel_destroy(r->m);
    free(r);
}

/* ---- cases --------------------------------------------------------------- */

static void print_stats(const char *name, uint64_t codes[SLOT_OP_MAX + 1][128])
{
    printf("%s: results per op\n", name);
    for (int op = 1; op <= SLOT_OP_MAX; op++) {
        printf("  %-13s", slot_op_name(op));
        for (int c = 0; c < 128; c++) {
            if (codes[op][c] != 0) {
                printf(" %s=%" PRIu64, code_name(c), codes[op][c]);
            }
        }
        printf("\n");
    }
}

/* Results every case must produce at least once, even in a --quick run:
 * the refusals of each rule and the outcomes of each transition. */
static const struct {
    uint8_t op;
    uint16_t code;
} MUST[] = {
    {SLOT_OP_POOL_CREATE, SLOT_OK},
    {SLOT_OP_POOL_CREATE, SLOT_POOL_EXISTS},
    {SLOT_OP_POOL_UPDATE, SLOT_OK},
    {SLOT_OP_POOL_UPDATE, SLOT_CAPACITY_CONFLICT},
    {SLOT_OP_HOLD, SLOT_OK},
    {SLOT_OP_HOLD, SLOT_UNKNOWN_POOL},
    {SLOT_OP_HOLD, SLOT_NOT_RELEASED},
    {SLOT_OP_HOLD, SLOT_TTL_OUT_OF_RANGE},
    {SLOT_OP_HOLD, SLOT_PATIENT_HAS_CLAIM},
    {SLOT_OP_HOLD, SLOT_SOLD_OUT},
    {SLOT_OP_HOLD, SLOT_SESSION_UNKNOWN},
    {SLOT_OP_HOLD, SLOT_REQUEST_TOO_OLD},
    {SLOT_OP_HOLD, SLOT_REQUEST_MISMATCH},
    {SLOT_OP_CONFIRM, SLOT_OK},
    {SLOT_OP_CONFIRM, SLOT_UNKNOWN_HOLD},
    {SLOT_OP_CONFIRM, SLOT_HOLD_EXPIRED},
    {SLOT_OP_CONFIRM, SLOT_ALREADY_CONFIRMED},
    {SLOT_OP_CONFIRM, SLOT_ALREADY_RELEASED},
    {SLOT_OP_RELEASE, SLOT_OK},
    {SLOT_OP_RELEASE, SLOT_HOLD_EXPIRED},
    {SLOT_OP_CANCEL, SLOT_OK},
    {SLOT_OP_CANCEL, SLOT_UNKNOWN_BOOKING},
    {SLOT_OP_CANCEL, SLOT_ALREADY_CANCELLED},
    {SLOT_OP_EXPIRE, SLOT_OK},
};

static void must(const char *pf, bool ok, const char *what, uint64_t n)
{
    if (!ok) {
        fprintf(stderr,
                "case %s: %s happened %" PRIu64 " times: the generator no "
                "longer covers it\n",
                pf, what, n);
        exit(1);
    }
}

/* What every profile with schedules must produce. */
static const struct {
    uint8_t op;
    uint16_t code;
} MUST_SCHED[] = {
    {SLOT_OP_RULES_SET, SLOT_OK},
    {SLOT_OP_RULES_SET, SLOT_UNKNOWN_HOSPITAL},
    {SLOT_OP_RULES_SET, SLOT_INVALID_ARGUMENT},
    {SLOT_OP_POOL_CREATE, SLOT_UNKNOWN_HOSPITAL},
    {SLOT_OP_POOL_UPDATE, SLOT_UNKNOWN_HOSPITAL},
    {SLOT_OP_POOL_UPDATE, SLOT_INVALID_ARGUMENT},
    {SLOT_OP_HOLD, SLOT_CHANNEL_NOT_ALLOWED},
    {SLOT_OP_HOLD, SLOT_OUTSIDE_HORIZON},
    {SLOT_OP_HOLD, SLOT_BOOKING_CLOSED},
    {SLOT_OP_CONFIRM, SLOT_PAYMENT_REQUIRED},
    {SLOT_OP_SCHEDULE_IMPORT, SLOT_OK},
    {SLOT_OP_SCHEDULE_IMPORT, SLOT_SCHEDULE_CONFLICT},
    {SLOT_OP_SCHEDULE_IMPORT, SLOT_UNKNOWN_HOSPITAL},
    {SLOT_OP_SWEEP, SLOT_OK},
};

static void check_sched_cover(const struct profile *pf, const struct cover *c)
{
    for (size_t i = 0; i < sizeof MUST_SCHED / sizeof MUST_SCHED[0]; i++) {
        uint64_t n = c->codes[MUST_SCHED[i].op][MUST_SCHED[i].code];
        char what[96];
        snprintf(what, sizeof what, "%s -> %s", slot_op_name(MUST_SCHED[i].op),
                 code_name(MUST_SCHED[i].code));
        must(pf->name, n > 0, what, n);
    }
    const struct refmodel_stats *s = &c->st;
    static const char *const names[] = {
        "HOLD -> NOT_RELEASED by the release minute",
        "HOLD -> BOOKING_CLOSED by the cut-off",
        "HOLD -> BOOKING_CLOSED by a policy without same-day booking",
        "HOLD -> BOOKING_CLOSED after the visit day or segment",
        "HOLD -> CHANNEL_NOT_ALLOWED by an eligibility rule",
        "HOLD -> CHANNEL_NOT_ALLOWED by the pool's own list",
        "a HOLD from a share naming a group",
        "HOLD -> SOLD_OUT with a free remainder the channel may not use",
        "a HOLD with ttl 0 given the rules' payment window",
        "HOLD -> TTL_OUT_OF_RANGE by the rules' pay_ttl_max_ms",
        "a CONFIRM without a reference booking a pay-at-visit pool",
        "a flow-back that moved slots",
        "a flow-back into a named share",
        "a flow-back leaving held or booked slots in their share",
        "an import that created pools",
        "an import that changed nothing",
        "an import that found a flowed-back pool unchanged (shares by spec)",
        "a HOLD before the day opens under the rules' horizon (its policy's "
        "is longer)",
        "a schedule read (query, rules, log, check) that answered OK",
    };
    const uint64_t counts[] = {
        s->not_released_minute,
        s->closed_cutoff,
        s->closed_same_day,
        s->closed_over,
        s->elig_by_rule,
        s->elig_by_pool,
        s->group_share,
        s->protected_sold_out,
        s->ttl_default,
        s->ttl_rule_max,
        s->unpaid,
        s->flow_moved,
        s->flow_to_share,
        s->flow_kept_held,
        s->import_created,
        s->import_unchanged,
        s->import_same_flowed,
        s->early_by_policy,
        c->sched_reads,
    };
    _Static_assert(sizeof names / sizeof names[0] ==
                       sizeof counts / sizeof counts[0],
                   "one name per count");
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        must(pf->name, counts[i] > 0, names[i], counts[i]);
    }
    if (pf->burst_pct > 0) {
        must(pf->name, s->log_dropped > 0,
             "a rule change that dropped the oldest of a full change log",
             s->log_dropped);
    }
}

/* What the profile of the patient rules must produce: every new refusal
 * of every command that has it, the new commands' successes, and the
 * events behind them. A rule the ledger stops applying (or applies
 * where it should not) then shows as a difference with the model, and a
 * generator that stops reaching a rule fails here. */
static const struct {
    uint8_t op;
    uint16_t code;
} MUST_PATIENTS[] = {
    {SLOT_OP_HOLD, SLOT_NOT_BOUND},
    {SLOT_OP_HOLD, SLOT_BLACKLISTED},
    {SLOT_OP_HOLD, SLOT_CANCEL_LIMIT},
    {SLOT_OP_HOLD, SLOT_QUOTA_EXCEEDED},
    {SLOT_OP_CONFIRM, SLOT_NOT_OWNER},
    {SLOT_OP_RELEASE, SLOT_NOT_OWNER},
    {SLOT_OP_CANCEL, SLOT_NOT_OWNER},
    {SLOT_OP_CANCEL, SLOT_CANCEL_CLOSED},
    {SLOT_OP_ACCOUNT_BIND, SLOT_OK},
    {SLOT_OP_ACCOUNT_BIND, SLOT_ACCOUNT_LIMIT},
    {SLOT_OP_ACCOUNT_UNBIND, SLOT_OK},
    {SLOT_OP_ACCOUNT_UNBIND, SLOT_NOT_BOUND},
    {SLOT_OP_ACCOUNT_UNBIND, SLOT_ACCOUNT_LIMIT},
    {SLOT_OP_VIOLATION, SLOT_OK},
    {SLOT_OP_VIOLATION, SLOT_UNKNOWN_HOSPITAL},
    {SLOT_OP_UNBLOCK, SLOT_OK},
    {SLOT_OP_UNBLOCK, SLOT_UNKNOWN_HOSPITAL},
    {SLOT_OP_EXCEPTION, SLOT_OK},
    {SLOT_OP_EXCEPTION, SLOT_UNKNOWN_HOSPITAL},
    {SLOT_OP_SWEEP, SLOT_OK},
};

static void print_patient_stats(const struct cover *c)
{
    static const int codes[] = {SLOT_QUOTA_EXCEEDED, SLOT_CANCEL_CLOSED,
                                SLOT_CANCEL_LIMIT,   SLOT_BLACKLISTED,
                                SLOT_ACCOUNT_LIMIT,  SLOT_NOT_BOUND,
                                SLOT_NOT_OWNER};
    printf("  protocol 3 codes (all ops):");
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        uint64_t n = 0;
        for (int op = 0; op <= SLOT_OP_MAX; op++) {
            n += c->codes[op][codes[i]];
        }
        printf(" %s=%" PRIu64, code_name(codes[i]), n);
    }
    const struct refmodel_stats *st = &c->st;
    printf("\n  quota by kind 1-6: %" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64
           "/%" PRIu64 "/%" PRIu64 ", account rule 1-4: %" PRIu64 "/%" PRIu64
           "/%" PRIu64 "/%" PRIu64 "\n",
           st->quota[1], st->quota[2], st->quota[3], st->quota[4], st->quota[5],
           st->quota[6], st->account_rule[1], st->account_rule[2],
           st->account_rule[3], st->account_rule[4]);
    printf("  account quota by kind 11-15: %" PRIu64 "/%" PRIu64 "/%" PRIu64
           "/%" PRIu64 "/%" PRIu64 ", late cancels %" PRIu64
           " (blacklisting %" PRIu64 ")\n",
           st->quota[11], st->quota[12], st->quota[13], st->quota[14],
           st->quota[15], st->late_cancel, st->late_blacklisted);
    printf("  not bound by channel %" PRIu64 ", owner by account %" PRIu64
           ", cooled %" PRIu64 ", cool returned %" PRIu64
           ", unpaid violations %" PRIu64 ", blacklisted %" PRIu64
           ", exception used %" PRIu64 ", exempt holds %" PRIu64
           ", same-day cancels %" PRIu64 ", standings replaced %" PRIu64
           ", binds unchanged %" PRIu64 ", unbinds joining a change %" PRIu64
           ", patient reads %" PRIu64 ", encoded p3 reads %" PRIu64 "\n",
           st->not_bound_channel, st->owner_by_account, st->cooled,
           st->cool_returned, st->unpaid_violation, st->blacklisted,
           st->exception_used, st->exempt_hold, st->cancel_same_day,
           st->standing_replaced, st->bind_same, st->change_joined,
           c->patient_reads, c->encoded_p3);
}

static void check_patient_cover(const struct profile *pf, const struct cover *c)
{
    for (size_t i = 0; i < sizeof MUST_PATIENTS / sizeof MUST_PATIENTS[0];
         i++) {
        uint64_t n = c->codes[MUST_PATIENTS[i].op][MUST_PATIENTS[i].code];
        char what[96];
        snprintf(what, sizeof what, "%s -> %s",
                 slot_op_name(MUST_PATIENTS[i].op),
                 code_name(MUST_PATIENTS[i].code));
        must(pf->name, n > 0, what, n);
    }
    const struct refmodel_stats *s = &c->st;
    static const char *const names[] = {
        "HOLD -> QUOTA_EXCEEDED (day_normal)",
        "HOLD -> QUOTA_EXCEEDED (day_expert)",
        "HOLD -> QUOTA_EXCEEDED (dept_expert)",
        "HOLD -> QUOTA_EXCEEDED (month_normal)",
        "HOLD -> QUOTA_EXCEEDED (month_expert)",
        "HOLD -> QUOTA_EXCEEDED (active)",
        "ACCOUNT_LIMIT (full)",
        "ACCOUNT_LIMIT (elsewhere)",
        "ACCOUNT_LIMIT (changes)",
        "ACCOUNT_LIMIT (change_patients)",
        "HOLD -> NOT_BOUND through an account channel without account",
        "ownership granted by the bound account",
        "a cancel that sent its slot to cooling",
        "a SWEEP that returned a cooling slot",
        "an expiry recorded as an UNPAID violation",
        "a violation that blacklisted",
        "a HOLD let through by a pending exception",
        "a blacklisted patient's HOLD through an exempt channel",
        "a CANCEL after the deadline allowed by the same-day rule",
        "an ACCOUNT_BIND of a bound pair (nothing changes)",
        "an ACCOUNT_UNBIND joining an open change",
        "a PATIENT_INFO read compared",
        "a protocol 3 read compared byte for byte",
        /* SLOT_QUOTA_ACCOUNT + 1 .. 5 */
        "HOLD -> QUOTA_EXCEEDED (account_day_normal)",
        "HOLD -> QUOTA_EXCEEDED (account_day_expert)",
        "HOLD -> QUOTA_EXCEEDED (account_dept_expert)",
        "HOLD -> QUOTA_EXCEEDED (account_month_normal)",
        "HOLD -> QUOTA_EXCEEDED (account_month_expert)",
        "a CANCEL recorded as a LATE_CANCEL violation",
        "a LATE_CANCEL violation that blacklisted",
    };
    const uint64_t counts[] = {
        s->quota[1],        s->quota[2],          s->quota[3],
        s->quota[4],        s->quota[5],          s->quota[6],
        s->account_rule[1], s->account_rule[2],   s->account_rule[3],
        s->account_rule[4], s->not_bound_channel, s->owner_by_account,
        s->cooled,          s->cool_returned,     s->unpaid_violation,
        s->blacklisted,     s->exception_used,    s->exempt_hold,
        s->cancel_same_day, s->bind_same,         s->change_joined,
        c->patient_reads,   c->encoded_p3,        s->quota[11],
        s->quota[12],       s->quota[13],         s->quota[14],
        s->quota[15],       s->late_cancel,       s->late_blacklisted,
    };
    _Static_assert(sizeof names / sizeof names[0] ==
                       sizeof counts / sizeof counts[0],
                   "one name per count");
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        must(pf->name, counts[i] > 0, names[i], counts[i]);
    }
}

/* What the waitlist profile must produce: every refusal of WAITLIST_JOIN
 * and WAITLIST_LEAVE its universe reaches (all but LIMIT_REACHED: the
 * waitlist, patient and channel tables are far bigger than it), and the
 * life of an offer. */
static const struct {
    uint8_t op;
    uint16_t code;
} MUST_WAIT[] = {
    {SLOT_OP_WAITLIST_JOIN, SLOT_OK},
    {SLOT_OP_WAITLIST_JOIN, SLOT_UNKNOWN_POOL},
    {SLOT_OP_WAITLIST_JOIN, SLOT_POOL_CLOSED},
    {SLOT_OP_WAITLIST_JOIN, SLOT_CHANNEL_NOT_ALLOWED},
    {SLOT_OP_WAITLIST_JOIN, SLOT_NOT_RELEASED},
    {SLOT_OP_WAITLIST_JOIN, SLOT_BOOKING_CLOSED},
    {SLOT_OP_WAITLIST_JOIN, SLOT_NOT_BOUND},
    {SLOT_OP_WAITLIST_JOIN, SLOT_BLACKLISTED},
    {SLOT_OP_WAITLIST_JOIN, SLOT_CANCEL_LIMIT},
    {SLOT_OP_WAITLIST_JOIN, SLOT_PATIENT_HAS_CLAIM},
    {SLOT_OP_WAITLIST_JOIN, SLOT_QUOTA_EXCEEDED},
    {SLOT_OP_WAITLIST_JOIN, SLOT_ALREADY_WAITING},
    {SLOT_OP_WAITLIST_JOIN, SLOT_NOT_SOLD_OUT},
    {SLOT_OP_WAITLIST_JOIN, SLOT_SESSION_UNKNOWN},
    {SLOT_OP_WAITLIST_LEAVE, SLOT_OK},
    {SLOT_OP_WAITLIST_LEAVE, SLOT_UNKNOWN_POOL},
    {SLOT_OP_WAITLIST_LEAVE, SLOT_NOT_WAITING},
    {SLOT_OP_WAITLIST_LEAVE, SLOT_NOT_OWNER},
    {SLOT_OP_CANCEL, SLOT_OK},
    {SLOT_OP_CONFIRM, SLOT_OK},
    {SLOT_OP_RELEASE, SLOT_OK},
    {SLOT_OP_SWEEP, SLOT_OK},
};

static void print_wait_stats(const struct cover *c)
{
    const struct refmodel_stats *st = &c->st;
    printf("  offers %" PRIu64 " (after drops %" PRIu64 "), confirmed %" PRIu64
           ", released %" PRIu64 ", expired %" PRIu64 ", cooled %" PRIu64
           ", freed at once %" PRIu64 "; waiters dropped %" PRIu64
           ", skip bound hit %" PRIu64 ", exception no help %" PRIu64
           ", joins on an exception %" PRIu64 ", leaves by account %" PRIu64
           ", cancels in closed pools with waiters %" PRIu64
           ", longest list at a cancel %" PRIu64 ", waitlist reads %" PRIu64
           " (on the list %" PRIu64 ")\n",
           st->offers, st->offer_after_drop, st->offer_confirmed,
           st->offer_released, st->offer_expired, st->offer_cooled,
           st->offer_freed, st->wait_dropped, st->skip_bound,
           st->offer_no_exception, st->join_exception, st->leave_by_account,
           st->wait_closed_kept, st->wait_longest, c->wait_reads,
           c->wait_reads_on);
}

static void check_wait_cover(const struct profile *pf, const struct cover *c)
{
    for (size_t i = 0; i < sizeof MUST_WAIT / sizeof MUST_WAIT[0]; i++) {
        uint64_t n = c->codes[MUST_WAIT[i].op][MUST_WAIT[i].code];
        char what[96];
        snprintf(what, sizeof what, "%s -> %s", slot_op_name(MUST_WAIT[i].op),
                 code_name(MUST_WAIT[i].code));
        must(pf->name, n > 0, what, n);
    }
    const struct refmodel_stats *s = &c->st;
    static const char *const names[] = {
        "a CANCEL that offered its slot to a waiter",
        "an offer made after dropping ineligible waiters",
        "an offer confirmed",
        "an offer declined (RELEASE)",
        "an offer lapsed (expired)",
        "a declined or lapsed offer cooling from its held_at_ms",
        "a declined or lapsed offer free at once (its cool-down over)",
        "an ineligible waiter dropped",
        "a CANCEL stopped by the skip bound",
        "a blacklisted waiter dropped though an exception was pending",
        "a WAITLIST_LEAVE allowed by the bound account",
        "a CANCEL in a closed pool with waiters (no offer)",
        "a cancel that sent its slot to cooling",
        "a SWEEP that returned a cooling slot",
        "a WAITLIST read compared",
        "a WAITLIST read finding the patient on the list",
    };
    const uint64_t counts[] = {
        s->offers,           s->offer_after_drop,
        s->offer_confirmed,  s->offer_released,
        s->offer_expired,    s->offer_cooled,
        s->offer_freed,      s->wait_dropped,
        s->skip_bound,       s->offer_no_exception,
        s->leave_by_account, s->wait_closed_kept,
        s->cooled,           s->cool_returned,
        c->wait_reads,       c->wait_reads_on,
    };
    _Static_assert(sizeof names / sizeof names[0] ==
                       sizeof counts / sizeof counts[0],
                   "one name per count");
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        must(pf->name, counts[i] > 0, names[i], counts[i]);
    }
}

/* What the visit profile must produce: each of the visit day's eight new
 * refusals, POOL_STOPPED from every command that has it, each refusal of
 * MOVE its universe reaches (all but LIMIT_REACHED), and each transition
 * of the visit day. */
static const struct {
    uint8_t op;
    uint16_t code;
} MUST_VISIT[] = {
    {SLOT_OP_POOL_STOP, SLOT_OK},
    {SLOT_OP_POOL_STOP, SLOT_UNKNOWN_POOL},
    {SLOT_OP_POOL_STOP, SLOT_POOL_STOPPED},
    {SLOT_OP_HOLD, SLOT_POOL_STOPPED},
    {SLOT_OP_WAITLIST_JOIN, SLOT_POOL_STOPPED},
    {SLOT_OP_CONFIRM, SLOT_POOL_STOPPED},
    {SLOT_OP_POOL_CLOSE, SLOT_POOL_STOPPED},
    {SLOT_OP_POOL_UPDATE, SLOT_POOL_STOPPED},
    {SLOT_OP_MOVE, SLOT_OK},
    {SLOT_OP_MOVE, SLOT_UNKNOWN_BOOKING},
    {SLOT_OP_MOVE, SLOT_NOT_OWNER},
    {SLOT_OP_MOVE, SLOT_ALREADY_CANCELLED},
    {SLOT_OP_MOVE, SLOT_NO_SHOW},
    {SLOT_OP_MOVE, SLOT_NOT_STOPPED},
    {SLOT_OP_MOVE, SLOT_UNKNOWN_POOL},
    {SLOT_OP_MOVE, SLOT_MOVE_MISMATCH},
    {SLOT_OP_MOVE, SLOT_POOL_STOPPED},
    {SLOT_OP_MOVE, SLOT_POOL_CLOSED},
    {SLOT_OP_MOVE, SLOT_BOOKING_CLOSED},
    {SLOT_OP_MOVE, SLOT_PATIENT_HAS_CLAIM},
    {SLOT_OP_MOVE, SLOT_SOLD_OUT},
    {SLOT_OP_CHECKIN, SLOT_OK},
    {SLOT_OP_CHECKIN, SLOT_UNKNOWN_BOOKING},
    {SLOT_OP_CHECKIN, SLOT_PATIENT_MISMATCH},
    {SLOT_OP_CHECKIN, SLOT_ALREADY_CANCELLED},
    {SLOT_OP_CHECKIN, SLOT_POOL_STOPPED},
    {SLOT_OP_CHECKIN, SLOT_ALREADY_CHECKED_IN},
    {SLOT_OP_CHECKIN, SLOT_NO_SHOW},
    {SLOT_OP_CHECKIN, SLOT_CHECKIN_NOT_OPEN},
    {SLOT_OP_CHECKIN, SLOT_CHECKIN_CLOSED},
    {SLOT_OP_CANCEL, SLOT_OK},
    {SLOT_OP_CANCEL, SLOT_ALREADY_CHECKED_IN},
    {SLOT_OP_CANCEL, SLOT_NO_SHOW},
    {SLOT_OP_CANCEL, SLOT_ALREADY_CANCELLED},
    {SLOT_OP_SWEEP, SLOT_OK},
};

static void print_visit_stats(const struct cover *c)
{
    const struct refmodel_stats *st = &c->st;
    printf("  stops %" PRIu64 " (of closed pools %" PRIu64
           ", waiters dropped %" PRIu64
           "), confirms refused on a live hold %" PRIu64 ", refunds %" PRIu64
           " (attended %" PRIu64 "), moves %" PRIu64 " (attended %" PRIu64
           ", expiring the patient's own hold %" PRIu64 "), check-ins %" PRIu64
           " (paying %" PRIu64 "), closed by checkin_late %" PRIu64
           ", no-shows %" PRIu64 " (blacklisting %" PRIu64
           "), dropped stopped/rule %" PRIu64 "/%" PRIu64 ", put back %" PRIu64
           ", POOL_CLAIMS reads %" PRIu64 "\n",
           st->stops, st->stop_closed, st->stop_waiters,
           st->confirm_stopped_kept, st->refunds, st->refund_attended,
           st->moves, st->move_attended, st->move_expired_own, st->checkins,
           st->checkin_paid, st->checkin_closed_by_late, st->noshow_marked,
           st->noshow_blacklisted, st->noshow_dropped_stopped,
           st->noshow_dropped_rule, st->noshow_put_back, c->pool_claims_reads);
}

static void check_visit_cover(const struct profile *pf, const struct cover *c)
{
    for (size_t i = 0; i < sizeof MUST_VISIT / sizeof MUST_VISIT[0]; i++) {
        uint64_t n = c->codes[MUST_VISIT[i].op][MUST_VISIT[i].code];
        char what[96];
        snprintf(what, sizeof what, "%s -> %s", slot_op_name(MUST_VISIT[i].op),
                 code_name(MUST_VISIT[i].code));
        must(pf->name, n > 0, what, n);
    }
    const struct refmodel_stats *s = &c->st;
    static const char *const names[] = {
        "a stop that emptied a waitlist",
        "a CONFIRM of a live hold refused in a stopped pool",
        "a refund (CANCEL of a stopped clinic's booking)",
        "a refund of a checked-in booking",
        "a stopped clinic's hold expiring without its UNPAID violation",
        "a MOVE",
        "a CHECKIN",
        "a CHECKIN paying an unpaid booking",
        "CHECKIN_CLOSED by checkin_late_ms before the segment ends",
        "a no-show marked by SWEEP",
        "a no-show violation that blacklisted",
        "a no-show entry dropped because its pool stopped",
        "a no-show entry dropped because the rules no longer sweep",
        "a no-show entry put back after a rule change",
        "a POOL_CLAIMS read compared byte for byte",
    };
    const uint64_t counts[] = {
        s->stop_waiters,
        s->confirm_stopped_kept,
        s->refunds,
        s->refund_attended,
        s->stopped_expiry_excused,
        s->moves,
        s->checkins,
        s->checkin_paid,
        s->checkin_closed_by_late,
        s->noshow_marked,
        s->noshow_blacklisted,
        s->noshow_dropped_stopped,
        s->noshow_dropped_rule,
        s->noshow_put_back,
        c->pool_claims_reads,
    };
    _Static_assert(sizeof names / sizeof names[0] ==
                       sizeof counts / sizeof counts[0],
                   "one name per count");
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        must(pf->name, counts[i] > 0, names[i], counts[i]);
    }
}

/* The money case's MUST list: the pay-method table full on CONFIRM and
 * on a paying CHECKIN, a check-in that pays, a paid booking cancelled, one
 * refunded, one moved, a cancel or refund after its pool's fee changed,
 * RECON reads with rows (filtered, paged) and of a day without any, STATS
 * reads with groups (paged), and every counter of a row nonzero in some
 * read. */
static void print_money_stats(const struct cover *c)
{
    const struct refmodel_stats *st = &c->st;
    printf("  methods full confirm/checkin %" PRIu64 "/%" PRIu64
           ", paid cancelled/refunded/moved %" PRIu64 "/%" PRIu64 "/%" PRIu64
           ", after a fee change %" PRIu64 ", check-ins paying %" PRIu64
           ", rows dropped %" PRIu64 ", counted on a later day %" PRIu64
           ", RECON reads %" PRIu64 " (rows %" PRIu64 ", filtered %" PRIu64
           ", paged %" PRIu64 ", empty %" PRIu64
           "), counters seen 0x%x, STATS reads %" PRIu64 " (rows %" PRIu64
           ", paged %" PRIu64 ")\n",
           st->method_full_confirm, st->method_full_checkin, st->paid_cancelled,
           st->paid_refunded, st->paid_moved, st->paid_fee_changed,
           st->checkin_paid, st->recon_dropped, st->recon_other_day,
           c->recon_reads, c->recon_rows, c->recon_filtered, c->recon_paged,
           c->recon_empty_day, c->recon_nonzero, c->stats_reads, c->stats_rows,
           c->stats_paged);
}

static void check_money_cover(const struct profile *pf, const struct cover *c)
{
    static const char *const counters[] = {
        "booked",          "booked_cents",
        "checkin_paid",    "checkin_paid_cents",
        "checked_in",      "cancelled",
        "cancelled_cents", "refunded",
        "refunded_cents",  "moved",
        "no_show"};
    const struct refmodel_stats *s = &c->st;
    static const char *const names[] = {
        "CONFIRM -> LIMIT_REACHED (the pay-method table full)",
        "CHECKIN -> LIMIT_REACHED (paying with a new method, table full)",
        "a CHECKIN paying an unpaid booking",
        "a paid booking cancelled",
        "a paid booking refunded (its clinic stopped)",
        "a paid booking moved",
        "a paid booking cancelled or refunded after its pool's fee changed",
        "reconciliation rows dropped past LEDGER_RECON_DAYS_KEPT",
        "a booking's cancel, check-in, move or no-show on a later local day",
        "a RECON read with rows",
        "a RECON read with rows filtered by hospital or channel",
        "a RECON read with rows, after > 0",
        "a RECON read of a day without rows",
        "a STATS read with groups",
        "a STATS read with groups, after > 0",
        "a MOVE",
        "a no-show",
    };
    const uint64_t counts[] = {
        s->method_full_confirm, s->method_full_checkin,
        s->checkin_paid,        s->paid_cancelled,
        s->paid_refunded,       s->paid_moved,
        s->paid_fee_changed,    s->recon_dropped,
        s->recon_other_day,     c->recon_rows,
        c->recon_filtered,      c->recon_paged,
        c->recon_empty_day,     c->stats_rows,
        c->stats_paged,         s->moves,
        s->noshow_marked,
    };
    _Static_assert(sizeof names / sizeof names[0] ==
                       sizeof counts / sizeof counts[0],
                   "one name per count");
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        must(pf->name, counts[i] > 0, names[i], counts[i]);
    }
    for (uint32_t k = 0; k < N_OF(counters); k++) {
        char what[64];
        snprintf(what, sizeof what, "a RECON row with %s nonzero", counters[k]);
        must(pf->name, (c->recon_nonzero >> k) & 1u, what,
             (c->recon_nonzero >> k) & 1u);
    }
}

/* Fails the case if its seeds did not exercise what it is there for. */
static void check_cover(const struct profile *pf, const struct cover *c)
{
    for (size_t i = 0; i < sizeof MUST / sizeof MUST[0]; i++) {
        uint64_t n = c->codes[MUST[i].op][MUST[i].code];
        char what[96];
        snprintf(what, sizeof what, "%s -> %s", slot_op_name(MUST[i].op),
                 code_name(MUST[i].code));
        must(pf->name, n > 0, what, n);
    }
    must(pf->name, c->snapshots > 0, "snapshot + restore", c->snapshots);
    must(pf->name, c->codec > 0, "a batch through the codec", c->codec);
    must(pf->name, c->replays > 0, "a retry answered from the session",
         c->replays);
    if (pf->weight[K_CLOSE] > 0) {
        must(pf->name, c->codes[SLOT_OP_POOL_CLOSE][SLOT_OK] > 0,
             "POOL_CLOSE -> OK", c->codes[SLOT_OP_POOL_CLOSE][SLOT_OK]);
        must(pf->name, c->codes[SLOT_OP_HOLD][SLOT_POOL_CLOSED] > 0,
             "HOLD -> POOL_CLOSED", c->codes[SLOT_OP_HOLD][SLOT_POOL_CLOSED]);
    }
    if (pf->channels == MANY_CHANNELS) {
        must(pf->name, c->codes[SLOT_OP_HOLD][SLOT_LIMIT_REACHED] > 0,
             "HOLD -> LIMIT_REACHED",
             c->codes[SLOT_OP_HOLD][SLOT_LIMIT_REACHED]);
        must(pf->name, c->codes[SLOT_OP_POOL_UPDATE][SLOT_LIMIT_REACHED] > 0,
             "POOL_UPDATE -> LIMIT_REACHED",
             c->codes[SLOT_OP_POOL_UPDATE][SLOT_LIMIT_REACHED]);
        must(pf->name,
             c->codes[SLOT_OP_SCHEDULE_IMPORT][SLOT_LIMIT_REACHED] > 0,
             "SCHEDULE_IMPORT -> LIMIT_REACHED",
             c->codes[SLOT_OP_SCHEDULE_IMPORT][SLOT_LIMIT_REACHED]);
    }
    if (pf->patients == BULK_PATIENTS) {
        must(pf->name, c->due_capped > 0,
             "an EXPIRE finding more holds due than it counts", c->due_capped);
    }
    if (pf->weight[K_CANCEL] > 0) {
        must(pf->name, c->st.visit_reused > 0,
             "a CONFIRM given a visit number freed by a cancellation",
             c->st.visit_reused);
    }
    if (pf->money_pct > 0) {
        /* the visit day's transitions are there to move money: MUST_VISIT
         * is the visit profile's */
        check_money_cover(pf, c);
    } else if (pf->visit_pct > 0) {
        /* stops, moves, check-ins and no-shows: the patient and waitlist
         * rules are there to be fed (violations) and emptied (stops) */
        check_visit_cover(pf, c);
    } else if (pf->weight[K_JOIN] > 0) {
        /* the patient rules are there to make waiters ineligible:
         * MUST_PATIENTS is the patients profile's */
        check_wait_cover(pf, c);
    } else if (pf->patient_pct > 0) {
        /* the date rules are mostly kept out of its way: MUST_SCHED is
         * the other schedule profiles' */
        check_patient_cover(pf, c);
    } else if (pf->sched_pct > 0) {
        check_sched_cover(pf, c);
    }
}

/* ---- the event feed's coverage ------------------------------------------
 * Every event type is made somewhere: each profile must make the types of
 * what it is there for (EV_MUST), and together they name every type
 * (checked in main). The feed's retention (LEDGER_EVENTS_RETAIN_MS) drops
 * events in the profiles whose clock crosses a day. */
#define EVB(t) (1u << (t))
static const struct {
    const char *profile;
    uint32_t types;  /* EVB(SLOT_EV_...) */
    bool retention;  /* must drop events older than a day */
    bool offer_late; /* a CANCEL that offers and is a late cancel */
} EV_MUST[] = {
    {"mixed",
     EVB(SLOT_EV_HELD) | EVB(SLOT_EV_BOOKED) | EVB(SLOT_EV_RELEASED) |
         EVB(SLOT_EV_EXPIRED) | EVB(SLOT_EV_CANCELLED) |
         EVB(SLOT_EV_POOL_CREATED) | EVB(SLOT_EV_POOL_UPDATED) |
         EVB(SLOT_EV_POOL_CLOSED) | EVB(SLOT_EV_CONFIG_CHANGED),
     false, false},
    {"codec",
     EVB(SLOT_EV_HELD) | EVB(SLOT_EV_BOOKED) | EVB(SLOT_EV_POOL_CREATED) |
         EVB(SLOT_EV_RULES_CHANGED) | EVB(SLOT_EV_CONFIG_CHANGED),
     false, false},
    {"sched",
     EVB(SLOT_EV_HELD) | EVB(SLOT_EV_BOOKED) | EVB(SLOT_EV_EXPIRED) |
         EVB(SLOT_EV_CANCELLED) | EVB(SLOT_EV_POOL_CREATED) |
         EVB(SLOT_EV_POOL_UPDATED) | EVB(SLOT_EV_RULES_CHANGED) |
         EVB(SLOT_EV_FLOWED_BACK),
     true, false},
    {"flowback", EVB(SLOT_EV_FLOWED_BACK) | EVB(SLOT_EV_RULES_CHANGED), true,
     false},
    {"patients",
     EVB(SLOT_EV_VIOLATION) | EVB(SLOT_EV_UNBLOCKED) | EVB(SLOT_EV_EXCEPTION) |
         EVB(SLOT_EV_ACCOUNT_BOUND) | EVB(SLOT_EV_ACCOUNT_UNBOUND) |
         EVB(SLOT_EV_SLOT_FREED) | EVB(SLOT_EV_CANCELLED),
     true, false},
    {"waitlist",
     EVB(SLOT_EV_OFFERED) | EVB(SLOT_EV_WAIT_JOINED) | EVB(SLOT_EV_WAIT_LEFT) |
         EVB(SLOT_EV_VIOLATION) | EVB(SLOT_EV_SLOT_FREED),
     true, true},
    {"visit",
     EVB(SLOT_EV_MOVED) | EVB(SLOT_EV_CHECKED_IN) | EVB(SLOT_EV_NO_SHOW) |
         EVB(SLOT_EV_POOL_STOPPED) | EVB(SLOT_EV_VIOLATION) |
         EVB(SLOT_EV_BOOKED) | EVB(SLOT_EV_CANCELLED),
     true, false},
};

static void print_event_stats(const struct cover *c)
{
    printf("  events compared %" PRIu64 ", READ_EVENTS compared %" PRIu64
           " (cursor behind first %" PRIu64 "), dropped by age %" PRIu64
           ", by count %" PRIu64 ", made by refused commands %" PRIu64
           ", cancels offering and late %" PRIu64
           ", offers expiring the waiter's due hold %" PRIu64 "\n  by type:",
           c->events, c->event_reads, c->event_reads_gap, c->st.ev_dropped_old,
           c->st.ev_dropped_max, c->st.ev_refused, c->st.ev_offer_late,
           c->st.ev_offer_expired_own);
    for (int t = 1; t <= SLOT_EV_MAX; t++) {
        printf(" %s=%" PRIu64, slot_event_name(t), c->st.ev_types[t]);
    }
    printf("\n");
}

static void check_event_cover(const struct profile *pf, const struct cover *c)
{
    must(pf->name, c->events > 0, "an event compared", c->events);
    must(pf->name, c->event_reads > 0, "a READ_EVENTS compared",
         c->event_reads);
    must(pf->name, c->st.ev_refused > 0,
         "an expiry event made by a refused command", c->st.ev_refused);
    for (size_t i = 0; i < sizeof EV_MUST / sizeof EV_MUST[0]; i++) {
        if (strcmp(EV_MUST[i].profile, pf->name) != 0) {
            continue;
        }
        for (int t = 1; t <= SLOT_EV_MAX; t++) {
            if (EV_MUST[i].types & EVB(t)) {
                char what[64];
                snprintf(what, sizeof what, "a %s event", slot_event_name(t));
                must(pf->name, c->st.ev_types[t] > 0, what, c->st.ev_types[t]);
            }
        }
        if (EV_MUST[i].offer_late) {
            must(pf->name, c->st.ev_offer_late > 0,
                 "a CANCEL making CANCELLED, OFFERED and VIOLATION",
                 c->st.ev_offer_late);
        }
        if (EV_MUST[i].retention) {
            must(pf->name, c->st.ev_dropped_old > 0,
                 "an event dropped after LEDGER_EVENTS_RETAIN_MS",
                 c->st.ev_dropped_old);
            must(pf->name, c->event_reads_gap > 0,
                 "a READ_EVENTS whose cursor the window left behind",
                 c->event_reads_gap);
        }
    }
}

/* Every event type is some profile's MUST. */
static void check_event_must_table(void)
{
    uint32_t all = 0;
    for (size_t i = 0; i < sizeof EV_MUST / sizeof EV_MUST[0]; i++) {
        all |= EV_MUST[i].types;
    }
    for (int t = 1; t <= SLOT_EV_MAX; t++) {
        if (!(all & EVB(t))) {
            fprintf(stderr, "EV_MUST names no profile for %s events\n",
                    slot_event_name(t));
            exit(1);
        }
    }
}

static void run_case(uint32_t k)
{
    static struct cover cov;
    memset(&cov, 0, sizeof cov);
    uint64_t base = (k + 1) * SEED_STRIDE;
    uint32_t div = PROFILES[k].seeds_div != 0 ? PROFILES[k].seeds_div : 1;
    uint32_t seeds = (opt.seeds + div - 1) / div;
    if (seeds < PROFILES[k].seeds_min) {
        seeds = PROFILES[k].seeds_min;
    }
    for (uint32_t i = 0; i < seeds; i++) {
        run_seed(&PROFILES[k], base + i, false, &cov);
    }
    if (opt.stats) {
        print_stats(PROFILES[k].name, cov.codes);
        printf("  snapshots %" PRIu64 ", codec batches %" PRIu64
               ", capped sweeps %" PRIu64 ", replays %" PRIu64 "\n",
               cov.snapshots, cov.codec, cov.due_capped, cov.replays);
        const struct refmodel_stats *st = &cov.st;
        printf("  not_released_minute %" PRIu64 ", closed cutoff/same_day/"
               "over %" PRIu64 "/%" PRIu64 "/%" PRIu64 ", not allowed by "
               "rule/pool %" PRIu64 "/%" PRIu64 ", group shares %" PRIu64
               ", protected sold out %" PRIu64 ", ttl default/rule max %" PRIu64
               "/%" PRIu64 ", visit reused %" PRIu64 ", unpaid %" PRIu64
               ", flow moved/to share/kept held %" PRIu64 "/%" PRIu64
               "/%" PRIu64 ", imports created/unchanged/same flowed %" PRIu64
               "/%" PRIu64 "/%" PRIu64 ", log dropped %" PRIu64
               ", early by policy %" PRIu64 ", schedule reads %" PRIu64 "\n",
               st->not_released_minute, st->closed_cutoff, st->closed_same_day,
               st->closed_over, st->elig_by_rule, st->elig_by_pool,
               st->group_share, st->protected_sold_out, st->ttl_default,
               st->ttl_rule_max, st->visit_reused, st->unpaid, st->flow_moved,
               st->flow_to_share, st->flow_kept_held, st->import_created,
               st->import_unchanged, st->import_same_flowed, st->log_dropped,
               st->early_by_policy, cov.sched_reads);
        if (PROFILES[k].patient_pct > 0) {
            print_patient_stats(&cov);
        }
        if (PROFILES[k].weight[K_JOIN] > 0) {
            print_wait_stats(&cov);
        }
        if (PROFILES[k].visit_pct > 0) {
            print_visit_stats(&cov);
        }
        print_money_stats(&cov);
        print_event_stats(&cov);
    }
    check_cover(&PROFILES[k], &cov);
    check_event_cover(&PROFILES[k], &cov);
}

static void test_mixed(void)
{
    run_case(0);
}
static void test_sessions(void)
{
    run_case(1);
}
static void test_eviction(void)
{
    run_case(2);
}
static void test_expiry(void)
{
    run_case(3);
}
static void test_pools(void)
{
    run_case(4);
}
static void test_codec(void)
{
    run_case(5);
}
static void test_limits(void)
{
    run_case(6);
}
static void test_bulk(void)
{
    run_case(7);
}
static void test_sched(void)
{
    run_case(8);
}
static void test_flowback(void)
{
    run_case(9);
}
static void test_patients(void)
{
    run_case(10);
}
static void test_waitlist(void)
{
    run_case(11);
}
static void test_visit(void)
{
    run_case(12);
}
static void test_money(void)
{
    run_case(13);
}

static const struct check_case cases[] = {{"prop_mixed", test_mixed},
                                          {"prop_sessions", test_sessions},
                                          {"prop_eviction", test_eviction},
                                          {"prop_expiry", test_expiry},
                                          {"prop_pools", test_pools},
                                          {"prop_codec", test_codec},
                                          {"prop_limits", test_limits},
                                          {"prop_bulk", test_bulk},
                                          {"prop_sched", test_sched},
                                          {"prop_flowback", test_flowback},
                                          {"prop_patients", test_patients},
                                          {"prop_waitlist", test_waitlist},
                                          {"prop_visit", test_visit},
                                          {"prop_money", test_money},
                                          {NULL, NULL}};

_Static_assert(sizeof cases / sizeof cases[0] == N_PROFILES + 1,
               "one case per profile");

static uint64_t parse_u64(const char *s)
{
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 10);
    if (s[0] == '\0' || end == NULL || *end != '\0') {
        fprintf(stderr, "not a number: %s\n", s);
        exit(2);
    }
    return v;
}

/* Replays one seed in-process, printing every batch. */
static int replay(uint64_t seed)
{
    uint64_t k = seed / SEED_STRIDE;
    const struct profile *pf =
        k >= 1 && k <= N_PROFILES ? &PROFILES[k - 1] : &PROFILES[0];
    printf("replaying seed %" PRIu64 " with profile %s\n", seed, pf->name);
    run_seed(pf, seed, true, NULL);
    printf("1 passed, 0 failed\n");
    return 0;
}

int main(int argc, char **argv)
{
    char *args[2] = {argv[0], NULL};
    int nargs = 1;
    bool one_seed = false;
    uint64_t seed = 0;
    opt.argv0 = argv[0];
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            opt.seeds = DEFAULT_SEEDS_PER_CASE / 10;
        } else if (strcmp(argv[i], "--seeds") == 0 && i + 1 < argc) {
            opt.seeds = (uint32_t)parse_u64(argv[++i]);
        } else if (strcmp(argv[i], "--steps") == 0 && i + 1 < argc) {
            opt.steps = (uint32_t)parse_u64(argv[++i]);
        } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            one_seed = true;
            seed = parse_u64(argv[++i]);
        } else if (strcmp(argv[i], "--stats") == 0) {
            opt.stats = true;
        } else if (argv[i][0] != '-' && nargs == 1) {
            args[nargs++] = argv[i];
        } else {
            fprintf(stderr,
                    "usage: %s [--quick] [--seeds N] [--steps N] [--seed N] "
                    "[--stats] [NAME]\n",
                    argv[0]);
            return 2;
        }
    }
    universe_init();
    check_event_must_table();
    if (one_seed) {
        return replay(seed);
    }
    return check_main(cases, nargs, args);
}
