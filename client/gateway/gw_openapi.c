/* gw_openapi: the OpenAPI 3 document (see gw_openapi.h). */
#include "gw_openapi.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gw_err.h"
#include "gw_events.h"
#include "gw_ident.h"
#include "gw_json.h"
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
    return json_pack(
        "{s:s,s:[s,s,s,s,s],s:{s:o,s:o,s:o,s:o,s:o}}", "type", "object",
        "required", "capacity", "free", "held", "booked", "cooling",
        "properties", "capacity", intSchema(0, SLOT_POOL_CAPACITY_MAX), "free",
        intSchema(0, SLOT_POOL_CAPACITY_MAX), "held",
        intSchema(0, SLOT_POOL_CAPACITY_MAX), "booked",
        intSchema(0, SLOT_POOL_CAPACITY_MAX), "cooling",
        json_pack("{s:s,s:s,s:i,s:s}", "type", "integer", "format", "int64",
                  "minimum", 0, "description",
                  "slots a cancelled booking freed that are not free yet "
                  "(the hospital's cool-down): free + held + booked + "
                  "cooling == capacity"));
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
    return json_pack("{s:s,s:[s,s,s,s]}", "type", "string", "enum", "normal",
                     "expert", "special", "top_expert");
}

/* ---- building blocks of the schedule schemas ----------------------------- */

/* {"type":"object"}; closed: no other members (a request body). */
static json_t *object(bool closed)
{
    json_t *o = json_pack("{s:s,s:{}}", "type", "object", "properties");
    if (closed) {
        json_object_set_new(o, "additionalProperties", json_false());
    }
    return o;
}

/* Adds a property (required: also to "required"). */
static void prop(json_t *o, const char *name, bool required, json_t *schema)
{
    json_object_set_new(json_object_get(o, "properties"), name, schema);
    if (required) {
        json_t *r = json_object_get(o, "required");
        if (r == NULL) {
            r = json_array();
            json_object_set_new(o, "required", r);
        }
        json_array_append_new(r, json_string(name));
    }
}

static json_t *described(json_t *schema, const char *description)
{
    json_object_set_new(schema, "description", json_string(description));
    return schema;
}

static json_t *nullable(json_t *schema)
{
    json_object_set_new(schema, "nullable", json_true());
    return schema;
}

static json_t *arrayOf(json_t *items, int min, int max, bool unique)
{
    json_t *a = json_pack("{s:s,s:o,s:i,s:i}", "type", "array", "items", items,
                          "minItems", min, "maxItems", max);
    if (unique) {
        json_object_set_new(a, "uniqueItems", json_true());
    }
    return a;
}

static json_t *boolSchema(void)
{
    return json_pack("{s:s}", "type", "boolean");
}

static json_t *stringSchema(void)
{
    return json_pack("{s:s}", "type", "string");
}

static json_t *channelSchema(void)
{
    return strSchema("^[a-z0-9_-]+$", 1, SLOT_CHANNEL_MAX);
}

/* Hospital, campus, department, doctor; optional ones may be "". */
/* A payment method (protocol 5): the channel's charset. */
static json_t *payMethodSchema(void)
{
    return described(strSchema("^[a-z0-9_-]+$", 1, SLOT_PAY_METHOD_MAX),
                     "how the payment_ref was paid (wechat, alipay, card, "
                     "insurance, cash, ...): recorded with the payment; "
                     "only with a payment_ref (400 INVALID_ARGUMENT "
                     "otherwise); the ledger knows at most 16 methods (503 "
                     "LIMIT_REACHED for a 17th new one)");
}

static json_t *nameSchema(bool empty_ok)
{
    return empty_ok ? strSchema("^[A-Za-z0-9_.-]*$", 0, SLOT_NAME_MAX)
                    : strSchema("^[A-Za-z0-9_.-]+$", 1, SLOT_NAME_MAX);
}

static json_t *dateSchema(void)
{
    return described(strSchema("^[0-9]{4}-[0-9]{2}-[0-9]{2}$", 10, 10),
                     "a local date YYYY-MM-DD, 1970-01-02..2269-12-31");
}

/* "HH:MM" (end: also "24:00", a segment's end). */
static json_t *timeSchema(bool end)
{
    return end ? described(
                     strSchema("^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$", 5, 5),
                     "local time of day HH:MM, 00:00..24:00")
               : described(strSchema("^([01][0-9]|2[0-3]):[0-5][0-9]$", 5, 5),
                           "local time of day HH:MM");
}

static json_t *payModeSchema(void)
{
    return json_pack("{s:s,s:[s,s]}", "type", "string", "enum", "online",
                     "at_visit");
}

/* A payment window: 0 or 1000..86400000 ms (slot_sched.h). */
static json_t *payTtlSchema(void)
{
    return described(intSchema(0, 86400000),
                     "0, or 1000..86400000 (1 s .. 24 h)");
}

static json_t *namesSchema(void)
{
    return arrayOf(channelSchema(), 0, SLOT_POOL_NAMES_MAX, true);
}

/* A rule set: every field optional in a request (slotc_rules_init's
 * value), all present in responses. */
/* The hospital's patient rules (slotctl's shape, slotctl_sched.h); each
 * object's members optional in a request. */
static void patientRulesSchema(json_t *o)
{
    json_t *q = described(object(true),
                          "per patient at this hospital, HELD and BOOKED "
                          "claims count; 0: no limit (refusal 409 "
                          "QUOTA_EXCEEDED naming the quota and its window)");
    static const char *const quotas[][2] = {
        {"day_normal", "normal pools of one visit day"},
        {"day_expert", "expert pools (every kind but normal) of one day"},
        {"dept_expert", "expert pools of one department and day"},
        {"month_normal", "normal pools of one calendar month"},
        {"month_expert", "expert pools of one calendar month"}};
    for (size_t i = 0; i < sizeof quotas / sizeof quotas[0]; i++) {
        prop(q, quotas[i][0], false,
             described(intSchema(0, 255), quotas[i][1]));
    }
    prop(q, "per_account", false,
         described(boolSchema(),
                   "the same quotas also count the claims of every patient "
                   "bound to the patient's account together (quota "
                   "account_*)"));
    prop(o, "quota", false, q);
    json_t *c = described(object(true),
                          "a channel may cancel until time (local) of the "
                          "day days_before the visit (409 CANCEL_CLOSED); "
                          "an administrator always may");
    prop(c, "days_before", false, intSchema(0, SLOT_HORIZON_MAX));
    prop(c, "time", false,
         nullable(described(timeSchema(false), "null: no deadline")));
    prop(c, "same_day", false,
         described(boolSchema(), "a booking made after the deadline may be "
                                 "cancelled until its segment starts"));
    prop(c, "limit_per_day", false,
         described(intSchema(0, SLOT_CANCELS_KEPT),
                   "a patient who cancelled this often on a local day gets "
                   "no new holds that day (429 CANCEL_LIMIT); 0: none"));
    prop(o, "cancel", false, c);
    json_t *b = described(object(true),
                          "threshold violations within window_days "
                          "blacklist the patient for days (403 BLACKLISTED); "
                          "one fewer is a warning");
    prop(b, "threshold", false,
         described(intSchema(0, SLOT_VIOLATIONS_KEPT), "0: no blacklist"));
    prop(b, "window_days", false, intSchema(1, 3660));
    prop(b, "days", false, intSchema(1, 3660));
    prop(b, "exempt", false,
         described(strSchema("^[a-z0-9_-]*$", 0, SLOT_CHANNEL_MAX),
                   "a channel or group that still books for a blacklisted "
                   "patient (the hospital's window); \"\": none"));
    prop(b, "unpaid_is_violation", false,
         described(boolSchema(), "a hold that expires unpaid is one"));
    prop(b, "late_cancel_ms", false,
         described(intSchema(0, SLOT_LATE_CANCEL_MAX_MS),
                   "a patient's own cancel less than this before the "
                   "segment starts is one (late_cancel); 0: none"));
    prop(o, "blacklist", false, b);
    prop(o, "cooldown_ms", false,
         described(arrayOf(intSchema(0, 3600000), 2, 2, false),
                   "[min, max]: a slot a cancel frees returns to free at an "
                   "unpredictable time in this range after it (a waitlist "
                   "offer first); max 0: at once"));
    prop(o, "account_channels", false,
         described(strSchema("^[a-z0-9_-]*$", 0, SLOT_CHANNEL_MAX),
                   "a channel or group whose holds must name an account the "
                   "patient is bound to (X-Account; 403 NOT_BOUND); \"\": "
                   "none"));
}

static json_t *ruleSetSchema(void)
{
    json_t *o = described(object(true),
                          "A hospital's (or a department's) rules; in a "
                          "request every field is optional (default: no "
                          "restriction), in a response every field is there");
    prop(o, "utc_offset", false,
         described(strSchema("^[+-](0[0-9]|1[0-4]):[0-5][0-9]$", 6, 6),
                   "fixed UTC offset of the hospital, -12:00..+14:00 "
                   "(default +00:00)"));
    prop(o, "release_time", false, timeSchema(false));
    prop(o, "horizon_days", false,
         described(intSchema(0, SLOT_HORIZON_MAX),
                   "at release_time the day this many days ahead opens; 0: "
                   "no horizon rule"));
    prop(o, "cutoff_time", false,
         nullable(described(timeSchema(false),
                            "on the day before the visit, booking closes at "
                            "this time for channels whose policy has the "
                            "cut-off; null: none")));
    prop(o, "pay_ttl_ms", false,
         described(payTtlSchema(),
                   "the hold time (payment window) of a hold without ttl_ms "
                   "in this hospital's pools; 0: none"));
    prop(o, "pay_ttl_max_ms", false,
         described(payTtlSchema(),
                   "the longest hold; 0: the ledger's configured maximum"));
    json_t *fb = nullable(described(
        object(true), "unsold channel shares flow back once, at this time of "
                      "the day days_before the visit; null: never"));
    prop(fb, "days_before", false, intSchema(0, SLOT_FLOWBACK_DAYS_MAX));
    prop(fb, "time", true, timeSchema(false));
    prop(fb, "to", false,
         described(strSchema("^[a-z0-9_-]*$", 0, SLOT_CHANNEL_MAX),
                   "the share that receives them; \"\": the remainder"));
    prop(o, "flow_back", false, fb);
    json_t *g = object(true);
    prop(g, "name", true, channelSchema());
    prop(g, "channels", true,
         arrayOf(channelSchema(), 1, SLOT_GROUP_CHANNELS_MAX, true));
    prop(o, "groups", false,
         described(arrayOf(g, 0, SLOT_GROUPS_MAX, false),
                   "named groups of channels (a group name is never a "
                   "channel of a group), usable in shares and lists"));
    json_t *pol = object(true);
    prop(pol, "channel", true,
         described(strSchema("^([a-z0-9_-]+|\\*)$", 1, SLOT_CHANNEL_MAX),
                   "a channel, a group, or * (every other)"));
    prop(pol, "horizon_days", false,
         described(intSchema(0, SLOT_HORIZON_MAX), "0: the hospital's"));
    prop(pol, "cutoff", false,
         described(boolSchema(), "the cut-off applies (default true)"));
    prop(pol, "same_day", false,
         described(boolSchema(), "may book for today (default true)"));
    prop(o, "policies", false, arrayOf(pol, 0, SLOT_POLICIES_MAX, false));
    json_t *el = object(true);
    prop(el, "department", false,
         described(nameSchema(true), "\"\": any department"));
    prop(el, "kind", false,
         nullable(described(kindSchema(), "null: any kind")));
    prop(el, "channels", true,
         arrayOf(channelSchema(), 1, SLOT_POOL_NAMES_MAX, true));
    prop(o, "eligibility", false,
         described(arrayOf(el, 0, SLOT_ELIG_RULES_MAX, false),
                   "the first rule matching a pool's department and kind "
                   "lists who may book it"));
    patientRulesSchema(o);
    json_t *v = described(object(true),
                          "the visit day (rule set version 3): check-in is "
                          "accepted from checkin_before_ms before the "
                          "segment starts until checkin_late_ms before it "
                          "ends (409 CHECKIN_NOT_OPEN / CHECKIN_CLOSED); "
                          "with noshow_sweep a booking not checked in by "
                          "then becomes a no-show (a NO_SHOW violation)");
    prop(v, "checkin_before_ms", false,
         described(intSchema(0, SLOT_CHECKIN_MAX_MS), "default 86400000"));
    prop(v, "checkin_late_ms", false,
         described(intSchema(0, SLOT_CHECKIN_MAX_MS), "default 0"));
    prop(v, "noshow_sweep", false, described(boolSchema(), "default false"));
    prop(o, "visit", false, v);
    return o;
}

/* A pool's place in a schedule: in a request (POST /v1/pools), in the
 * create reply (definition), or as reads show it (+ flow-back state). */
static json_t *placeSchema(bool request, bool reads)
{
    json_t *o = nullable(described(
        object(request), "the pool's place in a hospital's schedule; null: "
                         "a free-standing pool"));
    prop(o, "hospital", true, nameSchema(false));
    prop(o, "campus", !request, nameSchema(true));
    prop(o, "department", true, nameSchema(false));
    prop(o, "doctor", !request, nameSchema(true));
    prop(o, "visit_date", true, dateSchema());
    prop(o, "pay_mode", !request, payModeSchema());
    prop(o, "visit_slot_ms", !request,
         described(intSchema(0, SLOT_VISIT_SLOT_MAX_MS),
                   "how long one visit number stands for; 0: segment / "
                   "capacity"));
    prop(o, "eligible", !request,
         described(namesSchema(), "channels or groups that may book it; "
                                  "none: the hospital's eligibility rules"));
    prop(o, "remainder_allow", !request,
         described(namesSchema(), "channels or groups that may take from "
                                  "the shared remainder; none: every "
                                  "eligible one"));
    if (reads) {
        prop(o, "flow_back_at_ms", true,
             nullable(described(intSchema(0, (long long)SLOT_TIME_MAX_MS),
                                "when unsold shares flow back; null: no "
                                "rule, or done")));
        prop(o, "flowed_back", true, boolSchema());
    }
    return o;
}

static json_t *templateSchema(void)
{
    json_t *o = described(
        object(true), "One pool per (day, segment), id "
                      "<id_prefix>/YYYYMMDD/HHMM, with the template's place, "
                      "kind, fee and shares (floor(capacity * permille / "
                      "1000) slots each)");
    prop(o, "id_prefix", true,
         strSchema("^[A-Za-z0-9/_.:-]+$", 1, SLOT_ID_PREFIX_MAX));
    prop(o, "hospital", true, nameSchema(false));
    prop(o, "campus", false, nameSchema(true));
    prop(o, "department", true, nameSchema(false));
    prop(o, "doctor", false, nameSchema(true));
    prop(o, "kind", false, kindSchema());
    prop(o, "fee_cents", false, intSchema(0, SLOT_FEE_MAX_CENTS));
    prop(o, "pay_mode", false, payModeSchema());
    prop(o, "visit_slot_ms", false, intSchema(0, SLOT_VISIT_SLOT_MAX_MS));
    json_t *sh = object(true);
    prop(sh, "channel", true,
         described(channelSchema(), "a channel or a group"));
    prop(sh, "permille", true, intSchema(1, 1000));
    prop(o, "shares", false,
         described(arrayOf(sh, 0, SLOT_POOL_SHARES_MAX, false),
                   "distinct channels, permilles adding up to at most 1000"));
    prop(o, "eligible", false, namesSchema());
    prop(o, "remainder_allow", false, namesSchema());
    prop(o, "days", true,
         described(arrayOf(dateSchema(), 1, SLOT_TEMPLATE_DAYS_MAX, true),
                   "strictly increasing"));
    json_t *seg = object(true);
    prop(seg, "start", true, timeSchema(false));
    prop(seg, "end", true, timeSchema(true));
    prop(seg, "capacity", true, intSchema(1, SLOT_POOL_CAPACITY_MAX));
    prop(o, "segments", true,
         described(arrayOf(seg, 1, SLOT_TEMPLATE_SEGS_MAX, false),
                   "increasing, not overlapping, start before end"));
    return o;
}

static json_t *rulesInfoSchema(void)
{
    json_t *o = object(false);
    prop(o, "hospital", false, described(stringSchema(), "GET .../rules only"));
    prop(o, "department", true,
         described(stringSchema(), "\"\": the hospital's own"));
    prop(o, "inherited", true,
         described(boolSchema(),
                   "a department without rules of its own: the hospital's"));
    prop(o, "version", true, intSchema(1, 1LL << 53));
    prop(o, "changed_at_ms", true, intSchema(0, (long long)SLOT_TIME_MAX_MS));
    prop(o, "operator", true, stringSchema());
    prop(o, "reason", true, stringSchema());
    prop(o, "rules", true, ref("RuleSet"));
    return o;
}

/* The schedule routes' schemas. */
static void schedSchemas(json_t *s)
{
    json_object_set_new(s, "RuleSet", ruleSetSchema());
    json_t *put = object(true);
    prop(put, "department", false,
         described(nameSchema(true), "a department's own rules; absent or "
                                     "\"\": the hospital's"));
    prop(put, "operator", true,
         strSchema("^[A-Za-z0-9_.@-]+$", 1, SLOT_OPERATOR_MAX));
    prop(put, "reason", true,
         described(json_pack("{s:s,s:i}", "type", "string", "minLength", 1),
                   "1..256 bytes of UTF-8 text without control "
                   "characters"));
    prop(put, "rules", true, ref("RuleSet"));
    json_object_set_new(s, "RulesPut", put);
    json_t *ver = object(false);
    prop(ver, "hospital", true, stringSchema());
    prop(ver, "department", true, stringSchema());
    prop(ver, "version", true, intSchema(1, 1LL << 53));
    json_object_set_new(s, "RulesVersion", ver);
    json_object_set_new(s, "RulesInfo", rulesInfoSchema());
    json_t *log = object(false);
    prop(log, "hospital", true, stringSchema());
    prop(log, "changes", true,
         described(arrayOf(ref("RulesInfo"), 0, SLOT_LIST_MAX, false),
                   "oldest first; the ledger keeps the last 32"));
    prop(log, "next_after", true,
         nullable(described(intSchema(1, 1LL << 53),
                            "the last version when the page is full (pass "
                            "it as after=), else null")));
    json_object_set_new(s, "RulesLog", log);
    json_object_set_new(s, "Template", templateSchema());
    json_t *imp = object(false);
    prop(imp, "created", true, intSchema(0, SLOT_IMPORT_POOLS_MAX));
    prop(imp, "unchanged", true, intSchema(0, SLOT_IMPORT_POOLS_MAX));
    prop(imp, "conflicts", true,
         described(arrayOf(stringSchema(), 0, SLOT_LIST_MAX, false),
                   "dry run: pools that exist with another definition"));
    prop(imp, "dry_run", true, boolSchema());
    json_object_set_new(s, "ImportResult", imp);
    json_t *list = object(false);
    prop(list, "total", true,
         described(intSchema(0, 1LL << 32), "every match, not just the page"));
    prop(list, "pools", true, arrayOf(ref("Pool"), 0, SLOT_LIST_MAX, false));
    prop(list, "next_after", true,
         nullable(described(stringSchema(),
                            "the last pool when more may follow (pass it "
                            "as after=), else null")));
    prop(list, "applied_index", true,
         described(intSchema(0, 1LL << 62), "the serving node's applied "
                                            "index"));
    prop(list, "node", true, stringSchema());
    prop(list, "stale", true, boolSchema());
    json_object_set_new(s, "PoolList", list);
    json_object_set_new(s, "ScheduleInput", placeSchema(true, false));
    json_object_set_new(s, "ScheduleDefinition", placeSchema(false, false));
    json_object_set_new(s, "Schedule", placeSchema(false, true));
}

/* Request schemas say additionalProperties: false because the parsers
 * (gw_json.c) refuse unknown fields; response schemas leave it open so that
 * fields can be added without breaking clients that validate. */
/* The patient of a hold or lookup body: an opaque key or an identity
 * (gw_ident.h), never both. */
static json_t *patientSchema(void)
{
    json_t *o = object(true);
    json_object_set_new(
        o, "description",
        json_string(
            "The patient: \"patient\", an opaque key (only from the channels "
            "a gateway with an identity secret lists in "
            "identity.opaque_key_channels; every channel when it has no "
            "secret; keys beginning \"rn:\" are the gateway's), or "
            "\"id_type\" and \"id_number\", which the gateway turns into the "
            "key \"rn:\" + hex of 128 bits of HMAC-SHA256(secret, id_type "
            "\":\" number uppercased); the number is never stored, logged or "
            "sent on. Both: 400 MALFORMED. Errors: 400 "
            "OPAQUE_KEY_NOT_ALLOWED, IDENTITY_NOT_CONFIGURED, "
            "INVALID_ID_NUMBER (the message gives the type's rule, never "
            "the number)."));
    prop(o, "patient", false,
         strSchema("^[A-Za-z0-9_.:-]+$", SLOT_PATIENT_KEY_MIN,
                   SLOT_PATIENT_KEY_MAX));
    json_t *types = json_array();
    char rules[600] = "";
    for (int t = 0; t < GW_ID_TYPES; t++) {
        json_array_append_new(types, json_string(gw_ident_type_name(t)));
        size_t l = strlen(rules);
        snprintf(rules + l, sizeof rules - l, "%s%s: %s", t > 0 ? "; " : "",
                 gw_ident_type_name(t), gw_ident_rule(t));
    }
    prop(o, "id_type", false,
         json_pack("{s:s,s:o}", "type", "string", "enum", types));
    char desc[sizeof rules + 200];
    snprintf(desc, sizeof desc,
             "the document's number as printed, without spaces (letters "
             "in either case): %s; id_card and the 18-character "
             "foreign_permanent are checked by their ISO 7064 MOD 11-2 "
             "check digit",
             rules);
    json_t *num = json_pack("{s:s,s:i,s:i}", "type", "string", "minLength", 5,
                            "maxLength", GW_ID_NUMBER_MAX);
    prop(o, "id_number", false, described(num, desc));
    json_object_set_new(o, "oneOf",
                        json_pack("[{s:[s]},{s:[s,s]}]", "required", "patient",
                                  "required", "id_type", "id_number"));
    return o;
}

static json_t *keySchema(void)
{
    return strSchema("^[A-Za-z0-9_.:-]+$", SLOT_PATIENT_KEY_MIN,
                     SLOT_PATIENT_KEY_MAX);
}

/* Accounts, patients' records, staff commands, waitlists. */
static void patientSchemas(json_t *s)
{
    json_object_set_new(s, "AccountBind", patientSchema());
    json_t *ab = object(false);
    prop(ab, "account", true,
         described(keySchema(), "the account's key in the ledger"));
    prop(ab, "patient", true, keySchema());
    prop(ab, "bound", true,
         described(intSchema(0, SLOT_ACCOUNT_PATIENTS_MAX),
                   "patients now bound to the account"));
    json_object_set_new(s, "AccountBound", ab);
    json_t *acc = object(false);
    prop(acc, "account", true, keySchema());
    prop(acc, "patients", true,
         described(arrayOf(keySchema(), 0, SLOT_ACCOUNT_PATIENTS_MAX, true),
                   "in binding order"));
    json_t *chg = object(false);
    prop(chg, "at_ms", true, intSchema(0, (long long)SLOT_TIME_MAX_MS));
    prop(chg, "unbinds", true, intSchema(1, SLOT_ACCOUNT_PATIENTS_MAX));
    prop(acc, "changes", true,
         described(arrayOf(chg, 0, SLOT_ACCOUNT_CHANGES_KEPT, false),
                   "unbind changes kept, oldest first"));
    json_object_set_new(s, "Account", acc);
    json_t *pi = object(false);
    prop(pi, "patient", true, keySchema());
    prop(pi, "account", true,
         described(stringSchema(), "the account it is bound to; \"\": none"));
    prop(pi, "claims", true,
         described(arrayOf(ref("Claim"), 0, SLOT_LIST_MAX, false),
                   "active claims (held before their deadline, or booked) "
                   "across pools, by id; a waitlist's offer is one of them"));
    json_t *v = object(false);
    prop(v, "at_ms", true, intSchema(0, (long long)SLOT_TIME_MAX_MS));
    prop(v, "hospital", true, nameSchema(false));
    prop(v, "kind", true,
         json_pack("{s:s,s:[s,s,s]}", "type", "string", "enum", "no_show",
                   "unpaid", "other"));
    prop(pi, "violations", true, arrayOf(v, 0, SLOT_VIOLATIONS_KEPT, false));
    json_t *st = object(false);
    prop(st, "hospital", true, nameSchema(false));
    prop(st, "violations", true,
         described(intSchema(0, SLOT_VIOLATIONS_KEPT), "within the window"));
    prop(st, "threshold", true,
         described(intSchema(0, SLOT_VIOLATIONS_KEPT), "0: no blacklist"));
    prop(st, "warning", true,
         described(boolSchema(), "one more violation blacklists"));
    prop(st, "blacklisted", true, boolSchema());
    prop(st, "blacklisted_until_ms", true,
         intSchema(0, (long long)SLOT_TIME_MAX_MS));
    prop(st, "exception", true,
         described(boolSchema(), "staff let the next hold through"));
    prop(pi, "standings", true, arrayOf(st, 0, SLOT_VIOLATIONS_KEPT, false));
    prop(pi, "cancellations_ms", true,
         described(arrayOf(intSchema(0, (long long)SLOT_TIME_MAX_MS), 0,
                           SLOT_CANCELS_KEPT, false),
                   "the patient's own cancellations (by a channel) kept"));
    json_object_set_new(s, "PatientInfo", pi);
    for (int k = 0; k < 2; k++) {
        json_t *b = patientSchema();
        prop(b, "operator", true,
             described(strSchema("^[A-Za-z0-9_.@-]+$", 1, SLOT_OPERATOR_MAX),
                       "who (recorded in the staff log)"));
        prop(b, "reason", true,
             described(json_pack("{s:s,s:i,s:i}", "type", "string", "minLength",
                                 1, "maxLength", SLOT_REASON_MAX),
                       "why: UTF-8 without control characters, at most 256 "
                       "bytes"));
        if (k == 1) {
            prop(b, "kind", true,
                 described(json_pack("{s:s,s:[s,s]}", "type", "string", "enum",
                                     "no_show", "other"),
                           "unpaid holds are recorded by the ledger itself"));
        }
        json_object_set_new(s, k == 0 ? "StaffCommand" : "ViolationCreate", b);
    }
    json_t *sr = object(false);
    prop(sr, "hospital", true, nameSchema(false));
    prop(sr, "patient", true, keySchema());
    prop(sr, "kind", false, stringSchema());
    prop(sr, "violations", false,
         described(intSchema(0, SLOT_VIOLATIONS_KEPT),
                   "violation: within the hospital's window"));
    prop(sr, "blacklisted_until_ms", false,
         described(intSchema(0, (long long)SLOT_TIME_MAX_MS),
                   "violation: 0 unless blacklisted"));
    prop(sr, "lifted", false,
         described(boolSchema(), "unblock: the patient was blacklisted"));
    prop(sr, "exception", false, boolSchema());
    json_object_set_new(s, "StaffResult", sr);
    json_t *e = object(false);
    prop(e, "seq", true, intSchema(1, INT64_MAX));
    prop(e, "at_ms", true, intSchema(0, (long long)SLOT_TIME_MAX_MS));
    prop(e, "op", true,
         json_pack("{s:s,s:[s,s,s,s]}", "type", "string", "enum", "violation",
                   "unblock", "exception", "pool_stop"));
    prop(e, "hospital", true,
         described(nameSchema(true), "\"\": a free-standing pool's pool_stop"));
    prop(e, "patient", true,
         described(stringSchema(), "the patient's key; \"\": a pool_stop"));
    prop(e, "kind", true,
         nullable(described(stringSchema(), "a violation's; else null")));
    prop(e, "operator", true, stringSchema());
    prop(e, "reason", true, stringSchema());
    prop(e, "pool", true,
         described(stringSchema(), "a pool_stop's pool; else \"\""));
    json_t *log = object(false);
    prop(log, "entries", true, arrayOf(e, 0, SLOT_LIST_MAX, false));
    prop(log, "next_after", true,
         nullable(described(intSchema(1, INT64_MAX),
                            "the last seq when the page is full: pass it as "
                            "after")));
    json_object_set_new(s, "StaffLog", log);
    json_object_set_new(s, "WaitlistJoin", patientSchema());
    json_t *w = object(false);
    prop(w, "pool", true, stringSchema());
    prop(w, "patient", true, keySchema());
    prop(w, "position", false,
         described(intSchema(0, 1024), "1 = next; 0: not waiting"));
    prop(w, "length", false, described(intSchema(0, 1024), "patients waiting"));
    prop(w, "state", false,
         json_pack("{s:s,s:[s]}", "type", "string", "enum", "left"));
    json_object_set_new(s, "Waitlist", w);
}

/* The visit day's members of a claim (protocol 4). */
static void visitClaimProps(json_t *props)
{
    json_object_set_new(
        props, "attendance",
        described(json_pack("{s:s,s:[s,s,s]}", "type", "string", "enum",
                            "pending", "checked_in", "no_show"),
                  "a booking's: pending until checked in; no_show when the "
                  "check-in window closed without it (rules with "
                  "noshow_sweep; a NO_SHOW violation)"));
    json_object_set_new(props, "checked_in_at_ms",
                        described(intSchema(0, (long long)SLOT_TIME_MAX_MS),
                                  "0 unless checked in"));
    json_object_set_new(props, "moved_to",
                        described(intSchema(0, 1LL << 53),
                                  "state moved: the new booking's id; else "
                                  "0"));
    json_object_set_new(props, "moved_from",
                        described(intSchema(0, 1LL << 53),
                                  "a booking a move made: the old one's id; "
                                  "else 0"));
    json_object_set_new(props, "refunded",
                        described(boolSchema(),
                                  "cancelled as a stopped clinic's refund "
                                  "(no deadline, no penalty)"));
    json_object_set_new(props, "affected",
                        described(boolSchema(), "its pool is stopped"));
    /* Protocol 5: the payment. */
    json_object_set_new(props, "pay_method",
                        described(stringSchema(),
                                  "how it was paid; \"\": none given or "
                                  "unpaid"));
    json_object_set_new(props, "fee_paid_cents",
                        described(intSchema(0, INT64_MAX),
                                  "the pool's fee when it was paid (at "
                                  "confirm, or at check-in); 0 unpaid"));
}

/* The event feed's page (protocol 4). */
static void eventSchemas(json_t *s)
{
    json_t *types = json_array();
    for (int t = 1; t <= SLOT_EV_MAX; t++) {
        json_array_append_new(types, json_string(slot_event_name(t)));
    }
    json_t *e = object(false);
    prop(e, "seq", true,
         described(intSchema(1, INT64_MAX),
                   "1, 2, ... in apply order over the ledger's life, never "
                   "reused: the cursor"));
    prop(e, "index", true,
         described(intSchema(0, INT64_MAX), "the Raft entry that made it"));
    prop(e, "time_ms", true,
         described(intSchema(0, (long long)SLOT_TIME_MAX_MS), "ledger time"));
    prop(e, "type", true,
         json_pack("{s:s,s:o}", "type", "string", "enum", types));
    prop(e, "pool", true, described(stringSchema(), "\"\": none"));
    prop(e, "claim", true,
         described(intSchema(0, 1LL << 53), "the hold / booking; 0: none"));
    prop(e, "patient", true,
         described(stringSchema(),
                   "\"\": none, or a pool event of a claim the token does not "
                   "own"));
    prop(e, "channel", true, stringSchema());
    prop(e, "account", true,
         described(stringSchema(),
                   "the patient's account at the event (\"ac:...\"); \"\" "
                   "as patient"));
    prop(e, "hospital", true,
         described(stringSchema(), "\"\": a free-standing pool's"));
    prop(e, "a", true,
         described(intSchema(0, INT64_MAX),
                   "held / offered: deadline_ms; booked, checked_in: "
                   "visit_no; cancelled: refunded; moved: the new booking; "
                   "pool_stopped: bookings affected; rules_changed: the "
                   "version; violation: kind; wait_joined: position"));
    prop(e, "b", true,
         described(intSchema(0, INT64_MAX),
                   "booked: paid; checked_in: 1 if this check-in paid; "
                   "pool_stopped: holds affected; violation: blacklisted "
                   "until"));
    prop(e, "fee_cents", true,
         described(intSchema(0, INT64_MAX),
                   "a claim event: the claim's fee paid right after it (0 "
                   "unpaid); other events 0"));
    prop(e, "payment_ref", true,
         described(stringSchema(),
                   "a claim event: its payment reference (\"\" unpaid); "
                   "blanked, as patient, in a pool event of a claim the "
                   "token does not own"));
    prop(e, "pay_method", true,
         described(stringSchema(), "a claim event: its payment method"));
    prop(e, "local_day", true,
         described(intSchema(0, 1000000),
                   "days since 1970-01-01 of time_ms in the hospital's local "
                   "time (UTC without a hospital): the day the "
                   "reconciliation counts it in"));
    json_object_set_new(s, "Event", e);
    json_t *pg = object(false);
    prop(pg, "events", true,
         described(arrayOf(ref("Event"), 0, SLOT_LIST_MAX, false),
                   "the events after the cursor this token may see, oldest "
                   "first"));
    prop(pg, "first", true,
         described(intSchema(0, INT64_MAX), "the oldest seq the feed holds"));
    prop(pg, "last", true,
         described(intSchema(0, INT64_MAX), "the newest seq (0: none yet)"));
    prop(pg, "next_after", true,
         described(intSchema(0, INT64_MAX),
                   "the last seq examined (shown or filtered out): pass it "
                   "as after"));
    json_object_set_new(s, "EventsPage", pg);
}

/* Reconciliation and statistics (protocol 5). */
static void moneySchemas(json_t *s)
{
    json_t *st = object(false);
    prop(st, "visit_date", true, dateSchema());
    prop(st, "hospital", true, stringSchema());
    prop(st, "department", true, stringSchema());
    prop(st, "pools", true,
         described(intSchema(0, INT64_MAX), "scheduled pools of the group"));
    prop(st, "released", true,
         described(intSchema(0, INT64_MAX),
                   "capacity of the pools whose release time has passed"));
    prop(st, "capacity", true,
         described(intSchema(0, INT64_MAX), "capacity of all of them"));
    prop(st, "booked_now", true,
         described(intSchema(0, INT64_MAX), "slots booked now"));
    prop(st, "booked_total", true,
         described(intSchema(0, INT64_MAX),
                   "bookings made (confirms and moves in), over the pools' "
                   "lives"));
    prop(st, "cancelled_total", true, intSchema(0, INT64_MAX));
    prop(st, "refunded_total", true,
         described(intSchema(0, INT64_MAX), "cancelled by a stoppage"));
    prop(st, "moved_total", true,
         described(intSchema(0, INT64_MAX), "moved out to another pool"));
    prop(st, "no_show_total", true, intSchema(0, INT64_MAX));
    prop(st, "checked_in_total", true, intSchema(0, INT64_MAX));
    prop(st, "booking_rate", true,
         described(json_pack("{s:s,s:i}", "type", "number", "minimum", 0),
                   "booked_now / released (0 when nothing is released), 4 "
                   "decimals"));
    json_object_set_new(s, "StatsRow", st);
    json_t *sp = object(false);
    prop(sp, "from", true, dateSchema());
    prop(sp, "to", true, dateSchema());
    prop(sp, "hospital", true, described(stringSchema(), "\"\": any"));
    prop(sp, "rows", true,
         described(
             json_pack("{s:s,s:o}", "type", "array", "items", ref("StatsRow")),
             "per (visit day, hospital, department), in that order"));
    prop(sp, "total", true, intSchema(0, INT64_MAX));
    json_object_set_new(s, "Stats", sp);

    json_t *ln = object(false);
    prop(ln, "seq", true, described(intSchema(1, INT64_MAX), "the event's"));
    prop(ln, "time", true,
         described(stringSchema(), "the event's ledger time, UTC ISO 8601"));
    prop(ln, "kind", true,
         json_pack("{s:s,s:[s,s,s,s,s,s]}", "type", "string", "enum", "booking",
                   "checkin", "cancel", "refund", "move", "no_show"));
    prop(ln, "hospital", true, stringSchema());
    prop(ln, "channel", true, stringSchema());
    prop(ln, "pay_method", true, stringSchema());
    prop(ln, "pool", true, stringSchema());
    prop(ln, "claim", true, intSchema(1, 1LL << 53));
    prop(ln, "patient", true, stringSchema());
    prop(ln, "payment_ref", true, stringSchema());
    prop(ln, "cents", true,
         described(json_pack("{s:s}", "type", "integer"),
                   "+ money taken, - money owed back, 0 none"));
    json_object_set_new(s, "ReconLine", ln);
    json_t *cnt = object(false);
    static const char *const counters[] = {
        "booked",          "booked_cents",
        "checkin_paid",    "checkin_paid_cents",
        "checked_in",      "cancelled",
        "cancelled_cents", "refunded",
        "refunded_cents",  "moved",
        "no_show",         "net_cents"};
    for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++) {
        prop(cnt, counters[i], true, json_pack("{s:s}", "type", "integer"));
    }
    json_object_set_new(
        s, "ReconCounts",
        described(cnt, "the counters of one (hospital, channel, pay_method) "
                       "on the day; net_cents = booked_cents + "
                       "checkin_paid_cents - cancelled_cents - "
                       "refunded_cents"));
    json_t *rw = object(false);
    prop(rw, "hospital", true, stringSchema());
    prop(rw, "channel", true, stringSchema());
    prop(rw, "pay_method", true, stringSchema());
    prop(rw, "status", true,
         json_pack("{s:s,s:[s,s]}", "type", "string", "enum", "agree",
                   "differs"));
    prop(rw, "values", false,
         described(ref("ReconCounts"), "agree: the counters (both sides)"));
    prop(rw, "lines", false,
         described(ref("ReconCounts"), "differs: the lines' sums"));
    prop(rw, "ledger", false,
         described(ref("ReconCounts"), "differs: the ledger's counters"));
    json_object_set_new(
        s, "ReconRow",
        described(rw, "the ledger's counters of (hospital, channel, "
                      "pay_method) on the day against the lines' sums (the "
                      "recon module's JSON, slotctl reconcile's)"));
    json_t *rc = object(false);
    prop(rc, "day", true, dateSchema());
    prop(rc, "hospital", true, described(stringSchema(), "\"\": any"));
    prop(rc, "channel", true,
         described(stringSchema(), "\"\": any (admin token)"));
    prop(rc, "lines", true,
         json_pack("{s:s,s:o}", "type", "array", "items", ref("ReconLine")));
    prop(rc, "rows", true,
         json_pack("{s:s,s:o}", "type", "array", "items", ref("ReconRow")));
    prop(rc, "methods", true,
         described(json_pack("{s:s}", "type", "array"),
                   "totals per payment method, of the ledger's rows"));
    prop(rc, "stats", true,
         described(json_pack("{s:s}", "type", "array"),
                   "the statistics of visit day D"));
    prop(rc, "agree", true, boolSchema());
    prop(rc, "rows_differing", true, intSchema(0, INT64_MAX));
    prop(rc, "kept_from_day", true,
         described(stringSchema(),
                   "the oldest local day (YYYY-MM-DD) whose counters the "
                   "ledger keeps; \"\" none yet"));
    prop(rc, "lines_total", true, intSchema(0, INT64_MAX));
    json_object_set_new(s, "Reconciliation", rc);
}

/* The visit day's bodies and replies (protocol 4). */
/* GET /v1/cluster (gw_http_cluster.c). */
static void clusterSchemas(json_t *s)
{
    json_t *ix = intSchema(0, 1LL << 62);
    json_t *n = object(false);
    prop(n, "node", true,
         described(intSchema(0, SLOTC_NODES_MAX - 1),
                   "its place in the gateway's configured \"cluster\""));
    prop(n, "address", true,
         described(stringSchema(), "the client address configured"));
    prop(n, "reachable", true,
         described(boolSchema(),
                   "it answered its STATUS within limits.cluster_timeout_ms; "
                   "false: \"error\" says why, and the figures are absent"));
    prop(n, "id", false, intSchema(1, 1LL << 62));
    prop(n, "role", false,
         json_pack("{s:s,s:[s,s,s,s]}", "type", "string", "enum", "leader",
                   "follower", "candidate", "unavailable"));
    prop(n, "term", false, json_deep_copy(ix));
    prop(n, "leader_id", false,
         described(json_deep_copy(ix), "the leader it knows; 0: none"));
    prop(n, "commit_index", false, json_deep_copy(ix));
    prop(n, "applied_index", false, json_deep_copy(ix));
    prop(n, "leader_stalls", false,
         described(json_deep_copy(ix),
                   "loop turns of at least 5 ms of callbacks without polling "
                   "while this node led, since it started: stalls on the "
                   "commit path, every client waited behind them"));
    prop(n, "leader_stall_max_us", false,
         described(json_deep_copy(ix), "the longest of them, microseconds"));
    prop(n, "lag", false,
         described(nullable(json_deep_copy(ix)),
                   "the leader's commit_index minus this node's "
                   "applied_index (0 when ahead); null: no leader seen"));
    prop(n, "error", false,
         described(json_pack("{s:s,s:[s,s],s:{s:{s:s},s:{s:s}}}", "type",
                             "object", "required", "code", "message",
                             "properties", "code", "type", "string", "message",
                             "type", "string"),
                   "unreachable: UNAVAILABLE (never connected), TIMEOUT "
                   "(no answer in time), ..."));
    json_object_set_new(s, "ClusterNode", n);
    json_t *v = object(false);
    prop(v, "nodes", true,
         described(arrayOf(ref("ClusterNode"), 1, SLOTC_NODES_MAX, false),
                   "every configured node, in configured order"));
    prop(v, "leader", true,
         described(nullable(json_deep_copy(ix)),
                   "the id of the reachable node that says it leads (the "
                   "highest term if several do); null: none"));
    prop(v, "max_lag", true,
         described(nullable(json_deep_copy(ix)),
                   "the leader's commit_index minus the lowest "
                   "applied_index of the reachable followers (0 without "
                   "one); null without a leader"));
    json_decref(ix);
    json_object_set_new(s, "ClusterView", v);
}

static void visitSchemas(json_t *s)
{
    json_t *stop = object(true);
    prop(stop, "operator", true,
         described(strSchema("^[A-Za-z0-9_.@-]+$", 1, SLOT_OPERATOR_MAX),
                   "who (recorded in the staff log, with the pool)"));
    prop(stop, "reason", true,
         described(json_pack("{s:s,s:i,s:i}", "type", "string", "minLength", 1,
                             "maxLength", SLOT_REASON_MAX),
                   "why: UTF-8 without control characters, at most 256 "
                   "bytes"));
    json_object_set_new(s, "PoolStop", stop);
    json_t *stopped = object(false);
    prop(stopped, "pool", true, stringSchema());
    prop(stopped, "state", true,
         json_pack("{s:s,s:[s]}", "type", "string", "enum", "stopped"));
    prop(stopped, "bookings_affected", true,
         described(intSchema(0, SLOT_POOL_CAPACITY_MAX),
                   "the pool's bookings at the stop: each to be moved "
                   "(POST /v1/bookings/{booking}/move) or cancelled for a "
                   "refund"));
    prop(stopped, "holds_affected", true,
         described(intSchema(0, SLOT_POOL_CAPACITY_MAX),
                   "its holds (they cannot be confirmed any more; released "
                   "or expired as usual)"));
    json_object_set_new(s, "PoolStopped", stopped);
    json_t *pc = object(false);
    prop(pc, "pool", true, stringSchema());
    prop(pc, "claims", true,
         described(arrayOf(ref("Claim"), 0, SLOT_LIST_MAX, false),
                   "by id, ids above after; each id under \"hold\""));
    prop(pc, "next_after", true,
         nullable(described(intSchema(1, 1LL << 53),
                            "the last id when the page is full (pass it as "
                            "after=), else null")));
    json_object_set_new(s, "PoolClaims", pc);
    json_t *mv = object(true);
    prop(mv, "pool", true,
         described(strSchema("^[A-Za-z0-9/_.:-]+$", 1, SLOT_POOL_ID_MAX),
                   "the target: another scheduled pool of the booking's "
                   "hospital, department and kind, not stopped, closed or "
                   "over"));
    json_object_set_new(s, "Move", mv);
    json_t *moved = object(false);
    prop(moved, "booking", true,
         described(intSchema(1, 1LL << 53), "the new booking's id"));
    prop(moved, "visit_no", true, intSchema(1, 1LL << 32));
    prop(moved, "pool", true, described(stringSchema(), "the target pool"));
    prop(moved, "moved_from", true,
         described(intSchema(1, 1LL << 53),
                   "the booking moved (now in state moved)"));
    json_object_set_new(s, "Moved", moved);
    json_t *ci = patientSchema();
    prop(ci, "payment_ref", false,
         described(strSchema("^[!-~]+$", 1, SLOT_PAYMENT_REF_MAX),
                   "paid at the desk: an unpaid booking keeps it and is "
                   "paid"));
    prop(ci, "pay_method", false, payMethodSchema());
    json_object_set_new(s, "Checkin", ci);
    json_t *cd = object(false);
    prop(cd, "booking", true, intSchema(1, 1LL << 53));
    prop(cd, "visit_no", true, intSchema(1, 1LL << 32));
    prop(cd, "attendance", true,
         json_pack("{s:s,s:[s]}", "type", "string", "enum", "checked_in"));
    json_object_set_new(s, "CheckedIn", cd);
}

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
                            "x-propertyNames",
                            strSchema("^[a-z0-9_-]+$", 1, SLOT_CHANNEL_MAX),
                            "additionalProperties",
                            intSchema(1, SLOT_POOL_CAPACITY_MAX))));
    prop(json_object_get(s, "PoolCreate"), "schedule", false,
         ref("ScheduleInput"));
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
                  json_pack("{s:s,s:[s,s,s,s]}", "type", "string", "enum",
                            "scheduled", "open", "closed", "stopped"),
                  "next_visit_no", intSchema(1, 1LL << 32)));
    prop(json_object_get(s, "PoolCreated"), "schedule", true,
         ref("ScheduleDefinition"));
    prop(json_object_get(s, "Pool"), "schedule", true, ref("Schedule"));
    prop(json_object_get(s, "Pool"), "cooling", true,
         described(intSchema(0, SLOT_POOL_CAPACITY_MAX),
                   "slots a cancel freed that are not free yet"));
    prop(json_object_get(s, "Pool"), "waiting", true,
         described(intSchema(0, 1024), "patients on the pool's waitlist"));
    patientSchemas(s);
    json_object_set_new(s, "PoolClosed",
                        json_pack("{s:s,s:{s:{s:s},s:{s:s,s:[s]}}}", "type",
                                  "object", "properties", "pool", "type",
                                  "string", "state", "type", "string", "enum",
                                  "closed"));
    json_t *hc = patientSchema();
    prop(hc, "ttl_ms", false, intSchema(1, 4294967295LL));
    json_object_set_new(s, "HoldCreate", hc);
    json_object_set_new(s, "PatientLookup", patientSchema());
    json_object_set_new(
        s, "HoldCreated",
        json_pack("{s:s,s:[s,s,s],s:{s:o,s:o,s:o}}", "type", "object",
                  "required", "hold", "deadline_ms", "patient", "properties",
                  "hold", intSchema(1, 1LL << 53), "deadline_ms",
                  intSchema(0, (long long)SLOT_TIME_MAX_MS), "patient",
                  described(stringSchema(),
                            "the key the ledger holds it under: the one "
                            "derived from id_type and id_number, or the "
                            "\"patient\" sent")));
    json_object_set_new(
        s, "Confirm",
        json_pack("{s:s,s:b,s:s,s:{s:o}}", "type", "object",
                  "additionalProperties", 0, "description",
                  "no body, {} or no payment_ref: confirmed without payment "
                  "(a pay-at-visit pool books it unpaid, any other answers "
                  "402 PAYMENT_REQUIRED)",
                  "properties", "payment_ref",
                  strSchema("^[!-~]+$", 1, SLOT_PAYMENT_REF_MAX)));
    prop(json_object_get(s, "Confirm"), "pay_method", false, payMethodSchema());
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
        "{s:o,s:o,s:{s:s,s:[s,s,s,s,s,s]},s:{s:s},s:{s:s},s:{s:s},s:o,s:o,s:o,"
        "s:o,s:o,s:{s:s}}",
        "hold", intSchema(1, 1LL << 53), "booking", intSchema(1, 1LL << 53),
        "state", "type", "string", "enum", "held", "booked", "released",
        "expired", "cancelled", "moved", "pool", "type", "string", "patient",
        "type", "string", "channel", "type", "string", "held_at_ms",
        intSchema(0, (long long)SLOT_TIME_MAX_MS), "deadline_ms",
        intSchema(0, (long long)SLOT_TIME_MAX_MS), "booked_at_ms",
        intSchema(0, (long long)SLOT_TIME_MAX_MS), "resolved_at_ms",
        intSchema(0, (long long)SLOT_TIME_MAX_MS), "visit_no",
        intSchema(0, 1LL << 32), "payment_ref", "type", "string");
    json_object_set_new(claimProps, "visit_start_ms",
                        described(intSchema(0, (long long)SLOT_TIME_MAX_MS),
                                  "the visit number's estimated window in "
                                  "the segment; 0 unless booked in one"));
    json_object_set_new(claimProps, "visit_end_ms",
                        intSchema(0, (long long)SLOT_TIME_MAX_MS));
    json_object_set_new(
        claimProps, "paid",
        described(boolSchema(), "confirmed with a payment reference"));
    json_object_set_new(claimProps, "bucket",
                        described(stringSchema(),
                                  "the share it took from (a channel or a "
                                  "group); \"\": the shared remainder"));
    visitClaimProps(claimProps);
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
        json_pack("{s:s,s:s,s:{s:{s:s},s:{s:s},s:{s:s,s:[s,s,s]},s:o,s:o,"
                  "s:o,s:o,s:o}}",
                  "type", "object", "description",
                  "The answering node's own status (no raft barrier): 200 "
                  "when it leads or knows a leader, else 503",
                  "properties", "status", "type", "string", "node", "type",
                  "string", "role", "type", "string", "enum", "leader",
                  "follower", "candidate", "leader_id", intSchema(0, 1LL << 62),
                  "term", intSchema(0, 1LL << 62), "commit_index",
                  intSchema(0, 1LL << 62), "applied_index",
                  intSchema(0, 1LL << 62), "ledger_time_ms",
                  intSchema(0, (long long)SLOT_TIME_MAX_MS)));
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
    json_t *errObj = json_object_get(
        json_object_get(json_object_get(s, "Error"), "properties"), "error");
    prop(errObj, "hospital", false, stringSchema());
    prop(errObj, "account", false, stringSchema());
    prop(errObj, "quota", false,
         described(json_pack("{s:s,s:[s,s,s,s,s,s,s,s,s,s,s]}", "type",
                             "string", "enum", "day_normal", "day_expert",
                             "dept_expert", "month_normal", "month_expert",
                             "active", "account_day_normal",
                             "account_day_expert", "account_dept_expert",
                             "account_month_normal", "account_month_expert"),
                   "QUOTA_EXCEEDED: which quota"));
    prop(errObj, "window_date", false,
         nullable(described(dateSchema(),
                            "QUOTA_EXCEEDED: the quota window's first local "
                            "day (the visit day or the month's first); null "
                            "for the platform-wide quota")));
    prop(errObj, "blacklisted_until_ms", false,
         described(intSchema(0, (long long)SLOT_TIME_MAX_MS),
                   "BLACKLISTED: until when"));
    prop(errObj, "date", false,
         described(dateSchema(), "CANCEL_LIMIT: the local day it lasts"));
    prop(errObj, "account_rule", false,
         described(json_pack("{s:s,s:[s,s,s,s]}", "type", "string", "enum",
                             "full", "elsewhere", "changes", "change_patients"),
                   "ACCOUNT_LIMIT: full (the account binds its maximum), "
                   "elsewhere (the patient is bound to another account), "
                   "changes (unbind changes in the window), change_patients "
                   "(unbinds in one change)"));
    prop(errObj, "conflicts", false,
         described(arrayOf(stringSchema(), 0, SLOT_LIST_MAX, false),
                   "SCHEDULE_CONFLICT: the pools that exist with another "
                   "definition (at most 1000)"));
    schedSchemas(s);
    visitSchemas(s);
    eventSchemas(s);
    moneySchemas(s);
    clusterSchemas(s);
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
        case GW_R_PATIENT_LOOKUP:
            return (struct bodyinfo){"PatientLookup", "Claim", "404 413"};
        case GW_R_HOLD_GET:
            return (struct bodyinfo){NULL, "Claim", "404"};
        case GW_R_HOLD_CONFIRM:
            return (struct bodyinfo){"Confirm", "Confirmed",
                                     "402 404 409 410 413 422 504"};
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
        case GW_R_POOL_QUERY:
            return (struct bodyinfo){NULL, "PoolList", "404"};
        case GW_R_SCHEDULE_IMPORT:
            return (struct bodyinfo){"Template", "ImportResult",
                                     "404 409 413 422 504"};
        case GW_R_RULES_GET:
            return (struct bodyinfo){NULL, "RulesInfo", "404"};
        case GW_R_RULES_SET:
            return (struct bodyinfo){"RulesPut", "RulesVersion",
                                     "404 413 422 504"};
        case GW_R_RULES_LOG:
            return (struct bodyinfo){NULL, "RulesLog", "404"};
        case GW_R_ACCOUNT_BIND:
            return (struct bodyinfo){"AccountBind", "AccountBound",
                                     "409 413 422 504"};
        case GW_R_ACCOUNT_UNBIND:
            return (struct bodyinfo){"Empty", "AccountBound",
                                     "409 413 422 504"};
        case GW_R_ACCOUNT_GET:
            return (struct bodyinfo){NULL, "Account", ""};
        case GW_R_PATIENT_INFO:
            return (struct bodyinfo){NULL, "PatientInfo", ""};
        case GW_R_PATIENT_INFO_LOOKUP:
            return (struct bodyinfo){"PatientLookup", "PatientInfo", "413"};
        case GW_R_VIOLATION:
            return (struct bodyinfo){"ViolationCreate", "StaffResult",
                                     "404 413 422 504"};
        case GW_R_UNBLOCK:
        case GW_R_EXCEPTION:
            return (struct bodyinfo){"StaffCommand", "StaffResult",
                                     "404 413 422 504"};
        case GW_R_STAFF_LOG:
            return (struct bodyinfo){NULL, "StaffLog", ""};
        case GW_R_WAITLIST_JOIN:
            return (struct bodyinfo){"WaitlistJoin", "Waitlist",
                                     "404 409 413 422 504"};
        case GW_R_WAITLIST_LEAVE:
            return (struct bodyinfo){"Empty", "Waitlist", "404 413 422 504"};
        case GW_R_WAITLIST_GET:
            return (struct bodyinfo){NULL, "Waitlist", "404"};
        case GW_R_WAITLIST_LOOKUP:
            return (struct bodyinfo){"PatientLookup", "Waitlist", "404 413"};
        case GW_R_POOL_STOP:
            return (struct bodyinfo){"PoolStop", "PoolStopped",
                                     "404 409 413 422 504"};
        case GW_R_POOL_CLAIMS:
            return (struct bodyinfo){NULL, "PoolClaims", "404"};
        case GW_R_BOOKING_MOVE:
            return (struct bodyinfo){"Move", "Moved", "404 409 413 422 504"};
        case GW_R_BOOKING_CHECKIN:
            return (struct bodyinfo){"Checkin", "CheckedIn",
                                     "404 409 413 422 504"};
        case GW_R_EVENTS:
        case GW_R_EVENTS_STREAM:
            return (struct bodyinfo){NULL, "EventsPage", "410"};
        case GW_R_RECONCILIATION:
            return (struct bodyinfo){NULL, "Reconciliation", "410 413 504"};
        case GW_R_STATS:
            return (struct bodyinfo){NULL, "Stats", "413 504"};
        case GW_R_CLUSTER:
            return (struct bodyinfo){NULL, "ClusterView", ""};
        default:
            return (struct bodyinfo){NULL, NULL, ""};
    }
}

/* The ledger's refusals of the visit day's routes, each with its status
 * (gw_err.c), in the ledger's order (node/ledger/ledger.h). */
static const char *errorsOf(int route)
{
    switch (route) {
        case GW_R_POOL_STOP:
            return "Refusals: 404 UNKNOWN_POOL; 409 POOL_STOPPED (stopped "
                   "already: a stop is for good). A stopped pool refuses "
                   "holds, waitlist joins, closes and confirms with 409 "
                   "POOL_STOPPED; a cancel of its booking is a refund "
                   "(refunded, no deadline, no penalty; not of a no-show: "
                   "409 NO_SHOW). The stop is in "
                   "GET /v1/staff-log (op pool_stop, with the pool). 504 "
                   "OUTCOME_UNKNOWN names the pool to read (state).";
        case GW_R_POOL_CLAIMS:
            return "Refusals: 404 UNKNOWN_POOL. A scan of the ledger's "
                   "claims: for staff, not a channel's hot path.";
        case GW_R_BOOKING_MOVE:
            return "Refusals, in the ledger's order: 404 UNKNOWN_BOOKING; "
                   "403 NOT_OWNER (another channel's booking without the "
                   "patient's account); 409 ALREADY_CANCELLED (cancelled "
                   "or moved); 409 NO_SHOW (a no-show is final); 409 "
                   "NOT_STOPPED (the booking's clinic is not stopped); 404 "
                   "UNKNOWN_POOL (the target); 422 "
                   "MOVE_MISMATCH (the target is not another scheduled pool "
                   "of the same hospital, department and kind: no later "
                   "moment helps); 409 POOL_STOPPED, POOL_CLOSED, "
                   "BOOKING_CLOSED (the target's visit is over), "
                   "PATIENT_HAS_CLAIM, SOLD_OUT (the target); 503 "
                   "LIMIT_REACHED. No quota is asked and nothing counts "
                   "against the patient. 504 OUTCOME_UNKNOWN names the "
                   "booking to read (state moved, moved_to).";
        case GW_R_BOOKING_CHECKIN:
            return "Refusals, in the ledger's order: 404 UNKNOWN_BOOKING; "
                   "403 PATIENT_MISMATCH (the booking is not this "
                   "patient's); 409 ALREADY_CANCELLED (cancelled or "
                   "moved), POOL_STOPPED, ALREADY_CHECKED_IN, NO_SHOW, "
                   "CHECKIN_NOT_OPEN (before the hospital's check-in "
                   "window: later it opens), CHECKIN_CLOSED (after it). "
                   "504 OUTCOME_UNKNOWN names the booking to read "
                   "(attendance).";
        case GW_R_EVENTS:
            return "Who sees what: the admin token every event; a channel "
                   "token the pool events (pool_created, pool_updated, "
                   "pool_closed, pool_stopped, flowed_back, slot_freed, "
                   "rules_changed; the patient, account and payment_ref "
                   "blanked unless its own), the claim and waitlist events "
                   "its channel made, and with X-Account the events of that "
                   "account's "
                   "patients (the staff events violation, unblocked, "
                   "exception, account_bound, account_unbound included); "
                   "config_changed the admin token only. With wait_ms and "
                   "nothing shown after the cursor, the answer waits for "
                   "the first event shown, at most wait_ms. Refusals: 410 "
                   "CURSOR_EXPIRED (the feed dropped events after the "
                   "cursor; first names the oldest held: read on from "
                   "first - 1); 503 OVERLOADED beyond the gateway's "
                   "limits.events_max long polls and streams.";
        case GW_R_EVENTS_STREAM:
            return "text/event-stream: per event \"id: SEQ\", \"event: "
                   "TYPE\", \"data: \" the Event's JSON; a comment line "
                   "(\": heartbeat\") after limits.events_heartbeat_ms "
                   "without one. Starts after Last-Event-ID if given, else "
                   "after=; the same events as GET /v1/events. Ends with "
                   "\"event: error\" (data: an error, code CURSOR_EXPIRED "
                   "with first, SLOW_SUBSCRIBER with last_event_id when its "
                   "socket took nothing for limits.events_stall_ms, "
                   "SHUTDOWN): reconnect with "
                   "Last-Event-ID. Before the stream starts: 410 "
                   "CURSOR_EXPIRED, 503 OVERLOADED as JSON.";
        case GW_R_RECONCILIATION:
            return "The lines are the event feed's (payments taken and owed "
                   "back, day D by the hospital's local time), read from "
                   "the oldest event the feed holds; the rows are the "
                   "ledger's counters (READ_RECON), compared with the "
                   "lines' sums; the statistics are visit day D's. A "
                   "channel token gets its own channel only (channel= "
                   "naming another: 403 FORBIDDEN); the admin token any. "
                   "format=csv answers text/csv (sections line, row, "
                   "method, stats, result, each led by a header record, "
                   "separated by an empty line). Today's counters may "
                   "differ by the events applied while reading. Refusals: "
                   "410 RECON_DAY_GONE (the feed no longer holds the day's "
                   "start: slotctl reconcile --archive); 413 "
                   "RESPONSE_TOO_LARGE past limits.recon_bytes_max; 503 "
                   "RECON_BUSY (+ Retry-After) past limits.recon_max at "
                   "once.";
        case GW_R_STATS:
            return "Statistics are not per channel: every token reads "
                   "them. from..to at most 62 visit days. 413 "
                   "RESPONSE_TOO_LARGE past limits.recon_bytes_max.";
        case GW_R_CLUSTER:
            return "A STATUS (without the state hash) to every node of the "
                   "gateway's configured cluster at once, each bounded by "
                   "limits.cluster_timeout_ms: the answer comes within it. "
                   "A node that did not answer is listed reachable false "
                   "with its error; the view is 200 all the same (never a "
                   "5xx for a node down). 503 CLUSTER_BUSY (+ Retry-After) "
                   "past limits.cluster_max views at once.";
        case GW_R_METRICS:
            return "Besides the gateway's own series, the statistics of "
                   "visit days today - 1 .. today + 7 (UTC) per hospital, "
                   "department and day (slot_stats_released_slots, "
                   "slot_stats_capacity_slots, slot_stats_booked_now, "
                   "slot_stats_booked_total, slot_stats_cancelled_total, "
                   "slot_stats_refunded_total, slot_stats_moved_total, "
                   "slot_stats_no_show_total, slot_stats_checked_in_total, "
                   "slot_stats_booking_rate), as a background read every "
                   "limits.stats_refresh_ms left them (a scrape never reads "
                   "the cluster); at most limits.stats_series_max rows "
                   "(slot_gateway_stats_dropped_total counts the rest).";
        default:
            return NULL;
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
        : strcmp(name, "hospital") == 0 ? nameSchema(false)
        : strcmp(name, "asset") == 0
            ? strSchema("^[a-z0-9_-]+\\.(html|css|js)$", 1, 64)
        : strcmp(name, "account") == 0
            ? described(json_pack("{s:s,s:s,s:i,s:i}", "type", "string",
                                  "pattern", "^[!-~]+$", "minLength", 1,
                                  "maxLength", 128),
                        "the channel's user id, which the gateway hashes "
                        "into the account key (\"ac:\" + 128 bits of "
                        "HMAC-SHA256(secret, \"account:\" id)); without an "
                        "identity secret the key itself; the admin token "
                        "may give a key (\"ac:...\")")
            : strSchema("^[A-Za-z0-9/_.:-]+$", 1, SLOT_POOL_ID_MAX);
    return json_pack("{s:s,s:s,s:b,s:s,s:o}", "name", name, "in", "path",
                     "required", 1, "description",
                     "percent-encoded ('/' as %2F)", "schema", schema);
}

static json_t *boolParam(void)
{
    return json_pack("{s:s,s:[s,s,s,s],s:s}", "type", "string", "enum", "0",
                     "1", "false", "true", "default", "0");
}

static json_t *limitParam(void)
{
    json_t *l = intSchema(1, SLOT_LIST_MAX);
    json_object_set_new(l, "default", json_integer(GW_LIST_LIMIT_DEFAULT));
    return l;
}

static void queryParam(json_t *params, const char *name, bool required,
                       const char *description, json_t *schema)
{
    json_array_append_new(params, json_pack("{s:s,s:s,s:b,s:s,s:o}", "name",
                                            name, "in", "query", "required",
                                            required, "description",
                                            description, "schema", schema));
}

/* The query string of the routes that take one (gw_sched.h): an unknown
 * or repeated parameter is 400 MALFORMED, an empty value is no
 * parameter. */
static void queryParams(int route, json_t *params)
{
    switch (route) {
        case GW_R_POOL_QUERY:
            queryParam(params, "hospital", true, "the hospital",
                       nameSchema(false));
            queryParam(params, "department", false, "only this department",
                       nameSchema(false));
            queryParam(params, "doctor", false, "only this doctor",
                       nameSchema(false));
            queryParam(params, "date_from", false, "visit dates from (local)",
                       dateSchema());
            queryParam(params, "date_to", false,
                       "visit dates up to (local, inclusive)", dateSchema());
            queryParam(params, "kind", false, "only this kind", kindSchema());
            queryParam(params, "after", false,
                       "the page after this pool (next_after of the previous "
                       "page)",
                       strSchema("^[A-Za-z0-9/_.:-]+$", 1, SLOT_POOL_ID_MAX));
            queryParam(params, "limit", false, "pools per page", limitParam());
            queryParam(params, "stale", false,
                       "1: any node's own state (browsing), labelled with its "
                       "applied index; else linearizable",
                       boolParam());
            break;
        case GW_R_SCHEDULE_IMPORT:
            queryParam(params, "dry_run", false,
                       "1: what the import would do, changing nothing (a "
                       "read: no Idempotency-Key needed); 200 with the "
                       "conflicts listed",
                       boolParam());
            break;
        case GW_R_RULES_GET:
            queryParam(params, "department", false,
                       "the rules in force for this department (its own, "
                       "else the hospital's: inherited)",
                       nameSchema(false));
            break;
        case GW_R_STAFF_LOG:
            queryParam(params, "after", false,
                       "entries with a seq above this (default 0)",
                       intSchema(0, INT64_MAX));
            queryParam(params, "limit", false, "entries per page",
                       limitParam());
            break;
        case GW_R_POOL_CLAIMS:
            queryParam(params, "after", false,
                       "claims with an id above this (default 0)",
                       intSchema(0, INT64_MAX));
            queryParam(params, "limit", false, "claims per page", limitParam());
            break;
        case GW_R_EVENTS:
        case GW_R_EVENTS_STREAM:
            queryParam(params, "after", false,
                       route == GW_R_EVENTS
                           ? "events with a seq above this (default 0: from "
                             "the oldest held); next_after of the previous "
                             "page"
                           : "events with a seq above this (Last-Event-ID "
                             "wins)",
                       intSchema(0, INT64_MAX));
            queryParam(params, "limit", false,
                       "events examined per read (shown or not)", limitParam());
            if (route == GW_R_EVENTS) {
                queryParam(params, "wait_ms", false,
                           "wait up to this long for an event to show "
                           "(default 0: answer at once)",
                           intSchema(0, GW_EV_WAIT_MAX_MS));
            }
            break;
        case GW_R_RULES_LOG:
            queryParam(params, "after", false,
                       "changes with a version above this (default 0)",
                       intSchema(0, INT64_MAX));
            queryParam(params, "limit", false, "changes per page",
                       limitParam());
            break;
        case GW_R_RECONCILIATION:
            queryParam(params, "day", true,
                       "the local day reconciled (the hospitals' local time)",
                       dateSchema());
            queryParam(params, "hospital", false, "only this hospital",
                       nameSchema(false));
            queryParam(params, "channel", false,
                       "only this channel (a channel token: its own only)",
                       channelSchema());
            queryParam(params, "format", false, "the document's format",
                       json_pack("{s:s,s:[s,s],s:s}", "type", "string", "enum",
                                 "json", "csv", "default", "json"));
            break;
        case GW_R_STATS:
            queryParam(params, "from", true, "visit days from", dateSchema());
            queryParam(params, "to", true,
                       "visit days up to (inclusive; at most 62 days)",
                       dateSchema());
            queryParam(params, "hospital", false, "only this hospital",
                       nameSchema(false));
            break;
        default:
            break;
    }
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
    queryParams(rt->id, params);
    /* The lookup is a POST only to keep the number out of the URL: a read,
     * without a key. */
    int mutating =
        strcmp(rt->method, "GET") != 0 && rt->id != GW_R_PATIENT_LOOKUP &&
        rt->id != GW_R_PATIENT_INFO_LOOKUP && rt->id != GW_R_WAITLIST_LOOKUP;
    switch (rt->id) {
        case GW_R_HOLD_CREATE:
        case GW_R_HOLD_CONFIRM:
        case GW_R_HOLD_RELEASE:
        case GW_R_BOOKING_CANCEL:
        case GW_R_BOOKING_MOVE:
        case GW_R_WAITLIST_JOIN:
        case GW_R_WAITLIST_LEAVE:
        case GW_R_EVENTS:
        case GW_R_EVENTS_STREAM:
            json_array_append_new(
                params,
                json_pack(
                    "{s:s,s:s,s:b,s:s,s:o}", "name", "X-Account", "in",
                    "header", "required", 0, "description",
                    "the account of the channel's user (its user id, hashed "
                    "by the gateway as the {account} of /v1/accounts): a hold "
                    "or waitlist entry for a patient bound to it (403 "
                    "NOT_BOUND otherwise); the claim or entry of such a "
                    "patient made through another channel may be confirmed, "
                    "released, cancelled or left (403 NOT_OWNER without it)",
                    "schema",
                    json_pack("{s:s,s:s,s:i,s:i}", "type", "string", "pattern",
                              "^[!-~]+$", "minLength", 1, "maxLength", 128)));
            break;
        default:
            break;
    }
    if (rt->id == GW_R_EVENTS_STREAM) {
        json_array_append_new(
            params,
            json_pack("{s:s,s:s,s:b,s:s,s:o}", "name", "Last-Event-ID", "in",
                      "header", "required", 0, "description",
                      "the id of the last event received (a browser's "
                      "EventSource sends it when it reconnects): the stream "
                      "starts after it, whatever after= says",
                      "schema", intSchema(0, INT64_MAX)));
    }
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
    } else if (rt->id == GW_R_EVENTS_STREAM) {
        json_object_set_new(
            responses, st,
            json_pack("{s:s,s:{s:{s:{s:s}}}}", "description",
                      "Server-Sent Events: each event's data is an Event",
                      "content", "text/event-stream", "schema", "type",
                      "string"));
    } else if (rt->id == GW_R_RECONCILIATION) {
        json_object_set_new(
            responses, st,
            json_pack("{s:s,s:{s:{s:o},s:{s:{s:s}}}}", "description",
                      "the day's reconciliation (format=json or csv)",
                      "content", "application/json", "schema",
                      ref("Reconciliation"), "text/csv", "schema", "type",
                      "string"));
    } else if (rt->id == GW_R_CONSOLE || rt->id == GW_R_CONSOLE_ASSET) {
        json_object_set_new(
            responses, st,
            json_pack(
                "{s:s,s:{s:{s:{s:s}},s:{s:{s:s}},s:{s:{s:s}}}}", "description",
                "the file embedded in the binary at build time (GET "
                "or HEAD, no token; other methods 405), with "
                "Content-Security-Policy (default-src 'self', no "
                "inline script or style), X-Content-Type-Options "
                "nosniff, Cache-Control no-cache",
                "content", "text/html; charset=utf-8", "schema", "type",
                "string", "text/css; charset=utf-8", "schema", "type", "string",
                "text/javascript; charset=utf-8", "schema", "type", "string"));
        addError(responses, "404");
        addError(responses, "405");
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
    if (rt->id == GW_R_SCHEDULE_IMPORT) {
        json_object_set_new(
            responses, "200",
            json_pack("{s:s,s:{s:{s:o}}}", "description",
                      "nothing created: every pool was there as defined (a "
                      "repeated import), or a dry run",
                      "content", "application/json", "schema",
                      ref("ImportResult")));
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
    const char *errors = errorsOf(rt->id);
    if (errors != NULL) {
        json_object_set_new(op, "description", json_string(errors));
    }
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
