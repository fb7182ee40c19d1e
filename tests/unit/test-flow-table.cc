// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// The megaflow table: masks, UFID semantics of put/del/get, stats, dumps.

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include "dpif-linc/flow-table.h"
#include "dpif-linc/linc-engine.h"
#include "tests/unit/flow-test-keys.h"

#include <CppUTest/TestHarness.h>

namespace {

using namespace linc_test;

int deferred_frees;

void free_now(void (*fn)(void *), void *p)
{
    deferred_frees++;
    fn(p);
}

}  // namespace

TEST_GROUP(flow_table)
{
    linc_flow_table *t = nullptr;

    void setup() override
    {
        deferred_frees = 0;
        t = linc_flow_table_create(n_words, free_now);
    }
    void teardown() override { linc_flow_table_destroy(t); }

    linc_flow *lookup(const key &k)
    {
        const uint64_t *p = k.w;
        linc_flow *f = nullptr;
        linc_flow_table_lookup_batch(t, &p, 1, &f, nullptr);
        return f;
    }
};

TEST(flow_table, exact_and_masked_lookup)
{
    key k, m, probe;
    k.w[0] = 5;           // in_port
    k.w[3] = 0x0a000001;  // some address
    m.w[0] = ~0ull;
    m.w[3] = 0xffffff00;  // /24
    LONGS_EQUAL(0, linc_flow_table_put(t, &(const linc_ufid &) ufid(1), k.w,
                                       m.w, out1, sizeof out1,
                                       LINC_PUT_CREATE, nullptr));
    probe.w[0] = 5;
    probe.w[3] = 0x0a0000fe;   // Same /24.
    probe.w[5] = 1234;         // Wildcarded word.
    linc_flow *f = lookup(probe);
    CHECK(f != nullptr);
    const linc_actions *a = linc_flow_actions(f);
    LONGS_EQUAL(sizeof out1, a->len);
    MEMCMP_EQUAL(out1, a->data, sizeof out1);

    probe.w[3] = 0x0a000101;   // Other /24.
    POINTERS_EQUAL(nullptr, lookup(probe));
    probe.w[3] = 0x0a000001;
    probe.w[0] = 6;            // Other in_port.
    POINTERS_EQUAL(nullptr, lookup(probe));
}

TEST(flow_table, subtables_per_mask_and_removal)
{
    key k1, m1, k2, m2;
    k1.w[0] = 1; m1.w[0] = ~0ull;
    k2.w[0] = 1; k2.w[2] = 7; m2.w[0] = ~0ull; m2.w[2] = ~0ull;
    linc_ufid u1 = ufid(1), u2 = ufid(2);
    LONGS_EQUAL(0, linc_flow_table_put(t, &u1, k1.w, m1.w, out1, sizeof out1,
                                       LINC_PUT_CREATE, nullptr));
    LONGS_EQUAL(0, linc_flow_table_put(t, &u2, k2.w, m2.w, out2, sizeof out2,
                                       LINC_PUT_CREATE, nullptr));
    LONGS_EQUAL(2, linc_flow_table_count(t));
    LONGS_EQUAL(2, linc_flow_table_n_masks(t));

    LONGS_EQUAL(0, linc_flow_table_del(t, &u2, nullptr));
    LONGS_EQUAL(1, linc_flow_table_n_masks(t));
    LONGS_EQUAL(ENOENT, linc_flow_table_del(t, &u2, nullptr));
    CHECK(deferred_frees >= 1);
    // The remaining flow still matches what the deleted one did.
    CHECK(lookup(k2) != nullptr);
}

TEST(flow_table, put_flags_follow_dpif_semantics)
{
    key k, m;
    k.w[0] = 3; m.w[0] = ~0ull;
    linc_ufid u = ufid(9);
    LONGS_EQUAL(ENOENT, linc_flow_table_put(t, &u, k.w, m.w, out1, sizeof out1,
                                            LINC_PUT_MODIFY, nullptr));
    LONGS_EQUAL(0, linc_flow_table_put(t, &u, k.w, m.w, out1, sizeof out1,
                                       LINC_PUT_CREATE, nullptr));
    LONGS_EQUAL(EEXIST, linc_flow_table_put(t, &u, k.w, m.w, out2, sizeof out2,
                                            LINC_PUT_CREATE, nullptr));

    linc_flow *f = lookup(k);
    linc_flow_account(f, 3, 180, 1000, 0x12);
    linc_flow_stats old{};
    LONGS_EQUAL(0, linc_flow_table_put(t, &u, k.w, m.w, out2, sizeof out2,
                                       LINC_PUT_MODIFY | LINC_PUT_ZERO_STATS,
                                       &old));
    LONGS_EQUAL(3, old.n_packets);
    LONGS_EQUAL(180, old.n_bytes);
    LONGS_EQUAL(1000, old.used);
    LONGS_EQUAL(0x12, old.tcp_flags);
    MEMCMP_EQUAL(out2, linc_flow_actions(lookup(k))->data, sizeof out2);

    linc_flow_stats now{};
    LONGS_EQUAL(0, linc_flow_table_get(t, &u, nullptr, nullptr, nullptr, &now));
    LONGS_EQUAL(0, now.n_packets);

    // A modify names the flow by UFID: the match it carries is not used,
    // the installed match stays.
    key m2 = m;
    m2.w[1] = 1;
    LONGS_EQUAL(0, linc_flow_table_put(t, &u, k.w, m2.w, out1, sizeof out1,
                                       LINC_PUT_MODIFY, nullptr));
    LONGS_EQUAL(1, linc_flow_table_n_masks(t));
    MEMCMP_EQUAL(out1, linc_flow_actions(lookup(k))->data, sizeof out1);
    // An identical match under another UFID is refused.
    linc_ufid other = ufid(10);
    LONGS_EQUAL(EEXIST, linc_flow_table_put(t, &other, k.w, m.w, out1,
                                            sizeof out1, LINC_PUT_CREATE,
                                            nullptr));
    LONGS_EQUAL(EEXIST, linc_flow_table_insert_if_absent(t, &other, k.w, m.w,
                                                         out1, sizeof out1));
}

TEST(flow_table, get_returns_masked_key)
{
    key k, m, gk, gm;
    k.w[0] = 4; k.w[1] = 0xabcd; k.w[6] = 0xffff;
    m.w[0] = ~0ull; m.w[1] = 0xff00;
    linc_ufid u = ufid(4);
    LONGS_EQUAL(0, linc_flow_table_put(t, &u, k.w, m.w, out1, sizeof out1,
                                       LINC_PUT_CREATE, nullptr));
    const linc_actions *a = nullptr;
    LONGS_EQUAL(0, linc_flow_table_get(t, &u, gk.w, gm.w, &a, nullptr));
    LONGS_EQUAL(4, gk.w[0]);
    LONGS_EQUAL(0xab00, gk.w[1]);
    LONGS_EQUAL(0, gk.w[6]);
    MEMCMP_EQUAL(m.w, gm.w, sizeof m.w);
    CHECK(a != nullptr);
}

TEST(flow_table, stats_accumulate_and_used_only_advances)
{
    key k, m;
    k.w[0] = 1; m.w[0] = ~0ull;
    linc_ufid u = ufid(1);
    linc_flow_table_put(t, &u, k.w, m.w, out1, sizeof out1, LINC_PUT_CREATE,
                        nullptr);
    linc_flow *f = lookup(k);
    linc_flow_account(f, 2, 100, 50, 0x02);
    linc_flow_account(f, 1, 60, 40, 0x10);
    linc_flow_stats s{};
    linc_flow_table_get(t, &u, nullptr, nullptr, nullptr, &s);
    LONGS_EQUAL(3, s.n_packets);
    LONGS_EQUAL(160, s.n_bytes);
    LONGS_EQUAL(50, s.used);
    LONGS_EQUAL(0x12, s.tcp_flags);
}

TEST(flow_table, many_flows_grow_buckets)
{
    key m;
    m.w[0] = ~0ull;
    m.w[4] = ~0ull;
    for (uint64_t i = 0; i < 5000; i++) {
        key k;
        k.w[0] = 1;
        k.w[4] = i;
        linc_ufid u = ufid(i + 100);
        LONGS_EQUAL(0, linc_flow_table_put(t, &u, k.w, m.w, &i, sizeof i,
                                           LINC_PUT_CREATE, nullptr));
    }
    LONGS_EQUAL(5000, linc_flow_table_count(t));
    for (uint64_t i = 0; i < 5000; i += 7) {
        key k;
        k.w[0] = 1;
        k.w[4] = i;
        linc_flow *f = lookup(k);
        CHECK(f != nullptr);
        uint64_t v;
        std::memcpy(&v, linc_flow_actions(f)->data, sizeof v);
        LONGS_EQUAL(i, v);
    }
    key miss;
    miss.w[0] = 1;
    miss.w[4] = 5000;
    POINTERS_EQUAL(nullptr, lookup(miss));
    linc_flow_table_flush(t);
    LONGS_EQUAL(0, linc_flow_table_count(t));
    LONGS_EQUAL(0, linc_flow_table_n_masks(t));
}

TEST(flow_table, dump_returns_each_flow_once_across_threads)
{
    key m;
    m.w[2] = ~0ull;
    for (uint64_t i = 0; i < 1000; i++) {
        key k;
        k.w[2] = i;
        linc_ufid u = ufid(i);
        linc_flow_table_put(t, &u, k.w, m.w, out1, sizeof out1,
                            LINC_PUT_CREATE, nullptr);
    }
    linc_flow_dump *d = linc_flow_dump_start(t);
    std::vector<uint64_t> seen[2];
    auto worker = [d](std::vector<uint64_t> *out) {
        linc_ufid u;
        key k, mk;
        const linc_actions *a;
        linc_flow_stats s;
        while (!linc_flow_dump_next(d, &u, k.w, mk.w, &a, &s)) {
            out->push_back(k.w[2]);
        }
    };
    std::thread a(worker, &seen[0]), b(worker, &seen[1]);
    a.join();
    b.join();
    linc_flow_dump_done(d);
    std::set<uint64_t> all(seen[0].begin(), seen[0].end());
    all.insert(seen[1].begin(), seen[1].end());
    LONGS_EQUAL(1000, seen[0].size() + seen[1].size());
    LONGS_EQUAL(1000, all.size());
}

TEST(flow_table, dump_skips_flows_deleted_meanwhile)
{
    key k, m;
    m.w[0] = ~0ull;
    for (uint64_t i = 0; i < 3; i++) {
        k.w[0] = i;
        linc_ufid u = ufid(i);
        linc_flow_table_put(t, &u, k.w, m.w, out1, sizeof out1,
                            LINC_PUT_CREATE, nullptr);
    }
    linc_flow_dump *d = linc_flow_dump_start(t);
    linc_ufid u1 = ufid(1);
    linc_flow_table_del(t, &u1, nullptr);
    int n = 0;
    linc_ufid u;
    while (!linc_flow_dump_next(d, &u, k.w, m.w, nullptr, nullptr)) {
        CHECK(u.lo != 1);
        n++;
    }
    LONGS_EQUAL(2, n);
    linc_flow_dump_done(d);
}

TEST(flow_table, optimize_keeps_hot_subtable_first)
{
    key cold_k, cold_m, hot_k, hot_m;
    cold_k.w[1] = 1; cold_m.w[1] = ~0ull;
    hot_k.w[2] = 2; hot_m.w[2] = ~0ull;
    linc_ufid u1 = ufid(1), u2 = ufid(2);
    linc_flow_table_put(t, &u1, cold_k.w, cold_m.w, out1, sizeof out1,
                        LINC_PUT_CREATE, nullptr);
    linc_flow_table_put(t, &u2, hot_k.w, hot_m.w, out2, sizeof out2,
                        LINC_PUT_CREATE, nullptr);
    const uint64_t *p = hot_k.w;
    linc_flow *f;
    size_t probes = 0;
    linc_flow_table_lookup_batch(t, &p, 1, &f, &probes);
    LONGS_EQUAL(2, probes);   // Hot mask was created second.
    for (int i = 0; i < 10; i++) {
        linc_flow_table_lookup_batch(t, &p, 1, &f, nullptr);
    }
    linc_flow_table_optimize(t);
    probes = 0;
    linc_flow_table_lookup_batch(t, &p, 1, &f, &probes);
    LONGS_EQUAL(1, probes);
}

TEST(flow_table, union_grows_at_once_and_sheds_masks_at_optimize)
{
    key k, port_m, addr_m, u;
    port_m.w[0] = 0xffff;
    addr_m.w[0] = 0xffff;
    addr_m.w[3] = ~0ull;
    linc_ufid u1 = ufid(1), u2 = ufid(2);
    uint64_t v0 = t->copy_union(u.w);
    LONGS_EQUAL(0, linc_flow_table_put(t, &u1, k.w, port_m.w, out1,
                                       sizeof out1, LINC_PUT_CREATE, nullptr));
    uint64_t v1 = t->copy_union(u.w);
    CHECK(v1 != v0);
    LONGS_EQUAL(0, linc_flow_table_put(t, &u2, k.w, addr_m.w, out2,
                                       sizeof out2, LINC_PUT_CREATE, nullptr));
    uint64_t v2 = t->copy_union(u.w);
    CHECK(v2 != v1);
    CHECK(!std::memcmp(u.w, addr_m.w, sizeof u.w));

    // The address mask's last flow leaves: the union keeps it until the
    // table is optimized, then drops it.
    LONGS_EQUAL(0, linc_flow_table_del(t, &u2, nullptr));
    LONGS_EQUAL(v2, t->copy_union(u.w));
    CHECK(!std::memcmp(u.w, addr_m.w, sizeof u.w));
    linc_flow_table_optimize(t);
    uint64_t v3 = t->copy_union(u.w);
    CHECK(v3 != v2);
    CHECK(!std::memcmp(u.w, port_m.w, sizeof u.w));

    // Nothing left to drop: no new version, caches keep their entries.
    linc_flow_table_optimize(t);
    LONGS_EQUAL(v3, t->copy_union(u.w));
    linc_flow_table_flush(t);
    linc_flow_table_optimize(t);
    CHECK(t->copy_union(u.w) != v3);
    CHECK(!std::memcmp(u.w, key().w, sizeof u.w));
}

TEST(flow_table, refuses_beyond_capacity_marker)
{
    // The cap is large; check the error path through a zero-word table
    // whose every flow shares one empty mask: the second identical match
    // is EEXIST, not a silent duplicate.
    linc_flow_table *z = linc_flow_table_create(n_words, free_now);
    key k, m;
    linc_ufid a = ufid(1), b = ufid(2);
    LONGS_EQUAL(0, linc_flow_table_put(z, &a, k.w, m.w, out1, sizeof out1,
                                       LINC_PUT_CREATE, nullptr));
    LONGS_EQUAL(EEXIST, linc_flow_table_put(z, &b, k.w, m.w, out1, sizeof out1,
                                            LINC_PUT_CREATE, nullptr));
    linc_flow_table_destroy(z);
}
