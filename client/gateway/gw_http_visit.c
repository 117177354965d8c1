/* gw_http_visit: the routes of the visit day on libslot (protocol 4): a
 * clinic's stoppage, its claims, moving a booking and checking one in
 * (see gw_httpInt.h). Each is one libslot request and the ledger decides
 * every rule: who may move a booking (the caller's channel and account,
 * as for a cancel), which pool may take it, whether the patient who
 * checks in is the booking's and whether the window is open. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "gw_err.h"
#include "gw_httpInt.h"
#include "gw_json.h"
#include "gw_route.h"

void gw__visit_submit(struct gw_call *call)
{
    struct gw *g = call->g;
    struct gw_args *a = &call->a;
    struct slotc_req *sr =
        gw__call_req(call, g->cfg->limits.request_timeout_ms);
    int rc;
    switch (call->route) {
        case GW_R_POOL_STOP:
            gw__call_idem(call, sr);
            rc = slotc_pool_stop(g->slot, sr, a->pool, a->operator_name,
                                 a->reason, gw__on_slot);
            break;
        case GW_R_POOL_CLAIMS:
            rc = slotc_read_pool_claims(g->slot, sr, a->pool,
                                        a->query.after_version, a->query.limit,
                                        gw__on_slot);
            break;
        case GW_R_BOOKING_MOVE:
            /* The caller as for a cancel: the token's channel ("" for the
             * admin token: an administrator) and X-Account. */
            gw__call_idem(call, sr);
            rc = slotc_move(g->slot, sr, a->id, a->pool,
                            call->channel == GW_CH_ADMIN
                                ? NULL
                                : gw_config_channel_name(g->cfg, call->channel),
                            a->account[0] != '\0' ? a->account : NULL,
                            gw__on_slot);
            break;
        case GW_R_BOOKING_CHECKIN:
            gw__call_idem(call, sr);
            /* A reference (and its method) pays an unpaid booking at the
             * desk; a paid one keeps its payment (the ledger decides). */
            rc = slotc_checkin_pay(
                g->slot, sr, a->id, a->patient,
                a->payment_ref[0] != '\0' ? a->payment_ref : NULL,
                a->pay_method[0] != '\0' ? a->pay_method : NULL, gw__on_slot);
            break;
        default:
            rc = GW_INTERNAL;
            break;
    }
    if (rc != SLOT_OK) {
        gw__submit_failed(call, rc);
    }
}

void gw__visit_done(struct gw_call *call, const struct slotc_req *sr)
{
    if (sr->status != SLOT_OK) {
        gw__result_error(call, sr->status);
        gw__call_free(call);
        return;
    }
    /* A page of claims is up to SLOTC_LIST_MAX claims: the buffer grows. */
    char st[2048];
    struct gw_buf b;
    gw_buf_init(&b, st, sizeof st);
    struct gw_jw w;
    gw_jw_init(&w, &b);
    const struct slotc_out *o = &sr->out;
    /* Every reply is built from the request and the ledger's result only,
     * so an Idempotency-Key replay gets the same bytes. */
    switch (call->route) {
        case GW_R_POOL_STOP:
            gw_jw_obj(&w);
            gw_jw_key(&w, "pool");
            gw_jw_str(&w, call->a.pool);
            gw_jw_key(&w, "state");
            gw_jw_str(&w, "stopped");
            gw_jw_key(&w, "bookings_affected");
            gw_jw_u64(&w, o->bookings);
            gw_jw_key(&w, "holds_affected");
            gw_jw_u64(&w, o->holds);
            gw_jw_end(&w);
            break;
        case GW_R_POOL_CLAIMS:
            gw_json_claim_list(&b, call->a.pool, o->claims, o->n_claims,
                               call->a.query.limit);
            break;
        case GW_R_BOOKING_MOVE:
            gw_jw_obj(&w);
            gw_jw_key(&w, "booking");
            gw_jw_u64(&w, o->id);
            gw_jw_key(&w, "visit_no");
            gw_jw_u64(&w, o->visit_no);
            gw_jw_key(&w, "pool");
            gw_jw_str(&w, call->a.pool);
            gw_jw_key(&w, "moved_from");
            gw_jw_u64(&w, call->a.id);
            gw_jw_end(&w);
            break;
        default: /* GW_R_BOOKING_CHECKIN */
            gw_jw_obj(&w);
            gw_jw_key(&w, "booking");
            gw_jw_u64(&w, call->a.id);
            gw_jw_key(&w, "visit_no");
            gw_jw_u64(&w, o->visit_no);
            gw_jw_key(&w, "attendance");
            gw_jw_str(&w, "checked_in");
            gw_jw_end(&w);
            break;
    }
    gw__reply_json(call, gw_routes[call->route].ok_status, &b, NULL);
    gw_buf_free(&b);
    gw__call_free(call);
}
