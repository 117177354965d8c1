/* test_slotctl_sched: slotctl's hospital commands (rules get / set / log,
 * schedule import / check, pool query, scheduled pools and the claim
 * fields, confirm without a payment reference) and the `make cluster` demo
 * loader (node/demo/load.sh), run as real processes against a real local
 * 3-node slotd cluster.
 *
 * slotctl of this binary's flavour is run (next to it), so under
 * AddressSanitizer its leaks fail the test too. Every test uses its own
 * hospital and pool names (the demo test: "pumch", which no other test
 * uses), so tests sharing the cluster never meet. Dates are relative to
 * today and far enough ahead that no date rule refuses a hold the test
 * expects to pass; nothing sleeps.
 */
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "libslot.h"
#include "proc.h"
#include "tclock.h"
#include "tcluster.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define LEAK_CHECK() __lsan_do_leak_check()
#else
#define LEAK_CHECK() ((void)0)
#endif

#define BJ_OFFSET_MIN 480 /* the tests' hospitals are in Beijing */
#define OUT_MAX       (16u << 20)

static struct tcluster g_shared;
static bool g_shared_ok;
static char g_slotctl[512];
static char g_root[512]; /* the repository (node/demo/load.sh) */
static char g_dir[256];  /* this test's scratch directory */

static const char *cluster(void)
{
    CHECK(g_shared_ok);
    return g_shared.cluster;
}

/* A name unique to this test process ("<prefix>-<pid>-<n>"). */
static const char *uniq(const char *prefix)
{
    static char buf[8][SLOTC_NAME_MAX + 1];
    static int k;
    char *b = buf[k % 8];
    snprintf(b, sizeof buf[0], "%s-%d-%d", prefix, (int)getpid(), k++);
    return b;
}

static void scratchRemove(void)
{
    proc_rmrf(g_dir);
}

/* This test's scratch directory, removed when the test's process exits
 * (passed or failed: each run writes its files anew). */
static void scratch(void)
{
    CHECK_EQ(
        proc_tmpdir(g_dir, sizeof g_dir, "TMPDIR", "/tmp", "slotctl-sched-"),
        0);
    atexit(scratchRemove);
}

/* Writes text to a file of the scratch directory; returns its path
 * (static storage, one of 8). */
static const char *file(const char *name, const char *text)
{
    static char paths[8][400];
    static int k;
    char *p = paths[k++ % 8];
    snprintf(p, sizeof paths[0], "%s/%s", g_dir, name);
    FILE *f = fopen(p, "w");
    CHECK(f != NULL);
    CHECK_EQ(fwrite(text, 1, strlen(text), f), strlen(text));
    CHECK_EQ(fclose(f), 0);
    return p;
}

/* Today's date in Beijing plus n days, "YYYY-MM-DD". */
static const char *bjDay(int n)
{
    static char buf[8][11];
    static int k;
    char *b = buf[k++ % 8];
    uint32_t today = slotc_local_day(tclock_wall_ms(), BJ_OFFSET_MIN);
    slotc_day_format(today + (uint32_t)n, b);
    return b;
}

/* "YYYYMMDD" of bjDay(n), as pool ids have it. */
static const char *bjYmd(int n)
{
    static char buf[8][9];
    static int k;
    char *b = buf[k++ % 8];
    const char *d = bjDay(n);
    snprintf(b, sizeof buf[0], "%.4s%.2s%.2s", d, d + 5, d + 8);
    return b;
}

/* ---- running slotctl ---------------------------------------------------- */

struct run {
    int exit;       /* exit code */
    char *out;      /* stdout (malloc'd, NUL-terminated) */
    char err[8192]; /* stderr (truncated) */
};

/* Runs argv (NULL-terminated, argv[0] unused: slotctl is prepended, with
 * --cluster unless cl is NULL) with `input` on stdin (NULL: empty). */
static void runv(struct run *r, const char *input, const char *cl,
                 const char *const *args)
{
    char *argv[64];
    int n = 0;
    argv[n++] = g_slotctl;
    if (cl != NULL) {
        argv[n++] = "--cluster";
        argv[n++] = (char *)cl;
    }
    for (; *args != NULL && n < 63; args++) {
        argv[n++] = (char *)*args;
    }
    argv[n] = NULL;
    char in_path[400], err_path[400];
    snprintf(in_path, sizeof in_path, "%s/.stdin", g_dir);
    snprintf(err_path, sizeof err_path, "%s/.stderr", g_dir);
    FILE *f = fopen(in_path, "w");
    CHECK(f != NULL);
    if (input != NULL) {
        fputs(input, f);
    }
    CHECK_EQ(fclose(f), 0);
    int fds[2];
    CHECK(pipe(fds) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        int in = open(in_path, O_RDONLY);
        int er = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in < 0 || er < 0) {
            _exit(127);
        }
        dup2(in, 0);
        dup2(fds[1], 1);
        dup2(er, 2);
        close(fds[0]);
        close(fds[1]);
        execv(g_slotctl, argv);
        _exit(127);
    }
    close(fds[1]);
    size_t cap = 1 << 16, len = 0;
    r->out = malloc(cap);
    CHECK(r->out != NULL);
    for (;;) {
        if (len + 1 == cap) {
            CHECK(cap < OUT_MAX);
            cap *= 2;
            r->out = realloc(r->out, cap);
            CHECK(r->out != NULL);
        }
        ssize_t k = read(fds[0], r->out + len, cap - 1 - len);
        if (k <= 0) {
            break;
        }
        len += (size_t)k;
    }
    close(fds[0]);
    r->out[len] = '\0';
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK(WIFEXITED(st));
    r->exit = WEXITSTATUS(st);
    f = fopen(err_path, "r");
    CHECK(f != NULL);
    size_t e = fread(r->err, 1, sizeof r->err - 1, f);
    r->err[e] = '\0';
    fclose(f);
}

/* slotctl --json ARGS... with stdin `input`: parses its one line of output
 * into *out (the caller decrefs it); returns the exit code. */
static int ctlIn(json_t **out, const char *input, const char *cl, ...)
{
    const char *args[60];
    int n = 0;
    args[n++] = "--json";
    va_list ap;
    va_start(ap, cl);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL && n < 59;) {
        args[n++] = a;
    }
    va_end(ap);
    args[n] = NULL;
    struct run r;
    runv(&r, input, cl, args);
    json_error_t err;
    *out = json_loads(r.out, 0, &err);
    if (*out == NULL) {
        fprintf(stderr, "slotctl printed no JSON: '%s' (stderr '%s')\n", r.out,
                r.err);
    }
    CHECK(*out != NULL);
    size_t len = strlen(r.out);
    CHECK(len > 0 && strchr(r.out, '\n') == r.out + len - 1); /* one line */
    free(r.out);
    return r.exit;
}

#define ctl(out, cl, ...) ctlIn((out), NULL, (cl), __VA_ARGS__)

static json_int_t jint(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v)) {
        fprintf(stderr, "no integer '%s'\n", key);
    }
    CHECK(json_is_integer(v));
    return json_integer_value(v);
}

static const char *jstr(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v)) {
        fprintf(stderr, "no string '%s'\n", key);
    }
    CHECK(json_is_string(v));
    return json_string_value(v);
}

static const json_t *jobj(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    CHECK(v != NULL);
    return v;
}

/* The error's code; checks the message mentions `words` (NULL: any). */
static const char *jerr(const json_t *o, const char *words)
{
    const json_t *e = jobj(o, "error");
    const char *msg = jstr(e, "message");
    if (words != NULL && strstr(msg, words) == NULL) {
        fprintf(stderr, "message '%s' lacks '%s'\n", msg, words);
        CHECK(strstr(msg, words) != NULL);
    }
    return jstr(e, "code");
}

/* The field an input error names. */
static const char *jfield(const json_t *o)
{
    return jstr(jobj(o, "error"), "field");
}

/* ---- fixtures ----------------------------------------------------------- */

static const char RULES[] =
    "{\"utc_offset\": \"+08:00\", \"release_time\": \"09:00\",\n"
    " \"horizon_days\": 0, \"cutoff_time\": null, \"pay_ttl_ms\": 300000,\n"
    " \"pay_ttl_max_ms\": 600000,\n"
    " \"flow_back\": {\"days_before\": 1, \"time\": \"15:00\"},\n"
    " \"groups\": [{\"name\": \"online\", \"channels\": [\"app\", "
    "\"wechat\"]}],\n"
    " \"policies\": [{\"channel\": \"doctor\", \"horizon_days\": 90,\n"
    "                 \"cutoff\": false}],\n"
    " \"eligibility\": [{\"kind\": \"special\", \"channels\": [\"app\", "
    "\"window\"]}]}\n";

/* Gives hospital h the rules above (version 1). */
static void setRules(const char *h)
{
    json_t *o;
    CHECK_EQ(ctl(&o, cluster(), "rules", "set", h, file("r.json", RULES),
                 "--operator", "admin@test", "--reason", "排班 test", NULL),
             0);
    json_decref(o);
}

/* A template of hospital h: prefix h/DEP/DOCTOR, the given days (JSON
 * list body), two half-hour segments with capacity cap. */
static char *tplJson(const char *h, const char *dep, const char *doctor,
                     const char *kind, const char *days, int cap)
{
    char *s = NULL;
    CHECK(asprintf(&s,
                   "{\"id_prefix\": \"%s/%s/%s\", \"hospital\": \"%s\",\n"
                   " \"campus\": \"east\", \"department\": \"%s\", "
                   "\"doctor\": \"%s\",\n"
                   " \"kind\": \"%s\", \"fee_cents\": 8000,\n"
                   " \"shares\": [{\"channel\": \"114\", \"permille\": 300},\n"
                   "             {\"channel\": \"online\", \"permille\": "
                   "500}],\n"
                   " \"remainder_allow\": [\"window\"],\n"
                   " \"days\": [%s],\n"
                   " \"segments\": [{\"start\": \"08:00\", \"end\": \"08:30\", "
                   "\"capacity\": %d},\n"
                   "              {\"start\": \"08:30\", \"end\": \"09:00\", "
                   "\"capacity\": %d}]}",
                   h, dep, doctor[0] != '\0' ? doctor : "normal", h, dep,
                   doctor, kind, days, cap, cap) > 0);
    return s;
}

static char *daysJson(int from, int n)
{
    char *s = calloc(1, 16 * (size_t)n + 1);
    CHECK(s != NULL);
    for (int i = 0; i < n; i++) {
        strcat(s, i > 0 ? ", \"" : "\"");
        strcat(s, bjDay(from + i));
        strcat(s, "\"");
    }
    return s;
}

/* Imports hospital h's two normal derm clinics of day +3, 08:00 and 08:30
 * (capacity cap each), and names them in at0800 and at0830. */
static void dermDay3(const char *h, int cap, char at0800[80], char at0830[80])
{
    char *days = daysJson(3, 1);
    char *tpl = tplJson(h, "derm", "", "normal", days, cap);
    json_t *o;
    CHECK_EQ(
        ctl(&o, cluster(), "schedule", "import", file("t.json", tpl), NULL), 0);
    json_decref(o);
    free(tpl);
    free(days);
    snprintf(at0800, 80, "%s/derm/normal/%s/0800", h, bjYmd(3));
    snprintf(at0830, 80, "%s/derm/normal/%s/0830", h, bjYmd(3));
}

/* ---- rules -------------------------------------------------------------- */

static void test_rules_commands(void)
{
    scratch();
    const char *cl = cluster();
    const char *h = uniq("hr");
    json_t *o;
    /* Unknown hospital: a refusal (exit 1), for reads and overrides. */
    CHECK_EQ(ctl(&o, cl, "rules", "get", h, NULL), 1);
    CHECK_STR(jerr(o, NULL), "UNKNOWN_HOSPITAL");
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "rules", "set", h, file("r.json", RULES),
                 "--department", "cardio", "--operator", "a", "--reason", "b",
                 NULL),
             1);
    CHECK_STR(jerr(o, NULL), "UNKNOWN_HOSPITAL");
    json_decref(o);

    CHECK_EQ(ctl(&o, cl, "rules", "set", h, file("r.json", RULES), "--operator",
                 "admin@test", "--reason", "排班 test", "--idem-key",
                 "rules-k1", NULL),
             0);
    CHECK(json_is_true(jobj(o, "ok")));
    CHECK_STR(jstr(o, "hospital"), h);
    CHECK_STR(jstr(o, "department"), "");
    CHECK_EQ(jint(o, "version"), 1);
    CHECK(jint(o, "index") > 0);
    /* The rule set as applied: every field, defaults filled in. */
    const json_t *r = jobj(o, "rules");
    CHECK_STR(jstr(r, "utc_offset"), "+08:00");
    CHECK_STR(jstr(r, "release_time"), "09:00");
    CHECK(json_is_null(jobj(r, "cutoff_time")));
    CHECK_EQ(jint(r, "pay_ttl_ms"), 300000);
    CHECK_EQ(jint(jobj(r, "flow_back"), "days_before"), 1);
    CHECK_STR(jstr(jobj(r, "flow_back"), "to"), "");
    const json_t *pol = json_array_get(jobj(r, "policies"), 0);
    CHECK_EQ(jint(pol, "horizon_days"), 90);
    CHECK(json_is_false(jobj(pol, "cutoff")));
    CHECK(json_is_true(jobj(pol, "same_day"))); /* the default */
    const json_t *el = json_array_get(jobj(r, "eligibility"), 0);
    CHECK_STR(jstr(el, "kind"), "special");
    CHECK_STR(jstr(el, "department"), "");
    json_decref(o);
    /* The same key again: the original answer, no new version. */
    CHECK_EQ(ctl(&o, cl, "rules", "set", h, file("r.json", RULES), "--operator",
                 "admin@test", "--reason", "排班 test", "--idem-key",
                 "rules-k1", NULL),
             0);
    CHECK_EQ(jint(o, "version"), 1);
    json_decref(o);
    /* ... with other rules: REQUEST_MISMATCH, a refusal of the key. */
    CHECK_EQ(ctlIn(&o, "{\"utc_offset\": \"+08:00\"}", cl, "rules", "set", h,
                   "-", "--operator", "admin@test", "--reason", "x",
                   "--idem-key", "rules-k1", NULL),
             4);
    CHECK_STR(jerr(o, NULL), "REQUEST_MISMATCH");
    json_decref(o);

    /* A department override from standard input. */
    CHECK_EQ(ctlIn(&o, "{\"utc_offset\": \"+08:00\", \"horizon_days\": 3}", cl,
                   "rules", "set", h, "-", "--department", "ophthalmology",
                   "--operator", "ops", "--reason", "眼科 3 天", NULL),
             0);
    CHECK_EQ(jint(o, "version"), 2);
    CHECK_STR(jstr(o, "department"), "ophthalmology");
    json_decref(o);

    CHECK_EQ(ctl(&o, cl, "rules", "get", h, NULL), 0);
    CHECK_STR(jstr(o, "hospital"), h);
    CHECK(json_is_false(jobj(o, "inherited")));
    CHECK_EQ(jint(o, "version"), 1);
    CHECK_STR(jstr(o, "operator"), "admin@test");
    CHECK_STR(jstr(o, "reason"), "排班 test");
    CHECK(jint(o, "changed_at_ms") > 0);
    CHECK_STR(jstr(jobj(o, "rules"), "utc_offset"), "+08:00");
    CHECK_STR(jstr(json_array_get(jobj(jobj(o, "rules"), "groups"), 0), "name"),
              "online");
    CHECK(jint(o, "applied_index") > 0);
    json_decref(o);
    CHECK_EQ(
        ctl(&o, cl, "rules", "get", h, "--department", "ophthalmology", NULL),
        0);
    CHECK(json_is_false(jobj(o, "inherited")));
    CHECK_EQ(jint(jobj(o, "rules"), "horizon_days"), 3);
    CHECK_STR(jstr(o, "department"), "ophthalmology");
    json_decref(o);
    CHECK_EQ(
        ctl(&o, cl, "--stale", "rules", "get", h, "--department", "derm", NULL),
        0);
    CHECK(json_is_true(jobj(o, "inherited")));
    CHECK(json_is_true(jobj(o, "stale")));
    CHECK_EQ(jint(jobj(o, "rules"), "horizon_days"), 0);
    json_decref(o);

    CHECK_EQ(ctl(&o, cl, "rules", "log", h, NULL), 0);
    const json_t *ch = jobj(o, "changes");
    CHECK_EQ(json_array_size(ch), 2);
    CHECK_EQ(jint(json_array_get(ch, 0), "version"), 1);
    CHECK_STR(jstr(json_array_get(ch, 1), "department"), "ophthalmology");
    CHECK_STR(jstr(json_array_get(ch, 1), "reason"), "眼科 3 天");
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "rules", "log", h, "--after", "1", NULL), 0);
    CHECK_EQ(json_array_size(jobj(o, "changes")), 1);
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "rules", "log", h, "--limit", "1", NULL), 0);
    CHECK_EQ(json_array_size(jobj(o, "changes")), 1);
    CHECK_EQ(jint(json_array_get(jobj(o, "changes"), 0), "version"), 1);
    json_decref(o);

    /* Human output: "key: value" lines. */
    struct run rr;
    const char *args[] = {"rules", "get", h, NULL};
    runv(&rr, NULL, cl, args);
    CHECK_EQ(rr.exit, 0);
    CHECK(strstr(rr.out, "version: 1\n") != NULL);
    CHECK(strstr(rr.out, "\"release_time\":\"09:00\"") != NULL);
    free(rr.out);
    LEAK_CHECK();
}

/* A rule set that must be refused before anything is sent: exit 3 and the
 * code and field given. */
static void badRules(const char *cl, const char *h, const char *json,
                     const char *code, const char *field)
{
    json_t *o;
    CHECK_EQ(ctl(&o, cl, "rules", "set", h, file("bad.json", json),
                 "--operator", "a", "--reason", "b", NULL),
             3);
    CHECK_STR(jerr(o, field), code);
    if (field != NULL) {
        CHECK_STR(jfield(o), field);
    }
    json_decref(o);
}

static void test_rules_errors(void)
{
    scratch();
    const char *cl = cluster();
    const char *h = uniq("he");
    setRules(h);
    json_t *o;
    badRules(cl, h, "{\"horizon_days\": 7", "MALFORMED", NULL); /* syntax */
    badRules(cl, h, "{\"horizon_days\": 7, \"colour\": 1}", "MALFORMED",
             "colour");
    badRules(cl, h,
             "{\"groups\": [{\"name\": \"g\", \"channels\": [\"a\"], "
             "\"x\": 1}]}",
             "MALFORMED", "groups[0].x");
    CHECK_EQ(ctl(&o, cl, "rules", "set", h,
                 file("dup.json", "{\"horizon_days\": 7, \"horizon_days\": 8}"),
                 "--operator", "a", "--reason", "b", NULL),
             3);
    CHECK_STR(jerr(o, "duplicate object key"), "MALFORMED");
    CHECK(strstr(jstr(jobj(o, "error"), "message"), "horizon_days") != NULL);
    json_decref(o);
    badRules(cl, h, "{\"horizon_days\": \"7\"}", "MALFORMED", "horizon_days");
    badRules(cl, h, "{\"horizon_days\": 7.5}", "MALFORMED", "horizon_days");
    badRules(cl, h, "{\"cutoff_time\": true}", "MALFORMED", "cutoff_time");
    badRules(cl, h, "[]", "MALFORMED", NULL);
    badRules(cl, h, "{\"horizon_days\": 367}", "INVALID_ARGUMENT",
             "horizon_days");
    badRules(cl, h, "{\"release_time\": \"24:00\"}", "INVALID_ARGUMENT",
             "release_time");
    badRules(cl, h, "{\"release_time\": \"9:00\"}", "INVALID_ARGUMENT",
             "release_time");
    badRules(cl, h, "{\"utc_offset\": \"+8\"}", "INVALID_ARGUMENT",
             "utc_offset");
    badRules(cl, h, "{\"utc_offset\": \"+15:00\"}", "INVALID_ARGUMENT",
             "utc_offset");
    badRules(cl, h, "{\"pay_ttl_ms\": 500}", "INVALID_ARGUMENT", "pay_ttl_ms");
    badRules(cl, h, "{\"pay_ttl_ms\": 600000, \"pay_ttl_max_ms\": 300000}",
             "INVALID_ARGUMENT", "pay_ttl_ms");
    badRules(cl, h,
             "{\"flow_back\": {\"days_before\": 8, \"time\": \"07:00\"}}",
             "INVALID_ARGUMENT", "flow_back.days_before");
    badRules(cl, h, "{\"flow_back\": {\"days_before\": 1}}", "MALFORMED",
             "flow_back.time");
    badRules(cl, h,
             "{\"groups\": [{\"name\": \"online\", \"channels\": [\"app\", "
             "\"App\"]}]}",
             "INVALID_ARGUMENT", "groups[0].channels[1]");
    badRules(cl, h,
             "{\"groups\": [{\"name\": \"online\", \"channels\": [\"app\", "
             "\"app\"]}]}",
             "INVALID_ARGUMENT", "groups[0].channels[1]");
    badRules(cl, h,
             "{\"groups\": [{\"name\": \"a\", \"channels\": [\"app\"]}, "
             "{\"name\": \"app\", \"channels\": [\"x\"]}]}",
             "INVALID_ARGUMENT", "groups[1].name");
    badRules(cl, h, "{\"groups\": [{\"name\": \"g\"}]}", "MALFORMED",
             "groups[0].channels");
    badRules(cl, h, "{\"policies\": [{\"channel\": \"a-channel-name-of-17\"}]}",
             "TOO_LARGE", "policies[0].channel");
    badRules(cl, h,
             "{\"policies\": [{\"channel\": \"*\"}, {\"channel\": \"*\"}]}",
             "INVALID_ARGUMENT", "policies[1].channel");
    badRules(cl, h,
             "{\"eligibility\": [{\"kind\": \"vip\", \"channels\": "
             "[\"app\"]}]}",
             "INVALID_ARGUMENT", "eligibility[0].kind");
    badRules(cl, h,
             "{\"groups\": [{\"name\": \"g1\", \"channels\": [\"a\"]}, "
             "{\"name\": \"g2\", \"channels\": [\"b\"]}, {\"name\": \"g3\", "
             "\"channels\": [\"c\"]}, {\"name\": \"g4\", \"channels\": "
             "[\"d\"]}, {\"name\": \"g5\", \"channels\": [\"e\"]}, {\"name\": "
             "\"g6\", \"channels\": [\"f\"]}, {\"name\": \"g7\", \"channels\": "
             "[\"g\"]}, {\"name\": \"g8\", \"channels\": [\"h\"]}, {\"name\": "
             "\"g9\", \"channels\": [\"i\"]}]}",
             "TOO_LARGE", "groups");
    /* Command-line errors: exit 2. */
    CHECK_EQ(ctl(&o, cl, "rules", "set", h, file("r.json", RULES), "--reason",
                 "b", NULL),
             2);
    CHECK_STR(jerr(o, "--operator"), "USAGE");
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "rules", "set", h, "/nonexistent/rules.json",
                 "--operator", "a", "--reason", "b", NULL),
             2);
    CHECK_STR(jerr(o, "cannot read /nonexistent/rules.json"), "USAGE");
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "rules", "get", h, "--operator", "a", NULL), 2);
    CHECK_STR(jerr(o, "does not take --operator"), "USAGE");
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "rules", "frob", h, NULL), 2);
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "rules", "log", h, "--limit", "0", NULL), 2);
    json_decref(o);
    /* Values only the library (the protocol's rules) refuses: exit 3. */
    CHECK_EQ(ctl(&o, cl, "rules", "set", h, file("r.json", RULES), "--operator",
                 "not an operator", "--reason", "b", NULL),
             3);
    CHECK_STR(jerr(o, NULL), "INVALID_ARGUMENT");
    json_decref(o);
    /* None of it changed anything: still the one version. */
    CHECK_EQ(ctl(&o, cl, "rules", "log", h, NULL), 0);
    CHECK_EQ(json_array_size(jobj(o, "changes")), 1);
    json_decref(o);
    LEAK_CHECK();
}

/* ---- schedules ---------------------------------------------------------- */

/* The hospital's pool count (pool query total). */
static json_int_t poolTotal(const char *h)
{
    json_t *o;
    CHECK_EQ(ctl(&o, cluster(), "pool", "query", h, "--limit", "1", NULL), 0);
    json_int_t n = jint(o, "total");
    json_decref(o);
    return n;
}

static void test_schedule_import(void)
{
    scratch();
    const char *cl = cluster();
    const char *h = uniq("hs");
    setRules(h);
    char *days3 = daysJson(10, 3), *days1 = daysJson(20, 1);
    char *t1 = tplJson(h, "cardio", "zhang", "expert", days3, 10);
    char *t2 = tplJson(h, "cardio", "", "normal", days1, 6);
    char *both;
    CHECK(asprintf(&both, "[%s,\n%s]", t1, t2) > 0);
    const char *fb = file("both.json", both), *f1 = file("one.json", t1);
    json_t *o;

    /* check: what import would do; nothing changes. */
    CHECK_EQ(ctl(&o, cl, "schedule", "check", fb, NULL), 0);
    CHECK_EQ(jint(o, "created"), 8);
    CHECK_EQ(jint(o, "unchanged"), 0);
    CHECK_EQ(jint(o, "conflicts"), 0);
    CHECK(json_is_true(jobj(o, "importable")));
    const json_t *ts = jobj(o, "templates");
    CHECK_EQ(json_array_size(ts), 2);
    CHECK_EQ(jint(json_array_get(ts, 0), "pools"), 6);
    CHECK_EQ(jint(json_array_get(ts, 1), "created"), 2);
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "schedule", "import", fb, "--dry-run", NULL), 0);
    CHECK(json_is_true(jobj(o, "dry_run")));
    CHECK_EQ(jint(o, "created"), 8);
    json_decref(o);
    CHECK_EQ(poolTotal(h), 0);

    /* import, with a key: K.1 and K.2 for the two templates. */
    CHECK_EQ(ctl(&o, cl, "schedule", "import", fb, "--idem-key", "imp-k", NULL),
             0);
    CHECK(json_is_false(jobj(o, "dry_run")));
    CHECK_EQ(jint(o, "created"), 8);
    ts = jobj(o, "templates");
    CHECK_EQ(jint(json_array_get(ts, 0), "created"), 6);
    CHECK(jint(json_array_get(ts, 0), "index") > 0);
    char prefix[80];
    snprintf(prefix, sizeof prefix, "%s/cardio/zhang", h);
    CHECK_STR(jstr(json_array_get(ts, 0), "id_prefix"), prefix);
    json_decref(o);
    CHECK_EQ(poolTotal(h), 8);
    /* The same key again answers as the first time (created, not
     * unchanged): the import ran once, under the key. */
    CHECK_EQ(ctl(&o, cl, "schedule", "import", fb, "--idem-key", "imp-k", NULL),
             0);
    CHECK_EQ(jint(o, "created"), 8);
    json_decref(o);
    /* Without a key: idempotent by itself. */
    CHECK_EQ(ctl(&o, cl, "schedule", "import", f1, NULL), 0);
    CHECK_EQ(jint(o, "created"), 0);
    CHECK_EQ(jint(o, "unchanged"), 6);
    json_decref(o);
    /* From standard input. */
    CHECK_EQ(ctlIn(&o, t2, cl, "schedule", "import", "-", NULL), 0);
    CHECK_EQ(jint(o, "unchanged"), 2);
    json_decref(o);

    /* A conflict: one template new (another day), one redefining a pool.
     * Refused as a whole, the conflicting pools listed, nothing created. */
    char *days_new = daysJson(30, 1);
    char *t3 = tplJson(h, "cardio", "li", "expert", days_new, 4);
    char *t4 = tplJson(h, "cardio", "zhang", "expert", days3, 11);
    char *mixed;
    CHECK(asprintf(&mixed, "[%s, %s]", t3, t4) > 0);
    const char *fm = file("mixed.json", mixed);
    CHECK_EQ(ctl(&o, cl, "schedule", "import", fm, NULL), 1);
    CHECK_STR(jerr(o, "nothing imported"), "SCHEDULE_CONFLICT");
    const json_t *conf = jobj(jobj(o, "error"), "conflicts");
    CHECK_EQ(json_array_size(conf), 1);
    CHECK_EQ(jint(json_array_get(conf, 0), "template"), 1);
    const json_t *pools = jobj(json_array_get(conf, 0), "conflicts");
    CHECK_EQ(json_array_size(pools), 6);
    char id0[120];
    snprintf(id0, sizeof id0, "%s/%s/0800", prefix, bjYmd(10));
    CHECK_STR(json_string_value(json_array_get(pools, 0)), id0);
    json_decref(o);
    CHECK_EQ(poolTotal(h), 8);
    CHECK_EQ(ctl(&o, cl, "schedule", "import", fm, "--dry-run", NULL), 1);
    CHECK_STR(jerr(o, NULL), "SCHEDULE_CONFLICT");
    json_decref(o);
    /* check lists them too, as a report (exit 0). */
    CHECK_EQ(ctl(&o, cl, "schedule", "check", fm, NULL), 0);
    CHECK(json_is_false(jobj(o, "importable")));
    CHECK_EQ(jint(o, "conflicts"), 6);
    CHECK_EQ(jint(o, "created"), 2);
    ts = jobj(o, "templates");
    CHECK_EQ(json_array_size(jobj(json_array_get(ts, 1), "conflicts")), 6);
    json_decref(o);

    /* A hospital without rules: refused, the template named. */
    char *t5 = tplJson(uniq("nohosp"), "cardio", "", "normal", days1, 2);
    CHECK_EQ(ctl(&o, cl, "schedule", "import", file("t5.json", t5), NULL), 1);
    CHECK_STR(jerr(o, "template [0]"), "UNKNOWN_HOSPITAL");
    CHECK_EQ(jint(jobj(o, "error"), "template"), 0);
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "schedule", "check", file("t5.json", t5), NULL), 1);
    CHECK_STR(jerr(o, NULL), "UNKNOWN_HOSPITAL");
    json_decref(o);

    /* Human output. */
    struct run rr;
    const char *args[] = {"schedule", "import", f1, NULL};
    runv(&rr, NULL, cl, args);
    CHECK_EQ(rr.exit, 0);
    CHECK(strstr(rr.out, "unchanged: 6\n") != NULL);
    free(rr.out);
    const char *args2[] = {"schedule", "import", fm, NULL};
    runv(&rr, NULL, cl, args2);
    CHECK_EQ(rr.exit, 1);
    CHECK(strstr(rr.err, "SCHEDULE_CONFLICT") != NULL);
    CHECK(strstr(rr.err, id0) != NULL);
    free(rr.out);

    free(days3);
    free(days1);
    free(days_new);
    free(t1);
    free(t2);
    free(t3);
    free(t4);
    free(t5);
    free(both);
    free(mixed);
    LEAK_CHECK();
}

/* A template file that must be refused before anything is sent. */
static void badTemplate(const char *cl, const char *json, const char *code,
                        const char *field)
{
    json_t *o;
    CHECK_EQ(ctl(&o, cl, "schedule", "import", file("bad.json", json), NULL),
             3);
    CHECK_STR(jerr(o, field), code);
    if (field != NULL) {
        CHECK_STR(jfield(o), field);
    }
    json_decref(o);
}

static void test_schedule_errors(void)
{
    scratch();
    const char *cl = cluster();
    const char *h = uniq("hx");
    setRules(h);
    char *days = daysJson(10, 2);
    char *good = tplJson(h, "derm", "wang", "expert", days, 4);
    json_t *o;
    char *s;
#define VARIANT(from, to)                                                      \
    do {                                                                       \
        const char *at_ = strstr(good, (from));                                \
        CHECK(at_ != NULL);                                                    \
        free(s);                                                               \
        CHECK(asprintf(&s, "%.*s%s%s", (int)(at_ - good), good, (to),          \
                       at_ + strlen(from)) > 0);                               \
    } while (0)
    s = NULL;
    VARIANT("\"fee_cents\"", "\"fees\"");
    badTemplate(cl, s, "MALFORMED", "fees");
    VARIANT("\"days\": [", "\"days\": [\"2026-02-30\", ");
    badTemplate(cl, s, "INVALID_ARGUMENT", "days[0]");
    VARIANT("\"days\": [", "\"days\": [\"31/12/2026\", ");
    badTemplate(cl, s, "INVALID_ARGUMENT", "days[0]");
    /* Days must increase: the first one again at the end. */
    char *dup_day;
    CHECK(asprintf(&dup_day, "\"days\": [%s, \"%s\"]", days, bjDay(10)) > 0);
    char *days_key;
    CHECK(asprintf(&days_key, "\"days\": [%s]", days) > 0);
    VARIANT(days_key, dup_day);
    badTemplate(cl, s, "INVALID_ARGUMENT", "days[2]");
    VARIANT(days_key, "\"days\": []");
    badTemplate(cl, s, "INVALID_ARGUMENT", "days");
    VARIANT(days_key, "\"days\": \"today\"");
    badTemplate(cl, s, "MALFORMED", "days");
    VARIANT("\"days\":", "\"ddays\":");
    badTemplate(cl, s, "MALFORMED", "ddays");
    VARIANT("\"end\": \"08:30\"", "\"end\": \"08:45\"");
    badTemplate(cl, s, "INVALID_ARGUMENT", "segments[1].start");
    VARIANT("\"end\": \"08:30\"", "\"end\": \"07:30\"");
    badTemplate(cl, s, "INVALID_ARGUMENT", "segments[0].end");
    VARIANT("\"capacity\": 4}]", "\"capacity\": 0}]");
    badTemplate(cl, s, "INVALID_ARGUMENT", "segments[1].capacity");
    VARIANT("\"capacity\": 4}]", "\"capacity\": 4, \"capacity\": 5}]");
    badTemplate(cl, s, "MALFORMED", NULL); /* a duplicate key */
    VARIANT("\"permille\": 500", "\"permille\": 800");
    badTemplate(cl, s, "INVALID_ARGUMENT", "shares");
    VARIANT("\"kind\": \"expert\"", "\"kind\": \"vip\"");
    badTemplate(cl, s, "INVALID_ARGUMENT", "kind");
    VARIANT("\"department\": \"derm\"", "\"department\": \"皮肤科\"");
    badTemplate(cl, s, "INVALID_ARGUMENT", "department");
    VARIANT("\"hospital\"", "\"hospital_id\"");
    badTemplate(cl, s, "MALFORMED", "hospital_id");
    /* The second template of an array is named with its index. */
    free(s);
    CHECK(asprintf(&s, "[%s, {\"id_prefix\": \"x\"}]", good) > 0);
    badTemplate(cl, s, "MALFORMED", "[1].hospital");
    badTemplate(cl, "[]", "INVALID_ARGUMENT", NULL);
    badTemplate(cl, "42", "MALFORMED", NULL);
    badTemplate(cl, "{\"id_prefix\": ", "MALFORMED", NULL);
    /* Command line: exit 2. */
    CHECK_EQ(ctl(&o, cl, "schedule", "import", NULL), 2);
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "schedule", "check", file("g.json", good), "--dry-run",
                 NULL),
             2);
    CHECK_STR(jerr(o, "does not take --dry-run"), "USAGE");
    json_decref(o);
    free(s);
    CHECK(asprintf(&s, "[%s, %s]", good, good) > 0);
    CHECK_EQ(ctl(&o, cl, "schedule", "import", file("two.json", s),
                 "--idem-key",
                 "k123456789012345678901234567890123456789012345678901234567890"
                 "12",
                 NULL),
             2);
    CHECK_STR(jerr(o, "--idem-key"), "USAGE");
    json_decref(o);
    /* Nothing of it reached the ledger. */
    CHECK_EQ(poolTotal(h), 0);
    free(s);
    free(dup_day);
    free(days_key);
    free(good);
    free(days);
    LEAK_CHECK();
#undef VARIANT
}

/* ---- pool query --------------------------------------------------------- */

static void test_pool_query(void)
{
    scratch();
    const char *cl = cluster();
    const char *h = uniq("hq");
    setRules(h);
    char *d4 = daysJson(10, 4), *d2 = daysJson(11, 2);
    char *t1 = tplJson(h, "cardio", "zhang", "expert", d4, 5);
    char *t2 = tplJson(h, "derm", "", "normal", d2, 5);
    char *both;
    CHECK(asprintf(&both, "[%s, %s]", t1, t2) > 0);
    json_t *o;
    CHECK_EQ(ctl(&o, cl, "schedule", "import", file("q.json", both), NULL), 0);
    CHECK_EQ(jint(o, "created"), 12);
    json_decref(o);

    CHECK_EQ(ctl(&o, cl, "pools", "query", h, NULL), 0);
    CHECK_STR(jstr(o, "hospital"), h);
    CHECK_EQ(jint(o, "total"), 12);
    CHECK_EQ(json_array_size(jobj(o, "pools")), 12);
    CHECK(json_is_null(jobj(o, "next_after")));
    const json_t *p0 = json_array_get(jobj(o, "pools"), 0);
    const json_t *pl = jobj(p0, "schedule");
    CHECK_STR(jstr(pl, "hospital"), h);
    CHECK_STR(jstr(pl, "visit_date"), bjDay(10));
    CHECK_STR(jstr(pl, "campus"), "east");
    CHECK_STR(json_string_value(json_array_get(jobj(pl, "remainder_allow"), 0)),
              "window");
    /* Flow-back at 15:00 Beijing time (07:00 UTC) the day before. */
    uint32_t today = slotc_local_day(tclock_wall_ms(), BJ_OFFSET_MIN);
    CHECK_EQ(jint(pl, "flow_back_at_ms"),
             (json_int_t)((today + 9) * 86400000ull + 7 * 3600000ull));
    CHECK(json_is_false(jobj(pl, "flowed_back")));
    json_decref(o);
    /* Filters. */
    CHECK_EQ(ctl(&o, cl, "pool", "query", h, "--department", "derm", NULL), 0);
    CHECK_EQ(jint(o, "total"), 4);
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "pool", "query", h, "--doctor", "zhang", NULL), 0);
    CHECK_EQ(jint(o, "total"), 8);
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "pool", "query", h, "--kind", "normal", NULL), 0);
    CHECK_EQ(jint(o, "total"), 4);
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "pool", "query", h, "--from", bjDay(11), "--to",
                 bjDay(11), NULL),
             0);
    CHECK_EQ(jint(o, "total"), 4);
    json_decref(o);
    /* Pages: --limit and next_after, then --all with small pages. */
    CHECK_EQ(ctl(&o, cl, "pool", "query", h, "--limit", "5", NULL), 0);
    CHECK_EQ(json_array_size(jobj(o, "pools")), 5);
    char after[80];
    snprintf(after, sizeof after, "%s", jstr(o, "next_after"));
    CHECK_STR(after, jstr(json_array_get(jobj(o, "pools"), 4), "pool"));
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "--stale", "pool", "query", h, "--limit", "5",
                 "--after", after, NULL),
             0);
    CHECK_EQ(json_array_size(jobj(o, "pools")), 5);
    CHECK(json_is_true(jobj(o, "stale")));
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "pool", "query", h, "--limit", "5", "--all", NULL), 0);
    CHECK_EQ(json_array_size(jobj(o, "pools")), 12);
    CHECK_EQ(jint(o, "pages"), 3);
    CHECK(json_is_null(jobj(o, "next_after")));
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "pool", "query", h, "--limit", "4", "--all", NULL), 0);
    CHECK_EQ(json_array_size(jobj(o, "pools")), 12);
    CHECK_EQ(jint(o, "pages"), 3); /* a full last page ends it: total */
    json_decref(o);
    /* Errors. */
    CHECK_EQ(ctl(&o, cl, "pool", "query", uniq("nohosp"), NULL), 1);
    CHECK_STR(jerr(o, NULL), "UNKNOWN_HOSPITAL");
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "pool", "query", h, "--after", "no-such-pool", NULL),
             1);
    CHECK_STR(jerr(o, NULL), "UNKNOWN_POOL");
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "pool", "query", h, "--from", "2026-13-01", NULL), 2);
    CHECK_STR(jerr(o, "--from"), "USAGE");
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "pool", "query", h, "--kind", "vip", NULL), 2);
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "pool", "query", h, "--limit", "1001", NULL), 2);
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "pool", "list", "--all", NULL), 2);
    CHECK_STR(jerr(o, "does not take --all"), "USAGE");
    json_decref(o);
    free(d4);
    free(d2);
    free(t1);
    free(t2);
    free(both);
    LEAK_CHECK();
}

/* ---- scheduled pools, holds, confirms, claim fields --------------------- */

static void test_pool_place_and_claims(void)
{
    scratch();
    const char *cl = cluster();
    const char *h = uniq("hp");
    setRules(h);
    json_t *o;
    /* A pay-at-visit pool of the hospital on day +10, 08:00-09:00 local
     * (UTC 00:00-01:00), 6 slots: 10 minutes per visit number. */
    char pool[80], online[80], seg0[32], seg1[32];
    snprintf(pool, sizeof pool, "%s/visit", h);
    snprintf(online, sizeof online, "%s/online", h);
    uint64_t day0_utc =
        (uint64_t)(slotc_local_day(tclock_wall_ms(), BJ_OFFSET_MIN) + 10) *
        86400000ull;
    snprintf(seg0, sizeof seg0, "%llu", (unsigned long long)day0_utc);
    snprintf(seg1, sizeof seg1, "%llu",
             (unsigned long long)(day0_utc + 3600000));
    CHECK_EQ(ctl(&o, cl, "pool", "create", pool, "--capacity", "6", "--kind",
                 "top_expert", "--seg-start-ms", seg0, "--seg-end-ms", seg1,
                 "--share", "online=2", "--hospital", h, "--campus", "west",
                 "--department", "derm", "--doctor", "wang", "--visit-date",
                 bjDay(10), "--pay-mode", "at_visit", "--eligible", "online",
                 "--eligible", "window", "--remainder-allow", "window", NULL),
             0);
    const json_t *pl = jobj(o, "schedule");
    CHECK_STR(jstr(pl, "pay_mode"), "at_visit");
    CHECK_STR(jstr(pl, "visit_date"), bjDay(10));
    CHECK_EQ(json_array_size(jobj(pl, "eligible")), 2);
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "pool", "show", pool, NULL), 0);
    CHECK_STR(jstr(o, "kind"), "top_expert");
    pl = jobj(o, "schedule");
    CHECK_STR(jstr(pl, "hospital"), h);
    CHECK_STR(jstr(pl, "campus"), "west");
    CHECK_STR(jstr(pl, "doctor"), "wang");
    CHECK_STR(jstr(pl, "pay_mode"), "at_visit");
    CHECK_STR(json_string_value(json_array_get(jobj(pl, "eligible"), 1)),
              "window");
    CHECK(json_is_false(jobj(pl, "flowed_back")));
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "pool", "create", online, "--capacity", "2",
                 "--seg-start-ms", seg0, "--seg-end-ms", seg1, "--hospital", h,
                 "--department", "derm", "--visit-date", bjDay(10), NULL),
             0);
    json_decref(o);

    /* Eligibility: 114 may not book it. A hold without --ttl-ms gets the
     * hospital's payment window (300000). */
    CHECK_EQ(
        ctl(&o, cl, "hold", pool, "patient-s-114", "--channel", "114", NULL),
        1);
    CHECK_STR(jerr(o, NULL), "CHANNEL_NOT_ALLOWED");
    json_decref(o);
    CHECK_EQ(
        ctl(&o, cl, "hold", pool, "patient-s-app", "--channel", "app", NULL),
        0);
    CHECK_EQ(jint(o, "ttl_ms"), 0);
    CHECK_EQ(jint(o, "deadline_ms") - jint(o, "ledger_time_ms"), 300000);
    char hid[32];
    snprintf(hid, sizeof hid, "%lld", (long long)jint(o, "hold"));
    json_decref(o);
    /* An explicit ttl above the hospital's maximum: refused. */
    CHECK_EQ(ctl(&o, cl, "hold", pool, "patient-s-win", "--channel", "window",
                 "--ttl-ms", "900000", NULL),
             1);
    CHECK_STR(jerr(o, NULL), "TTL_OUT_OF_RANGE");
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "show", "hold", hid, NULL), 0);
    CHECK_STR(jstr(o, "state"), "held");
    CHECK_STR(jstr(o, "bucket"), "online");
    CHECK(json_is_false(jobj(o, "paid")));
    CHECK_EQ(jint(o, "visit_start_ms"), 0);
    json_decref(o);
    /* Pay at the visit: confirmed without a reference, unpaid; its visit
     * number 1 stands for 08:00-08:10. */
    CHECK_EQ(ctl(&o, cl, "confirm", hid, NULL), 0);
    CHECK_EQ(jint(o, "visit_no"), 1);
    CHECK(json_is_false(jobj(o, "paid")));
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "show", "booking", hid, NULL), 0);
    CHECK_STR(jstr(o, "state"), "booked");
    CHECK(json_is_false(jobj(o, "paid")));
    CHECK_STR(jstr(o, "payment_ref"), "");
    CHECK_EQ(jint(o, "visit_start_ms"), (json_int_t)day0_utc);
    CHECK_EQ(jint(o, "visit_end_ms"), (json_int_t)day0_utc + 600000);
    json_decref(o);
    /* Pay online (the default): a confirm without a reference is refused,
     * with one it is paid. */
    CHECK_EQ(ctl(&o, cl, "hold", online, "patient-o-win", "--channel", "window",
                 NULL),
             0);
    snprintf(hid, sizeof hid, "%lld", (long long)jint(o, "hold"));
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "confirm", hid, NULL), 1);
    CHECK_STR(jerr(o, NULL), "PAYMENT_REQUIRED");
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "confirm", hid, "pay-o-1", NULL), 0);
    CHECK(json_is_true(jobj(o, "paid")));
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "show", "booking", hid, NULL), 0);
    CHECK(json_is_true(jobj(o, "paid")));
    CHECK_STR(jstr(o, "bucket"), "");
    CHECK_EQ(jint(o, "visit_end_ms") - jint(o, "visit_start_ms"), 1800000);
    json_decref(o);
    /* A free-standing pool: no place; the old default ttl. */
    char free_pool[80];
    snprintf(free_pool, sizeof free_pool, "%s-free", h);
    CHECK_EQ(ctl(&o, cl, "pool", "create", free_pool, "--capacity", "1", NULL),
             0);
    CHECK(json_is_null(jobj(o, "schedule")));
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "pool", "show", free_pool, NULL), 0);
    CHECK(json_is_null(jobj(o, "schedule")));
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "hold", free_pool, "patient-f-1", NULL), 0);
    CHECK_EQ(jint(o, "ttl_ms"), 600000);
    json_decref(o);
    /* Command-line errors. */
    CHECK_EQ(ctl(&o, cl, "pool", "create", "x", "--capacity", "1", "--hospital",
                 h, NULL),
             2);
    CHECK_STR(jerr(o, "--visit-date"), "USAGE");
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "pool", "create", "x", "--capacity", "1", "--hospital",
                 h, "--department", "d", "--visit-date", "2026-02-30", NULL),
             2);
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "pool", "create", "x", "--capacity", "1", "--hospital",
                 h, "--department", "d", "--visit-date", bjDay(10),
                 "--pay-mode", "later", NULL),
             2);
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "pool", "show", pool, "--hospital", h, NULL), 2);
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "confirm", "1", "ref", "extra", NULL), 2);
    json_decref(o);
    /* A scheduled pool without a segment: the library refuses it. */
    CHECK_EQ(ctl(&o, cl, "pool", "create", "x-noseg", "--capacity", "1",
                 "--hospital", h, "--department", "d", "--visit-date",
                 bjDay(10), NULL),
             3);
    json_decref(o);
    LEAK_CHECK();
}

/* ---- the `make cluster` demo loader ------------------------------------- */

static int runLoader(char *out, size_t cap)
{
    char loader[700], dir[300], cmd[2000];
    snprintf(loader, sizeof loader, "%s/node/demo/load.sh", g_root);
    snprintf(dir, sizeof dir, "%s/demo", g_dir);
    snprintf(cmd, sizeof cmd,
             "'%s' --cluster '%s' --slotctl '%s' --dir '%s' --today %s 2>&1",
             loader, cluster(), g_slotctl, dir, bjDay(0));
    FILE *p = popen(cmd, "r");
    CHECK(p != NULL);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    fprintf(stderr, "%s", out);
    CHECK(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static json_int_t queryTotal(const char *opt, const char *val)
{
    json_t *o;
    CHECK_EQ(ctl(&o, cluster(), "pool", "query", "pumch", "--limit", "1", opt,
                 val, NULL),
             0);
    json_int_t n = jint(o, "total");
    json_decref(o);
    return n;
}

static void test_demo_loader(void)
{
    scratch();
    static char out[1 << 16];
    CHECK_EQ(runLoader(out, sizeof out), 0);
    CHECK(strstr(out, "832 pools in 12 templates: 832 created") != NULL);
    /* The schedule as node/demo/schedule.sh defines it: 4 departments of
     * 2 doctors (a morning of 7 or an afternoon of 6 half-hour segments)
     * and a normal clinic (both), 8 days. */
    CHECK_EQ(queryTotal("--kind", "normal"), 4 * 13 * 8);
    CHECK_EQ(queryTotal("--kind", "expert"), (7 + 6 + 6 + 7) * 8);
    CHECK_EQ(queryTotal("--kind", "top_expert"), (7 + 7) * 8);
    CHECK_EQ(queryTotal("--kind", "special"), (6 + 6) * 8);
    static const char *const deps[] = {"cardiology", "dermatology",
                                       "pediatrics", "ophthalmology"};
    for (int i = 0; i < 4; i++) {
        CHECK_EQ(queryTotal("--department", deps[i]), (13 + 7 + 6) * 8);
    }
    CHECK_EQ(queryTotal("--from", bjDay(7)), 4 * 26);
    CHECK_EQ(queryTotal("--from", bjDay(8)), 0);
    json_t *o;
    CHECK_EQ(ctl(&o, cluster(), "pools", "query", "pumch", "--all", NULL), 0);
    CHECK_EQ(jint(o, "total"), 832);
    CHECK_EQ(json_array_size(jobj(o, "pools")), 832);
    json_decref(o);

    /* The rules: the hospital's and ophthalmology's own horizon. */
    CHECK_EQ(ctl(&o, cluster(), "rules", "get", "pumch", NULL), 0);
    const json_t *r = jobj(o, "rules");
    CHECK_STR(jstr(r, "utc_offset"), "+08:00");
    CHECK_STR(jstr(r, "release_time"), "09:00");
    CHECK_STR(jstr(r, "cutoff_time"), "15:00");
    CHECK_EQ(jint(r, "horizon_days"), 7);
    CHECK_EQ(jint(r, "pay_ttl_ms"), 300000);
    /* The visit day: check-in from an hour before, no-shows swept. */
    CHECK_EQ(jint(jobj(r, "visit"), "checkin_before_ms"), 3600000);
    CHECK_EQ(jint(jobj(r, "visit"), "checkin_late_ms"), 1800000);
    CHECK(json_is_true(jobj(jobj(r, "visit"), "noshow_sweep")));
    json_decref(o);
    CHECK_EQ(ctl(&o, cluster(), "rules", "get", "pumch", "--department",
                 "ophthalmology", NULL),
             0);
    CHECK(json_is_false(jobj(o, "inherited")));
    CHECK_EQ(jint(jobj(o, "rules"), "horizon_days"), 3);
    json_decref(o);

    /* A hold beyond the horizon is refused: ophthalmology, 5 days ahead,
     * through the app (a day later if midnight passes meanwhile: still 4
     * ahead of a 3-day horizon). */
    char pool[100];
    snprintf(pool, sizeof pool, "pumch/xidan/ophthalmology/sun-li/%s/0800",
             bjYmd(5));
    CHECK_EQ(ctl(&o, cluster(), "hold", pool, "patient-demo-1", "--channel",
                 "app", NULL),
             1);
    CHECK_STR(jerr(o, NULL), "OUTSIDE_HORIZON");
    json_decref(o);
    /* Within it (2 days ahead, before any cut-off), the app books. */
    snprintf(pool, sizeof pool, "pumch/dongdan/cardiology/li-na/%s/1400",
             bjYmd(2));
    CHECK_EQ(ctl(&o, cluster(), "hold", pool, "patient-demo-2", "--channel",
                 "app", NULL),
             0);
    CHECK_EQ(jint(o, "deadline_ms") - jint(o, "ledger_time_ms"), 300000);
    json_decref(o);

    /* Loading again changes nothing: same versions, pools unchanged. */
    CHECK_EQ(runLoader(out, sizeof out), 0);
    CHECK(strstr(out, "832 pools in 12 templates: 0 created, 832 already") !=
          NULL);
    CHECK_EQ(ctl(&o, cluster(), "rules", "log", "pumch", NULL), 0);
    CHECK_EQ(json_array_size(jobj(o, "changes")), 2);
    json_decref(o);
    LEAK_CHECK();
}

/* ---- patients, accounts and staff (protocol 3) ---------------------------- */

/* The RULES fixture's channels with patient rules: one normal visit per
 * day, a blacklist at the second violation for 7 days, the online
 * channels booking for accounts only. */
static const char PATIENT_RULES[] =
    "{\"utc_offset\": \"+08:00\",\n"
    " \"groups\": [{\"name\": \"online\", \"channels\": [\"app\", "
    "\"wechat\"]}],\n"
    " \"quota\": {\"day_normal\": 1, \"month_expert\": 4},\n"
    " \"cancel\": {\"days_before\": 1, \"time\": \"15:00\", "
    "\"limit_per_day\": 3},\n"
    " \"blacklist\": {\"threshold\": 2, \"days\": 7, \"exempt\": "
    "\"window\"},\n"
    " \"cooldown_ms\": [0, 0], \"account_channels\": \"online\"}\n";

static void test_patient_commands(void)
{
    scratch();
    const char *cl = cluster();
    char h[SLOTC_NAME_MAX + 1], acc[SLOTC_NAME_MAX + 1], p[SLOTC_NAME_MAX + 1];
    snprintf(h, sizeof h, "%s", uniq("hpat"));
    snprintf(acc, sizeof acc, "%s", uniq("acct"));
    snprintf(p, sizeof p, "%s", uniq("patient"));
    json_t *o;
    CHECK_EQ(ctl(&o, cl, "rules", "set", h, file("p.json", PATIENT_RULES),
                 "--operator", "admin@test", "--reason", "患者规则", NULL),
             0);
    const json_t *r = jobj(o, "rules");
    CHECK_EQ(jint(jobj(r, "quota"), "day_normal"), 1);
    CHECK_EQ(jint(jobj(r, "quota"), "month_expert"), 4);
    CHECK_EQ(jint(jobj(r, "quota"), "dept_expert"), 0);
    CHECK_STR(jstr(jobj(r, "cancel"), "time"), "15:00");
    CHECK(json_is_false(jobj(jobj(r, "cancel"), "same_day")));
    CHECK_EQ(jint(jobj(r, "blacklist"), "threshold"), 2);
    CHECK_EQ(jint(jobj(r, "blacklist"), "window_days"), 30); /* default */
    CHECK_STR(jstr(jobj(r, "blacklist"), "exempt"), "window");
    CHECK_EQ(json_array_size(jobj(r, "cooldown_ms")), 2);
    CHECK_STR(jstr(r, "account_channels"), "online");
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "rules", "get", h, NULL), 0);
    CHECK_EQ(jint(jobj(jobj(o, "rules"), "blacklist"), "days"), 7);
    json_decref(o);
    /* Errors name the field. */
    CHECK_EQ(ctlIn(&o, "{\"quota\": {\"day_normal\": 300}}", cl, "rules", "set",
                   h, "-", "--operator", "a", "--reason", "b", NULL),
             3);
    CHECK_STR(jfield(o), "quota.day_normal");
    json_decref(o);
    CHECK_EQ(ctlIn(&o, "{\"cooldown_ms\": [5, 1]}", cl, "rules", "set", h, "-",
                   "--operator", "a", "--reason", "b", NULL),
             3);
    CHECK_STR(jfield(o), "cooldown_ms");
    json_decref(o);
    CHECK_EQ(ctlIn(&o, "{\"cancel\": {\"when\": 1}}", cl, "rules", "set", h,
                   "-", "--operator", "a", "--reason", "b", NULL),
             3);
    CHECK_STR(jerr(o, NULL), "MALFORMED");
    CHECK_STR(jfield(o), "cancel.when");
    json_decref(o);

    /* Accounts. */
    CHECK_EQ(ctl(&o, cl, "account", "bind", acc, p, NULL), 0);
    CHECK(json_is_true(jobj(o, "ok")));
    CHECK_EQ(jint(o, "bound"), 1);
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "account", "show", acc, NULL), 0);
    CHECK_STR(json_string_value(json_array_get(jobj(o, "patients"), 0)), p);
    CHECK_EQ(json_array_size(jobj(o, "changes")), 0);
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "account", "bind", uniq("acct"), p, NULL), 1);
    CHECK_STR(jerr(o, NULL), "ACCOUNT_LIMIT");
    CHECK_STR(jstr(jobj(o, "error"), "account_rule"), "elsewhere");
    json_decref(o);

    /* Two normal pools on one day: the second is over the day's quota. */
    char pool0[80], pool1[80];
    dermDay3(h, 5, pool0, pool1);
    CHECK_EQ(ctl(&o, cl, "hold", pool0, p, "--channel", "app", NULL), 1);
    CHECK_STR(jerr(o, NULL), "NOT_BOUND");
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "hold", pool0, p, "--channel", "app", "--account", acc,
                 NULL),
             0);
    json_int_t hid = jint(o, "hold");
    CHECK_STR(jstr(o, "account"), acc);
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "hold", pool1, p, "--channel", "app", "--account", acc,
                 NULL),
             1);
    CHECK_STR(jerr(o, NULL), "QUOTA_EXCEEDED");
    CHECK_STR(jstr(jobj(o, "error"), "quota"), "day_normal");
    CHECK_STR(jstr(jobj(o, "error"), "window_date"), bjDay(3));
    json_decref(o);

    /* Ownership: another channel only for the patient's account. */
    char id[32];
    snprintf(id, sizeof id, "%lld", (long long)hid);
    CHECK_EQ(ctl(&o, cl, "confirm", id, "pay-1", "--as", "wechat", NULL), 1);
    CHECK_STR(jerr(o, NULL), "NOT_OWNER");
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "confirm", id, "pay-1", "--as", "wechat", "--account",
                 acc, NULL),
             0);
    CHECK_EQ(jint(o, "booking"), hid);
    json_decref(o);

    /* Violations: the second blacklists. */
    CHECK_EQ(ctl(&o, cl, "violation", "add", h, p, "--kind", "no_show",
                 "--operator", "nurse.li", "--reason", "爽约", NULL),
             0);
    CHECK_EQ(jint(o, "violations"), 1);
    CHECK_EQ(jint(o, "blacklisted_until_ms"), 0);
    CHECK_STR(jstr(o, "kind"), "no_show");
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "violation", "add", h, p, "--kind", "other",
                 "--operator", "nurse.li", "--reason", "fake id", NULL),
             0);
    json_int_t until = jint(o, "blacklisted_until_ms");
    CHECK(until > (json_int_t)tclock_wall_ms());
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "patient", "info", p, NULL), 0);
    CHECK_STR(jstr(o, "patient"), p);
    CHECK_STR(jstr(o, "account"), acc);
    CHECK_EQ(json_array_size(jobj(o, "claims")), 1);
    CHECK_STR(jstr(json_array_get(jobj(o, "claims"), 0), "state"), "booked");
    CHECK_EQ(json_array_size(jobj(o, "violations")), 2);
    CHECK_STR(jstr(json_array_get(jobj(o, "violations"), 1), "kind"), "other");
    const json_t *st = json_array_get(jobj(o, "standings"), 0);
    CHECK_STR(jstr(st, "hospital"), h);
    CHECK(json_is_true(jobj(st, "blacklisted")));
    CHECK_EQ(jint(st, "blacklisted_until_ms"), until);
    CHECK(jint(o, "applied_index") > 0);
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "hold", pool1, uniq("patient"), "--channel", "window",
                 NULL),
             0);
    json_decref(o);

    /* Exception and unblock, and the staff log of all four. */
    CHECK_EQ(ctl(&o, cl, "exception", h, p, "--operator", "dr.wang", "--reason",
                 "复诊", NULL),
             0);
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "unblock", h, p, "--operator", "admin", "--reason",
                 "appeal", "--idem-key", "unblock-k1", NULL),
             0);
    CHECK(json_is_true(jobj(o, "lifted")));
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "unblock", h, p, "--operator", "admin", "--reason",
                 "appeal", "--idem-key", "unblock-k1", NULL),
             0);
    CHECK(json_is_true(jobj(o, "lifted"))); /* the original answer */
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "patient", "info", p, NULL), 0);
    const json_t *sts = jobj(o, "standings");
    for (size_t i = 0; i < json_array_size(sts); i++) {
        CHECK(json_is_false(jobj(json_array_get(sts, i), "blacklisted")));
    }
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "staff-log", "--limit", "1000", NULL), 0);
    const json_t *ent = jobj(o, "entries");
    const char *ops[8];
    size_t n = 0;
    for (size_t i = 0; i < json_array_size(ent); i++) {
        const json_t *e = json_array_get(ent, i);
        if (strcmp(jstr(e, "patient"), p) == 0 && n < 8) {
            ops[n++] = jstr(e, "op");
            CHECK_STR(jstr(e, "hospital"), h);
        }
    }
    CHECK_EQ(n, 4);
    CHECK_STR(ops[0], "violation");
    CHECK_STR(ops[2], "exception");
    CHECK_STR(ops[3], "unblock");
    json_decref(o);

    /* Pools show their cooling slots; a channel's cancel. */
    CHECK_EQ(ctl(&o, cl, "pool", "show", pool0, NULL), 0);
    CHECK_EQ(jint(o, "cooling"), 0);
    CHECK_EQ(jint(jobj(o, "remainder"), "cooling"), 0);
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "cancel", id, "--as", "app", NULL), 0);
    CHECK_EQ(jint(o, "cancelled"), hid);
    json_decref(o);

    /* The config's account and patient limits: sent only when one
     * changes (a change of the others keeps them). */
    CHECK_EQ(ctl(&o, cl, "config", "--patient-active-max", "100", NULL), 0);
    CHECK_EQ(jint(o, "patient_active_max"), 100);
    CHECK_EQ(jint(o, "account_patients_max"), 4);
    json_int_t retain = jint(o, "retain_max");
    json_decref(o);
    char rv[32];
    snprintf(rv, sizeof rv, "%lld", (long long)retain - 1);
    CHECK_EQ(ctl(&o, cl, "config", "--retain-max", rv, NULL), 0);
    CHECK_EQ(jint(o, "patient_active_max"), 100);
    CHECK_EQ(jint(o, "retain_max"), retain - 1);
    json_decref(o);
    snprintf(rv, sizeof rv, "%lld", (long long)retain);
    CHECK_EQ(ctl(&o, cl, "config", "--patient-active-max", "0", "--retain-max",
                 rv, NULL),
             0);
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "config", NULL), 0);
    CHECK_EQ(jint(o, "patient_active_max"), 0);
    CHECK_EQ(jint(o, "retain_max"), retain);
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "config", "--account-patients-max", "9", NULL), 3);
    CHECK_STR(jerr(o, NULL), "INVALID_ARGUMENT");
    json_decref(o);

    /* Usage errors. */
    CHECK_EQ(ctl(&o, cl, "violation", "add", h, p, "--kind", "unpaid",
                 "--operator", "a", "--reason", "b", NULL),
             2);
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "unblock", h, p, NULL), 2);
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "cancel", id, "--account", acc, NULL), 2);
    json_decref(o);
    LEAK_CHECK();
}

/* ---- waitlists ------------------------------------------------------------- */

static void test_waitlist_commands(void)
{
    scratch();
    const char *cl = cluster();
    char h[SLOTC_NAME_MAX + 1], p[SLOTC_NAME_MAX + 1], q[SLOTC_NAME_MAX + 1];
    snprintf(h, sizeof h, "%s", uniq("hwait"));
    snprintf(p, sizeof p, "%s", uniq("patient"));
    snprintf(q, sizeof q, "%s", uniq("patient"));
    setRules(h);
    /* Capacity 1: no share, the remainder for the window only. */
    char pool[80], pool0830[80];
    dermDay3(h, 1, pool, pool0830);
    json_t *o;

    CHECK_EQ(
        ctl(&o, cl, "waitlist", "join", pool, q, "--channel", "window", NULL),
        1);
    CHECK_STR(jerr(o, NULL), "NOT_SOLD_OUT");
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "hold", pool, p, "--channel", "window", NULL), 0);
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "waitlist", "join", pool, q, "--channel", "window",
                 "--idem-key", "wl-join-1", NULL),
             0);
    CHECK(json_is_true(jobj(o, "ok")));
    CHECK_EQ(jint(o, "position"), 1);
    CHECK_STR(jstr(o, "channel"), "window");
    json_decref(o);
    /* The same key and command: the original answer. */
    CHECK_EQ(ctl(&o, cl, "waitlist", "join", pool, q, "--channel", "window",
                 "--idem-key", "wl-join-1", NULL),
             0);
    CHECK_EQ(jint(o, "position"), 1);
    json_decref(o);
    CHECK_EQ(
        ctl(&o, cl, "waitlist", "join", pool, q, "--channel", "window", NULL),
        1);
    CHECK_STR(jerr(o, NULL), "ALREADY_WAITING");
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "waitlist", "show", pool, q, NULL), 0);
    CHECK_EQ(jint(o, "position"), 1);
    CHECK_EQ(jint(o, "length"), 1);
    CHECK(jint(o, "applied_index") > 0);
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "pool", "show", pool, NULL), 0);
    CHECK_EQ(jint(o, "waiting"), 1);
    CHECK_EQ(jint(o, "held"), 1);
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "waitlist", "leave", pool, q, "--as", "app", NULL), 1);
    CHECK_STR(jerr(o, NULL), "NOT_OWNER");
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "waitlist", "leave", pool, q, "--as", "window", NULL),
             0);
    CHECK(json_is_true(jobj(o, "ok")));
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "waitlist", "leave", pool, q, NULL), 1);
    CHECK_STR(jerr(o, NULL), "NOT_WAITING");
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "waitlist", "show", pool, q, NULL), 0);
    CHECK_EQ(jint(o, "position"), 0);
    CHECK_EQ(jint(o, "length"), 0);
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "waitlist", "show", "no/such/pool", q, NULL), 1);
    CHECK_STR(jerr(o, NULL), "UNKNOWN_POOL");
    json_decref(o);

    /* Usage errors. */
    CHECK_EQ(ctl(&o, cl, "waitlist", "leave", pool, q, "--account", "acct-0001",
                 NULL),
             2);
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "waitlist", "join", pool, q, "--as", "app", NULL), 2);
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "waitlist", "show", pool, NULL), 2);
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "waitlist", "wait", pool, q, NULL), 2);
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "waitlist", "join", pool, "short", NULL), 3);
    json_decref(o);
    LEAK_CHECK();
}

/* ---- the visit day ------------------------------------------------------- */

/* The rules' "visit" object: read, kept, shown; its errors local. */
static void test_visit_rules(void)
{
    scratch();
    const char *cl = cluster();
    const char *h = uniq("hvis");
    json_t *o;
    CHECK_EQ(ctlIn(&o,
                   "{\"utc_offset\": \"+08:00\", \"visit\": "
                   "{\"checkin_before_ms\": 3600000, \"checkin_late_ms\": "
                   "600000, \"noshow_sweep\": true}}",
                   cl, "rules", "set", h, "-", "--operator", "a", "--reason",
                   "check-in rules", NULL),
             0);
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "rules", "get", h, NULL), 0);
    const json_t *v = jobj(jobj(o, "rules"), "visit");
    CHECK_EQ(jint(v, "checkin_before_ms"), 3600000);
    CHECK_EQ(jint(v, "checkin_late_ms"), 600000);
    CHECK(json_is_true(jobj(v, "noshow_sweep")));
    json_decref(o);
    /* Absent: check-in from 24 h before, no sweep; a field alone keeps
     * the others' defaults. */
    CHECK_EQ(
        ctlIn(
            &o,
            "{\"utc_offset\": \"+08:00\", \"visit\": {\"checkin_late_ms\": 5}}",
            cl, "rules", "set", h, "-", "--operator", "a", "--reason", "b",
            NULL),
        0);
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "rules", "get", h, NULL), 0);
    v = jobj(jobj(o, "rules"), "visit");
    CHECK_EQ(jint(v, "checkin_before_ms"), 86400000);
    CHECK_EQ(jint(v, "checkin_late_ms"), 5);
    CHECK(json_is_false(jobj(v, "noshow_sweep")));
    json_decref(o);

    badRules(cl, h, "{\"visit\": {\"checkin_before_ms\": 86400001}}",
             "INVALID_ARGUMENT", "visit.checkin_before_ms");
    badRules(cl, h, "{\"visit\": {\"checkin_late_ms\": -1}}",
             "INVALID_ARGUMENT", "visit.checkin_late_ms");
    badRules(cl, h, "{\"visit\": {\"checkin_late_ms\": \"30m\"}}", "MALFORMED",
             "visit.checkin_late_ms");
    badRules(cl, h, "{\"visit\": {\"noshow_sweep\": 1}}", "MALFORMED",
             "visit.noshow_sweep");
    badRules(cl, h, "{\"visit\": {\"sweep\": true}}", "MALFORMED",
             "visit.sweep");
    badRules(cl, h, "{\"visit\": [3600000, 0, true]}", "MALFORMED", "visit");
    badRules(cl, h, "{\"visit\": null}", "MALFORMED", "visit");
    /* None of them was sent: still two versions. */
    CHECK_EQ(ctl(&o, cl, "rules", "log", h, NULL), 0);
    CHECK_EQ(json_array_size(jobj(o, "changes")), 2);
    json_decref(o);
    LEAK_CHECK();
}

/* The id of a --json result's integer field, as an argument. */
static const char *idArg(char buf[32], const json_t *o, const char *key)
{
    snprintf(buf, 32, "%lld", (long long)jint(o, key));
    return buf;
}

/* stop, move, checkin, pool-claims, and the claim and staff log fields. */
static void test_visit_commands(void)
{
    scratch();
    const char *cl = cluster();
    char h[SLOTC_NAME_MAX + 1], p[SLOTC_NAME_MAX + 1], q[SLOTC_NAME_MAX + 1];
    snprintf(h, sizeof h, "%s", uniq("hvc"));
    snprintf(p, sizeof p, "%s", uniq("patient"));
    snprintf(q, sizeof q, "%s", uniq("patient"));
    setRules(h);
    char a[80], b[80], hold[32], old[32], moved[32];
    dermDay3(h, 4, a, b);
    json_t *o;
    CHECK_EQ(ctl(&o, cl, "hold", a, p, "--channel", "window", NULL), 0);
    idArg(hold, o, "hold");
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "confirm", hold, "pay-77", NULL), 0);
    idArg(old, o, "booking");
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "move", old, b, NULL), 1);
    CHECK_STR(jerr(o, NULL), "NOT_STOPPED");
    json_decref(o);

    CHECK_EQ(ctl(&o, cl, "stop", a, "--operator", "dr.li", "--reason",
                 "停诊 conference", "--idem-key", "stop-1", NULL),
             0);
    CHECK(json_is_true(jobj(o, "ok")));
    CHECK_STR(jstr(o, "pool"), a);
    CHECK_EQ(jint(o, "bookings"), 1);
    CHECK_EQ(jint(o, "holds"), 0);
    CHECK(jint(o, "index") > 0);
    json_decref(o);
    CHECK_EQ(
        ctl(&o, cl, "stop", a, "--operator", "dr.li", "--reason", "x", NULL),
        1);
    CHECK_STR(jerr(o, NULL), "POOL_STOPPED");
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "pool", "show", a, NULL), 0);
    CHECK_STR(jstr(o, "state"), "stopped");
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "pool-claims", a, NULL), 0);
    CHECK_STR(jstr(o, "pool"), a);
    CHECK_EQ(json_array_size(jobj(o, "claims")), 1);
    const json_t *c = json_array_get(jobj(o, "claims"), 0);
    CHECK_EQ(jint(c, "id"), atoll(old));
    CHECK_STR(jstr(c, "state"), "booked");
    CHECK_STR(jstr(c, "attendance"), "pending");
    CHECK(json_is_true(jobj(c, "affected")));
    CHECK(json_is_false(jobj(c, "refunded")));
    CHECK(json_is_null(jobj(o, "next_after")));
    CHECK(jint(o, "applied_index") > 0);
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "pool-claims", a, "--limit", "1", NULL), 0);
    CHECK_EQ(jint(o, "next_after"), atoll(old));
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "pool-claims", a, "--after", old, NULL), 0);
    CHECK_EQ(json_array_size(jobj(o, "claims")), 0);
    json_decref(o);

    /* The move: a new booking in b, the old one moved. */
    CHECK_EQ(ctl(&o, cl, "move", old, b, "--as", "app", NULL), 1);
    CHECK_STR(jerr(o, NULL), "NOT_OWNER");
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "move", old, b, "--as", "window", NULL), 0);
    CHECK_EQ(jint(o, "moved"), atoll(old));
    CHECK_STR(jstr(o, "pool"), b);
    CHECK(jint(o, "visit_no") >= 1);
    idArg(moved, o, "booking");
    CHECK(strcmp(moved, old) != 0);
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "show", "hold", old, NULL), 0);
    CHECK_STR(jstr(o, "state"), "moved");
    CHECK_EQ(jint(o, "moved_to"), atoll(moved));
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "show", "booking", moved, NULL), 0);
    CHECK_STR(jstr(o, "state"), "booked");
    CHECK_EQ(jint(o, "moved_from"), atoll(old));
    CHECK_STR(jstr(o, "payment_ref"), "pay-77");
    CHECK(json_is_true(jobj(o, "paid")));
    CHECK(json_is_false(jobj(o, "affected")));
    CHECK_EQ(jint(o, "checked_in_at_ms"), 0);
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "move", old, b, NULL), 1);
    CHECK_STR(jerr(o, NULL), "ALREADY_CANCELLED");
    json_decref(o);

    /* Check-in: the patient's own, in the window (day +3: not open). */
    CHECK_EQ(ctl(&o, cl, "checkin", moved, q, NULL), 1);
    CHECK_STR(jerr(o, NULL), "PATIENT_MISMATCH");
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "checkin", moved, p, NULL), 1);
    CHECK_STR(jerr(o, NULL), "CHECKIN_NOT_OPEN");
    json_decref(o);
    /* Today's clinic, its segment around now: open. */
    char now_pool[80], s0[32], s1[32];
    snprintf(now_pool, sizeof now_pool, "%s/now", h);
    uint64_t t = (uint64_t)tclock_wall_ms();
    uint64_t day_start =
        (uint64_t)slotc_local_day(t, BJ_OFFSET_MIN) * 86400000ull -
        (uint64_t)BJ_OFFSET_MIN * 60000ull;
    uint64_t start = t - 1800000 > day_start ? t - 1800000 : day_start;
    snprintf(s0, sizeof s0, "%llu", (unsigned long long)start);
    snprintf(s1, sizeof s1, "%llu", (unsigned long long)(t + 1800000));
    CHECK_EQ(ctl(&o, cl, "pool", "create", now_pool, "--capacity", "3",
                 "--seg-start-ms", s0, "--seg-end-ms", s1, "--hospital", h,
                 "--department", "derm", "--visit-date", bjDay(0), "--pay-mode",
                 "at_visit", NULL),
             0);
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "hold", now_pool, q, "--channel", "app", NULL), 0);
    idArg(hold, o, "hold");
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "confirm", hold, NULL), 0);
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "checkin", hold, q, "--payment-ref", "desk-9", NULL),
             0);
    CHECK_EQ(jint(o, "checked_in"), atoll(hold));
    CHECK_STR(jstr(o, "patient"), q);
    CHECK(jint(o, "visit_no") >= 1);
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "show", "booking", hold, NULL), 0);
    CHECK_STR(jstr(o, "attendance"), "checked_in");
    CHECK(jint(o, "checked_in_at_ms") > 0);
    CHECK_STR(jstr(o, "payment_ref"), "desk-9");
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "checkin", hold, q, NULL), 1);
    CHECK_STR(jerr(o, NULL), "ALREADY_CHECKED_IN");
    json_decref(o);

    /* The staff log names the stopped pool. */
    CHECK_EQ(ctl(&o, cl, "staff-log", "--limit", "1000", NULL), 0);
    int found = 0;
    const json_t *es = jobj(o, "entries");
    for (size_t i = 0; i < json_array_size(es); i++) {
        const json_t *e = json_array_get(es, i);
        if (strcmp(jstr(e, "pool"), a) == 0) {
            found++;
            CHECK_STR(jstr(e, "op"), "pool_stop");
            CHECK_STR(jstr(e, "patient"), "");
            CHECK_STR(jstr(e, "hospital"), h);
            CHECK_STR(jstr(e, "operator"), "dr.li");
            CHECK_STR(jstr(e, "reason"), "停诊 conference");
            CHECK(json_is_null(jobj(e, "kind")));
        }
    }
    CHECK_EQ(found, 1);
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "pool-claims", "nosuch/pool", NULL), 1);
    CHECK_STR(jerr(o, NULL), "UNKNOWN_POOL");
    json_decref(o);

    /* Usage errors (exit 2) and invalid input (exit 3). */
    static const char *const usage[][7] = {
        {"stop", "POOL", NULL},
        {"stop", "POOL", "--operator", "a", NULL},
        {"stop", "--operator", "a", "--reason", "b", NULL},
        {"move", "12", NULL},
        {"move", "x", "POOL", NULL},
        {"move", "12", "POOL", "--account", "acct-0001", NULL},
        {"checkin", "12", NULL},
        {"checkin", "12", "patient-0001", "--as", "app", NULL},
        {"pool-claims", "POOL", "--limit", "0", NULL},
        {"pool-claims", "POOL", "--after", "x", NULL},
        {"pool-claims", NULL},
    };
    for (size_t i = 0; i < sizeof usage / sizeof usage[0]; i++) {
        const char *args[10] = {"--json", "--cluster", cl};
        size_t n = 3;
        for (size_t k = 0; usage[i][k] != NULL; k++) {
            args[n++] = usage[i][k];
        }
        args[n] = NULL;
        struct run r;
        runv(&r, NULL, NULL, args);
        if (r.exit != 2) {
            fprintf(stderr, "usage case %zu: exit %d\n", i, r.exit);
        }
        CHECK_EQ(r.exit, 2);
        CHECK(strstr(r.out, "\"USAGE\"") != NULL);
        free(r.out);
    }
    CHECK_EQ(ctl(&o, cl, "checkin", moved, "short", NULL), 3);
    CHECK_STR(jerr(o, NULL), "INVALID_ARGUMENT");
    json_decref(o);
    CHECK_EQ(ctl(&o, cl, "stop", a, "--operator", "bad operator", "--reason",
                 "b", NULL),
             3);
    json_decref(o);
    LEAK_CHECK();
}

/* ---- help ------------------------------------------------------------------ */

static void test_help(void)
{
    scratch();
    struct run r;
    const char *top[] = {"--help", NULL};
    runv(&r, NULL, NULL, top);
    CHECK_EQ(r.exit, 0);
    CHECK(strstr(r.out, "  rules get|set|log HOSPITAL") != NULL);
    CHECK(strstr(r.out, "  schedule import|check FILE|-") != NULL);
    CHECK(strstr(r.out, "  pool query HOSPITAL") != NULL);
    CHECK(strstr(r.out, "confirm HOLD [PAYMENT_REF]") != NULL);
    CHECK(strstr(r.out, "  patient info PATIENT") != NULL);
    CHECK(strstr(r.out, "  waitlist join|leave|show POOL PATIENT") != NULL);
    CHECK(strstr(r.out, "  stop POOL --operator N --reason T") != NULL);
    CHECK(strstr(r.out, "  move BOOKING POOL") != NULL);
    CHECK(strstr(r.out, "  checkin BOOKING PATIENT") != NULL);
    CHECK(strstr(r.out, "  pool-claims POOL") != NULL);
    CHECK(strstr(r.out, "  reconcile --day DAY") != NULL);
    CHECK(strstr(r.out, "  stats --from DAY --to DAY") != NULL);
    free(r.out);
    static const char *const cmds[][2] = {{"rules", "\"flow_back\""},
                                          {"schedule", "\"segments\""},
                                          {"pools", "pool query HOSPITAL"},
                                          {"confirm", "PAYMENT_REQUIRED"},
                                          {"confirm", "--pay-method"},
                                          {"reconcile", "--archive DIR"},
                                          {"stats", "booking_rate"},
                                          {"hold", "payment window"},
                                          {"account", "account show ACCOUNT"},
                                          {"patient", "patient info PATIENT"},
                                          {"cancel", "CANCEL_CLOSED"},
                                          {"staff-log", "--after SEQ"},
                                          {"waitlist", "NOT_SOLD_OUT"},
                                          {"stop", "POOL_STOPPED"},
                                          {"move", "MOVE_MISMATCH"},
                                          {"checkin", "CHECKIN_NOT_OPEN"},
                                          {"pool-claims", "next_after"},
                                          {"rules", "\"noshow_sweep\""},
                                          {"show", "\"moved_from\""},
                                          {"staff-log", "pool_stop"}};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        const char *args[] = {cmds[i][0], "--help", NULL};
        runv(&r, NULL, NULL, args);
        CHECK_EQ(r.exit, 0);
        if (strstr(r.out, cmds[i][1]) == NULL) {
            fprintf(stderr, "%s --help lacks '%s'\n", cmds[i][0], cmds[i][1]);
        }
        CHECK(strstr(r.out, cmds[i][1]) != NULL);
        free(r.out);
    }
    LEAK_CHECK();
}

/* ---- main --------------------------------------------------------------- */

static const struct check_case cases[] = {
    {"rules_commands", test_rules_commands},
    {"rules_errors", test_rules_errors},
    {"schedule_import", test_schedule_import},
    {"schedule_errors", test_schedule_errors},
    {"pool_query", test_pool_query},
    {"pool_place_and_claims", test_pool_place_and_claims},
    {"demo_loader", test_demo_loader},
    {"patient_commands", test_patient_commands},
    {"waitlist_commands", test_waitlist_commands},
    {"visit_rules", test_visit_rules},
    {"visit_commands", test_visit_commands},
    {"help", test_help},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    char exe[400];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    char *bin = dirname(exe); /* build/<flavour>/bin */
    snprintf(g_slotctl, sizeof g_slotctl, "%s/slotctl", bin);
    snprintf(g_root, sizeof g_root, "%s/../../..", bin);
    if (access(g_slotctl, X_OK) != 0) {
        fprintf(stderr, "warning: %s not found (the tests will fail)\n",
                g_slotctl);
    }
    g_shared_ok = tcluster_start(&g_shared, 3, 0) == 0;
    if (!g_shared_ok) {
        fprintf(stderr, "could not start the shared cluster\n");
    }
    int rc = check_main(cases, argc, argv);
    if (g_shared_ok) {
        CHECK_EQ(tcluster_stop(&g_shared), 0);
    }
    return rc;
}
