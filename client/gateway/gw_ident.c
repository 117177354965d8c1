/* gw_ident: identity documents into patient keys (see gw_ident.h). */
#include "gw_ident.h"

#include <assert.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

#include "slot_valid.h"

_Static_assert(GW_IDENT_KEY_LEN >= SLOT_PATIENT_KEY_MIN &&
                   GW_IDENT_KEY_LEN <= SLOT_PATIENT_KEY_MAX,
               "a derived key is a valid patient key");
_Static_assert(GW_IDENT_KEY_BYTES <= 32, "a prefix of one SHA-256 output");

static const struct {
    const char *name;
    const char *rule;
} types[GW_ID_TYPES] = {
    [GW_ID_CARD] = {"id_card", "17 digits and a check digit (0-9 or X)"},
    [GW_ID_PASSPORT] = {"passport", "5..20 letters or digits"},
    [GW_ID_HK_MACAO] = {"hk_macao_permit", "H or M, then 8 or 10 digits"},
    [GW_ID_TAIWAN] = {"taiwan_permit", "8 or 10 digits"},
    [GW_ID_FOREIGN_PERMANENT] = {"foreign_permanent",
                                 "3 letters and 12 digits, or 9 and 16 digits "
                                 "and a check digit (0-9 or X)"},
};

int gw_ident_type(const char *name, size_t len)
{
    for (int t = 0; t < GW_ID_TYPES; t++) {
        if (strlen(types[t].name) == len &&
            memcmp(types[t].name, name, len) == 0) {
            return t;
        }
    }
    return -1;
}

const char *gw_ident_type_name(int type)
{
    return type >= 0 && type < GW_ID_TYPES ? types[type].name : NULL;
}

const char *gw_ident_rule(int type)
{
    return type >= 0 && type < GW_ID_TYPES ? types[type].rule : "";
}

const char *gw_ident_type_list(void)
{
    return "id_card, passport, hk_macao_permit, taiwan_permit or "
           "foreign_permanent";
}

static bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

static bool isUpper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static bool allDigits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!isDigit(s[i])) {
            return false;
        }
    }
    return true;
}

char gw_ident_check_char(const char *d)
{
    /* GB 11643-1999: weights 2^(17-i) mod 11, check = (12 - sum mod 11)
     * mod 11, 10 written X. */
    static const int w[17] = {7, 9, 10, 5,  8, 4, 2, 1, 6,
                              3, 7, 9,  10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        assert(isDigit(d[i]));
        sum += (d[i] - '0') * w[i];
    }
    int c = (12 - sum % 11) % 11;
    return c == 10 ? 'X' : (char)('0' + c);
}

/* 17 digits and the check character (s is uppercased). */
static int checkMod11(const char *s)
{
    if (!allDigits(s, 17) || !(isDigit(s[17]) || s[17] == 'X')) {
        return GW_IDENT_BAD_FORMAT;
    }
    return gw_ident_check_char(s) == s[17] ? GW_IDENT_OK : GW_IDENT_BAD_CHECK;
}

/* The rule of type over the uppercased s[0..n). */
static int checkRule(int type, const char *s, size_t n)
{
    switch (type) {
        case GW_ID_CARD:
            return n == 18 ? checkMod11(s) : GW_IDENT_BAD_FORMAT;
        case GW_ID_PASSPORT:
            if (n < 5 || n > 20) {
                return GW_IDENT_BAD_FORMAT;
            }
            for (size_t i = 0; i < n; i++) {
                if (!isDigit(s[i]) && !isUpper(s[i])) {
                    return GW_IDENT_BAD_FORMAT;
                }
            }
            return GW_IDENT_OK;
        case GW_ID_HK_MACAO:
            return (n == 9 || n == 11) && (s[0] == 'H' || s[0] == 'M') &&
                           allDigits(s + 1, n - 1)
                       ? GW_IDENT_OK
                       : GW_IDENT_BAD_FORMAT;
        case GW_ID_TAIWAN:
            return (n == 8 || n == 10) && allDigits(s, n) ? GW_IDENT_OK
                                                          : GW_IDENT_BAD_FORMAT;
        case GW_ID_FOREIGN_PERMANENT:
            if (n == 15) {
                return isUpper(s[0]) && isUpper(s[1]) && isUpper(s[2]) &&
                               allDigits(s + 3, 12)
                           ? GW_IDENT_OK
                           : GW_IDENT_BAD_FORMAT;
            }
            return n == 18 && s[0] == '9' ? checkMod11(s) : GW_IDENT_BAD_FORMAT;
        default:
            return GW_IDENT_BAD_FORMAT;
    }
}

int gw_ident_normalize(int type, const char *in, size_t len,
                       char out[GW_ID_NUMBER_MAX + 1], size_t *out_len)
{
    assert(type >= 0 && type < GW_ID_TYPES);
    out[0] = '\0';
    *out_len = 0;
    if (len > GW_ID_NUMBER_MAX) {
        return GW_IDENT_BAD_FORMAT; /* no type has a longer number */
    }
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        out[i] = c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
    }
    out[len] = '\0';
    int rc = checkRule(type, out, len);
    if (rc != GW_IDENT_OK) {
        gw_ident_wipe(out, len + 1);
        out[0] = '\0';
        return rc;
    }
    *out_len = len;
    return GW_IDENT_OK;
}

static int hexVal(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

int gw_ident_set_secret_hex(struct gw_ident *id, const char *hex, size_t len)
{
    if (len % 2 != 0 || len < 2 * GW_IDENT_SECRET_MIN ||
        len > 2 * GW_IDENT_SECRET_MAX) {
        return -1;
    }
    unsigned char s[GW_IDENT_SECRET_MAX];
    for (size_t i = 0; i < len / 2; i++) {
        int h = hexVal(hex[2 * i]), l = hexVal(hex[2 * i + 1]);
        if (h < 0 || l < 0) {
            gw_ident_wipe(s, sizeof s);
            return -1;
        }
        s[i] = (unsigned char)(h * 16 + l);
    }
    memcpy(id->secret, s, len / 2);
    id->secret_len = len / 2;
    gw_ident_wipe(s, sizeof s);
    return 0;
}

/* prefix (3 bytes) + the lowercase hex of md's first GW_IDENT_KEY_BYTES. */
static void hexKey(const char *prefix, const unsigned char *md,
                   char key[GW_IDENT_KEY_LEN + 1])
{
    static const char hexd[] = "0123456789abcdef";
    memcpy(key, prefix, 3);
    for (int i = 0; i < GW_IDENT_KEY_BYTES; i++) {
        key[3 + 2 * i] = hexd[md[i] >> 4];
        key[3 + 2 * i + 1] = hexd[md[i] & 15];
    }
    key[GW_IDENT_KEY_LEN] = '\0';
}

int gw_ident_key(const struct gw_ident *id, int type, const char *number,
                 size_t len, char key[GW_IDENT_KEY_LEN + 1])
{
    assert(type >= 0 && type < GW_ID_TYPES);
    assert(id->secret_len >= GW_IDENT_SECRET_MIN &&
           id->secret_len <= GW_IDENT_SECRET_MAX);
    /* "id_card:11010519491231002X": the type keeps the numbers of two
     * documents apart (a passport and a permit may share digits). */
    char msg[32 + GW_ID_NUMBER_MAX + 1];
    size_t tl = strlen(types[type].name);
    memcpy(msg, types[type].name, tl);
    msg[tl] = ':';
    size_t nl;
    int rc = gw_ident_normalize(type, number, len, msg + tl + 1, &nl);
    if (rc != GW_IDENT_OK) {
        gw_ident_wipe(msg, sizeof msg);
        return rc;
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    unsigned char *h =
        HMAC(EVP_sha256(), id->secret, (int)id->secret_len,
             (const unsigned char *)msg, tl + 1 + nl, md, &mdlen);
    gw_ident_wipe(msg, sizeof msg);
    /* HMAC-SHA256 fails only without memory or a broken libcrypto: no
     * answer would be right, and a key made of nothing must never be
     * sent. */
    if (h == NULL || mdlen != 32) {
        abort();
    }
    hexKey(GW_IDENT_KEY_PREFIX, md, key);
    gw_ident_wipe(md, sizeof md);
    return GW_IDENT_OK;
}

bool gw_ident_account_user_ok(const char *user, size_t len)
{
    if (len < 1 || len > GW_ACCOUNT_USER_MAX) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (user[i] < 0x21 || user[i] > 0x7e) {
            return false;
        }
    }
    return true;
}

int gw_ident_account_key(const struct gw_ident *id, const char *user,
                         size_t len, char key[GW_IDENT_KEY_LEN + 1])
{
    assert(id->secret_len >= GW_IDENT_SECRET_MIN &&
           id->secret_len <= GW_IDENT_SECRET_MAX);
    if (!gw_ident_account_user_ok(user, len)) {
        return GW_IDENT_BAD_FORMAT;
    }
    /* "account:" keeps account keys apart from every patient's (whose
     * text starts with an id_type name). */
    char msg[8 + GW_ACCOUNT_USER_MAX];
    memcpy(msg, "account:", 8);
    memcpy(msg + 8, user, len);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    unsigned char *h = HMAC(EVP_sha256(), id->secret, (int)id->secret_len,
                            (const unsigned char *)msg, 8 + len, md, &mdlen);
    gw_ident_wipe(msg, sizeof msg);
    if (h == NULL || mdlen != 32) {
        abort(); /* as in gw_ident_key */
    }
    hexKey(GW_ACCOUNT_KEY_PREFIX, md, key);
    gw_ident_wipe(md, sizeof md);
    return GW_IDENT_OK;
}

void gw_ident_wipe(void *p, size_t n)
{
    OPENSSL_cleanse(p, n);
}
