# node/testlib/: the test library's process half: local slotd clusters,
# processes, free ports, scratch directories, gateways, private hosts files
# (proc.h, tcluster.h, tgateway.h, thosts.h). Uses proto/ and proto/testlib
# only. Linked as liblocalcluster.a by the client,
# gateway and node tests, slotbench and bench/peers (with the proto
# objects of their flavour).

CLUSTERLIB_SRC := node/testlib/proc.c node/testlib/tcluster.c \
                  node/testlib/tgateway.c \
                  node/testlib/thosts.c
$(eval $(call compile_rules,node/testlib,$(PROTO_INC) $(TESTLIB_INC) $(CLUSTERLIB_INC)))

$(B)/rel/lib/liblocalcluster.a: $(CLUSTERLIB_SRC:%.c=$(B)/rel/%.o)
	@mkdir -p $(dir $@)
	@echo "  AR    $@"
	$(Q)rm -f $@ && ar rcs $@ $^
$(B)/asan/lib/liblocalcluster.a: $(CLUSTERLIB_SRC:%.c=$(B)/asan/%.o)
	@mkdir -p $(dir $@)
	@echo "  AR    $@"
	$(Q)rm -f $@ && ar rcs $@ $^
CLUSTERLIB_REL := $(B)/rel/lib/liblocalcluster.a
CLUSTERLIB_ASAN := $(B)/asan/lib/liblocalcluster.a
