/* tgateway: see tgateway.h. */
#include "tgateway.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tclock.h"

void tgateway_binary(char *out, size_t cap)
{
    const char *env = getenv("SLOT_GATEWAY");
    if (env != NULL && env[0] != '\0') {
        snprintf(out, cap, "%s", env);
        return;
    }
    char exe[400];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    snprintf(out, cap, "%s/slot-gateway", dirname(exe));
}

int tgateway_spawn(struct tgateway *g, const char *dir, const char *name,
                   int port, const struct tgateway_config *c)
{
    memset(g, 0, sizeof *g);
    g->port = port;
    snprintf(g->conf, sizeof g->conf, "%s/%s.conf", dir, name);
    snprintf(g->log, sizeof g->log, "%s/%s.log", dir, name);
    if (c->access_log == NULL) {
        snprintf(g->access, sizeof g->access, "%s/%s.access", dir, name);
    } else {
        snprintf(g->access, sizeof g->access, "%s", c->access_log);
    }
    FILE *f = fopen(g->conf, "w");
    if (f == NULL) {
        return -1;
    }
    fprintf(f,
            "{\"listen\":\"127.0.0.1:%d\",\"cluster\":\"%s\",\n"
            " \"tokens\":{%s},\n"
            " \"access_log\":\"%s\", %s\n"
            " \"limits\":{%s}}\n",
            port, c->cluster, c->tokens, g->access,
            c->top != NULL ? c->top : "", c->limits != NULL ? c->limits : "");
    if (fclose(f) != 0) {
        return -1;
    }
    char bin[512];
    tgateway_binary(bin, sizeof bin);
    char *argv[] = {bin, "--config", g->conf, NULL};
    return proc_spawn(&g->p, "slot-gateway", argv, g->log);
}

int tgateway_wait_healthy(struct tgateway *g, int timeout_ms)
{
    long long until = tclock_mono_ms() + timeout_ms;
    while (tclock_mono_ms() < until && !proc_exited(&g->p)) {
        if (proc_http_status(g->port, "/healthz", 2000) == 200) {
            return 0;
        }
        tclock_sleep_ms(50);
    }
    fprintf(stderr, "gateway on port %d: not healthy in time (see %s)\n",
            g->port, g->log);
    return -1;
}

int tgateway_start(struct tgateway *g, const char *dir, const char *name,
                   const struct tgateway_config *c, int timeout_ms)
{
    int port = 0;
    if (proc_free_ports(&port, 1) != 0 ||
        tgateway_spawn(g, dir, name, port, c) != 0) {
        return -1;
    }
    return tgateway_wait_healthy(g, timeout_ms);
}

int tgateway_stop(struct tgateway *g, int grace_ms, char *why, size_t why_len)
{
    if (proc_stop(&g->p, grace_ms, why, why_len) != 0) {
        return -1;
    }
    return proc_log_problem(g->log, why, why_len);
}
