/* slot_addr: the one parser of "HOST:PORT" network addresses.
 *
 * Every address a person types (libslot's and slotctl's cluster list, the
 * gateway's `listen` and `cluster`, slotd's --listen, --raft, --bootstrap,
 * --metrics, slot-archiver's cluster) is checked here, so one spelling is
 * accepted everywhere and a mistake gets the same message naming the field.
 *
 * Accepted forms:
 *   NAME:PORT     a DNS host name: 1..253 bytes, labels of 1..63 bytes of
 *                 [A-Za-z0-9-] that neither start nor end with '-',
 *                 separated by '.', one trailing '.' allowed; the last label
 *                 is not all digits (so "10.0.0.300" is a bad IPv4 address,
 *                 not a name). "localhost" is a name like any other.
 *   A.B.C.D:PORT  an IPv4 literal (dotted quad, inet_pton's rules).
 *   [V6]:PORT     an IPv6 literal, always in brackets.
 * PORT is 1..65535 in decimal, without sign or spaces.
 *
 * Parsing is pure. Resolving a NAME while a loop runs is the layers' job,
 * with libuv's uv_getaddrinfo off the loop (libslot on every connect, slotd's
 * notices to removed members; raft's transport does its own, see
 * node/transport.h). The one blocking exception is here, for start-up code
 * only (a listen address, a check that a name resolves before any loop
 * runs): slot_hostport_resolve_startup.
 */
#ifndef SLOT_ADDR_H
#define SLOT_ADDR_H

#include <stddef.h>
#include <stdint.h>

#define SLOT_HOST_MAX  253 /* bytes of a host name (RFC 1035, text form) */
#define SLOT_LABEL_MAX 63  /* bytes of one label */

enum slot_host_kind {
    SLOT_HOST_NAME = 1, /* resolve it */
    SLOT_HOST_IPV4 = 2,
    SLOT_HOST_IPV6 = 3,
};

struct slot_hostport {
    char host[SLOT_HOST_MAX + 1]; /* NUL-terminated; IPv6 without brackets */
    char port_text[6];            /* the port in decimal, for getaddrinfo */
    uint16_t port;
    uint8_t kind; /* enum slot_host_kind */
};

/* Parses the len bytes at s (no NUL needed) into *out. Returns SLOT_OK,
 * SLOT_TOO_LARGE (a host name over SLOT_HOST_MAX or a label over
 * SLOT_LABEL_MAX) or SLOT_INVALID_ARGUMENT; on an error, err (unless NULL)
 * receives a message that starts with `field` (e.g. "--raft" or "cluster")
 * and names the rule broken, truncated to err_len bytes. */
int slot_hostport_parse(const char *s, size_t len, const char *field,
                        struct slot_hostport *out, char *err, size_t err_len);

struct sockaddr_storage;
struct addrinfo;

/* The getaddrinfo hints for hp: stream sockets, the port numeric, the host
 * too when it is a literal; family AF_INET or AF_UNSPEC as below. Every
 * lookup of an address of ours (blocking at start-up, or uv_getaddrinfo
 * off a loop) asks with these. */
void slot_hostport_hints(const struct slot_hostport *hp, int family,
                         struct addrinfo *hints);

/* Of the addresses a lookup gave, the one to try: IPv4 ones first (slotd
 * listens on IPv4), then IPv6 ones, in the resolver's order; `skip` counts
 * the failed attempts in a row, so that a name with an unreachable address
 * still reaches the node by another (skip modulo their number). NULL when
 * res holds neither family. */
const struct addrinfo *slot_addrinfo_pick(const struct addrinfo *res,
                                          uint32_t skip);

/* Resolves hp with a blocking getaddrinfo: call it only at start-up, before
 * any event loop runs (it may wait for DNS). family is AF_INET (raft's
 * transport resolves IPv4 only) or AF_UNSPEC (IPv4 preferred: the first
 * IPv4 answer, else the first IPv6 one). Literals are converted without a
 * lookup. Returns SLOT_OK and *out (port set), or SLOT_UNAVAILABLE with a
 * message in err that starts with `field` and quotes getaddrinfo's reason
 * ("Name or service not known"). */
int slot_hostport_resolve_startup(const struct slot_hostport *hp,
                                  const char *field, int family,
                                  struct sockaddr_storage *out, char *err,
                                  size_t err_len);

#endif /* SLOT_ADDR_H */
