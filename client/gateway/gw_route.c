/* gw_route: route table and matcher (see gw_route.h). */
#include "gw_route.h"

#include <string.h>

const struct gw_route gw_routes[GW_R_COUNT] = {
    {GW_R_NONE, "", "", "unmatched", GW_ACCESS_PUBLIC, 404, 0, ""},
    {GW_R_POOL_CREATE, "POST", "/v1/pools", "create_pool", GW_ACCESS_ADMIN, 201,
     1, "Create a pool of appointment slots"},
    {GW_R_POOL_GET, "GET", "/v1/pools/{pool}", "get_pool", GW_ACCESS_ANY, 200,
     0, "Read a pool's counters (linearizable)"},
    {GW_R_POOL_CLOSE, "POST", "/v1/pools/{pool}/close", "close_pool",
     GW_ACCESS_ADMIN, 200, 0, "Close a pool to new holds"},
    {GW_R_HOLD_CREATE, "POST", "/v1/pools/{pool}/holds", "create_hold",
     GW_ACCESS_CHANNEL, 201, 1,
     "Hold one slot for a patient through the token's channel"},
    {GW_R_PATIENT_GET, "GET", "/v1/pools/{pool}/patients/{patient}",
     "get_patient_claim", GW_ACCESS_ANY, 200, 0,
     "The patient's active hold or booking in a pool (to resolve an unknown "
     "outcome)"},
    {GW_R_HOLD_GET, "GET", "/v1/holds/{hold}", "get_hold", GW_ACCESS_ANY, 200,
     0, "Read a hold (any state)"},
    {GW_R_HOLD_CONFIRM, "POST", "/v1/holds/{hold}/confirm", "confirm_hold",
     GW_ACCESS_CHANNEL, 200, 0,
     "Confirm (book) a hold: after payment (payment_ref), or without one for "
     "a pool paid at the visit"},
    {GW_R_HOLD_RELEASE, "DELETE", "/v1/holds/{hold}", "release_hold",
     GW_ACCESS_ANY, 200, 0, "Release a hold"},
    {GW_R_BOOKING_GET, "GET", "/v1/bookings/{booking}", "get_booking",
     GW_ACCESS_ANY, 200, 0, "Read a booking"},
    {GW_R_BOOKING_CANCEL, "POST", "/v1/bookings/{booking}/cancel",
     "cancel_booking", GW_ACCESS_ANY, 200, 0, "Cancel a booking"},
    {GW_R_HEALTHZ, "GET", "/healthz", "healthz", GW_ACCESS_PUBLIC, 200, 0,
     "Cluster reachable and a leader confirmed (a linearizable read)"},
    {GW_R_METRICS, "GET", "/metrics", "metrics", GW_ACCESS_PUBLIC, 200, 0,
     "Prometheus text metrics"},
    {GW_R_OPENAPI, "GET", "/openapi.json", "openapi", GW_ACCESS_PUBLIC, 200, 0,
     "This API's OpenAPI 3 document"},
    {GW_R_POOL_QUERY, "GET", "/v1/pools", "list_pools", GW_ACCESS_ANY, 200, 0,
     "One page of a hospital's pools, by department, doctor, dates and kind "
     "(linearizable, or any node's state with stale=1)"},
    {GW_R_SCHEDULE_IMPORT, "POST", "/v1/schedules", "import_schedule",
     GW_ACCESS_ADMIN, 201, 1,
     "Create a schedule's pools from a template, all or none (dry_run=1: "
     "what it would do)"},
    {GW_R_RULES_GET, "GET", "/v1/hospitals/{hospital}/rules", "get_rules",
     GW_ACCESS_ANY, 200, 0,
     "The rules in force for a hospital or one of its departments"},
    {GW_R_RULES_SET, "PUT", "/v1/hospitals/{hospital}/rules", "set_rules",
     GW_ACCESS_ADMIN, 200, 1,
     "Set a hospital's rules, or one department's, recording who and why"},
    {GW_R_RULES_LOG, "GET", "/v1/hospitals/{hospital}/rules/log",
     "get_rules_log", GW_ACCESS_ANY, 200, 0,
     "A hospital's rule changes, oldest first"},
    {GW_R_PATIENT_LOOKUP, "POST", "/v1/pools/{pool}/patients/lookup",
     "lookup_patient_claim", GW_ACCESS_ANY, 200, 1,
     "The active hold or booking in a pool of the patient the body names "
     "(by id_type and id_number: the number stays out of the URL and the "
     "access log); a read"},
    {GW_R_ACCOUNT_BIND, "POST", "/v1/accounts/{account}/patients",
     "bind_patient", GW_ACCESS_ANY, 200, 1,
     "Bind a patient to an account (the channel's user): at most 4 patients "
     "per account, one account per patient"},
    {GW_R_ACCOUNT_UNBIND, "DELETE", "/v1/accounts/{account}/patients/{patient}",
     "unbind_patient", GW_ACCESS_ANY, 200, 0,
     "Unbind a patient from an account (changes are limited per window)"},
    {GW_R_ACCOUNT_GET, "GET", "/v1/accounts/{account}", "get_account",
     GW_ACCESS_ANY, 200, 0, "An account's bound patients and its changes"},
    {GW_R_PATIENT_INFO, "GET", "/v1/patients/{patient}", "get_patient",
     GW_ACCESS_ANY, 200, 0,
     "A patient's record: active claims across pools, violations, standing "
     "(warning, blacklist) per hospital, cancellations"},
    {GW_R_PATIENT_INFO_LOOKUP, "POST", "/v1/patients/lookup", "lookup_patient",
     GW_ACCESS_ANY, 200, 1,
     "The record of the patient the body names (by id_type and id_number: "
     "the number stays out of the URL); a read"},
    {GW_R_VIOLATION, "POST", "/v1/hospitals/{hospital}/violations",
     "add_violation", GW_ACCESS_ADMIN, 200, 1,
     "Record a patient's violation (a no-show, or another with its reason); "
     "at the hospital's threshold the patient is blacklisted"},
    {GW_R_UNBLOCK, "POST", "/v1/hospitals/{hospital}/unblock",
     "unblock_patient", GW_ACCESS_ADMIN, 200, 1,
     "Lift a patient's blacklist at a hospital and forget the violations "
     "there"},
    {GW_R_EXCEPTION, "POST", "/v1/hospitals/{hospital}/exceptions",
     "add_exception", GW_ACCESS_ADMIN, 200, 1,
     "Let a blacklisted patient's next hold at a hospital through"},
    {GW_R_STAFF_LOG, "GET", "/v1/staff-log", "get_staff_log", GW_ACCESS_ADMIN,
     200, 0, "The violations, unblocks and exceptions staff recorded"},
    {GW_R_WAITLIST_JOIN, "POST", "/v1/pools/{pool}/waitlist", "join_waitlist",
     GW_ACCESS_CHANNEL, 201, 1,
     "Put a patient on a sold-out pool's waitlist: a slot a cancel frees is "
     "offered to its head as a hold"},
    {GW_R_WAITLIST_LEAVE, "DELETE", "/v1/pools/{pool}/waitlist/{patient}",
     "leave_waitlist", GW_ACCESS_ANY, 200, 0,
     "Take a patient off a pool's waitlist"},
    {GW_R_WAITLIST_GET, "GET", "/v1/pools/{pool}/waitlist/{patient}",
     "get_waitlist_position", GW_ACCESS_ANY, 200, 0,
     "A patient's position on a pool's waitlist"},
    {GW_R_WAITLIST_LOOKUP, "POST", "/v1/pools/{pool}/waitlist/lookup",
     "lookup_waitlist_position", GW_ACCESS_ANY, 200, 1,
     "The waitlist position of the patient the body names (by id_type and "
     "id_number); a read"},
    {GW_R_POOL_STOP, "POST", "/v1/pools/{pool}/stop", "stop_pool",
     GW_ACCESS_ADMIN, 200, 1,
     "Stop a clinic (the doctor's stoppage), for good: no new holds or "
     "payments; its bookings are moved or cancelled for a refund"},
    {GW_R_POOL_CLAIMS, "GET", "/v1/pools/{pool}/claims", "list_pool_claims",
     GW_ACCESS_ADMIN, 200, 0,
     "One page of a pool's claims (any state the ledger still knows), by id: "
     "a stopped clinic's patients to tell"},
    {GW_R_BOOKING_MOVE, "POST", "/v1/bookings/{booking}/move", "move_booking",
     GW_ACCESS_ANY, 200, 1,
     "Move a booking of a stopped clinic to another clinic of the same "
     "hospital, department and kind (a new booking id and visit number)"},
    {GW_R_BOOKING_CHECKIN, "POST", "/v1/bookings/{booking}/checkin",
     "checkin_booking", GW_ACCESS_ANY, 200, 1,
     "Check a booking's patient in for the visit, within the hospital's "
     "check-in window"},
    {GW_R_EVENTS, "GET", "/v1/events", "get_events", GW_ACCESS_ANY, 200, 0,
     "The ledger's events after a cursor that the token may see (long poll: "
     "wait_ms for the first one)"},
    {GW_R_EVENTS_STREAM, "GET", "/v1/events/stream", "stream_events",
     GW_ACCESS_ANY, 200, 0,
     "The same events as Server-Sent Events (text/event-stream), resumable "
     "by Last-Event-ID"},
    {GW_R_RECONCILIATION, "GET", "/v1/reconciliation", "get_reconciliation",
     GW_ACCESS_ANY, 200, 0,
     "A local day's reconciliation: the feed's payment lines (a channel "
     "token: its own), their sums against the ledger's counters, and the "
     "day's statistics (CSV or JSON)"},
    {GW_R_STATS, "GET", "/v1/stats", "get_stats", GW_ACCESS_ANY, 200, 0,
     "Booking statistics per visit day, hospital and department, with the "
     "booking rate"},
    {GW_R_CONSOLE, "GET", "/console", "console", GW_ACCESS_PUBLIC, 200, 0,
     "The operator console (a single page; also /console/): its API calls "
     "carry the admin token the operator types in"},
    {GW_R_CONSOLE_ASSET, "GET", "/console/{asset}", "console_asset",
     GW_ACCESS_PUBLIC, 200, 0,
     "One of the console's static files (console.css, console.js, api.js)"},
};

static int hexVal(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

long gw_pct_decode(const char *src, size_t len, char *dst, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = src[i];
        if (c == '%') {
            if (i + 2 >= len) {
                return -1;
            }
            int h = hexVal(src[i + 1]);
            int l = hexVal(src[i + 2]);
            if (h < 0 || l < 0) {
                return -1;
            }
            c = (char)(h * 16 + l);
            i += 2;
        }
        if (o + 1 >= cap) {
            return -2;
        }
        dst[o++] = c;
    }
    if (o >= cap) {
        return -2; /* no room for the NUL (cap 0, an empty source) */
    }
    dst[o] = '\0';
    return (long)o;
}

long gw_pct_encode(const char *s, size_t len, char *dst, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '_' || c == '.' ||
                    c == '~' || c == '-';
        size_t need = plain ? 1 : 3;
        if (o + need + 1 > cap) {
            return -1;
        }
        if (plain) {
            dst[o++] = (char)c;
        } else {
            dst[o++] = '%';
            dst[o++] = hex[c >> 4];
            dst[o++] = hex[c & 15];
        }
    }
    if (o >= cap) {
        return -1; /* no room for the NUL (cap 0, an empty source) */
    }
    dst[o] = '\0';
    return (long)o;
}

struct seg {
    const char *p;
    size_t len;
};

/* Splits "/a/b/c" into segments; false if it does not start with '/' or
 * has more than GW_SEGMENTS_MAX segments. */
static int splitPath(const char *path, size_t len, struct seg *segs, int *n)
{
    if (len == 0 || path[0] != '/') {
        return 0;
    }
    *n = 0;
    size_t start = 1;
    for (size_t i = 1; i <= len; i++) {
        if (i == len || path[i] == '/') {
            if (*n == GW_SEGMENTS_MAX) {
                return 0;
            }
            segs[*n].p = path + start;
            segs[*n].len = i - start;
            (*n)++;
            start = i + 1;
        }
    }
    return 1;
}

/* Does the template's path shape match the segments? Literal segments
 * compare raw (they contain no escapes); parameters match any non-empty
 * segment. */
/* Matching compares raw segments and decodes only the parameters of the
 * route that matched: a literal never contains '%', and a bad escape in a
 * path no route has is a plain 404. */
static int shapeMatches(const char *tpl, const struct seg *segs, int n)
{
    struct seg t[GW_SEGMENTS_MAX];
    int tn;
    if (!splitPath(tpl, strlen(tpl), t, &tn) || tn != n) {
        return 0;
    }
    for (int i = 0; i < n; i++) {
        if (segs[i].len == 0) {
            return 0;
        }
        if (t[i].p[0] == '{') {
            continue;
        }
        if (t[i].len != segs[i].len ||
            memcmp(t[i].p, segs[i].p, t[i].len) != 0) {
            return 0;
        }
    }
    return 1;
}

int gw_route_match(const char *method, size_t method_len, const char *path,
                   size_t path_len, struct gw_match *m)
{
    memset(m, 0, sizeof *m);
    const char *q = memchr(path, '?', path_len);
    if (q != NULL) {
        path_len = (size_t)(q - path);
    }
    struct seg segs[GW_SEGMENTS_MAX];
    int n;
    if (!splitPath(path, path_len, segs, &n)) {
        return GW_MATCH_NOT_FOUND;
    }
    int found = 0;
    for (int r = 1; r < GW_R_COUNT; r++) {
        const struct gw_route *rt = &gw_routes[r];
        if (!shapeMatches(rt->path, segs, n)) {
            continue;
        }
        if (strlen(rt->method) != method_len ||
            memcmp(rt->method, method, method_len) != 0) {
            size_t al = strlen(m->allow);
            if (al + strlen(rt->method) + 3 < sizeof m->allow) {
                strcpy(m->allow + al, al > 0 ? ", " : "");
                strcat(m->allow, rt->method);
            }
            found = 1;
            continue;
        }
        /* Decode the parameters in template order. */
        struct seg t[GW_SEGMENTS_MAX];
        int tn;
        splitPath(rt->path, strlen(rt->path), t, &tn);
        for (int i = 0; i < n; i++) {
            if (t[i].p[0] != '{') {
                continue;
            }
            long dl = gw_pct_decode(segs[i].p, segs[i].len,
                                    m->params[m->n_params], GW_PARAM_MAX + 1);
            if (dl == -1) {
                return GW_MATCH_BAD_ENCODING;
            }
            if (dl < 0) {
                return GW_MATCH_PARAM_TOO_LONG;
            }
            m->len[m->n_params++] = (size_t)dl;
        }
        m->route = r;
        return GW_MATCH_OK;
    }
    return found ? GW_MATCH_BAD_METHOD : GW_MATCH_NOT_FOUND;
}
