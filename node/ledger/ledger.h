/* ledger: the slot pool state machine. Pure and deterministic.
 *
 * No clock, no randomness, no I/O, no globals, no libuv: the same sequence
 * of ledger_apply() calls produces the same state and the same results on
 * every replica, byte for byte. Time arrives as an argument: the leader's
 * stamp of each Raft entry. Ledger time = max(previous ledger time, stamp);
 * it never goes back, so a failover to a node with a slower clock never
 * extends a deadline.
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
 *   (free) -> HELD            hold              UNKNOWN_POOL, POOL_CLOSED,
 *                                               NOT_RELEASED,
 *                                               TTL_OUT_OF_RANGE,
 *                                               PATIENT_HAS_CLAIM, SOLD_OUT,
 *                                               LIMIT_REACHED
 *   HELD -> BOOKED            confirm           UNKNOWN_HOLD, HOLD_EXPIRED,
 *                                               ALREADY_CONFIRMED,
 *                                               ALREADY_RELEASED
 *   HELD -> RELEASED          release           same as confirm
 *   HELD -> EXPIRED           claimResolve      (EXPIRE sweep; or lazily when
 *                                               HOLD, CONFIRM or RELEASE
 *                                               touches a hold whose
 *                                               deadline <= ledger time)
 *   BOOKED -> CANCELLED       cancel            UNKNOWN_BOOKING,
 *                                               ALREADY_CANCELLED
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
 *     free + held + booked == capacity, each counter equal to the number of
 *     active claims of that bucket in that state;
 *   every HELD claim is in the expiry heap, nothing else is;
 *   every HELD or BOOKED claim is the one entry of its (pool, patient);
 *   visit numbers of a pool are distinct and below next_visit_no;
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
 * claims are numbered 1, 2, 3, ... in
 * apply order; visit numbers per pool 1, 2, 3, ... in confirm order.
 *
 * SESSION_OPEN: if session_max sessions exist, forget the least recently
 *   used one; a = new session id.
 * CONFIG: replaces the config (already range-checked by the decoder).
 * POOL_CREATE: POOL_EXISTS; LIMIT_REACHED (pools or channels table full).
 *   Share channels are interned in the order given.
 * POOL_UPDATE: UNKNOWN_POOL; POOL_CLOSED; CAPACITY_CONFLICT if any new share
 *   would be below its channel's held+booked from its share, a removed share
 *   still has held or booked slots, or the new remainder (capacity - sum of
 *   shares) would be below the remainder's held+booked; LIMIT_REACHED.
 *   Replaces kind, fee, segment, release time, capacity and shares.
 * POOL_CLOSE: UNKNOWN_POOL; POOL_CLOSED if already closed. Existing holds
 *   and bookings are untouched and may still be confirmed / cancelled.
 * HOLD, in this order: UNKNOWN_POOL; POOL_CLOSED; NOT_RELEASED (now <
 *   release_at_ms); TTL_OUT_OF_RANGE (outside [hold_ttl_min_ms,
 *   hold_ttl_max_ms]); PATIENT_HAS_CLAIM (the patient's HELD or BOOKED claim
 *   in this pool; a HELD one whose deadline <= now is expired first and does
 *   not count); SOLD_OUT (the channel's share if it has one with a free
 *   slot, else the shared remainder if it has one); LIMIT_REACHED (patient,
 *   channel or claim table full). On success the patient and channel are
 *   interned, deadline = now + ttl_ms; a = claim id, b = deadline_ms.
 * CONFIRM / RELEASE: UNKNOWN_HOLD; a HELD claim with deadline <= now is
 *   expired right there and the answer is HOLD_EXPIRED; EXPIRED ->
 *   HOLD_EXPIRED; BOOKED or CANCELLED -> ALREADY_CONFIRMED; RELEASED ->
 *   ALREADY_RELEASED. CONFIRM: a = booking id (the claim id), b = visit_no.
 * CANCEL: unknown id or a claim never confirmed -> UNKNOWN_BOOKING (a
 *   HELD claim, due or not, is left as it is); CANCELLED ->
 *   ALREADY_CANCELLED; BOOKED -> CANCELLED, slot freed.
 * A claim stays in the bucket it was taken from for life, through
 * POOL_UPDATEs. Refused commands answer a = b = 0. Patients and channels,
 * once interned, are never forgotten (they will carry quotas).
 * Reads never change state: a HELD claim past its deadline still counts as
 * held in pool counters until it is expired, while a claim read reports it
 * EXPIRED (resolved_at_ms 0) and patient reads leave it out.
 * EXPIRE(max): expires HELD claims with deadline <= now in (deadline, id)
 *   order, at most max; a = number expired, b = number still due, capped at
 *   SLOT_EXPIRE_DUE_COUNT_MAX.
 * Every resolution (release, expiry, cancel) appends the claim to the
 * retained list with resolved_at_ms = now.
 *
 * Memory: allocation failure inside ledger_apply aborts the process. A
 * replica cannot refuse an entry the others applied; crashing and
 * recovering from the log is the only consistent answer.
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
#define SLOT_RETAIN_EVICT_PER_CMD                                              \
    16 /* resolved claims forgotten per command \
                                       */
#define LEDGER_POOLS_MAX    (1u << 20)
#define LEDGER_PATIENTS_MAX (1u << 26)
#define LEDGER_CHANNELS_MAX 64
#define LEDGER_CLAIMS_MAX   (1u << 28) /* active + retained */
#define LEDGER_IDEM_MAX     (1u << 18) /* idempotency keys remembered */

/* Defaults of struct slot_config for a new ledger. */
#define LEDGER_DEFAULT_TTL_MIN_MS      1000u
#define LEDGER_DEFAULT_TTL_MAX_MS      (30u * 60u * 1000u)
#define LEDGER_DEFAULT_SESSION_MAX     16384u
#define LEDGER_DEFAULT_SESSION_IDLE_MS (60ull * 60 * 1000)
#define LEDGER_DEFAULT_RETAIN_MS       (24ull * 60 * 60 * 1000)
#define LEDGER_DEFAULT_RETAIN_MAX      4000000u

/* Snapshot format version (second field, after the magic "SLSNAP"). */
#define LEDGER_SNAPSHOT_VERSION 1

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

uint64_t ledger_time_ms(const struct ledger *l);

/* Earliest deadline among HELD claims, or UINT64_MAX if none: the leader
 * proposes EXPIRE once ledger time may have reached it. */
uint64_t ledger_next_deadline_ms(const struct ledger *l);

/* Reads. They never change the ledger; hold deadlines are judged against
 * ledger time (a HELD claim past its deadline is reported EXPIRED). */
int ledger_read_pool(const struct ledger *l, struct slot_str pool,
                     struct slot_pool_status *out);
/* booking=false: by hold id (any state); booking=true: only claims that
 * were confirmed (BOOKED or CANCELLED), else UNKNOWN_BOOKING. */
int ledger_read_claim(const struct ledger *l, uint64_t id, bool booking,
                      struct slot_claim *out);
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
