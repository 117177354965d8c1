/* Process-level tests of slotd: a real cluster of slotd processes on
 * 127.0.0.1 (client/test/cluster.h starts them on free ports), driven
 * through libslot's blocking API.
 *
 * What each test shows:
 *   elect_and_book      a leader is elected; bookings replicate; every
 *                       node converges to the same state hash.
 *   kill_leader         SIGKILL of the leader in the middle of a stream of
 *                       bookings: a new leader takes over, every request
 *                       either succeeded once or reported OUTCOME_UNKNOWN
 *                       and is resolved by a query, the killed node
 *                       rejoins, all hashes agree, no acknowledged booking
 *                       is lost and nothing is booked twice.
 *   restart_all         a clean SIGTERM of all three nodes and a restart:
 *                       the same state hash, every booking still there.
 *   expiry_idle         the leader expires a due hold on an idle cluster.
 *   membership          add a fourth node, promote it, transfer leadership
 *                       to it, remove another node (which then stops).
 *   snapshot_install    with tiny snapshot thresholds, a follower that was
 *                       down while the leader compacted its log catches up
 *                       through InstallSnapshot over TCP (LZ4 snapshot,
 *                       verified on restore) and converges; the leader's
 *                       snapshots were encoded by forked children.
 *   metrics             every node serves /metrics (slotd --metrics): the
 *                       text parses strictly (promparse.h), exactly one
 *                       node reports role leader, commit and applied
 *                       indexes advance on every node after bookings, a
 *                       command sent to a follower counts in its
 *                       slotd_refused_not_leader_total, and other paths
 *                       get 404, a malformed request 400.
 * Timings (failover, expiry delay) are printed, never asserted tightly:
 * performance belongs to the benchmarks.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libslot.h"
#include "tcluster.h"
#include "check.h"
#include "tclock.h"
#include "promparse.h"

#define CONVERGE_MS 15000
#define BOOKINGS    120

static struct slotc_sync *clientOf(const char *cluster, uint32_t timeout_ms)
{
    struct slotc_options o;
    struct slotc_sync *s = NULL;
    slotc_options_init(&o);
    o.cluster = cluster;
    o.timeout_ms = timeout_ms;
    CHECK_EQ(slotc_sync_open(&o, &s), SLOT_OK);
    return s;
}

static void startCluster(struct tcluster *t, int voters, int spares)
{
    signal(SIGPIPE, SIG_IGN);
    CHECK(tcluster_start(t, voters, spares) == 0);
}

static void mkpool(struct slotc_sync *s, const char *pool, uint32_t capacity)
{
    struct slotc_req req;
    struct slotc_pool_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.pool = pool;
    spec.capacity = capacity;
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_pool_create(s, &req, &spec), SLOT_OK);
}

/* One node's status, asked of that node only; NULL if it does not answer. */
static const struct slotc_node_status *statusOf(struct slotc_sync *s,
                                                const char *node)
{
    struct slotc_req req;
    slotc_req_init(&req);
    req.node = node;
    req.timeout_ms = 1000;
    if (slotc_sync_status(s, &req) != SLOT_OK) {
        return NULL;
    }
    return req.out.status;
}

/* Waits until every running node reports the same applied index and state
 * hash; returns that hash. */
/* Waits until every running node has applied the same entries, at least
 * min_applied of them (nodes that just restarted may agree on an older
 * state until the new leader's first commit tells them the commit index),
 * and returns their state hash; *applied_out (if non-NULL) gets the index. */
static uint64_t convergeAt(struct tcluster *t, struct slotc_sync *s,
                           uint64_t min_applied, uint64_t *applied_out)
{
    uint64_t deadline = (uint64_t)tclock_mono_ms() + CONVERGE_MS;
    while ((uint64_t)tclock_mono_ms() < deadline) {
        uint64_t hash = 0, applied = 0;
        bool same = true, first = true;
        for (int i = 0; i < t->n && same; i++) {
            if (t->node[i].pid == 0) {
                continue;
            }
            const struct slotc_node_status *st = statusOf(s, t->client[i]);
            if (st == NULL) {
                same = false;
                break;
            }
            if (first) {
                hash = st->state_hash;
                applied = st->applied_index;
                first = false;
            } else if (st->state_hash != hash || st->applied_index != applied) {
                same = false;
            }
        }
        if (same && !first && applied >= min_applied) {
            if (applied_out != NULL) {
                *applied_out = applied;
            }
            return hash;
        }
        tclock_sleep_ms(100);
    }
    fprintf(stderr, "nodes did not converge within %d ms\n", CONVERGE_MS);
    CHECK(0);
    return 0;
}

static uint64_t converge(struct tcluster *t, struct slotc_sync *s)
{
    return convergeAt(t, s, 0, NULL);
}

/* The claim for a patient in a pool as the leader sees it, or 0. */
static uint64_t claimOf(struct slotc_sync *s, const char *pool,
                        const char *patient, int *state)
{
    struct slotc_req req;
    slotc_req_init(&req);
    int rc = slotc_sync_read_patient(s, &req, pool, patient);
    CHECK_EQ(rc, SLOT_OK);
    if (req.out.n_claims == 0) {
        return 0;
    }
    *state = req.out.claims[0].state;
    return req.out.claims[0].id;
}

/* Confirms hold until it is booked: OK, or ALREADY_CONFIRMED after an
 * earlier attempt whose answer was lost. An OUTCOME_UNKNOWN is resolved by
 * reading the claim (the only honest way). Any other answer fails the
 * test. */
static void confirmUntilBooked(struct slotc_sync *s, uint64_t hold,
                               int *unknowns)
{
    for (int attempt = 0; attempt < 3; attempt++) {
        struct slotc_req req;
        slotc_req_init(&req);
        int rc = slotc_sync_confirm(s, &req, hold, "pay-test");
        if (rc == SLOT_OK) {
            CHECK_EQ(req.out.id, hold);
            return;
        }
        if (rc != SLOT_OUTCOME_UNKNOWN && rc != SLOT_ALREADY_CONFIRMED) {
            fprintf(stderr, "confirm %llu: %s\n", (unsigned long long)hold,
                    slot_err_name(rc));
            CHECK(0);
        }
        *unknowns += rc == SLOT_OUTCOME_UNKNOWN;
        slotc_req_init(&req);
        CHECK_EQ(slotc_sync_read_hold(s, &req, hold), SLOT_OK);
        if (req.out.claims[0].state == SLOTC_CLAIM_BOOKED) {
            return;
        }
        CHECK_EQ(req.out.claims[0].state, SLOTC_CLAIM_HELD);
    }
    fprintf(stderr, "confirm %llu: not booked after 3 attempts\n",
            (unsigned long long)hold);
    CHECK(0);
}

/* Holds and confirms a slot for one patient and returns the booking id.
 * The pools these tests use never sell out and the client's deadline
 * outlasts a failover, so every booking must succeed: an OUTCOME_UNKNOWN
 * is resolved by reading the ledger (a hold that never happened is tried
 * again, at most 3 times); any other answer fails the test. */
static uint64_t book(struct slotc_sync *s, const char *pool,
                     const char *patient, int *unknowns)
{
    for (int attempt = 0; attempt < 3; attempt++) {
        struct slotc_req req;
        slotc_req_init(&req);
        int rc = slotc_sync_hold(s, &req, pool, patient, "app", 60000);
        uint64_t hold = req.out.id;
        if (rc == SLOT_OUTCOME_UNKNOWN) {
            (*unknowns)++;
            int state = 0;
            hold = claimOf(s, pool, patient, &state);
            if (hold == 0) {
                continue; /* never applied: hold again */
            }
            if (state == SLOTC_CLAIM_BOOKED) {
                return hold;
            }
        } else if (rc != SLOT_OK) {
            fprintf(stderr, "hold %s in %s: %s\n", patient, pool,
                    slot_err_name(rc));
            CHECK(0);
        }
        confirmUntilBooked(s, hold, unknowns);
        return hold;
    }
    fprintf(stderr, "hold %s in %s: no hold after 3 attempts\n", patient, pool);
    CHECK(0);
    return 0;
}

/* Every booking in ids[] reads as BOOKED on node `node` (a stale read of
 * that node's own state, after convergence). */
static void checkBookedOn(struct slotc_sync *s, const char *node,
                          const uint64_t *ids, int n)
{
    for (int i = 0; i < n; i++) {
        struct slotc_req req;
        slotc_req_init(&req);
        req.node = node;
        req.flags = SLOTC_STALE;
        CHECK_EQ(slotc_sync_read_booking(s, &req, ids[i]), SLOT_OK);
        CHECK_EQ(req.out.claims[0].state, SLOTC_CLAIM_BOOKED);
    }
}

static uint32_t bookedIn(struct slotc_sync *s, const char *pool)
{
    struct slotc_req req;
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_read_pool(s, &req, pool), SLOT_OK);
    const struct slotc_pool *p = &req.out.pools[0];
    CHECK_EQ(p->free + p->held + p->booked, p->capacity);
    return p->booked;
}

static void test_elect_and_book(void)
{
    struct tcluster t;
    startCluster(&t, 3, 0);
    struct slotc_sync *s = clientOf(t.cluster, 5000);
    mkpool(s, "campus-a/cardio/2026-12-01/AM", 20);
    uint64_t ids[10];
    int unknowns = 0;
    for (int i = 0; i < 10; i++) {
        char patient[32];
        snprintf(patient, sizeof patient, "patient-%04d", i);
        ids[i] = book(s, "campus-a/cardio/2026-12-01/AM", patient, &unknowns);
        CHECK(ids[i] != 0);
    }
    CHECK_EQ(unknowns, 0);
    CHECK_EQ(bookedIn(s, "campus-a/cardio/2026-12-01/AM"), 10);
    converge(&t, s);
    for (int i = 0; i < t.n; i++) {
        checkBookedOn(s, t.client[i], ids, 10);
    }
    slotc_sync_close(s);
    CHECK_EQ(tcluster_stop(&t), 0);
}

static void test_kill_leader(void)
{
    static const char pool[] = "campus-a/ortho/2026-12-01/AM";
    struct tcluster t;
    startCluster(&t, 3, 0);
    struct slotc_sync *s = clientOf(t.cluster, 8000);
    mkpool(s, pool, BOOKINGS);
    uint64_t ids[BOOKINGS];
    int n_ids = 0, unknowns = 0, killed = -1;
    uint64_t killed_at = 0, resumed_at = 0;
    for (int i = 0; i < BOOKINGS; i++) {
        if (i == BOOKINGS / 3) {
            killed = tcluster_leader(&t, 5000);
            CHECK(killed >= 0);
            killed_at = (uint64_t)tclock_mono_ms();
            tcluster_signal(&t, killed, SIGKILL);
        }
        char patient[32];
        snprintf(patient, sizeof patient, "patient-%04d", i);
        uint64_t id = book(s, pool, patient, &unknowns);
        if (id != 0) {
            ids[n_ids++] = id;
            if (killed_at != 0 && resumed_at == 0) {
                resumed_at = (uint64_t)tclock_mono_ms();
            }
        }
    }
    printf("  writes resumed %llu ms after the leader was killed; %d of %d "
           "booked, %d outcomes resolved by query\n",
           (unsigned long long)(resumed_at - killed_at), n_ids, BOOKINGS,
           unknowns);
    CHECK(resumed_at != 0);
    /* Every patient booked (book() fails the test otherwise), two thirds of
     * them after the kill; nothing booked twice: every acknowledged id is
     * distinct, and the pool counts exactly them. */
    CHECK_EQ(n_ids, BOOKINGS);
    for (int i = 0; i < n_ids; i++) {
        for (int j = 0; j < i; j++) {
            CHECK(ids[i] != ids[j]);
        }
    }
    CHECK_EQ(bookedIn(s, pool), n_ids);
    CHECK(tcluster_start_node(&t, killed) == 0);
    converge(&t, s);
    for (int i = 0; i < t.n; i++) {
        checkBookedOn(s, t.client[i], ids, n_ids);
    }
    slotc_sync_close(s);
    CHECK_EQ(tcluster_stop(&t), 0);
}

static void test_restart_all(void)
{
    static const char pool[] = "campus-b/derm/2026-12-02/PM";
    struct tcluster t;
    startCluster(&t, 3, 0);
    struct slotc_sync *s = clientOf(t.cluster, 8000);
    mkpool(s, pool, 30);
    uint64_t ids[20];
    int unknowns = 0;
    for (int i = 0; i < 20; i++) {
        char patient[32];
        snprintf(patient, sizeof patient, "patient-%04d", i);
        ids[i] = book(s, pool, patient, &unknowns);
        CHECK(ids[i] != 0);
    }
    uint64_t applied;
    uint64_t before = convergeAt(&t, s, 0, &applied);
    slotc_sync_close(s);
    for (int i = 0; i < t.n; i++) {
        tcluster_signal(&t, i, SIGTERM);
    }
    for (int i = 0; i < t.n; i++) {
        CHECK(tcluster_start_node(&t, i) == 0);
    }
    CHECK(tcluster_leader(&t, 10000) >= 0);
    s = clientOf(t.cluster, 8000);
    /* Nothing was written since: the same entries, the same state. */
    uint64_t after = convergeAt(&t, s, applied, NULL);
    CHECK(after == before);
    for (int i = 0; i < t.n; i++) {
        checkBookedOn(s, t.client[i], ids, 20);
    }
    slotc_sync_close(s);
    CHECK_EQ(tcluster_stop(&t), 0);
}

static void test_expiry_idle(void)
{
    static const char pool[] = "campus-b/ent/2026-12-03/AM";
    struct tcluster t;
    startCluster(&t, 3, 0);
    struct slotc_sync *s = clientOf(t.cluster, 5000);
    mkpool(s, pool, 2);
    struct slotc_req req;
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_hold(s, &req, pool, "patient-0001", "app", 1000),
             SLOT_OK);
    uint64_t hold = req.out.id;
    uint64_t start = (uint64_t)tclock_mono_ms();
    int state = SLOTC_CLAIM_HELD;
    /* Nobody touches the hold: only the leader's sweep can expire it.
     * Bounded: the sweep runs every 100 ms once the deadline passed. */
    while ((uint64_t)tclock_mono_ms() - start < 8000) {
        slotc_req_init(&req);
        CHECK_EQ(slotc_sync_read_pool(s, &req, pool), SLOT_OK);
        if (req.out.pools[0].held == 0) {
            break;
        }
        tclock_sleep_ms(50);
    }
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_read_hold(s, &req, hold), SLOT_OK);
    state = req.out.claims[0].state;
    CHECK_EQ(state, SLOTC_CLAIM_EXPIRED);
    CHECK(req.out.claims[0].resolved_at_ms != 0); /* swept, not just due */
    printf(
        "  hold expired by the sweep %llu ms after it was taken (ttl 1000)\n",
        (unsigned long long)((uint64_t)tclock_mono_ms() - start));
    slotc_sync_close(s);
    CHECK_EQ(tcluster_stop(&t), 0);
}

static uint64_t leaderId(struct slotc_sync *s, const char *node)
{
    const struct slotc_node_status *st = statusOf(s, node);
    return st == NULL ? 0 : st->leader_id;
}

static void test_membership(void)
{
    struct tcluster t;
    startCluster(&t, 3, 1);
    struct slotc_sync *s = clientOf(t.cluster, 8000);
    mkpool(s, "campus-c/gp/2026-12-04/AM", 5);
    CHECK(tcluster_start_node(&t, 3) == 0); /* --join: empty, waiting */
    struct slotc_req req;
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_member_add(s, &req, 4, t.member[3]), SLOT_OK);
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_member_assign(s, &req, 4, SLOTC_ROLE_VOTER), SLOT_OK);
    /* The new voter catches up, then leadership moves to it. */
    converge(&t, s);
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_transfer(s, &req, 4), SLOT_OK);
    uint64_t start = (uint64_t)tclock_mono_ms();
    while (leaderId(s, t.client[3]) != 4 &&
           (uint64_t)tclock_mono_ms() - start < 10000) {
        tclock_sleep_ms(50);
    }
    CHECK_EQ(leaderId(s, t.client[3]), 4);
    const struct slotc_node_status *st = statusOf(s, t.client[3]);
    CHECK(st != NULL);
    CHECK_EQ(st->n_members, 4);
    /* Remove node 3 (not the leader): it notices and stops by itself. */
    slotc_req_init(&req);
    CHECK_EQ(slotc_sync_member_remove(s, &req, 3), SLOT_OK);
    start = (uint64_t)tclock_mono_ms();
    while (!proc_exited(&t.node[2]) &&
           (uint64_t)tclock_mono_ms() - start < 10000) {
        tclock_sleep_ms(50);
    }
    CHECK(t.node[2].pid == 0 && t.node[2].reaped);
    CHECK(WIFEXITED(t.node[2].status) && WEXITSTATUS(t.node[2].status) == 0);
    st = statusOf(s, t.client[3]);
    CHECK(st != NULL);
    CHECK_EQ(st->n_members, 3);
    /* The cluster still books. */
    int unknowns = 0;
    CHECK(book(s, "campus-c/gp/2026-12-04/AM", "patient-0001", &unknowns) != 0);
    slotc_sync_close(s);
    CHECK_EQ(tcluster_stop(&t), 0);
}

/* Lines of node i's log that contain needle. */
static int logCount(const struct tcluster *t, int i, const char *needle)
{
    char path[300], line[1024];
    snprintf(path, sizeof path, "%s/n%d.log", t->dir, i + 1);
    FILE *f = fopen(path, "r");
    int count = 0;
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        count += strstr(line, needle) != NULL;
    }
    if (f != NULL) {
        fclose(f);
    }
    return count;
}

static void test_snapshot_install(void)
{
    static const char pool[] = "campus-d/neuro/2026-12-05/AM";
    struct tcluster t;
    setenv("SLOTD_ARGS", "--snapshot-threshold 32 --snapshot-trailing 8", 1);
    startCluster(&t, 3, 0);
    unsetenv("SLOTD_ARGS");
    struct slotc_sync *s = clientOf(t.cluster, 8000);
    mkpool(s, pool, 400);
    int leader = tcluster_leader(&t, 5000);
    CHECK(leader >= 0);
    int down = (leader + 1) % 3;
    tcluster_signal(&t, down, SIGKILL);
    /* One command per entry (sequential): ~200 entries, far past the
     * leader's threshold, so its log no longer holds what `down` lacks. */
    int unknowns = 0;
    for (int i = 0; i < 100; i++) {
        char patient[32];
        snprintf(patient, sizeof patient, "patient-%04d", i);
        CHECK(book(s, pool, patient, &unknowns) != 0);
    }
    const struct slotc_node_status *st = statusOf(s, t.client[leader]);
    CHECK(st != NULL);
    uint64_t total = st->applied_index;
    setenv("SLOTD_ARGS", "--snapshot-threshold 32 --snapshot-trailing 8", 1);
    CHECK(tcluster_start_node(&t, down) == 0);
    unsetenv("SLOTD_ARGS");
    converge(&t, s);
    st = statusOf(s, t.client[down]);
    CHECK(st != NULL);
    /* Replaying the log would have applied ~all of them since the start;
     * a snapshot install applies only what came after it. */
    printf("  restarted follower applied %llu entries itself; cluster at "
           "index %llu\n",
           (unsigned long long)st->entries_applied, (unsigned long long)total);
    CHECK(st->entries_applied < total / 2);
    CHECK_EQ(bookedIn(s, pool), 100);
    /* The leader's snapshots were encoded by a forked child
     * (node/snapfork.h), never inline on its loop. */
    int forked = logCount(&t, leader, "encoded by a child");
    printf("  the leader took %d snapshots, each in a forked child\n", forked);
    CHECK(forked >= 3);
    CHECK_EQ(logCount(&t, leader, "encoded on the loop"), 0);
    slotc_sync_close(s);
    CHECK_EQ(tcluster_stop(&t), 0);
}

/* ---- metrics ------------------------------------------------------------ */

static int connectLocal(int port, long long until)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK_EQ(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    CHECK(proc_wait_fd(fd, POLLOUT, until));
    return fd;
}

/* Sends req on a fresh connection to port and reads until the server
 * closes (5 s at most). Returns the bytes read into out (NUL-terminated). */
static size_t exchange(int port, const void *req, size_t len, char *out,
                       size_t cap)
{
    long long until = tclock_mono_ms() + 5000;
    int fd = connectLocal(port, until);
    CHECK(send(fd, req, len, MSG_NOSIGNAL) == (ssize_t)len);
    size_t n = 0;
    while (n + 1 < cap && proc_wait_fd(fd, POLLIN, until)) {
        ssize_t got = recv(fd, out + n, cap - 1 - n, 0);
        if (got <= 0) {
            break;
        }
        n += (size_t)got;
    }
    out[n] = '\0';
    close(fd);
    return n;
}

static struct prom_doc scraped;

/* GET /metrics from node i: 200, text format 0.0.4, and a body that
 * parses strictly into `scraped`. */
static void scrape(struct tcluster *t, int i)
{
    static char resp[1 << 17];
    const char *get = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    exchange(t->metrics_port[i], get, strlen(get), resp, sizeof resp);
    CHECK(strncmp(resp, "HTTP/1.1 200 OK\r\n", 17) == 0);
    CHECK(strstr(resp, "\r\nContent-Type: text/plain; version=0.0.4") != NULL);
    const char *body = strstr(resp, "\r\n\r\n");
    CHECK(body != NULL);
    body += 4;
    char why[256] = "";
    if (prom_parse(body, strlen(body), &scraped, why, sizeof why) != 0) {
        fprintf(stderr, "node %d's /metrics: %s\n", i + 1, why);
        CHECK(0);
    }
}

static double metric(const char *series)
{
    double v = prom_get(&scraped, series);
    if (isnan(v)) {
        fprintf(stderr, "no series %s\n", series);
        CHECK(0);
    }
    return v;
}

/* A HOLD frame straight to node i's client port (no libslot redirect);
 * returns the type of the frame that comes back. */
static int rawHold(struct tcluster *t, int i)
{
    struct slot_cmd c;
    memset(&c, 0, sizeof c);
    c.op = SLOT_OP_HOLD;
    c.session = 77;
    c.seq = 1;
    c.u.hold.pool = (struct slot_str){"campus-a/derm/2026-12-02/AM", 27};
    c.u.hold.patient = (struct slot_str){"patient-raw", 11};
    c.u.hold.channel = (struct slot_str){"app", 3};
    c.u.hold.ttl_ms = 60000;
    struct mp_buf b;
    mp_buf_init(&b);
    size_t start = slot_frame_begin(&b, SLOT_FRAME_COMMAND, 9);
    slot_cmd_encode(&b, &c);
    slot_frame_end(&b, start);
    static char resp[4096];
    size_t n = 0;
    /* The node answers and keeps the connection: read one frame. */
    long long until = tclock_mono_ms() + 5000;
    int fd = connectLocal(t->client_port[i], until);
    CHECK(send(fd, b.data, b.len, MSG_NOSIGNAL) == (ssize_t)b.len);
    size_t flen = 0;
    while (flen == 0 && n < sizeof resp && proc_wait_fd(fd, POLLIN, until)) {
        ssize_t got = recv(fd, resp + n, sizeof resp - n, 0);
        if (got <= 0) {
            break;
        }
        n += (size_t)got;
        CHECK_EQ(slot_frame_peek(resp, n, &flen), SLOT_OK);
    }
    close(fd);
    mp_buf_free(&b);
    CHECK(flen > 0);
    struct slot_frame f;
    CHECK_EQ(slot_frame_decode(resp + 4, flen - 4, &f), SLOT_OK);
    return f.type;
}

static void test_metrics(void)
{
    struct tcluster t;
    struct tcluster_options o;
    tcluster_options_init(&o);
    o.metrics = true;
    signal(SIGPIPE, SIG_IGN);
    CHECK(tcluster_start_opts(&t, &o, 3, 0) == 0);
    struct slotc_sync *s = clientOf(t.cluster, 5000);
    mkpool(s, "campus-a/derm/2026-12-02/AM", 50);
    converge(&t, s);

    /* Exactly one leader, the one STATUS names; indexes before. */
    int leader = tcluster_leader(&t, 5000);
    CHECK(leader >= 0);
    double commit0[TCLUSTER_NODES_MAX], applied0[TCLUSTER_NODES_MAX];
    int leaders = 0;
    for (int i = 0; i < t.n; i++) {
        scrape(&t, i);
        double is_leader = metric("slotd_role{role=\"leader\"}");
        leaders += is_leader == 1.0;
        CHECK_EQ(is_leader, i == leader ? 1.0 : 0.0);
        CHECK_EQ(metric("slotd_role{role=\"follower\"}"),
                 i == leader ? 0.0 : 1.0);
        CHECK_EQ(metric("slotd_raft_leader_id"), (double)(leader + 1));
        commit0[i] = metric("slotd_raft_commit_index");
        applied0[i] = metric("slotd_raft_applied_index");
        CHECK(applied0[i] <= commit0[i]);
        CHECK(commit0[i] <= metric("slotd_raft_last_index"));
        CHECK_EQ(metric("slotd_ledger_pools"), 1.0);
    }
    CHECK_EQ(leaders, 1);

    /* Bookings: every node's commit and applied indexes move on. */
    int unknowns = 0;
    for (int i = 0; i < 5; i++) {
        char patient[32];
        snprintf(patient, sizeof patient, "patient-m%d", i);
        book(s, "campus-a/derm/2026-12-02/AM", patient, &unknowns);
    }
    uint64_t applied = 0;
    convergeAt(&t, s, (uint64_t)applied0[leader] + 1, &applied);
    for (int i = 0; i < t.n; i++) {
        scrape(&t, i);
        double c = metric("slotd_raft_commit_index");
        double a = metric("slotd_raft_applied_index");
        printf("  node %d: commit %.0f -> %.0f, applied %.0f -> %.0f\n", i + 1,
               commit0[i], c, applied0[i], a);
        CHECK(c > commit0[i]);
        CHECK(a > applied0[i]);
        CHECK(a >= (double)applied);
        CHECK(metric("slotd_entries_applied_total") >= 1.0);
        CHECK(metric("slotd_commands_applied_total") >= 10.0);
        CHECK(metric("slotd_apply_duration_seconds_count") >= 1.0);
        CHECK_EQ(metric("slotd_ledger_bookings_active"), 5.0);
        CHECK(metric("slotd_disk_write_duration_seconds_count{op="
                     "\"append\"}") >= 1.0);
        if (i == leader) {
            /* Printed, not asserted: it depends on the 10 s window. */
            printf("  hot: %.0f holds in the pool\n",
                   prom_get(&scraped, "slotd_hot_pool_holds{pool="
                                      "\"campus-a/derm/2026-12-02/AM\"}"));
        }
    }

    /* A command to a follower: NOT_LEADER, counted there. */
    int follower = (leader + 1) % t.n;
    scrape(&t, follower);
    double refused0 = metric("slotd_refused_not_leader_total");
    CHECK_EQ(rawHold(&t, follower), SLOT_FRAME_ERROR);
    scrape(&t, follower);
    CHECK_EQ(metric("slotd_refused_not_leader_total"), refused0 + 1.0);

    /* Other paths 404, malformed 400; the server closes after each. */
    static char resp[4096];
    const char *nope = "GET /status HTTP/1.1\r\n\r\n";
    exchange(t.metrics_port[0], nope, strlen(nope), resp, sizeof resp);
    CHECK(strncmp(resp, "HTTP/1.1 404 ", 13) == 0);
    const char *bad = "GET /metrics\r\n\r\n";
    exchange(t.metrics_port[0], bad, strlen(bad), resp, sizeof resp);
    CHECK(strncmp(resp, "HTTP/1.1 400 ", 13) == 0);

    slotc_sync_close(s);
    CHECK_EQ(tcluster_stop(&t), 0);
}

static const struct check_case cases[] = {
    {"elect_and_book", test_elect_and_book},
    {"kill_leader", test_kill_leader},
    {"restart_all", test_restart_all},
    {"expiry_idle", test_expiry_idle},
    {"membership", test_membership},
    {"snapshot_install", test_snapshot_install},
    {"metrics", test_metrics},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    return check_main(cases, argc, argv);
}
