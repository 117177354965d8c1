/* proc: the processes tests and tools start (slotd, slot-gateway, peers),
 * free ports, scratch directories. Part of the test library (with
 * tcluster.h): client, gateway and node tests, slotbench and bench/peers
 * link it as liblocalcluster.a.
 *
 * Every process is started with PR_SET_PDEATHSIG (it dies with the process
 * that started it, even if that one crashes), with stdin from /dev/null
 * and stdout + stderr appended to a log file, and is stopped by its pid:
 * SIGTERM, then SIGKILL after a bound, then reaped. Every wait is bounded.
 * Nothing here ever signals a process by name.
 *
 * Exit statuses are kept: a process that was asked to stop must exit 0
 * (slotd and slot-gateway do on SIGTERM), and a sanitizer build reports
 * leaks and errors in its log and through its status, so proc_stop()
 * and proc_log_problem() let a test fail on them instead of passing
 * quietly. */
#ifndef SLOT_PROC_H
#define SLOT_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct proc {
    pid_t pid; /* 0: not running (never started, or reaped) */
    char name[32];
    char log[300];
    /* Set when the process was reaped: its wait status, and whether this
     * module had sent it SIGKILL (a kill the caller asked for is not a
     * failure). */
    bool reaped;
    int status;
    bool killed;
    bool termed; /* SIGTERM sent (a second one could kill a process that
                  * is shutting down and restored the default action) */
};

/* Starts argv[0] (a path, or a name looked up on $PATH) with argv; output
 * appended to log_path (NULL: /dev/null). Returns 0, or -1 with a message
 * on stderr. */
int proc_spawn(struct proc *p, const char *name, char *const argv[],
               const char *log_path);

/* Sends sig if the process runs; for SIGKILL waits (bounded) until it is
 * reaped. SIGTERM is sent at most once per process. */
void proc_signal(struct proc *p, int sig);

/* True if the process has exited (it is reaped, and status kept). */
bool proc_exited(struct proc *p);

/* Stops the process: SIGTERM (unless already sent), up to grace_ms, then
 * SIGKILL; reaps. Returns
 * 0 if it exited with status 0 (or was not running and had ended that
 * way, or was killed on request), -1 otherwise, with the reason in why
 * (may be NULL). */
int proc_stop(struct proc *p, int grace_ms, char *why, size_t why_len);

/* Looks through a log for what a sanitizer or an assertion prints
 * (AddressSanitizer, LeakSanitizer, UndefinedBehaviorSanitizer, "runtime
 * error:", "Assertion", "ledger invariant broken"). Returns 0 if the log
 * is clean (or absent), else -1 with the first such line in why. */
int proc_log_problem(const char *log_path, char *why, size_t why_len);

/* Finds an executable on $PATH (or takes name as a path if it has a '/').
 * Returns 0 with the path in out, or -1. */
int proc_which(const char *name, char *out, size_t len);

/* n (<= PROC_PORTS_MAX) distinct free TCP ports on 127.0.0.1: every socket
 * stays bound until all are known, so the kernel cannot hand one out
 * twice. With $SLOT_TEST_PORTS = "LO-HI" the ports come from that range
 * (.ci/suites gives each of its lanes its own, outside the kernel's
 * ephemeral range), else the kernel picks them. Returns 0, or -1 (some
 * ports 0). */
#define PROC_PORTS_MAX 64
int proc_free_ports(int *ports, int n);

/* Creates "<base>/<prefix>XXXXXX" into out; base is $env_var if that is
 * set and not empty, else dflt_base. Returns 0 or -1. */
int proc_tmpdir(char *out, size_t len, const char *env_var,
                const char *dflt_base, const char *prefix);

/* Removes a directory tree (best effort; no-op for ""). */
void proc_rmrf(const char *dir);

/* The file system type of path ("ext4", "tmpfs", "xfs", ... or "0x..."),
 * in a buffer of the calling thread. */
const char *proc_fs_type(const char *path);

/* GET path on 127.0.0.1:port over a fresh connection, within timeout_ms.
 * Returns the HTTP status, or -1 (no answer). A readiness probe for
 * slot-gateway and peers, not an HTTP client. */
int proc_http_status(int port, const char *path, int timeout_ms);

/* Waits until fd is ready for `events` (poll(2) flags) or the monotonic
 * deadline `until` (tclock_mono_ms) passes; EINTR is retried. True if
 * ready. */
bool proc_wait_fd(int fd, short events, long long until);

#endif /* SLOT_PROC_H */
