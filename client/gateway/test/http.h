/* http: a minimal blocking HTTP/1.1 client for the gateway tests.
 *
 * One connection per struct tconn (keep-alive), every socket operation
 * bounded by a 15 s timeout. Responses are read by Content-Length (or
 * chunked), bodies parsed as JSON when they are JSON.
 */
#ifndef GW_TEST_HTTP_H
#define GW_TEST_HTTP_H

#include <jansson.h>
#include <stddef.h>

struct tconn {
    int fd;
    int port;
    size_t len; /* bytes buffered */
    char buf[1 << 16];
};

struct tresp {
    int status;      /* 0: the connection closed (or timed out) first */
    char head[8192]; /* status line and headers, NUL-terminated */
    char *body;      /* malloc'd, NUL-terminated */
    size_t body_len;
    json_t *json; /* body parsed, or NULL */
};

/* Connects to 127.0.0.1:port. Returns 0 or -1. */
int tconn_open(struct tconn *c, int port);
void tconn_close(struct tconn *c);

/* Sends one request (token: the bearer token or NULL; idem: an
 * Idempotency-Key or NULL; body NULL for none) and reads the response.
 * Reconnects first if the server closed the connection. Returns the
 * status (0 on failure). r must be freed with tresp_free. */
int treq(struct tconn *c, const char *method, const char *path,
         const char *token, const char *idem, const char *body,
         struct tresp *r);

/* treq with more header lines (each ending "\r\n"), or NULL. */
int treqh(struct tconn *c, const char *method, const char *path,
          const char *token, const char *idem, const char *headers,
          const char *body, struct tresp *r);

/* Sends raw bytes as they are and reads one response. */
int traw(struct tconn *c, const char *raw, size_t len, struct tresp *r);

/* Only reads one response (after a send done elsewhere). */
int tread(struct tconn *c, struct tresp *r);

void tresp_free(struct tresp *r);

/* A response header's value (case-insensitive name) into out, or NULL. */
const char *tresp_header(const struct tresp *r, const char *name, char *out,
                         size_t cap);

/* error.code of a JSON error body, or "" */
const char *tresp_code(const struct tresp *r);

/* Integer member of the JSON body (-1 if absent). */
long long tresp_int(const struct tresp *r, const char *key);

#endif /* GW_TEST_HTTP_H */
