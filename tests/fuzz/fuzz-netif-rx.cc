// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// fuzz-netif-rx: netif_backend::rx_burst(), or rx_send() with its receive
// queue, against an RX ring page a
// hostile guest wrote, delivering packets whose lengths, flags and GSO
// metadata come from the input, from local memory or (guest to guest)
// partly from granted pages described by a frame_frags.
//
// Input:
//   [0]      features and modes:
//              bit 0  feature-sg               bit 4  req_prod as given
//              bit 1  GSO TCPv4 to the guest          (else folded to at
//              bit 2  GSO TCPv6 to the guest          most a ring ahead of
//                                                     rsp_prod)
//              bit 3  partial checksums        bit 5  rx_burst(packet_buf *)
//                     (!feature-no-csum-       bit 6  pass foreign_failed
//                     offload)                 bit 7  the guest rewrites its
//                                                     ring at every copy
//   [1]      packets (mod 17)
//   [2]      rounds: bits 0-1 bursts - 1; bit 2 rx_buffers_available([3]);
//            bit 3 on_event before each burst; bit 4 rx_send() (what finds
//            no buffers waits), then rx_queue_run() and
//            rx_queue_final_check(), instead of rx_burst()
//   [3]      rx_buffers_available() slots
//   [4]      ring rewrite: added to req_prod
//   [5]      ring rewrite: xor into every request's id
//   [6, 8)   ring rewrite: xor into every request's gref
//   [16, 272)    16 packet descriptors of 16 bytes:
//                  [0, 4) len (& 0x1ffff)   [4, 6) packet_flags
//                  [6] gso_type   [7] mode: bit 0 source frags, bit 1 make
//                  their lengths add up to len, bit 2 another domain's
//                  grants, bits 3-7 how many frags
//                  [8, 10) gso_size   [10, 14) copied   [14] first frag
//                  [15] fill byte
//   [272, 528)   32 frags of 8 bytes: gref (4), offset (2), len (2)
//   [528, 528 + 4096)  the RX ring page (struct netif_rx_sring), as is
// Missing bytes are zeros.  Grant references: see fuzz-guest.h.

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "tests/fuzz/fuzz-guest.h"

using namespace linc::xen;
using linc::xen::fuzz::bound_req_prod;
using linc::xen::fuzz::guest_world;
using linc::xen::fuzz::input_reader;

namespace {

constexpr size_t max_pkts = 16;
constexpr size_t desc_off = 16;
constexpr size_t desc_size = 16;
constexpr size_t nfrags_pool = 32;
constexpr size_t frag_off = desc_off + max_pkts * desc_size;
constexpr size_t ring_off = frag_off + nfrags_pool * 8;

struct packet {
    packet_view view{};
    packet_buf buf{};
    frame_frags frags{};
    uint8_t *data = nullptr;
};

// The responses [from, to) as the guest's netfront reads them: returns the
// packets delivered whole and their bytes.
void walk_responses(guest_world &w, const netif_features &f, RING_IDX from,
                    RING_IDX to, uint64_t *packets, uint64_t *bytes)
{
    netif_rx_sring *s = w.rx_sring();
    FUZZ_CHECK(to - from <= netif_rx_ring_size);
    bool first = true;
    for (RING_IDX i = from; i != to; i++) {
        netif_rx_response r = copy_rx_response(
            &s->ring[i % netif_rx_ring_size].rsp);
        if (r.status < 0) {
            FUZZ_CHECK(r.status == NETIF_RSP_ERROR);
            FUZZ_CHECK(first);      // a failed packet fails all its slots
            continue;
        }
        FUZZ_CHECK(r.status > 0 && uint32_t(r.status) <= page_size);
        FUZZ_CHECK(r.offset == 0);
        if (first) {
            ++*packets;
        } else {
            FUZZ_CHECK(!(r.flags & NETRXF_extra_info));
        }
        *bytes += uint32_t(r.status);
        if (r.flags & NETRXF_extra_info) {
            // The GSO extra of the packet's first slot.
            i++;
            FUZZ_CHECK(i != to);
            netif_extra_info e = copy_extra_info(
                &s->ring[i % netif_rx_ring_size]);
            FUZZ_CHECK(e.type == XEN_NETIF_EXTRA_TYPE_GSO);
            FUZZ_CHECK(!(e.flags & XEN_NETIF_EXTRA_FLAG_MORE));
            FUZZ_CHECK((e.u.gso.type == XEN_NETIF_GSO_TYPE_TCPV4
                        && f.gso_tcpv4)
                       || (e.u.gso.type == XEN_NETIF_GSO_TYPE_TCPV6
                           && f.gso_tcpv6));
        }
        first = !(r.flags & NETRXF_more_data);
        if (!f.sg) {
            FUZZ_CHECK(first);
        }
    }
    FUZZ_CHECK(first);              // no packet left half-answered
}

// Whether the requests the next burst takes post one of the guest's own
// ring pages as a buffer: the burst's copies then rewrite the ring under
// the responses, and only the guest suffers (what the responses say is
// no longer checked).
bool posts_ring_page(guest_world &w)
{
    netif_rx_sring *s = w.rx_sring();
    const RING_IDX rsp = s->rsp_prod, req = s->req_prod;
    for (RING_IDX i = rsp; i != req && i - rsp < netif_rx_ring_size; i++) {
        const grant_ref_t g = s->ring[i % netif_rx_ring_size].req.gref;
        if (g == guest_world::tx_ring_gref || g == guest_world::rx_ring_gref) {
            return true;
        }
    }
    return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    guest_world &w = guest_world::get();
    const input_reader in{data, size};
    const uint8_t cfg = in.u8(0);
    const size_t npkts = in.u8(1) % (max_pkts + 1);
    const uint8_t rounds = in.u8(2);
    const bool raw_prod = cfg & 16;
    const bool rewrite = cfg & 128;

    // The rings: TX empty (the backend attaches to it too), RX from the
    // input.
    std::memset(w.tx_map, 0, page_size);
    in.copy(ring_off, w.rx_map, page_size);
    netif_rx_sring *s = w.rx_sring();
    if (!raw_prod) {
        bound_req_prod(s, netif_rx_ring_size);
    }
    // The guest rewrites its ring at the first grant copy of each burst,
    // before any of that burst's responses (which overlay the requests)
    // are written.
    static bool armed;
    armed = false;
    if (rewrite) {
        const uint8_t prod_delta = in.u8(4);
        const uint8_t id_xor = in.u8(5);
        const uint16_t gref_xor = in.u16(6);
        w.xen.during_copy = [s, prod_delta, id_xor, gref_xor]() {
            if (!armed) {
                return;
            }
            armed = false;
            s->req_prod += prod_delta;
            for (unsigned i = 0; i < netif_rx_ring_size; i++) {
                s->ring[i].req.id ^= id_xor;
                s->ring[i].req.gref ^= gref_xor;
            }
        };
    }

    netif_features f;
    f.sg = cfg & 1;
    f.gso_tcpv4 = f.tx_gso_tcpv4 = cfg & 2;
    f.gso_tcpv6 = f.tx_gso_tcpv6 = cfg & 4;
    f.rx_csum = cfg & 8;
    auto be = std::make_unique<netif_backend>(&w.xen.backend(), w.tx_map,
                                              w.rx_map, w.config(f));

    // The packets.  Each one's data is its own allocation of exactly the
    // bytes the backend may read: 'len', or the 'copied' head when the
    // rest comes from a source guest's pages.
    std::vector<packet> pkts(npkts);
    std::vector<packet_view> views(npkts);
    std::vector<packet_buf> bufs(npkts);
    for (size_t k = 0; k < npkts; k++) {
        const size_t d = desc_off + k * desc_size;
        packet &p = pkts[k];
        const uint32_t len = in.u32(d) & 0x1ffff;
        const uint8_t mode = in.u8(d + 7);
        const bool source = mode & 1;
        const uint32_t copied = in.u32(d + 10);
        const uint32_t head = source ? std::min(copied, len) : len;
        p.data = static_cast<uint8_t *>(std::malloc(head));
        std::memset(p.data, in.u8(d + 15), head);
        if (source) {
            p.frags.domid = (mode & 4) ? guest_world::other_dom
                                       : guest_world::fe_dom;
            p.frags.n = mode >> 3;
            const unsigned first = in.u8(d + 14);
            uint32_t sum = 0;
            for (unsigned i = 0; i < p.frags.n && i < netif_max_slots; i++) {
                const size_t fo = frag_off + ((first + i) % nfrags_pool) * 8;
                grant_frag &g = p.frags.frags[i];
                g.gref = in.u32(fo);
                g.offset = in.u16(fo + 4);
                g.len = in.u16(fo + 6);
                if (mode & 2) {
                    // Lengths that add up: the last takes the rest.
                    g.len = uint16_t(std::min<uint32_t>(g.len, len - sum));
                    if (i + 1 == std::min<unsigned>(p.frags.n,
                                                    netif_max_slots)) {
                        g.len = uint16_t(len - sum);
                    }
                }
                sum += g.len;
            }
        }
        packet_view &v = views[k];
        v.data = p.data;
        v.len = len;
        v.flags = in.u16(d + 4);
        v.gso_type = in.u8(d + 6);
        v.gso_size = in.u16(d + 8);
        v.source = source ? &p.frags : nullptr;
        v.copied = copied;
        packet_buf &b = bufs[k];
        b.data = p.data;
        b.len = len;
        b.capacity = len;
        b.flags = v.flags;
        b.gso_type = v.gso_type;
        b.gso_size = v.gso_size;
        b.copied = copied;
        b.frags = source ? &p.frags : nullptr;
    }

    uint64_t delivered = 0, walked = 0, bytes = 0;
    bool self_harm = false;
    std::unique_ptr<bool[]> foreign(new bool[npkts + 1]);
    for (unsigned round = 0; round <= (rounds & 3u); round++) {
        if (rounds & 4) {
            be->rx_buffers_available(in.u8(3));
        }
        if (rounds & 8) {
            be->on_event(w.be_port);
        }
        const RING_IDX rsp_before = s->rsp_prod;
        const RING_IDX prod_before = s->req_prod;
        const bool was_failed = be->failed();
        self_harm = self_harm || posts_ring_page(w);
        armed = true;
        bool *ff = (cfg & 64) ? foreign.get() : nullptr;
        size_t n;
        if (rounds & 16) {
            const uint64_t before = be->counters().rx_packets;
            n = (cfg & 32) ? be->rx_send(bufs.data(), npkts, ff)
                           : be->rx_send(views.data(), npkts, ff);
            be->rx_queue_run();
            uint64_t wait_ns;
            be->rx_queue_final_check(&wait_ns);
            const netif_rx_queue_limits l;
            FUZZ_CHECK(be->rx_queued_packets() <= l.max_packets);
            FUZZ_CHECK(be->rx_queued_bytes() <= l.max_bytes);
            FUZZ_CHECK(n <= npkts);
            if (was_failed) {
                FUZZ_CHECK(n == 0);
            }
            delivered += be->counters().rx_packets - before;
        } else {
            n = (cfg & 32) ? be->rx_burst(bufs.data(), npkts, ff)
                           : be->rx_burst(views.data(), npkts, ff);
            FUZZ_CHECK(n <= npkts);
            if (was_failed) {
                FUZZ_CHECK(n == 0);
            }
            delivered += n;
        }
        if (!self_harm) {
            walk_responses(w, f, rsp_before, s->rsp_prod, &walked, &bytes);
        }
        if (!rewrite && !self_harm
            && prod_before - rsp_before <= netif_rx_ring_size) {
            // Responses only for buffers the guest posted.
            FUZZ_CHECK(s->rsp_prod - rsp_before <= prod_before - rsp_before);
        }
        netif_status st = be->state();
        if (be->failed()) {
            size_t len = std::strlen(st.reason);
            FUZZ_CHECK(len > 0 && len < 160);
        }
    }
    const netif_counters &c = be->counters();
    FUZZ_CHECK(c.rx_packets == delivered);
    if (!self_harm) {
        FUZZ_CHECK(walked == delivered);
        FUZZ_CHECK(c.rx_bytes == bytes);
    }
    if (fuzz::verbose()) {
        std::fprintf(stderr, "rx: %llu delivered (%llu guest to guest), "
                     "%llu errors, %llu no buffers, %llu too big, "
                     "%llu offload, %llu invalid, %llu foreign failed; %s\n",
                     (unsigned long long) delivered,
                     (unsigned long long) c.rx_foreign_packets,
                     (unsigned long long) c.rx_errors,
                     (unsigned long long) c.rx_dropped_no_buffers,
                     (unsigned long long) c.rx_dropped_too_big,
                     (unsigned long long) c.rx_dropped_offload,
                     (unsigned long long) c.rx_dropped_invalid,
                     (unsigned long long) c.rx_foreign_failed,
                     be->failed() ? be->state().reason : "connected");
    }

    be.reset();
    w.xen.during_copy = nullptr;
    for (packet &p : pkts) {
        std::free(p.data);
    }
    return 0;
}
