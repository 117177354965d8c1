/* refmodel: the naive reference model of the ledger (see refmodel.h).
 *
 * Everything here is written to be checked by reading it against the
 * "Exact rules" of node/ledger.h, one rule per function, in the order the
 * rules give. Data structures are the simplest that keep the property test
 * fast enough:
 *   - sessions: an array of pointers in least-recently-used order (index 0
 *     is the LRU end); a touch moves the session to the end;
 *   - claims: an array indexed by id - 1, never shrunk; a claim forgotten
 *     after retention is only flagged;
 *   - active claims (HELD, BOOKED): an unordered list of ids, so the pool
 *     counters can be recounted from scratch whenever they are needed;
 *   - retained claims: a FIFO of ids in resolution order.
 *
 * Interpretations of ledger.h (where it leaves a choice open):
 *   I1. SESSION_OPEN with session_max or more sessions forgets exactly one,
 *       the least recently used, even if more than one is over the limit
 *       (the per-command eviction forgets the rest over later commands).
 *   I2. Lazy expiry done while a command runs stays done even when that
 *       command then fails: a HOLD that expires the patient's own stale
 *       hold and then finds the pool SOLD_OUT leaves that hold EXPIRED.
 *       (The expiry is what a sweep would have done anyway.)
 *   I3. CANCEL of a HELD claim is UNKNOWN_BOOKING and does not expire it,
 *       even past its deadline: the rules only make HOLD (for the
 *       patient's own claim), CONFIRM and RELEASE expire lazily.
 *   I4. HOLD takes the channel's share when the pool has a share for that
 *       channel with a free slot, else the shared remainder when it has a
 *       free slot, else SOLD_OUT. A channel without a share uses the
 *       remainder. The claim stays in the bucket it was taken from for
 *       life, through POOL_UPDATEs (which is what CAPACITY_CONFLICT
 *       protects).
 *   I5. Reads do not expire anything: a HELD claim past its deadline still
 *       counts as held in pool counters and in ledger_info, but a claim
 *       read reports it EXPIRED (resolved_at_ms stays 0), and a patient
 *       read leaves it out (it is no longer an active claim).
 *   I6. A session's window is the range of seqs (max_seq - WINDOW,
 *       max_seq], not the last WINDOW requests in arrival order: a seq in
 *       that range that was applied, in whatever order, gets its stored
 *       result back.
 *   I7. A pool's shares are reported in the order of the last spec
 *       (create or update) that set them.
 *   I8. A command that fails (rule or session error) answers a = b = 0; the
 *       op table of slot_proto.h gives a and b for success only.
 *   I9. Patients and channels, once interned, stay interned (ledger_info
 *       counts them) even after every claim naming them is forgotten; the
 *       channel table is the only limit the model enforces (refmodel.h).
 */
#include "refmodel.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"

struct rm_done {
    uint64_t seq;
    uint64_t fingerprint;
    struct slot_result res;
};

struct rm_session {
    uint64_t id;
    uint64_t last_used_ms;
    uint64_t max_seq;
    uint32_t n_done; /* every entry has seq in (max_seq - WINDOW, max_seq] */
    struct rm_done done[SLOT_SESSION_WINDOW];
};

struct rm_share {
    char channel[SLOT_CHANNEL_MAX + 1];
    uint32_t slots;
};

struct rm_pool {
    char id[SLOT_POOL_ID_MAX + 1];
    uint32_t capacity;
    uint8_t kind;
    uint64_t fee_cents;
    uint64_t seg_start_ms;
    uint64_t seg_end_ms;
    uint64_t release_at_ms;
    uint32_t n_shares;
    struct rm_share shares[SLOT_POOL_SHARES_MAX];
    bool closed;
    uint32_t next_visit_no;
};

struct rm_claim {
    uint64_t id;
    uint8_t state; /* enum slot_claim_state */
    bool forgotten;
    uint32_t pool; /* index into pools */
    char patient[SLOT_PATIENT_KEY_MAX + 1];
    char channel[SLOT_CHANNEL_MAX + 1]; /* as requested by the HOLD */
    char bucket[SLOT_CHANNEL_MAX + 1];  /* share taken from; "" = remainder */
    uint64_t held_at_ms;
    uint64_t deadline_ms;
    uint64_t booked_at_ms;
    uint64_t resolved_at_ms;
    uint32_t visit_no;
    char payment_ref[SLOT_PAYMENT_REF_MAX + 1];
};

/* A remembered idempotency key; the list is never reordered, so the ones
 * before idem_head are the forgotten oldest. */
struct rm_idem {
    char channel[SLOT_CHANNEL_MAX + 1];
    char key[SLOT_IDEM_KEY_MAX + 1];
    uint64_t fingerprint;
    struct slot_result res;
};

struct refmodel {
    uint64_t now_ms;
    struct slot_config config;

    struct rm_session **sessions; /* LRU first */
    uint32_t n_sessions, cap_sessions;
    uint64_t last_session_id;

    struct rm_pool *pools; /* creation order */
    uint32_t n_pools, cap_pools;

    struct rm_claim *claims; /* claims[i].id == i + 1 */
    uint64_t n_claims, cap_claims;

    uint64_t *active; /* ids of HELD and BOOKED claims, any order */
    uint32_t n_active, cap_active;

    uint64_t *retained; /* ids of resolved claims, oldest resolution first */
    uint64_t retained_head, retained_end, cap_retained;

    char (*patients)[SLOT_PATIENT_KEY_MAX + 1];
    uint32_t n_patients, cap_patients;
    char (*channels)[SLOT_CHANNEL_MAX + 1];
    uint32_t n_channels, cap_channels;

    struct rm_idem *idems; /* oldest first */
    uint64_t idem_head, n_idems, cap_idems;
};

/* ---- small helpers ---------------------------------------------------- */

/* Makes room for one more element in a growable array. */
static void *grow(void *p, uint64_t n, uint64_t *cap, size_t elem)
{
    if (n < *cap) {
        return p;
    }
    *cap = *cap == 0 ? 16 : *cap * 2;
    p = realloc(p, (size_t)*cap * elem);
    if (p == NULL) {
        fprintf(stderr, "refmodel: out of memory\n");
        abort();
    }
    return p;
}

static void *grow32(void *p, uint32_t n, uint32_t *cap, size_t elem)
{
    uint64_t c = *cap;
    p = grow(p, n, &c, elem);
    *cap = (uint32_t)c;
    return p;
}

static bool str_eq(const char *z, struct slot_str s)
{
    return strlen(z) == s.len && memcmp(z, s.p, s.len) == 0;
}

static void str_copy(char *dst, size_t cap, struct slot_str s)
{
    assert(s.len < cap);
    (void)cap;
    memcpy(dst, s.p, s.len);
    dst[s.len] = '\0';
}

static void cstr_copy(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    assert(n < cap);
    (void)cap;
    memcpy(dst, src, n + 1);
}

/* ---- lookups ---------------------------------------------------------- */

static struct rm_pool *find_pool(struct refmodel *m, struct slot_str id)
{
    for (uint32_t i = 0; i < m->n_pools; i++) {
        if (str_eq(m->pools[i].id, id)) {
            return &m->pools[i];
        }
    }
    return NULL;
}

static const struct rm_pool *find_pool_c(const struct refmodel *m,
                                         struct slot_str id)
{
    return find_pool((struct refmodel *)m, id);
}

/* A claim that is still known (not forgotten after retention), or NULL. */
static struct rm_claim *find_claim(struct refmodel *m, uint64_t id)
{
    if (id == 0 || id > m->n_claims) {
        return NULL;
    }
    struct rm_claim *c = &m->claims[id - 1];
    return c->forgotten ? NULL : c;
}

static const struct rm_claim *find_claim_c(const struct refmodel *m,
                                           uint64_t id)
{
    return find_claim((struct refmodel *)m, id);
}

static struct rm_claim *active_claim(const struct refmodel *m, uint32_t i)
{
    return &m->claims[m->active[i] - 1];
}

static uint32_t pool_index(const struct refmodel *m, const struct rm_pool *p)
{
    return (uint32_t)(p - m->pools);
}

static const struct rm_share *find_share(const struct rm_pool *p,
                                         const char *channel)
{
    for (uint32_t i = 0; i < p->n_shares; i++) {
        if (strcmp(p->shares[i].channel, channel) == 0) {
            return &p->shares[i];
        }
    }
    return NULL;
}

static uint32_t shares_sum(const struct rm_pool *p)
{
    uint32_t sum = 0;
    for (uint32_t i = 0; i < p->n_shares; i++) {
        sum += p->shares[i].slots;
    }
    return sum;
}

/* Held and booked claims of one bucket of pool `pi` ("" = remainder), or of
 * the whole pool when bucket is NULL, counted from the claims themselves. */
static void count_bucket(const struct refmodel *m, uint32_t pi,
                         const char *bucket, uint32_t *held, uint32_t *booked)
{
    *held = 0;
    *booked = 0;
    for (uint32_t i = 0; i < m->n_active; i++) {
        const struct rm_claim *c = active_claim(m, i);
        if (c->pool != pi ||
            (bucket != NULL && strcmp(c->bucket, bucket) != 0)) {
            continue;
        }
        if (c->state == SLOT_CLAIM_HELD) {
            (*held)++;
        } else {
            assert(c->state == SLOT_CLAIM_BOOKED);
            (*booked)++;
        }
    }
}

static uint32_t bucket_used(const struct refmodel *m, uint32_t pi,
                            const char *bucket)
{
    uint32_t held, booked;
    count_bucket(m, pi, bucket, &held, &booked);
    return held + booked;
}

static void intern_patient(struct refmodel *m, struct slot_str s)
{
    for (uint32_t i = 0; i < m->n_patients; i++) {
        if (str_eq(m->patients[i], s)) {
            return;
        }
    }
    m->patients = grow32(m->patients, m->n_patients, &m->cap_patients,
                         sizeof *m->patients);
    str_copy(m->patients[m->n_patients++], SLOT_PATIENT_KEY_MAX + 1, s);
}

static bool channel_known(const struct refmodel *m, struct slot_str s)
{
    for (uint32_t i = 0; i < m->n_channels; i++) {
        if (str_eq(m->channels[i], s)) {
            return true;
        }
    }
    return false;
}

/* Would interning the spec's share channels overflow the channel table?
 * (The decoder guarantees they are distinct.) */
static bool spec_channels_overflow(const struct refmodel *m,
                                   const struct slot_pool_spec *spec)
{
    uint32_t fresh = 0;
    for (uint32_t i = 0; i < spec->n_shares; i++) {
        fresh += !channel_known(m, spec->shares[i].channel);
    }
    return m->n_channels + fresh > LEDGER_CHANNELS_MAX;
}

static void intern_channel(struct refmodel *m, struct slot_str s)
{
    if (channel_known(m, s)) {
        return;
    }
    assert(m->n_channels < LEDGER_CHANNELS_MAX);
    m->channels = grow32(m->channels, m->n_channels, &m->cap_channels,
                         sizeof *m->channels);
    str_copy(m->channels[m->n_channels++], SLOT_CHANNEL_MAX + 1, s);
}

/* ---- claim resolution ------------------------------------------------- */

/* HELD/BOOKED -> RELEASED/EXPIRED/CANCELLED: leaves the active list, frees
 * its slot (implicitly: counters are recounted), joins the retained FIFO. */
static void resolve(struct refmodel *m, struct rm_claim *c, uint8_t state)
{
    assert(c->state == SLOT_CLAIM_HELD || c->state == SLOT_CLAIM_BOOKED);
    c->state = state;
    c->resolved_at_ms = m->now_ms;
    for (uint32_t i = 0; i < m->n_active; i++) {
        if (m->active[i] == c->id) {
            m->active[i] = m->active[--m->n_active];
            break;
        }
    }
    m->retained = grow(m->retained, m->retained_end, &m->cap_retained,
                       sizeof *m->retained);
    m->retained[m->retained_end++] = c->id;
}

static bool held_due(const struct refmodel *m, const struct rm_claim *c)
{
    return c->state == SLOT_CLAIM_HELD && c->deadline_ms <= m->now_ms;
}

/* ---- per-command eviction --------------------------------------------- */

static void session_remove(struct refmodel *m, uint32_t i)
{
    free(m->sessions[i]);
    memmove(&m->sessions[i], &m->sessions[i + 1],
            (m->n_sessions - i - 1) * sizeof *m->sessions);
    m->n_sessions--;
}

static void evict_sessions(struct refmodel *m)
{
    for (int k = 0; k < SLOT_SESSION_EVICT_PER_CMD && m->n_sessions > 0; k++) {
        const struct rm_session *lru = m->sessions[0];
        bool idle = lru->last_used_ms + m->config.session_idle_ms <= m->now_ms;
        bool over = m->n_sessions > m->config.session_max;
        if (!idle && !over) {
            break;
        }
        session_remove(m, 0);
    }
}

static void evict_retained(struct refmodel *m)
{
    for (int k = 0;
         k < SLOT_RETAIN_EVICT_PER_CMD && m->retained_head < m->retained_end;
         k++) {
        struct rm_claim *c = &m->claims[m->retained[m->retained_head] - 1];
        uint64_t kept = m->retained_end - m->retained_head;
        bool old = c->resolved_at_ms + m->config.retain_ms <= m->now_ms;
        bool over = kept > m->config.retain_max;
        if (!old && !over) {
            break;
        }
        c->forgotten = true;
        m->retained_head++;
    }
}

static void evict_idems(struct refmodel *m)
{
    for (int k = 0; k < SLOT_RETAIN_EVICT_PER_CMD && m->idem_head < m->n_idems;
         k++) {
        const struct rm_idem *e = &m->idems[m->idem_head];
        bool old = e->res.time_ms + m->config.retain_ms <= m->now_ms;
        bool over = m->n_idems - m->idem_head > LEDGER_IDEM_MAX;
        if (!old && !over) {
            break;
        }
        m->idem_head++;
    }
}

static struct rm_idem *find_idem(struct refmodel *m, const struct slot_cmd *cmd)
{
    for (uint64_t i = m->idem_head; i < m->n_idems; i++) {
        if (str_eq(m->idems[i].channel, cmd->idem.channel) &&
            str_eq(m->idems[i].key, cmd->idem.key)) {
            return &m->idems[i];
        }
    }
    return NULL;
}

/* ---- sessions --------------------------------------------------------- */

static struct rm_session *find_session(struct refmodel *m, uint64_t id,
                                       uint32_t *index)
{
    for (uint32_t i = 0; i < m->n_sessions; i++) {
        if (m->sessions[i]->id == id) {
            *index = i;
            return m->sessions[i];
        }
    }
    return NULL;
}

/* Marks the session used now: most-recent end of the LRU order. */
static void session_touch(struct refmodel *m, uint32_t i)
{
    struct rm_session *s = m->sessions[i];
    memmove(&m->sessions[i], &m->sessions[i + 1],
            (m->n_sessions - i - 1) * sizeof *m->sessions);
    m->sessions[m->n_sessions - 1] = s;
    s->last_used_ms = m->now_ms;
}

static uint64_t session_open(struct refmodel *m)
{
    if (m->n_sessions >= m->config.session_max && m->n_sessions > 0) {
        session_remove(m, 0); /* I1: exactly one */
    }
    struct rm_session *s = calloc(1, sizeof *s);
    if (s == NULL) {
        abort();
    }
    s->id = ++m->last_session_id;
    s->last_used_ms = m->now_ms;
    m->sessions = grow32(m->sessions, m->n_sessions, &m->cap_sessions,
                         sizeof *m->sessions);
    m->sessions[m->n_sessions++] = s;
    return s->id;
}

static const struct rm_done *session_find_done(const struct rm_session *s,
                                               uint64_t seq)
{
    for (uint32_t i = 0; i < s->n_done; i++) {
        if (s->done[i].seq == seq) {
            return &s->done[i];
        }
    }
    return NULL;
}

/* Stores a result and drops what fell out of the window (I6). */
static void session_store(struct rm_session *s, uint64_t seq, uint64_t fp,
                          const struct slot_result *res)
{
    if (seq > s->max_seq) {
        s->max_seq = seq;
    }
    uint32_t k = 0;
    for (uint32_t i = 0; i < s->n_done; i++) {
        if (s->done[i].seq + SLOT_SESSION_WINDOW > s->max_seq) {
            s->done[k++] = s->done[i];
        }
    }
    s->n_done = k;
    assert(s->n_done < SLOT_SESSION_WINDOW);
    s->done[s->n_done].seq = seq;
    s->done[s->n_done].fingerprint = fp;
    s->done[s->n_done].res = *res;
    s->n_done++;
}

/* ---- the ops ---------------------------------------------------------- */

static void op_pool_set(struct refmodel *m, struct rm_pool *p,
                        const struct slot_pool_spec *spec)
{
    p->capacity = spec->capacity;
    p->kind = spec->kind;
    p->fee_cents = spec->fee_cents;
    p->seg_start_ms = spec->seg_start_ms;
    p->seg_end_ms = spec->seg_end_ms;
    p->release_at_ms = spec->release_at_ms;
    p->n_shares = spec->n_shares;
    for (uint32_t i = 0; i < spec->n_shares; i++) {
        str_copy(p->shares[i].channel, sizeof p->shares[i].channel,
                 spec->shares[i].channel);
        p->shares[i].slots = spec->shares[i].slots;
        intern_channel(m, spec->shares[i].channel);
    }
}

static int op_pool_create(struct refmodel *m, const struct slot_pool_spec *spec)
{
    if (find_pool(m, spec->pool) != NULL) {
        return SLOT_POOL_EXISTS;
    }
    if (spec_channels_overflow(m, spec)) {
        return SLOT_LIMIT_REACHED;
    }
    m->pools = grow32(m->pools, m->n_pools, &m->cap_pools, sizeof *m->pools);
    struct rm_pool *p = &m->pools[m->n_pools++];
    memset(p, 0, sizeof *p);
    str_copy(p->id, sizeof p->id, spec->pool);
    p->next_visit_no = 1;
    op_pool_set(m, p, spec);
    return SLOT_OK;
}

static bool spec_has_channel(const struct slot_pool_spec *spec,
                             const char *channel)
{
    for (uint32_t i = 0; i < spec->n_shares; i++) {
        if (str_eq(channel, spec->shares[i].channel)) {
            return true;
        }
    }
    return false;
}

static int op_pool_update(struct refmodel *m, const struct slot_pool_spec *spec)
{
    struct rm_pool *p = find_pool(m, spec->pool);
    if (p == NULL) {
        return SLOT_UNKNOWN_POOL;
    }
    if (p->closed) {
        return SLOT_POOL_CLOSED;
    }
    uint32_t pi = pool_index(m, p);
    uint32_t sum = 0;
    for (uint32_t i = 0; i < spec->n_shares; i++) {
        char ch[SLOT_CHANNEL_MAX + 1];
        str_copy(ch, sizeof ch, spec->shares[i].channel);
        /* A channel without a share today has no claims in a share. */
        if (spec->shares[i].slots < bucket_used(m, pi, ch)) {
            return SLOT_CAPACITY_CONFLICT;
        }
        sum += spec->shares[i].slots;
    }
    for (uint32_t i = 0; i < p->n_shares; i++) {
        if (!spec_has_channel(spec, p->shares[i].channel) &&
            bucket_used(m, pi, p->shares[i].channel) > 0) {
            return SLOT_CAPACITY_CONFLICT;
        }
    }
    assert(sum <= spec->capacity); /* the decoder checked */
    if (spec->capacity - sum < bucket_used(m, pi, "")) {
        return SLOT_CAPACITY_CONFLICT;
    }
    if (spec_channels_overflow(m, spec)) {
        return SLOT_LIMIT_REACHED;
    }
    op_pool_set(m, p, spec);
    return SLOT_OK;
}

static int op_pool_close(struct refmodel *m, struct slot_str pool)
{
    struct rm_pool *p = find_pool(m, pool);
    if (p == NULL) {
        return SLOT_UNKNOWN_POOL;
    }
    if (p->closed) {
        return SLOT_POOL_CLOSED;
    }
    p->closed = true;
    return SLOT_OK;
}

static int op_hold(struct refmodel *m, const struct slot_cmd *cmd,
                   struct slot_result *res)
{
    struct rm_pool *p = find_pool(m, cmd->u.hold.pool);
    if (p == NULL) {
        return SLOT_UNKNOWN_POOL;
    }
    if (p->closed) {
        return SLOT_POOL_CLOSED;
    }
    if (m->now_ms < p->release_at_ms) {
        return SLOT_NOT_RELEASED;
    }
    uint32_t ttl = cmd->u.hold.ttl_ms;
    if (ttl < m->config.hold_ttl_min_ms || ttl > m->config.hold_ttl_max_ms) {
        return SLOT_TTL_OUT_OF_RANGE;
    }
    uint32_t pi = pool_index(m, p);
    for (uint32_t i = 0; i < m->n_active; i++) {
        struct rm_claim *c = active_claim(m, i);
        if (c->pool != pi || !str_eq(c->patient, cmd->u.hold.patient)) {
            continue;
        }
        if (held_due(m, c)) {
            resolve(m, c, SLOT_CLAIM_EXPIRED); /* I2: stays expired */
            break;
        }
        return SLOT_PATIENT_HAS_CLAIM;
    }
    char ch[SLOT_CHANNEL_MAX + 1];
    str_copy(ch, sizeof ch, cmd->u.hold.channel);
    const struct rm_share *share = find_share(p, ch);
    const char *bucket;
    if (share != NULL && bucket_used(m, pi, ch) < share->slots) {
        bucket = ch;
    } else if (bucket_used(m, pi, "") < p->capacity - shares_sum(p)) {
        bucket = "";
    } else {
        return SLOT_SOLD_OUT;
    }
    /* The only table limit the test can reach: the other tables hold
     * millions (LEDGER_*_MAX). */
    if (!channel_known(m, cmd->u.hold.channel) &&
        m->n_channels >= LEDGER_CHANNELS_MAX) {
        return SLOT_LIMIT_REACHED;
    }

    m->claims = grow(m->claims, m->n_claims, &m->cap_claims, sizeof *m->claims);
    struct rm_claim *c = &m->claims[m->n_claims++];
    memset(c, 0, sizeof *c);
    c->id = m->n_claims;
    c->state = SLOT_CLAIM_HELD;
    c->pool = pi;
    str_copy(c->patient, sizeof c->patient, cmd->u.hold.patient);
    cstr_copy(c->channel, sizeof c->channel, ch);
    cstr_copy(c->bucket, sizeof c->bucket, bucket);
    c->held_at_ms = m->now_ms;
    c->deadline_ms = m->now_ms + ttl;
    m->active =
        grow32(m->active, m->n_active, &m->cap_active, sizeof *m->active);
    m->active[m->n_active++] = c->id;
    intern_patient(m, cmd->u.hold.patient);
    intern_channel(m, cmd->u.hold.channel);
    res->a = c->id;
    res->b = c->deadline_ms;
    return SLOT_OK;
}

/* The part CONFIRM and RELEASE share: the claim if it is HELD and not due,
 * else NULL and the error in *code. */
static struct rm_claim *resolvable_hold(struct refmodel *m, uint64_t id,
                                        int *code)
{
    struct rm_claim *c = find_claim(m, id);
    if (c == NULL) {
        *code = SLOT_UNKNOWN_HOLD;
        return NULL;
    }
    if (held_due(m, c)) {
        resolve(m, c, SLOT_CLAIM_EXPIRED);
        *code = SLOT_HOLD_EXPIRED;
        return NULL;
    }
    switch (c->state) {
        case SLOT_CLAIM_HELD:
            *code = SLOT_OK;
            return c;
        case SLOT_CLAIM_EXPIRED:
            *code = SLOT_HOLD_EXPIRED;
            return NULL;
        case SLOT_CLAIM_BOOKED:
        case SLOT_CLAIM_CANCELLED:
            *code = SLOT_ALREADY_CONFIRMED;
            return NULL;
        case SLOT_CLAIM_RELEASED:
            *code = SLOT_ALREADY_RELEASED;
            return NULL;
    }
    abort();
}

static int op_confirm(struct refmodel *m, const struct slot_cmd *cmd,
                      struct slot_result *res)
{
    int code;
    struct rm_claim *c = resolvable_hold(m, cmd->u.confirm.hold, &code);
    if (c == NULL) {
        return code;
    }
    c->state = SLOT_CLAIM_BOOKED;
    c->booked_at_ms = m->now_ms;
    c->visit_no = m->pools[c->pool].next_visit_no++;
    str_copy(c->payment_ref, sizeof c->payment_ref, cmd->u.confirm.payment_ref);
    res->a = c->id;
    res->b = c->visit_no;
    return SLOT_OK;
}

static int op_release(struct refmodel *m, const struct slot_cmd *cmd)
{
    int code;
    struct rm_claim *c = resolvable_hold(m, cmd->u.release.hold, &code);
    if (c == NULL) {
        return code;
    }
    resolve(m, c, SLOT_CLAIM_RELEASED);
    return SLOT_OK;
}

static int op_cancel(struct refmodel *m, const struct slot_cmd *cmd)
{
    struct rm_claim *c = find_claim(m, cmd->u.cancel.booking);
    /* I3: a HELD claim is simply not a booking, due or not. */
    if (c == NULL ||
        (c->state != SLOT_CLAIM_BOOKED && c->state != SLOT_CLAIM_CANCELLED)) {
        return SLOT_UNKNOWN_BOOKING;
    }
    if (c->state == SLOT_CLAIM_CANCELLED) {
        return SLOT_ALREADY_CANCELLED;
    }
    resolve(m, c, SLOT_CLAIM_CANCELLED);
    return SLOT_OK;
}

/* The due HELD claim first in (deadline, id) order, or NULL. */
static struct rm_claim *first_due(struct refmodel *m)
{
    struct rm_claim *best = NULL;
    for (uint32_t i = 0; i < m->n_active; i++) {
        struct rm_claim *c = active_claim(m, i);
        if (!held_due(m, c)) {
            continue;
        }
        if (best == NULL || c->deadline_ms < best->deadline_ms ||
            (c->deadline_ms == best->deadline_ms && c->id < best->id)) {
            best = c;
        }
    }
    return best;
}

static void op_expire(struct refmodel *m, uint32_t max, struct slot_result *res)
{
    uint64_t expired = 0;
    struct rm_claim *c;
    while (expired < max && (c = first_due(m)) != NULL) {
        resolve(m, c, SLOT_CLAIM_EXPIRED);
        expired++;
    }
    uint64_t due = 0;
    for (uint32_t i = 0; i < m->n_active; i++) {
        if (held_due(m, active_claim(m, i))) {
            due++;
        }
    }
    res->a = expired;
    res->b = due < SLOT_EXPIRE_DUE_COUNT_MAX ? due : SLOT_EXPIRE_DUE_COUNT_MAX;
}

/* Runs a command that passed the session checks. */
static void run(struct refmodel *m, const struct slot_cmd *cmd,
                struct slot_result *res)
{
    int code = SLOT_OK;
    switch (cmd->op) {
        case SLOT_OP_CONFIG:
            m->config = cmd->u.config;
            break;
        case SLOT_OP_POOL_CREATE:
            code = op_pool_create(m, &cmd->u.pool);
            break;
        case SLOT_OP_POOL_UPDATE:
            code = op_pool_update(m, &cmd->u.pool);
            break;
        case SLOT_OP_POOL_CLOSE:
            code = op_pool_close(m, cmd->u.close.pool);
            break;
        case SLOT_OP_HOLD:
            code = op_hold(m, cmd, res);
            break;
        case SLOT_OP_CONFIRM:
            code = op_confirm(m, cmd, res);
            break;
        case SLOT_OP_RELEASE:
            code = op_release(m, cmd);
            break;
        case SLOT_OP_CANCEL:
            code = op_cancel(m, cmd);
            break;
        default:
            fprintf(stderr, "refmodel: op %d cannot run here\n", cmd->op);
            abort();
    }
    if (code != SLOT_OK) {
        res->a = 0; /* errors carry no values */
        res->b = 0;
    }
    res->code = (uint16_t)code;
}

static void apply_one(struct refmodel *m, const struct slot_cmd *cmd,
                      struct slot_result *res)
{
    evict_sessions(m);
    evict_retained(m);
    evict_idems(m);
    memset(res, 0, sizeof *res);
    res->code = SLOT_OK;
    res->time_ms = m->now_ms;

    if (cmd->op == SLOT_OP_SESSION_OPEN) {
        res->a = session_open(m);
        return;
    }
    if (cmd->op == SLOT_OP_EXPIRE) {
        op_expire(m, cmd->u.expire.max, res);
        return;
    }
    uint32_t si;
    struct rm_session *s = find_session(m, cmd->session, &si);
    if (s == NULL) {
        res->code = SLOT_SESSION_UNKNOWN;
        return;
    }
    session_touch(m, si);
    if (cmd->seq + SLOT_SESSION_WINDOW <= s->max_seq) {
        res->code = SLOT_REQUEST_TOO_OLD;
        return;
    }
    const struct rm_done *d = session_find_done(s, cmd->seq);
    if (d != NULL) {
        if (d->fingerprint == cmd->fingerprint) {
            *res = d->res;
        } else {
            res->code = SLOT_REQUEST_MISMATCH;
        }
        return;
    }
    if (cmd->idem.key.len > 0) {
        const struct rm_idem *e = find_idem(m, cmd);
        if (e != NULL) {
            if (e->fingerprint == cmd->idem.fingerprint) {
                *res = e->res;
            } else {
                res->code = SLOT_REQUEST_MISMATCH;
            }
        } else {
            run(m, cmd, res);
            m->idems =
                grow(m->idems, m->n_idems, &m->cap_idems, sizeof *m->idems);
            struct rm_idem *n = &m->idems[m->n_idems++];
            memset(n, 0, sizeof *n);
            str_copy(n->channel, sizeof n->channel, cmd->idem.channel);
            str_copy(n->key, sizeof n->key, cmd->idem.key);
            n->fingerprint = cmd->idem.fingerprint;
            n->res = *res;
        }
    } else {
        run(m, cmd, res);
    }
    session_store(s, cmd->seq, cmd->fingerprint, res);
}

/* ---- public ----------------------------------------------------------- */

struct refmodel *refmodel_create(void)
{
    struct refmodel *m = calloc(1, sizeof *m);
    if (m == NULL) {
        abort();
    }
    m->config.hold_ttl_min_ms = LEDGER_DEFAULT_TTL_MIN_MS;
    m->config.hold_ttl_max_ms = LEDGER_DEFAULT_TTL_MAX_MS;
    m->config.session_max = LEDGER_DEFAULT_SESSION_MAX;
    m->config.session_idle_ms = LEDGER_DEFAULT_SESSION_IDLE_MS;
    m->config.retain_ms = LEDGER_DEFAULT_RETAIN_MS;
    m->config.retain_max = LEDGER_DEFAULT_RETAIN_MAX;
    return m;
}

void refmodel_destroy(struct refmodel *m)
{
    if (m == NULL) {
        return;
    }
    for (uint32_t i = 0; i < m->n_sessions; i++) {
        free(m->sessions[i]);
    }
    free(m->sessions);
    free(m->pools);
    free(m->claims);
    free(m->active);
    free(m->retained);
    free(m->patients);
    free(m->channels);
    free(m->idems);
    free(m);
}

void refmodel_apply(struct refmodel *m, uint64_t stamp_ms,
                    const struct slot_cmd *cmds, uint32_t n,
                    struct slot_result *results)
{
    if (stamp_ms > m->now_ms) {
        m->now_ms = stamp_ms;
    }
    for (uint32_t i = 0; i < n; i++) {
        apply_one(m, &cmds[i], &results[i]);
    }
}

uint64_t refmodel_time_ms(const struct refmodel *m)
{
    return m->now_ms;
}

uint64_t refmodel_next_deadline_ms(const struct refmodel *m)
{
    uint64_t next = UINT64_MAX;
    for (uint32_t i = 0; i < m->n_active; i++) {
        const struct rm_claim *c = active_claim(m, i);
        if (c->state == SLOT_CLAIM_HELD && c->deadline_ms < next) {
            next = c->deadline_ms;
        }
    }
    return next;
}

static void fill_bucket(const struct refmodel *m, uint32_t pi,
                        const char *bucket, uint32_t capacity,
                        struct slot_bucket *out)
{
    cstr_copy(out->channel, sizeof out->channel, bucket);
    count_bucket(m, pi, bucket, &out->held, &out->booked);
    assert(out->held + out->booked <= capacity);
    out->capacity = capacity;
    out->free = capacity - out->held - out->booked;
}

static void fill_pool(const struct refmodel *m, const struct rm_pool *p,
                      struct slot_pool_status *out)
{
    uint32_t pi = pool_index(m, p);
    memset(out, 0, sizeof *out);
    cstr_copy(out->pool, sizeof out->pool, p->id);
    out->kind = p->kind;
    if (p->closed) {
        out->state = SLOT_PSTATE_CLOSED;
    } else if (m->now_ms < p->release_at_ms) {
        out->state = SLOT_PSTATE_SCHEDULED;
    } else {
        out->state = SLOT_PSTATE_OPEN;
    }
    out->capacity = p->capacity;
    count_bucket(m, pi, NULL, &out->held, &out->booked);
    assert(out->held + out->booked <= p->capacity);
    out->free = p->capacity - out->held - out->booked;
    out->fee_cents = p->fee_cents;
    out->seg_start_ms = p->seg_start_ms;
    out->seg_end_ms = p->seg_end_ms;
    out->release_at_ms = p->release_at_ms;
    out->next_visit_no = p->next_visit_no;
    out->n_shares = p->n_shares;
    for (uint32_t i = 0; i < p->n_shares; i++) {
        fill_bucket(m, pi, p->shares[i].channel, p->shares[i].slots,
                    &out->shares[i]);
    }
    fill_bucket(m, pi, "", p->capacity - shares_sum(p), &out->remainder);
}

int refmodel_read_pool(const struct refmodel *m, struct slot_str pool,
                       struct slot_pool_status *out)
{
    const struct rm_pool *p = find_pool_c(m, pool);
    if (p == NULL) {
        return SLOT_UNKNOWN_POOL;
    }
    fill_pool(m, p, out);
    return SLOT_OK;
}

static void fill_claim(const struct refmodel *m, const struct rm_claim *c,
                       struct slot_claim *out)
{
    memset(out, 0, sizeof *out);
    out->id = c->id;
    out->state = held_due(m, c) ? SLOT_CLAIM_EXPIRED : c->state; /* I5 */
    cstr_copy(out->pool, sizeof out->pool, m->pools[c->pool].id);
    cstr_copy(out->patient, sizeof out->patient, c->patient);
    cstr_copy(out->channel, sizeof out->channel, c->channel);
    out->held_at_ms = c->held_at_ms;
    out->deadline_ms = c->deadline_ms;
    out->booked_at_ms = c->booked_at_ms;
    out->resolved_at_ms = c->resolved_at_ms;
    out->visit_no = c->visit_no;
    cstr_copy(out->payment_ref, sizeof out->payment_ref, c->payment_ref);
}

int refmodel_read_claim(const struct refmodel *m, uint64_t id, bool booking,
                        struct slot_claim *out)
{
    const struct rm_claim *c = find_claim_c(m, id);
    if (c == NULL) {
        return booking ? SLOT_UNKNOWN_BOOKING : SLOT_UNKNOWN_HOLD;
    }
    if (booking && c->state != SLOT_CLAIM_BOOKED &&
        c->state != SLOT_CLAIM_CANCELLED) {
        return SLOT_UNKNOWN_BOOKING;
    }
    fill_claim(m, c, out);
    return SLOT_OK;
}

int refmodel_read_patient(const struct refmodel *m, struct slot_str pool,
                          struct slot_str patient, struct slot_claim *out,
                          uint32_t cap, uint32_t *n)
{
    *n = 0;
    const struct rm_pool *p = find_pool_c(m, pool);
    if (p == NULL) {
        return SLOT_UNKNOWN_POOL;
    }
    uint32_t pi = pool_index(m, p);
    for (uint32_t i = 0; i < m->n_active && *n < cap; i++) {
        const struct rm_claim *c = active_claim(m, i);
        if (c->pool == pi && str_eq(c->patient, patient) && !held_due(m, c)) {
            fill_claim(m, c, &out[(*n)++]);
        }
    }
    return SLOT_OK;
}

int refmodel_read_pools(const struct refmodel *m, struct slot_str after,
                        uint32_t limit, struct slot_pool_status *out,
                        uint32_t *n)
{
    *n = 0;
    uint32_t start = 0;
    if (after.len > 0) {
        const struct rm_pool *p = find_pool_c(m, after);
        if (p == NULL) {
            return SLOT_UNKNOWN_POOL;
        }
        start = pool_index(m, p) + 1;
    }
    for (uint32_t i = start; i < m->n_pools && *n < limit; i++) {
        fill_pool(m, &m->pools[i], &out[(*n)++]);
    }
    return SLOT_OK;
}

void refmodel_info(const struct refmodel *m, struct slot_ledger_info *out)
{
    memset(out, 0, sizeof *out);
    out->time_ms = m->now_ms;
    out->pools = m->n_pools;
    out->patients = m->n_patients;
    out->channels = m->n_channels;
    out->sessions = m->n_sessions;
    for (uint32_t i = 0; i < m->n_active; i++) {
        if (active_claim(m, i)->state == SLOT_CLAIM_HELD) {
            out->holds_active++;
        } else {
            out->bookings_active++;
        }
    }
    out->retained = (uint32_t)(m->retained_end - m->retained_head);
    out->config = m->config;
}

bool refmodel_session_alive(const struct refmodel *m, uint64_t id)
{
    uint32_t i;
    return find_session((struct refmodel *)m, id, &i) != NULL;
}

uint32_t refmodel_sessions(const struct refmodel *m, uint64_t *ids,
                           uint32_t cap)
{
    for (uint32_t i = 0; i < m->n_sessions && i < cap; i++) {
        ids[i] = m->sessions[m->n_sessions - 1 - i]->id;
    }
    return m->n_sessions;
}

uint32_t refmodel_pool_count(const struct refmodel *m)
{
    return m->n_pools;
}

uint64_t refmodel_last_session_id(const struct refmodel *m)
{
    return m->last_session_id;
}

uint64_t refmodel_last_claim_id(const struct refmodel *m)
{
    return m->n_claims;
}

struct slot_config refmodel_config(const struct refmodel *m)
{
    return m->config;
}
