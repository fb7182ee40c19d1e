if HAVE_CPPUTEST
check_PROGRAMS += tests/unit/linc-unit-tests
TESTS += tests/unit/linc-unit-tests
tests_unit_linc_unit_tests_SOURCES = \
	tests/unit/main.cc \
	tests/unit/flow-test-keys.h \
	tests/unit/test-actions.cc \
	tests/unit/test-emc.cc \
	tests/unit/test-flow-table.cc \
	tests/unit/test-port-map.cc \
	tests/unit/test-sched.cc
tests_unit_linc_unit_tests_CXXFLAGS = $(AM_CXXFLAGS) $(CPPUTEST_CFLAGS)
tests_unit_linc_unit_tests_LDADD = dpif-linc/liblinc-engine.a $(CPPUTEST_LIBS)
endif

# The integration suite: autotest, as OVS and OVN do.
TESTSUITE_AT = \
	tests/testsuite.at \
	tests/linc-macros.at \
	tests/dpif-linc.at \
	tests/xen.at
TESTSUITE = $(srcdir)/tests/testsuite
TESTSUITE_DIR = $(abs_top_builddir)/tests/testsuite.dir
EXTRA_DIST += $(TESTSUITE_AT) $(TESTSUITE) tests/package.m4 tests/atlocal.in
DISTCLEANFILES += tests/atconfig tests/atlocal

AUTOM4TE = autom4te
AUTOTEST = $(AUTOM4TE) -l autotest
$(TESTSUITE): $(TESTSUITE_AT) $(srcdir)/tests/package.m4
	$(AM_V_GEN)$(AUTOTEST) -I $(srcdir)/tests -I $(srcdir) -I $(OVS_SRCDIR) \
		$(srcdir)/tests/testsuite.at -o $@.tmp && mv $@.tmp $@

$(srcdir)/tests/package.m4: $(top_srcdir)/configure.ac
	$(AM_V_GEN):;{ \
	  echo '# Signature of the current package.' && \
	  echo 'm4_define([AT_PACKAGE_NAME],      [$(PACKAGE_NAME)])' && \
	  echo 'm4_define([AT_PACKAGE_TARNAME],   [$(PACKAGE_TARNAME)])' && \
	  echo 'm4_define([AT_PACKAGE_VERSION],   [$(PACKAGE_VERSION)])' && \
	  echo 'm4_define([AT_PACKAGE_STRING],    [$(PACKAGE_STRING)])' && \
	  echo 'm4_define([AT_PACKAGE_BUGREPORT], [$(PACKAGE_BUGREPORT)])'; \
	} >'$@'

# The tests run our binary as "ovs-vswitchd", as the Debian alternative
# does, so ovs-appctl finds it by its usual name; OVS's own tools and
# servers come from the OVS build we linked against.
tests/bin/ovs-vswitchd: ovs-vswitchd-linc
	$(AM_V_GEN)$(MKDIR_P) tests/bin && ln -sf ../../ovs-vswitchd-linc $@

AUTOTEST_PATH = $(abs_top_builddir)/tests/bin:$(abs_top_builddir)/utilities:$(abs_top_builddir)/utilities/simxen:$(OVS_BUILDDIR)/utilities:$(OVS_BUILDDIR)/ovsdb

check-local: $(TESTSUITE) tests/atconfig tests/atlocal tests/bin/ovs-vswitchd utilities/linc-guest utilities/simxen/simxen
	set $(SHELL) '$(TESTSUITE)' -C tests AUTOTEST_PATH='$(AUTOTEST_PATH)'; \
	"$$@" $(TESTSUITEFLAGS) || \
	{ test X'$(RECHECK)' = Xyes && "$$@" --recheck; }

clean-local:
	test ! -f '$(TESTSUITE)' || $(SHELL) '$(TESTSUITE)' -C tests --clean
	rm -rf tests/bin

# Real Xen 4.17 under QEMU: two Linux netfront guests served by
# ovs-vswitchd-linc in a Linux dom0 (tests/xen-real/run; root, a few
# minutes under TCG).  Not part of `make check`: linc-dev check runs it.
EXTRA_DIST += \
	tests/xen-real/run \
	tests/xen-real/dom0-init \
	tests/xen-real/dom0-test \
	tests/xen-real/guest-init
check-xen-real: ovs-vswitchd-linc
	$(srcdir)/tests/xen-real/run '$(abs_top_builddir)'
clean-local: clean-xen-real
clean-xen-real:
	rm -rf tests/xen-real.work
.PHONY: check-xen-real clean-xen-real
