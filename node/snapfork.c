#include "snapfork.h"

#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsm.h"
#include "log.h"

/* Child exit codes, for the log. */
enum { CHILD_OK = 0, CHILD_NOMEM = 2, CHILD_WRITE = 3, CHILD_ORPHAN = 4 };

void snapfork_init(struct snapfork *s, uv_loop_t *loop, snapfork_ready_cb cb,
                   void *data)
{
    memset(s, 0, sizeof *s);
    s->loop = loop;
    s->ready_cb = cb;
    s->data = data;
    s->_pid = -1;
    s->_memfd = -1;
    uv_timer_init(loop, &s->_timer);
    s->_timer.data = s;
}

/* ---- the child ----------------------------------------------------------- */

static int writeAll(int fd, const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static void childRun(const struct ledger *l, int memfd, pid_t parent)
{
    /* Die with the parent; it may already be gone. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) {
        _exit(CHILD_ORPHAN);
    }
    /* The parent's handlers (libuv's signal pipe) must not run here: a
     * SIGTERM meant for the child would look like one for the node. */
    for (int sig = 1; sig < NSIG; sig++) {
        signal(sig, SIG_DFL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* Yield the CPU to the nodes' loops. */
    setpriority(PRIO_PROCESS, 0, 10);
    struct raft_buffer b;
    if (fsm_snapshot_encode(l, &b) != 0) {
        _exit(CHILD_NOMEM);
    }
    if (writeAll(memfd, b.base, b.len) != 0) {
        _exit(CHILD_WRITE);
    }
    _exit(CHILD_OK);
}

/* ---- the parent ---------------------------------------------------------- */

static void closeMemfd(struct snapfork *s)
{
    if (s->_memfd >= 0) {
        close(s->_memfd);
        s->_memfd = -1;
    }
}

/* Maps the child's output into the caller's buffer. Returns 0 or -1. */
static int mapOutput(struct snapfork *s)
{
    struct stat st;
    if (fstat(s->_memfd, &st) != 0 || st.st_size < FSM_SNAPSHOT_HEADER) {
        return -1;
    }
    size_t len = (size_t)st.st_size;
    void *p = mmap(NULL, len, PROT_READ, MAP_SHARED, s->_memfd, 0);
    if (p == MAP_FAILED) {
        return -1;
    }
    if (memcmp(p, FSM_SNAPSHOT_MAGIC, 4) != 0) {
        munmap(p, len);
        return -1;
    }
    s->_map = p;
    s->_map_len = len;
    s->_buf->base = p;
    s->_buf->len = len;
    return 0;
}

static void timerCb(uv_timer_t *t)
{
    struct snapfork *s = t->data;
    assert(s->state == SNAPFORK_RUNNING);
    int wstatus;
    pid_t r = waitpid(s->_pid, &wstatus, WNOHANG);
    if (r == 0) {
        return; /* still encoding */
    }
    uv_timer_stop(&s->_timer);
    s->_pid = -1;
    s->last_child_ms = (uv_hrtime() - s->_start_ns) / 1000000;
    int status = RAFT_IOERR;
    if (r < 0) {
        LOG_E("snapshot child: waitpid: %s", strerror(errno));
    } else if (WIFSIGNALED(wstatus)) {
        LOG_E("snapshot child killed by signal %d", WTERMSIG(wstatus));
    } else if (WEXITSTATUS(wstatus) != CHILD_OK) {
        LOG_E("snapshot child failed: exit status %d (%s)",
              WEXITSTATUS(wstatus),
              WEXITSTATUS(wstatus) == CHILD_NOMEM ? "out of memory"
                                                  : "cannot write its output");
    } else if (mapOutput(s) != 0) {
        LOG_E("snapshot child's output cannot be mapped or is not a snapshot");
    } else {
        status = 0;
    }
    /* The mapping keeps the memory file alive. */
    closeMemfd(s);
    if (status == 0) {
        s->state = SNAPFORK_READY;
        s->last_bytes = s->_map_len;
        s->taken++;
    } else {
        s->state = SNAPFORK_IDLE;
    }
    s->ready_cb(s, status);
}

int snapfork_start(struct snapfork *s, const struct ledger *l,
                   struct raft_buffer *buf)
{
    assert(s->state == SNAPFORK_IDLE);
    int memfd = memfd_create("slotd-snapshot", MFD_CLOEXEC);
    if (memfd < 0) {
        return -errno;
    }
    pid_t parent = getpid();
    uint64_t t0 = uv_hrtime();
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(memfd);
        return -e;
    }
    if (pid == 0) {
        childRun(l, memfd, parent);
    }
    s->last_fork_us = (uv_hrtime() - t0) / 1000;
    s->_start_ns = t0;
    s->_pid = pid;
    s->_memfd = memfd;
    s->_buf = buf;
    buf->base = NULL;
    buf->len = 0;
    s->state = SNAPFORK_RUNNING;
    uv_timer_start(&s->_timer, timerCb, SNAPFORK_POLL_MS, SNAPFORK_POLL_MS);
    return 0;
}

void snapfork_release(struct snapfork *s)
{
    assert(s->state != SNAPFORK_RUNNING);
    if (s->_map != NULL) {
        munmap(s->_map, s->_map_len);
        s->_map = NULL;
        s->_map_len = 0;
    }
    if (s->_buf != NULL) {
        s->_buf->base = NULL;
        s->_buf->len = 0;
        s->_buf = NULL;
    }
    s->state = SNAPFORK_IDLE;
}

void snapfork_cancel(struct snapfork *s)
{
    if (s->state == SNAPFORK_RUNNING) {
        uv_timer_stop(&s->_timer);
        kill(s->_pid, SIGKILL);
        /* Bounded: SIGKILL cannot be caught, and the child never blocks in
         * an uninterruptible wait longer than a memory-file write. */
        while (waitpid(s->_pid, NULL, 0) < 0 && errno == EINTR) {
        }
        s->_pid = -1;
        closeMemfd(s);
        s->state = SNAPFORK_IDLE;
    }
    snapfork_release(s);
}

void snapfork_close(struct snapfork *s, uv_close_cb cb)
{
    snapfork_cancel(s);
    s->_timer.data = s->data;
    uv_close((uv_handle_t *)&s->_timer, cb);
}
