# The Xen netif backend (userspace netback), its emulated frontend and
# their unit tests.  C++, no OVS headers.
noinst_LIBRARIES += netdev-xen/libnetif.a
EXTRA_DIST += netdev-xen/README.md
netdev_xen_libnetif_a_SOURCES = \
	netdev-xen/netif-backend.cc \
	netdev-xen/netif-backend.h \
	netdev-xen/netif-frontend.cc \
	netdev-xen/netif-frontend.h \
	netdev-xen/netif-proto.h \
	netdev-xen/rx-fifo.cc \
	netdev-xen/rx-fifo.h \
	netdev-xen/xen-platform.h

if HAVE_CPPUTEST
tests_unit_linc_unit_tests_SOURCES += \
	tests/unit/fake-xen.cc \
	tests/unit/fake-xen.h \
	tests/unit/netif-harness.h \
	tests/unit/test-netif-hostile.cc \
	tests/unit/test-netif-rings.cc \
	tests/unit/test-rx-queue.cc \
	tests/unit/test-netif-split.cc \
	tests/unit/test-netif-threads.cc
tests_unit_linc_unit_tests_LDADD += netdev-xen/libnetif.a
endif
