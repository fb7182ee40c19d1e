// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// The exact-match cache: hits after inserts, no use of a deleted or
// replaced flow, eviction, the disabled cache, many flows.

#include <cstdint>
#include <atomic>
#include <cstring>
#include <thread>
#include <utility>
#include <vector>

#include "dpif-linc/emc.h"
#include "dpif-linc/linc-engine.h"
#include "tests/unit/flow-test-keys.h"

#include <CppUTest/TestHarness.h>

namespace {

using namespace linc_test;

// Deferred frees wait here until drain(), as RCU would keep them until the
// forwarding thread quiesces: a deleted flow's memory still holds its old
// actions, so using a stale entry would show.
std::vector<std::pair<void (*)(void *), void *>> pending;

void defer(void (*fn)(void *), void *p) { pending.emplace_back(fn, p); }

void drain()
{
    for (auto &p : pending) {
        p.first(p.second);
    }
    // Give the storage back too: CppUTest checks each test for leaks.
    std::vector<std::pair<void (*)(void *), void *>>().swap(pending);
}

}  // namespace

TEST_GROUP(emc)
{
    linc_flow_table *t = nullptr;
    linc_emc *c = nullptr;
    linc_lookup_stats st{};
    key exact;      // Mask of in_port (word 0) and one address (word 3).

    void setup() override
    {
        t = linc_flow_table_create(n_words, defer);
        exact.w[0] = ~0ull;
        exact.w[3] = ~0ull;
    }
    void teardown() override
    {
        linc_emc_destroy(c);
        drain();
        linc_flow_table_destroy(t);
    }

    void make(size_t n_entries, unsigned inv_prob)
    {
        c = linc_emc_create(t, n_entries, inv_prob);
        CHECK(c != nullptr);
    }

    static key pkt(uint64_t port, uint64_t addr, uint64_t other = 0)
    {
        key k;
        k.w[0] = port;
        k.w[3] = addr;
        k.w[5] = other;
        return k;
    }

    void put(uint64_t id, const key &k, const key &m, const uint8_t *acts)
    {
        linc_ufid u = ufid(id);
        LONGS_EQUAL(0, linc_flow_table_put(t, &u, k.w, m.w, acts, 8,
                                           LINC_PUT_CREATE, nullptr));
    }

    // Flows 0..n-1, flow i for port 1 and address i, exact.
    void put_exact(uint64_t n)
    {
        for (uint64_t i = 0; i < n; i++) {
            put(i, pkt(1, i), exact, out1);
        }
    }

    linc_flow *lookup(const key &k, const uint32_t *hash = nullptr)
    {
        const uint64_t *p = k.w;
        linc_flow *f = nullptr;
        linc_emc_lookup_batch(c, &p, hash, 1, &f, &st);
        return f;
    }

    static uint64_t id_of(const linc_flow *f)
    {
        linc_ufid u;
        linc_flow_ufid(f, &u);
        return u.lo;
    }
};

TEST(emc, hit_after_insert)
{
    make(8192, 1);
    put(1, pkt(1, 10), exact, out1);

    linc_flow *f = lookup(pkt(1, 10));
    CHECK(f != nullptr);
    LONGS_EQUAL(0, st.emc_hits);
    LONGS_EQUAL(1, st.megaflow_hits);
    LONGS_EQUAL(1, st.n_probes);
    LONGS_EQUAL(1, linc_emc_count(c));

    POINTERS_EQUAL(f, lookup(pkt(1, 10)));
    LONGS_EQUAL(1, st.emc_hits);
    LONGS_EQUAL(1, st.megaflow_hits);
    LONGS_EQUAL(0, st.misses);

    // Words no mask covers do not take a new entry.
    POINTERS_EQUAL(f, lookup(pkt(1, 10, 99)));
    LONGS_EQUAL(2, st.emc_hits);

    POINTERS_EQUAL(nullptr, lookup(pkt(2, 10)));
    LONGS_EQUAL(1, st.misses);
}

TEST(emc, miss_after_delete)
{
    make(8192, 1);
    put(1, pkt(1, 10), exact, out1);
    CHECK(lookup(pkt(1, 10)) != nullptr);
    CHECK(lookup(pkt(1, 10)) != nullptr);
    LONGS_EQUAL(1, st.emc_hits);

    linc_ufid u = ufid(1);
    LONGS_EQUAL(0, linc_flow_table_del(t, &u, nullptr));
    // The flow's memory is still there (deferred), but it left the table.
    POINTERS_EQUAL(nullptr, lookup(pkt(1, 10)));
    LONGS_EQUAL(1, st.emc_hits);
    LONGS_EQUAL(1, st.misses);
    LONGS_EQUAL(0, linc_emc_count(c));

    // After the deferred free ran (the thread quiesced): still a miss.
    drain();
    POINTERS_EQUAL(nullptr, lookup(pkt(1, 10)));
    LONGS_EQUAL(1, st.emc_hits);
}

TEST(emc, replaced_flow_is_never_used)
{
    make(8192, 1);
    put(1, pkt(1, 10), exact, out1);
    linc_flow *old = lookup(pkt(1, 10));
    POINTERS_EQUAL(old, lookup(pkt(1, 10)));

    // Delete and reinstall the same match with other actions, as a
    // revalidator replacing a flow does.  The old memory is not freed yet.
    linc_ufid u = ufid(1);
    LONGS_EQUAL(0, linc_flow_table_del(t, &u, nullptr));
    put(2, pkt(1, 10), exact, out2);
    uint64_t emc_before = st.emc_hits;
    linc_flow *f = lookup(pkt(1, 10));
    CHECK(f != nullptr);
    CHECK(f != old);
    LONGS_EQUAL(2, id_of(f));
    MEMCMP_EQUAL(out2, linc_flow_actions(f)->data, sizeof out2);
    LONGS_EQUAL(emc_before, st.emc_hits);

    // The new flow's entry replaced the dead one.
    POINTERS_EQUAL(f, lookup(pkt(1, 10)));
    LONGS_EQUAL(emc_before + 1, st.emc_hits);
    LONGS_EQUAL(1, linc_emc_count(c));
}

TEST(emc, modified_actions_are_seen_through_a_hit)
{
    make(8192, 1);
    put(1, pkt(1, 10), exact, out1);
    linc_flow *f = lookup(pkt(1, 10));
    linc_ufid u = ufid(1);
    key k = pkt(1, 10);
    LONGS_EQUAL(0, linc_flow_table_put(t, &u, k.w, exact.w, out2, sizeof out2,
                                       LINC_PUT_MODIFY, nullptr));
    POINTERS_EQUAL(f, lookup(pkt(1, 10)));
    LONGS_EQUAL(1, st.emc_hits);
    MEMCMP_EQUAL(out2, linc_flow_actions(f)->data, sizeof out2);
}

TEST(emc, flush_invalidates_every_entry)
{
    make(8192, 1);
    put_exact(100);
    for (uint64_t i = 0; i < 100; i++) {
        lookup(pkt(1, i));
    }
    LONGS_EQUAL(100, linc_emc_count(c));
    linc_flow_table_flush(t);
    LONGS_EQUAL(0, linc_emc_count(c));
    for (uint64_t i = 0; i < 100; i++) {
        POINTERS_EQUAL(nullptr, lookup(pkt(1, i)));
    }
    LONGS_EQUAL(0, st.emc_hits);
}

TEST(emc, collisions_evict_within_a_set)
{
    // One set of two ways: every key collides.
    make(2, 1);
    put_exact(3);
    for (int round = 0; round < 3; round++) {
        for (uint64_t i = 0; i < 3; i++) {
            linc_flow *f = lookup(pkt(1, i));
            CHECK(f != nullptr);
            LONGS_EQUAL(i, id_of(f));
        }
    }
    LONGS_EQUAL(2, linc_emc_count(c));
    LONGS_EQUAL(9, st.emc_hits + st.megaflow_hits);
    CHECK(st.megaflow_hits >= 3);

    // Equal hashes from the caller: only the keys tell entries apart.
    const uint32_t same = 7;
    for (uint64_t i = 0; i < 3; i++) {
        LONGS_EQUAL(i, id_of(lookup(pkt(1, i), &same)));
        LONGS_EQUAL(i, id_of(lookup(pkt(1, i), &same)));
    }
    LONGS_EQUAL(0, st.misses);
}

TEST(emc, disabled_cache_goes_to_the_table)
{
    make(8192, 0);
    put(1, pkt(1, 10), exact, out1);
    for (int i = 0; i < 10; i++) {
        CHECK(lookup(pkt(1, 10)) != nullptr);
    }
    POINTERS_EQUAL(nullptr, lookup(pkt(1, 11)));
    LONGS_EQUAL(0, st.emc_hits);
    LONGS_EQUAL(10, st.megaflow_hits);
    LONGS_EQUAL(1, st.misses);
    LONGS_EQUAL(0, linc_emc_count(c));

    // Enabled later, it starts filling.
    linc_emc_set_insert_inv_prob(c, 1);
    lookup(pkt(1, 10));
    lookup(pkt(1, 10));
    LONGS_EQUAL(1, st.emc_hits);
}

TEST(emc, insertion_is_probabilistic)
{
    make(8192, 100);
    put_exact(1000);
    for (uint64_t i = 0; i < 1000; i++) {
        lookup(pkt(1, i));
    }
    // About 10 of 1000 hits enter: never all, and the table answered all.
    CHECK(linc_emc_count(c) < 100);
    LONGS_EQUAL(1000, st.megaflow_hits);
}

TEST(emc, many_flows_right_answers_and_hits)
{
    make(8192, 1);
    key wide = exact;
    wide.w[3] = ~0xffull;     // A second mask: /24-like on word 3.
    for (uint64_t i = 0; i < 20000; i++) {
        put(i, pkt(1, i << 8), i % 2 ? wide : exact, i % 2 ? out2 : out1);
    }
    const size_t burst = 32;
    for (int pass = 0; pass < 2; pass++) {
        for (uint64_t base = 0; base < 20000; base += burst) {
            key keys[burst];
            const uint64_t *ptrs[burst];
            linc_flow *outs[burst];
            for (size_t j = 0; j < burst; j++) {
                // Odd flows match any low byte; even ones only 0.
                uint64_t i = (base + j) % 20000;
                keys[j] = pkt(1, (i << 8) | (i % 2 ? j : 0), j);
                ptrs[j] = keys[j].w;
            }
            LONGS_EQUAL(burst,
                        linc_emc_lookup_batch(c, ptrs, nullptr, burst, outs,
                                              &st));
            for (size_t j = 0; j < burst; j++) {
                LONGS_EQUAL((base + j) % 20000, id_of(outs[j]));
            }
        }
    }
    LONGS_EQUAL(0, st.misses);
    CHECK(st.emc_hits > 0);
    CHECK(linc_emc_count(c) <= 8192);
    CHECK(linc_emc_count(c) > 4096);
}

TEST(emc, runs_of_one_key_in_a_burst)
{
    make(8192, 1);
    put(1, pkt(1, 10), exact, out1);
    put(2, pkt(1, 20), exact, out2);
    // Runs of flow 1's key (word 5 differs, outside every mask), of flow
    // 2's, and of a key no flow matches, each starting on a miss or a hit,
    // with RSS hashes that differ within a run.
    const uint64_t addrs[] = {10, 10, 10, 20, 20, 10, 30, 30, 10, 30,
                              20, 20, 20, 20, 10, 10};
    const uint64_t want[] = {1, 1, 1, 2, 2, 1, 0, 0, 1, 0,
                             2, 2, 2, 2, 1, 1};
    const size_t n = sizeof addrs / sizeof *addrs;
    key keys[n];
    const uint64_t *ptrs[n];
    uint32_t hashes[n];
    for (size_t j = 0; j < n; j++) {
        keys[j] = pkt(1, addrs[j], j);
        ptrs[j] = keys[j].w;
        hashes[j] = static_cast<uint32_t>(j * 7919);
    }
    for (int pass = 0; pass < 3; pass++) {
        linc_flow *outs[n];
        linc_lookup_stats s{};
        LONGS_EQUAL(13, linc_emc_lookup_batch(c, ptrs, pass == 2 ? hashes
                                                                 : nullptr,
                                              n, outs, &s));
        for (size_t j = 0; j < n; j++) {
            if (want[j]) {
                LONGS_EQUAL(want[j], id_of(outs[j]));
            } else {
                POINTERS_EQUAL(nullptr, outs[j]);
            }
        }
        LONGS_EQUAL(3, s.misses);
        if (pass == 0) {
            // Nothing cached yet: all to the table; each key cached once.
            LONGS_EQUAL(13, s.megaflow_hits);
            LONGS_EQUAL(2, linc_emc_count(c));
        } else if (pass == 1) {
            LONGS_EQUAL(13, s.emc_hits);
        } else {
            LONGS_EQUAL(13, s.emc_hits + s.megaflow_hits);
        }
    }
    // With RSS hashes a key is cached under each run's hash: six runs of
    // the two keys, one entry each, besides the two from the first pass.
    LONGS_EQUAL(8, linc_emc_count(c));
}

TEST(emc, new_mask_words_rekey_the_cache)
{
    make(8192, 1);
    key port_only;
    port_only.w[0] = ~0ull;
    put(1, pkt(1, 0), port_only, out1);
    linc_flow *f = lookup(pkt(1, 5));
    POINTERS_EQUAL(f, lookup(pkt(1, 6)));   // Word 3 is not keyed yet.
    LONGS_EQUAL(1, st.emc_hits);

    // A mask on word 3 appears: entries are keyed on it from now on, and
    // the more specific flow is found for its address.
    put(2, pkt(2, 6), exact, out2);
    LONGS_EQUAL(2, id_of(lookup(pkt(2, 6))));
    LONGS_EQUAL(2, id_of(lookup(pkt(2, 6))));
    LONGS_EQUAL(1, id_of(lookup(pkt(1, 6))));
    LONGS_EQUAL(1, id_of(lookup(pkt(1, 7))));
    POINTERS_EQUAL(nullptr, lookup(pkt(2, 7)));
}

TEST(emc, shed_mask_words_rekey_the_cache)
{
    make(8192, 1);
    key port_only;
    port_only.w[0] = ~0ull;
    put(1, pkt(1, 0), port_only, out1);
    put(2, pkt(2, 6), exact, out2);
    LONGS_EQUAL(1, id_of(lookup(pkt(1, 6))));
    LONGS_EQUAL(1, id_of(lookup(pkt(1, 6))));
    LONGS_EQUAL(1, st.emc_hits);
    LONGS_EQUAL(1, id_of(lookup(pkt(1, 7))));   // Word 3 is keyed.
    LONGS_EQUAL(1, st.emc_hits);

    // The exact flow leaves; once the table sheds its mask, word 3 no
    // longer tells entries apart, and the answers stay right.
    linc_ufid u2 = ufid(2);
    LONGS_EQUAL(0, linc_flow_table_del(t, &u2, nullptr));
    POINTERS_EQUAL(nullptr, lookup(pkt(2, 6)));
    LONGS_EQUAL(1, id_of(lookup(pkt(1, 7))));
    LONGS_EQUAL(2, st.emc_hits);
    linc_flow_table_optimize(t);
    LONGS_EQUAL(1, id_of(lookup(pkt(1, 8))));
    LONGS_EQUAL(2, st.emc_hits);                // Re-keyed: emptied.
    LONGS_EQUAL(1, id_of(lookup(pkt(1, 9))));
    LONGS_EQUAL(3, st.emc_hits);
    POINTERS_EQUAL(nullptr, lookup(pkt(2, 6)));

    // A flow with the mask again grows the union back at once.
    put(3, pkt(2, 6), exact, out2);
    LONGS_EQUAL(3, id_of(lookup(pkt(2, 6))));
    LONGS_EQUAL(3, id_of(lookup(pkt(2, 6))));
    POINTERS_EQUAL(nullptr, lookup(pkt(2, 7)));
    LONGS_EQUAL(1, id_of(lookup(pkt(1, 9))));
}

TEST(emc, concurrent_replacement_never_returns_a_deleted_flow)
{
    // A writer keeps replacing each address's flow (UFID {address,
    // version}), sometimes under a mask with one more word, and publishes
    // the last version it deleted.  A reader that saw that publication
    // before its lookup must never get that version or an older one back.
    // Deferred frees wait for the end, so even a wrong answer is readable.
    constexpr uint64_t n_addr = 64;
    std::atomic<uint64_t> deleted[n_addr];
    uint64_t version[n_addr];
    key wider = exact;
    wider.w[5] = ~0ull;
    make(8192, 1);
    for (uint64_t a = 0; a < n_addr; a++) {
        linc_ufid u{a, 1};
        key k = pkt(1, a);
        LONGS_EQUAL(0, linc_flow_table_put(t, &u, k.w, exact.w, out1, 8,
                                           LINC_PUT_CREATE, nullptr));
        deleted[a].store(0);
        version[a] = 1;
    }

    std::atomic<bool> stop{false};
    std::atomic<int> rounds{0};
    std::thread writer([&] {
        uint64_t next = 2;
        while (rounds.load() < 1) {     // Overlap with the reader.
            std::this_thread::yield();
        }
        for (int i = 0; i < 20000; i++) {
            uint64_t a = (i * 7) % n_addr;
            linc_ufid old{a, version[a]}, u{a, next};
            key k = pkt(1, a);
            if (linc_flow_table_del(t, &old, nullptr)) {
                break;
            }
            deleted[a].store(version[a], std::memory_order_release);
            if (linc_flow_table_put(t, &u, k.w, i % 5 ? exact.w : wider.w,
                                    out2, 8, LINC_PUT_CREATE, nullptr)) {
                break;
            }
            version[a] = next++;
        }
        stop.store(true);
    });

    size_t wrong = 0, found = 0;
    while (!stop.load() || rounds.load() < 3) {
        for (uint64_t a = 0; a < n_addr; a++) {
            uint64_t gone = deleted[a].load(std::memory_order_acquire);
            linc_flow *f = lookup(pkt(1, a));
            if (f) {
                linc_ufid u;
                linc_flow_ufid(f, &u);
                wrong += u.lo != a || u.hi <= gone;
                found++;
            }
        }
        rounds++;
    }
    writer.join();
    LONGS_EQUAL(0, wrong);
    CHECK(found > 0);
    CHECK(st.emc_hits > 0);
    // Afterwards each address finds its last version.
    for (uint64_t a = 0; a < n_addr; a++) {
        linc_ufid u;
        linc_flow_ufid(lookup(pkt(1, a)), &u);
        LONGS_EQUAL(a, u.lo);
        LONGS_EQUAL(version[a], u.hi);
    }
}

TEST(emc, low_hit_rate_bypasses_the_cache_until_it_pays_again)
{
    // 64 entries for 4096 flows in turn: almost every lookup misses.
    make(64, 1);
    put_exact(4096);
    const size_t burst = 32;
    auto run = [&](uint64_t first, uint64_t n_flows, size_t n_bursts) {
        key keys[burst];
        const uint64_t *ptrs[burst];
        linc_flow *outs[burst];
        for (size_t b = 0; b < n_bursts; b++) {
            for (size_t j = 0; j < burst; j++) {
                keys[j] = pkt(1, first + (b * burst + j) % n_flows);
                ptrs[j] = keys[j].w;
            }
            LONGS_EQUAL(burst, linc_emc_lookup_batch(c, ptrs, nullptr, burst,
                                                     outs, &st));
            for (size_t j = 0; j < burst; j++) {
                LONGS_EQUAL(keys[j].w[3], id_of(outs[j]));
            }
        }
    };
    CHECK(!linc_emc_bypassed(c));
    run(0, 4096, 4096 / burst);
    CHECK(linc_emc_bypassed(c));

    // While bypassed, 15 bursts in 16 never touch the cache.
    uint64_t emc_before = st.emc_hits;
    run(0, 1, linc::emc::sample_every - 1);
    LONGS_EQUAL(emc_before, st.emc_hits);

    // Traffic the cache can hold: the sampled bursts see it hit, and the
    // bypass ends within a window of sampled lookups.
    run(0, 8, linc::emc::sample_every * (linc::emc::window / burst + 1));
    CHECK(!linc_emc_bypassed(c));
    emc_before = st.emc_hits;
    run(0, 8, 4);
    LONGS_EQUAL(emc_before + 4 * burst, st.emc_hits);
}

TEST(emc, a_cold_cache_is_not_bypassed)
{
    // Low hit rate while the cache fills (1 % of hits enter, none evicts):
    // warming up, not thrashing.
    make(8192, 100);
    put_exact(1000);
    const size_t burst = 32;
    key keys[burst];
    const uint64_t *ptrs[burst];
    linc_flow *outs[burst];
    for (size_t b = 0; b < 3 * linc::emc::window / burst; b++) {
        for (size_t j = 0; j < burst; j++) {
            keys[j] = pkt(1, (b * burst + j) % 1000);
            ptrs[j] = keys[j].w;
        }
        linc_emc_lookup_batch(c, ptrs, nullptr, burst, outs, &st);
    }
    CHECK(st.emc_hits * 4 < st.megaflow_hits);
    CHECK(!linc_emc_bypassed(c));
}
