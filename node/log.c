#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static uint64_t logNode;
static enum log_level logMin = LOG_INFO;

void log_init(uint64_t node_id, enum log_level min)
{
    logNode = node_id;
    logMin = min;
}

int log_level_parse(const char *s)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    static const char *const tags[] = {"DEBUG", "INFO ", "WARN ", "ERROR"};
    if (level < logMin) {
        return;
    }
    struct timespec ts;
    struct tm tm;
    char when[32];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* One fprintf per line keeps lines whole when several nodes share a
     * terminal. */
    fprintf(stderr, "%s.%03ldZ slotd[%llu] %s %s\n", when, ts.tv_nsec / 1000000,
            (unsigned long long)logNode, tags[level], line);
}
