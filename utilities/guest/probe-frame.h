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
// everything else is built once.  They all lie in the first min_size
// bytes, so a sender that keeps a copy of the frame in place (a granted
// buffer) rewrites only those: write_flow() and stamp() on its copy.

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
    // parse() reads no further than this (IPv4 and TCP headers with
    // options).
    static constexpr size_t max_parse_len = eth_len + 60 + 60 + probe_len;
    // TCP probes (build_tcp_gso()): IPv4 and TCP without options.
    static constexpr size_t tcp_off = ip_off + 20;
    static constexpr size_t tcp_payload_off = tcp_off + 20;
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
        uint8_t *ip = write_eth_ipv4(f_, src, dst, 17, size_);
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
    void set_flow(uint32_t flow) { write_flow(f_, flow); }

    // The same in 'frame', a copy of this frame (for any flow).
    void write_flow(uint8_t *frame, uint32_t flow) const
    {
        uint8_t *ip = frame + ip_off;
        uint32_t a = src_ip(flow);
        put32(ip + 12, a);
        uint32_t sum = base_sum_ + (a >> 16) + (a & 0xffff);
        sum = (sum & 0xffff) + (sum >> 16);
        sum = (sum & 0xffff) + (sum >> 16);
        put16(ip + 10, static_cast<uint16_t>(~sum));
        put16(frame + udp_off, src_port(flow));
    }

    // Writes the sequence number and send time.
    void stamp(uint64_t seq, uint64_t send_ns) { stamp(f_, seq, send_ns); }

    // The same in 'frame', a copy of a probe frame.
    static void stamp(uint8_t *frame, uint64_t seq, uint64_t send_ns)
    {
        put64(frame + payload_off + 4, seq);
        put64(frame + payload_off + 12, send_ns);
    }

    // A TCP/IPv4 frame for a guest to send with GSO (gso_size 'mss'), of
    // 'nsegs' segments, from flow 0's address and port to dst_ip:dst_port,
    // whose payload is 'nsegs' chunks of 'mss' bytes each starting as a
    // probe's payload does, with sequence numbers first_seq, first_seq + 1,
    // ...: once cut into segments, each is a probe of its own (parse()).
    // 'mss' is at least probe_len; the frame, tcp_payload_off + mss * nsegs
    // bytes (at most max_size), goes into 'buf'.  Its TCP checksum is left
    // to whoever segments it (the guest marks it csum_blank).  Returns its
    // length, or 0 if the sizes do not fit.
    static size_t build_tcp_gso(uint8_t *buf, const std::array<uint8_t, 6> &src,
                                const std::array<uint8_t, 6> &dst,
                                uint16_t mss, size_t nsegs,
                                uint64_t first_seq, uint64_t send_ns,
                                uint32_t tcp_seq)
    {
        const size_t len = tcp_payload_off + size_t{mss} * nsegs;
        if (mss < probe_len || !nsegs || len > max_size) {
            return 0;
        }
        std::memset(buf, 0, tcp_payload_off);
        uint8_t *ip = write_eth_ipv4(buf, src, dst, 6, len);
        put32(ip + 12, src_ip(0));
        put32(ip + 16, dst_ip);
        put16(ip + 10, static_cast<uint16_t>(~sum16(ip, 20)));
        uint8_t *tcp = buf + tcp_off;
        put16(tcp, src_port(0));
        put16(tcp + 2, dst_port);
        put32(tcp + 4, tcp_seq);
        tcp[12] = 5 << 4;                       // 20-byte header
        tcp[13] = 0x18;                         // ACK, PSH
        put16(tcp + 14, 65535);                 // window
        for (size_t k = 0; k < nsegs; k++) {
            uint8_t *chunk = buf + tcp_payload_off + k * mss;
            std::memset(chunk, 0, mss);
            put32(chunk, magic);
            put64(chunk + 4, first_seq + k);
            put64(chunk + 12, send_ns);
        }
        return len;
    }

    // Whether 'frame' ('len' bytes) is a probe (IPv4 with any header
    // length, UDP or TCP, the magic); if so its sequence number and send
    // time.
    // Reads at most the first max_parse_len bytes: a caller can pass a
    // copy of a frame's start, with 'len' the bytes copied.
    // '*payload_at' (if given) is where the probe's fields start.
    static bool parse(const uint8_t *frame, size_t len, uint64_t *seq,
                      uint64_t *send_ns, size_t *payload_at = nullptr)
    {
        // Our own frames first: IPv4 without options, UDP, the magic.
        if (len >= min_size
            && (get32(frame + eth_len - 2) & 0xffffff00u) == 0x08004500u
            && frame[ip_off + 9] == 17 && get32(frame + payload_off) == magic) {
            *seq = get64(frame + payload_off + 4);
            *send_ns = get64(frame + payload_off + 12);
            if (payload_at) {
                *payload_at = payload_off;
            }
            return true;
        }
        if (len < min_size || frame[12] != 0x08 || frame[13] != 0x00
            || (frame[ip_off] >> 4) != 4
            || (frame[ip_off + 9] != 17 && frame[ip_off + 9] != 6)) {
            return false;
        }
        size_t ihl = (frame[ip_off] & 0xfu) * 4u;
        size_t p = ip_off + ihl + 8;
        if (frame[ip_off + 9] == 6) {
            if (ip_off + ihl + 13 > len) {
                return false;
            }
            p = ip_off + ihl + (frame[ip_off + ihl + 12] >> 4) * 4u;
        }
        if (ihl < 20 || p + probe_len > len || get32(frame + p) != magic) {
            return false;
        }
        *seq = get64(frame + p + 4);
        *send_ns = get64(frame + p + 12);
        if (payload_at) {
            *payload_at = p;
        }
        return true;
    }

    // Whether the 'len' bytes at 'payload' are a probe's fields (the magic
    // first); if so its sequence number.
    static bool parse_payload(const uint8_t *payload, size_t len,
                              uint64_t *seq)
    {
        if (len < probe_len || get32(payload) != magic) {
            return false;
        }
        *seq = get64(payload + 4);
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
    // The Ethernet header and an IPv4 header (no options, DF, TTL 64, to
    // dst_ip, no source address or checksum yet) of a 'len'-byte frame of
    // IP protocol 'proto' into zeroed 'frame'; returns the IP header.
    static uint8_t *write_eth_ipv4(uint8_t *frame,
                                   const std::array<uint8_t, 6> &src,
                                   const std::array<uint8_t, 6> &dst,
                                   uint8_t proto, size_t len)
    {
        std::memcpy(frame, dst.data(), 6);
        std::memcpy(frame + 6, src.data(), 6);
        frame[12] = 0x08;
        frame[13] = 0x00;
        uint8_t *ip = frame + ip_off;
        ip[0] = 0x45;
        put16(ip + 2, static_cast<uint16_t>(len - eth_len));
        ip[6] = 0x40;                           // DF
        ip[8] = 64;                             // TTL
        ip[9] = proto;
        put32(ip + 16, dst_ip);
        return ip;
    }

    // Network byte order, any alignment.
    template <typename T>
    static T swap_be(T v)       // host <-> big endian
    {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        if constexpr (sizeof v == 2) {
            return __builtin_bswap16(v);
        } else if constexpr (sizeof v == 4) {
            return __builtin_bswap32(v);
        } else {
            return __builtin_bswap64(v);
        }
#else
        return v;
#endif
    }
    static void put16(uint8_t *p, uint16_t v)
    {
        v = swap_be(v);
        std::memcpy(p, &v, sizeof v);
    }
    static void put32(uint8_t *p, uint32_t v)
    {
        v = swap_be(v);
        std::memcpy(p, &v, sizeof v);
    }
    static void put64(uint8_t *p, uint64_t v)
    {
        v = swap_be(v);
        std::memcpy(p, &v, sizeof v);
    }
    static uint32_t get32(const uint8_t *p)
    {
        uint32_t v;
        std::memcpy(&v, p, sizeof v);
        return swap_be(v);
    }
    static uint64_t get64(const uint8_t *p)
    {
        uint64_t v;
        std::memcpy(&v, p, sizeof v);
        return swap_be(v);
    }

    uint8_t f_[max_size] = {};
    size_t size_ = min_size;
    uint32_t base_sum_ = 0;
};

}  // namespace linc::guest

#endif  // utilities/guest/probe-frame.h
