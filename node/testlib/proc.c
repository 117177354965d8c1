/* proc: processes, ports and scratch directories for tests and tools (see
 * proc.h). */
#include "proc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
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

#include "tclock.h"

/* How long a SIGKILLed process may take to be reaped (a process in
 * uninterruptible disk sleep on a slow disk can take a while). */
#define REAP_WAIT_MS 10000

int proc_spawn(struct proc *p, const char *name, char *const argv[],
               const char *log_path)
{
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    snprintf(p->log, sizeof p->log, "%s", log_path ? log_path : "/dev/null");
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "proc: fork %s: %s\n", name, strerror(errno));
        return -1;
    }
    if (pid > 0) {
        p->pid = pid;
        return 0;
    }
    /* Child: die with the starter (the check already covers a starter that
     * died between fork and prctl); never inherit its stdin. */
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
    if (p->pid == 0) {
        return true;
    }
    int st = 0;
    pid_t r = waitpid(p->pid, &st, WNOHANG);
    if (r == p->pid) {
        p->pid = 0;
        p->reaped = true;
        p->status = st;
        return true;
    }
    if (r < 0 && errno == ECHILD) {
        /* Reaped elsewhere (a SIGCHLD handler): status unknown. */
        p->pid = 0;
        p->reaped = true;
        p->status = -1;
        return true;
    }
    return false;
}

static bool waitGone(struct proc *p, int ms)
{
    long long end = tclock_mono_ms() + ms;
    while (!proc_exited(p)) {
        if (tclock_mono_ms() >= end) {
            return false;
        }
        tclock_sleep_ms(5);
    }
    return true;
}

void proc_signal(struct proc *p, int sig)
{
    if (p->pid == 0) {
        return;
    }
    if (sig == SIGKILL) {
        p->killed = true;
    }
    if (sig == SIGTERM) {
        if (p->termed) {
            return;
        }
        p->termed = true;
    }
    kill(p->pid, sig);
    if (sig == SIGKILL) {
        waitGone(p, REAP_WAIT_MS);
    }
}

/* Why a reaped process's end is a failure, or NULL if it is not. */
static const char *endProblem(const struct proc *p, char *buf, size_t len)
{
    if (p->killed) {
        return NULL;
    }
    if (p->status == -1) {
        return NULL; /* reaped by someone else: nothing to judge */
    }
    if (WIFEXITED(p->status)) {
        if (WEXITSTATUS(p->status) == 0) {
            return NULL;
        }
        snprintf(buf, len, "%s exited with status %d (log %s)", p->name,
                 WEXITSTATUS(p->status), p->log);
        return buf;
    }
    if (WIFSIGNALED(p->status)) {
        snprintf(buf, len, "%s died of signal %d (log %s)", p->name,
                 WTERMSIG(p->status), p->log);
        return buf;
    }
    snprintf(buf, len, "%s ended with wait status 0x%x", p->name, p->status);
    return buf;
}

int proc_stop(struct proc *p, int grace_ms, char *why, size_t why_len)
{
    char buf[512];
    if (p->pid != 0) {
        proc_signal(p, SIGTERM);
        if (!waitGone(p, grace_ms)) {
            fprintf(stderr,
                    "proc: %s (pid %d) ignored SIGTERM for %d ms, "
                    "killing it\n",
                    p->name, (int)p->pid, grace_ms);
            kill(p->pid, SIGKILL);
            waitGone(p, REAP_WAIT_MS);
            snprintf(buf, sizeof buf, "%s did not stop within %d ms of SIGTERM",
                     p->name, grace_ms);
            if (why != NULL) {
                snprintf(why, why_len, "%s", buf);
            }
            return -1;
        }
    }
    if (!p->reaped) {
        return 0; /* never started */
    }
    const char *e = endProblem(p, buf, sizeof buf);
    if (e != NULL && why != NULL) {
        snprintf(why, why_len, "%s", e);
    }
    return e != NULL ? -1 : 0;
}

int proc_log_problem(const char *log_path, char *why, size_t why_len)
{
    static const char *const marks[] = {"ERROR: AddressSanitizer",
                                        "ERROR: LeakSanitizer",
                                        "SUMMARY: UndefinedBehaviorSanitizer",
                                        "runtime error:",
                                        "Assertion `",
                                        "ledger invariant broken"};
    FILE *f = fopen(log_path, "r");
    if (f == NULL) {
        return 0;
    }
    char line[1024];
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
        for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++) {
            if (strstr(line, marks[i]) != NULL) {
                line[strcspn(line, "\n")] = '\0';
                if (why != NULL) {
                    snprintf(why, why_len, "%s: %s", log_path, line);
                }
                rc = -1;
                break;
            }
        }
    }
    fclose(f);
    return rc;
}

int proc_which(const char *name, char *out, size_t len)
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

/* Binds a TCP socket to 127.0.0.1:port (0: any); returns it or -1, with
 * the port bound in *bound. */
static int bindLoopback(int port, int *bound)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return -1;
    }
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        close(fd);
        return -1;
    }
    *bound = ntohs(a.sin_port);
    return fd;
}

/* $SLOT_TEST_PORTS as "LO-HI" (1024 <= LO < HI <= 65535), or false. */
static bool portRange(int *lo, int *hi)
{
    const char *r = getenv("SLOT_TEST_PORTS");
    if (r == NULL || sscanf(r, "%d-%d", lo, hi) != 2) {
        return false;
    }
    return *lo >= 1024 && *lo < *hi && *hi <= 65535;
}

int proc_free_ports(int *ports, int n)
{
    int fds[PROC_PORTS_MAX];
    int rc = 0;
    int lo, hi;
    bool ranged = portRange(&lo, &hi);
    if (n < 0 || n > PROC_PORTS_MAX) {
        return -1;
    }
    /* Where a range is given (.ci/suites gives each lane its own, below
     * the kernel's ephemeral range), ports come from it: suites running
     * side by side, and the outgoing connections of either, then never
     * contend for one. Candidates start at a point that depends on the
     * pid and the clock, go on from there on the process's later calls
     * (a port handed out a moment ago may not be bound yet), and each is
     * tried at most once per call. */
    static uint32_t next;
    if (ranged && next == 0) {
        next = (uint32_t)getpid() * 7919u + (uint32_t)time(NULL) * 104729u;
    }
    uint32_t span = ranged ? (uint32_t)(hi - lo + 1) : 0;
    uint32_t tried = 0;
    /* All sockets stay bound until every port is known: binding port 0,
     * closing and asking again could hand the same port out twice. */
    for (int i = 0; i < n; i++) {
        fds[i] = -1;
        ports[i] = 0;
        if (!ranged) {
            fds[i] = bindLoopback(0, &ports[i]);
        }
        while (ranged && fds[i] < 0 && tried < span) {
            fds[i] = bindLoopback(lo + (int)(next++ % span), &ports[i]);
            tried++;
        }
        if (fds[i] < 0) {
            rc = -1;
            ports[i] = 0;
        }
    }
    for (int i = 0; i < n; i++) {
        if (fds[i] >= 0) {
            close(fds[i]);
        }
    }
    return rc;
}

int proc_tmpdir(char *out, size_t len, const char *env_var,
                const char *dflt_base, const char *prefix)
{
    const char *base = env_var != NULL ? getenv(env_var) : NULL;
    if (base == NULL || base[0] == '\0') {
        base = dflt_base;
    }
    int w = snprintf(out, len, "%s/%sXXXXXX", base, prefix);
    if (w < 0 || (size_t)w >= len || mkdtemp(out) == NULL) {
        fprintf(stderr, "proc: cannot create a directory under %s: %s\n", base,
                strerror(errno));
        out[0] = '\0';
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

void proc_rmrf(const char *dir)
{
    if (dir[0] != '\0') {
        nftw(dir, rmOne, 16, FTW_DEPTH | FTW_PHYS);
    }
}

const char *proc_fs_type(const char *path)
{
    static const struct {
        long magic;
        const char *name;
    } known[] = {
        {0xEF53, "ext4"},      {0x01021994, "tmpfs"},     {0x58465342, "xfs"},
        {0x9123683E, "btrfs"}, {0x794c7630, "overlayfs"}, {0x6969, "nfs"},
        {0x2fc12fc1, "zfs"},
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

bool proc_wait_fd(int fd, short events, long long until)
{
    for (;;) {
        long long left = until - tclock_mono_ms();
        if (left <= 0) {
            return false;
        }
        struct pollfd pf = {fd, events, 0};
        int r = poll(&pf, 1, (int)left);
        if (r > 0) {
            return true;
        }
        if (r < 0 && errno != EINTR) {
            return false;
        }
    }
}

int proc_http_status(int port, const char *path, int timeout_ms)
{
    long long until = tclock_mono_ms() + timeout_ms;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return -1;
    }
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int status = -1;
    char req[512], resp[256];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Connection: close\r\n\r\n",
                     path);
    if ((connect(fd, (struct sockaddr *)&a, sizeof a) != 0 &&
         errno != EINPROGRESS) ||
        !proc_wait_fd(fd, POLLOUT, until)) {
        goto done;
    }
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr != 0 ||
        send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
        goto done;
    }
    size_t got = 0;
    while (got < sizeof resp - 1 && proc_wait_fd(fd, POLLIN, until)) {
        ssize_t r = recv(fd, resp + got, sizeof resp - 1 - got, 0);
        if (r <= 0) {
            break;
        }
        got += (size_t)r;
        resp[got] = '\0';
        if (strchr(resp, '\n') != NULL) {
            break;
        }
    }
    resp[got] = '\0';
    int code;
    if (sscanf(resp, "HTTP/1.%*d %d", &code) == 1) {
        status = code;
    }
done:
    close(fd);
    return status;
}
