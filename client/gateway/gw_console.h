/* gw_console: the operator console's static files, embedded in the binary.
 *
 * The files of client/gateway/console/ (index.html, console.css, the UI
 * module console.js and the API module api.js) are compiled into
 * slot-gateway by console/embed.sh (a generated C file, the table below),
 * and served under /console without a token: the page holds no data, and
 * every API call it makes carries the admin token the operator types in,
 * through the same /v1 routes the channels use. Pure: no I/O, no
 * allocation.
 */
#ifndef GW_CONSOLE_H
#define GW_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

struct gw_console_file {
    const char *name; /* base name: "index.html" */
    const unsigned char *data;
    size_t len;
};

/* The embedded files, ended by an entry whose name is NULL (generated). */
extern const struct gw_console_file gw_console_files[];

/* The headers every console response carries (besides Content-Type): the
 * page may load only its own files and talk only to its own origin; no
 * inline script or style, no framing, no sniffing. */
#define GW_CONSOLE_CSP                                                         \
    "default-src 'self'; script-src 'self'; style-src 'self'; "                \
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; "            \
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
#define GW_CONSOLE_CACHE "no-cache"

/* Is this request path (raw, a query string allowed) the console's:
 * "/console", or "/console/" followed by anything? */
bool gw_console_path(const char *path, size_t len);

/* The file a console path names ("/console" and "/console/":
 * index.html; "/console/NAME": NAME, matched exactly, no escapes, no
 * subdirectories), or NULL. Precondition: gw_console_path(path, len). */
const struct gw_console_file *gw_console_find(const char *path, size_t len);

/* The Content-Type of a file by its name's extension (static string). */
const char *gw_console_type(const char *name);

#endif /* GW_CONSOLE_H */
