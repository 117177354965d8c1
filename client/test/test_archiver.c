/* test_archiver: slot-archiver (client/archiver) and slotctl audit.
 *
 * Against a real local 3-node cluster: the archive of a workload equals
 * slotc_read_events from seq 1 (every field, each event once); the
 * archiver SIGKILLed at random moments while a workload runs and
 * restarted, the archive still has every event exactly once; the leader
 * killed while it follows; slotctl audit patient / pool answer what the
 * feed says.
 *
 * The cluster's ledger time is real time, so a test cannot make it cross
 * a day: rotation (gzip + .sha256), and recovery from the states a crash
 * can leave (a partial line, a cursor behind the files, a rotation cut
 * short, a cursor ahead of them), are tested on the writer directly with
 * events of made-up days (archive.h is the seam); so is a damaged .gz
 * under slotctl audit; so are format 1 archives and lines (protocol 4)
 * beside format 2's, and scans of a range of days. CURSOR_EXPIRED needs 1M events or 24 h: the
 * archiver's reaction to it is not exercised here.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zlib.h>

#include "archive.h"
#include "check.h"
#include "ctest.h"
#include "libslot.h"
#include "proc.h"
#include "tclock.h"
#include "tcluster.h"
#include "thosts.h"

#define EV_MAX 50000

struct evlist {
    struct slotc_event e[EV_MAX];
    uint32_t n;
};

static char g_bin[400]; /* the folder of this test binary */

static void binDir(void)
{
    char exe[400];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    snprintf(g_bin, sizeof g_bin, "%s", dirname(exe));
}

static void tmpDir(char *out, size_t cap)
{
    CHECK_EQ(proc_tmpdir(out, cap, "TMPDIR", "/tmp", "archiver-"), 0);
}

static int collect(void *arg, const char *line, size_t len,
                   const struct slotc_event *e)
{
    (void)line;
    (void)len;
    struct evlist *l = arg;
    CHECK(l->n < EV_MAX);
    l->e[l->n++] = *e;
    return 0;
}

static char g_warn[2048];

static void warnKeep(void *arg, const char *msg)
{
    (void)arg;
    size_t n = strlen(g_warn);
    snprintf(g_warn + n, sizeof g_warn - n, "%s\n", msg);
}

static void sameEvent(const struct slotc_event *x, const struct slotc_event *y)
{
    CHECK_EQ(x->seq, y->seq);
    CHECK_EQ(x->index, y->index);
    CHECK_EQ(x->time_ms, y->time_ms);
    CHECK_EQ(x->type, y->type);
    CHECK_STR(x->pool, y->pool);
    CHECK_EQ(x->claim, y->claim);
    CHECK_STR(x->patient, y->patient);
    CHECK_STR(x->channel, y->channel);
    CHECK_STR(x->account, y->account);
    CHECK_STR(x->hospital, y->hospital);
    CHECK_EQ(x->a, y->a);
    CHECK_EQ(x->b, y->b);
    CHECK_EQ(x->fee_cents, y->fee_cents);
    CHECK_STR(x->payment_ref, y->payment_ref);
    CHECK_STR(x->pay_method, y->pay_method);
    CHECK_EQ(x->local_day, y->local_day);
}

static bool exists(const char *dir, const char *name)
{
    char p[600];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    struct stat st;
    return stat(p, &st) == 0;
}

static uint64_t cursorOf(const char *dir)
{
    char p[600];
    snprintf(p, sizeof p, "%s/cursor", dir);
    FILE *f = fopen(p, "r");
    unsigned long long seq = 0;
    if (f != NULL) {
        /* The writer writes format 2 (archive.h). */
        if (fscanf(f, "slot-archiver-cursor 2 %llu", &seq) != 1) {
            seq = 0;
        }
        fclose(f);
    }
    return seq;
}

static void writeFile(const char *dir, const char *name, const char *data,
                      const char *mode)
{
    char p[600];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, mode);
    CHECK(f != NULL);
    fputs(data, f);
    fclose(f);
}

/* Runs a command line through the shell; its stdout into out (cap); the
 * exit status returned. The child ends by itself (no network). */
static int run(char *out, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int run(char *out, size_t cap, const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    CHECK(p != NULL);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ---- the writer on made-up days -------------------------------------------- */

#define T_DAY1 1772409540000ull /* 2026-03-01T23:59:00Z */
#define T_DAY2 (T_DAY1 + 61000) /* 2026-03-02T00:00:01Z */
#define T_DAY3 (T_DAY2 + ARCHIVE_MS_PER_DAY)

static void fakeEvent(struct slotc_event *e, uint64_t seq, uint64_t t)
{
    memset(e, 0, sizeof *e);
    e->seq = seq;
    e->index = 100 + seq / 2;
    e->time_ms = t;
    e->type = (int)(seq % 3 == 0 ? SLOTC_EV_BOOKED : SLOTC_EV_HELD);
    snprintf(e->pool, sizeof e->pool, "pool-%llu", (unsigned long long)seq % 2);
    e->claim = 1000 + seq;
    snprintf(e->patient, sizeof e->patient, "pat-%llu",
             (unsigned long long)seq % 3);
    snprintf(e->channel, sizeof e->channel, "app");
    snprintf(e->hospital, sizeof e->hospital, "医院 \"q\\\" %llu",
             (unsigned long long)seq);
    e->a = seq * 7;
    e->b = UINT32_MAX + seq;
    if (e->type == SLOTC_EV_BOOKED) { /* format 2: the payment */
        e->fee_cents = 5000 + seq;
        snprintf(e->payment_ref, sizeof e->payment_ref, "ref,\"%llu\"\\",
                 (unsigned long long)seq);
        snprintf(e->pay_method, sizeof e->pay_method, "wechat");
    }
    e->local_day = (uint32_t)(t / ARCHIVE_MS_PER_DAY) + 1;
}

static void logNothing(const char *msg)
{
    (void)msg;
}

static char g_log[4096];
static void logKeep(const char *msg)
{
    size_t n = strlen(g_log);
    snprintf(g_log + n, sizeof g_log - n, "%s\n", msg);
}

static struct slotc_event g_fake[16];

/* 13 events: 5 of day 1, 5 of day 2, 3 of day 3, in pages of 4. */
static void writeThreeDays(const char *dir)
{
    for (uint64_t i = 1; i <= 13; i++) {
        uint64_t t = i <= 5 ? T_DAY1 + i : i <= 10 ? T_DAY2 + i : T_DAY3 + i;
        fakeEvent(&g_fake[i - 1], i, t);
    }
    struct archive a;
    CHECK_EQ(archive_open(&a, dir, logNothing), SLOT_OK);
    CHECK_EQ(a.last, 0);
    for (uint32_t i = 0; i < 13; i += 4) {
        uint32_t n = 13 - i < 4 ? 13 - i : 4;
        CHECK_EQ(archive_append(&a, &g_fake[i], n), SLOT_OK);
        CHECK_EQ(cursorOf(dir), i + n);
    }
    CHECK_EQ(a.last, 13);
    CHECK_EQ(a.rotated, 2);
    archive_close(&a);
}

static void checkScanAll(const char *dir, uint32_t want)
{
    static struct evlist l;
    l.n = 0;
    g_warn[0] = '\0';
    struct archive_scan_report rep;
    CHECK_EQ(archive_scan(dir, NULL, NULL, collect, &l, warnKeep, &rep),
             SLOT_OK);
    CHECK_STR(g_warn, "");
    CHECK_EQ(rep.gaps + rep.bad_checksum + rep.bad_files, 0);
    CHECK_EQ(l.n, want);
    for (uint32_t i = 0; i < l.n; i++) {
        sameEvent(&l.e[i], &g_fake[i]);
    }
}

static void test_rotation_seam(void)
{
    char dir[400], out[8192];
    tmpDir(dir, sizeof dir);
    writeThreeDays(dir);
    CHECK(exists(dir, "events-2026-03-01.jsonl.gz"));
    CHECK(exists(dir, "events-2026-03-01.jsonl.gz.sha256"));
    CHECK(!exists(dir, "events-2026-03-01.jsonl"));
    CHECK(exists(dir, "events-2026-03-02.jsonl.gz"));
    CHECK(exists(dir, "events-2026-03-02.jsonl.gz.sha256"));
    CHECK(exists(dir, "events-2026-03-03.jsonl"));
    CHECK(!exists(dir, "events-2026-03-03.jsonl.gz"));
    /* The checksum files are sha256sum's, the .gz files gzip's. */
    CHECK_EQ(
        run(out, sizeof out, "cd '%s' && sha256sum -c --quiet *.sha256", dir),
        0);
    CHECK_EQ(run(out, sizeof out,
                 "cd '%s' && gzip -dc events-2026-03-01.jsonl.gz | wc -l", dir),
             0);
    CHECK_EQ(atoi(out), 5);
    checkScanAll(dir, 13);
    /* Every line is the JSON of its event, keys in order, type by name. */
    CHECK_EQ(run(out, sizeof out, "head -1 '%s/events-2026-03-03.jsonl'", dir),
             0);
    CHECK(strncmp(out, "{\"seq\":11,\"index\":105,\"time_ms\":", 32) == 0);
    CHECK(strstr(out, "\"type\":\"held\",\"pool\":\"pool-1\",\"claim\":1011,"
                      "\"patient\":\"pat-2\",\"channel\":\"app\","
                      "\"account\":\"\",\"hospital\":\"医院 \\\"q\\\\\\\" "
                      "11\",\"a\":77,\"b\":4294967306,\"fee_cents\":0,"
                      "\"payment_ref\":\"\",\"pay_method\":\"\","
                      "\"local_day\":20516}\n") != NULL);
    CHECK_EQ(
        run(out, sizeof out, "sed -n 2p '%s/events-2026-03-03.jsonl'", dir), 0);
    CHECK(strstr(out,
                 "\"b\":4294967307,\"fee_cents\":5012,"
                 "\"payment_ref\":\"ref,\\\"12\\\"\\\\\","
                 "\"pay_method\":\"wechat\",\"local_day\":20516}\n") != NULL);
    proc_rmrf(dir);
}

static void test_recovery_seam(void)
{
    char dir[400];
    tmpDir(dir, sizeof dir);
    writeThreeDays(dir);
    struct archive a;

    /* A page cut in the middle of a line: the partial line goes. */
    writeFile(dir, "events-2026-03-03.jsonl", "{\"seq\":14,\"index\":1", "a");
    g_log[0] = '\0';
    int rc = archive_open(&a, dir, logKeep);
    if (rc != SLOT_OK) {
        fprintf(stderr, "%s\n", a.err);
    }
    CHECK_EQ(rc, SLOT_OK);
    CHECK_EQ(a.last, 13);
    CHECK(strstr(g_log, "partial last line") != NULL);
    /* A second writer is refused while the first holds the lock. */
    struct archive b;
    CHECK_EQ(archive_open(&b, dir, NULL), SLOT_IO);
    CHECK(strstr(b.err, "another slot-archiver") != NULL);
    /* A page must follow the archive. */
    struct slotc_event e;
    fakeEvent(&e, 15, T_DAY3 + 15);
    CHECK_EQ(archive_append(&a, &e, 1), SLOT_MALFORMED);
    archive_close(&a);
    checkScanAll(dir, 13);

    /* Lines written, cursor not advanced (killed between the two). */
    writeFile(dir, "cursor", "slot-archiver-cursor 1 9\n", "w");
    g_log[0] = '\0';
    rc = archive_open(&a, dir, logKeep);
    if (rc != SLOT_OK) {
        fprintf(stderr, "%s\n", a.err);
    }
    CHECK_EQ(rc, SLOT_OK);
    CHECK_EQ(a.last, 13);
    CHECK_EQ(cursorOf(dir), 13);
    CHECK(strstr(g_log, "events 10..13 were written before a crash") != NULL);
    archive_close(&a);

    /* A rotation cut short: the .gz renamed into place, the plain file not
     * yet unlinked, a stray temp file. Rotated again on open. */
    char p[600], line[ARCHIVE_LINE_MAX];
    snprintf(p, sizeof p, "%s/events-2026-03-02.jsonl.gz", dir);
    gzFile g = gzopen(p, "rb");
    CHECK(g != NULL);
    snprintf(p, sizeof p, "%s/events-2026-03-02.jsonl", dir);
    FILE *f = fopen(p, "w");
    CHECK(f != NULL);
    while (gzgets(g, line, sizeof line) != NULL) {
        fputs(line, f);
    }
    fclose(f);
    gzclose(g);
    writeFile(dir, "events-2026-03-02.jsonl.gz.tmp", "junk", "w");
    CHECK_EQ(archive_open(&a, dir, logNothing), SLOT_OK);
    CHECK_EQ(a.last, 13);
    CHECK_EQ(a.rotated, 1);
    archive_close(&a);
    CHECK(!exists(dir, "events-2026-03-02.jsonl"));
    CHECK(!exists(dir, "events-2026-03-02.jsonl.gz.tmp"));
    checkScanAll(dir, 13);

    /* An event of a new day rotates day 3; appends go on. */
    CHECK_EQ(archive_open(&a, dir, logNothing), SLOT_OK);
    fakeEvent(&e, 14, T_DAY3 + ARCHIVE_MS_PER_DAY);
    g_fake[13] = e;
    CHECK_EQ(archive_append(&a, &e, 1), SLOT_OK);
    CHECK_EQ(a.rotated, 1);
    archive_close(&a);
    CHECK(exists(dir, "events-2026-03-03.jsonl.gz.sha256"));
    CHECK(exists(dir, "events-2026-03-04.jsonl"));
    checkScanAll(dir, 14);

    /* A cursor ahead of the files: events are missing, never papered
     * over. */
    writeFile(dir, "cursor", "slot-archiver-cursor 1 99\n", "w");
    CHECK_EQ(archive_open(&a, dir, logNothing), SLOT_CORRUPT);
    CHECK(strstr(a.err, "events are missing") != NULL);
    writeFile(dir, "cursor", "slot-archiver-cursor 3 14\n", "w");
    CHECK_EQ(archive_open(&a, dir, logNothing), SLOT_BAD_VERSION);
    writeFile(dir, "cursor", "slot-archiver-cursor 0 14\n", "w");
    CHECK_EQ(archive_open(&a, dir, logNothing), SLOT_BAD_VERSION);
    proc_rmrf(dir);
}

/* Format 1 archives (before protocol 5) go on in format 2; lines of both
 * read; a line with part of format 2's fields is not an event; a scan of
 * a range of days reads those days' files only. */
static void test_formats_seam(void)
{
    char dir[400];
    tmpDir(dir, sizeof dir);
    /* Two format 1 lines of day 1, as a protocol 4 archiver wrote them. */
    const char *v1 =
        "{\"seq\":1,\"index\":7,\"time_ms\":1772409540001,\"type\":"
        "\"booked\",\"pool\":\"p\",\"claim\":5,\"patient\":\"pat-1\","
        "\"channel\":\"app\",\"account\":\"\",\"hospital\":\"h\",\"a\":1,"
        "\"b\":1}\n"
        "{\"seq\":2,\"index\":7,\"time_ms\":1772409540002,\"type\":"
        "\"held\",\"pool\":\"p\",\"claim\":6,\"patient\":\"pat-2\","
        "\"channel\":\"app\",\"account\":\"\",\"hospital\":\"h\",\"a\":9,"
        "\"b\":0}\n";
    writeFile(dir, "events-2026-03-01.jsonl", v1, "w");
    writeFile(dir, "cursor", "slot-archiver-cursor 1 2\n", "w");
    struct archive a;
    CHECK_EQ(archive_open(&a, dir, logNothing), SLOT_OK);
    CHECK_EQ(a.last, 2);
    struct slotc_event e[3];
    for (uint64_t i = 3; i <= 5; i++) {
        fakeEvent(&e[i - 3], i, T_DAY1 + i);
    }
    CHECK_EQ(archive_append(&a, e, 3), SLOT_OK);
    archive_close(&a);
    CHECK_EQ(cursorOf(dir), 5); /* now format 2 */
    static struct evlist l;
    l.n = 0;
    struct archive_scan_report rep;
    g_warn[0] = '\0';
    CHECK_EQ(archive_scan(dir, NULL, NULL, collect, &l, warnKeep, &rep),
             SLOT_OK);
    CHECK_STR(g_warn, "");
    CHECK_EQ(l.n, 5);
    CHECK_EQ(l.e[0].seq, 1);
    CHECK_EQ(l.e[0].type, SLOTC_EV_BOOKED);
    CHECK_EQ(l.e[0].b, 1);
    CHECK_EQ(l.e[0].fee_cents, 0);
    CHECK_STR(l.e[0].payment_ref, "");
    CHECK_STR(l.e[0].pay_method, "");
    CHECK_EQ(l.e[0].local_day, 0);
    CHECK_EQ(l.e[1].a, 9);
    for (uint32_t i = 2; i < 5; i++) {
        sameEvent(&l.e[i], &e[i - 2]);
    }
    CHECK_EQ(l.e[2].fee_cents, 5003); /* seq 3: a booking */
    CHECK_STR(l.e[2].pay_method, "wechat");
    CHECK_EQ(l.e[2].local_day, 20514);

    /* Part of format 2's fields: not an event line. */
    struct slotc_event x;
    const char *part = "{\"seq\":1,\"index\":7,\"time_ms\":1,\"type\":"
                       "\"held\",\"pool\":\"p\",\"claim\":6,\"patient\":"
                       "\"pat-2\",\"channel\":\"app\",\"account\":\"\","
                       "\"hospital\":\"h\",\"a\":9,\"b\":0,\"fee_cents\":3}";
    CHECK_EQ(archive_line_parse(part, strlen(part), &x), SLOT_CORRUPT);
    char line[ARCHIVE_LINE_MAX];
    size_t n = archive_event_line(&e[0], line, sizeof line);
    CHECK(n > 0);
    CHECK_EQ(archive_line_parse(line, n - 1, &x), SLOT_OK);
    sameEvent(&x, &e[0]);
    /* A bad type in a format 2 field. */
    char *lday = strstr(line, "\"local_day\":");
    CHECK(lday != NULL);
    memcpy(lday, "\"local_day\":\"1\"}", 16);
    CHECK_EQ(archive_line_parse(line, (size_t)(lday - line) + 16, &x),
             SLOT_CORRUPT);
    proc_rmrf(dir);

    /* Ranges of days: 2026-03-01 is day 20513, seqs 1..5; 03-02 6..10;
     * 03-03 11..13. */
    tmpDir(dir, sizeof dir);
    writeThreeDays(dir);
    const struct {
        uint32_t first, last, n, from;
    } ranges[] = {
        {20514, 20514, 5, 6}, {20515, UINT32_MAX, 3, 11},
        {0, 20513, 5, 1},     {20512, 20514, 10, 1},
        {20516, 20600, 0, 0}, {0, UINT32_MAX, 13, 1},
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
        l.n = 0;
        CHECK_EQ(archive_scan_days(dir, ranges[i].first, ranges[i].last, NULL,
                                   NULL, collect, &l, NULL, &rep),
                 SLOT_OK);
        CHECK_EQ(l.n, ranges[i].n);
        CHECK_EQ(rep.files, ranges[i].n == 0    ? 0
                            : ranges[i].n == 10 ? 2
                            : ranges[i].n == 13 ? 3
                                                : 1);
        CHECK_EQ(rep.gaps, 0);
        if (l.n > 0) {
            CHECK_EQ(l.e[0].seq, ranges[i].from);
            sameEvent(&l.e[0], &g_fake[ranges[i].from - 1]);
        }
    }
    proc_rmrf(dir);
}

/* An archive started after a seq (events the ledger no longer holds). */
static void test_start_after_seam(void)
{
    char dir[400];
    tmpDir(dir, sizeof dir);
    struct archive a;
    CHECK_EQ(archive_open(&a, dir, logNothing), SLOT_OK);
    CHECK_EQ(archive_start_after(&a, 40), SLOT_OK);
    CHECK_EQ(cursorOf(dir), 40);
    struct slotc_event e[2];
    fakeEvent(&e[0], 1, T_DAY1);
    CHECK_EQ(archive_append(&a, e, 1), SLOT_MALFORMED);
    archive_close(&a);
    /* Reopened before any event, with the first day's file created and
     * empty (a crash before its first line): the cursor is trusted. */
    writeFile(dir, "events-2026-03-01.jsonl", "", "w");
    CHECK_EQ(archive_open(&a, dir, logNothing), SLOT_OK);
    CHECK_EQ(a.last, 40);
    fakeEvent(&e[0], 41, T_DAY1);
    fakeEvent(&e[1], 42, T_DAY1 + 1);
    CHECK_EQ(archive_append(&a, e, 2), SLOT_OK);
    CHECK_EQ(archive_start_after(&a, 40), SLOT_OK); /* the same start */
    CHECK_EQ(a.last, 42);
    CHECK_EQ(archive_start_after(&a, 50), SLOT_INVALID_ARGUMENT);
    archive_close(&a);
    CHECK_EQ(archive_open(&a, dir, logNothing), SLOT_OK);
    CHECK_EQ(a.last, 42);
    archive_close(&a);
    struct archive_scan_report rep;
    static struct evlist l;
    l.n = 0;
    CHECK_EQ(archive_scan(dir, NULL, NULL, collect, &l, NULL, &rep), SLOT_OK);
    CHECK_EQ(l.n, 2);
    CHECK_EQ(rep.first, 41);
    CHECK_EQ(rep.gaps, 0);
    proc_rmrf(dir);
}

/* slotctl audit over the made-up archive, then with a damaged .gz. */
static void test_audit_seam(void)
{
    char dir[400], err[600], out[16384];
    tmpDir(dir, sizeof dir);
    writeThreeDays(dir);
    snprintf(err, sizeof err, "%s/audit.err", dir);
    /* pat-1: seqs 1, 4, 7, 10, 13, across the three days. */
    CHECK_EQ(run(out, sizeof out, "'%s/slotctl' audit patient pat-1 --dir '%s'",
                 g_bin, dir),
             0);
    const char *p = out;
    for (uint64_t seq = 1; seq <= 13; seq += 3) {
        char want[64];
        snprintf(want, sizeof want, "{\"seq\":%llu,", (unsigned long long)seq);
        CHECK(strncmp(p, want, strlen(want)) == 0);
        CHECK(strstr(p, "\"patient\":\"pat-1\"") != NULL);
        p = strchr(p, '\n');
        CHECK(p != NULL);
        p++;
    }
    CHECK_STR(p, "");
    /* pool-0: the even seqs. */
    CHECK_EQ(run(out, sizeof out,
                 "'%s/slotctl' --json audit pool pool-0 "
                 "--dir '%s' | grep -c '\"pool\":\"pool-0\"'",
                 g_bin, dir),
             0);
    CHECK_EQ(atoi(out), 6);
    CHECK_EQ(run(out, sizeof out, "'%s/slotctl' audit pool nope --dir '%s'",
                 g_bin, dir),
             0);
    CHECK_STR(out, "");
    CHECK_EQ(
        run(out, sizeof out, "'%s/slotctl' audit patient x 2>/dev/null", g_bin),
        2);

    /* One byte of day 1's .gz flipped: its events are not given, the
     * failure is named, the exit code says so. */
    char gz[600];
    snprintf(gz, sizeof gz, "%s/events-2026-03-01.jsonl.gz", dir);
    int fd = open(gz, O_RDWR);
    CHECK(fd >= 0);
    unsigned char c;
    CHECK_EQ(pread(fd, &c, 1, 20), 1);
    c ^= 0x40;
    CHECK_EQ(pwrite(fd, &c, 1, 20), 1);
    close(fd);
    CHECK_EQ(run(out, sizeof out,
                 "'%s/slotctl' audit patient pat-1 --dir '%s' 2>'%s'", g_bin,
                 dir, err),
             3);
    CHECK(strncmp(out, "{\"seq\":7,", 9) == 0); /* days 2 and 3 only */
    char msg[2048];
    CHECK_EQ(run(msg, sizeof msg, "cat '%s'", err), 0);
    CHECK(strstr(msg, "events-2026-03-01.jsonl.gz: CHECKSUM FAILED") != NULL);
    CHECK(strstr(msg, "CORRUPT") != NULL);
    CHECK_EQ(run(out, sizeof out,
                 "'%s/slotctl' --json audit pool pool-1 --dir '%s' "
                 "2>/dev/null | tail -1",
                 g_bin, dir),
             0);
    CHECK(strstr(out, "\"code\":\"CORRUPT\"") != NULL);
    CHECK(strstr(out, "\"bad_checksum\":1") != NULL);
    proc_rmrf(dir);
}

/* ---- against a cluster ------------------------------------------------------ */

static char g_pool[SLOTC_POOL_ID_MAX + 1];

static void makePool(struct slotc_sync *s)
{
    snprintf(g_pool, sizeof g_pool, "%s", ctest_uniq("arpool"));
    struct slotc_pool_spec sp;
    memset(&sp, 0, sizeof sp);
    sp.pool = g_pool;
    sp.capacity = 100000;
    struct slotc_req req;
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_pool_create(s, &req, &sp), SLOT_OK);
}

/* rounds of: hold then release, or hold, confirm, cancel (every third). */
static void workload(struct slotc_sync *s, int rounds, char *patient0,
                     size_t cap)
{
    for (int i = 0; i < rounds; i++) {
        const char *pat = ctest_uniq("arpat");
        if (i == 0 && patient0 != NULL) {
            snprintf(patient0, cap, "%s", pat);
        }
        struct slotc_req req;
        uint64_t id;
        CHECK_EQ(ctest_hold(s, &req, g_pool, pat, "app", NULL, &id), SLOT_OK);
        slotc_req_init(&req);
        if (i % 3 == 0) {
            CHECK_EQ(slotc_sync_confirm(s, &req, id, "pay-1"), SLOT_OK);
            slotc_req_init(&req);
            CHECK_EQ(slotc_sync_cancel(s, &req, id), SLOT_OK);
        } else {
            CHECK_EQ(slotc_sync_release(s, &req, id), SLOT_OK);
        }
    }
}

static uint64_t feedLast(struct slotc_sync *s)
{
    struct slotc_req req;
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_read_events(s, &req, 0, 1), SLOT_OK);
    return req.out.last;
}

/* The whole feed from seq 1, into l. */
static void readFeed(struct slotc_sync *s, struct evlist *l)
{
    l->n = 0;
    uint64_t after = 0;
    for (int pages = 0; pages < 1000; pages++) {
        struct slotc_req req;
        slotc_req_init(&req);
        CHECK_EQ(slotc_sync_read_events(s, &req, after, SLOTC_LIST_MAX),
                 SLOT_OK);
        CHECK(l->n + req.out.n_events <= EV_MAX);
        memcpy(&l->e[l->n], req.out.events,
               req.out.n_events * sizeof req.out.events[0]);
        l->n += req.out.n_events;
        if (req.out.n_events < SLOTC_LIST_MAX) {
            return;
        }
        after = req.out.events[req.out.n_events - 1].seq;
    }
    CHECK(!"feed too long");
}

static void startArchiverOn(struct proc *p, const char *cluster,
                            const char *dir, const char *limit, const char *log)
{
    char path[500];
    snprintf(path, sizeof path, "%s/slot-archiver", g_bin);
    char *argv[] = {path,    "--cluster", (char *)cluster,
                    "--dir", (char *)dir, "--interval-ms",
                    "20",    "--limit",   (char *)limit,
                    NULL};
    CHECK_EQ(proc_spawn(p, "slot-archiver", argv, log), 0);
}

/* Waits until the archiver of pid logged that it runs (its signal
 * handlers are in place: a SIGTERM then means "finish and exit 0"). */
static void waitStarted(const struct proc *p, const char *log)
{
    char want[64], buf[1 << 16];
    snprintf(want, sizeof want, "slot-archiver[%d]: archiving into",
             (int)p->pid);
    long long until = tclock_mono_ms() + 10000;
    for (;;) {
        FILE *f = fopen(log, "r");
        size_t n = f != NULL ? fread(buf, 1, sizeof buf - 1, f) : 0;
        if (f != NULL) {
            fclose(f);
        }
        buf[n] = '\0';
        if (strstr(buf, want) != NULL) {
            return;
        }
        CHECK(tclock_mono_ms() < until);
        tclock_sleep_ms(10);
    }
}

static void startArchiver(struct proc *p, const char *dir, const char *limit,
                          const char *log)
{
    startArchiverOn(p, ctest_shared_cluster(), dir, limit, log);
}

static void waitCursor(const char *dir, uint64_t target)
{
    long long until = tclock_mono_ms() + 30000;
    while (cursorOf(dir) < target) {
        CHECK(tclock_mono_ms() < until);
        tclock_sleep_ms(20);
    }
}

/* The archive in dir holds the feed's events 1..(at least) upto, each
 * once, equal field by field; returns how many it holds. */
static uint32_t checkArchiveIsFeed(struct slotc_sync *s, const char *dir,
                                   uint64_t upto)
{
    static struct evlist arch, feed;
    arch.n = 0;
    g_warn[0] = '\0';
    struct archive_scan_report rep;
    CHECK_EQ(archive_scan(dir, NULL, NULL, collect, &arch, warnKeep, &rep),
             SLOT_OK);
    if (g_warn[0] != '\0') {
        fprintf(stderr, "%s", g_warn);
    }
    CHECK_EQ(rep.gaps + rep.bad_checksum + rep.bad_files, 0);
    CHECK(arch.n >= upto);
    readFeed(s, &feed);
    CHECK(feed.n >= arch.n);
    for (uint32_t i = 0; i < arch.n; i++) {
        CHECK_EQ(arch.e[i].seq, i + 1);
        sameEvent(&arch.e[i], &feed.e[i]);
    }
    CHECK_EQ(rep.first, 1);
    CHECK_EQ(rep.last, arch.n);
    CHECK_EQ(cursorOf(dir), arch.n);
    return arch.n;
}

static void test_archive_matches_feed(void)
{
    struct slotc_sync *s = ctest_shared_open();
    char dir[400], log[500], pat[SLOTC_NAME_MAX + 1], out[1 << 16];
    tmpDir(dir, sizeof dir);
    snprintf(log, sizeof log, "%s.log", dir);
    makePool(s);
    workload(s, 30, pat, sizeof pat);
    uint64_t target = feedLast(s);
    struct proc p;
    startArchiver(&p, dir, "7", log);
    waitStarted(&p, log);
    waitCursor(dir, target);
    char why[200];
    CHECK_EQ(proc_stop(&p, 5000, why, sizeof why), 0); /* SIGTERM: exit 0 */
    CHECK_EQ(proc_log_problem(log, why, sizeof why), 0);
    uint32_t n = checkArchiveIsFeed(s, dir, target);

    /* slotctl audit answers what the feed says. */
    static struct evlist feed;
    readFeed(s, &feed);
    uint32_t want_pat = 0, want_pool = 0;
    for (uint32_t i = 0; i < n; i++) {
        want_pat += strcmp(feed.e[i].patient, pat) == 0;
        want_pool += strcmp(feed.e[i].pool, g_pool) == 0;
    }
    CHECK_EQ(want_pat, 3); /* held, booked, cancelled */
    CHECK_EQ(want_pool, 1 + 30 * 2 + 10);
    CHECK_EQ(run(out, sizeof out, "'%s/slotctl' audit patient '%s' --dir '%s'",
                 g_bin, pat, dir),
             0);
    const char *types[] = {"held", "booked", "cancelled"};
    const char *q = out;
    for (int k = 0; k < 3; k++) {
        char want[64];
        snprintf(want, sizeof want, "\"type\":\"%s\"", types[k]);
        const char *nl = strchr(q, '\n');
        CHECK(nl != NULL);
        CHECK(strstr(q, want) != NULL && strstr(q, want) < nl);
        q = nl + 1;
    }
    CHECK_STR(q, "");
    CHECK_EQ(run(out, sizeof out,
                 "'%s/slotctl' audit pool '%s' --dir '%s' | wc -l", g_bin,
                 g_pool, dir),
             0);
    CHECK_EQ((uint32_t)atoi(out), want_pool);
    slotc_sync_close(s);
    proc_rmrf(dir);
    unlink(log);
    CTEST_LEAK_CHECK();
}

static void test_kill_restart(void)
{
    struct slotc_sync *s = ctest_shared_open();
    char dir[400], log[500];
    tmpDir(dir, sizeof dir);
    snprintf(log, sizeof log, "%s.log", dir);
    makePool(s);
    /* The workload runs in a child of its own while the archiver is
     * killed and restarted. */
    pid_t w = fork();
    CHECK(w >= 0);
    if (w == 0) {
        struct slotc_sync *ws = ctest_shared_open();
        long long end = tclock_mono_ms() + 3000;
        for (int r = 0; r < 200 && tclock_mono_ms() < end; r++) {
            workload(ws, 50, NULL, 0);
        }
        slotc_sync_close(ws);
        _exit(0);
    }
    srand((unsigned)getpid());
    int kills = 0;
    uint64_t seen_before = 0;
    for (int k = 0; k < 20; k++) {
        struct proc p;
        startArchiver(&p, dir, k % 2 ? "3" : "50", log);
        tclock_sleep_ms(20 + rand() % 200);
        proc_signal(&p, SIGKILL);
        CHECK(proc_exited(&p));
        kills++;
        uint64_t c = cursorOf(dir);
        CHECK(c >= seen_before); /* the cursor never goes back */
        seen_before = c;
    }
    int st = 0;
    long long until = tclock_mono_ms() + 60000;
    while (waitpid(w, &st, WNOHANG) == 0) {
        if (tclock_mono_ms() > until) {
            kill(w, SIGKILL);
            waitpid(w, &st, 0);
            CHECK(!"workload took too long");
        }
        tclock_sleep_ms(20);
    }
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    uint64_t target = feedLast(s);
    struct proc p;
    startArchiver(&p, dir, "50", log);
    waitStarted(&p, log);
    waitCursor(dir, target);
    char why[200];
    int stopped = proc_stop(&p, 5000, why, sizeof why);
    if (stopped != 0) {
        fprintf(stderr, "slot-archiver: %s (log %s)\n", why, log);
    }
    CHECK_EQ(stopped, 0);
    CHECK_EQ(proc_log_problem(log, why, sizeof why), 0);
    uint32_t n = checkArchiveIsFeed(s, dir, target);
    char out[256];
    run(out, sizeof out, "grep -c 'written before a crash' '%s'", log);
    int behind = atoi(out);
    run(out, sizeof out, "grep -c 'partial last line' '%s'", log);
    printf("  %d kills, %u events archived once each; recovered: %d cursors "
           "behind the file, %d partial lines\n",
           kills, n, behind, atoi(out));
    slotc_sync_close(s);
    proc_rmrf(dir);
    unlink(log);
    CTEST_LEAK_CHECK();
}

/* The leader killed while the archiver follows: it rides the change (or
 * retries) and the archive is still the feed, each event once. */
static void test_leader_change(void)
{
    static struct tcluster t;
    CHECK_EQ(tcluster_start(&t, 3, 0), 0);
    struct slotc_sync *s = ctest_open(t.cluster);
    char dir[400], log[500], why[200];
    tmpDir(dir, sizeof dir);
    snprintf(log, sizeof log, "%s.log", dir);
    makePool(s);
    workload(s, 20, NULL, 0);
    struct proc p;
    startArchiverOn(&p, t.cluster, dir, "5", log);
    waitStarted(&p, log);
    waitCursor(dir, feedLast(s));
    int leader = tcluster_leader(&t, 5000);
    CHECK(leader >= 0);
    tcluster_signal(&t, leader, SIGKILL);
    workload(s, 20, NULL, 0);
    uint64_t target = feedLast(s);
    waitCursor(dir, target);
    CHECK_EQ(proc_stop(&p, 5000, why, sizeof why), 0);
    CHECK_EQ(proc_log_problem(log, why, sizeof why), 0);
    CHECK(checkArchiveIsFeed(s, dir, target) >= target);
    slotc_sync_close(s);
    CHECK_EQ(tcluster_stop(&t), 0);
    proc_rmrf(dir);
    unlink(log);
    CTEST_LEAK_CHECK();
}

/* The command line, and one writer per directory. */
static void test_archiver_cli(void)
{
    char dir[400], log[500], out[4096];
    tmpDir(dir, sizeof dir);
    snprintf(log, sizeof log, "%s.log", dir);
    const char *bad[] = {"--dir x",
                         "--cluster 127.0.0.1:1",
                         "--cluster 127.0.0.1:1 --dir x --limit 0",
                         "--cluster 127.0.0.1:1 --dir x --limit 1001",
                         "--cluster 127.0.0.1:1 --dir x --interval-ms 0",
                         "--cluster 127.0.0.1:1 --dir x --bogus 1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_EQ(run(out, sizeof out, "'%s/slot-archiver' %s 2>/dev/null",
                     g_bin, bad[i]),
                 2);
    }
    CHECK_EQ(run(out, sizeof out, "'%s/slot-archiver' --help", g_bin), 0);
    CHECK(strstr(out, "usage: slot-archiver") != NULL);
    struct proc p;
    startArchiver(&p, dir, "50", log);
    waitStarted(&p, log);
    /* A second archiver on the same directory: exit 3, the lock named. */
    CHECK_EQ(run(out, sizeof out,
                 "'%s/slot-archiver' --cluster '%s' --dir '%s' 2>&1", g_bin,
                 ctest_shared_cluster(), dir),
             3);
    CHECK(strstr(out, "another slot-archiver") != NULL);
    char why[200];
    CHECK_EQ(proc_stop(&p, 5000, why, sizeof why), 0);
    CHECK_EQ(proc_log_problem(log, why, sizeof why), 0);
    proc_rmrf(dir);
    unlink(log);
}

/* slot-archiver --cluster by host name (a private /etc/hosts; the nodes
 * on 127.0.0.2-4, reachable only through the names) archives the feed; a
 * malformed name is refused naming --cluster. */
static void test_hostnames(void)
{
    if (geteuid() != 0) {
        fprintf(stderr, "skipped: needs root for a private /etc/hosts\n");
        return;
    }
    CHECK_EQ(thosts_private("127.0.0.1 localhost\n" TCLUSTER_CAMPUS_HOSTS), 0);
    struct tcluster_options o;
    tcluster_options_init(&o);
    tcluster_options_campus(&o, 3);
    static struct tcluster t;
    CHECK_EQ(tcluster_start_opts(&t, &o, 3, 0), 0);
    char dir[400], log[500], out[4096];
    tmpDir(dir, sizeof dir);
    snprintf(log, sizeof log, "%s.log", dir);
    CHECK_EQ(run(out, sizeof out,
                 "'%s/slot-archiver' --cluster 'slot_a:1' --dir '%s' 2>&1",
                 g_bin, dir),
             2);
    CHECK(strstr(out, "--cluster 'slot_a:1'") != NULL);
    struct slotc_options so;
    slotc_options_init(&so);
    so.cluster = t.cluster;
    struct slotc_sync *s = NULL;
    CHECK_EQ(slotc_sync_open(&so, &s), SLOT_OK);
    makePool(s);
    uint64_t target = feedLast(s);
    CHECK(target > 0);
    struct proc p;
    startArchiverOn(&p, t.cluster, dir, "50", log);
    waitStarted(&p, log);
    waitCursor(dir, target);
    char why[200];
    CHECK_EQ(proc_stop(&p, 5000, why, sizeof why), 0);
    CHECK_EQ(proc_log_problem(log, why, sizeof why), 0);
    slotc_sync_close(s);
    proc_rmrf(dir);
    unlink(log);
    CHECK_EQ(tcluster_stop(&t), 0);
}

static const struct check_case cases[] = {
    {"rotation_seam", test_rotation_seam},
    {"recovery_seam", test_recovery_seam},
    {"start_after_seam", test_start_after_seam},
    {"formats_seam", test_formats_seam},
    {"audit_seam", test_audit_seam},
    {"archive_matches_feed", test_archive_matches_feed},
    {"kill_restart", test_kill_restart},
    {"leader_change", test_leader_change},
    {"archiver_cli", test_archiver_cli},
    {"hostnames", test_hostnames},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    binDir();
    return ctest_main(cases, argc, argv);
}
