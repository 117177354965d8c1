/* test_gw_unit: the gateway's pure modules (routes, JSON, limits, config,
 * metrics, the OpenAPI document, error statuses), without sockets. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "gw_config.h"
#include "gw_err.h"
#include "gw_json.h"
#include "gw_limit.h"
#include "gw_metrics.h"
#include "gw_openapi.h"
#include "gw_route.h"
#include "slot_err.h"
#include "slot_proto.h"

static int match(const char *method, const char *path, struct gw_match *m)
{
    return gw_route_match(method, strlen(method), path, strlen(path), m);
}

static void test_routes(void)
{
    struct gw_match m;
    for (int i = 1; i < GW_R_COUNT; i++) {
        CHECK_EQ(gw_routes[i].id, i);
    }
    CHECK_EQ(match("POST", "/v1/pools", &m), GW_MATCH_OK);
    CHECK_EQ(m.route, GW_R_POOL_CREATE);
    CHECK_EQ(m.n_params, 0);
    CHECK_EQ(match("GET", "/v1/pools/A%2Fb%2Fc", &m), GW_MATCH_OK);
    CHECK_EQ(m.route, GW_R_POOL_GET);
    CHECK_STR(m.params[0], "A/b/c");
    CHECK_EQ(m.len[0], 5);
    CHECK_EQ(match("POST", "/v1/pools/x/holds?debug=1", &m), GW_MATCH_OK);
    CHECK_EQ(m.route, GW_R_HOLD_CREATE);
    CHECK_STR(m.params[0], "x");
    CHECK_EQ(match("GET", "/v1/pools/p1/patients/pat%3A1", &m), GW_MATCH_OK);
    CHECK_EQ(m.route, GW_R_PATIENT_GET);
    CHECK_STR(m.params[1], "pat:1");
    CHECK_EQ(match("DELETE", "/v1/holds/17", &m), GW_MATCH_OK);
    CHECK_EQ(m.route, GW_R_HOLD_RELEASE);
    CHECK_EQ(match("GET", "/v1/holds/17", &m), GW_MATCH_OK);
    CHECK_EQ(m.route, GW_R_HOLD_GET);
    CHECK_EQ(match("POST", "/v1/holds/17/confirm", &m), GW_MATCH_OK);
    CHECK_EQ(match("POST", "/v1/bookings/17/cancel", &m), GW_MATCH_OK);
    CHECK_EQ(m.route, GW_R_BOOKING_CANCEL);
    CHECK_EQ(match("GET", "/healthz", &m), GW_MATCH_OK);
    CHECK_EQ(match("GET", "/metrics", &m), GW_MATCH_OK);
    CHECK_EQ(match("GET", "/openapi.json", &m), GW_MATCH_OK);
    /* Methods. */
    CHECK_EQ(match("PUT", "/v1/holds/17", &m), GW_MATCH_BAD_METHOD);
    CHECK_STR(m.allow, "GET, DELETE");
    CHECK_EQ(match("get", "/v1/holds/17", &m), GW_MATCH_BAD_METHOD);
    CHECK_EQ(match("GET", "/v1/pools", &m), GW_MATCH_BAD_METHOD);
    CHECK_STR(m.allow, "POST");
    /* Not found. */
    static const char *const nf[] = {"",
                                     "/",
                                     "v1/pools",
                                     "/v1/pools/",
                                     "/v1//pools",
                                     "/v1/pools//holds",
                                     "/V1/pools/x",
                                     "/v1/pools/x/holds/",
                                     "/a/b/c/d/e/f/g/h/i/j",
                                     "*"};
    for (size_t i = 0; i < sizeof nf / sizeof nf[0]; i++) {
        CHECK_EQ(match("GET", nf[i], &m), GW_MATCH_NOT_FOUND);
    }
    /* Encoding. */
    CHECK_EQ(match("GET", "/v1/pools/a%zz", &m), GW_MATCH_BAD_ENCODING);
    CHECK_EQ(match("GET", "/v1/pools/a%2", &m), GW_MATCH_BAD_ENCODING);
    CHECK_EQ(match("GET", "/v1/pools/%", &m), GW_MATCH_BAD_ENCODING);
    char longp[400] = "/v1/pools/";
    memset(longp + 10, 'x', 200);
    longp[210] = '\0';
    CHECK_EQ(match("GET", longp, &m), GW_MATCH_PARAM_TOO_LONG);
    /* 128 decoded bytes fit exactly. */
    longp[10 + GW_PARAM_MAX] = '\0';
    CHECK_EQ(match("GET", longp, &m), GW_MATCH_OK);
    CHECK_EQ(m.len[0], GW_PARAM_MAX);
    /* Embedded NUL decodes and is reported by length. */
    CHECK_EQ(match("GET", "/v1/pools/a%00b", &m), GW_MATCH_OK);
    CHECK_EQ(m.len[0], 3);
}

static void test_pct(void)
{
    char out[64], back[64];
    const char *s = "PUMCH/east:1 x%";
    long n = gw_pct_encode(s, strlen(s), out, sizeof out);
    CHECK(n > 0);
    CHECK_STR(out, "PUMCH%2Feast%3A1%20x%25");
    CHECK_EQ(gw_pct_decode(out, (size_t)n, back, sizeof back), (long)strlen(s));
    CHECK_STR(back, s);
    CHECK_EQ(gw_pct_encode("abcdef", 6, out, 4), -1);
    CHECK_EQ(gw_pct_decode("abcdef", 6, out, 4), -2);
    CHECK_EQ(gw_pct_decode("%4", 2, out, sizeof out), -1);
    CHECK_EQ(gw_pct_decode("%4g", 3, out, sizeof out), -1);
    CHECK_EQ(gw_pct_decode("%4a%4A", 6, out, sizeof out), 2);
    CHECK_STR(out, "JJ");
}

/* Path parameters and headers: ids by the gateway's decimal syntax,
 * strings by the protocol's rules (proto/slot_valid.h) with any byte. */
static void test_ids_and_fields(void)
{
    struct gw_args a;
    struct gw_fail f;
    memset(&a, 0, sizeof a);
    CHECK(gw_arg_id(&a, "1", 1, &f) && a.id == 1);
    CHECK(gw_arg_id(&a, "18446744073709551615", 20, &f) && a.id == UINT64_MAX);
    a.id = 7;
    CHECK(!gw_arg_id(&a, "18446744073709551616", 20, &f));
    CHECK_EQ(f.code, SLOT_INVALID_ARGUMENT);
    CHECK_EQ(a.id, 7); /* untouched on failure */
    CHECK(!gw_arg_id(&a, "0", 1, &f));
    CHECK(!gw_arg_id(&a, "01", 2, &f));
    CHECK(!gw_arg_id(&a, "", 0, &f));
    CHECK(!gw_arg_id(&a, "+1", 2, &f));
    CHECK(!gw_arg_id(&a, "1 ", 2, &f));
    CHECK(gw_arg_pool(&a, "a/B_c.d:e-f", 11, &f));
    CHECK_STR(a.pool, "a/B_c.d:e-f");
    CHECK(!gw_arg_pool(&a, "a b", 3, &f));
    CHECK_EQ(f.code, SLOT_INVALID_ARGUMENT);
    CHECK(strstr(f.message, "1..64 bytes") != NULL);
    CHECK(!gw_arg_pool(&a, "", 0, &f));
    CHECK(!gw_arg_pool(&a, "a\0b", 3, &f));
    char big[200];
    memset(big, 'p', sizeof big);
    CHECK(gw_arg_pool(&a, big, SLOT_POOL_ID_MAX, &f));
    CHECK_EQ(strlen(a.pool), SLOT_POOL_ID_MAX);
    CHECK(!gw_arg_pool(&a, big, SLOT_POOL_ID_MAX + 1, &f));
    CHECK_EQ(f.code, SLOT_INVALID_ARGUMENT); /* TOO_LARGE in the protocol */
    CHECK(!gw_arg_pool(&a, big, sizeof big, &f));
    CHECK(gw_arg_patient(&a, "abcdefgh", 8, &f));
    CHECK_STR(a.patient, "abcdefgh");
    CHECK(!gw_arg_patient(&a, "abcdefg", 7, &f));
    CHECK(!gw_arg_patient(&a, "abcd/efgh", 9, &f));
    CHECK(gw_arg_idem(&a, "k-1_2.3:4", 9, &f));
    CHECK_STR(a.idem, "k-1_2.3:4");
    CHECK(!gw_arg_idem(&a, "k/1", 3, &f));
    CHECK(!gw_arg_idem(&a, "", 0, &f));
    CHECK(gw_arg_idem(&a, big, SLOT_IDEM_KEY_MAX, &f));
    CHECK(!gw_arg_idem(&a, big, SLOT_IDEM_KEY_MAX + 1, &f));
}

static void test_writer(void)
{
    char st[8]; /* tiny: forces growth */
    struct gw_buf b;
    gw_buf_init(&b, st, sizeof st);
    struct gw_jw w;
    gw_jw_init(&w, &b);
    gw_jw_obj(&w);
    gw_jw_key(&w, "a");
    gw_jw_str(&w, "q\"\\\n\x01\x7f\xc3");
    gw_jw_key(&w, "n");
    gw_jw_u64(&w, UINT64_MAX);
    gw_jw_key(&w, "o");
    gw_jw_obj(&w);
    gw_jw_end(&w);
    gw_jw_key(&w, "p");
    gw_jw_obj(&w);
    gw_jw_key(&w, "x");
    gw_jw_u64(&w, 0);
    gw_jw_key(&w, "y");
    gw_jw_raw(&w, "true");
    gw_jw_end(&w);
    gw_jw_end(&w);
    CHECK_STR(b.p, "{\"a\":\"q\\\"\\\\\\u000a\\u0001\\u007f\\u00c3\",\"n\":"
                   "18446744073709551615,"
                   "\"o\":{},\"p\":{\"x\":0,\"y\":true}}");
    json_t *j =
        json_loads(b.p, JSON_DECODE_INT_AS_REAL, NULL); /* u64 > int64 */
    CHECK(j != NULL);
    json_decref(j);
    gw_buf_free(&b);
    gw_buf_init(&b, NULL, 0);
    gw_json_error(&b, 24, NULL, "\"hold\":3");
    CHECK_STR(
        b.p,
        "{\"error\":{\"code\":\"SOLD_OUT\",\"message\":\"no free slot in this "
        "channel's share or the shared remainder\",\"hold\":3}}");
    gw_buf_free(&b);
    gw_buf_init(&b, NULL, 0);
    gw_buf_printf(&b, "%s-%d", "x", 5);
    gw_buf_printf(&b, "%0300d", 7);
    CHECK_EQ(b.len, 303);
    gw_buf_free(&b);
}

static void test_bodies(void)
{
    struct gw_fail f;
    struct gw_args a;
    memset(&a, 0, sizeof a);
    const char *ok =
        "{\"pool\":\"P/"
        "1\",\"capacity\":10,\"kind\":\"special\",\"fee_cents\":5,"
        "\"segment\":{\"start_ms\":1,\"end_ms\":2},\"release_at_ms\":3,"
        "\"channels\":{\"114\":3,\"app\":7}}";
    CHECK(gw_parse_pool(ok, strlen(ok), &a, &f));
    CHECK_STR(a.spec.pool, "P/1");
    CHECK(a.spec.pool == a.pool); /* parsed in place */
    CHECK_EQ(a.spec.capacity, 10);
    CHECK_EQ(a.spec.kind, 2);
    CHECK_EQ(a.spec.fee_cents, 5);
    CHECK_EQ(a.spec.seg_end_ms, 2);
    CHECK_EQ(a.spec.release_at_ms, 3);
    CHECK_EQ(a.spec.n_shares, 2);
    CHECK_STR(a.spec.shares[0].channel, "114");
    CHECK(a.spec.shares[0].channel == a.channels[0]);
    CHECK_EQ(a.spec.shares[1].slots, 7);
    /* The response echoes it deterministically. */
    struct gw_buf b;
    gw_buf_init(&b, NULL, 0);
    gw_json_pool_spec(&b, &a.spec);
    CHECK_STR(
        b.p,
        "{\"pool\":\"P/1\",\"capacity\":10,\"channels\":{\"114\":3,\"app\":7},"
        "\"kind\":\"special\",\"fee_cents\":5,\"segment\":{\"start_ms\":1,"
        "\"end_ms\":2},\"release_at_ms\":3}");
    gw_buf_free(&b);
    const char *min = "{\"pool\":\"p\",\"capacity\":1}";
    CHECK(gw_parse_pool(min, strlen(min), &a, &f));
    CHECK_EQ(a.spec.kind, 0);
    CHECK_EQ(a.spec.n_shares, 0);
    const char *nine = "{\"pool\":\"p\",\"capacity\":100,\"channels\":{\"a\":1,"
                       "\"b\":1,\"c\":1,"
                       "\"d\":1,\"e\":1,\"f\":1,\"g\":1,\"h\":1,\"i\":1}}";
    CHECK(!gw_parse_pool(nine, strlen(nine), &a, &f));
    CHECK_EQ(f.code, SLOT_INVALID_ARGUMENT);
    CHECK(strstr(f.message, "\"channels\"") != NULL);
    /* Each refusal names the field the protocol's rule refused, with the
     * protocol's code; a wrong type is MALFORMED. */
    static const struct {
        const char *body;
        int code;
        const char *field;
    } bad[] = {
        {"{\"pool\":\"p\",\"capacity\":100001}", SLOT_INVALID_ARGUMENT,
         "\"capacity\""},
        {"{\"pool\":\"p\",\"capacity\":4294967297}", SLOT_INVALID_ARGUMENT,
         "\"capacity\""},
        {"{\"pool\":\"p\",\"capacity\":-1}", SLOT_INVALID_ARGUMENT,
         "\"capacity\""},
        {"{\"pool\":\"p\",\"capacity\":1,\"fee_cents\":100000001}",
         SLOT_INVALID_ARGUMENT, "\"fee_cents\""},
        {"{\"pool\":\"p\",\"capacity\":1,\"release_at_ms\":9007199254740993}",
         SLOT_INVALID_ARGUMENT, "\"release_at_ms\""},
        {"{\"pool\":\"p\",\"capacity\":1,\"segment\":{\"start_ms\":2,"
         "\"end_ms\":1}}",
         SLOT_INVALID_ARGUMENT, "\"segment\""},
        {"{\"pool\":\"p\",\"capacity\":1,\"segment\":{\"start_ms\":-2,"
         "\"end_ms\":1}}",
         SLOT_INVALID_ARGUMENT, "\"segment\""},
        {"{\"pool\":\"p\",\"capacity\":3,\"channels\":{\"app\":2,\"114\":2}}",
         SLOT_INVALID_ARGUMENT, "\"channels\""},
        {"{\"pool\":\"p\",\"capacity\":3,\"channels\":{"
         "\"abcdefghijklmnopq\":1}}",
         SLOT_INVALID_ARGUMENT, "\"channels\""},
        {"{\"pool\":\"p q\",\"capacity\":3}", SLOT_INVALID_ARGUMENT,
         "\"pool\""},
        {"{\"pool\":\"p\",\"capacity\":3,\"kind\":\"vip\"}",
         SLOT_INVALID_ARGUMENT, "\"kind\""},
        {"{\"pool\":\"p\",\"capacity\":3,\"channels\":{\"app\":true}}",
         SLOT_MALFORMED, "\"channels\""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bool parsed = gw_parse_pool(bad[i].body, strlen(bad[i].body), &a, &f);
        if (parsed || f.code != bad[i].code ||
            strstr(f.message, bad[i].field) == NULL) {
            fprintf(stderr, "%s -> %d %s\n", bad[i].body, f.code, f.message);
        }
        CHECK(!parsed);
        CHECK_EQ(f.code, bad[i].code);
        CHECK(strstr(f.message, bad[i].field) != NULL);
    }

    memset(&a, 0, sizeof a);
    CHECK(gw_parse_hold("{\"patient\":\"abcdefgh\"}", 22, &a, &f));
    CHECK_STR(a.patient, "abcdefgh");
    CHECK_EQ(a.ttl_ms, 0);
    CHECK(gw_parse_hold("{\"ttl_ms\":5,\"patient\":\"abcdefgh\"}", 33, &a, &f));
    CHECK_EQ(a.ttl_ms, 5);
    CHECK(!gw_parse_hold("{\"patient\":\"abcdefgh\"}x", 23, &a, &f));
    CHECK_EQ(f.code, SLOT_MALFORMED);
    CHECK(!gw_parse_hold(NULL, 0, &a, &f));
    CHECK_EQ(f.code, SLOT_MALFORMED);
    CHECK(
        !gw_parse_hold("{\"patient\":\"abcdefgh\",\"ttl_ms\":0}", 33, &a, &f));
    CHECK_EQ(f.code, SLOT_INVALID_ARGUMENT);
    const char *spaced = "{\"patient\":\"abcd efgh\"}";
    CHECK(!gw_parse_hold(spaced, strlen(spaced), &a, &f));
    CHECK_EQ(f.code, SLOT_INVALID_ARGUMENT);
    CHECK(strstr(f.message, "\"patient\" must be 8..64 bytes") != NULL);

    CHECK(gw_parse_confirm("{\"payment_ref\":\"x\"}", 19, &a, &f));
    CHECK_STR(a.payment_ref, "x");
    CHECK(!gw_parse_confirm("{\"payment_ref\":\"x y\"}", 21, &a, &f));
    CHECK_EQ(f.code, SLOT_INVALID_ARGUMENT);
    CHECK(gw_parse_empty(NULL, 0, &f));
    CHECK(gw_parse_empty(" \r\n", 3, &f));
    CHECK(gw_parse_empty("{}", 2, &f));
    CHECK(!gw_parse_empty("{\"a\":1}", 7, &f));
    CHECK(!gw_parse_empty("[]", 2, &f));
    /* A long unknown field name is cut in the message. */
    char big[300];
    snprintf(big, sizeof big, "{\"%0200d\":1}", 0);
    CHECK(!gw_parse_empty(big, strlen(big), &f));
    CHECK(strlen(f.message) < 100);
}

static void test_limiter(void)
{
    struct gw_limiter l;
    CHECK_EQ(gw_limiter_init(&l, 2, 3, 16, 42), 0);
    uint64_t retry = 0;
    CHECK(gw_limiter_take(&l, "patient-a", 9, 1000, &retry));
    CHECK(gw_limiter_take(&l, "patient-a", 9, 1000, &retry));
    CHECK(gw_limiter_take(&l, "patient-a", 9, 1000, &retry));
    CHECK(!gw_limiter_take(&l, "patient-a", 9, 1000, &retry));
    CHECK_EQ(retry, 500);
    CHECK(gw_limiter_take(&l, "patient-b", 9, 1000, &retry));
    CHECK(!gw_limiter_take(&l, "patient-a", 9, 1300, &retry));
    CHECK_EQ(retry, 200);
    CHECK(gw_limiter_take(&l, "patient-a", 9, 1500, &retry));
    /* Refill caps at the burst. */
    CHECK(gw_limiter_take(&l, "patient-a", 9, 100000, &retry));
    CHECK(gw_limiter_take(&l, "patient-a", 9, 100000, &retry));
    CHECK(gw_limiter_take(&l, "patient-a", 9, 100000, &retry));
    CHECK(!gw_limiter_take(&l, "patient-a", 9, 100000, &retry));
    /* Many patients: bounded table, never fails to decide. */
    char k[32];
    for (int i = 0; i < 10000; i++) {
        int n = snprintf(k, sizeof k, "patient-%d", i);
        CHECK(gw_limiter_take(&l, k, (size_t)n, 200000 + (uint64_t)i, &retry));
    }
    gw_limiter_free(&l);
    CHECK_EQ(gw_limiter_init(&l, 0, 1, 16, 1), 0);
    for (int i = 0; i < 100; i++) {
        CHECK(gw_limiter_take(&l, "x", 1, 0, &retry));
    }
    gw_limiter_free(&l);
}

static int parse(const char *text, struct gw_config *c, char *err)
{
    return gw_config_parse(text, strlen(text), c, err, 256);
}

static void test_config(void)
{
    static struct gw_config c;
    char err[256];
    CHECK_EQ(
        parse("{\"listen\":\"127.0.0.1:8080\",\"cluster\":\"127.0.0.1:7101\","
              "\"tokens\":{\"demo-app\":\"app\",\"demo-114\":\"114\","
              "\"demo-app2\":\"app\",\"demo-admin\":\"admin\"}}",
              &c, err),
        0);
    CHECK_EQ(c.n_tokens, 4);
    CHECK_EQ(c.n_channels, 2);
    CHECK_EQ(gw_config_token(&c, "demo-app", 8), GW_CH_FIRST);
    CHECK_EQ(gw_config_token(&c, "demo-app2", 9), GW_CH_FIRST);
    CHECK_EQ(gw_config_token(&c, "demo-114", 8), GW_CH_FIRST + 1);
    CHECK_EQ(gw_config_token(&c, "demo-admin", 10), GW_CH_ADMIN);
    CHECK_EQ(gw_config_token(&c, "demo-ap", 7), -1);
    CHECK_EQ(gw_config_token(&c, "demo-appx", 9), -1);
    CHECK_EQ(gw_config_token(&c, "", 0), -1);
    CHECK_STR(gw_config_channel_name(&c, GW_CH_FIRST + 1), "114");
    CHECK_STR(gw_config_channel_name(&c, GW_CH_ADMIN), "admin");
    CHECK_STR(gw_config_channel_name(&c, GW_CH_NONE), "-");
    CHECK_EQ(c.limits.inflight_max, 4096);
    CHECK_EQ(c.client.queue_max, 2 * 4096 + 64);
    CHECK_STR(c.access_log, "-");
    CHECK_EQ(parse("{\"listen\":\"[::1]:80\",\"cluster\":\"x:1\",\"tokens\":{"
                   "\"abcdefgh\":\"a\"},"
                   "\"access_log\":\"\",\"limits\":{\"inflight_max\":10,"
                   "\"patient_rate_per_s\":0},"
                   "\"client\":{\"sessions\":4,\"queue_max\":99}}",
                   &c, err),
             0);
    CHECK_EQ(c.limits.inflight_max, 10);
    CHECK_EQ(c.client.queue_max, 99);
    CHECK_EQ(c.limits.patient_rate_per_s, 0);
    CHECK(!c.reuse_port);
    CHECK_EQ(parse("{\"listen\":\"127.0.0.1:80\",\"cluster\":\"x:1\","
                   "\"tokens\":{\"abcdefgh\":\"a\"},\"reuse_port\":true}",
                   &c, err),
             0);
    CHECK(c.reuse_port);
    CHECK_EQ(parse("{\"listen\":\"127.0.0.1:80\",\"cluster\":\"x:1\","
                   "\"tokens\":{\"abcdefgh\":\"a\"},\"reuse_port\":1}",
                   &c, err),
             -1);
    static const char *const bad[] = {
        "",
        "[]",
        "{\"cluster\":\"x:1\",\"tokens\":{\"abcdefgh\":\"a\"}}",
        "{\"listen\":\"1.2.3.4\",\"cluster\":\"x:1\",\"tokens\":{\"abcdefgh\":"
        "\"a\"}}",
        "{\"listen\":\"1.2.3.4:0\",\"cluster\":\"x:1\",\"tokens\":{"
        "\"abcdefgh\":\"a\"}}",
        "{\"listen\":\"host:80\",\"cluster\":\"x:1\",\"tokens\":{\"abcdefgh\":"
        "\"a\"}}",
        "{\"listen\":\"1.2.3.4:80\",\"cluster\":\"\",\"tokens\":{\"abcdefgh\":"
        "\"a\"}}",
        "{\"listen\":\"1.2.3.4:80\",\"cluster\":\"x:1\",\"tokens\":{}}",
        "{\"listen\":\"1.2.3.4:80\",\"cluster\":\"x:1\",\"tokens\":{\"short\":"
        "\"a\"}}",
        "{\"listen\":\"1.2.3.4:80\",\"cluster\":\"x:1\",\"tokens\":{\"bad "
        "token\":\"a\"}}",
        "{\"listen\":\"1.2.3.4:80\",\"cluster\":\"x:1\",\"tokens\":{"
        "\"abcdefgh\":\"A\"}}",
        "{\"listen\":\"1.2.3.4:80\",\"cluster\":\"x:1\",\"tokens\":{"
        "\"abcdefgh\":1}}",
        "{\"listen\":\"1.2.3.4:80\",\"cluster\":\"x:1\",\"tokens\":{"
        "\"abcdefgh\":\"a\"},\"x\":1}",
        "{\"listen\":\"1.2.3.4:80\",\"cluster\":\"x:1\",\"tokens\":{"
        "\"abcdefgh\":\"a\"},"
        "\"limits\":{\"inflight_max\":0}}",
        "{\"listen\":\"1.2.3.4:80\",\"cluster\":\"x:1\",\"tokens\":{"
        "\"abcdefgh\":\"a\"},"
        "\"limits\":{\"inflightmax\":5}}",
        "{\"listen\":\"1.2.3.4:80\",\"cluster\":\"x:1\",\"tokens\":{"
        "\"abcdefgh\":\"a\"},"
        "\"limits\":{\"body_max_bytes\":\"5\"}}",
        "{\"listen\":\"1.2.3.4:80\",\"cluster\":\"x:1\",\"tokens\":{"
        "\"abcdefgh\":\"a\"},"
        "\"limits\":[]}",
        "{\"listen\":\"1.2.3.4:80\",\"cluster\":\"x:1\",\"tokens\":{"
        "\"abcdefgh\":\"a\"},"
        "\"client\":{\"sessions\":65}}",
        "{\"listen\":\"1.2.3.4:80\",\"listen\":\"1.2.3.4:81\",\"cluster\":\"x:"
        "1\","
        "\"tokens\":{\"abcdefgh\":\"a\"}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        if (parse(bad[i], &c, err) == 0) {
            fprintf(stderr, "accepted: %s\n", bad[i]);
        }
        CHECK_EQ(parse(bad[i], &c, err), -1);
        CHECK(err[0] != '\0');
    }
    CHECK_EQ(gw_config_load("/nonexistent/x.conf", &c, err, sizeof err), -1);
    /* The demo configuration parses (run from the repository root). */
    if (access("client/gateway/demo.conf", R_OK) == 0) {
        CHECK_EQ(
            gw_config_load("client/gateway/demo.conf", &c, err, sizeof err), 0);
        CHECK_EQ(gw_config_token(&c, "demo-114", 8), GW_CH_FIRST + 1);
    }
}

/* The status of every code, ledger and gateway alike: the table in
 * client/gateway/README.md. A code added to slot_err.h or gw_err.h without
 * a line here fails (so without a documented status). */
static const struct {
    const char *name;
    int status;
} wantStatus[] = {
    {"OK", 200},
    {"MALFORMED", 400},
    {"TOO_LARGE", 413},
    {"BAD_VERSION", 400},
    {"INVALID_ARGUMENT", 400},
    {"UNKNOWN_OP", 400},
    {"CORRUPT", 500},
    {"UNKNOWN_POOL", 404},
    {"POOL_EXISTS", 409},
    {"POOL_CLOSED", 409},
    {"NOT_RELEASED", 409},
    {"SOLD_OUT", 409},
    {"PATIENT_HAS_CLAIM", 409},
    {"TTL_OUT_OF_RANGE", 400},
    {"CAPACITY_CONFLICT", 409},
    {"UNKNOWN_HOLD", 404},
    {"HOLD_EXPIRED", 410},
    {"ALREADY_CONFIRMED", 409},
    {"ALREADY_RELEASED", 409},
    {"UNKNOWN_BOOKING", 404},
    {"ALREADY_CANCELLED", 409},
    {"OUTSIDE_HORIZON", 409},
    {"BOOKING_CLOSED", 409},
    {"CHANNEL_NOT_ALLOWED", 403},
    {"PAYMENT_REQUIRED", 402},
    {"SCHEDULE_CONFLICT", 409},
    {"UNKNOWN_HOSPITAL", 404},
    {"SESSION_UNKNOWN", 500},
    {"REQUEST_TOO_OLD", 500},
    {"REQUEST_MISMATCH", 422},
    {"LIMIT_REACHED", 503},
    {"NOT_LEADER", 503},
    {"NO_LEADER", 503},
    {"BUSY", 503},
    {"IO", 503},
    {"SHUTDOWN", 503},
    {"TIMEOUT", 503},
    {"OUTCOME_UNKNOWN", 504},
    {"UNAVAILABLE", 503},
    {"UNAUTHORIZED", 401},
    {"FORBIDDEN", 403},
    {"NOT_FOUND", 404},
    {"METHOD_NOT_ALLOWED", 405},
    {"RATE_LIMITED", 429},
    {"OVERLOADED", 503},
    {"HEADERS_TOO_LARGE", 431},
    {"INTERNAL", 500},
};

static int wantedStatus(const char *name)
{
    for (size_t i = 0; i < sizeof wantStatus / sizeof wantStatus[0]; i++) {
        if (strcmp(wantStatus[i].name, name) == 0) {
            return wantStatus[i].status;
        }
    }
    fprintf(stderr, "%s has no status in the test's table\n", name);
    return -1;
}

static void test_err_status(void)
{
    /* Every code of both enums, by its number. */
    static const int codes[] = {
#define CODE_(name, num, ...) num,
        SLOT_ERR_MAP(CODE_) GW_ERR_MAP(CODE_)
#undef CODE_
    };
    size_t n = sizeof codes / sizeof codes[0];
    CHECK_EQ(n, sizeof wantStatus / sizeof wantStatus[0]);
    for (size_t i = 0; i < n; i++) {
        const char *name = gw_err_name(codes[i]);
        int want = wantedStatus(name);
        if (gw_err_status(codes[i]) != want) {
            fprintf(stderr, "%s -> %d, want %d\n", name,
                    gw_err_status(codes[i]), want);
        }
        CHECK_EQ(gw_err_status(codes[i]), want);
        CHECK_EQ(gw_err_retryable(codes[i]), want == 503 || want == 429);
    }
    CHECK_STR(gw_err_name(9999), "INTERNAL");
}

static void test_openapi_doc(void)
{
    size_t len = 0;
    char *doc = gw_openapi_build(&len);
    CHECK(doc != NULL);
    CHECK_EQ(len, strlen(doc));
    json_t *j = json_loads(doc, 0, NULL);
    CHECK(j != NULL);
    json_t *paths = json_object_get(j, "paths");
    for (int r = 1; r < GW_R_COUNT; r++) {
        char m[16];
        size_t i = 0;
        for (; gw_routes[r].method[i] != '\0'; i++) {
            m[i] = (char)(gw_routes[r].method[i] - 'A' + 'a');
        }
        m[i] = '\0';
        json_t *op =
            json_object_get(json_object_get(paths, gw_routes[r].path), m);
        CHECK(op != NULL);
        CHECK_STR(json_string_value(json_object_get(op, "operationId")),
                  gw_routes[r].name);
    }
    /* Every $ref resolves. */
    json_t *schemas =
        json_object_get(json_object_get(j, "components"), "schemas");
    const char *p = doc;
    int refs = 0;
    while ((p = strstr(p, "\"$ref\":\"#/components/schemas/")) != NULL) {
        p += strlen("\"$ref\":\"#/components/schemas/");
        const char *e = strchr(p, '"');
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(e - p), p);
        CHECK(json_object_get(schemas, name) != NULL);
        refs++;
    }
    CHECK(refs > 20);
    json_decref(j);
    free(doc);
}

static void test_metrics_render(void)
{
    static struct gw_metrics m;
    gw_metrics_request(&m, GW_R_HOLD_CREATE, 201, GW_CH_FIRST, 700);
    gw_metrics_request(&m, GW_R_HOLD_CREATE, 201, GW_CH_FIRST, 3000000);
    gw_metrics_request(&m, GW_R_NONE, 404, GW_CH_NONE, 10);
    gw_metrics_request(&m, 999, 999, 999,
                       10); /* clamped, never out of bounds */
    gw_metrics_cluster(&m, 5, 24, 400);
    const char *names[1] = {"app"};
    struct gw_buf b;
    gw_buf_init(&b, NULL, 0);
    gw_metrics_render(&m, names, 1, 3, 10, &b);
    CHECK(
        strstr(
            b.p,
            "slot_gateway_requests_total{route=\"create_hold\",status=\"201\","
            "channel=\"app\"} 2\n") != NULL);
    CHECK(
        strstr(
            b.p,
            "slot_gateway_requests_total{route=\"unmatched\",status=\"other\","
            "channel=\"-\"} 1\n") != NULL);
    CHECK(strstr(b.p, "slot_gateway_request_duration_seconds_bucket{route="
                      "\"create_hold\","
                      "le=\"0.001\"} 1\n") != NULL);
    CHECK(strstr(b.p, "slot_gateway_request_duration_seconds_bucket{route="
                      "\"create_hold\","
                      "le=\"+Inf\"} 2\n") != NULL);
    CHECK(strstr(b.p, "slot_gateway_inflight 3\n") != NULL);
    CHECK(strstr(b.p, "slot_gateway_cluster_requests_total{op=\"hold\",code="
                      "\"SOLD_OUT\"} 1\n") != NULL);
    gw_buf_free(&b);
}

static const struct check_case cases[] = {
    {"routes", test_routes},
    {"pct", test_pct},
    {"ids_and_fields", test_ids_and_fields},
    {"writer", test_writer},
    {"bodies", test_bodies},
    {"limiter", test_limiter},
    {"config", test_config},
    {"err_status", test_err_status},
    {"openapi_doc", test_openapi_doc},
    {"metrics_render", test_metrics_render},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return check_main(cases, argc, argv);
}
