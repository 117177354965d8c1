/* tgateway: slot-gateway processes for tests and benches (part of the test
 * library, liblocalcluster.a, with proc.h and tcluster.h).
 *
 * A gateway is started from a configuration this module writes, with its
 * output in a log file; it is stopped by its pid (proc.h), and its end is
 * judged: exit status 0, and no sanitizer report or failed assertion in
 * its log. Every wait is bounded. The binary is $SLOT_GATEWAY if set,
 * else slot-gateway beside the running executable (build/<flavour>/bin).
 */
#ifndef SLOT_TGATEWAY_H
#define SLOT_TGATEWAY_H

#include <stddef.h>

#include "proc.h"

struct tgateway {
    struct proc p;
    int port;         /* its listen port on 127.0.0.1 */
    char conf[300];   /* the configuration written */
    char access[300]; /* its access log ("" : off) */
    char log[300];    /* its stdout and stderr */
};

/* What goes into the configuration: {"listen": "127.0.0.1:PORT",
 * "cluster": cluster, "tokens": {tokens}, "access_log": ..., top
 * "limits": {limits}}. tokens: the members of "tokens" ("\"tok\":\"app\""
 * ...); access_log NULL: DIR/NAME.access, "": off; top: more top-level
 * members, each followed by a comma, or ""; limits: the members of
 * "limits", or "". */
struct tgateway_config {
    const char *cluster;
    const char *tokens;
    const char *access_log;
    const char *top;
    const char *limits;
};

/* The binary tests start (above). */
void tgateway_binary(char *out, size_t cap);

/* Writes DIR/NAME.conf for port and starts the gateway on it, its output in
 * DIR/NAME.log. Does not wait. Returns 0 or -1. */
int tgateway_spawn(struct tgateway *g, const char *dir, const char *name,
                   int port, const struct tgateway_config *c);

/* Waits until GET /healthz answers 200 (the gateway serves and reaches the
 * cluster), at most timeout_ms. -1 if it exited or did not in time (the
 * reason on stderr). */
int tgateway_wait_healthy(struct tgateway *g, int timeout_ms);

/* tgateway_spawn on a free port, then tgateway_wait_healthy. */
int tgateway_start(struct tgateway *g, const char *dir, const char *name,
                   const struct tgateway_config *c, int timeout_ms);

/* Stops it by its pid (SIGTERM, SIGKILL after grace_ms) and judges its
 * end: 0 if it exited 0 and its log is clean, else -1 with why. */
int tgateway_stop(struct tgateway *g, int grace_ms, char *why, size_t why_len);

#endif /* SLOT_TGATEWAY_H */
