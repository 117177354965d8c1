/* ledger: life cycle, memory accounting and the one allocation wrapper.
 * The rest of the ledger lives beside this file, one job each:
 *   htab.c      hash tables (incremental growth)
 *   intern.c    interned names: pools, patients, channels
 *   claims.c    claim records, payment references, expiry heap, retained FIFO
 *   sessions.c  exactly-once sessions, idempotency keys, bounded eviction
 *   pools.c     POOL_CREATE / POOL_UPDATE / POOL_CLOSE, visit numbers
 *   hospitals.c hospitals, rule sets (RULES_SET), schedule index, pool query
 *   schedule.c  SCHEDULE_IMPORT and its dry run
 *   flowback.c  flow-back of unsold shares (SWEEP)
 *   holds.c     HOLD / CONFIRM / RELEASE / CANCEL / EXPIRE, waitlists
 *   patients.c  accounts, quotas, cancel rules, violations, staff log
 *   cooling.c   cancelled slots cooling down before they are free
 *   visit.c     the visit day: POOL_STOP, MOVE, CHECKIN, no-show sweep
 *   feed.c      the event feed: every state change, numbered, windowed
 *   apply.c     one batch: ledger time, sessions, dispatch
 *   reads.c     reads (never change state)
 *   snapshot.c  snapshot, restore, state hash
 *   check.c     the invariant checker
 * See ledger.h for the contract and the claim lifecycle, ledgerInt.h for
 * the data layout. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <sys/mman.h>
#include <string.h>

#include "ledgerInt.h"

void ledger__pool_panic(const struct ledger *l, uint32_t pi, const char *what,
                        const char *file, int line)
{
    const struct pool *p = &l->pools[pi];
    fprintf(stderr,
            "%s:%d: ledger invariant broken in pool %.*s: %s "
            "(time %llu)\n",
            file, line, (int)p->id_len, p->id, what,
            (unsigned long long)l->time_ms);
    abort();
}

void *ledger__realloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (q == NULL && n > 0) {
        /* See ledger.h: a replica cannot refuse what the others applied. */
        fprintf(stderr, "ledger: out of memory (%zu bytes)\n", n);
        abort();
    }
    return q;
}

void *ledger__calloc(size_t n, size_t size)
{
    void *q = calloc(n, size);
    if (q == NULL && n > 0 && size > 0) {
        fprintf(stderr, "ledger: out of memory (%zu x %zu bytes)\n", n, size);
        abort();
    }
    return q;
}

void ledger__populate_range(void *base, size_t from, size_t to)
{
    uintptr_t page = 4096;
    uintptr_t lo = ((uintptr_t)base + from + page - 1) & ~(page - 1);
    uintptr_t hi = ((uintptr_t)base + to) & ~(page - 1);
    /* Large ranges in huge pages where the kernel can (ledgerInt.h). */
    if (hi > lo && hi - lo >= LEDGER_HUGE_RANGE_BYTES) {
        (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
    }
    if (hi > lo) {
        (void)madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE);
    }
}

/* ---- life cycle ---------------------------------------------------------- */

struct ledger *ledger_create(void)
{
    struct ledger *l = calloc(1, sizeof *l);
    if (l == NULL) {
        return NULL;
    }
    l->next_claim_id = 1;
    l->next_session_id = 1;
    l->config.hold_ttl_min_ms = LEDGER_DEFAULT_TTL_MIN_MS;
    l->config.hold_ttl_max_ms = LEDGER_DEFAULT_TTL_MAX_MS;
    l->config.session_max = LEDGER_DEFAULT_SESSION_MAX;
    l->config.session_idle_ms = LEDGER_DEFAULT_SESSION_IDLE_MS;
    l->config.retain_ms = LEDGER_DEFAULT_RETAIN_MS;
    l->config.retain_max = LEDGER_DEFAULT_RETAIN_MAX;
    l->config.v3 = true;
    l->config.account_patients_max = LEDGER_DEFAULT_ACCOUNT_PATIENTS;
    l->config.account_changes_max = LEDGER_DEFAULT_ACCOUNT_CHANGES;
    l->config.account_change_window_days = LEDGER_DEFAULT_ACCOUNT_WINDOW;
    l->config.account_change_patients_max = LEDGER_DEFAULT_CHANGE_PATIENTS;
    l->claims_free = NONE;
    l->cvisits_free = NONE;
    for (uint32_t k = 0; k < LEDGER_PAY_CLASSES; k++) {
        l->payslabs[k].free = NONE;
    }
    l->sessions_free = NONE;
    l->ret_head = l->ret_tail = NONE;
    l->lru_head = l->lru_tail = NONE;
    l->idems_free = NONE;
    l->idem_head = l->idem_tail = NONE;
    return l;
}

void ledger_destroy(struct ledger *l)
{
    if (l == NULL) {
        return;
    }
    for (uint32_t i = 0; i < l->sessions_len; i++) {
        free(l->sessions[i].ring);
    }
    free(l->sessions);
    for (uint32_t i = 0; i < l->n_pools; i++) {
        free(l->pools[i].freed);
        free(l->pools[i].wait);
        free(l->pools[i].place);
    }
    free(l->pools);
    for (uint32_t i = 0; i < l->n_hospitals; i++) {
        struct hospital *h = &l->hospitals[i];
        for (uint32_t d = 0; d < h->n_days; d++) {
            free(h->days[d].pools);
        }
        free(h->days);
        free(h->overrides);
        free(h->log);
    }
    free(l->hospitals);
    free(l->names);
    free(l->nlens);
    free(l->nkeys);
    free(l->flowheap);
    ledger__htab_free(&l->name_index);
    free(l->patients);
    free(l->pkeys);
    free(l->claims);
    free(l->cvisits);
    free(l->heap);
    for (uint32_t k = 0; k < LEDGER_PAY_CLASSES; k++) {
        free(l->payslabs[k].recs);
    }
    free(l->pexts);
    free(l->accounts);
    free(l->cools);
    free(l->staff);
    free(l->nsheap);
    free(l->events);
    free(l->evruns);
    free(l->evrefs);
    free(l->recons);
    ledger__htab_free(&l->account_index);
    ledger__htab_free(&l->offer_index);
    free(l->idems);
    ledger__htab_free(&l->idem_index);
    ledger__htab_free(&l->pool_index);
    ledger__htab_free(&l->patient_index);
    ledger__htab_free(&l->claim_index);
    ledger__htab_free(&l->pp_index);
    ledger__htab_free(&l->session_index);
    free(l);
}

uint64_t ledger_time_ms(const struct ledger *l)
{
    return l->time_ms;
}

uint64_t ledger_next_deadline_ms(const struct ledger *l)
{
    return l->heap_len == 0 ? UINT64_MAX : l->claims[l->heap[0]].deadline_ms;
}

size_t ledger_memory_bytes(const struct ledger *l)
{
    const struct htab *tabs[] = {
        &l->pool_index, &l->patient_index, &l->claim_index,
        &l->pp_index,   &l->session_index, &l->idem_index,
        &l->name_index, &l->account_index, &l->offer_index};
    size_t n = sizeof *l;
    for (size_t i = 0; i < sizeof tabs / sizeof tabs[0]; i++) {
        n += ((size_t)tabs[i]->cap + tabs[i]->old_cap + tabs[i]->next_cap) *
             sizeof(struct hslot);
    }
    n += (size_t)l->pools_cap * sizeof *l->pools;
    n += (size_t)l->patients_cap * sizeof *l->patients + l->pkeys_cap;
    n += (size_t)l->claims_cap * sizeof *l->claims;
    n += (size_t)l->cvisits_cap * sizeof *l->cvisits;
    n += (size_t)l->heap_cap * sizeof *l->heap;
    for (uint32_t k = 0; k < LEDGER_PAY_CLASSES; k++) {
        n += (size_t)l->payslabs[k].cap * LEDGER_PAY_REC_BYTES(k);
    }
    n += (size_t)l->idems_cap * sizeof *l->idems;
    n += (size_t)l->sessions_cap * sizeof *l->sessions;
    n += (size_t)l->n_sessions * SLOT_SESSION_WINDOW * sizeof(struct sres);
    for (uint32_t i = 0; i < l->n_pools; i++) {
        const struct pool *p = &l->pools[i];
        n += (size_t)p->freed_cap * sizeof *p->freed;
        n += p->place != NULL ? sizeof *p->place : 0;
        n += (size_t)p->wait_cap * sizeof *p->wait;
    }
    for (uint32_t i = 0; i < l->n_hospitals; i++) {
        const struct hospital *h = &l->hospitals[i];
        n += (size_t)h->days_cap * sizeof *h->days;
        for (uint32_t d = 0; d < h->n_days; d++) {
            n += (size_t)h->days[d].cap * sizeof(uint32_t);
        }
        n += (size_t)h->overrides_cap * sizeof *h->overrides;
        n += h->log != NULL ? LEDGER_RULES_LOG_MAX * sizeof *h->log : 0;
    }
    n += (size_t)l->hospitals_cap * sizeof *l->hospitals;
    n += (size_t)l->names_cap * sizeof *l->names + l->nlens_cap + l->nkeys_cap;
    n += (size_t)l->flowheap_cap * sizeof *l->flowheap;
    n += (size_t)l->nsheap_cap * sizeof *l->nsheap;
    n += (size_t)l->ev_cap * sizeof *l->events + l->evref_cap;
    n += (size_t)l->evrun_cap * sizeof *l->evruns;
    n += (size_t)l->recons_cap * sizeof *l->recons;
    /* The patient rules' records (patients.c, cooling.c). */
    n += (size_t)l->pexts_cap * sizeof *l->pexts;
    n += (size_t)l->accounts_cap * sizeof *l->accounts;
    n += (size_t)l->cools_cap * sizeof *l->cools;
    n += (size_t)l->staff_cap * sizeof *l->staff;
    return n;
}
