/* test_browser: the operator console in a real browser against a real
 * cluster.
 *
 * Starts a 3-node slotd cluster (node/testlib/tcluster.h) and the
 * slot-gateway next to this binary with an admin token and a channel
 * token on free ports, then runs the browser scenario
 * (client/gateway/test/browser_console.py: headless Chromium over the
 * DevTools protocol, cdp.py) with the gateway's URL, the tokens and the
 * nodes' addresses, bounded by BROWSER_RUN_MS. Afterwards it stops the
 * gateway and the cluster by their pids and judges their ends (exit 0, no
 * sanitizer report or failed assertion in a log).
 *
 * Screenshots go to build/test-logs/browser/ (beside build/rel/bin/;
 * $BROWSER_OUT overrides), one PNG per step, named by the step.
 *
 * Prints "N passed, N failed": the scenario's steps, plus one failure if
 * the gateway or a node did not end cleanly.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"
#include "tclock.h"
#include "tcluster.h"
#include "tgateway.h"

#define TOK_APP   "tok-browser-app-0001"
#define TOK_ADMIN "tok-browser-admin-001"

/* Bounds (never performance claims). */
#define GW_START_MS    30000  /* spawn to /healthz 200 */
#define GW_STOP_MS     30000  /* SIGTERM to exit */
#define BROWSER_RUN_MS 240000 /* the whole scenario */

/* This binary's directory (build/rel/bin). */
static void exeDir(char *out, size_t cap)
{
    char exe[400];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    snprintf(out, cap, "%s", dirname(exe));
}

static void mkdirs(const char *path)
{
    char p[512];
    snprintf(p, sizeof p, "%s", path);
    for (char *s = p + 1; *s != '\0'; s++) {
        if (*s == '/') {
            *s = '\0';
            mkdir(p, 0755);
            *s = '/';
        }
    }
    mkdir(p, 0755);
}

/* Starts the gateway on a free port with both tokens; waits until its
 * /healthz answers 200. Returns the port, or -1. */
static int gatewayStart(struct tgateway *gw, const struct tcluster *t)
{
    const struct tgateway_config c = {
        .cluster = t->cluster,
        .tokens = "\"" TOK_APP "\":\"app\",\"" TOK_ADMIN "\":\"admin\"",
    };
    if (tgateway_start(gw, t->dir, "gw-browser", &c, GW_START_MS) != 0) {
        return -1;
    }
    return gw->port;
}

/* Runs the scenario with its output on ours and $TMPDIR = tmpdir; kills
 * it (by pid) past BROWSER_RUN_MS. Returns its exit status (or -1). */
static int runScenario(char *const argv[], const char *tmpdir)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return -1;
    }
    if (pid == 0) {
        /* Chromium's profile and temporary files under the cluster's
         * directory: removed with it even if the scenario is killed. */
        setenv("TMPDIR", tmpdir, 1);
        execvp(argv[0], argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    long long until = tclock_mono_ms() + BROWSER_RUN_MS;
    int status = 0;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid) {
            break;
        }
        if (w < 0 && errno != EINTR) {
            perror("waitpid");
            return -1;
        }
        if (tclock_mono_ms() >= until) {
            /* Its Chromium dies with it (PR_SET_PDEATHSIG). */
            fprintf(stderr, "the browser scenario ran past %d ms: killed\n",
                    BROWSER_RUN_MS);
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        tclock_sleep_ms(100);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The scenario's "P F" summary file. */
static void readSummary(const char *path, int *passed, int *failed)
{
    FILE *f = fopen(path, "r");
    if (f == NULL || fscanf(f, "%d %d", passed, failed) != 2) {
        *passed = 0;
        *failed = 1;
    }
    if (f != NULL) {
        fclose(f);
    }
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    char dir[400], out[512], script[600], summary[600];
    exeDir(dir, sizeof dir);
    const char *env_out = getenv("BROWSER_OUT");
    if (env_out != NULL && env_out[0] != '\0') {
        snprintf(out, sizeof out, "%s", env_out);
    } else {
        snprintf(out, sizeof out, "%s/../../test-logs/browser", dir);
    }
    mkdirs(out);
    char real[PATH_MAX];
    if (realpath(out, real) != NULL && strlen(real) < sizeof out) {
        memcpy(out, real, strlen(real) + 1);
    }
    const char *env_script = getenv("BROWSER_SCRIPT");
    if (env_script != NULL && env_script[0] != '\0') {
        snprintf(script, sizeof script, "%s", env_script);
    } else {
        snprintf(script, sizeof script,
                 "%s/../../../client/gateway/test/browser_console.py", dir);
    }
    if (realpath(script, real) != NULL && strlen(real) < sizeof script) {
        memcpy(script, real, strlen(real) + 1);
    }
    snprintf(summary, sizeof summary, "%s/summary.txt", out);
    unlink(summary);

    struct tcluster cluster;
    if (tcluster_start(&cluster, 3, 0) != 0) {
        printf("0 passed, 1 failed\n");
        return 1;
    }
    struct tgateway gw;
    memset(&gw, 0, sizeof gw);
    int port = gatewayStart(&gw, &cluster);
    int passed = 0, failed = 0;
    if (port > 0) {
        char url[64];
        snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
        /* Debian's python3: the one python3-websocket installs for (a
         * python3 earlier on $PATH, a pyenv one, may not see it). */
        const char *py = getenv("BROWSER_PYTHON");
        if (py == NULL || py[0] == '\0') {
            py = "/usr/bin/python3";
        }
        char *argv[] = {(char *)py,  script,          "--url",     url,
                        "--admin",   TOK_ADMIN,       "--channel", TOK_APP,
                        "--nodes",   cluster.cluster, "--out",     out,
                        "--summary", summary,         NULL};
        printf("browser scenario: %s, gateway %s, nodes %s, screenshots in "
               "%s\n",
               script, url, cluster.cluster, out);
        int rc = runScenario(argv, cluster.dir);
        readSummary(summary, &passed, &failed);
        if (rc != 0 && failed == 0) {
            failed = 1;
        }
    } else {
        failed = 1;
    }
    char why[600];
    if (gw.p.pid != 0 || gw.p.reaped) {
        if (tgateway_stop(&gw, GW_STOP_MS, why, sizeof why) != 0) {
            fprintf(stderr, "FAIL the gateway did not end cleanly: %s\n", why);
            failed++;
        }
    }
    if (tcluster_stop(&cluster) != 0) {
        fprintf(stderr, "FAIL the cluster did not end cleanly\n");
        failed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
