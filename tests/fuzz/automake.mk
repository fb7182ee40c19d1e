# Copyright (c) 2026 The openvswitch-linc authors.
# Licensed under the Apache License, Version 2.0.

# libFuzzer harnesses for what a malicious Xen guest reaches (--enable-fuzzing,
# clang only; tests/fuzz/README.md).  Each fuzzer compiles the engine sources
# it exercises itself, with the fuzzing flags (coverage, ASan, UBSan), so
# nothing else in the tree is built with them.  `make check-fuzz` runs each
# for FUZZ_SECONDS over its seed corpus after replaying its regressions.

FUZZ_NAMES = netif-tx netif-rx extra-gso xenbus-keys xs-wire

EXTRA_DIST += \
	tests/fuzz/README.md \
	tests/fuzz/corpus \
	tests/fuzz/regressions \
	tests/fuzz/make-seeds.py \
	tests/fuzz/run-fuzzers

if ENABLE_FUZZING
FUZZERS = \
	tests/fuzz/fuzz-netif-tx \
	tests/fuzz/fuzz-netif-rx \
	tests/fuzz/fuzz-extra-gso \
	tests/fuzz/fuzz-xenbus-keys \
	tests/fuzz/fuzz-xs-wire
noinst_PROGRAMS += $(FUZZERS)

FUZZ_COMPILE_FLAGS = $(AM_CXXFLAGS) $(FUZZ_FLAGS)
FUZZ_LINK_FLAGS = $(AM_LDFLAGS) $(FUZZ_FLAGS)

# The netif rings over the in-memory hypervisor of the unit tests.
FUZZ_NETIF_SOURCES = \
	tests/fuzz/fuzz-guest.h \
	netdev-xen/netif-backend.cc \
	netdev-xen/netif-backend.h \
	netdev-xen/netif-frontend.cc \
	netdev-xen/netif-frontend.h \
	netdev-xen/netif-proto.h \
	netdev-xen/rx-fifo.cc \
	netdev-xen/rx-fifo.h \
	netdev-xen/xen-platform.h \
	tests/unit/fake-xen.cc \
	tests/unit/fake-xen.h \
	tests/unit/netif-harness.h

tests_fuzz_fuzz_netif_tx_SOURCES = \
	tests/fuzz/fuzz-netif-tx.cc \
	$(FUZZ_NETIF_SOURCES) \
	netdev-xen/gso.cc \
	netdev-xen/gso.h \
	netdev-xen/l4-csum.cc \
	netdev-xen/l4-csum.h
tests_fuzz_fuzz_netif_tx_CXXFLAGS = $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_netif_tx_LDFLAGS = $(FUZZ_LINK_FLAGS)

tests_fuzz_fuzz_netif_rx_SOURCES = \
	tests/fuzz/fuzz-netif-rx.cc \
	$(FUZZ_NETIF_SOURCES)
tests_fuzz_fuzz_netif_rx_CXXFLAGS = $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_netif_rx_LDFLAGS = $(FUZZ_LINK_FLAGS)

tests_fuzz_fuzz_extra_gso_SOURCES = \
	tests/fuzz/fuzz-extra-gso.cc \
	$(FUZZ_NETIF_SOURCES) \
	netdev-xen/gso.cc \
	netdev-xen/gso.h \
	netdev-xen/l4-csum.cc \
	netdev-xen/l4-csum.h
tests_fuzz_fuzz_extra_gso_CXXFLAGS = $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_extra_gso_LDFLAGS = $(FUZZ_LINK_FLAGS)

tests_fuzz_fuzz_xenbus_keys_SOURCES = \
	tests/fuzz/fuzz-xenbus-keys.cc \
	tests/unit/fake-xs-store.h \
	tests/fuzz/fuzz-guest.h \
	netdev-xen/vif-xenbus.cc \
	netdev-xen/vif-xenbus.h \
	netdev-xen/netif-backend.cc \
	netdev-xen/netif-backend.h \
	netdev-xen/rx-fifo.cc \
	netdev-xen/rx-fifo.h
tests_fuzz_fuzz_xenbus_keys_CXXFLAGS = $(FUZZ_COMPILE_FLAGS) $(XENSTORE_CFLAGS)
tests_fuzz_fuzz_xenbus_keys_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_xenbus_keys_LDADD = $(XENSTORE_LIBS)

tests_fuzz_fuzz_xs_wire_SOURCES = \
	tests/fuzz/fuzz-xs-wire.cc \
	tests/fuzz/fuzz-guest.h \
	utilities/simxen/xs-requests.cc \
	utilities/simxen/xs-requests.h \
	utilities/simxen/xs-store.cc \
	utilities/simxen/xs-store.h \
	utilities/simxen/xs-wire.cc \
	utilities/simxen/xs-wire.h
tests_fuzz_fuzz_xs_wire_CXXFLAGS = $(FUZZ_COMPILE_FLAGS)
tests_fuzz_fuzz_xs_wire_LDFLAGS = $(FUZZ_LINK_FLAGS)

# The fuzzers only, without the rest of the tree.
fuzzers: $(FUZZERS)

# FUZZ_SECONDS per fuzzer, FUZZ_JOBS fuzzers at a time; extra libFuzzer
# options in FUZZ_FLAGS_EXTRA, e.g. -seed=1.
FUZZ_SECONDS = 60
FUZZ_JOBS = 1
PYTHON3 = python3
check-fuzz: $(FUZZERS)
	$(AM_V_at)$(PYTHON3) $(srcdir)/tests/fuzz/run-fuzzers \
		--srcdir='$(srcdir)' --builddir=tests/fuzz \
		--seconds='$(FUZZ_SECONDS)' --jobs='$(FUZZ_JOBS)' \
		--extra='$(FUZZ_FLAGS_EXTRA)' $(FUZZ_NAMES)

# The fuzzers' scratch corpora, logs and crash inputs (not cleaned by
# `make clean`, as a long run's corpus is worth keeping).
clean-fuzz:
	rm -rf tests/fuzz/work tests/fuzz/artifacts tests/fuzz/logs

else
fuzzers check-fuzz clean-fuzz:
	@echo "the fuzzers need ./configure --enable-fuzzing CC=clang CXX=clang++ (utilities/linc-dev fuzz)" >&2; exit 1
endif
.PHONY: fuzzers check-fuzz clean-fuzz
