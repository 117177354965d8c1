/* slotd: one node of the slot pool cluster. See node.h for what it does and
 * `slotd --help` for how to run it. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "log.h"
#include "metrics.h"
#include "node.h"
#include "server.h"
#include "slot_addr.h"

#define CONNS_MAX_DEFAULT 10000

static const char usage[] =
    "usage: slotd --id N --dir DIR --raft HOST:PORT --listen HOST:PORT\n"
    "             [--bootstrap ID=HOST:PORT[/HOST:PORT],...] [--join]\n"
    "             [--log-level debug|info|warn|error] [--conns-max N]\n"
    "             [--batch-max N] [--inflight-max N] [--snapshot-threshold N]\n"
    "             [--snapshot-trailing N] [--election-ms N] [--heartbeat-ms "
    "N]\n"
    "             [--metrics HOST:PORT] [--metrics-hot-pools N]\n"
    "       slotd --metrics-names\n"
    "\n"
    "  --id N           this node's id (>= 1), unique in the cluster\n"
    "  --dir DIR        data directory (raft log and snapshots); created\n"
    "  --raft H:P       address other nodes reach this node's raft on (a\n"
    "                   host name or an IPv4 address: raft is IPv4 only)\n"
    "  --listen H:P     address clients (libslot, slotctl) connect to (a\n"
    "                   host name, IPv4 or [IPv6]); names are resolved at\n"
    "                   start (peers' raft names: by raft, at each connect)\n"
    "  --bootstrap L    first start of a new cluster: the initial voters as\n"
    "                   ID=RAFT or ID=RAFT/CLIENT (the client part lets any\n"
    "                   node redirect clients to that one); ignored when the\n"
    "                   data directory already holds state\n"
    "  --join           start empty and wait to be added (slotctl member add)\n"
    "  --clock-offset-ms N  shift this node's clock (fault tests only)\n"
    "  --clock-max-skew-ms N  as leader, stamp entries with the wall clock\n"
    "                   held within N ms of ledger time extrapolated by the\n"
    "                   monotonic clock (1..3600000, default 1000): a wall\n"
    "                   clock that jumps moves ledger time (hold expiry) by\n"
    "                   at most N ms per leadership term\n"
    "  --metrics H:P    serve Prometheus text (GET /metrics) on this admin\n"
    "                   address; off by default. Bind it to a private\n"
    "                   network: it has no authentication\n"
    "  --metrics-hot-pools N  pools listed in slotd_hot_pool_holds, the\n"
    "                   busiest by HOLDs in the last 10-20 s (0..100,\n"
    "                   default 10)\n"
    "  --metrics-names  print every metric name slotd exports, one a line\n"
    "\n"
    "SIGTERM or SIGINT: clean shutdown. Logs go to stderr.\n";

struct slotd {
    uv_loop_t loop;
    struct node *node;
    struct server *server;
    struct metrics_server *metrics; /* NULL: no --metrics */
    uv_signal_t sigterm, sigint;
    int pending_stops;
    int exit_code;
};

static void stopped(void *data)
{
    struct slotd *d = data;
    if (--d->pending_stops == 0) {
        uv_close((uv_handle_t *)&d->sigterm, NULL);
        uv_close((uv_handle_t *)&d->sigint, NULL);
    }
}

static void shutdownAll(struct slotd *d)
{
    if (d->pending_stops > 0) {
        return;
    }
    LOG_I("shutting down");
    d->pending_stops = d->metrics != NULL ? 3 : 2;
    if (d->metrics != NULL) {
        metrics_stop(d->metrics, stopped, d);
    }
    server_stop(d->server, stopped, d);
    node_stop(d->node, stopped, d);
}

static void signalCb(uv_signal_t *h, int signum)
{
    (void)signum;
    shutdownAll(h->data);
}

static void removedCb(void *data)
{
    shutdownAll(data);
}

/* The raft part of an address: raft 0.22.1's TCP transport takes a host
 * name or an IPv4 literal (it splits at the first ':' and resolves with
 * AF_INET), never IPv6. With resolve, the name must have an IPv4 address
 * now (blocking getaddrinfo: start-up only). */
static int checkRaftAddr(const char *s, size_t len, const char *field,
                         bool resolve, char *err, size_t err_len)
{
    struct slot_hostport hp;
    struct sockaddr_storage ss;
    if (slot_hostport_parse(s, len, field, &hp, err, err_len) != SLOT_OK) {
        return -1;
    }
    if (hp.kind == SLOT_HOST_IPV6) {
        snprintf(err, err_len,
                 "%s '%.*s': raft's transport is IPv4 only (a host name or "
                 "an IPv4 address)",
                 field, (int)len, s);
        return -1;
    }
    if (resolve && slot_hostport_resolve_startup(&hp, field, AF_INET, &ss, err,
                                                 err_len) != SLOT_OK) {
        return -1;
    }
    return 0;
}

/* Checks every address on the command line before anything starts, so a
 * typo is one clear message naming its option, not a raft I/O error:
 * --raft must resolve to an IPv4 address (raft listens on it), --listen to
 * any address (server_start binds it; checked here too so that nothing,
 * not even a bootstrap, happens before the error). --bootstrap entries "ID=RAFT[/CLIENT]" are
 * checked for syntax always; their raft names must also resolve when the
 * data directory is new (a first start, when a typo would be written into
 * the cluster's configuration), not on a restart, when the bootstrap list
 * is ignored and a peer's name may be briefly missing from DNS: raft
 * resolves peers itself on every connection attempt and retries. */
static int checkAddrs(const char *raft_addr, const char *listen,
                      const char *bootstrap, const char *dir, char *err,
                      size_t err_len)
{
    struct slot_hostport hp;
    struct sockaddr_storage ss;
    if (checkRaftAddr(raft_addr, strlen(raft_addr), "--raft", true, err,
                      err_len) != 0 ||
        slot_hostport_parse(listen, strlen(listen), "--listen", &hp, err,
                            err_len) != SLOT_OK ||
        slot_hostport_resolve_startup(&hp, "--listen", AF_UNSPEC, &ss, err,
                                      err_len) != SLOT_OK) {
        return -1;
    }
    if (bootstrap == NULL) {
        return 0;
    }
    char meta[600];
    snprintf(meta, sizeof meta, "%s/metadata1", dir);
    bool fresh = access(meta, F_OK) != 0;
    snprintf(meta, sizeof meta, "%s/metadata2", dir);
    fresh = fresh && access(meta, F_OK) != 0;
    for (const char *e = bootstrap; *e != '\0';) {
        const char *comma = strchr(e, ',');
        size_t len = comma != NULL ? (size_t)(comma - e) : strlen(e);
        const char *eq = memchr(e, '=', len);
        const char *slash =
            eq != NULL ? memchr(eq, '/', len - (size_t)(eq - e)) : NULL;
        const char *end = e + len;
        if (eq == NULL) {
            snprintf(err, err_len,
                     "--bootstrap entry '%.*s': want ID=HOST:PORT[/HOST:PORT]",
                     (int)len, e);
            return -1;
        }
        const char *rend = slash != NULL ? slash : end;
        if (checkRaftAddr(eq + 1, (size_t)(rend - eq - 1), "--bootstrap", fresh,
                          err, err_len) != 0) {
            return -1;
        }
        if (slash != NULL &&
            slot_hostport_parse(slash + 1, (size_t)(end - slash - 1),
                                "--bootstrap (client part)", &hp, err,
                                err_len) != SLOT_OK) {
            return -1;
        }
        e = comma != NULL ? comma + 1 : end;
    }
    return 0;
}

static int parseU32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < min || v > max) {
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"id", required_argument, NULL, 'i'},
        {"dir", required_argument, NULL, 'd'},
        {"raft", required_argument, NULL, 'r'},
        {"listen", required_argument, NULL, 'l'},
        {"bootstrap", required_argument, NULL, 'b'},
        {"join", no_argument, NULL, 'j'},
        {"log-level", required_argument, NULL, 'L'},
        {"conns-max", required_argument, NULL, 'C'},
        {"batch-max", required_argument, NULL, 'B'},
        {"inflight-max", required_argument, NULL, 'I'},
        {"snapshot-threshold", required_argument, NULL, 'T'},
        {"snapshot-trailing", required_argument, NULL, 'R'},
        {"election-ms", required_argument, NULL, 'E'},
        {"heartbeat-ms", required_argument, NULL, 'H'},
        {"clock-offset-ms", required_argument, NULL, 'O'},
        {"clock-max-skew-ms", required_argument, NULL, 'S'},
        {"metrics", required_argument, NULL, 'M'},
        {"metrics-hot-pools", required_argument, NULL, 'P'},
        {"metrics-names", no_argument, NULL, 'N'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct node_options o;
    node_options_default(&o);
    const char *raft_addr = NULL, *listen = NULL, *metrics_addr = NULL;
    uint32_t hot_pools = METRICS_HOT_N_DEFAULT;
    int level = LOG_INFO;
    uint32_t conns_max = CONNS_MAX_DEFAULT, id32 = 0;
    int c, bad = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
            case 'i':
                bad |= parseU32(optarg, 1, UINT32_MAX, &id32);
                break;
            case 'd':
                o.dir = optarg;
                break;
            case 'r':
                raft_addr = optarg;
                break;
            case 'l':
                listen = optarg;
                break;
            case 'b':
                o.bootstrap = optarg;
                break;
            case 'j':
                o.join = true;
                break;
            case 'L':
                bad |= (level = log_level_parse(optarg)) < 0;
                break;
            case 'C':
                bad |= parseU32(optarg, 1, 1000000, &conns_max);
                break;
            case 'B':
                bad |=
                    parseU32(optarg, 1, SLOT_BATCH_CMDS_MAX, &o.batch_cmds_max);
                break;
            case 'I':
                bad |= parseU32(optarg, 1, 64, &o.inflight_max);
                break;
            case 'T':
                bad |= parseU32(optarg, 16, UINT32_MAX, &o.snapshot_threshold);
                break;
            case 'R':
                bad |= parseU32(optarg, 0, UINT32_MAX, &o.snapshot_trailing);
                break;
            case 'E':
                bad |= parseU32(optarg, 50, 60000, &o.election_ms);
                break;
            case 'H':
                bad |= parseU32(optarg, 10, 10000, &o.heartbeat_ms);
                break;
            case 'O':
                o.clock_offset_ms = strtoll(optarg, NULL, 10);
                break;
            case 'S':
                bad |= parseU32(optarg, 1, 3600000, &o.clock_max_skew_ms);
                break;
            case 'M':
                metrics_addr = optarg;
                break;
            case 'P':
                bad |= parseU32(optarg, 0, METRICS_HOT_N_MAX, &hot_pools);
                break;
            case 'N':
                for (int i = 0; i < METRICS_COUNT; i++) {
                    puts(metrics_name((enum metrics_id)i));
                }
                return 0;
            case 'h':
                fputs(usage, stdout);
                return 0;
            default:
                bad = 1;
                break;
        }
    }
    if (bad || optind != argc || id32 == 0 || o.dir == NULL ||
        raft_addr == NULL || listen == NULL || strchr(raft_addr, '/') != NULL) {
        fputs(usage, stderr);
        return 2;
    }
    o.id = id32;
    char aerr[512];
    if (checkAddrs(raft_addr, listen, o.bootstrap, o.dir, aerr, sizeof aerr) !=
        0) {
        fprintf(stderr, "slotd: %s\n", aerr);
        return 2;
    }
    char address[512];
    if (snprintf(address, sizeof address, "%s/%s", raft_addr, listen) >=
        (int)sizeof address) {
        fprintf(stderr, "slotd: addresses too long\n");
        return 2;
    }
    o.address = address;
    log_init(o.id, (enum log_level)level);
    signal(SIGPIPE, SIG_IGN);

    struct slotd d;
    memset(&d, 0, sizeof d);
    uv_loop_init(&d.loop);
    o.removed_cb = removedCb;
    o.removed_data = &d;
    char err[512];
    o.count_hot_pools = metrics_addr != NULL && hot_pools > 0;
    int rv = node_start(&d.loop, &o, &d.node, err, sizeof err);
    if (rv != 0) {
        LOG_E("start failed: %s", err);
        return 1;
    }
    rv = server_start(&d.loop, d.node, listen, conns_max, &d.server, err,
                      sizeof err);
    if (rv != 0) {
        LOG_E("start failed: %s", err);
        return 1;
    }
    if (metrics_addr != NULL &&
        metrics_start(&d.loop, metrics_addr, hot_pools, node_metrics_collect,
                      d.node, &d.metrics, err, sizeof err) != 0) {
        LOG_E("start failed: %s", err);
        return 1;
    }
    uv_signal_init(&d.loop, &d.sigterm);
    uv_signal_init(&d.loop, &d.sigint);
    d.sigterm.data = d.sigint.data = &d;
    uv_signal_start(&d.sigterm, signalCb, SIGTERM);
    uv_signal_start(&d.sigint, signalCb, SIGINT);
    LOG_I("node %llu: raft %s, clients %s, data %s%s%s",
          (unsigned long long)o.id, raft_addr, listen, o.dir,
          metrics_addr != NULL ? ", metrics " : "",
          metrics_addr != NULL ? metrics_addr : "");
    uv_run(&d.loop, UV_RUN_DEFAULT);
    bool removed = node_removed(d.node);
    node_free(d.node);
    server_free(d.server);
    if (d.metrics != NULL) {
        metrics_free(d.metrics);
    }
    uv_loop_close(&d.loop);
    LOG_I("stopped%s", removed ? " (removed from the cluster)" : "");
    return 0;
}
