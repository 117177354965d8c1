/* procstat: a process's CPU and run-queue wait (procstat.h). */
#include "procstat.h"

#include <dirent.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* This process's threads that ended, summed (procstat_thread_exit). */
static pthread_mutex_t gone_mu = PTHREAD_MUTEX_INITIALIZER;
static struct procstat gone;

/* One thread's "run_ns wait_ns slices" line. */
static bool readSched(const char *dir, uint64_t *run, uint64_t *wait,
                      uint64_t *runs)
{
    char path[64 + 320];
    snprintf(path, sizeof path, "%s/schedstat", dir);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return false;
    }
    bool ok =
        fscanf(f, "%" SCNu64 " %" SCNu64 " %" SCNu64, run, wait, runs) == 3;
    fclose(f);
    return ok;
}

/* One thread's involuntary switches from its status file. */
static bool readPreempted(const char *dir, uint64_t *n)
{
    char path[64 + 320], line[256];
    snprintf(path, sizeof path, "%s/status", dir);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return false;
    }
    bool ok = false;
    while (!ok && fgets(line, sizeof line, f) != NULL) {
        ok = sscanf(line, "nonvoluntary_ctxt_switches: %" SCNu64, n) == 1;
    }
    fclose(f);
    return ok;
}

int procstat_read(pid_t pid, struct procstat *out)
{
    memset(out, 0, sizeof *out);
    char tasks[64];
    if (pid == 0) {
        snprintf(tasks, sizeof tasks, "/proc/self/task");
    } else {
        snprintf(tasks, sizeof tasks, "/proc/%ld/task", (long)pid);
    }
    DIR *d = opendir(tasks);
    if (d == NULL) {
        return -1;
    }
    int threads = 0;
    struct dirent *e;
    /* Bounded by the process's threads (a few for the processes here);
     * the cap only guards against a runaway directory. */
    while ((e = readdir(d)) != NULL && threads < 4096) {
        if (e->d_name[0] == '.') {
            continue;
        }
        char dir[64 + sizeof e->d_name];
        snprintf(dir, sizeof dir, "%s/%s", tasks, e->d_name);
        uint64_t run = 0, wait = 0, runs = 0, pre = 0;
        if (!readSched(dir, &run, &wait, &runs) || !readPreempted(dir, &pre)) {
            /* a thread that just ended: skip it, unless none is left */
            continue;
        }
        out->run_ns += run;
        out->wait_ns += wait;
        out->runs += runs;
        out->preempted += pre;
        threads++;
    }
    closedir(d);
    if (pid == 0) {
        pthread_mutex_lock(&gone_mu);
        out->run_ns += gone.run_ns;
        out->wait_ns += gone.wait_ns;
        out->runs += gone.runs;
        out->preempted += gone.preempted;
        pthread_mutex_unlock(&gone_mu);
    }
    out->ok = threads > 0;
    return out->ok ? 0 : -1;
}

void procstat_thread_exit(void)
{
    uint64_t run = 0, wait = 0, runs = 0, pre = 0;
    if (!readSched("/proc/thread-self", &run, &wait, &runs) ||
        !readPreempted("/proc/thread-self", &pre)) {
        return; /* its time is lost, as another process's would be */
    }
    pthread_mutex_lock(&gone_mu);
    gone.run_ns += run;
    gone.wait_ns += wait;
    gone.runs += runs;
    gone.preempted += pre;
    pthread_mutex_unlock(&gone_mu);
}

static uint64_t sub(uint64_t a, uint64_t b)
{
    return b >= a ? b - a : 0;
}

struct procstat procstat_delta(const struct procstat *a,
                               const struct procstat *b)
{
    struct procstat d = {
        .ok = a->ok && b->ok,
        .run_ns = sub(a->run_ns, b->run_ns),
        .wait_ns = sub(a->wait_ns, b->wait_ns),
        .runs = sub(a->runs, b->runs),
        .preempted = sub(a->preempted, b->preempted),
    };
    return d;
}
