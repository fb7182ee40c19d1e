// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// backend_platform on simxen.  Grant operations follow Xen's rules for a v1
// grant table: the entry must be GTF_permit_access for our domain, writable
// access needs !GTF_readonly, and while a grant is in use GTF_reading (and
// GTF_writing) are set in its flags, with a compare-and-swap over the
// combined flags+domid word as Xen does, so a guest's end_access sees the
// grant as busy exactly when it would on Xen.  As in Xen, who holds a grant
// is counted in the domain's active grant table (protocol.h), shared by
// every backend process and queue: the flags are set by the first holder
// and cleared by the last, whoever they are.
//
// Event channels are socket pairs (hypervisor.h): we only ever recv() and
// send() with MSG_DONTWAIT on our end, so nothing the guest does with its
// end can make us block.

#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <map>
#include <utility>
#include <vector>

#include <xen/grant_table.h>

#include "netdev-xen/xen-platform.h"
#include "utilities/simxen/ctl-client.h"
#include "utilities/simxen/domain-view.h"
#include "utilities/simxen/grant-pin.h"

namespace linc::xen {

using simxen::active_grant_entry;
using simxen::ctl_client;
using simxen::ctl_op;
using simxen::ctl_reply;
using simxen::ctl_request;
using simxen::domain_view;
using simxen::unique_fd;

namespace {

class simxen_platform final : public backend_platform {
public:
    simxen_platform(domid_t self)
        : self_(self), lock_token_(static_cast<uint32_t>(getpid())) {}
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

    struct mapping {
        view_ptr view;
        std::vector<grant_ref_t> refs;
        bool readonly;
    };
    struct port {
        unique_fd fd;           // Our end of the channel.
        bool masked = false;
        // The peer shut its end down: it can never notify us again, and
        // our end would poll readable (end of file) for ever.  No longer
        // watched.
        bool silenced = false;
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
                      uint32_t *frame);
    template <bool SRC_GREF, bool DST_GREF>
    int16_t copy_one(batch_views *b, grant_copy_segment *s);

    void unpin_entry(domain_view *v, grant_ref_t ref, bool write);
    int map_pin(domid_t domid, grant_ref_t ref, bool write, uint32_t *frame);
    void map_unpin(domid_t domid, grant_ref_t ref, bool write);

    domid_t self_;
    // What we write in an active entry's lock while we hold it: our process
    // id (act_lock_slow()).
    uint32_t lock_token_;
    ctl_client ctl_;
    unique_fd epfd_;
    std::map<domid_t, view_ptr> views_;
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

// Xen's pinning (grant-pin.h) on the domain 'v' as we have it mapped.
inline __attribute__((always_inline)) simxen::grant_tables
tables_of(const domain_view *v)
{
    return {v->gnt, v->act, v->grants, v->pages};
}

inline __attribute__((always_inline)) void
simxen_platform::unpin_entry(domain_view *v, grant_ref_t ref, bool write)
{
    simxen::grant_unpin(tables_of(v), ref, write, lock_token_);
}

inline __attribute__((always_inline)) int16_t
simxen_platform::pin_entry(domain_view *v, grant_ref_t ref, bool write,
                           uint32_t *frame)
{
    return simxen::grant_pin(tables_of(v), ref, self_, write, lock_token_,
                             frame);
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
// flags (the caller refused any others).  The pins last only for the copy.
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
    int16_t st;
    if (SRC_GREF) {
        uint32_t frame;
        st = pin_entry(sv, s->source.foreign.ref, false, &frame);
        if (st != gntst_okay) {
            return st;
        }
        src = sv->mem + size_t{frame} * page_size + s->source.foreign.offset;
    }
    if (DST_GREF) {
        uint32_t frame;
        st = pin_entry(dv, s->dest.foreign.ref, true, &frame);
        if (st != gntst_okay) {
            if (SRC_GREF) {
                unpin_entry(sv, s->source.foreign.ref, false);
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
        unpin_entry(sv, s->source.foreign.ref, false);
    }
    if (DST_GREF) {
        unpin_entry(dv, s->dest.foreign.ref, true);
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

// Map pins are the daemon's (grant_map), held for our control connection:
// if this process dies, the daemon drops them, as Linux's gntdev unmaps a
// dead process's grants, and the guest can end its grants' access again.
int simxen_platform::map_pin(domid_t domid, grant_ref_t ref, bool write,
                             uint32_t *frame)
{
    ctl_request req{static_cast<uint32_t>(ctl_op::grant_map), self_,
                    domid | (write ? simxen::ctl_grant_map_write : 0u), ref};
    ctl_reply rep;
    int err = ctl_.call(req, &rep);
    if (!err) {
        *frame = rep.v0;
    }
    return err;
}

void simxen_platform::map_unpin(domid_t domid, grant_ref_t ref, bool write)
{
    ctl_request req{static_cast<uint32_t>(ctl_op::grant_unmap), self_,
                    domid | (write ? simxen::ctl_grant_map_write : 0u), ref};
    ctl_reply rep;
    ctl_.call(req, &rep);
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
    int err = 0;
    std::vector<uint32_t> frames(n);
    for (i = 0; i < n; i++) {
        if ((err = map_pin(domid, refs[i], !readonly, &frames[i])) != 0) {
            break;
        }
        if (frames[i] >= v->pages) {
            i++;
            err = EPERM;
            break;
        }
    }
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
            map_unpin(domid, refs[i], !readonly);
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
        map_unpin(m.view->id, ref, !m.readonly);
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
    if (fds.size() != 1) {
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
    p.fd = std::move(fds[0]);
    *local = rep.v0;
    return 0;
}

int simxen_platform::unbind(evtchn_port_t local)
{
    auto it = ports_.find(local);
    if (it == ports_.end()) {
        return EINVAL;
    }
    if (!it->second.silenced) {
        epoll_ctl(epfd_.get(), EPOLL_CTL_DEL, it->second.fd.get(), nullptr);
    }
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
    // EAGAIN: the peer has plenty pending.  EPIPE, ECONNRESET: it shut
    // its end, so nobody listens (a guest's own loss, as when it masks).
    const char one = 1;
    if (send(it->second.fd.get(), &one, 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0
        && errno != EAGAIN && errno != EPIPE && errno != ECONNRESET) {
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
    port &p = it->second;
    // Clearing; EAGAIN means already clear.  Whatever more a peer sent
    // than we read fires again when unmasked, as a spurious event.
    char buf[256];
    ssize_t r = recv(p.fd.get(), buf, sizeof buf, MSG_DONTWAIT);
    if (r == 0 || (ev.events & (EPOLLHUP | EPOLLERR))) {
        // End of file: the peer shut its end down (which, unlike a
        // masking, epoll would report on every wait).  It can never
        // notify again: stop watching; this is its last event.
        epoll_ctl(epfd_.get(), EPOLL_CTL_DEL, p.fd.get(), nullptr);
        p.silenced = true;
        return static_cast<int>(ev.data.u32);
    }
    // Masked until unmask(): stop watching the fd; anything arriving
    // meanwhile stays in the socket and fires when it is watched again.
    epoll_event off{};
    off.data.u32 = ev.data.u32;
    epoll_ctl(epfd_.get(), EPOLL_CTL_MOD, p.fd.get(), &off);
    p.masked = true;
    return static_cast<int>(ev.data.u32);
}

int simxen_platform::unmask(evtchn_port_t local)
{
    auto it = ports_.find(local);
    if (it == ports_.end()) {
        return EINVAL;
    }
    if (it->second.masked && !it->second.silenced) {
        epoll_event on{};
        on.events = EPOLLIN;
        on.data.u32 = local;
        if (epoll_ctl(epfd_.get(), EPOLL_CTL_MOD, it->second.fd.get(),
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
