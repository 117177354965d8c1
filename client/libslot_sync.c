/* libslot blocking face: each call submits the async operation on a
 * private loop and runs that loop until the request completes (contract in
 * libslot.h, "Blocking face").
 *
 * Why a private loop per client rather than one per thread or a shared
 * one: it needs no locks and no thread-local state, and a blocking client
 * can move between threads as long as calls do not overlap. The loop only
 * runs inside a call, so between calls nothing happens: idle connections
 * simply sit until the next request (a dead one is noticed then, and the
 * request retried elsewhere).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uv.h>

#include "libslotInt.h"

struct slotc_sync {
    uv_loop_t loop;
    struct slotc *c;
    void *mem[2]; /* outputs of the last request, freed by the next call */
    bool done;
    bool closed;
};

static void freeOutputs(struct slotc_sync *s)
{
    free(s->mem[0]);
    free(s->mem[1]);
    s->mem[0] = s->mem[1] = NULL;
}

int slotc_sync_open(const struct slotc_options *o, struct slotc_sync **out)
{
    *out = NULL;
    struct slotc_sync *s = calloc(1, sizeof *s);
    if (s == NULL) {
        return SLOT_BUSY;
    }
    if (uv_loop_init(&s->loop) != 0) {
        free(s);
        return SLOT_BUSY;
    }
    int rc = slotc_open(&s->loop, o, &s->c);
    if (rc != SLOT_OK) {
        uv_loop_close(&s->loop);
        free(s);
        return rc;
    }
    slotc__set_always_ref(s->c, true);
    *out = s;
    return SLOT_OK;
}

static void closedCb(void *data)
{
    struct slotc_sync *s = data;
    s->closed = true;
}

void slotc_sync_close(struct slotc_sync *s)
{
    if (s == NULL) {
        return;
    }
    freeOutputs(s);
    slotc_close(s->c, closedCb, s);
    /* Closing takes a few loop turns (handle close callbacks); bounded by
     * the number of handles, not by time. */
    for (int i = 0; i < 1000 && !s->closed; i++) {
        uv_run(&s->loop, UV_RUN_ONCE);
    }
    uv_run(&s->loop, UV_RUN_NOWAIT);
    (void)uv_loop_close(&s->loop);
    free(s);
}

static void doneCb(struct slotc_req *req)
{
    struct slotc_sync *s = req->data;
    slotc__take_outputs(s->c, s->mem);
    s->done = true;
}

/* Before a submit: forget the last outputs, refresh the loop's clock (it
 * stood still since the last call, and deadlines are computed from it),
 * and route the completion here. The caller's data pointer is kept aside
 * and restored. */
static void *begin(struct slotc_sync *s, struct slotc_req *req)
{
    freeOutputs(s);
    /* Take in what arrived since the last call (a node that closed our
     * idle connection): sending into a connection already known dead
     * would turn a clean retry into an OUTCOME_UNKNOWN. */
    uv_run(&s->loop, UV_RUN_NOWAIT);
    uv_update_time(&s->loop);
    s->done = false;
    void *user = req->data;
    req->data = s;
    return user;
}

/* After a submit: wait for the completion. The core completes every
 * request by its deadline (its tick timer runs while anything is pending),
 * so this loop ends; the loop count only guards against a core bug. */
static int finish(struct slotc_sync *s, struct slotc_req *req, void *user,
                  int rc)
{
    if (rc == SLOT_OK) {
        while (!s->done) {
            uv_run(&s->loop, UV_RUN_ONCE);
        }
        rc = req->status;
    }
    req->data = user;
    return rc;
}

/* Each blocking call is the async one between begin() and finish(). */
#define SYNC_CALL(s, req, call)                                                \
    do {                                                                       \
        void *user_ = begin((s), (req));                                       \
        int rc_ = (call);                                                      \
        return finish((s), (req), user_, rc_);                                 \
    } while (0)

int slotc_sync_config(struct slotc_sync *s, struct slotc_req *req,
                      const struct slotc_config *cfg)
{
    SYNC_CALL(s, req, slotc_config(s->c, req, cfg, doneCb));
}

int slotc_sync_pool_create(struct slotc_sync *s, struct slotc_req *req,
                           const struct slotc_pool_spec *spec)
{
    SYNC_CALL(s, req, slotc_pool_create(s->c, req, spec, doneCb));
}

int slotc_sync_pool_update(struct slotc_sync *s, struct slotc_req *req,
                           const struct slotc_pool_spec *spec)
{
    SYNC_CALL(s, req, slotc_pool_update(s->c, req, spec, doneCb));
}

int slotc_sync_pool_close(struct slotc_sync *s, struct slotc_req *req,
                          const char *pool)
{
    SYNC_CALL(s, req, slotc_pool_close(s->c, req, pool, doneCb));
}

int slotc_sync_hold(struct slotc_sync *s, struct slotc_req *req,
                    const char *pool, const char *patient, const char *channel,
                    uint32_t ttl_ms)
{
    SYNC_CALL(s, req,
              slotc_hold(s->c, req, pool, patient, channel, ttl_ms, doneCb));
}

int slotc_sync_confirm(struct slotc_sync *s, struct slotc_req *req,
                       uint64_t hold, const char *payment_ref)
{
    SYNC_CALL(s, req, slotc_confirm(s->c, req, hold, payment_ref, doneCb));
}

int slotc_sync_release(struct slotc_sync *s, struct slotc_req *req,
                       uint64_t hold)
{
    SYNC_CALL(s, req, slotc_release(s->c, req, hold, doneCb));
}

int slotc_sync_cancel(struct slotc_sync *s, struct slotc_req *req,
                      uint64_t booking)
{
    SYNC_CALL(s, req, slotc_cancel(s->c, req, booking, doneCb));
}

int slotc_sync_expire(struct slotc_sync *s, struct slotc_req *req, uint32_t max)
{
    SYNC_CALL(s, req, slotc_expire(s->c, req, max, doneCb));
}

int slotc_sync_read_pool(struct slotc_sync *s, struct slotc_req *req,
                         const char *pool)
{
    SYNC_CALL(s, req, slotc_read_pool(s->c, req, pool, doneCb));
}

int slotc_sync_read_hold(struct slotc_sync *s, struct slotc_req *req,
                         uint64_t hold)
{
    SYNC_CALL(s, req, slotc_read_hold(s->c, req, hold, doneCb));
}

int slotc_sync_read_booking(struct slotc_sync *s, struct slotc_req *req,
                            uint64_t booking)
{
    SYNC_CALL(s, req, slotc_read_booking(s->c, req, booking, doneCb));
}

int slotc_sync_read_patient(struct slotc_sync *s, struct slotc_req *req,
                            const char *pool, const char *patient)
{
    SYNC_CALL(s, req, slotc_read_patient(s->c, req, pool, patient, doneCb));
}

int slotc_sync_read_pools(struct slotc_sync *s, struct slotc_req *req,
                          const char *after, uint32_t limit)
{
    SYNC_CALL(s, req, slotc_read_pools(s->c, req, after, limit, doneCb));
}

int slotc_sync_read_ledger(struct slotc_sync *s, struct slotc_req *req)
{
    SYNC_CALL(s, req, slotc_read_ledger(s->c, req, doneCb));
}

int slotc_sync_status(struct slotc_sync *s, struct slotc_req *req)
{
    SYNC_CALL(s, req, slotc_status(s->c, req, doneCb));
}

int slotc_sync_member_add(struct slotc_sync *s, struct slotc_req *req,
                          uint64_t id, const char *address)
{
    SYNC_CALL(s, req, slotc_member_add(s->c, req, id, address, doneCb));
}

int slotc_sync_member_assign(struct slotc_sync *s, struct slotc_req *req,
                             uint64_t id, int role)
{
    SYNC_CALL(s, req, slotc_member_assign(s->c, req, id, role, doneCb));
}

int slotc_sync_member_remove(struct slotc_sync *s, struct slotc_req *req,
                             uint64_t id)
{
    SYNC_CALL(s, req, slotc_member_remove(s->c, req, id, doneCb));
}

int slotc_sync_transfer(struct slotc_sync *s, struct slotc_req *req,
                        uint64_t id)
{
    SYNC_CALL(s, req, slotc_transfer(s->c, req, id, doneCb));
}

int slotc_sync_rules_set(struct slotc_sync *s, struct slotc_req *req,
                         const char *hospital, const char *department,
                         const char *operator_name, const char *reason,
                         const struct slotc_rules *rules)
{
    SYNC_CALL(s, req,
              slotc_rules_set(s->c, req, hospital, department, operator_name,
                              reason, rules, doneCb));
}

int slotc_sync_schedule_import(struct slotc_sync *s, struct slotc_req *req,
                               const struct slotc_template *tpl)
{
    SYNC_CALL(s, req, slotc_schedule_import(s->c, req, tpl, doneCb));
}

int slotc_sync_read_query(struct slotc_sync *s, struct slotc_req *req,
                          const struct slotc_query *q)
{
    SYNC_CALL(s, req, slotc_read_query(s->c, req, q, doneCb));
}

int slotc_sync_read_rules(struct slotc_sync *s, struct slotc_req *req,
                          const char *hospital, const char *department)
{
    SYNC_CALL(s, req,
              slotc_read_rules(s->c, req, hospital, department, doneCb));
}

int slotc_sync_read_rules_log(struct slotc_sync *s, struct slotc_req *req,
                              const char *hospital, uint64_t after_version,
                              uint32_t limit)
{
    SYNC_CALL(s, req,
              slotc_read_rules_log(s->c, req, hospital, after_version, limit,
                                   doneCb));
}

int slotc_sync_schedule_check(struct slotc_sync *s, struct slotc_req *req,
                              const struct slotc_template *tpl)
{
    SYNC_CALL(s, req, slotc_schedule_check(s->c, req, tpl, doneCb));
}

/* ---- protocol 3 ---------------------------------------------------------- */

int slotc_sync_hold_account(struct slotc_sync *s, struct slotc_req *req,
                            const char *pool, const char *patient,
                            const char *channel, const char *account,
                            uint32_t ttl_ms)
{
    SYNC_CALL(s, req,
              slotc_hold_account(s->c, req, pool, patient, channel, account,
                                 ttl_ms, doneCb));
}

int slotc_sync_confirm_as(struct slotc_sync *s, struct slotc_req *req,
                          uint64_t hold, const char *payment_ref,
                          const char *caller, const char *account)
{
    SYNC_CALL(s, req,
              slotc_confirm_as(s->c, req, hold, payment_ref, caller, account,
                               doneCb));
}

int slotc_sync_release_as(struct slotc_sync *s, struct slotc_req *req,
                          uint64_t hold, const char *caller,
                          const char *account)
{
    SYNC_CALL(s, req,
              slotc_release_as(s->c, req, hold, caller, account, doneCb));
}

int slotc_sync_cancel_as(struct slotc_sync *s, struct slotc_req *req,
                         uint64_t booking, const char *caller,
                         const char *account)
{
    SYNC_CALL(s, req,
              slotc_cancel_as(s->c, req, booking, caller, account, doneCb));
}

int slotc_sync_account_bind(struct slotc_sync *s, struct slotc_req *req,
                            const char *account, const char *patient)
{
    SYNC_CALL(s, req, slotc_account_bind(s->c, req, account, patient, doneCb));
}

int slotc_sync_account_unbind(struct slotc_sync *s, struct slotc_req *req,
                              const char *account, const char *patient)
{
    SYNC_CALL(s, req,
              slotc_account_unbind(s->c, req, account, patient, doneCb));
}

int slotc_sync_violation(struct slotc_sync *s, struct slotc_req *req,
                         const char *hospital, const char *patient, int kind,
                         const char *operator_name, const char *reason)
{
    SYNC_CALL(s, req,
              slotc_violation(s->c, req, hospital, patient, kind, operator_name,
                              reason, doneCb));
}

int slotc_sync_unblock(struct slotc_sync *s, struct slotc_req *req,
                       const char *hospital, const char *patient,
                       const char *operator_name, const char *reason)
{
    SYNC_CALL(s, req,
              slotc_unblock(s->c, req, hospital, patient, operator_name, reason,
                            doneCb));
}

int slotc_sync_exception(struct slotc_sync *s, struct slotc_req *req,
                         const char *hospital, const char *patient,
                         const char *operator_name, const char *reason)
{
    SYNC_CALL(s, req,
              slotc_exception(s->c, req, hospital, patient, operator_name,
                              reason, doneCb));
}

int slotc_sync_read_patient_info(struct slotc_sync *s, struct slotc_req *req,
                                 const char *patient)
{
    SYNC_CALL(s, req, slotc_read_patient_info(s->c, req, patient, doneCb));
}

int slotc_sync_read_account(struct slotc_sync *s, struct slotc_req *req,
                            const char *account)
{
    SYNC_CALL(s, req, slotc_read_account(s->c, req, account, doneCb));
}

int slotc_sync_read_staff_log(struct slotc_sync *s, struct slotc_req *req,
                              uint64_t after_seq, uint32_t limit)
{
    SYNC_CALL(s, req,
              slotc_read_staff_log(s->c, req, after_seq, limit, doneCb));
}

int slotc_sync_waitlist_join(struct slotc_sync *s, struct slotc_req *req,
                             const char *pool, const char *patient,
                             const char *channel, const char *account)
{
    SYNC_CALL(s, req,
              slotc_waitlist_join(s->c, req, pool, patient, channel, account,
                                  doneCb));
}

int slotc_sync_waitlist_leave(struct slotc_sync *s, struct slotc_req *req,
                              const char *pool, const char *patient,
                              const char *caller, const char *account)
{
    SYNC_CALL(s, req,
              slotc_waitlist_leave(s->c, req, pool, patient, caller, account,
                                   doneCb));
}

int slotc_sync_read_waitlist(struct slotc_sync *s, struct slotc_req *req,
                             const char *pool, const char *patient)
{
    SYNC_CALL(s, req, slotc_read_waitlist(s->c, req, pool, patient, doneCb));
}

int slotc_sync_pool_stop(struct slotc_sync *s, struct slotc_req *req,
                         const char *pool, const char *operator_name,
                         const char *reason)
{
    SYNC_CALL(s, req,
              slotc_pool_stop(s->c, req, pool, operator_name, reason, doneCb));
}

int slotc_sync_move(struct slotc_sync *s, struct slotc_req *req,
                    uint64_t booking, const char *target_pool,
                    const char *caller, const char *account)
{
    SYNC_CALL(
        s, req,
        slotc_move(s->c, req, booking, target_pool, caller, account, doneCb));
}

int slotc_sync_checkin(struct slotc_sync *s, struct slotc_req *req,
                       uint64_t booking, const char *patient,
                       const char *payment_ref)
{
    SYNC_CALL(s, req,
              slotc_checkin(s->c, req, booking, patient, payment_ref, doneCb));
}

int slotc_sync_read_pool_claims(struct slotc_sync *s, struct slotc_req *req,
                                const char *pool, uint64_t after_id,
                                uint32_t limit)
{
    SYNC_CALL(s, req,
              slotc_read_pool_claims(s->c, req, pool, after_id, limit, doneCb));
}

int slotc_sync_read_events(struct slotc_sync *s, struct slotc_req *req,
                           uint64_t after, uint32_t limit)
{
    SYNC_CALL(s, req, slotc_read_events(s->c, req, after, limit, doneCb));
}

/* Protocol 5 (declared in libslotInt.h until libslot.h has them). */
int slotc_sync_confirm_pay(struct slotc_sync *s, struct slotc_req *req,
                           uint64_t hold, const char *payment_ref,
                           const char *pay_method, const char *caller,
                           const char *account)
{
    SYNC_CALL(s, req,
              slotc_confirm_pay(s->c, req, hold, payment_ref, pay_method,
                                caller, account, doneCb));
}

int slotc_sync_checkin_pay(struct slotc_sync *s, struct slotc_req *req,
                           uint64_t booking, const char *patient,
                           const char *payment_ref, const char *pay_method)
{
    SYNC_CALL(s, req,
              slotc_checkin_pay(s->c, req, booking, patient, payment_ref,
                                pay_method, doneCb));
}

int slotc_sync_read_recon(struct slotc_sync *s, struct slotc_req *req,
                          uint32_t day, const char *hospital,
                          const char *channel, uint32_t after, uint32_t limit)
{
    SYNC_CALL(s, req,
              slotc_read_recon(s->c, req, day, hospital, channel, after, limit,
                               doneCb));
}

int slotc_sync_read_stats(struct slotc_sync *s, struct slotc_req *req,
                          const char *hospital, uint32_t date_from,
                          uint32_t date_to, uint32_t after, uint32_t limit)
{
    SYNC_CALL(s, req,
              slotc_read_stats(s->c, req, hospital, date_from, date_to, after,
                               limit, doneCb));
}

#define FOLLOW_INTERVAL_MAX_MS 3600000u

/* The pause sleeps the thread rather than running the private loop: the
 * loop has nothing to do between reads (no request is pending), and a
 * plain sleep returns early on a signal, which is how a follower run from
 * a terminal stops promptly. */
static void pauseMs(uint32_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    (void)nanosleep(&ts, NULL);
}

int slotc_sync_events_follow(struct slotc_sync *s, struct slotc_req *req,
                             uint64_t *after, uint32_t limit,
                             uint32_t interval_ms,
                             int (*page_cb)(struct slotc_req *req))
{
    if (limit == 0 || limit > SLOTC_LIST_MAX || interval_ms == 0 ||
        interval_ms > FOLLOW_INTERVAL_MAX_MS) {
        return SLOT_INVALID_ARGUMENT;
    }
    for (;;) {
        int rc = slotc_sync_read_events(s, req, *after, limit);
        if (rc != SLOT_OK) {
            return rc;
        }
        uint32_t n = req->out.n_events;
        if (n > 0) {
            *after = req->out.events[n - 1].seq;
        }
        rc = page_cb(req);
        if (rc != 0) {
            return rc;
        }
        if (n < limit) {
            pauseMs(interval_ms);
        }
    }
}
