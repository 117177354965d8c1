/* transport: raft's TCP transport, wrapped.
 *
 * Why a wrapper: raft 0.22.1's TCP transport never sets TCP_NODELAY, and
 * with Nagle's algorithm on, pipelined AppendEntries wait for delayed ACKs
 * (measured: 64 commands per entry with 8 entries in flight fell to ~270
 * entries/s at 44 ms p50). The wrapper sets it on every accepted and every
 * connected stream.
 *
 * It also lets a member's address carry its client address: the address
 * stored in the Raft configuration is "RAFT_HOST:PORT/CLIENT_HOST:PORT",
 * so every node can tell clients where the leader listens (NOT_LEADER
 * hints) from the replicated configuration alone. The wrapper hands only the
 * part before '/' to the TCP transport.
 *
 * Host names (what raft 0.22.1's uv_tcp*.c / uv_ip.c do, unpatched): the
 * raft part may be a DNS name or an IPv4 literal, never IPv6 (uvIpAddrSplit
 * cuts at the first ':', and both lookups ask for AF_INET only).
 *   - listen (own address, at raft_start): a blocking getaddrinfo with
 *     AI_PASSIVE; a listener per answer (the "localhost" duplicate
 *     dropped). slotd resolves --raft itself first (slotd.c) to fail with a
 *     message naming the option; a name should have one IPv4 address (with
 *     three or more, raft 0.22.1 binds the second one twice and fails).
 *   - connect (to a peer): uv_getaddrinfo on libuv's thread pool on every
 *     connection attempt, trying each answer in turn. Names stay names in
 *     the configuration, so a peer whose name moved to a new address is
 *     reached there at the next (re)connection; nothing is cached.
 * test_libslot's hostnames_* tests cover both (a private /etc/hosts).
 */
#ifndef SLOT_TRANSPORT_H
#define SLOT_TRANSPORT_H

#include <raft.h>
#include <raft/uv.h>
#include <stddef.h>
#include <uv.h>

struct transport {
    struct raft_uv_transport outer; /* pass &t->outer to raft_uv_init */
    struct raft_uv_transport inner; /* raft's TCP transport */
    char raft_address[256];         /* the inner transport keeps this pointer */
    raft_uv_accept_cb accept_cb;
    raft_uv_transport_close_cb close_cb;
};

/* Initialises both layers on loop. Returns 0 or a raft error code. */
int transport_init(struct transport *t, uv_loop_t *loop);
/* Releases the TCP transport's memory; call after raft_close completed. */
void transport_close(struct transport *t);

/* Splits "RAFT/CLIENT" into its parts (NUL-terminated copies into raft and
 * client, each of cap bytes; client is "" when absent). Returns 0, or -1 if
 * a part does not fit. */
int transport_addr_split(const char *full, char *raft, char *client,
                         size_t cap);

#endif /* SLOT_TRANSPORT_H */
