/* gw_console: the console's paths and types (see gw_console.h). */
#include "gw_console.h"

#include <string.h>

#define PREFIX     "/console"
#define PREFIX_LEN (sizeof PREFIX - 1)

/* The path without its query string. */
static size_t bareLen(const char *path, size_t len)
{
    const char *q = memchr(path, '?', len);
    return q != NULL ? (size_t)(q - path) : len;
}

bool gw_console_path(const char *path, size_t len)
{
    len = bareLen(path, len);
    if (len < PREFIX_LEN || memcmp(path, PREFIX, PREFIX_LEN) != 0) {
        return false;
    }
    return len == PREFIX_LEN || path[PREFIX_LEN] == '/';
}

const struct gw_console_file *gw_console_find(const char *path, size_t len)
{
    len = bareLen(path, len);
    const char *name = "index.html";
    size_t nl = strlen(name);
    if (len > PREFIX_LEN + 1) {
        name = path + PREFIX_LEN + 1;
        nl = len - PREFIX_LEN - 1;
    }
    for (const struct gw_console_file *f = gw_console_files; f->name != NULL;
         f++) {
        if (strlen(f->name) == nl && memcmp(f->name, name, nl) == 0) {
            return f;
        }
    }
    return NULL;
}

const char *gw_console_type(const char *name)
{
    static const struct {
        const char *ext;
        const char *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".json", "application/json"},
    };
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot != NULL && i < sizeof types / sizeof types[0]; i++) {
        if (strcmp(dot, types[i].ext) == 0) {
            return types[i].type;
        }
    }
    return "application/octet-stream";
}
