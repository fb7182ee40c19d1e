// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// fuzz-netif-tx: the TX request parser of netif_backend, fed a TX ring page
// a hostile guest wrote.
//
// Input:
//   [0]      features and modes:
//              bit 0  feature-sg          bit 4  the guest rewrites its ring
//              bit 1  TX GSO TCPv4               at every grant copy
//              bit 2  TX GSO TCPv6        bit 5  a "rate" credit (bytes [6,8))
//              bit 3  req_prod as given   bit 6  finish checksums and segment
//                     (else folded to at         GSO frames as vif.cc does
//                     most a ring ahead of
//                     rsp_prod)
//   [1]      four rounds, two bits each: 0 tx_burst, 1 tx_burst_split +
//            tx_finish, 2 tx_burst_split + tx_fetch of every split packet +
//            tx_finish, 3 on_event/needs_work/final_check/credit_wait_ns
//   [2]      burst size - 1 (mod 64)
//   [3]      packet buffer capacities (see capacity_for())
//   [4, 6)   copy limit of split bursts
//   [6, 8)   credit bytes (its window is long enough never to pass)
//   [8]      ring rewrite: added to req_prod
//   [9]      ring rewrite: xor into every request's flags
//   [10, 12) ring rewrite: xor into every request's size
//   [16, 16 + 4096)   the TX ring page (struct netif_tx_sring), as is
//   [16 + 4096, ...)  the guest's TX buffers, from page 2 (gref 10) on
// Missing bytes are zeros.  Grant references: see fuzz-guest.h.

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "netdev-xen/gso.h"
#include "netdev-xen/l4-csum.h"
#include "tests/fuzz/fuzz-guest.h"

using namespace linc::xen;
using linc::xen::fuzz::bound_req_prod;
using linc::xen::fuzz::guest_world;
using linc::xen::fuzz::input_reader;

namespace {

constexpr size_t hdr_size = 16;
constexpr size_t ring_off = hdr_size;
constexpr size_t data_off = ring_off + page_size;
constexpr size_t max_bufs = 64;
constexpr uint32_t eth_header_len = 14;

uint32_t capacity_for(uint8_t cls, size_t i)
{
    switch (cls & 7) {
    case 0: return 65536;
    case 1: return 2048;
    case 2: return 60;
    case 3: return i % 2 ? 100 : 65536;
    case 4: return 0;
    case 5: return eth_header_len;
    case 6: return page_size;
    default: return 65535;
    }
}

struct seg_check {
    size_t n = 0;
};

void check_segment(void *aux, const uint8_t *seg, size_t len)
{
    auto *c = static_cast<seg_check *>(aux);
    c->n++;
    FUZZ_CHECK(c->n <= linc::gso_max_segments);
    FUZZ_CHECK(len <= 65536 + 128);
    volatile uint8_t sink = len ? seg[0] ^ seg[len - 1] : 0;
    (void) sink;
}

// What vif.cc does with a packet the burst delivered: finish a partial
// checksum, or prepare a GSO frame to go whole (from its head, if split)
// or cut it into segments.
void downstream(packet_buf &b)
{
    if (b.gso_type != XEN_NETIF_GSO_TYPE_NONE) {
        linc::gso_refusal why;
        bool ok = linc::gso_prepare(b.data, b.len, b.copied, b.gso_size,
                                    b.gso_type == XEN_NETIF_GSO_TYPE_TCPV6,
                                    &why);
        FUZZ_CHECK(ok == (why == linc::gso_refusal::none));
    }
    if (b.copied != b.len) {
        return;
    }
    if (b.gso_type != XEN_NETIF_GSO_TYPE_NONE) {
        seg_check c;
        linc::gso_refusal why;
        size_t n = linc::tcp_segment(b.data, b.len, b.gso_size, check_segment,
                                     &c, &why);
        FUZZ_CHECK(n == c.n);
        FUZZ_CHECK((n != 0) == (why == linc::gso_refusal::none));
    } else if (b.flags & packet_csum_blank) {
        linc::complete_l4_csum(b.data, b.len);
    }
}

// The caller's packet buffers, each its own allocation of exactly its
// capacity so that ASan sees any write past it; made once per capacity
// class and index and reused (a harness reads only what a burst wrote).
uint8_t *pool_buffer(uint8_t cls, size_t i)
{
    static uint8_t *pool[8][max_bufs];
    uint8_t *&p = pool[cls & 7][i];
    if (!p) {
        p = static_cast<uint8_t *>(std::malloc(capacity_for(cls, i)));
    }
    return p;
}

// A burst's buffers.
struct buffers {
    std::vector<packet_buf> out;
    std::vector<uint8_t *> owned;
    std::vector<frame_frags> frags;

    buffers(size_t n, uint8_t cls) : out(n), frags(n)
    {
        for (size_t i = 0; i < n; i++) {
            uint8_t *p = pool_buffer(cls, i);
            owned.push_back(p);
            out[i] = packet_buf{p, 0, capacity_for(cls, i), 0, 0, 0};
            out[i].frags = &frags[i];
        }
    }

    // The backend may swap entries, never replace them.
    void check_permutation() const
    {
        std::vector<uint8_t *> now;
        for (const packet_buf &b : out) {
            now.push_back(b.data);
        }
        std::vector<uint8_t *> was = owned;
        std::sort(now.begin(), now.end());
        std::sort(was.begin(), was.end());
        FUZZ_CHECK(now == was);
    }
};

struct run {
    guest_world &w;
    netif_features f;
    std::unique_ptr<netif_backend> be;
    uint64_t delivered = 0;

    void check_state()
    {
        netif_status st = be->state();
        if (be->failed()) {
            FUZZ_CHECK(st.state == netif_state::failed);
            FUZZ_CHECK(st.error != netif_error::none);
            size_t n = std::strlen(st.reason);
            FUZZ_CHECK(n > 0 && n < 160);
        } else {
            FUZZ_CHECK(st.error == netif_error::none);
        }
    }

    void check_delivered(buffers &bufs, size_t n, bool split,
                         uint32_t copy_limit)
    {
        FUZZ_CHECK(n <= bufs.out.size());
        bufs.check_permutation();
        for (size_t i = 0; i < n; i++) {
            const packet_buf &b = bufs.out[i];
            FUZZ_CHECK(b.len >= eth_header_len);
            FUZZ_CHECK(b.len <= b.capacity);
            FUZZ_CHECK(b.len <= be->max_tx_packet());
            FUZZ_CHECK(b.copied <= b.len);
            FUZZ_CHECK((b.flags & ~(packet_csum_blank | packet_data_validated))
                       == 0);
            if (b.gso_type != XEN_NETIF_GSO_TYPE_NONE) {
                FUZZ_CHECK((b.gso_type == XEN_NETIF_GSO_TYPE_TCPV4
                            && f.tx_gso_tcpv4)
                           || (b.gso_type == XEN_NETIF_GSO_TYPE_TCPV6
                               && f.tx_gso_tcpv6));
                FUZZ_CHECK(b.gso_size != 0);
            }
            if (!split || b.len <= copy_limit) {
                FUZZ_CHECK(b.copied == b.len);
                continue;
            }
            FUZZ_CHECK(b.copied == copy_limit);
            const frame_frags &fr = *b.frags;
            FUZZ_CHECK(fr.n >= 1 && fr.n <= netif_max_slots);
            FUZZ_CHECK(fr.domid == guest_world::fe_dom);
            uint32_t total = 0;
            for (unsigned k = 0; k < fr.n; k++) {
                FUZZ_CHECK(uint32_t(fr.frags[k].offset) + fr.frags[k].len
                           <= page_size);
                total += fr.frags[k].len;
            }
            FUZZ_CHECK(total == b.len);
        }
    }

    // Fetches the rest of every split packet and compares it with what
    // the guest's granted pages hold.
    void fetch_all(buffers &bufs, size_t n)
    {
        for (size_t i = 0; i < n; i++) {
            packet_buf &b = bufs.out[i];
            if (b.copied >= b.len) {
                continue;
            }
            auto *dst = static_cast<uint8_t *>(std::malloc(b.len));
            std::memcpy(dst, b.data, b.copied);
            if (be->tx_fetch(b.token, dst, b.copied)) {
                uint32_t pos = 0;
                const frame_frags &fr = *b.frags;
                for (unsigned k = 0; k < fr.n; k++) {
                    const grant_frag &g = fr.frags[k];
                    uint8_t *page = w.xen.granted_page(g.gref);
                    FUZZ_CHECK(page);
                    for (uint32_t j = 0; j < g.len; j++, pos++) {
                        if (pos >= b.copied) {
                            FUZZ_CHECK(dst[pos] == page[g.offset + j]);
                        }
                    }
                }
            }
            std::free(dst);
        }
        // A token past the burst is refused.
        uint8_t dummy[1];
        FUZZ_CHECK(!be->tx_fetch(uint16_t(n + 256), dummy, 0));
    }

    void check_responses(RING_IDX from, RING_IDX to)
    {
        netif_tx_sring *s = w.tx_sring();
        FUZZ_CHECK(to - from <= netif_tx_ring_size);
        for (RING_IDX i = from; i != to; i++) {
            int16_t st = s->ring[i % netif_tx_ring_size].rsp.status;
            FUZZ_CHECK(st == NETIF_RSP_OKAY || st == NETIF_RSP_ERROR
                       || st == NETIF_RSP_DROPPED || st == NETIF_RSP_NULL);
        }
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    guest_world &w = guest_world::get();
    const input_reader in{data, size};
    const uint8_t cfg = in.u8(0);
    const uint8_t ops = in.u8(1);
    const size_t burst = (in.u8(2) % max_bufs) + 1;
    const uint8_t cap_class = in.u8(3);
    const uint32_t copy_limit = in.u16(4);
    const uint16_t credit_bytes = in.u16(6);
    const bool raw_prod = cfg & 8;
    const bool rewrite = cfg & 16;

    // The guest's pages: the TX ring from the input, the RX ring empty,
    // its TX buffers from the input (and zero where an earlier input
    // wrote).
    static size_t dirty = 0;
    uint8_t *bufs_base = w.page(2);
    std::memset(bufs_base, 0, dirty);
    dirty = 0;
    if (size > data_off) {
        dirty = std::min(size - data_off,
                         size_t(netif_tx_ring_size) * page_size);
        std::memcpy(bufs_base, data + data_off, dirty);
    }
    std::memset(w.rx_map, 0, page_size);
    in.copy(ring_off, w.tx_map, page_size);
    netif_tx_sring *s = w.tx_sring();
    const RING_IDX rsp0 = s->rsp_prod;
    if (!raw_prod) {
        bound_req_prod(s, netif_tx_ring_size);
    }
    const RING_IDX req_prod = s->req_prod;

    // A guest that rewrites its ring while the backend copies.
    if (rewrite) {
        const uint8_t prod_delta = in.u8(8);
        const uint8_t flags_xor = in.u8(9);
        const uint16_t size_xor = in.u16(10);
        w.xen.during_copy = [s, prod_delta, flags_xor, size_xor]() {
            s->req_prod += prod_delta;
            for (unsigned i = 0; i < netif_tx_ring_size; i++) {
                s->ring[i].req.flags ^= flags_xor;
                s->ring[i].req.size ^= size_xor;
            }
        };
    }

    run r{w, {}, nullptr};
    r.f.sg = cfg & 1;
    r.f.tx_gso_tcpv4 = r.f.gso_tcpv4 = cfg & 2;
    r.f.tx_gso_tcpv6 = r.f.gso_tcpv6 = cfg & 4;
    r.be = std::make_unique<netif_backend>(&w.xen.backend(), w.tx_map,
                                           w.rx_map, w.config(r.f));
    if (cfg & 32) {
        netif_credit c;
        c.bytes = credit_bytes;
        c.usec = 1000000000;    // 1000 s: no new window during a run
        r.be->set_credit(c);
    }
    r.check_state();

    for (int round = 0; round < 4; round++) {
        const unsigned op = (ops >> (2 * round)) & 3;
        const RING_IDX rsp_before = s->rsp_prod;
        const bool was_failed = r.be->failed();
        size_t n = 0;
        if (op == 3) {
            r.be->on_event(w.be_port);
            r.be->needs_work();
            r.be->final_check();
            r.be->credit_wait_ns();
            r.be->check_alive();
            r.check_state();
            continue;
        }
        buffers b(burst, cap_class);
        if (op == 0) {
            n = r.be->tx_burst(b.out.data(), b.out.size());
            r.check_delivered(b, n, false, copy_limit);
        } else {
            n = r.be->tx_burst_split(b.out.data(), b.out.size(), copy_limit);
            r.check_delivered(b, n, true, copy_limit);
            if (r.be->tx_unfinished()) {
                // Nothing more until the burst is finished.
                buffers more(1, 0);
                FUZZ_CHECK(r.be->tx_burst(more.out.data(), 1) == 0);
                FUZZ_CHECK(r.be->tx_burst_split(more.out.data(), 1,
                                                copy_limit) == 0);
            }
            if (op == 2) {
                r.fetch_all(b, n);
            }
            r.be->tx_finish();
            FUZZ_CHECK(!r.be->tx_unfinished());
        }
        if (was_failed) {
            FUZZ_CHECK(n == 0);
        }
        r.delivered += n;
        if (cfg & 64) {
            for (size_t i = 0; i < n; i++) {
                downstream(b.out[i]);
            }
        }
        r.check_state();
        r.check_responses(rsp_before, s->rsp_prod);
        // Responses only for requests the guest published.
        if (!rewrite && req_prod - rsp0 <= netif_tx_ring_size) {
            FUZZ_CHECK(s->rsp_prod - rsp0 <= req_prod - rsp0);
        }
    }
    FUZZ_CHECK(r.be->counters().tx_packets == r.delivered);
    if (fuzz::verbose()) {
        const netif_counters &c = r.be->counters();
        std::fprintf(stderr, "tx: %llu delivered, %llu errors, %llu no room, "
                     "%llu runts, %llu split, %llu eagain; %s\n",
                     (unsigned long long) r.delivered,
                     (unsigned long long) c.tx_errors,
                     (unsigned long long) c.tx_dropped_no_room,
                     (unsigned long long) c.tx_dropped_runt,
                     (unsigned long long) c.tx_split_packets,
                     (unsigned long long) c.grant_copy_eagain,
                     r.be->failed() ? r.be->state().reason : "connected");
    }

    r.be.reset();
    w.xen.during_copy = nullptr;
    return 0;
}
