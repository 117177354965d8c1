/* metrics: slotd's Prometheus endpoint (text exposition format 0.0.4) on
 * an optional admin port (`slotd --metrics HOST:PORT`), on the node's loop.
 *
 * ---- The HTTP side ----------------------------------------------------
 *
 * A deliberately tiny HTTP/1.1 server: one request per connection, then
 * close. `GET /metrics` (a query string is ignored) answers 200 with
 * Content-Type `text/plain; version=0.0.4`; any other well-formed request
 * 404; a malformed request line or header, a request with a body, or a
 * head longer than METRICS_REQUEST_MAX bytes 400. Every answer closes the
 * connection. At most METRICS_CONNS_MAX connections are open (storage is
 * preallocated; one more is accepted and closed at once, counted in
 * slotd_metrics_refused_total); a connection that has not sent a whole
 * request, or not taken its answer, within METRICS_IDLE_MS is closed.
 * Nothing blocks the loop: reads and writes are libuv's, and a scrape
 * renders in time bounded by the metric table plus the hot pool table
 * below.
 *
 * ---- What is exported -------------------------------------------------
 *
 * METRICS_LIST is the one list of names: the renderer writes every
 * HELP/TYPE line from it, and `slotd --metrics-names` prints it (the
 * ops/ check compares the dashboard and alert rules against that
 * output). Units are in the names; histograms add _bucket/_sum/_count.
 *
 * ---- Cost -------------------------------------------------------------
 *
 * Recording (metrics_rec_*) is O(1): a histogram increment, or one hash
 * probe sequence of at most METRICS_HOT_PROBES slots for a HOLD applied.
 * A scrape reads O(1) counters (the node's, raft's, ledger_info's; never
 * the state hash) and walks the hot pool tables once: 2 x
 * METRICS_HOT_SLOTS slots, keeping the top hot_n (<= METRICS_HOT_N_MAX)
 * by insertion, i.e. at most 2 x 1024 x 100 steps per scrape.
 *
 * "Hot" pools: HOLD commands applied (any outcome: the demand, not the
 * sales) per pool in the current window of METRICS_HOT_WINDOW_MS plus the
 * previous one, so a scrape always covers at least one whole window. A
 * window tracks at most METRICS_HOT_SLOTS pools; holds on pools beyond
 * that are counted in slotd_hot_pool_holds_untracked_total.
 */
#ifndef SLOT_METRICS_H
#define SLOT_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "mp.h"
#include "slot_proto.h"

#define METRICS_CONNS_MAX     16
#define METRICS_REQUEST_MAX   8192  /* bytes of request line + headers */
#define METRICS_IDLE_MS       10000 /* a connection's whole life, at most */
#define METRICS_HOT_N_DEFAULT 10
#define METRICS_HOT_N_MAX     100
#define METRICS_HOT_SLOTS     1024 /* pools tracked per window */
#define METRICS_HOT_PROBES    16
#define METRICS_HOT_WINDOW_MS 10000

/* X(id, name, type, help): every metric slotd exports. */
#define METRICS_LIST(X)                                                        \
    X(ROLE, "slotd_role", "gauge",                                             \
      "1 for the raft role this node is in (label role), else 0.")             \
    X(LEADER_ID, "slotd_raft_leader_id", "gauge",                              \
      "The leader's id as this node knows it (0: none).")                      \
    X(TERM, "slotd_raft_term", "gauge", "Current raft term.")                  \
    X(COMMIT, "slotd_raft_commit_index", "gauge",                              \
      "Highest log index known to be committed.")                              \
    X(APPLIED, "slotd_raft_applied_index", "gauge",                            \
      "Highest log index applied to the ledger.")                              \
    X(LAST, "slotd_raft_last_index", "gauge", "Last index in the log.")        \
    X(ENTRIES, "slotd_entries_applied_total", "counter",                       \
      "Log entries applied to the ledger.")                                    \
    X(COMMANDS, "slotd_commands_applied_total", "counter",                     \
      "Commands in the entries applied.")                                      \
    X(ENTRY_CMDS, "slotd_entry_commands", "histogram",                         \
      "Commands per applied entry (the leader's batching).")                   \
    X(APPLY, "slotd_apply_duration_seconds", "histogram",                      \
      "Time to apply one entry to the ledger.")                                \
    X(BATCHES, "slotd_batches_proposed_total", "counter",                      \
      "Entries this node proposed as leader.")                                 \
    X(BUSY, "slotd_refused_busy_total", "counter",                             \
      "Requests answered BUSY (batch and in-flight bounds full).")             \
    X(STALLS, "slotd_leader_stalls_total", "counter",                          \
      "Loop turns of >= 5 ms of callbacks without polling while leader.")      \
    X(STALL_MAX, "slotd_leader_stall_max_seconds", "gauge",                    \
      "The longest such turn since the node started.")                         \
    X(NOT_LEADER, "slotd_refused_not_leader_total", "counter",                 \
      "Requests answered NOT_LEADER or NO_LEADER.")                            \
    X(LOST, "slotd_commands_lost_total", "counter",                            \
      "Accepted commands whose entry failed (leadership lost).")               \
    X(EXPIRE, "slotd_expiry_proposals_total", "counter",                       \
      "EXPIRE sweeps this node queued as leader.")                             \
    X(OVERDUE, "slotd_expiry_overdue_seconds", "gauge",                        \
      "How long the earliest hold deadline has passed without expiry "         \
      "(0: none due).")                                                        \
    X(SNAP_TAKEN, "slotd_snapshots_taken_total", "counter",                    \
      "Snapshots this node took.")                                             \
    X(SNAP_RESTORED, "slotd_snapshots_restored_total", "counter",              \
      "Snapshots installed from a leader or restored at start.")               \
    X(SNAP_FAILED, "slotd_snapshot_failures_total", "counter",                 \
      "Snapshots that could not be taken.")                                    \
    X(SNAP_LAST_OK, "slotd_snapshot_last_success_timestamp_seconds", "gauge",  \
      "Unix time of the last snapshot encoded (0: none since start).")         \
    X(SNAP_DUR, "slotd_snapshot_duration_seconds", "histogram",                \
      "Time to encode a snapshot (in a forked child, or on the loop).")        \
    X(FORK, "slotd_snapshot_fork_pause_seconds", "histogram",                  \
      "The loop's pause in fork() for a snapshot.")                            \
    X(DISK, "slotd_disk_write_duration_seconds", "histogram",                  \
      "Disk requests of the raft log, by op.")                                 \
    X(POOLS, "slotd_ledger_pools", "gauge", "Pools in the ledger.")            \
    X(PATIENTS, "slotd_ledger_patients", "gauge", "Patients known.")           \
    X(SESSIONS, "slotd_ledger_sessions", "gauge", "Client sessions held.")     \
    X(HOLDS, "slotd_ledger_holds_active", "gauge", "Claims HELD now.")         \
    X(BOOKINGS, "slotd_ledger_bookings_active", "gauge", "Claims BOOKED now.") \
    X(RETAINED, "slotd_ledger_claims_retained", "gauge",                       \
      "Resolved claims kept for reads.")                                       \
    X(EVENTS, "slotd_ledger_events_held", "gauge",                             \
      "Events in the feed's window.")                                          \
    X(HOT, "slotd_hot_pool_holds", "gauge",                                    \
      "HOLD commands applied per pool in the last one to two hot windows, "    \
      "top pools only.")                                                       \
    X(HOT_WINDOW, "slotd_hot_pool_window_seconds", "gauge",                    \
      "Length of one hot window.")                                             \
    X(HOT_UNTRACKED, "slotd_hot_pool_holds_untracked_total", "counter",        \
      "HOLD commands on pools beyond the hot table's capacity.")               \
    X(REFUSED, "slotd_metrics_refused_total", "counter",                       \
      "Metrics connections closed at once: all slots in use.")

enum metrics_id {
#define METRICS_ENUM(id, name, type, help) METRICS_##id,
    METRICS_LIST(METRICS_ENUM)
#undef METRICS_ENUM
        METRICS_COUNT
};

/* The name of metric id (METRICS_LIST). */
const char *metrics_name(enum metrics_id id);

/* ---- Recording (the node, O(1) each) ---------------------------------- */

#define METRICS_BOUNDS_MAX 20

struct metrics_hist {
    uint64_t buckets[METRICS_BOUNDS_MAX + 1]; /* per bucket; last: +Inf */
    uint64_t count;
    uint64_t sum; /* microseconds, or commands */
};

enum metrics_disk_op {
    METRICS_DISK_APPEND,
    METRICS_DISK_SNAPSHOT,
    METRICS_DISK_TRUNCATE,
    METRICS_DISK_TERM,
    METRICS_DISK_VOTE,
    METRICS_DISK_OPS
};

struct metrics_hot_slot {
    uint32_t len; /* 0: empty */
    uint32_t holds;
    char pool[SLOT_POOL_ID_MAX];
};

/* What the node records as things happen. Zero it to start. */
struct metrics_rec {
    struct metrics_hist apply_us;
    struct metrics_hist entry_cmds;
    struct metrics_hist snapshot_us;
    struct metrics_hist fork_us;
    struct metrics_hist disk_us[METRICS_DISK_OPS];
    uint64_t snapshot_failures;
    uint64_t snapshot_last_ok_ms; /* unix ms; 0 none */
    uint64_t hot_untracked;
    /* Hot pool windows: _hot[_hot_cur] is the current one. */
    uint64_t _hot_start_ms;
    int _hot_cur;
    struct metrics_hot_slot _hot[2][METRICS_HOT_SLOTS];
};

/* Histograms in seconds take microseconds. */
void metrics_rec_seconds(struct metrics_hist *h, uint64_t us);
/* slotd_entry_commands: the commands of one entry. */
void metrics_rec_commands(struct metrics_hist *h, uint64_t n);
/* One HOLD applied in pool (len <= SLOT_POOL_ID_MAX) at now_ms (any
 * monotonic ms clock, the same for every call and the render). */
void metrics_rec_hold(struct metrics_rec *r, const char *pool, uint32_t len,
                      uint64_t now_ms);

/* ---- Rendering ---------------------------------------------------------- */

enum metrics_role {
    METRICS_ROLE_UNAVAILABLE,
    METRICS_ROLE_FOLLOWER,
    METRICS_ROLE_CANDIDATE,
    METRICS_ROLE_LEADER,
    METRICS_ROLES
};

/* The scalars of one scrape (filled by the collect callback). */
struct metrics_values {
    enum metrics_role role;
    uint64_t leader_id, term, commit, applied, last;
    uint64_t entries, commands, batches, busy, not_leader, lost, expire;
    uint64_t leader_stalls, leader_stall_max_us;
    double overdue_s;
    uint64_t snapshots_taken, snapshots_restored;
    struct slot_ledger_info ledger; /* counters only (ledger_info) */
    uint64_t events_held;
    struct metrics_rec *rec; /* the node's; NULL: no histograms */
};

/* Appends the whole text page for v to out. hot_n: pools listed in
 * slotd_hot_pool_holds (0..METRICS_HOT_N_MAX); now_ms: as for
 * metrics_rec_hold. refused: slotd_metrics_refused_total. */
void metrics_render(struct metrics_values *v, uint32_t hot_n, uint64_t now_ms,
                    uint64_t refused, struct mp_buf *out);

/* ---- The server ----------------------------------------------------------- */

enum metrics_parse {
    METRICS_PARSE_MORE,      /* no whole request head yet, size still fine */
    METRICS_PARSE_METRICS,   /* GET /metrics */
    METRICS_PARSE_NOT_FOUND, /* well-formed, anything else */
    METRICS_PARSE_BAD        /* malformed, a body, or too long */
};

/* Judges the first len bytes received on a connection (at most
 * METRICS_REQUEST_MAX are ever kept): the request line
 * `METHOD SP /target SP HTTP/1.x CRLF`, header lines `name: value CRLF`
 * (no folding, no bare CR or LF, no Content-Length but 0, no
 * Transfer-Encoding), then an empty line. Pure; used by the server and
 * the unit tests. */
enum metrics_parse metrics_parse_request(const char *buf, size_t len);

/* Fills v (v->rec included) for one scrape. */
typedef void (*metrics_collect_cb)(void *data, struct metrics_values *v);

struct metrics_server;

/* Listens on addr ("HOST:PORT", slot_addr.h; a name is resolved here,
 * blocking: call it before the loop runs) on loop. collect(data,
 * v) is called on the loop for each GET /metrics. Returns 0, or -1 with a
 * message in err. *out is owned by the caller: metrics_stop, then
 * metrics_free. */
int metrics_start(uv_loop_t *loop, const char *addr, uint32_t hot_n,
                  metrics_collect_cb collect, void *data,
                  struct metrics_server **out, char *err, size_t err_len);

/* Closes the listener and every connection; cb(cb_data) when all handles
 * are closed. */
void metrics_stop(struct metrics_server *s, void (*cb)(void *data),
                  void *cb_data);
void metrics_free(struct metrics_server *s);

#endif /* SLOT_METRICS_H */
