/* gw_config: slot-gateway's configuration file (JSON), parsed strictly.
 *
 * Every key, its range and its default is listed in client/gateway/README.md
 * and below; an unknown key, a wrong type or a value out of range is an
 * error (so a typo cannot silently fall back to a default).
 *
 *   listen        "HOST:PORT" (host name, IPv4 literal or [IPv6])  required
 *   cluster       "HOST:PORT,..." client addresses of the slotd nodes  required
 *                 (names too; proto/slot_addr.h has the rules)
 *   tokens        {"TOKEN": "CHANNEL" | "admin", ...}, 1..64 tokens    required
 *                 TOKEN: 8..256 bytes of [A-Za-z0-9._~+/=-];
 *                 CHANNEL: 1..16 bytes of [a-z0-9_-], not "admin"
 *   access_log    "-" stdout (default), "" off, or a file path (appended)
 *   reuse_port    false (default); true: bind with SO_REUSEPORT so that
 *                 several gateway processes on one host share the port
 *   identity      {...}  real-name patient keys (gw_ident.h), optional:
 *                 "secret_hex": 64..128 hex digits (32..64 bytes), or
 *                 "secret_file": a file holding them (trailing whitespace
 *                 ignored), exactly one of the two;
 *                 "opaque_key_channels": [CHANNEL, ...] the channels (of
 *                 tokens above) that may still name a patient by an opaque
 *                 "patient" key (default none). Without "identity", bodies
 *                 naming an identity are refused and every channel sends
 *                 "patient" keys.
 *   limits        {...}  see struct gw_limits
 *   client        {...}  libslot options, see struct gw_client_opts
 */
#ifndef GW_CONFIG_H
#define GW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "gw_ident.h"
#include "slot_addr.h"
#include "gw_metrics.h"

#define GW_TOKENS_MAX 64
#define GW_TOKEN_MIN  8
#define GW_TOKEN_MAX  256

struct gw_token {
    char token[GW_TOKEN_MAX + 1];
    size_t len;
    int channel; /* GW_CH_ADMIN, or GW_CH_FIRST + index into channels */
};

struct gw_limits {
    uint32_t inflight_max; /* requests waiting on the cluster (4096) */
    /* The adaptive budget (gw_admit.h) between inflight_min and
     * inflight_max: what the cluster answers within queue_target_ms,
     * re-judged every queue_interval_ms. queue_target_ms 0: the budget is
     * inflight_max, fixed. */
    uint32_t inflight_min;       /* (64) */
    uint32_t queue_target_ms;    /* (20) */
    uint32_t queue_interval_ms;  /* (100) */
    uint32_t connections_max;    /* open HTTP connections (10000) */
    uint32_t body_max_bytes;     /* request body (8192) */
    uint32_t headers_max_bytes;  /* request line + headers (8192) */
    uint32_t request_timeout_ms; /* libslot deadline of one request (5000) */
    uint32_t healthz_timeout_ms; /* deadline of /healthz's read (1000) */
    uint32_t idle_timeout_ms; /* HTTP/1 keep-alive and request read (30000) */
    uint32_t retry_after_s;   /* Retry-After on 503 (1) */
    uint32_t patient_rate_per_s; /* holds per patient per second; 0 off (2) */
    uint32_t patient_burst;      /* ... and at once (5) */
    uint32_t patient_table_size; /* patients remembered (65536) */
    uint32_t hold_ttl_ms;        /* ttl_ms of a hold without one, in a
                           * free-standing pool (600000) */
    /* Bodies of PUT .../rules and POST /v1/schedules (65536: a template of
     * 366 days x 48 segments is about 8 KB written compactly). */
    uint32_t schedule_body_max_bytes;
    uint32_t pool_cache_size; /* pools whose kind (scheduled or not) the
                               * gateway remembers (16384) */
    /* The event feed (gw_http_events.c): */
    uint32_t events_max;          /* long polls waiting + SSE streams open
                                   * at once; beyond: 503 OVERLOADED (64) */
    uint32_t events_poll_ms;      /* a waiting subscriber reads the feed
                                   * this often (250) */
    uint32_t events_heartbeat_ms; /* an SSE comment after this long
                                   * without a write (15000) */
    uint32_t events_buffer_bytes; /* an SSE stream's bytes not yet taken
                                   * by its socket, at most (262144) */
    uint32_t events_stall_ms;     /* a stream whose socket takes nothing
                                   * this long with bytes waiting ends
                                   * SLOW_SUBSCRIBER (30000) */
    /* Money and statistics (protocol 5, gw_http_money.c): */
    uint32_t stats_refresh_ms;      /* /metrics' statistics are read from the
                                * cluster in the background this often
                                * (5000), never by a scrape */
    uint32_t stats_series_max;      /* (hospital, department, day) rows the
                                * gauges keep; the rest are counted as
                                * dropped; 0: no statistics gauges and no
                                * background read (10000) */
    uint32_t recon_max;             /* reconciliations (GET /v1/reconciliation)
                                * at once; beyond: 503 RECON_BUSY (2) */
    uint32_t recon_bytes_max;       /* a reconciliation's or statistics'
                                * response, at most; beyond: 413
                                * RESPONSE_TOO_LARGE (67108864) */
    uint32_t events_shared_max;     /* events the gateway's one follower of
                                   * the feed keeps for the streams it
                                   * serves (gw_fanout.h); 0: none, every
                                   * stream reads the feed itself (65536) */
    uint32_t events_shared_poll_ms; /* the shared follower, caught up,
                                     * reads the feed this often (20) */
    uint32_t events_shared_hold_ms; /* a minority of slow streams holds
                                     * the follower back at most this
                                     * long (1000) */
    /* The cluster view (GET /v1/cluster, gw_http_cluster.c): */
    uint32_t cluster_timeout_ms; /* deadline of the STATUS asked of every
                                  * node: the whole answer comes within it,
                                  * a node silent that long is listed
                                  * unreachable (1000) */
    uint32_t cluster_max;        /* cluster views at once; beyond: 503
                                  * CLUSTER_BUSY (4) */
};

struct gw_client_opts {
    uint32_t sessions;           /* ledger sessions (16) */
    uint32_t queue_max;          /* libslot queue (2 * inflight_max + 64) */
    uint32_t connect_timeout_ms; /* (1000) */
    uint32_t attempt_timeout_ms; /* (3000) */
    uint32_t retry_ms;           /* wait after NO_LEADER / BUSY (50) */
};

struct gw_config {
    char listen[128];
    struct slot_hostport listen_hp;
    struct sockaddr_storage listen_addr; /* a name's: gw_config_resolve */
    char cluster[1024];
    char access_log[512];
    bool reuse_port; /* SO_REUSEPORT: several gateways on one port */
    int n_tokens;
    struct gw_token tokens[GW_TOKENS_MAX];
    int n_channels;
    char channels[GW_CHANNELS_MAX][SLOTC_CHANNEL_MAX + 1];
    const char *channel_names[GW_CHANNELS_MAX]; /* -> channels[i] */
    struct gw_limits limits;
    struct gw_client_opts client;
    /* "identity": has_identity false without it (ident unset). */
    bool has_identity;
    struct gw_ident ident;
    bool opaque_ok[GW_CHANNELS_MAX]; /* channels[i] may send "patient" */
};

/* Parses a configuration document. Returns 0, or -1 with a message in
 * err (capacity errlen). */
int gw_config_parse(const char *text, size_t len, struct gw_config *c,
                    char *err, size_t errlen);

/* Resolves the host names of a parsed configuration with a blocking
 * getaddrinfo: call it at start-up, before the loop runs. `listen` becomes
 * listen_addr (its first IPv4 address, else its first IPv6 one); each
 * `cluster` name must resolve now, so a typo stops the gateway at start
 * with a message naming the key (libslot resolves the names again on every
 * connection, off the loop, and follows a node that moved). Returns 0, or
 * -1 with a message in err. */
int gw_config_resolve(struct gw_config *c, char *err, size_t errlen);

/* Reads and parses a file (at most 1 MiB). */
int gw_config_load(const char *path, struct gw_config *c, char *err,
                   size_t errlen);

/* The token's channel slot (GW_CH_ADMIN or >= GW_CH_FIRST), or -1 if the
 * token is unknown. Compares against every token in constant time per
 * byte, so timing does not reveal how much of a token matched. */
int gw_config_token(const struct gw_config *c, const char *tok, size_t len);

/* May the channel slot name a patient by an opaque "patient" key? Always
 * without an "identity" section; with one, the admin token (which reads
 * but never holds) and the opaque_key_channels only. */
bool gw_config_opaque_ok(const struct gw_config *c, int slot);

/* The identity secret, or NULL when the configuration has none. */
const struct gw_ident *gw_config_ident(const struct gw_config *c);

/* Name of a channel slot ("admin", "app", or "-"). */
const char *gw_config_channel_name(const struct gw_config *c, int slot);

#endif /* GW_CONFIG_H */
