/* gw_events: event filtering, JSON and SSE framing (see gw_events.h). */
#include "gw_events.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

int gw_ev_class(int type)
{
    switch (type) {
        case SLOTC_EV_POOL_CREATED:
        case SLOTC_EV_POOL_UPDATED:
        case SLOTC_EV_POOL_CLOSED:
        case SLOTC_EV_POOL_STOPPED:
        case SLOTC_EV_FLOWED_BACK:
        case SLOTC_EV_SLOT_FREED:
        case SLOTC_EV_RULES_CHANGED:
            return GW_EV_CLASS_POOL;
        case SLOTC_EV_HELD:
        case SLOTC_EV_OFFERED:
        case SLOTC_EV_BOOKED:
        case SLOTC_EV_RELEASED:
        case SLOTC_EV_EXPIRED:
        case SLOTC_EV_CANCELLED:
        case SLOTC_EV_MOVED:
        case SLOTC_EV_CHECKED_IN:
        case SLOTC_EV_NO_SHOW:
        case SLOTC_EV_WAIT_JOINED:
        case SLOTC_EV_WAIT_LEFT:
            return GW_EV_CLASS_CLAIM;
        case SLOTC_EV_CONFIG_CHANGED:
        case SLOTC_EV_VIOLATION:
        case SLOTC_EV_UNBLOCKED:
        case SLOTC_EV_EXCEPTION:
        case SLOTC_EV_ACCOUNT_BOUND:
        case SLOTC_EV_ACCOUNT_UNBOUND:
            return GW_EV_CLASS_STAFF;
        default:
            return GW_EV_CLASS_UNKNOWN;
    }
}

int gw_ev_visible(const struct gw_ev_viewer *v, const struct slotc_event *e)
{
    assert(v != NULL && e != NULL);
    if (v->admin) {
        return GW_EV_SHOWN;
    }
    /* An empty field never matches: an event without an account is no
     * viewer's "own" by account, whatever X-Account says. */
    bool mine_ch = v->channel != NULL && v->channel[0] != '\0' &&
                   strcmp(v->channel, e->channel) == 0;
    bool mine_ac = v->account != NULL && v->account[0] != '\0' &&
                   strcmp(v->account, e->account) == 0;
    switch (gw_ev_class(e->type)) {
        case GW_EV_CLASS_POOL:
            /* A pool's news is everyone's; the patient a slot_freed names
             * is not. */
            return mine_ch || mine_ac ? GW_EV_SHOWN : GW_EV_REDACTED;
        case GW_EV_CLASS_CLAIM:
            return mine_ch || mine_ac ? GW_EV_SHOWN : GW_EV_HIDDEN;
        case GW_EV_CLASS_STAFF:
            /* A violation may name the channel of the hold whose expiry
             * made it: staff news all the same, the patient's own only
             * through the account. */
            return mine_ac ? GW_EV_SHOWN : GW_EV_HIDDEN;
        default:
            return GW_EV_HIDDEN;
    }
}

void gw_json_event(struct gw_jw *w, const struct slotc_event *e, bool redacted)
{
    const char *name = slotc_event_name(e->type);
    gw_jw_obj(w);
    gw_jw_key(w, "seq");
    gw_jw_u64(w, e->seq);
    gw_jw_key(w, "index");
    gw_jw_u64(w, e->index);
    gw_jw_key(w, "time_ms");
    gw_jw_u64(w, e->time_ms);
    gw_jw_key(w, "type");
    gw_jw_str(w, name != NULL ? name : "unknown");
    gw_jw_key(w, "pool");
    gw_jw_str(w, e->pool);
    gw_jw_key(w, "claim");
    gw_jw_u64(w, e->claim);
    gw_jw_key(w, "patient");
    gw_jw_str(w, redacted ? "" : e->patient);
    gw_jw_key(w, "channel");
    gw_jw_str(w, e->channel);
    gw_jw_key(w, "account");
    gw_jw_str(w, redacted ? "" : e->account);
    gw_jw_key(w, "hospital");
    gw_jw_str(w, e->hospital);
    gw_jw_key(w, "a");
    gw_jw_u64(w, e->a);
    gw_jw_key(w, "b");
    gw_jw_u64(w, e->b);
    /* Protocol 5: the claim's payment right after the event, and the
     * local day the reconciliation counts it in. A payment reference is
     * the patient's as much as the key is (and another channel's
     * business): a redacted event shows neither. */
    gw_jw_key(w, "fee_cents");
    gw_jw_u64(w, e->fee_cents);
    gw_jw_key(w, "payment_ref");
    gw_jw_str(w, redacted ? "" : e->payment_ref);
    gw_jw_key(w, "pay_method");
    gw_jw_str(w, e->pay_method);
    gw_jw_key(w, "local_day");
    gw_jw_u64(w, e->local_day);
    gw_jw_end(w);
}

uint32_t gw_json_events_page(struct gw_buf *b, const struct gw_ev_viewer *v,
                             const struct slotc_event *ev, uint32_t n,
                             uint64_t after, uint64_t first, uint64_t last)
{
    struct gw_jw w;
    gw_jw_init(&w, b);
    gw_jw_obj(&w);
    gw_jw_key(&w, "events");
    gw_jw_arr(&w);
    uint32_t shown = 0;
    for (uint32_t i = 0; i < n; i++) {
        int vis = gw_ev_visible(v, &ev[i]);
        if (vis != GW_EV_HIDDEN) {
            gw_json_event(&w, &ev[i], vis == GW_EV_REDACTED);
            shown++;
        }
    }
    gw_jw_arr_end(&w);
    gw_jw_key(&w, "first");
    gw_jw_u64(&w, first);
    gw_jw_key(&w, "last");
    gw_jw_u64(&w, last);
    /* The last examined, not the last shown: a filtered page still moves
     * the reader past what it may not see, and never past what it has
     * not been given a chance to see. */
    gw_jw_key(&w, "next_after");
    gw_jw_u64(&w, n > 0 ? ev[n - 1].seq : after);
    gw_jw_end(&w);
    return shown;
}

void gw_sse_event(struct gw_buf *b, const struct slotc_event *e, bool redacted)
{
    const char *name = slotc_event_name(e->type);
    /* The type name is [a-z_]: nothing in it can break the framing, and
     * the JSON writer escapes every control byte, so "data:" is one
     * line. */
    gw_buf_printf(b, "id: %llu\nevent: %s\ndata: ", (unsigned long long)e->seq,
                  name != NULL ? name : "unknown");
    struct gw_jw w;
    gw_jw_init(&w, b);
    gw_json_event(&w, e, redacted);
    gw_buf_put(b, "\n\n", 2);
}

void gw_sse_error(struct gw_buf *b, int code, const char *message,
                  const char *extra)
{
    gw_buf_puts(b, "event: error\ndata: ");
    gw_json_error(b, code, message, extra);
    gw_buf_put(b, "\n\n", 2);
}

const char gw_ev_expired_msg[] =
    "the feed no longer holds the events after this cursor: read on from "
    "first - 1 (the events in between are lost to this reader)";

void gw_ev_expired_extra(char *out, size_t cap, uint64_t first, uint64_t last)
{
    assert(cap >= 48);
    snprintf(out, cap, "\"first\":%llu,\"last\":%llu",
             (unsigned long long)first, (unsigned long long)last);
}

bool gw_parse_last_event_id(const char *s, size_t len, uint64_t *seq)
{
    size_t i = 0;
    while (i < len && s[i] == ' ') {
        i++;
    }
    while (len > i && s[len - 1] == ' ') {
        len--;
    }
    if (i == len || len - i > 19) {
        return false;
    }
    uint64_t v = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > (UINT64_C(1) << 63)) {
        return false;
    }
    *seq = v;
    return true;
}

void gw_evq_init(struct gw_evq *q, size_t max)
{
    gw_buf_init(&q->bufs[0], NULL, 0);
    gw_buf_init(&q->bufs[1], NULL, 0);
    q->sending = -1;
    q->tail = 0;
    q->max = max;
    q->last_seq = 0;
}

void gw_evq_free(struct gw_evq *q)
{
    gw_buf_free(&q->bufs[0]);
    gw_buf_free(&q->bufs[1]);
}

struct gw_buf *gw_evq_tail(struct gw_evq *q)
{
    return &q->bufs[q->tail];
}

bool gw_evq_fits(const struct gw_evq *q, size_t n)
{
    return q->bufs[q->tail].len + n <= q->max;
}

const char *gw_evq_take(struct gw_evq *q, size_t *len)
{
    int i = q->tail;
    if (q->sending >= 0 || q->bufs[i].len == 0) {
        return NULL;
    }
    assert(q->bufs[1 - i].len == 0);
    q->sending = i;
    q->tail = 1 - i;
    *len = q->bufs[i].len;
    return q->bufs[i].p;
}

void gw_evq_sent(struct gw_evq *q)
{
    if (q->sending >= 0) {
        /* Keep the allocation: the next page reuses it. */
        q->bufs[q->sending].len = 0;
        q->sending = -1;
    }
}
