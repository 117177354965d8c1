/* runset: which result files belong to one run set (one `make bench`).
 *
 * A run set is a results directory plus its manifest, DIR/runset.json:
 *
 *   {"schema_version": 1, "run_set": ID, "commit": C, "dirty": b,
 *    "quick": b, "state": "open" | "sealed", "started_at": ISO,
 *    "started_unix": s, "loadavg_start": [1, 5, 15 min], "sealed_at": ISO,
 *    "steps": {NAME: {"loadavg_start": [...]}},
 *    "files": {NAME: {"fnv1a64": HEX, "bytes": n,
 *                     "loadavg_start": [...]}},       (when noted)
 *    "refused": {NAME: REASON}, "adopted": b, "note": TEXT}
 *
 * `start` deletes the directory's old results and opens a new set;
 * slotbench writes the set's id into every JSON it writes (--run-set);
 * `seal` lists every result file then present with its content hash,
 * refusing files older than the set and slotbench results of another set
 * (or of none). Files of other programs (ledger.json, gateway.txt,
 * healthz.json, perf-burst.txt) are known by the manifest alone.
 *
 * Readers (the report, README's table) take a file only if the manifest
 * lists it with the same hash and, when the file names a run set, the
 * same one: a result left over from an earlier set, rewritten after the
 * seal, or edited by hand is refused, with the reason.
 *
 *   slotbench runset start DIR [--commit C] [--dirty 0|1] [--quick 0|1]
 *       prints the new set's id
 *   slotbench runset note DIR NAME    a step's load average, before it runs
 *   slotbench runset seal DIR
 *   slotbench runset adopt DIR --id ID --commit C [--note TEXT]
 *       a sealed manifest for results written before run sets existed
 *       (every file present, as it is)
 */
#ifndef SLOTBENCH_RUNSET_H
#define SLOTBENCH_RUNSET_H

#include <jansson.h>
#include <stdbool.h>

#define RUNSET_FILES_MAX 64
#define RUNSET_NAME_MAX  64

struct runset_file {
    char name[RUNSET_NAME_MAX];
    bool present;  /* in the directory */
    bool accepted; /* present, listed, same content, same set */
    char why[200]; /* why it is not accepted ("" if it is) */
};

struct runset {
    char dir[512];
    json_t *manifest; /* NULL when DIR has none */
    const char *id;   /* "" without a manifest; borrowed from manifest */
    struct runset_file f[RUNSET_FILES_MAX];
    int n;
};

/* Reads DIR's manifest and classifies every result file in DIR and every
 * file the manifest lists. 0, or -1 if DIR has no readable manifest (then
 * every file is refused). Free with runset_free. */
int runset_load(struct runset *rs, const char *dir);

void runset_free(struct runset *rs);

/* The accepted file's entry, or NULL (not accepted or unknown). */
const struct runset_file *runset_get(const struct runset *rs, const char *name);

/* The accepted JSON file NAME, parsed (a new reference), or NULL. */
json_t *runset_json(const struct runset *rs, const char *name);

/* The manifest's "loadavg_start" of a file (noted before its step), else
 * NULL (borrowed). */
json_t *runset_file_loadavg(const struct runset *rs, const char *name);

/* `slotbench runset ...` (see above). Exit status. */
int runset_main(int argc, char **argv);

#endif /* SLOTBENCH_RUNSET_H */
