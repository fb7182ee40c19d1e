// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// Measurement helpers of the emulated guest (linc-guest): a fixed latency
// histogram and a packet-rate pacer.  Both are allocation-free after
// construction, so they can sit on the per-packet path.

#ifndef LINC_GUEST_STATS_H
#define LINC_GUEST_STATS_H 1

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

namespace linc::guest {

// A log-linear histogram of nanosecond values: exact below 128 ns, then
// 64 buckets per power of two up to 2^36 ns (about 68 s; larger values
// count in the last bucket).  A percentile is reported as the middle of
// its bucket, clamped to the largest value seen, so its relative error is
// at most 1/128 (< 1 %) anywhere from 128 ns to 68 s.
class latency_histogram {
public:
    static constexpr unsigned sub_bits = 6;
    static constexpr uint64_t sub_count = uint64_t(1) << sub_bits;     // 64
    static constexpr uint64_t exact_limit = 2 * sub_count;             // 128
    static constexpr unsigned max_exp = 35;     // values < 2^36
    static constexpr uint64_t max_value = (uint64_t(1) << (max_exp + 1)) - 1;
    static constexpr size_t n_buckets =
        exact_limit + (max_exp - sub_bits) * sub_count;

    // The bucket of value 'v' (clamped to max_value).
    static size_t bucket_of(uint64_t v)
    {
        v = std::min(v, max_value);
        if (v < exact_limit) {
            return static_cast<size_t>(v);
        }
        unsigned e = 63 - static_cast<unsigned>(__builtin_clzll(v));  // >= 7
        unsigned shift = e - sub_bits;
        uint64_t top = v >> shift;                          // 64..127
        return static_cast<size_t>(exact_limit + (e - sub_bits - 1) * sub_count
                                   + (top - sub_count));
    }

    // The smallest value of bucket 'b', and its width.
    static uint64_t bucket_low(size_t b)
    {
        if (b < exact_limit) {
            return b;
        }
        uint64_t k = b - exact_limit;
        unsigned e = static_cast<unsigned>(k / sub_count) + sub_bits + 1;
        uint64_t top = sub_count + k % sub_count;
        return top << (e - sub_bits);
    }
    static uint64_t bucket_width(size_t b)
    {
        if (b < exact_limit) {
            return 1;
        }
        unsigned e = static_cast<unsigned>((b - exact_limit) / sub_count)
                     + sub_bits + 1;
        return uint64_t(1) << (e - sub_bits);
    }

    void record(uint64_t ns)
    {
        buckets_[bucket_of(ns)]++;
        count_++;
        max_ = std::max(max_, std::min(ns, max_value));
    }

    void reset()
    {
        buckets_.fill(0);
        count_ = 0;
        max_ = 0;
    }

    uint64_t count() const { return count_; }
    uint64_t max() const { return max_; }

    // The value below or at which 'pct' percent (0 < pct <= 100) of the
    // recorded values lie (the nearest-rank method); 0 when empty.
    uint64_t percentile(double pct) const
    {
        if (!count_) {
            return 0;
        }
        pct = std::clamp(pct, 0.0, 100.0);
        uint64_t rank = static_cast<uint64_t>(pct / 100.0 * double(count_));
        if (double(rank) < pct / 100.0 * double(count_)) {
            rank++;                                         // ceil
        }
        rank = std::clamp<uint64_t>(rank, 1, count_);
        if (rank == count_) {
            return max_;                // the largest value, exactly
        }
        uint64_t seen = 0;
        for (size_t b = 0; b < n_buckets; b++) {
            seen += buckets_[b];
            if (seen >= rank) {
                uint64_t w = bucket_width(b);
                return std::min(bucket_low(b) + w / 2, max_);
            }
        }
        return max_;
    }

private:
    std::array<uint64_t, n_buckets> buckets_{};
    uint64_t count_ = 0;
    uint64_t max_ = 0;
};

// Paces a packet source at 'rate' packets per second (0: unpaced).  The
// first packet is due at start(); packet k (from 0) is due at
// start + k / rate.  A caller asks how many are due now, sends up to that
// many (as one burst), and reports how many it sent.  If the source falls
// behind by more than 'max_backlog()' packets (10 ms worth, at least 1),
// the excess is forgiven rather than sent as one large burst.
class rate_pacer {
public:
    static constexpr uint64_t ns_per_s = 1000000000;
    static constexpr uint64_t unlimited = UINT64_MAX;

    explicit rate_pacer(uint64_t rate = 0) : rate_(rate) {}

    void start(uint64_t now_ns)
    {
        base_ns_ = now_ns;
        base_sent_ = sent_;
    }

    uint64_t rate() const { return rate_; }
    uint64_t sent() const { return sent_; }
    uint64_t forgiven() const { return forgiven_; }
    uint64_t max_backlog() const { return std::max<uint64_t>(1, rate_ / 100); }

    // How many packets are due at 'now_ns' (unlimited when unpaced).
    uint64_t due(uint64_t now_ns)
    {
        if (!rate_) {
            return unlimited;
        }
        uint64_t allowed = slots_until(now_ns) + 1;
        uint64_t done = sent_ - base_sent_;
        uint64_t due = allowed > done ? allowed - done : 0;
        if (due > max_backlog()) {
            // Start over from now, owing max_backlog() packets.
            forgiven_ += due - max_backlog();
            base_sent_ = sent_;
            base_ns_ = now_ns - std::min<uint64_t>(
                now_ns, static_cast<uint64_t>(
                            (unsigned __int128) (max_backlog() - 1) * ns_per_s
                            / rate_));
            due = max_backlog();
        }
        return due;
    }

    void sent(uint64_t n) { sent_ += n; }

    // When the next packet is due (in the past if one already is); 0
    // when unpaced (always due).
    uint64_t next_due_ns() const
    {
        if (!rate_) {
            return 0;
        }
        uint64_t done = sent_ - base_sent_;
        // Packet 'done' (0-based since base) is due at base + done / rate.
        return base_ns_ + static_cast<uint64_t>(
                              ((unsigned __int128) done * ns_per_s + rate_ - 1)
                              / rate_);
    }

private:
    // Whole inter-packet periods elapsed since the base.
    uint64_t slots_until(uint64_t now_ns) const
    {
        if (now_ns <= base_ns_) {
            return 0;
        }
        return static_cast<uint64_t>((unsigned __int128) (now_ns - base_ns_)
                                     * rate_ / ns_per_s);
    }

    uint64_t rate_;
    uint64_t base_ns_ = 0;
    uint64_t base_sent_ = 0;
    uint64_t sent_ = 0;
    uint64_t forgiven_ = 0;
};

}  // namespace linc::guest

#endif  // utilities/guest/guest-stats.h
