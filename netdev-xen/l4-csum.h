// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// Partial L4 checksums.  A Linux guest's netfront marks TCP and UDP packets
// NETTXF_csum_blank: the checksum field holds only the pseudo-header sum
// and whoever delivers the packet must finish it (what a NIC does).  The
// backend finishes it before the packet leaves for a port that expects
// complete packets; the guest emulator uses the offsets for tap's
// virtio-net header.

#ifndef LINC_L4_CSUM_H
#define LINC_L4_CSUM_H 1

#include <cstddef>
#include <cstdint>

namespace linc {

// Where an Ethernet frame's IP and L4 headers are.
struct ip_frame {
    size_t l3;          // IP header offset.
    size_t l4;          // L4 header offset.
    size_t l4_len;      // L4 length the IP header claims.
    uint8_t proto;      // IPv4 protocol or IPv6 next header.
    bool ipv4;
};

// Parses an Ethernet frame carrying IPv4 or IPv6 (at most one VLAN tag, no
// IPv6 extension headers), bounded by 'len': false if it is neither, or if
// the IP header or the length it claims runs past the frame.
bool parse_ip_frame(const uint8_t *frame, size_t len, ip_frame *out);

// Finds the L4 header of an Ethernet frame carrying IPv4 or IPv6 (at most
// one VLAN tag, no IPv6 extension headers) with TCP or UDP: '*csum_start'
// is its offset, '*csum_offset' that of the checksum field within it.
// Returns false for anything else or a truncated frame.
bool l4_csum_offsets(const uint8_t *frame, size_t len, uint16_t *csum_start,
                     uint16_t *csum_offset);

// Completes a partial checksum in place: the checksum field is expected to
// hold the folded pseudo-header sum (Linux's CHECKSUM_PARTIAL convention);
// the sum over the L4 header and payload is added.  Returns false, leaving
// the frame alone, if l4_csum_offsets() fails or the IP length disagrees
// with the frame.
bool complete_l4_csum(uint8_t *frame, size_t len);

// Computes a TCP or UDP checksum from scratch, whatever the field held
// (for a packet whose sender left it to "hardware" without saying what is
// in the field).  False, as complete_l4_csum(), for anything else.
bool fill_l4_csum(uint8_t *frame, size_t len);

}  // namespace linc

#endif  // netdev-xen/l4-csum.h
