// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.

#include "netdev-xen/gso.h"

#include "netdev-xen/l4-csum.h"

#include <cstring>

namespace linc {

namespace {

uint16_t be16(const uint8_t *p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

void put16(uint8_t *p, uint32_t v)
{
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}

uint32_t be32(const uint8_t *p)
{
    return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16
           | static_cast<uint32_t>(p[2]) << 8 | p[3];
}

void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v & 0xffff);
}

uint32_t sum16(const uint8_t *p, size_t n, uint32_t sum)
{
    size_t i = 0;
    for (; i + 1 < n; i += 2) {
        sum += be16(p + i);
    }
    if (i < n) {
        sum += static_cast<uint32_t>(p[i]) << 8;
    }
    return sum;
}

uint16_t fold(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return static_cast<uint16_t>(~sum);
}

constexpr uint8_t tcp_fin = 0x01, tcp_psh = 0x08, tcp_cwr = 0x80;

}  // namespace

size_t tcp_segment(const uint8_t *frame, size_t len, uint16_t mss,
                   gso_emit emit, void *aux, gso_refusal *why)
{
    gso_refusal dummy;
    if (!why) {
        why = &dummy;
    }
    *why = gso_refusal::not_tcp;
    // Parse once, bounded by 'len'; the IP length must cover the frame
    // exactly (a guest's GSO frame has no Ethernet padding).
    ip_frame ip;
    if (!mss || !parse_ip_frame(frame, len, &ip) || ip.proto != 6
        || ip.l4 + ip.l4_len != len) {
        return 0;
    }
    const size_t l3 = ip.l3, l4 = ip.l4;
    const bool v4 = ip.ipv4;
    if (len < l4 + 20) {
        return 0;
    }
    size_t thl = (frame[l4 + 12] >> 4) * 4u;
    if (thl < 20 || len < l4 + thl) {
        return 0;
    }
    size_t hdr = l4 + thl;
    size_t payload = len - hdr;
    // Decided before any copy: the guest picked 'mss'.
    if ((payload + mss - 1) / mss > gso_max_segments) {
        *why = gso_refusal::too_many_segments;
        return 0;
    }
    *why = gso_refusal::none;
    uint32_t seq = be32(frame + l4 + 4);
    uint8_t flags = frame[l4 + 13];
    uint16_t ip_id = v4 ? be16(frame + l3 + 4) : 0;

    // One segment is at most the headers plus 'mss' (≤ 64 KiB).
    static thread_local uint8_t seg[65536 + 128];
    if (hdr > 128 + 1500) {
        return 0;
    }
    size_t n = 0;
    size_t off = 0;
    do {
        size_t chunk = payload - off < mss ? payload - off : mss;
        bool first = off == 0, last = off + chunk >= payload;
        std::memcpy(seg, frame, hdr);
        std::memcpy(seg + hdr, frame + hdr + off, chunk);
        size_t l4_len = thl + chunk;

        if (v4) {
            put16(seg + l3 + 2, static_cast<uint32_t>(l4 - l3 + l4_len));
            put16(seg + l3 + 4, static_cast<uint16_t>(ip_id + n));
            put16(seg + l3 + 10, 0);
            put16(seg + l3 + 10, fold(sum16(seg + l3, l4 - l3, 0)));
        } else {
            put16(seg + l3 + 4, static_cast<uint32_t>(l4_len));
        }
        put32(seg + l4 + 4, static_cast<uint32_t>(seq + off));
        uint8_t f = flags;
        if (!last) {
            f &= static_cast<uint8_t>(~(tcp_fin | tcp_psh));
        }
        if (!first) {
            f &= static_cast<uint8_t>(~tcp_cwr);
        }
        seg[l4 + 13] = f;

        // Checksum over the pseudo header and the segment.
        put16(seg + l4 + 16, 0);
        uint32_t sum = v4 ? sum16(seg + l3 + 12, 8, 0)
                          : sum16(seg + l3 + 8, 32, 0);
        sum += 6 + static_cast<uint32_t>(l4_len);
        sum = sum16(seg + l4, l4_len, sum);
        put16(seg + l4 + 16, fold(sum));

        emit(aux, seg, hdr + chunk);
        n++;
        off += chunk;
    } while (off < payload);
    return n;
}

}  // namespace linc
