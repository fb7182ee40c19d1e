// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// The exact-match cache: a per-thread, 2-way set-associative array mapping
// a packet's key to the megaflow it matched.
//
// Key.  Only key bits under some mask of the table can decide which flow a
// key matches, so entries hold the key restricted to the union of the
// table's masks (flow_table::copy_union), compacted to that union's nonzero
// words: a few words instead of the whole struct flow.  A hit on an entry
// for flow F means the packet agrees with F's key on the union, which
// covers F's mask, so F matches the packet.  When the union changes (it
// grows with a new mask, and sheds masks that left the table at the table's
// periodic optimize()), the cache empties and re-keys itself.  An insert is
// skipped if the union changed during the batch, as the flow found may have
// a mask outside the union the keys were compacted with.
//
// Invalidation.  An entry names its flow by pointer plus (slot, generation);
// the table bumps a slot's generation when its flow leaves, before handing
// the flow to deferred free, so an entry whose generation still matches
// points at live memory (flow_table::alive()).  Action changes need nothing:
// the caller reads the flow's current actions.

#include "dpif-linc/emc.h"

#include <algorithm>
#include <iterator>
#include <cstring>
#include <new>

namespace linc {

namespace {

// Whether the 'n'-word keys 'a' and 'b' are equal.  Keys are a few words:
// a branch-free loop beats a call to memcmp().  'S', if nonzero, is 'n' as
// a constant, so the loop unrolls.
template <size_t S>
inline bool keys_equal(const uint64_t *a, const uint64_t *b, size_t n)
{
    const size_t m = S ? S : n;
    uint64_t diff = 0;
#pragma GCC unroll 8
    for (size_t j = 0; j < m; j++) {
        diff |= a[j] ^ b[j];
    }
    return !diff;
}

size_t round_up_pow2(size_t n)
{
    size_t p = emc::n_ways;
    while (p < n) {
        p <<= 1;
    }
    return p;
}

}  // namespace

emc::emc(flow_table &t, size_t n_entries, uint32_t insert_inv_prob)
    : table_(t), n_sets_(round_up_pow2(n_entries) / n_ways),
      entries_(n_sets_ * n_ways, entry{nullptr, 0, 0, 0}),
      // calloc: only the words the union needs per entry get touched.
      keys_(static_cast<uint64_t *>(
          std::calloc(n_sets_ * n_ways * t.n_words(), sizeof(uint64_t)))),
      union_(t.n_words()), scratch_(max_burst * t.n_words()),
      union_version_(~uint64_t{0}), inv_prob_(insert_inv_prob),
      rng_(reinterpret_cast<uintptr_t>(this) | 1)
{
    if (!keys_) {
        throw std::bad_alloc();
    }
    idx_.reserve(t.n_words());
    mask_nz_.reserve(t.n_words());
}

void emc::clear()
{
    for (auto &e : entries_) {
        e.flow = nullptr;
    }
}

size_t emc::n_live() const
{
    size_t n = 0;
    for (const auto &e : entries_) {
        n += e.flow && table_.alive(e.slot, e.gen);
    }
    return n;
}

void emc::refresh_union()
{
    if (table_.union_version() == union_version_) {
        return;
    }
    union_version_ = table_.copy_union(union_.data());
    idx_.clear();
    mask_nz_.clear();
    for (size_t i = 0; i < union_.size(); i++) {
        if (union_[i]) {
            idx_.push_back(static_cast<uint16_t>(i));
            mask_nz_.push_back(union_[i]);
        }
    }
    stride_ = idx_.size();
    chunk_fn_ = stride_ < std::size(chunk_fns) ? chunk_fns[stride_]
                                                : &emc::lookup_chunk<0>;
    clear();
}

uint32_t emc::hash(const uint64_t *compact) const
{
    // Two independent lanes: the key's words are hashed in parallel.
    uint64_t a = hash_k1, b = hash_k2;
    size_t j = 0;
    for (; j + 1 < stride_; j += 2) {
        a = hash_step(a, compact[j]);
        b = hash_step(b, compact[j + 1]);
    }
    if (j < stride_) {
        a = hash_step(a, compact[j]);
    }
    return finish_hash(a ^ rotl64(b, 17));
}

template <size_t S>
linc_flow *emc::find(uint32_t h, const uint64_t *compact)
{
    size_t base = (h & (n_sets_ - 1)) * n_ways;
    for (size_t w = 0; w < n_ways; w++) {
        entry &e = entries_[base + w];
        if (e.flow && e.hash == h
            && keys_equal<S>(key_of(base + w), compact, stride_)) {
            if (table_.alive(e.slot, e.gen)) {
                return e.flow;
            }
            e.flow = nullptr;   // Its flow left the table: free the way.
            return nullptr;
        }
    }
    return nullptr;
}

bool emc::draw_insert()
{
    if (inv_prob_ <= 1) {
        return true;
    }
    // xorshift64*: cheap, and only the spread matters.
    rng_ ^= rng_ >> 12;
    rng_ ^= rng_ << 25;
    rng_ ^= rng_ >> 27;
    uint32_t r = static_cast<uint32_t>((rng_ * 0x2545f4914f6cdd1dull) >> 32);
    return r <= UINT32_MAX / inv_prob_;
}

void emc::insert(uint32_t h, const uint64_t *compact, linc_flow *f)
{
    size_t base = (h & (n_sets_ - 1)) * n_ways;
    for (size_t w = 0; w < n_ways; w++) {
        const entry &e = entries_[base + w];
        if (e.flow == f && e.gen == f->gen && e.hash == h
            && keys_equal<0>(key_of(base + w), compact, stride_)) {
            return;     // Cached already, earlier in this burst.
        }
    }
    size_t victim = base + ((h >> 16) & (n_ways - 1));
    bool evicts = true;
    for (size_t w = 0; w < n_ways; w++) {
        const entry &e = entries_[base + w];
        if (!e.flow || !table_.alive(e.slot, e.gen)) {
            victim = base + w;
            evicts = false;
            break;
        }
    }
    win_inserts_++;
    win_evictions_ += evicts;
    entry &e = entries_[victim];
    // 'f' was found in this read-side critical section: its slot and
    // generation are readable even if it was deleted meanwhile, in which
    // case the generation no longer matches and the entry is dead.
    e.flow = f;
    e.slot = f->slot;
    e.gen = f->gen;
    e.hash = h;
    std::memcpy(key_of(victim), compact, stride_ * sizeof *compact);
}

template <size_t S>
size_t emc::lookup_chunk(const uint64_t *const keys[], const uint32_t *hashes,
                         size_t n, linc_flow *out[], linc_lookup_stats *stats)
{
    uint32_t hs[max_burst];
    size_t miss_at[max_burst];
    const uint64_t *miss_keys[max_burst];
    linc_flow *miss_out[max_burst];
    size_t n_miss = 0;

    // Bursts often hold runs of one flow's packets.  A key equal on the
    // union to the previous one is classified as it is (the union covers
    // every mask): it needs no hash, set probe or insert of its own.
    bool same[max_burst];
    const size_t stride = S ? S : stride_;
    const uint16_t *idx = idx_.data();
    const uint64_t *mask = mask_nz_.data();
    uint64_t *scratch = scratch_.data();

    // Compact and hash the whole burst first and prefetch each set, so the
    // sets' cache misses overlap instead of following one another.
    for (size_t i = 0; i < n; i++) {
        uint64_t *c = scratch + i * stride;
        const uint64_t *k = keys[i];
        uint64_t diff = 0;
        if (i) {
            const uint64_t *prev = c - stride;
#pragma GCC unroll 8
            for (size_t j = 0; j < stride; j++) {
                c[j] = k[idx[j]] & mask[j];
                diff |= c[j] ^ prev[j];
            }
            same[i] = !diff;
            if (same[i]) {
                hs[i] = hs[i - 1];
                continue;
            }
        } else {
#pragma GCC unroll 8
            for (size_t j = 0; j < stride; j++) {
                c[j] = k[idx[j]] & mask[j];
            }
            same[i] = false;
        }
        hs[i] = hashes ? hashes[i] : hash(c);
        size_t base = (hs[i] & (n_sets_ - 1)) * n_ways;
        __builtin_prefetch(&entries_[base]);
        __builtin_prefetch(key_of(base));
    }
    for (size_t i = 0; i < n; i++) {
        if (same[i] && out[i - 1]) {
            out[i] = out[i - 1];
            continue;
        }
        // A run whose first key missed goes to the table whole; its insert
        // skips keys already cached.
        out[i] = find<S>(hs[i], scratch + i * stride);
        if (!out[i]) {
            miss_at[n_miss] = i;
            miss_keys[n_miss++] = keys[i];
        }
    }
    stats->emc_hits += n - n_miss;
    if (!n_miss) {
        return n;
    }

    size_t mf_hits = table_.lookup_batch(miss_keys, n_miss, miss_out,
                                         &stats->n_probes);
    stats->megaflow_hits += mf_hits;
    stats->misses += n_miss - mf_hits;
    // The table's read lock, taken and released above, orders this load
    // after any union change for a flow the lookup found.
    bool may_insert = table_.union_version() == union_version_;
    bool run_cached = false;    // This run's key was inserted just now.
    for (size_t j = 0; j < n_miss; j++) {
        size_t i = miss_at[j];
        if (!(same[i] && j && miss_at[j - 1] == i - 1)) {
            run_cached = false;
        }
        out[i] = miss_out[j];
        if (out[i] && may_insert && !run_cached && draw_insert()) {
            insert(hs[i], scratch + i * stride, out[i]);
            run_cached = true;
        }
    }
    return n - n_miss + mf_hits;
}

// lookup_chunk() for the union's common sizes, with the key's length a
// constant; index 0 (and any larger union) takes it from 'stride_'.
const emc::chunk_fn emc::chunk_fns[9] = {
    &emc::lookup_chunk<0>, &emc::lookup_chunk<1>, &emc::lookup_chunk<2>,
    &emc::lookup_chunk<3>, &emc::lookup_chunk<4>, &emc::lookup_chunk<5>,
    &emc::lookup_chunk<6>, &emc::lookup_chunk<7>, &emc::lookup_chunk<8>,
};

size_t emc::table_only(const uint64_t *const keys[], size_t n,
                       linc_flow *out[], linc_lookup_stats *stats)
{
    size_t hits = table_.lookup_batch(keys, n, out, &stats->n_probes);
    stats->megaflow_hits += hits;
    stats->misses += n - hits;
    return hits;
}

size_t emc::lookup_batch(const uint64_t *const keys[], const uint32_t *hashes,
                         size_t n, linc_flow *out[], linc_lookup_stats *stats)
{
    if (!inv_prob_) {
        return table_only(keys, n, out, stats);
    }
    refresh_union();
    size_t hits = 0;
    for (size_t i = 0; i < n; i += max_burst) {
        size_t m = std::min(max_burst, n - i);
        bool bypass = bypass_.load(std::memory_order_relaxed);
        if (bypass && ++n_bursts_ % sample_every) {
            hits += table_only(keys + i, m, out + i, stats);
            continue;
        }
        uint64_t emc_hits = stats->emc_hits;
        hits += (this->*chunk_fn_)(keys + i, hashes ? hashes + i : nullptr,
                                   m, out + i, stats);
        win_lookups_ += m;
        win_hits_ += stats->emc_hits - emc_hits;
        if (win_lookups_ >= window) {
            bool low = uint64_t{win_hits_} * 100
                       < uint64_t{win_lookups_} * min_hit_pct;
            bool thrashing = win_evictions_ && win_evictions_ * 2
                                                >= win_inserts_;
            bypass_.store(low && (bypass || thrashing),
                          std::memory_order_relaxed);
            win_lookups_ = win_hits_ = win_inserts_ = win_evictions_ = 0;
        }
    }
    return hits;
}

}  // namespace linc

// ---------------------------------------------------------------------------
// C interface.

struct linc_emc : linc::emc {
    using linc::emc::emc;
};

extern "C" {

struct linc_emc *linc_emc_create(struct linc_flow_table *t, size_t n_entries,
                                 unsigned int insert_inv_prob)
{
    try {
        return new linc_emc(*t, n_entries, insert_inv_prob);
    } catch (const std::bad_alloc &) {
        return nullptr;
    }
}

void linc_emc_destroy(struct linc_emc *c) { delete c; }

void linc_emc_set_insert_inv_prob(struct linc_emc *c,
                                  unsigned int insert_inv_prob)
{
    c->set_insert_inv_prob(insert_inv_prob);
}

void linc_emc_clear(struct linc_emc *c) { c->clear(); }

size_t linc_emc_count(const struct linc_emc *c) { return c->n_live(); }

bool linc_emc_bypassed(const struct linc_emc *c) { return c->bypassed(); }

size_t linc_emc_lookup_batch(struct linc_emc *c, const uint64_t *const keys[],
                             const uint32_t *hashes, size_t n,
                             struct linc_flow *out[],
                             struct linc_lookup_stats *stats)
{
    return c->lookup_batch(keys, hashes, n, out, stats);
}

}  // extern "C"
