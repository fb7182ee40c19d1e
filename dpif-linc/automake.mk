# The engine (C++, no OVS dependencies): unit-tested on its own.
noinst_LIBRARIES += dpif-linc/liblinc-engine.a
dpif_linc_liblinc_engine_a_SOURCES = \
	dpif-linc/actions.cc \
	dpif-linc/emc.cc \
	dpif-linc/emc.h \
	dpif-linc/flow-table.cc \
	dpif-linc/flow-table.h \
	dpif-linc/linc-engine.h \
	dpif-linc/port-map.cc \
	dpif-linc/sched.cc

# ovs-vswitchd-linc: OVS's vswitchd objects plus our providers.
linc_PROGRAMS += ovs-vswitchd-linc
ovs_vswitchd_linc_SOURCES = \
	dpif-linc/dpif-linc.c \
	dpif-linc/dpif-linc.h \
	dpif-linc/linc-register.c
# Forces the C++ linker, for the engine's runtime.
nodist_EXTRA_ovs_vswitchd_linc_SOURCES = dpif-linc/force-cxx-link.cc
ovs_vswitchd_linc_CPPFLAGS = $(OVS_GLUE_CPPFLAGS)
ovs_vswitchd_linc_CFLAGS = $(OVS_GLUE_CFLAGS)
ovs_vswitchd_linc_LDFLAGS = $(AM_LDFLAGS) -Wl,--wrap=ovs_print_version
ovs_vswitchd_linc_LDADD = \
	$(OVS_BUILDDIR)/vswitchd/ovs-vswitchd.o \
	$(OVS_BUILDDIR)/vswitchd/bridge.o \
	$(OVS_BUILDDIR)/vswitchd/system-stats.o \
	dpif-linc/liblinc-engine.a \
	$(OVS_LIBS)
