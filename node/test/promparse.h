/* promparse: a strict parser of the Prometheus text format 0.0.4, for
 * tests (test_metrics, test_cluster). Header-only: static functions.
 *
 * Accepted: "# HELP name text", "# TYPE name type" (once per name, before
 * its samples), other "# ..." comments, and sample lines
 * `name{label="value",...} value [timestamp]` (labels optional). Every
 * sample's metric must be declared by a TYPE line, and its samples must
 * follow that TYPE line without another family in between (histograms:
 * name_bucket with an `le` label, name_sum, name_count). Every line ends
 * with '\n'. Samples are kept in doc (series text as written, value).
 */
#ifndef SLOT_PROMPARSE_H
#define SLOT_PROMPARSE_H

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROM_SAMPLES_MAX  2048
#define PROM_FAMILIES_MAX 256
#define PROM_SERIES_MAX   256

struct prom_sample {
    char series[PROM_SERIES_MAX]; /* name{labels} exactly as written */
    double value;
};

struct prom_doc {
    int n;
    struct prom_sample s[PROM_SAMPLES_MAX];
    int n_families;
    char family[PROM_FAMILIES_MAX][128];
    char type[PROM_FAMILIES_MAX][16];
};

static bool promNameStart(char c)
{
    return isalpha((unsigned char)c) || c == '_' || c == ':';
}

static bool promNameChar(char c)
{
    return promNameStart(c) || isdigit((unsigned char)c);
}

/* Reads a metric or label name at *p; returns its length (0: none). */
static size_t promName(const char *p, const char *end)
{
    size_t n = 0;
    if (p < end && promNameStart(*p)) {
        while (p + n < end && promNameChar(p[n])) {
            n++;
        }
    }
    return n;
}

static int promFamily(const struct prom_doc *d, const char *name, size_t len)
{
    for (int i = 0; i < d->n_families; i++) {
        if (strlen(d->family[i]) == len &&
            memcmp(d->family[i], name, len) == 0) {
            return i;
        }
    }
    return -1;
}

static bool promEndsWith(const char *name, size_t len, const char *suffix,
                         size_t *base)
{
    size_t sl = strlen(suffix);
    if (len > sl && memcmp(name + len - sl, suffix, sl) == 0) {
        *base = len - sl;
        return true;
    }
    return false;
}

/* Parses the labels at *pp ('{' ... '}'); true if well-formed. *has_le:
 * an `le` label was present. */
static bool promLabels(const char **pp, const char *end, bool *has_le)
{
    const char *p = *pp + 1;
    *has_le = false;
    while (p < end && *p != '}') {
        size_t ln = promName(p, end);
        if (ln == 0) {
            return false;
        }
        if (ln == 2 && memcmp(p, "le", 2) == 0) {
            *has_le = true;
        }
        p += ln;
        if (p + 1 >= end || p[0] != '=' || p[1] != '"') {
            return false;
        }
        p += 2;
        while (p < end && *p != '"') {
            if (*p == '\\') {
                if (p + 1 >= end ||
                    (p[1] != '\\' && p[1] != '"' && p[1] != 'n')) {
                    return false;
                }
                p++;
            } else if (*p == '\n') {
                return false;
            }
            p++;
        }
        if (p >= end) {
            return false;
        }
        p++; /* closing quote */
        if (p < end && *p == ',') {
            p++;
        } else if (p < end && *p != '}') {
            return false;
        }
    }
    if (p >= end) {
        return false;
    }
    *pp = p + 1;
    return true;
}

static bool promValue(const char *p, size_t len, double *out)
{
    char buf[64];
    if (len == 0 || len >= sizeof buf) {
        return false;
    }
    memcpy(buf, p, len);
    buf[len] = '\0';
    if (strcmp(buf, "+Inf") == 0 || strcmp(buf, "-Inf") == 0 ||
        strcmp(buf, "NaN") == 0) {
        *out = buf[0] == '-' ? -INFINITY : buf[0] == '+' ? INFINITY : NAN;
        return true;
    }
    char *e;
    *out = strtod(buf, &e);
    return *e == '\0' && !isspace((unsigned char)buf[0]);
}

/* Returns 0, or -1 with the reason and the line number in why. */
static int prom_parse(const char *text, size_t len, struct prom_doc *d,
                      char *why, size_t why_len)
{
    memset(d, 0, sizeof *d);
    int current = -1; /* the family whose samples may follow */
    int line = 0;
    const char *p = text, *end = text + len;
    if (len == 0 || text[len - 1] != '\n') {
        snprintf(why, why_len, "empty, or no final newline");
        return -1;
    }
    while (p < end) {
        line++;
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (*p == '#') {
            bool help = eol - p > 7 && memcmp(p, "# HELP ", 7) == 0;
            bool type = eol - p > 7 && memcmp(p, "# TYPE ", 7) == 0;
            if (help || type) {
                const char *n = p + 7;
                size_t nl = promName(n, eol);
                if (nl == 0 || nl >= sizeof d->family[0] ||
                    (n + nl < eol && n[nl] != ' ') || (type && n + nl == eol)) {
                    snprintf(why, why_len, "line %d: bad HELP/TYPE", line);
                    return -1;
                }
                if (type) {
                    const char *t = n + nl + 1;
                    size_t tl = (size_t)(eol - t);
                    static const char *const types[] = {
                        "counter", "gauge", "histogram", "summary", "untyped"};
                    bool ok = false;
                    for (int i = 0; i < 5; i++) {
                        ok |= strlen(types[i]) == tl &&
                              memcmp(types[i], t, tl) == 0;
                    }
                    if (!ok || promFamily(d, n, nl) >= 0 ||
                        d->n_families == PROM_FAMILIES_MAX) {
                        snprintf(why, why_len, "line %d: bad or repeated TYPE",
                                 line);
                        return -1;
                    }
                    memcpy(d->family[d->n_families], n, nl);
                    memcpy(d->type[d->n_families], t, tl);
                    current = d->n_families++;
                }
            }
            p = eol + 1;
            continue;
        }
        size_t nl = promName(p, eol);
        if (nl == 0) {
            snprintf(why, why_len, "line %d: no metric name", line);
            return -1;
        }
        int f = promFamily(d, p, nl);
        size_t base;
        bool bucket = false;
        if (f < 0 && (promEndsWith(p, nl, "_bucket", &base) ||
                      promEndsWith(p, nl, "_sum", &base) ||
                      promEndsWith(p, nl, "_count", &base))) {
            f = promFamily(d, p, base);
            if (f >= 0 && strcmp(d->type[f], "histogram") != 0 &&
                strcmp(d->type[f], "summary") != 0) {
                f = -1;
            }
            bucket = f >= 0 && promEndsWith(p, nl, "_bucket", &base);
        } else if (f >= 0 && strcmp(d->type[f], "histogram") == 0) {
            f = -1; /* a histogram has no bare samples */
        }
        if (f < 0) {
            snprintf(why, why_len, "line %d: %.*s has no TYPE", line, (int)nl,
                     p);
            return -1;
        }
        if (f != current) {
            snprintf(why, why_len, "line %d: %.*s is not under its TYPE", line,
                     (int)nl, p);
            return -1;
        }
        const char *q = p + nl;
        bool has_le = false;
        if (q < eol && *q == '{' && !promLabels(&q, eol, &has_le)) {
            snprintf(why, why_len, "line %d: bad labels", line);
            return -1;
        }
        if (bucket != has_le) {
            snprintf(why, why_len, "line %d: le on a non-bucket or missing",
                     line);
            return -1;
        }
        if (q >= eol || *q != ' ') {
            snprintf(why, why_len, "line %d: no value", line);
            return -1;
        }
        const char *v = q + 1;
        const char *ve = memchr(v, ' ', (size_t)(eol - v));
        double value;
        if (!promValue(v, (size_t)((ve != NULL ? ve : eol) - v), &value)) {
            snprintf(why, why_len, "line %d: bad value", line);
            return -1;
        }
        if (ve != NULL) {
            /* A timestamp: an integer. */
            const char *ts = ve + 1;
            if (ts == eol || (*ts == '-' && ++ts == eol)) {
                snprintf(why, why_len, "line %d: bad timestamp", line);
                return -1;
            }
            for (; ts < eol; ts++) {
                if (!isdigit((unsigned char)*ts)) {
                    snprintf(why, why_len, "line %d: bad timestamp", line);
                    return -1;
                }
            }
        }
        size_t sl = (size_t)(q - p);
        if (d->n < PROM_SAMPLES_MAX && sl < PROM_SERIES_MAX) {
            memcpy(d->s[d->n].series, p, sl);
            d->s[d->n].series[sl] = '\0';
            d->s[d->n].value = value;
            d->n++;
        }
        p = eol + 1;
    }
    return 0;
}

/* The value of series (name{labels} as written), or NAN. */
static double prom_get(const struct prom_doc *d, const char *series)
{
    for (int i = 0; i < d->n; i++) {
        if (strcmp(d->s[i].series, series) == 0) {
            return d->s[i].value;
        }
    }
    return NAN;
}

#endif /* SLOT_PROMPARSE_H */
