/* linear: a linearizability checker (Wing & Gong's search with Lowe's
 * memoization, as in knossos' "linear" and porcupine) over any model given
 * as a step function, which may be nondeterministic (several successor
 * states for one operation).
 *
 * Each operation has a call time and a return time; an operation whose
 * outcome is unknown (info) returns at infinity: it may take effect at any
 * point after its call, or never. The search walks the events in time
 * order, tries to linearize each call whose operation is still pending,
 * and backtracks at the return of an operation it could not linearize.
 * A configuration (set of linearized operations, model state) is visited
 * at most once: visited configurations are kept as 128-bit hashes
 * (two independent 64-bit hashes; a collision, ~2^-100 per pair, could
 * only hide a valid path, never invent one).
 *
 * Limits: a time and a memory bound; reaching either ends the search in
 * LIN_UNKNOWN, never in LIN_VALID.
 */
#ifndef JEPSEN_LINEAR_H
#define JEPSEN_LINEAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum lin_verdict { LIN_VALID = 0, LIN_INVALID = 1, LIN_UNKNOWN = 2 };

struct lin_op {
    uint64_t call, ret; /* ret == UINT64_MAX: info (optional) */
};

struct lin_model {
    size_t state_size; /* bytes of one state; compared and hashed as bytes */
    void *ctx;
    /* Writes the initial state. */
    void (*init)(void *ctx, uint8_t *state);
    /* Writes the successors of `state` under operation `op` (the states
     * after it took effect with its recorded outcome; for an info op, any
     * outcome) into out[0..k), k <= max_out, and returns k (0: the
     * operation cannot be linearized here). States must be canonical:
     * equal logical states, equal bytes. */
    int (*step)(void *ctx, const uint8_t *state, int op, uint8_t *out,
                int max_out);
};

struct lin_limits {
    double time_s;     /* wall time for this search */
    size_t memory_max; /* bytes for visited configurations and the stack */
};

struct lin_result {
    int verdict;      /* enum lin_verdict */
    char reason[128]; /* for LIN_UNKNOWN */
    uint64_t configs; /* configurations visited */
    /* LIN_INVALID: the deepest point the search reached. */
    int stuck_op; /* an operation that could not be linearized there */
    int *prefix;  /* the operations linearized there, in order (owned) */
    int n_prefix;
    uint8_t *state; /* the model state there (owned, state_size bytes) */
};

/* Checks ops[0..n) against m. max_succ bounds step()'s out. */
void lin_check(const struct lin_model *m, const struct lin_op *ops, int n,
               int max_succ, const struct lin_limits *lim,
               struct lin_result *res);

void lin_result_free(struct lin_result *res);

#endif /* JEPSEN_LINEAR_H */
