// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// simxen's xenstored against the real libxenstore (XENSTORED_PATH) and raw
// xs_wire on its socket.

#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

// Xen's header has no C++ linkage guard.
extern "C" {
#include <xenstore.h>
}

#include "tests/unit/simxen-fixture.h"
#include "utilities/simxen/sim-guest.h"
#include "utilities/simxen/xs-wire.h"

#include <CppUTest/TestHarness.h>

using namespace linc::xen;

namespace {

// Waits for one watch event; returns "path|token" or "" on timeout.
std::string next_event(xs_handle *h, int timeout_ms = 2000)
{
    pollfd p{xs_fileno(h), POLLIN, 0};
    if (poll(&p, 1, timeout_ms) != 1) {
        return "";
    }
    unsigned int n;
    char **vec = xs_read_watch(h, &n);
    if (!vec) {
        return "";
    }
    std::string e = std::string(vec[XS_WATCH_PATH]) + "|" + vec[XS_WATCH_TOKEN];
    free(vec);
    return e;
}

std::string read_str(xs_handle *h, xs_transaction_t t, const char *path)
{
    unsigned int len;
    char *v = static_cast<char *>(xs_read(h, t, path, &len));
    if (!v) {
        return "<" + std::string(strerror(errno)) + ">";
    }
    std::string s(v, len);
    free(v);
    return s;
}

}  // namespace

TEST_GROUP(simxen_xenstored)
{
    simxen_fixture fx;
    xs_handle *h = nullptr;

    void setup() override
    {
        LONGS_EQUAL(0, fx.start());
        setenv("XENSTORED_PATH", fx.xenstored().c_str(), 1);
        h = xs_open(0);
        CHECK(h != nullptr);
    }
    void teardown() override
    {
        if (h) {
            xs_close(h);
        }
        unsetenv("XENSTORED_PATH");
        fx.stop();
    }

    // One raw request on a fresh connection; returns the reply header and
    // payload.
    xsd_sockmsg raw(uint32_t type, const std::string &payload,
                    std::string *reply, uint32_t len_override = 0)
    {
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un sun{};
        sun.sun_family = AF_UNIX;
        strcpy(sun.sun_path, fx.xenstored().c_str());
        LONGS_EQUAL(0, connect(fd, reinterpret_cast<sockaddr *>(&sun),
                               sizeof sun));
        std::string msg;
        simxen::xs_encode(type, 42, 0, payload, &msg);
        if (len_override) {
            memcpy(&msg[12], &len_override, 4);
        }
        LONGS_EQUAL(msg.size(), write(fd, msg.data(), msg.size()));
        xsd_sockmsg hdr{};
        ssize_t n = read(fd, &hdr, sizeof hdr);
        reply->clear();
        if (n == sizeof hdr) {
            reply->resize(hdr.len);
            size_t got = 0;
            while (got < hdr.len) {
                ssize_t k = read(fd, &(*reply)[got], hdr.len - got);
                if (k <= 0) {
                    break;
                }
                got += k;
            }
        } else {
            hdr.type = XS_INVALID;      // Connection closed.
        }
        close(fd);
        return hdr;
    }
};

TEST(simxen_xenstored, libxenstore_write_read_directory_rm)
{
    CHECK(xs_write(h, XBT_NULL, "/test/key", "value", 5));
    STRCMP_EQUAL("value", read_str(h, XBT_NULL, "/test/key").c_str());
    CHECK(xs_mkdir(h, XBT_NULL, "/test/dir"));
    unsigned int n;
    char **dir = xs_directory(h, XBT_NULL, "/test", &n);
    CHECK(dir != nullptr);
    LONGS_EQUAL(2, n);
    STRCMP_EQUAL("dir", dir[0]);
    STRCMP_EQUAL("key", dir[1]);
    free(dir);
    CHECK(xs_rm(h, XBT_NULL, "/test"));
    CHECK(xs_read(h, XBT_NULL, "/test/key", &n) == nullptr);
    LONGS_EQUAL(ENOENT, errno);
}

TEST(simxen_xenstored, big_directories_come_in_parts)
{
    // 500 names of 12 bytes: over XENSTORE_PAYLOAD_MAX, so libxenstore gets
    // E2BIG for XS_DIRECTORY and falls back to XS_DIRECTORY_PART.
    xs_transaction_t t = xs_transaction_start(h);
    for (int i = 0; i < 500; i++) {
        char name[64];
        snprintf(name, sizeof name, "/big/child-%05d", i);
        CHECK(xs_write(h, t, name, "", 0));
    }
    CHECK(xs_transaction_end(h, t, false));
    unsigned int n = 0;
    char **dir = xs_directory(h, XBT_NULL, "/big", &n);
    CHECK(dir != nullptr);
    LONGS_EQUAL(500, n);
    STRCMP_EQUAL("child-00000", dir[0]);
    STRCMP_EQUAL("child-00499", dir[499]);
    free(dir);

    std::string reply;
    raw(XS_DIRECTORY_PART, std::string("/big\0" "5\0", 7), &reply);
    STRCMP_EQUAL("EINVAL", reply.c_str());      // Not a name boundary.
}

TEST(simxen_xenstored, libxenstore_watch_events)
{
    CHECK(xs_watch(h, "/w", "tok"));
    STRCMP_EQUAL("/w|tok", next_event(h).c_str());      // Initial event.
    CHECK(xs_write(h, XBT_NULL, "/w/a/b", "1", 1));
    STRCMP_EQUAL("/w/a/b|tok", next_event(h).c_str());
    CHECK(xs_unwatch(h, "/w", "tok"));
    CHECK(xs_write(h, XBT_NULL, "/w/a/b", "2", 1));
    STRCMP_EQUAL("", next_event(h, 100).c_str());
}

TEST(simxen_xenstored, libxenstore_transactions)
{
    xs_transaction_t t = xs_transaction_start(h);
    CHECK(t != XBT_NULL);
    CHECK(xs_write(h, t, "/tx/a", "1", 1));
    STRCMP_EQUAL("1", read_str(h, t, "/tx/a").c_str());
    STRCMP_EQUAL("<No such file or directory>",
                 read_str(h, XBT_NULL, "/tx/a").c_str());
    CHECK(xs_transaction_end(h, t, true));        // Abort.
    STRCMP_EQUAL("<No such file or directory>",
                 read_str(h, XBT_NULL, "/tx/a").c_str());

    t = xs_transaction_start(h);
    read_str(h, t, "/tx");
    CHECK(xs_write(h, t, "/tx/b", "2", 1));
    CHECK(xs_write(h, XBT_NULL, "/tx/c", "3", 1));   // Conflicts on /tx.
    CHECK(!xs_transaction_end(h, t, false));
    LONGS_EQUAL(EAGAIN, errno);

    t = xs_transaction_start(h);
    CHECK(xs_write(h, t, "/tx/b", "2", 1));
    CHECK(xs_transaction_end(h, t, false));
    STRCMP_EQUAL("2", read_str(h, XBT_NULL, "/tx/b").c_str());
}

TEST(simxen_xenstored, libxenstore_perms_and_domains)
{
    CHECK(xs_mkdir(h, XBT_NULL, "/local/domain/0/backend/vif"));
    xs_permissions set[2] = {{0, XS_PERM_NONE}, {4, XS_PERM_READ}};
    CHECK(xs_set_permissions(h, XBT_NULL, "/local/domain/0/backend/vif",
                             set, 2));
    unsigned int n;
    xs_permissions *got = xs_get_permissions(
        h, XBT_NULL, "/local/domain/0/backend/vif", &n);
    CHECK(got != nullptr);
    LONGS_EQUAL(2, n);
    LONGS_EQUAL(4, got[1].id);
    LONGS_EQUAL(XS_PERM_READ, got[1].perms);
    free(got);

    char *path = xs_get_domain_path(h, 7);
    STRCMP_EQUAL("/local/domain/7", path);
    free(path);
    CHECK(xs_is_domain_introduced(h, 0));
    CHECK(!xs_is_domain_introduced(h, 7));
}

TEST(simxen_xenstored, domain_lifecycle_fires_special_watches)
{
    CHECK(xs_watch(h, "@introduceDomain", "in"));
    CHECK(xs_watch(h, "@releaseDomain", "out"));
    STRCMP_EQUAL("@introduceDomain|in", next_event(h).c_str());
    STRCMP_EQUAL("@releaseDomain|out", next_event(h).c_str());

    std::unique_ptr<sim_guest> g;
    LONGS_EQUAL(0, sim_guest::create(fx.control(), 4, 2, 16, &g));
    STRCMP_EQUAL("@introduceDomain|in", next_event(h).c_str());
    CHECK(xs_is_domain_introduced(h, 4));
    STRCMP_EQUAL("", read_str(h, XBT_NULL, "/local/domain/4").c_str());
    LONGS_EQUAL(0, g->destroy());
    STRCMP_EQUAL("@releaseDomain|out", next_event(h).c_str());
    CHECK(!xs_is_domain_introduced(h, 4));
    STRCMP_EQUAL("<No such file or directory>",
                 read_str(h, XBT_NULL, "/local/domain/4").c_str());
}

TEST(simxen_xenstored, guests_connect_as_themselves)
{
    std::unique_ptr<sim_guest> g;
    LONGS_EQUAL(0, sim_guest::create(fx.control(), 5, 2, 16, &g));
    // The toolstack's part: the backend directory, readable by the guest.
    CHECK(xs_write(h, XBT_NULL, "/local/domain/0/backend/vif/5/0/state",
                   "1", 1));
    xs_permissions be[2] = {{0, XS_PERM_NONE}, {5, XS_PERM_READ}};
    CHECK(xs_set_permissions(h, XBT_NULL, "/local/domain/0/backend/vif/5/0",
                             be, 2));
    CHECK(xs_set_permissions(h, XBT_NULL,
                             "/local/domain/0/backend/vif/5/0/state", be, 2));
    CHECK(xs_watch(h, "/local/domain/5/device", "fe"));
    STRCMP_EQUAL("/local/domain/5/device|fe", next_event(h).c_str());

    setenv("XENSTORED_PATH", g->xenstored_path().c_str(), 1);
    xs_handle *gh = xs_open(0);
    CHECK(gh != nullptr);
    // Relative paths are the guest's home.
    CHECK(xs_write(gh, XBT_NULL, "device/vif/0/state", "1", 1));
    STRCMP_EQUAL("/local/domain/5/device/vif/0/state|fe",
                 next_event(h).c_str());
    STRCMP_EQUAL("1", read_str(h, XBT_NULL,
                               "/local/domain/5/device/vif/0/state").c_str());
    char *home = xs_get_domain_path(gh, 5);
    STRCMP_EQUAL("/local/domain/5", home);
    free(home);
    // It reads its backend but may not write it, nor look elsewhere.
    STRCMP_EQUAL("1", read_str(gh, XBT_NULL,
                               "/local/domain/0/backend/vif/5/0/state")
                          .c_str());
    CHECK(!xs_write(gh, XBT_NULL, "/local/domain/0/backend/vif/5/0/state",
                    "4", 1));
    LONGS_EQUAL(EACCES, errno);
    unsigned int n;
    CHECK(xs_directory(gh, XBT_NULL, "/local/domain/0", &n) == nullptr);
    LONGS_EQUAL(EACCES, errno);
    CHECK(!xs_release_domain(gh, 5));
    LONGS_EQUAL(EACCES, errno);

    // Destroying the domain cuts its connection.
    LONGS_EQUAL(0, g->destroy());
    CHECK(xs_read(gh, XBT_NULL, "device/vif/0/state", &n) == nullptr);
    xs_close(gh);
    CHECK(access(g->xenstored_path().c_str(), F_OK) != 0);
}

TEST(simxen_xenstored, guest_connections_are_bounded)
{
    std::unique_ptr<sim_guest> g;
    LONGS_EQUAL(0, sim_guest::create(fx.control(), 6, 1, 16, &g));
    std::vector<int> fds;
    int refused = 0;
    for (int i = 0; i < 9; i++) {
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un sun{};
        sun.sun_family = AF_UNIX;
        strcpy(sun.sun_path, g->xenstored_path().c_str());
        LONGS_EQUAL(0, connect(fd, reinterpret_cast<sockaddr *>(&sun),
                               sizeof sun));
        std::string msg;
        simxen::xs_encode(XS_GET_DOMAIN_PATH, 1, 0, std::string("6\0", 2),
                          &msg);
        // The refused one may be closed before or after we write.
        char buf[64];
        ssize_t n = write(fd, msg.data(), msg.size());
        if (n == static_cast<ssize_t>(msg.size())) {
            n = read(fd, buf, sizeof buf);
        }
        refused += n <= 0;
        fds.push_back(fd);
    }
    LONGS_EQUAL(1, refused);
    for (int fd : fds) {
        close(fd);
    }
    CHECK(xs_write(h, XBT_NULL, "/dom0/unaffected", "1", 1));
}

TEST(simxen_xenstored, raw_errors_and_limits)
{
    std::string reply;
    xsd_sockmsg r = raw(XS_READ, std::string("/nope\0", 6), &reply);
    LONGS_EQUAL(XS_ERROR, r.type);
    LONGS_EQUAL(42, r.req_id);
    STRCMP_EQUAL("ENOENT", reply.c_str());

    r = raw(XS_READ, std::string("bad//path\0", 10), &reply);
    STRCMP_EQUAL("EINVAL", reply.c_str());

    r = raw(XS_READ, std::string("/x", 2), &reply);     // Unterminated.
    STRCMP_EQUAL("EINVAL", reply.c_str());

    r = raw(XS_DEBUG, std::string("print\0", 6), &reply);
    STRCMP_EQUAL("ENOSYS", reply.c_str());

    r = raw(XS_GET_DOMAIN_PATH, std::string("3\0", 2), &reply);
    LONGS_EQUAL(XS_GET_DOMAIN_PATH, r.type);
    STRCMP_EQUAL("/local/domain/3", reply.c_str());

    // A header announcing more than XENSTORE_PAYLOAD_MAX: dropped.
    r = raw(XS_WRITE, "x", &reply, XENSTORE_PAYLOAD_MAX + 1);
    LONGS_EQUAL(XS_INVALID, r.type);

    // The daemon is still serving.
    CHECK(xs_write(h, XBT_NULL, "/still", "here", 4));
}
