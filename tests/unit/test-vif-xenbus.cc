// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// The xenbus handshake against an in-memory xenstore, including frontends
// that write garbage.

#include <map>
#include <set>

#include "netdev-xen/vif-xenbus.h"
#include "tests/unit/fake-xs-store.h"

#include <CppUTest/TestHarness.h>

using namespace linc::xen;
using linc::xen::testing::fake_store;

namespace {

const std::string be = "/local/domain/0/backend/vif/5/0";
const std::string fe = "/local/domain/5/device/vif/0";

}  // namespace

TEST_GROUP(vif_xenbus)
{
    fake_store xs;
    vif_features features;
    uint64_t now_ms = 1000;
    vif_xenbus::clock_fn clock = [this]() { return now_ms; };

    void setup() override
    {
        xs.kv[be + "/frontend"] = fe;
        xs.kv[be + "/frontend-id"] = "5";
        xs.kv[fe + "/backend"] = be;
        xs.kv[fe + "/state"] = "1";
    }

    void write_good_frontend()
    {
        xs.write(fe + "/tx-ring-ref", "8");
        xs.write(fe + "/rx-ring-ref", "9");
        xs.write(fe + "/event-channel", "3");
        xs.write(fe + "/request-rx-copy", "1");
        xs.write(fe + "/feature-sg", "1");
        xs.write(fe + "/feature-gso-tcpv4", "1");
        xs.write(fe + "/feature-rx-notify", "1");
    }
};

TEST(vif_xenbus, strict_integer_parsing)
{
    CHECK(parse_xs_uint(std::string("42"), 100) == 42u);
    CHECK(!parse_xs_uint(std::string("101"), 100));
    CHECK(!parse_xs_uint(std::string("2"), 1));
    CHECK(parse_xs_uint(std::string("1"), 1) == 1u);
    CHECK(parse_xs_uint(std::string("0"), 0) == 0u);
    CHECK(!parse_xs_uint(std::string("1"), 0));
    CHECK(!parse_xs_uint(std::string("-1"), 100));
    CHECK(!parse_xs_uint(std::string(" 1"), 100));
    CHECK(!parse_xs_uint(std::string("1x"), 100));
    CHECK(!parse_xs_uint(std::string(""), 100));
    CHECK(!parse_xs_uint(std::nullopt, 100));
    CHECK(!parse_xs_uint(std::string("99999999999999999999999"), UINT64_MAX));
    CHECK(parse_xs_uint(std::string("4294967295"), UINT32_MAX) == 4294967295u);
    CHECK(!parse_xs_uint(std::string("4294967296"), UINT32_MAX));
}

TEST(vif_xenbus, start_publishes_features_and_waits)
{
    vif_xenbus v(xs, 0, 5, 0, features);
    LONGS_EQUAL(0, v.start());
    STRCMP_EQUAL("2", xs.kv[be + "/state"].c_str());
    STRCMP_EQUAL("1", xs.kv[be + "/feature-rx-copy"].c_str());
    STRCMP_EQUAL("0", xs.kv[be + "/feature-rx-flip"].c_str());
    STRCMP_EQUAL("1", xs.kv[be + "/feature-sg"].c_str());
    STRCMP_EQUAL("1", xs.kv[be + "/multi-queue-max-queues"].c_str());
    CHECK(v.run() == vif_xenbus::action::none);
}

TEST(vif_xenbus, missing_backend_directory)
{
    xs.kv.erase(be + "/frontend");
    vif_xenbus v(xs, 0, 5, 0, features);
    LONGS_EQUAL(ENOENT, v.start());
}

TEST(vif_xenbus, frontend_elsewhere_is_refused)
{
    xs.kv[be + "/frontend"] = "/local/domain/6/device/vif/0";
    vif_xenbus v(xs, 0, 5, 0, features);
    LONGS_EQUAL(EINVAL, v.start());
}

TEST(vif_xenbus, connect_disconnect_reconnect)
{
    vif_xenbus v(xs, 0, 5, 0, features, clock);
    LONGS_EQUAL(0, v.start());
    write_good_frontend();
    xs.write(fe + "/state", "4");
    CHECK(v.run() == vif_xenbus::action::connect);
    LONGS_EQUAL(1, v.params().queues.size());
    LONGS_EQUAL(8, v.params().queues[0].tx_ring_ref);
    LONGS_EQUAL(9, v.params().queues[0].rx_ring_ref);
    LONGS_EQUAL(3, v.params().queues[0].evtchn_tx);
    CHECK(!v.params().queues[0].split);
    CHECK(v.params().sg);
    CHECK(v.params().gso_tcpv4);
    CHECK(!v.params().gso_tcpv6);
    v.connected();
    STRCMP_EQUAL("4", xs.kv[be + "/state"].c_str());
    CHECK(v.run() == vif_xenbus::action::none);

    // The frontend closes: we disconnect, then go Closed.
    xs.write(fe + "/state", "5");
    CHECK(v.run() == vif_xenbus::action::disconnect);
    v.closed();
    STRCMP_EQUAL("6", xs.kv[be + "/state"].c_str());

    // It comes back after a connection that lasted no time: offered again
    // after the first backoff, then InitWait and a new connection.
    xs.write(fe + "/state", "1");
    CHECK(v.run() == vif_xenbus::action::none);
    STRCMP_EQUAL("6", xs.kv[be + "/state"].c_str());
    LONGS_EQUAL(100, v.ms_until_offer());
    now_ms += 100;
    CHECK(v.run() == vif_xenbus::action::none);
    STRCMP_EQUAL("2", xs.kv[be + "/state"].c_str());
    LONGS_EQUAL(-1, v.ms_until_offer());
    xs.write(fe + "/state", "4");
    CHECK(v.run() == vif_xenbus::action::connect);
}

TEST(vif_xenbus, guest_death_disconnects)
{
    vif_xenbus v(xs, 0, 5, 0, features);
    v.start();
    write_good_frontend();
    xs.write(fe + "/state", "4");
    CHECK(v.run() == vif_xenbus::action::connect);
    v.connected();
    xs.rm("/local/domain/5");
    CHECK(v.run() == vif_xenbus::action::disconnect);
    v.closed();
    // No frontend: stays Closed, no new offer.
    CHECK(v.run() == vif_xenbus::action::none);
    STRCMP_EQUAL("6", xs.kv[be + "/state"].c_str());
}

TEST(vif_xenbus, split_event_channels_and_queues)
{
    features.max_queues = 2;
    vif_xenbus v(xs, 0, 5, 0, features);
    v.start();
    xs.write(fe + "/request-rx-copy", "1");
    xs.write(fe + "/multi-queue-num-queues", "2");
    for (int q = 0; q < 2; q++) {
        std::string d = fe + "/queue-" + std::to_string(q);
        xs.write(d + "/tx-ring-ref", std::to_string(10 + q));
        xs.write(d + "/rx-ring-ref", std::to_string(20 + q));
        xs.write(d + "/event-channel-tx", std::to_string(30 + q));
        xs.write(d + "/event-channel-rx", std::to_string(40 + q));
    }
    xs.write(fe + "/state", "4");
    CHECK(v.run() == vif_xenbus::action::connect);
    LONGS_EQUAL(2, v.params().queues.size());
    CHECK(v.params().queues[1].split);
    LONGS_EQUAL(31, v.params().queues[1].evtchn_tx);
    LONGS_EQUAL(41, v.params().queues[1].evtchn_rx);
}

// Exactly what Linux 6.1's xen-netfront wrote on real Xen 4.17 when the
// backend offered multi-queue-max-queues = 1 and split event channels: it
// writes multi-queue-num-queues = 1 (it writes the key whenever the backend
// advertises multi-queue) and, for one queue, the ring and event-channel
// keys at the top level, as netif.h says.
TEST(vif_xenbus, linux_61_single_queue_frontend)
{
    vif_xenbus v(xs, 0, 5, 0, features);
    LONGS_EQUAL(0, v.start());
    const std::pair<const char *, const char *> written[] = {
        {"backend", "/local/domain/0/backend/vif/5/0"}, {"backend-id", "0"},
        {"handle", "0"}, {"mac", "00:16:3e:00:00:02"}, {"trusted", "1"},
        {"mtu", "1500"}, {"multi-queue-num-queues", "1"},
        {"tx-ring-ref", "520"}, {"rx-ring-ref", "521"},
        {"event-channel-tx", "8"}, {"event-channel-rx", "9"},
        {"request-rx-copy", "1"}, {"feature-rx-notify", "1"},
        {"feature-sg", "1"}, {"feature-gso-tcpv4", "1"},
        {"feature-gso-tcpv6", "1"}, {"feature-ipv6-csum-offload", "1"},
    };
    for (const auto &kv : written) {
        xs.write(fe + "/" + kv.first, kv.second);
    }
    xs.write(fe + "/state", "4");
    CHECK_TEXT(v.run() == vif_xenbus::action::connect, v.last_error().c_str());
    LONGS_EQUAL(1, v.params().queues.size());
    const vif_queue_params &q = v.params().queues[0];
    LONGS_EQUAL(520, q.tx_ring_ref);
    LONGS_EQUAL(521, q.rx_ring_ref);
    CHECK(q.split);
    LONGS_EQUAL(8, q.evtchn_tx);
    LONGS_EQUAL(9, q.evtchn_rx);
    CHECK(v.params().sg);
    CHECK(v.params().gso_tcpv4);
    CHECK(v.params().gso_tcpv6);
    CHECK(v.params().ipv6_csum_offload);
    CHECK(v.params().rx_notify);
}

// The same guest answering a backend that offers no split event channels:
// one event-channel key, still at the top level.
TEST(vif_xenbus, linux_61_single_queue_one_event_channel)
{
    features.split_event_channels = false;
    vif_xenbus v(xs, 0, 5, 0, features);
    LONGS_EQUAL(0, v.start());
    xs.write(fe + "/multi-queue-num-queues", "1");
    xs.write(fe + "/tx-ring-ref", "520");
    xs.write(fe + "/rx-ring-ref", "521");
    xs.write(fe + "/event-channel", "8");
    xs.write(fe + "/request-rx-copy", "1");
    xs.write(fe + "/feature-rx-notify", "1");
    xs.write(fe + "/state", "4");
    CHECK_TEXT(v.run() == vif_xenbus::action::connect, v.last_error().c_str());
    LONGS_EQUAL(1, v.params().queues.size());
    CHECK(!v.params().queues[0].split);
    LONGS_EQUAL(8, v.params().queues[0].evtchn_tx);
    LONGS_EQUAL(8, v.params().queues[0].evtchn_rx);
}

// One queue means the top level even if a queue-0 directory exists too:
// netback reads only the top level then, and so do we.
TEST(vif_xenbus, one_queue_ignores_a_queue_directory)
{
    vif_xenbus v(xs, 0, 5, 0, features);
    LONGS_EQUAL(0, v.start());
    write_good_frontend();
    xs.write(fe + "/multi-queue-num-queues", "1");
    xs.write(fe + "/queue-0/tx-ring-ref", "100");
    xs.write(fe + "/queue-0/rx-ring-ref", "101");
    xs.write(fe + "/queue-0/event-channel", "102");
    xs.write(fe + "/state", "4");
    CHECK_TEXT(v.run() == vif_xenbus::action::connect, v.last_error().c_str());
    LONGS_EQUAL(8, v.params().queues[0].tx_ring_ref);
    LONGS_EQUAL(3, v.params().queues[0].evtchn_tx);
}

// Several queues: every ring key in queue-N/, split or single event
// channels per queue.
TEST(vif_xenbus, two_queues_with_one_event_channel_each)
{
    features.max_queues = 2;
    vif_xenbus v(xs, 0, 5, 0, features);
    v.start();
    xs.write(fe + "/request-rx-copy", "1");
    xs.write(fe + "/feature-rx-notify", "1");
    xs.write(fe + "/multi-queue-num-queues", "2");
    for (int q = 0; q < 2; q++) {
        std::string d = fe + "/queue-" + std::to_string(q);
        xs.write(d + "/tx-ring-ref", std::to_string(10 + q));
        xs.write(d + "/rx-ring-ref", std::to_string(20 + q));
        xs.write(d + "/event-channel", std::to_string(30 + q));
    }
    xs.write(fe + "/state", "4");
    CHECK_TEXT(v.run() == vif_xenbus::action::connect, v.last_error().c_str());
    LONGS_EQUAL(2, v.params().queues.size());
    CHECK(!v.params().queues[1].split);
    LONGS_EQUAL(11, v.params().queues[1].tx_ring_ref);
    LONGS_EQUAL(31, v.params().queues[1].evtchn_rx);
}

// Several queues with the ring keys at the top level only is not a valid
// multi-queue frontend: refused with a reason naming the queue directory.
TEST(vif_xenbus, two_queues_without_queue_directories_are_refused)
{
    features.max_queues = 2;
    vif_xenbus v(xs, 0, 5, 0, features);
    v.start();
    write_good_frontend();
    xs.write(fe + "/multi-queue-num-queues", "2");
    xs.write(fe + "/state", "4");
    CHECK(v.run() == vif_xenbus::action::none);
    STRCMP_CONTAINS("queue-0", v.last_error().c_str());
}

TEST(vif_xenbus, hostile_frontends_fail_the_handshake_only)
{
    struct {
        const char *key;
        const char *value;
    } cases[] = {
        {"request-rx-copy", "0"},
        {"tx-ring-ref", "-1"},
        {"tx-ring-ref", "4294967296"},
        {"rx-ring-ref", "12abc"},
        {"event-channel", ""},
        {"feature-sg", "2"},
        {"multi-queue-num-queues", "9"},
        {"multi-queue-num-queues", "0"},
        {"multi-queue-num-queues", "01x"},
    };
    for (auto &c : cases) {
        fake_store s;
        s.kv = xs.kv;
        vif_xenbus v(s, 0, 5, 0, features);
        LONGS_EQUAL(0, v.start());
        s.write(fe + "/tx-ring-ref", "8");
        s.write(fe + "/rx-ring-ref", "9");
        s.write(fe + "/event-channel", "3");
        s.write(fe + "/request-rx-copy", "1");
        s.write(fe + std::string("/") + c.key, c.value);
        s.write(fe + "/state", "4");
        CHECK_TEXT(v.run() == vif_xenbus::action::none, c.key);
        STRCMP_EQUAL("6", s.kv[be + "/state"].c_str());
        CHECK(!v.last_error().empty());
        CHECK(s.kv.count(be + "/error"));
    }
}

TEST(vif_xenbus, split_channels_not_offered_are_refused)
{
    features.split_event_channels = false;
    vif_xenbus v(xs, 0, 5, 0, features);
    v.start();
    xs.write(fe + "/request-rx-copy", "1");
    xs.write(fe + "/tx-ring-ref", "1");
    xs.write(fe + "/rx-ring-ref", "2");
    xs.write(fe + "/event-channel-tx", "3");
    xs.write(fe + "/event-channel-rx", "4");
    xs.write(fe + "/state", "4");
    CHECK(v.run() == vif_xenbus::action::none);
    STRCMP_CONTAINS("split", v.last_error().c_str());
}

TEST(vif_xenbus, claimer_answers_only_vif_linc_devices)
{
    const std::string base = "/local/domain/0/backend/vif";
    // Ours: xl made it, Initialising, script vif-linc.
    xs.kv[base + "/5/0/frontend"] = fe;
    xs.kv[base + "/5/0/state"] = "1";
    xs.kv[base + "/5/0/script"] = "/etc/xen/scripts/vif-linc";
    // A netback-managed vif: someone else's.
    xs.kv[base + "/6/0/frontend"] = "/local/domain/6/device/vif/0";
    xs.kv[base + "/6/0/state"] = "1";
    xs.kv[base + "/6/0/script"] = "/etc/xen/scripts/vif-bridge";
    // Ours by script but already past Initialising.
    xs.kv[base + "/7/0/frontend"] = "/local/domain/7/device/vif/0";
    xs.kv[base + "/7/0/state"] = "4";
    xs.kv[base + "/7/0/script"] = "vif-linc";
    // Look-alike script name and junk directory names.
    xs.kv[base + "/8/0/frontend"] = "/local/domain/8/device/vif/0";
    xs.kv[base + "/8/0/state"] = "1";
    xs.kv[base + "/8/0/script"] = "/opt/not-vif-linc";
    xs.kv[base + "/x/0/state"] = "1";

    vif_claimer c(xs, 0, features);
    LONGS_EQUAL(0, c.start());
    LONGS_EQUAL(1, c.run());
    STRCMP_EQUAL("2", xs.kv[base + "/5/0/state"].c_str());
    STRCMP_EQUAL("1", xs.kv[base + "/5/0/feature-rx-copy"].c_str());
    STRCMP_EQUAL("1", xs.kv[base + "/6/0/state"].c_str());
    CHECK(!xs.kv.count(base + "/6/0/feature-rx-copy"));
    STRCMP_EQUAL("4", xs.kv[base + "/7/0/state"].c_str());
    STRCMP_EQUAL("1", xs.kv[base + "/8/0/state"].c_str());
    // Nothing new: no scan, nothing answered.
    xs.poll_watches();
    LONGS_EQUAL(0, c.run());
    // A new one appears.
    xs.write(base + "/9/1/frontend", "/local/domain/9/device/vif/1");
    xs.write(base + "/9/1/script", "vif-linc");
    xs.write(base + "/9/1/state", "1");
    LONGS_EQUAL(1, c.run());
    STRCMP_EQUAL("2", xs.kv[base + "/9/1/state"].c_str());
}

TEST(vif_xenbus, guest_bytes_in_errors_are_quoted_and_bounded)
{
    STRCMP_EQUAL("\"ab\\x0a\\xff\\x22\"",
                 quote_guest_value(std::string("ab\n\xff\""), 32).c_str());
    STRCMP_EQUAL("\"abc\"... (5 bytes)",
                 quote_guest_value("abcde", 3).c_str());

    vif_xenbus v(xs, 0, 5, 0, features);
    LONGS_EQUAL(0, v.start());
    write_good_frontend();
    std::string junk(3000, '\xff');
    for (size_t i = 0; i < junk.size(); i += 7) {
        junk[i] = '\n';
    }
    xs.write(fe + "/multi-queue-num-queues", junk);
    xs.write(fe + "/state", "4");
    CHECK(v.run() == vif_xenbus::action::none);
    const std::string &err = xs.kv[be + "/error"];
    CHECK(err.size() < 256);
    for (unsigned char c : err) {
        CHECK(c >= 0x20 && c < 0x7f);
    }
    STRCMP_CONTAINS("(3000 bytes)", err.c_str());
}

// A frontend that keeps failing is offered the backend later and later:
// 100 ms, doubling, up to 30 s; a connection that lasts 10 s clears it.
TEST(vif_xenbus, failing_or_flapping_frontends_back_off)
{
    vif_xenbus v(xs, 0, 5, 0, features, clock);
    LONGS_EQUAL(0, v.start());
    uint64_t expect = 100;
    for (int i = 0; i < 12; i++) {
        // A malformed frontend: fails the handshake.
        xs.write(fe + "/request-rx-copy", "0");
        xs.write(fe + "/state", "4");
        CHECK(v.run() == vif_xenbus::action::none);
        STRCMP_EQUAL("6", xs.kv[be + "/state"].c_str());
        LONGS_EQUAL(expect, v.backoff_ms());
        // It starts over at once; we wait out the backoff.
        xs.write(fe + "/state", "1");
        CHECK(v.run() == vif_xenbus::action::none);
        STRCMP_EQUAL("6", xs.kv[be + "/state"].c_str());
        LONGS_EQUAL(expect, v.ms_until_offer());
        now_ms += expect - 1;
        CHECK(v.run() == vif_xenbus::action::none);
        STRCMP_EQUAL("6", xs.kv[be + "/state"].c_str());
        now_ms += 1;
        CHECK(v.run() == vif_xenbus::action::none);
        STRCMP_EQUAL("2", xs.kv[be + "/state"].c_str());
        expect = std::min<uint64_t>(2 * expect, 30000);
    }
    LONGS_EQUAL(30000, v.backoff_ms());

    // A good connection that lasts 10 s clears the backoff.
    write_good_frontend();
    xs.write(fe + "/state", "4");
    CHECK(v.run() == vif_xenbus::action::connect);
    v.connected();
    now_ms += 10000;
    xs.write(fe + "/state", "5");
    CHECK(v.run() == vif_xenbus::action::disconnect);
    v.closed();
    LONGS_EQUAL(0, v.backoff_ms());
    xs.write(fe + "/state", "1");
    CHECK(v.run() == vif_xenbus::action::none);
    STRCMP_EQUAL("2", xs.kv[be + "/state"].c_str());
}

// The backoff belongs to one guest: a new domain on the port starts clean.
TEST(vif_xenbus, a_new_domain_is_owed_no_backoff)
{
    vif_xenbus v(xs, 0, 5, 0, features, clock);
    LONGS_EQUAL(0, v.start());
    xs.write(fe + "/request-rx-copy", "0");
    xs.write(fe + "/state", "4");
    CHECK(v.run() == vif_xenbus::action::none);
    LONGS_EQUAL(100, v.backoff_ms());
    xs.rm("/local/domain/5");
    CHECK(v.run() == vif_xenbus::action::none);
    LONGS_EQUAL(0, v.backoff_ms());
    xs.write(fe + "/state", "1");
    CHECK(v.run() == vif_xenbus::action::none);
    STRCMP_EQUAL("2", xs.kv[be + "/state"].c_str());
}

// A backend before us (ovs-vswitchd-linc before a restart, or a crash) left
// the vif Connected, and the frontend is Connected on its rings: start()
// writes nothing, and the rings are taken over as they are.
TEST(vif_xenbus, a_connected_vif_is_taken_over_without_a_word)
{
    write_good_frontend();
    xs.kv[fe + "/state"] = "4";
    xs.kv[be + "/state"] = "4";
    xs.kv[be + "/feature-sg"] = "1";
    const auto before = xs.kv;
    vif_xenbus v(xs, 0, 5, 0, features, clock);
    LONGS_EQUAL(0, v.start());
    CHECK(v.reattaching());
    CHECK(v.run() == vif_xenbus::action::connect);
    LONGS_EQUAL(8, v.params().queues[0].tx_ring_ref);
    v.connected();
    CHECK(!v.reattaching());
    CHECK(v.reattached());
    CHECK(v.state() == xenbus_state::connected);
    CHECK(xs.kv == before);         // Not one key written.
    CHECK(v.run() == vif_xenbus::action::none);

    // From then on as any connection: the frontend closes, we close.
    xs.write(fe + "/state", "5");
    CHECK(v.run() == vif_xenbus::action::disconnect);
}

// Only Connected on both sides is taken over; anything else is a new
// handshake.
TEST(vif_xenbus, only_a_connected_pair_is_taken_over)
{
    write_good_frontend();
    xs.kv[be + "/state"] = "4";
    xs.kv[fe + "/state"] = "1";     // The guest started over meanwhile.
    vif_xenbus v(xs, 0, 5, 0, features, clock);
    LONGS_EQUAL(0, v.start());
    CHECK(!v.reattaching());
    STRCMP_EQUAL("2", xs.kv[be + "/state"].c_str());

    fake_store xs2;
    xs2.kv = xs.kv;
    xs2.kv[be + "/state"] = "6";    // Closed by a backend before us.
    xs2.kv[fe + "/state"] = "4";
    vif_xenbus w(xs2, 0, 5, 0, features, clock);
    LONGS_EQUAL(0, w.start());
    CHECK(!w.reattaching());
    STRCMP_EQUAL("2", xs2.kv[be + "/state"].c_str());
}

// The frontend left the rings before we could take them over: Closed, and
// a new handshake when it starts again.
TEST(vif_xenbus, a_take_over_overtaken_by_the_frontend_closes)
{
    write_good_frontend();
    xs.kv[fe + "/state"] = "4";
    xs.kv[be + "/state"] = "4";
    vif_xenbus v(xs, 0, 5, 0, features, clock);
    LONGS_EQUAL(0, v.start());
    xs.write(fe + "/state", "5");
    CHECK(v.run() == vif_xenbus::action::none);
    STRCMP_EQUAL("6", xs.kv[be + "/state"].c_str());
    xs.write(fe + "/state", "1");
    CHECK(v.run() == vif_xenbus::action::none);
    STRCMP_EQUAL("2", xs.kv[be + "/state"].c_str());
    xs.write(fe + "/state", "4");
    CHECK(v.run() == vif_xenbus::action::connect);
    CHECK(!v.reattaching());
}

// A take-over that fails is tried again, quietly, every 100 ms for 2 s,
// then the vif is closed with the reason; a bad frontend fails at once.
TEST(vif_xenbus, a_failing_take_over_is_retried_then_closed)
{
    write_good_frontend();
    xs.kv[fe + "/state"] = "4";
    xs.kv[be + "/state"] = "4";
    const auto before = xs.kv;
    vif_xenbus v(xs, 0, 5, 0, features, clock);
    LONGS_EQUAL(0, v.start());
    for (unsigned i = 0; i < vif_xenbus::reattach_max_tries; i++) {
        CHECK(v.run() == vif_xenbus::action::connect);
        CHECK(v.retry_reattach("cannot bind the event channel"));
        LONGS_EQUAL(100, v.ms_until_offer());
        CHECK(v.run() == vif_xenbus::action::none);    // Not yet.
        now_ms += 100;
    }
    CHECK(xs.kv == before);
    CHECK(v.run() == vif_xenbus::action::connect);
    CHECK(!v.retry_reattach("cannot bind the event channel"));
    v.failed("cannot bind the event channel");
    STRCMP_EQUAL("6", xs.kv[be + "/state"].c_str());
    STRCMP_EQUAL("cannot bind the event channel",
                 xs.kv[be + "/error"].c_str());

    // What the frontend wrote does not add up: closed at once.
    fake_store xs2;
    xs2.kv = before;
    xs2.kv[fe + "/tx-ring-ref"] = "x";
    vif_xenbus w(xs2, 0, 5, 0, features, clock);
    LONGS_EQUAL(0, w.start());
    CHECK(w.run() == vif_xenbus::action::none);
    STRCMP_EQUAL("6", xs2.kv[be + "/state"].c_str());
}

// What a previous ovs-vswitchd-linc left Connected: only vif-linc vifs in
// state Connected, whatever else the directory holds.
TEST(vif_xenbus, claimer_lists_connected_vif_linc_devices)
{
    const std::string base = "/local/domain/0/backend/vif";
    xs.kv[base + "/5/0/state"] = "4";
    xs.kv[base + "/5/0/script"] = "/etc/xen/scripts/vif-linc";
    xs.kv[base + "/5/1/state"] = "2";           // Not connected.
    xs.kv[base + "/5/1/script"] = "vif-linc";
    xs.kv[base + "/6/0/state"] = "4";           // Someone else's.
    xs.kv[base + "/6/0/script"] = "/etc/xen/scripts/vif-bridge";
    xs.kv[base + "/7/3/state"] = "4";
    xs.kv[base + "/7/3/script"] = "vif-linc";
    xs.kv[base + "/x/0/state"] = "4";           // Junk.
    xs.kv[base + "/x/0/script"] = "vif-linc";
    vif_claimer c(xs, 0, features);
    auto v = c.connected_vifs();
    LONGS_EQUAL(2, v.size());
    std::set<std::pair<domid_t, unsigned>> got(v.begin(), v.end());
    CHECK(got.count({5, 0}) == 1);
    CHECK(got.count({7, 3}) == 1);
}
