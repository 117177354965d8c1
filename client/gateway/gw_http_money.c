/* gw_http_money: the money and statistics routes on libslot (protocol 5;
 * see gw_httpInt.h), and the background refresh of /metrics' statistics:
 *
 *   GET /v1/reconciliation?day=&hospital=&channel=&format=csv|json
 *   GET /v1/stats?from=&to=&hospital=
 *
 * A reconciliation (a struct gw_money_job beside its gw_call) reads, one
 * request in flight at a time and never blocking the loop:
 *
 *   events: the feed from the oldest event it holds, a page
 *     (SLOTC_LIST_MAX) at a time, each event fed to the recon module
 *     (client/recon.h), which keeps the lines of day D, the filters' and
 *     the viewer's; until the feed's end (a short page) or an event past
 *     the latest instant of D in any time zone; more than
 *     GW_RECON_PAGES_MAX pages (the feed's window, 1M events, is at most
 *     about 1049 pages) is 503 OVERLOADED (the feed outruns the reader).
 *     If the feed dropped events (its first held seq > 1) and its oldest
 *     held event is not older than the earliest start of D in any time
 *     zone, D's start may be gone: 410 RECON_DAY_GONE (reconcile from
 *     the archive, slotctl reconcile --archive);
 *   recon: READ_RECON rows of D (every page), the ledger's counters;
 *   stats: READ_STATS rows of visit day D (every page);
 *   then the recon module writes the document, answered as text/csv or
 *   JSON. The document and the rows held count against
 *   limits.recon_bytes_max (413 RESPONSE_TOO_LARGE past it, at the page
 *   that passes it); at most limits.recon_max reconciliations run at
 *   once (503 RECON_BUSY + Retry-After beyond).
 *
 * Who sees what: a channel token reconciles its own channel only (its
 * lines, the ledger's rows of that channel; channel= naming another: 403
 * FORBIDDEN); the admin token any channel= or all. Statistics are not per
 * channel: every token reads them.
 *
 * For today's day the feed and the counters are read one after the
 * other, so an event applied in between shows in the counters and not in
 * the lines (a row "differs"); a finished day's reconciliation agrees.
 *
 * GET /v1/stats reads READ_STATS pages into the JSON as they come, under
 * the same byte limit. The background refresh reads the statistics of UTC
 * days today - 1 .. today + 7 every limits.stats_refresh_ms (one read in
 * flight, at most stats_series_max rows kept; the pages past them are not
 * read, their rows counted as dropped) into the cache /metrics renders.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gw_err.h"
#include "gw_httpInt.h"
#include "gw_json.h"
#include "gw_route.h"
#include "gw_stats.h"
#include "recon.h"

/* Pages of the feed one reconciliation reads at most: the ledger's window
 * (at most 1M events) in pages of SLOTC_LIST_MAX, and some slack for the
 * events applied while it reads. */
#define GW_RECON_PAGES_MAX ((1u << 20) / SLOTC_LIST_MAX + 64)
#define GW_DAY_MS          86400000ull

enum money_phase {
    PH_EVENTS = 1, /* reading the feed */
    PH_RECON = 2,  /* READ_RECON pages */
    PH_STATS = 3,  /* READ_STATS pages */
};

struct gw_money_job {
    /* GW_R_RECONCILIATION */
    struct recon recon;
    bool recon_live;    /* recon_init ran: recon_free is due */
    uint64_t cursor;    /* the last seq read */
    uint32_t pages;     /* feed pages read */
    bool dropped;       /* the feed no longer holds seq 1 */
    bool checked_start; /* the first event held was looked at */
    struct slotc_recon_row *rows;
    uint32_t n_rows, cap_rows;
    uint32_t kept_from_day;
    struct slotc_stats_row *stats;
    uint32_t n_stats, cap_stats;
    uint32_t after; /* READ_RECON / READ_STATS rows read so far */
    /* GW_R_STATS: the document, written as the pages come */
    struct gw_buf out;
    struct gw_jw w;
    bool head;
};

void gw__money_free(struct gw_call *call)
{
    struct gw_money_job *j = call->money;
    if (call->route == GW_R_RECONCILIATION) {
        call->g->recon_active--;
    }
    if (j->recon_live) {
        recon_free(&j->recon);
    }
    free(j->rows);
    free(j->stats);
    gw_buf_free(&j->out);
    free(j);
    call->money = NULL;
}

/* Answers an error and frees the call. */
static void moneyFail(struct gw_call *call, int code, const char *msg)
{
    gw__call_error(call, code, msg, NULL);
    gw__call_free(call);
}

/* Bytes a reconciliation holds now: its document and its rows. */
static size_t reconBytes(const struct gw_money_job *j)
{
    size_t len = 0;
    (void)recon_text(&j->recon, &len);
    return len + (size_t)j->cap_rows * sizeof *j->rows +
           (size_t)j->cap_stats * sizeof *j->stats;
}

static bool tooLarge(const struct gw_call *call, size_t bytes)
{
    return bytes > call->g->cfg->limits.recon_bytes_max;
}

/* Makes room for `need` items of size sz in a growable array (doubling),
 * within limits.recon_bytes_max; false if they would not fit, or (oom set)
 * if memory ran out. */
static bool grow(struct gw_call *call, void **arr, uint32_t *cap, uint32_t need,
                 size_t sz, bool *oom)
{
    if (need <= *cap) {
        return true;
    }
    uint64_t c = *cap > 0 ? *cap : 64;
    while (c < need) {
        c *= 2;
    }
    if (tooLarge(call, (size_t)c * sz)) {
        return false;
    }
    void *p = realloc(*arr, (size_t)c * sz);
    if (p == NULL) {
        *oom = true;
        return false;
    }
    *arr = p;
    *cap = (uint32_t)c;
    return true;
}

/* ---- submitting ---------------------------------------------------------- */

static void readEvents(struct gw_call *call)
{
    struct gw *g = call->g;
    struct slotc_req *sr =
        gw__call_req(call, g->cfg->limits.request_timeout_ms);
    call->phase = PH_EVENTS;
    int rc = slotc_read_events(g->slot, sr, call->money->cursor, SLOTC_LIST_MAX,
                               gw__on_slot);
    if (rc != SLOT_OK) {
        gw__submit_failed(call, rc);
    }
}

/* The reconciliation's channel: the token's own, or the admin's choice. */
static const char *reconChannel(const struct gw_call *call)
{
    return call->channel == GW_CH_ADMIN
               ? call->a.query.channel
               : gw_config_channel_name(call->g->cfg, call->channel);
}

static void readRecon(struct gw_call *call)
{
    struct gw *g = call->g;
    struct slotc_req *sr =
        gw__call_req(call, g->cfg->limits.request_timeout_ms);
    call->phase = PH_RECON;
    int rc = slotc_read_recon(g->slot, sr, call->a.query.day,
                              call->a.query.hospital, reconChannel(call),
                              call->money->after, SLOTC_LIST_MAX, gw__on_slot);
    if (rc != SLOT_OK) {
        gw__submit_failed(call, rc);
    }
}

static void readStats(struct gw_call *call, uint32_t from, uint32_t to)
{
    struct gw *g = call->g;
    struct slotc_req *sr =
        gw__call_req(call, g->cfg->limits.request_timeout_ms);
    call->phase = PH_STATS;
    int rc = slotc_read_stats(g->slot, sr, call->a.query.hospital, from, to,
                              call->money->after, SLOTC_LIST_MAX, gw__on_slot);
    if (rc != SLOT_OK) {
        gw__submit_failed(call, rc);
    }
}

void gw__money_submit(struct gw_call *call)
{
    struct gw *g = call->g;
    if (call->route == GW_R_RECONCILIATION && call->channel != GW_CH_ADMIN &&
        call->a.query.channel[0] != '\0' &&
        strcmp(call->a.query.channel, reconChannel(call)) != 0) {
        moneyFail(call, GW_FORBIDDEN,
                  "a channel token reconciles its own channel only");
        return;
    }
    if (call->route == GW_R_RECONCILIATION &&
        g->recon_active >= g->cfg->limits.recon_max) {
        moneyFail(call, GW_RECON_BUSY, NULL);
        return;
    }
    struct gw_money_job *j = calloc(1, sizeof *j);
    if (j == NULL) {
        moneyFail(call, GW_INTERNAL, "out of memory");
        return;
    }
    call->money = j;
    gw_buf_init(&j->out, NULL, 0);
    if (call->route == GW_R_STATS) {
        gw_jw_init(&j->w, &j->out);
        readStats(call, call->a.query.q.date_from, call->a.query.q.date_to);
        return;
    }
    g->recon_active++;
    int rc = recon_init(&j->recon, call->a.query.day, call->a.query.hospital,
                        reconChannel(call),
                        call->a.query.csv ? RECON_CSV : RECON_JSON);
    j->recon_live = true;
    if (rc != SLOT_OK) {
        moneyFail(call, rc == SLOT_BUSY ? GW_INTERNAL : rc, j->recon.err);
        return;
    }
    /* From the first event ever: the node answers CURSOR_EXPIRED with the
     * oldest it holds when it dropped some. */
    j->cursor = 0;
    readEvents(call);
}

/* ---- completions --------------------------------------------------------- */

static void statsDone(struct gw_call *call, const struct slotc_req *sr)
{
    struct gw_money_job *j = call->money;
    const struct slotc_out *o = &sr->out;
    if (!j->head) {
        gw_json_stats_head(&j->w, call->a.query.q.date_from,
                           call->a.query.q.date_to, call->a.query.hospital);
        j->head = true;
    }
    for (uint32_t i = 0; i < o->n_stats; i++) {
        gw_jw_stats_row(&j->w, &o->stats[i]);
    }
    j->after += o->n_stats;
    if (tooLarge(call, j->out.len)) {
        moneyFail(call, GW_RESPONSE_TOO_LARGE, NULL);
        return;
    }
    /* Offsets page a list that may change between reads (a pool created
     * in between shifts the rows): each page is the ledger's at its
     * moment; total is the last page's. */
    if (o->n_stats == SLOTC_LIST_MAX && j->after < o->total) {
        readStats(call, call->a.query.q.date_from, call->a.query.q.date_to);
        return;
    }
    gw_json_stats_tail(&j->w, o->total);
    gw__reply_json(call, 200, &j->out, NULL);
    gw__call_free(call);
}

static void reconAnswer(struct gw_call *call)
{
    struct gw_money_job *j = call->money;
    int rc = recon_report(&j->recon, j->rows, j->n_rows, j->stats, j->n_stats,
                          j->kept_from_day);
    if (rc != SLOT_OK) {
        moneyFail(call,
                  rc == SLOT_TOO_LARGE ? GW_RESPONSE_TOO_LARGE : GW_INTERNAL,
                  j->recon.err);
        return;
    }
    if (tooLarge(call, reconBytes(j))) {
        moneyFail(call, GW_RESPONSE_TOO_LARGE, NULL);
        return;
    }
    size_t len = 0;
    const char *text = recon_text(&j->recon, &len);
    struct gw_buf b = {(char *)text, len, len, false, false};
    gw__reply_body(call, 200, &b,
                   call->a.query.csv ? "text/csv; charset=utf-8"
                                     : "application/json");
    gw__call_free(call);
}

/* The feed no longer holds D's start. */
static void dayGone(struct gw_call *call, uint64_t first)
{
    char msg[GW_MSG_MAX], day[11];
    slotc_day_format(call->a.query.day, day);
    snprintf(msg, sizeof msg,
             "the event feed no longer holds the start of %s (its oldest "
             "event is %" PRIu64
             "): reconcile it from the archive with `slotctl reconcile "
             "--archive`",
             day, first);
    moneyFail(call, GW_RECON_DAY_GONE, msg);
}

static void eventsDone(struct gw_call *call, const struct slotc_req *sr)
{
    struct gw_money_job *j = call->money;
    const struct slotc_out *o = &sr->out;
    uint64_t day_end_ms = gw_recon_day_end_ms(call->a.query.day);
    if (sr->status == SLOT_CURSOR_EXPIRED) {
        if (j->pages > 0) {
            /* The window moved past our cursor while we read: lines
             * are lost to us. */
            dayGone(call, o->first);
            return;
        }
        j->dropped = true;
        j->cursor = o->first - 1;
        j->pages++;
        readEvents(call);
        return;
    }
    if (sr->status != SLOT_OK) {
        gw__result_error(call, sr->status);
        gw__call_free(call);
        return;
    }
    j->pages++;
    if (!j->checked_start && o->n_events > 0) {
        j->checked_start = true;
        if (gw_recon_start_gone(call->a.query.day, o->events[0].seq,
                                o->events[0].time_ms)) {
            dayGone(call, o->events[0].seq);
            return;
        }
    }
    bool past = false;
    for (uint32_t i = 0; i < o->n_events && !past; i++) {
        const struct slotc_event *e = &o->events[i];
        /* Ledger time never goes back: after the latest end of D no
         * event can be D's. */
        past = e->time_ms >= day_end_ms;
        int rc = past ? SLOT_OK : recon_feed(&j->recon, e);
        if (rc != SLOT_OK) {
            moneyFail(call,
                      rc == SLOT_TOO_LARGE ? GW_RESPONSE_TOO_LARGE
                                           : GW_INTERNAL,
                      j->recon.err);
            return;
        }
        j->cursor = e->seq;
    }
    if (tooLarge(call, reconBytes(j))) {
        moneyFail(call, GW_RESPONSE_TOO_LARGE, NULL);
        return;
    }
    if (!past && o->n_events == SLOTC_LIST_MAX) {
        if (j->pages >= GW_RECON_PAGES_MAX) {
            /* More than the window: the feed grows faster than we read
             * it. An incomplete day would only "differ". */
            moneyFail(call, GW_OVERLOADED,
                      "the event feed grows faster than the reconciliation "
                      "reads it; retry later");
            return;
        }
        readEvents(call);
        return;
    }
    if (j->dropped && !j->checked_start) {
        /* Dropped events and none held: nothing says when they were. */
        dayGone(call, o->first);
        return;
    }
    j->after = 0;
    readRecon(call);
}

static void rowsDone(struct gw_call *call, const struct slotc_req *sr)
{
    struct gw_money_job *j = call->money;
    const struct slotc_out *o = &sr->out;
    bool oom = false;
    if (call->phase == PH_RECON) {
        j->kept_from_day = o->kept_from_day;
        if (!grow(call, (void **)&j->rows, &j->cap_rows, j->n_rows + o->n_recon,
                  sizeof *j->rows, &oom)) {
            moneyFail(call, oom ? GW_INTERNAL : GW_RESPONSE_TOO_LARGE,
                      oom ? "out of memory" : NULL);
            return;
        }
        if (o->n_recon > 0) { /* an empty page's array may be NULL */
            memcpy(j->rows + j->n_rows, o->recon, o->n_recon * sizeof *j->rows);
        }
        j->n_rows += o->n_recon;
        j->after += o->n_recon;
        if (o->n_recon == SLOTC_LIST_MAX && j->after < o->total) {
            readRecon(call);
            return;
        }
        j->after = 0;
        readStats(call, call->a.query.day, call->a.query.day);
        return;
    }
    if (!grow(call, (void **)&j->stats, &j->cap_stats, j->n_stats + o->n_stats,
              sizeof *j->stats, &oom)) {
        moneyFail(call, oom ? GW_INTERNAL : GW_RESPONSE_TOO_LARGE,
                  oom ? "out of memory" : NULL);
        return;
    }
    if (o->n_stats > 0) { /* an empty page's array may be NULL */
        memcpy(j->stats + j->n_stats, o->stats, o->n_stats * sizeof *j->stats);
    }
    j->n_stats += o->n_stats;
    j->after += o->n_stats;
    if (o->n_stats == SLOTC_LIST_MAX && j->after < o->total) {
        readStats(call, call->a.query.day, call->a.query.day);
        return;
    }
    reconAnswer(call);
}

void gw__money_done(struct gw_call *call, const struct slotc_req *sr)
{
    if (call->g->stopping) {
        /* A reconciliation may have a thousand pages to go: stopping
         * waits for no more of them. */
        moneyFail(call, GW_OVERLOADED, "the gateway is shutting down");
        return;
    }
    if (call->phase == PH_EVENTS) {
        eventsDone(call, sr);
        return;
    }
    if (sr->status != SLOT_OK) {
        gw__result_error(call, sr->status);
        gw__call_free(call);
        return;
    }
    if (call->route == GW_R_STATS) {
        statsDone(call, sr);
    } else {
        rowsDone(call, sr);
    }
}

/* ---- the background statistics ------------------------------------------ */

static uint64_t unixMs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void refreshDone(struct slotc_req *sr);

static void refreshRead(struct gw *g)
{
    struct gw_stats_refresh *s = &g->stats;
    slotc_req_init(&s->sreq);
    s->sreq.data = g;
    s->sreq.timeout_ms = g->cfg->limits.request_timeout_ms;
    s->sent_ns = uv_hrtime();
    s->reading = true;
    int rc = slotc_read_stats(g->slot, &s->sreq, NULL, s->from, s->to, s->after,
                              SLOTC_LIST_MAX, refreshDone);
    if (rc != SLOT_OK) {
        s->reading = false;
        s->cache.errors_total++;
    }
}

static void refreshDone(struct slotc_req *sr)
{
    struct gw *g = sr->data;
    struct gw_stats_refresh *s = &g->stats;
    s->reading = false;
    gw_metrics_cluster(&g->metrics, sr->op, sr->status,
                       (uv_hrtime() - s->sent_ns) / 1000);
    if (sr->status != SLOT_OK) {
        /* The previous figures stay; the next tick tries again. */
        s->cache.errors_total++;
        return;
    }
    const struct slotc_out *o = &sr->out;
    uint32_t room = s->cache.cap - s->next_n;
    uint32_t n = o->n_stats < room ? o->n_stats : room;
    if (n > 0) { /* an empty page's array may be NULL */
        memcpy(s->next + s->next_n, o->stats, n * sizeof *s->next);
    }
    s->next_n += n;
    s->after += o->n_stats;
    /* Pages past the cap would only be counted: their count is
     * total - kept, without reading them. */
    if (o->n_stats == SLOTC_LIST_MAX && s->after < o->total &&
        s->next_n < s->cache.cap && !g->stopping) {
        refreshRead(g);
        return;
    }
    struct slotc_stats_row *old = s->cache.rows;
    s->cache.rows = s->next;
    s->next = old;
    s->cache.n = s->next_n;
    s->cache.day_from = s->from;
    s->cache.day_to = s->to;
    s->cache.refreshed_unix_ms = unixMs();
    s->cache.refreshes_total++;
    s->cache.dropped_total += o->total > s->next_n ? o->total - s->next_n : 0;
}

static void refreshTick(uv_timer_t *t)
{
    struct gw *g = t->data;
    struct gw_stats_refresh *s = &g->stats;
    if (s->reading || g->stopping) {
        return; /* at most one refresh at a time */
    }
    uint32_t today = (uint32_t)(unixMs() / GW_DAY_MS);
    s->from = today - GW_STATS_METRICS_BEFORE;
    s->to = today + GW_STATS_METRICS_AFTER;
    s->after = 0;
    s->next_n = 0;
    refreshRead(g);
}

int gw__stats_start(struct gw *g)
{
    struct gw_stats_refresh *s = &g->stats;
    uint32_t cap = g->cfg->limits.stats_series_max;
    if (cap == 0) {
        return 0;
    }
    s->cache.rows = calloc(cap, sizeof *s->cache.rows);
    s->next = calloc(cap, sizeof *s->next);
    if (s->cache.rows == NULL || s->next == NULL) {
        free(s->cache.rows);
        free(s->next);
        s->cache.rows = s->next = NULL;
        return -1;
    }
    s->cache.cap = cap;
    uv_timer_init(g->loop, &s->timer);
    s->timer.data = g;
    uv_timer_start(&s->timer, refreshTick, 0, g->cfg->limits.stats_refresh_ms);
    s->started = true;
    return 0;
}

void gw__stats_stop(struct gw *g)
{
    if (g->stats.started) {
        uv_timer_stop(&g->stats.timer);
        uv_close((uv_handle_t *)&g->stats.timer, NULL);
        g->stats.started = false;
    }
}
