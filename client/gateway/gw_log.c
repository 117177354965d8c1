/* gw_log: buffered access log, immediate error log (see gw_log.h). */

#include "gw_log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define FLUSH_MS 200

static void flushCb(uv_timer_t *t)
{
    gw_log_flush(t->data);
}

int gw_log_open(struct gw_log *l, uv_loop_t *loop, const char *path)
{
    l->fd = -1;
    l->owned = false;
    l->len = 0;
    l->stamp_sec = -1;
    l->timer_on = false;
    l->err_sec = -1;
    l->err_lines = 0;
    l->err_dropped = 0;
    if (strcmp(path, "-") == 0) {
        l->fd = STDOUT_FILENO;
    } else if (path[0] != '\0') {
        l->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (l->fd < 0) {
            return -1;
        }
        l->owned = true;
    }
    if (l->fd >= 0) {
        uv_timer_init(loop, &l->timer);
        l->timer.data = l;
        uv_timer_start(&l->timer, flushCb, FLUSH_MS, FLUSH_MS);
        uv_unref((uv_handle_t *)&l->timer); /* never keeps the loop alive */
        l->timer_on = true;
    }
    return 0;
}

void gw_log_flush(struct gw_log *l)
{
    size_t off = 0;
    while (l->fd >= 0 && off < l->len) {
        ssize_t n = write(l->fd, l->buf + off, l->len - off);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            /* A full disk or a closed pipe: drop the lines rather than stop
             * serving bookings because the log cannot be written. */
            break;
        }
        off += (size_t)n;
    }
    l->len = 0;
}

/* "2025-11-22T09:00:00.123Z" into out (48 bytes). */
static void stampNow(struct gw_log *l, char out[48])
{
    /* strftime only when the second changes: at tens of thousands of lines
     * per second, formatting the date is most of a line's cost. */
    struct timeval tv;
    gettimeofday(&tv, NULL);
    if (tv.tv_sec != l->stamp_sec) {
        struct tm tm;
        time_t s = tv.tv_sec;
        gmtime_r(&s, &tm);
        strftime(l->stamp, sizeof l->stamp, "%Y-%m-%dT%H:%M:%S", &tm);
        l->stamp_sec = tv.tv_sec;
    }
    snprintf(out, 48, "%.24s.%03uZ", l->stamp,
             (unsigned)(tv.tv_usec / 1000) % 1000u);
}

void gw_log_request(struct gw_log *l, const char *method, size_t method_len,
                    const char *path, size_t path_len, int status,
                    uint64_t latency_us, const char *channel, const char *code)
{
    if (l->fd < 0) {
        return;
    }
    if (l->len > GW_LOG_BUF / 2) {
        gw_log_flush(l);
    }
    char ts[48];
    stampNow(l, ts);
    char safe[257];
    size_t n = path_len < 256 ? path_len : 256;
    for (size_t i = 0; i < n; i++) {
        char c = path[i];
        safe[i] = (c >= 0x21 && c <= 0x7e) ? c : '?';
    }
    safe[n] = '\0';
    char m[16];
    size_t ml = method_len < 15 ? method_len : 15;
    for (size_t i = 0; i < ml; i++) {
        char c = method[i];
        m[i] = (c >= 0x21 && c <= 0x7e) ? c : '?';
    }
    m[ml] = '\0';
    int w = snprintf(l->buf + l->len, GW_LOG_BUF - l->len,
                     "%s %s %s %d %" PRIu64 "us %s %s\n", ts, ml ? m : "-",
                     n ? safe : "-", status, latency_us, channel, code);
    if (w > 0 && (size_t)w < GW_LOG_BUF - l->len) {
        l->len += (size_t)w;
    }
}

void gw_log_error(struct gw_log *l, const char *fmt, ...)
{
    char ts[48];
    stampNow(l, ts);
    if (l->stamp_sec != l->err_sec) {
        if (l->err_dropped > 0) {
            fprintf(stderr, "%s ERROR (%" PRIu64 " more error lines dropped)\n",
                    ts, l->err_dropped);
        }
        l->err_sec = l->stamp_sec;
        l->err_lines = 0;
        l->err_dropped = 0;
    }
    if (l->err_lines >= GW_LOG_ERRORS_PER_S) {
        l->err_dropped++;
        return;
    }
    l->err_lines++;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s ERROR %s\n", ts, msg);
}

void gw_log_close(struct gw_log *l)
{
    gw_log_flush(l);
    if (l->timer_on) {
        uv_timer_stop(&l->timer);
        uv_close((uv_handle_t *)&l->timer, NULL);
        l->timer_on = false;
    }
    if (l->owned) {
        close(l->fd);
    }
    l->fd = -1;
}
