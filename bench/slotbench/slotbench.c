/* slotbench: the scalper-burst load generator (see bench/slotbench/README.md).
 *
 *   slotbench SCENARIO [--mode native|http|etcd|redis] [--option value]...
 *
 * Scenarios: burst, steady, expiry-storm, failover, overload, import. Every
 * run
 * writes bench/results/<scenario>-<mode>.json (--out to change) and prints
 * one summary line; `slotbench report` turns a results directory into
 * REPORT.md and plots (report.c). The main thread starts the system, runs
 * the phases (sim.h) and checks the outcome; workers generate the load.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "slot_err.h"
#include "bench.h"
#include "bjson.h"
#include "diskprobe.h"
#include "fanout.h"
#include "botprep.h"
#include "hosp.h"
#include "httpc.h"
#include "importer.h"
#include "tclock.h"
#include "tcluster.h"
#include "readme.h"
#include "report.h"
#include "runset.h"
#include "sim.h"
#include "smoke.h"
#include "sys.h"

#define MONITOR_MS        10
#define DISKPROBE_MS      20 /* one fsync of the probe every 20 ms */
#define PROGRESS_MS       1000
#define SERIES_BUCKET_MS  100
#define STORM_POLL_MS     10
#define STORM_WAIT_MS     30000
#define POOL_CAPACITY_MAX 100000u

static const char *const SCENARIOS[SC_N] = {
    "burst",    "steady", "expiry-storm", "failover",
    "overload", "import", "fanout"};
static const char *const MODES[MODE_N] = {"native", "http", "etcd", "redis"};

static volatile sig_atomic_t interrupted;

static void onSignal(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* ---- options ------------------------------------------------------------- */

enum {
    O_MODE = 256,
    O_SEED,
    O_THREADS,
    O_CONNS,
    O_SESSIONS,
    O_QUEUE,
    O_SHED,
    O_DEPTH,
    O_TIMEOUT,
    O_DRAIN,
    O_DURATION,
    O_OUT,
    O_RUN_SET,
    O_RESULTS,
    O_QUIET,
    O_SMOKE,
    O_NODES,
    O_CLUSTER,
    O_SLOTD,
    O_GATEWAY,
    O_GATEWAY_URL,
    O_GW_RATE,
    O_GW_INFLIGHT,
    O_GW_QUEUE_TARGET,
    O_CONN_REQS,
    O_RETRY_AFTER,
    O_GATEWAYS,
    O_SLOTD_ARG,
    O_POOLS,
    O_CAPACITY,
    O_PATIENTS,
    O_BOT_SHARE,
    O_BOT_POOLS,
    O_BOT_RETRY,
    O_BOT_PROBES,
    O_BOT_ABANDON,
    O_BOT_EARLY,
    O_BOT_NAMES,
    O_BOT_ACCOUNTS,
    O_ARRIVAL,
    O_RELEASE_IN,
    O_RETRY_MIN,
    O_RETRY_MAX,
    O_PATIENCE,
    O_PAY_MIN,
    O_PAY_MAX,
    O_ABANDON,
    O_TTL,
    O_POINTS,
    O_POINT_MS,
    O_WARMUP,
    O_CONFIRM_SHARE,
    O_FACTOR,
    O_PROBE_MS,
    O_OUTSTANDING,
    O_STORM_HOLDS,
    O_STORM_DEADLINE,
    O_LIVE_RATE,
    O_KILLS,
    O_KILL_FIRST,
    O_KILL_EVERY,
    O_RESTART,
    O_RULES,
    O_IMPORT_POOLS,
    O_IMPORT_TEMPLATES,
    O_IMPORT_INFLIGHT,
    O_COMMIT,
    O_SUBSCRIBERS,
    O_FANOUT_VIEWERS,
    O_FANOUT_DRAIN,
    O_GW_EVENTS_SHARED,
    O_HELP
};

static const struct option LONGOPTS[] = {
    {"mode", required_argument, NULL, O_MODE},
    {"seed", required_argument, NULL, O_SEED},
    {"threads", required_argument, NULL, O_THREADS},
    {"conns", required_argument, NULL, O_CONNS},
    {"sessions", required_argument, NULL, O_SESSIONS},
    {"queue-max", required_argument, NULL, O_QUEUE},
    {"shed", required_argument, NULL, O_SHED},
    {"depth", required_argument, NULL, O_DEPTH},
    {"timeout-ms", required_argument, NULL, O_TIMEOUT},
    {"drain-ms", required_argument, NULL, O_DRAIN},
    {"duration-ms", required_argument, NULL, O_DURATION},
    {"out", required_argument, NULL, O_OUT},
    {"run-set", required_argument, NULL, O_RUN_SET},
    {"results", required_argument, NULL, O_RESULTS},
    {"quiet", no_argument, NULL, O_QUIET},
    {"smoke", no_argument, NULL, O_SMOKE},
    {"nodes", required_argument, NULL, O_NODES},
    {"cluster", required_argument, NULL, O_CLUSTER},
    {"slotd", required_argument, NULL, O_SLOTD},
    {"gateway", required_argument, NULL, O_GATEWAY},
    {"gateway-url", required_argument, NULL, O_GATEWAY_URL},
    {"gw-patient-rate", required_argument, NULL, O_GW_RATE},
    {"gw-inflight-max", required_argument, NULL, O_GW_INFLIGHT},
    {"gw-queue-target-ms", required_argument, NULL, O_GW_QUEUE_TARGET},
    {"conn-reqs", required_argument, NULL, O_CONN_REQS},
    {"retry-after-ms", required_argument, NULL, O_RETRY_AFTER},
    {"gateways", required_argument, NULL, O_GATEWAYS},
    {"slotd-arg", required_argument, NULL, O_SLOTD_ARG},
    {"pools", required_argument, NULL, O_POOLS},
    {"capacity", required_argument, NULL, O_CAPACITY},
    {"patients", required_argument, NULL, O_PATIENTS},
    {"bot-share", required_argument, NULL, O_BOT_SHARE},
    {"bot-pools", required_argument, NULL, O_BOT_POOLS},
    {"bot-retry-ms", required_argument, NULL, O_BOT_RETRY},
    {"bot-probes", required_argument, NULL, O_BOT_PROBES},
    {"bot-abandon", required_argument, NULL, O_BOT_ABANDON},
    {"bot-early-ms", required_argument, NULL, O_BOT_EARLY},
    {"bot-names", required_argument, NULL, O_BOT_NAMES},
    {"bot-accounts", required_argument, NULL, O_BOT_ACCOUNTS},
    {"arrival-ms", required_argument, NULL, O_ARRIVAL},
    {"release-in-ms", required_argument, NULL, O_RELEASE_IN},
    {"retry-min-ms", required_argument, NULL, O_RETRY_MIN},
    {"retry-max-ms", required_argument, NULL, O_RETRY_MAX},
    {"patience-ms", required_argument, NULL, O_PATIENCE},
    {"pay-min-ms", required_argument, NULL, O_PAY_MIN},
    {"pay-max-ms", required_argument, NULL, O_PAY_MAX},
    {"abandon", required_argument, NULL, O_ABANDON},
    {"ttl-ms", required_argument, NULL, O_TTL},
    {"points", required_argument, NULL, O_POINTS},
    {"point-ms", required_argument, NULL, O_POINT_MS},
    {"warmup-ms", required_argument, NULL, O_WARMUP},
    {"confirm-share", required_argument, NULL, O_CONFIRM_SHARE},
    {"factor", required_argument, NULL, O_FACTOR},
    {"probe-ms", required_argument, NULL, O_PROBE_MS},
    {"outstanding-max", required_argument, NULL, O_OUTSTANDING},
    {"storm-holds", required_argument, NULL, O_STORM_HOLDS},
    {"storm-deadline-ms", required_argument, NULL, O_STORM_DEADLINE},
    {"live-rate", required_argument, NULL, O_LIVE_RATE},
    {"kills", required_argument, NULL, O_KILLS},
    {"kill-first-ms", required_argument, NULL, O_KILL_FIRST},
    {"kill-every-ms", required_argument, NULL, O_KILL_EVERY},
    {"restart-ms", required_argument, NULL, O_RESTART},
    {"rules", no_argument, NULL, O_RULES},
    {"import-pools", required_argument, NULL, O_IMPORT_POOLS},
    {"import-templates", required_argument, NULL, O_IMPORT_TEMPLATES},
    {"import-inflight", required_argument, NULL, O_IMPORT_INFLIGHT},
    {"commit", required_argument, NULL, O_COMMIT},
    {"subscribers", required_argument, NULL, O_SUBSCRIBERS},
    {"fanout-viewers", required_argument, NULL, O_FANOUT_VIEWERS},
    {"fanout-drain-ms", required_argument, NULL, O_FANOUT_DRAIN},
    {"gw-events-shared-max", required_argument, NULL, O_GW_EVENTS_SHARED},
    {"help", no_argument, NULL, O_HELP},
    {NULL, 0, NULL, 0},
};

static const char USAGE[] =
    "usage: slotbench SCENARIO [--mode MODE] [options]\n"
    "       slotbench report [RESULTS_DIR]   (REPORT.md + plots from the "
    "JSON)\n"
    "       slotbench readme [RESULTS_DIR]   (README's figures table)\n"
    "       slotbench runset start|note|seal|adopt DIR ...   (run sets)\n"
    "\n"
    "SCENARIO  burst | steady | expiry-storm | failover | overload | "
    "import |\n"
    "          fanout\n"
    "MODE      native (libslot, default) | http (slot-gateway) |\n"
    "          etcd | redis (peers; burst only)\n"
    "\n"
    "system:   --nodes N (3) --cluster ADDRS (use a running cluster)\n"
    "          --slotd PATH --slotd-arg ARG (repeatable) --gateway PATH\n"
    "          --gateway-url HOST:PORT --gw-patient-rate N (0: off)\n"
    "          --gw-inflight-max N (65536) --gw-queue-target-ms N (20; 0:\n"
    "          the gateway's budget fixed at inflight-max) --gateways N (1;\n"
    "          <= 4 slot-gateway processes on one port, reuse_port)\n"
    "load gen: --threads N (1) --conns N per thread (native 4, http 4000,\n"
    "          etcd and redis 64 in all; http <= 8192, else <= 256)\n"
    "          --sessions N (64) --queue-max N (16384)\n"
    "          --depth N (requests pipelined per connection: http 1, etcd 1,\n"
    "          redis 32)\n"
    "          --conn-reqs N (http 50; 0: never): answers per connection\n"
    "          before it is closed and opened again (churn)\n"
    "          --retry-after-ms N (1000): a burst hold refused OVERLOADED or\n"
    "          RATE_LIMITED is tried again after 0.5-1.5x this\n"
    "          --timeout-ms N (5000) --drain-ms N (3000) --seed N\n"
    "          --shed 0|1 (overload 1): refuse a new hold at once when the\n"
    "          connections are full, and take a node's BUSY as final\n"
    "burst:    --pools N (4) --capacity N (5000) --patients N (60000)\n"
    "          --bot-share F (0.1) --bot-pools N (2) --bot-retry-ms N (5)\n"
    "          --bot-probes N (2) --bot-abandon F (0.5) --bot-early-ms N "
    "(300)\n"
    "          --bot-names N (6) --bot-accounts N (1): with --rules, the\n"
    "          names and accounts each bot rotates (hosp.h)\n"
    "          --arrival-ms N (2000) --release-in-ms N (1500)\n"
    "          --retry-min-ms N (200) --retry-max-ms N (600)\n"
    "          --patience-ms N (15000) --pay-min-ms N (50) --pay-max-ms N "
    "(300)\n"
    "          --abandon F (0.1) --ttl-ms N (2000) --duration-ms N (30000)\n"
    "          --rules: the pools are scheduled pools of a hospital with\n"
    "          every rule on (hosp.h; burst and failover, native and http)\n"
    "steady:   --points LIST: c=N (N in flight), RATE (holds/s), xF (F x the\n"
    "          peak a closed-loop probe measures)  "
    "(c=1,x0.1,x0.3,x0.5,x0.7,x0.9)\n"
    "          --point-ms N (5000) --warmup-ms N (500) --confirm-share F "
    "(0.2)\n"
    "          --probe-ms N (3000) --outstanding-max N (200000)\n"
    "overload: --factor F (5) --probe-ms N --point-ms N\n"
    "storm:    --storm-holds N (100000) --storm-deadline-ms N (10000)\n"
    "          --live-rate N (2000)\n"
    "failover: --kills N (3) --kill-first-ms N (3000) --kill-every-ms N "
    "(6000)\n"
    "          --restart-ms N (2000)   (plus the burst options)\n"
    "import:   --import-pools N (10000) --import-templates N (50)\n"
    "          --import-inflight N (0: every template at once)\n"
    "          --timeout-ms N (30000)   (native only)\n"
    "fanout:   the race burst (native) alone, then again with SSE\n"
    "          subscribers through a slot-gateway: --subscribers N (1000)\n"
    "          --fanout-viewers admin|spread (admin: every one sees every\n"
    "          event; spread: admin and the 4 channels' tokens in turn)\n"
    "          --fanout-drain-ms N (60000) --gw-events-shared-max N\n"
    "          (the gateway's limit; 0: every stream reads the feed itself)\n"
    "          (plus the burst options;\n"
    "          defaults: 1 pool of 100000, 200000 patients, all at once)\n"
    "output:   --out PATH --results DIR (bench/results) --quiet --smoke\n"
    "          --run-set ID (written into the JSON: make bench's run set)\n"
    "          --commit C (written into the JSON: the binaries' commit)\n";

static void defaults(struct cfg *c, int sc)
{
    memset(c, 0, sizeof *c);
    c->scenario = sc;
    c->mode = MODE_NATIVE;
    c->seed = 1;
    c->threads = 1;
    c->conns = 4;
    c->sessions = 64;
    c->queue_max = 16384;
    c->depth = 64;
    c->timeout_ms = 5000;
    c->drain_ms = 3000;
    c->duration_ms = 30000;
    c->nodes = 3;
    c->slotd = "build/rel/bin/slotd";
    c->gateway = "build/rel/bin/slot-gateway";
    c->gw_patient_rate = 0;
    c->gw_inflight_max = 65536;
    c->gw_queue_target_ms = 20;
    c->conn_reqs = 50;        /* http only */
    c->retry_after_ms = 1000; /* the gateway's limits.retry_after_s */
    c->gateways = 1;
    c->results_dir = "bench/results";
    /* burst */
    c->pools = 4;
    c->capacity = 5000;
    c->patients = 60000;
    c->bot_share = 0.1;
    c->bot_pools = 2;
    c->bot_retry_ms = 5;
    c->bot_probes = 2;
    c->bot_abandon = 0.5;
    c->bot_early_ms = 300;
    c->bot_names = 6;
    c->bot_accounts = 1;
    c->arrival_ms = 2000;
    c->release_in_ms = 1500;
    c->retry_min_ms = 200;
    c->retry_max_ms = 600;
    c->patience_ms = 15000;
    c->pay_min_ms = 50;
    c->pay_max_ms = 300;
    c->abandon = 0.1;
    c->ttl_ms = 2000;
    /* steady / overload */
    const char *pts[] = {"c=1", "x0.1", "x0.3", "x0.5", "x0.7", "x0.9"};
    c->n_points = 6;
    for (uint32_t i = 0; i < c->n_points; i++) {
        snprintf(c->points[i], sizeof c->points[i], "%s", pts[i]);
    }
    c->point_ms = 5000;
    c->warmup_ms = 500;
    c->confirm_share = 0.2;
    c->overload_factor = 5.0;
    c->probe_ms = 3000;
    c->outstanding_max = 200000;
    /* storm */
    c->storm_holds = 100000;
    c->storm_deadline_ms = 10000;
    c->live_rate = 2000;
    /* failover */
    c->kills = 3;
    c->kill_first_ms = 3000;
    c->kill_every_ms = 6000;
    c->restart_ms = 2000;
    /* import */
    c->import_pools = 10000;
    c->import_templates = 50;
    c->import_inflight = 0;
    c->gw_events_shared = -1;
    switch (sc) {
        case SC_STEADY:
        case SC_OVERLOAD:
            c->pools = 8;
            c->capacity = POOL_CAPACITY_MAX;
            c->ttl_ms = 60000;
            c->pay_min_ms = c->pay_max_ms = 0;
            if (sc == SC_OVERLOAD) {
                /* At most 2 x 32 sessions x 32 (the ledger's window) =
                 * 2,048 requests in flight, about 10 ms of the cluster's
                 * work: every arrival beyond that is shed at once (SHED),
                 * and a node whose batches are full answers BUSY, final.
                 * (16 connections of 64 sessions kept 32k in flight: the
                 * excess queued in socket buffers, 0.2-1.3 s.) */
                c->conns = 2;
                c->sessions = 32;
                c->timeout_ms = 1000;
                c->drain_ms = 1500;
                c->shed = true;
            }
            break;
        case SC_FAILOVER:
            c->capacity = POOL_CAPACITY_MAX;
            c->patients = 300000;
            c->arrival_ms = 20000;
            c->patience_ms = 40000;
            c->duration_ms = 40000;
            c->timeout_ms = 10000;
            break;
        case SC_STORM:
            c->duration_ms = 60000;
            break;
        case SC_IMPORT:
            /* One import may create thousands of pools: its answer waits
             * for the entry's commit and a long apply on a loaded box. */
            c->timeout_ms = 30000;
            break;
        case SC_FANOUT:
            /* run-bench.sh's race against Redis (RACE, REDIS_SIZE): one
             * pool, every patient at the release, no payment delay,
             * nobody abandoning: the ~50k bookings/s burst. */
            c->pools = 1;
            c->capacity = 100000;
            c->patients = 200000;
            c->arrival_ms = 0;
            c->pay_min_ms = c->pay_max_ms = 0;
            c->abandon = 0;
            c->bot_abandon = 0;
            c->subscribers = 1000;
            c->fanout_drain_ms = 60000;
            break;
        default:
            break;
    }
}

static int parseU32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

static int parseF(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || !(v >= lo && v <= hi)) {
        return -1;
    }
    *out = v;
    return 0;
}

static int parsePoints(struct cfg *c, const char *list)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", list);
    c->n_points = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        if (c->n_points == BENCH_POINTS_MAX || strlen(tok) >= 32) {
            return -1;
        }
        snprintf(c->points[c->n_points++], 32, "%s", tok);
    }
    return c->n_points > 0 ? 0 : -1;
}

static int parseArgs(struct cfg *c, int argc, char **argv)
{
    int sc = -1;
    for (int i = 0; i < SC_N; i++) {
        if (strcmp(argv[1], SCENARIOS[i]) == 0) {
            sc = i;
        }
    }
    if (sc < 0) {
        fprintf(stderr, "slotbench: unknown scenario '%s'\n%s", argv[1], USAGE);
        return -1;
    }
    defaults(c, sc);
    optind = 2;
    int o, bad = 0;
    bool conns_set = false, depth_set = false;
    uint32_t u;
    while ((o = getopt_long(argc, argv, "", LONGOPTS, NULL)) != -1) {
        const char *a = optarg;
        switch (o) {
            case O_MODE:
                c->mode = -1;
                for (int i = 0; i < MODE_N; i++) {
                    if (strcmp(a, MODES[i]) == 0) {
                        c->mode = i;
                    }
                }
                bad |= c->mode < 0;
                break;
            case O_SEED:
                bad |= parseU32(a, 0, UINT32_MAX, &u);
                c->seed = u;
                break;
            case O_THREADS:
                bad |= parseU32(a, 1, BENCH_THREADS_MAX, &c->threads);
                break;
            case O_CONNS:
                bad |= parseU32(a, 1, BENCH_HTTP_CONNS_MAX, &c->conns);
                conns_set = true;
                break;
            case O_SESSIONS:
                bad |= parseU32(a, 1, 64, &c->sessions);
                break;
            case O_QUEUE:
                bad |= parseU32(a, 1, 65536, &c->queue_max);
                break;
            case O_SHED: {
                uint32_t v = 0;
                bad |= parseU32(a, 0, 1, &v);
                c->shed = v != 0;
                break;
            }
            case O_DEPTH:
                bad |= parseU32(a, 1, 4096, &c->depth);
                depth_set = true;
                break;
            case O_TIMEOUT:
                bad |= parseU32(a, 10, 600000, &c->timeout_ms);
                break;
            case O_DRAIN:
                bad |= parseU32(a, 0, 600000, &c->drain_ms);
                break;
            case O_DURATION:
                bad |= parseU32(a, 100, 3600000, &c->duration_ms);
                break;
            case O_OUT:
                c->out = a;
                break;
            case O_RUN_SET:
                c->run_set = a;
                break;
            case O_RESULTS:
                c->results_dir = a;
                break;
            case O_QUIET:
                c->quiet = true;
                break;
            case O_SMOKE:
                c->smoke = true;
                break;
            case O_NODES:
                bad |= parseU32(a, 1, TCLUSTER_NODES_MAX, &u);
                c->nodes = (int)u;
                break;
            case O_CLUSTER:
                c->cluster = a;
                break;
            case O_SLOTD:
                c->slotd = a;
                break;
            case O_GATEWAY:
                c->gateway = a;
                break;
            case O_GATEWAY_URL:
                c->gateway_url = a;
                break;
            case O_GW_RATE:
                bad |= parseU32(a, 0, 1000000, &c->gw_patient_rate);
                break;
            case O_GW_INFLIGHT:
                bad |= parseU32(a, 1, 65536, &c->gw_inflight_max);
                break;
            case O_GW_QUEUE_TARGET:
                bad |= parseU32(a, 0, 10000, &c->gw_queue_target_ms);
                break;
            case O_CONN_REQS:
                bad |= parseU32(a, 0, 1000000, &c->conn_reqs);
                break;
            case O_RETRY_AFTER:
                bad |= parseU32(a, 1, 60000, &c->retry_after_ms);
                break;
            case O_GATEWAYS:
                bad |= parseU32(a, 1, SYS_GATEWAYS_MAX, &c->gateways);
                break;
            case O_SLOTD_ARG:
                if (c->n_slotd_args >= 16) {
                    bad = 1;
                } else {
                    c->slotd_args[c->n_slotd_args++] = (char *)a;
                }
                break;
            case O_POOLS:
                bad |= parseU32(a, 1, BENCH_POOLS_MAX - 2, &c->pools);
                break;
            case O_CAPACITY:
                bad |= parseU32(a, 1, POOL_CAPACITY_MAX, &c->capacity);
                break;
            case O_PATIENTS:
                bad |= parseU32(a, 1, 20000000, &c->patients);
                break;
            case O_BOT_SHARE:
                bad |= parseF(a, 0, 1, &c->bot_share);
                break;
            case O_BOT_POOLS:
                bad |= parseU32(a, 1, BENCH_POOLS_MAX, &c->bot_pools);
                break;
            case O_BOT_RETRY:
                bad |= parseU32(a, 0, 60000, &c->bot_retry_ms);
                break;
            case O_BOT_PROBES:
                bad |= parseU32(a, 0, 100, &c->bot_probes);
                break;
            case O_BOT_ABANDON:
                bad |= parseF(a, 0, 1, &c->bot_abandon);
                break;
            case O_BOT_EARLY:
                bad |= parseU32(a, 0, 60000, &c->bot_early_ms);
                break;
            case O_BOT_NAMES:
                bad |= parseU32(a, 1, HOSP_BOT_NAMES_MAX, &c->bot_names);
                break;
            case O_BOT_ACCOUNTS:
                bad |= parseU32(a, 1, HOSP_BOT_NAMES_MAX, &c->bot_accounts);
                break;
            case O_ARRIVAL:
                bad |= parseU32(a, 0, 3600000, &c->arrival_ms);
                break;
            case O_RELEASE_IN:
                bad |= parseU32(a, 0, 600000, &c->release_in_ms);
                break;
            case O_RETRY_MIN:
                bad |= parseU32(a, 0, 600000, &c->retry_min_ms);
                break;
            case O_RETRY_MAX:
                bad |= parseU32(a, 0, 600000, &c->retry_max_ms);
                break;
            case O_PATIENCE:
                bad |= parseU32(a, 0, 3600000, &c->patience_ms);
                break;
            case O_PAY_MIN:
                bad |= parseU32(a, 0, 600000, &c->pay_min_ms);
                break;
            case O_PAY_MAX:
                bad |= parseU32(a, 0, 600000, &c->pay_max_ms);
                break;
            case O_ABANDON:
                bad |= parseF(a, 0, 1, &c->abandon);
                break;
            case O_TTL:
                bad |= parseU32(a, 1, 86400000, &c->ttl_ms);
                break;
            case O_POINTS:
                bad |= parsePoints(c, a);
                break;
            case O_POINT_MS:
                bad |= parseU32(a, 100, 3600000, &c->point_ms);
                break;
            case O_WARMUP:
                bad |= parseU32(a, 0, 600000, &c->warmup_ms);
                break;
            case O_CONFIRM_SHARE:
                bad |= parseF(a, 0, 1, &c->confirm_share);
                break;
            case O_FACTOR:
                bad |= parseF(a, 0.01, 1000, &c->overload_factor);
                break;
            case O_PROBE_MS:
                bad |= parseU32(a, 100, 600000, &c->probe_ms);
                break;
            case O_OUTSTANDING:
                bad |= parseU32(a, 1, 4000000, &c->outstanding_max);
                break;
            case O_STORM_HOLDS:
                bad |= parseU32(a, 1, POOL_CAPACITY_MAX, &c->storm_holds);
                break;
            case O_STORM_DEADLINE:
                bad |= parseU32(a, 100, 3600000, &c->storm_deadline_ms);
                break;
            case O_LIVE_RATE:
                bad |= parseU32(a, 0, 10000000, &c->live_rate);
                break;
            case O_KILLS:
                bad |= parseU32(a, 0, BENCH_KILLS_MAX, &c->kills);
                break;
            case O_KILL_FIRST:
                bad |= parseU32(a, 0, 3600000, &c->kill_first_ms);
                break;
            case O_KILL_EVERY:
                bad |= parseU32(a, 100, 3600000, &c->kill_every_ms);
                break;
            case O_RESTART:
                bad |= parseU32(a, 0, 3600000, &c->restart_ms);
                break;
            case O_RULES:
                c->rules = true;
                break;
            case O_IMPORT_POOLS:
                bad |= parseU32(a, 1, 2000000, &c->import_pools);
                break;
            case O_IMPORT_TEMPLATES:
                bad |= parseU32(a, 1, 10000, &c->import_templates);
                break;
            case O_IMPORT_INFLIGHT:
                bad |= parseU32(a, 0, 10000, &c->import_inflight);
                break;
            case O_COMMIT:
                c->commit = a;
                break;
            case O_SUBSCRIBERS:
                bad |= parseU32(a, 0, FANOUT_SUBSCRIBERS_MAX, &c->subscribers);
                break;
            case O_FANOUT_VIEWERS:
                bad |= strcmp(a, "admin") != 0 && strcmp(a, "spread") != 0;
                c->fanout_spread = strcmp(a, "spread") == 0;
                break;
            case O_FANOUT_DRAIN:
                bad |= parseU32(a, 100, 3600000, &c->fanout_drain_ms);
                break;
            case O_GW_EVENTS_SHARED:
                bad |= parseU32(a, 0, 4194304, &u);
                c->gw_events_shared = u;
                break;
            case O_HELP:
                fputs(USAGE, stdout);
                exit(0);
            default:
                bad = 1;
                break;
        }
        if (bad) {
            fprintf(stderr, "slotbench: bad option or value near '%s'\n",
                    argv[optind - 1]);
            return -1;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "slotbench: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    /* Connections as each system's clients use them (per thread): the
     * gateway (h2o) answers pipelined requests one at a time, so http
     * needs many connections; etcd: 64 clients with one request each;
     * redis: 64 connections, pipelined. */
    uint32_t dc = c->conns, dd = c->depth;
    switch (c->mode) {
        case MODE_HTTP:
            /* Real channels: thousands of patients' apps and browsers,
             * each its own keep-alive connection with one request at a
             * time (issue 17). Before, 128 x 2 pipelined kept arrivals
             * waiting inside the generator (burst-http p50 1.6 s). */
            dc = 4000;
            dd = 1;
            break;
        case MODE_ETCD:
            dc = (64 + c->threads - 1) / c->threads;
            dd = 1;
            break;
        case MODE_REDIS:
            dc = (64 + c->threads - 1) / c->threads;
            dd = 32;
            break;
        default:
            break;
    }
    if (!conns_set) {
        c->conns = dc;
    }
    if (!depth_set) {
        c->depth = dd;
    }
    if (c->mode != MODE_HTTP && c->conns > BENCH_CONNS_MAX) {
        fprintf(stderr, "slotbench: --conns above %u needs --mode http\n",
                BENCH_CONNS_MAX);
        return -1;
    }
    if (c->mode != MODE_HTTP) {
        c->conn_reqs = 0;
    }
    if (c->retry_max_ms < c->retry_min_ms || c->pay_max_ms < c->pay_min_ms) {
        fprintf(stderr, "slotbench: a max below its min\n");
        return -1;
    }
    if ((c->mode == MODE_ETCD || c->mode == MODE_REDIS) &&
        c->scenario != SC_BURST) {
        fprintf(stderr,
                "slotbench: the peers (etcd, redis) run the burst only\n");
        return -1;
    }
    if (c->rules && c->scenario != SC_BURST && c->scenario != SC_FAILOVER) {
        fprintf(stderr, "slotbench: --rules applies to burst and failover\n");
        return -1;
    }
    if (c->rules && c->mode != MODE_NATIVE && c->mode != MODE_HTTP) {
        fprintf(stderr, "slotbench: --rules needs our system (native, "
                        "http): the peers have no hospitals\n");
        return -1;
    }
    if (c->scenario == SC_IMPORT && c->mode != MODE_NATIVE) {
        /* slot-gateway has no schedule import (POST /v1/schedules) yet. */
        fprintf(stderr, "slotbench: import runs native only (the gateway "
                        "has no schedule import)\n");
        return -1;
    }
    if (c->scenario == SC_FANOUT &&
        (c->mode != MODE_NATIVE || c->cluster != NULL ||
         c->gateway_url != NULL || c->rules)) {
        /* Both runs need a fresh cluster and gateway of their own. */
        fprintf(stderr, "slotbench: fanout runs native on a cluster and "
                        "gateway it starts itself, without --rules\n");
        return -1;
    }
    if (c->scenario == SC_FANOUT) {
        /* Every subscriber's stream, and room for a few more. */
        c->gw_events_max = c->subscribers + 64;
    }
    if (c->scenario == SC_FAILOVER && c->cluster != NULL) {
        fprintf(stderr,
                "slotbench: failover needs a cluster it starts itself\n");
        return -1;
    }
    return 0;
}

/* ---- shared run state ---------------------------------------------------- */

struct ctx {
    struct cfg *cfg;
    struct run run;
    struct sys sys;
    char runid[24];
    json_t *doc;      /* the result document */
    json_t *failures; /* check failures, strings */
    json_t *notes;    /* things the reader should know */
    struct sys_counters c0, c1;
    struct hosp hosp;      /* --rules, import: the hospital */
    json_t *prep;          /* --rules: botprep_json, or NULL */
    struct diskprobe disk; /* fsync latency of the nodes' disk */
    struct hist disk_run;  /* every window taken so far */
    uint64_t disk_errors;  /* the probe's failures, as of the last take */
};

/* Where the system keeps its data (the disk to probe), or NULL. */
static const char *dataDir(const struct ctx *x)
{
    if (x->sys.own_cluster && x->sys.cl.dir[0] != '\0') {
        return x->sys.cl.dir;
    }
    return x->sys.peer_dir[0] != '\0' ? x->sys.peer_dir : NULL;
}

/* The disk's fsync latency since the last call (JSON, or NULL if not
 * measured); it also counts towards the run's. */
static json_t *diskWindow(struct ctx *x)
{
    struct hist h;
    diskprobe_take(&x->disk, &h, &x->disk_errors);
    hist_merge(&x->disk_run, &h);
    return diskprobe_json(&h, x->disk_errors);
}

static uint64_t hrNow(void)
{
    return uv_hrtime();
}

/* Sets the run's time bases (t0) and its per-ms series length. */
static void startClock(struct ctx *x, uint64_t span_ms)
{
    struct run *r = &x->run;
    r->t0_ns = hrNow();
    r->t0_wall_ms = tclock_wall_ms();
    r->n_ms = (uint32_t)(span_ms + x->cfg->drain_ms + 30000);
}

static void fail(struct ctx *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void fail(struct ctx *x, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    json_array_append_new(x->failures, json_string(buf));
    if (!x->cfg->quiet) {
        fprintf(stderr, "slotbench: CHECK FAILED: %s\n", buf);
    }
}

static void note(struct ctx *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void note(struct ctx *x, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    json_array_append_new(x->notes, json_string(buf));
}

static void progress(struct ctx *x, struct sim *s, uint64_t since_ns,
                     struct sim_live *prev, const char *what)
{
    struct sim_live l;
    if (x->cfg->quiet) {
        return;
    }
    sim_live(s, &l);
    double t = ((double)hrNow() - (double)since_ns) / 1e9;
    fprintf(stderr,
            "  %6.1fs %-10s decisions %9llu (+%7llu)  holds %8llu  bookings "
            "%8llu  pending %6llu\n",
            t, what, (unsigned long long)l.decisions,
            (unsigned long long)(l.decisions - prev->decisions),
            (unsigned long long)l.holds_ok, (unsigned long long)l.bookings,
            (unsigned long long)l.pending);
    *prev = l;
}

/* Raft entries and commands between two samples: the node alive at both
 * with the largest advance (a killed node restarts its counters). */
static void raftDelta(const struct sys_counters *a,
                      const struct sys_counters *b, uint64_t *entries,
                      uint64_t *commands)
{
    *entries = *commands = 0;
    for (int i = 0; i < a->n && i < b->n; i++) {
        if (a->ok[i] && b->ok[i] && b->entries[i] >= a->entries[i] &&
            b->entries[i] - a->entries[i] > *entries) {
            *entries = b->entries[i] - a->entries[i];
            *commands = b->commands[i] - a->commands[i];
        }
    }
}

/* ---- JSON pieces --------------------------------------------------------- */

/* One process's CPU over a window of win seconds (procstat.h): seconds
 * on a CPU and runnable in a run queue per second, preemptions per
 * second; NULL if either sample failed. */
static json_t *cpuOne(const struct procstat *a, const struct procstat *b,
                      double win)
{
    struct procstat d = procstat_delta(a, b);
    if (!d.ok || win <= 0) {
        return NULL;
    }
    return json_pack(
        "{s:f,s:f,s:f,s:f,s:f}", "on_cpu_s_per_s", (double)d.run_ns / 1e9 / win,
        "runq_wait_s_per_s", (double)d.wait_ns / 1e9 / win, "runs_per_s",
        (double)d.runs / win, "wait_us_per_run",
        d.runs > 0 ? (double)d.wait_ns / 1e3 / (double)d.runs : 0.0,
        "preemptions_per_s", (double)d.preempted / win);
}

/* Where the phase's CPU went: each node this run started, the gateways,
 * the generator (its ended worker threads included), per second between
 * the two samples, which bracket the phase (before its load starts, after
 * it drained): not the rate window, which is shorter. A node's run-queue
 * wait is time it was ready to run and not running (procstat.h: another
 * process had the CPU, or an idle one was slow to start it): a latency
 * tail without any work behind it. */
static json_t *cpuJson(const struct sys_counters *a,
                       const struct sys_counters *b)
{
    double win = b->at_ns > a->at_ns ? (double)(b->at_ns - a->at_ns) / 1e9 : 0;
    json_t *o = json_object(), *nodes = json_array();
    json_object_set_new(o, "span_s", json_real(win));
    double run = 0, wait = 0, runs = 0, worst = 0;
    int counted = 0;
    for (int i = 0; i < a->n && i < b->n; i++) {
        json_t *one = cpuOne(&a->cpu[i], &b->cpu[i], win);
        if (one == NULL) {
            json_array_append_new(nodes, json_null());
            continue;
        }
        double r = json_real_value(json_object_get(one, "on_cpu_s_per_s"));
        double w = json_real_value(json_object_get(one, "runq_wait_s_per_s"));
        run += r;
        wait += w;
        runs += json_real_value(json_object_get(one, "runs_per_s"));
        worst = r + w > 0 && w / (r + w) > worst ? w / (r + w) : worst;
        counted++;
        json_array_append_new(nodes, one);
    }
    json_object_set_new(o, "nodes", nodes);
    if (counted > 0) {
        /* Summed over the nodes; the worst node's share of its runnable
         * time spent waiting for a CPU. */
        json_object_set_new(o, "nodes_on_cpu_s_per_s", json_real(run));
        json_object_set_new(o, "nodes_runq_wait_s_per_s", json_real(wait));
        json_object_set_new(o, "node_wait_share_max", json_real(worst));
        json_object_set_new(o, "nodes_wait_us_per_run",
                            json_real(runs > 0 ? wait * 1e6 / runs : 0.0));
    }
    json_t *gw = cpuOne(&a->gateways, &b->gateways, win);
    if (gw != NULL) {
        json_object_set_new(o, "gateways", gw);
    }
    json_t *gen = cpuOne(&a->generator, &b->generator, win);
    if (gen != NULL) {
        json_object_set_new(o, "generator", gen);
    }
    return o;
}

static double ms(uint64_t ns)
{
    return (double)ns / 1e6;
}

static json_t *latJson(const struct hist *h)
{
    return json_pack(
        "{s:I,s:f,s:f,s:f,s:f,s:f,s:f,s:f}", "count", (json_int_t)h->count,
        "mean", hist_mean(h) / 1e6, "p50", ms(hist_quantile(h, 0.50)), "p90",
        ms(hist_quantile(h, 0.90)), "p99", ms(hist_quantile(h, 0.99)), "p999",
        ms(hist_quantile(h, 0.999)), "max", ms(h->max_ns), "min",
        h->count ? ms(h->min_ns) : 0.0);
}

/* Every operation except reads (the latency a patient sees per step). */
static void allOps(const struct stats *st, struct hist *out)
{
    hist_init(out);
    for (int op = OPK_HOLD; op <= OPK_RELEASE; op++) {
        hist_merge(out, &st->lat[op][0]);
        hist_merge(out, &st->lat[op][1]);
    }
}

static json_t *cdfJson(const struct hist *h)
{
    json_t *a = json_array();
    uint32_t i = 0;
    uint64_t up, cum;
    while (h->count > 0 && hist_next(h, &i, &up, &cum)) {
        json_array_append_new(
            a, json_pack("[f,f]", ms(up), (double)cum / (double)h->count));
    }
    return a;
}

static json_t *rejectsJson(const struct stats *st)
{
    json_t *o = json_object();
    for (int k = 1; k < BENCH_STATUS_MAX; k++) {
        uint64_t n = 0;
        for (int op = 0; op < OPK_N; op++) {
            n += st->status[op][k];
        }
        if (n > 0) {
            json_object_set_new(o, bench_status_name(k),
                                json_integer((json_int_t)n));
        }
    }
    if (st->client_busy > 0) {
        json_object_set_new(o, "CLIENT_QUEUE_FULL",
                            json_integer((json_int_t)st->client_busy));
    }
    return o;
}

static json_t *opStatusJson(const struct stats *st, int op)
{
    json_t *o = json_object();
    for (int k = 0; k < BENCH_STATUS_MAX; k++) {
        if (st->status[op][k] > 0) {
            json_object_set_new(o, bench_status_name(k),
                                json_integer((json_int_t)st->status[op][k]));
        }
    }
    return o;
}

static uint64_t sumMs(const uint32_t *a, uint32_t n, uint64_t from, uint64_t to)
{
    uint64_t s = 0;
    for (uint64_t i = from; i < to && i < n; i++) {
        s += a[i];
    }
    return s;
}

/* The busiest 1 s of a per-ms series within [from, to). */
static uint64_t peak1s(const uint32_t *a, uint32_t n, uint64_t from,
                       uint64_t to)
{
    uint64_t best = 0, cur = 0;
    if (to > n) {
        to = n;
    }
    for (uint64_t i = from; i < to; i++) {
        cur += a[i];
        if (i >= from + 1000) {
            cur -= a[i - 1000];
        }
        if (cur > best) {
            best = cur;
        }
    }
    return best;
}

static json_t *seriesJson(const struct stats *st, uint64_t from, uint64_t to,
                          uint64_t zero)
{
    json_t *t = json_array(), *d = json_array(), *b = json_array(),
           *k = json_array(), *h = json_array(), *ho = json_array();
    for (uint64_t i = from; i < to && i < st->n_ms; i += SERIES_BUCKET_MS) {
        uint64_t e = i + SERIES_BUCKET_MS;
        double scale = 1000.0 / SERIES_BUCKET_MS;
        uint64_t hold_dec = 0;
        for (int c = 0; c < BENCH_STATUS_MAX; c++) {
            if (st->code_ms[OPK_HOLD][c] != NULL && stats_is_decision(c)) {
                hold_dec += sumMs(st->code_ms[OPK_HOLD][c], st->n_ms, i, e);
            }
        }
        const uint32_t *okh = st->code_ms[OPK_HOLD][SLOT_OK];
        json_array_append_new(h, json_real((double)hold_dec * scale));
        json_array_append_new(
            ho,
            json_real(okh ? (double)sumMs(okh, st->n_ms, i, e) * scale : 0.0));
        json_array_append_new(t,
                              json_real(((double)i - (double)zero) / 1000.0));
        json_array_append_new(
            d, json_real((double)sumMs(st->dec_ms, st->n_ms, i, e) * scale));
        json_array_append_new(
            k, json_real((double)sumMs(st->ok_ms, st->n_ms, i, e) * scale));
        json_array_append_new(
            b, json_real((double)sumMs(st->book_ms, st->n_ms, i, e) * scale));
    }
    return json_pack("{s:i,s:o,s:o,s:o,s:o,s:o,s:o}", "bucket_ms",
                     SERIES_BUCKET_MS, "t_s", t, "decisions_per_s", d,
                     "ok_decisions_per_s", k, "bookings_per_s", b,
                     "hold_decisions_per_s", h, "ok_holds_per_s", ho);
}

/* Answers of (op, status) within [from, to) ms since t0. */
static uint64_t codeCount(const struct stats *st, int op, int k, uint64_t from,
                          uint64_t to)
{
    const uint32_t *a = st->code_ms[op][k];
    return a != NULL ? sumMs(a, st->n_ms, from, to) : 0;
}

/* {"hold": {"OK": n, "SOLD_OUT": n, ...}, "confirm": ..., ...}: every
 * answer within [from, to) ms, by operation and status name. */
static json_t *inWindowJson(const struct stats *st, uint64_t from, uint64_t to)
{
    static const char *const OPS[OPK_N] = {"hold", "confirm", "release",
                                           "query"};
    json_t *o = json_object();
    for (int op = 0; op < OPK_N; op++) {
        json_t *byk = json_object();
        for (int k = 0; k < BENCH_STATUS_MAX; k++) {
            uint64_t n = codeCount(st, op, k, from, to);
            if (n > 0) {
                json_object_set_new(byk, bench_status_name(k),
                                    json_integer((json_int_t)n));
            }
        }
        json_object_set_new(o, OPS[op], byk);
    }
    return o;
}

/* Hold decisions (OK or a rule's refusal) per ms: a new array of n_ms. */
static uint32_t *holdDecisionsMs(const struct stats *st)
{
    uint32_t *a = calloc(st->n_ms ? st->n_ms : 1, sizeof *a);
    if (a == NULL) {
        return NULL;
    }
    for (int k = 0; k < BENCH_STATUS_MAX; k++) {
        const uint32_t *s = st->code_ms[OPK_HOLD][k];
        if (s == NULL || !stats_is_decision(k)) {
            continue;
        }
        for (uint32_t m = 0; m < st->n_ms; m++) {
            a[m] += s[m];
        }
    }
    return a;
}

/* The common figures of a phase measured over [from_ms, to_ms) since t0.
 * Rates are counts within that window divided by its length; totals
 * ("*_total", "holds_ok", "rejects", "status_by_op") cover the whole
 * phase. */
static json_t *figures(struct ctx *x, const struct phase_out *o,
                       uint64_t from_ms, uint64_t to_ms)
{
    const struct stats *st = &o->st;
    double win = (double)(to_ms > from_ms ? to_ms - from_ms : 1) / 1000.0;
    uint64_t dec = sumMs(st->dec_ms, st->n_ms, from_ms, to_ms);
    uint64_t ok = sumMs(st->ok_ms, st->n_ms, from_ms, to_ms);
    uint64_t book = sumMs(st->book_ms, st->n_ms, from_ms, to_ms);
    uint64_t hold_dec_total = 0, hold_dec = 0;
    for (int k = 0; k < BENCH_STATUS_MAX; k++) {
        if (stats_is_decision(k)) {
            hold_dec_total += st->status[OPK_HOLD][k];
            hold_dec += codeCount(st, OPK_HOLD, k, from_ms, to_ms);
        }
    }
    uint64_t ok_holds = codeCount(st, OPK_HOLD, SLOT_OK, from_ms, to_ms);
    uint32_t *hold_ms = holdDecisionsMs(st);
    const uint32_t *ok_hold_ms = st->code_ms[OPK_HOLD][SLOT_OK];
    struct hist all;
    allOps(st, &all);
    uint64_t entries, commands;
    raftDelta(&x->c0, &x->c1, &entries, &commands);
    json_t *f = json_pack(
        "{s:f,s:I,s:f,s:I,s:f,s:I,s:f,s:I,s:I,s:f,s:I,s:I,s:I,s:I,s:I,s:I}",
        "window_s", win, "decisions", (json_int_t)dec, "decisions_per_s",
        (double)dec / win, "ok_decisions", (json_int_t)ok, "ok_decisions_per_s",
        (double)ok / win, "bookings", (json_int_t)book, "bookings_per_s",
        (double)book / win, "decisions_total", (json_int_t)st->decisions,
        "hold_decisions_total", (json_int_t)hold_dec_total,
        "peak_decisions_per_s_1s",
        (double)peak1s(st->dec_ms, st->n_ms, from_ms, to_ms), "holds_ok",
        (json_int_t)st->holds_ok, "abandoned", (json_int_t)st->abandoned,
        "gave_up", (json_int_t)st->gave_up, "hold_expired_at_confirm",
        (json_int_t)st->hold_expired, "doubtful_at_end",
        (json_int_t)st->doubtful, "client_queue_full",
        (json_int_t)st->client_busy);
    json_object_update_new(
        f,
        json_pack(
            "{s:I,s:f,s:I,s:f,s:f,s:f}", "hold_decisions", (json_int_t)hold_dec,
            "hold_decisions_per_s", (double)hold_dec / win, "ok_holds",
            (json_int_t)ok_holds, "ok_holds_per_s", (double)ok_holds / win,
            "peak_hold_decisions_per_s_1s",
            hold_ms ? (double)peak1s(hold_ms, st->n_ms, from_ms, to_ms) : -1.0,
            "peak_ok_holds_per_s_1s",
            ok_hold_ms ? (double)peak1s(ok_hold_ms, st->n_ms, from_ms, to_ms)
                       : 0.0));
    free(hold_ms);
    json_object_set_new(f, "in_window", inWindowJson(st, from_ms, to_ms));
    if (x->cfg->mode == MODE_NATIVE || x->cfg->mode == MODE_HTTP) {
        json_object_set_new(
            f, "raft",
            json_pack("{s:I,s:I,s:f,s:f,s:f}", "entries", (json_int_t)entries,
                      "commands", (json_int_t)commands, "entries_per_s",
                      (double)entries / win, "commands_per_entry",
                      entries ? (double)commands / (double)entries : 0.0,
                      "decisions_per_entry",
                      entries ? (double)st->decisions / (double)entries : 0.0));
        json_object_set_new(f, "cpu", cpuJson(&x->c0, &x->c1));
    }
    /* Accepted (OK) and refused answers apart: a refusal (a rule's,
     * SHED at the generator, TIMEOUT) never counts as accepted. */
    struct hist acc, ref;
    hist_init(&acc);
    hist_init(&ref);
    for (int op = OPK_HOLD; op <= OPK_RELEASE; op++) {
        hist_merge(&acc, &st->lat[op][0]);
        hist_merge(&ref, &st->lat[op][1]);
    }
    json_t *lat = json_pack(
        "{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "all", latJson(&all), "service",
        latJson(&st->service), "hold", latJson(&st->lat[OPK_HOLD][0]),
        "hold_refused", latJson(&st->lat[OPK_HOLD][1]), "confirm",
        latJson(&st->lat[OPK_CONFIRM][0]), "confirm_refused",
        latJson(&st->lat[OPK_CONFIRM][1]), "release",
        latJson(&st->lat[OPK_RELEASE][0]), "query",
        latJson(&st->lat[OPK_QUERY][0]));
    json_object_set_new(lat, "release_refused",
                        latJson(&st->lat[OPK_RELEASE][1]));
    json_object_set_new(lat, "accepted", latJson(&acc));
    json_object_set_new(lat, "refused", latJson(&ref));
    if (x->cfg->mode == MODE_HTTP) {
        json_object_set_new(lat, "shed", latJson(&st->shed));
    }
    if (st->split[1].count > 0) {
        /* http: where an accepted request's time went (sim.h). */
        json_object_set_new(lat, "split",
                            json_pack("{s:o,s:o,s:o,s:o}", "generator",
                                      latJson(&st->split[0]), "connection",
                                      latJson(&st->split[1]), "network",
                                      latJson(&st->split[2]), "gateway",
                                      latJson(&st->split[3])));
    }
    json_object_set_new(f, "latency_ms", lat);
    json_object_set_new(f, "cdf_ms", cdfJson(&all));
    json_object_set_new(f, "generator_wait_max", json_integer(st->wait_max));
    json_object_set_new(f, "generator_wait_expired",
                        json_integer((json_int_t)st->wait_expired));
    if (st->be_requests > 0) {
        json_object_set_new(f, "peer_requests",
                            json_integer((json_int_t)st->be_requests));
        json_object_set_new(f, "peer_cas_conflicts",
                            json_integer((json_int_t)st->be_conflicts));
    }
    json_object_set_new(f, "rejects", rejectsJson(st));
    json_object_set_new(f, "status_by_op",
                        json_pack("{s:o,s:o,s:o,s:o}", "hold",
                                  opStatusJson(st, OPK_HOLD), "confirm",
                                  opStatusJson(st, OPK_CONFIRM), "release",
                                  opStatusJson(st, OPK_RELEASE), "query",
                                  opStatusJson(st, OPK_QUERY)));
    return f;
}

/* ---- the correctness check ----------------------------------------------- */

static int cmpBooking(const void *a, const void *b)
{
    const struct booking *x = a, *y = b;
    if (x->pool != y->pool) {
        return x->pool < y->pool ? -1 : 1;
    }
    return strcmp(x->patient, y->patient);
}

static int cmpU32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int cmpDouble(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int cmpU64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Checks the bookings the patients saw against the system's own counts:
 * per pool, free + held + booked == capacity, booked == bookings seen,
 * sold out if expected; no slot (visit / slot number) and no patient
 * booked twice in a pool; booking ids distinct. */
static json_t *check(struct ctx *x, struct phase_out *o, uint32_t pool_from,
                     uint32_t pool_to, bool expect_sellout)
{
    struct run *r = &x->run;
    const struct sys_vt *vt = x->sys.vt;
    json_t *pools = json_array();
    uint64_t resolved = 0, unresolved = 0;
    if (o->truncated) {
        fail(x, "too many bookings to check them all");
    }
    qsort(o->bookings, o->n_bookings, sizeof *o->bookings, cmpBooking);
    /* Doubtful operations: ask the system what became of them. */
    for (uint64_t i = 0; i < o->n_doubts; i++) {
        struct doubt *d = &o->doubts[i];
        struct booking key, b;
        bool booked = false;
        memset(&key, 0, sizeof key);
        key.pool = d->pool;
        memcpy(key.patient, d->patient, sizeof key.patient);
        if (bsearch(&key, o->bookings, o->n_bookings, sizeof key, cmpBooking)) {
            continue;
        }
        if (vt->resolve(&x->sys, r->pool[d->pool].id, d->patient, &booked,
                        &b) != 0) {
            unresolved++;
            continue;
        }
        resolved++;
        if (booked) {
            struct booking *nb =
                realloc(o->bookings, (o->n_bookings + 1) * sizeof *nb);
            if (nb == NULL) {
                continue;
            }
            o->bookings = nb;
            b.pool = d->pool;
            memcpy(b.patient, d->patient, sizeof b.patient);
            o->bookings[o->n_bookings++] = b;
            qsort(o->bookings, o->n_bookings, sizeof *o->bookings, cmpBooking);
        }
    }
    if (unresolved > 0) {
        fail(x, "%llu doubtful operations could not be resolved",
             (unsigned long long)unresolved);
    }
    /* No patient twice in a pool (bookings are sorted by pool, patient). */
    for (uint64_t i = 1; i < o->n_bookings; i++) {
        if (cmpBooking(&o->bookings[i - 1], &o->bookings[i]) == 0) {
            fail(x, "patient %s booked twice in pool %s",
                 o->bookings[i].patient, r->pool[o->bookings[i].pool].id);
        }
    }
    /* Booking ids distinct (peers have none). */
    uint64_t *ids = malloc((o->n_bookings + 1) * sizeof *ids);
    uint64_t n_ids = 0;
    for (uint64_t i = 0; ids != NULL && i < o->n_bookings; i++) {
        if (o->bookings[i].id != 0) {
            ids[n_ids++] = o->bookings[i].id;
        }
    }
    if (ids != NULL) {
        qsort(ids, n_ids, sizeof *ids, cmpU64);
        for (uint64_t i = 1; i < n_ids; i++) {
            if (ids[i] == ids[i - 1]) {
                fail(x, "booking id %llu returned twice",
                     (unsigned long long)ids[i]);
            }
        }
        free(ids);
    }
    uint64_t at = 0;
    for (uint32_t p = pool_from; p < pool_to; p++) {
        struct pool_rt *pr = &r->pool[p];
        while (at < o->n_bookings && o->bookings[at].pool < p) {
            at++;
        }
        uint64_t first = at, seen = 0;
        while (at < o->n_bookings && o->bookings[at].pool == p) {
            at++;
            seen++;
        }
        /* Visit (slot) numbers: distinct, within 1..capacity. Peers also
         * list the numbers they recorded themselves. */
        uint32_t *v = malloc((seen + 1) * sizeof *v), n_v = 0, dup = 0,
                 range = 0;
        uint32_t *sys_v = NULL, n_sys_v = 0;
        for (uint64_t i = first; v != NULL && i < first + seen; i++) {
            if (o->bookings[i].visit_no != 0 || x->cfg->mode <= MODE_HTTP) {
                v[n_v++] = o->bookings[i].visit_no;
            }
        }
        vt->slots(&x->sys, pr->id, &sys_v, &n_sys_v);
        uint32_t *all = v;
        uint32_t n_all = n_v;
        if (n_sys_v > 0) {
            all = sys_v;
            n_all = n_sys_v;
        }
        if (all != NULL) {
            qsort(all, n_all, sizeof *all, cmpU32);
            for (uint32_t i = 0; i < n_all; i++) {
                if (all[i] < 1 || all[i] > pr->capacity) {
                    range++;
                }
                if (i > 0 && all[i] == all[i - 1]) {
                    dup++;
                }
            }
        }
        struct pool_state ps;
        memset(&ps, 0, sizeof ps);
        int rc = vt->pool_state(&x->sys, pr->id, &ps);
        bool ok = rc == 0;
        if (rc != 0) {
            fail(x, "pool %s: cannot read its state", pr->id);
        } else {
            if (ps.free + ps.held + ps.booked != ps.capacity ||
                ps.capacity != pr->capacity) {
                fail(x, "pool %s: free %u + held %u + booked %u != capacity %u",
                     pr->id, ps.free, ps.held, ps.booked, pr->capacity);
                ok = false;
            }
            if (ps.booked != seen) {
                fail(
                    x,
                    "pool %s: the system counts %u bookings, patients saw %llu",
                    pr->id, ps.booked, (unsigned long long)seen);
                ok = false;
            }
            if (n_sys_v > 0 && n_sys_v != ps.booked) {
                fail(x, "pool %s: %u slot numbers recorded for %u bookings",
                     pr->id, n_sys_v, ps.booked);
                ok = false;
            }
            if (expect_sellout && ps.booked != pr->capacity) {
                fail(x, "pool %s: not sold out (%u of %u booked)", pr->id,
                     ps.booked, pr->capacity);
                ok = false;
            }
        }
        if (dup > 0 || range > 0) {
            fail(x, "pool %s: %u slot numbers given twice, %u out of range",
                 pr->id, dup, range);
            ok = false;
        }
        json_array_append_new(
            pools,
            json_pack("{s:s,s:i,s:i,s:i,s:i,s:I,s:i,s:i,s:b}", "pool", pr->id,
                      "capacity", (int)pr->capacity, "booked", (int)ps.booked,
                      "held", (int)ps.held, "free", (int)ps.free, "seen",
                      (json_int_t)seen, "slot_dups", (int)dup,
                      "slot_out_of_range", (int)range, "ok", ok));
        free(v);
        free(sys_v);
    }
    return json_pack("{s:o,s:I,s:I,s:b}", "pools", pools, "doubts_resolved",
                     (json_int_t)resolved, "doubts_unresolved",
                     (json_int_t)unresolved, "expect_sellout", expect_sellout);
}

/* ---- pools --------------------------------------------------------------- */

static int createPools(struct ctx *x, const char *tag, uint32_t n,
                       uint32_t capacity, int64_t release_wall_ms)
{
    struct run *r = &x->run;
    r->n_pools = n;
    for (uint32_t i = 0; i < n; i++) {
        snprintf(r->pool[i].id, sizeof r->pool[i].id, "%s-%s-%u", x->runid, tag,
                 i);
        r->pool[i].capacity = capacity;
        atomic_store(&r->pool[i].booked, 0);
        if (r->hosp != NULL) {
            hosp_bucket_caps(capacity, r->pool[i].bucket_cap);
        }
        for (int b = 0; b < BENCH_BUCKETS; b++) {
            atomic_store(&r->pool[i].bucket_booked[b], 0);
        }
        atomic_store(&r->pool[i].sellout_ns, 0);
        if (x->sys.vt->create_pool(&x->sys, r, i, release_wall_ms) != 0) {
            return -1;
        }
    }
    return 0;
}

static bool allSoldOut(struct run *r)
{
    for (uint32_t i = 0; i < r->n_pools; i++) {
        if (atomic_load(&r->pool[i].booked) < r->pool[i].capacity) {
            return false;
        }
    }
    return true;
}

static bool fatalSeen(struct ctx *x)
{
    if (atomic_load(&x->run.fatal)) {
        return true;
    }
    return false;
}

/* ---- a hospital's rules (hosp.h) ----------------------------------------- */

/* The run's hospital, named after the run. */
static void hospName(const struct ctx *x, char *name, size_t len)
{
    snprintf(name, len, "hosp-%s", x->runid);
}

/* --rules: the hospital with every rule on around the release moment; the
 * pools createPools makes are then its scheduled pools (sys_slot), and a
 * native HOLD asks for ttl 0, the hospital's payment window (the gateway
 * reads a missing ttl_ms as its own default, so http sends --ttl-ms,
 * the same value). */
static int setupRules(struct ctx *x, int64_t release_wall)
{
    struct cfg *c = x->cfg;
    struct run *r = &x->run;
    char name[SLOTC_NAME_MAX + 1];
    hospName(x, name, sizeof name);
    /* Accounts only where the HOLDs can name one: libslot (the gateway
     * has no account field yet). */
    hosp_init(&x->hosp, name, tclock_wall_ms(), release_wall, c->ttl_ms,
              c->mode == MODE_NATIVE);
    if (hosp_rules_set(x->sys.admin, &x->hosp) != 0) {
        return -1;
    }
    r->hosp = &x->hosp;
    if (c->mode == MODE_NATIVE && x->hosp.pay_ttl_ms > 0) {
        r->hold_ttl_ms = 0;
    }
    json_object_set_new(json_object_get(x->doc, "params"), "hold_ttl_ms",
                        json_integer(r->hold_ttl_ms));
    json_object_set_new(x->doc, "rules", hosp_json(&x->hosp));
    return 0;
}

/* --rules: the hospital's rules for now, then what the patients and the
 * rotating bots did before the release (botprep.h); setupRules then sets
 * the rules again around the release moment, which comes after this.
 * An answer the plan did not expect fails the run's check. */
static int prepareBots(struct ctx *x)
{
    int64_t now = tclock_wall_ms();
    if (setupRules(x, now) != 0) {
        return -1;
    }
    struct botprep_result pr;
    if (botprep_run(x->run.addrs, x->cfg, &x->hosp, &pr) != 0) {
        fprintf(stderr, "slotbench: the bots' preparation failed\n");
        return -1;
    }
    if (pr.other != 0) {
        fail(x,
             "before the burst: %llu binds or no-shows answered "
             "otherwise than planned (botprep.h)",
             (unsigned long long)pr.other);
    }
    x->prep = botprep_json(&pr);
    if (!x->cfg->quiet) {
        fprintf(stderr,
                "  before the release: %llu binds (%llu refused "
                "ACCOUNT_LIMIT), %llu no-shows, %llu names blacklisted, "
                "%.0f ms\n",
                (unsigned long long)pr.binds,
                (unsigned long long)pr.binds_refused_limit,
                (unsigned long long)pr.no_shows,
                (unsigned long long)pr.blacklisted, pr.ms);
    }
    return 0;
}

static json_t *bucketJson(const struct slotc_bucket *b)
{
    return json_pack("{s:s,s:i,s:i,s:i,s:i}", "channel", b->channel, "capacity",
                     (int)b->capacity, "free", (int)b->free, "held",
                     (int)b->held, "booked", (int)b->booked);
}

/* Each pool's buckets at the end ("" is the shared remainder): where the
 * bookings of each channel went. */
static json_t *bucketsJson(struct ctx *x)
{
    struct run *r = &x->run;
    json_t *a = json_array();
    for (uint32_t i = 0; i < r->n_pools; i++) {
        struct slotc_req req;
        slotc_req_init(&req);
        if (slotc_sync_read_pool(x->sys.admin, &req, r->pool[i].id) !=
            SLOT_OK) {
            fail(x, "pool %s: cannot read its buckets", r->pool[i].id);
            continue;
        }
        const struct slotc_pool *p = &req.out.pools[0];
        json_t *sh = json_array();
        for (uint32_t k = 0; k < p->n_shares; k++) {
            json_array_append_new(sh, bucketJson(&p->shares[k]));
        }
        json_array_append_new(a, json_pack("{s:s,s:b,s:o,s:o}", "pool", p->pool,
                                           "scheduled", p->scheduled, "shares",
                                           sh, "remainder",
                                           bucketJson(&p->remainder)));
        if (!p->scheduled) {
            fail(x, "pool %s: not a scheduled pool", p->pool);
        }
    }
    return a;
}

/* The HOLD answers of one side (0 patients, 1 bots), whole run. */
static json_t *actorJson(const struct stats *st, int who)
{
    json_t *codes = json_object(), *quota = json_object();
    uint64_t holds = 0, rules = 0;
    for (int s = 0; s < BENCH_STATUS_MAX; s++) {
        uint64_t n = st->hold_by[who][s];
        holds += n;
        if (n != 0 && s != SLOT_OK) {
            json_object_set_new(codes, bench_status_name(s),
                                json_integer((json_int_t)n));
        }
    }
    static const int RULES[] = {SLOT_NOT_BOUND, SLOT_BLACKLISTED,
                                SLOT_CANCEL_LIMIT, SLOT_QUOTA_EXCEEDED};
    for (size_t i = 0; i < sizeof RULES / sizeof RULES[0]; i++) {
        rules += st->hold_by[who][RULES[i]];
    }
    for (int q = 0; q < 8; q++) {
        if (st->quota_by[who][q] != 0) {
            const char *name = slotc_quota_name(q);
            json_object_set_new(quota, name ? name : "unknown",
                                json_integer((json_int_t)st->quota_by[who][q]));
        }
    }
    return json_pack("{s:I,s:I,s:I,s:I,s:o,s:o}", "holds", (json_int_t)holds,
                     "ok", (json_int_t)st->hold_by[who][SLOT_OK],
                     "refused_by_patient_rules", (json_int_t)rules,
                     "one_per_pool",
                     (json_int_t)st->hold_by[who][SLOT_PATIENT_HAS_CLAIM],
                     "refused", codes, "quota", quota);
}

/* --rules: who was refused by which rule (hosp.h, the rotating bots):
 * every HOLD answer of the run by side, QUOTA_EXCEEDED by quota, and what
 * was done before the release. refused_by_patient_rules counts
 * NOT_BOUND, BLACKLISTED, CANCEL_LIMIT and QUOTA_EXCEEDED;
 * PATIENT_HAS_CLAIM (one claim per patient and pool, a rule of protocol
 * 1) is one_per_pool. */
static json_t *refusalsJson(struct ctx *x, const struct phase_out *o)
{
    json_t *j =
        json_pack("{s:o,s:o,s:i,s:i,s:b}", "patients", actorJson(&o->st, 0),
                  "bots", actorJson(&o->st, 1), "bot_names",
                  (int)x->cfg->bot_names, "bot_accounts",
                  (int)x->cfg->bot_accounts, "accounts", x->hosp.accounts);
    json_object_set_new(j, "prep", x->prep != NULL ? x->prep : json_null());
    x->prep = NULL;
    return j;
}

/* ---- burst and failover -------------------------------------------------- */

struct kill_rec {
    int node;
    int64_t wall_ms; /* since t0 wall */
    uint64_t hr_ms;  /* since t0 hr */
    int64_t restart_at_ms;
    bool restarted;
    double leader_found_ms;
};

static json_t *failoverJson(struct ctx *x, const struct phase_out *o,
                            struct kill_rec *k, uint32_t n)
{
    const struct stats *st = &o->st;
    json_t *arr = json_array();
    double gaps[BENCH_KILLS_MAX];
    uint32_t n_gaps = 0;
    for (uint32_t i = 0; i < n; i++) {
        /* The first successful decision stamped after the kill (by the
         * new leader), and when a patient got its answer. */
        double client = -1, ledger = -1, last_before = -1;
        for (uint64_t lm = (uint64_t)k[i].wall_ms; lm < st->n_ms; lm++) {
            if (st->first_by_ledger_ms[lm] != 0) {
                double c = (double)(st->first_by_ledger_ms[lm] - 1) -
                           (double)k[i].hr_ms;
                if (ledger < 0) {
                    ledger = (double)lm - (double)k[i].wall_ms;
                }
                if (client < 0 || c < client) {
                    client = c;
                }
            }
            if (ledger >= 0 &&
                (double)lm - (double)k[i].wall_ms > ledger + 5000) {
                break;
            }
        }
        for (uint64_t m = k[i].hr_ms; m > 0 && m < st->n_ms; m--) {
            if (st->ok_ms[m] != 0) {
                last_before = (double)k[i].hr_ms - (double)m;
                break;
            }
        }
        if (client >= 0) {
            gaps[n_gaps++] = client;
        } else {
            fail(x, "writes never resumed after kill %u", i + 1);
        }
        json_array_append_new(
            arr,
            json_pack("{s:i,s:f,s:f,s:f,s:f,s:f}", "node", k[i].node + 1,
                      "at_s", (double)k[i].hr_ms / 1000.0, "resume_client_ms",
                      client, "resume_ledger_ms", ledger, "last_ok_before_ms",
                      last_before, "new_leader_seen_ms", k[i].leader_found_ms));
    }
    qsort(gaps, n_gaps, sizeof gaps[0], cmpDouble);
    double p50 = n_gaps ? gaps[(n_gaps - 1) / 2] : -1;
    double mx = n_gaps ? gaps[n_gaps - 1] : -1;
    return json_pack("{s:o,s:i,s:f,s:f,s:f}", "kills", arr, "resumed",
                     (int)n_gaps, "gap_p50_ms", p50, "gap_max_ms", mx,
                     "target_p50_ms", 1000.0);
}

static bool waitReady(struct run *r, uint32_t n)
{
    long long end = tclock_mono_ms() + 10000;
    while (atomic_load(&r->workers_ready) < n && tclock_mono_ms() < end) {
        tclock_sleep_ms(1);
    }
    return atomic_load(&r->workers_ready) >= n && !atomic_load(&r->fatal);
}

static int runBurst(struct ctx *x)
{
    struct cfg *c = x->cfg;
    struct run *r = &x->run;
    const struct sys_vt *vt = x->sys.vt;
    bool failover = c->scenario == SC_FAILOVER;
    bool peer = c->mode == MODE_ETCD || c->mode == MODE_REDIS;
    if (peer && c->bot_early_ms > 0) {
        /* The peers have no release time: nobody may fire before it. */
        note(x, "peers have no release time: bots start at the release");
        c->bot_early_ms = 0;
    }
    if (!peer && (c->ttl_ms < 1000 || c->ttl_ms > 1800000) &&
        vt->configure(&x->sys, c->ttl_ms < 1000 ? c->ttl_ms : 1000,
                      c->ttl_ms > 1800000 ? c->ttl_ms : 1800000) != 0) {
        return -1;
    }
    if (c->rules && prepareBots(x) != 0) {
        return -1;
    }
    int64_t release_wall = tclock_wall_ms() + c->release_in_ms;
    if (c->rules && setupRules(x, release_wall) != 0) {
        return -1;
    }
    if (createPools(x, "hot", c->pools, c->capacity, release_wall) != 0) {
        return -1;
    }
    vt->counters(&x->sys, &x->c0);
    startClock(x, (uint64_t)c->release_in_ms + c->duration_ms);
    int64_t lead = release_wall - r->t0_wall_ms;
    r->release_wall_ms = release_wall;
    r->release_ns = r->t0_ns + (uint64_t)(lead > 0 ? lead : 0) * 1000000ull;
    r->phase = PH_BURST;
    struct sim *s = sim_start(r);
    if (s == NULL) {
        return -1;
    }
    if (!waitReady(r, c->threads)) {
        fprintf(stderr, "slotbench: workers did not start: %s\n", r->fatal_msg);
    }
    struct kill_rec kills[BENCH_KILLS_MAX];
    uint32_t n_kills = 0;
    struct sim_live prev;
    memset(&prev, 0, sizeof prev);
    uint64_t last_progress = hrNow();
    const char *reason = "duration";
    uint64_t limit = r->release_ns + (uint64_t)c->duration_ms * 1000000ull;
    for (;;) {
        tclock_sleep_ms(MONITOR_MS);
        uint64_t now = hrNow();
        if (now - last_progress >= PROGRESS_MS * 1000000ull) {
            progress(x, s, r->release_ns, &prev,
                     failover ? "failover" : "burst");
            last_progress = now;
        }
        if (allSoldOut(r)) {
            reason = "sold_out";
            break;
        }
        if (sim_all_done(s)) {
            reason = "all_patients_done";
            break;
        }
        if (now >= limit) {
            break;
        }
        if (fatalSeen(x) || interrupted) {
            reason = interrupted ? "interrupted" : "fatal";
            break;
        }
        if (!failover) {
            continue;
        }
        /* Kill the leader on schedule; restart it restart_ms later. */
        int64_t since_rel = (int64_t)(now - r->release_ns) / 1000000;
        if (n_kills < c->kills &&
            since_rel >=
                (int64_t)(c->kill_first_ms + n_kills * c->kill_every_ms)) {
            int leader = sys_slot_leader(&x->sys, 2000);
            if (leader >= 0) {
                struct kill_rec *k = &kills[n_kills++];
                sys_slot_kill(&x->sys, leader);
                uint64_t kt = hrNow();
                k->node = leader;
                k->hr_ms = (kt - r->t0_ns) / 1000000;
                k->wall_ms = tclock_wall_ms() - r->t0_wall_ms;
                k->restart_at_ms = since_rel + c->restart_ms;
                k->restarted = false;
                int nl = sys_slot_leader(&x->sys, 10000);
                k->leader_found_ms =
                    nl >= 0 ? (double)(hrNow() - kt) / 1e6 : -1;
                if (!c->quiet) {
                    fprintf(stderr,
                            "  killed leader node %d (SIGKILL); new leader "
                            "node %d seen after %.0f ms\n",
                            leader + 1, nl + 1, k->leader_found_ms);
                }
            }
        }
        for (uint32_t i = 0; i < n_kills; i++) {
            if (!kills[i].restarted && since_rel >= kills[i].restart_at_ms) {
                kills[i].restarted = true;
                if (sys_slot_restart(&x->sys, kills[i].node) != 0) {
                    fail(x, "could not restart node %d", kills[i].node + 1);
                }
            }
        }
    }
    uint64_t end_ns = hrNow();
    struct phase_out o;
    sim_finish(s, &o);
    if (failover) {
        for (uint32_t i = 0; i < n_kills; i++) {
            if (!kills[i].restarted) {
                sys_slot_restart(&x->sys, kills[i].node);
            }
        }
        if (sys_slot_leader(&x->sys, 15000) < 0) {
            fail(x, "no leader after the run");
        }
    }
    vt->counters(&x->sys, &x->c1);
    /* The window: release to sell-out (or the end of the load). */
    uint64_t from = (r->release_ns - r->t0_ns) / 1000000;
    uint64_t sell_max = 0;
    json_t *sell = json_array();
    for (uint32_t i = 0; i < r->n_pools; i++) {
        uint64_t so = atomic_load(&r->pool[i].sellout_ns);
        json_array_append_new(sell,
                              so ? json_real((double)(so - r->release_ns) / 1e9)
                                 : json_null());
        if (so > sell_max) {
            sell_max = so;
        }
    }
    bool sold = strcmp(reason, "sold_out") == 0;
    /* When 50 / 90 / 99 % of all slots were booked: the rush itself,
     * without the tail of lapsed holds being re-sold. */
    uint64_t total_cap = (uint64_t)c->pools * c->capacity, cum = 0;
    double tq[3] = {-1, -1, -1};
    const double qs[3] = {0.5, 0.9, 0.99};
    for (uint64_t m = from; m < o.st.n_ms; m++) {
        cum += o.st.book_ms[m];
        for (int q = 0; q < 3; q++) {
            if (tq[q] < 0 && (double)cum >= qs[q] * (double)total_cap) {
                tq[q] = (double)(m + 1 - from) / 1000.0;
            }
        }
    }
    uint64_t to = ((sold ? sell_max : end_ns) - r->t0_ns) / 1000000 + 1;
    json_t *f = figures(x, &o, from, to);
    json_object_set_new(f, "end", json_string(reason));
    json_object_set_new(
        f, "booked_by_s",
        json_pack("{s:f,s:f,s:f,s:f,s:f}", "p50", tq[0], "p90", tq[1], "p99",
                  tq[2], "bookings_per_s_to_90",
                  tq[1] > 0 ? 0.9 * (double)total_cap / tq[1] : 0.0,
                  "peak_bookings_per_s_1s",
                  (double)peak1s(o.st.book_ms, o.st.n_ms, from, to)));
    json_object_set_new(
        f, "sellout_s",
        json_pack("{s:o,s:o}", "max",
                  sold ? json_real((double)(sell_max - r->release_ns) / 1e9)
                       : json_null(),
                  "per_pool", sell));
    json_object_set_new(f, "series",
                        seriesJson(&o.st, from > 1000 ? from - 1000 : 0,
                                   (end_ns - r->t0_ns) / 1000000 + 500, from));
    if (failover) {
        json_object_set_new(x->doc, "failover",
                            failoverJson(x, &o, kills, n_kills));
    }
    uint64_t demand = (uint64_t)(c->patients * (1.0 - c->bot_share));
    bool expect = !failover && demand >= (uint64_t)c->pools * c->capacity;
    if (expect && !sold) {
        fail(x, "the pools did not sell out (end: %s)", reason);
    }
    json_object_set_new(x->doc, "check_detail",
                        check(x, &o, 0, r->n_pools, expect));
    json_object_set_new(x->doc, "result", f);
    if (c->rules) {
        json_t *rules = json_object_get(x->doc, "rules");
        json_object_set_new(rules, "buckets", bucketsJson(x));
        json_object_set_new(rules, "refusals", refusalsJson(x, &o));
    }
    phase_out_free(&o);
    return 0;
}

/* ---- fanout -------------------------------------------------------------- */

#define FANOUT_CONNECT_MS 20000 /* every subscriber answered 200 by then */

/* A number for the JSON: -1 for a figure the run did not have. */
static double numOr(json_t *o, const char *path)
{
    double v = bjson_num(o, path);
    return isnan(v) ? -1.0 : v;
}

/* The burst's headline figures (the ones compared with and without
 * subscribers), from its result object. */
static json_t *burstHeadline(json_t *res)
{
    return json_pack("{s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f}", "bookings_per_s",
                     numOr(res, "bookings_per_s"), "bookings_per_s_to_90",
                     numOr(res, "booked_by_s.bookings_per_s_to_90"),
                     "peak_bookings_per_s_1s",
                     numOr(res, "booked_by_s.peak_bookings_per_s_1s"),
                     "hold_decisions_per_s", numOr(res, "hold_decisions_per_s"),
                     "sellout_s", numOr(res, "sellout_s.max"), "latency_p99_ms",
                     numOr(res, "latency_ms.all.p99"), "hold_p99_ms",
                     numOr(res, "latency_ms.hold.p99"), "confirm_p99_ms",
                     numOr(res, "latency_ms.confirm.p99"));
}

/* Moves the last runBurst's "result" and "check_detail" out of the
 * document into a new object. */
static json_t *takeBurst(struct ctx *x)
{
    json_t *o = json_object();
    json_t *res = json_object_get(x->doc, "result");
    json_t *chk = json_object_get(x->doc, "check_detail");
    if (res != NULL) {
        json_object_set(o, "result", res);
    }
    if (chk != NULL) {
        json_object_set(o, "check_detail", chk);
    }
    json_object_del(x->doc, "result");
    json_object_del(x->doc, "check_detail");
    return o;
}

/* GET path from the gateway as the admin: the status (-1: no answer)
 * and the body (*body to free). */
static int gatewayGet(struct ctx *x, const char *path, char **body, size_t *len)
{
    const struct run *r = &x->run;
    char host[64], req[400];
    *body = NULL;
    *len = 0;
    const char *colon = strrchr(r->target, ':');
    if (colon == NULL || (size_t)(colon - r->target) >= sizeof host) {
        return -1;
    }
    snprintf(host, sizeof host, "%.*s", (int)(colon - r->target), r->target);
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: %s\r\n"
                     "Authorization: Bearer %s\r\n\r\n",
                     path, r->target, r->admin_token);
    return httpc_sync(host, atoi(colon + 1), req, (size_t)n, 5000, body, len);
}

/* The feed's newest seq, through the gateway's long poll; -1 if it does
 * not answer. */
static long long feedLast(struct ctx *x)
{
    char *body;
    size_t len;
    int st = gatewayGet(x, "/v1/events?limit=1", &body, &len);
    long long last = -1;
    json_error_t je;
    json_t *j =
        st == 200 && body != NULL ? json_loadb(body, len, 0, &je) : NULL;
    if (j != NULL && json_is_integer(json_object_get(j, "last"))) {
        last = json_integer_value(json_object_get(j, "last"));
    }
    json_decref(j);
    free(body);
    return last;
}

/* CPU seconds (user + system) process pid has used so far, or NAN. */
static double procCpuS(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *fp = pid > 0 ? fopen(path, "r") : NULL;
    size_t n = fp != NULL ? fread(buf, 1, sizeof buf - 1, fp) : 0;
    if (fp != NULL) {
        fclose(fp);
    }
    buf[n] = '\0';
    /* Fields after the command (which may hold spaces): state is 3rd,
     * utime 14th, stime 15th. */
    const char *p = strrchr(buf, ')');
    unsigned long long ut = 0, st = 0;
    if (p == NULL || sscanf(p + 2,
                            "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u "
                            "%*u %llu %llu",
                            &ut, &st) != 2) {
        return NAN;
    }
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* CPU seconds of the gateway [0] and each node [1..], for the fanout's
 * account of where the machine's time went. */
static void systemCpu(struct ctx *x, double *out, int n)
{
    out[0] = 0; /* every gateway process */
    for (uint32_t g = 0; g < x->cfg->gateways; g++) {
        out[0] += procCpuS(x->sys.gateway[g].pid);
    }
    for (int i = 1; i < n; i++) {
        out[i] =
            i - 1 < x->sys.cl.n ? procCpuS(x->sys.cl.node[i - 1].pid) : NAN;
    }
}

/* READ_EVENTS requests the gateway has made (its /metrics), or -1: with
 * the shared follower about one per page of the feed, without it one per
 * page per subscriber. */
static long long gatewayFeedReads(struct ctx *x)
{
    char *body;
    size_t len;
    int st = gatewayGet(x, "/metrics", &body, &len);
    long long reads = -1;
    static const char key[] =
        "slot_gateway_cluster_requests_total{op=\"read_events\",";
    if (st == 200 && body != NULL) {
        reads = 0;
        for (const char *p = strstr(body, key); p != NULL;
             p = strstr(p + 1, key)) {
            const char *v = strchr(p, '}');
            reads += v != NULL ? atoll(v + 1) : 0;
        }
    }
    free(body);
    return reads;
}

/* Restarts the system under test: a fresh cluster and gateway for the
 * second run (the first run's ledger would slow it otherwise). */
static int restartSystem(struct ctx *x)
{
    diskprobe_stop(&x->disk);
    x->sys.vt->stop(&x->sys);
    if (x->sys.vt->start(&x->sys, &x->run) != 0) {
        return -1;
    }
    const char *dir = dataDir(x);
    if (dir != NULL && diskprobe_start(&x->disk, dir, DISKPROBE_MS) != 0) {
        note(x, "disk probe not restarted in %s: %s", dir, strerror(errno));
    }
    return 0;
}

/* The race burst twice, each on a fresh system with the gateway up: first
 * alone, then with c->subscribers SSE streams following the feed from
 * before the release; then a marker pool, and a bounded wait for every
 * subscriber to see it. */
static int runFanout(struct ctx *x)
{
    struct cfg *c = x->cfg;
    struct run *r = &x->run;
    if (!c->quiet) {
        fprintf(stderr, "slotbench: fanout 1/2: the burst alone\n");
    }
    if (runBurst(x) != 0) {
        return -1;
    }
    json_t *alone = takeBurst(x);
    json_object_set_new(x->doc, "burst_alone", alone);
    if (c->subscribers == 0) {
        return 0;
    }
    if (restartSystem(x) != 0) {
        fail(x, "the system did not restart for the second run");
        return -1;
    }
    long long after = feedLast(x);
    if (after < 0) {
        fail(x, "the gateway's feed did not answer");
        return -1;
    }
    struct fanout_opts fo;
    memset(&fo, 0, sizeof fo);
    char host[64];
    const char *colon = strrchr(r->target, ':');
    snprintf(host, sizeof host, "%.*s", (int)(colon - r->target), r->target);
    fo.host = host;
    fo.port = atoi(colon + 1);
    fo.n = c->subscribers;
    fo.after = (uint64_t)after;
    fo.connect_timeout_ms = FANOUT_CONNECT_MS;
    fo.tokens[0] = r->admin_token;
    fo.admin[0] = true;
    fo.n_tokens = 1;
    if (c->fanout_spread) {
        for (int i = 0; i < BENCH_CHANNELS; i++) {
            fo.tokens[1 + i] = r->token[i];
            fo.admin[1 + i] = false;
        }
        fo.n_tokens = 1 + BENCH_CHANNELS;
    }
    if (!c->quiet) {
        fprintf(stderr,
                "slotbench: fanout 2/2: %u subscribers (%s), then the "
                "burst\n",
                c->subscribers, c->fanout_spread ? "spread" : "admin");
    }
    struct fanout *f = NULL;
    if (fanout_start(&fo, &f) != 0) {
        fail(x, "the subscribers could not start");
        return -1;
    }
    long long end = tclock_mono_ms() + FANOUT_CONNECT_MS + 1000;
    while (fanout_connected(f) + fanout_gone(f) < c->subscribers &&
           tclock_mono_ms() < end && !interrupted) {
        tclock_sleep_ms(20);
    }
    uint32_t connected = fanout_connected(f);
    double cpu0[1 + TCLUSTER_NODES_MAX], cpu1[1 + TCLUSTER_NODES_MAX];
    int n_cpu = 1 + (x->sys.cl.n < TCLUSTER_NODES_MAX ? x->sys.cl.n
                                                      : TCLUSTER_NODES_MAX);
    systemCpu(x, cpu0, n_cpu);
    uint64_t cpu_t0 = hrNow();
    int rc = runBurst(x);
    json_t *with = takeBurst(x);
    json_object_set_new(x->doc, "burst_with_subscribers", with);
    /* The marker: a pool created after the load; every viewer sees its
     * pool_created, the last event each must get. */
    char marker[BENCH_POOL_ID_MAX + 1];
    snprintf(marker, sizeof marker, "%s-marker", x->runid);
    fanout_marker(f, marker);
    struct slotc_pool_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.pool = marker;
    spec.capacity = 1;
    spec.kind = SLOTC_KIND_NORMAL;
    struct slotc_req req;
    slotc_req_init(&req);
    uint64_t drain_t0 = hrNow();
    bool marked = slotc_sync_pool_create(x->sys.admin, &req, &spec) == SLOT_OK;
    if (!marked) {
        fail(x, "the marker pool could not be created");
    }
    end = tclock_mono_ms() + c->fanout_drain_ms;
    while (marked && fanout_finished(f) + fanout_gone(f) < c->subscribers &&
           tclock_mono_ms() < end && !interrupted) {
        tclock_sleep_ms(20);
    }
    double drain_s = (double)(hrNow() - drain_t0) / 1e9;
    long long feed_reads = gatewayFeedReads(x);
    systemCpu(x, cpu1, n_cpu);
    double cpu_wall_s = (double)(hrNow() - cpu_t0) / 1e9;
    struct fanout_stats *st = calloc(1, sizeof *st);
    if (st == NULL) {
        fanout_stop(f, &(struct fanout_stats){0});
        return -1;
    }
    fanout_stop(f, st);
    json_t *a = json_object_get(alone, "result");
    json_t *w = json_object_get(with, "result");
    json_t *ha = burstHeadline(a), *hw = burstHeadline(w);
    json_t *ratio = json_object();
    const char *key;
    json_t *v;
    json_object_foreach(ha, key, v)
    {
        double x0 = json_real_value(v);
        double x1 = json_real_value(json_object_get(hw, key));
        json_object_set_new(
            ratio, key, x0 > 0 && x1 >= 0 ? json_real(x1 / x0) : json_null());
    }
    json_t *res = json_pack(
        "{s:i,s:s,s:i,s:i,s:i,s:i,s:i,s:i,s:f,s:b}", "subscribers",
        (int)c->subscribers, "viewers",
        c->fanout_spread ? "spread over admin and 4 channels" : "admin",
        "connected_before_burst", (int)connected, "connected",
        (int)st->connected, "refused", (int)st->refused, "ended_early",
        (int)st->ended_early, "finished", (int)st->finished, "protocol_errors",
        (int)st->protocol_errors, "drain_s", drain_s, "drain_bounded_out",
        st->finished + st->refused + st->ended_early < c->subscribers);
    json_object_set_new(res, "events_per_subscriber",
                        json_pack("{s:I,s:I,s:I}", "min",
                                  (json_int_t)st->events_min, "max",
                                  (json_int_t)st->events_max, "total",
                                  (json_int_t)st->events_total));
    json_object_set_new(res, "gateway_feed_reads", json_integer(feed_reads));
    /* Where the machine's time went from the release to the end of the
     * drain: CPU seconds of the gateway, of the subscribers' thread (the
     * whole of its life: connecting costs little) and of each node,
     * against the wall time (2 cores: 2 x wall_s at most, with the load
     * generator and anything else on the box). */
    json_t *nodes_cpu = json_array();
    for (int i = 1; i < n_cpu; i++) {
        double d = cpu1[i] - cpu0[i];
        json_array_append_new(nodes_cpu, isnan(d) ? json_null() : json_real(d));
    }
    double gw_cpu = cpu1[0] - cpu0[0];
    json_object_set_new(
        res, "cpu_s",
        json_pack("{s:f,s:o,s:f,s:o}", "wall_s", cpu_wall_s, "gateway",
                  isnan(gw_cpu) ? json_null() : json_real(gw_cpu),
                  "subscribers_thread", st->cpu_s, "nodes", nodes_cpu));
    json_object_set_new(res, "gaps", json_integer((json_int_t)st->gaps));
    json_object_set_new(res, "order_violations",
                        json_integer((json_int_t)st->order_violations));
    json_object_set_new(res, "lag_ms", latJson(&st->lag));
    json_object_set_new(res, "first_error", json_string(st->first_error));
    json_object_set_new(res, "burst_alone", ha);
    json_object_set_new(res, "burst_with_subscribers", hw);
    json_object_set_new(res, "ratio", ratio);
    json_object_set_new(res, "targets",
                        json_pack("{s:f,s:f}", "lag_p99_ms_max", 100.0,
                                  "burst_ratio_min", 0.9));
    json_object_set_new(x->doc, "result", res);
    /* The correctness part is a check; the targets are figures the
     * report judges. */
    if (st->gaps != 0 || st->order_violations != 0) {
        fail(x, "subscribers saw %llu missing seqs and %llu out of order",
             (unsigned long long)st->gaps,
             (unsigned long long)st->order_violations);
    }
    if (st->connected < c->subscribers) {
        fail(x, "%u of %u subscribers connected", st->connected,
             c->subscribers);
    }
    if (st->finished < st->connected) {
        note(x,
             "%u of %u subscribers saw the marker within %u ms (ended "
             "early: %u; first error: %s)",
             st->finished, st->connected, c->fanout_drain_ms, st->ended_early,
             st->first_error[0] ? st->first_error : "-");
    }
    free(st);
    return rc;
}

/* ---- steady and overload ------------------------------------------------- */

struct point_res {
    double holds_per_s; /* hold decisions/s achieved */
    json_t *json;
};

/* One steady point: open loop at `rate` holds/s, or closed loop with
 * `conc` patients in flight (rate 0). */
static int runPoint(struct ctx *x, uint32_t k, const char *label, double rate,
                    uint32_t conc, uint32_t span_ms, struct point_res *out)
{
    struct cfg *c = x->cfg;
    struct run *r = &x->run;
    const struct sys_vt *vt = x->sys.vt;
    char tag[16];
    snprintf(tag, sizeof tag, "p%u", k);
    if (createPools(x, tag, c->pools, c->capacity, 0) != 0) {
        return -1;
    }
    vt->counters(&x->sys, &x->c0);
    json_decref(diskWindow(x)); /* the point's window starts here */
    startClock(x, (uint64_t)c->warmup_ms + span_ms);
    r->point = k;
    r->phase = rate > 0 ? PH_OPEN : PH_CLOSED;
    r->rate = rate;
    r->concurrency = conc;
    r->release_ns = r->t0_ns;
    struct sim *s = sim_start(r);
    if (s == NULL) {
        return -1;
    }
    waitReady(r, c->threads);
    struct sim_live prev;
    memset(&prev, 0, sizeof prev);
    uint64_t end = r->t0_ns + ((uint64_t)c->warmup_ms + span_ms) * 1000000ull;
    uint64_t last = hrNow();
    while (hrNow() < end && !fatalSeen(x) && !interrupted) {
        tclock_sleep_ms(MONITOR_MS);
        if (hrNow() - last >= PROGRESS_MS * 1000000ull) {
            progress(x, s, r->t0_ns, &prev, label);
            last = hrNow();
        }
    }
    struct phase_out o;
    sim_finish(s, &o);
    vt->counters(&x->sys, &x->c1);
    uint64_t from = c->warmup_ms, to = (uint64_t)c->warmup_ms + span_ms;
    json_t *f = figures(x, &o, from, to);
    out->holds_per_s =
        json_real_value(json_object_get(f, "hold_decisions_per_s"));
    json_object_set_new(f, "label", json_string(label));
    json_object_set_new(f, "loop", json_string(rate > 0 ? "open" : "closed"));
    json_object_set_new(f, "offered_holds_per_s", json_real(rate));
    json_object_set_new(f, "concurrency", json_integer(conc));
    json_object_set_new(f, "arrivals", json_integer((json_int_t)o.st.arrivals));
    json_object_set_new(f, "dropped_by_generator",
                        json_integer((json_int_t)o.st.dropped));
    json_object_set_new(f, "issued_late",
                        json_integer((json_int_t)o.st.lagged));
    json_object_set_new(f, "series", seriesJson(&o.st, 0, to + 200, 0));
    json_object_set_new(f, "check", check(x, &o, 0, r->n_pools, false));
    json_t *disk = diskWindow(x);
    if (disk != NULL) {
        json_object_set_new(f, "disk_fsync_ms", disk);
    }
    out->json = f;
    phase_out_free(&o);
    return 0;
}

static uint32_t probeConcurrency(const struct cfg *c)
{
    /* Enough to fill every session window of every connection. */
    uint64_t n = (uint64_t)c->threads * c->conns * c->sessions * 32;
    if (c->mode == MODE_HTTP) {
        /* Every connection busy, but no more than the gateway's own
         * session windows carry to the cluster (its libslot sessions x
         * 32): beyond that requests only queue in the gateway, whose
         * libslot then scans its backlog on every event (4,000 in flight
         * measured 6,119 holds/s, 2,048 12,952 and 512 11,261, one run
         * each, with 4,000 connections open; 256 of 128 connections gave
         * 17k in the last run set). */
        n = (uint64_t)c->threads * c->conns * c->depth;
        uint64_t windows = (uint64_t)c->gateways * c->sessions * 32;
        if (n > windows) {
            n = windows;
        }
    }
    if (n > c->outstanding_max) {
        n = c->outstanding_max;
    }
    return (uint32_t)(n ? n : 1);
}

static int ensureTtl(struct ctx *x)
{
    struct cfg *c = x->cfg;
    if (c->ttl_ms < 1000 || c->ttl_ms > 1800000) {
        return x->sys.vt->configure(&x->sys,
                                    c->ttl_ms < 1000 ? c->ttl_ms : 1000,
                                    c->ttl_ms > 1800000 ? c->ttl_ms : 1800000);
    }
    return 0;
}

static int runSteady(struct ctx *x)
{
    struct cfg *c = x->cfg;
    bool overload = c->scenario == SC_OVERLOAD;
    if (ensureTtl(x) != 0) {
        return -1;
    }
    bool need_peak = overload;
    for (uint32_t i = 0; i < c->n_points; i++) {
        need_peak |= c->points[i][0] == 'x';
    }
    double peak = 0;
    uint32_t k = 0;
    json_t *points = json_array();
    if (need_peak) {
        struct point_res pr;
        uint32_t conc = probeConcurrency(c);
        if (runPoint(x, k++, "probe", 0, conc, c->probe_ms, &pr) != 0) {
            return -1;
        }
        peak = pr.holds_per_s;
        json_object_set_new(x->doc, "probe", pr.json);
        if (!c->quiet) {
            fprintf(stderr, "  probe: %.0f holds/s with %u in flight\n", peak,
                    conc);
        }
        if (peak <= 0) {
            fail(x, "the probe measured no throughput");
            return 0;
        }
    }
    if (overload) {
        struct point_res pr;
        char label[32];
        snprintf(label, sizeof label, "x%.1f", c->overload_factor);
        if (runPoint(x, k++, label, peak * c->overload_factor, 0, c->point_ms,
                     &pr) != 0) {
            return -1;
        }
        json_t *probe = json_object_get(x->doc, "probe");
        double good =
            json_real_value(json_object_get(pr.json, "ok_decisions_per_s"));
        double good0 =
            json_real_value(json_object_get(probe, "ok_decisions_per_s"));
        json_object_set_new(pr.json, "sustainable_holds_per_s",
                            json_real(peak));
        json_object_set_new(pr.json, "goodput_vs_probe",
                            json_real(good0 > 0 ? good / good0 : 0));
        json_object_set_new(x->doc, "result", pr.json);
        json_object_set_new(x->doc, "check_detail",
                            json_incref(json_object_get(pr.json, "check")));
        return 0;
    }
    for (uint32_t i = 0; i < c->n_points && !interrupted; i++) {
        const char *p = c->points[i];
        double rate = 0;
        uint32_t conc = 0;
        if (strncmp(p, "c=", 2) == 0) {
            conc = (uint32_t)atoi(p + 2);
        } else if (p[0] == 'x') {
            rate = atof(p + 1) * peak;
        } else {
            rate = atof(p);
        }
        if ((conc == 0 && rate <= 0) || conc > c->outstanding_max) {
            fail(x, "bad point '%s'", p);
            continue;
        }
        struct point_res pr;
        if (runPoint(x, k++, p, rate, conc, c->point_ms, &pr) != 0) {
            return -1;
        }
        json_array_append_new(points, pr.json);
    }
    json_object_set_new(x->doc, "points", points);
    json_object_set_new(x->doc, "peak_holds_per_s", json_real(peak));
    /* The check of every point, in one place. */
    json_t *checks = json_array();
    size_t i;
    json_t *pt;
    json_array_foreach(points, i, pt)
    {
        json_array_append_new(checks,
                              json_incref(json_object_get(pt, "check")));
    }
    json_object_set_new(x->doc, "check_detail", checks);
    return 0;
}

/* ---- expiry storm -------------------------------------------------------- */

static int runStorm(struct ctx *x)
{
    struct cfg *c = x->cfg;
    struct run *r = &x->run;
    const struct sys_vt *vt = x->sys.vt;
    /* Each storm hold's ttl is (deadline - now): anything from 1 ms up. */
    uint32_t ttl_max = c->storm_deadline_ms + 60000;
    if (vt->configure(&x->sys, 1, ttl_max > 1800000 ? ttl_max : 1800000) != 0) {
        return -1;
    }
    r->n_pools = 2;
    snprintf(r->pool[0].id, sizeof r->pool[0].id, "%s-storm", x->runid);
    r->pool[0].capacity = c->storm_holds;
    snprintf(r->pool[1].id, sizeof r->pool[1].id, "%s-live", x->runid);
    r->pool[1].capacity = POOL_CAPACITY_MAX;
    r->live_pool = 1;
    for (uint32_t i = 0; i < 2; i++) {
        if (vt->create_pool(&x->sys, r, i, 0) != 0) {
            return -1;
        }
    }
    vt->counters(&x->sys, &x->c0);
    startClock(x, (uint64_t)c->storm_deadline_ms + STORM_WAIT_MS);
    r->deadline_wall_ms = (uint64_t)(r->t0_wall_ms + c->storm_deadline_ms);
    r->release_ns = r->t0_ns;
    r->phase = PH_STORM;
    atomic_store(&r->storm_filled, 0);
    atomic_store(&r->storm_deadline_min, UINT64_MAX);
    atomic_store(&r->storm_deadline_max, 0);
    atomic_store(&r->live_on, c->live_rate > 0);
    struct sim *s = sim_start(r);
    if (s == NULL) {
        return -1;
    }
    waitReady(r, c->threads);
    struct sim_live prev;
    memset(&prev, 0, sizeof prev);
    uint64_t last = hrNow();
    double fill_s = -1;
    /* 1. Fill: every storm hold placed before the deadline. */
    while (!interrupted && !fatalSeen(x)) {
        tclock_sleep_ms(MONITOR_MS);
        if (hrNow() - last >= PROGRESS_MS * 1000000ull) {
            progress(x, s, r->t0_ns, &prev, "fill");
            last = hrNow();
        }
        if (sim_all_done(s)) {
            fill_s = (double)(hrNow() - r->t0_ns) / 1e9;
            break;
        }
        if (tclock_wall_ms() >= (int64_t)r->deadline_wall_ms) {
            break;
        }
    }
    uint64_t filled = atomic_load(&r->storm_filled);
    if (filled < c->storm_holds) {
        fail(x,
             "only %llu of %u storm holds placed before the deadline "
             "(raise --storm-deadline-ms)",
             (unsigned long long)filled, c->storm_holds);
    }
    /* 2. The deadline passes: poll until every storm hold is released. */
    while (tclock_wall_ms() < (int64_t)r->deadline_wall_ms && !interrupted) {
        tclock_sleep_ms(1);
    }
    double first_ms = -1, all_ms = -1;
    uint32_t held = 0;
    int64_t poll_end = (int64_t)r->deadline_wall_ms + STORM_WAIT_MS;
    json_t *trace = json_array();
    while (!interrupted && tclock_wall_ms() < poll_end) {
        struct pool_state ps;
        if (vt->pool_state(&x->sys, r->pool[0].id, &ps) == 0) {
            double t =
                (double)(tclock_wall_ms() - (int64_t)r->deadline_wall_ms);
            held = ps.held;
            json_array_append_new(trace, json_pack("[f,i]", t, (int)held));
            if (first_ms < 0 && held < filled) {
                first_ms = t;
            }
            if (held == 0) {
                all_ms = t;
                break;
            }
        }
        tclock_sleep_ms(STORM_POLL_MS);
    }
    /* 3. A little more live load after the storm, then stop. */
    tclock_sleep_ms(500);
    atomic_store(&r->live_on, 0);
    struct phase_out o;
    sim_finish(s, &o);
    vt->counters(&x->sys, &x->c1);
    if (all_ms < 0) {
        fail(x, "%u storm holds still held %d ms after the deadline", held,
             STORM_WAIT_MS);
    }
    uint64_t dmin = atomic_load(&r->storm_deadline_min);
    uint64_t dmax = atomic_load(&r->storm_deadline_max);
    uint64_t to = (uint64_t)(tclock_wall_ms() - r->t0_wall_ms);
    json_t *f = figures(x, &o, 0, to);
    json_object_set_new(
        f, "storm",
        json_pack("{s:i,s:I,s:f,s:f,s:f,s:f,s:f,s:i,s:f,s:o,s:o,s:o,s:o}",
                  "holds", (int)c->storm_holds, "filled", (json_int_t)filled,
                  "fill_s", fill_s, "deadline_spread_ms",
                  dmax >= dmin ? (double)(dmax - dmin) : -1.0,
                  "deadline_offset_ms",
                  dmax >= dmin
                      ? (double)((int64_t)dmin - (int64_t)r->deadline_wall_ms)
                      : 0.0,
                  "first_release_ms", first_ms, "all_released_ms", all_ms,
                  "live_rate", (int)c->live_rate, "target_ms", 2000.0,
                  "live_before", latJson(&o.st.live[0]), "live_during",
                  latJson(&o.st.live[1]), "held_trace", trace, "series",
                  seriesJson(&o.st, 0, to, (uint64_t)c->storm_deadline_ms)));
    json_object_set_new(x->doc, "result", f);
    /* The live pool's bookings must match; the storm pool is all free. */
    json_object_set_new(x->doc, "check_detail", check(x, &o, 1, 2, false));
    struct pool_state ps;
    if (vt->pool_state(&x->sys, r->pool[0].id, &ps) == 0 &&
        (ps.held != 0 || ps.booked != 0 || ps.free != ps.capacity)) {
        fail(x, "storm pool not all free at the end (held %u booked %u)",
             ps.held, ps.booked);
    }
    phase_out_free(&o);
    return 0;
}

/* ---- import: a hospital's schedule, end to end --------------------------- */

#define IMPORT_TARGET_MS 1000.0 /* issue 14: 10,000 pools <= 1 s */

/* One pass of the templates (importer.h) as JSON; `pools` the plan's. The
 * Raft figures are the deltas of x->c0 .. x->c1. */
static json_t *importJson(struct ctx *x, const struct importer_result *a,
                          uint64_t pools)
{
    double secs = (double)a->elapsed_ns / 1e9;
    uint64_t entries, commands;
    raftDelta(&x->c0, &x->c1, &entries, &commands);
    json_t *st = json_object();
    for (int k = 0; k < BENCH_STATUS_MAX; k++) {
        if (a->status[k] > 0) {
            json_object_set_new(st, bench_status_name(k),
                                json_integer(a->status[k]));
        }
    }
    return json_pack("{s:i,s:i,s:I,s:I,s:f,s:f,s:f,s:o,s:o,s:{s:I,s:I}}",
                     "imports", (int)a->n, "ok", (int)a->ok, "created",
                     (json_int_t)a->created, "unchanged",
                     (json_int_t)a->unchanged, "elapsed_ms", secs * 1000,
                     "submit_ms", (double)a->submit_ns / 1e6, "pools_per_s",
                     secs > 0 ? (double)pools / secs : 0.0, "latency_ms",
                     latJson(&a->lat), "statuses", st, "raft", "entries",
                     (json_int_t)entries, "commands", (json_int_t)commands);
}

static int cmpStr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists the hospital's pools with slotc_read_query, a page of
 * SLOTC_LIST_MAX at a time, and compares them with the plan: every pool
 * there, none more, each scheduled and untouched. */
static json_t *verifyImport(struct ctx *x, const struct hosp_plan *p)
{
    uint64_t n_exp = p->pools, cap = n_exp + SLOTC_LIST_MAX;
    char **got = calloc(cap, sizeof *got), **exp = calloc(n_exp, sizeof *exp);
    uint64_t n_got = 0, pages = 0, total = 0, bad = 0;
    char after[SLOTC_POOL_ID_MAX + 1] = "";
    uint64_t t0 = hrNow();
    int rc = SLOT_OK;
    while (got != NULL && exp != NULL && pages <= n_exp / SLOTC_LIST_MAX + 1) {
        struct slotc_query q = {.hospital = x->hosp.name,
                                .kind = -1,
                                .after = after,
                                .limit = SLOTC_LIST_MAX};
        struct slotc_req req;
        slotc_req_init(&req);
        rc = slotc_sync_read_query(x->sys.admin, &req, &q);
        if (rc != SLOT_OK) {
            fail(x, "read_query page %llu: %s", (unsigned long long)pages,
                 slotc_err_name(rc));
            break;
        }
        pages++;
        total = req.out.total;
        for (uint32_t i = 0; i < req.out.n_pools && n_got < cap; i++) {
            const struct slotc_pool *pl = &req.out.pools[i];
            got[n_got++] = strdup(pl->pool);
            bad += !pl->scheduled ||
                   strcmp(pl->place.hospital, x->hosp.name) != 0 ||
                   pl->capacity != HOSP_IMPORT_CAP ||
                   pl->free != HOSP_IMPORT_CAP;
        }
        if (req.out.n_pools < SLOTC_LIST_MAX) {
            break;
        }
        snprintf(after, sizeof after, "%s",
                 req.out.pools[req.out.n_pools - 1].pool);
    }
    double ms_taken = (double)(hrNow() - t0) / 1e6;
    uint64_t k = 0;
    for (uint32_t t = 0; exp != NULL && t < p->n_templates; t++) {
        for (uint32_t d = 0; d < p->n_days; d++) {
            for (uint32_t g = 0; g < p->n_segments; g++) {
                char id[SLOTC_POOL_ID_MAX + 1];
                hosp_plan_pool_id(p, t, d, g, id);
                exp[k++] = strdup(id);
            }
        }
    }
    uint64_t missing = n_exp, extra = n_got, dup = 0;
    if (got != NULL && exp != NULL) {
        qsort(got, n_got, sizeof *got, cmpStr);
        qsort(exp, n_exp, sizeof *exp, cmpStr);
        uint64_t i = 0, j = 0;
        missing = extra = 0;
        while (i < n_got || j < n_exp) {
            int c = i == n_got ? 1 : j == n_exp ? -1 : strcmp(got[i], exp[j]);
            if (i > 0 && i < n_got && strcmp(got[i], got[i - 1]) == 0) {
                dup++;
                i++;
                continue;
            }
            if (c == 0) {
                i++;
                j++;
            } else if (c < 0) {
                extra++;
                i++;
            } else {
                missing++;
                j++;
            }
        }
    } else {
        fail(x, "verify: out of memory");
    }
    if (rc == SLOT_OK && (missing || extra || dup || bad || total != n_exp)) {
        fail(x,
             "verify: %llu of %llu pools listed (total %llu): %llu missing, "
             "%llu not planned, %llu listed twice, %llu not as imported",
             (unsigned long long)n_got, (unsigned long long)n_exp,
             (unsigned long long)total, (unsigned long long)missing,
             (unsigned long long)extra, (unsigned long long)dup,
             (unsigned long long)bad);
    }
    for (uint64_t i = 0; got != NULL && i < n_got; i++) {
        free(got[i]);
    }
    for (uint64_t i = 0; exp != NULL && i < k; i++) {
        free(exp[i]);
    }
    free(got);
    free(exp);
    return json_pack(
        "{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:b}", "expected",
        (json_int_t)n_exp, "query_total", (json_int_t)total, "listed",
        (json_int_t)n_got, "pages", (json_int_t)pages, "missing",
        (json_int_t)missing, "unplanned", (json_int_t)extra, "listed_twice",
        (json_int_t)dup, "not_as_imported", (json_int_t)bad, "elapsed_ms",
        ms_taken, "ok",
        rc == SLOT_OK && missing + extra + dup + bad == 0 && total == n_exp);
}

/* The hospital's rules, then its schedule (hosp.h) imported as an admin
 * would, one template per doctor, each atomic; the pools listed and
 * compared with the plan; then every template again (the idempotent
 * no-op path: each answer OK, nothing created). */
static int runImport(struct ctx *x)
{
    struct cfg *c = x->cfg;
    struct run *r = &x->run;
    char name[SLOTC_NAME_MAX + 1], err[200];
    hospName(x, name, sizeof name);
    int64_t now = tclock_wall_ms();
    hosp_init(&x->hosp, name, now, now, c->ttl_ms, false);
    if (hosp_rules_set(x->sys.admin, &x->hosp) != 0) {
        return -1;
    }
    json_object_set_new(x->doc, "rules", hosp_json(&x->hosp));
    struct hosp_plan plan;
    if (hosp_plan(&plan, &x->hosp, c->import_pools, c->import_templates, err,
                  sizeof err) != 0) {
        fprintf(stderr, "slotbench: import: %s\n", err);
        return -1;
    }
    json_object_set_new(x->doc, "schedule", hosp_plan_json(&plan));
    uint32_t n = plan.n_templates;
    const char *pass_name[2] = {"import", "reimport"};
    json_t *pass[2] = {NULL, NULL};
    json_t *verify = NULL;
    int rc = 0;
    for (int k = 0; k < 2 && rc == 0 && !interrupted; k++) {
        struct importer_result a;
        x->sys.vt->counters(&x->sys, &x->c0);
        rc = importer_run(r->addrs, plan.tpl, n, c->import_inflight,
                          c->timeout_ms, &a);
        x->sys.vt->counters(&x->sys, &x->c1);
        pass[k] = importJson(x, &a, plan.pools);
        if (!c->quiet) {
            fprintf(stderr, "  %s: %u of %u answered OK in %.1f ms\n",
                    pass_name[k], a.ok, n, (double)a.elapsed_ns / 1e6);
        }
        uint64_t want_created = k == 0 ? plan.pools : 0;
        if (a.ok != n || a.created != want_created ||
            a.created + a.unchanged != plan.pools) {
            fail(x,
                 "%s: %u of %u templates OK, %llu pools created and %llu "
                 "unchanged (expected %llu created of %llu)",
                 pass_name[k], a.ok, n, (unsigned long long)a.created,
                 (unsigned long long)a.unchanged,
                 (unsigned long long)want_created,
                 (unsigned long long)plan.pools);
        }
        if (k == 0 && rc == 0) {
            verify = verifyImport(x, &plan);
        }
    }
    if (rc != 0) {
        fail(x, "import: the client could not submit every template");
    }
    double e = bjson_num(pass[0], "elapsed_ms");
    json_t *res =
        json_pack("{s:I,s:i,s:i,s:f,s:f,s:b}", "pools", (json_int_t)plan.pools,
                  "imports", (int)n, "inflight",
                  (int)(c->import_inflight == 0 || c->import_inflight > n
                            ? n
                            : c->import_inflight),
                  "elapsed_ms", e, "target_ms", IMPORT_TARGET_MS,
                  "within_target", !isnan(e) && e <= IMPORT_TARGET_MS);
    json_object_set_new(res, "import", pass[0] ? pass[0] : json_null());
    json_object_set_new(res, "verify", verify ? verify : json_null());
    json_object_set_new(res, "reimport", pass[1] ? pass[1] : json_null());
    json_object_set_new(x->doc, "result", res);
    hosp_plan_free(&plan);
    return rc;
}

/* ---- the document and the summary line ----------------------------------- */

static json_t *machineJson(void)
{
    struct utsname u;
    double load[3] = {0, 0, 0};
    char model[256] = "?";
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f != NULL) {
        char line[512];
        while (fgets(line, sizeof line, f) != NULL) {
            if (strncmp(line, "model name", 10) == 0) {
                char *v = strchr(line, ':');
                if (v != NULL) {
                    snprintf(model, sizeof model, "%s", v + 2);
                    model[strcspn(model, "\n")] = '\0';
                }
                break;
            }
        }
        fclose(f);
    }
    getloadavg(load, 3);
    uname(&u);
    return json_pack("{s:i,s:s,s:s,s:[f,f,f]}", "cpus",
                     (int)sysconf(_SC_NPROCESSORS_ONLN), "cpu", model, "kernel",
                     u.release, "loadavg_start", load[0], load[1], load[2]);
}

static json_t *paramsJson(const struct cfg *c)
{
    json_t *p = json_pack(
        "{s:I,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i}", "seed",
        (json_int_t)c->seed, "threads", (int)c->threads, "conns", (int)c->conns,
        "sessions", (int)c->sessions, "queue_max", (int)c->queue_max, "depth",
        (int)c->depth, "timeout_ms", (int)c->timeout_ms, "pools", (int)c->pools,
        "capacity", (int)c->capacity, "patients", (int)c->patients, "ttl_ms",
        (int)c->ttl_ms, "duration_ms", (int)c->duration_ms);
    json_object_set_new(p, "shed", json_boolean(c->shed));
    json_object_set_new(p, "conn_reqs", json_integer(c->conn_reqs));
    json_object_set_new(p, "retry_after_ms", json_integer(c->retry_after_ms));
    json_object_set_new(p, "gateways", json_integer(c->gateways));
    if (c->scenario == SC_FANOUT) {
        json_object_set_new(
            p, "fanout",
            json_pack("{s:i,s:b,s:i,s:I}", "subscribers", (int)c->subscribers,
                      "spread", c->fanout_spread, "drain_ms",
                      (int)c->fanout_drain_ms, "gw_events_shared_max",
                      (json_int_t)c->gw_events_shared));
    }
    json_object_set_new(p, "disk_probe_ms", json_integer(DISKPROBE_MS));
    json_object_update_new(
        p,
        json_pack("{s:f,s:i,s:i,s:i,s:f,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:f}",
                  "bot_share", c->bot_share, "bot_pools", (int)c->bot_pools,
                  "bot_retry_ms", (int)c->bot_retry_ms, "bot_probes",
                  (int)c->bot_probes, "bot_abandon", c->bot_abandon,
                  "bot_early_ms", (int)c->bot_early_ms, "arrival_ms",
                  (int)c->arrival_ms, "release_in_ms", (int)c->release_in_ms,
                  "retry_min_ms", (int)c->retry_min_ms, "retry_max_ms",
                  (int)c->retry_max_ms, "patience_ms", (int)c->patience_ms,
                  "pay_min_ms", (int)c->pay_min_ms, "pay_max_ms",
                  (int)c->pay_max_ms, "abandon", c->abandon));
    json_t *pts = json_array();
    for (uint32_t i = 0; i < c->n_points; i++) {
        json_array_append_new(pts, json_string(c->points[i]));
    }
    json_object_update_new(
        p, json_pack("{s:b,s:i,s:i,s:i,s:i}", "rules", c->rules, "hold_ttl_ms",
                     (int)c->ttl_ms, "import_pools", (int)c->import_pools,
                     "import_templates", (int)c->import_templates,
                     "import_inflight", (int)c->import_inflight));
    json_object_update_new(p, json_pack("{s:i,s:i}", "bot_names",
                                        (int)c->bot_names, "bot_accounts",
                                        (int)c->bot_accounts));
    json_object_update_new(
        p, json_pack("{s:o,s:i,s:i,s:f,s:f,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i}",
                     "points", pts, "point_ms", (int)c->point_ms, "warmup_ms",
                     (int)c->warmup_ms, "confirm_share", c->confirm_share,
                     "overload_factor", c->overload_factor, "probe_ms",
                     (int)c->probe_ms, "storm_holds", (int)c->storm_holds,
                     "storm_deadline_ms", (int)c->storm_deadline_ms,
                     "live_rate", (int)c->live_rate, "kills", (int)c->kills,
                     "kill_first_ms", (int)c->kill_first_ms, "kill_every_ms",
                     (int)c->kill_every_ms, "restart_ms", (int)c->restart_ms));
    return p;
}

static void summary(struct ctx *x, bool ok, char *out, size_t len)
{
    const struct cfg *c = x->cfg;
    json_t *d = x->doc;
    json_t *res = json_object_get(d, "result");
    int w =
        snprintf(out, len, "%s %s:", SCENARIOS[c->scenario], MODES[c->mode]);
    size_t at = w > 0 ? (size_t)w : 0;
#define ADD(...)                                                               \
    do {                                                                       \
        int n_ = snprintf(out + at, at < len ? len - at : 0, __VA_ARGS__);     \
        at += n_ > 0 ? (size_t)n_ : 0;                                         \
    } while (0)
    if (c->scenario == SC_IMPORT && res != NULL) {
        ADD(" %.0f pools in %.0f imports (%.0f in flight), %.1f ms end to end "
            "(%.0f pools/s), per import p50 %.1f p99 %.1f ms; verified %.0f "
            "of %.0f; re-import (no-op) %.1f ms",
            bjson_num(res, "pools"), bjson_num(res, "imports"),
            bjson_num(res, "inflight"), bjson_num(res, "import.elapsed_ms"),
            bjson_num(res, "import.pools_per_s"),
            bjson_num(res, "import.latency_ms.p50"),
            bjson_num(res, "import.latency_ms.p99"),
            bjson_num(res, "verify.listed"), bjson_num(res, "pools"),
            bjson_num(res, "reimport.elapsed_ms"));
    } else if (c->scenario == SC_IMPORT) {
        ADD(" no result");
    } else if (c->scenario == SC_FANOUT && res != NULL) {
        ADD(" %.0f subscribers (%.0f connected, %.0f saw the last event), "
            "events each %.0f..%.0f, gaps %.0f, out of order %.0f, lag p50 "
            "%.1f p99 %.1f max %.1f ms; bookings/s to 90%% %.0f alone, %.0f "
            "with (x%.3f)",
            bjson_num(res, "subscribers"), bjson_num(res, "connected"),
            bjson_num(res, "finished"),
            bjson_num(res, "events_per_subscriber.min"),
            bjson_num(res, "events_per_subscriber.max"), bjson_num(res, "gaps"),
            bjson_num(res, "order_violations"), bjson_num(res, "lag_ms.p50"),
            bjson_num(res, "lag_ms.p99"), bjson_num(res, "lag_ms.max"),
            bjson_num(res, "burst_alone.bookings_per_s_to_90"),
            bjson_num(res, "burst_with_subscribers.bookings_per_s_to_90"),
            bjson_num(res, "ratio.bookings_per_s_to_90"));
    } else if (c->scenario == SC_STEADY) {
        json_t *pts = json_object_get(d, "points");
        size_t i;
        json_t *pt;
        json_array_foreach(pts, i, pt)
        {
            ADD(" [%s %.0f holds/s p50 %.2f p99 %.2f ms]",
                json_string_value(json_object_get(pt, "label")),
                bjson_num(pt, "hold_decisions_per_s"),
                bjson_num(pt, "latency_ms.all.p50"),
                bjson_num(pt, "latency_ms.all.p99"));
        }
    } else if (res != NULL) {
        ADD(" %.0f decisions/s (%.0f hold decisions, %.0f OK holds), %.0f "
            "bookings/s over %.3f s",
            bjson_num(res, "decisions_per_s"),
            bjson_num(res, "hold_decisions_per_s"),
            bjson_num(res, "ok_holds_per_s"), bjson_num(res, "bookings_per_s"),
            bjson_num(res, "window_s"));
        if (json_object_get(res, "raft") != NULL) {
            ADD(", %.0f raft entries/s (%.1f decisions/entry)",
                bjson_num(res, "raft.entries_per_s"),
                bjson_num(res, "raft.decisions_per_entry"));
        }
        ADD(", latency p50 %.2f p90 %.2f p99 %.2f p99.9 %.2f max %.1f ms",
            bjson_num(res, "latency_ms.all.p50"),
            bjson_num(res, "latency_ms.all.p90"),
            bjson_num(res, "latency_ms.all.p99"),
            bjson_num(res, "latency_ms.all.p999"),
            bjson_num(res, "latency_ms.all.max"));
        double so = bjson_num(res, "sellout_s.max");
        if (!isnan(so)) {
            ADD(", sell-out %.2f s (90%% booked at %.2f s: %.0f bookings/s)",
                so, bjson_num(res, "booked_by_s.p90"),
                bjson_num(res, "booked_by_s.bookings_per_s_to_90"));
        }
        if (c->scenario == SC_FAILOVER) {
            ADD(", write gap p50 %.0f ms max %.0f ms",
                bjson_num(d, "failover.gap_p50_ms"),
                bjson_num(d, "failover.gap_max_ms"));
        }
        if (c->scenario == SC_STORM) {
            ADD(", %d holds released %.0f ms after the deadline",
                (int)bjson_num(res, "storm.holds"),
                bjson_num(res, "storm.all_released_ms"));
        }
        if (c->scenario == SC_OVERLOAD) {
            ADD(", offered %.0f holds/s (%.1fx), goodput %.0f ok/s (%.2f of "
                "probe), "
                "refused p99 %.2f ms",
                bjson_num(res, "offered_holds_per_s"), c->overload_factor,
                bjson_num(res, "ok_decisions_per_s"),
                bjson_num(res, "goodput_vs_probe"),
                bjson_num(res, "latency_ms.hold_refused.p99"));
        }
    }
    ADD(", check %s", ok ? "OK" : "FAILED");
#undef ADD
}

static const struct sys_vt *sysOf(int mode)
{
    switch (mode) {
        case MODE_ETCD:
            return &sys_etcd;
        case MODE_REDIS:
            return &sys_redis;
        default:
            return &sys_slot;
    }
}

static const struct be_vt *beOf(int mode)
{
    switch (mode) {
        case MODE_HTTP:
            return &be_http;
        case MODE_ETCD:
            return &be_etcd;
        case MODE_REDIS:
            return &be_redis;
        default:
            return &be_native;
    }
}

/* A thousand subscribers' sockets besides the load generator's: the
 * descriptor limit up to the hard one (the soft default is often 1024). */
static void raiseFdLimit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int main(int argc, char **argv)
{
    static struct cfg cfg;
    static struct ctx x;
    if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        fputs(USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "report") == 0) {
        return report_main(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "readme") == 0) {
        return readme_main(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "runset") == 0) {
        return runset_main(argc - 1, argv + 1);
    }
    if (parseArgs(&cfg, argc, argv) != 0) {
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    raiseFdLimit();
    signal(SIGINT, onSignal);
    signal(SIGTERM, onSignal);
    x.cfg = &cfg;
    x.run.cfg = &cfg;
    x.run.be = beOf(cfg.mode);
    x.sys.vt = sysOf(cfg.mode);
    x.sys.cfg = &cfg;
    x.sys.run = &x.run;
    x.run.hold_ttl_ms = cfg.ttl_ms;
    snprintf(x.runid, sizeof x.runid, "b%llx",
             (unsigned long long)(tclock_wall_ms() % 0xffffffffffll));
    x.doc = json_object();
    x.failures = json_array();
    x.notes = json_array();
    char out_path[512];
    if (cfg.out != NULL) {
        snprintf(out_path, sizeof out_path, "%s", cfg.out);
    } else {
        snprintf(out_path, sizeof out_path, "%s/%s-%s%s.json", cfg.results_dir,
                 SCENARIOS[cfg.scenario], MODES[cfg.mode],
                 cfg.rules ? "-rules" : "");
    }
    time_t now = time(NULL);
    char when[64];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    json_object_set_new(x.doc, "schema_version",
                        json_integer(BENCH_SCHEMA_VERSION));
    if (cfg.run_set != NULL) {
        json_object_set_new(x.doc, "run_set", json_string(cfg.run_set));
    }
    if (cfg.commit != NULL) {
        json_object_set_new(x.doc, "commit", json_string(cfg.commit));
    }
    json_object_set_new(x.doc, "scenario",
                        json_string(SCENARIOS[cfg.scenario]));
    json_object_set_new(x.doc, "mode", json_string(MODES[cfg.mode]));
    json_object_set_new(x.doc, "started_at", json_string(when));
    json_object_set_new(x.doc, "machine", machineJson());
    json_object_set_new(x.doc, "params", paramsJson(&cfg));
    if (!cfg.quiet) {
        fprintf(stderr, "slotbench: %s, mode %s: starting the system\n",
                SCENARIOS[cfg.scenario], MODES[cfg.mode]);
    }
    int rc = x.sys.vt->start(&x.sys, &x.run);
    hist_init(&x.disk_run);
    const char *data_dir = rc == 0 ? dataDir(&x) : NULL;
    if (data_dir != NULL &&
        diskprobe_start(&x.disk, data_dir, DISKPROBE_MS) != 0) {
        note(&x, "disk probe not started in %s: %s", data_dir, strerror(errno));
    }
    if (rc == 0) {
        json_object_set_new(x.doc, "system", x.sys.vt->describe(&x.sys));
        switch (cfg.scenario) {
            case SC_BURST:
            case SC_FAILOVER:
                rc = runBurst(&x);
                break;
            case SC_STEADY:
            case SC_OVERLOAD:
                rc = runSteady(&x);
                break;
            case SC_STORM:
                rc = runStorm(&x);
                break;
            case SC_IMPORT:
                rc = runImport(&x);
                break;
            case SC_FANOUT:
                rc = runFanout(&x);
                break;
            default:
                rc = -1;
                break;
        }
    }
    if (atomic_load(&x.run.fatal)) {
        fail(&x, "%s", x.run.fatal_msg);
    }
    if (interrupted) {
        fail(&x, "interrupted");
    }
    if (rc != 0) {
        fail(&x, "the run could not be completed (see messages above)");
    }
    if (cfg.mode == MODE_HTTP) {
        /* The generator's connections over the whole run (every phase). */
        json_object_set_new(
            x.doc, "http_conns",
            json_pack("{s:i,s:I,s:I,s:I,s:i}", "per_thread", (int)cfg.conns,
                      "connects", (json_int_t)atomic_load(&x.run.http_connects),
                      "churn_closes",
                      (json_int_t)atomic_load(&x.run.http_churn_closes),
                      "failures", (json_int_t)atomic_load(&x.run.http_failures),
                      "conn_reqs", (int)cfg.conn_reqs));
    }
    json_t *stalls = x.sys.vt->stalls ? x.sys.vt->stalls(&x.sys) : NULL;
    if (stalls != NULL) {
        json_object_set_new(x.doc, "node_stalls", stalls);
    }
    json_decref(diskWindow(&x));
    json_t *disk = diskprobe_json(&x.disk_run, x.disk_errors);
    if (disk != NULL) {
        json_object_set_new(x.doc, "disk_fsync_ms", disk);
    }
    diskprobe_stop(&x.disk);
    x.sys.vt->stop(&x.sys);
    double load[3] = {0, 0, 0};
    getloadavg(load, 3);
    json_object_set_new(json_object_get(x.doc, "machine"), "loadavg_end",
                        json_pack("[f,f,f]", load[0], load[1], load[2]));
    bool ok = json_array_size(x.failures) == 0;
    json_object_set_new(
        x.doc, "check",
        json_pack("{s:b,s:O}", "ok", ok, "failures", x.failures));
    json_object_set_new(x.doc, "notes", x.notes);
    char line[2048];
    summary(&x, ok, line, sizeof line);
    json_object_set_new(x.doc, "summary", json_string(line));
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp", out_path);
    if (json_dump_file(x.doc, tmp, JSON_INDENT(1) | JSON_REAL_PRECISION(6)) !=
            0 ||
        rename(tmp, out_path) != 0) {
        fprintf(stderr, "slotbench: cannot write %s\n", out_path);
        ok = false;
    }
    printf("%s\n", line);
    if (cfg.smoke) {
        /* The run's own check counts one; then its JSON, read back. */
        int passed = 0, failed = (int)json_array_size(x.failures);
        size_t i;
        json_t *f;
        json_array_foreach(x.failures, i, f)
        {
            printf("FAIL: %s\n", json_string_value(f));
        }
        passed += failed == 0 && rc == 0;
        failed += failed == 0 && rc != 0;
        smoke_validate(out_path, &cfg, SCENARIOS[cfg.scenario], &passed,
                       &failed);
        printf("slotbench-smoke: %d passed, %d failed\n", passed, failed);
        ok = ok && failed == 0;
    }
    json_decref(x.failures);
    json_decref(x.doc);
    return ok && rc == 0 ? 0 : 1;
}
