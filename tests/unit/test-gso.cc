// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// Software TCP segmentation of guests' GSO frames.

#include <cstring>
#include <vector>

#include "netdev-xen/gso.h"
#include "netdev-xen/l4-csum.h"

#include <CppUTest/TestHarness.h>

namespace {

using frame = std::vector<uint8_t>;

void emit(void *aux, const uint8_t *seg, size_t len)
{
    static_cast<std::vector<frame> *>(aux)->emplace_back(seg, seg + len);
}

uint16_t rd16(const frame &f, size_t o) { return static_cast<uint16_t>(f[o] << 8 | f[o + 1]); }
uint32_t rd32(const frame &f, size_t o)
{
    return static_cast<uint32_t>(rd16(f, o)) << 16 | rd16(f, o + 2);
}

uint32_t sum_range(const frame &f, size_t o, size_t n, uint32_t s)
{
    size_t i = 0;
    for (; i + 1 < n; i += 2) {
        s += rd16(f, o + i);
    }
    if (i < n) {
        s += static_cast<uint32_t>(f[o + i]) << 8;
    }
    return s;
}

uint16_t folded(uint32_t s)
{
    while (s >> 16) {
        s = (s & 0xffff) + (s >> 16);
    }
    return static_cast<uint16_t>(s);
}

frame tcp4(size_t payload, uint8_t flags)
{
    frame f(14 + 20 + 20 + payload, 0);
    f[12] = 0x08;
    f[14] = 0x45;
    f[14 + 2] = static_cast<uint8_t>((40 + payload) >> 8);
    f[14 + 3] = static_cast<uint8_t>(40 + payload);
    f[14 + 4] = 0x12;           // IP id 0x1234
    f[14 + 5] = 0x34;
    f[14 + 8] = 64;
    f[14 + 9] = 6;
    f[14 + 12] = 10; f[14 + 15] = 1;
    f[14 + 16] = 10; f[14 + 19] = 2;
    size_t t = 34;
    f[t + 1] = 80; f[t + 3] = 81;
    f[t + 6] = 0x03; f[t + 7] = 0xe8;   // seq 1000
    f[t + 12] = 5 << 4;
    f[t + 13] = flags;
    for (size_t i = 0; i < payload; i++) {
        f[54 + i] = static_cast<uint8_t>(i * 7);
    }
    return f;
}

frame tcp6(size_t payload)
{
    frame f(14 + 40 + 20 + payload, 0);
    f[12] = 0x86;
    f[13] = 0xdd;
    f[14] = 0x60;
    f[14 + 4] = static_cast<uint8_t>((20 + payload) >> 8);
    f[14 + 5] = static_cast<uint8_t>(20 + payload);
    f[14 + 6] = 6;
    f[14 + 7] = 64;
    f[14 + 8 + 15] = 1;
    f[14 + 24 + 15] = 2;
    size_t t = 54;
    f[t + 12] = 5 << 4;
    f[t + 13] = 0x18;
    return f;
}

}  // namespace

TEST_GROUP(gso) {};

TEST(gso, ipv4_segments_have_right_lengths_seqs_flags_and_checksums)
{
    frame f = tcp4(2500, 0x19);     // FIN|PSH|ACK
    std::vector<frame> segs;
    LONGS_EQUAL(3, linc::tcp_segment(f.data(), f.size(), 1000, emit, &segs));
    const size_t payloads[] = {1000, 1000, 500};
    for (size_t i = 0; i < 3; i++) {
        const frame &s = segs[i];
        LONGS_EQUAL(54 + payloads[i], s.size());
        LONGS_EQUAL(40 + payloads[i], rd16(s, 16));
        LONGS_EQUAL(0x1234 + i, rd16(s, 18));
        LONGS_EQUAL(1000 + 1000 * i, rd32(s, 38));
        LONGS_EQUAL(i == 2 ? 0x19 : 0x10, s[47]);
        LONGS_EQUAL(0xffff, folded(sum_range(s, 14, 20, 0)));
        uint32_t ph = sum_range(s, 26, 8, 0) + 6 + 20 + payloads[i];
        LONGS_EQUAL(0xffff, folded(sum_range(s, 34, 20 + payloads[i], ph)));
        // Payload bytes carried over in order.
        LONGS_EQUAL(f[54 + 1000 * i], s[54]);
    }
}

TEST(gso, ipv6_segments)
{
    frame f = tcp6(3000);
    std::vector<frame> segs;
    LONGS_EQUAL(3, linc::tcp_segment(f.data(), f.size(), 1440, emit, &segs));
    LONGS_EQUAL(20 + 1440, rd16(segs[0], 18));
    LONGS_EQUAL(20 + 120, rd16(segs[2], 18));
    for (const frame &s : segs) {
        size_t l4_len = s.size() - 54;
        uint32_t ph = sum_range(s, 22, 32, 0) + 6 + static_cast<uint32_t>(l4_len);
        LONGS_EQUAL(0xffff, folded(sum_range(s, 54, l4_len, ph)));
    }
}

TEST(gso, small_frame_passes_with_checksum_completed)
{
    frame f = tcp4(100, 0x18);
    std::vector<frame> segs;
    LONGS_EQUAL(1, linc::tcp_segment(f.data(), f.size(), 1460, emit, &segs));
    LONGS_EQUAL(f.size(), segs[0].size());
    uint32_t ph = sum_range(segs[0], 26, 8, 0) + 6 + 120;
    LONGS_EQUAL(0xffff, folded(sum_range(segs[0], 34, 120, ph)));
}

TEST(gso, refuses_what_it_cannot_segment)
{
    std::vector<frame> segs;
    frame f = tcp4(2000, 0x10);
    LONGS_EQUAL(0, linc::tcp_segment(f.data(), f.size(), 0, emit, &segs));
    LONGS_EQUAL(0, linc::tcp_segment(f.data(), f.size() - 1, 1000, emit, &segs));
    frame udp = f;
    udp[14 + 9] = 17;
    LONGS_EQUAL(0, linc::tcp_segment(udp.data(), udp.size(), 1000, emit, &segs));
    frame bad_thl = f;
    bad_thl[34 + 12] = 15 << 4;     // 60-byte TCP header: fine if it fits...
    bad_thl.resize(14 + 20 + 40);   // ...but the frame is shorter.
    bad_thl[16] = 0; bad_thl[17] = 60;
    LONGS_EQUAL(0, linc::tcp_segment(bad_thl.data(), bad_thl.size(), 1000, emit, &segs));
    frame arp(60, 0);
    arp[12] = 0x08; arp[13] = 0x06;
    LONGS_EQUAL(0, linc::tcp_segment(arp.data(), arp.size(), 1000, emit, &segs));
    CHECK(segs.empty());
}

// A guest picks the MSS: gso_size 1 on a 64 KiB frame would be about
// 65,000 packets from one ring slot.  More than gso_max_segments segments
// is refused whole, before any is emitted; exactly the bound is fine.
TEST(gso, amplification_is_refused_before_any_work)
{
    frame f = tcp4(65000, 0x18);
    std::vector<frame> out;
    linc::gso_refusal why = linc::gso_refusal::none;
    LONGS_EQUAL(0, linc::tcp_segment(f.data(), f.size(), 1, emit, &out, &why));
    CHECK(why == linc::gso_refusal::too_many_segments);
    LONGS_EQUAL(0, out.size());

    const uint16_t mss_at_bound = 65000 / linc::gso_max_segments + 1;  // 254
    LONGS_EQUAL(linc::gso_max_segments,
                linc::tcp_segment(f.data(), f.size(), mss_at_bound, emit,
                                  &out, &why));
    CHECK(why == linc::gso_refusal::none);
    out.clear();
    LONGS_EQUAL(0, linc::tcp_segment(f.data(), f.size(), mss_at_bound - 1,
                                     emit, &out, &why));
    CHECK(why == linc::gso_refusal::too_many_segments);

    // Not TCP: a different reason.
    f[14 + 9] = 17;
    LONGS_EQUAL(0, linc::tcp_segment(f.data(), f.size(), 1400, emit, &out, &why));
    CHECK(why == linc::gso_refusal::not_tcp);
}

// A GSO frame passed on whole carries the partial checksum a receiver of a
// csum_blank frame expects, whatever the sender left in the field: the
// pseudo-header sum, which the full sum then completes.
TEST(gso, prepare_writes_the_partial_checksum)
{
    frame f = tcp4(3000, 0x18);
    f[34 + 16] = 0xde;              // the sender's junk
    f[34 + 17] = 0xad;
    linc::gso_refusal why;
    CHECK(linc::gso_prepare(f.data(), f.size(), f.size(), 1448, false, &why));
    CHECK(why == linc::gso_refusal::none);
    const uint32_t l4_len = 20 + 3000;
    LONGS_EQUAL(folded(sum_range(f, 26, 8, 0) + 6 + l4_len), rd16(f, 34 + 16));
    // Completed as a NIC would: the sum over everything then checks out.
    frame done = f;
    uint16_t full = static_cast<uint16_t>(~folded(sum_range(done, 34, l4_len, 0)));
    done[34 + 16] = static_cast<uint8_t>(full >> 8);
    done[34 + 17] = static_cast<uint8_t>(full);
    uint32_t ph = sum_range(done, 26, 8, 0) + 6 + l4_len;
    LONGS_EQUAL(0xffff, folded(sum_range(done, 34, l4_len, ph)));
    // Nothing else changed.
    done[34 + 16] = f[34 + 16];
    done[34 + 17] = f[34 + 17];
    CHECK(done == f);

    frame g = tcp6(5000);
    CHECK(linc::gso_prepare(g.data(), g.size(), 100, 1440, true));
    LONGS_EQUAL(folded(sum_range(g, 22, 32, 0) + 6 + 20 + 5000),
                rd16(g, 54 + 16));
}

TEST(gso, prepare_refuses_what_it_could_not_cut)
{
    linc::gso_refusal why;
    frame f = tcp4(3000, 0x18);
    frame orig = f;
    // The GSO type names the other IP version.
    CHECK_FALSE(linc::gso_prepare(f.data(), f.size(), f.size(), 1448, true, &why));
    CHECK(why == linc::gso_refusal::not_tcp);
    frame g = tcp6(3000);
    CHECK_FALSE(linc::gso_prepare(g.data(), g.size(), g.size(), 1440, false, &why));
    // Too many segments for the MSS, or none.
    CHECK_FALSE(linc::gso_prepare(f.data(), f.size(), f.size(), 8, false, &why));
    CHECK(why == linc::gso_refusal::too_many_segments);
    CHECK_FALSE(linc::gso_prepare(f.data(), f.size(), f.size(), 0, false, &why));
    // Not TCP, or lengths that disagree.
    frame udp = f;
    udp[14 + 9] = 17;
    CHECK_FALSE(linc::gso_prepare(udp.data(), udp.size(), udp.size(), 1448, false, &why));
    CHECK_FALSE(linc::gso_prepare(f.data(), f.size() - 1, f.size() - 1, 1448, false, &why));
    // Headers past what was copied: IPv6 and a TCP header with 40 bytes of
    // options take 114 bytes, 113 are not enough; and never less than
    // what the IP headers could take.
    frame opts = tcp6(3000);
    opts[54 + 12] = 15 << 4;
    CHECK_FALSE(linc::gso_prepare(opts.data(), opts.size(), 113, 1440, true, &why));
    CHECK(linc::gso_prepare(opts.data(), opts.size(), 114, 1440, true, &why));
    CHECK_FALSE(linc::gso_prepare(f.data(), f.size(), 60, 1448, false, &why));
    CHECK(f == orig);               // refused frames are left alone
}

// A checksum computed from scratch, whatever the field held, for TCP over
// IPv4 and IPv6; anything else is refused.
TEST(gso, fill_l4_csum_ignores_what_the_field_held)
{
    frame f = tcp4(1000, 0x18);
    f[34 + 16] = 0x12;
    f[34 + 17] = 0x34;
    CHECK(linc::fill_l4_csum(f.data(), f.size()));
    uint32_t ph = sum_range(f, 26, 8, 0) + 6 + 20 + 1000;
    LONGS_EQUAL(0xffff, folded(sum_range(f, 34, 20 + 1000, ph)));

    frame g = tcp6(777);
    g[54 + 16] = 0xff;
    CHECK(linc::fill_l4_csum(g.data(), g.size()));
    ph = sum_range(g, 22, 32, 0) + 6 + 20 + 777;
    LONGS_EQUAL(0xffff, folded(sum_range(g, 54, 20 + 777, ph)));

    frame arp(60, 0);
    arp[12] = 0x08; arp[13] = 0x06;
    CHECK_FALSE(linc::fill_l4_csum(arp.data(), arp.size()));
}
