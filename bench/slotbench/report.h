/* report: REPORT.md and its plots from a directory of slotbench results.
 *
 *   slotbench report [DIR]     (DIR: bench/results)
 *
 * Reads every DIR/<scenario>-<mode>.json, writes DIR/REPORT.md (tables:
 * each run's figures against the targets, the peers side by side with the
 * ratio, how every system was configured) and, when gnuplot is installed,
 * DIR/plots/NAME.png (throughput over time per run, latency CDF per system,
 * latency against load). Returns 0, or 1 if a file could not be written.
 */
#ifndef SLOTBENCH_REPORT_H
#define SLOTBENCH_REPORT_H

int report_main(int argc, char **argv);

#endif /* SLOTBENCH_REPORT_H */
