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
 * not ok. Another process's threads that ended between two samples drop
 * out of the second (their time is lost, never double-counted): the nodes
 * and gateways keep their threads for their life. This process's own
 * threads that end say so first (procstat_thread_exit). */
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

/* Reads pid's totals (pid 0: this process, its ended threads included:
 * see procstat_thread_exit). Returns 0, or -1 with out->ok false (no such
 * process, or no schedstat). */
int procstat_read(pid_t pid, struct procstat *out);

/* Called by a thread of this process as its last act (slotbench's workers:
 * they end with each phase, before the phase's second sample): its totals
 * are kept, and procstat_read(0) adds them. Precondition: no
 * procstat_read(0) runs between this call and the thread's end (it would
 * count the thread twice); slotbench samples only before a phase's
 * workers start and after they are joined. */
void procstat_thread_exit(void);

/* b - a per field (0 where a counter went back: another process with the
 * pid); ok only if both were. */
struct procstat procstat_delta(const struct procstat *a,
                               const struct procstat *b);

#endif
