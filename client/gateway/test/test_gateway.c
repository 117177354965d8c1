/* test_gateway: slot-gateway over real HTTP sockets against a real 3-node
 * slotd cluster.
 *
 * main() starts one cluster (node/testlib/tcluster.h) and one gateway (the
 * slot-gateway next to this binary, so the asan suite tests the asan
 * gateway) on free ports; every test (a forked child, check.h) talks HTTP
 * to it with its own pools and patients. Tests that need more gateways or
 * kill nodes start their own. Every gateway is a struct proc
 * (node/testlib/proc.h), stopped by its pid: it must exit 0 on SIGTERM
 * within a bound, its exit status read by waitpid, and its log must hold
 * no sanitizer report (gatewayStop); main() judges the shared one after the
 * last test. Every wait is bounded; no assertion depends on how fast the
 * machine is.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "gw_ident.h"
#include "tclock.h"
#include "libslot.h"
#include "libslotInt.h"
#include "tcluster.h"
#include "tgateway.h"
#include "thosts.h"
#include "http.h"

#define TOK_APP   "tok-app-00000001"
#define TOK_114   "tok-114-00000001"
#define TOK_WIN   "tok-window-000001"
#define TOK_ADMIN "tok-admin-0000001"

/* Gateway limits of the shared gateway (the tests rely on them). */
#define GW_INFLIGHT_MAX 8
#define GW_BODY_MAX     1024
#define GW_HEADERS_MAX  2048
#define GW_RATE         1
#define GW_BURST        3

/* Bounds (never performance claims: set far above what a slow, busy
 * machine needs). */
#define GW_START_MS 30000 /* from spawn to serving /healthz */
#define WAIT_MS     30000 /* any other wait for something to happen */
/* From SIGTERM to exit: the gateway waits for requests in flight (at most
 * request_timeout_ms + 1 s, 6 s here) and must then exit 0. */
#define GW_STOP_MS 30000

static struct tcluster cluster;
static struct tgateway gw;

/* ---- helpers ------------------------------------------------------------- */

/* Does the file hold this text (in one line)? */
static bool fileHas(const char *path, const char *text)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return false;
    }
    char line[1024];
    bool found = false;
    while (!found && fgets(line, sizeof line, f) != NULL) {
        found = strstr(line, text) != NULL;
    }
    fclose(f);
    return found;
}

/* Lines of the file holding this text. */
static int fileCount(const char *path, const char *text)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return 0;
    }
    char line[1024];
    int n = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        n += strstr(line, text) != NULL;
    }
    fclose(f);
    return n;
}

/* Writes the configuration of a gateway for cluster t on port and starts
 * it (not waiting). limits_json: extra "limits" members; top_json: extra
 * top-level members ("\"key\":value," or ""). */
static int gatewaySpawn(struct tgateway *g, const struct tcluster *t,
                        const char *limits_json, int port, const char *top_json)
{
    static int seq;
    char name[64];
    snprintf(name, sizeof name, "gw-%d-%d-%d", port, (int)getpid(), ++seq);
    const struct tgateway_config c = {
        .cluster = t->cluster,
        .tokens = "\"" TOK_APP "\":\"app\",\"" TOK_114 "\":\"114\",\"" TOK_WIN
                  "\":\"window\",\"" TOK_ADMIN "\":\"admin\"",
        .top = top_json,
        .limits = limits_json,
    };
    return tgateway_spawn(g, t->dir, name, port, &c);
}

/* Waits (bounded) until the gateway says it listens: it has bound and
 * listens on its port, so the kernel queues connections for it. -1 if it
 * exited or did not get there in time. */
static int gatewayListening(struct tgateway *g)
{
    long long until = tclock_mono_ms() + GW_START_MS;
    while (!fileHas(g->log, "slot-gateway: listening on")) {
        if (proc_exited(&g->p) || tclock_mono_ms() >= until) {
            fprintf(stderr, "gateway did not start listening (see %s)\n",
                    g->log);
            return -1;
        }
        tclock_sleep_ms(20);
    }
    return 0;
}

/* GET /healthz on fresh connections until one answers 200 (bounded). */
static int healthyOn(int port, struct proc *p)
{
    long long until = tclock_mono_ms() + GW_START_MS;
    while (tclock_mono_ms() < until && (p == NULL || !proc_exited(p))) {
        struct tconn c = {.fd = -1, .port = port};
        struct tresp r;
        int st = treq(&c, "GET", "/healthz", NULL, NULL, NULL, &r);
        tresp_free(&r);
        tconn_close(&c);
        if (st == 200) {
            return 0;
        }
        tclock_sleep_ms(50);
    }
    return -1;
}

/* Starts a gateway on port and waits until it listens and its /healthz
 * answers 200 (the cluster reachable through it). port 0: a free port,
 * and if another process takes it before the gateway binds it, again
 * with another (bounded). */
static int gatewayStartOn(struct tgateway *g, const struct tcluster *t,
                          const char *limits_json, int port,
                          const char *top_json)
{
    for (int attempt = 0; attempt < 3; attempt++) {
        int p = port;
        if (p == 0 && proc_free_ports(&p, 1) != 0) {
            return -1;
        }
        if (gatewaySpawn(g, t, limits_json, p, top_json) != 0) {
            return -1;
        }
        if (gatewayListening(g) == 0) {
            if (healthyOn(p, &g->p) == 0) {
                return 0;
            }
            fprintf(stderr, "gateway not healthy in time (see %s)\n", g->log);
            return -1;
        }
        if (port != 0 || !fileHas(g->log, "address already in use")) {
            return -1;
        }
        fprintf(stderr, "port %d was taken meanwhile: another\n", p);
    }
    return -1;
}

static int gatewayStart(struct tgateway *g, const struct tcluster *t,
                        const char *limits_json)
{
    return gatewayStartOn(g, t, limits_json, 0, "");
}

/* Stops a gateway by its pid (SIGTERM unless sent already) and judges its
 * end: it must exit with status 0 within GW_STOP_MS (status read by
 * waitpid), and its log must hold no sanitizer report or failed
 * assertion. Returns 0, or -1 with the reason on stderr. */
static int gatewayStop(struct tgateway *g)
{
    char why[600];
    if (proc_stop(&g->p, GW_STOP_MS, why, sizeof why) != 0) {
        fprintf(stderr, "gateway on port %d: %s\n", g->port, why);
        return -1;
    }
    if (proc_log_problem(g->log, why, sizeof why) != 0) {
        fprintf(stderr, "gateway on port %d: %s\n", g->port, why);
        return -1;
    }
    return 0;
}

static struct slotc_sync *syncOpen(const struct tcluster *t)
{
    struct slotc_options o;
    slotc_options_init(&o);
    o.cluster = t->cluster;
    struct slotc_sync *s = NULL;
    CHECK(slotc_sync_open(&o, &s) == SLOT_OK);
    return s;
}

/* What "nothing changed in the ledger" compares. */
struct lsnap {
    uint32_t pools, patients, channels, holds, bookings;
};

static struct lsnap ledgerSnap(void)
{
    struct slotc_sync *s = syncOpen(&cluster);
    struct slotc_req q;
    slotc_req_init(&q);
    CHECK_EQ(slotc_sync_read_ledger(s, &q), SLOT_OK);
    struct lsnap l = {q.out.ledger->pools, q.out.ledger->patients,
                      q.out.ledger->channels, q.out.ledger->holds_active,
                      q.out.ledger->bookings_active};
    slotc_sync_close(s);
    return l;
}

static void checkSameLedger(struct lsnap a)
{
    struct lsnap b = ledgerSnap();
    CHECK_EQ(a.pools, b.pools);
    CHECK_EQ(a.patients, b.patients);
    CHECK_EQ(a.channels, b.channels);
    CHECK_EQ(a.holds, b.holds);
    CHECK_EQ(a.bookings, b.bookings);
}

/* One request on a fresh connection; returns the status, fills r. */
static int call1(const char *method, const char *path, const char *token,
                 const char *body, struct tresp *r)
{
    struct tconn c;
    c.fd = -1;
    c.port = gw.port;
    c.len = 0;
    int st = treq(&c, method, path, token, NULL, body, r);
    tconn_close(&c);
    return st;
}

/* Expects status and error code (code NULL: no error body expected). */
static void expect(const char *method, const char *path, const char *token,
                   const char *body, int status, const char *code)
{
    struct tresp r;
    int st = call1(method, path, token, body, &r);
    if (st != status || (code != NULL && strcmp(tresp_code(&r), code) != 0)) {
        fprintf(stderr, "%s %s %s -> %d %s (want %d %s)\n", method, path,
                body != NULL ? body : "", st, r.body != NULL ? r.body : "",
                status, code != NULL ? code : "");
    }
    CHECK_EQ(st, status);
    if (code != NULL) {
        CHECK_STR(tresp_code(&r), code);
        /* Every error has a message too. */
        json_t *e = json_object_get(r.json, "error");
        CHECK(json_is_string(json_object_get(e, "message")));
    }
    tresp_free(&r);
}

static void createPool(const char *body)
{
    expect("POST", "/v1/pools", TOK_ADMIN, body, 201, NULL);
}

/* POST hold; returns the hold id (or -status). */
static long long hold(const char *pool_enc, const char *patient,
                      const char *token, int ttl_ms)
{
    char path[256], body[256];
    snprintf(path, sizeof path, "/v1/pools/%s/holds", pool_enc);
    if (ttl_ms > 0) {
        snprintf(body, sizeof body, "{\"patient\":\"%s\",\"ttl_ms\":%d}",
                 patient, ttl_ms);
    } else {
        snprintf(body, sizeof body, "{\"patient\":\"%s\"}", patient);
    }
    struct tresp r;
    int st = call1("POST", path, token, body, &r);
    long long id = st == 201 ? tresp_int(&r, "hold") : -st;
    if (st == 201) {
        CHECK(id > 0);
        CHECK(tresp_int(&r, "deadline_ms") > 0);
    }
    tresp_free(&r);
    return id;
}

/* POST confirm; returns the visit number (or -status). */
static long long confirm(long long id, const char *token)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/holds/%lld/confirm", id);
    struct tresp r;
    int st = call1("POST", path, token, "{\"payment_ref\":\"pay-ok-1\"}", &r);
    long long v = -st;
    if (st == 200) {
        CHECK_EQ(tresp_int(&r, "booking"), id);
        v = tresp_int(&r, "visit_no");
    }
    tresp_free(&r);
    return v;
}

/* GET /v1/pools/P and one counter. */
static long long poolField(const char *pool_enc, const char *field)
{
    char path[256];
    snprintf(path, sizeof path, "/v1/pools/%s", pool_enc);
    struct tresp r;
    CHECK_EQ(call1("GET", path, TOK_APP, NULL, &r), 200);
    long long v = tresp_int(&r, field);
    tresp_free(&r);
    return v;
}

static const char *claimState(const char *kind, long long id, const char *token)
{
    static char state[32];
    char path[64];
    snprintf(path, sizeof path, "/v1/%s/%lld", kind, id);
    struct tresp r;
    int st = call1("GET", path, token, NULL, &r);
    snprintf(state, sizeof state, "%d", st);
    if (st == 200) {
        json_t *s = json_object_get(r.json, "state");
        snprintf(state, sizeof state, "%s",
                 json_is_string(s) ? json_string_value(s) : "?");
    }
    tresp_free(&r);
    return state;
}

/* Percent-encodes s for a query string (every byte outside
 * [A-Za-z0-9_.~-]). */
static void gw_pct_encode_t(const char *s, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (; *s != '\0' && o + 4 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '~' ||
            c == '-') {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
}

/* ---- the booking flow ---------------------------------------------------- */

static void test_flow(void)
{
    createPool("{\"pool\":\"PUMCH/east/cardio/dr-wang/AM\",\"capacity\":5,"
               "\"kind\":\"expert\",\"fee_cents\":10000,"
               "\"segment\":{\"start_ms\":1000,\"end_ms\":2000},"
               "\"release_at_ms\":0,\"channels\":{\"114\":2,\"app\":2}}");
    const char *p = "PUMCH%2Feast%2Fcardio%2Fdr-wang%2FAM";
    struct tresp r;
    CHECK_EQ(call1("GET", "/v1/pools/PUMCH%2Feast%2Fcardio%2Fdr-wang%2FAM",
                   TOK_114, NULL, &r),
             200);
    CHECK_STR(json_string_value(json_object_get(r.json, "pool")),
              "PUMCH/east/cardio/dr-wang/AM");
    CHECK_EQ(tresp_int(&r, "capacity"), 5);
    CHECK_EQ(tresp_int(&r, "free"), 5);
    CHECK_EQ(tresp_int(&r, "held"), 0);
    CHECK_EQ(tresp_int(&r, "booked"), 0);
    CHECK_STR(json_string_value(json_object_get(r.json, "state")), "open");
    CHECK_STR(json_string_value(json_object_get(r.json, "kind")), "expert");
    json_t *ch = json_object_get(r.json, "channels");
    CHECK_EQ(json_integer_value(
                 json_object_get(json_object_get(ch, "114"), "capacity")),
             2);
    CHECK_EQ(
        json_integer_value(json_object_get(json_object_get(ch, "app"), "free")),
        2);
    tresp_free(&r);

    long long h1 = hold(p, "patient-flow-01", TOK_APP, 0);
    CHECK(h1 > 0);
    CHECK_EQ(poolField(p, "held"), 1);
    char path[128];
    snprintf(path, sizeof path, "/v1/holds/%lld", h1);
    CHECK_EQ(call1("GET", path, TOK_APP, NULL, &r), 200);
    CHECK_STR(json_string_value(json_object_get(r.json, "state")), "held");
    CHECK_STR(json_string_value(json_object_get(r.json, "channel")), "app");
    CHECK_STR(json_string_value(json_object_get(r.json, "patient")),
              "patient-flow-01");
    CHECK_EQ(tresp_int(&r, "hold"), h1);
    tresp_free(&r);

    CHECK_EQ(confirm(h1, TOK_APP), 1);
    long long h2 = hold(p, "patient-flow-02", TOK_114, 60000);
    CHECK(h2 > h1);
    CHECK_EQ(confirm(h2, TOK_114), 2);

    snprintf(path, sizeof path, "/v1/bookings/%lld", h2);
    CHECK_EQ(call1("GET", path, TOK_114, NULL, &r), 200);
    CHECK_STR(json_string_value(json_object_get(r.json, "state")), "booked");
    CHECK_EQ(tresp_int(&r, "booking"), h2);
    CHECK_EQ(tresp_int(&r, "visit_no"), 2);
    CHECK_STR(json_string_value(json_object_get(r.json, "payment_ref")),
              "pay-ok-1");
    tresp_free(&r);

    CHECK_EQ(call1("GET",
                   "/v1/pools/PUMCH%2Feast%2Fcardio%2Fdr-wang%2FAM/patients/"
                   "patient-flow-01",
                   TOK_APP, NULL, &r),
             200);
    CHECK_EQ(tresp_int(&r, "hold"), h1);
    CHECK_STR(json_string_value(json_object_get(r.json, "state")), "booked");
    tresp_free(&r);
    expect("GET",
           "/v1/pools/PUMCH%2Feast%2Fcardio%2Fdr-wang%2FAM/patients/"
           "patient-nobody-1",
           TOK_APP, NULL, 404, "UNKNOWN_HOLD");

    CHECK_EQ(poolField(p, "booked"), 2);
    CHECK_EQ(poolField(p, "free"), 3);
    /* A second hold of the same patient in the same pool. */
    CHECK_EQ(hold(p, "patient-flow-01", TOK_APP, 0), -409);
}

static void test_keepalive_and_location(void)
{
    createPool("{\"pool\":\"ka-pool\",\"capacity\":10}");
    struct tconn c = {.fd = -1, .port = gw.port};
    struct tresp r;
    for (int i = 0; i < 5; i++) {
        char body[64];
        snprintf(body, sizeof body, "{\"patient\":\"patient-ka-%04d\"}", i);
        CHECK_EQ(treq(&c, "POST", "/v1/pools/ka-pool/holds", TOK_WIN, NULL,
                      body, &r),
                 201);
        char loc[64], want[64];
        CHECK(tresp_header(&r, "location", loc, sizeof loc) != NULL);
        snprintf(want, sizeof want, "/v1/holds/%lld", tresp_int(&r, "hold"));
        CHECK_STR(loc, want);
        char ct[64];
        CHECK(tresp_header(&r, "content-type", ct, sizeof ct) != NULL);
        CHECK_STR(ct, "application/json");
        tresp_free(&r);
    }
    tconn_close(&c);
    CHECK_EQ(poolField("ka-pool", "held"), 5);
}

static void test_sold_out(void)
{
    createPool("{\"pool\":\"so-pool\",\"capacity\":2}");
    CHECK(hold("so-pool", "patient-so-0001", TOK_APP, 0) > 0);
    CHECK(hold("so-pool", "patient-so-0002", TOK_114, 0) > 0);
    struct lsnap before = ledgerSnap();
    expect("POST", "/v1/pools/so-pool/holds", TOK_WIN,
           "{\"patient\":\"patient-so-0003\"}", 409, "SOLD_OUT");
    checkSameLedger(before);
    CHECK_EQ(poolField("so-pool", "free"), 0);
    CHECK_EQ(poolField("so-pool", "held"), 2);
}

static void test_channel_share_sold_out(void)
{
    /* 114 owns the only slot: app cannot take it. */
    createPool(
        "{\"pool\":\"share-pool\",\"capacity\":1,\"channels\":{\"114\":1}}");
    expect("POST", "/v1/pools/share-pool/holds", TOK_APP,
           "{\"patient\":\"patient-sh-0001\"}", 409, "SOLD_OUT");
    CHECK(hold("share-pool", "patient-sh-0002", TOK_114, 0) > 0);
}

static void test_expiry(void)
{
    createPool("{\"pool\":\"exp-pool\",\"capacity\":1}");
    long long h = hold("exp-pool", "patient-exp-001", TOK_APP, 300);
    CHECK(h > 0);
    CHECK_EQ(poolField("exp-pool", "free"), 0);
    tclock_sleep_ms(400);
    /* After the deadline a confirm is refused even before the sweep. */
    CHECK_EQ(confirm(h, TOK_APP), -410);
    long long until = tclock_mono_ms() + WAIT_MS;
    while (strcmp(claimState("holds", h, TOK_APP), "expired") != 0 &&
           tclock_mono_ms() < until) {
        tclock_sleep_ms(50);
    }
    CHECK_STR(claimState("holds", h, TOK_APP), "expired");
    char path[64];
    snprintf(path, sizeof path, "/v1/holds/%lld/confirm", h);
    expect("POST", path, TOK_APP, "{\"payment_ref\":\"late\"}", 410,
           "HOLD_EXPIRED");
    snprintf(path, sizeof path, "/v1/holds/%lld", h);
    expect("DELETE", path, TOK_APP, NULL, 410, "HOLD_EXPIRED");
    /* The slot came back (after the ledger's cool-down, if any). */
    until = tclock_mono_ms() + WAIT_MS;
    while (poolField("exp-pool", "free") != 1 && tclock_mono_ms() < until) {
        tclock_sleep_ms(50);
    }
    CHECK_EQ(poolField("exp-pool", "held"), 0);
    CHECK(hold("exp-pool", "patient-exp-002", TOK_APP, 0) > 0);
}

static void test_ttl_out_of_range(void)
{
    createPool("{\"pool\":\"ttl-pool\",\"capacity\":1}");
    struct lsnap before = ledgerSnap();
    expect("POST", "/v1/pools/ttl-pool/holds", TOK_APP,
           "{\"patient\":\"patient-ttl-001\",\"ttl_ms\":90000000}", 400,
           "TTL_OUT_OF_RANGE");
    checkSameLedger(before);
}

static void test_cancel(void)
{
    createPool("{\"pool\":\"cx-pool\",\"capacity\":2}");
    long long h = hold("cx-pool", "patient-cx-0001", TOK_APP, 0);
    CHECK_EQ(confirm(h, TOK_APP), 1);
    char path[64];
    snprintf(path, sizeof path, "/v1/bookings/%lld/cancel", h);
    struct tresp r;
    CHECK_EQ(call1("POST", path, TOK_APP, NULL, &r), 200);
    CHECK_EQ(tresp_int(&r, "booking"), h);
    CHECK_STR(json_string_value(json_object_get(r.json, "state")), "cancelled");
    tresp_free(&r);
    expect("POST", path, TOK_APP, "{}", 409, "ALREADY_CANCELLED");
    CHECK_STR(claimState("bookings", h, TOK_APP), "cancelled");
    CHECK_EQ(poolField("cx-pool", "booked"), 0);
    /* A hold that was never confirmed is not a booking. */
    long long h2 = hold("cx-pool", "patient-cx-0002", TOK_APP, 0);
    snprintf(path, sizeof path, "/v1/bookings/%lld/cancel", h2);
    expect("POST", path, TOK_APP, NULL, 404, "UNKNOWN_BOOKING");
    expect("POST", "/v1/bookings/999999999/cancel", TOK_APP, NULL, 404,
           "UNKNOWN_BOOKING");
}

static void test_release(void)
{
    createPool("{\"pool\":\"rl-pool\",\"capacity\":1}");
    long long h = hold("rl-pool", "patient-rl-0001", TOK_APP, 0);
    char path[64];
    snprintf(path, sizeof path, "/v1/holds/%lld", h);
    struct tresp r;
    CHECK_EQ(call1("DELETE", path, TOK_APP, NULL, &r), 200);
    CHECK_EQ(tresp_int(&r, "hold"), h);
    CHECK_STR(json_string_value(json_object_get(r.json, "state")), "released");
    tresp_free(&r);
    expect("DELETE", path, TOK_APP, NULL, 409, "ALREADY_RELEASED");
    snprintf(path, sizeof path, "/v1/holds/%lld/confirm", h);
    expect("POST", path, TOK_APP, "{\"payment_ref\":\"p\"}", 409,
           "ALREADY_RELEASED");
    expect("DELETE", "/v1/holds/987654321", TOK_APP, NULL, 404, "UNKNOWN_HOLD");
    expect("POST", "/v1/holds/987654321/confirm", TOK_APP,
           "{\"payment_ref\":\"p\"}", 404, "UNKNOWN_HOLD");
    expect("GET", "/v1/holds/987654321", TOK_APP, NULL, 404, "UNKNOWN_HOLD");
    expect("GET", "/v1/bookings/987654321", TOK_APP, NULL, 404,
           "UNKNOWN_BOOKING");
}

static void test_visit_numbers(void)
{
    createPool("{\"pool\":\"vn-pool\",\"capacity\":6}");
    long long ids[6];
    const char *toks[3] = {TOK_APP, TOK_114, TOK_WIN};
    for (int i = 0; i < 6; i++) {
        char pat[32];
        snprintf(pat, sizeof pat, "patient-vn-%04d", i);
        ids[i] = hold("vn-pool", pat, toks[i % 3], 0);
        CHECK(ids[i] > 0);
    }
    /* Visit numbers follow confirm order, not hold order. */
    for (int i = 5; i >= 0; i--) {
        CHECK_EQ(confirm(ids[i], toks[i % 3]), 6 - i);
    }
    CHECK_EQ(poolField("vn-pool", "booked"), 6);
    CHECK_EQ(poolField("vn-pool", "next_visit_no"), 7);
}

static void test_close_pool(void)
{
    createPool("{\"pool\":\"cl-pool\",\"capacity\":3}");
    long long h = hold("cl-pool", "patient-cl-0001", TOK_APP, 0);
    struct tresp r;
    CHECK_EQ(call1("POST", "/v1/pools/cl-pool/close", TOK_ADMIN, NULL, &r),
             200);
    CHECK_STR(json_string_value(json_object_get(r.json, "state")), "closed");
    tresp_free(&r);
    expect("POST", "/v1/pools/cl-pool/close", TOK_ADMIN, NULL, 409,
           "POOL_CLOSED");
    expect("POST", "/v1/pools/cl-pool/holds", TOK_APP,
           "{\"patient\":\"patient-cl-0002\"}", 409, "POOL_CLOSED");
    /* Existing holds may still be confirmed. */
    CHECK_EQ(confirm(h, TOK_APP), 1);
    char path[64];
    snprintf(path, sizeof path, "/v1/pools/%s", "cl-pool");
    CHECK_EQ(call1("GET", path, TOK_APP, NULL, &r), 200);
    CHECK_STR(json_string_value(json_object_get(r.json, "state")), "closed");
    tresp_free(&r);
}

static void test_pool_errors(void)
{
    createPool("{\"pool\":\"dup-pool\",\"capacity\":3}");
    struct lsnap before = ledgerSnap();
    expect("POST", "/v1/pools", TOK_ADMIN,
           "{\"pool\":\"dup-pool\",\"capacity\":9}", 409, "POOL_EXISTS");
    expect("GET", "/v1/pools/no-such-pool", TOK_APP, NULL, 404, "UNKNOWN_POOL");
    expect("POST", "/v1/pools/no-such-pool/holds", TOK_APP,
           "{\"patient\":\"patient-np-0001\"}", 404, "UNKNOWN_POOL");
    expect("POST", "/v1/pools/no-such-pool/close", TOK_ADMIN, NULL, 404,
           "UNKNOWN_POOL");
    checkSameLedger(before);
    CHECK_EQ(poolField("dup-pool", "capacity"), 3);
}

static void test_not_released(void)
{
    /* release_at_ms far in the future: scheduled, holds refused. */
    createPool("{\"pool\":\"sched-pool\",\"capacity\":3,\"release_at_ms\":"
               "9000000000000000}");
    struct tresp r;
    CHECK_EQ(call1("GET", "/v1/pools/sched-pool", TOK_APP, NULL, &r), 200);
    CHECK_STR(json_string_value(json_object_get(r.json, "state")), "scheduled");
    tresp_free(&r);
    expect("POST", "/v1/pools/sched-pool/holds", TOK_APP,
           "{\"patient\":\"patient-sc-0001\"}", 409, "NOT_RELEASED");
}

/* ---- bad input: each gets its status and code, the ledger is unchanged --- */

static void test_bad_json(void)
{
    createPool("{\"pool\":\"bad-pool\",\"capacity\":3}");
    struct lsnap before = ledgerSnap();
    const char *hp = "/v1/pools/bad-pool/holds";
    static const char *const malformed[] = {
        "{\"patient\":",                 /* truncated */
        "{patient:\"patient-bad-001\"}", /* not JSON */
        "[\"patient-bad-001\"]",         /* not an object */
        "\"patient-bad-001\"",           /* not an object */
        "",                              /* empty */
        "{}",                            /* missing patient */
        "{\"patient\":12345678}",        /* wrong type */
        "{\"patient\":null}",            /* wrong type */
        "{\"patient\":\"patient-bad-001\",\"ttl_ms\":\"5\"}",    /* wrong
                                                                    type */
        "{\"patient\":\"patient-bad-001\",\"ttl_ms\":1.5}",      /* not an
                                                                    integer
                                                                  */
        "{\"patient\":\"patient-bad-001\",\"channel\":\"114\"}", /* unknown
                                                                    field
                                                                  */
        "{\"patient\":\"patient-bad-001\",\"patient\":\"patient-bad-"
        "002\"}", /* dup */
        "{\"patient\":\"patient-bad-001\"} trailing",
        "{\"patient\":\"patient-\\u0000bad\"}",   /* NUL */
        "{\"patient\":\"patient-\xff\xfe-bad\"}", /* invalid UTF-8 */
        "{\"patient\":\"patient-bad-001\",\"ttl_ms\":"
        "99999999999999999999999}",
    };
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
        expect("POST", hp, TOK_APP, malformed[i], 400, "MALFORMED");
    }
    static const char *const invalid[] = {
        "{\"patient\":\"short\"}",               /* < 8 bytes */
        "{\"patient\":\"patient with spaces\"}", /* charset */
        "{\"patient\":\"patient/slash/1\"}",     /* charset */
        "{\"patient\":"
        "\"p0123456789012345678901234567890123456789012345678901234567890123\""
        "}",
        "{\"patient\":\"patient-bad-001\",\"ttl_ms\":-5}",
        "{\"patient\":\"patient-bad-001\",\"ttl_ms\":0}",
        "{\"patient\":\"patient-bad-001\",\"ttl_ms\":4294967296}",
    };
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        expect("POST", hp, TOK_APP, invalid[i], 400, "INVALID_ARGUMENT");
    }
    /* Pool definitions. */
    static const char *const badPools[][2] = {
        {"{\"capacity\":3}", "MALFORMED"},
        {"{\"pool\":\"bp-1\"}", "MALFORMED"},
        {"{\"pool\":\"bp-1\",\"capacity\":\"3\"}", "MALFORMED"},
        {"{\"pool\":\"bp-1\",\"capacity\":3,\"color\":\"red\"}", "MALFORMED"},
        {"{\"pool\":\"bp-1\",\"capacity\":3,\"segment\":{\"start_ms\":1}}",
         "MALFORMED"},
        {"{\"pool\":\"bp-1\",\"capacity\":3,\"segment\":{\"start_ms\":1,\"end_"
         "ms\":2,\"x\":1}}",
         "MALFORMED"},
        {"{\"pool\":\"bp-1\",\"capacity\":3,\"channels\":[1]}", "MALFORMED"},
        {"{\"pool\":\"bp-1\",\"capacity\":3,\"channels\":{\"114\":\"1\"}}",
         "MALFORMED"},
        {"{\"pool\":\"bp-1\",\"capacity\":3,\"kind\":7}", "MALFORMED"},
        {"{\"pool\":\"bp-1\",\"capacity\":0}", "INVALID_ARGUMENT"},
        {"{\"pool\":\"bp-1\",\"capacity\":100001}", "INVALID_ARGUMENT"},
        {"{\"pool\":\"bp 1\",\"capacity\":3}", "INVALID_ARGUMENT"},
        {"{\"pool\":\"\",\"capacity\":3}", "INVALID_ARGUMENT"},
        {"{\"pool\":\"bp-1\",\"capacity\":3,\"kind\":\"vip\"}",
         "INVALID_ARGUMENT"},
        {"{\"pool\":\"bp-1\",\"capacity\":3,\"fee_cents\":-1}",
         "INVALID_ARGUMENT"},
        {"{\"pool\":\"bp-1\",\"capacity\":3,\"segment\":{\"start_ms\":5,\"end_"
         "ms\":2}}",
         "INVALID_ARGUMENT"},
        {"{\"pool\":\"bp-1\",\"capacity\":3,\"channels\":{\"114\":4}}",
         "INVALID_ARGUMENT"},
        {"{\"pool\":\"bp-1\",\"capacity\":3,\"channels\":{\"114\":2,\"app\":2}"
         "}",
         "INVALID_ARGUMENT"},
        {"{\"pool\":\"bp-1\",\"capacity\":3,\"channels\":{\"BAD\":1}}",
         "INVALID_ARGUMENT"},
        {"{\"pool\":\"bp-1\",\"capacity\":3,\"channels\":{\"114\":0}}",
         "INVALID_ARGUMENT"},
        {"{\"pool\":\"bp-1\",\"capacity\":3,\"release_at_ms\":"
         "9007199254740993}",
         "INVALID_ARGUMENT"},
    };
    for (size_t i = 0; i < sizeof badPools / sizeof badPools[0]; i++) {
        expect("POST", "/v1/pools", TOK_ADMIN, badPools[i][0], 400,
               badPools[i][1]);
    }
    /* Confirm bodies. */
    long long h = hold("bad-pool", "patient-bad-ok1", TOK_APP, 0);
    before = ledgerSnap();
    char cp[64];
    snprintf(cp, sizeof cp, "/v1/holds/%lld/confirm", h);
    /* No reference: a free-standing pool is paid online (the ledger's
     * refusal, nothing changes). */
    expect("POST", cp, TOK_APP, "{}", 402, "PAYMENT_REQUIRED");
    expect("POST", cp, TOK_APP, NULL, 402, "PAYMENT_REQUIRED");
    expect("POST", cp, TOK_APP, "[]", 400, "MALFORMED");
    expect("POST", cp, TOK_APP, "{\"payment_ref\":42}", 400, "MALFORMED");
    expect("POST", cp, TOK_APP, "{\"payment_ref\":null}", 400, "MALFORMED");
    expect("POST", cp, TOK_APP, "{\"payment_ref\":\"a b\"}", 400,
           "INVALID_ARGUMENT");
    expect("POST", cp, TOK_APP, "{\"payment_ref\":\"\"}", 400,
           "INVALID_ARGUMENT");
    expect("POST", cp, TOK_APP, "{\"payment_ref\":\"ok\",\"amount\":5}", 400,
           "MALFORMED");
    /* Bodies where none is expected. */
    char dp[64];
    snprintf(dp, sizeof dp, "/v1/holds/%lld", h);
    expect("DELETE", dp, TOK_APP, "{\"reason\":\"x\"}", 400, "MALFORMED");
    expect("DELETE", dp, TOK_APP, "nope", 400, "MALFORMED");
    checkSameLedger(before);
    CHECK_STR(claimState("holds", h, TOK_APP), "held");
    CHECK_EQ(poolField("bad-pool", "held"), 1);
}

static void test_bad_paths(void)
{
    createPool("{\"pool\":\"path-pool\",\"capacity\":3}");
    struct lsnap before = ledgerSnap();
    expect("GET", "/v1/pools/bad%zzpool", TOK_APP, NULL, 400, "MALFORMED");
    expect("GET", "/v1/pools/bad%2", TOK_APP, NULL, 400, "MALFORMED");
    expect("GET", "/v1/pools/bad%", TOK_APP, NULL, 400, "MALFORMED");
    expect("POST", "/v1/pools/path%2pool/holds", TOK_APP,
           "{\"patient\":\"patient-pp-0001\"}", 400, "MALFORMED");
    /* Decodes to bytes a pool id may not contain. */
    expect("GET", "/v1/pools/a%20b", TOK_APP, NULL, 400, "INVALID_ARGUMENT");
    expect("GET", "/v1/pools/a%00b", TOK_APP, NULL, 400, "INVALID_ARGUMENT");
    expect("GET", "/v1/pools/a%C3%A9", TOK_APP, NULL, 400, "INVALID_ARGUMENT");
    /* Ids. */
    expect("GET", "/v1/holds/abc", TOK_APP, NULL, 400, "INVALID_ARGUMENT");
    expect("GET", "/v1/holds/0", TOK_APP, NULL, 400, "INVALID_ARGUMENT");
    expect("GET", "/v1/holds/-1", TOK_APP, NULL, 400, "INVALID_ARGUMENT");
    expect("GET", "/v1/holds/007", TOK_APP, NULL, 400, "INVALID_ARGUMENT");
    expect("GET", "/v1/holds/18446744073709551616", TOK_APP, NULL, 400,
           "INVALID_ARGUMENT");
    expect("POST", "/v1/holds/1x/confirm", TOK_APP, "{\"payment_ref\":\"p\"}",
           400, "INVALID_ARGUMENT");
    expect("GET", "/v1/pools/path-pool/patients/short", TOK_APP, NULL, 400,
           "INVALID_ARGUMENT");
    /* Unknown routes and methods. */
    expect("GET", "/", TOK_APP, NULL, 404, "NOT_FOUND");
    expect("GET", "/v2/pools/path-pool", TOK_APP, NULL, 404, "NOT_FOUND");
    expect("GET", "/v1/pools/", TOK_APP, NULL, 404, "NOT_FOUND");
    expect("GET", "/v1/pools/path-pool/", TOK_APP, NULL, 404, "NOT_FOUND");
    expect("GET", "/v1//pools", TOK_APP, NULL, 404, "NOT_FOUND");
    expect("GET", "/v1/pools/path-pool/holds/1", TOK_APP, NULL, 404,
           "NOT_FOUND");
    expect("POST", "/v1/holds", TOK_APP, "{}", 404, "NOT_FOUND");
    struct tresp r;
    CHECK_EQ(call1("PUT", "/v1/pools/path-pool", TOK_ADMIN, "{}", &r), 405);
    CHECK_STR(tresp_code(&r), "METHOD_NOT_ALLOWED");
    char allow[64];
    CHECK(tresp_header(&r, "allow", allow, sizeof allow) != NULL);
    CHECK_STR(allow, "GET");
    tresp_free(&r);
    CHECK_EQ(call1("GET", "/v1/holds/5/confirm", TOK_APP, NULL, &r), 405);
    CHECK(tresp_header(&r, "allow", allow, sizeof allow) != NULL);
    CHECK_STR(allow, "POST");
    tresp_free(&r);
    CHECK_EQ(call1("PATCH", "/v1/holds/5", TOK_APP, NULL, &r), 405);
    CHECK(tresp_header(&r, "allow", allow, sizeof allow) != NULL);
    CHECK_STR(allow, "GET, DELETE");
    tresp_free(&r);
    expect("DELETE", "/v1/pools/path-pool", TOK_ADMIN, NULL, 405,
           "METHOD_NOT_ALLOWED");
    expect("DELETE", "/v1/pools", TOK_ADMIN, NULL, 405, "METHOD_NOT_ALLOWED");
    expect("POST", "/v1/hospitals/h/rules", TOK_ADMIN, "{}", 405,
           "METHOD_NOT_ALLOWED");
    expect("GET", "/v1/hospitals/h", TOK_ADMIN, NULL, 404, "NOT_FOUND");
    checkSameLedger(before);
}

static void test_sizes(void)
{
    createPool("{\"pool\":\"size-pool\",\"capacity\":3}");
    struct lsnap before = ledgerSnap();
    /* A body over body_max_bytes but within h2o's buffer: our JSON 413. */
    size_t n = GW_BODY_MAX + 200;
    char *big = malloc(n + 64);
    snprintf(big, n + 64, "{\"patient\":\"patient-big-001\",\"x\":\"%0*d\"}",
             (int)n, 0);
    expect("POST", "/v1/pools/size-pool/holds", TOK_APP, big, 413, "TOO_LARGE");
    free(big);
    /* Far beyond: h2o refuses it itself (status 413, not JSON). */
    size_t huge = 1 << 20;
    big = malloc(huge + 64);
    snprintf(big, huge + 64, "{\"patient\":\"patient-big-001\",\"x\":\"%0*d\"}",
             (int)huge, 0);
    struct tresp r;
    int st = call1("POST", "/v1/pools/size-pool/holds", TOK_APP, big, &r);
    free(big);
    tresp_free(&r);
    CHECK(st == 413 || st == 0); /* 0: h2o closed before we finished sending */
    /* Headers over headers_max_bytes: 431. */
    size_t hn = GW_HEADERS_MAX + 100;
    char *raw = malloc(hn + 512);
    int k = snprintf(raw, hn + 512,
                     "GET /v1/pools/size-pool HTTP/1.1\r\nHost: t\r\n"
                     "Authorization: Bearer " TOK_APP "\r\nX-Filler: ");
    memset(raw + k, 'a', hn);
    k += (int)hn;
    k += snprintf(raw + k, 64, "\r\n\r\n");
    struct tconn c = {.fd = -1, .port = gw.port};
    CHECK_EQ(traw(&c, raw, (size_t)k, &r), 431);
    CHECK_STR(tresp_code(&r), "HEADERS_TOO_LARGE");
    tresp_free(&r);
    tconn_close(&c);
    free(raw);
    /* Many small headers add up too. */
    raw = malloc(8192);
    k = snprintf(raw, 8192, "GET /v1/pools/size-pool HTTP/1.1\r\nHost: t\r\n");
    for (int i = 0; i < 90; i++) {
        k += snprintf(raw + k, 8192 - (size_t)k,
                      "X-H%d: 0123456789012345678901234\r\n", i);
    }
    k += snprintf(raw + k, 8192 - (size_t)k, "\r\n");
    CHECK_EQ(traw(&c, raw, (size_t)k, &r), 431);
    tresp_free(&r);
    tconn_close(&c);
    free(raw);
    /* What h2o's HTTP/1 parser refuses before the gateway sees it (more
     * than 100 headers, a malformed request line): its own 400, the
     * connection closed. */
    raw = malloc(8192);
    k = snprintf(raw, 8192, "GET /v1/pools/size-pool HTTP/1.1\r\nHost: t\r\n");
    for (int i = 0; i < 120; i++) {
        k += snprintf(raw + k, 8192 - (size_t)k, "X-%d: a\r\n", i);
    }
    k += snprintf(raw + k, 8192 - (size_t)k, "\r\n");
    CHECK_EQ(traw(&c, raw, (size_t)k, &r), 400);
    tresp_free(&r);
    tconn_close(&c);
    free(raw);
    CHECK_EQ(traw(&c, "BLAH\r\n\r\n", 8, &r), 400);
    tresp_free(&r);
    tconn_close(&c);
    /* A path parameter too long (pool ids are at most 64 bytes). */
    char path[512];
    k = snprintf(path, sizeof path, "/v1/pools/");
    memset(path + k, 'p', 65);
    path[k + 65] = '\0';
    expect("GET", path, TOK_APP, NULL, 400, "INVALID_ARGUMENT");
    memset(path + k, 'p', 300);
    path[k + 300] = '\0';
    expect("GET", path, TOK_APP, NULL, 400, "INVALID_ARGUMENT");
    checkSameLedger(before);
}

static void test_tokens(void)
{
    createPool("{\"pool\":\"tok-pool\",\"capacity\":3}");
    struct lsnap before = ledgerSnap();
    struct tresp r;
    CHECK_EQ(call1("POST", "/v1/pools/tok-pool/holds", NULL,
                   "{\"patient\":\"patient-tk-0001\"}", &r),
             401);
    CHECK_STR(tresp_code(&r), "UNAUTHORIZED");
    char v[64];
    CHECK(tresp_header(&r, "www-authenticate", v, sizeof v) != NULL);
    tresp_free(&r);
    expect("POST", "/v1/pools/tok-pool/holds", "not-a-known-token",
           "{\"patient\":\"patient-tk-0001\"}", 401, "UNAUTHORIZED");
    expect("GET", "/v1/pools/tok-pool", TOK_APP "x", NULL, 401, "UNAUTHORIZED");
    expect("GET", "/v1/pools/tok-pool", "tok-app", NULL, 401, "UNAUTHORIZED");
    expect("GET", "/v1/pools/tok-pool", "", NULL, 401, "UNAUTHORIZED");
    /* Another scheme. */
    const char raw[] = "GET /v1/pools/tok-pool HTTP/1.1\r\nHost: t\r\n"
                       "Authorization: Basic " TOK_APP "\r\n\r\n";
    struct tconn c = {.fd = -1, .port = gw.port};
    CHECK_EQ(traw(&c, raw, sizeof raw - 1, &r), 401);
    tresp_free(&r);
    /* The scheme is case-insensitive. */
    const char raw2[] = "GET /v1/pools/tok-pool HTTP/1.1\r\nHost: t\r\n"
                        "Authorization: bearer " TOK_APP "\r\n\r\n";
    CHECK_EQ(traw(&c, raw2, sizeof raw2 - 1, &r), 200);
    tresp_free(&r);
    tconn_close(&c);
    /* Public routes need no token. */
    expect("GET", "/healthz", NULL, NULL, 200, NULL);
    checkSameLedger(before);
}

static void test_cross_channel(void)
{
    createPool("{\"pool\":\"cc-pool\",\"capacity\":4}");
    long long h = hold("cc-pool", "patient-cc-0001", TOK_APP, 0);
    CHECK(h > 0);
    struct lsnap before = ledgerSnap();
    char cp[64], dp[64], gp[64];
    snprintf(cp, sizeof cp, "/v1/holds/%lld/confirm", h);
    snprintf(dp, sizeof dp, "/v1/holds/%lld", h);
    snprintf(gp, sizeof gp, "/v1/holds/%lld", h);
    /* The writes: the ledger refuses them (one round trip, no read
     * first): NOT_OWNER. */
    expect("POST", cp, TOK_114, "{\"payment_ref\":\"steal\"}", 403,
           "NOT_OWNER");
    expect("DELETE", dp, TOK_114, NULL, 403, "NOT_OWNER");
    expect("DELETE", dp, TOK_WIN, "{}", 403, "NOT_OWNER");
    /* The claim reads: the gateway's check (a read names no account). */
    expect("GET", gp, TOK_114, NULL, 403, "FORBIDDEN");
    expect("GET", "/v1/pools/cc-pool/patients/patient-cc-0001", TOK_114, NULL,
           403, "FORBIDDEN");
    /* The admin token cannot confirm (no channel), nor hold. */
    expect("POST", cp, TOK_ADMIN, "{\"payment_ref\":\"adm\"}", 403,
           "FORBIDDEN");
    expect("POST", "/v1/pools/cc-pool/holds", TOK_ADMIN,
           "{\"patient\":\"patient-cc-0009\"}", 403, "FORBIDDEN");
    checkSameLedger(before);
    CHECK_STR(claimState("holds", h, TOK_APP), "held");

    /* The owner books; another channel cannot cancel or read the booking. */
    CHECK_EQ(confirm(h, TOK_APP), 1);
    before = ledgerSnap();
    char bp[64], xp[64];
    snprintf(bp, sizeof bp, "/v1/bookings/%lld", h);
    snprintf(xp, sizeof xp, "/v1/bookings/%lld/cancel", h);
    expect("POST", xp, TOK_114, NULL, 403, "NOT_OWNER");
    expect("GET", bp, TOK_WIN, NULL, 403, "FORBIDDEN");
    checkSameLedger(before);
    CHECK_STR(claimState("bookings", h, TOK_APP), "booked");
    /* The admin token reads anything and may cancel / release (operator). */
    CHECK_STR(claimState("bookings", h, TOK_ADMIN), "booked");
    expect("POST", xp, TOK_ADMIN, NULL, 200, NULL);
    long long h2 = hold("cc-pool", "patient-cc-0002", TOK_114, 0);
    snprintf(dp, sizeof dp, "/v1/holds/%lld", h2);
    expect("DELETE", dp, TOK_ADMIN, NULL, 200, NULL);
}

static void test_admin_routes(void)
{
    struct lsnap before = ledgerSnap();
    expect("POST", "/v1/pools", TOK_APP,
           "{\"pool\":\"adm-pool\",\"capacity\":3}", 403, "FORBIDDEN");
    expect("POST", "/v1/pools", TOK_114,
           "{\"pool\":\"adm-pool\",\"capacity\":3}", 403, "FORBIDDEN");
    checkSameLedger(before);
    expect("GET", "/v1/pools/adm-pool", TOK_APP, NULL, 404, "UNKNOWN_POOL");
    createPool("{\"pool\":\"adm-pool\",\"capacity\":3}");
    before = ledgerSnap();
    expect("POST", "/v1/pools/adm-pool/close", TOK_APP, NULL, 403, "FORBIDDEN");
    expect("POST", "/v1/pools/adm-pool/close", TOK_WIN, "{}", 403, "FORBIDDEN");
    checkSameLedger(before);
    struct tresp r;
    CHECK_EQ(call1("GET", "/v1/pools/adm-pool", TOK_ADMIN, NULL, &r), 200);
    CHECK_STR(json_string_value(json_object_get(r.json, "state")), "open");
    tresp_free(&r);
}

static void test_idempotency_key_validation(void)
{
    createPool("{\"pool\":\"ik-pool\",\"capacity\":3}");
    struct lsnap before = ledgerSnap();
    struct tconn c = {.fd = -1, .port = gw.port};
    struct tresp r;
    static const char *const bad[] = {
        "has space", "semi;colon", "",
        "k0123456789012345678901234567890123456789012345678901"
        "2345678901234"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_EQ(treq(&c, "POST", "/v1/pools/ik-pool/holds", TOK_APP, bad[i],
                      "{\"patient\":\"patient-ik-0001\"}", &r),
                 400);
        CHECK_STR(tresp_code(&r), "INVALID_ARGUMENT");
        tresp_free(&r);
    }
    /* Two keys on one request. */
    const char raw[] = "DELETE /v1/holds/1 HTTP/1.1\r\nHost: t\r\n"
                       "Authorization: Bearer " TOK_APP "\r\n"
                       "Idempotency-Key: a\r\nIdempotency-Key: b\r\n\r\n";
    CHECK_EQ(traw(&c, raw, sizeof raw - 1, &r), 400);
    tresp_free(&r);
    tconn_close(&c);
    checkSameLedger(before);
}

static void test_idempotency(void)
{
    createPool("{\"pool\":\"idem-pool\",\"capacity\":3}");
    struct tconn c = {.fd = -1, .port = gw.port};
    struct tresp a, b;
    const char *body = "{\"patient\":\"patient-id-0001\"}";
    CHECK_EQ(treq(&c, "POST", "/v1/pools/idem-pool/holds", TOK_APP,
                  "hold-key-1", body, &a),
             201);
    CHECK_EQ(treq(&c, "POST", "/v1/pools/idem-pool/holds", TOK_APP,
                  "hold-key-1", body, &b),
             201);
    CHECK_STR(a.body, b.body); /* byte-identical */
    long long h = tresp_int(&a, "hold");
    tresp_free(&a);
    tresp_free(&b);
    CHECK_EQ(poolField("idem-pool", "held"), 1);
    /* Same key, another request: 422. */
    CHECK_EQ(treq(&c, "POST", "/v1/pools/idem-pool/holds", TOK_APP,
                  "hold-key-1", "{\"patient\":\"patient-id-0002\"}", &a),
             422);
    CHECK_STR(tresp_code(&a), "REQUEST_MISMATCH");
    tresp_free(&a);
    /* Keys are per channel: 114 may use the same key for its own hold. */
    CHECK_EQ(treq(&c, "POST", "/v1/pools/idem-pool/holds", TOK_114,
                  "hold-key-1", "{\"patient\":\"patient-id-0003\"}", &a),
             201);
    CHECK(tresp_int(&a, "hold") != h);
    tresp_free(&a);
    /* A replayed error is the original error (another patient: the rate
     * limit counts every hold of a patient, replays included). */
    const char *body3 = "{\"patient\":\"patient-id-0003\"}";
    CHECK_EQ(treq(&c, "POST", "/v1/pools/idem-pool/holds", TOK_APP,
                  "hold-key-2", body3, &a),
             409);
    CHECK_STR(tresp_code(&a), "PATIENT_HAS_CLAIM");
    CHECK_EQ(treq(&c, "POST", "/v1/pools/idem-pool/holds", TOK_APP,
                  "hold-key-2", body3, &b),
             409);
    CHECK_STR(a.body, b.body);
    tresp_free(&a);
    tresp_free(&b);
    /* Confirm twice with one key: the same booking, not ALREADY_CONFIRMED. */
    char cp[64];
    snprintf(cp, sizeof cp, "/v1/holds/%lld/confirm", h);
    CHECK_EQ(treq(&c, "POST", cp, TOK_APP, "pay-key-1",
                  "{\"payment_ref\":\"r1\"}", &a),
             200);
    CHECK_EQ(treq(&c, "POST", cp, TOK_APP, "pay-key-1",
                  "{\"payment_ref\":\"r1\"}", &b),
             200);
    CHECK_STR(a.body, b.body);
    tresp_free(&a);
    tresp_free(&b);
    CHECK_EQ(treq(&c, "POST", cp, TOK_APP, "pay-key-1",
                  "{\"payment_ref\":\"r2\"}", &a),
             422);
    tresp_free(&a);
    CHECK_EQ(
        treq(&c, "POST", cp, TOK_APP, NULL, "{\"payment_ref\":\"r1\"}", &a),
        409);
    CHECK_STR(tresp_code(&a), "ALREADY_CONFIRMED");
    tresp_free(&a);
    tconn_close(&c);
    CHECK_EQ(poolField("idem-pool", "booked"), 1);
}

/* Gateways are stateless: a retry through another gateway gets the
 * original answer, for every kind of write. */
static void test_idempotency_two_gateways(void)
{
    struct tgateway g2;
    CHECK_EQ(gatewayStart(&g2, &cluster, "\"patient_rate_per_s\":0"), 0);
    struct tconn c1 = {.fd = -1, .port = gw.port},
                 c2 = {.fd = -1, .port = g2.port};
    struct tresp a, b;
    const char *pool =
        "{\"pool\":\"idem2-pool\",\"capacity\":4,\"channels\":{\"app\":2}}";
    CHECK_EQ(treq(&c1, "POST", "/v1/pools", TOK_ADMIN, "mk-pool-1", pool, &a),
             201);
    CHECK_EQ(treq(&c2, "POST", "/v1/pools", TOK_ADMIN, "mk-pool-1", pool, &b),
             201);
    CHECK_STR(a.body, b.body);
    tresp_free(&a);
    tresp_free(&b);
    /* Without the key it is a second create. */
    CHECK_EQ(treq(&c2, "POST", "/v1/pools", TOK_ADMIN, NULL, pool, &a), 409);
    tresp_free(&a);
    const char *h1 = "{\"patient\":\"patient-i2-0001\"}";
    CHECK_EQ(
        treq(&c1, "POST", "/v1/pools/idem2-pool/holds", TOK_APP, "h-1", h1, &a),
        201);
    CHECK_EQ(
        treq(&c2, "POST", "/v1/pools/idem2-pool/holds", TOK_APP, "h-1", h1, &b),
        201);
    CHECK_STR(a.body, b.body);
    long long h = tresp_int(&a, "hold");
    tresp_free(&a);
    tresp_free(&b);
    char p[64];
    snprintf(p, sizeof p, "/v1/holds/%lld", h);
    CHECK_EQ(treq(&c2, "DELETE", p, TOK_APP, "rel-1", NULL, &a), 200);
    CHECK_EQ(treq(&c1, "DELETE", p, TOK_APP, "rel-1", NULL, &b), 200);
    CHECK_STR(a.body, b.body);
    tresp_free(&a);
    tresp_free(&b);
    CHECK_EQ(treq(&c1, "DELETE", p, TOK_APP, NULL, NULL, &a), 409);
    tresp_free(&a);
    const char *h2 = "{\"patient\":\"patient-i2-0002\"}";
    CHECK_EQ(
        treq(&c1, "POST", "/v1/pools/idem2-pool/holds", TOK_114, "h-2", h2, &a),
        201);
    h = tresp_int(&a, "hold");
    tresp_free(&a);
    snprintf(p, sizeof p, "/v1/holds/%lld/confirm", h);
    CHECK_EQ(
        treq(&c1, "POST", p, TOK_114, "pay-2", "{\"payment_ref\":\"r\"}", &a),
        200);
    CHECK_EQ(
        treq(&c2, "POST", p, TOK_114, "pay-2", "{\"payment_ref\":\"r\"}", &b),
        200);
    CHECK_STR(a.body, b.body);
    tresp_free(&a);
    tresp_free(&b);
    snprintf(p, sizeof p, "/v1/bookings/%lld/cancel", h);
    CHECK_EQ(treq(&c2, "POST", p, TOK_114, "cx-2", NULL, &a), 200);
    CHECK_EQ(treq(&c1, "POST", p, TOK_114, "cx-2", "{}", &b), 200);
    CHECK_STR(a.body, b.body);
    tresp_free(&a);
    tresp_free(&b);
    CHECK_EQ(treq(&c1, "POST", "/v1/pools/idem2-pool/close", TOK_ADMIN, "cl-1",
                  NULL, &a),
             200);
    CHECK_EQ(treq(&c2, "POST", "/v1/pools/idem2-pool/close", TOK_ADMIN, "cl-1",
                  NULL, &b),
             200);
    CHECK_STR(a.body, b.body);
    tresp_free(&a);
    tresp_free(&b);
    tconn_close(&c1);
    tconn_close(&c2);
    CHECK_EQ(poolField("idem2-pool", "held"), 0);
    CHECK_EQ(poolField("idem2-pool", "booked"), 0);
    CHECK_EQ(gatewayStop(&g2), 0);
}

/* A GET /healthz on a fresh connection, retried while it answers 503 (a
 * gateway whose cluster client is still connecting) or nothing, bounded.
 * Returns the last status. */
static int healthzFresh(int port)
{
    int st = 0;
    long long until = tclock_mono_ms() + WAIT_MS;
    do {
        struct tconn c = {.fd = -1, .port = port};
        struct tresp r;
        st = treq(&c, "GET", "/healthz", NULL, NULL, NULL, &r);
        tresp_free(&r);
        tconn_close(&c);
        if (st == 200) {
            break;
        }
        tclock_sleep_ms(50);
    } while (tclock_mono_ms() < until);
    return st;
}

/* Several gateways on one host share a port with reuse_port; both serve,
 * and one going away leaves the other serving. Which process serves a
 * connection is the kernel's choice (a hash of the connection): each
 * gateway's own access log says which one did. */
static void test_reuse_port(void)
{
    static const char served[] = " GET /healthz 200 ";
    int port;
    CHECK_EQ(proc_free_ports(&port, 1), 0);
    struct tgateway a, b;
    /* a alone on the port: what answers is a. */
    CHECK_EQ(gatewayStartOn(&a, &cluster, "", port, "\"reuse_port\":true,"), 0);
    /* b binds the same port; from the moment it says it listens, the
     * kernel spreads new connections over both. */
    CHECK_EQ(gatewaySpawn(&b, &cluster, "", port, "\"reuse_port\":true,"), 0);
    CHECK_EQ(gatewayListening(&b), 0);
    /* Fresh connections until both have served one (each logs within
     * 200 ms of the request); bounded by count and time. */
    long long until = tclock_mono_ms() + WAIT_MS;
    int sent = 0;
    while ((fileCount(a.access, served) == 0 ||
            fileCount(b.access, served) == 0) &&
           sent < 2000 && tclock_mono_ms() < until) {
        CHECK_EQ(healthzFresh(port), 200);
        sent++;
        tclock_sleep_ms(5);
    }
    fprintf(stderr, "reuse_port: both served after %d requests\n", sent);
    CHECK(fileCount(a.access, served) > 0);
    CHECK(fileCount(b.access, served) > 0);
    /* a stops (its listener closes first, then it drains and exits 0):
     * every new connection is b's. */
    CHECK_EQ(gatewayStop(&a), 0);
    int before = fileCount(b.access, served);
    for (int i = 0; i < 10; i++) {
        CHECK_EQ(healthzFresh(port), 200);
    }
    CHECK_EQ(gatewayStop(&b), 0); /* flushes b's access log */
    CHECK(fileCount(b.access, served) >= before + 10);
}

/* ---- limits -------------------------------------------------------------- */

/* The per-patient limit (burst GW_BURST, then GW_RATE per second). No
 * assertion depends on how fast the machine is: the bucket starts full,
 * so at least GW_BURST holds pass; at most as many more can pass as tokens
 * could have come back in the time measured; the refusal is looked for
 * with a bounded number of requests (a token comes back every second: only
 * a machine taking a second per local request would never see one); and a
 * token is back after sleeping at least a token's time. */
static void test_rate_limit(void)
{
    createPool("{\"pool\":\"rate-pool\",\"capacity\":10}");
    createPool("{\"pool\":\"rate-pool2\",\"capacity\":10}");
    /* The first hold is held, the next are refused by the ledger
     * (PATIENT_HAS_CLAIM): refusals count too. */
    const char *bot = "{\"patient\":\"patient-bot-0001\"}";
    int passed = 0;
    bool limited = false;
    struct lsnap before = {0};
    struct tresp r;
    long long t0 = tclock_mono_ms();
    for (int i = 0; i < 200 && !limited; i++) {
        before = ledgerSnap();
        int st = call1("POST", "/v1/pools/rate-pool/holds", TOK_APP, bot, &r);
        if (st == 429) {
            limited = true;
            break; /* r is checked below */
        }
        CHECK_EQ(st, passed == 0 ? 201 : 409);
        tresp_free(&r);
        passed++;
    }
    long long elapsed_ms = tclock_mono_ms() - t0;
    fprintf(stderr, "rate limit: %d passed in %lld ms, then %s\n", passed,
            elapsed_ms, limited ? "429" : "no refusal");
    CHECK(limited);
    CHECK(passed >= GW_BURST);
    CHECK(passed <= GW_BURST + GW_RATE * (elapsed_ms / 1000 + 1));
    CHECK_STR(tresp_code(&r), "RATE_LIMITED");
    char v[16];
    CHECK(tresp_header(&r, "retry-after", v, sizeof v) != NULL);
    CHECK(atoi(v) >= 1);
    tresp_free(&r);
    checkSameLedger(before); /* the refusal did not reach the ledger */
    /* Other patients are not affected. */
    CHECK(hold("rate-pool2", "patient-human-01", TOK_APP, 0) > 0);
    /* After a token's time (a lower bound), the bot may hold again. */
    tclock_sleep_ms(1000 / GW_RATE + 100);
    CHECK(hold("rate-pool2", "patient-bot-0001", TOK_APP, 0) > 0);
}

static void test_overload(void)
{
    createPool("{\"pool\":\"burst-pool\",\"capacity\":100000}");
    enum { N = 48 };
    int seen503 = 0, seen201 = 0, other = 0;
    for (int round = 0; round < 5 && seen503 == 0; round++) {
        struct tconn c[N];
        for (int i = 0; i < N; i++) {
            CHECK_EQ(tconn_open(&c[i], gw.port), 0);
        }
        /* All requests first, then every answer: far more than
         * GW_INFLIGHT_MAX are waiting on the cluster at once. */
        char raw[512];
        for (int i = 0; i < N; i++) {
            char body[64];
            int bl = snprintf(body, sizeof body,
                              "{\"patient\":\"patient-bu-%d-%03d\"}", round, i);
            int k = snprintf(
                raw, sizeof raw,
                "POST /v1/pools/burst-pool/holds HTTP/1.1\r\nHost: t\r\n"
                "Authorization: Bearer " TOK_APP "\r\n"
                "Content-Length: %d\r\n\r\n%s",
                bl, body);
            CHECK(send(c[i].fd, raw, (size_t)k, MSG_NOSIGNAL) == k);
        }
        for (int i = 0; i < N; i++) {
            struct tresp r;
            int st = tread(&c[i], &r);
            if (st == 503) {
                seen503++;
                CHECK_STR(tresp_code(&r), "OVERLOADED");
                char v[16];
                CHECK(tresp_header(&r, "retry-after", v, sizeof v) != NULL);
            } else if (st == 201) {
                seen201++;
            } else {
                other++;
                fprintf(stderr, "burst: %d %s\n", st,
                        r.body != NULL ? r.body : "");
            }
            tresp_free(&r);
            tconn_close(&c[i]);
        }
    }
    fprintf(stderr, "burst: %d created, %d overloaded\n", seen201, seen503);
    CHECK(seen503 > 0);
    CHECK(seen201 > 0);
    CHECK_EQ(other, 0);
    /* Exactly the 201s hold slots: the 503s touched nothing. */
    CHECK_EQ(poolField("burst-pool", "held"), seen201);
}

/* ---- documents ----------------------------------------------------------- */

static void test_openapi(void)
{
    static const char *const routes[][2] = {
        {"post", "/v1/pools"},
        {"get", "/v1/pools/{pool}"},
        {"post", "/v1/pools/{pool}/close"},
        {"post", "/v1/pools/{pool}/holds"},
        {"get", "/v1/pools/{pool}/patients/{patient}"},
        {"post", "/v1/holds/{hold}/confirm"},
        {"delete", "/v1/holds/{hold}"},
        {"get", "/v1/holds/{hold}"},
        {"post", "/v1/bookings/{booking}/cancel"},
        {"get", "/v1/bookings/{booking}"},
        {"get", "/healthz"},
        {"get", "/metrics"},
        {"get", "/openapi.json"},
        {"get", "/v1/pools"},
        {"post", "/v1/schedules"},
        {"get", "/v1/hospitals/{hospital}/rules"},
        {"put", "/v1/hospitals/{hospital}/rules"},
        {"get", "/v1/hospitals/{hospital}/rules/log"},
        {"post", "/v1/pools/{pool}/patients/lookup"},
        {"post", "/v1/accounts/{account}/patients"},
        {"delete", "/v1/accounts/{account}/patients/{patient}"},
        {"get", "/v1/accounts/{account}"},
        {"get", "/v1/patients/{patient}"},
        {"post", "/v1/patients/lookup"},
        {"post", "/v1/hospitals/{hospital}/violations"},
        {"post", "/v1/hospitals/{hospital}/unblock"},
        {"post", "/v1/hospitals/{hospital}/exceptions"},
        {"get", "/v1/staff-log"},
        {"post", "/v1/pools/{pool}/waitlist"},
        {"delete", "/v1/pools/{pool}/waitlist/{patient}"},
        {"get", "/v1/pools/{pool}/waitlist/{patient}"},
        {"post", "/v1/pools/{pool}/waitlist/lookup"},
        {"post", "/v1/pools/{pool}/stop"},
        {"get", "/v1/pools/{pool}/claims"},
        {"post", "/v1/bookings/{booking}/move"},
        {"post", "/v1/bookings/{booking}/checkin"},
        {"get", "/v1/events"},
        {"get", "/v1/events/stream"},
        {"get", "/v1/reconciliation"},
        {"get", "/v1/stats"},
        {"get", "/console"},
        {"get", "/console/{asset}"},
        {"get", "/v1/cluster"},
    };
    size_t nr = sizeof routes / sizeof routes[0];
    struct tresp r;
    CHECK_EQ(call1("GET", "/openapi.json", NULL, NULL, &r), 200);
    CHECK(r.json != NULL);
    const char *ver = json_string_value(json_object_get(r.json, "openapi"));
    CHECK(ver != NULL && strncmp(ver, "3.", 2) == 0);
    json_t *paths = json_object_get(r.json, "paths");
    CHECK(json_is_object(paths));
    for (size_t i = 0; i < nr; i++) {
        json_t *item = json_object_get(paths, routes[i][1]);
        if (item == NULL || json_object_get(item, routes[i][0]) == NULL) {
            fprintf(stderr, "openapi: missing %s %s\n", routes[i][0],
                    routes[i][1]);
        }
        CHECK(item != NULL);
        json_t *op = json_object_get(item, routes[i][0]);
        CHECK(op != NULL);
        CHECK(json_is_object(json_object_get(op, "responses")));
    }
    /* ...and it lists nothing else. */
    size_t ops = 0;
    const char *k;
    json_t *item;
    json_object_foreach(paths, k, item)
    {
        ops += json_object_size(item);
    }
    CHECK_EQ(ops, nr);
    /* Every listed route answers something other than 404 NOT_FOUND. */
    for (size_t i = 0; i < nr; i++) {
        char path[128], method[16];
        size_t j = 0, o = 0;
        const char *t = routes[i][1];
        while (t[j] != '\0' && o + 8 < sizeof path) {
            if (t[j] == '{') {
                const char *e = strchr(t + j, '}');
                /* Ids nobody has: the probe must not change anything. */
                const char *v =
                    strncmp(t + j, "{patient}", 9) == 0 ? "patient-oa-0001"
                    : strncmp(t + j, "{pool}", 6) == 0  ? "oa-none"
                    : strncmp(t + j, "{asset}", 7) == 0 ? "api.js"
                                                        : "999999999";
                o += (size_t)snprintf(path + o, sizeof path - o, "%s", v);
                j = (size_t)(e - t) + 1;
            } else {
                path[o++] = t[j++];
            }
        }
        path[o] = '\0';
        if (strcmp(path, "/v1/events/stream") == 0) {
            /* A stream never ends by itself: probed with a parameter it
             * refuses (400, not 404). */
            snprintf(path + o, sizeof path - o, "?wait_ms=1");
        }
        for (j = 0; routes[i][0][j] != '\0'; j++) {
            method[j] = (char)(routes[i][0][j] - 'a' + 'A');
        }
        method[j] = '\0';
        struct tresp x;
        call1(method, path, TOK_ADMIN, NULL, &x);
        CHECK(x.status != 0);
        CHECK(strcmp(tresp_code(&x), "NOT_FOUND") != 0);
        CHECK(strcmp(tresp_code(&x), "METHOD_NOT_ALLOWED") != 0);
        tresp_free(&x);
    }
    tresp_free(&r);
}

static void test_metrics_healthz(void)
{
    struct tresp r;
    CHECK_EQ(call1("GET", "/healthz", NULL, NULL, &r), 200);
    CHECK_STR(json_string_value(json_object_get(r.json, "status")), "ok");
    CHECK(tresp_int(&r, "applied_index") > 0);
    CHECK(tresp_int(&r, "commit_index") >= 1);
    CHECK(tresp_int(&r, "leader_id") >= 1 && tresp_int(&r, "leader_id") <= 3);
    CHECK(tresp_int(&r, "term") >= 1);
    const char *role = json_string_value(json_object_get(r.json, "role"));
    CHECK(role != NULL &&
          (strcmp(role, "leader") == 0 || strcmp(role, "follower") == 0));
    tresp_free(&r);
    createPool("{\"pool\":\"met-pool\",\"capacity\":1}");
    CHECK(hold("met-pool", "patient-met-001", TOK_114, 0) > 0);
    CHECK_EQ(hold("met-pool", "patient-met-002", TOK_114, 0), -409);
    CHECK_EQ(call1("GET", "/metrics", NULL, NULL, &r), 200);
    char ct[64];
    CHECK(tresp_header(&r, "content-type", ct, sizeof ct) != NULL);
    CHECK(strncmp(ct, "text/plain", 10) == 0);
    static const char *const want[] = {
        "slot_gateway_requests_total{route=\"create_hold\",status=\"201\","
        "channel=\"114\"}",
        "slot_gateway_requests_total{route=\"create_hold\",status=\"409\","
        "channel=\"114\"}",
        "slot_gateway_requests_total{route=\"create_pool\",status=\"201\","
        "channel=\"admin\"}",
        "slot_gateway_request_duration_seconds_bucket{route=\"create_hold\",le="
        "\"+Inf\"}",
        "slot_gateway_request_duration_seconds_count{route=\"create_hold\"}",
        "slot_gateway_inflight ",
        "slot_gateway_inflight_max 8",
        "slot_gateway_rejected_total{reason=\"overloaded\"}",
        "slot_gateway_cluster_requests_total{op=\"hold\",code=\"SOLD_OUT\"}",
        "slot_gateway_cluster_roundtrip_seconds_bucket{op=\"hold\",le=\"0."
        "001\"}",
        "# TYPE slot_gateway_request_duration_seconds histogram",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        if (strstr(r.body, want[i]) == NULL) {
            fprintf(stderr, "metrics: missing %s\n", want[i]);
        }
        CHECK(strstr(r.body, want[i]) != NULL);
    }
    tresp_free(&r);
    /* The access log has a line per request: method, path, status,
     * latency, channel. It is flushed every 200 ms: wait for it, bounded. */
    bool found = false;
    long long until = tclock_mono_ms() + WAIT_MS;
    while (!found && tclock_mono_ms() < until) {
        FILE *f = fopen(gw.access, "r");
        CHECK(f != NULL);
        char line[512];
        while (fgets(line, sizeof line, f) != NULL) {
            if (strstr(line, " POST /v1/pools/met-pool/holds 409 ") != NULL &&
                strstr(line, "us 114 SOLD_OUT") != NULL) {
                found = true;
            }
        }
        fclose(f);
        if (!found) {
            tclock_sleep_ms(50);
        }
    }
    CHECK(found);
}

/* ---- real-name patient keys (issue 15) ----------------------------------- */

/* The identity gateway's secret (32 bytes). */
#define ID_SECRET                                                              \
    "8d3a5c7e9f1b2d4c6e8a0b1c3d5e7f9a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e"

/* Does any file under dir (recursively) hold the bytes needle? The
 * cluster's directory holds every node's raft log (commands as they were
 * replicated), snapshots, and the gateways' logs. */
static bool treeHas(const char *dir, const char *needle)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        return false;
    }
    bool found = false;
    struct dirent *e;
    size_t nl = strlen(needle);
    while (!found && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) != 0) {
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            found = treeHas(path, needle);
            continue;
        }
        if (!S_ISREG(st.st_mode) || st.st_size <= 0) {
            continue;
        }
        FILE *f = fopen(path, "rb");
        char *buf = malloc((size_t)st.st_size);
        size_t n =
            f != NULL && buf != NULL ? fread(buf, 1, (size_t)st.st_size, f) : 0;
        for (size_t i = 0; !found && i + nl <= n; i++) {
            found = memcmp(buf + i, needle, nl) == 0;
        }
        if (found) {
            fprintf(stderr, "%s holds \"%s\"\n", path, needle);
        }
        free(buf);
        if (f != NULL) {
            fclose(f);
        }
    }
    closedir(d);
    return found;
}

/* An id_card number with a right check digit (base: 17 digits). */
static void idCard(const char *base, char out[19])
{
    memcpy(out, base, 17);
    out[17] = gw_ident_check_char(base);
    out[18] = '\0';
}

/* One request to port; the response body must not hold any of the raw
 * numbers (NULL-terminated list). */
static int callId(int port, const char *method, const char *path,
                  const char *token, const char *body,
                  const char *const *numbers, struct tresp *r)
{
    struct tconn c = {.fd = -1, .port = port};
    int st = treq(&c, method, path, token, NULL, body, r);
    tconn_close(&c);
    for (const char *const *n = numbers; *n != NULL; n++) {
        if (r->body != NULL && strstr(r->body, *n) != NULL) {
            fprintf(stderr, "%s %s: the response holds %s: %s\n", method, path,
                    *n, r->body);
        }
        CHECK(r->body == NULL || strstr(r->body, *n) == NULL);
    }
    return st;
}

static void expectId(int port, const char *path, const char *token,
                     const char *body, const char *const *numbers, int status,
                     const char *code)
{
    struct tresp r;
    int st = callId(port, "POST", path, token, body, numbers, &r);
    if (st != status || strcmp(tresp_code(&r), code) != 0) {
        fprintf(stderr, "POST %s -> %d %s (want %d %s)\n", path, st,
                r.body != NULL ? r.body : "", status, code);
    }
    CHECK_EQ(st, status);
    CHECK_STR(tresp_code(&r), code);
    tresp_free(&r);
}

static void test_identity(void)
{
    struct tgateway ig;
    CHECK_EQ(gatewayStartOn(&ig, &cluster, "\"patient_burst\":20", 0,
                            "\"identity\":{\"secret_hex\":\"" ID_SECRET
                            "\",\"opaque_key_channels\":[\"window\"]},"),
             0);
    struct gw_ident id;
    CHECK_EQ(gw_ident_set_secret_hex(&id, ID_SECRET, strlen(ID_SECRET)), 0);
    char card[19], other[19], bad[19], lower[19];
    idCard("32010219800101114", card); /* check digit X */
    idCard("32010219800101123", other);
    CHECK_EQ(card[17], 'X');
    memcpy(bad, card, sizeof bad);
    bad[17] = '0'; /* a wrong check digit */
    memcpy(lower, card, sizeof lower);
    lower[17] = 'x';
    char passport[] = "G98765432107";
    /* Every spelling of every number this test sends; the first 17 digits
     * of each card (the part that is the person). */
    char digits[3][18];
    snprintf(digits[0], sizeof digits[0], "%.17s", card);
    snprintf(digits[1], sizeof digits[1], "%.17s", other);
    snprintf(digits[2], sizeof digits[2], "%s", passport);
    const char *const numbers[] = {digits[0], digits[1], digits[2], NULL};
    char key[GW_IDENT_KEY_LEN + 1], key2[GW_IDENT_KEY_LEN + 1];
    CHECK_EQ(gw_ident_key(&id, GW_ID_CARD, card, 18, key), GW_IDENT_OK);
    CHECK_EQ(gw_ident_key(&id, GW_ID_CARD, lower, 18, key2), GW_IDENT_OK);

    createPool("{\"pool\":\"id-pool\",\"capacity\":10}");
    createPool("{\"pool\":\"id-pool-2\",\"capacity\":10}");
    const char *holds = "/v1/pools/id-pool/holds";
    char body[256];

    /* A hold by identity through app: the key the secret gives, and
     * nothing of the number in the answer. */
    snprintf(body, sizeof body,
             "{\"id_type\":\"id_card\",\"id_number\":\"%s\",\"ttl_ms\":600000}",
             card);
    struct tresp r;
    CHECK_EQ(callId(ig.port, "POST", holds, TOK_APP, body, numbers, &r), 201);
    long long h = tresp_int(&r, "hold");
    CHECK(h > 0);
    CHECK_STR(json_string_value(json_object_get(r.json, "patient")), key);
    tresp_free(&r);
    /* The same person through 114: the same key, so the ledger's
     * one-claim-per-pool rule refuses it. */
    struct lsnap before = ledgerSnap();
    expectId(ig.port, holds, TOK_114, body, numbers, 409, "PATIENT_HAS_CLAIM");
    /* ... and through 114 in another pool: that key again. */
    CHECK_EQ(callId(ig.port, "POST", "/v1/pools/id-pool-2/holds", TOK_114, body,
                    numbers, &r),
             201);
    CHECK_STR(json_string_value(json_object_get(r.json, "patient")), key);
    tresp_free(&r);
    before = ledgerSnap();
    /* Refusals, each changing nothing. */
    snprintf(body, sizeof body,
             "{\"id_type\":\"id_card\",\"id_number\":\"%s\"}", bad);
    expectId(ig.port, holds, TOK_APP, body, numbers, 400, "INVALID_ID_NUMBER");
    snprintf(body, sizeof body,
             "{\"id_type\":\"id_card\",\"id_number\":\"%.17s\"}", card);
    expectId(ig.port, holds, TOK_APP, body, numbers, 400, "INVALID_ID_NUMBER");
    snprintf(body, sizeof body, "{\"id_type\":\"id_card\",\"id_number\":%.17s}",
             card);
    expectId(ig.port, holds, TOK_APP, body, numbers, 400, "MALFORMED");
    /* Not JSON: jansson's message quotes the input near the error. */
    snprintf(body, sizeof body, "{\"id_type\":\"id_card\",\"id_number\":%s}",
             card);
    expectId(ig.port, holds, TOK_APP, body, numbers, 400, "MALFORMED");
    snprintf(body, sizeof body, "{\"id_type\":\"id_card\",\"id_number\":\"%s",
             card);
    expectId(ig.port, holds, TOK_APP, body, numbers, 400, "MALFORMED");
    expectId(ig.port, holds, TOK_APP, "{\"patient\":\"patient-id-app-1\"}",
             numbers, 400, "OPAQUE_KEY_NOT_ALLOWED");
    expectId(ig.port, holds, TOK_114, "{\"patient\":\"patient-id-114-1\"}",
             numbers, 400, "OPAQUE_KEY_NOT_ALLOWED");
    snprintf(body, sizeof body,
             "{\"patient\":\"patient-id-win-1\",\"id_type\":\"passport\","
             "\"id_number\":\"%s\"}",
             passport);
    expectId(ig.port, holds, TOK_WIN, body, numbers, 400, "MALFORMED");
    snprintf(body, sizeof body, "{\"patient\":\"%s\"}", key);
    expectId(ig.port, holds, TOK_WIN, body, numbers, 400, "INVALID_ARGUMENT");
    snprintf(body, sizeof body,
             "{\"id_type\":\"passport\",\"id_number\":\"%s\"}", passport);
    expectId(gw.port, holds, TOK_APP, body, numbers, 400,
             "IDENTITY_NOT_CONFIGURED");
    checkSameLedger(before);
    /* window may still send opaque keys, and identities too: the card
     * spelt with a lowercase x is the same person, the other card
     * another. */
    CHECK_EQ(callId(ig.port, "POST", holds, TOK_WIN,
                    "{\"patient\":\"patient-id-win-1\"}", numbers, &r),
             201);
    CHECK_STR(json_string_value(json_object_get(r.json, "patient")),
              "patient-id-win-1");
    tresp_free(&r);
    CHECK_STR(key2, key);
    snprintf(body, sizeof body,
             "{\"id_type\":\"id_card\",\"id_number\":\"%s\"}", lower);
    expectId(ig.port, holds, TOK_WIN, body, numbers, 409, "PATIENT_HAS_CLAIM");
    snprintf(body, sizeof body,
             "{\"id_type\":\"id_card\",\"id_number\":\"%s\"}", other);
    CHECK_EQ(callId(ig.port, "POST", holds, TOK_WIN, body, numbers, &r), 201);
    CHECK_EQ(gw_ident_key(&id, GW_ID_CARD, other, 18, key2), GW_IDENT_OK);
    CHECK_STR(json_string_value(json_object_get(r.json, "patient")), key2);
    CHECK(strcmp(key2, key) != 0);
    long long hw = tresp_int(&r, "hold");
    tresp_free(&r);

    /* The lookup by identity (POST: the number stays out of the URL):
     * app's claim for app, 403 for 114, the derived key shown. */
    const char *look = "/v1/pools/id-pool/patients/lookup";
    snprintf(body, sizeof body,
             "{\"id_type\":\"id_card\",\"id_number\":\"%s\"}", card);
    CHECK_EQ(callId(ig.port, "POST", look, TOK_APP, body, numbers, &r), 200);
    CHECK_EQ(tresp_int(&r, "hold"), h);
    CHECK_STR(json_string_value(json_object_get(r.json, "patient")), key);
    CHECK_STR(json_string_value(json_object_get(r.json, "channel")), "app");
    tresp_free(&r);
    expectId(ig.port, look, TOK_114, body, numbers, 403, "FORBIDDEN");
    snprintf(body, sizeof body,
             "{\"id_type\":\"id_card\",\"id_number\":\"%s\"}", other);
    CHECK_EQ(callId(ig.port, "POST", look, TOK_WIN, body, numbers, &r), 200);
    CHECK_EQ(tresp_int(&r, "hold"), hw);
    tresp_free(&r);
    snprintf(body, sizeof body,
             "{\"id_type\":\"passport\",\"id_number\":\"%s\"}", passport);
    expectId(ig.port, look, TOK_APP, body, numbers, 404, "UNKNOWN_HOLD");
    expectId(ig.port, look, TOK_APP, "{\"patient\":\"patient-id-app-1\"}",
             numbers, 400, "OPAQUE_KEY_NOT_ALLOWED");
    /* The derived key reads through the path like any key. */
    char path[160];
    snprintf(path, sizeof path, "/v1/pools/id-pool/patients/%s", key);
    CHECK_EQ(callId(ig.port, "GET", path, TOK_APP, NULL, numbers, &r), 200);
    CHECK_EQ(tresp_int(&r, "hold"), h);
    tresp_free(&r);
    snprintf(path, sizeof path, "/v1/holds/%lld/confirm", h);
    CHECK_EQ(callId(ig.port, "POST", path, TOK_APP,
                    "{\"payment_ref\":\"pay-id-1\"}", numbers, &r),
             200);
    tresp_free(&r);
    snprintf(path, sizeof path, "/v1/holds/%lld", h);
    CHECK_EQ(callId(ig.port, "GET", path, TOK_APP, NULL, numbers, &r), 200);
    CHECK_STR(json_string_value(json_object_get(r.json, "state")), "booked");
    CHECK_STR(json_string_value(json_object_get(r.json, "patient")), key);
    tresp_free(&r);

    /* Nowhere: neither gateway's access or error log (flushed when
     * stopped, or within 200 ms), nor any node's raft log or snapshot. */
    CHECK_EQ(gatewayStop(&ig), 0);
    tclock_sleep_ms(400);
    CHECK_EQ(fileCount(ig.access, " POST /v1/pools/id-pool/holds 201 "), 3);
    CHECK_EQ(fileCount(ig.access, "PATIENT_HAS_CLAIM"), 2);
    CHECK(fileCount(ig.access, "INVALID_ID_NUMBER") == 2);
    for (const char *const *n = numbers; *n != NULL; n++) {
        CHECK(!fileHas(ig.access, *n));
        CHECK(!fileHas(ig.log, *n));
        CHECK(!fileHas(gw.access, *n));
        CHECK(!treeHas(cluster.dir, *n));
    }
    /* (The search is able to see: every node's raft log holds the derived
     * key, as the holds replicated it.) */
    for (int i = 0; i < cluster.n; i++) {
        char nd[300];
        snprintf(nd, sizeof nd, "%s/n%d", cluster.dir, i + 1);
        CHECK(treeHas(nd, key));
    }
}

/* ---- leader killed during a run ------------------------------------------ */

/* A GET retried while the cluster settles (503: nothing happened). */
static int getSettled(struct tconn *c, const char *path, const char *token,
                      struct tresp *r)
{
    int st = 0;
    for (int i = 0; i < 50; i++) {
        st = treq(c, "GET", path, token, NULL, NULL, r);
        if (st != 0 && st != 503) {
            break;
        }
        tresp_free(r);
        tconn_close(c);
        tclock_sleep_ms(100);
    }
    return st;
}

struct outcome {
    char patient[32];
    int hold_status;
    long long hold;
    int confirm_status;
    long long visit;
};

static void test_leader_failover(void)
{
    struct tcluster t;
    CHECK_EQ(tcluster_start(&t, 3, 0), 0);
    struct tgateway g;
    /* A deadline close to the election time, so that some requests do end
     * in 503 or 504 while there is no leader. */
    if (gatewayStart(&g, &t,
                     "\"request_timeout_ms\":700,\"patient_rate_per_s\":0") !=
        0) {
        CHECK_EQ(tcluster_stop(&t), 0);
        CHECK(0);
    }
    struct tconn c = {.fd = -1, .port = g.port};
    struct tresp r;
    CHECK_EQ(treq(&c, "POST", "/v1/pools", TOK_ADMIN, NULL,
                  "{\"pool\":\"fo-pool\",\"capacity\":60}", &r),
             201);
    tresp_free(&r);
    enum { N = 160, KILL_AT = 25 };
    static struct outcome o[N];
    int n = 0, killed = -1;
    long long until = tclock_mono_ms() + 40000;
    for (; n < N && tclock_mono_ms() < until; n++) {
        if (n == KILL_AT) {
            killed = tcluster_leader(&t, 2000);
            CHECK(killed >= 0);
            tcluster_signal(&t, killed, SIGKILL);
        }
        struct outcome *x = &o[n];
        memset(x, 0, sizeof *x);
        snprintf(x->patient, sizeof x->patient, "patient-fo-%04d", n);
        char body[64];
        snprintf(body, sizeof body, "{\"patient\":\"%.31s\"}", x->patient);
        const char *tok = n % 2 ? TOK_APP : TOK_114;
        x->hold_status =
            treq(&c, "POST", "/v1/pools/fo-pool/holds", tok, NULL, body, &r);
        if (x->hold_status == 201) {
            x->hold = tresp_int(&r, "hold");
        }
        if (x->hold_status == 504) {
            /* It says what to query. */
            json_t *e = json_object_get(r.json, "error");
            CHECK_STR(json_string_value(json_object_get(e, "code")),
                      "OUTCOME_UNKNOWN");
            CHECK_STR(json_string_value(json_object_get(e, "patient")),
                      x->patient);
            CHECK_STR(json_string_value(json_object_get(e, "pool")), "fo-pool");
            CHECK(json_is_string(json_object_get(e, "query")));
        }
        tresp_free(&r);
        if (x->hold_status == 0) {
            tconn_close(&c);
        }
        if (x->hold_status != 201) {
            continue;
        }
        char cp[64];
        snprintf(cp, sizeof cp, "/v1/holds/%lld/confirm", x->hold);
        x->confirm_status =
            treq(&c, "POST", cp, tok, NULL, "{\"payment_ref\":\"fo\"}", &r);
        if (x->confirm_status == 200) {
            x->visit = tresp_int(&r, "visit_no");
            CHECK_EQ(tresp_int(&r, "booking"), x->hold);
        }
        if (x->confirm_status == 504) {
            json_t *e = json_object_get(r.json, "error");
            CHECK_EQ(json_integer_value(json_object_get(e, "hold")), x->hold);
        }
        tresp_free(&r);
        if (x->confirm_status == 0) {
            tconn_close(&c);
        }
    }
    CHECK(n > 30);
    CHECK(tcluster_leader(&t, 15000) >= 0);
    /* Only 2xx, 409 (sold out), 503 and 504; never a wrong 2xx. */
    int holds = 0, books = 0, unavailable = 0;
    int holds_after = 0, books_after = 0; /* acknowledged after the kill */
    bool visit_seen[64] = {false};
    for (int i = 0; i < n; i++) {
        struct outcome *x = &o[i];
        int hs = x->hold_status, cs = x->confirm_status;
        if (!(hs == 201 || hs == 409 || hs == 503 || hs == 504)) {
            fprintf(stderr, "failover: hold %d -> %d\n", i, hs);
        }
        CHECK(hs == 201 || hs == 409 || hs == 503 || hs == 504);
        CHECK(hs != 201 || cs == 200 || cs == 503 || cs == 504);
        unavailable += hs == 503 || hs == 504 || cs == 503 || cs == 504;
        holds_after += i >= KILL_AT && hs == 201;
        books_after += i >= KILL_AT && cs == 200;
        const char *tok = i % 2 ? TOK_APP : TOK_114;
        if (hs == 201) {
            holds++;
            /* The hold exists, for this patient. */
            char p[64];
            snprintf(p, sizeof p, "/v1/holds/%lld", x->hold);
            CHECK_EQ(getSettled(&c, p, tok, &r), 200);
            CHECK_STR(json_string_value(json_object_get(r.json, "patient")),
                      x->patient);
            const char *st =
                json_string_value(json_object_get(r.json, "state"));
            if (cs == 200) {
                CHECK_STR(st, "booked");
                CHECK_EQ(tresp_int(&r, "visit_no"), x->visit);
            }
            if (strcmp(st, "booked") == 0) {
                long long v = tresp_int(&r, "visit_no");
                CHECK(v >= 1 && v <= 60);
                CHECK(!visit_seen[v]); /* no visit number twice */
                visit_seen[v] = true;
                books++;
            }
            tresp_free(&r);
        }
    }
    /* A 504 hold is resolved by the query it named: held or not there. */
    for (int i = 0; i < n; i++) {
        if (o[i].hold_status != 504) {
            continue;
        }
        char p[128];
        snprintf(p, sizeof p, "/v1/pools/fo-pool/patients/%.31s", o[i].patient);
        int st = getSettled(&c, p, i % 2 ? TOK_APP : TOK_114, &r);
        CHECK(st == 200 || st == 404);
        if (st == 200) {
            CHECK_STR(json_string_value(json_object_get(r.json, "state")),
                      "held");
        }
        tresp_free(&r);
    }
    /* Every booking in the pool comes from a hold a client saw: none was
     * made twice or behind a client's back. */
    CHECK_EQ(getSettled(&c, "/v1/pools/fo-pool", TOK_APP, &r), 200);
    CHECK_EQ(tresp_int(&r, "booked"), books);
    CHECK(tresp_int(&r, "booked") + tresp_int(&r, "held") <= 60);
    tresp_free(&r);
    fprintf(stderr,
            "failover: %d requests, %d holds, %d booked, %d answered 503/504 "
            "(node %d killed); after the kill %d holds, %d booked\n",
            n, holds, books, unavailable, killed + 1, holds_after, books_after);
    /* The cluster elected a new leader and the gateway found it: holds
     * and bookings were made after the kill, not only refused. */
    CHECK(holds_after > 0);
    CHECK(books_after > 0);
    tconn_close(&c);
    CHECK_EQ(gatewayStop(&g), 0);
    CHECK_EQ(tcluster_stop(&t), 0);
}

/* /healthz without a majority: once the surviving node has lost its
 * leader it answers 503 (no raft barrier involved: the node's own view),
 * and the body names why. Bounded waits, no timing assertion. */
static void test_healthz_no_leader(void)
{
    struct tcluster t;
    CHECK_EQ(tcluster_start(&t, 3, 0), 0);
    struct tgateway g;
    if (gatewayStart(&g, &t, "\"patient_rate_per_s\":0") != 0) {
        CHECK_EQ(tcluster_stop(&t), 0);
        CHECK(0);
    }
    CHECK_EQ(healthzFresh(g.port), 200);
    int leader = tcluster_leader(&t, 5000);
    CHECK(leader >= 0);
    /* Kill the two others: the leader steps down when it stops hearing
     * from a majority (raft's check quorum) and then knows no leader. */
    for (int i = 0; i < 3; i++) {
        if (i != leader) {
            tcluster_signal(&t, i, SIGKILL);
        }
    }
    int st = 0;
    struct tresp r;
    memset(&r, 0, sizeof r);
    long long until = tclock_mono_ms() + 30000;
    while (tclock_mono_ms() < until) {
        struct tconn c = {.fd = -1, .port = g.port};
        st = treq(&c, "GET", "/healthz", NULL, NULL, NULL, &r);
        tconn_close(&c);
        if (st == 503) {
            break;
        }
        tresp_free(&r);
        tclock_sleep_ms(100);
    }
    CHECK_EQ(st, 503);
    json_t *e = json_object_get(r.json, "error");
    const char *code = json_string_value(json_object_get(e, "code"));
    CHECK(code != NULL &&
          (strcmp(code, "NO_LEADER") == 0 || strcmp(code, "UNAVAILABLE") == 0 ||
           strcmp(code, "TIMEOUT") == 0));
    tresp_free(&r);
    CHECK_EQ(gatewayStop(&g), 0);
    /* Two nodes were killed on purpose: their ends are not problems. */
    tcluster_stop(&t);
}

/* A write retried with its Idempotency-Key until a definitive answer
 * (anything but 0, 503, 504). Returns that status; counts the 503/504. */
static int writeUntilDone(struct tconn *c, const char *path, const char *tok,
                          const char *key, const char *body, struct tresp *r,
                          int *unsure)
{
    int st = 0;
    for (int i = 0; i < 60; i++) {
        st = treq(c, "POST", path, tok, key, body, r);
        if (st != 0 && st != 503 && st != 504) {
            return st;
        }
        *unsure += 1;
        tresp_free(r);
        tconn_close(c);
        tclock_sleep_ms(100);
    }
    return st;
}

/* The same run, but every write carries an Idempotency-Key and is retried
 * on 503/504 until it is answered: exactly once end to end, across a
 * leader's death. */
static void test_leader_failover_idempotent(void)
{
    struct tcluster t;
    CHECK_EQ(tcluster_start(&t, 3, 0), 0);
    struct tgateway g;
    if (gatewayStart(&g, &t,
                     "\"request_timeout_ms\":600,\"patient_rate_per_s\":0") !=
        0) {
        CHECK_EQ(tcluster_stop(&t), 0);
        CHECK(0);
    }
    struct tconn c = {.fd = -1, .port = g.port};
    struct tresp r;
    int unsure = 0;
    CHECK_EQ(writeUntilDone(&c, "/v1/pools", TOK_ADMIN, "fo2-pool",
                            "{\"pool\":\"fo2-pool\",\"capacity\":50}", &r,
                            &unsure),
             201);
    tresp_free(&r);
    enum { N = 80 };
    int n = 0, held = 0, booked = 0, soldout = 0;
    bool visit_seen[64] = {false};
    long long until = tclock_mono_ms() + 60000;
    for (; n < N && tclock_mono_ms() < until; n++) {
        if (n == 20 || n == 50) {
            /* Two leaders die (the first comes back in between). */
            int k = tcluster_leader(&t, 5000);
            CHECK(k >= 0);
            tcluster_signal(&t, k, SIGKILL);
            if (n == 50) {
                for (int i = 0; i < t.n; i++) {
                    if (t.node[i].pid == 0 && i != k) {
                        CHECK_EQ(tcluster_start_node(&t, i), 0);
                    }
                }
            }
        }
        char body[64], key[32], path[64];
        snprintf(body, sizeof body, "{\"patient\":\"patient-f2-%04d\"}", n);
        snprintf(key, sizeof key, "f2-hold-%d", n);
        const char *tok = n % 2 ? TOK_APP : TOK_WIN;
        int st = writeUntilDone(&c, "/v1/pools/fo2-pool/holds", tok, key, body,
                                &r, &unsure);
        long long h = tresp_int(&r, "hold");
        if (st == 409) {
            CHECK_STR(tresp_code(&r), "SOLD_OUT");
            soldout++;
        }
        tresp_free(&r);
        CHECK(st == 201 || st == 409);
        if (st != 201) {
            continue;
        }
        held++;
        snprintf(key, sizeof key, "f2-pay-%d", n);
        snprintf(path, sizeof path, "/v1/holds/%lld/confirm", h);
        st = writeUntilDone(&c, path, tok, key, "{\"payment_ref\":\"f2\"}", &r,
                            &unsure);
        CHECK_EQ(st, 200);
        long long v = tresp_int(&r, "visit_no");
        tresp_free(&r);
        CHECK(v >= 1 && v <= 50);
        CHECK(!visit_seen[v]);
        visit_seen[v] = true;
        booked++;
    }
    CHECK(n > 40);
    CHECK_EQ(held, booked);
    CHECK_EQ(getSettled(&c, "/v1/pools/fo2-pool", TOK_APP, &r), 200);
    /* Exactly what the clients were told: no hold or booking twice, none
     * lost. */
    CHECK_EQ(tresp_int(&r, "booked"), booked);
    CHECK_EQ(tresp_int(&r, "held"), 0);
    CHECK_EQ(tresp_int(&r, "next_visit_no"), booked + 1);
    tresp_free(&r);
    fprintf(
        stderr,
        "failover+keys: %d requests, %d booked, %d sold out, %d retried after "
        "503/504\n",
        n, booked, soldout, unsure);
    tconn_close(&c);
    CHECK_EQ(gatewayStop(&g), 0);
    CHECK_EQ(tcluster_stop(&t), 0);
}

/* ---- the adaptive in-flight budget (gw_admit.h, issue 17) --------------- */

/* Sends one hold per connection (patients prefix-round-i), all before any
 * answer is read. */
static void holdsSend(struct tconn *c, int n, const char *pool,
                      const char *prefix, int round)
{
    for (int i = 0; i < n; i++) {
        char body[96], raw[512];
        int bl =
            snprintf(body, sizeof body, "{\"patient\":\"patient-%s-%d-%03d\"}",
                     prefix, round, i);
        int k = snprintf(raw, sizeof raw,
                         "POST /v1/pools/%s/holds HTTP/1.1\r\nHost: t\r\n"
                         "Authorization: Bearer " TOK_APP "\r\n"
                         "Content-Length: %d\r\n\r\n%s",
                         pool, bl, body);
        CHECK(send(c[i].fd, raw, (size_t)k, MSG_NOSIGNAL) == k);
    }
}

/* Reads the n answers: counts 201 and 503 OVERLOADED (with Retry-After);
 * anything else is counted in *other. */
static void holdsRead(struct tconn *c, int n, int *ok, int *shed, int *other)
{
    for (int i = 0; i < n; i++) {
        struct tresp r;
        int st = tread(&c[i], &r);
        char v[64];
        if (st == 201) {
            (*ok)++;
            /* A call's answer says its time in the gateway. */
            CHECK(tresp_header(&r, "server-timing", v, sizeof v) != NULL);
            CHECK(strncmp(v, "gw;dur=", 7) == 0 && atof(v + 7) >= 0.0);
        } else if (st == 503 && strcmp(tresp_code(&r), "OVERLOADED") == 0) {
            (*shed)++;
            CHECK(tresp_header(&r, "retry-after", v, sizeof v) != NULL);
            CHECK(atoi(v) >= 1);
        } else {
            (*other)++;
            fprintf(stderr, "admission: %d %s\n", st,
                    r.body != NULL ? r.body : "");
        }
        tresp_free(&r);
    }
}

/* A gauge or counter of the gateway's /metrics (-1 if absent). */
static double metricOf(int port, const char *series)
{
    struct tconn c = {.fd = -1, .port = port};
    struct tresp r;
    double v = -1;
    if (treq(&c, "GET", "/metrics", NULL, NULL, NULL, &r) == 200) {
        /* At a line's start: not the name in its # HELP line. */
        for (const char *p = strstr(r.body, series); p != NULL;
             p = strstr(p + 1, series)) {
            if (p == r.body || p[-1] == '\n') {
                v = atof(p + strlen(series));
                break;
            }
        }
    }
    tresp_free(&r);
    tconn_close(&c);
    return v;
}

/* The cluster stalls (every node SIGSTOPped for 300 ms) under 64 holds in
 * flight: their time in the gateway is a standing queue far above the
 * 20 ms target, so the budget falls to what the cluster answered in the
 * target (64 answers over a 50 ms window x 20 ms: at most 25). The next
 * 64 holds sent at once: those beyond the budget get 503 OVERLOADED +
 * Retry-After at once and touch nothing; the budget grows back while the
 * cluster answers fast, until a round of 64 is admitted whole. */
static void test_admission(void)
{
    enum { N = 64 };
    struct tgateway g;
    CHECK_EQ(gatewayStart(&g, &cluster,
                          "\"patient_rate_per_s\":0,\"inflight_max\":256,"
                          "\"inflight_min\":4,\"queue_target_ms\":20,"
                          "\"queue_interval_ms\":50"),
             0);
    createPool("{\"pool\":\"admit-pool\",\"capacity\":100000}");
    struct tconn c[N];
    for (int i = 0; i < N; i++) {
        CHECK_EQ(tconn_open(&c[i], g.port), 0);
    }
    CHECK_EQ(metricOf(g.port, "slot_gateway_inflight_budget "), 256);
    int ok = 0, shed = 0, other = 0;
    for (int i = 0; i < cluster.n; i++) {
        proc_signal(&cluster.node[i], SIGSTOP);
    }
    holdsSend(c, N, "admit-pool", "adm", 0);
    tclock_sleep_ms(300);
    for (int i = 0; i < cluster.n; i++) {
        proc_signal(&cluster.node[i], SIGCONT);
    }
    holdsRead(c, N, &ok, &shed, &other);
    CHECK_EQ(ok, N); /* admitted before anything was measured */
    CHECK_EQ(shed, 0);
    /* The window of those answers closes at the first request after it. */
    tclock_sleep_ms(60);
    struct tconn one = {.fd = -1, .port = g.port};
    struct tresp r;
    CHECK_EQ(treq(&one, "GET", "/v1/pools/admit-pool", TOK_APP, NULL, NULL, &r),
             200);
    tresp_free(&r);
    tconn_close(&one);
    double budget = metricOf(g.port, "slot_gateway_inflight_budget ");
    double delay = metricOf(g.port, "slot_gateway_queue_delay_seconds ");
    fprintf(stderr, "admission: after the stall budget %.0f, delay %.3f s\n",
            budget, delay);
    CHECK(budget >= 4 && budget <= 25);
    CHECK(delay >= 0.2);
    CHECK(metricOf(g.port, "slot_gateway_budget_changes_total{direction="
                           "\"shrink\"} ") >= 1);
    /* Beyond the budget: refused at once, nothing held for them. */
    int ok1 = 0, shed1 = 0;
    holdsSend(c, N, "admit-pool", "adm", 1);
    holdsRead(c, N, &ok1, &shed1, &other);
    fprintf(stderr, "admission: %d admitted, %d refused OVERLOADED\n", ok1,
            shed1);
    CHECK(shed1 >= N - 25);
    CHECK_EQ(ok1 + shed1, N);
    CHECK_EQ(poolField("admit-pool", "held"), N + ok1);
    /* Fast answers with the budget reached: it grows back (bounded). */
    bool whole = false;
    for (int round = 2; round < 60 && !whole; round++) {
        int k = 0, s = 0;
        for (int i = 0; i < N; i++) {
            if (c[i].fd < 0) {
                CHECK_EQ(tconn_open(&c[i], g.port), 0);
            }
        }
        holdsSend(c, N, "admit-pool", "adm", round);
        holdsRead(c, N, &k, &s, &other);
        whole = s == 0;
        tclock_sleep_ms(60); /* one window per round */
    }
    CHECK(whole);
    CHECK(metricOf(g.port, "slot_gateway_budget_changes_total{direction="
                           "\"grow\"} ") >= 1);
    CHECK_EQ(other, 0);
    for (int i = 0; i < N; i++) {
        tconn_close(&c[i]);
    }
    CHECK_EQ(gatewayStop(&g), 0);
}

/* ---- shutdown ------------------------------------------------------------ */

/* SIGTERM: the gateway stops accepting, answers what it has read (a
 * request in flight on the cluster is answered, not dropped; one read
 * after the signal gets 503 OVERLOADED), does not wait for an idle
 * keep-alive connection, and exits 0 well within GW_STOP_MS, with no
 * sanitizer report in its log. */
static void test_shutdown_clean(void)
{
    struct tgateway g;
    CHECK_EQ(gatewayStart(&g, &cluster, "\"patient_rate_per_s\":0"), 0);
    struct tconn idle = {.fd = -1, .port = g.port},
                 busy = {.fd = -1, .port = g.port};
    struct tresp r;
    /* Two connections, both accepted and served once (keep-alive). */
    CHECK_EQ(treq(&idle, "POST", "/v1/pools", TOK_ADMIN, NULL,
                  "{\"pool\":\"sd-pool\",\"capacity\":5}", &r),
             201);
    tresp_free(&r);
    CHECK_EQ(treq(&busy, "GET", "/v1/pools/sd-pool", TOK_APP, NULL, NULL, &r),
             200);
    tresp_free(&r);
    /* A hold sent, then SIGTERM at once: the gateway reads the request
     * before it can act on the signal's stop (the bytes are there
     * first). */
    static const char body[] = "{\"patient\":\"patient-sd-0001\"}";
    char raw[512];
    int k = snprintf(raw, sizeof raw,
                     "POST /v1/pools/sd-pool/holds HTTP/1.1\r\nHost: t\r\n"
                     "Authorization: Bearer " TOK_APP "\r\n"
                     "Content-Length: %zu\r\n\r\n%s",
                     sizeof body - 1, body);
    CHECK(send(busy.fd, raw, (size_t)k, MSG_NOSIGNAL) == k);
    proc_signal(&g.p, SIGTERM);
    int st = tread(&busy, &r);
    fprintf(stderr, "shutdown: the hold in flight got %d %s\n", st,
            tresp_code(&r));
    CHECK(st == 201 || st == 503);
    if (st == 503) {
        CHECK_STR(tresp_code(&r), "OVERLOADED");
    }
    tresp_free(&r);
    /* Exit status 0 (read by waitpid), within the bound, log clean. */
    CHECK_EQ(gatewayStop(&g), 0);
    CHECK(g.p.reaped && WIFEXITED(g.p.status) && WEXITSTATUS(g.p.status) == 0);
    tconn_close(&idle);
    tconn_close(&busy);
    /* What the client was told is what the ledger holds. */
    CHECK_EQ(poolField("sd-pool", "held"), st == 201 ? 1 : 0);
}

/* ---- hospitals' rules and schedules (issue 14) ---------------------------
 * Times are relative to now, never slept for (as test_libslot_sched.c):
 * each test gives its hospital a UTC offset that puts local time near
 * noon, so no test runs across a local midnight; a cut-off is the local
 * minute now running, a release time an hour ago, a pool's own release a
 * second and a half away (polled, bounded). Names carry the test's pid. */

#define MS_PER_MIN 60000ll
#define MS_PER_DAY 86400000ll

/* "<prefix>-<pid>": distinct per test (each runs in its own process). */
static const char *uniq(const char *prefix)
{
    static char buf[4][40];
    static int k;
    char *b = buf[k++ % 4];
    snprintf(b, sizeof buf[0], "%s-%d", prefix, (int)getpid());
    return b;
}

/* A UTC offset (whole minutes) that makes local time about noon at t. */
static int noonOffset(long long t_ms)
{
    return 720 - (int)((t_ms % MS_PER_DAY) / MS_PER_MIN);
}

static long long localDay(long long t_ms, int off)
{
    return (t_ms + off * MS_PER_MIN) / MS_PER_DAY;
}

static int localMinute(long long t_ms, int off)
{
    return (int)(((t_ms + off * MS_PER_MIN) % MS_PER_DAY) / MS_PER_MIN);
}

/* UTC ms of local (day, minute). */
static long long utcOf(long long day, int minute, int off)
{
    return day * MS_PER_DAY + (minute - off) * MS_PER_MIN;
}

/* "+HH:MM" of an offset; "HH:MM" of a minute; "YYYY-MM-DD" of a day. */
static const char *offsetStr(int off)
{
    static char b[8];
    int a = off < 0 ? -off : off;
    snprintf(b, sizeof b, "%c%02d:%02d", off < 0 ? '-' : '+', (a / 60) % 100,
             a % 60);
    return b;
}

static const char *hhmm(int minute, char out[6])
{
    slotc_minute_format((uint32_t)minute % 1440, out);
    return out;
}

static const char *dateOf(long long day, char out[11])
{
    slotc_day_format((uint32_t)day, out);
    return out;
}

/* PUT a hospital's (or a department's) rules; returns the status. */
static int putRules(const char *h, const char *dep, const char *rules_json,
                    const char *idem, struct tresp *r)
{
    char path[128], body[4096];
    snprintf(path, sizeof path, "/v1/hospitals/%s/rules", h);
    snprintf(body, sizeof body,
             "{%s%s%s\"operator\":\"ops@test\",\"reason\":\"test\","
             "\"rules\":%s}",
             dep != NULL ? "\"department\":\"" : "", dep != NULL ? dep : "",
             dep != NULL ? "\"," : "", rules_json);
    struct tconn c = {.fd = -1, .port = gw.port};
    int st = treq(&c, "PUT", path, TOK_ADMIN, idem, body, r);
    tconn_close(&c);
    return st;
}

static void setRulesOk(const char *h, const char *rules_json)
{
    struct tresp r;
    int st = putRules(h, NULL, rules_json, NULL, &r);
    if (st != 200) {
        fprintf(stderr, "PUT rules %s -> %d %s\n", rules_json, st,
                r.body != NULL ? r.body : "");
    }
    CHECK_EQ(st, 200);
    tresp_free(&r);
}

/* A string member of an object member of the body ("" if absent). */
static const char *jstr(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : "";
}

static long long jint(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

/* How many libslot requests of op ("read_pool") answered OK so far. */
static long long clusterCount(const char *op)
{
    struct tresp r;
    CHECK_EQ(call1("GET", "/metrics", NULL, NULL, &r), 200);
    char key[128];
    snprintf(key, sizeof key,
             "slot_gateway_cluster_requests_total{op=\"%s\",code=\"OK\"} ", op);
    const char *p = strstr(r.body, key);
    long long n = p != NULL ? atoll(p + strlen(key)) : 0;
    tresp_free(&r);
    return n;
}

static void test_sched_rules(void)
{
    const char *h = uniq("hr");
    char path[160];
    struct tresp r, r2;
    snprintf(path, sizeof path, "/v1/hospitals/%s/rules", h);
    expect("GET", path, TOK_APP, NULL, 404, "UNKNOWN_HOSPITAL");
    struct lsnap before = ledgerSnap();
    /* A department's rules need the hospital's first. */
    CHECK_EQ(putRules(h, "cardio", "{}", NULL, &r), 404);
    CHECK_STR(tresp_code(&r), "UNKNOWN_HOSPITAL");
    tresp_free(&r);
    /* Admin only. */
    expect("PUT", path, TOK_APP,
           "{\"operator\":\"a\",\"reason\":\"b\",\"rules\":{}}", 403,
           "FORBIDDEN");
    checkSameLedger(before);

    const char *rules =
        "{\"utc_offset\":\"+08:00\",\"release_time\":\"09:00\","
        "\"horizon_days\":7,\"cutoff_time\":\"15:00\",\"pay_ttl_ms\":300000,"
        "\"pay_ttl_max_ms\":0,\"flow_back\":{\"days_before\":1,\"time\":"
        "\"15:00\",\"to\":\"\"},\"groups\":[{\"name\":\"online\","
        "\"channels\":[\"app\",\"wechat\",\"bank\",\"kiosk\"]}],"
        "\"policies\":[{\"channel\":\"doctor\",\"horizon_days\":90,"
        "\"cutoff\":false,\"same_day\":true}],\"eligibility\":[{"
        "\"department\":\"\",\"kind\":\"special\",\"channels\":[\"app\","
        "\"window\"]}]}";
    /* The reason is Chinese text: it comes back as the same characters. */
    char body[2048];
    snprintf(body, sizeof body,
             "{\"operator\":\"admin@pumch\",\"reason\":\"\xe6\x8e\x92\xe7\x8f"
             "\xad\xe8\xa7\x84\xe5\x88\x99\",\"rules\":%s}",
             rules);
    struct tconn c = {.fd = -1, .port = gw.port};
    CHECK_EQ(treq(&c, "PUT", path, TOK_ADMIN, "rules-k1", body, &r), 200);
    char want[200];
    snprintf(want, sizeof want,
             "{\"hospital\":\"%s\",\"department\":\"\",\"version\":1}", h);
    CHECK_STR(r.body, want);
    /* A retry with its key: the same bytes; the key with another body:
     * 422. */
    CHECK_EQ(treq(&c, "PUT", path, TOK_ADMIN, "rules-k1", body, &r2), 200);
    CHECK_STR(r.body, r2.body);
    tresp_free(&r);
    tresp_free(&r2);
    CHECK_EQ(treq(&c, "PUT", path, TOK_ADMIN, "rules-k1",
                  "{\"operator\":\"a\",\"reason\":\"b\",\"rules\":{}}", &r),
             422);
    CHECK_STR(tresp_code(&r), "REQUEST_MISMATCH");
    tresp_free(&r);

    CHECK_EQ(treq(&c, "GET", path, TOK_114, NULL, NULL, &r), 200);
    CHECK_STR(jstr(r.json, "hospital"), h);
    CHECK_STR(jstr(r.json, "department"), "");
    CHECK(json_is_false(json_object_get(r.json, "inherited")));
    CHECK_EQ(jint(r.json, "version"), 1);
    CHECK(jint(r.json, "changed_at_ms") > 0);
    CHECK_STR(jstr(r.json, "operator"), "admin@pumch");
    CHECK_STR(jstr(r.json, "reason"),
              "\xe6\x8e\x92\xe7\x8f\xad\xe8\xa7\x84\xe5\x88\x99");
    /* The rule set as sent, every field; the patient rules and the visit
     * rules it left out at their defaults (no restriction). */
    json_t *sent = json_loads(rules, 0, NULL);
    json_t *got = json_object_get(r.json, "rules");
    const char *sk;
    json_t *sv;
    json_object_foreach(sent, sk, sv)
    {
        CHECK(json_equal(json_object_get(got, sk), sv));
    }
    CHECK_EQ(json_object_size(got), json_object_size(sent) + 6);
    CHECK_EQ(jint(json_object_get(got, "quota"), "day_normal"), 0);
    CHECK_EQ(jint(json_object_get(got, "visit"), "checkin_before_ms"),
             86400000);
    CHECK(json_is_false(
        json_object_get(json_object_get(got, "visit"), "noshow_sweep")));
    CHECK(
        json_is_null(json_object_get(json_object_get(got, "cancel"), "time")));
    json_decref(sent);
    tresp_free(&r);

    /* A department's own rules, and a department that inherits. */
    CHECK_EQ(putRules(h, "cardio",
                      "{\"utc_offset\":\"+08:00\",\"horizon_days\":14}", NULL,
                      &r),
             200);
    CHECK_EQ(tresp_int(&r, "version"), 2);
    CHECK_STR(jstr(r.json, "department"), "cardio");
    tresp_free(&r);
    char dpath[200];
    snprintf(dpath, sizeof dpath, "%s?department=cardio", path);
    CHECK_EQ(treq(&c, "GET", dpath, TOK_APP, NULL, NULL, &r), 200);
    CHECK(json_is_false(json_object_get(r.json, "inherited")));
    CHECK_EQ(jint(json_object_get(r.json, "rules"), "horizon_days"), 14);
    CHECK(json_is_null(
        json_object_get(json_object_get(r.json, "rules"), "cutoff_time")));
    tresp_free(&r);
    snprintf(dpath, sizeof dpath, "%s?department=derm", path);
    CHECK_EQ(treq(&c, "GET", dpath, TOK_APP, NULL, NULL, &r), 200);
    CHECK(json_is_true(json_object_get(r.json, "inherited")));
    CHECK_EQ(jint(r.json, "version"), 1);
    CHECK_EQ(jint(json_object_get(r.json, "rules"), "horizon_days"), 7);
    tresp_free(&r);

    /* The log: oldest first, pages by version. */
    char lpath[200];
    snprintf(lpath, sizeof lpath, "%s/log", path);
    CHECK_EQ(treq(&c, "GET", lpath, TOK_WIN, NULL, NULL, &r), 200);
    json_t *ch = json_object_get(r.json, "changes");
    CHECK_EQ(json_array_size(ch), 2);
    CHECK_EQ(jint(json_array_get(ch, 0), "version"), 1);
    CHECK_STR(jstr(json_array_get(ch, 1), "department"), "cardio");
    CHECK(json_is_null(json_object_get(r.json, "next_after")));
    tresp_free(&r);
    snprintf(lpath, sizeof lpath, "%s/log?limit=1", path);
    CHECK_EQ(treq(&c, "GET", lpath, TOK_WIN, NULL, NULL, &r), 200);
    CHECK_EQ(json_array_size(json_object_get(r.json, "changes")), 1);
    CHECK_EQ(tresp_int(&r, "next_after"), 1);
    tresp_free(&r);
    snprintf(lpath, sizeof lpath, "%s/log?after=1&limit=1", path);
    CHECK_EQ(treq(&c, "GET", lpath, TOK_WIN, NULL, NULL, &r), 200);
    ch = json_object_get(r.json, "changes");
    CHECK_EQ(json_array_size(ch), 1);
    CHECK_EQ(jint(json_array_get(ch, 0), "version"), 2);
    tresp_free(&r);
    tconn_close(&c);

    /* Refusals: each with its status and code, the log unchanged. */
    expect("PUT", path, TOK_ADMIN,
           "{\"operator\":\"a\",\"reason\":\"b\",\"rules\":{\"horizon_days\":"
           "400}}",
           400, "INVALID_ARGUMENT");
    expect("PUT", path, TOK_ADMIN,
           "{\"operator\":\"a\",\"reason\":\"b\",\"rules\":{\"groups\":["
           "{\"name\":\"app\",\"channels\":[\"app\"]}]}}",
           400, "INVALID_ARGUMENT");
    expect("PUT", path, TOK_ADMIN, "{\"reason\":\"b\",\"rules\":{}}", 400,
           "MALFORMED");
    expect("PUT", path, TOK_ADMIN, NULL, 400, "MALFORMED");
    snprintf(dpath, sizeof dpath, "%s?department=cardio", path);
    expect("PUT", dpath, TOK_ADMIN,
           "{\"operator\":\"a\",\"reason\":\"b\",\"rules\":{}}", 400,
           "MALFORMED");
    snprintf(dpath, sizeof dpath, "%s?dept=cardio", path);
    expect("GET", dpath, TOK_APP, NULL, 400, "MALFORMED");
    snprintf(dpath, sizeof dpath, "%s?department=a%%20b", path);
    expect("GET", dpath, TOK_APP, NULL, 400, "INVALID_ARGUMENT");
    snprintf(lpath, sizeof lpath, "%s/log?limit=0", path);
    expect("GET", lpath, TOK_APP, NULL, 400, "INVALID_ARGUMENT");
    expect("GET", "/v1/hospitals/a%20b/rules", TOK_APP, NULL, 400,
           "INVALID_ARGUMENT");
    /* The ledger's own refusal: a department's offset must be the
     * hospital's. */
    CHECK_EQ(putRules(h, "derm", "{\"utc_offset\":\"+09:00\"}", NULL, &r), 400);
    CHECK_STR(tresp_code(&r), "INVALID_ARGUMENT");
    tresp_free(&r);
    snprintf(lpath, sizeof lpath, "%s/log", path);
    CHECK_EQ(call1("GET", lpath, TOK_APP, NULL, &r), 200);
    CHECK_EQ(json_array_size(json_object_get(r.json, "changes")), 2);
    tresp_free(&r);
}

/* A template of hospital h: prefix, doctor, kind, capacity of the first
 * segment, days (local day numbers). */
static void templateJson(char *out, size_t cap, const char *h,
                         const char *prefix, const char *doctor,
                         const char *kind, int cap0, const long long *days,
                         int n_days)
{
    int k = snprintf(out, cap,
                     "{\"id_prefix\":\"%s\",\"hospital\":\"%s\",\"campus\":"
                     "\"east\",\"department\":\"cardio\",\"doctor\":\"%s\","
                     "\"kind\":\"%s\",\"fee_cents\":5000,\"shares\":[{"
                     "\"channel\":\"114\",\"permille\":300},{\"channel\":"
                     "\"app\",\"permille\":500}],\"days\":[",
                     prefix, h, doctor, kind);
    for (int i = 0; i < n_days; i++) {
        char d[11];
        k += snprintf(out + k, cap - (size_t)k, "%s\"%s\"", i > 0 ? "," : "",
                      dateOf(days[i], d));
    }
    snprintf(out + k, cap - (size_t)k,
             "],\"segments\":[{\"start\":\"08:00\",\"end\":\"08:30\","
             "\"capacity\":%d},{\"start\":\"14:00\",\"end\":\"15:00\","
             "\"capacity\":20}]}",
             cap0);
}

static void test_sched_import(void)
{
    const char *h = uniq("hi");
    long long now = tclock_wall_ms();
    int off = noonOffset(now);
    long long today = localDay(now, off);
    char rules[128];
    snprintf(rules, sizeof rules, "{\"utc_offset\":\"%s\"}", offsetStr(off));
    setRulesOk(h, rules);
    char prefix[64], tpl[2048];
    snprintf(prefix, sizeof prefix, "%s/cardio/zhang", h);
    long long days[3] = {today + 1, today + 2, today + 4};
    templateJson(tpl, sizeof tpl, h, prefix, "zhang", "expert", 10, days, 3);

    /* A dry run changes nothing. */
    struct lsnap before = ledgerSnap();
    struct tresp r, r2;
    CHECK_EQ(call1("POST", "/v1/schedules?dry_run=1", TOK_ADMIN, tpl, &r), 200);
    CHECK_STR(r.body, "{\"created\":6,\"unchanged\":0,\"conflicts\":[],"
                      "\"dry_run\":true}");
    tresp_free(&r);
    checkSameLedger(before);
    expect("POST", "/v1/schedules", TOK_APP, tpl, 403, "FORBIDDEN");
    checkSameLedger(before);

    /* The import: 201, and its replay the same bytes. */
    struct tconn c = {.fd = -1, .port = gw.port};
    CHECK_EQ(treq(&c, "POST", "/v1/schedules", TOK_ADMIN, "imp-1", tpl, &r),
             201);
    CHECK_STR(r.body, "{\"created\":6,\"unchanged\":0,\"conflicts\":[],"
                      "\"dry_run\":false}");
    CHECK_EQ(treq(&c, "POST", "/v1/schedules", TOK_ADMIN, "imp-1", tpl, &r2),
             201);
    CHECK_STR(r.body, r2.body);
    tresp_free(&r);
    tresp_free(&r2);
    CHECK_EQ(ledgerSnap().pools, before.pools + 6);
    /* Imported again (no key): nothing new, 200. */
    CHECK_EQ(treq(&c, "POST", "/v1/schedules", TOK_ADMIN, NULL, tpl, &r), 200);
    CHECK_STR(r.body, "{\"created\":0,\"unchanged\":6,\"conflicts\":[],"
                      "\"dry_run\":false}");
    tresp_free(&r);

    /* A different first segment: 409 listing the three pools it would
     * change, nothing created. */
    char bad[2048];
    templateJson(bad, sizeof bad, h, prefix, "zhang", "expert", 11, days, 3);
    before = ledgerSnap();
    CHECK_EQ(treq(&c, "POST", "/v1/schedules", TOK_ADMIN, NULL, bad, &r), 409);
    CHECK_STR(tresp_code(&r), "SCHEDULE_CONFLICT");
    json_t *conf =
        json_object_get(json_object_get(r.json, "error"), "conflicts");
    CHECK_EQ(json_array_size(conf), 3);
    for (int i = 0; i < 3; i++) {
        char d[11], id[128];
        dateOf(days[i], d);
        snprintf(id, sizeof id, "%s/%.4s%.2s%.2s/0800", prefix, d, d + 5,
                 d + 8);
        CHECK_STR(json_string_value(json_array_get(conf, (size_t)i)), id);
    }
    tresp_free(&r);
    checkSameLedger(before);
    CHECK_EQ(
        treq(&c, "POST", "/v1/schedules?dry_run=1", TOK_ADMIN, NULL, bad, &r),
        200);
    CHECK_EQ(tresp_int(&r, "created"), 0);
    CHECK_EQ(tresp_int(&r, "unchanged"), 3);
    CHECK_EQ(json_array_size(json_object_get(r.json, "conflicts")), 3);
    tresp_free(&r);
    tconn_close(&c);

    /* A pool of the import: its place, its segment in local time. */
    char d1[11], path[256];
    dateOf(days[0], d1);
    snprintf(path, sizeof path,
             "/v1/pools/%s%%2Fcardio%%2Fzhang%%2F%.4s%.2s"
             "%.2s%%2F1400",
             h, d1, d1 + 5, d1 + 8);
    CHECK_EQ(call1("GET", path, TOK_APP, NULL, &r), 200);
    CHECK_EQ(tresp_int(&r, "capacity"), 20);
    CHECK_STR(jstr(r.json, "kind"), "expert");
    json_t *seg = json_object_get(r.json, "segment");
    CHECK_EQ(jint(seg, "start_ms"), utcOf(days[0], 14 * 60, off));
    CHECK_EQ(jint(seg, "end_ms"), utcOf(days[0], 15 * 60, off));
    CHECK_EQ(jint(json_object_get(json_object_get(r.json, "channels"), "114"),
                  "capacity"),
             6);
    json_t *sc = json_object_get(r.json, "schedule");
    CHECK_STR(jstr(sc, "hospital"), h);
    CHECK_STR(jstr(sc, "campus"), "east");
    CHECK_STR(jstr(sc, "department"), "cardio");
    CHECK_STR(jstr(sc, "doctor"), "zhang");
    CHECK_STR(jstr(sc, "visit_date"), d1);
    CHECK_STR(jstr(sc, "pay_mode"), "online");
    CHECK(json_is_null(json_object_get(sc, "flow_back_at_ms")));
    CHECK(json_is_false(json_object_get(sc, "flowed_back")));
    tresp_free(&r);

    /* Refusals. */
    char nohosp[2048];
    templateJson(nohosp, sizeof nohosp, uniq("nohosp"), prefix, "zhang",
                 "expert", 10, days, 3);
    expect("POST", "/v1/schedules", TOK_ADMIN, nohosp, 404, "UNKNOWN_HOSPITAL");
    expect("POST", "/v1/schedules?dry_run=yes", TOK_ADMIN, tpl, 400,
           "INVALID_ARGUMENT");
    expect("POST", "/v1/schedules?commit=1", TOK_ADMIN, tpl, 400, "MALFORMED");
    expect("POST", "/v1/schedules", TOK_ADMIN, "{\"id_prefix\":\"x\"}", 400,
           "MALFORMED");
    long long back[2] = {today + 2, today + 1};
    templateJson(bad, sizeof bad, h, prefix, "zhang", "expert", 10, back, 2);
    expect("POST", "/v1/schedules", TOK_ADMIN, bad, 400, "INVALID_ARGUMENT");

    /* The largest template (366 days x 48 segments, 17568 pools) fits the
     * schedule body limit though the shared gateway's body_max_bytes is
     * GW_BODY_MAX; a dry run, so nothing is created. */
    struct gw_sbuf {
        char *p;
        size_t len, cap;
    } big = {malloc(1 << 16), 0, 1 << 16};
    big.len = (size_t)snprintf(big.p, big.cap,
                               "{\"id_prefix\":\"%s/big\",\"hospital\":\"%s\","
                               "\"department\":\"all\",\"days\":[",
                               h, h);
    for (int i = 0; i < SLOTC_TEMPLATE_DAYS_MAX; i++) {
        char d[11];
        big.len +=
            (size_t)snprintf(big.p + big.len, big.cap - big.len, "%s\"%s\"",
                             i > 0 ? "," : "", dateOf(today + 1 + i, d));
    }
    big.len += (size_t)snprintf(big.p + big.len, big.cap - big.len,
                                "],\"segments\":[");
    for (int i = 0; i < SLOTC_TEMPLATE_SEGS_MAX; i++) {
        char s1[6], s2[6];
        big.len += (size_t)snprintf(
            big.p + big.len, big.cap - big.len,
            "%s{\"start\":\"%s\",\"end\":\"%s\",\"capacity\":1}",
            i > 0 ? "," : "", hhmm(i * 30, s1),
            i == 47 ? "24:00" : hhmm(i * 30 + 30, s2));
    }
    snprintf(big.p + big.len, big.cap - big.len, "]}");
    CHECK(strlen(big.p) > GW_BODY_MAX);
    before = ledgerSnap();
    CHECK_EQ(call1("POST", "/v1/schedules?dry_run=1", TOK_ADMIN, big.p, &r),
             200);
    CHECK_EQ(tresp_int(&r, "created"), 366 * 48);
    tresp_free(&r);
    checkSameLedger(before);
    /* Beyond the schedule body limit (64 KiB) but within h2o's buffer:
     * our JSON 413. */
    free(big.p);
    size_t n = 70000;
    big.p = malloc(n + 1);
    memset(big.p, ' ', n);
    big.p[0] = '{';
    big.p[n - 1] = '}';
    big.p[n] = '\0';
    CHECK_EQ(call1("POST", "/v1/schedules", TOK_ADMIN, big.p, &r), 413);
    CHECK_STR(tresp_code(&r), "TOO_LARGE");
    tresp_free(&r);
    free(big.p);
}

static void test_sched_query(void)
{
    const char *h = uniq("hq");
    long long now = tclock_wall_ms();
    int off = noonOffset(now);
    long long today = localDay(now, off);
    char rules[128];
    snprintf(rules, sizeof rules, "{\"utc_offset\":\"%s\"}", offsetStr(off));
    setRulesOk(h, rules);
    char prefix[64], tpl[2048];
    long long days[3] = {today + 1, today + 2, today + 4};
    snprintf(prefix, sizeof prefix, "%s/cardio/zhang", h);
    templateJson(tpl, sizeof tpl, h, prefix, "zhang", "expert", 10, days, 3);
    expect("POST", "/v1/schedules", TOK_ADMIN, tpl, 201, NULL);
    long long days2[1] = {today + 2};
    snprintf(prefix, sizeof prefix, "%s/cardio/li", h);
    templateJson(tpl, sizeof tpl, h, prefix, "li", "normal", 10, days2, 1);
    expect("POST", "/v1/schedules", TOK_ADMIN, tpl, 201, NULL);

    /* Everything: 8 pools in (date, segment, department, doctor) order. */
    char path[512], d[11];
    struct tresp r;
    snprintf(path, sizeof path, "/v1/pools?hospital=%s", h);
    CHECK_EQ(call1("GET", path, TOK_APP, NULL, &r), 200);
    CHECK_EQ(tresp_int(&r, "total"), 8);
    json_t *pools = json_object_get(r.json, "pools");
    CHECK_EQ(json_array_size(pools), 8);
    for (size_t i = 1; i < 8; i++) {
        json_t *a = json_object_get(json_array_get(pools, i - 1), "schedule");
        json_t *b = json_object_get(json_array_get(pools, i), "schedule");
        CHECK(strcmp(jstr(a, "visit_date"), jstr(b, "visit_date")) <= 0);
    }
    CHECK(json_is_null(json_object_get(r.json, "next_after")));
    CHECK(json_is_false(json_object_get(r.json, "stale")));
    CHECK(tresp_int(&r, "applied_index") > 0);
    tresp_free(&r);
    /* Filters. */
    static const struct {
        const char *q;
        int total;
    } filt[] = {
        {"&doctor=li", 2},
        {"&kind=normal", 2},
        {"&kind=expert&doctor=zhang", 6},
        {"&department=cardio", 8},
        {"&department=derm", 0},
        {"&kind=special", 0},
    };
    for (size_t i = 0; i < sizeof filt / sizeof filt[0]; i++) {
        snprintf(path, sizeof path, "/v1/pools?hospital=%s%s", h, filt[i].q);
        CHECK_EQ(call1("GET", path, TOK_WIN, NULL, &r), 200);
        if (tresp_int(&r, "total") != filt[i].total) {
            fprintf(stderr, "%s -> %s\n", path, r.body);
        }
        CHECK_EQ(tresp_int(&r, "total"), filt[i].total);
        CHECK_EQ((long long)json_array_size(json_object_get(r.json, "pools")),
                 filt[i].total);
        tresp_free(&r);
    }
    snprintf(path, sizeof path, "/v1/pools?hospital=%s&date_from=%s&date_to=%s",
             h, dateOf(today + 2, d), d);
    CHECK_EQ(call1("GET", path, TOK_WIN, NULL, &r), 200);
    CHECK_EQ(tresp_int(&r, "total"), 4);
    tresp_free(&r);
    snprintf(path, sizeof path, "/v1/pools?hospital=%s&date_from=%s", h,
             dateOf(today + 3, d));
    CHECK_EQ(call1("GET", path, TOK_WIN, NULL, &r), 200);
    CHECK_EQ(tresp_int(&r, "total"), 2);
    tresp_free(&r);
    /* Pages of 3, following next_after, alternately stale. */
    char after[128] = "";
    int seen = 0, pages = 0;
    for (; pages < 10; pages++) {
        char enc[200];
        gw_pct_encode_t(after, enc, sizeof enc);
        snprintf(path, sizeof path, "/v1/pools?hospital=%s&limit=3%s%s%s", h,
                 after[0] != '\0' ? "&after=" : "", enc,
                 pages % 2 ? "&stale=1" : "");
        CHECK_EQ(call1("GET", path, TOK_APP, NULL, &r), 200);
        CHECK_EQ(tresp_int(&r, "total"), 8);
        CHECK(json_is_boolean(json_object_get(r.json, "stale")));
        CHECK_EQ(json_is_true(json_object_get(r.json, "stale")), pages % 2);
        CHECK(tresp_int(&r, "applied_index") > 0);
        CHECK(strlen(jstr(r.json, "node")) > 0);
        seen += (int)json_array_size(json_object_get(r.json, "pools"));
        json_t *na = json_object_get(r.json, "next_after");
        if (json_is_null(na)) {
            tresp_free(&r);
            break;
        }
        snprintf(after, sizeof after, "%s", json_string_value(na));
        tresp_free(&r);
    }
    CHECK_EQ(seen, 8);
    CHECK_EQ(pages, 2);
    /* Refusals, each naming its parameter. */
    snprintf(path, sizeof path, "/v1/pools?hospital=%s&after=no-such-pool", h);
    expect("GET", path, TOK_APP, NULL, 404, "UNKNOWN_POOL");
    snprintf(path, sizeof path, "/v1/pools?hospital=%s", uniq("nohosp"));
    expect("GET", path, TOK_APP, NULL, 404, "UNKNOWN_HOSPITAL");
    static const struct {
        const char *q;
        const char *code;
        const char *name;
    } bad[] = {
        {"", "MALFORMED", "hospital"},
        {"&color=red", "MALFORMED", "color"},
        {"&kind=vip", "INVALID_ARGUMENT", "kind"},
        {"&limit=0", "INVALID_ARGUMENT", "limit"},
        {"&limit=1001", "INVALID_ARGUMENT", "limit"},
        {"&date_from=2026-1-1", "INVALID_ARGUMENT", "date_from"},
        {"&date_to=tomorrow", "INVALID_ARGUMENT", "date_to"},
        {"&doctor=a%2Fb", "INVALID_ARGUMENT", "doctor"},
        {"&stale=2", "INVALID_ARGUMENT", "stale"},
        {"&limit=5&limit=6", "MALFORMED", "limit"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (bad[i].q[0] == '\0') {
            snprintf(path, sizeof path, "/v1/pools");
        } else {
            snprintf(path, sizeof path, "/v1/pools?hospital=%s%s", h, bad[i].q);
        }
        CHECK_EQ(call1("GET", path, TOK_APP, NULL, &r), 400);
        CHECK_STR(tresp_code(&r), bad[i].code);
        const char *msg = jstr(json_object_get(r.json, "error"), "message");
        char quoted[40];
        snprintf(quoted, sizeof quoted, "\"%s\"", bad[i].name);
        if (strstr(msg, quoted) == NULL) {
            fprintf(stderr, "%s: %s\n", path, msg);
        }
        CHECK(strstr(msg, quoted) != NULL);
        tresp_free(&r);
    }
}

/* POST /v1/pools of a scheduled pool of hospital h on local day `day`,
 * 14:00-15:00; extra: more members of "schedule" ("" none). */
static void schedPool(const char *pool, const char *h, long long day, int off,
                      int cap, const char *channels, long long release_at_ms,
                      const char *extra)
{
    char body[1024], d[11];
    snprintf(body, sizeof body,
             "{\"pool\":\"%s\",\"capacity\":%d,\"segment\":{\"start_ms\":%lld,"
             "\"end_ms\":%lld},\"release_at_ms\":%lld,\"channels\":{%s},"
             "\"schedule\":{\"hospital\":\"%s\",\"department\":\"derm\","
             "\"doctor\":\"wang\",\"visit_date\":\"%s\"%s}}",
             pool, cap, utcOf(day, 14 * 60, off), utcOf(day, 15 * 60, off),
             release_at_ms, channels, h, dateOf(day, d), extra);
    struct tresp r;
    int st = call1("POST", "/v1/pools", TOK_ADMIN, body, &r);
    if (st != 201) {
        fprintf(stderr, "%s -> %d %s\n", body, st, r.body);
    }
    CHECK_EQ(st, 201);
    /* The reply echoes the definition, the schedule included. */
    json_t *sc = json_object_get(r.json, "schedule");
    CHECK_STR(jstr(sc, "hospital"), h);
    CHECK_STR(jstr(sc, "visit_date"), d);
    tresp_free(&r);
}

/* A hold's answer: the status, and the error code in code (or ""). */
static int holdCode(const char *pool, const char *patient, const char *token,
                    char code[32])
{
    char path[256], body[128];
    snprintf(path, sizeof path, "/v1/pools/%s/holds", pool);
    snprintf(body, sizeof body, "{\"patient\":\"%s\",\"ttl_ms\":60000}",
             patient);
    struct tresp r;
    int st = call1("POST", path, token, body, &r);
    snprintf(code, 32, "%s", tresp_code(&r));
    tresp_free(&r);
    return st;
}

static void expectHold(const char *pool, const char *patient, const char *token,
                       int status, const char *code)
{
    char got[32];
    int st = holdCode(pool, patient, token, got);
    if (st != status || strcmp(got, code) != 0) {
        fprintf(stderr, "hold %s %s -> %d %s (want %d %s)\n", pool, patient, st,
                got, status, code);
    }
    CHECK_EQ(st, status);
    CHECK_STR(got, code);
}

static void test_sched_hold_rules(void)
{
    const char *h = uniq("hd");
    long long now = tclock_wall_ms();
    int off = noonOffset(now);
    long long today = localDay(now, off);
    int minute = localMinute(now, off);
    /* Local time is about noon: the release time passed an hour ago, the
     * cut-off is the minute now running. 114 books 90 days ahead, today
     * included, without cut-off; the window has no cut-off either. */
    char rules[1024], t1[6], t2[6];
    snprintf(rules, sizeof rules,
             "{\"utc_offset\":\"%s\",\"release_time\":\"%s\",\"horizon_days\":"
             "7,\"cutoff_time\":\"%s\",\"policies\":[{\"channel\":\"114\","
             "\"horizon_days\":90,\"cutoff\":false,\"same_day\":true},{"
             "\"channel\":\"window\",\"cutoff\":false},{\"channel\":\"*\","
             "\"same_day\":false}]}",
             offsetStr(off), hhmm(minute - 60, t1), hhmm(minute, t2));
    setRulesOk(h, rules);
    char p7[64], p8[64], p1[64], p0[64], pr[64], pe[64];
    snprintf(p7, sizeof p7, "%s-d7", h);
    snprintf(p8, sizeof p8, "%s-d8", h);
    snprintf(p1, sizeof p1, "%s-d1", h);
    snprintf(p0, sizeof p0, "%s-d0", h);
    snprintf(pr, sizeof pr, "%s-rel", h);
    snprintf(pe, sizeof pe, "%s-elig", h);
    schedPool(p7, h, today + 7, off, 5, "", 0, "");
    schedPool(p8, h, today + 8, off, 5, "", 0, "");
    schedPool(p1, h, today + 1, off, 5, "", 0, "");
    schedPool(p0, h, today, off, 5, "", 0, "");
    schedPool(pr, h, today + 3, off, 5, "", tclock_wall_ms() + 1500, "");
    schedPool(pe, h, today + 3, off, 5, "", 0,
              ",\"eligible\":[\"app\",\"window\"]");

    struct lsnap before = ledgerSnap();
    /* D+7 opened at the release time; D+8 is beyond app's horizon, not
     * 114's. */
    expectHold(p8, "patient-d8-app1", TOK_APP, 409, "OUTSIDE_HORIZON");
    /* Tomorrow after the cut-off: closed to app, open to the window. */
    expectHold(p1, "patient-d1-app1", TOK_APP, 409, "BOOKING_CLOSED");
    /* Today: not for app (no same-day booking). */
    expectHold(p0, "patient-d0-app1", TOK_APP, 409, "BOOKING_CLOSED");
    /* Eligibility: 114 may not book this pool at all. */
    expectHold(pe, "patient-el-1141", TOK_114, 403, "CHANNEL_NOT_ALLOWED");
    /* The pool's own release time, a moment away. */
    expectHold(pr, "patient-rel-0001", TOK_WIN, 409, "NOT_RELEASED");
    checkSameLedger(before);
    expectHold(p7, "patient-d7-app1", TOK_APP, 201, "");
    expectHold(p8, "patient-d8-1141", TOK_114, 201, "");
    expectHold(p1, "patient-d1-win1", TOK_WIN, 201, "");
    expectHold(p0, "patient-d0-1141", TOK_114, 201, "");
    expectHold(pe, "patient-el-app1", TOK_APP, 201, "");
    /* Polled (bounded), never slept for: released 1.5 s after creation. */
    char code[32] = "";
    int st = 0;
    for (int i = 0; i < 100; i++) {
        char pat[32];
        snprintf(pat, sizeof pat, "patient-rel-%04d", i);
        st = holdCode(pr, pat, TOK_WIN, code);
        if (st != 409 || strcmp(code, "NOT_RELEASED") != 0) {
            break;
        }
        tclock_sleep_ms(100);
    }
    CHECK_EQ(st, 201);
    /* A rule change applies to the next hold: no horizon any more. */
    snprintf(rules, sizeof rules, "{\"utc_offset\":\"%s\"}", offsetStr(off));
    setRulesOk(h, rules);
    expectHold(p8, "patient-d8-app2", TOK_APP, 201, "");
}

/* POST hold without ttl_ms; returns the hold id. */
static long long holdNoTtl(const char *pool, const char *patient,
                           const char *token)
{
    char path[256], body[128];
    snprintf(path, sizeof path, "/v1/pools/%s/holds", pool);
    snprintf(body, sizeof body, "{\"patient\":\"%s\"}", patient);
    struct tresp r;
    int st = call1("POST", path, token, body, &r);
    if (st != 201) {
        fprintf(stderr, "hold %s %s -> %d %s\n", pool, patient, st, r.body);
    }
    CHECK_EQ(st, 201);
    long long id = tresp_int(&r, "hold");
    tresp_free(&r);
    return id;
}

static json_t *claimJson(const char *kind, long long id, const char *token)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/%s/%lld", kind, id);
    struct tresp r;
    CHECK_EQ(call1("GET", path, token, NULL, &r), 200);
    json_t *j = json_incref(r.json);
    tresp_free(&r);
    return j;
}

static void test_sched_payment(void)
{
    const char *h = uniq("hp");
    long long now = tclock_wall_ms();
    int off = noonOffset(now);
    long long today = localDay(now, off);
    /* Payment window 5 minutes; "online" is app and wechat. */
    char rules[256];
    snprintf(rules, sizeof rules,
             "{\"utc_offset\":\"%s\",\"pay_ttl_ms\":300000,\"groups\":[{"
             "\"name\":\"online\",\"channels\":[\"app\",\"wechat\"]}]}",
             offsetStr(off));
    setRulesOk(h, rules);
    /* 6 slots: 114 has 1, online 2, the remainder of 3 is the window's. */
    char pool[64], pav[64];
    snprintf(pool, sizeof pool, "%s-g", h);
    snprintf(pav, sizeof pav, "%s-visit", h);
    schedPool(pool, h, today + 2, off, 6, "\"114\":1,\"online\":2", 0,
              ",\"eligible\":[\"114\",\"online\",\"window\"],"
              "\"remainder_allow\":[\"window\"]");
    schedPool(pav, h, today + 2, off, 2, "", 0, ",\"pay_mode\":\"at_visit\"");
    createPool("{\"pool\":\"free-ttl-pool\",\"capacity\":2}");
    /* A pool this gateway has not seen (imported): its kind is read once,
     * then remembered. */
    char tpl[2048], prefix[64], ip[128], d[11];
    long long days[1] = {today + 2};
    snprintf(prefix, sizeof prefix, "%s/imp", h);
    templateJson(tpl, sizeof tpl, h, prefix, "li", "normal", 10, days, 1);
    expect("POST", "/v1/schedules", TOK_ADMIN, tpl, 201, NULL);
    dateOf(days[0], d);
    snprintf(ip, sizeof ip, "%s%%2Fimp%%2F%.4s%.2s%.2s%%2F1400", h, d, d + 5,
             d + 8);
    long long reads = clusterCount("read_pool");
    long long i1 = holdNoTtl(ip, "patient-imp-app1", TOK_APP);
    holdNoTtl(ip, "patient-imp-app2", TOK_APP);
    CHECK_EQ(clusterCount("read_pool"), reads + 1);
    json_t *c = claimJson("holds", i1, TOK_APP);
    CHECK_EQ(jint(c, "deadline_ms") - jint(c, "held_at_ms"), 300000);
    json_decref(c);

    /* No ttl_ms: the hospital's payment window in a scheduled pool, the
     * gateway's hold_ttl_ms in a free-standing one (both known from their
     * creation through this gateway: no read). */
    long long a1 = holdNoTtl(pool, "patient-pay-app1", TOK_APP);
    long long a2 = holdNoTtl(pool, "patient-pay-app2", TOK_APP);
    CHECK_EQ(clusterCount("read_pool"), reads + 1);
    c = claimJson("holds", a2, TOK_APP);
    CHECK_EQ(jint(c, "deadline_ms") - jint(c, "held_at_ms"), 300000);
    CHECK_STR(jstr(c, "bucket"), "online");
    json_decref(c);
    long long f1 = holdNoTtl("free-ttl-pool", "patient-free-ttl1", TOK_APP);
    c = claimJson("holds", f1, TOK_APP);
    CHECK_EQ(jint(c, "deadline_ms") - jint(c, "held_at_ms"), 600000);
    CHECK_STR(jstr(c, "bucket"), "");
    json_decref(c);

    /* The online share is gone; the remainder is the window's. */
    char code[32];
    CHECK_EQ(holdCode(pool, "patient-pay-app3", TOK_APP, code), 409);
    CHECK_STR(code, "SOLD_OUT");
    long long w1 = holdNoTtl(pool, "patient-pay-win1", TOK_WIN);
    long long b1 = holdNoTtl(pool, "patient-pay-1141", TOK_114);
    c = claimJson("holds", w1, TOK_WIN);
    CHECK_STR(jstr(c, "bucket"), "");
    json_decref(c);
    c = claimJson("holds", b1, TOK_114);
    CHECK_STR(jstr(c, "bucket"), "114");
    json_decref(c);
    char path[256];
    snprintf(path, sizeof path, "/v1/pools/%s", pool);
    struct tresp r;
    CHECK_EQ(call1("GET", path, TOK_APP, NULL, &r), 200);
    json_t *ch = json_object_get(r.json, "channels");
    CHECK_EQ(jint(json_object_get(ch, "online"), "held"), 2);
    CHECK_EQ(jint(json_object_get(r.json, "shared"), "held"), 1);
    tresp_free(&r);

    /* Pay online: no reference is 402, nothing changes. */
    struct lsnap before = ledgerSnap();
    char cp[64];
    snprintf(cp, sizeof cp, "/v1/holds/%lld/confirm", a1);
    expect("POST", cp, TOK_APP, NULL, 402, "PAYMENT_REQUIRED");
    checkSameLedger(before);
    CHECK_EQ(confirm(a1, TOK_APP), 1);
    CHECK_EQ(confirm(a2, TOK_APP), 2);
    /* Visit numbers stand for times: 60 min / 6 numbers = 10 min each. */
    long long seg0 = utcOf(today + 2, 14 * 60, off);
    c = claimJson("bookings", a2, TOK_APP);
    CHECK(json_is_true(json_object_get(c, "paid")));
    CHECK_STR(jstr(c, "payment_ref"), "pay-ok-1");
    CHECK_EQ(jint(c, "visit_start_ms"), seg0 + 10 * MS_PER_MIN);
    CHECK_EQ(jint(c, "visit_end_ms"), seg0 + 20 * MS_PER_MIN);
    json_decref(c);

    /* Pay at the visit: confirmed without a body, booked unpaid. */
    long long v1 = holdNoTtl(pav, "patient-visit-01", TOK_APP);
    snprintf(cp, sizeof cp, "/v1/holds/%lld/confirm", v1);
    struct tconn k = {.fd = -1, .port = gw.port};
    struct tresp r2;
    CHECK_EQ(treq(&k, "POST", cp, TOK_APP, "visit-k1", NULL, &r), 200);
    CHECK_EQ(tresp_int(&r, "visit_no"), 1);
    CHECK_EQ(treq(&k, "POST", cp, TOK_APP, "visit-k1", "{}", &r2), 200);
    CHECK_STR(r.body, r2.body);
    tresp_free(&r);
    tresp_free(&r2);
    tconn_close(&k);
    c = claimJson("bookings", v1, TOK_APP);
    CHECK(json_is_false(json_object_get(c, "paid")));
    CHECK_STR(jstr(c, "payment_ref"), "");
    CHECK_STR(jstr(c, "state"), "booked");
    json_decref(c);
}

/* ---- the patient rules over HTTP (issue 15) ------------------------------ */

/* One request with an optional X-Account header (account NULL: none) and
 * an optional Idempotency-Key; returns the status, fills r. */
static int callAcc(const char *method, const char *path, const char *token,
                   const char *account, const char *body, struct tresp *r)
{
    struct tconn c;
    c.fd = -1;
    c.port = gw.port;
    c.len = 0;
    char h[200] = "";
    if (account != NULL) {
        snprintf(h, sizeof h, "X-Account: %s\r\n", account);
    }
    int st = treqh(&c, method, path, token, NULL, h, body, r);
    tconn_close(&c);
    return st;
}

static void expectAcc(const char *method, const char *path, const char *token,
                      const char *account, const char *body, int status,
                      const char *code)
{
    struct tresp r;
    int st = callAcc(method, path, token, account, body, &r);
    if (st != status || strcmp(tresp_code(&r), code) != 0) {
        fprintf(stderr, "%s %s [%s] %s -> %d %s (want %d %s)\n", method, path,
                account != NULL ? account : "-", body != NULL ? body : "", st,
                r.body != NULL ? r.body : "", status, code);
    }
    CHECK_EQ(st, status);
    CHECK_STR(tresp_code(&r), code);
    tresp_free(&r);
}

/* A hold with an optional account; returns the hold id or -status. */
static long long holdAcc(const char *pool, const char *patient,
                         const char *token, const char *account)
{
    char path[256], body[128];
    snprintf(path, sizeof path, "/v1/pools/%s/holds", pool);
    snprintf(body, sizeof body, "{\"patient\":\"%s\",\"ttl_ms\":60000}",
             patient);
    struct tresp r;
    int st = callAcc("POST", path, token, account, body, &r);
    long long id = st == 201 ? tresp_int(&r, "hold") : -st;
    tresp_free(&r);
    return id;
}

static json_t *getJson(const char *path, const char *token)
{
    struct tresp r;
    int st = call1("GET", path, token, NULL, &r);
    if (st != 200) {
        fprintf(stderr, "GET %s -> %d %s\n", path, st, r.body);
    }
    CHECK_EQ(st, 200);
    json_t *j = json_incref(r.json);
    tresp_free(&r);
    return j;
}

/* A hospital near local noon with the given patient rules (members of
 * the rule set after utc_offset: "" none); returns its offset, *today. */
static int patientHospital(const char *h, const char *members, long long *today)
{
    long long now = tclock_wall_ms();
    int off = noonOffset(now);
    *today = localDay(now, off);
    char rules[512];
    snprintf(rules, sizeof rules, "{\"utc_offset\":\"%s\"%s%s}", offsetStr(off),
             members[0] != '\0' ? "," : "", members);
    setRulesOk(h, rules);
    return off;
}

/* A patient books 3 normal slots of one day through two channels; the
 * 4th, through a third channel, is over the day's quota. */
static void test_patient_quota(void)
{
    const char *h = uniq("hq");
    long long today;
    int off = patientHospital(
        h, "\"quota\":{\"day_normal\":3,\"month_normal\":12}", &today);
    /* The rule set reads back in slotctl's shape. */
    char path[128];
    snprintf(path, sizeof path, "/v1/hospitals/%s/rules", h);
    json_t *j = getJson(path, TOK_114);
    json_t *q = json_object_get(json_object_get(j, "rules"), "quota");
    CHECK_EQ(jint(q, "day_normal"), 3);
    CHECK_EQ(jint(q, "month_normal"), 12);
    CHECK_EQ(jint(q, "day_expert"), 0);
    json_decref(j);
    char pools[4][64];
    for (int i = 0; i < 4; i++) {
        snprintf(pools[i], sizeof pools[i], "%s-q%d", h, i);
        schedPool(pools[i], h, today + 2, off, 5, "", 0, "");
    }
    const char *pat = "patient-quota-01";
    CHECK(holdAcc(pools[0], pat, TOK_APP, NULL) > 0);
    CHECK(holdAcc(pools[1], pat, TOK_114, NULL) > 0);
    long long h3 = holdAcc(pools[2], pat, TOK_APP, NULL);
    CHECK(h3 > 0);
    CHECK_EQ(confirm(h3, TOK_APP), 1);
    /* The gateway's own per-patient rate (GW_RATE 1/s, burst 3) is not
     * what this is about: let a token come back. */
    tclock_sleep_ms(1100);
    struct lsnap before = ledgerSnap();
    char hp[128], d[11];
    snprintf(hp, sizeof hp, "/v1/pools/%s/holds", pools[3]);
    struct tresp r;
    CHECK_EQ(call1("POST", hp, TOK_WIN,
                   "{\"patient\":\"patient-quota-01\",\"ttl_ms\":60000}", &r),
             409);
    CHECK_STR(tresp_code(&r), "QUOTA_EXCEEDED");
    json_t *e = json_object_get(r.json, "error");
    CHECK_STR(jstr(e, "quota"), "day_normal");
    CHECK_STR(jstr(e, "window_date"), dateOf(today + 2, d));
    tresp_free(&r);
    checkSameLedger(before);
    /* Another patient is not affected; a released hold stops counting. */
    CHECK(holdAcc(pools[3], "patient-quota-02", TOK_WIN, NULL) > 0);
}

/* An account binds 4 patients; the 5th is refused (ACCOUNT_LIMIT full);
 * a patient bound elsewhere too; unbind; the account's read. */
static void test_patient_accounts(void)
{
    const char *acc = "acct-user-0001";
    char path[128], body[128];
    snprintf(path, sizeof path, "/v1/accounts/%s/patients", acc);
    for (int i = 1; i <= 4; i++) {
        snprintf(body, sizeof body, "{\"patient\":\"patient-acc-%04d\"}", i);
        struct tresp r;
        CHECK_EQ(call1("POST", path, TOK_APP, body, &r), 200);
        CHECK_STR(jstr(r.json, "account"), acc);
        CHECK_EQ(jint(r.json, "bound"), i);
        tresp_free(&r);
    }
    struct tresp r;
    CHECK_EQ(
        call1("POST", path, TOK_114, "{\"patient\":\"patient-acc-0005\"}", &r),
        409);
    CHECK_STR(tresp_code(&r), "ACCOUNT_LIMIT");
    CHECK_STR(jstr(json_object_get(r.json, "error"), "account_rule"), "full");
    tresp_free(&r);
    CHECK_EQ(call1("POST", "/v1/accounts/acct-user-0002/patients", TOK_APP,
                   "{\"patient\":\"patient-acc-0001\"}", &r),
             409);
    CHECK_STR(jstr(json_object_get(r.json, "error"), "account_rule"),
              "elsewhere");
    tresp_free(&r);
    snprintf(path, sizeof path, "/v1/accounts/%s", acc);
    json_t *a = getJson(path, TOK_114);
    CHECK_EQ(json_array_size(json_object_get(a, "patients")), 4);
    CHECK_STR(
        json_string_value(json_array_get(json_object_get(a, "patients"), 3)),
        "patient-acc-0004");
    CHECK_EQ(json_array_size(json_object_get(a, "changes")), 0);
    json_decref(a);
    /* Unbind one: the account has room again; the change is recorded. */
    snprintf(path, sizeof path, "/v1/accounts/%s/patients/patient-acc-0004",
             acc);
    CHECK_EQ(call1("DELETE", path, TOK_APP, NULL, &r), 200);
    CHECK_EQ(jint(r.json, "bound"), 3);
    tresp_free(&r);
    expect("DELETE", path, TOK_APP, NULL, 403, "NOT_BOUND");
    snprintf(path, sizeof path, "/v1/accounts/%s/patients", acc);
    expect("POST", path, TOK_APP, "{\"patient\":\"patient-acc-0005\"}", 200,
           NULL);
    snprintf(path, sizeof path, "/v1/accounts/%s", acc);
    a = getJson(path, TOK_ADMIN);
    CHECK_EQ(json_array_size(json_object_get(a, "changes")), 1);
    json_decref(a);
    /* The patient's record names its account. */
    json_t *p = getJson("/v1/patients/patient-acc-0005", TOK_WIN);
    CHECK_STR(jstr(p, "account"), acc);
    json_decref(p);
    /* An account key breaks the key rule without an identity secret. */
    expect("GET", "/v1/accounts/short", TOK_APP, NULL, 400, "INVALID_ARGUMENT");
    expectAcc("POST", "/v1/pools/x/holds", TOK_APP, "a b",
              "{\"patient\":\"patient-acc-0001\"}", 400, "INVALID_ARGUMENT");
}

/* A cancelled slot is not holdable during its cool-down; with a waitlist
 * the head gets the slot as an offer instead. */
static void test_patient_waitlist_cooldown(void)
{
    const char *h = uniq("hw");
    long long today;
    int off = patientHospital(h, "\"cooldown_ms\":[1500,1500]", &today);
    char pc[64], pw[64], pf[64];
    snprintf(pc, sizeof pc, "%s-cool", h);
    snprintf(pw, sizeof pw, "%s-wait", h);
    snprintf(pf, sizeof pf, "%s-free", h);
    schedPool(pc, h, today + 2, off, 1, "", 0, "");
    schedPool(pw, h, today + 2, off, 1, "", 0, "");
    schedPool(pf, h, today + 2, off, 1, "", 0, "");

    /* Cool-down alone. */
    long long b = holdAcc(pc, "patient-cool-001", TOK_APP, NULL);
    CHECK_EQ(confirm(b, TOK_APP), 1);
    char xp[64], path[256];
    snprintf(xp, sizeof xp, "/v1/bookings/%lld/cancel", b);
    expect("POST", xp, TOK_APP, NULL, 200, NULL);
    snprintf(path, sizeof path, "/v1/pools/%s", pc);
    json_t *pool = getJson(path, TOK_114);
    CHECK_EQ(jint(pool, "cooling"), 1);
    CHECK_EQ(jint(pool, "free"), 0);
    CHECK_EQ(jint(json_object_get(pool, "shared"), "cooling"), 1);
    json_decref(pool);
    CHECK_EQ(holdAcc(pc, "patient-cool-002", TOK_114, NULL), -409);
    long long t0 = tclock_wall_ms();
    long long id = -1;
    for (int i = 0; i < 100 && id < 0; i++) {
        tclock_sleep_ms(100);
        char pat[32]; /* one each: the gateway's rate limit is per patient */
        snprintf(pat, sizeof pat, "patient-cool-%03d", i + 10);
        id = holdAcc(pc, pat, TOK_114, NULL);
        CHECK(id > 0 || id == -409);
    }
    CHECK(id > 0);
    CHECK(tclock_wall_ms() - t0 >= 1000);

    /* A waitlist: only for a sold-out pool; FIFO; the offer on cancel. */
    char wp[128], wl[128];
    snprintf(wp, sizeof wp, "/v1/pools/%s/waitlist", pw);
    expect("POST", wp, TOK_114, "{\"patient\":\"patient-wait-002\"}", 409,
           "NOT_SOLD_OUT");
    b = holdAcc(pw, "patient-wait-001", TOK_APP, NULL);
    CHECK_EQ(confirm(b, TOK_APP), 1);
    struct tresp r;
    CHECK_EQ(
        call1("POST", wp, TOK_114, "{\"patient\":\"patient-wait-002\"}", &r),
        201);
    CHECK_EQ(jint(r.json, "position"), 1);
    CHECK_STR(jstr(r.json, "patient"), "patient-wait-002");
    tresp_free(&r);
    CHECK_EQ(
        call1("POST", wp, TOK_WIN, "{\"patient\":\"patient-wait-003\"}", &r),
        201);
    CHECK_EQ(jint(r.json, "position"), 2);
    tresp_free(&r);
    expect("POST", wp, TOK_APP, "{\"patient\":\"patient-wait-002\"}", 409,
           "ALREADY_WAITING");
    snprintf(wl, sizeof wl, "/v1/pools/%s/waitlist/patient-wait-003", pw);
    json_t *w = getJson(wl, TOK_APP);
    CHECK_EQ(jint(w, "position"), 2);
    CHECK_EQ(jint(w, "length"), 2);
    json_decref(w);
    snprintf(path, sizeof path, "/v1/pools/%s/waitlist/lookup", pw);
    CHECK_EQ(
        call1("POST", path, TOK_WIN, "{\"patient\":\"patient-wait-002\"}", &r),
        200);
    CHECK_EQ(jint(r.json, "position"), 1);
    tresp_free(&r);
    snprintf(path, sizeof path, "/v1/pools/%s", pw);
    pool = getJson(path, TOK_APP);
    CHECK_EQ(jint(pool, "waiting"), 2);
    json_decref(pool);
    snprintf(xp, sizeof xp, "/v1/bookings/%lld/cancel", b);
    expect("POST", xp, TOK_APP, NULL, 200, NULL);
    /* The head holds the slot (through its channel); nobody else can. */
    pool = getJson(path, TOK_APP);
    CHECK_EQ(jint(pool, "held"), 1);
    CHECK_EQ(jint(pool, "cooling"), 0);
    CHECK_EQ(jint(pool, "waiting"), 1);
    json_decref(pool);
    CHECK_EQ(holdAcc(pw, "patient-wait-004", TOK_APP, NULL), -409);
    json_t *pi = getJson("/v1/patients/patient-wait-002", TOK_114);
    json_t *claims = json_object_get(pi, "claims");
    CHECK_EQ(json_array_size(claims), 1);
    json_t *offer = json_array_get(claims, 0);
    CHECK_STR(jstr(offer, "state"), "held");
    CHECK_STR(jstr(offer, "pool"), pw);
    CHECK_STR(jstr(offer, "channel"), "114");
    long long oid = jint(offer, "hold");
    json_decref(pi);
    CHECK_EQ(confirm(oid, TOK_114), 1);
    /* Leaving: the entry's channel (or its account, or the admin). */
    snprintf(wl, sizeof wl, "/v1/pools/%s/waitlist/patient-wait-003", pw);
    expect("DELETE", wl, TOK_APP, NULL, 403, "NOT_OWNER");
    CHECK_EQ(call1("DELETE", wl, TOK_WIN, NULL, &r), 200);
    CHECK_STR(jstr(r.json, "state"), "left");
    tresp_free(&r);
    expect("DELETE", wl, TOK_WIN, NULL, 404, "NOT_WAITING");
    w = getJson(wl, TOK_APP);
    CHECK_EQ(jint(w, "position"), 0);
    CHECK_EQ(jint(w, "length"), 0);
    json_decref(w);
    expect("GET", "/v1/pools/wl-none/waitlist/patient-wait-003", TOK_APP, NULL,
           404, "UNKNOWN_POOL");
    expect("POST", wp, TOK_ADMIN, "{\"patient\":\"patient-wait-009\"}", 403,
           "FORBIDDEN");
}

/* Three no-shows blacklist (a warning at two); the hold is refused with
 * the date; staff unblock restores; the staff log records each. */
static void test_patient_blacklist(void)
{
    const char *h = uniq("hb");
    long long today;
    int off = patientHospital(
        h, "\"blacklist\":{\"threshold\":3,\"window_days\":90,\"days\":7}",
        &today);
    char pool[64], vp[128], up[128];
    snprintf(pool, sizeof pool, "%s-b", h);
    schedPool(pool, h, today + 2, off, 5, "", 0, "");
    snprintf(vp, sizeof vp, "/v1/hospitals/%s/violations", h);
    snprintf(up, sizeof up, "/v1/hospitals/%s/unblock", h);
    const char *v =
        "{\"patient\":\"patient-black-01\",\"kind\":\"no_show\","
        "\"operator\":\"nurse.li\",\"reason\":\"\xe7\x88\xbd\xe7\xba\xa6\"}";
    expect("POST", vp, TOK_APP, v, 403, "FORBIDDEN");
    json_t *log0 = getJson("/v1/staff-log?limit=1000", TOK_ADMIN);
    size_t n0 = json_array_size(json_object_get(log0, "entries"));
    json_decref(log0);
    struct tresp r;
    long long until = 0;
    for (int i = 1; i <= 3; i++) {
        CHECK_EQ(call1("POST", vp, TOK_ADMIN, v, &r), 200);
        CHECK_EQ(jint(r.json, "violations"), i);
        until = jint(r.json, "blacklisted_until_ms");
        CHECK_EQ(until > 0, i == 3);
        tresp_free(&r);
        if (i == 2) {
            json_t *pi = getJson("/v1/patients/patient-black-01", TOK_APP);
            json_t *st = json_array_get(json_object_get(pi, "standings"), 0);
            CHECK(json_is_true(json_object_get(st, "warning")));
            CHECK(json_is_false(json_object_get(st, "blacklisted")));
            json_decref(pi);
        }
    }
    CHECK(until > (long long)tclock_wall_ms() + 6 * MS_PER_DAY);
    char hp[128];
    snprintf(hp, sizeof hp, "/v1/pools/%s/holds", pool);
    CHECK_EQ(call1("POST", hp, TOK_APP,
                   "{\"patient\":\"patient-black-01\",\"ttl_ms\":60000}", &r),
             403);
    CHECK_STR(tresp_code(&r), "BLACKLISTED");
    CHECK_EQ(jint(json_object_get(r.json, "error"), "blacklisted_until_ms"),
             until);
    tresp_free(&r);
    CHECK_EQ(call1("POST", "/v1/patients/lookup", TOK_APP,
                   "{\"patient\":\"patient-black-01\"}", &r),
             200);
    json_t *st = json_array_get(json_object_get(r.json, "standings"), 0);
    CHECK_STR(jstr(st, "hospital"), h);
    CHECK(json_is_true(json_object_get(st, "blacklisted")));
    CHECK_EQ(jint(st, "blacklisted_until_ms"), until);
    CHECK_EQ(json_array_size(json_object_get(r.json, "violations")), 3);
    tresp_free(&r);
    expect("POST", up, TOK_ADMIN,
           "{\"patient\":\"patient-black-01\",\"operator\":\"nurse.li\"}", 400,
           "MALFORMED");
    CHECK_EQ(call1("POST", up, TOK_ADMIN,
                   "{\"patient\":\"patient-black-01\",\"operator\":"
                   "\"chief.wang\",\"reason\":\"doctor's note\"}",
                   &r),
             200);
    CHECK(json_is_true(json_object_get(r.json, "lifted")));
    tresp_free(&r);
    CHECK(holdAcc(pool, "patient-black-01", TOK_APP, NULL) > 0);
    json_t *log = getJson("/v1/staff-log?limit=1000", TOK_ADMIN);
    json_t *ent = json_object_get(log, "entries");
    CHECK_EQ(json_array_size(ent), n0 + 4);
    json_t *last = json_array_get(ent, json_array_size(ent) - 1);
    CHECK_STR(jstr(last, "op"), "unblock");
    CHECK_STR(jstr(last, "operator"), "chief.wang");
    CHECK_STR(jstr(last, "patient"), "patient-black-01");
    CHECK(json_is_null(json_object_get(last, "kind")));
    json_t *first = json_array_get(ent, n0);
    CHECK_STR(jstr(first, "kind"), "no_show");
    CHECK_STR(jstr(first, "reason"), "\xe7\x88\xbd\xe7\xba\xa6");
    json_decref(log);
    expect("GET", "/v1/staff-log", TOK_114, NULL, 403, "FORBIDDEN");
    expect("POST", vp, TOK_ADMIN,
           "{\"patient\":\"patient-black-01\",\"kind\":\"unpaid\","
           "\"operator\":\"a\",\"reason\":\"b\"}",
           400, "INVALID_ARGUMENT");
}

/* A booking made through one channel for an account's patient is
 * cancelled through another channel of the same account; without the
 * account (or with another) the ledger says NOT_OWNER. */
static void test_patient_account_cancel(void)
{
    const char *h = uniq("ha");
    long long today;
    int off = patientHospital(h, "\"account_channels\":\"app\"", &today);
    char pool[64];
    snprintf(pool, sizeof pool, "%s-a", h);
    schedPool(pool, h, today + 2, off, 5, "", 0, "");
    const char *acc = "acct-user-0101", *pat = "patient-acx-0001";
    expect("POST", "/v1/accounts/acct-user-0101/patients", TOK_APP,
           "{\"patient\":\"patient-acx-0001\"}", 200, NULL);
    /* app books for accounts' patients only. */
    CHECK_EQ(holdAcc(pool, pat, TOK_APP, NULL), -403);
    CHECK_EQ(holdAcc(pool, pat, TOK_APP, "acct-user-0999"), -403);
    long long id = holdAcc(pool, pat, TOK_APP, acc);
    CHECK(id > 0);
    char cp[64], xp[64];
    snprintf(cp, sizeof cp, "/v1/holds/%lld/confirm", id);
    snprintf(xp, sizeof xp, "/v1/bookings/%lld/cancel", id);
    /* Confirmed through 114 for the account. */
    const char *pay = "{\"payment_ref\":\"pay-acx-1\"}";
    expectAcc("POST", cp, TOK_114, NULL, pay, 403, "NOT_OWNER");
    expectAcc("POST", cp, TOK_114, acc, pay, 200, "");
    struct lsnap before = ledgerSnap();
    expectAcc("POST", xp, TOK_WIN, NULL, NULL, 403, "NOT_OWNER");
    expectAcc("POST", xp, TOK_WIN, "acct-user-0999", NULL, 403, "NOT_OWNER");
    checkSameLedger(before);
    expectAcc("POST", xp, TOK_WIN, acc, "{}", 200, "");
    CHECK_STR(claimState("bookings", id, TOK_APP), "cancelled");
    /* The patient's own cancellation is on its record. */
    json_t *pi = getJson("/v1/patients/patient-acx-0001", TOK_APP);
    CHECK_EQ(json_array_size(json_object_get(pi, "cancellations_ms")), 1);
    json_decref(pi);
}

/* ---- the visit day over HTTP (protocol 4) -------------------------------- */

/* One request to port with an optional Idempotency-Key and X-Account
 * (NULL: none); returns the status, fills r. */
static int callOn(int port, const char *method, const char *path,
                  const char *token, const char *idem, const char *account,
                  const char *body, struct tresp *r)
{
    struct tconn c = {.fd = -1, .port = port};
    char h[200] = "";
    if (account != NULL) {
        snprintf(h, sizeof h, "X-Account: %s\r\n", account);
    }
    int st = treqh(&c, method, path, token, idem, h, body, r);
    tconn_close(&c);
    return st;
}

/* POST /v1/pools of a scheduled pool of hospital h, department dep, on
 * local day `day` with the segment [start_ms, end_ms); extra: more
 * members of "schedule" ("" none). */
static void visitPool(const char *pool, const char *h, const char *dep,
                      long long day, long long start_ms, long long end_ms,
                      const char *extra)
{
    char body[1024], d[11];
    snprintf(body, sizeof body,
             "{\"pool\":\"%s\",\"capacity\":5,\"segment\":{\"start_ms\":%lld,"
             "\"end_ms\":%lld},\"schedule\":{\"hospital\":\"%s\","
             "\"department\":\"%s\",\"doctor\":\"wang\",\"visit_date\":\"%s\""
             "%s}}",
             pool, start_ms, end_ms, h, dep, dateOf(day, d), extra);
    struct tresp r;
    int st = call1("POST", "/v1/pools", TOK_ADMIN, body, &r);
    if (st != 201) {
        fprintf(stderr, "%s -> %d %s\n", body, st, r.body);
    }
    CHECK_EQ(st, 201);
    tresp_free(&r);
}

/* A hold (body: its JSON) through port and token, confirmed with a
 * payment reference (pay NULL: without a body); returns the booking id. */
static long long bookOn(int port, const char *pool, const char *body,
                        const char *token, const char *pay)
{
    char path[256];
    snprintf(path, sizeof path, "/v1/pools/%s/holds", pool);
    struct tresp r;
    int st = callOn(port, "POST", path, token, NULL, NULL, body, &r);
    if (st != 201) {
        fprintf(stderr, "hold %s %s -> %d %s\n", pool, body, st, r.body);
    }
    CHECK_EQ(st, 201);
    long long id = tresp_int(&r, "hold");
    tresp_free(&r);
    snprintf(path, sizeof path, "/v1/holds/%lld/confirm", id);
    char pb[128];
    if (pay != NULL) {
        snprintf(pb, sizeof pb, "{\"payment_ref\":\"%s\"}", pay);
    }
    st = callOn(port, "POST", path, token, NULL, NULL, pay != NULL ? pb : NULL,
                &r);
    if (st != 200) {
        fprintf(stderr, "confirm %lld -> %d %s\n", id, st, r.body);
    }
    CHECK_EQ(st, 200);
    tresp_free(&r);
    return id;
}

static long long bookKey(const char *pool, const char *patient,
                         const char *token)
{
    char body[128];
    snprintf(body, sizeof body, "{\"patient\":\"%s\",\"ttl_ms\":60000}",
             patient);
    return bookOn(gw.port, pool, body, token, "pay-visit-1");
}

static size_t staffLogSize(void)
{
    json_t *l = getJson("/v1/staff-log?limit=1000", TOK_ADMIN);
    size_t n = json_array_size(json_object_get(l, "entries"));
    json_decref(l);
    return n;
}

/* A doctor's stoppage with bookings, over HTTP: only the admin token
 * stops a clinic, bad bodies change nothing, the stop is applied once (a
 * retry with its Idempotency-Key gets the same answer), then one booking
 * is refunded (cancelled past the channel's deadline, without penalty)
 * and the others moved, each move applied once too. */
static void test_visit_stop_move(void)
{
    const char *h = uniq("hv");
    long long today;
    /* A channel may cancel until 00:00 of the day before the visit: a
     * cancel of today's visit is refused, a stopped clinic's refund is
     * not. */
    int off = patientHospital(
        h, "\"cancel\":{\"days_before\":1,\"time\":\"00:00\"}", &today);
    char ps[64], pt[64], pd[64], pf[64];
    snprintf(ps, sizeof ps, "%s-stop", h);
    snprintf(pt, sizeof pt, "%s-target", h);
    snprintf(pd, sizeof pd, "%s-ortho", h);
    snprintf(pf, sizeof pf, "%s-free", h);
    schedPool(ps, h, today, off, 5, "", 0, "");
    schedPool(pt, h, today + 1, off, 5, "", 0, "");
    visitPool(pd, h, "ortho", today + 1, utcOf(today + 1, 14 * 60, off),
              utcOf(today + 1, 15 * 60, off), "");
    char body[256];
    snprintf(body, sizeof body, "{\"pool\":\"%s\",\"capacity\":5}", pf);
    createPool(body);
    long long ba = bookKey(ps, "patient-va-0001", TOK_APP);
    long long bb = bookKey(ps, "patient-vb-0001", TOK_114);
    long long bc = bookKey(ps, "patient-vc-0001", TOK_APP);
    long long hd = hold(ps, "patient-vd-0001", TOK_APP, 60000);
    CHECK(hd > 0);
    char xa[64], mb[64], mc[64], sp[128], pp[128], cp[128], mvt[128];
    snprintf(xa, sizeof xa, "/v1/bookings/%lld/cancel", ba);
    snprintf(mb, sizeof mb, "/v1/bookings/%lld/move", bb);
    snprintf(mc, sizeof mc, "/v1/bookings/%lld/move", bc);
    snprintf(sp, sizeof sp, "/v1/pools/%s/stop", ps);
    snprintf(pp, sizeof pp, "/v1/pools/%s", ps);
    snprintf(cp, sizeof cp, "/v1/pools/%s/claims", ps);
    snprintf(mvt, sizeof mvt, "{\"pool\":\"%s\"}", pt);
    expect("POST", xa, TOK_APP, NULL, 409, "CANCEL_CLOSED");
    expect("POST", mb, TOK_114, mvt, 409, "NOT_STOPPED");

    /* Refusals before the ledger: nothing changes. */
    const char *stop = "{\"operator\":\"ops@pumch\",\"reason\":"
                       "\"Dr Wang is ill \xe5\x81\x9c\xe8\xaf\x8a\"}";
    size_t log0 = staffLogSize();
    struct lsnap before = ledgerSnap();
    expect("POST", sp, TOK_APP, stop, 403, "FORBIDDEN");
    expect("POST", sp, TOK_114, stop, 403, "FORBIDDEN");
    expect("POST", sp, TOK_ADMIN, NULL, 400, "MALFORMED");
    expect("POST", sp, TOK_ADMIN, "{\"operator\":\"ops\"}", 400, "MALFORMED");
    expect("POST", sp, TOK_ADMIN,
           "{\"operator\":\"ops\",\"reason\":\"x\",\"pool\":\"y\"}", 400,
           "MALFORMED");
    expect("POST", sp, TOK_ADMIN, "{\"operator\":\"a b\",\"reason\":\"x\"}",
           400, "INVALID_ARGUMENT");
    expect("POST", sp, TOK_ADMIN, "{\"operator\":", 400, "MALFORMED");
    expect("POST", "/v1/pools/a%20b/stop", TOK_ADMIN, stop, 400,
           "INVALID_ARGUMENT");
    expect("POST", "/v1/pools/no-such-pool-v/stop", TOK_ADMIN, stop, 404,
           "UNKNOWN_POOL");
    char big[GW_BODY_MAX + 200];
    snprintf(big, sizeof big, "{\"operator\":\"ops\",\"reason\":\"%0*d\"}",
             GW_BODY_MAX, 0);
    expect("POST", sp, TOK_ADMIN, big, 413, "TOO_LARGE");
    snprintf(big, sizeof big, "{\"pool\":\"%s\",\"x\":\"%0*d\"}", pt,
             GW_BODY_MAX, 0);
    expect("POST", mb, TOK_114, big, 413, "TOO_LARGE");
    expect("GET", cp, TOK_APP, NULL, 403, "FORBIDDEN");
    checkSameLedger(before);
    json_t *pool = getJson(pp, TOK_APP);
    CHECK_STR(jstr(pool, "state"), "open");
    json_decref(pool);
    CHECK_EQ(staffLogSize(), log0);

    /* The stop, once: the retry with its key gets the same bytes. */
    long long stops = clusterCount("pool_stop");
    struct tresp r1, r2;
    CHECK_EQ(
        callOn(gw.port, "POST", sp, TOK_ADMIN, "stop-key-1", NULL, stop, &r1),
        200);
    CHECK_STR(jstr(r1.json, "pool"), ps);
    CHECK_STR(jstr(r1.json, "state"), "stopped");
    CHECK_EQ(jint(r1.json, "bookings_affected"), 3);
    CHECK_EQ(jint(r1.json, "holds_affected"), 1);
    CHECK_EQ(
        callOn(gw.port, "POST", sp, TOK_ADMIN, "stop-key-1", NULL, stop, &r2),
        200);
    CHECK_STR(r1.body, r2.body);
    tresp_free(&r1);
    tresp_free(&r2);
    /* Both answered by the ledger (the second from its key table), and
     * counted under their op. */
    CHECK_EQ(clusterCount("pool_stop"), stops + 2);
    CHECK_EQ(callOn(gw.port, "POST", sp, TOK_ADMIN, "stop-key-1", NULL,
                    "{\"operator\":\"ops@pumch\",\"reason\":\"other\"}", &r1),
             422);
    CHECK_STR(tresp_code(&r1), "REQUEST_MISMATCH");
    tresp_free(&r1);
    expect("POST", sp, TOK_ADMIN, stop, 409, "POOL_STOPPED");
    /* One staff log entry: the stop, naming its pool. */
    CHECK_EQ(staffLogSize(), log0 + 1);
    json_t *log = getJson("/v1/staff-log?limit=1000", TOK_ADMIN);
    json_t *ent = json_object_get(log, "entries");
    json_t *last = json_array_get(ent, json_array_size(ent) - 1);
    CHECK_STR(jstr(last, "op"), "pool_stop");
    CHECK_STR(jstr(last, "pool"), ps);
    CHECK_STR(jstr(last, "hospital"), h);
    CHECK_STR(jstr(last, "patient"), "");
    CHECK_STR(jstr(last, "operator"), "ops@pumch");
    CHECK_STR(jstr(last, "reason"), "Dr Wang is ill \xe5\x81\x9c\xe8\xaf\x8a");
    CHECK(json_is_null(json_object_get(last, "kind")));
    json_decref(log);

    /* A stopped clinic: no holds, no payments. */
    pool = getJson(pp, TOK_114);
    CHECK_STR(jstr(pool, "state"), "stopped");
    CHECK_EQ(jint(pool, "booked"), 3);
    json_decref(pool);
    expectHold(ps, "patient-ve-0001", TOK_APP, 409, "POOL_STOPPED");
    char hc[64];
    snprintf(hc, sizeof hc, "/v1/holds/%lld/confirm", hd);
    expect("POST", hc, TOK_APP, "{\"payment_ref\":\"pay-vd\"}", 409,
           "POOL_STOPPED");

    /* Its claims, for staff: every one affected; by pages. */
    json_t *cl = getJson(cp, TOK_ADMIN);
    json_t *arr = json_object_get(cl, "claims");
    CHECK_EQ(json_array_size(arr), 4);
    CHECK(json_is_null(json_object_get(cl, "next_after")));
    for (size_t i = 0; i < json_array_size(arr); i++) {
        CHECK(
            json_is_true(json_object_get(json_array_get(arr, i), "affected")));
    }
    CHECK_EQ(jint(json_array_get(arr, 0), "hold"), ba);
    CHECK_STR(jstr(json_array_get(arr, 0), "attendance"), "pending");
    json_decref(cl);
    char q[192];
    snprintf(q, sizeof q, "%s?limit=2", cp);
    cl = getJson(q, TOK_ADMIN);
    CHECK_EQ(json_array_size(json_object_get(cl, "claims")), 2);
    long long next = jint(cl, "next_after");
    CHECK_EQ(next, bb);
    json_decref(cl);
    snprintf(q, sizeof q, "%s?after=%lld&limit=2", cp, next);
    cl = getJson(q, TOK_ADMIN);
    CHECK_EQ(jint(json_array_get(json_object_get(cl, "claims"), 0), "hold"),
             bc);
    json_decref(cl);
    snprintf(q, sizeof q, "%s?limit=0", cp);
    expect("GET", q, TOK_ADMIN, NULL, 400, "INVALID_ARGUMENT");
    snprintf(q, sizeof q, "%s?page=2", cp);
    expect("GET", q, TOK_ADMIN, NULL, 400, "MALFORMED");
    expect("GET", "/v1/pools/no-such-pool-v/claims", TOK_ADMIN, NULL, 404,
           "UNKNOWN_POOL");

    /* A refund: past the channel's deadline, not one of the patient's
     * cancellations. */
    expect("POST", xa, TOK_APP, NULL, 200, NULL);
    json_t *c = claimJson("bookings", ba, TOK_APP);
    CHECK_STR(jstr(c, "state"), "cancelled");
    CHECK(json_is_true(json_object_get(c, "refunded")));
    json_decref(c);
    json_t *pi = getJson("/v1/patients/patient-va-0001", TOK_APP);
    CHECK_EQ(json_array_size(json_object_get(pi, "cancellations_ms")), 0);
    json_decref(pi);

    /* A move, once: the retry with its key gets the same bytes. */
    CHECK_EQ(callOn(gw.port, "POST", mb, TOK_114, "move-key-1", NULL, mvt, &r1),
             200);
    long long nb = tresp_int(&r1, "booking");
    CHECK(nb > 0 && nb != bb);
    CHECK_EQ(tresp_int(&r1, "visit_no"), 1);
    CHECK_EQ(tresp_int(&r1, "moved_from"), bb);
    CHECK_STR(jstr(r1.json, "pool"), pt);
    CHECK_EQ(callOn(gw.port, "POST", mb, TOK_114, "move-key-1", NULL, mvt, &r2),
             200);
    CHECK_STR(r1.body, r2.body);
    tresp_free(&r1);
    tresp_free(&r2);
    c = claimJson("bookings", bb, TOK_114);
    CHECK_STR(jstr(c, "state"), "moved");
    CHECK_EQ(jint(c, "moved_to"), nb);
    json_decref(c);
    c = claimJson("bookings", nb, TOK_114);
    CHECK_STR(jstr(c, "state"), "booked");
    CHECK_STR(jstr(c, "pool"), pt);
    CHECK_STR(jstr(c, "channel"), "114");
    CHECK_STR(jstr(c, "patient"), "patient-vb-0001");
    CHECK_EQ(jint(c, "moved_from"), bb);
    CHECK_STR(jstr(c, "payment_ref"), "pay-visit-1");
    CHECK(json_is_false(json_object_get(c, "affected")));
    json_decref(c);
    expect("POST", mb, TOK_114, mvt, 409, "ALREADY_CANCELLED");

    /* Refusals of a move: nothing changes. */
    before = ledgerSnap();
    expect("POST", mc, TOK_WIN, mvt, 403, "NOT_OWNER");
    snprintf(body, sizeof body, "{\"pool\":\"%s\"}", pd);
    expect("POST", mc, TOK_APP, body, 422, "MOVE_MISMATCH");
    snprintf(body, sizeof body, "{\"pool\":\"%s\"}", pf);
    expect("POST", mc, TOK_APP, body, 422, "MOVE_MISMATCH");
    snprintf(body, sizeof body, "{\"pool\":\"%s\"}", ps);
    expect("POST", mc, TOK_APP, body, 422, "MOVE_MISMATCH");
    expect("POST", mc, TOK_APP, "{\"pool\":\"no-such-pool-v\"}", 404,
           "UNKNOWN_POOL");
    expect("POST", mc, TOK_APP, "{}", 400, "MALFORMED");
    expect("POST", mc, TOK_APP, NULL, 400, "MALFORMED");
    expect("POST", mc, TOK_APP, "{\"pool\":\"a b\"}", 400, "INVALID_ARGUMENT");
    expect("POST", mc, TOK_APP, "{\"pool\":1}", 400, "MALFORMED");
    expect("POST", "/v1/bookings/0/move", TOK_APP, mvt, 400,
           "INVALID_ARGUMENT");
    expect("POST", "/v1/bookings/99999999/move", TOK_APP, mvt, 404,
           "UNKNOWN_BOOKING");
    expect("GET", mc, TOK_APP, NULL, 405, "METHOD_NOT_ALLOWED");
    checkSameLedger(before);
    /* The administrator moves any channel's booking. */
    CHECK_EQ(call1("POST", mc, TOK_ADMIN, mvt, &r1), 200);
    CHECK_EQ(tresp_int(&r1, "visit_no"), 2);
    tresp_free(&r1);
    pool = getJson(pp, TOK_APP);
    CHECK_EQ(jint(pool, "booked"), 0);
    json_decref(pool);
    snprintf(q, sizeof q, "/v1/pools/%s", pt);
    pool = getJson(q, TOK_APP);
    CHECK_EQ(jint(pool, "booked"), 2);
    json_decref(pool);
}

/* Check-in at the visit: by identity (the number never in an answer) or
 * by an opaque key where the channel may send one; the window of the
 * hospital's visit rules; once. */
static void test_visit_checkin(void)
{
    struct tgateway ig;
    CHECK_EQ(gatewayStartOn(&ig, &cluster, "\"patient_burst\":20", 0,
                            "\"identity\":{\"secret_hex\":\"" ID_SECRET
                            "\",\"opaque_key_channels\":[\"window\"]},"),
             0);
    const char *h = uniq("hc");
    long long now = tclock_wall_ms();
    int off = noonOffset(now);
    long long today = localDay(now, off);
    /* Check-in from an hour before the segment to half an hour before
     * its end; local time is about noon. A payment window, so that holds
     * need no ttl_ms. */
    char rules[256];
    snprintf(rules, sizeof rules,
             "{\"utc_offset\":\"%s\",\"pay_ttl_ms\":600000,\"visit\":{"
             "\"checkin_before_ms\":3600000,\"checkin_late_ms\":1800000}}",
             offsetStr(off));
    setRulesOk(h, rules);
    char path[160];
    snprintf(path, sizeof path, "/v1/hospitals/%s/rules", h);
    json_t *j = getJson(path, TOK_APP);
    json_t *v = json_object_get(json_object_get(j, "rules"), "visit");
    CHECK_EQ(jint(v, "checkin_before_ms"), 3600000);
    CHECK_EQ(jint(v, "checkin_late_ms"), 1800000);
    CHECK(json_is_false(json_object_get(v, "noshow_sweep")));
    json_decref(j);
    char po[64], pn[64], pc[64], pv[64];
    snprintf(po, sizeof po, "%s-open", h);
    snprintf(pn, sizeof pn, "%s-soon", h);
    snprintf(pc, sizeof pc, "%s-late", h);
    snprintf(pv, sizeof pv, "%s-atvisit", h);
    visitPool(po, h, "derm", today, utcOf(today, 11 * 60, off),
              utcOf(today, 13 * 60 + 30, off), "");
    visitPool(pn, h, "derm", today, utcOf(today, 14 * 60, off),
              utcOf(today, 15 * 60, off), "");
    visitPool(pc, h, "derm", today, utcOf(today, 10 * 60, off),
              utcOf(today, 12 * 60 + 20, off), "");
    visitPool(pv, h, "derm", today, utcOf(today, 11 * 60, off),
              utcOf(today, 13 * 60 + 30, off), ",\"pay_mode\":\"at_visit\"");

    char c1[19], c2[19], c3[19], bad[19];
    idCard("44030519850615201", c1);
    idCard("44030519850615202", c2);
    idCard("44030519850615203", c3);
    memcpy(bad, c1, sizeof bad);
    bad[17] = c1[17] == '0' ? '1' : '0';
    char digits[3][18];
    snprintf(digits[0], sizeof digits[0], "%.17s", c1);
    snprintf(digits[1], sizeof digits[1], "%.17s", c2);
    snprintf(digits[2], sizeof digits[2], "%.17s", c3);
    const char *const numbers[] = {digits[0], digits[1], digits[2], NULL};
    char b1[128], b2[128], b3[128], bb[128];
    snprintf(b1, sizeof b1, "{\"id_type\":\"id_card\",\"id_number\":\"%s\"}",
             c1);
    snprintf(b2, sizeof b2, "{\"id_type\":\"id_card\",\"id_number\":\"%s\"}",
             c2);
    snprintf(b3, sizeof b3, "{\"id_type\":\"id_card\",\"id_number\":\"%s\"}",
             c3);
    snprintf(bb, sizeof bb, "{\"id_type\":\"id_card\",\"id_number\":\"%s\"}",
             bad);

    long long k1 = bookOn(ig.port, po, b1, TOK_APP, "pay-ci-1");
    char ci[64];
    snprintf(ci, sizeof ci, "/v1/bookings/%lld/checkin", k1);
    /* Refusals: the ledger's and the gateway's, changing nothing. */
    struct lsnap before = ledgerSnap();
    expectId(ig.port, ci, TOK_APP, b2, numbers, 403, "PATIENT_MISMATCH");
    expectId(ig.port, ci, TOK_APP, bb, numbers, 400, "INVALID_ID_NUMBER");
    expectId(ig.port, ci, TOK_APP, "{\"patient\":\"patient-ci-0001\"}", numbers,
             400, "OPAQUE_KEY_NOT_ALLOWED");
    expectId(ig.port, ci, TOK_APP, "{}", numbers, 400, "MALFORMED");
    expectId(ig.port, ci, TOK_APP, "{\"id_type\":\"id_card\"}", numbers, 400,
             "MALFORMED");
    expectId(ig.port, "/v1/bookings/x1/checkin", TOK_APP, b1, numbers, 400,
             "INVALID_ARGUMENT");
    expectId(ig.port, "/v1/bookings/99999999/checkin", TOK_APP, b1, numbers,
             404, "UNKNOWN_BOOKING");
    checkSameLedger(before);
    snprintf(path, sizeof path, "/v1/bookings/%lld", k1);
    struct tresp r1, r2;
    CHECK_EQ(callId(ig.port, "GET", path, TOK_APP, NULL, numbers, &r1), 200);
    CHECK_STR(jstr(r1.json, "attendance"), "pending");
    tresp_free(&r1);

    /* Checked in, once: the retry with the key gets the same bytes. */
    struct tconn c = {.fd = -1, .port = ig.port};
    CHECK_EQ(treq(&c, "POST", ci, TOK_APP, "ci-key-1", b1, &r1), 200);
    CHECK_EQ(tresp_int(&r1, "booking"), k1);
    CHECK_EQ(tresp_int(&r1, "visit_no"), 1);
    CHECK_STR(jstr(r1.json, "attendance"), "checked_in");
    CHECK_EQ(treq(&c, "POST", ci, TOK_APP, "ci-key-1", b1, &r2), 200);
    CHECK_STR(r1.body, r2.body);
    for (const char *const *n = numbers; *n != NULL; n++) {
        CHECK(strstr(r1.body, *n) == NULL);
    }
    tresp_free(&r1);
    tresp_free(&r2);
    tconn_close(&c);
    CHECK_EQ(callId(ig.port, "GET", path, TOK_APP, NULL, numbers, &r1), 200);
    CHECK_STR(jstr(r1.json, "attendance"), "checked_in");
    CHECK(tresp_int(&r1, "checked_in_at_ms") > 0);
    tresp_free(&r1);
    /* Through another channel (the patient presents at the window). */
    expectId(ig.port, ci, TOK_WIN, b1, numbers, 409, "ALREADY_CHECKED_IN");
    char xc[64];
    snprintf(xc, sizeof xc, "/v1/bookings/%lld/cancel", k1);
    expectId(ig.port, xc, TOK_APP, "{}", numbers, 409, "ALREADY_CHECKED_IN");

    /* The window: not open yet, or closed. */
    long long kn = bookOn(ig.port, pn,
                          "{\"patient\":\"patient-ci-0002\",\"ttl_ms\":60000}",
                          TOK_WIN, "pay-ci-2");
    snprintf(ci, sizeof ci, "/v1/bookings/%lld/checkin", kn);
    expectId(ig.port, ci, TOK_WIN, "{\"patient\":\"patient-ci-0002\"}", numbers,
             409, "CHECKIN_NOT_OPEN");
    long long kc = bookOn(ig.port, pc, b2, TOK_114, "pay-ci-3");
    snprintf(ci, sizeof ci, "/v1/bookings/%lld/checkin", kc);
    expectId(ig.port, ci, TOK_114, b2, numbers, 409, "CHECKIN_CLOSED");

    /* Paid at the desk: a pay-at-visit booking takes the reference. */
    long long kv = bookOn(ig.port, pv, b3, TOK_APP, NULL);
    snprintf(path, sizeof path, "/v1/bookings/%lld", kv);
    CHECK_EQ(callId(ig.port, "GET", path, TOK_APP, NULL, numbers, &r1), 200);
    CHECK(json_is_false(json_object_get(r1.json, "paid")));
    tresp_free(&r1);
    snprintf(ci, sizeof ci, "/v1/bookings/%lld/checkin", kv);
    char b3p[200];
    /* A method names a payment: not without its reference (400, before
     * the ledger). */
    snprintf(b3p, sizeof b3p,
             "{\"id_type\":\"id_card\",\"id_number\":\"%s\","
             "\"pay_method\":\"cash\"}",
             c3);
    expectId(ig.port, ci, TOK_WIN, b3p, numbers, 400, "INVALID_ARGUMENT");
    snprintf(b3p, sizeof b3p,
             "{\"id_type\":\"id_card\",\"id_number\":\"%s\","
             "\"payment_ref\":\"desk-77\",\"pay_method\":\"cash\"}",
             c3);
    expectId(ig.port, ci, TOK_WIN, b3p, numbers, 200, "");
    CHECK_EQ(callId(ig.port, "GET", path, TOK_APP, NULL, numbers, &r1), 200);
    CHECK(json_is_true(json_object_get(r1.json, "paid")));
    CHECK_STR(jstr(r1.json, "payment_ref"), "desk-77");
    CHECK_STR(jstr(r1.json, "pay_method"), "cash");
    CHECK_STR(jstr(r1.json, "attendance"), "checked_in");
    tresp_free(&r1);
    CHECK_EQ(gatewayStop(&ig), 0);
    for (const char *const *n = numbers; *n != NULL; n++) {
        CHECK(!fileHas(ig.access, *n));
        CHECK(!fileHas(ig.log, *n));
    }
}

/* With noshow_sweep, a booking not checked in when check-in closes
 * becomes a no-show (a violation); one checked in does not. */
static void test_visit_noshow(void)
{
    const char *h = uniq("hn");
    long long now = tclock_wall_ms();
    int off = noonOffset(now);
    long long today = localDay(now, off);
    char rules[256];
    snprintf(rules, sizeof rules,
             "{\"utc_offset\":\"%s\",\"visit\":{\"checkin_before_ms\":3600000,"
             "\"checkin_late_ms\":1000,\"noshow_sweep\":true}}",
             offsetStr(off));
    setRulesOk(h, rules);
    /* Check-in closes about 7 s from now. */
    char pool[64];
    snprintf(pool, sizeof pool, "%s-n", h);
    visitPool(pool, h, "derm", today, now - 30 * MS_PER_MIN, now + 8000, "");
    long long kn = bookKey(pool, "patient-ns-0001", TOK_APP);
    long long kk = bookKey(pool, "patient-ns-0002", TOK_114);
    char ck[64], cn[64];
    snprintf(ck, sizeof ck, "/v1/bookings/%lld/checkin", kk);
    snprintf(cn, sizeof cn, "/v1/bookings/%lld/checkin", kn);
    expect("POST", ck, TOK_114, "{\"patient\":\"patient-ns-0002\"}", 200, NULL);
    /* Polled (bounded), never slept for. */
    const char *att = "";
    long long until = tclock_mono_ms() + WAIT_MS;
    json_t *c = NULL;
    while (tclock_mono_ms() < until) {
        c = claimJson("bookings", kn, TOK_APP);
        att = jstr(c, "attendance");
        if (strcmp(att, "pending") != 0) {
            break;
        }
        json_decref(c);
        c = NULL;
        tclock_sleep_ms(200);
    }
    CHECK(c != NULL);
    CHECK_STR(att, "no_show");
    json_decref(c);
    c = claimJson("bookings", kk, TOK_114);
    CHECK_STR(jstr(c, "attendance"), "checked_in");
    json_decref(c);
    expect("POST", cn, TOK_APP, "{\"patient\":\"patient-ns-0001\"}", 409,
           "NO_SHOW");
    char xn[64];
    snprintf(xn, sizeof xn, "/v1/bookings/%lld/cancel", kn);
    expect("POST", xn, TOK_APP, NULL, 409, "NO_SHOW");
    /* The no-show is a violation on the patient's record. */
    json_t *pi = getJson("/v1/patients/patient-ns-0001", TOK_APP);
    json_t *vs = json_object_get(pi, "violations");
    CHECK_EQ(json_array_size(vs), 1);
    CHECK_STR(jstr(json_array_get(vs, 0), "kind"), "no_show");
    CHECK_STR(jstr(json_array_get(vs, 0), "hospital"), h);
    json_decref(pi);
    /* A no-show is final: a later stop neither refunds nor moves it; the
     * checked-in booking is refunded. */
    char sp[128], mn[64], xk[64];
    snprintf(sp, sizeof sp, "/v1/pools/%s/stop", pool);
    expect("POST", sp, TOK_ADMIN, "{\"operator\":\"ops\",\"reason\":\"ill\"}",
           200, NULL);
    expect("POST", xn, TOK_APP, NULL, 409, "NO_SHOW");
    snprintf(mn, sizeof mn, "/v1/bookings/%lld/move", kn);
    expect("POST", mn, TOK_APP, "{\"pool\":\"any-pool\"}", 409, "NO_SHOW");
    snprintf(xk, sizeof xk, "/v1/bookings/%lld/cancel", kk);
    expect("POST", xk, TOK_114, NULL, 200, NULL);
    c = claimJson("bookings", kk, TOK_114);
    CHECK(json_is_true(json_object_get(c, "refunded")));
    json_decref(c);
}

/* ---- the event feed (protocol 4) ----------------------------------------- */
static bool gw_ev_claim_type(const char *t)
{
    static const char *const claim[] = {
        "held",    "offered",     "booked",    "released",
        "expired", "cancelled",   "moved",     "checked_in",
        "no_show", "wait_joined", "wait_left", NULL};
    for (int i = 0; claim[i] != NULL; i++) {
        if (strcmp(t, claim[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* GET /v1/events through port (account: X-Account or NULL); the JSON
 * page, NULL unless 200 (*status: the status). */
static json_t *evGet(int port, const char *token, const char *account,
                     const char *query, int *status)
{
    char path[256];
    snprintf(path, sizeof path, "/v1/events%s", query);
    struct tresp r;
    int st = callOn(port, "GET", path, token, NULL, account, NULL, &r);
    if (status != NULL) {
        *status = st;
    }
    json_t *j = st == 200 ? json_incref(r.json) : NULL;
    if (st == 200) {
        /* The four members, always. */
        CHECK(json_is_array(json_object_get(j, "events")));
        CHECK(json_is_integer(json_object_get(j, "first")));
        CHECK(json_is_integer(json_object_get(j, "last")));
        CHECK(json_is_integer(json_object_get(j, "next_after")));
    }
    tresp_free(&r);
    return j;
}

/* The newest seq of the feed (a cursor from which only what follows is
 * read). */
static long long evHead(void)
{
    int st = 0;
    json_t *j = evGet(gw.port, TOK_ADMIN, NULL, "?limit=1", &st);
    CHECK_EQ(st, 200);
    long long last = jint(j, "last");
    json_decref(j);
    return last;
}

/* Every event after `after` up to the feed's head as the viewer sees
 * them, page by page (limit per page), those of `pool` appended to out
 * (a JSON array). Returns the final next_after. */
static long long evCollect(int port, const char *token, const char *account,
                           long long after, int limit, const char *pool,
                           json_t *out)
{
    for (int pages = 0; pages < 10000; pages++) {
        char q[96];
        snprintf(q, sizeof q, "?after=%lld&limit=%d", after, limit);
        int st = 0;
        json_t *j = evGet(port, token, account, q, &st);
        CHECK_EQ(st, 200);
        json_t *evs = json_object_get(j, "events");
        size_t i;
        json_t *e;
        long long prev = after;
        json_array_foreach(evs, i, e)
        {
            /* Oldest first, each after the cursor. */
            CHECK(jint(e, "seq") > prev);
            prev = jint(e, "seq");
            if (pool == NULL || strcmp(jstr(e, "pool"), pool) == 0) {
                json_array_append(out, e);
            }
        }
        long long next = jint(j, "next_after");
        long long last = jint(j, "last");
        CHECK(next >= after && next <= last);
        json_decref(j);
        if (next == after) {
            return next; /* nothing after it */
        }
        after = next;
    }
    CHECK(0);
    return after;
}

/* The events of out (each an object) as "type:claim" words, e.g.
 * "pool_created:0 held:12 booked:12". */
static const char *evWords(json_t *out)
{
    static char s[2048];
    size_t n = 0, i;
    json_t *e;
    s[0] = '\0';
    json_array_foreach(out, i, e)
    {
        n +=
            (size_t)snprintf(s + n, sizeof s - n, "%s%s:%lld", i > 0 ? " " : "",
                             jstr(e, "type"), jint(e, "claim"));
        if (n >= sizeof s) {
            break;
        }
    }
    return s;
}

/* A hold and its confirm through the app, read back from the feed in
 * order with every field; the query's refusals. */
static void test_events_long_poll(void)
{
    char pool[64], body[160], pe[200];
    snprintf(pool, sizeof pool, "%s", uniq("ev-lp"));
    long long cur = evHead();
    snprintf(body, sizeof body, "{\"pool\":\"%s\",\"capacity\":3}", pool);
    createPool(body);
    gw_pct_encode_t(pool, pe, sizeof pe);
    long long h = hold(pe, "patient-ev-0001", TOK_APP, 60000);
    CHECK(h > 0);
    CHECK(confirm(h, TOK_APP) > 0);
    json_t *out = json_array();
    evCollect(gw.port, TOK_ADMIN, NULL, cur, 2, pool, out);
    char want[256];
    snprintf(want, sizeof want, "pool_created:0 held:%lld booked:%lld", h, h);
    CHECK_STR(evWords(out), want);
    json_t *held = json_array_get(out, 1), *booked = json_array_get(out, 2);
    CHECK_EQ(json_object_size(held), 16);
    CHECK_STR(jstr(held, "patient"), "patient-ev-0001");
    CHECK_STR(jstr(held, "channel"), "app");
    CHECK_STR(jstr(held, "account"), "");
    CHECK_STR(jstr(held, "hospital"), "");
    CHECK(jint(held, "a") > jint(held, "time_ms")); /* the deadline */
    CHECK(jint(held, "index") > 0);
    CHECK(jint(booked, "seq") > jint(held, "seq"));
    CHECK(jint(booked, "index") > jint(held, "index"));
    CHECK(jint(booked, "time_ms") >= jint(held, "time_ms"));
    CHECK_EQ(jint(booked, "a"), 1); /* visit 1 */
    CHECK_EQ(jint(booked, "b"), 1); /* paid */
    /* Protocol 5: the payment after the event, and the local day (UTC
     * for a free-standing pool). */
    CHECK_EQ(json_object_size(booked), 16);
    CHECK_STR(jstr(booked, "payment_ref"), "pay-ok-1");
    CHECK_STR(jstr(held, "payment_ref"), "");
    CHECK_EQ(jint(booked, "local_day"), jint(booked, "time_ms") / MS_PER_DAY);
    json_decref(out);

    /* Refusals of the query, before the cluster. */
    expect("GET", "/v1/events?wait_ms=30001", TOK_APP, NULL, 400,
           "INVALID_ARGUMENT");
    expect("GET", "/v1/events?limit=0", TOK_APP, NULL, 400, "INVALID_ARGUMENT");
    expect("GET", "/v1/events?limit=1001", TOK_APP, NULL, 400,
           "INVALID_ARGUMENT");
    expect("GET", "/v1/events?after=x", TOK_APP, NULL, 400, "INVALID_ARGUMENT");
    expect("GET", "/v1/events?since=1", TOK_APP, NULL, 400, "MALFORMED");
    expect("GET", "/v1/events?after=1&after=2", TOK_APP, NULL, 400,
           "MALFORMED");
    expect("GET", "/v1/events", NULL, NULL, 401, "UNAUTHORIZED");
    expect("POST", "/v1/events", TOK_APP, NULL, 405, "METHOD_NOT_ALLOWED");
    struct tresp r;
    CHECK_EQ(
        callOn(gw.port, "GET", "/v1/events", TOK_APP, NULL, "a b", NULL, &r),
        400);
    tresp_free(&r);

    /* Nothing newer: the wait runs out, an empty page, the cursor kept. */
    long long head = evHead();
    char q[96];
    snprintf(q, sizeof q, "?after=%lld&wait_ms=700", head + 1000000);
    long long t0 = tclock_mono_ms();
    int st = 0;
    json_t *j = evGet(gw.port, TOK_APP, NULL, q, &st);
    long long took = tclock_mono_ms() - t0;
    CHECK_EQ(st, 200);
    CHECK(took >= 650 && took < WAIT_MS);
    CHECK_EQ(json_array_size(json_object_get(j, "events")), 0);
    CHECK_EQ(jint(j, "next_after"), head + 1000000);
    json_decref(j);
}

/* Sends a GET and returns the connection without reading the answer. */
static int sendGet(struct tconn *c, int port, const char *path,
                   const char *token, const char *extra)
{
    if (tconn_open(c, port) != 0) {
        return -1;
    }
    char req[1024];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer "
                     "%s\r\n%s\r\n",
                     path, token, extra != NULL ? extra : "");
    return write(c->fd, req, (size_t)n) == n ? 0 : -1;
}

/* A long poll waiting on an empty feed answers as soon as an event it
 * may see arrives; events it may not see do not end the wait. (Other
 * tests' events the app may see, a hold of theirs expiring, can end a
 * wait first: then the poll goes on from next_after, as a client's
 * would.) */
static void test_events_wait(void)
{
    char pool[64], body[160], pe[200], path[128];
    snprintf(pool, sizeof pool, "%s", uniq("ev-w"));
    snprintf(body, sizeof body, "{\"pool\":\"%s\",\"capacity\":3}", pool);
    createPool(body);
    gw_pct_encode_t(pool, pe, sizeof pe);
    long long cur = evHead();
    struct tconn c;
    snprintf(path, sizeof path, "/v1/events?after=%lld&wait_ms=20000", cur);
    CHECK_EQ(sendGet(&c, gw.port, path, TOK_APP, NULL), 0);
    tclock_sleep_ms(600);
    /* Another channel's hold: not the app's, the poll keeps waiting. */
    long long h114 = hold(pe, "patient-ew-0002", TOK_114, 60000);
    CHECK(h114 > 0);
    tclock_sleep_ms(600);
    long long h = 0, t1 = 0;
    for (int round = 0; round < 100; round++) {
        struct pollfd pfd = {c.fd, POLLIN, 0};
        if (h == 0 && poll(&pfd, 1, 0) == 0) {
            h = hold(pe, "patient-ew-0001", TOK_APP, 60000);
            CHECK(h > 0);
            t1 = tclock_mono_ms();
        }
        struct tresp r;
        CHECK_EQ(tread(&c, &r), 200);
        long long now = tclock_mono_ms();
        json_t *evs = json_object_get(r.json, "events");
        /* Long before the 20 s: never an empty page. */
        CHECK(json_array_size(evs) > 0);
        size_t i;
        json_t *e;
        bool mine = false;
        json_array_foreach(evs, i, e)
        {
            CHECK(!(strcmp(jstr(e, "pool"), pool) == 0 &&
                    jint(e, "claim") == h114));
            if (strcmp(jstr(e, "pool"), pool) == 0) {
                CHECK_STR(jstr(e, "type"), "held");
                CHECK_EQ(jint(e, "claim"), h);
                CHECK_STR(jstr(e, "channel"), "app");
                mine = true;
            }
        }
        long long next = jint(r.json, "next_after");
        tresp_free(&r);
        tconn_close(&c);
        if (mine) {
            /* Answered by the app's hold at once (bounded). */
            CHECK(h > 0 && now - t1 < 10000);
            return;
        }
        snprintf(path, sizeof path, "/v1/events?after=%lld&wait_ms=20000",
                 next);
        CHECK_EQ(sendGet(&c, gw.port, path, TOK_APP, NULL), 0);
    }
    CHECK(0);
}

/* Who sees what: a channel its own claims' events and the pools', not
 * another channel's; with X-Account its account's patients' (their
 * binding too); the admin token all. The same page examined gives every
 * viewer the same next_after. */
static void test_events_filter(void)
{
    char pool[64], body[160], pe[200], acc[64], path[160];
    snprintf(pool, sizeof pool, "%s", uniq("ev-f"));
    snprintf(acc, sizeof acc, "%s", uniq("acct-ev"));
    long long cur = evHead();
    snprintf(body, sizeof body, "{\"pool\":\"%s\",\"capacity\":5}", pool);
    createPool(body);
    gw_pct_encode_t(pool, pe, sizeof pe);
    /* The window's patient is bound to the account. */
    snprintf(path, sizeof path, "/v1/accounts/%s/patients", acc);
    struct tresp r;
    CHECK_EQ(
        call1("POST", path, TOK_WIN, "{\"patient\":\"patient-ef-0002\"}", &r),
        200);
    tresp_free(&r);
    long long ha = hold(pe, "patient-ef-0001", TOK_APP, 60000);
    long long hw = hold(pe, "patient-ef-0002", TOK_WIN, 60000);
    long long hb = hold(pe, "patient-ef-0003", TOK_114, 60000);
    CHECK(ha > 0 && hw > 0 && hb > 0);
    char want[256];

    json_t *all = json_array();
    long long end = evCollect(gw.port, TOK_ADMIN, NULL, cur, 1000, NULL, all);
    json_t *adm = json_array();
    size_t i;
    json_t *e;
    bool bound = false;
    json_array_foreach(all, i, e)
    {
        if (strcmp(jstr(e, "pool"), pool) == 0) {
            json_array_append(adm, e);
        }
        if (strcmp(jstr(e, "type"), "account_bound") == 0 &&
            strcmp(jstr(e, "account"), acc) == 0) {
            bound = true;
            CHECK_STR(jstr(e, "patient"), "patient-ef-0002");
        }
    }
    CHECK(bound);
    snprintf(want, sizeof want, "pool_created:0 held:%lld held:%lld held:%lld",
             ha, hw, hb);
    CHECK_STR(evWords(adm), want);

    json_t *app = json_array();
    CHECK_EQ(evCollect(gw.port, TOK_APP, NULL, cur, 1000, pool, app), end);
    snprintf(want, sizeof want, "pool_created:0 held:%lld", ha);
    CHECK_STR(evWords(app), want);
    json_t *win = json_array();
    evCollect(gw.port, TOK_WIN, NULL, cur, 1000, pool, win);
    snprintf(want, sizeof want, "pool_created:0 held:%lld", hw);
    CHECK_STR(evWords(win), want);
    /* The app with the account: its own and the account's patient's. */
    json_t *appac = json_array();
    CHECK_EQ(evCollect(gw.port, TOK_APP, acc, cur, 1000, NULL, appac), end);
    json_t *mine = json_array();
    bound = false;
    json_array_foreach(appac, i, e)
    {
        if (strcmp(jstr(e, "pool"), pool) == 0) {
            json_array_append(mine, e);
        }
        bound = bound || strcmp(jstr(e, "type"), "account_bound") == 0;
        /* Never another channel's claim but the account's. */
        if (gw_ev_claim_type(jstr(e, "type"))) {
            CHECK(strcmp(jstr(e, "channel"), "app") == 0 ||
                  strcmp(jstr(e, "account"), acc) == 0);
        }
    }
    CHECK(bound);
    snprintf(want, sizeof want, "pool_created:0 held:%lld held:%lld", ha, hw);
    CHECK_STR(evWords(mine), want);
    /* Page by page, with a small page, a channel reaches the same cursor
     * as the admin token: filtering never holds it back or skips. */
    json_t *small = json_array();
    CHECK_EQ(evCollect(gw.port, TOK_114, NULL, cur, 1, pool, small), end);
    snprintf(want, sizeof want, "pool_created:0 held:%lld", hb);
    CHECK_STR(evWords(small), want);
    json_decref(all);
    json_decref(adm);
    json_decref(app);
    json_decref(win);
    json_decref(appac);
    json_decref(mine);
    json_decref(small);
}

/* A Server-Sent Events subscriber (HTTP/1.0: the body runs until the
 * gateway closes the connection). */
struct sse {
    int fd;
    int status;
    size_t len;
    char head[4096];
    char buf[1 << 17];
};

/* One block of the stream: an event (kind 'e': id, type, data), a
 * comment ('c'), or the end ('x': closed or timed out). */
struct ssev {
    char kind;
    long long id;
    char type[40];
    json_t *data;
};

static long long sseLeft(long long until)
{
    long long l = until - tclock_mono_ms();
    return l > 0 ? l : 0;
}

static int sseFill(struct sse *s, long long until)
{
    struct pollfd p = {s->fd, POLLIN, 0};
    if (s->len + 1 >= sizeof s->buf || poll(&p, 1, (int)sseLeft(until)) <= 0) {
        return -1;
    }
    ssize_t n = read(s->fd, s->buf + s->len, sizeof s->buf - 1 - s->len);
    if (n <= 0) {
        return -1;
    }
    s->len += (size_t)n;
    s->buf[s->len] = '\0';
    return 0;
}

/* SO_RCVBUF of the next sseOpen's socket (0: the kernel's). */
static int sseRcvbuf;

/* Opens GET /v1/events/stream?query with a token, X-Account (NULL none)
 * and Last-Event-ID (< 0: none); reads the head. Returns the status (the
 * body of a refusal stays in buf, whole). */
static int sseOpen(struct sse *s, int port, const char *token,
                   const char *account, const char *query, long long last_id)
{
    memset(s, 0, sizeof *s);
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (s->fd < 0) {
        return 0;
    }
    if (sseRcvbuf > 0) {
        /* A subscriber that reads slowly: the kernel buffers little. */
        setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &sseRcvbuf, sizeof sseRcvbuf);
    }
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(s->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        return 0;
    }
    char req[1024];
    int n =
        snprintf(req, sizeof req,
                 "GET /v1/events/stream%s HTTP/1.0\r\nHost: t\r\n"
                 "Authorization: Bearer %s\r\nAccept: text/event-stream\r\n",
                 query, token);
    if (account != NULL) {
        n += snprintf(req + n, sizeof req - (size_t)n, "X-Account: %s\r\n",
                      account);
    }
    if (last_id >= 0) {
        n += snprintf(req + n, sizeof req - (size_t)n,
                      "Last-Event-ID: %lld\r\n", last_id);
    }
    n += snprintf(req + n, sizeof req - (size_t)n, "\r\n");
    if (write(s->fd, req, (size_t)n) != n) {
        return 0;
    }
    long long until = tclock_mono_ms() + WAIT_MS;
    char *end;
    while ((end = strstr(s->buf, "\r\n\r\n")) == NULL) {
        if (sseFill(s, until) != 0) {
            return 0;
        }
    }
    size_t hl = (size_t)(end - s->buf) + 4;
    snprintf(s->head, sizeof s->head, "%.*s", (int)hl, s->buf);
    memmove(s->buf, s->buf + hl, s->len - hl + 1);
    s->len -= hl;
    if (sscanf(s->head, "HTTP/1.%*d %d", &s->status) != 1) {
        return 0;
    }
    if (s->status != 200) {
        while (sseFill(s, until) == 0) {
        }
    }
    return s->status;
}

static void sseClose(struct sse *s)
{
    if (s->fd >= 0) {
        close(s->fd);
    }
    s->fd = -1;
}

/* sseOpen, again while it is refused 503 (bounded): a subscriber that
 * went frees its place when h2o notices. */
static int sseOpenRetry(struct sse *s, int port, const char *token,
                        const char *query)
{
    long long until = tclock_mono_ms() + WAIT_MS;
    int st;
    while ((st = sseOpen(s, port, token, NULL, query, -1)) == 503 &&
           tclock_mono_ms() < until) {
        sseClose(s);
        tclock_sleep_ms(50);
    }
    return st;
}

/* The next event or comment within timeout_ms ('x' if none). */
static struct ssev sseNext(struct sse *s, long long timeout_ms)
{
    long long until = tclock_mono_ms() + timeout_ms;
    struct ssev ev = {'x', -1, "", NULL};
    for (;;) {
        char *end = strstr(s->buf, "\n\n");
        if (end == NULL) {
            if (sseFill(s, until) != 0) {
                return ev;
            }
            continue;
        }
        *end = '\0';
        bool comment = false, any = false;
        for (char *line = s->buf; line != NULL && *line != '\0';) {
            char *nl = strchr(line, '\n');
            if (nl != NULL) {
                *nl = '\0';
            }
            if (line[0] == ':') {
                comment = true;
            } else if (strncmp(line, "id: ", 4) == 0) {
                ev.id = atoll(line + 4);
            } else if (strncmp(line, "event: ", 7) == 0) {
                snprintf(ev.type, sizeof ev.type, "%s", line + 7);
            } else if (strncmp(line, "data: ", 6) == 0) {
                json_error_t je;
                ev.data = json_loads(line + 6, 0, &je);
                CHECK(ev.data != NULL); /* one line of JSON */
                any = true;
            } else {
                /* Only "retry:" else. */
                CHECK(strncmp(line, "retry: ", 7) == 0);
            }
            line = nl != NULL ? nl + 1 : NULL;
        }
        size_t used = (size_t)(end - s->buf) + 2;
        memmove(s->buf, s->buf + used, s->len - used + 1);
        s->len -= used;
        if (any) {
            ev.kind = 'e';
            return ev;
        }
        if (comment) {
            ev.kind = 'c';
            return ev;
        }
    }
}

/* The next event of `pool` (others, and comments, skipped); kind 'x' if
 * none within the wait. An "error" event is returned whatever it
 * names. */
static struct ssev sseNextOf(struct sse *s, const char *pool)
{
    long long until = tclock_mono_ms() + WAIT_MS;
    for (;;) {
        struct ssev ev = sseNext(s, sseLeft(until));
        if (ev.kind == 'x' ||
            (ev.kind == 'e' && strcmp(ev.type, "error") == 0)) {
            return ev;
        }
        if (ev.kind == 'e') {
            /* Every event's id is its seq, its name its type. */
            CHECK_EQ(ev.id, jint(ev.data, "seq"));
            CHECK_STR(ev.type, jstr(ev.data, "type"));
            if (strcmp(jstr(ev.data, "pool"), pool) == 0) {
                return ev;
            }
        }
        json_decref(ev.data);
    }
}

/* A stream receives a channel's events in order; cut after two, it
 * resumes from Last-Event-ID without a gap or a duplicate; heartbeats
 * while idle; at most events_max subscribers; a stream open at SIGTERM
 * ends with an error event and the gateway exits 0. */
static void test_events_sse(void)
{
    struct tgateway g2;
    CHECK_EQ(gatewayStart(&g2, &cluster,
                          "\"events_poll_ms\":50,\"events_heartbeat_ms\":300,"
                          "\"events_max\":3,\"idle_timeout_ms\":1000"),
             0);
    char pool[64], body[160], pe[200], q[64];
    snprintf(pool, sizeof pool, "%s", uniq("ev-sse"));
    long long cur = evHead();
    snprintf(q, sizeof q, "?after=%lld", cur);
    static struct sse a, b, c, d;
    CHECK_EQ(sseOpen(&a, g2.port, TOK_APP, NULL, q, -1), 200);
    char v[64];
    CHECK(strstr(a.head, "text/event-stream") != NULL);
    (void)v;
    snprintf(body, sizeof body, "{\"pool\":\"%s\",\"capacity\":5}", pool);
    createPool(body);
    gw_pct_encode_t(pool, pe, sizeof pe);
    long long h1 = hold(pe, "patient-es-0001", TOK_APP, 60000);
    long long hx = hold(pe, "patient-es-0009", TOK_114, 60000);
    CHECK(h1 > 0 && hx > 0);
    CHECK(confirm(h1, TOK_APP) > 0);
    long long h2 = hold(pe, "patient-es-0002", TOK_APP, 60000);
    char path[64];
    snprintf(path, sizeof path, "/v1/holds/%lld", h2);
    expect("DELETE", path, TOK_APP, NULL, 200, NULL);

    /* Two events, then the connection is cut. */
    struct ssev e1 = sseNextOf(&a, pool), e2 = sseNextOf(&a, pool);
    CHECK_EQ(e1.kind, 'e');
    CHECK_EQ(e2.kind, 'e');
    CHECK_STR(e1.type, "pool_created");
    CHECK_STR(e2.type, "held");
    CHECK_EQ(jint(e2.data, "claim"), h1);
    CHECK(e2.id > e1.id);
    sseClose(&a);
    /* Resumed: Last-Event-ID wins over after=. */
    CHECK_EQ(sseOpen(&b, g2.port, TOK_APP, NULL, q, e2.id), 200);
    const char *want[] = {"booked", "held", "released"};
    long long ids[3], claims[3] = {h1, h2, h2}, prev = e2.id;
    for (int i = 0; i < 3; i++) {
        struct ssev e = sseNextOf(&b, pool);
        CHECK_EQ(e.kind, 'e');
        CHECK_STR(e.type, want[i]);
        CHECK_EQ(jint(e.data, "claim"), claims[i]);
        CHECK_STR(jstr(e.data, "channel"), "app"); /* never the 114's */
        CHECK(e.id > prev);
        ids[i] = prev = e.id;
        json_decref(e.data);
    }
    /* Exactly the app's events of the pool, as the long poll gives
     * them: none lost at the cut, none twice. */
    json_t *lp = json_array();
    evCollect(gw.port, TOK_APP, NULL, cur, 1000, pool, lp);
    CHECK_EQ(json_array_size(lp), 5);
    CHECK_EQ(jint(json_array_get(lp, 0), "seq"), e1.id);
    CHECK_EQ(jint(json_array_get(lp, 1), "seq"), e2.id);
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(jint(json_array_get(lp, (size_t)i + 2), "seq"), ids[i]);
    }
    json_decref(lp);
    json_decref(e1.data);
    json_decref(e2.data);
    /* Idle: a heartbeat comment within a bound. */
    struct ssev hb = sseNext(&b, WAIT_MS);
    while (hb.kind == 'e') {
        json_decref(hb.data); /* another test's event: not the pool's */
        hb = sseNext(&b, WAIT_MS);
    }
    CHECK_EQ(hb.kind, 'c');

    /* h2o's request timeout (idle_timeout_ms, 1 s here) does not cut a
     * long poll waiting longer, nor the stream (b, open for seconds). */
    {
        char lq[96];
        snprintf(lq, sizeof lq, "?after=%lld&wait_ms=2500", 1LL << 62);
        long long t0 = tclock_mono_ms();
        int lst = 0;
        json_t *lj = evGet(g2.port, TOK_APP, NULL, lq, &lst);
        CHECK_EQ(lst, 200);
        CHECK(tclock_mono_ms() - t0 >= 2400);
        json_decref(lj);
    }
    /* events_max 3: b, c, d; the fourth subscriber (a stream or a long
     * poll) is refused at once. */
    /* a went: its place is free once h2o notices (at a heartbeat's
     * write); until then a fourth is refused. */
    CHECK_EQ(sseOpenRetry(&c, g2.port, TOK_114, q), 200);
    CHECK_EQ(sseOpenRetry(&d, g2.port, TOK_ADMIN, ""), 200);
    struct sse e;
    CHECK_EQ(sseOpen(&e, g2.port, TOK_WIN, NULL, "", -1), 503);
    CHECK(strstr(e.buf, "\"OVERLOADED\"") != NULL);
    sseClose(&e);
    int st = 0;
    json_t *j = evGet(g2.port, TOK_APP, NULL, "?wait_ms=100", &st);
    CHECK_EQ(st, 503);
    json_decref(j);
    /* A subscriber that goes frees its place (h2o notices at a write:
     * a heartbeat's, within a bound). */
    sseClose(&d);
    struct sse f;
    CHECK_EQ(sseOpenRetry(&f, g2.port, TOK_APP, ""), 200);
    /* Bad requests: 400 whatever the load (three streams are open). */
    struct tconn tc;
    CHECK_EQ(sendGet(&tc, g2.port, "/v1/events/stream", TOK_APP,
                     "Last-Event-ID: x1\r\n"),
             0);
    struct tresp r;
    CHECK_EQ(tread(&tc, &r), 400);
    CHECK_STR(tresp_code(&r), "INVALID_ARGUMENT");
    tresp_free(&r);
    tconn_close(&tc);
    struct sse bad;
    CHECK_EQ(sseOpen(&bad, g2.port, TOK_APP, NULL, "?wait_ms=1", -1), 400);
    CHECK(strstr(bad.buf, "\"MALFORMED\"") != NULL);
    sseClose(&bad);
    sseClose(&f);

    /* SIGTERM with streams open: each ends with an error event, and the
     * gateway exits 0 within its bound. */
    CHECK_EQ(gatewayStop(&g2), 0);
    struct ssev last = sseNextOf(&c, "-");
    CHECK_EQ(last.kind, 'e');
    CHECK_STR(last.type, "error");
    CHECK_STR(jstr(json_object_get(last.data, "error"), "code"), "SHUTDOWN");
    json_decref(last.data);
    sseClose(&b);
    sseClose(&c);
}

/* A subscriber that stops reading while the feed runs on: its queue
 * stays within events_buffer_bytes (the gateway stops reading the feed
 * for it), and once its socket has taken nothing for events_stall_ms the
 * stream ends SLOW_SUBSCRIBER: the error event if the socket still takes
 * it, else the connection shut. Either way the client got a prefix of
 * the events, whole and in order, and resumes from the last with the very
 * next seq. A subscriber that reads, meanwhile, catches up through pages
 * of 1000 larger than its bound, at its socket's pace, without an error. */
static void test_events_slow_subscriber(void)
{
    struct tgateway g3;
    CHECK_EQ(gatewayStart(&g3, &cluster,
                          "\"events_poll_ms\":20,\"events_buffer_bytes\":4096,"
                          "\"events_stall_ms\":2000,"
                          "\"events_heartbeat_ms\":600000"),
             0);
    long long cur = evHead();
    char q[64], body[160];
    snprintf(q, sizeof q, "?after=%lld&limit=1000", cur);
    static struct sse s, s2, fast, r2;
    sseRcvbuf = 2048;
    CHECK_EQ(sseOpen(&s, g3.port, TOK_ADMIN, NULL, q, -1), 200);
    CHECK_EQ(sseOpen(&s2, g3.port, TOK_ADMIN, NULL, q, -1), 200);
    sseRcvbuf = 0;
    /* 400 pools: 400 events, ~85 KB of stream, far beyond what the
     * socket's buffers and 4 KB hold. */
    const char *base = uniq("ev-slow");
    for (int i = 0; i < 400; i++) {
        snprintf(body, sizeof body, "{\"pool\":\"%s-%d\",\"capacity\":1}", base,
                 i);
        createPool(body);
    }
    /* The fast one, from the same cursor: all 400, in order. */
    CHECK_EQ(sseOpen(&fast, g3.port, TOK_ADMIN, NULL, q, -1), 200);
    long long prev = cur, n = 0;
    struct ssev e;
    long long until = tclock_mono_ms() + WAIT_MS;
    while (n < 400) {
        e = sseNext(&fast, sseLeft(until));
        if (e.kind == 'c') {
            continue; /* a heartbeat, on a slow machine */
        }
        CHECK_EQ(e.kind, 'e');
        CHECK(strcmp(e.type, "error") != 0);
        CHECK_EQ(e.id, prev + 1); /* the admin token sees every seq */
        prev = e.id;
        n += strcmp(jstr(e.data, "type"), "pool_created") == 0 &&
             strncmp(jstr(e.data, "pool"), base, strlen(base)) == 0;
        json_decref(e.data);
    }
    sseClose(&fast);
    /* The slow one starts reading after its stall (2 s). */
    tclock_sleep_ms(2500);
    prev = cur;
    n = 0;
    until = tclock_mono_ms() + WAIT_MS;
    for (;;) {
        e = sseNext(&s, sseLeft(until));
        if (e.kind == 'c') {
            continue;
        }
        if (e.kind != 'e' || strcmp(e.type, "error") == 0) {
            break;
        }
        CHECK_EQ(e.id, prev + 1);
        prev = e.id;
        n++;
        json_decref(e.data);
    }
    bool told = e.kind == 'e';
    if (told) {
        json_t *err = json_object_get(e.data, "error");
        CHECK_STR(jstr(err, "code"), "SLOW_SUBSCRIBER");
        CHECK_EQ(jint(err, "last_event_id"), prev);
        json_decref(e.data);
        CHECK_EQ(sseNext(&s, WAIT_MS).kind, 'x'); /* closed after it */
    }
    fprintf(stderr, "slow subscriber: %lld events, then %s\n", n,
            told ? "the SLOW_SUBSCRIBER event" : "the connection shut");
    CHECK(n > 0 && n < 400);
    sseClose(&s);
    /* Resumed from its last event: the next seq, nothing lost. */
    CHECK_EQ(sseOpen(&r2, g3.port, TOK_ADMIN, NULL, q, prev), 200);
    until = tclock_mono_ms() + WAIT_MS;
    do {
        e = sseNext(&r2, sseLeft(until));
    } while (e.kind == 'c');
    CHECK_EQ(e.kind, 'e');
    CHECK_EQ(e.id, prev + 1);
    json_decref(e.data);
    sseClose(&r2);
    /* s2 never reads: its error event cannot go out either, and another
     * events_stall_ms later its connection is shut (the stream freed:
     * its access-log line, the second SLOW_SUBSCRIBER). Then it reads
     * what the kernel held, in order, and the end. */
    until = tclock_mono_ms() + WAIT_MS;
    while (fileCount(g3.access, "SLOW_SUBSCRIBER") < 2 &&
           tclock_mono_ms() < until) {
        tclock_sleep_ms(50);
    }
    CHECK_EQ(fileCount(g3.access, "SLOW_SUBSCRIBER"), 2);
    prev = cur;
    n = 0;
    for (;;) {
        e = sseNext(&s2, WAIT_MS);
        if (e.kind != 'e') {
            break;
        }
        CHECK(strcmp(e.type, "error") != 0);
        CHECK_EQ(e.id, prev + 1);
        prev = e.id;
        n++;
        json_decref(e.data);
    }
    CHECK_EQ(e.kind, 'x');
    CHECK(n < 400);
    sseClose(&s2);
    /* The gateway's log names the access as ended SLOW_SUBSCRIBER. */
    CHECK_EQ(gatewayStop(&g3), 0);
    CHECK(fileHas(g3.access, "/v1/events/stream 200"));
    CHECK(fileHas(g3.access, "SLOW_SUBSCRIBER"));
}

/* The issue's scenario: a doctor stops a clinic with 50 bookings through
 * three channels; the staff refund half of them and move the other half
 * to the department's clinic of tomorrow. Every channel's subscriber gets
 * the stop and, for each of its own patients' bookings, exactly one
 * refund or one move (to the booking the move made), and nothing of
 * another channel's. */
#define STOP_BOOKINGS 50
/* libslot READ_EVENTS requests the gateway on port made so far (its
 * /metrics), or -1. */
static long long evReads(int port)
{
    struct tconn tc;
    struct tresp r;
    memset(&r, 0, sizeof r);
    long long n = -1;
    if (sendGet(&tc, port, "/metrics", TOK_ADMIN, NULL) == 0 &&
        tread(&tc, &r) == 200) {
        static const char key[] =
            "slot_gateway_cluster_requests_total{op=\"read_events\",";
        n = 0;
        for (const char *p = strstr(r.body, key); p != NULL;
             p = strstr(p + 1, key)) {
            const char *v = strchr(p, '}');
            n += v != NULL ? atoll(v + 1) : 0;
        }
    }
    tresp_free(&r);
    tconn_close(&tc);
    return n;
}

/* The next event of stream s (comments skipped) must be seq `want`
 * (admin: every seq); returns whether it was. */
static bool sseExpectSeq(struct sse *s, long long want)
{
    struct ssev e;
    long long until = tclock_mono_ms() + WAIT_MS;
    do {
        e = sseNext(s, sseLeft(until));
    } while (e.kind == 'c');
    bool ok = e.kind == 'e' && strcmp(e.type, "error") != 0 && e.id == want;
    if (!ok) {
        fprintf(stderr, "stream: wanted seq %lld, got kind %c id %lld %s\n",
                want, e.kind, e.id, e.type);
    }
    json_decref(e.data);
    return ok;
}

/* The gateway's one follower of the feed serves every stream whose
 * cursor is in its ring (events_shared_max, 2000 here): three streams
 * cost the cluster one reader, not three; two streams with different
 * viewers get exactly their own filtered sequences (as the long poll
 * gives them). A stream the ring leaves behind (an admin stream that
 * reads nothing while 2,100 events pass and two others read them: a
 * minority, so the follower does not wait for it beyond
 * events_shared_hold_ms) and a stream resuming from before the ring read
 * on their own until they reach it, then join: every seq once, in
 * order. */
static void test_events_shared(void)
{
    struct tgateway g4;
    CHECK_EQ(gatewayStart(&g4, &cluster,
                          "\"events_poll_ms\":20,\"events_shared_max\":2000,"
                          "\"events_shared_hold_ms\":200,"
                          "\"events_heartbeat_ms\":600000"),
             0);
    long long cur = evHead();
    char q[64], body[160], pool[64], pe[200];
    snprintf(q, sizeof q, "?after=%lld", cur);
    static struct sse sa, s114, sadm, sold, sf1, sf2;
    CHECK_EQ(sseOpen(&sa, g4.port, TOK_APP, NULL, q, -1), 200);
    CHECK_EQ(sseOpen(&s114, g4.port, TOK_114, NULL, q, -1), 200);
    CHECK_EQ(sseOpen(&sadm, g4.port, TOK_ADMIN, NULL, q, -1), 200);
    /* Idle, caught up: one reader every events_poll_ms (about 50 a
     * second; three streams reading for themselves: about 150). */
    tclock_sleep_ms(300); /* each stream's own first read, then joined */
    long long r0 = evReads(g4.port);
    tclock_sleep_ms(1000);
    long long r1 = evReads(g4.port);
    fprintf(stderr, "shared: %lld feed reads in 1 s with 3 streams\n", r1 - r0);
    CHECK(r0 >= 0 && r1 - r0 > 0 && r1 - r0 <= 80);

    snprintf(pool, sizeof pool, "%s", uniq("ev-shared"));
    snprintf(body, sizeof body, "{\"pool\":\"%s\",\"capacity\":10}", pool);
    createPool(body);
    gw_pct_encode_t(pool, pe, sizeof pe);
    const char *toks[4] = {TOK_APP, TOK_114, TOK_APP, TOK_114};
    long long claims[4];
    for (int i = 0; i < 4; i++) {
        char pat[32];
        snprintf(pat, sizeof pat, "patient-sh-%04d", i);
        claims[i] = hold(pe, pat, toks[i], 60000);
        CHECK(claims[i] > 0);
    }
    /* Each viewer: pool_created, then its own channel's two holds, the
     * seqs the long poll gives the same viewer. */
    struct sse *subs[2] = {&sa, &s114};
    const char *names[2] = {TOK_APP, TOK_114};
    for (int k = 0; k < 2; k++) {
        json_t *lp = json_array();
        evCollect(g4.port, names[k], NULL, cur, 1000, pool, lp);
        CHECK_EQ(json_array_size(lp), 3);
        for (size_t i = 0; i < 3; i++) {
            struct ssev e = sseNextOf(subs[k], pool);
            CHECK_EQ(e.kind, 'e');
            CHECK_STR(e.type, i == 0 ? "pool_created" : "held");
            CHECK_EQ(e.id, jint(json_array_get(lp, i), "seq"));
            if (i > 0) {
                CHECK_EQ(jint(e.data, "claim"), claims[k + 2 * (i - 1)]);
            }
            json_decref(e.data);
        }
        json_decref(lp);
    }

    sseClose(&sa);
    sseClose(&s114);

    /* 2,100 more events, more than the ring holds, while sadm reads
     * nothing (its queue fills; the ring moves past its cursor) and two
     * streams opened now read everything as it comes. */
    long long fcur = evHead(), fseq = fcur;
    char fq[64];
    snprintf(fq, sizeof fq, "?after=%lld", fcur);
    CHECK_EQ(sseOpen(&sf1, g4.port, TOK_ADMIN, NULL, fq, -1), 200);
    CHECK_EQ(sseOpen(&sf2, g4.port, TOK_ADMIN, NULL, fq, -1), 200);
    const char *base = uniq("ev-shr");
    for (int i = 0; i < 2100; i++) {
        snprintf(body, sizeof body, "{\"pool\":\"%s-%d\",\"capacity\":1}", base,
                 i);
        createPool(body);
        if (i % 100 == 99) {
            for (long long h = evHead(); fseq < h; fseq++) {
                if (!sseExpectSeq(&sf1, fseq + 1) ||
                    !sseExpectSeq(&sf2, fseq + 1)) {
                    CHECK(0);
                    break;
                }
            }
        }
    }
    long long head = evHead();
    CHECK(head - cur > 2000);
    /* A stream resuming from before the ring. */
    CHECK_EQ(sseOpen(&sold, g4.port, TOK_ADMIN, NULL, q, -1), 200);
    for (long long seq = cur + 1; seq <= head; seq++) {
        if (!sseExpectSeq(&sadm, seq) || !sseExpectSeq(&sold, seq)) {
            CHECK(0);
            break;
        }
    }
    /* Caught up, both are served from the ring again: new events reach
     * them (in order), and the cluster sees one reader. */
    for (int i = 0; i < 5; i++) {
        snprintf(body, sizeof body, "{\"pool\":\"%s-x%d\",\"capacity\":1}",
                 base, i);
        createPool(body);
    }
    long long head2 = evHead();
    for (long long seq = head + 1; seq <= head2; seq++) {
        if (!sseExpectSeq(&sadm, seq) || !sseExpectSeq(&sold, seq)) {
            CHECK(0);
            break;
        }
    }
    tclock_sleep_ms(300);
    r0 = evReads(g4.port);
    tclock_sleep_ms(1000);
    r1 = evReads(g4.port);
    fprintf(stderr, "shared: %lld feed reads in 1 s with 4 streams\n", r1 - r0);
    CHECK(r1 - r0 > 0 && r1 - r0 <= 80);
    sseClose(&sf1);
    sseClose(&sf2);
    sseClose(&sadm);
    sseClose(&sold);
    CHECK_EQ(gatewayStop(&g4), 0);
}

/* The issue's scenario in small: a doctor stops a clinic with bookings
 * through three channels; the staff refund each. Every channel's
 * subscriber gets the stop and its own patients' refunds, and no other
 * channel's. */
static void test_events_stop_scenario(void)
{
    const char *h = uniq("hev");
    long long today;
    int off = patientHospital(h, "", &today);
    char ps[64], pt[64], q[64], mvt[128];
    snprintf(ps, sizeof ps, "%s-stop", h);
    snprintf(pt, sizeof pt, "%s-next", h);
    schedPool(ps, h, today, off, STOP_BOOKINGS, "", 0, "");
    schedPool(pt, h, today + 1, off, STOP_BOOKINGS, "", 0, "");
    snprintf(mvt, sizeof mvt, "{\"pool\":\"%s\"}", pt);
    long long cur = evHead();
    snprintf(q, sizeof q, "?after=%lld", cur);
    static struct sse sa, s114, sw;
    CHECK_EQ(sseOpen(&sa, gw.port, TOK_APP, NULL, q, -1), 200);
    CHECK_EQ(sseOpen(&s114, gw.port, TOK_114, NULL, q, -1), 200);
    CHECK_EQ(sseOpen(&sw, gw.port, TOK_WIN, NULL, q, -1), 200);
    const char *const chanToks[3] = {TOK_APP, TOK_114, TOK_WIN};
    const char *toks[STOP_BOOKINGS];
    long long bk[STOP_BOOKINGS], moved_to[STOP_BOOKINGS];
    for (int i = 0; i < STOP_BOOKINGS; i++) {
        char pat[32];
        snprintf(pat, sizeof pat, "patient-st-%04d", i);
        toks[i] = chanToks[i % 3];
        bk[i] = bookKey(ps, pat, toks[i]);
        CHECK(bk[i] > 0);
        moved_to[i] = 0;
    }
    char sp[128];
    snprintf(sp, sizeof sp, "/v1/pools/%s/stop", ps);
    expect("POST", sp, TOK_ADMIN,
           "{\"operator\":\"ops\",\"reason\":\"the doctor is ill\"}", 200,
           NULL);
    for (int i = 0; i < STOP_BOOKINGS; i++) {
        char xp[64];
        if (i % 2 == 0) {
            snprintf(xp, sizeof xp, "/v1/bookings/%lld/cancel", bk[i]);
            expect("POST", xp, TOK_ADMIN, NULL, 200, NULL);
        } else {
            snprintf(xp, sizeof xp, "/v1/bookings/%lld/move", bk[i]);
            struct tresp r;
            CHECK_EQ(call1("POST", xp, TOK_ADMIN, mvt, &r), 200);
            moved_to[i] = jint(r.json, "booking");
            CHECK(moved_to[i] > bk[i]);
            tresp_free(&r);
        }
    }
    struct sse *subs[3] = {&sa, &s114, &sw};
    const char *chans[3] = {"app", "114", "window"};
    for (int k = 0; k < 3; k++) {
        /* Its bookings (held, booked each), the stop, its refunds and
         * moves, in the ledger's order. */
        int want_books = 0, got_held = 0, got_booked = 0, got_end = 0;
        int ends[STOP_BOOKINGS] = {0};
        bool stopped = false;
        for (int i = 0; i < STOP_BOOKINGS; i++) {
            want_books += toks[i] == chanToks[k];
        }
        long long prev = cur;
        while (got_end < want_books) {
            struct ssev e = sseNextOf(subs[k], ps);
            CHECK_EQ(e.kind, 'e');
            if (e.kind != 'e') {
                break;
            }
            CHECK(e.id > prev);
            prev = e.id;
            const char *t = e.type;
            if (strcmp(t, "pool_stopped") == 0) {
                CHECK(!stopped && got_end == 0);
                CHECK(got_booked == want_books);
                CHECK_EQ(jint(e.data, "a"), STOP_BOOKINGS); /* affected */
                stopped = true;
            } else {
                CHECK(gw_ev_claim_type(t));
                CHECK_STR(jstr(e.data, "channel"), chans[k]);
                long long claim = jint(e.data, "claim");
                int which = -1;
                for (int i = 0; i < STOP_BOOKINGS; i++) {
                    if (bk[i] == claim && toks[i] == chanToks[k]) {
                        which = i;
                    }
                }
                CHECK(which >= 0);
                if (strcmp(t, "held") == 0) {
                    got_held++;
                } else if (strcmp(t, "booked") == 0) {
                    got_booked++;
                } else if (which % 2 == 0) {
                    CHECK_STR(t, "cancelled");
                    CHECK(stopped);
                    CHECK_EQ(jint(e.data, "a"), 1); /* refunded */
                    ends[which]++;
                    got_end++;
                } else {
                    CHECK_STR(t, "moved");
                    CHECK(stopped);
                    CHECK_EQ(jint(e.data, "a"), moved_to[which]);
                    ends[which]++;
                    got_end++;
                }
            }
            json_decref(e.data);
        }
        CHECK(stopped);
        CHECK_EQ(got_held, want_books);
        CHECK_EQ(got_booked, want_books);
        CHECK_EQ(got_end, want_books);
        for (int i = 0; i < STOP_BOOKINGS; i++) {
            CHECK_EQ(ends[i], toks[i] == chanToks[k] ? 1 : 0); /* once */
        }
        sseClose(subs[k]);
    }
    /* Applied once: the target holds exactly the moved bookings. */
    char pp[128];
    snprintf(pp, sizeof pp, "/v1/pools/%s", pt);
    struct tresp r;
    CHECK_EQ(call1("GET", pp, TOK_ADMIN, NULL, &r), 200);
    CHECK_EQ(jint(r.json, "booked"), STOP_BOOKINGS / 2);
    tresp_free(&r);
}

/* ---- money: payment methods, reconciliation, statistics (protocol 5) ---- */

/* POST confirm with a body; returns the status. */
static int confirmBody(long long id, const char *token, const char *body,
                       char code[32])
{
    char path[64];
    snprintf(path, sizeof path, "/v1/holds/%lld/confirm", id);
    struct tresp r;
    int st = call1("POST", path, token, body, &r);
    snprintf(code, 32, "%s", tresp_code(&r));
    tresp_free(&r);
    return st;
}

/* The element of arr whose members key1 and key2 have these values. */
static json_t *findRow(json_t *arr, const char *k1, const char *v1,
                       const char *k2, const char *v2)
{
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *o = json_array_get(arr, i);
        if (strcmp(jstr(o, k1), v1) == 0 && strcmp(jstr(o, k2), v2) == 0) {
            return o;
        }
    }
    return NULL;
}

/* GET path as token: the status, and the body parsed (JSON) or raw. */
static int getDoc(const char *path, const char *token, struct tresp *r)
{
    int st = call1("GET", path, token, NULL, r);
    if (st != 200) {
        fprintf(stderr, "GET %s -> %d %s\n", path, st,
                r->body != NULL ? r->body : "");
    }
    return st;
}

/* Lines of text starting with prefix. */
static int linesStarting(const char *text, const char *prefix)
{
    int n = 0;
    size_t k = strlen(prefix);
    for (const char *p = text; p != NULL && *p != '\0';) {
        n += strncmp(p, prefix, k) == 0;
        p = strchr(p, '\n');
        p = p != NULL ? p + 1 : NULL;
    }
    return n;
}

/* Bookings with payment methods through two channels, a cancellation;
 * the reconciliation of the day (JSON and CSV) as the admin and as a
 * channel, whose lines sum to the ledger's own counters (read here
 * through libslot, not through the gateway); the statistics, and the
 * /metrics gauges a second gateway refreshes in the background. */
static void test_money_reconciliation(void)
{
    const char *h = uniq("hm");
    long long today;
    int off = patientHospital(h, "", &today);
    char pool[64], body[768], d2[11], dt[11];
    snprintf(pool, sizeof pool, "%s-m", h);
    dateOf(today + 2, d2);
    dateOf(today, dt);
    snprintf(body, sizeof body,
             "{\"pool\":\"%s\",\"capacity\":6,\"fee_cents\":5000,"
             "\"segment\":{\"start_ms\":%lld,\"end_ms\":%lld},"
             "\"release_at_ms\":0,\"channels\":{},\"schedule\":{"
             "\"hospital\":\"%s\",\"department\":\"derm\",\"doctor\":"
             "\"wang\",\"visit_date\":\"%s\"}}",
             pool, utcOf(today + 2, 14 * 60, off),
             utcOf(today + 2, 15 * 60, off), h, d2);
    createPool(body);
    long long a1 = hold(pool, "patient-money-a1", TOK_APP, 60000);
    long long a2 = hold(pool, "patient-money-a2", TOK_APP, 60000);
    long long b1 = hold(pool, "patient-money-b1", TOK_114, 60000);
    long long a3 = hold(pool, "patient-money-a3", TOK_APP, 60000);
    CHECK(a1 > 0 && a2 > 0 && b1 > 0 && a3 > 0);
    char code[32];
    /* A method without a reference, or not a method: 400, nothing
     * changes. */
    struct lsnap before = ledgerSnap();
    CHECK_EQ(confirmBody(a3, TOK_APP, "{\"pay_method\":\"wechat\"}", code),
             400);
    CHECK_STR(code, "INVALID_ARGUMENT");
    CHECK_EQ(confirmBody(
                 a3, TOK_APP,
                 "{\"payment_ref\":\"r-a3\",\"pay_method\":\"We Chat\"}", code),
             400);
    CHECK_STR(code, "INVALID_ARGUMENT");
    checkSameLedger(before);
    char xp[64];
    snprintf(xp, sizeof xp, "/v1/holds/%lld", a3);
    expect("DELETE", xp, TOK_APP, NULL, 200, NULL);
    CHECK_EQ(confirmBody(
                 a1, TOK_APP,
                 "{\"payment_ref\":\"wx-a1\",\"pay_method\":\"wechat\"}", code),
             200);
    CHECK_EQ(confirmBody(a2, TOK_APP,
                         "{\"payment_ref\":\"cd-a2\",\"pay_method\":\"card\"}",
                         code),
             200);
    CHECK_EQ(
        confirmBody(b1, TOK_114,
                    "{\"payment_ref\":\"ali-b1\",\"pay_method\":\"alipay\"}",
                    code),
        200);
    snprintf(xp, sizeof xp, "/v1/bookings/%lld/cancel", a2);
    expect("POST", xp, TOK_APP, NULL, 200, NULL);
    /* The claim shows its payment. */
    json_t *c = claimJson("bookings", a1, TOK_APP);
    CHECK_STR(jstr(c, "pay_method"), "wechat");
    CHECK_EQ(jint(c, "fee_paid_cents"), 5000);
    json_decref(c);

    /* The admin's reconciliation of the hospital's day, JSON. */
    char path[256];
    snprintf(path, sizeof path, "/v1/reconciliation?day=%s&hospital=%s", dt, h);
    struct tresp r;
    CHECK_EQ(getDoc(path, TOK_ADMIN, &r), 200);
    CHECK(r.json != NULL);
    CHECK(json_is_true(json_object_get(r.json, "agree")));
    CHECK_EQ(jint(r.json, "rows_differing"), 0);
    json_t *lines = json_object_get(r.json, "lines");
    CHECK_EQ(json_array_size(lines), 4); /* 3 bookings, 1 cancel */
    CHECK_EQ(jint(r.json, "lines_total"), 4);
    long long net = 0;
    for (size_t i = 0; i < json_array_size(lines); i++) {
        json_t *l = json_array_get(lines, i);
        CHECK_STR(jstr(l, "hospital"), h);
        json_t *cents = json_object_get(l, "cents");
        net += json_is_integer(cents) ? json_integer_value(cents) : 0;
    }
    CHECK_EQ(net, 3 * 5000 - 5000);
    json_t *cancel = findRow(lines, "kind", "cancel", "channel", "app");
    CHECK(cancel != NULL);
    CHECK_EQ(json_integer_value(json_object_get(cancel, "cents")), -5000);
    CHECK_STR(jstr(cancel, "pay_method"), "card");
    CHECK_STR(jstr(cancel, "payment_ref"), "cd-a2");
    /* Its rows against the ledger's own, read through libslot. */
    json_t *rows = json_object_get(r.json, "rows");
    struct slotc_sync *s = syncOpen(&cluster);
    struct slotc_req q;
    slotc_req_init(&q);
    CHECK_EQ(slotc_sync_read_recon(s, &q, (uint32_t)today, h, NULL, 0,
                                   SLOTC_LIST_MAX),
             SLOT_OK);
    CHECK_EQ(q.out.n_recon, 3);
    CHECK_EQ(json_array_size(rows), q.out.n_recon);
    for (uint32_t i = 0; i < q.out.n_recon; i++) {
        const struct slotc_recon_row *g = &q.out.recon[i];
        json_t *row =
            findRow(rows, "channel", g->channel, "pay_method", g->pay_method);
        CHECK(row != NULL);
        CHECK_STR(jstr(row, "status"), "agree");
        json_t *v = json_object_get(row, "values");
        CHECK_EQ(jint(v, "booked"), g->booked);
        CHECK_EQ(jint(v, "booked_cents"), (long long)g->booked_cents);
        CHECK_EQ(jint(v, "cancelled"), g->cancelled);
        CHECK_EQ(jint(v, "cancelled_cents"), (long long)g->cancelled_cents);
        CHECK_EQ(jint(v, "net_cents"),
                 (long long)(g->booked_cents + g->checkin_paid_cents) -
                     (long long)(g->cancelled_cents + g->refunded_cents));
    }
    slotc_sync_close(s);
    json_t *card = findRow(rows, "channel", "app", "pay_method", "card");
    CHECK_EQ(jint(json_object_get(card, "values"), "cancelled_cents"), 5000);
    /* The statistics of visit day D (today: none of this pool's). */
    CHECK_EQ(json_array_size(json_object_get(r.json, "stats")), 0);
    tresp_free(&r);

    /* A channel sees its own lines only, and may not name another. */
    CHECK_EQ(getDoc(path, TOK_114, &r), 200);
    lines = json_object_get(r.json, "lines");
    CHECK_EQ(json_array_size(lines), 1);
    CHECK_STR(jstr(json_array_get(lines, 0), "channel"), "114");
    CHECK_STR(jstr(r.json, "channel"), "114");
    CHECK(json_is_true(json_object_get(r.json, "agree")));
    CHECK_EQ(json_array_size(json_object_get(r.json, "rows")), 1);
    CHECK(strstr(r.body, "wx-a1") == NULL && strstr(r.body, "cd-a2") == NULL);
    tresp_free(&r);
    char p2[300];
    snprintf(p2, sizeof p2, "%s&channel=app", path);
    expect("GET", p2, TOK_114, NULL, 403, "FORBIDDEN");
    snprintf(p2, sizeof p2, "%s&channel=114", path);
    CHECK_EQ(getDoc(p2, TOK_114, &r), 200);
    CHECK_EQ(json_array_size(json_object_get(r.json, "lines")), 1);
    tresp_free(&r);
    snprintf(p2, sizeof p2, "%s&channel=app", path);
    CHECK_EQ(getDoc(p2, TOK_ADMIN, &r), 200);
    CHECK_EQ(json_array_size(json_object_get(r.json, "lines")), 3);
    tresp_free(&r);

    /* CSV: text/csv, the app's three lines (no other channel's
     * reference). */
    snprintf(p2, sizeof p2, "%s&format=csv", path);
    CHECK_EQ(getDoc(p2, TOK_APP, &r), 200);
    char ct[64];
    CHECK(tresp_header(&r, "content-type", ct, sizeof ct) != NULL);
    CHECK(strncmp(ct, "text/csv", 8) == 0);
    /* The section's header record, then the lines. */
    CHECK_EQ(linesStarting(r.body, "line,seq,"), 1);
    CHECK_EQ(linesStarting(r.body, "line,"), 1 + 3);
    CHECK_EQ(linesStarting(r.body, "result,agree,"), 1);
    CHECK(strstr(r.body, "ali-b1") == NULL);
    tresp_free(&r);
    /* The whole day, every hospital: the lines agree with the counters. */
    snprintf(p2, sizeof p2, "/v1/reconciliation?day=%s", dt);
    CHECK_EQ(getDoc(p2, TOK_ADMIN, &r), 200);
    CHECK(json_is_true(json_object_get(r.json, "agree")));
    CHECK(json_array_size(json_object_get(r.json, "lines")) >= 4);
    tresp_free(&r);
    expect("GET", "/v1/reconciliation", TOK_ADMIN, NULL, 400, "MALFORMED");
    expect("GET", "/v1/reconciliation?day=2026-02-30", TOK_ADMIN, NULL, 400,
           "INVALID_ARGUMENT");

    /* Statistics of the visit day, for any token. */
    snprintf(p2, sizeof p2, "/v1/stats?from=%s&to=%s&hospital=%s", dt, d2, h);
    CHECK_EQ(getDoc(p2, TOK_WIN, &r), 200);
    json_t *st = json_object_get(r.json, "rows");
    CHECK_EQ(json_array_size(st), 1);
    CHECK_EQ(jint(r.json, "total"), 1);
    json_t *sr = json_array_get(st, 0);
    CHECK_STR(jstr(sr, "visit_date"), d2);
    CHECK_STR(jstr(sr, "department"), "derm");
    CHECK_EQ(jint(sr, "capacity"), 6);
    CHECK_EQ(jint(sr, "released"), 6);
    CHECK_EQ(jint(sr, "booked_now"), 2);
    CHECK_EQ(jint(sr, "booked_total"), 3);
    CHECK_EQ(jint(sr, "cancelled_total"), 1);
    CHECK(json_number_value(json_object_get(sr, "booking_rate")) > 0.333 &&
          json_number_value(json_object_get(sr, "booking_rate")) < 0.334);
    tresp_free(&r);
    snprintf(p2, sizeof p2, "/v1/stats?from=%s&to=%s", d2, dt);
    expect("GET", p2, TOK_APP, NULL, 400, "INVALID_ARGUMENT");

    /* /metrics: a gateway refreshing every 200 ms shows the gauges
     * without a scrape ever reading the cluster. */
    struct tgateway g2;
    CHECK_EQ(
        gatewayStart(&g2, &cluster, "\"stats_refresh_ms\":200,\"recon_max\":1"),
        0);
    char want[256];
    snprintf(want, sizeof want,
             "slot_stats_booked_now{hospital=\"%s\",department=\"derm\","
             "day=\"%s\"} 2\n",
             h, d2);
    long long until = tclock_mono_ms() + WAIT_MS;
    bool seen = false;
    char *page = NULL;
    while (!seen && tclock_mono_ms() < until) {
        struct tconn cn = {.fd = -1, .port = g2.port};
        CHECK_EQ(treq(&cn, "GET", "/metrics", NULL, NULL, NULL, &r), 200);
        tconn_close(&cn);
        seen = strstr(r.body, want) != NULL;
        if (seen) {
            page = strdup(r.body);
        }
        tresp_free(&r);
        if (!seen) {
            tclock_sleep_ms(50);
        }
    }
    CHECK(seen);
    snprintf(want, sizeof want,
             "slot_stats_booking_rate{hospital=\"%s\",department=\"derm\","
             "day=\"%s\"} 0.3333\n",
             h, d2);
    CHECK(strstr(page, want) != NULL);
    CHECK(strstr(page, "slot_gateway_stats_dropped_total 0\n") != NULL);
    free(page);
    CHECK_EQ(gatewayStop(&g2), 0);

    /* At most stats_series_max rows: a second department's pool makes
     * two, one is kept and the other counted as dropped. */
    snprintf(body, sizeof body,
             "{\"pool\":\"%s-eye\",\"capacity\":2,\"release_at_ms\":0,"
             "\"segment\":{\"start_ms\":%lld,\"end_ms\":%lld},"
             "\"schedule\":{\"hospital\":\"%s\",\"department\":\"eye\","
             "\"doctor\":\"li\",\"visit_date\":\"%s\"}}",
             h, utcOf(today + 2, 14 * 60, off), utcOf(today + 2, 15 * 60, off),
             h, d2);
    createPool(body);
    CHECK_EQ(gatewayStart(&g2, &cluster,
                          "\"stats_refresh_ms\":200,\"stats_series_max\":1,"
                          "\"recon_bytes_max\":1024"),
             0);
    /* And a reconciliation past recon_bytes_max: 413, not a cut document. */
    {
        struct tconn cn = {.fd = -1, .port = g2.port};
        CHECK_EQ(treq(&cn, "GET", path, TOK_ADMIN, NULL, NULL, &r), 413);
        CHECK_STR(tresp_code(&r), "RESPONSE_TOO_LARGE");
        tresp_free(&r);
        tconn_close(&cn);
    }
    until = tclock_mono_ms() + WAIT_MS;
    seen = false;
    while (!seen && tclock_mono_ms() < until) {
        struct tconn cn = {.fd = -1, .port = g2.port};
        CHECK_EQ(treq(&cn, "GET", "/metrics", NULL, NULL, NULL, &r), 200);
        tconn_close(&cn);
        /* The sample's line, not the HELP line naming it. */
        const char *dr = strstr(r.body, "\nslot_gateway_stats_dropped_total ");
        seen = dr != NULL && atoll(dr + 34) >= 1;
        if (seen) {
            CHECK(strstr(r.body, "slot_gateway_stats_rows 1\n") != NULL);
            CHECK_EQ(linesStarting(r.body, "slot_stats_booked_now{"), 1);
        }
        tresp_free(&r);
        if (!seen) {
            tclock_sleep_ms(50);
        }
    }
    CHECK(seen);
    CHECK_EQ(gatewayStop(&g2), 0);
}

/* ---- the cluster view (GET /v1/cluster) ---------------------------------- */

/* GET /v1/cluster with the admin token (200), its JSON in *r. */
static void clusterView(int port, struct tresp *r)
{
    struct tconn c = {.fd = -1, .port = port};
    int st = treq(&c, "GET", "/v1/cluster", TOK_ADMIN, NULL, NULL, r);
    tconn_close(&c);
    if (st != 200) {
        fprintf(stderr, "GET /v1/cluster -> %d %s\n", st,
                r->body != NULL ? r->body : "");
    }
    CHECK_EQ(st, 200);
    CHECK(json_is_array(json_object_get(r->json, "nodes")));
}

static uint64_t u64Of(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    CHECK(json_is_integer(v) && json_integer_value(v) >= 0);
    return (uint64_t)json_integer_value(v);
}

/* Checks a view of t's nodes: each in configured order with its address;
 * `down` (or -1) unreachable with an error and no figures; every other
 * reachable, commit >= applied; exactly one of them the leader, named by
 * "leader", known to every reachable node, and max_lag its commit minus
 * the lowest applied of the others. */
static void checkView(const struct tresp *r, const struct tcluster *t, int down)
{
    json_t *nodes = json_object_get(r->json, "nodes");
    CHECK_EQ(json_array_size(nodes), (size_t)t->voters);
    int leaders = 0;
    uint64_t leader_id = 0, leader_commit = 0, min_applied = UINT64_MAX;
    for (int i = 0; i < t->voters; i++) {
        json_t *n = json_array_get(nodes, (size_t)i);
        CHECK_EQ(u64Of(n, "node"), (uint64_t)i);
        CHECK_STR(json_string_value(json_object_get(n, "address")),
                  t->client[i]);
        json_t *reach = json_object_get(n, "reachable");
        CHECK(json_is_boolean(reach));
        if (i == down) {
            CHECK(json_is_false(reach));
            json_t *e = json_object_get(n, "error");
            CHECK(json_is_string(json_object_get(e, "code")));
            CHECK(json_is_string(json_object_get(e, "message")));
            CHECK(json_object_get(n, "role") == NULL);
            CHECK(json_object_get(n, "commit_index") == NULL);
            continue;
        }
        if (!json_is_true(reach)) {
            fprintf(stderr, "node %d unreachable: %s\n", i, r->body);
        }
        CHECK(json_is_true(reach));
        CHECK(json_object_get(n, "error") == NULL);
        CHECK(u64Of(n, "id") > 0);
        CHECK(u64Of(n, "term") > 0);
        uint64_t commit = u64Of(n, "commit_index");
        uint64_t applied = u64Of(n, "applied_index");
        CHECK(commit >= applied);
        /* The stall counters are there (their count: test_libslot). */
        CHECK(json_is_integer(json_object_get(n, "leader_stalls")));
        CHECK(json_is_integer(json_object_get(n, "leader_stall_max_us")));
        const char *role = json_string_value(json_object_get(n, "role"));
        CHECK(role != NULL);
        if (strcmp(role, "leader") == 0) {
            leaders++;
            leader_id = u64Of(n, "id");
            leader_commit = commit;
        } else {
            min_applied = applied < min_applied ? applied : min_applied;
        }
    }
    CHECK_EQ(leaders, 1);
    CHECK_EQ(u64Of(r->json, "leader"), leader_id);
    for (int i = 0; i < t->voters; i++) {
        json_t *n = json_array_get(nodes, (size_t)i);
        if (i != down) {
            CHECK_EQ(u64Of(n, "leader_id"), leader_id);
        }
    }
    uint64_t want =
        leader_commit > min_applied ? leader_commit - min_applied : 0;
    CHECK_EQ(u64Of(r->json, "max_lag"), want);
}

/* The shared cluster through the shared gateway: three reachable nodes,
 * one leader; the route is the admin token's only. */
static void test_cluster_view(void)
{
    struct tresp r;
    /* A leader known to every node is a moment after an election: asked
     * again (bounded) while a node still knows none. */
    for (int i = 0; i < 100; i++) {
        clusterView(gw.port, &r);
        bool settled = json_is_integer(json_object_get(r.json, "leader"));
        json_t *n;
        size_t k;
        json_array_foreach(json_object_get(r.json, "nodes"), k, n)
        {
            settled = settled &&
                      json_integer_value(json_object_get(n, "leader_id")) ==
                          json_integer_value(json_object_get(r.json, "leader"));
        }
        if (settled) {
            break;
        }
        tresp_free(&r);
        tclock_sleep_ms(100);
    }
    checkView(&r, &cluster, -1);
    tresp_free(&r);
    expect("GET", "/v1/cluster", TOK_APP, NULL, 403, "FORBIDDEN");
    expect("GET", "/v1/cluster", NULL, NULL, 401, "UNAUTHORIZED");
    expect("GET", "/v1/cluster", "not-a-token-0000", NULL, 401, "UNAUTHORIZED");
    expect("POST", "/v1/cluster", TOK_ADMIN, "{}", 405, "METHOD_NOT_ALLOWED");
}

/* A follower killed (by its pid, through the launcher): the view still
 * answers 200 with that node unreachable and the other two as before;
 * with cluster_max 1, views sent together while one waits on the dead
 * node are refused 503 CLUSTER_BUSY with Retry-After. */
static void test_cluster_view_node_down(void)
{
    struct tcluster t;
    CHECK_EQ(tcluster_start(&t, 3, 0), 0);
    struct tgateway g;
    if (gatewayStart(&g, &t, "\"cluster_timeout_ms\":2000,\"cluster_max\":1") !=
        0) {
        CHECK_EQ(tcluster_stop(&t), 0);
        CHECK(0);
    }
    int leader = tcluster_leader(&t, 5000);
    CHECK(leader >= 0);
    int down = (leader + 1) % 3;
    tcluster_signal(&t, down, SIGKILL);
    struct tresp r;
    clusterView(g.port, &r);
    checkView(&r, &t, down);
    const char *code = json_string_value(json_object_get(
        json_object_get(
            json_array_get(json_object_get(r.json, "nodes"), (size_t)down),
            "error"),
        "code"));
    fprintf(stderr, "cluster view, node %d killed: %s\n", down, code);
    tresp_free(&r);

    enum { N = 4 };
    int busy = 0, ok = 0, other = 0;
    for (int round = 0; round < 5 && busy == 0; round++) {
        struct tconn c[N];
        for (int i = 0; i < N; i++) {
            CHECK_EQ(tconn_open(&c[i], g.port), 0);
        }
        static const char raw[] = "GET /v1/cluster HTTP/1.1\r\nHost: t\r\n"
                                  "Authorization: Bearer " TOK_ADMIN "\r\n\r\n";
        for (int i = 0; i < N; i++) {
            CHECK(send(c[i].fd, raw, sizeof raw - 1, MSG_NOSIGNAL) ==
                  (ssize_t)(sizeof raw - 1));
        }
        for (int i = 0; i < N; i++) {
            int st = tread(&c[i], &r);
            if (st == 503) {
                busy++;
                CHECK_STR(tresp_code(&r), "CLUSTER_BUSY");
                char v[16];
                CHECK(tresp_header(&r, "retry-after", v, sizeof v) != NULL);
            } else if (st == 200) {
                ok++;
                checkView(&r, &t, down);
            } else {
                other++;
                fprintf(stderr, "cluster burst: %d %s\n", st,
                        r.body != NULL ? r.body : "");
            }
            tresp_free(&r);
            tconn_close(&c[i]);
        }
    }
    CHECK(busy > 0);
    CHECK(ok > 0);
    CHECK_EQ(other, 0);
    CHECK_EQ(gatewayStop(&g), 0);
    /* One node was killed on purpose: its end is not a problem. */
    tcluster_stop(&t);
}

/* ---- the operator console (gw_console.h; issue 19) ---------------------- */

/* The console's source directory: client/gateway/console from the
 * repository's root (the suites run there), else from this binary's
 * (build/<flavour>/bin). */
static void consoleDir(char *out, size_t cap)
{
    if (access("client/gateway/console/index.html", R_OK) == 0) {
        snprintf(out, cap, "client/gateway/console");
        return;
    }
    char exe[400];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    snprintf(out, cap, "%s/../../../client/gateway/console", dirname(exe));
}

/* A whole file, malloc'd, its length in *len (NULL if unreadable). */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    size_t got;
    while (b != NULL && (got = fread(b + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            char *nb = realloc(b, cap);
            if (nb == NULL) {
                free(b);
                b = NULL;
            }
            b = nb;
        }
    }
    fclose(f);
    *len = n;
    return b;
}

/* GET path with token (or NULL): 200, the type, the console's headers, and
 * the bytes of the repository's file. */
static void expectConsoleFile(const char *path, const char *token,
                              const char *file, const char *ctype)
{
    char dir[512], fp[700], v[512];
    consoleDir(dir, sizeof dir);
    snprintf(fp, sizeof fp, "%s/%s", dir, file);
    size_t len = 0;
    char *want = slurp(fp, &len);
    if (want == NULL) {
        fprintf(stderr, "cannot read %s\n", fp);
    }
    CHECK(want != NULL);
    struct tresp r;
    CHECK_EQ(call1("GET", path, token, NULL, &r), 200);
    CHECK(tresp_header(&r, "Content-Type", v, sizeof v) != NULL);
    if (strcmp(v, ctype) != 0) {
        fprintf(stderr, "%s: Content-Type %s, want %s\n", path, v, ctype);
    }
    CHECK_STR(v, ctype);
    CHECK(tresp_header(&r, "Content-Security-Policy", v, sizeof v) != NULL);
    CHECK(strstr(v, "default-src 'self'") != NULL);
    CHECK(strstr(v, "script-src 'self'") != NULL);
    CHECK(strstr(v, "unsafe-inline") == NULL &&
          strstr(v, "unsafe-eval") == NULL);
    CHECK(tresp_header(&r, "X-Content-Type-Options", v, sizeof v) != NULL);
    CHECK_STR(v, "nosniff");
    CHECK(tresp_header(&r, "Cache-Control", v, sizeof v) != NULL);
    CHECK_STR(v, "no-cache");
    CHECK_EQ(r.body_len, len);
    CHECK(memcmp(r.body, want, len) == 0);
    tresp_free(&r);
    free(want);
}

static void test_console_static(void)
{
    const char *html = "text/html; charset=utf-8";
    const char *js = "text/javascript; charset=utf-8";
    /* No token needed; a token (even a wrong one) changes nothing. */
    expectConsoleFile("/console", NULL, "index.html", html);
    expectConsoleFile("/console/", NULL, "index.html", html);
    expectConsoleFile("/console/?x=1", NULL, "index.html", html);
    expectConsoleFile("/console/console.css", NULL, "console.css",
                      "text/css; charset=utf-8");
    expectConsoleFile("/console/console.js", NULL, "console.js", js);
    expectConsoleFile("/console/api.js", TOK_ADMIN, "api.js", js);
    expectConsoleFile("/console/api.js", "not-a-token-0000", "api.js", js);
    expectConsoleFile("/console/index.html", TOK_APP, "index.html", html);

    /* Unknown files: the API's 404; other methods: 405 with Allow. */
    expect("GET", "/console/nope.js", NULL, NULL, 404, "NOT_FOUND");
    expect("GET", "/console/test/api.test.mjs", NULL, NULL, 404, "NOT_FOUND");
    expect("GET", "/console/embed.sh", NULL, NULL, 404, "NOT_FOUND");
    expect("GET", "/console/..%2Fgw_http.c", NULL, NULL, 404, "NOT_FOUND");
    expect("GET", "/console/api.js/", NULL, NULL, 404, "NOT_FOUND");
    expect("GET", "/consoles", NULL, NULL, 404, "NOT_FOUND");
    const char *methods[] = {"POST", "PUT", "DELETE", "PATCH"};
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        struct tresp r;
        char v[64];
        CHECK_EQ(call1(methods[i], "/console", TOK_ADMIN, "{}", &r), 405);
        CHECK_STR(tresp_code(&r), "METHOD_NOT_ALLOWED");
        CHECK(tresp_header(&r, "Allow", v, sizeof v) != NULL);
        CHECK_STR(v, "GET, HEAD");
        tresp_free(&r);
        CHECK_EQ(call1(methods[i], "/console/api.js", NULL, NULL, &r), 405);
        CHECK_STR(tresp_code(&r), "METHOD_NOT_ALLOWED");
        tresp_free(&r);
    }
}

/* Runs `node SCRIPT ARGS...` from the console's directory (bounded) and
 * fails unless it exits 0; its output goes to a log shown on failure. */
static void runNode(const char *script, const char *a1, const char *a2,
                    const char *a3)
{
    char node[512], dir[512], path[700], log[400];
    if (proc_which("node", node, sizeof node) != 0) {
        fprintf(stderr, "node is not on PATH (Debian's nodejs)\n");
        CHECK(0);
    }
    consoleDir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/test/%s", dir, script);
    snprintf(log, sizeof log, "%s/node-%s-%d.log", cluster.dir, script,
             (int)getpid());
    char *argv[] = {node, path, (char *)a1, (char *)a2, (char *)a3, NULL};
    struct proc p;
    CHECK_EQ(proc_spawn(&p, "node", argv, log), 0);
    long long until = tclock_mono_ms() + 120000;
    while (!proc_exited(&p) && tclock_mono_ms() < until) {
        tclock_sleep_ms(50);
    }
    bool ok =
        proc_exited(&p) && WIFEXITED(p.status) && WEXITSTATUS(p.status) == 0;
    if (!proc_exited(&p)) {
        fprintf(stderr, "node %s did not end in 120 s\n", script);
        proc_stop(&p, 1000, NULL, 0);
    }
    if (!ok) {
        size_t len = 0;
        char *out = slurp(log, &len);
        fprintf(stderr, "node %s failed; its output (%s):\n%.*s\n", script, log,
                (int)len, out != NULL ? out : "");
        free(out);
    }
    CHECK(ok);
}

/* The console's API module (console/api.js) under node against this
 * cluster and gateway: health, pools, a booking through a channel, the
 * stop, claims, refund and move, a patient, the feed, reconciliation. */
static void test_console_api(void)
{
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", gw.port);
    runNode("api.test.mjs", url, TOK_ADMIN, TOK_APP);
}

/* index.html has no inline script or style; the JS never writes HTML or
 * evaluates strings (console/test/lint.test.mjs). */
static void test_console_lint(void)
{
    runNode("lint.test.mjs", NULL, NULL, NULL);
}

/* ---- host names (a private /etc/hosts: node/testlib/thosts.h) ----------- */

/* Writes a configuration with this listen and cluster, starts a gateway on
 * it (g->port: the listen port). */
static int namedGatewaySpawn(struct tgateway *g, const struct tcluster *t,
                             const char *listen, int port, const char *clu)
{
    memset(g, 0, sizeof *g);
    g->port = port;
    snprintf(g->conf, sizeof g->conf, "%s/gw-names-%d.conf", t->dir, port);
    snprintf(g->log, sizeof g->log, "%s/gw-names-%d.log", t->dir, port);
    FILE *f = fopen(g->conf, "w");
    if (f == NULL) {
        return -1;
    }
    fprintf(f,
            "{\"listen\":\"%s:%d\",\"cluster\":\"%s\",\"access_log\":\"\",\n"
            " \"tokens\":{\"" TOK_APP "\":\"app\",\"" TOK_ADMIN
            "\":\"admin\"}}\n",
            listen, port, clu);
    fclose(f);
    char bin[512];
    tgateway_binary(bin, sizeof bin);
    char *argv[] = {bin, "--config", g->conf, NULL};
    return proc_spawn(&g->p, "slot-gateway", argv, g->log);
}

/* The gateway refuses a configuration: exits 2 (bounded wait), and its
 * log holds `says`. */
static void refusedWith(struct tgateway *g, const char *says)
{
    for (int i = 0; i < 500 && !proc_exited(&g->p); i++) {
        tclock_sleep_ms(20);
    }
    CHECK(g->p.reaped && WIFEXITED(g->p.status) &&
          WEXITSTATUS(g->p.status) == 2);
    if (!fileHas(g->log, says)) {
        fprintf(stderr, "no '%s' in %s\n", says, g->log);
    }
    CHECK(fileHas(g->log, says));
    CHECK(fileHas(g->log, "Name or service not known"));
}

/* slot-gateway with "listen" and "cluster" given as host names: it starts,
 * reaches the nodes (bound to 127.0.0.2-4, so only through the names) and
 * a booking goes through. A name that does not resolve in either key
 * stops it at start with the key named. */
static void test_hostnames(void)
{
    if (geteuid() != 0) {
        fprintf(stderr, "skipped: needs root for a private /etc/hosts\n");
        return;
    }
    CHECK_EQ(thosts_private(
                 "127.0.0.1 localhost gw.campus.test\n" TCLUSTER_CAMPUS_HOSTS),
             0);
    struct tcluster_options o;
    tcluster_options_init(&o);
    tcluster_options_campus(&o, 3);
    struct tcluster t;
    CHECK_EQ(tcluster_start_opts(&t, &o, 3, 0), 0);
    int port;
    CHECK_EQ(proc_free_ports(&port, 1), 0);
    struct tgateway g;
    CHECK_EQ(namedGatewaySpawn(&g, &t, "gw.campus.test", port, t.cluster), 0);
    CHECK_EQ(gatewayListening(&g), 0);
    CHECK(fileHas(g.log, "listening on gw.campus.test:"));
    CHECK_EQ(healthyOn(port, &g.p), 0);
    gw.port = port; /* this test's process only: the helpers below use it */
    createPool("{\"pool\":\"names-pool\",\"capacity\":2}");
    long long h = hold("names-pool", "patient-names-1", TOK_APP, 0);
    CHECK(h > 0);
    CHECK_EQ(confirm(h, TOK_APP), 1);
    CHECK_EQ(gatewayStop(&g), 0);

    char bad[600];
    snprintf(bad, sizeof bad, "%s,nowhere.campus.test:%d", t.cluster,
             t.client_port[0]);
    CHECK_EQ(namedGatewaySpawn(&g, &t, "gw.campus.test", port, bad), 0);
    refusedWith(&g, "\"cluster\" 'nowhere.campus.test:");
    CHECK_EQ(namedGatewaySpawn(&g, &t, "nowhere.campus.test", port, t.cluster),
             0);
    refusedWith(&g, "\"listen\" 'nowhere.campus.test:");
    CHECK_EQ(tcluster_stop(&t), 0);
}

static const struct check_case cases[] = {
    {"patient_quota", test_patient_quota},
    {"patient_accounts", test_patient_accounts},
    {"patient_waitlist_cooldown", test_patient_waitlist_cooldown},
    {"patient_blacklist", test_patient_blacklist},
    {"patient_account_cancel", test_patient_account_cancel},
    {"visit_stop_move", test_visit_stop_move},
    {"visit_checkin", test_visit_checkin},
    {"visit_noshow", test_visit_noshow},
    {"events_long_poll", test_events_long_poll},
    {"events_wait", test_events_wait},
    {"events_filter", test_events_filter},
    {"events_sse", test_events_sse},
    {"events_stop_scenario", test_events_stop_scenario},
    {"events_slow_subscriber", test_events_slow_subscriber},
    {"events_shared", test_events_shared},
    {"flow", test_flow},
    {"keepalive_location", test_keepalive_and_location},
    {"sold_out", test_sold_out},
    {"channel_share_sold_out", test_channel_share_sold_out},
    {"expiry", test_expiry},
    {"ttl_out_of_range", test_ttl_out_of_range},
    {"cancel", test_cancel},
    {"release", test_release},
    {"visit_numbers", test_visit_numbers},
    {"close_pool", test_close_pool},
    {"pool_errors", test_pool_errors},
    {"not_released", test_not_released},
    {"bad_json", test_bad_json},
    {"bad_paths", test_bad_paths},
    {"sizes", test_sizes},
    {"tokens", test_tokens},
    {"hostnames", test_hostnames},
    {"cross_channel", test_cross_channel},
    {"admin_routes", test_admin_routes},
    {"idempotency_key_validation", test_idempotency_key_validation},
    {"idempotency", test_idempotency},
    {"idempotency_two_gateways", test_idempotency_two_gateways},
    {"reuse_port", test_reuse_port},
    {"rate_limit", test_rate_limit},
    {"overload", test_overload},
    {"admission", test_admission},
    {"openapi", test_openapi},
    {"metrics_healthz", test_metrics_healthz},
    {"healthz_no_leader", test_healthz_no_leader},
    {"leader_failover", test_leader_failover},
    {"leader_failover_idempotent", test_leader_failover_idempotent},
    {"shutdown_clean", test_shutdown_clean},
    {"sched_rules", test_sched_rules},
    {"sched_import", test_sched_import},
    {"sched_query", test_sched_query},
    {"sched_hold_rules", test_sched_hold_rules},
    {"sched_payment", test_sched_payment},
    {"identity", test_identity},
    {"money_reconciliation", test_money_reconciliation},
    {"cluster_view", test_cluster_view},
    {"cluster_view_node_down", test_cluster_view_node_down},
    {"console_static", test_console_static},
    {"console_api", test_console_api},
    {"console_lint", test_console_lint},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (tcluster_start(&cluster, 3, 0) != 0) {
        printf("0 passed, 1 failed\n");
        return 1;
    }
    /* Short holds for the expiry test. */
    struct slotc_sync *s = syncOpen(&cluster);
    struct slotc_req q;
    slotc_req_init(&q);
    int rc = slotc_sync_read_ledger(s, &q);
    struct slotc_config cfg =
        rc == SLOT_OK ? q.out.ledger->config : (struct slotc_config){0};
    cfg.hold_ttl_min_ms = 100;
    slotc_req_init(&q);
    if (rc != SLOT_OK || slotc_sync_config(s, &q, &cfg) != SLOT_OK) {
        fprintf(stderr, "cannot configure the ledger\n");
    }
    slotc_sync_close(s);
    char limits[512];
    snprintf(
        limits, sizeof limits,
        "\"inflight_max\":%d,\"body_max_bytes\":%d,\"headers_max_bytes\":%d,"
        "\"patient_rate_per_s\":%d,\"patient_burst\":%d,\"request_timeout_ms\":"
        "5000",
        GW_INFLIGHT_MAX, GW_BODY_MAX, GW_HEADERS_MAX, GW_RATE, GW_BURST);
    if (gatewayStart(&gw, &cluster, limits) != 0) {
        CHECK_EQ(tcluster_stop(&cluster), 0);
        printf("0 passed, 1 failed\n");
        return 1;
    }
    int res = check_main(cases, argc, argv);
    /* The shared gateway served every test: it too must exit 0 on SIGTERM
     * with a clean log (a failure here fails the suite). */
    if (gatewayStop(&gw) != 0) {
        fprintf(stderr, "FAIL the shared gateway did not stop cleanly\n");
        res = 1;
    }
    CHECK_EQ(tcluster_stop(&cluster), 0);
    return res;
}
