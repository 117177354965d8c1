/* bench: the types slotbench's modules share (private to bench/slotbench/
 * and bench/peers/).
 *
 * ---- Shape of a run ---------------------------------------------------------
 *
 *   main thread (slotbench.c)            worker threads (sim.c), 1..T
 *   ─────────────────────────            ──────────────────────────────────
 *   start the system (cluster,           each: a libuv loop, a backend with
 *   gateway, peer), create pools         its own connections, a share of
 *   spawn workers ─────────────────────▶ the simulated patients (tasks) and
 *   every 10 ms: read live counters,     a timer heap driving them
 *   act (kill a leader, poll expiry,
 *   decide the end) ──── r->stop ──────▶ stop issuing, drain, close
 *   join, merge statistics, verify
 *   against the system, write JSON
 *
 * Workers share only `struct run`: read-only configuration, per-pool
 * atomic booking counters and a few atomic flags. Everything else (tasks,
 * histograms, per-millisecond series) is the worker's, merged after join.
 *
 * ---- Backends
 * ---------------------------------------------------------------- A backend
 * (struct be_vt) turns a task's operation into requests to one system and calls
 * sim_complete() exactly once per accepted operation, on the worker's loop.
 * native: libslot; http: slot-gateway through httpc; etcd, redis
 * (bench/peers/): the same burst against the peers, where a "hold" is the whole
 * booking (one compare-and-decrement).
 */
#ifndef SLOTBENCH_BENCH_H
#define SLOTBENCH_BENCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "hist.h"

/* Version of the JSON a run writes ("schema_version"; absent = 1). A
 * reader uses a field only from the version that gave it its meaning.
 *   1  the first (until 2026-12).
 *   2  "run_set" (the make bench run set the file belongs to); result
 *      figures counted exactly over the rate window by operation and
 *      status: "in_window" (counts by op and status name), "ok_holds",
 *      "ok_holds_per_s", "hold_decisions" and "hold_decisions_per_s"
 *      (in 1 the latter was the whole run's hold share times the window's
 *      decisions/s), "peak_hold_decisions_per_s_1s",
 *      "peak_ok_holds_per_s_1s"; latency_ms "accepted" (OK answers of
 *      holds, confirms and releases) and "refused" (every other answer,
 *      SHED and TIMEOUT included), "release_refused"; "series" gains
 *      "hold_decisions_per_s" and "ok_holds_per_s"; params
 *      "disk_probe_ms". */
#define BENCH_SCHEMA_VERSION 2

#define BENCH_POOLS_MAX      64
#define BENCH_THREADS_MAX    8
#define BENCH_CONNS_MAX      256  /* native, etcd, redis */
#define BENCH_HTTP_CONNS_MAX 8192 /* http: HTTPC_CONNS_MAX */
#define BENCH_POINTS_MAX     16
#define BENCH_KILLS_MAX      16
#define BENCH_STATUS_MAX     128 /* status codes are < 128 (slot_err.h) */
#define BENCH_POOL_ID_MAX    64
#define BENCH_CHANNELS       4 /* app, wechat, 114, kiosk */
#define BENCH_BUCKETS        3 /* --rules: a pool's buckets (hosp.h) */

/* Statuses of our own, above slot_err.h's (which end below 110): what an
 * HTTP server answered that is not a ledger code. */
#define BENCH_ERR_RATE_LIMITED 110 /* gateway: 429 */
#define BENCH_ERR_OVERLOADED   111 /* gateway: 503 */
#define BENCH_ERR_AUTH         112 /* 401 / 403 */
#define BENCH_ERR_HTTP         113 /* any other unexpected answer */
#define BENCH_ERR_CONFLICT     114 /* etcd: compare failed (retried inside) */
#define BENCH_ERR_SHED         115 /* --shed: refused at arrival, no room */

/* Stable name of a status: slot_err's name or one of the above. Static. */
const char *bench_status_name(int code);
/* True for a status after which the same request may simply be retried
 * (nothing was applied, or the library will say OUTCOME_UNKNOWN). */
bool bench_status_retryable(int code);

enum scenario {
    SC_BURST = 0,
    SC_STEADY,
    SC_STORM,
    SC_FAILOVER,
    SC_OVERLOAD,
    SC_IMPORT,
    SC_FANOUT,
    SC_N
};

enum sysmode { MODE_NATIVE = 0, MODE_HTTP, MODE_ETCD, MODE_REDIS, MODE_N };

/* Operation kinds, for statistics. */
enum opk { OPK_HOLD = 0, OPK_CONFIRM, OPK_RELEASE, OPK_QUERY, OPK_N };

/* Everything a run is told on the command line (slotbench.c documents
 * each option and its default). */
struct cfg {
    int scenario;
    int mode;
    uint64_t seed;
    /* the burst */
    uint32_t pools, capacity, patients;
    double bot_share;       /* share of the patients that are bots */
    uint32_t bot_pools;     /* hot pools each bot hammers at once */
    uint32_t bot_retry_ms;  /* a bot's backoff after a refusal: 0..this */
    uint32_t bot_probes;    /* extra holds a bot tries while it holds one */
    double bot_abandon;     /* a bot lets its hold lapse (for resale) */
    uint32_t bot_early_ms;  /* bots start firing this long before release */
    uint32_t bot_names;     /* --rules: patient keys each bot rotates */
    uint32_t bot_accounts;  /* --rules: accounts each bot binds them to */
    uint32_t arrival_ms;    /* patients arrive over this window */
    uint32_t release_in_ms; /* pools open this long after setup */
    uint32_t retry_min_ms, retry_max_ms; /* a patient's retry after SOLD_OUT */
    uint32_t patience_ms;            /* a patient gives up after this long */
    uint32_t pay_min_ms, pay_max_ms; /* simulated payment delay */
    double abandon;       /* a patient abandons the hold at payment */
    uint32_t ttl_ms;      /* hold ttl */
    uint32_t duration_ms; /* bound of the load phase */
    uint32_t timeout_ms;  /* per request */
    uint32_t drain_ms;    /* bound of the drain after the load phase */
    /* connections */
    uint32_t threads, conns, sessions, queue_max, depth;
    /* http: answers per connection before the generator closes it and
     * opens another (churn); 0: kept open */
    uint32_t conn_reqs;
    /* burst: a hold refused 503 OVERLOADED or 429 RATE_LIMITED is tried
     * again after this (the gateway's Retry-After), jittered 0.5-1.5x */
    uint32_t retry_after_ms;
    /* Shed load at the edge (overload's default): a new hold that finds
     * the generator's connections full is refused at once (SHED) instead
     * of waiting for room, and a node's BUSY is final (libslot
     * busy_fails) instead of retried until the deadline. */
    bool shed;
    /* steady / overload */
    uint32_t n_points;
    char points[BENCH_POINTS_MAX][32]; /* "c=N", "RATE" or "xF" */
    uint32_t point_ms, warmup_ms;
    double confirm_share; /* steady: confirm (else release) after a hold */
    double overload_factor;
    uint32_t probe_ms;
    uint32_t outstanding_max; /* open loop: tasks alive at once */
    /* expiry storm */
    uint32_t storm_holds;
    uint32_t storm_deadline_ms; /* the common deadline, after the start */
    uint32_t live_rate;         /* new holds/s while the storm runs */
    /* failover */
    uint32_t kills, kill_first_ms, kill_every_ms, restart_ms;
    /* hospitals' rules and schedules (hosp.h) */
    bool rules; /* burst, failover: pools of a hospital, every rule on */
    uint32_t import_pools, import_templates;
    uint32_t import_inflight; /* 0: every template at once */
    /* fanout: SSE subscribers through a slot-gateway (fanout.h) */
    uint32_t subscribers;     /* 0: the burst alone */
    bool fanout_spread;       /* over admin and every channel's token,
                                 * else all admin */
    uint32_t fanout_drain_ms; /* bound of the wait for the subscribers
                                 * after the burst */
    uint32_t gw_events_max;   /* the gateway's limits.events_max (0: its
                                 * default) */
    int64_t gw_events_shared; /* its limits.events_shared_max (-1: its
                               * default; 0: every stream reads the feed
                               * itself, as before the shared follower) */
    /* the system */
    int nodes;
    const char *cluster;      /* external cluster addresses, or NULL */
    const char *slotd;        /* slotd binary */
    const char *gateway;      /* slot-gateway binary */
    const char *gateway_url;  /* external gateway "host:port", or NULL */
    uint32_t gw_patient_rate; /* gateway's per-patient hold rate, 0 off */
    uint32_t gw_inflight_max;
    uint32_t gw_queue_target_ms; /* limits.queue_target_ms (0: off) */
    uint32_t gateways; /* slot-gateway processes on one port (reuse_port) */
    int n_slotd_args;
    char *slotd_args[16];
    const char *out;     /* JSON path */
    const char *run_set; /* the run set's id (--run-set), or NULL */
    const char *commit;  /* --commit, or NULL */
    const char *results_dir;
    bool quiet;
    bool smoke; /* exit status = the correctness check */
};

struct hosp;

struct pool_rt {
    char id[BENCH_POOL_ID_MAX + 1];
    uint32_t capacity;
    _Atomic uint32_t booked;     /* bookings seen by the workers */
    _Atomic uint64_t sellout_ns; /* hr time the last slot was booked */
    /* --rules: each bucket's slots and the bookings seen in it (a
     * channel books from one bucket only: hosp_bucket), so a patient
     * stops once its own bucket is sold out, as one stops at a sold-out
     * pool without rules */
    uint32_t bucket_cap[BENCH_BUCKETS];
    _Atomic uint32_t bucket_booked[BENCH_BUCKETS];
};

/* Run-wide state shared with the workers. */
struct run {
    const struct cfg *cfg;
    const struct be_vt *be;
    const char *addrs; /* native: slotd client addresses */
    char target[300];  /* http/etcd/redis: host:port of the server */
    char token[BENCH_CHANNELS][80]; /* http: a bearer token per channel */
    char admin_token[80];
    uint32_t n_pools;
    struct pool_rt pool[BENCH_POOLS_MAX];
    uint32_t live_pool; /* storm: the pool new holds go to */
    /* --rules: the hospital the pools belong to (sys_slot creates them as
     * its scheduled pools), else NULL */
    const struct hosp *hosp;
    uint32_t hold_ttl_ms; /* burst HOLDs ask for this ttl (0: the
                           * hospital's payment window) */
    /* time bases, taken together */
    uint64_t t0_ns; /* uv_hrtime() */
    int64_t t0_wall_ms;
    uint64_t release_ns; /* burst: when pools open (hr time) */
    int64_t release_wall_ms;
    uint64_t deadline_wall_ms; /* storm: the common deadline */
    uint32_t n_ms;             /* per-ms series length */
    /* the phase the workers run */
    int phase;            /* enum phase in sim.h */
    double rate;          /* open loop: arrivals/s, all workers */
    uint32_t concurrency; /* closed loop: tasks, all workers */
    uint32_t point;       /* steady: index of the point */
    _Atomic int stop;     /* main → workers: stop issuing, drain */
    _Atomic int live_on;  /* storm: new holds keep arriving */
    _Atomic uint32_t workers_ready;
    _Atomic uint64_t storm_filled;
    _Atomic uint64_t storm_deadline_min, storm_deadline_max;
    /* http: the generator's connections over the run (httpc_stats) */
    _Atomic uint64_t http_connects, http_churn_closes, http_failures;
    _Atomic int fatal; /* a worker met an error the run cannot survive */
    char fatal_msg[256];
};

struct task;
struct worker;

/* The answer to one operation. Fields as in struct slotc_out. */
struct be_result {
    int status;
    uint64_t id;          /* hold / booking id */
    uint64_t deadline_ms; /* HOLD */
    uint64_t ledger_ms;   /* ledger time of the decision, 0 if unknown */
    uint32_t visit_no;    /* CONFIRM; one-step peers: the slot number */
    int quota;            /* QUOTA_EXCEEDED: enum slotc_quota (0 unknown) */
    uint32_t n_claims;    /* QUERY: 0 or 1 */
    int claim_state;      /* QUERY: enum slotc_claim_state */
    uint64_t claim_id;    /* QUERY */
    uint32_t claim_visit_no;
    uint64_t claim_deadline_ms;
    /* http: when the request was written to a connection (uv_hrtime; 0:
     * unknown, as for every other backend) and the gateway's own time
     * (Server-Timing; UINT64_MAX: not said) */
    uint64_t sent_ns;
    uint64_t server_us;
};

/* A backend. Every submitting call returns 0 (the operation is accepted:
 * sim_complete will be called once) or a status code (nothing will be). */
struct be_vt {
    const char *name;
    bool one_step;   /* peers: a successful hold is the booking */
    size_t req_size; /* per-task request area the backend may use */
    int (*open)(struct worker *w, void **be);
    void (*close)(void *be);
    uint32_t (*pending)(void *be);
    /* True if another operation may be handed over now (the generator
     * keeps its own FIFO beyond this bound). */
    bool (*room)(void *be);
    int (*hold)(void *be, struct task *t, const char *pool, const char *patient,
                const char *channel, uint32_t ttl_ms);
    /* HOLD naming an account (--rules): NULL for a backend that cannot
     * name one (the gateway has no account field yet; the peers). */
    int (*hold_account)(void *be, struct task *t, const char *pool,
                        const char *patient, const char *channel,
                        const char *account, uint32_t ttl_ms);
    int (*confirm)(void *be, struct task *t, uint64_t hold, const char *ref);
    int (*release)(void *be, struct task *t, uint64_t hold);
    int (*query)(void *be, struct task *t, const char *pool,
                 const char *patient);
};

extern const struct be_vt be_native;
extern const struct be_vt be_http;
extern const struct be_vt be_etcd;
extern const struct be_vt be_redis;

/* Called by backends once per accepted operation, on the worker's loop. */
void sim_complete(struct task *t, const struct be_result *r);

/* Peers: counts requests sent and compare-and-swap conflicts. */
void sim_count(struct task *t, uint32_t requests, uint32_t conflicts);

/* The task's request area (be_vt.req_size bytes, 16-aligned). */
void *sim_task_area(struct task *t);
/* The worker and run a task belongs to. */
struct worker *sim_task_worker(struct task *t);
uint32_t sim_task_index(const struct task *t);
/* The channel (index into app, wechat, 114, kiosk) of the task's current
 * operation: the one its hold went through, for the confirm or release
 * that must come from the same channel (the ledger answers NOT_OWNER). */
uint32_t sim_task_channel(const struct task *t);
uint32_t sim_task_pool(const struct task *t); /* index into run->pool */
uv_loop_t *sim_worker_loop(struct worker *w);
struct run *sim_worker_run(struct worker *w);
uint32_t sim_worker_id(const struct worker *w);

#endif /* SLOTBENCH_BENCH_H */
