/* libslot: the C client of the slot pool ledger (a cluster of slotd nodes).
 *
 * This header is the library's documentation. The library connects to a
 * list of nodes, finds the leader (following NOT_LEADER hints), pipelines
 * requests over one connection, reconnects with bounded backoff, and
 * retries every mutating request with the same (session, request number)
 * until the caller's deadline, so that the ledger applies it at most once.
 *
 * ---- Two faces over one core ----------------------------------------------
 *
 *   async   struct slotc on the caller's libuv loop. Every operation takes a
 *           caller-owned struct slotc_req and a completion callback, which is
 *           called exactly once, on the loop thread, if (and only if) the
 *           submitting call returned SLOT_OK.
 *   blocking  struct slotc_sync: the same operations, each waiting for its
 *           answer on a private loop (slotc_sync_*).
 *
 * ---- Thread safety --------------------------------------------------------
 *
 *   - An async client and all its requests belong to the thread that runs
 *     its loop: call slotc_* only from that thread (from callbacks or from
 *     code that runs between turns of the loop). To submit from another
 *     thread, hand the work over with your own uv_async_t.
 *   - A blocking client is used by one thread at a time (it owns a private
 *     loop; calls on it must not overlap). Distinct clients, async or
 *     blocking, share nothing: any number may be used by different threads.
 *   - The library has no global state and changes no signal disposition.
 *     Writing to a socket the peer closed raises SIGPIPE: a process using
 *     libslot should ignore it (signal(SIGPIPE, SIG_IGN)), as slotctl does.
 *
 * ---- Requests and memory --------------------------------------------------
 *
 *   - struct slotc_req is owned by the caller. Zero it (or slotc_req_init)
 *     and set the inputs (data, timeout_ms, flags, node) before submitting.
 *     From a successful submit until its callback returns the request
 *     belongs to the library: do not touch, free or resubmit it. Inside or
 *     after its callback it may be reused or freed.
 *   - String and struct arguments are copied at submission: the caller may
 *     free them as soon as the submitting call returns.
 *   - Outputs (the `out` part of the request, and every pointer in it) are
 *     owned by the library and valid only inside the completion callback
 *     (blocking face: until the next call on the same struct slotc_sync, or
 *     its close). Copy what you need to keep.
 *
 * ---- Outcomes: status codes -----------------------------------------------
 *
 * A request's status is one code of enum slot_err (slot_err.h, installed
 * beside this header; slotc_err_name() gives the stable name, e.g.
 * "SOLD_OUT"). Besides the ledger's rule errors listed per operation:
 *
 *   SLOT_OK               done; the outputs are set.
 *   SLOT_OUTCOME_UNKNOWN  a mutating request (or a membership change) that
 *                         was sent and may or may not have been applied when
 *                         its deadline passed (or the client closed, or its
 *                         session was forgotten by the ledger). Never a
 *                         guess: query it. out.id names the hold / booking it
 *                         was about (CONFIRM, RELEASE: the hold id; CANCEL:
 *                         the booking id; which are the same number). For a
 *                         HOLD, whose id only the ledger knows, out.pool and
 *                         out.patient name what to query
 *                         (slotc_read_patient). A command abandoned in
 *                         flight may still be applied a little later (it may
 *                         sit in the Raft log): query after the cluster has
 *                         a leader again.
 *   SLOT_TIMEOUT          the deadline passed while nodes were answering:
 *                         the request was in flight on a connection whose
 *                         node had answered before, a node had answered it
 *                         with a retryable error (NO_LEADER, BUSY, ...), or
 *                         some node was answering at the deadline. A
 *                         mutation with this status was certainly not
 *                         applied (else OUTCOME_UNKNOWN): e.g. it never left
 *                         the client because no session could be opened.
 *   SLOT_UNAVAILABLE      the deadline passed and no node could be reached:
 *                         no node answered anything on the connections the
 *                         request used (refused, reset, closed mid-frame,
 *                         silent), and none was answering at the deadline
 *                         (wrong addresses, all nodes down). A mutation with
 *                         this status was certainly not applied.
 *   SLOT_SHUTDOWN         the client was closed before an answer (a mutation
 *                         that may have been applied reports OUTCOME_UNKNOWN
 *                         instead).
 *   SLOT_MALFORMED, SLOT_INVALID_ARGUMENT, SLOT_TOO_LARGE, SLOT_UNKNOWN_OP,
 *   SLOT_BAD_VERSION      the node refused the request as invalid (final).
 *   SLOT_NOT_LEADER, SLOT_NO_LEADER, SLOT_SHUTDOWN  only for a request
 *                         pinned to one node (req.node): that node needs to
 *                         lead and does not, or is shutting down (unpinned
 *                         requests retry elsewhere instead).
 *   SLOT_REQUEST_MISMATCH  the request's idem_key was used before with a
 *                         different command (see idem_key); nothing ran.
 *   SLOT_SESSION_UNKNOWN, SLOT_REQUEST_TOO_OLD, and REQUEST_MISMATCH on the
 *                         library's own (session, number), never reach the
 *                         caller: the library handles them (a new session;
 *                         OUTCOME_UNKNOWN when in doubt).
 *
 * The submitting call itself returns SLOT_OK (accepted: the callback will
 * run), or, and then the callback is never called:
 *   SLOT_INVALID_ARGUMENT / SLOT_TOO_LARGE  an argument breaks the protocol's
 *                         rules (slot_proto.h: id charsets and lengths,
 *                         ranges); nothing was sent.
 *   SLOT_BUSY             the client already holds opts.queue_max requests
 *                         (or its node table is full, or memory ran out).
 *   SLOT_SHUTDOWN         the client is closing.
 *
 * ---- Exactly-once ---------------------------------------------------------
 *
 * The client opens up to opts.sessions_max ledger sessions and numbers each
 * session's mutating requests 1, 2, 3, ... A request keeps its (session,
 * number) across every retry, reconnect and leader change; the ledger
 * answers a retry with the original result. At most 32 requests of one
 * session are unanswered at a time (the ledger's window); more wait in the
 * client's queue (bounded by queue_max). If the ledger has forgotten a
 * session (idle, or evicted), requests that certainly never ran are moved
 * to a new session; the others complete with OUTCOME_UNKNOWN.
 */
#ifndef LIBSLOT_H
#define LIBSLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "slot_err.h"

/* libuv's loop (uv_loop_t is a typedef of it): the async face takes the
 * caller's loop, so callers of it include <uv.h>; the blocking face needs
 * no libuv header. */
struct uv_loop_s;

#ifndef SLOT_API
#define SLOT_API __attribute__((visibility("default")))
#endif

#define SLOTC_VERSION_MAJOR 1
#define SLOTC_VERSION_MINOR 0

/* Limits, equal to the protocol's (slot_proto.h). */
#define SLOTC_POOL_ID_MAX     64 /* bytes of [A-Za-z0-9/_.:-] */
#define SLOTC_PATIENT_KEY_MIN 8  /* bytes of [A-Za-z0-9_.:-] */
#define SLOTC_PATIENT_KEY_MAX 64
#define SLOTC_CHANNEL_MAX     16    /* bytes of [a-z0-9_-] */
#define SLOTC_PAYMENT_REF_MAX 64    /* bytes of printable ASCII 0x21..0x7e */
#define SLOTC_IDEM_KEY_MAX    64    /* bytes of [A-Za-z0-9_.:-] (idem_key) */
#define SLOTC_SHARES_MAX      8     /* channel shares of one pool */
#define SLOTC_LIST_MAX        1000  /* pools of one list read */
#define SLOTC_ADDRESS_MAX     255   /* bytes of a member address */
#define SLOTC_MEMBERS_MAX     16    /* members in a node status */
#define SLOTC_NODES_MAX       16    /* nodes one client knows */
#define SLOTC_SESSIONS_MAX    64    /* upper bound of opts.sessions_max */
#define SLOTC_QUEUE_MAX       65536 /* upper bound of opts.queue_max */

/* ---- Errors ------------------------------------------------------------- */

/* Stable name of a code ("SOLD_OUT"), or NULL if it is not one. Static. */
SLOT_API const char *slotc_err_name(int code);
/* Human message of a code ("unknown error" if it is not one). Static. */
SLOT_API const char *slotc_err_message(int code);

/* ---- Value types --------------------------------------------------------- */

enum slotc_kind {
    SLOTC_KIND_NORMAL = 0,
    SLOTC_KIND_EXPERT = 1,
    SLOTC_KIND_SPECIAL = 2
};
enum slotc_pool_state {
    SLOTC_POOL_SCHEDULED = 0, /* open, but ledger time < release_at_ms */
    SLOTC_POOL_OPEN = 1,
    SLOTC_POOL_CLOSED = 2,
};
enum slotc_claim_state {
    SLOTC_CLAIM_HELD = 1,
    SLOTC_CLAIM_BOOKED = 2,
    SLOTC_CLAIM_RELEASED = 3,
    SLOTC_CLAIM_EXPIRED = 4,
    SLOTC_CLAIM_CANCELLED = 5,
};
enum slotc_member_role {
    SLOTC_ROLE_STANDBY = 0,
    SLOTC_ROLE_VOTER = 1,
    SLOTC_ROLE_SPARE = 2
};

/* Names ("expert", "open", "booked", "voter"), or NULL. Static storage. */
SLOT_API const char *slotc_kind_name(int kind);
SLOT_API const char *slotc_pool_state_name(int state);
SLOT_API const char *slotc_claim_state_name(int state);
SLOT_API const char *slotc_member_role_name(int role);
/* The value for a name, or -1. */
SLOT_API int slotc_kind_from_name(const char *name);
SLOT_API int slotc_member_role_from_name(const char *name);

/* Replicated rule parameters (slotc_config replaces all of them). Ranges:
 * 1 <= hold_ttl_min_ms <= hold_ttl_max_ms <= 86400000; session_max
 * 1..1000000; session_idle_ms 1000..2^53; retain_ms <= 2^53; retain_max
 * <= 10000000. */
struct slotc_config {
    uint32_t hold_ttl_min_ms;
    uint32_t hold_ttl_max_ms;
    uint32_t session_max;
    uint64_t session_idle_ms;
    uint64_t retain_ms;
    uint32_t retain_max;
};

struct slotc_share {
    const char *channel; /* 1..SLOTC_CHANNEL_MAX bytes of [a-z0-9_-] */
    uint32_t slots;      /* 1..capacity */
};

/* A pool definition (POOL_CREATE / POOL_UPDATE). Rules: capacity
 * 1..100000; kind <= 2; fee_cents <= 100000000; every *_ms <= 2^53; the
 * segment both 0 or start < end; shares distinct, sum <= capacity. */
struct slotc_pool_spec {
    const char *pool;
    uint32_t capacity;
    int kind; /* enum slotc_kind */
    uint64_t fee_cents;
    uint64_t seg_start_ms;
    uint64_t seg_end_ms;
    uint64_t release_at_ms; /* holds refused while ledger time < this */
    uint32_t n_shares;
    struct slotc_share shares[SLOTC_SHARES_MAX];
};

/* Counters of one bucket: a channel's share, or the shared remainder. */
struct slotc_bucket {
    char channel[SLOTC_CHANNEL_MAX + 1]; /* "" for the remainder */
    uint32_t capacity, free, held, booked;
};

struct slotc_pool {
    char pool[SLOTC_POOL_ID_MAX + 1];
    int kind;  /* enum slotc_kind */
    int state; /* enum slotc_pool_state */
    uint32_t capacity, free, held, booked;
    uint64_t fee_cents;
    uint64_t seg_start_ms, seg_end_ms, release_at_ms;
    uint32_t next_visit_no;
    uint32_t n_shares;
    struct slotc_bucket shares[SLOTC_SHARES_MAX];
    struct slotc_bucket remainder;
};

/* A hold and, once confirmed, the booking made from it (same id). */
struct slotc_claim {
    uint64_t id;
    int state; /* enum slotc_claim_state */
    char pool[SLOTC_POOL_ID_MAX + 1];
    char patient[SLOTC_PATIENT_KEY_MAX + 1];
    char channel[SLOTC_CHANNEL_MAX + 1];
    uint64_t held_at_ms;
    uint64_t deadline_ms;
    uint64_t booked_at_ms;   /* 0 unless confirmed */
    uint64_t resolved_at_ms; /* 0 while held or booked */
    uint32_t visit_no;       /* 0 unless confirmed */
    char payment_ref[SLOTC_PAYMENT_REF_MAX + 1];
};

struct slotc_ledger_info {
    uint64_t time_ms;
    uint64_t state_hash;
    uint32_t pools, patients, channels, sessions;
    uint32_t holds_active, bookings_active, retained;
    struct slotc_config config;
};

struct slotc_member {
    uint64_t id;
    char address[SLOTC_ADDRESS_MAX + 1]; /* "RAFT_HOST:PORT/CLIENT_HOST:PORT" */
    int role;                            /* enum slotc_member_role */
};

/* One node's own view (ADMIN STATUS). */
struct slotc_node_status {
    uint64_t id;
    char role[16]; /* "leader" / "follower" / "candidate" / "unavailable" */
    uint64_t term;
    uint64_t commit_index;
    uint64_t applied_index;
    uint64_t leader_id;                  /* 0: none known */
    char address[SLOTC_ADDRESS_MAX + 1]; /* its own, RAFT/CLIENT */
    uint32_t n_members;
    struct slotc_member members[SLOTC_MEMBERS_MAX];
    uint64_t state_hash;
    uint64_t ledger_time_ms;
    uint64_t entries_applied;
    uint64_t commands_applied;
};

/* Splits a member address "RAFT/CLIENT" into its parts (client "" when
 * absent). Returns SLOT_OK, or SLOT_INVALID_ARGUMENT if a part does not fit
 * its buffer. */
SLOT_API int slotc_address_split(const char *address, char *raft,
                                 size_t raft_len, char *client,
                                 size_t client_len);

/* ---- Requests ------------------------------------------------------------ */

enum slotc_op {
    SLOTC_OP_NONE = 0,
    /* commands (mutating, exactly-once) */
    SLOTC_OP_CONFIG = 1,
    SLOTC_OP_POOL_CREATE,
    SLOTC_OP_POOL_UPDATE,
    SLOTC_OP_POOL_CLOSE,
    SLOTC_OP_HOLD,
    SLOTC_OP_CONFIRM,
    SLOTC_OP_RELEASE,
    SLOTC_OP_CANCEL,
    SLOTC_OP_EXPIRE,
    /* reads */
    SLOTC_OP_READ_POOL,
    SLOTC_OP_READ_HOLD,
    SLOTC_OP_READ_BOOKING,
    SLOTC_OP_READ_PATIENT,
    SLOTC_OP_READ_POOLS,
    SLOTC_OP_READ_LEDGER,
    /* administration */
    SLOTC_OP_STATUS,
    SLOTC_OP_MEMBER_ADD,
    SLOTC_OP_MEMBER_ASSIGN,
    SLOTC_OP_MEMBER_REMOVE,
    SLOTC_OP_TRANSFER,
};
/* "HOLD", "READ_POOL", "STATUS", ...; NULL for an unknown op. Static. */
SLOT_API const char *slotc_op_name(int op);

/* Request flags (req.flags, or-ed). */
/* Reads: serve from any node's local state (or from req.node), labelled
 * with its applied index, instead of a linearizable read on the leader. */
#define SLOTC_STALE 1u
/* slotc_read_ledger and slotc_status: the node leaves the state hash out
 * (out.ledger->state_hash, out.status->state_hash are 0). Computing it
 * costs O(ledger state) on the node's loop (about 0.5 s with 1M claims,
 * every client of that node waiting meanwhile); every other figure costs
 * O(1). Set it for health probes, leader polling and anything frequent;
 * leave it off where the hash is wanted (comparing replicas: slotctl
 * status, slotctl show ledger). Other operations ignore it. */
#define SLOTC_NO_HASH 2u

struct slotc_req;
typedef void (*slotc_cb)(struct slotc_req *req);

/* Outputs of a completed request. Which fields are set depends on the op
 * and is listed with each operation; the others are 0 / NULL. */
struct slotc_out {
    uint64_t index;          /* commands: Raft index of the entry that applied
                              * it; reads: the serving node's applied index */
    uint64_t ledger_time_ms; /* commands: ledger time when applied */
    uint64_t id;             /* HOLD: hold id; CONFIRM: booking id (== hold
                              * id); OUTCOME_UNKNOWN: see above */
    uint64_t deadline_ms;    /* HOLD: the hold's deadline (ledger time) */
    uint32_t visit_no;       /* CONFIRM: visit order number */
    uint64_t expired;        /* EXPIRE: holds expired */
    uint64_t still_due;      /* EXPIRE: holds still due (capped at 1024) */
    const char *pool;        /* OUTCOME_UNKNOWN of HOLD / POOL_*: the pool */
    const char *patient;     /* OUTCOME_UNKNOWN of HOLD: the patient */
    const char *node;        /* reads, STATUS: "host:port" of the node that
                              * answered */
    const struct slotc_claim *claims; /* READ_HOLD/BOOKING: 1; PATIENT: 0..1 */
    uint32_t n_claims;
    const struct slotc_pool *pools; /* READ_POOL: 1; READ_POOLS: 0..limit */
    uint32_t n_pools;
    const struct slotc_ledger_info *ledger; /* READ_LEDGER */
    const struct slotc_node_status *status; /* STATUS */
};

struct slotc_req {
    /* ---- inputs: set by the caller before submitting ---- */
    void *data;               /* the caller's (the blocking face borrows it
                               * during a call and restores it) */
    uint32_t timeout_ms;      /* deadline, relative to submission; 0: the
                               * client's opts.timeout_ms */
    uint32_t flags;           /* SLOTC_STALE */
    const char *node;         /* NULL: any node / the leader, as the op needs.
                               * "host:port" of a node's client listener: send
                               * only there (STATUS of that node, a stale read
                               * of its state; a request that needs the leader
                               * gets NOT_LEADER if it is not). Copied. */
    const char *idem_key;     /* POOL_CREATE / POOL_UPDATE / POOL_CLOSE /
                               * HOLD / CONFIRM / RELEASE / CANCEL: an
                               * idempotency key (1..64 bytes of
                               * [A-Za-z0-9_.:-]) the ledger remembers with
                               * the result (ledger.h, IDEM): the same key
                               * and command, from any client or gateway,
                               * gets the original result; the same key
                               * with another command REQUEST_MISMATCH.
                               * NULL: none. Copied. Other ops:
                               * INVALID_ARGUMENT. */
    const char *idem_channel; /* the key's namespace, a channel name; NULL:
                               * the HOLD's channel (required for the other
                               * ops). Copied. */
    /* ---- outputs: set by the library, valid inside the callback ---- */
    int op;     /* enum slotc_op, set at submission */
    int status; /* enum slot_err */
    struct slotc_out out;
    /* ---- private: the library's state while the request is pending (links,
     * tag, session and seq, deadline, a copy of the arguments). Never read
     * or write it; it need not be initialised. Its size is part of the ABI:
     * new state must fit in it. ---- */
    uint64_t _reserved[24];
};

/* Zeroes a request (inputs to their defaults). */
SLOT_API void slotc_req_init(struct slotc_req *req);

/* ---- Client -------------------------------------------------------------- */

struct slotc_options {
    /* Comma-separated client addresses of the nodes, "HOST:PORT,...": IPv4
     * literals, "[IPv6]:PORT" or "localhost:PORT"; at most SLOTC_NODES_MAX.
     * Leaders named in NOT_LEADER answers are added as they appear. */
    const char *cluster;
    uint32_t timeout_ms;         /* default request deadline (10000) */
    uint32_t connect_timeout_ms; /* one TCP connect attempt (1000) */
    uint32_t attempt_timeout_ms; /* a connection with requests in flight and
                                  * nothing received for this long is
                                  * deemed dead and replaced (3000) */
    uint32_t backoff_min_ms;     /* reconnect backoff per node: starts here, */
    uint32_t backoff_max_ms;     /* doubles per failure up to here (25, 1000) */
    uint32_t retry_ms;           /* wait before retrying after NO_LEADER or
                                  * BUSY (50) */
    uint32_t sessions_max; /* ledger sessions, 1..SLOTC_SESSIONS_MAX (4) */
    uint32_t queue_max;    /* requests accepted and not completed,
                            * 1..SLOTC_QUEUE_MAX (4096) */
    /* Nonzero: a node's BUSY completes the request with SLOT_BUSY at once
     * (it never ran; OUTCOME_UNKNOWN if an earlier attempt may have)
     * instead of retrying every retry_ms until the deadline. For callers
     * that shed load themselves (a gateway answering 503): under overload
     * a refusal then costs one round trip, not a deadline. (0) */
    uint32_t busy_fails;
    uint32_t _reserved[7]; /* zero */
};

/* Fills o with the defaults above (cluster NULL). */
SLOT_API void slotc_options_init(struct slotc_options *o);

struct slotc;

/* Creates a client on the caller's loop. Nothing is sent until the first
 * request. Returns SLOT_OK and *out, or SLOT_INVALID_ARGUMENT (no cluster,
 * an address that does not parse, too many, an option out of range) with
 * *out NULL. The client's handles keep the loop alive only while requests
 * are pending (and while closing). */
SLOT_API int slotc_open(struct uv_loop_s *loop, const struct slotc_options *o,
                        struct slotc **out);

/* Closes the client: completes every pending request at once (SHUTDOWN, or
 * OUTCOME_UNKNOWN for a mutation that may have been applied), closes the
 * connections, then calls close_cb(data) (may be NULL) from the loop and
 * frees the client. Callable from a completion callback. After this call
 * the client accepts nothing (SHUTDOWN); do not use it after close_cb. */
SLOT_API void slotc_close(struct slotc *c, void (*close_cb)(void *data),
                          void *data);

/* Requests accepted and not yet completed. */
SLOT_API uint32_t slotc_pending(const struct slotc *c);

/* ---- Commands (async) -------------------------------------------------------
 * Each is sent to
 * the leader with the client's (session, number) and retried, same number,
 * until answered or the deadline. On SLOT_OK: out.index, out.ledger_time_ms,
 * and what each lists. */

/* Replaces the ledger's rule parameters. Sync errors: INVALID_ARGUMENT
 * (ranges above). */
SLOT_API int slotc_config(struct slotc *c, struct slotc_req *req,
                          const struct slotc_config *cfg, slotc_cb cb);

/* Creates a pool. Errors: POOL_EXISTS, LIMIT_REACHED. */
SLOT_API int slotc_pool_create(struct slotc *c, struct slotc_req *req,
                               const struct slotc_pool_spec *spec, slotc_cb cb);

/* Replaces a pool's kind, fee, segment, release time, capacity and shares.
 * Errors: UNKNOWN_POOL, POOL_CLOSED, CAPACITY_CONFLICT, LIMIT_REACHED. */
SLOT_API int slotc_pool_update(struct slotc *c, struct slotc_req *req,
                               const struct slotc_pool_spec *spec, slotc_cb cb);

/* Closes a pool to new holds (existing ones may still be confirmed or
 * cancelled). Errors: UNKNOWN_POOL, POOL_CLOSED. */
SLOT_API int slotc_pool_close(struct slotc *c, struct slotc_req *req,
                              const char *pool, slotc_cb cb);

/* Holds one slot of `pool` for `patient` through `channel` for ttl_ms.
 * out.id = hold id, out.deadline_ms. Errors, in the ledger's order:
 * UNKNOWN_POOL, POOL_CLOSED, NOT_RELEASED, TTL_OUT_OF_RANGE,
 * PATIENT_HAS_CLAIM, SOLD_OUT, LIMIT_REACHED. OUTCOME_UNKNOWN: out.pool and
 * out.patient (query with slotc_read_patient). */
SLOT_API int slotc_hold(struct slotc *c, struct slotc_req *req,
                        const char *pool, const char *patient,
                        const char *channel, uint32_t ttl_ms, slotc_cb cb);

/* Confirms (books) a hold after payment. out.id = booking id (the hold id),
 * out.visit_no. Errors: UNKNOWN_HOLD, HOLD_EXPIRED, ALREADY_CONFIRMED,
 * ALREADY_RELEASED. Sync: INVALID_ARGUMENT for hold 0 or a bad ref. */
SLOT_API int slotc_confirm(struct slotc *c, struct slotc_req *req,
                           uint64_t hold, const char *payment_ref, slotc_cb cb);

/* Releases a hold. Errors: as slotc_confirm. */
SLOT_API int slotc_release(struct slotc *c, struct slotc_req *req,
                           uint64_t hold, slotc_cb cb);

/* Cancels a booking. Errors: UNKNOWN_BOOKING, ALREADY_CANCELLED. */
SLOT_API int slotc_cancel(struct slotc *c, struct slotc_req *req,
                          uint64_t booking, slotc_cb cb);

/* Expires up to max (1..4096) due holds now (the leader also does this by
 * itself). Not deduplicated (it needs none). out.expired, out.still_due. */
SLOT_API int slotc_expire(struct slotc *c, struct slotc_req *req, uint32_t max,
                          slotc_cb cb);

/* ---- Reads (async) ----------------------------------------------------------
 * Linearizable
 * (served by the leader after confirming its leadership), unless req.flags has
 * SLOTC_STALE. out.index = the serving node's applied index, out.node its
 * address. */

/* One pool: out.pools[0]. Errors: UNKNOWN_POOL. */
SLOT_API int slotc_read_pool(struct slotc *c, struct slotc_req *req,
                             const char *pool, slotc_cb cb);
/* A hold by id (any state): out.claims[0]. Errors: UNKNOWN_HOLD. */
SLOT_API int slotc_read_hold(struct slotc *c, struct slotc_req *req,
                             uint64_t hold, slotc_cb cb);
/* A booking by id (confirmed claims only): out.claims[0]. Errors:
 * UNKNOWN_BOOKING. */
SLOT_API int slotc_read_booking(struct slotc *c, struct slotc_req *req,
                                uint64_t booking, slotc_cb cb);
/* The patient's active claim in the pool (BOOKED, or HELD before its
 * deadline): out.claims[0..n_claims), n_claims 0 or 1. Errors:
 * UNKNOWN_POOL. */
SLOT_API int slotc_read_patient(struct slotc *c, struct slotc_req *req,
                                const char *pool, const char *patient,
                                slotc_cb cb);
/* Pools in creation order after `after` (NULL or "": from the first), at
 * most limit (1..SLOTC_LIST_MAX): out.pools. Errors: UNKNOWN_POOL (after). */
SLOT_API int slotc_read_pools(struct slotc *c, struct slotc_req *req,
                              const char *after, uint32_t limit, slotc_cb cb);
/* Ledger-wide figures: *out.ledger. Its state_hash, a digest of the
 * whole ledger, costs O(state) on the node: set SLOTC_NO_HASH in
 * req.flags unless it is wanted (then state_hash is 0). */
SLOT_API int slotc_read_ledger(struct slotc *c, struct slotc_req *req,
                               slotc_cb cb);

/* ---- Cluster administration (async) -------------------------------------- */

/* A node's status: *out.status, out.node. Any node answers: set req.node to
 * ask a given one (else the client's current node). SLOTC_NO_HASH in
 * req.flags: state_hash is 0 and the status costs O(1) on the node (see
 * SLOTC_NO_HASH). */
SLOT_API int slotc_status(struct slotc *c, struct slotc_req *req, slotc_cb cb);

/* Membership changes go to the leader. A change retried after an attempt
 * whose outcome is unknown and then refused reports OUTCOME_UNKNOWN (out.id
 * the member): check with slotc_status. Errors: INVALID_ARGUMENT (unknown
 * or duplicate id or address, bad role), BUSY is retried (a change in
 * progress), IO. */

/* Adds node `id` at address "RAFT_HOST:PORT/CLIENT_HOST:PORT" as a spare
 * (then promote it with slotc_member_assign). */
SLOT_API int slotc_member_add(struct slotc *c, struct slotc_req *req,
                              uint64_t id, const char *address, slotc_cb cb);
/* Gives member `id` a role (enum slotc_member_role): voter to promote. */
SLOT_API int slotc_member_assign(struct slotc *c, struct slotc_req *req,
                                 uint64_t id, int role, slotc_cb cb);
/* Removes member `id` (it stops itself). */
SLOT_API int slotc_member_remove(struct slotc *c, struct slotc_req *req,
                                 uint64_t id, slotc_cb cb);
/* Transfers leadership to voter `id` (0: the leader picks). OK once another
 * node leads. */
SLOT_API int slotc_transfer(struct slotc *c, struct slotc_req *req, uint64_t id,
                            slotc_cb cb);

/* ---- Blocking face ----------------------------------------------------------
 * struct
 * slotc_sync owns a private loop and an async client on it. Each
 * slotc_sync_X(s, req, args) submits slotc_X(…) and runs the private loop
 * until the request completes (at the latest at its deadline). It returns
 * the status: the submit's error if the submit failed, else req->status.
 * req's inputs are honoured (timeout_ms, flags, node); its outputs, and the
 * memory they point to, stay valid until the next call on s or
 * slotc_sync_close(s). One thread at a time per struct slotc_sync. */

struct slotc_sync;

/* Opens a blocking client (options as slotc_open). Returns SLOT_OK and *out,
 * or SLOT_INVALID_ARGUMENT / SLOT_BUSY (no memory). */
SLOT_API int slotc_sync_open(const struct slotc_options *o,
                             struct slotc_sync **out);
/* Closes the connections and frees everything (and the last outputs). */
SLOT_API void slotc_sync_close(struct slotc_sync *s);

SLOT_API int slotc_sync_config(struct slotc_sync *s, struct slotc_req *req,
                               const struct slotc_config *cfg);
SLOT_API int slotc_sync_pool_create(struct slotc_sync *s, struct slotc_req *req,
                                    const struct slotc_pool_spec *spec);
SLOT_API int slotc_sync_pool_update(struct slotc_sync *s, struct slotc_req *req,
                                    const struct slotc_pool_spec *spec);
SLOT_API int slotc_sync_pool_close(struct slotc_sync *s, struct slotc_req *req,
                                   const char *pool);
SLOT_API int slotc_sync_hold(struct slotc_sync *s, struct slotc_req *req,
                             const char *pool, const char *patient,
                             const char *channel, uint32_t ttl_ms);
SLOT_API int slotc_sync_confirm(struct slotc_sync *s, struct slotc_req *req,
                                uint64_t hold, const char *payment_ref);
SLOT_API int slotc_sync_release(struct slotc_sync *s, struct slotc_req *req,
                                uint64_t hold);
SLOT_API int slotc_sync_cancel(struct slotc_sync *s, struct slotc_req *req,
                               uint64_t booking);
SLOT_API int slotc_sync_expire(struct slotc_sync *s, struct slotc_req *req,
                               uint32_t max);
SLOT_API int slotc_sync_read_pool(struct slotc_sync *s, struct slotc_req *req,
                                  const char *pool);
SLOT_API int slotc_sync_read_hold(struct slotc_sync *s, struct slotc_req *req,
                                  uint64_t hold);
SLOT_API int slotc_sync_read_booking(struct slotc_sync *s,
                                     struct slotc_req *req, uint64_t booking);
SLOT_API int slotc_sync_read_patient(struct slotc_sync *s,
                                     struct slotc_req *req, const char *pool,
                                     const char *patient);
SLOT_API int slotc_sync_read_pools(struct slotc_sync *s, struct slotc_req *req,
                                   const char *after, uint32_t limit);
SLOT_API int slotc_sync_read_ledger(struct slotc_sync *s,
                                    struct slotc_req *req);
SLOT_API int slotc_sync_status(struct slotc_sync *s, struct slotc_req *req);
SLOT_API int slotc_sync_member_add(struct slotc_sync *s, struct slotc_req *req,
                                   uint64_t id, const char *address);
SLOT_API int slotc_sync_member_assign(struct slotc_sync *s,
                                      struct slotc_req *req, uint64_t id,
                                      int role);
SLOT_API int slotc_sync_member_remove(struct slotc_sync *s,
                                      struct slotc_req *req, uint64_t id);
SLOT_API int slotc_sync_transfer(struct slotc_sync *s, struct slotc_req *req,
                                 uint64_t id);

#endif /* LIBSLOT_H */
