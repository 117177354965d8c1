/* sys_slot: our own system under test, a slotd cluster (started here on
 * free ports unless --cluster names one) and, in http mode, slot-gateway
 * in front of it. Administration and the end-of-run check always go
 * through libslot's blocking face, straight to the cluster. */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libslot.h"
#include "tcluster.h"
#include "hosp.h"
#include "httpc.h"
#include "sys.h"

#define ADMIN_TIMEOUT_MS 10000u
#define LEADER_WAIT_MS   15000
#define GATEWAY_WAIT_MS  10000

static const char *const CHANNELS[BENCH_CHANNELS] = {"app", "wechat", "114",
                                                     "kiosk"};

static int openAdmin(struct sys *s, const char *addrs)
{
    struct slotc_options o;
    slotc_options_init(&o);
    o.cluster = addrs;
    o.timeout_ms = ADMIN_TIMEOUT_MS;
    return slotc_sync_open(&o, &s->admin) == SLOT_OK ? 0 : -1;
}

/* GET /healthz answers 200 (a blocking probe, 500 ms at most). */
static bool gatewayHealthy(const char *target)
{
    char host[64], buf[160];
    const char *colon = strrchr(target, ':');
    if (colon == NULL || (size_t)(colon - target) >= sizeof host) {
        return false;
    }
    snprintf(host, sizeof host, "%.*s", (int)(colon - target), target);
    int n = snprintf(buf, sizeof buf,
                     "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", target);
    return httpc_sync(host, atoi(colon + 1), buf, (size_t)n, 500, NULL, NULL) ==
           200;
}

static int startGateway(struct sys *s, struct run *r)
{
    const struct cfg *c = s->cfg;
    char path[400], log[400];
    int port;
    if (c->gateway_url != NULL) {
        snprintf(r->target, sizeof r->target, "%s", c->gateway_url);
        return gatewayHealthy(r->target) ? 0 : -1;
    }
    if (access(c->gateway, X_OK) != 0) {
        fprintf(stderr,
                "slotbench: slot-gateway not built (%s): http mode needs it "
                "(or --gateway-url HOST:PORT of a running one)\n",
                c->gateway);
        return -1;
    }
    if (proc_tmpdir(s->gw_dir, sizeof s->gw_dir, "SLOTBENCH_TMP", "/var/tmp",
                    "slotbench-gw-") != 0 ||
        proc_free_ports(&port, 1) != 0) {
        return -1;
    }
    snprintf(r->target, sizeof r->target, "127.0.0.1:%d", port);
    /* Tokens are per run: nothing else can use this gateway. */
    unsigned long tag = (unsigned long)getpid() ^ (unsigned long)time(NULL);
    json_t *tokens = json_object();
    for (int i = 0; i < BENCH_CHANNELS; i++) {
        snprintf(r->token[i], sizeof r->token[i], "bench-%s-%08lx", CHANNELS[i],
                 tag);
        json_object_set_new(tokens, r->token[i], json_string(CHANNELS[i]));
    }
    snprintf(r->admin_token, sizeof r->admin_token, "bench-admin-%08lx", tag);
    json_object_set_new(tokens, r->admin_token, json_string("admin"));
    json_t *conf = json_pack(
        "{s:s,s:s,s:o,s:s,s:{s:i,s:i,s:i},s:{s:i}}", "listen", r->target,
        "cluster", r->addrs, "tokens", tokens, "access_log", "", "limits",
        "patient_rate_per_s", (int)c->gw_patient_rate, "inflight_max",
        (int)c->gw_inflight_max, "queue_target_ms", (int)c->gw_queue_target_ms,
        "client", "sessions", (int)c->sessions);
    snprintf(path, sizeof path, "%s/gateway.json", s->gw_dir);
    snprintf(log, sizeof log, "%s/gateway.log", s->gw_dir);
    if (conf != NULL && c->gateways > 1) {
        /* Several processes on one port: the kernel spreads connections;
         * each has its own budget and rate-limit table. */
        json_object_set_new(conf, "reuse_port", json_true());
    }
    if (conf != NULL && c->gw_events_max > 0) {
        /* fanout: a stream per subscriber (the default is 64). */
        json_object_set_new(json_object_get(conf, "limits"), "events_max",
                            json_integer(c->gw_events_max));
    }
    if (conf != NULL && c->gw_events_shared >= 0) {
        json_object_set_new(json_object_get(conf, "limits"),
                            "events_shared_max",
                            json_integer(c->gw_events_shared));
    }
    if (conf == NULL || json_dump_file(conf, path, JSON_INDENT(2)) != 0) {
        json_decref(conf);
        return -1;
    }
    json_decref(conf);
    char *argv[] = {(char *)c->gateway, "--config", path, NULL};
    for (uint32_t g = 0; g < c->gateways; g++) {
        char glog[420];
        snprintf(glog, sizeof glog, "%s.%u", log, g + 1);
        if (proc_spawn(&s->gateway[g], "slot-gateway", argv,
                       g == 0 ? log : glog) != 0) {
            return -1;
        }
    }
    long long end = tclock_mono_ms() + GATEWAY_WAIT_MS;
    while (tclock_mono_ms() < end) {
        for (uint32_t g = 0; g < c->gateways; g++) {
            if (proc_exited(&s->gateway[g])) {
                fprintf(stderr,
                        "slotbench: slot-gateway %u exited at start (log %s)\n",
                        g + 1, log);
                return -1;
            }
        }
        /* One answers: the others bound the same port before it (a
         * process binds before it serves /healthz, and they were started
         * first); each is checked alive above. */
        if (gatewayHealthy(r->target)) {
            return 0;
        }
        tclock_sleep_ms(50);
    }
    fprintf(stderr,
            "slotbench: slot-gateway not healthy within %d ms (log %s)\n",
            GATEWAY_WAIT_MS, log);
    return -1;
}

static int slotStart(struct sys *s, struct run *r)
{
    const struct cfg *c = s->cfg;
    s->run = r;
    if (c->cluster != NULL) {
        r->addrs = c->cluster;
        s->own_cluster = false;
    } else {
        /* slotd's own defaults (the tests' shorter election timeout is
         * not what production runs), logs at info (snapshots and stalls:
         * slotStalls() reads them), data on a real disk. */
        struct tcluster_options o;
        tcluster_options_init(&o);
        o.slotd = c->slotd;
        o.tmp_env = "SLOTBENCH_TMP";
        o.tmp_base = "/var/tmp";
        o.dir_prefix = "slotbench-";
        o.election_ms = 0;
        o.heartbeat_ms = 0;
        o.log_level = "info";
        o.env_args = false;
        o.leader_timeout_ms = LEADER_WAIT_MS;
        o.start_attempts = 1;
        o.n_extra = c->n_slotd_args;
        for (int i = 0; i < c->n_slotd_args; i++) {
            o.extra[i] = c->slotd_args[i];
        }
        if (tcluster_start_opts(&s->cl, &o, c->nodes, 0) != 0) {
            return -1;
        }
        s->own_cluster = true;
        r->addrs = s->cl.cluster;
    }
    if (openAdmin(s, r->addrs) != 0) {
        return -1;
    }
    /* fanout: the subscribers' gateway, in both of its runs (the same
     * system; only the subscribers differ). */
    if ((c->mode == MODE_HTTP || c->scenario == SC_FANOUT) &&
        startGateway(s, r) != 0) {
        return -1;
    }
    return 0;
}

static int slotConfigure(struct sys *s, uint32_t ttl_min, uint32_t ttl_max)
{
    struct slotc_config cfg = {
        .hold_ttl_min_ms = ttl_min,
        .hold_ttl_max_ms = ttl_max,
        .session_max = 16384,
        .session_idle_ms = 60ull * 60 * 1000,
        .retain_ms = 24ull * 60 * 60 * 1000,
        .retain_max = 4000000,
    };
    struct slotc_req req;
    slotc_req_init(&req);
    int rc = slotc_sync_config(s->admin, &req, &cfg);
    if (rc != SLOT_OK) {
        fprintf(stderr, "slotbench: config: %s\n", slotc_err_name(rc));
        return -1;
    }
    return 0;
}

/* A free-standing pool, or with --rules one of the hospital's scheduled
 * pools (hosp.h: its place, segment and buckets). */
static int slotCreatePool(struct sys *s, struct run *r, uint32_t i,
                          int64_t release_wall_ms)
{
    uint64_t release = release_wall_ms > 0 ? (uint64_t)release_wall_ms : 0;
    struct hosp_pool hp;
    struct slotc_pool_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.pool = r->pool[i].id;
    spec.capacity = r->pool[i].capacity;
    spec.kind = SLOTC_KIND_EXPERT;
    spec.fee_cents = 5000;
    spec.release_at_ms = release;
    if (r->hosp != NULL) {
        hosp_burst_spec(r->hosp, i, r->pool[i].id, r->pool[i].capacity, release,
                        &hp);
        spec = hp.spec;
    }
    struct slotc_req req;
    slotc_req_init(&req);
    int rc = slotc_sync_pool_create(s->admin, &req, &spec);
    if (rc != SLOT_OK) {
        fprintf(stderr, "slotbench: pool_create %s: %s\n", spec.pool,
                slotc_err_name(rc));
        return -1;
    }
    return 0;
}

/* Node i's STATUS (the one node of an external cluster: i 0, whichever
 * node the client reaches) into *out: 0, or -1 if it is not running or
 * did not answer within a second. Counters only: without SLOTC_NO_HASH
 * every node serialised its whole ledger on its loop for the state hash,
 * at each steady point's start and end (186-625 ms turns on a CPU, every
 * node in turn, the leader included: its slow-turn log line showed
 * nothing applied nor answered). */
static int nodeStatus(struct sys *s, int i, struct slotc_node_status *out)
{
    struct slotc_req req;
    slotc_req_init(&req);
    req.timeout_ms = 1000;
    req.flags = SLOTC_NO_HASH;
    if (s->own_cluster) {
        if (s->cl.node[i].pid == 0) {
            return -1;
        }
        req.node = s->cl.client[i];
    }
    if (slotc_sync_status(s->admin, &req) != SLOT_OK) {
        return -1;
    }
    *out = *req.out.status;
    return 0;
}

static int slotCounters(struct sys *s, struct sys_counters *out)
{
    memset(out, 0, sizeof *out);
    int n = s->own_cluster ? s->cl.n : 1;
    out->n = n;
    for (int i = 0; i < n; i++) {
        struct slotc_node_status st;
        if (nodeStatus(s, i, &st) == 0) {
            out->ok[i] = true;
            out->entries[i] = st.entries_applied;
            out->commands[i] = st.commands_applied;
        }
        if (s->own_cluster && s->cl.node[i].pid != 0) {
            procstat_read(s->cl.node[i].pid, &out->cpu[i]);
        }
    }
    int gws = 0;
    bool gw_ok = true;
    for (int g = 0; g < SYS_GATEWAYS_MAX; g++) {
        struct procstat one;
        if (s->gateway[g].pid == 0) {
            continue;
        }
        gws++;
        gw_ok = gw_ok && procstat_read(s->gateway[g].pid, &one) == 0;
        out->gateways.run_ns += one.run_ns;
        out->gateways.wait_ns += one.wait_ns;
        out->gateways.runs += one.runs;
        out->gateways.preempted += one.preempted;
    }
    out->gateways.ok = gws > 0 && gw_ok;
    procstat_read(0, &out->generator);
    out->at_ns = uv_hrtime();
    return 0;
}

static int slotPoolState(struct sys *s, const char *pool, struct pool_state *o)
{
    struct slotc_req req;
    slotc_req_init(&req);
    int rc = slotc_sync_read_pool(s->admin, &req, pool);
    if (rc != SLOT_OK) {
        return -1;
    }
    const struct slotc_pool *p = &req.out.pools[0];
    o->capacity = p->capacity;
    o->free = p->free;
    o->held = p->held;
    o->booked = p->booked;
    return 0;
}

static int slotResolve(struct sys *s, const char *pool, const char *patient,
                       bool *booked, struct booking *b)
{
    struct slotc_req req;
    slotc_req_init(&req);
    *booked = false;
    if (slotc_sync_read_patient(s->admin, &req, pool, patient) != SLOT_OK) {
        return -1;
    }
    if (req.out.n_claims > 0 && req.out.claims[0].state == SLOTC_CLAIM_BOOKED) {
        *booked = true;
        b->id = req.out.claims[0].id;
        b->visit_no = req.out.claims[0].visit_no;
    }
    return 0;
}

static int slotSlots(struct sys *s, const char *pool, uint32_t **out,
                     uint32_t *n)
{
    (void)s;
    (void)pool;
    *out = NULL;
    *n = 0;
    return 0;
}

static json_t *slotDescribe(struct sys *s)
{
    const struct cfg *c = s->cfg;
    json_t *args = json_array();
    for (int i = 0; i < c->n_slotd_args; i++) {
        json_array_append_new(args, json_string(c->slotd_args[i]));
    }
    json_t *d = json_pack(
        "{s:s,s:i,s:b,s:o,s:s,s:s}", "system", "slot", "nodes",
        s->own_cluster ? s->cl.n : 0, "own_cluster", s->own_cluster,
        "slotd_args", args, "durability",
        "raft log fsync'd before an entry counts (slotd default, not "
        "configurable)",
        "data_fs", s->own_cluster ? proc_fs_type(s->cl.dir) : "external");
    if (c->mode == MODE_HTTP || c->scenario == SC_FANOUT) {
        json_object_set_new(
            d, "gateway",
            json_pack("{s:s,s:i,s:i,s:i,s:i,s:i,s:s}", "url", s->run->target,
                      "patient_rate_per_s", (int)c->gw_patient_rate,
                      "inflight_max", (int)c->gw_inflight_max,
                      "queue_target_ms", (int)c->gw_queue_target_ms,
                      "processes", (int)c->gateways, "sessions",
                      (int)c->sessions, "access_log", "off"));
    }
    return d;
}

/* One kind of line slotd logs about a stall: how many, and the largest
 * figure that follows the marker ("slow disk: log append took 286 ms"). */
struct stallKind {
    const char *key, *marker, *number_after;
    uint64_t count, max;
};

static void scanLog(const char *path, struct stallKind *k, int n)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    for (int lines = 0;
         f != NULL && lines < 1000000 && fgets(line, sizeof line, f); lines++) {
        for (int i = 0; i < n; i++) {
            const char *m = strstr(line, k[i].marker);
            if (m == NULL) {
                continue;
            }
            k[i].count++;
            const char *v =
                k[i].number_after ? strstr(m, k[i].number_after) : NULL;
            if (v != NULL) {
                unsigned long long x =
                    strtoull(v + strlen(k[i].number_after), NULL, 10);
                k[i].max = x > k[i].max ? x : k[i].max;
            }
        }
    }
    if (f != NULL) {
        fclose(f);
    }
}

/* The nodes log (node/iofail.c, node/node.c) every disk request slower than
 * 100 ms, every loop turn longer than 50 ms, and every snapshot: the
 * causes of a latency tail, seen from inside. */
static json_t *slotStalls(struct sys *s)
{
    if (!s->own_cluster) {
        return NULL;
    }
    struct stallKind k[] = {
        {"slow_disk", "slow disk:", " took ", 0, 0},
        {"slow_loop_turn", "slow loop turn:", "turn: ", 0, 0},
        {"snapshot_by_child", "encoded by a child in", "child in ", 0, 0},
        {"snapshot_inline", "encoded on the loop", "loop: taken, ", 0, 0},
        {"snapshot_fork_pause_us", "encoded by a child in", "paused ", 0, 0},
    };
    int n = (int)(sizeof k / sizeof k[0]);
    for (int i = 0; i < s->cl.n; i++) {
        char path[300];
        snprintf(path, sizeof path, "%s/n%d.log", s->cl.dir, i + 1);
        scanLog(path, k, n);
    }
    json_t *o = json_object();
    for (int i = 0; i < n; i++) {
        json_object_set_new(o, k[i].key,
                            json_pack("{s:I,s:I}", "count",
                                      (json_int_t)k[i].count, "max",
                                      (json_int_t)k[i].max));
    }
    /* The commit path's stalls as the nodes count them (STATUS: turns of
     * >= 5 ms while leading), summed over the nodes alive now (a node
     * restarted in the run counts from its restart). */
    uint64_t stalls = 0, stall_max = 0;
    int asked = 0;
    for (int i = 0; i < s->cl.n && s->admin != NULL; i++) {
        struct slotc_node_status st;
        if (nodeStatus(s, i, &st) == 0) {
            asked++;
            stalls += st.leader_stalls;
            if (st.leader_stall_max_us > stall_max) {
                stall_max = st.leader_stall_max_us;
            }
        }
    }
    json_object_set_new(o, "leader_stalls",
                        json_pack("{s:I,s:I,s:i}", "count", (json_int_t)stalls,
                                  "max_us", (json_int_t)stall_max, "nodes",
                                  asked));
    return o;
}

static void slotStop(struct sys *s)
{
    if (s->admin != NULL) {
        slotc_sync_close(s->admin);
        s->admin = NULL;
    }
    for (int g = 0; g < SYS_GATEWAYS_MAX; g++) {
        if (s->gateway[g].pid != 0) {
            proc_stop(&s->gateway[g], 5000, NULL, 0);
        }
    }
    if (s->gw_dir[0] != '\0') {
        proc_rmrf(s->gw_dir);
        s->gw_dir[0] = '\0';
    }
    if (s->own_cluster) {
        if (getenv("SLOTBENCH_KEEP") != NULL) {
            setenv("KEEP_CLUSTER_DIR", "1", 1);
        }
        if (tcluster_stop(&s->cl) != 0) {
            fprintf(stderr, "slotbench: a node ended badly (see above)\n");
        }
        s->own_cluster = false;
    }
}

int sys_slot_leader(struct sys *s, int timeout_ms)
{
    return s->own_cluster ? tcluster_leader(&s->cl, timeout_ms) : -1;
}

void sys_slot_kill(struct sys *s, int node)
{
    tcluster_signal(&s->cl, node, SIGKILL);
}

int sys_slot_restart(struct sys *s, int node)
{
    return tcluster_start_node(&s->cl, node);
}

const struct sys_vt sys_slot = {
    .name = "slot",
    .start = slotStart,
    .configure = slotConfigure,
    .create_pool = slotCreatePool,
    .counters = slotCounters,
    .pool_state = slotPoolState,
    .resolve = slotResolve,
    .slots = slotSlots,
    .describe = slotDescribe,
    .stalls = slotStalls,
    .stop = slotStop,
};
