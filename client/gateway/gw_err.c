/* gw_err: names and statuses of the gateway's error codes (see gw_err.h). */
#include "gw_err.h"

#include "slot_err.h"

const char *gw_err_name(int code)
{
    switch (code) {
#define GW_ERR_NAME_(name, num, status, msg)                                   \
    case num:                                                                  \
        return #name;
        GW_ERR_MAP(GW_ERR_NAME_)
#undef GW_ERR_NAME_
        default:
            break;
    }
    const char *n = slot_err_name(code);
    return n != 0 ? n : "INTERNAL";
}

const char *gw_err_message(int code)
{
    switch (code) {
#define GW_ERR_MSG_(name, num, status, msg)                                    \
    case num:                                                                  \
        return msg;
        GW_ERR_MAP(GW_ERR_MSG_)
#undef GW_ERR_MSG_
        default:
            return slot_err_message(code);
    }
}

int gw_err_status(int code)
{
    switch (code) {
#define GW_ERR_STATUS_(name, num, status, msg)                                 \
    case num:                                                                  \
        return status;
        GW_ERR_MAP(GW_ERR_STATUS_)
#undef GW_ERR_STATUS_
        case SLOT_OK:
            return 200;
        /* Input the gateway or the node refused: the request as sent can
         * never succeed. */
        case SLOT_MALFORMED:
        case SLOT_INVALID_ARGUMENT:
        case SLOT_BAD_VERSION:
        case SLOT_UNKNOWN_OP:
        case SLOT_TTL_OUT_OF_RANGE:
            return 400;
        case SLOT_TOO_LARGE:
            return 413;
        /* What the request names does not exist. */
        case SLOT_UNKNOWN_POOL:
        case SLOT_UNKNOWN_HOLD:
        case SLOT_UNKNOWN_BOOKING:
        case SLOT_UNKNOWN_HOSPITAL:
            return 404;
        /* The channel may not book this pool at all (eligibility): no
         * retry through the same channel can succeed. */
        case SLOT_CHANNEL_NOT_ALLOWED:
            return 403;
        /* The patient rules that no retry of the same request through
         * the same channel overcomes: a blacklist (until staff lift it or
         * it ends: blacklisted_until_ms), another channel's claim or
         * waitlist entry without the patient's account, a channel that
         * books only for an account's bound patients. */
        case SLOT_BLACKLISTED:
        case SLOT_NOT_OWNER:
        case SLOT_NOT_BOUND:
            return 403;
        /* A check-in for a booking that is not the patient's who presents
         * (the visit day, protocol 4): like NOT_OWNER, no retry of the
         * same request helps, and the body named someone else's booking. */
        case SLOT_PATIENT_MISMATCH:
            return 403;
        /* A move whose target can never take the booking: not another
         * scheduled pool of the same hospital, department and kind (or
         * the booking's own pool). Pools never change those, so unlike a
         * 409 no later moment helps; the request is well formed, so not
         * 400: 422, as for an Idempotency-Key reused with another
         * request. */
        case SLOT_MOVE_MISMATCH:
            return 422;
        /* Nothing to take off. */
        case SLOT_NOT_WAITING:
            return 404;
        /* A patient who cancelled too often today: too many requests of
         * one kind, until the next local day ("date" in the error). No
         * Retry-After: a second later is no better (gw_err_retryable). */
        case SLOT_CANCEL_LIMIT:
            return 429;
        /* A pay-online pool confirmed without a payment reference. */
        case SLOT_PAYMENT_REQUIRED:
            return 402;
        /* The ledger's state (or its time) refuses it now: another slot,
         * another day or a later time may do. */
        case SLOT_POOL_EXISTS:
        case SLOT_POOL_CLOSED:
        case SLOT_NOT_RELEASED:
        case SLOT_OUTSIDE_HORIZON:
        case SLOT_BOOKING_CLOSED:
        case SLOT_SOLD_OUT:
        case SLOT_PATIENT_HAS_CLAIM:
        case SLOT_CAPACITY_CONFLICT:
        case SLOT_ALREADY_CONFIRMED:
        case SLOT_ALREADY_RELEASED:
        case SLOT_ALREADY_CANCELLED:
        case SLOT_SCHEDULE_CONFLICT:
        /* The patient's claims (quota: which one and its window in the
         * error), the visit's cancellation deadline, an account's
         * bindings, the pool's free slots or waitlist refuse it now: a
         * cancel, another day or another pool may do. 409 rather than
         * 429 for a quota: it is not a rate, and waiting does not help
         * until a claim ends. */
        case SLOT_QUOTA_EXCEEDED:
        case SLOT_CANCEL_CLOSED:
        case SLOT_ACCOUNT_LIMIT:
        case SLOT_NOT_SOLD_OUT:
        case SLOT_ALREADY_WAITING:
        /* The visit day (protocol 4): the clinic is stopped (no holds,
         * payments, closes or second stop; a booking there moves or is
         * refunded) or is not (nothing to move); the check-in window is
         * not open yet (409 like NOT_RELEASED: later it will be; not 425,
         * which is about TLS early data) or has closed (like
         * BOOKING_CLOSED); the booking's attendance is settled. */
        case SLOT_POOL_STOPPED:
        case SLOT_NOT_STOPPED:
        case SLOT_CHECKIN_NOT_OPEN:
        case SLOT_CHECKIN_CLOSED:
        case SLOT_ALREADY_CHECKED_IN:
        case SLOT_NO_SHOW:
            return 409;
        case SLOT_HOLD_EXPIRED:
        case SLOT_CURSOR_EXPIRED: /* the events after the cursor are gone */
            return 410;
        case SLOT_REQUEST_MISMATCH:
            return 422;
        case SLOT_OUTCOME_UNKNOWN:
            return 504;
        /* Certainly not applied (or a read): the same request may be sent
         * again once the cluster has a leader or room. */
        case SLOT_LIMIT_REACHED:
        case SLOT_NOT_LEADER:
        case SLOT_NO_LEADER:
        case SLOT_BUSY:
        case SLOT_IO:
        case SLOT_SHUTDOWN:
        case SLOT_TIMEOUT:
        case SLOT_UNAVAILABLE:
        case SLOT_NAME_UNRESOLVED:
            return 503;
        /* libslot handles these itself (a new session, or OUTCOME_UNKNOWN)
         * and a node never sends CORRUPT to a client: seeing one is our
         * bug. */
        case SLOT_CORRUPT:
        case SLOT_SESSION_UNKNOWN:
        case SLOT_REQUEST_TOO_OLD:
            return 500;
        default:
            return 500;
    }
}

int gw_err_retryable(int code)
{
    int s = gw_err_status(code);
    return (s == 429 && code != SLOT_CANCEL_LIMIT) || s == 503;
}
