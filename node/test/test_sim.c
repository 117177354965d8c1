/* test_sim: the node's real request path (node/node_core.h) and the real
 * ledger, replicated by raft inside raft's deterministic in-memory cluster
 * fixture (raft/fixture.h), under a seeded nemesis.
 *
 * One seed = one cluster of 3 (even seeds) or 5 (odd seeds) servers, each
 * with its own struct fsm (node/fsm.c; ledger_check after every entry) and
 * its own node core, configured like slotd (pre-vote mostly on, bounded
 * in-flight entries) but with a snapshot threshold of 8..47 entries and a
 * small trailing, so snapshots, compaction and InstallSnapshot happen all
 * the time, and with small core bounds (batch size and bytes, entries in
 * flight, queued reads, requests per connection, holds per EXPIRE) drawn
 * per seed, so full batches, BUSY and chained expiry sweeps happen too.
 * The simulation plays slotd's shell around each core: it calls
 * node_core_flush() after every step of the fixture (the end of a loop
 * turn) and node_core_tick() every 100 ms on every running server, and it
 * plays server.c for the clients: requests are frames sent into a core as
 * node_conn connections, and answers are the frames the core appends to
 * conn.out. Then:
 *   - clients open sessions and send HOLD / CONFIRM / RELEASE / CANCEL (an
 *     admin client also POOL_CREATE / POOL_UPDATE), numbered (session,
 *     seq), a few in flight each, to the server they think leads (the last
 *     NOT_LEADER hint), now and then to any server that thinks it leads
 *     (maybe a stale one in a minority) or to a random one. NOT_LEADER /
 *     NO_LEADER / BUSY answers, and a connection that stays silent for
 *     ATTEMPT_TIMEOUT_MS (closed, as libslot does), send the same bytes,
 *     same (session, seq), again: exactly-once is the ledger's job. Now and
 *     then a request number is skipped, or a client restarts and abandons
 *     what it was waiting for (its connections close with answers pending);
 *   - clients also read claims and pools, linearizable (through the
 *     leader's barriers) or stale (any server), and an operator asks
 *     servers for their status and the leader to transfer leadership;
 *   - the cores' own expiry sweeps (EXPIRE), proposed while a hold is due
 *     by the leader's clock, and chained while a sweep leaves holds due
 *     (expire_max is 1..4 holds in most seeds, SLOT_EXPIRE_MAX in slotd);
 *   - flow-back, in half the seeds (see "flow-back"): the admin client
 *     first sets a hospital's rules (RULES_SET with a flow-back rule,
 *     maybe a channel group, maybe a department's own rules), and once
 *     they are answered OK creates scheduled pools of that hospital with
 *     channel shares, whose flow-back falls due during the run (before or
 *     after the nemesis stops), or was due when they were created, or is a
 *     day away; the clients hold, book and cancel in them over every
 *     channel. The cores propose SWEEP when a flow-back is due by the
 *     leader's clock, chained while one leaves pools due (expire_max
 *     pools per SWEEP);
 *   - a nemesis with its own PRNG: partitions (split, isolation, one-way),
 *     message loss (saturate), kill / revive (a pause: the fixture cannot
 *     restart a server; requests sent to a paused server wait and are
 *     handled when it resumes, perhaps as a stale leader), leadership
 *     transfer (through the core) and deposition, network and disk latency
 *     (sometimes a very slow disk), clock skew, steps of a running
 *     server's wall clock (seconds to an hour, forward or back, mostly the
 *     leader's; its monotonic clock runs on), fresh election timeouts,
 *     and disk / network errors (io_fault), which stop their server for
 *     good (see WA_IO_FAIL_STOP).
 * Then everything heals, every request still waited for is retried until
 * answered (and a flow-back seed runs on until its flow-back time is well
 * past), a final entry is committed and every running server applies it,
 * with no hold and no flow-back left due. Checked:
 *   - at every step: the same raft index carries the same entry (origin,
 *     commands, results) on every server; every application of one
 *     (session, seq), on any server and in any entry, gives the one stored
 *     result (exactly-once); ledger time and the commit index never go
 *     back; a leader's time (its clamped stamp, leader_clock.h) is never
 *     more than 3 max_skew_ms behind the ledger time it applied (ledger
 *     time does not stand still); every hold's expiry, when first applied
 *     anywhere, comes no earlier in simulated time than its HOLD's first
 *     send + TTL - (k + 2) max_skew_ms, k the leader changes since (see
 *     "the leader clock"); every snapshot a server takes restores into
 *     the state it was taken from; a core queues a SWEEP on its tick only when a flow-back
 *     is due by its clock and the ledger it applied, and otherwise only on
 *     applying its own SWEEP that left pools due; every SWEEP in the log
 *     is a core's (no session, the core's bound);
 *   - every answer: it is for a request waiting on that connection, once
 *     (a core never answers a tag twice or on the wrong connection); a
 *     RESULT names an index whose entry the answering server proposed and
 *     had applied, and which holds this very command with this very result
 *     (results are routed by origin and position: a core that mixes them
 *     up fails here); NOT_LEADER names another member and its client
 *     address; a linearizable read is served at an index no lower than any
 *     write acknowledged before it was sent; a status reply describes the
 *     server that sent it;
 *   - at the end: the same applied index and ledger_state_hash on every
 *     running server, ledger_check everywhere; replaying the committed
 *     entries in index order into a fresh ledger gives the same results and
 *     the same hash (snapshots and installs lost nothing), and every read
 *     and status hash answered at index I is what the replayed ledger says
 *     at I; the successful holds are exactly claims 1..H and H+1 does not
 *     exist (nothing applied twice); every acknowledged command's effect
 *     is there (claim states, visit numbers, payment references, pool
 *     counters); a hold resolves at most once, every refusal names the
 *     resolution that happened, and nothing was confirmed or released at or
 *     after its deadline (a failover never extends one); every connection
 *     a client closed was released by its core once nothing was pending;
 *   - flow-back, on the replay, each SWEEP applied alone: its result counts
 *     the pools due by ledger time (a = flowed up to max, b = still due);
 *     it flows back exactly a of them, earliest (due, creation) first;
 *     held and booked never change in any bucket, every bucket keeps free
 *     + held + booked == capacity and they add up to the pool's counters;
 *     a pool that flowed back moved every other share's free slots into
 *     its target (the share its rules name, else the remainder), any other
 *     pool is unchanged. At the end, on every running server, every
 *     scheduled pool whose flow-back time is not after the ledger's time
 *     flowed back and no later one did (due times worked out apart from the
 *     ledger's formula); the pools flowed back are the ones the log's
 *     SWEEPs flowed, and the cores queued at least as many SWEEPs as were
 *     committed. SWEEPs finding nothing due, or stamped before the
 *     earliest due time, happen legitimately (a deposed leader's SWEEP
 *     committed after its successor's) but must stay rare (CEILS);
 *   - after each seed's cluster is closed, every byte raft allocated
 *     (through raft_heap_set: raft, its fixture, our fsm's snapshots, the
 *     cores' entries) was freed: the regression check of
 *     node/deps/raft-0.22.1-install-leak.patch (an InstallSnapshot
 *     received while an install is in progress was never freed);
 *   - over the seeds of one cluster size, each case this header claims is
 *     counted and must have happened at least a few times (STATS, from
 *     FLOOR_SEEDS_MIN seeds on): a run that silently stops exercising one
 *     fails; what must stay rare has a ceiling (CEILS).
 *
 * raft 0.22.1 has bugs this simulation runs into within a few thousand
 * seeds; a shim between raft and the fixture's raft_io works around each
 * (see "raft_io shim" and WA_*), counts how often, and can be switched off
 * (--workarounds MASK) against a fixed raft. Regression scenarios:
 * snapshot_pending (the crash node/deps/raft-0.22.1-snapshot-pending.patch
 * fixes), stale_apply (the same parked install on a deposed leader applies
 * entries that were never committed), io_fault (fail-stop on disk errors),
 * membership (ADD / ASSIGN / REMOVE through the cores, the LEAVE
 * notice to the removed server, and its removed_cb) and catch_up (a
 * promotion whose catch-up rounds each last just over the election
 * timeout ends, promoted or aborted, within a bound: the promotion that
 * never ended, node/deps/raft-0.22.1-catchup-rounds.patch).
 *
 *   test_sim                  scenarios + DEFAULT_SEEDS seeds per size
 *   test_sim --seeds N        N seeds per cluster size instead
 *   test_sim --first S        seeds from S on
 *   test_sim --seed N         replays seed N in-process with a trace (raft's
 *                             own trace on stderr)
 *   test_sim --jobs J         J seeds at a time (default: online CPUs, <= 4)
 *   test_sim --workarounds M  only the WA_* in mask M (default: 32,
 *                             fail-stop only: our raft is patched)
 *   test_sim NAME             only the cases whose name contains NAME
 *   SIM_TRACE=1 test_sim snapshot_pending    scenarios with a trace
 * A failing seed is printed with the command that replays it.
 */
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <raft.h>
#include <raft/fixture.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fsm.h"
#include "ledger.h"
#include "log.h"
#include "node_core.h"
#include "slot_admin.h"
#include "slot_time.h"
#include "trand.h"

#define DEFAULT_SEEDS   500 /* per cluster size (3 and 5 servers) */
#define SIM_NODES_MAX   5
#define SIM_CLIENTS_MAX 6
#define SIM_POOLS_MAX   4
#define SIM_PATIENTS    12
/* Ledger time starts at a real date (2025-06-15 15:06:40 UTC), or, in the
 * seeds with flow-back (see schedParams), so that FLOW_UTC_MS (the next
 * whole minute, 15:07:00 UTC) falls at the simulated time they draw. */
#define SIM_EPOCH_MS        1750000000000ull
#define FLOW_UTC_MS         1750000020000ull
#define DAY_MS              86400000ull
#define DRIVER_MS           20   /* clients and the operator act this often */
#define TICK_MS             100  /* node_core_tick, as slotd's default */
#define ATTEMPT_TIMEOUT_MS  2500 /* a silent connection is closed */
#define CLIENT_INFLIGHT_MAX 3
#define CLIENT_READS_MAX    2
#define SEQ_AHEAD_MAX       12 /* seq - oldest unanswered seq; window is 32 */
/* After healing, everything is answered by then. */
#define HEAL_MS_MAX 120000
#define STEPS_MAX   20000000u
/* The floors (see STATS) are checked from this many seeds per size on. */
#define FLOOR_SEEDS_MIN 100

/* ---- options ------------------------------------------------------------- */

/* Our raft build carries fixes for the bugs behind every WA_* but
 * WA_IO_FAIL_STOP (node/deps/raft-0.22.1-consistency-fixes.patch), so by
 * default the simulation runs the real, patched raft; fail-stop on I/O
 * errors is what slotd does too (node/iofail.h). --workarounds 127 brings
 * the shim's workarounds back, for an unpatched raft. */
#define DEFAULT_WORKAROUNDS 32u

static struct {
    unsigned seeds; /* per cluster size */
    uint64_t first;
    unsigned jobs;
    unsigned workarounds; /* WA_* mask for the random seeds */
    const char *argv0;
} opt = {DEFAULT_SEEDS, 0, 0, DEFAULT_WORKAROUNDS, "test_sim"};

/* ---- PRNG: proto/testlib/trand.h, one stream per purpose -------------- */

static void rngSeed(struct trand *r, uint64_t seed, uint64_t stream)
{
    trand_seed(r, seed ^ trand_mix(stream + 1));
}

static uint32_t rngBelow(struct trand *r, uint32_t n)
{
    return trand_below(r, n);
}

static bool rngChance(struct trand *r, uint32_t percent)
{
    return trand_pct(r, percent) != 0;
}

/* ---- raft heap accounting ------------------------------------------------
 *
 * Every raft allocation of a seed goes through these wrappers (raft, its
 * fixture, fsm snapshots, the cores' entry buffers: raft_apply takes
 * raft_malloc memory). When the seed's cluster is closed, nothing may be
 * left. Sizes come from malloc_usable_size, so the count needs no header in
 * front of each block (raft may free memory it did not allocate itself,
 * as long as it came from a compatible allocator). */

static struct {
    uint64_t allocs;   /* every allocation, for the statistics */
    int64_t live;      /* blocks not freed */
    int64_t live_size; /* their usable bytes */
} heap;

static void heapAdd(void *p)
{
    if (p != NULL) {
        heap.allocs++;
        heap.live++;
        heap.live_size += (int64_t)malloc_usable_size(p);
    }
}

static void heapSub(void *p)
{
    if (p != NULL) {
        heap.live--;
        heap.live_size -= (int64_t)malloc_usable_size(p);
    }
}

static void *heapMalloc(void *data, size_t size)
{
    (void)data;
    void *p = malloc(size);
    heapAdd(p);
    return p;
}

static void heapFree(void *data, void *ptr)
{
    (void)data;
    heapSub(ptr);
    free(ptr);
}

static void *heapCalloc(void *data, size_t nmemb, size_t size)
{
    (void)data;
    void *p = calloc(nmemb, size);
    heapAdd(p);
    return p;
}

static void *heapRealloc(void *data, void *ptr, size_t size)
{
    (void)data;
    if (ptr == NULL) {
        return heapMalloc(data, size);
    }
    int64_t before = (int64_t)malloc_usable_size(ptr);
    void *p = realloc(ptr, size);
    if (p != NULL) {
        heap.live_size += (int64_t)malloc_usable_size(p) - before;
    } else if (size == 0) {
        heap.live--; /* glibc: realloc(p, 0) frees p */
        heap.live_size -= before;
    }
    return p;
}

static void *heapAlignedAlloc(void *data, size_t alignment, size_t size)
{
    (void)data;
    void *p = aligned_alloc(alignment, size);
    heapAdd(p);
    return p;
}

static void heapAlignedFree(void *data, size_t alignment, void *ptr)
{
    (void)data;
    (void)alignment;
    heapSub(ptr);
    free(ptr);
}

static struct raft_heap countingHeap = {
    NULL,        heapMalloc,       heapFree,       heapCalloc,
    heapRealloc, heapAlignedAlloc, heapAlignedFree};

/* ---- simulation state ---------------------------------------------------- */

/* A request: QUEUED (to be sent, not before retry_ms) -> SENT (on a
 * connection, with a tag) -> back to QUEUED on NOT_LEADER / NO_LEADER /
 * BUSY / a closed connection, or ACKED on a RESULT. ABANDONED: its client
 * restarted without waiting for the answer (it may still be applied). */
enum { RQ_QUEUED = 1, RQ_SENT, RQ_ACKED, RQ_ABANDONED };
/* Reads and admin requests are sent once: SENT -> DONE (answered) or
 * ABANDONED (their connection closed first). */
enum { ITEM_SENT = 1, ITEM_DONE, ITEM_ABANDONED };
enum { PHASE_RUN = 1, PHASE_HEAL, PHASE_DONE };

/* Who owns a connection: a client index, or these. */
#define OWNER_FILLER   SIM_CLIENTS_MAX /* scenarios' filler, final entry */
#define OWNER_OPERATOR (SIM_CLIENTS_MAX + 1)
#define OWNERS         (SIM_CLIENTS_MAX + 2)

/* A tag names what it answers: kind, send number, item id. */
enum { TAG_CMD = 1, TAG_READ, TAG_ADMIN };
#define TAG_MAKE(kind, send, id)                                               \
    ((uint64_t)(kind) << 56 | (uint64_t)((send)&0xffffffu) << 32 | (id))
#define TAG_KIND(tag) ((unsigned)((tag) >> 56))
#define TAG_ID(tag)   ((uint32_t)(tag))

struct sim;

/* A client connection to one server's core, as server.c would hold it:
 * frames sent to a paused server wait in its inbox and are handed to the
 * core when it resumes (the kernel would buffer them), the client's close
 * too. */
struct simconn {
    struct node_conn nc; /* the core's view */
    struct sim *s;
    unsigned server;
    int owner;
    bool client_closed;  /* the client is gone: answers are dropped */
    bool core_closed;    /* node_core_conn_closed was called */
    bool released;       /* the core released it */
    bool dirty;          /* on s->dirty: the core appended answers */
    struct mp_buf inbox; /* frames not yet handed to the core */
    uint32_t n_out;      /* items waiting for an answer on it */
    uint64_t oldest_ms;  /* closeSilent's scratch */
    struct simconn *next_all;
    struct simconn *next_dirty;
};

struct req {
    int client;
    uint8_t op;
    uint64_t session, seq;
    uint64_t target; /* claim id of CONFIRM / RELEASE / CANCEL */
    uint8_t *bytes;  /* the encoded command: identical in every resend */
    size_t len;
    uint64_t fp; /* its fingerprint, as the decoder computes it */
    int state;
    struct simconn *conn;                  /* RQ_SENT */
    uint64_t tag;                          /* RQ_SENT */
    uint64_t sent_ms;                      /* RQ_SENT */
    uint64_t first_sent_ms, terms_at_send; /* its first send, and
                                            * leader_changes then */
    uint64_t retry_ms;                     /* RQ_QUEUED: not before */
    uint32_t sends;
    struct slot_result ack; /* RQ_ACKED: the answer the client got */
    raft_index ack_index;
    bool canon_set; /* some server applied it: canon is its stored result */
    struct slot_result canon;
    uint64_t canon_origin; /* the entry that applied it first */
    char payref[24];
};

struct rd {
    int client;
    bool linearizable;
    uint8_t *bytes; /* the encoded slot_read */
    size_t len;
    int state;
    struct simconn *conn;
    uint64_t tag;
    uint64_t sent_ms;
    raft_index min_index; /* highest index acknowledged when it was sent */
    /* ITEM_DONE with a READ_REPLY: what the core answered. */
    bool served;
    int code;
    raft_index index;
    uint8_t *body; /* msgpack value: the body, or nil */
    size_t body_len;
};

struct adm {
    struct slot_admin a;
    int state;
    struct simconn *conn;
    uint64_t tag;
    uint64_t sent_ms;
    int want;         /* SLOT_OK, or the error it must get (-1: any) */
    int code;         /* ITEM_DONE: what it got */
    uint8_t executed; /* code != SLOT_OK: the ERROR's (enum slot_exec) */
    struct slot_node_status status; /* STATUS answered OK */
};

/* A status reply's state hash at its applied index, checked on replay. */
struct hashchk {
    raft_index index;
    uint64_t hash;
    unsigned server;
};

/* One entry of ours (one batch a core proposed), as first applied. Never
 * freed before the end: its bytes are replayed. */
struct entrec {
    uint64_t origin;
    raft_index index;
    uint32_t n;
    uint64_t *fps;
    struct slot_result *results;
    uint8_t *answered; /* position k was answered to a client */
    uint8_t *bytes;    /* the entry, for the replay */
    size_t len;
    uint32_t applied_mask; /* servers that applied it */
};

struct client {
    uint64_t session;
    uint32_t open_req; /* SESSION_OPEN in progress, or UINT32_MAX */
    uint64_t next_seq;
    unsigned inflight; /* requests not yet answered */
    unsigned reads;    /* reads not yet answered */
    unsigned pools_created;
    unsigned guess; /* the server it believes leads */
    struct simconn *conns[SIM_NODES_MAX];
};

/* What the clients learnt about a claim id from acknowledged holds: they
 * act on their own claims mostly. */
struct claimrec {
    bool known;
    int owner;
    /* Its lifetime (see checkExpiry): the HOLD's first send, its TTL and
     * the leader changes seen by then; whether its EXPIRED was seen. */
    bool life_set, expired_seen;
    uint64_t hold_sent_ms, ttl_ms, terms;
};

/* A request of the fixture's raft_io whose callback the shim intercepts. */
struct shim_req {
    void *req;
    union {
        raft_io_append_cb append;
        raft_io_snapshot_put_cb put;
        raft_io_snapshot_get_cb get;
    } cb;
    unsigned n;        /* append: entries */
    unsigned trailing; /* snapshot put */
    raft_index index;  /* snapshot put */
    raft_term term;    /* snapshot put */
};

/* The shim between raft and the fixture's raft_io (see "raft_io shim"). */
struct shim {
    struct raft_io *io;
    int (*start)(struct raft_io *, unsigned, raft_io_tick_cb, raft_io_recv_cb);
    int (*send)(struct raft_io *, struct raft_io_send *,
                const struct raft_message *, raft_io_send_cb);
    int (*append)(struct raft_io *, struct raft_io_append *,
                  const struct raft_entry[], unsigned, raft_io_append_cb);
    int (*truncate)(struct raft_io *, raft_index);
    int (*set_term)(struct raft_io *, raft_term);
    int (*set_vote)(struct raft_io *, raft_id);
    int (*snapshot_put)(struct raft_io *, unsigned,
                        struct raft_io_snapshot_put *,
                        const struct raft_snapshot *, raft_io_snapshot_put_cb);
    int (*snapshot_get)(struct raft_io *, struct raft_io_snapshot_get *,
                        raft_io_snapshot_get_cb);
    raft_io_recv_cb recv;
    struct shim_req *reqs;
    unsigned n_reqs, cap_reqs;
    /* What the fixture's in-memory disk holds: entries start_index + 1 ..
     * start_index + n_entries. */
    raft_index start_index;
    uint64_t n_entries;
    /* The server's latest snapshot (taken, or being installed). */
    raft_index snap_index;
    raft_term snap_term;
    /* An InstallSnapshot held back while the server takes a snapshot. */
    bool deferred;
    struct raft_message deferred_msg;
    /* The snapshot a snapshot_get just returned, while raft handles it. */
    bool loaded;
    raft_index loaded_index;
    raft_term loaded_term;
};

struct simnode {
    struct sim *s;
    unsigned i;
    struct fsm fsm;
    struct node_core *core;
    struct shim shim;
    int (*fsm_snapshot)(struct raft_fsm *, struct raft_buffer **, unsigned *);
    int (*fsm_apply)(struct raft_fsm *, const struct raft_buffer *, void **);
    const struct raft_buffer *applying; /* the entry fsm_apply is given */
    uint64_t last_time_ms;
    uint64_t ev_seq; /* the last event of its feed checkExpiries read */
    raft_index last_commit;
    raft_term led_term; /* the last term it was seen leading */
    bool pending; /* raft's legacy.snapshot_pending was set at the last step */
};

/* Workarounds for raft 0.22.1 bugs, applied by the raft_io shim. */
enum {
    WA_INSTALL_TERM = 1,      /* InstallSnapshot carries a stale last_term */
    WA_COMMIT_REGRESS = 2,    /* a follower's commit index goes back */
    WA_PREV_IN_SNAPSHOT = 4,  /* AppendEntries from inside the snapshot */
    WA_INSTALL_DEFER = 8,     /* InstallSnapshot while taking a snapshot */
    WA_FIXTURE_TRUNCATE = 16, /* the fixture's truncate after an install */
    WA_IO_FAIL_STOP = 32,     /* I/O errors: the server stops for good */
    WA_PREVOTE_TERM = 64      /* pre-vote refusals hide the higher term */
};
#define WA_ALL                                                                 \
    (WA_INSTALL_TERM | WA_COMMIT_REGRESS | WA_PREV_IN_SNAPSHOT |               \
     WA_INSTALL_DEFER | WA_FIXTURE_TRUNCATE | WA_IO_FAIL_STOP |                \
     WA_PREVOTE_TERM)

struct sim_params {
    unsigned workarounds;  /* WA_* */
    bool pre_vote;         /* slotd runs with pre-vote on */
    unsigned max_inflight; /* raft_set_max_inflight_entries; slotd: 64 */
    unsigned n;            /* servers in the fixture */
    unsigned n_voters;     /* the first n_voters are bootstrapped voters */
    unsigned threshold, trailing;
    unsigned run_ms;
    unsigned n_clients, n_pools;
    bool io_faults;
    bool nemesis;
    bool reads;  /* clients read too */
    bool status; /* the operator asks for status now and then */
    /* The cores' bounds (node_core_config). */
    uint32_t batch_cmds_max, batch_bytes_max, inflight_max, reads_max;
    uint32_t conn_pending_max, expire_max;
    uint64_t epoch_ms; /* ledger time at simulated time 0 (clock skew aside) */
    uint64_t max_skew_ms; /* the cores' leader clock band (leader_clock.h) */
    /* Flow-back (schedParams): client 0 sets the rules of hospital
     * SIM_HOSPITAL, then creates pools of its schedule. */
    bool sched;
    unsigned flow_ms;        /* simulated time of FLOW_UTC_MS */
    int16_t utc_offset_min;  /* the hospital's */
    bool group;              /* channel group "online" = app + wechat */
    bool dept_rules;         /* SIM_DEPT has rules of its own */
    uint8_t days_before[2];  /* flowback_days_before: hospital, SIM_DEPT */
    bool dept_flow;          /* SIM_DEPT's rules have a flow-back */
    const char *flow_to[2];  /* flowback_to: hospital, SIM_DEPT */
    int kind[SIM_POOLS_MAX]; /* POOL_* */
};

/* Nemesis actions, counted when they took effect. */
enum {
    NEM_ISOLATE,
    NEM_SPLIT,
    NEM_CUT,
    NEM_HEAL,
    NEM_DROP,
    NEM_UNDROP,
    NEM_KILL,
    NEM_REVIVE,
    NEM_IO_FAULT,
    NEM_DEPOSE,
    NEM_TRANSFER, /* a TRANSFER admin request the core completed */
    NEM_NET_LATENCY,
    NEM_DISK_LATENCY,
    NEM_TIMEOUTS,
    NEM_SKEW,
    NEM_CLOCK_STEP, /* a running server's wall clock stepped */
    NEM_KINDS
};

/* Everything counted over a seed; summed over seeds as an array of u64. */
struct sim_stats {
    /* the cores (struct node_core_stats, summed over servers) */
    uint64_t batches, commands, batches_full, results, busy, not_leader;
    uint64_t lost, unapplied_acks, barriers, reads_barrier, reads_local;
    uint64_t lost_unknown; /* lost after raft took them (executed UNKNOWN) */
    uint64_t sweeps, sweeps_chained, admin_changes, flow_sweeps;
    /* what the clients saw */
    uint64_t resends, timeouts, acks, dup_applies, client_restarts;
    uint64_t seq_skips, busy_seen, not_leader_seen, no_leader_seen;
    uint64_t exec_not_seen, exec_unknown_seen; /* ERROR frames' executed */
    uint64_t stale_leader_entries;  /* entries a core proposed that never
                                     * committed (its batch failed) */
    uint64_t multi_session_entries; /* entries batching >= 2 sessions */
    uint64_t reads_linearizable, reads_stale, status_replies;
    uint64_t hold_expired, holds_swept, sweeps_left_due;
    uint64_t conns_opened, conns_closed_pending; /* closed with answers due */
    uint64_t paused_deliveries; /* frames a paused server handled later */
    uint64_t nemesis[NEM_KINDS];
    uint64_t leader_changes;
    /* the leader clock (leader_clock.h): wall clock steps on the server
     * that led then, the cores' reads of a wall clock outside their band
     * (summed), holds whose expiry was timed (checkExpiry), those expired
     * before hold + TTL in simulated time (within the bound), and the
     * leaders' ticks with their time over max_skew_ms behind simulated
     * time (after an outage, a leader that saw only late commits) */
    uint64_t clock_steps_leader, clock_clamped, expiries_timed;
    uint64_t expiries_early, leader_behind;
    /* flow-back: SWEEPs a core queued on applying one that left pools due
     * (the others, on a tick); at the end (the first running server's
     * ledger): seeds with scheduled pools, such pools, those flowed back */
    uint64_t flow_sweeps_chained;
    uint64_t sched_seeds, sched_pools, sched_flowed;
    /* ... and on the replay, per SWEEP command: applied, pools it flowed
     * back, still due after it (b > 0), no-ops (a == 0), stamped before the
     * earliest due time; per pool flowed back: with held or booked slots in
     * a share that gave, into a named share, after the nemesis healed */
    uint64_t sweep_cmds, sweep_pools, sweep_left_due, sweep_noop;
    uint64_t sweep_early;
    uint64_t flows_with_claims, flows_to_share, flows_after_heal;
    /* raft */
    uint64_t snapshots_taken, snapshots_restored, install_snapshots;
    uint64_t pending_installs; /* times a follower had snapshot_pending set */
    uint64_t install_overlaps; /* InstallSnapshot while installing one */
    uint64_t wa_install_term, wa_commit_regress, wa_prev_in_snapshot;
    uint64_t wa_install_defer, wa_truncate, io_crashes, wa_prevote_term;
    uint64_t raft_allocs;
    /* the catch_up scenario: the last catch-up round raft's leader
     * reached, how long the promotion lasted (ms), how it ended */
    uint64_t catchup_rounds, catchup_ms, catchup_promoted, catchup_aborted;
};

struct sim {
    uint64_t seed;
    bool trace;
    struct sim_params p;
    struct trand rng_client, rng_nemesis;
    struct raft_fixture fx;
    bool fx_ready, closing, hold_sends;
    bool admin_patient; /* the operator's connections never time out */
    int phase;
    struct simnode nodes[SIM_NODES_MAX];
    int64_t skew_ms[SIM_NODES_MAX];
    bool dead[SIM_NODES_MAX];
    bool crashed[SIM_NODES_MAX]; /* stopped for good (I/O error, removed) */
    bool removed[SIM_NODES_MAX]; /* its core called removed_cb */
    bool fault_armed;            /* an io_fault is set and has not fired */
    /* Latencies, and the latest completion time of anything already in
     * flight under them (see setLatency). */
    unsigned disk_ms[SIM_NODES_MAX], net_ms[SIM_NODES_MAX];
    uint64_t disk_horizon[SIM_NODES_MAX], net_horizon[SIM_NODES_MAX];
    bool cut[SIM_NODES_MAX][SIM_NODES_MAX];  /* i -> j disconnected */
    bool drop[SIM_NODES_MAX][SIM_NODES_MAX]; /* i -> j saturated */
    struct client clients[OWNERS];
    struct req *reqs;
    uint32_t n_reqs, cap_reqs;
    uint32_t *queue; /* RQ_QUEUED request ids, oldest first */
    uint32_t n_queue, cap_queue;
    uint64_t *req_keys; /* (session, seq) -> req id + 1, open addressing */
    uint32_t *req_vals;
    uint32_t cap_keys, n_keys;
    struct rd *rds;
    uint32_t n_rds, cap_rds;
    struct adm *adms;
    uint32_t n_adms, cap_adms;
    struct hashchk *hashchks;
    uint32_t n_hashchks, cap_hashchks;
    struct simconn *conns;               /* every connection ever opened */
    struct simconn *dirty;               /* with answers to read */
    struct entrec **ents[SIM_NODES_MAX]; /* by proposer, by origin seq */
    uint32_t cap_ents[SIM_NODES_MAX];
    uint64_t *idx_origin; /* raft index -> origin applied there (0: none) */
    size_t cap_idx;
    raft_index max_idx;
    raft_index acked_max;    /* highest index of a RESULT a client received */
    struct claimrec *claims; /* by claim id */
    uint64_t cap_claims;
    uint64_t max_claim;
    uint32_t final_req;
    uint32_t transfer_adm; /* TRANSFER waiting, or UINT32_MAX */
    int rules_step;        /* RULES_*: client 0 on its way to its pools */
    /* LEAVE notices the cores asked for (tell_removed), to deliver. */
    uint64_t leave_ids[SIM_NODES_MAX];
    unsigned n_leaves;
    uint64_t next_driver_ms, next_nemesis_ms, next_tick_ms;
    uint64_t steps;

    struct sim_stats st;
};

static const char *const POOL_NAMES[SIM_POOLS_MAX] = {
    "card/dr-li/am", "card/dr-wang/pm", "ortho/dr-zhao/am", "derm/dr-chen/am"};
static const char *const CHANNELS[] = {"app", "wechat", "114"};
static char PATIENTS[SIM_PATIENTS][16];

/* ---- flow-back -----------------------------------------------------------
 *
 * In the seeds schedParams picks, client 0 first sets the rules of hospital
 * SIM_HOSPITAL (RULES_SET, and maybe another for department SIM_DEPT),
 * each once the one before is answered OK, and then creates some of its
 * pools as pools of that hospital's schedule, with channel shares (maybe
 * naming the group "online" = app + wechat). Each rule set flows the
 * shares back at the local minute of FLOW_UTC_MS, days_before days before
 * the visit day; a pool's visit day puts its flow-back a day before
 * FLOW_UTC_MS (due when it is created), at it (flow_ms into the run, while
 * clients hold and book), or a day after (never in the run). Rule times
 * are whole local minutes and local minutes are UTC ones shifted by whole
 * minutes, so within one run all flow-backs fall on FLOW_UTC_MS or on
 * whole days before and after: the seeds vary where it falls instead
 * (their epoch). */

#define SIM_HOSPITAL "simhosp"
#define SIM_DEPT     "ortho" /* the department that may have its own rules */
static const char *const POOL_DEPTS[SIM_POOLS_MAX] = {"card", "card", "ortho",
                                                      "derm"};
static const char *const POOL_DOCTORS[SIM_POOLS_MAX] = {"dr-li", "dr-wang",
                                                        "dr-zhao", "dr-chen"};
/* Share names of scheduled pools ("online" only with the group). */
static const char *const SHARE_NAMES[] = {"app", "wechat", "114", "online"};

/* A pool of a flow-back seed: free-standing, or scheduled with its
 * flow-back due a day before FLOW_UTC_MS, at it, or a day after. */
enum { POOL_FREE, POOL_EARLY, POOL_DUE, POOL_LATER };

/* Client 0's steps: each RULES_SET is sent, then answered. */
enum {
    RULES_HOSPITAL,
    RULES_HOSPITAL_WAIT,
    RULES_DEPT,
    RULES_DEPT_WAIT,
    RULES_DONE
};

/* The rule set pool k follows: 0 the hospital's, 1 SIM_DEPT's. */
static unsigned rulesIdx(const struct sim_params *p, uint32_t k)
{
    return p->dept_rules && strcmp(POOL_DEPTS[k], SIM_DEPT) == 0;
}

/* The visit day of scheduled pool k. */
static uint32_t poolDay(const struct sim_params *p, uint32_t k)
{
    uint32_t day = slot_local_day(FLOW_UTC_MS, p->utc_offset_min) +
                   p->days_before[rulesIdx(p, k)];
    return p->kind[k] == POOL_EARLY   ? day - 1
           : p->kind[k] == POOL_LATER ? day + 1
                                      : day;
}

/* When pool k flows back (UINT64_MAX: never), from its kind: the ledger
 * computes it from the rules (ledger.h), so a different formula. */
static uint64_t poolDue(const struct sim_params *p, uint32_t k)
{
    if (!p->sched || p->kind[k] == POOL_FREE ||
        (rulesIdx(p, k) == 1 && !p->dept_flow)) {
        return UINT64_MAX;
    }
    return p->kind[k] == POOL_EARLY   ? FLOW_UTC_MS - DAY_MS
           : p->kind[k] == POOL_LATER ? FLOW_UTC_MS + DAY_MS
                                      : FLOW_UTC_MS;
}

/* Half the seeds (drawn after every other parameter, so the others stay as
 * they were): the hospital, its rules and the kinds of the pools. */
static void schedParams(struct trand *g, struct sim_params *p)
{
    static const int16_t offsets[] = {480, 0, 330, -300, 540, 345, -420, 600};
    static const char *const to[] = {"", "114", "app", "online"};
    p->epoch_ms = SIM_EPOCH_MS;
    p->sched = rngChance(g, 50);
    if (!p->sched) {
        return;
    }
    if (p->n_pools < 2) {
        p->n_pools = 2 + rngBelow(g, SIM_POOLS_MAX - 1);
    }
    /* Pools exist from about 2 s on (an election, a session, the rules):
     * due from 4 s on, up to 4 s after the nemesis stops. */
    p->flow_ms = 4000 + rngBelow(g, p->run_ms);
    p->epoch_ms = FLOW_UTC_MS - p->flow_ms;
    p->utc_offset_min = offsets[rngBelow(g, 8)];
    p->group = rngChance(g, 50);
    p->dept_rules = rngChance(g, 40);
    p->dept_flow = rngChance(g, 75);
    p->days_before[0] = (uint8_t)(1 + rngBelow(g, SLOT_FLOWBACK_DAYS_MAX));
    p->days_before[1] = (uint8_t)rngBelow(g, SLOT_FLOWBACK_DAYS_MAX + 1);
    p->flow_to[0] = to[rngBelow(g, 4)];
    p->flow_to[1] = to[rngBelow(g, 4)];
    for (uint32_t k = 0; k < p->n_pools; k++) {
        uint32_t pick = rngBelow(g, 100);
        p->kind[k] = pick < 15   ? POOL_FREE
                     : pick < 35 ? POOL_EARLY
                     : pick < 85 ? POOL_DUE
                                 : POOL_LATER;
        if (p->kind[k] == POOL_EARLY && p->days_before[rulesIdx(p, k)] == 0) {
            p->kind[k] = POOL_DUE; /* its visit day would be over */
        }
    }
}

static struct slot_str strOf(const char *s)
{
    return (struct slot_str){s, (uint32_t)strlen(s)};
}

static uint64_t simNow(const struct sim *s)
{
    return (uint64_t)s->fx.time;
}

__attribute__((format(printf, 2, 3))) static void simLog(const struct sim *s,
                                                         const char *fmt, ...)
{
    if (!s->trace) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    printf("[%6" PRIu64 "] ", simNow(s));
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

__attribute__((format(printf, 2, 3), noreturn)) static void
simFail(const struct sim *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "seed %" PRIu64 " (t=%" PRIu64 " ms): ", s->seed,
            simNow(s));
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    fflush(stdout);
    fflush(stderr);
    exit(1);
}

#define SIM_CHECK(s, cond, ...)                                                \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond);         \
            simFail((s), __VA_ARGS__);                                         \
        }                                                                      \
    } while (0)

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (q == NULL && n > 0) {
        fprintf(stderr, "test_sim: out of memory\n");
        abort();
    }
    return q;
}

/* p (an array of *cap elements of size elem), grown to hold at least need
 * (new elements zeroed). */
static void *grow(void *p, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap) {
        return p;
    }
    uint32_t c = *cap == 0 ? 64 : *cap;
    while (c < need) {
        c *= 2;
    }
    p = xrealloc(p, (size_t)c * elem);
    memset((char *)p + (size_t)*cap * elem, 0, (size_t)(c - *cap) * elem);
    *cap = c;
    return p;
}

static struct sim *simOf(struct raft_fixture *f)
{
    return (struct sim *)(void *)((char *)f - offsetof(struct sim, fx));
}

static const char *opName(uint8_t op)
{
    const char *n = slot_op_name(op);
    return n != NULL ? n : "?";
}

static const char *errName(int code)
{
    const char *n = slot_err_name(code);
    return n != NULL ? n : "?";
}

/* Commands carrying (session, seq) are deduplicated by the ledger. */
static bool opDeduped(uint8_t op)
{
    return op != SLOT_OP_SESSION_OPEN && op != SLOT_OP_EXPIRE &&
           op != SLOT_OP_SWEEP;
}

static bool resultEq(const struct slot_result *a, const struct slot_result *b)
{
    return a->code == b->code && a->a == b->a && a->b == b->b &&
           a->time_ms == b->time_ms;
}

/* A server can run its loop: not paused, not stopped. */
static bool running(const struct sim *s, unsigned i)
{
    return !s->dead[i] && !s->crashed[i];
}

/* ---- requests ------------------------------------------------------------ */

static void queuePush(struct sim *s, uint32_t id, uint64_t not_before)
{
    s->queue = grow(s->queue, &s->cap_queue, s->n_queue + 1, sizeof *s->queue);
    s->queue[s->n_queue++] = id;
    s->reqs[id].state = RQ_QUEUED;
    s->reqs[id].retry_ms = not_before;
    s->reqs[id].conn = NULL;
}

static void queueRemove(struct sim *s, uint32_t id)
{
    for (uint32_t k = 0; k < s->n_queue; k++) {
        if (s->queue[k] == id) {
            memmove(&s->queue[k], &s->queue[k + 1],
                    (s->n_queue - k - 1) * sizeof *s->queue);
            s->n_queue--;
            return;
        }
    }
}

static uint64_t keyHash(uint64_t session, uint64_t seq)
{
    uint64_t h = session * 0x9e3779b97f4a7c15ull ^ seq * 0xc2b2ae3d27d4eb4full;
    return h ^ (h >> 29);
}

/* (session, seq) -> request id: how an applied command is matched to the
 * request that carries it. */
static void keyPut(struct sim *s, uint64_t session, uint64_t seq, uint32_t id)
{
    if ((s->n_keys + 1) * 2 > s->cap_keys) {
        uint64_t *ok = s->req_keys;
        uint32_t *ov = s->req_vals;
        uint32_t ocap = s->cap_keys;
        s->cap_keys = ocap == 0 ? 1024 : ocap * 2;
        s->req_keys = xrealloc(NULL, s->cap_keys * 2 * sizeof *s->req_keys);
        s->req_vals = xrealloc(NULL, s->cap_keys * sizeof *s->req_vals);
        memset(s->req_vals, 0, s->cap_keys * sizeof *s->req_vals);
        s->n_keys = 0;
        for (uint32_t k = 0; k < ocap; k++) {
            if (ov[k] != 0) {
                keyPut(s, ok[2 * k], ok[2 * k + 1], ov[k] - 1);
            }
        }
        free(ok);
        free(ov);
    }
    uint32_t mask = s->cap_keys - 1;
    for (uint32_t k = (uint32_t)keyHash(session, seq) & mask;;
         k = (k + 1) & mask) {
        if (s->req_vals[k] == 0) {
            s->req_keys[2 * k] = session;
            s->req_keys[2 * k + 1] = seq;
            s->req_vals[k] = id + 1;
            s->n_keys++;
            return;
        }
    }
}

/* The request with (session, seq), or UINT32_MAX. */
static uint32_t keyFind(const struct sim *s, uint64_t session, uint64_t seq)
{
    if (s->cap_keys == 0) {
        return UINT32_MAX;
    }
    uint32_t mask = s->cap_keys - 1;
    for (uint32_t k = (uint32_t)keyHash(session, seq) & mask;;
         k = (k + 1) & mask) {
        if (s->req_vals[k] == 0) {
            return UINT32_MAX;
        }
        if (s->req_keys[2 * k] == session && s->req_keys[2 * k + 1] == seq) {
            return s->req_vals[k] - 1;
        }
    }
}

/* Encodes c (strings may point anywhere: they are copied into the bytes)
 * into a new queued request. */
static uint32_t reqNew(struct sim *s, int client, struct slot_cmd c)
{
    s->reqs = grow(s->reqs, &s->cap_reqs, s->n_reqs + 1, sizeof *s->reqs);
    uint32_t id = s->n_reqs++;
    struct req *r = &s->reqs[id];
    memset(r, 0, sizeof *r);
    r->client = client;
    r->op = c.op;
    if (opDeduped(c.op)) {
        struct client *cl = &s->clients[client];
        c.session = cl->session;
        c.seq = ++cl->next_seq;
    }
    r->session = c.session;
    r->seq = c.seq;
    switch (c.op) {
        case SLOT_OP_CONFIRM:
            r->target = c.u.claim.id;
            memcpy(r->payref, c.u.claim.payment_ref.p,
                   c.u.claim.payment_ref.len);
            break;
        case SLOT_OP_RELEASE:
            r->target = c.u.claim.id;
            break;
        case SLOT_OP_CANCEL:
            r->target = c.u.claim.id;
            break;
        default:
            break;
    }
    struct mp_buf b;
    struct slot_cmd back;
    mp_buf_init(&b);
    slot_cmd_encode(&b, &c);
    SIM_CHECK(s, slot_cmd_decode_buf(b.data, b.len, &back) == SLOT_OK,
              "generated %s does not decode", opName(c.op));
    r->fp = back.fingerprint;
    r->bytes = mp_buf_steal(&b, &r->len);
    if (opDeduped(c.op)) {
        keyPut(s, r->session, r->seq, id);
    }
    s->clients[client].inflight++;
    queuePush(s, id, 0);
    simLog(s,
           "client %d: new req %u %s session %" PRIu64 " seq %" PRIu64
           " target %" PRIu64,
           client, id, opName(c.op), r->session, r->seq, r->target);
    return id;
}

static struct claimrec *claimRec(struct sim *s, uint64_t id)
{
    if (id >= s->cap_claims) {
        uint64_t cap = s->cap_claims == 0 ? 64 : s->cap_claims;
        while (cap <= id) {
            cap *= 2;
        }
        s->claims = xrealloc(s->claims, (size_t)cap * sizeof *s->claims);
        memset(s->claims + s->cap_claims, 0,
               (size_t)(cap - s->cap_claims) * sizeof *s->claims);
        s->cap_claims = cap;
    }
    return &s->claims[id];
}

/* The client got its answer: a RESULT at index. */
static void reqAck(struct sim *s, uint32_t id, const struct slot_result *res,
                   raft_index index)
{
    struct req *r = &s->reqs[id];
    r->state = RQ_ACKED;
    r->ack = *res;
    r->ack_index = index;
    r->conn = NULL;
    s->st.acks++;
    if (index > s->acked_max) {
        s->acked_max = index;
    }
    simLog(s,
           "client %d: req %u %s seq %" PRIu64 " -> %s a=%" PRIu64 " b=%" PRIu64
           " at %llu",
           r->client, id, opName(r->op), r->seq, errName(res->code), res->a,
           res->b, (unsigned long long)index);
    struct client *cl = &s->clients[r->client];
    cl->inflight--;
    if (r->client >= SIM_CLIENTS_MAX) {
        return; /* the filler */
    }
    if (r->op == SLOT_OP_SESSION_OPEN) {
        SIM_CHECK(s, res->code == SLOT_OK, "SESSION_OPEN failed: %s",
                  errName(res->code));
        cl->session = res->a;
        cl->open_req = UINT32_MAX;
        return;
    }
    SIM_CHECK(s,
              res->code != SLOT_SESSION_UNKNOWN &&
                  res->code != SLOT_REQUEST_TOO_OLD &&
                  res->code != SLOT_REQUEST_MISMATCH,
              "req %u (%s session %" PRIu64 " seq %" PRIu64 "): %s", id,
              opName(r->op), r->session, r->seq, errName(res->code));
    if (r->op == SLOT_OP_RULES_SET) {
        SIM_CHECK(s, res->code == SLOT_OK, "RULES_SET failed: %s",
                  errName(res->code));
        s->rules_step = s->rules_step == RULES_HOSPITAL_WAIT && s->p.dept_rules
                            ? RULES_DEPT
                            : RULES_DONE;
    }
    if (r->op == SLOT_OP_HOLD && res->code == SLOT_OK) {
        struct claimrec *c = claimRec(s, res->a);
        SIM_CHECK(s, !c->known, "claim %" PRIu64 " created twice", res->a);
        c->known = true;
        c->owner = r->client;
        if (res->a > s->max_claim) {
            s->max_claim = res->a;
        }
    }
}

/* ---- connections --------------------------------------------------------- */

static void connWake(struct node_conn *nc)
{
    struct simconn *c = (struct simconn *)nc;
    if (!c->dirty) {
        c->dirty = true;
        c->next_dirty = c->s->dirty;
        c->s->dirty = c;
    }
}

static void connRelease(struct node_conn *nc)
{
    struct simconn *c = (struct simconn *)nc;
    SIM_CHECK(c->s, c->core_closed && !c->released && nc->pending == 0,
              "server %u released a connection (closed %d, released %d, "
              "pending %u)",
              c->server, c->core_closed, c->released, nc->pending);
    c->released = true;
}

/* A new connection of owner to server. */
static struct simconn *connNew(struct sim *s, int owner, unsigned server)
{
    struct simconn *c = xrealloc(NULL, sizeof *c);
    memset(c, 0, sizeof *c);
    mp_buf_init(&c->nc.out);
    mp_buf_init(&c->inbox);
    c->nc.wake = connWake;
    c->nc.release = connRelease;
    c->s = s;
    c->server = server;
    c->owner = owner;
    c->next_all = s->conns;
    s->conns = c;
    s->st.conns_opened++;
    return c;
}

/* The connection of owner to server, opened if needed. */
static struct simconn *connOf(struct sim *s, int owner, unsigned server)
{
    struct client *cl = &s->clients[owner];
    if (cl->conns[server] == NULL) {
        cl->conns[server] = connNew(s, owner, server);
    }
    return cl->conns[server];
}

/* Hands the frames waiting in c's inbox to its core (the server runs), then
 * the client's close if it came. */
static void connDeliver(struct sim *s, struct simconn *c)
{
    struct node_core *core = s->nodes[c->server].core;
    size_t off = 0;
    while (off < c->inbox.len && !c->core_closed) {
        size_t flen;
        struct slot_frame f;
        SIM_CHECK(s,
                  slot_frame_peek(c->inbox.data + off, c->inbox.len - off,
                                  &flen) == SLOT_OK &&
                      flen > 4 &&
                      slot_frame_decode(c->inbox.data + off + 4, flen - 4,
                                        &f) == SLOT_OK,
                  "a frame we sent does not decode");
        node_core_request(core, &c->nc, &f);
        off += flen;
    }
    mp_buf_reset(&c->inbox);
    if (c->client_closed && !c->core_closed) {
        c->core_closed = true;
        if (c->nc.pending > 0) {
            s->st.conns_closed_pending++;
        }
        node_core_conn_closed(core, &c->nc);
    }
}

/* Sends one frame (payload: bytes already encoded as one msgpack value). */
static void connSend(struct sim *s, struct simconn *c, uint8_t type,
                     uint64_t tag, const void *payload, size_t len)
{
    size_t start = slot_frame_begin(&c->inbox, type, tag);
    mp_buf_append(&c->inbox, payload, len);
    slot_frame_end(&c->inbox, start);
    c->n_out++;
    if (running(s, c->server)) {
        connDeliver(s, c);
    }
}

/* The client hangs up on c (silent too long, or it restarts): everything
 * it waited for there is sent again elsewhere (commands) or given up
 * (reads, admin). The core learns of it when its server runs. */
static void connClose(struct sim *s, struct simconn *c)
{
    if (c->client_closed) {
        return;
    }
    c->client_closed = true;
    if (s->clients[c->owner].conns[c->server] == c) {
        s->clients[c->owner].conns[c->server] = NULL;
    }
    uint64_t now = simNow(s);
    for (uint32_t id = 0; id < s->n_reqs && c->n_out > 0; id++) {
        struct req *r = &s->reqs[id];
        if (r->state == RQ_SENT && r->conn == c) {
            c->n_out--;
            s->st.resends++;
            queuePush(s, id, now);
        }
    }
    for (uint32_t k = 0; k < s->n_rds && c->n_out > 0; k++) {
        struct rd *q = &s->rds[k];
        if (q->state == ITEM_SENT && q->conn == c) {
            c->n_out--;
            q->state = ITEM_ABANDONED;
            s->clients[q->client].reads--;
        }
    }
    for (uint32_t k = 0; k < s->n_adms && c->n_out > 0; k++) {
        struct adm *a = &s->adms[k];
        if (a->state == ITEM_SENT && a->conn == c) {
            c->n_out--;
            a->state = ITEM_ABANDONED;
            if (k == s->transfer_adm) {
                s->transfer_adm = UINT32_MAX;
            }
        }
    }
    SIM_CHECK(s, c->n_out == 0, "connection lost track of %u items", c->n_out);
    simLog(s, "client %d: closes its connection to server %u", c->owner,
           c->server);
    if (running(s, c->server)) {
        connDeliver(s, c);
    }
}

/* A server runs again (or ran): what waited for it goes in. */
static void deliverAll(struct sim *s)
{
    for (struct simconn *c = s->conns; c != NULL; c = c->next_all) {
        if (!c->core_closed && (c->inbox.len > 0 || c->client_closed) &&
            running(s, c->server)) {
            if (c->inbox.len > 0) {
                s->st.paused_deliveries++;
            }
            connDeliver(s, c);
        }
    }
}

/* ---- sending ------------------------------------------------------------- */

/* A server that claims to be leader and runs, or n. */
static unsigned anyLeader(struct sim *s)
{
    unsigned n = s->p.n;
    unsigned start = rngBelow(&s->rng_client, n);
    for (unsigned k = 0; k < n; k++) {
        unsigned i = (start + k) % n;
        if (running(s, i) &&
            raft_state(raft_fixture_get(&s->fx, i)) == RAFT_LEADER) {
            return i;
        }
    }
    return n;
}

/* Where a client sends: the server it believes leads, now and then any
 * server that thinks it leads (maybe a stale one in a minority) or any
 * server at all (NOT_LEADER, or a paused one). */
static unsigned pickServer(struct sim *s, int owner)
{
    struct client *cl = &s->clients[owner];
    uint32_t pick = rngBelow(&s->rng_client, 100);
    if (pick < 3) {
        return rngBelow(&s->rng_client, s->p.n);
    }
    if (pick < 15) {
        unsigned l = anyLeader(s);
        if (l < s->p.n) {
            return l;
        }
    }
    return cl->guess;
}

static void sendReqTo(struct sim *s, uint32_t id, unsigned server)
{
    struct req *r = &s->reqs[id];
    struct simconn *c = connOf(s, r->client, server);
    r->state = RQ_SENT;
    r->conn = c;
    r->tag = TAG_MAKE(TAG_CMD, r->sends, id);
    if (r->sends == 0) {
        r->first_sent_ms = simNow(s);
        r->terms_at_send = s->st.leader_changes;
    }
    r->sends++;
    r->sent_ms = simNow(s);
    simLog(s, "client %d: sends req %u to server %u", r->client, id, server);
    connSend(s, c, SLOT_FRAME_COMMAND, r->tag, r->bytes, r->len);
}

static void sendReq(struct sim *s, uint32_t id)
{
    sendReqTo(s, id, pickServer(s, s->reqs[id].client));
}

/* Sends the queued requests that are due (in order). */
static void sendQueued(struct sim *s)
{
    uint64_t now = simNow(s);
    uint32_t kept = 0;
    uint32_t n = s->n_queue;
    /* sendReq may answer at once (and requeue): take the list first. */
    uint32_t *due = xrealloc(NULL, (n + 1) * sizeof *due);
    uint32_t n_due = 0;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t id = s->queue[k];
        if (s->reqs[id].retry_ms <= now && !s->hold_sends) {
            due[n_due++] = id;
        } else {
            s->queue[kept++] = id;
        }
    }
    s->n_queue = kept;
    for (uint32_t k = 0; k < n_due; k++) {
        sendReq(s, due[k]);
    }
    free(due);
}

static void sendRead(struct sim *s, int client, const struct slot_read *rd,
                     bool linearizable)
{
    s->rds = grow(s->rds, &s->cap_rds, s->n_rds + 1, sizeof *s->rds);
    uint32_t id = s->n_rds++;
    struct rd *q = &s->rds[id];
    memset(q, 0, sizeof *q);
    struct mp_buf b;
    mp_buf_init(&b);
    slot_read_encode(&b, rd);
    q->bytes = mp_buf_steal(&b, &q->len);
    q->client = client;
    q->linearizable = linearizable;
    q->min_index = s->acked_max;
    q->state = ITEM_SENT;
    q->sent_ms = simNow(s);
    q->tag = TAG_MAKE(TAG_READ, 0, id);
    unsigned server =
        linearizable ? pickServer(s, client) : rngBelow(&s->rng_client, s->p.n);
    q->conn = connOf(s, client, server);
    s->clients[client].reads++;
    mp_buf_init(&b);
    mp_pack_array(&b, 2);
    mp_pack_bool(&b, linearizable);
    mp_buf_append(&b, q->bytes, q->len);
    connSend(s, q->conn, SLOT_FRAME_READ, q->tag, b.data, b.len);
    mp_buf_free(&b);
}

/* The operator sends an admin request to server; want: the code it must
 * get (SLOT_OK, an error, or -1 for any). Returns its id. */
static uint32_t sendAdmin(struct sim *s, unsigned server,
                          const struct slot_admin *a, int want)
{
    s->adms = grow(s->adms, &s->cap_adms, s->n_adms + 1, sizeof *s->adms);
    uint32_t id = s->n_adms++;
    struct adm *q = &s->adms[id];
    memset(q, 0, sizeof *q);
    q->a = *a;
    q->want = want;
    q->state = ITEM_SENT;
    q->sent_ms = simNow(s);
    q->tag = TAG_MAKE(TAG_ADMIN, 0, id);
    q->conn = connOf(s, OWNER_OPERATOR, server);
    struct mp_buf b;
    mp_buf_init(&b);
    slot_admin_encode(&b, a);
    connSend(s, q->conn, SLOT_FRAME_ADMIN, q->tag, b.data, b.len);
    mp_buf_free(&b);
    return id;
}

/* ---- answers ------------------------------------------------------------- */

static unsigned originServer(uint64_t origin)
{
    return (unsigned)(origin >> 48) - 1;
}

static struct entrec *entryOf(struct sim *s, uint64_t origin)
{
    unsigned i = originServer(origin);
    uint64_t seq = origin & 0xffffffffull;
    if (i >= s->p.n || (origin & 0xffff00000000ull) != 0 || seq == 0 ||
        seq >= s->cap_ents[i]) {
        return NULL;
    }
    return s->ents[i][seq];
}

/* A RESULT for request r from server at index: the entry there must be one
 * the server proposed and applied, holding r's command with this result at
 * a position nobody was answered for yet. */
static void checkResult(struct sim *s, const struct req *r, uint32_t id,
                        unsigned server, const struct slot_result *res,
                        raft_index index)
{
    uint64_t origin = index < s->cap_idx ? s->idx_origin[index] : 0;
    struct entrec *e = origin != 0 ? entryOf(s, origin) : NULL;
    SIM_CHECK(s, e != NULL,
              "server %u answered req %u (%s) with index %llu, where no "
              "entry of a core was applied",
              server, id, opName(r->op), (unsigned long long)index);
    SIM_CHECK(s, originServer(origin) == server,
              "server %u answered req %u from index %llu, proposed by "
              "server %u",
              server, id, (unsigned long long)index, originServer(origin));
    SIM_CHECK(s, (e->applied_mask >> server) & 1,
              "server %u answered req %u before it applied index %llu", server,
              id, (unsigned long long)index);
    uint32_t k = 0;
    while (k < e->n && (e->answered[k] || e->fps[k] != r->fp ||
                        !resultEq(&e->results[k], res))) {
        k++;
    }
    SIM_CHECK(s, k < e->n,
              "server %u answered req %u (%s session %" PRIu64 " seq %" PRIu64
              ") %s a=%" PRIu64 " from index %llu, whose entry holds no such "
              "command with that result: results routed to the wrong request",
              server, id, opName(r->op), r->session, r->seq, errName(res->code),
              res->a, (unsigned long long)index);
    e->answered[k] = 1;
}

/* NOT_LEADER names another member (by id and its client address, the part
 * after '/' of "N/sim:N"). */
static void checkHint(struct sim *s, unsigned server, int code, uint64_t leader,
                      struct slot_str addr)
{
    if (code == SLOT_NOT_LEADER) {
        char want[32];
        snprintf(want, sizeof want, "sim:%" PRIu64, leader);
        SIM_CHECK(s,
                  leader >= 1 && leader <= s->p.n && leader != server + 1 &&
                      addr.len == strlen(want) &&
                      memcmp(addr.p, want, addr.len) == 0,
                  "server %u: NOT_LEADER names %" PRIu64 " at '%.*s'", server,
                  leader, (int)addr.len, addr.p);
    } else if (code == SLOT_NO_LEADER) {
        SIM_CHECK(s, leader == 0 || leader == server + 1,
                  "server %u: NO_LEADER names %" PRIu64, server, leader);
    }
}

/* Decodes an ERROR frame (the cores always send `executed`: the 3-field
 * form is an older node's). *executed: enum slot_exec. */
static int decodeError(struct sim *s, unsigned server,
                       const struct slot_frame *f, uint64_t *leader,
                       uint8_t *executed)
{
    struct slot_error_info e;
    struct mp_reader r;
    uint32_t n = 0;
    mp_reader_init(&r, f->payload, f->payload_len);
    SIM_CHECK(s,
              mp_read_array(&r, &n) && n == 4 &&
                  slot_frame_error_decode(f->payload, f->payload_len, &e) ==
                      SLOT_OK,
              "server %u: ERROR frame does not decode", server);
    checkHint(s, server, e.code, e.leader_id, e.leader_address);
    *leader = e.leader_id;
    *executed = e.executed;
    s->st.exec_not_seen += e.executed == SLOT_EXEC_NOT;
    s->st.exec_unknown_seen += e.executed == SLOT_EXEC_UNKNOWN;
    return e.code;
}

static void onCommandAnswer(struct sim *s, struct simconn *c,
                            const struct slot_frame *f, uint32_t id)
{
    struct req *r = &s->reqs[id];
    uint64_t now = simNow(s);
    if (f->type == SLOT_FRAME_RESULT) {
        struct mp_reader rd;
        struct slot_result res;
        uint64_t index;
        mp_reader_init(&rd, f->payload, f->payload_len);
        SIM_CHECK(s,
                  mp_expect_array(&rd, 2) &&
                      slot_result_decode(&rd, &res) == SLOT_OK &&
                      mp_read_u64(&rd, &index) && mp_done(&rd),
                  "server %u: RESULT does not decode", c->server);
        checkResult(s, r, id, c->server, &res, index);
        reqAck(s, id, &res, index);
        return;
    }
    SIM_CHECK(s, f->type == SLOT_FRAME_ERROR,
              "server %u: frame type %u for "
              "a command",
              c->server, f->type);
    uint64_t leader;
    uint8_t executed;
    int code = decodeError(s, c->server, f, &leader, &executed);
    /* BUSY and IO come only before raft_apply (a full pipeline, raft's
     * RAFT_NOSPACE): never after the entry was proposed. */
    SIM_CHECK(
        s, executed == SLOT_EXEC_NOT || (code != SLOT_BUSY && code != SLOT_IO),
        "server %u: req %u (%s) refused %s with executed UNKNOWN", c->server,
        id, opName(r->op), errName(code));
    struct client *cl = &s->clients[r->client];
    uint32_t backoff = 0;
    switch (code) {
        case SLOT_NOT_LEADER:
            s->st.not_leader_seen++;
            cl->guess = (unsigned)leader - 1;
            break;
        case SLOT_NO_LEADER:
            s->st.no_leader_seen++;
            cl->guess = rngBelow(&s->rng_client, s->p.n);
            backoff = 50 + rngBelow(&s->rng_client, 200);
            break;
        case SLOT_BUSY:
            s->st.busy_seen++;
            backoff = 10 + rngBelow(&s->rng_client, 100);
            break;
        case SLOT_IO: /* raft refused the entry (RAFT_NOSPACE) */
            backoff = 50;
            break;
        default:
            simFail(s, "server %u: req %u (%s) refused: %s", c->server, id,
                    opName(r->op), errName(code));
    }
    s->st.resends++;
    simLog(s, "client %d: req %u refused by server %u: %s", r->client, id,
           c->server, errName(code));
    queuePush(s, id, now + backoff);
}

static void onReadAnswer(struct sim *s, struct simconn *c,
                         const struct slot_frame *f, uint32_t id)
{
    struct rd *q = &s->rds[id];
    q->state = ITEM_DONE;
    s->clients[q->client].reads--;
    if (f->type == SLOT_FRAME_ERROR) {
        uint64_t leader;
        uint8_t executed;
        int code = decodeError(s, c->server, f, &leader, &executed);
        SIM_CHECK(s, executed == SLOT_EXEC_NOT,
                  "server %u: read refused %s with executed UNKNOWN", c->server,
                  errName(code));
        /* BUSY: the connection's bound (conn_pending_max), or queued
         * linearizable reads (reads_max). Only those wait for a leader. */
        SIM_CHECK(s,
                  code == SLOT_BUSY ||
                      (q->linearizable &&
                       (code == SLOT_NOT_LEADER || code == SLOT_NO_LEADER)),
                  "server %u: %s read refused: %s", c->server,
                  q->linearizable ? "linearizable" : "stale", errName(code));
        s->st.busy_seen += code == SLOT_BUSY;
        if (code == SLOT_NOT_LEADER) {
            s->clients[q->client].guess = (unsigned)leader - 1;
        }
        return;
    }
    SIM_CHECK(s, f->type == SLOT_FRAME_READ_REPLY,
              "server %u: frame type %u for a read", c->server, f->type);
    struct mp_reader r;
    uint64_t code, index;
    mp_reader_init(&r, f->payload, f->payload_len);
    SIM_CHECK(s,
              mp_expect_array(&r, 3) && mp_read_uint(&r, 127, &code) &&
                  mp_read_u64(&r, &index) && mp_left(&r) > 0,
              "server %u: READ_REPLY does not decode", c->server);
    q->served = true;
    q->code = (int)code;
    q->index = index;
    q->body_len = mp_left(&r);
    q->body = xrealloc(NULL, q->body_len);
    memcpy(q->body, r.p, q->body_len);
    SIM_CHECK(s, mp_skip(&r) && mp_done(&r),
              "server %u: READ_REPLY body does not decode", c->server);
    if (q->linearizable) {
        /* Linearizable: no older than any write acknowledged before the
         * read was sent. A read served from a lagging follower's or a
         * deposed leader's state fails here. */
        SIM_CHECK(s, index >= q->min_index,
                  "server %u: linearizable read served at index %llu, but "
                  "index %llu was acknowledged before it was sent",
                  c->server, (unsigned long long)index,
                  (unsigned long long)q->min_index);
        s->st.reads_linearizable++;
    } else {
        s->st.reads_stale++;
    }
}

static void onAdminAnswer(struct sim *s, struct simconn *c,
                          const struct slot_frame *f, uint32_t id)
{
    struct adm *q = &s->adms[id];
    q->state = ITEM_DONE;
    if (f->type == SLOT_FRAME_ERROR) {
        uint64_t leader;
        q->code = decodeError(s, c->server, f, &leader, &q->executed);
    } else {
        SIM_CHECK(s, f->type == SLOT_FRAME_ADMIN_REPLY,
                  "server %u: frame type %u for an admin request", c->server,
                  f->type);
        struct mp_reader r;
        uint64_t code;
        mp_reader_init(&r, f->payload, f->payload_len);
        SIM_CHECK(s, mp_expect_array(&r, 2) && mp_read_uint(&r, 127, &code),
                  "server %u: ADMIN_REPLY does not decode", c->server);
        q->code = (int)code;
        if (q->a.op == SLOT_ADMIN_STATUS) {
            struct slot_node_status st;
            SIM_CHECK(s,
                      code == SLOT_OK &&
                          slot_node_status_decode(&r, &st) == SLOT_OK &&
                          mp_done(&r),
                      "server %u: status does not decode", c->server);
            const struct raft *rf = raft_fixture_get(&s->fx, c->server);
            SIM_CHECK(s,
                      st.id == c->server + 1 &&
                          st.applied_index <= st.commit_index &&
                          st.commit_index <= raft_commit_index(rf) &&
                          st.n_members == rf->configuration.n &&
                          (st.leader_id == 0 || st.leader_id <= s->p.n),
                      "server %u: status says id %" PRIu64 ", applied %" PRIu64
                      ", commit %" PRIu64 ", %u members, leader %" PRIu64,
                      c->server, st.id, st.applied_index, st.commit_index,
                      st.n_members, st.leader_id);
            /* raft's membership state: a committed configuration exists
             * (bootstrap, index 1 on), a pending one lies beyond it, and a
             * promotee is a member. */
            SIM_CHECK(
                s,
                st.config_committed_index >= 1 &&
                    (st.config_uncommitted_index == 0 ||
                     st.config_uncommitted_index > st.config_committed_index) &&
                    st.promotee_id <= SIM_NODES_MAX,
                "server %u: status says configuration committed at "
                "%" PRIu64 ", uncommitted at %" PRIu64 ", promotee %" PRIu64,
                c->server, st.config_committed_index,
                st.config_uncommitted_index, st.promotee_id);
            q->status = st;
            if (!q->a.no_hash) {
                s->hashchks = grow(s->hashchks, &s->cap_hashchks,
                                   s->n_hashchks + 1, sizeof *s->hashchks);
                s->hashchks[s->n_hashchks++] = (struct hashchk){
                    st.applied_index, st.state_hash, c->server};
            }
            s->st.status_replies++;
        } else {
            SIM_CHECK(s, mp_read_nil(&r) && mp_done(&r),
                      "server %u: admin reply body", c->server);
        }
    }
    SIM_CHECK(s, q->want < 0 || q->code == q->want,
              "server %u: admin op %u got %s, want %s", c->server, q->a.op,
              errName(q->code), errName(q->want));
    if (id == s->transfer_adm) {
        s->transfer_adm = UINT32_MAX;
        if (q->code == SLOT_OK) {
            s->st.nemesis[NEM_TRANSFER]++;
        }
    }
    simLog(s, "operator: admin op %u on server %u: %s", q->a.op, c->server,
           errName(q->code));
}

/* One frame the core wrote on c: it must answer an item waiting there. */
static void onFrame(struct sim *s, struct simconn *c,
                    const struct slot_frame *f)
{
    uint32_t id = TAG_ID(f->tag);
    bool waiting = false;
    switch (TAG_KIND(f->tag)) {
        case TAG_CMD:
            waiting = id < s->n_reqs && s->reqs[id].state == RQ_SENT &&
                      s->reqs[id].conn == c && s->reqs[id].tag == f->tag;
            break;
        case TAG_READ:
            waiting = id < s->n_rds && s->rds[id].state == ITEM_SENT &&
                      s->rds[id].conn == c && s->rds[id].tag == f->tag;
            break;
        case TAG_ADMIN:
            waiting = id < s->n_adms && s->adms[id].state == ITEM_SENT &&
                      s->adms[id].conn == c && s->adms[id].tag == f->tag;
            break;
        default:
            break;
    }
    SIM_CHECK(s, waiting,
              "server %u answered tag %" PRIx64 " (frame type %u) on a "
              "connection where nothing waits for it",
              c->server, f->tag, f->type);
    c->n_out--;
    switch (TAG_KIND(f->tag)) {
        case TAG_CMD:
            onCommandAnswer(s, c, f, id);
            break;
        case TAG_READ:
            onReadAnswer(s, c, f, id);
            break;
        default:
            onAdminAnswer(s, c, f, id);
            break;
    }
}

/* Reads what the cores answered since the last call. */
static void readAnswers(struct sim *s)
{
    while (s->dirty != NULL) {
        struct simconn *c = s->dirty;
        s->dirty = c->next_dirty;
        c->dirty = false;
        struct mp_buf *out = &c->nc.out;
        size_t off = 0;
        while (!c->client_closed && off < out->len) {
            size_t flen;
            struct slot_frame f;
            SIM_CHECK(s,
                      slot_frame_peek(out->data + off, out->len - off, &flen) ==
                              SLOT_OK &&
                          flen > 4 &&
                          slot_frame_decode(out->data + off + 4, flen - 4,
                                            &f) == SLOT_OK,
                      "server %u wrote a broken frame", c->server);
            onFrame(s, c, &f);
            off += flen;
        }
        /* A closed client reads nothing: its answers are gone. */
        mp_buf_reset(out);
    }
}

/* ---- the state machine callback ------------------------------------------ */

/* Wraps fsm's apply to see the entry's bytes (kept for the replay). */
static int simFsmApply(struct raft_fsm *rf, const struct raft_buffer *buf,
                       void **result)
{
    struct fsm *f = rf->data;
    struct simnode *nd = f->data;
    nd->applying = buf;
    int rv = nd->fsm_apply(rf, buf, result);
    nd->applying = NULL;
    return rv;
}

static struct entrec *entryNew(struct sim *s, uint64_t origin, raft_index idx,
                               const struct slot_cmd *cmds,
                               const struct slot_result *results, uint32_t n,
                               const struct raft_buffer *buf)
{
    unsigned i = originServer(origin);
    uint64_t seq = origin & 0xffffffffull;
    SIM_CHECK(s, i < s->p.n && (origin & 0xffff00000000ull) == 0 && seq > 0,
              "applied an entry with origin %" PRIx64 ", which no core uses",
              origin);
    s->ents[i] =
        grow(s->ents[i], &s->cap_ents[i], (uint32_t)seq + 1, sizeof(void *));
    struct entrec *e = xrealloc(NULL, sizeof *e);
    memset(e, 0, sizeof *e);
    e->origin = origin;
    e->index = idx;
    e->n = n;
    e->fps = xrealloc(NULL, n * sizeof *e->fps);
    e->results = xrealloc(NULL, n * sizeof *e->results);
    e->answered = xrealloc(NULL, n);
    memset(e->answered, 0, n);
    for (uint32_t k = 0; k < n; k++) {
        e->fps[k] = cmds[k].fingerprint;
    }
    memcpy(e->results, results, n * sizeof *results);
    SIM_CHECK(s, buf != NULL, "applied_cb outside fsm apply");
    e->bytes = xrealloc(NULL, buf->len);
    memcpy(e->bytes, buf->base, buf->len);
    e->len = buf->len;
    s->ents[i][seq] = e;
    /* Batching: commands of several sessions (connections) in one entry. */
    uint64_t first = 0;
    bool mixed = false;
    for (uint32_t k = 0; k < n; k++) {
        if (cmds[k].session != 0) {
            mixed = mixed || (first != 0 && cmds[k].session != first);
            first = first != 0 ? first : cmds[k].session;
        }
        if (cmds[k].op == SLOT_OP_EXPIRE) {
            s->st.holds_swept += results[k].a;
            s->st.sweeps_left_due += results[k].b > 0;
        }
        /* Only a core proposes SWEEP (no client sends one): its own bound,
         * no session. */
        SIM_CHECK(s,
                  cmds[k].op != SLOT_OP_SWEEP ||
                      (cmds[k].session == 0 && cmds[k].seq == 0 &&
                       cmds[k].u.expire.max == s->p.expire_max),
                  "entry %" PRIx64 ": SWEEP session %" PRIu64 " max %u", origin,
                  cmds[k].session, cmds[k].u.expire.max);
    }
    s->st.multi_session_entries += mixed;
    return e;
}

/* ---- the leader clock ---------------------------------------------------
 *
 * Servers' wall clocks are skewed and stepped (seconds to an hour, forward
 * and back, the leader's mostly: clockStep) while their monotonic clocks
 * are simulated time; the cores clamp their stamps (leader_clock.h). A
 * hold must not expire, in simulated time, before its HOLD was first sent
 * plus its TTL, less (k + 2) max_skew_ms, k the leader changes since that
 * send: its stamp may sit at the bottom of its term's band and its expiry
 * at the top of a band k terms later, each term's centre at most
 * max_skew_ms further ahead. And ledger time must not stand still for
 * long while a leader commits: on every tick, a leader's time (what it
 * stamps) is at most 3 max_skew_ms + STALL_SLACK_MS behind the ledger
 * time it applied (tickCore); ledger time then stands still for no
 * longer than that. */

#define STALL_SLACK_MS 100

/* The EXPIRED events server nd's feed gained: the first time a hold's
 * expiry is seen anywhere is when it expired. */
static void checkExpiries(struct sim *s, struct simnode *nd)
{
    static struct slot_event ev[16];
    for (unsigned round = 0; round < 1000; round++) {
        uint32_t n = 0;
        uint64_t first, last;
        ledger_read_events(nd->fsm.ledger, nd->ev_seq, 16, ev, &n, &first,
                           &last);
        if (n == 0) {
            return;
        }
        for (uint32_t k = 0; k < n; k++) {
            nd->ev_seq = ev[k].seq;
            if (ev[k].type != SLOT_EV_EXPIRED) {
                continue;
            }
            struct claimrec *c = claimRec(s, ev[k].claim);
            if (c->expired_seen || !c->life_set) {
                continue;
            }
            c->expired_seen = true;
            uint64_t now = simNow(s);
            uint64_t k_terms = s->st.leader_changes - c->terms;
            uint64_t due = c->hold_sent_ms + c->ttl_ms;
            uint64_t bound = (k_terms + 2) * s->p.max_skew_ms;
            s->st.expiries_timed++;
            s->st.expiries_early += now < due;
            SIM_CHECK(s, now + bound >= due,
                      "claim %" PRIu64 " expired (server %u) at %" PRIu64
                      " ms, %" PRIu64
                      " ms before its HOLD's first send (%" PRIu64
                      " ms) + TTL (%" PRIu64 " ms); %" PRIu64
                      " leader changes since, max skew %" PRIu64 " ms",
                      ev[k].claim, nd->i, now, due - now, c->hold_sent_ms,
                      c->ttl_ms, k_terms, s->p.max_skew_ms);
        }
    }
}

static void appliedCb(struct fsm *f, uint64_t origin,
                      const struct slot_cmd *cmds,
                      const struct slot_result *results, uint32_t n)
{
    struct simnode *nd = f->data;
    struct sim *s = nd->s;
    if (s->closing) {
        node_core_applied(nd->core, origin, cmds, results, n);
        return;
    }
    raft_index idx = raft_last_applied(raft_fixture_get(&s->fx, nd->i)) + 1;

    /* State machine safety, as seen by the ledger. */
    if (idx >= s->cap_idx) {
        size_t cap = s->cap_idx == 0 ? 1024 : s->cap_idx;
        while (cap <= idx) {
            cap *= 2;
        }
        s->idx_origin = xrealloc(s->idx_origin, cap * sizeof *s->idx_origin);
        memset(s->idx_origin + s->cap_idx, 0,
               (cap - s->cap_idx) * sizeof *s->idx_origin);
        s->cap_idx = cap;
    }
    SIM_CHECK(s, s->idx_origin[idx] == 0 || s->idx_origin[idx] == origin,
              "index %llu: server %u applied %" PRIx64 ", another %" PRIx64,
              (unsigned long long)idx, nd->i, origin, s->idx_origin[idx]);
    struct entrec *e = entryOf(s, origin);
    if (e == NULL) {
        e = entryNew(s, origin, idx, cmds, results, n, nd->applying);
    }
    SIM_CHECK(s, e->index == idx && e->n == n,
              "origin %" PRIx64 ": %u commands at index %llu on server %u, "
              "%u at %llu elsewhere",
              origin, n, (unsigned long long)idx, nd->i, e->n,
              (unsigned long long)e->index);
    s->idx_origin[idx] = origin;
    e->applied_mask |= 1u << nd->i;
    simLog(s, "server %u applies index %llu: %" PRIx64 " (%u cmds)", nd->i,
           (unsigned long long)idx, origin, n);
    if (idx > s->max_idx) {
        s->max_idx = idx;
    }

    uint64_t t = ledger_time_ms(f->ledger);
    SIM_CHECK(s, t >= nd->last_time_ms,
              "server %u: ledger time went back from %" PRIu64 " to %" PRIu64,
              nd->i, nd->last_time_ms, t);
    nd->last_time_ms = t;

    for (uint32_t k = 0; k < n; k++) {
        SIM_CHECK(s,
                  cmds[k].fingerprint == e->fps[k] &&
                      resultEq(&e->results[k], &results[k]),
                  "origin %" PRIx64 " cmd %u (%s): server %u got %s a=%" PRIu64
                  " t=%" PRIu64 ", another %s a=%" PRIu64 " t=%" PRIu64,
                  origin, k, opName(cmds[k].op), nd->i,
                  errName(results[k].code), results[k].a, results[k].time_ms,
                  errName(e->results[k].code), e->results[k].a,
                  e->results[k].time_ms);
        if (!opDeduped(cmds[k].op)) {
            continue;
        }
        uint32_t id = keyFind(s, cmds[k].session, cmds[k].seq);
        SIM_CHECK(s, id != UINT32_MAX && s->reqs[id].fp == cmds[k].fingerprint,
                  "server %u applied %s session %" PRIu64 " seq %" PRIu64
                  ", which no client sent",
                  nd->i, opName(cmds[k].op), cmds[k].session, cmds[k].seq);
        struct req *r = &s->reqs[id];
        if (!r->canon_set) {
            r->canon_set = true;
            r->canon = results[k];
            r->canon_origin = origin;
            if (r->op == SLOT_OP_HOLD && results[k].code == SLOT_OK) {
                struct claimrec *c = claimRec(s, results[k].a);
                c->life_set = true;
                c->hold_sent_ms = r->first_sent_ms;
                c->ttl_ms = cmds[k].u.hold.ttl_ms;
                c->terms = r->terms_at_send;
            }
        } else {
            if (r->canon_origin != origin && e->applied_mask == 1u << nd->i) {
                /* A second entry carrying the same request committed: the
                 * ledger must have answered from its session table. */
                s->st.dup_applies++;
            }
            SIM_CHECK(
                s, resultEq(&r->canon, &results[k]),
                "%s session %" PRIu64 " seq %" PRIu64
                " applied twice with different results on server %u: "
                "%s a=%" PRIu64 " t=%" PRIu64 " vs %s a=%" PRIu64 " t=%" PRIu64,
                opName(r->op), r->session, r->seq, nd->i,
                errName(results[k].code), results[k].a, results[k].time_ms,
                errName(r->canon.code), r->canon.a, r->canon.time_ms);
        }
    }
    /* A core queues a SWEEP here only to chain one: on applying its own
     * SWEEP that left pools due. */
    uint64_t before = node_core_stats(nd->core)->flow_sweeps;
    node_core_applied(nd->core, origin, cmds, results, n);
    uint64_t chained = node_core_stats(nd->core)->flow_sweeps - before;
    if (chained > 0) {
        bool left_due = false;
        for (uint32_t k = 0; k < n; k++) {
            left_due =
                left_due || (cmds[k].op == SLOT_OP_SWEEP && results[k].b > 0);
        }
        SIM_CHECK(s, chained == 1 && originServer(origin) == nd->i && left_due,
                  "server %u queued %" PRIu64 " SWEEP(s) on applying entry "
                  "%" PRIx64 " (its own SWEEP leaving pools due: %s)",
                  nd->i, chained, origin,
                  originServer(origin) == nd->i && left_due ? "yes" : "no");
        s->st.flow_sweeps_chained++;
        simLog(s, "server %u: chains a SWEEP", nd->i);
    }
    checkExpiries(s, nd);
}

/* The cores' callbacks. */
static uint64_t stampOf(const struct sim *s, unsigned node)
{
    int64_t t = (int64_t)s->p.epoch_ms + (int64_t)simNow(s) + s->skew_ms[node];
    return t < 0 ? 0 : (uint64_t)t;
}

static uint64_t coreNow(void *data)
{
    const struct simnode *nd = data;
    return stampOf(nd->s, nd->i);
}

/* A server's monotonic clock: simulated time from an origin of its own
 * (never stepped, never comparable across servers). */
static uint64_t coreMono(void *data)
{
    const struct simnode *nd = data;
    return simNow(nd->s) + 1000000ull * (nd->i + 3);
}

static void coreTellRemoved(void *data, uint64_t id, const char *client)
{
    struct simnode *nd = data;
    struct sim *s = nd->s;
    char want[32];
    snprintf(want, sizeof want, "sim:%" PRIu64, id);
    SIM_CHECK(s, strcmp(client, want) == 0 && s->n_leaves < SIM_NODES_MAX,
              "server %u: tell %" PRIu64 " at '%s'", nd->i, id, client);
    /* Delivered by the operator outside raft's callbacks. */
    s->leave_ids[s->n_leaves++] = id;
}

static void coreRemoved(void *data)
{
    struct simnode *nd = data;
    SIM_CHECK(nd->s, !nd->s->removed[nd->i], "server %u removed twice", nd->i);
    nd->s->removed[nd->i] = true;
    simLog(nd->s, "server %u: its core says it was removed", nd->i);
}

/* ---- clients ------------------------------------------------------------- */

static void specRandom(struct sim *s, struct slot_pool_spec *sp, uint32_t pool)
{
    struct trand *g = &s->rng_client;
    memset(sp, 0, sizeof *sp);
    sp->pool = strOf(POOL_NAMES[pool]);
    sp->capacity = 2 + rngBelow(g, 7);
    sp->kind = (uint8_t)rngBelow(g, SLOT_KIND_MAX + 1);
    sp->fee_cents = 500 + 100 * rngBelow(g, 50);
    if (rngChance(g, 50)) {
        sp->n_shares = 1;
        sp->shares[0].channel = strOf(CHANNELS[rngBelow(g, 3)]);
        sp->shares[0].slots = 1 + rngBelow(g, sp->capacity);
    }
}

/* Rule set `which` (0: the hospital's, 1: SIM_DEPT's) of a flow-back
 * seed. */
static void rulesOf(const struct sim_params *p, unsigned which,
                    struct slot_rules *r)
{
    slot_rules_default(r);
    r->utc_offset_min = p->utc_offset_min;
    r->flowback_days_before = p->days_before[which];
    if (which == 0 || p->dept_flow) {
        r->flowback_minute =
            (uint16_t)slot_local_minute(FLOW_UTC_MS, p->utc_offset_min);
    }
    snprintf(r->flowback_to, sizeof r->flowback_to, "%s", p->flow_to[which]);
    if (p->group) {
        r->n_groups = 1;
        strcpy(r->groups[0].name, "online");
        r->groups[0].n = 2;
        strcpy(r->groups[0].channels[0], "app");
        strcpy(r->groups[0].channels[1], "wechat");
    }
}

/* Client 0 sends RULES_SET of rule set `which`. */
static void rulesSend(struct sim *s, unsigned which)
{
    struct slot_rules r;
    struct mp_buf b;
    rulesOf(&s->p, which, &r);
    mp_buf_init(&b);
    slot_rules_encode(&b, &r);
    struct slot_cmd c;
    memset(&c, 0, sizeof c);
    c.op = SLOT_OP_RULES_SET;
    c.u.rules.hospital = strOf(SIM_HOSPITAL);
    c.u.rules.department = strOf(which == 0 ? "" : SIM_DEPT);
    c.u.rules.operator_name = strOf("ops@sim");
    c.u.rules.reason = strOf("flow-back");
    c.u.rules.rules = (struct slot_str){(const char *)b.data, (uint32_t)b.len};
    reqNew(s, 0, c); /* copies the bytes */
    mp_buf_free(&b);
}

/* A spec for scheduled pool `pool`: its visit day (so its flow-back time
 * never changes), segment 08:00-24:00 local, one to three shares of
 * channels or the group. */
static void specSched(struct sim *s, struct slot_pool_spec *sp, uint32_t pool)
{
    struct trand *g = &s->rng_client;
    memset(sp, 0, sizeof *sp);
    sp->pool = strOf(POOL_NAMES[pool]);
    sp->capacity = 3 + rngBelow(g, 8);
    sp->kind = (uint8_t)rngBelow(g, SLOT_KIND_MAX + 1);
    sp->fee_cents = 500 + 100 * rngBelow(g, 50);
    uint32_t day = poolDay(&s->p, pool);
    sp->seg_start_ms = slot_utc_ms_of(day, 8 * 60, s->p.utc_offset_min);
    sp->seg_end_ms =
        slot_utc_ms_of(day, SLOT_MINUTES_PER_DAY, s->p.utc_offset_min);
    unsigned names = s->p.group ? 4 : 3;
    unsigned first = rngBelow(g, names);
    unsigned want = 1 + rngBelow(g, 3);
    uint32_t left = sp->capacity;
    for (unsigned k = 0; k < want && left > 0; k++) {
        struct slot_share *sh = &sp->shares[sp->n_shares++];
        sh->channel = strOf(SHARE_NAMES[(first + k) % names]);
        sh->slots = 1 + rngBelow(g, left < 4 ? left : 4);
        left -= sh->slots;
    }
    sp->has_sched = true;
    sp->sched.hospital = strOf(SIM_HOSPITAL);
    sp->sched.campus = strOf("east");
    sp->sched.department = strOf(POOL_DEPTS[pool]);
    sp->sched.doctor = strOf(POOL_DOCTORS[pool]);
    sp->sched.visit_day = day;
    sp->sched.pay_mode = (uint8_t)rngBelow(g, 2);
}

static void specFor(struct sim *s, struct slot_pool_spec *sp, uint32_t pool)
{
    if (s->p.sched && s->p.kind[pool] != POOL_FREE) {
        specSched(s, sp, pool);
    } else {
        specRandom(s, sp, pool);
    }
}

/* A claim id to act on: mostly one of the client's own holds, sometimes
 * anyone's, sometimes one that may not exist yet. */
static uint64_t pickClaim(struct sim *s, int client)
{
    struct trand *g = &s->rng_client;
    if (s->max_claim == 0 || rngChance(g, 5)) {
        return 1 + rngBelow(g, (uint32_t)s->max_claim + 3);
    }
    uint64_t start = 1 + rngBelow(g, (uint32_t)s->max_claim);
    bool own = rngChance(g, 85);
    for (uint64_t k = 0; k < s->max_claim; k++) {
        uint64_t id = 1 + (start - 1 + k) % s->max_claim;
        const struct claimrec *c = &s->claims[id];
        if (c->known && (!own || c->owner == client)) {
            return id;
        }
    }
    return start;
}

/* Oldest seq the client is still waiting for, or 0. */
static uint64_t oldestUnanswered(const struct sim *s, int client)
{
    uint64_t oldest = 0;
    uint64_t session = s->clients[client].session;
    for (uint32_t id = s->n_reqs; id-- > 0;) {
        const struct req *r = &s->reqs[id];
        if (r->client == client && r->session == session && r->seq != 0 &&
            (r->state == RQ_QUEUED || r->state == RQ_SENT)) {
            oldest = r->seq;
        }
    }
    return oldest;
}

/* The client process restarts: its connections close (answers still due
 * on them are dropped by the cores), it forgets its session and whatever
 * it was waiting for (those requests may still be applied) and opens a new
 * one. */
static void clientRestart(struct sim *s, int ci)
{
    struct client *cl = &s->clients[ci];
    for (unsigned i = 0; i < s->p.n; i++) {
        if (cl->conns[i] != NULL) {
            connClose(s, cl->conns[i]);
        }
    }
    for (uint32_t id = 0; id < s->n_reqs; id++) {
        struct req *r = &s->reqs[id];
        if (r->client == ci && r->state == RQ_QUEUED) {
            queueRemove(s, id);
            r->state = RQ_ABANDONED;
        }
    }
    cl->session = 0;
    cl->open_req = UINT32_MAX;
    cl->next_seq = 0;
    cl->inflight = 0;
    s->st.client_restarts++;
    simLog(s, "client %d: restarts", ci);
}

static void clientRead(struct sim *s, int ci)
{
    struct trand *g = &s->rng_client;
    struct slot_read rd;
    memset(&rd, 0, sizeof rd);
    if (s->max_claim > 0 && rngChance(g, 60)) {
        rd.op = SLOT_READ_HOLD;
        rd.id = pickClaim(s, ci);
    } else {
        rd.op = SLOT_READ_POOL;
        rd.pool = strOf(POOL_NAMES[rngBelow(g, s->p.n_pools)]);
    }
    sendRead(s, ci, &rd, rngChance(g, 70));
}

static void clientTick(struct sim *s, int ci)
{
    struct trand *g = &s->rng_client;
    struct client *cl = &s->clients[ci];
    if (cl->session == 0) {
        if (cl->open_req == UINT32_MAX) {
            cl->open_req =
                reqNew(s, ci, (struct slot_cmd){.op = SLOT_OP_SESSION_OPEN});
        }
        return;
    }
    if (ci != 0 && rngBelow(g, 1000) < 2) {
        clientRestart(s, ci);
        return;
    }
    if (s->p.reads && cl->reads < CLIENT_READS_MAX && rngChance(g, 8)) {
        clientRead(s, ci);
    }
    if (cl->inflight >= CLIENT_INFLIGHT_MAX || !rngChance(g, 35)) {
        return;
    }
    if (rngChance(g, 3)) {
        /* A request number used for nothing (a request the client
         * dropped before sending): sessions see holes. */
        cl->next_seq++;
        s->st.seq_skips++;
    }
    uint64_t oldest = oldestUnanswered(s, ci);
    if (oldest != 0 && cl->next_seq + 1 - oldest >= SEQ_AHEAD_MAX) {
        return;
    }
    struct slot_cmd c;
    memset(&c, 0, sizeof c);
    char payref[24];
    if (ci == 0 && s->p.sched && s->rules_step != RULES_DONE) {
        /* The hospital's rules (then SIM_DEPT's) before its pools. */
        if (s->rules_step == RULES_HOSPITAL || s->rules_step == RULES_DEPT) {
            rulesSend(s, s->rules_step == RULES_DEPT);
            s->rules_step++;
        }
        return;
    }
    if (ci == 0 && cl->pools_created < s->p.n_pools) {
        c.op = SLOT_OP_POOL_CREATE;
        specFor(s, &c.u.pool, cl->pools_created++);
        reqNew(s, ci, c);
        return;
    }
    uint32_t pick = rngBelow(g, 100);
    if (ci == 0 && pick < 4) {
        c.op = SLOT_OP_POOL_UPDATE;
        specFor(s, &c.u.pool, rngBelow(g, s->p.n_pools));
    } else if (pick < 40) {
        c.op = SLOT_OP_HOLD;
        c.u.hold.pool = strOf(POOL_NAMES[rngBelow(g, s->p.n_pools)]);
        c.u.hold.patient = strOf(PATIENTS[rngBelow(g, SIM_PATIENTS)]);
        c.u.hold.channel = strOf(CHANNELS[rngBelow(g, 3)]);
        c.u.hold.ttl_ms = rngChance(g, 4) ? 500 : 1000 + rngBelow(g, 7000);
    } else if (pick < 65) {
        c.op = SLOT_OP_CONFIRM;
        c.u.claim.id = pickClaim(s, ci);
        snprintf(payref, sizeof payref, "pay-%d-%" PRIu64, ci,
                 cl->next_seq + 1);
        c.u.claim.payment_ref = strOf(payref);
    } else if (pick < 80) {
        c.op = SLOT_OP_RELEASE;
        c.u.claim.id = pickClaim(s, ci);
    } else {
        c.op = SLOT_OP_CANCEL;
        c.u.claim.id = pickClaim(s, ci);
    }
    reqNew(s, ci, c);
}

/* Connections silent for ATTEMPT_TIMEOUT_MS with something waiting are
 * closed; their owners turn to another server. */
static void closeSilent(struct sim *s)
{
    uint64_t now = simNow(s);
    for (struct simconn *c = s->conns; c != NULL; c = c->next_all) {
        c->oldest_ms = UINT64_MAX;
    }
    for (uint32_t id = 0; id < s->n_reqs; id++) {
        const struct req *r = &s->reqs[id];
        if (r->state == RQ_SENT && r->sent_ms < r->conn->oldest_ms) {
            r->conn->oldest_ms = r->sent_ms;
        }
    }
    for (uint32_t k = 0; k < s->n_rds; k++) {
        const struct rd *q = &s->rds[k];
        if (q->state == ITEM_SENT && q->sent_ms < q->conn->oldest_ms) {
            q->conn->oldest_ms = q->sent_ms;
        }
    }
    for (uint32_t k = 0; k < s->n_adms; k++) {
        const struct adm *a = &s->adms[k];
        if (a->state == ITEM_SENT && a->sent_ms < a->conn->oldest_ms) {
            a->conn->oldest_ms = a->sent_ms;
        }
    }
    for (struct simconn *c = s->conns; c != NULL; c = c->next_all) {
        if (c->client_closed || c->oldest_ms == UINT64_MAX ||
            now - c->oldest_ms < ATTEMPT_TIMEOUT_MS ||
            (s->admin_patient && c->owner == OWNER_OPERATOR)) {
            continue;
        }
        s->st.timeouts++;
        struct client *cl = &s->clients[c->owner];
        if (cl->guess == c->server) {
            cl->guess =
                (c->server + 1 + rngBelow(&s->rng_client, s->p.n - 1)) % s->p.n;
        }
        connClose(s, c);
    }
}

/* The end of a loop turn on every running server. */
static void flushCores(struct sim *s)
{
    for (unsigned i = 0; i < s->p.n; i++) {
        if (running(s, i)) {
            node_core_flush(s->nodes[i].core);
        }
    }
}

static void driverTick(struct sim *s)
{
    closeSilent(s);
    if (s->phase == PHASE_RUN) {
        for (unsigned c = 0; c < s->p.n_clients; c++) {
            clientTick(s, (int)c);
        }
        /* The operator: a status now and then, from any server. */
        if (s->p.status && rngChance(&s->rng_client, 3)) {
            struct slot_admin a = {.op = SLOT_ADMIN_STATUS};
            a.no_hash = rngChance(&s->rng_client, 50);
            sendAdmin(s, rngBelow(&s->rng_client, s->p.n), &a, SLOT_OK);
        }
    }
    /* LEAVE notices the cores asked for, fire and forget as slotd's. */
    for (unsigned k = 0; k < s->n_leaves; k++) {
        unsigned i = (unsigned)s->leave_ids[k] - 1;
        struct slot_admin a = {.op = SLOT_ADMIN_LEAVE, .id = s->leave_ids[k]};
        struct mp_buf b;
        mp_buf_init(&b);
        slot_admin_encode(&b, &a);
        struct simconn *c = connNew(s, OWNER_OPERATOR, i);
        connSend(s, c, SLOT_FRAME_ADMIN, 0, b.data, b.len);
        c->n_out--; /* nothing is answered */
        connClose(s, c);
        mp_buf_free(&b);
        simLog(s, "operator: LEAVE sent to server %u", i);
    }
    s->n_leaves = 0;
    sendQueued(s);
    flushCores(s);
}

/* ---- nemesis ------------------------------------------------------------- */

/* The fixture completes requests in order of completion time, so lowering a
 * latency would let a later disk write finish before an earlier one, or a
 * later message to the same peer arrive first. raft_uv does neither (writes
 * complete in order, TCP keeps order), and raft 0.22.1 asserts on the first
 * (stepPersistedEntries: index > last_stored). A new latency is therefore
 * raised, if needed, so nothing sent from now on completes before what is
 * already in flight. */
static unsigned setLatency(struct sim *s, unsigned i, unsigned ms, bool disk)
{
    unsigned *cur = disk ? &s->disk_ms[i] : &s->net_ms[i];
    uint64_t *horizon = disk ? &s->disk_horizon[i] : &s->net_horizon[i];
    uint64_t now = simNow(s);
    if (now + *cur > *horizon) {
        *horizon = now + *cur;
    }
    if (now + ms < *horizon) {
        ms = (unsigned)(*horizon - now);
    }
    *cur = ms;
    if (disk) {
        raft_fixture_set_disk_latency(&s->fx, i, ms);
    } else {
        raft_fixture_set_network_latency(&s->fx, i, ms);
    }
    return ms;
}

/* Makes the fixture's links match cut / drop / dead. The fixture's own
 * calls interfere (kill saturates, revive desaturates, saturate asserts the
 * link is connected), so every link is reset and then set again. */
static void netApply(struct sim *s)
{
    struct raft_fixture *f = &s->fx;
    unsigned n = s->p.n;
    for (unsigned i = 0; i < n; i++) {
        for (unsigned j = 0; j < n; j++) {
            if (i != j) {
                raft_fixture_reconnect(f, i, j);
                raft_fixture_desaturate(f, i, j);
            }
        }
    }
    for (unsigned i = 0; i < n; i++) {
        if (!s->dead[i] && !raft_fixture_alive(f, i)) {
            raft_fixture_revive(f, i);
        }
    }
    for (unsigned i = 0; i < n; i++) {
        if (s->dead[i]) {
            raft_fixture_kill(f, i);
        }
    }
    for (unsigned i = 0; i < n; i++) {
        for (unsigned j = 0; j < n; j++) {
            if (i != j && s->cut[i][j]) {
                raft_fixture_disconnect(f, i, j);
            }
        }
    }
    for (unsigned i = 0; i < n; i++) {
        for (unsigned j = 0; j < n; j++) {
            if (i != j && s->drop[i][j] && !s->cut[i][j] && !s->dead[i] &&
                !s->dead[j]) {
                raft_fixture_saturate(f, i, j);
            }
        }
    }
}

/* The fixture pins each server's randomized election timeout (it reseeds
 * raft's PRNG so that every draw gives the configured value), and raft
 * checks timers on 100 ms ticks: two servers whose timeouts fall in the
 * same 100 ms bucket split the vote in every term, forever, which a real
 * cluster's fresh draws would not. Each server gets its own bucket, and
 * the nemesis redraws them now and then. */
static void electionTimeouts(struct sim *s)
{
    unsigned bucket[10];
    for (unsigned k = 0; k < 10; k++) {
        bucket[k] = k;
    }
    for (unsigned k = 9; k > 0; k--) {
        unsigned j = rngBelow(&s->rng_nemesis, k + 1);
        unsigned t = bucket[k];
        bucket[k] = bucket[j];
        bucket[j] = t;
    }
    for (unsigned i = 0; i < s->p.n; i++) {
        unsigned ms = 1000 + 100 * bucket[i] + rngBelow(&s->rng_nemesis, 100);
        raft_fixture_set_randomized_election_timeout(&s->fx, i, ms);
    }
}

static unsigned deadCount(const struct sim *s)
{
    unsigned d = 0;
    for (unsigned i = 0; i < s->p.n; i++) {
        d += s->dead[i];
    }
    return d;
}

/* Steps a running server's wall clock (an NTP step, a VM resumed): the
 * leader's most of the time, by seconds to an hour, forward or back, or
 * back to right; its monotonic clock runs on undisturbed. Only a server
 * that has applied an entry: one that has seen no ledger time yet (a
 * fresh cluster's first leader) can only trust its wall clock
 * (leader_clock.h). */
static void clockStep(struct sim *s, struct trand *g, unsigned i)
{
    unsigned l = raft_fixture_leader_index(&s->fx);
    if (l < s->p.n && rngChance(g, 70)) {
        i = l;
    }
    if (s->nodes[i].last_time_ms == 0) {
        return;
    }
    static const uint32_t spans[] = {10000, 600000, 3600000};
    int64_t to = 0;
    if (!rngChance(g, 25)) {
        uint32_t span = spans[rngBelow(g, 3)];
        to = 1000 + (int64_t)rngBelow(g, span - 999);
        to = rngChance(g, 50) ? to : -to;
    }
    int64_t from = s->skew_ms[i];
    s->skew_ms[i] = to;
    s->st.nemesis[NEM_CLOCK_STEP]++;
    s->st.clock_steps_leader += i == l;
    simLog(s,
           "nemesis: wall clock of %u%s stepped %+" PRId64 " ms (to %+" PRId64
           " ms)",
           i, i == l ? " (the leader)" : "", to - from, to);
}

static void nemesisTick(struct sim *s)
{
    struct trand *g = &s->rng_nemesis;
    struct raft_fixture *f = &s->fx;
    unsigned n = s->p.n;
    uint32_t pick = rngBelow(g, 100);
    unsigned i = rngBelow(g, n);
    unsigned j = (i + 1 + rngBelow(g, n - 1)) % n;
    if (pick < 14) {
        uint32_t mode = rngBelow(g, 3);
        if (mode == 0) { /* isolate i */
            for (unsigned k = 0; k < n; k++) {
                s->cut[i][k] = s->cut[k][i] = k != i;
            }
            s->st.nemesis[NEM_ISOLATE]++;
            simLog(s, "nemesis: isolate %u", i);
        } else if (mode == 1) { /* random split */
            bool side[SIM_NODES_MAX];
            for (unsigned k = 0; k < n; k++) {
                side[k] = rngChance(g, 50);
            }
            for (unsigned a = 0; a < n; a++) {
                for (unsigned b = 0; b < n; b++) {
                    s->cut[a][b] = side[a] != side[b];
                }
            }
            s->st.nemesis[NEM_SPLIT]++;
            simLog(s, "nemesis: split");
        } else {
            s->cut[i][j] = true;
            s->st.nemesis[NEM_CUT]++;
            simLog(s, "nemesis: cut %u -> %u", i, j);
        }
    } else if (pick < 28) {
        memset(s->cut, 0, sizeof s->cut);
        s->st.nemesis[NEM_HEAL]++;
        simLog(s, "nemesis: heal partitions");
    } else if (pick < 38) {
        s->drop[i][j] = true;
        s->st.nemesis[NEM_DROP]++;
        simLog(s, "nemesis: drop %u -> %u", i, j);
    } else if (pick < 47) {
        memset(s->drop, 0, sizeof s->drop);
        s->st.nemesis[NEM_UNDROP]++;
        simLog(s, "nemesis: stop dropping");
    } else if (pick < 55) {
        unsigned cap = (n - 1) / 2;
        if (!s->dead[i] && (deadCount(s) < cap || rngChance(g, 10))) {
            s->dead[i] = true;
            s->st.nemesis[NEM_KILL]++;
            simLog(s, "nemesis: kill %u", i);
        }
    } else if (pick < 65) {
        for (unsigned k = 0; k < n; k++) {
            unsigned v = (i + k) % n;
            if (s->dead[v] && !s->crashed[v]) {
                s->dead[v] = false;
                s->st.nemesis[NEM_REVIVE]++;
                simLog(s, "nemesis: revive %u", v);
                break;
            }
        }
    } else if (pick < 70) {
        /* One armed fault at a time, and never so many stopped servers
         * that no majority is left. */
        unsigned crashed = 0;
        for (unsigned k = 0; k < n; k++) {
            crashed += s->crashed[k];
        }
        if (s->p.io_faults && !s->fault_armed && !s->crashed[i] &&
            crashed + 1 <= (n - 1) / 2) {
            int delay = (int)rngBelow(g, 40);
            int repeat = 1 + (int)rngBelow(g, 3);
            raft_fixture_io_fault(f, i, delay, repeat);
            s->fault_armed = true;
            s->st.nemesis[NEM_IO_FAULT]++;
            simLog(s, "nemesis: io fault on %u after %d ops, %d times", i,
                   delay, repeat);
        }
    } else if (pick < 74) {
        /* depose needs a stable leader and every other server a follower
         * (the fixture asserts both). It steps the cluster itself. */
        unsigned l = raft_fixture_leader_index(f);
        bool ok = l < n;
        for (unsigned k = 0; ok && k < n; k++) {
            int st = raft_state(raft_fixture_get(f, k));
            ok = k == l ? st == RAFT_LEADER : st == RAFT_FOLLOWER;
        }
        if (ok) {
            simLog(s, "nemesis: depose %u", l);
            raft_fixture_depose(f);
            s->st.nemesis[NEM_DEPOSE]++;
        }
    } else if (pick < 78) {
        /* Through the leader's core, as `slotctl transfer` would; counted
         * (NEM_TRANSFER) when the core reports it done. */
        unsigned l = raft_fixture_leader_index(f);
        if (l < n && running(s, l) && s->transfer_adm == UINT32_MAX) {
            struct slot_admin a = {.op = SLOT_ADMIN_TRANSFER, .id = 0};
            s->transfer_adm = sendAdmin(s, l, &a, -1);
            simLog(s, "nemesis: transfer leadership from %u", l);
        }
    } else if (pick < 86) {
        unsigned ms = setLatency(s, i, 1 + rngBelow(g, 80), false);
        s->st.nemesis[NEM_NET_LATENCY]++;
        simLog(s, "nemesis: network latency of %u = %u ms", i, ms);
    } else if (pick < 93) {
        /* Now and then a very slow disk: snapshots then take long enough
         * for an InstallSnapshot to arrive in the middle of one. */
        unsigned ms =
            rngChance(g, 15) ? 100 + rngBelow(g, 500) : 1 + rngBelow(g, 60);
        ms = setLatency(s, i, ms, true);
        s->st.nemesis[NEM_DISK_LATENCY]++;
        simLog(s, "nemesis: disk latency of %u = %u ms", i, ms);
    } else if (pick < 96) {
        electionTimeouts(s);
        s->st.nemesis[NEM_TIMEOUTS]++;
        simLog(s, "nemesis: new election timeouts");
    } else if (rngChance(g, 30)) {
        s->skew_ms[i] = (int64_t)rngBelow(g, 6001) - 3000;
        s->st.nemesis[NEM_SKEW]++;
        simLog(s, "nemesis: clock of %u skewed %+" PRId64 " ms", i,
               s->skew_ms[i]);
    } else {
        clockStep(s, g, i);
    }
    netApply(s);
}
/* ---- raft_io shim -----------------------------------------------------------
 *
 * Every server's raft_io (the fixture's in-memory one) is wrapped, through
 * the public raft_io function pointers, to work around three bugs found by
 * this simulation (each can be switched off, see WA_*):
 *
 * WA_INSTALL_TERM, raft 0.22.1 src/legacy.c legacyLoadSnapshotCb: a leader
 *   decides to send InstallSnapshot for its snapshot (i, t), then loads the
 *   snapshot from disk; if it took a newer snapshot (i', t') meanwhile, the
 *   load returns that one and legacy.c sets last_index = i' but leaves
 *   last_term = t. The follower installs (i', t) and on the next
 *   AppendEntries finds "conflicting terms ... for entry i' (commit index
 *   i')": raft returns RAFT_SHUTDOWN, recvCb asserts (debug) or the
 *   follower is wedged for good (release). Fix: set last_term too. The shim
 *   notes (index, term) of the snapshot snapshot_get returns and corrects
 *   the InstallSnapshot that legacy.c sends from inside that callback.
 *
 * WA_COMMIT_REGRESS, raft 0.22.1 src/replication.c replicationAppend: a
 *   follower sets commit_index = min(leader_commit, prev_log_index +
 *   n_entries) whenever leader_commit > commit_index. A leader that has
 *   a follower in snapshot mode sends heartbeats whose prev_log_index is its
 *   snapshot index, which can be below what the follower already
 *   committed: the commit index goes back, legacyApply asserts
 *   last_applied <= commit_index (debug), and a release build may take a
 *   snapshot labelled with the lower index over a state that includes the
 *   later entries (re-applied after a restart). Fix: never lower
 *   commit_index. The shim lowers leader_commit in such a message to the
 *   follower's commit index (always safe: stale commit information).
 *
 * WA_PREV_IN_SNAPSHOT, raft 0.22.1 src/replication.c
 *   checkLogMatchingProperty / checkConflictingEntries: a follower whose
 *   replies are lost keeps receiving the leader's probes from an old
 *   next_index while it snapshots and compacts its own log. Once the
 *   probe's prev_log_index is compacted away it answers "missing previous
 *   entry", the leader backs off to older entries, and entries that fall
 *   inside the follower's snapshot are appended again behind newer ones:
 *   trailEnsureRecord asserts (debug) or the log trail is corrupted
 *   (release). Everything up to a follower's snapshot is committed, so it
 *   matches any current leader's log: the fix is to treat prev_log_index
 *   below the snapshot as matching and skip the entries it covers. The
 *   shim rewrites such a message so it starts at the follower's snapshot
 *   (checking that the leader's entry there has the snapshot's term).
 *
 * WA_INSTALL_DEFER, raft 0.22.1 src/legacy.c takeSnapshotCb: when an
 *   InstallSnapshot arrives while the follower is writing its own snapshot,
 *   legacy.c parks it (legacy.snapshot_pending) and raft's core already
 *   moves its log to the installed snapshot. When the follower's own write
 *   completes, takeSnapshotCb still reports it (RAFT_SNAPSHOT at the older
 *   index): TrailSnapshot asserts last_term != 0 (debug) or moves the
 *   trail's snapshot back to an index it no longer has, with term 0
 *   (release). Before node/deps/raft-0.22.1-snapshot-pending.patch it then
 *   dereferenced NULL (release), see test_snapshot_pending. Fix: skip the
 *   stale report when an install is pending. The shim holds such an
 *   InstallSnapshot back and delivers it once the write completes.
 *
 * WA_PREVOTE_TERM, raft 0.22.1 src/recv_request_vote.c: a pre-vote
 *   answer always carries the term of the request ("to prevent the
 *   candidate from ignoring the response"), also when the request is
 *   refused because its term is below the voter's. A server with the
 *   longest log but a low term (it was partitioned while the others went
 *   through elections) then never learns the current term: its pre-votes
 *   are refused on term, the others' on their shorter logs, and when the
 *   third server of three is down no leader is ever elected again (pre-vote
 *   is on in slotd). Fix: echo the request's term only when it is not below
 *   ours. The shim rewrites the refusal to carry the voter's term.
 *
 * WA_IO_FAIL_STOP, raft 0.22.1 src/legacy.c: the legacy layer cannot take
 *   an I/O error. A failed append asserts r->legacy.closing
 *   (legacyPersistEntriesCb); a failed send, append, truncate, set_term
 *   or set_vote inside tickCb or recvCb asserts rv == 0 (debug); in release
 *   the same paths free the received entries twice (recvCb after
 *   legacyHandleUpdateEntries already freed them) or leave an append in
 *   flight over entries legacy.c discarded (entryCopy of NULL in the
 *   fixture): crashes and memory corruption. A real disk error (EIO,
 *   ENOSPC) in raft_uv takes the same paths. The only safe answer is to
 *   fail-stop: slotd must wrap its raft_io so that any I/O error stops the
 *   process before raft sees it, and recover by restarting from disk. The
 *   shim does that here: the server that hit the error is killed for the
 *   rest of the run (the fixture cannot restart it) and raft never sees the
 *   error.
 *
 * WA_FIXTURE_TRUNCATE, raft 0.22.1 src/fixture.c ioMethodTruncate (test
 *   fixture only): after a follower installs a snapshot the fixture's disk
 *   starts at the snapshot index, but truncate keeps `index - 1` entries as
 *   if it started at 1, reading past its array; the garbage is freed later
 *   (SIGSEGV in raft_fixture_close, or earlier). The shim tracks where the
 *   fixture's disk starts and translates the index.
 *
 * Nothing else is changed: the shim passes every call through. */

static struct simnode *shimNodes[SIM_NODES_MAX];

/* A scenario child writes 'P' here when a follower's snapshot_pending gets
 * set, so the parent knows it got that far even if raft crashes next. */
static int reportFd = -1;

static struct simnode *shimNode(const struct raft_io *io)
{
    for (unsigned i = 0; i < SIM_NODES_MAX; i++) {
        if (shimNodes[i] != NULL && shimNodes[i]->shim.io == io) {
            return shimNodes[i];
        }
    }
    fprintf(stderr, "test_sim: raft_io not registered\n");
    abort();
}

static struct shim_req *shimPush(struct shim *sh, void *req)
{
    if (sh->n_reqs == sh->cap_reqs) {
        sh->cap_reqs = sh->cap_reqs == 0 ? 16 : sh->cap_reqs * 2;
        sh->reqs = xrealloc(sh->reqs, sh->cap_reqs * sizeof *sh->reqs);
    }
    struct shim_req *q = &sh->reqs[sh->n_reqs++];
    memset(q, 0, sizeof *q);
    q->req = req;
    return q;
}

/* Removes and returns the record of req. */
static struct shim_req shimPop(struct shim *sh, const void *req)
{
    for (unsigned k = 0; k < sh->n_reqs; k++) {
        if (sh->reqs[k].req == req) {
            struct shim_req q = sh->reqs[k];
            memmove(&sh->reqs[k], &sh->reqs[k + 1],
                    (sh->n_reqs - k - 1) * sizeof *sh->reqs);
            sh->n_reqs--;
            return q;
        }
    }
    fprintf(stderr, "test_sim: unknown raft_io request\n");
    abort();
}

static bool shimOn(const struct simnode *nd, unsigned wa)
{
    return (nd->s->p.workarounds & wa) != 0;
}

/* An I/O call of server nd returned rv. If it failed (the fixture's
 * io_fault) and WA_IO_FAIL_STOP is on, the server stops here for good:
 * it is cut off from everyone and its faults are disarmed, and the caller
 * repeats the call, which now succeeds, so raft never sees an error (its
 * bookkeeping stays consistent, and nothing it does from now on can reach
 * another server). Returns whether to repeat. */
static bool shimFailStop(struct simnode *nd, int rv, const char *what)
{
    struct sim *s = nd->s;
    if (rv == 0 || !shimOn(nd, WA_IO_FAIL_STOP)) {
        return false;
    }
    raft_fixture_io_fault(&s->fx, nd->i, -1, 0);
    if (!s->crashed[nd->i]) {
        s->crashed[nd->i] = true;
        s->dead[nd->i] = true;
        s->fault_armed = false;
        s->st.io_crashes++;
        simLog(s, "server %u: %s failed (%s): it stops for good", nd->i, what,
               raft_strerror(rv));
        /* Only flags, safe inside raft's callbacks. kill saturates every
         * link of the server, which the fixture allows on connected links
         * only; netApply restores the partitions of the others later. */
        for (unsigned j = 0; j < s->p.n; j++) {
            if (j != nd->i) {
                raft_fixture_reconnect(&s->fx, nd->i, j);
                raft_fixture_reconnect(&s->fx, j, nd->i);
            }
        }
        raft_fixture_kill(&s->fx, nd->i);
    }
    return true;
}

/* See WA_PREV_IN_SNAPSHOT. */
static void shimSkipSnapshotted(struct simnode *nd,
                                struct raft_append_entries *ae)
{
    struct shim *sh = &nd->shim;
    raft_index snap = sh->snap_index;
    const struct raft *r = raft_fixture_get(&nd->s->fx, nd->i);
    /* A message from a deposed leader is refused on its term anyway (and
     * its log may differ from ours after the entries we committed). */
    if (snap == 0 || ae->prev_log_index >= snap || ae->term < r->current_term) {
        return;
    }
    uint64_t covered = snap - ae->prev_log_index; /* entries <= snap */
    unsigned k = covered < ae->n_entries ? (unsigned)covered : ae->n_entries;
    raft_term prev_term = sh->snap_term;
    if (k > 0 && k == covered) {
        /* The message holds the leader's entry at snap: same term, or the
         * leader's log and our committed snapshot disagree. */
        raft_term leader_term = ae->entries[k - 1].term;
        SIM_CHECK(nd->s, leader_term == prev_term,
                  "server %u: leader's entry %llu has term %llu, our "
                  "snapshot %llu",
                  nd->i, (unsigned long long)snap,
                  (unsigned long long)leader_term,
                  (unsigned long long)prev_term);
    }
    nd->s->st.wa_prev_in_snapshot++;
    simLog(nd->s,
           "shim: server %u: AppendEntries prev %llu, %u entries -> "
           "prev %llu (snapshot), %u entries",
           nd->i, (unsigned long long)ae->prev_log_index, ae->n_entries,
           (unsigned long long)snap, ae->n_entries - k);
    if (k == ae->n_entries && k > 0) {
        /* Nothing left: raft frees the entries only if there are some. */
        raft_free(ae->entries[0].batch);
        raft_free(ae->entries);
        ae->entries = NULL;
    } else if (k > 0) {
        /* All entries share one batch, freed through entries[0].batch;
         * the array itself is freed by pointer, so shift within it. */
        memmove(ae->entries, ae->entries + k,
                (ae->n_entries - k) * sizeof *ae->entries);
    }
    ae->n_entries -= k;
    ae->prev_log_index = snap;
    ae->prev_log_term = prev_term;
}

static void shimRecv(struct raft_io *io, struct raft_message *m)
{
    struct simnode *nd = shimNode(io);
    struct sim *s = nd->s;
    struct raft *r = raft_fixture_get(&s->fx, nd->i);
    if (m->type == RAFT_INSTALL_SNAPSHOT && r->snapshot.installing &&
        m->install_snapshot.term >= r->current_term) {
        /* A copy of the install in progress (the leader's retry): what
         * raft-0.22.1-install-leak.patch frees; the heap check sees it. */
        s->st.install_overlaps++;
    }
    if (m->type == RAFT_INSTALL_SNAPSHOT && r->legacy.snapshot_taking &&
        shimOn(nd, WA_INSTALL_DEFER)) {
        struct shim *sh = &nd->shim;
        if (sh->deferred) { /* only the newest one matters */
            raft_configuration_close(&sh->deferred_msg.install_snapshot.conf);
            raft_free(sh->deferred_msg.install_snapshot.data.base);
        }
        sh->deferred = true;
        sh->deferred_msg = *m;
        s->st.wa_install_defer++;
        simLog(s,
               "shim: server %u: InstallSnapshot %llu held back while "
               "it takes a snapshot",
               nd->i, (unsigned long long)m->install_snapshot.last_index);
        return;
    }
    if (m->type == RAFT_APPEND_ENTRIES) {
        struct raft_append_entries *ae = &m->append_entries;
        raft_index commit = raft_commit_index(raft_fixture_get(&s->fx, nd->i));
        raft_index last_new = ae->prev_log_index + ae->n_entries;
        if (ae->leader_commit > commit && last_new < commit &&
            shimOn(nd, WA_COMMIT_REGRESS)) {
            s->st.wa_commit_regress++;
            simLog(s,
                   "shim: server %u: leader_commit %llu lowered to %llu "
                   "(prev_log_index %llu, %u entries)",
                   nd->i, (unsigned long long)ae->leader_commit,
                   (unsigned long long)commit,
                   (unsigned long long)ae->prev_log_index, ae->n_entries);
            ae->leader_commit = commit;
        }
    }
    if (m->type == RAFT_APPEND_ENTRIES && shimOn(nd, WA_PREV_IN_SNAPSHOT)) {
        shimSkipSnapshotted(nd, &m->append_entries);
    }
    nd->shim.recv(io, m);
}

static int shimStart(struct raft_io *io, unsigned msecs, raft_io_tick_cb tick,
                     raft_io_recv_cb recv)
{
    struct simnode *nd = shimNode(io);
    nd->shim.recv = recv;
    return nd->shim.start(io, msecs, tick, shimRecv);
}

static int shimSend(struct raft_io *io, struct raft_io_send *req,
                    const struct raft_message *m, raft_io_send_cb cb)
{
    struct simnode *nd = shimNode(io);
    struct shim *sh = &nd->shim;
    struct raft_message fixed; /* the fixture copies it before returning */
    const struct raft *r = raft_fixture_get(&nd->s->fx, nd->i);
    if (m->type == RAFT_REQUEST_VOTE_RESULT &&
        m->request_vote_result.pre_vote &&
        !m->request_vote_result.vote_granted &&
        m->request_vote_result.term < r->current_term &&
        shimOn(nd, WA_PREVOTE_TERM)) {
        fixed = *m;
        fixed.request_vote_result.term = r->current_term;
        nd->s->st.wa_prevote_term++;
        simLog(nd->s,
               "shim: server %u: pre-vote refusal carries term %llu, "
               "not %llu",
               nd->i, (unsigned long long)r->current_term,
               (unsigned long long)m->request_vote_result.term);
        m = &fixed;
    }
    if (m->type == RAFT_INSTALL_SNAPSHOT && sh->loaded &&
        m->install_snapshot.last_index == sh->loaded_index &&
        m->install_snapshot.last_term != sh->loaded_term &&
        shimOn(nd, WA_INSTALL_TERM)) {
        fixed = *m;
        fixed.install_snapshot.last_term = sh->loaded_term;
        nd->s->st.wa_install_term++;
        simLog(nd->s,
               "shim: server %u: InstallSnapshot %llu term %llu "
               "corrected to %llu",
               nd->i, (unsigned long long)sh->loaded_index,
               (unsigned long long)m->install_snapshot.last_term,
               (unsigned long long)sh->loaded_term);
        m = &fixed;
    }
    int rv = sh->send(io, req, m, cb);
    if (shimFailStop(nd, rv, "send")) {
        rv = sh->send(io, req, m, cb);
    }
    return rv;
}

static int shimSetTerm(struct raft_io *io, raft_term term)
{
    struct simnode *nd = shimNode(io);
    int rv = nd->shim.set_term(io, term);
    if (shimFailStop(nd, rv, "set_term")) {
        rv = nd->shim.set_term(io, term);
    }
    return rv;
}

static int shimSetVote(struct raft_io *io, raft_id id)
{
    struct simnode *nd = shimNode(io);
    int rv = nd->shim.set_vote(io, id);
    if (shimFailStop(nd, rv, "set_vote")) {
        rv = nd->shim.set_vote(io, id);
    }
    return rv;
}

/* Looks the request up in every node's table (callbacks do not get the
 * raft_io). */
static struct simnode *shimOwner(const void *req)
{
    for (unsigned i = 0; i < SIM_NODES_MAX; i++) {
        struct simnode *x = shimNodes[i];
        for (unsigned k = 0; x != NULL && k < x->shim.n_reqs; k++) {
            if (x->shim.reqs[k].req == req) {
                return x;
            }
        }
    }
    fprintf(stderr, "test_sim: unknown raft_io request\n");
    abort();
}

static void shimGetCb(struct raft_io_snapshot_get *req,
                      struct raft_snapshot *snapshot, int status)
{
    struct simnode *nd = shimOwner(req);
    struct shim *sh = &nd->shim;
    struct shim_req q = shimPop(sh, req);
    /* legacy.c sends the InstallSnapshot from inside this callback. */
    sh->loaded = status == 0 && snapshot != NULL;
    if (sh->loaded) {
        sh->loaded_index = snapshot->index;
        sh->loaded_term = snapshot->term;
    }
    req->cb = q.cb.get;
    q.cb.get(req, snapshot, status);
    sh->loaded = false;
}

static int shimGet(struct raft_io *io, struct raft_io_snapshot_get *req,
                   raft_io_snapshot_get_cb cb)
{
    struct simnode *nd = shimNode(io);
    struct shim_req *q = shimPush(&nd->shim, req);
    q->cb.get = cb;
    int rv = nd->shim.snapshot_get(io, req, shimGetCb);
    if (rv != 0) {
        shimPop(&nd->shim, req);
    }
    return rv;
}

static void shimPutCb(struct raft_io_snapshot_put *req, int status)
{
    struct simnode *nd = shimOwner(req);
    struct shim_req q = shimPop(&nd->shim, req);
    if (status == 0 && q.trailing != 0) {
        nd->shim.snap_index = q.index;
        nd->shim.snap_term = q.term;
    }
    if (status == 0 && q.trailing == 0) {
        /* An installed snapshot: the fixture emptied its disk (through
         * shimTruncate(1)) and now starts it at the snapshot. */
        nd->shim.start_index = q.index;
        nd->shim.n_entries = 0;
    }
    req->cb = q.cb.put;
    q.cb.put(req, status);
    struct raft *r = raft_fixture_get(&nd->s->fx, nd->i);
    if (nd->shim.deferred && !r->legacy.snapshot_taking) {
        struct raft_message m = nd->shim.deferred_msg;
        nd->shim.deferred = false;
        simLog(nd->s, "shim: server %u: InstallSnapshot %llu delivered", nd->i,
               (unsigned long long)m.install_snapshot.last_index);
        shimRecv(nd->shim.io, &m);
    }
}

static int shimPut(struct raft_io *io, unsigned trailing,
                   struct raft_io_snapshot_put *req,
                   const struct raft_snapshot *snapshot,
                   raft_io_snapshot_put_cb cb)
{
    struct simnode *nd = shimNode(io);
    struct shim_req *q = shimPush(&nd->shim, req);
    q->cb.put = cb;
    q->trailing = trailing;
    q->index = snapshot->index;
    q->term = snapshot->term;
    if (trailing == 0) {
        /* An install: raft's log starts at it from now on. */
        nd->shim.snap_index = snapshot->index;
        nd->shim.snap_term = snapshot->term;
    }
    int rv = nd->shim.snapshot_put(io, trailing, req, snapshot, shimPutCb);
    if (rv != 0) {
        shimPop(&nd->shim, req);
    }
    return rv;
}

static void shimAppendCb(struct raft_io_append *req, int status)
{
    struct simnode *nd = shimOwner(req);
    struct shim_req q = shimPop(&nd->shim, req);
    if (status == 0) {
        nd->shim.n_entries += q.n;
    } else if (shimFailStop(nd, status, "append write")) {
        status = 0; /* the server has stopped: nobody can tell */
    }
    req->cb = q.cb.append;
    q.cb.append(req, status);
}

static int shimAppend(struct raft_io *io, struct raft_io_append *req,
                      const struct raft_entry entries[], unsigned n,
                      raft_io_append_cb cb)
{
    struct simnode *nd = shimNode(io);
    struct shim_req *q = shimPush(&nd->shim, req);
    q->cb.append = cb;
    q->n = n;
    int rv = nd->shim.append(io, req, entries, n, shimAppendCb);
    if (shimFailStop(nd, rv, "append")) {
        rv = nd->shim.append(io, req, entries, n, shimAppendCb);
    }
    if (rv != 0) {
        shimPop(&nd->shim, req);
    }
    return rv;
}

static int shimTruncate(struct raft_io *io, raft_index index)
{
    struct simnode *nd = shimNode(io);
    struct shim *sh = &nd->shim;
    if (!shimOn(nd, WA_FIXTURE_TRUNCATE)) {
        int rv = sh->truncate(io, index);
        if (shimFailStop(nd, rv, "truncate")) {
            rv = sh->truncate(io, index);
        }
        return rv;
    }
    if (index >= sh->start_index + sh->n_entries + 1) {
        return 0; /* nothing to truncate, as the fixture would say */
    }
    raft_index local = index;
    if (index <= sh->start_index + 1) {
        local = 1; /* everything goes */
    } else if (sh->start_index > 0) {
        local = index - sh->start_index;
        nd->s->st.wa_truncate++;
    }
    int rv = sh->truncate(io, local);
    if (shimFailStop(nd, rv, "truncate")) {
        rv = sh->truncate(io, local);
    }
    if (rv == 0) {
        sh->n_entries = local - 1;
    }
    return rv;
}

static void shimInstall(struct simnode *nd)
{
    struct raft *r = raft_fixture_get(&nd->s->fx, nd->i);
    struct shim *sh = &nd->shim;
    struct raft_io *io = r->io;
    sh->io = io;
    sh->start = io->start;
    sh->send = io->send;
    sh->append = io->append;
    sh->truncate = io->truncate;
    sh->set_term = io->set_term;
    sh->set_vote = io->set_vote;
    sh->snapshot_put = io->snapshot_put;
    sh->snapshot_get = io->snapshot_get;
    io->start = shimStart;
    io->send = shimSend;
    io->append = shimAppend;
    io->truncate = shimTruncate;
    io->set_term = shimSetTerm;
    io->set_vote = shimSetVote;
    io->snapshot_put = shimPut;
    io->snapshot_get = shimGet;
    shimNodes[nd->i] = nd;
}

static void hookCb(struct raft_fixture *f, struct raft_fixture_event *event)
{
    struct sim *s = simOf(f);
    (void)event;
    for (unsigned i = 0; i < s->p.n; i++) {
        struct raft *r = raft_fixture_get(f, i);
        raft_index commit = raft_commit_index(r);
        SIM_CHECK(s,
                  commit >= s->nodes[i].last_commit &&
                      raft_last_applied(r) <= commit,
                  "server %u: commit index %llu (was %llu), applied %llu", i,
                  (unsigned long long)commit,
                  (unsigned long long)s->nodes[i].last_commit,
                  (unsigned long long)raft_last_applied(r));
        s->nodes[i].last_commit = commit;
        if (raft_state(r) == RAFT_LEADER &&
            r->current_term != s->nodes[i].led_term) {
            s->nodes[i].led_term = r->current_term;
            s->st.leader_changes++;
        }
        bool pending = r->legacy.snapshot_pending != NULL;
        if (pending && !s->nodes[i].pending) {
            s->st.pending_installs++;
            if (reportFd >= 0) {
                char b = 'P';
                ssize_t w = write(reportFd, &b, 1);
                (void)w;
            }
            simLog(s,
                   "server %u: InstallSnapshot waits for its own "
                   "snapshot (legacy.snapshot_pending)",
                   i);
        }
        s->nodes[i].pending = pending;
    }
}

/* Wraps the fsm's snapshot: every snapshot a server takes must restore into
 * the very state it was taken from (the follower that installs it, or the
 * server itself after a restart, depends on it). */
static int simFsmSnapshot(struct raft_fsm *rf, struct raft_buffer *bufs[],
                          unsigned *n_bufs)
{
    struct fsm *f = rf->data;
    struct simnode *nd = f->data;
    struct sim *s = nd->s;
    int rc = nd->fsm_snapshot(rf, bufs, n_bufs);
    if (rc != 0 || s->closing) {
        return rc;
    }
    struct ledger *back;
    SIM_CHECK(s, *n_bufs == 1, "snapshot in %u buffers", *n_bufs);
    int drc = fsm_snapshot_decode((*bufs)[0].base, (*bufs)[0].len, &back);
    SIM_CHECK(s, drc == 0,
              "server %u: its own snapshot (%zu bytes) does not restore: %s",
              nd->i, (*bufs)[0].len, raft_strerror(drc));
    SIM_CHECK(s, ledger_state_hash(back) == ledger_state_hash(f->ledger),
              "server %u: snapshot restores into a different state", nd->i);
    ledger_destroy(back);
    return rc;
}

/* The cores' bounds: small, so that full batches, BUSY and chained sweeps
 * happen, now and then slotd's own. */
static void coreParams(struct trand *g, struct sim_params *p)
{
    p->batch_cmds_max =
        rngChance(g, 50) ? 1 + rngBelow(g, 4) : 5 + rngBelow(g, 60);
    p->batch_bytes_max = rngChance(g, 20) ? 64 + rngBelow(g, 512) : 1u << 20;
    p->inflight_max = rngChance(g, 20) ? 8 : 1 + rngBelow(g, 4);
    p->reads_max = 1 + rngBelow(g, 8);
    p->conn_pending_max = 2 + rngBelow(g, 6);
    p->expire_max = rngChance(g, 20) ? SLOT_EXPIRE_MAX : 1 + rngBelow(g, 4);
}

static void paramsFromSeed(uint64_t seed, struct sim_params *p)
{
    struct trand g;
    rngSeed(&g, seed, 99);
    memset(p, 0, sizeof *p);
    p->n = (seed & 1) == 0 ? 3 : 5;
    p->n_voters = p->n;
    p->threshold = 8 + rngBelow(&g, 40);
    p->trailing = 2 + rngBelow(&g, p->threshold);
    p->run_ms = 10000 + rngBelow(&g, 20000);
    p->pre_vote = rngChance(&g, 80);
    p->max_inflight = rngChance(&g, 50) ? 64 : 1 + rngBelow(&g, 64);
    p->n_clients = 2 + rngBelow(&g, SIM_CLIENTS_MAX - 1);
    p->n_pools = 1 + rngBelow(&g, SIM_POOLS_MAX);
    p->workarounds = WA_ALL & opt.workarounds;
    /* Without the fail-stop shim raft 0.22.1 crashes on the first I/O
     * error (WA_IO_FAIL_STOP); test_io_fault shows it. */
    p->io_faults = (p->workarounds & WA_IO_FAIL_STOP) != 0;
    p->nemesis = true;
    p->reads = true;
    p->status = true;
    coreParams(&g, p);
    schedParams(&g, p);
    /* slotd's default, or less (not drawn: the other draws stay). */
    p->max_skew_ms = 250u << (seed / 2 % 3);
}

static void simInit(struct sim *s, uint64_t seed, const struct sim_params *p,
                    bool trace)
{
    memset(s, 0, sizeof *s);
    s->seed = seed;
    s->trace = trace;
    s->p = *p;
    rngSeed(&s->rng_client, seed, 1);
    rngSeed(&s->rng_nemesis, seed, 2);
    s->phase = PHASE_RUN;
    s->final_req = UINT32_MAX;
    s->transfer_adm = UINT32_MAX;
    for (unsigned c = 0; c < OWNERS; c++) {
        s->clients[c].open_req = UINT32_MAX;
        s->clients[c].guess = rngBelow(&s->rng_client, p->n);
    }
    /* Every raft allocation of this seed is counted (simClose checks). */
    memset(&heap, 0, sizeof heap);
    raft_heap_set(&countingHeap);
    SIM_CHECK(s, raft_fixture_init(&s->fx) == 0, "raft_fixture_init");
    for (unsigned i = 0; i < p->n; i++) {
        struct simnode *nd = &s->nodes[i];
        SIM_CHECK(s, fsm_init(&nd->fsm) == 0, "fsm_init");
        nd->s = s;
        nd->i = i;
        nd->fsm.data = nd;
        nd->fsm.check_every = 1;
        nd->fsm.applied_cb = appliedCb;
        nd->fsm_snapshot = nd->fsm.raft.snapshot;
        nd->fsm.raft.snapshot = simFsmSnapshot;
        nd->fsm_apply = nd->fsm.raft.apply;
        nd->fsm.raft.apply = simFsmApply;
        SIM_CHECK(s, raft_fixture_grow(&s->fx, &nd->fsm.raft) == 0,
                  "raft_fixture_grow");
        /* Events carry their entry's index: replicas must agree on it
         * (the state hashes compared include the feed). */
        nd->fsm.owner = raft_fixture_get(&s->fx, i);
        shimInstall(nd);
        if (!trace) {
            /* The fixture installs a tracer printing raft's diagnostics. */
            raft_fixture_get(&s->fx, i)->tracer = NULL;
        }
        char address[32];
        snprintf(address, sizeof address, "%u/sim:%u", i + 1, i + 1);
        struct node_core_config cc = {
            .id = i + 1,
            .address = address,
            .batch_cmds_max = p->batch_cmds_max,
            .batch_bytes_max = p->batch_bytes_max,
            .inflight_max = p->inflight_max,
            .reads_max = p->reads_max,
            .conn_pending_max = p->conn_pending_max,
            .expire_max = p->expire_max,
            .origin_base = (uint64_t)(i + 1) << 48,
            .now_ms = coreNow,
            .mono_ms = coreMono,
            .max_skew_ms = p->max_skew_ms,
            .tell_removed = coreTellRemoved,
            .removed_cb = coreRemoved,
            .data = nd,
        };
        SIM_CHECK(s,
                  node_core_create(raft_fixture_get(&s->fx, i), &nd->fsm, &cc,
                                   &nd->core) == 0,
                  "node_core_create");
    }
    /* Members are known as "N/sim:N", as slotd's "RAFT/CLIENT": NOT_LEADER
     * hints carry the client part. The last n - n_voters servers start
     * empty, waiting to be added. */
    struct raft_configuration conf;
    raft_configuration_init(&conf);
    for (unsigned i = 0; i < p->n_voters; i++) {
        char address[32];
        snprintf(address, sizeof address, "%u/sim:%u", i + 1, i + 1);
        SIM_CHECK(
            s, raft_configuration_add(&conf, i + 1, address, RAFT_VOTER) == 0,
            "raft_configuration_add");
    }
    for (unsigned i = 0; i < p->n_voters; i++) {
        SIM_CHECK(s, raft_bootstrap(raft_fixture_get(&s->fx, i), &conf) == 0,
                  "raft_bootstrap");
    }
    raft_configuration_close(&conf);
    for (unsigned i = 0; i < p->n; i++) {
        struct raft *r = raft_fixture_get(&s->fx, i);
        raft_set_snapshot_threshold(r, p->threshold);
        raft_set_snapshot_trailing(r, p->trailing);
        raft_set_pre_vote(r, p->pre_vote);
        raft_set_max_inflight_entries(r, p->max_inflight);
        setLatency(s, i, 5 + rngBelow(&s->rng_nemesis, 30), false);
        setLatency(s, i, 2 + rngBelow(&s->rng_nemesis, 20), true);
        s->skew_ms[i] = (int64_t)rngBelow(&s->rng_nemesis, 1001) - 500;
    }
    electionTimeouts(s);
    SIM_CHECK(s, raft_fixture_start(&s->fx) == 0, "raft_fixture_start");
    s->fx_ready = true;
    raft_fixture_hook(&s->fx, hookCb);
    simLog(s,
           "seed %" PRIu64 ": %u servers, threshold %u, trailing %u, "
           "pre-vote %s, max in flight %u, %u clients, %u pools, run %u "
           "ms, workarounds %#x; cores: batch %u cmds / %u bytes, %u in "
           "flight, %u reads, %u per connection, EXPIRE %u",
           seed, p->n, p->threshold, p->trailing, p->pre_vote ? "on" : "off",
           p->max_inflight, p->n_clients, p->n_pools, p->run_ms, p->workarounds,
           p->batch_cmds_max, p->batch_bytes_max, p->inflight_max, p->reads_max,
           p->conn_pending_max, p->expire_max);
    if (p->sched) {
        simLog(s,
               "flow-back at %u ms, UTC%+d, days before %u / %s %u%s, to "
               "'%s' / '%s'%s; pools (free, early, due, later): %d %d %d %d",
               p->flow_ms, p->utc_offset_min, p->days_before[0], SIM_DEPT,
               p->days_before[1],
               !p->dept_rules ? " (not set)"
               : p->dept_flow ? ""
                              : " (no flow-back)",
               p->flow_to[0], p->flow_to[1], p->group ? ", group online" : "",
               p->kind[0], p->n_pools > 1 ? p->kind[1] : -1,
               p->n_pools > 2 ? p->kind[2] : -1,
               p->n_pools > 3 ? p->kind[3] : -1);
    }
}

/* Adds the cores' counters to the seed's (once, at the end). */
static void coreStats(struct sim *s)
{
    for (unsigned i = 0; i < s->p.n; i++) {
        const struct node_core_stats *c = node_core_stats(s->nodes[i].core);
        s->st.batches += c->batches;
        s->st.commands += c->commands;
        s->st.batches_full += c->batches_full;
        s->st.results += c->results;
        s->st.busy += c->busy;
        s->st.not_leader += c->not_leader;
        s->st.lost += c->lost;
        s->st.lost_unknown += c->lost_unknown;
        s->st.unapplied_acks += c->unapplied_acks;
        s->st.barriers += c->barriers;
        s->st.reads_barrier += c->reads_barrier;
        s->st.reads_local += c->reads_local;
        s->st.sweeps += c->sweeps;
        s->st.sweeps_chained += c->sweeps_chained;
        s->st.admin_changes += c->admin_changes;
        s->st.flow_sweeps += c->flow_sweeps;
        s->st.clock_clamped += c->clock_clamped;
    }
}

/* Tears the cluster down the way slotd does (node_core_stop, raft_close,
 * then the cores), then checks that every connection was released and every
 * raft allocation freed. */
static void simClose(struct sim *s)
{
    unsigned n = s->p.n;
    if (s->fx_ready) {
        s->closing = true;
        coreStats(s);
        raft_fixture_hook(&s->fx, NULL);
        for (unsigned i = 0; i < n; i++) {
            node_core_stop(s->nodes[i].core);
        }
        raft_fixture_close(&s->fx);
    }
    /* raft answered everything it held (raft_close): every connection can
     * go now, and is released at once. */
    for (struct simconn *c = s->conns; c != NULL; c = c->next_all) {
        c->client_closed = true;
        mp_buf_reset(&c->inbox);
        if (!c->core_closed) {
            c->core_closed = true;
            node_core_conn_closed(s->nodes[c->server].core, &c->nc);
        }
        SIM_CHECK(s, c->released,
                  "server %u never released a connection (%u pending)",
                  c->server, c->nc.pending);
    }
    for (unsigned i = 0; i < n; i++) {
        struct shim *sh = &s->nodes[i].shim;
        if (sh->deferred) {
            raft_configuration_close(&sh->deferred_msg.install_snapshot.conf);
            raft_free(sh->deferred_msg.install_snapshot.data.base);
        }
        node_core_destroy(s->nodes[i].core);
        fsm_close(&s->nodes[i].fsm);
        free(sh->reqs);
        shimNodes[i] = NULL;
    }
    s->st.raft_allocs = heap.allocs;
    raft_heap_set_default();
    SIM_CHECK(s, heap.live == 0 && heap.live_size == 0,
              "raft heap: %" PRId64 " allocations (%" PRId64 " bytes) never "
              "freed after the cluster closed",
              heap.live, heap.live_size);
    while (s->conns != NULL) {
        struct simconn *c = s->conns;
        s->conns = c->next_all;
        mp_buf_free(&c->nc.out);
        mp_buf_free(&c->inbox);
        free(c);
    }
    for (unsigned i = 0; i < n; i++) {
        for (uint32_t k = 0; k < s->cap_ents[i]; k++) {
            struct entrec *e = s->ents[i][k];
            if (e != NULL) {
                free(e->fps);
                free(e->results);
                free(e->answered);
                free(e->bytes);
                free(e);
            }
        }
        free(s->ents[i]);
    }
    for (uint32_t k = 0; k < s->n_reqs; k++) {
        free(s->reqs[k].bytes);
    }
    for (uint32_t k = 0; k < s->n_rds; k++) {
        free(s->rds[k].bytes);
        free(s->rds[k].body);
    }
    free(s->reqs);
    free(s->queue);
    free(s->req_keys);
    free(s->req_vals);
    free(s->rds);
    free(s->adms);
    free(s->hashchks);
    free(s->idx_origin);
    free(s->claims);
}

/* node_core_tick on server i. A SWEEP it queues must be due by the
 * server's clock and the ledger it has applied (a core that proposes one
 * on every tick fails here). */
static void tickCore(struct sim *s, unsigned i)
{
    struct node_core *core = s->nodes[i].core;
    uint64_t before = node_core_stats(core)->flow_sweeps;
    node_core_tick(core);
    if (raft_state(raft_fixture_get(&s->fx, i)) == RAFT_LEADER &&
        node_core_leader_time_ms(core) != 0) {
        int64_t real = (int64_t)(s->p.epoch_ms + simNow(s));
        int64_t off = (int64_t)node_core_leader_time_ms(core) - real;
        simLog(s,
               "server %u leads: its time %+" PRId64
               " ms, its ledger's %+" PRId64 " ms from simulated time (%" PRIu64
               " anchors)",
               i, off, (int64_t)ledger_time_ms(s->nodes[i].fsm.ledger) - real,
               node_core_stats(core)->clock_anchors);
        s->st.leader_behind += off < -(int64_t)s->p.max_skew_ms;
        int64_t stall = (int64_t)ledger_time_ms(s->nodes[i].fsm.ledger) -
                        (int64_t)node_core_leader_time_ms(core);
        SIM_CHECK(s, stall <= (int64_t)(3 * s->p.max_skew_ms + STALL_SLACK_MS),
                  "server %u leads with its time %" PRId64 " ms behind "
                  "its ledger's (max skew %" PRIu64 " ms): ledger time "
                  "stands still",
                  i, stall, s->p.max_skew_ms);
    }
    uint64_t queued = node_core_stats(core)->flow_sweeps - before;
    if (queued > 0) {
        uint64_t due = ledger_next_sweep_ms(s->nodes[i].fsm.ledger);
        uint64_t now = node_core_leader_time_ms(core);
        SIM_CHECK(s, queued == 1 && due <= now,
                  "server %u: its tick queued %" PRIu64 " SWEEP(s), next "
                  "flow-back at %" PRIu64 ", its clock at %" PRIu64,
                  i, queued, due, now);
        simLog(s, "server %u: its tick queues a SWEEP (due %+" PRId64 " ms)", i,
               (int64_t)(now - due));
    }
}

/* One step of the fixture, then what a loop turn of every running slotd
 * does after it: frames that waited for a paused server go in, the cores
 * end their turn (node_core_flush), the clients read their answers; and on
 * their own clocks, the clients and operator, the cores' ticks and the
 * nemesis. */
static void simStep(struct sim *s)
{
    raft_fixture_step(&s->fx);
    SIM_CHECK(s, ++s->steps < STEPS_MAX, "step budget exhausted");
    uint64_t now = simNow(s);
    /* raft acknowledges an entry only after its proposer applied it (a
     * core that finds no results for its batch answers NOT_LEADER: safe,
     * but a raft bug, or a core that lost its batch's origin). */
    for (unsigned i = 0; i < s->p.n; i++) {
        uint64_t bad = node_core_stats(s->nodes[i].core)->unapplied_acks;
        SIM_CHECK(s, bad == 0,
                  "server %u: %" PRIu64 " entries acknowledged by raft "
                  "without results for the batch that proposed them",
                  i, bad);
    }
    if (s->phase != PHASE_DONE) {
        deliverAll(s);
        flushCores(s);
    }
    readAnswers(s);
    if (s->phase != PHASE_DONE && now >= s->next_tick_ms) {
        for (unsigned i = 0; i < s->p.n; i++) {
            if (running(s, i)) {
                tickCore(s, i);
            }
        }
        flushCores(s);
        s->next_tick_ms = now + TICK_MS;
    }
    if (s->phase != PHASE_DONE && now >= s->next_driver_ms) {
        driverTick(s);
        s->next_driver_ms = now + DRIVER_MS;
    }
    if (s->phase == PHASE_RUN && s->p.nemesis && now >= s->next_nemesis_ms) {
        nemesisTick(s);
        s->next_nemesis_ms = now + 100 + rngBelow(&s->rng_nemesis, 600);
    }
    if (s->phase != PHASE_RUN && now >= s->next_nemesis_ms) {
        /* Healed: only fresh election timeouts now and then, as a real
         * cluster draws them (see electionTimeouts). */
        if (raft_fixture_leader_index(&s->fx) >= s->p.n) {
            electionTimeouts(s);
        }
        s->next_nemesis_ms = now + 1000 + rngBelow(&s->rng_nemesis, 2000);
    }
    readAnswers(s);
}

static void healAll(struct sim *s)
{
    memset(s->cut, 0, sizeof s->cut);
    memset(s->drop, 0, sizeof s->drop);
    for (unsigned i = 0; i < s->p.n; i++) {
        s->dead[i] = s->crashed[i];
        raft_fixture_io_fault(&s->fx, i, -1, 0);
    }
    s->fault_armed = false;
    electionTimeouts(s);
    netApply(s);
    simLog(s, "heal everything");
}

static bool allAnswered(const struct sim *s)
{
    for (uint32_t id = 0; id < s->n_reqs; id++) {
        int st = s->reqs[id].state;
        if (st == RQ_QUEUED || st == RQ_SENT) {
            return false;
        }
    }
    for (uint32_t k = 0; k < s->n_rds; k++) {
        if (s->rds[k].state == ITEM_SENT) {
            return false;
        }
    }
    for (uint32_t k = 0; k < s->n_adms; k++) {
        if (s->adms[k].state == ITEM_SENT) {
            return false;
        }
    }
    return true;
}

struct applied_arg {
    const struct sim *s;
    raft_index index;
};

/* Every server still running has applied index. */
static bool allApplied(struct raft_fixture *f, void *arg)
{
    const struct applied_arg *a = arg;
    for (unsigned i = 0; i < a->s->p.n; i++) {
        if (!a->s->crashed[i] &&
            raft_last_applied(raft_fixture_get(f, i)) < a->index) {
            return false;
        }
    }
    return true;
}

/* The first server still running. */
static unsigned firstLive(const struct sim *s)
{
    unsigned i = 0;
    while (s->crashed[i]) {
        i++;
    }
    return i;
}

static bool allEqual(struct raft_fixture *f, void *arg)
{
    const struct sim *s = arg;
    raft_index a0 = raft_last_applied(raft_fixture_get(f, firstLive(s)));
    for (unsigned i = 0; i < s->p.n; i++) {
        if (!s->crashed[i] && raft_last_applied(raft_fixture_get(f, i)) != a0) {
            return false;
        }
    }
    return true;
}

/* Runs the nemesis phase, heals, waits until every request is answered and
 * a final entry is applied everywhere. */
static void simFinish(struct sim *s);

static void simRun(struct sim *s)
{
    while (simNow(s) < s->p.run_ms) {
        simStep(s);
    }
    simFinish(s);
}

/* A running server's ledger has a flow-back due by its own time: the
 * leader's core must still propose its SWEEP. */
static bool flowDue(const struct sim *s)
{
    for (unsigned i = 0; i < s->p.n; i++) {
        const struct ledger *l = s->nodes[i].fsm.ledger;
        if (!s->crashed[i] && ledger_next_sweep_ms(l) <= ledger_time_ms(l)) {
            return true;
        }
    }
    return false;
}

/* After healing, a flow-back seed runs until this long after its
 * flow-back time (clock skew is at most 3 s), so that the ones due late
 * happen in the final phase. */
#define FLOW_WAIT_MS 4000
/* A flow-back due by ledger time is swept by then (the leader's clock may
 * lag the ledger's by 6 s). */
#define FLOW_SWEEP_MS 10000

/* Heals everything, waits until every request is answered, commits a final
 * entry and waits until every running server applied the same index. The
 * final entry is an EXPIRE of every due hold, so that the ledger ends with
 * none due (checkClaims compares pool counters with claim states, and a
 * due hold reads EXPIRED before a sweep frees its slot); no flow-back may
 * be due either: the cores' SWEEPs (the simulation never sends one) are
 * waited for, FLOW_SWEEP_MS at most. A core's own sweep may still commit
 * after it, with a later stamp: then once more. */
static void simFinish(struct sim *s)
{
    s->phase = PHASE_HEAL;
    s->hold_sends = false;
    healAll(s);
    uint64_t heal_end = simNow(s) + HEAL_MS_MAX;
    while (!allAnswered(s) ||
           (s->p.sched && simNow(s) < s->p.flow_ms + FLOW_WAIT_MS)) {
        SIM_CHECK(s, simNow(s) < heal_end,
                  "requests still unanswered %d s after healing",
                  HEAL_MS_MAX / 1000);
        simStep(s);
    }
    for (unsigned round = 0;; round++) {
        SIM_CHECK(s, round < 8, "holds still due after %u final sweeps", round);
        s->phase = PHASE_HEAL;
        struct slot_cmd c = {.op = SLOT_OP_EXPIRE};
        c.u.expire.max = SLOT_EXPIRE_MAX;
        s->final_req = reqNew(s, OWNER_FILLER, c);
        uint64_t flow_end = simNow(s) + FLOW_SWEEP_MS;
        while (s->reqs[s->final_req].state != RQ_ACKED ||
               (flowDue(s) && simNow(s) < flow_end)) {
            SIM_CHECK(s, simNow(s) < heal_end, "final entry never committed");
            simStep(s);
        }
        /* Still due: no SWEEP came (checkFlowEnd reports the pools). */
        bool flow_late = flowDue(s);
        /* The clients, the operator and the cores go quiet. */
        raft_index fin = s->reqs[s->final_req].ack_index;
        s->phase = PHASE_DONE;
        struct applied_arg arg = {s, fin};
        SIM_CHECK(s, raft_fixture_step_until(&s->fx, allApplied, &arg, 60000),
                  "servers did not all apply index %llu",
                  (unsigned long long)fin);
        /* What is still in flight commits or fails meanwhile; then every
         * server must stop at the same index. */
        raft_fixture_step_until_elapsed(&s->fx, 3000);
        SIM_CHECK(s, raft_fixture_step_until(&s->fx, allEqual, s, 60000),
                  "servers did not converge on one applied index");
        const struct ledger *l = s->nodes[firstLive(s)].fsm.ledger;
        if (ledger_next_deadline_ms(l) > ledger_time_ms(l) &&
            (flow_late || !flowDue(s))) {
            break;
        }
        simLog(s, "a sweep followed the final entry: holds or flow-backs "
                  "are due again");
    }
    simLog(s, "converged at index %llu after %" PRIu64 " steps",
           (unsigned long long)raft_last_applied(
               raft_fixture_get(&s->fx, firstLive(s))),
           s->steps);
}

/* A read or a status hash answered at some index, checked on replay. */
struct replaychk {
    raft_index index;
    const struct rd *rd; /* or */
    const struct hashchk *hc;
};

static int replaychkCmp(const void *a, const void *b)
{
    const struct replaychk *x = a, *y = b;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* What a read answered at index must be what the replayed ledger, at that
 * index, answers. */
static void replayCheckOne(struct sim *s, const struct ledger *l,
                           const struct replaychk *c)
{
    if (c->hc != NULL) {
        SIM_CHECK(s, ledger_state_hash(l) == c->hc->hash,
                  "server %u's status at index %llu says hash %016" PRIx64
                  ", the replayed log %016" PRIx64,
                  c->hc->server, (unsigned long long)c->index, c->hc->hash,
                  ledger_state_hash(l));
        return;
    }
    struct slot_read rd;
    struct mp_reader r;
    struct mp_buf b;
    mp_reader_init(&r, c->rd->bytes, c->rd->len);
    SIM_CHECK(s, slot_read_decode(&r, &rd) == SLOT_OK, "read does not decode");
    mp_buf_init(&b);
    int code = ledger_read(l, &rd, &b);
    if (b.len == 0) {
        msgpack_pack_nil(&b.pk);
    }
    SIM_CHECK(s,
              code == c->rd->code && b.len == c->rd->body_len &&
                  memcmp(b.data, c->rd->body, b.len) == 0,
              "%s read %u answered %s (%zu bytes) at index %llu; the replayed "
              "ledger there says %s (%zu bytes)",
              c->rd->linearizable ? "linearizable" : "stale", rd.op,
              errName(c->rd->code), c->rd->body_len,
              (unsigned long long)c->index, errName(code), b.len);
    mp_buf_free(&b);
}

/* ---- flow-back on the replay -------------------------------------------- */

/* What the replay keeps for the SWEEP checks. */
struct replayflow {
    int order[SIM_POOLS_MAX]; /* pool k was the order[k]-th created, or -1 */
    int n_created;
};

static uint32_t poolIndex(struct slot_str name)
{
    uint32_t k = 0;
    while (k < SIM_POOLS_MAX && (strlen(POOL_NAMES[k]) != name.len ||
                                 memcmp(POOL_NAMES[k], name.p, name.len))) {
        k++;
    }
    return k;
}

/* Bucket i of a pool status: a share, or (i == n_shares) the remainder. */
static const struct slot_bucket *bucketOf(const struct slot_pool_status *ps,
                                          uint32_t i)
{
    return i < ps->n_shares ? &ps->shares[i] : &ps->remainder;
}

/* The counters of pool k just before (b) and after (a) a SWEEP. Held and
 * booked never change, in any bucket; every bucket keeps free + held +
 * booked == capacity, and the buckets add up to the pool's counters. A pool
 * that flowed back gave the free slots of every share but the target (the
 * share its rules' flowback_to names, else the remainder) to the target;
 * any other pool is unchanged. */
static void sweepPoolCheck(struct sim *s, uint32_t k,
                           const struct slot_pool_status *b,
                           const struct slot_pool_status *a, bool flowed)
{
    const char *name = POOL_NAMES[k];
    SIM_CHECK(s, a->n_shares == b->n_shares,
              "pool %s: %u shares before a SWEEP, %u after", name, b->n_shares,
              a->n_shares);
    uint32_t n = b->n_shares;
    uint32_t t = n; /* the target */
    for (uint32_t i = 0; i < n && flowed; i++) {
        const char *to = s->p.flow_to[rulesIdx(&s->p, k)];
        t = to[0] != '\0' && strcmp(b->shares[i].channel, to) == 0 ? i : t;
    }
    struct slot_bucket want[SLOT_POOL_SHARES_MAX + 1];
    uint32_t moved = 0, cap = 0, fr = 0, he = 0, bo = 0;
    bool claims = false;
    for (uint32_t i = 0; i <= n; i++) {
        const struct slot_bucket *x = bucketOf(b, i), *y = bucketOf(a, i);
        SIM_CHECK(s,
                  strcmp(x->channel, y->channel) == 0 && x->held == y->held &&
                      x->booked == y->booked,
                  "pool %s bucket '%s': held %u booked %u before a SWEEP, "
                  "'%s' held %u booked %u after",
                  name, x->channel, x->held, x->booked, y->channel, y->held,
                  y->booked);
        SIM_CHECK(s, y->free + y->held + y->booked == y->capacity,
                  "pool %s bucket '%s' after a SWEEP: free %u held %u booked "
                  "%u of %u",
                  name, y->channel, y->free, y->held, y->booked, y->capacity);
        cap += y->capacity;
        fr += y->free;
        he += y->held;
        bo += y->booked;
        want[i] = *x;
        if (flowed && i != t && i < n) {
            claims = claims || x->held + x->booked > 0;
            moved += x->free;
            want[i].capacity -= x->free;
            want[i].free = 0;
        }
    }
    want[t].capacity += moved;
    want[t].free += moved;
    SIM_CHECK(s,
              a->capacity == b->capacity && a->held == b->held &&
                  a->booked == b->booked && cap == a->capacity &&
                  fr == a->free && he == a->held && bo == a->booked &&
                  a->free + a->held + a->booked == a->capacity,
              "pool %s after a SWEEP: free %u held %u booked %u of %u "
              "(before %u/%u/%u of %u), buckets add up to %u/%u/%u of %u",
              name, a->free, a->held, a->booked, a->capacity, b->free, b->held,
              b->booked, b->capacity, fr, he, bo, cap);
    for (uint32_t i = 0; i <= n; i++) {
        const struct slot_bucket *y = bucketOf(a, i);
        SIM_CHECK(s, y->capacity == want[i].capacity && y->free == want[i].free,
                  "pool %s bucket '%s' (%s): capacity %u free %u after a "
                  "SWEEP, want %u and %u (target '%s', %u slots moved)",
                  name, y->channel, flowed ? "flowed back" : "not flowing",
                  y->capacity, y->free, want[i].capacity, want[i].free,
                  bucketOf(b, t)->channel, moved);
    }
    if (flowed) {
        s->st.flows_with_claims += claims;
        s->st.flows_to_share += t < n;
    }
}

/* One SWEEP of the log, applied alone at its entry's stamp (the commands
 * before it in the entry already applied): its result is what the pools
 * before it say (a = the due ones up to max, b = the rest), it flows back
 * exactly a pools, due ones, earliest (due, creation) first, and nothing
 * else changes (sweepPoolCheck). Counted: a SWEEP stamped before the
 * earliest due time (ledger time may be ahead of the stamp, or the pools
 * flowed back meanwhile), and one that finds nothing due. */
static void sweepCheck(struct sim *s, struct ledger *l, uint64_t index,
                       uint64_t stamp, const struct slot_cmd *c,
                       struct slot_result *res, const struct replayflow *rf)
{
    uint64_t t = ledger_time_ms(l) > stamp ? ledger_time_ms(l) : stamp;
    uint64_t next = ledger_next_sweep_ms(l);
    struct slot_pool_status before[SIM_POOLS_MAX], after;
    bool have[SIM_POOLS_MAX], due[SIM_POOLS_MAX];
    uint32_t n_due = 0;
    for (uint32_t k = 0; k < s->p.n_pools; k++) {
        const struct slot_pool_status *b = &before[k];
        have[k] =
            ledger_read_pool(l, strOf(POOL_NAMES[k]), &before[k]) == SLOT_OK;
        due[k] = have[k] && b->has_place && !b->place.flowed_back &&
                 b->place.flow_due_ms != 0 && b->place.flow_due_ms <= t;
        n_due += due[k];
    }
    ledger_apply_at(l, index, stamp, c, 1, res);
    uint32_t max = c->u.expire.max;
    uint64_t want_a = n_due < max ? n_due : max;
    uint64_t want_b = n_due - want_a;
    want_b =
        want_b < SLOT_EXPIRE_DUE_COUNT_MAX ? want_b : SLOT_EXPIRE_DUE_COUNT_MAX;
    SIM_CHECK(s, res->code == SLOT_OK && res->a == want_a && res->b == want_b,
              "SWEEP (max %u) at %" PRIu64 ": %s a=%" PRIu64 " b=%" PRIu64
              ", %u pools were due",
              max, t, errName(res->code), res->a, res->b, n_due);
    uint64_t last_due = 0, first_left = UINT64_MAX;
    int last_order = -1, first_left_order = SIM_POOLS_MAX;
    uint32_t n_flowed = 0;
    for (uint32_t k = 0; k < s->p.n_pools; k++) {
        if (!have[k]) {
            continue;
        }
        SIM_CHECK(s,
                  ledger_read_pool(l, strOf(POOL_NAMES[k]), &after) == SLOT_OK,
                  "pool %s gone after a SWEEP", POOL_NAMES[k]);
        const struct slot_pool_status *b = &before[k];
        bool flowed = b->has_place && !b->place.flowed_back &&
                      after.has_place && after.place.flowed_back;
        SIM_CHECK(s, !flowed || due[k],
                  "pool %s flowed back at %" PRIu64 ", due at %" PRIu64,
                  POOL_NAMES[k], t, b->place.flow_due_ms);
        sweepPoolCheck(s, k, b, &after, flowed);
        uint64_t d = b->place.flow_due_ms;
        if (flowed) {
            n_flowed++;
            if (d > last_due || (d == last_due && rf->order[k] > last_order)) {
                last_due = d;
                last_order = rf->order[k];
            }
        } else if (due[k] &&
                   (d < first_left ||
                    (d == first_left && rf->order[k] < first_left_order))) {
            first_left = d;
            first_left_order = rf->order[k];
        }
    }
    SIM_CHECK(s, n_flowed == res->a,
              "SWEEP at %" PRIu64 " says %" PRIu64 " pools, %u flowed back", t,
              res->a, n_flowed);
    SIM_CHECK(s,
              last_due < first_left ||
                  (last_due == first_left && last_order < first_left_order),
              "SWEEP at %" PRIu64 " flowed back a pool due at %" PRIu64
              " before one due at %" PRIu64,
              t, last_due, first_left);
    s->st.sweep_cmds++;
    s->st.sweep_pools += res->a;
    s->st.sweep_left_due += res->b > 0;
    s->st.sweep_noop += res->a == 0;
    s->st.sweep_early += stamp < next;
    if (t >= s->p.epoch_ms + s->p.run_ms) {
        s->st.flows_after_heal += res->a;
    }
    if (next == UINT64_MAX) {
        simLog(s, "replay: SWEEP with no flow-back waiting");
    } else {
        simLog(s,
               "replay: SWEEP stamped %+" PRId64 " ms from the earliest due, "
               "flowed back %" PRIu64 ", %" PRIu64 " still due",
               (int64_t)(stamp - next), res->a, res->b);
    }
}

/* Applies one entry of the log at its stamp, each SWEEP in it alone
 * (sweepCheck): ledger time advances once per entry, so this is the same
 * as one ledger_apply (the replay compares every result). */
static void replayEntry(struct sim *s, struct ledger *l, uint64_t index,
                        uint64_t stamp, const struct slot_cmd *cmds, uint32_t n,
                        struct slot_result *res, struct replayflow *rf)
{
    uint32_t from = 0;
    for (uint32_t k = 0; k <= n; k++) {
        if (k < n && cmds[k].op != SLOT_OP_SWEEP) {
            continue;
        }
        if (k > from || n == 0) {
            ledger_apply_at(l, index, stamp, cmds + from, k - from, res + from);
        }
        for (uint32_t j = from; j < k; j++) {
            if (cmds[j].op == SLOT_OP_POOL_CREATE && res[j].code == SLOT_OK) {
                uint32_t p = poolIndex(cmds[j].u.pool.pool);
                SIM_CHECK(s, p < SIM_POOLS_MAX, "replay: a pool of no client");
                if (rf->order[p] < 0) { /* not a retry's stored answer */
                    rf->order[p] = rf->n_created++;
                }
            }
        }
        if (k < n) {
            sweepCheck(s, l, index, stamp, &cmds[k], &res[k], rf);
        }
        from = k + 1;
    }
}

/* Replays the committed entries in index order into a fresh ledger: the
 * result of every command, every read and status hash answered on the way,
 * and the final state must match what the cluster produced, however many
 * snapshots and installs happened on the way. */
static uint64_t checkReplay(struct sim *s)
{
    struct ledger *l = ledger_create();
    struct slot_cmd *cmds = xrealloc(NULL, SLOT_BATCH_CMDS_MAX * sizeof *cmds);
    struct slot_result *res = xrealloc(NULL, SLOT_BATCH_CMDS_MAX * sizeof *res);
    SIM_CHECK(s, l != NULL, "ledger_create");
    uint32_t n_chk = 0;
    struct replaychk *chk =
        xrealloc(NULL, (s->n_rds + s->n_hashchks + 1) * sizeof *chk);
    for (uint32_t k = 0; k < s->n_rds; k++) {
        if (s->rds[k].served) {
            chk[n_chk++] =
                (struct replaychk){s->rds[k].index, &s->rds[k], NULL};
        }
    }
    for (uint32_t k = 0; k < s->n_hashchks; k++) {
        chk[n_chk++] =
            (struct replaychk){s->hashchks[k].index, NULL, &s->hashchks[k]};
    }
    qsort(chk, n_chk, sizeof *chk, replaychkCmp);
    uint32_t next = 0;
    unsigned replayed = 0;
    struct replayflow rf = {.n_created = 0};
    for (uint32_t k = 0; k < SIM_POOLS_MAX; k++) {
        rf.order[k] = -1;
    }
    for (raft_index idx = 1; idx <= s->max_idx; idx++) {
        while (next < n_chk && chk[next].index < idx) {
            replayCheckOne(s, l, &chk[next++]);
        }
        uint64_t origin = s->idx_origin[idx];
        if (origin == 0) {
            continue; /* raft's own entries (configuration, barriers) */
        }
        const struct entrec *e = entryOf(s, origin);
        uint64_t stamp, o;
        uint32_t n;
        SIM_CHECK(s,
                  slot_entry_decode(e->bytes, e->len, &stamp, &o, cmds, &n) ==
                          SLOT_OK &&
                      o == origin && n == e->n,
                  "entry %" PRIx64 " does not decode back", origin);
        replayEntry(s, l, idx, stamp, cmds, n, res, &rf);
        for (uint32_t k = 0; k < n; k++) {
            SIM_CHECK(s, resultEq(&res[k], &e->results[k]),
                      "replay of index %llu cmd %u: %s a=%" PRIu64
                      ", cluster %s a=%" PRIu64,
                      (unsigned long long)idx, k, errName(res[k].code),
                      res[k].a, errName(e->results[k].code), e->results[k].a);
        }
        replayed++;
    }
    while (next < n_chk) {
        replayCheckOne(s, l, &chk[next++]);
    }
    char why[256] = "";
    SIM_CHECK(s, ledger_check(l, why, sizeof why), "replay: %s", why);
    uint64_t h = ledger_state_hash(l);
    ledger_destroy(l);
    free(chk);
    free(cmds);
    free(res);
    simLog(s, "replayed %u entries, %u reads and status hashes", replayed,
           n_chk);
    return h;
}
/* What the ledger answered about one claim, from every request applied. */
struct claimchk {
    bool have;
    uint32_t hold_req, conf_req;
    unsigned confirmed, released, cancelled;
    unsigned refused_expired, refused_confirmed, refused_released;
    unsigned refused_cancelled;
};

static void tally(struct sim *s, struct claimchk *k, uint32_t id)
{
    const struct req *r = &s->reqs[id];
    const struct slot_result *res = &r->canon;
    uint64_t c = r->target;
    const struct slot_result *hold = &s->reqs[k->hold_req].canon;
    switch (res->code) {
        case SLOT_OK:
            if (r->op == SLOT_OP_CONFIRM) {
                k->confirmed++;
                k->conf_req = id;
                SIM_CHECK(s, res->a == c,
                          "booking id %" PRIu64 " for hold %" PRIu64, res->a,
                          c);
            } else if (r->op == SLOT_OP_RELEASE) {
                k->released++;
            } else {
                k->cancelled++;
            }
            /* A failover never extends a deadline. */
            SIM_CHECK(s, r->op == SLOT_OP_CANCEL || res->time_ms < hold->b,
                      "claim %" PRIu64 ": %s succeeded at %" PRIu64
                      ", deadline %" PRIu64,
                      c, opName(r->op), res->time_ms, hold->b);
            break;
        case SLOT_HOLD_EXPIRED:
            k->refused_expired++;
            s->st.hold_expired++;
            SIM_CHECK(s, res->time_ms >= hold->b,
                      "claim %" PRIu64 ": HOLD_EXPIRED at %" PRIu64
                      " before its deadline %" PRIu64,
                      c, res->time_ms, hold->b);
            break;
        case SLOT_ALREADY_CONFIRMED:
            k->refused_confirmed++;
            break;
        case SLOT_ALREADY_RELEASED:
            k->refused_released++;
            break;
        case SLOT_ALREADY_CANCELLED:
            k->refused_cancelled++;
            break;
        default:
            break;
    }
}

/* Every applied result, claim by claim, against the final ledger. The
 * outcome of a request is what the ledger stored for it (its canon): the
 * client's answer was checked equal to it, and a request whose client gave
 * up may have been applied all the same. */
static void checkClaims(struct sim *s, const struct ledger *l)
{
    uint64_t now = ledger_time_ms(l);
    uint64_t holds = 0, max_id = 0;
    for (uint32_t id = 0; id < s->n_reqs; id++) {
        const struct req *r = &s->reqs[id];
        if (r->op == SLOT_OP_HOLD && r->canon_set && r->canon.code == SLOT_OK) {
            holds++;
            max_id = r->canon.a > max_id ? r->canon.a : max_id;
        }
    }
    /* Nothing applied twice: the successful holds are claims 1..H. */
    SIM_CHECK(s, holds == max_id,
              "%" PRIu64 " successful holds but claim ids up to %" PRIu64,
              holds, max_id);
    struct slot_claim cl;
    SIM_CHECK(s,
              ledger_read_claim(l, max_id + 1, false, &cl) == SLOT_UNKNOWN_HOLD,
              "claim %" PRIu64 " exists, no hold created it", max_id + 1);
    struct claimchk *cc = xrealloc(NULL, (size_t)(max_id + 1) * sizeof *cc);
    memset(cc, 0, (size_t)(max_id + 1) * sizeof *cc);
    for (uint32_t id = 0; id < s->n_reqs; id++) {
        const struct req *r = &s->reqs[id];
        if (r->op == SLOT_OP_HOLD && r->canon_set && r->canon.code == SLOT_OK) {
            struct claimchk *k = &cc[r->canon.a];
            SIM_CHECK(s, !k->have, "claim %" PRIu64 " created twice",
                      r->canon.a);
            k->have = true;
            k->hold_req = id;
        }
    }
    for (uint32_t id = 0; id < s->n_reqs; id++) {
        const struct req *r = &s->reqs[id];
        if (r->canon_set && r->target >= 1 && r->target <= max_id &&
            cc[r->target].have) {
            tally(s, &cc[r->target], id);
        }
    }

    uint32_t booked[SIM_POOLS_MAX] = {0}, held[SIM_POOLS_MAX] = {0};
    for (uint64_t c = 1; c <= max_id; c++) {
        const struct claimchk *k = &cc[c];
        const struct slot_result *hold = &s->reqs[k->hold_req].canon;
        /* Each hold resolves once; each refusal names that resolution. */
        SIM_CHECK(
            s, k->confirmed + k->released <= 1 && k->cancelled <= k->confirmed,
            "claim %" PRIu64 ": %u confirms, %u releases, %u cancels "
            "succeeded",
            c, k->confirmed, k->released, k->cancelled);
        SIM_CHECK(s, !k->refused_confirmed || k->confirmed,
                  "claim %" PRIu64 ": ALREADY_CONFIRMED, never confirmed", c);
        SIM_CHECK(s, !k->refused_released || k->released,
                  "claim %" PRIu64 ": ALREADY_RELEASED, never released", c);
        SIM_CHECK(s, !k->refused_cancelled || k->cancelled,
                  "claim %" PRIu64 ": ALREADY_CANCELLED, never cancelled", c);
        SIM_CHECK(s, !k->refused_expired || (!k->confirmed && !k->released),
                  "claim %" PRIu64 ": HOLD_EXPIRED, yet resolved otherwise", c);

        int rc = ledger_read_claim(l, c, false, &cl);
        SIM_CHECK(s, rc == SLOT_OK, "claim %" PRIu64 ": %s", c, errName(rc));
        uint32_t pool = 0;
        while (pool < s->p.n_pools && strcmp(cl.pool, POOL_NAMES[pool])) {
            pool++;
        }
        SIM_CHECK(s, pool < s->p.n_pools, "claim %" PRIu64 " in pool %s", c,
                  cl.pool);
        SIM_CHECK(s,
                  cl.deadline_ms == hold->b && cl.held_at_ms == hold->time_ms,
                  "claim %" PRIu64 ": times differ from the hold's answer", c);
        int want;
        if (k->cancelled) {
            want = SLOT_CLAIM_CANCELLED;
        } else if (k->confirmed) {
            const struct req *conf = &s->reqs[k->conf_req];
            want = SLOT_CLAIM_BOOKED;
            SIM_CHECK(
                s,
                cl.visit_no == conf->canon.b &&
                    strcmp(cl.payment_ref, conf->payref) == 0,
                "booking %" PRIu64 ": visit %u / %s, answered %" PRIu64 " / %s",
                c, cl.visit_no, cl.payment_ref, conf->canon.b, conf->payref);
            booked[pool]++;
        } else if (k->released) {
            want = SLOT_CLAIM_RELEASED;
        } else if (cl.state == SLOT_CLAIM_HELD) {
            want = SLOT_CLAIM_HELD;
            SIM_CHECK(s, !k->refused_expired && cl.deadline_ms > now,
                      "claim %" PRIu64 " HELD past its deadline", c);
            held[pool]++;
        } else {
            want = SLOT_CLAIM_EXPIRED;
        }
        SIM_CHECK(s, cl.state == want,
                  "claim %" PRIu64 " is %s, the applied results say %s", c,
                  slot_claim_state_name(cl.state), slot_claim_state_name(want));
    }
    free(cc);
    for (uint32_t p = 0; p < s->p.n_pools; p++) {
        struct slot_pool_status ps;
        int rc = ledger_read_pool(l, strOf(POOL_NAMES[p]), &ps);
        if (rc == SLOT_UNKNOWN_POOL) {
            SIM_CHECK(s, booked[p] + held[p] == 0, "pool %u unknown", p);
            continue;
        }
        SIM_CHECK(s, rc == SLOT_OK, "pool %u: %s", p, errName(rc));
        SIM_CHECK(s,
                  ps.booked == booked[p] && ps.held == held[p] &&
                      ps.free + ps.held + ps.booked == ps.capacity,
                  "pool %s: free %u held %u booked %u of %u; applied results "
                  "say held %u booked %u",
                  POOL_NAMES[p], ps.free, ps.held, ps.booked, ps.capacity,
                  held[p], booked[p]);
    }
}

/* Server i's scheduled pools at the end: each one whose flow-back time is
 * not later than its ledger time flowed back, none later did, and those
 * still waiting are due when poolDue says. Returns the pools flowed back;
 * counts them on the first running server. */
static uint64_t checkFlowEnd(struct sim *s, unsigned i, const struct ledger *l)
{
    uint64_t now = ledger_time_ms(l), flowed = 0, sched = 0;
    bool first = i == firstLive(s);
    for (uint32_t k = 0; k < s->p.n_pools; k++) {
        struct slot_pool_status ps;
        if (ledger_read_pool(l, strOf(POOL_NAMES[k]), &ps) != SLOT_OK) {
            continue;
        }
        bool want_place = s->p.sched && s->p.kind[k] != POOL_FREE;
        SIM_CHECK(s, ps.has_place == want_place,
                  "server %u: pool %s %s scheduled", i, POOL_NAMES[k],
                  ps.has_place ? "is" : "is not");
        if (!ps.has_place) {
            continue;
        }
        uint64_t due = poolDue(&s->p, k);
        sched++;
        flowed += ps.place.flowed_back;
        if (due <= now) {
            SIM_CHECK(s, ps.place.flowed_back,
                      "server %u: pool %s, due at %" PRIu64 ", has not flowed "
                      "back at ledger time %" PRIu64 " (flow_due_ms %" PRIu64
                      ")",
                      i, POOL_NAMES[k], due, now, ps.place.flow_due_ms);
        } else {
            SIM_CHECK(s,
                      !ps.place.flowed_back &&
                          ps.place.flow_due_ms == (due == UINT64_MAX ? 0 : due),
                      "server %u: pool %s, due at %" PRIu64 ", at ledger time "
                      "%" PRIu64 ": flowed back %u, flow_due_ms %" PRIu64,
                      i, POOL_NAMES[k], due, now, ps.place.flowed_back,
                      ps.place.flow_due_ms);
        }
    }
    SIM_CHECK(s, ledger_next_sweep_ms(l) > now,
              "server %u: a flow-back due at %" PRIu64 ", ledger time %" PRIu64,
              i, ledger_next_sweep_ms(l), now);
    if (first) {
        s->st.sched_seeds += sched > 0;
        s->st.sched_pools += sched;
        s->st.sched_flowed += flowed;
    }
    return flowed;
}

static void simCheck(struct sim *s)
{
    unsigned n = s->p.n;
    unsigned l0 = firstLive(s);
    raft_index applied = raft_last_applied(raft_fixture_get(&s->fx, l0));
    uint64_t hash = ledger_state_hash(s->nodes[l0].fsm.ledger);
    uint64_t flowed = 0;
    for (unsigned i = 0; i < n; i++) {
        const struct simnode *nd = &s->nodes[i];
        char why[256] = "";
        SIM_CHECK(s, ledger_check(nd->fsm.ledger, why, sizeof why),
                  "server %u: %s", i, why);
        s->st.snapshots_taken += nd->fsm.snapshots_taken;
        s->st.snapshots_restored += nd->fsm.snapshots_restored;
        s->st.install_snapshots +=
            raft_fixture_n_recv(&s->fx, i, RAFT_INSTALL_SNAPSHOT);
        if (s->crashed[i]) {
            continue; /* stopped (I/O error, removed): whatever it had */
        }
        raft_index ai = raft_last_applied(raft_fixture_get(&s->fx, i));
        SIM_CHECK(s, ai == applied, "server %u: applied %llu, server %u %llu",
                  i, (unsigned long long)ai, l0, (unsigned long long)applied);
        SIM_CHECK(s, ledger_state_hash(nd->fsm.ledger) == hash,
                  "server %u: state hash %016" PRIx64 ", server %u %016" PRIx64
                  " at the same index %llu",
                  i, ledger_state_hash(nd->fsm.ledger), l0, hash,
                  (unsigned long long)ai);
        flowed = checkFlowEnd(s, i, nd->fsm.ledger);
    }
    uint64_t replay = checkReplay(s);
    SIM_CHECK(s, replay == hash,
              "replayed log hashes %016" PRIx64 ", servers %016" PRIx64, replay,
              hash);
    /* Every pool flowed back by one committed SWEEP, each of which a core
     * queued (flow_sweeps counts the lost ones too). */
    uint64_t queued = 0;
    for (unsigned i = 0; i < n; i++) {
        queued += node_core_stats(s->nodes[i].core)->flow_sweeps;
    }
    SIM_CHECK(s, s->st.sweep_pools == flowed && queued >= s->st.sweep_cmds,
              "%" PRIu64 " pools flowed back, the log's SWEEPs flowed %" PRIu64
              "; %" PRIu64 " SWEEPs committed, the cores queued %" PRIu64,
              flowed, s->st.sweep_pools, s->st.sweep_cmds, queued);
    for (uint32_t id = 0; id < s->n_reqs; id++) {
        const struct req *r = &s->reqs[id];
        if (r->state == RQ_ACKED && opDeduped(r->op)) {
            SIM_CHECK(s, r->canon_set && resultEq(&r->canon, &r->ack),
                      "req %u: the answer is not the stored result", id);
        }
    }
    checkClaims(s, s->nodes[l0].fsm.ledger);
    /* Entries a core proposed that never committed (stale leaders). */
    for (unsigned i = 0; i < n; i++) {
        const struct node_core_stats *c = node_core_stats(s->nodes[i].core);
        uint64_t committed = 0;
        for (uint32_t k = 0; k < s->cap_ents[i]; k++) {
            committed += s->ents[i][k] != NULL;
        }
        s->st.stale_leader_entries += c->batches - committed;
    }
}

/* ---- statistics and floors ---------------------------------------------- */

#define STAT(field) offsetof(struct sim_stats, field)
#define NEM(kind)   (STAT(nemesis) + (kind) * sizeof(uint64_t))

struct statdef {
    const char *name;
    size_t off;
    /* The floor: at least this many per 100 seeds of one size (0: none,
     * a count shown for information). */
    unsigned per100;
};

/* What the header claims the simulation covers, and how often it must
 * happen (about a fifth of what 500 seeds of either size showed when the
 * floors were set, at least 1). */
static const struct statdef STATS[] = {
    {"entries proposed", STAT(batches), 2700},
    {"commands proposed", STAT(commands), 4300},
    {"full batches proposed early", STAT(batches_full), 190},
    {"entries batching several sessions", STAT(multi_session_entries), 930},
    {"entries of stale leaders", STAT(stale_leader_entries), 15},
    {"RESULTs routed", STAT(results), 4000},
    {"BUSY answers", STAT(busy), 2300},
    {"NOT_LEADER / NO_LEADER answers", STAT(not_leader), 4600},
    {"commands lost with their entry", STAT(lost), 440},
    {"... after raft took them (executed UNKNOWN)", STAT(lost_unknown), 170},
    {"ERRORs seen executed NOT", STAT(exec_not_seen), 6000},
    {"ERRORs seen executed UNKNOWN", STAT(exec_unknown_seen), 160},
    {"barriers", STAT(barriers), 540},
    {"linearizable reads checked", STAT(reads_linearizable), 580},
    {"stale reads checked", STAT(reads_stale), 400},
    {"status replies checked", STAT(status_replies), 185},
    {"expiry sweeps", STAT(sweeps), 139},
    {"sweeps chained (holds still due)", STAT(sweeps_chained), 22},
    {"sweeps leaving holds due", STAT(sweeps_left_due), 25},
    {"holds expired by sweeps", STAT(holds_swept), 165},
    {"HOLD_EXPIRED refusals", STAT(hold_expired), 117},
    {"seeds with scheduled pools", STAT(sched_seeds), 9},
    {"scheduled pools", STAT(sched_pools), 23},
    {"scheduled pools flowed back", STAT(sched_flowed), 19},
    {"flow-back SWEEPs queued", STAT(flow_sweeps), 17},
    {"SWEEPs chained (pools still due)", STAT(flow_sweeps_chained), 1},
    {"SWEEPs applied", STAT(sweep_cmds), 14},
    {"SWEEPs leaving pools due", STAT(sweep_left_due), 1},
    {"SWEEPs finding nothing due (CEILS)", STAT(sweep_noop), 0},
    {"SWEEPs stamped before the earliest due (CEILS)", STAT(sweep_early), 0},
    {"flow-backs with held or booked slots", STAT(flows_with_claims), 9},
    {"flow-backs into a named share", STAT(flows_to_share), 6},
    {"flow-backs after healing", STAT(flows_after_heal), 4},
    {"resends", STAT(resends), 7400},
    {"silent connections closed", STAT(timeouts), 356},
    {"connections closed with answers due", STAT(conns_closed_pending), 31},
    {"frames a paused server handled later", STAT(paused_deliveries), 144},
    {"requests applied by two entries", STAT(dup_applies), 137},
    {"client restarts", STAT(client_restarts), 36},
    {"skipped request numbers", STAT(seq_skips), 126},
    {"acks", STAT(acks), 4000},
    {"leader changes", STAT(leader_changes), 71},
    {"nemesis: isolate", NEM(NEM_ISOLATE), 42},
    {"nemesis: split", NEM(NEM_SPLIT), 43},
    {"nemesis: cut", NEM(NEM_CUT), 42},
    {"nemesis: heal partitions", NEM(NEM_HEAL), 126},
    {"nemesis: drop", NEM(NEM_DROP), 88},
    {"nemesis: stop dropping", NEM(NEM_UNDROP), 77},
    {"nemesis: kill", NEM(NEM_KILL), 25},
    {"nemesis: revive", NEM(NEM_REVIVE), 21},
    {"nemesis: io fault", NEM(NEM_IO_FAULT), 17},
    {"nemesis: depose", NEM(NEM_DEPOSE), 10},
    {"nemesis: transfer (through the core)", NEM(NEM_TRANSFER), 6},
    {"nemesis: network latency", NEM(NEM_NET_LATENCY), 74},
    {"nemesis: disk latency", NEM(NEM_DISK_LATENCY), 61},
    {"nemesis: election timeouts", NEM(NEM_TIMEOUTS), 27},
    {"nemesis: clock skew", NEM(NEM_SKEW), 25},
    {"nemesis: wall clock step", NEM(NEM_CLOCK_STEP), 50},
    {"... of the leader", STAT(clock_steps_leader), 20},
    {"leader clock reads outside the band", STAT(clock_clamped), 3000},
    {"hold expiries timed", STAT(expiries_timed), 500},
    {"... before hold + TTL (within the bound)", STAT(expiries_early), 20},
    {"leader ticks over max skew behind", STAT(leader_behind), 100},
    {"snapshots taken", STAT(snapshots_taken), 330},
    {"snapshots restored", STAT(snapshots_restored), 13},
    {"InstallSnapshot received", STAT(install_snapshots), 17},
    {"InstallSnapshot while installing", STAT(install_overlaps), 1},
    {"installs parked (snapshot_pending)", STAT(pending_installs), 0},
    {"I/O error fail-stops", STAT(io_crashes), 15},
    {"WA install term", STAT(wa_install_term), 0},
    {"WA commit regress", STAT(wa_commit_regress), 0},
    {"WA prev in snapshot", STAT(wa_prev_in_snapshot), 0},
    {"WA install deferred", STAT(wa_install_defer), 0},
    {"WA fixture truncate", STAT(wa_truncate), 0},
    {"WA pre-vote term", STAT(wa_prevote_term), 0},
    {"raft allocations (all freed)", STAT(raft_allocs), 0},
    {NULL, 0, 0},
};

static uint64_t statOf(const struct sim_stats *t, size_t off)
{
    uint64_t v;
    memcpy(&v, (const char *)t + off, sizeof v);
    return v;
}

static void printStats(const char *what, unsigned seeds,
                       const struct sim_stats *t)
{
    printf("  %s: %u seeds:", what, seeds);
    for (const struct statdef *d = STATS; d->name != NULL; d++) {
        printf("%s%s %" PRIu64, (d - STATS) % 4 == 0 ? "\n    " : "; ", d->name,
               statOf(t, d->off));
    }
    printf("\n");
}

/* What must stay rare: at most pct % of another count. A SWEEP finding
 * nothing due is legitimate (a deposed leader's SWEEP that the next leader
 * commits after its own, or one added to a batch begun before it was due)
 * but a core proposing SWEEPs that are not due makes many. */
struct statceil {
    const char *name;
    size_t off, of;
    unsigned pct;
};

static const struct statceil CEILS[] = {
    {"SWEEPs finding nothing due", STAT(sweep_noop), STAT(sweep_cmds), 15},
    {"SWEEPs stamped before the earliest due", STAT(sweep_early),
     STAT(sweep_cmds), 15},
    {NULL, 0, 0, 0},
};

/* Every floor and ceiling, scaled to the seeds run. Below FLOOR_SEEDS_MIN
 * seeds they are not checked (rare cases need many seeds); `make test`
 * runs 500. */
static unsigned checkFloors(unsigned seeds, const struct sim_stats *t)
{
    unsigned failed = 0;
    if (seeds < FLOOR_SEEDS_MIN) {
        printf("  (floors not checked below %u seeds)\n", FLOOR_SEEDS_MIN);
        return 0;
    }
    for (const struct statceil *c = CEILS; c->name != NULL; c++) {
        uint64_t of = statOf(t, c->of);
        if (statOf(t, c->off) * 100 > of * c->pct) {
            fprintf(stderr,
                    "  CEILING: %s happened %" PRIu64 " times in %u seeds, "
                    "want <= %u %% of %" PRIu64 "\n",
                    c->name, statOf(t, c->off), seeds, c->pct, of);
            failed++;
        }
    }
    for (const struct statdef *d = STATS; d->name != NULL; d++) {
        uint64_t want = (uint64_t)d->per100 * seeds / 100;
        if (d->per100 > 0 && want == 0) {
            want = 1;
        }
        if (statOf(t, d->off) < want) {
            fprintf(stderr,
                    "  FLOOR: %s happened %" PRIu64 " times in %u seeds, "
                    "want >= %" PRIu64 "\n",
                    d->name, statOf(t, d->off), seeds, want);
            failed++;
        }
    }
    return failed;
}

/* One whole seed. Exits non-zero (via SIM_CHECK) on the first violation. */
static void simOne(uint64_t seed, bool trace, struct sim_stats *out)
{
    struct sim_params p;
    paramsFromSeed(seed, &p);
    struct sim *s = xrealloc(NULL, sizeof *s);
    simInit(s, seed, &p, trace);
    simRun(s);
    simCheck(s);
    simClose(s);
    if (trace) {
        printStats("seed", 1, &s->st);
    }
    if (out != NULL) {
        *out = s->st;
    }
    free(s);
}

/* ---- scenarios ----------------------------------------------------------- */

static void scenarioParams(struct sim_params *p, unsigned n,
                           unsigned workarounds)
{
    memset(p, 0, sizeof *p);
    p->n = n;
    p->n_voters = n;
    p->threshold = 8;
    p->trailing = 2;
    p->pre_vote = true;
    p->max_inflight = 64;
    p->n_clients = 3;
    p->n_pools = 2;
    p->workarounds = workarounds;
    p->reads = true;
    p->batch_cmds_max = 8;
    p->batch_bytes_max = 1u << 20;
    p->inflight_max = 4;
    p->reads_max = 8;
    p->conn_pending_max = 8;
    p->expire_max = 4;
    p->epoch_ms = SIM_EPOCH_MS;
    p->max_skew_ms = 1000;
}

static bool takingSnapshot(struct sim *s, unsigned i)
{
    return raft_fixture_get(&s->fx, i)->legacy.snapshot_taking;
}

/* Keeps a few commands on their way so the leader always has entries to
 * add (the filler's EXPIRE commands, through the cores like any other). */
static void keepBusy(struct sim *s)
{
    while (s->clients[OWNER_FILLER].inflight < 4) {
        struct slot_cmd c = {.op = SLOT_OP_EXPIRE};
        c.u.expire.max = 1;
        reqNew(s, OWNER_FILLER, c);
    }
}

static bool scenarioTrace(void)
{
    return getenv("SIM_TRACE") != NULL;
}

/* Steps until admin request id is answered. */
static int waitAdmin(struct sim *s, uint32_t id)
{
    uint64_t limit = simNow(s) + 30000;
    while (s->adms[id].state == ITEM_SENT) {
        SIM_CHECK(s, simNow(s) < limit, "admin op %u never answered",
                  s->adms[id].a.op);
        simStep(s);
    }
    SIM_CHECK(s, s->adms[id].state == ITEM_DONE, "admin op %u abandoned",
              s->adms[id].a.op);
    return s->adms[id].code;
}

#define SP_FOLLOWER 2

/* The follower crash fixed by node/deps/raft-0.22.1-snapshot-pending.patch:
 * a follower starts writing its own snapshot (its disk is slow: 2 s), is
 * cut off while the leader compacts its log past everything the follower
 * has, and is reconnected while still writing: the leader's InstallSnapshot
 * arrives in the middle of the write and raft parks it in
 * legacy.snapshot_pending; when the write completes takeSnapshotCb starts
 * the parked install. Unpatched, it cleared snapshot_pending before reading
 * it and dereferenced NULL. workarounds: WA_* (with WA_INSTALL_DEFER the
 * shim holds the install back instead, and the parking never happens). */
static void scenarioSnapshotPending(unsigned workarounds, struct sim_stats *out)
{
    struct sim_params p;
    scenarioParams(&p, 3, workarounds);
    struct sim *s = xrealloc(NULL, sizeof *s);
    simInit(s, 0x5eed, &p, scenarioTrace());
    const unsigned f = SP_FOLLOWER;
    for (unsigned i = 0; i < p.n; i++) {
        setLatency(s, i, 5, false);
        setLatency(s, i, i == f ? 2000 : 5, true);
    }
    raft_fixture_elect(&s->fx, 0);

    uint64_t limit = simNow(s) + 60000;
    while (!takingSnapshot(s, f)) {
        SIM_CHECK(s, simNow(s) < limit, "the follower never snapshots");
        keepBusy(s);
        simStep(s);
    }
    simLog(s, "scenario: server %u writes a snapshot; cut it off", f);
    for (unsigned j = 0; j < p.n; j++) {
        s->cut[f][j] = s->cut[j][f] = j != f;
    }
    netApply(s);
    /* Everything appended from now on is beyond the follower's log: wait
     * until the leader's snapshot (trailing 2) is well past it. */
    raft_index beyond = raft_fixture_get(&s->fx, 0)->last_stored + 5;
    while (s->nodes[0].shim.snap_index < beyond) {
        SIM_CHECK(s, takingSnapshot(s, f),
                  "the follower's snapshot completed too early");
        keepBusy(s);
        simStep(s);
    }
    simLog(s, "scenario: leader snapshot at %llu; reconnect server %u",
           (unsigned long long)s->nodes[0].shim.snap_index, f);
    memset(s->cut, 0, sizeof s->cut);
    netApply(s);
    uint64_t pending = s->st.pending_installs;
    uint64_t deferred = s->st.wa_install_defer;
    while (takingSnapshot(s, f)) {
        simStep(s);
    }
    simLog(s, "scenario: server %u's snapshot write completed", f);
    if (workarounds & WA_INSTALL_DEFER) {
        SIM_CHECK(s, s->st.wa_install_defer > deferred,
                  "no InstallSnapshot arrived during the snapshot write");
    } else {
        SIM_CHECK(s, s->st.pending_installs > pending,
                  "no InstallSnapshot was parked in snapshot_pending");
    }
    simFinish(s);
    simCheck(s);
    const struct fsm *ff = &s->nodes[f].fsm;
    SIM_CHECK(s, ff->snapshots_taken >= 1 && ff->snapshots_restored >= 1,
              "server %u took %" PRIu64 " snapshots, restored %" PRIu64, f,
              ff->snapshots_taken, ff->snapshots_restored);
    simClose(s);
    *out = s->st;
    free(s);
}

#define SA_OLD_LEADER 0

/* The parked InstallSnapshot again, on a deposed leader this time: while
 * the install waits for the server's own snapshot write, raft's core has
 * already moved its log to the installed snapshot but legacy.c's copy of the
 * log still holds the old entries; the next heartbeat raises the commit
 * index and legacy.c applies those entries, including ones the deposed
 * leader appended but that were never committed (State Machine Safety).
 * The old leader (slow disk: a 6 s snapshot write) is isolated right after
 * it starts a snapshot, its core takes a few client requests it can never
 * commit, the other two elect a leader, commit past it and compact, and
 * then it comes back. Without WA_INSTALL_DEFER the clients' retries of
 * those requests meet their stale first copies: exactly-once and replay
 * checks fail. */
static void scenarioStaleApply(unsigned workarounds, struct sim_stats *out)
{
    struct sim_params p;
    scenarioParams(&p, 3, workarounds);
    struct sim *s = xrealloc(NULL, sizeof *s);
    simInit(s, 0x57a1e, &p, scenarioTrace());
    const unsigned o = SA_OLD_LEADER;
    for (unsigned i = 0; i < p.n; i++) {
        setLatency(s, i, 5, false);
        setLatency(s, i, i == o ? 6000 : 5, true);
    }
    raft_fixture_elect(&s->fx, o);
    /* Once o is cut off, one survivor campaigns well before the other
     * (timers drawn in the same 100 ms tick split the vote round after
     * round, and o's snapshot write would end first). */
    raft_fixture_set_randomized_election_timeout(&s->fx, (o + 1) % p.n, 1000);
    raft_fixture_set_randomized_election_timeout(&s->fx, (o + 2) % p.n, 1900);
    uint64_t limit = simNow(s) + 60000;
    while (!takingSnapshot(s, o) || s->clients[1].session == 0) {
        SIM_CHECK(s, simNow(s) < limit, "the leader never snapshots");
        keepBusy(s);
        simStep(s);
    }
    simLog(s, "scenario: leader %u writes a snapshot; isolate it", o);
    for (unsigned j = 0; j < p.n; j++) {
        s->cut[o][j] = s->cut[j][o] = j != o;
    }
    netApply(s);
    /* Client requests its core takes and can never commit (their clients
     * will send them again to the new leader). */
    s->hold_sends = true;
    uint32_t clients_queued = 0;
    while (clients_queued < 6) {
        simStep(s);
        clients_queued = 0;
        for (uint32_t k = 0; k < s->n_queue; k++) {
            clients_queued += s->reqs[s->queue[k]].client < SIM_CLIENTS_MAX;
        }
    }
    for (uint32_t k = 0; k < s->n_queue;) {
        uint32_t id = s->queue[k];
        if (s->reqs[id].client < SIM_CLIENTS_MAX) {
            queueRemove(s, id);
            sendReqTo(s, id, o);
        } else {
            k++;
        }
    }
    flushCores(s);
    s->hold_sends = false;
    /* (The fixture sees no stable leader while o is cut off: it counts
     * only saturated links as down.) */
    unsigned l = p.n;
    raft_index applied = raft_last_applied(raft_fixture_get(&s->fx, o));
    while (l == p.n || s->nodes[l].shim.snap_index < applied + 40) {
        SIM_CHECK(s, takingSnapshot(s, o),
                  "the old leader's snapshot completed too early");
        keepBusy(s);
        simStep(s);
        l = p.n;
        for (unsigned i = 0; i < p.n; i++) {
            if (i != o &&
                raft_state(raft_fixture_get(&s->fx, i)) == RAFT_LEADER) {
                l = i;
            }
        }
    }
    simLog(s, "scenario: leader %u snapshot at %llu; reconnect %u", l,
           (unsigned long long)s->nodes[l].shim.snap_index, o);
    memset(s->cut, 0, sizeof s->cut);
    netApply(s);
    while (takingSnapshot(s, o)) {
        simStep(s);
    }
    simFinish(s);
    simCheck(s);
    simClose(s);
    *out = s->st;
    free(s);
}

/* Disk errors: one on a follower, then one on the leader, of five
 * servers. With WA_IO_FAIL_STOP each stops its server for good and the
 * other three carry on; without it raft 0.22.1 gets the error itself. */
static void scenarioIoFault(unsigned workarounds, struct sim_stats *out)
{
    struct sim_params p;
    scenarioParams(&p, 5, workarounds);
    struct sim *s = xrealloc(NULL, sizeof *s);
    simInit(s, 0x10fa, &p, scenarioTrace());
    raft_fixture_elect(&s->fx, 0);
    while (simNow(s) < 3000) {
        simStep(s);
    }
    raft_fixture_io_fault(&s->fx, 3, 2, 1);
    s->fault_armed = true;
    simLog(s, "scenario: io fault on follower 3");
    while (simNow(s) < 6000) {
        simStep(s);
    }
    unsigned l = raft_fixture_leader_index(&s->fx);
    SIM_CHECK(s, l < p.n, "no leader at 6 s");
    raft_fixture_io_fault(&s->fx, l, 2, 2);
    s->fault_armed = true;
    simLog(s, "scenario: io fault on leader %u", l);
    while (simNow(s) < 12000) {
        simStep(s);
    }
    simFinish(s);
    simCheck(s);
    SIM_CHECK(s, s->st.io_crashes == 2, "%" PRIu64 " servers stopped",
              s->st.io_crashes);
    simClose(s);
    *out = s->st;
    free(s);
}

#define MB_NEW     3 /* the server added (id 4) */
#define MB_REMOVED 1 /* the server removed (id 2) */

/* Membership through the cores, as slotctl does it: of four servers three
 * are bootstrapped; the leader's core adds the fourth (ADD, then ASSIGN
 * voter) and removes one (REMOVE). The leader's core asks the shell to
 * tell the removed server (tell_removed, with its client address); the
 * LEAVE frame reaches that server's core, which calls removed_cb (slotd
 * stops there). Wrong requests get their codes: a change on a follower
 * NOT_LEADER, a duplicate id INVALID_ARGUMENT, a LEAVE naming another
 * server INVALID_ARGUMENT. Clients run all along; at the end the three
 * members agree, the new one included. */
static void scenarioMembership(unsigned workarounds, struct sim_stats *out)
{
    struct sim_params p;
    scenarioParams(&p, 4, workarounds);
    p.n_voters = 3;
    struct sim *s = xrealloc(NULL, sizeof *s);
    simInit(s, 0x3e3b, &p, scenarioTrace());
    raft_fixture_elect(&s->fx, 0);
    while (simNow(s) < 3000) {
        simStep(s);
    }
    uint64_t limit;
    struct slot_admin a = {.op = SLOT_ADMIN_ADD, .id = MB_NEW + 1};
    snprintf(a.address, sizeof a.address, "%u/sim:%u", MB_NEW + 1, MB_NEW + 1);
    uint32_t on_follower = sendAdmin(s, 1, &a, SLOT_NOT_LEADER);
    CHECK_EQ(waitAdmin(s, on_follower), SLOT_NOT_LEADER);
    /* A follower refuses before raft sees the change: a client may send
     * it to the leader without any doubt. */
    CHECK_EQ(s->adms[on_follower].executed, SLOT_EXEC_NOT);
    /* The ADD, and right behind it (the same turn of the leader's loop,
     * before the ADD can commit) a second change and a status: raft
     * refuses the change CANTCHANGE (BUSY, not executed), and the status
     * shows the ADD's configuration entry not committed yet. */
    uint32_t add = sendAdmin(s, 0, &a, SLOT_OK);
    struct slot_admin early = {
        .op = SLOT_ADMIN_ASSIGN, .id = MB_NEW + 1, .role = SLOT_ROLE_VOTER};
    uint32_t busy = sendAdmin(s, 0, &early, SLOT_BUSY);
    struct slot_admin stat = {.op = SLOT_ADMIN_STATUS, .no_hash = true};
    uint32_t during = sendAdmin(s, 0, &stat, SLOT_OK);
    CHECK_EQ(waitAdmin(s, add), SLOT_OK);
    CHECK_EQ(waitAdmin(s, busy), SLOT_BUSY);
    CHECK_EQ(s->adms[busy].executed, SLOT_EXEC_NOT);
    CHECK_EQ(waitAdmin(s, during), SLOT_OK);
    const struct slot_node_status *ds = &s->adms[during].status;
    CHECK(ds->config_uncommitted_index > ds->config_committed_index);
    CHECK(node_core_stats(s->nodes[0].core)->cantchange >= 1);
    uint32_t after = sendAdmin(s, 0, &stat, SLOT_OK);
    CHECK_EQ(waitAdmin(s, after), SLOT_OK);
    CHECK_EQ(s->adms[after].status.config_uncommitted_index, 0);
    CHECK_EQ(s->adms[after].status.config_committed_index,
             ds->config_uncommitted_index);
    CHECK_EQ(waitAdmin(s, sendAdmin(s, 0, &a, SLOT_INVALID_ARGUMENT)),
             SLOT_INVALID_ARGUMENT);
    /* A promotion of a spare that is cut off and behind: raft catches it
     * up first, gives up when a round lasts too long (NOCONNECTION: IO;
     * 1 s here instead of raft's 5, under the operator's 2.5 s attempt
     * timeout), and never appended the configuration entry: not
     * executed. */
    raft_set_max_catch_up_round_duration(raft_fixture_get(&s->fx, 0), 1000);
    for (unsigned j = 0; j < p.n; j++) {
        s->cut[MB_NEW][j] = s->cut[j][MB_NEW] = j != MB_NEW;
    }
    netApply(s);
    limit = simNow(s) + 1000;
    while (simNow(s) < limit) {
        keepBusy(s);
        simStep(s);
    }
    a = (struct slot_admin){
        .op = SLOT_ADMIN_ASSIGN, .id = MB_NEW + 1, .role = SLOT_ROLE_VOTER};
    uint32_t aborted = sendAdmin(s, 0, &a, SLOT_IO);
    CHECK_EQ(waitAdmin(s, aborted), SLOT_IO);
    CHECK_EQ(s->adms[aborted].executed, SLOT_EXEC_NOT);
    memset(s->cut, 0, sizeof s->cut);
    netApply(s);
    CHECK_EQ(waitAdmin(s, sendAdmin(s, 0, &a, SLOT_OK)), SLOT_OK);
    a = (struct slot_admin){.op = SLOT_ADMIN_LEAVE, .id = 1};
    CHECK_EQ(waitAdmin(s, sendAdmin(s, 2, &a, SLOT_INVALID_ARGUMENT)),
             SLOT_INVALID_ARGUMENT);
    a = (struct slot_admin){.op = SLOT_ADMIN_REMOVE, .id = MB_REMOVED + 1};
    CHECK_EQ(waitAdmin(s, sendAdmin(s, 0, &a, SLOT_OK)), SLOT_OK);
    limit = simNow(s) + 10000;
    while (!s->removed[MB_REMOVED]) {
        SIM_CHECK(s, simNow(s) < limit, "the removed server never knew");
        simStep(s);
    }
    CHECK(node_core_removed(s->nodes[MB_REMOVED].core));
    /* slotd stops there. */
    s->crashed[MB_REMOVED] = s->dead[MB_REMOVED] = true;
    netApply(s);
    while (simNow(s) < 12000) {
        simStep(s);
    }
    simFinish(s);
    simCheck(s);
    CHECK(raft_last_applied(raft_fixture_get(&s->fx, MB_NEW)) > 0);
    for (unsigned i = 0; i < p.n; i++) {
        CHECK_EQ(node_core_removed(s->nodes[i].core), i == MB_REMOVED);
    }
    simClose(s);
    *out = s->st;
    free(s);
}

#define CU_NEW 3 /* the server promoted (id 4) */

/* The catch_up scenario's parameter sets: the promotee's network latency
 * (its replies to the leader) and disk latency, and the seed. Unpatched,
 * 975 and 990 ms fail (round 10 ends slow between two ticks; still
 * promoting after 24 s, in round 24 or 23); patched, they abort when round
 * 10 ends. 1000 ms aborts in round 10 (on a tick) and 965 ms promotes in
 * round 6 (a round under the election timeout), patched or not. */
static const struct {
    unsigned net_ms, disk_ms;
    uint64_t seed;
} CU_CASES[] = {
    {5, 965, 0xc47c},
    {5, 975, 0xc47c},
    {5, 990, 0xc47c},
    {5, 1000, 0xc47c},
};
#define CU_N_CASES (sizeof CU_CASES / sizeof CU_CASES[0])
static unsigned cuCase; /* the one scenarioCatchUp runs (set before fork) */

/* A promotion that never ends, fixed by
 * node/deps/raft-0.22.1-catchup-rounds.patch. raft promotes a server to
 * voter after catching it up in rounds (each round: replicate up to the
 * leader's last index at the round's start); after max_catch_up_rounds
 * (10) it should promote if the last round was faster than an election
 * timeout, and give up otherwise. raft 0.22.1 gives up only on a leader
 * tick that sees round == 10 (==) still running past an election timeout:
 * a round 10 lasting a little over the timeout that ends between two
 * ticks starts round 11, and from there on, while rounds take between an
 * election timeout and max_catch_up_round_duration (5 s), the promotion
 * neither completes nor aborts, and raft refuses every membership change
 * (CANTCHANGE, BUSY) until the load stops. Here the promotee's disk (and
 * link) make every round last a bit over raft's election timeout (1 s in
 * the fixture) while the clients keep writing; the promotion must be over
 * (promoted, or aborted: the ASSIGN answered IO, not executed) within
 * (max_catch_up_rounds + 2) max_catch_up_round_duration, and a change
 * after it is accepted. Whether round 10 ends between two ticks depends
 * on the phase of round ends against ticks: CU_CASES sweeps latencies. */
static void scenarioCatchUp(unsigned workarounds, struct sim_stats *out)
{
    struct sim_params p;
    scenarioParams(&p, 4, workarounds);
    p.n_voters = 3;
    /* slotd's trailing: the promotee, a disk write behind, needs no
     * InstallSnapshot. */
    p.threshold = 1024;
    p.trailing = 16384;
    struct sim *s = xrealloc(NULL, sizeof *s);
    simInit(s, CU_CASES[cuCase].seed, &p, scenarioTrace());
    for (unsigned i = 0; i < p.n; i++) {
        setLatency(s, i, i == CU_NEW ? CU_CASES[cuCase].net_ms : 5, false);
        setLatency(s, i, i == CU_NEW ? CU_CASES[cuCase].disk_ms : 5, true);
    }
    raft_fixture_elect(&s->fx, 0);
    struct raft *r = raft_fixture_get(&s->fx, 0);
    /* Rounds here last about 1 s: a 2 s bound on one (raft's is 5 s)
     * keeps the bound on the whole promotion, and this scenario when it
     * fails, short. */
    raft_set_max_catch_up_round_duration(r, 2000);
    while (simNow(s) < 2000) {
        keepBusy(s);
        simStep(s);
    }
    struct slot_admin a = {.op = SLOT_ADMIN_ADD, .id = CU_NEW + 1};
    snprintf(a.address, sizeof a.address, "%u/sim:%u", CU_NEW + 1, CU_NEW + 1);
    CHECK_EQ(waitAdmin(s, sendAdmin(s, 0, &a, SLOT_OK)), SLOT_OK);
    /* A standby first: raft replicates to it (no catch-up), so that it
     * is as far behind as its disk keeps it when the promotion starts
     * (an empty spare's first round is one disk write, and fast). */
    a = (struct slot_admin){
        .op = SLOT_ADMIN_ASSIGN, .id = CU_NEW + 1, .role = SLOT_ROLE_STANDBY};
    CHECK_EQ(waitAdmin(s, sendAdmin(s, 0, &a, SLOT_OK)), SLOT_OK);
    uint64_t until = simNow(s) + 3000;
    while (simNow(s) < until) {
        keepBusy(s);
        simStep(s);
    }
    /* The operator waits for the ASSIGN's answer however long it takes. */
    s->admin_patient = true;
    a = (struct slot_admin){
        .op = SLOT_ADMIN_ASSIGN, .id = CU_NEW + 1, .role = SLOT_ROLE_VOTER};
    uint64_t start = simNow(s);
    uint32_t assign = sendAdmin(s, 0, &a, -1);
    uint64_t limit = start + (uint64_t)(r->max_catch_up_rounds + 2) *
                                 r->max_catch_up_round_duration;
    bool started = false;
    unsigned round = 0, rounds = 0;
    uint64_t round_ms = start;
    while (!started || r->leader_state.promotee_id != 0) {
        SIM_CHECK(s, raft_state(r) == RAFT_LEADER,
                  "server 0 lost leadership during the promotion");
        SIM_CHECK(s, simNow(s) < limit,
                  "the promotion of server %u is still in progress after "
                  "%" PRIu64 " ms, in catch-up round %u (raft gives up after "
                  "round %u): every membership change is refused",
                  CU_NEW + 1, simNow(s) - start, round, r->max_catch_up_rounds);
        started = started || r->leader_state.promotee_id != 0;
        if (started && r->leader_state.round_number != round) {
            simLog(s,
                   "scenario: catch-up round %u, the previous one took "
                   "%" PRIu64 " ms",
                   r->leader_state.round_number, simNow(s) - round_ms);
            round = r->leader_state.round_number;
            round_ms = simNow(s);
            rounds = round > rounds ? round : rounds;
        }
        keepBusy(s);
        simStep(s);
    }
    uint64_t took = simNow(s) - start;
    int code = waitAdmin(s, assign);
    unsigned k = 0;
    while (r->configuration.servers[k].id != CU_NEW + 1) {
        k++;
    }
    bool voter = r->configuration.servers[k].role == RAFT_VOTER;
    simLog(s, "scenario: promotion over after %" PRIu64 " ms, %u rounds: %s",
           took, rounds, voter ? "promoted" : "aborted");
    if (voter) {
        CHECK_EQ(code, SLOT_OK);
    } else {
        CHECK_EQ(code, SLOT_IO);
        CHECK_EQ(s->adms[assign].executed, SLOT_EXEC_NOT);
    }
    s->admin_patient = false;
    /* The next change is accepted (a demotion; after an abort, to spare
     * and back: a spare gets no entries, and simFinish waits for all). */
    a.role = voter ? SLOT_ROLE_STANDBY : SLOT_ROLE_SPARE;
    CHECK_EQ(waitAdmin(s, sendAdmin(s, 0, &a, SLOT_OK)), SLOT_OK);
    if (!voter) {
        a.role = SLOT_ROLE_STANDBY;
        CHECK_EQ(waitAdmin(s, sendAdmin(s, 0, &a, SLOT_OK)), SLOT_OK);
    }
    simFinish(s);
    simCheck(s);
    simClose(s);
    *out = s->st;
    out->catchup_rounds = rounds;
    out->catchup_ms = took;
    out->catchup_promoted = voter;
    out->catchup_aborted = !voter;
    free(s);
}

struct child {
    int status;
    bool pending; /* the child reported a parked InstallSnapshot */
    bool stats;   /* st is valid: the child finished */
    struct sim_stats st;
    char err[512]; /* the start of what it wrote to stderr */
};

/* Runs fn(workarounds) in a child process and collects what it reported. */
static void runChild(void (*fn)(unsigned, struct sim_stats *),
                     unsigned workarounds, struct child *out)
{
    int fds[2], errfds[2];
    memset(out, 0, sizeof *out);
    CHECK(pipe(fds) == 0 && pipe(errfds) == 0);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        struct sim_stats st;
        close(fds[0]);
        close(errfds[0]);
        if (!scenarioTrace()) { /* a trace goes to the terminal */
            dup2(errfds[1], STDERR_FILENO);
        }
        close(errfds[1]);
        reportFd = fds[1];
        fn(workarounds, &st);
        char b = 'S';
        if (write(fds[1], &b, 1) != 1 ||
            write(fds[1], &st, sizeof st) != (ssize_t)sizeof st) {
            _exit(3);
        }
        _exit(0);
    }
    close(fds[1]);
    close(errfds[1]);
    char b;
    while (read(fds[0], &b, 1) == 1) {
        if (b == 'P') {
            out->pending = true;
        } else if (b == 'S') {
            out->stats = read(fds[0], &out->st, sizeof out->st) ==
                         (ssize_t)sizeof out->st;
        }
    }
    close(fds[0]);
    size_t got = 0;
    ssize_t r;
    char sink[256];
    while (
        (r = read(errfds[0], got < sizeof out->err - 1 ? out->err + got : sink,
                  got < sizeof out->err - 1 ? sizeof out->err - 1 - got
                                            : sizeof sink)) > 0) {
        if (got < sizeof out->err - 1) {
            got += (size_t)r;
        }
    }
    close(errfds[0]);
    out->err[got] = '\0';
    while (waitpid(pid, &out->status, 0) < 0 && errno == EINTR) {
    }
}

/* The first line the child wrote to stderr ("" if none), for reports. */
static const char *childFirstLine(struct child *c)
{
    char *nl = strchr(c->err, '\n');
    if (nl != NULL) {
        *nl = '\0';
    }
    return c->err;
}

static bool childOk(const struct child *c)
{
    return WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0 && c->stats;
}

static const char *childOutcome(const struct child *c, char *buf, size_t len)
{
    if (childOk(c)) {
        snprintf(buf, len, "passed");
    } else if (WIFSIGNALED(c->status)) {
        snprintf(buf, len, "killed by signal %d", WTERMSIG(c->status));
    } else {
        snprintf(buf, len, "exit status %d", WEXITSTATUS(c->status));
    }
    return buf;
}

static void test_snapshot_pending(void)
{
    char how[64];
    struct child c;
    /* With raft's own behaviour: the install is parked. */
    runChild(scenarioSnapshotPending, WA_ALL & ~WA_INSTALL_DEFER, &c);
    printf("  parked InstallSnapshot (legacy.snapshot_pending): %s, %s\n",
           c.pending ? "reached" : "NOT reached",
           childOutcome(&c, how, sizeof how));
    if (!childOk(&c)) {
        printf("    stderr: %s\n", childFirstLine(&c));
    }
    CHECK(c.pending);
#ifdef SIM_RAFT_NDEBUG
    /* Release raft with the patch: the parked install completes, the
     * follower restores it and converges. Unpatched: SIGSEGV. */
    CHECK(childOk(&c));
#else
    /* Debug raft asserts in TrailSnapshot (see WA_INSTALL_DEFER) before
     * it reaches the patched lines: only a clean pass or that abort. */
    if (!childOk(&c)) {
        printf("    (debug raft: the expected TrailSnapshot assertion, the "
               "bug behind WA_INSTALL_DEFER; test_sim_rel checks the "
               "patch)\n");
        CHECK(WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGABRT &&
              strstr(c.err, "TrailSnapshot") != NULL);
    }
#endif
    /* With the shim holding the install back until the write completes. */
    runChild(scenarioSnapshotPending, WA_ALL, &c);
    printf("  InstallSnapshot held back by the shim: %s\n",
           childOutcome(&c, how, sizeof how));
    if (!childOk(&c)) {
        fprintf(stderr, "%s", c.err);
    }
    CHECK(childOk(&c) && !c.pending && c.st.wa_install_defer > 0);
}

static void test_stale_apply(void)
{
    char how[64];
    struct child c;
    runChild(scenarioStaleApply, WA_ALL, &c);
    printf("  deposed leader, InstallSnapshot held back by the shim: %s\n",
           childOutcome(&c, how, sizeof how));
    if (!childOk(&c)) {
        fprintf(stderr, "%s", c.err);
    }
    /* ... and the old leader's core did propose entries it never
     * committed (their commands were answered NOT_LEADER / NO_LEADER),
     * saying that they may have been executed: raft had taken them. */
    CHECK(childOk(&c) && c.st.wa_install_defer > 0 &&
          c.st.stale_leader_entries > 0 && c.st.lost > 0);
    printf("  commands lost in flight: %" PRIu64 " (%" PRIu64
           " answered executed UNKNOWN, %" PRIu64 " such ERRORs seen)\n",
           c.st.lost, c.st.lost_unknown, c.st.exec_unknown_seen);
    CHECK(c.st.lost_unknown > 0 && c.st.exec_unknown_seen > 0);
    /* raft 0.22.1's own behaviour (the patched parking): reported, not
     * judged. It fails the checks today. */
    runChild(scenarioStaleApply, WA_ALL & ~WA_INSTALL_DEFER, &c);
    printf("  the same with the install parked by raft 0.22.1: %s%s\n",
           childOutcome(&c, how, sizeof how),
           c.pending ? " (snapshot_pending reached)" : "");
    if (!childOk(&c)) {
        printf("    stderr: %s\n", childFirstLine(&c));
    }
}

static void test_membership(void)
{
    char how[64];
    struct child c;
    runChild(scenarioMembership, DEFAULT_WORKAROUNDS, &c);
    printf("  add, promote and remove through the cores, LEAVE notice: %s\n",
           childOutcome(&c, how, sizeof how));
    if (!childOk(&c)) {
        fprintf(stderr, "%s", c.err);
    }
    CHECK(childOk(&c) && c.st.admin_changes >= 3);
}

static void test_catch_up(void)
{
    char how[64];
    struct child c;
    unsigned failed = 0, reached = 0;
    for (cuCase = 0; cuCase < CU_N_CASES; cuCase++) {
        runChild(scenarioCatchUp, DEFAULT_WORKAROUNDS, &c);
        printf("  promotee %u ms network, %u ms disk, seed %#" PRIx64 ": %s",
               CU_CASES[cuCase].net_ms, CU_CASES[cuCase].disk_ms,
               CU_CASES[cuCase].seed, childOutcome(&c, how, sizeof how));
        if (childOk(&c)) {
            printf(", %s after %" PRIu64 " ms in %" PRIu64 " rounds\n",
                   c.st.catchup_promoted ? "promoted" : "aborted",
                   c.st.catchup_ms, c.st.catchup_rounds);
            reached += c.st.catchup_rounds >= 10;
        } else {
            printf("\n");
            fprintf(stderr, "%s", c.err);
            failed++;
        }
    }
    CHECK_EQ(failed, 0);
    /* Rounds were slow enough to reach raft's last one (10) at least
     * once: the scenario still exercises the case it guards. */
    CHECK(reached >= 1);
}

static void test_io_fault(void)
{
    char how[64];
    struct child c;
    runChild(scenarioIoFault, WA_ALL, &c);
    printf("  disk errors on a follower and the leader, fail-stop: %s\n",
           childOutcome(&c, how, sizeof how));
    if (!childOk(&c)) {
        fprintf(stderr, "%s", c.err);
    }
    CHECK(childOk(&c) && c.st.io_crashes == 2);
    /* What raft 0.22.1 does with the errors itself: reported, not judged
     * (it crashes today; if a fixed raft survives, WA_IO_FAIL_STOP may
     * go). */
    runChild(scenarioIoFault, WA_ALL & ~WA_IO_FAIL_STOP, &c);
    printf("  the same errors handed to raft 0.22.1: %s\n",
           childOutcome(&c, how, sizeof how));
    if (!childOk(&c)) {
        printf("    stderr: %s\n", childFirstLine(&c));
    }
}

/* ---- running many seeds -------------------------------------------------- */

/* Runs seeds [first, first + count) stepping by `stride`, each in its own
 * child, opt.jobs at a time. Per-seed statistics come back through a pipe.
 * Returns the number of failed seeds. */
static unsigned runSeeds(uint64_t first, unsigned count, unsigned stride,
                         struct sim_stats *total)
{
    unsigned jobs = opt.jobs == 0 ? 1 : opt.jobs;
    struct {
        pid_t pid;
        int fd;
        uint64_t seed;
    } run[16];
    unsigned running = 0, next = 0, failed = 0;
    memset(total, 0, sizeof *total);
    while (next < count || running > 0) {
        while (next < count && running < jobs) {
            int fds[2];
            if (pipe(fds) != 0) {
                perror("pipe");
                exit(2);
            }
            uint64_t seed = first + (uint64_t)next * stride;
            fflush(stdout);
            fflush(stderr);
            pid_t pid = fork();
            if (pid < 0) {
                perror("fork");
                exit(2);
            }
            if (pid == 0) {
                struct sim_stats st;
                close(fds[0]);
                simOne(seed, false, &st);
                if (write(fds[1], &st, sizeof st) != (ssize_t)sizeof st) {
                    _exit(3);
                }
                _exit(0);
            }
            close(fds[1]);
            run[running].pid = pid;
            run[running].fd = fds[0];
            run[running].seed = seed;
            running++;
            next++;
        }
        int st = 0;
        pid_t pid;
        while ((pid = wait(&st)) < 0 && errno == EINTR) {
        }
        for (unsigned k = 0; k < running; k++) {
            if (run[k].pid != pid) {
                continue;
            }
            struct sim_stats one;
            ssize_t got = read(run[k].fd, &one, sizeof one);
            close(run[k].fd);
            if (WIFEXITED(st) && WEXITSTATUS(st) == 0 &&
                got == (ssize_t)sizeof one) {
                uint64_t *dst = (uint64_t *)(void *)total;
                const uint64_t *src = (const uint64_t *)(const void *)&one;
                for (size_t f = 0; f < sizeof one / sizeof(uint64_t); f++) {
                    dst[f] += src[f];
                }
            } else {
                failed++;
                if (WIFSIGNALED(st)) {
                    fprintf(stderr, "seed %" PRIu64 ": killed by signal %d\n",
                            run[k].seed, WTERMSIG(st));
                }
                char wa[40] = "";
                if ((opt.workarounds & WA_ALL) != DEFAULT_WORKAROUNDS) {
                    snprintf(wa, sizeof wa, " --workarounds %u",
                             opt.workarounds & WA_ALL);
                }
                fprintf(stderr,
                        "FAILED seed %" PRIu64
                        ": replay with %s --seed %" PRIu64 "%s\n",
                        run[k].seed, opt.argv0, run[k].seed, wa);
            }
            run[k] = run[--running];
            break;
        }
    }
    return failed;
}

/* Seeds of one cluster size: even seeds run 3 servers, odd seeds 5. */
static void runSize(unsigned parity, const char *what)
{
    struct sim_stats total;
    uint64_t first = opt.first + ((opt.first & 1) != parity);
    unsigned failed = runSeeds(first, opt.seeds, 2, &total);
    printStats(what, opt.seeds, &total);
    unsigned low = checkFloors(opt.seeds, &total);
    fflush(stdout);
    CHECK_EQ(failed, 0);
    CHECK_EQ(low, 0);
    CHECK(total.acks > 0);
}

static void test_sim_3(void)
{
    runSize(0, "3 servers");
}

static void test_sim_5(void)
{
    runSize(1, "5 servers");
}

static const struct check_case cases[] = {
    {"snapshot_pending", test_snapshot_pending},
    {"stale_apply", test_stale_apply},
    {"io_fault", test_io_fault},
    {"membership", test_membership},
    {"catch_up", test_catch_up},
    {"sim_3_servers", test_sim_3},
    {"sim_5_servers", test_sim_5},
    {NULL, NULL},
};

static void patientsInit(void)
{
    for (unsigned i = 0; i < SIM_PATIENTS; i++) {
        snprintf(PATIENTS[i], sizeof PATIENTS[i], "pt-%06u", 100 + i * 37);
    }
}

static void usage(void)
{
    fprintf(stderr,
            "usage: %s [--seeds N] [--first S] [--jobs J] "
            "[--workarounds MASK] [--seed N] [NAME]\n",
            opt.argv0);
    exit(2);
}

static uint64_t argNum(const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || end == s) {
        usage();
    }
    return v;
}

int main(int argc, char **argv)
{
    const char *only = NULL;
    bool one = false;
    uint64_t one_seed = 0;
    opt.argv0 = argv[0];
    patientsInit();
    /* The cores log what slotd would (WARN: e.g. a removal); only errors
     * unless a trace is asked for. */
    log_init(0, getenv("SIM_TRACE") != NULL ? LOG_WARN : LOG_ERROR);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seeds") == 0 && i + 1 < argc) {
            opt.seeds = (unsigned)argNum(argv[++i]);
        } else if (strcmp(argv[i], "--first") == 0 && i + 1 < argc) {
            opt.first = argNum(argv[++i]);
        } else if (strcmp(argv[i], "--jobs") == 0 && i + 1 < argc) {
            opt.jobs = (unsigned)argNum(argv[++i]);
        } else if (strcmp(argv[i], "--workarounds") == 0 && i + 1 < argc) {
            opt.workarounds = (unsigned)argNum(argv[++i]);
        } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            one = true;
            one_seed = argNum(argv[++i]);
        } else if (argv[i][0] == '-' || only != NULL) {
            usage();
        } else {
            only = argv[i];
        }
    }
    if (opt.jobs == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        opt.jobs = cpus < 1 ? 1 : cpus > 4 ? 4 : (unsigned)cpus;
    }
    if (opt.jobs > 16) {
        opt.jobs = 16;
    }
    if (one || scenarioTrace()) {
        /* The trace interleaves with raft's, which goes to stderr. */
        setvbuf(stdout, NULL, _IOLBF, 0);
    }
    if (one) {
        simOne(one_seed, true, NULL);
        printf("seed %" PRIu64 ": ok\n1 passed, 0 failed\n", one_seed);
        return 0;
    }
    char *args[2] = {argv[0], (char *)only};
    return check_main(cases, only != NULL ? 2 : 1, args);
}
