/* gw_http: h2o handlers over libslot's async API (see gw_http.h). */
#include "gw_http.h"

#include <h2o.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>
#include <time.h>

#include "gw_console.h"
#include "gw_err.h"
#include "gw_httpInt.h"
#include "gw_json.h"
#include "gw_limit.h"
#include "gw_metrics.h"
#include "gw_openapi.h"
#include "gw_route.h"
#include "gw_sched.h"
#include "libslot.h"

struct gw_handler {
    h2o_handler_t super;
    struct gw *g;
};

/* A connection: libuv's handle first, so h2o's close callback (which
 * gets the handle) finds the gateway. */
struct gw_conn {
    uv_tcp_t tcp;
    struct gw *g;
};

/* The synchronous part of one request. */
struct rctx {
    struct gw *g;
    h2o_req_t *req;
    uint64_t t0_ns;
    int route;
    int channel;
};

/* One response. */
struct reply {
    int status;
    int code; /* for the log: SLOT_OK or the error's code */
    const char *body;
    size_t len;
    const char *ctype;
    const char *location;   /* or NULL */
    uint64_t retry_after_s; /* 0: no header */
    const char *allow;      /* 405 */
    bool console;           /* the console's security and cache headers */
};

static const char jsonType[] = "application/json";

/* ---- responses ----------------------------------------------------------- */

static const char *reasonOf(int status)
{
    switch (status) {
        case 200:
            return "OK";
        case 201:
            return "Created";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 402:
            return "Payment Required";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 409:
            return "Conflict";
        case 410:
            return "Gone";
        case 413:
            return "Payload Too Large";
        case 422:
            return "Unprocessable Entity";
        case 429:
            return "Too Many Requests";
        case 431:
            return "Request Header Fields Too Large";
        case 503:
            return "Service Unavailable";
        case 504:
            return "Gateway Timeout";
        default:
            return "Internal Server Error";
    }
}

static void addHeader(h2o_req_t *req, const h2o_token_t *tok, const char *v)
{
    h2o_iovec_t c = h2o_strdup(&req->pool, v, strlen(v));
    h2o_add_header(&req->pool, &req->res.headers, tok, NULL, c.base, c.len);
}

static void record(struct gw *g, int route, int channel, uint64_t t0_ns,
                   int status, int code, const char *method, size_t mlen,
                   const char *path, size_t plen)
{
    uint64_t us = (uv_hrtime() - t0_ns) / 1000;
    gw_metrics_request(&g->metrics, route, status, channel, us);
    gw_log_request(g->log, method, mlen, path, plen, status, us,
                   gw_config_channel_name(g->cfg, channel),
                   code == SLOT_OK ? "-" : gw_err_name(code));
}

/* Sends r on req and records it. req may be freed by h2o on return. */
static void sendReply(struct gw *g, h2o_req_t *req, int route, int channel,
                      uint64_t t0_ns, const struct reply *r)
{
    req->res.status = r->status;
    req->res.reason = reasonOf(r->status);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   r->ctype, strlen(r->ctype));
    if (r->retry_after_s > 0) {
        char v[24];
        snprintf(v, sizeof v, "%" PRIu64, r->retry_after_s);
        addHeader(req, H2O_TOKEN_RETRY_AFTER, v);
    }
    if (r->allow != NULL) {
        addHeader(req, H2O_TOKEN_ALLOW, r->allow);
    }
    if (r->status == 401) {
        h2o_add_header(&req->pool, &req->res.headers,
                       H2O_TOKEN_WWW_AUTHENTICATE, NULL, H2O_STRLIT("Bearer"));
    }
    if (r->location != NULL) {
        addHeader(req, H2O_TOKEN_LOCATION, r->location);
    }
    if (r->console) {
        static const char *const hdrs[][2] = {
            {"content-security-policy", GW_CONSOLE_CSP},
            {"x-content-type-options", "nosniff"},
            {"cache-control", GW_CONSOLE_CACHE},
            {"x-frame-options", "DENY"},
            {"referrer-policy", "no-referrer"},
        };
        for (size_t i = 0; i < sizeof hdrs / sizeof hdrs[0]; i++) {
            h2o_add_header_by_str(&req->pool, &req->res.headers, hdrs[i][0],
                                  strlen(hdrs[i][0]), 1, NULL, hdrs[i][1],
                                  strlen(hdrs[i][1]));
        }
    }
    /* Copy the request line for the log before h2o may free req. */
    char method[16], path[256];
    size_t ml =
        req->method.len < sizeof method ? req->method.len : sizeof method;
    size_t pl = req->path.len < sizeof path ? req->path.len : sizeof path;
    memcpy(method, req->method.base, ml);
    memcpy(path, req->path.base, pl);
    req->res.content_length = r->len;
    h2o_send_inline(req, r->body, r->len);
    record(g, route, channel, t0_ns, r->status, r->code, method, ml, path, pl);
}

static uint64_t retryAfter(const struct gw *g, int code)
{
    return gw_err_retryable(code) ? g->cfg->limits.retry_after_s : 0;
}

/* An error response {"error":{...}} (extra: more members, or NULL). */
static void replyError(struct gw *g, h2o_req_t *req, int route, int channel,
                       uint64_t t0_ns, int code, const char *msg,
                       const char *extra, uint64_t retry_s, const char *allow)
{
    char st[512];
    struct gw_buf b;
    gw_buf_init(&b, st, sizeof st);
    gw_json_error(&b, code, msg, extra);
    struct reply r = {.status = gw_err_status(code),
                      .code = code,
                      .body = b.p,
                      .len = b.len,
                      .ctype = jsonType,
                      .retry_after_s =
                          retry_s > 0 ? retry_s : retryAfter(g, code),
                      .allow = allow};
    sendReply(g, req, route, channel, t0_ns, &r);
    gw_buf_free(&b);
}

static int fail(struct rctx *c, int code, const char *msg)
{
    replyError(c->g, c->req, c->route, c->channel, c->t0_ns, code, msg, NULL, 0,
               NULL);
    return 0;
}

static void replyJson(struct gw *g, h2o_req_t *req, int route, int channel,
                      uint64_t t0_ns, int status, const struct gw_buf *b,
                      const char *location)
{
    if (b->oom) {
        replyError(g, req, route, channel, t0_ns, GW_INTERNAL, "out of memory",
                   NULL, 0, NULL);
        return;
    }
    struct reply r = {.status = status,
                      .code = SLOT_OK,
                      .body = b->p,
                      .len = b->len,
                      .ctype = jsonType,
                      .location = location};
    sendReply(g, req, route, channel, t0_ns, &r);
}

/* Server-Timing: gw;dur=MS, the call's time from the handler's start to
 * its answer (mostly the cluster's). What a client measures beyond it is
 * the network, the kernel's socket buffers and h2o's read: slotbench's
 * http mode splits an accepted request's time with it. */
static void serverTiming(struct gw_call *call)
{
    if (call->hreq == NULL) {
        return;
    }
    char v[40];
    uint64_t us = (uv_hrtime() - call->t0_ns) / 1000;
    snprintf(v, sizeof v, "gw;dur=%" PRIu64 ".%03" PRIu64, us / 1000,
             us % 1000);
    h2o_iovec_t c = h2o_strdup(&call->hreq->pool, v, strlen(v));
    h2o_add_header_by_str(&call->hreq->pool, &call->hreq->res.headers,
                          H2O_STRLIT("server-timing"), 0, NULL, c.base, c.len);
}

void gw__reply_json(struct gw_call *call, int status, const struct gw_buf *b,
                    const char *location)
{
    serverTiming(call);
    replyJson(call->g, call->hreq, call->route, call->channel, call->t0_ns,
              status, b, location);
}

void gw__reply_body(struct gw_call *call, int status, const struct gw_buf *b,
                    const char *ctype)
{
    if (b->oom) {
        gw__call_error(call, GW_INTERNAL, "out of memory", NULL);
        return;
    }
    serverTiming(call);
    struct reply r = {.status = status,
                      .code = SLOT_OK,
                      .body = b->p,
                      .len = b->len,
                      .ctype = ctype};
    sendReply(call->g, call->hreq, call->route, call->channel, call->t0_ns, &r);
}

/* ---- calls --------------------------------------------------------------- */

/* h2o is freeing the request (response sent, or the client went away). */
static void onReqDispose(void *p)
{
    struct gw_call **link = p;
    if (*link != NULL) {
        (*link)->hreq = NULL;
        (*link)->link = NULL;
    }
}

static struct gw_call *callNew(struct rctx *c)
{
    struct gw *g = c->g;
    struct gw_call *call = g->free_calls;
    if (call != NULL) {
        g->free_calls = call->next_free;
    } else {
        call = malloc(sizeof *call);
        if (call == NULL) {
            return NULL;
        }
    }
    call->g = g;
    call->hreq = c->req;
    call->route = c->route;
    call->channel = c->channel;
    call->phase = 0;
    call->strict = false;
    call->t0_ns = c->t0_ns;
    gw_args_init(&call->a);
    call->next_free = NULL;
    call->money = NULL;
    call->cluster = NULL;
    call->link =
        h2o_mem_alloc_shared(&c->req->pool, sizeof *call->link, onReqDispose);
    *call->link = call;
    g->inflight++;
    return call;
}

void gw__call_free(struct gw_call *call)
{
    struct gw *g = call->g;
    /* The operator's calls (cluster views, reconciliations: up to seconds
     * by design) say nothing about the booking path's queue. */
    if (call->channel != GW_CH_ADMIN) {
        gw_admit_idle(&g->admit, uv_metrics_idle_time(g->loop) / 1000000);
        gw_admit_done(&g->admit, uv_now(g->loop),
                      (uv_hrtime() - call->t0_ns) / 1000);
    }
    if (call->link != NULL) {
        *call->link = NULL;
    }
    if (call->money != NULL) {
        gw__money_free(call);
    }
    if (call->cluster != NULL) {
        gw__cluster_free(call);
    }
    free(call->a.rules);
    free(call->a.tpl);
    call->a.rules = NULL;
    call->a.tpl = NULL;
    g->inflight--;
    call->next_free = g->free_calls;
    g->free_calls = call;
}

/* What is left of the request's deadline (request_timeout_ms from its
 * start) for one more libslot request: a hold's pool read and the hold share
 * one budget, so a client never waits much longer than the configured
 * timeout. 0 when it is spent. */
uint32_t gw__budget_ms(const struct gw_call *call)
{
    uint64_t spent = (uv_hrtime() - call->t0_ns) / 1000000;
    uint64_t total = call->g->cfg->limits.request_timeout_ms;
    return spent + 10 >= total ? 0 : (uint32_t)(total - spent);
}

/* Prepares call->sreq for a libslot submit. */
struct slotc_req *gw__call_req(struct gw_call *call, uint32_t timeout_ms)
{
    slotc_req_init(&call->sreq);
    call->sreq.data = call;
    call->sreq.timeout_ms = timeout_ms;
    call->sent_ns = uv_hrtime();
    return &call->sreq;
}

/* The one place where an Idempotency-Key reaches libslot (and through it
 * the ledger, which remembers the result under (channel, key)). Only the
 * write of a route carries it, never a read. */
void gw__call_idem(struct gw_call *call, struct slotc_req *sr)
{
    if (call->a.idem[0] == '\0') {
        return;
    }
    sr->idem_key = call->a.idem;
    /* The key's namespace: the token's channel ("admin" for the operator,
     * a name no channel token can have). */
    sr->idem_channel = gw_config_channel_name(call->g->cfg, call->channel);
}

void gw__call_error(struct gw_call *call, int code, const char *msg,
                    const char *extra)
{
    serverTiming(call);
    if (gw_err_status(code) >= 500) {
        /* The cluster's trouble (or ours): worth an error line. */
        const struct gw_route *rt = &gw_routes[call->route];
        gw_log_error(call->g->log, "%s %s (id %" PRIu64 ", pool \"%s\"): %s",
                     rt->method, rt->path, call->a.id, call->a.pool,
                     gw_err_name(code));
    }
    replyError(call->g, call->hreq, call->route, call->channel, call->t0_ns,
               code, msg, extra, 0, NULL);
}

/* A submit that libslot refused synchronously. */
void gw__submit_failed(struct gw_call *call, int rc)
{
    if (rc == SLOT_BUSY) {
        call->g->metrics.rejects[GW_REJECT_CLIENT_BUSY]++;
        gw__call_error(call, GW_OVERLOADED,
                       "the cluster client's queue is full; retry later", NULL);
    } else {
        gw__call_error(call, rc, NULL, NULL);
    }
    gw__call_free(call);
}

/* ---- results ------------------------------------------------------------- */

/* {"...":id,"query":"/v1/holds/ID"} members of an OUTCOME_UNKNOWN. */
static void unknownExtra(const struct gw_call *call, struct gw_buf *b)
{
    char enc[3 * SLOTC_POOL_ID_MAX + 1], enc2[3 * SLOTC_PATIENT_KEY_MAX + 1];
    struct gw_jw w;
    gw_jw_init(&w, b);
    w.depth = 1; /* we are inside the error object, after "message" */
    w.need_comma[0] = false;
    char q[512];
    switch (call->route) {
        case GW_R_HOLD_CREATE:
            gw_pct_encode(call->a.pool, strlen(call->a.pool), enc, sizeof enc);
            gw_pct_encode(call->a.patient, strlen(call->a.patient), enc2,
                          sizeof enc2);
            gw_jw_key(&w, "pool");
            gw_jw_str(&w, call->a.pool);
            gw_jw_key(&w, "patient");
            gw_jw_str(&w, call->a.patient);
            snprintf(q, sizeof q, "/v1/pools/%s/patients/%s", enc, enc2);
            break;
        case GW_R_POOL_CREATE:
        case GW_R_POOL_CLOSE:
            gw_pct_encode(call->a.pool, strlen(call->a.pool), enc, sizeof enc);
            gw_jw_key(&w, "pool");
            gw_jw_str(&w, call->a.pool);
            snprintf(q, sizeof q, "/v1/pools/%s", enc);
            break;
        case GW_R_BOOKING_CANCEL:
        case GW_R_BOOKING_MOVE:
        case GW_R_BOOKING_CHECKIN:
            /* The booking tells: cancelled (refunded), moved (moved_to:
             * the new booking), or its attendance checked_in. */
            gw_jw_key(&w, "booking");
            gw_jw_u64(&w, call->a.id);
            snprintf(q, sizeof q, "/v1/bookings/%" PRIu64, call->a.id);
            break;
        case GW_R_POOL_STOP:
            /* The pool's state: "stopped" once applied. */
            gw_pct_encode(call->a.pool, strlen(call->a.pool), enc, sizeof enc);
            gw_jw_key(&w, "pool");
            gw_jw_str(&w, call->a.pool);
            snprintf(q, sizeof q, "/v1/pools/%s", enc);
            break;
        case GW_R_RULES_SET:
            /* The change log says whether a version with this operator
             * and reason was added. */
            gw_pct_encode(call->a.query.hospital,
                          strlen(call->a.query.hospital), enc, sizeof enc);
            gw_jw_key(&w, "hospital");
            gw_jw_str(&w, call->a.query.hospital);
            snprintf(q, sizeof q, "/v1/hospitals/%s/rules/log", enc);
            break;
        case GW_R_SCHEDULE_IMPORT:
            /* An import is all or none: a dry run of the same body says
             * created 0 and no conflicts once it was applied. */
            gw_jw_key(&w, "hospital");
            gw_jw_str(&w, call->a.tpl->place.hospital);
            snprintf(q, sizeof q, "/v1/schedules?dry_run=1");
            break;
        case GW_R_ACCOUNT_BIND:
        case GW_R_ACCOUNT_UNBIND:
            /* The account's key: the admin token reads it by that. */
            gw_pct_encode(call->a.account, strlen(call->a.account), enc,
                          sizeof enc);
            gw_jw_key(&w, "account");
            gw_jw_str(&w, call->a.account);
            gw_jw_key(&w, "patient");
            gw_jw_str(&w, call->a.patient);
            snprintf(q, sizeof q, "/v1/accounts/%s", enc);
            break;
        case GW_R_VIOLATION:
        case GW_R_UNBLOCK:
        case GW_R_EXCEPTION:
            gw_jw_key(&w, "hospital");
            gw_jw_str(&w, call->a.query.hospital);
            gw_jw_key(&w, "patient");
            gw_jw_str(&w, call->a.patient);
            snprintf(q, sizeof q, "/v1/staff-log");
            break;
        case GW_R_WAITLIST_JOIN:
        case GW_R_WAITLIST_LEAVE:
            gw_pct_encode(call->a.pool, strlen(call->a.pool), enc, sizeof enc);
            gw_pct_encode(call->a.patient, strlen(call->a.patient), enc2,
                          sizeof enc2);
            gw_jw_key(&w, "pool");
            gw_jw_str(&w, call->a.pool);
            gw_jw_key(&w, "patient");
            gw_jw_str(&w, call->a.patient);
            snprintf(q, sizeof q, "/v1/pools/%s/waitlist/%s", enc, enc2);
            break;
        default:
            gw_jw_key(&w, "hold");
            gw_jw_u64(&w, call->a.id);
            snprintf(q, sizeof q, "/v1/holds/%" PRIu64, call->a.id);
            break;
    }
    gw_jw_key(&w, "query");
    gw_jw_str(&w, q);
}

/* The members of a refusal that names its rule (slot_proto.h: result a
 * and b), with slotctl's names: "quota" and "window_date" of
 * QUOTA_EXCEEDED, "blacklisted_until_ms" of BLACKLISTED, "date" of
 * CANCEL_LIMIT, "account_rule" of ACCOUNT_LIMIT. Empty otherwise. */
static void ruleExtra(const struct slotc_out *o, int code, struct gw_buf *b)
{
    struct gw_jw w;
    gw_jw_init(&w, b);
    w.depth = 1; /* inside the error object, after "message" */
    w.need_comma[0] = false;
    char day[11];
    const char *name;
    switch (code) {
        case SLOT_QUOTA_EXCEEDED:
            name = slotc_quota_name(o->quota);
            gw_jw_key(&w, "quota");
            gw_jw_str(&w, name != NULL ? name : "unknown");
            gw_jw_key(&w, "window_date");
            if (o->window_day != 0) {
                slotc_day_format(o->window_day, day);
                gw_jw_str(&w, day);
            } else {
                gw_jw_null(&w); /* the platform-wide quota has no window */
            }
            break;
        case SLOT_BLACKLISTED:
            gw_jw_key(&w, "blacklisted_until_ms");
            gw_jw_u64(&w, o->until_ms);
            break;
        case SLOT_CANCEL_LIMIT:
            slotc_day_format(o->window_day, day);
            gw_jw_key(&w, "date");
            gw_jw_str(&w, day);
            break;
        case SLOT_ACCOUNT_LIMIT:
            name = slotc_account_rule_name(o->account_rule);
            gw_jw_key(&w, "account_rule");
            gw_jw_str(&w, name != NULL ? name : "unknown");
            break;
        default:
            break;
    }
}

void gw__result_error(struct gw_call *call, int code)
{
    if (code == SLOT_QUOTA_EXCEEDED || code == SLOT_BLACKLISTED ||
        code == SLOT_CANCEL_LIMIT || code == SLOT_ACCOUNT_LIMIT) {
        char st[256];
        struct gw_buf b;
        gw_buf_init(&b, st, sizeof st);
        ruleExtra(&call->sreq.out, code, &b);
        gw__call_error(call, code, NULL, b.p);
        gw_buf_free(&b);
        return;
    }
    if (code == SLOT_OUTCOME_UNKNOWN) {
        char st[512];
        struct gw_buf b;
        gw_buf_init(&b, st, sizeof st);
        unknownExtra(call, &b);
        gw__call_error(
            call, code,
            "the request may or may not have been applied: query it (see "
            "\"query\")",
            b.p);
        gw_buf_free(&b);
        return;
    }
    gw__call_error(call, code, NULL, NULL);
}

static void resultOk(struct gw_call *call, const struct slotc_req *sr)
{
    char st[1024], loc[256], enc[3 * SLOTC_POOL_ID_MAX + 1];
    struct gw_buf b;
    gw_buf_init(&b, st, sizeof st);
    struct gw_jw w;
    gw_jw_init(&w, &b);
    const char *location = NULL;
    int status = gw_routes[call->route].ok_status;
    switch (call->route) {
        case GW_R_POOL_CREATE:
            gw_json_pool_spec(&b, &call->a.spec);
            gw_pct_encode(call->a.pool, strlen(call->a.pool), enc, sizeof enc);
            snprintf(loc, sizeof loc, "/v1/pools/%s", enc);
            location = loc;
            break;
        case GW_R_POOL_GET:
            gw_json_pool(&b, &sr->out.pools[0]);
            break;
        case GW_R_POOL_CLOSE:
            gw_jw_obj(&w);
            gw_jw_key(&w, "pool");
            gw_jw_str(&w, call->a.pool);
            gw_jw_key(&w, "state");
            gw_jw_str(&w, "closed");
            gw_jw_end(&w);
            break;
        case GW_R_HOLD_CREATE:
            gw_jw_obj(&w);
            gw_jw_key(&w, "hold");
            gw_jw_u64(&w, sr->out.id);
            gw_jw_key(&w, "deadline_ms");
            gw_jw_u64(&w, sr->out.deadline_ms);
            /* The key the ledger holds it under: the one derived from an
             * identity (never the number), or the opaque key sent. */
            gw_jw_key(&w, "patient");
            gw_jw_str(&w, call->a.patient);
            gw_jw_end(&w);
            snprintf(loc, sizeof loc, "/v1/holds/%" PRIu64, sr->out.id);
            location = loc;
            break;
        case GW_R_PATIENT_GET:
        case GW_R_PATIENT_LOOKUP:
        case GW_R_HOLD_GET:
            gw_json_claim(&b, "hold", &sr->out.claims[0]);
            break;
        case GW_R_BOOKING_GET:
            gw_json_claim(&b, "booking", &sr->out.claims[0]);
            break;
        case GW_R_HOLD_CONFIRM:
            gw_jw_obj(&w);
            gw_jw_key(&w, "booking");
            gw_jw_u64(&w, sr->out.id);
            gw_jw_key(&w, "visit_no");
            gw_jw_u64(&w, sr->out.visit_no);
            gw_jw_end(&w);
            break;
        case GW_R_HOLD_RELEASE:
            gw_jw_obj(&w);
            gw_jw_key(&w, "hold");
            gw_jw_u64(&w, call->a.id);
            gw_jw_key(&w, "state");
            gw_jw_str(&w, "released");
            gw_jw_end(&w);
            break;
        case GW_R_BOOKING_CANCEL:
            gw_jw_obj(&w);
            gw_jw_key(&w, "booking");
            gw_jw_u64(&w, call->a.id);
            gw_jw_key(&w, "state");
            gw_jw_str(&w, "cancelled");
            gw_jw_end(&w);
            break;
        case GW_R_HEALTHZ: {
            const struct slotc_node_status *ns = sr->out.status;
            gw_jw_obj(&w);
            gw_jw_key(&w, "status");
            gw_jw_str(&w, "ok");
            gw_jw_key(&w, "node");
            gw_jw_str(&w, sr->out.node != NULL ? sr->out.node : "");
            gw_jw_key(&w, "role");
            gw_jw_str(&w, ns->role);
            gw_jw_key(&w, "leader_id");
            gw_jw_u64(&w, ns->leader_id);
            gw_jw_key(&w, "term");
            gw_jw_u64(&w, ns->term);
            gw_jw_key(&w, "commit_index");
            gw_jw_u64(&w, ns->commit_index);
            gw_jw_key(&w, "applied_index");
            gw_jw_u64(&w, ns->applied_index);
            gw_jw_key(&w, "ledger_time_ms");
            gw_jw_u64(&w, ns->ledger_time_ms);
            gw_jw_end(&w);
            break;
        }
        default:
            break;
    }
    gw__reply_json(call, status, &b, location);
    gw_buf_free(&b);
}

/* Confirm / release / cancel: one write that names who asks. The
 * ledger allows the claim's own channel, the claim's patient's account
 * (X-Account) on any channel, and the administrator (caller ""); anyone
 * else gets NOT_OWNER with nothing changed. No read first: one cluster
 * round trip, and a replay of a forgotten claim gets its original answer
 * (the key's, from the ledger). */
static void submitWrite(struct gw_call *call)
{
    struct gw *g = call->g;
    struct slotc_req *sr =
        gw__call_req(call, g->cfg->limits.request_timeout_ms);
    gw__call_idem(call, sr);
    call->phase = 1;
    const char *caller = call->channel == GW_CH_ADMIN
                             ? NULL
                             : gw_config_channel_name(g->cfg, call->channel);
    const char *account = call->a.account[0] != '\0' ? call->a.account : NULL;
    int rc;
    switch (call->route) {
        case GW_R_HOLD_CONFIRM:
            /* No reference: a pay-at-visit pool books it unpaid, any other
             * answers PAYMENT_REQUIRED (the ledger decides). The method
             * (protocol 5) is recorded with the payment. */
            rc = slotc_confirm_pay(
                g->slot, sr, call->a.id,
                call->a.payment_ref[0] != '\0' ? call->a.payment_ref : NULL,
                call->a.pay_method[0] != '\0' ? call->a.pay_method : NULL,
                caller, account, gw__on_slot);
            break;
        case GW_R_HOLD_RELEASE:
            rc = slotc_release_as(g->slot, sr, call->a.id, caller, account,
                                  gw__on_slot);
            break;
        default:
            rc = slotc_cancel_as(g->slot, sr, call->a.id, caller, account,
                                 gw__on_slot);
            break;
    }
    if (rc != SLOT_OK) {
        gw__submit_failed(call, rc);
    }
}

/* Does the claim read by sr belong to the caller (a claim read's own
 * check: reads name no account, so only the claim's channel and the admin
 * token see it)? Answers (and frees the call) when it does not, or when
 * the read failed. */
static bool ownerOk(struct gw_call *call, const struct slotc_req *sr)
{
    if (sr->status != SLOT_OK) {
        /* Nothing was written: a failed read is retryable as it stands
         * (OUTCOME_UNKNOWN is impossible for a read). */
        gw__call_error(call, sr->status, NULL, NULL);
        gw__call_free(call);
        return false;
    }
    if (sr->out.n_claims == 0) {
        gw__call_error(call, SLOT_UNKNOWN_HOLD,
                       "the patient has no active hold or booking in this pool",
                       NULL);
        gw__call_free(call);
        return false;
    }
    const char *mine = gw_config_channel_name(call->g->cfg, call->channel);
    if (call->channel != GW_CH_ADMIN &&
        strcmp(sr->out.claims[0].channel, mine) != 0) {
        gw__call_error(call, GW_FORBIDDEN,
                       call->route == GW_R_BOOKING_GET ||
                               call->route == GW_R_BOOKING_CANCEL
                           ? "this booking was made through another channel"
                           : "this hold was made through another channel",
                       NULL);
        gw__call_free(call);
        return false;
    }
    return true;
}

void gw__on_slot(struct slotc_req *sr)
{
    struct gw_call *call = sr->data;
    struct gw *g = call->g;
    gw_metrics_cluster(&g->metrics, sr->op, sr->status,
                       (uv_hrtime() - call->sent_ns) / 1000);
    if (call->hreq == NULL) {
        /* The client went away. A pending read stops here
         * (nothing was written); a write has completed in the ledger. */
        const struct gw_route *rt = &gw_routes[call->route];
        uint64_t us = (uv_hrtime() - call->t0_ns) / 1000;
        gw_metrics_request(&g->metrics, call->route, 499, call->channel, us);
        gw_log_request(
            g->log, rt->method, strlen(rt->method), rt->path, strlen(rt->path),
            499, us, gw_config_channel_name(g->cfg, call->channel),
            sr->status == SLOT_OK ? "CLIENT_GONE" : gw_err_name(sr->status));
        gw__call_free(call);
        return;
    }
    switch (call->route) {
        case GW_R_POOL_QUERY:
        case GW_R_SCHEDULE_IMPORT:
        case GW_R_RULES_GET:
        case GW_R_RULES_SET:
        case GW_R_RULES_LOG:
            gw__sched_done(call, sr);
            return;
        case GW_R_HOLD_CREATE:
            if (call->phase == 0 && sr->op == SLOTC_OP_READ_POOL) {
                gw__hold_read_done(call, sr);
                return;
            }
            break;
        case GW_R_POOL_GET:
            if (sr->status == SLOT_OK) {
                gw__pools_seen(g, sr->out.pools, sr->out.n_pools);
            }
            break;
        case GW_R_POOL_CREATE:
            if (sr->status == SLOT_OK) {
                gw_pcache_put(&g->pools, call->a.pool, strlen(call->a.pool),
                              call->a.spec.place != NULL, uv_now(g->loop));
            }
            break;
        case GW_R_ACCOUNT_BIND:
        case GW_R_ACCOUNT_UNBIND:
        case GW_R_ACCOUNT_GET:
        case GW_R_PATIENT_INFO:
        case GW_R_PATIENT_INFO_LOOKUP:
        case GW_R_VIOLATION:
        case GW_R_UNBLOCK:
        case GW_R_EXCEPTION:
        case GW_R_STAFF_LOG:
        case GW_R_WAITLIST_JOIN:
        case GW_R_WAITLIST_LEAVE:
        case GW_R_WAITLIST_GET:
        case GW_R_WAITLIST_LOOKUP:
            gw__patient_done(call, sr);
            return;
        case GW_R_POOL_STOP:
        case GW_R_POOL_CLAIMS:
        case GW_R_BOOKING_MOVE:
        case GW_R_BOOKING_CHECKIN:
            gw__visit_done(call, sr);
            return;
        case GW_R_RECONCILIATION:
        case GW_R_STATS:
            gw__money_done(call, sr);
            return;
        case GW_R_HOLD_GET:
        case GW_R_BOOKING_GET:
        case GW_R_PATIENT_GET:
        case GW_R_PATIENT_LOOKUP:
            if (!ownerOk(call, sr)) {
                return;
            }
            break;
        case GW_R_HEALTHZ:
            if (sr->status != SLOT_OK) {
                gw__call_error(
                    call,
                    sr->status == SLOT_OUTCOME_UNKNOWN ? SLOT_UNAVAILABLE
                                                       : sr->status,
                    "the cluster is unreachable or has no leader", NULL);
                gw__call_free(call);
                return;
            }
            if (strcmp(sr->out.status->role, "leader") != 0 &&
                sr->out.status->leader_id == 0) {
                gw__call_error(call, SLOT_NO_LEADER,
                               "the node answering knows no leader", NULL);
                gw__call_free(call);
                return;
            }
            break;
        default:
            break;
    }
    if (sr->status == SLOT_OK) {
        resultOk(call, sr);
    } else {
        gw__result_error(call, sr->status);
    }
    gw__call_free(call);
}

/* ---- request handling ---------------------------------------------------- */

static bool strEqCase(const char *a, size_t n, const char *lit)
{
    if (strlen(lit) != n) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char x = a[i];
        if (x >= 'A' && x <= 'Z') {
            x = (char)(x - 'A' + 'a');
        }
        if (x != lit[i]) {
            return false;
        }
    }
    return true;
}

/* The token's channel slot, or -1 (answered 401). */
static int authenticate(struct rctx *c)
{
    ssize_t i = h2o_find_header(&c->req->headers, H2O_TOKEN_AUTHORIZATION, -1);
    if (i < 0) {
        fail(c, GW_UNAUTHORIZED, "missing \"Authorization: Bearer TOKEN\"");
        return -1;
    }
    h2o_iovec_t v = c->req->headers.entries[i].value;
    size_t k = 0;
    while (k < v.len && v.base[k] != ' ') {
        k++;
    }
    if (!strEqCase(v.base, k, "bearer")) {
        fail(c, GW_UNAUTHORIZED, "the Authorization scheme must be Bearer");
        return -1;
    }
    while (k < v.len && v.base[k] == ' ') {
        k++;
    }
    int ch = gw_config_token(c->g->cfg, v.base + k, v.len - k);
    if (ch < 0) {
        fail(c, GW_UNAUTHORIZED, "unknown token");
        return -1;
    }
    return ch;
}

/* Reads the Idempotency-Key header into call->a.idem; false if answered
 * 400. */
static bool idemKey(struct rctx *c, struct gw_call *call)
{
    static const char name[] = "idempotency-key";
    ssize_t i =
        h2o_find_header_by_str(&c->req->headers, name, sizeof name - 1, -1);
    if (i < 0) {
        return true;
    }
    h2o_iovec_t v = c->req->headers.entries[i].value;
    if (h2o_find_header_by_str(&c->req->headers, name, sizeof name - 1, i) >=
        0) {
        fail(c, SLOT_INVALID_ARGUMENT, "more than one Idempotency-Key header");
        return false;
    }
    struct gw_fail f;
    if (!gw_arg_idem(&call->a, v.base, v.len, &f)) {
        fail(c, f.code, f.message);
        return false;
    }
    return true;
}

static void serveMetrics(struct rctx *c)
{
    struct gw *g = c->g;
    char st[16384];
    struct gw_buf b;
    gw_buf_init(&b, st, sizeof st);
    gw_metrics_render(&g->metrics, g->cfg->channel_names, g->cfg->n_channels,
                      g->inflight, g->cfg->limits.inflight_max, &b);
    gw_metrics_render_admit(&g->admit, &b);
    /* The statistics as the background refresh last read them: a scrape
     * costs the cluster nothing and never waits on it. */
    if (g->cfg->limits.stats_series_max > 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        gw_stats_render_prom(
            &g->stats.cache,
            (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000, &b);
    }
    struct reply r = {.status = 200,
                      .code = SLOT_OK,
                      .body = b.p,
                      .len = b.len,
                      .ctype = "text/plain; version=0.0.4; charset=utf-8"};
    sendReply(g, c->req, c->route, c->channel, c->t0_ns, &r);
    gw_buf_free(&b);
}

/* The in-flight budget: a request beyond it is refused at once, before
 * its body is parsed, so that a refusal costs little. New holds meet the
 * adaptive budget (gw_admit.h); every other request only the ceiling
 * (inflight_max): a confirm, a release or a cancel finishes work the
 * cluster already did (a hold refused now costs a retry, a confirm refused
 * costs the booking when the hold lapses), and the operator's and the
 * readers' requests are few. */
static bool overloaded(struct rctx *c)
{
    struct gw *g = c->g;
    bool ok = g->inflight < g->cfg->limits.inflight_max;
    if (c->route == GW_R_HOLD_CREATE) {
        gw_admit_idle(&g->admit, uv_metrics_idle_time(g->loop) / 1000000);
        ok = gw_admit_try(&g->admit, uv_now(g->loop), g->inflight);
    }
    if (ok && !g->stopping) {
        return false;
    }
    g->metrics.rejects[GW_REJECT_OVERLOADED]++;
    fail(c, GW_OVERLOADED, g->stopping ? "the gateway is shutting down" : NULL);
    return true;
}

static int serveHealthz(struct rctx *c)
{
    struct gw *g = c->g;
    if (overloaded(c)) {
        return 0;
    }
    struct gw_call *call = callNew(c);
    if (call == NULL) {
        return fail(c, GW_INTERNAL, "out of memory");
    }
    struct slotc_req *sr =
        gw__call_req(call, g->cfg->limits.healthz_timeout_ms);
    /* The node's own status, without the state hash: one round trip, O(1)
     * on the node however large the ledger, and nothing written. A
     * linearizable read would confirm leadership with a raft barrier (a
     * log entry fsync'd on a majority) per probe; a health probe needs to
     * know that a node answers and knows a leader, not to order itself
     * among writes. */
    sr->flags = SLOTC_NO_HASH;
    int rc = slotc_status(g->slot, sr, gw__on_slot);
    if (rc != SLOT_OK) {
        gw__submit_failed(call, rc);
    }
    return 0;
}

/* The path's {account}: the channel's user id (the admin token may give
 * an account key itself). */
static bool accountArg(struct rctx *c, const struct gw_match *m,
                       struct gw_call *call, struct gw_fail *f)
{
    return gw_arg_account(&call->a, gw_config_ident(c->g->cfg),
                          c->channel == GW_CH_ADMIN, m->params[0], m->len[0],
                          f);
}

/* Validates the route's path parameters into the call. */
static bool pathParams(struct rctx *c, const struct gw_match *m,
                       struct gw_call *call)
{
    struct gw_fail f;
    bool ok = true;
    switch (c->route) {
        case GW_R_POOL_GET:
        case GW_R_POOL_CLOSE:
        case GW_R_HOLD_CREATE:
        case GW_R_PATIENT_LOOKUP:
        case GW_R_POOL_STOP:
        case GW_R_POOL_CLAIMS:
            ok = gw_arg_pool(&call->a, m->params[0], m->len[0], &f);
            break;
        case GW_R_PATIENT_GET:
            ok = gw_arg_pool(&call->a, m->params[0], m->len[0], &f) &&
                 gw_arg_patient(&call->a, m->params[1], m->len[1], &f);
            break;
        case GW_R_HOLD_GET:
        case GW_R_HOLD_CONFIRM:
        case GW_R_HOLD_RELEASE:
        case GW_R_BOOKING_GET:
        case GW_R_BOOKING_CANCEL:
        case GW_R_BOOKING_MOVE:
        case GW_R_BOOKING_CHECKIN:
            ok = gw_arg_id(&call->a, m->params[0], m->len[0], &f);
            break;
        case GW_R_RULES_GET:
        case GW_R_RULES_SET:
        case GW_R_RULES_LOG:
        case GW_R_VIOLATION:
        case GW_R_UNBLOCK:
        case GW_R_EXCEPTION:
            ok = gw_arg_hospital(&call->a, m->params[0], m->len[0], &f);
            break;
        case GW_R_ACCOUNT_BIND:
        case GW_R_ACCOUNT_GET:
            ok = accountArg(c, m, call, &f);
            break;
        case GW_R_ACCOUNT_UNBIND:
            ok = accountArg(c, m, call, &f) &&
                 gw_arg_patient(&call->a, m->params[1], m->len[1], &f);
            break;
        case GW_R_PATIENT_INFO:
            ok = gw_arg_patient(&call->a, m->params[0], m->len[0], &f);
            break;
        case GW_R_WAITLIST_JOIN:
        case GW_R_WAITLIST_LOOKUP:
            ok = gw_arg_pool(&call->a, m->params[0], m->len[0], &f);
            break;
        case GW_R_WAITLIST_LEAVE:
        case GW_R_WAITLIST_GET:
            ok = gw_arg_pool(&call->a, m->params[0], m->len[0], &f) &&
                 gw_arg_patient(&call->a, m->params[1], m->len[1], &f);
            break;
        default:
            break;
    }
    if (!ok) {
        fail(c, f.code, f.message);
    }
    return ok;
}

/* The X-Account header of the routes that act for a channel's user
 * (hold, confirm, release, cancel, move, waitlist join and leave): the
 * account key into call->a.account; absent: none. False if answered
 * 400. */
static bool accountHeader(struct rctx *c, struct gw_call *call)
{
    static const char name[] = "x-account";
    switch (c->route) {
        case GW_R_HOLD_CREATE:
        case GW_R_HOLD_CONFIRM:
        case GW_R_HOLD_RELEASE:
        case GW_R_BOOKING_CANCEL:
        case GW_R_BOOKING_MOVE:
        case GW_R_WAITLIST_JOIN:
        case GW_R_WAITLIST_LEAVE:
        case GW_R_EVENTS: /* also the events of the account's patients */
        case GW_R_EVENTS_STREAM:
            break;
        default:
            return true;
    }
    ssize_t i =
        h2o_find_header_by_str(&c->req->headers, name, sizeof name - 1, -1);
    if (i < 0) {
        return true;
    }
    if (h2o_find_header_by_str(&c->req->headers, name, sizeof name - 1, i) >=
        0) {
        fail(c, SLOT_INVALID_ARGUMENT, "more than one X-Account header");
        return false;
    }
    h2o_iovec_t v = c->req->headers.entries[i].value;
    struct gw_fail f;
    if (!gw_arg_account(&call->a, gw_config_ident(c->g->cfg), false, v.base,
                        v.len, &f)) {
        fail(c, f.code, f.message);
        return false;
    }
    return true;
}

/* The query string of the routes that take one (the others ignore it, as
 * they always have). */
static bool query(struct rctx *c, struct gw_call *call)
{
    const char *path = c->req->path.base;
    const char *q = memchr(path, '?', c->req->path.len);
    const char *qs = q != NULL ? q + 1 : "";
    size_t n = q != NULL ? c->req->path.len - (size_t)(qs - path) : 0;
    struct gw_fail f;
    bool ok = true;
    switch (c->route) {
        case GW_R_POOL_QUERY:
            ok = gw_parse_pools_query(qs, n, &call->a, &f);
            break;
        case GW_R_SCHEDULE_IMPORT:
            ok = gw_parse_import_query(qs, n, &call->a, &f);
            break;
        case GW_R_RULES_GET:
            ok = gw_parse_rules_query(qs, n, &call->a, &f);
            break;
        case GW_R_RULES_LOG:
        case GW_R_STAFF_LOG:
        case GW_R_POOL_CLAIMS: /* after: a claim id */
            ok = gw_parse_log_query(qs, n, &call->a, &f);
            break;
        case GW_R_EVENTS:
        case GW_R_EVENTS_STREAM:
            ok = gw_parse_events_query(qs, n, c->route == GW_R_EVENTS_STREAM,
                                       &call->a, &f);
            break;
        case GW_R_RECONCILIATION:
            ok = gw_parse_recon_query(qs, n, &call->a, &f);
            break;
        case GW_R_STATS:
            ok = gw_parse_stats_query(qs, n, &call->a, &f);
            break;
        case GW_R_RULES_SET:
            if (n > 0) {
                ok = false;
                f.code = SLOT_MALFORMED;
                snprintf(f.message, sizeof f.message,
                         "this route takes no query string (the department "
                         "is in the body)");
            }
            break;
        default:
            break;
    }
    if (!ok) {
        fail(c, f.code, f.message);
    }
    return ok;
}

/* Parses the body into the call. */
static bool body(struct rctx *c, struct gw_call *call)
{
    const char *p = c->req->entity.base;
    size_t n = c->req->entity.base != NULL ? c->req->entity.len : 0;
    struct gw_fail f;
    bool ok = true;
    /* A body naming a patient: by identity if this gateway has the secret,
     * by an opaque key if the token's channel may send one. */
    const struct gw_patient_rules pr = {
        gw_config_ident(c->g->cfg), gw_config_opaque_ok(c->g->cfg, c->channel)};
    switch (c->route) {
        case GW_R_POOL_CREATE:
            ok = gw_parse_pool(p, n, &call->a, &f);
            break;
        case GW_R_HOLD_CREATE:
            /* ttl_ms 0 (none given): decided at submission (gw__hold_submit)
             * by the pool's kind. */
            ok = gw_parse_hold(p, n, &pr, &call->a, &f);
            break;
        case GW_R_PATIENT_LOOKUP:
        case GW_R_ACCOUNT_BIND:
        case GW_R_PATIENT_INFO_LOOKUP:
        case GW_R_WAITLIST_JOIN:
        case GW_R_WAITLIST_LOOKUP:
            ok = gw_parse_lookup(p, n, &pr, &call->a, &f);
            break;
        case GW_R_VIOLATION:
        case GW_R_UNBLOCK:
        case GW_R_EXCEPTION:
            ok = gw_parse_staff(p, n, &pr, c->route == GW_R_VIOLATION, &call->a,
                                &f);
            break;
        case GW_R_RULES_SET:
            call->a.rules = malloc(sizeof *call->a.rules);
            if (call->a.rules == NULL) {
                return fail(c, GW_INTERNAL, "out of memory"), false;
            }
            ok = gw_parse_rules_body(p, n, call->a.rules, &f);
            break;
        case GW_R_SCHEDULE_IMPORT:
            call->a.tpl = malloc(sizeof *call->a.tpl);
            if (call->a.tpl == NULL) {
                return fail(c, GW_INTERNAL, "out of memory"), false;
            }
            ok = gw_parse_template(p, n, call->a.tpl, &f);
            break;
        case GW_R_HOLD_CONFIRM:
            ok = gw_parse_confirm(p, n, &call->a, &f);
            break;
        case GW_R_POOL_STOP:
            ok = gw_parse_stop(p, n, &call->a, &f);
            break;
        case GW_R_BOOKING_MOVE:
            ok = gw_parse_move(p, n, &call->a, &f);
            break;
        case GW_R_BOOKING_CHECKIN:
            ok = gw_parse_checkin(p, n, &pr, &call->a, &f);
            break;
        case GW_R_POOL_CLOSE:
        case GW_R_HOLD_RELEASE:
        case GW_R_BOOKING_CANCEL:
        case GW_R_ACCOUNT_UNBIND:
        case GW_R_WAITLIST_LEAVE:
            ok = gw_parse_empty(p, n, &f);
            break;
        default:
            break; /* GET: any body is ignored */
    }
    if (!ok) {
        fail(c, f.code, f.message);
    }
    return ok;
}

/* Submits the route's first libslot request. */
static void submitFirst(struct gw_call *call)
{
    struct gw *g = call->g;
    struct slotc_req *sr =
        gw__call_req(call, g->cfg->limits.request_timeout_ms);
    int rc;
    switch (call->route) {
        case GW_R_POOL_CREATE:
            gw__call_idem(call, sr);
            rc = slotc_pool_create(g->slot, sr, &call->a.spec, gw__on_slot);
            break;
        case GW_R_POOL_GET:
            rc = slotc_read_pool(g->slot, sr, call->a.pool, gw__on_slot);
            break;
        case GW_R_POOL_CLOSE:
            gw__call_idem(call, sr);
            rc = slotc_pool_close(g->slot, sr, call->a.pool, gw__on_slot);
            break;
        case GW_R_HOLD_CREATE:
            gw__hold_submit(call);
            return;
        case GW_R_POOL_QUERY:
        case GW_R_SCHEDULE_IMPORT:
        case GW_R_RULES_GET:
        case GW_R_RULES_SET:
        case GW_R_RULES_LOG:
            gw__sched_submit(call);
            return;
        case GW_R_PATIENT_GET:
        case GW_R_PATIENT_LOOKUP:
            rc = slotc_read_patient(g->slot, sr, call->a.pool, call->a.patient,
                                    gw__on_slot);
            break;
        case GW_R_HOLD_GET:
            rc = slotc_read_hold(g->slot, sr, call->a.id, gw__on_slot);
            break;
        case GW_R_BOOKING_GET:
            rc = slotc_read_booking(g->slot, sr, call->a.id, gw__on_slot);
            break;
        case GW_R_HOLD_CONFIRM:
        case GW_R_HOLD_RELEASE:
        case GW_R_BOOKING_CANCEL:
            submitWrite(call);
            return;
        case GW_R_ACCOUNT_BIND:
        case GW_R_ACCOUNT_UNBIND:
        case GW_R_ACCOUNT_GET:
        case GW_R_PATIENT_INFO:
        case GW_R_PATIENT_INFO_LOOKUP:
        case GW_R_VIOLATION:
        case GW_R_UNBLOCK:
        case GW_R_EXCEPTION:
        case GW_R_STAFF_LOG:
        case GW_R_WAITLIST_JOIN:
        case GW_R_WAITLIST_LEAVE:
        case GW_R_WAITLIST_GET:
        case GW_R_WAITLIST_LOOKUP:
            gw__patient_submit(call);
            return;
        case GW_R_POOL_STOP:
        case GW_R_POOL_CLAIMS:
        case GW_R_BOOKING_MOVE:
        case GW_R_BOOKING_CHECKIN:
            gw__visit_submit(call);
            return;
        case GW_R_EVENTS:
        case GW_R_EVENTS_STREAM:
            gw__events_submit(call);
            return;
        case GW_R_RECONCILIATION:
        case GW_R_STATS:
            gw__money_submit(call);
            return;
        case GW_R_CLUSTER:
            gw__cluster_submit(call);
            return;
        default:
            rc = GW_INTERNAL;
            break;
    }
    if (rc != SLOT_OK) {
        gw__submit_failed(call, rc);
    }
}

/* The console's static files (gw_console.h): no token, GET and HEAD
 * only (h2o sends a HEAD's headers without the body), an unknown file
 * 404 in the API's JSON error. */
static int serveConsole(struct rctx *c)
{
    h2o_req_t *req = c->req;
    const struct gw_console_file *f =
        gw_console_find(req->path.base, req->path.len);
    c->route = f != NULL && strcmp(f->name, "index.html") == 0
                   ? GW_R_CONSOLE
                   : GW_R_CONSOLE_ASSET;
    if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) &&
        !h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"))) {
        replyError(c->g, req, c->route, c->channel, c->t0_ns,
                   GW_METHOD_NOT_ALLOWED, NULL, NULL, 0, "GET, HEAD");
        return 0;
    }
    if (f == NULL) {
        return fail(c, GW_NOT_FOUND, "no such file of the console");
    }
    struct reply r = {.status = 200,
                      .code = SLOT_OK,
                      .body = (const char *)f->data,
                      .len = f->len,
                      .ctype = gw_console_type(f->name),
                      .console = true};
    sendReply(c->g, req, c->route, c->channel, c->t0_ns, &r);
    return 0;
}

static int onRequest(h2o_handler_t *self, h2o_req_t *req)
{
    struct gw *g = ((struct gw_handler *)self)->g;
    const struct gw_limits *lim = &g->cfg->limits;
    struct rctx c = {g, req, uv_hrtime(), GW_R_NONE, GW_CH_NONE};

    size_t hbytes = req->method.len + req->path.len + 16;
    for (size_t i = 0; i < req->headers.size; i++) {
        hbytes += req->headers.entries[i].name->len +
                  req->headers.entries[i].value.len + 4;
    }
    if (hbytes > lim->headers_max_bytes) {
        return fail(&c, GW_HEADERS_TOO_LARGE, NULL);
    }

    if (gw_console_path(req->path.base, req->path.len)) {
        return serveConsole(&c);
    }
    struct gw_match m;
    switch (gw_route_match(req->method.base, req->method.len, req->path.base,
                           req->path.len, &m)) {
        case GW_MATCH_OK:
            break;
        case GW_MATCH_BAD_METHOD:
            replyError(g, req, GW_R_NONE, GW_CH_NONE, c.t0_ns,
                       GW_METHOD_NOT_ALLOWED, NULL, NULL, 0, m.allow);
            return 0;
        case GW_MATCH_BAD_ENCODING:
            return fail(&c, SLOT_MALFORMED, "bad percent-encoding in the path");
        case GW_MATCH_PARAM_TOO_LONG:
            return fail(&c, SLOT_INVALID_ARGUMENT,
                        "a path parameter is too long");
        default:
            return fail(&c, GW_NOT_FOUND, NULL);
    }
    c.route = m.route;
    const struct gw_route *rt = &gw_routes[m.route];

    switch (rt->access) {
        case GW_ACCESS_PUBLIC:
            if (c.route == GW_R_METRICS) {
                serveMetrics(&c);
                return 0;
            }
            if (c.route == GW_R_OPENAPI) {
                struct reply r = {.status = 200,
                                  .code = SLOT_OK,
                                  .body = g->openapi,
                                  .len = g->openapi_len,
                                  .ctype = jsonType};
                sendReply(g, req, c.route, c.channel, c.t0_ns, &r);
                return 0;
            }
            return serveHealthz(&c);
        default:
            break;
    }
    int ch = authenticate(&c);
    if (ch < 0) {
        return 0;
    }
    c.channel = ch;
    if (rt->access == GW_ACCESS_ADMIN && ch != GW_CH_ADMIN) {
        return fail(&c, GW_FORBIDDEN, "this route needs the admin token");
    }
    if (rt->access == GW_ACCESS_CHANNEL && ch == GW_CH_ADMIN) {
        return fail(&c, GW_FORBIDDEN,
                    "the admin token has no channel: holds and confirms need a "
                    "channel token");
    }
    if (overloaded(&c)) {
        return 0;
    }
    /* A schedule or a rule set is an admin's (authenticated above) and
     * larger than any booking request. */
    uint32_t body_max =
        c.route == GW_R_SCHEDULE_IMPORT || c.route == GW_R_RULES_SET
            ? lim->schedule_body_max_bytes
            : lim->body_max_bytes;
    if (req->entity.base != NULL && req->entity.len > body_max) {
        return fail(&c, SLOT_TOO_LARGE, "the body exceeds the gateway's limit");
    }
    struct gw_call *call = callNew(&c);
    if (call == NULL) {
        return fail(&c, GW_INTERNAL, "out of memory");
    }
    if ((strcmp(rt->method, "GET") != 0 && !idemKey(&c, call)) ||
        !pathParams(&c, &m, call) || !accountHeader(&c, call) ||
        !query(&c, call) || !body(&c, call)) {
        gw__call_free(call);
        return 0;
    }
    if (c.route == GW_R_HOLD_CREATE) {
        uint64_t retry_ms = 0;
        if (!gw_limiter_take(&g->limiter, call->a.patient,
                             strlen(call->a.patient), uv_now(g->loop),
                             &retry_ms)) {
            g->metrics.rejects[GW_REJECT_RATE_LIMITED]++;
            gw__call_free(call);
            replyError(g, req, c.route, c.channel, c.t0_ns, GW_RATE_LIMITED,
                       NULL, NULL, (retry_ms + 999) / 1000, NULL);
            return 0;
        }
    }
    submitFirst(call);
    return 0;
}

/* ---- connections --------------------------------------------------------- */

static void freeHandle(uv_handle_t *h)
{
    free(h);
}

static void onConnClosed(uv_handle_t *h)
{
    struct gw_conn *conn = (struct gw_conn *)h;
    conn->g->conns--;
    free(conn);
}

static void onAccept(uv_stream_t *listener, int status)
{
    struct gw *g = listener->data;
    if (status != 0) {
        gw_log_error(g->log, "accept: %s", uv_strerror(status));
        return;
    }
    struct gw_conn *conn = malloc(sizeof *conn);
    if (conn == NULL) {
        return;
    }
    conn->g = g;
    uv_tcp_init(listener->loop, &conn->tcp);
    if (uv_accept(listener, (uv_stream_t *)&conn->tcp) != 0) {
        uv_close((uv_handle_t *)&conn->tcp, freeHandle);
        return;
    }
    if (g->conns >= g->cfg->limits.connections_max || g->stopping) {
        g->metrics.rejects[GW_REJECT_CONNECTIONS]++;
        uv_close((uv_handle_t *)&conn->tcp, freeHandle);
        return;
    }
    uv_tcp_nodelay(&conn->tcp, 1);
    g->conns++;
    h2o_socket_t *sock =
        h2o_uv_socket_create((uv_stream_t *)&conn->tcp, onConnClosed);
    h2o_accept(&g->actx, sock);
}

/* ---- lifecycle ----------------------------------------------------------- */

static int startErr(char *err, size_t errlen, const char *what, int rc)
{
    snprintf(err, errlen, "%s: %s", what,
             rc < 0 ? uv_strerror(rc) : slotc_err_name(rc));
    return -1;
}

/* Binds the listener; with reuse_port the socket is made by hand, since
 * libuv (1.44) has no flag for SO_REUSEPORT. Returns 0 or a libuv error. */
static int bindListener(struct gw *g)
{
    const struct sockaddr *sa = (const struct sockaddr *)&g->cfg->listen_addr;
    if (!g->cfg->reuse_port) {
        return uv_tcp_bind(&g->listener, sa, 0);
    }
    socklen_t len = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                              : sizeof(struct sockaddr_in);
    int fd =
        socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 ||
        bind(fd, sa, len) != 0) {
        int e = -errno;
        if (fd >= 0) {
            close(fd);
        }
        return e;
    }
    return uv_tcp_open(&g->listener, fd);
}

int gw_start(uv_loop_t *loop, const struct gw_config *cfg, struct gw_log *log,
             struct gw **out, char *err, size_t errlen)
{
    struct gw *g = calloc(1, sizeof *g);
    if (g == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    g->loop = loop;
    g->cfg = cfg;
    g->log = log;
    /* The loop's idle time tells the budget whether a standing delay is
     * the cluster's or the gateway's own CPU (gw_admit.h). */
    (void)uv_loop_configure(loop, UV_METRICS_IDLE_TIME);
    gw_admit_init(&g->admit, cfg->limits.queue_target_ms,
                  cfg->limits.queue_interval_ms, cfg->limits.inflight_min,
                  cfg->limits.inflight_max, uv_now(loop));
    g->openapi = gw_openapi_build(&g->openapi_len);
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed) {
        seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)g;
    }
    if (g->openapi == NULL ||
        gw_limiter_init(&g->limiter, cfg->limits.patient_rate_per_s,
                        cfg->limits.patient_burst,
                        cfg->limits.patient_table_size, seed) != 0 ||
        gw_pcache_init(&g->pools, cfg->limits.pool_cache_size, ~seed) != 0) {
        gw_limiter_free(&g->limiter);
        free(g->openapi);
        free(g);
        snprintf(err, errlen, "out of memory");
        return -1;
    }

    struct slotc_options o;
    slotc_options_init(&o);
    o.cluster = cfg->cluster;
    o.timeout_ms = cfg->limits.request_timeout_ms;
    o.sessions_max = cfg->client.sessions;
    o.queue_max = cfg->client.queue_max;
    o.connect_timeout_ms = cfg->client.connect_timeout_ms;
    o.attempt_timeout_ms = cfg->client.attempt_timeout_ms;
    o.retry_ms = cfg->client.retry_ms;
    int rc = slotc_open(loop, &o, &g->slot);
    if (rc != SLOT_OK) {
        gw_limiter_free(&g->limiter);
        gw_pcache_free(&g->pools);
        free(g->openapi);
        free(g);
        return startErr(err, errlen, "cluster", rc);
    }

    h2o_config_init(&g->hconf);
    g->hconf.server_name = h2o_iovec_init(H2O_STRLIT("slot-gateway"));
    /* h2o buffers bodies up to this and answers a plain 413 beyond it;
     * between body_max_bytes (schedule_body_max_bytes) and this we answer
     * our JSON 413. */
    size_t hard = (size_t)cfg->limits.body_max_bytes * 4;
    if (hard < (size_t)cfg->limits.schedule_body_max_bytes * 2) {
        hard = (size_t)cfg->limits.schedule_body_max_bytes * 2;
    }
    g->hconf.max_request_entity_size = hard > 65536 ? hard : 65536;
    g->hconf.http1.req_timeout = cfg->limits.idle_timeout_ms;
    g->hconf.http2.idle_timeout = cfg->limits.idle_timeout_ms;
    h2o_hostconf_t *host = h2o_config_register_host(
        &g->hconf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    struct gw_handler *h =
        (struct gw_handler *)h2o_create_handler(path, sizeof *h);
    h->super.on_req = onRequest;
    h->g = g;
    h2o_context_init(&g->hctx, loop, &g->hconf);
    g->actx.ctx = &g->hctx;
    g->actx.hosts = g->hconf.hosts;

    uv_tcp_init(loop, &g->listener);
    g->listener.data = g;
    g->listening = true;
    if ((rc = bindListener(g)) != 0 ||
        (rc = uv_listen((uv_stream_t *)&g->listener, 1024, onAccept)) != 0) {
        snprintf(err, errlen, "listen %s: %s", cfg->listen, uv_strerror(rc));
        /* The caller exits: the handles die with the process. */
        return -1;
    }
    if (gw__stats_start(g) != 0) {
        snprintf(err, errlen, "out of memory (limits.stats_series_max)");
        return -1;
    }
    *out = g;
    return 0;
}

static void stopFinish(void *data)
{
    struct gw *g = data;
    g->stop_cb(g->stop_data);
}

static void stopTimerClosed(uv_handle_t *h)
{
    struct gw *g = h->data;
    slotc_close(g->slot, stopFinish, g);
}

static void stopPoll(uv_timer_t *t)
{
    struct gw *g = t->data;
    /* Long polls answer and streams end within events_poll_ms of
     * stopping (each looks at g->stopping on its timer). */
    if ((g->inflight > 0 || g->ev_active > 0) &&
        uv_now(g->loop) < g->stop_deadline_ms) {
        return;
    }
    uv_timer_stop(t);
    uv_close((uv_handle_t *)t, stopTimerClosed);
}

void gw_stop(struct gw *g, void (*done)(void *data), void *data)
{
    if (g->stopping) {
        return;
    }
    g->stopping = true;
    gw__stats_stop(g);
    g->stop_cb = done;
    g->stop_data = data;
    if (g->listening) {
        uv_close((uv_handle_t *)&g->listener, NULL);
        g->listening = false;
    }
    g->stop_deadline_ms =
        uv_now(g->loop) + g->cfg->limits.request_timeout_ms + 1000;
    uv_timer_init(g->loop, &g->stop_timer);
    g->stop_timer.data = g;
    uv_timer_start(&g->stop_timer, stopPoll, 0, 20);
}
