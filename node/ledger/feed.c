/* feed: the event feed (ledger.h, "The event feed"): every state change
 * a command makes, numbered in apply order, kept in a bounded window that
 * READ_EVENTS pages through.
 *
 * Why the ledger keeps it rather than each node's glue: the feed must be
 * the same on every replica, so that a channel following it through any
 * node, across leader changes, sees no gap and no duplicate; the cursor is
 * the event's seq, which only the replicated state can number.
 *
 * The window is a ring that grows by doubling up to LEDGER_EVENTS_MAX
 * (memory is spent only as events arrive) and then overwrites its oldest
 * event; events older than LEDGER_EVENTS_RETAIN_MS leave a few per
 * command (bounded housekeeping, like the retained claims).
 *
 *   ev_head                      ev_head + ev_len (mod ev_cap)
 *      v                             v
 *   [ oldest ... ... ... newest ][ free ... ]   seq: ev_last - ev_len + 1
 *                                                 .. ev_last
 *
 * A paid claim's events carry its payment reference (up to 64 bytes);
 * fixed room for it in every record would double the window's memory for
 * the many events that have none. The references live in a second ring
 * of bytes instead, appended and dropped in the same FIFO order as their
 * events: an event names its bytes by absolute position (a u32 that
 * wraps; only differences are used), and dropping an event advances the
 * byte ring's tail by its length.
 *
 * Every event of one entry has the same Raft index and ledger time: the
 * window keeps that pair once per run of consecutive events that share it
 * (struct evrun, ledgerInt.h), in a second ring dropped in step with the
 * events. A walk finds an event's run by a binary search, once, and then
 * moves along.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "ledgerInt.h"
#include "slot_time.h"

static struct evrec *evAt(const struct ledger *l, uint32_t i)
{
    assert(i < l->ev_len);
    return &l->events[(l->ev_head + i) & (l->ev_cap - 1)];
}

static struct evrun *runAt(const struct ledger *l, uint32_t k)
{
    assert(k < l->evrun_len);
    return &l->evruns[(l->evrun_head + k) & (l->evrun_cap - 1)];
}

/* The seq of the oldest event in the window. */
static uint64_t evFirstSeq(const struct ledger *l)
{
    return l->ev_last - l->ev_len + 1;
}

/* Event seq (the newest) has this index and time: it joins the newest run
 * if that has the same pair, else starts one. */
static void runNote(struct ledger *l, uint64_t seq, uint64_t index,
                    uint64_t time_ms)
{
    if (l->evrun_len > 0) {
        const struct evrun *last = runAt(l, l->evrun_len - 1);
        assert(last->first_seq < seq);
        if (last->index == index && last->time_ms == time_ms) {
            return;
        }
    }
    if (l->evrun_len == l->evrun_cap) {
        /* Powers of two, like the events' ring; never more runs than
         * events, so never more than LEDGER_EVENTS_MAX. */
        uint32_t cap = l->evrun_cap < 64 ? 64 : l->evrun_cap * 2;
        struct evrun *ring = ledger__realloc(NULL, (size_t)cap * sizeof *ring);
        for (uint32_t k = 0; k < l->evrun_len; k++) {
            ring[k] = *runAt(l, k);
        }
        free(l->evruns);
        l->evruns = ring;
        l->evrun_cap = cap;
        l->evrun_head = 0;
    }
    l->evrun_len++;
    *runAt(l, l->evrun_len - 1) = (struct evrun){seq, index, time_ms};
}

/* Drops the oldest event, and its reference's bytes (the oldest), and its
 * run once no event of it is left. */
static void evDropOldest(struct ledger *l)
{
    const struct evrec *e = &l->events[l->ev_head];
    if (e->ref_len > 0) {
        assert(e->ref_pos == l->evref_tail && l->evref_used >= e->ref_len);
        l->evref_tail += e->ref_len;
        l->evref_phys = (l->evref_phys + e->ref_len) % l->evref_cap;
        l->evref_used -= e->ref_len;
    }
    l->ev_head = (l->ev_head + 1) & (l->ev_cap - 1);
    l->ev_len--;
    if (l->ev_len == 0) {
        l->evrun_head = l->evrun_len = 0;
        return;
    }
    /* The head run must hold the oldest event: the next one starts it. */
    uint64_t first = evFirstSeq(l);
    while (l->evrun_len > 1 && runAt(l, 1)->first_seq <= first) {
        l->evrun_head = (l->evrun_head + 1) & (l->evrun_cap - 1);
        l->evrun_len--;
    }
}

/* Appends len bytes to the reference ring, growing it (linearised) when
 * full; returns their absolute position. */
static uint32_t refAppend(struct ledger *l, const char *p, uint32_t len)
{
    if (l->evref_used + len > l->evref_cap) {
        uint32_t cap = l->evref_cap < 4096 ? 4096 : l->evref_cap;
        while (l->evref_used + len > cap) {
            cap *= 2;
        }
        char *ring = ledger__realloc(NULL, cap);
        if (l->evref_used > 0) {
            uint32_t first = l->evref_cap - l->evref_phys;
            first = l->evref_used < first ? l->evref_used : first;
            memcpy(ring, l->evrefs + l->evref_phys, first);
            memcpy(ring + first, l->evrefs, l->evref_used - first);
        }
        free(l->evrefs);
        l->evrefs = ring;
        l->evref_cap = cap;
        l->evref_phys = 0;
    }
    uint32_t pos = l->evref_tail + l->evref_used;
    /* At most two pieces: up to the buffer's end, then from its start. */
    uint32_t at = (l->evref_phys + l->evref_used) % l->evref_cap;
    uint32_t first = len < l->evref_cap - at ? len : l->evref_cap - at;
    memcpy(l->evrefs + at, p, first);
    memcpy(l->evrefs, p + first, len - first);
    l->evref_used += len;
    return pos;
}

void ledger__events_walk(const struct ledger *l, uint32_t i, struct evwalk *w)
{
    w->i = i;
    w->run = 0;
    if (i >= l->ev_len) {
        return;
    }
    /* The last run that starts at or before the event: the head run holds
     * the oldest event, so there is one. */
    uint64_t seq = evFirstSeq(l) + i;
    uint32_t lo = 0, hi = l->evrun_len - 1;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo + 1) / 2;
        if (runAt(l, mid)->first_seq <= seq) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    w->run = lo;
}

bool ledger__events_next(const struct ledger *l, struct evwalk *w,
                         struct event *e)
{
    if (w->i >= l->ev_len) {
        return false;
    }
    uint64_t seq = evFirstSeq(l) + w->i;
    while (w->run + 1 < l->evrun_len &&
           runAt(l, w->run + 1)->first_seq <= seq) {
        w->run++;
    }
    const struct evrun *r = runAt(l, w->run);
    const struct evrec *x = evAt(l, w->i);
    *e = (struct event){
        .index = r->index,
        .time_ms = r->time_ms,
        .claim = x->claim,
        .a = x->a,
        .b = x->b,
        .pool = x->pool,
        .patient = x->patient,
        .account = x->account,
        .hospital = x->hospital,
        .fee_cents = x->fee_cents,
        .ref_pos = x->ref_pos,
        .local_day = x->local_day,
        .type = x->type,
        .channel = x->channel,
        .ref_len = x->ref_len,
        .method = x->method,
    };
    w->i++;
    return true;
}

void ledger__event_ref(const struct ledger *l, const struct event *e, char *out)
{
    if (e->ref_len == 0) {
        return;
    }
    uint32_t off = e->ref_pos - l->evref_tail; /* wraps as positions do */
    assert(off + e->ref_len <= l->evref_used);
    uint32_t at = (uint32_t)(((uint64_t)l->evref_phys + off) % l->evref_cap);
    uint32_t first =
        e->ref_len < l->evref_cap - at ? e->ref_len : l->evref_cap - at;
    memcpy(out, l->evrefs + at, first);
    memcpy(out + first, l->evrefs, e->ref_len - first);
}

uint32_t ledger__local_day(const struct ledger *l, uint32_t hi)
{
    int32_t offset_min = hi != NONE ? l->hospitals[hi].rules.utc_offset_min : 0;
    return slot_local_day(l->time_ms, offset_min);
}

_Static_assert((LEDGER_EVENTS_MAX & (LEDGER_EVENTS_MAX - 1)) == 0,
               "the ring wraps with a mask");

/* Room for one more at the young end: grow (linearising the ring) while
 * below the maximum, else drop the oldest. */

static struct evrec *evSlot(struct ledger *l)
{
    if (l->ev_len == l->ev_cap && l->ev_cap < LEDGER_EVENTS_MAX) {
        /* Powers of two (so is LEDGER_EVENTS_MAX): positions wrap with a
         * mask, not a division. */
        uint32_t cap = l->ev_cap < 1024 ? 1024 : l->ev_cap * 2;
        if (l->ev_head == 0) {
            /* In order already (nothing dropped yet, the usual case while
             * the window fills): realloc, which for a block this large
             * remaps pages instead of copying tens of MB in one entry. */
            l->events =
                ledger__realloc(l->events, (size_t)cap * sizeof *l->events);
        } else {
            struct evrec *ring =
                ledger__realloc(NULL, (size_t)cap * sizeof *ring);
            for (uint32_t i = 0; i < l->ev_len; i++) {
                ring[i] = *evAt(l, i);
            }
            free(l->events);
            l->events = ring;
            l->ev_head = 0;
        }
        l->ev_cap = cap;
    }
    if (l->ev_len == l->ev_cap) {
        evDropOldest(l);
    }
    uint32_t at = (l->ev_head + l->ev_len++) & (l->ev_cap - 1);
    ledger__populate_ahead(l->events, (size_t)at * sizeof *l->events,
                           sizeof *l->events,
                           (size_t)l->ev_cap * sizeof *l->events);
    return &l->events[at];
}

/* The event, with a payment (ref NULL: none). */
static struct evrec *eventPut(struct ledger *l, uint8_t type, uint32_t pool,
                              uint64_t claim, uint32_t patient,
                              uint32_t channel, uint32_t hospital, uint64_t a,
                              uint64_t b, const struct payref *ref)
{
    uint32_t account = NONE;
    const struct pext *x =
        patient != NONE ? ledger__pext_get(l, patient) : NULL;
    if (x != NULL) {
        account = x->account;
    }
    struct evrec *e = evSlot(l);
    l->ev_last++; /* its seq */
    runNote(l, l->ev_last, l->entry_index, l->time_ms);
    *e = (struct evrec){
        .claim = claim,
        .a = a,
        .b = b,
        .pool = pool,
        .patient = patient,
        .account = account,
        .hospital = hospital,
        .type = type,
        .channel = channel == NONE ? EV_NO_CHANNEL : (uint8_t)channel,
        .local_day = ledger__local_day(l, hospital),
        .method = PAY_NONE,
    };
    if (ref != NULL) {
        /* evSlot dropped what it had to first: the new bytes go last. */
        e->ref_pos = refAppend(l, ref->s, ref->len);
        e->ref_len = ref->len;
        e->method = ref->method;
        e->fee_cents = ref->fee_cents;
    }
    return e;
}

void ledger__event(struct ledger *l, uint8_t type, uint32_t pool,
                   uint64_t claim, uint32_t patient, uint32_t channel,
                   uint32_t hospital, uint64_t a, uint64_t b)
{
    eventPut(l, type, pool, claim, patient, channel, hospital, a, b, NULL);
}

void ledger__claim_event(struct ledger *l, uint32_t ci, uint8_t type,
                         uint64_t a, uint64_t b)
{
    const struct claim *c = &l->claims[ci];
    const struct pool *p = &l->pools[c->pool];
    struct payref pay;
    const struct payref *ref = NULL;
    if (c->payref != NONE) {
        pay = ledger__payref(l, c->payref);
        ref = &pay;
    }
    const struct evrec *e =
        eventPut(l, type, c->pool, c->id, c->patient, c->channel,
                 p->place != NULL ? p->place->hospital : NONE, a, b, ref);
    ledger__money_count(l, ci, type, a, b, e->local_day);
}

void ledger__pool_event(struct ledger *l, uint32_t pi, uint8_t type, uint64_t a,
                        uint64_t b)
{
    const struct pool *p = &l->pools[pi];
    ledger__event(l, type, pi, 0, NONE, NONE,
                  p->place != NULL ? p->place->hospital : NONE, a, b);
}

void ledger__events_evict(struct ledger *l)
{
    for (uint32_t n = 0; n < SLOT_EVENTS_EVICT_PER_CMD && l->ev_len > 0; n++) {
        /* The head run holds the oldest event. */
        if (runAt(l, 0)->time_ms + LEDGER_EVENTS_RETAIN_MS > l->time_ms) {
            break;
        }
        evDropOldest(l);
    }
}

void ledger__events_reserve(struct ledger *l, uint32_t n)
{
    if (l->ev_len != 0 || n > LEDGER_EVENTS_MAX) {
        return; /* not an empty window: evSlot grows it as it always does */
    }
    /* The capacity evSlot's doublings would reach for n events (a power
     * of two, the ring wraps with a mask), allocated and mapped at once. */
    uint32_t cap = l->ev_cap < 1024 ? 1024 : l->ev_cap;
    while (cap < n) {
        cap *= 2;
    }
    if (cap > l->ev_cap) {
        free(l->events);
        l->events = ledger__realloc(NULL, (size_t)cap * sizeof *l->events);
        l->ev_cap = cap;
        l->ev_head = 0;
    }
    ledger__populate_range(l->events, 0, (size_t)n * sizeof *l->events);
}

void ledger__event_restore(struct ledger *l, const struct event *e,
                           uint64_t seq, const char *ref)
{
    /* Restore sets ev_last first and never fills more than the window:
     * nothing is dropped here, which would need the oldest seq. */
    assert(l->ev_len < LEDGER_EVENTS_MAX);
    struct evrec *slot = evSlot(l);
    runNote(l, seq, e->index, e->time_ms);
    *slot = (struct evrec){
        .claim = e->claim,
        .a = e->a,
        .b = e->b,
        .pool = e->pool,
        .patient = e->patient,
        .account = e->account,
        .hospital = e->hospital,
        .fee_cents = e->fee_cents,
        .local_day = e->local_day,
        .type = e->type,
        .channel = e->channel,
        .ref_len = e->ref_len,
        .method = e->method,
    };
    slot->ref_pos = e->ref_len > 0 ? refAppend(l, ref, e->ref_len) : 0;
}

/* An event as READ_EVENTS reports it. */
static void eventOut(const struct ledger *l, uint64_t seq,
                     const struct event *e, struct slot_event *out)
{
    memset(out, 0, sizeof *out);
    out->seq = seq;
    out->index = e->index;
    out->time_ms = e->time_ms;
    out->type = e->type;
    out->claim = e->claim;
    out->a = e->a;
    out->b = e->b;
    out->fee_cents = e->fee_cents;
    out->local_day = e->local_day;
    ledger__event_ref(l, e, out->payment_ref);
    struct slot_str m = ledger__pay_method_str(l, e->method);
    memcpy(out->pay_method, m.p, m.len);
    if (e->pool != NONE) {
        const struct pool *p = &l->pools[e->pool];
        ledger__copy_str(out->pool, (struct slot_str){p->id, p->id_len});
    }
    if (e->patient != NONE) {
        const struct patient *p = &l->patients[e->patient];
        ledger__copy_str(out->patient,
                         (struct slot_str){l->pkeys + p->key_off, p->key_len});
    }
    if (e->channel != EV_NO_CHANNEL) {
        ledger__copy_str(out->channel, ledger__channel_str(l, e->channel));
    }
    if (e->account != NONE) {
        ledger__copy_str(out->account, ledger__account_str(l, e->account));
    }
    if (e->hospital != NONE) {
        const struct hospital *h = &l->hospitals[e->hospital];
        ledger__copy_str(out->hospital, (struct slot_str){h->id, h->id_len});
    }
}

void ledger_read_events(const struct ledger *l, uint64_t after, uint32_t limit,
                        struct slot_event *out, uint32_t *n, uint64_t *first,
                        uint64_t *last)
{
    *last = l->ev_last;
    *first = l->ev_last - l->ev_len + 1;
    *n = 0;
    /* Seqs are consecutive in the ring: the first one after the cursor is
     * found by arithmetic, not by a search. */
    if (after >= l->ev_last) {
        return; /* nothing newer (and after + 1 could wrap) */
    }
    uint64_t from = after + 1 > *first ? after + 1 : *first;
    struct evwalk w;
    struct event e;
    ledger__events_walk(l, (uint32_t)(from - *first), &w);
    for (uint64_t s = from; *n < limit && ledger__events_next(l, &w, &e); s++) {
        eventOut(l, s, &e, &out[(*n)++]);
    }
}
