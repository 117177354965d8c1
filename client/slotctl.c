/* slotctl: the slot pool's command line, a thin face over libslot.
 * `slotctl --help` and `slotctl COMMAND --help` document it; the text below
 * (usage strings) is the reference. Every result is built as one JSON
 * object (jansson); --json prints it on one line, otherwise it is printed
 * as "key: value" lines. Errors go to stdout as {"error":{...}} with
 * --json, else to stderr; the exit code tells the error's class.
 */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "libslot.h"

#define DEFAULT_CLUSTER   "127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103"
#define STATUS_TIMEOUT_MS 1500u
#define ARGS_MAX          64

/* Exit codes, one per error class (documented in the usage text). */
enum {
    EXIT_OK_ = 0,
    EXIT_REFUSED = 1, /* the ledger refused: codes 20-59 */
    EXIT_USAGE = 2,   /* bad command line */
    EXIT_INVALID = 3, /* invalid input: codes 1-19 */
    EXIT_SESSION = 4, /* sessions and limits: codes 60-79 */
    EXIT_CLUSTER =
        5, /* node / cluster / timeouts: 80-99, TIMEOUT, UNAVAILABLE */
    EXIT_UNKNOWN = 6, /* OUTCOME_UNKNOWN: query before retrying */
};

static const char usage_main[] =
    "usage: slotctl [--cluster ADDR[,ADDR...]] [--json] [--timeout MS] "
    "[--stale]\n"
    "               COMMAND [ARGS...]\n"
    "\n"
    "Commands (each takes --help):\n"
    "  status                               every node's own status\n"
    "  member add ID RAFT_ADDR/CLIENT_ADDR  add a node (as a spare)\n"
    "  member promote ID [--role ROLE]      make it a voter (or "
    "standby/spare)\n"
    "  member remove ID                     remove a node\n"
    "  member transfer [ID]                 hand leadership to ID (0: any)\n"
    "  pool create POOL --capacity N ...    create a pool\n"
    "  pool update POOL --capacity N ...    redefine a pool\n"
    "  pool show POOL                       one pool's counters\n"
    "  pool list [--after POOL] [--limit N] pools in creation order\n"
    "  pool close POOL                      close a pool to new holds\n"
    "  hold POOL PATIENT [--channel CH] [--ttl-ms MS]\n"
    "  confirm HOLD PAYMENT_REF             book a held slot\n"
    "  release HOLD                         give a hold back\n"
    "  cancel BOOKING                       cancel a booking\n"
    "  show hold ID | show booking ID | show patient POOL PATIENT | show "
    "ledger\n"
    "  config [--hold-ttl-min-ms N ...]     show or change the rule "
    "parameters\n"
    "\n"
    "Options (anywhere on the line):\n"
    "  --cluster L   client addresses of the nodes (default " DEFAULT_CLUSTER
    ")\n"
    "  --json        one JSON object per result; errors as\n"
    "                {\"error\":{\"code\":\"SOLD_OUT\",\"message\":...}}\n"
    "  --timeout MS  deadline of each request (default 5000)\n"
    "  --stale       reads: any node's local state, labelled with its applied\n"
    "                index (default: linearizable, on the leader)\n"
    "\n"
    "Exit codes: 0 ok; 1 refused by the ledger (SOLD_OUT, UNKNOWN_HOLD, ...);\n"
    "2 usage; 3 invalid input (INVALID_ARGUMENT, TOO_LARGE, ...); 4 session "
    "or\n"
    "table limits; 5 cluster unreachable or busy (UNAVAILABLE, TIMEOUT,\n"
    "NO_LEADER, BUSY, ...); 6 OUTCOME_UNKNOWN (the change may or may not have\n"
    "been applied: query it before retrying).\n";

struct cmdhelp {
    const char *name;
    const char *text;
};

static const struct cmdhelp helps[] = {
    {"status",
     "usage: slotctl status\n"
     "Asks every node (--cluster and the members they list) for its status.\n"
     "JSON: {\"leader\": ID|null, \"nodes\": [{\"id\", \"address\" (raft),\n"
     "\"client_address\", \"role\" (leader/follower/candidate/unreachable),\n"
     "\"term\", \"commit_index\", \"applied_index\", \"state_hash\"}]}\n"},
    {"member",
     "usage: slotctl member add ID RAFT_HOST:PORT/CLIENT_HOST:PORT\n"
     "       slotctl member promote ID [--role voter|standby|spare]\n"
     "       slotctl member remove ID\n"
     "       slotctl member transfer [ID]\n"
     "A node started with `slotd --join` is added as a spare, then promoted.\n"
     "JSON: {\"ok\": true, \"member\": ID, \"op\": \"add\"|...}\n"},
    {"pool",
     "usage: slotctl pool create|update POOL --capacity N [--kind "
     "normal|expert|special]\n"
     "              [--fee-cents N] [--seg-start-ms MS --seg-end-ms MS]\n"
     "              [--release-at-ms MS] [--share CHANNEL=SLOTS]...\n"
     "       slotctl pool show POOL\n"
     "       slotctl pool list [--after POOL] [--limit N (default 100)]\n"
     "       slotctl pool close POOL\n"
     "JSON: create/update/close {\"ok\": true, \"pool\", \"index\", "
     "\"ledger_time_ms\"};\n"
     "show: the pool {\"pool\", \"kind\", \"state\", \"capacity\", \"free\", "
     "\"held\",\n"
     "\"booked\", \"fee_cents\", \"seg_start_ms\", \"seg_end_ms\", "
     "\"release_at_ms\",\n"
     "\"next_visit_no\", \"shares\": [...], \"remainder\": {...}, "
     "\"applied_index\",\n"
     "\"node\"}; list: {\"pools\": [...], \"applied_index\", \"node\"}\n"},
    {"hold",
     "usage: slotctl hold POOL PATIENT [--channel CH (default slotctl)]\n"
     "                    [--ttl-ms MS (default 600000)]\n"
     "JSON: {\"hold\": ID, \"deadline_ms\", \"pool\", \"patient\", "
     "\"channel\",\n"
     "\"index\", \"ledger_time_ms\"}. OUTCOME_UNKNOWN names pool and patient:\n"
     "check with `slotctl show patient POOL PATIENT`.\n"},
    {"confirm", "usage: slotctl confirm HOLD PAYMENT_REF\n"
                "JSON: {\"booking\": ID, \"visit_no\": N, \"index\", "
                "\"ledger_time_ms\"}\n"},
    {"release", "usage: slotctl release HOLD\n"
                "JSON: {\"released\": ID, \"index\", \"ledger_time_ms\"}\n"},
    {"cancel", "usage: slotctl cancel BOOKING\n"
               "JSON: {\"cancelled\": ID, \"index\", \"ledger_time_ms\"}\n"},
    {"show", "usage: slotctl show hold ID | show booking ID | show patient "
             "POOL PATIENT\n"
             "       slotctl show ledger\n"
             "JSON: hold/booking: the claim {\"id\", \"state\", \"pool\", "
             "\"patient\",\n"
             "\"channel\", \"held_at_ms\", \"deadline_ms\", \"booked_at_ms\",\n"
             "\"resolved_at_ms\", \"visit_no\", \"payment_ref\", "
             "\"applied_index\", \"node\"};\n"
             "patient: {\"claims\": [...], ...}; ledger: the ledger's figures "
             "and config\n"},
    {"config",
     "usage: slotctl config [--hold-ttl-min-ms N] [--hold-ttl-max-ms N]\n"
     "                      [--session-max N] [--session-idle-ms N]\n"
     "                      [--retain-ms N] [--retain-max N]\n"
     "Without options shows the config; with some, changes those (the others\n"
     "keep their current values). JSON: the config's six fields.\n"},
    {NULL, NULL},
};

/* ---- output -------------------------------------------------------------- */

static bool g_json;

static int exitFor(int code)
{
    if (code == SLOT_OK) {
        return EXIT_OK_;
    }
    if (code == SLOT_OUTCOME_UNKNOWN) {
        return EXIT_UNKNOWN;
    }
    if (code >= 1 && code < 20) {
        return EXIT_INVALID;
    }
    if (code >= 20 && code < 60) {
        return EXIT_REFUSED;
    }
    if (code >= 60 && code < 80) {
        return EXIT_SESSION;
    }
    return EXIT_CLUSTER;
}

static void printHuman(json_t *o)
{
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
    {
        if (json_is_string(v)) {
            printf("%s: %s\n", key, json_string_value(v));
        } else {
            char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
            printf("%s: %s\n", key, s != NULL ? s : "?");
            free(s);
        }
    }
}

/* Prints a result object and frees it. */
static int emit(json_t *o)
{
    if (g_json) {
        char *s = json_dumps(o, JSON_COMPACT);
        puts(s != NULL ? s : "{}");
        free(s);
    } else {
        printHuman(o);
    }
    json_decref(o);
    return EXIT_OK_;
}

/* Prints an error; extra (may be NULL, stolen) adds fields to it. Returns
 * the exit code of its class. */
static int emitError(int code, const char *message, json_t *extra)
{
    const char *name = slotc_err_name(code);
    if (message == NULL) {
        message = slotc_err_message(code);
    }
    if (g_json) {
        json_t *e =
            json_pack("{s:s, s:s}", "code", name != NULL ? name : "UNKNOWN",
                      "message", message);
        if (extra != NULL) {
            json_object_update(e, extra);
        }
        json_t *o = json_pack("{s:o}", "error", e);
        char *s = json_dumps(o, JSON_COMPACT);
        puts(s != NULL ? s : "{}");
        free(s);
        json_decref(o);
    } else {
        fprintf(stderr, "slotctl: %s: %s\n", name != NULL ? name : "ERROR",
                message);
        if (extra != NULL) {
            const char *key;
            json_t *v;
            json_object_foreach(extra, key, v)
            {
                char *s = json_dumps(v, JSON_ENCODE_ANY);
                fprintf(stderr, "  %s: %s\n", key, s != NULL ? s : "?");
                free(s);
            }
        }
    }
    json_decref(extra);
    return exitFor(code);
}

static int usageError(const char *cmd, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (g_json) {
        json_t *o = json_pack("{s:{s:s, s:s}}", "error", "code", "USAGE",
                              "message", msg);
        char *s = json_dumps(o, JSON_COMPACT);
        puts(s != NULL ? s : "{}");
        free(s);
        json_decref(o);
    } else {
        fprintf(stderr, "slotctl: %s\n", msg);
        for (const struct cmdhelp *h = helps; cmd != NULL && h->name != NULL;
             h++) {
            if (strcmp(h->name, cmd) == 0) {
                fputs(h->text, stderr);
            }
        }
    }
    return EXIT_USAGE;
}

/* ---- command line -------------------------------------------------------- */

struct opt {
    const char *name;  /* without the leading "--" */
    const char *value; /* NULL: not given; "" for a flag */
    bool flag;
    const char *multi[SLOTC_SHARES_MAX + 1]; /* repeated option (--share) */
    int n_multi;
};

struct cli {
    const char *pos[ARGS_MAX];
    int n_pos;
    struct opt *opts;
    int n_opts;
    bool help;
};

/* Splits argv into positionals and the options of `opts` (plus --help).
 * Accepts "--name value" and "--name=value". */
static int parseArgs(int argc, char **argv, struct opt *opts, int n_opts,
                     struct cli *cl, const char *cmd)
{
    memset(cl, 0, sizeof *cl);
    cl->opts = opts;
    cl->n_opts = n_opts;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            for (i++; i < argc && cl->n_pos < ARGS_MAX; i++) {
                cl->pos[cl->n_pos++] = argv[i];
            }
            break;
        }
        if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
            if (cl->n_pos == ARGS_MAX) {
                return usageError(cmd, "too many arguments");
            }
            cl->pos[cl->n_pos++] = a;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            cl->help = true;
            continue;
        }
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t nlen = eq != NULL ? (size_t)(eq - name) : strlen(name);
        struct opt *o = NULL;
        for (int k = 0; k < n_opts; k++) {
            if (strlen(opts[k].name) == nlen &&
                strncmp(opts[k].name, name, nlen) == 0) {
                o = &opts[k];
            }
        }
        if (o == NULL) {
            return usageError(cmd, "unknown option --%.*s", (int)nlen, name);
        }
        const char *val;
        if (o->flag) {
            if (eq != NULL) {
                return usageError(cmd, "--%s takes no value", o->name);
            }
            val = "";
        } else if (eq != NULL) {
            val = eq + 1;
        } else if (i + 1 < argc) {
            val = argv[++i];
        } else {
            return usageError(cmd, "--%s needs a value", o->name);
        }
        if (strcmp(o->name, "share") == 0) {
            if (o->n_multi == SLOTC_SHARES_MAX) {
                return usageError(cmd, "at most %d --share", SLOTC_SHARES_MAX);
            }
            o->multi[o->n_multi++] = val;
        }
        o->value = val;
    }
    return EXIT_OK_;
}

static const char *optVal(const struct cli *cl, const char *name)
{
    for (int k = 0; k < cl->n_opts; k++) {
        if (strcmp(cl->opts[k].name, name) == 0) {
            return cl->opts[k].value;
        }
    }
    return NULL;
}

static bool parseU64(const char *s, uint64_t max, uint64_t *out)
{
    if (s == NULL || *s < '0' || *s > '9') {
        return false;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > max) {
        return false;
    }
    *out = v;
    return true;
}

/* ---- JSON of the library's values ---------------------------------------- */

static json_t *jsonU64(uint64_t v)
{
    return json_integer((json_int_t)v);
}

static json_t *jsonHash(uint64_t h)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%016llx", (unsigned long long)h);
    return json_string(buf);
}

static json_t *jsonBucket(const struct slotc_bucket *b, bool channel)
{
    json_t *o =
        json_pack("{s:I, s:I, s:I, s:I}", "capacity", (json_int_t)b->capacity,
                  "free", (json_int_t)b->free, "held", (json_int_t)b->held,
                  "booked", (json_int_t)b->booked);
    if (channel) {
        json_object_set_new(o, "channel", json_string(b->channel));
    }
    return o;
}

static json_t *jsonPool(const struct slotc_pool *p)
{
    const char *kind = slotc_kind_name(p->kind);
    const char *state = slotc_pool_state_name(p->state);
    json_t *shares = json_array();
    for (uint32_t i = 0; i < p->n_shares; i++) {
        json_array_append_new(shares, jsonBucket(&p->shares[i], true));
    }
    json_t *o = json_object();
    json_object_set_new(o, "pool", json_string(p->pool));
    json_object_set_new(o, "kind", json_string(kind != NULL ? kind : "?"));
    json_object_set_new(o, "state", json_string(state != NULL ? state : "?"));
    json_object_set_new(o, "capacity", jsonU64(p->capacity));
    json_object_set_new(o, "free", jsonU64(p->free));
    json_object_set_new(o, "held", jsonU64(p->held));
    json_object_set_new(o, "booked", jsonU64(p->booked));
    json_object_set_new(o, "fee_cents", jsonU64(p->fee_cents));
    json_object_set_new(o, "seg_start_ms", jsonU64(p->seg_start_ms));
    json_object_set_new(o, "seg_end_ms", jsonU64(p->seg_end_ms));
    json_object_set_new(o, "release_at_ms", jsonU64(p->release_at_ms));
    json_object_set_new(o, "next_visit_no", jsonU64(p->next_visit_no));
    json_object_set_new(o, "shares", shares);
    json_object_set_new(o, "remainder", jsonBucket(&p->remainder, false));
    return o;
}

static json_t *jsonClaim(const struct slotc_claim *c)
{
    const char *state = slotc_claim_state_name(c->state);
    json_t *o = json_object();
    json_object_set_new(o, "id", jsonU64(c->id));
    json_object_set_new(o, "state", json_string(state != NULL ? state : "?"));
    json_object_set_new(o, "pool", json_string(c->pool));
    json_object_set_new(o, "patient", json_string(c->patient));
    json_object_set_new(o, "channel", json_string(c->channel));
    json_object_set_new(o, "held_at_ms", jsonU64(c->held_at_ms));
    json_object_set_new(o, "deadline_ms", jsonU64(c->deadline_ms));
    json_object_set_new(o, "booked_at_ms", jsonU64(c->booked_at_ms));
    json_object_set_new(o, "resolved_at_ms", jsonU64(c->resolved_at_ms));
    json_object_set_new(o, "visit_no", jsonU64(c->visit_no));
    json_object_set_new(o, "payment_ref", json_string(c->payment_ref));
    return o;
}

static json_t *jsonConfig(const struct slotc_config *c)
{
    json_t *o = json_object();
    json_object_set_new(o, "hold_ttl_min_ms", jsonU64(c->hold_ttl_min_ms));
    json_object_set_new(o, "hold_ttl_max_ms", jsonU64(c->hold_ttl_max_ms));
    json_object_set_new(o, "session_max", jsonU64(c->session_max));
    json_object_set_new(o, "session_idle_ms", jsonU64(c->session_idle_ms));
    json_object_set_new(o, "retain_ms", jsonU64(c->retain_ms));
    json_object_set_new(o, "retain_max", jsonU64(c->retain_max));
    return o;
}

/* A read's label: where it was served and how fresh it is. */
static json_t *readLabel(json_t *o, const struct slotc_req *req)
{
    json_object_set_new(o, "applied_index", jsonU64(req->out.index));
    json_object_set_new(
        o, "node", json_string(req->out.node != NULL ? req->out.node : ""));
    json_object_set_new(o, "stale",
                        json_boolean((req->flags & SLOTC_STALE) != 0));
    return o;
}

static json_t *cmdLabel(json_t *o, const struct slotc_req *req)
{
    json_object_set_new(o, "index", jsonU64(req->out.index));
    json_object_set_new(o, "ledger_time_ms", jsonU64(req->out.ledger_time_ms));
    return o;
}

/* The error of a finished request, with what OUTCOME_UNKNOWN names. */
static int reqError(const struct slotc_req *req, int rc)
{
    json_t *extra = NULL;
    if (rc == SLOT_OUTCOME_UNKNOWN) {
        extra = json_object();
        if (req->out.pool != NULL) {
            json_object_set_new(extra, "pool", json_string(req->out.pool));
        }
        if (req->out.patient != NULL) {
            json_object_set_new(extra, "patient",
                                json_string(req->out.patient));
        }
        if (req->out.id != 0) {
            const char *key = req->op == SLOTC_OP_CANCEL   ? "booking"
                              : req->op >= SLOTC_OP_STATUS ? "member"
                                                           : "hold";
            json_object_set_new(extra, key, jsonU64(req->out.id));
        }
    }
    return emitError(rc, NULL, extra);
}

/* ---- commands ------------------------------------------------------------ */

struct ctx {
    struct slotc_options o;
    uint32_t timeout_ms;
    bool stale;
};

static struct slotc_sync *openSync(const struct ctx *x, int *rc)
{
    struct slotc_sync *s = NULL;
    *rc = slotc_sync_open(&x->o, &s);
    return s;
}

static void reqInit(const struct ctx *x, struct slotc_req *req)
{
    slotc_req_init(req);
    req->timeout_ms = x->timeout_ms;
    req->flags = x->stale ? SLOTC_STALE : 0;
}

/* ---- status: ask every node directly, in parallel ---- */

struct probe {
    struct slotc_req req;
    char addr[SLOTC_ADDRESS_MAX + 1];
    bool done;
    bool ok;
    struct slotc_node_status st;
};

#define PROBES_MAX (2 * SLOTC_NODES_MAX)

struct survey {
    struct probe p[PROBES_MAX];
    int n;
    int outstanding;
    bool hash; /* ask for the state hash */
};

static void probeCb(struct slotc_req *req)
{
    struct probe *p = req->data;
    p->done = true;
    if (req->status == SLOT_OK) {
        p->ok = true;
        p->st = *req->out.status;
    }
}

static int probeFind(const struct survey *sv, const char *addr)
{
    for (int i = 0; i < sv->n; i++) {
        if (strcmp(sv->p[i].addr, addr) == 0) {
            return i;
        }
    }
    return -1;
}

/* Submits a STATUS probe to addr unless one exists (with the state hash
 * if sv->hash). */
static void probeAdd(struct slotc *c, struct survey *sv, const char *addr)
{
    if (addr[0] == '\0' || probeFind(sv, addr) >= 0 || sv->n == PROBES_MAX) {
        return;
    }
    struct probe *p = &sv->p[sv->n];
    memset(p, 0, sizeof *p);
    snprintf(p->addr, sizeof p->addr, "%s", addr);
    slotc_req_init(&p->req);
    p->req.data = p;
    p->req.node = p->addr;
    p->req.timeout_ms = STATUS_TIMEOUT_MS;
    p->req.flags = sv->hash ? 0 : SLOTC_NO_HASH;
    if (slotc_status(c, &p->req, probeCb) == SLOT_OK) {
        sv->n++;
    }
}

static bool probesDone(const struct survey *sv)
{
    for (int i = 0; i < sv->n; i++) {
        if (!sv->p[i].done) {
            return false;
        }
    }
    return true;
}

static void runProbes(uv_loop_t *loop, const struct survey *sv)
{
    /* Each probe ends by its deadline; the count is a backstop. */
    for (int i = 0; i < 100000 && !probesDone(sv); i++) {
        uv_run(loop, UV_RUN_ONCE);
    }
}

static json_t *nodeJson(uint64_t id, const char *member_addr,
                        const struct probe *p)
{
    char raft[SLOTC_ADDRESS_MAX + 1] = "", client[SLOTC_ADDRESS_MAX + 1] = "";
    const char *addr = member_addr != NULL
                           ? member_addr
                           : (p != NULL && p->ok ? p->st.address : "");
    slotc_address_split(addr, raft, sizeof raft, client, sizeof client);
    if (member_addr == NULL && p != NULL && !p->ok) {
        snprintf(client, sizeof client, "%s", p->addr);
    }
    json_t *o = json_object();
    json_object_set_new(o, "id", id != 0 ? jsonU64(id) : json_null());
    json_object_set_new(o, "address",
                        raft[0] != '\0' ? json_string(raft) : json_null());
    json_object_set_new(o, "client_address", json_string(client));
    if (p != NULL && p->ok) {
        json_object_set_new(o, "role", json_string(p->st.role));
        json_object_set_new(o, "term", jsonU64(p->st.term));
        json_object_set_new(o, "commit_index", jsonU64(p->st.commit_index));
        json_object_set_new(o, "applied_index", jsonU64(p->st.applied_index));
        json_object_set_new(o, "state_hash", jsonHash(p->st.state_hash));
    } else {
        json_object_set_new(o, "role", json_string("unreachable"));
        json_object_set_new(o, "term", json_null());
        json_object_set_new(o, "commit_index", json_null());
        json_object_set_new(o, "applied_index", json_null());
        json_object_set_new(o, "state_hash", json_null());
    }
    return o;
}

static void closedCb(void *data)
{
    *(bool *)data = true;
}

/* Asks the --cluster nodes, then the members they list, for their status,
 * with each node's state hash if `hash` (it costs the node O(state): only
 * `slotctl status` shows it). Returns SLOT_OK, or the error of opening the
 * client. */
static int survey(const struct ctx *x, struct survey *sv, bool hash)
{
    uv_loop_t loop;
    struct slotc *c;
    uv_loop_init(&loop);
    struct slotc_options o = x->o;
    int rc = slotc_open(&loop, &o, &c);
    if (rc != SLOT_OK) {
        uv_loop_close(&loop);
        return rc;
    }
    memset(sv, 0, sizeof *sv);
    sv->hash = hash;
    /* Round 1: the given addresses. Round 2: members they list that were
     * not asked yet (their client part). */
    char list[4096];
    snprintf(list, sizeof list, "%s", x->o.cluster);
    char *save = NULL;
    for (char *a = strtok_r(list, ",", &save); a != NULL;
         a = strtok_r(NULL, ",", &save)) {
        probeAdd(c, sv, a);
    }
    runProbes(&loop, sv);
    int n1 = sv->n;
    for (int i = 0; i < n1; i++) {
        for (uint32_t m = 0; sv->p[i].ok && m < sv->p[i].st.n_members; m++) {
            char raft[SLOTC_ADDRESS_MAX + 1], client[SLOTC_ADDRESS_MAX + 1];
            if (slotc_address_split(sv->p[i].st.members[m].address, raft,
                                    sizeof raft, client,
                                    sizeof client) == SLOT_OK) {
                probeAdd(c, sv, client);
            }
        }
    }
    runProbes(&loop, sv);
    bool closed = false;
    slotc_close(c, closedCb, &closed);
    for (int i = 0; i < 1000 && !closed; i++) {
        uv_run(&loop, UV_RUN_ONCE);
    }
    uv_loop_close(&loop);
    return SLOT_OK;
}

static int cmdStatus(const struct ctx *x, const struct cli *cl)
{
    if (cl->n_pos != 1) {
        return usageError("status", "status takes no arguments");
    }
    static struct survey sv;
    int rc = survey(x, &sv, true);
    if (rc != SLOT_OK) {
        return emitError(rc, "bad --cluster", NULL);
    }
    /* The configuration: from the leader if one answered, else from the
     * reachable node with the highest term. */
    const struct probe *conf = NULL;
    uint64_t leader = 0, leader_term = 0;
    for (int i = 0; i < sv.n; i++) {
        const struct probe *p = &sv.p[i];
        if (!p->ok) {
            continue;
        }
        if (strcmp(p->st.role, "leader") == 0 && p->st.term >= leader_term) {
            leader = p->st.id;
            leader_term = p->st.term;
            conf = p;
        }
        if (conf == NULL || (leader == 0 && p->st.term > conf->st.term)) {
            conf = p;
        }
    }
    if (conf == NULL) {
        return emitError(SLOT_UNAVAILABLE, "no node answered", NULL);
    }
    json_t *nodes = json_array();
    bool used[PROBES_MAX] = {false};
    for (uint32_t m = 0; m < conf->st.n_members; m++) {
        const struct slotc_member *mem = &conf->st.members[m];
        char raft[SLOTC_ADDRESS_MAX + 1], client[SLOTC_ADDRESS_MAX + 1];
        slotc_address_split(mem->address, raft, sizeof raft, client,
                            sizeof client);
        const struct probe *p = NULL;
        for (int i = 0; i < sv.n; i++) {
            if ((sv.p[i].ok && sv.p[i].st.id == mem->id) ||
                (!sv.p[i].ok && strcmp(sv.p[i].addr, client) == 0)) {
                if (p == NULL || (!p->ok && sv.p[i].ok)) {
                    p = &sv.p[i];
                }
            }
        }
        for (int i = 0; i < sv.n; i++) {
            if (&sv.p[i] == p || strcmp(sv.p[i].addr, client) == 0) {
                used[i] = true;
            }
        }
        json_array_append_new(nodes, nodeJson(mem->id, mem->address, p));
    }
    /* Nodes that answered or were named but are not in the configuration. */
    for (int i = 0; i < sv.n; i++) {
        if (!used[i]) {
            bool dup = false;
            for (int j = 0; j < i && sv.p[i].ok; j++) {
                dup = dup ||
                      (sv.p[j].ok && sv.p[j].st.id == sv.p[i].st.id && used[j]);
            }
            if (!dup) {
                json_array_append_new(
                    nodes,
                    nodeJson(sv.p[i].ok ? sv.p[i].st.id : 0, NULL, &sv.p[i]));
            }
        }
    }
    json_t *out = json_object();
    json_object_set_new(out, "leader",
                        leader != 0 ? jsonU64(leader) : json_null());
    json_object_set_new(out, "nodes", nodes);
    return emit(out);
}

static int cmdMember(const struct ctx *x, const struct cli *cl)
{
    if (cl->n_pos < 2) {
        return usageError("member", "member needs a subcommand");
    }
    const char *sub = cl->pos[1];
    uint64_t id = 0;
    int role = SLOTC_ROLE_VOTER;
    bool add = strcmp(sub, "add") == 0, promote = strcmp(sub, "promote") == 0,
         remove = strcmp(sub, "remove") == 0,
         transfer = strcmp(sub, "transfer") == 0;
    int want = add ? 4 : transfer ? -1 : 3;
    if (!add && !promote && !remove && !transfer) {
        return usageError("member", "unknown member subcommand '%s'", sub);
    }
    if ((want > 0 && cl->n_pos != want) || (transfer && cl->n_pos > 3)) {
        return usageError("member", "wrong number of arguments");
    }
    if (cl->n_pos >= 3 && !parseU64(cl->pos[2], UINT64_MAX, &id)) {
        return usageError("member", "bad node id '%s'", cl->pos[2]);
    }
    if (optVal(cl, "role") != NULL &&
        (!promote ||
         (role = slotc_member_role_from_name(optVal(cl, "role"))) < 0)) {
        return usageError("member",
                          "--role is voter, standby or spare (promote only)");
    }
    /* Send the change to the node that says it leads, if one does: a
     * first attempt on a follower would answer NOT_LEADER, which the
     * library must treat as "maybe applied" (a leader that lost its
     * leadership says the same), and a later refusal (say, a duplicate
     * id) would then read OUTCOME_UNKNOWN instead of its real error. */
    static struct survey sv;
    static char leader[SLOTC_ADDRESS_MAX + 1];
    int rc = survey(x, &sv, false);
    if (rc != SLOT_OK) {
        return emitError(rc, "bad --cluster", NULL);
    }
    leader[0] = '\0';
    for (int i = 0; i < sv.n; i++) {
        char raft[SLOTC_ADDRESS_MAX + 1];
        if (sv.p[i].ok && strcmp(sv.p[i].st.role, "leader") == 0) {
            slotc_address_split(sv.p[i].st.address, raft, sizeof raft, leader,
                                sizeof leader);
        }
    }
    struct slotc_sync *s = openSync(x, &rc);
    if (s == NULL) {
        return emitError(rc, "bad --cluster", NULL);
    }
    struct slotc_req req;
    reqInit(x, &req);
    req.flags = 0;
    req.node = leader[0] != '\0' ? leader : NULL;
    rc = add       ? slotc_sync_member_add(s, &req, id, cl->pos[3])
         : promote ? slotc_sync_member_assign(s, &req, id, role)
         : remove  ? slotc_sync_member_remove(s, &req, id)
                   : slotc_sync_transfer(s, &req, id);
    int ex = rc == SLOT_OK ? emit(json_pack("{s:b, s:s, s:I}", "ok", 1, "op",
                                            sub, "member", (json_int_t)id))
                           : reqError(&req, rc);
    slotc_sync_close(s);
    return ex;
}

static int poolSpecFrom(const struct cli *cl, struct slotc_pool_spec *sp)
{
    memset(sp, 0, sizeof *sp);
    sp->pool = cl->pos[2];
    uint64_t v;
    const char *s;
    if (!parseU64(optVal(cl, "capacity"), UINT32_MAX, &v)) {
        return usageError("pool", "--capacity N is required");
    }
    sp->capacity = (uint32_t)v;
    if ((s = optVal(cl, "kind")) != NULL &&
        (sp->kind = slotc_kind_from_name(s)) < 0) {
        return usageError("pool", "--kind is normal, expert or special");
    }
    struct {
        const char *name;
        uint64_t *dst;
    } nums[] = {{"fee-cents", &sp->fee_cents},
                {"seg-start-ms", &sp->seg_start_ms},
                {"seg-end-ms", &sp->seg_end_ms},
                {"release-at-ms", &sp->release_at_ms}};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        if ((s = optVal(cl, nums[i].name)) != NULL &&
            !parseU64(s, UINT64_MAX, nums[i].dst)) {
            return usageError("pool", "bad --%s '%s'", nums[i].name, s);
        }
    }
    for (int k = 0; k < cl->n_opts; k++) {
        const struct opt *o = &cl->opts[k];
        if (strcmp(o->name, "share") != 0) {
            continue;
        }
        static char chans[SLOTC_SHARES_MAX][64];
        for (int i = 0; i < o->n_multi; i++) {
            const char *eq = strchr(o->multi[i], '=');
            if (eq == NULL || (size_t)(eq - o->multi[i]) >= sizeof chans[i] ||
                !parseU64(eq + 1, UINT32_MAX, &v)) {
                return usageError("pool", "--share is CHANNEL=SLOTS");
            }
            memcpy(chans[i], o->multi[i], (size_t)(eq - o->multi[i]));
            chans[i][eq - o->multi[i]] = '\0';
            sp->shares[i].channel = chans[i];
            sp->shares[i].slots = (uint32_t)v;
        }
        sp->n_shares = (uint32_t)o->n_multi;
    }
    return EXIT_OK_;
}

static int cmdPool(const struct ctx *x, const struct cli *cl)
{
    if (cl->n_pos < 2) {
        return usageError("pool", "pool needs a subcommand");
    }
    const char *sub = cl->pos[1];
    bool create = strcmp(sub, "create") == 0,
         update = strcmp(sub, "update") == 0, show = strcmp(sub, "show") == 0,
         list = strcmp(sub, "list") == 0, close = strcmp(sub, "close") == 0;
    if (!create && !update && !show && !list && !close) {
        return usageError("pool", "unknown pool subcommand '%s'", sub);
    }
    if (cl->n_pos != (list ? 2 : 3)) {
        return usageError("pool", "wrong number of arguments");
    }
    struct slotc_pool_spec sp;
    uint64_t limit = 100;
    if (create || update) {
        int ex = poolSpecFrom(cl, &sp);
        if (ex != EXIT_OK_) {
            return ex;
        }
    }
    if (list && optVal(cl, "limit") != NULL &&
        !parseU64(optVal(cl, "limit"), SLOTC_LIST_MAX, &limit)) {
        return usageError("pool", "--limit is 1..%d", SLOTC_LIST_MAX);
    }
    int rc;
    struct slotc_sync *s = openSync(x, &rc);
    if (s == NULL) {
        return emitError(rc, "bad --cluster", NULL);
    }
    struct slotc_req req;
    reqInit(x, &req);
    json_t *out = NULL;
    if (create || update) {
        rc = create ? slotc_sync_pool_create(s, &req, &sp)
                    : slotc_sync_pool_update(s, &req, &sp);
        if (rc == SLOT_OK) {
            out = cmdLabel(json_pack("{s:b, s:s}", "ok", 1, "pool", sp.pool),
                           &req);
        }
    } else if (close) {
        rc = slotc_sync_pool_close(s, &req, cl->pos[2]);
        if (rc == SLOT_OK) {
            out = cmdLabel(json_pack("{s:b, s:s}", "ok", 1, "pool", cl->pos[2]),
                           &req);
        }
    } else if (show) {
        rc = slotc_sync_read_pool(s, &req, cl->pos[2]);
        if (rc == SLOT_OK) {
            out = readLabel(jsonPool(&req.out.pools[0]), &req);
        }
    } else {
        rc = slotc_sync_read_pools(s, &req, optVal(cl, "after"),
                                   (uint32_t)limit);
        if (rc == SLOT_OK) {
            json_t *arr = json_array();
            for (uint32_t i = 0; i < req.out.n_pools; i++) {
                json_array_append_new(arr, jsonPool(&req.out.pools[i]));
            }
            out = readLabel(json_pack("{s:o}", "pools", arr), &req);
        }
    }
    int ex = out != NULL ? emit(out) : reqError(&req, rc);
    slotc_sync_close(s);
    return ex;
}

static int cmdHold(const struct ctx *x, const struct cli *cl)
{
    if (cl->n_pos != 3) {
        return usageError("hold", "hold needs POOL and PATIENT");
    }
    const char *channel =
        optVal(cl, "channel") != NULL ? optVal(cl, "channel") : "slotctl";
    uint64_t ttl = 600000;
    if (optVal(cl, "ttl-ms") != NULL &&
        !parseU64(optVal(cl, "ttl-ms"), UINT32_MAX, &ttl)) {
        return usageError("hold", "bad --ttl-ms");
    }
    int rc;
    struct slotc_sync *s = openSync(x, &rc);
    if (s == NULL) {
        return emitError(rc, "bad --cluster", NULL);
    }
    struct slotc_req req;
    reqInit(x, &req);
    rc = slotc_sync_hold(s, &req, cl->pos[1], cl->pos[2], channel,
                         (uint32_t)ttl);
    int ex =
        rc == SLOT_OK
            ? emit(cmdLabel(json_pack("{s:I, s:I, s:s, s:s, s:s}", "hold",
                                      (json_int_t)req.out.id, "deadline_ms",
                                      (json_int_t)req.out.deadline_ms, "pool",
                                      cl->pos[1], "patient", cl->pos[2],
                                      "channel", channel),
                            &req))
            : reqError(&req, rc);
    slotc_sync_close(s);
    return ex;
}

/* confirm, release, cancel: an id and maybe a payment ref. */
static int cmdId(const struct ctx *x, const struct cli *cl, const char *name)
{
    bool confirm = strcmp(name, "confirm") == 0;
    uint64_t id;
    if (cl->n_pos != (confirm ? 3 : 2)) {
        return usageError(name, "wrong number of arguments");
    }
    if (!parseU64(cl->pos[1], UINT64_MAX, &id)) {
        return usageError(name, "bad id '%s'", cl->pos[1]);
    }
    int rc;
    struct slotc_sync *s = openSync(x, &rc);
    if (s == NULL) {
        return emitError(rc, "bad --cluster", NULL);
    }
    struct slotc_req req;
    reqInit(x, &req);
    json_t *out = NULL;
    if (confirm) {
        rc = slotc_sync_confirm(s, &req, id, cl->pos[2]);
        if (rc == SLOT_OK) {
            out = json_pack("{s:I, s:I}", "booking", (json_int_t)req.out.id,
                            "visit_no", (json_int_t)req.out.visit_no);
        }
    } else if (strcmp(name, "release") == 0) {
        rc = slotc_sync_release(s, &req, id);
        if (rc == SLOT_OK) {
            out = json_pack("{s:I}", "released", (json_int_t)id);
        }
    } else {
        rc = slotc_sync_cancel(s, &req, id);
        if (rc == SLOT_OK) {
            out = json_pack("{s:I}", "cancelled", (json_int_t)id);
        }
    }
    int ex = out != NULL ? emit(cmdLabel(out, &req)) : reqError(&req, rc);
    slotc_sync_close(s);
    return ex;
}

static int cmdShow(const struct ctx *x, const struct cli *cl)
{
    if (cl->n_pos < 2) {
        return usageError("show",
                          "show needs hold, booking, patient or ledger");
    }
    const char *what = cl->pos[1];
    bool hold = strcmp(what, "hold") == 0,
         booking = strcmp(what, "booking") == 0,
         patient = strcmp(what, "patient") == 0,
         ledger = strcmp(what, "ledger") == 0;
    uint64_t id = 0;
    if (!hold && !booking && !patient && !ledger) {
        return usageError("show", "unknown show subcommand '%s'", what);
    }
    if (cl->n_pos != (patient ? 4 : ledger ? 2 : 3)) {
        return usageError("show", "wrong number of arguments");
    }
    if ((hold || booking) && !parseU64(cl->pos[2], UINT64_MAX, &id)) {
        return usageError("show", "bad id '%s'", cl->pos[2]);
    }
    int rc;
    struct slotc_sync *s = openSync(x, &rc);
    if (s == NULL) {
        return emitError(rc, "bad --cluster", NULL);
    }
    struct slotc_req req;
    reqInit(x, &req);
    json_t *out = NULL;
    if (hold || booking) {
        rc = hold ? slotc_sync_read_hold(s, &req, id)
                  : slotc_sync_read_booking(s, &req, id);
        if (rc == SLOT_OK) {
            out = jsonClaim(&req.out.claims[0]);
        }
    } else if (patient) {
        rc = slotc_sync_read_patient(s, &req, cl->pos[2], cl->pos[3]);
        if (rc == SLOT_OK) {
            json_t *arr = json_array();
            for (uint32_t i = 0; i < req.out.n_claims; i++) {
                json_array_append_new(arr, jsonClaim(&req.out.claims[i]));
            }
            out = json_pack("{s:s, s:s, s:o}", "pool", cl->pos[2], "patient",
                            cl->pos[3], "claims", arr);
        }
    } else {
        rc = slotc_sync_read_ledger(s, &req);
        if (rc == SLOT_OK) {
            const struct slotc_ledger_info *l = req.out.ledger;
            out = json_object();
            json_object_set_new(out, "time_ms", jsonU64(l->time_ms));
            json_object_set_new(out, "state_hash", jsonHash(l->state_hash));
            json_object_set_new(out, "pools", jsonU64(l->pools));
            json_object_set_new(out, "patients", jsonU64(l->patients));
            json_object_set_new(out, "channels", jsonU64(l->channels));
            json_object_set_new(out, "sessions", jsonU64(l->sessions));
            json_object_set_new(out, "holds_active", jsonU64(l->holds_active));
            json_object_set_new(out, "bookings_active",
                                jsonU64(l->bookings_active));
            json_object_set_new(out, "retained", jsonU64(l->retained));
            json_object_set_new(out, "config", jsonConfig(&l->config));
        }
    }
    int ex = out != NULL ? emit(readLabel(out, &req)) : reqError(&req, rc);
    slotc_sync_close(s);
    return ex;
}

static int cmdConfig(const struct ctx *x, const struct cli *cl)
{
    if (cl->n_pos != 1) {
        return usageError("config", "config takes options only");
    }
    int rc;
    struct slotc_sync *s = openSync(x, &rc);
    if (s == NULL) {
        return emitError(rc, "bad --cluster", NULL);
    }
    struct slotc_req req;
    reqInit(x, &req);
    req.flags |= SLOTC_NO_HASH; /* only the configuration is wanted */
    rc = slotc_sync_read_ledger(s, &req);
    if (rc != SLOT_OK) {
        int ex = reqError(&req, rc);
        slotc_sync_close(s);
        return ex;
    }
    struct slotc_config cfg = req.out.ledger->config;
    uint64_t v;
    bool change = false;
    struct {
        const char *name;
        uint64_t max;
        void *dst;
        bool wide;
    } f[] = {{"hold-ttl-min-ms", UINT32_MAX, &cfg.hold_ttl_min_ms, false},
             {"hold-ttl-max-ms", UINT32_MAX, &cfg.hold_ttl_max_ms, false},
             {"session-max", UINT32_MAX, &cfg.session_max, false},
             {"session-idle-ms", UINT64_MAX, &cfg.session_idle_ms, true},
             {"retain-ms", UINT64_MAX, &cfg.retain_ms, true},
             {"retain-max", UINT32_MAX, &cfg.retain_max, false}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        const char *val = optVal(cl, f[i].name);
        if (val == NULL) {
            continue;
        }
        if (!parseU64(val, f[i].max, &v)) {
            slotc_sync_close(s);
            return usageError("config", "bad --%s '%s'", f[i].name, val);
        }
        if (f[i].wide) {
            *(uint64_t *)f[i].dst = v;
        } else {
            *(uint32_t *)f[i].dst = (uint32_t)v;
        }
        change = true;
    }
    json_t *out = NULL;
    if (!change) {
        out = readLabel(jsonConfig(&cfg), &req);
    } else {
        struct slotc_req w;
        reqInit(x, &w);
        rc = slotc_sync_config(s, &w, &cfg);
        if (rc == SLOT_OK) {
            out = cmdLabel(jsonConfig(&cfg), &w);
        } else {
            req = w;
        }
    }
    int ex = out != NULL ? emit(out) : reqError(&req, rc);
    slotc_sync_close(s);
    return ex;
}

/* ---- main ---------------------------------------------------------------- */

static struct opt g_opts[] = {
    {"cluster", NULL, false, {NULL}, 0},
    {"json", NULL, true, {NULL}, 0},
    {"timeout", NULL, false, {NULL}, 0},
    {"stale", NULL, true, {NULL}, 0},
    {"role", NULL, false, {NULL}, 0},
    {"capacity", NULL, false, {NULL}, 0},
    {"kind", NULL, false, {NULL}, 0},
    {"fee-cents", NULL, false, {NULL}, 0},
    {"seg-start-ms", NULL, false, {NULL}, 0},
    {"seg-end-ms", NULL, false, {NULL}, 0},
    {"release-at-ms", NULL, false, {NULL}, 0},
    {"share", NULL, false, {NULL}, 0},
    {"after", NULL, false, {NULL}, 0},
    {"limit", NULL, false, {NULL}, 0},
    {"channel", NULL, false, {NULL}, 0},
    {"ttl-ms", NULL, false, {NULL}, 0},
    {"hold-ttl-min-ms", NULL, false, {NULL}, 0},
    {"hold-ttl-max-ms", NULL, false, {NULL}, 0},
    {"session-max", NULL, false, {NULL}, 0},
    {"session-idle-ms", NULL, false, {NULL}, 0},
    {"retain-ms", NULL, false, {NULL}, 0},
    {"retain-max", NULL, false, {NULL}, 0},
};

/* Which options each command accepts (besides the global ones). */
static bool optAllowed(const char *cmd, const char *opt)
{
    static const struct {
        const char *cmd;
        const char *opts;
    } allowed[] = {
        {"member", " role "},
        {"pool",
         " capacity kind fee-cents seg-start-ms seg-end-ms release-at-ms share "
         "after limit "},
        {"hold", " channel ttl-ms "},
        {"config",
         " hold-ttl-min-ms hold-ttl-max-ms session-max session-idle-ms "
         "retain-ms retain-max "},
    };
    char key[64];
    snprintf(key, sizeof key, " %s ", opt);
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
        if (strcmp(allowed[i].cmd, cmd) == 0 &&
            strstr(allowed[i].opts, key) != NULL) {
            return true;
        }
    }
    return false;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    /* --json first, so that even a usage error is reported as JSON. */
    for (int i = 1; i < argc; i++) {
        g_json = g_json || strcmp(argv[i], "--json") == 0;
    }
    struct cli cl;
    int n_opts = (int)(sizeof g_opts / sizeof g_opts[0]);
    int ex = parseArgs(argc - 1, argv + 1, g_opts, n_opts, &cl, NULL);
    if (ex != EXIT_OK_) {
        return ex;
    }
    const char *cmd = cl.n_pos > 0 ? cl.pos[0] : NULL;
    if (cmd == NULL) {
        if (cl.help) {
            fputs(usage_main, stdout);
            return EXIT_OK_;
        }
        fputs(usage_main, stderr);
        return EXIT_USAGE;
    }
    const struct cmdhelp *h = helps;
    while (h->name != NULL && strcmp(h->name, cmd) != 0) {
        h++;
    }
    if (h->name == NULL) {
        return usageError(NULL, "unknown command '%s' (see slotctl --help)",
                          cmd);
    }
    if (cl.help) {
        fputs(h->text, stdout);
        return EXIT_OK_;
    }
    for (int k = 4; k < n_opts; k++) {
        if (g_opts[k].value != NULL && !optAllowed(cmd, g_opts[k].name)) {
            return usageError(cmd, "%s does not take --%s", cmd,
                              g_opts[k].name);
        }
    }
    struct ctx x;
    memset(&x, 0, sizeof x);
    slotc_options_init(&x.o);
    x.o.cluster = optVal(&cl, "cluster") != NULL ? optVal(&cl, "cluster")
                                                 : DEFAULT_CLUSTER;
    x.o.sessions_max = 1;
    x.o.queue_max = 64;
    x.stale = optVal(&cl, "stale") != NULL;
    uint64_t t = 5000;
    if (optVal(&cl, "timeout") != NULL &&
        (!parseU64(optVal(&cl, "timeout"), 3600000, &t) || t == 0)) {
        return usageError(cmd, "--timeout is 1..3600000 ms");
    }
    x.timeout_ms = (uint32_t)t;
    x.o.timeout_ms = (uint32_t)t;
    if (strcmp(cmd, "status") == 0) {
        return cmdStatus(&x, &cl);
    }
    if (strcmp(cmd, "member") == 0) {
        return cmdMember(&x, &cl);
    }
    if (strcmp(cmd, "pool") == 0) {
        return cmdPool(&x, &cl);
    }
    if (strcmp(cmd, "hold") == 0) {
        return cmdHold(&x, &cl);
    }
    if (strcmp(cmd, "show") == 0) {
        return cmdShow(&x, &cl);
    }
    if (strcmp(cmd, "config") == 0) {
        return cmdConfig(&x, &cl);
    }
    return cmdId(&x, &cl, cmd);
}
