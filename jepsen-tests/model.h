/* model: the slot pool as a (nondeterministic) sequential specification,
 * for linear.h. One model instance covers one pool: the checker splits the
 * history per pool (operations on different pools commute, except for
 * the ledger time they share, which the model only bounds from below).
 *
 * State: whether the pool exists, its capacity, the next visit number,
 * `now` (a lower bound of ledger time: the largest ledger time of any
 * operation linearized so far), and the claims: id, patient, state (HELD,
 * BOOKED, RELEASED, EXPIRED, CANCELLED), deadline.
 *
 * Time. A command the ledger answered carries its ledger time and is
 * judged at exactly that time (which must not be below `now`). A read, or
 * an info command, is judged at a time chosen among `now` and the
 * deadlines of HELD claims after it (the only instants where the answer
 * can change); choosing one raises `now`.
 *
 * Expiry, as node/ledger/ledger.h states it: a HELD claim past its deadline
 * is expired when something touches it (a hold of the same patient, a
 * confirm or release of it), or by the leader's sweep, an invisible
 * command that expires due claims in (deadline, id) order. Until then it
 * still counts as held in the pool's counters. The model sweeps on
 * demand: when a counter read or a hold needs fewer held claims, it
 * expires the earliest due ones (the sweep's order); nothing else can
 * observe a sweep, so delaying it loses nothing.
 *
 * Info holds. A hold whose outcome is unknown may have created a claim
 * whose id and exact deadline nobody knows: the model keeps it with id 0
 * and a deadline lower bound, and lets it be due or not where that is
 * undecided (both branches); a read that shows it fixes them.
 *
 * Buckets (ledger.h, HOLD's SOLD_OUT): each claim stays in the bucket it
 * took, a channel share or the shared remainder, chosen in the ledger's
 * order (the share named after the channel, the shares naming a group of
 * the hospital's rules that contains it, the remainder if the pool's
 * remainder_allow is empty or covers the channel). A scheduled pool
 * (its create names a place) refuses a channel it is not eligible for
 * (CHANNEL_NOT_ALLOWED). Visit numbers: the lowest one a cancellation
 * freed, else the next.
 *
 * Rules and flow-back. The hospital's rules operations (f "rules") are
 * part of every one of its pools' operations: the state names the one in
 * force. Once the rules in force make a pool's flow-back due (its local
 * minute on its day, ledger.h), the leader's SWEEP may run at any moment:
 * the model applies it, invisibly, before any operation judged at or
 * after the due time (both branches), after expiring any prefix of the
 * due claims in sweep order (EXPIRE and SWEEP are separate entries), and
 * at most once. It moves each non-target share's free slots to the target
 * (the share named flow_to, else the remainder).
 */
#ifndef JEPSEN_MODEL_H
#define JEPSEN_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "history.h"

struct pool_model {
    const struct h_op *
        *ops; /* this pool's operations, indexed as in linear.h */
    int n_ops;
    int *patient; /* per op: patient index, or -1 */
    char (*patients)[H_STR_MAX];
    int n_patients;
    int *channel; /* per op: channel index of a hold, or -1 */
    char (*channels)[H_NAME_MAX];
    int n_channels;
    int claims_max;
    size_t state_size;
    int overflow; /* set if a step had more successors than fit */
};

/* Sets up m for ops[0..n) of one pool (borrowed; must outlive m). */
int pool_model_init(struct pool_model *m, const struct h_op **ops, int n);
void pool_model_free(struct pool_model *m);

/* For struct lin_model. */
void pool_model_initial(void *m, uint8_t *state);
int pool_model_step(void *m, const uint8_t *state, int op, uint8_t *out,
                    int max_out);

/* The ledger's channel rules (ledger.h), shared with the checker's
 * buckets and flowback checks. rules may be NULL (no groups, no
 * eligibility rules, no flow-back); place is a create's sched. */
/* name is the channel ch, or a group of rules containing it. */
bool model_covers(const struct h_sched *rules, const char *name,
                  const char *ch);
/* eligible(ch): the pool's list, else the first matching eligibility
 * rule's, else every channel. True for a pool without a place. */
bool model_eligible(const struct h_sched *place, const struct h_sched *rules,
                    const char *ch);
/* May ch take from the pool's shared remainder (remainder_allow empty, or
 * covering it)? Eligibility aside. */
bool model_rem_allows(const struct h_sched *place, const struct h_sched *rules,
                      const char *ch);
/* When the pool's flow-back is due under these rules (UTC ms of the local
 * minute flow_minute of day visit - flow_days), or UINT64_MAX. */
uint64_t model_flow_due(const struct h_sched *place,
                        const struct h_sched *rules);
/* The flow-back's target under these rules: a share index, or -1 for the
 * remainder. */
int model_flow_target(const struct h_sched *place, const struct h_sched *rules);

/* A readable description of a state (malloc'd). */
char *pool_model_describe(const struct pool_model *m, const uint8_t *state);

#endif /* JEPSEN_MODEL_H */
