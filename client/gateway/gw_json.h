/* gw_json: the gateway's JSON in both directions.
 *
 *   - A small writer (struct gw_jw over struct gw_buf) that produces compact
 *     JSON with keys in a fixed order, so that the same ledger result always
 *     gives the same bytes (an idempotent replay must be byte-identical).
 *   - Strict parsers of request bodies (jansson) and of path parameters,
 *     straight into struct gw_args: syntax errors, duplicate keys, a wrong
 *     type, a missing required field or an unknown field are MALFORMED; a
 *     value outside its range or charset is INVALID_ARGUMENT, decided by
 *     proto/slot_valid.h (the ledger's own rules). The message names the
 *     field.
 *   - Response bodies built from libslot outputs.
 */
#ifndef GW_JSON_H
#define GW_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libslot.h"

/* ---- buffer -------------------------------------------------------------- */

/* A growable byte buffer starting in caller-provided storage. After an
 * allocation failure it stops growing and sets oom (contents truncated). */
struct gw_buf {
    char *p;
    size_t len, cap;
    bool heap, oom;
};
void gw_buf_init(struct gw_buf *b, char *storage, size_t cap);
void gw_buf_free(struct gw_buf *b);
void gw_buf_put(struct gw_buf *b, const char *s, size_t n);
void gw_buf_puts(struct gw_buf *b, const char *s);
void gw_buf_printf(struct gw_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- writer -------------------------------------------------------------- */

#define GW_JW_DEPTH_MAX 16

struct gw_jw {
    struct gw_buf *b;
    int depth;
    bool need_comma[GW_JW_DEPTH_MAX];
    bool after_key;
};
void gw_jw_init(struct gw_jw *w, struct gw_buf *b);
void gw_jw_obj(struct gw_jw *w);     /* { */
void gw_jw_end(struct gw_jw *w);     /* } */
void gw_jw_arr(struct gw_jw *w);     /* [ */
void gw_jw_arr_end(struct gw_jw *w); /* ] */
void gw_jw_key(struct gw_jw *w, const char *k);
/* Strings of our field rules (ASCII): every byte outside 0x20..0x7e is
 * escaped as \u00XX. */
void gw_jw_str(struct gw_jw *w, const char *s);
void gw_jw_strn(struct gw_jw *w, const char *s, size_t n);
/* Free text in UTF-8 (a reason hospital staff wrote, in Chinese): valid
 * UTF-8 is copied as it is (a JSON parser reads back the same
 * characters); control characters, and every byte of a string that is not
 * valid UTF-8, are escaped as gw_jw_str does. */
void gw_jw_text(struct gw_jw *w, const char *s);
void gw_jw_u64(struct gw_jw *w, uint64_t v);
void gw_jw_bool(struct gw_jw *w, bool v);
void gw_jw_null(struct gw_jw *w);
void gw_jw_raw(struct gw_jw *w, const char *json); /* a value already JSON */

/* ---- errors -------------------------------------------------------------- */

#define GW_MSG_MAX 200

/* A request-level failure: a code (gw_err.h or slot_err.h) and a message. */
struct gw_fail {
    int code;
    char message[GW_MSG_MAX];
};

/* Appends {"error":{"code":NAME,"message":MSG[,extra...]}} where extra is
 * already-formatted JSON members (`"hold":12`), or NULL. */
void gw_json_error(struct gw_buf *b, int code, const char *message,
                   const char *extra);

/* ---- request arguments -------------------------------------------------- */

/* A pool's place in a hospital's schedule as a request gives it (POST
 * /v1/pools "schedule", a template's place): place's strings point into
 * this struct. */
struct gw_place_in {
    char hospital[SLOTC_NAME_MAX + 1];
    char campus[SLOTC_NAME_MAX + 1];
    char department[SLOTC_NAME_MAX + 1];
    char doctor[SLOTC_NAME_MAX + 1];
    char eligible[SLOTC_POOL_NAMES_MAX][SLOTC_CHANNEL_MAX + 1];
    char remainder_allow[SLOTC_POOL_NAMES_MAX][SLOTC_CHANNEL_MAX + 1];
    struct slotc_place place;
};

/* The query string of the schedule routes (gw_sched.h), and the hospital
 * of the rules routes' path. q's strings point into this struct. */
struct gw_query {
    char hospital[SLOTC_NAME_MAX + 1];
    char department[SLOTC_NAME_MAX + 1]; /* "" any / the hospital's own */
    char doctor[SLOTC_NAME_MAX + 1];
    char after[SLOTC_POOL_ID_MAX + 1];
    struct slotc_query q;   /* GET /v1/pools */
    uint64_t after_version; /* GET .../rules/log */
    uint32_t limit;         /* GET .../rules/log, /v1/events */
    uint32_t wait_ms;       /* GET /v1/events: the long poll's wait */
    bool stale;             /* GET /v1/pools?stale=1 */
    bool dry_run;           /* POST /v1/schedules?dry_run=1 */
    /* GET /v1/reconciliation (hospital above too): */
    char channel[SLOTC_CHANNEL_MAX + 1]; /* "" any */
    uint32_t day;                        /* the local day reconciled */
    bool csv;                            /* format=csv (else JSON) */
};

/* Sets q's defaults: no filter, kind any, limit GW_LIST_LIMIT_DEFAULT,
 * q.q's pointers at q's strings. */
void gw_query_init(struct gw_query *q);

#define GW_LIST_LIMIT_DEFAULT 100 /* a list's page without ?limit= */

struct gw_rules_body;    /* gw_sched.h */
struct gw_template_body; /* gw_sched.h */

/* What one request's path, Idempotency-Key and body parse into: the
 * arguments of its libslot calls, written once, in place (the call that
 * waits on the cluster embeds this struct; nothing is copied after
 * parsing). Every string is NUL-terminated and was accepted by the
 * protocol's own rules (proto/slot_valid.h): the gateway has no field rules
 * of its own. */
struct gw_args {
    uint64_t id;                                 /* hold / booking (path) */
    char pool[SLOTC_POOL_ID_MAX + 1];            /* path, or the pool body */
    char patient[SLOTC_PATIENT_KEY_MAX + 1];     /* path, or the hold body */
    char payment_ref[SLOTC_PAYMENT_REF_MAX + 1]; /* confirm body; "": none */
    char pay_method[SLOTC_PAY_METHOD_MAX + 1];   /* confirm, check-in body;
                                                  * "": none */
    char idem[SLOTC_IDEM_KEY_MAX + 1];           /* "" if none */
    uint32_t ttl_ms;                             /* hold body; 0: none */
    /* The pool body; spec.pool, spec.shares[].channel and spec.place point
     * into this struct (pool, channels, place): do not copy it. */
    struct slotc_pool_spec spec;
    char channels[SLOTC_SHARES_MAX][SLOTC_CHANNEL_MAX + 1];
    struct gw_place_in place;
    struct gw_query query;
    /* The bodies of PUT .../rules and POST /v1/schedules: a few KB each,
     * so only the calls of those routes have one (allocated by the
     * caller, NULL otherwise). */
    struct gw_rules_body *rules;
    struct gw_template_body *tpl;
    /* The patient rules' routes (gw_http_patient.c). account: the key of
     * the X-Account header or the path's account ("" none). */
    char account[SLOTC_PATIENT_KEY_MAX + 1];
    char operator_name[SLOTC_OPERATOR_MAX + 1]; /* staff bodies */
    char reason[SLOTC_REASON_MAX + 1];
    int kind; /* a violation's (enum slotc_violation_kind) */
};

/* Clears a for a new request: no id, empty strings, no body, the
 * query's defaults. */
void gw_args_init(struct gw_args *a);

/* Path parameters and headers. Each checks s[0..len) (any bytes) with the
 * protocol's rule and stores it in a; false with *f (INVALID_ARGUMENT)
 * otherwise. */
bool gw_arg_pool(struct gw_args *a, const char *s, size_t len,
                 struct gw_fail *f);
bool gw_arg_patient(struct gw_args *a, const char *s, size_t len,
                    struct gw_fail *f);
bool gw_arg_idem(struct gw_args *a, const char *s, size_t len,
                 struct gw_fail *f);
/* An account as a channel names it (the X-Account header, the path of
 * /v1/accounts/{account}) into a->account, the key the ledger knows it
 * by: with an identity secret (ident non-NULL) the user id's key
 * (gw_ident_account_key: "ac:" + 32 hex digits); the admin token may
 * also give such a key itself (key_ok: read from a patient's info).
 * Without a secret the value is the key, by the patient key rule. */
struct gw_ident;
bool gw_arg_account(struct gw_args *a, const struct gw_ident *ident,
                    bool key_ok, const char *s, size_t len, struct gw_fail *f);
/* A decimal id 1..2^64-1 without sign or leading zeros (a path's hold or
 * booking) into a->id. */
bool gw_arg_id(struct gw_args *a, const char *s, size_t len, struct gw_fail *f);

/* Who may name a patient how, for the bodies that name one (hold,
 * lookup): ident is the identity secret (NULL: the gateway has none, and
 * an identity is refused with GW_IDENTITY_NOT_CONFIGURED); opaque_ok
 * whether the token's channel may send an opaque "patient" key (else
 * GW_OPAQUE_KEY_NOT_ALLOWED). */
struct gw_ident;
struct gw_patient_rules {
    const struct gw_ident *ident;
    bool opaque_ok;
};

/* Bodies. Each parses straight into a (the fields of its route, the others
 * untouched) and returns true, or false with *f set (MALFORMED /
 * INVALID_ARGUMENT, or a gateway code named above). body may be NULL when
 * len is 0.
 *   pool:    a->pool and a->spec (+ a->channels, and a->place for an
 *            optional "schedule": spec.place NULL without one); the spec
 *            is checked whole by slot_valid_pool_spec_field
 *   hold:    a->patient, a->ttl_ms (1..2^32-1 if given, else 0). The
 *            patient is "patient" (an opaque key; one beginning "rn:" is
 *            refused while an identity secret is configured: those are
 *            derived keys) or "id_type" + "id_number" (the key gw_ident
 *            derives; GW_INVALID_ID_NUMBER when the number breaks its
 *            type's rule), never both (MALFORMED). No message ever
 *            contains the number, and the parser wipes its copies of it.
 *   lookup:  the same patient fields (and nothing else) into a->patient
 *   confirm: a->payment_ref ("" when the body has none: empty, {} or no
 *            "payment_ref", for a pay-at-visit pool) and an optional
 *            "pay_method" (protocol 5: 1..16 bytes of [a-z0-9_-],
 *            INVALID_ARGUMENT otherwise, and INVALID_ARGUMENT without a
 *            "payment_ref") into a->pay_method ("" none) */
bool gw_parse_pool(const char *body, size_t len, struct gw_args *a,
                   struct gw_fail *f);
bool gw_parse_hold(const char *body, size_t len,
                   const struct gw_patient_rules *pr, struct gw_args *a,
                   struct gw_fail *f);
bool gw_parse_lookup(const char *body, size_t len,
                     const struct gw_patient_rules *pr, struct gw_args *a,
                     struct gw_fail *f);
bool gw_parse_confirm(const char *body, size_t len, struct gw_args *a,
                      struct gw_fail *f);
/* A staff command's body (POST /v1/hospitals/{h}/violations, unblock,
 * exceptions): the patient fields as in a lookup, "operator" (1..32
 * bytes of [A-Za-z0-9_.@-]) and "reason" (1..256 bytes of UTF-8 without
 * control characters), both required; violation: also "kind"
 * ("no_show" or "other"; UNPAID is the ledger's own) into a->kind. */
bool gw_parse_staff(const char *body, size_t len,
                    const struct gw_patient_rules *pr, bool violation,
                    struct gw_args *a, struct gw_fail *f);
/* The visit day's bodies (protocol 4):
 *   stop:    POST /v1/pools/{pool}/stop {"operator","reason"}, both
 *            required (the rules of gw_parse_staff), into a->operator_name
 *            and a->reason
 *   move:    POST /v1/bookings/{booking}/move {"pool"}: the target pool,
 *            required, into a->pool
 *   checkin: POST /v1/bookings/{booking}/checkin: the patient fields as
 *            in a lookup (an opaque key, or an identity turned into its
 *            key; the same refusals, no message repeats the number) into
 *            a->patient, and an optional "payment_ref" (the confirm's
 *            rule; "" none) into a->payment_ref and "pay_method" (the
 *            confirm's rule: not without a "payment_ref") into
 *            a->pay_method */
bool gw_parse_stop(const char *body, size_t len, struct gw_args *a,
                   struct gw_fail *f);
bool gw_parse_move(const char *body, size_t len, struct gw_args *a,
                   struct gw_fail *f);
bool gw_parse_checkin(const char *body, size_t len,
                      const struct gw_patient_rules *pr, struct gw_args *a,
                      struct gw_fail *f);
/* Bodies of routes that take none: empty, or an empty object {}. */
bool gw_parse_empty(const char *body, size_t len, struct gw_fail *f);

/* ---- response bodies ----------------------------------------------------- */

void gw_json_pool(struct gw_buf *b, const struct slotc_pool *p);
/* The same pool as a value of an enclosing document (a list). */
void gw_jw_pool(struct gw_jw *w, const struct slotc_pool *p);
/* A claim as a value of an enclosing document (a patient's claims). */
void gw_jw_claim(struct gw_jw *w, const char *id_key,
                 const struct slotc_claim *c);
/* A patient's record: {"patient","account","claims":[claim...],
 * "violations":[{"at_ms","hospital","kind"}],"standings":[{"hospital",
 * "violations","threshold","warning","blacklisted",
 * "blacklisted_until_ms","exception"}],"cancellations_ms":[...]}
 * (slotctl's `patient info` shape). */
void gw_json_patient_info(struct gw_buf *b, const struct slotc_patient_info *p);
/* An account: {"account","patients":[...],"changes":[{"at_ms",
 * "unbinds"}]}. */
void gw_json_account(struct gw_buf *b, const struct slotc_account_info *a);
/* The staff log page: {"entries":[{"seq","at_ms","op","hospital",
 * "patient","kind","operator","reason","pool"}],"next_after"}
 * (next_after the last seq when the page is full, else null; op
 * "violation", "unblock", "exception" or "pool_stop"; pool "" but for a
 * pool_stop, whose patient is ""). */
void gw_json_staff_log(struct gw_buf *b, const struct slotc_staff_entry *e,
                       uint32_t n, uint32_t limit);
/* A pool's claims page (GET /v1/pools/{pool}/claims): {"pool","claims":
 * [claim (id under "hold")...],"next_after"} (next_after the last id when
 * the page is full, else null). */
void gw_json_claim_list(struct gw_buf *b, const char *pool,
                        const struct slotc_claim *c, uint32_t n,
                        uint32_t limit);
/* A claim, with its id under "hold" or "booking" (id_key): its members
 * in a fixed order, the visit day's (protocol 4): "attendance"
 * ("pending", "checked_in", "no_show"), "checked_in_at_ms", "moved_to",
 * "moved_from" (0: none), "refunded", "affected", then the payment's
 * (protocol 5) last: "pay_method" ("" none given / unpaid),
 * "fee_paid_cents" (the pool's fee when it was paid; 0 unpaid). */
void gw_json_claim(struct gw_buf *b, const char *id_key,
                   const struct slotc_claim *c);
/* The created pool as requested (deterministic from the command). */
void gw_json_pool_spec(struct gw_buf *b, const struct slotc_pool_spec *s);

#endif /* GW_JSON_H */
