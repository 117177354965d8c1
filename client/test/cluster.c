/* cluster: local slotd clusters for the client tests (see cluster.h). */
#include "cluster.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../libslot.h"

/* Clusters to stop if their process exits first (a failed CHECK exits
 * the test process): each with the pid that started it, so a forked test
 * never stops its parent's cluster. */
#define REGISTRY_MAX 8
static struct {
    struct tcluster *t;
    pid_t owner;
} registry[REGISTRY_MAX];

static void stopAtExit(void)
{
    for (int i = 0; i < REGISTRY_MAX; i++) {
        if (registry[i].t != NULL && registry[i].owner == getpid()) {
            tcluster_stop(registry[i].t);
        }
    }
}

static void track(struct tcluster *t, bool on)
{
    static bool installed;
    if (!installed) {
        installed = atexit(stopAtExit) == 0;
    }
    for (int i = 0; i < REGISTRY_MAX; i++) {
        if (on ? registry[i].t == NULL : registry[i].t == t) {
            registry[i].t = on ? t : NULL;
            registry[i].owner = getpid();
            return;
        }
    }
}

static void sleepMs(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static long long monoMs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int tcluster_free_ports(int *ports, int n)
{
    int fds[TCLUSTER_PORTS_MAX];
    int rc = 0;
    if (n > TCLUSTER_PORTS_MAX) {
        return -1;
    }
    for (int i = 0; i < n; i++) {
        struct sockaddr_in a;
        socklen_t len = sizeof a;
        memset(&a, 0, sizeof a);
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&a, sizeof a) != 0 ||
            getsockname(fds[i], (struct sockaddr *)&a, &len) != 0) {
            rc = -1;
            ports[i] = 0;
            continue;
        }
        ports[i] = ntohs(a.sin_port);
    }
    for (int i = 0; i < n; i++) {
        if (fds[i] >= 0) {
            close(fds[i]);
        }
    }
    return rc;
}

static void findSlotd(struct tcluster *t)
{
    const char *env = getenv("SLOTD");
    if (env != NULL && env[0] != '\0') {
        snprintf(t->slotd, sizeof t->slotd, "%s", env);
        return;
    }
    if (access("build/rel/bin/slotd", X_OK) == 0) {
        snprintf(t->slotd, sizeof t->slotd, "build/rel/bin/slotd");
        return;
    }
    char exe[400];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    snprintf(t->slotd, sizeof t->slotd, "%s/../../rel/bin/slotd", dirname(exe));
}

static pid_t spawn(struct tcluster *t, int i, bool join)
{
    char id[16], dir[200], raft[32], log[200], boot[1024] = "";
    snprintf(id, sizeof id, "%d", i + 1);
    snprintf(dir, sizeof dir, "%s/n%d", t->dir, i + 1);
    snprintf(raft, sizeof raft, "127.0.0.1:%d", t->raft_port[i]);
    snprintf(log, sizeof log, "%s/n%d.log", t->dir, i + 1);
    for (int k = 0; k < t->voters && !join; k++) {
        {
            size_t len = strlen(boot);
            snprintf(boot + len, sizeof boot - len, "%s%d=%s", len ? "," : "",
                     k + 1, t->member[k]);
        }
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid != 0) {
        return pid;
    }
    /* Child: die with the test, log to a file. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) {
        _exit(127);
    }
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
    }
    char *argv[32];
    int a = 0;
    argv[a++] = t->slotd;
    argv[a++] = "--id";
    argv[a++] = id;
    argv[a++] = "--dir";
    argv[a++] = dir;
    argv[a++] = "--raft";
    argv[a++] = raft;
    argv[a++] = "--listen";
    argv[a++] = t->client[i];
    argv[a++] = "--election-ms";
    argv[a++] = "500";
    argv[a++] = "--heartbeat-ms";
    argv[a++] = "50";
    if (join) {
        argv[a++] = "--join";
    } else {
        argv[a++] = "--bootstrap";
        argv[a++] = boot;
    }
    /* SLOTD_ARGS: extra flags for every node (tests that need small
     * snapshot thresholds, say), split on spaces. */
    char extra[256];
    const char *env = getenv("SLOTD_ARGS");
    snprintf(extra, sizeof extra, "%s", env != NULL ? env : "");
    for (char *save = NULL, *tok = strtok_r(extra, " ", &save);
         tok != NULL && a < (int)(sizeof argv / sizeof argv[0]) - 1;
         tok = strtok_r(NULL, " ", &save)) {
        argv[a++] = tok;
    }
    argv[a] = NULL;
    execv(t->slotd, argv);
    _exit(127);
}

/* Reaps node i if it has exited. True if it is gone. */
static bool reaped(struct tcluster *t, int i)
{
    int st;
    if (t->pid[i] == 0) {
        return true;
    }
    if (waitpid(t->pid[i], &st, WNOHANG) == t->pid[i]) {
        t->pid[i] = 0;
        return true;
    }
    return false;
}

static int startNode(struct tcluster *t, int i, bool join)
{
    /* A node can fail to start when many start at once on a busy machine
     * (raft's I/O setup); try again a few times. */
    for (int attempt = 0; attempt < 5; attempt++) {
        t->pid[i] = spawn(t, i, join);
        if (t->pid[i] < 0) {
            t->pid[i] = 0;
            return -1;
        }
        sleepMs(60);
        if (!reaped(t, i)) {
            return 0;
        }
        sleepMs(100 * (attempt + 1));
    }
    fprintf(stderr, "cluster: node %d does not start (see %s/n%d.log)\n", i + 1,
            t->dir, i + 1);
    return -1;
}

int tcluster_start(struct tcluster *t, int voters, int spares)
{
    memset(t, 0, sizeof *t);
    int n = voters + spares;
    if (voters < 1 || n > TCLUSTER_NODES_MAX) {
        return -1;
    }
    findSlotd(t);
    snprintf(t->dir, sizeof t->dir, "/tmp/libslot-test-XXXXXX");
    if (mkdtemp(t->dir) == NULL) {
        perror("mkdtemp");
        return -1;
    }
    track(t, true);
    int ports[2 * TCLUSTER_NODES_MAX];
    if (tcluster_free_ports(ports, 2 * n) != 0) {
        fprintf(stderr, "cluster: no free ports\n");
        return -1;
    }
    t->n = n;
    t->voters = voters;
    for (int i = 0; i < n; i++) {
        t->raft_port[i] = ports[2 * i];
        t->client_port[i] = ports[2 * i + 1];
        snprintf(t->client[i], sizeof t->client[i], "127.0.0.1:%d",
                 t->client_port[i]);
        snprintf(t->member[i], sizeof t->member[i], "127.0.0.1:%d/127.0.0.1:%d",
                 t->raft_port[i], t->client_port[i]);
    }
    for (int i = 0; i < voters; i++) {
        size_t len = strlen(t->cluster);
        snprintf(t->cluster + len, sizeof t->cluster - len, "%s127.0.0.1:%d",
                 i ? "," : "", t->client_port[i]);
    }
    for (int i = 0; i < voters; i++) {
        if (startNode(t, i, false) != 0) {
            tcluster_stop(t);
            return -1;
        }
    }
    if (tcluster_leader(t, 15000) < 0) {
        fprintf(stderr, "cluster: no leader elected (logs in %s)\n", t->dir);
        tcluster_stop(t);
        return -1;
    }
    return 0;
}

int tcluster_start_node(struct tcluster *t, int i)
{
    if (i < 0 || i >= t->n || t->pid[i] != 0) {
        return -1;
    }
    bool spare = i >= t->voters;
    char dir[200];
    struct stat st;
    snprintf(dir, sizeof dir, "%s/n%d", t->dir, i + 1);
    return startNode(t, i, spare && stat(dir, &st) != 0);
}

void tcluster_signal(struct tcluster *t, int i, int sig)
{
    if (i < 0 || i >= t->n || t->pid[i] == 0) {
        return;
    }
    kill(t->pid[i], sig);
    if (sig != SIGKILL && sig != SIGTERM) {
        return;
    }
    long long until = monoMs() + 5000;
    while (!reaped(t, i) && monoMs() < until) {
        sleepMs(10);
    }
    if (t->pid[i] != 0) {
        kill(t->pid[i], SIGKILL);
        int st;
        waitpid(t->pid[i], &st, 0);
        t->pid[i] = 0;
    }
}

int tcluster_find_leader(const char *cluster, const char *const clients[],
                         int n, int timeout_ms, int poll_ms)
{
    struct slotc_options o;
    slotc_options_init(&o);
    o.cluster = cluster;
    o.timeout_ms = 300;
    o.connect_timeout_ms = 200;
    struct slotc_sync *s;
    if (slotc_sync_open(&o, &s) != SLOT_OK) {
        return -1;
    }
    int leader = -1;
    long long until = monoMs() + timeout_ms;
    while (leader < 0 && monoMs() < until) {
        for (int i = 0; i < n && leader < 0; i++) {
            if (clients[i] == NULL) {
                continue;
            }
            struct slotc_req req;
            slotc_req_init(&req);
            req.node = clients[i];
            req.timeout_ms = 300;
            if (slotc_sync_status(s, &req) == SLOT_OK &&
                strcmp(req.out.status->role, "leader") == 0) {
                leader = i;
            }
        }
        if (leader < 0) {
            sleepMs(poll_ms);
        }
    }
    slotc_sync_close(s);
    return leader;
}

int tcluster_leader(struct tcluster *t, int timeout_ms)
{
    const char *clients[TCLUSTER_NODES_MAX];
    for (int i = 0; i < t->n; i++) {
        clients[i] = t->pid[i] != 0 ? t->client[i] : NULL;
    }
    return tcluster_find_leader(t->cluster[0] != '\0' ? t->cluster
                                                      : t->client[0],
                                clients, t->n, timeout_ms, 50);
}

static int rmEntry(const char *path, const struct stat *sb, int flag,
                   struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void tcluster_stop(struct tcluster *t)
{
    track(t, false);
    for (int i = 0; i < t->n; i++) {
        if (t->pid[i] != 0) {
            kill(t->pid[i], SIGTERM);
        }
    }
    for (int i = 0; i < t->n; i++) {
        tcluster_signal(t, i, SIGTERM);
    }
    if (t->dir[0] != '\0' && getenv("KEEP_CLUSTER_DIR") == NULL) {
        nftw(t->dir, rmEntry, 16, FTW_DEPTH | FTW_PHYS);
    }
    t->dir[0] = '\0';
}
