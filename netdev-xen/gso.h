// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// Software TCP segmentation for frames a guest sent with GSO.
//
// A guest that negotiated feature-gso-tcpv4/-tcpv6 hands the backend TCP
// frames of up to 64 KiB with an MSS (netif's GSO extra info), as it would
// to a NIC with TSO.  OVS 3.1 cannot segment in software, and most ports
// cannot take such frames, so the backend cuts them into MSS-sized segments
// before they reach the datapath, each a complete, checksummed packet: what
// the NIC would have put on the wire.

#ifndef LINC_GSO_H
#define LINC_GSO_H 1

#include <cstddef>
#include <cstdint>

namespace linc {

// Called once per segment; 'seg' is valid only during the call.
using gso_emit = void (*)(void *aux, const uint8_t *seg, size_t len);

// The most segments one GSO frame may become.  A guest chooses the MSS
// ('gso_size'): with gso_size = 1 a 64 KiB frame would be about 65,000
// packets, each allocated, classified and forwarded, from one ring slot.
// 256 segments take a 64 KiB frame down to an MSS of 256 bytes, below
// what TCP uses on any real path (IPv4's default MSS is 536, IPv6's
// minimum MTU gives 1220); frames that would need more are refused
// whole, before any work, and counted.
constexpr size_t gso_max_segments = 256;

// Why tcp_segment() emitted nothing.
enum class gso_refusal {
    none,
    not_tcp,            // not TCP over IPv4/IPv6 it can cut, or truncated
    too_many_segments,  // more than gso_max_segments
};

// Segments the Ethernet/IPv4-or-IPv6/TCP frame 'frame' into payloads of at
// most 'mss' bytes: IP lengths (and IPv4 ids and header checksums), TCP
// sequence numbers and flags (FIN and PSH only on the last segment, CWR only
// on the first) and TCP checksums are rewritten for each.  Returns the
// number of segments emitted, or 0 (emitting nothing) if the frame is not
// TCP over IPv4/IPv6 (at most one VLAN tag, no IPv6 extension headers),
// is truncated, or 'mss' is 0, or if it would make more than
// gso_max_segments segments ('*why', if given, says which).  A frame whose
// payload fits in one segment is emitted as is, with its checksum
// completed.
size_t tcp_segment(const uint8_t *frame, size_t len, uint16_t mss,
                   gso_emit emit, void *aux, gso_refusal *why = nullptr);

// For a GSO frame passed on whole to a receiver that takes GSO (another
// guest): checks it as tcp_segment() would cut it ('ipv6' is the GSO type:
// XEN_NETIF_GSO_TYPE_TCPV6) and writes the partial checksum, the folded
// pseudo-header sum, into its TCP checksum field, as a frame marked
// csum_blank must hold.  The sender may have left anything there: Linux's
// netback recomputes it too for frontends that send GSO without
// csum_blank, and the receiver's segments are only as good as that field.
// Returns false, '*why' saying why, for a frame tcp_segment() would refuse
// or whose IP version is not the GSO type's.
// Only the frame's first 'avail' bytes need be there (the rest may still
// be in the guest's pages): false if its headers go further.
bool gso_prepare(uint8_t *frame, size_t len, size_t avail, uint16_t mss,
                 bool ipv6, gso_refusal *why = nullptr);

}  // namespace linc

#endif  // netdev-xen/gso.h
