// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.

#include "netdev-xen/gso.h"

#include "netdev-xen/l4-csum.h"

#include <algorithm>
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

// Ethernet, one VLAN tag, IPv4 with options or IPv6, and TCP's first 20
// bytes: what parse_tcp_gso() reads before it knows the TCP header length.
constexpr size_t max_l3_headers = 14 + 4 + 60 + 20;

}  // namespace

namespace {

// A GSO frame's headers, as tcp_segment() and gso_prepare() accept them.
struct tcp_gso_frame {
    size_t l3, l4, thl, hdr, payload;
    bool v4;
};

// Parses once, bounded by 'len'; the IP length must cover the frame exactly
// (a guest's GSO frame has no Ethernet padding).  Decides on the segment
// count before any copy: the guest picked 'mss'.
bool parse_tcp_gso(const uint8_t *frame, size_t len, uint16_t mss,
                   tcp_gso_frame *t, gso_refusal *why)
{
    *why = gso_refusal::not_tcp;
    ip_frame ip;
    if (!mss || !parse_ip_frame(frame, len, &ip) || ip.proto != 6
        || ip.l4 + ip.l4_len != len || len < ip.l4 + 20) {
        return false;
    }
    t->l3 = ip.l3;
    t->l4 = ip.l4;
    t->v4 = ip.ipv4;
    t->thl = (frame[ip.l4 + 12] >> 4) * 4u;
    if (t->thl < 20 || len < t->l4 + t->thl) {
        return false;
    }
    t->hdr = t->l4 + t->thl;
    t->payload = len - t->hdr;
    if ((t->payload + mss - 1) / mss > gso_max_segments) {
        *why = gso_refusal::too_many_segments;
        return false;
    }
    *why = gso_refusal::none;
    return true;
}

}  // namespace

bool gso_prepare(uint8_t *frame, size_t len, size_t avail, uint16_t mss,
                 bool ipv6, gso_refusal *why)
{
    gso_refusal dummy;
    tcp_gso_frame t;
    if (!why) {
        why = &dummy;
    }
    // Parsing reads the Ethernet, VLAN and IP headers (at most 78 bytes)
    // and the TCP header, checked against 'avail' once its length is known.
    *why = gso_refusal::not_tcp;
    if (avail < std::min<size_t>(len, max_l3_headers)
        || !parse_tcp_gso(frame, len, mss, &t, why)) {
        return false;
    }
    if (t.hdr > avail) {
        *why = gso_refusal::not_tcp;
        return false;
    }
    if (t.v4 == ipv6) {
        *why = gso_refusal::not_tcp;    // The GSO type names the other IP.
        return false;
    }
    // Linux's CHECKSUM_PARTIAL convention: the field holds the folded
    // pseudo-header sum, not complemented.
    const uint32_t l4_len = static_cast<uint32_t>(len - t.l4);
    uint32_t sum = t.v4 ? sum16(frame + t.l3 + 12, 8, 0)
                        : sum16(frame + t.l3 + 8, 32, 0);
    sum += 6 + (l4_len >> 16) + (l4_len & 0xffff);
    put16(frame + t.l4 + 16, static_cast<uint16_t>(~fold(sum)));
    return true;
}

size_t tcp_segment(const uint8_t *frame, size_t len, uint16_t mss,
                   gso_emit emit, void *aux, gso_refusal *why)
{
    gso_refusal dummy;
    tcp_gso_frame t;
    if (!why) {
        why = &dummy;
    }
    if (!parse_tcp_gso(frame, len, mss, &t, why)) {
        return 0;
    }
    const size_t l3 = t.l3, l4 = t.l4, thl = t.thl, hdr = t.hdr;
    const size_t payload = t.payload;
    const bool v4 = t.v4;
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
