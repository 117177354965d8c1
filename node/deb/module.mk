# node/deb/: `make deb` builds Debian packages into build/deb/ with dpkg-deb
# (node/deb/build.sh: slotd, slot-gateway with slot-archiver, libslot5,
# libslot-dev, slotctl); the deb suite (node/deb/test_deb.sh) checks them
# and runs a cluster from them in a scratch root. The version is in
# node/deb/VERSION.

VERSION := $(shell cat node/deb/VERSION)

# The packaged slotd links the patched raft statically: no private libraft
# package, no RUNPATH into .deps, nothing that meets Debian's libraft0.
# With a system libraft >= 0.22 it links that one (dpkg-shlibdeps names it).
ifeq ($(RAFT_SYSTEM),yes)
DEB_RAFT_LIBS := $(RAFT_LIBS)
else
DEB_RAFT_LIBS := $(RAFT_PREFIX)/lib/libraft.a
endif
$(B)/deb/obj/slotd: $(B)/rel/node/slotd.o $(NODE_REL) $(CORE_REL)
	$(call link,$(REL_CFLAGS),$(DEB_RAFT_LIBS) -luv -llz4 $(LIBS))

DEB_INPUTS := $(B)/deb/obj/slotd $(B)/rel/bin/slotctl $(B)/rel/bin/slot-gateway \
              $(B)/rel/bin/slot-archiver $(B)/rel/lib/libslot.so $(B)/rel/lib/libslot.a

.PHONY: deb
deb: deps
	@$(MAKE) --no-print-directory -j2 $(DEB_INPUTS)
	@node/deb/build.sh $(B)/deb $(VERSION) $(DEB_INPUTS)

DEB_SUITES := "deb@900:node/deb/test_deb.sh"
