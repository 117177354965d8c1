# node/ledger/: the pure state machine (includes only proto/ and itself), its
# unit and property tests, reference model, fuzzers and micro-benchmark.

LEDGER_SRC := node/ledger/ledger.c node/ledger/htab.c node/ledger/intern.c \
              node/ledger/claims.c node/ledger/sessions.c node/ledger/pools.c \
              node/ledger/holds.c node/ledger/apply.c node/ledger/reads.c \
              node/ledger/hospitals.c node/ledger/schedule.c node/ledger/flowback.c \
              node/ledger/snapshot.c node/ledger/check.c \
              node/ledger/patients.c node/ledger/cooling.c \
              node/ledger/visit.c node/ledger/feed.c node/ledger/money.c
# proto + ledger: what every replica runs, and what the tools link.
CORE_SRC := $(PROTO_SRC) $(LEDGER_SRC)
CORE_REL := $(CORE_SRC:%.c=$(B)/rel/%.o)
CORE_ASAN := $(CORE_SRC:%.c=$(B)/asan/%.o)

$(eval $(call compile_rules,node/ledger,$(LEDGER_INC)))
$(eval $(call compile_rules,node/ledger/test,$(LEDGER_INC) $(TESTLIB_INC)))
$(eval $(call compile_rules,node/ledger/bench,$(LEDGER_INC) $(TESTLIB_INC)))

LEDGER_TESTS := test_ledger test_sched test_ledger_prop
test_ledger_OBJ := node/ledger/test/test_ledger.o node/ledger/test/fx.o
test_sched_OBJ := node/ledger/test/test_sched.o node/ledger/test/fx.o
test_ledger_prop_OBJ := node/ledger/test/test_ledger_prop.o node/ledger/test/refmodel.o
define ledger_test_rules
$(B)/rel/bin/$(1): $$($(1)_OBJ:%=$(B)/rel/%) $(CORE_REL)
	$$(call link,$$(REL_CFLAGS),$$(LIBS))
$(B)/asan/bin/$(1): $$($(1)_OBJ:%=$(B)/asan/%) $(CORE_ASAN)
	$$(call link,$$(ASAN_CFLAGS),$$(LIBS))
endef
$(foreach t,$(LEDGER_TESTS),$(eval $(call ledger_test_rules,$(t))))

# The micro-benchmark (make bench): apply cost per command, memory per
# claimed slot, snapshot and restore, the hospitals' rules (import, HOLD
# with every rule on, the pool query) and the patient rules (HOLD with
# every rule on, against the same holds without them).
$(B)/rel/bin/bench_ledger: $(B)/rel/node/ledger/bench/bench_ledger.o \
                           $(B)/rel/node/ledger/bench/bench_sched.o \
                           $(B)/rel/node/ledger/bench/bench_patients.o \
                           $(B)/rel/node/ledger/bench/bench_visit.o $(CORE_REL)
	$(call link,$(REL_CFLAGS),$(LIBS))

# Fuzzers of the ledger's inputs: whole Raft entries, snapshots.
LEDGER_FUZZERS := fuzz_entry fuzz_snapshot
$(LEDGER_FUZZERS:%=$(B)/fuzz/bin/%): $(B)/fuzz/bin/%: node/ledger/fuzz/%.c $(CORE_SRC) \
                                     $(wildcard proto/*.h node/ledger/*.h)
	@mkdir -p $(dir $@)
	@echo "  CLANG $@"
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(LEDGER_INC) -o $@ $< $(CORE_SRC) $(LIBS)
FUZZ_RUNS += $(foreach f,$(LEDGER_FUZZERS),$(B)/fuzz/bin/$(f)=node/ledger/fuzz/corpus/$(f))
FUZZ_BINS += $(LEDGER_FUZZERS:%=$(B)/fuzz/bin/%)

# Seeds are committed; `make corpus` regenerates every fuzzer's seeds
# (deterministically) after a protocol or snapshot format change.
$(B)/rel/bin/gen_corpus: $(B)/rel/node/ledger/fuzz/gen_corpus.o $(CORE_REL)
	$(call link,$(REL_CFLAGS),$(LIBS))
corpus: $(B)/rel/bin/gen_corpus
	$(B)/rel/bin/gen_corpus proto/fuzz/corpus node/ledger/fuzz/corpus

BUILD_BINS += $(LEDGER_TESTS:%=$(B)/rel/bin/%) $(B)/rel/bin/bench_ledger
TEST_BINS += $(LEDGER_TESTS:%=$(B)/rel/bin/%) $(LEDGER_TESTS:%=$(B)/asan/bin/%) \
             $(LEDGER_FUZZERS:%=$(B)/fuzz/bin/%)
LEDGER_SUITES := "ledger:$(B)/rel/bin/test_ledger" \
                 "sched:$(B)/rel/bin/test_sched" \
                 "asan-sched:$(B)/asan/bin/test_sched" \
                 "ledger-prop:$(B)/rel/bin/test_ledger_prop" \
                 "asan-ledger:$(B)/asan/bin/test_ledger" \
                 "asan-ledger-prop:$(B)/asan/bin/test_ledger_prop --quick" \
                 $(foreach f,$(LEDGER_FUZZERS),"$(f):proto/fuzz/run $(B)/fuzz/bin/$(f) $(FUZZ_SMOKE_SECONDS) node/ledger/fuzz/corpus/$(f)")

.PHONY: bench-ledger
bench-ledger: $(B)/rel/bin/bench_ledger
	@mkdir -p bench/results
	$(B)/rel/bin/bench_ledger | tee bench/results/ledger.txt
