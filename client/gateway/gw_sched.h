/* gw_sched: the JSON of the hospitals' schedules and rules (issue 14) in
 * both directions: rule sets, schedule templates, a pool's place in a
 * schedule, the query strings of the pool listing and of the rule reads,
 * and the response bodies of those routes.
 *
 * Parsers follow gw_json.h: strict, straight into libslot's structs; a
 * syntax error, a duplicate key or query parameter, a wrong type, an
 * unknown or a missing field is MALFORMED; a value outside the protocol's
 * rules is INVALID_ARGUMENT, and the message names the field by its path
 * ("rules.groups[1].channels[0]", "segments[3].end", "date_from"). The
 * rules are the protocol's (slot_sched.h, slot_time.h: through
 * slot_valid.h and libslot.h's limits): each value alone, then the rules
 * that relate values (distinct names, a group name that is no channel of
 * any group, permilles adding up to at most 1000, days increasing,
 * segments not overlapping), which are checked here only to name the
 * field: libslot checks the whole again when the call is made, and
 * client/gateway/fuzz/fuzz_gw_sched.c checks that the two agree both ways
 * (what the gateway accepts libslot accepts; every rule set the protocol
 * accepts renders to JSON that parses back to it).
 *
 * Writers follow gw_json.h too: fixed key order, every field present, so a
 * replayed result gives the same bytes. Pure: no I/O; the parsers allocate
 * only jansson's temporary tree.
 *
 * ---- JSON of a rule set (every field optional on input, with the value
 *      of slotc_rules_init; all present on output) -----------------------
 *   {"utc_offset":"+08:00",          [+-]HH:MM, -12:00..+14:00
 *    "release_time":"09:00",         HH:MM: the day horizon_days ahead opens
 *    "horizon_days":7,               0..366; 0: no horizon rule
 *    "cutoff_time":"15:00"|null,     on the day before the visit; null: none
 *    "pay_ttl_ms":300000,            0, or 1000..86400000: a HOLD's default
 *    "pay_ttl_max_ms":0,             0 (the ledger's) or 1000..86400000
 *    "flow_back":{"days_before":1,   0..7 (default 0)
 *                 "time":"15:00",    required
 *                 "to":""}|null,     a share's channel; "" the remainder
 *    "groups":[{"name":"online","channels":["app","wechat"]}],   <= 8 / 16
 *    "policies":[{"channel":"doctor"|"*","horizon_days":90,      <= 16
 *                 "cutoff":true,"same_day":true}],   (default 0, true, true)
 *    "eligibility":[{"department":"","kind":"special"|null,      <= 16
 *                    "channels":["app","window"]}],             1..8 names
 *    "quota", "cancel", "blacklist", "cooldown_ms", "account_channels":
 *                                    the patient rules (slotctl's parser)
 *    "visit":{"checkin_before_ms":86400000,  0..86400000: check-in opens
 *                                    this long before the segment starts
 *             "checkin_late_ms":0,   0..86400000: and closes this long
 *                                    before it ends
 *             "noshow_sweep":false}} a booking not checked in by then is
 *                                    a no-show (rule set version 3)
 *
 * ---- JSON of a template (POST /v1/schedules) ----------------------------
 *   {"id_prefix":"...",              required, 1..50 bytes of pool charset
 *    "hospital":"...", "department":"...",     required
 *    "campus":"", "doctor":"",       optional ("" none)
 *    "kind":"normal", "fee_cents":0, "pay_mode":"online"|"at_visit",
 *    "visit_slot_ms":0,              0..86400000
 *    "shares":[{"channel":"114","permille":300}],   <= 8, sum <= 1000
 *    "eligible":[], "remainder_allow":[],           <= 8 names each
 *    "days":["2026-12-08",...],      required, 1..366, increasing
 *    "segments":[{"start":"08:00","end":"08:30","capacity":10}]}
 *                                    required, 1..48, increasing, end may
 *                                    be "24:00"
 */
#ifndef GW_SCHED_H
#define GW_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gw_json.h"

#define GW_QUERY_PARAMS_MAX 16 /* parameters of one query string */

/* PUT /v1/hospitals/{hospital}/rules. */
struct gw_rules_body {
    char department[SLOTC_NAME_MAX + 1]; /* "": the hospital's own */
    char operator_name[SLOTC_OPERATOR_MAX + 1];
    char reason[SLOTC_REASON_MAX + 1];
    struct slotc_rules rules;
};

/* POST /v1/schedules: tpl's pointers point into this struct. */
struct gw_template_body {
    char id_prefix[SLOTC_ID_PREFIX_MAX + 1];
    struct gw_place_in place;
    char shares[SLOTC_SHARES_MAX][SLOTC_CHANNEL_MAX + 1];
    uint32_t days[SLOTC_TEMPLATE_DAYS_MAX];
    struct slotc_segment segments[SLOTC_TEMPLATE_SEGS_MAX];
    struct slotc_template tpl;
};

/* ---- parsers: true, or false with *f set ----------------------------- */

/* A rule set alone (the "rules" member's value) into *out. */
bool gw_parse_rules(const char *json, size_t len, struct slotc_rules *out,
                    struct gw_fail *f);
/* The body {"department"?, "operator", "reason", "rules"} into *out. */
bool gw_parse_rules_body(const char *body, size_t len,
                         struct gw_rules_body *out, struct gw_fail *f);
/* A template body into *out (out->tpl ready for libslot). */
bool gw_parse_template(const char *body, size_t len,
                       struct gw_template_body *out, struct gw_fail *f);

/* Query strings: qs[0..len) is what follows '?' (percent-encoded; '+' is
 * no space). Parameters are name=value pairs separated by '&'; empty
 * pairs are skipped; a parameter given twice or without '=' is MALFORMED,
 * an unknown one MALFORMED naming it; an empty value is the same as
 * leaving the parameter out. Booleans are 0, 1, false or true; numbers
 * decimal without sign or leading zeros.
 *   pools: hospital (required), department, doctor, date_from, date_to
 *          (YYYY-MM-DD), kind, after (a pool id), limit (1..1000, default
 *          100), stale -> a->query (q ready for slotc_read_query)
 *   rules: department -> a->query.department
 *   log:   after (a version, 0..2^64-1), limit -> a->query
 *   import: dry_run -> a->query.dry_run
 *   events: after (a seq, 0..2^63), limit (1..1000, default 100) and,
 *           for the long poll (not stream), wait_ms (0..GW_EV_WAIT_MAX_MS
 *           of gw_events.h, default 0) -> a->query.after_version, limit,
 *           wait_ms
 *   recon:  day (YYYY-MM-DD, required), hospital, channel (a channel
 *           name), format (csv or json, default json) -> a->query.day,
 *           hospital, channel, csv
 *   stats:  from, to (YYYY-MM-DD, both required, from <= to, at most
 *           GW_STATS_DAYS_MAX days: INVALID_ARGUMENT otherwise), hospital
 *           -> a->query.q.date_from, q.date_to, hospital */
bool gw_parse_recon_query(const char *qs, size_t len, struct gw_args *a,
                          struct gw_fail *f);
bool gw_parse_stats_query(const char *qs, size_t len, struct gw_args *a,
                          struct gw_fail *f);
bool gw_parse_pools_query(const char *qs, size_t len, struct gw_args *a,
                          struct gw_fail *f);
bool gw_parse_rules_query(const char *qs, size_t len, struct gw_args *a,
                          struct gw_fail *f);
bool gw_parse_events_query(const char *qs, size_t len, bool stream,
                           struct gw_args *a, struct gw_fail *f);
bool gw_parse_log_query(const char *qs, size_t len, struct gw_args *a,
                        struct gw_fail *f);
bool gw_parse_import_query(const char *qs, size_t len, struct gw_args *a,
                           struct gw_fail *f);

/* A path's hospital into a->query.hospital (INVALID_ARGUMENT otherwise). */
bool gw_arg_hospital(struct gw_args *a, const char *s, size_t len,
                     struct gw_fail *f);

/* ---- writers ------------------------------------------------------------ */

/* A rule set as a value (the JSON above, every field present). */
void gw_jw_rules(struct gw_jw *w, const struct slotc_rules *r);
/* A rule set alone as a document (tests, the fuzzer). */
void gw_json_rules(struct gw_buf *b, const struct slotc_rules *r);
/* GET .../rules: {"hospital","department","inherited","version",
 * "changed_at_ms","operator","reason","rules"}. */
void gw_json_rules_info(struct gw_buf *b, const char *hospital,
                        const struct slotc_rules_info *i);
/* GET .../rules/log: {"hospital","changes":[{...as above without
 * "hospital"}],"next_after":version|null} (next_after: the last version
 * when the page is full, else null). */
void gw_json_rules_log(struct gw_buf *b, const char *hospital,
                       const struct slotc_rules_info *v, uint32_t n,
                       uint32_t limit);
/* PUT .../rules: {"hospital","department","version"}. */
void gw_json_rules_set(struct gw_buf *b, const char *hospital,
                       const char *department, uint64_t version);
/* GET /v1/pools: {"total","pools":[...],"next_after":id|null,
 * "applied_index","node","stale"}. next_after is the last pool's id when
 * the page is full and more may follow, else null. */
void gw_json_pool_list(struct gw_buf *b, const struct slotc_out *out,
                       const struct gw_query *q);
/* POST /v1/schedules: {"created","unchanged","conflicts":[ids],
 * "dry_run"}. */
void gw_json_import(struct gw_buf *b, uint64_t created, uint64_t unchanged,
                    const char *const *conflicts, uint32_t n_conflicts,
                    bool dry_run);

#endif /* GW_SCHED_H */
