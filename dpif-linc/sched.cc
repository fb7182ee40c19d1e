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

extern "C" unsigned int linc_adaptive_spin_next(unsigned int spin_us,
                                                unsigned int base_us,
                                                int n_woken, int full_burst,
                                                unsigned int max_factor)
{
    // 64-bit: base_us (up to 10^6) times the factor must not wrap.
    uint64_t max_us = uint64_t{base_us} * std::max(max_factor, 1u);
    uint64_t next = n_woken >= full_burst
                    ? std::min<uint64_t>(uint64_t{std::max(spin_us, 1u)} * 2,
                                         max_us)
                    : spin_us / 2;
    return static_cast<unsigned int>(std::max<uint64_t>(next, base_us));
}
