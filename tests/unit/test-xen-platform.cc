// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// The real-Xen platform against mock libxengnttab, libxenevtchn and
// libxenstore: this binary defines those libraries' functions itself and
// is linked without them, so it runs anywhere and sees every call.

#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "netdev-xen/xen-platform.h"

extern "C" {
#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>
}

#include <CppUTest/CommandLineTestRunner.h>
#include <CppUTest/TestHarness.h>

using namespace linc::xen;

namespace {

struct mock_state {
    bool gnttab_open_fails = false;
    std::vector<xengnttab_grant_copy_segment_t> copied;
    int copy_errno = 0;
    uint32_t map_domid = 0;
    std::vector<uint32_t> map_refs;
    int map_prot = 0;
    uint8_t page[4096];
    int evfd = -1;
    std::vector<evtchn_port_t> pending;
    std::vector<evtchn_port_t> unmasked;
    std::vector<evtchn_port_t> notified;
    int bind_result = 40;
    const char *domid = "7";
} mock;

int fake_handle;

}  // namespace

extern "C" {

xengnttab_handle *xengnttab_open(struct xentoollog_logger *, unsigned)
{
    if (mock.gnttab_open_fails) {
        errno = ENOENT;
        return nullptr;
    }
    return reinterpret_cast<xengnttab_handle *>(&fake_handle);
}
int xengnttab_close(xengnttab_handle *) { return 0; }
int xengnttab_grant_copy(xengnttab_handle *, uint32_t count,
                         xengnttab_grant_copy_segment_t *segs)
{
    if (mock.copy_errno) {
        errno = mock.copy_errno;
        return -1;
    }
    for (uint32_t i = 0; i < count; i++) {
        mock.copied.push_back(segs[i]);
        // Refuse odd refs, as the hypervisor would a bad one.
        bool src = segs[i].flags & GNTCOPY_source_gref;
        uint32_t ref = src ? segs[i].source.foreign.ref : segs[i].dest.foreign.ref;
        segs[i].status = (ref & 1) ? GNTST_bad_gntref : GNTST_okay;
    }
    return 0;
}
void *xengnttab_map_domain_grant_refs(xengnttab_handle *, uint32_t count,
                                      uint32_t domid, uint32_t *refs, int prot)
{
    mock.map_domid = domid;
    mock.map_refs.assign(refs, refs + count);
    mock.map_prot = prot;
    return mock.page;
}
int xengnttab_unmap(xengnttab_handle *, void *, uint32_t) { return 0; }

xenevtchn_handle *xenevtchn_open(struct xentoollog_logger *, unsigned)
{
    return reinterpret_cast<xenevtchn_handle *>(&fake_handle);
}
int xenevtchn_close(xenevtchn_handle *) { return 0; }
int xenevtchn_fd(xenevtchn_handle *) { return mock.evfd; }
int xenevtchn_notify(xenevtchn_handle *, evtchn_port_t port)
{
    mock.notified.push_back(port);
    return 0;
}
xenevtchn_port_or_error_t xenevtchn_bind_interdomain(xenevtchn_handle *,
                                                     uint32_t, evtchn_port_t)
{
    if (mock.bind_result < 0) {
        errno = EINVAL;
        return -1;
    }
    return mock.bind_result;
}
int xenevtchn_unbind(xenevtchn_handle *, evtchn_port_t) { return 0; }
xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *)
{
    uint64_t v;
    (void) !read(mock.evfd, &v, sizeof v);
    evtchn_port_t p = mock.pending.front();
    mock.pending.erase(mock.pending.begin());
    return static_cast<xenevtchn_port_or_error_t>(p);
}
int xenevtchn_unmask(xenevtchn_handle *, evtchn_port_t port)
{
    mock.unmasked.push_back(port);
    return 0;
}

struct xs_handle *xs_open(unsigned long)
{
    return reinterpret_cast<struct xs_handle *>(&fake_handle);
}
void xs_close(struct xs_handle *) {}
void *xs_read(struct xs_handle *, xs_transaction_t, const char *path,
              unsigned int *len)
{
    if (std::strcmp(path, "domid")) {
        errno = ENOENT;
        return nullptr;
    }
    *len = static_cast<unsigned>(std::strlen(mock.domid));
    return strdup(mock.domid);
}
bool xs_is_domain_introduced(struct xs_handle *, unsigned int domid)
{
    return domid != 99;
}

}  // extern "C"

TEST_GROUP(xen_platform)
{
    std::unique_ptr<backend_platform> p;
    void setup() override
    {
        mock = mock_state{};
        mock.evfd = eventfd(0, EFD_NONBLOCK);
        LONGS_EQUAL(0, open_xen_platform(&p));
    }
    void teardown() override
    {
        p.reset();
        close(mock.evfd);
        // Free what the test allocated, for CppUTest's leak check.
        mock_state empty;
        std::swap(mock, empty);
    }
};

TEST(xen_platform, own_domain_id_from_xenstore)
{
    LONGS_EQUAL(7, p->self_domid());
}

TEST(xen_platform, open_fails_without_gnttab)
{
    std::unique_ptr<backend_platform> q;
    mock.gnttab_open_fails = true;
    LONGS_EQUAL(ENOENT, open_xen_platform(&q));
    CHECK(!q);
}

TEST(xen_platform, grant_copy_passes_segments_and_statuses_through)
{
    uint8_t buf[64];
    grant_copy_segment segs[2] = {};
    segs[0].flags = grant_copy_segment::source_gref;
    segs[0].source.foreign = {10, 128, 5};
    segs[0].dest.virt = buf;
    segs[0].len = 60;
    segs[1].flags = grant_copy_segment::dest_gref;
    segs[1].source.virt = buf;
    segs[1].dest.foreign = {11, 0, 5};
    segs[1].len = 14;
    LONGS_EQUAL(0, p->grant_copy(segs, 2));
    LONGS_EQUAL(2, mock.copied.size());
    LONGS_EQUAL(GNTCOPY_source_gref, mock.copied[0].flags);
    LONGS_EQUAL(10, mock.copied[0].source.foreign.ref);
    LONGS_EQUAL(128, mock.copied[0].source.foreign.offset);
    LONGS_EQUAL(5, mock.copied[0].source.foreign.domid);
    POINTERS_EQUAL(buf, mock.copied[0].dest.virt);
    LONGS_EQUAL(60, mock.copied[0].len);
    LONGS_EQUAL(11, mock.copied[1].dest.foreign.ref);
    LONGS_EQUAL(gntst_okay, segs[0].status);
    LONGS_EQUAL(gntst_bad_gntref, segs[1].status);

    mock.copy_errno = EFAULT;
    LONGS_EQUAL(EFAULT, p->grant_copy(segs, 1));
}

TEST(xen_platform, map_is_writable_unless_readonly)
{
    grant_ref_t refs[2] = {3, 4};
    POINTERS_EQUAL(mock.page, p->map_grant_refs(9, refs, 2, false));
    LONGS_EQUAL(9, mock.map_domid);
    LONGS_EQUAL(2, mock.map_refs.size());
    LONGS_EQUAL(4, mock.map_refs[1]);
    LONGS_EQUAL(PROT_READ | PROT_WRITE, mock.map_prot);
    p->map_grant_refs(9, refs, 1, true);
    LONGS_EQUAL(PROT_READ, mock.map_prot);
}

TEST(xen_platform, events_pending_only_when_the_fd_says_so)
{
    evtchn_port_t local = 0;
    LONGS_EQUAL(0, p->bind_interdomain(5, 3, &local));
    LONGS_EQUAL(40, local);
    mock.bind_result = -1;
    LONGS_EQUAL(EINVAL, p->bind_interdomain(5, 3, &local));

    // Nothing signalled: no blocking call into libxenevtchn.
    LONGS_EQUAL(-1, p->pending());
    LONGS_EQUAL(EAGAIN, errno);

    mock.pending.push_back(40);
    uint64_t one = 1;
    (void) !write(mock.evfd, &one, sizeof one);
    LONGS_EQUAL(40, p->pending());
    LONGS_EQUAL(0, p->unmask(40));
    LONGS_EQUAL(1, mock.unmasked.size());
    LONGS_EQUAL(0, p->notify(40));
    LONGS_EQUAL(40, mock.notified[0]);
    LONGS_EQUAL(mock.evfd, p->evtchn_fd());
}

TEST(xen_platform, domain_liveness_from_xenstore)
{
    CHECK(p->domain_alive(5));
    CHECK(!p->domain_alive(99));
}

int main(int argc, char **argv)
{
    return CommandLineTestRunner::RunAllTests(argc, argv);
}
