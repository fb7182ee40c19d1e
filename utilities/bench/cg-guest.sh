#!/bin/bash
# cg-guest.sh: instructions per packet of the emulated guests (linc-guest).
# Usage: B=<builddir> SIZE=64 SECS=20 utilities/bench/cg-guest.sh
# Runs one linc-guest process hosting sink (domain 2) and gen (domain 1),
# busy-polling, under callgrind (counting only guest::work(), the loop
# iterations that found work, unless CG_OPTS says otherwise, e.g.
# CG_OPTS=--collect-atstart=yes for everything), and ovs-vswitchd-linc
# natively (VS_POLL=busy: its linc-poll-mode), flow in_port=1 -> 2.  After WARMUP
# seconds (default 2) it zeroes callgrind's counters, measures for SECS
# seconds and dumps them.  Prints the guest's Ir over that window, the
# packets the generator queued and the sink received in it (from the
# --stats-file, written on SIGUSR1 at both ends), the backend's drops for
# vif2.0 over the window, and Ir per packet (gen + sink together: Ir / packets
# received), and leaves callgrind's output in the printed work dir
# (callgrind_annotate $W/cg.out.*.1 | head -60).
set -e
B=${B:?set B=builddir}
B=$(cd "$B" && pwd)
OB=$(sed -n "s/^OVS_BUILDDIR='\(.*\)'$/\1/p" $B/tests/atlocal)
OS=$(sed -n "s/^OVS_SRCDIR='\(.*\)'$/\1/p" $B/tests/atlocal)
W=$(mktemp -d /tmp/cgguest.XXXX)
mkdir $W/bin; ln -s $B/ovs-vswitchd-linc $W/bin/ovs-vswitchd
export PATH=$W/bin:$B/utilities:$B/utilities/simxen:$OB/utilities:$OB/ovsdb:$PATH
export OVS_RUNDIR=$W OVS_LOGDIR=$W OVS_DBDIR=$W OVS_SYSCONFDIR=$W
simxen --socket=$W/simxen --detach --pidfile=$W/simxen.pid --log-file=$W/simxen.log
ovsdb-tool create $W/conf.db $OS/vswitchd/vswitch.ovsschema
ovsdb-server --detach --no-chdir --pidfile --log-file --remote=punix:$W/db.sock
ovs-vsctl --no-wait init
# VS_POLL=busy: the forwarding thread never sleeps (linc-poll-mode).
ovs-vsctl --no-wait set Open_vSwitch . other_config:linc-poll-mode=${VS_POLL:-adaptive}
ovs-vswitchd --enable-dummy --disable-system --disable-system-route \
  --no-chdir --pidfile=$W/vswitchd.pid --log-file --detach
CTL=$(ls $W/ovs-vswitchd.*.ctl)
# NATIVE=1: no callgrind (for the counters only: packets, drops).
# LG=PATH: that linc-guest instead of $B's.
if test -n "${NATIVE:-}"; then VG_CMD=; else
  VG_CMD="valgrind --tool=callgrind --callgrind-out-file=$W/cg.out
    ${CG_OPTS:---collect-atstart=no --toggle-collect=*guest::work*}"
fi
$VG_CMD ${LG:-$B/utilities/linc-guest} --simxen-dir=$W/simxen --poll=busy \
  --guest=domid=2,mode=sink \
  --guest=domid=1,mode=gen,gen-size=${SIZE:-64}${GEN_EXTRA:+,$GEN_EXTRA} \
  --stats-file=$W/stats --pidfile=$W/guests.pid --log-file=$W/guests.log \
  > $W/vg.log 2>&1 &
VG=$!
for i in $(seq 100); do test -e $W/guests.pid && break; sleep 0.2; done
sleep 1
ovs-vsctl add-br br0 -- set bridge br0 datapath_type=linc fail-mode=secure \
 -- add-port br0 vif1.0 -- set Interface vif1.0 type=xen ofport_request=1 \
 -- add-port br0 vif2.0 -- set Interface vif2.0 type=xen ofport_request=2
ovs-ofctl add-flow br0 in_port=1,actions=output:2
GP=$(cat $W/guests.pid)
sleep ${WARMUP:-2}
test -n "${NATIVE:-}" || callgrind_control -z $GP > /dev/null
kill -USR1 $GP; ovs-appctl -t $CTL xen/show > $W/xenshow.0 || true
sleep 0.5; cp $W/stats $W/stats.0
sleep ${SECS:-20}
kill -USR1 $GP
test -n "${NATIVE:-}" || callgrind_control -d $GP > /dev/null
ovs-appctl -t $CTL xen/show > $W/xenshow.1 || true
sleep 0.5; cp $W/stats $W/stats.1
kill $(cat $W/guests.pid) || true
wait $VG || true
ovs-appctl -t $CTL exit || true
ovs-appctl -t ovsdb-server exit || true
kill $(cat $W/simxen.pid) || true
field() { # FILE DOMID NAME
  sed -n "s/^domid $2 .* $3 \([0-9]*\) .*/\1/p" $1
}
rx=$(( $(field $W/stats.1 2 rx_packets) - $(field $W/stats.0 2 rx_packets) ))
tx=$(( $(field $W/stats.1 1 tx_packets) - $(field $W/stats.0 1 tx_packets) ))
other=$(( $(field $W/stats.1 2 rx_other) - $(field $W/stats.0 2 rx_other) ))
drops() { # FILE: vif2.0's "to guest" drops
  grep -A3 '^vif2.0' $1 | sed -n 's/.*to guest:.* \([0-9]*\) dropped.*/\1/p' | head -1
}
drop=$(( $(drops $W/xenshow.1) - $(drops $W/xenshow.0) ))
ir=$(sed -n 's/^totals: //p' $(ls $W/cg.out.* 2>/dev/null | head -1) 2>/dev/null)
ir=${ir:-0}
echo "workdir $W"
grep -A3 '^vif[12].0' $W/xenshow.1 || true
echo "Ir $ir gen_tx $tx sink_rx $rx rx_other $other vif2_dropped ${drop:-?} Ir/packet $((ir / (rx > 0 ? rx : 1)))"
