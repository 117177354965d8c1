/* importer: submits a schedule's templates as an admin tool would, through
 * libslot's async API, and times them (the import scenario). Private to
 * bench/slotbench/.
 *
 * One client (one connection to the leader, up to 4 ledger sessions of 32
 * requests in flight; the rest wait in its queue) on a private libuv loop
 * in the calling thread: the first `inflight`
 * templates are submitted at once, each next one as an answer arrives, so
 * at most `inflight` imports are in flight (the leader packs those it
 * reads together into one Raft entry). Each import is atomic in the
 * ledger; an answer arrives once the entry that holds it is committed (on
 * a majority's disk) and applied on the leader. Blocking; bounded by the
 * requests' deadline.
 */
#ifndef SLOTBENCH_IMPORTER_H
#define SLOTBENCH_IMPORTER_H

#include <stdint.h>

#include "bench.h"
#include "hist.h"
#include "libslot.h"

struct importer_result {
    uint32_t n;          /* imports answered (all of them, at return) */
    uint32_t ok;         /* answered SLOT_OK */
    uint64_t created;    /* pools, summed over the OK answers */
    uint64_t unchanged;  /* pools already there as defined */
    uint64_t elapsed_ns; /* first submit to last answer */
    uint64_t submit_ns;  /* first submit to last submit */
    struct hist lat;     /* per import: its submit to its answer */
    uint32_t status[BENCH_STATUS_MAX]; /* answers by status code */
    int submit_error;                  /* a submit refused (its code), else 0 */
};

/* Imports tpl[0..n) into the cluster at addrs ("HOST:PORT,..."), at most
 * inflight (0: all) at once, each with a deadline of timeout_ms. Fills
 * *out (every field, zeroed first). Returns 0, or -1 if the client could
 * not be opened or a submit was refused (out->submit_error). */
int importer_run(const char *addrs, const struct slotc_template *tpl,
                 uint32_t n, uint32_t inflight, uint32_t timeout_ms,
                 struct importer_result *out);

#endif /* SLOTBENCH_IMPORTER_H */
