/* history: JSON lines to operations (contract in history.h). */
#include "history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slot_err.h"

static const char *const f_names[HF_COUNT] = {
    "create",           "hold",           "confirm",
    "release",          "cancel",         "read_pool",
    "read_patient",     "read_hold",      "status",
    "config",           "rules",          "read_patient_info",
    "waitlist_join",    "waitlist_leave", "read_waitlist",
    "pool_stop",        "move",           "checkin",
    "read_pool_claims", "read_events",    "read_recon",
    "nemesis",          "other"};

static const char *const claim_names[] = {
    "none", "held", "booked", "released", "expired", "cancelled", "moved"};

const char *history_f_name(int f)
{
    return f >= 0 && f < HF_COUNT ? f_names[f] : "?";
}

const char *history_claim_name(int state)
{
    return state >= 0 && state <= HC_MOVED ? claim_names[state] : "?";
}

static int fOf(const char *s)
{
    for (int f = 0; f < HF_COUNT; f++) {
        if (strcmp(s, f_names[f]) == 0) {
            return f;
        }
    }
    return HF_OTHER;
}

static int claimOf(const char *s)
{
    for (int i = 1; i <= HC_MOVED; i++) {
        if (strcmp(s, claim_names[i]) == 0) {
            return i;
        }
    }
    return HC_NONE;
}

static uint64_t u64(json_t *o, const char *key, uint64_t dflt)
{
    json_t *v = json_object_get(o, key);
    if (json_is_integer(v)) {
        return (uint64_t)json_integer_value(v);
    }
    if (json_is_real(v)) {
        return (uint64_t)json_real_value(v);
    }
    return dflt;
}

static void str(json_t *o, const char *key, char *out, size_t len)
{
    json_t *v = json_object_get(o, key);
    out[0] = '\0';
    if (json_is_string(v)) {
        snprintf(out, len, "%s", json_string_value(v));
    }
}

static bool flag(json_t *o, const char *key)
{
    return json_is_true(json_object_get(o, key));
}

static int typeOf(const char *s)
{
    if (strcmp(s, "invoke") == 0) {
        return H_INVOKE;
    }
    if (strcmp(s, "ok") == 0) {
        return H_OK;
    }
    if (strcmp(s, "fail") == 0) {
        return H_FAIL;
    }
    if (strcmp(s, "info") == 0) {
        return H_INFO;
    }
    return -1;
}

static int64_t i64(json_t *o, const char *key, int64_t dflt)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

/* A JSON array of names into out[0..max): the count. */
static int names(json_t *a, char (*out)[H_NAME_MAX], int max)
{
    int n = 0;
    for (size_t i = 0; json_is_array(a) && i < json_array_size(a) && n < max;
         i++) {
        json_t *e = json_array_get(a, i);
        if (json_is_string(e)) {
            snprintf(out[n++], H_NAME_MAX, "%s", json_string_value(e));
        }
    }
    return n;
}

static struct h_sched *schedNew(struct h_op *op)
{
    if (op->sched == NULL) {
        op->sched = calloc(1, sizeof *op->sched);
        if (op->sched == NULL) {
            abort();
        }
    }
    return op->sched;
}

/* create: "shares": [[name, slots], ...], "kind", and "place": {hospital,
 * dept, day, eligible, rem_allow}. */
static void createFrom(struct h_op *op, json_t *v)
{
    json_t *sh = json_object_get(v, "shares");
    json_t *pl = json_object_get(v, "place");
    if (!json_is_array(sh) && !json_is_object(pl)) {
        return;
    }
    struct h_sched *s = schedNew(op);
    s->kind = (int)i64(v, "kind", 0);
    for (size_t i = 0; json_is_array(sh) && i < json_array_size(sh) &&
                       s->n_shares < H_LIST_MAX;
         i++) {
        json_t *e = json_array_get(sh, i);
        json_t *name = json_array_get(e, 0);
        if (json_is_string(name)) {
            snprintf(s->share[s->n_shares], H_NAME_MAX, "%s",
                     json_string_value(name));
            s->share_slots[s->n_shares++] =
                (uint32_t)json_integer_value(json_array_get(e, 1));
        }
    }
    json_t *seg = json_object_get(v, "seg");
    if (json_is_array(seg)) {
        s->seg_start = (uint64_t)json_integer_value(json_array_get(seg, 0));
        s->seg_end = (uint64_t)json_integer_value(json_array_get(seg, 1));
    }
    if (json_is_object(pl)) {
        s->placed = true;
        str(pl, "hospital", s->hospital, sizeof s->hospital);
        str(pl, "dept", s->dept, sizeof s->dept);
        s->day = (uint32_t)u64(pl, "day", 0);
        s->n_eligible =
            names(json_object_get(pl, "eligible"), s->eligible, H_LIST_MAX);
        s->n_rem_allow =
            names(json_object_get(pl, "rem_allow"), s->rem_allow, H_LIST_MAX);
    }
}

/* rules: hospital, offset, flow_minute, flow_days, flow_to, "groups":
 * [[name, [channel, ...]], ...], "elig": [[dept, kind, [name, ...]], ...]. */
static void rulesFrom(struct h_op *op, json_t *v)
{
    struct h_sched *s = schedNew(op);
    str(v, "hospital", s->hospital, sizeof s->hospital);
    s->offset_min = (int32_t)i64(v, "offset", 0);
    s->flow_minute = (int32_t)i64(v, "flow_minute", -1);
    s->flow_days = (uint32_t)u64(v, "flow_days", 0);
    str(v, "flow_to", s->flow_to, sizeof s->flow_to);
    json_t *g = json_object_get(v, "groups");
    for (size_t i = 0;
         json_is_array(g) && i < json_array_size(g) && s->n_groups < H_LIST_MAX;
         i++) {
        json_t *e = json_array_get(g, i);
        if (!json_is_string(json_array_get(e, 0))) {
            continue;
        }
        int k = s->n_groups++;
        snprintf(s->group[k], H_NAME_MAX, "%s",
                 json_string_value(json_array_get(e, 0)));
        s->group_n[k] = names(json_array_get(e, 1), s->group_ch[k], 16);
    }
    json_t *el = json_object_get(v, "elig");
    for (size_t i = 0;
         json_is_array(el) && i < json_array_size(el) && s->n_elig < 16; i++) {
        json_t *e = json_array_get(el, i);
        struct h_elig *r = &s->elig[s->n_elig++];
        json_t *d = json_array_get(e, 0);
        snprintf(r->dept, sizeof r->dept, "%s",
                 json_is_string(d) ? json_string_value(d) : "");
        json_t *k = json_array_get(e, 1);
        r->kind = json_is_integer(k) ? (int)json_integer_value(k) : -1;
        r->n = names(json_array_get(e, 2), r->names, H_LIST_MAX);
    }
    json_t *vr = json_object_get(v, "visit");
    if (json_is_array(vr)) {
        s->has_visit = true;
        s->checkin_before_ms =
            (uint32_t)json_integer_value(json_array_get(vr, 0));
        s->checkin_late_ms =
            (uint32_t)json_integer_value(json_array_get(vr, 1));
        s->noshow_sweep = json_integer_value(json_array_get(vr, 2)) != 0;
    }
    json_t *q = json_object_get(v, "quotas");
    json_t *cd = json_object_get(v, "cooldown");
    if (json_is_array(q) || json_is_array(cd)) {
        s->has_patient = true;
        for (size_t i = 0; i < 5 && json_is_array(q); i++) {
            s->quota[i] = (uint32_t)json_integer_value(json_array_get(q, i));
        }
        s->cool_min_ms = (uint32_t)json_integer_value(json_array_get(cd, 0));
        s->cool_max_ms = (uint32_t)json_integer_value(json_array_get(cd, 1));
    }
}

static void inputs(struct h_op *op, json_t *v)
{
    str(v, "pool", op->pool, sizeof op->pool);
    str(v, "patient", op->patient, sizeof op->patient);
    op->ttl = (uint32_t)u64(v, "ttl", 0);
    op->id = u64(v, "id", 0);
    op->capacity = (uint32_t)u64(v, "capacity", 0);
    str(v, "channel", op->channel, sizeof op->channel);
    str(v, "account", op->account, sizeof op->account);
    op->stale = flag(v, "stale");
    op->final = flag(v, "final");
    op->pinned = json_is_string(json_object_get(v, "on"));
    str(v, "target", op->target, sizeof op->target);
    if (op->f == HF_CREATE) {
        createFrom(op, v);
    } else if (op->f == HF_RULES) {
        rulesFrom(op, v);
    }
}

/* [cap, free, held, booked] after a name at position `at` (or none). */
static void bucketFrom(struct h_bucket *b, json_t *a, size_t at)
{
    b->cap = (uint32_t)json_integer_value(json_array_get(a, at));
    b->free = (uint32_t)json_integer_value(json_array_get(a, at + 1));
    b->held = (uint32_t)json_integer_value(json_array_get(a, at + 2));
    b->booked = (uint32_t)json_integer_value(json_array_get(a, at + 3));
    b->cooling = (uint32_t)json_integer_value(json_array_get(a, at + 4));
}

static void claimFrom(struct h_claimv *c, json_t *j)
{
    char s[32];
    c->id = u64(j, "id", 0);
    str(j, "state", s, sizeof s);
    c->state = claimOf(s);
    str(j, "patient", c->patient, sizeof c->patient);
    c->deadline = u64(j, "deadline", 0);
    c->visit = (uint32_t)u64(j, "visit", 0);
    c->has_bucket = json_is_string(json_object_get(j, "bucket"));
    str(j, "bucket", c->bucket, sizeof c->bucket);
    str(j, "channel", c->channel, sizeof c->channel);
    str(j, "pool", c->pool, sizeof c->pool);
    c->held_at = u64(j, "held_at", 0);
    str(j, "attendance", s, sizeof s);
    c->attendance = strcmp(s, "pending") == 0      ? HA_PENDING
                    : strcmp(s, "checked_in") == 0 ? HA_CHECKED_IN
                    : strcmp(s, "no_show") == 0    ? HA_NO_SHOW
                                                   : -1;
    c->checked_in_at = u64(j, "checked_in_at", 0);
    c->moved_to = u64(j, "moved_to", 0);
    c->moved_from = u64(j, "moved_from", 0);
    c->refunded = flag(j, "refunded");
    c->affected = flag(j, "affected");
}

static void outcome(struct h_op *op, json_t *line, json_t *v)
{
    char e[64];
    str(line, "error", e, sizeof e);
    op->err = e[0] == '\0' ? 0 : slot_err_from_name(e);
    op->observed = json_object_get(line, "index") != NULL;
    op->ltime = u64(line, "ltime", 0);
    op->index = u64(line, "index", 0);
    str(line, "node", op->node, sizeof op->node);
    op->hold_id = u64(v, "hold", 0);
    op->deadline = u64(v, "deadline", 0);
    op->visit = (uint32_t)u64(v, "visit", 0);
    if (json_object_get(v, "free") != NULL) {
        op->has_counts = true;
        op->r_cap = (uint32_t)u64(v, "capacity", 0);
        op->r_free = (uint32_t)u64(v, "free", 0);
        op->r_held = (uint32_t)u64(v, "held", 0);
        op->r_booked = (uint32_t)u64(v, "booked", 0);
        op->r_cooling = (uint32_t)u64(v, "cooling", 0);
    }
    json_t *b = json_object_get(v, "buckets");
    if (json_is_array(b) &&
        (json_array_size(b) == 4 || json_array_size(b) == 5)) {
        op->has_buckets = true;
        op->b_cap = (uint32_t)json_integer_value(json_array_get(b, 0));
        op->b_free = (uint32_t)json_integer_value(json_array_get(b, 1));
        op->b_held = (uint32_t)json_integer_value(json_array_get(b, 2));
        op->b_booked = (uint32_t)json_integer_value(json_array_get(b, 3));
        op->b_cooling = (uint32_t)json_integer_value(json_array_get(b, 4));
    }
    json_t *shares = json_object_get(v, "shares");
    json_t *rem = json_object_get(v, "rem");
    if (op->f == HF_READ_POOL && json_is_array(shares) && json_is_array(rem)) {
        op->has_rb = true;
        for (size_t i = 0; i < json_array_size(shares) && op->n_rb < H_LIST_MAX;
             i++) {
            json_t *sh = json_array_get(shares, i);
            struct h_bucket *rb = &op->rb[op->n_rb++];
            json_t *name = json_array_get(sh, 0);
            snprintf(rb->name, sizeof rb->name, "%s",
                     json_is_string(name) ? json_string_value(name) : "?");
            bucketFrom(rb, sh, 1);
        }
        bucketFrom(&op->rrem, rem, 0);
        op->flowed = flag(v, "flowed");
        op->flow_due = u64(v, "flow_due", 0);
    }
    op->version = u64(v, "version", 0);
    op->new_id = u64(v, "new_id", 0);
    op->stop_bookings = (uint32_t)u64(v, "bookings", 0);
    op->has_stopped = json_is_boolean(json_object_get(v, "stopped"));
    op->stopped = flag(v, "stopped");
    json_t *cl = json_object_get(v, "claims");
    if (json_is_array(cl)) {
        op->n_claims = (int)json_array_size(cl);
        if (op->n_claims > 0) {
            claimFrom(&op->claim, json_array_get(cl, 0));
        }
        if ((op->f == HF_READ_PINFO || op->f == HF_READ_PCLAIMS) &&
            op->n_claims > 0) {
            op->claims = calloc((size_t)op->n_claims, sizeof *op->claims);
            if (op->claims == NULL) {
                abort();
            }
            for (int i = 0; i < op->n_claims; i++) {
                claimFrom(&op->claims[i], json_array_get(cl, (size_t)i));
            }
        }
    }
    op->quota = (int)u64(v, "quota", 0);
    op->window = (uint32_t)u64(v, "window", 0);
    op->position = (uint32_t)u64(v, "position", 0);
    str(v, "role", op->role, sizeof op->role);
    op->applied = u64(v, "applied", 0);
    char hash[32];
    str(v, "hash", hash, sizeof hash);
    op->hash = strtoull(hash, NULL, 16);
    op->status_node = u64(v, "node", 0);
}

static void nemesisFrom(struct h_op *op, json_t *v)
{
    str(v, "fault", op->fault, sizeof op->fault);
    json_t *acted = json_object_get(v, "acted");
    op->nem_acted = acted != NULL ? json_is_true(acted)
                                  : !json_is_true(json_object_get(v, "error"));
    json_t *off = json_object_get(v, "offset_ms");
    if (json_is_integer(off)) {
        op->offset_ms = (int64_t)json_integer_value(off);
    }
    json_t *nodes = json_object_get(v, "nodes");
    if (json_is_array(nodes)) {
        for (size_t i = 0; i < json_array_size(nodes) && op->n_nodes < 8; i++) {
            op->nodes[op->n_nodes++] =
                (int)json_integer_value(json_array_get(nodes, i));
        }
    } else if (json_object_get(v, "node") != NULL) {
        op->nodes[op->n_nodes++] = (int)u64(v, "node", 0);
    }
}

static struct h_op *newOp(struct history *h, int *cap)
{
    if (h->n_ops == *cap) {
        *cap = *cap ? 2 * *cap : 4096;
        h->ops = realloc(h->ops, (size_t)*cap * sizeof *h->ops);
        if (h->ops == NULL) {
            abort();
        }
    }
    struct h_op *op = &h->ops[h->n_ops++];
    memset(op, 0, sizeof *op);
    op->t_ret = UINT64_MAX;
    op->type = H_INFO;
    return op;
}

/* Open invocation per process: a small open-addressing map. */
struct openmap {
    int *keys; /* process + 1; 0 empty */
    int *vals;
    size_t cap;
};

static size_t omSlot(struct openmap *m, int key)
{
    size_t i = ((size_t)(unsigned)key * 2654435761u) & (m->cap - 1);
    while (m->keys[i] != 0 && m->keys[i] != key + 1) {
        i = (i + 1) & (m->cap - 1);
    }
    return i;
}

struct history *history_load(const char *path)
{
    FILE *fp = fopen(path, "r");
    if (fp == NULL) {
        return NULL;
    }
    struct history *h = calloc(1, sizeof *h);
    struct openmap om = {calloc(1 << 16, sizeof(int)),
                         calloc(1 << 16, sizeof(int)), 1 << 16};
    if (h == NULL || om.keys == NULL || om.vals == NULL) {
        abort();
    }
    int cap = 0, nem_open = -1;
    size_t n_open = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    while ((len = getline(&line, &lcap, fp)) > 0) {
        h->lines++;
        if (len <= 1 || line[0] == '#') {
            continue;
        }
        json_error_t jerr;
        json_t *j = json_loads(line, 0, &jerr);
        if (j == NULL || !json_is_object(j)) {
            snprintf(h->error, sizeof h->error,
                     "line %d: not a JSON object (%s)", h->lines, jerr.text);
            json_decref(j);
            break;
        }
        char type_s[16], f_s[32];
        str(j, "type", type_s, sizeof type_s);
        str(j, "f", f_s, sizeof f_s);
        int type = typeOf(type_s);
        json_t *p = json_object_get(j, "process");
        json_t *v = json_object_get(j, "value");
        uint64_t t = u64(j, "time", 0);
        if (type < 0 || (!json_is_integer(p) && !json_is_string(p)) ||
            json_object_get(j, "time") == NULL) {
            snprintf(h->error, sizeof h->error,
                     "line %d: needs process, type, f, time", h->lines);
            json_decref(j);
            break;
        }
        if (t > h->t_end) {
            h->t_end = t;
        }
        if (json_is_string(p)) {
            /* nemesis: invoke + info pairs, or a lone info */
            if (type == H_INVOKE) {
                struct h_op *op = newOp(h, &cap);
                op->process = -1;
                op->f = HF_NEMESIS;
                snprintf(op->fname, sizeof op->fname, "%s", f_s);
                op->nem_start = strcmp(f_s, "start") == 0;
                op->t_inv = t;
                op->line_inv = h->lines;
                op->inv = j;
                nemesisFrom(op, v);
                op->nem_acted = false; /* until its completion says so */
                nem_open = h->n_ops - 1;
            } else if (nem_open >= 0) {
                struct h_op *op = &h->ops[nem_open];
                op->t_ret = t;
                op->line_ret = h->lines;
                op->ret = j;
                op->n_nodes = 0;
                nemesisFrom(op, v);
                nem_open = -1;
            } else {
                struct h_op *op = newOp(h, &cap);
                op->process = -1;
                op->f = HF_NEMESIS;
                snprintf(op->fname, sizeof op->fname, "%s", f_s);
                op->nem_start = strcmp(f_s, "start") == 0;
                op->t_inv = op->t_ret = t;
                op->line_inv = op->line_ret = h->lines;
                op->ret = j;
                nemesisFrom(op, v);
            }
            continue;
        }
        int proc = (int)json_integer_value(p);
        if (n_open * 2 >= om.cap) {
            snprintf(h->error, sizeof h->error, "too many open operations");
            json_decref(j);
            break;
        }
        size_t slot = omSlot(&om, proc);
        if (type == H_INVOKE) {
            if (om.keys[slot] != 0 && om.vals[slot] >= 0) {
                snprintf(h->error, sizeof h->error,
                         "line %d: process %d invoked while its operation of "
                         "line %d is open",
                         h->lines, proc, h->ops[om.vals[slot]].line_inv);
                json_decref(j);
                break;
            }
            struct h_op *op = newOp(h, &cap);
            op->process = proc;
            op->f = fOf(f_s);
            snprintf(op->fname, sizeof op->fname, "%s", f_s);
            op->t_inv = t;
            op->wall_inv = u64(j, "wall", 0);
            op->line_inv = h->lines;
            op->inv = j;
            op->err = -1;
            inputs(op, v);
            if (om.keys[slot] == 0) {
                n_open++;
            }
            om.keys[slot] = proc + 1;
            om.vals[slot] = h->n_ops - 1;
            continue;
        }
        if (om.keys[slot] == 0 || om.vals[slot] < 0) {
            snprintf(h->error, sizeof h->error,
                     "line %d: completion of process %d without invocation",
                     h->lines, proc);
            json_decref(j);
            break;
        }
        struct h_op *op = &h->ops[om.vals[slot]];
        om.vals[slot] = -1;
        if (strcmp(op->fname, f_s) != 0) {
            snprintf(h->error, sizeof h->error,
                     "line %d: completion f %s does not match %s", h->lines,
                     f_s, op->fname);
            json_decref(j);
            break;
        }
        op->type = type;
        op->t_ret = t;
        op->wall_ret = u64(j, "wall", 0);
        op->line_ret = h->lines;
        op->ret = j;
        if (t < op->t_inv) {
            snprintf(h->error, sizeof h->error,
                     "line %d: completes before its invocation", h->lines);
            break;
        }
        outcome(op, j, v);
        if (type == H_INFO) {
            op->t_ret = UINT64_MAX; /* pending forever */
        }
    }
    free(line);
    fclose(fp);
    free(om.keys);
    free(om.vals);
    return h;
}

void history_free(struct history *h)
{
    if (h == NULL) {
        return;
    }
    for (int i = 0; i < h->n_ops; i++) {
        json_decref(h->ops[i].inv);
        json_decref(h->ops[i].ret);
        free(h->ops[i].sched);
        free(h->ops[i].claims);
    }
    free(h->ops);
    free(h);
}

json_t *history_op_json(const struct h_op *op)
{
    json_t *o = json_object();
    json_object_set_new(o, "line", json_integer(op->line_inv));
    if (op->inv != NULL) {
        json_object_set(o, "invoke", op->inv);
    }
    if (op->ret != NULL) {
        json_object_set(o, "complete", op->ret);
    } else {
        json_object_set_new(o, "complete", json_null());
    }
    return o;
}

bool history_unobserved_fail(const struct h_op *op)
{
    return op->type == H_FAIL && !op->observed;
}
