// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// simxen's control protocol as documented in utilities/simxen/protocol.h,
// spoken directly.

#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "tests/unit/simxen-fixture.h"
#include "utilities/simxen/ctl-client.h"
#include "utilities/simxen/protocol.h"

#include <CppUTest/TestHarness.h>

using namespace linc::xen::simxen;

TEST_GROUP(simxen_control)
{
    simxen_fixture fx;
    ctl_client ctl;

    void setup() override
    {
        LONGS_EQUAL(0, fx.start());
        LONGS_EQUAL(0, ctl.connect(fx.control()));
    }
    void teardown() override { fx.stop(); }

    int call(ctl_op op, uint32_t dom, uint32_t a = 0, uint32_t b = 0,
             ctl_reply *out = nullptr, std::vector<unique_fd> *fds = nullptr)
    {
        ctl_request req{static_cast<uint32_t>(op), dom, a, b};
        ctl_reply rep{};
        int err = ctl.call(req, &rep, fds);
        if (out) {
            *out = rep;
        }
        return err;
    }
};

TEST(simxen_control, sockets_are_private)
{
    struct stat st;
    LONGS_EQUAL(0, stat(fx.control().c_str(), &st));
    LONGS_EQUAL(0600, st.st_mode & 0777);
    LONGS_EQUAL(0, stat(fx.xenstored().c_str(), &st));
    LONGS_EQUAL(0600, st.st_mode & 0777);
}

TEST(simxen_control, a_second_daemon_does_not_steal_the_sockets)
{
    std::unique_ptr<simxen_daemon> second;
    LONGS_EQUAL(EADDRINUSE, simxen_daemon::create(fx.dir, &second));
    ctl_reply rep;
    LONGS_EQUAL(0, call(ctl_op::domain_alive, 0, 0, 0, &rep));
}

TEST(simxen_control, domain_lifecycle)
{
    ctl_reply rep;
    LONGS_EQUAL(0, call(ctl_op::domain_alive, 0, 0, 0, &rep));
    LONGS_EQUAL(1, rep.v0);     // Domain 0 exists from the start.
    LONGS_EQUAL(0, call(ctl_op::create_domain, 2, 4, 16));
    LONGS_EQUAL(EEXIST, call(ctl_op::create_domain, 2, 4, 16));
    std::vector<unique_fd> fds;
    LONGS_EQUAL(0, call(ctl_op::get_domain, 2, 0, 0, &rep, &fds));
    LONGS_EQUAL(4, rep.v0);
    LONGS_EQUAL(16, rep.v1);
    LONGS_EQUAL(5, fds.size());     // Privileged: with the active table.
    struct stat st;
    LONGS_EQUAL(0, fstat(fds[0].get(), &st));
    LONGS_EQUAL(4 * 4096, st.st_size);
    LONGS_EQUAL(0, fstat(fds[1].get(), &st));
    LONGS_EQUAL(4096, st.st_size);      // 16 entries, page-rounded.
    LONGS_EQUAL(0, fstat(fds[4].get(), &st));
    LONGS_EQUAL(4096, st.st_size);      // 16 active entries, page-rounded.
    // The liveness page: 1 while the domain lives, and nobody but the
    // daemon can change it.
    LONGS_EQUAL(0, fstat(fds[3].get(), &st));
    LONGS_EQUAL(4096, st.st_size);
    CHECK(mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
               fds[3].get(), 0) == MAP_FAILED);
    uint32_t one = 1;
    CHECK(pwrite(fds[3].get(), &one, sizeof one, 0) < 0);
    CHECK(ftruncate(fds[3].get(), 0) < 0);
    void *p = mmap(nullptr, 4096, PROT_READ, MAP_SHARED, fds[3].get(), 0);
    CHECK(p != MAP_FAILED);
    const volatile uint32_t *alive = static_cast<uint32_t *>(p);
    LONGS_EQUAL(1, *alive);

    LONGS_EQUAL(0, call(ctl_op::destroy_domain, 2));
    LONGS_EQUAL(0, call(ctl_op::domain_alive, 2, 0, 0, &rep));
    LONGS_EQUAL(0, rep.v0);
    // The death pipe handed out earlier reports the destruction, and so
    // does the liveness word.
    char c;
    LONGS_EQUAL(0, read(fds[2].get(), &c, 1));
    LONGS_EQUAL(0, *alive);
    munmap(p, 4096);
    LONGS_EQUAL(ESRCH, call(ctl_op::destroy_domain, 2));
    LONGS_EQUAL(ESRCH, call(ctl_op::get_domain, 2));
    LONGS_EQUAL(EPERM, call(ctl_op::destroy_domain, 0));
}

TEST(simxen_control, bad_requests_are_refused)
{
    LONGS_EQUAL(EINVAL, call(ctl_op::create_domain, 3, 0, 16));
    LONGS_EQUAL(EINVAL, call(ctl_op::create_domain, 3, ctl_max_pages + 1, 16));
    LONGS_EQUAL(EINVAL, call(ctl_op::create_domain, 3, 1, 0));
    LONGS_EQUAL(EINVAL, call(ctl_op::create_domain, domid_first_reserved, 1,
                             16));
    LONGS_EQUAL(EINVAL, call(ctl_op::create_domain, 0x10000, 1, 16));
    LONGS_EQUAL(ENOSYS, call(static_cast<ctl_op>(99), 0));
    LONGS_EQUAL(EINVAL, call(ctl_op::evtchn_notify, 0, 12345));
    LONGS_EQUAL(EINVAL, call(ctl_op::evtchn_unbind, 0, 12345));

    // A datagram of the wrong size.
    int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    strcpy(sun.sun_path, fx.control().c_str());
    LONGS_EQUAL(0, connect(fd, reinterpret_cast<sockaddr *>(&sun), sizeof sun));
    char junk[3] = {1, 2, 3};
    LONGS_EQUAL(3, send(fd, junk, 3, 0));
    ctl_reply rep{};
    LONGS_EQUAL(sizeof rep, recv(fd, &rep, sizeof rep, 0));
    LONGS_EQUAL(EINVAL, rep.err);
    close(fd);
}

TEST(simxen_control, ports_are_bounded_and_reused)
{
    ctl_reply rep;
    std::vector<unique_fd> fds;
    uint32_t n = 0;
    int err = 0;
    while (!(err = call(ctl_op::evtchn_alloc_unbound, 0, 0, 0, &rep, &fds))) {
        n++;
        LONGS_EQUAL(n, rep.v0);     // Lowest free, from 1.
    }
    // Each port holds a socket pair in the daemon (this process): with a
    // small descriptor limit we run out of those first.
    if (err == EMFILE || err == ENFILE) {
        CHECK(n > 0);
        return;
    }
    LONGS_EQUAL(ENOSPC, err);
    LONGS_EQUAL(ctl_max_ports, n);
    LONGS_EQUAL(0, call(ctl_op::evtchn_unbind, 0, 7));
    LONGS_EQUAL(0, call(ctl_op::evtchn_alloc_unbound, 0, 0, 0, &rep, &fds));
    LONGS_EQUAL(7, rep.v0);
}

// Each domain has its own control socket, "control.<domid>", through
// which a client acts as that domain only, as a guest does on Xen.
TEST(simxen_control, a_domain_socket_acts_as_its_domain_only)
{
    LONGS_EQUAL(0, call(ctl_op::create_domain, 2, 4, 16));
    LONGS_EQUAL(0, call(ctl_op::create_domain, 3, 4, 16));
    const std::string path = fx.dir + "/" + guest_control_name(2);
    struct stat st;
    LONGS_EQUAL(0, stat(path.c_str(), &st));
    LONGS_EQUAL(0600, st.st_mode & 0777);
    ctl_client g;
    LONGS_EQUAL(0, g.connect(path));
    auto gcall = [&](ctl_op op, uint32_t dom, uint32_t a = 0, uint32_t b = 0,
                     ctl_reply *out = nullptr,
                     std::vector<unique_fd> *fds = nullptr) {
        ctl_request req{static_cast<uint32_t>(op), dom, a, b};
        ctl_reply rep{};
        int err = g.call(req, &rep, fds);
        if (out) {
            *out = rep;
        }
        return err;
    };

    // Nothing as, or of, another domain.
    LONGS_EQUAL(EPERM, gcall(ctl_op::get_domain, 3));
    LONGS_EQUAL(EPERM, gcall(ctl_op::get_domain, 0));
    LONGS_EQUAL(EPERM, gcall(ctl_op::get_domain, 77));
    LONGS_EQUAL(EPERM, gcall(ctl_op::domain_alive, 3));
    LONGS_EQUAL(EPERM, gcall(ctl_op::evtchn_alloc_unbound, 3, 0));
    LONGS_EQUAL(EPERM, gcall(ctl_op::evtchn_alloc_unbound, 0, 3));
    LONGS_EQUAL(EPERM, gcall(ctl_op::evtchn_notify, 0, 1));
    LONGS_EQUAL(EPERM, gcall(ctl_op::evtchn_unbind, 3, 1));
    LONGS_EQUAL(EPERM, gcall(ctl_op::create_domain, 7, 4, 16));
    LONGS_EQUAL(EPERM, gcall(ctl_op::create_domain, 2, 4, 16));
    LONGS_EQUAL(EPERM, gcall(ctl_op::destroy_domain, 3));
    LONGS_EQUAL(EPERM, gcall(ctl_op::destroy_domain, 0));
    LONGS_EQUAL(EPERM, gcall(ctl_op::destroy_domain, 0x12345));

    // Itself: its memory and grant table (sealed), not the active grant
    // table, which only the privileged socket hands out.
    ctl_reply rep;
    std::vector<unique_fd> fds;
    LONGS_EQUAL(0, gcall(ctl_op::get_domain, 2, 0, 0, &rep, &fds));
    LONGS_EQUAL(4, rep.v0);
    LONGS_EQUAL(4, fds.size());
    CHECK(ftruncate(fds[0].get(), 0) < 0);
    CHECK(ftruncate(fds[1].get(), 0) < 0);
    std::vector<unique_fd> priv;
    LONGS_EQUAL(0, call(ctl_op::get_domain, 2, 0, 0, &rep, &priv));
    LONGS_EQUAL(5, priv.size());
    LONGS_EQUAL(0, gcall(ctl_op::domain_alive, 2, 0, 0, &rep));
    LONGS_EQUAL(1, rep.v0);

    // Its event channels, with domain 0 (the backend, privileged) at the
    // other end.
    LONGS_EQUAL(0, gcall(ctl_op::evtchn_alloc_unbound, 2, 0, 0, &rep, &fds));
    uint32_t gport = rep.v0;
    LONGS_EQUAL(0, call(ctl_op::evtchn_bind_interdomain, 0, 2, gport, &rep));
    uint32_t bport = rep.v0;
    LONGS_EQUAL(0, gcall(ctl_op::evtchn_notify, 2, gport));
    // Domain 0's port is not its to close.
    LONGS_EQUAL(EPERM, gcall(ctl_op::evtchn_unbind, 0, bport));
    LONGS_EQUAL(0, gcall(ctl_op::evtchn_unbind, 2, gport));
    LONGS_EQUAL(0, gcall(ctl_op::evtchn_alloc_unbound, 2, 3, 0, &rep, &fds));

    // It may shut itself down; the socket goes with the domain.
    LONGS_EQUAL(0, gcall(ctl_op::destroy_domain, 2));
    CHECK(stat(path.c_str(), &st) < 0);
    LONGS_EQUAL(ENOENT, errno);
    LONGS_EQUAL(0, call(ctl_op::domain_alive, 3, 0, 0, &rep));
    LONGS_EQUAL(1, rep.v0);
}

// A connection to a domain's socket acts as that domain, not as a later
// one that reuses its id.
TEST(simxen_control, a_domain_socket_dies_with_its_domain)
{
    LONGS_EQUAL(0, call(ctl_op::create_domain, 4, 1, 16));
    ctl_client g;
    LONGS_EQUAL(0, g.connect(fx.dir + "/" + guest_control_name(4)));
    ctl_request req{static_cast<uint32_t>(ctl_op::domain_alive), 4, 0, 0};
    ctl_reply rep;
    LONGS_EQUAL(0, g.call(req, &rep));
    LONGS_EQUAL(1, rep.v0);
    LONGS_EQUAL(0, call(ctl_op::destroy_domain, 4));
    LONGS_EQUAL(0, call(ctl_op::create_domain, 4, 2, 16));
    req = {static_cast<uint32_t>(ctl_op::get_domain), 4, 0, 0};
    std::vector<unique_fd> fds;
    CHECK(g.call(req, &rep, &fds) != 0);
    LONGS_EQUAL(0, fds.size());
    // The new domain's socket is its own.
    ctl_client g2;
    LONGS_EQUAL(0, g2.connect(fx.dir + "/" + guest_control_name(4)));
    LONGS_EQUAL(0, g2.call(req, &rep, &fds));
    LONGS_EQUAL(2, rep.v0);
}

// A guest cannot use up the daemon's control connections.
TEST(simxen_control, a_domain_socket_has_few_connections)
{
    LONGS_EQUAL(0, call(ctl_op::create_domain, 5, 1, 16));
    std::vector<std::unique_ptr<ctl_client>> conns;
    int refused = 0;
    for (int i = 0; i < 9; i++) {
        auto c = std::make_unique<ctl_client>();
        LONGS_EQUAL(0, c->connect(fx.dir + "/" + guest_control_name(5)));
        ctl_request req{static_cast<uint32_t>(ctl_op::domain_alive), 5, 0, 0};
        ctl_reply rep;
        refused += c->call(req, &rep) != 0;
        conns.push_back(std::move(c));
    }
    LONGS_EQUAL(1, refused);
    ctl_reply rep;
    LONGS_EQUAL(0, call(ctl_op::domain_alive, 5, 0, 0, &rep));
}
