# The "xen" netdev class (C glue) and the vif engine behind it (C++).
noinst_LIBRARIES += netdev-xen/libvif.a
netdev_xen_libvif_a_SOURCES = \
	netdev-xen/linc-vif.h \
	netdev-xen/vif.cc \
	netdev-xen/xen-platform-xen.cc

# What a vif needs at link time: the engine, the netif rings, simxen's
# client side, and the Xen libraries (libxen-dev).
XEN_VIF_LIBS = \
	netdev-xen/libvif.a \
	netdev-xen/libvif-xenbus.a \
	netdev-xen/libnetif.a \
	$(SIMXEN_LIBS) \
	$(XENSTORE_LIBS) $(XENTOOLS_LIBS)

ovs_vswitchd_linc_SOURCES += \
	netdev-xen/netdev-xen.c \
	netdev-xen/netdev-xen.h
ovs_vswitchd_linc_LDADD += $(XEN_VIF_LIBS)

# The guest emulator.
bin_PROGRAMS += utilities/linc-guest
utilities_linc_guest_SOURCES = utilities/guest/linc-guest.cc
utilities_linc_guest_LDADD = \
	utilities/libguest.a \
	netdev-xen/libvif-xenbus.a \
	netdev-xen/libnetif.a \
	$(SIMXEN_LIBS) \
	$(XENSTORE_LIBS)
