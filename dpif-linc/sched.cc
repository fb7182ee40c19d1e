// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// Receive-queue to forwarding-thread assignment (see linc-engine.h).

#include <algorithm>
#include <numeric>
#include <vector>

#include "dpif-linc/linc-engine.h"

extern "C" void linc_sched_assign(const uint64_t *weights, size_t n,
                                  unsigned n_threads, unsigned *thread_of)
{
    if (!n_threads) {
        n_threads = 1;
    }
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [weights](size_t a, size_t b) {
        return weights[a] > weights[b];
    });

    // Load counts the weight, then the number of queues, so that queues of
    // equal (or unknown, zero) weight still spread round-robin.
    std::vector<uint64_t> load(n_threads, 0);
    std::vector<size_t> queues(n_threads, 0);
    for (size_t q : order) {
        unsigned best = 0;
        for (unsigned t = 1; t < n_threads; t++) {
            if (load[t] < load[best]
                || (load[t] == load[best] && queues[t] < queues[best])) {
                best = t;
            }
        }
        thread_of[q] = best;
        load[best] += weights[q];
        queues[best]++;
    }
}
