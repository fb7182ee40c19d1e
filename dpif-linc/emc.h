// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// The exact-match cache in front of the megaflow table (see emc.cc and
// docs/design.md).  Exposed as a header for the unit tests.

#ifndef LINC_EMC_H
#define LINC_EMC_H 1

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "dpif-linc/flow-table.h"

namespace linc {

// One forwarding thread's cache: no locks, no sharing, no allocation after
// construction.  Maps a key, restricted to the bits some mask of the table
// has ever covered, to the megaflow it matched.
class emc {
public:
    static constexpr size_t n_ways = 2;
    static constexpr size_t max_burst = 32;   // Keys handled per pass.

    // 'n_entries' is rounded up to a power of two, at least 'n_ways'.
    emc(flow_table &, size_t n_entries, uint32_t insert_inv_prob);
    emc(const emc &) = delete;
    emc &operator=(const emc &) = delete;

    size_t lookup_batch(const uint64_t *const keys[], const uint32_t *hashes,
                        size_t n, linc_flow *out[], linc_lookup_stats *);
    void set_insert_inv_prob(uint32_t inv_prob) { inv_prob_ = inv_prob; }
    void clear();
    size_t n_live() const;
    // Readable from other threads (for display).
    bool bypassed() const { return bypass_.load(std::memory_order_relaxed); }

    // Adaptive bypass: over each window of 'window' cached lookups, a hit
    // rate under 'min_hit_pct' while at least half the inserts evicted live
    // entries (thrashing, not warming up) makes only one burst in
    // 'sample_every' use the cache (so it keeps learning and measuring);
    // the others go straight to the table.  The hit rate coming back up ends
    // the bypass.
    static constexpr uint32_t window = 4096;
    static constexpr uint32_t min_hit_pct = 25;
    static constexpr uint32_t sample_every = 16;

private:
    struct entry {
        linc_flow *flow;        // Null: empty.  Else valid while alive().
        uint64_t gen;
        uint32_t slot;
        uint32_t hash;
    };

    void refresh_union();
    size_t table_only(const uint64_t *const keys[], size_t n,
                      linc_flow *out[], linc_lookup_stats *);
    // 'S': the key's length in words if nonzero, else 'stride_'.
    template <size_t S>
    size_t lookup_chunk(const uint64_t *const keys[], const uint32_t *hashes,
                        size_t n, linc_flow *out[], linc_lookup_stats *);
    using chunk_fn = size_t (emc::*)(const uint64_t *const[],
                                     const uint32_t *, size_t, linc_flow *[],
                                     linc_lookup_stats *);
    static const chunk_fn chunk_fns[9];
    uint64_t *key_of(size_t e) { return keys_.get() + e * stride_; }
    uint32_t hash(const uint64_t *compact) const;
    template <size_t S>
    linc_flow *find(uint32_t hash, const uint64_t *compact);
    void insert(uint32_t hash, const uint64_t *compact, linc_flow *);
    bool draw_insert();

    struct free_deleter {
        void operator()(uint64_t *p) const { std::free(p); }
    };

    flow_table &table_;
    const size_t n_sets_;
    std::vector<entry> entries_;                    // n_sets_ * n_ways.
    std::unique_ptr<uint64_t[], free_deleter> keys_;  // Per entry, 'stride_'.
    size_t stride_ = 0;                 // Words of the union: idx_.size().
    chunk_fn chunk_fn_ = &emc::lookup_chunk<0>;     // For 'stride_'.
    std::vector<uint16_t> idx_;         // Nonzero words of the union...
    std::vector<uint64_t> mask_nz_;     // ...and their masks.
    std::vector<uint64_t> union_;       // Scratch for flow_table::copy_union.
    std::vector<uint64_t> scratch_;     // max_burst compacted keys.
    uint64_t union_version_;
    uint32_t inv_prob_;
    uint64_t rng_;
    std::atomic<bool> bypass_{false};  // Written by the owner only.
    uint32_t win_lookups_ = 0;
    uint32_t win_hits_ = 0;
    uint32_t win_inserts_ = 0;
    uint32_t win_evictions_ = 0;        // Inserts that replaced live entries.
    uint32_t n_bursts_ = 0;
};

}  // namespace linc

#endif  // dpif-linc/emc.h
