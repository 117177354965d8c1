#include "slot_valid.h"

#include <string.h>

/* Character classes as 256-entry membership tests: one table lookup per
 * byte, and no locale dependence (isalnum() would vary by locale). */
enum { CH_LOWER = 1, CH_UPPER = 2, CH_DIGIT = 4 };

static int charClass(unsigned char c)
{
    if (c >= 'a' && c <= 'z') {
        return CH_LOWER;
    }
    if (c >= 'A' && c <= 'Z') {
        return CH_UPPER;
    }
    if (c >= '0' && c <= '9') {
        return CH_DIGIT;
    }
    return 0;
}

static int validChars(struct slot_str s, uint32_t min, uint32_t max,
                      int classes, const char *extra)
{
    if (s.len > max) {
        return SLOT_TOO_LARGE;
    }
    if (s.len < min) {
        return SLOT_INVALID_ARGUMENT;
    }
    for (uint32_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (!(charClass(c) & classes) && (c == 0 || strchr(extra, c) == NULL)) {
            return SLOT_INVALID_ARGUMENT;
        }
    }
    return SLOT_OK;
}

int slot_valid_pool_id(struct slot_str s)
{
    return validChars(s, 1, SLOT_POOL_ID_MAX, CH_LOWER | CH_UPPER | CH_DIGIT,
                      "/_.:-");
}

int slot_valid_patient_key(struct slot_str s)
{
    return validChars(s, SLOT_PATIENT_KEY_MIN, SLOT_PATIENT_KEY_MAX,
                      CH_LOWER | CH_UPPER | CH_DIGIT, "_.:-");
}

int slot_valid_channel(struct slot_str s)
{
    return validChars(s, 1, SLOT_CHANNEL_MAX, CH_LOWER | CH_DIGIT, "_-");
}

int slot_valid_idem_key(struct slot_str s)
{
    return validChars(s, 1, SLOT_IDEM_KEY_MAX, CH_LOWER | CH_UPPER | CH_DIGIT,
                      "_.:-");
}

int slot_valid_payment_ref(struct slot_str s)
{
    if (s.len > SLOT_PAYMENT_REF_MAX) {
        return SLOT_TOO_LARGE;
    }
    if (s.len == 0) {
        return SLOT_INVALID_ARGUMENT;
    }
    for (uint32_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c < 0x21 || c > 0x7e) {
            return SLOT_INVALID_ARGUMENT;
        }
    }
    return SLOT_OK;
}

int slot_valid_config(const struct slot_config *c)
{
    bool ok =
        c->hold_ttl_min_ms >= 1 && c->hold_ttl_min_ms <= c->hold_ttl_max_ms &&
        c->hold_ttl_max_ms <= 86400000u && c->session_max >= 1 &&
        c->session_max <= SLOT_SESSIONS_MAX && c->session_idle_ms >= 1000 &&
        c->session_idle_ms <= SLOT_TIME_MAX_MS &&
        c->retain_ms <= SLOT_TIME_MAX_MS && c->retain_max <= SLOT_RETAIN_MAX;
    return ok ? SLOT_OK : SLOT_INVALID_ARGUMENT;
}

/* Records which field broke a rule (for the caller's message). */
static int badField(const char **field, const char *name, int rc)
{
    if (field != NULL) {
        *field = name;
    }
    return rc;
}

int slot_valid_pool_spec_field(const struct slot_pool_spec *sp,
                               const char **field)
{
    int rc = slot_valid_pool_id(sp->pool);
    if (rc != SLOT_OK) {
        return badField(field, "pool", rc);
    }
    if (sp->capacity < 1 || sp->capacity > SLOT_POOL_CAPACITY_MAX) {
        return badField(field, "capacity", SLOT_INVALID_ARGUMENT);
    }
    if (sp->kind > SLOT_KIND_MAX) {
        return badField(field, "kind", SLOT_INVALID_ARGUMENT);
    }
    if (sp->fee_cents > SLOT_FEE_MAX_CENTS) {
        return badField(field, "fee_cents", SLOT_INVALID_ARGUMENT);
    }
    if (sp->seg_start_ms > SLOT_TIME_MAX_MS ||
        sp->seg_end_ms > SLOT_TIME_MAX_MS ||
        !((sp->seg_start_ms == 0 && sp->seg_end_ms == 0) ||
          sp->seg_start_ms < sp->seg_end_ms)) {
        return badField(field, "segment", SLOT_INVALID_ARGUMENT);
    }
    if (sp->release_at_ms > SLOT_TIME_MAX_MS) {
        return badField(field, "release_at_ms", SLOT_INVALID_ARGUMENT);
    }
    if (sp->n_shares > SLOT_POOL_SHARES_MAX) {
        return badField(field, "shares", SLOT_INVALID_ARGUMENT);
    }
    uint64_t sum = 0;
    for (uint32_t i = 0; i < sp->n_shares; i++) {
        const struct slot_share *sh = &sp->shares[i];
        rc = slot_valid_channel(sh->channel);
        if (rc != SLOT_OK) {
            return badField(field, "shares", rc);
        }
        if (sh->slots < 1 || sh->slots > sp->capacity) {
            return badField(field, "shares", SLOT_INVALID_ARGUMENT);
        }
        for (uint32_t j = 0; j < i; j++) {
            const struct slot_str o = sp->shares[j].channel;
            if (o.len == sh->channel.len &&
                memcmp(o.p, sh->channel.p, o.len) == 0) {
                return badField(field, "shares", SLOT_INVALID_ARGUMENT);
            }
        }
        sum += sh->slots;
    }
    if (sum > sp->capacity) {
        return badField(field, "shares", SLOT_INVALID_ARGUMENT);
    }
    return SLOT_OK;
}

int slot_valid_pool_spec(const struct slot_pool_spec *sp)
{
    return slot_valid_pool_spec_field(sp, NULL);
}
