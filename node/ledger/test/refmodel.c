/* refmodel: the naive reference model of the ledger (see refmodel.h).
 *
 * Everything here is written to be checked by reading it against the
 * "Exact rules" and "Hospitals, schedules and their rules" of
 * node/ledger/ledger.h, one rule per function, in the order the rules
 * give. Data structures are the simplest that keep the property test fast
 * enough:
 *   - sessions: an array of pointers in least-recently-used order (index 0
 *     is the LRU end); a touch moves the session to the end;
 *   - claims: an array indexed by id - 1, never shrunk; a claim forgotten
 *     after retention is only flagged;
 *   - active claims (HELD, BOOKED): an unordered list of ids, so the pool
 *     counters can be recounted from scratch whenever they are needed;
 *   - retained claims: a FIFO of ids in resolution order;
 *   - hospitals: an array; each keeps its own rule set, its departments'
 *     and its change log (oldest first) as struct slot_rules_info;
 *   - flow-back due times are not stored: they are computed from the
 *     rules in force whenever they are needed (which is what "recomputed
 *     whenever RULES_SET changes the rules that apply" amounts to), until
 *     the pool flows back, when the due time is kept as it was.
 *
 * Interpretations of ledger.h (where it leaves a choice open):
 *   I1. SESSION_OPEN with session_max or more sessions forgets exactly one,
 *       the least recently used, even if more than one is over the limit
 *       (the per-command eviction forgets the rest over later commands).
 *   I2. Lazy expiry done while a command runs stays done even when that
 *       command then fails: a HOLD that expires the patient's own stale
 *       hold and then finds the pool SOLD_OUT leaves that hold EXPIRED.
 *       (The expiry is what a sweep would have done anyway.)
 *   I3. CANCEL of a HELD claim is UNKNOWN_BOOKING and does not expire it,
 *       even past its deadline: the rules only make HOLD (for the
 *       patient's own claim), CONFIRM and RELEASE expire lazily.
 *   I4. HOLD's bucket: the share named exactly as the channel, then (a
 *       scheduled pool only) the shares naming a group of the pool's rules
 *       that contains the channel, in share order, then the remainder if
 *       the pool lets the channel use it; the first with a free slot (its
 *       capacity minus its HELD and BOOKED claims, due holds included).
 *       The claim stays in that bucket for life, through POOL_UPDATEs.
 *   I5. Reads do not expire anything: a HELD claim past its deadline still
 *       counts as held in pool counters and in ledger_info, but a claim
 *       read reports it EXPIRED (resolved_at_ms stays 0), and a patient
 *       read leaves it out (it is no longer an active claim).
 *   I6. A session's window is the range of seqs (max_seq - WINDOW,
 *       max_seq], not the last WINDOW requests in arrival order: a seq in
 *       that range that was applied, in whatever order, gets its stored
 *       result back.
 *   I7. A pool's shares are reported in the order of the last spec
 *       (create or update) that set them.
 *   I8. A command that fails (rule or session error) answers a = b = 0; the
 *       op table of slot_proto.h gives a and b for success only. The one
 *       exception the contract names: SCHEDULE_CONFLICT answers a = number
 *       of conflicts (b = 0).
 *   I9. Patients and channels, once interned, stay interned (ledger_info
 *       counts them) even after every claim naming them is forgotten.
 *       Channel names come from HOLDs and from pool specs (shares,
 *       eligible, remainder_allow, group names included); rule sets intern
 *       none.
 * Schedules (the new section of ledger.h):
 *   S1. A booking's visit window is derived when it is read, from the
 *       pool as it is then (a POOL_UPDATE moves it): length L = the pool's
 *       visit_slot_ms if non-zero, else (seg_end_ms - seg_start_ms) /
 *       capacity (integer division); start = seg_start_ms + (visit_no - 1)
 *       * L, end = start + L, not clamped to the segment. A claim that
 *       was confirmed (BOOKED or CANCELLED: it keeps its visit number)
 *       has one when its pool has a segment now (seg_end_ms > 0,
 *       free-standing pools too). (First written as fixed at CONFIRM;
 *       the ledger derives it at read time.)
 *   S2. paid = the booking was confirmed with a non-empty payment_ref (0
 *       while held, and 0 for an unpaid pay-at-visit booking).
 *   S3. flow_due_ms in a pool read: the due time under the rules in force
 *       (0 when they have no flowback_minute) until the pool flows back,
 *       0 from then on (also after a POOL_UPDATE: the pool does not flow
 *       again). (First written as the due time it flowed at, kept; the
 *       ledger clears it.) A pool of local day V - days_before < 1 is due
 *       on day 0.
 *   S4. A flow-back gives each other share's free slots (capacity - held -
 *       booked, due holds still counted as held) to the target; a share
 *       left with capacity 0 stays listed with capacity 0. Closed pools
 *       flow back too (the heap invariant names every pool with a due time
 *       that has not flowed).
 *   S5. READ_RULES of a department without its own rules answers the
 *       hospital's rules info (its version, change time, operator, reason
 *       and rules) with inherited = true and the department asked for.
 *       (First written with department "", the hospital's own; the
 *       ledger names the department.) A rule set's version is the
 *       hospital version its RULES_SET produced.
 *   S6. READ_QUERY's total counts every pool of the hospital matching the
 *       filters, also those before "after"; "after" may name a pool of the
 *       hospital that does not match the filters (the page starts after its
 *       place in the order). Names compare bytewise (strcmp). Closed pools
 *       are listed.
 *   S7. SCHEDULE_IMPORT compares an existing pool with the template's spec
 *       field by field: capacity, kind, fee, segment, release_at_ms 0, the
 *       shares as the last spec gave them (names, order and slots: "by
 *       spec", so a flow-back does not make a conflict), and every schedule
 *       field (lists in order); a free-standing pool with the id conflicts.
 *       LIMIT_REACHED counts the channel names the new pools would intern
 *       (shares with slots > 0, eligible, remainder_allow); it is checked
 *       after the conflicts and only when a pool is new.
 *   S8. A pool read's release_at_ms (and its state SCHEDULED / OPEN) is,
 *       for a scheduled pool whose rules R have a horizon H > 0, the later
 *       of the spec's release_at_ms and the instant the day opens under R
 *       (local minute R.release_minute of day V - H), derived from the
 *       rules in force; otherwise the spec's. HOLD's "NOT_RELEASED (now <
 *       release_at_ms)" uses the spec's value (a channel whose policy
 *       horizon is longer books before the day opens for the others).
 *       (First written as the spec's value everywhere: ledger.h does not
 *       say that reads report a derived time; the ledger does.)
 *   S9. SWEEP is anonymous like EXPIRE (ledger.h's session rule names only
 *       SESSION_OPEN and EXPIRE; slot_proto.h gives SWEEP session 0).
 *   S10. A POOL_UPDATE without schedule fields keeps a scheduled pool's
 *       place and replaces its segment, and the decoder only asks a spec
 *       with schedule fields for one: the ledger let a scheduled pool
 *       lose its segment (and then skipped closed(C)'s "now >=
 *       seg_end_ms"). ledger.h now refuses it: INVALID_ARGUMENT after
 *       POOL_CLOSED.
 */
/* Patients, accounts and the anti-scalper rules (protocol 3):
 *   P1. The patient rules PR are the hospital's own rule set's (never a
 *       department's); slot_rules_covers for account_channels and
 *       blacklist_exempt uses the hospital's own rules (its groups). An
 *       empty account_channels / blacklist_exempt covers nothing.
 *   P2. A pending exception is used up only by a HOLD it let through: one
 *       that the blacklist (in force, channel not exempt) would have
 *       refused and that then succeeded. A HOLD of a patient who is not
 *       blacklisted leaves the exception pending.
 *   P3. ACCOUNT_BIND, VIOLATION, UNBLOCK and EXCEPTION intern the
 *       patient (they name "LIMIT_REACHED (P new and the patients table
 *       full)"), so ledger_info's patients counts them; ACCOUNT_UNBIND
 *       interns nothing. A bind that changes nothing, or is refused,
 *       interns nothing new.
 *   P4. "A's last change started within the last 24 h": now < at_ms +
 *       86400000. A change counts in the window while at_ms +
 *       account_change_window_days * 86400000 > now (the kept ones only).
 *   P5. Quotas count the patient's active claims (BOOKED, or HELD with
 *       deadline > now) in scheduled pools whose hospital is p's, with
 *       each pool's kind, visit day and department as they are now; the
 *       department quota counts expert-class claims only. Month = the
 *       civil month of the visit day (slot_civil_from_day).
 *   P6. CANCEL_LIMIT counts the patient's kept cancellations (any
 *       hospital) whose local day under p's hospital offset is today.
 *   P7. The cancel deadline's day V - cancel_days_before is taken as day 0
 *       when negative (as flow-back's).
 *   P8. ledger_next_sweep_ms includes the due times of cooling slots: a
 *       SWEEP returns them, and the leader proposes SWEEP by that time.
 *   P9. The cool-down hash: SipHash-2-4 with k0 = cooldown_key[0], k1 =
 *       cooldown_key[1] over the 16 bytes LE64(claim id) || LE64(now).
 *   P10. PATIENT_INFO's standings: one per hospital at which the patient
 *       has a kept violation (in the window or not) or a standing record
 *       (made by a blacklist or an exception, gone by UNBLOCK or
 *       replacement), even one with nothing in force now: "a blacklist"
 *       read as the record. (First written as "in force only"; the
 *       ledger lists the records; the contract could say which.)
 *       violations = kept ones in the window now,
 *       threshold = the hospital's rule now, warning = threshold > 0,
 *       violations + 1 == threshold and not blacklisted now (first
 *       written without the last condition; the ledger's reading is the
 *       better one: a blacklisted patient is past the warning),
 *       blacklisted_until_ms = until if until > now else 0. Order
 *       unspecified (compared as a set). The name fields of an unknown
 *       patient / account are the key asked.
 *   P11. UNBLOCK removes P's standing at H (the blacklist and a pending
 *       exception: ledger.h as amended with the ledger) and the
 *       hospital's kept violations; a = 1 iff until > now.
 *   P12. VIOLATION's b is the until in force after it (0 if none), also
 *       when this violation did not reach the threshold.
 *   P13. quota_per_account: when P's own day / department / month quotas
 *       pass and P is bound to an account now, the same three are counted
 *       (same order, same windows) over the active claims of every patient
 *       bound to that account now (P among them), whatever the HOLD's own
 *       account argument; a = SLOT_QUOTA_ACCOUNT + the quota. Claims of a
 *       patient unbound since do not count.
 *   P14. late_cancel_ms: only a scheduled pool has PR; the test is now +
 *       late_cancel_ms > the pool's seg_start_ms as it is now; the
 *       violation {now, the pool's hospital, LATE_CANCEL} is recorded after
 *       the offer, the cool-down and the cancellation record, and may
 *       blacklist as any violation.
 */
/* Waitlists (ledger.h, "Waitlists (anti-transfer release)"):
 *   W1. WAITLIST_JOIN runs HOLD's checks as HOLD runs them, with their
 *       side effect: the patient's HELD claim in the pool past its
 *       deadline is expired (I2; its UNPAID violation, and if it was an
 *       offer, its cool-down) and does not count for PATIENT_HAS_CLAIM.
 *       NOT_SOLD_OUT asks HOLD's bucket choice (I4) for C.
 *   W2. A JOIN that succeeds interns the patient and the channel (its
 *       LIMIT_REACHED names those tables); a refused one interns none.
 *       a = the list's length after the join.
 *   W3. JOIN's BLACKLISTED is HOLD's: a pending exception lets the JOIN
 *       through, and stays pending (only a HOLD that succeeds uses it).
 *   W4. "An open pool": one not closed by POOL_CLOSE. A CANCEL in a
 *       closed pool offers nothing and leaves its waitlist as it is.
 *   W5. A waiter is eligible for an offer when HOLD's checks from
 *       POOL_CLOSED to QUOTA_EXCEEDED, without TTL_OUT_OF_RANGE (the
 *       offer's TTL is the rules', no waiter asked for it), pass for its
 *       patient, channel and account; a pending exception does not help;
 *       the waiter's own due HELD claim in the pool is expired as HOLD
 *       expires it (W1). "The slot is offered before anything else": the
 *       checks run while the cancelled booking is still BOOKED, so a
 *       canceller waiting on the same pool is refused (PATIENT_HAS_CLAIM)
 *       and dropped rather than offered the slot it gave up. (First
 *       written with the booking already CANCELLED; the ledger's reading
 *       is the better one.) The bound is on drops:
 *       after SLOT_WAITLIST_SKIP_MAX drops the next head is still
 *       checked; eligible, it gets the offer; ineligible, it stays (with
 *       everyone behind it) and the slot goes to free or cooling.
 *   W6. An offer is a HELD claim (held_at = now) with the waiter's
 *       channel, the cancelled claim's bucket and deadline now +
 *       R.pay_ttl_ms (config.hold_ttl_max_ms when 0 or for a
 *       free-standing pool), not checked against the TTL bounds. When it
 *       is RELEASED or EXPIRED (lazily too), the patient rules of its
 *       pool's hospital in force then decide the cool-down; a
 *       free-standing pool has none (free at once). Its expiry is an
 *       UNPAID violation like any hold's.
 *   W7. The canceller's cancellation (CANCEL_LIMIT's count) is recorded
 *       after the offer.
 */
/* The visit day (protocol 4; ledger.h, "The visit day: stoppage, moves,
 * check-in, no-shows"):
 *   V1. POOL_STOP a = the pool's BOOKED claims, b = its HELD ones (due
 *       holds not yet expired included: the pool counters). The staff
 *       entry has kind 0, patient "", the hospital of a scheduled pool
 *       ("" free-standing), the pool, operator and reason, seq and at_ms as
 *       VIOLATION's. A stopped pool keeps flowing back, returning cooling
 *       slots and expiring holds as before; SCHEDULE_IMPORT treats it as
 *       any pool (unchanged when its fields are equal).
 *   V2. A stopped pool reads state STOPPED whether it was closed or not
 *       (the stoppage says more than the close); `waiting` is 0 from the
 *       stop on.
 *   V3. "Never confirmed" (UNKNOWN_BOOKING of CANCEL / MOVE / CHECKIN and
 *       of a booking read): HELD, RELEASED, EXPIRED. A MOVED claim was a
 *       booking: READ_BOOKING answers it, CANCEL / MOVE / CHECKIN say
 *       ALREADY_CANCELLED, and a booking MOVE made is BOOKED like any.
 *   V4. CONFIRM / RELEASE of a MOVED claim: ALREADY_CONFIRMED, as of a
 *       BOOKED or CANCELLED one.
 *   V5. A refund (CANCEL of a BOOKED claim of a stopped pool) still frees
 *       its visit number into the pool's freed list (the BOOKED ->
 *       CANCELLED edge) and leaves attendance and checked_in_at_ms as they
 *       were (a checked-in booking is refunded too; a no-show is final:
 *       NO_SHOW, stopped or not, as ledger.h now says); it is retained
 *       like any cancel. An administrator's refund is no different. A
 *       stopped pool's hold that expires is not an UNPAID violation
 *       (ledger.h, amended with the ledger).
 *   V6. MOVE: "today" of BOOKING_CLOSED is the local day under the
 *       target's rules' offset; PATIENT_HAS_CLAIM expires the patient's due
 *       hold in the target (with its UNPAID violation, an offer's
 *       cool-down), which stays expired even if the MOVE then fails (I2).
 *       A checked-in booking of a stopped pool may be moved (MOVE lists
 *       no ALREADY_CHECKED_IN); the new booking is pending. A no-show
 *       may not (NO_SHOW after ALREADY_CANCELLED: first written without
 *       it, as ledger.h first read; the ledger's amendment says a no-show
 *       is final).
 *       The new claim's bucket is HOLD's choice for the booking's channel
 *       (I4) in the target; its payment_ref and paid are the old one's;
 *       offer is not carried. The old claim keeps its visit number (a read
 *       still shows it, as a cancelled one does).
 *   V7. CHECKIN's window: a pool "with a segment" has seg_end_ms != 0 (as
 *       S1); free-standing ones use slot_visit_rules_default (24 h before,
 *       0 late). The window is judged under R now. A payment_ref given to
 *       an already paid booking is ignored (the booking keeps its own).
 *   V8. A claim's `affected` = its pool is stopped now, whatever the
 *       claim's state (MOVED ones included: their pool is the stopped
 *       one); a booking MOVE made is affected only if its own pool is
 *       stopped later.
 *   V9. The no-show heap keeps (claim, due) as put in at CONFIRM / MOVE
 *       (due = seg_end_ms - R.checkin_late_ms when > now) or put back by a
 *       SWEEP; a rule or segment change does not move an entry: SWEEP asks
 *       only the entries whose kept due <= now, and then judges the
 *       booking under R and the pool now. A POOL_UPDATE or RULES_SET that
 *       turns noshow_sweep on does not add bookings already made. Every
 *       entry taken (dropped, put back or marked) counts in a and against
 *       max; an entry put back is not taken again by the same SWEEP (its
 *       new due is after now). The NO_SHOW violation is recorded at the
 *       pool's hospital as it is now, and may blacklist.
 *   V10. SWEEP's b and ledger_next_sweep_ms include the no-show heap: its
 *       entries with due <= now, and its earliest due (the leader must
 *       propose SWEEP for no-shows as for flow-backs and cooling slots).
 */
/* The money (protocol 5; ledger.h, "Money and statistics", the amended
 * CONFIRM, CHECKIN and MOVE, and "Protocol 5" of "The event feed"):
 *   M1. "" is no pay method: never interned, never LIMIT_REACHED. A
 *       method is interned when a payment is recorded with it (a CONFIRM
 *       that books paid, a CHECKIN that pays); a refused command interns
 *       none. CONFIRM's LIMIT_REACHED comes after PAYMENT_REQUIRED, for a
 *       new method with LEDGER_PAY_METHODS_MAX known; CHECKIN's after
 *       CHECKIN_CLOSED and only for a check-in that would pay (an unpaid
 *       booking given a reference): a paid booking's check-in ignores the
 *       method given, as it ignores the reference.
 *   M2. A payment records the reference, the method ("" allowed) and the
 *       pool's fee_cents at that moment: a CHECKIN pays the fee in force
 *       at the check-in, not at the booking; a POOL_UPDATE after it does
 *       not change what was paid, so a cancel or refund owes back the fee
 *       paid. Free-standing pools' payments alike. An unpaid booking has
 *       fee 0, reference and method "".
 *   M3. local_day = slot_local_day(now, the offset of the hospital's own
 *       rule set) when the event names a hospital (departments cannot
 *       differ from it); UTC for events naming none (CONFIG_CHANGED,
 *       ACCOUNT_BOUND / UNBOUND, free-standing pools' events).
 *       RULES_CHANGED uses the offset it just set (the change comes
 *       first; the offset of a hospital with pools cannot change).
 *   M4. A reconciliation row is keyed by the event's local_day, the
 *       event's hospital ("" for free-standing pools: they count too),
 *       the claim's channel (the HOLD's, not its bucket) and its method
 *       after the event ("" unpaid). Every counted event makes its row,
 *       an unpaid BOOKED too (booked + 1, booked_cents + 0). MOVED counts
 *       under the old booking (its pool's hospital); MOVE's BOOKED is not
 *       counted. A paying CHECKED_IN counts under the method it just
 *       recorded, with checkin_paid_cents = the fee it paid.
 *   M5. Kept days: a count of day D first drops the rows of days before
 *       D - LEDGER_RECON_DAYS_KEPT + 1 when that is past kept_from, which
 *       becomes it; then a count of a day before kept_from is not made.
 *       So kept_from is the window's first day (not the oldest row's),
 *       0 until the first count. Past LEDGER_RECON_ROWS_MAX rows, a new
 *       row drops the oldest day's rows (kept_from = that day + 1): not
 *       reached by the test. (With offsets a day apart at most, a count
 *       older than kept_from cannot happen either.)
 *   M6. MOVE's new booking carries the old one's reference, method and
 *       fee paid (not the target's fee), paid or unpaid.
 *   M7. Claim events (HELD, OFFERED, BOOKED, RELEASED, EXPIRED,
 *       CANCELLED, MOVED, CHECKED_IN, NO_SHOW) carry the claim's payment
 *       as it is once the event happened; SLOT_FREED (a pool's event
 *       naming a claim, E2) and VIOLATION carry none.
 *   M8. CHECKED_IN b = 1 iff that check-in recorded the payment.
 *   M9. Statistics count what happens to a pool while it is scheduled: a
 *       free-standing pool's bookings before a POOL_UPDATE gave it
 *       schedule fields are not counted ("a scheduled pool counts"; first
 *       written as counted for every pool, seed 14000003 of "money").
 *       booked: CONFIRMs (paid or not) and MOVEs into the pool; moved:
 *       MOVED out of it. The counters follow the pool through
 *       POOL_UPDATEs that move it to another day or department.
 *   M10. STATS: released = capacity of the group's pools whose reported
 *       release_at_ms (S8) has come, whatever their state. (First written
 *       as ledger.h's "not SCHEDULED now" reads literally: a closed or
 *       stopped pool before its release time is not SCHEDULED, so its
 *       capacity counted as released; the ledger counts by release time
 *       only: seed 14000011 of "money". To settle in ledger.h.)
 *       booked_now = the pools' BOOKED claims now; capacity = the pools'
 *       capacity now. Names compare bytewise; the day range is
 *       inclusive; after = rows skipped, total = every group. RECON:
 *       the day's rows matching, sorted by (hospital, channel, method)
 *       bytewise, after = rows skipped, total = every match.
 */
#include "refmodel.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "slot_sched.h"
#include "slot_time.h"

struct rm_done {
    uint64_t seq;
    uint64_t fingerprint;
    struct slot_result res;
};

struct rm_session {
    uint64_t id;
    uint64_t last_used_ms;
    uint64_t max_seq;
    uint32_t n_done; /* every entry has seq in (max_seq - WINDOW, max_seq] */
    struct rm_done done[SLOT_SESSION_WINDOW];
};

struct rm_share {
    char channel[SLOT_CHANNEL_MAX + 1]; /* a channel or a group */
    uint32_t slots; /* the bucket's capacity now (flow-back moves it) */
    uint32_t spec;  /* as the last POOL_CREATE / POOL_UPDATE gave it */
};

/* A pool's schedule fields (slot_sched.h). */
struct rm_place {
    char hospital[SLOT_NAME_MAX + 1];
    char campus[SLOT_NAME_MAX + 1];
    char department[SLOT_NAME_MAX + 1];
    char doctor[SLOT_NAME_MAX + 1];
    uint32_t visit_day;
    uint8_t pay_mode;
    uint32_t visit_slot_ms;
    uint32_t n_eligible;
    char eligible[SLOT_POOL_NAMES_MAX][SLOT_CHANNEL_MAX + 1];
    uint32_t n_rem_allow;
    char rem_allow[SLOT_POOL_NAMES_MAX][SLOT_CHANNEL_MAX + 1];
};

/* A patient waiting for a pool (WAITLIST_JOIN). */
struct rm_wait {
    char patient[SLOT_PATIENT_KEY_MAX + 1];
    char channel[SLOT_CHANNEL_MAX + 1];
    char account[SLOT_PATIENT_KEY_MAX + 1]; /* "" none */
};

struct rm_pool {
    char id[SLOT_POOL_ID_MAX + 1];
    uint32_t capacity;
    uint8_t kind;
    uint64_t fee_cents;
    uint64_t seg_start_ms;
    uint64_t seg_end_ms;
    uint64_t release_at_ms;
    uint32_t n_shares;
    struct rm_share shares[SLOT_POOL_SHARES_MAX];
    bool closed;
    uint32_t next_visit_no;
    uint32_t *freed; /* visit numbers freed by cancellations, any order */
    uint32_t n_freed, cap_freed;
    bool scheduled; /* has schedule fields */
    struct rm_place place;
    bool flowed;
    struct rm_wait *wait; /* the waitlist, head first */
    uint32_t n_wait, cap_wait;
    bool stopped; /* POOL_STOP: for good (V1) */
    /* protocol 5: the pool's statistics over its life (M9) */
    uint64_t st_booked, st_cancelled, st_refunded, st_moved, st_no_show,
        st_checked_in;
};

struct rm_claim {
    uint64_t id;
    uint8_t state; /* enum slot_claim_state */
    bool forgotten;
    uint32_t pool; /* index into pools */
    char patient[SLOT_PATIENT_KEY_MAX + 1];
    char channel[SLOT_CHANNEL_MAX + 1]; /* as requested by the HOLD */
    char bucket[SLOT_CHANNEL_MAX + 1];  /* share taken from; "" = remainder */
    uint64_t held_at_ms;
    uint64_t deadline_ms;
    uint64_t booked_at_ms;
    uint64_t resolved_at_ms;
    uint32_t visit_no;
    char payment_ref[SLOT_PAYMENT_REF_MAX + 1];
    bool paid;
    bool offer; /* made by a CANCEL for a waiting patient */
    /* protocol 4 */
    uint8_t attendance; /* enum slot_attendance */
    uint64_t checked_in_at_ms;
    uint64_t moved_to;   /* MOVED: the new booking */
    uint64_t moved_from; /* a booking MOVE made: the old one */
    bool refunded;       /* CANCELLED as a stopped clinic's refund */
    /* protocol 5: the payment (with payment_ref; "" / 0 unpaid) */
    char pay_method[SLOT_PAY_METHOD_MAX + 1];
    uint64_t fee_paid_cents;
    uint32_t booked_day; /* the local day its BOOKED counted at (stats) */
};

/* A remembered idempotency key; the list is never reordered, so the ones
 * before idem_head are the forgotten oldest. */
struct rm_idem {
    char channel[SLOT_CHANNEL_MAX + 1];
    char key[SLOT_IDEM_KEY_MAX + 1];
    uint64_t fingerprint;
    struct slot_result res;
};

/* A hospital: it exists once RULES_SET gave it rules (department ""). */
struct rm_hospital {
    char name[SLOT_NAME_MAX + 1];
    uint64_t version;              /* of the last change, any department */
    struct slot_rules_info own;    /* department "" */
    struct slot_rules_info *depts; /* departments with their own rules */
    uint32_t n_depts, cap_depts;
    struct slot_rules_info *log; /* oldest first, <= LEDGER_RULES_LOG_MAX */
    uint32_t n_log, cap_log;
};

/* Protocol 3: what a patient's record keeps. */
struct rm_violation {
    uint64_t at_ms;
    char hospital[SLOT_NAME_MAX + 1];
    uint8_t kind;
};

struct rm_standing {
    char hospital[SLOT_NAME_MAX + 1];
    uint64_t until_ms;
    bool exception;
};

struct rm_patient {
    char key[SLOT_PATIENT_KEY_MAX + 1];
    char account[SLOT_PATIENT_KEY_MAX + 1]; /* "" none */
    uint32_t n_viol;                        /* oldest first */
    struct rm_violation viol[SLOT_VIOLATIONS_KEPT];
    uint32_t n_standing;
    struct rm_standing standing[SLOT_VIOLATIONS_KEPT];
    uint32_t n_cancels; /* oldest first */
    uint64_t cancels_ms[SLOT_CANCELS_KEPT];
};

struct rm_account {
    char key[SLOT_PATIENT_KEY_MAX + 1];
    uint32_t n; /* binding order */
    char patients[SLOT_ACCOUNT_PATIENTS_MAX][SLOT_PATIENT_KEY_MAX + 1];
    uint32_t n_changes; /* oldest first */
    uint64_t change_at_ms[SLOT_ACCOUNT_CHANGES_KEPT];
    uint32_t change_unbinds[SLOT_ACCOUNT_CHANGES_KEPT];
};

/* A booking waiting for its check-in to close (the no-show heap): due is
 * the time it was put in (or back) at, not recomputed (V9). */
struct rm_noshow {
    uint64_t claim;
    uint64_t due_ms;
};

/* A slot freed by a cancel that is not free yet. */
struct rm_cooling {
    uint32_t pool;
    char bucket[SLOT_CHANNEL_MAX + 1];
    uint64_t due_ms;
    uint64_t claim;
};

struct refmodel {
    uint64_t now_ms;
    struct slot_config config;

    struct rm_session **sessions; /* LRU first */
    uint32_t n_sessions, cap_sessions;
    uint64_t last_session_id;

    struct rm_pool *pools; /* creation order */
    uint32_t n_pools, cap_pools;

    struct rm_claim *claims; /* claims[i].id == i + 1 */
    uint64_t n_claims, cap_claims;

    uint64_t *active; /* ids of HELD and BOOKED claims, any order */
    uint32_t n_active, cap_active;

    uint64_t *retained; /* ids of resolved claims, oldest resolution first */
    uint64_t retained_head, retained_end, cap_retained;

    char (*patients)[SLOT_PATIENT_KEY_MAX + 1];
    uint32_t n_patients, cap_patients;
    char (*channels)[SLOT_CHANNEL_MAX + 1];
    uint32_t n_channels, cap_channels;

    struct rm_idem *idems; /* oldest first */
    uint64_t idem_head, n_idems, cap_idems;

    struct rm_hospital *hospitals;
    uint32_t n_hospitals, cap_hospitals;

    struct rm_patient *pats; /* patients with a protocol 3 record */
    uint32_t n_pats, cap_pats;
    struct rm_account *accounts;
    uint32_t n_accounts, cap_accounts;
    struct rm_cooling *cooling; /* any order */
    uint32_t n_cooling, cap_cooling;
    struct slot_staff_entry *staff; /* every entry; the last
                                     * LEDGER_STAFF_LOG_MAX are kept */
    uint64_t n_staff, cap_staff;
    struct rm_noshow *noshow; /* any order */
    uint32_t n_noshow, cap_noshow;
    /* The event feed (protocol 4): the window is events[ev_head ..
     * n_events), oldest first; ev_seq is the newest seq ever. */
    struct slot_event *events;
    uint64_t ev_head, n_events, cap_events;
    uint64_t ev_seq;
    uint64_t index; /* the Raft index of the batch being applied */
    /* Protocol 5: pay methods interned (never forgotten), the
     * reconciliation rows (any order; sorted when read) and the oldest
     * local day kept (0: no row yet). */
    char methods[LEDGER_PAY_METHODS_MAX][SLOT_PAY_METHOD_MAX + 1];
    uint32_t n_methods;
    struct slot_recon_row *recon;
    uint32_t n_recon, cap_recon;
    uint32_t recon_kept_from;

    struct refmodel_stats stats;
};

/* ---- small helpers ---------------------------------------------------- */

/* Makes room for one more element in a growable array. */
static void *grow(void *p, uint64_t n, uint64_t *cap, size_t elem)
{
    if (n < *cap) {
        return p;
    }
    *cap = *cap == 0 ? 16 : *cap * 2;
    p = realloc(p, (size_t)*cap * elem);
    if (p == NULL) {
        fprintf(stderr, "refmodel: out of memory\n");
        abort();
    }
    return p;
}

static void *grow32(void *p, uint32_t n, uint32_t *cap, size_t elem)
{
    uint64_t c = *cap;
    p = grow(p, n, &c, elem);
    *cap = (uint32_t)c;
    return p;
}

static bool str_eq(const char *z, struct slot_str s)
{
    return strlen(z) == s.len && memcmp(z, s.p, s.len) == 0;
}

static void str_copy(char *dst, size_t cap, struct slot_str s)
{
    assert(s.len < cap);
    (void)cap;
    memcpy(dst, s.p, s.len);
    dst[s.len] = '\0';
}

static void cstr_copy(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    assert(n < cap);
    (void)cap;
    memcpy(dst, src, n + 1);
}

/* ---- lookups ---------------------------------------------------------- */

static struct rm_pool *find_pool(struct refmodel *m, struct slot_str id)
{
    for (uint32_t i = 0; i < m->n_pools; i++) {
        if (str_eq(m->pools[i].id, id)) {
            return &m->pools[i];
        }
    }
    return NULL;
}

static const struct rm_pool *find_pool_c(const struct refmodel *m,
                                         struct slot_str id)
{
    return find_pool((struct refmodel *)m, id);
}

/* A claim that is still known (not forgotten after retention), or NULL. */
static struct rm_claim *find_claim(struct refmodel *m, uint64_t id)
{
    if (id == 0 || id > m->n_claims) {
        return NULL;
    }
    struct rm_claim *c = &m->claims[id - 1];
    return c->forgotten ? NULL : c;
}

static const struct rm_claim *find_claim_c(const struct refmodel *m,
                                           uint64_t id)
{
    return find_claim((struct refmodel *)m, id);
}

static struct rm_claim *active_claim(const struct refmodel *m, uint32_t i)
{
    return &m->claims[m->active[i] - 1];
}

static uint32_t pool_index(const struct refmodel *m, const struct rm_pool *p)
{
    return (uint32_t)(p - m->pools);
}

static uint32_t shares_sum(const struct rm_pool *p)
{
    uint32_t sum = 0;
    for (uint32_t i = 0; i < p->n_shares; i++) {
        sum += p->shares[i].slots;
    }
    return sum;
}

/* Held and booked claims of one bucket of pool `pi` ("" = remainder), or of
 * the whole pool when bucket is NULL, counted from the claims themselves. */
static void count_bucket(const struct refmodel *m, uint32_t pi,
                         const char *bucket, uint32_t *held, uint32_t *booked)
{
    *held = 0;
    *booked = 0;
    for (uint32_t i = 0; i < m->n_active; i++) {
        const struct rm_claim *c = active_claim(m, i);
        if (c->pool != pi ||
            (bucket != NULL && strcmp(c->bucket, bucket) != 0)) {
            continue;
        }
        if (c->state == SLOT_CLAIM_HELD) {
            (*held)++;
        } else {
            assert(c->state == SLOT_CLAIM_BOOKED);
            (*booked)++;
        }
    }
}

/* Slots of pool pi cooling down, in one bucket or (NULL) all. */
static uint32_t count_cooling(const struct refmodel *m, uint32_t pi,
                              const char *bucket)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < m->n_cooling; i++) {
        const struct rm_cooling *k = &m->cooling[i];
        n +=
            k->pool == pi && (bucket == NULL || strcmp(k->bucket, bucket) == 0);
    }
    return n;
}

/* Slots of a bucket that are not free: held, booked, cooling. */
static uint32_t bucket_used(const struct refmodel *m, uint32_t pi,
                            const char *bucket)
{
    uint32_t held, booked;
    count_bucket(m, pi, bucket, &held, &booked);
    return held + booked + count_cooling(m, pi, bucket);
}

static void intern_patient(struct refmodel *m, struct slot_str s)
{
    for (uint32_t i = 0; i < m->n_patients; i++) {
        if (str_eq(m->patients[i], s)) {
            return;
        }
    }
    m->patients = grow32(m->patients, m->n_patients, &m->cap_patients,
                         sizeof *m->patients);
    str_copy(m->patients[m->n_patients++], SLOT_PATIENT_KEY_MAX + 1, s);
}

static bool channel_known(const struct refmodel *m, struct slot_str s)
{
    for (uint32_t i = 0; i < m->n_channels; i++) {
        if (str_eq(m->channels[i], s)) {
            return true;
        }
    }
    return false;
}

static void intern_channel(struct refmodel *m, struct slot_str s)
{
    if (channel_known(m, s)) {
        return;
    }
    assert(m->n_channels < LEDGER_CHANNELS_MAX);
    m->channels = grow32(m->channels, m->n_channels, &m->cap_channels,
                         sizeof *m->channels);
    str_copy(m->channels[m->n_channels++], SLOT_CHANNEL_MAX + 1, s);
}

/* Channel names a command would intern that the table does not know yet,
 * each counted once. */
struct name_set {
    uint32_t n;
    struct slot_str names[3 * SLOT_POOL_NAMES_MAX];
};

static void name_set_add(const struct refmodel *m, struct name_set *set,
                         struct slot_str s)
{
    if (channel_known(m, s)) {
        return;
    }
    for (uint32_t i = 0; i < set->n; i++) {
        if (set->names[i].len == s.len &&
            memcmp(set->names[i].p, s.p, s.len) == 0) {
            return;
        }
    }
    assert(set->n < 3 * SLOT_POOL_NAMES_MAX);
    set->names[set->n++] = s;
}

static void name_set_add_sched(const struct refmodel *m, struct name_set *set,
                               const struct slot_sched *s)
{
    for (uint32_t i = 0; i < s->n_eligible; i++) {
        name_set_add(m, set, s->eligible[i]);
    }
    for (uint32_t i = 0; i < s->n_rem_allow; i++) {
        name_set_add(m, set, s->rem_allow[i]);
    }
}

/* Would interning the spec's channel names (shares, and the schedule
 * fields' lists) overflow the channel table? */
static bool spec_channels_overflow(const struct refmodel *m,
                                   const struct slot_pool_spec *spec)
{
    struct name_set set = {0};
    for (uint32_t i = 0; i < spec->n_shares; i++) {
        name_set_add(m, &set, spec->shares[i].channel);
    }
    if (spec->has_sched) {
        name_set_add_sched(m, &set, &spec->sched);
    }
    return m->n_channels + set.n > LEDGER_CHANNELS_MAX;
}

/* ---- hospitals and their rules ----------------------------------------- */

static struct rm_hospital *find_hospital(const struct refmodel *m,
                                         struct slot_str name)
{
    for (uint32_t i = 0; i < m->n_hospitals; i++) {
        if (str_eq(m->hospitals[i].name, name)) {
            return &m->hospitals[i];
        }
    }
    return NULL;
}

static struct rm_hospital *find_hospital_z(const struct refmodel *m,
                                           const char *name)
{
    struct slot_str s = {name, (uint32_t)strlen(name)};
    return find_hospital(m, s);
}

/* The department's own rules info, or NULL. */
static struct slot_rules_info *find_dept(const struct rm_hospital *h,
                                         struct slot_str dept)
{
    for (uint32_t i = 0; i < h->n_depts; i++) {
        if (str_eq(h->depts[i].department, dept)) {
            return &h->depts[i];
        }
    }
    return NULL;
}

/* R of a scheduled pool: its department's own rules, else the hospital's.
 * NULL for a free-standing pool. */
static const struct slot_rules *pool_rules(const struct refmodel *m,
                                           const struct rm_pool *p)
{
    if (!p->scheduled) {
        return NULL;
    }
    const struct rm_hospital *h = find_hospital_z(m, p->place.hospital);
    assert(h != NULL); /* POOL_CREATE / POOL_UPDATE checked it */
    struct slot_str d = {p->place.department,
                         (uint32_t)strlen(p->place.department)};
    const struct slot_rules_info *own = find_dept(h, d);
    return own != NULL ? &own->rules : &h->own.rules;
}

static bool covers(const struct slot_rules *r, const char *name, const char *ch)
{
    return slot_rules_covers(r, name, strlen(name), ch, strlen(ch));
}

/* The flow-back due time the rules in force give the pool (0: none). */
static uint64_t due_by_rules(const struct refmodel *m, const struct rm_pool *p)
{
    const struct slot_rules *r = pool_rules(m, p);
    if (r == NULL || r->flowback_minute == SLOT_MINUTE_NONE) {
        return 0;
    }
    int64_t day = (int64_t)p->place.visit_day - r->flowback_days_before;
    if (day < 1) {
        day = 0; /* "day 0 if that is before day 1" */
    }
    return slot_utc_ms_of((uint32_t)day, r->flowback_minute, r->utc_offset_min);
}

/* S3: the due time a pool read reports and SWEEP orders by: 0 once the
 * pool flowed back. */
static uint64_t pool_due(const struct refmodel *m, const struct rm_pool *p)
{
    return p->flowed ? 0 : due_by_rules(m, p);
}

/* S8: the release time a pool read reports: the spec's release_at_ms,
 * or for a scheduled pool whose rules have a horizon H the instant its
 * day opens under it (release_minute of day V - H), whichever is later. */
static uint64_t reported_release(const struct refmodel *m,
                                 const struct rm_pool *p)
{
    const struct slot_rules *r = pool_rules(m, p);
    if (r == NULL || r->horizon_days == 0) {
        return p->release_at_ms;
    }
    int64_t day = (int64_t)p->place.visit_day - r->horizon_days;
    uint64_t opens = slot_utc_ms_of(day > 0 ? (uint32_t)day : 0,
                                    r->release_minute, r->utc_offset_min);
    return opens > p->release_at_ms ? opens : p->release_at_ms;
}

/* Due for a SWEEP now: has a due time, has not flowed, due <= now. */
static bool flow_due_now(const struct refmodel *m, const struct rm_pool *p)
{
    uint64_t due = pool_due(m, p);
    return !p->flowed && due != 0 && due <= m->now_ms;
}

/* ---- claim resolution ------------------------------------------------- */

/* HELD/BOOKED -> RELEASED/EXPIRED/CANCELLED: leaves the active list, frees
 * its slot (implicitly: counters are recounted), joins the retained FIFO. */
static void resolve(struct refmodel *m, struct rm_claim *c, uint8_t state)
{
    assert(c->state == SLOT_CLAIM_HELD || c->state == SLOT_CLAIM_BOOKED);
    c->state = state;
    c->resolved_at_ms = m->now_ms;
    for (uint32_t i = 0; i < m->n_active; i++) {
        if (m->active[i] == c->id) {
            m->active[i] = m->active[--m->n_active];
            break;
        }
    }
    m->retained = grow(m->retained, m->retained_end, &m->cap_retained,
                       sizeof *m->retained);
    m->retained[m->retained_end++] = c->id;
}

static bool held_due(const struct refmodel *m, const struct rm_claim *c)
{
    return c->state == SLOT_CLAIM_HELD && c->deadline_ms <= m->now_ms;
}

/* ---- the event feed (protocol 4, "The event feed") ----------------------
 * Each change appends its event where the model makes the change, so the
 * order is the order of the changes; the model changes nothing before a
 * refusal except the lazy expiries, which is what the feed's rule asks
 * ("refused commands append none, except the expiries").
 *
 * Interpretation (what the contract leaves open, E1-E8):
 * E1 a VIOLATION (staff, UNPAID, LATE_CANCEL, NO_SHOW) is a patient's
 *    event: the patient, its account, the hospital; no pool, claim or
 *    channel, even when an expiry or a no-show caused it.
 * E2 SLOT_FREED names "the cancelled claim's pool and id" and the pool's
 *    hospital (a pool's event naming a claim): no patient, channel or
 *    account.
 * E3 WAIT_JOINED / WAIT_LEFT name the pool and its hospital, the patient,
 *    its account (the binding now, as every event's), and the waiter's
 *    channel (LEAVE: the entry's, not the caller's).
 * E4 ACCOUNT_BOUND / ACCOUNT_UNBOUND: patient and the account of the
 *    command (UNBOUND: the one just left), no hospital.
 * E5 a CANCEL that both offers and is late: CANCELLED, OFFERED, VIOLATION
 *    (the order of the changes: the offer is made before the cancellation
 *    is recorded and judged late, W7 / P14). Waiters a CANCEL drops make
 *    no event (only WAITLIST_LEAVE makes WAIT_LEFT); neither does a slot
 *    going to cooling, nor an offer's slot freed at once.
 * E6 a CANCEL whose offer check expires the waiter's own due hold in the
 *    pool (PATIENT_HAS_CLAIM's expiry): EXPIRED (and its VIOLATION) come
 *    first, the waiter being chosen before the booking is cancelled (W5).
 * E7 POOL_UPDATED names the pool's hospital after the update (a spec with
 *    schedule fields may move it); a VIOLATION's b is the blacklist in
 *    force once it is recorded (the VIOLATION command's own b).
 * E8 the LEDGER_EVENTS_MAX bound is kept as events are appended (the
 *    oldest goes); the age rule runs before each command, SESSION_OPEN,
 *    EXPIRE and SWEEP included, like the other housekeeping. */
static struct rm_patient *find_pat(const struct refmodel *m, const char *key);
static struct rm_hospital *find_hospital_z(const struct refmodel *m,
                                           const char *name);

static struct slot_event *ev_new(struct refmodel *m, uint8_t type)
{
    if (m->ev_head > 4096 && m->ev_head * 2 > m->n_events) {
        memmove(m->events, &m->events[m->ev_head],
                (size_t)(m->n_events - m->ev_head) * sizeof *m->events);
        m->n_events -= m->ev_head;
        m->ev_head = 0;
    }
    m->events = grow(m->events, m->n_events, &m->cap_events, sizeof *m->events);
    struct slot_event *e = &m->events[m->n_events++];
    memset(e, 0, sizeof *e);
    e->seq = ++m->ev_seq;
    e->index = m->index;
    e->time_ms = m->now_ms;
    e->type = type;
    e->local_day = slot_local_day(m->now_ms, 0); /* M3: UTC, no hospital */
    m->stats.ev_types[type]++;
    if (m->n_events - m->ev_head > LEDGER_EVENTS_MAX) {
        m->ev_head++; /* the newest LEDGER_EVENTS_MAX */
        m->stats.ev_dropped_max++;
    }
    return e;
}

static void ev_patient_fields(const struct refmodel *m, struct slot_event *e,
                              const char *patient)
{
    cstr_copy(e->patient, sizeof e->patient, patient);
    const struct rm_patient *pt = find_pat(m, patient);
    if (pt != NULL) {
        cstr_copy(e->account, sizeof e->account, pt->account);
    }
}

static const char *pool_hospital(const struct rm_pool *p)
{
    return p->scheduled ? p->place.hospital : "";
}

/* The event's hospital, and its local day under that hospital's offset
 * now (M3; UTC for "" or a hospital without rules). */
static void ev_hospital(const struct refmodel *m, struct slot_event *e,
                        const char *hospital)
{
    cstr_copy(e->hospital, sizeof e->hospital, hospital);
    const struct rm_hospital *h =
        hospital[0] != '\0' ? find_hospital_z(m, hospital) : NULL;
    e->local_day =
        slot_local_day(m->now_ms, h != NULL ? h->own.rules.utc_offset_min : 0);
}

/* A pool's event: the pool and its hospital. */
static struct slot_event *ev_pool(struct refmodel *m, uint8_t type, uint32_t pi,
                                  uint64_t a, uint64_t b)
{
    const struct rm_pool *p = &m->pools[pi];
    struct slot_event *e = ev_new(m, type);
    cstr_copy(e->pool, sizeof e->pool, p->id);
    ev_hospital(m, e, pool_hospital(p));
    e->a = a;
    e->b = b;
    return e;
}

/* A claim's event: id, pool, patient, channel, account now, hospital,
 * and (protocol 5) the claim's payment as it is once the event happened:
 * callers record a payment before they append its event. */
static struct slot_event *ev_claim(struct refmodel *m, uint8_t type,
                                   const struct rm_claim *c, uint64_t a,
                                   uint64_t b)
{
    struct slot_event *e = ev_pool(m, type, c->pool, a, b);
    e->claim = c->id;
    cstr_copy(e->channel, sizeof e->channel, c->channel);
    ev_patient_fields(m, e, c->patient);
    if (c->paid) {
        e->fee_cents = c->fee_paid_cents;
        cstr_copy(e->payment_ref, sizeof e->payment_ref, c->payment_ref);
        cstr_copy(e->pay_method, sizeof e->pay_method, c->pay_method);
    }
    return e;
}

/* A patient's event (E1, E4). */
static void ev_patient(struct refmodel *m, uint8_t type, const char *patient,
                       const char *hospital, uint64_t a, uint64_t b)
{
    struct slot_event *e = ev_new(m, type);
    ev_patient_fields(m, e, patient);
    ev_hospital(m, e, hospital);
    e->a = a;
    e->b = b;
}

/* Before each command: up to SLOT_EVENTS_EVICT_PER_CMD of the oldest
 * older than LEDGER_EVENTS_RETAIN_MS. */
static void evict_events(struct refmodel *m)
{
    for (int k = 0; k < SLOT_EVENTS_EVICT_PER_CMD && m->ev_head < m->n_events;
         k++) {
        if (m->events[m->ev_head].time_ms + LEDGER_EVENTS_RETAIN_MS >
            m->now_ms) {
            break;
        }
        m->ev_head++;
        m->stats.ev_dropped_old++;
    }
}

/* ---- money (protocol 5, "Money and statistics") ---------------------- */

static bool method_known(const struct refmodel *m, struct slot_str method)
{
    for (uint32_t i = 0; i < m->n_methods; i++) {
        if (str_eq(m->methods[i], method)) {
            return true;
        }
    }
    return false;
}

/* M1: "" is no method; a new one needs room in the table. */
static bool method_fits(const struct refmodel *m, struct slot_str method)
{
    return method.len == 0 || method_known(m, method) ||
           m->n_methods < LEDGER_PAY_METHODS_MAX;
}

/* Records a payment on claim c: the reference, the method (interned) and
 * the pool's fee now. */
static void pay(struct refmodel *m, struct rm_claim *c, struct slot_str ref,
                struct slot_str method)
{
    assert(ref.len > 0 && method_fits(m, method));
    if (method.len > 0 && !method_known(m, method)) {
        str_copy(m->methods[m->n_methods], sizeof m->methods[0], method);
        m->n_methods++;
    }
    str_copy(c->payment_ref, sizeof c->payment_ref, ref);
    str_copy(c->pay_method, sizeof c->pay_method, method);
    c->fee_paid_cents = m->pools[c->pool].fee_cents;
    c->paid = true;
}

/* The counters a claim event moves (M4). */
enum recon_what {
    RC_BOOKED,
    RC_CHECKED_IN,
    RC_CANCELLED,
    RC_MOVED,
    RC_NO_SHOW
};

/* Drops the rows of days before `day`; they are no longer kept. */
static void recon_drop_before(struct refmodel *m, uint32_t day)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < m->n_recon; i++) {
        if (m->recon[i].day >= day) {
            m->recon[k++] = m->recon[i];
        }
    }
    m->stats.recon_dropped += m->n_recon - k;
    m->n_recon = k;
    if (day > m->recon_kept_from) {
        m->recon_kept_from = day;
    }
}

/* Counts claim event e of claim c (its payment as it is after the event)
 * in the row (e's local day, e's hospital, c's channel, c's method). */
static void recon_count(struct refmodel *m, const struct slot_event *e,
                        const struct rm_claim *c, enum recon_what what)
{
    uint32_t day = e->local_day;
    /* M5: a newer day moves the window; an older one than kept is not
     * counted */
    if (day + 1 >= LEDGER_RECON_DAYS_KEPT &&
        day + 1 - LEDGER_RECON_DAYS_KEPT > m->recon_kept_from) {
        recon_drop_before(m, day + 1 - LEDGER_RECON_DAYS_KEPT);
    }
    if (day < m->recon_kept_from) {
        m->stats.recon_too_old++;
        return;
    }
    const char *method = c->paid ? c->pay_method : "";
    if (what != RC_BOOKED && c->booked_day != 0 && c->booked_day != day) {
        m->stats.recon_other_day++;
    }
    struct slot_recon_row *row = NULL;
    for (uint32_t i = 0; i < m->n_recon && row == NULL; i++) {
        struct slot_recon_row *x = &m->recon[i];
        if (x->day == day && strcmp(x->hospital, e->hospital) == 0 &&
            strcmp(x->channel, c->channel) == 0 &&
            strcmp(x->pay_method, method) == 0) {
            row = x;
        }
    }
    if (row == NULL) {
        if (m->n_recon >= LEDGER_RECON_ROWS_MAX) {
            uint32_t oldest = m->recon[0].day;
            for (uint32_t i = 1; i < m->n_recon; i++) {
                oldest = m->recon[i].day < oldest ? m->recon[i].day : oldest;
            }
            recon_drop_before(m, oldest + 1);
            if (day < m->recon_kept_from) {
                return;
            }
        }
        m->recon =
            grow32(m->recon, m->n_recon, &m->cap_recon, sizeof *m->recon);
        row = &m->recon[m->n_recon++];
        memset(row, 0, sizeof *row);
        row->day = day;
        cstr_copy(row->hospital, sizeof row->hospital, e->hospital);
        cstr_copy(row->channel, sizeof row->channel, c->channel);
        cstr_copy(row->pay_method, sizeof row->pay_method, method);
    }
    uint64_t fee = c->paid ? c->fee_paid_cents : 0;
    switch (what) {
        case RC_BOOKED:
            row->booked++;
            row->booked_cents += fee;
            break;
        case RC_CHECKED_IN:
            row->checked_in++;
            if (e->b == 1) {
                row->checkin_paid++;
                row->checkin_paid_cents += fee;
            }
            break;
        case RC_CANCELLED:
            if (e->a == 0) {
                row->cancelled++;
                row->cancelled_cents += fee;
            } else {
                row->refunded++;
                row->refunded_cents += fee;
            }
            break;
        case RC_MOVED:
            row->moved++;
            break;
        case RC_NO_SHOW:
            row->no_show++;
            break;
    }
}

/* ---- patients, accounts, standings (protocol 3) ------------------------ */

/* SipHash-2-4 (Aumasson and Bernstein), written from the paper for this
 * model: it checks the ledger's shared helper independently (P9). */
static uint64_t rotl64(uint64_t x, int b)
{
    return (x << b) | (x >> (64 - b));
}

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return v;
}

#define SIPROUND(v0, v1, v2, v3)                                               \
    do {                                                                       \
        (v0) += (v1);                                                          \
        (v1) = rotl64((v1), 13);                                               \
        (v1) ^= (v0);                                                          \
        (v0) = rotl64((v0), 32);                                               \
        (v2) += (v3);                                                          \
        (v3) = rotl64((v3), 16);                                               \
        (v3) ^= (v2);                                                          \
        (v0) += (v3);                                                          \
        (v3) = rotl64((v3), 21);                                               \
        (v3) ^= (v0);                                                          \
        (v2) += (v1);                                                          \
        (v1) = rotl64((v1), 17);                                               \
        (v1) ^= (v2);                                                          \
        (v2) = rotl64((v2), 32);                                               \
    } while (0)

static uint64_t siphash24(uint64_t k0, uint64_t k1, const uint8_t *in,
                          size_t len)
{
    uint64_t v0 = k0 ^ 0x736f6d6570736575ull;
    uint64_t v1 = k1 ^ 0x646f72616e646f6dull;
    uint64_t v2 = k0 ^ 0x6c7967656e657261ull;
    uint64_t v3 = k1 ^ 0x7465646279746573ull;
    size_t full = len - len % 8;
    for (size_t i = 0; i < full; i += 8) {
        uint64_t mi = le64(in + i);
        v3 ^= mi;
        SIPROUND(v0, v1, v2, v3);
        SIPROUND(v0, v1, v2, v3);
        v0 ^= mi;
    }
    uint64_t last = (uint64_t)(len & 0xff) << 56;
    for (size_t i = 0; i < len % 8; i++) {
        last |= (uint64_t)in[full + i] << (8 * i);
    }
    v3 ^= last;
    SIPROUND(v0, v1, v2, v3);
    SIPROUND(v0, v1, v2, v3);
    v0 ^= last;
    v2 ^= 0xff;
    for (int i = 0; i < 4; i++) {
        SIPROUND(v0, v1, v2, v3);
    }
    return v0 ^ v1 ^ v2 ^ v3;
}

/* The reference vector of the SipHash paper (appendix A): key 00..0f,
 * message 00..0e, output a129ca6149be45e5. */
static void siphash_selftest(void)
{
    uint8_t key[16], msg[15];
    for (int i = 0; i < 16; i++) {
        key[i] = (uint8_t)i;
    }
    for (int i = 0; i < 15; i++) {
        msg[i] = (uint8_t)i;
    }
    if (siphash24(le64(key), le64(key + 8), msg, 15) != 0xa129ca6149be45e5ull) {
        fprintf(stderr, "refmodel: SipHash-2-4 self-test failed\n");
        abort();
    }
}

/* The cool-down of claim id from `at` (ledger.h): a cancel at now, or
 * a declined / lapsed offer from its held_at_ms. */
static uint64_t cooldown_ms(const struct refmodel *m,
                            const struct slot_patient_rules *pr, uint64_t id,
                            uint64_t at)
{
    uint8_t msg[16];
    for (int i = 0; i < 8; i++) {
        msg[i] = (uint8_t)(id >> (8 * i));
        msg[8 + i] = (uint8_t)(at >> (8 * i));
    }
    uint64_t h = siphash24(m->config.cooldown_key[0], m->config.cooldown_key[1],
                           msg, sizeof msg);
    uint64_t span = (uint64_t)pr->cooldown_max_ms - pr->cooldown_min_ms + 1;
    return pr->cooldown_min_ms + h % span;
}

static struct rm_patient *find_pat(const struct refmodel *m, const char *key)
{
    for (uint32_t i = 0; i < m->n_pats; i++) {
        if (strcmp(m->pats[i].key, key) == 0) {
            return &m->pats[i];
        }
    }
    return NULL;
}

static struct rm_patient *find_pat_s(const struct refmodel *m,
                                     struct slot_str key)
{
    for (uint32_t i = 0; i < m->n_pats; i++) {
        if (str_eq(m->pats[i].key, key)) {
            return &m->pats[i];
        }
    }
    return NULL;
}

/* The patient's record, made if missing. Pointers to records die with
 * the next call (the array grows). */
static struct rm_patient *get_pat(struct refmodel *m, const char *key)
{
    struct rm_patient *pt = find_pat(m, key);
    if (pt == NULL) {
        m->pats = grow32(m->pats, m->n_pats, &m->cap_pats, sizeof *m->pats);
        pt = &m->pats[m->n_pats++];
        memset(pt, 0, sizeof *pt);
        cstr_copy(pt->key, sizeof pt->key, key);
    }
    return pt;
}

static struct rm_account *find_account(const struct refmodel *m,
                                       struct slot_str key)
{
    for (uint32_t i = 0; i < m->n_accounts; i++) {
        if (str_eq(m->accounts[i].key, key)) {
            return &m->accounts[i];
        }
    }
    return NULL;
}

/* Is the patient bound to account a (non-empty) now? */
static bool bound_to(const struct refmodel *m, const char *patient,
                     struct slot_str a)
{
    const struct rm_patient *pt = find_pat(m, patient);
    return a.len > 0 && pt != NULL && str_eq(pt->account, a);
}

/* P1: the patient rules of a hospital (its own rule set), and the rule
 * set whose groups cover names. */
static const struct slot_rules *hospital_rules(const struct refmodel *m,
                                               const char *hospital)
{
    const struct rm_hospital *h = find_hospital_z(m, hospital);
    assert(h != NULL);
    return &h->own.rules;
}

static bool covers_opt(const struct slot_rules *r, const char *name,
                       const char *ch)
{
    return name[0] != '\0' && covers(r, name, ch);
}

static struct rm_standing *find_standing(struct rm_patient *pt,
                                         const char *hospital)
{
    for (uint32_t i = 0; i < pt->n_standing; i++) {
        if (strcmp(pt->standing[i].hospital, hospital) == 0) {
            return &pt->standing[i];
        }
    }
    return NULL;
}

/* The hospital's standing, made if missing: a free entry, else one with
 * nothing in force, else the one with the earliest until (ledger.h). */
static struct rm_standing *
get_standing(struct refmodel *m, struct rm_patient *pt, const char *hospital)
{
    struct rm_standing *s = find_standing(pt, hospital);
    if (s != NULL) {
        return s;
    }
    if (pt->n_standing < SLOT_VIOLATIONS_KEPT) {
        s = &pt->standing[pt->n_standing++];
    } else {
        for (uint32_t i = 0; s == NULL && i < pt->n_standing; i++) {
            if (pt->standing[i].until_ms <= m->now_ms &&
                !pt->standing[i].exception) {
                s = &pt->standing[i]; /* the first with nothing in force */
            }
        }
        if (s == NULL) { /* the earliest until, the first of equals */
            s = &pt->standing[0];
            for (uint32_t i = 1; i < pt->n_standing; i++) {
                if (pt->standing[i].until_ms < s->until_ms) {
                    s = &pt->standing[i];
                }
            }
        }
        m->stats.standing_replaced++;
    }
    memset(s, 0, sizeof *s);
    cstr_copy(s->hospital, sizeof s->hospital, hospital);
    return s;
}

/* Kept violations at the hospital inside its window now. */
static uint32_t violations_in_window(const struct refmodel *m,
                                     const struct rm_patient *pt,
                                     const char *hospital)
{
    const struct slot_patient_rules *pr = &hospital_rules(m, hospital)->patient;
    uint64_t window = (uint64_t)pr->violation_window_days * SLOT_MS_PER_DAY;
    uint32_t n = 0;
    for (uint32_t i = 0; i < pt->n_viol; i++) {
        n += strcmp(pt->viol[i].hospital, hospital) == 0 &&
             pt->viol[i].at_ms + window > m->now_ms;
    }
    return n;
}

/* Records a violation and blacklists when it reaches the threshold;
 * *n_out = violations in the window, *until_out = the blacklist in force
 * (0: none). */
static void record_violation(struct refmodel *m, const char *patient,
                             const char *hospital, uint8_t kind,
                             uint32_t *n_out, uint64_t *until_out)
{
    struct rm_patient *pt = get_pat(m, patient);
    if (pt->n_viol == SLOT_VIOLATIONS_KEPT) {
        memmove(&pt->viol[0], &pt->viol[1],
                (SLOT_VIOLATIONS_KEPT - 1) * sizeof pt->viol[0]);
        pt->n_viol--;
    }
    struct rm_violation *v = &pt->viol[pt->n_viol++];
    memset(v, 0, sizeof *v);
    v->at_ms = m->now_ms;
    cstr_copy(v->hospital, sizeof v->hospital, hospital);
    v->kind = kind;
    const struct slot_patient_rules *pr = &hospital_rules(m, hospital)->patient;
    uint32_t n = violations_in_window(m, pt, hospital);
    if (pr->violation_threshold > 0 && n >= pr->violation_threshold) {
        struct rm_standing *s = get_standing(m, pt, hospital);
        uint64_t until =
            m->now_ms + (uint64_t)pr->blacklist_days * SLOT_MS_PER_DAY;
        if (until > s->until_ms) {
            s->until_ms = until;
        }
        m->stats.blacklisted++;
    }
    const struct rm_standing *s = find_standing(pt, hospital);
    *n_out = n;
    *until_out = s != NULL && s->until_ms > m->now_ms ? s->until_ms : 0;
    ev_patient(m, SLOT_EV_VIOLATION, patient, hospital, kind, *until_out);
}

static void add_cooling(struct refmodel *m, uint32_t pool, const char *bucket,
                        uint64_t due_ms, uint64_t claim)
{
    m->cooling =
        grow32(m->cooling, m->n_cooling, &m->cap_cooling, sizeof *m->cooling);
    struct rm_cooling *k = &m->cooling[m->n_cooling++];
    memset(k, 0, sizeof *k);
    k->pool = pool;
    cstr_copy(k->bucket, sizeof k->bucket, bucket);
    k->due_ms = due_ms;
    k->claim = claim;
}

/* An OFFER just RELEASED or EXPIRED (W6): under a cool-down of the pool's
 * hospital its slot cools until held_at_ms + cooldown (keyed by [offer
 * id, held_at_ms]); free at once if that is not after now. */
static void offer_lapsed(struct refmodel *m, const struct rm_claim *c)
{
    const struct rm_pool *p = &m->pools[c->pool];
    if (!p->scheduled) {
        return;
    }
    const struct slot_patient_rules *pr =
        &hospital_rules(m, p->place.hospital)->patient;
    if (pr->cooldown_max_ms == 0) {
        return;
    }
    uint64_t due = c->held_at_ms + cooldown_ms(m, pr, c->id, c->held_at_ms);
    if (due <= m->now_ms) {
        m->stats.offer_freed++;
        return;
    }
    add_cooling(m, c->pool, c->bucket, due, c->id);
    m->stats.offer_cooled++;
}

/* HELD -> EXPIRED, with the UNPAID violation a scheduled pool's hospital
 * may count for it (not in a stopped pool); an expired offer may cool. */
static void expire_claim(struct refmodel *m, struct rm_claim *c)
{
    resolve(m, c, SLOT_CLAIM_EXPIRED);
    ev_claim(m, SLOT_EV_EXPIRED, c, 0, 0);
    if (c->offer) {
        m->stats.offer_expired++;
        offer_lapsed(m, c);
    }
    const struct rm_pool *p = &m->pools[c->pool];
    bool unpaid =
        p->scheduled &&
        hospital_rules(m, p->place.hospital)->patient.unpaid_is_violation;
    if (unpaid && p->stopped) {
        m->stats.stopped_expiry_excused++; /* V5: never UNPAID in a stop */
    } else if (unpaid) {
        char patient[SLOT_PATIENT_KEY_MAX + 1];
        char hospital[SLOT_NAME_MAX + 1];
        cstr_copy(patient, sizeof patient, c->patient);
        cstr_copy(hospital, sizeof hospital, p->place.hospital);
        uint32_t n;
        uint64_t until;
        record_violation(m, patient, hospital, SLOT_VIOLATION_UNPAID, &n,
                         &until);
        m->stats.unpaid_violation++;
    }
}

/* Active: HELD before its deadline, or BOOKED. */
static bool claim_active(const struct refmodel *m, const struct rm_claim *c)
{
    return c->state == SLOT_CLAIM_BOOKED ||
           (c->state == SLOT_CLAIM_HELD && c->deadline_ms > m->now_ms);
}

/* ---- the visit day (protocol 4) ----------------------------------------- */

/* The visit rules of a pool: R's, or slot_visit_rules_default's for a
 * free-standing pool. */
static struct slot_visit_rules visit_rules(const struct refmodel *m,
                                           const struct rm_pool *p)
{
    const struct slot_rules *r = pool_rules(m, p);
    struct slot_visit_rules v;
    if (r != NULL) {
        return r->visit;
    }
    slot_visit_rules_default(&v);
    return v;
}

/* seg_end_ms - R.checkin_late_ms: when check-in closes (0 if before the
 * epoch, which no real segment is). */
static uint64_t checkin_close_ms(const struct refmodel *m,
                                 const struct rm_pool *p)
{
    uint64_t late = visit_rules(m, p).checkin_late_ms;
    return p->seg_end_ms > late ? p->seg_end_ms - late : 0;
}

static void noshow_put(struct refmodel *m, uint64_t claim, uint64_t due_ms)
{
    m->noshow =
        grow32(m->noshow, m->n_noshow, &m->cap_noshow, sizeof *m->noshow);
    m->noshow[m->n_noshow].claim = claim;
    m->noshow[m->n_noshow].due_ms = due_ms;
    m->n_noshow++;
}

/* A CONFIRM or MOVE booked c: into the no-show heap if its pool is
 * scheduled, R has noshow_sweep and check-in closes after now. */
static void noshow_add(struct refmodel *m, const struct rm_claim *c)
{
    const struct rm_pool *p = &m->pools[c->pool];
    if (!p->scheduled || !visit_rules(m, p).noshow_sweep) {
        return;
    }
    uint64_t due = checkin_close_ms(m, p);
    if (due > m->now_ms) {
        noshow_put(m, c->id, due);
    }
}

/* CHECKIN, CANCEL and MOVE take the booking out of the heap. */
static void noshow_remove(struct refmodel *m, uint64_t claim)
{
    for (uint32_t i = 0; i < m->n_noshow; i++) {
        if (m->noshow[i].claim == claim) {
            m->noshow[i] = m->noshow[--m->n_noshow];
            return;
        }
    }
}

/* ---- per-command eviction --------------------------------------------- */

static void session_remove(struct refmodel *m, uint32_t i)
{
    free(m->sessions[i]);
    memmove(&m->sessions[i], &m->sessions[i + 1],
            (m->n_sessions - i - 1) * sizeof *m->sessions);
    m->n_sessions--;
}

static void evict_sessions(struct refmodel *m)
{
    for (int k = 0; k < SLOT_SESSION_EVICT_PER_CMD && m->n_sessions > 0; k++) {
        const struct rm_session *lru = m->sessions[0];
        bool idle = lru->last_used_ms + m->config.session_idle_ms <= m->now_ms;
        bool over = m->n_sessions > m->config.session_max;
        if (!idle && !over) {
            break;
        }
        session_remove(m, 0);
    }
}

static void evict_retained(struct refmodel *m)
{
    for (int k = 0;
         k < SLOT_RETAIN_EVICT_PER_CMD && m->retained_head < m->retained_end;
         k++) {
        struct rm_claim *c = &m->claims[m->retained[m->retained_head] - 1];
        uint64_t kept = m->retained_end - m->retained_head;
        bool old = c->resolved_at_ms + m->config.retain_ms <= m->now_ms;
        bool over = kept > m->config.retain_max;
        if (!old && !over) {
            break;
        }
        c->forgotten = true;
        m->retained_head++;
    }
}

static void evict_idems(struct refmodel *m)
{
    for (int k = 0; k < SLOT_RETAIN_EVICT_PER_CMD && m->idem_head < m->n_idems;
         k++) {
        const struct rm_idem *e = &m->idems[m->idem_head];
        bool old = e->res.time_ms + m->config.retain_ms <= m->now_ms;
        bool over = m->n_idems - m->idem_head > LEDGER_IDEM_MAX;
        if (!old && !over) {
            break;
        }
        m->idem_head++;
    }
}

static struct rm_idem *find_idem(struct refmodel *m, const struct slot_cmd *cmd)
{
    for (uint64_t i = m->idem_head; i < m->n_idems; i++) {
        if (str_eq(m->idems[i].channel, cmd->idem.channel) &&
            str_eq(m->idems[i].key, cmd->idem.key)) {
            return &m->idems[i];
        }
    }
    return NULL;
}

/* ---- sessions --------------------------------------------------------- */

static struct rm_session *find_session(struct refmodel *m, uint64_t id,
                                       uint32_t *index)
{
    for (uint32_t i = 0; i < m->n_sessions; i++) {
        if (m->sessions[i]->id == id) {
            *index = i;
            return m->sessions[i];
        }
    }
    return NULL;
}

/* Marks the session used now: most-recent end of the LRU order. */
static void session_touch(struct refmodel *m, uint32_t i)
{
    struct rm_session *s = m->sessions[i];
    memmove(&m->sessions[i], &m->sessions[i + 1],
            (m->n_sessions - i - 1) * sizeof *m->sessions);
    m->sessions[m->n_sessions - 1] = s;
    s->last_used_ms = m->now_ms;
}

static uint64_t session_open(struct refmodel *m)
{
    if (m->n_sessions >= m->config.session_max && m->n_sessions > 0) {
        session_remove(m, 0); /* I1: exactly one */
    }
    struct rm_session *s = calloc(1, sizeof *s);
    if (s == NULL) {
        abort();
    }
    s->id = ++m->last_session_id;
    s->last_used_ms = m->now_ms;
    m->sessions = grow32(m->sessions, m->n_sessions, &m->cap_sessions,
                         sizeof *m->sessions);
    m->sessions[m->n_sessions++] = s;
    return s->id;
}

static const struct rm_done *session_find_done(const struct rm_session *s,
                                               uint64_t seq)
{
    for (uint32_t i = 0; i < s->n_done; i++) {
        if (s->done[i].seq == seq) {
            return &s->done[i];
        }
    }
    return NULL;
}

/* Stores a result and drops what fell out of the window (I6). */
static void session_store(struct rm_session *s, uint64_t seq, uint64_t fp,
                          const struct slot_result *res)
{
    if (seq > s->max_seq) {
        s->max_seq = seq;
    }
    uint32_t k = 0;
    for (uint32_t i = 0; i < s->n_done; i++) {
        if (s->done[i].seq + SLOT_SESSION_WINDOW > s->max_seq) {
            s->done[k++] = s->done[i];
        }
    }
    s->n_done = k;
    assert(s->n_done < SLOT_SESSION_WINDOW);
    s->done[s->n_done].seq = seq;
    s->done[s->n_done].fingerprint = fp;
    s->done[s->n_done].res = *res;
    s->n_done++;
}

/* ---- the ops ---------------------------------------------------------- */

static void place_set(struct rm_place *pl, const struct slot_sched *s)
{
    memset(pl, 0, sizeof *pl);
    str_copy(pl->hospital, sizeof pl->hospital, s->hospital);
    str_copy(pl->campus, sizeof pl->campus, s->campus);
    str_copy(pl->department, sizeof pl->department, s->department);
    str_copy(pl->doctor, sizeof pl->doctor, s->doctor);
    pl->visit_day = s->visit_day;
    pl->pay_mode = s->pay_mode;
    pl->visit_slot_ms = s->visit_slot_ms;
    pl->n_eligible = s->n_eligible;
    for (uint32_t i = 0; i < s->n_eligible; i++) {
        str_copy(pl->eligible[i], sizeof pl->eligible[i], s->eligible[i]);
    }
    pl->n_rem_allow = s->n_rem_allow;
    for (uint32_t i = 0; i < s->n_rem_allow; i++) {
        str_copy(pl->rem_allow[i], sizeof pl->rem_allow[i], s->rem_allow[i]);
    }
}

/* Replaces what a spec sets, interning its channel names in the order
 * given: shares, eligible, remainder_allow. */
static void op_pool_set(struct refmodel *m, struct rm_pool *p,
                        const struct slot_pool_spec *spec)
{
    p->capacity = spec->capacity;
    p->kind = spec->kind;
    p->fee_cents = spec->fee_cents;
    p->seg_start_ms = spec->seg_start_ms;
    p->seg_end_ms = spec->seg_end_ms;
    p->release_at_ms = spec->release_at_ms;
    p->n_shares = spec->n_shares;
    for (uint32_t i = 0; i < spec->n_shares; i++) {
        str_copy(p->shares[i].channel, sizeof p->shares[i].channel,
                 spec->shares[i].channel);
        p->shares[i].slots = spec->shares[i].slots;
        p->shares[i].spec = spec->shares[i].slots;
        intern_channel(m, spec->shares[i].channel);
    }
    if (spec->has_sched) {
        p->scheduled = true;
        place_set(&p->place, &spec->sched);
        for (uint32_t i = 0; i < spec->sched.n_eligible; i++) {
            intern_channel(m, spec->sched.eligible[i]);
        }
        for (uint32_t i = 0; i < spec->sched.n_rem_allow; i++) {
            intern_channel(m, spec->sched.rem_allow[i]);
        }
    }
}

/* Appends a new pool made from spec (checks done by the caller). */
static void pool_add(struct refmodel *m, const struct slot_pool_spec *spec)
{
    m->pools = grow32(m->pools, m->n_pools, &m->cap_pools, sizeof *m->pools);
    struct rm_pool *p = &m->pools[m->n_pools++];
    memset(p, 0, sizeof *p);
    str_copy(p->id, sizeof p->id, spec->pool);
    p->next_visit_no = 1;
    op_pool_set(m, p, spec);
}

static int op_pool_create(struct refmodel *m, const struct slot_pool_spec *spec)
{
    if (find_pool(m, spec->pool) != NULL) {
        return SLOT_POOL_EXISTS;
    }
    if (spec->has_sched && find_hospital(m, spec->sched.hospital) == NULL) {
        return SLOT_UNKNOWN_HOSPITAL;
    }
    if (spec_channels_overflow(m, spec)) {
        return SLOT_LIMIT_REACHED;
    }
    pool_add(m, spec);
    ev_pool(m, SLOT_EV_POOL_CREATED, m->n_pools - 1, 0, 0);
    return SLOT_OK;
}

static bool spec_has_channel(const struct slot_pool_spec *spec,
                             const char *channel)
{
    for (uint32_t i = 0; i < spec->n_shares; i++) {
        if (str_eq(channel, spec->shares[i].channel)) {
            return true;
        }
    }
    return false;
}

static int op_pool_update(struct refmodel *m, const struct slot_pool_spec *spec)
{
    struct rm_pool *p = find_pool(m, spec->pool);
    if (p == NULL) {
        return SLOT_UNKNOWN_POOL;
    }
    if (p->stopped) {
        return SLOT_POOL_STOPPED;
    }
    if (p->closed) {
        return SLOT_POOL_CLOSED;
    }
    if (p->scheduled && spec->seg_end_ms == 0) {
        return SLOT_INVALID_ARGUMENT; /* S10 */
    }
    if (spec->has_sched && find_hospital(m, spec->sched.hospital) == NULL) {
        return SLOT_UNKNOWN_HOSPITAL;
    }
    uint32_t pi = pool_index(m, p);
    uint32_t sum = 0;
    for (uint32_t i = 0; i < spec->n_shares; i++) {
        char ch[SLOT_CHANNEL_MAX + 1];
        str_copy(ch, sizeof ch, spec->shares[i].channel);
        /* A channel without a share today has no claims in a share. */
        if (spec->shares[i].slots < bucket_used(m, pi, ch)) {
            return SLOT_CAPACITY_CONFLICT;
        }
        sum += spec->shares[i].slots;
    }
    for (uint32_t i = 0; i < p->n_shares; i++) {
        if (!spec_has_channel(spec, p->shares[i].channel) &&
            bucket_used(m, pi, p->shares[i].channel) > 0) {
            return SLOT_CAPACITY_CONFLICT;
        }
    }
    assert(sum <= spec->capacity); /* the decoder checked */
    if (spec->capacity - sum < bucket_used(m, pi, "")) {
        return SLOT_CAPACITY_CONFLICT;
    }
    if (spec_channels_overflow(m, spec)) {
        return SLOT_LIMIT_REACHED;
    }
    op_pool_set(m, p, spec); /* S3: a flowed pool stays flowed */
    ev_pool(m, SLOT_EV_POOL_UPDATED, pi, 0, 0); /* its hospital now */
    return SLOT_OK;
}

static int op_pool_close(struct refmodel *m, struct slot_str pool)
{
    struct rm_pool *p = find_pool(m, pool);
    if (p == NULL) {
        return SLOT_UNKNOWN_POOL;
    }
    if (p->stopped) {
        return SLOT_POOL_STOPPED;
    }
    if (p->closed) {
        return SLOT_POOL_CLOSED;
    }
    p->closed = true;
    ev_pool(m, SLOT_EV_POOL_CLOSED, pool_index(m, p), 0, 0);
    return SLOT_OK;
}

/* eligible(C) of ledger.h: the pool's own list, else the first matching
 * eligibility rule's, else every channel. *by_rule tells which list
 * decided (for the stats). */
static bool eligible(const struct rm_pool *p, const struct slot_rules *r,
                     const char *ch, bool *by_rule)
{
    const char(*names)[SLOT_CHANNEL_MAX + 1] = NULL;
    uint32_t n = 0;
    *by_rule = false;
    if (p->place.n_eligible > 0) {
        names = p->place.eligible;
        n = p->place.n_eligible;
    } else {
        for (uint32_t i = 0; i < r->n_elig; i++) {
            const struct slot_elig *e = &r->elig[i];
            if ((e->department[0] == '\0' ||
                 strcmp(e->department, p->place.department) == 0) &&
                (e->kind == SLOT_KIND_ANY || e->kind == p->kind)) {
                names = e->names;
                n = e->n;
                *by_rule = true;
                break;
            }
        }
    }
    if (names == NULL) {
        return true;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (covers(r, names[i], ch)) {
            return true;
        }
    }
    return false;
}

enum closed_why { OPEN_ = 0, CLOSED_OVER, CLOSED_CUTOFF, CLOSED_SAME_DAY };

/* closed(C) of ledger.h, with the first reason that applies. */
static enum closed_why closed_for(const struct refmodel *m,
                                  const struct rm_pool *p,
                                  const struct slot_rules *r,
                                  const struct slot_policy *pol)
{
    int64_t today = slot_local_day(m->now_ms, r->utc_offset_min);
    uint32_t minute = slot_local_minute(m->now_ms, r->utc_offset_min);
    int64_t v = p->place.visit_day;
    /* S10: no segment (seg_end_ms 0), no "segment over" rule */
    if (today > v || (p->seg_end_ms != 0 && m->now_ms >= p->seg_end_ms)) {
        return CLOSED_OVER;
    }
    if (pol->cutoff && r->cutoff_minute != SLOT_MINUTE_NONE &&
        (today > v - 1 || (today == v - 1 && minute >= r->cutoff_minute))) {
        return CLOSED_CUTOFF;
    }
    if (!pol->same_day && today >= v) {
        return CLOSED_SAME_DAY;
    }
    return OPEN_;
}

/* The date and channel rules of a scheduled pool that come before
 * NOT_RELEASED by release_at_ms: CHANNEL_NOT_ALLOWED, OUTSIDE_HORIZON,
 * NOT_RELEASED by the release minute. */
static int hold_sched_checks(struct refmodel *m, const struct rm_pool *p,
                             const struct slot_rules *r, const char *ch,
                             const struct slot_policy *pol)
{
    bool by_rule;
    if (!eligible(p, r, ch, &by_rule)) {
        m->stats.elig_by_rule += by_rule;
        m->stats.elig_by_pool += !by_rule;
        return SLOT_CHANNEL_NOT_ALLOWED;
    }
    int64_t h = pol->horizon_days != 0 ? pol->horizon_days : r->horizon_days;
    int64_t today = slot_local_day(m->now_ms, r->utc_offset_min);
    uint32_t minute = slot_local_minute(m->now_ms, r->utc_offset_min);
    int64_t opens = (int64_t)p->place.visit_day - h;
    if (h > 0 && today < opens) {
        return SLOT_OUTSIDE_HORIZON;
    }
    if (h > 0 && today == opens && minute < r->release_minute) {
        m->stats.not_released_minute++;
        return SLOT_NOT_RELEASED;
    }
    return SLOT_OK;
}

/* I4: the bucket a HOLD through channel ch takes, or NULL (SOLD_OUT). */
static const char *pick_bucket(struct refmodel *m, const struct rm_pool *p,
                               const struct slot_rules *r, const char *ch)
{
    uint32_t pi = pool_index(m, p);
    for (uint32_t i = 0; i < p->n_shares; i++) {
        const struct rm_share *s = &p->shares[i];
        if (strcmp(s->channel, ch) == 0 &&
            bucket_used(m, pi, s->channel) < s->slots) {
            return s->channel;
        }
    }
    for (uint32_t i = 0; r != NULL && i < p->n_shares; i++) {
        const struct rm_share *s = &p->shares[i];
        if (strcmp(s->channel, ch) != 0 &&
            slot_rules_group(r, s->channel, strlen(s->channel)) != NULL &&
            covers(r, s->channel, ch) &&
            bucket_used(m, pi, s->channel) < s->slots) {
            m->stats.group_share++;
            return s->channel;
        }
    }
    bool allowed = r == NULL || p->place.n_rem_allow == 0;
    for (uint32_t i = 0; !allowed && i < p->place.n_rem_allow; i++) {
        allowed = covers(r, p->place.rem_allow[i], ch);
    }
    bool room = bucket_used(m, pi, "") < p->capacity - shares_sum(p);
    if (allowed && room) {
        return "";
    }
    m->stats.protected_sold_out += room;
    return NULL;
}

/* Who HOLD's checks are run for: a HOLD, a WAITLIST_JOIN (no
 * TTL_OUT_OF_RANGE), or the waiter a CANCEL would offer its slot to (no
 * TTL_OUT_OF_RANGE, and a pending exception does not help). */
enum hold_for { FOR_HOLD, FOR_JOIN, FOR_OFFER };

/* HOLD's patient rules between TTL_OUT_OF_RANGE and PATIENT_HAS_CLAIM:
 * NOT_BOUND, BLACKLISTED (b = until), CANCEL_LIMIT (b = today).
 * *use_exception: the hold gets through on a pending exception (P2). */
static int hold_patient_checks(struct refmodel *m, const struct rm_pool *p,
                               const char *patient, const char *ch,
                               struct slot_str account, enum hold_for why,
                               struct slot_result *res, bool *use_exception)
{
    const struct slot_rules *hr =
        p->scheduled ? hospital_rules(m, p->place.hospital) : NULL;
    const struct slot_patient_rules *pr = hr != NULL ? &hr->patient : NULL;
    if (account.len > 0 && !bound_to(m, patient, account)) {
        return SLOT_NOT_BOUND;
    }
    if (account.len == 0 && pr != NULL &&
        covers_opt(hr, pr->account_channels, ch)) {
        m->stats.not_bound_channel++;
        return SLOT_NOT_BOUND;
    }
    if (pr == NULL) {
        return SLOT_OK;
    }
    struct rm_patient *pt = find_pat(m, patient);
    struct rm_standing *st =
        pt != NULL ? find_standing(pt, p->place.hospital) : NULL;
    if (st != NULL && st->until_ms > m->now_ms) {
        if (covers_opt(hr, pr->blacklist_exempt, ch)) {
            m->stats.exempt_hold += why == FOR_HOLD;
        } else if (st->exception && why != FOR_OFFER) {
            *use_exception = true;
        } else {
            m->stats.offer_no_exception += st->exception;
            res->b = st->until_ms;
            return SLOT_BLACKLISTED;
        }
    }
    if (pr->cancel_limit_day > 0 && pt != NULL) {
        uint32_t today = slot_local_day(m->now_ms, hr->utc_offset_min);
        uint32_t n = 0;
        for (uint32_t i = 0; i < pt->n_cancels; i++) {
            n += slot_local_day(pt->cancels_ms[i], hr->utc_offset_min) == today;
        }
        if (n >= pr->cancel_limit_day) {
            res->b = today;
            return SLOT_CANCEL_LIMIT;
        }
    }
    return SLOT_OK;
}

/* Is claim c's patient counted with P's: P itself, or (by_account) a
 * patient bound now to the account P is bound to (P13). */
static bool quota_counts(const struct refmodel *m, const struct rm_claim *c,
                         const char *patient, const char *account)
{
    if (account == NULL) {
        return strcmp(c->patient, patient) == 0;
    }
    const struct rm_patient *pt = find_pat(m, c->patient);
    return pt != NULL && strcmp(pt->account, account) == 0;
}

/* The day / department / month quotas of P5 for P alone (account NULL) or
 * for the account's patients together (P13); which = 0 if none refuses. */
static int quota_which(struct refmodel *m, const struct rm_pool *p,
                       const struct slot_patient_rules *pr, const char *patient,
                       const char *account, uint64_t *from_out)
{
    bool expert = p->kind != SLOT_KIND_NORMAL;
    uint32_t v = p->place.visit_day;
    int64_t year, y;
    uint32_t month, mo, mday;
    slot_civil_from_day(v, &year, &month, &mday);
    uint32_t day = 0, dept = 0, in_month = 0;
    for (uint32_t i = 0; i < m->n_active; i++) {
        const struct rm_claim *c = active_claim(m, i);
        const struct rm_pool *q = &m->pools[c->pool];
        if (!claim_active(m, c) || !quota_counts(m, c, patient, account) ||
            !q->scheduled ||
            strcmp(q->place.hospital, p->place.hospital) != 0 ||
            (q->kind != SLOT_KIND_NORMAL) != expert) {
            continue;
        }
        slot_civil_from_day(q->place.visit_day, &y, &mo, &mday);
        day += q->place.visit_day == v;
        dept += q->place.visit_day == v &&
                strcmp(q->place.department, p->place.department) == 0;
        in_month += y == year && mo == month;
    }
    uint32_t q_day = expert ? pr->quota_day_expert : pr->quota_day_normal;
    uint32_t q_month = expert ? pr->quota_month_expert : pr->quota_month_normal;
    int which = 0;
    *from_out = v;
    if (q_day > 0 && day >= q_day) {
        which = expert ? SLOT_QUOTA_DAY_EXPERT : SLOT_QUOTA_DAY_NORMAL;
    } else if (expert && pr->quota_dept_expert > 0 &&
               dept >= pr->quota_dept_expert) {
        which = SLOT_QUOTA_DEPT_EXPERT;
    } else if (q_month > 0 && in_month >= q_month) {
        which = expert ? SLOT_QUOTA_MONTH_EXPERT : SLOT_QUOTA_MONTH_NORMAL;
        *from_out = (uint64_t)slot_day_from_civil(year, month, 1);
    }
    return which;
}

/* QUOTA_EXCEEDED (a = quota, b = the window's first day), P5, P13. */
static int hold_quota(struct refmodel *m, const struct rm_pool *p,
                      const char *patient, struct slot_result *res)
{
    if (p->scheduled) {
        const struct slot_patient_rules *pr =
            &hospital_rules(m, p->place.hospital)->patient;
        uint64_t from = 0;
        int which = quota_which(m, p, pr, patient, NULL, &from);
        const struct rm_patient *pt = find_pat(m, patient);
        if (which == 0 && pr->quota_per_account && pt != NULL &&
            pt->account[0] != '\0') {
            which = quota_which(m, p, pr, patient, pt->account, &from);
            if (which != 0) {
                which += SLOT_QUOTA_ACCOUNT;
            }
        }
        if (which != 0) {
            m->stats.quota[which]++;
            res->a = (uint64_t)which;
            res->b = from;
            return SLOT_QUOTA_EXCEEDED;
        }
    }
    if (m->config.patient_active_max > 0) {
        uint32_t n = 0;
        for (uint32_t i = 0; i < m->n_active; i++) {
            const struct rm_claim *c = active_claim(m, i);
            n += claim_active(m, c) && strcmp(c->patient, patient) == 0;
        }
        if (n >= m->config.patient_active_max) {
            m->stats.quota[SLOT_QUOTA_ACTIVE]++;
            res->a = SLOT_QUOTA_ACTIVE;
            return SLOT_QUOTA_EXCEEDED;
        }
    }
    return SLOT_OK;
}

/* HOLD's checks from POOL_CLOSED through QUOTA_EXCEEDED, in HOLD's
 * order, for patient / ch / account at pool p (W1, W5). FOR_HOLD: the
 * TTL is checked (ttl_in; *ttl_out the one to use, *by_default when it
 * is R's). A HELD claim of the patient in p past its deadline is expired
 * (I2). *use_exception: a pending exception lets it through. */
static int hold_checks(struct refmodel *m, struct rm_pool *p,
                       const char *patient, const char *ch,
                       struct slot_str account, enum hold_for why,
                       uint32_t ttl_in, uint32_t *ttl_out, bool *by_default,
                       struct slot_result *res, bool *use_exception)
{
    if (p->stopped) {
        return SLOT_POOL_STOPPED; /* at POOL_CLOSED's place, before it */
    }
    if (p->closed) {
        return SLOT_POOL_CLOSED;
    }
    const struct slot_rules *r = pool_rules(m, p);
    struct slot_policy pol;
    memset(&pol, 0, sizeof pol);
    if (r != NULL) {
        pol = slot_rules_policy(r, ch, strlen(ch));
        int code = hold_sched_checks(m, p, r, ch, &pol);
        if (code != SLOT_OK) {
            return code;
        }
    }
    if (m->now_ms < p->release_at_ms) {
        return SLOT_NOT_RELEASED;
    }
    if (r != NULL) {
        enum closed_why cw = closed_for(m, p, r, &pol);
        if (cw != OPEN_) {
            m->stats.closed_over += cw == CLOSED_OVER;
            m->stats.closed_cutoff += cw == CLOSED_CUTOFF;
            m->stats.closed_same_day += cw == CLOSED_SAME_DAY;
            return SLOT_BOOKING_CLOSED;
        }
    }
    if (why == FOR_HOLD) {
        uint32_t ttl = ttl_in;
        *by_default = ttl == 0 && r != NULL;
        if (*by_default) {
            ttl = r->pay_ttl_ms;
        }
        if (ttl < m->config.hold_ttl_min_ms ||
            ttl > m->config.hold_ttl_max_ms) {
            return SLOT_TTL_OUT_OF_RANGE;
        }
        if (r != NULL && r->pay_ttl_max_ms != 0 && ttl > r->pay_ttl_max_ms) {
            m->stats.ttl_rule_max++;
            return SLOT_TTL_OUT_OF_RANGE;
        }
        *ttl_out = ttl;
    }
    int code = hold_patient_checks(m, p, patient, ch, account, why, res,
                                   use_exception);
    if (code != SLOT_OK) {
        return code;
    }
    uint32_t pi = pool_index(m, p);
    for (uint32_t i = 0; i < m->n_active; i++) {
        struct rm_claim *c = active_claim(m, i);
        if (c->pool != pi || strcmp(c->patient, patient) != 0) {
            continue;
        }
        if (held_due(m, c)) {
            expire_claim(m, c); /* I2: stays expired */
            /* E6: a CANCEL's offer check expiring the waiter's own due
             * hold: its EXPIRED comes before the CANCELLED (the waiter is
             * chosen before the booking is cancelled, W5) */
            m->stats.ev_offer_expired_own += why == FOR_OFFER;
            break;
        }
        return SLOT_PATIENT_HAS_CLAIM;
    }
    return hold_quota(m, p, patient, res);
}

/* A new HELD claim; returns it (a pointer into the claims: valid until
 * the next one). */
static struct rm_claim *new_claim(struct refmodel *m, uint32_t pi,
                                  const char *patient, const char *ch,
                                  const char *bucket, uint32_t ttl)
{
    m->claims = grow(m->claims, m->n_claims, &m->cap_claims, sizeof *m->claims);
    struct rm_claim *c = &m->claims[m->n_claims++];
    memset(c, 0, sizeof *c);
    c->id = m->n_claims;
    c->state = SLOT_CLAIM_HELD;
    c->pool = pi;
    cstr_copy(c->patient, sizeof c->patient, patient);
    cstr_copy(c->channel, sizeof c->channel, ch);
    cstr_copy(c->bucket, sizeof c->bucket, bucket);
    c->held_at_ms = m->now_ms;
    c->deadline_ms = m->now_ms + ttl;
    m->active =
        grow32(m->active, m->n_active, &m->cap_active, sizeof *m->active);
    m->active[m->n_active++] = c->id;
    return c;
}

static int op_hold(struct refmodel *m, const struct slot_cmd *cmd,
                   struct slot_result *res)
{
    struct rm_pool *p = find_pool(m, cmd->u.hold.pool);
    if (p == NULL) {
        return SLOT_UNKNOWN_POOL;
    }
    char ch[SLOT_CHANNEL_MAX + 1];
    str_copy(ch, sizeof ch, cmd->u.hold.channel);
    char patient[SLOT_PATIENT_KEY_MAX + 1];
    str_copy(patient, sizeof patient, cmd->u.hold.patient);
    uint32_t ttl = 0;
    bool by_default = false, use_exception = false;
    int code =
        hold_checks(m, p, patient, ch, cmd->u.hold.account, FOR_HOLD,
                    cmd->u.hold.ttl_ms, &ttl, &by_default, res, &use_exception);
    if (code != SLOT_OK) {
        return code;
    }
    const struct slot_rules *r = pool_rules(m, p);
    const char *bucket = pick_bucket(m, p, r, ch);
    if (bucket == NULL) {
        return SLOT_SOLD_OUT;
    }
    /* The only table limit the test can reach: the other tables hold
     * millions (LEDGER_*_MAX). */
    if (!channel_known(m, cmd->u.hold.channel) &&
        m->n_channels >= LEDGER_CHANNELS_MAX) {
        return SLOT_LIMIT_REACHED;
    }
    m->stats.ttl_default += by_default;
    if (r != NULL && r->horizon_days > 0 &&
        m->now_ms < reported_release(m, p) && m->now_ms >= p->release_at_ms) {
        m->stats.early_by_policy++; /* S8 */
    }
    struct rm_claim *c =
        new_claim(m, pool_index(m, p), patient, ch, bucket, ttl);
    intern_patient(m, cmd->u.hold.patient);
    intern_channel(m, cmd->u.hold.channel);
    if (use_exception) { /* P2 */
        find_standing(find_pat(m, patient), p->place.hospital)->exception =
            false;
        m->stats.exception_used++;
    }
    ev_claim(m, SLOT_EV_HELD, c, c->deadline_ms, 0);
    res->a = c->id;
    res->b = c->deadline_ms;
    return SLOT_OK;
}

/* ---- waitlists ----------------------------------------------------------- */

/* The patient's index in the pool's waitlist, or -1. */
static int64_t wait_index(const struct rm_pool *p, const char *patient)
{
    for (uint32_t i = 0; i < p->n_wait; i++) {
        if (strcmp(p->wait[i].patient, patient) == 0) {
            return i;
        }
    }
    return -1;
}

static void wait_remove(struct rm_pool *p, uint32_t i)
{
    memmove(&p->wait[i], &p->wait[i + 1],
            (p->n_wait - i - 1) * sizeof p->wait[0]);
    p->n_wait--;
}

static int op_wait_join(struct refmodel *m, const struct slot_cmd *cmd,
                        struct slot_result *res)
{
    struct rm_pool *p = find_pool(m, cmd->u.wait.pool);
    if (p == NULL) {
        return SLOT_UNKNOWN_POOL;
    }
    char ch[SLOT_CHANNEL_MAX + 1];
    str_copy(ch, sizeof ch, cmd->u.wait.channel);
    char patient[SLOT_PATIENT_KEY_MAX + 1];
    str_copy(patient, sizeof patient, cmd->u.wait.patient);
    bool use_exception = false;
    int code = hold_checks(m, p, patient, ch, cmd->u.wait.account, FOR_JOIN, 0,
                           NULL, NULL, res, &use_exception);
    if (code != SLOT_OK) {
        return code;
    }
    if (wait_index(p, patient) >= 0) {
        return SLOT_ALREADY_WAITING;
    }
    /* "if HOLD would find a bucket for C" (pick_bucket's events are
     * HOLD's: not counted here) */
    struct refmodel_stats saved = m->stats;
    const char *bucket = pick_bucket(m, p, pool_rules(m, p), ch);
    m->stats = saved;
    if (bucket != NULL) {
        return SLOT_NOT_SOLD_OUT;
    }
    if (p->n_wait >= LEDGER_WAITLIST_MAX ||
        (!channel_known(m, cmd->u.wait.channel) &&
         m->n_channels >= LEDGER_CHANNELS_MAX)) {
        return SLOT_LIMIT_REACHED;
    }
    p->wait = grow32(p->wait, p->n_wait, &p->cap_wait, sizeof *p->wait);
    struct rm_wait *w = &p->wait[p->n_wait++];
    memset(w, 0, sizeof *w);
    cstr_copy(w->patient, sizeof w->patient, patient);
    cstr_copy(w->channel, sizeof w->channel, ch);
    str_copy(w->account, sizeof w->account, cmd->u.wait.account);
    intern_patient(m, cmd->u.wait.patient); /* W2 */
    intern_channel(m, cmd->u.wait.channel);
    m->stats.join_exception += use_exception; /* W3: stays pending */
    struct slot_event *e =
        ev_pool(m, SLOT_EV_WAIT_JOINED, pool_index(m, p), p->n_wait, 0);
    cstr_copy(e->channel, sizeof e->channel, ch);
    ev_patient_fields(m, e, patient);
    res->a = p->n_wait;
    return SLOT_OK;
}

static int op_wait_leave(struct refmodel *m, const struct slot_cmd *cmd)
{
    struct rm_pool *p = find_pool(m, cmd->u.wait.pool);
    if (p == NULL) {
        return SLOT_UNKNOWN_POOL;
    }
    char patient[SLOT_PATIENT_KEY_MAX + 1];
    str_copy(patient, sizeof patient, cmd->u.wait.patient);
    int64_t i = wait_index(p, patient);
    if (i < 0) {
        return SLOT_NOT_WAITING;
    }
    struct slot_str caller = cmd->u.wait.channel;
    if (caller.len > 0 && !str_eq(p->wait[i].channel, caller)) {
        if (!bound_to(m, patient, cmd->u.wait.account)) {
            return SLOT_NOT_OWNER;
        }
        m->stats.leave_by_account++;
    }
    struct slot_event *e =
        ev_pool(m, SLOT_EV_WAIT_LEFT, pool_index(m, p), 0, 0);
    cstr_copy(e->channel, sizeof e->channel, p->wait[i].channel);
    ev_patient_fields(m, e, patient);
    wait_remove(p, (uint32_t)i);
    return SLOT_OK;
}

/* A CANCEL's offer (W4, W5): the first waiter, from the head, who would
 * now be given a HOLD through its channel and account leaves the list
 * into *out; up to SLOT_WAITLIST_SKIP_MAX ineligible waiters before it
 * are dropped. Returns whether one was found. */
static bool offer_pick(struct refmodel *m, uint32_t pi, struct rm_wait *out)
{
    struct rm_pool *p = &m->pools[pi];
    uint32_t dropped = 0;
    if (p->n_wait > m->stats.wait_longest) {
        m->stats.wait_longest = p->n_wait;
    }
    while (p->n_wait > 0) {
        struct rm_wait w = p->wait[0];
        struct slot_result scratch;
        memset(&scratch, 0, sizeof scratch);
        bool use_exception = false;
        struct slot_str account = {w.account, (uint32_t)strlen(w.account)};
        int code = hold_checks(m, p, w.patient, w.channel, account, FOR_OFFER,
                               0, NULL, NULL, &scratch, &use_exception);
        assert(!use_exception);
        if (code == SLOT_OK) {
            wait_remove(p, 0);
            *out = w;
            m->stats.offers++;
            m->stats.offer_after_drop += dropped > 0;
            return true;
        }
        if (dropped == SLOT_WAITLIST_SKIP_MAX) {
            m->stats.skip_bound++; /* W5: it stays, and so do the rest */
            return false;
        }
        wait_remove(p, 0);
        dropped++;
        m->stats.wait_dropped++;
    }
    return false;
}

/* The offer (W6): waiter w gets the slot of `bucket` as a HELD claim. */
static void offer_make(struct refmodel *m, uint32_t pi, const char *bucket,
                       const struct rm_wait *w)
{
    const struct slot_rules *r = pool_rules(m, &m->pools[pi]);
    uint32_t ttl = r != NULL && r->pay_ttl_ms != 0 ? r->pay_ttl_ms
                                                   : m->config.hold_ttl_max_ms;
    struct rm_claim *c = new_claim(m, pi, w->patient, w->channel, bucket, ttl);
    c->offer = true;
    ev_claim(m, SLOT_EV_OFFERED, c, c->deadline_ms, 0);
}

/* NOT_OWNER's rule: the caller is an administrator (""), the claim's
 * channel, or names the account the patient is bound to now. */
static bool owner_ok(struct refmodel *m, const struct rm_claim *c,
                     const struct slot_cmd *cmd)
{
    if (cmd->u.claim.caller.len == 0 ||
        str_eq(c->channel, cmd->u.claim.caller)) {
        return true;
    }
    if (bound_to(m, c->patient, cmd->u.claim.account)) {
        m->stats.owner_by_account++;
        return true;
    }
    return false;
}

/* The part CONFIRM and RELEASE share: the claim if it is HELD and not due,
 * else NULL and the error in *code. */
static struct rm_claim *resolvable_hold(struct refmodel *m,
                                        const struct slot_cmd *cmd, int *code)
{
    struct rm_claim *c = find_claim(m, cmd->u.claim.id);
    if (c == NULL) {
        *code = SLOT_UNKNOWN_HOLD;
        return NULL;
    }
    if (!owner_ok(m, c, cmd)) {
        *code = SLOT_NOT_OWNER; /* nothing changes: not even expiry */
        return NULL;
    }
    if (held_due(m, c)) {
        expire_claim(m, c);
        *code = SLOT_HOLD_EXPIRED;
        return NULL;
    }
    switch (c->state) {
        case SLOT_CLAIM_HELD:
            *code = SLOT_OK;
            return c;
        case SLOT_CLAIM_EXPIRED:
            *code = SLOT_HOLD_EXPIRED;
            return NULL;
        case SLOT_CLAIM_BOOKED:
        case SLOT_CLAIM_CANCELLED:
        case SLOT_CLAIM_MOVED: /* V4 */
            *code = SLOT_ALREADY_CONFIRMED;
            return NULL;
        case SLOT_CLAIM_RELEASED:
            *code = SLOT_ALREADY_RELEASED;
            return NULL;
    }
    abort();
}

/* The pool's lowest freed visit number (removed from the list), else the
 * next new one. */
static uint32_t take_visit_no(struct refmodel *m, struct rm_pool *p)
{
    if (p->n_freed == 0) {
        return p->next_visit_no++;
    }
    uint32_t low = 0;
    for (uint32_t i = 1; i < p->n_freed; i++) {
        if (p->freed[i] < p->freed[low]) {
            low = i;
        }
    }
    uint32_t no = p->freed[low];
    p->freed[low] = p->freed[--p->n_freed];
    m->stats.visit_reused++;
    return no;
}

static int op_confirm(struct refmodel *m, const struct slot_cmd *cmd,
                      struct slot_result *res)
{
    int code;
    struct rm_claim *c = resolvable_hold(m, cmd, &code);
    if (c == NULL) {
        return code;
    }
    struct rm_pool *p = &m->pools[c->pool];
    if (p->stopped) {
        m->stats.confirm_stopped_kept++; /* the hold stays */
        return SLOT_POOL_STOPPED;
    }
    bool at_visit = p->scheduled && p->place.pay_mode == SLOT_PAY_AT_VISIT;
    bool has_ref = cmd->u.claim.payment_ref.len > 0;
    if (!has_ref && !at_visit) {
        return SLOT_PAYMENT_REQUIRED;
    }
    if (!method_fits(m, cmd->u.claim.pay_method)) {
        m->stats.method_full_confirm++;
        return SLOT_LIMIT_REACHED; /* last (M1) */
    }
    m->stats.unpaid += !has_ref;
    m->stats.offer_confirmed += c->offer;
    c->state = SLOT_CLAIM_BOOKED;
    c->booked_at_ms = m->now_ms;
    c->visit_no = take_visit_no(m, p);
    if (has_ref) { /* S2, M2 */
        pay(m, c, cmd->u.claim.payment_ref, cmd->u.claim.pay_method);
    }
    noshow_add(m, c);
    p->st_booked += p->scheduled; /* M9 */
    struct slot_event *e = ev_claim(m, SLOT_EV_BOOKED, c, c->visit_no, c->paid);
    recon_count(m, e, c, RC_BOOKED);
    c->booked_day = e->local_day;
    res->a = c->id;
    res->b = c->visit_no;
    return SLOT_OK;
}

static int op_release(struct refmodel *m, const struct slot_cmd *cmd)
{
    int code;
    struct rm_claim *c = resolvable_hold(m, cmd, &code);
    if (c == NULL) {
        return code;
    }
    resolve(m, c, SLOT_CLAIM_RELEASED);
    ev_claim(m, SLOT_EV_RELEASED, c, 0, 0);
    if (c->offer) {
        m->stats.offer_released++;
        offer_lapsed(m, c);
    }
    return SLOT_OK;
}

/* CANCEL_CLOSED's rule (P7) for a caller that is not an administrator. */
static bool cancel_closed(struct refmodel *m, const struct rm_claim *c)
{
    const struct rm_pool *p = &m->pools[c->pool];
    if (!p->scheduled) {
        return false;
    }
    const struct slot_rules *hr = hospital_rules(m, p->place.hospital);
    const struct slot_patient_rules *pr = &hr->patient;
    if (pr->cancel_minute == SLOT_MINUTE_NONE) {
        return false;
    }
    int64_t day = (int64_t)p->place.visit_day - pr->cancel_days_before;
    uint64_t d = slot_utc_ms_of(day > 0 ? (uint32_t)day : 0, pr->cancel_minute,
                                hr->utc_offset_min);
    if (m->now_ms < d) {
        return false;
    }
    if (pr->cancel_same_day && c->booked_at_ms >= d &&
        m->now_ms < p->seg_start_ms) {
        m->stats.cancel_same_day++;
        return false;
    }
    return true;
}

/* Was the claim ever confirmed (a booking, V3)? */
static bool was_booked(const struct rm_claim *c)
{
    return c->state == SLOT_CLAIM_BOOKED || c->state == SLOT_CLAIM_CANCELLED ||
           c->state == SLOT_CLAIM_MOVED;
}

/* BOOKED -> CANCELLED: its visit number freed, out of the no-show heap,
 * the slot freed (recounted). */
static void cancel_booking(struct refmodel *m, struct rm_claim *c)
{
    struct rm_pool *p = &m->pools[c->pool];
    p->freed = grow32(p->freed, p->n_freed, &p->cap_freed, sizeof *p->freed);
    p->freed[p->n_freed++] = c->visit_no;
    noshow_remove(m, c->id);
    resolve(m, c, SLOT_CLAIM_CANCELLED);
    p->st_cancelled += p->scheduled && !c->refunded; /* M9 */
    p->st_refunded += p->scheduled && c->refunded;
    m->stats.paid_cancelled += c->paid && !c->refunded;
    m->stats.paid_refunded += c->paid && c->refunded;
    m->stats.paid_fee_changed += c->paid && c->fee_paid_cents != p->fee_cents;
    struct slot_event *e = ev_claim(m, SLOT_EV_CANCELLED, c, c->refunded, 0);
    recon_count(m, e, c, RC_CANCELLED);
}

static int op_cancel(struct refmodel *m, const struct slot_cmd *cmd)
{
    struct rm_claim *c = find_claim(m, cmd->u.claim.id);
    /* I3: a HELD claim is simply not a booking, due or not. */
    if (c == NULL || !was_booked(c)) {
        return SLOT_UNKNOWN_BOOKING;
    }
    if (!owner_ok(m, c, cmd)) {
        return SLOT_NOT_OWNER;
    }
    if (c->state != SLOT_CLAIM_BOOKED) {
        return SLOT_ALREADY_CANCELLED; /* CANCELLED or MOVED */
    }
    if (c->attendance == SLOT_ATTEND_NO_SHOW) {
        return SLOT_NO_SHOW; /* final, stopped or not */
    }
    if (m->pools[c->pool].stopped) {
        /* V5: the refund: checked in or not, no deadline, no
         * cancellation recorded, no violation, no cool-down, no offer */
        m->stats.refunds++;
        m->stats.refund_attended += c->attendance != SLOT_ATTEND_PENDING;
        c->refunded = true;
        cancel_booking(m, c);
        return SLOT_OK;
    }
    if (c->attendance == SLOT_ATTEND_CHECKED_IN) {
        return SLOT_ALREADY_CHECKED_IN;
    }
    bool by_admin = cmd->u.claim.caller.len == 0;
    if (!by_admin && cancel_closed(m, c)) {
        return SLOT_CANCEL_CLOSED;
    }
    /* c dies with the next claim (an offer): what follows needs these */
    uint32_t pi = c->pool;
    uint64_t id = c->id;
    char bucket[SLOT_CHANNEL_MAX + 1], patient[SLOT_PATIENT_KEY_MAX + 1];
    cstr_copy(bucket, sizeof bucket, c->bucket);
    cstr_copy(patient, sizeof patient, c->patient);
    struct rm_pool *p = &m->pools[pi];
    /* W5: the waiter is chosen "before anything else", the booking still
     * BOOKED */
    struct rm_wait w;
    bool offered = false;
    if (p->n_wait > 0 && p->closed) {
        m->stats.wait_closed_kept++; /* W4: only an open pool offers */
    } else if (p->n_wait > 0) {
        offered = offer_pick(m, pi, &w);
    }
    cancel_booking(m, c);
    if (offered) {
        offer_make(m, pi, bucket, &w);
    }
    const struct slot_patient_rules *pr =
        p->scheduled ? &hospital_rules(m, p->place.hospital)->patient : NULL;
    if (!offered && pr != NULL && pr->cooldown_max_ms > 0) {
        add_cooling(m, pi, bucket,
                    m->now_ms + cooldown_ms(m, pr, id, m->now_ms), id);
        m->stats.cooled++;
    }
    if (!by_admin) { /* W7: after the offer */
        struct rm_patient *pt = get_pat(m, patient);
        if (pt->n_cancels == SLOT_CANCELS_KEPT) {
            memmove(&pt->cancels_ms[0], &pt->cancels_ms[1],
                    (SLOT_CANCELS_KEPT - 1) * sizeof pt->cancels_ms[0]);
            pt->n_cancels--;
        }
        pt->cancels_ms[pt->n_cancels++] = m->now_ms;
        /* P14: a late cancel is a violation, after everything else */
        if (pr != NULL && pr->late_cancel_ms > 0 &&
            m->now_ms + pr->late_cancel_ms > p->seg_start_ms) {
            char hospital[SLOT_NAME_MAX + 1];
            cstr_copy(hospital, sizeof hospital, p->place.hospital);
            uint32_t n;
            uint64_t until;
            uint64_t before = m->stats.blacklisted;
            record_violation(m, patient, hospital, SLOT_VIOLATION_LATE_CANCEL,
                             &n, &until);
            m->stats.late_cancel++;
            m->stats.ev_offer_late += offered; /* E5 */
            m->stats.late_blacklisted += m->stats.blacklisted != before;
        }
    }
    return SLOT_OK;
}

/* The due HELD claim first in (deadline, id) order, or NULL. */
static struct rm_claim *first_due(struct refmodel *m)
{
    struct rm_claim *best = NULL;
    for (uint32_t i = 0; i < m->n_active; i++) {
        struct rm_claim *c = active_claim(m, i);
        if (!held_due(m, c)) {
            continue;
        }
        if (best == NULL || c->deadline_ms < best->deadline_ms ||
            (c->deadline_ms == best->deadline_ms && c->id < best->id)) {
            best = c;
        }
    }
    return best;
}

static void op_expire(struct refmodel *m, uint32_t max, struct slot_result *res)
{
    uint64_t expired = 0;
    struct rm_claim *c;
    while (expired < max && (c = first_due(m)) != NULL) {
        expire_claim(m, c);
        expired++;
    }
    uint64_t due = 0;
    for (uint32_t i = 0; i < m->n_active; i++) {
        if (held_due(m, active_claim(m, i))) {
            due++;
        }
    }
    res->a = expired;
    res->b = due < SLOT_EXPIRE_DUE_COUNT_MAX ? due : SLOT_EXPIRE_DUE_COUNT_MAX;
}

/* Flow-back of pool pi (S4): every share but the target gives its free
 * slots to the target (the share named flowback_to, else the remainder). */
static void flow_back(struct refmodel *m, uint32_t pi)
{
    struct rm_pool *p = &m->pools[pi];
    const struct slot_rules *r = pool_rules(m, p);
    int target = -1;
    for (uint32_t i = 0; r->flowback_to[0] != '\0' && i < p->n_shares; i++) {
        if (strcmp(p->shares[i].channel, r->flowback_to) == 0) {
            target = (int)i;
        }
    }
    uint32_t moved = 0;
    bool kept = false;
    for (uint32_t i = 0; i < p->n_shares; i++) {
        if ((int)i == target) {
            continue;
        }
        uint32_t used = bucket_used(m, pi, p->shares[i].channel);
        assert(used <= p->shares[i].slots);
        moved += p->shares[i].slots - used;
        kept = kept || used > 0;
        p->shares[i].slots = used;
    }
    if (target >= 0) {
        p->shares[target].slots += moved;
    }
    p->flowed = true;
    ev_pool(m, SLOT_EV_FLOWED_BACK, pi, 0, 0);
    if (moved > 0) {
        m->stats.flow_moved++;
        m->stats.flow_to_share += target >= 0;
        m->stats.flow_kept_held += kept;
    }
}

/* A no-show heap entry of booking id that SWEEP took (V9): dropped if
 * its pool is stopped or R now has no sweep; put back if check-in under R
 * now closes later than now; else the booking is a no-show, and a NO_SHOW
 * violation of its patient at its hospital. */
static void noshow_due(struct refmodel *m, uint64_t id)
{
    struct rm_claim *c = find_claim(m, id);
    assert(c != NULL && c->state == SLOT_CLAIM_BOOKED &&
           c->attendance == SLOT_ATTEND_PENDING);
    const struct rm_pool *p = &m->pools[c->pool];
    assert(p->scheduled);
    if (p->stopped) {
        m->stats.noshow_dropped_stopped++;
        return;
    }
    if (!visit_rules(m, p).noshow_sweep) {
        m->stats.noshow_dropped_rule++;
        return;
    }
    uint64_t due = checkin_close_ms(m, p);
    if (due > m->now_ms) {
        noshow_put(m, id, due);
        m->stats.noshow_put_back++;
        return;
    }
    c->attendance = SLOT_ATTEND_NO_SHOW;
    m->pools[c->pool].st_no_show++; /* a no-show's pool is scheduled */
    struct slot_event *e = ev_claim(m, SLOT_EV_NO_SHOW, c, 0, 0);
    recon_count(m, e, c, RC_NO_SHOW);
    char patient[SLOT_PATIENT_KEY_MAX + 1], hospital[SLOT_NAME_MAX + 1];
    cstr_copy(patient, sizeof patient, c->patient);
    cstr_copy(hospital, sizeof hospital, p->place.hospital);
    uint32_t n;
    uint64_t until;
    uint64_t before = m->stats.blacklisted;
    record_violation(m, patient, hospital, SLOT_VIOLATION_NO_SHOW, &n, &until);
    m->stats.noshow_marked++;
    m->stats.noshow_blacklisted += m->stats.blacklisted != before;
}

static void op_sweep(struct refmodel *m, uint32_t max, struct slot_result *res)
{
    uint64_t done = 0;
    while (done < max) {
        int64_t best = -1;
        for (uint32_t i = 0; i < m->n_pools; i++) {
            if (flow_due_now(m, &m->pools[i]) &&
                (best < 0 ||
                 pool_due(m, &m->pools[i]) < pool_due(m, &m->pools[best]))) {
                best = i;
            }
        }
        if (best < 0) {
            break;
        }
        flow_back(m, (uint32_t)best);
        done++;
    }
    /* then the cooling slots that are due, in (due, claim id) order */
    while (done < max) {
        int64_t best = -1;
        for (uint32_t i = 0; i < m->n_cooling; i++) {
            const struct rm_cooling *k = &m->cooling[i];
            if (k->due_ms <= m->now_ms &&
                (best < 0 || k->due_ms < m->cooling[best].due_ms ||
                 (k->due_ms == m->cooling[best].due_ms &&
                  k->claim < m->cooling[best].claim))) {
                best = i;
            }
        }
        if (best < 0) {
            break;
        }
        struct slot_event *e =
            ev_pool(m, SLOT_EV_SLOT_FREED, m->cooling[best].pool, 0, 0);
        e->claim = m->cooling[best].claim; /* E2 */
        m->cooling[best] = m->cooling[--m->n_cooling];
        m->stats.cool_returned++;
        done++;
    }
    /* then the no-show heap's due entries, in (due, claim id) order */
    while (done < max) {
        int64_t best = -1;
        for (uint32_t i = 0; i < m->n_noshow; i++) {
            const struct rm_noshow *k = &m->noshow[i];
            if (k->due_ms <= m->now_ms &&
                (best < 0 || k->due_ms < m->noshow[best].due_ms ||
                 (k->due_ms == m->noshow[best].due_ms &&
                  k->claim < m->noshow[best].claim))) {
                best = i;
            }
        }
        if (best < 0) {
            break;
        }
        uint64_t id = m->noshow[best].claim;
        m->noshow[best] = m->noshow[--m->n_noshow];
        noshow_due(m, id);
        done++;
    }
    uint64_t due = 0;
    for (uint32_t i = 0; i < m->n_pools; i++) {
        due += flow_due_now(m, &m->pools[i]);
    }
    for (uint32_t i = 0; i < m->n_cooling; i++) {
        due += m->cooling[i].due_ms <= m->now_ms;
    }
    for (uint32_t i = 0; i < m->n_noshow; i++) { /* V10 */
        due += m->noshow[i].due_ms <= m->now_ms;
    }
    res->a = done;
    res->b = due < SLOT_EXPIRE_DUE_COUNT_MAX ? due : SLOT_EXPIRE_DUE_COUNT_MAX;
}

/* Does a (scheduled) pool belong to hospital h? */
static bool hospital_has_pools(const struct refmodel *m,
                               const struct rm_hospital *h)
{
    for (uint32_t i = 0; i < m->n_pools; i++) {
        if (m->pools[i].scheduled &&
            strcmp(m->pools[i].place.hospital, h->name) == 0) {
            return true;
        }
    }
    return false;
}

static int op_rules_set(struct refmodel *m, const struct slot_cmd *cmd,
                        struct slot_result *res)
{
    struct slot_rules rules;
    struct mp_reader rd;
    mp_reader_init(&rd, cmd->u.rules.rules.p, cmd->u.rules.rules.len);
    int rc = slot_rules_decode(&rd, &rules);
    assert(rc == SLOT_OK); /* the decoder validated it */
    (void)rc;
    struct rm_hospital *h = find_hospital(m, cmd->u.rules.hospital);
    struct slot_str dept = cmd->u.rules.department;
    struct slot_rules_info *own = NULL;
    if (dept.len == 0) {
        if (h == NULL && m->n_hospitals >= LEDGER_HOSPITALS_MAX) {
            return SLOT_LIMIT_REACHED;
        }
        if (h != NULL && (hospital_has_pools(m, h) || h->n_depts > 0) &&
            rules.utc_offset_min != h->own.rules.utc_offset_min) {
            return SLOT_INVALID_ARGUMENT;
        }
    } else {
        if (h == NULL) {
            return SLOT_UNKNOWN_HOSPITAL;
        }
        if (rules.utc_offset_min != h->own.rules.utc_offset_min) {
            return SLOT_INVALID_ARGUMENT;
        }
        own = find_dept(h, dept);
        if (own == NULL && h->n_depts >= LEDGER_OVERRIDES_MAX) {
            return SLOT_LIMIT_REACHED;
        }
    }
    if (h == NULL) {
        m->hospitals = grow32(m->hospitals, m->n_hospitals, &m->cap_hospitals,
                              sizeof *m->hospitals);
        h = &m->hospitals[m->n_hospitals++];
        memset(h, 0, sizeof *h);
        str_copy(h->name, sizeof h->name, cmd->u.rules.hospital);
    }
    if (dept.len == 0) {
        own = &h->own;
    } else if (own == NULL) {
        h->depts =
            grow32(h->depts, h->n_depts, &h->cap_depts, sizeof *h->depts);
        own = &h->depts[h->n_depts++];
    }
    memset(own, 0, sizeof *own);
    own->inherited = false;
    own->version = ++h->version;
    str_copy(own->department, sizeof own->department, dept);
    own->changed_at_ms = m->now_ms;
    str_copy(own->operator_name, sizeof own->operator_name,
             cmd->u.rules.operator_name);
    str_copy(own->reason, sizeof own->reason, cmd->u.rules.reason);
    own->rules = rules;
    if (h->n_log == LEDGER_RULES_LOG_MAX) {
        memmove(&h->log[0], &h->log[1], (h->n_log - 1) * sizeof *h->log);
        h->n_log--;
        m->stats.log_dropped++;
    }
    h->log = grow32(h->log, h->n_log, &h->cap_log, sizeof *h->log);
    h->log[h->n_log++] = *own;
    /* Flow-back due times follow from the rules (pool_due). */
    struct slot_event *e = ev_new(m, SLOT_EV_RULES_CHANGED);
    ev_hospital(m, e, h->name); /* M3: the offset just set */
    e->a = own->version;
    res->a = own->version;
    return SLOT_OK;
}

/* The pool spec SCHEDULE_IMPORT derives for (day, segment); strings point
 * into t and into id. */
static void import_spec(const struct slot_template *t, int16_t offset,
                        uint32_t day, const struct slot_segment *seg,
                        char id[SLOT_POOL_ID_MAX + 1],
                        struct slot_pool_spec *spec)
{
    memset(spec, 0, sizeof *spec);
    uint32_t len = slot_template_pool_id(t, day, seg, id);
    spec->pool = (struct slot_str){id, len};
    spec->capacity = seg->capacity;
    spec->kind = t->kind;
    spec->fee_cents = t->fee_cents;
    spec->seg_start_ms = slot_utc_ms_of(day, seg->start_minute, offset);
    spec->seg_end_ms = slot_utc_ms_of(day, seg->end_minute, offset);
    spec->release_at_ms = 0;
    for (uint32_t i = 0; i < t->n_shares; i++) {
        uint32_t slots =
            (uint32_t)((uint64_t)seg->capacity * t->shares[i].permille / 1000);
        if (slots > 0) {
            spec->shares[spec->n_shares].channel = t->shares[i].name;
            spec->shares[spec->n_shares].slots = slots;
            spec->n_shares++;
        }
    }
    spec->has_sched = true;
    spec->sched = t->sched;
    spec->sched.visit_day = day;
}

static bool names_eq(const char (*a)[SLOT_CHANNEL_MAX + 1], uint32_t na,
                     const struct slot_str *b, uint32_t nb)
{
    if (na != nb) {
        return false;
    }
    for (uint32_t i = 0; i < na; i++) {
        if (!str_eq(a[i], b[i])) {
            return false;
        }
    }
    return true;
}

/* S7: is the existing pool p what spec would create? */
static bool pool_matches_spec(const struct rm_pool *p,
                              const struct slot_pool_spec *spec)
{
    if (p->capacity != spec->capacity || p->kind != spec->kind ||
        p->fee_cents != spec->fee_cents ||
        p->seg_start_ms != spec->seg_start_ms ||
        p->seg_end_ms != spec->seg_end_ms ||
        p->release_at_ms != spec->release_at_ms ||
        p->n_shares != spec->n_shares || !p->scheduled) {
        return false;
    }
    for (uint32_t i = 0; i < p->n_shares; i++) {
        if (!str_eq(p->shares[i].channel, spec->shares[i].channel) ||
            p->shares[i].spec != spec->shares[i].slots) {
            return false;
        }
    }
    const struct rm_place *pl = &p->place;
    const struct slot_sched *s = &spec->sched;
    return str_eq(pl->hospital, s->hospital) && str_eq(pl->campus, s->campus) &&
           str_eq(pl->department, s->department) &&
           str_eq(pl->doctor, s->doctor) && pl->visit_day == s->visit_day &&
           pl->pay_mode == s->pay_mode &&
           pl->visit_slot_ms == s->visit_slot_ms &&
           names_eq(pl->eligible, pl->n_eligible, s->eligible, s->n_eligible) &&
           names_eq(pl->rem_allow, pl->n_rem_allow, s->rem_allow,
                    s->n_rem_allow);
}

/* What importing t would do: counts, the first cap conflicting ids, and
 * the channel names the new pools would intern. */
struct import_plan {
    uint32_t fresh, same, conflicts;
    uint32_t same_flowed; /* unchanged pools that flowed back */
    struct name_set names;
};

static void import_plan(const struct refmodel *m, const struct slot_template *t,
                        int16_t offset, struct import_plan *plan,
                        char (*ids)[SLOT_POOL_ID_MAX + 1], uint32_t cap)
{
    static uint32_t days[SLOT_TEMPLATE_DAYS_MAX];
    static struct slot_segment segs[SLOT_TEMPLATE_SEGS_MAX];
    memset(plan, 0, sizeof *plan);
    slot_template_days(t, days);
    slot_template_segments(t, segs);
    for (uint32_t d = 0; d < t->n_days; d++) {
        for (uint32_t s = 0; s < t->n_segments; s++) {
            char id[SLOT_POOL_ID_MAX + 1];
            struct slot_pool_spec spec;
            import_spec(t, offset, days[d], &segs[s], id, &spec);
            const struct rm_pool *p = find_pool_c(m, spec.pool);
            if (p == NULL) {
                plan->fresh++;
                for (uint32_t i = 0; i < spec.n_shares; i++) {
                    name_set_add(m, &plan->names, spec.shares[i].channel);
                }
                name_set_add_sched(m, &plan->names, &spec.sched);
            } else if (pool_matches_spec(p, &spec)) {
                plan->same++;
                plan->same_flowed += p->flowed;
            } else {
                if (plan->conflicts < cap) {
                    cstr_copy(ids[plan->conflicts], SLOT_POOL_ID_MAX + 1, id);
                }
                plan->conflicts++;
            }
        }
    }
}

static int op_import(struct refmodel *m, const struct slot_template *t,
                     struct slot_result *res)
{
    static uint32_t days[SLOT_TEMPLATE_DAYS_MAX];
    static struct slot_segment segs[SLOT_TEMPLATE_SEGS_MAX];
    const struct rm_hospital *h = find_hospital(m, t->sched.hospital);
    if (h == NULL) {
        return SLOT_UNKNOWN_HOSPITAL;
    }
    int16_t offset = h->own.rules.utc_offset_min;
    struct import_plan plan;
    import_plan(m, t, offset, &plan, NULL, 0);
    if (plan.conflicts > 0) {
        res->a = plan.conflicts;
        return SLOT_SCHEDULE_CONFLICT;
    }
    if (m->n_channels + plan.names.n > LEDGER_CHANNELS_MAX) {
        return SLOT_LIMIT_REACHED;
    }
    slot_template_days(t, days);
    slot_template_segments(t, segs);
    for (uint32_t d = 0; d < t->n_days; d++) {
        for (uint32_t s = 0; s < t->n_segments; s++) {
            char id[SLOT_POOL_ID_MAX + 1];
            struct slot_pool_spec spec;
            import_spec(t, offset, days[d], &segs[s], id, &spec);
            if (find_pool(m, spec.pool) == NULL) {
                pool_add(m, &spec);
                ev_pool(m, SLOT_EV_POOL_CREATED, m->n_pools - 1, 0, 0);
            }
        }
    }
    m->stats.import_created += plan.fresh > 0;
    m->stats.import_unchanged += plan.fresh == 0;
    m->stats.import_same_flowed += plan.same_flowed > 0;
    res->a = plan.fresh;
    res->b = plan.same;
    return SLOT_OK;
}

static struct rm_account *get_account(struct refmodel *m, struct slot_str key)
{
    struct rm_account *a = find_account(m, key);
    if (a == NULL) {
        m->accounts = grow32(m->accounts, m->n_accounts, &m->cap_accounts,
                             sizeof *m->accounts);
        a = &m->accounts[m->n_accounts++];
        memset(a, 0, sizeof *a);
        str_copy(a->key, sizeof a->key, key);
    }
    return a;
}

static int op_bind(struct refmodel *m, const struct slot_cmd *cmd,
                   struct slot_result *res)
{
    struct slot_str ak = cmd->u.bind.account;
    char patient[SLOT_PATIENT_KEY_MAX + 1];
    str_copy(patient, sizeof patient, cmd->u.bind.patient);
    const struct rm_patient *pt = find_pat(m, patient);
    const struct rm_account *found = find_account(m, ak);
    if (pt != NULL && pt->account[0] != '\0') {
        if (str_eq(pt->account, ak)) {
            m->stats.bind_same++;
            res->a = found->n;
            return SLOT_OK;
        }
        res->a = SLOT_ACCOUNT_ELSEWHERE;
        m->stats.account_rule[SLOT_ACCOUNT_ELSEWHERE]++;
        return SLOT_ACCOUNT_LIMIT;
    }
    if (found != NULL && found->n >= m->config.account_patients_max) {
        res->a = SLOT_ACCOUNT_FULL;
        m->stats.account_rule[SLOT_ACCOUNT_FULL]++;
        return SLOT_ACCOUNT_LIMIT;
    }
    struct rm_account *a = get_account(m, ak);
    cstr_copy(a->patients[a->n++], SLOT_PATIENT_KEY_MAX + 1, patient);
    str_copy(get_pat(m, patient)->account, SLOT_PATIENT_KEY_MAX + 1, ak);
    intern_patient(m, cmd->u.bind.patient);                  /* P3 */
    struct slot_event *e = ev_new(m, SLOT_EV_ACCOUNT_BOUND); /* E4 */
    cstr_copy(e->patient, sizeof e->patient, patient);
    str_copy(e->account, sizeof e->account, ak);
    res->a = a->n;
    return SLOT_OK;
}

static int op_unbind(struct refmodel *m, const struct slot_cmd *cmd,
                     struct slot_result *res)
{
    struct slot_str ak = cmd->u.bind.account;
    struct rm_patient *pt = find_pat_s(m, cmd->u.bind.patient);
    if (pt == NULL || !str_eq(pt->account, ak)) {
        return SLOT_NOT_BOUND;
    }
    struct rm_account *a = find_account(m, ak);
    assert(a != NULL);
    const struct slot_config *cf = &m->config;
    uint32_t last = a->n_changes - 1;
    if (a->n_changes > 0 &&
        m->now_ms < a->change_at_ms[last] + SLOT_MS_PER_DAY) {
        if (a->change_unbinds[last] >= cf->account_change_patients_max) {
            res->a = SLOT_ACCOUNT_CHANGE_PATIENTS;
            m->stats.account_rule[SLOT_ACCOUNT_CHANGE_PATIENTS]++;
            return SLOT_ACCOUNT_LIMIT;
        }
        a->change_unbinds[last]++;
        m->stats.change_joined++;
    } else {
        uint64_t window =
            (uint64_t)cf->account_change_window_days * SLOT_MS_PER_DAY;
        uint32_t n = 0;
        for (uint32_t i = 0; i < a->n_changes; i++) {
            n += a->change_at_ms[i] + window > m->now_ms;
        }
        if (n >= cf->account_changes_max) {
            res->a = SLOT_ACCOUNT_CHANGES;
            m->stats.account_rule[SLOT_ACCOUNT_CHANGES]++;
            return SLOT_ACCOUNT_LIMIT;
        }
        if (a->n_changes == SLOT_ACCOUNT_CHANGES_KEPT) {
            memmove(&a->change_at_ms[0], &a->change_at_ms[1],
                    (SLOT_ACCOUNT_CHANGES_KEPT - 1) *
                        sizeof a->change_at_ms[0]);
            memmove(&a->change_unbinds[0], &a->change_unbinds[1],
                    (SLOT_ACCOUNT_CHANGES_KEPT - 1) *
                        sizeof a->change_unbinds[0]);
            a->n_changes--;
        }
        a->change_at_ms[a->n_changes] = m->now_ms;
        a->change_unbinds[a->n_changes] = 1;
        a->n_changes++;
    }
    for (uint32_t i = 0; i < a->n; i++) {
        if (strcmp(a->patients[i], pt->key) == 0) {
            memmove(&a->patients[i], &a->patients[i + 1],
                    (a->n - i - 1) * sizeof a->patients[0]);
            a->n--;
            break;
        }
    }
    pt->account[0] = '\0';
    struct slot_event *e = ev_new(m, SLOT_EV_ACCOUNT_UNBOUND); /* E4 */
    cstr_copy(e->patient, sizeof e->patient, pt->key);
    str_copy(e->account, sizeof e->account, ak);
    res->a = a->n;
    return SLOT_OK;
}

static struct slot_staff_entry *staff_append(struct refmodel *m, uint8_t op)
{
    m->staff = grow(m->staff, m->n_staff, &m->cap_staff, sizeof *m->staff);
    struct slot_staff_entry *e = &m->staff[m->n_staff++];
    memset(e, 0, sizeof *e);
    e->seq = m->n_staff;
    e->at_ms = m->now_ms;
    e->op = op;
    return e;
}

static void staff_log(struct refmodel *m, const struct slot_cmd *cmd)
{
    struct slot_staff_entry *e = staff_append(m, cmd->op);
    str_copy(e->hospital, sizeof e->hospital, cmd->u.staff.hospital);
    str_copy(e->patient, sizeof e->patient, cmd->u.staff.patient);
    e->kind = cmd->op == SLOT_OP_VIOLATION ? cmd->u.staff.kind : 0;
    str_copy(e->operator_name, sizeof e->operator_name,
             cmd->u.staff.operator_name);
    str_copy(e->reason, sizeof e->reason, cmd->u.staff.reason);
}

/* VIOLATION, UNBLOCK, EXCEPTION. */
static int op_staff(struct refmodel *m, const struct slot_cmd *cmd,
                    struct slot_result *res)
{
    const struct rm_hospital *h = find_hospital(m, cmd->u.staff.hospital);
    if (h == NULL) {
        return SLOT_UNKNOWN_HOSPITAL;
    }
    char patient[SLOT_PATIENT_KEY_MAX + 1], hospital[SLOT_NAME_MAX + 1];
    str_copy(patient, sizeof patient, cmd->u.staff.patient);
    cstr_copy(hospital, sizeof hospital, h->name);
    if (cmd->op == SLOT_OP_VIOLATION) {
        uint32_t n;
        uint64_t until;
        record_violation(m, patient, hospital, cmd->u.staff.kind, &n, &until);
        intern_patient(m, cmd->u.staff.patient); /* P3 */
        res->a = n;
        res->b = until;
    } else if (cmd->op == SLOT_OP_EXCEPTION) {
        struct rm_patient *pt = get_pat(m, patient);
        get_standing(m, pt, hospital)->exception = true;
        intern_patient(m, cmd->u.staff.patient); /* P3 */
        ev_patient(m, SLOT_EV_EXCEPTION, patient, hospital, 0, 0);
    } else {
        struct rm_patient *pt = find_pat(m, patient);
        struct rm_standing *st =
            pt != NULL ? find_standing(pt, hospital) : NULL;
        if (st != NULL) {
            res->a = st->until_ms > m->now_ms; /* P11 */
            *st = pt->standing[--pt->n_standing];
        }
        uint32_t k = 0;
        for (uint32_t i = 0; pt != NULL && i < pt->n_viol; i++) {
            if (strcmp(pt->viol[i].hospital, hospital) != 0) {
                pt->viol[k++] = pt->viol[i];
            }
        }
        if (pt != NULL) {
            pt->n_viol = k;
        }
        intern_patient(m, cmd->u.staff.patient); /* P3 */
        ev_patient(m, SLOT_EV_UNBLOCKED, patient, hospital, 0, 0);
    }
    staff_log(m, cmd);
    return SLOT_OK;
}

/* ---- the visit day: POOL_STOP, MOVE, CHECKIN (protocol 4) ---------------- */

static int op_pool_stop(struct refmodel *m, const struct slot_cmd *cmd,
                        struct slot_result *res)
{
    struct rm_pool *p = find_pool(m, cmd->u.stop.pool);
    if (p == NULL) {
        return SLOT_UNKNOWN_POOL;
    }
    if (p->stopped) {
        return SLOT_POOL_STOPPED;
    }
    uint32_t held, booked;
    count_bucket(m, pool_index(m, p), NULL, &held, &booked);
    p->stopped = true;
    m->stats.stops++;
    m->stats.stop_waiters += p->n_wait;
    m->stats.stop_closed += p->closed;
    p->n_wait = 0; /* emptied, no offers */
    struct slot_staff_entry *e = staff_append(m, SLOT_OP_POOL_STOP);
    if (p->scheduled) {
        cstr_copy(e->hospital, sizeof e->hospital, p->place.hospital);
    }
    cstr_copy(e->pool, sizeof e->pool, p->id);
    str_copy(e->operator_name, sizeof e->operator_name,
             cmd->u.stop.operator_name);
    str_copy(e->reason, sizeof e->reason, cmd->u.stop.reason);
    ev_pool(m, SLOT_EV_POOL_STOPPED, pool_index(m, p), booked, held);
    res->a = booked;
    res->b = held; /* due holds not yet expired included */
    return SLOT_OK;
}

/* MOVE_MISMATCH's rule: both scheduled, another pool, same hospital,
 * department and kind. */
static bool move_matches(const struct rm_pool *p, const struct rm_pool *t)
{
    return p->scheduled && t->scheduled && p != t &&
           strcmp(p->place.hospital, t->place.hospital) == 0 &&
           strcmp(p->place.department, t->place.department) == 0 &&
           p->kind == t->kind;
}

static int op_move(struct refmodel *m, const struct slot_cmd *cmd,
                   struct slot_result *res)
{
    struct rm_claim *c = find_claim(m, cmd->u.claim.id);
    if (c == NULL || !was_booked(c)) {
        return SLOT_UNKNOWN_BOOKING;
    }
    if (!owner_ok(m, c, cmd)) {
        return SLOT_NOT_OWNER;
    }
    if (c->state != SLOT_CLAIM_BOOKED) {
        return SLOT_ALREADY_CANCELLED; /* CANCELLED or MOVED */
    }
    if (c->attendance == SLOT_ATTEND_NO_SHOW) {
        return SLOT_NO_SHOW; /* final */
    }
    struct rm_pool *p = &m->pools[c->pool];
    if (!p->stopped) {
        return SLOT_NOT_STOPPED;
    }
    struct rm_pool *t = find_pool(m, cmd->u.claim.pool);
    if (t == NULL) {
        return SLOT_UNKNOWN_POOL;
    }
    if (!move_matches(p, t)) {
        return SLOT_MOVE_MISMATCH;
    }
    if (t->stopped) {
        return SLOT_POOL_STOPPED;
    }
    if (t->closed) {
        return SLOT_POOL_CLOSED;
    }
    const struct slot_rules *rt = pool_rules(m, t);
    int64_t today = slot_local_day(m->now_ms, rt->utc_offset_min);
    if (today > t->place.visit_day || m->now_ms >= t->seg_end_ms) {
        return SLOT_BOOKING_CLOSED; /* only the day and the segment (V6) */
    }
    /* c dies with the next claim: what follows needs these */
    uint64_t old_id = c->id;
    uint32_t ti = pool_index(m, t);
    char patient[SLOT_PATIENT_KEY_MAX + 1], channel[SLOT_CHANNEL_MAX + 1];
    cstr_copy(patient, sizeof patient, c->patient);
    cstr_copy(channel, sizeof channel, c->channel);
    for (uint32_t i = 0; i < m->n_active; i++) {
        struct rm_claim *o = active_claim(m, i);
        if (o->pool != ti || strcmp(o->patient, patient) != 0) {
            continue;
        }
        if (held_due(m, o)) {
            expire_claim(m, o); /* as HOLD does; stays expired (I2) */
            m->stats.move_expired_own++;
            break;
        }
        return SLOT_PATIENT_HAS_CLAIM;
    }
    /* HOLD's bucket order; its events are HOLD's, not counted here */
    struct refmodel_stats saved = m->stats;
    const char *bucket = pick_bucket(m, t, rt, channel);
    m->stats = saved;
    if (bucket == NULL) {
        return SLOT_SOLD_OUT;
    }
    char bk[SLOT_CHANNEL_MAX + 1];
    cstr_copy(bk, sizeof bk, bucket);
    struct rm_pool *pp = &m->pools[c->pool];
    pp->freed =
        grow32(pp->freed, pp->n_freed, &pp->cap_freed, sizeof *pp->freed);
    pp->freed[pp->n_freed++] = c->visit_no;
    noshow_remove(m, old_id);
    resolve(m, c, SLOT_CLAIM_MOVED);
    struct rm_claim old = *c; /* its payment, carried (M6) */
    struct rm_claim *n = new_claim(m, ti, patient, channel, bk, 0);
    n->state = SLOT_CLAIM_BOOKED;
    n->booked_at_ms = m->now_ms; /* held_at = deadline = now too */
    n->visit_no = take_visit_no(m, &m->pools[ti]);
    cstr_copy(n->payment_ref, sizeof n->payment_ref, old.payment_ref);
    cstr_copy(n->pay_method, sizeof n->pay_method, old.pay_method);
    n->fee_paid_cents = old.fee_paid_cents;
    n->paid = old.paid;
    n->moved_from = old_id;
    m->claims[old_id - 1].moved_to = n->id;
    noshow_add(m, n);
    m->pools[old.pool].st_moved++;
    m->pools[ti].st_booked++;
    m->stats.paid_moved += old.paid;
    struct slot_event *e =
        ev_claim(m, SLOT_EV_MOVED, &m->claims[old_id - 1], n->id, 0);
    recon_count(m, e, &m->claims[old_id - 1], RC_MOVED);
    ev_claim(m, SLOT_EV_BOOKED, n, n->visit_no, n->paid); /* not counted */
    m->stats.moves++;
    m->stats.move_attended +=
        m->claims[old_id - 1].attendance != SLOT_ATTEND_PENDING;
    res->a = n->id;
    res->b = n->visit_no;
    return SLOT_OK;
}

static int op_checkin(struct refmodel *m, const struct slot_cmd *cmd,
                      struct slot_result *res)
{
    struct rm_claim *c = find_claim(m, cmd->u.claim.id);
    if (c == NULL || !was_booked(c)) {
        return SLOT_UNKNOWN_BOOKING;
    }
    if (!str_eq(c->patient, cmd->u.claim.patient)) {
        return SLOT_PATIENT_MISMATCH;
    }
    if (c->state != SLOT_CLAIM_BOOKED) {
        return SLOT_ALREADY_CANCELLED; /* CANCELLED or MOVED */
    }
    const struct rm_pool *p = &m->pools[c->pool];
    if (p->stopped) {
        return SLOT_POOL_STOPPED;
    }
    if (c->attendance == SLOT_ATTEND_CHECKED_IN) {
        return SLOT_ALREADY_CHECKED_IN;
    }
    if (c->attendance == SLOT_ATTEND_NO_SHOW) {
        return SLOT_NO_SHOW;
    }
    if (p->seg_end_ms != 0) { /* V7: a pool with a segment */
        struct slot_visit_rules v = visit_rules(m, p);
        /* now < seg_start - before, now >= seg_end - late, without
         * going below 0 */
        if (m->now_ms + v.checkin_before_ms < p->seg_start_ms) {
            return SLOT_CHECKIN_NOT_OPEN;
        }
        if (m->now_ms + v.checkin_late_ms >= p->seg_end_ms) {
            m->stats.checkin_closed_by_late +=
                v.checkin_late_ms > 0 && m->now_ms < p->seg_end_ms;
            return SLOT_CHECKIN_CLOSED;
        }
    }
    bool pays = !c->paid && cmd->u.claim.payment_ref.len > 0;
    if (pays && !method_fits(m, cmd->u.claim.pay_method)) {
        m->stats.method_full_checkin++;
        return SLOT_LIMIT_REACHED; /* only a check-in that pays (M1) */
    }
    c->attendance = SLOT_ATTEND_CHECKED_IN;
    c->checked_in_at_ms = m->now_ms;
    if (pays) { /* V7, M2: the fee now */
        pay(m, c, cmd->u.claim.payment_ref, cmd->u.claim.pay_method);
        m->stats.checkin_paid++;
    }
    noshow_remove(m, c->id);
    m->pools[c->pool].st_checked_in += p->scheduled; /* M9 */
    struct slot_event *e =
        ev_claim(m, SLOT_EV_CHECKED_IN, c, c->visit_no, pays);
    recon_count(m, e, c, RC_CHECKED_IN);
    m->stats.checkins++;
    res->a = c->visit_no;
    return SLOT_OK;
}

/* CONFIG: a version 2 CONFIG keeps the protocol 3 values in force. */
static void op_config(struct refmodel *m, const struct slot_config *c)
{
    struct slot_config old = m->config;
    m->config = *c;
    if (!c->v3) {
        m->config.v3 = true;
        m->config.account_patients_max = old.account_patients_max;
        m->config.account_changes_max = old.account_changes_max;
        m->config.account_change_window_days = old.account_change_window_days;
        m->config.account_change_patients_max = old.account_change_patients_max;
        m->config.patient_active_max = old.patient_active_max;
        m->config.cooldown_key[0] = old.cooldown_key[0];
        m->config.cooldown_key[1] = old.cooldown_key[1];
    }
    ev_new(m, SLOT_EV_CONFIG_CHANGED);
}

/* Runs a command that passed the session checks. */
static void run(struct refmodel *m, const struct slot_cmd *cmd,
                struct slot_result *res)
{
    int code = SLOT_OK;
    switch (cmd->op) {
        case SLOT_OP_CONFIG:
            op_config(m, &cmd->u.config);
            break;
        case SLOT_OP_POOL_CREATE:
            code = op_pool_create(m, &cmd->u.pool);
            break;
        case SLOT_OP_POOL_UPDATE:
            code = op_pool_update(m, &cmd->u.pool);
            break;
        case SLOT_OP_POOL_CLOSE:
            code = op_pool_close(m, cmd->u.close.pool);
            break;
        case SLOT_OP_HOLD:
            code = op_hold(m, cmd, res);
            break;
        case SLOT_OP_CONFIRM:
            code = op_confirm(m, cmd, res);
            break;
        case SLOT_OP_RELEASE:
            code = op_release(m, cmd);
            break;
        case SLOT_OP_CANCEL:
            code = op_cancel(m, cmd);
            break;
        case SLOT_OP_RULES_SET:
            code = op_rules_set(m, cmd, res);
            break;
        case SLOT_OP_SCHEDULE_IMPORT:
            code = op_import(m, &cmd->u.import, res);
            break;
        case SLOT_OP_ACCOUNT_BIND:
            code = op_bind(m, cmd, res);
            break;
        case SLOT_OP_ACCOUNT_UNBIND:
            code = op_unbind(m, cmd, res);
            break;
        case SLOT_OP_VIOLATION:
        case SLOT_OP_UNBLOCK:
        case SLOT_OP_EXCEPTION:
            code = op_staff(m, cmd, res);
            break;
        case SLOT_OP_WAITLIST_JOIN:
            code = op_wait_join(m, cmd, res);
            break;
        case SLOT_OP_WAITLIST_LEAVE:
            code = op_wait_leave(m, cmd);
            break;
        case SLOT_OP_POOL_STOP:
            code = op_pool_stop(m, cmd, res);
            break;
        case SLOT_OP_MOVE:
            code = op_move(m, cmd, res);
            break;
        case SLOT_OP_CHECKIN:
            code = op_checkin(m, cmd, res);
            break;
        default:
            fprintf(stderr, "refmodel: op %d cannot run here\n", cmd->op);
            abort();
    }
    if (code != SLOT_OK) {
        /* I8: errors carry no values, but for the conflicts' count and
         * the refusals that name their rule (slot_proto.h) */
        bool names_rule =
            code == SLOT_QUOTA_EXCEEDED || code == SLOT_BLACKLISTED ||
            code == SLOT_CANCEL_LIMIT || code == SLOT_ACCOUNT_LIMIT;
        if (code != SLOT_SCHEDULE_CONFLICT && !names_rule) {
            res->a = 0;
        }
        if (!names_rule) {
            res->b = 0;
        }
    }
    res->code = (uint16_t)code;
}

static void apply_one(struct refmodel *m, const struct slot_cmd *cmd,
                      struct slot_result *res)
{
    evict_sessions(m);
    evict_retained(m);
    evict_idems(m);
    evict_events(m);
    memset(res, 0, sizeof *res);
    res->code = SLOT_OK;
    res->time_ms = m->now_ms;

    if (cmd->op == SLOT_OP_SESSION_OPEN) {
        res->a = session_open(m);
        return;
    }
    if (cmd->op == SLOT_OP_EXPIRE) {
        op_expire(m, cmd->u.expire.max, res);
        return;
    }
    if (cmd->op == SLOT_OP_SWEEP) { /* S9 */
        op_sweep(m, cmd->u.expire.max, res);
        return;
    }
    uint64_t seq0 = m->ev_seq;
    uint32_t si;
    struct rm_session *s = find_session(m, cmd->session, &si);
    if (s == NULL) {
        res->code = SLOT_SESSION_UNKNOWN;
        return;
    }
    session_touch(m, si);
    if (cmd->seq + SLOT_SESSION_WINDOW <= s->max_seq) {
        res->code = SLOT_REQUEST_TOO_OLD;
        return;
    }
    const struct rm_done *d = session_find_done(s, cmd->seq);
    if (d != NULL) {
        if (d->fingerprint == cmd->fingerprint) {
            *res = d->res;
        } else {
            res->code = SLOT_REQUEST_MISMATCH;
        }
        return;
    }
    if (cmd->idem.key.len > 0) {
        const struct rm_idem *e = find_idem(m, cmd);
        if (e != NULL) {
            if (e->fingerprint == cmd->idem.fingerprint) {
                *res = e->res;
            } else {
                res->code = SLOT_REQUEST_MISMATCH;
            }
        } else {
            run(m, cmd, res);
            m->idems =
                grow(m->idems, m->n_idems, &m->cap_idems, sizeof *m->idems);
            struct rm_idem *n = &m->idems[m->n_idems++];
            memset(n, 0, sizeof *n);
            str_copy(n->channel, sizeof n->channel, cmd->idem.channel);
            str_copy(n->key, sizeof n->key, cmd->idem.key);
            n->fingerprint = cmd->idem.fingerprint;
            n->res = *res;
        }
    } else {
        run(m, cmd, res);
    }
    session_store(s, cmd->seq, cmd->fingerprint, res);
    if (res->code != SLOT_OK) {
        m->stats.ev_refused += m->ev_seq - seq0; /* lazy expiries only */
    }
}

/* ---- public ----------------------------------------------------------- */

struct refmodel *refmodel_create(void)
{
    struct refmodel *m = calloc(1, sizeof *m);
    if (m == NULL) {
        abort();
    }
    m->config.hold_ttl_min_ms = LEDGER_DEFAULT_TTL_MIN_MS;
    m->config.hold_ttl_max_ms = LEDGER_DEFAULT_TTL_MAX_MS;
    m->config.session_max = LEDGER_DEFAULT_SESSION_MAX;
    m->config.session_idle_ms = LEDGER_DEFAULT_SESSION_IDLE_MS;
    m->config.retain_ms = LEDGER_DEFAULT_RETAIN_MS;
    m->config.retain_max = LEDGER_DEFAULT_RETAIN_MAX;
    m->config.v3 = true;
    m->config.account_patients_max = LEDGER_DEFAULT_ACCOUNT_PATIENTS;
    m->config.account_changes_max = LEDGER_DEFAULT_ACCOUNT_CHANGES;
    m->config.account_change_window_days = LEDGER_DEFAULT_ACCOUNT_WINDOW;
    m->config.account_change_patients_max = LEDGER_DEFAULT_CHANGE_PATIENTS;
    siphash_selftest();
    return m;
}

void refmodel_destroy(struct refmodel *m)
{
    if (m == NULL) {
        return;
    }
    for (uint32_t i = 0; i < m->n_sessions; i++) {
        free(m->sessions[i]);
    }
    for (uint32_t i = 0; i < m->n_pools; i++) {
        free(m->pools[i].freed);
        free(m->pools[i].wait);
    }
    for (uint32_t i = 0; i < m->n_hospitals; i++) {
        free(m->hospitals[i].depts);
        free(m->hospitals[i].log);
    }
    free(m->sessions);
    free(m->pools);
    free(m->claims);
    free(m->active);
    free(m->retained);
    free(m->patients);
    free(m->channels);
    free(m->idems);
    free(m->hospitals);
    free(m->pats);
    free(m->accounts);
    free(m->cooling);
    free(m->staff);
    free(m->noshow);
    free(m->events);
    free(m->recon);
    free(m);
}

void refmodel_apply(struct refmodel *m, uint64_t stamp_ms,
                    const struct slot_cmd *cmds, uint32_t n,
                    struct slot_result *results)
{
    refmodel_apply_at(m, 0, stamp_ms, cmds, n, results);
}

void refmodel_apply_at(struct refmodel *m, uint64_t index, uint64_t stamp_ms,
                       const struct slot_cmd *cmds, uint32_t n,
                       struct slot_result *results)
{
    m->index = index;
    if (stamp_ms > m->now_ms) {
        m->now_ms = stamp_ms;
    }
    for (uint32_t i = 0; i < n; i++) {
        apply_one(m, &cmds[i], &results[i]);
    }
}

uint64_t refmodel_time_ms(const struct refmodel *m)
{
    return m->now_ms;
}

uint64_t refmodel_next_deadline_ms(const struct refmodel *m)
{
    uint64_t next = UINT64_MAX;
    for (uint32_t i = 0; i < m->n_active; i++) {
        const struct rm_claim *c = active_claim(m, i);
        if (c->state == SLOT_CLAIM_HELD && c->deadline_ms < next) {
            next = c->deadline_ms;
        }
    }
    return next;
}

uint64_t refmodel_next_sweep_ms(const struct refmodel *m)
{
    uint64_t next = UINT64_MAX;
    for (uint32_t i = 0; i < m->n_pools; i++) {
        uint64_t due = pool_due(m, &m->pools[i]);
        if (!m->pools[i].flowed && due != 0 && due < next) {
            next = due;
        }
    }
    for (uint32_t i = 0; i < m->n_cooling; i++) { /* P8 */
        if (m->cooling[i].due_ms < next) {
            next = m->cooling[i].due_ms;
        }
    }
    for (uint32_t i = 0; i < m->n_noshow; i++) { /* V10 */
        if (m->noshow[i].due_ms < next) {
            next = m->noshow[i].due_ms;
        }
    }
    return next;
}

static void fill_bucket(const struct refmodel *m, uint32_t pi,
                        const char *bucket, uint32_t capacity,
                        struct slot_bucket *out)
{
    cstr_copy(out->channel, sizeof out->channel, bucket);
    count_bucket(m, pi, bucket, &out->held, &out->booked);
    out->cooling = count_cooling(m, pi, bucket);
    assert(out->held + out->booked + out->cooling <= capacity);
    out->capacity = capacity;
    out->free = capacity - out->held - out->booked - out->cooling;
}

static void fill_place(const struct refmodel *m, const struct rm_pool *p,
                       struct slot_place *out)
{
    const struct rm_place *pl = &p->place;
    cstr_copy(out->hospital, sizeof out->hospital, pl->hospital);
    cstr_copy(out->campus, sizeof out->campus, pl->campus);
    cstr_copy(out->department, sizeof out->department, pl->department);
    cstr_copy(out->doctor, sizeof out->doctor, pl->doctor);
    out->visit_day = pl->visit_day;
    out->pay_mode = pl->pay_mode;
    out->visit_slot_ms = pl->visit_slot_ms;
    out->n_eligible = pl->n_eligible;
    for (uint32_t i = 0; i < pl->n_eligible; i++) {
        cstr_copy(out->eligible[i], sizeof out->eligible[i], pl->eligible[i]);
    }
    out->n_rem_allow = pl->n_rem_allow;
    for (uint32_t i = 0; i < pl->n_rem_allow; i++) {
        cstr_copy(out->rem_allow[i], sizeof out->rem_allow[i],
                  pl->rem_allow[i]);
    }
    out->flow_due_ms = pool_due(m, p);
    out->flowed_back = p->flowed;
}

static void fill_pool(const struct refmodel *m, const struct rm_pool *p,
                      struct slot_pool_status *out)
{
    uint32_t pi = pool_index(m, p);
    memset(out, 0, sizeof *out);
    cstr_copy(out->pool, sizeof out->pool, p->id);
    out->kind = p->kind;
    out->release_at_ms = reported_release(m, p); /* S8 */
    if (p->stopped) {
        out->state = SLOT_PSTATE_STOPPED; /* V2: closed or not */
    } else if (p->closed) {
        out->state = SLOT_PSTATE_CLOSED;
    } else if (m->now_ms < out->release_at_ms) {
        out->state = SLOT_PSTATE_SCHEDULED; /* S8 */
    } else {
        out->state = SLOT_PSTATE_OPEN;
    }
    out->capacity = p->capacity;
    count_bucket(m, pi, NULL, &out->held, &out->booked);
    out->cooling = count_cooling(m, pi, NULL);
    assert(out->held + out->booked + out->cooling <= p->capacity);
    out->free = p->capacity - out->held - out->booked - out->cooling;
    out->fee_cents = p->fee_cents;
    out->seg_start_ms = p->seg_start_ms;
    out->seg_end_ms = p->seg_end_ms;
    out->next_visit_no = p->next_visit_no;
    out->n_shares = p->n_shares;
    for (uint32_t i = 0; i < p->n_shares; i++) {
        fill_bucket(m, pi, p->shares[i].channel, p->shares[i].slots,
                    &out->shares[i]);
    }
    fill_bucket(m, pi, "", p->capacity - shares_sum(p), &out->remainder);
    out->has_place = p->scheduled;
    if (p->scheduled) {
        fill_place(m, p, &out->place);
    }
    out->waiting = p->n_wait;
}

int refmodel_read_pool(const struct refmodel *m, struct slot_str pool,
                       struct slot_pool_status *out)
{
    const struct rm_pool *p = find_pool_c(m, pool);
    if (p == NULL) {
        return SLOT_UNKNOWN_POOL;
    }
    fill_pool(m, p, out);
    return SLOT_OK;
}

/* S1: a confirmed claim's visit window, from the pool as it is now. */
static void visit_window(const struct refmodel *m, const struct rm_claim *c,
                         uint64_t *start, uint64_t *end)
{
    const struct rm_pool *p = &m->pools[c->pool];
    *start = *end = 0;
    if (c->visit_no == 0 || p->seg_end_ms == 0) {
        return;
    }
    uint64_t len = p->scheduled && p->place.visit_slot_ms != 0
                       ? p->place.visit_slot_ms
                       : (p->seg_end_ms - p->seg_start_ms) / p->capacity;
    *start = p->seg_start_ms + (uint64_t)(c->visit_no - 1) * len;
    *end = *start + len;
}

static void fill_claim(const struct refmodel *m, const struct rm_claim *c,
                       struct slot_claim *out)
{
    memset(out, 0, sizeof *out);
    out->id = c->id;
    out->state = held_due(m, c) ? SLOT_CLAIM_EXPIRED : c->state; /* I5 */
    cstr_copy(out->pool, sizeof out->pool, m->pools[c->pool].id);
    cstr_copy(out->patient, sizeof out->patient, c->patient);
    cstr_copy(out->channel, sizeof out->channel, c->channel);
    out->held_at_ms = c->held_at_ms;
    out->deadline_ms = c->deadline_ms;
    out->booked_at_ms = c->booked_at_ms;
    out->resolved_at_ms = c->resolved_at_ms;
    out->visit_no = c->visit_no;
    cstr_copy(out->payment_ref, sizeof out->payment_ref, c->payment_ref);
    visit_window(m, c, &out->visit_start_ms, &out->visit_end_ms);
    out->paid = c->paid;
    cstr_copy(out->bucket, sizeof out->bucket, c->bucket);
    out->attendance = c->attendance;
    out->checked_in_at_ms = c->checked_in_at_ms;
    out->moved_to = c->moved_to;
    out->moved_from = c->moved_from;
    out->refunded = c->refunded;
    out->affected = m->pools[c->pool].stopped; /* V8 */
    cstr_copy(out->pay_method, sizeof out->pay_method, c->pay_method);
    out->fee_paid_cents = c->fee_paid_cents;
}

int refmodel_read_claim(const struct refmodel *m, uint64_t id, bool booking,
                        struct slot_claim *out)
{
    const struct rm_claim *c = find_claim_c(m, id);
    if (c == NULL) {
        return booking ? SLOT_UNKNOWN_BOOKING : SLOT_UNKNOWN_HOLD;
    }
    if (booking && !was_booked(c)) { /* V3: MOVED was a booking too */
        return SLOT_UNKNOWN_BOOKING;
    }
    fill_claim(m, c, out);
    return SLOT_OK;
}

int refmodel_read_patient(const struct refmodel *m, struct slot_str pool,
                          struct slot_str patient, struct slot_claim *out,
                          uint32_t cap, uint32_t *n)
{
    *n = 0;
    const struct rm_pool *p = find_pool_c(m, pool);
    if (p == NULL) {
        return SLOT_UNKNOWN_POOL;
    }
    uint32_t pi = pool_index(m, p);
    for (uint32_t i = 0; i < m->n_active && *n < cap; i++) {
        const struct rm_claim *c = active_claim(m, i);
        if (c->pool == pi && str_eq(c->patient, patient) && !held_due(m, c)) {
            fill_claim(m, c, &out[(*n)++]);
        }
    }
    return SLOT_OK;
}

int refmodel_read_pools(const struct refmodel *m, struct slot_str after,
                        uint32_t limit, struct slot_pool_status *out,
                        uint32_t *n)
{
    *n = 0;
    uint32_t start = 0;
    if (after.len > 0) {
        const struct rm_pool *p = find_pool_c(m, after);
        if (p == NULL) {
            return SLOT_UNKNOWN_POOL;
        }
        start = pool_index(m, p) + 1;
    }
    for (uint32_t i = start; i < m->n_pools && *n < limit; i++) {
        fill_pool(m, &m->pools[i], &out[(*n)++]);
    }
    return SLOT_OK;
}

void refmodel_info(const struct refmodel *m, struct slot_ledger_info *out)
{
    memset(out, 0, sizeof *out);
    out->time_ms = m->now_ms;
    out->pools = m->n_pools;
    out->patients = m->n_patients;
    out->channels = m->n_channels;
    out->sessions = m->n_sessions;
    for (uint32_t i = 0; i < m->n_active; i++) {
        if (active_claim(m, i)->state == SLOT_CLAIM_HELD) {
            out->holds_active++;
        } else {
            out->bookings_active++;
        }
    }
    out->retained = (uint32_t)(m->retained_end - m->retained_head);
    out->config = m->config;
    /* "never reported by reads" (slot_proto.h) */
    out->config.cooldown_key[0] = out->config.cooldown_key[1] = 0;
}

/* The query's order: (visit_day, seg_start_ms, department, doctor, pool). */
static int query_cmp(const struct rm_pool *a, const struct rm_pool *b)
{
    if (a->place.visit_day != b->place.visit_day) {
        return a->place.visit_day < b->place.visit_day ? -1 : 1;
    }
    if (a->seg_start_ms != b->seg_start_ms) {
        return a->seg_start_ms < b->seg_start_ms ? -1 : 1;
    }
    int c = strcmp(a->place.department, b->place.department);
    if (c == 0) {
        c = strcmp(a->place.doctor, b->place.doctor);
    }
    return c != 0 ? c : strcmp(a->id, b->id);
}

static bool query_match(const struct rm_pool *p, const struct slot_read *rd)
{
    return (rd->department.len == 0 ||
            str_eq(p->place.department, rd->department)) &&
           (rd->doctor.len == 0 || str_eq(p->place.doctor, rd->doctor)) &&
           (rd->kind == SLOT_KIND_ANY || p->kind == rd->kind) &&
           (rd->date_from == 0 || p->place.visit_day >= rd->date_from) &&
           (rd->date_to == 0 || p->place.visit_day <= rd->date_to);
}

int refmodel_read_query(const struct refmodel *m, const struct slot_read *rd,
                        struct slot_pool_status *out, uint32_t cap, uint32_t *n,
                        uint32_t *total)
{
    *n = 0;
    *total = 0;
    if (find_hospital(m, rd->hospital) == NULL) {
        return SLOT_UNKNOWN_HOSPITAL;
    }
    const struct rm_pool *after = NULL;
    if (rd->pool.len > 0) {
        after = find_pool_c(m, rd->pool);
        if (after == NULL || !after->scheduled ||
            !str_eq(after->place.hospital, rd->hospital)) {
            return SLOT_UNKNOWN_POOL;
        }
    }
    /* Selection by repeated minimum: the next pool after `last` in the
     * order, O(pools^2), plain to check. */
    const struct rm_pool *last = after;
    for (uint32_t k = 0; k < m->n_pools; k++) {
        const struct rm_pool *next = NULL;
        for (uint32_t i = 0; i < m->n_pools; i++) {
            const struct rm_pool *p = &m->pools[i];
            if (p->scheduled && str_eq(p->place.hospital, rd->hospital) &&
                query_match(p, rd) &&
                (last == NULL || query_cmp(p, last) > 0) &&
                (next == NULL || query_cmp(p, next) < 0)) {
                next = p;
            }
        }
        if (next == NULL || *n >= rd->limit || *n >= cap) {
            break;
        }
        fill_pool(m, next, &out[(*n)++]);
        last = next;
    }
    for (uint32_t i = 0; i < m->n_pools; i++) {
        const struct rm_pool *p = &m->pools[i];
        *total += p->scheduled && str_eq(p->place.hospital, rd->hospital) &&
                  query_match(p, rd); /* S6 */
    }
    return SLOT_OK;
}

int refmodel_read_rules(const struct refmodel *m, struct slot_str hospital,
                        struct slot_str department, struct slot_rules_info *out)
{
    const struct rm_hospital *h = find_hospital(m, hospital);
    if (h == NULL) {
        return SLOT_UNKNOWN_HOSPITAL;
    }
    const struct slot_rules_info *own =
        department.len > 0 ? find_dept(h, department) : NULL;
    if (own != NULL) {
        *out = *own;
    } else {
        *out = h->own; /* S5 */
        out->inherited = department.len > 0;
        str_copy(out->department, sizeof out->department, department);
    }
    return SLOT_OK;
}

int refmodel_read_rules_log(const struct refmodel *m, struct slot_str hospital,
                            uint64_t after, uint32_t limit,
                            struct slot_rules_info *out, uint32_t *n)
{
    *n = 0;
    const struct rm_hospital *h = find_hospital(m, hospital);
    if (h == NULL) {
        return SLOT_UNKNOWN_HOSPITAL;
    }
    for (uint32_t i = 0; i < h->n_log && *n < limit; i++) {
        if (h->log[i].version > after) {
            out[(*n)++] = h->log[i];
        }
    }
    return SLOT_OK;
}

int refmodel_read_schedule_check(const struct refmodel *m,
                                 const struct slot_template *t, uint32_t *fresh,
                                 uint32_t *same,
                                 char (*ids)[SLOT_POOL_ID_MAX + 1],
                                 uint32_t cap, uint32_t *n_conflicts)
{
    *fresh = *same = *n_conflicts = 0;
    const struct rm_hospital *h = find_hospital(m, t->sched.hospital);
    if (h == NULL) {
        return SLOT_UNKNOWN_HOSPITAL;
    }
    struct import_plan plan;
    import_plan(m, t, h->own.rules.utc_offset_min, &plan, ids, cap);
    *fresh = plan.fresh;
    *same = plan.same;
    *n_conflicts = plan.conflicts;
    return SLOT_OK;
}

bool refmodel_session_alive(const struct refmodel *m, uint64_t id)
{
    uint32_t i;
    return find_session((struct refmodel *)m, id, &i) != NULL;
}

uint32_t refmodel_sessions(const struct refmodel *m, uint64_t *ids,
                           uint32_t cap)
{
    for (uint32_t i = 0; i < m->n_sessions && i < cap; i++) {
        ids[i] = m->sessions[m->n_sessions - 1 - i]->id;
    }
    return m->n_sessions;
}

uint32_t refmodel_pool_count(const struct refmodel *m)
{
    return m->n_pools;
}

uint64_t refmodel_last_session_id(const struct refmodel *m)
{
    return m->last_session_id;
}

uint64_t refmodel_last_claim_id(const struct refmodel *m)
{
    return m->n_claims;
}

struct slot_config refmodel_config(const struct refmodel *m)
{
    return m->config;
}

const char *refmodel_pool_id(const struct refmodel *m, uint32_t i)
{
    assert(i < m->n_pools);
    return m->pools[i].id;
}

struct refmodel_stats refmodel_stats(const struct refmodel *m)
{
    return m->stats;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_standing(const void *a, const void *b)
{
    return strcmp(((const struct slot_standing *)a)->hospital,
                  ((const struct slot_standing *)b)->hospital);
}

/* P10: the standing of one hospital as the read reports it. */
static void fill_standing(const struct refmodel *m, const struct rm_patient *pt,
                          const char *hospital, struct slot_standing *out)
{
    const struct rm_standing *st =
        find_standing((struct rm_patient *)pt, hospital);
    memset(out, 0, sizeof *out);
    cstr_copy(out->hospital, sizeof out->hospital, hospital);
    out->violations = violations_in_window(m, pt, hospital);
    out->threshold = hospital_rules(m, hospital)->patient.violation_threshold;
    out->blacklisted_until_ms =
        st != NULL && st->until_ms > m->now_ms ? st->until_ms : 0;
    out->warning = out->threshold > 0 &&
                   out->violations + 1 == out->threshold &&
                   out->blacklisted_until_ms == 0;
    out->exception = st != NULL && st->exception;
}

void refmodel_read_patient_info(const struct refmodel *m,
                                struct slot_str patient,
                                struct slot_patient_info *out)
{
    struct slot_claim *claims = out->claims;
    uint32_t cap = out->claims_cap;
    memset(out, 0, sizeof *out);
    out->claims = claims;
    out->claims_cap = cap;
    str_copy(out->patient, sizeof out->patient, patient);
    uint64_t *ids = calloc(m->n_active + 1, sizeof *ids);
    if (ids == NULL) {
        abort();
    }
    uint32_t n = 0;
    for (uint32_t i = 0; i < m->n_active; i++) {
        const struct rm_claim *c = active_claim(m, i);
        if (claim_active(m, c) && str_eq(c->patient, patient)) {
            ids[n++] = c->id;
        }
    }
    qsort(ids, n, sizeof *ids, cmp_u64);
    for (uint32_t i = 0; i < n && i < cap && claims != NULL; i++) {
        fill_claim(m, &m->claims[ids[i] - 1], &claims[out->n_claims++]);
    }
    free(ids);
    const struct rm_patient *pt = find_pat_s(m, patient);
    if (pt == NULL) {
        return;
    }
    cstr_copy(out->account, sizeof out->account, pt->account);
    out->n_violations = pt->n_viol;
    for (uint32_t i = 0; i < pt->n_viol; i++) {
        out->violations[i].at_ms = pt->viol[i].at_ms;
        cstr_copy(out->violations[i].hospital,
                  sizeof out->violations[i].hospital, pt->viol[i].hospital);
        out->violations[i].kind = pt->viol[i].kind;
    }
    /* hospitals with a kept violation or a standing record, each once */
    char names[2 * SLOT_VIOLATIONS_KEPT][SLOT_NAME_MAX + 1];
    uint32_t nn = 0;
    for (uint32_t i = 0; i < pt->n_viol + pt->n_standing; i++) {
        const char *h;
        if (i < pt->n_viol) {
            h = pt->viol[i].hospital;
        } else {
            h = pt->standing[i - pt->n_viol].hospital;
        }
        bool dup = false;
        for (uint32_t k = 0; k < nn; k++) {
            dup = dup || strcmp(names[k], h) == 0;
        }
        if (!dup) {
            cstr_copy(names[nn++], SLOT_NAME_MAX + 1, h);
        }
    }
    assert(nn <= SLOT_VIOLATIONS_KEPT + SLOT_VIOLATIONS_KEPT);
    for (uint32_t k = 0; k < nn && out->n_standing < SLOT_VIOLATIONS_KEPT;
         k++) {
        fill_standing(m, pt, names[k], &out->standing[out->n_standing++]);
    }
    qsort(out->standing, out->n_standing, sizeof out->standing[0],
          cmp_standing);
    out->n_cancels = pt->n_cancels;
    memcpy(out->cancels_ms, pt->cancels_ms,
           pt->n_cancels * sizeof pt->cancels_ms[0]);
}

void refmodel_read_account(const struct refmodel *m, struct slot_str account,
                           struct slot_account_info *out)
{
    memset(out, 0, sizeof *out);
    str_copy(out->account, sizeof out->account, account);
    const struct rm_account *a = find_account(m, account);
    if (a == NULL) {
        return;
    }
    out->n_patients = a->n;
    for (uint32_t i = 0; i < a->n; i++) {
        cstr_copy(out->patients[i], sizeof out->patients[i], a->patients[i]);
    }
    out->n_changes = a->n_changes;
    for (uint32_t i = 0; i < a->n_changes; i++) {
        out->changes[i].at_ms = a->change_at_ms[i];
        out->changes[i].unbinds = a->change_unbinds[i];
    }
}

void refmodel_read_staff_log(const struct refmodel *m, uint64_t after,
                             uint32_t limit, struct slot_staff_entry *out,
                             uint32_t *n)
{
    *n = 0;
    uint64_t from = m->n_staff > LEDGER_STAFF_LOG_MAX
                        ? m->n_staff - LEDGER_STAFF_LOG_MAX
                        : 0;
    for (uint64_t i = from; i < m->n_staff && *n < limit; i++) {
        if (m->staff[i].seq > after) {
            out[(*n)++] = m->staff[i];
        }
    }
}

int refmodel_read_waitlist(const struct refmodel *m, struct slot_str pool,
                           struct slot_str patient, uint32_t *position,
                           uint32_t *length)
{
    *position = *length = 0;
    const struct rm_pool *p = find_pool_c(m, pool);
    if (p == NULL) {
        return SLOT_UNKNOWN_POOL;
    }
    for (uint32_t i = 0; i < p->n_wait; i++) {
        if (str_eq(p->wait[i].patient, patient)) {
            *position = i + 1;
        }
    }
    *length = p->n_wait;
    return SLOT_OK;
}

uint32_t refmodel_waiter(const struct refmodel *m, struct slot_str pool,
                         uint32_t i, const char **patient, const char **channel)
{
    const struct rm_pool *p = find_pool_c(m, pool);
    if (p == NULL) {
        return 0;
    }
    if (i < p->n_wait) {
        *patient = p->wait[i].patient;
        *channel = p->wait[i].channel;
    }
    return p->n_wait;
}

int refmodel_read_pool_claims(const struct refmodel *m, struct slot_str pool,
                              uint64_t after, uint32_t limit,
                              struct slot_claim *out, uint32_t *n)
{
    *n = 0;
    const struct rm_pool *p = find_pool_c(m, pool);
    if (p == NULL) {
        return SLOT_UNKNOWN_POOL;
    }
    uint32_t pi = pool_index(m, p);
    uint64_t first = after < m->n_claims ? after + 1 : m->n_claims + 1;
    for (uint64_t id = first; id <= m->n_claims && *n < limit; id++) {
        const struct rm_claim *c = find_claim_c(m, id);
        if (c != NULL && c->pool == pi) {
            fill_claim(m, c, &out[(*n)++]);
        }
    }
    return SLOT_OK;
}

bool refmodel_checkin_window(const struct refmodel *m, struct slot_str pool,
                             uint64_t *open_ms, uint64_t *close_ms)
{
    const struct rm_pool *p = find_pool_c(m, pool);
    if (p == NULL || p->seg_end_ms == 0) {
        return false;
    }
    struct slot_visit_rules v = visit_rules(m, p);
    *open_ms = p->seg_start_ms > v.checkin_before_ms
                   ? p->seg_start_ms - v.checkin_before_ms
                   : 0;
    *close_ms = checkin_close_ms(m, p);
    return true;
}

void refmodel_read_events(const struct refmodel *m, uint64_t after,
                          uint32_t limit, struct slot_event *out, uint32_t *n,
                          uint64_t *first, uint64_t *last)
{
    *n = 0;
    *last = m->ev_seq;
    *first =
        m->ev_head < m->n_events ? m->events[m->ev_head].seq : m->ev_seq + 1;
    /* The window's seqs are consecutive: skip to the first after the
     * cursor (a cursor at or past the newest finds none). */
    uint64_t i = m->ev_head;
    if (after >= m->ev_seq) {
        return;
    }
    if (after >= *first) {
        i += after - *first + 1;
    }
    for (; i < m->n_events && *n < limit; i++) {
        assert(m->events[i].seq > after);
        out[(*n)++] = m->events[i];
    }
}

/* ---- money reads (protocol 5) ------------------------------------------ */

static int cmp_recon(const void *a, const void *b)
{
    const struct slot_recon_row *x = a, *y = b;
    int c = strcmp(x->hospital, y->hospital);
    if (c == 0) {
        c = strcmp(x->channel, y->channel);
    }
    return c != 0 ? c : strcmp(x->pay_method, y->pay_method);
}

void refmodel_read_recon(const struct refmodel *m, uint32_t day,
                         struct slot_str hospital, struct slot_str channel,
                         uint32_t after, uint32_t limit,
                         struct slot_recon_row *out, uint32_t *n,
                         uint32_t *total, uint32_t *kept_from)
{
    struct slot_recon_row *all = calloc(m->n_recon + 1, sizeof *all);
    if (all == NULL) {
        abort();
    }
    uint32_t k = 0;
    for (uint32_t i = 0; i < m->n_recon; i++) {
        const struct slot_recon_row *x = &m->recon[i];
        if (x->day == day &&
            (hospital.len == 0 || str_eq(x->hospital, hospital)) &&
            (channel.len == 0 || str_eq(x->channel, channel))) {
            all[k++] = *x;
        }
    }
    qsort(all, k, sizeof *all, cmp_recon);
    *total = k;
    *kept_from = m->recon_kept_from;
    *n = 0;
    for (uint32_t i = after; i < k && *n < limit; i++) {
        out[(*n)++] = all[i];
    }
    free(all);
}

static int cmp_stats(const void *a, const void *b)
{
    const struct slot_stats_row *x = a, *y = b;
    if (x->visit_day != y->visit_day) {
        return x->visit_day < y->visit_day ? -1 : 1;
    }
    int c = strcmp(x->hospital, y->hospital);
    return c != 0 ? c : strcmp(x->department, y->department);
}

void refmodel_read_stats(const struct refmodel *m, struct slot_str hospital,
                         uint32_t date_from, uint32_t date_to, uint32_t after,
                         uint32_t limit, struct slot_stats_row *out,
                         uint32_t *n, uint32_t *total)
{
    struct slot_stats_row *g = calloc(m->n_pools + 1, sizeof *g);
    if (g == NULL) {
        abort();
    }
    uint32_t k = 0;
    for (uint32_t i = 0; i < m->n_pools; i++) {
        const struct rm_pool *p = &m->pools[i];
        if (!p->scheduled || p->place.visit_day < date_from ||
            p->place.visit_day > date_to ||
            (hospital.len > 0 && !str_eq(p->place.hospital, hospital))) {
            continue;
        }
        struct slot_stats_row *row = NULL;
        for (uint32_t j = 0; j < k && row == NULL; j++) {
            if (g[j].visit_day == p->place.visit_day &&
                strcmp(g[j].hospital, p->place.hospital) == 0 &&
                strcmp(g[j].department, p->place.department) == 0) {
                row = &g[j];
            }
        }
        if (row == NULL) {
            row = &g[k++];
            row->visit_day = p->place.visit_day;
            cstr_copy(row->hospital, sizeof row->hospital, p->place.hospital);
            cstr_copy(row->department, sizeof row->department,
                      p->place.department);
        }
        uint32_t held, booked;
        count_bucket(m, i, NULL, &held, &booked);
        row->pools++;
        /* M10: by the release time a pool read reports now (S8) */
        row->released += m->now_ms >= reported_release(m, p) ? p->capacity : 0;
        row->capacity += p->capacity;
        row->booked_now += booked;
        row->booked_total += p->st_booked;
        row->cancelled_total += p->st_cancelled;
        row->refunded_total += p->st_refunded;
        row->moved_total += p->st_moved;
        row->no_show_total += p->st_no_show;
        row->checked_in_total += p->st_checked_in;
    }
    qsort(g, k, sizeof *g, cmp_stats);
    *total = k;
    *n = 0;
    for (uint32_t i = after; i < k && *n < limit; i++) {
        out[(*n)++] = g[i];
    }
    free(g);
}
