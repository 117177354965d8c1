/* fuzz_gw_ident: slot-gateway's identity parser (gw_ident) and the bodies
 * that carry an identity (gw_json: hold, lookup) on arbitrary bytes. The
 * first byte chooses what the rest is:
 *
 *   0..4  an id_number of that type (enum gw_id_type). gw_ident_normalize
 *         accepts exactly what refAccepts (an independent statement of the
 *         rules of gw_ident.h, written apart from gw_ident.c) accepts, and
 *         tells a bad check digit from a bad form the same way; an
 *         accepted number normalises to its uppercase spelling, which
 *         normalises to itself; its key is "rn:" + 32 lowercase hex
 *         digits, a valid patient key of the protocol, the same for its
 *         lowercase spelling, and different under another type.
 *   5..7  a hold body (5: the channel may send opaque keys, 6: it may not,
 *         7: the gateway has no secret), through gw_parse_hold and
 *         gw_parse_lookup: an accepted body's key is a valid patient key
 *         (only a derived one, "rn:...", for mode 6), and no refusal's message repeats the
 *         body's id_number (one of 11 bytes or more with a digit: every
 *         run of digits in the gateway's own message texts is shorter,
 *         the longest being 4294967295, so a match can only be the
 *         number).
 *
 *   8..10 a staff body (gw_parse_staff: 8 a violation, 9 an unblock or
 *         exception), with the same patient and message rules; an accepted
 *         one's operator and reason pass the protocol's own checks and a
 *         violation's kind is no_show or other; 10: the bytes as an
 *         X-Account value (gw_arg_account) with and without a secret and
 *         the admin's right to give a key: an accepted one is a valid
 *         patient key, derived ("ac:") under a secret unless the admin
 *         gave a key that is one already.
 *  11     a check-in body (gw_parse_checkin, the visit day), under each of
 *         the three patient configurations of 5..7: an accepted body's
 *         key is a valid patient key (derived where opaque keys are not
 *         allowed), its payment_ref "" or one the protocol accepts, its
 *         pay_method "" or, with a payment_ref, one the protocol accepts; a
 *         refusal is a 400 that names no patient and whose message does
 *         not repeat the number.
 *
 * Seeds: client/gateway/fuzz/corpus/fuzz_gw_ident/.
 */
#include <assert.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gw_err.h"
#include "gw_ident.h"
#include "gw_json.h"
#include "slot_err.h"
#include "slot_sched.h"
#include "slot_valid.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    json_object_seed(1);
    return 0;
}

static const struct gw_ident *secret(void)
{
    static struct gw_ident id;
    if (id.secret_len == 0) {
        static const char hex[] = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
                                  "00112233445566778899aabbccddeeff";
        int rc = gw_ident_set_secret_hex(&id, hex, sizeof hex - 1);
        assert(rc == 0);
        (void)rc;
    }
    return &id;
}

/* ---- the reference rules ------------------------------------------------- */

static char up(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 32) : c;
}

static bool dig(char c)
{
    return c >= '0' && c <= '9';
}

static bool letter(char c)
{
    c = up(c);
    return c >= 'A' && c <= 'Z';
}

/* The GB 11643 check by its definition: sum of a_i * 2^(17-i) mod 11 over
 * all 18 characters (X counting 10) is 1. */
static int refMod11(const char *s)
{
    for (int i = 0; i < 17; i++) {
        if (!dig(s[i])) {
            return GW_IDENT_BAD_FORMAT;
        }
    }
    if (!dig(s[17]) && up(s[17]) != 'X') {
        return GW_IDENT_BAD_FORMAT;
    }
    unsigned sum = 0, w = 1; /* 2^0 for the check character */
    for (int i = 17; i >= 0; i--) {
        unsigned a = dig(s[i]) ? (unsigned)(s[i] - '0') : 10;
        sum = (sum + a * w) % 11;
        w = (w * 2) % 11;
    }
    return sum == 1 ? GW_IDENT_OK : GW_IDENT_BAD_CHECK;
}

static bool runOf(const char *s, size_t from, size_t to, bool (*is)(char))
{
    for (size_t i = from; i < to; i++) {
        if (!is(s[i])) {
            return false;
        }
    }
    return true;
}

static bool alnum(char c)
{
    return dig(c) || letter(c);
}

static int refAccepts(int type, const char *s, size_t n)
{
    switch (type) {
        case GW_ID_CARD:
            return n == 18 ? refMod11(s) : GW_IDENT_BAD_FORMAT;
        case GW_ID_PASSPORT:
            return n >= 5 && n <= 20 && runOf(s, 0, n, alnum)
                       ? GW_IDENT_OK
                       : GW_IDENT_BAD_FORMAT;
        case GW_ID_HK_MACAO:
            return (n == 9 || n == 11) &&
                           (up(s[0]) == 'H' || up(s[0]) == 'M') &&
                           runOf(s, 1, n, dig)
                       ? GW_IDENT_OK
                       : GW_IDENT_BAD_FORMAT;
        case GW_ID_TAIWAN:
            return (n == 8 || n == 10) && runOf(s, 0, n, dig)
                       ? GW_IDENT_OK
                       : GW_IDENT_BAD_FORMAT;
        default: /* GW_ID_FOREIGN_PERMANENT */
            if (n == 15) {
                return runOf(s, 0, 3, letter) && runOf(s, 3, 15, dig)
                           ? GW_IDENT_OK
                           : GW_IDENT_BAD_FORMAT;
            }
            return n == 18 && s[0] == '9' ? refMod11(s) : GW_IDENT_BAD_FORMAT;
    }
}

/* ---- targets ------------------------------------------------------------- */

static bool validKey(const char *k)
{
    return slot_valid_patient_key((struct slot_str){k, (uint32_t)strlen(k)}) ==
           SLOT_OK;
}

static void number(int type, const char *s, size_t n)
{
    char out[GW_ID_NUMBER_MAX + 1];
    size_t ol = 0;
    int rc = gw_ident_normalize(type, s, n, out, &ol);
    assert(rc == refAccepts(type, s, n));
    char key[GW_IDENT_KEY_LEN + 1];
    int krc = gw_ident_key(secret(), type, s, n, key);
    assert(krc == rc);
    if (rc != GW_IDENT_OK) {
        assert(ol == 0 && out[0] == '\0');
        return;
    }
    assert(ol == n && strlen(out) == n);
    char again[GW_ID_NUMBER_MAX + 1], lower[GW_ID_NUMBER_MAX + 1];
    size_t al;
    for (size_t i = 0; i < n; i++) {
        assert(out[i] == up(s[i]));
        lower[i] =
            out[i] >= 'A' && out[i] <= 'Z' ? (char)(out[i] + 32) : out[i];
    }
    assert(gw_ident_normalize(type, out, n, again, &al) == GW_IDENT_OK);
    assert(al == n && memcmp(again, out, n) == 0);
    assert(strlen(key) == GW_IDENT_KEY_LEN && validKey(key));
    assert(memcmp(key, GW_IDENT_KEY_PREFIX, 3) == 0);
    for (size_t i = 3; i < GW_IDENT_KEY_LEN; i++) {
        assert(dig(key[i]) || (key[i] >= 'a' && key[i] <= 'f'));
    }
    char k2[GW_IDENT_KEY_LEN + 1];
    assert(gw_ident_key(secret(), type, lower, n, k2) == GW_IDENT_OK);
    assert(strcmp(k2, key) == 0);
    for (int t = 0; t < GW_ID_TYPES; t++) {
        if (t != type && gw_ident_key(secret(), t, s, n, k2) == GW_IDENT_OK) {
            assert(strcmp(k2, key) != 0);
        }
    }
}

/* The body's id_number when the message check applies to it (see the
 * top), copied into out; else false. */
static bool numberToWatch(const char *body, size_t len, char *out, size_t cap)
{
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
    bool watch = false;
    json_t *n = json_object_get(j, "id_number");
    if (json_is_string(n) && json_string_length(n) >= 11 &&
        json_string_length(n) < cap &&
        strlen(json_string_value(n)) == json_string_length(n)) {
        const char *v = json_string_value(n);
        watch = strpbrk(v, "0123456789") != NULL;
        const char *key;
        json_t *m;
        json_object_foreach(j, key, m)
        {
            watch = watch && strstr(key, v) == NULL;
        }
        memcpy(out, v, json_string_length(n) + 1);
    }
    json_decref(j);
    return watch;
}

static void body(int mode, const char *s, size_t n)
{
    const struct gw_patient_rules pr = {mode == 7 ? NULL : secret(), mode == 5};
    char watched[256];
    bool watch = numberToWatch(s, n, watched, sizeof watched);
    for (int route = 0; route < 2; route++) {
        struct gw_args a;
        struct gw_fail f;
        gw_args_init(&a);
        memset(&f, 0, sizeof f);
        bool ok = route == 0 ? gw_parse_hold(s, n, &pr, &a, &f)
                             : gw_parse_lookup(s, n, &pr, &a, &f);
        if (ok) {
            assert(validKey(a.patient));
            /* Without the right, only a derived key. */
            assert(pr.opaque_ok ||
                   memcmp(a.patient, GW_IDENT_KEY_PREFIX, 3) == 0);
            continue;
        }
        assert(f.code != 0 && f.message[0] != '\0');
        assert(gw_err_status(f.code) == 400);
        assert(!watch || strstr(f.message, watched) == NULL);
    }
}

static void staffBody(bool violation, const char *s, size_t n)
{
    const struct gw_patient_rules pr = {secret(), true};
    char watched[256];
    bool watch = numberToWatch(s, n, watched, sizeof watched);
    struct gw_args a;
    struct gw_fail f;
    gw_args_init(&a);
    memset(&f, 0, sizeof f);
    if (gw_parse_staff(s, n, &pr, violation, &a, &f)) {
        assert(validKey(a.patient));
        assert(slot_valid_operator((struct slot_str){
                   a.operator_name, (uint32_t)strlen(a.operator_name)}) ==
               SLOT_OK);
        assert(slot_valid_text(
                   (struct slot_str){a.reason, (uint32_t)strlen(a.reason)},
                   SLOT_REASON_MAX) == SLOT_OK);
        assert(!violation || a.kind == SLOTC_VIOLATION_NO_SHOW ||
               a.kind == SLOTC_VIOLATION_OTHER);
        return;
    }
    assert(f.code != 0 && f.message[0] != '\0');
    assert(gw_err_status(f.code) == 400);
    assert(!watch || strstr(f.message, watched) == NULL);
}

static void checkinBody(const char *s, size_t n)
{
    char watched[256];
    bool watch = numberToWatch(s, n, watched, sizeof watched);
    for (int mode = 5; mode <= 7; mode++) {
        const struct gw_patient_rules pr = {mode == 7 ? NULL : secret(),
                                            mode != 6};
        struct gw_args a;
        struct gw_fail f;
        gw_args_init(&a);
        memset(&f, 0, sizeof f);
        if (gw_parse_checkin(s, n, &pr, &a, &f)) {
            assert(validKey(a.patient));
            assert(pr.opaque_ok ||
                   memcmp(a.patient, GW_IDENT_KEY_PREFIX, 3) == 0);
            assert(a.payment_ref[0] == '\0' ||
                   slot_valid_payment_ref((struct slot_str){
                       a.payment_ref, (uint32_t)strlen(a.payment_ref)}) ==
                       SLOT_OK);
            /* A method only with a reference, by the protocol's rule. */
            assert(a.pay_method[0] == '\0' ||
                   (a.payment_ref[0] != '\0' &&
                    slot_valid_pay_method((struct slot_str){
                        a.pay_method, (uint32_t)strlen(a.pay_method)}) ==
                        SLOT_OK));
            continue;
        }
        assert(f.code != 0 && f.message[0] != '\0');
        assert(gw_err_status(f.code) == 400);
        assert(a.patient[0] == '\0');
        assert(!watch || strstr(f.message, watched) == NULL);
    }
}

static void accountHeader(const char *s, size_t n)
{
    for (int mode = 0; mode < 3; mode++) {
        const struct gw_ident *id = mode == 0 ? NULL : secret();
        bool key_ok = mode == 2;
        struct gw_args a;
        struct gw_fail f;
        gw_args_init(&a);
        memset(&f, 0, sizeof f);
        if (!gw_arg_account(&a, id, key_ok, s, n, &f)) {
            assert(f.code != 0 && gw_err_status(f.code) == 400);
            continue;
        }
        assert(validKey(a.account));
        if (id != NULL) {
            bool given = strlen(a.account) == n && memcmp(a.account, s, n) == 0;
            assert(memcmp(a.account, "ac:", 3) == 0);
            assert(key_ok || !given);
        } else {
            assert(strlen(a.account) == n && memcmp(a.account, s, n) == 0);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    int sel = data[0] % 12;
    if (sel >= 8) {
        const char *s = (const char *)data + 1;
        if (sel == 11) {
            checkinBody(s, size - 1);
        } else if (sel == 10) {
            accountHeader(s, size - 1);
        } else {
            staffBody(sel == 8, s, size - 1);
        }
        return 0;
    }
    const char *s = (const char *)data + 1;
    size_t n = size - 1;
    if (sel < GW_ID_TYPES) {
        number(sel, s, n);
    } else {
        body(sel, s, n);
    }
    return 0;
}
