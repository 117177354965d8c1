/* snapfork: ledger snapshots encoded by a forked child, off the node's loop.
 *
 * Why: raft 0.22.1 asks the FSM for a snapshot synchronously, on the loop
 * thread, and its fsm "snapshot_async" (version 3) is also called inline.
 * Encoding and compressing the ledger takes 0.2-1 s at production sizes;
 * on the loop that is a 0.2-1 s stall of every client, heartbeat and
 * append (measured: steady load p99 went from ~3 ms to ~280 ms in the
 * window holding a snapshot). fork() gives a consistent copy of the whole
 * ledger for the price of copying page tables (a few ms): the child
 * encodes it (fsm_snapshot_encode) into an anonymous memory file while the
 * parent goes on applying entries, its pages shared copy-on-write.
 *
 * How it fits raft (node.c, iofail.c):
 *   1. raft calls the FSM's snapshot(): node.c calls snapfork_start(),
 *      which forks and hands raft a buffer that is still empty;
 *   2. raft calls io->snapshot_put(): iofail holds the write back (its
 *      hold_put hook) until the child is done;
 *   3. the child exits: snapfork maps its output into the buffer and calls
 *      ready_cb; node.c releases the held write (iofail_put_release);
 *   4. raft calls the FSM's snapshot_finalize(): snapfork_release() unmaps.
 * The ledger is never touched by the parent on behalf of the snapshot, so
 * it needs no locks; the child sees the ledger exactly as it was at the
 * snapshot's index (fork is inside raft's snapshot call).
 *
 *   IDLE --start--> RUNNING --child exits 0--> READY --release--> IDLE
 *                     |  \--child fails---> ready_cb(RAFT_IOERR): the node
 *                     |                     stops, as on a failed disk write
 *                     \--cancel (shutdown)--> IDLE, child killed and reaped
 *
 * The child: nice 10 (the loops of the nodes sharing the machine come
 * first), default signal dispositions, killed if the parent dies
 * (PR_SET_PDEATHSIG), leaves with _exit (no atexit handlers, no stdio
 * flush of the parent's buffers). The parent looks for the child's exit
 * with waitpid(WNOHANG) every SNAPFORK_POLL_MS on a loop timer: no SIGCHLD
 * handler, one handle for the node's lifetime.
 *
 * Linux only (memfd_create). When fork is not possible (ENOMEM, EAGAIN)
 * snapfork_start fails and the caller encodes inline, as before: slower,
 * never wrong.
 */
#ifndef SLOT_SNAPFORK_H
#define SLOT_SNAPFORK_H

#include <raft.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "ledger.h"

#define SNAPFORK_POLL_MS 5 /* how often the parent looks for the exit */

enum snapfork_state { SNAPFORK_IDLE, SNAPFORK_RUNNING, SNAPFORK_READY };

struct snapfork;
/* status 0: buf now holds the encoded snapshot; RAFT_IOERR: the child
 * failed (its exit status is in the log). */
typedef void (*snapfork_ready_cb)(struct snapfork *s, int status);

struct snapfork {
    uv_loop_t *loop;
    enum snapfork_state state;
    snapfork_ready_cb ready_cb;
    void *data; /* free for the owner */
    /* Statistics of the last snapshot, for the log. */
    uint64_t last_fork_us;  /* fork() itself: the parent's only stall */
    uint64_t last_child_ms; /* fork to the child's exit */
    uint64_t last_bytes;    /* encoded (compressed) size */
    uint64_t taken;         /* snapshots completed by a child */
    /* Private. */
    struct raft_buffer *_buf;
    pid_t _pid;
    int _memfd;
    uint64_t _start_ns;
    uv_timer_t _timer;
    void *_map;
    size_t _map_len;
};

/* Prepares s on loop (one timer handle). Does not fork. */
void snapfork_init(struct snapfork *s, uv_loop_t *loop, snapfork_ready_cb cb,
                   void *data);

/* Forks a child that encodes l into the memory file. Precondition: state
 * IDLE. On success returns 0, state RUNNING, and buf (owned by the caller,
 * which must keep it alive until snapfork_release or snapfork_cancel) is
 * filled when ready_cb(s, 0) runs. Returns a negative errno when no child
 * could be started (nothing changed: encode inline). */
int snapfork_start(struct snapfork *s, const struct ledger *l,
                   struct raft_buffer *buf);

/* Unmaps the buffer filled by the child and returns to IDLE. Precondition:
 * state READY, or RUNNING/IDLE after a cancel or failure (then a no-op but
 * for the state). buf->base is set to NULL. */
void snapfork_release(struct snapfork *s);

/* Kills and reaps a running child (shutdown). ready_cb is not called; the
 * caller's buffer stays empty. No-op in the other states but READY, where
 * it releases. */
void snapfork_cancel(struct snapfork *s);

/* Cancels, then closes the timer; cb(handle) when closed, with
 * handle->data == s->data. s can be freed after cb. */
void snapfork_close(struct snapfork *s, uv_close_cb cb);

#endif /* SLOT_SNAPFORK_H */
