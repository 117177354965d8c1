/* The deb suite's proof that libslot-dev works: built from the extracted
 * packages with `pkg-config --cflags --libs slot`, it reads one pool
 * through libslot's blocking face and prints "booked N".
 *
 *   test_dev CLUSTER POOL */
#include <stdio.h>

#include "libslot.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: test_dev CLUSTER POOL\n");
        return 2;
    }
    struct slotc_options o;
    slotc_options_init(&o);
    o.cluster = argv[1];
    o.timeout_ms = 5000;
    struct slotc_sync *s;
    int rc = slotc_sync_open(&o, &s);
    if (rc != SLOT_OK) {
        fprintf(stderr, "open: %s\n", slotc_err_name(rc));
        return 1;
    }
    struct slotc_req req;
    slotc_req_init(&req);
    rc = slotc_sync_read_pool(s, &req, argv[2]);
    if (rc != SLOT_OK || req.out.n_pools != 1) {
        fprintf(stderr, "read_pool: %s\n", slotc_err_name(rc));
        slotc_sync_close(s);
        return 1;
    }
    printf("booked %u\n", (unsigned)req.out.pools[0].booked);
    slotc_sync_close(s);
    return 0;
}
