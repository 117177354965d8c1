# jepsen-tests/: fault injection and history checking (README there).
# Targets:
#   build/rel/bin/jepsen-client, build/rel/bin/jepsen-checker
#   build/bug/{nobarrier,nosessions,flowheld,quota,cooldown,nostop,nomatch,feed,recon,noclamp}/bin/slotd:
#     test-only builds
#     of slotd with a deliberate bug, never the normal build: nosessions
#     links node/ledger/test/bug_nosessions.c, which wraps one ledger
#     function at link time (no switch in the ledger's sources); flowheld
#     links node/ledger/test/bug_flowheld.c, which wraps the ledger's SWEEP
#     the same way (a flow-back moves held and booked slots too); nobarrier
#     links node/test/bug_nobarrier.c, which wraps the node core's
#     linearizable read (served from local state, no barrier); quota and
#     cooldown link jepsen-tests/bugs/bug_{quota,cooldown}.c, which wrap
#     the ledger's quota check (the hospital's quotas never refuse) and its
#     cool-down (no minimum); nostop links jepsen-tests/bugs/bug_nostop.c,
#     which wraps the ledger's HOLD and CONFIRM (a stopped pool's
#     stoppage ignored); nomatch links jepsen-tests/bugs/bug_nomatch.c,
#     which wraps its CHECKIN (anyone may check a booking in); feed links
#     jepsen-tests/bugs/bug_feed.c, which wraps its claim events (the
#     feed loses or doubles some BOOKED events); recon links
#     jepsen-tests/bugs/bug_recon.c, which wraps its money count (a third
#     of the cancels' money is not counted); noclamp links
#     jepsen-tests/bugs/bug_noclamp.c, which wraps the leader's clock (its
#     raw wall clock stamps entries: no band)
#   make jepsen        the matrix: each nemesis alone and all combined, on 3
#                      and 5 nodes (JEPSEN_TIME s each, JEPSEN_WORKLOADS)
#   make jepsen-smoke  the short kill + partition run of `make test`
#   make jepsen-bugs   the buggy builds must be caught
# Needs root (network namespaces, nftables, tmpfs); ~4 min in `make test`.

JEPSEN_TIME ?= 60
JEPSEN_WORKLOADS ?= slots
JEPSEN_BUGS := nobarrier nosessions flowheld quota cooldown nostop nomatch feed recon noclamp
JEPSEN_INC := $(CLIENT_INC) $(TESTLIB_INC)
JEPSEN_CHECKER_SRC := jepsen-tests/checker.c jepsen-tests/history.c jepsen-tests/model.c \
                      jepsen-tests/linear.c

$(eval $(call compile_rules,jepsen-tests,$(JEPSEN_INC)))
$(eval $(call compile_rules,jepsen-tests/bugs,$(LEDGER_INC) -Inode))

$(B)/rel/bin/jepsen-client: $(B)/rel/jepsen-tests/client.o $(CLIENT_LIB_REL) $(PROTO_REL)
	$(call link,$(REL_CFLAGS),$(CLIENT_LIBS) -lpthread)
$(B)/rel/bin/jepsen-checker: $(JEPSEN_CHECKER_SRC:%.c=$(B)/rel/%.o) $(PROTO_REL)
	$(call link,$(REL_CFLAGS),-ljansson $(LIBS))

# nosessions: the normal objects, one ledger function wrapped.
$(B)/bug/nosessions/bin/slotd: $(B)/rel/node/slotd.o $(NODE_REL) $(CORE_REL) \
                               $(B)/rel/node/ledger/test/bug_nosessions.o
	$(call link,$(REL_CFLAGS) -Wl$(comma)--wrap=ledger__session_slot,$(NODE_LIBS))

# flowheld: the normal objects, the ledger's SWEEP wrapped.
$(B)/bug/flowheld/bin/slotd: $(B)/rel/node/slotd.o $(NODE_REL) $(CORE_REL) \
                             $(B)/rel/node/ledger/test/bug_flowheld.o
	$(call link,$(REL_CFLAGS) -Wl$(comma)--wrap=ledger__sweep,$(NODE_LIBS))

# quota: the normal objects, the ledger's quota check wrapped.
$(B)/bug/quota/bin/slotd: $(B)/rel/node/slotd.o $(NODE_REL) $(CORE_REL) \
                          $(B)/rel/jepsen-tests/bugs/bug_quota.o
	$(call link,$(REL_CFLAGS) -Wl$(comma)--wrap=ledger__hold_quotas,$(NODE_LIBS))

# cooldown: the normal objects, the ledger's cool-down wrapped.
$(B)/bug/cooldown/bin/slotd: $(B)/rel/node/slotd.o $(NODE_REL) $(CORE_REL) \
                             $(B)/rel/jepsen-tests/bugs/bug_cooldown.o
	$(call link,$(REL_CFLAGS) -Wl$(comma)--wrap=ledger__cool_push,$(NODE_LIBS))

# nostop: the normal objects, the ledger's HOLD and CONFIRM wrapped.
$(B)/bug/nostop/bin/slotd: $(B)/rel/node/slotd.o $(NODE_REL) $(CORE_REL) \
                           $(B)/rel/jepsen-tests/bugs/bug_nostop.o
	$(call link,$(REL_CFLAGS) -Wl$(comma)--wrap=ledger__hold \
	  -Wl$(comma)--wrap=ledger__confirm,$(NODE_LIBS))

# nomatch: the normal objects, the ledger's CHECKIN wrapped.
$(B)/bug/nomatch/bin/slotd: $(B)/rel/node/slotd.o $(NODE_REL) $(CORE_REL) \
                            $(B)/rel/jepsen-tests/bugs/bug_nomatch.o
	$(call link,$(REL_CFLAGS) -Wl$(comma)--wrap=ledger__checkin,$(NODE_LIBS))

# feed: the normal objects, the ledger's claim events wrapped.
$(B)/bug/feed/bin/slotd: $(B)/rel/node/slotd.o $(NODE_REL) $(CORE_REL) \
                         $(B)/rel/jepsen-tests/bugs/bug_feed.o
	$(call link,$(REL_CFLAGS) -Wl$(comma)--wrap=ledger__claim_event,$(NODE_LIBS))

# recon: the normal objects, the ledger's money count wrapped.
$(B)/bug/recon/bin/slotd: $(B)/rel/node/slotd.o $(NODE_REL) $(CORE_REL) \
                          $(B)/rel/jepsen-tests/bugs/bug_recon.o
	$(call link,$(REL_CFLAGS) -Wl$(comma)--wrap=ledger__money_count,$(NODE_LIBS))

# noclamp: the normal objects, the leader's clock wrapped (raw wall clock).
$(B)/bug/noclamp/bin/slotd: $(B)/rel/node/slotd.o $(NODE_REL) $(CORE_REL) \
                            $(B)/rel/jepsen-tests/bugs/bug_noclamp.o
	$(call link,$(REL_CFLAGS) -Wl$(comma)--wrap=leader_clock_stamp,$(NODE_LIBS))

# nobarrier: the normal objects, the node core's linearizable read wrapped.
$(B)/bug/nobarrier/bin/slotd: $(B)/rel/node/slotd.o $(NODE_REL) $(CORE_REL) \
                              $(B)/rel/node/test/bug_nobarrier.o
	$(call link,$(REL_CFLAGS) -Wl$(comma)--wrap=node_core__read_linearizable,$(NODE_LIBS))

JEPSEN_BINS := $(B)/rel/bin/jepsen-client $(B)/rel/bin/jepsen-checker $(B)/rel/bin/slotd \
               $(JEPSEN_BUGS:%=$(B)/bug/%/bin/slotd)
JEPSEN_SUITE_CHECKER := "jepsen-checker:jepsen-tests/test/checker-tests $(B)/rel/bin/jepsen-checker"
JEPSEN_SUITE_SMOKE := "jepsen-smoke:jepsen-tests/run --no-build --time 30 --nemesis kill,partition --seed 7"
# The patient rules (issue 15): quotas, cool-down and waitlists under kill
# and partitions, 25 s.
JEPSEN_SUITE_SMOKE += "jepsen-smoke-quotas:jepsen-tests/run --no-build --workload quotas --time 25 --nemesis kill,partition --seed 7"
# The visit day (protocol 4): stoppages, moves, check-in and no-shows
# under kill and partitions, 30 s (segments, check-in windows and the
# no-show sweep all fall inside the run).
JEPSEN_SUITE_SMOKE += "jepsen-smoke-visit:jepsen-tests/run --no-build --workload visit --time 30 --nemesis kill,partition --seed 7"
# Clock steps on a running node (issue 18): nodes under libfaketime, the
# leader's wall clock mostly stepped by seconds to an hour, forward and
# back, with a 200 ms band (--clock-max-skew-ms): holdlife (and every other
# check) must stay valid. 20 s, 26-28 s a run; valid in 3 of 3 runs.
JEPSEN_SUITE_SMOKE += "jepsen-smoke-clockstep:jepsen-tests/run --no-build --time 20 --nemesis clockstep --interval 1500 --clock-max-skew-ms 200 --seed 5"
# slotd built with ASan + UBSan (build/asan, -fno-sanitize-recover) under
# kill and partitions, 25 s: memory and undefined-behaviour errors on the
# paths only faults reach (restart from snapshot and log, elections, a
# leader losing its proposals); `run` fails on any sanitizer report.
JEPSEN_SUITE_SMOKE += "jepsen-asan:jepsen-tests/run --no-build --slotd $(B)/asan/bin/slotd --time 25 --nemesis kill,partition --seed 11"
# Each bug suite names the checks its bug must trip. nobarrier: stale reads
# (followers and deposed leaders answer from local state). nosessions: the
# lost-replies nemesis makes the clients retry every command they have in
# flight ~5 times a run; each retry of an applied command runs again (a
# hold: PATIENT_HAS_CLAIM; a confirm: ALREADY_CONFIRMED, the booking then
# unacknowledged). flowheld: each flow-back step (two a run, under kill)
# moves the live claims of the flowed pools' shares; their buckets change
# between reads and land where their channel may not take. README: how
# often each was caught. quota: the hospital's quotas never refuse;
# patients hold more claims in a window than the rules allow (quotas).
# nostop: HOLD and CONFIRM ignore a pool's stoppage; the visit workload
# keeps holding in stopped pools (15 % of its holds pick any pool, and
# the moves empty them) and confirms the holds it had there (stop).
JEPSEN_SUITE_BUGS := \
  "jepsen-bug-nobarrier:jepsen-tests/run --no-build --bug nobarrier --expect invalid:linearizable,ledger-order --time 20 --nemesis partition --seed 3" \
  "jepsen-bug-nosessions:jepsen-tests/run --no-build --bug nosessions --expect invalid:linearizable,bookings --time 20 --nemesis lost-replies --interval 2000 --seed 5" \
  "jepsen-bug-flowheld:jepsen-tests/run --no-build --bug flowheld --expect invalid:flowback,buckets --time 30 --nemesis kill --seed 5" \
  "jepsen-bug-quota:jepsen-tests/run --no-build --bug quota --workload quotas --expect invalid:quotas --time 30 --nemesis kill --seed 5" \
  "jepsen-bug-nostop:jepsen-tests/run --no-build --bug nostop --workload visit --expect invalid:stop --time 30 --nemesis kill --seed 5"
# Run by `make jepsen-bugs`, not by `make test` (its time is kept small):
# cooldown, a cool-down without its minimum (the cooldown check); nomatch,
# a check-in by anyone (the attendance check: the visit workload checks in
# as another patient 15 % of the time, 10 to 90 PATIENT_MISMATCH a run);
# feed, the event feed losing or doubling the BOOKED events of half the
# claims (the feed check: every acknowledged confirm's event is matched);
# recon, the money of the cancels of a third of the claims not counted
# (the recon check: the final feed's sums against the final READ_RECON);
# noclamp, the leader stamping its raw wall clock (holdlife: holds seen
# expired long before their TTL once the leader's clock jumped ahead).
JEPSEN_SUITE_BUGS_MORE := \
  "jepsen-bug-noclamp:jepsen-tests/run --no-build --bug noclamp --expect invalid:holdlife --time 20 --nemesis clockstep --interval 1500 --clock-max-skew-ms 200 --seed 5" \
  "jepsen-bug-cooldown:jepsen-tests/run --no-build --bug cooldown --workload quotas --expect invalid:cooldown --time 20 --nemesis partition --seed 5" \
  "jepsen-bug-nomatch:jepsen-tests/run --no-build --bug nomatch --workload visit --expect invalid:attendance --time 30 --nemesis partition --seed 5" \
  "jepsen-bug-feed:jepsen-tests/run --no-build --bug feed --expect invalid:feed --time 20 --nemesis kill --seed 5" \
  "jepsen-bug-recon:jepsen-tests/run --no-build --bug recon --expect invalid:recon --time 20 --nemesis kill --seed 5"
JEPSEN_SUITES := $(JEPSEN_SUITE_CHECKER) $(JEPSEN_SUITE_SMOKE) $(JEPSEN_SUITE_BUGS)
BUILD_BINS += $(B)/rel/bin/jepsen-client $(B)/rel/bin/jepsen-checker
TEST_BINS += $(JEPSEN_BINS)

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
	@.ci/suites $(JEPSEN_SUITE_BUGS) $(JEPSEN_SUITE_BUGS_MORE)

jepsen-checker-test: $(B)/rel/bin/jepsen-checker
	@.ci/suites $(JEPSEN_SUITE_CHECKER)
