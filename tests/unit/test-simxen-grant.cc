// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// Grant copy and grant map on simxen follow Xen's checks, segment by
// segment; the guest sees its grants busy while they are in use.

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

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

// A backend process that dies holding mappings: Linux's gntdev drops the
// dead process's mappings and their pins, so the guest can revoke its
// grants.  The pins are held for the control connection that asked
// (grant_map); its end is the process's death.
TEST(simxen_grant, a_dead_backends_mappings_are_dropped)
{
    grant_ref_t ref;
    LONGS_EQUAL(0, guest->grant_access(6, 0, false, &ref));
    auto dying = std::make_unique<simxen::ctl_client>();
    LONGS_EQUAL(0, dying->connect(fx.control()));
    simxen::ctl_request req{static_cast<uint32_t>(simxen::ctl_op::grant_map),
                            0, 5 | simxen::ctl_grant_map_write, ref};
    simxen::ctl_reply rep;
    LONGS_EQUAL(0, dying->call(req, &rep));
    LONGS_EQUAL(6, rep.v0);                 // The frame to map.
    LONGS_EQUAL(EBUSY, guest->end_access(ref));

    // Not a pin this connection holds: refused, nothing dropped.
    simxen::ctl_client other;
    LONGS_EQUAL(0, other.connect(fx.control()));
    req.op = static_cast<uint32_t>(simxen::ctl_op::grant_unmap);
    LONGS_EQUAL(EINVAL, other.call(req, &rep));
    LONGS_EQUAL(EBUSY, guest->end_access(ref));

    // The process dies: its connection closes with the pin still held.
    dying.reset();
    // The daemon sees the close in its own time; until then the grant is
    // busy.  (A daemon that never dropped it would hang here, and the
    // watchdog would fail the test.)
    int err;
    while ((err = guest->end_access(ref)) == EBUSY) {
        usleep(1000);
    }
    LONGS_EQUAL(0, err);
}

// Only backends map: a guest's own control socket may not pin grants.
TEST(simxen_grant, a_guest_cannot_pin_for_mapping)
{
    grant_ref_t ref;
    LONGS_EQUAL(0, guest->grant_access(6, 0, false, &ref));
    simxen::ctl_client own;
    LONGS_EQUAL(0, own.connect(fx.dir + "/" + simxen::guest_control_name(5)));
    simxen::ctl_request req{static_cast<uint32_t>(simxen::ctl_op::grant_map),
                            5, 5, ref};
    simxen::ctl_reply rep;
    LONGS_EQUAL(EPERM, own.call(req, &rep));
    LONGS_EQUAL(0, guest->end_access(ref));
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

// A guest process holds its memory and grant table memfds (get_domain):
// they are sealed at their size, so it cannot shrink them under a backend
// that mapped them (which would then take SIGBUS), nor grow them, nor add
// seals of its own.
TEST(simxen_grant, a_guest_cannot_resize_memory_a_backend_maps)
{
    strcpy(static_cast<char *>(guest->page(15)), "still here");
    grant_ref_t ref;
    LONGS_EQUAL(0, guest->grant_access(15, 0, false, &ref));
    auto *p = static_cast<char *>(be->map_grant_refs(5, &ref, 1, true));
    CHECK(p != nullptr);

    simxen::ctl_client ctl;
    LONGS_EQUAL(0, ctl.connect(fx.control()));
    simxen::ctl_request req{
        static_cast<uint32_t>(simxen::ctl_op::get_domain), 5, 0, 0};
    simxen::ctl_reply rep;
    std::vector<simxen::unique_fd> fds;
    LONGS_EQUAL(0, ctl.call(req, &rep, &fds));
    const off_t sizes[2] = {16 * 4096, 4096};
    for (int i = 0; i < 2; i++) {
        struct stat st;
        errno = 0;
        CHECK(ftruncate(fds[i].get(), 0) < 0);
        LONGS_EQUAL(EPERM, errno);
        CHECK(ftruncate(fds[i].get(), sizes[i] / 2) < 0);
        LONGS_EQUAL(EPERM, errno);
        CHECK(ftruncate(fds[i].get(), sizes[i] * 2) < 0);
        LONGS_EQUAL(EPERM, errno);
        CHECK(fcntl(fds[i].get(), F_ADD_SEALS, F_SEAL_WRITE) < 0);
        LONGS_EQUAL(EPERM, errno);
        LONGS_EQUAL(0, fstat(fds[i].get(), &st));
        LONGS_EQUAL(sizes[i], st.st_size);
    }
    // The backend's mapping and copies still work.
    STRCMP_EQUAL("still here", p);
    LONGS_EQUAL(gntst_okay, copy(from_guest(ref, 0, 11)));
    STRCMP_EQUAL("still here", local);
    LONGS_EQUAL(0, be->unmap(p, 1));
    LONGS_EQUAL(0, guest->end_access(ref));
}

// Two backends (each its own simxen_platform, as two processes or two
// queues would have) pin the same grant: the pins are counted in the
// domain's active grant table, shared by both, so the first to let go
// does not clear the flags the second still needs, as on Xen.
TEST(simxen_grant, pins_are_counted_across_backends)
{
    std::unique_ptr<backend_platform> be2;
    LONGS_EQUAL(0, open_simxen_platform(fx.control(), 0, &be2));
    simxen::ctl_client ctl;
    LONGS_EQUAL(0, ctl.connect(fx.control()));
    std::shared_ptr<simxen::domain_view> raw;
    LONGS_EQUAL(0, simxen::open_domain_view(&ctl, 5, &raw));
    auto flags = [&](grant_ref_t r) {
        return __atomic_load_n(&raw->gnt[r].flags, __ATOMIC_ACQUIRE) &
               (GTF_reading | GTF_writing);
    };

    grant_ref_t ref;
    LONGS_EQUAL(0, guest->grant_access(4, 0, false, &ref));
    void *p1 = be->map_grant_refs(5, &ref, 1, true);
    void *p2 = be2->map_grant_refs(5, &ref, 1, true);
    CHECK(p1 != nullptr && p2 != nullptr);
    LONGS_EQUAL(0, be->unmap(p1, 1));
    LONGS_EQUAL(EBUSY, guest->end_access(ref));
    LONGS_EQUAL(GTF_reading, flags(ref));
    LONGS_EQUAL(0, be2->unmap(p2, 1));
    LONGS_EQUAL(0, flags(ref));
    LONGS_EQUAL(0, guest->end_access(ref));

    // Writing: GTF_writing stays while any writer holds the grant, and
    // GTF_reading while anyone does.
    LONGS_EQUAL(0, guest->grant_access(4, 0, false, &ref));
    p1 = be->map_grant_refs(5, &ref, 1, false);
    p2 = be2->map_grant_refs(5, &ref, 1, false);
    void *p3 = be2->map_grant_refs(5, &ref, 1, true);
    CHECK(p1 != nullptr && p2 != nullptr && p3 != nullptr);
    LONGS_EQUAL(0, be2->unmap(p2, 1));
    LONGS_EQUAL(GTF_reading | GTF_writing, flags(ref));
    // A copy by the first backend meanwhile neither takes nor leaves more.
    strcpy(local, "x");
    LONGS_EQUAL(gntst_okay, copy(to_guest(ref, 0, 2)));
    LONGS_EQUAL(GTF_reading | GTF_writing, flags(ref));
    LONGS_EQUAL(0, be->unmap(p1, 1));
    LONGS_EQUAL(GTF_reading, flags(ref));
    LONGS_EQUAL(EBUSY, guest->end_access(ref));
    LONGS_EQUAL(0, be2->unmap(p3, 1));
    LONGS_EQUAL(0, flags(ref));
    LONGS_EQUAL(0, guest->end_access(ref));
}

// Two backends copy into the same grant on two threads while the guest
// revokes and grants it again: each revocation that succeeds finds no copy
// running (a copy in progress holds a pin, which end_access() sees), so
// nothing writes the page once the guest has it back; and nothing is left
// pinned.
TEST(simxen_grant, two_backends_copy_while_the_guest_revokes)
{
    std::unique_ptr<backend_platform> be2;
    LONGS_EQUAL(0, open_simxen_platform(fx.control(), 0, &be2));
    grant_ref_t ref;
    LONGS_EQUAL(0, guest->grant_access(5, 0, false, &ref));
    auto *page = static_cast<volatile char *>(guest->page(5));
    std::atomic<bool> done{false};
    std::atomic<int> ok{0}, other{0};
    auto run = [&](backend_platform *b) {
        std::vector<char> buf(page_size, 'b');
        while (!done.load()) {
            grant_copy_segment s{};
            s.flags = grant_copy_segment::dest_gref;
            s.source.virt = buf.data();
            s.dest.foreign = {ref, 0, 5};
            s.len = page_size;
            b->grant_copy(&s, 1);
            (s.status == gntst_okay || s.status == gntst_general_error
                 ? ok : other)++;
        }
    };
    std::thread t1(run, be.get()), t2(run, be2.get());
    int written_after_revoke = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    for (int i = 0; i < 3000 && std::chrono::steady_clock::now() < deadline;
         i++) {
        int err;
        while ((err = guest->end_access(ref)) == EBUSY) {
            continue;
        }
        LONGS_EQUAL(0, err);
        // Ours again: nobody may write it now.
        for (size_t k = 0; k < page_size; k++) {
            page[k] = 'g';
        }
        for (int pass = 0; pass < 3; pass++) {
            for (size_t k = 0; k < page_size; k++) {
                if (page[k] != 'g') {
                    written_after_revoke++;
                    break;
                }
            }
        }
        grant_ref_t again;
        LONGS_EQUAL(0, guest->grant_access(5, 0, false, &again));
        LONGS_EQUAL(ref, again);
    }
    done = true;
    t1.join();
    t2.join();
    LONGS_EQUAL(0, other.load());
    LONGS_EQUAL(0, written_after_revoke);
    CHECK(ok.load() > 0);
    LONGS_EQUAL(0, guest->end_access(ref));     // No pin left behind.
}

// A backend process that dies inside an active entry's critical section
// (killed, or crashed on another thread) leaves the entry's lock held:
// the other backends notice that its holder is gone and take the lock
// over, rather than spinning for ever (a restarted ovs-vswitchd-linc would
// otherwise hang on its first copy through that grant).
TEST(simxen_grant, a_lock_left_by_a_dead_backend_is_taken_over)
{
    simxen::ctl_client ctl;
    LONGS_EQUAL(0, ctl.connect(fx.control()));
    std::shared_ptr<simxen::domain_view> raw;
    LONGS_EQUAL(0, simxen::open_domain_view(&ctl, 5, &raw));
    CHECK(raw->act != nullptr);
    grant_ref_t ref;
    LONGS_EQUAL(0, guest->grant_access(3, 0, false, &ref));

    // A process that is gone: its pid, as a holder would have left it.
    pid_t dead = fork();
    if (dead == 0) {
        _exit(0);
    }
    CHECK(dead > 0);
    int status;
    LONGS_EQUAL(dead, waitpid(dead, &status, 0));
    __atomic_store_n(&raw->act[ref].lock, static_cast<uint32_t>(dead),
                     __ATOMIC_RELEASE);

    // Called directly: a copy that waited for the dead holder for ever
    // would never return, and the watchdog (main.cc) would fail the test.
    int16_t st = copy(from_guest(ref, 0, 8));
    LONGS_EQUAL(gntst_okay, st);
    LONGS_EQUAL(0, __atomic_load_n(&raw->act[ref].lock, __ATOMIC_ACQUIRE));
    LONGS_EQUAL(0, guest->end_access(ref));
}
