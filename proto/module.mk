# proto/: the wire format (the lowest layer: includes nothing of the repo
# outside proto/), its unit tests and its decoder fuzzers.

PROTO_SRC := proto/slot_err.c proto/mp.c proto/slot_valid.c proto/slot_proto.c \
             proto/slot_addr.c \
             proto/slot_sched.c proto/slot_time.c \
             proto/slot_admin.c proto/slot_prom.c
PROTO_REL := $(PROTO_SRC:%.c=$(B)/rel/%.o)
PROTO_ASAN := $(PROTO_SRC:%.c=$(B)/asan/%.o)
PROTO_PIC := $(PROTO_SRC:%.c=$(B)/pic/%.o)

$(eval $(call compile_rules,proto,$(PROTO_INC)))
$(eval $(call compile_rules,proto/test,$(PROTO_INC) $(TESTLIB_INC)))

$(B)/rel/bin/test_proto: $(B)/rel/proto/test/test_proto.o $(PROTO_REL)
	$(call link,$(REL_CFLAGS),$(LIBS))
$(B)/asan/bin/test_proto: $(B)/asan/proto/test/test_proto.o $(PROTO_ASAN)
	$(call link,$(ASAN_CFLAGS),$(LIBS))

# Fuzzers: one file each, built by clang with the fuzzer's instrumentation
# together with the sources they reach. Seeds: proto/fuzz/corpus/NAME/
# (written by `make corpus`, see node/ledger/module.mk).
PROTO_FUZZERS := fuzz_cmd fuzz_frame fuzz_read fuzz_sched fuzz_admin
$(PROTO_FUZZERS:%=$(B)/fuzz/bin/%): $(B)/fuzz/bin/%: proto/fuzz/%.c $(PROTO_SRC) \
                                    $(wildcard proto/*.h)
	@mkdir -p $(dir $@)
	@echo "  CLANG $@"
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(PROTO_INC) -o $@ $< $(PROTO_SRC) $(LIBS)

# "BIN=CORPUS" pairs for `make fuzz` and the smoke suites.
FUZZ_RUNS += $(foreach f,$(PROTO_FUZZERS),$(B)/fuzz/bin/$(f)=proto/fuzz/corpus/$(f))
FUZZ_BINS += $(PROTO_FUZZERS:%=$(B)/fuzz/bin/%)

BUILD_BINS += $(B)/rel/bin/test_proto
TEST_BINS += $(B)/rel/bin/test_proto $(B)/asan/bin/test_proto \
             $(PROTO_FUZZERS:%=$(B)/fuzz/bin/%)
PROTO_SUITES := "proto:$(B)/rel/bin/test_proto" \
                "asan-proto:$(B)/asan/bin/test_proto" \
                $(foreach f,$(PROTO_FUZZERS),"$(f):proto/fuzz/run $(B)/fuzz/bin/$(f) $(FUZZ_SMOKE_SECONDS) proto/fuzz/corpus/$(f)")
