/* slot-gateway: the HTTP/JSON shim over the slot pool ledger.
 *
 *   slot-gateway --config FILE      serve (SIGTERM / SIGINT: drain and stop)
 *   slot-gateway --check FILE       validate a configuration and exit
 *   slot-gateway --openapi          print the OpenAPI document and exit
 *
 * The configuration is described in gw_config.h and client/gateway/README.md.
 * One process serves on one libuv loop (h2o's libuv build and libslot's
 * async client share it); run several gateways for more (they are stateless:
 * everything they must remember lives in the ledger).
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <uv.h>

#include "gw_config.h"
#include "gw_http.h"
#include "gw_log.h"
#include "gw_openapi.h"

static const char usage[] =
    "usage: slot-gateway --config FILE\n"
    "       slot-gateway --check FILE     (validate the configuration)\n"
    "       slot-gateway --openapi        (print the OpenAPI document)\n";

/* Process-wide so that a leak checker sees them as reachable at exit. */
static struct gw_config config;
static struct gw_log logger;
static uv_signal_t sigterm, sigint;
static struct gw *gateway;

static void stopped(void *data)
{
    uv_loop_t *loop = data;
    gw_log_close(&logger);
    uv_close((uv_handle_t *)&sigterm, NULL);
    uv_close((uv_handle_t *)&sigint, NULL);
    /* Open keep-alive connections would keep the loop running: stop it. */
    uv_stop(loop);
}

static void onSignal(uv_signal_t *h, int signum)
{
    (void)signum;
    fprintf(stderr, "slot-gateway: stopping\n");
    gw_stop(gateway, stopped, h->loop);
}

/* Every connection is a descriptor: the soft limit (often 1024) is raised
 * towards the hard one, enough for connections_max and the gateway's own
 * (libslot's sessions, the log, the listener). Short of that, a warning:
 * the gateway then stops accepting when it runs out, not at its limit. */
static void fdLimit(uint32_t connections_max)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)connections_max + 256;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        return;
    }
    if (rl.rlim_cur < want) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want
                          ? want
                          : rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
        (void)getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur < want) {
        fprintf(stderr,
                "slot-gateway: warning: %llu open files allowed (RLIMIT_NOFILE"
                "), fewer than limits.connections_max %u + 256\n",
                (unsigned long long)rl.rlim_cur, connections_max);
    }
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--openapi") == 0) {
        size_t len;
        char *doc = gw_openapi_build(&len);
        if (doc == NULL) {
            return 1;
        }
        fwrite(doc, 1, len, stdout);
        fputc('\n', stdout);
        free(doc);
        return 0;
    }
    if (argc != 3 ||
        (strcmp(argv[1], "--config") != 0 && strcmp(argv[1], "--check") != 0)) {
        fputs(usage, stderr);
        return 2;
    }
    char err[512];
    if (gw_config_load(argv[2], &config, err, sizeof err) != 0 ||
        gw_config_resolve(&config, err, sizeof err) != 0) {
        fprintf(stderr, "slot-gateway: %s\n", err);
        return 2;
    }
    if (strcmp(argv[1], "--check") == 0) {
        printf("%s: ok (%d tokens, %d channels)\n", argv[2], config.n_tokens,
               config.n_channels);
        return 0;
    }
    signal(SIGPIPE, SIG_IGN);
    fdLimit(config.limits.connections_max);
    uv_loop_t *loop = uv_default_loop();
    if (gw_log_open(&logger, loop, config.access_log) != 0) {
        fprintf(stderr, "slot-gateway: access log %s: cannot open\n",
                config.access_log);
        return 1;
    }
    if (gw_start(loop, &config, &logger, &gateway, err, sizeof err) != 0) {
        fprintf(stderr, "slot-gateway: %s\n", err);
        return 1;
    }
    uv_signal_init(loop, &sigterm);
    uv_signal_init(loop, &sigint);
    uv_signal_start(&sigterm, onSignal, SIGTERM);
    uv_signal_start(&sigint, onSignal, SIGINT);
    fprintf(stderr, "slot-gateway: listening on %s, cluster %s\n",
            config.listen, config.cluster);
    uv_run(loop, UV_RUN_DEFAULT);
    /* `gateway` stays allocated (see gw_stop): the process ends here. */
    return 0;
}
