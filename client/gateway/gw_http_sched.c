/* gw_http_sched: the routes of hospitals' schedules and rules on libslot,
 * and the choice of a hold's ttl_ms (see gw_httpInt.h). The JSON is
 * gw_sched.h's; the request path up to the first submission (token,
 * budget, path, query string, body) is gw_http.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_err.h"
#include "gw_httpInt.h"
#include "gw_route.h"
#include "gw_sched.h"

/* ---- a hold's ttl_ms ----------------------------------------------------- */

void gw__pools_seen(struct gw *g, const struct slotc_pool *p, uint32_t n)
{
    uint64_t now = uv_now(g->loop);
    for (uint32_t i = 0; i < n; i++) {
        gw_pcache_put(&g->pools, p[i].pool, strlen(p[i].pool), p[i].scheduled,
                      now);
    }
}

static void submitHold(struct gw_call *call, uint32_t ttl_ms)
{
    struct gw *g = call->g;
    uint32_t left = gw__budget_ms(call);
    if (left == 0) {
        /* Only after a pool read: nothing was written. */
        gw__call_error(call, SLOT_TIMEOUT, NULL, NULL);
        gw__call_free(call);
        return;
    }
    struct slotc_req *sr = gw__call_req(call, left);
    gw__call_idem(call, sr);
    call->phase = 1;
    /* The account (X-Account) travels with the hold: the ledger checks
     * the binding and the hospital's account channels. */
    int rc =
        slotc_hold_account(g->slot, sr, call->a.pool, call->a.patient,
                           gw_config_channel_name(g->cfg, call->channel),
                           call->a.account[0] != '\0' ? call->a.account : NULL,
                           ttl_ms, gw__on_slot);
    if (rc != SLOT_OK) {
        gw__submit_failed(call, rc);
    }
}

/* A stale read first (any node: the pool's kind changes at most once, from
 * free-standing to scheduled); "unknown" from it is asked again of the
 * leader, since that node may lag behind the pool's creation. */
static void submitPoolRead(struct gw_call *call)
{
    struct gw *g = call->g;
    uint32_t left = gw__budget_ms(call);
    if (left == 0) {
        gw__call_error(call, SLOT_TIMEOUT, NULL, NULL);
        gw__call_free(call);
        return;
    }
    struct slotc_req *sr = gw__call_req(call, left);
    if (!call->strict) {
        sr->flags = SLOTC_STALE;
    }
    int rc = slotc_read_pool(g->slot, sr, call->a.pool, gw__on_slot);
    if (rc != SLOT_OK) {
        gw__submit_failed(call, rc);
    }
}

void gw__hold_submit(struct gw_call *call)
{
    struct gw *g = call->g;
    if (call->a.ttl_ms != 0) {
        submitHold(call, call->a.ttl_ms);
        return;
    }
    int k = gw_pcache_get(&g->pools, call->a.pool, strlen(call->a.pool),
                          uv_now(g->loop));
    if (k < 0) {
        submitPoolRead(call);
        return;
    }
    submitHold(call, k > 0 ? 0 : g->cfg->limits.hold_ttl_ms);
}

void gw__hold_read_done(struct gw_call *call, const struct slotc_req *sr)
{
    struct gw *g = call->g;
    if (!call->strict &&
        (sr->status == SLOT_UNKNOWN_POOL || sr->status == SLOT_NOT_LEADER)) {
        call->strict = true;
        submitPoolRead(call);
        return;
    }
    if (sr->status != SLOT_OK) {
        /* Nothing was written: the read's answer is the hold's (an unknown
         * pool, or a cluster that did not answer: retryable as it is). */
        gw__call_error(call, sr->status, NULL, NULL);
        gw__call_free(call);
        return;
    }
    gw__pools_seen(g, sr->out.pools, sr->out.n_pools);
    bool scheduled = sr->out.n_pools > 0 && sr->out.pools[0].scheduled;
    submitHold(call, scheduled ? 0 : g->cfg->limits.hold_ttl_ms);
}

/* ---- the schedule routes -------------------------------------------------- */

void gw__sched_submit(struct gw_call *call)
{
    struct gw *g = call->g;
    struct gw_args *a = &call->a;
    struct slotc_req *sr =
        gw__call_req(call, g->cfg->limits.request_timeout_ms);
    const char *what = "the request";
    int rc;
    switch (call->route) {
        case GW_R_POOL_QUERY:
            if (a->query.stale) {
                sr->flags = SLOTC_STALE;
            }
            rc = slotc_read_query(g->slot, sr, &a->query.q, gw__on_slot);
            break;
        case GW_R_SCHEDULE_IMPORT:
            what = "the template";
            if (a->query.dry_run) {
                /* A read: an Idempotency-Key has nothing to protect. */
                rc = slotc_schedule_check(g->slot, sr, &a->tpl->tpl,
                                          gw__on_slot);
            } else {
                gw__call_idem(call, sr);
                rc = slotc_schedule_import(g->slot, sr, &a->tpl->tpl,
                                           gw__on_slot);
            }
            break;
        case GW_R_RULES_GET:
            rc = slotc_read_rules(g->slot, sr, a->query.hospital,
                                  a->query.department, gw__on_slot);
            break;
        case GW_R_RULES_SET:
            what = "the rule set";
            gw__call_idem(call, sr);
            rc = slotc_rules_set(g->slot, sr, a->query.hospital,
                                 a->rules->department, a->rules->operator_name,
                                 a->rules->reason, &a->rules->rules,
                                 gw__on_slot);
            break;
        default: /* GW_R_RULES_LOG */
            rc = slotc_read_rules_log(g->slot, sr, a->query.hospital,
                                      a->query.after_version, a->query.limit,
                                      gw__on_slot);
            break;
    }
    if (rc == SLOT_INVALID_ARGUMENT || rc == SLOT_TOO_LARGE) {
        /* libslot's own check of the whole (gw_sched.c checked each field:
         * the two agree, which fuzz_gw_sched verifies, so this is a
         * safety net). */
        char msg[160];
        snprintf(msg, sizeof msg,
                 "%s breaks a rule of the protocol (slot_sched.h); nothing "
                 "was sent",
                 what);
        gw__call_error(call, SLOT_INVALID_ARGUMENT, msg, NULL);
        gw__call_free(call);
    } else if (rc != SLOT_OK) {
        gw__submit_failed(call, rc);
    }
}

/* The 409 of an import: SCHEDULE_CONFLICT with the pools that conflict,
 * as a check listed them (sr NULL or failed: without the list). */
static void conflictReply(struct gw_call *call, const struct slotc_req *sr,
                          int why)
{
    char st[1024], msg[200];
    struct gw_buf b;
    gw_buf_init(&b, st, sizeof st);
    if (sr != NULL && sr->status == SLOT_OK) {
        struct gw_jw w;
        gw_jw_init(&w, &b);
        w.depth = 1; /* inside the error object, after "message" */
        w.need_comma[0] = false;
        gw_jw_key(&w, "conflicts");
        gw_jw_arr(&w);
        for (uint32_t i = 0; i < sr->out.n_conflicts; i++) {
            gw_jw_str(&w, sr->out.conflicts[i]);
        }
        gw_jw_arr_end(&w);
        snprintf(msg, sizeof msg,
                 "the schedule names existing pools with different fields "
                 "(\"conflicts\", at most %d); nothing was created",
                 SLOTC_LIST_MAX);
    } else {
        snprintf(msg, sizeof msg,
                 "the schedule names existing pools with different fields; "
                 "nothing was created; listing them failed (%s): POST the "
                 "same body with ?dry_run=1",
                 gw_err_name(sr != NULL ? sr->status : why));
    }
    gw__call_error(call, SLOT_SCHEDULE_CONFLICT, msg,
                   b.len > 0 && !b.oom ? b.p : NULL);
    gw_buf_free(&b);
    gw__call_free(call);
}

/* After SCHEDULE_CONFLICT: which pools? A check of the same template
 * (a read: the ledger may have changed in between, so the list is the
 * state at the time of the answer). */
static void submitConflictCheck(struct gw_call *call)
{
    uint32_t left = gw__budget_ms(call);
    if (left == 0) {
        conflictReply(call, NULL, SLOT_TIMEOUT);
        return;
    }
    struct slotc_req *sr = gw__call_req(call, left);
    call->phase = 1;
    int rc =
        slotc_schedule_check(call->g->slot, sr, &call->a.tpl->tpl, gw__on_slot);
    if (rc != SLOT_OK) {
        conflictReply(call, NULL, rc);
    }
}

void gw__sched_done(struct gw_call *call, const struct slotc_req *sr)
{
    struct gw_args *a = &call->a;
    if (call->route == GW_R_SCHEDULE_IMPORT && call->phase == 1) {
        conflictReply(call, sr, sr->status);
        return;
    }
    if (call->route == GW_R_SCHEDULE_IMPORT &&
        sr->status == SLOT_SCHEDULE_CONFLICT) {
        submitConflictCheck(call);
        return;
    }
    if (sr->status != SLOT_OK) {
        gw__result_error(call, sr->status);
        gw__call_free(call);
        return;
    }
    char st[2048];
    struct gw_buf b;
    gw_buf_init(&b, st, sizeof st);
    int status = gw_routes[call->route].ok_status;
    switch (call->route) {
        case GW_R_POOL_QUERY:
            gw__pools_seen(call->g, sr->out.pools, sr->out.n_pools);
            gw_json_pool_list(&b, &sr->out, &a->query);
            break;
        case GW_R_SCHEDULE_IMPORT:
            /* 201 when pools were created; a schedule that was all there
             * (a repeated import) and a dry run create nothing: 200. */
            gw_json_import(&b, sr->out.created, sr->out.unchanged,
                           a->query.dry_run ? sr->out.conflicts : NULL,
                           a->query.dry_run ? sr->out.n_conflicts : 0,
                           a->query.dry_run);
            status = !a->query.dry_run && sr->out.created > 0 ? 201 : 200;
            break;
        case GW_R_RULES_GET:
            gw_json_rules_info(&b, a->query.hospital, &sr->out.rules[0]);
            break;
        case GW_R_RULES_SET:
            gw_json_rules_set(&b, a->query.hospital, a->rules->department,
                              sr->out.version);
            break;
        default: /* GW_R_RULES_LOG */
            gw_json_rules_log(&b, a->query.hospital, sr->out.rules,
                              sr->out.n_rules, a->query.limit);
            break;
    }
    gw__reply_json(call, status, &b, NULL);
    gw_buf_free(&b);
    gw__call_free(call);
}
