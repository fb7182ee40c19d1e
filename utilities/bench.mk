# linc-bench: throughput measurements (utilities/linc-bench, docs/performance.md).
# linc-udpgen is its UDP source and sink for the veth, bridge and OVS cases.
noinst_PROGRAMS = utilities/bench/linc-udpgen
utilities_bench_linc_udpgen_SOURCES = utilities/bench/linc-udpgen.c
EXTRA_DIST += utilities/linc-bench
