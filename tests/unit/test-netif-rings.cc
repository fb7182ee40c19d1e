// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// netif_backend against netif_frontend over fake_xen: packets both ways,
// ring wrap-around, batching, multi-slot packets, GSO, notification
// suppression, drops.

#include <cerrno>
#include <vector>

#include "tests/unit/netif-harness.h"

#include <CppUTest/TestHarness.h>

using namespace linc::xen;
using namespace linc::xen::test;

namespace {

// Sends 'n' packets of the given sizes with sequence numbers from 'seq'.
void send_many(netif_pair &p, size_t n, uint32_t seq, size_t len,
               frontend_tx_meta meta = {})
{
    std::vector<uint8_t> buf(len);
    for (size_t i = 0; i < n; i++) {
        fill_packet(buf.data(), len, seq + i);
        LONGS_EQUAL(0, p.fe->send(buf.data(), len, meta));
    }
}

}  // namespace

TEST_GROUP(netif_rings)
{
    netif_pair *p = nullptr;
    void setup() override { p = new netif_pair(all_features()); }
    void teardown() override { delete p; }
};

TEST(netif_rings, connects)
{
    LONGS_EQUAL(0, p->init_error);
    CHECK(p->tx_map != nullptr);
    CHECK(p->rx_map != nullptr);
    CHECK(p->be->state().state == netif_state::connected);
    STRCMP_EQUAL("", p->be->state().reason);
    CHECK_FALSE(p->be->needs_work());
    // Rings + 256 TX buffers + 256 RX buffers.
    LONGS_EQUAL(2 + 256 + 256, p->xen.grants_in_use());
}

TEST(netif_rings, single_packet_guest_to_switch)
{
    send_many(*p, 1, 42, 60);
    CHECK_FALSE(p->be->needs_work());   // not published yet
    p->fe->push_tx();
    CHECK(p->be->needs_work());
    LONGS_EQUAL(1, p->tx());
    LONGS_EQUAL(60, p->pool[0].len);
    CHECK(check_packet(p->pool[0].data, 60, 42));
    LONGS_EQUAL(0, p->pool[0].flags);
    LONGS_EQUAL(XEN_NETIF_GSO_TYPE_NONE, p->pool[0].gso_type);
    LONGS_EQUAL(1, p->be->counters().tx_packets);
    LONGS_EQUAL(60, p->be->counters().tx_bytes);
    LONGS_EQUAL(1, p->be->counters().grant_copy_calls);
    LONGS_EQUAL(1, p->xen.grant_copy_calls());
    CHECK_FALSE(p->be->needs_work());

    LONGS_EQUAL(1, p->fe->reap_tx());
    LONGS_EQUAL(1, p->fe->counters().tx_okay);
    LONGS_EQUAL(256, p->fe->tx_free_ids());
    LONGS_EQUAL(0, p->fe->counters().backend_errors);
}

TEST(netif_rings, single_packet_switch_to_guest)
{
    LONGS_EQUAL(256, p->fe->post_rx_buffers(1000));
    std::vector<uint8_t> data(1500);
    fill_packet(data.data(), data.size(), 9);
    packet_view v{data.data(), 1500, packet_csum_blank, 0, 0};
    LONGS_EQUAL(1, p->be->rx_burst(&v, 1));
    LONGS_EQUAL(1, p->be->counters().rx_packets);
    LONGS_EQUAL(1500, p->be->counters().rx_bytes);

    uint8_t buf[2048];
    frontend_rx_packet info;
    LONGS_EQUAL(1, p->fe->receive(buf, sizeof buf, &info));
    LONGS_EQUAL(1500, info.len);
    LONGS_EQUAL(1, info.slots);
    LONGS_EQUAL(packet_csum_blank | packet_data_validated, info.flags);
    CHECK(check_packet(buf, 1500, 9));
    LONGS_EQUAL(0, p->fe->receive(buf, sizeof buf, &info));
    LONGS_EQUAL(1, p->fe->rx_free_ids());   // its buffer came back
}

TEST(netif_rings, checksum_flags_cross_both_ways)
{
    frontend_tx_meta m;
    m.flags = packet_data_validated;
    send_many(*p, 1, 1, 100, m);
    m.flags = packet_csum_blank;
    send_many(*p, 1, 2, 100, m);
    p->fe->push_tx();
    LONGS_EQUAL(2, p->tx());
    LONGS_EQUAL(packet_data_validated, p->pool[0].flags);
    LONGS_EQUAL(packet_csum_blank, p->pool[1].flags);

    p->fe->post_rx_buffers(8);
    uint8_t d[100] = {1};
    packet_view v[2] = {{d, 100, packet_data_validated, 0, 0},
                        {d, 100, 0, 0, 0}};
    LONGS_EQUAL(2, p->be->rx_burst(v, 2));
    uint8_t buf[200];
    frontend_rx_packet info;
    LONGS_EQUAL(1, p->fe->receive(buf, sizeof buf, &info));
    LONGS_EQUAL(packet_data_validated, info.flags);
    LONGS_EQUAL(1, p->fe->receive(buf, sizeof buf, &info));
    LONGS_EQUAL(0, info.flags);
}

TEST(netif_rings, wraps_around_many_ring_cycles_in_batches_of_32)
{
    const size_t total = 256 * 10 + 7;
    uint32_t sent = 0, got = 0;
    uint64_t copies_before = p->xen.grant_copy_calls();
    size_t bursts = 0;
    while (got < total) {
        size_t batch = std::min<size_t>(32, total - sent);
        for (size_t i = 0; i < batch; i++) {
            size_t len = 60 + (sent % 1400);
            std::vector<uint8_t> b(len);
            fill_packet(b.data(), len, sent);
            LONGS_EQUAL(0, p->fe->send(b.data(), len, {}));
            sent++;
        }
        p->fe->push_tx();
        size_t n = p->tx(64);
        LONGS_EQUAL(batch, n);
        bursts++;
        for (size_t i = 0; i < n; i++) {
            size_t len = 60 + (got % 1400);
            LONGS_EQUAL(len, p->pool[i].len);
            CHECK(check_packet(p->pool[i].data, len, got));
            got++;
        }
        LONGS_EQUAL(batch, p->fe->reap_tx());
    }
    LONGS_EQUAL(total, p->be->counters().tx_packets);
    LONGS_EQUAL(total, p->fe->counters().tx_okay);
    // One grant copy per burst, never per packet.
    LONGS_EQUAL(bursts, p->xen.grant_copy_calls() - copies_before);
    CHECK(p->be->state().state == netif_state::connected);

    // The same the other way, buffers re-posted as they come back.
    std::vector<uint8_t> data(32 * 2000);
    uint8_t buf[2048];
    frontend_rx_packet info;
    uint32_t rseq = 0, rgot = 0;
    p->fe->post_rx_buffers(256);
    while (rgot < total) {
        size_t batch = std::min<size_t>(32, total - rseq);
        packet_view v[32];
        for (size_t i = 0; i < batch; i++) {
            size_t len = 60 + (rseq % 1900);
            fill_packet(&data[i * 2000], len, rseq);
            v[i] = packet_view{&data[i * 2000], uint32_t(len), 0, 0, 0};
            rseq++;
        }
        LONGS_EQUAL(batch, p->be->rx_burst(v, batch));
        for (size_t i = 0; i < batch; i++) {
            LONGS_EQUAL(1, p->fe->receive(buf, sizeof buf, &info));
            LONGS_EQUAL(60 + (rgot % 1900), info.len);
            CHECK(check_packet(buf, info.len, rgot));
            rgot++;
        }
        p->fe->post_rx_buffers(batch);
    }
    LONGS_EQUAL(total, p->be->counters().rx_packets);
    LONGS_EQUAL(0, p->be->counters().rx_dropped_no_buffers);
    LONGS_EQUAL(0, p->fe->counters().backend_errors);
}

TEST(netif_rings, a_batch_is_one_copy_and_one_push)
{
    send_many(*p, 32, 100, 256);
    p->fe->push_tx();
    uint64_t calls = p->xen.grant_copy_calls();
    LONGS_EQUAL(32, p->tx());
    LONGS_EQUAL(calls + 1, p->xen.grant_copy_calls());
    LONGS_EQUAL(32, p->be->counters().grant_copy_segments);
    // The guest's rsp_event is still 1 from SHARED_RING_INIT: one event
    // for the whole burst, as RING_PUSH_RESPONSES_AND_CHECK_NOTIFY says.
    LONGS_EQUAL(1, p->xen.backend_notifies(p->be_port));
    for (int i = 0; i < 32; i++) {
        CHECK(check_packet(p->pool[i].data, 256, 100 + i));
    }
    // Only a burst's worth when the caller offers fewer buffers.
    send_many(*p, 10, 200, 64);
    p->fe->push_tx();
    LONGS_EQUAL(4, p->tx(4));
    LONGS_EQUAL(6, p->tx(64));
    CHECK(check_packet(p->pool[0].data, 64, 204));
}

TEST(netif_rings, multi_slot_packets_guest_to_switch)
{
    const size_t sizes[] = {4096, 4097, 9000, 20000, 65535};
    frontend_tx_meta m;
    m.offset = 100;
    uint32_t seq = 0;
    for (size_t len : sizes) {
        send_many(*p, 1, seq++, len, m);
    }
    p->fe->push_tx();
    LONGS_EQUAL(5, p->tx());
    for (size_t i = 0; i < 5; i++) {
        LONGS_EQUAL(sizes[i], p->pool[i].len);
        CHECK(check_packet(p->pool[i].data, sizes[i], i));
    }
    LONGS_EQUAL(5, p->fe->reap_tx());
    LONGS_EQUAL(5, p->fe->counters().tx_okay);
    LONGS_EQUAL(256, p->fe->tx_free_ids());
    LONGS_EQUAL(1, p->be->counters().grant_copy_calls);
}

TEST(netif_rings, multi_slot_packets_switch_to_guest)
{
    p->fe->post_rx_buffers(256);
    std::vector<uint8_t> d(65535);
    fill_packet(d.data(), d.size(), 5);
    packet_view v[2] = {{d.data(), 9000, 0, 0, 0},
                        {d.data(), 65535, 0, 0, 0}};
    LONGS_EQUAL(2, p->be->rx_burst(v, 2));
    std::vector<uint8_t> buf(65536);
    frontend_rx_packet info;
    LONGS_EQUAL(1, p->fe->receive(buf.data(), buf.size(), &info));
    LONGS_EQUAL(9000, info.len);
    LONGS_EQUAL(3, info.slots);
    CHECK(check_packet(buf.data(), 9000, 5));
    LONGS_EQUAL(1, p->fe->receive(buf.data(), buf.size(), &info));
    LONGS_EQUAL(65535, info.len);
    LONGS_EQUAL(16, info.slots);
    CHECK(check_packet(buf.data(), 65535, 5));
    LONGS_EQUAL(1, p->be->counters().grant_copy_calls);
    LONGS_EQUAL(19, p->be->counters().grant_copy_segments);
    // Too small a buffer is reported, and the slots still come back.
    LONGS_EQUAL(1, p->be->rx_burst(v, 1));
    LONGS_EQUAL(-EMSGSIZE, p->fe->receive(buf.data(), 100, &info));
    // Every buffer used (3 + 16 + 3 slots) is back with the guest.
    LONGS_EQUAL(22, p->fe->rx_free_ids());
}

TEST(netif_rings, gso_extra_info_round_trip)
{
    frontend_tx_meta m;
    m.flags = packet_csum_blank;
    m.gso_type = XEN_NETIF_GSO_TYPE_TCPV4;
    m.gso_size = 1448;
    send_many(*p, 1, 77, 20000, m);
    m.gso_type = XEN_NETIF_GSO_TYPE_TCPV6;
    m.gso_size = 1428;
    send_many(*p, 1, 78, 3000, m);
    p->fe->push_tx();
    LONGS_EQUAL(2, p->tx());
    LONGS_EQUAL(20000, p->pool[0].len);
    LONGS_EQUAL(XEN_NETIF_GSO_TYPE_TCPV4, p->pool[0].gso_type);
    LONGS_EQUAL(1448, p->pool[0].gso_size);
    LONGS_EQUAL(packet_csum_blank, p->pool[0].flags);
    CHECK(check_packet(p->pool[0].data, 20000, 77));
    LONGS_EQUAL(XEN_NETIF_GSO_TYPE_TCPV6, p->pool[1].gso_type);
    LONGS_EQUAL(1428, p->pool[1].gso_size);
    CHECK(check_packet(p->pool[1].data, 3000, 78));
    // The extra slots were answered too: every id is free again.
    LONGS_EQUAL(2, p->fe->reap_tx());
    LONGS_EQUAL(256, p->fe->tx_free_ids());

    // And back to the guest: the extra slot follows the first.
    p->fe->post_rx_buffers(256);
    packet_view v{p->pool[0].data, 20000, packet_csum_blank,
                  XEN_NETIF_GSO_TYPE_TCPV4, 1448};
    LONGS_EQUAL(1, p->be->rx_burst(&v, 1));
    std::vector<uint8_t> buf(65536);
    frontend_rx_packet info;
    LONGS_EQUAL(1, p->fe->receive(buf.data(), buf.size(), &info));
    LONGS_EQUAL(20000, info.len);
    LONGS_EQUAL(5, info.slots);
    LONGS_EQUAL(XEN_NETIF_GSO_TYPE_TCPV4, info.gso_type);
    LONGS_EQUAL(1448, info.gso_size);
    LONGS_EQUAL(packet_csum_blank | packet_data_validated, info.flags);
    CHECK(check_packet(buf.data(), 20000, 77));
    // Five data buffers and the one the extra info took are back.
    LONGS_EQUAL(6, p->fe->rx_free_ids());
    LONGS_EQUAL(0, p->fe->receive(buf.data(), buf.size(), &info));
}

TEST(netif_rings, notifications_follow_the_event_indexes)
{
    const evtchn_port_t fe_port = p->fe_port, be_port = p->be_port;
    // Guest -> backend.  req_event starts at 1: the first push notifies.
    send_many(*p, 1, 0, 64);
    CHECK(p->fe->push_tx());
    LONGS_EQUAL(1, p->xen.guest_notifies(fe_port));
    // The backend has not re-armed: more requests raise no event.
    send_many(*p, 3, 1, 64);
    CHECK_FALSE(p->fe->push_tx());
    LONGS_EQUAL(1, p->xen.guest_notifies(fe_port));
    // First burst: rsp_event is 1 from init, so one notification.
    LONGS_EQUAL(4, p->tx());
    LONGS_EQUAL(1, p->xen.backend_notifies(be_port));
    // Before sleeping the backend re-arms; the next push notifies once.
    CHECK_FALSE(p->be->final_check());
    send_many(*p, 2, 4, 64);
    CHECK(p->fe->push_tx());
    send_many(*p, 2, 6, 64);
    CHECK_FALSE(p->fe->push_tx());
    LONGS_EQUAL(2, p->xen.guest_notifies(fe_port));
    // The guest never re-armed rsp_event: bursts do not notify.
    LONGS_EQUAL(4, p->tx());
    LONGS_EQUAL(1, p->xen.backend_notifies(be_port));
    LONGS_EQUAL(8, p->fe->reap_tx());
    // Once it does, the next burst notifies exactly once.
    CHECK_FALSE(p->fe->final_check_tx());
    send_many(*p, 32, 8, 64);
    p->fe->push_tx();
    LONGS_EQUAL(32, p->tx());
    LONGS_EQUAL(2, p->xen.backend_notifies(be_port));
    LONGS_EQUAL(2, p->be->counters().notifications_sent);
    // A final check with requests pending says so instead of sleeping.
    send_many(*p, 1, 40, 64);
    p->fe->push_tx();
    CHECK(p->be->final_check());

    // RX: the backend never asks for RX-request events, so only the
    // first posting (req_event 1 from init) notifies.
    uint64_t before = p->xen.guest_notifies(fe_port);
    p->fe->post_rx_buffers(16);
    p->fe->post_rx_buffers(16);
    LONGS_EQUAL(before + 1, p->xen.guest_notifies(fe_port));
    // RX responses: rsp_event 1 from init, then only after re-arming.
    uint8_t d[64] = {0};
    packet_view v[4];
    for (auto &x : v) {
        x = packet_view{d, 64, 0, 0, 0};
    }
    uint64_t be_before = p->xen.backend_notifies(be_port);
    LONGS_EQUAL(4, p->be->rx_burst(v, 4));
    LONGS_EQUAL(be_before + 1, p->xen.backend_notifies(be_port));
    LONGS_EQUAL(4, p->be->rx_burst(v, 4));
    LONGS_EQUAL(be_before + 1, p->xen.backend_notifies(be_port));
    uint8_t buf[64];
    frontend_rx_packet info;
    for (int i = 0; i < 8; i++) {
        LONGS_EQUAL(1, p->fe->receive(buf, sizeof buf, &info));
    }
    CHECK_FALSE(p->fe->final_check_rx());
    LONGS_EQUAL(4, p->be->rx_burst(v, 4));
    LONGS_EQUAL(be_before + 2, p->xen.backend_notifies(be_port));
}

TEST(netif_rings, events_drive_the_backend)
{
    send_many(*p, 1, 0, 64);
    p->fe->push_tx();
    int port = p->xen.backend().pending();
    LONGS_EQUAL(p->be_port, port);
    // Masked until unmasked: no second delivery.
    LONGS_EQUAL(-1, p->xen.backend().pending());
    CHECK(p->be->on_event(port));
    LONGS_EQUAL(1, p->tx());
    CHECK_FALSE(p->be->final_check());
    LONGS_EQUAL(0, p->xen.backend().unmask(port));
    LONGS_EQUAL(1, p->be->counters().events);
    LONGS_EQUAL(0, p->be->counters().spurious_events);
}

TEST(netif_rings, no_rx_buffers_drops_and_counts)
{
    uint8_t d[100] = {0};
    packet_view v[3] = {{d, 100, 0, 0, 0}, {d, 100, 0, 0, 0},
                        {d, 100, 0, 0, 0}};
    LONGS_EQUAL(0, p->be->rx_burst(v, 3));
    LONGS_EQUAL(3, p->be->counters().rx_dropped_no_buffers);
    LONGS_EQUAL(0, p->be->counters().grant_copy_calls);
    // Two buffers: two delivered, one dropped.
    p->fe->post_rx_buffers(2);
    LONGS_EQUAL(2, p->be->rx_burst(v, 3));
    LONGS_EQUAL(4, p->be->counters().rx_dropped_no_buffers);
    // A packet that needs more slots than posted is dropped whole.
    uint8_t buf[100];
    frontend_rx_packet info;
    LONGS_EQUAL(1, p->fe->receive(buf, sizeof buf, &info));
    LONGS_EQUAL(1, p->fe->receive(buf, sizeof buf, &info));
    p->fe->post_rx_buffers(2);
    std::vector<uint8_t> big(9000);
    packet_view bv{big.data(), 9000, 0, 0, 0};
    LONGS_EQUAL(0, p->be->rx_burst(&bv, 1));
    LONGS_EQUAL(5, p->be->counters().rx_dropped_no_buffers);
    CHECK(p->be->state().state == netif_state::connected);
}

TEST(netif_rings, rx_offloads_the_guest_lacks_are_dropped)
{
    delete p;
    netif_features f = all_features();
    f.gso_tcpv6 = false;
    f.rx_csum = false;
    p = new netif_pair(f);
    p->fe->post_rx_buffers(64);
    uint8_t d[3000] = {0};
    packet_view v[3] = {{d, 3000, 0, XEN_NETIF_GSO_TYPE_TCPV6, 1400},
                        {d, 100, packet_csum_blank, 0, 0},
                        {d, 0, 0, 0, 0}};
    LONGS_EQUAL(0, p->be->rx_burst(v, 3));
    LONGS_EQUAL(2, p->be->counters().rx_dropped_offload);
    LONGS_EQUAL(1, p->be->counters().rx_dropped_invalid);
    CHECK(p->be->state().state == netif_state::connected);
}

TEST(netif_rings, without_sg_one_slot_per_packet)
{
    delete p;
    netif_features f;       // no sg, no gso
    p = new netif_pair(f, false);
    std::vector<uint8_t> d(5000);
    LONGS_EQUAL(EMSGSIZE, p->fe->send(d.data(), 5000, {}));
    send_many(*p, 1, 3, 4096);
    p->fe->push_tx();
    LONGS_EQUAL(1, p->tx());
    CHECK(check_packet(p->pool[0].data, 4096, 3));
    CHECK_EQUAL(4096u, p->be->max_tx_packet());

    p->fe->post_rx_buffers(8);
    packet_view v[2] = {{d.data(), 5000, 0, 0, 0}, {d.data(), 4096, 0, 0, 0}};
    LONGS_EQUAL(1, p->be->rx_burst(v, 2));
    LONGS_EQUAL(1, p->be->counters().rx_dropped_too_big);
}

TEST(netif_rings, small_caller_buffers_drop_not_fail)
{
    p->reset_pool(100);
    send_many(*p, 1, 1, 200);
    send_many(*p, 1, 2, 80);
    p->fe->push_tx();
    LONGS_EQUAL(1, p->tx());
    LONGS_EQUAL(80, p->pool[0].len);
    CHECK(check_packet(p->pool[0].data, 80, 2));
    LONGS_EQUAL(1, p->be->counters().tx_dropped_no_room);
    LONGS_EQUAL(2, p->fe->reap_tx());
    LONGS_EQUAL(1, p->fe->counters().tx_dropped);
    LONGS_EQUAL(1, p->fe->counters().tx_okay);
    CHECK(p->be->state().state == netif_state::connected);
}

TEST(netif_rings, paged_out_grant_is_a_transient_error)
{
    // Ids are handed out from 0; page out the first packet's buffer.
    grant_ref_t ref = 0;
    {
        // The first TX request's gref, read back from the shared ring.
        send_many(*p, 2, 1, 64);
        auto *s = static_cast<netif_tx_sring *>(p->tx_map);
        ref = s->ring[0].req.gref;
    }
    p->xen.page_out(ref, true);
    p->fe->push_tx();
    LONGS_EQUAL(1, p->tx());
    CHECK(check_packet(p->pool[0].data, 64, 2));
    LONGS_EQUAL(1, p->be->counters().grant_copy_eagain);
    LONGS_EQUAL(1, p->be->counters().tx_errors);
    CHECK(p->be->state().state == netif_state::connected);
    LONGS_EQUAL(2, p->fe->reap_tx());
    LONGS_EQUAL(1, p->fe->counters().tx_error);
    p->xen.page_out(ref, false);
    send_many(*p, 1, 3, 64);
    p->fe->push_tx();
    LONGS_EQUAL(1, p->tx());
}

TEST(netif_rings, requests_are_read_once)
{
    // While the backend copies, the guest rewrites its first request to
    // claim a huge size, another id and a bad gref.  The backend must act
    // on what it validated.
    send_many(*p, 1, 5, 300);
    p->fe->push_tx();
    auto *s = static_cast<netif_tx_sring *>(p->tx_map);
    p->xen.during_copy = [s]() {
        s->ring[0].req.size = 65535;
        s->ring[0].req.id = 200;
        s->ring[0].req.offset = 4000;
    };
    LONGS_EQUAL(1, p->tx());
    p->xen.during_copy = nullptr;
    LONGS_EQUAL(300, p->pool[0].len);
    CHECK(check_packet(p->pool[0].data, 300, 5));
    // The response carries the id as validated (0), not the rewritten one.
    LONGS_EQUAL(0, s->ring[0].rsp.id);
    LONGS_EQUAL(NETIF_RSP_OKAY, s->ring[0].rsp.status);
}

TEST(netif_rings, holding_rx_packets_asks_for_buffer_events)
{
    // Nothing posted: the backend asks to hear about two buffers.
    CHECK_FALSE(p->be->rx_buffers_available(2));
    auto *rs = static_cast<netif_rx_sring *>(p->rx_map);
    LONGS_EQUAL(2, rs->req_event);
    uint64_t before = p->xen.guest_notifies(p->fe_port);
    LONGS_EQUAL(1, p->fe->post_rx_buffers(1));
    // req_prod 1 has not reached req_event 2: no event yet.
    LONGS_EQUAL(before, p->xen.guest_notifies(p->fe_port));
    LONGS_EQUAL(1, p->fe->post_rx_buffers(1));
    LONGS_EQUAL(before + 1, p->xen.guest_notifies(p->fe_port));
    CHECK(p->be->rx_buffers_available(2));
    // The event is useful work, not a spurious one.
    int port = p->xen.backend().pending();
    CHECK_FALSE(p->be->on_event(port));
    LONGS_EQUAL(0, p->be->counters().spurious_events);
}

TEST(netif_rings, reserve_tx_writes_in_place_and_keeps_the_buffers)
{
    // A 6000-byte packet at offset 100: two slots, 3996 + 2004 bytes.
    std::vector<uint8_t> data(6000);
    fill_packet(data.data(), data.size(), 5);
    frontend_tx_meta m;
    m.offset = 100;
    frontend_tx_segment segs[netif_max_slots];
    size_t n = 0;
    LONGS_EQUAL(0, p->fe->reserve_tx(data.size(), m, segs, &n));
    LONGS_EQUAL(2, n);
    LONGS_EQUAL(page_size - 100, segs[0].len);
    LONGS_EQUAL(6000 - (page_size - 100), segs[1].len);
    LONGS_EQUAL(0, *segs[0].tag);
    LONGS_EQUAL(0, *segs[1].tag);
    std::memcpy(segs[0].data, data.data(), segs[0].len);
    std::memcpy(segs[1].data, data.data() + segs[0].len, segs[1].len);
    *segs[0].tag = 1;
    *segs[1].tag = 2;
    p->fe->push_tx();
    LONGS_EQUAL(1, p->tx());
    LONGS_EQUAL(6000, p->pool[0].len);
    CHECK(check_packet(p->pool[0].data, 6000, 5));
    LONGS_EQUAL(1, p->fe->reap_tx());
    LONGS_EQUAL(1, p->fe->counters().tx_okay);

    // The freed buffers come back (last freed, first taken) with their
    // data and tags: only what changes need be written.
    m.offset = 0;
    LONGS_EQUAL(0, p->fe->reserve_tx(100, m, segs, &n));
    LONGS_EQUAL(1, n);
    CHECK(*segs[0].tag == 1 || *segs[0].tag == 2);
    uint32_t *tag = segs[0].tag;
    LONGS_EQUAL(0, p->fe->reserve_tx(100, m, segs, &n));
    CHECK(*segs[0].tag == 3 - *tag);
    *segs[0].tag = 7;
    p->fe->push_tx();
    LONGS_EQUAL(2, p->tx());
    LONGS_EQUAL(2, p->fe->reap_tx());
    // send() takes the buffer tagged 7 (freed last) and writes it: its tag
    // goes back to 0.
    uint8_t small[60] = {1, 2, 3};
    LONGS_EQUAL(0, p->fe->send(small, sizeof small, {}));
    p->fe->push_tx();
    LONGS_EQUAL(1, p->tx());
    LONGS_EQUAL(60, p->pool[0].len);
    LONGS_EQUAL(2, p->pool[0].data[1]);
    LONGS_EQUAL(1, p->fe->reap_tx());
    LONGS_EQUAL(0, p->fe->reserve_tx(100, m, segs, &n));
    LONGS_EQUAL(0, *segs[0].tag);
    LONGS_EQUAL(5, p->fe->counters().tx_queued);
}

TEST(netif_rings, reserve_tx_errors_as_send)
{
    frontend_tx_segment segs[netif_max_slots];
    size_t n = 99;
    LONGS_EQUAL(EMSGSIZE, p->fe->reserve_tx(0, {}, segs, &n));
    LONGS_EQUAL(EMSGSIZE, p->fe->reserve_tx(XEN_NETIF_MAX_TX_SIZE + 1, {},
                                            segs, &n));
    LONGS_EQUAL(99, n);
    for (size_t i = 0; i < 256; i++) {
        LONGS_EQUAL(0, p->fe->reserve_tx(64, {}, segs, &n));
    }
    CHECK_FALSE(p->fe->tx_room());
    LONGS_EQUAL(EAGAIN, p->fe->reserve_tx(64, {}, segs, &n));
    CHECK_FALSE(p->fe->tx_responses_pending());
    p->fe->push_tx();
    LONGS_EQUAL(64, p->tx(64));
    CHECK(p->fe->tx_responses_pending());
    LONGS_EQUAL(64, p->fe->reap_tx());
    CHECK(p->fe->tx_room());
}

TEST(netif_rings, receive_view_points_into_the_rx_buffers)
{
    LONGS_EQUAL(256, p->fe->post_rx_buffers(1000));
    CHECK_FALSE(p->fe->rx_responses_pending());
    std::vector<uint8_t> big(9000), small(80);
    fill_packet(big.data(), big.size(), 3);
    fill_packet(small.data(), small.size(), 4);
    packet_view v[2] = {{big.data(), 9000, 0, 0, 0},
                        {small.data(), 80, packet_data_validated, 0, 0}};
    LONGS_EQUAL(2, p->be->rx_burst(v, 2));
    CHECK(p->fe->rx_responses_pending());

    frontend_rx_view rv;
    LONGS_EQUAL(1, p->fe->receive_view(&rv));
    LONGS_EQUAL(9000, rv.info.len);
    CHECK(rv.nsegs >= 3);
    LONGS_EQUAL(rv.nsegs, rv.info.slots);
    std::vector<uint8_t> joined;
    for (size_t k = 0; k < rv.nsegs; k++) {
        joined.insert(joined.end(), rv.segs[k].data,
                      rv.segs[k].data + rv.segs[k].len);
    }
    LONGS_EQUAL(9000, joined.size());
    CHECK(check_packet(joined.data(), 9000, 3));

    frontend_rx_view rv2;
    LONGS_EQUAL(1, p->fe->receive_view(&rv2));
    LONGS_EQUAL(80, rv2.info.len);
    LONGS_EQUAL(1, rv2.nsegs);
    LONGS_EQUAL(packet_data_validated, rv2.info.flags);
    CHECK(check_packet(rv2.segs[0].data, 80, 4));
    // Both views still hold until the buffers are posted again.
    CHECK(check_packet(rv.segs[0].data, rv.segs[0].len, 3));
    LONGS_EQUAL(0, p->fe->receive_view(&rv2));
    CHECK_FALSE(p->fe->rx_responses_pending());
    LONGS_EQUAL(2, p->fe->counters().rx_packets);
    LONGS_EQUAL(9080, p->fe->counters().rx_bytes);
    LONGS_EQUAL(rv.nsegs + 1, p->fe->rx_free_ids());
    LONGS_EQUAL(rv.nsegs + 1, p->fe->post_rx_buffers(1000));
}

TEST(netif_rings, bursts_of_one_slot_packets_both_ways)
{
    frontend_tx_segment segs[300];
    frontend_tx_meta m;
    m.offset = 64;
    // Not one slot each, or GSO: none taken.
    LONGS_EQUAL(0, p->fe->reserve_tx_burst(page_size - 63, m, 8, segs));
    frontend_tx_meta g;
    g.gso_type = XEN_NETIF_GSO_TYPE_TCPV4;
    g.gso_size = 1000;
    LONGS_EQUAL(0, p->fe->reserve_tx_burst(100, g, 8, segs));
    LONGS_EQUAL(0, p->fe->reserve_tx_burst(0, {}, 8, segs));

    m.flags = packet_csum_blank;
    LONGS_EQUAL(250, p->fe->reserve_tx_burst(page_size - 64, m, 250, segs));
    LONGS_EQUAL(6, p->fe->reserve_tx_burst(100, {}, 300, segs + 250));
    LONGS_EQUAL(0, p->fe->reserve_tx_burst(100, {}, 300, segs));
    LONGS_EQUAL(256, p->fe->counters().tx_queued);
    for (size_t i = 0; i < 256; i++) {
        fill_packet(segs[i].data, segs[i].len, uint32_t(i));
    }
    p->fe->push_tx();
    for (size_t done = 0; done < 256;) {
        size_t n = p->tx(64);
        CHECK(n > 0);
        for (size_t i = 0; i < n; i++) {
            size_t k = done + i;
            LONGS_EQUAL(k < 250 ? page_size - 64 : 100, p->pool[i].len);
            LONGS_EQUAL(k < 250 ? packet_csum_blank : 0, p->pool[i].flags);
            CHECK(check_packet(p->pool[i].data, p->pool[i].len, uint32_t(k)));
        }
        done += n;
    }
    LONGS_EQUAL(256, p->fe->reap_tx());
    LONGS_EQUAL(256, p->fe->counters().tx_okay);
    LONGS_EQUAL(256, p->fe->tx_free_ids());

    // Back: a burst of views, one error-free multi-slot packet among them.
    LONGS_EQUAL(256, p->fe->post_rx_buffers(1000));
    std::vector<uint8_t> d(5000);
    std::vector<packet_view> pv;
    for (uint32_t k = 0; k < 10; k++) {
        pv.push_back({d.data(), k == 4 ? 5000u : 60u + k, 0, 0, 0});
    }
    fill_packet(d.data(), d.size(), 77);
    LONGS_EQUAL(10, p->be->rx_burst(pv.data(), pv.size()));
    std::vector<frontend_rx_view> views(8);
    LONGS_EQUAL(8, p->fe->receive_views(views.data(), 8));
    for (uint32_t k = 0; k < 8; k++) {
        LONGS_EQUAL(k == 4 ? 5000 : 60 + k, views[k].info.len);
        LONGS_EQUAL(k == 4 ? 2 : 1, views[k].nsegs);
        CHECK(check_packet(views[k].segs[0].data, views[k].segs[0].len, 77));
    }
    LONGS_EQUAL(2, p->fe->receive_views(views.data(), 8));
    LONGS_EQUAL(69, views[1].info.len);
    LONGS_EQUAL(0, p->fe->receive_views(views.data(), 8));
    LONGS_EQUAL(10, p->fe->counters().rx_packets);
    LONGS_EQUAL(11, p->fe->rx_free_ids());
}
