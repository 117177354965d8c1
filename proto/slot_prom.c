/* slot_prom: Prometheus text exposition helpers (see slot_prom.h). */
#include "slot_prom.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void slot_prom_puts(const struct slot_prom_out *o, const char *s)
{
    o->put(o->ctx, s, strlen(s));
}

void slot_prom_printf(const struct slot_prom_out *o, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    o->put(o->ctx, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

void slot_prom_head(const struct slot_prom_out *o, const char *name,
                    const char *type, const char *help)
{
    slot_prom_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void slot_prom_label(const struct slot_prom_out *o, const char *s)
{
    /* Runs of plain bytes go out in one piece. */
    const char *run = s;
    for (; *s != '\0'; s++) {
        const char *esc = *s == '\\'   ? "\\\\"
                          : *s == '"'  ? "\\\""
                          : *s == '\n' ? "\\n"
                                       : NULL;
        if (esc != NULL) {
            o->put(o->ctx, run, (size_t)(s - run));
            o->put(o->ctx, esc, 2);
            run = s + 1;
        }
    }
    o->put(o->ctx, run, (size_t)(s - run));
}

void slot_prom_hist_add(uint64_t *buckets, const uint64_t *bounds,
                        unsigned n_bounds, uint64_t v)
{
    unsigned i = 0;
    while (i < n_bounds && v > bounds[i]) {
        i++;
    }
    buckets[i]++;
}

/* name{label="value",le="..."} or name{le="..."}: the opening part. */
static void seriesOpen(const struct slot_prom_out *o, const char *name,
                       const char *suffix, const char *label, const char *value)
{
    slot_prom_puts(o, name);
    slot_prom_puts(o, suffix);
    if (label != NULL) {
        slot_prom_printf(o, "{%s=\"", label);
        slot_prom_label(o, value);
        slot_prom_puts(o, "\"");
    }
}

void slot_prom_hist(const struct slot_prom_out *o, const char *name,
                    const char *label, const char *value,
                    const uint64_t *bounds, unsigned n_bounds, double unit,
                    const uint64_t *buckets, uint64_t count, uint64_t sum)
{
    const char *sep = label != NULL ? "," : "{";
    uint64_t cum = 0;
    for (unsigned i = 0; i < n_bounds; i++) {
        cum += buckets[i];
        seriesOpen(o, name, "_bucket", label, value);
        slot_prom_printf(o, "%sle=\"%g\"} %" PRIu64 "\n", sep,
                         (double)bounds[i] * unit, cum);
    }
    seriesOpen(o, name, "_bucket", label, value);
    slot_prom_printf(o, "%sle=\"+Inf\"} %" PRIu64 "\n", sep, count);
    seriesOpen(o, name, "_sum", label, value);
    slot_prom_printf(o, "%s %.6f\n", label != NULL ? "}" : "",
                     (double)sum * unit);
    seriesOpen(o, name, "_count", label, value);
    slot_prom_printf(o, "%s %" PRIu64 "\n", label != NULL ? "}" : "", count);
}
