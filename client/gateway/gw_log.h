/* gw_log: the access log (one line per request) and the error log.
 *
 * Access lines are buffered in memory and written when the buffer passes
 * half full or every 200 ms (a timer on the loop), so that logging costs a
 * memcpy per request, not a system call. Format (space separated):
 *
 *   2025-11-22T09:00:00.123Z POST /v1/pools/x/holds 201 1234us app -
 *   time                     method path          status latency channel
 * error-code
 *
 * The path is logged raw (still percent-encoded), cut at 256 bytes, with
 * bytes outside 0x21..0x7e replaced by '?', so a request cannot forge log
 * lines. Error lines ("... ERROR message") go to stderr at once, at most
 * GW_LOG_ERRORS_PER_S per second (then one line says how many were
 * dropped), so a failing cluster cannot turn the error log into the
 * bottleneck.
 */
#ifndef GW_LOG_H
#define GW_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define GW_LOG_BUF          (64 * 1024)
#define GW_LOG_ERRORS_PER_S 20

struct gw_log {
    int fd;     /* -1: access log off */
    bool owned; /* fd was opened by us */
    size_t len;
    uv_timer_t timer;
    bool timer_on;
    int64_t stamp_sec;
    char stamp[32];       /* "2025-11-22T09:00:00" of stamp_sec */
    int64_t err_sec;      /* second of the error-rate window */
    uint32_t err_lines;   /* error lines written in it */
    uint64_t err_dropped; /* error lines dropped since the last note */
    char buf[GW_LOG_BUF];
};

/* path: "-" stdout, "" off, else a file opened for appending. Returns 0 or
 * -1 (errno set). */
int gw_log_open(struct gw_log *l, uv_loop_t *loop, const char *path);
void gw_log_request(struct gw_log *l, const char *method, size_t method_len,
                    const char *path, size_t path_len, int status,
                    uint64_t latency_us, const char *channel, const char *code);
void gw_log_error(struct gw_log *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void gw_log_flush(struct gw_log *l);
/* Flushes and stops the timer (closes its handle: run the loop after). */
void gw_log_close(struct gw_log *l);

#endif /* GW_LOG_H */
