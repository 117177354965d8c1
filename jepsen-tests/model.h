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
 */
#ifndef JEPSEN_MODEL_H
#define JEPSEN_MODEL_H

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

/* A readable description of a state (malloc'd). */
char *pool_model_describe(const struct pool_model *m, const uint8_t *state);

#endif /* JEPSEN_MODEL_H */
