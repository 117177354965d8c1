/* diskprobe: what the disk under the nodes was doing during a run.
 *
 * A thread writes 4 KiB and fdatasync()s it every interval_ms into a file
 * of its own in `dir` (the nodes' data directory: same filesystem, same
 * device), and records each write+sync's duration. The nodes' log appends
 * wait for the same device, so a slow phase of the disk shows here as it
 * does in their commit latency, without asking the nodes. One fsync every
 * 20 ms is ~0.5 % of the syncs the nodes issue under load.
 *
 * Use: diskprobe_start, then diskprobe_take at the start and end of each
 * window of interest, diskprobe_stop once. start/take/stop from one
 * thread; the probe's own thread only records.
 */
#ifndef SLOTBENCH_DISKPROBE_H
#define SLOTBENCH_DISKPROBE_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "hist.h"

struct diskprobe {
    bool running;
    atomic_bool stop;
    uint32_t interval_ms;
    int fd;
    char path[512];
    pthread_t thread;
    pthread_mutex_t mu; /* guards h */
    struct hist h;      /* since the last take */
    uint64_t errors;    /* failed writes or syncs (errno lost: counted); mu */
};

/* Starts probing in dir (creates dir/diskprobe.dat). 0, or -1 with errno
 * (then nothing runs and diskprobe_stop is a no-op). */
int diskprobe_start(struct diskprobe *p, const char *dir, uint32_t interval_ms);

/* Moves what was recorded since the last take into *out (emptied first);
 * *errors gets the failed writes or syncs since the start. */
void diskprobe_take(struct diskprobe *p, struct hist *out, uint64_t *errors);

/* {"count", "p50", "p99", "max", "errors"} in ms for h, or NULL if h is
 * empty. */
json_t *diskprobe_json(const struct hist *h, uint64_t errors);

/* Stops the thread and removes the file. Safe on a probe never started. */
void diskprobe_stop(struct diskprobe *p);

#endif /* SLOTBENCH_DISKPROBE_H */
