/* ledger: the slot pool state machine. Pure and deterministic.
 *
 * No clock, no randomness, no I/O, no globals, no libuv: the same sequence
 * of ledger_apply() calls produces the same state and the same results on
 * every replica, byte for byte. Time arrives as an argument: the leader's
 * stamp of each Raft entry. Ledger time = max(previous ledger time, stamp);
 * it never goes back, so a failover to a node with a slower clock never
 * extends a deadline. The stamp is the leader's wall clock held within
 * max_skew_ms (slotd --clock-max-skew-ms, default 1000) of ledger time
 * extrapolated by its monotonic clock (node/leader_clock.h, node glue: the
 * ledger only sees stamps). So with one node's wall clock wrong by any
 * amount, ledger time advances at the rate of the leaders' monotonic
 * clocks, each leadership term putting it at most max_skew_ms further
 * ahead of real time: no hold expires more than (k + 2) x max_skew_ms
 * early in real time (k: leader changes during its life), and ledger time
 * stands still only after a leader change, for about 3 x max_skew_ms at
 * most.
 *
 * ---- The claim lifecycle (a hold and the booking made from it share one
 *      record and one id) ------------------------------------------------
 *
 *             HOLD (ttl)                 CONFIRM
 *   (free) ─────────────▶ HELD ──────────────────────▶ BOOKED
 *      ▲                   │ │                            │
 *      │        RELEASE    │ │ EXPIRE sweep, or any       │ CANCEL
 *      │                   ▼ │ touch at/after deadline    ▼
 *      ├─────────────  RELEASED ◀┘ ──▶ EXPIRED         CANCELLED
 *      └───────────────────────────────┴──────────────────┘
 *                     (the slot returns to free)
 *
 *   edge                      function          refused with (in order)
 *   (free) -> HELD            ledger__hold      UNKNOWN_POOL, POOL_STOPPED,
 *                                               POOL_CLOSED,
 *                                               CHANNEL_NOT_ALLOWED,
 *                                               OUTSIDE_HORIZON,
 *                                               NOT_RELEASED, BOOKING_CLOSED,
 *                                               TTL_OUT_OF_RANGE, NOT_BOUND,
 *                                               BLACKLISTED, CANCEL_LIMIT,
 *                                               PATIENT_HAS_CLAIM,
 *                                               QUOTA_EXCEEDED, SOLD_OUT,
 *                                               LIMIT_REACHED
 *   HELD -> BOOKED            ledger__confirm   UNKNOWN_HOLD, NOT_OWNER,
 *                                               HOLD_EXPIRED,
 *                                               ALREADY_CONFIRMED,
 *                                               ALREADY_RELEASED,
 *                                               POOL_STOPPED,
 *                                               PAYMENT_REQUIRED
 *   HELD -> RELEASED          release           same as confirm
 *   HELD -> EXPIRED           claimResolve      (EXPIRE sweep; or lazily when
 *                                               HOLD, CONFIRM or RELEASE
 *                                               touches a hold whose
 *                                               deadline <= ledger time)
 *   BOOKED -> CANCELLED       cancel            UNKNOWN_BOOKING, NOT_OWNER,
 *                                               ALREADY_CANCELLED, NO_SHOW,
 *                                               (pool stopped: a refund,
 *                                               none of the next)
 *                                               ALREADY_CHECKED_IN,
 *                                               CANCEL_CLOSED
 *   BOOKED -> MOVED, and      ledger__move      UNKNOWN_BOOKING, NOT_OWNER,
 *   (free) -> BOOKED in the                     ALREADY_CANCELLED,
 *   target pool                                 NO_SHOW, NOT_STOPPED,
 *                                               UNKNOWN_POOL,
 *                                               MOVE_MISMATCH, POOL_STOPPED,
 *                                               POOL_CLOSED, BOOKING_CLOSED,
 *                                               PATIENT_HAS_CLAIM, SOLD_OUT,
 *                                               LIMIT_REACHED
 *   BOOKED: pending ->        ledger__checkin   UNKNOWN_BOOKING,
 *   checked in                                  PATIENT_MISMATCH,
 *                                               ALREADY_CANCELLED,
 *                                               POOL_STOPPED,
 *                                               ALREADY_CHECKED_IN, NO_SHOW,
 *                                               CHECKIN_NOT_OPEN,
 *                                               CHECKIN_CLOSED
 *   BOOKED: pending ->        SWEEP             (when check-in closes)
 *   no-show
 *
 * A BOOKED claim's attendance (the visit day, protocol 4):
 *
 *            CHECKIN in [seg_start - before, seg_end - late)
 *   pending ────────────────────────────────────────────────▶ checked_in
 *      │
 *      │ SWEEP once seg_end - late <= now (rules with noshow_sweep)
 *      ▼
 *   no_show  (a NO_SHOW violation: the blacklist rules apply)
 *
 * A slot a cancelled booking frees is free at once, or, under a rule set
 * with a cool-down, COOLING until its return time (then free: SWEEP):
 *
 *   BOOKED ──CANCEL──▶ (cooling) ──SWEEP at due──▶ (free)
 *
 * Each hold resolves exactly once. A second resolution gets the error that
 * names the first (ALREADY_CONFIRMED / ALREADY_RELEASED / HOLD_EXPIRED).
 * Resolved claims (RELEASED, EXPIRED, CANCELLED) are retained for queries
 * for config.retain_ms of ledger time and at most config.retain_max of them,
 * oldest first; after that their id is UNKNOWN_HOLD / UNKNOWN_BOOKING.
 *
 * ---- Invariants (ledger_check verifies all; ledger_apply asserts the
 *      counter identity of every pool it touched in debug builds) --------
 *   per pool and per bucket (channel share or shared remainder):
 *     free + held + booked + cooling == capacity, held and booked equal to
 *     the number of active claims of that bucket in that state, cooling to
 *     the number of its entries in the cooling heap;
 *   the patient-claims index holds exactly the HELD and BOOKED claims,
 *   under their patient; every account's bound patients name it as their
 *   account and the reverse; the staff log's sequence numbers increase;
 *   every HELD claim is in the expiry heap, nothing else is;
 *   every HELD or BOOKED claim is the one entry of its (pool, patient);
 *   the visit numbers of a pool's BOOKED claims are distinct, and every
 *   number in 1 .. next_visit_no-1 is either one of them or in the pool's
 *   freed list (no number in both);
 *   the pools of each hospital's day index are exactly its scheduled pools
 *   of that day; the flow-back heap holds exactly the pools with a due
 *   time that have not flowed back;
 *   the retained list holds exactly the resolved claims, oldest first;
 *   every index (pool id, patient key, channel, claim id, session id)
 *   agrees with the records.
 *
 * ---- Exactly-once: sessions --------------------------------------------
 * A client opens a session (SESSION_OPEN returns its id) and numbers its
 * mutating requests seq = 1, 2, ... within it. The ledger keeps, per
 * session, the results of the requests whose seq lies in (max_seq -
 * SLOT_SESSION_WINDOW, max_seq], with each command's fingerprint. A request
 * whose seq is in the window and was already applied gets the stored result
 * back, byte-identical, and changes nothing; the same seq with a different command is REQUEST_MISMATCH; a seq
 * at or below (highest seq seen - SLOT_SESSION_WINDOW) is REQUEST_TOO_OLD.
 * Bounds: config.session_max sessions. A session unused for
 * config.session_idle_ms of ledger time is forgotten; when the table is
 * full, SESSION_OPEN forgets the least recently used one. A request naming
 * a forgotten (or never opened) session gets SESSION_UNKNOWN and changes
 * nothing: the client must open a new session and treat its requests in
 * flight as of unknown outcome (query them by id). Eviction work is bounded
 * per command (SLOT_SESSION_EVICT_PER_CMD).
 *
 * ---- Exact rules (the reference model in node/test mirrors these) -----
 * Per batch: ledger time advances once, before the first command.
 * Per command, before anything else: forget up to SLOT_SESSION_EVICT_PER_CMD
 * sessions from the least-recently-used end that are idle (last_used_ms +
 * session_idle_ms <= now) or beyond session_max; then forget up to
 * SLOT_RETAIN_EVICT_PER_CMD resolved claims from the oldest end whose
 * resolved_at_ms + retain_ms <= now, or while more than retain_max are kept;
 * then as many idempotency keys, oldest first, first used at or before
 * now - retain_ms, or while more than LEDGER_IDEM_MAX are kept.
 * Then, for every op except SESSION_OPEN and EXPIRE: unknown session ->
 * SESSION_UNKNOWN; otherwise the session is touched (last_used = now, moved
 * to the most-recent end); seq <= max_seq - SLOT_SESSION_WINDOW ->
 * REQUEST_TOO_OLD; seq already applied -> the stored result if the
 * fingerprint matches, else REQUEST_MISMATCH; otherwise the command runs and
 * its result (success or rule error alike) is stored. Session-level errors
 * are not stored. A command wrapped in IDEM (slot_proto.h), once past the
 * session checks: if its (channel, key) is remembered, the answer is the
 * remembered result when the inner fingerprint matches, REQUEST_MISMATCH
 * when it does not (nothing runs); otherwise it runs and its result,
 * success or rule error, is remembered under the key. Ids: sessions and
 * claims are numbered 1, 2, 3, ... in apply order. Visit numbers: a
 * CONFIRM takes the pool's lowest number freed by a cancellation, else
 * next_visit_no++ (so they stay within 1..capacity while capacity does not
 * shrink, and say when to come).
 *
 * ---- Hospitals, schedules and their rules (slot_sched.h) ----------------
 * A hospital exists once RULES_SET gave it rules (department ""). A pool
 * with schedule fields ("scheduled") belongs to one; a free-standing pool
 * (no schedule fields) follows none of the rules below but its own
 * release_at_ms, shares and remainder, as in protocol version 1.
 * For a scheduled pool p of visit day V, the rule set R is its
 * department's own (if RULES_SET gave it one) else the hospital's; local
 * time uses R.utc_offset_min: today = local day of now, minute = local
 * minute of now. For a channel C, P = slot_rules_policy(R, C) and the
 * horizon H = P.horizon_days if non-zero, else R.horizon_days.
 *   eligible(C): p's eligible list if non-empty, else the names of R's
 *     first eligibility rule whose department ("" any) and kind (255 any)
 *     match p, if any: C must be covered (slot_rules_covers: C itself, or
 *     a group of R containing C) by one of them; no list: every channel.
 *   opens(C) = local minute R.release_minute of day V - H (H > 0; with H =
 *     0 there is no horizon rule).
 *   closed(C): today > V, or now >= seg_end_ms, or (P.cutoff and
 *     R.cutoff_minute set and (today > V - 1 or (today == V - 1 and minute
 *     >= R.cutoff_minute))), or (!P.same_day and today >= V).
 * Channel groups: a share, remainder_allow entry or eligible entry may name
 *   a group of R; group membership is read from the rules at the time of
 *   each HOLD.
 * Flow-back: a scheduled pool whose R has flowback_minute set is due at
 *   local minute flowback_minute of day V - flowback_days_before (day 0 if
 *   that is before day 1); due times are recomputed whenever RULES_SET
 *   changes the rules that apply to the pool, until it has flowed.
 *
 * SESSION_OPEN: if session_max sessions exist, forget the least recently
 *   used one; a = new session id.
 * CONFIG: replaces the config (already range-checked by the decoder).
 * POOL_CREATE: POOL_EXISTS; UNKNOWN_HOSPITAL (schedule fields naming a
 *   hospital without rules); LIMIT_REACHED (pools, channels or names table
 *   full). Share and list names are interned as channels in the order
 *   given (shares, eligible, remainder_allow), then campus, department,
 *   doctor as names. A scheduled pool joins its hospital's day index and,
 *   if due, the flow-back heap.
 * POOL_UPDATE: UNKNOWN_POOL; POOL_CLOSED; INVALID_ARGUMENT if the pool is
 *   scheduled and the spec has no segment (a scheduled pool keeps one: its
 *   visit numbers and closing rule are times in it); UNKNOWN_HOSPITAL;
 *   CAPACITY_CONFLICT
 *   if any new share would be below its channel's held+booked+cooling
 *   from its share, a removed share still has held, booked or cooling
 *   slots, or the new remainder (capacity - sum of shares) would be below
 *   the remainder's held+booked+cooling; LIMIT_REACHED. Replaces kind, fee, segment, release time,
 *   capacity and shares (each share's capacity and spec become its new
 *   slots), and the schedule fields if the spec has them (a spec without
 *   them keeps the pool's place). The flow-back state is kept (a pool
 *   flows back at most once); its due time is recomputed.
 * RULES_SET (hospital, department, operator, reason, rules): department
 *   "": LIMIT_REACHED if the hospital is new and LEDGER_HOSPITALS_MAX
 *   exist; INVALID_ARGUMENT if the hospital has pools or department rules
 *   and the UTC offset changes. Department d: UNKNOWN_HOSPITAL; INVALID_ARGUMENT if its
 *   offset differs from the hospital's; LIMIT_REACHED (names table, or
 *   LEDGER_OVERRIDES_MAX departments). Then version = hospital's version +
 *   1, the rules, operator, reason and now are kept, the change joins the
 *   log (the oldest dropped beyond LEDGER_RULES_LOG_MAX), flow-back due
 *   times are recomputed; a = version.
 * SCHEDULE_IMPORT (template): UNKNOWN_HOSPITAL (no rules); every (day,
 *   segment) in (day, segment) order gives the pool spec
 *   slot_template_pool_id / capacity / kind / fee / segment = local
 *   [start, end) minutes of the day under the hospital's offset /
 *   release_at_ms 0 / shares floor(capacity * permille / 1000) (zero ones
 *   left out, template order) / schedule fields of the template with
 *   visit_day = the day. A pool that exists with all those fields equal
 *   (shares by spec; closed or not) is unchanged; one that exists with any
 *   difference is a conflict: SCHEDULE_CONFLICT, a = number of conflicts,
 *   nothing created. LIMIT_REACHED if the new pools do not fit the pools,
 *   channels or names tables (nothing created). Otherwise the new pools are
 *   created as by POOL_CREATE, in that order; a = created, b = unchanged.
 * POOL_CLOSE: UNKNOWN_POOL; POOL_CLOSED if already closed. Existing holds
 *   and bookings are untouched and may still be confirmed / cancelled.
 * HOLD, in this order: UNKNOWN_POOL; POOL_CLOSED; then for a scheduled
 *   pool CHANNEL_NOT_ALLOWED (not eligible(C)), OUTSIDE_HORIZON (H > 0 and
 *   today < V - H), NOT_RELEASED (H > 0, today == V - H and minute <
 *   R.release_minute); for every pool NOT_RELEASED (now < release_at_ms);
 *   for a scheduled pool BOOKING_CLOSED (closed(C)); TTL_OUT_OF_RANGE (ttl
 *   = ttl_ms, or R.pay_ttl_ms when ttl_ms is 0 and the pool is scheduled;
 *   refused outside [hold_ttl_min_ms, hold_ttl_max_ms], and above
 *   R.pay_ttl_max_ms when that is set); PATIENT_HAS_CLAIM (the patient's
 *   HELD or BOOKED claim in this pool; a HELD one whose deadline <= now is
 *   expired first and does not count); SOLD_OUT (the first bucket with a
 *   free slot of: the share named C; the shares, in order, naming a group
 *   of R that contains C; the shared remainder, if remainder_allow is
 *   empty or covers C); LIMIT_REACHED (patient, channel or claim table
 *   full). On success the patient and channel are interned, deadline = now
 *   + ttl; a = claim id, b = deadline_ms.
 * CONFIRM / RELEASE: UNKNOWN_HOLD; a HELD claim with deadline <= now is
 *   expired right there and the answer is HOLD_EXPIRED; EXPIRED ->
 *   HOLD_EXPIRED; BOOKED or CANCELLED -> ALREADY_CONFIRMED; RELEASED ->
 *   ALREADY_RELEASED. CONFIRM then: PAYMENT_REQUIRED if the payment_ref is
 *   empty and the pool is paid online (every free-standing pool is); an
 *   empty reference on a pay-at-visit pool books it unpaid; last,
 *   LIMIT_REACHED if the pay_method is new and the ledger already knows
 *   LEDGER_PAY_METHODS_MAX. A reference records the payment: it, the
 *   pay_method and the pool's fee_cents now (fee_paid_cents). a = booking
 *   id (the claim id), b = visit_no.
 * CANCEL: unknown id or a claim never confirmed -> UNKNOWN_BOOKING (a
 *   HELD claim, due or not, is left as it is); CANCELLED ->
 *   ALREADY_CANCELLED; BOOKED -> CANCELLED, slot freed, its visit number
 *   back in the pool's freed list.
 * A claim stays in the bucket it was taken from for life, through
 * POOL_UPDATEs. Refused commands answer a = b = 0, except the refusals
 * that name their rule (slot_proto.h). Patients, accounts and channels,
 * once interned, are never forgotten.
 * Reads never change state: a HELD claim past its deadline still counts as
 * held in pool counters until it is expired, while a claim read reports it
 * EXPIRED (resolved_at_ms 0) and patient reads leave it out.
 * EXPIRE(max): expires HELD claims with deadline <= now in (deadline, id)
 *   order, at most max; a = number expired, b = number still due, capped at
 *   SLOT_EXPIRE_DUE_COUNT_MAX.
 * SWEEP(max): first flows back the pools whose flow-back is due (due <=
 *   now) in (due, pool index) order, at most max: in each, every share
 *   other than the target (the share named R.flowback_to, else the
 *   remainder) gives its free slots to the target (capacity and free move;
 *   held, booked and cooling never do), and the pool is marked flowed;
 *   then, within what is left of max, returns cooling slots whose due <=
 *   now to free in their bucket, in (due, claim id) order. a = pools
 *   flowed + slots returned, b = still due of both (capped at
 *   SLOT_EXPIRE_DUE_COUNT_MAX).
 * Every resolution (release, expiry, cancel) appends the claim to the
 * retained list with resolved_at_ms = now.
 *
 * ---- Patients, accounts and the anti-scalper rules (protocol 3) --------
 * The patient rules PR are the rules.patient of the pool's HOSPITAL (a
 * department's own rule set does not change them); a free-standing pool
 * has none (only accounts, ownership and the platform quota apply to it).
 * "Active" claims: HELD with deadline > now, or BOOKED. Days are local
 * days under the hospital's offset; today = the local day of now.
 * Accounts (config): a patient is bound to at most one account; an
 *   account binds at most config.account_patients_max patients.
 * ACCOUNT_BIND(A, P): P bound to A: nothing changes; P bound to another
 *   account -> ACCOUNT_LIMIT (ELSEWHERE); A full -> ACCOUNT_LIMIT (FULL);
 *   LIMIT_REACHED (patients or accounts table full); else P is bound
 *   (appended to A's list). a = patients bound to A.
 * ACCOUNT_UNBIND(A, P): P not bound to A -> NOT_BOUND. A change is open if
 *   A's last change started within the last 24 h: then ACCOUNT_LIMIT
 *   (CHANGE_PATIENTS) if it has account_change_patients_max unbinds, else
 *   it counts one more. Otherwise ACCOUNT_LIMIT (CHANGES) if A has
 *   account_changes_max changes started within the last
 *   account_change_window_days * 86400000 ms, else a new change {now, 1}
 *   (A keeps its last SLOT_ACCOUNT_CHANGES_KEPT). P is unbound (the rest
 *   keep their order); P's claims are untouched. a = patients bound.
 * HOLD (pool p, patient P, channel C, account A), after TTL_OUT_OF_RANGE:
 *   NOT_BOUND: A non-empty and P not bound to A; or p scheduled, PR's
 *     account_channels covers C (slot_rules_covers, under the hospital's
 *     rules) and A is empty.
 *   BLACKLISTED (b = until): p scheduled, P blacklisted at p's hospital
 *     (until > now), PR.blacklist_exempt does not cover C, and no
 *     exception is pending for P there (a pending exception lets this hold
 *     through and is used up by it if the hold succeeds).
 *   CANCEL_LIMIT (b = today): p scheduled, PR.cancel_limit_day > 0, and P's
 *     kept cancellations made on today (local) number >= it.
 *   PATIENT_HAS_CLAIM (as before).
 *   QUOTA_EXCEEDED (a = quota, b = the window's first day): for p
 *     scheduled, with class(k) = normal if k is SLOT_KIND_NORMAL else
 *     expert, counting P's active claims in scheduled pools of p's
 *     hospital, first: same visit day and class >= quota_day_<class>;
 *     then (expert) same visit day and department >= quota_dept_expert;
 *     then same calendar month of visit days and class >=
 *     quota_month_<class> (b = the month's first day). A quota of 0 never
 *     refuses. Then, when PR.quota_per_account and P is bound to an
 *     account, the same three counted over the active claims of all the
 *     account's patients together (a = SLOT_QUOTA_ACCOUNT + the
 *     quota). Then, for every pool, config.patient_active_max > 0 and
 *     P's active claims (any pool) >= it -> ACTIVE (b = 0).
 *   then SOLD_OUT and LIMIT_REACHED as before.
 * CONFIRM / RELEASE / CANCEL carry the caller (channel; "" = an
 *   administrator) and an account: right after UNKNOWN_HOLD /
 *   UNKNOWN_BOOKING, NOT_OWNER unless the caller is "", or the claim's
 *   channel, or the account is non-empty and P is bound to it now.
 *   Nothing changes on NOT_OWNER (a due hold is not expired by it).
 * CANCEL, after ALREADY_CANCELLED: CANCEL_CLOSED if the caller is not ""
 *   and, for p scheduled with PR.cancel_minute set, D = local minute
 *   cancel_minute of day V - cancel_days_before: now >= D and not
 *   (PR.cancel_same_day and booked_at >= D and now < seg_start_ms).
 *   Then the booking is CANCELLED, its visit number freed; its slot goes
 *   to free, or, when p is scheduled and PR.cooldown_max_ms > 0, to
 *   cooling until now + cooldown_min_ms + siphash24(config.cooldown_key,
 *   [claim id, now] as 16 little-endian bytes) % (max - min + 1). A cancel
 *   by a non-empty caller is recorded in P's cancellations (the last
 *   SLOT_CANCELS_KEPT kept) and, when PR.late_cancel_ms > 0 and now +
 *   late_cancel_ms > seg_start_ms, is a LATE_CANCEL violation.
 * VIOLATION, UNBLOCK and EXCEPTION (hospital H, patient P): first
 *   UNKNOWN_HOSPITAL, then LIMIT_REACHED (P new and the patients table
 *   full). Violations: VIOLATION(H, P, kind); a HELD claim of a
 *   scheduled pool that expires (sweep or lazily) is an UNPAID violation
 *   when
 *   PR.unpaid_is_violation. A violation is recorded {now, H, kind} (P
 *   keeps the last SLOT_VIOLATIONS_KEPT); n = P's kept violations at H
 *   with at_ms + violation_window_days * 86400000 > now; when
 *   PR.violation_threshold > 0 and n >= it, P is blacklisted at H until
 *   max(its current until, now + blacklist_days * 86400000). VIOLATION
 *   answers a = n, b = until (0 if not blacklisted).
 * UNBLOCK(H, P): P's standing at H and P's violations at H are removed;
 *   a = 1 if P was blacklisted there (until > now).
 * EXCEPTION(H, P): an exception is pending for P at H until a hold uses
 *   it.
 * PATIENT_INFO reads: a standing per hospital with violations kept or a
 *   standing entry (even one with nothing in force); warning = threshold >
 *   0, not blacklisted, and violations in the window == threshold - 1.
 * A patient keeps standings (blacklist until, exception) for at most
 *   SLOT_VIOLATIONS_KEPT hospitals: a new one replaces an entry with
 *   nothing in force (until <= now, no exception), else the one with the
 *   earliest until.
 * Waitlists (anti-transfer release): a pool keeps a FIFO of at most
 *   LEDGER_WAITLIST_MAX waiting patients.
 * WAITLIST_JOIN(pool, P, C, A): HOLD's checks in HOLD's order up to and
 *   including QUOTA_EXCEEDED (without TTL_OUT_OF_RANGE), then
 *   ALREADY_WAITING; then NOT_SOLD_OUT if HOLD would find a bucket for C;
 *   LIMIT_REACHED (the waitlist, patients or channels table full). P
 *   joins at the tail with C and A; a = its position (1 = next).
 * WAITLIST_LEAVE(pool, P, caller, A): UNKNOWN_POOL; NOT_WAITING; NOT_OWNER
 *   unless the caller is "", the entry's channel, or A is non-empty and P
 *   is bound to A. P leaves; the others keep their order.
 * CANCEL of a booking of an open pool with a waiting list: the slot is
 *   offered before anything else. Entries are taken from the head; one
 *   whose patient would now be refused a HOLD through its channel and
 *   account at this pool (any of HOLD's refusals before SOLD_OUT; a
 *   pending exception does not help: such a waiter is refused at
 *   BLACKLISTED's place, before PATIENT_HAS_CLAIM could expire its own
 *   due hold) is dropped, at most SLOT_WAITLIST_SKIP_MAX of them per
 *   cancel (the entry after the last drop is still asked; if it is refused
 *   too it stays on the list). The first that passes leaves the list
 *   and gets the slot as an OFFER: a HELD claim in the
 *   cancelled claim's bucket, through its channel, deadline now + R's
 *   pay_ttl_ms (0: config.hold_ttl_max_ms). If none passes, the slot goes
 *   to free or cooling as above.
 * An OFFER that is RELEASED or EXPIRED does not return its slot at once:
 *   with PR.cooldown_max_ms > 0 it cools until held_at_ms +
 *   cooldown_min_ms + siphash24(key, [offer id, held_at_ms]) % span (free
 *   at once if that is not after now), so declining an offer cannot hand
 *   the slot to an accomplice either. A confirmed offer is a booking.
 * VIOLATION, UNBLOCK and EXCEPTION that pass their checks are appended to
 *   the staff log (seq 1, 2, ...; the last LEDGER_STAFF_LOG_MAX kept) with
 *   now, operator and reason.
 *
 *
 * ---- The visit day: stoppage, moves, check-in, no-shows (protocol 4) ---
 * R is the pool's rule set (its department's own, else the hospital's; a
 * free-standing pool: slot_visit_rules_default's values), V its visit day.
 * POOL_STOP(pool, operator, reason): UNKNOWN_POOL; POOL_STOPPED if already
 *   stopped. The pool is stopped for good (closed or not): its waitlist is
 *   emptied (no offers), the staff log gets {POOL_STOP, the pool's
 *   hospital ("" free-standing), patient "", pool, operator, reason}; its
 *   claims are untouched and read as affected. a = its booked counter, b =
 *   its held counter (due holds not yet expired included).
 * On a stopped pool: HOLD and WAITLIST_JOIN -> POOL_STOPPED (at
 *   POOL_CLOSED's place, before it); POOL_CLOSE and POOL_UPDATE ->
 *   POOL_STOPPED (after UNKNOWN_POOL); CONFIRM of a HELD claim before its
 *   deadline -> POOL_STOPPED (after ALREADY_RELEASED; the hold stays
 *   until released or expired, and its expiry is never an UNPAID
 *   violation); RELEASE as before; CANCEL of a BOOKED
 *   claim (after NOT_OWNER, ALREADY_CANCELLED and NO_SHOW: a no-show is
 *   final, stopped or not) is a refund: CANCELLED with refunded = 1,
 *   checked in or not (a stop may come in the middle of a session), no
 *   CANCEL_CLOSED, not one of the patient's cancellations, no violation,
 *   the slot free at once (no cool-down, no offer).
 * CANCEL of a pool that is not stopped, after ALREADY_CANCELLED (also for
 *   a MOVED claim): NO_SHOW, ALREADY_CHECKED_IN by its attendance; then as
 *   before.
 * MOVE(booking, target t, caller, account): UNKNOWN_BOOKING (unknown, or
 *   never confirmed); NOT_OWNER (as CANCEL); ALREADY_CANCELLED (CANCELLED
 *   or MOVED); NO_SHOW (a no-show is final); NOT_STOPPED (the booking's
 *   pool p is not stopped);
 *   UNKNOWN_POOL (t); MOVE_MISMATCH (p or t free-standing, t == p, or
 *   their hospital, department or kind differ); POOL_STOPPED (t);
 *   POOL_CLOSED (t); BOOKING_CLOSED (t: today > V(t) or now >= its
 *   seg_end_ms; horizon, release, cut-off and eligibility are not asked:
 *   the hospital moves its patients to any open clinic of the
 *   department); PATIENT_HAS_CLAIM (the patient's HELD or BOOKED claim in
 *   t, a due hold expired first); SOLD_OUT (t's first bucket with a free
 *   slot for the booking's channel, in HOLD's order); LIMIT_REACHED
 *   (claims table full). Then the booking becomes MOVED (resolved now,
 *   moved_to = the new id, retained; its visit number freed, its slot
 *   free) and a new claim is BOOKED in t: the same patient, channel and
 *   payment (reference, method, fee paid), held_at = booked_at = deadline =
 *   now, moved_from = the old id, attendance pending, a visit number as
 *   CONFIRM takes one. No quota is asked, no cancellation recorded, no
 *   violation. a = the new booking id, b = its visit number.
 * CHECKIN(booking, patient P, payment_ref): UNKNOWN_BOOKING (unknown, or
 *   never confirmed); PATIENT_MISMATCH (the claim's patient is not P);
 *   ALREADY_CANCELLED (CANCELLED or MOVED); POOL_STOPPED;
 *   ALREADY_CHECKED_IN; NO_SHOW; for a pool with a segment:
 *   CHECKIN_NOT_OPEN (now < seg_start_ms - R.checkin_before_ms) and
 *   CHECKIN_CLOSED (now >= seg_end_ms - R.checkin_late_ms) (a pool without
 *   a segment has no window); LIMIT_REACHED (an unpaid booking given a
 *   reference and a new pay_method the ledger has no room for). Then
 *   attendance = checked_in, checked_in_at_ms = now, and an unpaid
 *   booking given a non-empty payment_ref records that payment as CONFIRM
 *   does (the fee now; a paid booking keeps its own; the one given is
 *   ignored). a = visit number, b = 0. (A booking made
 *   after check-in closed, between seg_end - late and seg_end, can never
 *   check in and is never a no-show: it stays pending.)
 * No-shows: a CONFIRM or MOVE into a scheduled pool whose R has
 *   noshow_sweep puts the booking in the no-show heap at due = seg_end_ms
 *   - R.checkin_late_ms, if due > now. CHECKIN, CANCEL and MOVE take it
 *   out. SWEEP, after the flow-backs and the cooling returns and within
 *   what is left of max, takes due entries in (due, claim id) order: one
 *   whose pool is stopped, or whose R (now) has no noshow_sweep, is
 *   dropped; one whose due under R now is later than now is put back at
 *   that due; otherwise the booking's attendance becomes no_show and a
 *   NO_SHOW violation is recorded for its patient at its hospital (as by
 *   VIOLATION, without a staff log entry). Each counts in a. (A rule change
 *   that moves check-in's close earlier than a booking's due delays its
 *   no-show until that due; CHECKIN judges the window under R now.)
 * Claim reads report attendance, checked_in_at_ms, moved_to, moved_from,
 *   refunded and affected (its pool is stopped).
 * POOL_CLAIMS(pool, after, limit): UNKNOWN_POOL; the pool's known claims
 *   (any state) with id > after, by id, at most limit. A scan of every
 *   claim: for staff, not for a channel's hot path.
 *
 *
 * ---- The event feed (protocol 4) -----------------------------------------
 * Every state change a command makes appends an event, in the order the
 * changes happen inside the command. Refused commands append none, except
 * the expiries time catching up made on the way (ledger_apply); replays
 * (a session's stored result, a remembered idempotency key), SESSION_OPEN
 * and the bounded housekeeping append none. An event (slot_proto.h): seq
 * (1, 2, ... over the ledger's life, never reused), index (the Raft
 * index ledger_apply_at was given; 0 through ledger_apply), time_ms
 * (ledger time), type, and its fields: a claim's events name the claim
 * id, pool, patient, channel, the account the patient is bound to at that
 * moment ("" none) and the pool's hospital ("" free-standing); a pool's
 * the pool and its hospital; a patient's the patient, its account and the
 * hospital.
 *   HOLD: HELD (a = deadline). CONFIRM: BOOKED (a = visit_no, b = paid).
 *   RELEASE: RELEASED. Every expiry (EXPIRE, or a touch of a due hold):
 *   EXPIRED, then VIOLATION if it is an UNPAID one. CANCEL: CANCELLED (a =
 *   refunded), then VIOLATION (a late cancel) or OFFERED (the waitlist's
 *   hold, a = deadline). MOVE: MOVED (the old booking, a = the new id),
 *   then BOOKED (the new one). CHECKIN: CHECKED_IN (a = visit_no). SWEEP:
 *   FLOWED_BACK per pool, SLOT_FREED per cooling slot returned (the
 *   cancelled claim's pool and id), NO_SHOW then VIOLATION per no-show.
 *   POOL_CREATE and each pool SCHEDULE_IMPORT creates: POOL_CREATED;
 *   POOL_UPDATE: POOL_UPDATED; POOL_CLOSE: POOL_CLOSED; POOL_STOP:
 *   POOL_STOPPED (a, b as its result; no event per waiter dropped).
 *   RULES_SET: RULES_CHANGED (hospital, a = version). CONFIG:
 *   CONFIG_CHANGED. VIOLATION: VIOLATION (a = kind, b = blacklisted until,
 *   0 if not). UNBLOCK: UNBLOCKED. EXCEPTION: EXCEPTION. ACCOUNT_BIND /
 *   ACCOUNT_UNBIND that change a binding: ACCOUNT_BOUND /
 *   ACCOUNT_UNBOUND (the patient, and the account). WAITLIST_JOIN:
 *   WAIT_JOINED (pool, patient, channel, a = position); WAITLIST_LEAVE:
 *   WAIT_LEFT.
 * The window: the newest LEDGER_EVENTS_MAX events; before each command
 * (with the other housekeeping) up to SLOT_EVENTS_EVICT_PER_CMD of the
 * oldest whose time_ms + LEDGER_EVENTS_RETAIN_MS <= now are dropped.
 * READ_EVENTS(after, limit): the events held with seq > after, oldest
 * first, at most limit; first = the oldest seq held (last + 1 if none),
 * last = the newest seq ever.
 * Protocol 5: every event has local_day (ledger time in its hospital's
 * UTC offset now; UTC without a hospital); a claim's event carries the
 * claim's payment right after it (fee_cents = fee paid, payment_ref,
 * pay_method; 0 / "" when unpaid); CHECKED_IN has b = 1 when this
 * check-in paid the booking.
 *
 *
 * ---- Money and statistics (protocol 5) -----------------------------------
 * Pay methods are interned for good, at most LEDGER_PAY_METHODS_MAX.
 * Reconciliation counters: rows keyed (local day, hospital, channel, pay
 * method) of the event's claim (its pay method after the event, "" when
 * unpaid), each counter moved by exactly one kind of claim event, at the
 * event's local_day:
 *   BOOKED by CONFIRM (not by MOVE): booked += 1, booked_cents += fee paid;
 *   CHECKED_IN: checked_in += 1, and if b = 1 checkin_paid += 1,
 *     checkin_paid_cents += fee paid;
 *   CANCELLED a = 0: cancelled += 1, cancelled_cents += fee paid (owed
 *     back); a = 1: refunded, refunded_cents the same;
 *   MOVED: moved += 1; NO_SHOW: no_show += 1.
 * A row is made at its first count. Kept: rows of the newest
 * LEDGER_RECON_DAYS_KEPT local days (a row of a newer day drops every row
 * older than its day - LEDGER_RECON_DAYS_KEPT + 1) and at most
 * LEDGER_RECON_ROWS_MAX rows (past that the oldest day's rows go);
 * kept_from = the oldest day still kept (counts of older days are not
 * made). RECON(day, hospital, channel, after, limit): the day's rows
 * matching ("" any), sorted by (hospital, channel, pay method) names,
 * from position after, at most limit; total = all matches.
 * Statistics: a scheduled pool counts, from when it is scheduled (a
 * free-standing pool given schedule fields by POOL_UPDATE starts then),
 * booked (BOOKED, by CONFIRM or MOVE), cancelled (CANCELLED a = 0),
 * refunded (a = 1), moved (MOVED out), no_show and checked_in. STATS(
 * hospital, from, to, after, limit): per (visit_day, hospital,
 * department) of the scheduled pools with from <= visit_day <= to (and
 * the hospital, "" any), in that order by names: pools, released
 * (capacity of those whose release time, the status's release_at_ms,
 * has come, whatever their state now),
 * capacity, booked_now and the sums of the counters; from position
 * after, at most limit; total = all groups. O(pools) per read.
 *
 * Memory: allocation failure inside ledger_apply aborts the process. A
 * replica cannot refuse an entry the others applied; crashing and
 * recovering from the log is the only consistent answer. The one system
 * call the ledger makes besides the allocator's is madvise
 * (MADV_POPULATE_WRITE), to map the pages of a growing array a chunk
 * ahead of use (ledgerInt.h, pre-faulting), preceded by MADV_HUGEPAGE when
 * a restore (or ledger_check) maps an array of 2 MiB or more at once; it
 * changes no byte the ledger reads, and its failure is ignored.
 */
#ifndef SLOT_LEDGER_H
#define SLOT_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mp.h"
#include "slot_proto.h"

#define SLOT_SESSION_WINDOW        32 /* results remembered per session */
#define SLOT_SESSION_EVICT_PER_CMD 8  /* idle sessions forgotten per command */
/* resolved claims forgotten per command */
#define SLOT_RETAIN_EVICT_PER_CMD 16
#define LEDGER_POOLS_MAX          (1u << 20)
#define LEDGER_PATIENTS_MAX       (1u << 26)
#define LEDGER_CHANNELS_MAX       64
#define LEDGER_CLAIMS_MAX         (1u << 28) /* active + retained */
#define LEDGER_IDEM_MAX           (1u << 18) /* idempotency keys remembered */
#define LEDGER_HOSPITALS_MAX      256
#define LEDGER_NAMES_MAX          (1u << 20) /* campuses, departments, doctors */
#define LEDGER_OVERRIDES_MAX      64 /* departments with their own rules */
#define LEDGER_RULES_LOG_MAX      32 /* rule changes remembered per hospital */
#define LEDGER_ACCOUNTS_MAX       (1u << 26)
#define LEDGER_STAFF_LOG_MAX      4096 /* VIOLATION/UNBLOCK/EXCEPTION kept */
#define LEDGER_WAITLIST_MAX       1024 /* patients waiting for one pool */
#define SLOT_WAITLIST_SKIP_MAX    8    /* ineligible heads dropped per cancel */
/* The event feed's window: the newest LEDGER_EVENTS_MAX events (56 bytes
 * each, 24 more per Raft entry they come from (ledgerInt.h, struct
 * evrun), and a paid claim's event its payment reference's bytes: 144 MiB
 * at most, with one event per entry; at the 09:00 peak of ~100,000 events a second
 * about 10 s of them, at an ordinary day's rate many hours), and none
 * older than LEDGER_EVENTS_RETAIN_MS (SLOT_EVENTS_EVICT_PER_CMD of those
 * dropped per command). An archiver that keeps up loses nothing. */
#define LEDGER_EVENTS_MAX         (1u << 20)
#define LEDGER_EVENTS_RETAIN_MS   (24ull * 60 * 60 * 1000)
#define SLOT_EVENTS_EVICT_PER_CMD 64
/* Money (ledger.h, "Money and statistics"). Rows per day are at most
 * hospitals x channels x methods; a real day has tens. */
#define LEDGER_PAY_METHODS_MAX 16
#define LEDGER_RECON_DAYS_KEPT 400
#define LEDGER_RECON_ROWS_MAX  (1u << 19)
/* Memory of the patient rules (ledgerInt.h asserts the record sizes):
 * every patient 4 bytes more than before (12 in all, plus its key); a
 * patient with an account, violations, standings or cancellations a
 * record of LEDGER_PATIENT_EXT_BYTES; an account LEDGER_ACCOUNT_BYTES plus
 * its key; every active claim about 11 bytes in the patient-claims index
 * (8 at a load of 3/4); a slot cooling down, a waiting patient and an
 * open offer 24, 24 and about 11 bytes. Nothing is kept per patient per
 * window: the records hold the last few events, and quotas are counted
 * over the patient's active claims when a hold asks. */
#define LEDGER_PATIENT_EXT_BYTES 328
#define LEDGER_ACCOUNT_BYTES     168

/* Defaults of struct slot_config for a new ledger. */
#define LEDGER_DEFAULT_TTL_MIN_MS       1000u
#define LEDGER_DEFAULT_TTL_MAX_MS       (30u * 60u * 1000u)
#define LEDGER_DEFAULT_SESSION_MAX      16384u
#define LEDGER_DEFAULT_SESSION_IDLE_MS  (60ull * 60 * 1000)
#define LEDGER_DEFAULT_RETAIN_MS        (24ull * 60 * 60 * 1000)
#define LEDGER_DEFAULT_RETAIN_MAX       4000000u
#define LEDGER_DEFAULT_ACCOUNT_PATIENTS 4u   /* the "1+3" rule */
#define LEDGER_DEFAULT_ACCOUNT_CHANGES  1u   /* one change ... */
#define LEDGER_DEFAULT_ACCOUNT_WINDOW   365u /* ... per 365 days ... */
#define LEDGER_DEFAULT_CHANGE_PATIENTS  2u   /* ... of at most 2 patients */

/* Snapshot format version (second field, after the magic "SLSNAP"). */
/* 2: hospitals, names, schedule fields, freed visit numbers, claim
 * buckets. Version 1 snapshots still restore (free-standing pools).
 * 3: patient records, accounts, cooling slots, the staff log, config v3.
 * Version 2 snapshots still restore.
 * 4: the visit day: claims' attendance, check-in, moves and refunds,
 * stopped pools, staff log entries naming a pool, the no-show heap.
 * Versions 1 to 3 still restore.
 * 5: money: claims' and events' payments, events' local days, pay
 * methods, reconciliation rows, pool statistics. Versions 1 to 4 still
 * restore. */
#define LEDGER_SNAPSHOT_VERSION 5

struct ledger;

/* A new, empty ledger at time 0 with the default config. Returns NULL only
 * on allocation failure. Free with ledger_destroy(). */
struct ledger *ledger_create(void);
void ledger_destroy(struct ledger *l);

/* Applies one batch (one Raft entry): first advances ledger time to
 * max(time, stamp_ms), then applies cmds[0..n) in order, writing one result
 * per command into results[0..n). Commands must have been produced by
 * slot_cmd_decode (fields validated); the ledger checks the rules. Every
 * command either takes full effect or none, except that any command may
 * first expire holds whose deadline has passed (see "Exact rules"): that is
 * time catching up, not a partial effect. */
void ledger_apply(struct ledger *l, uint64_t stamp_ms,
                  const struct slot_cmd *cmds, uint32_t n,
                  struct slot_result *results);

/* The same, for the Raft entry at `index`: the events it makes carry it
 * (the glue passes the entry's index; ledger_apply passes 0). */
void ledger_apply_at(struct ledger *l, uint64_t index, uint64_t stamp_ms,
                     const struct slot_cmd *cmds, uint32_t n,
                     struct slot_result *results);

uint64_t ledger_time_ms(const struct ledger *l);

/* Earliest deadline among HELD claims, or UINT64_MAX if none: the leader
 * proposes EXPIRE once ledger time may have reached it. */
uint64_t ledger_next_deadline_ms(const struct ledger *l);

/* Earliest time-driven work other than expiry (a flow-back, or a slot's
 * return from cooling), or UINT64_MAX: the leader proposes SWEEP once
 * ledger time may have reached it. */
uint64_t ledger_next_sweep_ms(const struct ledger *l);

/* Reads. They never change the ledger; hold deadlines are judged against
 * ledger time (a HELD claim past its deadline is reported EXPIRED).
 * A pool's reported release_at_ms (and so its SCHEDULED / OPEN state) is,
 * for a scheduled pool whose rules have a horizon H > 0, the later of the
 * spec's release_at_ms and opens = local minute R.release_minute of day
 * V - H under the rules in force (what most channels see; one whose
 * policy horizon is longer may book earlier); otherwise the spec's. Its
 * flow_due_ms is 0 when no flow-back applies or it has flowed back. A
 * claim's visit window is computed at the read from the pool as it is
 * then. */
int ledger_read_pool(const struct ledger *l, struct slot_str pool,
                     struct slot_pool_status *out);
/* booking=false: by hold id (any state); booking=true: only claims that
 * were confirmed (BOOKED, CANCELLED or MOVED), else UNKNOWN_BOOKING. */
int ledger_read_claim(const struct ledger *l, uint64_t id, bool booking,
                      struct slot_claim *out);
/* A patient's record (PATIENT_INFO): claims into out->claims (capacity
 * out->claims_cap, the first that many by id). Never fails: an unknown
 * patient reads as empty. */
void ledger_read_patient_info(const struct ledger *l, struct slot_str patient,
                              struct slot_patient_info *out);
void ledger_read_account(const struct ledger *l, struct slot_str account,
                         struct slot_account_info *out);
/* The patient's place on the pool's waitlist (1 = next, 0 = not on it)
 * and the list's length. UNKNOWN_POOL. */
int ledger_read_waitlist(const struct ledger *l, struct slot_str pool,
                         struct slot_str patient, uint32_t *position,
                         uint32_t *length);
/* The pool's claims the ledger still knows, id > after, by id, at most
 * limit (out has room for limit). UNKNOWN_POOL. O(every claim). */
int ledger_read_pool_claims(const struct ledger *l, struct slot_str pool,
                            uint64_t after, uint32_t limit,
                            struct slot_claim *out, uint32_t *n);
/* The event feed (READ_EVENTS): events with seq > after into out[0..*n),
 * at most limit; *first, *last as ledger.h's "The event feed" says. */
void ledger_read_events(const struct ledger *l, uint64_t after, uint32_t limit,
                        struct slot_event *out, uint32_t *n, uint64_t *first,
                        uint64_t *last);
/* The reconciliation counters of local day `day` (RECON; "Money and
 * statistics"): matching rows from position after into out[0..*n) (room
 * for limit), *total every match, *kept_from the oldest day kept. */
void ledger_read_recon(const struct ledger *l, uint32_t day,
                       struct slot_str hospital, struct slot_str channel,
                       uint32_t after, uint32_t limit,
                       struct slot_recon_row *out, uint32_t *n, uint32_t *total,
                       uint32_t *kept_from);
/* Statistics (STATS; "Money and statistics"): groups from position after
 * into out[0..*n) (room for limit), *total all groups. */
void ledger_read_stats(const struct ledger *l, struct slot_str hospital,
                       uint32_t date_from, uint32_t date_to, uint32_t after,
                       uint32_t limit, struct slot_stats_row *out, uint32_t *n,
                       uint32_t *total);
/* Staff log entries with seq > after, oldest first, at most limit. */
void ledger_read_staff_log(const struct ledger *l, uint64_t after,
                           uint32_t limit, struct slot_staff_entry *out,
                           uint32_t *n);

/* The patient's active claims in the pool (BOOKED, or HELD before its
 * deadline): at most one. */
int ledger_read_patient(const struct ledger *l, struct slot_str pool,
                        struct slot_str patient, struct slot_claim *out,
                        uint32_t cap, uint32_t *n);
/* Pools in creation order, starting after the pool named `after` (empty:
 * from the first); at most `limit`. UNKNOWN_POOL if `after` is unknown. */
int ledger_read_pools(const struct ledger *l, struct slot_str after,
                      uint32_t limit, struct slot_pool_status *out,
                      uint32_t *n);
/* Counters and config, in O(1); state_hash is left 0 (READ_LEDGER adds
 * it unless the read sets no_hash). */
void ledger_info(const struct ledger *l, struct slot_ledger_info *out);
/* Events in the feed's window now (O(1)). */
uint32_t ledger_events_held(const struct ledger *l);

/* The pool query (slot_proto.h, READ_QUERY): the page into out[0..*n)
 * (cap >= rd->limit), *total = every match. UNKNOWN_HOSPITAL; UNKNOWN_POOL
 * if rd->pool ("after") is not a pool of that hospital. */
int ledger_read_query(const struct ledger *l, const struct slot_read *rd,
                      struct slot_pool_status *out, uint32_t cap, uint32_t *n,
                      uint32_t *total);
/* A department's rules (department "" or without its own: the hospital's,
 * inherited set for a department). UNKNOWN_HOSPITAL. */
int ledger_read_rules(const struct ledger *l, struct slot_str hospital,
                      struct slot_str department, struct slot_rules_info *out);
/* Remembered changes with version > after, oldest first, at most limit.
 * UNKNOWN_HOSPITAL. */
int ledger_read_rules_log(const struct ledger *l, struct slot_str hospital,
                          uint64_t after, uint32_t limit,
                          struct slot_rules_info *out, uint32_t *n);
/* What SCHEDULE_IMPORT of t would do now: counts of new and unchanged
 * pools, and the first (at most cap) conflicting pool ids into ids.
 * UNKNOWN_HOSPITAL. */
int ledger_read_schedule_check(const struct ledger *l,
                               const struct slot_template *t, uint32_t *fresh,
                               uint32_t *same,
                               char (*ids)[SLOT_POOL_ID_MAX + 1], uint32_t cap,
                               uint32_t *n_conflicts);

/* Executes a decoded read and packs its reply body (one msgpack value) into
 * out. Returns the read's code; on error nothing is packed. */
int ledger_read(const struct ledger *l, const struct slot_read *rd,
                struct mp_buf *out);

/* Deterministic hash of the whole logical state (everything a snapshot
 * holds). Equal on replicas that applied the same entries. O(state): it
 * encodes a snapshot (~0.5 s at 1M claimed slots); status only. */
uint64_t ledger_state_hash(const struct ledger *l);

/* Appends a snapshot (versioned msgpack) of the whole ledger to out. The
 * encoding is canonical: equal states give equal bytes. */
void ledger_snapshot(const struct ledger *l, struct mp_buf *out);

/* Builds a ledger from a snapshot. On success *out owns a new ledger. A
 * truncated, corrupt, inconsistent or wrong-version snapshot returns
 * MALFORMED / CORRUPT / BAD_VERSION / TOO_LARGE and *out is NULL: never a
 * half-loaded ledger. */
int ledger_restore(const void *buf, size_t len, struct ledger **out);

/* Verifies every invariant listed above, in O(state). Returns true if all
 * hold; otherwise false and a description (naming the pool) in why. */
bool ledger_check(const struct ledger *l, char *why, size_t why_len);

/* Bytes the ledger has allocated (tables, records, sessions). */
size_t ledger_memory_bytes(const struct ledger *l);

#endif /* SLOT_LEDGER_H */
