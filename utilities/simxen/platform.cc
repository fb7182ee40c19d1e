// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// backend_platform on simxen.  Grant operations follow Xen's rules for a v1
// grant table: the entry must be GTF_permit_access for our domain, writable
// access needs !GTF_readonly, and while we use a grant we hold GTF_reading
// (and GTF_writing) in its flags, set with a compare-and-swap over the
// combined flags+domid word as Xen does, so a guest's end_access sees the
// grant as busy exactly when it would on Xen.

#include <poll.h>
#include <sys/epoll.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <utility>
#include <vector>

#include <xen/grant_table.h>

#include "netdev-xen/xen-platform.h"
#include "utilities/simxen/ctl-client.h"
#include "utilities/simxen/domain-view.h"

namespace linc::xen {

using simxen::ctl_client;
using simxen::ctl_op;
using simxen::ctl_reply;
using simxen::ctl_request;
using simxen::domain_view;
using simxen::unique_fd;

namespace {

class simxen_platform final : public backend_platform {
public:
    simxen_platform(domid_t self) : self_(self) {}
    ~simxen_platform() override;
    int init(const std::string &ctl_path);

    domid_t self_domid() const override { return self_; }
    int grant_copy(grant_copy_segment *segs, size_t n) override;
    void *map_grant_refs(domid_t domid, const grant_ref_t *refs, size_t n,
                         bool readonly) override;
    int unmap(void *addr, size_t n) override;
    int evtchn_fd() const override { return epfd_.get(); }
    int bind_interdomain(domid_t domid, evtchn_port_t remote,
                         evtchn_port_t *local) override;
    int unbind(evtchn_port_t local) override;
    int notify(evtchn_port_t local) override;
    int pending() override;
    int unmask(evtchn_port_t local) override;
    bool domain_alive(domid_t domid) override;

private:
    using view_ptr = std::shared_ptr<domain_view>;

    struct pin {
        uint32_t users = 0;     // Holders of GTF_reading.
        uint32_t writers = 0;   // Holders of GTF_writing.
    };
    struct mapping {
        view_ptr view;
        std::vector<grant_ref_t> refs;
        bool readonly;
    };
    struct port {
        unique_fd wait;
        unique_fd peer;
        bool masked = false;
    };

    // The domains one grant_copy() batch touches, each looked up (and its
    // liveness checked, one load of its liveness word) once per batch
    // rather than per segment.  Fixed capacity, so that a batch allocates
    // nothing: a backend's batch touches two domains (its guest and, guest
    // to guest, the peer); past the capacity each further lookup is made
    // again per segment.  'views' need not hold references: views_ keeps
    // each of them alive, and only a lookup of the same domid (which the
    // batch never repeats while it remembers the domid) replaces it there.
    struct batch_views {
        static constexpr size_t capacity = 8;
        domid_t ids[capacity];
        domain_view *views[capacity];
        size_t n = 0;
        // Past the capacity: the source's and the destination's view of
        // the current segment.
        view_ptr hold[2];
    };

    view_ptr view(domid_t domid);
    view_ptr batch_lookup(domid_t domid);
    domain_view *batch_view(batch_views *b, domid_t domid, view_ptr *hold);
    domain_view *batch_view_slow(batch_views *b, domid_t domid,
                                 view_ptr *hold);
    int16_t pin_entry(domain_view *v, grant_ref_t ref, bool write,
                      uint32_t *frame, uint16_t *newly_set);
    int16_t acquire(const view_ptr &v, grant_ref_t ref, bool write,
                    uint32_t *frame);
    void release(const view_ptr &v, grant_ref_t ref, bool write);
    template <bool SRC_GREF, bool DST_GREF>
    int16_t copy_one(batch_views *b, grant_copy_segment *s);

    domid_t self_;
    ctl_client ctl_;
    unique_fd epfd_;
    std::map<domid_t, view_ptr> views_;
    std::map<std::pair<const domain_view *, grant_ref_t>, pin> pins_;
    std::map<void *, mapping> mappings_;
    std::map<evtchn_port_t, port> ports_;
};

simxen_platform::~simxen_platform()
{
    while (!mappings_.empty()) {
        auto &m = *mappings_.begin();
        unmap(m.first, m.second.refs.size());
    }
    while (!ports_.empty()) {
        unbind(ports_.begin()->first);
    }
}

int simxen_platform::init(const std::string &ctl_path)
{
    epfd_.reset(epoll_create1(EPOLL_CLOEXEC));
    if (!epfd_) {
        return errno;
    }
    int err = ctl_.connect(ctl_path);
    if (err) {
        return err;
    }
    // Acting as a domain that does not exist would only fail later.
    ctl_request req{static_cast<uint32_t>(ctl_op::domain_alive), self_, 0, 0};
    ctl_reply rep;
    if ((err = ctl_.call(req, &rep)) != 0) {
        return err;
    }
    return rep.v0 ? 0 : ESRCH;
}

// The domain's mapping, refreshed if the domain we knew by that id died
// (ids are reused).  nullptr if there is no live domain 'domid'.
simxen_platform::view_ptr simxen_platform::view(domid_t domid)
{
    auto it = views_.find(domid);
    if (it != views_.end()) {
        if (!it->second->dead()) {
            return it->second;
        }
        views_.erase(it);
    }
    view_ptr v;
    if (simxen::open_domain_view(&ctl_, domid, &v) != 0 || v->dead()) {
        return nullptr;
    }
    views_[domid] = v;
    return v;
}

// view() for a grant-copy batch: the domain's liveness word instead of a
// poll() on its death pipe when we already know the domain.  A daemon that
// died is noticed by domain_alive() (netif_backend::check_alive(), which
// linc_vif_run() calls once a second), which still polls.
simxen_platform::view_ptr simxen_platform::batch_lookup(domid_t domid)
{
    auto it = views_.find(domid);
    if (it != views_.end() && !it->second->destroyed()) {
        return it->second;
    }
    return view(domid);
}

// Clears the flag bits 'bits' that one holder of grant 'ref' had set.
inline void unpin_entry(domain_view *v, grant_ref_t ref, uint16_t bits)
{
    if (bits) {
        __atomic_fetch_and(&v->gnt[ref].flags, static_cast<uint16_t>(~bits),
                           __ATOMIC_RELEASE);
    }
}

// Sets GTF_reading (and GTF_writing) on grant 'ref' of 'v' if the entry
// lets us use it that way, then reads its frame once: the guest may rewrite
// the entry at any time, and a frame checked and then re-read could be out
// of range.  '*newly_set' gets the flag bits this call set, which are the
// ones its holder must clear again: bits already set belong to another
// holder (a mapping of ours, or of another backend queue), as Xen's pin
// counts in its active grant entries would have it.
inline __attribute__((always_inline)) int16_t
simxen_platform::pin_entry(domain_view *v, grant_ref_t ref, bool write,
                           uint32_t *frame, uint16_t *newly_set)
{
    *newly_set = 0;
    if (ref >= v->grants) {
        return gntst_bad_gntref;
    }
    // flags (low half) and domid (high half) change together, so a guest
    // cannot retarget the grant between our check and our pin.
    auto *combo = reinterpret_cast<uint32_t *>(&v->gnt[ref]);
    uint32_t old = __atomic_load_n(combo, __ATOMIC_ACQUIRE);
    uint32_t want;
    for (int tries = 0;; tries++) {
        uint16_t flags = static_cast<uint16_t>(old);
        domid_t dom = static_cast<domid_t>(old >> 16);
        if ((flags & GTF_type_mask) != GTF_permit_access || dom != self_) {
            return gntst_general_error;
        }
        if (write && (flags & GTF_readonly)) {
            return gntst_general_error;
        }
        want = old | GTF_reading | (write ? GTF_writing : 0);
        if (want == old ||
            __atomic_compare_exchange_n(combo, &old, want, false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            break;
        }
        if (tries == 4) {
            return gntst_general_error;     // Xen: "unstable" entry.
        }
    }
    uint16_t set = static_cast<uint16_t>(want & ~old);
    *frame = __atomic_load_n(&v->gnt[ref].frame, __ATOMIC_RELAXED);
    if (*frame >= v->pages) {
        unpin_entry(v, ref, set);
        return gntst_bad_page;
    }
    *newly_set = set;
    return gntst_okay;
}

// A long-lived pin (a mapping), counted in pins_ so that the flags stay set
// while any mapping of ours holds the grant.
int16_t simxen_platform::acquire(const view_ptr &v, grant_ref_t ref,
                                 bool write, uint32_t *frame)
{
    uint16_t newly_set;
    int16_t st = pin_entry(v.get(), ref, write, frame, &newly_set);
    if (st != gntst_okay) {
        return st;
    }
    pin &p = pins_[{v.get(), ref}];
    p.users++;
    p.writers += write;
    return gntst_okay;
}

void simxen_platform::release(const view_ptr &v, grant_ref_t ref, bool write)
{
    auto it = pins_.find({v.get(), ref});
    if (it == pins_.end()) {
        return;
    }
    pin &p = it->second;
    uint16_t clear = 0;
    if (write && --p.writers == 0) {
        clear |= GTF_writing;
    }
    if (--p.users == 0) {
        clear |= GTF_reading;
        pins_.erase(it);
    }
    unpin_entry(v.get(), ref, clear);
}

// nullptr if there is no live domain 'domid'.  The view stays valid for
// the batch: views_ (or, once 'b' is full, '*hold') keeps a reference.
inline __attribute__((always_inline)) domain_view *
simxen_platform::batch_view(batch_views *b, domid_t domid, view_ptr *hold)
{
    for (size_t i = 0; i < b->n; i++) {
        if (b->ids[i] == domid) {
            return b->views[i];
        }
    }
    return batch_view_slow(b, domid, hold);
}

domain_view *simxen_platform::batch_view_slow(batch_views *b, domid_t domid,
                                              view_ptr *hold)
{
    view_ptr v = batch_lookup(domid);
    if (b->n < batch_views::capacity) {
        b->ids[b->n] = domid;
        b->views[b->n++] = v.get();
    } else {
        *hold = v;
    }
    return v.get();
}

// One segment of a grant_copy() batch, with 'SRC_GREF' and 'DST_GREF' its
// flags (the caller refused any others).  The pins last only for the copy,
// so they are not counted in pins_: each side clears just the flag bits it
// set (pin_entry()).
template <bool SRC_GREF, bool DST_GREF>
inline __attribute__((always_inline)) int16_t
simxen_platform::copy_one(batch_views *b, grant_copy_segment *s)
{
    const uint16_t len = s->len;
    if ((SRC_GREF && s->source.foreign.offset + len > page_size) ||
        (DST_GREF && s->dest.foreign.offset + len > page_size)) {
        return gntst_bad_copy_arg;
    }

    domain_view *sv = nullptr, *dv = nullptr;
    if (SRC_GREF
        && !(sv = batch_view(b, s->source.foreign.domid, &b->hold[0]))) {
        return gntst_bad_domain;
    }
    if (DST_GREF
        && !(dv = batch_view(b, s->dest.foreign.domid, &b->hold[1]))) {
        return gntst_bad_domain;
    }

    const uint8_t *src = static_cast<const uint8_t *>(s->source.virt);
    uint8_t *dst = static_cast<uint8_t *>(s->dest.virt);
    uint16_t src_pinned = 0, dst_pinned = 0;
    int16_t st;
    if (SRC_GREF) {
        uint32_t frame;
        st = pin_entry(sv, s->source.foreign.ref, false, &frame, &src_pinned);
        if (st != gntst_okay) {
            return st;
        }
        src = sv->mem + size_t{frame} * page_size + s->source.foreign.offset;
    }
    if (DST_GREF) {
        uint32_t frame;
        st = pin_entry(dv, s->dest.foreign.ref, true, &frame, &dst_pinned);
        if (st != gntst_okay) {
            if (SRC_GREF) {
                unpin_entry(sv, s->source.foreign.ref, src_pinned);
            }
            return st;
        }
        dst = dv->mem + size_t{frame} * page_size + s->dest.foreign.offset;
    }
    if (len && (!src || !dst)) {
        st = gntst_bad_virt_addr;
    } else {
        memmove(dst, src, len);
        st = gntst_okay;
    }
    if (SRC_GREF) {
        unpin_entry(sv, s->source.foreign.ref, src_pinned);
    }
    if (DST_GREF) {
        unpin_entry(dv, s->dest.foreign.ref, dst_pinned);
    }
    return st;
}

int simxen_platform::grant_copy(grant_copy_segment *segs, size_t n)
{
    if (n && !segs) {
        return EINVAL;
    }
    constexpr uint16_t sg = grant_copy_segment::source_gref;
    constexpr uint16_t dg = grant_copy_segment::dest_gref;
    batch_views b;
    for (size_t i = 0; i < n; i++) {
        grant_copy_segment *s = &segs[i];
        int16_t st;
        switch (s->flags) {
        case sg:
            st = copy_one<true, false>(&b, s);
            break;
        case dg:
            st = copy_one<false, true>(&b, s);
            break;
        case sg | dg:
            st = copy_one<true, true>(&b, s);
            break;
        case 0:
            st = copy_one<false, false>(&b, s);
            break;
        default:
            st = gntst_bad_copy_arg;    // Flags we do not know.
            break;
        }
        s->status = st;
    }
    return 0;
}

void *simxen_platform::map_grant_refs(domid_t domid, const grant_ref_t *refs,
                                      size_t n, bool readonly)
{
    if (n == 0 || !refs || n > simxen::ctl_max_pages) {
        errno = EINVAL;
        return nullptr;
    }
    view_ptr v = view(domid);
    if (!v) {
        errno = ESRCH;
        return nullptr;
    }
    size_t i;
    int16_t st = gntst_okay;
    std::vector<uint32_t> frames(n);
    for (i = 0; i < n; i++) {
        if ((st = acquire(v, refs[i], !readonly, &frames[i])) != gntst_okay) {
            break;
        }
    }
    int err = st == gntst_okay ? 0
              : st == gntst_bad_gntref ? EINVAL : EPERM;
    void *base = MAP_FAILED;
    if (!err) {
        // Reserve the whole range, then place each granted frame in it.
        base = mmap(nullptr, n * page_size, PROT_NONE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        err = base == MAP_FAILED ? errno : 0;
        int prot = PROT_READ | (readonly ? 0 : PROT_WRITE);
        for (size_t k = 0; !err && k < n; k++) {
            void *at = static_cast<uint8_t *>(base) + k * page_size;
            off_t off = static_cast<off_t>(frames[k]) * page_size;
            if (mmap(at, page_size, prot, MAP_SHARED | MAP_FIXED,
                     v->mem_fd.get(), off) == MAP_FAILED) {
                err = errno;
            }
        }
    }
    if (err) {
        if (base != MAP_FAILED) {
            munmap(base, n * page_size);
        }
        while (i-- > 0) {
            release(v, refs[i], !readonly);
        }
        errno = err;
        return nullptr;
    }
    mappings_[base] = {v, std::vector<grant_ref_t>(refs, refs + n), readonly};
    return base;
}

int simxen_platform::unmap(void *addr, size_t n)
{
    auto it = mappings_.find(addr);
    if (it == mappings_.end() || it->second.refs.size() != n) {
        return EINVAL;
    }
    munmap(addr, n * page_size);
    mapping m = std::move(it->second);
    mappings_.erase(it);
    for (grant_ref_t ref : m.refs) {
        release(m.view, ref, !m.readonly);
    }
    return 0;
}

int simxen_platform::bind_interdomain(domid_t domid, evtchn_port_t remote,
                                      evtchn_port_t *local)
{
    ctl_request req{static_cast<uint32_t>(ctl_op::evtchn_bind_interdomain),
                    self_, domid, remote};
    ctl_reply rep;
    std::vector<unique_fd> fds;
    int err = ctl_.call(req, &rep, &fds);
    if (err) {
        return err;
    }
    if (fds.size() != 2) {
        return EPROTO;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = rep.v0;
    if (epoll_ctl(epfd_.get(), EPOLL_CTL_ADD, fds[0].get(), &ev) < 0) {
        err = errno;
        req = {static_cast<uint32_t>(ctl_op::evtchn_unbind), self_, rep.v0, 0};
        ctl_.call(req, &rep);
        return err;
    }
    port &p = ports_[rep.v0];
    p.wait = std::move(fds[0]);
    p.peer = std::move(fds[1]);
    *local = rep.v0;
    return 0;
}

int simxen_platform::unbind(evtchn_port_t local)
{
    auto it = ports_.find(local);
    if (it == ports_.end()) {
        return EINVAL;
    }
    epoll_ctl(epfd_.get(), EPOLL_CTL_DEL, it->second.wait.get(), nullptr);
    ports_.erase(it);
    ctl_request req{static_cast<uint32_t>(ctl_op::evtchn_unbind), self_,
                    local, 0};
    ctl_reply rep;
    return ctl_.call(req, &rep);
}

int simxen_platform::notify(evtchn_port_t local)
{
    auto it = ports_.find(local);
    if (it == ports_.end()) {
        return EINVAL;
    }
    uint64_t one = 1;
    // EAGAIN: the counter is saturated, so the peer has an event pending.
    if (write(it->second.peer.get(), &one, sizeof one) < 0 &&
        errno != EAGAIN) {
        return errno;
    }
    return 0;
}

int simxen_platform::pending()
{
    epoll_event ev;
    int n = epoll_wait(epfd_.get(), &ev, 1, 0);
    if (n <= 0) {
        errno = n == 0 ? EAGAIN : errno;
        return -1;
    }
    auto it = ports_.find(ev.data.u32);
    if (it == ports_.end()) {
        errno = EAGAIN;
        return -1;
    }
    uint64_t count;
    ssize_t r = read(it->second.wait.get(), &count, sizeof count);
    (void) r;   // Only clearing: EAGAIN means already clear.
    // Masked until unmask(): stop watching the fd; anything arriving
    // meanwhile stays in the eventfd and fires when it is watched again.
    epoll_event off{};
    off.data.u32 = ev.data.u32;
    epoll_ctl(epfd_.get(), EPOLL_CTL_MOD, it->second.wait.get(), &off);
    it->second.masked = true;
    return static_cast<int>(ev.data.u32);
}

int simxen_platform::unmask(evtchn_port_t local)
{
    auto it = ports_.find(local);
    if (it == ports_.end()) {
        return EINVAL;
    }
    if (it->second.masked) {
        epoll_event on{};
        on.events = EPOLLIN;
        on.data.u32 = local;
        if (epoll_ctl(epfd_.get(), EPOLL_CTL_MOD, it->second.wait.get(),
                      &on) < 0) {
            return errno;
        }
        it->second.masked = false;
    }
    return 0;
}

bool simxen_platform::domain_alive(domid_t domid)
{
    return view(domid) != nullptr;
}

}  // namespace

int open_simxen_platform(const std::string &ctl_path, domid_t self,
                         std::unique_ptr<backend_platform> *out)
{
    auto p = std::make_unique<simxen_platform>(self);
    int err = p->init(ctl_path);
    if (err) {
        return err;
    }
    *out = std::move(p);
    return 0;
}

}  // namespace linc::xen
