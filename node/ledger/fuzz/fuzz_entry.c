/* fuzz_entry: Raft entries on arbitrary bytes, then the ledger on whatever
 * decodes.
 *
 * An entry that decodes is rebuilt with the entry builder and must decode
 * to the same stamp and commands. Its batch is then applied to a fresh
 * ledger: the ledger must keep every invariant (ledger_check), give equal
 * results and state hash when the rebuilt batch is applied to a second
 * fresh ledger (determinism), survive a snapshot/restore with the same
 * hash, and answer reads whose replies our own decoders accept.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "slot_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct slot_cmd cmds[SLOT_BATCH_CMDS_MAX];
static struct slot_cmd again[SLOT_BATCH_CMDS_MAX];
static struct slot_result res1[SLOT_BATCH_CMDS_MAX];
static struct slot_result res2[SLOT_BATCH_CMDS_MAX];

static void encodeOne(const struct slot_cmd *c, struct mp_buf *b)
{
    mp_buf_reset(b);
    slot_cmd_encode(b, c);
}

/* Rebuilds the entry from the decoded commands; it must decode the same,
 * into again[]. Returns the rebuilt entry, which again[] points into. */
static void *entryRoundTrip(uint64_t stamp, uint32_t n)
{
    const uint64_t origin = stamp ^ 0x5a5a5a5aull;
    struct slot_entry_builder e;
    struct mp_buf b1, b2;
    mp_buf_init(&b1);
    mp_buf_init(&b2);
    slot_entry_begin(&e, stamp, origin);
    for (uint32_t i = 0; i < n; i++) {
        encodeOne(&cmds[i], &b1);
        assert(slot_entry_fits(&e, b1.len));
        slot_entry_add(&e, b1.data, b1.len);
    }
    size_t len;
    void *p = slot_entry_finish(&e, &len);
    uint64_t stamp2, origin2;
    uint32_t n2;
    assert(len % 8 == 0 && len <= SLOT_ENTRY_MAX);
    assert(slot_entry_decode(p, len, &stamp2, &origin2, again, &n2) == SLOT_OK);
    assert(stamp2 == stamp && origin2 == origin && n2 == n);
    for (uint32_t i = 0; i < n; i++) {
        encodeOne(&cmds[i], &b1);
        encodeOne(&again[i], &b2);
        assert(b1.len == b2.len && memcmp(b1.data, b2.data, b1.len) == 0);
        assert(again[i].fingerprint == slot_hash64(b2.data, b2.len, 0));
    }
    slot_entry_builder_free(&e);
    mp_buf_free(&b1);
    mp_buf_free(&b2);
    return p;
}

static void checkLedger(const struct ledger *l)
{
    char why[512];
    if (!ledger_check(l, why, sizeof why)) {
        fprintf(stderr, "ledger_check: %s\n", why);
        abort();
    }
}

/* Snapshot, restore: the same state, and the same bytes again. */
static void snapshotRoundTrip(const struct ledger *l)
{
    struct mp_buf s1, s2;
    struct ledger *r = NULL;
    mp_buf_init(&s1);
    mp_buf_init(&s2);
    ledger_snapshot(l, &s1);
    assert(ledger_restore(s1.data, s1.len, &r) == SLOT_OK && r != NULL);
    checkLedger(r);
    assert(ledger_state_hash(r) == ledger_state_hash(l));
    ledger_snapshot(r, &s2);
    assert(s1.len == s2.len && memcmp(s1.data, s2.data, s1.len) == 0);
    ledger_destroy(r);
    mp_buf_free(&s1);
    mp_buf_free(&s2);
}

/* A read's reply body must decode with our decoder of its type. */
static void checkRead(const struct ledger *l, const struct slot_read *rd)
{
    struct mp_buf b;
    struct mp_reader r;
    mp_buf_init(&b);
    if (ledger_read(l, rd, &b) == SLOT_OK) {
        struct slot_pool_status st;
        struct slot_claim cl;
        struct slot_ledger_info info;
        uint32_t n = 1;
        mp_reader_init(&r, b.data, b.len);
        bool list = rd->op == SLOT_READ_PATIENT || rd->op == SLOT_READ_POOLS;
        if (list) {
            assert(mp_read_array(&r, &n));
        }
        for (uint32_t i = 0; i < n; i++) {
            int rc = rd->op == SLOT_READ_LEDGER
                         ? slot_ledger_info_decode(&r, &info)
                     : rd->op == SLOT_READ_POOL || rd->op == SLOT_READ_POOLS
                         ? slot_pool_status_decode(&r, &st)
                         : slot_claim_decode(&r, &cl);
            assert(rc == SLOT_OK);
        }
        assert(mp_done(&r));
    }
    mp_buf_free(&b);
}

static void checkReads(const struct ledger *l, uint32_t n)
{
    struct slot_read rd = {.op = SLOT_READ_LEDGER};
    checkRead(l, &rd);
    rd = (struct slot_read){.op = SLOT_READ_POOLS, .limit = SLOT_LIST_MAX};
    checkRead(l, &rd);
    for (uint32_t i = 0; i < n; i++) {
        const struct slot_cmd *c = &cmds[i];
        if (c->op == SLOT_OP_HOLD) {
            rd = (struct slot_read){.op = SLOT_READ_PATIENT,
                                    .pool = c->u.hold.pool,
                                    .patient = c->u.hold.patient};
            checkRead(l, &rd);
            rd = (struct slot_read){.op = SLOT_READ_HOLD, .id = res1[i].a};
            if (res1[i].code == SLOT_OK) {
                checkRead(l, &rd);
            }
        } else if (c->op == SLOT_OP_CONFIRM && c->u.claim.id >= 1) {
            rd = (struct slot_read){.op = SLOT_READ_BOOKING,
                                    .id = c->u.claim.id};
            checkRead(l, &rd);
        }
    }
}

static void applyAndCheck(uint64_t stamp, uint32_t n)
{
    struct ledger *l1 = ledger_create();
    struct ledger *l2 = ledger_create();
    assert(l1 != NULL && l2 != NULL);
    ledger_apply(l1, stamp, cmds, n, res1);
    checkLedger(l1);
    /* The rebuilt commands are canonical, the input may not be; their
     * fingerprints (which the session table keeps) differ then, by design.
     * Everything else the ledger sees must be equal. */
    for (uint32_t i = 0; i < n; i++) {
        again[i].fingerprint = cmds[i].fingerprint;
    }
    ledger_apply(l2, stamp, again, n, res2);
    assert(memcmp(res1, res2, n * sizeof *res1) == 0);
    assert(ledger_state_hash(l1) == ledger_state_hash(l2));
    checkReads(l1, n);
    snapshotRoundTrip(l1);
    /* The same batch once more, later: retries, expiries, conflicts. */
    ledger_apply(l1, stamp + 60000, cmds, n, res1);
    checkLedger(l1);
    ledger_destroy(l1);
    ledger_destroy(l2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t stamp;
    uint32_t n;
    uint64_t origin;
    int rc = slot_entry_decode(data, size, &stamp, &origin, cmds, &n);
    assert(rc >= SLOT_OK && rc <= SLOT_UNKNOWN_OP);
    if (rc != SLOT_OK) {
        return 0;
    }
    assert(n <= SLOT_BATCH_CMDS_MAX && stamp <= SLOT_TIME_MAX_MS);
    void *rebuilt = entryRoundTrip(stamp, n);
    applyAndCheck(stamp, n);
    free(rebuilt);
    return 0;
}
