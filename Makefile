# Slot ledger: build, test, fuzz, bench, run a local cluster.
#
#   make            build everything (release flavour, build/rel)
#   make test       install what is missing, build, run every suite
#   make cluster    a local 3-node cluster + HTTP shim with a demo schedule
#   make fuzz       run every fuzzer longer (FUZZ_SECONDS each)
#   make bench      benchmarks (results under bench/results)
#   make format     clang-format every C file in place
#   make deb        Debian packages into build/deb (node/deb)
#   make clean      remove build/ (keeps .deps/, the local raft build)
#
# Flavours: build/rel (-O2, assertions on), build/asan (AddressSanitizer +
# UndefinedBehaviorSanitizer + LeakSanitizer, run as test suites of their
# own), build/pic (the shared libslot), build/fuzz (clang, libFuzzer).
#
# Each folder owns a module.mk with its sources, binaries and suites; this
# file holds what they share. Includes are by file name only: each folder's
# objects are compiled with the -I roots of the layers it may use, so an
# include that points up a layer does not compile:
#   proto            -Iproto
#   node/ledger      + -Inode/ledger
#   node (glue)      + -Inode, raft
#   client           -Iproto -Iclient
#   client/gateway   + -Iclient/gateway
#   bench, jepsen-tests: what they use
# Test code adds the test library's roots (proto/testlib, node/testlib).

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

# Include roots of each layer (see the top of this file).
PROTO_INC := -Iproto
LEDGER_INC := $(PROTO_INC) -Inode/ledger
NODE_INC := $(LEDGER_INC) -Inode $(RAFT_CFLAGS)
CLIENT_INC := $(PROTO_INC) -Iclient
GW_INC := $(CLIENT_INC) -Iclient/gateway
TESTLIB_INC := -Iproto/testlib
CLUSTERLIB_INC := -Inode/testlib

# $(call compile_rules,DIR,FLAGS): how the .c files directly in DIR (and in
# its subfolders without rules of their own: make prefers the rule with the
# shortest stem) become objects of every flavour.
define compile_rules
$(B)/rel/$(1)/%.o: $(1)/%.c
	@mkdir -p $$(dir $$@)
	@echo "  CC    $$@"
	$(Q)$(CC) $(REL_CFLAGS) $(2) -MMD -MP -c $$< -o $$@
$(B)/asan/$(1)/%.o: $(1)/%.c
	@mkdir -p $$(dir $$@)
	@echo "  CC    $$@"
	$(Q)$(CC) $(ASAN_CFLAGS) $(2) -MMD -MP -c $$< -o $$@
$(B)/pic/$(1)/%.o: $(1)/%.c
	@mkdir -p $$(dir $$@)
	@echo "  CC    $$@"
	$(Q)$(CC) $(REL_CFLAGS) $(2) -fPIC -MMD -MP -c $$< -o $$@
endef

# $(call link,FLAGS,LIBS): the link command of a binary from its prerequisites.
define link
	@mkdir -p $(dir $@)
	@echo "  LD    $@"
	$(Q)$(CC) $(1) -o $@ $^ $(2)
endef

comma := ,

# What each module adds: BUILD_BINS (`make`), TEST_BINS (built before the
# suites run), its *_SUITES ("name:command", listed in TEST_SUITES below),
# FUZZ_BINS and FUZZ_RUNS ("BIN=CORPUS").
BUILD_BINS :=
TEST_BINS :=
FUZZ_BINS :=
FUZZ_RUNS :=

.PHONY: all deps build test fuzz bench format clean cluster corpus
all: build

include proto/module.mk
include node/ledger/module.mk
include node/testlib/module.mk
include client/module.mk
include client/gateway/module.mk
include node/module.mk
include bench/module.mk
include jepsen-tests/module.mk
include node/deb/module.mk

# Every committed C file is as .clang-format says (make format fixes it).
FORMAT_SUITE := "format@120:clang-format --dry-run -Werror \$$(git ls-files '*.c' '*.h')"

# The order `make test` runs them in, in three lanes side by side
# (.ci/suites, "::" between them): the jepsen runs, which mostly wait on
# their clock, in one; the node, client and package suites (process-level)
# in another; the gateway, bench, unit, property, fuzz and format suites in
# the third. Slow process-level suites come first in their lanes, so a hung
# or broken cluster shows early.
TEST_SUITES := $(JEPSEN_SUITES) :: \
               $(NODE_SUITES) $(CLIENT_SUITES) $(DEB_SUITES) :: \
               $(GATEWAY_SUITES) $(SLOTBENCH_SUITES) $(PROTO_SUITES) \
               $(LEDGER_SUITES) $(FORMAT_SUITE)


deps:
	@node/deps/setup.sh

build: $(BUILD_BINS)

# Every suite prints "N passed, N failed"; .ci/suites sums them into one
# line and bounds each suite's time (a hang is a failure with its name).
test: deps
	@$(MAKE) --no-print-directory -j2 $(TEST_BINS)
	@.ci/suites $(TEST_SUITES)

# A local 3-node cluster and the HTTP shim; Ctrl-C stops it.
cluster: deps
	@$(MAKE) $(B)/rel/bin/slotd $(B)/rel/bin/slotctl $(B)/rel/bin/slot-gateway \
	        $(B)/rel/bin/slot-archiver
	@node/cluster.sh

fuzz: deps $(FUZZ_BINS)
	@bad=0; for f in $(FUZZ_RUNS); do proto/fuzz/run $${f%%=*} $(FUZZ_SECONDS) $${f#*=} || bad=$$((bad + 1)); done; \
	echo "make fuzz: $$bad fuzzer(s) found something"; [ $$bad -eq 0 ]

bench: deps

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
