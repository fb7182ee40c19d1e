# The xenbus handshake of the vif backend (C++, libxenstore).
noinst_LIBRARIES += netdev-xen/libvif-xenbus.a
netdev_xen_libvif_xenbus_a_SOURCES = \
	netdev-xen/l4-csum.cc \
	netdev-xen/l4-csum.h \
	netdev-xen/vif-xenbus.cc \
	netdev-xen/vif-xenbus.h \
	netdev-xen/xen-platform.h

if HAVE_CPPUTEST
tests_unit_linc_unit_tests_SOURCES += tests/unit/test-vif-xenbus.cc
tests_unit_linc_unit_tests_LDADD += netdev-xen/libvif-xenbus.a $(XENSTORE_LIBS)
endif
