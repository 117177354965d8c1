/* gw_http: the gateway proper: h2o (libuv build) serving the HTTP API on
 * the caller's loop, and libslot's async client on the same loop.
 *
 * One request, in order of its checks (each failing check answers at once,
 * without touching the cluster):
 *
 *   request line + headers > headers_max_bytes      431 HEADERS_TOO_LARGE
 *   no route for the path / not for this method      404 NOT_FOUND / 405
 *   bad percent-encoding in the path                 400 MALFORMED
 *   missing or unknown bearer token                  401 UNAUTHORIZED
 *   a channel token on an admin route, the admin
 *   token on a route that needs a channel            403 FORBIDDEN
 *   in-flight budget full (a new hold: the adaptive
 *   budget of gw_admit.h; others: inflight_max)      503 OVERLOADED
 *                                                    (+ Retry-After)
 *   body > body_max_bytes (schedule_body_max_bytes
 *   for a template or a rule set)                    413 TOO_LARGE
 *   bad Idempotency-Key, path parameter, query
 *   string (schedule routes) or body                 400 MALFORMED /
 *                                                    INVALID_ARGUMENT
 *   patient over the rate limit (holds)              429 RATE_LIMITED
 *                                                    (+ Retry-After)
 *
 * then the libslot call(s); the ledger's answer maps to a status by
 * gw_err_status(). Confirm, release and cancel are one ledger command that
 * names the caller's channel ("" for the admin token) and its X-Account
 * account: the ledger answers NOT_OWNER for a claim of another channel
 * and account. The claim reads answer 403 when the claim belongs to
 * another channel (the admin token reads anything).
 * A hold without ttl_ms in a pool whose kind the gateway has not seen
 * reads the pool first (gw_pcache.h). The routes of hospitals' schedules
 * and rules are gw_http_sched.c's (gw_httpInt.h).
 *
 * Memory: a request that waits on the cluster has a struct gw_call from a
 * free list (at most inflight_max exist). If the HTTP client goes away
 * first, h2o frees its request; the call notices through a disposer linked
 * to the request's pool and drops the answer (a write still completes in
 * the ledger: the client retries with its Idempotency-Key).
 */
#ifndef GW_HTTP_H
#define GW_HTTP_H

#include <stddef.h>
#include <uv.h>

#include "gw_config.h"
#include "gw_log.h"

struct gw;

/* Starts listening on cfg->listen and opens the libslot client. cfg and
 * log must outlive the gateway. Returns 0, or -1 with a message in err. */
int gw_start(uv_loop_t *loop, const struct gw_config *cfg, struct gw_log *log,
             struct gw **out, char *err, size_t errlen);

/* Stops accepting connections, waits (at most request_timeout_ms + 1 s)
 * for requests in flight to be answered, closes the libslot client, then
 * calls done(data) from the loop. The caller then stops the loop and exits:
 * h2o 2.2's HTTP/1 layer cannot close idle keep-alive connections from the
 * context, so neither the context nor the gateway is ever disposed of (the
 * memory stays reachable until the process exits). */
void gw_stop(struct gw *g, void (*done)(void *data), void *data);

#endif /* GW_HTTP_H */
