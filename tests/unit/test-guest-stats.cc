// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// The guest emulator's measurement helpers: the latency histogram's
// buckets and percentiles, the rate pacer, and the probe frames.

#include <cmath>
#include <set>
#include <utility>

#include "utilities/guest/guest-stats.h"
#include "utilities/guest/probe-frame.h"

#include <CppUTest/TestHarness.h>

using namespace linc::guest;

TEST_GROUP(latency_histogram) {};

TEST(latency_histogram, buckets_tile_the_range)
{
    // Every bucket starts where the previous one ended, and bucket_of maps
    // both ends of each bucket back to it.
    uint64_t next = 0;
    for (size_t b = 0; b < latency_histogram::n_buckets; b++) {
        uint64_t low = latency_histogram::bucket_low(b);
        uint64_t w = latency_histogram::bucket_width(b);
        UNSIGNED_LONGLONGS_EQUAL(next, low);
        UNSIGNED_LONGLONGS_EQUAL(b, latency_histogram::bucket_of(low));
        UNSIGNED_LONGLONGS_EQUAL(b, latency_histogram::bucket_of(low + w - 1));
        next = low + w;
    }
    UNSIGNED_LONGLONGS_EQUAL(latency_histogram::max_value + 1, next);
    UNSIGNED_LONGLONGS_EQUAL(latency_histogram::n_buckets - 1,
                             latency_histogram::bucket_of(UINT64_MAX));
}

TEST(latency_histogram, relative_error_is_small)
{
    // One value at a time: the reported median is within 1 % of it, from
    // 100 ns to 10 s.
    latency_histogram h;
    for (double v = 100; v <= 1e10; v *= 1.37) {
        h.reset();
        uint64_t x = static_cast<uint64_t>(v);
        h.record(x + 1000000000000ull);     // a larger max: no clamping
        h.record(x);
        h.record(x);
        uint64_t p = h.percentile(50);
        CHECK(std::fabs(double(p) - double(x)) <= 0.01 * double(x));
    }
}

TEST(latency_histogram, percentiles_by_nearest_rank)
{
    latency_histogram h;
    UNSIGNED_LONGLONGS_EQUAL(0, h.percentile(50));
    for (uint64_t v = 1; v <= 100; v++) {
        h.record(v);                // exact buckets below 128
    }
    UNSIGNED_LONGLONGS_EQUAL(100, h.count());
    UNSIGNED_LONGLONGS_EQUAL(50, h.percentile(50));
    UNSIGNED_LONGLONGS_EQUAL(99, h.percentile(99));
    UNSIGNED_LONGLONGS_EQUAL(100, h.percentile(100));
    UNSIGNED_LONGLONGS_EQUAL(1, h.percentile(0.001));
    UNSIGNED_LONGLONGS_EQUAL(100, h.max());

    // 99 fast values and one slow one: p50 fast, p99 fast, max slow.
    h.reset();
    for (int i = 0; i < 99; i++) {
        h.record(5000);
    }
    h.record(3000000);
    uint64_t p50 = h.percentile(50), p99 = h.percentile(99);
    CHECK(p50 >= 4950 && p50 <= 5050);
    CHECK(p99 >= 4950 && p99 <= 5050);
    UNSIGNED_LONGLONGS_EQUAL(3000000, h.percentile(100));
    UNSIGNED_LONGLONGS_EQUAL(3000000, h.max());
}

TEST(latency_histogram, huge_values_are_clamped)
{
    latency_histogram h;
    h.record(UINT64_MAX);
    UNSIGNED_LONGLONGS_EQUAL(1, h.count());
    UNSIGNED_LONGLONGS_EQUAL(latency_histogram::max_value, h.max());
    UNSIGNED_LONGLONGS_EQUAL(latency_histogram::max_value, h.percentile(50));
}

TEST_GROUP(rate_pacer) {};

TEST(rate_pacer, unpaced_is_always_due)
{
    rate_pacer p(0);
    p.start(123);
    UNSIGNED_LONGLONGS_EQUAL(rate_pacer::unlimited, p.due(123));
    p.sent(1000);
    UNSIGNED_LONGLONGS_EQUAL(rate_pacer::unlimited, p.due(124));
}

TEST(rate_pacer, one_per_second)
{
    const uint64_t s = rate_pacer::ns_per_s;
    rate_pacer p(1);
    p.start(10 * s);
    UNSIGNED_LONGLONGS_EQUAL(1, p.due(10 * s));     // the first at once
    p.sent(1);
    UNSIGNED_LONGLONGS_EQUAL(0, p.due(10 * s + s / 2));
    UNSIGNED_LONGLONGS_EQUAL(11 * s, p.next_due_ns());
    UNSIGNED_LONGLONGS_EQUAL(0, p.due(11 * s - 1));
    UNSIGNED_LONGLONGS_EQUAL(1, p.due(11 * s));
    p.sent(1);
    UNSIGNED_LONGLONGS_EQUAL(12 * s, p.next_due_ns());
}

TEST(rate_pacer, bursts_follow_elapsed_time)
{
    // 1 Mpps, polled every 37 us: each call gets what the elapsed time
    // allows, and the total over 1 s is exact.
    const uint64_t s = rate_pacer::ns_per_s;
    rate_pacer p(1000000);
    p.start(s);
    uint64_t total = 0;
    for (uint64_t t = s; t < 2 * s; t += 37000) {
        uint64_t n = p.due(t);
        CHECK(n <= 38);
        p.sent(n);
        total += n;
    }
    uint64_t last = p.due(2 * s - 1);
    p.sent(last);
    total += last;
    UNSIGNED_LONGLONGS_EQUAL(1000000, total);
    UNSIGNED_LONGLONGS_EQUAL(0, p.forgiven());
}

TEST(rate_pacer, partial_sends_carry_over)
{
    const uint64_t s = rate_pacer::ns_per_s;
    rate_pacer p(10000);
    p.start(0);
    uint64_t n = p.due(s / 1000);                   // 1 ms: 11 due
    UNSIGNED_LONGLONGS_EQUAL(11, n);
    p.sent(4);                                      // the ring took 4
    UNSIGNED_LONGLONGS_EQUAL(7, p.due(s / 1000));
    p.sent(7);
    UNSIGNED_LONGLONGS_EQUAL(0, p.due(s / 1000));
}

TEST(rate_pacer, a_long_stall_is_forgiven_not_burst)
{
    const uint64_t s = rate_pacer::ns_per_s;
    rate_pacer p(100000);
    p.start(0);
    p.sent(p.due(0));
    uint64_t n = p.due(5 * s);                      // 500000 owed
    UNSIGNED_LONGLONGS_EQUAL(p.max_backlog(), n);
    CHECK(p.forgiven() > 400000);
    p.sent(n);
    // Back to the normal pace afterwards.
    uint64_t later = p.due(5 * s + s / 100);
    CHECK(later >= 999 && later <= 1001);
}

TEST_GROUP(probe_frame) {};

TEST(probe_frame, checksums_and_fields_per_flow)
{
    probe_frame f;
    f.build({2, 0, 0, 0, 0, 1}, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 64);
    UNSIGNED_LONGLONGS_EQUAL(64, f.size());
    std::set<std::pair<uint32_t, uint16_t>> seen;
    for (uint32_t k : {0u, 1u, 2u, 999u, 63999u, 64000u, 999999u}) {
        f.set_flow(k);
        const uint8_t *ip = f.data() + probe_frame::ip_off;
        // A valid IPv4 header sums to 0xffff.
        UNSIGNED_LONGLONGS_EQUAL(0xffff, probe_frame::sum16(ip, 20));
        uint32_t src = uint32_t(ip[12]) << 24 | ip[13] << 16 | ip[14] << 8
                       | ip[15];
        const uint8_t *udp = f.data() + probe_frame::udp_off;
        uint16_t sport = static_cast<uint16_t>(udp[0] << 8 | udp[1]);
        UNSIGNED_LONGLONGS_EQUAL(probe_frame::src_ip(k), src);
        UNSIGNED_LONGLONGS_EQUAL(probe_frame::src_port(k), sport);
        CHECK(seen.insert({src, sport}).second);
        UNSIGNED_LONGLONGS_EQUAL(0, udp[6] << 8 | udp[7]);     // no UDP csum
        UNSIGNED_LONGLONGS_EQUAL(64 - 34, udp[4] << 8 | udp[5]);
    }
}

TEST(probe_frame, stamp_and_parse)
{
    probe_frame f;
    f.build({2, 0, 0, 0, 0, 1}, {2, 0, 0, 0, 0, 2}, 10);   // clamped up
    UNSIGNED_LONGLONGS_EQUAL(probe_frame::min_size, f.size());
    f.stamp(0x0102030405060708ull, 0x1122334455667788ull);
    uint64_t seq = 0, t = 0;
    CHECK(probe_frame::parse(f.data(), f.size(), &seq, &t));
    UNSIGNED_LONGLONGS_EQUAL(0x0102030405060708ull, seq);
    UNSIGNED_LONGLONGS_EQUAL(0x1122334455667788ull, t);
    const uint8_t *p = f.data() + probe_frame::payload_off;
    UNSIGNED_LONGLONGS_EQUAL(0x4c, p[0]);
    UNSIGNED_LONGLONGS_EQUAL(0x43, p[3]);

    // Truncated, not UDP, no magic: not probes.
    CHECK(!probe_frame::parse(f.data(), f.size() - 1, &seq, &t));
    uint8_t copy[probe_frame::min_size];
    std::memcpy(copy, f.data(), sizeof copy);
    copy[probe_frame::ip_off + 9] = 6;
    CHECK(!probe_frame::parse(copy, sizeof copy, &seq, &t));
    std::memcpy(copy, f.data(), sizeof copy);
    copy[probe_frame::payload_off] ^= 1;
    CHECK(!probe_frame::parse(copy, sizeof copy, &seq, &t));
    std::memcpy(copy, f.data(), sizeof copy);
    copy[probe_frame::ip_off] = 0x4f;           // options: payload moves
    CHECK(!probe_frame::parse(copy, sizeof copy, &seq, &t));
}

TEST(probe_frame, parses_a_probe_behind_ip_options)
{
    probe_frame f;
    f.build({2, 0, 0, 0, 0, 1}, {2, 0, 0, 0, 0, 2}, 100);
    f.stamp(7, 99);
    // The same probe with 4 bytes of IPv4 options: the UDP header and
    // the payload move back by 4.
    uint8_t opt[104] = {};
    std::memcpy(opt, f.data(), probe_frame::udp_off);
    opt[probe_frame::ip_off] = 0x46;
    std::memcpy(opt + probe_frame::udp_off + 4, f.data() + probe_frame::udp_off,
                100 - probe_frame::udp_off);
    uint64_t seq = 0, t = 0;
    CHECK(probe_frame::parse(opt, sizeof opt, &seq, &t));
    UNSIGNED_LONGLONGS_EQUAL(7, seq);
    UNSIGNED_LONGLONGS_EQUAL(99, t);
    // Without them the bytes at the usual place are not the magic.
    opt[probe_frame::ip_off] = 0x45;
    CHECK(!probe_frame::parse(opt, sizeof opt, &seq, &t));
}
