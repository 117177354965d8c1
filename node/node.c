/* node: the shell of one slotd replica around node_core (node_core.h).
 *
 * The shell owns what has a loop, a socket, a timer or a disk: raft_uv and
 * its TCP transport (transport.h), the fail-stop I/O wrapper (iofail.h),
 * snapshots encoded by a forked child (snapfork.h), the loop hooks that end
 * a turn and the periodic tick, and the LEAVE notice to a removed member.
 * Everything a request does is the core's: the shell only calls it.
 *
 *   timers, pending ─ uv_prepare (turn ends: node_core_flush, role log,
 *   the turn's busy time) ─ poll: the I/O callbacks (reads, raft I/O) run
 *   inside it ─ check, closing ─ timers ...
 *   uv_timer every expire_interval_ms: node_core_tick
 *
 * A turn's busy time is prepare to prepare minus the time the loop spent
 * blocked in the kernel (uv_metrics_idle_time): libuv runs I/O callbacks
 * inside its poll phase, so a uv_check at "poll's end" would miss them
 * (it did: a 40 ms STATUS hash was never logged as a slow turn).
 */
#include "node.h"

#include <assert.h>
#include <errno.h>
#include <raft.h>
#include <raft/uv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include "slot_addr.h"
#include "slot_admin.h"
#include "fsm.h"
#include "iofail.h"
#include "log.h"
#include "metrics.h"
#include "snapfork.h"
#include "transport.h"

/* ---- Defaults ---------------------------------------------------------------
 * batch_cmds_max 1024, batch_bytes_max 1 MiB: one entry carries a whole burst
 * of commands; the disk write per entry is what batching amortises.
 * inflight_max 8: enough to keep the pipeline to followers full while one
 * entry is being written, few enough that a BUSY comes early under overload.
 * raft's own max in-flight entries is raised to 64 (default 32), above ours.
 * snapshot_threshold 65536 / trailing 16384: raft's default of 1024 costs
 * 2-3x throughput (a snapshot every ~1024 batches); with entries of up to
 * 1024 commands this still bounds the log to ~100k entries. Each node
 * stretches the threshold by (id mod 4)/8 (node_snapshot_threshold): with
 * one threshold every replica applied entry 65536 in the same millisecond
 * and all three forked, encoded and wrote a snapshot at once, stalling a
 * whole 2-core machine for ~100-400 ms (measured at 60k holds/s); staggered,
 * a commit always has a quorum that is not snapshotting.
 * heartbeat 50 ms, election 300 ms: raft draws each follower's timeout in
 * [T, 2T], and a follower that still has a leader rejects votes, so after
 * a leader dies the election is won only when the *last* surviving
 * follower's timer fires: writes resume after max(U1, U2) + one vote round,
 * ~0.5 s on average with T = 300 (~0.85 s with T = 500; measured). 300 ms
 * is still 6 heartbeats, far above the loop turns and hiccups we log (the
 * snapshot stall is gone, node/snapfork.h), and 30x a metro link's RTT.
 * Pre-vote keeps a partitioned node from disrupting the cluster when it
 * returns.
 * clock_max_skew_ms 1000: a leader's wall clock that jumps moves ledger
 * time by at most 1 s per leadership term (leader_clock.h); NTP keeps a
 * healthy clock within milliseconds, so 1 s is never reached by one, and
 * it is small against hold TTLs (minutes).
 */
void node_options_default(struct node_options *o)
{
    memset(o, 0, sizeof *o);
    o->batch_cmds_max = SLOT_BATCH_CMDS_MAX;
    o->batch_bytes_max = 1u << 20;
    o->inflight_max = 8;
    o->reads_max = 65536;
    o->conn_pending_max = 4096;
    o->snapshot_threshold = 65536;
    o->snapshot_trailing = 16384;
    o->heartbeat_ms = 50;
    o->election_ms = 300;
    o->expire_interval_ms = 100;
    o->clock_max_skew_ms = 1000;
}

uint32_t node_snapshot_threshold(const struct node_options *o)
{
    uint64_t t = o->snapshot_threshold;
    t += t / 8 * (o->id % 4);
    return t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

#define RAFT_INFLIGHT_ENTRIES 64
#define NODE_SLOW_TURN_MS     50 /* a loop turn longer than this is logged */
/* SWEEP's bound: bench_ledger part (f) measured 1.3-2.8 us per no-show
 * marked (a violation recorded each), 10-25 ms for a SWEEP of 4096. */
#define NODE_SWEEP_MAX 1024
#define ADDR_CAP       256

/* A LEAVE notice on its way to a removed node (fire and forget). */
struct notice {
    uv_getaddrinfo_t gai;
    uv_tcp_t tcp;
    uv_connect_t connect;
    uv_write_t write;
    struct mp_buf frame;
};

struct node {
    uv_loop_t *loop;
    struct node_options o;
    char address[ADDR_CAP];
    struct raft raft;
    struct raft_io io;    /* raft_uv */
    struct iofail iofail; /* what raft sees: fail-stop on disk errors */
    struct transport transport;
    struct fsm fsm;
    struct node_core *core;
    uv_prepare_t prepare;
    uint64_t turn_prepare_ns; /* the previous prepare (uv_hrtime), 0 none */
    uint64_t turn_idle_ns;    /* the loop's idle time then */
    /* ... and what had been done by then, for a slow turn's log line: the
     * thread's CPU time (what the turn ran, against what it waited for a
     * CPU), entries and commands applied and the time their applies took,
     * commands answered. The CPU time is the one system call per turn
     * (CLOCK_THREAD_CPUTIME_ID has no vDSO path): 0.5 % of a follower's
     * CPU under steady load in perf, no change in one request's latency
     * measured against the binary without it. */
    uint64_t turn_cpu_ns, turn_entries, turn_commands, turn_apply_us;
    uint64_t turn_results;
    /* Last role logged (logRole): state, pre-vote, term and leader id. */
    unsigned short seen_state;
    bool seen_pre_vote;
    raft_term seen_term;
    raft_id seen_leader;
    uv_timer_t tick;
    bool closing;
    int handles_open;
    void (*stop_cb)(void *data);
    void *stop_data;

    /* Snapshots: encoded by a forked child (snapfork.h); fsm's own
     * functions (inline, on the loop) when fork is not possible. */
    struct snapfork snapfork;
    struct raft_buffer *snap_bufs; /* handed to raft, filled by the child */
    raft_index snap_index;
    int (*fsm_snapshot)(struct raft_fsm *, struct raft_buffer *[], unsigned *);
    int (*fsm_finalize)(struct raft_fsm *, struct raft_buffer *[], unsigned *);
    int (*fsm_apply)(struct raft_fsm *, const struct raft_buffer *, void **);

    /* What /metrics shows beyond counters (metrics.h). */
    struct metrics_rec rec;
};

/* The core's clock: the leader stamps entries with it. */
static uint64_t nowMs(void *data)
{
    const struct node *n = data;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    return (uint64_t)(ms + n->o.clock_offset_ms);
}

/* The core's monotonic clock: the band its stamps are held to. */
static uint64_t monoMs(void *data)
{
    (void)data;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct node *nodeOfFsm(struct raft_fsm *rf)
{
    struct fsm *f = rf->data;
    return f->data;
}

static void appliedCb(struct fsm *f, uint64_t origin,
                      const struct slot_cmd *cmds,
                      const struct slot_result *results, uint32_t count)
{
    struct node *n = f->data;
    metrics_rec_commands(&n->rec.entry_cmds, count);
    uint64_t now = uv_now(n->loop);
    for (uint32_t i = 0; n->o.count_hot_pools && i < count; i++) {
        if (cmds[i].op == SLOT_OP_HOLD) {
            metrics_rec_hold(&n->rec, cmds[i].u.hold.pool.p,
                             cmds[i].u.hold.pool.len, now);
        }
    }
    node_core_applied(n->core, origin, cmds, results, count);
}

/* Every entry's apply is timed for slotd_apply_duration_seconds. */
static int nodeApply(struct raft_fsm *rf, const struct raft_buffer *buf,
                     void **result)
{
    struct node *n = nodeOfFsm(rf);
    uint64_t t0 = uv_hrtime();
    int rv = n->fsm_apply(rf, buf, result);
    metrics_rec_seconds(&n->rec.apply_us, (uv_hrtime() - t0) / 1000);
    return rv;
}

static uint64_t unixMs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void diskWrote(struct iofail *w, enum iofail_write what, uint64_t us)
{
    static const enum metrics_disk_op ops[] = {
        [IOFAIL_APPEND] = METRICS_DISK_APPEND,
        [IOFAIL_SNAPSHOT_PUT] = METRICS_DISK_SNAPSHOT,
        [IOFAIL_TRUNCATE] = METRICS_DISK_TRUNCATE,
        [IOFAIL_TERM] = METRICS_DISK_TERM,
        [IOFAIL_VOTE] = METRICS_DISK_VOTE,
    };
    struct node *n = w->owner;
    metrics_rec_seconds(&n->rec.disk_us[ops[what]], us);
}

/* ---- snapshots ----------------------------------------------------------- */

/* raft asks for a snapshot on the loop; a child encodes it (snapfork.h)
 * while the node goes on. Inline encoding is the fallback: a stall of
 * 0.2-1 s at production sizes, so it is logged. */
static int nodeSnapshot(struct raft_fsm *rf, struct raft_buffer *bufs[],
                        unsigned *n_bufs)
{
    struct node *n = nodeOfFsm(rf);
    n->snap_index = raft_last_applied(&n->raft);
    struct raft_buffer *b = raft_malloc(sizeof *b);
    if (b == NULL) {
        return RAFT_NOMEM;
    }
    int e = snapfork_start(&n->snapfork, n->fsm.ledger, b);
    if (e == 0) {
        n->snap_bufs = b;
        *bufs = b;
        *n_bufs = 1;
        n->fsm.snapshots_taken++;
        return 0;
    }
    raft_free(b);
    uint64_t t0 = uv_hrtime();
    int rv = n->fsm_snapshot(rf, bufs, n_bufs);
    if (rv == 0) {
        metrics_rec_seconds(&n->rec.snapshot_us, (uv_hrtime() - t0) / 1000);
        n->rec.snapshot_last_ok_ms = unixMs();
    } else {
        n->rec.snapshot_failures++;
    }
    LOG_W(
        "snapshot at %llu: cannot fork (%s), encoded on the loop: %s, %.1f ms",
        (unsigned long long)n->snap_index, strerror(-e),
        rv == 0 ? "taken" : raft_strerror(rv),
        (double)(uv_hrtime() - t0) / 1e6);
    return rv;
}

/* The child is done: the write raft asked for may go on (or the node
 * stops, as on a failed disk write). */
static void snapshotReady(struct snapfork *s, int status)
{
    struct node *n = s->data;
    if (status == 0) {
        metrics_rec_seconds(&n->rec.snapshot_us, s->last_child_ms * 1000);
        metrics_rec_seconds(&n->rec.fork_us, s->last_fork_us);
        n->rec.snapshot_last_ok_ms = unixMs();
    } else {
        n->rec.snapshot_failures++; /* the node stops right after */
    }
    if (status == 0) {
        LOG_I("snapshot at %llu: %llu bytes, encoded by a child in %llu ms "
              "(the loop paused %llu us to fork)",
              (unsigned long long)n->snap_index,
              (unsigned long long)s->last_bytes,
              (unsigned long long)s->last_child_ms,
              (unsigned long long)s->last_fork_us);
    }
    iofail_put_release(&n->iofail, status);
}

/* Only the snapshot a child is still encoding waits; snapshots received
 * from a leader are written at once. */
static bool holdPut(struct iofail *w, const struct raft_snapshot *snapshot)
{
    struct node *n = w->owner;
    return snapshot->bufs == n->snap_bufs &&
           n->snapfork.state == SNAPFORK_RUNNING;
}

static int nodeSnapshotFinalize(struct raft_fsm *rf, struct raft_buffer *bufs[],
                                unsigned *n_bufs)
{
    struct node *n = nodeOfFsm(rf);
    if (*bufs != n->snap_bufs || n->snap_bufs == NULL) {
        return n->fsm_finalize(rf, bufs, n_bufs);
    }
    snapfork_release(&n->snapfork);
    raft_free(n->snap_bufs);
    n->snap_bufs = NULL;
    *bufs = NULL;
    *n_bufs = 0;
    return 0;
}

/* ---- the LEAVE notice ---------------------------------------------------- */

static void noticeClosed(uv_handle_t *h)
{
    struct notice *nt = h->data;
    mp_buf_free(&nt->frame);
    free(nt);
}

static void noticeWritten(uv_write_t *w, int status)
{
    struct notice *nt = w->data;
    (void)status;
    uv_close((uv_handle_t *)&nt->tcp, noticeClosed);
}

static void noticeConnected(uv_connect_t *c, int status)
{
    struct notice *nt = c->data;
    uv_buf_t b = uv_buf_init((char *)nt->frame.data, (unsigned)nt->frame.len);
    if (status != 0 || uv_write(&nt->write, (uv_stream_t *)&nt->tcp, &b, 1,
                                noticeWritten) != 0) {
        LOG_W("could not tell the removed node: %s", uv_strerror(status));
        uv_close((uv_handle_t *)&nt->tcp, noticeClosed);
    }
}

static void noticeResolved(uv_getaddrinfo_t *gai, int status,
                           struct addrinfo *res)
{
    struct notice *nt = gai->data;
    const struct addrinfo *pick =
        status == 0 ? slot_addrinfo_pick(res, 0) : NULL;
    if (pick == NULL) {
        LOG_W("could not tell the removed node: its client address does not "
              "resolve: %s",
              status != 0 ? uv_strerror(status) : "no address");
        uv_freeaddrinfo(res);
        mp_buf_free(&nt->frame);
        free(nt);
        return;
    }
    uv_tcp_init(gai->loop, &nt->tcp);
    nt->tcp.data = nt->connect.data = nt->write.data = nt;
    if (uv_tcp_connect(&nt->connect, &nt->tcp, pick->ai_addr,
                       noticeConnected) != 0) {
        uv_close((uv_handle_t *)&nt->tcp, noticeClosed);
    }
    uv_freeaddrinfo(res);
}

/* The core's tell_removed: raft stops sending to a node as soon as the
 * configuration without it is appended, so the node never learns it was
 * removed and keeps campaigning. Tell it on its client port. Best effort:
 * an unreachable node is simply gone already, or is told by an operator
 * (SIGTERM). The address may be a host name: resolved with uv_getaddrinfo,
 * off the loop, at the time of the notice. */
static void tellRemoved(void *data, uint64_t id, const char *client)
{
    struct node *n = data;
    struct slot_hostport hp;
    if (slot_hostport_parse(client, strlen(client), "client address", &hp, NULL,
                            0) != SLOT_OK) {
        return;
    }
    struct notice *nt = calloc(1, sizeof *nt);
    if (nt == NULL) {
        return;
    }
    mp_buf_init(&nt->frame);
    struct slot_admin a = {.op = SLOT_ADMIN_LEAVE, .id = id};
    size_t start = slot_frame_begin(&nt->frame, SLOT_FRAME_ADMIN, 0);
    slot_admin_encode(&nt->frame, &a);
    slot_frame_end(&nt->frame, start);
    struct addrinfo hints;
    slot_hostport_hints(&hp, AF_UNSPEC, &hints);
    nt->gai.data = nt;
    if (uv_getaddrinfo(n->loop, &nt->gai, noticeResolved, hp.host, hp.port_text,
                       &hints) != 0) {
        mp_buf_free(&nt->frame);
        free(nt);
    }
}

static void removedCb(void *data)
{
    struct node *n = data;
    if (n->o.removed_cb != NULL) {
        n->o.removed_cb(n->o.removed_data);
    }
}

/* ---- the core's entry points --------------------------------------------- */

void node_request(struct node *n, struct node_conn *c,
                  const struct slot_frame *f)
{
    node_core_request(n->core, c, f);
}

void node_conn_closed(struct node *n, struct node_conn *c)
{
    node_core_conn_closed(n->core, c);
}

bool node_removed(const struct node *n)
{
    return node_core_removed(n->core);
}

/* ---- loop hooks ---------------------------------------------------------- */

/* Role changes at INFO, with their time: an election's rounds are what a
 * failover's write gap is made of, so they must be readable afterwards. */
static void logRole(struct node *n)
{
    unsigned short state = raft_state(&n->raft);
    raft_term term = n->raft.current_term;
    raft_id leader = 0;
    const char *leader_addr;
    raft_leader(&n->raft, &leader, &leader_addr);
    bool pre_vote =
        state == RAFT_CANDIDATE && n->raft.candidate_state.in_pre_vote;
    if (state == n->seen_state && pre_vote == n->seen_pre_vote &&
        term == n->seen_term && leader == n->seen_leader) {
        return;
    }
    n->seen_state = state;
    n->seen_pre_vote = pre_vote;
    n->seen_term = term;
    n->seen_leader = leader;
    if (state == RAFT_LEADER) {
        LOG_I("raft: leader in term %llu", (unsigned long long)term);
    } else if (state == RAFT_CANDIDATE) {
        LOG_I("raft: candidate, %s for term %llu",
              pre_vote ? "pre-vote" : "vote",
              (unsigned long long)(pre_vote ? term + 1 : term));
    } else if (state == RAFT_FOLLOWER) {
        LOG_I("raft: follower in term %llu, leader %llu",
              (unsigned long long)term, (unsigned long long)leader);
    }
}

/* Once per loop turn, just before polling: everything read in this turn
 * goes out as one entry (and one barrier for the reads). */
static void prepareCb(uv_prepare_t *h)
{
    struct node *n = h->data;
    if (n->closing) {
        return;
    }
    logRole(n);
    node_core_flush(n->core);
    /* A turn this long delayed every client and heartbeat behind it. */
    uint64_t now_ns = uv_hrtime();
    uint64_t idle_ns = uv_metrics_idle_time(h->loop);
    uint64_t span_ns = now_ns - n->turn_prepare_ns;
    uint64_t idle_d = idle_ns - n->turn_idle_ns;
    uint64_t busy_us = span_ns > idle_d ? (span_ns - idle_d) / 1000 : 0;
    uint64_t busy_ms = busy_us / 1000;
    bool first = n->turn_prepare_ns == 0;
    struct timespec cpu;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
    uint64_t cpu_ns =
        (uint64_t)cpu.tv_sec * 1000000000ull + (uint64_t)cpu.tv_nsec;
    uint64_t entries = n->fsm.entries_applied;
    uint64_t commands = n->fsm.commands_applied;
    uint64_t apply_us = n->rec.apply_us.sum;
    uint64_t results = node_core_stats(n->core)->results;
    if (!first) {
        node_core_turn(n->core, busy_us);
    }
    if (!first && busy_ms >= NODE_SLOW_TURN_MS) {
        /* The cause, measured: CPU time far below the turn's length is a
         * thread waiting for a CPU (the machine overcommitted), not work;
         * the apply share is the ledger's; the rest is reading, decoding,
         * answering and raft. */
        uint64_t cpu_ms = (cpu_ns - n->turn_cpu_ns) / 1000000;
        LOG_W("slow loop turn: %llu ms of callbacks without polling (%llu ms "
              "on a CPU; %s; applied %llu entries, %llu commands, in %llu "
              "ms; answered %llu)",
              (unsigned long long)busy_ms, (unsigned long long)cpu_ms,
              raft_state(&n->raft) == RAFT_LEADER ? "leader" : "not leader",
              (unsigned long long)(entries - n->turn_entries),
              (unsigned long long)(commands - n->turn_commands),
              (unsigned long long)((apply_us - n->turn_apply_us) / 1000),
              (unsigned long long)(results - n->turn_results));
    }
    n->turn_prepare_ns = now_ns;
    n->turn_idle_ns = idle_ns;
    n->turn_cpu_ns = cpu_ns;
    n->turn_entries = entries;
    n->turn_commands = commands;
    n->turn_apply_us = apply_us;
    n->turn_results = results;
}

static void tickCb(uv_timer_t *h)
{
    struct node *n = h->data;
    if (n->closing) {
        return;
    }
    node_core_tick(n->core);
}

/* ---- life cycle ---------------------------------------------------------- */

static int mkdirs(const char *dir)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
        return ENAMETOOLONG;
    }
    for (char *p = path + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            if (mkdir(path, 0755) != 0 && errno != EEXIST) {
                return errno;
            }
            *p = saved;
            if (saved == '\0') {
                return 0;
            }
        }
    }
}

/* "ID=ADDR,ID=ADDR,...": the initial voters. Our own entry is replaced by
 * our full address so the configuration and raft_init agree. */
static int bootstrap(struct node *n, char *errmsg, size_t errlen)
{
    struct raft_configuration conf;
    raft_configuration_init(&conf);
    char *list = strdup(n->o.bootstrap);
    int rv = list == NULL ? RAFT_NOMEM : 0;
    char *save = NULL;
    for (char *tok = list ? strtok_r(list, ",", &save) : NULL;
         tok != NULL && rv == 0; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        char *end;
        unsigned long long id = eq ? strtoull(tok, &end, 10) : 0;
        if (eq == NULL || id == 0 || end != eq || eq[1] == '\0') {
            snprintf(errmsg, errlen,
                     "bad --bootstrap entry '%s' (want ID=HOST:PORT)", tok);
            rv = RAFT_INVALID;
            break;
        }
        rv = raft_configuration_add(
            &conf, id, id == n->o.id ? n->address : eq + 1, RAFT_VOTER);
        if (rv != 0) {
            snprintf(errmsg, errlen, "--bootstrap entry '%s': %s", tok,
                     raft_strerror(rv));
        }
    }
    free(list);
    if (rv == 0) {
        rv = raft_bootstrap(&n->raft, &conf);
        if (rv == RAFT_CANTBOOTSTRAP) {
            rv = 0; /* existing state: a restart, not a new cluster */
        } else if (rv != 0) {
            snprintf(errmsg, errlen, "bootstrap: %s", raft_strerror(rv));
        } else {
            LOG_I("bootstrapped a new cluster of %u voters", conf.n);
        }
    }
    raft_configuration_close(&conf);
    return rv;
}

static unsigned randomSeed(void)
{
    unsigned seed = 0;
    if (getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        seed = (unsigned)ts.tv_nsec ^ (unsigned)getpid();
    }
    return seed;
}

int node_start(uv_loop_t *loop, const struct node_options *o, struct node **out,
               char *errmsg, size_t errlen)
{
    struct node *n = calloc(1, sizeof *n);
    *out = NULL;
    errmsg[0] = '\0';
    if (n == NULL) {
        snprintf(errmsg, errlen, "out of memory");
        return RAFT_NOMEM;
    }
    n->loop = loop;
    n->o = *o;
    snprintf(n->address, sizeof n->address, "%s", o->address);
    int rv = fsm_init(&n->fsm);
    if (rv != 0) {
        snprintf(errmsg, errlen, "out of memory");
        free(n);
        return rv;
    }
    n->fsm.applied_cb = appliedCb;
    n->fsm.data = n;
    n->fsm_snapshot = n->fsm.raft.snapshot;
    n->fsm_finalize = n->fsm.raft.snapshot_finalize;
    n->fsm.raft.snapshot = nodeSnapshot;
    n->fsm.raft.snapshot_finalize = nodeSnapshotFinalize;
    n->fsm_apply = n->fsm.raft.apply;
    n->fsm.raft.apply = nodeApply;
    /* Origins need only be unique among this node's batches in flight;
     * a random base also keeps a restarted node from matching entries its
     * previous incarnation proposed. */
    struct node_core_config cc = {
        .id = o->id,
        .address = n->address,
        .batch_cmds_max = o->batch_cmds_max,
        .batch_bytes_max = o->batch_bytes_max,
        .inflight_max = o->inflight_max,
        .reads_max = o->reads_max,
        .conn_pending_max = o->conn_pending_max,
        .expire_max = SLOT_EXPIRE_MAX,
        .sweep_max = NODE_SWEEP_MAX,
        .origin_base = (uint64_t)randomSeed() << 32,
        .now_ms = nowMs,
        .mono_ms = monoMs,
        .max_skew_ms = o->clock_max_skew_ms,
        .tell_removed = tellRemoved,
        .removed_cb = removedCb,
        .data = n,
    };
    rv = node_core_create(&n->raft, &n->fsm, &cc, &n->core);
    if (rv != 0) {
        snprintf(errmsg, errlen, "node core: %s", raft_strerror(rv));
        fsm_close(&n->fsm);
        free(n);
        return rv;
    }
    snapfork_init(&n->snapfork, loop, snapshotReady, n);
    int e = mkdirs(o->dir);
    if (e != 0) {
        snprintf(errmsg, errlen, "data directory %s: %s", o->dir, strerror(e));
        rv = RAFT_IOERR;
    }
    if (rv == 0 && (rv = transport_init(&n->transport, loop)) != 0) {
        snprintf(errmsg, errlen, "transport: %s", raft_strerror(rv));
    }
    if (rv == 0 &&
        (rv = raft_uv_init(&n->io, loop, o->dir, &n->transport.outer)) != 0) {
        snprintf(errmsg, errlen, "raft_uv_init: %s", n->io.errmsg);
    }
    if (rv == 0) {
        /* A corrupt segment must stop the node, not be silently dropped
         * with the committed entries in it. */
        raft_uv_set_auto_recovery(&n->io, false);
        iofail_init(&n->iofail, &n->io);
        n->iofail.hold_put = holdPut;
        n->iofail.owner = n;
        n->iofail.wrote = diskWrote;
        rv = raft_init(&n->raft, &n->iofail.outer, &n->fsm.raft, o->id,
                       n->address);
        if (rv != 0) {
            snprintf(errmsg, errlen, "raft_init: %s", raft_errmsg(&n->raft));
        } else {
            iofail_started(&n->iofail);
        }
    }
    if (rv == 0) {
        /* 0.22.1 seeds its PRNG from the time and an id that is still 0
         * at that point: nodes started together would draw the same
         * election jitter and split votes forever. */
        raft_seed(&n->raft, randomSeed());
        n->fsm.owner = &n->raft;
        raft_set_heartbeat_timeout(&n->raft, o->heartbeat_ms);
        raft_set_election_timeout(&n->raft, o->election_ms);
        raft_set_max_inflight_entries(&n->raft, RAFT_INFLIGHT_ENTRIES);
        raft_set_snapshot_threshold(&n->raft, node_snapshot_threshold(o));
        raft_set_snapshot_trailing(&n->raft, o->snapshot_trailing);
        raft_set_pre_vote(&n->raft, true);
        if (o->bootstrap != NULL && !o->join) {
            rv = bootstrap(n, errmsg, errlen);
        }
    }
    if (rv == 0 && (rv = raft_start(&n->raft)) != 0) {
        snprintf(errmsg, errlen, "raft_start: %s (%s)", raft_strerror(rv),
                 raft_errmsg(&n->raft));
    }
    if (rv != 0) {
        /* Partially initialised raft/io objects are left to process exit:
         * slotd stops when start fails. */
        return rv;
    }
    /* The loop's idle time measures a turn's busy time (prepareCb). */
    (void)uv_loop_configure(loop, UV_METRICS_IDLE_TIME);
    uv_prepare_init(loop, &n->prepare);
    n->prepare.data = n;
    uv_prepare_start(&n->prepare, prepareCb);
    uv_timer_init(loop, &n->tick);
    n->tick.data = n;
    uv_timer_start(&n->tick, tickCb, o->expire_interval_ms,
                   o->expire_interval_ms);
    n->handles_open = 3; /* prepare, tick, snapfork's timer */
    *out = n;
    return 0;
}

static void handleClosed(uv_handle_t *h)
{
    struct node *n = h->data;
    if (--n->handles_open == 0 && n->stop_cb != NULL) {
        n->stop_cb(n->stop_data);
    }
}

static void raftClosed(struct raft *r)
{
    struct node *n = r->data;
    raft_uv_close(&n->io);
    transport_close(&n->transport);
    uv_close((uv_handle_t *)&n->prepare, handleClosed);
    snapfork_close(&n->snapfork, handleClosed);
    uv_close((uv_handle_t *)&n->tick, handleClosed);
}

void node_stop(struct node *n, void (*cb)(void *data), void *data)
{
    if (n->closing) {
        return;
    }
    n->closing = true;
    n->stop_cb = cb;
    n->stop_data = data;
    /* What is not proposed yet never reaches the log; raft_close fails
     * what is in flight through the core's callbacks. */
    node_core_stop(n->core);
    n->raft.data = n;
    /* A snapshot child still encoding is killed; raft_close then ends
     * its held write with RAFT_CANCELED (iofail.c). */
    snapfork_cancel(&n->snapfork);
    raft_close(&n->raft, raftClosed);
}

/* ---- metrics ------------------------------------------------------------- */

void node_metrics_collect(void *data, struct metrics_values *v)
{
    struct node *n = data;
    const struct node_core_stats *st = node_core_stats(n->core);
    switch (raft_state(&n->raft)) {
        case RAFT_LEADER:
            v->role = METRICS_ROLE_LEADER;
            break;
        case RAFT_CANDIDATE:
            v->role = METRICS_ROLE_CANDIDATE;
            break;
        case RAFT_FOLLOWER:
            v->role = METRICS_ROLE_FOLLOWER;
            break;
        default:
            v->role = METRICS_ROLE_UNAVAILABLE;
            break;
    }
    raft_id leader = 0;
    const char *leader_addr;
    raft_leader(&n->raft, &leader, &leader_addr);
    v->leader_id = leader;
    v->term = n->raft.current_term;
    v->commit = raft_commit_index(&n->raft);
    v->applied = raft_last_applied(&n->raft);
    v->last = raft_last_index(&n->raft);
    v->entries = n->fsm.entries_applied;
    v->commands = n->fsm.commands_applied;
    v->batches = st->batches;
    v->busy = st->busy;
    v->leader_stalls = st->leader_stalls;
    v->leader_stall_max_us = st->leader_stall_max_us;
    v->not_leader = st->not_leader;
    v->lost = st->lost;
    v->expire = st->sweeps;
    uint64_t due = ledger_next_deadline_ms(n->fsm.ledger);
    uint64_t now = nowMs(n);
    v->overdue_s =
        due != UINT64_MAX && now > due ? (double)(now - due) / 1e3 : 0.0;
    v->snapshots_taken = n->fsm.snapshots_taken;
    v->snapshots_restored = n->fsm.snapshots_restored;
    ledger_info(n->fsm.ledger, &v->ledger);
    v->events_held = ledger_events_held(n->fsm.ledger);
    v->rec = &n->rec;
}

void node_free(struct node *n)
{
    node_core_destroy(n->core);
    fsm_close(&n->fsm);
    free(n);
}
