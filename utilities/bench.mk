# linc-bench: throughput measurements (utilities/linc-bench, docs/performance.md).
# linc-udpgen is its UDP source and sink for the veth, bridge and OVS cases;
# linc-ringbench measures the shared-memory ceiling.
noinst_PROGRAMS = utilities/bench/linc-udpgen utilities/bench/linc-ringbench
utilities_bench_linc_udpgen_SOURCES = utilities/bench/linc-udpgen.c
utilities_bench_linc_ringbench_SOURCES = utilities/bench/linc-ringbench.c
EXTRA_DIST += utilities/linc-bench
# The emulated guests' instructions per packet, under callgrind.
EXTRA_DIST += utilities/bench/cg-guest.sh utilities/bench/cg-calls.py
TESTSUITE_AT += tests/bench.at
