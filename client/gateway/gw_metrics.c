/* gw_metrics: counters, histograms, Prometheus text (see gw_metrics.h). */
#include "gw_metrics.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "gw_err.h"
#include "libslot.h"
#include "slot_prom.h"

static const int statuses[GW_STATUS_SLOTS - 1] = {200, 201, 400, 401, 402, 403,
                                                  404, 405, 409, 410, 413, 422,
                                                  429, 431, 500, 502, 503, 504};

/* Every libslot operation has its own series. */
/* Every op the gateway submits has its counters: the patient rules'
 * (protocol 3), the visit day's (protocol 4) and the money reads
 * (protocol 5) included. */
_Static_assert(GW_OPS == SLOTC_OP_READ_STATS + 1, "GW_OPS: enum slotc_op");

/* Bucket bounds in microseconds. */
static const uint64_t bounds_us[GW_LAT_BUCKETS] = {
    250,    500,    1000,   2500,    5000,    10000,   25000,    50000,
    100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000, 30000000};

/* Statuses the gateway answers get their own label; anything else (499:
 * client gone) lands in "other", so the array never grows. */
static int statusSlot(int status)
{
    for (int i = 0; i < GW_STATUS_SLOTS - 1; i++) {
        if (statuses[i] == status) {
            return i;
        }
    }
    return GW_STATUS_SLOTS - 1; /* "other" */
}

/* Buckets are stored per bucket and summed at render time (slot_prom.h):
 * recording is one increment, and a scrape is rare. */
static void histAdd(struct gw_hist *h, uint64_t us)
{
    slot_prom_hist_add(h->buckets, bounds_us, GW_LAT_BUCKETS, us);
    h->count++;
    h->sum_us += us;
}

void gw_metrics_request(struct gw_metrics *m, int route, int status,
                        int channel, uint64_t latency_us)
{
    if (route < 0 || route >= GW_R_COUNT) {
        route = GW_R_NONE;
    }
    if (channel < 0 || channel >= GW_CH_SLOTS) {
        channel = GW_CH_NONE;
    }
    m->requests[route][statusSlot(status)][channel]++;
    histAdd(&m->latency[route], latency_us);
}

void gw_metrics_cluster(struct gw_metrics *m, int op, int code, uint64_t rt_us)
{
    if (op < 0 || op >= GW_OPS) {
        return;
    }
    m->cluster[op][code >= 0 && code < GW_CODES ? code : GW_CODES - 1]++;
    histAdd(&m->roundtrip[op], rt_us);
}

static void gwPut(void *ctx, const char *s, size_t n)
{
    gw_buf_put(ctx, s, n);
}

static void histRender(struct gw_buf *o, const char *name, const char *label,
                       const char *value, const struct gw_hist *h)
{
    struct slot_prom_out out = {.put = gwPut, .ctx = o};
    slot_prom_hist(&out, name, label, value, bounds_us, GW_LAT_BUCKETS, 1e-6,
                   h->buckets, h->count, h->sum_us);
}

static const char *opLabel(int op, char *buf, size_t cap)
{
    const char *n = slotc_op_name(op);
    size_t i = 0;
    for (; n != NULL && n[i] != '\0' && i + 1 < cap; i++) {
        char c = n[i];
        buf[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    buf[i] = '\0';
    return buf;
}

void gw_metrics_render(const struct gw_metrics *m, const char *const *channels,
                       int n, uint32_t inflight, uint32_t inflight_max,
                       struct gw_buf *o)
{
    gw_buf_puts(o,
                "# HELP slot_gateway_requests_total HTTP requests answered.\n"
                "# TYPE slot_gateway_requests_total counter\n");
    for (int r = 0; r < GW_R_COUNT; r++) {
        for (int s = 0; s < GW_STATUS_SLOTS; s++) {
            for (int c = 0; c < GW_CH_SLOTS; c++) {
                uint64_t v = m->requests[r][s][c];
                /* Only series that happened: ~8k possible combinations. */
                if (v == 0) {
                    continue;
                }
                const char *ch = c == GW_CH_NONE    ? "-"
                                 : c == GW_CH_ADMIN ? "admin"
                                 : c - GW_CH_FIRST < n
                                     ? channels[c - GW_CH_FIRST]
                                     : "?";
                char st[8];
                if (s < GW_STATUS_SLOTS - 1) {
                    snprintf(st, sizeof st, "%d", statuses[s]);
                } else {
                    snprintf(st, sizeof st, "other");
                }
                gw_buf_printf(
                    o,
                    "slot_gateway_requests_total{route=\"%s\",status=\"%s\","
                    "channel=\"%s\"} %" PRIu64 "\n",
                    gw_routes[r].name, st, ch, v);
            }
        }
    }
    gw_buf_puts(
        o, "# HELP slot_gateway_request_duration_seconds Time from the request "
           "reaching the handler to its response.\n"
           "# TYPE slot_gateway_request_duration_seconds histogram\n");
    for (int r = 0; r < GW_R_COUNT; r++) {
        if (m->latency[r].count > 0) {
            histRender(o, "slot_gateway_request_duration_seconds", "route",
                       gw_routes[r].name, &m->latency[r]);
        }
    }
    gw_buf_printf(
        o,
        "# HELP slot_gateway_inflight Requests waiting on the cluster.\n"
        "# TYPE slot_gateway_inflight gauge\n"
        "slot_gateway_inflight %" PRIu32 "\n"
        "# HELP slot_gateway_inflight_max The in-flight ceiling "
        "(limits.inflight_max).\n"
        "# TYPE slot_gateway_inflight_max gauge\n"
        "slot_gateway_inflight_max %" PRIu32 "\n",
        inflight, inflight_max);
    static const char *const reasons[GW_REJECTS] = {
        "overloaded", "client_busy", "rate_limited", "connections"};
    gw_buf_puts(o, "# HELP slot_gateway_rejected_total Requests or connections "
                   "refused before reaching the cluster.\n"
                   "# TYPE slot_gateway_rejected_total counter\n");
    for (int i = 0; i < GW_REJECTS; i++) {
        gw_buf_printf(
            o, "slot_gateway_rejected_total{reason=\"%s\"} %" PRIu64 "\n",
            reasons[i], m->rejects[i]);
    }
    gw_buf_puts(
        o, "# HELP slot_gateway_cluster_requests_total libslot requests by "
           "operation and outcome.\n"
           "# TYPE slot_gateway_cluster_requests_total counter\n");
    char lb[32];
    for (int op = 0; op < GW_OPS; op++) {
        for (int c = 0; c < GW_CODES; c++) {
            if (m->cluster[op][c] > 0) {
                gw_buf_printf(o,
                              "slot_gateway_cluster_requests_total{op=\"%s\","
                              "code=\"%s\"} "
                              "%" PRIu64 "\n",
                              opLabel(op, lb, sizeof lb), gw_err_name(c),
                              m->cluster[op][c]);
            }
        }
    }
    gw_buf_puts(
        o, "# HELP slot_gateway_cluster_roundtrip_seconds Time from submitting "
           "to libslot to its completion.\n"
           "# TYPE slot_gateway_cluster_roundtrip_seconds histogram\n");
    for (int op = 0; op < GW_OPS; op++) {
        if (m->roundtrip[op].count > 0) {
            histRender(o, "slot_gateway_cluster_roundtrip_seconds", "op",
                       opLabel(op, lb, sizeof lb), &m->roundtrip[op]);
        }
    }
}

void gw_metrics_render_admit(const struct gw_admit *a, struct gw_buf *o)
{
    uint32_t budget = a->target_ms == 0 ? a->max : a->budget;
    gw_buf_printf(
        o,
        "# HELP slot_gateway_inflight_budget Requests the gateway lets wait "
        "on the cluster now (between inflight_min and inflight_max).\n"
        "# TYPE slot_gateway_inflight_budget gauge\n"
        "slot_gateway_inflight_budget %" PRIu32 "\n"
        "# HELP slot_gateway_queue_delay_seconds The last interval's standing "
        "delay: its fastest call's time in the gateway.\n"
        "# TYPE slot_gateway_queue_delay_seconds gauge\n"
        "slot_gateway_queue_delay_seconds %" PRIu64 ".%06" PRIu64 "\n"
        "# HELP slot_gateway_queue_target_seconds The delay the budget aims "
        "at (0: the budget is fixed).\n"
        "# TYPE slot_gateway_queue_target_seconds gauge\n"
        "slot_gateway_queue_target_seconds %" PRIu32 ".%03" PRIu32 "\n"
        "# HELP slot_gateway_budget_changes_total Moves of the in-flight "
        "budget.\n"
        "# TYPE slot_gateway_budget_changes_total counter\n"
        "slot_gateway_budget_changes_total{direction=\"shrink\"} %" PRIu64 "\n"
        "slot_gateway_budget_changes_total{direction=\"grow\"} %" PRIu64 "\n"
        "# HELP slot_gateway_budget_held_busy_total Intervals whose standing "
        "delay was the gateway's own busy loop: the budget held.\n"
        "# TYPE slot_gateway_budget_held_busy_total counter\n"
        "slot_gateway_budget_held_busy_total %" PRIu64 "\n"
        "# HELP slot_gateway_loop_busy_ratio The gateway loop's busy share of "
        "the last interval.\n"
        "# TYPE slot_gateway_loop_busy_ratio gauge\n"
        "slot_gateway_loop_busy_ratio %" PRIu32 ".%03" PRIu32 "\n",
        budget, a->last_delay_us / 1000000, a->last_delay_us % 1000000,
        a->target_ms / 1000, a->target_ms % 1000, a->shrinks, a->grows,
        a->held_busy, a->last_busy_permille / 1000,
        a->last_busy_permille % 1000);
}
