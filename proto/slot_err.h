/* slot_err: the one error enum of the slot pool, with stable names.
 *
 * These are *operating* errors: expected outcomes a caller must handle (sold
 * out, expired, not leader, I/O). Programmer errors (a broken invariant, a
 * precondition violated by our own code) are never returned; they assert.
 *
 * The numeric values and the names are part of the wire protocol and of the
 * client library's and the HTTP shim's API: append new codes at the end of a
 * group, never renumber, never rename. The name (e.g. "SOLD_OUT") is what
 * slotctl prints and what the HTTP shim puts in {"error":{"code":...}}.
 */
#ifndef SLOT_ERR_H
#define SLOT_ERR_H

/* X(NAME, number, message). Groups: 0 ok, 1-19 input, 20-59 ledger rules,
 * 60-79 sessions and limits, 80-99 node and cluster, 100-119 client side. */
#define SLOT_ERR_MAP(X)                                                        \
    X(OK, 0, "ok")                                                             \
    X(MALFORMED, 1,                                                            \
      "malformed input: bad msgpack, wrong type, wrong field count")           \
    X(TOO_LARGE, 2, "frame, field or batch exceeds its size limit")            \
    X(BAD_VERSION, 3, "unsupported protocol, entry or snapshot version")       \
    X(INVALID_ARGUMENT, 4, "a field is outside its allowed range or charset")  \
    X(UNKNOWN_OP, 5, "unknown command, read or admin operation")               \
    X(CORRUPT, 6, "data failed its checksum or consistency check")             \
    X(UNKNOWN_POOL, 20, "no pool with this id")                                \
    X(POOL_EXISTS, 21, "a pool with this id already exists")                   \
    X(POOL_CLOSED, 22, "the pool is closed to new holds")                      \
    X(NOT_RELEASED, 23, "the pool's slots are not released yet")               \
    X(SOLD_OUT, 24,                                                            \
      "no free slot in this channel's share or the shared remainder")          \
    X(PATIENT_HAS_CLAIM, 25,                                                   \
      "the patient already holds or has booked a slot in this pool")           \
    X(TTL_OUT_OF_RANGE, 26, "ttl_ms is outside the configured hold bounds")    \
    X(CAPACITY_CONFLICT, 27,                                                   \
      "capacity or shares would fall below the slots held or booked")          \
    X(UNKNOWN_HOLD, 28,                                                        \
      "no hold with this id (never existed, or forgotten after retention)")    \
    X(HOLD_EXPIRED, 29, "the hold reached its deadline before this request")   \
    X(ALREADY_CONFIRMED, 30, "the hold was already confirmed")                 \
    X(ALREADY_RELEASED, 31, "the hold was already released")                   \
    X(UNKNOWN_BOOKING, 32, "no booking with this id")                          \
    X(ALREADY_CANCELLED, 33, "the booking was already cancelled")              \
    X(OUTSIDE_HORIZON, 34,                                                     \
      "the visit date is beyond this channel's booking horizon")               \
    X(BOOKING_CLOSED, 35,                                                      \
      "booking for this visit is closed for this channel (cut-off passed, "    \
      "same-day not allowed, or the clinic is over)")                          \
    X(CHANNEL_NOT_ALLOWED, 36, "this channel may not book this pool")          \
    X(PAYMENT_REQUIRED, 37,                                                    \
      "this pool is paid online: confirm needs a payment reference")           \
    X(SCHEDULE_CONFLICT, 38,                                                   \
      "the schedule names existing pools with different fields")               \
    X(UNKNOWN_HOSPITAL, 39, "no hospital with this id has rules set")          \
    X(QUOTA_EXCEEDED, 40,                                                      \
      "the patient's booking quota for this window is used up")                \
    X(CANCEL_CLOSED, 41,                                                       \
      "the cancellation deadline for this visit has passed")                   \
    X(CANCEL_LIMIT, 42,                                                        \
      "the patient cancelled too often today: no new holds until tomorrow")    \
    X(BLACKLISTED, 43,                                                         \
      "the patient is blacklisted at this hospital for these channels")        \
    X(ACCOUNT_LIMIT, 44,                                                       \
      "an account binding rule refuses this (patients per account, one "       \
      "account per patient, or changes per window)")                           \
    X(NOT_BOUND, 45,                                                           \
      "this channel books for an account's bound patients only")               \
    X(NOT_OWNER, 46, "the claim belongs to another channel and account")       \
    X(NOT_SOLD_OUT, 47,                                                        \
      "the pool has a free slot for this channel: hold it instead of waiting") \
    X(ALREADY_WAITING, 48, "the patient is already on this pool's waitlist")   \
    X(NOT_WAITING, 49, "the patient is not on this pool's waitlist")           \
    X(POOL_STOPPED, 50,                                                        \
      "the clinic is stopped (doctor's stoppage): no new holds or payments; "  \
      "move the booking or cancel it for a refund")                            \
    X(NOT_STOPPED, 51, "only a booking of a stopped clinic can be moved")      \
    X(MOVE_MISMATCH, 52,                                                       \
      "the target is not another scheduled pool of the same hospital, "        \
      "department and kind")                                                   \
    X(PATIENT_MISMATCH, 53, "the patient does not match the booking")          \
    X(CHECKIN_NOT_OPEN, 54, "check-in for this visit is not open yet")         \
    X(CHECKIN_CLOSED, 55, "check-in for this visit has closed")                \
    X(ALREADY_CHECKED_IN, 56, "the booking was already checked in")            \
    X(NO_SHOW, 57, "the booking was marked a no-show")                         \
    X(SESSION_UNKNOWN, 60,                                                     \
      "unknown or evicted client session: open a new one; requests in flight " \
      "have an unknown outcome")                                               \
    X(REQUEST_TOO_OLD, 61,                                                     \
      "request number is below the session's retained window")                 \
    X(REQUEST_MISMATCH, 62, "request number reused with a different command")  \
    X(LIMIT_REACHED, 63,                                                       \
      "a ledger table is full (pools, patients, channels, holds, sessions)")   \
    X(CURSOR_EXPIRED, 64,                                                      \
      "the event feed no longer holds the events after this cursor: "          \
      "resume from the oldest sequence it holds")                              \
    X(NOT_LEADER, 80, "this node is not the leader; retry on the leader")      \
    X(NO_LEADER, 81, "no leader is known right now; retry later")              \
    X(BUSY, 82, "too many requests in flight; retry later")                    \
    X(IO, 83, "I/O error on the node")                                         \
    X(SHUTDOWN, 84, "the node or client is shutting down")                     \
    X(TIMEOUT, 100, "no answer before the deadline")                           \
    X(OUTCOME_UNKNOWN, 101,                                                    \
      "the request may or may not have been applied: query it")                \
    X(UNAVAILABLE, 102, "no node of the cluster could be reached")             \
    X(NAME_UNRESOLVED, 103,                                                    \
      "no node could be reached: their host names do not resolve (check the "  \
      "cluster addresses, /etc/hosts and DNS)")

enum slot_err {
#define SLOT_ERR_ENUM_(name, num, msg) SLOT_##name = (num),
    SLOT_ERR_MAP(SLOT_ERR_ENUM_)
#undef SLOT_ERR_ENUM_
};

/* Stable name ("SOLD_OUT") of a code, or NULL if the code is not one of ours.
 * Static storage: never free. */
const char *slot_err_name(int code);

/* Human message for a code; "unknown error" for a code that is not ours.
 * Static storage. */
const char *slot_err_message(int code);

/* Code for a stable name, or -1 if no code has that name. */
int slot_err_from_name(const char *name);

#endif /* SLOT_ERR_H */
