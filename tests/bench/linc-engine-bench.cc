// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// Micro-benchmarks of the linc engine's classifier (Google Benchmark).
// A program to run by hand or with `make bench`, never a test: it asserts
// nothing about time.  See docs/perf-classifier.md.
//
// Lookups run in bursts of 32 keys, as the forwarding threads do.  Keys are
// OVS struct flow words for UDP/IPv4 packets (bench-keys.c) and live in one
// 32-key buffer that each burst rewrites where packets differ (source
// address and port), so they are hot in L1 as after flow_extract().  Which
// flow each packet belongs to follows a precomputed uniform random sequence
// over the flows the traffic uses.  Each hit reads the flow's action list,
// as the glue does next.  "ns_per_pkt" is wall time per key.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "dpif-linc/linc-engine.h"
#include "tests/bench/bench-keys.h"

namespace {

constexpr size_t burst = 32;
constexpr size_t seq_len = 1 << 20;

const uint8_t output2[] = {8, 0, 1, 0, 2, 0, 0, 0};   // output(2)

void free_now(void (*fn)(void *), void *p) { fn(p); }

linc_ufid ufid_of(uint64_t n) { return linc_ufid{n, 0x4c494e43ull}; }

// A table of 'n_flows' exact 5-tuple flows, flow i matching linc_bench key
// i.  With n_masks > 1, flow i goes into mask i % n_masks (nw_src /32, /31,
// ...), so lookups probe (n_masks + 1) / 2 subtables on average.
struct table {
    linc_flow_table *t;
    size_t n_words;

    table(size_t n_flows, size_t n_masks = 1)
        : t(linc_flow_table_create(linc_bench_n_words(), free_now)),
          n_words(linc_bench_n_words())
    {
        std::vector<uint64_t> key(n_words), mask(n_words);
        for (size_t i = 0; i < n_flows; i++) {
            linc_bench_udp_key(key.data(), static_cast<uint32_t>(i));
            linc_bench_5tuple_mask(mask.data(),
                                   32 - static_cast<unsigned>(i % n_masks));
            linc_ufid u = ufid_of(i);
            if (linc_flow_table_put(t, &u, key.data(), mask.data(), output2,
                                    sizeof output2, LINC_PUT_CREATE,
                                    nullptr)) {
                std::abort();
            }
        }
    }
    ~table() { linc_flow_table_destroy(t); }
    table(const table &) = delete;
    table &operator=(const table &) = delete;
};

// The 32-key burst buffer and the traffic sequence.
struct traffic {
    std::vector<uint64_t> storage;
    const uint64_t *keys[burst];
    std::vector<uint32_t> seq;
    size_t pos = 0;

    traffic(size_t n_words, size_t n_active, uint32_t seed = 1)
        : storage(n_words * burst), seq(seq_len)
    {
        for (size_t i = 0; i < burst; i++) {
            linc_bench_udp_key(&storage[i * n_words], 0);
            keys[i] = &storage[i * n_words];
        }
        std::mt19937 rng(seed);
        std::uniform_int_distribution<uint32_t> pick(
            0, static_cast<uint32_t>(n_active - 1));
        for (auto &s : seq) {
            s = pick(rng);
        }
    }

    void next_burst()
    {
        size_t n_words = storage.size() / burst;
        for (size_t i = 0; i < burst; i++) {
            linc_bench_udp_key_set_id(&storage[i * n_words],
                                      seq[pos++ & (seq_len - 1)]);
        }
    }
};

uint64_t use_hits(linc_flow *const out[], size_t n)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (out[i]) {
            sum += linc_flow_actions(out[i])->len;
        }
    }
    return sum;
}

// Per-key figures.  The loop's wall time is taken around the loop by the
// caller (Google Benchmark's own rate counters print ns as "s").
struct timer {
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
    double ns() const
    {
        return std::chrono::duration<double, std::nano>(
                   std::chrono::steady_clock::now() - start).count();
    }
};

void set_counters(benchmark::State &state, const timer &t, size_t lookups,
                  size_t hits)
{
    state.SetItemsProcessed(state.iterations() * burst);
    // Averaged over threads: per-thread cost, not the sum.
    state.counters["ns_per_pkt"] = benchmark::Counter(
        t.ns() / (state.iterations() * burst),
        benchmark::Counter::kAvgThreads);
    state.counters["hit_pct"] = benchmark::Counter(
        lookups ? 100.0 * hits / lookups : 0, benchmark::Counter::kAvgThreads);
}

// Megaflow table alone: range(0) flows, range(1) masks.
void BM_megaflow(benchmark::State &state)
{
    table tb(state.range(0), state.range(1));
    traffic tr(tb.n_words, state.range(0));
    linc_flow *out[burst];
    size_t hits = 0, lookups = 0;
    uint64_t sink = 0;

    timer t;
    for (auto _ : state) {
        tr.next_burst();
        hits += linc_flow_table_lookup_batch(tb.t, tr.keys, burst, out,
                                             nullptr);
        lookups += burst;
        sink += use_hits(out, burst);
    }
    benchmark::DoNotOptimize(sink);
    set_counters(state, t, lookups, hits);
}
BENCHMARK(BM_megaflow)
    ->ArgNames({"flows", "masks"})
    ->Args({1, 1})->Args({1000, 1})->Args({100000, 1})->Args({1000, 8});

// Megaflow table behind one thread's exact-match cache: range(0) flows,
// range(1) masks, range(2) the insertion inverse probability (0: cache
// disabled, every key goes to the table through the cache's entry point).
// The cache is warmed with the traffic first, so figures are steady state.
// Keys are hashed by the engine, as for packets without an RSS hash.
void BM_emc(benchmark::State &state)
{
    table tb(state.range(0), state.range(1));
    traffic tr(tb.n_words, state.range(0));
    linc_emc *emc = linc_emc_create(tb.t, LINC_EMC_DEFAULT_ENTRIES,
                                    static_cast<unsigned>(state.range(2)));
    if (!emc) {
        std::abort();
    }
    linc_flow *out[burst];
    linc_lookup_stats st{};
    uint64_t sink = 0;

    for (size_t i = 0; i < std::max<size_t>(4 * state.range(0), 1 << 16)
                           / burst; i++) {
        tr.next_burst();
        linc_emc_lookup_batch(emc, tr.keys, nullptr, burst, out, &st);
    }
    st = linc_lookup_stats{};

    timer t;
    for (auto _ : state) {
        tr.next_burst();
        linc_emc_lookup_batch(emc, tr.keys, nullptr, burst, out, &st);
        sink += use_hits(out, burst);
    }
    benchmark::DoNotOptimize(sink);
    size_t lookups = state.iterations() * burst;
    set_counters(state, t, lookups, st.emc_hits + st.megaflow_hits);
    state.counters["emc_pct"] = benchmark::Counter(
        lookups ? 100.0 * st.emc_hits / lookups : 0,
        benchmark::Counter::kAvgThreads);
    linc_emc_destroy(emc);
}
BENCHMARK(BM_emc)
    ->ArgNames({"flows", "masks", "inv_prob"})
    ->Args({1, 1, 0})->Args({1, 1, 100})
    ->Args({1000, 1, 0})->Args({1000, 1, 100})
    ->Args({100000, 1, 0})->Args({100000, 1, 100})
    ->Args({1000, 8, 0})->Args({1000, 8, 100});
// (100,000 flows cannot have 8 masks here: the keys' source addresses
// differ only in their low 3 bits, so shorter prefixes would collide.)

// Two threads sharing one table, as two forwarding threads do: shows the
// cost of writes to lines both threads use (the rwlock, hit counters).
// Meaningful only on an otherwise idle machine with two free cores.
void BM_megaflow_shared(benchmark::State &state)
{
    static table tb(1000, 1);
    traffic tr(tb.n_words, 1000, 1 + state.thread_index());
    linc_flow *out[burst];
    size_t hits = 0, lookups = 0;
    uint64_t sink = 0;

    timer t;
    for (auto _ : state) {
        tr.next_burst();
        hits += linc_flow_table_lookup_batch(tb.t, tr.keys, burst, out,
                                             nullptr);
        lookups += burst;
        sink += use_hits(out, burst);
    }
    benchmark::DoNotOptimize(sink);
    set_counters(state, t, lookups, hits);
}
BENCHMARK(BM_megaflow_shared)->Threads(1)->Threads(2)->UseRealTime();

// Cost of the traffic generator alone, to subtract by eye.
void BM_burst_overhead(benchmark::State &state)
{
    traffic tr(linc_bench_n_words(), 1000);
    timer t;
    for (auto _ : state) {
        tr.next_burst();
        benchmark::DoNotOptimize(tr.storage.data());
        benchmark::ClobberMemory();
    }
    set_counters(state, t, 0, 0);
}
BENCHMARK(BM_burst_overhead);

}  // namespace

BENCHMARK_MAIN();
