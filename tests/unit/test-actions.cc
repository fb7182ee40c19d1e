// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.

#include "dpif-linc/linc-engine.h"

#include <CppUTest/TestHarness.h>

TEST_GROUP(actions) {};

TEST(actions, empty_is_drop)
{
    uint32_t port = 0;
    LONGS_EQUAL(LINC_ACTIONS_DROP, linc_actions_classify(nullptr, 0, &port));
}

TEST(actions, single_output_is_fast)
{
    const uint8_t a[] = {8, 0, 1, 0, 7, 0, 0, 0};
    uint32_t port = 0;
    LONGS_EQUAL(LINC_ACTIONS_OUTPUT, linc_actions_classify(a, sizeof a, &port));
    LONGS_EQUAL(7, port);
}

TEST(actions, anything_else_is_general)
{
    uint32_t port = 0;
    const uint8_t two[] = {8, 0, 1, 0, 1, 0, 0, 0, 8, 0, 1, 0, 2, 0, 0, 0};
    LONGS_EQUAL(LINC_ACTIONS_GENERAL, linc_actions_classify(two, sizeof two, &port));
    const uint8_t pop_vlan[] = {4, 0, 2, 0};
    LONGS_EQUAL(LINC_ACTIONS_GENERAL,
                linc_actions_classify(pop_vlan, sizeof pop_vlan, &port));
    const uint8_t short_output[] = {6, 0, 1, 0, 1, 0, 0, 0};
    LONGS_EQUAL(LINC_ACTIONS_GENERAL,
                linc_actions_classify(short_output, sizeof short_output, &port));
    const uint8_t truncated[] = {8, 0};
    LONGS_EQUAL(LINC_ACTIONS_GENERAL,
                linc_actions_classify(truncated, sizeof truncated, &port));
}
