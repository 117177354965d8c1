#include "slot_valid.h"

#include <string.h>

/* Each identifier's charset as a bit of one 256-entry table: one lookup
 * per byte on the hot path (every HOLD checks a pool id and a patient
 * key), and no locale dependence (isalnum() would vary by locale). */
enum {
    CS_POOL = 1,     /* [A-Za-z0-9/_.:-] */
    CS_KEY = 2,      /* [A-Za-z0-9_.:-]: patient keys, idempotency keys */
    CS_CHANNEL = 4,  /* [a-z0-9_-] */
    CS_NAME = 8,     /* [A-Za-z0-9_.-] */
    CS_OPERATOR = 16 /* [A-Za-z0-9_.@-] */
};
#define CS_ALNUM (CS_POOL | CS_KEY | CS_NAME | CS_OPERATOR)

/* Letters and digits belong to every set but the channel's, which takes
 * lower case and digits only (C has no range designators: spelled out). */
#define LC (CS_ALNUM | CS_CHANNEL)
#define UC CS_ALNUM
static const unsigned char charsets[256] = {
    ['a'] = LC,
    ['b'] = LC,
    ['c'] = LC,
    ['d'] = LC,
    ['e'] = LC,
    ['f'] = LC,
    ['g'] = LC,
    ['h'] = LC,
    ['i'] = LC,
    ['j'] = LC,
    ['k'] = LC,
    ['l'] = LC,
    ['m'] = LC,
    ['n'] = LC,
    ['o'] = LC,
    ['p'] = LC,
    ['q'] = LC,
    ['r'] = LC,
    ['s'] = LC,
    ['t'] = LC,
    ['u'] = LC,
    ['v'] = LC,
    ['w'] = LC,
    ['x'] = LC,
    ['y'] = LC,
    ['z'] = LC,
    ['A'] = UC,
    ['B'] = UC,
    ['C'] = UC,
    ['D'] = UC,
    ['E'] = UC,
    ['F'] = UC,
    ['G'] = UC,
    ['H'] = UC,
    ['I'] = UC,
    ['J'] = UC,
    ['K'] = UC,
    ['L'] = UC,
    ['M'] = UC,
    ['N'] = UC,
    ['O'] = UC,
    ['P'] = UC,
    ['Q'] = UC,
    ['R'] = UC,
    ['S'] = UC,
    ['T'] = UC,
    ['U'] = UC,
    ['V'] = UC,
    ['W'] = UC,
    ['X'] = UC,
    ['Y'] = UC,
    ['Z'] = UC,
    ['0'] = LC,
    ['1'] = LC,
    ['2'] = LC,
    ['3'] = LC,
    ['4'] = LC,
    ['5'] = LC,
    ['6'] = LC,
    ['7'] = LC,
    ['8'] = LC,
    ['9'] = LC,
    ['_'] = CS_ALNUM | CS_CHANNEL,
    ['-'] = CS_ALNUM | CS_CHANNEL,
    ['.'] = CS_ALNUM,
    [':'] = CS_POOL | CS_KEY,
    ['/'] = CS_POOL,
    ['@'] = CS_OPERATOR,
};
#undef LC
#undef UC

static int validChars(struct slot_str s, uint32_t min, uint32_t max, int set)
{
    if (s.len > max) {
        return SLOT_TOO_LARGE;
    }
    if (s.len < min) {
        return SLOT_INVALID_ARGUMENT;
    }
    for (uint32_t i = 0; i < s.len; i++) {
        if (!(charsets[(unsigned char)s.p[i]] & set)) {
            return SLOT_INVALID_ARGUMENT;
        }
    }
    return SLOT_OK;
}

int slot_valid_pool_id(struct slot_str s)
{
    return validChars(s, 1, SLOT_POOL_ID_MAX, CS_POOL);
}

int slot_valid_patient_key(struct slot_str s)
{
    return validChars(s, SLOT_PATIENT_KEY_MIN, SLOT_PATIENT_KEY_MAX, CS_KEY);
}

int slot_valid_channel(struct slot_str s)
{
    return validChars(s, 1, SLOT_CHANNEL_MAX, CS_CHANNEL);
}

int slot_valid_pay_method(struct slot_str s)
{
    return validChars(s, 1, SLOT_PAY_METHOD_MAX, CS_CHANNEL);
}

int slot_valid_idem_key(struct slot_str s)
{
    return validChars(s, 1, SLOT_IDEM_KEY_MAX, CS_KEY);
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

int slot_valid_name(struct slot_str s)
{
    return validChars(s, 1, SLOT_NAME_MAX, CS_NAME);
}

int slot_valid_operator(struct slot_str s)
{
    return validChars(s, 1, SLOT_OPERATOR_MAX, CS_OPERATOR);
}

/* Length of the UTF-8 sequence starting at p[0] (of n bytes left), or 0
 * if it is not well-formed: overlong forms, surrogates and code points
 * above U+10FFFF are refused (RFC 3629). */
static uint32_t utf8Len(const unsigned char *p, uint32_t n)
{
    unsigned char c = p[0];
    uint32_t len;
    uint32_t cp;
    if (c < 0x80) {
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (len > n) {
        return 0;
    }
    for (uint32_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    bool overlong = (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    bool bad = overlong || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff;
    return bad ? 0 : len;
}

int slot_valid_text(struct slot_str s, uint32_t max)
{
    if (s.len > max) {
        return SLOT_TOO_LARGE;
    }
    if (s.len == 0) {
        return SLOT_INVALID_ARGUMENT;
    }
    const unsigned char *p = (const unsigned char *)s.p;
    for (uint32_t i = 0; i < s.len;) {
        if (p[i] < 0x20 || p[i] == 0x7f) {
            return SLOT_INVALID_ARGUMENT; /* control characters */
        }
        uint32_t n = utf8Len(p + i, s.len - i);
        if (n == 0) {
            return SLOT_INVALID_ARGUMENT;
        }
        i += n;
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
    /* Protocol 3's fields; a version 2 CONFIG leaves them zero. */
    if (c->v3) {
        ok = ok && c->account_patients_max >= 1 &&
             c->account_patients_max <= SLOT_ACCOUNT_PATIENTS_MAX &&
             c->account_changes_max >= 1 &&
             c->account_changes_max <= SLOT_ACCOUNT_CHANGES_KEPT &&
             c->account_change_window_days >= 1 &&
             c->account_change_window_days <= 3660 &&
             c->account_change_patients_max >= 1 &&
             c->account_change_patients_max <= SLOT_ACCOUNT_PATIENTS_MAX;
    } else {
        ok =
            ok && c->account_patients_max == 0 && c->account_changes_max == 0 &&
            c->account_change_window_days == 0 &&
            c->account_change_patients_max == 0 && c->patient_active_max == 0 &&
            c->cooldown_key[0] == 0 && c->cooldown_key[1] == 0;
    }
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
    if (sp->has_sched) {
        rc = slot_sched_check(&sp->sched);
        if (rc != SLOT_OK) {
            return badField(field, "schedule", rc);
        }
        /* A place in a schedule is a time: the visit numbers' windows and
         * the day rules need the segment. */
        if (sp->seg_start_ms == 0) {
            return badField(field, "segment", SLOT_INVALID_ARGUMENT);
        }
    }
    return SLOT_OK;
}

int slot_valid_pool_spec(const struct slot_pool_spec *sp)
{
    return slot_valid_pool_spec_field(sp, NULL);
}
