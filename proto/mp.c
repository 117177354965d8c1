#include "mp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slot_err.h"

void mp_reader_init(struct mp_reader *r, const void *buf, size_t len)
{
    r->p = buf;
    r->end = r->p + len;
    r->err = 0;
}

static bool fail(struct mp_reader *r, int code)
{
    if (r->err == 0) {
        r->err = code;
    }
    r->p = r->end;
    return false;
}

static bool need(struct mp_reader *r, size_t n)
{
    if (r->err != 0) {
        return false;
    }
    if ((size_t)(r->end - r->p) < n) {
        return fail(r, SLOT_MALFORMED);
    }
    return true;
}

static uint64_t be(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        v = (v << 8) | p[i];
    }
    return v;
}

bool mp_read_array(struct mp_reader *r, uint32_t *n)
{
    if (!need(r, 1)) {
        return false;
    }
    uint8_t t = *r->p;
    if ((t & 0xf0) == 0x90) {
        *n = t & 0x0f;
        r->p += 1;
        return true;
    }
    unsigned w = t == 0xdc ? 2 : t == 0xdd ? 4 : 0;
    if (w == 0) {
        return fail(r, SLOT_MALFORMED);
    }
    if (!need(r, 1 + w)) {
        return false;
    }
    uint64_t v = be(r->p + 1, w);
    r->p += 1 + w;
    /* Every element takes at least one byte: a count beyond the bytes left
     * is a lie, refuse it before any caller sizes anything by it. */
    if (v > (uint64_t)(r->end - r->p)) {
        return fail(r, SLOT_MALFORMED);
    }
    *n = (uint32_t)v;
    return true;
}

bool mp_expect_array(struct mp_reader *r, uint32_t n)
{
    uint32_t got;
    if (!mp_read_array(r, &got)) {
        return false;
    }
    if (got != n) {
        return fail(r, SLOT_MALFORMED);
    }
    return true;
}

bool mp_read_uint(struct mp_reader *r, uint64_t max, uint64_t *v)
{
    if (!need(r, 1)) {
        return false;
    }
    uint8_t t = *r->p;
    uint64_t x;
    if (t <= 0x7f) {
        x = t;
        r->p += 1;
    } else {
        unsigned w;
        bool sign;
        switch (t) {
            case 0xcc:
                w = 1;
                sign = false;
                break;
            case 0xcd:
                w = 2;
                sign = false;
                break;
            case 0xce:
                w = 4;
                sign = false;
                break;
            case 0xcf:
                w = 8;
                sign = false;
                break;
            case 0xd0:
                w = 1;
                sign = true;
                break;
            case 0xd1:
                w = 2;
                sign = true;
                break;
            case 0xd2:
                w = 4;
                sign = true;
                break;
            case 0xd3:
                w = 8;
                sign = true;
                break;
            default:
                return fail(r, SLOT_MALFORMED);
        }
        if (!need(r, 1 + w)) {
            return false;
        }
        x = be(r->p + 1, w);
        /* A signed encoding is fine if the value is not negative. */
        if (sign && (x >> (w * 8 - 1)) != 0) {
            return fail(r, SLOT_MALFORMED);
        }
        r->p += 1 + w;
    }
    if (x > max) {
        return fail(r, SLOT_INVALID_ARGUMENT);
    }
    *v = x;
    return true;
}

bool mp_read_int(struct mp_reader *r, int64_t min, int64_t max, int64_t *v)
{
    if (!need(r, 1)) {
        return false;
    }
    uint8_t t = *r->p;
    int64_t x;
    if (t >= 0xe0) { /* negative fixint */
        x = (int8_t)t;
        r->p += 1;
    } else if (t >= 0xd0 && t <= 0xd3) {
        unsigned w = 1u << (t - 0xd0);
        if (!need(r, 1 + w)) {
            return false;
        }
        uint64_t u = be(r->p + 1, w);
        if (w < 8 && (u >> (w * 8 - 1)) != 0) {
            u |= ~0ull << (w * 8); /* sign-extend */
        }
        memcpy(&x, &u, sizeof x);
        r->p += 1 + w;
    } else {
        /* Non-negative: any unsigned encoding (and positive fixint). */
        uint64_t u;
        if (!mp_read_uint(r, INT64_MAX, &u)) {
            return false;
        }
        x = (int64_t)u;
    }
    if (x < min || x > max) {
        return fail(r, SLOT_INVALID_ARGUMENT);
    }
    *v = x;
    return true;
}

bool mp_read_u32(struct mp_reader *r, uint32_t *v)
{
    uint64_t x;
    if (!mp_read_uint(r, UINT32_MAX, &x)) {
        return false;
    }
    *v = (uint32_t)x;
    return true;
}

bool mp_read_u64(struct mp_reader *r, uint64_t *v)
{
    return mp_read_uint(r, UINT64_MAX, v);
}

bool mp_read_bool(struct mp_reader *r, bool *v)
{
    if (!need(r, 1)) {
        return false;
    }
    if (*r->p != 0xc2 && *r->p != 0xc3) {
        return fail(r, SLOT_MALFORMED);
    }
    *v = *r->p == 0xc3;
    r->p += 1;
    return true;
}

bool mp_read_nil(struct mp_reader *r)
{
    if (!need(r, 1)) {
        return false;
    }
    if (*r->p != 0xc0) {
        return fail(r, SLOT_MALFORMED);
    }
    r->p += 1;
    return true;
}

static bool readBytes(struct mp_reader *r, bool bin, uint32_t max_len,
                      struct slot_str *s)
{
    if (!need(r, 1)) {
        return false;
    }
    uint8_t t = *r->p;
    unsigned w;
    uint64_t n;
    if (!bin && (t & 0xe0) == 0xa0) {
        n = t & 0x1f;
        w = 0;
    } else if (!bin && t >= 0xd9 && t <= 0xdb) {
        w = 1u << (t - 0xd9);
        n = 0;
    } else if (bin && t >= 0xc4 && t <= 0xc6) {
        w = 1u << (t - 0xc4);
        n = 0;
    } else {
        return fail(r, SLOT_MALFORMED);
    }
    if (!need(r, 1 + w)) {
        return false;
    }
    if (w > 0) {
        n = be(r->p + 1, w);
    }
    r->p += 1 + w;
    if (n > max_len) {
        return fail(r, SLOT_TOO_LARGE);
    }
    if (!need(r, n)) {
        return false;
    }
    s->p = (const char *)r->p;
    s->len = (uint32_t)n;
    r->p += n;
    return true;
}

bool mp_read_str(struct mp_reader *r, uint32_t max_len, struct slot_str *s)
{
    return readBytes(r, false, max_len, s);
}

bool mp_read_bin(struct mp_reader *r, uint32_t max_len, struct slot_str *s)
{
    return readBytes(r, true, max_len, s);
}

static bool skipDepth(struct mp_reader *r, unsigned depth)
{
    if (depth > MP_DEPTH_MAX) {
        return fail(r, SLOT_MALFORMED);
    }
    if (!need(r, 1)) {
        return false;
    }
    uint8_t t = *r->p;
    uint64_t n = 0;     /* elements to follow */
    unsigned per = 0;   /* values per element (1 array, 2 map) */
    size_t payload = 0; /* raw bytes to skip after the header */
    unsigned hdr = 1;
    if (t <= 0x7f || t >= 0xe0 || t == 0xc0 || t == 0xc2 || t == 0xc3) {
        /* fixint, nil, bool */
    } else if ((t & 0xf0) == 0x80) {
        n = t & 0x0f;
        per = 2;
    } else if ((t & 0xf0) == 0x90) {
        n = t & 0x0f;
        per = 1;
    } else if ((t & 0xe0) == 0xa0) {
        payload = t & 0x1f;
    } else {
        unsigned w;
        switch (t) {
            case 0xc4:
            case 0xd9:
                w = 1;
                hdr += w;
                break;
            case 0xc5:
            case 0xda:
                w = 2;
                hdr += w;
                break;
            case 0xc6:
            case 0xdb:
                w = 4;
                hdr += w;
                break;
            case 0xc7:
                w = 1;
                hdr += w + 1;
                break; /* ext 8/16/32: +type */
            case 0xc8:
                w = 2;
                hdr += w + 1;
                break;
            case 0xc9:
                w = 4;
                hdr += w + 1;
                break;
            case 0xcc:
            case 0xd0:
                payload = 1;
                w = 0;
                break;
            case 0xcd:
            case 0xd1:
                payload = 2;
                w = 0;
                break;
            case 0xca:
            case 0xce:
            case 0xd2:
                payload = 4;
                w = 0;
                break;
            case 0xcb:
            case 0xcf:
            case 0xd3:
                payload = 8;
                w = 0;
                break;
            case 0xd4:
                payload = 2;
                w = 0;
                break; /* fixext: type + data */
            case 0xd5:
                payload = 3;
                w = 0;
                break;
            case 0xd6:
                payload = 5;
                w = 0;
                break;
            case 0xd7:
                payload = 9;
                w = 0;
                break;
            case 0xd8:
                payload = 17;
                w = 0;
                break;
            case 0xdc:
                w = 2;
                per = 1;
                hdr += w;
                break;
            case 0xdd:
                w = 4;
                per = 1;
                hdr += w;
                break;
            case 0xde:
                w = 2;
                per = 2;
                hdr += w;
                break;
            case 0xdf:
                w = 4;
                per = 2;
                hdr += w;
                break;
            default:
                return fail(r, SLOT_MALFORMED); /* 0xc1: never used */
        }
        if (w > 0) {
            if (!need(r, hdr)) {
                return false;
            }
            uint64_t v = be(r->p + 1, w);
            if (per > 0) {
                n = v;
            } else {
                payload = (size_t)v;
            }
        }
    }
    if (!need(r, hdr)) {
        return false;
    }
    r->p += hdr;
    if (payload > 0) {
        if (!need(r, payload)) {
            return false;
        }
        r->p += payload;
        return true;
    }
    /* Each value is at least one byte: refuse counts the input cannot hold,
     * which also bounds this loop by the input length. */
    if (per > 0 && n * per > (uint64_t)(r->end - r->p)) {
        return fail(r, SLOT_MALFORMED);
    }
    for (uint64_t i = 0; i < n * per; i++) {
        if (!skipDepth(r, depth + 1)) {
            return false;
        }
    }
    return true;
}

bool mp_skip(struct mp_reader *r)
{
    return skipDepth(r, 0);
}

bool mp_done(const struct mp_reader *r)
{
    return r->err == 0 && r->p == r->end;
}

size_t mp_left(const struct mp_reader *r)
{
    return (size_t)(r->end - r->p);
}

/* ---- writing --------------------------------------------------------- */

static int bufWrite(void *data, const char *p, size_t n)
{
    mp_buf_append(data, p, n);
    return 0;
}

void mp_buf_init(struct mp_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    msgpack_packer_init(&b->pk, b, bufWrite);
}

void mp_buf_free(struct mp_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void mp_buf_reset(struct mp_buf *b)
{
    b->len = 0;
}

uint8_t *mp_buf_reserve(struct mp_buf *b, size_t n)
{
    if (b->cap - b->len < n) {
        size_t cap = b->cap < 256 ? 256 : b->cap;
        while (cap - b->len < n) {
            cap *= 2;
        }
        uint8_t *d = realloc(b->data, cap);
        if (d == NULL) {
            /* Out of memory while encoding: there is no consistent way to
             * answer half a reply or write half a snapshot. */
            fprintf(stderr, "mp_buf: out of memory (%zu bytes)\n", cap);
            abort();
        }
        b->data = d;
        b->cap = cap;
    }
    return b->data + b->len;
}

void mp_buf_append(struct mp_buf *b, const void *p, size_t n)
{
    if (n == 0) {
        return;
    }
    memcpy(mp_buf_reserve(b, n), p, n);
    b->len += n;
}

void mp_buf_swap(struct mp_buf *a, struct mp_buf *b)
{
    uint8_t *d = a->data;
    size_t len = a->len, cap = a->cap;
    a->data = b->data;
    a->len = b->len;
    a->cap = b->cap;
    b->data = d;
    b->len = len;
    b->cap = cap;
}

uint8_t *mp_buf_steal(struct mp_buf *b, size_t *len)
{
    uint8_t *d = b->data;
    *len = b->len;
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return d;
}

void mp_pack_str(struct mp_buf *b, const char *p, size_t len)
{
    msgpack_pack_str_with_body(&b->pk, p, len);
}

void mp_pack_sstr(struct mp_buf *b, struct slot_str s)
{
    msgpack_pack_str_with_body(&b->pk, s.p, s.len);
}

void mp_pack_cstr(struct mp_buf *b, const char *s)
{
    msgpack_pack_str_with_body(&b->pk, s, strlen(s));
}

void mp_pack_uint(struct mp_buf *b, uint64_t v)
{
    msgpack_pack_uint64(&b->pk, v);
}

void mp_pack_int(struct mp_buf *b, int64_t v)
{
    msgpack_pack_int64(&b->pk, v);
}

void mp_pack_array(struct mp_buf *b, uint32_t n)
{
    msgpack_pack_array(&b->pk, n);
}

void mp_pack_bool(struct mp_buf *b, bool v)
{
    if (v) {
        msgpack_pack_true(&b->pk);
    } else {
        msgpack_pack_false(&b->pk);
    }
}

void mp_pack_bin(struct mp_buf *b, const void *p, size_t len)
{
    msgpack_pack_bin_with_body(&b->pk, p, len);
}

/* ---- hashing ---------------------------------------------------------- */

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

static uint64_t mix(uint64_t x)
{
    /* splitmix64 finaliser: full avalanche, cheap. */
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

uint64_t slot_hash64(const void *data, size_t len, uint64_t seed)
{
    const uint8_t *p = data;
    uint64_t h = seed ^ (0x9e3779b97f4a7c15ULL * (len + 1));
    while (len >= 8) {
        h = mix(h ^ le64(p)) * 0x9e3779b97f4a7c15ULL;
        p += 8;
        len -= 8;
    }
    uint64_t tail = 0;
    for (size_t i = 0; i < len; i++) {
        tail |= (uint64_t)p[i] << (8 * i);
    }
    return mix(h ^ tail ^ ((uint64_t)len << 56));
}
