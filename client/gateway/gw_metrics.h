/* gw_metrics: the gateway's counters and histograms, and their Prometheus
 * text rendering (GET /metrics).
 *
 *   slot_gateway_requests_total{route,status,channel}     counter
 *   slot_gateway_request_duration_seconds{route}          histogram
 *   slot_gateway_inflight / slot_gateway_inflight_max     gauges
 *   slot_gateway_rejected_total{reason}                   counter
 *   slot_gateway_cluster_requests_total{op,code}          counter
 *   slot_gateway_cluster_roundtrip_seconds{op}            histogram
 *
 * All storage is fixed at compile time; recording is a few array
 * increments. Single-threaded (the loop thread).
 */
#ifndef GW_METRICS_H
#define GW_METRICS_H

#include <stdint.h>

#include "gw_admit.h"
#include "gw_json.h"
#include "gw_route.h"

#define GW_CHANNELS_MAX 32 /* distinct channel names in the config */
#define GW_CH_NONE      0  /* channel label "-" (no valid token) */
#define GW_CH_ADMIN     1  /* channel label "admin" */
#define GW_CH_FIRST     2  /* configured channels from here */
#define GW_CH_SLOTS     (GW_CHANNELS_MAX + GW_CH_FIRST)
#define GW_STATUS_SLOTS 19
#define GW_LAT_BUCKETS  16  /* finite bounds; +Inf is implied */
#define GW_OPS          45  /* enum slotc_op values 0..44 */
#define GW_CODES        128 /* slot_err values 0..127 */

enum gw_reject {
    GW_REJECT_OVERLOADED = 0, /* in-flight budget full */
    GW_REJECT_CLIENT_BUSY,    /* libslot refused (its queue is full) */
    GW_REJECT_RATE_LIMITED,
    GW_REJECT_CONNECTIONS, /* connection refused: too many open */
    GW_REJECTS
};

struct gw_hist {
    uint64_t buckets[GW_LAT_BUCKETS + 1]; /* per bucket (not cumulative) */
    uint64_t count;
    uint64_t sum_us;
};

struct gw_metrics {
    uint64_t requests[GW_R_COUNT][GW_STATUS_SLOTS][GW_CH_SLOTS];
    struct gw_hist latency[GW_R_COUNT];
    uint64_t rejects[GW_REJECTS];
    uint64_t cluster[GW_OPS][GW_CODES];
    struct gw_hist roundtrip[GW_OPS];
};

void gw_metrics_request(struct gw_metrics *m, int route, int status,
                        int channel, uint64_t latency_us);
void gw_metrics_cluster(struct gw_metrics *m, int op, int code, uint64_t rt_us);

/* Appends the Prometheus text. channels[i] names channel slot
 * GW_CH_FIRST + i (n of them). */
void gw_metrics_render(const struct gw_metrics *m, const char *const *channels,
                       int n, uint32_t inflight, uint32_t inflight_max,
                       struct gw_buf *out);

/* Appends the adaptive budget's gauges and counters (gw_admit.h):
 * slot_gateway_inflight_budget, slot_gateway_queue_delay_seconds (the last
 * interval's standing delay), slot_gateway_queue_target_seconds and
 * slot_gateway_budget_changes_total{direction="shrink"|"grow"}. Requests
 * refused by the budget are slot_gateway_rejected_total{reason=
 * "overloaded"}. */
void gw_metrics_render_admit(const struct gw_admit *a, struct gw_buf *out);

#endif /* GW_METRICS_H */
