/* smoke: what `slotbench ... --smoke` checks in the JSON its run wrote,
 * read back from the file as the report and README's table read it: the
 * fields they use are there, with the counts the run must give (every
 * bucket of a --rules burst used; every imported pool created, listed and
 * found unchanged on the re-import). Correctness, never timing. Private to
 * bench/slotbench/.
 */
#ifndef SLOTBENCH_SMOKE_H
#define SLOTBENCH_SMOKE_H

#include "bench.h"

/* Reads the JSON at path, written by a run of configuration c (scenario
 * name `scenario`), and checks it; adds each check to *passed or
 * *failed, printing "FAIL: ..." for a failed one. */
void smoke_validate(const char *path, const struct cfg *c, const char *scenario,
                    int *passed, int *failed);

#endif /* SLOTBENCH_SMOKE_H */
