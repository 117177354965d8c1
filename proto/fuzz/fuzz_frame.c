/* fuzz_frame: the client frame layer on arbitrary bytes, as a receive
 * buffer would see them (peek, then decode each whole frame), and the
 * payloads the node decodes from them (command, read request, result,
 * error).
 *
 * A decoded frame rebuilt with slot_frame_begin/_end must peek and decode
 * to the same type, tag and payload bytes.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "slot_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void frameRoundTrip(const struct slot_frame *f)
{
    struct mp_buf b;
    struct slot_frame g;
    size_t len;
    mp_buf_init(&b);
    size_t start = slot_frame_begin(&b, f->type, f->tag);
    mp_buf_append(&b, f->payload, f->payload_len);
    slot_frame_end(&b, start);
    assert(slot_frame_peek(b.data, b.len, &len) == SLOT_OK && len == b.len);
    assert(slot_frame_decode(b.data + 4, b.len - 4, &g) == SLOT_OK);
    assert(g.type == f->type && g.tag == f->tag);
    assert(g.payload_len == f->payload_len &&
           memcmp(g.payload, f->payload, f->payload_len) == 0);
    mp_buf_free(&b);
}

/* What the node and the client decode inside a frame's payload. */
static void payloads(const struct slot_frame *f)
{
    struct mp_reader r;
    mp_reader_init(&r, f->payload, f->payload_len);
    if (f->type == SLOT_FRAME_COMMAND) {
        struct slot_cmd c;
        if (slot_cmd_decode_buf(f->payload, f->payload_len, &c) == SLOT_OK) {
            assert(c.fingerprint == slot_hash64(f->payload, f->payload_len, 0));
        }
    } else if (f->type == SLOT_FRAME_READ) {
        struct slot_read rd;
        bool lin;
        if (mp_expect_array(&r, 2) && mp_read_bool(&r, &lin) &&
            slot_read_decode(&r, &rd) == SLOT_OK) {
            assert(rd.op >= 1 && rd.op <= SLOT_READ_MAX);
        }
    } else if (f->type == SLOT_FRAME_ERROR) {
        struct slot_error_info e;
        if (slot_frame_error_decode(f->payload, f->payload_len, &e) ==
            SLOT_OK) {
            assert(e.code > 0 && e.code <= 65535);
            assert(e.executed == SLOT_EXEC_NOT ||
                   e.executed == SLOT_EXEC_UNKNOWN);
        }
    } else if (f->type == SLOT_FRAME_RESULT) {
        struct slot_result res;
        uint64_t index;
        if (mp_expect_array(&r, 2) && slot_result_decode(&r, &res) == SLOT_OK) {
            mp_read_u64(&r, &index);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t at = 0, len;
    /* A receive buffer: frames back to back until one is incomplete or its
     * length is refused. */
    while (slot_frame_peek(data + at, size - at, &len) == SLOT_OK && len > 0) {
        assert(len >= 5 && len <= size - at && len <= 4 + SLOT_FRAME_MAX);
        struct slot_frame f;
        int rc = slot_frame_decode(data + at + 4, len - 4, &f);
        assert(rc >= SLOT_OK && rc <= SLOT_UNKNOWN_OP);
        if (rc == SLOT_OK) {
            assert(f.payload >= data + at + 4 &&
                   f.payload + f.payload_len == data + at + len);
            frameRoundTrip(&f);
            payloads(&f);
        }
        at += len;
    }
    /* The bytes as one frame body. */
    struct slot_frame f;
    if (slot_frame_decode(data, size, &f) == SLOT_OK) {
        frameRoundTrip(&f);
        payloads(&f);
    }
    return 0;
}
