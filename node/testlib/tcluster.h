/* tcluster: a local slotd cluster for tests and tools: the one launcher
 * that client, gateway and node tests, slotbench and bench/peers share
 * (liblocalcluster.a, with proc.h).
 *
 * Nodes listen on 127.0.0.1 ports the kernel reports free (two per node:
 * raft and client), keep their data in a fresh directory, and log to
 * DIR/nN.log. Each slotd is a struct proc (proc.h): it dies with the
 * process that started it, and is stopped by its pid.
 *
 * The launcher speaks to the nodes with proto/ only (a STATUS admin frame
 * over a plain socket), so it depends on no client library.
 *
 * tcluster_stop() judges the nodes' ends: a node asked to stop must exit
 * 0, none may have died on its own, and no log may hold a sanitizer
 * report or a failed assertion. Tests assert that it returns 0, so an
 * ASan slotd's leak at shutdown fails the test that started it. */
#ifndef SLOT_TCLUSTER_H
#define SLOT_TCLUSTER_H

#include <stdbool.h>
#include <stdint.h>

#include "proc.h"
#include "slot_admin.h"

#define TCLUSTER_NODES_MAX 5
#define TCLUSTER_ARGS_MAX  16

struct tcluster_options {
    /* The slotd binary. NULL: $SLOTD if set, else build/rel/bin/slotd under
     * the current directory, else ../../rel/bin/slotd beside the running
     * binary. */
    const char *slotd;
    /* Data directory: <base>/<prefix>XXXXXX, base = $tmp_env if set, else
     * tmp_base. */
    const char *tmp_env;
    const char *tmp_base;
    const char *dir_prefix;
    int election_ms;       /* 0: slotd's default */
    int heartbeat_ms;      /* 0: slotd's default */
    const char *log_level; /* NULL: slotd's default */
    bool env_args;         /* append $SLOTD_ARGS (split on spaces) */
    int n_extra;           /* more arguments for every node */
    const char *extra[TCLUSTER_ARGS_MAX];
    /* Every node serves /metrics (slotd --metrics) on 127.0.0.1 and a
     * port of its own, reserved with the others: metrics_port[i]. */
    bool metrics;
    /* Node i's host in every address it is given and listed under
     * (--raft, --listen, --bootstrap, client[i], cluster): a name the test
     * resolves (test_hostnames: a private /etc/hosts), or NULL for
     * 127.0.0.1. Ports are reserved on 127.0.0.1; any 127.0.0.0/8 name
     * works. */
    const char *host[TCLUSTER_NODES_MAX];
    int leader_timeout_ms; /* how long tcluster_start waits for a leader */
    int start_attempts;    /* tries per node when it exits at once */
};

/* The tests' defaults: slotd as above, /tmp/slot-test-XXXXXX, election
 * 500 ms and heartbeat 50 ms (failover tests assume them), $SLOTD_ARGS,
 * 15 s for a leader, 5 start attempts (raft's I/O setup can fail when
 * many nodes start at once on a busy machine). */
void tcluster_options_init(struct tcluster_options *o);

/* Nodes by name (tests of host names, in a private /etc/hosts: thosts.h):
 * node i is tcluster_campus_names[i], which TCLUSTER_CAMPUS_HOSTS maps to
 * 127.0.0.(i + 2), an address nothing else listens on, so a client that
 * reaches the node resolved its name. tcluster_options_campus names the
 * first n (<= 3) nodes of o so. */
#define TCLUSTER_CAMPUS_HOSTS                                                  \
    "127.0.0.2 slot-a.campus.test\n"                                           \
    "127.0.0.3 slot-b.campus.test\n"                                           \
    "127.0.0.4 slot-c.campus.test\n"
extern const char *const tcluster_campus_names[3];
void tcluster_options_campus(struct tcluster_options *o, int n);

struct tcluster {
    struct tcluster_options o;
    int n;      /* nodes started or reserved */
    int voters; /* nodes 0..voters-1 were bootstrapped */
    struct proc node[TCLUSTER_NODES_MAX]; /* node[i].pid 0: not running */
    int raft_port[TCLUSTER_NODES_MAX];
    int client_port[TCLUSTER_NODES_MAX];
    int metrics_port[TCLUSTER_NODES_MAX]; /* o.metrics; else 0 */
    char client[TCLUSTER_NODES_MAX][80];  /* "127.0.0.1:PORT" (o.host) */
    char member[TCLUSTER_NODES_MAX][160]; /* "RAFT/CLIENT" */
    char cluster[400]; /* the voters' client addresses, comma list */
    char dir[256];
    char slotd[512];
    int problems; /* bad ends seen before tcluster_stop (see there) */
};

/* Starts `voters` bootstrapped voters (1..TCLUSTER_NODES_MAX) with the
 * tests' defaults, reserves ports for `spares` more nodes (started later
 * with tcluster_start_node, --join), and waits until a leader is known.
 * Returns 0, or -1 (with a message on stderr; everything started is
 * stopped again). */
int tcluster_start(struct tcluster *t, int voters, int spares);
/* The same with options (o is copied). */
int tcluster_start_opts(struct tcluster *t, const struct tcluster_options *o,
                        int voters, int spares);

/* Starts node i (0-based) again from its data directory (after a kill or
 * stop), or for the first time with --join if it is a spare. Returns 0 or
 * -1. */
int tcluster_start_node(struct tcluster *t, int i);

/* Sends sig to node i; SIGKILL and SIGTERM also reap it (bounded). A node
 * stopped with SIGTERM must have exited 0, else tcluster_stop reports it. */
void tcluster_signal(struct tcluster *t, int i, int sig);

/* The status of the node at addr ("HOST:PORT"), asked with a STATUS frame
 * on a fresh connection (state hash not computed). Returns SLOT_OK, or an
 * error code (SLOT_UNAVAILABLE when nothing answered within timeout_ms). */
int tcluster_status(const char *addr, int timeout_ms,
                    struct slot_node_status *out);

/* Asks each of the n client addresses (NULL: skip) for its status every
 * poll_ms until one says it leads or timeout_ms passes. Returns its index
 * or -1. */
int tcluster_find_leader(const char *const clients[], int n, int timeout_ms,
                         int poll_ms);

/* The index of the running node that says it leads, waiting up to
 * timeout_ms; -1 if none. */
int tcluster_leader(struct tcluster *t, int timeout_ms);

/* Stops every node (SIGTERM, then SIGKILL after a bound), checks how each
 * ended and every node's log (see the top), and removes the directory
 * (kept when there was a problem, or $KEEP_CLUSTER_DIR is set). Returns
 * the number of problems, each printed on stderr. */
int tcluster_stop(struct tcluster *t);

#endif /* SLOT_TCLUSTER_H */
