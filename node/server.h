/* server: slotd's client listener. Accepts TCP connections, cuts each byte
 * stream into frames (proto/slot_proto.h), hands every frame to the node and
 * writes the node's replies back, coalesced into one write per connection
 * per loop turn.
 *
 * Limits: conns_max connections (more are closed at once); one frame of at
 * most SLOT_FRAME_MAX bytes (a larger length prefix closes the connection
 * after an ERROR frame, since the stream cannot be resynchronised); a
 * connection whose unsent replies exceed SERVER_OUT_MAX bytes (a client that
 * does not read) is closed. Requests in flight per connection are bounded by
 * the node (BUSY).
 */
#ifndef SLOT_SERVER_H
#define SLOT_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "node.h"

#define SERVER_OUT_MAX (64u << 20)

struct server;

/* Listens on "HOST:PORT" (slot_addr.h: a host name, an IPv4 literal or
 * [IPv6]). A name is resolved here with a blocking getaddrinfo, so call it
 * before the loop runs; of several addresses the first IPv4 one is bound.
 * Returns 0, or a libuv error code with a message in errmsg that names
 * --listen. */
int server_start(uv_loop_t *loop, struct node *node, const char *listen,
                 uint32_t conns_max, struct server **out, char *errmsg,
                 size_t errmsg_len);

/* Stops listening and closes every connection; cb(data) once all handles
 * are closed (connections still waiting on the node are freed later, when
 * the node releases them). */
void server_stop(struct server *s, void (*cb)(void *data), void *data);

/* Frees the server after server_stop's callback. */
void server_free(struct server *s);

#endif /* SLOT_SERVER_H */
