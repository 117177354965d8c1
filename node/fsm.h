/* fsm: the raft_fsm glue around the ledger.
 *
 * Decodes each committed entry (proto/slot_proto.h), applies it to the
 * ledger and hands every command's result to the node through applied_cb;
 * snapshots are the ledger's snapshot, LZ4-compressed by us (raft 0.22.1's
 * raft_uv_set_snapshot_compression is a no-op: it writes snapshots raw).
 * No libuv, no clock, no I/O: the same code runs in slotd and inside raft's
 * deterministic fixture (node/test/test_sim.c).
 *
 * Snapshot buffer, version 1:
 *   bytes 0-3   magic "SLZ1"
 *   bytes 4-7   zero (reserved)
 *   bytes 8-15  length of the raw ledger snapshot, u64 big-endian
 *   bytes 16-   one LZ4 frame (block and content checksums on) holding the
 *               raw ledger snapshot (node/ledger_snap.c)
 */
#ifndef SLOT_FSM_H
#define SLOT_FSM_H

#include <raft.h>
#include <stdint.h>

#include "slot_proto.h"
#include "ledger.h"

#if RAFT_VERSION_NUMBER < 2200
#error                                                                         \
    "raft >= 0.22 required: 0.15 (Debian 12) loses entries; see node/deps/setup.sh"
#endif

#define FSM_SNAPSHOT_MAGIC   "SLZ1"
#define FSM_SNAPSHOT_HEADER  16
#define FSM_SNAPSHOT_RAW_MAX (8ull << 30) /* refuse larger claims */

struct fsm;

/* Called after each entry is applied, on every node. cmds[i] (whose strings
 * point into the entry) and results[i] are valid only during the call.
 * origin is the value the proposing leader put in the entry. */
typedef void (*fsm_applied_cb)(struct fsm *f, uint64_t origin,
                               const struct slot_cmd *cmds,
                               const struct slot_result *results, uint32_t n);

struct fsm {
    struct raft_fsm raft;      /* pass &f->raft to raft_init; raft.data == f */
    struct ledger *ledger;     /* owned; replaced on snapshot restore */
    fsm_applied_cb applied_cb; /* may be NULL */
    /* The raft instance applying entries, set by its owner after raft_init
     * (NULL: entries' events carry index 0): the event feed's index. */
    struct raft *owner;
    void *data; /* free for applied_cb's owner */
    uint64_t entries_applied;
    uint64_t commands_applied;
    uint64_t snapshots_taken;
    uint64_t snapshots_restored;
    /* Debug builds run ledger_check every check_every entries (0: never):
     * O(state), so tests set it, production leaves it at 0. */
    uint32_t check_every;
    struct slot_cmd *_cmds;       /* scratch, SLOT_BATCH_CMDS_MAX */
    struct slot_result *_results; /* scratch, SLOT_BATCH_CMDS_MAX */
};

/* Initialises f with an empty ledger. Returns 0 or RAFT_NOMEM. */
int fsm_init(struct fsm *f);
/* Frees the ledger and scratch. f may be reused after fsm_init again. */
void fsm_close(struct fsm *f);

/* Compresses a snapshot of l into a buffer allocated with raft_malloc()
 * (the caller owns buf->base). Returns 0 or RAFT_NOMEM. */
int fsm_snapshot_encode(const struct ledger *l, struct raft_buffer *buf);
/* Verifies (magic, length, LZ4 checksums) and decompresses a snapshot
 * buffer, then restores a ledger from it (*out owns it). Returns 0, or
 * RAFT_CORRUPT / RAFT_NOMEM with *out == NULL. Does not free buf. */
int fsm_snapshot_decode(const void *buf, size_t len, struct ledger **out);

#endif /* SLOT_FSM_H */
