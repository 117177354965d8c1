/* gw_route: the gateway's route table and its path matcher.
 *
 * Routes are matched on the raw request path (before '?': the query string
 * is the handler's), split at '/', each segment percent-decoded. A path parameter
 * may therefore contain any byte, '/' included, when percent-encoded (pool
 * ids like "PUMCH%2Feast%2Fcardiology"); what it may contain after
 * decoding is checked by the handler against the protocol's field rules.
 * Pure: no I/O, no allocation; the table is static.
 */
#ifndef GW_ROUTE_H
#define GW_ROUTE_H

#include <stddef.h>

enum gw_route_id {
    GW_R_NONE = 0, /* no route matched (metrics label "unmatched") */
    GW_R_POOL_CREATE,
    GW_R_POOL_GET,
    GW_R_POOL_CLOSE,
    GW_R_HOLD_CREATE,
    GW_R_PATIENT_GET,
    GW_R_HOLD_GET,
    GW_R_HOLD_CONFIRM,
    GW_R_HOLD_RELEASE,
    GW_R_BOOKING_GET,
    GW_R_BOOKING_CANCEL,
    GW_R_HEALTHZ,
    GW_R_METRICS,
    GW_R_OPENAPI,
    /* hospitals' schedules and rules (issue 14) */
    GW_R_POOL_QUERY,
    GW_R_SCHEDULE_IMPORT,
    GW_R_RULES_GET,
    GW_R_RULES_SET,
    GW_R_RULES_LOG,
    /* real-name patient keys (issue 15) */
    GW_R_PATIENT_LOOKUP,
    /* accounts, patients' records, staff commands, waitlists (issue 15) */
    GW_R_ACCOUNT_BIND,
    GW_R_ACCOUNT_UNBIND,
    GW_R_ACCOUNT_GET,
    GW_R_PATIENT_INFO,
    GW_R_PATIENT_INFO_LOOKUP,
    GW_R_VIOLATION,
    GW_R_UNBLOCK,
    GW_R_EXCEPTION,
    GW_R_STAFF_LOG,
    GW_R_WAITLIST_JOIN,
    GW_R_WAITLIST_LEAVE,
    GW_R_WAITLIST_GET,
    GW_R_WAITLIST_LOOKUP,
    /* the visit day: stoppage, moves, check-in (protocol 4) */
    GW_R_POOL_STOP,
    GW_R_POOL_CLAIMS,
    GW_R_BOOKING_MOVE,
    GW_R_BOOKING_CHECKIN,
    /* the event feed (protocol 4): long poll and Server-Sent Events */
    GW_R_EVENTS,
    GW_R_EVENTS_STREAM,
    /* money and statistics (protocol 5) */
    GW_R_RECONCILIATION,
    GW_R_STATS,
    /* the operator console's static files (gw_console.h; issue 19) */
    GW_R_CONSOLE,
    GW_R_CONSOLE_ASSET,
    GW_R_COUNT
};

/* Who may call a route. */
enum gw_access {
    GW_ACCESS_PUBLIC = 0, /* no token */
    GW_ACCESS_ANY,        /* a channel token or the admin token */
    GW_ACCESS_CHANNEL,    /* a channel token only (the op needs a channel) */
    GW_ACCESS_ADMIN,      /* the admin token only */
};

struct gw_route {
    int id;             /* enum gw_route_id, equal to its table index */
    const char *method; /* "GET", "POST", "PUT", "DELETE" */
    const char *path;   /* template: "/v1/pools/{pool}/holds" */
    const char *name;   /* operationId and metrics label */
    int access;         /* enum gw_access */
    int ok_status;      /* status of success */
    int has_body;       /* 1: a JSON body is required; 0: optional */
    const char *summary;
};

/* gw_routes[i].id == i for 1 <= i < GW_R_COUNT; gw_routes[0] is a
 * placeholder for GW_R_NONE. */
extern const struct gw_route gw_routes[GW_R_COUNT];

#define GW_PARAMS_MAX   2   /* parameters of one route */
#define GW_PARAM_MAX    128 /* decoded bytes of one path parameter */
#define GW_SEGMENTS_MAX 8   /* segments of a path we look at */

/* Outcome of gw_route_match. */
enum gw_match_rc {
    GW_MATCH_OK = 0,
    GW_MATCH_NOT_FOUND,     /* no route has this path */
    GW_MATCH_BAD_METHOD,    /* the path exists with other methods: allow */
    GW_MATCH_BAD_ENCODING,  /* a '%' not followed by two hex digits */
    GW_MATCH_PARAM_TOO_LONG /* a parameter decodes to > GW_PARAM_MAX bytes */
};

struct gw_match {
    int route;    /* enum gw_route_id when GW_MATCH_OK */
    int n_params; /* in template order */
    char params[GW_PARAMS_MAX][GW_PARAM_MAX + 1]; /* decoded, NUL-terminated
                                                   * (may contain NUL bytes:
                                                   * see len) */
    size_t len[GW_PARAMS_MAX];
    char allow[64]; /* GW_MATCH_BAD_METHOD: "GET, POST" */
};

/* Matches method and raw path (path may include "?query"). Returns an enum
 * gw_match_rc and fills *m. Never reads beyond path[0..path_len). */
int gw_route_match(const char *method, size_t method_len, const char *path,
                   size_t path_len, struct gw_match *m);

/* Percent-decodes src[0..len) into dst (capacity cap, NUL added). Returns
 * the decoded length, -1 for a bad escape, -2 if it does not fit. */
long gw_pct_decode(const char *src, size_t len, char *dst, size_t cap);

/* Percent-encodes s for use as one path segment (every byte outside
 * [A-Za-z0-9_.~-] is escaped) into dst (capacity cap, NUL added). Returns
 * the length, or -1 if it does not fit. */
long gw_pct_encode(const char *s, size_t len, char *dst, size_t cap);

#endif /* GW_ROUTE_H */
