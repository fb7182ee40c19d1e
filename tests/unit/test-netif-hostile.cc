// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// A hostile frontend against the backend: each way of breaking the
// protocol fails the vif with its own reason, after the good packets
// before it went through, and nothing is touched afterwards.  Run under
// --enable-sanitizers for the out-of-bounds half of the promise.

#include <cstring>
#include <ctime>
#include <vector>

#include "tests/unit/netif-harness.h"

#include <CppUTest/TestHarness.h>

using namespace linc::xen;
using namespace linc::xen::test;

namespace {

void send_good(netif_pair &p, uint32_t seq)
{
    uint8_t b[128];
    fill_packet(b, sizeof b, seq);
    LONGS_EQUAL(0, p.fe->send(b, sizeof b, {}));
}

// Checks that 'p' failed with 'e', its reason names it, and the vif
// is inert from then on.
void check_failed(netif_pair &p, netif_error e, const char *detail)
{
    netif_status st = p.be->state();
    CHECK(st.state == netif_state::failed);
    STRCMP_EQUAL(netif_error_name(e), netif_error_name(st.error));
    STRNCMP_EQUAL(netif_error_name(e), st.reason,
                  std::strlen(netif_error_name(e)));
    if (detail) {
        CHECK_TEXT(std::strstr(st.reason, detail) != nullptr, st.reason);
    }
    CHECK(p.be->counters().errors[size_t(e)] >= 1);

    // Inert: no more work, no copies, RX drops counted.
    uint64_t copies = p.xen.grant_copy_calls();
    CHECK_FALSE(p.be->needs_work());
    CHECK_FALSE(p.be->final_check());
    LONGS_EQUAL(0, p.tx());
    uint8_t d[64] = {0};
    packet_view v{d, 64, 0, 0, 0};
    uint64_t dropped = p.be->counters().rx_dropped_failed;
    LONGS_EQUAL(0, p.be->rx_burst(&v, 1));
    LONGS_EQUAL(dropped + 1, p.be->counters().rx_dropped_failed);
    LONGS_EQUAL(copies, p.xen.grant_copy_calls());
}

// A good packet, then the hostile case 'h', in one burst.
void tx_case(netif_pair &p, netif_hostile h, netif_error e,
             const char *detail)
{
    send_good(p, 1);
    p.fe->push_tx();
    LONGS_EQUAL(0, p.fe->hostile(h));
    size_t n = p.tx();
    LONGS_EQUAL(1, n);
    CHECK(check_packet(p.pool[0].data, 128, 1));
    check_failed(p, e, detail);
    // The good packet was answered.
    CHECK(p.fe->reap_tx() >= 1);
    CHECK(p.fe->counters().tx_okay == 1);
    LONGS_EQUAL(0, p.fe->counters().backend_errors);
}

}  // namespace

TEST_GROUP(netif_hostile)
{
    netif_pair *p = nullptr;
    void setup() override { p = new netif_pair(all_features()); }
    void teardown() override { delete p; }
};

TEST(netif_hostile, bad_gref)
{
    send_good(*p, 1);
    LONGS_EQUAL(0, p->fe->hostile(netif_hostile::bad_gref));
    // Both in one burst and one copy: the good one is delivered, the bad
    // one answered with an error, and the vif fails.
    LONGS_EQUAL(1, p->tx());
    CHECK(check_packet(p->pool[0].data, 128, 1));
    LONGS_EQUAL(1, p->xen.copy_refusals());
    check_failed(*p, netif_error::tx_grant_copy, "bad gref");
    LONGS_EQUAL(2, p->fe->reap_tx());
    LONGS_EQUAL(1, p->fe->counters().tx_okay);
    LONGS_EQUAL(1, p->fe->counters().tx_error);
}

TEST(netif_hostile, ungranted_gref)
{
    LONGS_EQUAL(0, p->fe->hostile(netif_hostile::ungranted_gref));
    LONGS_EQUAL(0, p->tx());
    LONGS_EQUAL(1, p->xen.copy_refusals());
    check_failed(*p, netif_error::tx_grant_copy, "general error");
}

TEST(netif_hostile, foreign_gref)
{
    LONGS_EQUAL(0, p->fe->hostile(netif_hostile::foreign_gref));
    LONGS_EQUAL(0, p->tx());
    LONGS_EQUAL(1, p->xen.copy_refusals());
    check_failed(*p, netif_error::tx_grant_copy, "general error");
}

TEST(netif_hostile, readonly_rx_buffer)
{
    LONGS_EQUAL(0, p->fe->hostile(netif_hostile::readonly_rx_gref));
    std::vector<uint8_t> d(100, 0xab);
    packet_view v{d.data(), 100, 0, 0, 0};
    LONGS_EQUAL(0, p->be->rx_burst(&v, 1));
    LONGS_EQUAL(1, p->be->counters().rx_errors);
    check_failed(*p, netif_error::rx_grant_copy, "permission denied");
    // The buffer came back with an error status and was not written.
    uint8_t buf[128];
    frontend_rx_packet info;
    LONGS_EQUAL(-EIO, p->fe->receive(buf, sizeof buf, &info));
    const uint8_t *page = p->xen.guest_page(2 + 256 + 0);
    for (int i = 0; i < 100; i++) {
        LONGS_EQUAL(0, page[i]);
    }
}

TEST(netif_hostile, offset_past_page)
{
    tx_case(*p, netif_hostile::offset_past_page, netif_error::tx_bad_offset,
            "offset 4086 + size 64");
}

TEST(netif_hostile, too_many_slots)
{
    tx_case(*p, netif_hostile::too_many_slots,
            netif_error::tx_too_many_slots, "more than 20 data slots");
}

TEST(netif_hostile, too_many_slots_without_sg)
{
    delete p;
    netif_features f;
    p = new netif_pair(f, false);
    tx_case(*p, netif_hostile::too_many_slots,
            netif_error::tx_too_many_slots, "more than 1 data slots");
}

TEST(netif_hostile, producer_index_overrun)
{
    send_good(*p, 1);
    p->fe->push_tx();
    LONGS_EQUAL(0, p->fe->hostile(netif_hostile::prod_overrun));
    LONGS_EQUAL(0, p->tx());
    LONGS_EQUAL(0, p->xen.grant_copy_calls());
    check_failed(*p, netif_error::tx_prod_overrun, "more than 256 ahead");
}

TEST(netif_hostile, rx_producer_index_overrun)
{
    LONGS_EQUAL(0, p->fe->hostile(netif_hostile::rx_prod_overrun));
    uint8_t d[64] = {0};
    packet_view v{d, 64, 0, 0, 0};
    LONGS_EQUAL(0, p->be->rx_burst(&v, 1));
    check_failed(*p, netif_error::rx_prod_overrun, "more than 256 ahead");
}

// Shorter than an Ethernet header (0 bytes, 13 bytes, and 13 bytes in two
// slots): answered with an error and dropped, as netback does; the vif
// goes on.  A guest's userspace can make its netfront send these.
TEST(netif_hostile, runts_are_answered_with_errors_not_fatal)
{
    send_good(*p, 1);
    LONGS_EQUAL(0, p->fe->hostile(netif_hostile::zero_length));
    uint8_t b[13] = {0};
    LONGS_EQUAL(0, p->fe->send(b, sizeof b, {}));
    frontend_tx_meta m;
    m.offset = page_size - 6;       // 6 bytes, then 7 in a second slot
    LONGS_EQUAL(0, p->fe->send(b, sizeof b, m));
    send_good(*p, 2);
    p->fe->push_tx();
    LONGS_EQUAL(2, p->tx());
    CHECK(check_packet(p->pool[0].data, 128, 1));
    CHECK(check_packet(p->pool[1].data, 128, 2));
    CHECK(p->be->state().state == netif_state::connected);
    LONGS_EQUAL(3, p->be->counters().tx_dropped_runt);
    LONGS_EQUAL(3, p->be->counters().tx_errors);
    LONGS_EQUAL(5, p->fe->reap_tx());
    LONGS_EQUAL(3, p->fe->counters().tx_error);
}

TEST(netif_hostile, oversize_without_sg)
{
    delete p;
    netif_features f;
    p = new netif_pair(f, false);
    tx_case(*p, netif_hostile::oversize_length, netif_error::tx_oversize,
            "size 4097 > 4096");
}

TEST(netif_hostile, oversize_single_slot_with_sg)
{
    // With sg the total may be large but one slot still ends at the page.
    tx_case(*p, netif_hostile::oversize_length, netif_error::tx_bad_offset,
            "offset 0 + size 4097");
}

TEST(netif_hostile, duplicate_ids)
{
    send_good(*p, 1);
    LONGS_EQUAL(0, p->fe->hostile(netif_hostile::duplicate_ids));
    // The good packet and the first of the pair go; the second fails it.
    LONGS_EQUAL(2, p->tx());
    check_failed(*p, netif_error::tx_duplicate_id, "already in flight");
}

TEST(netif_hostile, fragment_sizes_do_not_add_up)
{
    tx_case(*p, netif_hostile::frag_size_mismatch,
            netif_error::tx_frag_size_mismatch, "hold 200 bytes of a 100");
}

TEST(netif_hostile, bad_extra_info)
{
    tx_case(*p, netif_hostile::bad_extra, netif_error::tx_bad_extra,
            "extra info type 12");
}

TEST(netif_hostile, gso_not_negotiated)
{
    delete p;
    netif_features f = all_features();
    f.tx_gso_tcpv6 = false;
    p = new netif_pair(f);
    uint8_t b[3000] = {0};
    frontend_tx_meta m;
    m.gso_type = XEN_NETIF_GSO_TYPE_TCPV6;
    m.gso_size = 1400;
    LONGS_EQUAL(0, p->fe->send(b, sizeof b, m));
    p->fe->push_tx();
    LONGS_EQUAL(0, p->tx());
    check_failed(*p, netif_error::tx_bad_extra, "not negotiated");
}

TEST(netif_hostile, notification_storm)
{
    delete p;
    p = new netif_pair(all_features(), true, 100);
    for (int i = 0; i < 99; i++) {
        LONGS_EQUAL(0, p->fe->hostile(netif_hostile::notification_storm));
        int port = p->xen.backend().pending();
        LONGS_EQUAL(p->be_port, port);
        CHECK_FALSE(p->be->on_event(port));
        p->xen.backend().unmask(port);
    }
    CHECK(p->be->state().state == netif_state::connected);
    LONGS_EQUAL(99, p->be->counters().spurious_events);
    // Work in between resets the run.
    send_good(*p, 1);
    p->fe->push_tx();
    CHECK(p->be->on_event(p->be_port));
    LONGS_EQUAL(1, p->tx());
    for (int i = 0; i < 100; i++) {
        LONGS_EQUAL(0, p->fe->hostile(netif_hostile::notification_storm));
        int port = p->xen.backend().pending();
        p->be->on_event(port);
        p->xen.backend().unmask(port);
    }
    check_failed(*p, netif_error::notification_storm, "100 events in a row");
}

TEST(netif_hostile, failure_is_per_vif)
{
    // A second vif on the same platform keeps working while the first
    // is failed.
    netif_pair good(all_features());
    LONGS_EQUAL(0, p->fe->hostile(netif_hostile::oversize_length));
    LONGS_EQUAL(0, p->tx());
    CHECK(p->be->failed());
    send_good(good, 3);
    good.fe->push_tx();
    LONGS_EQUAL(1, good.tx());
    CHECK(check_packet(good.pool[0].data, 128, 3));
    CHECK_FALSE(good.be->failed());
}

TEST(netif_hostile, rewritten_producer_index_is_read_once)
{
    // The guest bumps req_prod by a whole ring while the backend works;
    // the burst goes on with the value it read.
    send_good(*p, 1);
    p->fe->push_tx();
    auto *s = static_cast<netif_tx_sring *>(p->tx_map);
    p->xen.during_copy = [s]() { s->req_prod += 1000; };
    LONGS_EQUAL(1, p->tx());
    p->xen.during_copy = nullptr;
    CHECK_FALSE(p->be->failed());
    LONGS_EQUAL(0, p->tx());    // now it sees the overrun
    check_failed(*p, netif_error::tx_prod_overrun, nullptr);
}

TEST(netif_hostile, rx_overrun_seen_on_event)
{
    LONGS_EQUAL(0, p->fe->hostile(netif_hostile::rx_prod_overrun));
    int port = p->xen.backend().pending();
    LONGS_EQUAL(p->be_port, port);
    CHECK_FALSE(p->be->on_event(port));
    check_failed(*p, netif_error::rx_prod_overrun, nullptr);
}

TEST(netif_hostile, frontend_domain_death)
{
    CHECK(p->be->check_alive());
    p->xen.kill_guest();
    CHECK_FALSE(p->be->check_alive());
    check_failed(*p, netif_error::frontend_gone, "domain 7");
}

TEST(netif_hostile, rx_copy_is_required)
{
    delete p;
    netif_features f = all_features();
    f.rx_copy = false;
    p = new netif_pair(f);
    check_failed(*p, netif_error::unsupported, "rx-copy");
}

TEST(netif_hostile, truncated_packet)
{
    tx_case(*p, netif_hostile::truncated_packet, netif_error::tx_truncated,
            "more_data past req_prod");
}

TEST(netif_hostile, half_published_packet)
{
    // An honest packet whose producer index stops mid-packet.
    std::vector<uint8_t> b(9000);
    LONGS_EQUAL(0, p->fe->send(b.data(), b.size(), {}));
    auto *s = static_cast<netif_tx_sring *>(p->tx_map);
    s->req_prod = 2;
    LONGS_EQUAL(0, p->tx());
    check_failed(*p, netif_error::tx_truncated, nullptr);
}

// A frontend posting one RX buffer id twice, within one packet's slots or
// across the one-slot packets of a burst: the vif fails and nothing of the
// burst is copied into the guest.
static void rx_duplicate_case(netif_pair &p, uint32_t len, size_t npkts)
{
    LONGS_EQUAL(8, p.fe->post_rx_buffers(8));
    auto *ring = static_cast<netif_rx_sring *>(p.rx_map);
    ring->ring[1].req.id = ring->ring[0].req.id;
    std::vector<uint8_t> d(len, 0x5a);
    std::vector<packet_view> v(npkts, packet_view{d.data(), len, 0, 0, 0});
    uint64_t copies = p.xen.grant_copy_calls();
    LONGS_EQUAL(0, p.be->rx_burst(v.data(), npkts));
    LONGS_EQUAL(copies, p.xen.grant_copy_calls());
    check_failed(p, netif_error::rx_duplicate_id, "already in flight");
}

TEST(netif_hostile, duplicate_rx_ids_across_packets)
{
    rx_duplicate_case(*p, 64, 3);
}

TEST(netif_hostile, duplicate_rx_ids_within_a_packet)
{
    rx_duplicate_case(*p, 5000, 1);
}

// A frontend whose domain dies with requests in flight: the grant copies
// say gntst_bad_domain, which is the frontend gone, not a bad grant.
TEST(netif_hostile, domain_death_seen_by_a_tx_copy)
{
    send_good(*p, 1);
    p->fe->push_tx();
    p->xen.kill_guest();
    LONGS_EQUAL(0, p->tx());
    check_failed(*p, netif_error::frontend_gone, "domain 7");
    LONGS_EQUAL(0, p->be->counters().errors[size_t(netif_error::tx_grant_copy)]);
}

TEST(netif_hostile, domain_death_seen_by_an_rx_copy)
{
    LONGS_EQUAL(8, p->fe->post_rx_buffers(8));
    p->xen.kill_guest();
    uint8_t d[64] = {0};
    packet_view v{d, 64, 0, 0, 0};
    LONGS_EQUAL(0, p->be->rx_burst(&v, 1));
    check_failed(*p, netif_error::frontend_gone, "domain 7");
    LONGS_EQUAL(0, p->be->counters().errors[size_t(netif_error::rx_grant_copy)]);
}

// A backend attaches where the rings are (BACK_RING_ATTACH): after a first
// backend served some packets, a second one on the same rings serves only
// what came after, not the ring from index 0 again.
TEST(netif_hostile, a_new_backend_attaches_after_published_responses)
{
    for (uint32_t i = 0; i < 5; i++) {
        send_good(*p, 10 + i);
    }
    p->fe->push_tx();
    LONGS_EQUAL(5, p->tx());
    LONGS_EQUAL(5, p->fe->reap_tx());
    delete p->be;
    p->be = nullptr;
    send_good(*p, 20);
    p->fe->push_tx();

    netif_backend_config bc;
    bc.frontend_domid = netif_pair::fe_dom;
    bc.features = all_features();
    bc.tx_port = bc.rx_port = p->be_port;
    p->be = new netif_backend(&p->xen.backend(), p->tx_map, p->rx_map, bc);
    CHECK(p->be->state().state == netif_state::connected);
    LONGS_EQUAL(1, p->tx());
    CHECK(check_packet(p->pool[0].data, 128, 20));
    LONGS_EQUAL(1, p->fe->reap_tx());
    LONGS_EQUAL(0, p->fe->counters().backend_errors);
}

// Indices that do not add up at attach time fail the vif at once.
TEST(netif_hostile, indices_that_do_not_add_up_at_attach)
{
    delete p->be;
    auto *s = static_cast<netif_tx_sring *>(p->tx_map);
    s->req_prod = s->rsp_prod + 300;
    netif_backend_config bc;
    bc.frontend_domid = netif_pair::fe_dom;
    bc.features = all_features();
    bc.tx_port = bc.rx_port = p->be_port;
    p->be = new netif_backend(&p->xen.backend(), p->tx_map, p->rx_map, bc);
    check_failed(*p, netif_error::tx_prod_overrun, "at attach");
}

// 19 data slots: more than the 18 a backend must take, but what netfronts
// before Linux 3.9 could send.  As netback: answered with an error for
// each slot and dropped, and the vif goes on.
TEST(netif_hostile, nineteen_slots_are_dropped_not_fatal)
{
    send_good(*p, 1);
    LONGS_EQUAL(0, p->fe->hostile(netif_hostile::old_netfront_slots));
    send_good(*p, 2);
    p->fe->push_tx();
    LONGS_EQUAL(2, p->tx());
    CHECK(check_packet(p->pool[1].data, 128, 2));
    CHECK(p->be->state().state == netif_state::connected);
    LONGS_EQUAL(1, p->be->counters().tx_dropped_too_many_slots);
    LONGS_EQUAL(3, p->fe->reap_tx());
    LONGS_EQUAL(1, p->fe->counters().tx_error);
}

// Only RX buffers actually posted reset the run of spurious events: an RX
// index moved backwards (or not at all) is as spurious as an empty ring.
TEST(netif_hostile, rx_index_moved_backwards_is_spurious)
{
    p->fe->post_rx_buffers(8);
    CHECK_FALSE(p->be->on_event(p->be_port));        // 8 new buffers: work
    LONGS_EQUAL(0, p->be->counters().spurious_events);
    auto *s = static_cast<netif_rx_sring *>(p->rx_map);
    s->req_prod -= 4;
    CHECK_FALSE(p->be->on_event(p->be_port));
    LONGS_EQUAL(1, p->be->counters().spurious_events);
    CHECK_FALSE(p->be->on_event(p->be_port));        // unchanged
    LONGS_EQUAL(2, p->be->counters().spurious_events);
    CHECK(p->be->state().state == netif_state::connected);
}

// netback's "rate" key: bytes per window; what does not fit waits in the
// ring for the next window (never dropped), and the key parses as
// xen_net_read_rate() parses it.
TEST(netif_hostile, rate_credit_holds_packets_in_the_ring)
{
    netif_credit c;
    CHECK(parse_netif_rate("1000,100000", &c));
    LONGS_EQUAL(1000, c.bytes);
    LONGS_EQUAL(100000, c.usec);
    CHECK_FALSE(parse_netif_rate("1000", &c));
    CHECK_FALSE(parse_netif_rate("1000,", &c));
    CHECK_FALSE(parse_netif_rate("1000,10x", &c));
    CHECK_FALSE(parse_netif_rate("-1,10", &c));
    LONGS_EQUAL(0, c.bytes);                 // unlimited after a failure
    CHECK(parse_netif_rate("0,10", &c));     // 0 bytes: unlimited
    LONGS_EQUAL(0, c.bytes);

    CHECK(parse_netif_rate("1000,100000", &c));   // 1000 B per 100 ms
    p->be->set_credit(c);
    for (uint32_t i = 0; i < 10; i++) {
        send_good(*p, i);                   // 128 bytes each
    }
    p->fe->push_tx();
    LONGS_EQUAL(7, p->tx());                // 896 bytes; the 8th waits
    LONGS_EQUAL(1, p->be->counters().tx_credit_waits);
    CHECK(p->be->credit_wait_ns() > 0);
    uint64_t wait_ns = 0;
    CHECK_FALSE(p->be->final_check(&wait_ns));  // held back: no work yet
    CHECK(wait_ns > 0 && wait_ns <= 100 * 1000 * 1000);
    LONGS_EQUAL(0, p->tx());
    // The next window's 1000 bytes.
    struct timespec ts = {0, 110 * 1000 * 1000};
    nanosleep(&ts, nullptr);
    LONGS_EQUAL(0, p->be->credit_wait_ns());
    LONGS_EQUAL(3, p->tx());
    CHECK(check_packet(p->pool[0].data, 128, 7));
    LONGS_EQUAL(10, p->fe->reap_tx());
    LONGS_EQUAL(0, p->fe->counters().tx_error);

    // Unlimited again.
    p->be->set_credit(netif_credit{});
    for (uint32_t i = 0; i < 20; i++) {
        send_good(*p, i);
    }
    p->fe->push_tx();
    LONGS_EQUAL(20, p->tx());
}
