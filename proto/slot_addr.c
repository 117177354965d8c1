#include "slot_addr.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "slot_err.h"

/* Longest text worth quoting back in a message. */
#define QUOTE_MAX 80

__attribute__((format(printf, 7, 8))) static int
fail(int code, char *err, size_t err_len, const char *field, const char *s,
     size_t len, const char *fmt, ...)
{
    if (err == NULL || err_len == 0) {
        return code;
    }
    int q = len > QUOTE_MAX ? QUOTE_MAX : (int)len;
    int n = snprintf(err, err_len, "%s '%.*s%s': ", field, q, s,
                     len > QUOTE_MAX ? "..." : "");
    if (n >= 0 && (size_t)n < err_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + n, err_len - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return code;
}

static bool isAlnum(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9');
}

/* RFC 1123 host name rules on a NUL-terminated host. Returns NULL or the
 * rule broken; *too_large tells a size rule from a charset rule. */
static const char *nameRule(const char *h, size_t hl, bool *too_large)
{
    *too_large = false;
    if (hl > SLOT_HOST_MAX) {
        *too_large = true;
        return "host name longer than 253 bytes";
    }
    size_t end = hl > 1 && h[hl - 1] == '.' ? hl - 1 : hl; /* FQDN dot */
    size_t start = 0;
    bool last_digits = true;
    while (start <= end) {
        size_t i = start;
        bool digits = true;
        while (i < end && h[i] != '.') {
            if (!isAlnum(h[i]) && h[i] != '-') {
                return "a host name has only letters, digits, '-' and '.'";
            }
            digits = digits && h[i] >= '0' && h[i] <= '9';
            i++;
        }
        size_t ll = i - start;
        if (ll == 0) {
            return "empty label (\"..\", or a leading '.')";
        }
        if (ll > SLOT_LABEL_MAX) {
            *too_large = true;
            return "a label (between dots) is longer than 63 bytes";
        }
        if (h[start] == '-' || h[i - 1] == '-') {
            return "a label starts or ends with '-'";
        }
        last_digits = digits;
        start = i + 1;
    }
    if (last_digits) {
        return "not a valid IPv4 address (and a host name's last label is "
               "not all digits)";
    }
    return NULL;
}

int slot_hostport_parse(const char *s, size_t len, const char *field,
                        struct slot_hostport *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    if (len == 0) {
        return fail(SLOT_INVALID_ARGUMENT, err, err_len, field, s, len,
                    "empty address: want HOST:PORT");
    }
    const char *h = s, *colon;
    size_t hl;
    bool bracket = s[0] == '[';
    if (bracket) {
        const char *close = memchr(s, ']', len);
        if (close == NULL) {
            return fail(SLOT_INVALID_ARGUMENT, err, err_len, field, s, len,
                        "'[' without ']': want [IPV6]:PORT");
        }
        colon = close + 1;
        if (colon == s + len || *colon != ':') {
            return fail(SLOT_INVALID_ARGUMENT, err, err_len, field, s, len,
                        "want [IPV6]:PORT (a ':' and the port after ']')");
        }
        h = s + 1;
        hl = (size_t)(close - h);
    } else {
        colon = NULL;
        for (size_t i = len; i > 0; i--) {
            if (s[i - 1] == ':') {
                colon = s + i - 1;
                break;
            }
        }
        if (colon == NULL) {
            return fail(SLOT_INVALID_ARGUMENT, err, err_len, field, s, len,
                        "no port: want HOST:PORT");
        }
        hl = (size_t)(colon - s);
        if (memchr(s, ':', hl) != NULL) {
            return fail(SLOT_INVALID_ARGUMENT, err, err_len, field, s, len,
                        "an IPv6 address goes in brackets: [IPV6]:PORT");
        }
    }
    /* The port: 1..5 digits, 1..65535. */
    const char *p = colon + 1;
    size_t pl = (size_t)(s + len - p);
    unsigned long port = 0;
    bool port_ok = pl >= 1 && pl <= 5;
    for (size_t i = 0; port_ok && i < pl; i++) {
        port_ok = p[i] >= '0' && p[i] <= '9';
        port = port * 10 + (unsigned long)(p[i] - '0');
    }
    if (!port_ok || port == 0 || port > 65535) {
        return fail(SLOT_INVALID_ARGUMENT, err, err_len, field, s, len,
                    "port '%.*s' is not a number 1..65535",
                    (int)(pl > 8 ? 8 : pl), p);
    }
    out->port = (uint16_t)port;
    snprintf(out->port_text, sizeof out->port_text, "%lu", port);
    if (hl == 0) {
        return fail(SLOT_INVALID_ARGUMENT, err, err_len, field, s, len,
                    "empty host: want HOST:PORT");
    }
    if (hl > SLOT_HOST_MAX) {
        return fail(SLOT_TOO_LARGE, err, err_len, field, s, len,
                    "host longer than %d bytes", SLOT_HOST_MAX);
    }
    if (memchr(h, '\0', hl) != NULL) {
        return fail(SLOT_INVALID_ARGUMENT, err, err_len, field, s, len,
                    "a NUL byte in the host");
    }
    memcpy(out->host, h, hl);
    out->host[hl] = '\0';
    unsigned char bin[16];
    if (bracket) {
        if (inet_pton(AF_INET6, out->host, bin) != 1) {
            return fail(SLOT_INVALID_ARGUMENT, err, err_len, field, s, len,
                        "'%s' is not an IPv6 address", out->host);
        }
        out->kind = SLOT_HOST_IPV6;
        return SLOT_OK;
    }
    if (inet_pton(AF_INET, out->host, bin) == 1) {
        out->kind = SLOT_HOST_IPV4;
        return SLOT_OK;
    }
    bool too_large;
    const char *rule = nameRule(out->host, hl, &too_large);
    if (rule != NULL) {
        return fail(too_large ? SLOT_TOO_LARGE : SLOT_INVALID_ARGUMENT, err,
                    err_len, field, s, len, "%s", rule);
    }
    out->kind = SLOT_HOST_NAME;
    return SLOT_OK;
}

void slot_hostport_hints(const struct slot_hostport *hp, int family,
                         struct addrinfo *hints)
{
    memset(hints, 0, sizeof *hints);
    hints->ai_family = family;
    hints->ai_socktype = SOCK_STREAM;
    hints->ai_flags =
        AI_NUMERICSERV | (hp->kind != SLOT_HOST_NAME ? AI_NUMERICHOST : 0);
}

const struct addrinfo *slot_addrinfo_pick(const struct addrinfo *res,
                                          uint32_t skip)
{
    uint32_t n = 0;
    for (const struct addrinfo *a = res; a != NULL; a = a->ai_next) {
        n += a->ai_family == AF_INET || a->ai_family == AF_INET6;
    }
    if (n == 0) {
        return NULL;
    }
    uint32_t want = skip % n, i = 0;
    for (int pass = 0; pass < 2; pass++) {
        int fam = pass == 0 ? AF_INET : AF_INET6;
        for (const struct addrinfo *a = res; a != NULL; a = a->ai_next) {
            if (a->ai_family == fam && i++ == want) {
                return a;
            }
        }
    }
    return NULL;
}

int slot_hostport_resolve_startup(const struct slot_hostport *hp,
                                  const char *field, int family,
                                  struct sockaddr_storage *out, char *err,
                                  size_t err_len)
{
    struct addrinfo hints, *res = NULL;
    slot_hostport_hints(hp, family, &hints);
    int rv = getaddrinfo(hp->host, hp->port_text, &hints, &res);
    const struct addrinfo *pick = rv == 0 ? slot_addrinfo_pick(res, 0) : NULL;
    if (pick == NULL || pick->ai_addrlen > sizeof *out) {
        if (err != NULL && err_len > 0) {
            snprintf(err, err_len, "%s '%s:%s': %s%s%s", field, hp->host,
                     hp->port_text,
                     family == AF_INET ? "no IPv4 address for this host"
                                       : "no address for this host",
                     rv != 0 ? ": " : "", rv != 0 ? gai_strerror(rv) : "");
        }
        if (res != NULL) {
            freeaddrinfo(res);
        }
        return SLOT_UNAVAILABLE;
    }
    memset(out, 0, sizeof *out);
    memcpy(out, pick->ai_addr, pick->ai_addrlen);
    freeaddrinfo(res);
    return SLOT_OK;
}
