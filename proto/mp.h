/* mp: a strict, allocation-free msgpack reader, and a packer on a growable
 * buffer (msgpack-c's packer over our own byte buffer).
 *
 * Why our own reader: every decoder in the project reads untrusted bytes
 * (client frames, Raft entries, snapshots). msgpack-c's unpacker builds an
 * object tree in a zone, allocating in proportion to what the input claims;
 * this reader walks the bytes in place, never allocates, bounds nesting, and
 * makes the first error sticky so a decoder can read a whole structure and
 * check once. Strings returned point into the input buffer: they are valid
 * as long as the caller keeps that buffer.
 *
 * Writing uses msgpack-c's packer (the C API from libmsgpack-dev), whose
 * output is canonical for our purposes: the same values always produce the
 * same bytes, which the session table and the state hash rely on.
 */
#ifndef SLOT_MP_H
#define SLOT_MP_H

#include <msgpack/pack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A byte string that points into someone else's buffer. Not NUL-terminated. */
struct slot_str {
    const char *p;
    uint32_t len;
};

/* Deepest nesting mp_skip() follows before calling the input malformed. */
#define MP_DEPTH_MAX 16

struct mp_reader {
    const uint8_t *p;
    const uint8_t *end;
    int err; /* 0, or the first slot_err code met (sticky) */
};

void mp_reader_init(struct mp_reader *r, const void *buf, size_t len);

/* Each reader returns true and advances on success. On failure it returns
 * false, records SLOT_MALFORMED (SLOT_TOO_LARGE for a string longer than
 * max_len) in r->err, and every later call fails too. */
bool mp_read_array(struct mp_reader *r, uint32_t *n);
/* An array of exactly n elements. */
bool mp_expect_array(struct mp_reader *r, uint32_t n);
/* A non-negative integer (any msgpack int encoding) no larger than max. */
bool mp_read_uint(struct mp_reader *r, uint64_t max, uint64_t *v);
/* Any msgpack int in [min, max] (outside: INVALID_ARGUMENT). */
bool mp_read_int(struct mp_reader *r, int64_t min, int64_t max, int64_t *v);
bool mp_read_u32(struct mp_reader *r, uint32_t *v);
bool mp_read_u64(struct mp_reader *r, uint64_t *v);
bool mp_read_bool(struct mp_reader *r, bool *v);
/* A str of at most max_len bytes. s points into the input. */
bool mp_read_str(struct mp_reader *r, uint32_t max_len, struct slot_str *s);
/* A bin of at most max_len bytes. */
bool mp_read_bin(struct mp_reader *r, uint32_t max_len, struct slot_str *s);
bool mp_read_nil(struct mp_reader *r);
/* Skips one complete value of any type (nesting bounded by MP_DEPTH_MAX). */
bool mp_skip(struct mp_reader *r);
/* True when every byte was consumed and no error occurred. */
bool mp_done(const struct mp_reader *r);
/* Bytes left. */
size_t mp_left(const struct mp_reader *r);

/* A growable output buffer with a msgpack-c packer writing into it.
 * Memory: owned by the buffer; mp_buf_free() releases it. Allocation failure
 * aborts the process (see mp_buf_reserve): a node that cannot encode a reply
 * or a snapshot cannot continue consistently. */
struct mp_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    msgpack_packer pk;
};

void mp_buf_init(struct mp_buf *b);
void mp_buf_free(struct mp_buf *b);
/* Keeps the allocation, forgets the content. */
void mp_buf_reset(struct mp_buf *b);
/* Ensures room for n more bytes; returns a pointer to them (not yet counted
 * in len). */
uint8_t *mp_buf_reserve(struct mp_buf *b, size_t n);
void mp_buf_append(struct mp_buf *b, const void *p, size_t n);
/* Exchanges the contents (not the packers) of two buffers. */
void mp_buf_swap(struct mp_buf *a, struct mp_buf *b);
/* Takes the data out of the buffer: the caller owns the returned pointer
 * (free() it) and the buffer is empty again. */
uint8_t *mp_buf_steal(struct mp_buf *b, size_t *len);

/* Packing helpers on b->pk. */
void mp_pack_str(struct mp_buf *b, const char *p, size_t len);
void mp_pack_sstr(struct mp_buf *b, struct slot_str s);
void mp_pack_cstr(struct mp_buf *b, const char *s);
void mp_pack_uint(struct mp_buf *b, uint64_t v);
void mp_pack_int(struct mp_buf *b, int64_t v);
void mp_pack_array(struct mp_buf *b, uint32_t n);
void mp_pack_bool(struct mp_buf *b, bool v);
void mp_pack_bin(struct mp_buf *b, const void *p, size_t len);

/* 64-bit non-cryptographic hash (deterministic on every platform we build
 * for: little-endian reads are done byte-wise). Used for command
 * fingerprints in the session table, hash-table keys and the state hash. */
uint64_t slot_hash64(const void *p, size_t len, uint64_t seed);

#endif /* SLOT_MP_H */
