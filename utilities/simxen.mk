# Copyright (c) 2026 The openvswitch-linc authors.
# Licensed under the Apache License, Version 2.0.

# simxen: the emulated Xen hypervisor (library, daemon, tests).
noinst_LIBRARIES += utilities/simxen/libsimxen.a
utilities_simxen_libsimxen_a_SOURCES = \
	netdev-xen/xen-platform.h \
	utilities/simxen/ctl-client.cc \
	utilities/simxen/ctl-client.h \
	utilities/simxen/daemon.cc \
	utilities/simxen/daemon.h \
	utilities/simxen/domain-view.cc \
	utilities/simxen/domain-view.h \
	utilities/simxen/grant-pin.cc \
	utilities/simxen/grant-pin.h \
	utilities/simxen/hypervisor.cc \
	utilities/simxen/hypervisor.h \
	utilities/simxen/platform.cc \
	utilities/simxen/protocol.h \
	utilities/simxen/sim-guest.cc \
	utilities/simxen/sim-guest.h \
	utilities/simxen/unique-fd.h \
	utilities/simxen/xs-requests.cc \
	utilities/simxen/xs-requests.h \
	utilities/simxen/xs-store.cc \
	utilities/simxen/xs-store.h \
	utilities/simxen/xs-wire.cc \
	utilities/simxen/xs-wire.h
utilities_simxen_libsimxen_a_CXXFLAGS = $(AM_CXXFLAGS) $(LIBEVENT_CFLAGS)

SIMXEN_LIBS = utilities/simxen/libsimxen.a $(LIBEVENT_LIBS)

bin_PROGRAMS += utilities/simxen/simxen
utilities_simxen_simxen_SOURCES = utilities/simxen/main.cc
utilities_simxen_simxen_LDADD = $(SIMXEN_LIBS)

if HAVE_CPPUTEST
tests_unit_linc_unit_tests_SOURCES += \
	tests/unit/simxen-fixture.h \
	tests/unit/test-simxen-control.cc \
	tests/unit/test-simxen-e2e.cc \
	tests/unit/test-simxen-evtchn.cc \
	tests/unit/test-simxen-grant.cc \
	tests/unit/test-simxen-xenstored.cc \
	tests/unit/test-simxen-xs.cc
tests_unit_linc_unit_tests_CXXFLAGS += $(XENSTORE_CFLAGS)
tests_unit_linc_unit_tests_LDADD += $(SIMXEN_LIBS) $(XENSTORE_LIBS)
endif

# The daemon binary with Xen's stock xenstore tools.
TESTS += tests/simxen/tools.sh
EXTRA_DIST += tests/simxen/tools.sh utilities/simxen/README.md
