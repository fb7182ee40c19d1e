// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// Split bursts and guest-to-guest copies: a frame longer than the copy
// limit stays in the guest's TX pages (only its headers are copied), is
// copied straight into a receiving guest's buffers, and is answered only
// when the burst is finished.  The fake hypervisor has one guest, so the
// frames go from its TX ring to its own RX ring, which exercises the same
// grant-to-grant segments as two guests would.

#include <cstring>
#include <vector>

#include "tests/unit/netif-harness.h"

#include <CppUTest/TestHarness.h>

using namespace linc::xen;
using namespace linc::xen::test;

namespace {

constexpr uint32_t copy_limit = 128;

void send_one(netif_pair &p, uint32_t seq, size_t len,
              frontend_tx_meta meta = {})
{
    std::vector<uint8_t> buf(len);
    fill_packet(buf.data(), len, seq);
    LONGS_EQUAL(0, p.fe->send(buf.data(), len, meta));
}

}  // namespace

TEST_GROUP(netif_split)
{
    netif_pair *p = nullptr;
    std::vector<frame_frags> frags;

    void setup() override
    {
        p = new netif_pair(all_features());
        frags.resize(netif_pair::pool_size);
        for (size_t i = 0; i < netif_pair::pool_size; i++) {
            p->pool[i].frags = &frags[i];
        }
    }
    void teardown() override { delete p; }

    size_t split_burst()
    {
        p->fe->push_tx();
        return p->be->tx_burst_split(p->pool.data(), netif_pair::pool_size,
                                     copy_limit);
    }
};

TEST(netif_split, large_frames_stay_in_the_guest_until_finished)
{
    frontend_tx_meta m;
    m.offset = 100;
    send_one(*p, 1, 60);
    send_one(*p, 2, 1500);
    send_one(*p, 3, 9000, m);       // three slots
    LONGS_EQUAL(3, split_burst());

    LONGS_EQUAL(60, p->pool[0].copied);
    LONGS_EQUAL(60, p->pool[0].len);
    CHECK(check_packet(p->pool[0].data, 60, 1));
    LONGS_EQUAL(copy_limit, p->pool[1].copied);
    LONGS_EQUAL(1500, p->pool[1].len);
    CHECK(check_packet(p->pool[1].data, copy_limit, 2));
    LONGS_EQUAL(1, frags[1].n);
    LONGS_EQUAL(copy_limit, p->pool[2].copied);
    LONGS_EQUAL(3, frags[2].n);
    LONGS_EQUAL(netif_pair::fe_dom, frags[2].domid);
    LONGS_EQUAL(2, p->be->counters().tx_split_packets);

    // Nothing answered yet, and no second burst meanwhile.
    LONGS_EQUAL(0, p->fe->reap_tx());
    CHECK(p->be->tx_unfinished());
    send_one(*p, 4, 64);
    LONGS_EQUAL(0, split_burst());
    LONGS_EQUAL(0, p->be->tx_burst(p->pool.data(), 1));

    p->be->tx_finish();
    LONGS_EQUAL(3, p->fe->reap_tx());
    LONGS_EQUAL(3, p->fe->counters().tx_okay);
    LONGS_EQUAL(1, split_burst());          // the fourth
    p->be->tx_finish();
}

TEST(netif_split, guest_to_guest_copies_whole_frames_grant_to_grant)
{
    frontend_tx_meta m;
    m.offset = 3000;                // the first slot holds 1096 bytes
    send_one(*p, 7, 1500);
    send_one(*p, 8, 9000, m);
    LONGS_EQUAL(2, split_burst());
    LONGS_EQUAL(256, p->fe->post_rx_buffers(256));

    packet_view v[2];
    for (int i = 0; i < 2; i++) {
        v[i] = packet_view{nullptr, p->pool[i].len, 0, 0, 0, &frags[i]};
    }
    bool failed[2];
    uint64_t segs_before = p->xen.grant_copy_segments();
    LONGS_EQUAL(2, p->be->rx_burst(v, 2, failed));
    CHECK_FALSE(failed[0] || failed[1]);
    LONGS_EQUAL(2, p->be->counters().rx_foreign_packets);
    // 1500: one segment.  9000 from pieces of 1096, 4096, 3808 into pages
    // of 4096, 4096, 808: five segments, none crossing a page.
    LONGS_EQUAL(6, p->xen.grant_copy_segments() - segs_before);

    std::vector<uint8_t> buf(9000);
    frontend_rx_packet info;
    LONGS_EQUAL(1, p->fe->receive(buf.data(), buf.size(), &info));
    LONGS_EQUAL(1500, info.len);
    CHECK(check_packet(buf.data(), 1500, 7));
    LONGS_EQUAL(1, p->fe->receive(buf.data(), buf.size(), &info));
    LONGS_EQUAL(9000, info.len);
    CHECK(check_packet(buf.data(), 9000, 8));

    p->be->tx_finish();
    LONGS_EQUAL(2, p->fe->reap_tx());
    LONGS_EQUAL(0, p->fe->counters().tx_error);
}

TEST(netif_split, fetch_completes_a_split_frame)
{
    frontend_tx_meta m;
    m.offset = 2000;
    send_one(*p, 9, 7000, m);
    LONGS_EQUAL(1, split_burst());
    CHECK(p->be->tx_fetch(p->pool[0].token, p->pool[0].data,
                          p->pool[0].copied));
    CHECK(check_packet(p->pool[0].data, 7000, 9));
    p->be->tx_finish();
    LONGS_EQUAL(1, p->fe->reap_tx());
    LONGS_EQUAL(1, p->fe->counters().tx_okay);
}

TEST(netif_split, a_source_revoked_after_the_headers_fails_the_source_only)
{
    send_one(*p, 11, 1500);
    LONGS_EQUAL(1, split_burst());
    // The guest ends access to its TX buffer behind our back.
    LONGS_EQUAL(0, p->xen.guest().end_access(frags[0].frags[0].gref));
    p->fe->post_rx_buffers(8);

    packet_view v{nullptr, 1500, 0, 0, 0, &frags[0]};
    bool failed = false;
    LONGS_EQUAL(0, p->be->rx_burst(&v, 1, &failed));
    CHECK(failed);
    LONGS_EQUAL(1, p->be->counters().rx_foreign_failed);
    // The receiving side is not blamed...
    CHECK(p->be->state().state == netif_state::connected);
    // ...the source is, once asked.
    CHECK_FALSE(p->be->tx_fetch(p->pool[0].token, p->pool[0].data,
                                p->pool[0].copied));
    CHECK(p->be->state().error == netif_error::tx_grant_copy);
    p->be->tx_finish();
}

TEST(netif_split, a_bad_receive_buffer_fails_the_receiver)
{
    send_one(*p, 12, 1500);
    LONGS_EQUAL(1, split_burst());
    p->fe->post_rx_buffers(1);
    auto *s = static_cast<netif_rx_sring *>(p->rx_map);
    LONGS_EQUAL(0, p->xen.guest().end_access(s->ring[0].req.gref));

    packet_view v{nullptr, 1500, 0, 0, 0, &frags[0]};
    bool failed = false;
    LONGS_EQUAL(0, p->be->rx_burst(&v, 1, &failed));
    CHECK_FALSE(failed);
    CHECK(p->be->state().error == netif_error::rx_grant_copy);
}

TEST(netif_split, a_source_that_does_not_add_up_is_refused)
{
    send_one(*p, 13, 1500);
    LONGS_EQUAL(1, split_burst());
    p->fe->post_rx_buffers(8);
    packet_view v{nullptr, 1400, 0, 0, 0, &frags[0]};   // 1500 in frags
    LONGS_EQUAL(0, p->be->rx_burst(&v, 1));
    LONGS_EQUAL(1, p->be->counters().rx_dropped_invalid);
    CHECK(p->be->state().state == netif_state::connected);
    p->be->tx_finish();
}

// A GSO frame is split like any large one, its GSO information kept: a
// receiver that takes GSO needs only its headers from us.
TEST(netif_split, gso_frames_are_split_too)
{
    frontend_tx_meta m;
    m.gso_type = XEN_NETIF_GSO_TYPE_TCPV4;
    m.gso_size = 1400;
    m.flags = packet_csum_blank;
    send_one(*p, 14, 20000, m);
    LONGS_EQUAL(1, split_burst());
    LONGS_EQUAL(20000, p->pool[0].len);
    LONGS_EQUAL(copy_limit, p->pool[0].copied);
    LONGS_EQUAL(XEN_NETIF_GSO_TYPE_TCPV4, p->pool[0].gso_type);
    LONGS_EQUAL(1400, p->pool[0].gso_size);
    LONGS_EQUAL(packet_csum_blank, p->pool[0].flags);
    uint32_t total = 0;
    for (unsigned k = 0; k < p->pool[0].frags->n; k++) {
        total += p->pool[0].frags->frags[k].len;
    }
    LONGS_EQUAL(20000, total);
    // Whoever cuts it fetches the rest first.
    CHECK(p->be->tx_fetch(p->pool[0].token, p->pool[0].data, copy_limit));
    CHECK(check_packet(p->pool[0].data, 20000, 14));
    p->be->tx_finish();
    LONGS_EQUAL(1, p->fe->reap_tx());
}

// XSA-423's class of bug: the guest-to-guest copy must not take again from
// the source guest's pages the bytes the datapath classified.  The source
// rewrites its frame (every byte, headers included) while the grant copy
// runs; the receiver must get exactly our copy's head, and the rest as the
// pages then hold it.
TEST(netif_split, the_classified_head_comes_from_our_copy)
{
    frontend_tx_meta m;
    m.offset = 3000;                // 1096 + 4096 + 3808 bytes in three slots
    send_one(*p, 21, 1500);
    send_one(*p, 22, 9000, m);
    LONGS_EQUAL(2, split_burst());
    LONGS_EQUAL(copy_limit, p->pool[0].copied);
    p->fe->post_rx_buffers(256);

    // What we classified: our copy of the heads.
    std::vector<uint8_t> head0(p->pool[0].data, p->pool[0].data + copy_limit);
    std::vector<uint8_t> head1(p->pool[1].data, p->pool[1].data + copy_limit);

    // The guest rewrites every byte of its granted TX buffers during the copy.
    std::vector<std::pair<grant_ref_t, std::pair<uint16_t, uint16_t>>> pieces;
    for (int i = 0; i < 2; i++) {
        for (unsigned k = 0; k < frags[i].n; k++) {
            const grant_frag &f = frags[i].frags[k];
            pieces.push_back({f.gref, {f.offset, f.len}});
        }
    }
    fake_xen *x = &p->xen;
    x->during_copy = [x, pieces]() {
        for (const auto &pc : pieces) {
            uint8_t *page = x->granted_page(pc.first);
            if (page) {
                memset(page + pc.second.first, 0xee, pc.second.second);
            }
        }
    };
    packet_view v[2];
    for (int i = 0; i < 2; i++) {
        v[i] = packet_view{p->pool[i].data, p->pool[i].len, 0, 0, 0,
                           &frags[i], p->pool[i].copied};
    }
    bool failed[2];
    LONGS_EQUAL(2, p->be->rx_burst(v, 2, failed));
    x->during_copy = nullptr;

    std::vector<uint8_t> buf(9000);
    frontend_rx_packet info;
    LONGS_EQUAL(1, p->fe->receive(buf.data(), buf.size(), &info));
    LONGS_EQUAL(1500, info.len);
    MEMCMP_EQUAL(head0.data(), buf.data(), copy_limit);
    for (size_t i = copy_limit; i < 1500; i++) {
        BYTES_EQUAL(0xee, buf[i]);
    }
    LONGS_EQUAL(1, p->fe->receive(buf.data(), buf.size(), &info));
    LONGS_EQUAL(9000, info.len);
    MEMCMP_EQUAL(head1.data(), buf.data(), copy_limit);
    for (size_t i = copy_limit; i < 9000; i++) {
        BYTES_EQUAL(0xee, buf[i]);
    }
    p->be->tx_finish();
    LONGS_EQUAL(2, p->fe->reap_tx());
}

// A head longer than the first piece of the source, and a whole frame in
// our copy: the source is then not read at all.
TEST(netif_split, a_head_across_pieces_or_the_whole_frame)
{
    frontend_tx_meta m;
    m.offset = 4000;                // 96 bytes in the first slot
    send_one(*p, 23, 3000, m);
    LONGS_EQUAL(1, split_burst());
    CHECK(p->be->tx_fetch(p->pool[0].token, p->pool[0].data,
                          p->pool[0].copied));
    p->fe->post_rx_buffers(16);
    for (uint32_t head : {200u, 3000u}) {
        packet_view v{p->pool[0].data, 3000, 0, 0, 0, &frags[0], head};
        uint64_t before = p->xen.grant_copy_segments();
        LONGS_EQUAL(1, p->be->rx_burst(&v, 1));
        // 200: our 200 bytes, then 2800 from the second piece; 3000: one
        // segment from our memory.
        LONGS_EQUAL(head == 200 ? 2 : 1,
                    p->xen.grant_copy_segments() - before);
        std::vector<uint8_t> buf(3000);
        frontend_rx_packet info;
        LONGS_EQUAL(1, p->fe->receive(buf.data(), buf.size(), &info));
        LONGS_EQUAL(3000, info.len);
        CHECK(check_packet(buf.data(), 3000, 23));
    }
    p->be->tx_finish();
}
