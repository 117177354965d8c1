/* archive: daily JSON-lines files of the event feed (archive.h).
 *
 * Why the writer is exactly-once across its own crashes: a page is
 * written to the day files and fsync'd before the cursor file is replaced
 * (temp + fsync + rename + fsync dir), so the cursor never counts an event
 * that is not durable; and the files, not the cursor, say where to resume:
 * archive_open takes the newest complete line's seq (after cutting a
 * partial last line), which is >= the cursor, so the events written after
 * the last cursor update are neither lost nor written again. A day file is
 * unlinked only after its .gz and .sha256 are durable, so a crash in the
 * middle of a rotation leaves the plain file, which is the authority
 * (readers prefer it) and is compressed again on the next open.
 */
#include "archive.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zlib.h>

#define IO_CHUNK     (64 * 1024)
#define CURSOR_MAGIC "slot-archiver-cursor"
#define SHA_HEX_LEN  64

/* The longest line: every string at its limit with every byte escaped
 * (\u00XX, 6 bytes), eight u64 of 20 digits, keys, type and punctuation. */
_Static_assert((SLOTC_POOL_ID_MAX + 2 * SLOTC_PATIENT_KEY_MAX +
                SLOTC_CHANNEL_MAX + SLOTC_NAME_MAX + SLOTC_PAYMENT_REF_MAX +
                SLOTC_PAY_METHOD_MAX) *
                           6 +
                       8 * 20 + 300 <=
                   ARCHIVE_LINE_MAX,
               "a line holds every field, escaped");

/* ---- lines ----------------------------------------------------------------- */

void archive_day_name(uint64_t time_ms, char *out)
{
    time_t t = (time_t)(time_ms / 1000);
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL) {
        memcpy(out, "0000-00-00", ARCHIVE_DAY_LEN + 1);
        return;
    }
    char buf[48];
    snprintf(buf, sizeof buf, "%04d-%02d-%02d", (tm.tm_year + 1900) % 10000,
             tm.tm_mon + 1, tm.tm_mday);
    memcpy(out, buf, ARCHIVE_DAY_LEN);
    out[ARCHIVE_DAY_LEN] = '\0';
}

/* Appends s as a JSON string; returns the new length, or cap on overflow.
 * Bytes >= 0x80 pass through (the ledger's names are UTF-8). */
static size_t putStr(char *buf, size_t len, size_t cap, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    if (len + 1 >= cap) {
        return cap;
    }
    buf[len++] = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (len + 7 >= cap) {
            return cap;
        }
        if (*p == '"' || *p == '\\') {
            buf[len++] = '\\';
            buf[len++] = (char)*p;
        } else if (*p < 0x20) {
            memcpy(buf + len, "\\u00", 4);
            buf[len + 4] = hex[*p >> 4];
            buf[len + 5] = hex[*p & 15];
            len += 6;
        } else {
            buf[len++] = (char)*p;
        }
    }
    buf[len++] = '"';
    return len;
}

static size_t putf(char *buf, size_t len, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static size_t putf(char *buf, size_t len, size_t cap, const char *fmt, ...)
{
    if (len >= cap) {
        return cap;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + len, cap - len, fmt, ap);
    va_end(ap);
    return n < 0 || (size_t)n >= cap - len ? cap : len + (size_t)n;
}

size_t archive_event_line(const struct slotc_event *e, char *buf, size_t cap)
{
    const char *type = slotc_event_name(e->type);
    char tbuf[16];
    if (type == NULL) { /* a newer node's type: keep its number */
        snprintf(tbuf, sizeof tbuf, "type_%d", e->type);
        type = tbuf;
    }
    size_t n = putf(buf, 0, cap,
                    "{\"seq\":%llu,\"index\":%llu,\"time_ms\":%llu,\"type\":",
                    (unsigned long long)e->seq, (unsigned long long)e->index,
                    (unsigned long long)e->time_ms);
    n = putStr(buf, n, cap, type);
    n = putf(buf, n, cap, ",\"pool\":");
    n = putStr(buf, n, cap, e->pool);
    n = putf(buf, n, cap,
             ",\"claim\":%llu,\"patient\":", (unsigned long long)e->claim);
    n = putStr(buf, n, cap, e->patient);
    n = putf(buf, n, cap, ",\"channel\":");
    n = putStr(buf, n, cap, e->channel);
    n = putf(buf, n, cap, ",\"account\":");
    n = putStr(buf, n, cap, e->account);
    n = putf(buf, n, cap, ",\"hospital\":");
    n = putStr(buf, n, cap, e->hospital);
    n = putf(buf, n, cap, ",\"a\":%llu,\"b\":%llu,\"fee_cents\":%llu",
             (unsigned long long)e->a, (unsigned long long)e->b,
             (unsigned long long)e->fee_cents);
    n = putf(buf, n, cap, ",\"payment_ref\":");
    n = putStr(buf, n, cap, e->payment_ref);
    n = putf(buf, n, cap, ",\"pay_method\":");
    n = putStr(buf, n, cap, e->pay_method);
    n = putf(buf, n, cap, ",\"local_day\":%u}\n", (unsigned)e->local_day);
    return n >= cap ? 0 : n;
}

static bool getU64(json_t *o, const char *k, uint64_t *v)
{
    json_t *j = json_object_get(o, k);
    if (!json_is_integer(j) || json_integer_value(j) < 0) {
        return false;
    }
    *v = (uint64_t)json_integer_value(j);
    return true;
}

static bool getStr(json_t *o, const char *k, char *out, size_t cap)
{
    json_t *j = json_object_get(o, k);
    if (!json_is_string(j) || json_string_length(j) >= cap) {
        return false;
    }
    memcpy(out, json_string_value(j), json_string_length(j) + 1);
    return true;
}

int archive_line_parse(const char *line, size_t len, struct slotc_event *e)
{
    memset(e, 0, sizeof *e);
    json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
    char type[32];
    bool ok = json_is_object(o) && getU64(o, "seq", &e->seq) && e->seq > 0 &&
              getU64(o, "index", &e->index) &&
              getU64(o, "time_ms", &e->time_ms) &&
              getStr(o, "type", type, sizeof type) &&
              getStr(o, "pool", e->pool, sizeof e->pool) &&
              getU64(o, "claim", &e->claim) &&
              getStr(o, "patient", e->patient, sizeof e->patient) &&
              getStr(o, "channel", e->channel, sizeof e->channel) &&
              getStr(o, "account", e->account, sizeof e->account) &&
              getStr(o, "hospital", e->hospital, sizeof e->hospital) &&
              getU64(o, "a", &e->a) && getU64(o, "b", &e->b);
    /* Format 2's fields: all of them or none (a format 1 line: the
     * event of a node of protocol 4, unpaid as far as it says). */
    uint64_t local_day = 0;
    int v2 = (json_object_get(o, "fee_cents") != NULL) +
             (json_object_get(o, "payment_ref") != NULL) +
             (json_object_get(o, "pay_method") != NULL) +
             (json_object_get(o, "local_day") != NULL);
    ok = ok && (v2 == 0 || v2 == 4);
    if (ok && v2 == 4) {
        ok = getU64(o, "fee_cents", &e->fee_cents) &&
             getStr(o, "payment_ref", e->payment_ref, sizeof e->payment_ref) &&
             getStr(o, "pay_method", e->pay_method, sizeof e->pay_method) &&
             getU64(o, "local_day", &local_day) && local_day <= UINT32_MAX;
        e->local_day = (uint32_t)local_day;
    }
    json_decref(o);
    if (!ok) {
        return SLOT_CORRUPT;
    }
    for (int t = 1; t <= 64; t++) {
        const char *name = slotc_event_name(t);
        if (name != NULL && strcmp(name, type) == 0) {
            e->type = t;
            break;
        }
    }
    return SLOT_OK;
}

/* ---- small I/O helpers ----------------------------------------------------- */

static int fail(char *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, ARCHIVE_ERR_MAX, fmt, ap);
    va_end(ap);
    return code;
}

static int writeAll(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* "events-YYYY-MM-DD.jsonl" + suffix */
static void dayFile(char *out, size_t cap, const char *day, const char *suffix)
{
    snprintf(out, cap, "events-%s.jsonl%s", day, suffix);
}

/* The days of a directory, sorted, with which of their files exist. */
struct dayent {
    char day[ARCHIVE_DAY_LEN + 1];
    bool plain, gz, sha;
};

static int dayCmp(const void *x, const void *y)
{
    return strcmp(((const struct dayent *)x)->day,
                  ((const struct dayent *)y)->day);
}

static bool isDay(const char *s)
{
    for (int i = 0; i < ARCHIVE_DAY_LEN; i++) {
        bool dash = i == 4 || i == 7;
        if (dash ? s[i] != '-' : (s[i] < '0' || s[i] > '9')) {
            return false;
        }
    }
    return true;
}

/* Lists dir's day files into a malloc'd sorted array (*out, *n); with
 * dir_fd >= 0 also removes its *.tmp files. */
static int listDays(const char *dir, int dir_fd, struct dayent **out, size_t *n,
                    char *err)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        return fail(err, SLOT_IO, "cannot list %s: %s", dir, strerror(errno));
    }
    size_t cap = 16, cnt = 0;
    struct dayent *v = calloc(cap, sizeof *v);
    int rc = v != NULL ? SLOT_OK : fail(err, SLOT_IO, "out of memory");
    struct dirent *de;
    while (rc == SLOT_OK && (de = readdir(d)) != NULL) {
        const char *nm = de->d_name;
        size_t len = strlen(nm);
        if (dir_fd >= 0 && len > 4 && strcmp(nm + len - 4, ".tmp") == 0) {
            unlinkat(dir_fd, nm, 0); /* an unfinished write */
            continue;
        }
        if (strncmp(nm, "events-", 7) != 0 || len < 7 + ARCHIVE_DAY_LEN ||
            !isDay(nm + 7)) {
            continue;
        }
        const char *sfx = nm + 7 + ARCHIVE_DAY_LEN;
        int kind = strcmp(sfx, ".jsonl") == 0             ? 0
                   : strcmp(sfx, ".jsonl.gz") == 0        ? 1
                   : strcmp(sfx, ".jsonl.gz.sha256") == 0 ? 2
                                                          : -1;
        if (kind < 0) {
            continue;
        }
        size_t i = 0;
        while (i < cnt && strncmp(v[i].day, nm + 7, ARCHIVE_DAY_LEN) != 0) {
            i++;
        }
        if (i == cnt) {
            if (cnt == ARCHIVE_FILES_MAX) {
                rc = fail(err, SLOT_TOO_LARGE, "%s holds more than %u days",
                          dir, ARCHIVE_FILES_MAX);
                break;
            }
            if (cnt == cap) {
                struct dayent *nv = realloc(v, 2 * cap * sizeof *v);
                if (nv == NULL) {
                    rc = fail(err, SLOT_IO, "out of memory");
                    break;
                }
                v = nv;
                cap *= 2;
            }
            memset(&v[cnt], 0, sizeof v[cnt]);
            memcpy(v[cnt].day, nm + 7, ARCHIVE_DAY_LEN);
            cnt++;
        }
        v[i].plain |= kind == 0;
        v[i].gz |= kind == 1;
        v[i].sha |= kind == 2;
    }
    closedir(d);
    if (rc != SLOT_OK) {
        free(v);
        return rc;
    }
    qsort(v, cnt, sizeof *v, dayCmp);
    *out = v;
    *n = cnt;
    return SLOT_OK;
}

/* ---- the writer ------------------------------------------------------------ */

static void logf_(void (*log)(const char *), const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void logf_(void (*log)(const char *), const char *fmt, ...)
{
    if (log == NULL) {
        return;
    }
    char msg[ARCHIVE_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log(msg);
}

static int readCursor(struct archive *a, uint64_t *cursor)
{
    *cursor = 0;
    int fd = openat(a->_dir_fd, "cursor", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return errno == ENOENT ? SLOT_OK
                               : fail(a->err, SLOT_IO, "open %s/cursor: %s",
                                      a->_dir, strerror(errno));
    }
    char buf[128];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n < 0) {
        return fail(a->err, SLOT_IO, "read %s/cursor: %s", a->_dir,
                    strerror(errno));
    }
    buf[n] = '\0';
    int ver = 0;
    unsigned long long seq = 0;
    char magic[32];
    if (sscanf(buf, "%31s %d %llu", magic, &ver, &seq) != 3 ||
        strcmp(magic, CURSOR_MAGIC) != 0) {
        return fail(a->err, SLOT_CORRUPT, "%s/cursor is not a cursor file",
                    a->_dir);
    }
    /* A format 1 archive goes on in format 2: its old lines still read
     * (archive.h), and the next cursor written says 2. */
    if (ver < ARCHIVE_FORMAT_MIN || ver > ARCHIVE_FORMAT_VERSION) {
        return fail(a->err, SLOT_BAD_VERSION,
                    "%s/cursor is of archive format %d (this reads %d..%d)",
                    a->_dir, ver, ARCHIVE_FORMAT_MIN, ARCHIVE_FORMAT_VERSION);
    }
    *cursor = seq;
    return SLOT_OK;
}

static int writeCursor(struct archive *a, uint64_t seq)
{
    char buf[96];
    int n = snprintf(buf, sizeof buf, "%s %d %llu\n", CURSOR_MAGIC,
                     ARCHIVE_FORMAT_VERSION, (unsigned long long)seq);
    int fd = openat(a->_dir_fd, "cursor.tmp",
                    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return fail(a->err, SLOT_IO, "create %s/cursor.tmp: %s", a->_dir,
                    strerror(errno));
    }
    bool ok = writeAll(fd, buf, (size_t)n) == 0 && fsync(fd) == 0;
    int e = errno;
    close(fd);
    if (!ok || renameat(a->_dir_fd, "cursor.tmp", a->_dir_fd, "cursor") != 0 ||
        fsync(a->_dir_fd) != 0) {
        return fail(a->err, SLOT_IO, "write %s/cursor: %s", a->_dir,
                    strerror(ok ? errno : e));
    }
    return SLOT_OK;
}

/* The newest complete line's seq of an open plain file (0: none), after
 * cutting a partial last line (a crash in the middle of a write). */
static int plainTail(struct archive *a, int fd, const char *name, uint64_t *seq,
                     void (*log)(const char *))
{
    *seq = 0;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        return fail(a->err, SLOT_IO, "stat %s: %s", name, strerror(errno));
    }
    size_t size = (size_t)st.st_size;
    size_t want = size < 2 * ARCHIVE_LINE_MAX ? size : 2 * ARCHIVE_LINE_MAX;
    char buf[2 * ARCHIVE_LINE_MAX];
    if (want > 0 &&
        pread(fd, buf, want, (off_t)(size - want)) != (ssize_t)want) {
        return fail(a->err, SLOT_IO, "read %s: %s", name, strerror(errno));
    }
    size_t end = want; /* bytes of buf up to the last '\n' */
    while (end > 0 && buf[end - 1] != '\n') {
        end--;
    }
    if (end == 0 && want < size) {
        return fail(a->err, SLOT_CORRUPT,
                    "%s: no line end in its last %zu bytes", name, want);
    }
    if (end < want) {
        size_t keep = size - (want - end);
        if (ftruncate(fd, (off_t)keep) != 0 || fsync(fd) != 0) {
            return fail(a->err, SLOT_IO, "truncate %s: %s", name,
                        strerror(errno));
        }
        logf_(log, "%s: cut a partial last line (%zu bytes) left by a crash",
              name, want - end);
    }
    if (end == 0) {
        return SLOT_OK;
    }
    size_t start = end - 1;
    while (start > 0 && buf[start - 1] != '\n') {
        start--;
    }
    if (start == 0 && want < size) {
        return fail(a->err, SLOT_CORRUPT, "%s: last line too long", name);
    }
    struct slotc_event e;
    if (archive_line_parse(buf + start, end - 1 - start, &e) != SLOT_OK) {
        return fail(a->err, SLOT_CORRUPT, "%s: its last line is not an event",
                    name);
    }
    *seq = e.seq;
    return SLOT_OK;
}

/* The last line's seq of a .gz (0: none): reads it all (one day). */
static int gzTail(struct archive *a, const char *name, uint64_t *seq)
{
    char path[ARCHIVE_PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", a->_dir, name);
    *seq = 0;
    gzFile g = gzopen(path, "rb");
    if (g == NULL) {
        return fail(a->err, SLOT_IO, "open %s: %s", path, strerror(errno));
    }
    char line[ARCHIVE_LINE_MAX];
    int rc = SLOT_OK;
    while (gzgets(g, line, sizeof line) != NULL) {
        size_t len = strlen(line);
        struct slotc_event e;
        if (len == 0 || line[len - 1] != '\n' ||
            archive_line_parse(line, len - 1, &e) != SLOT_OK) {
            rc = fail(a->err, SLOT_CORRUPT, "%s: a line is not an event", path);
            break;
        }
        *seq = e.seq;
    }
    int zerr = 0;
    gzerror(g, &zerr);
    if (rc == SLOT_OK && zerr != Z_OK && zerr != Z_STREAM_END) {
        rc = fail(a->err, SLOT_CORRUPT, "%s: not a whole gzip file", path);
    }
    gzclose(g);
    return rc;
}

static int openDay(struct archive *a, const char *day)
{
    char name[64];
    dayFile(name, sizeof name, day, "");
    int fd =
        openat(a->_dir_fd, name, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || fsync(a->_dir_fd) != 0) { /* the new name is durable */
        int e = errno;
        if (fd >= 0) {
            close(fd);
        }
        return fail(a->err, SLOT_IO, "open %s/%s: %s", a->_dir, name,
                    strerror(e));
    }
    a->_fd = fd;
    memcpy(a->_day, day, ARCHIVE_DAY_LEN + 1);
    return SLOT_OK;
}

/* Rotates every plain day before the current one. */
static int rotateOld(struct archive *a, void (*log)(const char *))
{
    struct dayent *v;
    size_t n;
    int rc = listDays(a->_dir, -1, &v, &n, a->err);
    if (rc != SLOT_OK) {
        return rc;
    }
    for (size_t i = 0; rc == SLOT_OK && i < n; i++) {
        if (v[i].plain && strcmp(v[i].day, a->_day) < 0) {
            rc = archive_rotate_day(a, v[i].day);
            if (rc == SLOT_OK) {
                logf_(log, "rotated %s", v[i].day);
            }
        }
    }
    free(v);
    return rc;
}

/* Sets a->last to the newest complete line's seq, from the newest day
 * back (a day file created by a crashed page before any line of it was
 * written has none); cur is the current day's index (its file a->_fd). */
static int findLast(struct archive *a, const struct dayent *v, size_t n,
                    size_t cur, void (*log)(const char *))
{
    int rc = SLOT_OK;
    for (size_t i = n; rc == SLOT_OK && a->last == 0 && i-- > 0;) {
        char name[64];
        if (v[i].plain) {
            dayFile(name, sizeof name, v[i].day, "");
            int fd = i == cur ? a->_fd
                              : openat(a->_dir_fd, name, O_RDWR | O_CLOEXEC);
            rc = fd >= 0 ? plainTail(a, fd, name, &a->last, log)
                         : fail(a->err, SLOT_IO, "open %s: %s", name,
                                strerror(errno));
            if (fd >= 0 && i != cur) {
                close(fd);
            }
        } else if (v[i].gz) {
            dayFile(name, sizeof name, v[i].day, ".gz");
            rc = gzTail(a, name, &a->last);
        }
    }
    return rc;
}

/* The writer's invariants between calls. */
static bool archiveOk(const struct archive *a)
{
    return a->_dir_fd >= 0 && a->_lock_fd >= 0 && a->_buf != NULL &&
           a->_len == 0 && a->_cap >= (size_t)SLOTC_LIST_MAX * 64 &&
           (a->_fd < 0 || strlen(a->_day) == ARCHIVE_DAY_LEN) &&
           (a->_empty || a->last > 0);
}

int archive_open(struct archive *a, const char *dir,
                 void (*log)(const char *msg))
{
    memset(a, 0, sizeof *a);
    a->_dir_fd = a->_lock_fd = a->_fd = -1;
    if (strlen(dir) >= sizeof a->_dir) {
        return fail(a->err, SLOT_TOO_LARGE, "--dir is too long");
    }
    strcpy(a->_dir, dir);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        return fail(a->err, SLOT_IO, "mkdir %s: %s", dir, strerror(errno));
    }
    int rc = SLOT_OK;
    a->_dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (a->_dir_fd < 0) {
        rc = fail(a->err, SLOT_IO, "open %s: %s", dir, strerror(errno));
        goto out;
    }
    a->_lock_fd =
        openat(a->_dir_fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (a->_lock_fd < 0 || flock(a->_lock_fd, LOCK_EX | LOCK_NB) != 0) {
        rc = fail(a->err, SLOT_IO, "lock %s/lock: %s (another slot-archiver?)",
                  dir, strerror(errno));
        goto out;
    }
    a->_cap = (size_t)SLOTC_LIST_MAX * ARCHIVE_LINE_MAX;
    a->_buf = malloc(a->_cap);
    if (a->_buf == NULL) {
        rc = fail(a->err, SLOT_IO, "out of memory");
        goto out;
    }
    uint64_t cursor;
    rc = readCursor(a, &cursor);
    struct dayent *v = NULL;
    size_t n = 0;
    if (rc == SLOT_OK) {
        rc = listDays(dir, a->_dir_fd, &v, &n, a->err); /* drops *.tmp */
    }
    /* The current day: the newest plain file; the resume point: the newest
     * complete line, looking back past files with none (a day file created
     * by a crashed page before any line of it was written). */
    size_t cur = n;
    for (size_t i = n; rc == SLOT_OK && i-- > 0;) {
        if (v[i].plain) {
            cur = i;
            break;
        }
    }
    if (rc == SLOT_OK && cur < n) {
        rc = openDay(a, v[cur].day);
    }
    rc = rc == SLOT_OK ? findLast(a, v, n, cur, log) : rc;
    if (rc == SLOT_OK && cur < n) {
        for (size_t i = cur + 1; i < n; i++) {
            if (v[i].gz) {
                rc = fail(a->err, SLOT_CORRUPT,
                          "%s: day %s is compressed but an older day %s is "
                          "still being written",
                          dir, v[i].day, v[cur].day);
            }
        }
    } else if (rc == SLOT_OK && n > 0) {
        /* only finished days: a later event of the newest would reopen it */
        memcpy(a->_day, v[n - 1].day, ARCHIVE_DAY_LEN + 1);
    }
    free(v);
    /* No line in any file: a new archive, maybe started after a seq
     * (archive_start_after; its first day file may exist, empty, if a
     * crash came before the first line). */
    a->_empty = a->last == 0;
    if (rc == SLOT_OK && a->_empty && cursor > 0) {
        logf_(log, "no event archived yet: starting after the cursor, seq %llu",
              (unsigned long long)cursor);
        a->last = cursor;
    }
    if (rc == SLOT_OK && a->last < cursor) {
        rc = fail(a->err, SLOT_CORRUPT,
                  "%s/cursor says seq %llu is archived but the files end at "
                  "seq %llu: events are missing from the archive",
                  dir, (unsigned long long)cursor, (unsigned long long)a->last);
    }
    if (rc == SLOT_OK && a->last > cursor) {
        logf_(log,
              "events %llu..%llu were written before a crash, the cursor not "
              "yet: advancing the cursor to %llu",
              (unsigned long long)cursor + 1, (unsigned long long)a->last,
              (unsigned long long)a->last);
        rc = writeCursor(a, a->last);
    }
    if (rc == SLOT_OK && a->_fd >= 0) {
        rc = rotateOld(a, log); /* rotations a crash interrupted */
    }
    assert(rc != SLOT_OK || archiveOk(a));
out:
    if (rc != SLOT_OK) {
        char err[ARCHIVE_ERR_MAX];
        memcpy(err, a->err, sizeof err);
        archive_close(a);
        memcpy(a->err, err, sizeof err);
    }
    return rc;
}

int archive_start_after(struct archive *a, uint64_t seq)
{
    if (!a->_empty && seq <= a->last) {
        return SLOT_OK; /* started before: the same command line again */
    }
    if (!a->_empty) {
        return fail(a->err, SLOT_INVALID_ARGUMENT,
                    "%s ends at seq %llu: starting after %llu would skip "
                    "events (a start point is only for a new archive)",
                    a->_dir, (unsigned long long)a->last,
                    (unsigned long long)seq);
    }
    int rc = writeCursor(a, seq);
    a->last = rc == SLOT_OK ? seq : 0;
    return rc;
}

/* Writes the page buffer to the current day's file and fsyncs it. */
static int flushDay(struct archive *a)
{
    if (a->_len > 0 && writeAll(a->_fd, a->_buf, a->_len) != 0) {
        return fail(a->err, SLOT_IO, "write %s/events-%s.jsonl: %s", a->_dir,
                    a->_day, strerror(errno));
    }
    a->_len = 0;
    if (fsync(a->_fd) != 0) {
        return fail(a->err, SLOT_IO, "fsync %s/events-%s.jsonl: %s", a->_dir,
                    a->_day, strerror(errno));
    }
    return SLOT_OK;
}

int archive_append(struct archive *a, const struct slotc_event *ev, uint32_t n)
{
    assert(archiveOk(a));
    assert(n <= SLOTC_LIST_MAX);
    for (uint32_t i = 0; i < n; i++) {
        if (ev[i].seq != a->last + 1 + i) {
            return fail(a->err, SLOT_MALFORMED,
                        "page event %u has seq %llu, expected %llu", i,
                        (unsigned long long)ev[i].seq,
                        (unsigned long long)(a->last + 1 + i));
        }
    }
    if (n == 0) {
        return SLOT_OK;
    }
    bool new_day = false;
    int rc = SLOT_OK;
    a->_len = 0;
    for (uint32_t i = 0; rc == SLOT_OK && i < n; i++) {
        char day[ARCHIVE_DAY_LEN + 1];
        archive_day_name(ev[i].time_ms, day);
        /* Ledger time never decreases, so a day never comes back; if one
         * did, its events go on in the current file (seq order is what
         * readers rely on). */
        if (a->_fd < 0 || strcmp(day, a->_day) > 0) {
            if (a->_fd < 0 && strcmp(day, a->_day) <= 0) {
                return fail(a->err, SLOT_CORRUPT,
                            "event %llu is of day %s, already compressed",
                            (unsigned long long)ev[i].seq, day);
            }
            if (a->_fd >= 0) {
                rc = flushDay(a);
                close(a->_fd);
                a->_fd = -1;
                new_day = true;
            }
            rc = rc == SLOT_OK ? openDay(a, day) : rc;
        }
        size_t len = rc == SLOT_OK
                         ? archive_event_line(&ev[i], a->_buf + a->_len,
                                              a->_cap - a->_len)
                         : 1;
        if (len == 0) {
            rc = fail(a->err, SLOT_TOO_LARGE, "event %llu does not fit a line",
                      (unsigned long long)ev[i].seq);
        }
        a->_len += rc == SLOT_OK ? len : 0;
    }
    rc = rc == SLOT_OK ? flushDay(a) : rc;
    rc = rc == SLOT_OK ? writeCursor(a, ev[n - 1].seq) : rc;
    if (rc != SLOT_OK) {
        return rc;
    }
    a->last = ev[n - 1].seq;
    a->_empty = false;
    assert(archiveOk(a));
    return new_day ? rotateOld(a, NULL) : SLOT_OK;
}

/* Compresses fd_in into fd_out (gzip), hashing the compressed bytes. */
static int deflateFile(struct archive *a, int fd_in, int fd_out, EVP_MD_CTX *md,
                       const char *name)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK) {
        return fail(a->err, SLOT_IO, "deflateInit2 failed");
    }
    static unsigned char in[IO_CHUNK], out[IO_CHUNK];
    int rc = SLOT_OK, zr = Z_OK;
    while (rc == SLOT_OK && zr != Z_STREAM_END) {
        ssize_t r = read(fd_in, in, sizeof in);
        if (r < 0) {
            rc = fail(a->err, SLOT_IO, "read %s: %s", name, strerror(errno));
            break;
        }
        z.next_in = in;
        z.avail_in = (uInt)r;
        int flush = r == 0 ? Z_FINISH : Z_NO_FLUSH;
        do {
            z.next_out = out;
            z.avail_out = sizeof out;
            zr = deflate(&z, flush);
            size_t have = sizeof out - z.avail_out;
            if (zr == Z_STREAM_ERROR ||
                writeAll(fd_out, (const char *)out, have) != 0 ||
                EVP_DigestUpdate(md, out, have) != 1) {
                rc = fail(a->err, SLOT_IO, "compress %s: %s", name,
                          strerror(errno));
                break;
            }
        } while (z.avail_out == 0);
        if (flush == Z_FINISH && zr != Z_STREAM_END && rc == SLOT_OK) {
            rc = fail(a->err, SLOT_IO, "compress %s: deflate did not finish",
                      name);
        }
    }
    deflateEnd(&z);
    return rc;
}

static void hexOf(const unsigned char *d, unsigned n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < n; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[2 * n] = '\0';
}

/* Writes a whole small file as DIR/name.tmp, fsync'd. */
static int writeTmp(struct archive *a, const char *tmp, const char *data,
                    size_t len)
{
    int fd =
        openat(a->_dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    bool ok = fd >= 0 && writeAll(fd, data, len) == 0 && fsync(fd) == 0;
    int e = errno;
    if (fd >= 0) {
        close(fd);
    }
    return ok ? SLOT_OK
              : fail(a->err, SLOT_IO, "write %s/%s: %s", a->_dir, tmp,
                     strerror(e));
}

int archive_rotate_day(struct archive *a, const char *day)
{
    char plain[64], gz[64], gz_tmp[64], sha[64], sha_tmp[64];
    dayFile(plain, sizeof plain, day, "");
    dayFile(gz, sizeof gz, day, ".gz");
    dayFile(gz_tmp, sizeof gz_tmp, day, ".gz.tmp");
    dayFile(sha, sizeof sha, day, ".gz.sha256");
    dayFile(sha_tmp, sizeof sha_tmp, day, ".gz.sha256.tmp");
    int in = openat(a->_dir_fd, plain, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        return fail(a->err, SLOT_IO, "open %s/%s: %s", a->_dir, plain,
                    strerror(errno));
    }
    int out = openat(a->_dir_fd, gz_tmp,
                     O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int rc = SLOT_OK;
    if (out < 0 || md == NULL ||
        EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        rc = fail(a->err, SLOT_IO, "create %s/%s: %s", a->_dir, gz_tmp,
                  strerror(errno));
    }
    rc = rc == SLOT_OK ? deflateFile(a, in, out, md, plain) : rc;
    if (rc == SLOT_OK && fsync(out) != 0) {
        rc = fail(a->err, SLOT_IO, "fsync %s: %s", gz_tmp, strerror(errno));
    }
    close(in);
    if (out >= 0) {
        close(out);
    }
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned dn = 0;
    if (rc == SLOT_OK && EVP_DigestFinal_ex(md, d, &dn) != 1) {
        rc = fail(a->err, SLOT_IO, "sha256 of %s failed", gz);
    }
    EVP_MD_CTX_free(md);
    if (rc == SLOT_OK) {
        char line[SHA_HEX_LEN + 80];
        hexOf(d, dn, line);
        int len = snprintf(line + 2 * dn, sizeof line - 2 * dn, "  %s\n", gz);
        rc = writeTmp(a, sha_tmp, line, 2 * dn + (size_t)len);
    }
    /* The .gz and its checksum durable under their names, then (and only
     * then) the plain file goes. */
    if (rc == SLOT_OK &&
        (renameat(a->_dir_fd, gz_tmp, a->_dir_fd, gz) != 0 ||
         renameat(a->_dir_fd, sha_tmp, a->_dir_fd, sha) != 0 ||
         fsync(a->_dir_fd) != 0 || unlinkat(a->_dir_fd, plain, 0) != 0 ||
         fsync(a->_dir_fd) != 0)) {
        rc = fail(a->err, SLOT_IO, "rotate %s/%s: %s", a->_dir, plain,
                  strerror(errno));
    }
    a->rotated += rc == SLOT_OK;
    return rc;
}

void archive_close(struct archive *a)
{
    if (a->_fd >= 0) {
        close(a->_fd);
    }
    if (a->_lock_fd >= 0) {
        close(a->_lock_fd); /* releases the flock */
    }
    if (a->_dir_fd >= 0) {
        close(a->_dir_fd);
    }
    free(a->_buf);
    a->_buf = NULL;
    a->_fd = a->_lock_fd = a->_dir_fd = -1;
}

/* ---- the reader ------------------------------------------------------------ */

struct scan {
    const char *patient, *pool;
    int (*cb)(void *, const char *, size_t, const struct slotc_event *);
    void (*warn)(void *, const char *);
    void *arg;
    struct archive_scan_report *rep;
};

static void warnf(struct scan *sc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void warnf(struct scan *sc, const char *fmt, ...)
{
    if (sc->warn == NULL) {
        return;
    }
    char msg[ARCHIVE_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sc->warn(sc->arg, msg);
}

/* One line of a file; returns cb's nonzero value, or 0. */
static int scanLine(struct scan *sc, const char *path, char *line, size_t len,
                    bool *bad)
{
    struct slotc_event e;
    if (archive_line_parse(line, len, &e) != SLOT_OK) {
        if (!*bad) {
            warnf(sc, "%s: a line is not an event: %.80s", path, line);
        }
        *bad = true;
        return 0;
    }
    struct archive_scan_report *r = sc->rep;
    if (r->last != 0 && e.seq != r->last + 1) {
        r->gaps++;
        warnf(sc, "%s: seq %llu follows seq %llu (%s)", path,
              (unsigned long long)e.seq, (unsigned long long)r->last,
              e.seq <= r->last ? "out of order or repeated" : "a gap");
    }
    r->first = r->first == 0 ? e.seq : r->first;
    r->last = e.seq > r->last ? e.seq : r->last;
    r->events++;
    if ((sc->patient != NULL && strcmp(e.patient, sc->patient) != 0) ||
        (sc->pool != NULL && strcmp(e.pool, sc->pool) != 0)) {
        return 0;
    }
    line[len] = '\0';
    return sc->cb(sc->arg, line, len, &e);
}

/* Whether path's SHA-256 matches the hex digest in sha_path. */
static bool checksumOk(struct scan *sc, const char *path, const char *sha_path)
{
    char want[SHA_HEX_LEN + 1] = "";
    FILE *f = fopen(sha_path, "r");
    if (f == NULL) {
        warnf(sc, "%s: no checksum file %s: not read", path, sha_path);
        return false;
    }
    bool got = fscanf(f, "%64s", want) == 1 && strlen(want) == SHA_HEX_LEN;
    fclose(f);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok = got && fd >= 0 && md != NULL &&
              EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
    static unsigned char buf[IO_CHUNK];
    ssize_t r;
    while (ok && (r = read(fd, buf, sizeof buf)) > 0) {
        ok = EVP_DigestUpdate(md, buf, (size_t)r) == 1;
    }
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned dn = 0;
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    ok = ok && EVP_DigestFinal_ex(md, d, &dn) == 1;
    if (ok) {
        hexOf(d, dn, hex);
        ok = strcmp(hex, want) == 0;
    }
    EVP_MD_CTX_free(md);
    if (fd >= 0) {
        close(fd);
    }
    if (!ok) {
        warnf(sc, "%s: CHECKSUM FAILED against %s: not read", path, sha_path);
    }
    return ok;
}

static int scanDay(struct scan *sc, const char *dir, const struct dayent *d)
{
    char path[ARCHIVE_PATH_MAX + 64], sha[ARCHIVE_PATH_MAX + 80];
    char name[64];
    char line[ARCHIVE_LINE_MAX + 1];
    bool bad = false;
    int stop = 0;
    FILE *f = NULL;
    if (d->plain) { /* the authority, even beside a .gz (archive.h) */
        dayFile(name, sizeof name, d->day, "");
        snprintf(path, sizeof path, "%s/%s", dir, name);
        f = fopen(path, "r");
    }
    /* A plain file gone since the listing was rotated: its .gz is durable
     * by now. */
    bool use_plain = d->plain && !(f == NULL && errno == ENOENT);
    if (use_plain) {
        if (f == NULL) {
            warnf(sc, "open %s: %s", path, strerror(errno));
            sc->rep->bad_files++;
            return 0;
        }
        while (stop == 0 && fgets(line, sizeof line, f) != NULL) {
            size_t len = strlen(line);
            if (len == 0 || line[len - 1] != '\n') {
                break; /* a line being written (or too long: bad) */
            }
            stop = scanLine(sc, path, line, len - 1, &bad);
        }
        fclose(f);
    } else {
        dayFile(name, sizeof name, d->day, ".gz");
        snprintf(path, sizeof path, "%s/%s", dir, name);
        snprintf(sha, sizeof sha, "%s.sha256", path);
        if (!checksumOk(sc, path, sha)) {
            sc->rep->bad_checksum++;
            return 0;
        }
        gzFile g = gzopen(path, "rb");
        if (g == NULL) {
            warnf(sc, "open %s: %s", path, strerror(errno));
            sc->rep->bad_files++;
            return 0;
        }
        while (stop == 0 && gzgets(g, line, sizeof line) != NULL) {
            size_t len = strlen(line);
            if (len == 0 || line[len - 1] != '\n') {
                bad = true;
                warnf(sc, "%s: a line is cut or too long", path);
                break;
            }
            stop = scanLine(sc, path, line, len - 1, &bad);
        }
        int zerr = 0;
        gzerror(g, &zerr);
        if (zerr != Z_OK && zerr != Z_STREAM_END && !bad) {
            warnf(sc, "%s: not a whole gzip file", path);
            bad = true;
        }
        gzclose(g);
    }
    sc->rep->files++;
    sc->rep->bad_files += bad;
    return stop;
}

int archive_scan(const char *dir, const char *patient, const char *pool,
                 int (*cb)(void *arg, const char *line, size_t len,
                           const struct slotc_event *e),
                 void *arg, void (*warn)(void *arg, const char *msg),
                 struct archive_scan_report *rep)
{
    return archive_scan_days(dir, 0, UINT32_MAX, patient, pool, cb, arg, warn,
                             rep);
}

int archive_scan_days(const char *dir, uint32_t first_day, uint32_t last_day,
                      const char *patient, const char *pool,
                      int (*cb)(void *arg, const char *line, size_t len,
                                const struct slotc_event *e),
                      void *arg, void (*warn)(void *arg, const char *msg),
                      struct archive_scan_report *rep)
{
    /* Day names sort as the days do ("YYYY-MM-DD"): the range is compared
     * as names. Day 0 and the last day the name can hold bound nothing. */
    char lo[ARCHIVE_DAY_LEN + 1] = "0000-00-00",
                              hi[ARCHIVE_DAY_LEN + 1] = "9999-99-99";
    if (first_day > 0) {
        archive_day_name((uint64_t)first_day * ARCHIVE_MS_PER_DAY, lo);
    }
    if (last_day < ARCHIVE_DAY_NAMED_MAX) {
        archive_day_name((uint64_t)last_day * ARCHIVE_MS_PER_DAY, hi);
    }
    memset(rep, 0, sizeof *rep);
    char err[ARCHIVE_ERR_MAX];
    struct dayent *v;
    size_t n;
    if (listDays(dir, -1, &v, &n, err) != SLOT_OK) {
        if (warn != NULL) {
            warn(arg, err);
        }
        return SLOT_IO;
    }
    struct scan sc = {patient, pool, cb, warn, arg, rep};
    int stop = 0;
    for (size_t i = 0; stop == 0 && i < n; i++) {
        bool in_range = strcmp(v[i].day, lo) >= 0 && strcmp(v[i].day, hi) <= 0;
        if ((v[i].plain || v[i].gz) && in_range) {
            stop = scanDay(&sc, dir, &v[i]);
        }
    }
    free(v);
    return stop != 0 ? stop : SLOT_OK;
}
