/* Unit tests of slotd's metrics module (node/metrics.h): the request
 * parser, the exposition (parsed back by a strict parser, promparse.h),
 * the hot pool windows, and the server on a real loop (bounded
 * connections, 200/404/400 and close).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "metrics.h"
#include "proc.h"
#include "promparse.h"
#include "tclock.h"

static enum metrics_parse parse(const char *s)
{
    return metrics_parse_request(s, strlen(s));
}

static void test_parse_ok(void)
{
    CHECK_EQ(parse("GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n"),
             METRICS_PARSE_METRICS);
    CHECK_EQ(parse("GET /metrics HTTP/1.0\r\n\r\n"), METRICS_PARSE_METRICS);
    CHECK_EQ(parse("GET /metrics?x=1 HTTP/1.1\r\nAccept: */*\r\n"
                   "User-Agent: Prometheus/2.45\r\nContent-Length: 0\r\n\r\n"),
             METRICS_PARSE_METRICS);
    /* Not finished yet: more bytes may come. */
    CHECK_EQ(parse(""), METRICS_PARSE_MORE);
    CHECK_EQ(parse("GET /metr"), METRICS_PARSE_MORE);
    CHECK_EQ(parse("GET /metrics HTTP/1.1\r\nHost: a\r\n"), METRICS_PARSE_MORE);
}

static void test_parse_not_found(void)
{
    CHECK_EQ(parse("GET / HTTP/1.1\r\n\r\n"), METRICS_PARSE_NOT_FOUND);
    CHECK_EQ(parse("GET /metricsx HTTP/1.1\r\n\r\n"), METRICS_PARSE_NOT_FOUND);
    CHECK_EQ(parse("GET /metric HTTP/1.1\r\n\r\n"), METRICS_PARSE_NOT_FOUND);
    CHECK_EQ(parse("POST /metrics HTTP/1.1\r\n\r\n"), METRICS_PARSE_NOT_FOUND);
    CHECK_EQ(parse("HEAD /metrics HTTP/1.1\r\n\r\n"), METRICS_PARSE_NOT_FOUND);
}

static void test_parse_malformed(void)
{
    static const char *const bad[] = {
        "GARBAGE\r\n\r\n",
        "GET /metrics\r\n\r\n",
        "get /metrics HTTP/1.1\r\n\r\n",
        "GET  /metrics HTTP/1.1\r\n\r\n",
        "GET metrics HTTP/1.1\r\n\r\n",
        "GET /metrics HTTP/2.0\r\n\r\n",
        "GET /metrics HTTP/1.2\r\n\r\n",
        "GET /metrics HTTP/1.1 \r\n\r\n",
        "GET /metrics HTTP/1.1\r\nNoColon\r\n\r\n",
        "GET /metrics HTTP/1.1\r\n: empty name\r\n\r\n",
        "GET /metrics HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
        "GET /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
        "GET /metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
        "GET /metrics HTTP/1.1\r\nHost: a\rb\r\n\r\n",
        "GET /metrics HTTP/1.1\nHost: a\n\n",
        "GET /metrics HTTP/1.1\r\nHost: a\nX: b\r\n\r\n",
        "GET /met\x01rics HTTP/1.1\r\n\r\n",
        "GETTINGVERYLONGMETHOD /metrics HTTP/1.1\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (parse(bad[i]) != METRICS_PARSE_BAD) {
            fprintf(stderr, "accepted: %s\n", bad[i]);
            CHECK(0);
        }
    }
    /* A NUL is malformed even before the head ends. */
    CHECK_EQ(metrics_parse_request("GET /\0", 6), METRICS_PARSE_BAD);
}

static void test_parse_oversized(void)
{
    static char buf[METRICS_REQUEST_MAX + 16];
    int n = snprintf(buf, sizeof buf, "GET /metrics HTTP/1.1\r\nX: ");
    memset(buf + n, 'a', sizeof buf - (size_t)n);
    /* Just below the bound, no end yet: wait for more. */
    CHECK_EQ(metrics_parse_request(buf, METRICS_REQUEST_MAX - 1),
             METRICS_PARSE_MORE);
    CHECK_EQ(metrics_parse_request(buf, METRICS_REQUEST_MAX),
             METRICS_PARSE_BAD);
    CHECK_EQ(metrics_parse_request(buf, sizeof buf), METRICS_PARSE_BAD);
    /* A whole head of exactly the bound is fine. */
    memcpy(buf + METRICS_REQUEST_MAX - 4, "\r\n\r\n", 4);
    CHECK_EQ(metrics_parse_request(buf, METRICS_REQUEST_MAX),
             METRICS_PARSE_METRICS);
}

static struct prom_doc doc;

static void renderParsed(struct metrics_values *v, uint32_t hot_n,
                         uint64_t now_ms)
{
    struct mp_buf out;
    mp_buf_init(&out);
    metrics_render(v, hot_n, now_ms, 3, &out);
    char why[200] = "";
    int rc = prom_parse((const char *)out.data, out.len, &doc, why, sizeof why);
    if (rc != 0) {
        fprintf(stderr, "%s\n%.*s\n", why, (int)out.len, (char *)out.data);
    }
    CHECK_EQ(rc, 0);
    mp_buf_free(&out);
}

static void test_render(void)
{
    static struct metrics_rec rec;
    struct metrics_values v;
    memset(&v, 0, sizeof v);
    v.role = METRICS_ROLE_LEADER;
    v.leader_id = 2;
    v.term = 7;
    v.commit = 120;
    v.applied = 118;
    v.last = 121;
    v.entries = 100;
    v.commands = 2500;
    v.busy = 4;
    v.not_leader = 9;
    v.overdue_s = 1.5;
    v.ledger.pools = 12;
    v.ledger.holds_active = 5;
    v.events_held = 77;
    v.rec = &rec;
    metrics_rec_seconds(&rec.apply_us, 30);   /* <= 50 us */
    metrics_rec_seconds(&rec.apply_us, 3000); /* <= 5 ms */
    metrics_rec_commands(&rec.entry_cmds, 3);
    metrics_rec_seconds(&rec.disk_us[METRICS_DISK_APPEND], 1200);
    rec.snapshot_failures = 2;
    renderParsed(&v, 10, 1000000);
    CHECK_EQ(prom_get(&doc, "slotd_role{role=\"leader\"}"), 1.0);
    CHECK_EQ(prom_get(&doc, "slotd_role{role=\"follower\"}"), 0.0);
    CHECK_EQ(prom_get(&doc, "slotd_raft_term"), 7.0);
    CHECK_EQ(prom_get(&doc, "slotd_raft_commit_index"), 120.0);
    CHECK_EQ(prom_get(&doc, "slotd_raft_applied_index"), 118.0);
    CHECK_EQ(prom_get(&doc, "slotd_raft_last_index"), 121.0);
    CHECK_EQ(prom_get(&doc, "slotd_raft_leader_id"), 2.0);
    CHECK_EQ(prom_get(&doc, "slotd_commands_applied_total"), 2500.0);
    CHECK_EQ(prom_get(&doc, "slotd_refused_busy_total"), 4.0);
    CHECK_EQ(prom_get(&doc, "slotd_refused_not_leader_total"), 9.0);
    CHECK_EQ(prom_get(&doc, "slotd_expiry_overdue_seconds"), 1.5);
    CHECK_EQ(prom_get(&doc, "slotd_ledger_pools"), 12.0);
    CHECK_EQ(prom_get(&doc, "slotd_ledger_holds_active"), 5.0);
    CHECK_EQ(prom_get(&doc, "slotd_ledger_events_held"), 77.0);
    CHECK_EQ(prom_get(&doc, "slotd_snapshot_failures_total"), 2.0);
    CHECK_EQ(prom_get(&doc, "slotd_metrics_refused_total"), 3.0);
    /* Buckets are cumulative, in seconds. */
    CHECK_EQ(
        prom_get(&doc, "slotd_apply_duration_seconds_bucket{le=\"5e-05\"}"),
        1.0);
    CHECK_EQ(
        prom_get(&doc, "slotd_apply_duration_seconds_bucket{le=\"0.005\"}"),
        2.0);
    CHECK_EQ(prom_get(&doc, "slotd_apply_duration_seconds_bucket{le=\"+Inf\"}"),
             2.0);
    CHECK_EQ(prom_get(&doc, "slotd_apply_duration_seconds_count"), 2.0);
    CHECK(fabs(prom_get(&doc, "slotd_apply_duration_seconds_sum") - 0.00303) <
          1e-9);
    CHECK_EQ(prom_get(&doc, "slotd_entry_commands_bucket{le=\"2\"}"), 0.0);
    CHECK_EQ(prom_get(&doc, "slotd_entry_commands_bucket{le=\"4\"}"), 1.0);
    CHECK_EQ(prom_get(&doc, "slotd_disk_write_duration_seconds_count{op="
                            "\"append\"}"),
             1.0);
    /* Every name of the list is declared, and nothing else is. */
    CHECK_EQ(doc.n_families, METRICS_COUNT);
    for (int i = 0; i < METRICS_COUNT; i++) {
        CHECK_STR(doc.family[i], metrics_name((enum metrics_id)i));
    }
    /* Without the node's records: still complete, zero histograms. */
    v.rec = NULL;
    renderParsed(&v, 10, 1000000);
    CHECK_EQ(prom_get(&doc, "slotd_apply_duration_seconds_count"), 0.0);
}

/* The strict parser itself must refuse what the format forbids, or the
 * checks above prove nothing. */
static void test_promparse_strict(void)
{
    static const char *const bad[] = {
        "x 1\n",                                 /* no TYPE */
        "# TYPE x gauge\nx 1",                   /* no final newline */
        "# TYPE x gauge\nx{a=\"b} 1\n",          /* open quote */
        "# TYPE x gauge\nx{a=b} 1\n",            /* unquoted */
        "# TYPE x gauge\nx one\n",               /* value */
        "# TYPE x gauge\n# TYPE x gauge\nx 1\n", /* repeated TYPE */
        "# TYPE x gauge\n# TYPE y gauge\nx 1\n", /* not under TYPE */
        "# TYPE h histogram\nh 1\n",             /* bare histogram */
        "# TYPE h histogram\nh_bucket 1\n",      /* bucket without le */
        "# TYPE x gauge\nx{a=\"\\q\"} 1\n",      /* bad escape */
        "# TYPE x sometype\nx 1\n",              /* type */
    };
    char why[200];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (prom_parse(bad[i], strlen(bad[i]), &doc, why, sizeof why) == 0) {
            fprintf(stderr, "accepted: %s\n", bad[i]);
            CHECK(0);
        }
    }
    const char *good = "# HELP x a\n# TYPE x gauge\nx{a=\"q\\\"\"} 1.5 123\n"
                       "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\n"
                       "h_sum 1\nh_count 2\n";
    CHECK_EQ(prom_parse(good, strlen(good), &doc, why, sizeof why), 0);
    CHECK_EQ(prom_get(&doc, "x{a=\"q\\\"\"}"), 1.5);
}

static void test_hot_pools(void)
{
    static struct metrics_rec rec;
    struct metrics_values v;
    memset(&v, 0, sizeof v);
    v.rec = &rec;
    uint64_t t = 50000;
    /* pool-k gets k holds, k = 1..15; a label needing escapes too. */
    for (int k = 1; k <= 15; k++) {
        char pool[32];
        int len = snprintf(pool, sizeof pool, "h/dep/pool-%02d", k);
        for (int i = 0; i < k; i++) {
            metrics_rec_hold(&rec, pool, (uint32_t)len, t);
        }
    }
    renderParsed(&v, 3, t + 1);
    CHECK_EQ(prom_get(&doc, "slotd_hot_pool_holds{pool=\"h/dep/pool-15\"}"),
             15.0);
    CHECK_EQ(prom_get(&doc, "slotd_hot_pool_holds{pool=\"h/dep/pool-14\"}"),
             14.0);
    CHECK_EQ(prom_get(&doc, "slotd_hot_pool_holds{pool=\"h/dep/pool-13\"}"),
             13.0);
    CHECK(
        isnan(prom_get(&doc, "slotd_hot_pool_holds{pool=\"h/dep/pool-12\"}")));
    /* The next window adds to the previous one. */
    t += METRICS_HOT_WINDOW_MS;
    metrics_rec_hold(&rec, "h/dep/pool-01", 13, t);
    renderParsed(&v, 100, t);
    CHECK_EQ(prom_get(&doc, "slotd_hot_pool_holds{pool=\"h/dep/pool-01\"}"),
             2.0);
    CHECK_EQ(prom_get(&doc, "slotd_hot_pool_holds{pool=\"h/dep/pool-07\"}"),
             7.0);
    /* One window later the first one is gone. */
    t += METRICS_HOT_WINDOW_MS;
    renderParsed(&v, 100, t);
    CHECK_EQ(prom_get(&doc, "slotd_hot_pool_holds{pool=\"h/dep/pool-01\"}"),
             1.0);
    CHECK(
        isnan(prom_get(&doc, "slotd_hot_pool_holds{pool=\"h/dep/pool-07\"}")));
    /* Two idle windows: nothing. */
    t += 2 * METRICS_HOT_WINDOW_MS;
    renderParsed(&v, 100, t);
    CHECK(
        isnan(prom_get(&doc, "slotd_hot_pool_holds{pool=\"h/dep/pool-01\"}")));
    /* Beyond the table: counted, never grown. */
    for (int k = 0; k < 3 * METRICS_HOT_SLOTS; k++) {
        char pool[32];
        int len = snprintf(pool, sizeof pool, "p%d", k);
        metrics_rec_hold(&rec, pool, (uint32_t)len, t);
    }
    CHECK(rec.hot_untracked >= 2 * METRICS_HOT_SLOTS);
    renderParsed(&v, 100, t);
    int listed = 0;
    for (int i = 0; i < doc.n; i++) {
        listed += strncmp(doc.s[i].series, "slotd_hot_pool_holds{", 21) == 0;
    }
    CHECK_EQ(listed, 100);
}

/* ---- the server on a real loop ---------------------------------------- */

static void collect(void *data, struct metrics_values *v)
{
    (void)data;
    v->role = METRICS_ROLE_FOLLOWER;
    v->term = 3;
}

static int connectTo(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK_EQ(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

/* Runs the loop until fd is closed by the server (EOF) or 5 s pass;
 * returns what was read (NUL-terminated, cut at cap - 1). */
static size_t drain(uv_loop_t *loop, int fd, char *out, size_t cap)
{
    size_t n = 0;
    long long until = tclock_mono_ms() + 5000;
    while (tclock_mono_ms() < until) {
        uv_run(loop, UV_RUN_NOWAIT);
        char buf[4096];
        ssize_t r = read(fd, buf, sizeof buf);
        if (r == 0) {
            break;
        }
        if (r > 0) {
            size_t k = (size_t)r < cap - 1 - n ? (size_t)r : cap - 1 - n;
            memcpy(out + n, buf, k);
            n += k;
        } else {
            tclock_sleep_ms(1);
        }
    }
    out[n] = '\0';
    return n;
}

static void stopped(void *data)
{
    (*(int *)data)++;
}

static void test_server(void)
{
    uv_loop_t loop;
    CHECK_EQ(uv_loop_init(&loop), 0);
    int port;
    CHECK_EQ(proc_free_ports(&port, 1), 0);
    char addr[32], err[128];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    struct metrics_server *s;
    CHECK_EQ(metrics_start(&loop, addr, 10, collect, NULL, &s, err, sizeof err),
             0);
    static char resp[1 << 16];

    int fd = connectTo(port);
    const char *get = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    CHECK(write(fd, get, strlen(get)) == (ssize_t)strlen(get));
    drain(&loop, fd, resp, sizeof resp);
    close(fd);
    CHECK(strncmp(resp, "HTTP/1.1 200 OK\r\n", 17) == 0);
    CHECK(strstr(resp, "Content-Type: text/plain; version=0.0.4") != NULL);
    const char *body = strstr(resp, "\r\n\r\n");
    CHECK(body != NULL);
    body += 4;
    char why[200] = "";
    CHECK_EQ(prom_parse(body, strlen(body), &doc, why, sizeof why), 0);
    CHECK_EQ(prom_get(&doc, "slotd_raft_term"), 3.0);

    fd = connectTo(port);
    const char *other = "GET /nope HTTP/1.1\r\n\r\n";
    CHECK(write(fd, other, strlen(other)) == (ssize_t)strlen(other));
    drain(&loop, fd, resp, sizeof resp);
    close(fd);
    CHECK(strncmp(resp, "HTTP/1.1 404 ", 13) == 0);

    /* Oversized: 400 and closed, though the client is still sending. */
    fd = connectTo(port);
    static char big[METRICS_REQUEST_MAX + 100];
    memset(big, 'a', sizeof big);
    memcpy(big, "GET /metrics HTTP/1.1\r\nX: ", 26);
    size_t sent = 0;
    for (int i = 0; i < 1000 && sent < sizeof big; i++) {
        ssize_t w = write(fd, big + sent, sizeof big - sent);
        sent += w > 0 ? (size_t)w : 0;
        uv_run(&loop, UV_RUN_NOWAIT);
    }
    drain(&loop, fd, resp, sizeof resp);
    close(fd);
    CHECK(strncmp(resp, "HTTP/1.1 400 ", 13) == 0);

    /* Bounded connections: 16 idle ones hold every slot; the next is
     * accepted and closed at once, and counted. */
    int idle[METRICS_CONNS_MAX];
    for (int i = 0; i < METRICS_CONNS_MAX; i++) {
        idle[i] = connectTo(port);
        uv_run(&loop, UV_RUN_NOWAIT);
    }
    fd = connectTo(port);
    size_t got = drain(&loop, fd, resp, sizeof resp);
    close(fd);
    CHECK_EQ(got, 0);
    /* A slot freed: served again, and the refusal shows. */
    close(idle[0]);
    for (int i = 0; i < 50; i++) {
        uv_run(&loop, UV_RUN_NOWAIT);
        tclock_sleep_ms(2);
    }
    fd = connectTo(port);
    CHECK(write(fd, get, strlen(get)) == (ssize_t)strlen(get));
    drain(&loop, fd, resp, sizeof resp);
    close(fd);
    CHECK(strncmp(resp, "HTTP/1.1 200 OK\r\n", 17) == 0);
    CHECK(strstr(resp, "\nslotd_metrics_refused_total 1\n") != NULL);
    for (int i = 1; i < METRICS_CONNS_MAX; i++) {
        close(idle[i]);
    }
    int stops = 0;
    metrics_stop(s, stopped, &stops);
    for (int i = 0; i < 1000 && stops == 0; i++) {
        uv_run(&loop, UV_RUN_NOWAIT);
    }
    CHECK_EQ(stops, 1);
    metrics_free(s);
    CHECK_EQ(uv_loop_close(&loop), 0);
}

static const struct check_case cases[] = {
    {"parse_ok", test_parse_ok},
    {"parse_not_found", test_parse_not_found},
    {"parse_malformed", test_parse_malformed},
    {"parse_oversized", test_parse_oversized},
    {"render", test_render},
    {"promparse_strict", test_promparse_strict},
    {"hot_pools", test_hot_pools},
    {"server", test_server},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return check_main(cases, argc, argv);
}
