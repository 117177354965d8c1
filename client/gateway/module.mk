# client/gateway/: slot-gateway, the HTTP shim over libslot, its tests and
# its wrk benchmark. Targets: build/rel/bin/slot-gateway (+ the asan
# flavour, run by the asan suites), build/{rel,asan}/bin/test_gateway (HTTP
# over sockets against a real 3-node cluster it starts),
# build/{rel,asan}/bin/test_gw_unit (pure units), `make gateway-test`,
# `make bench-gateway` (wrk; results in bench/results/gateway.txt, then
# bench-healthz), `make bench-healthz` (bench/results/healthz.json).

GW_SRC := client/gateway/gw_err.c client/gateway/gw_route.c client/gateway/gw_json.c \
          client/gateway/gw_limit.c client/gateway/gw_metrics.c client/gateway/gw_admit.c \
          client/gateway/gw_config.c client/gateway/gw_openapi.c client/gateway/gw_log.c \
          client/gateway/gw_sched.c client/gateway/gw_pcache.c \
          client/gateway/gw_http.c client/gateway/gw_http_sched.c \
          client/gateway/gw_http_patient.c client/gateway/gw_http_visit.c \
          client/gateway/gw_http_events.c client/gateway/gw_events.c \
          client/gateway/gw_fanout.c client/gateway/gw_console.c \
          client/gateway/gw_ident.c client/gateway/gw_stats.c \
          client/gateway/gw_http_money.c client/gateway/gw_http_cluster.c \
          client/slotctl_sched.c client/recon.c
# libcrypto (OpenSSL): gw_ident's HMAC-SHA256.
GW_LIBS := -lh2o -luv -ljansson -lcrypto $(LIBS)
# The operator console's files, embedded (gw_console.h) by embed.sh into a
# generated C file (not committed), rebuilt when a file changes.
CONSOLE_FILES := client/gateway/console/index.html \
                 client/gateway/console/console.css \
                 client/gateway/console/console.js client/gateway/console/api.js
$(B)/gen/gw_console_files.c: client/gateway/console/embed.sh $(CONSOLE_FILES)
	@mkdir -p $(dir $@)
	@echo "  GEN   $@"
	$(Q)client/gateway/console/embed.sh $@ $(CONSOLE_FILES)
$(B)/rel/gen/gw_console_files.o: $(B)/gen/gw_console_files.c client/gateway/gw_console.h
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC) $(REL_CFLAGS) $(GW_INC) -c $< -o $@
$(B)/asan/gen/gw_console_files.o: $(B)/gen/gw_console_files.c client/gateway/gw_console.h
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	$(Q)$(CC) $(ASAN_CFLAGS) $(GW_INC) -c $< -o $@
GW_REL := $(GW_SRC:%.c=$(B)/rel/%.o) $(B)/rel/gen/gw_console_files.o
GW_ASAN := $(GW_SRC:%.c=$(B)/asan/%.o) $(B)/asan/gen/gw_console_files.o
GW_TEST_SRC := client/gateway/test/test_gateway.c client/gateway/test/http.c

$(eval $(call compile_rules,client/gateway,$(GW_INC)))
$(eval $(call compile_rules,client/gateway/test,$(GW_INC) $(TESTLIB_INC) $(CLUSTERLIB_INC)))

$(B)/rel/bin/slot-gateway: $(B)/rel/client/gateway/gateway.o $(GW_REL) $(CLIENT_LIB_REL) \
                           $(PROTO_REL)
	$(call link,$(REL_CFLAGS),$(GW_LIBS))
$(B)/asan/bin/slot-gateway: $(B)/asan/client/gateway/gateway.o $(GW_ASAN) $(CLIENT_LIB_ASAN) \
                            $(PROTO_ASAN)
	$(call link,$(ASAN_CFLAGS),$(GW_LIBS))

$(B)/rel/bin/test_gw_unit: $(B)/rel/client/gateway/test/test_gw_unit.o $(GW_REL) \
                           $(CLIENT_LIB_REL) $(PROTO_REL)
	$(call link,$(REL_CFLAGS),$(GW_LIBS))
$(B)/asan/bin/test_gw_unit: $(B)/asan/client/gateway/test/test_gw_unit.o $(GW_ASAN) \
                            $(CLIENT_LIB_ASAN) $(PROTO_ASAN)
	$(call link,$(ASAN_CFLAGS),$(GW_LIBS))

# The HTTP test runs the slot-gateway of its own flavour (next to it) and
# the release slotd; it derives the keys it expects with gw_ident.
$(B)/rel/bin/test_gateway: $(GW_TEST_SRC:%.c=$(B)/rel/%.o) \
                           $(B)/rel/client/gateway/gw_ident.o $(CLIENT_LIB_REL) \
                           $(CLUSTERLIB_REL) $(PROTO_REL)
	$(call link,$(REL_CFLAGS),$(GW_LIBS))
$(B)/asan/bin/test_gateway: $(GW_TEST_SRC:%.c=$(B)/asan/%.o) \
                            $(B)/asan/client/gateway/gw_ident.o $(CLIENT_LIB_ASAN) \
                            $(CLUSTERLIB_ASAN) $(PROTO_ASAN)
	$(call link,$(ASAN_CFLAGS),$(GW_LIBS))

GATEWAY_REL_BINS := $(B)/rel/bin/slot-gateway $(B)/rel/bin/test_gw_unit \
                    $(B)/rel/bin/test_gateway
GATEWAY_ASAN_BINS := $(B)/asan/bin/slot-gateway $(B)/asan/bin/test_gw_unit \
                     $(B)/asan/bin/test_gateway
GATEWAY_SUITES := "gateway-unit:$(B)/rel/bin/test_gw_unit" \
                  "gateway:$(B)/rel/bin/test_gateway" \
                  "asan-gateway-unit:$(B)/asan/bin/test_gw_unit" \
                  "asan-gateway:$(B)/asan/bin/test_gateway"
BUILD_BINS += $(B)/rel/bin/slot-gateway
TEST_BINS += $(GATEWAY_REL_BINS) $(GATEWAY_ASAN_BINS)

# test_browser: headless Chromium (Debian's chromium, python3-websocket)
# drives the operator console (/console) of a real gateway over a real
# 3-node cluster: client/gateway/test/browser_console.py over the DevTools
# protocol driver cdp.py. Screenshots, one per step: build/test-logs/browser/.
# `make browser-test` runs it alone.
$(B)/rel/bin/test_browser: $(B)/rel/client/gateway/test/test_browser.o $(CLUSTERLIB_REL) \
                           $(PROTO_REL)
	$(call link,$(REL_CFLAGS),-luv -ljansson $(LIBS))
TEST_BINS += $(B)/rel/bin/test_browser
GATEWAY_REL_BINS += $(B)/rel/bin/test_browser
GATEWAY_SUITES += "browser@360:$(B)/rel/bin/test_browser"

.PHONY: browser-test
browser-test: deps
	@$(MAKE) --no-print-directory $(B)/rel/bin/slotd $(B)/rel/bin/slot-gateway \
	    $(B)/rel/bin/test_browser
	@.ci/suites "browser@360:$(B)/rel/bin/test_browser"

# bench_healthz (bench/gateway/): GET /healthz with 1M bookings in the
# ledger, wrk on one connection, then a follower's restart from a snapshot
# of them; `make bench-healthz` writes bench/results/healthz.json (also run
# by bench-gateway).
$(eval $(call compile_rules,bench/gateway,$(CLIENT_INC) $(TESTLIB_INC) $(CLUSTERLIB_INC)))
$(B)/rel/bin/bench_healthz: $(B)/rel/bench/gateway/bench_healthz.o $(CLIENT_LIB_REL) \
                            $(CLUSTERLIB_REL) $(PROTO_REL)
	$(call link,$(REL_CFLAGS),-luv -ljansson $(LIBS))
BUILD_BINS += $(B)/rel/bin/bench_healthz

.PHONY: gateway gateway-test bench-gateway bench-healthz
gateway: $(GATEWAY_REL_BINS)

gateway-test: deps
	@$(MAKE) --no-print-directory $(B)/rel/bin/slotd $(GATEWAY_REL_BINS) $(GATEWAY_ASAN_BINS) \
	    $(GW_FUZZ_BIN)
	@.ci/suites $(GATEWAY_SUITES)

bench-gateway: deps
	@$(MAKE) --no-print-directory $(B)/rel/bin/slotd $(B)/rel/bin/slot-gateway
	@mkdir -p bench/results
	bench/gateway/run.sh | tee bench/results/gateway.txt
	@$(MAKE) --no-print-directory bench-healthz

# HEALTHZ_CLAIMS (1000000) and HEALTHZ_SECONDS (10) change the run.
bench-healthz: deps
	@$(MAKE) --no-print-directory $(B)/rel/bin/slotd $(B)/rel/bin/slot-gateway \
	    $(B)/rel/bin/bench_healthz
	@mkdir -p bench/results
	BENCH_COMMIT=$$(git rev-parse --short HEAD 2>/dev/null) \
	    $(B)/rel/bin/bench_healthz --claims $(or $(HEALTHZ_CLAIMS),1000000) \
	    --bookings --duration $(or $(HEALTHZ_SECONDS),10) --out bench/results/healthz.json

# fuzz_gw_sched: the JSON inputs of the schedule routes (rule sets, PUT
# bodies, templates, pool bodies, query strings) against libslot's own
# checks, and the JSON of every rule set the protocol accepts. clang with
# libFuzzer, like proto/fuzz; seeds in client/gateway/fuzz/corpus/; smoke
# run in make test (GATEWAY_SUITES), FUZZ_SECONDS in make fuzz.
#
# fuzz_gw_ident: identity documents into patient keys (gw_ident) and the
# hold, lookup, staff and check-in bodies that carry them (gw_json),
# against an independent statement of each type's rule, the protocol's
# patient-key rule, and "no message repeats the number".
#
# fuzz_gw_edge: the rest of the HTTP edge: the route matcher against a
# reference matcher, percent-encoding both ways, the query strings, the
# pool / confirm / template / empty / rules / stop / move bodies, the path
# arguments and header values (in buffers without a terminator) against
# the protocol's validators, and the configuration file (gw_config_parse).
GW_FUZZ_SRC := client/gateway/gw_sched.c client/gateway/gw_json.c \
               client/gateway/gw_events.c \
               client/gateway/gw_err.c client/gateway/gw_route.c \
               client/gateway/gw_ident.c client/gateway/gw_config.c \
               client/slotctl_sched.c
GW_FUZZERS := fuzz_gw_sched fuzz_gw_ident fuzz_gw_edge
GW_FUZZ_BIN := $(GW_FUZZERS:%=$(B)/fuzz/bin/%)
$(GW_FUZZ_BIN): $(B)/fuzz/bin/%: client/gateway/fuzz/%.c $(GW_FUZZ_SRC) \
                $(CLIENT_LIB_SRC) $(PROTO_SRC) \
                $(wildcard client/gateway/*.h client/*.h proto/*.h)
	@mkdir -p $(dir $@)
	@echo "  CLANG $@"
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(GW_INC) -o $@ $< $(GW_FUZZ_SRC) $(CLIENT_LIB_SRC) \
	    $(PROTO_SRC) -ljansson -luv -lcrypto $(LIBS)
FUZZ_RUNS += $(foreach f,$(GW_FUZZERS),$(B)/fuzz/bin/$(f)=client/gateway/fuzz/corpus/$(f))
FUZZ_BINS += $(GW_FUZZ_BIN)
TEST_BINS += $(GW_FUZZ_BIN)
GATEWAY_SUITES += $(foreach f,$(GW_FUZZERS),"$(f):proto/fuzz/run $(B)/fuzz/bin/$(f) $(FUZZ_SMOKE_SECONDS) client/gateway/fuzz/corpus/$(f)")
