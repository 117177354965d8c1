/* cluster: starts and stops a local slotd cluster for client tests.
 *
 * Nodes listen on 127.0.0.1 ports the kernel reports free (two per node),
 * keep their data in a fresh temporary directory, and log to files there.
 * Each slotd is started with PR_SET_PDEATHSIG, so it dies with the process
 * that started it even if that process crashes. Every wait is bounded.
 *
 * The slotd binary: $SLOTD if set, else build/rel/bin/slotd under the
 * current directory, else ../../rel/bin/slotd next to the test binary.
 * $SLOTD_ARGS (space-separated) is appended to every node's flags.
 */
#ifndef CLIENT_TEST_CLUSTER_H
#define CLIENT_TEST_CLUSTER_H

#include <stdbool.h>
#include <sys/types.h>

#define TCLUSTER_NODES_MAX 5

struct tcluster {
    int n;                         /* nodes started or reserved */
    int voters;                    /* nodes 0..voters-1 were bootstrapped */
    pid_t pid[TCLUSTER_NODES_MAX]; /* 0: not running */
    int raft_port[TCLUSTER_NODES_MAX];
    int client_port[TCLUSTER_NODES_MAX];
    char client[TCLUSTER_NODES_MAX][32]; /* "127.0.0.1:PORT" */
    char member[TCLUSTER_NODES_MAX][80]; /* "RAFT/CLIENT" */
    char cluster[256]; /* the voters' client addresses, comma list */
    char dir[128];
    char slotd[512];
};

/* n (<= TCLUSTER_PORTS_MAX) distinct free ports on 127.0.0.1: all sockets
 * stay bound until every port is known, so the kernel cannot hand out one
 * twice. Returns 0, or -1 (some ports 0). Also used by bench/slotbench. */
#define TCLUSTER_PORTS_MAX 64
int tcluster_free_ports(int *ports, int n);

/* Starts `voters` bootstrapped voters (1..TCLUSTER_NODES_MAX) and reserves
 * ports for `spares` more nodes (started later with tcluster_start_node,
 * --join), and waits until a leader is known. Returns 0, or -1 (with a
 * message on stderr; everything started is stopped again). */
int tcluster_start(struct tcluster *t, int voters, int spares);

/* Starts node i (0-based) again (after a kill), or for the first time with
 * --join if it is one of the spares. Returns 0 or -1. */
int tcluster_start_node(struct tcluster *t, int i);

/* Sends sig to node i and, for SIGKILL/SIGTERM, reaps it (bounded). */
void tcluster_signal(struct tcluster *t, int i, int sig);

/* The index of the node that says it leads, waiting up to timeout_ms; -1
 * if none. */
int tcluster_leader(struct tcluster *t, int timeout_ms);

/* The same for any cluster: asks each of the n client addresses (NULL: a
 * node that is not running) for its status through a client of `cluster`,
 * every poll_ms, until one says it leads or timeout_ms passes. Returns its
 * index or -1. Also used by bench/slotbench. */
int tcluster_find_leader(const char *cluster, const char *const clients[],
                         int n, int timeout_ms, int poll_ms);

/* Stops every node (SIGTERM, then SIGKILL after a bound) and removes the
 * directory. */
void tcluster_stop(struct tcluster *t);

#endif /* CLIENT_TEST_CLUSTER_H */
