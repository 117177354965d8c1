/* fuzz_read: the read request and the reply bodies (pool status, claim,
 * ledger info; an event, a reconciliation row and a statistics row of
 * protocol 5; a patient's info, an account's info and a staff log entry)
 * on arbitrary bytes, each with a round trip. A patient's info decodes to
 * the same verdict and the same fields whether its claims are kept (into
 * caller storage) or only counted.
 *
 * The reply structs are plain data and their decoders clear them first, so
 * a whole-struct comparison also catches a decoder that drops bytes (a NUL
 * inside a string would be one).
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "slot_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void readRoundTrip(const struct slot_read *a)
{
    struct mp_buf b1, b2;
    struct mp_reader r;
    struct slot_read c;
    mp_buf_init(&b1);
    mp_buf_init(&b2);
    slot_read_encode(&b1, a);
    mp_reader_init(&r, b1.data, b1.len);
    assert(slot_read_decode(&r, &c) == SLOT_OK && mp_done(&r));
    assert(c.op == a->op && c.id == a->id && c.limit == a->limit);
    assert(c.pool.len == a->pool.len && c.patient.len == a->patient.len);
    assert(c.day == a->day && c.channel.len == a->channel.len &&
           c.hospital.len == a->hospital.len && c.date_from == a->date_from &&
           c.date_to == a->date_to && c.after_id == a->after_id);
    slot_read_encode(&b2, &c);
    assert(b1.len == b2.len && memcmp(b1.data, b2.data, b1.len) == 0);
    mp_buf_free(&b1);
    mp_buf_free(&b2);
}

/* Decodes data as one T; on success re-encodes, decodes and compares. */
#define REPLY_ROUND_TRIP(T, dec, enc)                                          \
    do {                                                                       \
        T a_, b_;                                                              \
        struct mp_reader r_;                                                   \
        mp_reader_init(&r_, data, size);                                       \
        if (dec(&r_, &a_) != SLOT_OK || !mp_done(&r_)) {                       \
            break;                                                             \
        }                                                                      \
        struct mp_buf m_;                                                      \
        mp_buf_init(&m_);                                                      \
        enc(&m_, &a_);                                                         \
        assert(m_.len <= size);                                                \
        mp_reader_init(&r_, m_.data, m_.len);                                  \
        assert(dec(&r_, &b_) == SLOT_OK && mp_done(&r_));                      \
        assert(memcmp(&a_, &b_, sizeof a_) == 0);                              \
        mp_buf_free(&m_);                                                      \
    } while (0)

static void patientInfoRoundTrip(const uint8_t *data, size_t size)
{
    static struct slot_claim ca[SLOT_LIST_MAX], cb[SLOT_LIST_MAX];
    static struct slot_patient_info a, b, counted;
    struct mp_reader r;
    a.claims = ca;
    a.claims_cap = SLOT_LIST_MAX;
    counted.claims = NULL;
    counted.claims_cap = 0;
    mp_reader_init(&r, data, size);
    int rc = slot_patient_info_decode(&r, &a);
    bool whole = rc == SLOT_OK && mp_done(&r);
    mp_reader_init(&r, data, size);
    int rc_counted = slot_patient_info_decode(&r, &counted);
    assert(rc_counted == rc);
    if (!whole) {
        return;
    }
    assert(mp_done(&r) && a.n_claims <= SLOT_LIST_MAX);
    counted.claims = a.claims;
    counted.claims_cap = a.claims_cap;
    assert(memcmp(&a, &counted, sizeof a) == 0);
    struct mp_buf m1, m2;
    mp_buf_init(&m1);
    mp_buf_init(&m2);
    slot_patient_info_encode(&m1, &a);
    assert(m1.len <= size);
    b.claims = cb;
    b.claims_cap = SLOT_LIST_MAX;
    mp_reader_init(&r, m1.data, m1.len);
    assert(slot_patient_info_decode(&r, &b) == SLOT_OK && mp_done(&r));
    assert(b.n_claims == a.n_claims &&
           memcmp(ca, cb, a.n_claims * sizeof *ca) == 0);
    b.claims = a.claims;
    assert(memcmp(&a, &b, sizeof a) == 0);
    b.claims = cb;
    slot_patient_info_encode(&m2, &b);
    assert(m1.len == m2.len && memcmp(m1.data, m2.data, m1.len) == 0);
    mp_buf_free(&m1);
    mp_buf_free(&m2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mp_reader r;
    struct slot_read rd;
    mp_reader_init(&r, data, size);
    if (slot_read_decode(&r, &rd) == SLOT_OK && mp_done(&r)) {
        readRoundTrip(&rd);
    }
    REPLY_ROUND_TRIP(struct slot_pool_status, slot_pool_status_decode,
                     slot_pool_status_encode);
    REPLY_ROUND_TRIP(struct slot_claim, slot_claim_decode, slot_claim_encode);
    REPLY_ROUND_TRIP(struct slot_ledger_info, slot_ledger_info_decode,
                     slot_ledger_info_encode);
    REPLY_ROUND_TRIP(struct slot_event, slot_event_decode, slot_event_encode);
    REPLY_ROUND_TRIP(struct slot_recon_row, slot_recon_row_decode,
                     slot_recon_row_encode);
    REPLY_ROUND_TRIP(struct slot_stats_row, slot_stats_row_decode,
                     slot_stats_row_encode);
    REPLY_ROUND_TRIP(struct slot_account_info, slot_account_info_decode,
                     slot_account_info_encode);
    REPLY_ROUND_TRIP(struct slot_staff_entry, slot_staff_entry_decode,
                     slot_staff_entry_encode);
    patientInfoRoundTrip(data, size);
    return 0;
}
