# LINC_CHECK_OVS
# --------------
# Finds the Open vSwitch 3.1.0 tree that ovs-vswitchd-linc is built from,
# the way OVN does: --with-ovs-source=DIR (and --with-ovs-build=DIR when the
# build is out of tree).  Without them, build-aux/ovs-cache-build unpacks
# Debian's openvswitch-source tarball into a cache directory outside this
# tree, builds it once, and reuses it while the tarball's checksum holds.
AC_DEFUN([LINC_CHECK_OVS], [
  OVS_REQUIRED_VERSION=3.1.0
  AC_SUBST([OVS_REQUIRED_VERSION])
  AC_ARG_WITH([ovs-source],
    [AS_HELP_STRING([--with-ovs-source=DIR],
                    [Open vSwitch 3.1.0 source tree (default: build Debian's
                     /usr/src/openvswitch/openvswitch.tar.gz in a cache)])])
  AC_ARG_WITH([ovs-build],
    [AS_HELP_STRING([--with-ovs-build=DIR],
                    [Open vSwitch build tree, if not the source tree])])
  AC_ARG_WITH([ovs-tarball],
    [AS_HELP_STRING([--with-ovs-tarball=FILE],
                    [OVS source tarball to build when --with-ovs-source is
                     not given @<:@/usr/src/openvswitch/openvswitch.tar.gz@:>@])],
    [], [with_ovs_tarball=/usr/src/openvswitch/openvswitch.tar.gz])
  AC_ARG_VAR([LINC_CACHE_DIR],
             [where the OVS build is cached @<:@$XDG_CACHE_HOME/openvswitch-linc or ~/.cache/openvswitch-linc@:>@])

  if test -z "$with_ovs_source" || test "$with_ovs_source" = yes; then
    if test ! -f "$with_ovs_tarball"; then
      AC_MSG_ERROR([no OVS tree: $with_ovs_tarball is missing.
Install Debian's source (apt-get install openvswitch-source) or pass
--with-ovs-source=DIR pointing at an Open vSwitch $OVS_REQUIRED_VERSION tree.])
    fi
    AC_MSG_NOTICE([building OVS from $with_ovs_tarball in the cache (once)])
    linc_ovs_dir=`$SHELL "$srcdir/build-aux/ovs-cache-build" "$with_ovs_tarball"` ||
      AC_MSG_ERROR([building Open vSwitch from $with_ovs_tarball failed (see the output above)])
    with_ovs_source=$linc_ovs_dir
    with_ovs_build=$linc_ovs_dir
  fi
  OVS_SRCDIR=`cd "$with_ovs_source" 2>/dev/null && pwd` ||
    AC_MSG_ERROR([--with-ovs-source: $with_ovs_source is not a directory])
  if test -n "$with_ovs_build"; then
    OVS_BUILDDIR=`cd "$with_ovs_build" 2>/dev/null && pwd` ||
      AC_MSG_ERROR([--with-ovs-build: $with_ovs_build is not a directory])
  else
    OVS_BUILDDIR=$OVS_SRCDIR
  fi

  AC_MSG_CHECKING([OVS source tree in $OVS_SRCDIR])
  if test ! -f "$OVS_SRCDIR/lib/dpif-provider.h" || test ! -f "$OVS_SRCDIR/vswitchd/bridge.c"; then
    AC_MSG_RESULT([no])
    AC_MSG_ERROR([$OVS_SRCDIR is not an Open vSwitch source tree])
  fi
  ovs_version=`sed -n 's/^A@<:@C@:>@_INIT(openvswitch, *\(@<:@^,@:>@*\),.*/\1/p' "$OVS_SRCDIR/configure.ac"`
  AC_MSG_RESULT([$ovs_version])
  if test "$ovs_version" != "$OVS_REQUIRED_VERSION"; then
    AC_MSG_ERROR([Open vSwitch $OVS_REQUIRED_VERSION is required; $OVS_SRCDIR is version ${ovs_version:-unknown}])
  fi

  AC_MSG_CHECKING([OVS build in $OVS_BUILDDIR])
  for f in config.h lib/libopenvswitch.la ofproto/libofproto.la lib/libsflow.la \
           vswitchd/ovs-vswitchd.o vswitchd/bridge.o vswitchd/system-stats.o \
           ovsdb/ovsdb-server utilities/ovs-vsctl; do
    if test ! -e "$OVS_BUILDDIR/$f"; then
      AC_MSG_RESULT([no])
      AC_MSG_ERROR([$OVS_BUILDDIR/$f is missing: build Open vSwitch first (make in $OVS_BUILDDIR)])
    fi
  done
  if ! grep -q '^#define HAVE_OPENSSL 1' "$OVS_BUILDDIR/config.h"; then
    AC_MSG_RESULT([no])
    AC_MSG_ERROR([Open vSwitch in $OVS_BUILDDIR was built without OpenSSL; configure it with --enable-ssl])
  fi
  AC_MSG_RESULT([yes])

  AC_SUBST([OVS_SRCDIR])
  AC_SUBST([OVS_BUILDDIR])
  OVS_CPPFLAGS="-I$OVS_SRCDIR/include -I$OVS_BUILDDIR/include -I$OVS_SRCDIR/lib -I$OVS_BUILDDIR/lib -I$OVS_SRCDIR -I$OVS_BUILDDIR"
  AC_SUBST([OVS_CPPFLAGS])
])
