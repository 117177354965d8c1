/* gw_jsonInt: what gw_json.c shares with the other parsers of request
 * bodies (gw_sched.c): the failure helper, the string rules and the strict
 * member readers over jansson. Not a contract for the rest of the
 * gateway: include gw_json.h (or gw_sched.h) there. */
#ifndef GW_JSON_INT_H
#define GW_JSON_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gw_json.h"
#include "slot_valid.h"

/* Sets *f (code, printf-style message) and returns false. */
bool gw__fail(struct gw_fail *f, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A string field's rule: the protocol's validator decides; the rest only
 * describes it in messages. */
struct gw__str_rule {
    int (*valid)(struct slot_str s);
    unsigned min, max;
    const char *chars;
};
extern const struct gw__str_rule gw__pool_rule;     /* pool ids */
extern const struct gw__str_rule gw__channel_rule;  /* channels, groups */
extern const struct gw__str_rule gw__name_rule;     /* hospital, campus, ... */
extern const struct gw__str_rule gw__operator_rule; /* staff (gw_sched.c) */
extern const struct gw__str_rule gw__reason_rule;   /* free text, UTF-8 */

/* Checks s[0..len) by rule and copies it into dst (capacity cap, which
 * holds the rule's maximum). what names it in the message. */
bool gw__str_arg(const struct gw__str_rule *rule, const char *s, size_t len,
                 char *dst, size_t cap, const char *what, struct gw_fail *f);

/* Parses a body that must be a JSON object (duplicate keys refused). NULL
 * with *f set (MALFORMED) otherwise; the caller json_decref()s it. */
json_t *gw__load_object(const char *body, size_t len, struct gw_fail *f);

/* A bounded, printable copy of a member name (or any bytes) for a
 * message. */
void gw__shown_name(const char *key, size_t len, char out[40]);

/* Refuses members not in the NULL-terminated list (MALFORMED); where
 * prefixes the member's name in the message ("in \"segment\":"). */
bool gw__only_known(json_t *obj, const char *const *known, const char *where,
                    struct gw_fail *f);

/* ---- the schedule fields, shared with gw_sched.c ------------------------ */

/* A pool's place in a schedule from its JSON object ("schedule" of POST
 * /v1/pools: visit_date required) into *p, p->place pointing into *p.
 * where names the object in messages ("schedule"). */
bool gw__parse_place(json_t *obj, const char *where, struct gw_place_in *p,
                     struct gw_fail *f);
/* The "schedule" value of a pool: its place as the ledger reports it, or
 * null for a free-standing pool. */
void gw__jw_place(struct gw_jw *w, const struct slotc_pool *p);
/* The "schedule" value of a created pool (the definition as requested:
 * no ledger-made fields), or null. */
void gw__jw_place_in(struct gw_jw *w, const struct slotc_place *pl);

#endif /* GW_JSON_INT_H */
