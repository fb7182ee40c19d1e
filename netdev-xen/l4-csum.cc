// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.

#include "netdev-xen/l4-csum.h"

namespace linc {

namespace {

uint16_t be16(const uint8_t *p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

}  // namespace

bool parse_ip_frame(const uint8_t *f, size_t len, ip_frame *out)
{
    size_t off = 12;
    if (len < off + 2) {
        return false;
    }
    uint16_t type = be16(f + off);
    off += 2;
    if (type == 0x8100) {
        if (len < off + 4) {
            return false;
        }
        type = be16(f + off + 2);
        off += 4;
    }
    out->l3 = off;
    if (type == 0x0800) {
        if (len < off + 20 || (f[off] >> 4) != 4) {
            return false;
        }
        size_t ihl = (f[off] & 0xfu) * 4u;
        size_t tot = be16(f + off + 2);
        if (ihl < 20 || tot < ihl || len < off + tot) {
            return false;
        }
        out->proto = f[off + 9];
        out->l4 = off + ihl;
        out->l4_len = tot - ihl;
        out->ipv4 = true;
        return true;
    }
    if (type == 0x86dd) {
        if (len < off + 40) {
            return false;
        }
        size_t payload = be16(f + off + 4);
        if (len < off + 40 + payload) {
            return false;
        }
        out->proto = f[off + 6];
        out->l4 = off + 40;
        out->l4_len = payload;
        out->ipv4 = false;
        return true;
    }
    return false;
}

bool l4_csum_offsets(const uint8_t *frame, size_t len, uint16_t *csum_start,
                     uint16_t *csum_offset)
{
    ip_frame ip;
    if (!parse_ip_frame(frame, len, &ip)) {
        return false;
    }
    if (ip.proto == 6 && ip.l4_len >= 20) {
        *csum_offset = 16;
    } else if (ip.proto == 17 && ip.l4_len >= 8) {
        *csum_offset = 6;
    } else {
        return false;
    }
    *csum_start = static_cast<uint16_t>(ip.l4);
    return true;
}

bool complete_l4_csum(uint8_t *frame, size_t len)
{
    ip_frame ip;
    uint16_t start, field;
    if (!parse_ip_frame(frame, len, &ip)
        || !l4_csum_offsets(frame, len, &start, &field)) {
        return false;
    }
    size_t l4 = ip.l4, l4_len = ip.l4_len;
    uint8_t proto = ip.proto;
    // The field holds the pseudo-header sum; summing the whole segment
    // (field included) and complementing gives the checksum.
    const uint8_t *p = frame + l4;
    uint64_t sum = 0;
    size_t i = 0;
    for (; i + 1 < l4_len; i += 2) {
        sum += be16(p + i);
    }
    if (i < l4_len) {
        sum += static_cast<uint64_t>(p[i]) << 8;
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    uint16_t csum = static_cast<uint16_t>(~sum);
    if (proto == 17 && csum == 0) {
        csum = 0xffff;          // UDP: zero means "no checksum".
    }
    frame[l4 + field] = static_cast<uint8_t>(csum >> 8);
    frame[l4 + field + 1] = static_cast<uint8_t>(csum);
    return true;
}

bool fill_l4_csum(uint8_t *frame, size_t len)
{
    ip_frame ip;
    uint16_t start, field;
    if (!parse_ip_frame(frame, len, &ip)
        || !l4_csum_offsets(frame, len, &start, &field)) {
        return false;
    }
    // The pseudo-header sum, folded, not complemented: what a partial
    // checksum holds; complete_l4_csum() does the rest.
    const uint8_t *addrs = frame + ip.l3 + (ip.ipv4 ? 12 : 8);
    const size_t addr_len = ip.ipv4 ? 8 : 32;
    uint64_t sum = ip.proto + (ip.l4_len >> 16) + (ip.l4_len & 0xffff);
    for (size_t i = 0; i < addr_len; i += 2) {
        sum += be16(addrs + i);
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    frame[ip.l4 + field] = static_cast<uint8_t>(sum >> 8);
    frame[ip.l4 + field + 1] = static_cast<uint8_t>(sum);
    return complete_l4_csum(frame, len);
}

}  // namespace linc
