/* gw_json: the gateway's JSON in both directions.
 *
 *   - A small writer (struct gw_jw over struct gw_buf) that produces compact
 *     JSON with keys in a fixed order, so that the same ledger result always
 *     gives the same bytes (an idempotent replay must be byte-identical).
 *   - Strict parsers of request bodies (jansson): syntax errors, duplicate
 *     keys, a wrong type, a missing required field or an unknown field are
 *     MALFORMED; a value outside its range or charset is INVALID_ARGUMENT.
 *     The message names the field.
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

/* ---- writer ---------------------------------------------------------------
 */

#define GW_JW_DEPTH_MAX 16

struct gw_jw {
    struct gw_buf *b;
    int depth;
    bool need_comma[GW_JW_DEPTH_MAX];
    bool after_key;
};
void gw_jw_init(struct gw_jw *w, struct gw_buf *b);
void gw_jw_obj(struct gw_jw *w); /* { */
void gw_jw_end(struct gw_jw *w); /* } */
void gw_jw_key(struct gw_jw *w, const char *k);
void gw_jw_str(struct gw_jw *w, const char *s);
void gw_jw_strn(struct gw_jw *w, const char *s, size_t n);
void gw_jw_u64(struct gw_jw *w, uint64_t v);
void gw_jw_raw(struct gw_jw *w, const char *json); /* a value already JSON */

/* ---- errors -----------------------------------------------------------------
 */

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

/* ---- request bodies ------------------------------------------------------ */

struct gw_pool_body {
    char pool[SLOTC_POOL_ID_MAX + 1];
    struct slotc_pool_spec spec; /* spec.pool and shares[].channel point
                                  * into this struct: do not copy it */
    char channels[SLOTC_SHARES_MAX][SLOTC_CHANNEL_MAX + 1];
};

struct gw_hold_body {
    char patient[SLOTC_PATIENT_KEY_MAX + 1];
    uint32_t ttl_ms;
    bool has_ttl;
};

struct gw_confirm_body {
    char payment_ref[SLOTC_PAYMENT_REF_MAX + 1];
};

/* Each returns true, or false with *f set (MALFORMED / INVALID_ARGUMENT).
 * body may be NULL when len is 0. */
bool gw_parse_pool(const char *body, size_t len, struct gw_pool_body *out,
                   struct gw_fail *f);
bool gw_parse_hold(const char *body, size_t len, struct gw_hold_body *out,
                   struct gw_fail *f);
bool gw_parse_confirm(const char *body, size_t len, struct gw_confirm_body *out,
                      struct gw_fail *f);
/* Bodies of routes that take none: empty, or an empty object {}. */
bool gw_parse_empty(const char *body, size_t len, struct gw_fail *f);

/* ---- field rules (slot_proto.h) ------------------------------------------ */

bool gw_valid_pool(const char *s, size_t len);
bool gw_valid_patient(const char *s, size_t len);
bool gw_valid_channel(const char *s, size_t len);
bool gw_valid_payment_ref(const char *s, size_t len);
/* Idempotency-Key: 1..64 bytes of [A-Za-z0-9_.:-]. */
bool gw_valid_idem_key(const char *s, size_t len);
/* A decimal id 1..2^64-1 without sign or leading zeros. */
bool gw_parse_id(const char *s, size_t len, uint64_t *out);

/* ---- response bodies ----------------------------------------------------- */

void gw_json_pool(struct gw_buf *b, const struct slotc_pool *p);
/* A claim, with its id under "hold" or "booking" (id_key). */
void gw_json_claim(struct gw_buf *b, const char *id_key,
                   const struct slotc_claim *c);
/* The created pool as requested (deterministic from the command). */
void gw_json_pool_spec(struct gw_buf *b, const struct slotc_pool_spec *s);

#endif /* GW_JSON_H */
