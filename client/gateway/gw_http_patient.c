/* gw_http_patient: the routes of the patient rules on libslot (issue 15):
 * accounts, a patient's record, the staff commands and their log, and
 * pools' waitlists (see gw_httpInt.h). Each is one libslot request: the
 * ledger decides every rule (who may leave a waitlist entry included),
 * the gateway translates. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "gw_err.h"
#include "gw_httpInt.h"
#include "gw_json.h"
#include "gw_route.h"

/* "" (an administrator: the ledger's caller for the admin token) or the
 * token's channel. */
static const char *callerOf(const struct gw_call *call)
{
    return call->channel == GW_CH_ADMIN
               ? NULL
               : gw_config_channel_name(call->g->cfg, call->channel);
}

static const char *accountOf(const struct gw_call *call)
{
    return call->a.account[0] != '\0' ? call->a.account : NULL;
}

void gw__patient_submit(struct gw_call *call)
{
    struct gw *g = call->g;
    struct gw_args *a = &call->a;
    struct slotc_req *sr =
        gw__call_req(call, g->cfg->limits.request_timeout_ms);
    int rc;
    switch (call->route) {
        case GW_R_ACCOUNT_BIND:
            gw__call_idem(call, sr);
            rc = slotc_account_bind(g->slot, sr, a->account, a->patient,
                                    gw__on_slot);
            break;
        case GW_R_ACCOUNT_UNBIND:
            gw__call_idem(call, sr);
            rc = slotc_account_unbind(g->slot, sr, a->account, a->patient,
                                      gw__on_slot);
            break;
        case GW_R_ACCOUNT_GET:
            rc = slotc_read_account(g->slot, sr, a->account, gw__on_slot);
            break;
        case GW_R_PATIENT_INFO:
        case GW_R_PATIENT_INFO_LOOKUP:
            rc = slotc_read_patient_info(g->slot, sr, a->patient, gw__on_slot);
            break;
        case GW_R_VIOLATION:
            gw__call_idem(call, sr);
            rc = slotc_violation(g->slot, sr, a->query.hospital, a->patient,
                                 a->kind, a->operator_name, a->reason,
                                 gw__on_slot);
            break;
        case GW_R_UNBLOCK:
            gw__call_idem(call, sr);
            rc = slotc_unblock(g->slot, sr, a->query.hospital, a->patient,
                               a->operator_name, a->reason, gw__on_slot);
            break;
        case GW_R_EXCEPTION:
            gw__call_idem(call, sr);
            rc = slotc_exception(g->slot, sr, a->query.hospital, a->patient,
                                 a->operator_name, a->reason, gw__on_slot);
            break;
        case GW_R_STAFF_LOG:
            rc = slotc_read_staff_log(g->slot, sr, a->query.after_version,
                                      a->query.limit, gw__on_slot);
            break;
        case GW_R_WAITLIST_JOIN:
            gw__call_idem(call, sr);
            rc = slotc_waitlist_join(g->slot, sr, a->pool, a->patient,
                                     callerOf(call), accountOf(call),
                                     gw__on_slot);
            break;
        case GW_R_WAITLIST_LEAVE:
            gw__call_idem(call, sr);
            rc = slotc_waitlist_leave(g->slot, sr, a->pool, a->patient,
                                      callerOf(call), accountOf(call),
                                      gw__on_slot);
            break;
        case GW_R_WAITLIST_GET:
        case GW_R_WAITLIST_LOOKUP:
            rc = slotc_read_waitlist(g->slot, sr, a->pool, a->patient,
                                     gw__on_slot);
            break;
        default:
            rc = GW_INTERNAL;
            break;
    }
    if (rc != SLOT_OK) {
        gw__submit_failed(call, rc);
    }
}

/* {"hospital","patient"} members of the staff commands' replies. */
static void staffHead(struct gw_jw *w, const struct gw_call *call)
{
    gw_jw_obj(w);
    gw_jw_key(w, "hospital");
    gw_jw_str(w, call->a.query.hospital);
    gw_jw_key(w, "patient");
    gw_jw_str(w, call->a.patient);
}

/* {"pool","patient"} members of the waitlist replies. */
static void waitHead(struct gw_jw *w, const struct gw_call *call)
{
    gw_jw_obj(w);
    gw_jw_key(w, "pool");
    gw_jw_str(w, call->a.pool);
    gw_jw_key(w, "patient");
    gw_jw_str(w, call->a.patient);
}

void gw__patient_done(struct gw_call *call, const struct slotc_req *sr)
{
    if (sr->status != SLOT_OK) {
        gw__result_error(call, sr->status);
        gw__call_free(call);
        return;
    }
    char st[2048];
    struct gw_buf b;
    gw_buf_init(&b, st, sizeof st);
    struct gw_jw w;
    gw_jw_init(&w, &b);
    const struct slotc_out *o = &sr->out;
    switch (call->route) {
        case GW_R_ACCOUNT_BIND:
        case GW_R_ACCOUNT_UNBIND:
            gw_jw_obj(&w);
            gw_jw_key(&w, "account");
            gw_jw_str(&w, call->a.account);
            gw_jw_key(&w, "patient");
            gw_jw_str(&w, call->a.patient);
            gw_jw_key(&w, "bound");
            gw_jw_u64(&w, o->bound);
            gw_jw_end(&w);
            break;
        case GW_R_ACCOUNT_GET:
            gw_json_account(&b, o->account);
            break;
        case GW_R_PATIENT_INFO:
        case GW_R_PATIENT_INFO_LOOKUP:
            gw_json_patient_info(&b, o->patient_info);
            break;
        case GW_R_VIOLATION: {
            const char *k = slotc_violation_name(call->a.kind);
            staffHead(&w, call);
            gw_jw_key(&w, "kind");
            gw_jw_str(&w, k != NULL ? k : "unknown");
            gw_jw_key(&w, "violations");
            gw_jw_u64(&w, o->violations);
            gw_jw_key(&w, "blacklisted_until_ms");
            gw_jw_u64(&w, o->until_ms);
            gw_jw_end(&w);
            break;
        }
        case GW_R_UNBLOCK:
            staffHead(&w, call);
            gw_jw_key(&w, "lifted");
            gw_jw_bool(&w, o->lifted);
            gw_jw_end(&w);
            break;
        case GW_R_EXCEPTION:
            staffHead(&w, call);
            gw_jw_key(&w, "exception");
            gw_jw_bool(&w, true);
            gw_jw_end(&w);
            break;
        case GW_R_STAFF_LOG:
            gw_json_staff_log(&b, o->staff, o->n_staff, call->a.query.limit);
            break;
        case GW_R_WAITLIST_JOIN:
            waitHead(&w, call);
            gw_jw_key(&w, "position");
            gw_jw_u64(&w, o->position);
            gw_jw_end(&w);
            break;
        case GW_R_WAITLIST_LEAVE:
            waitHead(&w, call);
            gw_jw_key(&w, "state");
            gw_jw_str(&w, "left");
            gw_jw_end(&w);
            break;
        default: /* GW_R_WAITLIST_GET, GW_R_WAITLIST_LOOKUP */
            waitHead(&w, call);
            gw_jw_key(&w, "position");
            gw_jw_u64(&w, o->position);
            gw_jw_key(&w, "length");
            gw_jw_u64(&w, o->length);
            gw_jw_end(&w);
            break;
    }
    gw__reply_json(call, gw_routes[call->route].ok_status, &b, NULL);
    gw_buf_free(&b);
    gw__call_free(call);
}
