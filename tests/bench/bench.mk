# linc-engine-bench: micro-benchmarks of the engine's classifier with
# Google Benchmark (docs/perf-classifier.md).  Built when libbenchmark is
# found; never run by `make check`.  `make bench` runs it; pass Google
# Benchmark options in BENCH_FLAGS, e.g.
#   make bench BENCH_FLAGS='--benchmark_filter=emc --benchmark_repetitions=3'
if HAVE_BENCHMARK
noinst_PROGRAMS += tests/bench/linc-engine-bench
tests_bench_linc_engine_bench_SOURCES = \
	tests/bench/bench-keys.c \
	tests/bench/bench-keys.h \
	tests/bench/linc-engine-bench.cc
# bench-keys.c lays keys out as OVS's struct flow, so it sees OVS's headers.
tests_bench_linc_engine_bench_CPPFLAGS = $(OVS_GLUE_CPPFLAGS)
tests_bench_linc_engine_bench_CFLAGS = $(OVS_GLUE_CFLAGS)
tests_bench_linc_engine_bench_CXXFLAGS = $(AM_CXXFLAGS) $(BENCHMARK_CFLAGS)
tests_bench_linc_engine_bench_LDADD = dpif-linc/liblinc-engine.a $(BENCHMARK_LIBS)

bench: tests/bench/linc-engine-bench
	tests/bench/linc-engine-bench $(BENCH_FLAGS)
else
bench:
	@echo "linc-engine-bench needs Google Benchmark (apt-get install libbenchmark-dev) and a re-run of configure" >&2; exit 1
endif
.PHONY: bench
