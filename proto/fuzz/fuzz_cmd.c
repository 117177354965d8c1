/* fuzz_cmd: slot_cmd_decode and slot_result_decode on arbitrary bytes.
 *
 * Whatever decodes must re-encode, decode again to the same value and
 * re-encode to the same bytes: the leader fingerprints a command's bytes and
 * followers decode them again, so an unstable round trip would make a
 * retried request look like a different one. The re-encoding is canonical,
 * hence never longer than the input (the input may spell an int the same
 * length differently, e.g. int32 for uint32, so no more can be said).
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "slot_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool sameBytes(const struct mp_buf *a, const void *p, size_t n)
{
    return a->len == n && (n == 0 || memcmp(a->data, p, n) == 0);
}

static void cmdRoundTrip(const uint8_t *data, size_t size,
                         const struct slot_cmd *c1)
{
    struct mp_buf b1, b2;
    struct slot_cmd c2;
    assert(c1->fingerprint == slot_hash64(data, size, 0));
    mp_buf_init(&b1);
    mp_buf_init(&b2);
    slot_cmd_encode(&b1, c1);
    assert(slot_cmd_decode_buf(b1.data, b1.len, &c2) == SLOT_OK);
    assert(c2.fingerprint == slot_hash64(b1.data, b1.len, 0));
    assert(c2.op == c1->op && c2.session == c1->session && c2.seq == c1->seq);
    slot_cmd_encode(&b2, &c2);
    /* The encoder writes every field, so equal bytes mean equal values. */
    assert(sameBytes(&b2, b1.data, b1.len));
    /* A protocol 2 HOLD / CONFIRM / RELEASE / CANCEL re-encodes with
     * protocol 3's optional fields, empty: one byte each, two at most;
     * a CONFIRM also with protocol 5's pay_method (a CHECKIN: that one). */
    assert(b1.len <= size + 3);
    mp_buf_free(&b1);
    mp_buf_free(&b2);
}

static void resultRoundTrip(const struct slot_result *r1)
{
    struct mp_buf b;
    struct mp_reader r;
    struct slot_result r2;
    mp_buf_init(&b);
    slot_result_encode(&b, r1);
    mp_reader_init(&r, b.data, b.len);
    assert(slot_result_decode(&r, &r2) == SLOT_OK && mp_done(&r));
    assert(r2.code == r1->code && r2.a == r1->a && r2.b == r1->b &&
           r2.time_ms == r1->time_ms);
    mp_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct slot_cmd c;
    int rc = slot_cmd_decode_buf(data, size, &c);
    assert(rc >= SLOT_OK && rc <= SLOT_UNKNOWN_OP);
    if (rc == SLOT_OK) {
        cmdRoundTrip(data, size, &c);
    }
    /* The same bytes as a stream of commands: each decode must consume
     * exactly one command and fingerprint just it. */
    struct mp_reader r;
    mp_reader_init(&r, data, size);
    while (mp_left(&r) > 0) {
        const uint8_t *at = r.p;
        if (slot_cmd_decode(&r, &c) != SLOT_OK) {
            break;
        }
        assert(r.p > at);
        cmdRoundTrip(at, (size_t)(r.p - at), &c);
    }
    struct slot_result res;
    mp_reader_init(&r, data, size);
    if (slot_result_decode(&r, &res) == SLOT_OK) {
        resultRoundTrip(&res);
    }
    return 0;
}
