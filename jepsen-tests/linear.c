/* linear: Wing-Gong-Lowe linearizability search (contract in linear.h).
 *
 * The events (calls and returns) form a doubly linked list in time order;
 * linearizing an operation unlinks its two events ("lifts" it), and
 * backtracking links them back in reverse order, so the list always holds
 * exactly the events of the operations not yet linearized. The stack holds,
 * per linearized operation, the state before it and which of its
 * successor states is being explored; on backtracking the successors are
 * recomputed from that saved state (steps are cheap, states are not) and
 * the next one is tried.
 */
#include "linear.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct ev {
    uint64_t t;
    int op;
    bool call;
};

static int evCmp(const void *a, const void *b)
{
    const struct ev *x = a, *y = b;
    if (x->t != y->t) {
        return x->t < y->t ? -1 : 1;
    }
    /* Same instant: calls first, so the two overlap (the permissive
     * reading of a tie). */
    if (x->call != y->call) {
        return x->call ? -1 : 1;
    }
    return x->op - y->op;
}

/* ---- visited configurations ---------------------------------------------- */

struct cache {
    uint64_t *k; /* pairs */
    size_t cap;  /* slots (power of two) */
    size_t n;
};

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

static uint64_t hashBytes(uint64_t seed, const uint8_t *p, size_t len,
                          uint64_t h)
{
    h ^= seed;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = mix(h ^ w) + 0x9e3779b97f4a7c15ull;
    }
    uint64_t w = 0;
    memcpy(&w, p + i, len - i);
    return mix(h ^ w ^ (uint64_t)len);
}

/* Inserts the key; false if it was there. */
static bool cacheAdd(struct cache *c, uint64_t a, uint64_t b)
{
    if (a == 0 && b == 0) {
        b = 1;
    }
    size_t i = (size_t)a & (c->cap - 1);
    while (c->k[2 * i] != 0 || c->k[2 * i + 1] != 0) {
        if (c->k[2 * i] == a && c->k[2 * i + 1] == b) {
            return false;
        }
        i = (i + 1) & (c->cap - 1);
    }
    c->k[2 * i] = a;
    c->k[2 * i + 1] = b;
    c->n++;
    return true;
}

static bool cacheGrow(struct cache *c, size_t memory_left)
{
    size_t cap = c->cap ? 2 * c->cap : 1 << 16;
    if (cap * 16 > memory_left) {
        return false;
    }
    uint64_t *k = calloc(cap, 16);
    if (k == NULL) {
        return false;
    }
    struct cache nc = {k, cap, 0};
    for (size_t i = 0; i < c->cap; i++) {
        if (c->k[2 * i] != 0 || c->k[2 * i + 1] != 0) {
            cacheAdd(&nc, c->k[2 * i], c->k[2 * i + 1]);
        }
    }
    free(c->k);
    *c = nc;
    return true;
}

static size_t memLeft(const struct lin_limits *lim, size_t fixed,
                      const struct cache *c)
{
    size_t used = fixed + c->cap * 16;
    return used < lim->memory_max ? lim->memory_max - used : 0;
}

/* ---- search -------------------------------------------------------------- */

static double nowS(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct frame {
    int op;
    int next_succ; /* successor index being explored */
};

void lin_check(const struct lin_model *m, const struct lin_op *ops, int n,
               int max_succ, const struct lin_limits *lim,
               struct lin_result *res)
{
    memset(res, 0, sizeof *res);
    res->stuck_op = -1;
    size_t ss = m->state_size;
    int ne = 2 * n;
    struct ev *ev = malloc(((size_t)ne + 1) * sizeof *ev);
    int *next = malloc(((size_t)ne + 2) * sizeof *next);
    int *prev = malloc(((size_t)ne + 2) * sizeof *prev);
    int *call_at = malloc(((size_t)n + 1) * sizeof *call_at);
    int *ret_at = malloc(((size_t)n + 1) * sizeof *ret_at);
    size_t words = ((size_t)n + 63) / 64 + 1;
    uint64_t *bits = calloc(words, 8);
    struct frame *stack = malloc(((size_t)n + 1) * sizeof *stack);
    uint8_t *saved = malloc(((size_t)n + 1) * ss);
    uint8_t *state = malloc(ss);
    uint8_t *succ = malloc((size_t)max_succ * ss);
    struct cache cache = {NULL, 0, 0};
    size_t fixed = (size_t)ne * (sizeof *ev + 2 * sizeof(int)) +
                   (size_t)(n + 1) * (ss + 16) + (size_t)max_succ * ss;
    if (!ev || !next || !prev || !call_at || !ret_at || !bits || !stack ||
        !saved || !state || !succ || fixed > lim->memory_max ||
        !cacheGrow(&cache, lim->memory_max - fixed)) {
        res->verdict = LIN_UNKNOWN;
        snprintf(res->reason, sizeof res->reason,
                 "out of memory (%d operations)", n);
        goto out;
    }
    for (int i = 0; i < n; i++) {
        ev[2 * i] = (struct ev){ops[i].call, i, true};
        ev[2 * i + 1] = (struct ev){ops[i].ret, i, false};
    }
    qsort(ev, (size_t)ne, sizeof *ev, evCmp);
    int head = ne, tail = ne + 1;
    for (int e = 0; e < ne; e++) {
        next[e] = e + 1 < ne ? e + 1 : tail;
        prev[e] = e > 0 ? e - 1 : head;
        if (ev[e].call) {
            call_at[ev[e].op] = e;
        } else {
            ret_at[ev[e].op] = e;
        }
    }
    next[head] = ne > 0 ? 0 : tail;
    prev[tail] = ne > 0 ? ne - 1 : head;
    m->init(m->ctx, state);
    int depth = 0, best = -1;
    double t_start = nowS();
    uint64_t iter = 0;
    int cur = next[head];
    for (;;) {
        if ((++iter & 1023) == 0 && nowS() - t_start > lim->time_s) {
            res->verdict = LIN_UNKNOWN;
            snprintf(res->reason, sizeof res->reason,
                     "time limit (%.0f s) after %llu configurations",
                     lim->time_s, (unsigned long long)cache.n);
            break;
        }
        if (cur == tail ||
            (!ev[cur].call && ops[ev[cur].op].ret == UINT64_MAX)) {
            res->verdict = LIN_VALID; /* only optional (info) operations left */
            break;
        }
        if (ev[cur].call) {
            int op = ev[cur].op;
            int k = m->step(m->ctx, state, op, succ, max_succ);
            bits[op / 64] |= 1ull << (op % 64);
            int chosen = -1;
            for (int s = 0; s < k && chosen < 0; s++) {
                uint64_t a = hashBytes(0x243f6a8885a308d3ull,
                                       (const uint8_t *)bits, words * 8, 0);
                uint64_t b = hashBytes(0x13198a2e03707344ull,
                                       (const uint8_t *)bits, words * 8, 7);
                a = hashBytes(0xa4093822299f31d0ull, succ + (size_t)s * ss, ss,
                              a);
                b = hashBytes(0x082efa98ec4e6c89ull, succ + (size_t)s * ss, ss,
                              b);
                if (cache.n * 2 >= cache.cap &&
                    !cacheGrow(&cache, memLeft(lim, fixed, &cache))) {
                    res->verdict = LIN_UNKNOWN;
                    snprintf(res->reason, sizeof res->reason,
                             "memory limit (%zu MB) after %zu configurations",
                             lim->memory_max >> 20, cache.n);
                    goto out;
                }
                if (cacheAdd(&cache, a, b)) {
                    chosen = s;
                }
            }
            if (chosen < 0) {
                bits[op / 64] &= ~(1ull << (op % 64));
                cur = next[cur];
                continue;
            }
            memcpy(saved + (size_t)depth * ss, state, ss);
            stack[depth].op = op;
            stack[depth].next_succ = chosen + 1;
            depth++;
            memcpy(state, succ + (size_t)chosen * ss, ss);
            /* lift: unlink call, then return */
            int c = call_at[op], r = ret_at[op];
            next[prev[c]] = next[c];
            prev[next[c]] = prev[c];
            next[prev[r]] = next[r];
            prev[next[r]] = prev[r];
            cur = next[head];
            continue;
        }
        /* The return of an operation not linearized: backtrack. */
        if (depth > best) {
            best = depth;
            res->stuck_op = ev[cur].op;
            free(res->prefix);
            res->prefix = malloc(((size_t)depth + 1) * sizeof(int));
            for (int i = 0; i < depth && res->prefix; i++) {
                res->prefix[i] = stack[i].op;
            }
            res->n_prefix = depth;
            free(res->state);
            res->state = malloc(ss);
            if (res->state) {
                memcpy(res->state, state, ss);
            }
        }
        if (depth == 0) {
            res->verdict = LIN_INVALID;
            break;
        }
        struct frame *f = &stack[depth - 1];
        const uint8_t *before = saved + (size_t)(depth - 1) * ss;
        int k = m->step(m->ctx, before, f->op, succ, max_succ);
        bool resumed = false;
        for (int s = f->next_succ; s < k && !resumed; s++) {
            uint64_t a = hashBytes(0x243f6a8885a308d3ull, (const uint8_t *)bits,
                                   words * 8, 0);
            uint64_t b = hashBytes(0x13198a2e03707344ull, (const uint8_t *)bits,
                                   words * 8, 7);
            a = hashBytes(0xa4093822299f31d0ull, succ + (size_t)s * ss, ss, a);
            b = hashBytes(0x082efa98ec4e6c89ull, succ + (size_t)s * ss, ss, b);
            if (cache.n * 2 >= cache.cap &&
                !cacheGrow(&cache, memLeft(lim, fixed, &cache))) {
                res->verdict = LIN_UNKNOWN;
                snprintf(res->reason, sizeof res->reason,
                         "memory limit (%zu MB) after %zu configurations",
                         lim->memory_max >> 20, cache.n);
                goto out;
            }
            if (cacheAdd(&cache, a, b)) {
                f->next_succ = s + 1;
                memcpy(state, succ + (size_t)s * ss, ss);
                resumed = true;
            }
        }
        if (resumed) {
            cur = next[head];
            continue;
        }
        /* No other successor: unlift the operation (reverse order) and go
         * on with the calls after its own. */
        int op = f->op;
        int c = call_at[op], r = ret_at[op];
        next[prev[r]] = r;
        prev[next[r]] = r;
        next[prev[c]] = c;
        prev[next[c]] = c;
        bits[op / 64] &= ~(1ull << (op % 64));
        memcpy(state, before, ss);
        depth--;
        cur = next[c];
    }
out:
    res->configs = cache.n;
    free(ev);
    free(next);
    free(prev);
    free(call_at);
    free(ret_at);
    free(bits);
    free(stack);
    free(saved);
    free(state);
    free(succ);
    free(cache.k);
}

void lin_result_free(struct lin_result *res)
{
    free(res->prefix);
    free(res->state);
    res->prefix = NULL;
    res->state = NULL;
}
