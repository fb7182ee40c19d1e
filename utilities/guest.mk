# The guest emulator's building blocks.
noinst_LIBRARIES += utilities/libguest.a
utilities_libguest_a_SOURCES = \
	utilities/guest/guest-stats.h \
	utilities/guest/probe-frame.h \
	utilities/guest/tap-device.cc \
	utilities/guest/tap-device.h

if HAVE_CPPUTEST
tests_unit_linc_unit_tests_SOURCES += \
	tests/unit/test-guest-stats.cc \
	tests/unit/test-tap-device.cc
tests_unit_linc_unit_tests_LDADD += utilities/libguest.a
endif
