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
