/* gw_fanout: one follower of the event feed per gateway and the bounded
 * ring of recent events it fills, so that every SSE stream whose cursor is
 * inside the ring is served from memory instead of reading the cluster
 * itself (gw_http_events.c says when a stream joins and leaves).
 *
 * The follower reads READ_EVENTS pages through libslot, one read in
 * flight: a full page is followed at once by the next read, a short one
 * (caught up) by a pause of poll_ms. The reads are stale reads from a
 * member that is not the leader (a status names the members): every
 * replica's applied events are final and the same, and the leader's loop
 * is what a burst is short of. After a short page from that member the
 * next read is libslot's own choice, so a member that lags (or has
 * stopped applying) costs one pause at most. Each page's events are appended to
 * the ring (at most cap events: the oldest go first) and every subscriber
 * is told (feed_cb), once per page. Each ring entry also keeps the event's
 * SSE frame, shown and redacted, made the first time a subscriber asks
 * for it, so that N subscribers cost one JSON encoding per event, not N.
 *
 * The ring holds the seqs [first, last] (empty: first == last + 1), always
 * consecutive: the feed's seqs have no holes, and after a CURSOR_EXPIRED
 * (the follower fell out of the cluster's window) the ring restarts empty
 * at the window's oldest event; subscribers behind it then find their
 * next event GONE and read on their own (and meet the CURSOR_EXPIRED
 * themselves).
 *
 * Reading ahead is bounded by the subscribers: a page that would drop
 * events some joined subscriber has not taken yet waits (poll_ms at a
 * time). When most subscribers are behind (the gateway's own output is
 * the bottleneck: reading on would only send them all to the cluster on
 * their own) it waits for them however long; when only a minority is,
 * for at most hold_ms, then reads on, and those few read on their own
 * (GONE below). A subscriber that takes nothing at all is its owner's to
 * end (SLOW_SUBSCRIBER).
 *
 * Lifetime: gw_fanout_new starts following; the fanout ends itself when a
 * read or pause ends with no subscriber left, or when *stopping is set,
 * or after gw_fanout_close: then closed_cb runs (libslot is no longer
 * used; the memory goes once the timer is closed). Everything runs on the
 * loop's thread; nothing blocks.
 */
#ifndef GW_FANOUT_H
#define GW_FANOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "gw_log.h"
#include "gw_metrics.h"
#include "libslot.h"

#define GW_FANOUT_PAGE 1000 /* events per read (SLOTC_LIST_MAX) */

struct gw_fanout;

/* A subscriber, embedded in the caller's struct. feed_cb is set by the
 * caller, and cursor kept by it (the last seq it has taken) while it is
 * joined; the rest is the fanout's. feed_cb runs on every page appended
 * (and after a restart of the ring); it may call gw_fanout_leave for its
 * own sub, not for another. */
struct gw_fanout_sub {
    void (*feed_cb)(struct gw_fanout_sub *sub);
    uint64_t cursor;
    struct gw_fanout_sub *_prev, *_next;
    bool _joined;
};

struct gw_fanout_opts {
    uv_loop_t *loop;
    struct slotc *slot;
    struct gw_metrics *metrics; /* the follower's reads count as cluster
                                 * requests */
    struct gw_log *log;
    uint32_t cap;         /* ring entries, >= 2 * GW_FANOUT_PAGE */
    uint32_t poll_ms;     /* the pause after a short page */
    uint32_t hold_ms;     /* how long a minority of slow subscribers may
                           * hold the follower back (below) */
    uint32_t timeout_ms;  /* of a read */
    const bool *stopping; /* the gateway's: ends the fanout when set */
    void (*closed_cb)(struct gw_fanout *f, void *data);
    void *data;
};

/* Starts following the feed after `cursor` (the ring starts empty there).
 * Returns NULL when out of memory (nothing started). */
struct gw_fanout *gw_fanout_new(const struct gw_fanout_opts *o,
                                uint64_t cursor);

/* Adds sub if `cursor` (the last seq the subscriber handled) is not
 * older than the ring (cursor + 1 >= first); a cursor ahead of the ring
 * is fine (it waits for the follower). Returns whether it joined. Must
 * not be joined already; the fanout must not be closing. */
bool gw_fanout_join(struct gw_fanout *f, struct gw_fanout_sub *sub,
                    uint64_t cursor);

/* Removes sub (no-op if it is not joined). */
void gw_fanout_leave(struct gw_fanout *f, struct gw_fanout_sub *sub);

enum gw_fanout_at {
    GW_FANOUT_EVENT = 0, /* *ev: the event after cursor */
    GW_FANOUT_NONE = 1,  /* nothing newer in the ring yet */
    GW_FANOUT_GONE = 2,  /* the event after cursor left the ring */
};

/* The event after `cursor`: an enum gw_fanout_at. *ev stays valid until
 * the next page is appended (the next loop turn at the earliest). */
int gw_fanout_at(const struct gw_fanout *f, uint64_t cursor,
                 const struct slotc_event **ev);

/* The SSE frame of ev (from gw_fanout_at; gw_sse_event's bytes), made on
 * first use and kept with the entry; *len its length. NULL when out of
 * memory. Valid as long as ev. */
const char *gw_fanout_frame(struct gw_fanout *f, const struct slotc_event *ev,
                            bool redacted, size_t *len);

/* The ring's bounds: first..last held (first == last + 1: none). */
uint64_t gw_fanout_first(const struct gw_fanout *f);
uint64_t gw_fanout_last(const struct gw_fanout *f);
/* Subscribers joined. */
uint32_t gw_fanout_subs(const struct gw_fanout *f);

/* Stops following: every subscriber is removed (no more feed_cb),
 * closed_cb runs once the pending read (if any) is done. f must not be
 * used by the caller afterwards. */
void gw_fanout_close(struct gw_fanout *f);

#endif /* GW_FANOUT_H */
