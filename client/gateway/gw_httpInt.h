/* gw_httpInt: what gw_http.c (the request path, the original routes),
 * gw_http_sched.c (the routes of hospitals' schedules and rules, and the
 * choice of a hold's ttl), gw_http_patient.c (the patient rules),
 * gw_http_visit.c (the visit day) and gw_http_money.c (reconciliation and
 * statistics) share: the gateway and a call waiting on the cluster, and
 * the helpers that answer a call. Not a contract for
 * the rest of the gateway. Everything runs on the loop thread. */
#ifndef GW_HTTP_INT_H
#define GW_HTTP_INT_H

#include <h2o.h>
#include <stdbool.h>
#include <stdint.h>

#include "gw_admit.h"
#include "gw_config.h"
#include "gw_fanout.h"
#include "gw_http.h"
#include "gw_json.h"
#include "gw_limit.h"
#include "gw_log.h"
#include "gw_metrics.h"
#include "gw_pcache.h"
#include "gw_stats.h"
#include "libslot.h"

/* A request waiting on the cluster. Its libslot requests run one after
 * the other in sreq; phase says which one is pending:
 *   confirm / release / cancel: 1 the write (one request: the ledger
 *     checks who may, from the caller's channel and account);
 *   hold without ttl_ms whose pool's kind is not known: 0 the pool read,
 *     1 the hold;
 *   schedule import: 0 the import (or the dry run), 1 the check that lists
 *     the conflicts after a SCHEDULE_CONFLICT. */
struct gw_call {
    struct gw *g;
    h2o_req_t *hreq;       /* NULL once h2o disposed of the request */
    struct gw_call **link; /* in hreq's pool; tells us about disposal */
    int route;
    int channel;      /* channel slot of the token */
    int phase;        /* see above */
    bool strict;      /* a hold's phase-0 pool read is linearizable */
    uint64_t t0_ns;   /* request start */
    uint64_t sent_ns; /* current libslot submit */
    struct gw_args a; /* path, Idempotency-Key and body, parsed in place */
    struct slotc_req sreq;
    struct gw_money_job *money;     /* GW_R_RECONCILIATION, GW_R_STATS: their
                                 * pages' state (gw_http_money.c); NULL
                                 * otherwise */
    struct gw_cluster_job *cluster; /* GW_R_CLUSTER: its STATUS requests
                                     * (gw_http_cluster.c); NULL otherwise */
    struct gw_call *next_free;
};

/* The background refresh of /metrics' statistics (gw_http_money.c): one
 * READ_STATS range at a time, its pages into `next`, swapped into `cache`
 * when complete. */
struct gw_stats_refresh {
    struct gw_stats_cache cache;  /* what /metrics shows */
    struct slotc_stats_row *next; /* the refresh's rows (cache.cap) */
    uint32_t next_n;
    uint32_t after; /* rows read so far (the next page's `after`) */
    uint32_t from, to;
    uint64_t sent_ns;
    struct slotc_req sreq;
    uv_timer_t timer;
    bool started; /* the timer runs */
    bool reading; /* sreq is pending */
};

struct gw {
    uv_loop_t *loop;
    const struct gw_config *cfg;
    struct gw_log *log;
    h2o_globalconf_t hconf;
    h2o_context_t hctx;
    h2o_accept_ctx_t actx;
    uv_tcp_t listener;
    bool listening;
    struct slotc *slot;
    struct gw_metrics metrics;
    struct gw_limiter limiter;
    struct gw_pcache pools;   /* which pools are scheduled (hold ttl) */
    uint32_t inflight;        /* calls alive */
    struct gw_admit admit;    /* the in-flight budget (gw_admit.h) */
    uint32_t ev_active;       /* long polls and SSE streams alive, and the
                             * feed's shared follower (ev_followers) */
    uint32_t ev_followers;    /* 0 or 1: the follower alive */
    struct gw_fanout *fanout; /* the feed's shared follower, NULL when no
                               * stream is served from it */
    uint32_t conns;           /* connections open */
    struct gw_call *free_calls;
    char *openapi;
    size_t openapi_len;
    struct gw_stats_refresh stats; /* /metrics' statistics */
    uint32_t recon_active;         /* reconciliations alive (recon_max) */
    uint32_t cluster_active;       /* cluster views alive (cluster_max) */
    /* stopping */
    bool stopping;
    uv_timer_t stop_timer;
    uint64_t stop_deadline_ms;
    void (*stop_cb)(void *data);
    void *stop_data;
};

/* ---- gw_http.c ---------------------------------------------------------- */

/* Returns the call to the free list (and frees its bodies). */
void gw__call_free(struct gw_call *call);
/* Prepares call->sreq for a libslot submit with this deadline. */
struct slotc_req *gw__call_req(struct gw_call *call, uint32_t timeout_ms);
/* What is left of the request's deadline; 0 when it is spent. */
uint32_t gw__budget_ms(const struct gw_call *call);
/* Gives the write its Idempotency-Key (if the request has one). */
void gw__call_idem(struct gw_call *call, struct slotc_req *sr);
/* Answers the call with an error (extra: more members of "error", or
 * NULL). Does not free the call. */
void gw__call_error(struct gw_call *call, int code, const char *msg,
                    const char *extra);
/* Answers a libslot result code that is not SLOT_OK (OUTCOME_UNKNOWN
 * with what to query). Does not free the call. */
void gw__result_error(struct gw_call *call, int code);
/* A submit libslot refused at once: answers and frees the call. */
void gw__submit_failed(struct gw_call *call, int rc);
/* Answers the call with a JSON body (500 if b ran out of memory). */
void gw__reply_json(struct gw_call *call, int status, const struct gw_buf *b,
                    const char *location);
/* Answers the call with a body of this Content-Type (500 if b ran out of
 * memory). Does not free the call. */
void gw__reply_body(struct gw_call *call, int status, const struct gw_buf *b,
                    const char *ctype);
/* Every libslot completion of a call. */
void gw__on_slot(struct slotc_req *sr);

/* ---- gw_http_sched.c ----------------------------------------------------- */

/* Submits the first request of a schedule route (GW_R_POOL_QUERY,
 * GW_R_SCHEDULE_IMPORT, GW_R_RULES_*). */
void gw__sched_submit(struct gw_call *call);
/* A completion of a schedule route: answers (or submits the next phase)
 * and frees the call when done. */
void gw__sched_done(struct gw_call *call, const struct slotc_req *sr);
/* Submits a hold: its ttl_ms, or, without one, 0 for a scheduled pool
 * (the hospital's payment window) and limits.hold_ttl_ms for a
 * free-standing one, reading the pool first when gw_pcache does not know
 * it. */
void gw__hold_submit(struct gw_call *call);
/* The completion of a hold's pool read (phase 0): submits the hold, or
 * answers the read's error. */
void gw__hold_read_done(struct gw_call *call, const struct slotc_req *sr);
/* What a pool read says about the pool's kind, remembered. */
void gw__pools_seen(struct gw *g, const struct slotc_pool *p, uint32_t n);

/* ---- gw_http_patient.c --------------------------------------------------- */

/* Submits the request of a route of the patient rules (GW_R_ACCOUNT_*,
 * GW_R_PATIENT_INFO*, GW_R_VIOLATION, GW_R_UNBLOCK, GW_R_EXCEPTION,
 * GW_R_STAFF_LOG, GW_R_WAITLIST_*). */
void gw__patient_submit(struct gw_call *call);
/* Its completion: answers and frees the call. */
void gw__patient_done(struct gw_call *call, const struct slotc_req *sr);

/* ---- gw_http_visit.c ----------------------------------------------------- */

/* Submits the request of a route of the visit day (GW_R_POOL_STOP,
 * GW_R_POOL_CLAIMS, GW_R_BOOKING_MOVE, GW_R_BOOKING_CHECKIN). */
void gw__visit_submit(struct gw_call *call);
/* Its completion: answers and frees the call. */
void gw__visit_done(struct gw_call *call, const struct slotc_req *sr);

/* ---- gw_http_money.c ---------------------------------------------------- */

/* Submits GW_R_RECONCILIATION or GW_R_STATS (query parsed): answers 403
 * for a channel token naming another channel, 503 RECON_BUSY beyond
 * limits.recon_max reconciliations. Takes the call over. */
void gw__money_submit(struct gw_call *call);
/* A completion of one of their reads: submits the next page, or answers
 * and frees the call. */
void gw__money_done(struct gw_call *call, const struct slotc_req *sr);
/* Frees call->money (gw__call_free). */
void gw__money_free(struct gw_call *call);
/* Starts the background statistics refresh (limits.stats_series_max > 0):
 * a read every limits.stats_refresh_ms, never two at once. Returns 0 or
 * -1 (out of memory). */
int gw__stats_start(struct gw *g);
/* Stops it (gw_stop): the timer is closed; a pending read completes into
 * the cache or with SHUTDOWN when libslot closes. */
void gw__stats_stop(struct gw *g);

/* ---- gw_http_cluster.c ------------------------------------------------- */

/* One node's part of a cluster view: its configured client address and
 * what its STATUS said (status SLOT_OK: the figures are its answer; else
 * the error that left it unreachable, the figures 0). */
struct gw_cluster_node {
    char address[SLOTC_ADDRESS_MAX + 1];
    int status;
    uint64_t id;
    char role[16]; /* "leader", "follower", "candidate", "unavailable" */
    uint64_t term;
    uint64_t leader_id; /* 0: none known */
    uint64_t commit_index;
    uint64_t applied_index;
    uint64_t leader_stalls;       /* turns >= 5 ms while it led */
    uint64_t leader_stall_max_us; /* the longest */
};

/* Submits GW_R_CLUSTER: a STATUS (SLOTC_NO_HASH, limits.cluster_timeout_ms)
 * to every node of the configured cluster at once; answers 503
 * CLUSTER_BUSY beyond limits.cluster_max views. Takes the call over: it
 * answers and frees it once every node has answered or timed out. */
void gw__cluster_submit(struct gw_call *call);
/* Frees call->cluster (gw__call_free); the view's STATUS requests must
 * all have completed. */
void gw__cluster_free(struct gw_call *call);
/* The view's JSON (pure): {"nodes":[...],"leader":ID|null,"max_lag":N|null}
 * from n nodes' results, in configured order. */
void gw__cluster_json(struct gw_buf *b, const struct gw_cluster_node *nodes,
                      uint32_t n);

/* ---- gw_http_events.c --------------------------------------------------- */

/* Serves GW_R_EVENTS (a long poll) or GW_R_EVENTS_STREAM (Server-Sent
 * Events) from its parsed query (a.query.after_version, limit, wait_ms)
 * and X-Account (a.account): answers 503 OVERLOADED beyond
 * limits.events_max. Takes the call over: it answers and frees it. */
void gw__events_submit(struct gw_call *call);

#endif /* GW_HTTP_INT_H */
