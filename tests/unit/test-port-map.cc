// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.

#include <cerrno>

#include "dpif-linc/linc-engine.h"

#include <CppUTest/TestHarness.h>

TEST_GROUP(port_map)
{
    linc_port_map *m = nullptr;
    int a = 0, b = 0;
    void setup() override { m = linc_port_map_create(); }
    void teardown() override { linc_port_map_destroy(m); }
};

TEST(port_map, numbers_like_the_userspace_datapath)
{
    uint32_t p;
    LONGS_EQUAL(0, linc_port_map_choose(m, "ovs-linc", 0, false, &p));
    LONGS_EQUAL(0, p);
    LONGS_EQUAL(0, linc_port_map_add(m, 0, "ovs-linc", &a));
    // Test ports named pN get N; bridges brN get 100 + N.
    LONGS_EQUAL(0, linc_port_map_choose(m, "p7", LINC_PORT_NONE, true, &p));
    LONGS_EQUAL(7, p);
    LONGS_EQUAL(0, linc_port_map_choose(m, "br0", LINC_PORT_NONE, true, &p));
    LONGS_EQUAL(100, p);
    // Without name numbering, lowest free from 1.
    LONGS_EQUAL(0, linc_port_map_choose(m, "eth9", LINC_PORT_NONE, false, &p));
    LONGS_EQUAL(1, p);
    LONGS_EQUAL(0, linc_port_map_add(m, 1, "eth9", &b));
    LONGS_EQUAL(0, linc_port_map_choose(m, "p1", LINC_PORT_NONE, true, &p));
    LONGS_EQUAL(2, p);   // 1 is taken: falls back to lowest free.
}

TEST(port_map, requested_numbers_and_conflicts)
{
    uint32_t p;
    LONGS_EQUAL(0, linc_port_map_add(m, 5, "a", &a));
    LONGS_EQUAL(EBUSY, linc_port_map_choose(m, "b", 5, false, &p));
    LONGS_EQUAL(EEXIST, linc_port_map_choose(m, "a", 6, false, &p));
    LONGS_EQUAL(EINVAL, linc_port_map_choose(m, "b", 70000, false, &p));
    LONGS_EQUAL(0, linc_port_map_choose(m, "b", 6, false, &p));
    LONGS_EQUAL(6, p);
    LONGS_EQUAL(EBUSY, linc_port_map_add(m, 5, "c", &b));
    LONGS_EQUAL(EEXIST, linc_port_map_add(m, 9, "a", &b));
}

TEST(port_map, find_remove_list)
{
    linc_port_map_add(m, 3, "x", &a);
    linc_port_map_add(m, 1, "y", &b);
    uint32_t port = 0;
    POINTERS_EQUAL(&a, linc_port_map_find(m, 3));
    POINTERS_EQUAL(&b, linc_port_map_find_by_name(m, "y", &port));
    LONGS_EQUAL(1, port);
    uint32_t list[4];
    LONGS_EQUAL(2, linc_port_map_list(m, LINC_PORT_NONE, list, 4));
    LONGS_EQUAL(1, list[0]);
    LONGS_EQUAL(3, list[1]);
    LONGS_EQUAL(1, linc_port_map_list(m, 1, list, 4));
    LONGS_EQUAL(3, list[0]);
    POINTERS_EQUAL(&a, linc_port_map_remove(m, 3));
    POINTERS_EQUAL(nullptr, linc_port_map_remove(m, 3));
    POINTERS_EQUAL(nullptr, linc_port_map_find_by_name(m, "x", nullptr));
    LONGS_EQUAL(1, linc_port_map_count(m));
}
