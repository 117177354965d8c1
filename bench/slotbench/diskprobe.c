#include "diskprobe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "tclock.h"

#define PROBE_BLOCK 4096
#define PROBE_SLOTS 16 /* blocks rewritten in turn: a 64 KiB file */

static void *probeMain(void *arg)
{
    struct diskprobe *p = arg;
    static const char block[PROBE_BLOCK];
    uint64_t i = 0;
    while (!atomic_load(&p->stop)) {
        off_t off = (off_t)(i++ % PROBE_SLOTS) * PROBE_BLOCK;
        uint64_t t0 = uv_hrtime();
        bool ok =
            pwrite(p->fd, block, sizeof block, off) == (ssize_t)sizeof block &&
            fdatasync(p->fd) == 0;
        uint64_t took = uv_hrtime() - t0;
        pthread_mutex_lock(&p->mu);
        if (ok) {
            hist_add(&p->h, took);
        } else {
            p->errors++;
        }
        pthread_mutex_unlock(&p->mu);
        tclock_sleep_ms(p->interval_ms);
    }
    return NULL;
}

int diskprobe_start(struct diskprobe *p, const char *dir, uint32_t interval_ms)
{
    memset(p, 0, sizeof *p);
    p->fd = -1;
    if (snprintf(p->path, sizeof p->path, "%s/diskprobe.dat", dir) >=
        (int)sizeof p->path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    p->fd = open(p->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (p->fd < 0) {
        return -1;
    }
    p->interval_ms = interval_ms ? interval_ms : 1;
    hist_init(&p->h);
    pthread_mutex_init(&p->mu, NULL);
    atomic_store(&p->stop, false);
    int rc = pthread_create(&p->thread, NULL, probeMain, p);
    if (rc != 0) {
        close(p->fd);
        unlink(p->path);
        p->fd = -1;
        pthread_mutex_destroy(&p->mu);
        errno = rc;
        return -1;
    }
    p->running = true;
    return 0;
}

void diskprobe_take(struct diskprobe *p, struct hist *out, uint64_t *errors)
{
    hist_init(out);
    *errors = 0;
    if (!p->running) {
        return;
    }
    pthread_mutex_lock(&p->mu);
    *out = p->h;
    *errors = p->errors;
    hist_init(&p->h);
    pthread_mutex_unlock(&p->mu);
}

json_t *diskprobe_json(const struct hist *h, uint64_t errors)
{
    if (h->count == 0) {
        return NULL;
    }
    return json_pack("{s:I,s:f,s:f,s:f,s:I}", "count", (json_int_t)h->count,
                     "p50", (double)hist_quantile(h, 0.5) / 1e6, "p99",
                     (double)hist_quantile(h, 0.99) / 1e6, "max",
                     (double)h->max_ns / 1e6, "errors", (json_int_t)errors);
}

void diskprobe_stop(struct diskprobe *p)
{
    if (!p->running) {
        return;
    }
    atomic_store(&p->stop, true);
    pthread_join(p->thread, NULL);
    close(p->fd);
    unlink(p->path);
    pthread_mutex_destroy(&p->mu);
    p->running = false;
}
