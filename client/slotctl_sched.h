/* slotctl_sched: the JSON of hospitals' rule sets, schedule templates and
 * the schedule fields of pools and claims, for slotctl (the same shapes as
 * slot-gateway's /v1/hospitals/{h}/rules and /v1/schedules, so that an
 * operator can move one file between the two).
 *
 * ---- Rule set ---------------------------------------------------------------
 *   {"utc_offset": "+08:00", "release_time": "09:00", "horizon_days": 7,
 *    "cutoff_time": "15:00" | null, "pay_ttl_ms": 300000,
 *    "pay_ttl_max_ms": 0,
 *    "flow_back": {"days_before": 1, "time": "15:00", "to": ""} | null,
 *    "groups": [{"name": "online", "channels": ["app", "wechat"]}],
 *    "policies": [{"channel": "doctor", "horizon_days": 90,
 *                  "cutoff": false, "same_day": true}],
 *    "eligibility": [{"department": "", "kind": "special" | null,
 *                     "channels": ["app", "window"]}],
 *    "quota": {"day_normal": 3, "day_expert": 2, "dept_expert": 1,
 *              "month_normal": 12, "month_expert": 4, "per_account": false},
 *    "cancel": {"days_before": 1, "time": "15:00" | null,
 *               "same_day": false, "limit_per_day": 3},
 *    "blacklist": {"threshold": 3, "window_days": 90, "days": 90,
 *                  "exempt": "window", "unpaid_is_violation": false,
 *                  "late_cancel_ms": 0},
 *    "cooldown_ms": [60000, 600000],
 *    "account_channels": "online",
 *    "visit": {"checkin_before_ms": 3600000, "checkin_late_ms": 0,
 *              "noshow_sweep": true}}
 * quota to account_channels are the hospital's patient rules (struct
 * slotc_patient_rules; libslot.h says what each means): quota 0 = no
 * limit; cancel.time null = no cancellation deadline; limit_per_day 0 =
 * none; blacklist.threshold 0 = no blacklist; cooldown_ms [min, max], max
 * 0 = none; exempt and account_channels "" = none. visit is the visit-day
 * rules (struct slotc_visit_rules): check-in from checkin_before_ms
 * before the segment to checkin_late_ms before its end, each
 * 0..86400000 (absent: 86400000 and 0), noshow_sweep (false). Inside each
 * object every field is optional too.
 * Every top-level field is optional on input (absent: slotc_rules_init's
 * value, i.e. no restriction); output has all of them. Inside the arrays:
 * a group needs name and channels; a policy needs channel (horizon_days
 * defaults to 0 = the hospital's, cutoff and same_day to true: what a
 * channel without a policy gets); an eligibility rule needs channels
 * (department "" and kind null = any). flow_back needs time (days_before
 * 0, to "" = the remainder).
 *
 * ---- Schedule template -----------------------------------------------------
 *   {"id_prefix": "pumch/dongdan/cardiology/zhang-wei", "hospital": "pumch",
 *    "campus": "", "department": "cardiology", "doctor": "",
 *    "kind": "expert", "fee_cents": 5000, "pay_mode": "online",
 *    "visit_slot_ms": 0,
 *    "shares": [{"channel": "114", "permille": 300}],
 *    "eligible": [], "remainder_allow": ["window"],
 *    "days": ["2026-12-08", ...],
 *    "segments": [{"start": "08:00", "end": "08:30", "capacity": 10}]}
 * Required: id_prefix, hospital, department, days, segments (each segment
 * all three fields; "end" may be "24:00"; each share both fields).
 * Defaults: campus, doctor "", kind "normal", fee_cents 0, pay_mode
 * "online", visit_slot_ms 0, shares, eligible, remainder_allow [].
 *
 * ---- Parsing is strict ------------------------------------------------------
 * An unknown field, a duplicate key (sctl_json_load rejects them), a value
 * of the wrong type or a missing required field is SLOT_MALFORMED; a value
 * out of its range, charset or calendar (a date that does not exist, days
 * not increasing) SLOT_INVALID_ARGUMENT; a string or list over its limit
 * SLOT_TOO_LARGE. The error names the field by its path ("groups[1].name",
 * "[2].days[0]" for the third template of an array). The limits and
 * charsets are the protocol's (slot_valid.h, slot_sched.h); what only the
 * ledger can decide (a group name that clashes with a channel, ...) is
 * left to libslot's own validation at submission.
 */
#ifndef SLOTCTL_SCHED_H
#define SLOTCTL_SCHED_H

#include <jansson.h>
#include <stddef.h>

#include "libslot.h"

#define SCTL_FILE_MAX      (4u << 20) /* bytes of one input file */
#define SCTL_TEMPLATES_MAX 256        /* templates in one file */

/* A parse error: the code (SLOT_MALFORMED, SLOT_INVALID_ARGUMENT,
 * SLOT_TOO_LARGE), the field's path ("" for the whole document) and a
 * message that starts with the path. */
struct sctl_err {
    int code;
    char field[128];
    char message[400];
};

/* Reads FILE (or standard input for "-"), at most SCTL_FILE_MAX bytes, and
 * parses it as one JSON value, rejecting duplicate keys. Returns the value
 * (the caller owns it: json_decref), or NULL with *e set: SLOT_MALFORMED
 * for a syntax error (line and column in the message), SLOT_TOO_LARGE for
 * a file over the limit, -1 (e->code) when the file cannot be read (the
 * message says why: a usage error for slotctl). */
json_t *sctl_json_load(const char *path, struct sctl_err *e);

/* A rule set from JSON into *out (slotc_rules_init first). Returns SLOT_OK
 * or e->code. */
int sctl_rules_parse(const json_t *j, struct slotc_rules *out,
                     struct sctl_err *e);
/* The patient rules of the rule-set object j (its members "quota",
 * "cancel", "blacklist", "cooldown_ms", "account_channels"; the others are
 * not looked at) into *p: an absent field keeps *p's value. base is j's
 * path in messages ("" at the top; slot-gateway's "rules"). Returns
 * SLOT_OK or e->code. sctl_rules_parse uses it; so does slot-gateway, so
 * that both speak of the same fields in the same words. */
int sctl_patient_rules_parse(const json_t *j, const char *base,
                             struct slotc_patient_rules *p, struct sctl_err *e);
/* The visit-day rules of the rule-set object j (its member "visit": an
 * object {"checkin_before_ms", "checkin_late_ms", "noshow_sweep"}, each
 * optional; the other members are not looked at) into *v: an absent
 * field keeps *v's value. base as for sctl_patient_rules_parse. Returns
 * SLOT_OK or e->code. sctl_rules_parse uses it; slot-gateway may too. */
int sctl_visit_rules_parse(const json_t *j, const char *base,
                           struct slotc_visit_rules *v, struct sctl_err *e);
/* The JSON of a rule set (new reference, every field present). */
json_t *sctl_rules_json(const struct slotc_rules *r);
/* The "visit" object of a rule set's JSON (new reference). */
json_t *sctl_visit_rules_json(const struct slotc_visit_rules *v);

/* One parsed template: the libslot struct and the storage its pointers
 * point into. It refers to itself: parse it in place, never copy it. */
struct sctl_template {
    struct slotc_template t;
    char id_prefix[SLOTC_ID_PREFIX_MAX + 1];
    char hospital[SLOTC_NAME_MAX + 1];
    char campus[SLOTC_NAME_MAX + 1];
    char department[SLOTC_NAME_MAX + 1];
    char doctor[SLOTC_NAME_MAX + 1];
    char share_names[SLOTC_SHARES_MAX][SLOTC_CHANNEL_MAX + 1];
    char eligible[SLOTC_POOL_NAMES_MAX][SLOTC_CHANNEL_MAX + 1];
    char remainder_allow[SLOTC_POOL_NAMES_MAX][SLOTC_CHANNEL_MAX + 1];
    uint32_t days[SLOTC_TEMPLATE_DAYS_MAX];
    struct slotc_segment segments[SLOTC_TEMPLATE_SEGS_MAX];
};

/* A file's templates: one object, or an array of 1..SCTL_TEMPLATES_MAX.
 * On SLOT_OK *out is a calloc'd array of *n (free() it); on error *out is
 * NULL and e names the field (with "[i]." in front for an array). */
int sctl_templates_parse(const json_t *j, struct sctl_template **out, size_t *n,
                         struct sctl_err *e);
/* The JSON of a template (new reference), as sctl_templates_parse reads
 * it. */
json_t *sctl_template_json(const struct slotc_template *t);

/* Pools one template creates: days x segments. */
uint32_t sctl_template_pools(const struct slotc_template *t);

/* A pool's place as reads report it ("place" of slotctl's pool JSON):
 * hospital, campus, department, doctor, visit_date, pay_mode,
 * visit_slot_ms, eligible, remainder_allow, flow_due_ms, flowed_back. */
json_t *sctl_place_json(const struct slotc_pool_place *p);

/* The schedule fields given to a pool create / update (struct slotc_place:
 * what slotctl echoes), with the same keys less flow_due_ms and
 * flowed_back. */
json_t *sctl_place_spec_json(const struct slotc_place *p);

#endif /* SLOTCTL_SCHED_H */
