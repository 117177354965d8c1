/* fanout: the Server-Sent Events subscribers of `slotbench fanout`: n
 * connections to a slot-gateway's GET /v1/events/stream, on one libuv
 * loop in a thread of their own (non-blocking sockets; one loop handles
 * thousands), each parsing its stream as it arrives.
 *
 * Per subscriber: every event's id must be greater than the last one's
 * (an order violation otherwise) and, for a viewer that sees every event
 * (the admin token), exactly the next seq (a gap otherwise: the count of
 * missing seqs); every event's delivery lag is the wall time it was
 * parsed minus its time_ms (the ledger time the leader stamped, on the
 * same machine), into one histogram. A subscriber has finished once it
 * has seen an event naming the marker (fanout_marker: a pool created
 * after the load, whose pool_created every viewer sees). A stream that
 * ends before that (closed, an "error" event) has ended early.
 *
 * Bounds: n <= FANOUT_SUBSCRIBERS_MAX; each connection buffers at most
 * FANOUT_BUF_BYTES of an unfinished event (a longer one is a protocol
 * error: the connection is closed and counted); a connection not answered
 * 200 within connect_timeout_ms is closed and counted as refused. The
 * calls are the main thread's; the counters are read while it runs.
 */
#ifndef SLOTBENCH_FANOUT_H
#define SLOTBENCH_FANOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "hist.h"

#define FANOUT_SUBSCRIBERS_MAX 20000
#define FANOUT_BUF_BYTES       65536
#define FANOUT_TOKENS_MAX      8

struct fanout;

struct fanout_opts {
    const char *host; /* IPv4 literal */
    int port;
    uint32_t n; /* subscribers, 1..FANOUT_SUBSCRIBERS_MAX */
    /* Subscriber i uses token i % n_tokens; admin[k]: token k sees every
     * event (gaps are checked), else order only. */
    const char *tokens[FANOUT_TOKENS_MAX];
    bool admin[FANOUT_TOKENS_MAX];
    uint32_t n_tokens;
    uint64_t after; /* ?after=: the feed's last seq before the run */
    uint32_t connect_timeout_ms;
};

struct fanout_stats {
    uint32_t n;
    uint32_t connected;   /* answered 200 */
    uint32_t refused;     /* not connected, or not 200, in time */
    uint32_t ended_early; /* closed or an error event before the marker */
    uint32_t finished;    /* saw the marker */
    uint32_t protocol_errors;
    uint64_t events_min, events_max, events_total; /* over the connected */
    uint64_t gaps;             /* seqs missing (admin viewers) */
    uint64_t order_violations; /* an id not above the previous one */
    struct hist lag;           /* delivery lag, ns */
    double cpu_s;              /* the subscribers' thread's CPU time
                                * (user + system) */
    char first_error[160];     /* what ended the first early end, or "" */
};

/* Starts the thread; connections open at once. 0, or -1 (nothing
 * started). */
int fanout_start(const struct fanout_opts *o, struct fanout **out);

/* Subscribers answered 200 so far; those refused or ended (either way no
 * longer reading); those finished. */
uint32_t fanout_connected(const struct fanout *f);
uint32_t fanout_gone(const struct fanout *f);
uint32_t fanout_finished(const struct fanout *f);

/* The marker: a subscriber finishes on the first event whose data
 * contains "pool":"<pool>". Set it before the event can arrive. pool is
 * copied (at most 63 bytes). */
void fanout_marker(struct fanout *f, const char *pool);

/* Stops the thread, closes every connection, fills *st, frees f. */
void fanout_stop(struct fanout *f, struct fanout_stats *st);

#endif /* SLOTBENCH_FANOUT_H */
