/* gw_config: configuration parsing (see gw_config.h). */
#include "gw_config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_json.h"
#include "slot_addr.h"
#include "slot_valid.h"

static int cfail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int cfail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* "HOST:PORT" (slot_addr.h): a literal becomes listen_addr now; a name
 * waits for gw_config_resolve (no lookup while parsing: the fuzzers and
 * the unit tests parse configurations). */
static int parseListen(struct gw_config *c, char *err, size_t errlen)
{
    char msg[300];
    struct slot_hostport *hp = &c->listen_hp;
    if (slot_hostport_parse(c->listen, strlen(c->listen), "\"listen\"", hp, msg,
                            sizeof msg) != SLOT_OK) {
        return cfail(err, errlen, "%s", msg);
    }
    memset(&c->listen_addr, 0, sizeof c->listen_addr);
    if (hp->kind == SLOT_HOST_IPV6) {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&c->listen_addr;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons(hp->port);
        return inet_pton(AF_INET6, hp->host, &a6->sin6_addr) == 1 ? 0 : -1;
    }
    if (hp->kind == SLOT_HOST_IPV4) {
        struct sockaddr_in *a4 = (struct sockaddr_in *)&c->listen_addr;
        a4->sin_family = AF_INET;
        a4->sin_port = htons(hp->port);
        return inet_pton(AF_INET, hp->host, &a4->sin_addr) == 1 ? 0 : -1;
    }
    return 0;
}

int gw_config_resolve(struct gw_config *c, char *err, size_t errlen)
{
    char msg[400];
    if (c->listen_hp.kind == SLOT_HOST_NAME &&
        slot_hostport_resolve_startup(&c->listen_hp, "\"listen\"", AF_UNSPEC,
                                      &c->listen_addr, msg,
                                      sizeof msg) != SLOT_OK) {
        return cfail(err, errlen, "%s", msg);
    }
    for (const char *s = c->cluster;;) {
        const char *comma = strchr(s, ',');
        size_t len = comma != NULL ? (size_t)(comma - s) : strlen(s);
        struct slot_hostport hp;
        struct sockaddr_storage ss;
        if (slot_hostport_parse(s, len, "\"cluster\"", &hp, msg, sizeof msg) !=
                SLOT_OK ||
            (hp.kind == SLOT_HOST_NAME &&
             slot_hostport_resolve_startup(&hp, "\"cluster\"", AF_UNSPEC, &ss,
                                           msg, sizeof msg) != SLOT_OK)) {
            return cfail(err, errlen, "%s", msg);
        }
        if (comma == NULL) {
            return 0;
        }
        s = comma + 1;
    }
}

/* Unknown keys are errors, not ignored: "inflightmax" silently meaning
 * the default 4096 is how an outage starts. */
static int onlyKeys(json_t *obj, const char *const *known, const char *where,
                    char *err, size_t errlen)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        int ok = 0;
        for (const char *const *k = known; *k != NULL && !ok; k++) {
            ok = strcmp(*k, key) == 0;
        }
        if (!ok) {
            return cfail(err, errlen, "unknown key \"%.40s\"%s%s", key,
                         where[0] ? " in " : "", where);
        }
    }
    return 0;
}

struct u32key {
    const char *name;
    uint32_t *dst;
    uint32_t min, max;
};

static int getU32s(json_t *obj, const char *where, const struct u32key *keys,
                   int n, char *err, size_t errlen)
{
    for (int i = 0; i < n; i++) {
        json_t *v = json_object_get(obj, keys[i].name);
        if (v == NULL) {
            continue;
        }
        if (!json_is_integer(v) || json_integer_value(v) < keys[i].min ||
            json_integer_value(v) > keys[i].max) {
            return cfail(err, errlen, "%s.%s must be an integer in %u..%u",
                         where, keys[i].name, keys[i].min, keys[i].max);
        }
        *keys[i].dst = (uint32_t)json_integer_value(v);
    }
    return 0;
}

static int getString(json_t *root, const char *name, int required, char *dst,
                     size_t cap, char *err, size_t errlen)
{
    json_t *v = json_object_get(root, name);
    if (v == NULL) {
        return required ? cfail(err, errlen, "missing key \"%s\"", name) : 0;
    }
    if (!json_is_string(v) || json_string_length(v) >= cap) {
        return cfail(err, errlen,
                     "\"%s\" must be a string of at most %zu bytes", name,
                     cap - 1);
    }
    memcpy(dst, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

static int tokenCharsOk(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') ||
              (ch != '\0' && strchr("._~+/=-", ch)))) {
            return 0;
        }
    }
    return 1;
}

/* Tokens map to channel slots: a slot is what metrics and the
 * Idempotency-Key namespace use, and what the ownership check compares by
 * name; several tokens may share a channel (key rotation). */
static int parseTokens(json_t *toks, struct gw_config *c, char *err,
                       size_t errlen)
{
    if (!json_is_object(toks) || json_object_size(toks) < 1 ||
        json_object_size(toks) > GW_TOKENS_MAX) {
        return cfail(err, errlen,
                     "\"tokens\" must be an object of 1..%d tokens",
                     GW_TOKENS_MAX);
    }
    const char *key;
    json_t *v;
    json_object_foreach(toks, key, v)
    {
        size_t kl = strlen(key);
        if (kl < GW_TOKEN_MIN || kl > GW_TOKEN_MAX || !tokenCharsOk(key, kl)) {
            return cfail(err, errlen,
                         "a token must be %d..%d bytes of [A-Za-z0-9._~+/=-]",
                         GW_TOKEN_MIN, GW_TOKEN_MAX);
        }
        if (!json_is_string(v)) {
            return cfail(
                err, errlen,
                "tokens: the value must be a channel name or \"admin\"");
        }
        const char *ch = json_string_value(v);
        size_t cl = json_string_length(v);
        struct gw_token *t = &c->tokens[c->n_tokens++];
        memcpy(t->token, key, kl + 1);
        t->len = kl;
        if (strcmp(ch, "admin") == 0) {
            t->channel = GW_CH_ADMIN;
            continue;
        }
        /* The ledger's channel rule (cl < 2^32: bounded by the file). */
        if (cl > SLOT_CHANNEL_MAX || slot_valid_channel((struct slot_str){
                                         ch, (uint32_t)cl}) != SLOT_OK) {
            return cfail(err, errlen,
                         "tokens: channel \"%.20s\" must be 1..%d bytes of "
                         "[a-z0-9_-]",
                         ch, SLOT_CHANNEL_MAX);
        }
        int idx = -1;
        for (int i = 0; i < c->n_channels && idx < 0; i++) {
            if (strcmp(c->channels[i], ch) == 0) {
                idx = i;
            }
        }
        if (idx < 0) {
            if (c->n_channels == GW_CHANNELS_MAX) {
                return cfail(err, errlen,
                             "tokens: at most %d distinct channels",
                             GW_CHANNELS_MAX);
            }
            idx = c->n_channels++;
            memcpy(c->channels[idx], ch, cl + 1);
            c->channel_names[idx] = c->channels[idx];
        }
        t->channel = GW_CH_FIRST + idx;
    }
    return 0;
}

/* The secret's text (hex digits, whitespace after them allowed in a
 * file) into c->ident. */
static int setSecret(struct gw_config *c, const char *hex, size_t len,
                     const char *where, char *err, size_t errlen)
{
    while (len > 0 && strchr(" \t\r\n", hex[len - 1]) != NULL) {
        len--;
    }
    if (gw_ident_set_secret_hex(&c->ident, hex, len) != 0) {
        return cfail(err, errlen,
                     "%s must be %d..%d hex digits (a secret of %d..%d bytes; "
                     "e.g. openssl rand -hex 32)",
                     where, 2 * GW_IDENT_SECRET_MIN, 2 * GW_IDENT_SECRET_MAX,
                     GW_IDENT_SECRET_MIN, GW_IDENT_SECRET_MAX);
    }
    return 0;
}

static int readSecretFile(struct gw_config *c, const char *path, char *err,
                          size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return cfail(err, errlen, "identity.secret_file: %.200s: %s", path,
                     strerror(errno));
    }
    char text[4 * GW_IDENT_SECRET_MAX + 2];
    size_t n = fread(text, 1, sizeof text, f);
    fclose(f);
    int rc = n == sizeof text
                 ? cfail(err, errlen,
                         "identity.secret_file: %.200s: longer than %d hex "
                         "digits",
                         path, 2 * GW_IDENT_SECRET_MAX)
                 : setSecret(c, text, n, "identity.secret_file's content", err,
                             errlen);
    gw_ident_wipe(text, sizeof text);
    return rc;
}

/* "identity": the secret of real-name keys and the channels still allowed
 * opaque keys (after the tokens: it names their channels). */
static int parseIdentity(json_t *id, struct gw_config *c, char *err,
                         size_t errlen)
{
    static const char *const known[] = {"secret_hex", "secret_file",
                                        "opaque_key_channels", NULL};
    if (!json_is_object(id)) {
        return cfail(err, errlen, "\"identity\" must be an object");
    }
    if (onlyKeys(id, known, "identity", err, errlen) != 0) {
        return -1;
    }
    json_t *hex = json_object_get(id, "secret_hex");
    json_t *file = json_object_get(id, "secret_file");
    if ((hex == NULL) == (file == NULL)) {
        return cfail(err, errlen,
                     "identity: give exactly one of \"secret_hex\" and "
                     "\"secret_file\"");
    }
    if (hex != NULL && !json_is_string(hex)) {
        return cfail(err, errlen, "identity.secret_hex must be a string");
    }
    if (file != NULL &&
        (!json_is_string(file) || json_string_value(file)[0] == '\0')) {
        return cfail(err, errlen, "identity.secret_file must be a file's path");
    }
    int rc = hex != NULL
                 ? setSecret(c, json_string_value(hex), json_string_length(hex),
                             "identity.secret_hex", err, errlen)
                 : readSecretFile(c, json_string_value(file), err, errlen);
    if (hex != NULL) {
        /* jansson's copy of the secret: freed with the document. */
        gw_ident_wipe((char *)json_string_value(hex), json_string_length(hex));
    }
    if (rc != 0) {
        return -1;
    }
    json_t *oc = json_object_get(id, "opaque_key_channels");
    if (oc != NULL && !json_is_array(oc)) {
        return cfail(err, errlen,
                     "identity.opaque_key_channels must be an array of "
                     "channel names");
    }
    size_t i;
    json_t *v;
    json_array_foreach(oc, i, v)
    {
        int idx = -1;
        for (int k = 0; json_is_string(v) && k < c->n_channels; k++) {
            if (strcmp(c->channels[k], json_string_value(v)) == 0) {
                idx = k;
            }
        }
        if (idx < 0) {
            return cfail(err, errlen,
                         "identity.opaque_key_channels[%zu] must be the "
                         "channel of a token",
                         i);
        }
        c->opaque_ok[idx] = true;
    }
    c->has_identity = true;
    return 0;
}

static void defaults(struct gw_config *c)
{
    memset(c, 0, sizeof *c);
    strcpy(c->access_log, "-");
    c->limits = (struct gw_limits){
        .inflight_max = 4096,
        .inflight_min = 64,
        .queue_target_ms = 20,
        .queue_interval_ms = 100,
        .connections_max = 10000,
        .body_max_bytes = 8192,
        .headers_max_bytes = 8192,
        .request_timeout_ms = 5000,
        .healthz_timeout_ms = 1000,
        .idle_timeout_ms = 30000,
        .retry_after_s = 1,
        .patient_rate_per_s = 2,
        .patient_burst = 5,
        .patient_table_size = 65536,
        .hold_ttl_ms = 600000,
        .schedule_body_max_bytes = 65536,
        .pool_cache_size = 16384,
        .events_max = 64,
        .events_poll_ms = 250,
        .events_heartbeat_ms = 15000,
        .events_buffer_bytes = 262144,
        .events_stall_ms = 30000,
        .stats_refresh_ms = 5000,
        .stats_series_max = 10000,
        .recon_max = 2,
        .recon_bytes_max = 67108864,
        .events_shared_max = 65536,
        .events_shared_poll_ms = 20,
        .events_shared_hold_ms = 1000,
        .cluster_timeout_ms = 1000,
        .cluster_max = 4,
    };
    c->client = (struct gw_client_opts){
        .sessions = 16,
        .queue_max = 0, /* derived below unless set */
        .connect_timeout_ms = 1000,
        .attempt_timeout_ms = 3000,
        .retry_ms = 50,
    };
}

int gw_config_parse(const char *text, size_t len, struct gw_config *c,
                    char *err, size_t errlen)
{
    static const char *const top[] = {"listen",     "cluster",    "tokens",
                                      "access_log", "reuse_port", "limits",
                                      "client",     "identity",   NULL};
    static const char *const lim[] = {"inflight_max",
                                      "inflight_min",
                                      "queue_target_ms",
                                      "queue_interval_ms",
                                      "connections_max",
                                      "body_max_bytes",
                                      "headers_max_bytes",
                                      "request_timeout_ms",
                                      "healthz_timeout_ms",
                                      "idle_timeout_ms",
                                      "retry_after_s",
                                      "patient_rate_per_s",
                                      "patient_burst",
                                      "patient_table_size",
                                      "hold_ttl_ms",
                                      "schedule_body_max_bytes",
                                      "pool_cache_size",
                                      "events_max",
                                      "events_poll_ms",
                                      "events_heartbeat_ms",
                                      "events_buffer_bytes",
                                      "events_stall_ms",
                                      "stats_refresh_ms",
                                      "stats_series_max",
                                      "recon_max",
                                      "recon_bytes_max",
                                      "events_shared_max",
                                      "events_shared_poll_ms",
                                      "events_shared_hold_ms",
                                      "cluster_timeout_ms",
                                      "cluster_max",
                                      NULL};
    static const char *const cli[] = {
        "sessions",           "queue_max", "connect_timeout_ms",
        "attempt_timeout_ms", "retry_ms",  NULL};
    defaults(c);
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL) {
        return cfail(err, errlen, "line %d: %s", je.line, je.text);
    }
    int rc = -1;
    if (!json_is_object(root)) {
        cfail(err, errlen, "the configuration must be a JSON object");
        goto out;
    }
    if (onlyKeys(root, top, "", err, errlen) != 0 ||
        getString(root, "listen", 1, c->listen, sizeof c->listen, err,
                  errlen) != 0 ||
        getString(root, "cluster", 1, c->cluster, sizeof c->cluster, err,
                  errlen) != 0 ||
        getString(root, "access_log", 0, c->access_log, sizeof c->access_log,
                  err, errlen) != 0) {
        goto out;
    }
    json_t *rp = json_object_get(root, "reuse_port");
    if (rp != NULL && !json_is_boolean(rp)) {
        cfail(err, errlen, "\"reuse_port\" must be true or false");
        goto out;
    }
    c->reuse_port = rp != NULL && json_is_true(rp);
    if (parseListen(c, err, errlen) != 0) {
        goto out;
    }
    if (c->cluster[0] == '\0') {
        cfail(err, errlen, "\"cluster\" must list at least one node");
        goto out;
    }
    char cmsg[400];
    if (slotc_cluster_check(c->cluster, "\"cluster\"", cmsg, sizeof cmsg) !=
        SLOT_OK) {
        cfail(err, errlen, "%s", cmsg);
        goto out;
    }
    json_t *toks = json_object_get(root, "tokens");
    if (toks == NULL) {
        cfail(err, errlen, "missing key \"tokens\"");
        goto out;
    }
    if (parseTokens(toks, c, err, errlen) != 0) {
        goto out;
    }
    json_t *idn = json_object_get(root, "identity");
    if (idn != NULL && parseIdentity(idn, c, err, errlen) != 0) {
        goto out;
    }
    struct gw_limits *l = &c->limits;
    const struct u32key lk[] = {
        {"inflight_max", &l->inflight_max, 1, 65536},
        {"inflight_min", &l->inflight_min, 1, 65536},
        {"queue_target_ms", &l->queue_target_ms, 0, 10000},
        {"queue_interval_ms", &l->queue_interval_ms, 10, 10000},
        {"connections_max", &l->connections_max, 1, 1000000},
        {"body_max_bytes", &l->body_max_bytes, 64, 1048576},
        {"headers_max_bytes", &l->headers_max_bytes, 512, 65536},
        {"request_timeout_ms", &l->request_timeout_ms, 100, 600000},
        {"healthz_timeout_ms", &l->healthz_timeout_ms, 50, 60000},
        {"idle_timeout_ms", &l->idle_timeout_ms, 1000, 3600000},
        {"retry_after_s", &l->retry_after_s, 1, 3600},
        {"patient_rate_per_s", &l->patient_rate_per_s, 0, 1000000},
        {"patient_burst", &l->patient_burst, 1, 1000000},
        {"patient_table_size", &l->patient_table_size, 16, 16777216},
        {"hold_ttl_ms", &l->hold_ttl_ms, 1, 86400000},
        {"schedule_body_max_bytes", &l->schedule_body_max_bytes, 1024, 1048576},
        {"pool_cache_size", &l->pool_cache_size, 16, 16777216},
        {"events_max", &l->events_max, 1, 65536},
        {"events_poll_ms", &l->events_poll_ms, 10, 10000},
        {"events_heartbeat_ms", &l->events_heartbeat_ms, 100, 600000},
        {"events_buffer_bytes", &l->events_buffer_bytes, 4096, 16777216},
        {"events_stall_ms", &l->events_stall_ms, 100, 600000},
        {"stats_refresh_ms", &l->stats_refresh_ms, 100, 3600000},
        {"stats_series_max", &l->stats_series_max, 0, 1000000},
        {"recon_max", &l->recon_max, 1, 64},
        {"recon_bytes_max", &l->recon_bytes_max, 1024, 1073741824},
        {"events_shared_max", &l->events_shared_max, 0, 4194304},
        {"events_shared_poll_ms", &l->events_shared_poll_ms, 1, 10000},
        {"events_shared_hold_ms", &l->events_shared_hold_ms, 0, 600000},
        {"cluster_timeout_ms", &l->cluster_timeout_ms, 50, 60000},
        {"cluster_max", &l->cluster_max, 1, 64},
    };
    json_t *lo = json_object_get(root, "limits");
    if (lo != NULL &&
        (!json_is_object(lo) || onlyKeys(lo, lim, "limits", err, errlen) != 0 ||
         getU32s(lo, "limits", lk, (int)(sizeof lk / sizeof lk[0]), err,
                 errlen) != 0)) {
        if (!json_is_object(lo)) {
            cfail(err, errlen, "\"limits\" must be an object");
        }
        goto out;
    }
    /* The default floor (64) follows a smaller ceiling; a floor set above
     * the ceiling is a mistake. */
    if (l->inflight_min > l->inflight_max &&
        (lo == NULL || json_object_get(lo, "inflight_min") == NULL)) {
        l->inflight_min = l->inflight_max;
    }
    if (l->inflight_min > l->inflight_max) {
        cfail(err, errlen,
              "limits.inflight_min must not exceed limits.inflight_max");
        goto out;
    }
    /* The follower appends a page of 1000 at a time: a smaller ring would
     * drop part of a page before any stream saw it. */
    if (l->events_shared_max != 0 && l->events_shared_max < 2000) {
        cfail(err, errlen,
              "limits.events_shared_max must be 0 (off) or 2000..4194304");
        goto out;
    }
    struct gw_client_opts *o = &c->client;
    const struct u32key ck[] = {
        {"sessions", &o->sessions, 1, 64},
        {"queue_max", &o->queue_max, 1, 65536},
        {"connect_timeout_ms", &o->connect_timeout_ms, 10, 60000},
        {"attempt_timeout_ms", &o->attempt_timeout_ms, 10, 600000},
        {"retry_ms", &o->retry_ms, 1, 60000},
    };
    json_t *co = json_object_get(root, "client");
    if (co != NULL &&
        (!json_is_object(co) || onlyKeys(co, cli, "client", err, errlen) != 0 ||
         getU32s(co, "client", ck, (int)(sizeof ck / sizeof ck[0]), err,
                 errlen) != 0)) {
        if (!json_is_object(co)) {
            cfail(err, errlen, "\"client\" must be an object");
        }
        goto out;
    }
    if (o->queue_max == 0) {
        /* Room for every in-flight request's read and write, so that the
         * gateway's own budget (a cheap 503) trips before libslot's. */
        uint64_t q = 2ull * l->inflight_max + 64;
        o->queue_max = q > 65536 ? 65536 : (uint32_t)q;
    }
    rc = 0;
out:
    json_decref(root);
    return rc;
}

int gw_config_load(const char *path, struct gw_config *c, char *err,
                   size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return cfail(err, errlen, "%s: %s", path, strerror(errno));
    }
    /* Read once at start-up; static keeps a megabyte off the stack. */
    static char text[1 << 20];
    size_t n = fread(text, 1, sizeof text, f);
    int big = n == sizeof text;
    fclose(f);
    if (big) {
        return cfail(err, errlen, "%s: larger than 1 MiB", path);
    }
    int rc = gw_config_parse(text, n, c, err, errlen);
    /* The text may hold the identity secret. */
    gw_ident_wipe(text, n);
    if (rc != 0) {
        /* Prefix the file name without losing the message. */
        char msg[256];
        snprintf(msg, sizeof msg, "%s", err);
        snprintf(err, errlen, "%s: %s", path, msg);
    }
    return rc;
}

int gw_config_token(const struct gw_config *c, const char *tok, size_t len)
{
    /* Every token is compared in full, without an early exit, so the time
     * taken says nothing about which prefix matched; 64 tokens of at most
     * 256 bytes keep this cheap enough for every request. */
    int found = -1;
    for (int i = 0; i < c->n_tokens; i++) {
        const struct gw_token *t = &c->tokens[i];
        unsigned char diff = (unsigned char)(t->len != len);
        size_t n = len < t->len ? len : t->len;
        for (size_t k = 0; k < n; k++) {
            diff |= (unsigned char)(t->token[k] ^ tok[k]);
        }
        if (diff == 0) {
            found = t->channel;
        }
    }
    return found;
}

bool gw_config_opaque_ok(const struct gw_config *c, int slot)
{
    if (!c->has_identity || slot == GW_CH_ADMIN) {
        return true;
    }
    return slot >= GW_CH_FIRST && slot - GW_CH_FIRST < c->n_channels &&
           c->opaque_ok[slot - GW_CH_FIRST];
}

const struct gw_ident *gw_config_ident(const struct gw_config *c)
{
    return c->has_identity ? &c->ident : NULL;
}

const char *gw_config_channel_name(const struct gw_config *c, int slot)
{
    if (slot == GW_CH_ADMIN) {
        return "admin";
    }
    if (slot >= GW_CH_FIRST && slot - GW_CH_FIRST < c->n_channels) {
        return c->channels[slot - GW_CH_FIRST];
    }
    return "-";
}
