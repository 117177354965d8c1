/* apply: one batch (Raft entry) at a time: ledger time, then per command
 * the bounded housekeeping, the session checks, the idempotency key and
 * the command itself (ledger.h, "Exact rules"). */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledgerInt.h"

static int sessionOpen(struct ledger *l, struct slot_result *res)
{
    if (l->n_sessions >= l->config.session_max) {
        ledger__session_forget(l, l->lru_head);
    }
    uint64_t id = l->next_session_id++;
    ledger__session_alloc(l, id, l->time_ms);
    res->a = id;
    return SLOT_OK;
}

/* CONFIG: a protocol 2 CONFIG (v3 false) leaves the protocol 3 fields as
 * they are. */
static void configSet(struct ledger *l, const struct slot_config *c)
{
    if (c->v3) {
        l->config = *c;
        return;
    }
    struct slot_config keep = l->config;
    l->config = *c;
    l->config.v3 = true;
    l->config.account_patients_max = keep.account_patients_max;
    l->config.account_changes_max = keep.account_changes_max;
    l->config.account_change_window_days = keep.account_change_window_days;
    l->config.account_change_patients_max = keep.account_change_patients_max;
    l->config.patient_active_max = keep.patient_active_max;
    l->config.cooldown_key[0] = keep.cooldown_key[0];
    l->config.cooldown_key[1] = keep.cooldown_key[1];
}

static int run(struct ledger *l, const struct slot_cmd *cmd,
               struct slot_result *res)
{
    switch (cmd->op) {
        case SLOT_OP_SESSION_OPEN:
            return sessionOpen(l, res);
        case SLOT_OP_CONFIG:
            configSet(l, &cmd->u.config);
            ledger__event(l, SLOT_EV_CONFIG_CHANGED, NONE, 0, NONE, NONE, NONE,
                          0, 0);
            return SLOT_OK;
        case SLOT_OP_POOL_CREATE:
            return ledger__pool_create(l, &cmd->u.pool);
        case SLOT_OP_POOL_UPDATE:
            return ledger__pool_update(l, &cmd->u.pool);
        case SLOT_OP_POOL_CLOSE:
            return ledger__pool_close(l, cmd->u.close.pool);
        case SLOT_OP_HOLD:
            return ledger__hold(l, cmd, res);
        case SLOT_OP_CONFIRM:
            return ledger__confirm(l, cmd, res);
        case SLOT_OP_RELEASE:
            return ledger__release(l, cmd);
        case SLOT_OP_CANCEL:
            return ledger__cancel(l, cmd);
        case SLOT_OP_EXPIRE:
            return ledger__expire(l, cmd->u.expire.max, res);
        case SLOT_OP_RULES_SET:
            return ledger__rules_set(l, cmd, res);
        case SLOT_OP_SCHEDULE_IMPORT:
            return ledger__schedule_import(l, cmd, res);
        case SLOT_OP_SWEEP:
            return ledger__sweep(l, cmd->u.expire.max, res);
        case SLOT_OP_ACCOUNT_BIND:
            return ledger__account_bind(l, cmd, res);
        case SLOT_OP_ACCOUNT_UNBIND:
            return ledger__account_unbind(l, cmd, res);
        case SLOT_OP_VIOLATION:
        case SLOT_OP_UNBLOCK:
        case SLOT_OP_EXCEPTION:
            return ledger__staff_cmd(l, cmd, res);
        case SLOT_OP_WAITLIST_JOIN:
            return ledger__wait_join(l, cmd, res);
        case SLOT_OP_WAITLIST_LEAVE:
            return ledger__wait_leave(l, cmd);
        case SLOT_OP_POOL_STOP:
            return ledger__pool_stop(l, cmd, res);
        case SLOT_OP_MOVE:
            return ledger__move(l, cmd, res);
        case SLOT_OP_CHECKIN:
            return ledger__checkin(l, cmd, res);
    }
    assert(0 && "op not validated by the decoder");
    return SLOT_UNKNOWN_OP;
}

/* A command with an idempotency key: the remembered answer, or run it and
 * remember (ledger.h, "Exact rules"). */
static void idemRun(struct ledger *l, const struct slot_cmd *cmd,
                    struct slot_result *res)
{
    uint32_t ii = ledger__idem_find(l, cmd->idem.channel, cmd->idem.key);
    if (ii != NONE) {
        if (l->idems[ii].fingerprint == cmd->idem.fingerprint) {
            *res = l->idems[ii].r;
        } else {
            res->code = SLOT_REQUEST_MISMATCH;
        }
        return;
    }
    res->code = (uint16_t)run(l, cmd, res);
    ledger__idem_add(l, cmd->idem.channel, cmd->idem.key, cmd->idem.fingerprint,
                     res);
}

static void applyOne(struct ledger *l, const struct slot_cmd *cmd,
                     struct slot_result *res)
{
    memset(res, 0, sizeof *res);
    res->time_ms = l->time_ms;
    ledger__evict_bounded(l);
    if (cmd->op == SLOT_OP_SESSION_OPEN || cmd->op == SLOT_OP_EXPIRE ||
        cmd->op == SLOT_OP_SWEEP) {
        res->code = (uint16_t)run(l, cmd, res);
        return;
    }
    uint32_t si = ledger__session_find(l, cmd->session);
    if (si == NONE) {
        res->code = SLOT_SESSION_UNKNOWN;
        return;
    }
    struct session *s = &l->sessions[si];
    ledger__session_touch(l, si);
    if (s->max_seq >= SLOT_SESSION_WINDOW &&
        cmd->seq <= s->max_seq - SLOT_SESSION_WINDOW) {
        res->code = SLOT_REQUEST_TOO_OLD;
        return;
    }
    struct sres *slot = ledger__session_slot(s, cmd->seq);
    if (slot->seq == cmd->seq) {
        if (slot->fingerprint == cmd->fingerprint) {
            *res = slot->r;
        } else {
            res->code = SLOT_REQUEST_MISMATCH;
        }
        return;
    }
    if (cmd->idem.key.len > 0) {
        idemRun(l, cmd, res);
    } else {
        res->code = (uint16_t)run(l, cmd, res);
    }
    slot->seq = cmd->seq;
    slot->fingerprint = cmd->fingerprint;
    slot->r = *res;
    if (cmd->seq > s->max_seq) {
        s->max_seq = cmd->seq;
        ledger__session_drop_old(s);
    }
}

void ledger_apply_at(struct ledger *l, uint64_t index, uint64_t stamp_ms,
                     const struct slot_cmd *cmds, uint32_t n,
                     struct slot_result *results)
{
    assert(n <= SLOT_BATCH_CMDS_MAX);
    if (stamp_ms > l->time_ms) {
        l->time_ms = stamp_ms;
    }
    l->entry_index = index;
    for (uint32_t i = 0; i < n; i++) {
        applyOne(l, &cmds[i], &results[i]);
    }
}

void ledger_apply(struct ledger *l, uint64_t stamp_ms,
                  const struct slot_cmd *cmds, uint32_t n,
                  struct slot_result *results)
{
    ledger_apply_at(l, 0, stamp_ms, cmds, n, results);
}
