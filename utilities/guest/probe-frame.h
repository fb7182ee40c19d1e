// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// The emulated guest's generated frames ("probes"): Ethernet, IPv4 without
// options, UDP with checksum 0 (none), and a payload that starts with
//
//     offset 0   u32  magic 0x4c494e43 ("LINC"), network order
//     offset 4   u64  sequence number, network order
//     offset 12  u64  CLOCK_MONOTONIC send time in ns, network order
//
// then zeros up to the frame size.  Flow k (0 <= k < max_flows) of a
// generator has UDP source port 1024 + k % 64000 and IPv4 source address
// 10.1.0.0 + k, so that every flow differs in the source address and up to
// 64000 flows also in the source port.  Only those fields, the IP header
// checksum, the sequence number and the time change from frame to frame;
// everything else is built once.

#ifndef LINC_GUEST_PROBE_FRAME_H
#define LINC_GUEST_PROBE_FRAME_H 1

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace linc::guest {

class probe_frame {
public:
    static constexpr uint32_t magic = 0x4c494e43;
    static constexpr size_t eth_len = 14;
    static constexpr size_t ip_off = eth_len;
    static constexpr size_t udp_off = ip_off + 20;
    static constexpr size_t payload_off = udp_off + 8;
    static constexpr size_t probe_len = 4 + 8 + 8;
    static constexpr size_t min_size = payload_off + probe_len;     // 62
    static constexpr size_t max_size = 65535;      // XEN_NETIF_MAX_TX_SIZE
    static constexpr uint32_t max_flows = 1000000;
    static constexpr uint32_t base_src_ip = 0x0a010000;   // 10.1.0.0
    static constexpr uint32_t dst_ip = 0x0a000002;        // 10.0.0.2
    static constexpr uint16_t base_src_port = 1024;
    static constexpr uint16_t dst_port = 5001;

    // Builds the frame of 'size' bytes (clamped to min_size..max_size)
    // from 'src' to 'dst', for flow 0.
    void build(const std::array<uint8_t, 6> &src,
               const std::array<uint8_t, 6> &dst, size_t size)
    {
        size_ = size < min_size ? min_size : size > max_size ? max_size : size;
        std::memset(f_, 0, sizeof f_);
        std::memcpy(f_, dst.data(), 6);
        std::memcpy(f_ + 6, src.data(), 6);
        f_[12] = 0x08;
        f_[13] = 0x00;
        uint8_t *ip = f_ + ip_off;
        ip[0] = 0x45;
        put16(ip + 2, static_cast<uint16_t>(size_ - eth_len));
        ip[6] = 0x40;                           // DF
        ip[8] = 64;                             // TTL
        ip[9] = 17;                             // UDP
        put32(ip + 16, dst_ip);
        uint8_t *udp = f_ + udp_off;
        put16(udp + 2, dst_port);
        put16(udp + 4, static_cast<uint16_t>(size_ - udp_off));
        put32(f_ + payload_off, magic);
        // The IP checksum without the source address, for set_flow().
        put32(ip + 12, 0);
        base_sum_ = sum16(ip, 20);
        set_flow(0);
    }

    size_t size() const { return size_; }
    const uint8_t *data() const { return f_; }

    static uint32_t src_ip(uint32_t flow) { return base_src_ip + flow; }
    static uint16_t src_port(uint32_t flow)
    {
        return static_cast<uint16_t>(base_src_port + flow % 64000);
    }

    // Rewrites the fields that identify flow 'flow' (< max_flows).
    void set_flow(uint32_t flow)
    {
        uint8_t *ip = f_ + ip_off;
        uint32_t a = src_ip(flow);
        put32(ip + 12, a);
        uint32_t sum = base_sum_ + (a >> 16) + (a & 0xffff);
        sum = (sum & 0xffff) + (sum >> 16);
        sum = (sum & 0xffff) + (sum >> 16);
        put16(ip + 10, static_cast<uint16_t>(~sum));
        put16(f_ + udp_off, src_port(flow));
    }

    // Writes the sequence number and send time.
    void stamp(uint64_t seq, uint64_t send_ns)
    {
        put64(f_ + payload_off + 4, seq);
        put64(f_ + payload_off + 12, send_ns);
    }

    // Whether 'frame' ('len' bytes) is a probe (IPv4 with any header
    // length, UDP, the magic); if so its sequence number and send time.
    static bool parse(const uint8_t *frame, size_t len, uint64_t *seq,
                      uint64_t *send_ns)
    {
        if (len < min_size || frame[12] != 0x08 || frame[13] != 0x00
            || (frame[ip_off] >> 4) != 4 || frame[ip_off + 9] != 17) {
            return false;
        }
        size_t ihl = (frame[ip_off] & 0xfu) * 4u;
        size_t p = ip_off + ihl + 8;
        if (ihl < 20 || p + probe_len > len || get32(frame + p) != magic) {
            return false;
        }
        *seq = get64(frame + p + 4);
        *send_ns = get64(frame + p + 12);
        return true;
    }

    // The one's complement sum of 'n' bytes (n even), folded to 16 bits.
    static uint32_t sum16(const uint8_t *p, size_t n)
    {
        uint32_t sum = 0;
        for (size_t i = 0; i + 1 < n; i += 2) {
            sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
        }
        while (sum >> 16) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return sum;
    }

private:
    static void put16(uint8_t *p, uint16_t v)
    {
        p[0] = static_cast<uint8_t>(v >> 8);
        p[1] = static_cast<uint8_t>(v);
    }
    static void put32(uint8_t *p, uint32_t v)
    {
        put16(p, static_cast<uint16_t>(v >> 16));
        put16(p + 2, static_cast<uint16_t>(v));
    }
    static void put64(uint8_t *p, uint64_t v)
    {
        put32(p, static_cast<uint32_t>(v >> 32));
        put32(p + 4, static_cast<uint32_t>(v));
    }
    static uint32_t get32(const uint8_t *p)
    {
        return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16
               | uint32_t(p[2]) << 8 | p[3];
    }
    static uint64_t get64(const uint8_t *p)
    {
        return uint64_t(get32(p)) << 32 | get32(p + 4);
    }

    uint8_t f_[max_size] = {};
    size_t size_ = min_size;
    uint32_t base_sum_ = 0;
};

}  // namespace linc::guest

#endif  // utilities/guest/probe-frame.h
