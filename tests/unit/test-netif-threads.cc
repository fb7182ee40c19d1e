// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// The backend and the frontend on two threads, each sleeping on its event
// channel whenever the ring protocol lets it.  A lost wakeup (a wrong
// fence or event-index update) shows up as a wait that times out.

#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "tests/unit/netif-harness.h"

#include <CppUTest/TestHarness.h>

using namespace linc::xen;
using namespace linc::xen::test;

namespace {

constexpr int wait_ms = 3000;

// Waits for 'fd' (an eventfd); false on timeout.
bool wait_fd(int fd)
{
    struct pollfd pfd = {fd, POLLIN, 0};
    int n = poll(&pfd, 1, wait_ms);
    if (n <= 0) {
        return false;
    }
    uint64_t v;
    ssize_t r = read(fd, &v, sizeof v);
    (void) r;
    return true;
}

size_t tx_len(uint32_t seq) { return 60 + (seq * 37) % 1400; }
size_t rx_len(uint32_t seq) { return 60 + (seq * 53) % 1900; }

void run_threads(const uint32_t tx_total, const uint32_t rx_total)
{
    netif_pair p(all_features());
    std::atomic<bool> stop{false};
    std::atomic<uint32_t> be_timeouts{0}, fe_timeouts{0};
    std::atomic<uint32_t> be_bad{0}, fe_bad{0};
    std::atomic<uint32_t> be_got{0}, fe_got{0};

    // Everything the threads use is allocated here: CppUTest's allocator
    // is not thread-safe.
    std::vector<uint8_t> rx_src(32 * 2048);
    std::vector<uint8_t> fe_tx(2048), fe_rx(2048);

    std::thread backend([&]() {
        uint32_t expect = 0, rx_seq = 0;
        const int fd = p.xen.backend().evtchn_fd();
        while (!stop) {
            size_t n = p.tx(64);
            for (size_t i = 0; i < n; i++, expect++) {
                if (p.pool[i].len != tx_len(expect)
                    || !check_packet(p.pool[i].data, p.pool[i].len, expect)) {
                    be_bad++;
                }
            }
            be_got = expect;
            size_t r = 0;
            if (rx_seq < rx_total && p.be->rx_buffers_available(1)) {
                packet_view v[32];
                size_t k = std::min<size_t>(32, rx_total - rx_seq);
                for (size_t i = 0; i < k; i++) {
                    uint8_t *d = &rx_src[i * 2048];
                    fill_packet(d, rx_len(rx_seq + i), rx_seq + i);
                    v[i] = packet_view{d, uint32_t(rx_len(rx_seq + i)), 0, 0,
                                       0};
                }
                r = p.be->rx_burst(v, k);
                rx_seq += r;
            }
            if (n || r) {
                continue;
            }
            if (p.be->final_check()
                || (rx_seq < rx_total && p.be->rx_buffers_available(1))) {
                continue;
            }
            if (stop) {
                break;
            }
            if (!wait_fd(fd)) {
                be_timeouts++;
            }
            int port;
            while ((port = p.xen.backend().pending()) >= 0) {
                p.be->on_event(port);
                p.xen.backend().unmask(port);
            }
        }
    });

    std::thread frontend([&]() {
        uint32_t sent = 0, got = 0;
        const int fd = p.xen.guest_event_fd();
        while (got < rx_total || p.fe->counters().tx_okay < tx_total) {
            bool progress = p.fe->reap_tx() > 0;
            bool queued = false;
            while (sent < tx_total) {
                fill_packet(fe_tx.data(), tx_len(sent), sent);
                if (p.fe->send(fe_tx.data(), tx_len(sent), {})) {
                    break;
                }
                sent++;
                queued = true;
            }
            if (queued) {
                p.fe->push_tx();
                progress = true;
            }
            frontend_rx_packet info;
            int rc;
            while ((rc = p.fe->receive(fe_rx.data(), fe_rx.size(), &info))
                   == 1) {
                if (info.len != rx_len(got)
                    || !check_packet(fe_rx.data(), info.len, got)) {
                    fe_bad++;
                }
                got++;
                progress = true;
            }
            if (rc < 0) {
                fe_bad++;
            }
            fe_got = got;
            if (p.fe->post_rx_buffers(256)) {
                progress = true;
            }
            if (progress) {
                continue;
            }
            if (p.fe->final_check_tx() || p.fe->final_check_rx()) {
                continue;
            }
            if (got >= rx_total && p.fe->counters().tx_okay >= tx_total) {
                break;
            }
            if (!wait_fd(fd)) {
                fe_timeouts++;
                if (fe_timeouts > 3) {
                    break;      // give up rather than hang the suite
                }
            }
        }
    });

    frontend.join();
    // Wait for the backend to have everything, then stop and wake it.
    for (int i = 0; i < 3000 && be_got < tx_total; i++) {
        usleep(1000);
    }
    stop = true;
    p.xen.guest().notify(p.fe_port);
    backend.join();

    LONGS_EQUAL(0, be_bad.load());
    LONGS_EQUAL(0, fe_bad.load());
    LONGS_EQUAL(tx_total, be_got.load());
    LONGS_EQUAL(rx_total, fe_got.load());
    LONGS_EQUAL(0, be_timeouts.load());
    LONGS_EQUAL(0, fe_timeouts.load());
    LONGS_EQUAL(tx_total, p.be->counters().tx_packets);
    LONGS_EQUAL(rx_total, p.be->counters().rx_packets);
    LONGS_EQUAL(tx_total, p.fe->counters().tx_okay);
    CHECK(p.be->state().state == netif_state::connected);
    LONGS_EQUAL(0, p.fe->counters().backend_errors);
    // Batching: far fewer grant copies and notifications than packets.
    CHECK(p.be->counters().grant_copy_calls < tx_total + rx_total);
    CHECK(p.be->counters().notifications_sent < tx_total + rx_total);
}

}  // namespace

TEST_GROUP(netif_threads)
{
};

TEST(netif_threads, guest_to_switch_with_event_driven_sleep)
{
    run_threads(20000, 0);
}

TEST(netif_threads, switch_to_guest_with_event_driven_sleep)
{
    run_threads(0, 20000);
}

TEST(netif_threads, both_directions_with_event_driven_sleep)
{
    run_threads(20000, 20000);
}
