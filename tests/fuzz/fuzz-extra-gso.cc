// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// fuzz-extra-gso: what the backend does with a guest's frame after the
// ring: parse_ip_frame(), l4_csum_offsets(), complete_l4_csum() and the
// software segmentation of GSO frames, tcp_segment(), each checked against
// what it promises; and the extra-info slots that bring GSO metadata in
// (copy_extra_info() and a TX burst with NETTXF_extra_info).
//
// Input, [0] & 1 selects the mode:
//   0: a frame on its own.  [1, 3) MSS, [3] unused, [4, ...) the frame.
//   1: a frame sent through the TX ring.  [1] bits 0-1: extra-info slots
//      (0-3), bit 4 NETTXF_csum_blank, bit 5 NETTXF_data_validated;
//      [2, 26) three netif_extra_info slots of 8 bytes, as the guest
//      wrote them; [26, ...) the frame, in TX buffers of one page each.

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "netdev-xen/gso.h"
#include "netdev-xen/l4-csum.h"
#include "tests/fuzz/fuzz-guest.h"

using namespace linc::xen;
using linc::xen::fuzz::guest_world;
using linc::xen::fuzz::input_reader;

namespace {

uint16_t be16(const uint8_t *p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

uint32_t be32(const uint8_t *p)
{
    return uint32_t(be16(p)) << 16 | be16(p + 2);
}

uint64_t sum16(const uint8_t *p, size_t n, uint64_t sum = 0)
{
    size_t i = 0;
    for (; i + 1 < n; i += 2) {
        sum += be16(p + i);
    }
    if (i < n) {
        sum += uint64_t(p[i]) << 8;
    }
    return sum;
}

uint16_t fold(uint64_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return static_cast<uint16_t>(sum);
}

// parse_ip_frame() as l4-csum.h describes it, written again.
bool reference_parse(const uint8_t *f, size_t len, linc::ip_frame *out)
{
    if (len < 14) {
        return false;
    }
    size_t off = 14;
    uint16_t type = be16(f + 12);
    if (type == 0x8100) {
        if (len < 18) {
            return false;
        }
        type = be16(f + 16);
        off = 18;
    }
    if (type == 0x0800) {
        if (len < off + 20 || f[off] >> 4 != 4) {
            return false;
        }
        size_t ihl = (f[off] & 15u) * 4;
        size_t tot = be16(f + off + 2);
        if (ihl < 20 || tot < ihl || off + tot > len) {
            return false;
        }
        *out = linc::ip_frame{off, off + ihl, tot - ihl, f[off + 9], true};
        return true;
    }
    if (type == 0x86dd) {
        if (len < off + 40) {
            return false;
        }
        size_t payload = be16(f + off + 4);
        if (off + 40 + payload > len) {
            return false;
        }
        *out = linc::ip_frame{off, off + 40, payload, f[off + 6], false};
        return true;
    }
    return false;
}

void check_parsers(const uint8_t *frame, size_t len)
{
    linc::ip_frame ip{}, ref{};
    bool ok = linc::parse_ip_frame(frame, len, &ip);
    FUZZ_CHECK(ok == reference_parse(frame, len, &ref));
    if (ok) {
        FUZZ_CHECK(ip.l3 == ref.l3 && ip.l4 == ref.l4
                   && ip.l4_len == ref.l4_len && ip.proto == ref.proto
                   && ip.ipv4 == ref.ipv4);
        FUZZ_CHECK(ip.l3 < ip.l4 && ip.l4 + ip.l4_len <= len);
    }
    uint16_t start = 0, field = 0;
    if (linc::l4_csum_offsets(frame, len, &start, &field)) {
        FUZZ_CHECK(ok);
        FUZZ_CHECK(start == ip.l4);
        FUZZ_CHECK((ip.proto == 6 && field == 16 && ip.l4_len >= 20)
                   || (ip.proto == 17 && field == 6 && ip.l4_len >= 8));
        FUZZ_CHECK(size_t(start) + field + 2 <= len);
    }
}

// complete_l4_csum() on a copy: it changes nothing but the checksum
// field, and afterwards the field, the pseudo-header sum it held and the
// L4 bytes add up (ones' complement) to 0xffff.
void check_complete(const uint8_t *frame, size_t len)
{
    auto *copy = static_cast<uint8_t *>(std::malloc(len));
    std::memcpy(copy, frame, len);
    uint16_t start = 0, field = 0;
    bool offsets = linc::l4_csum_offsets(frame, len, &start, &field);
    bool done = linc::complete_l4_csum(copy, len);
    if (!done) {
        FUZZ_CHECK(std::memcmp(copy, frame, len) == 0);
    } else {
        FUZZ_CHECK(offsets);
        linc::ip_frame ip{};
        FUZZ_CHECK(linc::parse_ip_frame(frame, len, &ip));
        size_t at = size_t(start) + field;
        FUZZ_CHECK(std::memcmp(copy, frame, at) == 0);
        FUZZ_CHECK(std::memcmp(copy + at + 2, frame + at + 2,
                               len - at - 2) == 0);
        uint16_t pseudo = be16(frame + at);
        uint16_t csum = be16(copy + at);
        uint64_t sum = sum16(frame + ip.l4, ip.l4_len) - pseudo;
        FUZZ_CHECK(fold(sum + pseudo + csum) == 0xffff);
    }
    std::free(copy);
}

struct gso_check {
    const uint8_t *frame;
    size_t len;
    size_t hdr;
    size_t payload;
    uint16_t mss;
    uint32_t seq;
    size_t n = 0;
    size_t off = 0;
};

void check_segment(void *aux, const uint8_t *seg, size_t len)
{
    auto *c = static_cast<gso_check *>(aux);
    c->n++;
    FUZZ_CHECK(c->n <= linc::gso_max_segments);
    // Within 64 KiB of payload plus the headers.
    FUZZ_CHECK(len >= c->hdr && len - c->hdr <= c->mss);
    FUZZ_CHECK(len - c->hdr <= 65535);
    size_t chunk = len - c->hdr;
    FUZZ_CHECK(chunk > 0 || c->payload == 0);
    FUZZ_CHECK(c->off + chunk <= c->payload);
    FUZZ_CHECK(std::memcmp(seg + c->hdr, c->frame + c->hdr + c->off, chunk)
               == 0);

    linc::ip_frame ip{};
    FUZZ_CHECK(linc::parse_ip_frame(seg, len, &ip));
    FUZZ_CHECK(ip.proto == 6 && ip.l4 + ip.l4_len == len);
    FUZZ_CHECK(be32(seg + ip.l4 + 4) == uint32_t(c->seq + c->off));
    if (ip.ipv4) {
        FUZZ_CHECK(fold(sum16(seg + ip.l3, ip.l4 - ip.l3)) == 0xffff);
    }
    uint64_t sum = ip.ipv4 ? sum16(seg + ip.l3 + 12, 8)
                           : sum16(seg + ip.l3 + 8, 32);
    sum += 6 + ip.l4_len;
    sum = sum16(seg + ip.l4, ip.l4_len, sum);
    FUZZ_CHECK(fold(sum) == 0xffff);
    c->off += chunk;
}

void check_segmentation(const uint8_t *frame, size_t len, uint16_t mss)
{
    gso_check c{frame, len, 0, 0, mss, 0};
    linc::ip_frame ip{};
    bool tcp = mss && linc::parse_ip_frame(frame, len, &ip) && ip.proto == 6
               && ip.l4 + ip.l4_len == len && len >= ip.l4 + 20;
    size_t thl = tcp ? (frame[ip.l4 + 12] >> 4) * 4u : 0;
    tcp = tcp && thl >= 20 && len >= ip.l4 + thl;
    if (tcp) {
        c.hdr = ip.l4 + thl;
        c.payload = len - c.hdr;
        c.seq = be32(frame + ip.l4 + 4);
    }
    linc::gso_refusal why;
    size_t n = linc::tcp_segment(frame, len, mss, check_segment, &c, &why);
    FUZZ_CHECK(n == c.n);
    if (!tcp) {
        FUZZ_CHECK(n == 0 && why == linc::gso_refusal::not_tcp);
        return;
    }
    size_t want = c.payload ? (c.payload + mss - 1) / mss : 1;
    if (want > linc::gso_max_segments) {
        FUZZ_CHECK(n == 0 && why == linc::gso_refusal::too_many_segments);
        return;
    }
    FUZZ_CHECK(n == want && why == linc::gso_refusal::none);
    FUZZ_CHECK(c.off == c.payload);
    if (fuzz::verbose()) {
        std::fprintf(stderr, "gso: %zu segments of %u\n", n, mss);
    }
}

void check_frame(const uint8_t *frame, size_t len, uint16_t mss)
{
    check_parsers(frame, len);
    check_complete(frame, len);
    check_segmentation(frame, len, mss);
}

// The frame through the TX ring, with the guest's extra-info slots.
void through_ring(const input_reader &in)
{
    guest_world &w = guest_world::get();
    constexpr size_t extras_off = 2, frame_off = 26;
    const uint8_t ctl = in.u8(1);
    const unsigned nextras = ctl & 3;
    const size_t len = in.size > frame_off ? in.size - frame_off : 0;
    const unsigned ndata = std::max<size_t>(1, (len + page_size - 1) / page_size);
    if (ndata > netif_max_slots) {
        return;
    }

    std::memset(w.rx_map, 0, page_size);
    std::memset(w.tx_map, 0, page_size);
    netif_tx_sring *s = w.tx_sring();
    RING_IDX i = 0;
    netif_tx_request first{};
    first.gref = guest_world::first_tx_buf_gref;
    first.offset = 0;
    first.id = 0;
    first.size = uint16_t(len);
    first.flags = uint16_t((nextras ? NETTXF_extra_info : 0)
                           | (ndata > 1 ? NETTXF_more_data : 0)
                           | ((ctl & 16) ? NETTXF_csum_blank : 0)
                           | ((ctl & 32) ? NETTXF_data_validated : 0));
    s->ring[i++].req = first;
    for (unsigned x = 0; x < nextras; x++) {
        void *slot = &s->ring[i++];
        in.copy(extras_off + 8 * x, slot, sizeof(netif_extra_info));
        // copy_extra_info() reads what a plain copy would.
        netif_extra_info plain, once = copy_extra_info(slot);
        std::memcpy(&plain, slot, sizeof plain);
        FUZZ_CHECK(plain.type == once.type && plain.flags == once.flags
                   && std::memcmp(plain.u.pad, once.u.pad,
                                  sizeof plain.u.pad) == 0);
    }
    for (unsigned k = 0; k < ndata; k++) {
        size_t chunk = std::min(page_size, len - k * page_size);
        in.copy(frame_off + k * page_size, w.page(2 + k), chunk);
        if (k == 0) {
            continue;
        }
        netif_tx_request r{};
        r.gref = guest_world::first_tx_buf_gref + k;
        r.id = uint16_t(k);
        r.size = uint16_t(chunk);
        r.flags = k + 1 < ndata ? NETTXF_more_data : 0;
        s->ring[i++].req = r;
    }
    s->req_prod = i;

    netif_features f;
    f.sg = f.gso_tcpv4 = f.gso_tcpv6 = true;
    f.tx_gso_tcpv4 = f.tx_gso_tcpv6 = true;
    netif_backend be(&w.xen.backend(), w.tx_map, w.rx_map, w.config(f));
    auto *data = static_cast<uint8_t *>(std::malloc(65536));
    packet_buf b{data, 0, 65536, 0, 0, 0};
    size_t n = be.tx_burst(&b, 1);
    if (fuzz::verbose()) {
        std::fprintf(stderr, "ring: %zu delivered, %u bytes, gso %u/%u, "
                     "flags %u; %s\n", n, b.len, b.gso_type, b.gso_size,
                     b.flags, be.failed() ? be.state().reason : "connected");
    }
    if (n == 1) {
        FUZZ_CHECK(b.len == len && b.copied == len);
        if (b.gso_type != XEN_NETIF_GSO_TYPE_NONE) {
            check_segmentation(b.data, b.len, b.gso_size);
        }
        if (b.flags & packet_csum_blank) {
            check_complete(b.data, b.len);
        }
    }
    std::free(data);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const input_reader in{data, size};
    if ((in.u8(0) & 1) == 0) {
        // The frame in its own allocation of exactly its length.
        size_t len = size > 4 ? size - 4 : 0;
        auto *frame = static_cast<uint8_t *>(std::malloc(len));
        in.copy(4, frame, len);
        check_frame(frame, len, in.u16(1));
        std::free(frame);
    } else {
        through_ring(in);
    }
    return 0;
}
