/* reportInt: what report.c (REPORT.md) and readme.c (README's figures
 * table) share: number formatting and the rules for reading a run's JSON.
 * Private to the two.
 *
 * Rules every figure follows:
 * - It is read from a file the run set accepted (runset.h), never typed.
 * - A field is used only from the schema version that gave it its meaning
 *   (bench.h, BENCH_SCHEMA_VERSION); an older file says NOT_MEASURED.
 * - A rate (per second) is given only over a window of at least
 *   REPORT_RATE_WINDOW_MIN_S; a shorter window says how many in how long
 *   (sell-out time) instead.
 */
#ifndef SLOTBENCH_REPORT_INT_H
#define SLOTBENCH_REPORT_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "runset.h"

#define REPORT_RATE_WINDOW_MIN_S 1.0
#define NOT_MEASURED             "not measured in this run set"

/* The standard set's slotbench results, in report order. */
extern const char *const REPORT_STEMS[];
extern const int REPORT_N_STEMS;

/* "123,456" (or "–" for NAN / negative). Rotating static buffers: at most
 * 16 results of rep_big/rep_fix alive at once. */
const char *rep_big(double v);
/* v with prec decimals (or "–"). */
const char *rep_fix(double v, int prec);
/* A value >= 100 as rep_big, else with prec decimals. */
const char *rep_num(double v, int prec);

/* The run's "schema_version" (1 when absent). */
int rep_schema(json_t *doc);
/* bjson_num(o, path) if doc's schema is at least v, else NAN. */
double rep_num_v(json_t *doc, int v, json_t *o, const char *path);
/* True if res's rate window is long enough to give rates. */
bool rep_rates_ok(json_t *res);
/* res's number at path if rep_rates_ok, else NAN. */
double rep_rate(json_t *res, const char *path);

/* "p50 / p99 / max" (ms) of the latency object at path under o ("a / b /
 * c" with 2, 2 and 1 decimals): one rotating buffer. */
const char *rep_lat3(json_t *o, const char *path);
/* "SOLD_OUT 1,234/s, NOT_RELEASED 5/s" (or "none"): the hold refusals of
 * res's in_window over its window, into buf. */
void rep_refusals(json_t *res, char *buf, size_t len);

/* The 1-minute load average when a file's run started: a slotbench run's
 * machine.loadavg_start, healthz.json's "loadavg", or what the manifest
 * noted before the step; NAN when none was recorded. */
double rep_load(const struct runset *rs, const char *file, json_t *doc);
/* "1.56" or "not recorded". */
const char *rep_load_str(const struct runset *rs, const char *file,
                         json_t *doc);

/* The point of a steady run with this label, or NULL. */
json_t *rep_point(json_t *steady, const char *label);

#define REPORT_STEMS_MAX 24

/* A run set opened for reading: its manifest and every accepted result
 * of the standard set, parsed. */
struct repset {
    struct runset rs;
    json_t *doc[REPORT_STEMS_MAX]; /* by REPORT_STEMS index; NULL: absent */
    json_t *ledger;                /* ledger.json, or NULL */
    json_t *healthz;               /* healthz.json, or NULL */
};

/* Opens dir's run set: 0, or -1 without a manifest (then nothing is
 * accepted; the caller says so). Close with rep_close. */
int rep_open(struct repset *s, const char *dir);
void rep_close(struct repset *s);
/* The accepted result of this stem ("burst-native"), or NULL. */
json_t *rep_doc(const struct repset *s, const char *stem);
/* rep_load_str of the accepted result of this stem. */
const char *rep_run_load(const struct repset *s, const char *stem);
/* The machine object of the first accepted result, or NULL. */
json_t *rep_machine(const struct repset *s);
/* "run set ID (commit C[, uncommitted changes][; adopted...])" into buf. */
void rep_set_line(const struct repset *s, char *buf, size_t len);

#endif /* SLOTBENCH_REPORT_INT_H */
