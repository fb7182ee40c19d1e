// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.

#include "netdev-xen/rx-fifo.h"

#include <cassert>
#include <cstring>
#include <new>

namespace linc::xen {

rx_fifo::rx_fifo(uint32_t max_bytes, uint32_t max_packets,
                 uint32_t max_packet)
    : max_bytes_(max_bytes), max_packet_(max_packet),
      arena_size_(static_cast<size_t>(max_bytes) + 2 * size_t(max_packet)),
      arena_(new (std::nothrow) uint8_t[arena_size_]),
      n_entries_(max_packets ? max_packets : 1),
      entries_(new (std::nothrow) entry[n_entries_])
{
}

bool rx_fifo::push(const uint8_t *data, uint32_t len, uint16_t flags,
                   uint8_t gso_type, uint16_t gso_size)
{
    if (!len || len > max_packet_ || count_ == n_entries_
        || bytes_ + len > max_bytes_) {
        return false;
    }
    // The slack (see the header) guarantees room within the byte bound.
    uint32_t at;
    if (!count_) {
        at = 0;
    } else if (end_ > start_) {
        // Not wrapped: after the newest, or else from the arena's start.
        at = end_ + len <= arena_size_ ? end_ : 0;
        assert(at || len <= start_);
    } else {
        at = end_;
        assert(at + len <= start_);
    }
    std::memcpy(&arena_[at], data, len);
    entries_[(head_ + count_) % n_entries_] =
        entry{at, len, flags, gso_type, gso_size};
    if (!count_) {
        start_ = at;
    }
    end_ = at + len;
    count_++;
    bytes_ += len;
    return true;
}

void rx_fifo::pop(size_t n)
{
    assert(n <= count_);
    for (size_t i = 0; i < n; i++) {
        bytes_ -= entries_[head_].len;
        head_ = (head_ + 1) % n_entries_;
    }
    count_ -= n;
    if (count_) {
        start_ = entries_[head_].offset;
    } else {
        head_ = 0;
        start_ = end_ = 0;
    }
}

}  // namespace linc::xen
