/* runset: a run set's manifest (see runset.h). */
#include "runset.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bjson.h"

#define MANIFEST         "runset.json"
#define MANIFEST_VERSION 1
#define DIR_ENTRIES_MAX  4096 /* entries read from a results directory */

static bool endsWith(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* A result file a reader may use: *.json and *.txt, the manifest aside. */
static bool isInput(const char *name)
{
    return (endsWith(name, ".json") || endsWith(name, ".txt")) &&
           strcmp(name, MANIFEST) != 0 && name[0] != '.' &&
           strlen(name) < RUNSET_NAME_MAX;
}

static void pathOf(char *buf, size_t len, const char *dir, const char *name)
{
    snprintf(buf, len, "%s/%s", dir, name);
}

static void isoNow(char *buf, size_t len)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *loadNow(void)
{
    double l[3] = {0, 0, 0};
    if (getloadavg(l, 3) != 3) {
        return json_null();
    }
    return json_pack("[f,f,f]", l[0], l[1], l[2]);
}

static int writeManifest(const char *dir, json_t *m)
{
    char path[600], tmp[620];
    pathOf(path, sizeof path, dir, MANIFEST);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (json_dump_file(m, tmp, JSON_INDENT(1) | JSON_SORT_KEYS) != 0 ||
        rename(tmp, path) != 0) {
        fprintf(stderr, "runset: cannot write %s\n", path);
        return -1;
    }
    return 0;
}

static json_t *readManifest(const char *dir)
{
    char path[600];
    pathOf(path, sizeof path, dir, MANIFEST);
    json_t *m = json_load_file(path, 0, NULL);
    if (m != NULL && !json_is_object(m)) {
        json_decref(m);
        return NULL;
    }
    return m;
}

static void hex64(char out[17], uint64_t v)
{
    snprintf(out, 17, "%016" PRIx64, v);
}

/* ---- reading a set ---------------------------------------------------- */

static struct runset_file *entry(struct runset *rs, const char *name)
{
    for (int i = 0; i < rs->n; i++) {
        if (strcmp(rs->f[i].name, name) == 0) {
            return &rs->f[i];
        }
    }
    if (rs->n == RUNSET_FILES_MAX) {
        return NULL;
    }
    struct runset_file *f = &rs->f[rs->n++];
    memset(f, 0, sizeof *f);
    snprintf(f->name, sizeof f->name, "%s", name);
    return f;
}

/* Why the present file f is not of the set, or "" if it is. */
static void classify(struct runset *rs, struct runset_file *f)
{
    char path[600];
    pathOf(path, sizeof path, rs->dir, f->name);
    if (rs->manifest == NULL) {
        snprintf(f->why, sizeof f->why, "no run set manifest (%s)", MANIFEST);
        return;
    }
    json_t *listed =
        json_object_get(json_object_get(rs->manifest, "files"), f->name);
    if (listed == NULL) {
        const char *r = json_string_value(
            json_object_get(json_object_get(rs->manifest, "refused"), f->name));
        snprintf(f->why, sizeof f->why, "not in run set %s%s%s", rs->id,
                 r ? ": " : "", r ? r : "");
        return;
    }
    uint64_t h = 0, bytes = 0;
    char hex[17];
    if (bjson_file_hash(path, &h, &bytes) != 0) {
        snprintf(f->why, sizeof f->why, "unreadable");
        return;
    }
    hex64(hex, h);
    if (strcmp(bjson_str(listed, "fnv1a64"), hex) != 0 ||
        bjson_num(listed, "bytes") != (double)bytes) {
        snprintf(f->why, sizeof f->why,
                 "changed since run set %s was sealed (content hash)", rs->id);
        return;
    }
    if (endsWith(f->name, ".json")) {
        json_t *d = json_load_file(path, 0, NULL);
        const char *set = json_string_value(json_object_get(d, "run_set"));
        if (d == NULL) {
            snprintf(f->why, sizeof f->why, "not valid JSON");
        } else if (set != NULL && strcmp(set, rs->id) != 0) {
            snprintf(f->why, sizeof f->why, "of run set %s, not %s", set,
                     rs->id);
        }
        json_decref(d);
        if (f->why[0] != '\0') {
            return;
        }
    }
    f->accepted = true;
}

int runset_load(struct runset *rs, const char *dir)
{
    memset(rs, 0, sizeof *rs);
    snprintf(rs->dir, sizeof rs->dir, "%s", dir);
    rs->manifest = readManifest(dir);
    rs->id = rs->manifest ? bjson_str(rs->manifest, "run_set") : "";
    DIR *d = opendir(dir);
    int seen = 0;
    for (struct dirent *e;
         d != NULL && seen < DIR_ENTRIES_MAX && (e = readdir(d)) != NULL;
         seen++) {
        if (!isInput(e->d_name)) {
            continue;
        }
        struct runset_file *f = entry(rs, e->d_name);
        if (f != NULL) {
            f->present = true;
        }
    }
    if (d != NULL) {
        closedir(d);
    }
    const char *name;
    json_t *v;
    json_object_foreach(json_object_get(rs->manifest, "files"), name, v)
    {
        struct runset_file *f = entry(rs, name);
        if (f != NULL && !f->present) {
            snprintf(f->why, sizeof f->why, "listed but missing");
        }
    }
    for (int i = 0; i < rs->n; i++) {
        if (rs->f[i].present) {
            classify(rs, &rs->f[i]);
        }
    }
    return rs->manifest ? 0 : -1;
}

void runset_free(struct runset *rs)
{
    json_decref(rs->manifest);
    rs->manifest = NULL;
    rs->id = "";
}

const struct runset_file *runset_get(const struct runset *rs, const char *name)
{
    for (int i = 0; i < rs->n; i++) {
        if (strcmp(rs->f[i].name, name) == 0) {
            return rs->f[i].accepted ? &rs->f[i] : NULL;
        }
    }
    return NULL;
}

json_t *runset_json(const struct runset *rs, const char *name)
{
    if (runset_get(rs, name) == NULL) {
        return NULL;
    }
    char path[600];
    pathOf(path, sizeof path, rs->dir, name);
    return json_load_file(path, 0, NULL);
}

json_t *runset_file_loadavg(const struct runset *rs, const char *name)
{
    json_t *f = json_object_get(json_object_get(rs->manifest, "files"), name);
    json_t *l = json_object_get(f, "loadavg_start");
    return json_is_array(l) ? l : NULL;
}

/* ---- writing a set ---------------------------------------------------- */

/* Removes the results of an earlier set from dir (and dir/plots). */
static void clearResults(const char *dir)
{
    char sub[600], path[700];
    pathOf(sub, sizeof sub, dir, "plots");
    const char *dirs[2] = {dir, sub};
    for (int k = 0; k < 2; k++) {
        DIR *d = opendir(dirs[k]);
        int seen = 0;
        for (struct dirent *e;
             d != NULL && seen < DIR_ENTRIES_MAX && (e = readdir(d)) != NULL;
             seen++) {
            const char *n = e->d_name;
            bool old = k == 0 ? endsWith(n, ".json") || endsWith(n, ".txt") ||
                                    endsWith(n, ".tmp") ||
                                    strcmp(n, "REPORT.md") == 0
                              : endsWith(n, ".dat") || endsWith(n, ".gp") ||
                                    endsWith(n, ".png");
            if (old && n[0] != '.') {
                pathOf(path, sizeof path, dirs[k], n);
                unlink(path);
            }
        }
        if (d != NULL) {
            closedir(d);
        }
    }
}

static const char *optVal(int argc, char **argv, const char *key,
                          const char *dflt)
{
    for (int i = 0; i + 1 < argc; i++) {
        if (strcmp(argv[i], key) == 0) {
            return argv[i + 1];
        }
    }
    return dflt;
}

static int cmdStart(const char *dir, int argc, char **argv)
{
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "runset: cannot create %s: %s\n", dir, strerror(errno));
        return 1;
    }
    clearResults(dir);
    const char *commit = optVal(argc, argv, "--commit", "unknown");
    char when[32], id[128];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(id, sizeof id, "%s-%s", when, commit);
    isoNow(when, sizeof when);
    json_t *m = json_pack(
        "{s:i,s:s,s:s,s:b,s:b,s:s,s:s,s:I,s:o,s:{},s:{},s:{}}",
        "schema_version", MANIFEST_VERSION, "run_set", id, "commit", commit,
        "dirty", strcmp(optVal(argc, argv, "--dirty", "0"), "1") == 0, "quick",
        strcmp(optVal(argc, argv, "--quick", "0"), "1") == 0, "state", "open",
        "started_at", when, "started_unix", (json_int_t)now, "loadavg_start",
        loadNow(), "steps", "files", "refused");
    int rc = m != NULL ? writeManifest(dir, m) : -1;
    json_decref(m);
    if (rc == 0) {
        printf("%s\n", id);
    }
    return rc == 0 ? 0 : 1;
}

static json_t *openManifest(const char *dir)
{
    json_t *m = readManifest(dir);
    if (m == NULL || strcmp(bjson_str(m, "state"), "open") != 0) {
        fprintf(stderr, "runset: no open run set in %s (runset start)\n", dir);
        json_decref(m);
        return NULL;
    }
    return m;
}

static int cmdNote(const char *dir, const char *name)
{
    json_t *m = openManifest(dir);
    if (m == NULL) {
        return 1;
    }
    json_t *steps = json_object_get(m, "steps");
    json_object_set_new(steps, name,
                        json_pack("{s:o}", "loadavg_start", loadNow()));
    int rc = writeManifest(dir, m);
    json_decref(m);
    return rc == 0 ? 0 : 1;
}

/* Lists every result file in dir into m's "files" (or "refused"). With
 * strict, a file older than the set or a slotbench result that does not
 * name this set is refused. */
static void listFiles(const char *dir, json_t *m, bool strict)
{
    const char *id = bjson_str(m, "run_set");
    double started = bjson_num(m, "started_unix");
    json_t *files = json_object(), *refused = json_object();
    json_t *steps = json_object_get(m, "steps");
    DIR *d = opendir(dir);
    int seen = 0;
    for (struct dirent *e;
         d != NULL && seen < DIR_ENTRIES_MAX && (e = readdir(d)) != NULL;
         seen++) {
        const char *n = e->d_name;
        char path[700], why[200] = "";
        struct stat st;
        pathOf(path, sizeof path, dir, n);
        if (!isInput(n) || stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
            continue;
        }
        if (strict && (double)st.st_mtime < started) {
            snprintf(why, sizeof why, "older than the run set");
        }
        if (why[0] == '\0' && endsWith(n, ".json")) {
            json_t *doc = json_load_file(path, 0, NULL);
            const char *set =
                json_string_value(json_object_get(doc, "run_set"));
            if (doc == NULL) {
                snprintf(why, sizeof why, "not valid JSON");
            } else if (set != NULL && strcmp(set, id) != 0) {
                snprintf(why, sizeof why, "of run set %s", set);
            } else if (strict && set == NULL &&
                       json_object_get(doc, "scenario") != NULL) {
                snprintf(why, sizeof why, "a slotbench result of no run set");
            }
            json_decref(doc);
        }
        uint64_t h, bytes;
        if (why[0] == '\0' && bjson_file_hash(path, &h, &bytes) != 0) {
            snprintf(why, sizeof why, "unreadable");
        }
        if (why[0] != '\0') {
            json_object_set_new(refused, n, json_string(why));
            fprintf(stderr, "runset: %s refused: %s\n", n, why);
            continue;
        }
        char hex[17];
        hex64(hex, h);
        json_t *f =
            json_pack("{s:s,s:I}", "fnv1a64", hex, "bytes", (json_int_t)bytes);
        json_t *l = json_object_get(json_object_get(steps, n), "loadavg_start");
        if (l != NULL) {
            json_object_set(f, "loadavg_start", l);
        }
        json_object_set_new(files, n, f);
    }
    if (d != NULL) {
        closedir(d);
    }
    json_object_set_new(m, "files", files);
    json_object_set_new(m, "refused", refused);
}

static int cmdSeal(const char *dir)
{
    json_t *m = openManifest(dir);
    if (m == NULL) {
        return 1;
    }
    listFiles(dir, m, true);
    char when[32];
    isoNow(when, sizeof when);
    json_object_set_new(m, "state", json_string("sealed"));
    json_object_set_new(m, "sealed_at", json_string(when));
    json_object_set_new(m, "loadavg_sealed", loadNow());
    int rc = writeManifest(dir, m);
    fprintf(stderr, "runset: %s sealed: %zu files, %zu refused\n",
            bjson_str(m, "run_set"),
            json_object_size(json_object_get(m, "files")),
            json_object_size(json_object_get(m, "refused")));
    json_decref(m);
    return rc == 0 ? 0 : 1;
}

static int cmdAdopt(const char *dir, int argc, char **argv)
{
    const char *id = optVal(argc, argv, "--id", NULL);
    const char *commit = optVal(argc, argv, "--commit", NULL);
    if (id == NULL || commit == NULL) {
        fprintf(stderr, "runset adopt: --id and --commit are required\n");
        return 2;
    }
    char when[32];
    isoNow(when, sizeof when);
    json_t *m =
        json_pack("{s:i,s:s,s:s,s:b,s:b,s:s,s:s,s:b,s:s}", "schema_version",
                  MANIFEST_VERSION, "run_set", id, "commit", commit, "dirty", 0,
                  "quick", 0, "state", "sealed", "sealed_at", when, "adopted",
                  1, "note", optVal(argc, argv, "--note", ""));
    listFiles(dir, m, false);
    int rc = writeManifest(dir, m);
    json_decref(m);
    return rc == 0 ? 0 : 1;
}

int runset_main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: slotbench runset start|note|seal|adopt DIR "
                        "... (bench/slotbench/runset.h)\n");
        return 2;
    }
    const char *cmd = argv[1], *dir = argv[2];
    if (strcmp(cmd, "start") == 0) {
        return cmdStart(dir, argc - 3, argv + 3);
    }
    if (strcmp(cmd, "note") == 0 && argc == 4) {
        return cmdNote(dir, argv[3]);
    }
    if (strcmp(cmd, "seal") == 0) {
        return cmdSeal(dir);
    }
    if (strcmp(cmd, "adopt") == 0) {
        return cmdAdopt(dir, argc - 3, argv + 3);
    }
    fprintf(stderr, "runset: unknown command '%s'\n", cmd);
    return 2;
}
