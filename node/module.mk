# node/: slotd, the glue around the ledger (raft, libuv, LZ4, TCP), and its
# tests: test_snapfork (units on a real loop), test_metrics (the /metrics
# module), test_sim (the ledger and the node core under raft's
# deterministic fixture) and test_cluster (real slotd processes). The ops
# suite checks node/ops/ (dashboard, alert rules) against the metric names
# slotd and slot-gateway export (node/ops/check_ops.py).

# The node core (node_core.h: the request path on a raft it does not own)
# has no libuv: test_sim drives it over raft's fixture; node.c is the shell.
NODECORE_SRC := node/node_core.c node/node_core_read.c node/leader_clock.c \
                node/log.c
NODE_SRC := $(NODECORE_SRC) node/transport.c node/iofail.c node/fsm.c \
            node/snapfork.c node/node.c node/server.c node/metrics.c
NODE_LIBS := $(RAFT_LIBS) -luv -llz4 $(LIBS)
NODE_REL := $(NODE_SRC:%.c=$(B)/rel/%.o)
NODE_ASAN := $(NODE_SRC:%.c=$(B)/asan/%.o)

$(eval $(call compile_rules,node,$(NODE_INC)))
# test_cluster drives real slotd processes through libslot (tests only).
$(eval $(call compile_rules,node/test,$(NODE_INC) -Iclient $(TESTLIB_INC) $(CLUSTERLIB_INC)))

$(B)/rel/bin/slotd: $(B)/rel/node/slotd.o $(NODE_REL) $(CORE_REL)
	$(call link,$(REL_CFLAGS),$(NODE_LIBS))
$(B)/asan/bin/slotd: $(B)/asan/node/slotd.o $(NODE_ASAN) $(CORE_ASAN)
	$(call link,$(ASAN_CFLAGS),$(NODE_LIBS))

# test_snapfork: snapshots by a forked child, on a real loop.
SNAPFORK_TEST_OBJS := node/test/test_snapfork.o node/snapfork.o node/fsm.o node/log.o
$(B)/rel/bin/test_snapfork: $(SNAPFORK_TEST_OBJS:%=$(B)/rel/%) $(CORE_REL)
	$(call link,$(REL_CFLAGS),$(NODE_LIBS))
$(B)/asan/bin/test_snapfork: $(SNAPFORK_TEST_OBJS:%=$(B)/asan/%) $(CORE_ASAN)
	$(call link,$(ASAN_CFLAGS),$(NODE_LIBS))

# test_leader_clock: the leader's band (leader_clock.h), pure.
$(B)/rel/bin/test_leader_clock: $(B)/rel/node/test/test_leader_clock.o \
                                $(B)/rel/node/leader_clock.o $(CORE_REL)
	$(call link,$(REL_CFLAGS),$(LIBS))

# test_metrics: the metrics module (parser, exposition, hot pools, the
# server on a real loop), without a node.
METRICS_TEST_OBJS := node/test/test_metrics.o node/metrics.o
$(B)/rel/bin/test_metrics: $(METRICS_TEST_OBJS:%=$(B)/rel/%) $(CLUSTERLIB_REL) \
                           $(PROTO_REL)
	$(call link,$(REL_CFLAGS),-luv -lm $(LIBS))
$(B)/asan/bin/test_metrics: $(METRICS_TEST_OBJS:%=$(B)/asan/%) \
                            $(CLUSTERLIB_ASAN) $(PROTO_ASAN)
	$(call link,$(ASAN_CFLAGS),-luv -lm $(LIBS))

# test_cluster: real slotd processes (node/testlib), driven through libslot.
$(B)/rel/bin/test_cluster: $(B)/rel/node/test/test_cluster.o $(CLIENT_LIB_REL) \
                           $(CLUSTERLIB_REL) $(PROTO_REL)
	$(call link,$(REL_CFLAGS),$(CLIENT_LIBS))

# test_sim: the real ledger and node core (node_core.h) under raft's fixture.
# build/rel/bin/test_sim links raft with its own assertions on
# (.deps/raft-debug); build/rel/bin/test_sim_rel links the release raft
# slotd links (SIM_RAFT_NDEBUG tells the test that raft's asserts are
# compiled out, so the snapshot_pending regression must pass through the
# patched code itself). `make sim SEEDS=N`: N seeds per cluster size
# instead of the default; a failing seed prints the command that replays it.
SIM_SRC := node/test/test_sim.c node/fsm.c $(NODECORE_SRC)
SIM_ARGS := $(if $(SEEDS),--seeds $(SEEDS))
SIM_INC := $(LEDGER_INC) -Inode $(TESTLIB_INC)

$(B)/rel/sim/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC) $(REL_CFLAGS) $(SIM_INC) $(RAFT_DEBUG_CFLAGS) -MMD -MP -c $< -o $@
$(B)/rel/sim-rel/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC) $(REL_CFLAGS) $(SIM_INC) $(RAFT_CFLAGS) -DSIM_RAFT_NDEBUG -MMD -MP -c $< -o $@

$(B)/rel/bin/test_sim: $(SIM_SRC:%.c=$(B)/rel/sim/%.o) $(CORE_REL)
	$(call link,$(REL_CFLAGS),$(RAFT_DEBUG_LIBS) $(LIBS))
$(B)/rel/bin/test_sim_rel: $(SIM_SRC:%.c=$(B)/rel/sim-rel/%.o) $(CORE_REL)
	$(call link,$(REL_CFLAGS),$(RAFT_LIBS) $(LIBS))

SIM_BINS := $(B)/rel/bin/test_sim $(B)/rel/bin/test_sim_rel
SIM_SUITES := "sim:$(B)/rel/bin/test_sim" "sim-rel:$(B)/rel/bin/test_sim_rel"

.PHONY: sim
sim: deps
	@$(MAKE) --no-print-directory -j2 $(SIM_BINS)
	$(B)/rel/bin/test_sim $(SIM_ARGS)
	$(B)/rel/bin/test_sim_rel $(SIM_ARGS)

BUILD_BINS += $(B)/rel/bin/slotd
TEST_BINS += $(B)/rel/bin/slotd $(B)/asan/bin/slotd $(B)/rel/bin/test_cluster \
             $(B)/rel/bin/test_snapfork $(B)/asan/bin/test_snapfork $(SIM_BINS) \
             $(B)/rel/bin/test_metrics $(B)/asan/bin/test_metrics \
             $(B)/rel/bin/test_leader_clock
NODE_SUITES := $(SIM_SUITES) \
               "snapfork:$(B)/rel/bin/test_snapfork" \
               "leader-clock:$(B)/rel/bin/test_leader_clock" \
               "metrics:$(B)/rel/bin/test_metrics" \
               "asan-metrics:$(B)/asan/bin/test_metrics" \
               "ops:python3 node/ops/check_ops.py $(B)/rel/bin/slotd" \
               "asan-snapfork:$(B)/asan/bin/test_snapfork" \
               "cluster:$(B)/rel/bin/test_cluster" \
               "asan-cluster:SLOTD=$(B)/asan/bin/slotd $(B)/rel/bin/test_cluster"
