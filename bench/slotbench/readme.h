/* readme: README.md's figures table, generated from one run set.
 *
 *   slotbench readme [RESULTS_DIR]     (RESULTS_DIR: bench/results)
 *
 * Prints to stdout the text README.md keeps between its markers
 * `<!-- bench:begin -->` and `<!-- bench:end -->` (the markers excluded):
 * which run set and commit the figures come from, then one row per figure
 * with the file and field it was read from and the load average of its
 * run. Only files the run set accepted are read (runset.h); a figure the
 * set's files lack reads "not measured in this run set". Inputs: the
 * slotbench results, ledger.json (bench_ledger), gateway.txt (wrk through
 * slot-gateway, `make bench-gateway`) and healthz.json when present.
 * bench/readme-table.sh splices the text into README.md (make bench) or
 * compares it with README.md (make test). Exit status 0, or 1 if the
 * directory holds no run set (the text then says so).
 */
#ifndef SLOTBENCH_README_H
#define SLOTBENCH_README_H

int readme_main(int argc, char **argv);

#endif /* SLOTBENCH_README_H */
