// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// Small keys, UFIDs and action lists shared by the flow table and
// exact-match cache tests.

#ifndef LINC_TESTS_FLOW_TEST_KEYS_H
#define LINC_TESTS_FLOW_TEST_KEYS_H 1

#include <cstddef>
#include <cstdint>

#include "dpif-linc/linc-engine.h"

namespace linc_test {

constexpr size_t n_words = 8;

struct key {
    uint64_t w[n_words] = {};
};

inline linc_ufid ufid(uint64_t n) { return linc_ufid{n, ~n}; }

constexpr uint8_t out1[] = {8, 0, 1, 0, 1, 0, 0, 0};   // output(1)
constexpr uint8_t out2[] = {8, 0, 1, 0, 2, 0, 0, 0};   // output(2)

}  // namespace linc_test

#endif  // tests/unit/flow-test-keys.h
