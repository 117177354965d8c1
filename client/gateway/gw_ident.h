/* gw_ident: real-name patient keys, made from an identity document at the
 * HTTP edge (issue 15).
 *
 * A booking channel names a patient by an identity document, (id_type,
 * id_number); the gateway turns it into the patient key the ledger keys
 * its per-patient rules by:
 *
 *   key = "rn:" + lowercase hex of the first 16 bytes of
 *         HMAC-SHA256(secret, id_type ":" normalised number)
 *
 * 35 bytes of [a-z0-9:], a valid patient key of the protocol (8..64 bytes
 * of [A-Za-z0-9_.:-], proto/slot_valid.h). 128 bits keep collisions
 * negligible: among a billion people the chance that any two share a key
 * is about 1.5e-21 (n^2 / 2^129). The secret (32..64 bytes, from the
 * gateway's configuration) makes the key useless to anyone without it: the
 * numbers of one type are few enough (an id_card number has ~35 bits of
 * entropy) that an unkeyed hash would be reversed by enumeration. Every
 * gateway of a deployment must have the same secret, or one person gets
 * several keys; changing it changes every key (the ledger's per-patient
 * state starts over for everyone). The id_type is part of the hashed text,
 * so the same person's id card and passport give two keys, as they are two
 * identities to a hospital's real-name system.
 *
 * The raw number is never stored, logged or sent anywhere: gw_ident_key
 * normalises it into a stack buffer, hashes it and wipes the buffer
 * (OPENSSL_cleanse) before returning; the callers wipe their own copies
 * (gw_json.c: jansson's). The hash is OpenSSL's (libcrypto's HMAC()).
 *
 * The types and their rules (a number is taken as sent, without spaces or
 * separators; ASCII letters are uppercased first):
 *
 *   id_card            居民身份证 (also the residence permits of Hong Kong,
 *                      Macao and Taiwan residents, which share its format):
 *                      17 digits and a check digit 0-9 or X, the ISO 7064
 *                      MOD 11-2 check of GB 11643-1999. The 15-digit first
 *                      generation card (invalid since 2013) is refused.
 *   passport           5..20 of [A-Z0-9]. (Numbers are not unique across
 *                      issuing countries: two such passports share a key.)
 *   hk_macao_permit    港澳居民来往内地通行证: H or M, then 8 or 10 digits.
 *   taiwan_permit      台湾居民来往大陆通行证: 8 or 10 digits.
 *   foreign_permanent  外国人永久居留身份证: 3 letters and 12 digits (the
 *                      2004 card), or 18 characters beginning with 9 with
 *                      the id_card's MOD 11-2 check digit (the 2023 card).
 *
 * Pure apart from libcrypto: no I/O, no allocation, no global state.
 */
#ifndef GW_IDENT_H
#define GW_IDENT_H

#include <stdbool.h>
#include <stddef.h>

enum gw_id_type {
    GW_ID_CARD = 0,          /* "id_card" */
    GW_ID_PASSPORT,          /* "passport" */
    GW_ID_HK_MACAO,          /* "hk_macao_permit" */
    GW_ID_TAIWAN,            /* "taiwan_permit" */
    GW_ID_FOREIGN_PERMANENT, /* "foreign_permanent" */
    GW_ID_TYPES
};

#define GW_ID_NUMBER_MAX    20 /* the longest normalised number of any type */
#define GW_IDENT_SECRET_MIN 32 /* bytes of the HMAC key */
#define GW_IDENT_SECRET_MAX                                                    \
    64                         /* (a longer HMAC-SHA256 key is hashed first:
                                * no stronger) */
#define GW_IDENT_KEY_BYTES  16 /* of the HMAC, in the key: 128 bits */
#define GW_IDENT_KEY_PREFIX "rn:"
#define GW_IDENT_KEY_LEN    (3 + 2 * GW_IDENT_KEY_BYTES) /* 35 */

/* The secret: configuration (gw_config), read-only afterwards. */
struct gw_ident {
    unsigned char secret[GW_IDENT_SECRET_MAX];
    size_t secret_len; /* GW_IDENT_SECRET_MIN..GW_IDENT_SECRET_MAX */
};

/* Outcomes of gw_ident_normalize and gw_ident_key. */
enum gw_ident_rc {
    GW_IDENT_OK = 0,
    GW_IDENT_BAD_FORMAT, /* length or characters break the type's rule */
    GW_IDENT_BAD_CHECK,  /* the form is right, the check digit is not */
};

/* The type named name[0..len) (exact, lowercase: "id_card"), or -1. */
int gw_ident_type(const char *name, size_t len);

/* The name of a type ("id_card"), or NULL for a number out of range.
 * Static storage. */
const char *gw_ident_type_name(int type);

/* The type's format rule in words, for error messages and the OpenAPI
 * document ("17 digits and a check digit (0-9 or X)"). Static storage. */
const char *gw_ident_rule(int type);

/* The "a, b, ... or e" list of the type names. Static storage. */
const char *gw_ident_type_list(void);

/* The ISO 7064 MOD 11-2 check character ('0'..'9' or 'X') of 17 ASCII
 * digits. Precondition: d[0..17) are digits. */
char gw_ident_check_char(const char *d);

/* Normalises in[0..len) (any bytes) by type's rule into out (NUL-terminated,
 * *out_len set): ASCII letters uppercased, then the rule checked. Returns
 * an enum gw_ident_rc; on failure out holds nothing of the input. The
 * caller wipes out (gw_ident_wipe) when done. Precondition: 0 <= type <
 * GW_ID_TYPES. */
int gw_ident_normalize(int type, const char *in, size_t len,
                       char out[GW_ID_NUMBER_MAX + 1], size_t *out_len);

/* Sets id's secret from hex[0..len): 2 * (GW_IDENT_SECRET_MIN ..
 * GW_IDENT_SECRET_MAX) hex digits, either case, nothing else. Returns 0,
 * or -1 (id untouched). */
int gw_ident_set_secret_hex(struct gw_ident *id, const char *hex, size_t len);

/* The patient key of (type, number[0..len)) under id's secret into key
 * (GW_IDENT_KEY_LEN bytes and a NUL). Returns an enum gw_ident_rc; key is
 * written only on GW_IDENT_OK. Every copy of the number this function makes
 * is wiped before it returns; number itself is the caller's. Precondition:
 * 0 <= type < GW_ID_TYPES, id's secret set. */
int gw_ident_key(const struct gw_ident *id, int type, const char *number,
                 size_t len, char key[GW_IDENT_KEY_LEN + 1]);

/* ---- Account keys (issue 15: "account key = the channel's user id,
 * hashed the same way") ----
 * A booking channel names the account of its user (the hospital app's
 * login, a WeChat user) by that user id; the ledger binds patients to
 * account keys:
 *
 *   key = "ac:" + lowercase hex of the first 16 bytes of
 *         HMAC-SHA256(secret, "account:" user id)
 *
 * The channel is not part of the hashed text: the same account reaches
 * the ledger as the same key through every channel, which is what lets a
 * booking made through one channel be cancelled through another of the
 * same account. A user id is 1..GW_ACCOUNT_USER_MAX bytes of printable
 * ASCII (0x21..0x7e), taken as sent (case matters). */
#define GW_ACCOUNT_KEY_PREFIX "ac:"
#define GW_ACCOUNT_USER_MAX   128

/* Is user[0..len) a user id by the rule above? */
bool gw_ident_account_user_ok(const char *user, size_t len);

/* The account key of user[0..len) under id's secret into key. Returns
 * GW_IDENT_OK, or GW_IDENT_BAD_FORMAT (key untouched) for a user id
 * that breaks the rule. */
int gw_ident_account_key(const struct gw_ident *id, const char *user,
                         size_t len, char key[GW_IDENT_KEY_LEN + 1]);

/* Overwrites p[0..n) with zeros in a way the compiler cannot drop
 * (OPENSSL_cleanse), for the callers' copies of a number or a secret. */
void gw_ident_wipe(void *p, size_t n);

#endif /* GW_IDENT_H */
