/* httpc: a small HTTP/1.1 client on libuv, for load generation.
 *
 * One server (an IPv4 address), up to n keep-alive connections, each with
 * up to `depth` requests pipelined (sent, answers awaited in order).
 * Requests beyond that wait in a bounded FIFO and go to the first
 * connection with room. Responses with Content-Length or chunked bodies.
 *
 * The caller formats the whole request (request line, headers, body) into
 * req->buf; httpc copies it when it is dispatched. The caller owns the
 * struct httpc_req; from httpc_send() returning 0 until its callback it
 * belongs to httpc. The callback runs exactly once, on the loop, with the
 * HTTP status and the body (valid only during the callback), or with
 * status < 0: HTTPC_UNSENT (never written: certainly not processed),
 * HTTPC_UNKNOWN (written, no answer: the connection broke or the request
 * timed out), HTTPC_SHUTDOWN (httpc_close). A connection that breaks is
 * replaced, with a backoff; every wait is bounded by timeout_ms.
 * Single-threaded: everything on the loop's thread.
 *
 * Scale: thousands of connections, as real channels reach the gateway
 * (one per patient's app or browser). Every connection opens at
 * httpc_open (at most CONNECTING_MAX connects at once), not on demand; a
 * request goes to the connection that has waited longest with room (a
 * FIFO, O(1)), so load spreads over all of them; only connections with
 * bytes to write are flushed. conn_reqs > 0 adds churn: a connection that
 * has answered that many requests is closed when idle and opened again
 * (a patient's phone dropping and re-dialling).
 *
 * Timing: each request records when it was written to a connection
 * (sent_ns, uv_hrtime; 0 if never) and the server's own time from a
 * `Server-Timing: gw;dur=MS` header (server_us; HTTPC_NO_TIMING if none),
 * so the caller can split a request's time into waiting for a
 * connection, the server's work and what lies between (network, kernel
 * buffers, the server's read).
 */
#ifndef SLOTBENCH_HTTPC_H
#define SLOTBENCH_HTTPC_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define HTTPC_UNSENT   (-1)
#define HTTPC_UNKNOWN  (-2)
#define HTTPC_SHUTDOWN (-3)
#define HTTPC_BUSY     (-4) /* httpc_send: the FIFO is full */

#define HTTPC_CONNS_MAX 8192u
#define HTTPC_NO_TIMING UINT64_MAX

struct httpc;
struct httpc_req;
typedef void (*httpc_cb)(struct httpc_req *req, int status, const char *body,
                         size_t len);

struct httpc_req {
    void *data;      /* the caller's */
    const char *buf; /* the request bytes; copied at dispatch */
    size_t len;
    httpc_cb cb;
    /* set by httpc before the callback */
    uint64_t sent_ns;   /* written to a connection (uv_hrtime), 0: never */
    uint64_t server_us; /* Server-Timing gw;dur, or HTTPC_NO_TIMING */
    /* private */
    struct httpc_req *_next;
    uint64_t _t_ms; /* loop time of submission */
    int _sent;
};

struct httpc_options {
    const char *host; /* IPv4 literal */
    int port;
    uint32_t conns;      /* 1..HTTPC_CONNS_MAX */
    uint32_t depth;      /* requests pipelined per connection, >= 1 */
    uint32_t queue_max;  /* requests waiting for a connection */
    uint32_t timeout_ms; /* a request unanswered this long fails */
    uint32_t conn_reqs;  /* answers per connection before it is closed and
                          * opened again; 0: kept open */
};

struct httpc_stats {
    uint64_t connects;     /* connections established */
    uint64_t churn_closes; /* closed after conn_reqs answers */
    uint64_t failures;     /* broken or timed out */
    uint32_t open;         /* open now */
};

/* Creates the client; connections open on demand. 0 or -1. */
int httpc_open(uv_loop_t *loop, const struct httpc_options *o,
               struct httpc **out);

/* Queues a request: 0, or HTTPC_BUSY / HTTPC_SHUTDOWN (no callback). */
int httpc_send(struct httpc *h, struct httpc_req *req);

/* Requests accepted and not yet answered. */
uint32_t httpc_pending(const struct httpc *h);

/* Counters since httpc_open. */
void httpc_stats(const struct httpc *h, struct httpc_stats *out);

/* Fails every pending request with HTTPC_SHUTDOWN, closes the connections
 * and frees h once its handles are closed (then calls cb(data), may be
 * NULL). */
void httpc_close(struct httpc *h, void (*cb)(void *data), void *data);

/* A blocking request on a private loop, for setup and checks: sends the
 * formatted request to host:port and waits up to timeout_ms. Returns the
 * HTTP status (or < 0 as above) and, when body is not NULL, the body in a
 * malloc'ed NUL-terminated *body (the caller frees it). */
int httpc_sync(const char *host, int port, const char *req, size_t len,
               uint32_t timeout_ms, char **body, size_t *body_len);

#endif /* SLOTBENCH_HTTPC_H */
