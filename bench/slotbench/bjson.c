/* bjson: JSON reading helpers (see bjson.h). */
#include "bjson.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define PATH_MAX_LEN 160

json_t *bjson_at(json_t *o, const char *path)
{
    char buf[PATH_MAX_LEN];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        return NULL;
    }
    json_t *cur = o;
    for (char *save = NULL, *k = strtok_r(buf, ".", &save); k && cur;
         k = strtok_r(NULL, ".", &save)) {
        cur = json_object_get(cur, k);
    }
    return cur;
}

double bjson_num(json_t *o, const char *path)
{
    json_t *v = bjson_at(o, path);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

const char *bjson_str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

int bjson_file_hash(const char *path, uint64_t *hash, uint64_t *bytes)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return -1;
    }
    uint64_t h = 0xcbf29ce484222325ull, n = 0;
    unsigned char buf[65536];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
        for (size_t i = 0; i < got; i++) {
            h = (h ^ buf[i]) * 0x100000001b3ull;
        }
        n += got;
    }
    int rc = ferror(f) ? -1 : 0;
    fclose(f);
    *hash = h;
    *bytes = n;
    return rc;
}
