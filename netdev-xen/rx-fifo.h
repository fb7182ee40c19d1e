// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// rx_fifo: packets waiting for a guest's receive buffers.
//
// Linux's netback queues what the guest has no buffers for yet, bounded
// per queue, instead of dropping it: TCP between guests lives on that
// slack.  This is the queue itself, with no knowledge of rings: a FIFO of
// copied packets in one arena allocated when the queue is made, so
// queueing a packet never allocates, whatever the guest does.
//
// Bounds.  push() refuses a packet that would take the queue past
// 'max_bytes' (the sum of queued packet lengths) or 'max_packets'; it
// never refuses one within both.  The arena is 'max_bytes' plus twice
// the largest packet: a packet that does not fit between the newest one
// and the arena's end goes to its start, and the slack is what makes
// that always possible while the byte bound holds.
//
// Not thread-safe: the vif queue's mutex serialises its users.

#ifndef LINC_RX_FIFO_H
#define LINC_RX_FIFO_H 1

#include <cstddef>
#include <cstdint>
#include <memory>

namespace linc::xen {

class rx_fifo {
public:
    // What a queued packet keeps besides its bytes (see packet_view).
    struct entry {
        uint32_t offset;        // in the arena
        uint32_t len;
        uint16_t flags;
        uint8_t gso_type;
        uint16_t gso_size;
    };

    // 'max_packet' bounds each packet's length; all three must be > 0.
    // Does not throw: ok() is false if the memory could not be had.
    rx_fifo(uint32_t max_bytes, uint32_t max_packets, uint32_t max_packet);
    bool ok() const { return arena_ && entries_; }

    // Copies 'len' bytes at 'data' to the tail.  False, taking nothing, if
    // 'len' is 0 or over 'max_packet', or a bound would be passed.
    bool push(const uint8_t *data, uint32_t len, uint16_t flags,
              uint8_t gso_type, uint16_t gso_size);

    // The i-th oldest packet (i < size()) and its bytes; valid until it is
    // popped.
    const entry &at(size_t i) const
    {
        return entries_[(head_ + i) % n_entries_];
    }
    const uint8_t *data(const entry &e) const { return &arena_[e.offset]; }

    // Removes the 'n' oldest packets (n <= size()).
    void pop(size_t n);
    void clear() { pop(count_); }

    size_t size() const { return count_; }
    bool empty() const { return count_ == 0; }
    uint64_t bytes() const { return bytes_; }
    uint32_t max_bytes() const { return max_bytes_; }
    uint32_t max_packets() const { return static_cast<uint32_t>(n_entries_); }

private:
    const uint32_t max_bytes_;
    const uint32_t max_packet_;
    // Not zeroed: pages the queue never reaches cost no memory.
    const size_t arena_size_;
    std::unique_ptr<uint8_t[]> arena_;
    const size_t n_entries_;
    std::unique_ptr<entry[]> entries_;  // a ring: 'count_' from 'head_'
    size_t head_ = 0;
    size_t count_ = 0;
    uint64_t bytes_ = 0;
    // Arena use: the oldest packet starts at 'start_' and the newest ends
    // at 'end_'; 'end_' < 'start_' (or == with packets) once wrapped.
    uint32_t start_ = 0;
    uint32_t end_ = 0;
};

}  // namespace linc::xen

#endif  // netdev-xen/rx-fifo.h
