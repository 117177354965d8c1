/* log: leveled log lines on stderr, tagged with the node id.
 *
 *   2026-11-21T09:00:00.123Z slotd[2] WARN  leader lost: ...
 *
 * Glue code only (the ledger never logs). Not thread-safe beyond what
 * stdio guarantees per call; slotd is single-threaded.
 */
#ifndef SLOT_LOG_H
#define SLOT_LOG_H

#include <stdint.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERROR = 3 };

/* Sets the node id shown in every line and the lowest level printed. */
void log_init(uint64_t node_id, enum log_level min);
/* Parses "debug" / "info" / "warn" / "error"; -1 if none of them. */
int log_level_parse(const char *s);
void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define LOG_D(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define LOG_I(...) log_msg(LOG_INFO, __VA_ARGS__)
#define LOG_W(...) log_msg(LOG_WARN, __VA_ARGS__)
#define LOG_E(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif /* SLOT_LOG_H */
