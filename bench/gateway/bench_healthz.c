/* bench_healthz: what a health probe costs with a large ledger
 * (`make bench-healthz`, results in bench/results/healthz.json).
 *
 *   bench_healthz [--claims N] [--duration S] [--out FILE]
 *
 * Starts a local 3-node slotd cluster (node/testlib: free ports, its own
 * directory), loads N claims into it (default 1,000,000 holds of distinct
 * patients with a one-hour TTL, over pools of 100,000 slots, through
 * libslot's async client with thousands in flight), starts one
 * slot-gateway, and measures GET /healthz with wrk on ONE connection for
 * S seconds (default 10). wrk's Lua `done` hook (healthz.lua) prints the
 * latency percentiles as JSON; this program turns them into FILE with the
 * run's conditions (load average, cores, claims actually in the ledger).
 * For scale it also times one READ_LEDGER with and without the state hash
 * (SLOTC_NO_HASH), the difference /healthz no longer pays.
 *
 * Binaries: slotd as tcluster finds it ($SLOTD, else build/rel/bin/slotd),
 * slot-gateway from $SLOT_GATEWAY or beside this binary, wrk on $PATH,
 * healthz.lua from $HEALTHZ_LUA or bench/gateway/ under the current
 * directory. The nodes keep their data under $HEALTHZ_TMP (default /tmp).
 * /healthz asks the node for its own STATUS (no raft barrier).
 * Everything it starts is stopped by pid; every wait is bounded. Exit status 0
 * only if every claim was loaded, wrk ran without a single error and the JSON
 * was written.
 */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "libslot.h"
#include "proc.h"
#include "tclock.h"
#include "tcluster.h"
#include "tgateway.h"

#define POOL_SLOTS   100000u   /* slots per pool (the protocol's maximum) */
#define HOLD_TTL_MS  3600000u  /* the claims outlive the run */
#define TTL_MAX_MS   86400000u /* the ledger's configured maximum, raised */
#define IN_FLIGHT    4096u     /* holds submitted and not answered */
#define RETRIES_MAX  8         /* per hold, for retryable answers */
#define LOAD_MS      600000    /* bound of the whole load */
#define GW_START_MS  30000     /* bound of the gateway's start */
#define WRK_SLACK_MS 60000     /* wrk's bound beyond its duration */

struct loader {
    struct slotc *c;
    uint32_t next;  /* next patient index to submit */
    uint32_t total; /* claims to make */
    uint32_t done;  /* answered for good */
    uint32_t ok;
    uint32_t in_flight;
    int fatal; /* the first non-retryable error, or SLOT_OK */
    struct hold *slots;
};

struct hold {
    struct loader *ld;
    struct slotc_req req;
    uint32_t patient;
    int tries;
};

static void submitHold(struct hold *h);

static bool retryable(int st)
{
    return st == SLOT_TIMEOUT || st == SLOT_UNAVAILABLE ||
           st == SLOT_OUTCOME_UNKNOWN || st == SLOT_BUSY ||
           st == SLOT_NO_LEADER || st == SLOT_NOT_LEADER;
}

static void holdCb(struct slotc_req *req)
{
    struct hold *h = req->data;
    struct loader *ld = h->ld;
    ld->in_flight--;
    int st = req->status;
    /* PATIENT_HAS_CLAIM on a retry: an earlier attempt was applied. */
    if (st == SLOT_OK || (st == SLOT_PATIENT_HAS_CLAIM && h->tries > 0)) {
        ld->ok++;
        ld->done++;
    } else if (retryable(st) && h->tries < RETRIES_MAX) {
        h->tries++;
        submitHold(h);
        return;
    } else {
        if (ld->fatal == SLOT_OK) {
            ld->fatal = st;
        }
        ld->done++;
    }
    if (ld->next < ld->total && ld->fatal == SLOT_OK) {
        h->patient = ld->next++;
        h->tries = 0;
        submitHold(h);
    }
}

static void submitHold(struct hold *h)
{
    struct loader *ld = h->ld;
    char pool[32], patient[32];
    snprintf(pool, sizeof pool, "hz/pool-%03u", h->patient / POOL_SLOTS);
    snprintf(patient, sizeof patient, "hz-patient-%08u", h->patient);
    slotc_req_init(&h->req);
    h->req.data = h;
    int rc =
        slotc_hold(ld->c, &h->req, pool, patient, "bench", HOLD_TTL_MS, holdCb);
    if (rc != SLOT_OK) {
        if (ld->fatal == SLOT_OK) {
            ld->fatal = rc;
        }
        ld->done++;
        return;
    }
    ld->in_flight++;
}

static void closedCb(void *data)
{
    *(bool *)data = true;
}

/* Raises the hold TTL maximum, creates the pools and makes `claims` holds.
 * Returns the number made (== claims on success). */
static uint32_t load(const char *cluster, uint32_t claims, double *secs)
{
    struct slotc_options o;
    slotc_options_init(&o);
    o.cluster = cluster;
    o.timeout_ms = 30000;
    struct slotc_sync *s = NULL;
    if (slotc_sync_open(&o, &s) != SLOT_OK) {
        return 0;
    }
    struct slotc_req q;
    slotc_req_init(&q);
    q.flags = SLOTC_NO_HASH;
    int rc = slotc_sync_read_ledger(s, &q);
    struct slotc_config cfg =
        rc == SLOT_OK ? q.out.ledger->config : (struct slotc_config){0};
    cfg.hold_ttl_max_ms = TTL_MAX_MS;
    slotc_req_init(&q);
    if (rc != SLOT_OK || (rc = slotc_sync_config(s, &q, &cfg)) != SLOT_OK) {
        fprintf(stderr, "bench_healthz: config: %s\n", slotc_err_name(rc));
        slotc_sync_close(s);
        return 0;
    }
    uint32_t pools = (claims + POOL_SLOTS - 1) / POOL_SLOTS;
    for (uint32_t i = 0; i < pools; i++) {
        char name[32];
        snprintf(name, sizeof name, "hz/pool-%03u", i);
        struct slotc_pool_spec sp;
        memset(&sp, 0, sizeof sp);
        sp.pool = name;
        sp.capacity = POOL_SLOTS;
        slotc_req_init(&q);
        rc = slotc_sync_pool_create(s, &q, &sp);
        if (rc != SLOT_OK && rc != SLOT_POOL_EXISTS) {
            fprintf(stderr, "bench_healthz: pool %s: %s\n", name,
                    slotc_err_name(rc));
            slotc_sync_close(s);
            return 0;
        }
    }
    slotc_sync_close(s);

    uv_loop_t loop;
    uv_loop_init(&loop);
    o.sessions_max = SLOTC_SESSIONS_MAX;
    o.queue_max = 2 * IN_FLIGHT;
    o.timeout_ms = 60000;
    struct loader ld = {.total = claims, .fatal = SLOT_OK};
    uint32_t width = claims < IN_FLIGHT ? claims : IN_FLIGHT;
    ld.slots = calloc(width, sizeof *ld.slots);
    if (ld.slots == NULL || slotc_open(&loop, &o, &ld.c) != SLOT_OK) {
        free(ld.slots);
        uv_loop_close(&loop);
        return 0;
    }
    long long t0 = tclock_mono_ms();
    for (uint32_t i = 0; i < width; i++) {
        ld.slots[i].ld = &ld;
        ld.slots[i].patient = ld.next++;
        submitHold(&ld.slots[i]);
    }
    /* The loop ends when nothing is pending; LOAD_MS bounds it anyway (each
     * request has its own 60 s deadline, so this is a backstop). */
    while (ld.in_flight > 0 && tclock_mono_ms() - t0 < LOAD_MS) {
        uv_run(&loop, UV_RUN_ONCE);
    }
    *secs = (double)(tclock_mono_ms() - t0) / 1000.0;
    bool closed = false;
    slotc_close(ld.c, closedCb, &closed);
    for (int i = 0; i < 100000 && !closed; i++) {
        uv_run(&loop, UV_RUN_ONCE);
    }
    uv_loop_close(&loop);
    free(ld.slots);
    if (ld.fatal != SLOT_OK) {
        fprintf(stderr, "bench_healthz: hold: %s\n", slotc_err_name(ld.fatal));
    }
    return ld.ok;
}

/* One READ_LEDGER on the leader, with or without the state hash: the
 * fastest of `n` (ms), and the ledger's figures. */
static double readLedgerMs(const char *cluster, bool hash, int n,
                           struct slotc_ledger_info *info)
{
    struct slotc_options o;
    slotc_options_init(&o);
    o.cluster = cluster;
    o.timeout_ms = 30000;
    struct slotc_sync *s = NULL;
    if (slotc_sync_open(&o, &s) != SLOT_OK) {
        return -1;
    }
    double best = -1;
    for (int i = 0; i < n; i++) {
        struct slotc_req q;
        slotc_req_init(&q);
        q.flags = hash ? 0 : SLOTC_NO_HASH;
        uint64_t t0 = uv_hrtime();
        if (slotc_sync_read_ledger(s, &q) != SLOT_OK) {
            break;
        }
        double ms = (double)(uv_hrtime() - t0) / 1e6;
        best = best < 0 || ms < best ? ms : best;
        *info = *q.out.ledger;
    }
    slotc_sync_close(s);
    return best;
}

static void loadavg(double la[3])
{
    la[0] = la[1] = la[2] = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f != NULL) {
        if (fscanf(f, "%lf %lf %lf", &la[0], &la[1], &la[2]) != 3) {
            la[0] = la[1] = la[2] = -1;
        }
        fclose(f);
    }
}

static json_t *loadavgJson(const double la[3])
{
    return json_pack("[f,f,f]", la[0], la[1], la[2]);
}

/* The JSON line healthz.lua's done() printed into wrk's output. */
static json_t *wrkResult(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return NULL;
    }
    static const char mark[] = "HEALTHZ_JSON ";
    char line[4096];
    json_t *j = NULL;
    while (j == NULL && fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, mark, sizeof mark - 1) == 0) {
            j = json_loads(line + sizeof mark - 1, 0, NULL);
        }
    }
    fclose(f);
    return j;
}

static double num(json_t *o, const char *k)
{
    return json_number_value(json_object_get(o, k));
}

/* Starts the gateway (access log off: the probe's path alone) and waits
 * until /healthz answers 200. */
static int startGateway(struct tgateway *gw, const struct tcluster *t)
{
    const struct tgateway_config c = {
        .cluster = t->cluster,
        .tokens = "\"bench-admin-token\":\"admin\"",
        .access_log = "",
    };
    return tgateway_start(gw, t->dir, "gw", &c, GW_START_MS);
}

/* Runs wrk on one connection; its output goes to out_path. */
static int runWrk(int port, int duration_s, const char *out_path)
{
    char lua[512], url[64], dur[16];
    const char *env = getenv("HEALTHZ_LUA");
    snprintf(lua, sizeof lua, "%s",
             env != NULL && env[0] != '\0' ? env : "bench/gateway/healthz.lua");
    snprintf(url, sizeof url, "http://127.0.0.1:%d/healthz", port);
    snprintf(dur, sizeof dur, "%ds", duration_s);
    char *argv[] = {"wrk",       "-t1", "-c1", "-d", dur,
                    "--latency", "-s",  lua,   url,  NULL};
    struct proc w;
    if (proc_spawn(&w, "wrk", argv, out_path) != 0) {
        return -1;
    }
    long long until = tclock_mono_ms() + duration_s * 1000LL + WRK_SLACK_MS;
    while (!proc_exited(&w) && tclock_mono_ms() < until) {
        tclock_sleep_ms(50);
    }
    char why[512];
    if (proc_stop(&w, 1000, why, sizeof why) != 0) {
        fprintf(stderr, "bench_healthz: wrk: %s\n", why);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    uint32_t claims = 1000000;
    int duration_s = 10;
    const char *out = "bench/results/healthz.json";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--claims") == 0 && i + 1 < argc) {
            claims = (uint32_t)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--duration") == 0 && i + 1 < argc) {
            duration_s = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
            out = argv[++i];
        } else {
            fprintf(stderr, "usage: bench_healthz [--claims N] [--duration S] "
                            "[--out FILE]\n");
            return 2;
        }
    }
    if (claims == 0 || duration_s < 1) {
        fprintf(stderr, "bench_healthz: --claims >= 1, --duration >= 1\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    struct tcluster_options co;
    tcluster_options_init(&co);
    co.dir_prefix = "slot-bench-healthz-";
    co.tmp_env = "HEALTHZ_TMP"; /* where the nodes keep their data */
    co.election_ms = 0;         /* slotd's own defaults, not the tests' */
    co.heartbeat_ms = 0;
    struct tcluster t;
    if (tcluster_start_opts(&t, &co, 3, 0) != 0) {
        return 1;
    }
    int rc = 1;
    struct tgateway gw;
    memset(&gw, 0, sizeof gw);
    json_t *res = NULL;
    double load_s = 0;
    fprintf(stderr, "bench_healthz: loading %u claims...\n", claims);
    uint32_t made = load(t.cluster, claims, &load_s);
    fprintf(stderr, "bench_healthz: %u claims in %.1f s\n", made, load_s);
    struct slotc_ledger_info info;
    memset(&info, 0, sizeof info);
    double no_hash_ms = readLedgerMs(t.cluster, false, 5, &info);
    double hash_ms = readLedgerMs(t.cluster, true, 3, &info);
    double la0[3], la1[3];
    char wrk_out[300];
    snprintf(wrk_out, sizeof wrk_out, "%s/wrk.out", t.dir);
    if (made != claims || info.holds_active < claims ||
        startGateway(&gw, &t) != 0) {
        goto done;
    }
    int port = gw.port;
    loadavg(la0);
    if (runWrk(port, duration_s, wrk_out) != 0) {
        goto done;
    }
    loadavg(la1);
    res = wrkResult(wrk_out);
    if (res == NULL) {
        fprintf(stderr, "bench_healthz: no result from wrk (see %s)\n",
                wrk_out);
        goto done;
    }
    json_t *lat = json_object_get(res, "latency_us");
    json_t *err = json_object_get(res, "errors");
    double errors = num(err, "connect") + num(err, "read") + num(err, "write") +
                    num(err, "status") + num(err, "timeout");
    double requests = num(res, "requests");
    double duration = num(res, "duration_us") / 1e6;
    json_t *o = json_object();
    json_object_set_new(o, "claims", json_integer(info.holds_active));
    json_object_set_new(o, "connections", json_integer(1));
    json_object_set_new(o, "requests", json_integer((json_int_t)requests));
    json_object_set_new(o, "errors", json_integer((json_int_t)errors));
    json_object_set_new(o, "requests_per_s",
                        json_real(duration > 0 ? requests / duration : 0));
    json_object_set_new(o, "p50_ms", json_real(num(lat, "p50") / 1000));
    json_object_set_new(o, "p90_ms", json_real(num(lat, "p90") / 1000));
    json_object_set_new(o, "p99_ms", json_real(num(lat, "p99") / 1000));
    json_object_set_new(o, "p999_ms", json_real(num(lat, "p999") / 1000));
    json_object_set_new(o, "max_ms", json_real(num(lat, "max") / 1000));
    json_object_set_new(o, "mean_ms", json_real(num(lat, "mean") / 1000));
    json_object_set_new(o, "duration_s", json_real(duration));
    json_object_set_new(o, "loadavg", loadavgJson(la1));
    json_object_set_new(o, "loadavg_before", loadavgJson(la0));
    json_object_set_new(o, "cpus", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
    json_object_set_new(o, "data_fs", json_string(proc_fs_type(t.dir)));
    json_object_set_new(o, "load_s", json_real(load_s));
    json_object_set_new(o, "read_ledger_with_hash_ms", json_real(hash_ms));
    json_object_set_new(o, "read_ledger_no_hash_ms", json_real(no_hash_ms));
    const char *commit = getenv("BENCH_COMMIT");
    json_object_set_new(o, "commit", json_string(commit ? commit : ""));
    json_object_set_new(o, "date_ms", json_integer(tclock_wall_ms()));
    json_object_set_new(
        o, "setup",
        json_string("3 slotd + 1 slot-gateway (access log off) + wrk -t1 -c1 "
                    "on one machine, 127.0.0.1; GET /healthz: the node's "
                    "STATUS with SLOTC_NO_HASH through libslot; claims: "
                    "holds of distinct patients, 1 h TTL, pools of 100000"));
    json_object_set_new(o, "wrk", json_deep_copy(res));
    if (json_dump_file(o, out,
                       JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                           JSON_REAL_PRECISION(6)) != 0) {
        fprintf(stderr, "bench_healthz: cannot write %s\n", out);
        json_decref(o);
        goto done;
    }
    char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                                   JSON_REAL_PRECISION(6));
    if (text != NULL) {
        printf("%s\n", text);
        free(text);
    }
    json_decref(o);
    rc = errors == 0 && requests > 0 ? 0 : 1;
    if (rc != 0) {
        fprintf(stderr, "bench_healthz: %g errors in %g requests\n", errors,
                requests);
    }
done:
    json_decref(res);
    if (gw.p.pid != 0 || gw.p.reaped) {
        char why[512];
        if (tgateway_stop(&gw, 30000, why, sizeof why) != 0) {
            fprintf(stderr, "bench_healthz: gateway: %s\n", why);
            rc = 1;
        }
    }
    if (tcluster_stop(&t) != 0) {
        rc = 1;
    }
    return rc;
}
