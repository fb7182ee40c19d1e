if HAVE_CPPUTEST
check_PROGRAMS += tests/unit/linc-unit-tests
TESTS += tests/unit/linc-unit-tests
tests_unit_linc_unit_tests_SOURCES = \
	tests/unit/main.cc \
	tests/unit/test-actions.cc \
	tests/unit/test-flow-table.cc \
	tests/unit/test-port-map.cc \
	tests/unit/test-sched.cc
tests_unit_linc_unit_tests_CXXFLAGS = $(AM_CXXFLAGS) $(CPPUTEST_CFLAGS)
tests_unit_linc_unit_tests_LDADD = dpif-linc/liblinc-engine.a $(CPPUTEST_LIBS)
endif
