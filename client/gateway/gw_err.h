/* gw_err: the gateway's error codes, their stable names and HTTP statuses.
 *
 * A response error is {"error":{"code":NAME,"message":TEXT}}. NAME is one of
 * the ledger's names (slot_err.h: "SOLD_OUT", "HOLD_EXPIRED", ...) when the
 * ledger or libslot decided, or one of the gateway's own names below when
 * the HTTP layer did (a missing token, an unknown route, a full in-flight
 * budget). Both sets are part of the HTTP API: never rename, only append.
 */
#ifndef GW_ERR_H
#define GW_ERR_H

/* X(NAME, number, status, message). Numbers start at 200, above every
 * slot_err code, so one int carries either kind. */
#define GW_ERR_MAP(X)                                                          \
    X(UNAUTHORIZED, 200, 401, "missing or unknown bearer token")               \
    X(FORBIDDEN, 201, 403, "this token may not do this")                       \
    X(NOT_FOUND, 202, 404, "no such route")                                    \
    X(METHOD_NOT_ALLOWED, 203, 405, "the route does not support this method")  \
    X(RATE_LIMITED, 204, 429,                                                  \
      "too many requests for this patient; retry later")                       \
    X(OVERLOADED, 205, 503,                                                    \
      "the gateway has too many requests in flight; retry later")              \
    X(HEADERS_TOO_LARGE, 206, 431,                                             \
      "request headers exceed the gateway's limit")                            \
    X(INTERNAL, 207, 500, "internal error")                                    \
    X(IDENTITY_NOT_CONFIGURED, 208, 400,                                       \
      "this gateway has no identity secret: name the patient by \"patient\"")  \
    X(OPAQUE_KEY_NOT_ALLOWED, 209, 400,                                        \
      "this channel must name the patient by id_type and id_number")           \
    X(INVALID_ID_NUMBER, 210, 400,                                             \
      "id_number does not follow the rule of its id_type")                     \
    X(SLOW_SUBSCRIBER, 211, 503,                                               \
      "the event stream's subscriber fell too far behind: reconnect with "     \
      "Last-Event-ID")                                                         \
    X(RECON_DAY_GONE, 212, 410,                                                \
      "the event feed no longer holds the start of this day: reconcile it "    \
      "from the archive (slotctl reconcile --archive)")                        \
    X(RESPONSE_TOO_LARGE, 213, 413,                                            \
      "the response would exceed the gateway's limit (recon_bytes_max): "      \
      "narrow it (hospital=, channel=, a shorter range)")                      \
    X(RECON_BUSY, 214, 503,                                                    \
      "too many reconciliations at once (recon_max); retry later")             \
    X(CLUSTER_BUSY, 215, 503,                                                  \
      "too many cluster views at once (cluster_max); retry later")

enum gw_err {
#define GW_ERR_ENUM_(name, num, status, msg) GW_##name = (num),
    GW_ERR_MAP(GW_ERR_ENUM_)
#undef GW_ERR_ENUM_
};

/* Stable name of a gateway or ledger code ("SOLD_OUT", "FORBIDDEN"), or
 * "INTERNAL" for a code that is neither. Static storage. */
const char *gw_err_name(int code);

/* Default message of a code. Static storage. */
const char *gw_err_message(int code);

/* The HTTP status for a code (the table in client/gateway/README.md). */
int gw_err_status(int code);

/* Whether a response with this code carries Retry-After (the request can
 * be repeated unchanged later: 429 and 503, except CANCEL_LIMIT, which
 * lasts until the patient's next local day). */
int gw_err_retryable(int code);

#endif /* GW_ERR_H */
