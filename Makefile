# Slot ledger: build, test, fuzz, bench, run a local cluster.
#
#   make            build everything (release flavour, build/rel)
#   make test       install what is missing, build, run every suite
#   make fuzz       run every fuzzer longer (FUZZ_SECONDS each)
#   make bench      micro-benchmarks (results under bench/results)
#   make format     clang-format every C file in place
#   make clean      remove build/ (keeps .deps/, the local raft build)
#
# Flavours: build/rel (-O2, assertions on), build/asan (AddressSanitizer +
# UndefinedBehaviorSanitizer, run as its own test suite), build/fuzz
# (clang, libFuzzer).

SHELL := /bin/bash
# Quiet by default; `make V=1` shows every command.
ifneq ($(V),1)
Q := @
MAKEFLAGS += --no-print-directory
endif
CC ?= cc
CLANG ?= clang
B := build

# raft: a system libraft >= 0.22 if pkg-config finds one, else the one
# node/deps/setup.sh built into .deps/raft. Never Debian 12's 0.15.
RAFT_SYSTEM := $(shell pkg-config --atleast-version=0.22 raft 2>/dev/null && echo yes)
ifeq ($(RAFT_SYSTEM),yes)
RAFT_CFLAGS := $(shell pkg-config --cflags raft)
RAFT_LIBS := $(shell pkg-config --libs raft)
RAFT_DEBUG_CFLAGS := $(RAFT_CFLAGS)
RAFT_DEBUG_LIBS := $(RAFT_LIBS)
else
RAFT_PREFIX := $(CURDIR)/.deps/raft
RAFT_DEBUG_PREFIX := $(CURDIR)/.deps/raft-debug
RAFT_CFLAGS := -I$(RAFT_PREFIX)/include
RAFT_LIBS := -L$(RAFT_PREFIX)/lib -Wl,-rpath,$(RAFT_PREFIX)/lib -lraft
RAFT_DEBUG_CFLAGS := -I$(RAFT_DEBUG_PREFIX)/include
RAFT_DEBUG_LIBS := -L$(RAFT_DEBUG_PREFIX)/lib -Wl,-rpath,$(RAFT_DEBUG_PREFIX)/lib -lraft
endif

WARN := -Wall -Wextra -Werror -Wpedantic -Wconversion -Wstrict-prototypes \
        -Wformat=2 -Wshadow -Wmissing-prototypes -Wno-sign-conversion
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -g $(WARN) -fvisibility=hidden
REL_CFLAGS := $(BASE_CFLAGS) -O2
ASAN_CFLAGS := $(BASE_CFLAGS) -O1 -fno-omit-frame-pointer -DSLOT_CHECK_FRAMES \
               -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Werror \
               -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
LIBS := -lmsgpackc -llz4
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 8

PROTO_SRC := proto/slot_err.c proto/mp.c proto/slot_valid.c proto/slot_proto.c \
             proto/slot_admin.c
LEDGER_SRC := node/ledger.c node/ledger_snap.c
CORE_SRC := $(PROTO_SRC) $(LEDGER_SRC)

FUZZERS := fuzz_cmd fuzz_entry fuzz_frame fuzz_read fuzz_snapshot

# slotd: the glue around the core (raft, libuv, LZ4).
NODE_SRC := node/log.c node/transport.c node/iofail.c node/fsm.c node/snapfork.c \
            node/node.c node/server.c
NODE_LIBS := $(RAFT_LIBS) -luv -llz4 $(LIBS)

# ---- objects ---------------------------------------------------------------
$(B)/rel/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC) $(REL_CFLAGS) -MMD -MP -c $< -o $@

$(B)/asan/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC) $(ASAN_CFLAGS) -MMD -MP -c $< -o $@

# Glue objects see raft's headers (release build's; the API is the same).
$(B)/rel/node/%.o: node/%.c
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC) $(REL_CFLAGS) $(RAFT_CFLAGS) -MMD -MP -c $< -o $@

$(B)/asan/node/%.o: node/%.c
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC) $(ASAN_CFLAGS) $(RAFT_CFLAGS) -MMD -MP -c $< -o $@

CORE_REL := $(CORE_SRC:%.c=$(B)/rel/%.o)
CORE_ASAN := $(CORE_SRC:%.c=$(B)/asan/%.o)

# ---- test binaries -----------------------------------------------------------
UNIT_TESTS := test_proto test_ledger test_ledger_prop
test_proto_SRC := proto/test/test_proto.c
test_ledger_SRC := node/test/test_ledger.c
test_ledger_prop_SRC := node/test/test_ledger_prop.c node/test/refmodel.c

define unit_rules
$(B)/rel/bin/$(1): $$($(1)_SRC:%.c=$(B)/rel/%.o) $(CORE_REL)
	@mkdir -p $$(dir $$@)
	@echo "  CC    $$@"
	$(Q)$(CC) $(REL_CFLAGS) -o $$@ $$^ $(LIBS)
$(B)/asan/bin/$(1): $$($(1)_SRC:%.c=$(B)/asan/%.o) $(CORE_ASAN)
	@mkdir -p $$(dir $$@)
	@echo "  CC    $$@"
	$(Q)$(CC) $(ASAN_CFLAGS) -o $$@ $$^ $(LIBS)
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_rules,$(t))))

# Fuzzers: one file each under proto/fuzz/, linked with the core built by
# clang with the fuzzer's instrumentation.
$(B)/fuzz/bin/%: proto/fuzz/%.c $(CORE_SRC) $(wildcard proto/*.h node/*.h)
	@mkdir -p $(dir $@)
	@echo "  CLANG $@"
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -o $@ $< $(CORE_SRC) $(LIBS)

NODE_REL := $(NODE_SRC:%.c=$(B)/rel/%.o)
NODE_ASAN := $(NODE_SRC:%.c=$(B)/asan/%.o)

$(B)/rel/bin/slotd: $(B)/rel/node/slotd.o $(NODE_REL) $(CORE_REL)
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC) $(REL_CFLAGS) -o $@ $^ $(NODE_LIBS)

$(B)/asan/bin/slotd: $(B)/asan/node/slotd.o $(NODE_ASAN) $(CORE_ASAN)
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC) $(ASAN_CFLAGS) -o $@ $^ $(NODE_LIBS)

# test_snapfork: snapshots by a forked child, on a real loop.
SNAPFORK_TEST_OBJS = node/test/test_snapfork.o node/snapfork.o node/fsm.o node/log.o
$(B)/rel/bin/test_snapfork: $(SNAPFORK_TEST_OBJS:%=$(B)/rel/%) $(CORE_REL)
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC) $(REL_CFLAGS) -o $@ $^ $(NODE_LIBS)
$(B)/asan/bin/test_snapfork: $(SNAPFORK_TEST_OBJS:%=$(B)/asan/%) $(CORE_ASAN)
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC) $(ASAN_CFLAGS) -o $@ $^ $(NODE_LIBS)

# ---- benchmarks ----------------------------------------------------------------
$(B)/rel/bin/bench_ledger: $(B)/rel/bench/bench_ledger.o $(CORE_REL)
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC) $(REL_CFLAGS) -o $@ $^ $(LIBS)

# ---- top-level targets ---------------------------------------------------------
REL_BINS := $(UNIT_TESTS:%=$(B)/rel/bin/%) $(B)/rel/bin/bench_ledger $(B)/rel/bin/slotd
ASAN_BINS := $(UNIT_TESTS:%=$(B)/asan/bin/%)
FUZZ_BINS := $(FUZZERS:%=$(B)/fuzz/bin/%)

.PHONY: all deps build test fuzz bench format clean cluster
all: build

deps:
	@node/deps/setup.sh

build: $(REL_BINS)

# Every suite prints "N passed, N failed"; .ci/suites sums them into one line.
test: deps
	@$(MAKE) --no-print-directory -j2 $(REL_BINS) $(ASAN_BINS) $(FUZZ_BINS) \
	    $(B)/rel/bin/test_cluster $(B)/asan/bin/slotd \
	    $(B)/rel/bin/test_snapfork $(B)/asan/bin/test_snapfork \
	    $(CLIENT_REL_BINS) $(CLIENT_ASAN_BINS) $(SLOTBENCH_REL_BINS) $(SIM_BINS) \
	    $(GATEWAY_REL_BINS) $(GATEWAY_ASAN_BINS) $(JEPSEN_BINS)
	@.ci/suites \
	  $(JEPSEN_SUITES) \
	  $(SIM_SUITES) \
	  $(CLIENT_SUITES) \
	  $(GATEWAY_SUITES) \
	  $(SLOTBENCH_SUITES) \
	  "snapfork:$(B)/rel/bin/test_snapfork" \
	  "asan-snapfork:$(B)/asan/bin/test_snapfork" \
	  "cluster:$(B)/rel/bin/test_cluster" \
	  "asan-cluster:SLOTD=$(B)/asan/bin/slotd $(B)/rel/bin/test_cluster" \
	  "proto:$(B)/rel/bin/test_proto" \
	  "ledger:$(B)/rel/bin/test_ledger" \
	  "ledger-prop:$(B)/rel/bin/test_ledger_prop" \
	  "asan-proto:$(B)/asan/bin/test_proto" \
	  "asan-ledger:$(B)/asan/bin/test_ledger" \
	  "asan-ledger-prop:$(B)/asan/bin/test_ledger_prop --quick" \
	  $(foreach f,$(FUZZERS),"$(f):proto/fuzz/run $(B)/fuzz/bin/$(f) $(FUZZ_SMOKE_SECONDS)")

# A local 3-node cluster (and the HTTP shim once it is built); Ctrl-C stops it.
cluster: deps
	@$(MAKE) $(B)/rel/bin/slotd $(B)/rel/bin/slotctl \
	    $(if $(wildcard client/gateway/gateway.c),$(B)/rel/bin/slot-gateway)
	@node/cluster.sh

fuzz: deps $(FUZZ_BINS)
	@for f in $(FUZZERS); do proto/fuzz/run $(B)/fuzz/bin/$$f $(FUZZ_SECONDS) || exit 1; done

bench: deps $(B)/rel/bin/bench_ledger bench-gateway
	@mkdir -p bench/results
	$(B)/rel/bin/bench_ledger | tee bench/results/ledger.txt

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# ---- fuzz seed corpus ----------------------------------------------------------
# Seeds are committed; `make corpus` regenerates them (deterministically)
# after a protocol or snapshot format change.
$(B)/rel/bin/gen_corpus: $(B)/rel/proto/fuzz/gen_corpus.o $(CORE_REL)
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC) $(REL_CFLAGS) -o $@ $^ $(LIBS)

.PHONY: corpus
corpus: $(B)/rel/bin/gen_corpus
	$(B)/rel/bin/gen_corpus proto/fuzz/corpus

# ==== client/ (libslot, slotctl, their tests) ================================
# Appended block owned by client/. Targets: build/rel/bin/slotctl,
# build/rel/lib/libslot.so (+ .a), build/{rel,asan}/bin/test_libslot,
# `make install PREFIX=...` (default /usr/local), `make client-test`.
# For `make test`: build $(CLIENT_REL_BINS) $(CLIENT_ASAN_BINS) and add
# $(CLIENT_SUITES) to the .ci/suites list. The suites start real 3-node
# clusters of build/rel/bin/slotd on free ports (needs jansson).
PREFIX ?= /usr/local
CLIENT_CFLAGS := -Iproto
CLIENT_LIBS := -luv -ljansson $(LIBS)
CLIENT_LIB_SRC := client/libslot.c client/libslot_sync.c
CLIENT_TEST_SRC := client/test/test_libslot.c client/test/cluster.c
CLIENT_LIB_REL := $(CLIENT_LIB_SRC:%.c=$(B)/rel/%.o)
CLIENT_LIB_ASAN := $(CLIENT_LIB_SRC:%.c=$(B)/asan/%.o)
CLIENT_PIC := $(CLIENT_LIB_SRC:%.c=$(B)/pic/%.o) $(PROTO_SRC:%.c=$(B)/pic/%.o)

$(B)/rel/client/%.o: client/%.c
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC) $(REL_CFLAGS) $(CLIENT_CFLAGS) -MMD -MP -c $< -o $@

$(B)/asan/client/%.o: client/%.c
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC) $(ASAN_CFLAGS) $(CLIENT_CFLAGS) -MMD -MP -c $< -o $@

# Position-independent objects for the shared library (proto included).
$(B)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC) $(REL_CFLAGS) $(CLIENT_CFLAGS) -fPIC -MMD -MP -c $< -o $@

$(B)/rel/lib/libslot.so: $(CLIENT_PIC)
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC) $(REL_CFLAGS) -shared -Wl,-soname,libslot.so.1 -o $@ $^ -luv $(LIBS)

$(B)/rel/lib/libslot.a: $(CLIENT_LIB_REL) $(PROTO_SRC:%.c=$(B)/rel/%.o)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(B)/rel/bin/slotctl: $(B)/rel/client/slotctl.o $(CLIENT_LIB_REL) $(CORE_REL)
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC) $(REL_CFLAGS) -o $@ $^ $(CLIENT_LIBS)

$(B)/asan/bin/slotctl: $(B)/asan/client/slotctl.o $(CLIENT_LIB_ASAN) $(CORE_ASAN)
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC) $(ASAN_CFLAGS) -o $@ $^ $(CLIENT_LIBS)

$(B)/rel/bin/test_libslot: $(CLIENT_TEST_SRC:%.c=$(B)/rel/%.o) $(CLIENT_LIB_REL) $(CORE_REL)
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC) $(REL_CFLAGS) -o $@ $^ $(CLIENT_LIBS)

$(B)/asan/bin/test_libslot: $(CLIENT_TEST_SRC:%.c=$(B)/asan/%.o) $(CLIENT_LIB_ASAN) $(CORE_ASAN)
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC) $(ASAN_CFLAGS) -o $@ $^ $(CLIENT_LIBS)

CLIENT_REL_BINS := $(B)/rel/bin/slotctl $(B)/rel/lib/libslot.so $(B)/rel/lib/libslot.a \
                   $(B)/rel/bin/test_libslot
# The tests run slotctl of their own flavour and the release slotd.
CLIENT_ASAN_BINS := $(B)/asan/bin/slotctl $(B)/asan/bin/test_libslot
CLIENT_SUITES := "libslot:$(B)/rel/bin/test_libslot" \
                 "asan-libslot:$(B)/asan/bin/test_libslot"

.PHONY: install client client-test
client: $(CLIENT_REL_BINS)

client-test: deps
	@$(MAKE) --no-print-directory $(B)/rel/bin/slotd $(CLIENT_REL_BINS) $(CLIENT_ASAN_BINS)
	@.ci/suites $(CLIENT_SUITES)

install: $(B)/rel/lib/libslot.so $(B)/rel/lib/libslot.a $(B)/rel/bin/slotctl
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include \
	           $(DESTDIR)$(PREFIX)/bin
	install -m 644 client/libslot.h proto/slot_err.h $(DESTDIR)$(PREFIX)/include/
	install -m 755 $(B)/rel/lib/libslot.so $(DESTDIR)$(PREFIX)/lib/libslot.so.1
	ln -sf libslot.so.1 $(DESTDIR)$(PREFIX)/lib/libslot.so
	install -m 644 $(B)/rel/lib/libslot.a $(DESTDIR)$(PREFIX)/lib/
	sed -e 's|@PREFIX@|$(PREFIX)|g' client/slot.pc.in \
	    > $(DESTDIR)$(PREFIX)/lib/pkgconfig/slot.pc
	install -m 755 $(B)/rel/bin/slotctl $(DESTDIR)$(PREFIX)/bin/
# ==== end of client/ block ====================================================

# slotd process tests: real slotd processes, driven through libslot (so
# defined after the client block, whose variables they use).
$(B)/rel/node/test/test_cluster.o: REL_CFLAGS += -Iproto
$(B)/rel/bin/test_cluster: $(B)/rel/node/test/test_cluster.o \
    $(B)/rel/client/test/cluster.o $(CLIENT_LIB_REL) $(CORE_REL)
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC) $(REL_CFLAGS) -o $@ $^ $(CLIENT_LIBS)


# ==== sim (node/test/test_sim.c: the ledger under raft's fixture) ============
# Appended block owned by the simulation test. Targets:
# build/rel/bin/test_sim (raft's own assertions on: .deps/raft-debug),
# build/rel/bin/test_sim_rel (the release raft slotd links; SIM_RAFT_NDEBUG
# tells the test that raft's asserts are compiled out, so the
# snapshot_pending regression must pass through the patched code itself),
# and `make sim` (SEEDS=N: N seeds per cluster size instead of the default;
# a failing seed prints the command that replays it).
# For `make test`: build $(SIM_BINS) and add $(SIM_SUITES) to .ci/suites.
SIM_SRC := node/test/test_sim.c node/fsm.c
SIM_ARGS := $(if $(SEEDS),--seeds $(SEEDS))

$(B)/rel/sim/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC) $(REL_CFLAGS) $(RAFT_DEBUG_CFLAGS) -MMD -MP -c $< -o $@

$(B)/rel/sim-rel/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC) $(REL_CFLAGS) $(RAFT_CFLAGS) -DSIM_RAFT_NDEBUG -MMD -MP -c $< -o $@

$(B)/rel/bin/test_sim: $(SIM_SRC:%.c=$(B)/rel/sim/%.o) $(CORE_REL)
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC) $(REL_CFLAGS) -o $@ $^ $(RAFT_DEBUG_LIBS) $(LIBS)

$(B)/rel/bin/test_sim_rel: $(SIM_SRC:%.c=$(B)/rel/sim-rel/%.o) $(CORE_REL)
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC) $(REL_CFLAGS) -o $@ $^ $(RAFT_LIBS) $(LIBS)

SIM_BINS := $(B)/rel/bin/test_sim $(B)/rel/bin/test_sim_rel
SIM_SUITES := "sim:$(B)/rel/bin/test_sim" "sim-rel:$(B)/rel/bin/test_sim_rel"

.PHONY: sim
sim: deps
	@$(MAKE) --no-print-directory -j2 $(SIM_BINS)
	$(B)/rel/bin/test_sim $(SIM_ARGS)
	$(B)/rel/bin/test_sim_rel $(SIM_ARGS)
# ==== end of sim block ========================================================

# ==== client/gateway/ (slot-gateway, its tests, its benchmark) ===============
# Appended block owned by client/gateway/. Targets: build/rel/bin/slot-gateway
# (+ build/asan/bin/slot-gateway, run by the asan suite), build/{rel,asan}/bin/
# test_gateway (HTTP over sockets against a real 3-node cluster it starts),
# build/{rel,asan}/bin/test_gw_unit (pure units), `make gateway-test`,
# `make bench-gateway` (wrk; results in bench/results/gateway.txt).
# For `make test`: build $(GATEWAY_REL_BINS) $(GATEWAY_ASAN_BINS) and add
# $(GATEWAY_SUITES) to the .ci/suites list.
GW_SRC := client/gateway/gw_err.c client/gateway/gw_route.c client/gateway/gw_json.c \
          client/gateway/gw_limit.c client/gateway/gw_metrics.c \
          client/gateway/gw_config.c client/gateway/gw_openapi.c client/gateway/gw_log.c \
          client/gateway/gw_http.c
GW_CFLAGS := -Iclient -Iproto
GW_LIBS := -lh2o -luv -ljansson $(LIBS)
GW_REL := $(GW_SRC:%.c=$(B)/rel/%.o)
GW_ASAN := $(GW_SRC:%.c=$(B)/asan/%.o)
GW_UNIT_SRC := client/gateway/test/test_gw_unit.c
GW_TEST_SRC := client/gateway/test/test_gateway.c client/gateway/test/http.c \
               client/test/cluster.c

$(B)/rel/client/gateway/%.o: client/gateway/%.c
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC) $(REL_CFLAGS) $(GW_CFLAGS) -MMD -MP -c $< -o $@

$(B)/asan/client/gateway/%.o: client/gateway/%.c
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC) $(ASAN_CFLAGS) $(GW_CFLAGS) -MMD -MP -c $< -o $@

$(B)/rel/bin/slot-gateway: $(B)/rel/client/gateway/gateway.o $(GW_REL) $(B)/rel/lib/libslot.a
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC) $(REL_CFLAGS) -o $@ $^ $(GW_LIBS)

$(B)/asan/bin/slot-gateway: $(B)/asan/client/gateway/gateway.o $(GW_ASAN) $(CLIENT_LIB_ASAN) \
                            $(PROTO_SRC:%.c=$(B)/asan/%.o)
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC) $(ASAN_CFLAGS) -o $@ $^ $(GW_LIBS)

$(B)/rel/bin/test_gw_unit: $(GW_UNIT_SRC:%.c=$(B)/rel/%.o) $(GW_REL) $(B)/rel/lib/libslot.a
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC) $(REL_CFLAGS) -o $@ $^ $(GW_LIBS)

$(B)/asan/bin/test_gw_unit: $(GW_UNIT_SRC:%.c=$(B)/asan/%.o) $(GW_ASAN) $(CLIENT_LIB_ASAN) \
                            $(PROTO_SRC:%.c=$(B)/asan/%.o)
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC) $(ASAN_CFLAGS) -o $@ $^ $(GW_LIBS)

# The HTTP test runs the slot-gateway of its own flavour (next to it) and
# the release slotd.
$(B)/rel/bin/test_gateway: $(GW_TEST_SRC:%.c=$(B)/rel/%.o) $(B)/rel/lib/libslot.a
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC) $(REL_CFLAGS) -o $@ $^ $(GW_LIBS)

$(B)/asan/bin/test_gateway: $(GW_TEST_SRC:%.c=$(B)/asan/%.o) $(CLIENT_LIB_ASAN) \
                            $(PROTO_SRC:%.c=$(B)/asan/%.o)
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC) $(ASAN_CFLAGS) -o $@ $^ $(GW_LIBS)

GATEWAY_REL_BINS := $(B)/rel/bin/slot-gateway $(B)/rel/bin/test_gw_unit \
                    $(B)/rel/bin/test_gateway
GATEWAY_ASAN_BINS := $(B)/asan/bin/slot-gateway $(B)/asan/bin/test_gw_unit \
                     $(B)/asan/bin/test_gateway
GATEWAY_SUITES := "gateway-unit:$(B)/rel/bin/test_gw_unit" \
                  "gateway:$(B)/rel/bin/test_gateway" \
                  "asan-gateway-unit:$(B)/asan/bin/test_gw_unit" \
                  "asan-gateway:$(B)/asan/bin/test_gateway"

.PHONY: gateway gateway-test bench-gateway
gateway: $(GATEWAY_REL_BINS)

gateway-test: deps
	@$(MAKE) --no-print-directory $(B)/rel/bin/slotd $(GATEWAY_REL_BINS) $(GATEWAY_ASAN_BINS)
	@.ci/suites $(GATEWAY_SUITES)

bench-gateway: deps
	@$(MAKE) --no-print-directory $(B)/rel/bin/slotd $(B)/rel/bin/slot-gateway
	@mkdir -p bench/results
	bench/gateway/run.sh | tee bench/results/gateway.txt
# ==== end of client/gateway/ block ============================================

# ==== jepsen-tests/ (fault injection and history checking) ===================
# Appended block owned by jepsen-tests/ (README there). Targets:
#   build/rel/bin/jepsen-client, build/rel/bin/jepsen-checker
#   build/bug/{nobarrier,nosessions}/bin/slotd: test-only builds of slotd with
#     a deliberate bug (-DSLOT_TEST_BUG_NO_BARRIER: linearizable reads served
#     from local state; -DSLOT_TEST_BUG_NO_SESSIONS: no retry deduplication),
#     never the normal build; JEPSEN_BUG_DIR (default node) names where their
#     node.c and ledger.c come from
#   make jepsen        the matrix: each nemesis alone and all combined, on 3
#                      and 5 nodes (JEPSEN_TIME s each, JEPSEN_WORKLOADS)
#   make jepsen-smoke  the short kill + partition run of `make test`
#   make jepsen-bugs   the buggy builds must be caught
# For `make test`: build $(JEPSEN_BINS) and add $(JEPSEN_SUITES) to the
# .ci/suites list (root: network namespaces, nftables, tmpfs; ~3 min).
JEPSEN_TIME ?= 60
JEPSEN_WORKLOADS ?= slots
JEPSEN_BUG_DIR ?= node
JEPSEN_BUGS := nobarrier nosessions
JEPSEN_BUG_FLAG_nobarrier := -DSLOT_TEST_BUG_NO_BARRIER
JEPSEN_BUG_FLAG_nosessions := -DSLOT_TEST_BUG_NO_SESSIONS
JEPSEN_CHECKER_SRC := jepsen-tests/checker.c jepsen-tests/history.c jepsen-tests/model.c \
                      jepsen-tests/linear.c
JEPSEN_SLOTD_SRC := node/slotd.c $(NODE_SRC) $(CORE_SRC)

$(B)/rel/jepsen-tests/%.o: jepsen-tests/%.c
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC) $(REL_CFLAGS) -Iproto -Iclient -MMD -MP -c $< -o $@

$(B)/rel/bin/jepsen-client: $(B)/rel/jepsen-tests/client.o $(CLIENT_LIB_REL) $(CORE_REL)
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC) $(REL_CFLAGS) -o $@ $^ $(CLIENT_LIBS) -lpthread

$(B)/rel/bin/jepsen-checker: $(JEPSEN_CHECKER_SRC:%.c=$(B)/rel/%.o) $(B)/rel/proto/slot_err.o
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC) $(REL_CFLAGS) -o $@ $^ -ljansson

# The buggy builds compile every slotd source with their flag; node.c and
# ledger.c may come from JEPSEN_BUG_DIR (-iquote node keeps their includes).
define jepsen_bug_rules
$(B)/bug/$(1)/%.o: %.c
	@mkdir -p $$(dir $$@)
	@echo "  CC    $$@"
	$(Q)$(CC) $(REL_CFLAGS) $(RAFT_CFLAGS) $(JEPSEN_BUG_FLAG_$(1)) -iquote node -MMD -MP \
	    -c $$(if $$(filter node/node.c node/ledger.c,$$<),$(JEPSEN_BUG_DIR)/$$(notdir $$<),$$<) \
	    -o $$@
$(B)/bug/$(1)/bin/slotd: $(JEPSEN_SLOTD_SRC:%.c=$(B)/bug/$(1)/%.o)
	@mkdir -p $$(dir $$@)
	@echo "  CC    $$@"
	$(Q)$(CC) $(REL_CFLAGS) -o $$@ $$^ $(NODE_LIBS)
endef
$(foreach b,$(JEPSEN_BUGS),$(eval $(call jepsen_bug_rules,$(b))))

JEPSEN_BINS := $(B)/rel/bin/jepsen-client $(B)/rel/bin/jepsen-checker $(B)/rel/bin/slotd \
               $(JEPSEN_BUGS:%=$(B)/bug/%/bin/slotd)
JEPSEN_SUITE_CHECKER := "jepsen-checker:jepsen-tests/test/checker-tests $(B)/rel/bin/jepsen-checker"
JEPSEN_SUITE_SMOKE := "jepsen-smoke:jepsen-tests/run --no-build --time 45 --nemesis kill,partition --seed 7"
JEPSEN_SUITE_BUGS := \
  "jepsen-bug-nobarrier:jepsen-tests/run --no-build --bug nobarrier --expect invalid --time 20 --nemesis partition --seed 3" \
  "jepsen-bug-nosessions:jepsen-tests/run --no-build --bug nosessions --expect invalid --time 20 --nemesis partition-clients --interval 2500 --seed 5"
JEPSEN_SUITES := $(JEPSEN_SUITE_CHECKER) $(JEPSEN_SUITE_SMOKE) $(JEPSEN_SUITE_BUGS)

.PHONY: jepsen jepsen-bins jepsen-smoke jepsen-bugs jepsen-checker-test
jepsen-bins: $(JEPSEN_BINS)

jepsen: deps
	@$(MAKE) --no-print-directory $(JEPSEN_BINS)
	@jepsen-tests/matrix --time $(JEPSEN_TIME) --workloads "$(JEPSEN_WORKLOADS)"

jepsen-smoke: deps
	@$(MAKE) --no-print-directory $(JEPSEN_BINS)
	@.ci/suites $(JEPSEN_SUITE_SMOKE)

jepsen-bugs: deps
	@$(MAKE) --no-print-directory $(JEPSEN_BINS)
	@.ci/suites $(JEPSEN_SUITE_BUGS)

jepsen-checker-test: $(B)/rel/bin/jepsen-checker
	@.ci/suites $(JEPSEN_SUITE_CHECKER)
# ==== end of jepsen-tests/ block ===============================================

# ==== bench/slotbench (slotbench, its peers, `make bench`) ===================
# Appended block owned by bench/slotbench/ and bench/peers/. Targets:
#   build/rel/bin/slotbench   the scalper-burst load generator (slotbench --help)
#   slotbench-bench           the standard set (<= 10 min): every scenario,
#                             native and http, the peers interleaved when
#                             installed; bench/results/*.json + REPORT.md
#   slotbench-smoke           the tiny correctness run below
# `make bench` also runs slotbench-bench (a prerequisite added below). For
# `make test`: build $(SLOTBENCH_REL_BINS) and add $(SLOTBENCH_SUITES) to the
# .ci/suites list (one run, <= 20 s: a tiny burst against a 3-node cluster
# it starts itself on free ports, then the correctness check).
# hiredis (libhiredis-dev) is optional: without it the redis peer says so.
SLOTBENCH_HIREDIS := $(shell pkg-config --exists hiredis 2>/dev/null && echo yes)
SLOTBENCH_CFLAGS := -Iproto $(if $(SLOTBENCH_HIREDIS),-DHAVE_HIREDIS $(shell pkg-config --cflags hiredis))
SLOTBENCH_LIBS := -luv -ljansson -lpthread -lm $(LIBS) \
                  $(if $(SLOTBENCH_HIREDIS),$(shell pkg-config --libs hiredis))
SLOTBENCH_SRC := bench/slotbench/slotbench.c bench/slotbench/sim.c \
                 bench/slotbench/hist.c bench/slotbench/launch.c \
                 bench/slotbench/httpc.c bench/slotbench/be_native.c \
                 bench/slotbench/be_http.c bench/slotbench/sys_slot.c \
                 bench/slotbench/report.c bench/slotbench/diskprobe.c \
                 bench/peers/etcd.c bench/peers/redis.c
SLOTBENCH_OBJ := $(SLOTBENCH_SRC:%.c=$(B)/rel/%.o)

$(SLOTBENCH_OBJ): REL_CFLAGS += $(SLOTBENCH_CFLAGS)

$(B)/rel/bin/slotbench: $(SLOTBENCH_OBJ) $(B)/rel/client/test/cluster.o \
    $(CLIENT_LIB_REL) $(PROTO_SRC:%.c=$(B)/rel/%.o)
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC) $(REL_CFLAGS) -o $@ $^ $(SLOTBENCH_LIBS)

SLOTBENCH_REL_BINS := $(B)/rel/bin/slotbench $(B)/rel/bin/slotd
SLOTBENCH_SMOKE := $(B)/rel/bin/slotbench burst --smoke --quiet --pools 2 \
    --capacity 300 --patients 2000 --arrival-ms 500 --release-in-ms 800 \
    --ttl-ms 1000 --pay-max-ms 100 --bot-abandon 0 --patience-ms 8000 \
    --duration-ms 14000 \
    --drain-ms 1000 --out $(B)/test-logs/slotbench-smoke.json
SLOTBENCH_SUITES := "slotbench-smoke:$(SLOTBENCH_SMOKE)"

.PHONY: slotbench slotbench-smoke slotbench-bench
slotbench: $(SLOTBENCH_REL_BINS)

slotbench-smoke: $(SLOTBENCH_REL_BINS)
	@mkdir -p $(B)/test-logs
	@.ci/suites $(SLOTBENCH_SUITES)

# SLOTBENCH_PEERS=0 skips etcd and redis; SLOTBENCH_INSTALL=0 never installs
# them (they are used only when installed: Debian's etcd-server, etcd-client,
# redis-server).
slotbench-bench: $(SLOTBENCH_REL_BINS)
	@bench/slotbench/run-bench.sh

bench: slotbench-bench
# ==== end of bench/slotbench block ============================================
