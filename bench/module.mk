# bench/: slotbench (the scalper-burst load generator), its peers (etcd,
# Redis) and `make bench`. Targets:
#   build/rel/bin/slotbench   the load generator (slotbench --help)
#   slotbench-bench (= bench) one run set (<= 10 min,
#                             bench/slotbench/run-bench.sh): old results
#                             deleted, bench_ledger, the gateway under wrk,
#                             every scenario native and http, the peers
#                             interleaved when installed; then the seal,
#                             bench/results/REPORT.md and README.md's
#                             figures table (bench/readme-table.sh)
#   slotbench-smoke           the tiny correctness runs below (burst,
#                             burst --rules, import)
#   readme-table              README's table against bench/results (a suite)
# slotbench links the test library's cluster launcher (liblocalcluster.a).
# hiredis (libhiredis-dev) is optional: without it the redis peer says so.

SLOTBENCH_HIREDIS := $(shell pkg-config --exists hiredis 2>/dev/null && echo yes)
SLOTBENCH_INC := $(CLIENT_INC) $(TESTLIB_INC) $(CLUSTERLIB_INC) -Ibench/slotbench \
                 $(if $(SLOTBENCH_HIREDIS),-DHAVE_HIREDIS $(shell pkg-config --cflags hiredis))
SLOTBENCH_LIBS := -luv -ljansson -lpthread -lm $(LIBS) \
                  $(if $(SLOTBENCH_HIREDIS),$(shell pkg-config --libs hiredis))
SLOTBENCH_SRC := bench/slotbench/slotbench.c bench/slotbench/sim.c \
                 bench/slotbench/hist.c bench/slotbench/httpc.c \
                 bench/slotbench/be_native.c bench/slotbench/be_http.c \
                 bench/slotbench/sys_slot.c bench/slotbench/report.c \
                 bench/slotbench/readme.c bench/slotbench/runset.c \
                 bench/slotbench/bjson.c bench/slotbench/diskprobe.c \
                 bench/slotbench/hosp.c bench/slotbench/importer.c \
                 bench/slotbench/smoke.c bench/slotbench/botprep.c \
                 bench/slotbench/fanout.c bench/slotbench/procstat.c \
                 bench/peers/etcd.c bench/peers/redis.c

$(eval $(call compile_rules,bench,$(SLOTBENCH_INC)))

$(B)/rel/bin/slotbench: $(SLOTBENCH_SRC:%.c=$(B)/rel/%.o) $(CLIENT_LIB_REL) \
                        $(CLUSTERLIB_REL) $(PROTO_REL)
	$(call link,$(REL_CFLAGS),$(SLOTBENCH_LIBS))

SLOTBENCH_REL_BINS := $(B)/rel/bin/slotbench $(B)/rel/bin/slotd
# What a run set runs besides slotbench.
SLOTBENCH_SET_BINS := $(SLOTBENCH_REL_BINS) $(B)/rel/bin/bench_ledger \
                      $(B)/rel/bin/slot-gateway $(B)/rel/bin/bench_healthz
SLOTBENCH_SMOKE := $(B)/rel/bin/slotbench burst --smoke --quiet --pools 2 \
    --capacity 300 --patients 2000 --arrival-ms 500 --release-in-ms 800 \
    --ttl-ms 1000 --pay-max-ms 100 --bot-abandon 0 --patience-ms 8000 \
    --duration-ms 14000 \
    --drain-ms 1000 --out $(B)/test-logs/slotbench-smoke.json
# The same burst with every hospital rule on (hosp.h), and a small
# schedule import: each run's check, then its JSON read back (smoke.h:
# every bucket used, every pool created, listed and unchanged on re-import).
SLOTBENCH_RULES_SMOKE := $(B)/rel/bin/slotbench burst --rules --smoke \
    --quiet --pools 2 --capacity 300 --patients 2000 --arrival-ms 500 \
    --release-in-ms 800 --ttl-ms 1000 --pay-max-ms 100 --bot-abandon 0 \
    --patience-ms 8000 --duration-ms 14000 --drain-ms 1000 \
    --out $(B)/test-logs/slotbench-rules-smoke.json
# The burst over the gateway as channels reach it (issue 17): 500
# keep-alive connections, each closed and opened again after 5 answers; its
# JSON must show every connection opened, the churn, and every accepted
# answer's time split (smoke.c). Needs slot-gateway.
SLOTBENCH_HTTP_SMOKE := $(B)/rel/bin/slotbench burst --mode http --smoke \
    --quiet --pools 2 --capacity 300 --patients 2000 --arrival-ms 500 \
    --release-in-ms 800 --ttl-ms 1000 --pay-max-ms 100 --bot-abandon 0 \
    --patience-ms 8000 --duration-ms 14000 --drain-ms 1000 --conns 500 \
    --conn-reqs 5 --out $(B)/test-logs/slotbench-http-smoke.json
SLOTBENCH_IMPORT_SMOKE := $(B)/rel/bin/slotbench import --smoke --quiet \
    --import-pools 2000 --import-templates 20 \
    --out $(B)/test-logs/slotbench-import-smoke.json
# README's figures table must be what the committed run set gives
# (bench/readme-table.sh --check; it needs only slotbench).
SLOTBENCH_SUITES := "slotbench-smoke:$(SLOTBENCH_SMOKE)" \
                    "slotbench-rules@120:$(SLOTBENCH_RULES_SMOKE)" \
                    "slotbench-import@120:$(SLOTBENCH_IMPORT_SMOKE)" \
                    "slotbench-http@120:$(SLOTBENCH_HTTP_SMOKE)" \
                    "readme-table@60:bench/readme-table.sh --check"
BUILD_BINS += $(B)/rel/bin/slotbench
TEST_BINS += $(SLOTBENCH_REL_BINS)

.PHONY: slotbench slotbench-smoke slotbench-bench
slotbench: $(SLOTBENCH_REL_BINS)

slotbench-smoke: $(SLOTBENCH_REL_BINS) $(B)/rel/bin/slot-gateway
	@mkdir -p $(B)/test-logs
	@.ci/suites $(SLOTBENCH_SUITES)

# SLOTBENCH_PEERS=0 skips etcd and redis; SLOTBENCH_INSTALL=0 never installs
# them (they are used only when installed: Debian's etcd-server, etcd-client,
# redis-server). SLOTBENCH_RESULTS=DIR writes the run set into DIR (and a
# copy of README.md there) instead of bench/results; SLOTBENCH_QUICK=1 runs
# tiny sizes that check the pipeline and measure nothing. run-bench.sh
# documents the rest.
slotbench-bench: $(SLOTBENCH_SET_BINS)
	@bench/slotbench/run-bench.sh

# One run set: run-bench.sh runs bench_ledger and the gateway under wrk
# itself, inside the set (bench-ledger and bench-gateway stay for running
# them alone; their files then belong to no run set and the report says so).
bench: slotbench-bench
