/* bjson: the JSON reading helpers slotbench's writers and readers share
 * (slotbench.c's summary line, the report, README's table, run sets).
 * All read-only: nothing here owns or changes a document.
 */
#ifndef SLOTBENCH_BJSON_H
#define SLOTBENCH_BJSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* The number at a dotted path ("result.latency_ms.all.p99") under o, or
 * NAN if o is NULL, a step is missing or the value is not a number. */
double bjson_num(json_t *o, const char *path);

/* The value at a dotted path, or NULL (borrowed reference). */
json_t *bjson_at(json_t *o, const char *path);

/* The string o[key], or "" if absent (borrowed: lives as long as o). */
const char *bjson_str(json_t *o, const char *key);

/* FNV-1a (64 bit) of the file's bytes and its size: 0, or -1 if it cannot
 * be read. Identifies a file's content in a run set's manifest; it is not
 * a defence against anyone forging a file on purpose. */
int bjson_file_hash(const char *path, uint64_t *hash, uint64_t *bytes);

#endif /* SLOTBENCH_BJSON_H */
