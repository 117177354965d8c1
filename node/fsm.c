#include "fsm.h"

#include <lz4frame.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put64be(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static uint64_t get64be(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        v = v << 8 | p[i];
    }
    return v;
}

static int fsmApply(struct raft_fsm *rf, const struct raft_buffer *buf,
                    void **result)
{
    struct fsm *f = rf->data;
    uint64_t stamp_ms, origin;
    uint32_t n;
    int rc = slot_entry_decode(buf->base, buf->len, &stamp_ms, &origin,
                               f->_cmds, &n);
    if (rc != SLOT_OK) {
        /* Only leaders write entries, and only from commands they decoded
         * successfully; raft checksums the log. An entry that does not
         * decode is a bug or an unknown newer format: skipping it would be
         * deterministic but silent, so stop loudly instead. */
        fprintf(stderr,
                "fsm: committed entry does not decode: %s (%zu bytes)\n",
                slot_err_name(rc), buf->len);
        abort();
    }
    /* raft applies entries in order and counts last_applied after the
     * callback: this entry's index is the one after it. */
    uint64_t index = f->owner != NULL ? raft_last_applied(f->owner) + 1 : 0;
    ledger_apply_at(f->ledger, index, stamp_ms, f->_cmds, n, f->_results);
    f->entries_applied++;
    f->commands_applied += n;
#ifndef NDEBUG
    if (f->check_every != 0 && f->entries_applied % f->check_every == 0) {
        char why[256];
        if (!ledger_check(f->ledger, why, sizeof why)) {
            fprintf(stderr, "fsm: ledger invariant broken: %s\n", why);
            abort();
        }
    }
#endif
    if (f->applied_cb != NULL) {
        f->applied_cb(f, origin, f->_cmds, f->_results, n);
    }
    /* Results travel through applied_cb, not raft's result pointer: raft
     * drops that pointer on nodes without a waiting request. */
    *result = NULL;
    return 0;
}

int fsm_snapshot_encode(const struct ledger *l, struct raft_buffer *buf)
{
    struct mp_buf raw;
    mp_buf_init(&raw);
    ledger_snapshot(l, &raw);
    LZ4F_preferences_t prefs;
    memset(&prefs, 0, sizeof prefs);
    prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
    prefs.frameInfo.blockChecksumFlag = LZ4F_blockChecksumEnabled;
    prefs.frameInfo.contentSize = raw.len;
    prefs.frameInfo.blockSizeID = LZ4F_max4MB;
    size_t bound = LZ4F_compressFrameBound(raw.len, &prefs);
    uint8_t *out = raft_malloc(FSM_SNAPSHOT_HEADER + bound);
    if (out == NULL) {
        mp_buf_free(&raw);
        return RAFT_NOMEM;
    }
    size_t n = LZ4F_compressFrame(out + FSM_SNAPSHOT_HEADER, bound, raw.data,
                                  raw.len, &prefs);
    if (LZ4F_isError(n)) {
        /* Only possible with a too-small destination, which the bound
         * rules out. */
        fprintf(stderr, "fsm: LZ4F_compressFrame: %s\n", LZ4F_getErrorName(n));
        abort();
    }
    memcpy(out, FSM_SNAPSHOT_MAGIC, 4);
    memset(out + 4, 0, 4);
    put64be(out + 8, raw.len);
    buf->base = out;
    buf->len = FSM_SNAPSHOT_HEADER + n;
    mp_buf_free(&raw);
    return 0;
}

int fsm_snapshot_decode(const void *data, size_t len, struct ledger **out)
{
    const uint8_t *p = data;
    *out = NULL;
    if (len < FSM_SNAPSHOT_HEADER || memcmp(p, FSM_SNAPSHOT_MAGIC, 4) != 0 ||
        get64be(p + 8) > FSM_SNAPSHOT_RAW_MAX || p[4] | p[5] | p[6] | p[7]) {
        return RAFT_CORRUPT;
    }
    size_t raw_len = (size_t)get64be(p + 8);
    uint8_t *raw = malloc(raw_len + 1);
    LZ4F_dctx *dctx = NULL;
    if (raw == NULL ||
        LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION))) {
        free(raw);
        return RAFT_NOMEM;
    }
    size_t src_left = len - FSM_SNAPSHOT_HEADER;
    size_t dst_len = raw_len + 1; /* one spare byte detects an overlong frame */
    size_t hint = LZ4F_decompress(dctx, raw, &dst_len, p + FSM_SNAPSHOT_HEADER,
                                  &src_left, NULL);
    LZ4F_freeDecompressionContext(dctx);
    /* hint == 0: the frame ended and its checksums matched. */
    int rc = RAFT_CORRUPT;
    if (!LZ4F_isError(hint) && hint == 0 && dst_len == raw_len &&
        src_left == len - FSM_SNAPSHOT_HEADER) {
        rc = ledger_restore(raw, raw_len, out) == SLOT_OK ? 0 : RAFT_CORRUPT;
    }
    free(raw);
    return rc;
}

static int fsmSnapshot(struct raft_fsm *rf, struct raft_buffer *bufs[],
                       unsigned *n_bufs)
{
    struct fsm *f = rf->data;
    struct raft_buffer *b = raft_malloc(sizeof *b);
    if (b == NULL) {
        return RAFT_NOMEM;
    }
    int rc = fsm_snapshot_encode(f->ledger, b);
    if (rc != 0) {
        raft_free(b);
        return rc;
    }
    *bufs = b;
    *n_bufs = 1;
    f->snapshots_taken++;
    return 0;
}

/* Since fsm version 2 raft leaves the snapshot buffers to us. */
static int fsmSnapshotFinalize(struct raft_fsm *rf, struct raft_buffer *bufs[],
                               unsigned *n_bufs)
{
    (void)rf;
    for (unsigned i = 0; i < *n_bufs; i++) {
        raft_free((*bufs)[i].base);
    }
    raft_free(*bufs);
    *bufs = NULL;
    *n_bufs = 0;
    return 0;
}

static int fsmRestore(struct raft_fsm *rf, struct raft_buffer *buf)
{
    struct fsm *f = rf->data;
    struct ledger *l;
    int rc = fsm_snapshot_decode(buf->base, buf->len, &l);
    if (rc == RAFT_NOMEM) {
        return rc;
    }
    if (rc != 0) {
        /* A snapshot that fails its checksums or the ledger's checks is
         * disk corruption or a bug. raft 0.22.1's error path for a failed
         * restore asserts or leaves the follower stuck for good (found by
         * node/test/test_sim.c), so stop here, loudly: the operator wipes
         * this node's data and lets it rejoin. */
        fprintf(stderr, "fsm: snapshot refused (%zu bytes): stopping\n",
                buf->len);
        abort();
    }
    ledger_destroy(f->ledger);
    f->ledger = l;
    f->snapshots_restored++;
    /* On success the FSM owns the buffer (raft's fsm contract). */
    raft_free(buf->base);
    return 0;
}

int fsm_init(struct fsm *f)
{
    memset(f, 0, sizeof *f);
    f->ledger = ledger_create();
    f->_cmds = calloc(SLOT_BATCH_CMDS_MAX, sizeof *f->_cmds);
    f->_results = calloc(SLOT_BATCH_CMDS_MAX, sizeof *f->_results);
    if (f->ledger == NULL || f->_cmds == NULL || f->_results == NULL) {
        fsm_close(f);
        return RAFT_NOMEM;
    }
    f->raft.version = 2;
    f->raft.data = f;
    f->raft.apply = fsmApply;
    f->raft.snapshot = fsmSnapshot;
    f->raft.snapshot_finalize = fsmSnapshotFinalize;
    f->raft.restore = fsmRestore;
    return 0;
}

void fsm_close(struct fsm *f)
{
    ledger_destroy(f->ledger);
    free(f->_cmds);
    free(f->_results);
    f->ledger = NULL;
    f->_cmds = NULL;
    f->_results = NULL;
}
