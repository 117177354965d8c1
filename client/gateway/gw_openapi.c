/* gw_openapi: the OpenAPI 3 document (see gw_openapi.h). */
#include "gw_openapi.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "gw_err.h"
#include "gw_route.h"
#include "slot_err.h"
#include "slot_proto.h"

static json_t *ref(const char *name)
{
    char r[96];
    snprintf(r, sizeof r, "#/components/schemas/%s", name);
    return json_pack("{s:s}", "$ref", r);
}

static json_t *intSchema(long long min, long long max)
{
    return json_pack("{s:s,s:s,s:I,s:I}", "type", "integer", "format", "int64",
                     "minimum", (json_int_t)min, "maximum", (json_int_t)max);
}

static json_t *strSchema(const char *pattern, int min, int max)
{
    return json_pack("{s:s,s:s,s:i,s:i}", "type", "string", "pattern", pattern,
                     "minLength", min, "maxLength", max);
}

static json_t *bucketSchema(void)
{
    return json_pack("{s:s,s:[s,s,s,s],s:{s:o,s:o,s:o,s:o}}", "type", "object",
                     "required", "capacity", "free", "held", "booked",
                     "properties", "capacity",
                     intSchema(0, SLOT_POOL_CAPACITY_MAX), "free",
                     intSchema(0, SLOT_POOL_CAPACITY_MAX), "held",
                     intSchema(0, SLOT_POOL_CAPACITY_MAX), "booked",
                     intSchema(0, SLOT_POOL_CAPACITY_MAX));
}

static json_t *segmentSchema(void)
{
    return json_pack("{s:s,s:b,s:[s,s],s:{s:o,s:o}}", "type", "object",
                     "additionalProperties", 0, "required", "start_ms",
                     "end_ms", "properties", "start_ms",
                     intSchema(0, (long long)SLOT_TIME_MAX_MS), "end_ms",
                     intSchema(0, (long long)SLOT_TIME_MAX_MS));
}

static json_t *kindSchema(void)
{
    return json_pack("{s:s,s:[s,s,s]}", "type", "string", "enum", "normal",
                     "expert", "special");
}

/* Request schemas say additionalProperties: false because the parsers
 * (gw_json.c) refuse unknown fields; response schemas leave it open so that
 * fields can be added without breaking clients that validate. */
static json_t *schemas(void)
{
    json_t *s = json_object();
    json_object_set_new(
        s, "PoolCreate",
        json_pack("{s:s,s:b,s:[s,s],s:{s:o,s:o,s:o,s:o,s:o,s:o,s:o}}", "type",
                  "object", "additionalProperties", 0, "required", "pool",
                  "capacity", "properties", "pool",
                  strSchema("^[A-Za-z0-9/_.:-]+$", 1, SLOT_POOL_ID_MAX),
                  "capacity", intSchema(1, SLOT_POOL_CAPACITY_MAX), "kind",
                  kindSchema(), "fee_cents", intSchema(0, SLOT_FEE_MAX_CENTS),
                  "segment", segmentSchema(), "release_at_ms",
                  intSchema(0, (long long)SLOT_TIME_MAX_MS), "channels",
                  json_pack("{s:s,s:i,s:o,s:o}", "type", "object",
                            "maxProperties", SLOT_POOL_SHARES_MAX,
                            "propertyNames",
                            strSchema("^[a-z0-9_-]+$", 1, SLOT_CHANNEL_MAX),
                            "additionalProperties",
                            intSchema(1, SLOT_POOL_CAPACITY_MAX))));
    json_object_set_new(
        s, "PoolCreated",
        json_pack("{s:s,s:[s,s,s,s,s,s,s],s:{s:o,s:o,s:o,s:o,s:o,s:o,s:o}}",
                  "type", "object", "required", "pool", "capacity", "channels",
                  "kind", "fee_cents", "segment", "release_at_ms", "properties",
                  "pool", json_pack("{s:s}", "type", "string"), "capacity",
                  intSchema(1, SLOT_POOL_CAPACITY_MAX), "channels",
                  json_pack("{s:s,s:o}", "type", "object",
                            "additionalProperties",
                            intSchema(1, SLOT_POOL_CAPACITY_MAX)),
                  "kind", kindSchema(), "fee_cents",
                  intSchema(0, SLOT_FEE_MAX_CENTS), "segment", segmentSchema(),
                  "release_at_ms", intSchema(0, (long long)SLOT_TIME_MAX_MS)));
    json_object_set_new(
        s, "Pool",
        json_pack("{s:s,s:[s,s,s,s,s,s,s,s],s:{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,"
                  "s:o,s:o,"
                  "s:o,s:o,s:o}}",
                  "type", "object", "required", "pool", "capacity", "free",
                  "held", "booked", "channels", "release_at_ms", "state",
                  "properties", "pool", json_pack("{s:s}", "type", "string"),
                  "capacity", intSchema(1, SLOT_POOL_CAPACITY_MAX), "free",
                  intSchema(0, SLOT_POOL_CAPACITY_MAX), "held",
                  intSchema(0, SLOT_POOL_CAPACITY_MAX), "booked",
                  intSchema(0, SLOT_POOL_CAPACITY_MAX), "channels",
                  json_pack("{s:s,s:o}", "type", "object",
                            "additionalProperties", bucketSchema()),
                  "shared", bucketSchema(), "kind", kindSchema(), "fee_cents",
                  intSchema(0, SLOT_FEE_MAX_CENTS), "segment", segmentSchema(),
                  "release_at_ms", intSchema(0, (long long)SLOT_TIME_MAX_MS),
                  "state",
                  json_pack("{s:s,s:[s,s,s]}", "type", "string", "enum",
                            "scheduled", "open", "closed"),
                  "next_visit_no", intSchema(1, 1LL << 32)));
    json_object_set_new(s, "PoolClosed",
                        json_pack("{s:s,s:{s:{s:s},s:{s:s,s:[s]}}}", "type",
                                  "object", "properties", "pool", "type",
                                  "string", "state", "type", "string", "enum",
                                  "closed"));
    json_object_set_new(
        s, "HoldCreate",
        json_pack("{s:s,s:b,s:[s],s:{s:o,s:o}}", "type", "object",
                  "additionalProperties", 0, "required", "patient",
                  "properties", "patient",
                  strSchema("^[A-Za-z0-9_.:-]+$", SLOT_PATIENT_KEY_MIN,
                            SLOT_PATIENT_KEY_MAX),
                  "ttl_ms", intSchema(1, 4294967295LL)));
    json_object_set_new(s, "HoldCreated",
                        json_pack("{s:s,s:[s,s],s:{s:o,s:o}}", "type", "object",
                                  "required", "hold", "deadline_ms",
                                  "properties", "hold", intSchema(1, 1LL << 53),
                                  "deadline_ms",
                                  intSchema(0, (long long)SLOT_TIME_MAX_MS)));
    json_object_set_new(
        s, "Confirm",
        json_pack("{s:s,s:b,s:[s],s:{s:o}}", "type", "object",
                  "additionalProperties", 0, "required", "payment_ref",
                  "properties", "payment_ref",
                  strSchema("^[!-~]+$", 1, SLOT_PAYMENT_REF_MAX)));
    json_object_set_new(s, "Confirmed",
                        json_pack("{s:s,s:[s,s],s:{s:o,s:o}}", "type", "object",
                                  "required", "booking", "visit_no",
                                  "properties", "booking",
                                  intSchema(1, 1LL << 53), "visit_no",
                                  intSchema(1, 1LL << 32)));
    json_object_set_new(s, "Empty",
                        json_pack("{s:s,s:b,s:s}", "type", "object",
                                  "additionalProperties", 0, "description",
                                  "no body, or {}"));
    json_object_set_new(s, "Resolved",
                        json_pack("{s:s,s:s,s:{s:o,s:o,s:{s:s,s:[s,s]}}}",
                                  "type", "object", "description",
                                  "DELETE /v1/holds/{hold}: {hold, state: "
                                  "released}; cancel: {booking, "
                                  "state: cancelled}",
                                  "properties", "hold", intSchema(1, 1LL << 53),
                                  "booking", intSchema(1, 1LL << 53), "state",
                                  "type", "string", "enum", "released",
                                  "cancelled"));
    json_t *claimProps = json_pack(
        "{s:o,s:o,s:{s:s,s:[s,s,s,s,s]},s:{s:s},s:{s:s},s:{s:s},s:o,s:o,s:o,s:"
        "o,s:o,s:{s:s}}",
        "hold", intSchema(1, 1LL << 53), "booking", intSchema(1, 1LL << 53),
        "state", "type", "string", "enum", "held", "booked", "released",
        "expired", "cancelled", "pool", "type", "string", "patient", "type",
        "string", "channel", "type", "string", "held_at_ms",
        intSchema(0, (long long)SLOT_TIME_MAX_MS), "deadline_ms",
        intSchema(0, (long long)SLOT_TIME_MAX_MS), "booked_at_ms",
        intSchema(0, (long long)SLOT_TIME_MAX_MS), "resolved_at_ms",
        intSchema(0, (long long)SLOT_TIME_MAX_MS), "visit_no",
        intSchema(0, 1LL << 32), "payment_ref", "type", "string");
    json_object_set_new(
        s, "Claim",
        json_pack(
            "{s:s,s:s,s:[s,s,s,s],s:o}", "type", "object", "description",
            "A hold, or the booking made from it (same id): the id is under "
            "\"hold\" (hold and patient routes) or \"booking\" (booking route)",
            "required", "state", "pool", "patient", "channel", "properties",
            claimProps));
    json_object_set_new(
        s, "Health",
        json_pack("{s:s,s:{s:{s:s},s:{s:s},s:o,s:o}}", "type", "object",
                  "properties", "status", "type", "string", "node", "type",
                  "string", "applied_index", intSchema(0, 1LL << 62),
                  "ledger_time_ms", intSchema(0, (long long)SLOT_TIME_MAX_MS)));
    json_t *codes = json_array();
#define OA_LEDGER_CODE_(name, num, msg)                                        \
    json_array_append_new(codes, json_string(#name));
    SLOT_ERR_MAP(OA_LEDGER_CODE_)
#undef OA_LEDGER_CODE_
#define OA_GW_CODE_(name, num, status, msg)                                    \
    json_array_append_new(codes, json_string(#name));
    GW_ERR_MAP(OA_GW_CODE_)
#undef OA_GW_CODE_
    json_object_set_new(
        s, "Error",
        json_pack("{s:s,s:[s],s:{s:{s:s,s:[s,s],s:{s:{s:s,s:o},s:{s:s},s:o,s:o,"
                  "s:{s:s},"
                  "s:{s:s},s:{s:s}}}}}",
                  "type", "object", "required", "error", "properties", "error",
                  "type", "object", "required", "code", "message", "properties",
                  "code", "type", "string", "enum", codes, "message", "type",
                  "string", "hold", intSchema(1, 1LL << 53), "booking",
                  intSchema(1, 1LL << 53), "pool", "type", "string", "patient",
                  "type", "string", "query", "type", "string"));
    return s;
}

struct bodyinfo {
    const char *request;  /* schema name of the body, or NULL */
    const char *response; /* schema name of the success body */
    const char *errors; /* statuses besides the common ones, space separated */
};

static struct bodyinfo bodyOf(int route)
{
    switch (route) {
        case GW_R_POOL_CREATE:
            return (struct bodyinfo){"PoolCreate", "PoolCreated",
                                     "409 413 422 504"};
        case GW_R_POOL_GET:
            return (struct bodyinfo){NULL, "Pool", "404"};
        case GW_R_POOL_CLOSE:
            return (struct bodyinfo){"Empty", "PoolClosed",
                                     "404 409 413 422 504"};
        case GW_R_HOLD_CREATE:
            return (struct bodyinfo){"HoldCreate", "HoldCreated",
                                     "404 409 413 422 429 504"};
        case GW_R_PATIENT_GET:
            return (struct bodyinfo){NULL, "Claim", "404"};
        case GW_R_HOLD_GET:
            return (struct bodyinfo){NULL, "Claim", "404"};
        case GW_R_HOLD_CONFIRM:
            return (struct bodyinfo){"Confirm", "Confirmed",
                                     "404 409 410 413 422 504"};
        case GW_R_HOLD_RELEASE:
            return (struct bodyinfo){"Empty", "Resolved",
                                     "404 409 410 413 422 504"};
        case GW_R_BOOKING_GET:
            return (struct bodyinfo){NULL, "Claim", "404"};
        case GW_R_BOOKING_CANCEL:
            return (struct bodyinfo){"Empty", "Resolved",
                                     "404 409 413 422 504"};
        case GW_R_HEALTHZ:
            return (struct bodyinfo){NULL, "Health", ""};
        default:
            return (struct bodyinfo){NULL, NULL, ""};
    }
}

static void addError(json_t *responses, const char *status)
{
    json_object_set_new(responses, status,
                        json_pack("{s:s,s:{s:{s:o}}}", "description",
                                  "error (see error.code)", "content",
                                  "application/json", "schema", ref("Error")));
}

static json_t *param(const char *name)
{
    json_t *schema =
        strcmp(name, "hold") == 0 || strcmp(name, "booking") == 0
            ? intSchema(1, 1LL << 53)
        : strcmp(name, "patient") == 0
            ? strSchema("^[A-Za-z0-9_.:-]+$", SLOT_PATIENT_KEY_MIN,
                        SLOT_PATIENT_KEY_MAX)
            : strSchema("^[A-Za-z0-9/_.:-]+$", 1, SLOT_POOL_ID_MAX);
    return json_pack("{s:s,s:s,s:b,s:s,s:o}", "name", name, "in", "path",
                     "required", 1, "description",
                     "percent-encoded ('/' as %2F)", "schema", schema);
}

static json_t *operation(const struct gw_route *rt)
{
    struct bodyinfo bi = bodyOf(rt->id);
    json_t *op =
        json_pack("{s:s,s:s}", "operationId", rt->name, "summary", rt->summary);
    json_t *params = json_array();
    for (const char *p = strchr(rt->path, '{'); p != NULL;
         p = strchr(p + 1, '{')) {
        const char *e = strchr(p, '}');
        char name[32];
        snprintf(name, sizeof name, "%.*s", (int)(e - p - 1), p + 1);
        json_array_append_new(params, param(name));
    }
    int mutating = strcmp(rt->method, "GET") != 0;
    if (mutating) {
        json_array_append_new(
            params,
            json_pack(
                "{s:s,s:s,s:b,s:s,s:o}", "name", "Idempotency-Key", "in",
                "header", "required", 0, "description",
                "a retry with the same key (same channel) returns the original "
                "response; the same key with a different request is 422",
                "schema",
                strSchema("^[A-Za-z0-9_.:-]+$", 1, SLOT_IDEM_KEY_MAX)));
    }
    if (json_array_size(params) > 0) {
        json_object_set_new(op, "parameters", params);
    } else {
        json_decref(params);
    }
    /* OpenAPI gives a DELETE body no defined meaning: none is listed (an
     * empty body or {} is accepted). */
    if (bi.request != NULL && strcmp(rt->method, "DELETE") != 0) {
        json_object_set_new(
            op, "requestBody",
            json_pack("{s:b,s:{s:{s:o}}}", "required", rt->has_body, "content",
                      "application/json", "schema", ref(bi.request)));
    }
    json_t *responses = json_object();
    char st[8];
    snprintf(st, sizeof st, "%d", rt->ok_status);
    if (rt->id == GW_R_METRICS) {
        json_object_set_new(responses, st,
                            json_pack("{s:s,s:{s:{s:{s:s}}}}", "description",
                                      "Prometheus text format", "content",
                                      "text/plain; version=0.0.4", "schema",
                                      "type", "string"));
    } else if (rt->id == GW_R_OPENAPI) {
        json_object_set_new(responses, st,
                            json_pack("{s:s,s:{s:{s:{s:s}}}}", "description",
                                      "this document", "content",
                                      "application/json", "schema", "type",
                                      "object"));
    } else {
        json_object_set_new(responses, st,
                            json_pack("{s:s,s:{s:{s:o}}}", "description",
                                      "success", "content", "application/json",
                                      "schema", ref(bi.response)));
    }
    if (rt->access != GW_ACCESS_PUBLIC) {
        addError(responses, "400");
        addError(responses, "401");
        addError(responses, "403");
        addError(responses, "431");
        addError(responses, "503");
        json_object_set_new(op, "security", json_pack("[{s:[]}]", "bearer"));
    } else {
        json_object_set_new(op, "security", json_array());
        if (rt->id == GW_R_HEALTHZ) {
            addError(responses, "503");
        }
    }
    char errs[64];
    snprintf(errs, sizeof errs, "%s", bi.errors);
    for (char *t = strtok(errs, " "); t != NULL; t = strtok(NULL, " ")) {
        addError(responses, t);
    }
    json_object_set_new(op, "responses", responses);
    const char *who =
        rt->access == GW_ACCESS_ADMIN     ? "admin token only"
        : rt->access == GW_ACCESS_CHANNEL ? "channel tokens only"
        : rt->access == GW_ACCESS_ANY
            ? "channel tokens (own channel's claims) or the admin token"
            : "no token";
    json_object_set_new(op, "x-access", json_string(who));
    return op;
}

char *gw_openapi_build(size_t *len)
{
    /* Paths come from gw_routes, the table the router matches against: a
     * route cannot be served without being documented, nor documented
     * without being served. Built once at start-up. */
    json_t *paths = json_object();
    for (int r = 1; r < GW_R_COUNT; r++) {
        const struct gw_route *rt = &gw_routes[r];
        json_t *item = json_object_get(paths, rt->path);
        if (item == NULL) {
            item = json_object();
            json_object_set_new(paths, rt->path, item);
        }
        char m[16];
        size_t i = 0;
        for (; rt->method[i] != '\0' && i + 1 < sizeof m; i++) {
            m[i] = (char)(rt->method[i] - 'A' + 'a');
        }
        m[i] = '\0';
        json_object_set_new(item, m, operation(rt));
    }
    json_t *doc = json_pack(
        "{s:s,s:{s:s,s:s,s:s},s:o,s:{s:o,s:{s:{s:s,s:s}}}}", "openapi", "3.0.3",
        "info", "title", "slot-gateway", "version", "1.0.0", "description",
        "HTTP/JSON shim over the slot pool ledger. Errors are "
        "{\"error\":{\"code\":NAME,\"message\":TEXT}}; an Idempotency-Key on a "
        "POST or DELETE makes retries return the original response.",
        "paths", paths, "components", "schemas", schemas(), "securitySchemes",
        "bearer", "type", "http", "scheme", "bearer");
    if (doc == NULL) {
        return NULL;
    }
    char *out = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (out != NULL) {
        *len = strlen(out);
    }
    return out;
}
