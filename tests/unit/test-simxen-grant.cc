// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// Grant copy and grant map on simxen follow Xen's checks, segment by
// segment; the guest sees its grants busy while they are in use.

#include <sys/mman.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <thread>

#include "netdev-xen/xen-platform.h"
#include "tests/unit/simxen-fixture.h"
#include "utilities/simxen/ctl-client.h"
#include "utilities/simxen/domain-view.h"
#include "utilities/simxen/sim-guest.h"

#include <xen/grant_table.h>

#include <CppUTest/TestHarness.h>

using namespace linc::xen;

TEST_GROUP(simxen_grant)
{
    simxen_fixture fx;
    std::unique_ptr<sim_guest> guest;
    std::unique_ptr<backend_platform> be;
    char local[page_size];

    void setup() override
    {
        LONGS_EQUAL(0, fx.start());
        LONGS_EQUAL(0, sim_guest::create(fx.control(), 5, 16, 32, &guest));
        LONGS_EQUAL(0, open_simxen_platform(fx.control(), 0, &be));
        memset(local, 0, sizeof local);
    }
    void teardown() override
    {
        be.reset();
        guest.reset();
        fx.stop();
    }

    // A copy from the guest's grant into 'local'.
    grant_copy_segment from_guest(grant_ref_t ref, uint16_t off, uint16_t len,
                                  domid_t dom = 5)
    {
        grant_copy_segment s{};
        s.flags = grant_copy_segment::source_gref;
        s.source.foreign = {ref, off, dom};
        s.dest.virt = local;
        s.len = len;
        return s;
    }
    grant_copy_segment to_guest(grant_ref_t ref, uint16_t off, uint16_t len)
    {
        grant_copy_segment s{};
        s.flags = grant_copy_segment::dest_gref;
        s.source.virt = local;
        s.dest.foreign = {ref, off, 5};
        s.len = len;
        return s;
    }
    int16_t copy(grant_copy_segment s)
    {
        LONGS_EQUAL(0, be->grant_copy(&s, 1));
        return s.status;
    }
};

TEST(simxen_grant, copy_from_and_to_a_granted_page)
{
    strcpy(static_cast<char *>(guest->page(3)) + 100, "from the guest");
    grant_ref_t ref;
    LONGS_EQUAL(0, guest->grant_access(3, 0, false, &ref));
    CHECK(ref >= 8);
    LONGS_EQUAL(gntst_okay, copy(from_guest(ref, 100, 15)));
    STRCMP_EQUAL("from the guest", local);

    strcpy(local, "from the backend");
    LONGS_EQUAL(gntst_okay, copy(to_guest(ref, 2000, 17)));
    STRCMP_EQUAL("from the backend",
                 static_cast<char *>(guest->page(3)) + 2000);
    // Pins are released after the copy: the guest can revoke.
    LONGS_EQUAL(0, guest->end_access(ref));
}

TEST(simxen_grant, bad_ref_is_refused)
{
    LONGS_EQUAL(gntst_bad_gntref, copy(from_guest(32, 0, 1)));
    LONGS_EQUAL(gntst_bad_gntref, copy(from_guest(1000000, 0, 1)));
}

TEST(simxen_grant, entry_without_permit_access_is_refused)
{
    grant_ref_t ref;
    guest->grant_access(1, 0, false, &ref);
    LONGS_EQUAL(0, guest->end_access(ref));
    LONGS_EQUAL(gntst_general_error, copy(from_guest(ref, 0, 1)));
    // Never-granted references are invalid entries too.
    LONGS_EQUAL(gntst_general_error, copy(from_guest(20, 0, 1)));
}

TEST(simxen_grant, grant_for_another_domain_is_refused)
{
    grant_ref_t ref;
    guest->grant_access(1, 7, false, &ref);
    LONGS_EQUAL(gntst_general_error, copy(from_guest(ref, 0, 1)));
}

TEST(simxen_grant, readonly_grant_cannot_be_copy_destination)
{
    grant_ref_t ref;
    guest->grant_access(2, 0, true, &ref);
    static_cast<char *>(guest->page(2))[0] = 'g';
    local[0] = 'b';
    LONGS_EQUAL(gntst_general_error, copy(to_guest(ref, 0, 1)));
    LONGS_EQUAL('g', static_cast<char *>(guest->page(2))[0]);
    LONGS_EQUAL(gntst_okay, copy(from_guest(ref, 0, 1)));    // Reading: fine.
    LONGS_EQUAL('g', local[0]);
}

TEST(simxen_grant, copy_past_the_page_is_refused)
{
    grant_ref_t ref;
    guest->grant_access(2, 0, false, &ref);
    LONGS_EQUAL(gntst_bad_copy_arg, copy(from_guest(ref, 4000, 97)));
    LONGS_EQUAL(gntst_bad_copy_arg, copy(to_guest(ref, 1, 4096)));
    LONGS_EQUAL(gntst_okay, copy(from_guest(ref, 4000, 96)));
}

TEST(simxen_grant, unknown_or_dead_domain_is_refused)
{
    LONGS_EQUAL(gntst_bad_domain, copy(from_guest(8, 0, 1, 9)));
    grant_ref_t ref;
    guest->grant_access(2, 0, false, &ref);
    LONGS_EQUAL(gntst_okay, copy(from_guest(ref, 0, 1)));
    CHECK(be->domain_alive(5));
    LONGS_EQUAL(0, guest->destroy());
    CHECK(!be->domain_alive(5));
    LONGS_EQUAL(gntst_bad_domain, copy(from_guest(ref, 0, 1)));
}

// A batch checks liveness from the daemon's liveness word, with nothing
// else (no domain_alive()) noticing the death first.
TEST(simxen_grant, death_between_batches_is_seen_by_the_next_batch)
{
    grant_ref_t ref;
    LONGS_EQUAL(0, guest->grant_access(2, 0, false, &ref));
    grant_copy_segment segs[2] = {from_guest(ref, 0, 4), from_guest(ref, 4, 4)};
    LONGS_EQUAL(0, be->grant_copy(segs, 2));
    LONGS_EQUAL(gntst_okay, segs[0].status);
    LONGS_EQUAL(gntst_okay, segs[1].status);
    LONGS_EQUAL(0, guest->destroy());
    segs[0] = from_guest(ref, 0, 4);
    segs[1] = from_guest(ref, 4, 4);
    LONGS_EQUAL(0, be->grant_copy(segs, 2));
    LONGS_EQUAL(gntst_bad_domain, segs[0].status);
    LONGS_EQUAL(gntst_bad_domain, segs[1].status);
    CHECK(!be->domain_alive(5));
}

// A domain id reused after a death names the new domain, whose grants (not
// the dead one's) are checked.
TEST(simxen_grant, reused_domid_gets_the_new_domain)
{
    strcpy(static_cast<char *>(guest->page(2)), "old");
    grant_ref_t ref;
    LONGS_EQUAL(0, guest->grant_access(2, 0, false, &ref));
    LONGS_EQUAL(gntst_okay, copy(from_guest(ref, 0, 4)));
    STRCMP_EQUAL("old", local);
    LONGS_EQUAL(0, guest->destroy());
    guest.reset();
    LONGS_EQUAL(0, sim_guest::create(fx.control(), 5, 16, 32, &guest));
    // Not granted in the new domain yet.
    LONGS_EQUAL(gntst_general_error, copy(from_guest(ref, 0, 4)));
    strcpy(static_cast<char *>(guest->page(3)), "new");
    grant_ref_t ref2;
    LONGS_EQUAL(0, guest->grant_access(3, 0, false, &ref2));
    LONGS_EQUAL(gntst_okay, copy(from_guest(ref2, 0, 4)));
    STRCMP_EQUAL("new", local);
}

TEST(simxen_grant, each_segment_has_its_own_status)
{
    grant_ref_t ref;
    guest->grant_access(4, 0, false, &ref);
    grant_copy_segment segs[3] = {from_guest(ref, 0, 8), from_guest(31, 0, 8),
                                  from_guest(ref, 4095, 2)};
    LONGS_EQUAL(0, be->grant_copy(segs, 3));
    LONGS_EQUAL(gntst_okay, segs[0].status);
    LONGS_EQUAL(gntst_general_error, segs[1].status);
    LONGS_EQUAL(gntst_bad_copy_arg, segs[2].status);
}

TEST(simxen_grant, map_shares_the_pages_and_pins_the_grants)
{
    grant_ref_t refs[2];
    guest->grant_access(6, 0, false, &refs[0]);
    guest->grant_access(9, 0, false, &refs[1]);
    auto *p = static_cast<char *>(be->map_grant_refs(5, refs, 2, false));
    CHECK(p != nullptr);
    strcpy(p + page_size + 10, "written via map");
    STRCMP_EQUAL("written via map", static_cast<char *>(guest->page(9)) + 10);
    strcpy(static_cast<char *>(guest->page(6)), "guest side");
    STRCMP_EQUAL("guest side", p);

    // Mapped: revocation must wait, as on Xen.
    LONGS_EQUAL(EBUSY, guest->end_access(refs[0]));
    LONGS_EQUAL(EINVAL, be->unmap(p, 1));
    LONGS_EQUAL(0, be->unmap(p, 2));
    LONGS_EQUAL(0, guest->end_access(refs[0]));
    LONGS_EQUAL(0, guest->end_access(refs[1]));
}

// A copy through a grant that a mapping of ours holds must not release the
// mapping's pin when the copy ends (the copy only clears what it set).
TEST(simxen_grant, copy_through_a_mapped_grant_keeps_the_mapping_pin)
{
    grant_ref_t ref;
    guest->grant_access(4, 0, false, &ref);
    auto *p = static_cast<char *>(be->map_grant_refs(5, &ref, 1, false));
    CHECK(p != nullptr);
    strcpy(local, "copied");
    LONGS_EQUAL(gntst_okay, copy(to_guest(ref, 0, 7)));
    LONGS_EQUAL(gntst_okay, copy(from_guest(ref, 0, 7)));
    STRCMP_EQUAL("copied", p);
    LONGS_EQUAL(EBUSY, guest->end_access(ref));
    LONGS_EQUAL(0, be->unmap(p, 1));
    LONGS_EQUAL(0, guest->end_access(ref));
}

// More distinct domains in one batch than the batch caches: each segment
// still finds its own domain.
TEST(simxen_grant, a_batch_may_touch_many_domains)
{
    constexpr int n = 12;
    std::unique_ptr<sim_guest> others[n];
    grant_copy_segment segs[n];
    char bufs[n][8];
    for (int i = 0; i < n; i++) {
        domid_t dom = static_cast<domid_t>(20 + i);
        LONGS_EQUAL(0, sim_guest::create(fx.control(), dom, 4, 16,
                                         &others[i]));
        snprintf(static_cast<char *>(others[i]->page(1)), 8, "dom%d", dom);
        grant_ref_t ref;
        LONGS_EQUAL(0, others[i]->grant_access(1, 0, true, &ref));
        segs[i] = {};
        segs[i].flags = grant_copy_segment::source_gref;
        segs[i].source.foreign = {ref, 0, dom};
        segs[i].dest.virt = bufs[i];
        segs[i].len = 8;
    }
    LONGS_EQUAL(0, be->grant_copy(segs, n));
    for (int i = 0; i < n; i++) {
        char want[8];
        snprintf(want, sizeof want, "dom%d", 20 + i);
        LONGS_EQUAL(gntst_okay, segs[i].status);
        STRCMP_EQUAL(want, bufs[i]);
    }
}

TEST(simxen_grant, map_refuses_bad_refs_entirely)
{
    grant_ref_t refs[2];
    guest->grant_access(6, 0, false, &refs[0]);
    refs[1] = 31;           // Not granted.
    errno = 0;
    CHECK(be->map_grant_refs(5, refs, 2, false) == nullptr);
    LONGS_EQUAL(EPERM, errno);
    // The first grant was not left pinned.
    LONGS_EQUAL(0, guest->end_access(refs[0]));

    refs[0] = 99;
    CHECK(be->map_grant_refs(5, refs, 1, true) == nullptr);
    LONGS_EQUAL(EINVAL, errno);
    CHECK(be->map_grant_refs(12, refs, 1, true) == nullptr);
    LONGS_EQUAL(ESRCH, errno);

    grant_ref_t ro;
    guest->grant_access(7, 0, true, &ro);
    CHECK(be->map_grant_refs(5, &ro, 1, false) == nullptr);
    LONGS_EQUAL(EPERM, errno);
    void *p = be->map_grant_refs(5, &ro, 1, true);
    CHECK(p != nullptr);
    LONGS_EQUAL(0, be->unmap(p, 1));
}

TEST(simxen_grant, guest_api_rejects_bad_arguments)
{
    grant_ref_t ref;
    LONGS_EQUAL(EINVAL, guest->grant_access(16, 0, false, &ref));
    CHECK(guest->page(16) == nullptr);
    LONGS_EQUAL(EINVAL, guest->end_access(3));  // Reserved, never ours.
    for (int i = 8; i < 32; i++) {
        LONGS_EQUAL(0, guest->grant_access(0, 0, true, &ref));
    }
    LONGS_EQUAL(ENOSPC, guest->grant_access(0, 0, true, &ref));
    std::unique_ptr<sim_guest> dup;
    LONGS_EQUAL(EEXIST, sim_guest::create(fx.control(), 5, 1, 16, &dup));
    LONGS_EQUAL(EINVAL, sim_guest::create(fx.control(), 6, 0, 16, &dup));
    LONGS_EQUAL(ESRCH, sim_guest::attach(fx.control(), 6, &dup));
}

// The guest revokes and re-grants while the backend copies on another
// thread: every revocation either succeeds or reports EBUSY, copies either
// succeed or find the grant gone, and no pin outlives its copy.
TEST(simxen_grant, revocation_races_with_copies)
{
    grant_ref_t ref;
    LONGS_EQUAL(0, guest->grant_access(5, 0, false, &ref));
    std::atomic<bool> done{false};
    std::atomic<int> ok{0}, refused{0}, other{0};
    std::thread backend([&] {
        char buf[8];
        while (!done.load()) {
            grant_copy_segment s{};
            s.flags = grant_copy_segment::source_gref;
            s.source.foreign = {ref, 0, 5};
            s.dest.virt = buf;
            s.len = sizeof buf;
            be->grant_copy(&s, 1);
            (s.status == gntst_okay ? ok
             : s.status == gntst_general_error ? refused : other)++;
        }
    });
    int busy = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    for (int i = 0; (i < 2000 || ok.load() < 100 || refused.load() < 100) &&
                    std::chrono::steady_clock::now() < deadline;
         i++) {
        int err;
        while ((err = guest->end_access(ref)) == EBUSY) {
            busy++;
        }
        LONGS_EQUAL(0, err);
        grant_ref_t again;
        LONGS_EQUAL(0, guest->grant_access(5, 0, false, &again));
        LONGS_EQUAL(ref, again);    // Freed references are reused first.
    }
    done = true;
    backend.join();
    LONGS_EQUAL(0, other.load());
    CHECK(ok.load() >= 100);
    CHECK(refused.load() >= 100);
    LONGS_EQUAL(0, guest->end_access(ref));     // No pin left behind.
    (void) busy;    // Depends on scheduling; may be 0 on one CPU.
}

// A guest writing its grant table by hand, as a hostile one could.
TEST(simxen_grant, grant_of_a_frame_the_guest_lacks_is_refused)
{
    simxen::ctl_client ctl;
    LONGS_EQUAL(0, ctl.connect(fx.control()));
    std::shared_ptr<simxen::domain_view> raw;
    LONGS_EQUAL(0, simxen::open_domain_view(&ctl, 5, &raw));
    raw->gnt[20] = {GTF_permit_access, 0, 16};     // 16 pages: 0..15.
    LONGS_EQUAL(gntst_bad_page, copy(from_guest(20, 0, 1)));
    grant_ref_t ref = 20;
    CHECK(be->map_grant_refs(5, &ref, 1, true) == nullptr);
    LONGS_EQUAL(EPERM, errno);
    // Refused without leaving the entry pinned.
    LONGS_EQUAL(GTF_permit_access, raw->gnt[20].flags);
}
