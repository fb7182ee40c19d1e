// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// The receive queue: packets for a guest that has posted no buffers wait,
// in order, up to their bounds, as Linux's netback queues them; a guest
// that posts none for the stall timeout is flushed.

#include <chrono>
#include <deque>
#include <random>
#include <thread>
#include <vector>

#include "netdev-xen/rx-fifo.h"
#include "tests/unit/netif-harness.h"

#include <CppUTest/TestHarness.h>

using namespace linc::xen;
using namespace linc::xen::test;

TEST_GROUP(rx_fifo) {};

TEST(rx_fifo, keeps_order_and_bytes_through_wrap_around)
{
    // Random sizes up to 64 KiB through a 256 KiB queue: the arena wraps
    // many times; within the bounds nothing is refused, nothing corrupted.
    const uint32_t max_bytes = 256 * 1024, max_packet = 65536;
    rx_fifo q(max_bytes, 64, max_packet);
    std::deque<std::vector<uint8_t>> model;
    std::mt19937 rng(7);
    uint64_t bytes = 0;
    uint32_t next = 0;
    for (int round = 0; round < 20000; round++) {
        if (rng() % 3 && !model.empty()) {
            size_t n = 1 + rng() % std::min<size_t>(model.size(), 4);
            for (size_t i = 0; i < n; i++) {
                const rx_fifo::entry &e = q.at(i);
                LONGS_EQUAL(model[i].size(), e.len);
                MEMCMP_EQUAL(model[i].data(), q.data(e), e.len);
            }
            for (size_t i = 0; i < n; i++) {
                bytes -= model.front().size();
                model.pop_front();
            }
            q.pop(n);
            continue;
        }
        uint32_t len = 1 + rng() % (rng() % 2 ? 1500 : max_packet);
        std::vector<uint8_t> pkt(len);
        for (auto &b : pkt) {
            b = static_cast<uint8_t>(next++ * 13);
        }
        bool fits = bytes + len <= max_bytes && model.size() < 64;
        LONGS_EQUAL(fits, q.push(pkt.data(), len, 1, 2, 3));
        if (fits) {
            bytes += len;
            model.push_back(std::move(pkt));
        }
        LONGS_EQUAL(model.size(), q.size());
        LONGS_EQUAL(bytes, q.bytes());
    }
}

TEST(rx_fifo, refuses_what_passes_a_bound_and_keeps_metadata)
{
    rx_fifo q(1000, 3, 600);
    uint8_t d[600] = {9};
    CHECK_FALSE(q.push(d, 0, 0, 0, 0));
    CHECK_FALSE(q.push(d, 601, 0, 0, 0));
    CHECK(q.push(d, 600, 5, 1, 1448));
    CHECK_FALSE(q.push(d, 401, 0, 0, 0));     // 1001 bytes
    CHECK(q.push(d, 200, 0, 0, 0));
    CHECK(q.push(d, 200, 0, 0, 0));
    CHECK_FALSE(q.push(d, 1, 0, 0, 0));       // a fourth packet
    LONGS_EQUAL(5, q.at(0).flags);
    LONGS_EQUAL(1, q.at(0).gso_type);
    LONGS_EQUAL(1448, q.at(0).gso_size);
    q.clear();
    CHECK(q.empty());
    LONGS_EQUAL(0, q.bytes());
    CHECK(q.push(d, 600, 0, 0, 0));
}

namespace {

// The guest's view of what arrived: the sequence numbers, in order.
std::vector<uint32_t> received(netif_pair &p)
{
    std::vector<uint32_t> seqs;
    std::vector<uint8_t> buf(70000);
    frontend_rx_packet info;
    while (p.fe->receive(buf.data(), buf.size(), &info) == 1) {
        uint32_t seq = uint32_t(buf[0]) | uint32_t(buf[1]) << 8
                       | uint32_t(buf[2]) << 16 | uint32_t(buf[3]) << 24;
        CHECK(check_packet(buf.data(), info.len, seq));
        seqs.push_back(seq);
    }
    return seqs;
}

struct packets {
    std::vector<std::vector<uint8_t>> data;
    std::vector<packet_view> views;

    packets(uint32_t first_seq, std::initializer_list<uint32_t> lens)
    {
        for (uint32_t len : lens) {
            data.emplace_back(len);
            fill_packet(data.back().data(), len, first_seq++);
        }
        for (auto &d : data) {
            views.push_back(packet_view{d.data(), uint32_t(d.size()), 0, 0, 0});
        }
    }
    size_t size() const { return views.size(); }
};

std::vector<uint32_t> seq_range(uint32_t first, uint32_t n)
{
    std::vector<uint32_t> v;
    for (uint32_t i = 0; i < n; i++) {
        v.push_back(first + i);
    }
    return v;
}

}  // namespace

TEST_GROUP(rx_queue)
{
    netif_pair *p = nullptr;
    void setup() override { p = new netif_pair(all_features()); }
    void teardown() override { delete p; }
};

TEST(rx_queue, packets_wait_for_buffers_and_arrive_in_order)
{
    // Nothing posted: all wait, none is dropped.
    packets a(1, {60, 1500, 9000, 60, 3000});
    LONGS_EQUAL(5, p->be->rx_send(a.views.data(), a.size()));
    LONGS_EQUAL(5, p->be->rx_queued_packets());
    LONGS_EQUAL(60 + 1500 + 9000 + 60 + 3000, p->be->rx_queued_bytes());
    LONGS_EQUAL(5, p->be->counters().rx_queued);
    LONGS_EQUAL(0, p->be->counters().rx_dropped_no_buffers);
    LONGS_EQUAL(0, p->be->counters().rx_packets);

    // Two buffers: the first two go; the 9000-byte one needs three.
    p->fe->post_rx_buffers(2);
    LONGS_EQUAL(2, p->be->rx_queue_run());
    LONGS_EQUAL(3, p->be->rx_queued_packets());
    p->fe->post_rx_buffers(2);
    LONGS_EQUAL(0, p->be->rx_queue_run());  // not enough for it yet
    // New packets go behind the waiting ones, whatever the ring has.
    packets b(6, {100});
    p->fe->post_rx_buffers(256);
    LONGS_EQUAL(1, p->be->rx_send(b.views.data(), b.size()));
    LONGS_EQUAL(0, p->be->rx_queued_packets());
    CHECK(received(*p) == seq_range(1, 6));
    LONGS_EQUAL(6, p->be->counters().rx_packets);
}

TEST(rx_queue, only_a_full_queue_drops)
{
    netif_rx_queue_limits l;
    l.max_packets = 3;
    p->be->set_rx_queue_limits(l);
    packets a(1, {60, 60, 60, 60, 60});
    LONGS_EQUAL(3, p->be->rx_send(a.views.data(), a.size()));
    LONGS_EQUAL(2, p->be->counters().rx_dropped_queue_full);
    l.max_packets = 4096;
    l.max_bytes = 65536 + 100;
    p->be->set_rx_queue_limits(l);  // applies once what waits has gone
    p->fe->post_rx_buffers(256);
    LONGS_EQUAL(3, p->be->rx_queue_run());
    CHECK(received(*p) == seq_range(1, 3));

    // Bytes: the bound is 65636; 65535 + 102 passes it, 65535 + 101 not.
    netif_pair q(all_features());
    q.be->set_rx_queue_limits(l);
    packets big(10, {65535, 102, 101});
    LONGS_EQUAL(2, q.be->rx_send(big.views.data(), big.size()));
    LONGS_EQUAL(1, q.be->counters().rx_dropped_queue_full);
    q.fe->post_rx_buffers(256);
    LONGS_EQUAL(2, q.be->rx_queue_run());
    CHECK(received(q) == (std::vector<uint32_t>{10, 12}));
}

TEST(rx_queue, a_guest_that_posts_nothing_stalls_then_recovers)
{
    netif_rx_queue_limits l;
    l.stall_timeout_ms = 20;
    p->be->set_rx_queue_limits(l);
    packets a(1, {60, 60, 60});
    LONGS_EQUAL(3, p->be->rx_send(a.views.data(), a.size()));
    LONGS_EQUAL(0, p->be->rx_queue_run());
    CHECK_FALSE(p->be->rx_stalled());
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    // Past the timeout with nothing consumed: the next send flushes what
    // waited, counts it, and drops its own packet too.
    packets b(4, {60});
    LONGS_EQUAL(0, p->be->rx_send(b.views.data(), b.size()));
    CHECK(p->be->rx_stalled());
    LONGS_EQUAL(1, p->be->counters().rx_stalls);
    LONGS_EQUAL(4, p->be->counters().rx_dropped_stalled);
    LONGS_EQUAL(0, p->be->rx_queued_packets());
    // While stalled nothing waits.
    LONGS_EQUAL(0, p->be->rx_send(b.views.data(), b.size()));
    LONGS_EQUAL(5, p->be->counters().rx_dropped_stalled);
    LONGS_EQUAL(0, p->be->rx_queued_packets());
    // A posted buffer ends the stall.
    p->fe->post_rx_buffers(1);
    packets c(5, {60, 60});
    LONGS_EQUAL(2, p->be->rx_send(c.views.data(), c.size()));
    CHECK_FALSE(p->be->rx_stalled());
    LONGS_EQUAL(1, p->be->rx_queued_packets());
    CHECK(received(*p) == (std::vector<uint32_t>{5}));
}

// The thread that polls the guest's queue may sleep with nothing asked of
// the guest: queueing itself asks for an event when the guest posts what
// the oldest packet needs, so that its posting wakes that thread.
TEST(rx_queue, queueing_asks_for_an_event_for_the_oldest_packet)
{
    auto *rs = static_cast<netif_rx_sring *>(p->rx_map);
    packets a(1, {9000, 60});
    LONGS_EQUAL(2, p->be->rx_send(a.views.data(), a.size()));
    LONGS_EQUAL(3, rs->req_event);
    uint64_t before = p->xen.guest_notifies(p->fe_port);
    p->fe->post_rx_buffers(3);
    LONGS_EQUAL(before + 1, p->xen.guest_notifies(p->fe_port));
    LONGS_EQUAL(1, p->be->rx_queue_run());
}

TEST(rx_queue, before_sleeping_it_asks_for_the_oldest_packets_buffers)
{
    uint64_t wait_ns = 1;
    CHECK_FALSE(p->be->rx_queue_final_check(&wait_ns));
    LONGS_EQUAL(0, wait_ns);                // nothing waits
    packets a(1, {9000, 60});
    LONGS_EQUAL(2, p->be->rx_send(a.views.data(), a.size()));
    CHECK_FALSE(p->be->rx_queue_final_check(&wait_ns));
    CHECK(wait_ns > 0);
    CHECK(wait_ns <= uint64_t(netif_rx_queue_limits{}.stall_timeout_ms) * 1000000);
    // The 9000-byte packet needs three buffers: req_event asks for them.
    auto *rs = static_cast<netif_rx_sring *>(p->rx_map);
    LONGS_EQUAL(3, rs->req_event);
    uint64_t before = p->xen.guest_notifies(p->fe_port);
    p->fe->post_rx_buffers(2);
    LONGS_EQUAL(before, p->xen.guest_notifies(p->fe_port));
    p->fe->post_rx_buffers(1);
    LONGS_EQUAL(before + 1, p->xen.guest_notifies(p->fe_port));
    CHECK(p->be->rx_queue_final_check(&wait_ns));
    LONGS_EQUAL(1, p->be->rx_queue_run());
}

TEST(rx_queue, another_guests_pieces_are_handed_back_in_order)
{
    // A packet partly in another guest's pages cannot wait (the pages are
    // lent for one burst): it and all after it go back to the caller.
    std::vector<uint8_t> d(5000);
    fill_packet(d.data(), d.size(), 2);
    frame_frags src{};
    src.domid = 9;
    src.n = 2;
    src.frags[0] = grant_frag{100, 0, 4096};
    src.frags[1] = grant_frag{101, 0, 904};
    packets a(1, {60});
    packets c(3, {60});
    packet_view v[3] = {a.views[0],
                        packet_view{d.data(), 5000, 0, 0, 0, &src, 2048},
                        c.views[0]};
    bool redo[3];
    LONGS_EQUAL(1, p->be->rx_send(v, 3, redo));
    CHECK_FALSE(redo[0]);
    CHECK(redo[1]);
    CHECK(redo[2]);
    LONGS_EQUAL(1, p->be->rx_queued_packets());
    // The caller sends them again from its own copy: behind the first.
    packet_view again[2] = {packet_view{d.data(), 5000, 0, 0, 0}, c.views[0]};
    LONGS_EQUAL(2, p->be->rx_send(again, 2, redo));
    // Without 'redo' such a packet is dropped and counted.
    LONGS_EQUAL(0, p->be->rx_send(&v[1], 1));
    LONGS_EQUAL(1, p->be->counters().rx_dropped_no_buffers);
    p->fe->post_rx_buffers(256);
    LONGS_EQUAL(3, p->be->rx_queue_run());
    CHECK(received(*p) == seq_range(1, 3));
}

TEST(rx_queue, gso_frames_wait_with_their_gso_information)
{
    std::vector<uint8_t> d(20000);
    fill_packet(d.data(), d.size(), 1);
    packet_view v{d.data(), 20000, packet_csum_blank, XEN_NETIF_GSO_TYPE_TCPV4,
                  1448};
    LONGS_EQUAL(1, p->be->rx_send(&v, 1));
    p->fe->post_rx_buffers(256);
    LONGS_EQUAL(1, p->be->rx_queue_run());
    std::vector<uint8_t> buf(70000);
    frontend_rx_packet info;
    LONGS_EQUAL(1, p->fe->receive(buf.data(), buf.size(), &info));
    LONGS_EQUAL(20000, info.len);
    LONGS_EQUAL(XEN_NETIF_GSO_TYPE_TCPV4, info.gso_type);
    LONGS_EQUAL(1448, info.gso_size);
    CHECK(info.flags & packet_csum_blank);
}
