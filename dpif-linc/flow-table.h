// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// Megaflow table internals (see flow-table.cc and the C contract in
// linc-engine.h).  Exposed as a header for the unit tests and benchmarks.

#ifndef LINC_FLOW_TABLE_H
#define LINC_FLOW_TABLE_H 1

#include <pthread.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "dpif-linc/linc-engine.h"

namespace linc {
struct subtable;
}

// A megaflow.  Allocated with its masked key words inline ('masked' holds
// the subtable's nonzero mask words, in subtable::idx order).
struct linc_flow {
    linc_ufid ufid{};
    linc::subtable *st = nullptr;       // Only dereferenced under the lock.
    linc_flow *next_in_bucket = nullptr;
    uint32_t hash = 0;
    // The flow's slot in its table's generation array and the slot's
    // generation while the flow is in the table (see flow_table::alive()).
    uint32_t slot = 0;
    uint64_t gen = 0;
    std::atomic<const linc_actions *> actions{nullptr};
    std::atomic<uint64_t> n_packets{0};
    std::atomic<uint64_t> n_bytes{0};
    std::atomic<long long> used{0};
    std::atomic<uint16_t> tcp_flags{0};
    uint64_t masked[];

    void account(uint32_t packets, uint64_t bytes, long long now,
                 uint16_t flags)
    {
        n_packets.fetch_add(packets, std::memory_order_relaxed);
        n_bytes.fetch_add(bytes, std::memory_order_relaxed);
        // 'used' only moves forward: threads with slightly older clocks lose.
        long long prev = used.load(std::memory_order_relaxed);
        while (prev < now
               && !used.compare_exchange_weak(prev, now,
                                              std::memory_order_relaxed)) {
        }
        if (flags) {
            tcp_flags.fetch_or(flags, std::memory_order_relaxed);
        }
    }

    linc_flow_stats read_stats() const
    {
        linc_flow_stats s;
        s.n_packets = n_packets.load(std::memory_order_relaxed);
        s.n_bytes = n_bytes.load(std::memory_order_relaxed);
        s.used = used.load(std::memory_order_relaxed);
        s.tcp_flags = tcp_flags.load(std::memory_order_relaxed);
        return s;
    }

    void zero_stats()
    {
        n_packets.store(0, std::memory_order_relaxed);
        n_bytes.store(0, std::memory_order_relaxed);
        used.store(0, std::memory_order_relaxed);
        tcp_flags.store(0, std::memory_order_relaxed);
    }
};

namespace linc {

// Hash helpers shared by the subtables and the exact-match cache.
constexpr uint64_t hash_k1 = 0x9e3779b97f4a7c15ull;
constexpr uint64_t hash_k2 = 0xc2b2ae3d27d4eb4full;

inline uint64_t rotl64(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

inline uint64_t hash_step(uint64_t h, uint64_t word)
{
    h ^= word * hash_k2;
    return rotl64(h, 29) * hash_k1;
}

inline uint32_t finish_hash(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return static_cast<uint32_t>(h);
}

struct ufid_hash {
    size_t operator()(const linc_ufid &u) const
    {
        return static_cast<size_t>(u.lo ^ (u.hi * 0x9e3779b97f4a7c15ull));
    }
};

struct ufid_eq {
    bool operator()(const linc_ufid &a, const linc_ufid &b) const
    {
        return a.lo == b.lo && a.hi == b.hi;
    }
};

// All flows sharing one mask.  'idx' lists the key words the mask covers,
// so hashing and comparing cost is proportional to the mask, not the key.
struct subtable {
    std::vector<uint64_t> mask;         // Full mask, n_words long.
    std::vector<uint16_t> idx;          // Indexes of nonzero mask words.
    std::vector<uint64_t> mask_nz;      // mask[idx[j]].
    std::vector<linc_flow *> buckets;   // Power-of-two chained hash table.
    size_t n_flows = 0;
    std::atomic<uint64_t> hits{0};      // Recent lookups won, for ordering.

    uint32_t hash_key(const uint64_t *key) const;
    uint32_t hash_masked(const uint64_t *masked) const;
    bool matches(const linc_flow *, const uint64_t *key) const;
    linc_flow *find(const uint64_t *key, uint32_t hash) const;
    linc_flow *find_masked(const uint64_t *masked, uint32_t hash) const;
    void link(linc_flow *);
    void unlink(linc_flow *);
};

class flow_table {
public:
    flow_table(size_t n_words, linc_defer_free_fn *);
    ~flow_table();
    flow_table(const flow_table &) = delete;
    flow_table &operator=(const flow_table &) = delete;

    int put(const linc_ufid &, const uint64_t *key, const uint64_t *mask,
            const void *actions, size_t actions_len, unsigned flags,
            linc_flow_stats *old_stats);
    int insert_if_absent(const linc_ufid &, const uint64_t *key,
                         const uint64_t *mask, const void *actions,
                         size_t actions_len);
    int del(const linc_ufid &, linc_flow_stats *);
    void flush();
    int get(const linc_ufid &, uint64_t *key, uint64_t *mask,
            const linc_actions **, linc_flow_stats *);
    size_t count() const;
    size_t n_masks() const;
    size_t lookup_batch(const uint64_t *const keys[], size_t n,
                        linc_flow *out[], size_t *n_probes);
    void optimize();
    std::vector<linc_ufid> snapshot_ufids() const;
    size_t n_words() const { return n_words_; }

    // True if the flow that had generation 'gen' in 'slot' is still in the
    // table.  Lock-free: a flow leaves the table (del, flush) by bumping its
    // slot's generation before its memory is handed to 'defer_free', so a
    // caller that sees the generation unchanged may use the flow until it
    // next quiesces, as if a lookup had just returned it.  'slot' must have
    // come from a flow of this table.
    bool alive(uint32_t slot, uint64_t gen) const
    {
        const std::atomic<uint64_t> *chunk
            = slot_chunks_[slot >> slot_chunk_bits].load(
                std::memory_order_acquire);
        return chunk[slot & (slot_chunk_size - 1)].load(
                   std::memory_order_acquire) == gen;
    }

    // The OR of the masks the table holds: only key bits under it can
    // decide which flow a key matches.  It grows, and bumps its version,
    // before any flow with a new mask is linked; it keeps the masks of
    // subtables that emptied until optimize() drops them (bumping the
    // version again).  Every flow's mask is always under it.
    uint64_t union_version() const
    {
        return union_version_.load(std::memory_order_acquire);
    }
    // Copies the union ('n_words' words) and returns its version.
    uint64_t copy_union(uint64_t *mask) const;

private:
    struct read_guard {
        explicit read_guard(pthread_rwlock_t &l) : l_(l) { pthread_rwlock_rdlock(&l_); }
        ~read_guard() { pthread_rwlock_unlock(&l_); }
        pthread_rwlock_t &l_;
    };
    struct write_guard {
        explicit write_guard(pthread_rwlock_t &l) : l_(l) { pthread_rwlock_wrlock(&l_); }
        ~write_guard() { pthread_rwlock_unlock(&l_); }
        pthread_rwlock_t &l_;
    };

    static void destroy_flow(void *);
    void defer_destroy_flow(linc_flow *);
    static linc_actions *copy_actions(const void *, size_t);
    subtable *find_subtable(const uint64_t *mask);
    subtable *get_subtable(const uint64_t *mask);
    void remove_subtable_if_empty(subtable *);
    void shrink_union_locked();
    int insert_locked(const linc_ufid &, const uint64_t *key,
                      const uint64_t *mask, const void *actions,
                      size_t actions_len, bool check_match);
    void copy_out(const linc_flow *, uint64_t *key, uint64_t *mask) const;
    int take_slot(linc_flow *);
    void release_slot(linc_flow *);

    static constexpr unsigned slot_chunk_bits = 12;
    static constexpr size_t slot_chunk_size = size_t{1} << slot_chunk_bits;
    static constexpr size_t max_slot_chunks
        = (LINC_FLOW_TABLE_MAX_FLOWS + slot_chunk_size - 1) / slot_chunk_size;

    const size_t n_words_;
    linc_defer_free_fn *const defer_free_;
    mutable pthread_rwlock_t rwlock_;
    std::vector<std::unique_ptr<subtable>> subtables_;  // Probe order.
    std::unordered_map<linc_ufid, linc_flow *, ufid_hash, ufid_eq> by_ufid_;

    // Generation of each flow slot, in chunks that live as long as the
    // table, so a reader may check a slot without the lock.  Written under
    // the lock; 'free_slots_' are slots no flow holds.
    std::atomic<std::atomic<uint64_t> *> slot_chunks_[max_slot_chunks] = {};
    std::vector<uint32_t> free_slots_;
    uint32_t n_slots_ = 0;

    std::vector<uint64_t> union_mask_;              // Under the lock.
    std::atomic<uint64_t> union_version_{0};
};

// A dump over a UFID snapshot; next() is safe from several threads.
class flow_dump {
public:
    explicit flow_dump(flow_table &t) : table_(t), ufids_(t.snapshot_ufids()) {}
    int next(linc_ufid *, uint64_t *key, uint64_t *mask,
             const linc_actions **, linc_flow_stats *);

private:
    flow_table &table_;
    const std::vector<linc_ufid> ufids_;
    std::atomic<size_t> cursor_{0};
};

}  // namespace linc

// The C interface's handle is the table itself.
struct linc_flow_table : linc::flow_table {
    using linc::flow_table::flow_table;
};

#endif  // dpif-linc/flow-table.h
