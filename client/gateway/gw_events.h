/* gw_events: the event feed as the gateway serves it (GET /v1/events and
 * GET /v1/events/stream): who may see which event, the JSON of an event and
 * of a page, Server-Sent Events framing, a stream's bounded output queue
 * and the Last-Event-ID header. Pure: no I/O, no clock; the routes are in
 * gw_http_events.c.
 *
 * Who sees what (the token's channel; the admin token sees everything):
 *   - pool events (pool_created, pool_updated, pool_closed, pool_stopped,
 *     flowed_back, slot_freed, rules_changed): every token; the patient,
 *     account and payment_ref of one are blanked ("") unless the viewer
 *     would see the claim's own events (its channel, or its account): a
 *     channel never sees another channel's patients or payment refs;
 *   - claim and waitlist events (held, offered, booked, released,
 *     expired, cancelled, moved, checked_in, no_show, wait_joined,
 *     wait_left): the channel the event names, and the viewer whose
 *     X-Account is the event's account;
 *   - staff and patient events (violation, unblocked, exception,
 *     account_bound, account_unbound) and config_changed: the admin
 *     token, and the viewer whose X-Account is the event's account
 *     (config_changed has none: the admin token only);
 *   - a type this gateway does not know: the admin token only.
 * Filtering never moves the cursor: a page's next_after is the seq of the
 * last event examined, shown or not.
 */
#ifndef GW_EVENTS_H
#define GW_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gw_json.h"
#include "libslot.h"

#define GW_EV_WAIT_MAX_MS 30000 /* ?wait_ms= of a long poll, at most */

/* Who is reading. channel and account are NUL-terminated, "" none. */
struct gw_ev_viewer {
    bool admin;
    const char *channel; /* the token's channel; ignored for admin */
    const char *account; /* X-Account's key ("ac:..."), or "" */
};

enum gw_ev_class {
    GW_EV_CLASS_POOL = 1,  /* everyone */
    GW_EV_CLASS_CLAIM = 2, /* its channel, its account */
    GW_EV_CLASS_STAFF = 3, /* admin, its account */
    GW_EV_CLASS_UNKNOWN = 4,
};

/* The class of an event type (enum slotc_event_type). */
int gw_ev_class(int type);

enum gw_ev_vis {
    GW_EV_HIDDEN = 0,
    GW_EV_SHOWN = 1,
    GW_EV_REDACTED = 2, /* shown without its patient, account and
                         * payment_ref */
};

/* Whether v may see e (the rules above): an enum gw_ev_vis. */
int gw_ev_visible(const struct gw_ev_viewer *v, const struct slotc_event *e);

/* Appends one event as a JSON object: {"seq","index","time_ms","type",
 * "pool","claim","patient","channel","account","hospital","a","b",
 * "fee_cents","payment_ref","pay_method","local_day"} (the last four:
 * protocol 5; local_day as days since 1970-01-01), type by name
 * ("unknown" for a type without one); redacted: patient, account and
 * payment_ref "". Keys in that order, always all of them. */
void gw_json_event(struct gw_jw *w, const struct slotc_event *e, bool redacted);

/* Appends a long poll's page: {"events":[the visible ones],"first",
 * "last","next_after"}: next_after the seq of the last of ev[0..n), or
 * after when n is 0. Returns how many events were shown. */
uint32_t gw_json_events_page(struct gw_buf *b, const struct gw_ev_viewer *v,
                             const struct slotc_event *ev, uint32_t n,
                             uint64_t after, uint64_t first, uint64_t last);

/* Appends one Server-Sent Event: "id: SEQ\nevent: TYPE\ndata: JSON\n\n"
 * (the JSON of gw_json_event on one line). */
void gw_sse_event(struct gw_buf *b, const struct slotc_event *e, bool redacted);

/* Appends an SSE error event, the stream's last: "event: error\ndata:
 * {"error":{"code","message"[,extra]}}\n\n" (extra as gw_json_error's). */
void gw_sse_error(struct gw_buf *b, int code, const char *message,
                  const char *extra);

/* The members a CURSOR_EXPIRED error adds (gw_json_error's extra):
 * "first":F,"last":L, into out (capacity cap >= 48). */
void gw_ev_expired_extra(char *out, size_t cap, uint64_t first, uint64_t last);

/* The message of a CURSOR_EXPIRED (static). */
extern const char gw_ev_expired_msg[];

/* Parses a Last-Event-ID header value (a decimal seq, 0..2^63, surrounding
 * spaces allowed). Returns false for anything else. */
bool gw_parse_last_event_id(const char *s, size_t len, uint64_t *seq);

/* A stream's output: bytes waiting for the socket, in two buffers so
 * that h2o holds one (sending, until it asks for more) while the stream
 * appends to the other (queued). At most max bytes queued (the stream
 * asks gw_evq_fits before each event, stops there and reads the rest
 * later), so memory stays bounded whatever the socket does. */
struct gw_evq {
    struct gw_buf bufs[2];
    int sending;       /* index of the buffer h2o holds, or -1 */
    int tail;          /* index of the buffer appended to (queued) */
    size_t max;        /* queued bytes, at most */
    uint64_t last_seq; /* the seq of the last event appended (queued) */
};
void gw_evq_init(struct gw_evq *q, size_t max);
void gw_evq_free(struct gw_evq *q);
/* The buffer to append to (queued). */
struct gw_buf *gw_evq_tail(struct gw_evq *q);
/* Whether n more bytes fit in the queue. */
bool gw_evq_fits(const struct gw_evq *q, size_t n);
/* The queued bytes become the sending ones (NULL if none are queued or
 * h2o still holds the previous ones); *len their length. */
const char *gw_evq_take(struct gw_evq *q, size_t *len);
/* h2o is done with the sending buffer (it asked for more). */
void gw_evq_sent(struct gw_evq *q);

#endif /* GW_EVENTS_H */
