// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.

#include <vector>

#include "dpif-linc/linc-engine.h"

#include <CppUTest/TestHarness.h>

TEST_GROUP(sched) {};

TEST(sched, equal_weights_spread_round_robin)
{
    std::vector<uint64_t> w(5, 0);
    std::vector<unsigned> t(5);
    linc_sched_assign(w.data(), w.size(), 2, t.data());
    unsigned counts[2] = {};
    for (unsigned x : t) {
        CHECK(x < 2);
        counts[x]++;
    }
    LONGS_EQUAL(3, counts[0]);
    LONGS_EQUAL(2, counts[1]);
}

TEST(sched, heavy_queue_gets_a_thread_of_its_own)
{
    uint64_t w[] = {10, 100, 10, 10};
    unsigned t[4];
    linc_sched_assign(w, 4, 2, t);
    for (int i : {0, 2, 3}) {
        CHECK(t[i] != t[1]);
    }
}

TEST(sched, zero_threads_means_one)
{
    uint64_t w[] = {1, 2};
    unsigned t[2] = {9, 9};
    linc_sched_assign(w, 2, 0, t);
    LONGS_EQUAL(0, t[0]);
    LONGS_EQUAL(0, t[1]);
}

TEST(sched, adaptive_spin_widens_on_full_wakes_up_to_the_cap)
{
    unsigned spin = 200;
    spin = linc_adaptive_spin_next(spin, 200, 32, 32, 16);
    LONGS_EQUAL(400, spin);
    for (int i = 0; i < 10; i++) {
        spin = linc_adaptive_spin_next(spin, 200, 40, 32, 16);
    }
    LONGS_EQUAL(3200, spin);
}

TEST(sched, adaptive_spin_narrows_on_light_wakes_to_the_base)
{
    LONGS_EQUAL(1600, linc_adaptive_spin_next(3200, 200, 31, 32, 16));
    LONGS_EQUAL(200, linc_adaptive_spin_next(300, 200, 1, 32, 16));
    LONGS_EQUAL(200, linc_adaptive_spin_next(200, 200, 0, 32, 16));
}

TEST(sched, adaptive_spin_follows_a_new_base)
{
    // The administrator lowered linc-idle-spin-us: a light wake falls to
    // the new base, a full one is capped by it.
    LONGS_EQUAL(500, linc_adaptive_spin_next(3200, 100, 32, 32, 5));
    LONGS_EQUAL(1000, linc_adaptive_spin_next(100, 1000, 2, 32, 16));
}

TEST(sched, adaptive_spin_with_a_zero_base_still_widens)
{
    // linc-idle-spin-us=0 sleeps at once; the cap keeps it so.
    LONGS_EQUAL(0, linc_adaptive_spin_next(0, 0, 32, 32, 16));
    // The largest base does not overflow.
    LONGS_EQUAL(16000000u, linc_adaptive_spin_next(16000000u, 1000000u, 32,
                                                    32, 16));
}
