/* launch: the processes slotbench starts, and a local slotd cluster.
 *
 * Every process is started with PR_SET_PDEATHSIG (it dies with slotbench
 * even if slotbench crashes), logs to a file, and is stopped by its pid:
 * SIGTERM, then SIGKILL after a bound, then reaped. Everything listens on
 * 127.0.0.1 ports the kernel reports free. Every wait is bounded.
 *
 * Data directories go under $SLOTBENCH_TMP, else /var/tmp (a disk, so an
 * fsync is a real one; launch_fs_type() tells what the benchmark ran on).
 */
#ifndef SLOTBENCH_LAUNCH_H
#define SLOTBENCH_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define LAUNCH_NODES_MAX 5
#define LAUNCH_ARGS_MAX  16

struct proc {
    pid_t pid; /* 0: not running */
    char name[32];
    char log[300];
};

/* Starts argv[0] with argv, stdout and stderr appended to log_path (NULL:
 * /dev/null). Returns 0, or -1 with a message on stderr. */
int proc_spawn(struct proc *p, const char *name, char *const argv[],
               const char *log_path);

/* Sends sig to the process if it runs; for SIGKILL waits (bounded) until
 * it is reaped. */
void proc_signal(struct proc *p, int sig);

/* SIGTERM, wait up to grace_ms, then SIGKILL; reaps. No-op if not running. */
void proc_stop(struct proc *p, int grace_ms);

/* True if the process has exited (reaps it). */
bool proc_exited(struct proc *p);

/* Finds an executable on $PATH (or takes name as a path if it has a '/').
 * Returns 0 with the path in out, or -1. */
int launch_which(const char *name, char *out, size_t len);


/* Creates a fresh directory "<base>/<prefix>XXXXXX" (see above) into out.
 * Returns 0 or -1. */
int launch_tmpdir(char *out, size_t len, const char *prefix);

/* Removes a directory tree (best effort). */
void launch_rmrf(const char *dir);

/* The file system type of path ("ext4", "tmpfs", "xfs", ... or "0x..."). */
const char *launch_fs_type(const char *path);

/* Milliseconds of CLOCK_MONOTONIC / CLOCK_REALTIME; sleeps. */
long long launch_mono_ms(void);
long long launch_wall_ms(void);
void launch_sleep_ms(int ms);

/* A local cluster of slotd nodes. */
struct cluster {
    int n;
    struct proc node[LAUNCH_NODES_MAX];
    int raft_port[LAUNCH_NODES_MAX];
    int client_port[LAUNCH_NODES_MAX];
    char client[LAUNCH_NODES_MAX][32]; /* "127.0.0.1:PORT" */
    char member[LAUNCH_NODES_MAX][80]; /* "RAFT/CLIENT" */
    char addrs[256];                   /* client addresses, comma list */
    char dir[256];
    char slotd[512];
    int n_extra;
    char *extra[LAUNCH_ARGS_MAX]; /* extra slotd arguments (not owned) */
};

/* Starts n (1..LAUNCH_NODES_MAX) bootstrapped nodes of the slotd binary
 * with the extra arguments, and waits (up to timeout_ms) for a leader.
 * Returns 0 or -1 (everything started is stopped). */
int cluster_start(struct cluster *c, int n, const char *slotd, int n_extra,
                  char *const extra[], int timeout_ms);

/* Starts node i again, from its data directory. Returns 0 or -1. */
int cluster_restart(struct cluster *c, int i);

/* The index of the node that says it leads (asking each node), waiting up
 * to timeout_ms; -1 if none. */
int cluster_leader(struct cluster *c, int timeout_ms);

/* SIGKILLs node i (and reaps it). */
void cluster_kill(struct cluster *c, int i);

/* Stops every node and removes the data directory unless keep. */
void cluster_stop(struct cluster *c, bool keep);

#endif /* SLOTBENCH_LAUNCH_H */
