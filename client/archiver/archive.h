/* archive: the event feed's archive on disk (daily JSON-lines files), its
 * crash-safe writer (slot-archiver) and its verifying reader (slotctl
 * audit).
 *
 * Layout of an archive directory DIR:
 *   events-YYYY-MM-DD.jsonl         the day being written (append-only),
 *                                   or a day whose rotation has not
 *                                   finished yet (it is the authority
 *                                   until the rotation unlinks it)
 *   events-YYYY-MM-DD.jsonl.gz      a finished day, gzip (zlib)
 *   events-YYYY-MM-DD.jsonl.gz.sha256  "HEX  events-....jsonl.gz\n", the
 *                                   SHA-256 of the .gz (sha256sum -c reads it)
 *   cursor                          "slot-archiver-cursor 1 SEQ\n": every
 *                                   event with seq <= SEQ is durable here
 *   lock                            flock'd by the one writer
 *   *.tmp                           unfinished writes, removed on open
 * The day of an event is the UTC day of its time_ms (ledger time, which
 * never decreases with seq): so the files in day order, and the lines in
 * each, are in seq order, and a seq is in exactly one file.
 *
 * One line per event, keys in this order: {"seq","index","time_ms","type"
 * (slotc_event_name),"pool","claim","patient","channel","account",
 * "hospital","a","b","fee_cents","payment_ref","pay_method","local_day"}
 * (struct slotc_event; local_day: days since 1970-01-01 in the event's
 * hospital's local time, the day reconciliation counts it in).
 * Format version 2 (protocol 5): the cursor file names the format the
 * archive is written in now; the writer and the reader take a directory
 * of format 1 or 2 (another is BAD_VERSION), and the writer goes on in
 * format 2 (so one directory may hold lines of both). A format 1 line
 * (written before protocol 5) has none of the last four keys: it reads
 * as 0 / "" for them. A line with some of them but not all is CORRUPT.
 *
 * Errors are codes of enum slot_err with a message in a->err (or the
 * caller's buffer): IO (a system call failed: the message names it and
 * the file), CORRUPT (the archive contradicts itself: a line that does not
 * parse, a seq out of order, a checksum that does not match, a cursor
 * ahead of the files), MALFORMED (a page that does not follow the archive),
 * BAD_VERSION (a cursor file of another format).
 */
#ifndef SLOT_ARCHIVE_H
#define SLOT_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libslot.h"

#define ARCHIVE_FORMAT_VERSION 2    /* what the writer writes */
#define ARCHIVE_FORMAT_MIN     1    /* the oldest format read */
#define ARCHIVE_LINE_MAX       4096 /* bytes of one line, '\n' included */
#define ARCHIVE_ERR_MAX        512
#define ARCHIVE_DAY_LEN        10 /* "YYYY-MM-DD" */
#define ARCHIVE_PATH_MAX       1024
#define ARCHIVE_FILES_MAX      (1u << 16) /* day files one directory holds */
#define ARCHIVE_MS_PER_DAY     86400000ull
#define ARCHIVE_DAY_NAMED_MAX                                                  \
    2932896u /* 9999-12-31: the last day a name
                                         * holds */

/* The UTC day of time_ms as "YYYY-MM-DD" (out: ARCHIVE_DAY_LEN + 1). */
void archive_day_name(uint64_t time_ms, char *out);

/* Formats e as one line ('\n' included) into buf (cap bytes). Returns the
 * length, or 0 if it does not fit (never with cap >= ARCHIVE_LINE_MAX). */
size_t archive_event_line(const struct slotc_event *e, char *buf, size_t cap);

/* Parses one line (without its '\n') into *e. Returns SLOT_OK or
 * SLOT_CORRUPT (not an event line of format 1 or 2). */
int archive_line_parse(const char *line, size_t len, struct slotc_event *e);

/* The writer. Fields with a leading '_' are private. */
struct archive {
    uint64_t last;    /* the newest seq in the files (durable after append) */
    uint64_t rotated; /* days compressed by this writer (for logs, tests) */
    char err[ARCHIVE_ERR_MAX];
    int _dir_fd, _lock_fd, _fd;     /* _fd: the current day, or -1 */
    char _day[ARCHIVE_DAY_LEN + 1]; /* the current day, "" none */
    char _dir[ARCHIVE_PATH_MAX];
    bool _empty; /* no event in the files yet */
    char *_buf;  /* one page of lines */
    size_t _len, _cap;
};

/* Opens (creating it if needed) the archive in dir and makes it
 * consistent after any crash: removes *.tmp, takes the lock (IO if
 * another writer holds it), truncates a partial last line, finishes every
 * unfinished rotation (plain files of days before the newest), and sets
 * a->last to the newest seq in the files, advancing the cursor file to it
 * when a crash left it behind (events written, cursor not yet). CORRUPT
 * when the cursor is ahead of the files (events it counts are gone).
 * `log`, when not NULL, gets one line per recovery action. On error
 * everything is released (archive_close need not be called). */
int archive_open(struct archive *a, const char *dir,
                 void (*log)(const char *msg));

/* Starts an archive with no event in its files yet after seq: the cursor is
 * written as seq, so the first page must start at seq + 1. For an archive
 * started knowingly after events the ledger no longer holds
 * (slot-archiver --start-after). On an archive with events: SLOT_OK
 * and nothing done if seq <= a->last (the same start again), else
 * INVALID_ARGUMENT (it would skip events). archive_open trusts the cursor
 * of a directory whose files hold no event. */
int archive_start_after(struct archive *a, uint64_t seq);

/* Appends a page of n events (n <= SLOTC_LIST_MAX), which must start at
 * seq a->last + 1 and be contiguous (MALFORMED otherwise, nothing
 * written): writes each to its day's file, fsyncs every file it wrote,
 * then replaces the cursor (write temp, fsync, rename, fsync dir), then
 * rotates the days the page completed. a->last is the page's last seq on
 * success. On an IO error the files may hold part of the page (the next
 * archive_open puts it right); the writer must be closed. */
int archive_append(struct archive *a, const struct slotc_event *ev, uint32_t n);

/* Compresses DIR/events-DAY.jsonl to .jsonl.gz with its .sha256, both
 * fsync'd and renamed into place, then unlinks the plain file. Idempotent
 * (a repeat after a crash rewrites the same bytes). Exposed for tests;
 * archive_append calls it when a day is complete. */
int archive_rotate_day(struct archive *a, const char *day);

/* Releases the writer (the files stay durable as last appended). */
void archive_close(struct archive *a);

/* ---- Reading ------------------------------------------------------------- */

/* What a scan found wrong, besides the events it gave. */
struct archive_scan_report {
    uint32_t files;        /* day files read */
    uint32_t bad_checksum; /* .gz files whose checksum was missing or wrong
                            * (not read) */
    uint32_t bad_files;    /* files that could not be read or parsed */
    uint64_t events;       /* lines read */
    uint64_t gaps;         /* places where seq did not follow by one */
    uint64_t first, last;  /* seqs read (0: none) */
};

/* Reads every day of the archive in dir in day order (a day's plain file
 * when present, else its .gz, verified against its .sha256 first), and
 * calls cb(arg, line, len, e) for every event whose patient equals
 * `patient` (when not NULL) and whose pool equals `pool` (when not NULL),
 * in seq order. Problems are counted in *rep and described to `warn`
 * (one message each) and do not stop the scan; cb returning nonzero does
 * (its value is returned). Returns SLOT_OK, or IO when dir cannot be
 * listed. Memory: one line and one file's buffers. */
int archive_scan(const char *dir, const char *patient, const char *pool,
                 int (*cb)(void *arg, const char *line, size_t len,
                           const struct slotc_event *e),
                 void *arg, void (*warn)(void *arg, const char *msg),
                 struct archive_scan_report *rep);

/* archive_scan of the day files of UTC days first_day..last_day only
 * (days since 1970-01-01, inclusive; 0 and UINT32_MAX: unbounded), so
 * that a reader of one local day (reconciliation: its UTC day and the
 * ones either side) opens at most those files. The report counts what
 * those files hold (a gap is one between them). */
int archive_scan_days(const char *dir, uint32_t first_day, uint32_t last_day,
                      const char *patient, const char *pool,
                      int (*cb)(void *arg, const char *line, size_t len,
                                const struct slotc_event *e),
                      void *arg, void (*warn)(void *arg, const char *msg),
                      struct archive_scan_report *rep);

#endif /* SLOT_ARCHIVE_H */
