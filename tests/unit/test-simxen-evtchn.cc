// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// Event channels between an emulated guest and the backend platform:
// notify, the single pollable fd, pending() and masking until unmask().

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "netdev-xen/xen-platform.h"
#include "tests/unit/simxen-fixture.h"
#include "utilities/simxen/ctl-client.h"
#include "utilities/simxen/protocol.h"
#include "utilities/simxen/sim-guest.h"

#include <CppUTest/TestHarness.h>

using namespace linc::xen;

namespace {

bool readable(int fd, int timeout_ms = 0)
{
    pollfd p{fd, POLLIN, 0};
    return poll(&p, 1, timeout_ms) == 1;
}

}  // namespace

TEST_GROUP(simxen_evtchn)
{
    simxen_fixture fx;
    std::unique_ptr<sim_guest> guest;
    std::unique_ptr<backend_platform> be;

    void setup() override
    {
        LONGS_EQUAL(0, fx.start());
        LONGS_EQUAL(0, sim_guest::create(fx.control(), 3, 4, 16, &guest));
        LONGS_EQUAL(0, open_simxen_platform(fx.control(), 0, &be));
    }
    void teardown() override
    {
        be.reset();
        guest.reset();
        fx.stop();
    }
};

TEST(simxen_evtchn, notify_both_ways)
{
    evtchn_port_t gport, bport;
    LONGS_EQUAL(0, guest->alloc_unbound(0, &gport));
    LONGS_EQUAL(0, be->bind_interdomain(3, gport, &bport));
    CHECK(!readable(be->evtchn_fd()));
    LONGS_EQUAL(-1, be->pending());
    LONGS_EQUAL(EAGAIN, errno);

    LONGS_EQUAL(0, guest->notify(gport));
    CHECK(readable(be->evtchn_fd(), 1000));
    LONGS_EQUAL(static_cast<int>(bport), be->pending());
    LONGS_EQUAL(0, be->unmask(bport));
    CHECK(!readable(be->evtchn_fd()));

    LONGS_EQUAL(0, be->notify(bport));
    LONGS_EQUAL(0, guest->wait(gport, 1000));
    LONGS_EQUAL(ETIMEDOUT, guest->wait(gport, 0));
}

TEST(simxen_evtchn, masked_port_fires_again_on_unmask)
{
    evtchn_port_t gport, bport;
    guest->alloc_unbound(0, &gport);
    be->bind_interdomain(3, gport, &bport);
    guest->notify(gport);
    CHECK(readable(be->evtchn_fd(), 1000));
    LONGS_EQUAL(static_cast<int>(bport), be->pending());
    // Masked: a new event is held back...
    guest->notify(gport);
    CHECK(!readable(be->evtchn_fd(), 50));
    LONGS_EQUAL(-1, be->pending());
    // ...and delivered by unmask().
    LONGS_EQUAL(0, be->unmask(bport));
    CHECK(readable(be->evtchn_fd(), 1000));
    LONGS_EQUAL(static_cast<int>(bport), be->pending());
    be->unmask(bport);
}

TEST(simxen_evtchn, several_ports_each_pending)
{
    evtchn_port_t g[3], b[3];
    for (int i = 0; i < 3; i++) {
        LONGS_EQUAL(0, guest->alloc_unbound(0, &g[i]));
        LONGS_EQUAL(0, be->bind_interdomain(3, g[i], &b[i]));
    }
    guest->notify(g[0]);
    guest->notify(g[2]);
    CHECK(readable(be->evtchn_fd(), 1000));
    int p1 = be->pending();
    int p2 = be->pending();
    LONGS_EQUAL(-1, be->pending());
    CHECK((p1 == int(b[0]) && p2 == int(b[2])) ||
          (p1 == int(b[2]) && p2 == int(b[0])));
}

TEST(simxen_evtchn, bind_rules)
{
    evtchn_port_t gport, bport;
    LONGS_EQUAL(EINVAL, be->bind_interdomain(3, 77, &bport));
    LONGS_EQUAL(ESRCH, be->bind_interdomain(9, 1, &bport));
    LONGS_EQUAL(ESRCH, guest->alloc_unbound(9, &gport));
    std::unique_ptr<sim_guest> other;
    LONGS_EQUAL(0, sim_guest::create(fx.control(), 4, 1, 16, &other));
    LONGS_EQUAL(0, guest->alloc_unbound(4, &gport));    // For domain 4 only.
    LONGS_EQUAL(EINVAL, be->bind_interdomain(3, gport, &bport));
    LONGS_EQUAL(0, guest->alloc_unbound(0, &gport));
    LONGS_EQUAL(0, be->bind_interdomain(3, gport, &bport));
    LONGS_EQUAL(EINVAL, be->bind_interdomain(3, gport, &bport));  // Bound.
    LONGS_EQUAL(EINVAL, be->notify(bport + 100));
    LONGS_EQUAL(EINVAL, be->unmask(bport + 100));
}

TEST(simxen_evtchn, unbind_lets_the_peer_rebind)
{
    evtchn_port_t gport, bport;
    guest->alloc_unbound(0, &gport);
    be->bind_interdomain(3, gport, &bport);
    LONGS_EQUAL(0, be->unbind(bport));
    LONGS_EQUAL(EINVAL, be->unbind(bport));
    // The guest's port is unbound again, awaiting domain 0.
    LONGS_EQUAL(0, guest->notify(gport));
    LONGS_EQUAL(0, be->bind_interdomain(3, gport, &bport));
    guest->notify(gport);
    CHECK(readable(be->evtchn_fd(), 1000));
    LONGS_EQUAL(static_cast<int>(bport), be->pending());
}

// A backend process that dies with its ports bound: Linux's evtchn device
// closes the dead process's ports, so the guest's port waits unbound for
// domain 0 again and a restarted backend binds it (the guest does nothing).
TEST(simxen_evtchn, a_dead_backends_ports_can_be_bound_again)
{
    evtchn_port_t gport, bport;
    LONGS_EQUAL(0, guest->alloc_unbound(0, &gport));
    auto dying = std::make_unique<simxen::ctl_client>();
    LONGS_EQUAL(0, dying->connect(fx.control()));
    simxen::ctl_request req{
        static_cast<uint32_t>(simxen::ctl_op::evtchn_bind_interdomain), 0, 3,
        gport};
    simxen::ctl_reply rep;
    std::vector<simxen::unique_fd> fds;
    LONGS_EQUAL(0, dying->call(req, &rep, &fds));
    // Bound: nobody else may bind it.
    LONGS_EQUAL(EINVAL, be->bind_interdomain(3, gport, &bport));

    dying.reset();
    fds.clear();
    // Once the daemon has seen the close (a daemon that never unbound the
    // port would keep us here until the watchdog fails the test).
    int err;
    while ((err = be->bind_interdomain(3, gport, &bport)) == EINVAL) {
        usleep(1000);
    }
    LONGS_EQUAL(0, err);
    guest->notify(gport);
    CHECK(readable(be->evtchn_fd(), 1000));
    LONGS_EQUAL(static_cast<int>(bport), be->pending());
}

TEST(simxen_evtchn, notify_before_bind_is_dropped_as_on_xen)
{
    evtchn_port_t gport, bport;
    guest->alloc_unbound(0, &gport);
    guest->notify(gport);
    be->bind_interdomain(3, gport, &bport);
    CHECK(!readable(be->evtchn_fd(), 50));
    guest->notify(gport);
    CHECK(readable(be->evtchn_fd(), 1000));
    LONGS_EQUAL(static_cast<int>(bport), be->pending());
}

namespace {

void set_blocking(int fd, bool blocking)
{
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, blocking ? fl & ~O_NONBLOCK : fl | O_NONBLOCK);
}

}  // namespace

// A hostile guest holds the descriptors of its event channels, as handed
// out by evtchn_alloc_unbound, and does what it likes with them: makes
// them blocking, fills them.  Neither the daemon nor a backend may then
// block on them.  The calls below are made directly: one that blocked
// would never return, and the test binary's watchdog (main.cc) would name
// the test and fail the run; no test here measures how long a call takes.
TEST_GROUP(simxen_evtchn_hostile)
{
    simxen_fixture fx;
    std::unique_ptr<backend_platform> be;
    simxen::ctl_client ctl;         // Acting as domain 3, a guest.
    std::vector<simxen::unique_fd> fds;
    evtchn_port_t gport = 0;

    void setup() override
    {
        LONGS_EQUAL(0, fx.start());
        LONGS_EQUAL(0, ctl.connect(fx.control()));
        simxen::ctl_request req{
            static_cast<uint32_t>(simxen::ctl_op::create_domain), 3, 4, 16};
        simxen::ctl_reply rep;
        LONGS_EQUAL(0, ctl.call(req, &rep));
        std::string own = fx.dir + "/" + simxen::guest_control_name(3);
        if (access(own.c_str(), F_OK) == 0) {
            LONGS_EQUAL(0, ctl.connect(own));
        }
        req = {static_cast<uint32_t>(simxen::ctl_op::evtchn_alloc_unbound),
               3, 0, 0};
        LONGS_EQUAL(0, ctl.call(req, &rep, &fds));
        gport = rep.v0;
        LONGS_EQUAL(0, open_simxen_platform(fx.control(), 0, &be));
    }
    void teardown() override
    {
        be.reset();
        fds.clear();
        fx.stop();
    }

    // Blocking, and each as full as 8 bytes of 0xff..fe make it (an
    // eventfd's counter saturates).
    void make_hostile()
    {
        for (auto &fd : fds) {
            set_blocking(fd.get(), true);
            uint64_t v = 0xfffffffffffffffe;
            ssize_t n = write(fd.get(), &v, sizeof v);
            (void) n;
        }
    }
    // Reads whatever the descriptors hold, without blocking.
    void drain()
    {
        for (auto &fd : fds) {
            set_blocking(fd.get(), false);
            char buf[4096];
            while (read(fd.get(), buf, sizeof buf) > 0) {
                continue;
            }
        }
    }
};

TEST(simxen_evtchn_hostile, the_daemon_binds_without_blocking)
{
    for (auto &fd : fds) {
        set_blocking(fd.get(), true);
    }
    evtchn_port_t bport;
    LONGS_EQUAL(0, be->bind_interdomain(3, gport, &bport));
}

TEST(simxen_evtchn_hostile, the_backend_notifies_without_blocking)
{
    evtchn_port_t bport;
    LONGS_EQUAL(0, be->bind_interdomain(3, gport, &bport));
    make_hostile();
    for (int i = 0; i < 10000; i++) {
        LONGS_EQUAL(0, be->notify(bport));
    }
    drain();
}

TEST(simxen_evtchn_hostile, the_daemon_notifies_without_blocking)
{
    evtchn_port_t bport;
    LONGS_EQUAL(0, be->bind_interdomain(3, gport, &bport));
    make_hostile();
    simxen::ctl_request req{
        static_cast<uint32_t>(simxen::ctl_op::evtchn_notify), 3, gport, 0};
    simxen::ctl_reply rep;
    for (int i = 0; i < 1000; i++) {
        LONGS_EQUAL(0, ctl.call(req, &rep));
    }
    drain();
}

// A guest that shuts its end of the channel down makes the backend's end
// report end-of-file, for ever: the backend hears of it once, then the
// port stays quiet rather than firing on every poll.
TEST(simxen_evtchn_hostile, a_channel_shut_by_the_guest_goes_quiet)
{
    evtchn_port_t bport;
    LONGS_EQUAL(0, be->bind_interdomain(3, gport, &bport));
    for (auto &fd : fds) {
        shutdown(fd.get(), SHUT_RDWR);  // ENOTSOCK for eventfds.
    }
    int p = be->pending();
    CHECK(p == -1 || p == static_cast<int>(bport));
    LONGS_EQUAL(0, be->unmask(bport));
    CHECK(!readable(be->evtchn_fd(), 50));
    LONGS_EQUAL(-1, be->pending());
    LONGS_EQUAL(0, be->notify(bport));
    LONGS_EQUAL(0, be->unbind(bport));
}
