// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// End to end, in three processes as on a real host: the simxen daemon, an
// emulated guest that grants a page and publishes it in xenstore the way a
// frontend does, and this process as the backend, which finds the grant
// through libxenstore, copies from and to it and signals the guest.

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

extern "C" {
#include <xenstore.h>
}

#include "netdev-xen/xen-platform.h"
#include "utilities/simxen/daemon.h"
#include "utilities/simxen/sim-guest.h"

#include <CppUTest/TestHarness.h>

using namespace linc::xen;

namespace {

const domid_t guest_dom = 9;
const char *const fe = "/local/domain/9/device/vif/0";

simxen::simxen_daemon *child_daemon;

void child_stop(int)
{
    child_daemon->stop();
}

// Forks the daemon; returns its pid once it serves.
pid_t spawn_daemon(const std::string &dir)
{
    int ready[2];
    if (pipe(ready) < 0) {
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(ready[0]);
        std::unique_ptr<simxen::simxen_daemon> d;
        if (simxen::simxen_daemon::create(dir, &d) != 0) {
            _exit(1);
        }
        child_daemon = d.get();
        signal(SIGTERM, child_stop);
        char ok = 0;
        if (write(ready[1], &ok, 1) != 1) {
            _exit(1);
        }
        int err = d->run();
        d.reset();
        _exit(err ? 1 : 0);
    }
    close(ready[1]);
    char ok = 1;
    ssize_t n = read(ready[0], &ok, 1);
    close(ready[0]);
    return n == 1 && ok == 0 ? pid : -1;
}

// The guest: exit status 0 on success, else the step that failed.
int guest_main(const std::string &dir)
{
    std::unique_ptr<sim_guest> g;
    if (sim_guest::create(dir + "/control", guest_dom, 8, 32, &g) != 0) {
        return 10;
    }
    char *page = static_cast<char *>(g->page(2));
    strcpy(page, "ping from domU");
    grant_ref_t ref;
    evtchn_port_t port;
    if (g->grant_access(2, 0, false, &ref) || g->alloc_unbound(0, &port)) {
        return 11;
    }
    // Through the guest's own xenstore connection, as domain 9.
    setenv("XENSTORED_PATH", g->xenstored_path().c_str(), 1);
    xs_handle *h = xs_open(0);
    if (!h) {
        return 12;
    }
    // Publish as a frontend does: one transaction, retried on EAGAIN, with
    // paths relative to the guest's home.
    for (;;) {
        xs_transaction_t t = xs_transaction_start(h);
        std::string r = std::to_string(ref), p = std::to_string(port);
        bool ok = xs_write(h, t, "device/vif/0/tx-ring-ref", r.data(),
                           r.size()) &&
                  xs_write(h, t, "device/vif/0/event-channel", p.data(),
                           p.size()) &&
                  xs_write(h, t, "device/vif/0/state", "3", 1);
        if (xs_transaction_end(h, t, !ok)) {
            break;
        }
        if (errno != EAGAIN) {
            return 13;
        }
    }
    xs_close(h);
    if (g->wait(port, 5000) != 0) {
        return 14;
    }
    if (strcmp(page + 1000, "pong from dom0") != 0) {
        return 15;
    }
    // The backend is done copying: revocation succeeds.
    return g->end_access(ref) == 0 ? 0 : 16;
}

std::string xs_str(xs_handle *h, const std::string &path)
{
    unsigned int len;
    char *v = static_cast<char *>(xs_read(h, XBT_NULL, path.c_str(), &len));
    if (!v) {
        return "";
    }
    std::string s(v, len);
    free(v);
    return s;
}

}  // namespace

TEST_GROUP(simxen_e2e)
{
    std::string dir;
    pid_t daemon_pid = -1, guest_pid = -1;

    void setup() override
    {
        char tmpl[] = "/tmp/simxen-e2e-XXXXXX";
        CHECK(mkdtemp(tmpl) != nullptr);
        dir = tmpl;
        daemon_pid = spawn_daemon(dir);
        CHECK(daemon_pid > 0);
        setenv("XENSTORED_PATH", (dir + "/xenstored").c_str(), 1);
    }
    void teardown() override
    {
        int status;
        if (guest_pid > 0 && waitpid(guest_pid, &status, WNOHANG) == 0) {
            kill(guest_pid, SIGKILL);
            waitpid(guest_pid, &status, 0);
        }
        if (daemon_pid > 0) {
            kill(daemon_pid, SIGTERM);
            waitpid(daemon_pid, &status, 0);
            // A clean SIGTERM shutdown exits 0 and removes the sockets.
            CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        unsetenv("XENSTORED_PATH");
        LONGS_EQUAL(0, rmdir(dir.c_str()));
    }
};

TEST(simxen_e2e, guest_grants_backend_copies_both_ways)
{
    xs_handle *h = xs_open(0);
    CHECK(h != nullptr);
    CHECK(xs_watch(h, (std::string(fe) + "/state").c_str(), "fe"));

    guest_pid = fork();
    if (guest_pid == 0) {
        _exit(guest_main(dir));
    }

    // Wait for the frontend to reach Connected (3).
    for (int i = 0; i < 50 && xs_str(h, std::string(fe) + "/state") != "3";
         i++) {
        pollfd p{xs_fileno(h), POLLIN, 0};
        if (poll(&p, 1, 100) == 1) {
            unsigned int n;
            free(xs_read_watch(h, &n));
        }
    }
    STRCMP_EQUAL("3", xs_str(h, std::string(fe) + "/state").c_str());
    grant_ref_t ref = std::stoul(xs_str(h, std::string(fe) + "/tx-ring-ref"));
    evtchn_port_t gport =
        std::stoul(xs_str(h, std::string(fe) + "/event-channel"));
    xs_close(h);

    std::unique_ptr<backend_platform> be;
    LONGS_EQUAL(0, open_simxen_platform(dir + "/control", 0, &be));
    evtchn_port_t port;
    LONGS_EQUAL(0, be->bind_interdomain(guest_dom, gport, &port));

    char buf[64] = {};
    grant_copy_segment segs[2] = {};
    segs[0].flags = grant_copy_segment::source_gref;
    segs[0].source.foreign = {ref, 0, guest_dom};
    segs[0].dest.virt = buf;
    segs[0].len = 15;
    segs[1].flags = grant_copy_segment::dest_gref;
    segs[1].source.virt = const_cast<char *>("pong from dom0");
    segs[1].dest.foreign = {ref, 1000, guest_dom};
    segs[1].len = 15;
    LONGS_EQUAL(0, be->grant_copy(segs, 2));
    LONGS_EQUAL(gntst_okay, segs[0].status);
    LONGS_EQUAL(gntst_okay, segs[1].status);
    STRCMP_EQUAL("ping from domU", buf);
    LONGS_EQUAL(0, be->notify(port));

    int status;
    LONGS_EQUAL(guest_pid, waitpid(guest_pid, &status, 0));
    CHECK(WIFEXITED(status));
    LONGS_EQUAL(0, WEXITSTATUS(status));

    // The guest process is gone but its domain lives until destroyed.
    CHECK(be->domain_alive(guest_dom));
    std::unique_ptr<sim_guest> g;
    LONGS_EQUAL(0, sim_guest::attach(dir + "/control", guest_dom, &g));
    LONGS_EQUAL(0, g->destroy());
    CHECK(!be->domain_alive(guest_dom));
    LONGS_EQUAL(0, be->grant_copy(segs, 1));
    LONGS_EQUAL(gntst_bad_domain, segs[0].status);
}
