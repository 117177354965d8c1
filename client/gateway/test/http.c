/* http: the tests' HTTP client (see http.h). */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int tconn_open(struct tconn *c, int port)
{
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    c->port = port;
    c->len = 0;
    if (c->fd < 0) {
        return -1;
    }
    struct timeval tv = {15, 0};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    return 0;
}

void tconn_close(struct tconn *c)
{
    if (c->fd >= 0) {
        close(c->fd);
    }
    c->fd = -1;
    c->len = 0;
}

static int sendAll(struct tconn *c, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads more bytes into the buffer; -1 on close, error or timeout. */
static int fill(struct tconn *c)
{
    if (c->len == sizeof c->buf) {
        return -1;
    }
    for (;;) {
        ssize_t n = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return -1;
        }
        c->len += (size_t)n;
        return 0;
    }
}

static void consume(struct tconn *c, size_t n)
{
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
}

const char *tresp_header(const struct tresp *r, const char *name, char *out,
                         size_t cap)
{
    size_t nl = strlen(name);
    const char *p = strstr(r->head, "\r\n");
    while (p != NULL && p[2] != '\0') {
        p += 2;
        const char *e = strstr(p, "\r\n");
        if (e == NULL) {
            break;
        }
        if ((size_t)(e - p) > nl && strncasecmp(p, name, nl) == 0 &&
            p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ') {
                v++;
            }
            size_t vl = (size_t)(e - v);
            if (vl >= cap) {
                vl = cap - 1;
            }
            memcpy(out, v, vl);
            out[vl] = '\0';
            return out;
        }
        p = e;
    }
    return NULL;
}

/* Reads a chunked body into r. */
static int readChunked(struct tconn *c, struct tresp *r)
{
    size_t cap = 1024;
    r->body = malloc(cap);
    r->body_len = 0;
    for (int guard = 0; guard < 100000; guard++) {
        char *eol;
        while ((eol = memmem(c->buf, c->len, "\r\n", 2)) == NULL) {
            if (fill(c) != 0) {
                return -1;
            }
        }
        size_t sz = strtoul(c->buf, NULL, 16);
        consume(c, (size_t)(eol - c->buf) + 2);
        while (c->len < sz + 2) {
            if (fill(c) != 0) {
                return -1;
            }
        }
        if (r->body_len + sz + 1 > cap) {
            while (r->body_len + sz + 1 > cap) {
                cap *= 2;
            }
            r->body = realloc(r->body, cap);
        }
        memcpy(r->body + r->body_len, c->buf, sz);
        r->body_len += sz;
        consume(c, sz + 2);
        if (sz == 0) {
            r->body[r->body_len] = '\0';
            return 0;
        }
    }
    return -1;
}

int tread(struct tconn *c, struct tresp *r)
{
    memset(r, 0, sizeof *r);
    char *end;
    while ((end = memmem(c->buf, c->len, "\r\n\r\n", 4)) == NULL) {
        if (fill(c) != 0) {
            return 0;
        }
    }
    size_t hl = (size_t)(end - c->buf) + 4;
    size_t keep = hl < sizeof r->head ? hl : sizeof r->head - 1;
    memcpy(r->head, c->buf, keep);
    r->head[keep] = '\0';
    consume(c, hl);
    int status = 0;
    if (sscanf(r->head, "HTTP/1.%*d %d", &status) != 1) {
        return 0;
    }
    char v[64];
    if (tresp_header(r, "transfer-encoding", v, sizeof v) != NULL &&
        strcasecmp(v, "chunked") == 0) {
        if (readChunked(c, r) != 0) {
            return 0;
        }
    } else {
        size_t cl = 0;
        if (tresp_header(r, "content-length", v, sizeof v) != NULL) {
            cl = strtoul(v, NULL, 10);
        }
        r->body = malloc(cl + 1);
        size_t got = 0;
        while (got < cl) {
            if (c->len == 0 && fill(c) != 0) {
                return 0;
            }
            size_t n = c->len < cl - got ? c->len : cl - got;
            memcpy(r->body + got, c->buf, n);
            consume(c, n);
            got += n;
        }
        r->body[cl] = '\0';
        r->body_len = cl;
    }
    r->json = json_loadb(r->body, r->body_len, 0, NULL);
    r->status = status;
    return status;
}

/* Reopens a kept-alive connection the server has closed meanwhile (an
 * error it answered with "connection: close", an idle timeout). */
static void freshen(struct tconn *c)
{
    if (c->fd < 0 || c->len > 0) {
        return;
    }
    struct pollfd p = {c->fd, POLLIN, 0};
    char b;
    if (poll(&p, 1, 0) == 1 &&
        recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) <= 0) {
        tconn_close(c);
    }
}

int traw(struct tconn *c, const char *raw, size_t len, struct tresp *r)
{
    memset(r, 0, sizeof *r);
    freshen(c);
    if (c->fd < 0 && tconn_open(c, c->port) != 0) {
        return 0;
    }
    if (sendAll(c, raw, len) != 0) {
        return 0;
    }
    return tread(c, r);
}

int treq(struct tconn *c, const char *method, const char *path,
         const char *token, const char *idem, const char *body, struct tresp *r)
{
    return treqh(c, method, path, token, idem, NULL, body, r);
}

int treqh(struct tconn *c, const char *method, const char *path,
          const char *token, const char *idem, const char *headers,
          const char *body, struct tresp *r)
{
    memset(r, 0, sizeof *r);
    size_t bl = body != NULL ? strlen(body) : 0;
    size_t cap =
        1024 + bl + strlen(path) + (headers != NULL ? strlen(headers) : 0);
    char *req = malloc(cap);
    int n = snprintf(req, cap, "%s %s HTTP/1.1\r\nHost: t\r\n", method, path);
    if (headers != NULL) {
        n += snprintf(req + n, cap - (size_t)n, "%s", headers);
    }
    if (token != NULL) {
        n += snprintf(req + n, cap - (size_t)n, "Authorization: Bearer %s\r\n",
                      token);
    }
    if (idem != NULL) {
        n +=
            snprintf(req + n, cap - (size_t)n, "Idempotency-Key: %s\r\n", idem);
    }
    if (body != NULL) {
        n += snprintf(
            req + n, cap - (size_t)n,
            "Content-Type: application/json\r\nContent-Length: %zu\r\n", bl);
    }
    n += snprintf(req + n, cap - (size_t)n, "\r\n");
    memcpy(req + n, body != NULL ? body : "", bl);
    size_t total = (size_t)n + bl;
    /* A kept-alive connection the server closed meanwhile: one retry on a
     * fresh connection (only when nothing came back at all). */
    freshen(c);
    for (int attempt = 0; attempt < 2; attempt++) {
        if (c->fd < 0 && tconn_open(c, c->port) != 0) {
            break;
        }
        if (sendAll(c, req, total) == 0 && tread(c, r) > 0) {
            break;
        }
        tresp_free(r);
        tconn_close(c);
        if (attempt == 0 && strcmp(method, "GET") != 0) {
            break; /* never repeat a write blindly */
        }
    }
    free(req);
    return r->status;
}

void tresp_free(struct tresp *r)
{
    free(r->body);
    if (r->json != NULL) {
        json_decref(r->json);
    }
    r->body = NULL;
    r->json = NULL;
}

const char *tresp_code(const struct tresp *r)
{
    json_t *e = r->json != NULL ? json_object_get(r->json, "error") : NULL;
    json_t *c = e != NULL ? json_object_get(e, "code") : NULL;
    return c != NULL && json_is_string(c) ? json_string_value(c) : "";
}

long long tresp_int(const struct tresp *r, const char *key)
{
    json_t *v = r->json != NULL ? json_object_get(r->json, key) : NULL;
    return v != NULL && json_is_integer(v) ? (long long)json_integer_value(v)
                                           : -1;
}
