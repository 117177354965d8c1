/* launch: processes and a local slotd cluster (see launch.h). */
#include "launch.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../client/libslot.h"

#include "../../client/test/cluster.h"

#define REAP_WAIT_MS 3000

long long launch_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long launch_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void launch_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

int proc_spawn(struct proc *p, const char *name, char *const argv[],
               const char *log_path)
{
    snprintf(p->name, sizeof p->name, "%s", name);
    snprintf(p->log, sizeof p->log, "%s", log_path ? log_path : "/dev/null");
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "slotbench: fork %s: %s\n", name, strerror(errno));
        return -1;
    }
    if (pid > 0) {
        p->pid = pid;
        return 0;
    }
    /* Child: die with slotbench; never inherit its stdin. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) {
        _exit(127);
    }
    int in = open("/dev/null", O_RDONLY);
    if (in >= 0) {
        dup2(in, 0);
        close(in);
    }
    int fd = open(p->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
    }
    signal(SIGPIPE, SIG_DFL);
    execvp(argv[0], argv);
    fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

bool proc_exited(struct proc *p)
{
    int st;
    if (p->pid == 0) {
        return true;
    }
    pid_t r = waitpid(p->pid, &st, WNOHANG);
    if (r == p->pid || (r < 0 && errno == ECHILD)) {
        p->pid = 0;
        return true;
    }
    return false;
}

static bool waitGone(struct proc *p, int ms)
{
    long long end = launch_mono_ms() + ms;
    while (!proc_exited(p)) {
        if (launch_mono_ms() >= end) {
            return false;
        }
        launch_sleep_ms(5);
    }
    return true;
}

void proc_signal(struct proc *p, int sig)
{
    if (p->pid == 0) {
        return;
    }
    kill(p->pid, sig);
    if (sig == SIGKILL) {
        waitGone(p, REAP_WAIT_MS);
    }
}

void proc_stop(struct proc *p, int grace_ms)
{
    if (p->pid == 0) {
        return;
    }
    kill(p->pid, SIGTERM);
    if (!waitGone(p, grace_ms)) {
        fprintf(stderr, "slotbench: %s (pid %d) ignored SIGTERM, killing\n",
                p->name, (int)p->pid);
        kill(p->pid, SIGKILL);
        waitGone(p, REAP_WAIT_MS);
    }
}

int launch_which(const char *name, char *out, size_t len)
{
    if (strchr(name, '/') != NULL) {
        snprintf(out, len, "%s", name);
        return access(out, X_OK) == 0 ? 0 : -1;
    }
    const char *path = getenv("PATH");
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path ? path : "/usr/bin:/bin");
    for (char *save = NULL, *d = strtok_r(buf, ":", &save); d != NULL;
         d = strtok_r(NULL, ":", &save)) {
        snprintf(out, len, "%s/%s", d, name);
        if (access(out, X_OK) == 0) {
            return 0;
        }
    }
    return -1;
}

int launch_tmpdir(char *out, size_t len, const char *prefix)
{
    const char *base = getenv("SLOTBENCH_TMP");
    if (base == NULL || base[0] == '\0') {
        base = "/var/tmp";
    }
    int w = snprintf(out, len, "%s/%sXXXXXX", base, prefix);
    if (w < 0 || (size_t)w >= len || mkdtemp(out) == NULL) {
        fprintf(stderr, "slotbench: cannot create a directory under %s: %s\n",
                base, strerror(errno));
        return -1;
    }
    return 0;
}

static int rmOne(const char *path, const struct stat *sb, int flag,
                 struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void launch_rmrf(const char *dir)
{
    if (dir[0] != '\0') {
        nftw(dir, rmOne, 16, FTW_DEPTH | FTW_PHYS);
    }
}

const char *launch_fs_type(const char *path)
{
    static const struct {
        long magic;
        const char *name;
    } known[] = {
        {0xEF53, "ext4"},       {0x01021994, "tmpfs"}, {0x58465342, "xfs"},
        {0x9123683E, "btrfs"},  {0x794c7630, "overlayfs"},
        {0x6969, "nfs"},        {0x2fc12fc1, "zfs"},
    };
    static __thread char buf[32];
    struct statfs s;
    if (statfs(path, &s) != 0) {
        return "unknown";
    }
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if ((long)s.f_type == known[i].magic) {
            return known[i].name;
        }
    }
    snprintf(buf, sizeof buf, "0x%lx", (unsigned long)s.f_type);
    return buf;
}

/* ---- cluster --------------------------------------------------------------- */

static int spawnNode(struct cluster *c, int i)
{
    char id[16], dir[300], raft[32], log[300], boot[1024] = "";
    snprintf(id, sizeof id, "%d", i + 1);
    snprintf(dir, sizeof dir, "%s/n%d", c->dir, i + 1);
    snprintf(raft, sizeof raft, "127.0.0.1:%d", c->raft_port[i]);
    snprintf(log, sizeof log, "%s/n%d.log", c->dir, i + 1);
    for (int k = 0; k < c->n; k++) {
        size_t len = strlen(boot);
        snprintf(boot + len, sizeof boot - len, "%s%d=%s", len ? "," : "",
                 k + 1, c->member[k]);
    }
    char *argv[16 + LAUNCH_ARGS_MAX];
    int a = 0;
    argv[a++] = c->slotd;
    argv[a++] = "--id";
    argv[a++] = id;
    argv[a++] = "--dir";
    argv[a++] = dir;
    argv[a++] = "--raft";
    argv[a++] = raft;
    argv[a++] = "--listen";
    argv[a++] = c->client[i];
    argv[a++] = "--bootstrap";
    argv[a++] = boot;
    argv[a++] = "--log-level";
    argv[a++] = "info"; /* snapshots and stalls: slotStalls() reads them */
    for (int k = 0; k < c->n_extra; k++) {
        argv[a++] = c->extra[k];
    }
    argv[a] = NULL;
    char name[32];
    snprintf(name, sizeof name, "slotd-%d", i + 1);
    return proc_spawn(&c->node[i], name, argv, log);
}

int cluster_start(struct cluster *c, int n, const char *slotd, int n_extra,
                  char *const extra[], int timeout_ms)
{
    int ports[2 * LAUNCH_NODES_MAX];
    if (n < 1 || n > LAUNCH_NODES_MAX || n_extra > LAUNCH_ARGS_MAX) {
        return -1;
    }
    memset(c, 0, sizeof *c);
    c->n = n;
    c->n_extra = n_extra;
    for (int k = 0; k < n_extra; k++) {
        c->extra[k] = extra[k];
    }
    snprintf(c->slotd, sizeof c->slotd, "%s", slotd);
    if (access(slotd, X_OK) != 0) {
        fprintf(stderr, "slotbench: %s not built (make build/rel/bin/slotd)\n",
                slotd);
        return -1;
    }
    if (launch_tmpdir(c->dir, sizeof c->dir, "slotbench-") != 0 ||
        tcluster_free_ports(ports, 2 * n) != 0) {
        return -1;
    }
    for (int i = 0; i < n; i++) {
        c->raft_port[i] = ports[2 * i];
        c->client_port[i] = ports[2 * i + 1];
        snprintf(c->client[i], sizeof c->client[i], "127.0.0.1:%d",
                 c->client_port[i]);
        snprintf(c->member[i], sizeof c->member[i], "127.0.0.1:%d/%s",
                 c->raft_port[i], c->client[i]);
        size_t len = strlen(c->addrs);
        snprintf(c->addrs + len, sizeof c->addrs - len, "%s%s", i ? "," : "",
                 c->client[i]);
    }
    for (int i = 0; i < n; i++) {
        if (spawnNode(c, i) != 0) {
            cluster_stop(c, false);
            return -1;
        }
    }
    if (cluster_leader(c, timeout_ms) < 0) {
        fprintf(stderr, "slotbench: no leader within %d ms (logs in %s)\n",
                timeout_ms, c->dir);
        cluster_stop(c, true);
        return -1;
    }
    return 0;
}

int cluster_restart(struct cluster *c, int i)
{
    if (i < 0 || i >= c->n || c->node[i].pid != 0) {
        return -1;
    }
    return spawnNode(c, i);
}

int cluster_leader(struct cluster *c, int timeout_ms)
{
    const char *clients[LAUNCH_NODES_MAX];
    for (int i = 0; i < c->n; i++) {
        clients[i] = c->node[i].pid != 0 ? c->client[i] : NULL;
    }
    return tcluster_find_leader(c->addrs, clients, c->n, timeout_ms, 20);
}

void cluster_kill(struct cluster *c, int i)
{
    proc_signal(&c->node[i], SIGKILL);
}

void cluster_stop(struct cluster *c, bool keep)
{
    for (int i = 0; i < c->n; i++) {
        if (c->node[i].pid != 0) {
            kill(c->node[i].pid, SIGTERM);
        }
    }
    for (int i = 0; i < c->n; i++) {
        proc_stop(&c->node[i], 5000);
    }
    if (!keep) {
        launch_rmrf(c->dir);
    }
}
