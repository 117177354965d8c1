/* gw_http_cluster: GET /v1/cluster, every configured node's own status for
 * the operator console's cluster view (see gw_httpInt.h).
 *
 * /healthz asks the one node libslot happens to reach; an operator needs
 * every node. The view sends one STATUS (SLOTC_NO_HASH: O(1) on the node,
 * nothing written, no raft barrier) to each address of the configured
 * "cluster", pinned with req.node, all at once, each bounded by
 * limits.cluster_timeout_ms. libslot completes a pinned request by its
 * deadline whether or not the node answers (UNAVAILABLE, TIMEOUT), so the
 * view is answered within that deadline, one node's silence costing no
 * more than its own request. A node that did not answer is listed with
 * its error: the view is 200 whenever it could be asked at all, since a
 * node down is exactly what it is there to show.
 *
 * Bounds: one view is at most SLOTC_NODES_MAX requests and one job; at
 * most limits.cluster_max views are alive at once (503 CLUSTER_BUSY with
 * Retry-After beyond, before anything is sent), besides the call's own
 * in-flight place.
 *
 * Nodes are listed as configured, not as the members a status names: the
 * view is of what this gateway was told to reach; the leaders libslot
 * learns from redirects are not added.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_err.h"
#include "gw_httpInt.h"
#include "gw_json.h"
#include "gw_route.h"

struct gw_cluster_job {
    struct gw_call *call;
    uint32_t n;       /* nodes asked */
    uint32_t pending; /* STATUS requests not completed (+1 while
                       * submitting) */
    uint64_t sent_ns;
    struct gw_cluster_node nodes[SLOTC_NODES_MAX];
    struct slotc_req reqs[SLOTC_NODES_MAX];
};

void gw__cluster_free(struct gw_call *call)
{
    struct gw_cluster_job *j = call->cluster;
    assert(j->pending == 0);
    call->g->cluster_active--;
    free(j);
    call->cluster = NULL;
}

/* ---- the view's JSON (pure) ---------------------------------------------- */

/* The node that leads: the reachable one saying so in the highest term
 * (an old leader cut off may still say so in an older one); NULL if
 * none. */
static const struct gw_cluster_node *leaderOf(const struct gw_cluster_node *n,
                                              uint32_t count)
{
    const struct gw_cluster_node *l = NULL;
    for (uint32_t i = 0; i < count; i++) {
        if (n[i].status == SLOT_OK && strcmp(n[i].role, "leader") == 0 &&
            (l == NULL || n[i].term > l->term)) {
            l = &n[i];
        }
    }
    return l;
}

/* Entries the node has still to apply of what the leader committed (0
 * when it is ahead: its status was read after the leader's). */
static uint64_t lagOf(const struct gw_cluster_node *leader,
                      const struct gw_cluster_node *n)
{
    return leader->commit_index > n->applied_index
               ? leader->commit_index - n->applied_index
               : 0;
}

void gw__cluster_json(struct gw_buf *b, const struct gw_cluster_node *nodes,
                      uint32_t n)
{
    const struct gw_cluster_node *leader = leaderOf(nodes, n);
    uint64_t max_lag = 0;
    struct gw_jw w;
    gw_jw_init(&w, b);
    gw_jw_obj(&w);
    gw_jw_key(&w, "nodes");
    gw_jw_arr(&w);
    for (uint32_t i = 0; i < n; i++) {
        const struct gw_cluster_node *x = &nodes[i];
        bool ok = x->status == SLOT_OK;
        gw_jw_obj(&w);
        gw_jw_key(&w, "node");
        gw_jw_u64(&w, i);
        gw_jw_key(&w, "address");
        gw_jw_str(&w, x->address);
        gw_jw_key(&w, "reachable");
        gw_jw_bool(&w, ok);
        if (ok) {
            gw_jw_key(&w, "id");
            gw_jw_u64(&w, x->id);
            gw_jw_key(&w, "role");
            gw_jw_str(&w, x->role);
            gw_jw_key(&w, "term");
            gw_jw_u64(&w, x->term);
            gw_jw_key(&w, "leader_id");
            gw_jw_u64(&w, x->leader_id);
            gw_jw_key(&w, "commit_index");
            gw_jw_u64(&w, x->commit_index);
            gw_jw_key(&w, "applied_index");
            gw_jw_u64(&w, x->applied_index);
            gw_jw_key(&w, "leader_stalls");
            gw_jw_u64(&w, x->leader_stalls);
            gw_jw_key(&w, "leader_stall_max_us");
            gw_jw_u64(&w, x->leader_stall_max_us);
            gw_jw_key(&w, "lag");
            if (leader != NULL) {
                uint64_t lag = lagOf(leader, x);
                gw_jw_u64(&w, lag);
                if (x != leader && lag > max_lag) {
                    max_lag = lag;
                }
            } else {
                gw_jw_null(&w);
            }
        } else {
            gw_jw_key(&w, "error");
            gw_jw_obj(&w);
            gw_jw_key(&w, "code");
            gw_jw_str(&w, gw_err_name(x->status));
            gw_jw_key(&w, "message");
            gw_jw_str(&w, gw_err_message(x->status));
            gw_jw_end(&w);
        }
        gw_jw_end(&w);
    }
    gw_jw_arr_end(&w);
    gw_jw_key(&w, "leader");
    if (leader != NULL) {
        gw_jw_u64(&w, leader->id);
    } else {
        gw_jw_null(&w);
    }
    gw_jw_key(&w, "max_lag");
    if (leader != NULL) {
        gw_jw_u64(&w, max_lag);
    } else {
        gw_jw_null(&w);
    }
    gw_jw_end(&w);
}

/* ---- on libslot ---------------------------------------------------------- */

/* Every node has answered or timed out: the view, then the call's end. */
static void finish(struct gw_cluster_job *j)
{
    struct gw_call *call = j->call;
    struct gw *g = call->g;
    if (call->hreq == NULL) {
        /* The client went away: nothing to answer (reads only). */
        const struct gw_route *rt = &gw_routes[call->route];
        uint64_t us = (uv_hrtime() - call->t0_ns) / 1000;
        gw_metrics_request(&g->metrics, call->route, 499, call->channel, us);
        gw_log_request(g->log, rt->method, strlen(rt->method), rt->path,
                       strlen(rt->path), 499, us,
                       gw_config_channel_name(g->cfg, call->channel),
                       "CLIENT_GONE");
        gw__call_free(call);
        return;
    }
    char st[2048];
    struct gw_buf b;
    gw_buf_init(&b, st, sizeof st);
    gw__cluster_json(&b, j->nodes, j->n);
    gw__reply_json(call, 200, &b, NULL);
    gw_buf_free(&b);
    gw__call_free(call);
}

static void nodeDone(struct slotc_req *sr)
{
    struct gw_cluster_job *j = sr->data;
    struct gw *g = j->call->g;
    size_t i = (size_t)(sr - j->reqs);
    assert(i < j->n && j->pending > 0);
    gw_metrics_cluster(&g->metrics, sr->op, sr->status,
                       (uv_hrtime() - j->sent_ns) / 1000);
    struct gw_cluster_node *x = &j->nodes[i];
    const struct slotc_node_status *ns = sr->out.status;
    x->status = sr->status == SLOT_OK && ns == NULL ? GW_INTERNAL : sr->status;
    if (x->status == SLOT_OK) {
        x->id = ns->id;
        snprintf(x->role, sizeof x->role, "%s", ns->role);
        x->term = ns->term;
        x->leader_id = ns->leader_id;
        x->commit_index = ns->commit_index;
        x->applied_index = ns->applied_index;
        x->leader_stalls = ns->leader_stalls;
        x->leader_stall_max_us = ns->leader_stall_max_us;
    }
    if (--j->pending == 0) {
        finish(j);
    }
}

void gw__cluster_submit(struct gw_call *call)
{
    struct gw *g = call->g;
    if (g->cluster_active >= g->cfg->limits.cluster_max) {
        gw__call_error(call, GW_CLUSTER_BUSY, NULL, NULL);
        gw__call_free(call);
        return;
    }
    struct gw_cluster_job *j = calloc(1, sizeof *j);
    if (j == NULL) {
        gw__call_error(call, GW_INTERNAL, "out of memory", NULL);
        gw__call_free(call);
        return;
    }
    j->call = call;
    call->cluster = j;
    g->cluster_active++;
    /* The configured list, split as libslot splits it (slotc_open
     * accepted it, so every entry is a node it knows). */
    const char *s = g->cfg->cluster;
    while (j->n < SLOTC_NODES_MAX) {
        const char *comma = strchr(s, ',');
        size_t len = comma != NULL ? (size_t)(comma - s) : strlen(s);
        struct gw_cluster_node *x = &j->nodes[j->n++];
        if (len > SLOTC_ADDRESS_MAX) {
            len = SLOTC_ADDRESS_MAX;
        }
        memcpy(x->address, s, len);
        x->address[len] = '\0';
        x->status = SLOT_UNAVAILABLE; /* until its STATUS completes */
        if (comma == NULL) {
            break;
        }
        s = comma + 1;
    }
    /* One pending count for the loop itself, so that a completion during
     * it (or every submit refused) cannot finish the job early. */
    j->pending = 1;
    j->sent_ns = uv_hrtime();
    for (uint32_t i = 0; i < j->n; i++) {
        struct slotc_req *sr = &j->reqs[i];
        slotc_req_init(sr);
        sr->data = j;
        sr->timeout_ms = g->cfg->limits.cluster_timeout_ms;
        sr->flags = SLOTC_NO_HASH;
        sr->node = j->nodes[i].address;
        j->pending++;
        int rc = slotc_status(g->slot, sr, nodeDone);
        if (rc != SLOT_OK) {
            /* Not sent (libslot's queue is full, an address it refuses):
             * that node's error, the others still asked. */
            j->nodes[i].status = rc;
            j->pending--;
        }
    }
    if (--j->pending == 0) {
        finish(j);
    }
}
