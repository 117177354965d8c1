/* slot-archiver: follows the ledger's event feed into daily append-only
 * files (archive.h), exactly once across its own crashes.
 *
 *   slot-archiver --cluster ADDRS --dir DIR [--interval-ms MS] [--limit N]
 *
 * The loop is slotc_sync_events_follow; each page goes to archive_append
 * (write, fsync, then the cursor), so a kill at any moment loses nothing
 * and repeats nothing: the next start resumes after the newest line on
 * disk. Exit codes: 0 stopped by SIGTERM/SIGINT (the page being read is
 * finished first); 2 usage; 3 the archive (I/O, corruption, another
 * archiver holds the lock); 4 CURSOR_EXPIRED: events after the archive's
 * last one were dropped from the ledger's window before they were read,
 * named on stderr (never skipped silently: the operator decides); 5 a
 * read error that is not transient. Unavailability (TIMEOUT, UNAVAILABLE,
 * NO_LEADER, BUSY, ...) is logged and retried with a backoff of 1 s
 * doubling to 30 s.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "archive.h"
#include "libslot.h"

#define DEFAULT_INTERVAL_MS 1000u
#define DEFAULT_LIMIT       1000u
#define READ_TIMEOUT_MS     3000u /* also how long SIGTERM may wait */
#define BACKOFF_MIN_MS      1000u
#define BACKOFF_MAX_MS      30000u
#define ARCHIVE_FAILED      (-2) /* pageCb's stop values: no status is < 0 */
#define STOPPED             (-1)

enum { EX_OK = 0, EX_USAGE = 2, EX_ARCHIVE = 3, EX_EXPIRED = 4, EX_READ = 5 };

static volatile sig_atomic_t g_stop;

static void onSignal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static void logLine(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logLine(const char *fmt, ...)
{
    char ts[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s slot-archiver[%d]: ", ts, (int)getpid());
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void logMsg(const char *msg)
{
    logLine("%s", msg);
}

static const char usage[] =
    "usage: slot-archiver --cluster ADDR[,ADDR...] --dir DIR\n"
    "                     [--interval-ms MS (1000)] [--limit N (1000)]\n"
    "                     [--start-after SEQ]\n"
    "Follows the event feed into DIR/events-YYYY-MM-DD.jsonl (UTC day of\n"
    "the event's ledger time), one JSON line per event; a finished day is\n"
    "compressed to .jsonl.gz with a .sha256. DIR/cursor is the last seq\n"
    "archived. SIGTERM finishes the current page and exits 0.\n"
    "--start-after SEQ (a new, empty DIR only): archive from SEQ + 1, for a\n"
    "ledger that no longer holds the events before (knowingly: they are\n"
    "not in this archive).\n"
    "Exit codes: 0 stopped; 2 usage; 3 archive error; 4 CURSOR_EXPIRED\n"
    "(events lost to the archive, named); 5 read error.\n";

static bool parseU32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < lo ||
        v > hi) {
        return false;
    }
    *out = (uint32_t)v;
    return true;
}

static bool parseU64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-') {
        return false;
    }
    *out = v;
    return true;
}

static struct archive g_arch;
static const char *g_dir;

static int pageCb(struct slotc_req *req)
{
    int rc = archive_append(&g_arch, req->out.events, req->out.n_events);
    if (rc != SLOT_OK) {
        logLine("archive error (%s): %s", slotc_err_name(rc), g_arch.err);
        return ARCHIVE_FAILED;
    }
    return g_stop ? STOPPED : 0;
}

static bool transient(int rc)
{
    return rc == SLOT_TIMEOUT || rc == SLOT_UNAVAILABLE ||
           rc == SLOT_NAME_UNRESOLVED || /* DNS may come back */
           rc == SLOT_NO_LEADER || rc == SLOT_NOT_LEADER || rc == SLOT_BUSY ||
           rc == SLOT_SHUTDOWN || rc == SLOT_IO;
}

/* Sleeps ms unless a stop signal comes first. */
static void pause_ms(uint32_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (!g_stop && nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static int follow(struct slotc_sync *s, uint32_t limit, uint32_t interval)
{
    uint32_t backoff = BACKOFF_MIN_MS;
    while (!g_stop) {
        struct slotc_req req;
        slotc_req_init(&req);
        req.timeout_ms = READ_TIMEOUT_MS;
        uint64_t after = g_arch.last, start = g_arch.last;
        int rc =
            slotc_sync_events_follow(s, &req, &after, limit, interval, pageCb);
        if (rc == STOPPED) {
            break;
        }
        if (rc == ARCHIVE_FAILED) {
            return EX_ARCHIVE;
        }
        if (rc == SLOT_CURSOR_EXPIRED) {
            logLine("CURSOR_EXPIRED: events %llu..%llu were dropped from the "
                    "ledger's window before this archiver read them; they are "
                    "NOT in %s, which ends at seq %llu. Not skipping: "
                    "recover them elsewhere, or knowingly start a new --dir "
                    "with --start-after %llu.",
                    (unsigned long long)(g_arch.last + 1),
                    (unsigned long long)(req.out.first - 1), g_dir,
                    (unsigned long long)g_arch.last,
                    (unsigned long long)(req.out.first - 1));
            return EX_EXPIRED;
        }
        if (!transient(rc)) {
            logLine("reading the feed after seq %llu failed: %s",
                    (unsigned long long)g_arch.last, slotc_err_name(rc));
            return EX_READ;
        }
        if (g_arch.last > start) {
            backoff = BACKOFF_MIN_MS; /* it had recovered since */
        }
        logLine("reading the feed after seq %llu: %s; retrying in %u ms",
                (unsigned long long)g_arch.last, slotc_err_name(rc), backoff);
        pause_ms(backoff);
        backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
    }
    return EX_OK;
}

int main(int argc, char **argv)
{
    /* First: a SIGTERM from now on finishes the current page. */
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    const char *cluster = NULL, *dir = NULL;
    uint32_t interval = DEFAULT_INTERVAL_MS, limit = DEFAULT_LIMIT;
    uint64_t start_after = 0;
    bool has_start = false;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
            fputs(usage, stdout);
            return EX_OK;
        }
        bool ok = v != NULL;
        if (ok && strcmp(o, "--cluster") == 0) {
            cluster = v;
        } else if (ok && strcmp(o, "--dir") == 0) {
            dir = v;
        } else if (ok && strcmp(o, "--interval-ms") == 0) {
            ok = parseU32(v, 1, 3600000, &interval);
        } else if (ok && strcmp(o, "--start-after") == 0) {
            ok = parseU64(v, &start_after);
            has_start = ok;
        } else if (ok && strcmp(o, "--limit") == 0) {
            ok = parseU32(v, 1, SLOTC_LIST_MAX, &limit);
        } else {
            ok = false;
        }
        if (!ok) {
            fprintf(stderr, "slot-archiver: bad option or value '%s'\n%s", o,
                    usage);
            return EX_USAGE;
        }
        i++;
    }
    if (cluster == NULL || dir == NULL) {
        fprintf(stderr, "slot-archiver: --cluster and --dir are required\n%s",
                usage);
        return EX_USAGE;
    }
    /* Syntax only: a name is resolved by libslot on every connection, and
     * one that does not resolve yet is retried like an unreachable node
     * (NAME_UNRESOLVED is transient here: the archiver runs unattended). */
    char cerr[400];
    if (slotc_cluster_check(cluster, "--cluster", cerr, sizeof cerr) !=
        SLOT_OK) {
        fprintf(stderr, "slot-archiver: %s\n", cerr);
        return EX_USAGE;
    }

    g_dir = dir;
    int rc = archive_open(&g_arch, dir, logMsg);
    if (rc != SLOT_OK) {
        logLine("cannot open the archive (%s): %s", slotc_err_name(rc),
                g_arch.err);
        return EX_ARCHIVE;
    }
    if (has_start) {
        rc = archive_start_after(&g_arch, start_after);
        if (rc != SLOT_OK) {
            logLine("--start-after: %s", g_arch.err);
            archive_close(&g_arch);
            return rc == SLOT_INVALID_ARGUMENT ? EX_USAGE : EX_ARCHIVE;
        }
        if (g_arch.last == start_after) {
            logLine("archive starts after seq %llu: events up to it are "
                    "not in it",
                    (unsigned long long)start_after);
        }
    }
    struct slotc_options opts;
    slotc_options_init(&opts);
    opts.cluster = cluster;
    opts.sessions_max = 1;
    opts.queue_max = 4;
    struct slotc_sync *s = NULL;
    rc = slotc_sync_open(&opts, &s);
    if (rc != SLOT_OK) {
        logLine("bad --cluster '%s': %s", cluster, slotc_err_name(rc));
        archive_close(&g_arch);
        return EX_USAGE;
    }
    logLine("archiving into %s after seq %llu", dir,
            (unsigned long long)g_arch.last);
    int ex = follow(s, limit, interval);
    logLine("%s at seq %llu (%llu days rotated)",
            ex == EX_OK ? "stopped" : "exiting",
            (unsigned long long)g_arch.last,
            (unsigned long long)g_arch.rotated);
    slotc_sync_close(s);
    archive_close(&g_arch);
    return ex;
}
