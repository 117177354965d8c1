# client/: libslot (the C client library), slotctl and slot-archiver
# (client/archiver), their tests.
# Targets: build/rel/bin/slotctl, build/rel/lib/libslot.so (+ .a),
# build/{rel,asan}/bin/test_libslot, `make install PREFIX=...` (default
# /usr/local), `make client-test`. The tests start real 3-node clusters of
# build/rel/bin/slotd (node/testlib); slotctl needs jansson.

PREFIX ?= /usr/local
CLIENT_LIBS := -luv -ljansson $(LIBS)
CLIENT_LIB_SRC := client/libslot.c client/libslot_sync.c client/libslot_conv.c
CLIENT_LIB_REL := $(CLIENT_LIB_SRC:%.c=$(B)/rel/%.o)
CLIENT_LIB_ASAN := $(CLIENT_LIB_SRC:%.c=$(B)/asan/%.o)

# slot-archiver's archive module (client/archiver) is used by slotctl audit.
ARCHIVER_INC := $(CLIENT_INC) -Iclient/archiver
ARCHIVER_LIBS := -lz -lcrypto
$(eval $(call compile_rules,client,$(ARCHIVER_INC)))
$(eval $(call compile_rules,client/archiver,$(ARCHIVER_INC)))
$(eval $(call compile_rules,client/test,$(ARCHIVER_INC) $(TESTLIB_INC) $(CLUSTERLIB_INC)))

$(B)/rel/lib/libslot.so: $(CLIENT_LIB_SRC:%.c=$(B)/pic/%.o) $(PROTO_PIC)
	@mkdir -p $(dir $@)
	@echo "  LD    $@"
	$(Q)$(CC) $(REL_CFLAGS) -shared -Wl,-soname,libslot.so.5 -o $@ $^ -luv $(LIBS)

$(B)/rel/lib/libslot.a: $(CLIENT_LIB_REL) $(PROTO_REL)
	@mkdir -p $(dir $@)
	@echo "  AR    $@"
	$(Q)rm -f $@ && ar rcs $@ $^

SLOTCTL_SRC := client/slotctl.c client/slotctl_sched.c client/recon.c \
               client/archiver/archive.c
$(B)/rel/bin/slotctl: $(SLOTCTL_SRC:%.c=$(B)/rel/%.o) $(CLIENT_LIB_REL) $(PROTO_REL)
	$(call link,$(REL_CFLAGS),$(CLIENT_LIBS) $(ARCHIVER_LIBS))
$(B)/asan/bin/slotctl: $(SLOTCTL_SRC:%.c=$(B)/asan/%.o) $(CLIENT_LIB_ASAN) \
                       $(PROTO_ASAN)
	$(call link,$(ASAN_CFLAGS),$(CLIENT_LIBS) $(ARCHIVER_LIBS))

# slot-archiver: the event feed into daily files (client/archiver).
ARCHIVER_SRC := client/archiver/slot_archiver.c client/archiver/archive.c
$(B)/rel/bin/slot-archiver: $(ARCHIVER_SRC:%.c=$(B)/rel/%.o) $(CLIENT_LIB_REL) \
                            $(PROTO_REL)
	$(call link,$(REL_CFLAGS),$(CLIENT_LIBS) $(ARCHIVER_LIBS))
$(B)/asan/bin/slot-archiver: $(ARCHIVER_SRC:%.c=$(B)/asan/%.o) $(CLIENT_LIB_ASAN) \
                             $(PROTO_ASAN)
	$(call link,$(ASAN_CFLAGS),$(CLIENT_LIBS) $(ARCHIVER_LIBS))

$(B)/rel/bin/test_libslot: $(B)/rel/client/test/test_libslot.o $(CLIENT_LIB_REL) \
                           $(CLUSTERLIB_REL) $(PROTO_REL)
	$(call link,$(REL_CFLAGS),$(CLIENT_LIBS))
$(B)/asan/bin/test_libslot: $(B)/asan/client/test/test_libslot.o $(CLIENT_LIB_ASAN) \
                            $(CLUSTERLIB_ASAN) $(PROTO_ASAN)
	$(call link,$(ASAN_CFLAGS),$(CLIENT_LIBS))

$(B)/rel/bin/test_libslot_sched: $(B)/rel/client/test/test_libslot_sched.o \
                                 $(B)/rel/client/test/ctest.o \
                                 $(CLIENT_LIB_REL) $(CLUSTERLIB_REL) $(PROTO_REL)
	$(call link,$(REL_CFLAGS),$(CLIENT_LIBS))
$(B)/asan/bin/test_libslot_sched: $(B)/asan/client/test/test_libslot_sched.o \
                                  $(B)/asan/client/test/ctest.o \
                                  $(CLIENT_LIB_ASAN) $(CLUSTERLIB_ASAN) $(PROTO_ASAN)
	$(call link,$(ASAN_CFLAGS),$(CLIENT_LIBS))

# The patient rules (protocol 3) through libslot.
$(B)/rel/bin/test_libslot_patients: $(B)/rel/client/test/test_libslot_patients.o \
                                    $(B)/rel/client/test/ctest.o \
                                    $(CLIENT_LIB_REL) $(CLUSTERLIB_REL) $(PROTO_REL)
	$(call link,$(REL_CFLAGS),$(CLIENT_LIBS))
$(B)/asan/bin/test_libslot_patients: $(B)/asan/client/test/test_libslot_patients.o \
                                     $(B)/asan/client/test/ctest.o \
                                     $(CLIENT_LIB_ASAN) $(CLUSTERLIB_ASAN) \
                                     $(PROTO_ASAN)
	$(call link,$(ASAN_CFLAGS),$(CLIENT_LIBS))

# The visit day (protocol 4) through libslot: stoppage, moves, check-in.
$(B)/rel/bin/test_libslot_visit: $(B)/rel/client/test/test_libslot_visit.o \
                                 $(B)/rel/client/test/ctest.o \
                                 $(CLIENT_LIB_REL) $(CLUSTERLIB_REL) $(PROTO_REL)
	$(call link,$(REL_CFLAGS),$(CLIENT_LIBS))
$(B)/asan/bin/test_libslot_visit: $(B)/asan/client/test/test_libslot_visit.o \
                                  $(B)/asan/client/test/ctest.o \
                                  $(CLIENT_LIB_ASAN) $(CLUSTERLIB_ASAN) \
                                  $(PROTO_ASAN)
	$(call link,$(ASAN_CFLAGS),$(CLIENT_LIBS))

# The money (protocol 5) through libslot, client/recon and slotctl
# reconcile / stats.
$(B)/rel/bin/test_libslot_recon: $(B)/rel/client/test/test_libslot_recon.o \
                                 $(B)/rel/client/test/ctest.o \
                                 $(B)/rel/client/recon.o \
                                 $(CLIENT_LIB_REL) $(CLUSTERLIB_REL) $(PROTO_REL) \
                                 | $(B)/rel/bin/slotctl $(B)/rel/bin/slot-archiver
	$(call link,$(REL_CFLAGS),$(CLIENT_LIBS))
$(B)/asan/bin/test_libslot_recon: $(B)/asan/client/test/test_libslot_recon.o \
                                  $(B)/asan/client/test/ctest.o \
                                  $(B)/asan/client/recon.o \
                                  $(CLIENT_LIB_ASAN) $(CLUSTERLIB_ASAN) \
                                  $(PROTO_ASAN) | $(B)/asan/bin/slotctl \
                                  $(B)/asan/bin/slot-archiver
	$(call link,$(ASAN_CFLAGS),$(CLIENT_LIBS))

# The event feed (protocol 4) through libslot and slotctl events.
$(B)/rel/bin/test_libslot_events: $(B)/rel/client/test/test_libslot_events.o \
                                  $(B)/rel/client/test/ctest.o \
                                  $(CLIENT_LIB_REL) $(CLUSTERLIB_REL) $(PROTO_REL)
	$(call link,$(REL_CFLAGS),$(CLIENT_LIBS))
$(B)/asan/bin/test_libslot_events: $(B)/asan/client/test/test_libslot_events.o \
                                   $(B)/asan/client/test/ctest.o \
                                   $(CLIENT_LIB_ASAN) $(CLUSTERLIB_ASAN) \
                                   $(PROTO_ASAN)
	$(call link,$(ASAN_CFLAGS),$(CLIENT_LIBS))

# The reconciliation module (client/recon.h) with made-up events: the
# module alone (it uses libslot's types, none of its code).
$(B)/rel/bin/test_recon: $(B)/rel/client/test/test_recon.o $(B)/rel/client/recon.o
	$(call link,$(REL_CFLAGS),-ljansson)
$(B)/asan/bin/test_recon: $(B)/asan/client/test/test_recon.o \
                          $(B)/asan/client/recon.o
	$(call link,$(ASAN_CFLAGS),-ljansson)

# slotctl's hospital commands and the demo loader (node/demo/load.sh).
$(B)/rel/bin/test_slotctl_sched: $(B)/rel/client/test/test_slotctl_sched.o \
                                 $(CLIENT_LIB_REL) $(CLUSTERLIB_REL) $(PROTO_REL)
	$(call link,$(REL_CFLAGS),$(CLIENT_LIBS))
$(B)/asan/bin/test_slotctl_sched: $(B)/asan/client/test/test_slotctl_sched.o \
                                  $(CLIENT_LIB_ASAN) $(CLUSTERLIB_ASAN) \
                                  $(PROTO_ASAN)
	$(call link,$(ASAN_CFLAGS),$(CLIENT_LIBS))

# slot-archiver and slotctl audit against a cluster; the writer's seams.
$(B)/rel/bin/test_archiver: $(B)/rel/client/test/test_archiver.o \
                            $(B)/rel/client/test/ctest.o \
                            $(B)/rel/client/archiver/archive.o \
                            $(CLIENT_LIB_REL) $(CLUSTERLIB_REL) $(PROTO_REL) \
                            | $(B)/rel/bin/slot-archiver $(B)/rel/bin/slotctl
	$(call link,$(REL_CFLAGS),$(CLIENT_LIBS) $(ARCHIVER_LIBS))
$(B)/asan/bin/test_archiver: $(B)/asan/client/test/test_archiver.o \
                             $(B)/asan/client/test/ctest.o \
                             $(B)/asan/client/archiver/archive.o \
                             $(CLIENT_LIB_ASAN) $(CLUSTERLIB_ASAN) $(PROTO_ASAN) \
                             | $(B)/asan/bin/slot-archiver $(B)/asan/bin/slotctl
	$(call link,$(ASAN_CFLAGS),$(CLIENT_LIBS) $(ARCHIVER_LIBS))

CLIENT_REL_BINS := $(B)/rel/bin/slotctl $(B)/rel/bin/slot-archiver $(B)/rel/lib/libslot.so $(B)/rel/lib/libslot.a \
                   $(B)/rel/bin/test_libslot $(B)/rel/bin/test_libslot_sched \
                   $(B)/rel/bin/test_libslot_patients \
                   $(B)/rel/bin/test_libslot_visit \
                   $(B)/rel/bin/test_libslot_recon \
                   $(B)/rel/bin/test_libslot_events \
                   $(B)/rel/bin/test_slotctl_sched \
                   $(B)/rel/bin/test_archiver $(B)/rel/bin/test_recon
# The tests run slotctl of their own flavour and the release slotd.
CLIENT_ASAN_BINS := $(B)/asan/bin/slotctl $(B)/asan/bin/test_libslot \
                    $(B)/asan/bin/test_libslot_sched \
                    $(B)/asan/bin/test_libslot_patients \
                    $(B)/asan/bin/test_libslot_visit \
                    $(B)/asan/bin/test_libslot_recon \
                    $(B)/asan/bin/test_libslot_events \
                    $(B)/asan/bin/test_slotctl_sched \
                    $(B)/asan/bin/slot-archiver $(B)/asan/bin/test_archiver \
                    $(B)/asan/bin/test_recon
CLIENT_SUITES := "libslot:$(B)/rel/bin/test_libslot" \
                 "asan-libslot:$(B)/asan/bin/test_libslot" \
                 "libslot-sched:$(B)/rel/bin/test_libslot_sched" \
                 "asan-libslot-sched:$(B)/asan/bin/test_libslot_sched" \
                 "libslot-patients:$(B)/rel/bin/test_libslot_patients" \
                 "asan-libslot-patients:$(B)/asan/bin/test_libslot_patients" \
                 "libslot-visit:$(B)/rel/bin/test_libslot_visit" \
                 "asan-libslot-visit:$(B)/asan/bin/test_libslot_visit" \
                 "libslot-recon:$(B)/rel/bin/test_libslot_recon" \
                 "asan-libslot-recon:$(B)/asan/bin/test_libslot_recon" \
                 "libslot-events:$(B)/rel/bin/test_libslot_events" \
                 "asan-libslot-events:$(B)/asan/bin/test_libslot_events" \
                 "slotctl-sched:$(B)/rel/bin/test_slotctl_sched" \
                 "asan-slotctl-sched:$(B)/asan/bin/test_slotctl_sched" \
                 "archiver:$(B)/rel/bin/test_archiver" \
                 "asan-archiver:$(B)/asan/bin/test_archiver" \
                 "recon:$(B)/rel/bin/test_recon" \
                 "asan-recon:$(B)/asan/bin/test_recon"
BUILD_BINS += $(CLIENT_REL_BINS)
TEST_BINS += $(CLIENT_REL_BINS) $(CLIENT_ASAN_BINS)

.PHONY: install client client-test
client: $(CLIENT_REL_BINS)

client-test: deps
	@$(MAKE) --no-print-directory $(B)/rel/bin/slotd $(CLIENT_REL_BINS) $(CLIENT_ASAN_BINS)
	@.ci/suites $(CLIENT_SUITES)

install: $(B)/rel/lib/libslot.so $(B)/rel/lib/libslot.a $(B)/rel/bin/slotctl \
         $(B)/rel/bin/slot-archiver
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include \
	           $(DESTDIR)$(PREFIX)/bin
	install -m 644 client/libslot.h proto/slot_err.h $(DESTDIR)$(PREFIX)/include/
	install -m 755 $(B)/rel/lib/libslot.so $(DESTDIR)$(PREFIX)/lib/libslot.so.5
	ln -sf libslot.so.5 $(DESTDIR)$(PREFIX)/lib/libslot.so
	install -m 644 $(B)/rel/lib/libslot.a $(DESTDIR)$(PREFIX)/lib/
	sed -e 's|@PREFIX@|$(PREFIX)|g' client/slot.pc.in \
	    > $(DESTDIR)$(PREFIX)/lib/pkgconfig/slot.pc
	install -m 755 $(B)/rel/bin/slotctl $(DESTDIR)$(PREFIX)/bin/
	install -m 755 $(B)/rel/bin/slot-archiver $(DESTDIR)$(PREFIX)/bin/
