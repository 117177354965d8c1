/* fuzz_admin: the decoders of proto/ that the other fuzzers leave out, on
 * arbitrary bytes: the administration messages (slot_admin.h: a request
 * and a node's status) and the text parsers every person-typed value goes
 * through (slot_addr.h's HOST:PORT, slot_time.h's dates and minutes). The
 * first byte chooses what the rest is:
 *
 *   0  an admin request (msgpack). Whatever decodes re-encodes to bytes that
 *      decode to the same struct and re-encode to the same bytes; an ADD
 *      carries a non-empty address, every op but STATUS and TRANSFER a
 *      non-zero id.
 *   1  a node status (msgpack), the same round trip. The old 12- and
 *      15-field forms decode with the later fields (membership, stalls) 0,
 *      so the re-encoding may be longer than the input: only a fixed point
 *      is asked of it.
 *   2  "HOST:PORT". slot_hostport_parse accepts exactly what refHostPort
 *      (an independent statement of slot_addr.h's accepted forms, written
 *      here) accepts, and says TOO_LARGE only for a host over 253 bytes or a
 *      label over 63. An accepted address printed back ("[v6]:port" or
 *      "host:port") parses to the same struct. A refusal's message starts
 *      with the field's name, is NUL-terminated and fits the caller's
 *      buffer, whatever its size (the next byte picks it, 0 meaning no
 *      buffer; the buffer is allocated to that size, so ASan sees an
 *      overrun).
 *   3  "YYYY-MM-DD": slot_day_parse accepts exactly the valid dates of days
 *      1..SLOT_DAY_MAX spelled that way (refDay), and slot_day_format gives
 *      the same 10 bytes back; the first four bytes as a day number
 *      (mod SLOT_DAY_MAX + 2) format and parse back to that day, or to -1
 *      for day 0 and SLOT_DAY_MAX + 1.
 *   4  "HH:MM": the same for slot_minute_parse / slot_minute_format.
 *
 * Every text input is handed over in a buffer of exactly its length (no
 * NUL after it, as h2o and the command line parsers hand them over).
 * Seeds: proto/fuzz/corpus/fuzz_admin/ (`make corpus`).
 */
#include <arpa/inet.h>
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slot_addr.h"
#include "slot_admin.h"
#include "slot_err.h"
#include "slot_time.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool sameBytes(const struct mp_buf *a, const struct mp_buf *b)
{
    return a->len == b->len &&
           (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static void adminRoundTrip(const uint8_t *data, size_t size)
{
    struct slot_admin a, b;
    struct mp_reader r;
    mp_reader_init(&r, data, size);
    if (slot_admin_decode(&r, &a) != SLOT_OK || !mp_done(&r)) {
        return;
    }
    assert(a.op >= SLOT_ADMIN_STATUS && a.op <= SLOT_ADMIN_LEAVE);
    assert(a.op != SLOT_ADMIN_ADD || a.address[0] != '\0');
    assert(a.op == SLOT_ADMIN_STATUS || a.op == SLOT_ADMIN_TRANSFER ||
           a.id != 0);
    assert(a.role <= SLOT_ROLE_SPARE);
    struct mp_buf m1, m2;
    mp_buf_init(&m1);
    mp_buf_init(&m2);
    slot_admin_encode(&m1, &a);
    mp_reader_init(&r, m1.data, m1.len);
    assert(slot_admin_decode(&r, &b) == SLOT_OK && mp_done(&r));
    assert(memcmp(&a, &b, sizeof a) == 0);
    slot_admin_encode(&m2, &b);
    assert(sameBytes(&m1, &m2));
    mp_buf_free(&m1);
    mp_buf_free(&m2);
}

static void statusRoundTrip(const uint8_t *data, size_t size)
{
    /* Static: a status is about 4.5 KB with its 16 members. */
    static struct slot_node_status a, b;
    struct mp_reader r;
    mp_reader_init(&r, data, size);
    if (slot_node_status_decode(&r, &a) != SLOT_OK || !mp_done(&r)) {
        return;
    }
    assert(a.n_members <= SLOT_MEMBERS_MAX);
    struct mp_buf m1, m2;
    mp_buf_init(&m1);
    mp_buf_init(&m2);
    slot_node_status_encode(&m1, &a);
    mp_reader_init(&r, m1.data, m1.len);
    assert(slot_node_status_decode(&r, &b) == SLOT_OK && mp_done(&r));
    assert(memcmp(&a, &b, sizeof a) == 0);
    slot_node_status_encode(&m2, &b);
    assert(sameBytes(&m1, &m2));
    mp_buf_free(&m1);
    mp_buf_free(&m2);
}

/* ---- HOST:PORT, stated apart from slot_addr.c --------------------------- */

enum ref_verdict { REF_OK, REF_BAD, REF_TOO_LARGE };

static bool refLetterDigit(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9');
}

/* A DNS name of slot_addr.h: labels of [A-Za-z0-9-], 1..63 bytes, not
 * starting or ending with '-', one trailing '.' allowed, the last label not
 * all digits. Size rules and charset rules are both checked label by label
 * in order, so the verdict of the first broken label decides. */
static enum ref_verdict refName(const char *h, size_t n)
{
    if (n > 1 && h[n - 1] == '.') {
        n--;
    }
    size_t i = 0;
    bool all_digits = true;
    for (;;) {
        size_t j = i;
        all_digits = true;
        while (j < n && h[j] != '.') {
            if (!refLetterDigit(h[j]) && h[j] != '-') {
                return REF_BAD;
            }
            if (h[j] < '0' || h[j] > '9') {
                all_digits = false;
            }
            j++;
        }
        if (j == i) {
            return REF_BAD;
        }
        if (j - i > SLOT_LABEL_MAX) {
            return REF_TOO_LARGE;
        }
        if (h[i] == '-' || h[j - 1] == '-') {
            return REF_BAD;
        }
        if (j >= n) {
            break;
        }
        i = j + 1;
    }
    return all_digits ? REF_BAD : REF_OK;
}

static enum ref_verdict refHostPort(const char *s, size_t n, bool *v6)
{
    const char *host, *port;
    size_t host_n, port_n;
    *v6 = n > 0 && s[0] == '[';
    if (n == 0) {
        return REF_BAD;
    }
    if (*v6) {
        const char *close = memchr(s, ']', n);
        if (close == NULL || close + 1 >= s + n || close[1] != ':') {
            return REF_BAD;
        }
        host = s + 1;
        host_n = (size_t)(close - host);
        port = close + 2;
    } else {
        const char *colon = NULL;
        for (size_t i = 0; i < n; i++) {
            if (s[i] == ':') {
                if (colon != NULL) {
                    return REF_BAD; /* v6 without brackets */
                }
                colon = s + i;
            }
        }
        if (colon == NULL) {
            return REF_BAD;
        }
        host = s;
        host_n = (size_t)(colon - s);
        port = colon + 1;
    }
    port_n = (size_t)(s + n - port);
    if (port_n < 1 || port_n > 5) {
        return REF_BAD;
    }
    unsigned value = 0;
    for (size_t i = 0; i < port_n; i++) {
        if (port[i] < '0' || port[i] > '9') {
            return REF_BAD;
        }
        value = value * 10 + (unsigned)(port[i] - '0');
    }
    if (value < 1 || value > 65535 || host_n == 0) {
        return REF_BAD;
    }
    if (host_n > SLOT_HOST_MAX) {
        return REF_TOO_LARGE;
    }
    if (memchr(host, '\0', host_n) != NULL) {
        return REF_BAD;
    }
    char text[SLOT_HOST_MAX + 1];
    unsigned char bin[16];
    memcpy(text, host, host_n);
    text[host_n] = '\0';
    if (*v6) {
        return inet_pton(AF_INET6, text, bin) == 1 ? REF_OK : REF_BAD;
    }
    if (inet_pton(AF_INET, text, bin) == 1) {
        return REF_OK;
    }
    return refName(text, host_n);
}

static void hostPort(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return;
    }
    size_t err_len = data[0];
    size_t n = size - 1;
    /* Exactly n bytes: the parser must not read a NUL after them. */
    char *s = malloc(n > 0 ? n : 1);
    char *err = err_len > 0 ? malloc(err_len) : NULL;
    assert(s != NULL && (err_len == 0 || err != NULL));
    memcpy(s, data + 1, n);
    struct slot_hostport hp;
    bool v6;
    enum ref_verdict want = refHostPort(s, n, &v6);
    int rc = slot_hostport_parse(s, n, "cluster", &hp, err, err_len);
    if (want == REF_OK) {
        assert(rc == SLOT_OK);
        assert(hp.kind >= SLOT_HOST_NAME && hp.kind <= SLOT_HOST_IPV6);
        assert(v6 == (hp.kind == SLOT_HOST_IPV6));
        assert(strlen(hp.host) >= 1 && strlen(hp.host) <= SLOT_HOST_MAX);
        assert(hp.port >= 1);
        char port_text[8];
        snprintf(port_text, sizeof port_text, "%u", (unsigned)hp.port);
        assert(strcmp(port_text, hp.port_text) == 0);
        /* Printed back, it parses to the same thing. */
        char again[SLOT_HOST_MAX + 16];
        int len = snprintf(again, sizeof again,
                           hp.kind == SLOT_HOST_IPV6 ? "[%s]:%u" : "%s:%u",
                           hp.host, (unsigned)hp.port);
        assert(len > 0 && (size_t)len < sizeof again);
        struct slot_hostport hp2;
        assert(slot_hostport_parse(again, (size_t)len, "cluster", &hp2, NULL,
                                   0) == SLOT_OK);
        assert(memcmp(&hp, &hp2, sizeof hp) == 0);
    } else {
        assert(rc == (want == REF_TOO_LARGE ? SLOT_TOO_LARGE
                                            : SLOT_INVALID_ARGUMENT));
        if (err_len > 0) {
            size_t len = strnlen(err, err_len);
            assert(len < err_len);
            /* Starts with the field, as far as the buffer holds. */
            size_t k = len < 7 ? len : 7;
            assert(memcmp(err, "cluster", k) == 0);
        }
    }
    free(s);
    free(err);
}

/* ---- dates and minutes --------------------------------------------------- */

static bool refDigits(const char *s, size_t n, int64_t *out)
{
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* Days since 1970-01-01 of a valid civil date, counted the slow way. */
static int64_t refDay(const char *s, size_t n)
{
    int64_t y, m, d;
    if (n != 10 || s[4] != '-' || s[7] != '-' || !refDigits(s, 4, &y) ||
        !refDigits(s + 5, 2, &m) || !refDigits(s + 8, 2, &d)) {
        return -1;
    }
    static const int mdays[12] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1970 || m < 1 || m > 12 || d < 1 ||
        d > mdays[m - 1] + (m == 2 && leap ? 1 : 0)) {
        return -1;
    }
    int64_t day = 0;
    for (int64_t k = 1970; k < y && day <= SLOT_DAY_MAX; k++) {
        day += (k % 4 == 0 && k % 100 != 0) || k % 400 == 0 ? 366 : 365;
    }
    for (int64_t k = 1; k < m; k++) {
        day += mdays[k - 1] + (k == 2 && leap ? 1 : 0);
    }
    day += d - 1;
    return day >= 1 && day <= SLOT_DAY_MAX ? day : -1;
}

static void days(const uint8_t *data, size_t size)
{
    char *s = malloc(size > 0 ? size : 1);
    assert(s != NULL);
    memcpy(s, data, size);
    int64_t got = slot_day_parse(s, size);
    assert(got == refDay(s, size));
    char out[11];
    if (got >= 0) {
        slot_day_format((uint32_t)got, out);
        assert(strlen(out) == 10 && memcmp(out, s, 10) == 0);
    }
    if (size >= 4) {
        /* 0..SLOT_DAY_MAX + 1: both ends of the valid range and one past
         * each (day 0, 1970-01-01, is not a valid date of ours). */
        uint32_t day = ((uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 |
                        (uint32_t)data[2] << 8 | data[3]) %
                       (SLOT_DAY_MAX + 2);
        slot_day_format(day, out);
        int64_t want = day >= 1 && day <= SLOT_DAY_MAX ? (int64_t)day : -1;
        assert(slot_day_parse(out, strlen(out)) == want);
    }
    free(s);
}

static void minutes(const uint8_t *data, size_t size)
{
    char *s = malloc(size > 0 ? size : 1);
    assert(s != NULL);
    memcpy(s, data, size);
    int64_t h, m;
    bool ok = size == 5 && s[2] == ':' && refDigits(s, 2, &h) &&
              refDigits(s + 3, 2, &m) && h < 24 && m < 60;
    int32_t got = slot_minute_parse(s, size);
    assert(got == (ok ? (int32_t)(h * 60 + m) : -1));
    char out[6];
    if (got >= 0) {
        slot_minute_format((uint32_t)got, out);
        assert(strlen(out) == 5 && memcmp(out, s, 5) == 0);
    }
    if (size >= 2) {
        uint32_t minute = ((uint32_t)data[0] << 8 | data[1]) % 1440;
        slot_minute_format(minute, out);
        assert(slot_minute_parse(out, strlen(out)) == (int32_t)minute);
    }
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    const uint8_t *rest = data + 1;
    size_t n = size - 1;
    switch (data[0] % 5) {
        case 0:
            adminRoundTrip(rest, n);
            break;
        case 1:
            statusRoundTrip(rest, n);
            break;
        case 2:
            hostPort(rest, n);
            break;
        case 3:
            days(rest, n);
            break;
        default:
            minutes(rest, n);
            break;
    }
    return 0;
}
