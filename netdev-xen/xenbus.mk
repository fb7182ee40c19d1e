# The xenbus handshake of the vif backend (C++, libxenstore).
noinst_LIBRARIES += netdev-xen/libvif-xenbus.a
netdev_xen_libvif_xenbus_a_SOURCES = \
	netdev-xen/gso.cc \
	netdev-xen/gso.h \
	netdev-xen/l4-csum.cc \
	netdev-xen/l4-csum.h \
	netdev-xen/vif-xenbus.cc \
	netdev-xen/vif-xenbus.h \
	netdev-xen/xen-platform.h

if HAVE_CPPUTEST
tests_unit_linc_unit_tests_SOURCES += tests/unit/fake-xs-store.h \
	tests/unit/test-vif-xenbus.cc tests/unit/test-gso.cc
tests_unit_linc_unit_tests_LDADD += netdev-xen/libvif-xenbus.a $(XENSTORE_LIBS)
endif

# The real-Xen platform, unit-tested against mock Xen libraries in a binary
# of its own (it defines libxengnttab's, libxenevtchn's and libxenstore's
# functions, so it must not link the real ones).
if HAVE_CPPUTEST
check_PROGRAMS += tests/unit/linc-xen-platform-tests
TESTS += tests/unit/linc-xen-platform-tests
tests_unit_linc_xen_platform_tests_SOURCES = \
	netdev-xen/xen-platform-xen.cc \
	tests/unit/test-xen-platform.cc
tests_unit_linc_xen_platform_tests_CXXFLAGS = $(AM_CXXFLAGS) $(CPPUTEST_CFLAGS)
tests_unit_linc_xen_platform_tests_LDADD = $(CPPUTEST_LIBS)
endif
