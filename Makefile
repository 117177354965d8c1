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
ASAN_CFLAGS := $(BASE_CFLAGS) -O1 -fno-omit-frame-pointer \
               -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Werror \
               -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
LIBS := -lmsgpackc -llz4
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 8

PROTO_SRC := proto/slot_err.c proto/mp.c proto/slot_valid.c proto/slot_proto.c
LEDGER_SRC := node/ledger.c node/ledger_snap.c
CORE_SRC := $(PROTO_SRC) $(LEDGER_SRC)

FUZZERS := fuzz_cmd fuzz_entry fuzz_frame fuzz_read fuzz_snapshot

# ---- objects ---------------------------------------------------------------
$(B)/rel/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(REL_CFLAGS) -MMD -MP -c $< -o $@

$(B)/asan/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_CFLAGS) -MMD -MP -c $< -o $@

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
	$(CC) $(REL_CFLAGS) -o $$@ $$^ $(LIBS)
$(B)/asan/bin/$(1): $$($(1)_SRC:%.c=$(B)/asan/%.o) $(CORE_ASAN)
	@mkdir -p $$(dir $$@)
	$(CC) $(ASAN_CFLAGS) -o $$@ $$^ $(LIBS)
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_rules,$(t))))

# Fuzzers: one file each under proto/fuzz/, linked with the core built by
# clang with the fuzzer's instrumentation.
$(B)/fuzz/bin/%: proto/fuzz/%.c $(CORE_SRC) $(wildcard proto/*.h node/*.h)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -o $@ $< $(CORE_SRC) $(LIBS)

# ---- benchmarks ----------------------------------------------------------------
$(B)/rel/bin/bench_ledger: $(B)/rel/bench/bench_ledger.o $(CORE_REL)
	@mkdir -p $(dir $@)
	$(CC) $(REL_CFLAGS) -o $@ $^ $(LIBS)

# ---- top-level targets ---------------------------------------------------------
REL_BINS := $(UNIT_TESTS:%=$(B)/rel/bin/%) $(B)/rel/bin/bench_ledger
ASAN_BINS := $(UNIT_TESTS:%=$(B)/asan/bin/%)
FUZZ_BINS := $(FUZZERS:%=$(B)/fuzz/bin/%)

.PHONY: all deps build test fuzz bench format clean
all: build

deps:
	@node/deps/setup.sh

build: $(REL_BINS)

# Every suite prints "N passed, N failed"; .ci/suites sums them into one line.
test: deps
	@$(MAKE) --no-print-directory -j2 $(REL_BINS) $(ASAN_BINS) $(FUZZ_BINS)
	@.ci/suites \
	  "proto:$(B)/rel/bin/test_proto" \
	  "ledger:$(B)/rel/bin/test_ledger" \
	  "ledger-prop:$(B)/rel/bin/test_ledger_prop" \
	  "asan-proto:$(B)/asan/bin/test_proto" \
	  "asan-ledger:$(B)/asan/bin/test_ledger" \
	  "asan-ledger-prop:$(B)/asan/bin/test_ledger_prop --quick" \
	  $(foreach f,$(FUZZERS),"$(f):proto/fuzz/run $(B)/fuzz/bin/$(f) $(FUZZ_SMOKE_SECONDS)")

fuzz: deps $(FUZZ_BINS)
	@for f in $(FUZZERS); do proto/fuzz/run $(B)/fuzz/bin/$$f $(FUZZ_SECONDS) || exit 1; done

bench: deps $(B)/rel/bin/bench_ledger
	@mkdir -p bench/results
	$(B)/rel/bin/bench_ledger | tee bench/results/ledger.txt

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
