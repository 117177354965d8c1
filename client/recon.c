/* recon: the reconciliation of one local day (recon.h).
 *
 * Why the lines are written as text while they are fed rather than kept
 * as structs: the text is what is printed anyway, so it costs the
 * output's size once, where a struct per line (six strings at their
 * limits) would cost several times that; and the line limit bounds it.
 * Why the sums follow the ledger's counters field for field: the
 * comparison is then a plain equality per key, and a difference names
 * the counter that disagrees.
 */
#include "recon.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slot_time.h"

#define MS_PER_DAY 86400000ull
#define TEXT_MIN   4096u

const char *recon_kind_name(int kind)
{
    static const char *const names[] = {
        NULL, "booking", "checkin", "cancel", "refund", "move", "no_show",
    };
    return kind > 0 && (size_t)kind < sizeof names / sizeof names[0]
               ? names[kind]
               : NULL;
}

int recon_event_kind(const struct slotc_event *e, bool move_booking,
                     int64_t *cents)
{
    /* fee_cents is at most a pool's fee (far below INT64_MAX). */
    int64_t fee = (int64_t)e->fee_cents;
    *cents = 0;
    switch (e->type) {
        case SLOTC_EV_BOOKED:
            if (move_booking) {
                return 0;
            }
            *cents = fee;
            return RECON_BOOKING;
        case SLOTC_EV_CHECKED_IN:
            *cents = e->b == 1 ? fee : 0;
            return RECON_CHECKIN;
        case SLOTC_EV_CANCELLED:
            *cents = -fee;
            return e->a == 1 ? RECON_REFUND : RECON_CANCEL;
        case SLOTC_EV_MOVED:
            return RECON_MOVE;
        case SLOTC_EV_NO_SHOW:
            return RECON_NO_SHOW;
        default:
            return 0;
    }
}

/* ---- errors and text ------------------------------------------------------- */

static int fail(struct recon *r, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct recon *r, int code, const char *fmt, ...)
{
    if (r->_err == SLOT_OK) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->err, sizeof r->err, fmt, ap);
        va_end(ap);
        r->_err = code;
    }
    return r->_err;
}

/* Room for n more bytes and a NUL. */
static bool reserve(struct recon *r, size_t n)
{
    if (r->_err != SLOT_OK) {
        return false;
    }
    if (r->_len + n + 1 <= r->_cap) {
        return true;
    }
    size_t cap = r->_cap > 0 ? r->_cap : TEXT_MIN;
    while (cap < r->_len + n + 1) {
        cap *= 2;
    }
    char *t = realloc(r->_text, cap);
    if (t == NULL) {
        fail(r, SLOT_BUSY, "out of memory (%zu bytes of text)", cap);
        return false;
    }
    r->_text = t;
    r->_cap = cap;
    return true;
}

static void put(struct recon *r, const char *s, size_t n)
{
    if (reserve(r, n)) {
        memcpy(r->_text + r->_len, s, n);
        r->_len += n;
        r->_text[r->_len] = '\0';
    }
}

static void puts_(struct recon *r, const char *s)
{
    put(r, s, strlen(s));
}

static void putf(struct recon *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void putf(struct recon *r, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    assert(n >= 0 && (size_t)n < sizeof buf); /* callers format numbers */
    put(r, buf, (size_t)n);
}

/* A CSV field: as it is, or quoted with its quotes doubled when it holds
 * a separator, a quote or a line break (RFC 4180). */
static void putCsv(struct recon *r, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        puts_(r, s);
        return;
    }
    put(r, "\"", 1);
    for (const char *p = s; *p != '\0'; p++) {
        put(r, p, 1);
        if (*p == '"') {
            put(r, "\"", 1);
        }
    }
    put(r, "\"", 1);
}

/* A JSON string. Bytes >= 0x80 pass through (the ledger's names are
 * UTF-8). */
static void putJson(struct recon *r, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    put(r, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\') {
            char esc[2] = {'\\', (char)*p};
            put(r, esc, 2);
        } else if (*p < 0x20) {
            char esc[6] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15]};
            put(r, esc, 6);
        } else {
            put(r, (const char *)p, 1);
        }
    }
    put(r, "\"", 1);
}

/* A field of either format; JSON gets its key. */
static void putStr(struct recon *r, const char *key, const char *s, bool first)
{
    if (r->format == RECON_CSV) {
        if (!first) {
            put(r, ",", 1);
        }
        putCsv(r, s);
        return;
    }
    if (!first) {
        put(r, ",", 1);
    }
    putJson(r, key);
    put(r, ":", 1);
    putJson(r, s);
}

static void putNum(struct recon *r, const char *key, long long v, bool first)
{
    if (!first) {
        put(r, ",", 1);
    }
    if (r->format == RECON_JSON) {
        putJson(r, key);
        put(r, ":", 1);
    }
    putf(r, "%lld", v);
}

/* "YYYY-MM-DD" of days since 1970-01-01 (the proleptic Gregorian
 * calendar, H. Hinnant's civil_from_days): here rather than
 * slotc_day_format so that the module needs nothing of the library's
 * code, only its types. */
static void dayName(uint32_t days, char out[11])
{
    int64_t z = (int64_t)days + 719468;
    int64_t era = z / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    char buf[48];
    snprintf(buf, sizeof buf, "%04u-%02u-%02u", (unsigned)(y % 10000),
             (unsigned)m % 100u, (unsigned)d % 100u);
    memcpy(out, buf, 10);
    out[10] = '\0';
}

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" */
static void isoTime(uint64_t ms, char out[32])
{
    char day[11];
    dayName((uint32_t)(ms / MS_PER_DAY), day);
    uint64_t in = ms % MS_PER_DAY;
    snprintf(out, 32, "%sT%02u:%02u:%02u.%03uZ", day, (unsigned)(in / 3600000u),
             (unsigned)(in / 60000u % 60u), (unsigned)(in / 1000u % 60u),
             (unsigned)(in % 1000u));
}

/* ---- sums ------------------------------------------------------------------ */

static int keyCmp(const struct slotc_recon_row *x,
                  const struct slotc_recon_row *y)
{
    int c = strcmp(x->hospital, y->hospital);
    if (c == 0) {
        c = strcmp(x->channel, y->channel);
    }
    return c != 0 ? c : strcmp(x->pay_method, y->pay_method);
}

static int keyCmpQ(const void *x, const void *y)
{
    return keyCmp(x, y);
}

/* The sum of e's key, inserted (zeroed) if new; NULL after an error. */
static struct slotc_recon_row *sumOf(struct recon *r,
                                     const struct slotc_event *e)
{
    struct slotc_recon_row key;
    memset(&key, 0, sizeof key);
    key.day = r->day;
    memcpy(key.hospital, e->hospital, sizeof key.hospital);
    memcpy(key.channel, e->channel, sizeof key.channel);
    memcpy(key.pay_method, e->pay_method, sizeof key.pay_method);
    uint32_t lo = 0, hi = r->_n_sums;
    while (lo < hi) { /* the first sum >= key */
        uint32_t mid = lo + (hi - lo) / 2;
        if (keyCmp(&r->_sums[mid], &key) < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo < r->_n_sums && keyCmp(&r->_sums[lo], &key) == 0) {
        return &r->_sums[lo];
    }
    if (r->_n_sums == RECON_KEYS_MAX) {
        fail(r, SLOT_TOO_LARGE,
             "more than RECON_KEYS_MAX (%u) (hospital, channel, pay_method) "
             "keys in one day",
             RECON_KEYS_MAX);
        return NULL;
    }
    if (r->_n_sums == r->_cap_sums) {
        uint32_t cap = r->_cap_sums > 0 ? 2 * r->_cap_sums : 16;
        struct slotc_recon_row *v = realloc(r->_sums, cap * sizeof *v);
        if (v == NULL) {
            fail(r, SLOT_BUSY, "out of memory (%u sums)", cap);
            return NULL;
        }
        r->_sums = v;
        r->_cap_sums = cap;
    }
    memmove(&r->_sums[lo + 1], &r->_sums[lo],
            (r->_n_sums - lo) * sizeof r->_sums[0]);
    r->_sums[lo] = key;
    r->_n_sums++;
    return &r->_sums[lo];
}

/* What one line adds to its key's counters (recon.h: as the ledger). */
static void count(struct slotc_recon_row *s, int kind,
                  const struct slotc_event *e)
{
    switch (kind) {
        case RECON_BOOKING:
            s->booked++;
            s->booked_cents += e->fee_cents;
            break;
        case RECON_CHECKIN:
            s->checked_in++;
            if (e->b == 1) {
                s->checkin_paid++;
                s->checkin_paid_cents += e->fee_cents;
            }
            break;
        case RECON_CANCEL:
            s->cancelled++;
            s->cancelled_cents += e->fee_cents;
            break;
        case RECON_REFUND:
            s->refunded++;
            s->refunded_cents += e->fee_cents;
            break;
        case RECON_MOVE:
            s->moved++;
            break;
        case RECON_NO_SHOW:
            s->no_show++;
            break;
        default:
            assert(0 && "a line of no kind");
    }
}

/* ---- the document ---------------------------------------------------------- */

static const char LINES_HEAD[] = "line,seq,time,kind,hospital,channel,"
                                 "pay_method,pool,claim,patient,payment_ref,"
                                 "cents\n";

int recon_init(struct recon *r, uint32_t day, const char *hospital,
               const char *channel, int format)
{
    memset(r, 0, sizeof *r);
    hospital = hospital != NULL ? hospital : "";
    channel = channel != NULL ? channel : "";
    if (day == 0 || day > SLOT_DAY_MAX ||
        (format != RECON_CSV && format != RECON_JSON) ||
        strlen(hospital) >= sizeof r->hospital ||
        strlen(channel) >= sizeof r->channel) {
        return fail(r, SLOT_INVALID_ARGUMENT,
                    "bad day, filter or format for a reconciliation");
    }
    r->day = day;
    r->format = format;
    strcpy(r->hospital, hospital);
    strcpy(r->channel, channel);
    char d[11];
    dayName(day, d);
    if (format == RECON_CSV) {
        puts_(r, LINES_HEAD);
    } else {
        puts_(r, "{\"day\":");
        putJson(r, d);
        puts_(r, ",\"hospital\":");
        putJson(r, r->hospital);
        puts_(r, ",\"channel\":");
        putJson(r, r->channel);
        puts_(r, ",\"lines\":[");
    }
    return r->_err;
}

static void writeLine(struct recon *r, const struct slotc_event *e, int kind,
                      int64_t cents)
{
    char t[32];
    isoTime(e->time_ms, t);
    bool csv = r->format == RECON_CSV;
    if (csv) {
        puts_(r, "line,");
    } else {
        puts_(r, r->lines > 0 ? ",{" : "{");
    }
    putNum(r, "seq", (long long)e->seq, true);
    putStr(r, "time", t, false);
    putStr(r, "kind", recon_kind_name(kind), false);
    putStr(r, "hospital", e->hospital, false);
    putStr(r, "channel", e->channel, false);
    putStr(r, "pay_method", e->pay_method, false);
    putStr(r, "pool", e->pool, false);
    putNum(r, "claim", (long long)e->claim, false);
    putStr(r, "patient", e->patient, false);
    putStr(r, "payment_ref", e->payment_ref, false);
    putNum(r, "cents", (long long)cents, false);
    puts_(r, csv ? "\n" : "}");
}

int recon_feed(struct recon *r, const struct slotc_event *e)
{
    if (r->_err != SLOT_OK) {
        return r->_err;
    }
    assert(!r->_reported);
    if (r->last_seq != 0 && e->seq <= r->last_seq) {
        r->repeats++;
        return SLOT_OK;
    }
    r->events++;
    r->first_seq = r->first_seq != 0 ? r->first_seq : e->seq;
    r->last_seq = e->seq;
    /* The move pair is tracked over every event, whatever its day or
     * filters: the new booking's event is recognised by its place. */
    bool move_booking = e->type == SLOTC_EV_BOOKED && r->_move_seq != 0 &&
                        e->seq == r->_move_seq && e->claim == r->_move_claim;
    if (e->type == SLOTC_EV_MOVED) {
        r->_move_seq = e->seq + 1;
        r->_move_claim = e->a;
    }
    if (e->local_day != r->day ||
        (r->hospital[0] != '\0' && strcmp(e->hospital, r->hospital) != 0) ||
        (r->channel[0] != '\0' && strcmp(e->channel, r->channel) != 0)) {
        return SLOT_OK;
    }
    int64_t cents;
    int kind = recon_event_kind(e, move_booking, &cents);
    if (kind == 0) {
        return SLOT_OK;
    }
    if (r->lines == RECON_LINES_MAX) {
        return fail(r, SLOT_TOO_LARGE,
                    "more than RECON_LINES_MAX (%u) lines in one day: narrow "
                    "it with a hospital or channel",
                    RECON_LINES_MAX);
    }
    struct slotc_recon_row *s = sumOf(r, e);
    if (s == NULL) {
        return r->_err;
    }
    count(s, kind, e);
    writeLine(r, e, kind, cents);
    r->lines++;
    return r->_err;
}

static long long netOf(const struct slotc_recon_row *x)
{
    return (long long)x->booked_cents + (long long)x->checkin_paid_cents -
           (long long)x->cancelled_cents - (long long)x->refunded_cents;
}

static bool sameCounts(const struct slotc_recon_row *x,
                       const struct slotc_recon_row *y)
{
    return x->booked == y->booked && x->booked_cents == y->booked_cents &&
           x->checkin_paid == y->checkin_paid &&
           x->checkin_paid_cents == y->checkin_paid_cents &&
           x->checked_in == y->checked_in && x->cancelled == y->cancelled &&
           x->cancelled_cents == y->cancelled_cents &&
           x->refunded == y->refunded &&
           x->refunded_cents == y->refunded_cents && x->moved == y->moved &&
           x->no_show == y->no_show;
}

static const char ROWS_HEAD[] =
    "row,hospital,channel,pay_method,source,booked,booked_cents,"
    "checkin_paid,checkin_paid_cents,checked_in,cancelled,cancelled_cents,"
    "refunded,refunded_cents,moved,no_show,net_cents,status\n";

/* The counters of a row (after its key in CSV; an object in JSON). */
static void putCounts(struct recon *r, const struct slotc_recon_row *x)
{
    bool csv = r->format == RECON_CSV;
    if (!csv) {
        put(r, "{", 1);
    }
    putNum(r, "booked", x->booked, !csv);
    putNum(r, "booked_cents", (long long)x->booked_cents, false);
    putNum(r, "checkin_paid", x->checkin_paid, false);
    putNum(r, "checkin_paid_cents", (long long)x->checkin_paid_cents, false);
    putNum(r, "checked_in", x->checked_in, false);
    putNum(r, "cancelled", x->cancelled, false);
    putNum(r, "cancelled_cents", (long long)x->cancelled_cents, false);
    putNum(r, "refunded", x->refunded, false);
    putNum(r, "refunded_cents", (long long)x->refunded_cents, false);
    putNum(r, "moved", x->moved, false);
    putNum(r, "no_show", x->no_show, false);
    putNum(r, "net_cents", netOf(x), false);
    if (!csv) {
        put(r, "}", 1);
    }
}

/* One key's comparison: lines (l) and ledger (g), either may be zeros. */
static void writeRow(struct recon *r, const struct slotc_recon_row *l,
                     const struct slotc_recon_row *g, bool *first)
{
    const struct slotc_recon_row *k = l != NULL ? l : g;
    struct slotc_recon_row zero;
    memset(&zero, 0, sizeof zero);
    l = l != NULL ? l : &zero;
    g = g != NULL ? g : &zero;
    bool agree = sameCounts(l, g);
    if (!agree) {
        r->rows_differing++;
    }
    if (r->format == RECON_CSV) {
        for (int side = 0; side < (agree ? 1 : 2); side++) {
            puts_(r, "row");
            putStr(r, NULL, k->hospital, false);
            putStr(r, NULL, k->channel, false);
            putStr(r, NULL, k->pay_method, false);
            putStr(r, NULL,
                   agree       ? "both"
                   : side == 0 ? "lines"
                               : "ledger",
                   false);
            putCounts(r, side == 0 ? l : g);
            puts_(r, agree ? ",agree\n" : ",differs\n");
        }
        return;
    }
    puts_(r, *first ? "{" : ",{");
    *first = false;
    putStr(r, "hospital", k->hospital, true);
    putStr(r, "channel", k->channel, false);
    putStr(r, "pay_method", k->pay_method, false);
    putStr(r, "status", agree ? "agree" : "differs", false);
    if (agree) {
        puts_(r, ",\"values\":");
        putCounts(r, l);
    } else {
        puts_(r, ",\"lines\":");
        putCounts(r, l);
        puts_(r, ",\"ledger\":");
        putCounts(r, g);
    }
    put(r, "}", 1);
}

/* Totals per payment method of the (sorted) ledger rows. */
static void writeMethods(struct recon *r, const struct slotc_recon_row *g,
                         uint32_t n)
{
    bool csv = r->format == RECON_CSV;
    puts_(r, csv ? "\nmethod,pay_method,booked,booked_cents,checkin_paid,"
                   "checkin_paid_cents,checked_in,cancelled,cancelled_cents,"
                   "refunded,refunded_cents,moved,no_show,net_cents\n"
                 : "],\"methods\":[");
    /* Methods are few (the ledger interns at most 16, plus ""): a pass
     * per distinct method over the rows, each method once, in byte
     * order. */
    const char *prev = NULL;
    bool first = true;
    for (;;) {
        const char *next = NULL;
        for (uint32_t i = 0; i < n; i++) {
            const char *m = g[i].pay_method;
            if ((prev == NULL || strcmp(m, prev) > 0) &&
                (next == NULL || strcmp(m, next) < 0)) {
                next = m;
            }
        }
        if (next == NULL) {
            break;
        }
        struct slotc_recon_row t;
        memset(&t, 0, sizeof t);
        for (uint32_t i = 0; i < n; i++) {
            const struct slotc_recon_row *x = &g[i];
            if (strcmp(x->pay_method, next) != 0) {
                continue;
            }
            t.booked += x->booked;
            t.booked_cents += x->booked_cents;
            t.checkin_paid += x->checkin_paid;
            t.checkin_paid_cents += x->checkin_paid_cents;
            t.checked_in += x->checked_in;
            t.cancelled += x->cancelled;
            t.cancelled_cents += x->cancelled_cents;
            t.refunded += x->refunded;
            t.refunded_cents += x->refunded_cents;
            t.moved += x->moved;
            t.no_show += x->no_show;
        }
        if (csv) {
            puts_(r, "method");
            putStr(r, NULL, next, false);
            putCounts(r, &t);
            put(r, "\n", 1);
        } else {
            puts_(r, first ? "{" : ",{");
            putStr(r, "pay_method", next, true);
            puts_(r, ",\"totals\":");
            putCounts(r, &t);
            put(r, "}", 1);
        }
        first = false;
        prev = next;
    }
}

static void writeStats(struct recon *r, const struct slotc_stats_row *st,
                       uint32_t n)
{
    bool csv = r->format == RECON_CSV;
    puts_(r, csv ? "\nstats,visit_day,hospital,department,pools,released,"
                   "capacity,booked_now,booking_rate,booked_total,"
                   "cancelled_total,refunded_total,moved_total,"
                   "no_show_total,checked_in_total\n"
                 : "],\"stats\":[");
    bool first = true;
    for (uint32_t i = 0; i < n; i++) {
        const struct slotc_stats_row *x = &st[i];
        if (x->visit_day != r->day ||
            (r->hospital[0] != '\0' && strcmp(x->hospital, r->hospital) != 0)) {
            continue;
        }
        char d[11], rate[32];
        dayName(x->visit_day, d);
        /* Per mille, printed with 4 decimals in integer arithmetic: the
         * same text on every platform. */
        uint64_t per_10k = x->released > 0 && x->booked_now <= x->released
                               ? x->booked_now * 10000u / x->released
                               : 0;
        snprintf(rate, sizeof rate, "%u.%04u", (unsigned)(per_10k / 10000u),
                 (unsigned)(per_10k % 10000u));
        if (csv) {
            puts_(r, "stats");
        } else {
            puts_(r, first ? "{" : ",{");
        }
        putStr(r, "visit_day", d, !csv);
        putStr(r, "hospital", x->hospital, false);
        putStr(r, "department", x->department, false);
        putNum(r, "pools", x->pools, false);
        putNum(r, "released", (long long)x->released, false);
        putNum(r, "capacity", (long long)x->capacity, false);
        putNum(r, "booked_now", (long long)x->booked_now, false);
        if (csv) {
            putStr(r, NULL, rate, false);
        } else {
            puts_(r, ",\"booking_rate\":");
            puts_(r, rate);
        }
        putNum(r, "booked_total", (long long)x->booked_total, false);
        putNum(r, "cancelled_total", (long long)x->cancelled_total, false);
        putNum(r, "refunded_total", (long long)x->refunded_total, false);
        putNum(r, "moved_total", (long long)x->moved_total, false);
        putNum(r, "no_show_total", (long long)x->no_show_total, false);
        putNum(r, "checked_in_total", (long long)x->checked_in_total, false);
        puts_(r, csv ? "\n" : "}");
        first = false;
    }
}

int recon_report(struct recon *r, const struct slotc_recon_row *rows,
                 uint32_t n_rows, const struct slotc_stats_row *stats,
                 uint32_t n_stats, uint32_t kept_from_day)
{
    if (r->_err != SLOT_OK) {
        return r->_err;
    }
    assert(!r->_reported);
    r->_reported = true;
    /* The ledger's rows of D, sorted as the sums are (pages may come in
     * any order). */
    if (n_rows > RECON_KEYS_MAX) {
        return fail(r, SLOT_TOO_LARGE,
                    "more than RECON_KEYS_MAX (%u) ledger rows in one day",
                    RECON_KEYS_MAX);
    }
    struct slotc_recon_row *g = malloc((n_rows ? n_rows : 1) * sizeof *g);
    if (g == NULL) {
        return fail(r, SLOT_BUSY, "out of memory (%u rows)", n_rows);
    }
    uint32_t n = 0;
    for (uint32_t i = 0; i < n_rows; i++) {
        if (rows[i].day == r->day) {
            g[n++] = rows[i];
        }
    }
    qsort(g, n, sizeof *g, keyCmpQ);
    bool csv = r->format == RECON_CSV;
    puts_(r, csv ? "\n" : "],\"rows\":[");
    if (csv) {
        puts_(r, ROWS_HEAD);
    }
    r->rows_differing = 0;
    uint32_t i = 0, j = 0;
    bool first = true;
    while (i < r->_n_sums || j < n) { /* a merge of two sorted lists */
        int c = i == r->_n_sums ? 1 : j == n ? -1 : keyCmp(&r->_sums[i], &g[j]);
        if (c == 0) {
            writeRow(r, &r->_sums[i++], &g[j++], &first);
        } else if (c < 0) {
            writeRow(r, &r->_sums[i++], NULL, &first);
        } else {
            writeRow(r, NULL, &g[j++], &first);
        }
    }
    writeMethods(r, g, n);
    writeStats(r, stats, n_stats);
    free(g);
    r->agree = r->rows_differing == 0;
    char kept[11] = "";
    if (kept_from_day > 0) {
        dayName(kept_from_day, kept);
    }
    if (csv) {
        putf(r,
             "\nresult,status,rows_differing,lines,kept_from_day\n"
             "result,%s,%u,%llu,%s\n",
             r->agree ? "agree" : "differ", r->rows_differing,
             (unsigned long long)r->lines, kept);
    } else {
        putf(r,
             "],\"agree\":%s,\"rows_differing\":%u,\"lines_total\":%llu,"
             "\"kept_from_day\":",
             r->agree ? "true" : "false", r->rows_differing,
             (unsigned long long)r->lines);
        putJson(r, kept);
        puts_(r, "}\n");
    }
    return r->_err;
}

const char *recon_text(const struct recon *r, size_t *len)
{
    *len = r->_len;
    return r->_text != NULL ? r->_text : "";
}

const struct slotc_recon_row *recon_sums(const struct recon *r, uint32_t *n)
{
    *n = r->_n_sums;
    return r->_sums;
}

void recon_free(struct recon *r)
{
    free(r->_sums);
    free(r->_text);
    r->_sums = NULL;
    r->_text = NULL;
    r->_n_sums = r->_cap_sums = 0;
    r->_len = r->_cap = 0;
}
