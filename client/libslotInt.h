/* libslotInt: what the library's files need from each other beyond the
 * public API: the blocking face (libslot_sync.c) from the core
 * (libslot.c), and the core from the conversions (libslot_conv.c). Not
 * installed. */
#ifndef LIBSLOT_INT_H
#define LIBSLOT_INT_H

#include "libslot.h"
#include "mp.h"
#include "slot_proto.h"
#include "slot_sched.h"

/* Inside a completion callback only: takes ownership of the memory behind
 * the request's outputs (at most two blocks), which the core would
 * otherwise free when the callback returns. The caller frees each non-NULL
 * block with free(). */
void slotc__take_outputs(struct slotc *c, void *blocks[2]);

/* Keeps the client's connections referenced even when no request is
 * pending, so that running the loop (UV_RUN_NOWAIT) between requests
 * processes what arrived meanwhile (a node closing an idle connection).
 * The blocking face sets it: its loop runs only inside calls. */
void slotc__set_always_ref(struct slotc *c, bool on);

/* ---- conversions (libslot_conv.c) ----------------------------------------
 * *_to_wire validate a public input by the protocol's rules and return
 * SLOT_OK, SLOT_INVALID_ARGUMENT or SLOT_TOO_LARGE; the slot_str they set
 * point into the input (or into `slices`), to be copied by the caller.
 * *_from_wire fill a public output from a decoded reply. */

int slotc__rules_to_wire(const struct slotc_rules *in, struct slot_rules *out);
void slotc__rules_from_wire(struct slotc_rules *d, const struct slot_rules *s);
void slotc__rules_info_from_wire(struct slotc_rules_info *d,
                                 const struct slot_rules_info *s);
/* RULES_SET's strings: hospital, department (NULL: ""), operator, reason. */
int slotc__rules_set_args(const char *hospital, const char *department,
                          const char *operator_name, const char *reason,
                          struct slot_str out[4]);
int slotc__place_to_wire(const struct slotc_place *pl, struct slot_sched *out);
/* Bytes a deep copy of s's strings needs (with a NUL each). */
size_t slotc__sched_bytes(const struct slot_sched *s);
/* Days and segments are packed into slices (caller-owned; out's slices
 * point into it: do not grow it afterwards). */
int slotc__template_to_wire(const struct slotc_template *t,
                            struct slot_template *out, struct mp_buf *slices);
size_t slotc__template_bytes(const struct slot_template *t);
void slotc__pool_from_wire(struct slotc_pool *d,
                           const struct slot_pool_status *s);
void slotc__claim_from_wire(struct slotc_claim *d, const struct slot_claim *s);
/* READ_RECON's and READ_STATS' rows (protocol 5). */
void slotc__recon_row_from_wire(struct slotc_recon_row *d,
                                const struct slot_recon_row *s);
void slotc__stats_row_from_wire(struct slotc_stats_row *d,
                                const struct slot_stats_row *s);
/* A patient's record; its claims go to claims[s->n_claims] (d->claims
 * points there). */
void slotc__patient_info_from_wire(struct slotc_patient_info *d,
                                   const struct slot_patient_info *s,
                                   struct slotc_claim *claims);
void slotc__account_from_wire(struct slotc_account_info *d,
                              const struct slot_account_info *s);
void slotc__staff_from_wire(struct slotc_staff_entry *d,
                            const struct slot_staff_entry *s);
/* An EVENTS reply ([first, last, [event...]]) to a read after `after` of
 * at most cap events: out[0..*n), *first, *last. Returns SLOT_OK,
 * SLOT_MALFORMED (not such a reply, or more than cap events), or
 * SLOT_CURSOR_EXPIRED when after + 1 < *first (events after the cursor
 * were dropped): then *n is 0 and *first, *last are set. */
int slotc__events_from_wire(struct mp_reader *r, uint64_t after, uint32_t cap,
                            struct slotc_event *out, uint32_t *n,
                            uint64_t *first, uint64_t *last);

#endif /* LIBSLOT_INT_H */
