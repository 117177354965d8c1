/* procstat: how much CPU a process had, and how long it waited for one.
 *
 * A latency tail on a machine that runs three nodes, a gateway and the
 * generator on two cores is often no work at all: the leader was runnable
 * and another process had the CPU, or the CPU was idle and took its time
 * to start running it (on a VM, a halted vCPU woken by the hypervisor:
 * many short waits, where contention makes fewer, longer ones; the wait
 * per run tells them apart). The kernel counts that per thread
 * (/proc/PID/task/TID/schedstat: time on a CPU, time runnable in a run
 * queue; /proc/PID/task/TID/status: involuntary context switches, i.e.
 * preemptions). procstat_read sums them over a process's threads; two
 * samples around a measured window give what the window cost and waited.
 *
 * Linux only; a kernel without schedstat (CONFIG_SCHED_INFO off) reads as
 * not ok. Threads that ended between two samples drop out of the second
 * (their time is lost, never double-counted): the processes measured here
 * keep their threads for their life. */
#ifndef SLOTBENCH_PROCSTAT_H
#define SLOTBENCH_PROCSTAT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct procstat {
    bool ok;            /* every field read */
    uint64_t run_ns;    /* on a CPU, all threads */
    uint64_t wait_ns;   /* runnable, waiting in a run queue */
    uint64_t runs;      /* times put on a CPU (schedstat's timeslices) */
    uint64_t preempted; /* involuntary context switches */
};

/* Reads pid's totals (pid 0: this process). Returns 0, or -1 with
 * out->ok false (no such process, or no schedstat). */
int procstat_read(pid_t pid, struct procstat *out);

/* b - a per field (0 where a counter went back: another process with the
 * pid); ok only if both were. */
struct procstat procstat_delta(const struct procstat *a,
                               const struct procstat *b);

#endif
