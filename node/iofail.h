/* iofail: a raft_io that stops the process on any disk I/O error.
 *
 * Why: raft 0.22.1 cannot survive a failed append, truncate, term/vote
 * write or snapshot write: its debug build asserts, its release build
 * double-frees (in recvCb) or copies a NULL entry (found by
 * node/test/test_sim.c, which models exactly this fail-stop). A node that
 * cannot write its log must not keep voting or acknowledging; stopping is
 * the only consistent answer, and a restart recovers from what reached the
 * disk. Network errors (send) are normal and pass through.
 *
 * Usage: raft_uv_init(&inner, ...); iofail_init(&w, &inner);
 * raft_init(r, &w.outer, ...); then iofail_started(&w) after raft_init, so
 * the inner io's `data` (which raft_uv hands to raft's callbacks) is raft.
 */
#ifndef SLOT_IOFAIL_H
#define SLOT_IOFAIL_H

#include <raft.h>
#include <stdbool.h>
#include <stdint.h>

/* The disk writes iofail times for its owner (see `wrote`). */
enum iofail_write {
    IOFAIL_APPEND,
    IOFAIL_SNAPSHOT_PUT,
    IOFAIL_TRUNCATE,
    IOFAIL_TERM,
    IOFAIL_VOTE,
};

struct iofail {
    struct raft_io outer; /* give this one to raft_init */
    struct raft_io *inner;
    /* Optional: told how long each successful disk write took, from the
     * request to its completion (slotd's metrics: node/metrics.h). Called
     * on the loop; must not call raft. */
    void (*wrote)(struct iofail *w, enum iofail_write what, uint64_t us);
    /* Optional, for snapshots whose buffers are still being produced when
     * raft hands them over (node.c: snapshots encoded by a forked child,
     * node/snapfork.h). When hold_put returns true for a snapshot, its
     * write waits until the owner calls iofail_put_release(). If raft
     * closes the io meanwhile, the held write ends with RAFT_CANCELED. */
    bool (*hold_put)(struct iofail *w, const struct raft_snapshot *snapshot);
    void *owner; /* free for hold_put's owner */
    struct {
        unsigned trailing;
        struct raft_io_snapshot_put *req; /* NULL: nothing held */
        const struct raft_snapshot *snapshot;
        raft_io_snapshot_put_cb cb;
    } _held;
};

void iofail_init(struct iofail *w, struct raft_io *inner);
/* Call right after raft_init: copies raft's `data` to the inner io. */
void iofail_started(struct iofail *w);
/* The held snapshot write may go on (status 0: its buffers are ready), or
 * its buffers could not be produced (status != 0: the node stops, as on a
 * failed disk write). Precondition: a write is held. */
void iofail_put_release(struct iofail *w, int status);

#endif /* SLOT_IOFAIL_H */
