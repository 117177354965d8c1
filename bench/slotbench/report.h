/* report: REPORT.md and its plots from one run set's results.
 *
 *   slotbench report [DIR]     (DIR: bench/results)
 *
 * Reads the files DIR's run set accepted (runset.h: listed in
 * DIR/runset.json with the same content hash, and of the same run set)
 * and writes DIR/REPORT.md: which run set and commit, the files it did not
 * use and why, the targets with the field each figure was read from and
 * the load average of its run, holds and refusals per second of every
 * burst, every run's figures, the peers side by side, the ledger
 * micro-benchmark; and, when gnuplot is installed, DIR/plots/NAME.png
 * (throughput over time per run, latency CDF per system, latency against
 * load). Nothing in it is typed in: a figure the files lack reads "not
 * measured", a rate needs a window of at least 1 s (reportInt.h), and a
 * sentence that reads meaning into a figure is printed only when the
 * figure shows it. Returns 0, or 1 without a run set in DIR or if a file
 * could not be written.
 */
#ifndef SLOTBENCH_REPORT_H
#define SLOTBENCH_REPORT_H

int report_main(int argc, char **argv);

#endif /* SLOTBENCH_REPORT_H */
