// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// The megaflow table: one subtable per distinct mask, each a chained hash
// table of flows keyed by the masked key, plus a UFID index for ofproto's
// put/get/del.  Readers (forwarding threads) take the table's rwlock shared
// once per batch; writers (upcall installs, handler and revalidator threads)
// take it exclusive.  Flows and action lists that readers may still hold
// after the lock is released are freed through 'defer_free' (RCU in OVS).

#include "dpif-linc/flow-table.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

namespace linc {

namespace {

void free_actions(void *p) { std::free(p); }

}  // namespace

uint32_t subtable::hash_key(const uint64_t *key) const
{
    uint64_t h = hash_k1;
    for (size_t j = 0; j < idx.size(); j++) {
        h = hash_step(h, key[idx[j]] & mask_nz[j]);
    }
    return finish_hash(h);
}

uint32_t subtable::hash_masked(const uint64_t *masked) const
{
    uint64_t h = hash_k1;
    for (size_t j = 0; j < idx.size(); j++) {
        h = hash_step(h, masked[j]);
    }
    return finish_hash(h);
}

bool subtable::matches(const linc_flow *f, const uint64_t *key) const
{
    for (size_t j = 0; j < idx.size(); j++) {
        if ((key[idx[j]] & mask_nz[j]) != f->masked[j]) {
            return false;
        }
    }
    return true;
}

linc_flow *subtable::find(const uint64_t *key, uint32_t hash) const
{
    for (linc_flow *f = buckets[hash & (buckets.size() - 1)]; f;
         f = f->next_in_bucket) {
        if (f->hash == hash && matches(f, key)) {
            return f;
        }
    }
    return nullptr;
}

linc_flow *subtable::find_masked(const uint64_t *masked, uint32_t hash) const
{
    for (linc_flow *f = buckets[hash & (buckets.size() - 1)]; f;
         f = f->next_in_bucket) {
        if (f->hash == hash
            && !std::memcmp(f->masked, masked, idx.size() * sizeof *masked)) {
            return f;
        }
    }
    return nullptr;
}

void subtable::link(linc_flow *f)
{
    if (n_flows + 1 > buckets.size()) {
        std::vector<linc_flow *> bigger(buckets.size() * 2, nullptr);
        for (linc_flow *head : buckets) {
            while (head) {
                linc_flow *next = head->next_in_bucket;
                linc_flow *&slot = bigger[head->hash & (bigger.size() - 1)];
                head->next_in_bucket = slot;
                slot = head;
                head = next;
            }
        }
        buckets.swap(bigger);
    }
    linc_flow *&slot = buckets[f->hash & (buckets.size() - 1)];
    f->next_in_bucket = slot;
    slot = f;
    n_flows++;
}

void subtable::unlink(linc_flow *f)
{
    for (linc_flow **p = &buckets[f->hash & (buckets.size() - 1)]; *p;
         p = &(*p)->next_in_bucket) {
        if (*p == f) {
            *p = f->next_in_bucket;
            n_flows--;
            return;
        }
    }
    std::abort();   // A flow not in its own subtable: the table is corrupt.
}

flow_table::flow_table(size_t n_words, linc_defer_free_fn *defer_free)
    : n_words_(n_words), defer_free_(defer_free), union_mask_(n_words, 0)
{
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    // Forwarding threads hold the lock shared almost continuously; without
    // writer preference an install from a handler thread could starve.
    pthread_rwlockattr_setkind_np(&attr,
                                  PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&rwlock_, &attr);
    pthread_rwlockattr_destroy(&attr);
}

flow_table::~flow_table()
{
    for (auto &kv : by_ufid_) {
        destroy_flow(kv.second);
    }
    for (auto &c : slot_chunks_) {
        delete[] c.load(std::memory_order_relaxed);
    }
    pthread_rwlock_destroy(&rwlock_);
}

int flow_table::take_slot(linc_flow *f)
{
    uint32_t slot;
    if (!free_slots_.empty()) {
        slot = free_slots_.back();
        free_slots_.pop_back();
    } else {
        if (!(n_slots_ & (slot_chunk_size - 1))) {
            // Live flows never exceed LINC_FLOW_TABLE_MAX_FLOWS, so neither
            // do slots: the chunk index stays in range.
            auto *chunk = new (std::nothrow)
                std::atomic<uint64_t>[slot_chunk_size]();
            if (!chunk) {
                return ENOMEM;
            }
            slot_chunks_[n_slots_ >> slot_chunk_bits].store(
                chunk, std::memory_order_release);
        }
        slot = n_slots_++;
    }
    f->slot = slot;
    f->gen = slot_chunks_[slot >> slot_chunk_bits]
                 .load(std::memory_order_relaxed)[slot & (slot_chunk_size - 1)]
                 .load(std::memory_order_relaxed);
    return 0;
}

void flow_table::release_slot(linc_flow *f)
{
    // Release: a reader that sees the new generation also sees the flow
    // unlinked.  Done before the flow goes to 'defer_free'.
    slot_chunks_[f->slot >> slot_chunk_bits]
        .load(std::memory_order_relaxed)[f->slot & (slot_chunk_size - 1)]
        .fetch_add(1, std::memory_order_release);
    free_slots_.push_back(f->slot);
}

uint64_t flow_table::copy_union(uint64_t *mask) const
{
    read_guard g(rwlock_);
    std::memcpy(mask, union_mask_.data(), n_words_ * sizeof *mask);
    return union_version_.load(std::memory_order_relaxed);
}

void flow_table::destroy_flow(void *p)
{
    auto *f = static_cast<linc_flow *>(p);
    std::free(const_cast<linc_actions *>(f->actions.load()));
    f->~linc_flow();
    std::free(f);
}

void flow_table::defer_destroy_flow(linc_flow *f)
{
    // One callback frees the flow and its current actions after every reader
    // that could have found the flow has quiesced.
    defer_free_(destroy_flow, f);
}

linc_actions *flow_table::copy_actions(const void *actions, size_t len)
{
    size_t words = (len + 7) / 8;
    auto *a = static_cast<linc_actions *>(
        std::calloc(1, sizeof(linc_actions) + words * 8));
    if (!a) {
        return nullptr;
    }
    a->len = len;
    if (len) {
        std::memcpy(a->data, actions, len);
    }
    return a;
}

subtable *flow_table::find_subtable(const uint64_t *mask)
{
    for (auto &st : subtables_) {
        if (!std::memcmp(st->mask.data(), mask, n_words_ * sizeof *mask)) {
            return st.get();
        }
    }
    return nullptr;
}

subtable *flow_table::get_subtable(const uint64_t *mask)
{
    if (subtable *st = find_subtable(mask)) {
        return st;
    }
    auto st = std::make_unique<subtable>();
    st->mask.assign(mask, mask + n_words_);
    bool grew = false;
    for (size_t i = 0; i < n_words_; i++) {
        if (mask[i] & ~union_mask_[i]) {
            union_mask_[i] |= mask[i];
            grew = true;
        }
    }
    if (grew) {
        // Before any flow under this mask can be found (it is linked later,
        // under the same write lock).
        union_version_.fetch_add(1, std::memory_order_release);
    }
    for (size_t i = 0; i < n_words_; i++) {
        if (mask[i]) {
            st->idx.push_back(static_cast<uint16_t>(i));
            st->mask_nz.push_back(mask[i]);
        }
    }
    st->buckets.assign(8, nullptr);
    subtables_.push_back(std::move(st));
    return subtables_.back().get();
}

void flow_table::remove_subtable_if_empty(subtable *st)
{
    if (st->n_flows) {
        return;
    }
    // Readers only touch subtables under the read lock, which we exclude.
    subtables_.erase(std::find_if(subtables_.begin(), subtables_.end(),
                                  [st](const auto &p) { return p.get() == st; }));
}

int flow_table::insert_locked(const linc_ufid &ufid, const uint64_t *key,
                              const uint64_t *mask, const void *actions,
                              size_t actions_len, bool check_match)
{
    if (by_ufid_.size() >= LINC_FLOW_TABLE_MAX_FLOWS) {
        return EFBIG;
    }
    subtable *st = get_subtable(mask);
    size_t n = st->idx.size();
    linc_flow *f = static_cast<linc_flow *>(
        std::malloc(sizeof(linc_flow) + n * sizeof(uint64_t)));
    linc_actions *acts = copy_actions(actions, actions_len);
    if (!f || !acts) {
        std::free(f);
        std::free(acts);
        remove_subtable_if_empty(st);
        return ENOMEM;
    }
    new (f) linc_flow();
    f->ufid = ufid;
    f->st = st;
    for (size_t j = 0; j < n; j++) {
        f->masked[j] = key[st->idx[j]] & st->mask_nz[j];
    }
    f->hash = st->hash_masked(f->masked);
    if (check_match && st->find_masked(f->masked, f->hash)) {
        destroy_flow(f);
        std::free(acts);
        return EEXIST;
    }
    if (take_slot(f)) {
        destroy_flow(f);
        std::free(acts);
        remove_subtable_if_empty(st);
        return ENOMEM;
    }
    f->actions.store(acts, std::memory_order_relaxed);
    st->link(f);
    by_ufid_.emplace(ufid, f);
    return 0;
}

int flow_table::put(const linc_ufid &ufid, const uint64_t *key,
                    const uint64_t *mask, const void *actions,
                    size_t actions_len, unsigned flags,
                    linc_flow_stats *old_stats)
{
    write_guard g(rwlock_);
    auto it = by_ufid_.find(ufid);
    if (it == by_ufid_.end()) {
        if (!(flags & LINC_PUT_CREATE)) {
            return ENOENT;
        }
        if (old_stats) {
            *old_stats = linc_flow_stats{};
        }
        return insert_locked(ufid, key, mask, actions, actions_len, true);
    }
    if (!(flags & LINC_PUT_MODIFY)) {
        return EEXIST;
    }

    // The UFID names the flow; the key and mask a modify carries are
    // ofproto's copy of it, whose netlink round trip may normalise the mask,
    // so they are not compared.  The match itself never changes.
    linc_flow *f = it->second;
    linc_actions *acts = copy_actions(actions, actions_len);
    if (!acts) {
        return ENOMEM;
    }
    if (old_stats) {
        *old_stats = f->read_stats();
    }
    if (flags & LINC_PUT_ZERO_STATS) {
        f->zero_stats();
    }
    // Release: a reader that loads the new pointer sees the copied bytes.
    const linc_actions *old = f->actions.exchange(acts,
                                                  std::memory_order_acq_rel);
    defer_free_(free_actions, const_cast<linc_actions *>(old));
    return 0;
}

int flow_table::insert_if_absent(const linc_ufid &ufid, const uint64_t *key,
                                 const uint64_t *mask, const void *actions,
                                 size_t actions_len)
{
    write_guard g(rwlock_);
    if (by_ufid_.count(ufid)) {
        return EEXIST;
    }
    return insert_locked(ufid, key, mask, actions, actions_len, true);
}

int flow_table::del(const linc_ufid &ufid, linc_flow_stats *stats)
{
    write_guard g(rwlock_);
    auto it = by_ufid_.find(ufid);
    if (it == by_ufid_.end()) {
        return ENOENT;
    }
    linc_flow *f = it->second;
    if (stats) {
        *stats = f->read_stats();
    }
    by_ufid_.erase(it);
    subtable *st = f->st;
    st->unlink(f);
    remove_subtable_if_empty(st);
    release_slot(f);
    defer_destroy_flow(f);
    return 0;
}

void flow_table::flush()
{
    write_guard g(rwlock_);
    for (auto &kv : by_ufid_) {
        release_slot(kv.second);
        defer_destroy_flow(kv.second);
    }
    by_ufid_.clear();
    subtables_.clear();
}

void flow_table::copy_out(const linc_flow *f, uint64_t *key,
                          uint64_t *mask) const
{
    const subtable *st = f->st;
    if (key) {
        std::memset(key, 0, n_words_ * sizeof *key);
        for (size_t j = 0; j < st->idx.size(); j++) {
            key[st->idx[j]] = f->masked[j];
        }
    }
    if (mask) {
        std::memcpy(mask, st->mask.data(), n_words_ * sizeof *mask);
    }
}

int flow_table::get(const linc_ufid &ufid, uint64_t *key, uint64_t *mask,
                    const linc_actions **actions, linc_flow_stats *stats)
{
    read_guard g(rwlock_);
    auto it = by_ufid_.find(ufid);
    if (it == by_ufid_.end()) {
        return ENOENT;
    }
    const linc_flow *f = it->second;
    copy_out(f, key, mask);
    if (actions) {
        *actions = f->actions.load(std::memory_order_acquire);
    }
    if (stats) {
        *stats = f->read_stats();
    }
    return 0;
}

size_t flow_table::count() const
{
    read_guard g(rwlock_);
    return by_ufid_.size();
}

size_t flow_table::n_masks() const
{
    read_guard g(rwlock_);
    return subtables_.size();
}

size_t flow_table::lookup_batch(const uint64_t *const keys[], size_t n,
                                linc_flow *out[], size_t *n_probes)
{
    size_t hits = 0, probes = 0;
    // Hits per subtable, added to the shared counters once per batch: the
    // counters' lines are written by every forwarding thread.
    constexpr size_t n_counted = 64;
    uint32_t st_hits[n_counted] = {};
    // Keys go through the subtables in probe order a burst at a time: each
    // subtable hashes all keys still unmatched and prefetches their buckets
    // and first flows before comparing, so the cache misses of a burst
    // overlap.  Each key still gets the first subtable that matches it.
    constexpr size_t chunk = 32;
    size_t left[chunk];
    uint32_t hashes[chunk];
    read_guard g(rwlock_);
    const size_t n_st = subtables_.size();
    for (size_t base = 0; base < n; base += chunk) {
        size_t n_left = std::min(chunk, n - base);
        for (size_t j = 0; j < n_left; j++) {
            out[base + j] = nullptr;
            left[j] = base + j;
        }
        for (size_t s = 0; s < n_st && n_left; s++) {
            subtable *st = subtables_[s].get();
            const size_t bucket_mask = st->buckets.size() - 1;
            for (size_t j = 0; j < n_left; j++) {
                hashes[j] = st->hash_key(keys[left[j]]);
                __builtin_prefetch(&st->buckets[hashes[j] & bucket_mask]);
            }
            for (size_t j = 0; j < n_left; j++) {
                if (const linc_flow *head
                    = st->buckets[hashes[j] & bucket_mask]) {
                    __builtin_prefetch(head);
                    __builtin_prefetch(head->masked);
                }
            }
            size_t still = 0;
            for (size_t j = 0; j < n_left; j++) {
                size_t i = left[j];
                linc_flow *f = st->find(keys[i], hashes[j]);
                if (!f) {
                    left[still++] = i;
                    continue;
                }
                if (s < n_counted) {
                    st_hits[s]++;
                } else {
                    st->hits.fetch_add(1, std::memory_order_relaxed);
                }
                out[i] = f;
                hits++;
                probes += s + 1;
            }
            n_left = still;
        }
    }
    for (size_t s = 0; s < std::min(n_st, n_counted); s++) {
        if (st_hits[s]) {
            subtables_[s]->hits.fetch_add(st_hits[s],
                                          std::memory_order_relaxed);
        }
    }
    if (n_probes) {
        *n_probes += probes;
    }
    return hits;
}

void flow_table::optimize()
{
    write_guard g(rwlock_);
    std::stable_sort(subtables_.begin(), subtables_.end(),
                     [](const auto &a, const auto &b) {
                         return a->hits.load(std::memory_order_relaxed)
                                > b->hits.load(std::memory_order_relaxed);
                     });
    // Decay, so the order follows the recent traffic and not all history.
    for (auto &st : subtables_) {
        st->hits.store(st->hits.load(std::memory_order_relaxed) / 2,
                       std::memory_order_relaxed);
    }
    shrink_union_locked();
}

void flow_table::shrink_union_locked()
{
    // Masks that left with their last flow (ofproto's feature probes at
    // start-up install exact-match flows and delete them) would otherwise
    // key every cache on nearly all of struct flow forever.  Shrinking here,
    // at most once per optimize() call, bounds how often caches re-key.
    std::vector<uint64_t> u(n_words_, 0);
    for (const auto &st : subtables_) {
        for (size_t j = 0; j < st->idx.size(); j++) {
            u[st->idx[j]] |= st->mask_nz[j];
        }
    }
    if (u != union_mask_) {
        // Only bits no remaining mask has are dropped: every flow's mask
        // stays under the union.
        union_mask_.swap(u);
        union_version_.fetch_add(1, std::memory_order_release);
    }
}

std::vector<linc_ufid> flow_table::snapshot_ufids() const
{
    read_guard g(rwlock_);
    std::vector<linc_ufid> v;
    v.reserve(by_ufid_.size());
    for (auto &kv : by_ufid_) {
        v.push_back(kv.first);
    }
    return v;
}

int flow_dump::next(linc_ufid *ufid, uint64_t *key, uint64_t *mask,
                    const linc_actions **actions, linc_flow_stats *stats)
{
    for (;;) {
        size_t i = cursor_.fetch_add(1, std::memory_order_relaxed);
        if (i >= ufids_.size()) {
            return EOF;
        }
        if (!table_.get(ufids_[i], key, mask, actions, stats)) {
            *ufid = ufids_[i];
            return 0;
        }
    }
}

}  // namespace linc

// ---------------------------------------------------------------------------
// C interface.

struct linc_flow_dump : linc::flow_dump {
    using linc::flow_dump::flow_dump;
};

extern "C" {

struct linc_flow_table *
linc_flow_table_create(size_t n_words, linc_defer_free_fn *defer_free)
{
    return new (std::nothrow) linc_flow_table(n_words, defer_free);
}

void linc_flow_table_destroy(struct linc_flow_table *t) { delete t; }

int linc_flow_table_put(struct linc_flow_table *t, const struct linc_ufid *ufid,
                        const uint64_t *key, const uint64_t *mask,
                        const void *actions, size_t actions_len,
                        unsigned int flags, struct linc_flow_stats *old_stats)
{
    return t->put(*ufid, key, mask, actions, actions_len, flags, old_stats);
}

int linc_flow_table_insert_if_absent(struct linc_flow_table *t,
                                     const struct linc_ufid *ufid,
                                     const uint64_t *key, const uint64_t *mask,
                                     const void *actions, size_t actions_len)
{
    return t->insert_if_absent(*ufid, key, mask, actions, actions_len);
}

int linc_flow_table_del(struct linc_flow_table *t, const struct linc_ufid *ufid,
                        struct linc_flow_stats *stats)
{
    return t->del(*ufid, stats);
}

void linc_flow_table_flush(struct linc_flow_table *t) { t->flush(); }

int linc_flow_table_get(struct linc_flow_table *t, const struct linc_ufid *ufid,
                        uint64_t *key, uint64_t *mask,
                        const struct linc_actions **actions,
                        struct linc_flow_stats *stats)
{
    return t->get(*ufid, key, mask, actions, stats);
}

size_t linc_flow_table_count(const struct linc_flow_table *t)
{
    return t->count();
}

size_t linc_flow_table_n_masks(const struct linc_flow_table *t)
{
    return t->n_masks();
}

size_t linc_flow_table_lookup_batch(struct linc_flow_table *t,
                                    const uint64_t *const keys[], size_t n,
                                    struct linc_flow *out[],
                                    size_t *n_probes)
{
    return t->lookup_batch(keys, n, out, n_probes);
}

void linc_flow_table_optimize(struct linc_flow_table *t) { t->optimize(); }

const struct linc_actions *linc_flow_actions(const struct linc_flow *f)
{
    // Acquire pairs with the release in put(): the list's bytes are visible.
    return f->actions.load(std::memory_order_acquire);
}

void linc_flow_ufid(const struct linc_flow *f, struct linc_ufid *ufid)
{
    *ufid = f->ufid;
}

void linc_flow_account(struct linc_flow *f, uint32_t n_packets,
                       uint64_t n_bytes, long long int now, uint16_t tcp_flags)
{
    f->account(n_packets, n_bytes, now, tcp_flags);
}

struct linc_flow_dump *linc_flow_dump_start(struct linc_flow_table *t)
{
    return new (std::nothrow) linc_flow_dump(*t);
}

int linc_flow_dump_next(struct linc_flow_dump *d, struct linc_ufid *ufid,
                        uint64_t *key, uint64_t *mask,
                        const struct linc_actions **actions,
                        struct linc_flow_stats *stats)
{
    return d->next(ufid, key, mask, actions, stats);
}

void linc_flow_dump_done(struct linc_flow_dump *d) { delete d; }

}  // extern "C"
