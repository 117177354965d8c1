/* slot_valid: the field rules of the slot protocol, in one place.
 *
 * Used by the command decoder (slot_proto.c), by snapshot restore (a
 * snapshot is untrusted input too) and by the client tools, so that a value
 * accepted anywhere is accepted everywhere. Each function returns SLOT_OK,
 * SLOT_TOO_LARGE (a string over its maximum) or SLOT_INVALID_ARGUMENT.
 */
#ifndef SLOT_VALID_H
#define SLOT_VALID_H

#include "slot_proto.h"

/* 1..SLOT_POOL_ID_MAX bytes of [A-Za-z0-9/_.:-]. */
int slot_valid_pool_id(struct slot_str s);
/* SLOT_PATIENT_KEY_MIN..SLOT_PATIENT_KEY_MAX bytes of [A-Za-z0-9_.:-]. */
int slot_valid_patient_key(struct slot_str s);
/* 1..SLOT_CHANNEL_MAX bytes of [a-z0-9_-]. */
int slot_valid_channel(struct slot_str s);
/* A payment method (protocol 5): 1..SLOT_PAY_METHOD_MAX bytes of
 * [a-z0-9_-], the channel charset. */
int slot_valid_pay_method(struct slot_str s);
/* 1..SLOT_IDEM_KEY_MAX bytes of [A-Za-z0-9_.:-]. */
int slot_valid_idem_key(struct slot_str s);
/* 1..SLOT_PAYMENT_REF_MAX bytes of printable ASCII 0x21..0x7e. */
int slot_valid_payment_ref(struct slot_str s);
/* Hospital, campus, department, doctor: 1..SLOT_NAME_MAX bytes of
 * [A-Za-z0-9_.-]. */
int slot_valid_name(struct slot_str s);
/* An operator (rule changes, admin actions): 1..SLOT_OPERATOR_MAX bytes of
 * [A-Za-z0-9_.@-]. */
int slot_valid_operator(struct slot_str s);
/* Free text (a reason): 1..max bytes of well-formed UTF-8 without control
 * characters (hospital staff write reasons in Chinese). */
int slot_valid_text(struct slot_str s, uint32_t max);
/* The config ranges listed in slot_proto.h. */
int slot_valid_config(const struct slot_config *c);
/* The pool spec rules listed in slot_proto.h (id, capacity, kind, fee,
 * times, segment, shares: count, sizes, distinct channels, sum), and the
 * schedule fields' rules (slot_sched.h) when it has them. */
int slot_valid_pool_spec(const struct slot_pool_spec *sp);
/* The same rules, checked in this order; on an error *field (unless field
 * is NULL) names the first field that breaks one: "pool", "capacity",
 * "kind", "fee_cents", "segment" (seg_start_ms / seg_end_ms),
 * "release_at_ms", "shares" or "schedule" (static storage). For messages
 * that say which input was wrong (the HTTP shim). */
int slot_valid_pool_spec_field(const struct slot_pool_spec *sp,
                               const char **field);

#endif /* SLOT_VALID_H */
