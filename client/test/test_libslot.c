/* test_libslot: libslot and slotctl against real local slotd clusters.
 *
 * One 3-node cluster is shared by the tests that leave it healthy (each
 * uses its own pool names); tests that kill nodes start their own. Fake
 * servers (forked processes) stand in for nodes that misbehave. Every test
 * runs in its own process (check.h) and, under AddressSanitizer, ends with
 * a leak check; slotctl's own flavour is run (next to this binary), so its
 * leaks fail the test too.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <uv.h>

#include "slot_proto.h"
#include "check.h"
#include "tclock.h"
#include "libslot.h"
#include "tcluster.h"
#include "thosts.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define LEAK_CHECK() __lsan_do_leak_check()
#else
#define LEAK_CHECK() ((void)0)
#endif

static struct tcluster g_shared;
static bool g_shared_ok;

static const struct tcluster *shared(void)
{
    CHECK(g_shared_ok);
    return &g_shared;
}

static struct slotc_sync *openSync(const char *cluster, uint32_t timeout_ms)
{
    struct slotc_options o;
    struct slotc_sync *s = NULL;
    slotc_options_init(&o);
    o.cluster = cluster;
    o.timeout_ms = timeout_ms;
    CHECK_EQ(slotc_sync_open(&o, &s), SLOT_OK);
    return s;
}

static void spec(struct slotc_pool_spec *sp, const char *pool,
                 uint32_t capacity)
{
    memset(sp, 0, sizeof *sp);
    sp->pool = pool;
    sp->capacity = capacity;
}

/* A unique name per test process, so tests sharing a cluster never meet. */
static const char *uniq(const char *prefix)
{
    static char buf[8][64];
    static int k;
    char *b = buf[k++ % 8];
    snprintf(b, 64, "%s-%d-%lld", prefix, (int)getpid(),
             tclock_mono_ms() % 100000);
    return b;
}

static void createPool(struct slotc_sync *s, const char *pool,
                       uint32_t capacity)
{
    struct slotc_pool_spec sp;
    struct slotc_req req;
    spec(&sp, pool, capacity);
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_pool_create(s, &req, &sp), SLOT_OK);
}

/* ---- fake servers -------------------------------------------------------- */

enum fake_mode {
    FAKE_HALF_FRAME, /* answers half a frame, then closes */
    FAKE_BAD_LENGTH, /* answers a length prefix over the maximum */
    FAKE_GARBAGE,    /* answers a well-framed body that is not a frame */
    FAKE_SILENT,     /* reads and never answers */
    FAKE_BUSY,       /* answers every request with an ERROR frame BUSY */
    FAKE_SCRIPT,     /* answers the k-th request as g_script[k] says */
};

/* FAKE_SCRIPT's answers, in order (the last one repeats): an ERROR frame
 * with code and executed (enum slot_exec; -1: an older node's frame,
 * without the field), or code SLOT_OK: a success (ADMIN_REPLY [OK, nil]).
 * Set before fakeStart; the child has its own copy. */
struct fake_answer {
    int code;
    int executed;
};
static struct fake_answer g_script[4];
static unsigned g_script_n;

struct fake {
    pid_t pid;
    char addr[32];
};

#define FAKE_CONNS 32
#define FAKE_BUF   8192

/* Answers SESSION_OPEN like a node (when sessions is set), so that the
 * client's mutations really go out; then misbehaves on everything else. */
static bool fakeFrame(int fd, const uint8_t *frame, size_t len,
                      enum fake_mode mode, bool sessions)
{
    struct slot_frame f;
    struct slot_cmd cmd;
    static uint64_t next_session = 1000;
    if (sessions && slot_frame_decode(frame + 4, len - 4, &f) == SLOT_OK &&
        f.type == SLOT_FRAME_COMMAND &&
        slot_cmd_decode_buf(f.payload, f.payload_len, &cmd) == SLOT_OK &&
        cmd.op == SLOT_OP_SESSION_OPEN) {
        struct mp_buf b;
        struct slot_result res = {SLOT_OK, next_session++, 0, 1};
        mp_buf_init(&b);
        size_t start = slot_frame_begin(&b, SLOT_FRAME_RESULT, f.tag);
        mp_pack_array(&b, 2);
        slot_result_encode(&b, &res);
        mp_pack_uint(&b, 1);
        slot_frame_end(&b, start);
        ssize_t wr = write(fd, b.data, b.len);
        (void)wr;
        mp_buf_free(&b);
        return true;
    }
    static const uint8_t half[] = {0, 0, 0, 20, 0x94, 1};
    static const uint8_t bad[] = {0xff, 0xff, 0xff, 0xff, 0x94};
    static const uint8_t garbage[] = {0, 0, 0, 3, 0xc1, 0xc1, 0xc1};
    const uint8_t *w = mode == FAKE_HALF_FRAME   ? half
                       : mode == FAKE_BAD_LENGTH ? bad
                                                 : garbage;
    size_t wl = mode == FAKE_HALF_FRAME   ? sizeof half
                : mode == FAKE_BAD_LENGTH ? sizeof bad
                                          : sizeof garbage;
    if (mode == FAKE_SILENT) {
        return true;
    }
    if (mode == FAKE_SCRIPT &&
        slot_frame_decode(frame + 4, len - 4, &f) == SLOT_OK) {
        static unsigned k;
        const struct fake_answer *a =
            &g_script[k < g_script_n ? k : g_script_n - 1];
        k++;
        struct mp_buf b;
        mp_buf_init(&b);
        size_t start;
        if (a->code == SLOT_OK) {
            start = slot_frame_begin(&b, SLOT_FRAME_ADMIN_REPLY, f.tag);
            mp_pack_array(&b, 2);
            mp_pack_uint(&b, SLOT_OK);
            msgpack_pack_nil(&b.pk);
            slot_frame_end(&b, start);
        } else if (a->executed < 0) {
            start = slot_frame_begin(&b, SLOT_FRAME_ERROR, f.tag);
            mp_pack_array(&b, 3);
            mp_pack_uint(&b, (uint64_t)a->code);
            mp_pack_uint(&b, 0);
            mp_pack_cstr(&b, "");
            slot_frame_end(&b, start);
        } else {
            slot_frame_error(&b, f.tag, a->code, 0, "", (uint8_t)a->executed);
        }
        ssize_t wr = write(fd, b.data, b.len);
        (void)wr;
        mp_buf_free(&b);
        return true;
    }
    if (mode == FAKE_BUSY &&
        slot_frame_decode(frame + 4, len - 4, &f) == SLOT_OK) {
        struct mp_buf b;
        mp_buf_init(&b);
        slot_frame_error(&b, f.tag, SLOT_BUSY, 0, "", SLOT_EXEC_NOT);
        ssize_t wr = write(fd, b.data, b.len);
        (void)wr;
        mp_buf_free(&b);
        return true;
    }
    ssize_t wr = write(fd, w, wl);
    (void)wr;
    return mode == FAKE_GARBAGE; /* the others hang up */
}

static void fakeServe(int lfd, enum fake_mode mode, bool sessions)
{
    static struct pollfd fds[FAKE_CONNS];
    static uint8_t in[FAKE_CONNS][FAKE_BUF];
    static size_t in_len[FAKE_CONNS];
    int n = 1;
    fds[0].fd = lfd;
    fds[0].events = POLLIN;
    for (;;) {
        if (poll(fds, (nfds_t)n, 1000) <= 0) {
            continue;
        }
        if ((fds[0].revents & POLLIN) && n < FAKE_CONNS) {
            int c = accept(lfd, NULL, NULL);
            if (c >= 0) {
                fds[n].fd = c;
                fds[n].events = POLLIN;
                fds[n].revents = 0;
                in_len[n] = 0;
                n++;
            }
        }
        for (int i = 1; i < n; i++) {
            if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) {
                continue;
            }
            ssize_t r =
                read(fds[i].fd, in[i] + in_len[i], FAKE_BUF - in_len[i]);
            bool keep = r > 0;
            in_len[i] += r > 0 ? (size_t)r : 0;
            size_t flen;
            while (keep &&
                   slot_frame_peek(in[i], in_len[i], &flen) == SLOT_OK &&
                   flen > 0) {
                keep = fakeFrame(fds[i].fd, in[i], flen, mode, sessions);
                memmove(in[i], in[i] + flen, in_len[i] - flen);
                in_len[i] -= flen;
            }
            if (!keep || in_len[i] == FAKE_BUF) {
                close(fds[i].fd);
                fds[i] = fds[n - 1];
                memcpy(in[i], in[n - 1], in_len[n - 1]);
                in_len[i] = in_len[n - 1];
                n--;
                i--;
            }
        }
    }
}

static void fakeStart(struct fake *f, enum fake_mode mode, bool sessions)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(lfd >= 0);
    CHECK(bind(lfd, (struct sockaddr *)&a, sizeof a) == 0);
    CHECK(getsockname(lfd, (struct sockaddr *)&a, &len) == 0);
    CHECK(listen(lfd, 64) == 0);
    snprintf(f->addr, sizeof f->addr, "127.0.0.1:%d", ntohs(a.sin_port));
    pid_t parent = getpid();
    f->pid = fork();
    CHECK(f->pid >= 0);
    if (f->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) {
            _exit(0);
        }
        signal(SIGPIPE, SIG_IGN);
        fakeServe(lfd, mode, sessions);
        _exit(0);
    }
    close(lfd);
}

static void fakeStop(struct fake *f)
{
    int st;
    kill(f->pid, SIGKILL);
    waitpid(f->pid, &st, 0);
}

/* A port nothing listens on (bound, then released). */
static void deadAddr(char *out, size_t len)
{
    struct sockaddr_in a;
    socklen_t sl = sizeof a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
    CHECK(getsockname(fd, (struct sockaddr *)&a, &sl) == 0);
    close(fd);
    snprintf(out, len, "127.0.0.1:%d", ntohs(a.sin_port));
}

/* ---- library: addresses, validation, unreachable nodes ------------------- */

static void test_open_errors(void)
{
    static const char *const bad[] = {
        "",
        ",",
        "nonsense",
        "1.2.3.4",
        "127.0.0.1:0",
        "127.0.0.1:99999",
        "127.0.0.1:-5",
        "example_com:7101", /* names are fine (example.com:7101), '_' not */
        "-node.example:7101",
        "a..b:7101",
        ":7101",
        "127.0.0.1:7101,",
        "[::1",
        "300.1.1.1:5",
    };
    struct slotc_options o;
    struct slotc_sync *s;
    uv_loop_t loop;
    struct slotc *c;
    uv_loop_init(&loop);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        slotc_options_init(&o);
        o.cluster = bad[i];
        CHECK_EQ(slotc_sync_open(&o, &s), SLOT_INVALID_ARGUMENT);
        CHECK(s == NULL);
        CHECK_EQ(slotc_open(&loop, &o, &c), SLOT_INVALID_ARGUMENT);
    }
    /* The same rules with a message that names the field and the rule. */
    char err[300];
    CHECK_EQ(slotc_cluster_check("slot-a.example:7101,[::1]:7102,10.0.0.1:7",
                                 "--cluster", err, sizeof err),
             SLOT_OK);
    CHECK_EQ(slotc_cluster_check("a.example:7101,b_x:7102", "--cluster", err,
                                 sizeof err),
             SLOT_INVALID_ARGUMENT);
    CHECK_STR(err, "--cluster 'b_x:7102': a host name has only letters, "
                   "digits, '-' and '.'");
    CHECK_EQ(slotc_cluster_check("a.example:70000", "cluster", err, sizeof err),
             SLOT_INVALID_ARGUMENT);
    CHECK(strstr(err, "cluster 'a.example:70000': port") == err);
    CHECK_EQ(slotc_cluster_check("", "cluster", err, sizeof err),
             SLOT_INVALID_ARGUMENT);
    /* Too many nodes. */
    char many[2048] = "";
    for (int i = 0; i < SLOTC_NODES_MAX + 1; i++) {
        size_t l = strlen(many);
        snprintf(many + l, sizeof many - l, "%s127.0.0.1:%d", i ? "," : "",
                 1000 + i);
    }
    slotc_options_init(&o);
    o.cluster = many;
    CHECK_EQ(slotc_sync_open(&o, &s), SLOT_INVALID_ARGUMENT);
    /* Options out of range. */
    slotc_options_init(&o);
    o.cluster = "127.0.0.1:1";
    o.sessions_max = SLOTC_SESSIONS_MAX + 1;
    CHECK_EQ(slotc_sync_open(&o, &s), SLOT_INVALID_ARGUMENT);
    o.cluster = NULL;
    o.sessions_max = 1;
    CHECK_EQ(slotc_sync_open(&o, &s), SLOT_INVALID_ARGUMENT);
    /* Good spellings. */
    slotc_options_init(&o);
    o.cluster = "localhost:7101,[::1]:7102,127.0.0.1:7103";
    CHECK_EQ(slotc_sync_open(&o, &s), SLOT_OK);
    slotc_sync_close(s);
    CHECK_EQ(uv_loop_close(&loop), 0);
    CHECK_STR(slotc_err_name(SLOT_SOLD_OUT), "SOLD_OUT");
    CHECK_STR(slotc_err_name(SLOT_OUTCOME_UNKNOWN), "OUTCOME_UNKNOWN");
    CHECK(slotc_err_name(9999) == NULL);
    CHECK_STR(slotc_op_name(SLOTC_OP_HOLD), "HOLD");
    char r[64], cl[64];
    CHECK_EQ(slotc_address_split("a:1/b:2", r, sizeof r, cl, sizeof cl),
             SLOT_OK);
    CHECK_STR(r, "a:1");
    CHECK_STR(cl, "b:2");
    CHECK_EQ(slotc_address_split("a:1", r, sizeof r, cl, sizeof cl), SLOT_OK);
    CHECK_STR(cl, "");
    LEAK_CHECK();
}

static void test_validation(void)
{
    /* Nothing listens: every check below must refuse before sending. */
    char dead[32];
    deadAddr(dead, sizeof dead);
    struct slotc_sync *s = openSync(dead, 200);
    struct slotc_req req;
    slotc_req_init(&req);
    char long_pool[100];
    memset(long_pool, 'p', sizeof long_pool - 1);
    long_pool[sizeof long_pool - 1] = '\0';
    CHECK_EQ(slotc_sync_hold(s, &req, "bad pool!", "patient01", "app", 1000),
             SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_hold(s, &req, long_pool, "patient01", "app", 1000),
             SLOT_TOO_LARGE);
    CHECK_EQ(slotc_sync_hold(s, &req, "p", "short", "app", 1000),
             SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_hold(s, &req, "p", "patient01", "APP", 1000),
             SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_hold(s, &req, NULL, "patient01", "app", 1000),
             SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_confirm(s, &req, 0, "ref"), SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_confirm(s, &req, 1, "has space"),
             SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_release(s, &req, 0), SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_cancel(s, &req, 0), SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_expire(s, &req, 0), SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_read_pools(s, &req, NULL, 0), SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_read_pools(s, &req, NULL, SLOTC_LIST_MAX + 1),
             SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_read_hold(s, &req, 0), SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_member_add(s, &req, 0, "a:1/b:2"),
             SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_member_add(s, &req, 4, ""), SLOT_INVALID_ARGUMENT);
    CHECK_EQ(slotc_sync_member_assign(s, &req, 4, 7), SLOT_INVALID_ARGUMENT);
    struct slotc_pool_spec sp;
    spec(&sp, "pool", 0);
    CHECK_EQ(slotc_sync_pool_create(s, &req, &sp), SLOT_INVALID_ARGUMENT);
    spec(&sp, "pool", 10);
    sp.n_shares = 2;
    sp.shares[0].channel = "a";
    sp.shares[0].slots = 6;
    sp.shares[1].channel = "b";
    sp.shares[1].slots = 6; /* sum over capacity */
    CHECK_EQ(slotc_sync_pool_create(s, &req, &sp), SLOT_INVALID_ARGUMENT);
    sp.shares[1].channel = "a"; /* duplicate */
    sp.shares[1].slots = 1;
    CHECK_EQ(slotc_sync_pool_create(s, &req, &sp), SLOT_INVALID_ARGUMENT);
    sp.kind = 9;
    CHECK_EQ(slotc_sync_pool_create(s, &req, &sp), SLOT_INVALID_ARGUMENT);
    struct slotc_config cfg = {.hold_ttl_min_ms = 0,
                               .hold_ttl_max_ms = 10,
                               .session_max = 1,
                               .session_idle_ms = 1000};
    CHECK_EQ(slotc_sync_config(s, &req, &cfg), SLOT_INVALID_ARGUMENT);
    req.node = "not an address";
    CHECK_EQ(slotc_sync_status(s, &req), SLOT_INVALID_ARGUMENT);
    slotc_sync_close(s);
    LEAK_CHECK();
}

static void test_unreachable(void)
{
    /* Wrong addresses / all nodes down: UNAVAILABLE at the deadline,
     * not before, not much after; a mutation never sent is not "unknown". */
    char a[32], b[32], list[80];
    deadAddr(a, sizeof a);
    deadAddr(b, sizeof b);
    snprintf(list, sizeof list, "%s,%s", a, b);
    struct slotc_sync *s = openSync(list, 400);
    struct slotc_req req;
    slotc_req_init(&req);
    long long t0 = tclock_mono_ms();
    CHECK_EQ(slotc_sync_hold(s, &req, "pool", "patient01", "app", 60000),
             SLOT_UNAVAILABLE);
    long long dt = tclock_mono_ms() - t0;
    /* Not before the deadline; "not much after" is judged generously (a
     * client that ignored its deadline would wait for the 60 s TTL's
     * worth of retries or forever): timings are never asserted tightly. */
    CHECK(dt >= 380 && dt < 20000);
    CHECK(req.out.pool == NULL);
    CHECK_EQ(slotc_sync_read_hold(s, &req, 1), SLOT_UNAVAILABLE);
    req.timeout_ms = 100;
    CHECK_EQ(slotc_sync_status(s, &req), SLOT_UNAVAILABLE);
    slotc_sync_close(s);
    LEAK_CHECK();
}

static void checkMisbehaving(enum fake_mode mode)
{
    struct fake f;
    fakeStart(&f, mode, true);
    struct slotc_options o;
    slotc_options_init(&o);
    o.cluster = f.addr;
    o.timeout_ms = 250;
    o.backoff_max_ms = 50; /* every request gets its attempts in */
    struct slotc_sync *s;
    CHECK_EQ(slotc_sync_open(&o, &s), SLOT_OK);
    struct slotc_req req;
    slotc_req_init(&req);
    /* The session opens; the hold's bytes then reach something that may
     * have been a node: unknown, and the answer names what to look up. */
    CHECK_EQ(slotc_sync_hold(s, &req, "poolx", "patient01", "app", 60000),
             SLOT_OUTCOME_UNKNOWN);
    CHECK_STR(req.out.pool, "poolx");
    CHECK_STR(req.out.patient, "patient01");
    CHECK_EQ(slotc_sync_confirm(s, &req, 42, "ref-1"), SLOT_OUTCOME_UNKNOWN);
    CHECK_EQ(req.out.id, 42);
    CHECK_EQ(slotc_sync_cancel(s, &req, 43), SLOT_OUTCOME_UNKNOWN);
    CHECK_EQ(req.out.id, 43);
    /* A read changes nothing. A silent node that answered before: TIMEOUT;
     * a node that never answered anything on that connection:
     * UNAVAILABLE. */
    CHECK_EQ(slotc_sync_read_pool(s, &req, "poolx"),
             mode == FAKE_SILENT ? SLOT_TIMEOUT : SLOT_UNAVAILABLE);
    slotc_sync_close(s);
    fakeStop(&f);

    /* No session can even be opened: the mutation never left the client,
     * so it was certainly not applied. */
    fakeStart(&f, mode, false);
    s = openSync(f.addr, 150);
    CHECK_EQ(slotc_sync_hold(s, &req, "poolx", "patient01", "app", 60000),
             SLOT_UNAVAILABLE);
    CHECK(req.out.pool == NULL);
    slotc_sync_close(s);
    fakeStop(&f);
}

static void test_mid_frame_close(void)
{
    checkMisbehaving(FAKE_HALF_FRAME);
    checkMisbehaving(FAKE_BAD_LENGTH);
    checkMisbehaving(FAKE_GARBAGE);
    LEAK_CHECK();
}

static void test_deadline_silent_node(void)
{
    checkMisbehaving(FAKE_SILENT);
    LEAK_CHECK();
}

static void test_attempt_timeout(void)
{
    /* A node that accepts and then goes quiet: after attempt_timeout_ms
     * the connection is replaced and the request resent (same session
     * and seq) until its deadline. */
    struct fake f;
    fakeStart(&f, FAKE_SILENT, true);
    struct slotc_options o;
    slotc_options_init(&o);
    o.cluster = f.addr;
    o.timeout_ms = 700;
    o.attempt_timeout_ms = 100;
    o.backoff_max_ms = 50;
    struct slotc_sync *s;
    CHECK_EQ(slotc_sync_open(&o, &s), SLOT_OK);
    struct slotc_req req;
    slotc_req_init(&req);
    long long t0 = tclock_mono_ms();
    CHECK_EQ(slotc_sync_release(s, &req, 5), SLOT_OUTCOME_UNKNOWN);
    CHECK(tclock_mono_ms() - t0 >= 680);
    CHECK_EQ(req.out.id, 5);
    slotc_sync_close(s);
    fakeStop(&f);
    LEAK_CHECK();
}

/* A node answering BUSY: by default the client retries until the request's
 * deadline; with busy_fails the caller hears BUSY after one round trip. */
static void test_busy_fails(void)
{
    struct fake f;
    fakeStart(&f, FAKE_BUSY, true);
    for (int fails = 0; fails < 2; fails++) {
        struct slotc_options o;
        slotc_options_init(&o);
        o.cluster = f.addr;
        /* With busy_fails the deadline is far away, so an answer long
         * before it shows that the client did not retry; without, a short
         * deadline shows that it retried until then. */
        o.timeout_ms = fails ? 60000 : 600;
        o.retry_ms = 20;
        o.busy_fails = (uint32_t)fails;
        struct slotc_sync *s;
        CHECK_EQ(slotc_sync_open(&o, &s), SLOT_OK);
        struct slotc_req req;
        slotc_req_init(&req);
        long long t0 = tclock_mono_ms();
        int rc = slotc_sync_hold(s, &req, "poolb", "patient01", "app", 60000);
        long long took = tclock_mono_ms() - t0;
        if (fails) {
            /* Refused before it ran: BUSY, well before the deadline. */
            CHECK_EQ(rc, SLOT_BUSY);
            CHECK(took < 30000);
        } else {
            /* Retried every 20 ms, then given up at the deadline. */
            CHECK(rc == SLOT_TIMEOUT || rc == SLOT_BUSY);
            CHECK(took >= 580);
        }
        slotc_sync_close(s);
    }
    fakeStop(&f);
    LEAK_CHECK();
}

/* One membership change (ADD) against a FAKE_SCRIPT node answering
 * `script` (n answers); returns its status. */
static int scriptedAdd(const struct fake_answer *script, unsigned n,
                       uint32_t timeout_ms)
{
    struct fake f;
    memcpy(g_script, script, n * sizeof *script);
    g_script_n = n;
    fakeStart(&f, FAKE_SCRIPT, false);
    struct slotc_options o;
    slotc_options_init(&o);
    o.cluster = f.addr;
    o.timeout_ms = timeout_ms;
    o.retry_ms = 20;
    struct slotc_sync *s;
    CHECK_EQ(slotc_sync_open(&o, &s), SLOT_OK);
    struct slotc_req req;
    slotc_req_init(&req);
    int rc = slotc_sync_member_add(s, &req, 4, "127.0.0.1:1/127.0.0.1:2");
    slotc_sync_close(s);
    fakeStop(&f);
    return rc;
}

/* ERROR frames say whether the command ran (slot_proto.h enum slot_exec).
 * A membership change has no session: nothing makes a second copy
 * harmless but raft's own refusal of a duplicate. Refused NOT executed, it
 * is retried and its next answer is final; after UNKNOWN, a refusal of the
 * retry (say, the duplicate id of the first copy, which did run) is
 * OUTCOME_UNKNOWN, as is the deadline. */
static void test_admin_executed_flag(void)
{
    const int NL = SLOT_NOT_LEADER, NO = SLOT_NO_LEADER;
    const int NOT = SLOT_EXEC_NOT, UNK = SLOT_EXEC_UNKNOWN;
    const int INV = SLOT_INVALID_ARGUMENT;
    /* Not executed, retried: the retry's answer is the answer. */
    struct fake_answer a1[] = {{NL, NOT}, {NO, NOT}, {SLOT_OK, 0}};
    CHECK_EQ(scriptedAdd(a1, 3, 60000), SLOT_OK);
    struct fake_answer a2[] = {{NL, NOT}, {INV, NOT}};
    CHECK_EQ(scriptedAdd(a2, 2, 60000), SLOT_INVALID_ARGUMENT);
    /* Refused not executed until the deadline: it never ran. */
    struct fake_answer a3[] = {{NO, NOT}};
    CHECK_EQ(scriptedAdd(a3, 1, 600), SLOT_TIMEOUT);
    /* Proposed, outcome unknown: a later success settles it ... */
    struct fake_answer a4[] = {{NL, UNK}, {SLOT_OK, 0}};
    CHECK_EQ(scriptedAdd(a4, 2, 60000), SLOT_OK);
    /* ... a refusal or the deadline does not. */
    struct fake_answer a5[] = {{NL, UNK}, {INV, NOT}};
    CHECK_EQ(scriptedAdd(a5, 2, 60000), SLOT_OUTCOME_UNKNOWN);
    struct fake_answer a6[] = {{SLOT_SHUTDOWN, UNK}, {NO, NOT}};
    CHECK_EQ(scriptedAdd(a6, 2, 600), SLOT_OUTCOME_UNKNOWN);
    /* An older node's ERROR (no field) counts as UNKNOWN. */
    struct fake_answer a7[] = {{NL, -1}, {INV, NOT}};
    CHECK_EQ(scriptedAdd(a7, 2, 60000), SLOT_OUTCOME_UNKNOWN);
    LEAK_CHECK();
}

/* The same for a command with a session (HOLD): retried with its (session,
 * seq) either way; at the deadline, TIMEOUT if every attempt was refused
 * not executed, OUTCOME_UNKNOWN once one may have run. */
static void test_cmd_executed_flag(void)
{
    for (int unknown = 0; unknown < 2; unknown++) {
        struct fake f;
        g_script[0] = (struct fake_answer){
            SLOT_NOT_LEADER, unknown ? SLOT_EXEC_UNKNOWN : SLOT_EXEC_NOT};
        g_script[1] = (struct fake_answer){SLOT_NO_LEADER, SLOT_EXEC_NOT};
        g_script_n = 2;
        fakeStart(&f, FAKE_SCRIPT, true);
        struct slotc_options o;
        slotc_options_init(&o);
        o.cluster = f.addr;
        o.timeout_ms = 600;
        o.retry_ms = 20;
        struct slotc_sync *s;
        CHECK_EQ(slotc_sync_open(&o, &s), SLOT_OK);
        struct slotc_req req;
        slotc_req_init(&req);
        int rc = slotc_sync_hold(s, &req, "poolx", "patient01", "app", 60000);
        CHECK_EQ(rc, unknown ? SLOT_OUTCOME_UNKNOWN : SLOT_TIMEOUT);
        slotc_sync_close(s);
        fakeStop(&f);
    }
    LEAK_CHECK();
}

/* ---- library: operations on a healthy cluster ---------------------------- */

static void test_ops(void)
{
    struct slotc_sync *s = openSync(shared()->cluster, 5000);
    struct slotc_req req;
    slotc_req_init(&req);
    const char *pool = uniq("ops");
    struct slotc_pool_spec sp;
    spec(&sp, pool, 2);
    sp.kind = SLOTC_KIND_EXPERT;
    sp.fee_cents = 1500;
    sp.n_shares = 1;
    sp.shares[0].channel = "app";
    sp.shares[0].slots = 1;
    CHECK_EQ(slotc_sync_pool_create(s, &req, &sp), SLOT_OK);
    CHECK(req.out.index > 0 && req.out.ledger_time_ms > 0);
    CHECK_EQ(req.op, SLOTC_OP_POOL_CREATE);
    CHECK_EQ(slotc_sync_pool_create(s, &req, &sp), SLOT_POOL_EXISTS);

    CHECK_EQ(slotc_sync_read_pool(s, &req, pool), SLOT_OK);
    CHECK_EQ(req.out.n_pools, 1);
    CHECK_STR(req.out.pools[0].pool, pool);
    CHECK_EQ(req.out.pools[0].kind, SLOTC_KIND_EXPERT);
    CHECK_EQ(req.out.pools[0].capacity, 2);
    CHECK_EQ(req.out.pools[0].free, 2);
    CHECK_EQ(req.out.pools[0].n_shares, 1);
    CHECK_STR(req.out.pools[0].shares[0].channel, "app");
    CHECK(req.out.index > 0 && req.out.node != NULL);
    CHECK_EQ(slotc_sync_read_pool(s, &req, "no-such-pool"), SLOT_UNKNOWN_POOL);

    CHECK_EQ(slotc_sync_hold(s, &req, pool, "patient-a1", "app", 60000),
             SLOT_OK);
    uint64_t h1 = req.out.id;
    CHECK(h1 > 0 && req.out.deadline_ms > req.out.ledger_time_ms);
    CHECK_EQ(slotc_sync_hold(s, &req, pool, "patient-a1", "app", 60000),
             SLOT_PATIENT_HAS_CLAIM);
    CHECK_EQ(slotc_sync_hold(s, &req, pool, "patient-a2", "app", 10),
             SLOT_TTL_OUT_OF_RANGE);
    CHECK_EQ(slotc_sync_hold(s, &req, pool, "patient-a2", "app", 60000),
             SLOT_OK);
    uint64_t h2 = req.out.id;
    CHECK_EQ(slotc_sync_hold(s, &req, pool, "patient-a3", "app", 60000),
             SLOT_SOLD_OUT);
    CHECK_EQ(
        slotc_sync_hold(s, &req, "no-such-pool", "patient-a3", "app", 60000),
        SLOT_UNKNOWN_POOL);

    CHECK_EQ(slotc_sync_confirm(s, &req, h1, "pay-1"), SLOT_OK);
    CHECK_EQ(req.out.id, h1);
    CHECK_EQ(req.out.visit_no, 1);
    CHECK_EQ(slotc_sync_confirm(s, &req, h1, "pay-1"), SLOT_ALREADY_CONFIRMED);
    CHECK_EQ(slotc_sync_release(s, &req, h2), SLOT_OK);
    CHECK_EQ(slotc_sync_release(s, &req, h2), SLOT_ALREADY_RELEASED);
    CHECK_EQ(slotc_sync_confirm(s, &req, h2, "pay-2"), SLOT_ALREADY_RELEASED);
    CHECK_EQ(slotc_sync_confirm(s, &req, 999999999, "pay-2"),
             SLOT_UNKNOWN_HOLD);

    CHECK_EQ(slotc_sync_read_hold(s, &req, h2), SLOT_OK);
    CHECK_EQ(req.out.n_claims, 1);
    CHECK_EQ(req.out.claims[0].state, SLOTC_CLAIM_RELEASED);
    CHECK_EQ(slotc_sync_read_booking(s, &req, h1), SLOT_OK);
    CHECK_EQ(req.out.claims[0].state, SLOTC_CLAIM_BOOKED);
    CHECK_STR(req.out.claims[0].payment_ref, "pay-1");
    CHECK_STR(req.out.claims[0].patient, "patient-a1");
    CHECK_EQ(slotc_sync_read_booking(s, &req, h2), SLOT_UNKNOWN_BOOKING);
    CHECK_EQ(slotc_sync_read_patient(s, &req, pool, "patient-a1"), SLOT_OK);
    CHECK_EQ(req.out.n_claims, 1);
    CHECK_EQ(req.out.claims[0].id, h1);
    CHECK_EQ(slotc_sync_read_patient(s, &req, pool, "patient-a2"), SLOT_OK);
    CHECK_EQ(req.out.n_claims, 0);

    CHECK_EQ(slotc_sync_cancel(s, &req, h1), SLOT_OK);
    CHECK_EQ(slotc_sync_cancel(s, &req, h1), SLOT_ALREADY_CANCELLED);
    CHECK_EQ(slotc_sync_cancel(s, &req, h2), SLOT_UNKNOWN_BOOKING);

    sp.capacity = 5;
    CHECK_EQ(slotc_sync_pool_update(s, &req, &sp), SLOT_OK);
    CHECK_EQ(slotc_sync_pool_close(s, &req, pool), SLOT_OK);
    CHECK_EQ(slotc_sync_pool_close(s, &req, pool), SLOT_POOL_CLOSED);
    CHECK_EQ(slotc_sync_hold(s, &req, pool, "patient-a4", "app", 60000),
             SLOT_POOL_CLOSED);
    CHECK_EQ(slotc_sync_read_pool(s, &req, pool), SLOT_OK);
    CHECK_EQ(req.out.pools[0].state, SLOTC_POOL_CLOSED);
    CHECK_EQ(req.out.pools[0].capacity, 5);

    CHECK_EQ(slotc_sync_read_pools(s, &req, NULL, SLOTC_LIST_MAX), SLOT_OK);
    bool found = false;
    for (uint32_t i = 0; i < req.out.n_pools; i++) {
        found = found || strcmp(req.out.pools[i].pool, pool) == 0;
    }
    CHECK(found);
    CHECK_EQ(slotc_sync_read_pools(s, &req, "no-such-pool", 10),
             SLOT_UNKNOWN_POOL);

    CHECK_EQ(slotc_sync_read_ledger(s, &req), SLOT_OK);
    CHECK(req.out.ledger->pools >= 1 && req.out.ledger->sessions >= 1);
    struct slotc_config cfg = req.out.ledger->config;
    CHECK_EQ(slotc_sync_config(s, &req, &cfg), SLOT_OK); /* same values back */
    CHECK_EQ(slotc_sync_expire(s, &req, 10), SLOT_OK);

    CHECK_EQ(slotc_sync_status(s, &req), SLOT_OK);
    CHECK(req.out.status->n_members == 3);
    CHECK(req.out.status->id >= 1);
    slotc_sync_close(s);
    LEAK_CHECK();
}

/* SLOTC_NO_HASH: READ_LEDGER and STATUS leave out the state hash (an
 * O(state) digest, 0 then) and report everything else; without the flag
 * the hash is there. Linearizable and stale reads alike. */
static void test_no_hash(void)
{
    struct slotc_sync *s = openSync(shared()->cluster, 5000);
    struct slotc_req req;
    const char *pool = uniq("nohash");
    createPool(s, pool, 3);
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_hold(s, &req, pool, "patient-nh-1", "app", 60000),
             SLOT_OK);

    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_read_ledger(s, &req), SLOT_OK);
    struct slotc_ledger_info full = *req.out.ledger;
    CHECK(full.state_hash != 0);
    CHECK(full.pools >= 1);
    static const uint32_t flags[] = {SLOTC_NO_HASH,
                                     SLOTC_NO_HASH | SLOTC_STALE};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        slotc_req_init(&req);
        req.flags = flags[i];
        CHECK_EQ(slotc_sync_read_ledger(s, &req), SLOT_OK);
        const struct slotc_ledger_info *l = req.out.ledger;
        CHECK_EQ(l->state_hash, 0);
        CHECK(l->time_ms >= full.time_ms);
        CHECK_EQ(l->pools, full.pools);
        CHECK(l->holds_active >= 1);
        CHECK_EQ(l->config.hold_ttl_max_ms, full.config.hold_ttl_max_ms);
        CHECK(req.out.index > 0);
    }

    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_status(s, &req), SLOT_OK);
    CHECK(req.out.status->state_hash != 0);
    slotc_req_init(&req);
    req.flags = SLOTC_NO_HASH;
    CHECK_EQ(slotc_sync_status(s, &req), SLOT_OK);
    CHECK_EQ(req.out.status->state_hash, 0);
    CHECK_EQ(req.out.status->n_members, 3);
    CHECK(req.out.status->applied_index > 0);
    CHECK(req.out.status->id >= 1);
    slotc_sync_close(s);
    LEAK_CHECK();
}

/* Idempotency keys: two clients (two gateways) sending the same keyed
 * command get one hold; the key with another command is a mismatch. */
static void test_idempotency_keys(void)
{
    struct slotc_sync *a = openSync(shared()->cluster, 5000);
    struct slotc_sync *b = openSync(shared()->cluster, 5000);
    struct slotc_req req;
    const char *pool = uniq("idem");
    struct slotc_pool_spec sp;
    spec(&sp, pool, 5);
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_pool_create(a, &req, &sp), SLOT_OK);
    slotc_req_init(&req);
    req.idem_key = "order-7";
    CHECK_EQ(slotc_sync_hold(a, &req, pool, "patient-i1", "app", 60000),
             SLOT_OK);
    uint64_t hold = req.out.id;
    slotc_req_init(&req);
    req.idem_key = "order-7";
    CHECK_EQ(slotc_sync_hold(b, &req, pool, "patient-i1", "app", 60000),
             SLOT_OK);
    CHECK_EQ(req.out.id, hold);
    slotc_req_init(&req);
    req.idem_key = "order-7";
    CHECK_EQ(slotc_sync_hold(b, &req, pool, "patient-i2", "app", 60000),
             SLOT_REQUEST_MISMATCH);
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_read_pool(a, &req, pool), SLOT_OK);
    CHECK_EQ(req.out.pools[0].held, 1);
    /* Confirm needs the channel named; a replay answers the visit number. */
    slotc_req_init(&req);
    req.idem_key = "pay-7";
    CHECK_EQ(slotc_sync_confirm(a, &req, hold, "wx-0007"),
             SLOT_INVALID_ARGUMENT);
    req.idem_channel = "app";
    CHECK_EQ(slotc_sync_confirm(a, &req, hold, "wx-0007"), SLOT_OK);
    uint32_t visit = req.out.visit_no;
    slotc_req_init(&req);
    req.idem_key = "pay-7";
    req.idem_channel = "app";
    CHECK_EQ(slotc_sync_confirm(b, &req, hold, "wx-0007"), SLOT_OK);
    CHECK_EQ(req.out.visit_no, visit);
    /* Bad keys, and keys on ops that cannot carry one. */
    slotc_req_init(&req);
    req.idem_key = "bad key";
    CHECK_EQ(slotc_sync_hold(a, &req, pool, "patient-i3", "app", 60000),
             SLOT_INVALID_ARGUMENT);
    slotc_req_init(&req);
    req.idem_key = "k";
    CHECK_EQ(slotc_sync_expire(a, &req, 10), SLOT_INVALID_ARGUMENT);
    slotc_sync_close(a);
    slotc_sync_close(b);
}

static void test_stale_and_pinned(void)
{
    const struct tcluster *t = shared();
    struct slotc_sync *s = openSync(t->cluster, 5000);
    struct slotc_req req;
    slotc_req_init(&req);
    const char *pool = uniq("stale");
    struct slotc_pool_spec sp;
    spec(&sp, pool, 3);
    CHECK_EQ(slotc_sync_pool_create(s, &req, &sp), SLOT_OK);
    uint64_t index = req.out.index;
    int leaders = 0;
    for (int i = 0; i < t->n; i++) {
        /* STATUS of each node, asked directly. */
        slotc_req_init(&req);
        req.node = t->client[i];
        CHECK_EQ(slotc_sync_status(s, &req), SLOT_OK);
        CHECK_STR(req.out.node, t->client[i]);
        CHECK_EQ(req.out.status->id, (uint64_t)i + 1);
        bool leader = strcmp(req.out.status->role, "leader") == 0;
        leaders += leader;
        /* A stale read of that node's state, labelled with its index. The
         * pool may not have reached a follower yet: retry, for up to 15 s
         * (a slow disk phase can delay a follower's apply). */
        int rc = SLOT_UNKNOWN_POOL;
        long long until = tclock_mono_ms() + 15000;
        while (rc == SLOT_UNKNOWN_POOL && tclock_mono_ms() < until) {
            slotc_req_init(&req);
            req.node = t->client[i];
            req.flags = SLOTC_STALE;
            rc = slotc_sync_read_pool(s, &req, pool);
            if (rc == SLOT_UNKNOWN_POOL) {
                tclock_sleep_ms(20);
            }
        }
        CHECK_EQ(rc, SLOT_OK);
        CHECK(req.out.index >= index);
        CHECK_STR(req.out.node, t->client[i]);
        /* A linearizable read pinned to a follower is NOT_LEADER. */
        slotc_req_init(&req);
        req.node = t->client[i];
        rc = slotc_sync_read_pool(s, &req, pool);
        CHECK_EQ(rc, leader ? SLOT_OK : SLOT_NOT_LEADER);
    }
    CHECK_EQ(leaders, 1);
    /* Stale from whichever node. */
    slotc_req_init(&req);
    req.flags = SLOTC_STALE;
    CHECK_EQ(slotc_sync_read_ledger(s, &req), SLOT_OK);
    CHECK(req.out.node != NULL && req.out.index > 0);
    slotc_sync_close(s);
    LEAK_CHECK();
}

static void test_follow_leader_hint(void)
{
    const struct tcluster *t = shared();
    int leader = tcluster_leader((struct tcluster *)t, 5000);
    CHECK(leader >= 0);
    /* Only a follower's address: NOT_LEADER's hint leads to the leader. */
    int follower = (leader + 1) % t->n;
    struct slotc_sync *s = openSync(t->client[follower], 5000);
    struct slotc_req req;
    slotc_req_init(&req);
    const char *pool = uniq("hint");
    createPool(s, pool, 2);
    CHECK_EQ(slotc_sync_hold(s, &req, pool, "patient-h1", "app", 60000),
             SLOT_OK);
    CHECK_EQ(slotc_sync_read_hold(s, &req, req.out.id), SLOT_OK);
    CHECK_STR(req.out.node, t->client[leader]);
    slotc_sync_close(s);
    LEAK_CHECK();
}

/* ---- library: async pipelining, queue bounds, close ---------------------- */

#define PIPE_N 300

struct pipe_state {
    struct slotc_req req[PIPE_N];
    int done, ok;
    uint64_t ids[PIPE_N];
    int statuses[PIPE_N];
    int busy;
};

static void pipeCb(struct slotc_req *req)
{
    struct pipe_state *ps = req->data;
    int i = (int)(req - ps->req);
    ps->statuses[i] = req->status;
    ps->ids[i] = req->out.id;
    ps->done++;
    ps->ok += req->status == SLOT_OK;
}

static void closeFlag(void *data)
{
    *(bool *)data = true;
}

static void runUntil(uv_loop_t *loop, int *counter, int target, int timeout_ms)
{
    long long until = tclock_mono_ms() + timeout_ms;
    while (*counter < target && tclock_mono_ms() < until) {
        uv_run(loop, UV_RUN_ONCE);
    }
}

static void closeClient(uv_loop_t *loop, struct slotc *c)
{
    bool closed = false;
    slotc_close(c, closeFlag, &closed);
    for (int i = 0; i < 1000 && !closed; i++) {
        uv_run(loop, UV_RUN_ONCE);
    }
    CHECK(closed);
    CHECK_EQ(uv_loop_close(loop), 0);
}

static void test_pipeline_sessions(void)
{
    const struct tcluster *t = shared();
    const char *pool = uniq("pipe");
    struct slotc_sync *s = openSync(t->cluster, 5000);
    createPool(s, pool, PIPE_N);
    slotc_sync_close(s);

    uv_loop_t loop;
    uv_loop_init(&loop);
    struct slotc_options o;
    slotc_options_init(&o);
    o.cluster = t->cluster;
    o.sessions_max = 2; /* 300 requests through 2 x 32 windows */
    struct slotc *c;
    CHECK_EQ(slotc_open(&loop, &o, &c), SLOT_OK);
    static struct pipe_state ps;
    memset(&ps, 0, sizeof ps);
    for (int i = 0; i < PIPE_N; i++) {
        char patient[32];
        snprintf(patient, sizeof patient, "patient-%05d", i);
        slotc_req_init(&ps.req[i]);
        ps.req[i].data = &ps;
        CHECK_EQ(slotc_hold(c, &ps.req[i], pool, patient, "app", 60000, pipeCb),
                 SLOT_OK);
    }
    CHECK_EQ(slotc_pending(c), PIPE_N);
    runUntil(&loop, &ps.done, PIPE_N, 20000);
    CHECK_EQ(ps.done, PIPE_N);
    CHECK_EQ(ps.ok, PIPE_N);
    for (int i = 0; i < PIPE_N; i++) {
        for (int j = 0; j < i; j++) {
            CHECK(ps.ids[i] != ps.ids[j]);
        }
    }
    CHECK_EQ(slotc_pending(c), 0);
    closeClient(&loop, c);

    s = openSync(t->cluster, 5000);
    struct slotc_req req;
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_read_pool(s, &req, pool), SLOT_OK);
    CHECK_EQ(req.out.pools[0].held, PIPE_N);
    CHECK_EQ(slotc_sync_read_ledger(s, &req), SLOT_OK);
    slotc_sync_close(s);
    LEAK_CHECK();
}

static void test_queue_full_and_close(void)
{
    const struct tcluster *t = shared();
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct slotc_options o;
    slotc_options_init(&o);
    o.cluster = t->cluster;
    o.queue_max = 20;
    struct slotc *c;
    CHECK_EQ(slotc_open(&loop, &o, &c), SLOT_OK);
    static struct pipe_state ps;
    memset(&ps, 0, sizeof ps);
    int accepted = 0;
    for (int i = 0; i < 30; i++) {
        slotc_req_init(&ps.req[i]);
        ps.req[i].data = &ps;
        int rc = i % 2 ? slotc_read_ledger(c, &ps.req[i], pipeCb)
                       : slotc_hold(c, &ps.req[i], "no-such-pool", "patient-q1",
                                    "app", 60000, pipeCb);
        if (rc == SLOT_OK) {
            accepted++;
        } else {
            CHECK_EQ(rc, SLOT_BUSY);
        }
    }
    CHECK_EQ(accepted, 20);
    /* Let some go out, then close: every callback runs once, with an
     * answer, SHUTDOWN, or OUTCOME_UNKNOWN for holds already sent. */
    uv_run(&loop, UV_RUN_NOWAIT);
    bool closed = false;
    slotc_close(c, closeFlag, &closed);
    CHECK_EQ(ps.done, 20);
    for (int i = 0; i < 20; i++) {
        int st = ps.statuses[i];
        CHECK(st == SLOT_SHUTDOWN || st == SLOT_OUTCOME_UNKNOWN ||
              st == SLOT_OK || st == SLOT_UNKNOWN_POOL);
        if (i % 2 == 1) {
            CHECK(st != SLOT_OUTCOME_UNKNOWN);
        }
    }
    struct slotc_req late;
    slotc_req_init(&late);
    CHECK_EQ(slotc_read_ledger(c, &late, pipeCb), SLOT_SHUTDOWN);
    for (int i = 0; i < 1000 && !closed; i++) {
        uv_run(&loop, UV_RUN_ONCE);
    }
    CHECK(closed);
    CHECK_EQ(uv_loop_close(&loop), 0);
    LEAK_CHECK();
}

/* A callback that closes its own client and submits more. */
struct reentry {
    struct slotc *c;
    struct slotc_req a, b, again;
    int calls;
    bool closed;
};

static void reentryCb(struct slotc_req *req)
{
    struct reentry *r = req->data;
    r->calls++;
    if (req == &r->a) {
        slotc_req_init(&r->again);
        r->again.data = r;
        CHECK_EQ(slotc_read_ledger(r->c, &r->again, reentryCb), SLOT_OK);
        slotc_close(r->c, closeFlag, &r->closed);
        /* The request may be reused at once, even after close. */
        CHECK_EQ(slotc_read_ledger(r->c, req, reentryCb), SLOT_SHUTDOWN);
    }
}

static void test_callback_reentry(void)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct slotc_options o;
    slotc_options_init(&o);
    o.cluster = shared()->cluster;
    static struct reentry r;
    memset(&r, 0, sizeof r);
    CHECK_EQ(slotc_open(&loop, &o, &r.c), SLOT_OK);
    r.a.data = r.b.data = &r;
    CHECK_EQ(slotc_read_ledger(r.c, &r.a, reentryCb), SLOT_OK);
    CHECK_EQ(slotc_read_ledger(r.c, &r.b, reentryCb), SLOT_OK);
    for (int i = 0; i < 10000 && !r.closed; i++) {
        uv_run(&loop, UV_RUN_ONCE);
    }
    CHECK(r.closed);
    CHECK_EQ(r.calls, 3);
    CHECK_EQ(uv_loop_close(&loop), 0);
    LEAK_CHECK();
}

/* ---- library: failures in a real cluster --------------------------------- */

#define LK_N     240
#define LK_BATCH 8

struct lk_patient {
    char key[32];
    struct slotc_req hold, confirm;
    int hold_status, confirm_status;
    uint64_t hold_id;
    bool done;
    /* the later query */
    int query_status;
    uint32_t n_claims;
    uint64_t claim_id;
    int claim_state;
};

static struct {
    struct tcluster t;
    uv_loop_t loop;
    struct slotc *c;
    struct lk_patient p[LK_N];
    const char *pool;
    int submitted, done, leader, done_at_kill;
    uv_timer_t submit_timer, kill_timer;
} lk;

static void lkConfirmCb(struct slotc_req *req)
{
    struct lk_patient *p = req->data;
    p->confirm_status = req->status;
    if (req->status == SLOT_OK) {
        CHECK_EQ(req->out.id, p->hold_id);
    } else if (req->status == SLOT_OUTCOME_UNKNOWN) {
        CHECK_EQ(req->out.id, p->hold_id);
    }
    p->done = true;
    lk.done++;
}

static void lkHoldCb(struct slotc_req *req)
{
    struct lk_patient *p = req->data;
    p->hold_status = req->status;
    if (req->status == SLOT_OK) {
        p->hold_id = req->out.id;
        slotc_req_init(&p->confirm);
        p->confirm.data = p;
        p->confirm.timeout_ms = p->hold.timeout_ms;
        CHECK_EQ(
            slotc_confirm(lk.c, &p->confirm, p->hold_id, "pay-lk", lkConfirmCb),
            SLOT_OK);
        return;
    }
    if (req->status == SLOT_OUTCOME_UNKNOWN) {
        CHECK_STR(req->out.pool, lk.pool);
        CHECK_STR(req->out.patient, p->key);
    }
    p->done = true;
    lk.done++;
}

static void lkQueryCb(struct slotc_req *req)
{
    struct lk_patient *p = req->data;
    p->query_status = req->status;
    p->n_claims = req->out.n_claims;
    if (req->out.n_claims > 0) {
        p->claim_id = req->out.claims[0].id;
        p->claim_state = req->out.claims[0].state;
    }
    lk.done++;
}

static void lkSubmit(uv_timer_t *h)
{
    for (int k = 0; k < LK_BATCH && lk.submitted < LK_N; k++) {
        int i = lk.submitted++;
        struct lk_patient *p = &lk.p[i];
        slotc_req_init(&p->hold);
        p->hold.data = p;
        /* Half with a deadline shorter than an election: they end unknown
         * (or, if never sent, certainly not applied). */
        p->hold.timeout_ms = i % 2 ? 400 : 15000;
        CHECK_EQ(slotc_hold(lk.c, &p->hold, lk.pool, p->key, "app", 600000,
                            lkHoldCb),
                 SLOT_OK);
    }
    if (lk.submitted == LK_N) {
        uv_timer_stop(h);
    }
}

static void lkKill(uv_timer_t *h)
{
    (void)h;
    lk.done_at_kill = lk.done;
    tcluster_signal(&lk.t, lk.leader, SIGKILL);
}

static void test_leader_killed_mid_booking(void)
{
    CHECK_EQ(tcluster_start(&lk.t, 3, 0), 0);
    lk.pool = uniq("lk");
    struct slotc_sync *s = openSync(lk.t.cluster, 5000);
    createPool(s, lk.pool, LK_N);
    slotc_sync_close(s);
    lk.leader = tcluster_leader(&lk.t, 5000);
    CHECK(lk.leader >= 0);

    uv_loop_init(&lk.loop);
    struct slotc_options o;
    slotc_options_init(&o);
    o.cluster = lk.t.cluster;
    o.timeout_ms = 15000;
    CHECK_EQ(slotc_open(&lk.loop, &o, &lk.c), SLOT_OK);
    for (int i = 0; i < LK_N; i++) {
        snprintf(lk.p[i].key, sizeof lk.p[i].key, "patient-lk-%04d", i);
    }
    uv_timer_init(&lk.loop, &lk.submit_timer);
    uv_timer_init(&lk.loop, &lk.kill_timer);
    uv_timer_start(&lk.submit_timer, lkSubmit, 0, 5);
    uv_timer_start(&lk.kill_timer, lkKill, 60, 0);
    long long t0 = tclock_mono_ms();
    runUntil(&lk.loop, &lk.done, LK_N, 30000);
    fprintf(stderr, "leader kill: workload took %lld ms\n",
            tclock_mono_ms() - t0);
    t0 = tclock_mono_ms();
    CHECK_EQ(lk.done, LK_N);
    CHECK(lk.done_at_kill < LK_N / 2); /* the leader died mid-workload */
    uv_close((uv_handle_t *)&lk.submit_timer, NULL);
    uv_close((uv_handle_t *)&lk.kill_timer, NULL);
    closeClient(&lk.loop, lk.c);

    /* Every request succeeded once or is unknown, or (short deadline,
     * never sent) certainly not applied; nothing else. */
    int ok = 0, unknown = 0, not_sent = 0;
    for (int i = 0; i < LK_N; i++) {
        struct lk_patient *p = &lk.p[i];
        bool short_deadline = i % 2 == 1;
        bool hold_not_sent = p->hold_status == SLOT_TIMEOUT ||
                             p->hold_status == SLOT_UNAVAILABLE;
        CHECK(p->hold_status == SLOT_OK ||
              p->hold_status == SLOT_OUTCOME_UNKNOWN ||
              (short_deadline && hold_not_sent));
        if (p->hold_status == SLOT_OK) {
            CHECK(p->confirm_status == SLOT_OK ||
                  p->confirm_status == SLOT_OUTCOME_UNKNOWN ||
                  (short_deadline && (p->confirm_status == SLOT_TIMEOUT ||
                                      p->confirm_status == SLOT_UNAVAILABLE)));
        }
        ok += p->hold_status == SLOT_OK && p->confirm_status == SLOT_OK;
        unknown += p->hold_status == SLOT_OUTCOME_UNKNOWN ||
                   p->confirm_status == SLOT_OUTCOME_UNKNOWN;
        not_sent += hold_not_sent;
    }
    /* A later query resolves every unknown; no duplicates exist. The
     * queries go out together (one read barrier serves many). */
    uv_loop_init(&lk.loop);
    o.timeout_ms = 10000;
    CHECK_EQ(slotc_open(&lk.loop, &o, &lk.c), SLOT_OK);
    lk.done = 0;
    for (int i = 0; i < LK_N; i++) {
        struct lk_patient *p = &lk.p[i];
        slotc_req_init(&p->confirm);
        p->confirm.data = p;
        CHECK_EQ(
            slotc_read_patient(lk.c, &p->confirm, lk.pool, p->key, lkQueryCb),
            SLOT_OK);
    }
    runUntil(&lk.loop, &lk.done, LK_N, 20000);
    CHECK_EQ(lk.done, LK_N);
    closeClient(&lk.loop, lk.c);
    uint32_t claimed = 0, booked = 0;
    for (int i = 0; i < LK_N; i++) {
        struct lk_patient *p = &lk.p[i];
        CHECK_EQ(p->query_status, SLOT_OK);
        CHECK(p->n_claims <= 1);
        if (p->hold_status == SLOT_OK) {
            CHECK_EQ(p->n_claims, 1);
            CHECK_EQ(p->claim_id, p->hold_id);
            if (p->confirm_status == SLOT_OK) {
                CHECK_EQ(p->claim_state, SLOTC_CLAIM_BOOKED);
            } else if (p->confirm_status != SLOT_OUTCOME_UNKNOWN) {
                CHECK_EQ(p->claim_state, SLOTC_CLAIM_HELD); /* not applied */
            }
        } else if (p->hold_status != SLOT_OUTCOME_UNKNOWN) {
            CHECK_EQ(p->n_claims, 0); /* not applied */
        }
        if (p->n_claims == 1) {
            claimed++;
            booked += p->claim_state == SLOTC_CLAIM_BOOKED;
            for (int j = 0; j < i; j++) {
                CHECK(lk.p[j].n_claims == 0 || lk.p[j].claim_id != p->claim_id);
            }
        }
    }
    s = openSync(lk.t.cluster, 10000);
    struct slotc_req req;
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_read_pool(s, &req, lk.pool), SLOT_OK);
    CHECK_EQ(req.out.pools[0].held + req.out.pools[0].booked, claimed);
    CHECK_EQ(req.out.pools[0].booked, booked);
    CHECK(claimed >= (uint32_t)ok);
    fprintf(stderr, "leader kill: checks took %lld ms\n",
            tclock_mono_ms() - t0);
    fprintf(
        stderr,
        "leader kill: %d done before the kill, %d booked, %d unknown, %d holds "
        "never sent, %u claims after resolving\n",
        lk.done_at_kill, ok, unknown, not_sent, claimed);
    slotc_sync_close(s);
    CHECK_EQ(tcluster_stop(&lk.t), 0);
    LEAK_CHECK();
}

static void test_no_quorum_deadline_then_all_down(void)
{
    static struct tcluster t;
    CHECK_EQ(tcluster_start(&t, 3, 0), 0);
    struct slotc_sync *s = openSync(t.cluster, 5000);
    struct slotc_req req;
    slotc_req_init(&req);
    const char *pool = uniq("nq");
    createPool(s, pool, 5);
    /* Sessions evicted by the ledger: with room for one session, two
     * clients take turns evicting each other's. A request that gets
     * SESSION_UNKNOWN on its only attempt moves to a new session and
     * succeeds: it certainly had not run. */
    struct slotc_config cfg = {.hold_ttl_min_ms = 1000,
                               .hold_ttl_max_ms = 1800000,
                               .session_max = 1,
                               .session_idle_ms = 3600000,
                               .retain_ms = 86400000,
                               .retain_max = 1000};
    CHECK_EQ(slotc_sync_config(s, &req, &cfg), SLOT_OK);
    struct slotc_sync *s2 = openSync(t.cluster, 5000);
    for (int i = 0; i < 3; i++) {
        char key[32];
        snprintf(key, sizeof key, "patient-ev%d-a", i);
        CHECK_EQ(slotc_sync_hold(s, &req, pool, key, "app", 600000), SLOT_OK);
        CHECK_EQ(slotc_sync_release(s, &req, req.out.id), SLOT_OK);
        snprintf(key, sizeof key, "patient-ev%d-b", i);
        CHECK_EQ(slotc_sync_hold(s2, &req, pool, key, "app", 600000), SLOT_OK);
        CHECK_EQ(slotc_sync_release(s2, &req, req.out.id), SLOT_OK);
    }
    CHECK_EQ(slotc_sync_read_ledger(s, &req), SLOT_OK);
    CHECK_EQ(req.out.ledger->sessions, 1);
    slotc_sync_close(s2);

    CHECK_EQ(slotc_sync_hold(s, &req, pool, "patient-nq1", "app", 600000),
             SLOT_OK);
    uint64_t hold = req.out.id;
    int leader = tcluster_leader(&t, 5000);
    CHECK(leader >= 0);
    for (int i = 0; i < t.n; i++) {
        if (i != leader) {
            tcluster_signal(&t, i, SIGKILL);
        }
    }
    /* No quorum: the confirm cannot commit; at its deadline the caller
     * learns it is unknown, and which hold to look at. */
    slotc_req_init(&req);
    req.timeout_ms = 1500;
    CHECK_EQ(slotc_sync_confirm(s, &req, hold, "pay-nq"), SLOT_OUTCOME_UNKNOWN);
    CHECK_EQ(req.out.id, hold);
    /* Reads: the remaining node answers, but cannot serve linearizably. */
    slotc_req_init(&req);
    req.timeout_ms = 600;
    CHECK_EQ(slotc_sync_read_hold(s, &req, hold), SLOT_TIMEOUT);
    slotc_req_init(&req);
    req.flags = SLOTC_STALE;
    CHECK_EQ(slotc_sync_read_hold(s, &req, hold), SLOT_OK);
    CHECK_EQ(req.out.claims[0].state, SLOTC_CLAIM_HELD);
    /* Quorum back: the unknown resolves one way or the other. */
    for (int i = 0; i < t.n; i++) {
        if (i != leader) {
            CHECK_EQ(tcluster_start_node(&t, i), 0);
        }
    }
    slotc_req_init(&req);
    req.timeout_ms = 10000;
    CHECK_EQ(slotc_sync_read_hold(s, &req, hold), SLOT_OK);
    CHECK(req.out.claims[0].state == SLOTC_CLAIM_HELD ||
          req.out.claims[0].state == SLOTC_CLAIM_BOOKED);
    /* All nodes down: a new request never leaves; UNAVAILABLE. */
    for (int i = 0; i < t.n; i++) {
        tcluster_signal(&t, i, SIGKILL);
    }
    slotc_req_init(&req);
    req.timeout_ms = 500;
    CHECK_EQ(slotc_sync_hold(s, &req, pool, "patient-nq2", "app", 600000),
             SLOT_UNAVAILABLE);
    slotc_req_init(&req);
    req.timeout_ms = 300;
    CHECK_EQ(slotc_sync_read_pool(s, &req, pool), SLOT_UNAVAILABLE);
    slotc_sync_close(s);
    CHECK_EQ(tcluster_stop(&t), 0);
    LEAK_CHECK();
}

/* ---- slotctl ------------------------------------------------------------- */

static char g_slotctl[512];

/* Runs slotctl with --json and the given arguments (NULL-terminated);
 * parses its one line of output into *out. Returns the exit code. */
static int slotctl(json_t **out, const char *cluster, ...)
{
    char *argv[40];
    int n = 0;
    argv[n++] = g_slotctl;
    argv[n++] = "--json";
    if (cluster != NULL) {
        argv[n++] = "--cluster";
        argv[n++] = (char *)cluster;
    }
    va_list ap;
    va_start(ap, cluster);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL && n < 39;) {
        argv[n++] = (char *)a;
    }
    va_end(ap);
    argv[n] = NULL;
    int fds[2];
    CHECK(pipe(fds) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execv(g_slotctl, argv);
        _exit(127);
    }
    close(fds[1]);
    char buf[1 << 16];
    size_t len = 0;
    for (;;) {
        ssize_t r = read(fds[0], buf + len, sizeof buf - 1 - len);
        if (r <= 0) {
            break;
        }
        len += (size_t)r;
    }
    close(fds[0]);
    buf[len] = '\0';
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK(WIFEXITED(st));
    json_error_t err;
    *out = json_loads(buf, 0, &err);
    if (*out == NULL) {
        fprintf(stderr, "slotctl printed no JSON: '%s'\n", buf);
    }
    CHECK(*out != NULL);
    CHECK(strchr(buf, '\n') == buf + len - 1); /* exactly one line */
    return WEXITSTATUS(st);
}

static json_int_t jint(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v)) {
        fprintf(stderr, "no integer '%s'\n", key);
    }
    CHECK(json_is_integer(v));
    return json_integer_value(v);
}

static const char *jstr(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    CHECK(json_is_string(v));
    return json_string_value(v);
}

static const char *jerr(json_t *o)
{
    json_t *e = json_object_get(o, "error");
    CHECK(json_is_object(e));
    CHECK(json_is_string(json_object_get(e, "message")));
    return jstr(e, "code");
}

/* The commit path's stall counter (issue 17): a STATUS with the state hash
 * serialises the whole ledger on the node's loop, a stall by construction
 * with 40,000 claims (tens of ms; about 1 s at 1M). Asked of the leader,
 * it counts in the leader's leader_stalls (STATUS, slotctl status), with
 * its length; a follower asked the same counts nothing (it was not
 * leading). Its own cluster: the shared one's later hashes stay cheap. */
#define STALL_HOLDS 40000
static struct pipe_stall {
    struct slotc_req req[STALL_HOLDS];
    int done, ok;
} stall_ps;

static void stallCb(struct slotc_req *req)
{
    stall_ps.done++;
    stall_ps.ok += req->status == SLOT_OK;
}

static void test_leader_stalls(void)
{
    struct tcluster t;
    CHECK_EQ(tcluster_start(&t, 3, 0), 0);
    struct slotc_sync *s = openSync(t.cluster, 5000);
    for (int p = 0; p < 4; p++) {
        char pool[32];
        snprintf(pool, sizeof pool, "stall-%d", p);
        createPool(s, pool, STALL_HOLDS / 4);
    }
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct slotc_options o;
    slotc_options_init(&o);
    o.cluster = t.cluster;
    o.queue_max = STALL_HOLDS;
    o.timeout_ms = 30000;
    struct slotc *c;
    CHECK_EQ(slotc_open(&loop, &o, &c), SLOT_OK);
    memset(&stall_ps, 0, sizeof stall_ps);
    for (int i = 0; i < STALL_HOLDS; i++) {
        char pool[32], patient[32];
        snprintf(pool, sizeof pool, "stall-%d", i % 4);
        snprintf(patient, sizeof patient, "patient-st-%06d", i);
        slotc_req_init(&stall_ps.req[i]);
        CHECK_EQ(slotc_hold(c, &stall_ps.req[i], pool, patient, "app", 600000,
                            stallCb),
                 SLOT_OK);
    }
    runUntil(&loop, &stall_ps.done, STALL_HOLDS, 60000);
    CHECK_EQ(stall_ps.ok, STALL_HOLDS);
    closeClient(&loop, c);
    /* Which node leads, and what each has counted so far. */
    json_t *o1;
    CHECK_EQ(slotctl(&o1, t.cluster, "status", NULL), 0);
    json_t *nodes = json_object_get(o1, "nodes");
    long long leader = jint(o1, "leader");
    long long before = -1;
    const char *leader_addr = NULL, *follower_addr = NULL;
    long long follower_before = -1;
    for (size_t i = 0; i < json_array_size(nodes); i++) {
        json_t *nd = json_array_get(nodes, i);
        CHECK(json_is_integer(json_object_get(nd, "leader_stalls")));
        if (jint(nd, "id") == leader) {
            before = jint(nd, "leader_stalls");
            leader_addr = jstr(nd, "client_address");
        } else if (follower_addr == NULL) {
            follower_addr = jstr(nd, "client_address");
            follower_before = jint(nd, "leader_stalls");
        }
    }
    CHECK(before >= 0 && leader_addr != NULL && follower_addr != NULL);
    /* The hash, asked of the leader and of a follower by address. */
    const char *addrs[2] = {leader_addr, follower_addr};
    for (int k = 0; k < 2; k++) {
        struct slotc_sync *one = openSync(addrs[k], 10000);
        struct slotc_req req;
        slotc_req_init(&req);
        CHECK_EQ(slotc_sync_status(one, &req), SLOT_OK);
        CHECK(req.out.status->state_hash != 0);
        slotc_sync_close(one);
    }
    json_t *o2;
    CHECK_EQ(slotctl(&o2, t.cluster, "status", NULL), 0);
    nodes = json_object_get(o2, "nodes");
    for (size_t i = 0; i < json_array_size(nodes); i++) {
        json_t *nd = json_array_get(nodes, i);
        if (jint(nd, "id") == leader) {
            fprintf(
                stderr, "leader stalls %lld -> %lld, longest %.1f ms\n", before,
                jint(nd, "leader_stalls"),
                json_number_value(json_object_get(nd, "leader_stall_max_ms")));
            CHECK(jint(nd, "leader_stalls") >= before + 1);
            CHECK(json_number_value(
                      json_object_get(nd, "leader_stall_max_ms")) >= 5.0);
        } else if (strcmp(jstr(nd, "client_address"), follower_addr) == 0) {
            CHECK_EQ(jint(nd, "leader_stalls"), follower_before);
        }
    }
    json_decref(o1);
    json_decref(o2);
    slotc_sync_close(s);
    CHECK_EQ(tcluster_stop(&t), 0);
}

static void test_slotctl_commands(void)
{
    const char *cl = shared()->cluster;
    const char *pool = uniq("ctl");
    char id[32], id2[32];
    json_t *o;
    CHECK_EQ(slotctl(&o, cl, "pool", "create", pool, "--capacity", "3",
                     "--kind", "expert", "--fee-cents", "2500", "--share",
                     "app=1", "--share", "kiosk=1", NULL),
             0);
    CHECK(json_is_true(json_object_get(o, "ok")));
    CHECK_STR(jstr(o, "pool"), pool);
    CHECK(jint(o, "index") > 0);
    json_decref(o);
    CHECK_EQ(slotctl(&o, cl, "pool", "create", pool, "--capacity", "3", NULL),
             1);
    CHECK_STR(jerr(o), "POOL_EXISTS");
    json_decref(o);

    CHECK_EQ(slotctl(&o, cl, "pool", "show", pool, NULL), 0);
    CHECK_STR(jstr(o, "pool"), pool);
    CHECK_STR(jstr(o, "kind"), "expert");
    CHECK_STR(jstr(o, "state"), "open");
    CHECK_EQ(jint(o, "capacity"), 3);
    CHECK_EQ(jint(o, "fee_cents"), 2500);
    CHECK_EQ(json_array_size(json_object_get(o, "shares")), 2);
    CHECK_EQ(jint(json_object_get(o, "remainder"), "capacity"), 1);
    CHECK(jint(o, "applied_index") > 0);
    CHECK(json_is_false(json_object_get(o, "stale")));
    json_decref(o);

    CHECK_EQ(slotctl(&o, cl, "pool", "list", "--limit", "1000", NULL), 0);
    json_t *pools = json_object_get(o, "pools");
    CHECK(json_array_size(pools) >= 1);
    bool found = false;
    for (size_t i = 0; i < json_array_size(pools); i++) {
        found =
            found || strcmp(jstr(json_array_get(pools, i), "pool"), pool) == 0;
    }
    CHECK(found);
    json_decref(o);

    CHECK_EQ(slotctl(&o, cl, "hold", pool, "patient-c1", "--channel", "app",
                     "--ttl-ms", "60000", NULL),
             0);
    snprintf(id, sizeof id, "%lld", (long long)jint(o, "hold"));
    CHECK(jint(o, "deadline_ms") > jint(o, "ledger_time_ms"));
    CHECK_STR(jstr(o, "patient"), "patient-c1");
    json_decref(o);
    CHECK_EQ(slotctl(&o, cl, "hold", pool, "patient-c2", NULL), 0);
    snprintf(id2, sizeof id2, "%lld", (long long)jint(o, "hold"));
    json_decref(o);
    CHECK_EQ(slotctl(&o, cl, "hold", pool, "patient-c1", NULL), 1);
    CHECK_STR(jerr(o), "PATIENT_HAS_CLAIM");
    json_decref(o);

    CHECK_EQ(slotctl(&o, cl, "confirm", id, "pay-ctl-1", NULL), 0);
    CHECK_EQ(jint(o, "booking"), atoll(id));
    CHECK_EQ(jint(o, "visit_no"), 1);
    json_decref(o);
    CHECK_EQ(slotctl(&o, cl, "release", id2, NULL), 0);
    CHECK_EQ(jint(o, "released"), atoll(id2));
    json_decref(o);
    CHECK_EQ(slotctl(&o, cl, "release", id2, NULL), 1);
    CHECK_STR(jerr(o), "ALREADY_RELEASED");
    json_decref(o);

    CHECK_EQ(slotctl(&o, cl, "show", "hold", id2, NULL), 0);
    CHECK_STR(jstr(o, "state"), "released");
    CHECK_EQ(jint(o, "id"), atoll(id2));
    json_decref(o);
    CHECK_EQ(slotctl(&o, cl, "show", "booking", id, "--stale", NULL), 0);
    CHECK_STR(jstr(o, "state"), "booked");
    CHECK_STR(jstr(o, "payment_ref"), "pay-ctl-1");
    CHECK(json_is_true(json_object_get(o, "stale")));
    CHECK(jint(o, "applied_index") > 0);
    CHECK(strlen(jstr(o, "node")) > 0);
    json_decref(o);
    CHECK_EQ(slotctl(&o, cl, "show", "booking", id2, NULL), 1);
    CHECK_STR(jerr(o), "UNKNOWN_BOOKING");
    json_decref(o);
    CHECK_EQ(slotctl(&o, cl, "show", "patient", pool, "patient-c1", NULL), 0);
    CHECK_EQ(json_array_size(json_object_get(o, "claims")), 1);
    json_decref(o);
    CHECK_EQ(slotctl(&o, cl, "show", "ledger", NULL), 0);
    CHECK(jint(o, "pools") >= 1);
    CHECK(json_is_object(json_object_get(o, "config")));
    /* The hash only when asked: it costs the node O(ledger) on its loop. */
    CHECK(json_is_null(json_object_get(o, "state_hash")));
    json_decref(o);
    CHECK_EQ(slotctl(&o, cl, "show", "ledger", "--hash", NULL), 0);
    CHECK_EQ(strlen(jstr(o, "state_hash")), 16);
    json_decref(o);

    CHECK_EQ(slotctl(&o, cl, "cancel", id, NULL), 0);
    CHECK_EQ(jint(o, "cancelled"), atoll(id));
    json_decref(o);
    CHECK_EQ(slotctl(&o, cl, "cancel", id, NULL), 1);
    CHECK_STR(jerr(o), "ALREADY_CANCELLED");
    json_decref(o);

    CHECK_EQ(slotctl(&o, cl, "pool", "update", pool, "--capacity", "4", NULL),
             0);
    json_decref(o);
    CHECK_EQ(slotctl(&o, cl, "pool", "close", pool, NULL), 0);
    json_decref(o);
    CHECK_EQ(slotctl(&o, cl, "hold", pool, "patient-c3", NULL), 1);
    CHECK_STR(jerr(o), "POOL_CLOSED");
    json_decref(o);

    CHECK_EQ(slotctl(&o, cl, "config", NULL), 0);
    json_int_t ttl_max = jint(o, "hold_ttl_max_ms");
    json_decref(o);
    char v[32];
    snprintf(v, sizeof v, "%lld", (long long)ttl_max);
    CHECK_EQ(slotctl(&o, cl, "config", "--hold-ttl-max-ms", v, NULL), 0);
    CHECK_EQ(jint(o, "hold_ttl_max_ms"), ttl_max);
    json_decref(o);

    CHECK_EQ(slotctl(&o, cl, "status", NULL), 0);
    for (size_t i = 0; i < json_array_size(json_object_get(o, "nodes")); i++) {
        CHECK(json_is_null(json_object_get(
            json_array_get(json_object_get(o, "nodes"), i), "state_hash")));
    }
    json_decref(o);
    CHECK_EQ(slotctl(&o, cl, "status", "--hash", NULL), 0);
    CHECK(json_is_integer(json_object_get(o, "leader")));
    json_t *nodes = json_object_get(o, "nodes");
    CHECK_EQ(json_array_size(nodes), 3);
    int leaders = 0;
    for (size_t i = 0; i < 3; i++) {
        json_t *nd = json_array_get(nodes, i);
        CHECK(jint(nd, "id") >= 1);
        CHECK(strlen(jstr(nd, "address")) > 0);
        CHECK(strstr(cl, jstr(nd, "client_address")) != NULL);
        leaders += strcmp(jstr(nd, "role"), "leader") == 0;
        CHECK(jint(nd, "term") >= 1 && jint(nd, "commit_index") >= 1);
        CHECK(jint(nd, "applied_index") >= 1);
        CHECK_EQ(strlen(jstr(nd, "state_hash")), 16);
    }
    CHECK_EQ(leaders, 1);
    json_decref(o);
    LEAK_CHECK();
}

static void test_slotctl_errors_and_help(void)
{
    json_t *o;
    char dead[32];
    deadAddr(dead, sizeof dead);
    /* Usage errors: exit 2, still one JSON object. */
    CHECK_EQ(slotctl(&o, dead, "frobnicate", NULL), 2);
    CHECK_STR(jerr(o), "USAGE");
    json_decref(o);
    CHECK_EQ(slotctl(&o, dead, "hold", "onlypool", NULL), 2);
    json_decref(o);
    CHECK_EQ(
        slotctl(&o, dead, "hold", "p", "patient-e1", "--capacity", "3", NULL),
        2);
    json_decref(o);
    CHECK_EQ(slotctl(&o, dead, "show", "hold", "notanumber", NULL), 2);
    json_decref(o);
    CHECK_EQ(slotctl(&o, dead, "pool", "create", "p", NULL),
             2); /* no --capacity */
    json_decref(o);
    CHECK_EQ(slotctl(&o, dead, "--timeout", "0", "pool", "show", "p", NULL), 2);
    json_decref(o);
    /* Invalid input: exit 3, the library's name for it. */
    CHECK_EQ(slotctl(&o, dead, "hold", "bad pool", "patient-e1", NULL), 3);
    CHECK_STR(jerr(o), "INVALID_ARGUMENT");
    json_decref(o);
    CHECK_EQ(slotctl(&o, dead, "hold", "p", "patient-e1", "--channel", "UPPER",
                     NULL),
             3);
    json_decref(o);
    CHECK_EQ(slotctl(&o, "no-port", "status", NULL), 3);
    json_decref(o);
    /* Nothing reachable: exit 5; slotctl status too. */
    CHECK_EQ(slotctl(&o, dead, "--timeout", "300", "show", "ledger", NULL), 5);
    CHECK_STR(jerr(o), "UNAVAILABLE");
    json_decref(o);
    CHECK_EQ(slotctl(&o, dead, "status", NULL), 5);
    CHECK_STR(jerr(o), "UNAVAILABLE");
    json_decref(o);
    /* A node that drops the connection mid-frame: the hold's outcome is
     * unknown, exit 6, and the error names what to query. */
    struct fake f;
    fakeStart(&f, FAKE_HALF_FRAME, true);
    CHECK_EQ(slotctl(&o, f.addr, "--timeout", "300", "hold", "pool-e",
                     "patient-e1", NULL),
             6);
    CHECK_STR(jerr(o), "OUTCOME_UNKNOWN");
    json_t *e = json_object_get(o, "error");
    CHECK_STR(jstr(e, "pool"), "pool-e");
    CHECK_STR(jstr(e, "patient"), "patient-e1");
    json_decref(o);
    CHECK_EQ(
        slotctl(&o, f.addr, "--timeout", "300", "confirm", "77", "ref", NULL),
        6);
    CHECK_EQ(jint(json_object_get(o, "error"), "hold"), 77);
    json_decref(o);
    fakeStop(&f);

    /* --help on every command: exit 0, text on stdout. */
    static const char *const cmds[] = {"status",  "member",  "pool",   "hold",
                                       "confirm", "release", "cancel", "show",
                                       "config",  NULL};
    for (int i = 0; cmds[i] != NULL; i++) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "%s %s --help > /dev/null", g_slotctl,
                 cmds[i]);
        CHECK_EQ(system(cmd), 0);
    }
    char cmd[600];
    snprintf(cmd, sizeof cmd, "%s --help | grep -q 'Exit codes'", g_slotctl);
    CHECK_EQ(system(cmd), 0);
    LEAK_CHECK();
}

static void test_slotctl_membership(void)
{
    static struct tcluster t;
    CHECK_EQ(tcluster_start(&t, 3, 1), 0);
    CHECK_EQ(tcluster_start_node(&t, 3), 0); /* --join: waits to be added */
    json_t *o;
    CHECK_EQ(slotctl(&o, t.cluster, "member", "add", "4", t.member[3], NULL),
             0);
    CHECK(json_is_true(json_object_get(o, "ok")));
    json_decref(o);
    CHECK_EQ(slotctl(&o, t.cluster, "member", "add", "4", t.member[3], NULL),
             3);
    CHECK_STR(jerr(o), "INVALID_ARGUMENT"); /* duplicate id */
    json_decref(o);
    CHECK_EQ(slotctl(&o, t.cluster, "member", "promote", "4", NULL), 0);
    json_decref(o);
    /* Status lists the four members, the new one reachable as well. */
    int reachable = 0;
    long long until = tclock_mono_ms() + 15000;
    while (reachable < 4 && tclock_mono_ms() < until) {
        CHECK_EQ(slotctl(&o, t.cluster, "status", NULL), 0);
        json_t *nodes = json_object_get(o, "nodes");
        CHECK_EQ(json_array_size(nodes), 4);
        reachable = 0;
        for (size_t i = 0; i < 4; i++) {
            const char *role = jstr(json_array_get(nodes, i), "role");
            reachable += strcmp(role, "unreachable") != 0;
        }
        json_decref(o);
        if (reachable < 4) {
            tclock_sleep_ms(100);
        }
    }
    CHECK_EQ(reachable, 4);
    /* raft's membership state: every node has a committed configuration;
     * the promotion returned once committed, so the leader has no change
     * and no promotee pending. */
    CHECK_EQ(slotctl(&o, t.cluster, "status", NULL), 0);
    json_t *all = json_object_get(o, "nodes");
    for (size_t i = 0; i < json_array_size(all); i++) {
        json_t *nd = json_array_get(all, i);
        if (strcmp(jstr(nd, "role"), "unreachable") == 0) {
            continue;
        }
        CHECK(jint(nd, "config_committed_index") >= 1);
        if (strcmp(jstr(nd, "role"), "leader") == 0) {
            CHECK_EQ(jint(nd, "config_uncommitted_index"), 0);
            CHECK_EQ(jint(nd, "promotee_id"), 0);
            CHECK(jint(nd, "config_committed_index") >= 3); /* add, promote */
        }
    }
    json_decref(o);
    /* Leadership moves. */
    CHECK_EQ(slotctl(&o, t.cluster, "status", NULL), 0);
    json_int_t leader = jint(o, "leader");
    json_decref(o);
    char target[8];
    snprintf(target, sizeof target, "%d", leader == 1 ? 2 : 1);
    CHECK_EQ(slotctl(&o, t.cluster, "member", "transfer", target, NULL), 0);
    json_decref(o);
    CHECK_EQ(slotctl(&o, t.cluster, "member", "remove", "4", NULL), 0);
    json_decref(o);
    /* The removal is committed when `member remove` returns, but a
     * follower may apply the new configuration a moment later, and status
     * lists the members one node knows: wait (bounded) until it shows. */
    until = tclock_mono_ms() + 15000;
    while (tclock_mono_ms() < until) {
        CHECK_EQ(slotctl(&o, t.cluster, "status", NULL), 0);
        size_t n = json_array_size(json_object_get(o, "nodes"));
        json_decref(o);
        if (n == 3) {
            break;
        }
        tclock_sleep_ms(100);
    }
    /* A stopped node shows as unreachable. */
    tcluster_signal(&t, 2, SIGKILL);
    CHECK_EQ(slotctl(&o, t.cluster, "status", NULL), 0);
    json_t *nodes = json_object_get(o, "nodes");
    CHECK_EQ(json_array_size(nodes), 3);
    bool saw = false;
    for (size_t i = 0; i < 3; i++) {
        json_t *nd = json_array_get(nodes, i);
        if (jint(nd, "id") == 3) {
            CHECK_STR(jstr(nd, "role"), "unreachable");
            CHECK(json_is_null(json_object_get(nd, "term")));
            CHECK(json_is_null(json_object_get(nd, "promotee_id")));
            saw = true;
        }
    }
    CHECK(saw);
    json_decref(o);
    CHECK_EQ(tcluster_stop(&t), 0);
    LEAK_CHECK();
}

/* ---- main ---------------------------------------------------------------- */

/* ---- host names (a private /etc/hosts: thosts.h) ------------------------- */

/* Three names on three loopback addresses: a node bound to 127.0.0.3 is
 * not reachable at 127.0.0.1, so a client that reaches it resolved the
 * name. "nowhere.campus.test" is in no file and no resolver is asked. */
#define HOSTS_ABC "127.0.0.1 localhost\n" TCLUSTER_CAMPUS_HOSTS

static bool fileHasText(const char *path, const char *text)
{
    char buf[8192];
    FILE *f = fopen(path, "r");
    size_t n = f != NULL ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f != NULL) {
        fclose(f);
    }
    buf[n] = '\0';
    if (strstr(buf, text) == NULL) {
        fprintf(stderr, "%s: no '%s' in: %s\n", path, text, buf);
        return false;
    }
    return true;
}

/* False (and the test skipped, said on stderr) when not root. */
static bool privateHosts(const char *text)
{
    if (geteuid() != 0) {
        fprintf(stderr, "skipped: needs root for a private /etc/hosts\n");
        return false;
    }
    CHECK_EQ(thosts_private(text), 0);
    return true;
}

static void namedCluster(struct tcluster *t, int voters)
{
    struct tcluster_options o;
    tcluster_options_init(&o);
    tcluster_options_campus(&o, voters);
    CHECK_EQ(tcluster_start_opts(t, &o, voters, 0), 0);
}

/* slotd with --raft, --listen and --bootstrap given as names forms a
 * cluster (raft resolves its peers' names); libslot and slotctl reach it
 * by the names. */
static void test_hostnames_cluster(void)
{
    if (!privateHosts(HOSTS_ABC)) {
        return;
    }
    struct tcluster t;
    namedCluster(&t, 3);
    CHECK(strncmp(t.cluster, "slot-a.campus.test:", 19) == 0);
    struct slotc_sync *s = openSync(t.cluster, 10000);
    struct slotc_req req;
    slotc_req_init(&req);
    const char *pool = uniq("names");
    struct slotc_pool_spec sp;
    spec(&sp, pool, 1);
    CHECK_EQ(slotc_sync_pool_create(s, &req, &sp), SLOT_OK);
    CHECK_EQ(slotc_sync_hold(s, &req, pool, "patient-n1", "app", 60000),
             SLOT_OK);
    uint64_t h = req.out.id;
    CHECK_EQ(slotc_sync_confirm(s, &req, h, "pay-n1"), SLOT_OK);
    CHECK_EQ(req.out.visit_no, 1);
    CHECK_EQ(slotc_sync_status(s, &req), SLOT_OK);
    CHECK(strstr(req.out.node, ".campus.test:") != NULL);
    CHECK_EQ(req.out.status->n_members, 3);
    CHECK(strstr(req.out.status->address, ".campus.test:") != NULL);
    slotc_sync_close(s);
    /* Every node, pinned by name. */
    for (int i = 0; i < 3; i++) {
        s = openSync(t.client[i], 5000);
        slotc_req_init(&req);
        req.node = t.client[i];
        CHECK_EQ(slotc_sync_status(s, &req), SLOT_OK);
        CHECK_EQ(req.out.status->id, (uint64_t)i + 1);
        slotc_sync_close(s);
    }
    json_t *o;
    CHECK_EQ(slotctl(&o, t.cluster, "status", NULL), 0);
    CHECK(json_integer_value(json_object_get(o, "leader")) > 0);
    CHECK_EQ(json_array_size(json_object_get(o, "nodes")), 3);
    json_decref(o);
    char hs[24];
    snprintf(hs, sizeof hs, "%llu", (unsigned long long)h);
    CHECK_EQ(slotctl(&o, t.cluster, "show", "hold", hs, NULL), 0);
    CHECK_STR(jstr(o, "pool"), pool);
    json_decref(o);
    CHECK_EQ(tcluster_stop(&t), 0);
}

/* A name that resolves nowhere: libslot says NAME_UNRESOLVED (not
 * UNAVAILABLE), slotctl exits 5 with it, slotd refuses to start naming the
 * option. Bad syntax is refused before any lookup. */
static void test_hostnames_unresolved(void)
{
    if (!privateHosts(HOSTS_ABC)) {
        return;
    }
    struct slotc_sync *s =
        openSync("nowhere.campus.test:7101,nowhere-2.campus.test:7102", 400);
    struct slotc_req req;
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_hold(s, &req, "pool", "patient01", "app", 60000),
             SLOT_NAME_UNRESOLVED);
    CHECK_EQ(slotc_sync_status(s, &req), SLOT_NAME_UNRESOLVED);
    slotc_sync_close(s);
    /* One name resolves (nothing listens there): UNAVAILABLE. */
    char dead[32], list[96];
    deadAddr(dead, sizeof dead);
    snprintf(list, sizeof list, "nowhere.campus.test:7101,%s", dead);
    s = openSync(list, 400);
    CHECK_EQ(slotc_sync_status(s, &req), SLOT_UNAVAILABLE);
    slotc_sync_close(s);

    json_t *o;
    CHECK_EQ(slotctl(&o, "nowhere.campus.test:7101", "--timeout", "400",
                     "status", NULL),
             5);
    CHECK_STR(jerr(o), "NAME_UNRESOLVED");
    json_decref(o);
    CHECK_EQ(slotctl(&o, "nowhere.campus.test:7101", "--timeout", "400", "show",
                     "hold", "1", NULL),
             5);
    CHECK_STR(jerr(o), "NAME_UNRESOLVED");
    json_decref(o);
    CHECK_EQ(slotctl(&o, "slot_a:7101", "status", NULL), 3);
    CHECK_STR(jerr(o), "INVALID_ARGUMENT");
    CHECK(strstr(jstr(json_object_get(o, "error"), "message"),
                 "--cluster 'slot_a:7101'") != NULL);
    json_decref(o);

    /* slotd: each address option, unresolvable, is refused at start with
     * a message naming it, and nothing is written. */
    struct tcluster t;
    namedCluster(&t, 1);
    char dir[400], log[400], raft[64], listen[64];
    snprintf(raft, sizeof raft, "slot-b.campus.test:%d", t.raft_port[0]);
    snprintf(listen, sizeof listen, "slot-b.campus.test:%d", t.client_port[0]);
    static const struct {
        int which; /* 0 --raft, 1 --listen, 2 --bootstrap */
        const char *says;
    } cases_[] = {
        {0, "--raft 'nowhere.campus.test:"},
        {1, "--listen 'nowhere.campus.test:"},
        {2, "--bootstrap 'nowhere.campus.test:"},
    };
    for (int k = 0; k < 3; k++) {
        snprintf(dir, sizeof dir, "%s/bad%d", t.dir, k);
        snprintf(log, sizeof log, "%s/bad%d.log", t.dir, k);
        char bad[64], boot[200];
        snprintf(bad, sizeof bad, "nowhere.campus.test:%d",
                 k == 1 ? t.client_port[0] : t.raft_port[0]);
        snprintf(boot, sizeof boot, "1=%s,2=%s", k == 0 ? bad : raft,
                 k == 2 ? bad : raft);
        char *argv[] = {t.slotd,
                        "--id",
                        "1",
                        "--dir",
                        dir,
                        "--raft",
                        k == 0 ? bad : raft,
                        "--listen",
                        k == 1 ? bad : listen,
                        "--bootstrap",
                        boot,
                        NULL};
        struct proc p;
        CHECK_EQ(proc_spawn(&p, "slotd-bad", argv, log), 0);
        for (int i = 0; i < 500 && !proc_exited(&p); i++) {
            tclock_sleep_ms(20);
        }
        CHECK(p.reaped && WIFEXITED(p.status) && WEXITSTATUS(p.status) == 2);
        CHECK(fileHasText(log, cases_[k].says));
        CHECK(fileHasText(log, "Name or service not known") ||
              fileHasText(log, "no IPv4 address"));
        CHECK(access(dir, F_OK) != 0);
    }
    CHECK_EQ(tcluster_stop(&t), 0);
}

/* A node moves: its name pointed at 127.0.0.6, the node is stopped, the
 * name now says 127.0.0.7 and the node starts again there. The same open
 * client reaches it, because it resolves the name on every reconnect (a
 * cached 127.0.0.6 would be refused until the deadline: UNAVAILABLE). */
static void test_hostnames_node_moves(void)
{
    if (!privateHosts("127.0.0.1 localhost\n127.0.0.6 slot-m.campus.test\n")) {
        return;
    }
    struct tcluster_options to;
    tcluster_options_init(&to);
    to.host[0] = "slot-m.campus.test";
    struct tcluster t;
    CHECK_EQ(tcluster_start_opts(&t, &to, 1, 0), 0);
    struct slotc_sync *s = openSync(t.cluster, 10000);
    struct slotc_req req;
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_status(s, &req), SLOT_OK);
    CHECK_EQ(req.out.status->id, 1);
    tcluster_signal(&t, 0, SIGTERM);
    CHECK_EQ(thosts_set("127.0.0.1 localhost\n127.0.0.7 slot-m.campus.test\n"),
             0);
    CHECK_EQ(tcluster_start_node(&t, 0), 0);
    CHECK_EQ(tcluster_leader(&t, 15000), 0);
    /* Nothing listens on the old address any more. */
    char old[64];
    snprintf(old, sizeof old, "127.0.0.6:%d", t.client_port[0]);
    struct slot_node_status st;
    CHECK(tcluster_status(old, 300, &st) != SLOT_OK);
    CHECK_EQ(slotc_sync_status(s, &req), SLOT_OK);
    CHECK_EQ(req.out.status->id, 1);
    const char *pool = uniq("moved");
    struct slotc_pool_spec sp;
    spec(&sp, pool, 1);
    CHECK_EQ(slotc_sync_pool_create(s, &req, &sp), SLOT_OK);
    slotc_sync_close(s);
    CHECK_EQ(tcluster_stop(&t), 0);
}

/* raft's side of a move: a follower's name moves from 127.0.0.x to
 * 127.0.0.5 while it restarts (its --raft binds there); the other nodes
 * keep only the name in the configuration and reach it at the new address
 * (raft 0.22.1's transport resolves on every connection attempt), so it
 * applies an entry written after the move. */
static void test_hostnames_raft_peer_moves(void)
{
    if (!privateHosts(HOSTS_ABC)) {
        return;
    }
    struct tcluster t;
    namedCluster(&t, 3);
    int leader = tcluster_leader(&t, 15000);
    CHECK(leader >= 0);
    int m = (leader + 1) % 3;
    tcluster_signal(&t, m, SIGTERM);
    char hosts[400];
    int n = snprintf(hosts, sizeof hosts, "127.0.0.1 localhost\n");
    for (int i = 0; i < 3; i++) {
        n += snprintf(hosts + n, sizeof hosts - (size_t)n, "127.0.0.%d %s\n",
                      i == m ? 5 : i + 2, tcluster_campus_names[i]);
    }
    CHECK_EQ(thosts_set(hosts), 0);
    CHECK_EQ(tcluster_start_node(&t, m), 0);
    struct slotc_sync *s = openSync(t.cluster, 10000);
    struct slotc_req req;
    slotc_req_init(&req);
    const char *pool = uniq("raftmove");
    struct slotc_pool_spec sp;
    spec(&sp, pool, 1);
    CHECK_EQ(slotc_sync_pool_create(s, &req, &sp), SLOT_OK);
    uint64_t index = req.out.index;
    slotc_sync_close(s);
    /* Asked at its new address itself. Bounded: 300 polls, each answered
     * or timed out within 500 ms. */
    char moved[32];
    snprintf(moved, sizeof moved, "127.0.0.5:%d", t.client_port[m]);
    bool caught_up = false;
    struct slot_node_status st;
    for (int i = 0; i < 300 && !caught_up; i++) {
        caught_up = tcluster_status(moved, 500, &st) == SLOT_OK &&
                    st.applied_index >= index;
        if (!caught_up) {
            tclock_sleep_ms(50);
        }
    }
    CHECK(caught_up);
    CHECK_EQ(tcluster_stop(&t), 0);
}

/* Membership by name: a node joins as "slot-d.campus.test" (slotctl
 * member add/promote with names), and when removed it is told so by the
 * leader at its client name (resolved with uv_getaddrinfo) and stops by
 * itself. A malformed member address is a usage error naming the part. */
static void test_hostnames_membership(void)
{
    if (!privateHosts(HOSTS_ABC "127.0.0.5 slot-d.campus.test\n")) {
        return;
    }
    struct tcluster_options to;
    tcluster_options_init(&to);
    tcluster_options_campus(&to, 3);
    to.host[3] = "slot-d.campus.test";
    static struct tcluster t;
    CHECK_EQ(tcluster_start_opts(&t, &to, 3, 1), 0);
    CHECK_EQ(tcluster_start_node(&t, 3), 0);
    json_t *o;
    CHECK_EQ(slotctl(&o, t.cluster, "member", "add", "4",
                     "slot_d:1/slot-d.campus.test:2", NULL),
             2);
    CHECK(strstr(jstr(json_object_get(o, "error"), "message"),
                 "member address (raft part) 'slot_d:1'") != NULL);
    json_decref(o);
    CHECK(strncmp(t.member[3], "slot-d.campus.test:", 19) == 0);
    CHECK_EQ(slotctl(&o, t.cluster, "member", "add", "4", t.member[3], NULL),
             0);
    json_decref(o);
    CHECK_EQ(slotctl(&o, t.cluster, "member", "promote", "4", NULL), 0);
    json_decref(o);
    int reachable = 0;
    for (int round = 0; round < 150 && reachable < 4; round++) {
        CHECK_EQ(slotctl(&o, t.cluster, "status", NULL), 0);
        json_t *nodes = json_object_get(o, "nodes");
        reachable = 0;
        for (size_t i = 0; i < json_array_size(nodes); i++) {
            const char *role = jstr(json_array_get(nodes, i), "role");
            reachable += strcmp(role, "unreachable") != 0;
        }
        json_decref(o);
        if (reachable < 4) {
            tclock_sleep_ms(100);
        }
    }
    CHECK_EQ(reachable, 4);
    CHECK_EQ(slotctl(&o, t.cluster, "member", "remove", "4", NULL), 0);
    json_decref(o);
    /* Told at slot-d.campus.test's client port, it stops (bounded). */
    for (int i = 0; i < 750 && !proc_exited(&t.node[3]); i++) {
        tclock_sleep_ms(20);
    }
    CHECK(proc_exited(&t.node[3]));
    CHECK(WIFEXITED(t.node[3].status) && WEXITSTATUS(t.node[3].status) == 0);
    CHECK(fileHasText(t.node[3].log, "removed from the cluster"));
    CHECK_EQ(tcluster_stop(&t), 0);
}

static const struct check_case cases[] = {
    {"open_errors", test_open_errors},
    {"validation", test_validation},
    {"unreachable", test_unreachable},
    {"mid_frame_close", test_mid_frame_close},
    {"deadline_silent_node", test_deadline_silent_node},
    {"attempt_timeout", test_attempt_timeout},
    {"busy_fails", test_busy_fails},
    {"admin_executed_flag", test_admin_executed_flag},
    {"cmd_executed_flag", test_cmd_executed_flag},
    {"ops", test_ops},
    {"no_hash", test_no_hash},
    {"idempotency_keys", test_idempotency_keys},
    {"stale_and_pinned", test_stale_and_pinned},
    {"follow_leader_hint", test_follow_leader_hint},
    {"pipeline_sessions", test_pipeline_sessions},
    {"queue_full_and_close", test_queue_full_and_close},
    {"callback_reentry", test_callback_reentry},
    {"leader_killed_mid_booking", test_leader_killed_mid_booking},
    {"no_quorum_deadline_then_all_down", test_no_quorum_deadline_then_all_down},
    {"slotctl_commands", test_slotctl_commands},
    {"slotctl_errors_and_help", test_slotctl_errors_and_help},
    {"slotctl_membership", test_slotctl_membership},
    {"leader_stalls", test_leader_stalls},
    {"hostnames_cluster", test_hostnames_cluster},
    {"hostnames_unresolved", test_hostnames_unresolved},
    {"hostnames_node_moves", test_hostnames_node_moves},
    {"hostnames_raft_peer_moves", test_hostnames_raft_peer_moves},
    {"hostnames_membership", test_hostnames_membership},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    char exe[400];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    snprintf(g_slotctl, sizeof g_slotctl, "%s/slotctl", dirname(exe));
    if (access(g_slotctl, X_OK) != 0) {
        fprintf(stderr, "warning: %s not found (slotctl tests will fail)\n",
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
