/* sys: the system under test, as the main thread sees it: start and stop
 * it, create the pools of a run, read its counters, and check the run's
 * bookings against its own state. One implementation per kind: sys_slot
 * (our cluster, for modes native and http), and the peers in bench/peers/
 * (etcd, redis). All calls are blocking and made from the main thread.
 */
#ifndef SLOTBENCH_SYS_H
#define SLOTBENCH_SYS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "bench.h"
#include "tclock.h"
#include "tcluster.h"
#include "procstat.h"
#include "sim.h"

/* Per node (slot: Raft entries and commands applied, from its status),
 * and the CPU each process of the run had and waited for (procstat.h:
 * the nodes this run started, its gateways summed, this generator). */
struct sys_counters {
    uint64_t at_ns; /* when sampled (CLOCK_MONOTONIC) */
    int n;
    bool ok[TCLUSTER_NODES_MAX];
    uint64_t entries[TCLUSTER_NODES_MAX];
    uint64_t commands[TCLUSTER_NODES_MAX];
    struct procstat cpu[TCLUSTER_NODES_MAX];
    struct procstat gateways; /* ok only if there are any */
    struct procstat generator;
};

struct pool_state {
    uint32_t capacity, free, held, booked;
};

struct sys;

struct sys_vt {
    const char *name; /* "slot", "etcd", "redis" */
    /* Starts the system; fills r->addrs / r->target. 0 or -1. */
    int (*start)(struct sys *s, struct run *r);
    /* Makes the ledger accept the run's hold ttls (slot: CONFIG). */
    int (*configure)(struct sys *s, uint32_t ttl_min_ms, uint32_t ttl_max_ms);
    /* Creates pool i of r (id and capacity set), open at release_wall_ms. */
    int (*create_pool)(struct sys *s, struct run *r, uint32_t i,
                       int64_t release_wall_ms);
    int (*counters)(struct sys *s, struct sys_counters *out);
    int (*pool_state)(struct sys *s, const char *pool, struct pool_state *out);
    /* What became of a doubtful operation: *booked and b (visit_no, id) if
     * the patient holds a booking in the pool. 0, or -1 if unknown. */
    int (*resolve)(struct sys *s, const char *pool, const char *patient,
                   bool *booked, struct booking *b);
    /* Visit / slot numbers the system itself recorded for pool (peers: all
     * of them; slot: none, *n = 0, the bookings' own numbers are checked).
     * The array is malloc'ed; the caller frees it. */
    int (*slots)(struct sys *s, const char *pool, uint32_t **out, uint32_t *n);
    /* How the system was configured, for the report. */
    json_t *(*describe)(struct sys *s);
    /* What the system's own logs say about stalls during the run (slot:
     * slow disk requests, slow loop turns, snapshots), or NULL. Called
     * once, before stop. */
    json_t *(*stalls)(struct sys *s);
    void (*stop)(struct sys *s);
};

/* slot-gateway processes sharing one port (reuse_port), --gateways. */
#define SYS_GATEWAYS_MAX 4

struct sys {
    const struct sys_vt *vt;
    const struct cfg *cfg;
    struct run *run;
    /* slot */
    struct tcluster cl;
    bool own_cluster;
    struct slotc_sync *admin;
    struct proc gateway[SYS_GATEWAYS_MAX]; /* cfg->gateways of them */
    char gw_dir[256];
    /* peers */
    struct proc peer[TCLUSTER_NODES_MAX];
    int n_peer;
    int peer_port[2 * TCLUSTER_NODES_MAX];
    char peer_dir[256];
    void *peer_ctx;
    char version[128];
};

extern const struct sys_vt sys_slot;
extern const struct sys_vt sys_etcd;
extern const struct sys_vt sys_redis;

/* slot only: the leader's index (-1 if none within timeout_ms), kill it,
 * restart it. Only for a cluster slotbench started. */
int sys_slot_leader(struct sys *s, int timeout_ms);
void sys_slot_kill(struct sys *s, int node);
int sys_slot_restart(struct sys *s, int node);

#endif /* SLOTBENCH_SYS_H */
