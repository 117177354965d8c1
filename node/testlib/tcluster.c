/* tcluster: local slotd clusters for tests and tools (see tcluster.h). */
#include "tcluster.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libgen.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "slot_addr.h"
#include "slot_err.h"
#include "slot_proto.h"
#include "tclock.h"

/* A node that ignores SIGTERM this long is killed (and reported). */
#define STOP_GRACE_MS 10000

/* Clusters to stop if their process exits first (a failed CHECK exits
 * the test process): each with the pid that started it, so a forked test
 * never stops its parent's cluster. */
#define REGISTRY_MAX 8
static struct {
    struct tcluster *t;
    pid_t owner;
} registry[REGISTRY_MAX];

static void stopAtExit(void)
{
    for (int i = 0; i < REGISTRY_MAX; i++) {
        if (registry[i].t != NULL && registry[i].owner == getpid()) {
            tcluster_stop(registry[i].t);
        }
    }
}

static void track(struct tcluster *t, bool on)
{
    static bool installed;
    if (!installed) {
        installed = atexit(stopAtExit) == 0;
    }
    for (int i = 0; i < REGISTRY_MAX; i++) {
        if (on ? registry[i].t == NULL : registry[i].t == t) {
            registry[i].t = on ? t : NULL;
            registry[i].owner = getpid();
            return;
        }
    }
}

void tcluster_options_init(struct tcluster_options *o)
{
    memset(o, 0, sizeof *o);
    o->tmp_base = "/tmp";
    o->dir_prefix = "slot-test-";
    o->election_ms = 500;
    o->heartbeat_ms = 50;
    o->env_args = true;
    o->leader_timeout_ms = 15000;
    o->start_attempts = 5;
}

const char *const tcluster_campus_names[3] = {
    "slot-a.campus.test", "slot-b.campus.test", "slot-c.campus.test"};

void tcluster_options_campus(struct tcluster_options *o, int n)
{
    for (int i = 0; i < n && i < 3; i++) {
        o->host[i] = tcluster_campus_names[i];
    }
}

static void findSlotd(struct tcluster *t)
{
    const char *env = getenv("SLOTD");
    if (t->o.slotd != NULL) {
        snprintf(t->slotd, sizeof t->slotd, "%s", t->o.slotd);
    } else if (env != NULL && env[0] != '\0') {
        snprintf(t->slotd, sizeof t->slotd, "%s", env);
    } else if (access("build/rel/bin/slotd", X_OK) == 0) {
        snprintf(t->slotd, sizeof t->slotd, "build/rel/bin/slotd");
    } else {
        char exe[400];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        exe[n > 0 ? n : 0] = '\0';
        snprintf(t->slotd, sizeof t->slotd, "%s/../../rel/bin/slotd",
                 dirname(exe));
    }
}

/* ---- nodes --------------------------------------------------------------- */

static const char *hostOf(const struct tcluster *t, int i)
{
    return t->o.host[i] != NULL ? t->o.host[i] : "127.0.0.1";
}

static int spawnNode(struct tcluster *t, int i, bool join)
{
    char id[16], dir[300], raft[80], log[300], boot[1024] = "";
    char election[16], heartbeat[16], extra[512], metrics[32];
    snprintf(id, sizeof id, "%d", i + 1);
    snprintf(dir, sizeof dir, "%s/n%d", t->dir, i + 1);
    snprintf(raft, sizeof raft, "%s:%d", hostOf(t, i), t->raft_port[i]);
    snprintf(log, sizeof log, "%s/n%d.log", t->dir, i + 1);
    for (int k = 0; k < t->voters && !join; k++) {
        size_t len = strlen(boot);
        snprintf(boot + len, sizeof boot - len, "%s%d=%s", len ? "," : "",
                 k + 1, t->member[k]);
    }
    char *argv[24 + 2 * TCLUSTER_ARGS_MAX];
    int a = 0;
    argv[a++] = t->slotd;
    argv[a++] = "--id";
    argv[a++] = id;
    argv[a++] = "--dir";
    argv[a++] = dir;
    argv[a++] = "--raft";
    argv[a++] = raft;
    argv[a++] = "--listen";
    argv[a++] = t->client[i];
    if (t->o.election_ms > 0) {
        snprintf(election, sizeof election, "%d", t->o.election_ms);
        argv[a++] = "--election-ms";
        argv[a++] = election;
    }
    if (t->o.heartbeat_ms > 0) {
        snprintf(heartbeat, sizeof heartbeat, "%d", t->o.heartbeat_ms);
        argv[a++] = "--heartbeat-ms";
        argv[a++] = heartbeat;
    }
    if (t->metrics_port[i] != 0) {
        snprintf(metrics, sizeof metrics, "127.0.0.1:%d", t->metrics_port[i]);
        argv[a++] = "--metrics";
        argv[a++] = metrics;
    }
    if (t->o.log_level != NULL) {
        argv[a++] = "--log-level";
        argv[a++] = (char *)t->o.log_level;
    }
    if (join) {
        argv[a++] = "--join";
    } else {
        argv[a++] = "--bootstrap";
        argv[a++] = boot;
    }
    for (int k = 0; k < t->o.n_extra; k++) {
        argv[a++] = (char *)t->o.extra[k];
    }
    /* SLOTD_ARGS: extra flags for every node (tests that need small
     * snapshot thresholds, say), split on spaces. */
    const char *env = t->o.env_args ? getenv("SLOTD_ARGS") : NULL;
    snprintf(extra, sizeof extra, "%s", env != NULL ? env : "");
    for (char *save = NULL, *tok = strtok_r(extra, " ", &save);
         tok != NULL && a < (int)(sizeof argv / sizeof argv[0]) - 1;
         tok = strtok_r(NULL, " ", &save)) {
        argv[a++] = tok;
    }
    argv[a] = NULL;
    char name[32];
    snprintf(name, sizeof name, "slotd-%d", i + 1);
    return proc_spawn(&t->node[i], name, argv, log);
}

static int startNode(struct tcluster *t, int i, bool join)
{
    int attempts = t->o.start_attempts > 0 ? t->o.start_attempts : 1;
    for (int attempt = 0; attempt < attempts; attempt++) {
        if (spawnNode(t, i, join) != 0) {
            return -1;
        }
        tclock_sleep_ms(60);
        if (!proc_exited(&t->node[i])) {
            return 0;
        }
        tclock_sleep_ms(100 * (attempt + 1));
    }
    fprintf(stderr, "tcluster: node %d does not start (see %s/n%d.log)\n",
            i + 1, t->dir, i + 1);
    return -1;
}

int tcluster_start(struct tcluster *t, int voters, int spares)
{
    struct tcluster_options o;
    tcluster_options_init(&o);
    return tcluster_start_opts(t, &o, voters, spares);
}

int tcluster_start_opts(struct tcluster *t, const struct tcluster_options *o,
                        int voters, int spares)
{
    memset(t, 0, sizeof *t);
    t->o = *o;
    int n = voters + spares;
    if (voters < 1 || spares < 0 || n > TCLUSTER_NODES_MAX || o->n_extra < 0 ||
        o->n_extra > TCLUSTER_ARGS_MAX) {
        fprintf(stderr, "tcluster: bad size or arguments\n");
        return -1;
    }
    findSlotd(t);
    if (access(t->slotd, X_OK) != 0) {
        fprintf(stderr, "tcluster: %s is not built\n", t->slotd);
        return -1;
    }
    if (proc_tmpdir(t->dir, sizeof t->dir, o->tmp_env, o->tmp_base,
                    o->dir_prefix) != 0) {
        return -1;
    }
    track(t, true);
    /* Two ports a node (raft, client), three with metrics: all reserved
     * together, so none is handed out twice. */
    int per = o->metrics ? 3 : 2;
    int ports[3 * TCLUSTER_NODES_MAX];
    if (proc_free_ports(ports, per * n) != 0) {
        fprintf(stderr, "tcluster: no free ports\n");
        tcluster_stop(t);
        return -1;
    }
    t->n = n;
    t->voters = voters;
    for (int i = 0; i < n; i++) {
        t->raft_port[i] = ports[per * i];
        t->client_port[i] = ports[per * i + 1];
        t->metrics_port[i] = o->metrics ? ports[per * i + 2] : 0;
        snprintf(t->client[i], sizeof t->client[i], "%s:%d", hostOf(t, i),
                 t->client_port[i]);
        snprintf(t->member[i], sizeof t->member[i], "%s:%d/%s:%d", hostOf(t, i),
                 t->raft_port[i], hostOf(t, i), t->client_port[i]);
    }
    for (int i = 0; i < voters; i++) {
        size_t len = strlen(t->cluster);
        snprintf(t->cluster + len, sizeof t->cluster - len, "%s%s",
                 i ? "," : "", t->client[i]);
    }
    for (int i = 0; i < voters; i++) {
        if (startNode(t, i, false) != 0) {
            tcluster_stop(t);
            return -1;
        }
    }
    if (tcluster_leader(t, o->leader_timeout_ms) < 0) {
        fprintf(stderr, "tcluster: no leader within %d ms (logs in %s)\n",
                o->leader_timeout_ms, t->dir);
        setenv("KEEP_CLUSTER_DIR", "1", 0);
        tcluster_stop(t);
        return -1;
    }
    return 0;
}

int tcluster_start_node(struct tcluster *t, int i)
{
    if (i < 0 || i >= t->n || t->node[i].pid != 0) {
        return -1;
    }
    /* Its earlier end: killed on request, or judged by tcluster_signal;
     * one it came to by itself (a crash) is a problem. */
    char why[512];
    if (t->node[i].reaped && !t->node[i].killed &&
        proc_stop(&t->node[i], 0, why, sizeof why) != 0) {
        fprintf(stderr, "tcluster: %s\n", why);
        t->problems++;
    }
    char dir[300];
    struct stat st;
    snprintf(dir, sizeof dir, "%s/n%d", t->dir, i + 1);
    bool spare = i >= t->voters;
    return startNode(t, i, spare && stat(dir, &st) != 0);
}

void tcluster_signal(struct tcluster *t, int i, int sig)
{
    if (i < 0 || i >= t->n || t->node[i].pid == 0) {
        return;
    }
    if (sig == SIGTERM) {
        char why[512];
        if (proc_stop(&t->node[i], STOP_GRACE_MS, why, sizeof why) != 0) {
            fprintf(stderr, "tcluster: %s\n", why);
            t->problems++;
        }
        /* Judged now: a restart must not judge it again. */
        t->node[i].killed = true;
        return;
    }
    proc_signal(&t->node[i], sig);
}

/* ---- status over a plain socket ------------------------------------------ */

static int connectTo(const char *addr, long long until)
{
    /* A name is resolved on each call (blocking: the launcher runs no
     * loop), so a test that moves a name sees the move. */
    struct slot_hostport hp;
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    if (slot_hostport_parse(addr, strlen(addr), "address", &hp, NULL, 0) !=
            SLOT_OK ||
        getaddrinfo(hp.host, hp.port_text, &hints, &res) != 0) {
        return -1;
    }
    struct sockaddr_in a;
    memcpy(&a, res->ai_addr, sizeof a);
    freeaddrinfo(res);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return -1;
    }
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if ((connect(fd, (struct sockaddr *)&a, sizeof a) != 0 &&
         errno != EINPROGRESS) ||
        !proc_wait_fd(fd, POLLOUT, until) ||
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Decodes an ADMIN_REPLY to STATUS: [code, status]. */
static int decodeStatus(const uint8_t *body, size_t len,
                        struct slot_node_status *out)
{
    struct slot_frame f;
    int rc = slot_frame_decode(body, len, &f);
    if (rc != SLOT_OK) {
        return rc;
    }
    struct mp_reader r;
    mp_reader_init(&r, f.payload, f.payload_len);
    uint64_t code = 0;
    if (f.type == SLOT_FRAME_ERROR) {
        struct slot_error_info e;
        return slot_frame_error_decode(f.payload, f.payload_len, &e) == SLOT_OK
                   ? e.code
                   : SLOT_MALFORMED;
    }
    if (f.type != SLOT_FRAME_ADMIN_REPLY || !mp_expect_array(&r, 2) ||
        !mp_read_uint(&r, UINT16_MAX, &code)) {
        return SLOT_MALFORMED;
    }
    if (code != SLOT_OK) {
        return (int)code;
    }
    return slot_node_status_decode(&r, out);
}

int tcluster_status(const char *addr, int timeout_ms,
                    struct slot_node_status *out)
{
    long long until = tclock_mono_ms() + timeout_ms;
    int fd = connectTo(addr, until);
    if (fd < 0) {
        return SLOT_UNAVAILABLE;
    }
    struct mp_buf b;
    mp_buf_init(&b);
    size_t start = slot_frame_begin(&b, SLOT_FRAME_ADMIN, 1);
    struct slot_admin a;
    memset(&a, 0, sizeof a);
    a.op = SLOT_ADMIN_STATUS;
    a.no_hash = true;
    slot_admin_encode(&b, &a);
    slot_frame_end(&b, start);
    int rc = SLOT_UNAVAILABLE;
    size_t off = 0;
    while (off < b.len && proc_wait_fd(fd, POLLOUT, until)) {
        ssize_t w = send(fd, b.data + off, b.len - off, MSG_NOSIGNAL);
        if (w <= 0) {
            break;
        }
        off += (size_t)w;
    }
    mp_buf_reset(&b);
    while (off > 0 && proc_wait_fd(fd, POLLIN, until)) {
        uint8_t *p = mp_buf_reserve(&b, 4096);
        ssize_t got = recv(fd, p, 4096, 0);
        if (got <= 0) {
            break;
        }
        b.len += (size_t)got;
        size_t flen = 0;
        rc = slot_frame_peek(b.data, b.len, &flen);
        if (rc != SLOT_OK) {
            break;
        }
        if (flen > 0) {
            rc = decodeStatus(b.data + 4, flen - 4, out);
            break;
        }
        rc = SLOT_UNAVAILABLE;
    }
    mp_buf_free(&b);
    close(fd);
    return rc;
}

int tcluster_find_leader(const char *const clients[], int n, int timeout_ms,
                         int poll_ms)
{
    long long until = tclock_mono_ms() + timeout_ms;
    do {
        for (int i = 0; i < n; i++) {
            struct slot_node_status st;
            if (clients[i] != NULL &&
                tcluster_status(clients[i], 300, &st) == SLOT_OK &&
                strcmp(st.role, "leader") == 0) {
                return i;
            }
        }
        tclock_sleep_ms(poll_ms);
    } while (tclock_mono_ms() < until);
    return -1;
}

int tcluster_leader(struct tcluster *t, int timeout_ms)
{
    const char *clients[TCLUSTER_NODES_MAX];
    for (int i = 0; i < t->n; i++) {
        clients[i] = t->node[i].pid != 0 ? t->client[i] : NULL;
    }
    return tcluster_find_leader(clients, t->n, timeout_ms, 20);
}

/* ---- stop ---------------------------------------------------------------- */

int tcluster_stop(struct tcluster *t)
{
    track(t, false);
    int problems = t->problems;
    char why[640];
    /* SIGTERM to all first, so they shut down in parallel. */
    for (int i = 0; i < t->n; i++) {
        proc_signal(&t->node[i], SIGTERM);
    }
    for (int i = 0; i < t->n; i++) {
        if (proc_stop(&t->node[i], STOP_GRACE_MS, why, sizeof why) != 0) {
            fprintf(stderr, "tcluster: %s\n", why);
            problems++;
        }
        char log[300];
        snprintf(log, sizeof log, "%s/n%d.log", t->dir, i + 1);
        if (t->dir[0] != '\0' && proc_log_problem(log, why, sizeof why) != 0) {
            fprintf(stderr, "tcluster: %s\n", why);
            problems++;
        }
    }
    if (problems > 0) {
        fprintf(stderr, "tcluster: logs kept in %s\n", t->dir);
    } else if (t->dir[0] != '\0' && getenv("KEEP_CLUSTER_DIR") == NULL) {
        proc_rmrf(t->dir);
    }
    t->dir[0] = '\0';
    t->n = 0;
    t->problems = 0;
    return problems;
}
