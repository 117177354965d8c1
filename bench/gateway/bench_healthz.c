/* bench_healthz: what a health probe costs with a large ledger, and how
 * long a node with that ledger takes to come back after a crash
 * (`make bench-healthz`, results in bench/results/healthz.json).
 *
 *   bench_healthz [--claims N] [--bookings] [--duration S] [--out FILE]
 *
 * Starts a local 3-node slotd cluster (node/testlib: free ports, its own
 * directory), loads N claims into it (default 1,000,000 holds of distinct
 * patients with a one-hour TTL, over pools of 100,000 slots, through
 * libslot's async client with thousands in flight; with --bookings each
 * hold is confirmed, with a payment reference, as soon as it is made:
 * `make bench` runs that, since the restart target names bookings),
 * starts one slot-gateway, and measures GET /healthz with wrk on ONE
 * connection for S seconds (default 10). wrk's Lua `done` hook
 * (healthz.lua) prints the latency percentiles as JSON; this program turns
 * them into FILE with the run's conditions (load average, cores, claims
 * actually in the ledger). For scale it also times one READ_LEDGER with
 * and without the state hash (SLOTC_NO_HASH), the difference /healthz no
 * longer pays.
 *
 * Then the restart (FILE's "restart" object; the performance issue's
 * target: a node with 1M bookings in its snapshot serving again and
 * caught up within 5 s). The nodes run with --snapshot-threshold
 * SNAPSHOT_THRESHOLD; a follower is chosen, and bookings are made one at a
 * time until its data directory holds a snapshot taken past the load's
 * last entry (its size checked against the claims). It is killed with
 * SIGKILL, DOWNTIME_CLAIMS more claims are made without it (so it must
 * catch up from the leader's log too, not just load its snapshot), writes
 * stop and the commit index is noted (the highest a running node knows);
 * the follower is started again on the same data directory, and polled
 * with STATUS every 10 ms: serving_ms is the spawn to its first answer,
 * caught_up_ms to the first answer with applied_index >= that commit
 * index. Its RSS is read from /proc then. Last, with the cluster seen
 * quiescent, its state hash must equal the leader's at the same applied
 * index (see sameState: the hash costs O(ledger) on a node's loop, so it
 * is not what the 10 ms polls ask). Each step is bounded
 * (RESTART_BOUND_MS, SNAP_WAIT_MS, HASH_TRIES).
 *
 * Binaries: slotd as tcluster finds it ($SLOTD, else build/rel/bin/slotd),
 * slot-gateway from $SLOT_GATEWAY or beside this binary, wrk on $PATH,
 * healthz.lua from $HEALTHZ_LUA or bench/gateway/ under the current
 * directory. The nodes keep their data under $HEALTHZ_TMP (default /tmp).
 * /healthz asks the node for its own STATUS (no raft barrier).
 * Everything it starts is stopped by pid; every wait is bounded. Exit status 0
 * only if every claim was loaded, wrk ran without a single error, the
 * restart was measured (the node caught up with the leader's state) and
 * the JSON was written.
 */
#include <dirent.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
/* The restart (see restartFollower). */
#define RESTART_TARGET_MS 5000   /* the performance issue's target */
#define RESTART_POLL_MS   10     /* STATUS polls of the restarted node */
#define RESTART_BOUND_MS  60000  /* bound of serving and catching up */
#define STATUS_WAIT_MS    2000   /* one STATUS's bound */
#define DOWNTIME_CLAIMS   3000u  /* made while the follower is down */
#define SNAP_WAIT_MS      180000 /* bound of the wait for its snapshot */
#define SNAP_FILL_MAX     20000u /* bookings added to bring one about */
#define HASH_TRIES        10     /* state hash comparisons */
#define HASH_WAIT_MS      60000  /* one STATUS with the state hash */
/* slotd --snapshot-threshold for every node. Its default (65536 entries)
 * is never reached by the load: 1,000,000 bookings took 3,616 entries
 * (~550 commands each; 20,000 took 143). At 4,096 a node takes at most
 * one snapshot during the load (each forks and encodes the whole ledger,
 * ~10 s of a child's CPU with 1M bookings on the loaded 2-core machine:
 * more would slow the load), and awaitSnapshot's bookings, two entries
 * each, bring about the one past the load within 5,632 entries (node 3's
 * stretched threshold): 2,464 bookings in 15 s on that machine. */
#define SNAPSHOT_THRESHOLD "4096"
/* A snapshot smaller than this per claim is not one of the whole load:
 * 20,640 bookings took 1,169,874 bytes (57 per booking, LZ4), 1,002,464
 * took 40,684,012 (41). */
#define SNAP_MIN_BYTES_PER_CLAIM 16u

struct loader {
    struct slotc *c;
    bool book;     /* confirm each hold once it is made */
    uint32_t next; /* next patient index to submit */
    uint32_t end;  /* one past the last patient index */
    uint32_t done; /* answered for good */
    uint32_t ok;
    uint32_t in_flight;
    int fatal; /* the first non-retryable error, or SLOT_OK */
    struct hold *slots;
};

/* A claim's steps: HOLD, then (bookings) CONFIRM of the hold it made. A
 * HOLD retried after an answer that was lost (TIMEOUT, OUTCOME_UNKNOWN) is
 * refused PATIENT_HAS_CLAIM when the first attempt was applied; its id is
 * then read back (READ_PATIENT) to confirm it. */
enum step { STEP_HOLD, STEP_FIND, STEP_CONFIRM };

struct hold {
    struct loader *ld;
    struct slotc_req req;
    uint32_t patient;
    enum step step;
    uint64_t id; /* the hold to confirm */
    int tries;
};

static void submitHold(struct hold *h);

static bool retryable(int st)
{
    return st == SLOT_TIMEOUT || st == SLOT_UNAVAILABLE ||
           st == SLOT_OUTCOME_UNKNOWN || st == SLOT_BUSY ||
           st == SLOT_NO_LEADER || st == SLOT_NOT_LEADER;
}

static void nextStep(struct hold *h, enum step step)
{
    h->step = step;
    h->tries = 0;
    submitHold(h);
}

/* The status that settles this step, or -1 when the claim goes on with
 * another step (already submitted). */
static int stepDone(struct hold *h, struct slotc_req *req)
{
    int st = req->status;
    switch (h->step) {
        case STEP_HOLD:
            /* PATIENT_HAS_CLAIM on a retry: an earlier attempt was applied. */
            if (st == SLOT_PATIENT_HAS_CLAIM && h->tries > 0) {
                if (!h->ld->book) {
                    return SLOT_OK;
                }
                nextStep(h, STEP_FIND);
                return -1;
            }
            if (st == SLOT_OK && h->ld->book) {
                h->id = req->out.id;
                nextStep(h, STEP_CONFIRM);
                return -1;
            }
            return st;
        case STEP_FIND:
            if (st != SLOT_OK) {
                return st;
            }
            if (req->out.n_claims == 1 &&
                req->out.claims[0].state == SLOTC_CLAIM_BOOKED) {
                return SLOT_OK;
            }
            if (req->out.n_claims == 1 &&
                req->out.claims[0].state == SLOTC_CLAIM_HELD) {
                h->id = req->out.claims[0].id;
                nextStep(h, STEP_CONFIRM);
                return -1;
            }
            return SLOT_UNKNOWN_HOLD; /* the hold it was refused for is gone */
        case STEP_CONFIRM:
            /* ALREADY_CONFIRMED on a retry: an earlier attempt was applied. */
            return st == SLOT_ALREADY_CONFIRMED && h->tries > 0 ? SLOT_OK : st;
    }
    return st;
}

static void holdCb(struct slotc_req *req)
{
    struct hold *h = req->data;
    struct loader *ld = h->ld;
    ld->in_flight--;
    int st = stepDone(h, req);
    if (st < 0) {
        return;
    }
    if (st == SLOT_OK) {
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
    if (ld->next < ld->end && ld->fatal == SLOT_OK) {
        h->patient = ld->next++;
        nextStep(h, STEP_HOLD);
    }
}

static void poolName(char *buf, size_t len, uint32_t patient)
{
    snprintf(buf, len, "hz/pool-%03u", patient / POOL_SLOTS);
}

static void patientName(char *buf, size_t len, uint32_t patient)
{
    snprintf(buf, len, "hz-patient-%08u", patient);
}

/* A free-standing pool books only with a payment reference: each booking
 * gets its own, as a paid one would. */
static void paymentRef(char *buf, size_t len, uint32_t patient)
{
    snprintf(buf, len, "hz-pay-%08u", patient);
}

static void submitHold(struct hold *h)
{
    struct loader *ld = h->ld;
    char pool[32], patient[32], ref[32];
    poolName(pool, sizeof pool, h->patient);
    patientName(patient, sizeof patient, h->patient);
    slotc_req_init(&h->req);
    h->req.data = h;
    int rc = SLOT_OK;
    switch (h->step) {
        case STEP_HOLD:
            rc = slotc_hold(ld->c, &h->req, pool, patient, "bench", HOLD_TTL_MS,
                            holdCb);
            break;
        case STEP_FIND:
            rc = slotc_read_patient(ld->c, &h->req, pool, patient, holdCb);
            break;
        case STEP_CONFIRM:
            paymentRef(ref, sizeof ref, h->patient);
            rc = slotc_confirm(ld->c, &h->req, h->id, ref, holdCb);
            break;
    }
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

/* Raises the hold TTL maximum and creates the pools of patients
 * [first, first + count). */
static int preparePools(struct slotc_sync *s, uint32_t first, uint32_t count)
{
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
        return -1;
    }
    for (uint32_t i = first / POOL_SLOTS; i <= (first + count - 1) / POOL_SLOTS;
         i++) {
        char name[32];
        poolName(name, sizeof name, i * POOL_SLOTS);
        struct slotc_pool_spec sp;
        memset(&sp, 0, sizeof sp);
        sp.pool = name;
        sp.capacity = POOL_SLOTS;
        slotc_req_init(&q);
        rc = slotc_sync_pool_create(s, &q, &sp);
        if (rc != SLOT_OK && rc != SLOT_POOL_EXISTS) {
            fprintf(stderr, "bench_healthz: pool %s: %s\n", name,
                    slotc_err_name(rc));
            return -1;
        }
    }
    return 0;
}

/* Makes `count` claims, of patients first.. (holds; bookings with book).
 * Returns the number made (== count on success). */
static uint32_t load(const char *cluster, uint32_t first, uint32_t count,
                     bool book, double *secs)
{
    struct slotc_options o;
    slotc_options_init(&o);
    o.cluster = cluster;
    o.timeout_ms = 30000;
    struct slotc_sync *s = NULL;
    if (slotc_sync_open(&o, &s) != SLOT_OK) {
        return 0;
    }
    int prc = preparePools(s, first, count);
    slotc_sync_close(s);
    if (prc != 0) {
        return 0;
    }

    uv_loop_t loop;
    uv_loop_init(&loop);
    o.sessions_max = SLOTC_SESSIONS_MAX;
    o.queue_max = 2 * IN_FLIGHT;
    o.timeout_ms = 60000;
    struct loader ld = {
        .book = book, .next = first, .end = first + count, .fatal = SLOT_OK};
    uint32_t width = count < IN_FLIGHT ? count : IN_FLIGHT;
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
        nextStep(&ld.slots[i], STEP_HOLD);
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
        fprintf(stderr, "bench_healthz: %s: %s\n", book ? "booking" : "hold",
                slotc_err_name(ld.fatal));
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
    o.timeout_ms = HASH_WAIT_MS;
    /* As in sameState: a hash longer than the default 3 s attempt would be
     * asked again on a new connection, stalling the leader once more. */
    o.attempt_timeout_ms = HASH_WAIT_MS;
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

/* ---- a follower's restart from its snapshot ------------------------------ */

/* The newest finalized snapshot in a node's data directory: raft writes
 * each one to a temporary file and renames it to snapshot-TERM-INDEX-TS
 * (its metadata beside it as ....meta), so a name of that form is
 * complete. Returns 0 with its index and size, or -1 when there is none. */
static int newestSnapshot(const char *dir, uint64_t *index, uint64_t *bytes)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        return -1;
    }
    int found = -1;
    unsigned long long best_index = 0, best_ts = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        unsigned long long term, idx, ts;
        int end = 0;
        if (sscanf(e->d_name, "snapshot-%llu-%llu-%llu%n", &term, &idx, &ts,
                   &end) != 3 ||
            e->d_name[end] != '\0') {
            continue; /* not a snapshot, or its .meta */
        }
        char path[600];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) != 0) {
            continue;
        }
        if (found != 0 || idx > best_index ||
            (idx == best_index && ts > best_ts)) {
            found = 0;
            best_index = idx;
            best_ts = ts;
            *index = idx;
            *bytes = (uint64_t)st.st_size;
        }
    }
    closedir(d);
    return found;
}

/* VmRSS of a process in bytes, or -1. */
static long long rssBytes(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long long kib = -1;
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        if (sscanf(line, "VmRSS: %lld kB", &kib) == 1) {
            break;
        }
    }
    if (f != NULL) {
        fclose(f);
    }
    return kib < 0 ? -1 : kib * 1024;
}

static double hrMs(uint64_t since_ns)
{
    return (double)(uv_hrtime() - since_ns) / 1e6;
}

/* One booking through the blocking client (hold, then confirm): two raft
 * entries, since nothing else is in flight to share them. */
static int bookOne(struct slotc_sync *s, uint32_t patient)
{
    char pool[32], name[32], ref[32];
    poolName(pool, sizeof pool, patient);
    patientName(name, sizeof name, patient);
    paymentRef(ref, sizeof ref, patient);
    struct slotc_req q;
    slotc_req_init(&q);
    int rc = slotc_sync_hold(s, &q, pool, name, "bench", HOLD_TTL_MS);
    if (rc != SLOT_OK) {
        return rc;
    }
    uint64_t id = q.out.id;
    slotc_req_init(&q);
    return slotc_sync_confirm(s, &q, id, ref);
}

/* Makes sure node f's newest snapshot holds everything up to `index`
 * (the load): nodes snapshot every SNAPSHOT_THRESHOLD entries or so
 * (stretched per node id, node_snapshot_threshold), so bookings one at a
 * time, each its own entries, are added until one is taken past it.
 * *patient is the next patient index to use; *added counts them. */
static int awaitSnapshot(const struct tcluster *t, int f, uint64_t index,
                         uint32_t *patient, uint32_t *added,
                         uint64_t *snap_index, uint64_t *snap_bytes)
{
    char dir[300];
    snprintf(dir, sizeof dir, "%s/n%d", t->dir, f + 1);
    struct slotc_options o;
    slotc_options_init(&o);
    o.cluster = t->cluster;
    o.timeout_ms = 30000;
    struct slotc_sync *s = NULL;
    if (slotc_sync_open(&o, &s) != SLOT_OK ||
        preparePools(s, *patient, SNAP_FILL_MAX) != 0) {
        slotc_sync_close(s);
        return -1;
    }
    long long until = tclock_mono_ms() + SNAP_WAIT_MS;
    int rc = -1;
    while (tclock_mono_ms() < until && *added < SNAP_FILL_MAX) {
        if (newestSnapshot(dir, snap_index, snap_bytes) == 0 &&
            *snap_index >= index) {
            rc = 0;
            break;
        }
        /* A few between looks: a snapshot is taken on the node's own
         * schedule (forked, then renamed into place). */
        for (int i = 0; i < 16 && *added < SNAP_FILL_MAX; i++) {
            int st = bookOne(s, (*patient)++);
            if (st != SLOT_OK) {
                fprintf(stderr, "bench_healthz: snapshot filler: %s\n",
                        slotc_err_name(st));
                slotc_sync_close(s);
                return -1;
            }
            (*added)++;
        }
    }
    slotc_sync_close(s);
    if (rc != 0) {
        fprintf(stderr,
                "bench_healthz: node %d took no snapshot past index %llu "
                "(%u bookings added; see %s)\n",
                f + 1, (unsigned long long)index, *added, dir);
    }
    return rc;
}

/* The state hash of one node (STATUS pinned to it, hash computed). */
static int nodeHash(struct slotc_sync *s, const char *node,
                    struct slotc_node_status *out)
{
    struct slotc_req q;
    slotc_req_init(&q);
    q.node = node;
    q.timeout_ms = HASH_WAIT_MS; /* the hash costs O(ledger) on its loop */
    int rc = slotc_sync_status(s, &q);
    if (rc == SLOT_OK) {
        *out = *q.out.status;
    }
    return rc;
}

/* Node f's state equals the leader's: the same state hash at the same
 * applied index. The hash costs O(ledger) on the node's loop (~1 s with
 * 1M claims, more on a loaded machine): on the leader that stall outlasts
 * the election timeout, and the election it can set off appends entries.
 * So the cluster is first seen quiescent with cheap statuses (every node
 * at one applied index, twice in a row), then node f's hash is asked and
 * the leader's last: both are computed on the state as it was, whatever
 * the stall sets off afterwards. If node f leads now, another node stands
 * for the leader. Returns 0 (with the node compared against), or -1. */
static int sameState(struct tcluster *t, int f, uint64_t *hash, int *other)
{
    struct slotc_options o;
    slotc_options_init(&o);
    o.cluster = t->cluster;
    o.timeout_ms = 30000;
    struct slotc_sync *s = NULL;
    if (slotc_sync_open(&o, &s) != SLOT_OK) {
        return -1;
    }
    /* libslot replaces a connection that stays silent for
     * attempt_timeout_ms (3 s) and sends the request again: a hash that
     * takes longer (1M claims on a loaded machine) would then be asked
     * again and again, each one stalling the node anew. */
    o.attempt_timeout_ms = HASH_WAIT_MS;
    o.timeout_ms = HASH_WAIT_MS;
    int rc = -1;
    for (int i = 0; i < HASH_TRIES && rc != 0; i++) {
        if (i > 0) {
            tclock_sleep_ms(500);
        }
        int leader = tcluster_leader(t, 10000);
        if (leader < 0) {
            continue;
        }
        int cmp = leader != f ? leader : (f + 1) % t->n;
        uint64_t idx = 0;
        bool still = true;
        for (int k = 0; k < 2 * t->n && still; k++) {
            struct slot_node_status st;
            memset(&st, 0, sizeof st);
            still = tcluster_status(t->client[k % t->n], STATUS_WAIT_MS, &st) ==
                        SLOT_OK &&
                    (k == 0 || st.applied_index == idx);
            idx = st.applied_index;
        }
        if (!still) {
            fprintf(stderr, "bench_healthz: state hashes: not quiescent\n");
            continue;
        }
        struct slotc_node_status a, b;
        int ra = SLOT_OK, rb = nodeHash(s, t->client[f], &b);
        if (rb == SLOT_OK) {
            ra = nodeHash(s, t->client[cmp], &a);
        }
        if (ra != SLOT_OK || rb != SLOT_OK) {
            fprintf(stderr, "bench_healthz: state hashes: STATUS: %s\n",
                    slotc_err_name(rb != SLOT_OK ? rb : ra));
            continue;
        }
        if (a.applied_index != b.applied_index) {
            fprintf(stderr,
                    "bench_healthz: state hashes: node %d at %llu, node %d "
                    "at %llu: again\n",
                    f + 1, (unsigned long long)b.applied_index, cmp + 1,
                    (unsigned long long)a.applied_index);
            continue;
        }
        if (a.state_hash != b.state_hash) {
            fprintf(stderr,
                    "bench_healthz: node %d's state hash %016llx differs "
                    "from node %d's %016llx at index %llu\n",
                    f + 1, (unsigned long long)b.state_hash, cmp + 1,
                    (unsigned long long)a.state_hash,
                    (unsigned long long)a.applied_index);
            break;
        }
        *hash = a.state_hash;
        *other = cmp;
        rc = 0;
    }
    slotc_sync_close(s);
    return rc;
}

/* Kills a follower (SIGKILL) that has a snapshot of the whole load on
 * disk, books a few thousand more meanwhile, restarts it from the same
 * data directory and times it from the spawn to serving (it answers a
 * STATUS) and to caught up (applied the leader's commit index of before
 * the restart; then the state hashes are compared). `patient` is the
 * first patient index the load did not use; `loaded` the claims it made.
 * Returns the "restart" object, or NULL (a message on stderr). */
static json_t *restartFollower(struct tcluster *t, uint32_t patient,
                               uint32_t loaded, bool book)
{
    int leader = tcluster_leader(t, 10000);
    struct slot_node_status ls;
    if (leader < 0 ||
        tcluster_status(t->client[leader], STATUS_WAIT_MS, &ls) != SLOT_OK) {
        fprintf(stderr, "bench_healthz: restart: no leader\n");
        return NULL;
    }
    int f = (leader + 1) % t->n;
    uint64_t loaded_index = ls.commit_index;
    uint32_t fill = 0;
    uint64_t snap_index = 0, snap_bytes = 0;
    long long f0 = tclock_mono_ms();
    if (awaitSnapshot(t, f, loaded_index, &patient, &fill, &snap_index,
                      &snap_bytes) != 0) {
        return NULL;
    }
    double fill_s = (double)(tclock_mono_ms() - f0) / 1000.0;
    /* Plausible: the claims are in it, not an empty ledger's few bytes. */
    if (snap_bytes < (uint64_t)loaded * SNAP_MIN_BYTES_PER_CLAIM) {
        fprintf(stderr,
                "bench_healthz: node %d's snapshot at %llu is %llu bytes: "
                "too small for %u claims\n",
                f + 1, (unsigned long long)snap_index,
                (unsigned long long)snap_bytes, loaded);
        return NULL;
    }
    fprintf(stderr,
            "bench_healthz: node %d has a snapshot at index %llu (load "
            "ended at %llu; %u bookings added in %.1f s): %llu bytes\n",
            f + 1, (unsigned long long)snap_index,
            (unsigned long long)loaded_index, fill, fill_s,
            (unsigned long long)snap_bytes);

    tcluster_signal(t, f, SIGKILL);
    /* The node's newest snapshot as it lies now: the one it restarts from
     * (one renamed into place since the look above is newer still). */
    char dir[300];
    snprintf(dir, sizeof dir, "%s/n%d", t->dir, f + 1);
    if (newestSnapshot(dir, &snap_index, &snap_bytes) != 0) {
        return NULL;
    }
    /* Written while it is down: it must catch up from the leader's log
     * too, not just load its snapshot. */
    double down_s = 0;
    uint32_t down = load(t->cluster, patient, DOWNTIME_CLAIMS, book, &down_s);
    if (down != DOWNTIME_CLAIMS) {
        fprintf(stderr,
                "bench_healthz: restart: %u of %u claims while "
                "down\n",
                down, DOWNTIME_CLAIMS);
        return NULL;
    }
    /* Writes stopped: the commit index now is what the node must reach
     * (the highest any running node knows: leadership may have moved
     * meanwhile). */
    struct slotc_ledger_info info;
    memset(&info, 0, sizeof info);
    uint64_t target_index = 0;
    for (int i = 0; i < t->n; i++) {
        if (i != f &&
            tcluster_status(t->client[i], STATUS_WAIT_MS, &ls) == SLOT_OK &&
            ls.commit_index > target_index) {
            target_index = ls.commit_index;
        }
    }
    if (target_index == 0 || readLedgerMs(t->cluster, false, 1, &info) < 0) {
        fprintf(stderr, "bench_healthz: restart: the cluster does not "
                        "answer\n");
        return NULL;
    }
    double la[3];
    loadavg(la);

    /* From the spawn: tcluster_start_node forks slotd, then checks 60 ms
     * later that it did not exit at once (so a figure below ~60 ms would
     * read as 60); raft loads the snapshot before slotd listens, so the
     * first STATUS answered comes after the ledger is restored. */
    uint64_t t0 = uv_hrtime();
    if (tcluster_start_node(t, f) != 0) {
        return NULL;
    }
    double serving_ms = -1, caught_up_ms = -1;
    struct slot_node_status fs;
    memset(&fs, 0, sizeof fs);
    while (hrMs(t0) < RESTART_BOUND_MS && !proc_exited(&t->node[f])) {
        if (tcluster_status(t->client[f], STATUS_WAIT_MS, &fs) == SLOT_OK) {
            if (serving_ms < 0) {
                serving_ms = hrMs(t0);
            }
            if (fs.applied_index >= target_index) {
                caught_up_ms = hrMs(t0);
                break;
            }
        }
        tclock_sleep_ms(RESTART_POLL_MS);
    }
    long long rss = rssBytes(t->node[f].pid);
    if (caught_up_ms < 0) {
        fprintf(stderr,
                "bench_healthz: node %d not caught up within %d ms "
                "(serving: %s; applied %llu of %llu; see %s/n%d.log)\n",
                f + 1, RESTART_BOUND_MS, serving_ms < 0 ? "no" : "yes",
                (unsigned long long)fs.applied_index,
                (unsigned long long)target_index, t->dir, f + 1);
        return NULL;
    }
    fprintf(stderr,
            "bench_healthz: node %d restarted: serving in %.0f ms, caught up "
            "in %.0f ms (index %llu), RSS %lld MiB; comparing state hashes\n",
            f + 1, serving_ms, caught_up_ms, (unsigned long long)target_index,
            rss / (1024 * 1024));
    uint64_t hash = 0;
    int other = -1;
    if (sameState(t, f, &hash, &other) != 0) {
        fprintf(stderr,
                "bench_healthz: node %d's state was not seen equal "
                "to the leader's\n",
                f + 1);
        return NULL;
    }
    json_t *r = json_object();
    json_object_set_new(r, "bookings", json_integer(info.bookings_active));
    json_object_set_new(r, "holds", json_integer(info.holds_active));
    json_object_set_new(r, "snapshot_bytes", json_integer(snap_bytes));
    json_object_set_new(r, "serving_ms", json_real(serving_ms));
    json_object_set_new(r, "caught_up_ms", json_real(caught_up_ms));
    json_object_set_new(r, "rss_bytes", json_integer(rss));
    json_object_set_new(r, "target_ms", json_integer(RESTART_TARGET_MS));
    json_object_set_new(r, "node", json_integer(f + 1));
    json_object_set_new(r, "snapshot_index", json_integer(snap_index));
    json_object_set_new(r, "load_end_index", json_integer(loaded_index));
    json_object_set_new(r, "caught_up_index", json_integer(target_index));
    json_object_set_new(r, "snapshot_fill_bookings", json_integer(fill));
    json_object_set_new(r, "snapshot_fill_s", json_real(fill_s));
    json_object_set_new(r, "snapshot_threshold_entries",
                        json_integer(atoi(SNAPSHOT_THRESHOLD)));
    json_object_set_new(r, "downtime_claims", json_integer(down));
    json_object_set_new(r, "state_hash_equal", json_true());
    json_object_set_new(r, "state_hash_node", json_integer(other + 1));
    char hex[20];
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)hash);
    json_object_set_new(r, "state_hash", json_string(hex));
    json_object_set_new(r, "poll_ms", json_integer(RESTART_POLL_MS));
    json_object_set_new(r, "loadavg", loadavgJson(la));
    return r;
}

int main(int argc, char **argv)
{
    uint32_t claims = 1000000;
    int duration_s = 10;
    const char *out = "bench/results/healthz.json";
    bool book = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--claims") == 0 && i + 1 < argc) {
            claims = (uint32_t)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--duration") == 0 && i + 1 < argc) {
            duration_s = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
            out = argv[++i];
        } else if (strcmp(argv[i], "--bookings") == 0) {
            book = true;
        } else {
            fprintf(stderr, "usage: bench_healthz [--claims N] [--bookings] "
                            "[--duration S] [--out FILE]\n");
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
    /* A snapshot of the whole load must exist for the restart: see
     * SNAPSHOT_THRESHOLD. */
    co.extra[co.n_extra++] = "--snapshot-threshold";
    co.extra[co.n_extra++] = SNAPSHOT_THRESHOLD;
    struct tcluster t;
    if (tcluster_start_opts(&t, &co, 3, 0) != 0) {
        return 1;
    }
    int rc = 1;
    struct tgateway gw;
    memset(&gw, 0, sizeof gw);
    json_t *res = NULL;
    double load_s = 0;
    const char *kind = book ? "bookings" : "holds";
    fprintf(stderr, "bench_healthz: loading %u %s...\n", claims, kind);
    uint32_t made = load(t.cluster, 0, claims, book, &load_s);
    fprintf(stderr, "bench_healthz: %u %s in %.1f s\n", made, kind, load_s);
    struct slotc_ledger_info info;
    memset(&info, 0, sizeof info);
    double no_hash_ms = readLedgerMs(t.cluster, false, 5, &info);
    double hash_ms = readLedgerMs(t.cluster, true, 3, &info);
    double la0[3], la1[3];
    char wrk_out[300];
    snprintf(wrk_out, sizeof wrk_out, "%s/wrk.out", t.dir);
    uint32_t in_ledger =
        book ? info.bookings_active : info.holds_active; /* of this kind */
    if (made != claims || in_ledger < claims || startGateway(&gw, &t) != 0) {
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
    json_object_set_new(
        o, "claims",
        json_integer((json_int_t)info.holds_active + info.bookings_active));
    json_object_set_new(o, "claim_kind", json_string(kind));
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
        json_pack(
            "s++",
            "3 slotd + 1 slot-gateway (access log off) + wrk -t1 "
            "-c1 on one machine, 127.0.0.1; GET /healthz: the "
            "node's STATUS with SLOTC_NO_HASH through libslot; "
            "claims: holds of distinct patients, 1 h TTL, pools "
            "of 100000",
            book ? ", each confirmed (booked, with a payment reference) once "
                   "made"
                 : "",
            "; restart: a follower killed (SIGKILL) with a snapshot "
            "of the whole load on disk, claims made while it is down, "
            "then restarted from its data directory"));
    json_object_set_new(o, "wrk", json_deep_copy(res));
    /* Last: it kills a node, which /healthz must not see. */
    json_t *restart = restartFollower(&t, claims, made, book);
    if (restart != NULL) {
        json_object_set_new(o, "restart", restart);
    }
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
    rc = errors == 0 && requests > 0 && restart != NULL ? 0 : 1;
    if (errors != 0 || requests <= 0) {
        fprintf(stderr, "bench_healthz: %g errors in %g requests\n", errors,
                requests);
    }
    if (restart == NULL) {
        fprintf(stderr,
                "bench_healthz: the restart failed (no \"restart\" "
                "in %s)\n",
                out);
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
