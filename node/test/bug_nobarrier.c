/* bug_nobarrier: a deliberate bug for jepsen-tests' tests of the tests,
 * linked only into build/bug/nobarrier/bin/slotd (never the normal build),
 * with -Wl,--wrap=node_core__read_linearizable: every "linearizable" read
 * is served at once from the node's own state, on any node, leader or not,
 * with no barrier (node/node_core_read.c is where the real one queues it).
 * jepsen-tests must find the run invalid (stale reads). No switch in the
 * node's sources: node_core.c calls node_core__read_linearizable across
 * compilation units, so the linker can divert that one call here. */
#include "node_coreInt.h"

void __real_node_core__read_linearizable(struct node_core *core,
                                         struct node_conn *c, uint64_t tag,
                                         const struct slot_read *rd,
                                         const uint8_t *bytes, uint32_t len);
void __wrap_node_core__read_linearizable(struct node_core *core,
                                         struct node_conn *c, uint64_t tag,
                                         const struct slot_read *rd,
                                         const uint8_t *bytes, uint32_t len);

void __wrap_node_core__read_linearizable(struct node_core *core,
                                         struct node_conn *c, uint64_t tag,
                                         const struct slot_read *rd,
                                         const uint8_t *bytes, uint32_t len)
{
    (void)bytes;
    (void)len;
    node_core__read_local(core, c, tag, rd);
}
