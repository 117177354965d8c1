/* test_gw_unit: the gateway's pure modules (routes, JSON, limits, config,
 * metrics, the OpenAPI document, error statuses), without sockets. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "gw_config.h"
#include "gw_console.h"
#include "gw_err.h"
#include "gw_events.h"
#include "gw_httpInt.h"
#include "gw_ident.h"
#include "gw_json.h"
#include "gw_limit.h"
#include "gw_metrics.h"
#include "gw_pcache.h"
#include "gw_openapi.h"
#include "gw_route.h"
#include "gw_sched.h"
#include "gw_stats.h"
#include "slotctl_sched.h"
#include "libslotInt.h"
#include "slot_err.h"
#include "slot_proto.h"
#include "slot_valid.h"

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
    /* The event feed. */
    CHECK_EQ(match("GET", "/v1/events?after=3&wait_ms=100", &m), GW_MATCH_OK);
    CHECK_EQ(m.route, GW_R_EVENTS);
    CHECK_EQ(match("GET", "/v1/events/stream", &m), GW_MATCH_OK);
    CHECK_EQ(m.route, GW_R_EVENTS_STREAM);
    CHECK_EQ(match("POST", "/v1/events", &m), GW_MATCH_BAD_METHOD);
    CHECK_EQ(match("GET", "/v1/events/x", &m), GW_MATCH_NOT_FOUND);
    /* The visit day. */
    CHECK_EQ(match("POST", "/v1/pools/P%2F1/stop", &m), GW_MATCH_OK);
    CHECK_EQ(m.route, GW_R_POOL_STOP);
    CHECK_STR(m.params[0], "P/1");
    CHECK_EQ(match("GET", "/v1/pools/P/claims?after=3&limit=2", &m),
             GW_MATCH_OK);
    CHECK_EQ(m.route, GW_R_POOL_CLAIMS);
    CHECK_EQ(match("POST", "/v1/bookings/17/move", &m), GW_MATCH_OK);
    CHECK_EQ(m.route, GW_R_BOOKING_MOVE);
    CHECK_STR(m.params[0], "17");
    CHECK_EQ(match("POST", "/v1/bookings/17/checkin", &m), GW_MATCH_OK);
    CHECK_EQ(m.route, GW_R_BOOKING_CHECKIN);
    CHECK_EQ(match("GET", "/v1/pools/P/stop", &m), GW_MATCH_BAD_METHOD);
    CHECK_STR(m.allow, "POST");
    CHECK_EQ(match("POST", "/v1/pools/P/claims", &m), GW_MATCH_BAD_METHOD);
    CHECK_EQ(match("GET", "/v1/bookings/17/checkin", &m), GW_MATCH_BAD_METHOD);
    CHECK_EQ(match("GET", "/healthz", &m), GW_MATCH_OK);
    CHECK_EQ(match("GET", "/metrics", &m), GW_MATCH_OK);
    CHECK_EQ(match("GET", "/openapi.json", &m), GW_MATCH_OK);
    /* Methods. */
    CHECK_EQ(match("PUT", "/v1/holds/17", &m), GW_MATCH_BAD_METHOD);
    CHECK_STR(m.allow, "GET, DELETE");
    CHECK_EQ(match("get", "/v1/holds/17", &m), GW_MATCH_BAD_METHOD);
    CHECK_EQ(match("DELETE", "/v1/pools", &m), GW_MATCH_BAD_METHOD);
    CHECK_STR(m.allow, "POST, GET");
    /* The schedule routes; their query strings are the handlers'. */
    CHECK_EQ(match("GET", "/v1/pools?hospital=H&kind=expert", &m), GW_MATCH_OK);
    CHECK_EQ(m.route, GW_R_POOL_QUERY);
    CHECK_EQ(match("POST", "/v1/schedules?dry_run=1", &m), GW_MATCH_OK);
    CHECK_EQ(m.route, GW_R_SCHEDULE_IMPORT);
    CHECK_EQ(match("GET", "/v1/hospitals/PUMCH/rules", &m), GW_MATCH_OK);
    CHECK_EQ(m.route, GW_R_RULES_GET);
    CHECK_STR(m.params[0], "PUMCH");
    CHECK_EQ(match("PUT", "/v1/hospitals/PUMCH/rules", &m), GW_MATCH_OK);
    CHECK_EQ(m.route, GW_R_RULES_SET);
    CHECK_EQ(match("GET", "/v1/hospitals/P%2DX/rules/log?after=3", &m),
             GW_MATCH_OK);
    CHECK_EQ(m.route, GW_R_RULES_LOG);
    CHECK_STR(m.params[0], "P-X");
    CHECK_EQ(match("POST", "/v1/hospitals/PUMCH/rules", &m),
             GW_MATCH_BAD_METHOD);
    CHECK_STR(m.allow, "GET, PUT");
    CHECK_EQ(match("GET", "/v1/schedules", &m), GW_MATCH_BAD_METHOD);
    CHECK_EQ(match("GET", "/v1/hospitals/PUMCH", &m), GW_MATCH_NOT_FOUND);
    /* The lookup by identity: a literal beside the patient parameter (no
     * patient key is 6 bytes long, so "lookup" is never one). */
    CHECK_EQ(match("POST", "/v1/pools/P%2F1/patients/lookup", &m), GW_MATCH_OK);
    CHECK_EQ(m.route, GW_R_PATIENT_LOOKUP);
    CHECK_EQ(m.n_params, 1);
    CHECK_STR(m.params[0], "P/1");
    CHECK_EQ(match("GET", "/v1/pools/P/patients/lookup", &m), GW_MATCH_OK);
    CHECK_EQ(m.route, GW_R_PATIENT_GET);
    CHECK_EQ(match("POST", "/v1/pools/P/patients/abcdefgh", &m),
             GW_MATCH_BAD_METHOD);
    CHECK_STR(m.allow, "GET");
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
    /* An empty source into no room at all: the NUL does not fit either
     * (fuzz_gw_edge: encode wrote it one byte past a 0-byte buffer). */
    char *none = malloc(1);
    none[0] = 'x';
    CHECK_EQ(gw_pct_encode("", 0, none, 0), -1);
    CHECK_EQ(gw_pct_decode("", 0, none, 0), -2);
    CHECK_EQ(none[0], 'x');
    CHECK_EQ(gw_pct_encode("", 0, out, 1), 0);
    CHECK_EQ(gw_pct_decode("", 0, back, 1), 0);
    free(none);
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
    /* Arrays, booleans, null; UTF-8 text kept, invalid bytes escaped. */
    gw_buf_init(&b, NULL, 0);
    gw_jw_init(&w, &b);
    gw_jw_obj(&w);
    gw_jw_key(&w, "a");
    gw_jw_arr(&w);
    gw_jw_arr_end(&w);
    gw_jw_key(&w, "b");
    gw_jw_arr(&w);
    gw_jw_bool(&w, true);
    gw_jw_null(&w);
    gw_jw_arr(&w);
    gw_jw_u64(&w, 1);
    gw_jw_str(&w, "x");
    gw_jw_arr_end(&w);
    gw_jw_obj(&w);
    gw_jw_end(&w);
    gw_jw_arr_end(&w);
    gw_jw_key(&w, "t");
    gw_jw_text(&w, "\xe6\x8e\x92\xe7\x8f\xad \"q\"\n");
    gw_jw_key(&w, "u");
    gw_jw_text(&w, "\xe6\x8e bad"); /* truncated sequence */
    gw_jw_key(&w, "v");
    gw_jw_text(&w, "\xed\xa0\x80"); /* a surrogate */
    gw_jw_key(&w, "f");
    gw_jw_bool(&w, false);
    gw_jw_end(&w);
    CHECK_STR(b.p,
              "{\"a\":[],\"b\":[true,null,[1,\"x\"],{}],"
              "\"t\":\"\xe6\x8e\x92\xe7\x8f\xad \\\"q\\\"\\u000a\","
              "\"u\":\"\\u00e6\\u008e bad\",\"v\":\"\\u00ed\\u00a0\\u0080\","
              "\"f\":false}");
    j = json_loads(b.p, 0, NULL);
    CHECK(j != NULL);
    CHECK_STR(json_string_value(json_object_get(j, "t")),
              "\xe6\x8e\x92\xe7\x8f\xad \"q\"\n");
    json_decref(j);
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
        "\"end_ms\":2},\"release_at_ms\":3,\"schedule\":null}");
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
    /* A gateway without an identity secret: opaque keys from everyone. */
    const struct gw_patient_rules opaque = {NULL, true};
    CHECK(gw_parse_hold("{\"patient\":\"abcdefgh\"}", 22, &opaque, &a, &f));
    CHECK_STR(a.patient, "abcdefgh");
    CHECK_EQ(a.ttl_ms, 0);
    CHECK(gw_parse_hold("{\"ttl_ms\":5,\"patient\":\"abcdefgh\"}", 33, &opaque,
                        &a, &f));
    CHECK_EQ(a.ttl_ms, 5);
    CHECK(!gw_parse_hold("{\"patient\":\"abcdefgh\"}x", 23, &opaque, &a, &f));
    CHECK_EQ(f.code, SLOT_MALFORMED);
    CHECK(!gw_parse_hold(NULL, 0, &opaque, &a, &f));
    CHECK_EQ(f.code, SLOT_MALFORMED);
    CHECK(!gw_parse_hold("{\"patient\":\"abcdefgh\",\"ttl_ms\":0}", 33, &opaque,
                         &a, &f));
    CHECK_EQ(f.code, SLOT_INVALID_ARGUMENT);
    const char *spaced = "{\"patient\":\"abcd efgh\"}";
    CHECK(!gw_parse_hold(spaced, strlen(spaced), &opaque, &a, &f));
    CHECK_EQ(f.code, SLOT_INVALID_ARGUMENT);
    CHECK(strstr(f.message, "\"patient\" must be 8..64 bytes") != NULL);

    CHECK(gw_parse_confirm("{\"payment_ref\":\"x\"}", 19, &a, &f));
    CHECK_STR(a.payment_ref, "x");
    CHECK(!gw_parse_confirm("{\"payment_ref\":\"x y\"}", 21, &a, &f));
    CHECK_EQ(f.code, SLOT_INVALID_ARGUMENT);
    /* No reference (a pay-at-visit pool): no body, {} or blank. */
    CHECK(gw_parse_confirm("{}", 2, &a, &f));
    CHECK_STR(a.payment_ref, "");
    snprintf(a.payment_ref, sizeof a.payment_ref, "old");
    CHECK(gw_parse_confirm(NULL, 0, &a, &f));
    CHECK_STR(a.payment_ref, "");
    CHECK(gw_parse_confirm(" \n", 2, &a, &f));
    CHECK(!gw_parse_confirm("{\"payment_ref\":\"\"}", 18, &a, &f));
    CHECK_EQ(f.code, SLOT_INVALID_ARGUMENT);
    CHECK(!gw_parse_confirm("{\"payment_ref\":null}", 20, &a, &f));
    CHECK_EQ(f.code, SLOT_MALFORMED);
    CHECK(!gw_parse_confirm("{\"ref\":\"x\"}", 11, &a, &f));
    CHECK_EQ(f.code, SLOT_MALFORMED);
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

static void test_pcache(void)
{
    struct gw_pcache c;
    CHECK_EQ(gw_pcache_init(&c, 16, 7), 0);
    CHECK_EQ(gw_pcache_get(&c, "p/1", 3, 1000), -1);
    gw_pcache_put(&c, "p/1", 3, true, 1000);
    gw_pcache_put(&c, "p/2", 3, false, 1000);
    CHECK_EQ(gw_pcache_get(&c, "p/1", 3, 1000), 1);
    CHECK_EQ(gw_pcache_get(&c, "p/2", 3, 1000), 0);
    CHECK_EQ(gw_pcache_get(&c, "p/3", 3, 1000), -1);
    /* "Free-standing" is believed for a while (a place may be added);
     * "scheduled" for good, a lagging read saying otherwise included. */
    CHECK_EQ(gw_pcache_get(&c, "p/2", 3, 1000 + GW_PCACHE_FREE_MS - 1), 0);
    CHECK_EQ(gw_pcache_get(&c, "p/2", 3, 1000 + GW_PCACHE_FREE_MS), -1);
    CHECK_EQ(gw_pcache_get(&c, "p/1", 3, 1000000000), 1);
    gw_pcache_put(&c, "p/1", 3, false, 1000000001);
    CHECK_EQ(gw_pcache_get(&c, "p/1", 3, 1000000002), 1);
    gw_pcache_put(&c, "p/2", 3, true, 2000);
    CHECK_EQ(gw_pcache_get(&c, "p/2", 3, 1000000000), 1);
    /* Bounded: many pools, the table never grows; a forgotten pool is
     * unknown (read again), never wrong. */
    char id[32];
    for (int i = 0; i < 10000; i++) {
        int n = snprintf(id, sizeof id, "pool-%d", i);
        gw_pcache_put(&c, id, (size_t)n, i % 2 == 0, 5000 + (uint64_t)i);
    }
    int known = 0;
    for (int i = 0; i < 10000; i++) {
        int n = snprintf(id, sizeof id, "pool-%d", i);
        int k = gw_pcache_get(&c, id, (size_t)n, 20000);
        CHECK(k == -1 || k == (i % 2 == 0));
        known += k >= 0;
    }
    CHECK(known > 0 && known <= 16);
    gw_pcache_free(&c);
}

static int parse(const char *text, struct gw_config *c, char *err)
{
    return gw_config_parse(text, strlen(text), c, err, 256);
}

/* A configuration of channels app, 114 and window with this "identity"
 * member ("" none). */
static int parseIdent(const char *identity, struct gw_config *c, char *err)
{
    char text[1024];
    snprintf(text, sizeof text,
             "{\"listen\":\"127.0.0.1:80\",\"cluster\":\"x:1\","
             "\"tokens\":{\"tok-app-1\":\"app\",\"tok-114-1\":\"114\","
             "\"tok-win-1\":\"window\",\"tok-adm-1\":\"admin\"}%s%s}",
             identity[0] ? ",\"identity\":" : "", identity);
    err[0] = '\0';
    return gw_config_parse(text, strlen(text), c, err, 256);
}

static void test_config_identity(void)
{
    static struct gw_config c;
    char err[256];
    const int app = GW_CH_FIRST, c114 = GW_CH_FIRST + 1, win = GW_CH_FIRST + 2;
    /* None: identities refused (no secret), opaque keys from everyone. */
    CHECK_EQ(parseIdent("", &c, err), 0);
    CHECK(!c.has_identity);
    CHECK(gw_config_ident(&c) == NULL);
    CHECK(gw_config_opaque_ok(&c, app));
    CHECK(gw_config_opaque_ok(&c, win));
    /* A secret; opaque keys only from the channels listed (and the admin
     * token, which never holds). */
    CHECK_EQ(parseIdent("{\"secret_hex\":\"000102030405060708090a0b0c0d0e0f"
                        "101112131415161718191a1b1c1d1e1f\","
                        "\"opaque_key_channels\":[\"window\",\"114\"]}",
                        &c, err),
             0);
    CHECK(c.has_identity);
    CHECK(gw_config_ident(&c) == &c.ident);
    CHECK_EQ(c.ident.secret_len, 32);
    CHECK_EQ(c.ident.secret[31], 0x1f);
    CHECK(!gw_config_opaque_ok(&c, app));
    CHECK(gw_config_opaque_ok(&c, c114));
    CHECK(gw_config_opaque_ok(&c, win));
    CHECK(gw_config_opaque_ok(&c, GW_CH_ADMIN));
    CHECK(!gw_config_opaque_ok(&c, GW_CH_NONE));
    CHECK_EQ(parseIdent("{\"secret_hex\":\"000102030405060708090a0b0c0d0e0f"
                        "101112131415161718191a1b1c1d1e1f\"}",
                        &c, err),
             0);
    CHECK(!gw_config_opaque_ok(&c, c114));
    /* From a file (as `openssl rand -hex 32 > FILE` writes it). */
    char path[] = "/tmp/gw-unit-secret-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "%s\n",
            "ffeeddccbbaa99887766554433221100"
            "ffeeddccbbaa99887766554433221100");
    fclose(f);
    char conf[400];
    snprintf(conf, sizeof conf, "{\"secret_file\":\"%s\"}", path);
    CHECK_EQ(parseIdent(conf, &c, err), 0);
    CHECK_EQ(c.ident.secret_len, 32);
    CHECK_EQ(c.ident.secret[0], 0xff);
    /* A short secret in the file. */
    f = fopen(path, "w");
    fprintf(f, "ffeeddccbbaa99887766554433221100\n");
    fclose(f);
    CHECK_EQ(parseIdent(conf, &c, err), -1);
    CHECK(strstr(err, "secret_file") != NULL);
    CHECK(strstr(err, "32..64 bytes") != NULL);
    unlink(path);
    CHECK_EQ(parseIdent(conf, &c, err), -1);
    CHECK(strstr(err, "No such file") != NULL);
    /* Each refusal, with what its message must say. */
    static const struct {
        const char *identity, *msg;
    } bad[] = {
        /* 31 bytes */
        {"{\"secret_hex\":\"000102030405060708090a0b0c0d0e0f"
         "101112131415161718191a1b1c1d1e\"}",
         "identity.secret_hex must be 64..128 hex digits (a secret of 32..64 "
         "bytes"},
        {"{\"secret_hex\":\"secret\"}", "identity.secret_hex must be"},
        {"{\"secret_hex\":\"zz0102030405060708090a0b0c0d0e0f"
         "101112131415161718191a1b1c1d1e1f\"}",
         "hex digits"},
        {"{\"secret_hex\":32}", "must be a string"},
        {"{}", "exactly one of"},
        {"{\"opaque_key_channels\":[\"window\"]}", "exactly one of"},
        {"{\"secret_hex\":\"000102030405060708090a0b0c0d0e0f"
         "101112131415161718191a1b1c1d1e1f\",\"secret_file\":\"/x\"}",
         "exactly one of"},
        {"{\"secret_file\":\"\"}", "a file's path"},
        {"{\"secret_hex\":\"000102030405060708090a0b0c0d0e0f"
         "101112131415161718191a1b1c1d1e1f\",\"opaque_key_channels\":"
         "[\"wechat\"]}",
         "opaque_key_channels[0] must be the channel of a token"},
        {"{\"secret_hex\":\"000102030405060708090a0b0c0d0e0f"
         "101112131415161718191a1b1c1d1e1f\",\"opaque_key_channels\":"
         "[\"app\",\"admin\"]}",
         "opaque_key_channels[1]"},
        {"{\"secret_hex\":\"000102030405060708090a0b0c0d0e0f"
         "101112131415161718191a1b1c1d1e1f\",\"opaque_key_channels\":"
         "\"app\"}",
         "must be an array"},
        {"{\"secrethex\":\"00\"}", "unknown key \"secrethex\" in identity"},
        {"[]", "\"identity\" must be an object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_EQ(parseIdent(bad[i].identity, &c, err), -1);
        if (strstr(err, bad[i].msg) == NULL) {
            fprintf(stderr, "%s -> %s\n", bad[i].identity, err);
        }
        CHECK(strstr(err, bad[i].msg) != NULL);
    }
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
    CHECK_EQ(c.limits.inflight_min, 64);
    CHECK_EQ(c.limits.queue_target_ms, 20);
    CHECK_EQ(c.limits.queue_interval_ms, 100);
    CHECK_EQ(c.limits.schedule_body_max_bytes, 65536);
    CHECK_EQ(c.limits.pool_cache_size, 16384);
    CHECK_EQ(c.limits.events_max, 64);
    CHECK_EQ(c.limits.events_poll_ms, 250);
    CHECK_EQ(c.limits.events_heartbeat_ms, 15000);
    CHECK_EQ(c.limits.events_buffer_bytes, 262144);
    CHECK_EQ(c.limits.events_stall_ms, 30000);
    CHECK_EQ(c.client.queue_max, 2 * 4096 + 64);
    CHECK_STR(c.access_log, "-");
    CHECK_EQ(parse("{\"listen\":\"[::1]:80\",\"cluster\":\"x:1\",\"tokens\":{"
                   "\"abcdefgh\":\"a\"},"
                   "\"access_log\":\"\",\"limits\":{\"inflight_max\":10,"
                   "\"patient_rate_per_s\":0,\"events_max\":1,"
                   "\"events_poll_ms\":10,\"events_heartbeat_ms\":100,"
                   "\"events_buffer_bytes\":4096},"
                   "\"client\":{\"sessions\":4,\"queue_max\":99}}",
                   &c, err),
             0);
    CHECK_EQ(c.limits.inflight_max, 10);
    CHECK_EQ(c.limits.inflight_min, 10); /* the default floor follows */
    CHECK_EQ(c.client.queue_max, 99);
    CHECK_EQ(c.limits.patient_rate_per_s, 0);
    CHECK_EQ(c.limits.events_max, 1);
    CHECK_EQ(c.limits.events_poll_ms, 10);
    CHECK_EQ(c.limits.events_heartbeat_ms, 100);
    CHECK_EQ(c.limits.events_buffer_bytes, 4096);
    CHECK(!c.reuse_port);
    CHECK_EQ(parse("{\"listen\":\"127.0.0.1:80\",\"cluster\":\"x:1\","
                   "\"tokens\":{\"abcdefgh\":\"a\"},\"reuse_port\":true}",
                   &c, err),
             0);
    CHECK(c.reuse_port);
    CHECK_EQ(parse("{\"listen\":\"127.0.0.1:80\",\"cluster\":\"x:1\","
                   "\"tokens\":{\"abcdefgh\":\"a\"},\"limits\":{"
                   "\"inflight_min\":5,\"queue_target_ms\":0,"
                   "\"queue_interval_ms\":10}}",
                   &c, err),
             0);
    CHECK_EQ(c.limits.inflight_min, 5);
    CHECK_EQ(c.limits.queue_target_ms, 0);
    CHECK_EQ(c.limits.queue_interval_ms, 10);
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
        "{\"listen\":\"host_1:80\",\"cluster\":\"x:1\",\"tokens\":{"
        "\"abcdefgh\":"
        "\"a\"}}",
        "{\"listen\":\"host:80\",\"cluster\":\"x:1,-y:2\",\"tokens\":{"
        "\"abcdefgh\":\"a\"}}",
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
        "\"limits\":{\"inflight_max\":10,\"inflight_min\":11}}",
        "{\"listen\":\"1.2.3.4:80\",\"cluster\":\"x:1\",\"tokens\":{"
        "\"abcdefgh\":\"a\"},"
        "\"limits\":{\"inflight_min\":0}}",
        "{\"listen\":\"1.2.3.4:80\",\"cluster\":\"x:1\",\"tokens\":{"
        "\"abcdefgh\":\"a\"},"
        "\"limits\":{\"queue_target_ms\":10001}}",
        "{\"listen\":\"1.2.3.4:80\",\"cluster\":\"x:1\",\"tokens\":{"
        "\"abcdefgh\":\"a\"},"
        "\"limits\":{\"queue_interval_ms\":9}}",
        "{\"listen\":\"1.2.3.4:80\",\"cluster\":\"x:1\",\"tokens\":{"
        "\"abcdefgh\":\"a\"},"
        "\"limits\":{\"body_max_bytes\":\"5\"}}",
        "{\"listen\":\"1.2.3.4:80\",\"cluster\":\"x:1\",\"tokens\":{"
        "\"abcdefgh\":\"a\"},"
        "\"limits\":[]}",
        "{\"listen\":\"1.2.3.4:80\",\"cluster\":\"x:1\",\"tokens\":{"
        "\"abcdefgh\":\"a\"},"
        "\"client\":{\"sessions\":65}}",
        "{\"listen\":\"1.2.3.4:80\",\"cluster\":\"x:1\",\"tokens\":{"
        "\"abcdefgh\":\"a\"},"
        "\"limits\":{\"schedule_body_max_bytes\":1023}}",
        "{\"listen\":\"1.2.3.4:80\",\"cluster\":\"x:1\",\"tokens\":{"
        "\"abcdefgh\":\"a\"},"
        "\"limits\":{\"pool_cache_size\":15}}",
        "{\"listen\":\"1.2.3.4:80\",\"cluster\":\"x:1\",\"tokens\":{"
        "\"abcdefgh\":\"a\"},\"limits\":{\"events_max\":0}}",
        "{\"listen\":\"1.2.3.4:80\",\"cluster\":\"x:1\",\"tokens\":{"
        "\"abcdefgh\":\"a\"},\"limits\":{\"events_poll_ms\":9}}",
        "{\"listen\":\"1.2.3.4:80\",\"cluster\":\"x:1\",\"tokens\":{"
        "\"abcdefgh\":\"a\"},\"limits\":{\"events_heartbeat_ms\":99}}",
        "{\"listen\":\"1.2.3.4:80\",\"cluster\":\"x:1\",\"tokens\":{"
        "\"abcdefgh\":\"a\"},\"limits\":{\"events_buffer_bytes\":4095}}",
        "{\"listen\":\"1.2.3.4:80\",\"cluster\":\"x:1\",\"tokens\":{"
        "\"abcdefgh\":\"a\"},\"limits\":{\"events_stall_ms\":99}}",
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
    /* Host names: parsed here, resolved by gw_config_resolve; a bad one
     * is refused with the key named. */
    CHECK_EQ(parse("{\"listen\":\"localhost:80\",\"cluster\":\"slot-a."
                   "campus.example:7101,[::1]:7102\",\"tokens\":{"
                   "\"abcdefgh\":\"a\"}}",
                   &c, err),
             0);
    CHECK_EQ(c.listen_hp.kind, SLOT_HOST_NAME);
    CHECK_EQ(parse("{\"listen\":\"localhost:80\",\"cluster\":\"a:1,b..c:2\","
                   "\"tokens\":{\"abcdefgh\":\"a\"}}",
                   &c, err),
             -1);
    CHECK(strncmp(err, "\"cluster\" 'b..c:2': empty label", 31) == 0);
    CHECK_EQ(parse("{\"listen\":\"gw.example:0\",\"cluster\":\"a:1\","
                   "\"tokens\":{\"abcdefgh\":\"a\"}}",
                   &c, err),
             -1);
    CHECK(strncmp(err, "\"listen\" 'gw.example:0': port", 29) == 0);
    test_config_identity();
    /* The demo configuration parses (run from the repository root). */
    if (access("client/gateway/demo.conf", R_OK) == 0) {
        CHECK_EQ(
            gw_config_load("client/gateway/demo.conf", &c, err, sizeof err), 0);
        CHECK_EQ(gw_config_token(&c, "demo-114", 8), GW_CH_FIRST + 1);
    }
}

/* ---- real-name patient keys (gw_ident) ---------------------------------- */

/* 32 bytes 00 01 .. 1f. */
static const char secretHex[] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

static void setSecret(struct gw_ident *id)
{
    memset(id, 0, sizeof *id);
    CHECK_EQ(gw_ident_set_secret_hex(id, secretHex, strlen(secretHex)), 0);
}

static int norm(int type, const char *in, char out[GW_ID_NUMBER_MAX + 1])
{
    size_t n = 99;
    int rc = gw_ident_normalize(type, in, strlen(in), out, &n);
    CHECK_EQ(n, rc == GW_IDENT_OK ? strlen(in) : 0);
    if (rc != GW_IDENT_OK) {
        CHECK_STR(out, ""); /* nothing of the input left behind */
    }
    return rc;
}

static void test_ident_rules(void)
{
    for (int t = 0; t < GW_ID_TYPES; t++) {
        const char *name = gw_ident_type_name(t);
        CHECK(name != NULL);
        CHECK_EQ(gw_ident_type(name, strlen(name)), t);
        CHECK(strstr(gw_ident_type_list(), name) != NULL);
        CHECK(gw_ident_rule(t)[0] != '\0');
    }
    CHECK_EQ(gw_ident_type("ID_CARD", 7), -1);
    CHECK_EQ(gw_ident_type("id_car", 6), -1);
    CHECK_EQ(gw_ident_type("id_card\0", 8), -1);
    CHECK(gw_ident_type_name(GW_ID_TYPES) == NULL);
    CHECK(gw_ident_type_name(-1) == NULL);
    /* ISO 7064 MOD 11-2 (GB 11643-1999), against numbers worked by hand
     * and published examples: 11010519491231002X is the standard's. */
    CHECK_EQ(gw_ident_check_char("11010519491231002"), 'X');
    CHECK_EQ(gw_ident_check_char("44052418800101001"), '4');
    CHECK_EQ(gw_ident_check_char("11010119900307887"), '3');
    CHECK_EQ(gw_ident_check_char("00000000000000000"), '1');
    CHECK_EQ(gw_ident_check_char("91234567890123456"), '3');
    char out[GW_ID_NUMBER_MAX + 1];
    static const struct {
        int type;
        const char *in, *out; /* out NULL: refused with rc */
        int rc;
    } cases[] = {
        {GW_ID_CARD, "11010519491231002X", "11010519491231002X", 0},
        {GW_ID_CARD, "11010519491231002x", "11010519491231002X", 0},
        {GW_ID_CARD, "440524188001010014", "440524188001010014", 0},
        {GW_ID_CARD, "440524188001010015", NULL, GW_IDENT_BAD_CHECK},
        {GW_ID_CARD, "110105194912310021", NULL, GW_IDENT_BAD_CHECK},
        {GW_ID_CARD, "11010519491231002", NULL, GW_IDENT_BAD_FORMAT},
        {GW_ID_CARD, "11010519491231002XX", NULL, GW_IDENT_BAD_FORMAT},
        {GW_ID_CARD, "110105491231002", NULL, GW_IDENT_BAD_FORMAT},
        {GW_ID_CARD, "1101051949123100 X", NULL, GW_IDENT_BAD_FORMAT},
        {GW_ID_CARD, "X10105194912310021", NULL, GW_IDENT_BAD_FORMAT},
        {GW_ID_CARD, "11010519491231002Y", NULL, GW_IDENT_BAD_FORMAT},
        {GW_ID_CARD, "", NULL, GW_IDENT_BAD_FORMAT},
        {GW_ID_PASSPORT, "e12345678", "E12345678", 0},
        {GW_ID_PASSPORT, "AB123", "AB123", 0},
        {GW_ID_PASSPORT, "A1234567890123456789", "A1234567890123456789", 0},
        {GW_ID_PASSPORT, "AB12", NULL, GW_IDENT_BAD_FORMAT},
        {GW_ID_PASSPORT, "A12345678901234567890", NULL, GW_IDENT_BAD_FORMAT},
        {GW_ID_PASSPORT, "E1234-5678", NULL, GW_IDENT_BAD_FORMAT},
        {GW_ID_HK_MACAO, "h12345678", "H12345678", 0},
        {GW_ID_HK_MACAO, "M1234567890", "M1234567890", 0},
        {GW_ID_HK_MACAO, "C12345678", NULL, GW_IDENT_BAD_FORMAT},
        {GW_ID_HK_MACAO, "H123456789", NULL, GW_IDENT_BAD_FORMAT},
        {GW_ID_TAIWAN, "12345678", "12345678", 0},
        {GW_ID_TAIWAN, "1234567890", "1234567890", 0},
        {GW_ID_TAIWAN, "123456789", NULL, GW_IDENT_BAD_FORMAT},
        {GW_ID_TAIWAN, "T2345678", NULL, GW_IDENT_BAD_FORMAT},
        {GW_ID_FOREIGN_PERMANENT, "usa123456789012", "USA123456789012", 0},
        {GW_ID_FOREIGN_PERMANENT, "912345678901234563", "912345678901234563",
         0},
        {GW_ID_FOREIGN_PERMANENT, "912345678901234564", NULL,
         GW_IDENT_BAD_CHECK},
        {GW_ID_FOREIGN_PERMANENT, "11010519491231002X", NULL,
         GW_IDENT_BAD_FORMAT},
        {GW_ID_FOREIGN_PERMANENT, "US1234567890123", NULL, GW_IDENT_BAD_FORMAT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = norm(cases[i].type, cases[i].in, out);
        if (rc != cases[i].rc) {
            fprintf(stderr, "%s %s -> %d\n", gw_ident_type_name(cases[i].type),
                    cases[i].in, rc);
        }
        CHECK_EQ(rc, cases[i].rc);
        if (cases[i].out != NULL) {
            CHECK_STR(out, cases[i].out);
        }
    }
    /* Longer than any type's number: refused before it is copied. */
    char longin[64];
    memset(longin, '1', sizeof longin - 1);
    longin[sizeof longin - 1] = '\0';
    CHECK_EQ(norm(GW_ID_PASSPORT, longin, out), GW_IDENT_BAD_FORMAT);
    /* A NUL byte is no digit. */
    size_t n;
    CHECK_EQ(gw_ident_normalize(GW_ID_TAIWAN,
                                "1234\0"
                                "678",
                                8, out, &n),
             GW_IDENT_BAD_FORMAT);
}

static void test_ident_key(void)
{
    struct gw_ident id;
    setSecret(&id);
    CHECK_EQ(id.secret_len, 32);
    CHECK_EQ(id.secret[31], 0x1f);
    char key[GW_IDENT_KEY_LEN + 1], key2[GW_IDENT_KEY_LEN + 1];
    /* Known answer, from outside this code:
     *   printf 'id_card:11010519491231002X' | openssl dgst -sha256 -mac HMAC
     *     -macopt hexkey:000102...1f
     *   = 101b9c094c6dd7b9e063d97c358ac6f2a3470c96...; its first 16 bytes
     * in hex after "rn:". The lowercase x is normalised first. */
    CHECK_EQ(gw_ident_key(&id, GW_ID_CARD, "11010519491231002x", 18, key),
             GW_IDENT_OK);
    CHECK_STR(key, "rn:101b9c094c6dd7b9e063d97c358ac6f2");
    /* (python3: hmac.new(bytes(range(32)), b"passport:E12345678",
     * "sha256")) */
    CHECK_EQ(gw_ident_key(&id, GW_ID_PASSPORT, "e12345678", 9, key),
             GW_IDENT_OK);
    CHECK_STR(key, "rn:482e1ec51a987daaed281610bd87ab85");
    CHECK_EQ(strlen(key), GW_IDENT_KEY_LEN);
    CHECK_EQ(slot_valid_patient_key((struct slot_str){key, GW_IDENT_KEY_LEN}),
             SLOT_OK);
    for (size_t i = 3; i < GW_IDENT_KEY_LEN; i++) {
        CHECK((key[i] >= '0' && key[i] <= '9') ||
              (key[i] >= 'a' && key[i] <= 'f'));
    }
    /* The same digits as another type: another key. */
    CHECK_EQ(gw_ident_key(&id, GW_ID_TAIWAN, "12345678", 8, key), GW_IDENT_OK);
    CHECK_EQ(gw_ident_key(&id, GW_ID_PASSPORT, "12345678", 8, key2),
             GW_IDENT_OK);
    CHECK(strcmp(key, key2) != 0);
    /* Another secret: another key. */
    struct gw_ident other = id;
    other.secret[0] ^= 1;
    CHECK_EQ(gw_ident_key(&other, GW_ID_TAIWAN, "12345678", 8, key2),
             GW_IDENT_OK);
    CHECK(strcmp(key, key2) != 0);
    /* A refused number writes no key. */
    memset(key, '#', sizeof key);
    CHECK_EQ(gw_ident_key(&id, GW_ID_CARD, "110105194912310021", 18, key),
             GW_IDENT_BAD_CHECK);
    CHECK_EQ(key[0], '#');
    CHECK_EQ(gw_ident_key(&id, GW_ID_CARD, "1", 1, key), GW_IDENT_BAD_FORMAT);
    CHECK_EQ(key[0], '#');
}

/* Account keys: the user id's HMAC under the same secret, "ac:"; what
 * gw_arg_account makes of a header or path value. */
static void test_account_key(void)
{
    struct gw_ident id;
    setSecret(&id);
    char key[GW_IDENT_KEY_LEN + 1], key2[GW_IDENT_KEY_LEN + 1];
    /* (python3: hmac.new(bytes(range(32)), b"account:wx-user-42",
     * "sha256").hexdigest()[:32]) */
    CHECK_EQ(gw_ident_account_key(&id, "wx-user-42", 10, key), GW_IDENT_OK);
    CHECK_STR(key, "ac:c9317f0e064fb2fa395962416ee5b639");
    CHECK_EQ(slot_valid_patient_key((struct slot_str){key, GW_IDENT_KEY_LEN}),
             SLOT_OK);
    /* Case matters; the patient text is another namespace. */
    CHECK_EQ(gw_ident_account_key(&id, "WX-user-42", 10, key2), GW_IDENT_OK);
    CHECK(strcmp(key, key2) != 0);
    memset(key2, '#', sizeof key2);
    CHECK_EQ(gw_ident_account_key(&id, "a b", 3, key2), GW_IDENT_BAD_FORMAT);
    CHECK_EQ(gw_ident_account_key(&id, "", 0, key2), GW_IDENT_BAD_FORMAT);
    char big[GW_ACCOUNT_USER_MAX + 2];
    memset(big, 'u', sizeof big);
    CHECK_EQ(gw_ident_account_key(&id, big, GW_ACCOUNT_USER_MAX, key2),
             GW_IDENT_OK);
    CHECK_EQ(gw_ident_account_key(&id, big, GW_ACCOUNT_USER_MAX + 1, key2),
             GW_IDENT_BAD_FORMAT);

    struct gw_args a;
    struct gw_fail f;
    gw_args_init(&a);
    /* With the secret: hashed; a key itself only from the admin token. */
    CHECK(gw_arg_account(&a, &id, false, "wx-user-42", 10, &f));
    CHECK_STR(a.account, key);
    CHECK(gw_arg_account(&a, &id, true, key, strlen(key), &f));
    CHECK_STR(a.account, key);
    CHECK(gw_arg_account(&a, &id, false, key, strlen(key), &f));
    CHECK(strcmp(a.account, key) != 0 && strncmp(a.account, "ac:", 3) == 0);
    CHECK(!gw_arg_account(&a, &id, false, "a\x01b", 3, &f));
    CHECK_EQ(f.code, SLOT_INVALID_ARGUMENT);
    /* Without: the value is the key, by the patient key rule. */
    CHECK(gw_arg_account(&a, NULL, false, "acct-0001", 9, &f));
    CHECK_STR(a.account, "acct-0001");
    CHECK(!gw_arg_account(&a, NULL, false, "short", 5, &f));
    CHECK_EQ(f.code, SLOT_INVALID_ARGUMENT);
}

static void test_ident_secret(void)
{
    struct gw_ident id;
    memset(&id, 0, sizeof id);
    char hex[2 * GW_IDENT_SECRET_MAX + 4];
    memset(hex, 'a', sizeof hex);
    CHECK_EQ(gw_ident_set_secret_hex(&id, hex, 2 * GW_IDENT_SECRET_MIN - 2),
             -1);
    CHECK_EQ(gw_ident_set_secret_hex(&id, hex, 2 * GW_IDENT_SECRET_MIN - 1),
             -1);
    CHECK_EQ(id.secret_len, 0); /* untouched */
    CHECK_EQ(gw_ident_set_secret_hex(&id, hex, 2 * GW_IDENT_SECRET_MAX + 2),
             -1);
    CHECK_EQ(gw_ident_set_secret_hex(&id, hex, 2 * GW_IDENT_SECRET_MAX), 0);
    CHECK_EQ(id.secret_len, GW_IDENT_SECRET_MAX);
    CHECK_EQ(id.secret[0], 0xaa);
    hex[5] = 'g';
    CHECK_EQ(gw_ident_set_secret_hex(&id, hex, 2 * GW_IDENT_SECRET_MIN), -1);
    CHECK_EQ(id.secret_len, GW_IDENT_SECRET_MAX);
    CHECK_EQ(gw_ident_set_secret_hex(&id,
                                     "00112233445566778899AABBCCDDEEFF"
                                     "00112233445566778899aabbccddeeff",
                                     64),
             0);
    CHECK_EQ(id.secret_len, 32);
    CHECK_EQ(id.secret[10], 0xaa);
    CHECK_EQ(id.secret[26], 0xaa);
}

/* A hold or lookup body naming a patient, under each configuration. */
static void test_ident_bodies(void)
{
    struct gw_ident id;
    setSecret(&id);
    const struct gw_patient_rules idOnly = {&id, false};
    const struct gw_patient_rules both = {&id, true};
    const struct gw_patient_rules noSecret = {NULL, true};
    struct gw_args a;
    struct gw_fail f;
    gw_args_init(&a);
    const char *byId = "{\"id_type\":\"id_card\",\"id_number\":"
                       "\"11010519491231002x\",\"ttl_ms\":9}";
    CHECK(gw_parse_hold(byId, strlen(byId), &idOnly, &a, &f));
    CHECK_STR(a.patient, "rn:101b9c094c6dd7b9e063d97c358ac6f2");
    CHECK_EQ(a.ttl_ms, 9);
    gw_args_init(&a);
    const char *look = "{\"id_number\":\"11010519491231002X\","
                       "\"id_type\":\"id_card\"}";
    CHECK(gw_parse_lookup(look, strlen(look), &idOnly, &a, &f));
    CHECK_STR(a.patient, "rn:101b9c094c6dd7b9e063d97c358ac6f2");
    /* Opaque keys: where the channel may send them. */
    const char *opaque = "{\"patient\":\"patient-0001\"}";
    CHECK(gw_parse_hold(opaque, strlen(opaque), &both, &a, &f));
    CHECK_STR(a.patient, "patient-0001");
    CHECK(gw_parse_lookup(opaque, strlen(opaque), &noSecret, &a, &f));
    const struct {
        const char *body;
        const struct gw_patient_rules *pr;
        int code;
        const char *msg; /* in the message */
    } bad[] = {
        {"{\"patient\":\"patient-0001\"}", &idOnly, GW_OPAQUE_KEY_NOT_ALLOWED,
         "id_type"},
        {"{\"patient\":\"patient-0001\",\"id_type\":\"id_card\","
         "\"id_number\":\"11010519491231002X\"}",
         &both, SLOT_MALFORMED, "not both"},
        {"{\"patient\":\"patient-0001\",\"id_number\":\"11010519491231002X\"}",
         &both, SLOT_MALFORMED, "not both"},
        {"{\"id_type\":\"id_card\",\"id_number\":\"11010519491231002X\"}",
         &noSecret, GW_IDENTITY_NOT_CONFIGURED, "\"identity\""},
        {"{\"id_type\":\"id_card\",\"id_number\":\"110105194912310021\"}",
         &idOnly, GW_INVALID_ID_NUMBER, "check digit"},
        {"{\"id_type\":\"id_card\",\"id_number\":\"1101051949123100\"}",
         &idOnly, GW_INVALID_ID_NUMBER, "17 digits and a check digit"},
        {"{\"id_type\":\"passport\",\"id_number\":\"E1234 5678\"}", &idOnly,
         GW_INVALID_ID_NUMBER, "5..20 letters or digits"},
        {"{\"id_type\":\"driver\",\"id_number\":\"110105194912310021\"}",
         &idOnly, SLOT_INVALID_ARGUMENT, "id_card, passport"},
        {"{\"id_type\":\"id_card\"}", &idOnly, SLOT_MALFORMED,
         "missing field \"id_number\""},
        {"{\"id_number\":\"110105194912310021\"}", &idOnly, SLOT_MALFORMED,
         "missing field \"id_type\""},
        {"{\"id_type\":\"id_card\",\"id_number\":110105194912310021}", &idOnly,
         SLOT_MALFORMED, "\"id_number\" must be a string"},
        {"{\"ttl_ms\":5}", &both, SLOT_MALFORMED, "missing field \"patient\""},
        /* The derived keys' namespace is the gateway's. */
        {"{\"patient\":\"rn:101b9c094c6dd7b9e063d97c358ac6f2\"}", &both,
         SLOT_INVALID_ARGUMENT, "derived"},
        /* jansson quotes the input near an error: never the number. */
        {"{\"id_type\":\"id_card\",\"id_number\":110105194912310021X}", &idOnly,
         SLOT_MALFORMED, "invalid JSON"},
        {"{\"id_type\":\"id_card\",\"id_number\":\"110105194912310021", &idOnly,
         SLOT_MALFORMED, "invalid JSON"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gw_args_init(&a);
        f.code = 0;
        f.message[0] = '\0';
        bool ok =
            gw_parse_hold(bad[i].body, strlen(bad[i].body), bad[i].pr, &a, &f);
        if (ok || f.code != bad[i].code ||
            strstr(f.message, bad[i].msg) == NULL) {
            fprintf(stderr, "%s -> %s %s\n", bad[i].body, gw_err_name(f.code),
                    f.message);
        }
        CHECK(!ok);
        CHECK_EQ(f.code, bad[i].code);
        CHECK(strstr(f.message, bad[i].msg) != NULL);
        /* No message repeats a number, nor a long run of its digits. */
        CHECK(strstr(f.message, "1101051949") == NULL);
        CHECK(strstr(f.message, "5678") == NULL);
        CHECK_STR(a.patient, "");
    }
    /* The lookup takes the patient fields only. */
    const char *ttl = "{\"patient\":\"patient-0001\",\"ttl_ms\":5}";
    CHECK(!gw_parse_lookup(ttl, strlen(ttl), &both, &a, &f));
    CHECK_EQ(f.code, SLOT_MALFORMED);
    CHECK(!gw_parse_lookup(opaque, strlen(opaque), &idOnly, &a, &f));
    CHECK_EQ(f.code, GW_OPAQUE_KEY_NOT_ALLOWED);
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
    {"QUOTA_EXCEEDED", 409},
    {"CANCEL_CLOSED", 409},
    {"CANCEL_LIMIT", 429},
    {"BLACKLISTED", 403},
    {"ACCOUNT_LIMIT", 409},
    {"NOT_BOUND", 403},
    {"NOT_OWNER", 403},
    {"NOT_SOLD_OUT", 409},
    {"ALREADY_WAITING", 409},
    {"NOT_WAITING", 404},
    {"POOL_STOPPED", 409},
    {"NOT_STOPPED", 409},
    {"MOVE_MISMATCH", 422},
    {"PATIENT_MISMATCH", 403},
    {"CHECKIN_NOT_OPEN", 409},
    {"CHECKIN_CLOSED", 409},
    {"ALREADY_CHECKED_IN", 409},
    {"NO_SHOW", 409},
    {"SESSION_UNKNOWN", 500},
    {"REQUEST_TOO_OLD", 500},
    {"REQUEST_MISMATCH", 422},
    {"LIMIT_REACHED", 503},
    {"CURSOR_EXPIRED", 410},
    {"NOT_LEADER", 503},
    {"NO_LEADER", 503},
    {"BUSY", 503},
    {"IO", 503},
    {"SHUTDOWN", 503},
    {"TIMEOUT", 503},
    {"OUTCOME_UNKNOWN", 504},
    {"UNAVAILABLE", 503},
    {"NAME_UNRESOLVED", 503},
    {"UNAUTHORIZED", 401},
    {"FORBIDDEN", 403},
    {"NOT_FOUND", 404},
    {"METHOD_NOT_ALLOWED", 405},
    {"RATE_LIMITED", 429},
    {"OVERLOADED", 503},
    {"HEADERS_TOO_LARGE", 431},
    {"INTERNAL", 500},
    {"IDENTITY_NOT_CONFIGURED", 400},
    {"OPAQUE_KEY_NOT_ALLOWED", 400},
    {"INVALID_ID_NUMBER", 400},
    {"SLOW_SUBSCRIBER", 503},
    {"RECON_DAY_GONE", 410},
    {"RESPONSE_TOO_LARGE", 413},
    {"RECON_BUSY", 503},
    {"CLUSTER_BUSY", 503},
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
        /* CANCEL_LIMIT lasts until the next day: no Retry-After. */
        CHECK_EQ(gw_err_retryable(codes[i]),
                 want == 503 || (want == 429 && codes[i] != SLOT_CANCEL_LIMIT));
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
    /* The schedule routes: their query parameters, bodies and statuses
     * with the protocol's limits. */
    json_t *list = json_object_get(json_object_get(paths, "/v1/pools"), "get");
    json_t *qp = json_object_get(list, "parameters");
    CHECK_EQ(json_array_size(qp), 9);
    CHECK_STR(json_string_value(json_object_get(json_array_get(qp, 0), "name")),
              "hospital");
    CHECK(json_is_true(json_object_get(json_array_get(qp, 0), "required")));
    json_t *lim = json_object_get(json_array_get(qp, 7), "schema");
    CHECK_EQ(json_integer_value(json_object_get(lim, "maximum")),
             SLOT_LIST_MAX);
    json_t *imp =
        json_object_get(json_object_get(paths, "/v1/schedules"), "post");
    json_t *resp = json_object_get(imp, "responses");
    CHECK(json_object_get(resp, "201") != NULL);
    CHECK(json_object_get(resp, "200") != NULL);
    CHECK(json_object_get(resp, "409") != NULL);
    json_t *conf = json_object_get(
        json_object_get(paths, "/v1/holds/{hold}/confirm"), "post");
    CHECK(json_object_get(json_object_get(conf, "responses"), "402") != NULL);
    json_t *tpl = json_object_get(schemas, "Template");
    json_t *tprops = json_object_get(tpl, "properties");
    CHECK_EQ(json_integer_value(
                 json_object_get(json_object_get(tprops, "days"), "maxItems")),
             SLOT_TEMPLATE_DAYS_MAX);
    CHECK_EQ(json_integer_value(json_object_get(
                 json_object_get(tprops, "segments"), "maxItems")),
             SLOT_TEMPLATE_SEGS_MAX);
    json_t *rs =
        json_object_get(json_object_get(schemas, "RuleSet"), "properties");
    CHECK_EQ(json_integer_value(json_object_get(
                 json_object_get(rs, "horizon_days"), "maximum")),
             SLOT_HORIZON_MAX);
    CHECK_EQ(json_integer_value(
                 json_object_get(json_object_get(rs, "groups"), "maxItems")),
             SLOT_GROUPS_MAX);
    /* Every error code is in the Error schema's enum, the new ones
     * included. */
    json_t *codes = json_object_get(
        json_object_get(
            json_object_get(
                json_object_get(
                    json_object_get(json_object_get(schemas, "Error"),
                                    "properties"),
                    "error"),
                "properties"),
            "code"),
        "enum");
    bool found = false;
    for (size_t i = 0; i < json_array_size(codes); i++) {
        found = found || strcmp(json_string_value(json_array_get(codes, i)),
                                "SCHEDULE_CONFLICT") == 0;
    }
    CHECK(found);
    /* Real-name keys: the hold's and the lookup's identity fields, the
     * lookup a read (no Idempotency-Key), the new codes. */
    json_t *hc =
        json_object_get(json_object_get(schemas, "HoldCreate"), "properties");
    CHECK_EQ(json_array_size(
                 json_object_get(json_object_get(hc, "id_type"), "enum")),
             GW_ID_TYPES);
    CHECK_EQ(json_integer_value(json_object_get(
                 json_object_get(hc, "id_number"), "maxLength")),
             GW_ID_NUMBER_MAX);
    CHECK(json_object_get(json_object_get(schemas, "PatientLookup"), "oneOf") !=
          NULL);
    json_t *lk = json_object_get(
        json_object_get(paths, "/v1/pools/{pool}/patients/lookup"), "post");
    CHECK_EQ(json_array_size(json_object_get(lk, "parameters")), 1);
    /* The visit day: bodies, replies, the move's X-Account, each
     * refusal with its status in the description. */
    CHECK(json_object_get(json_object_get(schemas, "Checkin"), "oneOf") !=
          NULL);
    CHECK(json_object_get(json_object_get(json_object_get(schemas, "Checkin"),
                                          "properties"),
                          "payment_ref") != NULL);
    json_t *mv = json_object_get(
        json_object_get(paths, "/v1/bookings/{booking}/move"), "post");
    bool xacc = false;
    for (size_t i = 0; i < json_array_size(json_object_get(mv, "parameters"));
         i++) {
        xacc = xacc ||
               strcmp(json_string_value(json_object_get(
                          json_array_get(json_object_get(mv, "parameters"), i),
                          "name")),
                      "X-Account") == 0;
    }
    CHECK(xacc);
    CHECK(json_object_get(json_object_get(mv, "responses"), "422") != NULL);
    CHECK(strstr(json_string_value(json_object_get(mv, "description")),
                 "422 MOVE_MISMATCH") != NULL);
    json_t *cin = json_object_get(
        json_object_get(paths, "/v1/bookings/{booking}/checkin"), "post");
    CHECK(strstr(json_string_value(json_object_get(cin, "description")),
                 "403 PATIENT_MISMATCH") != NULL);
    json_t *stp = json_object_get(
        json_object_get(paths, "/v1/pools/{pool}/stop"), "post");
    CHECK_STR(json_string_value(json_object_get(stp, "x-access")),
              "admin token only");
    CHECK(strstr(doc, "\"stopped\"") != NULL);
    CHECK(strstr(doc, "\"pool_stop\"") != NULL);
    CHECK(strstr(doc, "\"CHECKIN_NOT_OPEN\"") != NULL);
    CHECK(json_object_get(json_object_get(json_object_get(schemas, "RuleSet"),
                                          "properties"),
                          "visit") != NULL);
    CHECK(strstr(doc, "\"INVALID_ID_NUMBER\"") != NULL);
    CHECK(strstr(doc, "\"OPAQUE_KEY_NOT_ALLOWED\"") != NULL);
    CHECK(strstr(doc, "\"IDENTITY_NOT_CONFIGURED\"") != NULL);
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
    gw_buf_init(&b, NULL, 0);
    struct gw_admit adm;
    gw_admit_init(&adm, 20, 100, 64, 4096, 0);
    adm.budget = 700;
    adm.last_delay_us = 23456;
    adm.shrinks = 2;
    adm.grows = 5;
    gw_metrics_render_admit(&adm, &b);
    CHECK(strstr(b.p, "slot_gateway_inflight_budget 700\n") != NULL);
    CHECK(strstr(b.p, "slot_gateway_queue_delay_seconds 0.023456\n") != NULL);
    CHECK(strstr(b.p, "slot_gateway_queue_target_seconds 0.020\n") != NULL);
    CHECK(strstr(b.p, "slot_gateway_budget_changes_total{direction="
                      "\"shrink\"} 2\n") != NULL);
    CHECK(strstr(b.p, "slot_gateway_budget_changes_total{direction="
                      "\"grow\"} 5\n") != NULL);
    CHECK(strstr(b.p, "slot_gateway_budget_held_busy_total 0\n") != NULL);
    CHECK(strstr(b.p, "slot_gateway_loop_busy_ratio 0.000\n") != NULL);
    gw_admit_init(&adm, 0, 100, 64, 4096, 0);
    adm.budget = 700; /* off: the budget shown is the fixed ceiling */
    gw_buf_free(&b);
    gw_buf_init(&b, NULL, 0);
    gw_metrics_render_admit(&adm, &b);
    CHECK(strstr(b.p, "slot_gateway_inflight_budget 4096\n") != NULL);
    gw_buf_free(&b);
}

/* ---- the adaptive in-flight budget (gw_admit.h) ------------------------- */

/* n calls, each `us` long, finished over [t, t + interval). */
static void admitFeed(struct gw_admit *a, uint64_t t, uint32_t n, uint64_t us)
{
    for (uint32_t i = 0; i < n; i++) {
        gw_admit_done(a, t + (uint64_t)i * a->interval_ms / n, us);
    }
}

static void test_admit(void)
{
    struct gw_admit a;
    /* Off: the fixed ceiling, whatever the delay. */
    gw_admit_init(&a, 0, 100, 64, 4096, 1000);
    admitFeed(&a, 1000, 5000, 500000);
    CHECK(gw_admit_try(&a, 1200, 4095));
    CHECK(!gw_admit_try(&a, 1200, 4096));
    CHECK_EQ(a.shrinks, 0);

    /* A standing queue: every call 80 ms against a target of 20 ms,
     * 3,500 answers in 100 ms = 35k/s: budget 35k/s x 20 ms = 700. */
    gw_admit_init(&a, 20, 100, 64, 65536, 0);
    CHECK(gw_admit_try(&a, 0, 65535)); /* nothing measured: the ceiling */
    admitFeed(&a, 0, 3500, 80000);
    CHECK(gw_admit_try(&a, 100, 0)); /* closes the window */
    CHECK_EQ(a.budget, 700);
    CHECK_EQ(a.shrinks, 1);
    CHECK_EQ(a.last_delay_us, 80000);
    CHECK(gw_admit_try(&a, 100, 699));
    CHECK(!gw_admit_try(&a, 100, 700));
    CHECK(!gw_admit_try(&a, 100, 5000));

    /* One fast call in the window: no standing queue, and the budget was
     * reached (a refusal above): it grows by a quarter + 1. */
    admitFeed(&a, 100, 3499, 80000);
    gw_admit_done(&a, 150, 3000);
    CHECK(gw_admit_try(&a, 200, 0));
    CHECK_EQ(a.budget, 700 + 175 + 1);
    CHECK_EQ(a.grows, 1);
    CHECK_EQ(a.last_delay_us, 3000);

    /* Fast, but the budget never came near: unchanged. */
    admitFeed(&a, 200, 100, 1000);
    CHECK(gw_admit_try(&a, 300, 0));
    CHECK_EQ(a.budget, 876);
    CHECK_EQ(a.grows, 1);

    /* No answer in a window (a failover): unchanged, refusals at once. */
    CHECK(!gw_admit_try(&a, 350, 876));
    CHECK(gw_admit_try(&a, 400, 0));
    CHECK_EQ(a.budget, 876);

    /* The floor and the ceiling: 10 answers in 100 ms of 1 s each would
     * give 2; the floor is 64. Growth stops at the ceiling. */
    admitFeed(&a, 400, 10, 1000000);
    CHECK(gw_admit_try(&a, 500, 0));
    CHECK_EQ(a.budget, 64);
    gw_admit_init(&a, 20, 100, 1, 100, 0);
    a.budget = 90;
    CHECK(gw_admit_try(&a, 0, 85)); /* >= 7/8 of the budget: limited */
    admitFeed(&a, 0, 10, 1000);
    CHECK(gw_admit_try(&a, 100, 0));
    CHECK_EQ(a.budget, 100);

    /* A window that lasted longer than its interval (an idle gateway):
     * the rate is over its real length. 3,000 answers over 300 ms at
     * 30 ms each: 10k/s x 20 ms = 200. */
    gw_admit_init(&a, 20, 100, 1, 65536, 0);
    gw_admit_done(&a, 0, 30000);
    for (uint32_t i = 1; i < 3000; i++) {
        gw_admit_done(&a, 99, 30000);
    }
    CHECK(gw_admit_try(&a, 300, 0));
    CHECK_EQ(a.budget, 200);

    /* The gateway's own loop busy >= 90 % of the window: a standing delay
     * is its CPU, the budget is held; with the loop half idle the same
     * delay shrinks it. */
    gw_admit_init(&a, 20, 100, 1, 65536, 0);
    gw_admit_idle(&a, 1000); /* the first: the window's baseline */
    a.budget = 5000;
    admitFeed(&a, 0, 3000, 80000);
    gw_admit_idle(&a, 1005); /* 5 ms idle in 100 ms: 95 % busy */
    CHECK(gw_admit_try(&a, 100, 0));
    CHECK_EQ(a.budget, 5000);
    CHECK_EQ(a.held_busy, 1);
    CHECK_EQ(a.shrinks, 0);
    CHECK_EQ(a.last_busy_permille, 950);
    admitFeed(&a, 100, 3000, 80000);
    gw_admit_idle(&a, 1055); /* 50 ms idle: 50 % busy */
    CHECK(gw_admit_try(&a, 200, 0));
    CHECK_EQ(a.budget, 600);
    CHECK_EQ(a.shrinks, 1);
    CHECK_EQ(a.last_busy_permille, 500);
}

/* ---- issue 14: rule sets, templates, places, query strings ------------- */

/* One refusal: the code, and the field the message must name. */
struct badCase {
    const char *in;
    int code;
    const char *field;
};

/* The staff bodies: patient, operator, reason (and a violation's kind). */
static void test_staff_body(void)
{
    struct gw_args a;
    struct gw_fail f;
    struct gw_patient_rules pr = {NULL, true};
    gw_args_init(&a);
    const char *ok = "{\"patient\":\"patient-0001\",\"kind\":\"no_show\","
                     "\"operator\":\"nurse.li\",\"reason\":\"\xe7\x88\xbd\"}";
    CHECK(gw_parse_staff(ok, strlen(ok), &pr, true, &a, &f));
    CHECK_STR(a.patient, "patient-0001");
    CHECK_EQ(a.kind, SLOTC_VIOLATION_NO_SHOW);
    CHECK_STR(a.operator_name, "nurse.li");
    CHECK_STR(a.reason, "\xe7\x88\xbd");
    /* kind belongs to a violation only. */
    CHECK(!gw_parse_staff(ok, strlen(ok), &pr, false, &a, &f));
    CHECK_EQ(f.code, SLOT_MALFORMED);
    static const struct badCase bad[] = {
        {"{\"patient\":\"patient-0001\",\"operator\":\"a\",\"reason\":\"b\"}",
         SLOT_MALFORMED, "\"kind\""},
        {"{\"patient\":\"patient-0001\",\"kind\":\"unpaid\",\"operator\":"
         "\"a\",\"reason\":\"b\"}",
         SLOT_INVALID_ARGUMENT, "\"kind\""},
        {"{\"patient\":\"patient-0001\",\"kind\":\"other\",\"reason\":\"b\"}",
         SLOT_MALFORMED, "\"operator\""},
        {"{\"patient\":\"patient-0001\",\"kind\":\"other\",\"operator\":"
         "\"a b\",\"reason\":\"b\"}",
         SLOT_INVALID_ARGUMENT, "\"operator\""},
        {"{\"patient\":\"patient-0001\",\"kind\":\"other\",\"operator\":"
         "\"a\",\"reason\":\"\"}",
         SLOT_INVALID_ARGUMENT, "\"reason\""},
        {"{\"kind\":\"other\",\"operator\":\"a\",\"reason\":\"b\"}",
         SLOT_MALFORMED, "\"patient\""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bool parsed =
            gw_parse_staff(bad[i].in, strlen(bad[i].in), &pr, true, &a, &f);
        if (parsed || f.code != bad[i].code ||
            strstr(f.message, bad[i].field) == NULL) {
            fprintf(stderr, "%s -> %d %s\n", bad[i].in, f.code, f.message);
        }
        CHECK(!parsed);
        CHECK_EQ(f.code, bad[i].code);
        CHECK(strstr(f.message, bad[i].field) != NULL);
    }
}

typedef bool (*parseFn)(const char *in, size_t len, void *out,
                        struct gw_fail *f);

static void checkBad(parseFn fn, void *out, const struct badCase *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct gw_fail f = {0, ""};
        bool ok = fn(c[i].in, strlen(c[i].in), out, &f);
        if (ok || f.code != c[i].code ||
            strstr(f.message, c[i].field) == NULL) {
            fprintf(stderr, "%s -> %s %d %s (want %d naming %s)\n", c[i].in,
                    ok ? "accepted" : "refused", f.code, f.message, c[i].code,
                    c[i].field);
        }
        CHECK(!ok);
        CHECK_EQ(f.code, c[i].code);
        CHECK(strstr(f.message, c[i].field) != NULL);
    }
}

static bool parseRulesFn(const char *in, size_t len, void *out,
                         struct gw_fail *f)
{
    return gw_parse_rules(in, len, out, f);
}

/* The protocol (through libslot's own conversion) accepts it too. */
static void checkLibslotRules(const struct slotc_rules *r)
{
    struct slot_rules w;
    CHECK_EQ(slotc__rules_to_wire(r, &w), SLOT_OK);
}

static const char fullRules[] =
    "{\"utc_offset\":\"+08:00\",\"release_time\":\"09:00\","
    "\"horizon_days\":7,\"cutoff_time\":\"15:00\",\"pay_ttl_ms\":300000,"
    "\"pay_ttl_max_ms\":600000,\"flow_back\":{\"days_before\":1,"
    "\"time\":\"15:30\",\"to\":\"\"},\"groups\":[{\"name\":\"online\","
    "\"channels\":[\"app\",\"wechat\",\"bank\",\"kiosk\"]}],"
    "\"policies\":[{\"channel\":\"doctor\",\"horizon_days\":90,"
    "\"cutoff\":false,\"same_day\":true},{\"channel\":\"*\","
    "\"horizon_days\":0,\"cutoff\":true,\"same_day\":false}],"
    "\"eligibility\":[{\"department\":\"\",\"kind\":\"special\","
    "\"channels\":[\"app\",\"window\"]},{\"department\":\"cardio\","
    "\"kind\":null,\"channels\":[\"online\"]}],"
    "\"quota\":{\"day_normal\":3,\"day_expert\":2,\"dept_expert\":1,"
    "\"month_normal\":12,\"month_expert\":4,\"per_account\":true},"
    "\"cancel\":{"
    "\"days_before\":1,\"time\":\"15:00\",\"same_day\":true,"
    "\"limit_per_day\":3},\"blacklist\":{\"threshold\":3,"
    "\"window_days\":90,\"days\":180,\"exempt\":\"window\","
    "\"unpaid_is_violation\":true,\"late_cancel_ms\":7200000},"
    "\"cooldown_ms\":[120000,600000],"
    "\"account_channels\":\"online\",\"visit\":{"
    "\"checkin_before_ms\":3600000,\"checkin_late_ms\":900000,"
    "\"noshow_sweep\":true}}";

static void test_rules_json(void)
{
    struct slotc_rules r, back, init;
    struct gw_fail f;
    CHECK(gw_parse_rules(fullRules, strlen(fullRules), &r, &f));
    CHECK_EQ(r.utc_offset_min, 480);
    CHECK_EQ(r.release_minute, 540);
    CHECK_EQ(r.horizon_days, 7);
    CHECK_EQ(r.cutoff_minute, 900);
    CHECK_EQ(r.pay_ttl_ms, 300000);
    CHECK_EQ(r.pay_ttl_max_ms, 600000);
    CHECK_EQ(r.flowback_days_before, 1);
    CHECK_EQ(r.flowback_minute, 930);
    CHECK_STR(r.flowback_to, "");
    CHECK_EQ(r.n_groups, 1);
    CHECK_STR(r.groups[0].name, "online");
    CHECK_EQ(r.groups[0].n, 4);
    CHECK_STR(r.groups[0].channels[3], "kiosk");
    CHECK_EQ(r.n_policies, 2);
    CHECK_STR(r.policies[0].channel, "doctor");
    CHECK_EQ(r.policies[0].horizon_days, 90);
    CHECK(!r.policies[0].cutoff && r.policies[0].same_day);
    CHECK(r.policies[1].cutoff && !r.policies[1].same_day);
    CHECK_EQ(r.n_elig, 2);
    CHECK_EQ(r.elig[0].kind, SLOTC_KIND_SPECIAL);
    CHECK_STR(r.elig[0].names[1], "window");
    CHECK_STR(r.elig[1].department, "cardio");
    CHECK_EQ(r.elig[1].kind, -1);
    /* The patient rules, in slotctl's shape (slotctl_sched.h). */
    CHECK_EQ(r.patient.quota_day_normal, 3);
    CHECK_EQ(r.patient.quota_day_expert, 2);
    CHECK_EQ(r.patient.quota_dept_expert, 1);
    CHECK_EQ(r.patient.quota_month_normal, 12);
    CHECK_EQ(r.patient.quota_month_expert, 4);
    CHECK_EQ(r.patient.cancel_days_before, 1);
    CHECK_EQ(r.patient.cancel_minute, 900);
    CHECK(r.patient.cancel_same_day);
    CHECK_EQ(r.patient.cancel_limit_day, 3);
    CHECK_EQ(r.patient.violation_threshold, 3);
    CHECK_EQ(r.patient.violation_window_days, 90);
    CHECK_EQ(r.patient.blacklist_days, 180);
    CHECK_STR(r.patient.blacklist_exempt, "window");
    CHECK(r.patient.unpaid_is_violation);
    CHECK_EQ(r.patient.cooldown_min_ms, 120000);
    CHECK_EQ(r.patient.cooldown_max_ms, 600000);
    CHECK_STR(r.patient.account_channels, "online");
    CHECK_EQ(r.visit.checkin_before_ms, 3600000);
    CHECK_EQ(r.visit.checkin_late_ms, 900000);
    CHECK(r.visit.noshow_sweep);
    checkLibslotRules(&r);
    /* slotctl reads the same document into the same struct. */
    json_t *sj = json_loads(fullRules, 0, NULL);
    struct slotc_rules sr;
    struct sctl_err se;
    CHECK(sj != NULL);
    CHECK_EQ(sctl_rules_parse(sj, &sr, &se), SLOT_OK);
    CHECK(memcmp(&sr, &r, sizeof r) == 0);
    json_decref(sj);
    /* JSON -> struct -> JSON: the same bytes (the input is in the output's
     * order), and back to the same struct. */
    struct gw_buf b;
    gw_buf_init(&b, NULL, 0);
    gw_json_rules(&b, &r);
    CHECK_STR(b.p, fullRules);
    CHECK(gw_parse_rules(b.p, b.len, &back, &f));
    CHECK(memcmp(&r, &back, sizeof r) == 0);
    gw_buf_free(&b);

    /* Every field optional: {} is slotc_rules_init, shown whole. */
    CHECK(gw_parse_rules("{}", 2, &r, &f));
    slotc_rules_init(&init);
    CHECK(memcmp(&r, &init, sizeof r) == 0);
    gw_buf_init(&b, NULL, 0);
    gw_json_rules(&b, &r);
    CHECK_STR(b.p,
              "{\"utc_offset\":\"+00:00\",\"release_time\":\"00:00\","
              "\"horizon_days\":0,\"cutoff_time\":null,\"pay_ttl_ms\":0,"
              "\"pay_ttl_max_ms\":0,\"flow_back\":null,\"groups\":[],"
              "\"policies\":[],\"eligibility\":[],\"quota\":{"
              "\"day_normal\":0,\"day_expert\":0,\"dept_expert\":0,"
              "\"month_normal\":0,\"month_expert\":0,\"per_account\":false},"
              "\"cancel\":{"
              "\"days_before\":0,\"time\":null,\"same_day\":false,"
              "\"limit_per_day\":0},\"blacklist\":{\"threshold\":0,"
              "\"window_days\":30,\"days\":90,\"exempt\":\"\","
              "\"unpaid_is_violation\":false,\"late_cancel_ms\":0},"
              "\"cooldown_ms\":[0,0],"
              "\"account_channels\":\"\",\"visit\":{"
              "\"checkin_before_ms\":86400000,\"checkin_late_ms\":0,"
              "\"noshow_sweep\":false}}");
    gw_buf_free(&b);
    /* Defaults inside entries; the extremes of each range. */
    const char *edge =
        "{\"utc_offset\":\"-12:00\",\"release_time\":\"23:59\","
        "\"horizon_days\":366,\"cutoff_time\":null,\"pay_ttl_ms\":1000,"
        "\"pay_ttl_max_ms\":86400000,\"flow_back\":{\"time\":\"00:00\","
        "\"days_before\":7,\"to\":\"114\"},"
        "\"policies\":[{\"channel\":\"*\"}],"
        "\"eligibility\":[{\"channels\":[\"a\"]}]}";
    CHECK(gw_parse_rules(edge, strlen(edge), &r, &f));
    CHECK_EQ(r.utc_offset_min, -720);
    CHECK_EQ(r.release_minute, 1439);
    CHECK_EQ(r.flowback_minute, 0);
    CHECK_STR(r.flowback_to, "114");
    CHECK(r.policies[0].cutoff && r.policies[0].same_day);
    CHECK_EQ(r.policies[0].horizon_days, 0);
    CHECK_STR(r.elig[0].department, "");
    CHECK_EQ(r.elig[0].kind, -1);
    checkLibslotRules(&r);
    CHECK(gw_parse_rules("{\"utc_offset\":\"+14:00\"}", 23, &r, &f));
    CHECK_EQ(r.utc_offset_min, 840);
    CHECK(gw_parse_rules("{\"utc_offset\":\"-05:30\"}", 23, &r, &f));
    CHECK_EQ(r.utc_offset_min, -330);
    gw_buf_init(&b, NULL, 0);
    gw_json_rules(&b, &r);
    CHECK(strstr(b.p, "\"utc_offset\":\"-05:30\"") != NULL);
    gw_buf_free(&b);

    static const struct badCase bad[] = {
        {"[]", SLOT_MALFORMED, "object"},
        {"{\"utc_offset\":480}", SLOT_MALFORMED, "\"utc_offset\""},
        {"{\"utc_offset\":\"+8:00\"}", SLOT_INVALID_ARGUMENT, "\"utc_offset\""},
        {"{\"utc_offset\":\"+14:01\"}", SLOT_INVALID_ARGUMENT,
         "\"utc_offset\""},
        {"{\"utc_offset\":\"-12:01\"}", SLOT_INVALID_ARGUMENT,
         "\"utc_offset\""},
        {"{\"utc_offset\":\"+08:60\"}", SLOT_INVALID_ARGUMENT,
         "\"utc_offset\""},
        {"{\"utc_offset\":\"08:00\"}", SLOT_INVALID_ARGUMENT, "\"utc_offset\""},
        {"{\"release_time\":\"9:00\"}", SLOT_INVALID_ARGUMENT,
         "\"release_time\""},
        {"{\"release_time\":\"24:00\"}", SLOT_INVALID_ARGUMENT,
         "\"release_time\""},
        {"{\"release_time\":null}", SLOT_MALFORMED, "\"release_time\""},
        {"{\"horizon_days\":367}", SLOT_INVALID_ARGUMENT, "\"horizon_days\""},
        {"{\"horizon_days\":-1}", SLOT_INVALID_ARGUMENT, "\"horizon_days\""},
        {"{\"horizon_days\":\"7\"}", SLOT_MALFORMED, "\"horizon_days\""},
        {"{\"horizon_days\":7.5}", SLOT_MALFORMED, "\"horizon_days\""},
        {"{\"cutoff_time\":15}", SLOT_MALFORMED, "\"cutoff_time\""},
        {"{\"cutoff_time\":\"15:00:00\"}", SLOT_INVALID_ARGUMENT,
         "\"cutoff_time\""},
        {"{\"pay_ttl_ms\":999}", SLOT_INVALID_ARGUMENT, "\"pay_ttl_ms\""},
        {"{\"pay_ttl_ms\":86400001}", SLOT_INVALID_ARGUMENT, "\"pay_ttl_ms\""},
        {"{\"pay_ttl_max_ms\":500}", SLOT_INVALID_ARGUMENT,
         "\"pay_ttl_max_ms\""},
        {"{\"pay_ttl_ms\":300000,\"pay_ttl_max_ms\":200000}",
         SLOT_INVALID_ARGUMENT, "\"pay_ttl_ms\""},
        {"{\"flow_back\":\"15:00\"}", SLOT_MALFORMED, "\"flow_back\""},
        {"{\"flow_back\":{\"days_before\":8,\"time\":\"15:00\"}}",
         SLOT_INVALID_ARGUMENT, "\"flow_back.days_before\""},
        {"{\"flow_back\":{\"days_before\":1}}", SLOT_MALFORMED,
         "\"flow_back.time\""},
        {"{\"flow_back\":{\"time\":\"15:00\",\"to\":\"Bad\"}}",
         SLOT_INVALID_ARGUMENT, "\"flow_back.to\""},
        {"{\"flow_back\":{\"time\":\"15:00\",\"x\":1}}", SLOT_MALFORMED,
         "\"flow_back\""},
        {"{\"groups\":{}}", SLOT_MALFORMED, "\"groups\""},
        /* The patient rules: slotctl's parser and messages (the field's
         * path first, unquoted). */
        {"{\"quota\":{\"day_normal\":256}}", SLOT_INVALID_ARGUMENT,
         "quota.day_normal: "},
        {"{\"quota\":{\"day_normal\":\"3\"}}", SLOT_MALFORMED,
         "quota.day_normal: "},
        {"{\"quota\":{\"weekly\":1}}", SLOT_MALFORMED, "quota.weekly"},
        {"{\"quota\":3}", SLOT_MALFORMED, "quota: "},
        {"{\"cancel\":{\"time\":\"25:00\"}}", SLOT_INVALID_ARGUMENT,
         "cancel.time: "},
        {"{\"cancel\":{\"limit_per_day\":9}}", SLOT_INVALID_ARGUMENT,
         "cancel.limit_per_day: "},
        {"{\"cancel\":{\"days_before\":367}}", SLOT_INVALID_ARGUMENT,
         "cancel.days_before: "},
        {"{\"cancel\":{\"same_day\":1}}", SLOT_MALFORMED, "cancel.same_day: "},
        {"{\"blacklist\":{\"threshold\":9}}", SLOT_INVALID_ARGUMENT,
         "blacklist.threshold: "},
        {"{\"blacklist\":{\"window_days\":0}}", SLOT_INVALID_ARGUMENT,
         "blacklist.window_days: "},
        {"{\"blacklist\":{\"exempt\":\"Window\"}}", SLOT_INVALID_ARGUMENT,
         "blacklist.exempt: "},
        {"{\"cooldown_ms\":[5,1]}", SLOT_INVALID_ARGUMENT, "cooldown_ms: "},
        {"{\"cooldown_ms\":[0,3600001]}", SLOT_INVALID_ARGUMENT,
         "cooldown_ms[1]: "},
        {"{\"cooldown_ms\":[1]}", SLOT_MALFORMED, "cooldown_ms: "},
        {"{\"account_channels\":\"a b\"}", SLOT_INVALID_ARGUMENT,
         "account_channels: "},
        {"{\"account_channels\":\"abcdefghijklmnopq\"}", SLOT_INVALID_ARGUMENT,
         "account_channels: "},
        {"{\"groups\":[1,2,3,4,5,6,7,8,9]}", SLOT_INVALID_ARGUMENT,
         "\"groups\""},
        {"{\"groups\":[1]}", SLOT_MALFORMED, "\"groups[0]\""},
        {"{\"groups\":[{\"name\":\"online\",\"channels\":[]}]}",
         SLOT_INVALID_ARGUMENT, "\"groups[0].channels\""},
        {"{\"groups\":[{\"name\":\"online\",\"channels\":[\"app\",\"app\"]}]}",
         SLOT_INVALID_ARGUMENT, "\"groups[0].channels\""},
        {"{\"groups\":[{\"name\":\"online\",\"channels\":[\"ok\",\"B\"]}]}",
         SLOT_INVALID_ARGUMENT, "\"groups[0].channels[1]\""},
        {"{\"groups\":[{\"name\":\"online\",\"channels\":[\"a\",\"b\",\"c\","
         "\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\",\"k\",\"l\",\"m\",\"n\","
         "\"o\",\"p\",\"q\"]}]}",
         SLOT_INVALID_ARGUMENT, "\"groups[0].channels\""},
        {"{\"groups\":[{\"name\":\"On\",\"channels\":[\"app\"]}]}",
         SLOT_INVALID_ARGUMENT, "\"groups[0].name\""},
        {"{\"groups\":[{\"channels\":[\"app\"]}]}", SLOT_MALFORMED,
         "\"groups[0].name\""},
        {"{\"groups\":[{\"name\":\"g\",\"channels\":[\"app\"],\"x\":1}]}",
         SLOT_MALFORMED, "\"groups[0]\""},
        {"{\"groups\":[{\"name\":\"g\",\"channels\":[\"a\"]},{\"name\":\"g\","
         "\"channels\":[\"b\"]}]}",
         SLOT_INVALID_ARGUMENT, "\"g\""},
        {"{\"groups\":[{\"name\":\"g\",\"channels\":[\"a\"]},{\"name\":\"a\","
         "\"channels\":[\"b\"]}]}",
         SLOT_INVALID_ARGUMENT, "\"a\""},
        {"{\"groups\":[{\"name\":\"g\",\"channels\":[\"g\"]}]}",
         SLOT_INVALID_ARGUMENT, "\"g\""},
        {"{\"policies\":[{\"channel\":\"*\",\"horizon_days\":367}]}",
         SLOT_INVALID_ARGUMENT, "\"policies[0].horizon_days\""},
        {"{\"policies\":[{\"channel\":\"**\"}]}", SLOT_INVALID_ARGUMENT,
         "\"policies[0].channel\""},
        {"{\"policies\":[{\"horizon_days\":3}]}", SLOT_MALFORMED,
         "\"policies[0].channel\""},
        {"{\"policies\":[{\"channel\":\"a\"},{\"channel\":\"a\"}]}",
         SLOT_INVALID_ARGUMENT, "\"policies\""},
        {"{\"policies\":[{\"channel\":\"a\",\"cutoff\":1}]}", SLOT_MALFORMED,
         "\"policies[0].cutoff\""},
        {"{\"eligibility\":[{\"channels\":[]}]}", SLOT_INVALID_ARGUMENT,
         "\"eligibility[0].channels\""},
        {"{\"eligibility\":[{\"kind\":\"vip\",\"channels\":[\"app\"]}]}",
         SLOT_INVALID_ARGUMENT, "\"eligibility[0].kind\""},
        {"{\"eligibility\":[{\"kind\":1,\"channels\":[\"app\"]}]}",
         SLOT_MALFORMED, "\"eligibility[0].kind\""},
        {"{\"eligibility\":[{\"department\":\"bad name\",\"channels\":"
         "[\"app\"]}]}",
         SLOT_INVALID_ARGUMENT, "\"eligibility[0].department\""},
        {"{\"eligibility\":[{\"channels\":[\"a\",\"b\",\"c\",\"d\",\"e\","
         "\"f\",\"g\",\"h\",\"i\"]}]}",
         SLOT_INVALID_ARGUMENT, "\"eligibility[0].channels\""},
        {"{\"color\":\"red\"}", SLOT_MALFORMED, "\"color\""},
        {"{\"horizon_days\":7,\"horizon_days\":8}", SLOT_MALFORMED,
         "duplicate"},
        {"{\"horizon_days\":7", SLOT_MALFORMED, "invalid JSON"},
    };
    checkBad(parseRulesFn, &r, bad, sizeof bad / sizeof bad[0]);
}

static bool parseRulesBodyFn(const char *in, size_t len, void *out,
                             struct gw_fail *f)
{
    return gw_parse_rules_body(in, len, out, f);
}

static void test_rules_body(void)
{
    static struct gw_rules_body rb;
    struct gw_fail f;
    const char *ok =
        "{\"operator\":\"admin@pumch\",\"reason\":"
        "\"\xe4\xb8\x93\xe5\xae\xb6\xe5\x8f\xb7 14 days\","
        "\"department\":\"cardio\",\"rules\":{\"horizon_days\":14}}";
    CHECK(gw_parse_rules_body(ok, strlen(ok), &rb, &f));
    CHECK_STR(rb.operator_name, "admin@pumch");
    CHECK_STR(rb.reason, "\xe4\xb8\x93\xe5\xae\xb6\xe5\x8f\xb7 14 days");
    CHECK_STR(rb.department, "cardio");
    CHECK_EQ(rb.rules.horizon_days, 14);
    CHECK_EQ(rb.rules.cutoff_minute, -1);
    const char *min = "{\"operator\":\"a\",\"reason\":\"b\",\"rules\":{}}";
    CHECK(gw_parse_rules_body(min, strlen(min), &rb, &f));
    CHECK_STR(rb.department, "");
    static const struct badCase bad[] = {
        {"{\"reason\":\"b\",\"rules\":{}}", SLOT_MALFORMED, "\"operator\""},
        {"{\"operator\":\"a\",\"rules\":{}}", SLOT_MALFORMED, "\"reason\""},
        {"{\"operator\":\"a\",\"reason\":\"b\"}", SLOT_MALFORMED, "\"rules\""},
        {"{\"operator\":\"a\",\"reason\":\"b\",\"rules\":[]}", SLOT_MALFORMED,
         "\"rules\""},
        {"{\"operator\":\"a b\",\"reason\":\"b\",\"rules\":{}}",
         SLOT_INVALID_ARGUMENT, "\"operator\""},
        {"{\"operator\":\"a-very-long-operator-name-over-32-bytes\","
         "\"reason\":\"b\",\"rules\":{}}",
         SLOT_INVALID_ARGUMENT, "\"operator\""},
        {"{\"operator\":\"a\",\"reason\":\"\",\"rules\":{}}",
         SLOT_INVALID_ARGUMENT, "\"reason\""},
        {"{\"operator\":\"a\",\"reason\":\"tab\\there\",\"rules\":{}}",
         SLOT_INVALID_ARGUMENT, "\"reason\""},
        {"{\"operator\":\"a\",\"reason\":\"b\",\"department\":\"x y\","
         "\"rules\":{}}",
         SLOT_INVALID_ARGUMENT, "\"department\""},
        {"{\"operator\":\"a\",\"reason\":\"b\",\"rules\":{\"horizon_days\":"
         "400}}",
         SLOT_INVALID_ARGUMENT, "\"rules.horizon_days\""},
        {"{\"operator\":\"a\",\"reason\":\"b\",\"rules\":{\"groups\":[{"
         "\"name\":\"g\"}]}}",
         SLOT_MALFORMED, "\"rules.groups[0].channels\""},
        {"{\"operator\":\"a\",\"reason\":\"b\",\"rules\":{\"x\":1}}",
         SLOT_MALFORMED, "in \"rules\": \"x\""},
        {"{\"operator\":\"a\",\"reason\":\"b\",\"rules\":{},\"version\":3}",
         SLOT_MALFORMED, "\"version\""},
    };
    checkBad(parseRulesBodyFn, &rb, bad, sizeof bad / sizeof bad[0]);
    /* 256 bytes of reason fit, 257 do not. */
    char body[600];
    snprintf(body, sizeof body,
             "{\"operator\":\"a\",\"reason\":\"%0256d\",\"rules\":{}}", 0);
    CHECK(gw_parse_rules_body(body, strlen(body), &rb, &f));
    snprintf(body, sizeof body,
             "{\"operator\":\"a\",\"reason\":\"%0257d\",\"rules\":{}}", 0);
    CHECK(!gw_parse_rules_body(body, strlen(body), &rb, &f));
    CHECK_EQ(f.code, SLOT_INVALID_ARGUMENT);
}

static bool parseTemplateFn(const char *in, size_t len, void *out,
                            struct gw_fail *f)
{
    return gw_parse_template(in, len, out, f);
}

/* libslot's own check of a template the gateway accepted. */
static void checkLibslotTemplate(const struct slotc_template *t)
{
    struct slot_template w;
    struct mp_buf slices;
    mp_buf_init(&slices);
    CHECK_EQ(slotc__template_to_wire(t, &w, &slices), SLOT_OK);
    mp_buf_free(&slices);
}

/* A template of n_days days from 2026-12-08 and n_segs half-hour segments
 * from 00:00, written with spaces as a person might. */
static char *bigTemplate(int n_days, int n_segs)
{
    struct gw_buf b;
    gw_buf_init(&b, NULL, 0);
    gw_buf_puts(&b, "{\n  \"id_prefix\": \"PUMCH/cardio/zhang\",\n"
                    "  \"hospital\": \"PUMCH\", \"campus\": \"east\",\n"
                    "  \"department\": \"cardio\", \"doctor\": \"zhang\",\n"
                    "  \"kind\": \"expert\", \"fee_cents\": 5000,\n"
                    "  \"pay_mode\": \"online\", \"visit_slot_ms\": 0,\n"
                    "  \"shares\": [{\"channel\": \"114\", \"permille\": 300},"
                    " {\"channel\": \"online\", \"permille\": 700}],\n"
                    "  \"eligible\": [], \"remainder_allow\": [\"window\"],\n"
                    "  \"days\": [");
    int64_t d0 = slotc_day_parse("2026-12-08");
    for (int i = 0; i < n_days; i++) {
        char day[11];
        slotc_day_format((uint32_t)(d0 + i), day);
        gw_buf_printf(&b, "%s\"%s\"", i > 0 ? ", " : "", day);
    }
    gw_buf_puts(&b, "],\n  \"segments\": [\n");
    for (int i = 0; i < n_segs; i++) {
        char s[6], e[6];
        slotc_minute_format((uint32_t)(i * 30), s);
        if (i * 30 + 30 == 1440) {
            snprintf(e, sizeof e, "24:00");
        } else {
            slotc_minute_format((uint32_t)(i * 30 + 30), e);
        }
        gw_buf_printf(&b,
                      "    {\"start\": \"%s\", \"end\": \"%s\", "
                      "\"capacity\": 10}%s\n",
                      s, e, i + 1 < n_segs ? "," : "");
    }
    gw_buf_puts(&b, "  ]\n}\n");
    return b.p;
}

static void test_template_json(void)
{
    static struct gw_template_body t;
    struct gw_fail f;
    const char *ok =
        "{\"id_prefix\":\"P/cardio/zhang\",\"hospital\":\"P\",\"campus\":"
        "\"east\",\"department\":\"cardio\",\"doctor\":\"zhang\",\"kind\":"
        "\"expert\",\"fee_cents\":5000,\"pay_mode\":\"at_visit\","
        "\"visit_slot_ms\":600000,\"shares\":[{\"channel\":\"114\","
        "\"permille\":300},{\"channel\":\"online\",\"permille\":700}],"
        "\"eligible\":[\"114\",\"online\",\"window\"],\"remainder_allow\":["
        "\"window\"],\"days\":[\"2026-12-08\",\"2026-12-10\"],\"segments\":["
        "{\"start\":\"08:00\",\"end\":\"08:30\",\"capacity\":10},{\"start\":"
        "\"08:30\",\"end\":\"09:00\",\"capacity\":12},{\"start\":\"23:30\","
        "\"end\":\"24:00\",\"capacity\":1}]}";
    CHECK(gw_parse_template(ok, strlen(ok), &t, &f));
    const struct slotc_template *tp = &t.tpl;
    CHECK_STR(tp->id_prefix, "P/cardio/zhang");
    CHECK_STR(tp->place.hospital, "P");
    CHECK_STR(tp->place.campus, "east");
    CHECK_STR(tp->place.doctor, "zhang");
    CHECK_EQ(tp->place.pay_mode, SLOTC_PAY_AT_VISIT);
    CHECK_EQ(tp->place.visit_slot_ms, 600000);
    CHECK_EQ(tp->place.n_eligible, 3);
    CHECK_STR(tp->place.eligible[2], "window");
    CHECK_EQ(tp->place.n_remainder_allow, 1);
    CHECK_EQ(tp->kind, SLOTC_KIND_EXPERT);
    CHECK_EQ(tp->fee_cents, 5000);
    CHECK_EQ(tp->n_shares, 2);
    CHECK_STR(tp->shares[1].channel, "online");
    CHECK_EQ(tp->shares[1].permille, 700);
    CHECK_EQ(tp->n_days, 2);
    CHECK_EQ(tp->days[1], slotc_day_parse("2026-12-10"));
    CHECK_EQ(tp->n_segments, 3);
    CHECK_EQ(tp->segments[1].start_minute, 510);
    CHECK_EQ(tp->segments[1].capacity, 12);
    CHECK_EQ(tp->segments[2].end_minute, 1440);
    checkLibslotTemplate(tp);
    /* The minimum: defaults for everything optional. */
    const char *min = "{\"id_prefix\":\"p\",\"hospital\":\"h\",\"department\":"
                      "\"d\",\"days\":[\"2026-12-08\"],\"segments\":[{"
                      "\"start\":\"00:00\",\"end\":\"00:01\",\"capacity\":1}]}";
    CHECK(gw_parse_template(min, strlen(min), &t, &f));
    CHECK_STR(t.tpl.place.campus, "");
    CHECK_STR(t.tpl.place.doctor, "");
    CHECK_EQ(t.tpl.kind, SLOTC_KIND_NORMAL);
    CHECK_EQ(t.tpl.place.pay_mode, SLOTC_PAY_ONLINE);
    CHECK_EQ(t.tpl.n_shares, 0);
    checkLibslotTemplate(&t.tpl);
    /* The largest template: 366 days x 48 segments, written loosely, fits
     * the gateway's default schedule body limit. */
    char *big = bigTemplate(SLOTC_TEMPLATE_DAYS_MAX, SLOTC_TEMPLATE_SEGS_MAX);
    fprintf(stderr, "366 x 48 template: %zu bytes\n", strlen(big));
    CHECK(strlen(big) < 65536);
    CHECK(gw_parse_template(big, strlen(big), &t, &f));
    CHECK_EQ(t.tpl.n_days, 366);
    CHECK_EQ(t.tpl.n_segments, 48);
    checkLibslotTemplate(&t.tpl);
    free(big);
    big = bigTemplate(SLOTC_TEMPLATE_DAYS_MAX + 1, 1);
    CHECK(!gw_parse_template(big, strlen(big), &t, &f));
    CHECK_EQ(f.code, SLOT_INVALID_ARGUMENT);
    CHECK(strstr(f.message, "\"days\"") != NULL);
    free(big);

#define T_HEAD "{\"id_prefix\":\"p\",\"hospital\":\"h\",\"department\":\"d\","
#define T_DAYS "\"days\":[\"2026-12-08\"],"
#define T_SEGS                                                                 \
    "\"segments\":[{\"start\":\"08:00\",\"end\":\"09:00\",\"capacity\":5}]"
    static const struct badCase bad[] = {
        {"{\"hospital\":\"h\",\"department\":\"d\"," T_DAYS T_SEGS "}",
         SLOT_MALFORMED, "\"id_prefix\""},
        {"{\"id_prefix\":\"p\",\"department\":\"d\"," T_DAYS T_SEGS "}",
         SLOT_MALFORMED, "\"hospital\""},
        {T_HEAD T_SEGS "}", SLOT_MALFORMED, "\"days\""},
        {T_HEAD T_DAYS "\"x\":1}", SLOT_MALFORMED, "\"x\""},
        {"{\"id_prefix\":\"p "
         "q\",\"hospital\":\"h\",\"department\":\"d\"," T_DAYS T_SEGS "}",
         SLOT_INVALID_ARGUMENT, "\"id_prefix\""},
        {"{\"id_prefix\":\"p012345678901234567890123456789012345678901234567"
         "89\",\"hospital\":\"h\",\"department\":\"d\"," T_DAYS T_SEGS "}",
         SLOT_INVALID_ARGUMENT, "\"id_prefix\""},
        {"{\"id_prefix\":\"p\",\"hospital\":\"h/"
         "x\",\"department\":\"d\"," T_DAYS T_SEGS "}",
         SLOT_INVALID_ARGUMENT, "\"hospital\""},
        {T_HEAD "\"campus\":\"a b\"," T_DAYS T_SEGS "}", SLOT_INVALID_ARGUMENT,
         "\"campus\""},
        {T_HEAD "\"kind\":\"vip\"," T_DAYS T_SEGS "}", SLOT_INVALID_ARGUMENT,
         "\"kind\""},
        {T_HEAD "\"fee_cents\":100000001," T_DAYS T_SEGS "}",
         SLOT_INVALID_ARGUMENT, "\"fee_cents\""},
        {T_HEAD "\"pay_mode\":\"cash\"," T_DAYS T_SEGS "}",
         SLOT_INVALID_ARGUMENT, "\"pay_mode\""},
        {T_HEAD "\"visit_slot_ms\":86400001," T_DAYS T_SEGS "}",
         SLOT_INVALID_ARGUMENT, "\"visit_slot_ms\""},
        {T_HEAD
         "\"shares\":[{\"channel\":\"114\",\"permille\":0}]," T_DAYS T_SEGS "}",
         SLOT_INVALID_ARGUMENT, "\"shares[0].permille\""},
        {T_HEAD "\"shares\":[{\"channel\":\"114\",\"permille\":600},{"
                "\"channel\":\"app\",\"permille\":401}]," T_DAYS T_SEGS "}",
         SLOT_INVALID_ARGUMENT, "\"shares\""},
        {T_HEAD "\"shares\":[{\"channel\":\"114\",\"permille\":1},{"
                "\"channel\":\"114\",\"permille\":1}]," T_DAYS T_SEGS "}",
         SLOT_INVALID_ARGUMENT, "\"114\""},
        {T_HEAD "\"shares\":[{\"permille\":1}]," T_DAYS T_SEGS "}",
         SLOT_MALFORMED, "\"shares[0].channel\""},
        {T_HEAD "\"eligible\":[\"a\",\"a\"]," T_DAYS T_SEGS "}",
         SLOT_INVALID_ARGUMENT, "\"eligible\""},
        {T_HEAD "\"remainder_allow\":\"window\"," T_DAYS T_SEGS "}",
         SLOT_MALFORMED, "\"remainder_allow\""},
        {T_HEAD "\"days\":[]," T_SEGS "}", SLOT_INVALID_ARGUMENT, "\"days\""},
        {T_HEAD "\"days\":[\"2026-02-29\"]," T_SEGS "}", SLOT_INVALID_ARGUMENT,
         "\"days[0]\""},
        {T_HEAD "\"days\":[20261208]," T_SEGS "}", SLOT_MALFORMED,
         "\"days[0]\""},
        {T_HEAD "\"days\":[\"2026-12-08\",\"2026-12-08\"]," T_SEGS "}",
         SLOT_INVALID_ARGUMENT, "\"days[1]\""},
        {T_HEAD "\"days\":[\"2026-12-09\",\"2026-12-08\"]," T_SEGS "}",
         SLOT_INVALID_ARGUMENT, "\"days[1]\""},
        {T_HEAD T_DAYS "\"segments\":[]}", SLOT_INVALID_ARGUMENT,
         "\"segments\""},
        {T_HEAD T_DAYS "\"segments\":[{\"start\":\"09:00\",\"end\":\"08:00\","
                       "\"capacity\":5}]}",
         SLOT_INVALID_ARGUMENT, "\"segments[0]\""},
        {T_HEAD T_DAYS "\"segments\":[{\"start\":\"08:00\",\"end\":\"09:00\","
                       "\"capacity\":5},{\"start\":\"08:30\",\"end\":\"10:00\","
                       "\"capacity\":5}]}",
         SLOT_INVALID_ARGUMENT, "\"segments[1]\""},
        {T_HEAD T_DAYS "\"segments\":[{\"start\":\"24:00\",\"end\":\"24:00\","
                       "\"capacity\":5}]}",
         SLOT_INVALID_ARGUMENT, "\"segments[0].start\""},
        {T_HEAD T_DAYS "\"segments\":[{\"start\":\"08:00\",\"end\":\"24:01\","
                       "\"capacity\":5}]}",
         SLOT_INVALID_ARGUMENT, "\"segments[0].end\""},
        {T_HEAD T_DAYS "\"segments\":[{\"start\":\"08:00\",\"end\":\"09:00\","
                       "\"capacity\":0}]}",
         SLOT_INVALID_ARGUMENT, "\"segments[0].capacity\""},
        {T_HEAD T_DAYS "\"segments\":[{\"start\":\"08:00\",\"end\":\"09:00\","
                       "\"capacity\":100001}]}",
         SLOT_INVALID_ARGUMENT, "\"segments[0].capacity\""},
        {T_HEAD T_DAYS "\"segments\":[{\"start\":\"08:00\",\"end\":\"09:00\"}"
                       "]}",
         SLOT_MALFORMED, "\"segments[0].capacity\""},
        {T_HEAD T_DAYS "\"segments\":[{\"start\":\"08:00\",\"end\":\"09:00\","
                       "\"capacity\":1,\"room\":3}]}",
         SLOT_MALFORMED, "\"segments[0]\""},
    };
#undef T_HEAD
#undef T_DAYS
#undef T_SEGS
    checkBad(parseTemplateFn, &t, bad, sizeof bad / sizeof bad[0]);
}

/* POST /v1/pools with a "schedule": the place, echoed in the reply. */
static void test_pool_schedule(void)
{
    static struct gw_args a;
    struct gw_fail f;
    gw_args_init(&a);
    const char *ok =
        "{\"pool\":\"P/d/2026-12-08/AM\",\"capacity\":6,\"segment\":{"
        "\"start_ms\":1796601600000,\"end_ms\":1796605200000},\"channels\":{"
        "\"online\":2},\"schedule\":{\"hospital\":\"P\",\"department\":"
        "\"derm\",\"doctor\":\"wang\",\"visit_date\":\"2026-12-08\","
        "\"pay_mode\":\"at_visit\",\"eligible\":[\"online\",\"window\"],"
        "\"remainder_allow\":[\"window\"]}}";
    CHECK(gw_parse_pool(ok, strlen(ok), &a, &f));
    const struct slotc_place *pl = a.spec.place;
    CHECK(pl == &a.place.place);
    CHECK_STR(pl->hospital, "P");
    CHECK_STR(pl->campus, "");
    CHECK_STR(pl->department, "derm");
    CHECK_EQ(pl->visit_day, slotc_day_parse("2026-12-08"));
    CHECK_EQ(pl->pay_mode, SLOTC_PAY_AT_VISIT);
    CHECK_EQ(pl->n_eligible, 2);
    CHECK_STR(pl->remainder_allow[0], "window");
    struct gw_buf b;
    gw_buf_init(&b, NULL, 0);
    gw_json_pool_spec(&b, &a.spec);
    CHECK(strstr(b.p,
                 ",\"schedule\":{\"hospital\":\"P\",\"campus\":\"\","
                 "\"department\":\"derm\",\"doctor\":\"wang\","
                 "\"visit_date\":\"2026-12-08\",\"pay_mode\":\"at_visit\","
                 "\"visit_slot_ms\":0,\"eligible\":[\"online\","
                 "\"window\"],\"remainder_allow\":[\"window\"]}}") != NULL);
    gw_buf_free(&b);
    /* null is no schedule. */
    const char *none = "{\"pool\":\"p\",\"capacity\":1,\"schedule\":null}";
    CHECK(gw_parse_pool(none, strlen(none), &a, &f));
    CHECK(a.spec.place == NULL);
    static const struct {
        const char *body;
        int code;
        const char *field;
    } bad[] = {
        {"{\"pool\":\"p\",\"capacity\":1,\"segment\":{\"start_ms\":1,"
         "\"end_ms\":2},\"schedule\":{\"department\":\"d\",\"visit_date\":"
         "\"2026-12-08\"}}",
         SLOT_MALFORMED, "\"schedule.hospital\""},
        {"{\"pool\":\"p\",\"capacity\":1,\"segment\":{\"start_ms\":1,"
         "\"end_ms\":2},\"schedule\":{\"hospital\":\"h\",\"department\":"
         "\"d\"}}",
         SLOT_MALFORMED, "\"schedule.visit_date\""},
        {"{\"pool\":\"p\",\"capacity\":1,\"segment\":{\"start_ms\":1,"
         "\"end_ms\":2},\"schedule\":{\"hospital\":\"h\",\"department\":"
         "\"d\",\"visit_date\":\"2026-13-01\"}}",
         SLOT_INVALID_ARGUMENT, "\"schedule.visit_date\""},
        {"{\"pool\":\"p\",\"capacity\":1,\"segment\":{\"start_ms\":1,"
         "\"end_ms\":2},\"schedule\":{\"hospital\":\"h\",\"department\":"
         "\"d\",\"visit_date\":\"2026-12-08\",\"flowed_back\":true}}",
         SLOT_MALFORMED, "\"flowed_back\""},
        {"{\"pool\":\"p\",\"capacity\":1,\"segment\":{\"start_ms\":1,"
         "\"end_ms\":2},\"schedule\":{\"hospital\":\"h\",\"department\":"
         "\"d\",\"visit_date\":\"2026-12-08\",\"eligible\":[\"X\"]}}",
         SLOT_INVALID_ARGUMENT, "\"schedule.eligible[0]\""},
        {"{\"pool\":\"p\",\"capacity\":1,\"schedule\":{\"hospital\":\"h\","
         "\"department\":\"d\",\"visit_date\":\"2026-12-08\"}}",
         SLOT_INVALID_ARGUMENT, "\"segment\""},
        {"{\"pool\":\"p\",\"capacity\":1,\"schedule\":[]}", SLOT_MALFORMED,
         "\"schedule\""},
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
    /* Reads: "schedule" null for a free-standing pool, else the place with
     * the ledger's flow-back state. */
    struct slotc_pool p;
    memset(&p, 0, sizeof p);
    snprintf(p.pool, sizeof p.pool, "x");
    gw_buf_init(&b, NULL, 0);
    gw_json_pool(&b, &p);
    CHECK(strstr(b.p, ",\"schedule\":null,\"cooling\":0,\"waiting\":0}") !=
          NULL);
    gw_buf_free(&b);
    p.scheduled = true;
    snprintf(p.place.hospital, sizeof p.place.hospital, "P");
    snprintf(p.place.department, sizeof p.place.department, "derm");
    p.place.visit_day = (uint32_t)slotc_day_parse("2026-12-08");
    p.place.n_remainder_allow = 1;
    snprintf(p.place.remainder_allow[0], sizeof p.place.remainder_allow[0],
             "window");
    p.place.flow_due_ms = 1796569200000ull;
    gw_buf_init(&b, NULL, 0);
    gw_json_pool(&b, &p);
    CHECK(strstr(b.p,
                 ",\"schedule\":{\"hospital\":\"P\",\"campus\":\"\","
                 "\"department\":\"derm\",\"doctor\":\"\",\"visit_date\":"
                 "\"2026-12-08\",\"pay_mode\":\"online\",\"visit_slot_ms\":"
                 "0,\"eligible\":[],\"remainder_allow\":[\"window\"],"
                 "\"flow_back_at_ms\":1796569200000,\"flowed_back\":"
                 "false},\"cooling\":0,\"waiting\":0}") != NULL);
    gw_buf_free(&b);
    p.place.flow_due_ms = 0;
    p.place.flowed_back = true;
    gw_buf_init(&b, NULL, 0);
    gw_json_pool(&b, &p);
    CHECK(strstr(
              b.p,
              "\"flow_back_at_ms\":null,\"flowed_back\":true},\"cooling\":0") !=
          NULL);
    gw_buf_free(&b);
    /* Claims: the visit window, paid, the bucket. */
    struct slotc_claim c;
    memset(&c, 0, sizeof c);
    c.id = 7;
    c.state = SLOTC_CLAIM_BOOKED;
    c.visit_start_ms = 100;
    c.visit_end_ms = 200;
    snprintf(c.bucket, sizeof c.bucket, "online");
    gw_buf_init(&b, NULL, 0);
    gw_json_claim(&b, "booking", &c);
    CHECK(strstr(b.p, ",\"payment_ref\":\"\",\"visit_start_ms\":100,"
                      "\"visit_end_ms\":200,\"paid\":false,\"bucket\":"
                      "\"online\",\"attendance\":\"pending\","
                      "\"checked_in_at_ms\":0,\"moved_to\":0,"
                      "\"moved_from\":0,\"refunded\":false,"
                      "\"affected\":false,\"pay_method\":\"\","
                      "\"fee_paid_cents\":0}") != NULL);
    gw_buf_free(&b);
}

typedef bool (*queryFn)(const char *qs, size_t len, struct gw_args *a,
                        struct gw_fail *f);

static void checkBadQuery(queryFn fn, const struct badCase *c, size_t n)
{
    static struct gw_args a;
    for (size_t i = 0; i < n; i++) {
        struct gw_fail f = {0, ""};
        gw_args_init(&a);
        bool ok = fn(c[i].in, strlen(c[i].in), &a, &f);
        if (ok || f.code != c[i].code ||
            strstr(f.message, c[i].field) == NULL) {
            fprintf(stderr, "?%s -> %s %d %s (want %d naming %s)\n", c[i].in,
                    ok ? "accepted" : "refused", f.code, f.message, c[i].code,
                    c[i].field);
        }
        CHECK(!ok);
        CHECK_EQ(f.code, c[i].code);
        CHECK(strstr(f.message, c[i].field) != NULL);
    }
}

static void test_query_strings(void)
{
    static struct gw_args a;
    struct gw_fail f;
    gw_args_init(&a);
    const char *qs = "hospital=PUMCH&department=cardio&doctor=dr-li&"
                     "date_from=2026-12-08&date_to=2026-12-14&kind=expert&"
                     "after=PUMCH%2Fcardio%2Fx&limit=50&stale=1";
    CHECK(gw_parse_pools_query(qs, strlen(qs), &a, &f));
    const struct slotc_query *q = &a.query.q;
    CHECK_STR(q->hospital, "PUMCH");
    CHECK_STR(q->department, "cardio");
    CHECK_STR(q->doctor, "dr-li");
    CHECK_EQ(q->date_from, slotc_day_parse("2026-12-08"));
    CHECK_EQ(q->date_to, slotc_day_parse("2026-12-14"));
    CHECK_EQ(q->kind, SLOTC_KIND_EXPERT);
    CHECK_STR(q->after, "PUMCH/cardio/x");
    CHECK_EQ(q->limit, 50);
    CHECK(a.query.stale);
    /* Defaults; empty values and empty pairs are no parameter. */
    const char *min = "hospital=H&&department=&stale=&";
    CHECK(gw_parse_pools_query(min, strlen(min), &a, &f));
    CHECK_STR(q->hospital, "H");
    CHECK_STR(q->department, "");
    CHECK_STR(q->after, "");
    CHECK_EQ(q->kind, -1);
    CHECK_EQ(q->date_from, 0);
    CHECK_EQ(q->limit, GW_LIST_LIMIT_DEFAULT);
    CHECK(!a.query.stale);
    CHECK(
        gw_parse_pools_query("hospital=H&limit=1000&stale=false", 33, &a, &f));
    CHECK_EQ(q->limit, 1000);
    static const struct badCase badPools[] = {
        {"", SLOT_MALFORMED, "\"hospital\""},
        {"hospital=", SLOT_MALFORMED, "\"hospital\""},
        {"department=x", SLOT_MALFORMED, "\"hospital\""},
        {"hospital=H&color=red", SLOT_MALFORMED, "\"color\""},
        {"hospital=H&hospital=G", SLOT_MALFORMED, "\"hospital\""},
        {"hospital=H&stale", SLOT_MALFORMED, "\"stale\""},
        {"hospital=a%20b", SLOT_INVALID_ARGUMENT, "\"hospital\""},
        {"hospital=H%zz", SLOT_MALFORMED, "percent-encoding"},
        {"hospital=H&department=a/b", SLOT_INVALID_ARGUMENT, "\"department\""},
        {"hospital=H&doctor=%00", SLOT_INVALID_ARGUMENT, "\"doctor\""},
        {"hospital=H&date_from=2026-12-8", SLOT_INVALID_ARGUMENT,
         "\"date_from\""},
        {"hospital=H&date_to=2026-02-30", SLOT_INVALID_ARGUMENT, "\"date_to\""},
        {"hospital=H&kind=vip", SLOT_INVALID_ARGUMENT, "\"kind\""},
        {"hospital=H&kind=expert%00", SLOT_INVALID_ARGUMENT, "\"kind\""},
        {"hospital=H&limit=0", SLOT_INVALID_ARGUMENT, "\"limit\""},
        {"hospital=H&limit=1001", SLOT_INVALID_ARGUMENT, "\"limit\""},
        {"hospital=H&limit=010", SLOT_INVALID_ARGUMENT, "\"limit\""},
        {"hospital=H&limit=-1", SLOT_INVALID_ARGUMENT, "\"limit\""},
        {"hospital=H&limit=99999999999999999999999", SLOT_INVALID_ARGUMENT,
         "\"limit\""},
        {"hospital=H&after=a%20b", SLOT_INVALID_ARGUMENT, "\"after\""},
        {"hospital=H&stale=yes", SLOT_INVALID_ARGUMENT, "\"stale\""},
        {"hospital=H&Hospital=G", SLOT_MALFORMED, "\"Hospital\""},
        {"hospital=H&a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9&j=10&k=11&l=12",
         SLOT_MALFORMED, "\"a\""},
    };
    checkBadQuery(gw_parse_pools_query, badPools,
                  sizeof badPools / sizeof badPools[0]);
    char longv[400];
    snprintf(longv, sizeof longv, "hospital=%0200d", 0);
    gw_args_init(&a);
    CHECK(!gw_parse_pools_query(longv, strlen(longv), &a, &f));
    CHECK_EQ(f.code, SLOT_INVALID_ARGUMENT);
    CHECK(strstr(f.message, "\"hospital\"") != NULL);

    gw_args_init(&a);
    CHECK(gw_arg_hospital(&a, "PUMCH", 5, &f));
    CHECK_STR(a.query.hospital, "PUMCH");
    CHECK(!gw_arg_hospital(&a, "a b", 3, &f));
    CHECK_EQ(f.code, SLOT_INVALID_ARGUMENT);
    CHECK(gw_parse_rules_query("department=cardio", 17, &a, &f));
    CHECK_STR(a.query.department, "cardio");
    CHECK(gw_parse_rules_query("", 0, &a, &f));
    CHECK_STR(a.query.department, "");
    static const struct badCase badRules[] = {
        {"department=a%2Fb", SLOT_INVALID_ARGUMENT, "\"department\""},
        {"dept=a", SLOT_MALFORMED, "\"dept\""},
        {"department=a&department=b", SLOT_MALFORMED, "\"department\""},
    };
    checkBadQuery(gw_parse_rules_query, badRules,
                  sizeof badRules / sizeof badRules[0]);
    CHECK(gw_parse_log_query("after=18446744073709551615&limit=1", 34, &a, &f));
    CHECK_EQ(a.query.after_version, UINT64_MAX);
    CHECK_EQ(a.query.limit, 1);
    CHECK(gw_parse_log_query("after=0", 7, &a, &f));
    CHECK_EQ(a.query.after_version, 0);
    CHECK_EQ(a.query.limit, GW_LIST_LIMIT_DEFAULT);
    static const struct badCase badLog[] = {
        {"after=18446744073709551616", SLOT_INVALID_ARGUMENT, "\"after\""},
        {"after=x", SLOT_INVALID_ARGUMENT, "\"after\""},
        {"limit=0", SLOT_INVALID_ARGUMENT, "\"limit\""},
        {"department=x", SLOT_MALFORMED, "\"department\""},
    };
    checkBadQuery(gw_parse_log_query, badLog, sizeof badLog / sizeof badLog[0]);
    CHECK(gw_parse_import_query("dry_run=1", 9, &a, &f));
    CHECK(a.query.dry_run);
    CHECK(gw_parse_import_query("dry_run=false", 13, &a, &f));
    CHECK(!a.query.dry_run);
    CHECK(gw_parse_import_query("", 0, &a, &f));
    CHECK(!a.query.dry_run);
    static const struct badCase badImport[] = {
        {"dry_run=2", SLOT_INVALID_ARGUMENT, "\"dry_run\""},
        {"dryrun=1", SLOT_MALFORMED, "\"dryrun\""},
    };
    checkBadQuery(gw_parse_import_query, badImport,
                  sizeof badImport / sizeof badImport[0]);
}

/* Response bodies of the new routes: fixed order, the page logic. */
static void test_sched_replies(void)
{
    static struct gw_args a;
    struct gw_fail f;
    static struct slotc_pool pools[2];
    memset(pools, 0, sizeof pools);
    snprintf(pools[0].pool, sizeof pools[0].pool, "p1");
    snprintf(pools[1].pool, sizeof pools[1].pool, "p2");
    struct slotc_out out;
    memset(&out, 0, sizeof out);
    out.pools = pools;
    out.n_pools = 2;
    out.total = 5;
    out.index = 42;
    out.node = "127.0.0.1:7101";
    gw_args_init(&a);
    CHECK(gw_parse_pools_query("hospital=H&limit=2&stale=1", 26, &a, &f));
    struct gw_buf b;
    gw_buf_init(&b, NULL, 0);
    gw_json_pool_list(&b, &out, &a.query);
    CHECK(strncmp(b.p, "{\"total\":5,\"pools\":[{\"pool\":\"p1\",", 32) == 0);
    CHECK(strstr(b.p, "}],\"next_after\":\"p2\",\"applied_index\":42,"
                      "\"node\":\"127.0.0.1:7101\",\"stale\":true}") != NULL);
    gw_buf_free(&b);
    /* A short page is the last; so is a first page holding every match. */
    out.n_pools = 1;
    gw_buf_init(&b, NULL, 0);
    gw_json_pool_list(&b, &out, &a.query);
    CHECK(strstr(b.p, "\"next_after\":null") != NULL);
    gw_buf_free(&b);
    out.n_pools = 2;
    out.total = 2;
    gw_buf_init(&b, NULL, 0);
    gw_json_pool_list(&b, &out, &a.query);
    CHECK(strstr(b.p, "\"next_after\":null") != NULL);
    gw_buf_free(&b);

    gw_buf_init(&b, NULL, 0);
    const char *conf[2] = {"a/20261208/0800", "a/20261208/0830"};
    gw_json_import(&b, 0, 3, conf, 2, true);
    CHECK_STR(b.p, "{\"created\":0,\"unchanged\":3,\"conflicts\":["
                   "\"a/20261208/0800\",\"a/20261208/0830\"],"
                   "\"dry_run\":true}");
    gw_buf_free(&b);
    gw_buf_init(&b, NULL, 0);
    gw_json_rules_set(&b, "H", "", 3);
    CHECK_STR(b.p, "{\"hospital\":\"H\",\"department\":\"\",\"version\":3}");
    gw_buf_free(&b);

    static struct slotc_rules_info v[2];
    memset(v, 0, sizeof v);
    for (int i = 0; i < 2; i++) {
        slotc_rules_init(&v[i].rules);
        v[i].version = (uint64_t)i + 1;
        snprintf(v[i].operator_name, sizeof v[i].operator_name, "op");
        snprintf(v[i].reason, sizeof v[i].reason, "\xe6\x8e\x92\xe7\x8f\xad");
    }
    v[1].inherited = true;
    gw_buf_init(&b, NULL, 0);
    gw_json_rules_info(&b, "H", &v[1]);
    CHECK(strncmp(b.p,
                  "{\"hospital\":\"H\",\"department\":\"\",\"inherited\":true,"
                  "\"version\":2,\"changed_at_ms\":0,\"operator\":\"op\","
                  "\"reason\":\"\xe6\x8e\x92\xe7\x8f\xad\",\"rules\":{",
                  120) == 0);
    gw_buf_free(&b);
    gw_buf_init(&b, NULL, 0);
    gw_json_rules_log(&b, "H", v, 2, 2);
    CHECK(strstr(b.p, "],\"next_after\":2}") != NULL);
    json_t *j = json_loads(b.p, 0, NULL);
    CHECK(j != NULL);
    CHECK_EQ(json_array_size(json_object_get(j, "changes")), 2);
    json_decref(j);
    gw_buf_free(&b);
    gw_buf_init(&b, NULL, 0);
    gw_json_rules_log(&b, "H", v, 2, 3);
    CHECK(strstr(b.p, "],\"next_after\":null}") != NULL);
    gw_buf_free(&b);
}

/* The visit day's bodies: stop, move, checkin (gw_json.h). */
static void test_visit_bodies(void)
{
    struct gw_args a;
    struct gw_fail f;
    gw_args_init(&a);
    const char *stop = "{\"operator\":\"ops@pumch\",\"reason\":"
                       "\"\xe5\x81\x9c\xe8\xaf\x8a\"}";
    CHECK(gw_parse_stop(stop, strlen(stop), &a, &f));
    CHECK_STR(a.operator_name, "ops@pumch");
    CHECK_STR(a.reason, "\xe5\x81\x9c\xe8\xaf\x8a");
    static const struct badCase badStop[] = {
        {"", SLOT_MALFORMED, "object"},
        {"{}", SLOT_MALFORMED, "\"operator\""},
        {"{\"operator\":\"a\"}", SLOT_MALFORMED, "\"reason\""},
        {"{\"operator\":\"a b\",\"reason\":\"r\"}", SLOT_INVALID_ARGUMENT,
         "\"operator\""},
        {"{\"operator\":\"a\",\"reason\":\"\"}", SLOT_INVALID_ARGUMENT,
         "\"reason\""},
        {"{\"operator\":\"a\",\"reason\":\"r\",\"pool\":\"p\"}", SLOT_MALFORMED,
         "unknown field \"pool\""},
        {"{\"operator\":1,\"reason\":\"r\"}", SLOT_MALFORMED,
         "\"operator\" must be a string"},
        {"{\"operator\":\"a\",\"operator\":\"b\",\"reason\":\"r\"}",
         SLOT_MALFORMED, "invalid JSON"},
        {"[]", SLOT_MALFORMED, "object"},
    };
    for (size_t i = 0; i < sizeof badStop / sizeof badStop[0]; i++) {
        f.code = 0;
        bool ok = gw_parse_stop(badStop[i].in, strlen(badStop[i].in), &a, &f);
        if (ok || f.code != badStop[i].code ||
            strstr(f.message, badStop[i].field) == NULL) {
            fprintf(stderr, "stop %s -> %d %s\n", badStop[i].in, f.code,
                    f.message);
        }
        CHECK(!ok);
        CHECK_EQ(f.code, badStop[i].code);
        CHECK(strstr(f.message, badStop[i].field) != NULL);
    }

    gw_args_init(&a);
    const char *move = "{\"pool\":\"PUMCH/derm/20261208/0800\"}";
    CHECK(gw_parse_move(move, strlen(move), &a, &f));
    CHECK_STR(a.pool, "PUMCH/derm/20261208/0800");
    static const struct badCase badMove[] = {
        {"", SLOT_MALFORMED, "object"},
        {"{}", SLOT_MALFORMED, "missing field \"pool\""},
        {"{\"pool\":\"a b\"}", SLOT_INVALID_ARGUMENT, "\"pool\""},
        {"{\"pool\":\"\"}", SLOT_INVALID_ARGUMENT, "\"pool\""},
        {"{\"pool\":7}", SLOT_MALFORMED, "\"pool\" must be a string"},
        {"{\"pool\":\"p\",\"booking\":3}", SLOT_MALFORMED,
         "unknown field \"booking\""},
        {"{\"pool\":\"p\"", SLOT_MALFORMED, "invalid JSON"},
    };
    for (size_t i = 0; i < sizeof badMove / sizeof badMove[0]; i++) {
        f.code = 0;
        bool ok = gw_parse_move(badMove[i].in, strlen(badMove[i].in), &a, &f);
        if (ok || f.code != badMove[i].code ||
            strstr(f.message, badMove[i].field) == NULL) {
            fprintf(stderr, "move %s -> %d %s\n", badMove[i].in, f.code,
                    f.message);
        }
        CHECK(!ok);
        CHECK_EQ(f.code, badMove[i].code);
        CHECK(strstr(f.message, badMove[i].field) != NULL);
    }
    char longPool[300];
    snprintf(longPool, sizeof longPool, "{\"pool\":\"%0*d\"}",
             SLOT_POOL_ID_MAX + 1, 0);
    CHECK(!gw_parse_move(longPool, strlen(longPool), &a, &f));
    CHECK_EQ(f.code, SLOT_INVALID_ARGUMENT);

    /* Check-in: the patient as in a hold, by key or identity. */
    struct gw_ident id;
    setSecret(&id);
    const struct gw_patient_rules idOnly = {&id, false};
    const struct gw_patient_rules both = {&id, true};
    const struct gw_patient_rules noSecret = {NULL, true};
    gw_args_init(&a);
    const char *ci = "{\"id_type\":\"id_card\",\"id_number\":"
                     "\"11010519491231002X\",\"payment_ref\":\"desk-1\"}";
    CHECK(gw_parse_checkin(ci, strlen(ci), &idOnly, &a, &f));
    CHECK_STR(a.patient, "rn:101b9c094c6dd7b9e063d97c358ac6f2");
    CHECK_STR(a.payment_ref, "desk-1");
    gw_args_init(&a);
    const char *co = "{\"patient\":\"patient-0001\"}";
    CHECK(gw_parse_checkin(co, strlen(co), &noSecret, &a, &f));
    CHECK_STR(a.patient, "patient-0001");
    CHECK_STR(a.payment_ref, "");
    const struct {
        const char *body;
        const struct gw_patient_rules *pr;
        int code;
        const char *msg;
    } badCi[] = {
        {"", &both, SLOT_MALFORMED, "object"},
        {"{}", &both, SLOT_MALFORMED, "missing field \"patient\""},
        {"{\"payment_ref\":\"x\"}", &both, SLOT_MALFORMED,
         "missing field \"patient\""},
        {"{\"patient\":\"patient-0001\"}", &idOnly, GW_OPAQUE_KEY_NOT_ALLOWED,
         "id_type"},
        {"{\"id_type\":\"id_card\",\"id_number\":\"11010519491231002X\"}",
         &noSecret, GW_IDENTITY_NOT_CONFIGURED, "\"identity\""},
        {"{\"id_type\":\"id_card\",\"id_number\":\"110105194912310021\"}",
         &idOnly, GW_INVALID_ID_NUMBER, "check digit"},
        {"{\"patient\":\"patient-0001\",\"id_type\":\"id_card\","
         "\"id_number\":\"11010519491231002X\"}",
         &both, SLOT_MALFORMED, "not both"},
        {"{\"id_type\":\"id_card\",\"id_number\":\"11010519491231002X\","
         "\"payment_ref\":\"a b\"}",
         &idOnly, SLOT_INVALID_ARGUMENT, "\"payment_ref\""},
        {"{\"id_type\":\"id_card\",\"id_number\":\"11010519491231002X\","
         "\"ttl_ms\":5}",
         &idOnly, SLOT_MALFORMED, "unknown field \"ttl_ms\""},
        {"{\"id_type\":\"id_card\",\"id_number\":110105194912310021X}", &idOnly,
         SLOT_MALFORMED, "invalid JSON"},
        {"{\"patient\":\"rn:101b9c094c6dd7b9e063d97c358ac6f2\"}", &both,
         SLOT_INVALID_ARGUMENT, "derived"},
    };
    for (size_t i = 0; i < sizeof badCi / sizeof badCi[0]; i++) {
        gw_args_init(&a);
        f.code = 0;
        f.message[0] = '\0';
        bool ok = gw_parse_checkin(badCi[i].body, strlen(badCi[i].body),
                                   badCi[i].pr, &a, &f);
        if (ok || f.code != badCi[i].code ||
            strstr(f.message, badCi[i].msg) == NULL) {
            fprintf(stderr, "checkin %s -> %s %s\n", badCi[i].body,
                    gw_err_name(f.code), f.message);
        }
        CHECK(!ok);
        CHECK_EQ(f.code, badCi[i].code);
        CHECK(strstr(f.message, badCi[i].msg) != NULL);
        /* No message repeats a number; a refusal names no patient. */
        CHECK(strstr(f.message, "1101051949") == NULL);
        CHECK_STR(a.patient, "");
    }
}

/* The visit day's JSON: a claim's new members, a pool's claims page, the
 * staff log's pool_stop, the rules' visit object. */
static void test_visit_json(void)
{
    struct slotc_claim c[2];
    memset(c, 0, sizeof c);
    c[0].id = 41;
    c[0].state = SLOTC_CLAIM_CANCELLED;
    c[0].refunded = true;
    c[0].affected = true;
    c[1].id = 42;
    c[1].state = SLOTC_CLAIM_BOOKED;
    c[1].attendance = 1;
    c[1].checked_in_at_ms = 1234;
    c[1].moved_from = 9;
    struct gw_buf b;
    gw_buf_init(&b, NULL, 0);
    gw_json_claim_list(&b, "p/1", c, 2, 2);
    json_t *j = json_loads(b.p, 0, NULL);
    CHECK(j != NULL);
    CHECK_STR(json_string_value(json_object_get(j, "pool")), "p/1");
    CHECK_EQ(json_integer_value(json_object_get(j, "next_after")), 42);
    json_t *c0 = json_array_get(json_object_get(j, "claims"), 0);
    json_t *c1 = json_array_get(json_object_get(j, "claims"), 1);
    CHECK_EQ(json_integer_value(json_object_get(c0, "hold")), 41);
    CHECK(json_is_true(json_object_get(c0, "refunded")));
    CHECK(json_is_true(json_object_get(c0, "affected")));
    CHECK_STR(json_string_value(json_object_get(c1, "attendance")),
              "checked_in");
    CHECK_EQ(json_integer_value(json_object_get(c1, "checked_in_at_ms")), 1234);
    CHECK_EQ(json_integer_value(json_object_get(c1, "moved_from")), 9);
    CHECK_EQ(json_integer_value(json_object_get(c1, "moved_to")), 0);
    json_decref(j);
    gw_buf_free(&b);
    /* A short page: the last. */
    gw_buf_init(&b, NULL, 0);
    gw_json_claim_list(&b, "p", c, 1, 100);
    CHECK(strstr(b.p, "\"next_after\":null}") != NULL);
    gw_buf_free(&b);
    gw_buf_init(&b, NULL, 0);
    gw_json_claim_list(&b, "p", c, 0, 100);
    CHECK_STR(b.p, "{\"pool\":\"p\",\"claims\":[],\"next_after\":null}");
    gw_buf_free(&b);
    /* A moved claim, a no-show. */
    c[0].state = SLOTC_CLAIM_MOVED;
    c[0].moved_to = 77;
    c[0].attendance = 2;
    gw_buf_init(&b, NULL, 0);
    gw_json_claim(&b, "booking", &c[0]);
    CHECK(strstr(b.p, "\"state\":\"moved\"") != NULL);
    CHECK(strstr(b.p, "\"attendance\":\"no_show\"") != NULL);
    CHECK(strstr(b.p, "\"moved_to\":77") != NULL);
    gw_buf_free(&b);

    /* The staff log: a stop names its pool, no patient, no kind. */
    struct slotc_staff_entry e[2];
    memset(e, 0, sizeof e);
    e[0].seq = 1;
    e[0].op = SLOTC_OP_VIOLATION;
    e[0].kind = SLOTC_VIOLATION_NO_SHOW;
    snprintf(e[0].hospital, sizeof e[0].hospital, "H");
    snprintf(e[0].patient, sizeof e[0].patient, "patient-0001");
    e[1].seq = 2;
    e[1].at_ms = 5;
    e[1].op = SLOTC_OP_POOL_STOP;
    snprintf(e[1].hospital, sizeof e[1].hospital, "H");
    snprintf(e[1].pool, sizeof e[1].pool, "H/derm/1");
    snprintf(e[1].operator_name, sizeof e[1].operator_name, "ops");
    snprintf(e[1].reason, sizeof e[1].reason, "sick");
    gw_buf_init(&b, NULL, 0);
    gw_json_staff_log(&b, e, 2, 100);
    CHECK(strstr(b.p, "\"reason\":\"\",\"pool\":\"\"}") != NULL);
    CHECK(strstr(b.p, "{\"seq\":2,\"at_ms\":5,\"op\":\"pool_stop\","
                      "\"hospital\":\"H\",\"patient\":\"\",\"kind\":null,"
                      "\"operator\":\"ops\",\"reason\":\"sick\","
                      "\"pool\":\"H/derm/1\"}") != NULL);
    gw_buf_free(&b);

    /* The rules' visit object: parsed, shown, refused by path. */
    struct slotc_rules r;
    struct gw_fail f;
    const char *v = "{\"visit\":{\"checkin_before_ms\":3600000,"
                    "\"checkin_late_ms\":600000,\"noshow_sweep\":true}}";
    CHECK(gw_parse_rules(v, strlen(v), &r, &f));
    CHECK_EQ(r.visit.checkin_before_ms, 3600000);
    CHECK_EQ(r.visit.checkin_late_ms, 600000);
    CHECK(r.visit.noshow_sweep);
    checkLibslotRules(&r);
    gw_buf_init(&b, NULL, 0);
    gw_json_rules(&b, &r);
    CHECK(strstr(b.p,
                 ",\"visit\":{\"checkin_before_ms\":3600000,"
                 "\"checkin_late_ms\":600000,\"noshow_sweep\":true}}") != NULL);
    gw_buf_free(&b);
    /* Left out inside the object: the defaults. */
    const char *part = "{\"visit\":{\"noshow_sweep\":true}}";
    CHECK(gw_parse_rules(part, strlen(part), &r, &f));
    struct slotc_rules init;
    slotc_rules_init(&init);
    CHECK_EQ(r.visit.checkin_before_ms, init.visit.checkin_before_ms);
    CHECK_EQ(r.visit.checkin_late_ms, init.visit.checkin_late_ms);
    static const struct badCase bad[] = {
        {"{\"visit\":{\"checkin_before_ms\":86400001}}", SLOT_INVALID_ARGUMENT,
         "visit.checkin_before_ms: 86400001 is out of range 0..86400000"},
        {"{\"visit\":{\"checkin_late_ms\":-1}}", SLOT_INVALID_ARGUMENT,
         "visit.checkin_late_ms"},
        {"{\"visit\":{\"checkin_late_ms\":\"1\"}}", SLOT_MALFORMED,
         "visit.checkin_late_ms"},
        {"{\"visit\":{\"noshow_sweep\":1}}", SLOT_MALFORMED,
         "visit.noshow_sweep"},
        {"{\"visit\":{\"sweep\":true}}", SLOT_MALFORMED, "sweep"},
        {"{\"visit\":null}", SLOT_MALFORMED, "visit"},
        {"{\"visit\":[]}", SLOT_MALFORMED, "visit"},
    };
    checkBad(parseRulesFn, &r, bad, sizeof bad / sizeof bad[0]);
}

/* ---- the event feed ------------------------------------------------------ */

static struct slotc_event mkEvent(uint64_t seq, int type, const char *channel,
                                  const char *account)
{
    struct slotc_event e;
    memset(&e, 0, sizeof e);
    e.seq = seq;
    e.index = 100 + seq;
    e.time_ms = 1700000000000ull + seq;
    e.type = type;
    snprintf(e.pool, sizeof e.pool, "H/c/%llu", (unsigned long long)seq);
    e.claim = seq * 10;
    snprintf(e.patient, sizeof e.patient, "pat-%llu", (unsigned long long)seq);
    snprintf(e.channel, sizeof e.channel, "%s", channel);
    snprintf(e.account, sizeof e.account, "%s", account);
    snprintf(e.hospital, sizeof e.hospital, "H");
    e.a = 7;
    e.b = 1;
    return e;
}

/* Every type has a class, and each class its viewers. */
static void test_event_filter(void)
{
    const struct gw_ev_viewer admin = {true, "admin", ""};
    const struct gw_ev_viewer app = {false, "app", ""};
    const struct gw_ev_viewer app_ac = {false, "app", "ac:1"};
    const struct gw_ev_viewer win_ac = {false, "window", "ac:1"};
    for (int t = 1; t <= SLOTC_EV_WAIT_LEFT; t++) {
        CHECK(gw_ev_class(t) != GW_EV_CLASS_UNKNOWN);
        CHECK(slotc_event_name(t) != NULL);
    }
    CHECK_EQ(gw_ev_class(0), GW_EV_CLASS_UNKNOWN);
    CHECK_EQ(gw_ev_class(SLOTC_EV_WAIT_LEFT + 1), GW_EV_CLASS_UNKNOWN);
    static const int claim[] = {
        SLOTC_EV_HELD,        SLOTC_EV_OFFERED,    SLOTC_EV_BOOKED,
        SLOTC_EV_RELEASED,    SLOTC_EV_EXPIRED,    SLOTC_EV_CANCELLED,
        SLOTC_EV_MOVED,       SLOTC_EV_CHECKED_IN, SLOTC_EV_NO_SHOW,
        SLOTC_EV_WAIT_JOINED, SLOTC_EV_WAIT_LEFT};
    for (size_t i = 0; i < sizeof claim / sizeof claim[0]; i++) {
        struct slotc_event e = mkEvent(1, claim[i], "app", "ac:1");
        CHECK_EQ(gw_ev_class(claim[i]), GW_EV_CLASS_CLAIM);
        CHECK_EQ(gw_ev_visible(&admin, &e), GW_EV_SHOWN);
        CHECK_EQ(gw_ev_visible(&app, &e), GW_EV_SHOWN);
        CHECK_EQ(gw_ev_visible(&win_ac, &e), GW_EV_SHOWN); /* its account */
        struct slotc_event o = mkEvent(2, claim[i], "window", "ac:2");
        CHECK_EQ(gw_ev_visible(&app, &o), GW_EV_HIDDEN);
        CHECK_EQ(gw_ev_visible(&app_ac, &o), GW_EV_HIDDEN);
        CHECK_EQ(gw_ev_visible(&admin, &o), GW_EV_SHOWN);
        /* An event without an account is no one's by account. */
        struct slotc_event n = mkEvent(3, claim[i], "window", "");
        const struct gw_ev_viewer empty_ac = {false, "app", ""};
        CHECK_EQ(gw_ev_visible(&empty_ac, &n), GW_EV_HIDDEN);
    }
    static const int pool[] = {SLOTC_EV_POOL_CREATED, SLOTC_EV_POOL_UPDATED,
                               SLOTC_EV_POOL_CLOSED,  SLOTC_EV_POOL_STOPPED,
                               SLOTC_EV_FLOWED_BACK,  SLOTC_EV_SLOT_FREED,
                               SLOTC_EV_RULES_CHANGED};
    for (size_t i = 0; i < sizeof pool / sizeof pool[0]; i++) {
        struct slotc_event e = mkEvent(1, pool[i], "window", "ac:2");
        CHECK_EQ(gw_ev_class(pool[i]), GW_EV_CLASS_POOL);
        CHECK_EQ(gw_ev_visible(&app, &e), GW_EV_REDACTED);
        CHECK_EQ(gw_ev_visible(&admin, &e), GW_EV_SHOWN);
        struct slotc_event own = mkEvent(1, pool[i], "app", "");
        CHECK_EQ(gw_ev_visible(&app, &own), GW_EV_SHOWN);
    }
    static const int staff[] = {
        SLOTC_EV_CONFIG_CHANGED, SLOTC_EV_VIOLATION,
        SLOTC_EV_UNBLOCKED,      SLOTC_EV_EXCEPTION,
        SLOTC_EV_ACCOUNT_BOUND,  SLOTC_EV_ACCOUNT_UNBOUND};
    for (size_t i = 0; i < sizeof staff / sizeof staff[0]; i++) {
        /* Even with the viewer's channel on it (an unpaid hold's
         * violation): staff news, the patient's through its account. */
        struct slotc_event e = mkEvent(1, staff[i], "app", "ac:1");
        CHECK_EQ(gw_ev_class(staff[i]), GW_EV_CLASS_STAFF);
        CHECK_EQ(gw_ev_visible(&app, &e), GW_EV_HIDDEN);
        CHECK_EQ(gw_ev_visible(&app_ac, &e), GW_EV_SHOWN);
        CHECK_EQ(gw_ev_visible(&admin, &e), GW_EV_SHOWN);
    }
    struct slotc_event u = mkEvent(1, 99, "app", "ac:1");
    CHECK_EQ(gw_ev_visible(&app_ac, &u), GW_EV_HIDDEN);
    CHECK_EQ(gw_ev_visible(&admin, &u), GW_EV_SHOWN);
}

/* A page: the visible events in order, every field, and next_after the
 * last examined even when it is hidden. */
static void test_event_json(void)
{
    struct slotc_event ev[4] = {
        mkEvent(5, SLOTC_EV_HELD, "app", ""),
        mkEvent(6, SLOTC_EV_SLOT_FREED, "window", "ac:9"),
        mkEvent(7, SLOTC_EV_BOOKED, "app", ""),
        mkEvent(8, SLOTC_EV_HELD, "window", ""),
    };
    const struct gw_ev_viewer app = {false, "app", ""};
    struct gw_buf b;
    gw_buf_init(&b, NULL, 0);
    CHECK_EQ(gw_json_events_page(&b, &app, ev, 4, 4, 3, 8), 3);
    json_error_t je;
    json_t *j = json_loadb(b.p, b.len, 0, &je);
    CHECK(j != NULL);
    json_t *arr = json_object_get(j, "events");
    CHECK_EQ(json_array_size(arr), 3);
    CHECK_EQ(json_integer_value(json_object_get(j, "next_after")), 8);
    CHECK_EQ(json_integer_value(json_object_get(j, "first")), 3);
    CHECK_EQ(json_integer_value(json_object_get(j, "last")), 8);
    json_t *e0 = json_array_get(arr, 0);
    CHECK_EQ(json_object_size(e0), 16);
    CHECK_EQ(json_integer_value(json_object_get(e0, "seq")), 5);
    CHECK_EQ(json_integer_value(json_object_get(e0, "index")), 105);
    CHECK_EQ(json_integer_value(json_object_get(e0, "time_ms")),
             1700000000005ll);
    CHECK_STR(json_string_value(json_object_get(e0, "type")), "held");
    CHECK_STR(json_string_value(json_object_get(e0, "pool")), "H/c/5");
    CHECK_EQ(json_integer_value(json_object_get(e0, "claim")), 50);
    CHECK_STR(json_string_value(json_object_get(e0, "patient")), "pat-5");
    CHECK_STR(json_string_value(json_object_get(e0, "channel")), "app");
    CHECK_STR(json_string_value(json_object_get(e0, "hospital")), "H");
    CHECK_EQ(json_integer_value(json_object_get(e0, "a")), 7);
    CHECK_EQ(json_integer_value(json_object_get(e0, "b")), 1);
    /* Another channel's slot_freed: shown, its patient and account not. */
    json_t *e1 = json_array_get(arr, 1);
    CHECK_STR(json_string_value(json_object_get(e1, "type")), "slot_freed");
    CHECK_STR(json_string_value(json_object_get(e1, "patient")), "");
    CHECK_STR(json_string_value(json_object_get(e1, "account")), "");
    CHECK_EQ(json_integer_value(json_object_get(json_array_get(arr, 2), "seq")),
             7);
    json_decref(j);
    /* Nothing examined: next_after is the cursor itself. */
    b.len = 0;
    CHECK_EQ(gw_json_events_page(&b, &app, NULL, 0, 42, 3, 8), 0);
    CHECK_STR(b.p, "{\"events\":[],\"first\":3,\"last\":8,\"next_after\":42}");
    /* Everything hidden: still past it. */
    b.len = 0;
    CHECK_EQ(gw_json_events_page(&b, &app, &ev[3], 1, 7, 3, 8), 0);
    CHECK_STR(b.p, "{\"events\":[],\"first\":3,\"last\":8,\"next_after\":8}");
    /* SSE framing: id, event, one data line, a blank line. */
    b.len = 0;
    struct slotc_event odd = mkEvent(9, SLOTC_EV_BOOKED, "app", "");
    snprintf(odd.patient, sizeof odd.patient, "a\nb");
    gw_sse_event(&b, &odd, false);
    CHECK(strncmp(b.p, "id: 9\nevent: booked\ndata: {\"seq\":9,", 35) == 0);
    CHECK(strstr(b.p, "\"patient\":\"a\\u000ab\"") != NULL);
    CHECK_EQ(b.p[b.len - 1], '\n');
    CHECK_EQ(b.p[b.len - 2], '\n');
    size_t lines = 0;
    for (size_t i = 0; i < b.len; i++) {
        lines += b.p[i] == '\n';
    }
    CHECK_EQ(lines, 4); /* id, event, data, blank */
    b.len = 0;
    /* CURSOR_EXPIRED: 410, naming first and last. */
    b.len = 0;
    char extra[64];
    gw_ev_expired_extra(extra, sizeof extra, 1000, 2000);
    gw_json_error(&b, SLOT_CURSOR_EXPIRED, gw_ev_expired_msg, extra);
    CHECK_EQ(gw_err_status(SLOT_CURSOR_EXPIRED), 410);
    j = json_loadb(b.p, b.len, 0, &je);
    CHECK(j != NULL);
    json_t *err = json_object_get(j, "error");
    CHECK_STR(json_string_value(json_object_get(err, "code")),
              "CURSOR_EXPIRED");
    CHECK_EQ(json_integer_value(json_object_get(err, "first")), 1000);
    CHECK_EQ(json_integer_value(json_object_get(err, "last")), 2000);
    json_decref(j);
    b.len = 0;
    gw_sse_error(&b, GW_SLOW_SUBSCRIBER, NULL, "\"last_event_id\":8");
    CHECK(strncmp(b.p,
                  "event: error\ndata: {\"error\":{\"code\":"
                  "\"SLOW_SUBSCRIBER\"",
                  52) == 0);
    CHECK(strstr(b.p, "\"last_event_id\":8}}\n\n") != NULL);
    gw_buf_free(&b);
}

static void test_event_stream_parts(void)
{
    uint64_t v = 0;
    CHECK(gw_parse_last_event_id("17", 2, &v) && v == 17);
    CHECK(gw_parse_last_event_id(" 0 ", 3, &v) && v == 0);
    CHECK(gw_parse_last_event_id("9223372036854775808", 19, &v));
    CHECK(!gw_parse_last_event_id("9223372036854775809", 19, &v));
    CHECK(!gw_parse_last_event_id("99999999999999999999", 20, &v));
    CHECK(!gw_parse_last_event_id("", 0, &v));
    CHECK(!gw_parse_last_event_id("  ", 2, &v));
    CHECK(!gw_parse_last_event_id("1a", 2, &v));
    CHECK(!gw_parse_last_event_id("-1", 2, &v));
    CHECK(!gw_parse_last_event_id("1 2", 3, &v));
    /* The queue: bounded, two buffers, h2o holding one. */
    struct gw_evq q;
    gw_evq_init(&q, 10);
    size_t len = 0;
    CHECK(gw_evq_take(&q, &len) == NULL); /* nothing queued */
    CHECK(gw_evq_fits(&q, 10));
    CHECK(!gw_evq_fits(&q, 11));
    gw_buf_put(gw_evq_tail(&q), "abcdef", 6);
    CHECK(!gw_evq_fits(&q, 5));
    const char *p = gw_evq_take(&q, &len);
    CHECK(p != NULL && len == 6 && memcmp(p, "abcdef", 6) == 0);
    /* While h2o holds it, the other buffer fills, within the bound. */
    CHECK(gw_evq_fits(&q, 10));
    gw_buf_put(gw_evq_tail(&q), "0123456789", 10);
    CHECK(!gw_evq_fits(&q, 1));
    CHECK(gw_evq_take(&q, &len) == NULL); /* h2o still holds one */
    gw_evq_sent(&q);
    p = gw_evq_take(&q, &len);
    CHECK(p != NULL && len == 10 && memcmp(p, "0123456789", 10) == 0);
    CHECK(gw_evq_fits(&q, 10));
    gw_evq_sent(&q);
    CHECK(gw_evq_take(&q, &len) == NULL);
    gw_evq_free(&q);
    /* The query strings. */
    struct gw_args a;
    struct gw_fail f;
    gw_args_init(&a);
    CHECK(gw_parse_events_query("", 0, false, &a, &f));
    CHECK_EQ(a.query.after_version, 0);
    CHECK_EQ(a.query.limit, GW_LIST_LIMIT_DEFAULT);
    CHECK_EQ(a.query.wait_ms, 0);
    const char *q1 = "after=12&limit=3&wait_ms=30000";
    CHECK(gw_parse_events_query(q1, strlen(q1), false, &a, &f));
    CHECK_EQ(a.query.after_version, 12);
    CHECK_EQ(a.query.limit, 3);
    CHECK_EQ(a.query.wait_ms, 30000);
    static const struct {
        const char *qs;
        bool stream;
        int code;
        const char *msg;
    } bad[] = {
        {"wait_ms=30001", false, SLOT_INVALID_ARGUMENT, "wait_ms"},
        {"wait_ms=5", true, SLOT_MALFORMED, "wait_ms"},
        {"limit=0", false, SLOT_INVALID_ARGUMENT, "limit"},
        {"limit=1001", true, SLOT_INVALID_ARGUMENT, "limit"},
        {"after=-1", false, SLOT_INVALID_ARGUMENT, "after"},
        {"after=9223372036854775809", false, SLOT_INVALID_ARGUMENT, "after"},
        {"after=1&after=2", false, SLOT_MALFORMED, "after"},
        {"since=1", false, SLOT_MALFORMED, "since"},
        {"after", false, SLOT_MALFORMED, "after"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gw_args_init(&a);
        CHECK(!gw_parse_events_query(bad[i].qs, strlen(bad[i].qs),
                                     bad[i].stream, &a, &f));
        CHECK_EQ(f.code, bad[i].code);
        CHECK(strstr(f.message, bad[i].msg) != NULL);
    }
}

/* ---- protocol 5: payments, reconciliation, statistics -------------------- */

/* pay_method on the confirm and check-in bodies: the channel charset,
 * 1..16 bytes, never without a payment_ref. */
static void test_pay_method_bodies(void)
{
    struct gw_args a;
    struct gw_fail f;
    const struct gw_patient_rules pr = {NULL, true};
    gw_args_init(&a);
    const char *ok = "{\"payment_ref\":\"wx-1\",\"pay_method\":\"wechat\"}";
    CHECK(gw_parse_confirm(ok, strlen(ok), &a, &f));
    CHECK_STR(a.payment_ref, "wx-1");
    CHECK_STR(a.pay_method, "wechat");
    /* A body without one clears what a previous parse left. */
    CHECK(gw_parse_confirm("{\"payment_ref\":\"r\"}", 19, &a, &f));
    CHECK_STR(a.pay_method, "");
    const char *sixteen =
        "{\"payment_ref\":\"r\",\"pay_method\":\"abcdefghij_-0123\"}";
    CHECK(gw_parse_confirm(sixteen, strlen(sixteen), &a, &f));
    CHECK_STR(a.pay_method, "abcdefghij_-0123");
    const char *ci = "{\"patient\":\"patient-0001\",\"payment_ref\":\"c-9\","
                     "\"pay_method\":\"cash\"}";
    CHECK(gw_parse_checkin(ci, strlen(ci), &pr, &a, &f));
    CHECK_STR(a.patient, "patient-0001");
    CHECK_STR(a.payment_ref, "c-9");
    CHECK_STR(a.pay_method, "cash");
    static const struct badCase bad[] = {
        {"{\"pay_method\":\"wechat\"}", SLOT_INVALID_ARGUMENT,
         "\"pay_method\" needs a \"payment_ref\""},
        {"{\"payment_ref\":\"r\",\"pay_method\":\"WeChat\"}",
         SLOT_INVALID_ARGUMENT, "\"pay_method\" must be 1..16 bytes"},
        {"{\"payment_ref\":\"r\",\"pay_method\":\"\"}", SLOT_INVALID_ARGUMENT,
         "\"pay_method\""},
        {"{\"payment_ref\":\"r\",\"pay_method\":\"abcdefghij_-01234\"}",
         SLOT_INVALID_ARGUMENT, "\"pay_method\""},
        {"{\"payment_ref\":\"r\",\"pay_method\":\"we chat\"}",
         SLOT_INVALID_ARGUMENT, "\"pay_method\""},
        {"{\"payment_ref\":\"r\",\"pay_method\":7}", SLOT_MALFORMED,
         "\"pay_method\" must be a string"},
        {"{\"payment_ref\":\"r\",\"pay_mode\":\"card\"}", SLOT_MALFORMED,
         "unknown field \"pay_mode\""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        f.code = 0;
        bool r = gw_parse_confirm(bad[i].in, strlen(bad[i].in), &a, &f);
        if (r || f.code != bad[i].code ||
            strstr(f.message, bad[i].field) == NULL) {
            fprintf(stderr, "confirm %s -> %d %s\n", bad[i].in, f.code,
                    f.message);
        }
        CHECK(!r);
        CHECK_EQ(f.code, bad[i].code);
        CHECK(strstr(f.message, bad[i].field) != NULL);
        CHECK_STR(a.pay_method, "");
        /* The check-in's rule is the same. */
        char body[160];
        snprintf(body, sizeof body, "{\"patient\":\"patient-0001\",%s",
                 bad[i].in + 1);
        f.code = 0;
        CHECK(!gw_parse_checkin(body, strlen(body), &pr, &a, &f));
        CHECK_EQ(f.code, bad[i].code);
        CHECK(strstr(f.message, bad[i].field) != NULL);
    }
    /* 400 with the usual error shape. */
    CHECK_EQ(gw_err_status(SLOT_INVALID_ARGUMENT), 400);
}

/* The claim's payment members (protocol 5). */
static void test_claim_payment_json(void)
{
    struct slotc_claim c;
    memset(&c, 0, sizeof c);
    c.id = 12;
    c.state = SLOTC_CLAIM_BOOKED;
    snprintf(c.payment_ref, sizeof c.payment_ref, "wx-12");
    snprintf(c.pay_method, sizeof c.pay_method, "alipay");
    c.fee_paid_cents = 5000;
    c.paid = true;
    struct gw_buf b;
    gw_buf_init(&b, NULL, 0);
    gw_json_claim(&b, "booking", &c);
    json_error_t je;
    json_t *j = json_loadb(b.p, b.len, 0, &je);
    CHECK(j != NULL);
    CHECK_STR(json_string_value(json_object_get(j, "pay_method")), "alipay");
    CHECK_EQ(json_integer_value(json_object_get(j, "fee_paid_cents")), 5000);
    /* The last two members, after the visit day's. */
    CHECK(strstr(b.p, "\"affected\":false,\"pay_method\":\"alipay\","
                      "\"fee_paid_cents\":5000}") != NULL);
    json_decref(j);
    gw_buf_free(&b);
}

/* The event's protocol 5 members, and payment_ref blanked with the
 * patient in a redacted event. */
static void test_event_payment_json(void)
{
    struct slotc_event e = mkEvent(5, SLOTC_EV_BOOKED, "app", "ac:1");
    e.fee_cents = 5000;
    snprintf(e.payment_ref, sizeof e.payment_ref, "wx-5");
    snprintf(e.pay_method, sizeof e.pay_method, "wechat");
    e.local_day = 19675;
    struct gw_buf b;
    gw_buf_init(&b, NULL, 0);
    struct gw_jw w;
    gw_jw_init(&w, &b);
    gw_json_event(&w, &e, false);
    CHECK(strstr(b.p, "\"a\":7,\"b\":1,\"fee_cents\":5000,\"payment_ref\":"
                      "\"wx-5\",\"pay_method\":\"wechat\",\"local_day\":"
                      "19675}") != NULL);
    json_error_t je;
    json_t *j = json_loadb(b.p, b.len, 0, &je);
    CHECK(j != NULL);
    CHECK_EQ(json_object_size(j), 16);
    json_decref(j);
    /* Redacted: the patient, the account and the payment reference go;
     * the method and the amount stay (no one's secret). */
    b.len = 0;
    gw_jw_init(&w, &b);
    gw_json_event(&w, &e, true);
    j = json_loadb(b.p, b.len, 0, &je);
    CHECK(j != NULL);
    CHECK_EQ(json_object_size(j), 16);
    CHECK_STR(json_string_value(json_object_get(j, "patient")), "");
    CHECK_STR(json_string_value(json_object_get(j, "account")), "");
    CHECK_STR(json_string_value(json_object_get(j, "payment_ref")), "");
    CHECK_STR(json_string_value(json_object_get(j, "pay_method")), "wechat");
    CHECK_EQ(json_integer_value(json_object_get(j, "fee_cents")), 5000);
    json_decref(j);
    CHECK(strstr(b.p, "wx-5") == NULL);
    /* Through the page: another channel's slot_freed with a reference is
     * redacted, the viewer's own is not. */
    struct slotc_event ev[2] = {mkEvent(6, SLOTC_EV_SLOT_FREED, "window", ""),
                                mkEvent(7, SLOTC_EV_SLOT_FREED, "app", "")};
    snprintf(ev[0].payment_ref, sizeof ev[0].payment_ref, "win-ref");
    snprintf(ev[1].payment_ref, sizeof ev[1].payment_ref, "app-ref");
    const struct gw_ev_viewer app = {false, "app", ""};
    b.len = 0;
    CHECK_EQ(gw_json_events_page(&b, &app, ev, 2, 5, 1, 7), 2);
    CHECK(strstr(b.p, "win-ref") == NULL);
    CHECK(strstr(b.p, "app-ref") != NULL);
    /* An SSE event carries the same JSON. */
    b.len = 0;
    gw_sse_event(&b, &ev[0], true);
    CHECK(strstr(b.p, "win-ref") == NULL);
    CHECK(strstr(b.p, "\"local_day\":0}") != NULL);
    gw_buf_free(&b);
}

static struct slotc_stats_row mkStats(uint32_t day, const char *h,
                                      const char *d, uint64_t released,
                                      uint64_t booked_now)
{
    struct slotc_stats_row r;
    memset(&r, 0, sizeof r);
    r.visit_day = day;
    snprintf(r.hospital, sizeof r.hospital, "%s", h);
    snprintf(r.department, sizeof r.department, "%s", d);
    r.pools = 2;
    r.released = released;
    r.capacity = released + 10;
    r.booked_now = booked_now;
    r.booked_total = booked_now + 3;
    r.cancelled_total = 1;
    r.refunded_total = 2;
    r.moved_total = 3;
    r.no_show_total = 4;
    r.checked_in_total = 5;
    return r;
}

static void test_stats_json(void)
{
    struct slotc_stats_row rows[2] = {mkStats(19675, "PUMCH", "cardio", 40, 10),
                                      mkStats(19676, "PUMCH", "derm", 0, 0)};
    CHECK(gw_stats_rate(&rows[0]) == 0.25);
    CHECK(gw_stats_rate(&rows[1]) == 0.0);
    struct gw_buf b;
    gw_buf_init(&b, NULL, 0);
    struct gw_jw w;
    gw_jw_init(&w, &b);
    gw_json_stats_head(&w, 19675, 19676, "");
    gw_jw_stats_row(&w, &rows[0]);
    gw_jw_stats_row(&w, &rows[1]);
    gw_json_stats_tail(&w, 2);
    json_error_t je;
    json_t *j = json_loadb(b.p, b.len, 0, &je);
    CHECK(j != NULL);
    CHECK_STR(json_string_value(json_object_get(j, "from")), "2023-11-14");
    CHECK_STR(json_string_value(json_object_get(j, "to")), "2023-11-15");
    CHECK_EQ(json_integer_value(json_object_get(j, "total")), 2);
    json_t *r0 = json_array_get(json_object_get(j, "rows"), 0);
    CHECK_EQ(json_object_size(r0), 14);
    CHECK_STR(json_string_value(json_object_get(r0, "visit_date")),
              "2023-11-14");
    CHECK_STR(json_string_value(json_object_get(r0, "department")), "cardio");
    CHECK_EQ(json_integer_value(json_object_get(r0, "released")), 40);
    CHECK_EQ(json_integer_value(json_object_get(r0, "capacity")), 50);
    CHECK_EQ(json_integer_value(json_object_get(r0, "booked_total")), 13);
    CHECK_EQ(json_integer_value(json_object_get(r0, "checked_in_total")), 5);
    CHECK(json_real_value(json_object_get(r0, "booking_rate")) == 0.25);
    json_t *r1 = json_array_get(json_object_get(j, "rows"), 1);
    CHECK(json_number_value(json_object_get(r1, "booking_rate")) == 0.0);
    json_decref(j);
    CHECK(strstr(b.p, "\"booking_rate\":0.2500}") != NULL);
    gw_buf_free(&b);
}

/* Counts the lines of text that start with prefix. */
static int linesWith(const char *text, const char *prefix)
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

static void test_stats_metrics(void)
{
    struct slotc_stats_row rows[2] = {
        mkStats(19675, "PUMCH", "cardio", 40, 10),
        mkStats(19676, "we\"ird\\h", "new\nline", 8, 2)};
    struct gw_stats_cache c;
    memset(&c, 0, sizeof c);
    struct gw_buf b;
    gw_buf_init(&b, NULL, 0);
    /* Before the first refresh: no series, age -1. */
    gw_stats_render_prom(&c, 1000, &b);
    CHECK_EQ(linesWith(b.p, "slot_stats_booked_now{"), 0);
    CHECK(strstr(b.p, "slot_gateway_stats_age_seconds -1.000\n") != NULL);
    c.rows = rows;
    c.n = 2;
    c.cap = 2;
    c.refreshed_unix_ms = 1000;
    c.refreshes_total = 3;
    c.dropped_total = 7;
    b.len = 0;
    gw_stats_render_prom(&c, 3500, &b);
    gw_buf_put(&b, "", 1);
    CHECK(strstr(b.p,
                 "slot_stats_released_slots{hospital=\"PUMCH\","
                 "department=\"cardio\",day=\"2023-11-14\"} 40\n") != NULL);
    CHECK(strstr(b.p,
                 "slot_stats_booked_now{hospital=\"PUMCH\","
                 "department=\"cardio\",day=\"2023-11-14\"} 10\n") != NULL);
    CHECK(strstr(b.p,
                 "slot_stats_booking_rate{hospital=\"PUMCH\","
                 "department=\"cardio\",day=\"2023-11-14\"} 0.2500\n") != NULL);
    CHECK(strstr(b.p, "slot_stats_no_show_total{hospital=\"PUMCH\","
                      "department=\"cardio\",day=\"2023-11-14\"} 4\n") != NULL);
    /* Escaped label values: one line per series, whatever the names. */
    CHECK(strstr(b.p, "{hospital=\"we\\\"ird\\\\h\",department=\"new\\nline\","
                      "day=\"2023-11-15\"}") != NULL);
    static const char *const names[] = {
        "slot_stats_released_slots{",   "slot_stats_capacity_slots{",
        "slot_stats_booked_now{",       "slot_stats_booked_total{",
        "slot_stats_cancelled_total{",  "slot_stats_refunded_total{",
        "slot_stats_moved_total{",      "slot_stats_no_show_total{",
        "slot_stats_checked_in_total{", "slot_stats_booking_rate{"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        CHECK_EQ(linesWith(b.p, names[i]), 2);
    }
    CHECK_EQ(linesWith(b.p, "# TYPE slot_stats_"), GW_STATS_GAUGES);
    CHECK(strstr(b.p, "slot_gateway_stats_rows 2\n") != NULL);
    CHECK(strstr(b.p, "slot_gateway_stats_age_seconds 2.500\n") != NULL);
    CHECK(strstr(b.p, "slot_gateway_stats_refreshes_total 3\n") != NULL);
    CHECK(strstr(b.p, "slot_gateway_stats_dropped_total 7\n") != NULL);
    gw_buf_free(&b);
}

static void test_money_queries(void)
{
    struct gw_args a;
    struct gw_fail f;
    gw_args_init(&a);
    const char *q = "day=2023-11-14&hospital=PUMCH&channel=app&format=csv";
    CHECK(gw_parse_recon_query(q, strlen(q), &a, &f));
    CHECK_EQ(a.query.day, 19675);
    CHECK_STR(a.query.hospital, "PUMCH");
    CHECK_STR(a.query.channel, "app");
    CHECK(a.query.csv);
    gw_args_init(&a);
    CHECK(gw_parse_recon_query("day=2023-11-14", 14, &a, &f));
    CHECK(!a.query.csv);
    CHECK_STR(a.query.channel, "");
    CHECK(gw_parse_recon_query("day=2023-11-14&format=json", 26, &a, &f));
    CHECK(!a.query.csv);
    q = "from=2023-11-14&to=2024-01-14&hospital=H";
    CHECK(gw_parse_stats_query(q, strlen(q), &a, &f));
    CHECK_EQ(a.query.q.date_from, 19675);
    CHECK_EQ(a.query.q.date_to, 19675 + 61);
    CHECK_STR(a.query.hospital, "H");
    static const struct {
        bool stats;
        const char *qs;
        int code;
        const char *msg;
    } bad[] = {
        {false, "", SLOT_MALFORMED, "missing parameter \"day\""},
        {false, "hospital=H", SLOT_MALFORMED, "\"day\""},
        {false, "day=2023-13-01", SLOT_INVALID_ARGUMENT, "\"day\""},
        {false, "day=2023-11-14&format=xml", SLOT_INVALID_ARGUMENT,
         "csv or json"},
        {false, "day=2023-11-14&channel=App", SLOT_INVALID_ARGUMENT,
         "\"channel\""},
        {false, "day=2023-11-14&hospital=a%20b", SLOT_INVALID_ARGUMENT,
         "\"hospital\""},
        {false, "day=2023-11-14&day=2023-11-15", SLOT_MALFORMED, "twice"},
        {false, "day=2023-11-14&limit=1", SLOT_MALFORMED, "unknown"},
        {true, "from=2023-11-14", SLOT_MALFORMED, "\"to\""},
        {true, "to=2023-11-14", SLOT_MALFORMED, "\"from\""},
        {true, "from=2023-11-15&to=2023-11-14", SLOT_INVALID_ARGUMENT, "1..62"},
        {true, "from=2023-11-14&to=2024-01-15", SLOT_INVALID_ARGUMENT, "1..62"},
        {true, "from=2023-11-14&to=x", SLOT_INVALID_ARGUMENT, "\"to\""},
        {true, "from=2023-11-14&to=2023-11-14&channel=app", SLOT_MALFORMED,
         "unknown"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gw_args_init(&a);
        f.code = 0;
        bool ok =
            bad[i].stats
                ? gw_parse_stats_query(bad[i].qs, strlen(bad[i].qs), &a, &f)
                : gw_parse_recon_query(bad[i].qs, strlen(bad[i].qs), &a, &f);
        if (ok || f.code != bad[i].code ||
            strstr(f.message, bad[i].msg) == NULL) {
            fprintf(stderr, "%s -> %d %s\n", bad[i].qs, f.code, f.message);
        }
        CHECK(!ok);
        CHECK_EQ(f.code, bad[i].code);
        CHECK(strstr(f.message, bad[i].msg) != NULL);
    }
    /* The new routes, their statuses, and the limits' defaults. */
    struct gw_match m;
    CHECK_EQ(match("GET", "/v1/reconciliation?day=2023-11-14", &m),
             GW_MATCH_OK);
    CHECK_EQ(m.route, GW_R_RECONCILIATION);
    CHECK_EQ(match("GET", "/v1/stats", &m), GW_MATCH_OK);
    CHECK_EQ(m.route, GW_R_STATS);
    CHECK_EQ(match("POST", "/v1/stats", &m), GW_MATCH_BAD_METHOD);
    CHECK_EQ(gw_err_status(GW_RECON_DAY_GONE), 410);
    CHECK_EQ(gw_err_status(GW_RESPONSE_TOO_LARGE), 413);
    CHECK_EQ(gw_err_status(GW_RECON_BUSY), 503);
    CHECK(gw_err_retryable(GW_RECON_BUSY));
    CHECK_STR(gw_err_name(GW_RECON_DAY_GONE), "RECON_DAY_GONE");
    CHECK(strstr(gw_err_message(GW_RECON_DAY_GONE), "--archive") != NULL);
    static struct gw_config c;
    char err[256];
    CHECK_EQ(parse("{\"listen\":\"127.0.0.1:8080\",\"cluster\":\"x:1\","
                   "\"tokens\":{\"demo-app\":\"app\"}}",
                   &c, err),
             0);
    CHECK_EQ(c.limits.stats_refresh_ms, 5000);
    CHECK_EQ(c.limits.stats_series_max, 10000);
    CHECK_EQ(c.limits.recon_max, 2);
    CHECK_EQ(c.limits.recon_bytes_max, 67108864);
    CHECK_EQ(parse("{\"listen\":\"127.0.0.1:8080\",\"cluster\":\"x:1\","
                   "\"tokens\":{\"demo-app\":\"app\"},\"limits\":{"
                   "\"stats_refresh_ms\":1000,\"stats_series_max\":0,"
                   "\"recon_max\":4,\"recon_bytes_max\":1048576}}",
                   &c, err),
             0);
    CHECK_EQ(c.limits.stats_refresh_ms, 1000);
    CHECK_EQ(c.limits.stats_series_max, 0);
    CHECK_EQ(c.limits.recon_max, 4);
    CHECK_EQ(c.limits.recon_bytes_max, 1048576);
    CHECK_EQ(parse("{\"listen\":\"127.0.0.1:8080\",\"cluster\":\"x:1\","
                   "\"tokens\":{\"demo-app\":\"app\"},\"limits\":{"
                   "\"recon_max\":0}}",
                   &c, err),
             -1);
    CHECK(strstr(err, "recon_max") != NULL);
    CHECK_EQ(parse("{\"listen\":\"127.0.0.1:8080\",\"cluster\":\"x:1\","
                   "\"tokens\":{\"demo-app\":\"app\"},\"limits\":{"
                   "\"recon_bytes_max\":1023}}",
                   &c, err),
             -1);
    CHECK(strstr(err, "recon_bytes_max") != NULL);
}

/* A local day's bounds in the feed over every UTC offset, and when the
 * feed may have lost its start. */
static void test_recon_day_bounds(void)
{
    const uint32_t d = 19675; /* 2023-11-14 */
    const uint64_t day0 = (uint64_t)d * 86400000ull;
    /* At UTC+14:00 D starts 14 h before its UTC midnight; at UTC-12:00 it
     * ends 12 h after the next one. */
    CHECK_EQ(gw_recon_day_first_ms(d), day0 - 14 * 3600000ull);
    CHECK_EQ(gw_recon_day_end_ms(d), day0 + 86400000ull + 12 * 3600000ull);
    CHECK_EQ(gw_recon_day_first_ms(0), 0);
    /* Every local instant of D at every whole-hour offset is inside. */
    for (int off_h = -12; off_h <= 14; off_h++) {
        uint64_t start = day0 - (uint64_t)((int64_t)off_h * 3600000);
        uint64_t last = start + 86400000ull - 1;
        CHECK(start >= gw_recon_day_first_ms(d));
        CHECK(last < gw_recon_day_end_ms(d));
        CHECK_EQ(slotc_local_day(start, off_h * 60), d);
        CHECK_EQ(slotc_local_day(last, off_h * 60), d);
    }
    /* Nothing dropped: never gone. */
    CHECK(!gw_recon_start_gone(d, 1, day0 + 5));
    /* Dropped, and the oldest held is older than D's earliest start: the
     * dropped ones were older still. */
    CHECK(!gw_recon_start_gone(d, 500, gw_recon_day_first_ms(d) - 1));
    /* Dropped, the oldest held at or after it: D's start may be gone. */
    CHECK(gw_recon_start_gone(d, 500, gw_recon_day_first_ms(d)));
    CHECK(gw_recon_start_gone(d, 2, day0 + 86400000ull * 3));
}

/* The OpenAPI document names the new routes' parameters, answers and
 * fields. */
static void test_openapi_money(void)
{
    size_t len = 0;
    char *doc = gw_openapi_build(&len);
    CHECK(doc != NULL);
    json_t *j = json_loads(doc, 0, NULL);
    CHECK(j != NULL);
    json_t *paths = json_object_get(j, "paths");
    json_t *schemas =
        json_object_get(json_object_get(j, "components"), "schemas");
    json_t *rc =
        json_object_get(json_object_get(paths, "/v1/reconciliation"), "get");
    json_t *params = json_object_get(rc, "parameters");
    CHECK_EQ(json_array_size(params), 4);
    CHECK_STR(
        json_string_value(json_object_get(json_array_get(params, 0), "name")),
        "day");
    CHECK(json_is_true(json_object_get(json_array_get(params, 0), "required")));
    json_t *resp = json_object_get(rc, "responses");
    CHECK(json_object_get(resp, "410") != NULL);
    CHECK(json_object_get(resp, "413") != NULL);
    CHECK(json_object_get(
              json_object_get(json_object_get(resp, "200"), "content"),
              "text/csv") != NULL);
    json_t *st = json_object_get(json_object_get(paths, "/v1/stats"), "get");
    CHECK_EQ(json_array_size(json_object_get(st, "parameters")), 3);
    CHECK(json_object_get(json_object_get(json_object_get(schemas, "StatsRow"),
                                          "properties"),
                          "booking_rate") != NULL);
    CHECK(json_object_get(schemas, "ReconLine") != NULL);
    CHECK(json_object_get(schemas, "ReconRow") != NULL);
    json_t *ev =
        json_object_get(json_object_get(schemas, "Event"), "properties");
    CHECK_EQ(json_object_size(ev), 16);
    CHECK(json_object_get(ev, "local_day") != NULL);
    CHECK(json_object_get(json_object_get(json_object_get(schemas, "Confirm"),
                                          "properties"),
                          "pay_method") != NULL);
    CHECK(json_object_get(json_object_get(json_object_get(schemas, "Checkin"),
                                          "properties"),
                          "pay_method") != NULL);
    CHECK(json_object_get(
              json_object_get(json_object_get(schemas, "Claim"), "properties"),
              "fee_paid_cents") != NULL);
    json_decref(j);
    free(doc);
}

/* The console's paths: only /console and what is below it, exact file
 * names, the index for the directory, types by extension; every embedded
 * file found by its name and non-empty. */
static void test_console_paths(void)
{
#define P(s) (s), strlen(s)
    CHECK(gw_console_path(P("/console")));
    CHECK(gw_console_path(P("/console/")));
    CHECK(gw_console_path(P("/console?x=1")));
    CHECK(gw_console_path(P("/console/api.js")));
    CHECK(gw_console_path(P("/console/a/b")));
    CHECK(!gw_console_path(P("/consoles")));
    CHECK(!gw_console_path(P("/consol")));
    CHECK(!gw_console_path(P("/v1/console")));
    CHECK(!gw_console_path(P("")));
    CHECK_STR(gw_console_find(P("/console"))->name, "index.html");
    CHECK_STR(gw_console_find(P("/console/"))->name, "index.html");
    CHECK_STR(gw_console_find(P("/console/?a=b"))->name, "index.html");
    CHECK_STR(gw_console_find(P("/console/api.js?v=2"))->name, "api.js");
    CHECK(gw_console_find(P("/console/api.j")) == NULL);
    CHECK(gw_console_find(P("/console/api.jsx")) == NULL);
    CHECK(gw_console_find(P("/console/../api.js")) == NULL);
    CHECK(gw_console_find(P("/console//api.js")) == NULL);
    CHECK(gw_console_find(P("/console/api%2Ejs")) == NULL);
#undef P
    int n = 0;
    for (const struct gw_console_file *f = gw_console_files; f->name != NULL;
         f++, n++) {
        CHECK(f->len > 0);
        CHECK(strcmp(gw_console_type(f->name), "application/octet-stream") !=
              0);
    }
    CHECK_EQ(n, 4);
    CHECK_STR(gw_console_type("index.html"), "text/html; charset=utf-8");
    CHECK_STR(gw_console_type("a.css"), "text/css; charset=utf-8");
    CHECK_STR(gw_console_type("a.js"), "text/javascript; charset=utf-8");
    CHECK_STR(gw_console_type("a"), "application/octet-stream");
    CHECK_STR(gw_console_type("a.exe"), "application/octet-stream");
}

/* ---- the cluster view (gw_http_cluster.c) -------------------------------- */

static json_t *clusterDoc(const struct gw_cluster_node *n, uint32_t count)
{
    struct gw_buf b;
    gw_buf_init(&b, NULL, 0);
    gw__cluster_json(&b, n, count);
    CHECK(!b.oom);
    json_t *j = json_loadb(b.p, b.len, 0, NULL);
    CHECK(j != NULL);
    gw_buf_free(&b);
    return j;
}

static struct gw_cluster_node cnode(const char *addr, int status, uint64_t id,
                                    const char *role, uint64_t term,
                                    uint64_t commit, uint64_t applied)
{
    struct gw_cluster_node n;
    memset(&n, 0, sizeof n);
    snprintf(n.address, sizeof n.address, "%s", addr);
    n.status = status;
    if (status == SLOT_OK) {
        n.id = id;
        snprintf(n.role, sizeof n.role, "%s", role);
        n.term = term;
        n.leader_id = strcmp(role, "leader") == 0 ? id : 0;
        n.commit_index = commit;
        n.applied_index = applied;
    }
    return n;
}

static void test_cluster_json(void)
{
    /* A leader, a follower 3 behind, one ahead (read later), one down. */
    struct gw_cluster_node n[4] = {
        cnode("127.0.0.1:1", SLOT_OK, 2, "follower", 3, 100, 97),
        cnode("127.0.0.1:2", SLOT_OK, 1, "leader", 3, 100, 99),
        cnode("127.0.0.1:3", SLOT_TIMEOUT, 0, "", 0, 0, 0),
        cnode("127.0.0.1:4", SLOT_OK, 4, "follower", 3, 102, 102),
    };
    json_t *j = clusterDoc(n, 4);
    json_t *nodes = json_object_get(j, "nodes");
    CHECK_EQ(json_array_size(nodes), 4);
    CHECK_EQ(json_integer_value(json_object_get(j, "leader")), 1);
    CHECK_EQ(json_integer_value(json_object_get(j, "max_lag")), 3);
    json_t *x = json_array_get(nodes, 0);
    CHECK_EQ(json_integer_value(json_object_get(x, "node")), 0);
    CHECK_STR(json_string_value(json_object_get(x, "address")), "127.0.0.1:1");
    CHECK(json_is_true(json_object_get(x, "reachable")));
    CHECK_STR(json_string_value(json_object_get(x, "role")), "follower");
    CHECK_EQ(json_integer_value(json_object_get(x, "lag")), 3);
    CHECK(json_object_get(x, "error") == NULL);
    x = json_array_get(nodes, 1);
    CHECK_EQ(json_integer_value(json_object_get(x, "lag")), 1);
    x = json_array_get(nodes, 2);
    CHECK_EQ(json_integer_value(json_object_get(x, "node")), 2);
    CHECK(json_is_false(json_object_get(x, "reachable")));
    CHECK(json_object_get(x, "role") == NULL);
    CHECK(json_object_get(x, "commit_index") == NULL);
    CHECK_STR(
        json_string_value(json_object_get(json_object_get(x, "error"), "code")),
        "TIMEOUT");
    CHECK(json_is_string(
        json_object_get(json_object_get(x, "error"), "message")));
    x = json_array_get(nodes, 3);
    CHECK_EQ(json_integer_value(json_object_get(x, "lag")), 0);
    json_decref(j);

    /* An old leader cut off still says so in an older term: the newer
     * term's leader is the leader. */
    struct gw_cluster_node m[2] = {
        cnode("a:1", SLOT_OK, 1, "leader", 2, 50, 50),
        cnode("a:2", SLOT_OK, 2, "leader", 3, 60, 60),
    };
    j = clusterDoc(m, 2);
    CHECK_EQ(json_integer_value(json_object_get(j, "leader")), 2);
    CHECK_EQ(json_integer_value(json_object_get(j, "max_lag")), 10);
    json_decref(j);

    /* No leader (only followers reachable): leader, max_lag, lag null;
     * none reachable: the same, every node with its error. */
    struct gw_cluster_node f[2] = {
        cnode("b:1", SLOT_OK, 1, "follower", 2, 10, 10),
        cnode("b:2", SLOT_UNAVAILABLE, 0, "", 0, 0, 0),
    };
    j = clusterDoc(f, 2);
    CHECK(json_is_null(json_object_get(j, "leader")));
    CHECK(json_is_null(json_object_get(j, "max_lag")));
    CHECK(json_is_null(json_object_get(
        json_array_get(json_object_get(j, "nodes"), 0), "lag")));
    json_decref(j);
    /* A lone leader: no follower, max_lag 0. */
    j = clusterDoc(&m[1], 1);
    CHECK_EQ(json_integer_value(json_object_get(j, "max_lag")), 0);
    json_decref(j);

    /* The limits: defaults, bounds named. */
    static struct gw_config c;
    char err[256];
    CHECK_EQ(parse("{\"listen\":\"127.0.0.1:8080\",\"cluster\":\"x:1\","
                   "\"tokens\":{\"demo-app\":\"app\"}}",
                   &c, err),
             0);
    CHECK_EQ(c.limits.cluster_timeout_ms, 1000);
    CHECK_EQ(c.limits.cluster_max, 4);
    CHECK_EQ(parse("{\"listen\":\"127.0.0.1:8080\",\"cluster\":\"x:1\","
                   "\"tokens\":{\"demo-app\":\"app\"},\"limits\":{"
                   "\"cluster_timeout_ms\":50,\"cluster_max\":64}}",
                   &c, err),
             0);
    CHECK_EQ(c.limits.cluster_timeout_ms, 50);
    CHECK_EQ(c.limits.cluster_max, 64);
    static const struct {
        const char *limit, *key;
    } bad[] = {
        {"\"cluster_timeout_ms\":49", "limits.cluster_timeout_ms"},
        {"\"cluster_timeout_ms\":60001", "limits.cluster_timeout_ms"},
        {"\"cluster_max\":0", "limits.cluster_max"},
        {"\"cluster_max\":65", "limits.cluster_max"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char doc[256];
        snprintf(doc, sizeof doc,
                 "{\"listen\":\"127.0.0.1:8080\",\"cluster\":\"x:1\","
                 "\"tokens\":{\"demo-app\":\"app\"},\"limits\":{%s}}",
                 bad[i].limit);
        CHECK_EQ(parse(doc, &c, err), -1);
        CHECK(strstr(err, bad[i].key) != NULL);
    }
    CHECK_EQ(gw_err_status(GW_CLUSTER_BUSY), 503);
    CHECK(gw_err_retryable(GW_CLUSTER_BUSY));
}

static const struct check_case cases[] = {
    {"console_paths", test_console_paths},
    {"routes", test_routes},
    {"pct", test_pct},
    {"ids_and_fields", test_ids_and_fields},
    {"writer", test_writer},
    {"bodies", test_bodies},
    {"limiter", test_limiter},
    {"pcache", test_pcache},
    {"config", test_config},
    {"err_status", test_err_status},
    {"openapi_doc", test_openapi_doc},
    {"metrics_render", test_metrics_render},
    {"admit", test_admit},
    {"rules_json", test_rules_json},
    {"rules_body", test_rules_body},
    {"template_json", test_template_json},
    {"pool_schedule", test_pool_schedule},
    {"query_strings", test_query_strings},
    {"sched_replies", test_sched_replies},
    {"ident_rules", test_ident_rules},
    {"ident_key", test_ident_key},
    {"ident_secret", test_ident_secret},
    {"account_key", test_account_key},
    {"staff_body", test_staff_body},
    {"ident_bodies", test_ident_bodies},
    {"visit_bodies", test_visit_bodies},
    {"visit_json", test_visit_json},
    {"event_filter", test_event_filter},
    {"event_json", test_event_json},
    {"event_stream_parts", test_event_stream_parts},
    {"pay_method_bodies", test_pay_method_bodies},
    {"claim_payment_json", test_claim_payment_json},
    {"event_payment_json", test_event_payment_json},
    {"stats_json", test_stats_json},
    {"stats_metrics", test_stats_metrics},
    {"money_queries", test_money_queries},
    {"recon_day_bounds", test_recon_day_bounds},
    {"openapi_money", test_openapi_money},
    {"cluster_json", test_cluster_json},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return check_main(cases, argc, argv);
}
