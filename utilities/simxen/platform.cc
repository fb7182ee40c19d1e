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

namespace linc::xen {

using simxen::active_grant_entry;
using simxen::ctl_client;
using simxen::ctl_op;
using simxen::ctl_reply;
using simxen::ctl_request;
using simxen::domain_view;
using simxen::unique_fd;

namespace {

inline void cpu_relax()
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

// An active grant entry's spinlock holds its holder's process id
// ('token'), so that a holder that died inside its critical section (a
// backend killed, or crashed on another thread) can be told from one that
// is merely slow.  Backends sharing a domain's active grant table are
// assumed to share a pid namespace.
//
// Contended: the holder (another backend thread or process) keeps it for a
// few loads and stores, but may have been preempted meanwhile, so after a
// while we yield the CPU to it, and now and then check that it still
// exists.  If it does not, we take the lock over: the entry's counts may
// then be off by the dead holder's own pin, which it could never have
// dropped anyway (as for a backend that dies mid-copy), and flags it set
// without counting are cleared by the next holder to let go.
__attribute__((noinline)) void act_lock_slow(uint32_t *lock, uint32_t token)
{
    for (unsigned spins = 0;;) {
        uint32_t holder = __atomic_load_n(lock, __ATOMIC_RELAXED);
        if (!holder) {
            if (__atomic_compare_exchange_n(lock, &holder, token, false,
                                            __ATOMIC_ACQUIRE,
                                            __ATOMIC_RELAXED)) {
                return;
            }
            continue;
        }
        if (spins < 1000) {
            spins++;
            cpu_relax();
            continue;
        }
        sched_yield();
        if (++spins % 1024 == 0 && holder != token &&
            kill(static_cast<pid_t>(holder), 0) < 0 && errno == ESRCH &&
            __atomic_compare_exchange_n(lock, &holder, token, false,
                                        __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
            return;
        }
    }
}

inline void act_lock(active_grant_entry *a, uint32_t token)
{
    uint32_t free = 0;
    if (__builtin_expect(!__atomic_compare_exchange_n(&a->lock, &free, token,
                                                      false, __ATOMIC_ACQUIRE,
                                                      __ATOMIC_RELAXED),
                         0)) {
        act_lock_slow(&a->lock, token);
    }
}

inline void act_unlock(active_grant_entry *a)
{
    __atomic_store_n(&a->lock, 0u, __ATOMIC_RELEASE);
}

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
    int16_t set_status(domain_view *v, grant_ref_t ref, bool write,
                       bool first, active_grant_entry *a);
    template <bool SRC_GREF, bool DST_GREF>
    int16_t copy_one(batch_views *b, grant_copy_segment *s);

    void unpin_entry(domain_view *v, grant_ref_t ref, bool write);

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

// Drops one pin of grant 'ref' of 'v' (one taken by pin_entry() with the
// same 'write'), clearing GTF_writing and GTF_reading in the guest's entry
// if it was the last of its kind.  The flags change under the lock, so
// that nobody pins the entry between our count and our clearing.
inline __attribute__((always_inline)) void
simxen_platform::unpin_entry(domain_view *v, grant_ref_t ref, bool write)
{
    active_grant_entry *a = &v->act[ref];
    act_lock(a, lock_token_);
    uint32_t pins = a->pins, writers = a->writers;
    if (pins) {
        uint16_t clear = 0;
        if (write && writers && --writers == 0) {
            clear |= GTF_writing;
        }
        if (--pins == 0) {
            clear |= GTF_reading;
        }
        a->pins = pins;
        a->writers = writers;
        if (clear) {
            __atomic_fetch_and(&v->gnt[ref].flags,
                               static_cast<uint16_t>(~clear),
                               __ATOMIC_RELEASE);
        }
    }
    act_unlock(a);
}

// Pins grant 'ref' of 'v' for reading (and writing, if 'write') and gives
// its frame in '*frame'; unpin_entry() undoes it.  As in Xen's
// acquire_grant_for_copy(): the pins are counted in the shared active
// entry, under its lock; the first pin (or the first for writing) checks
// the guest's entry and sets GTF_reading (and GTF_writing) there
// (set_status()); the first pin also reads the frame, once, and keeps it
// in the active entry for the holders that follow, so a guest rewriting
// its entry meanwhile changes nothing for them.
inline __attribute__((always_inline)) int16_t
simxen_platform::pin_entry(domain_view *v, grant_ref_t ref, bool write,
                           uint32_t *frame)
{
    if (ref >= v->grants) {
        return gntst_bad_gntref;
    }
    if (!v->act) {
        return gntst_permission_denied;     // No backend authority.
    }
    active_grant_entry *a = &v->act[ref];
    act_lock(a, lock_token_);
    uint32_t pins = a->pins, writers = a->writers;
    int16_t st = gntst_okay;
    if (pins && (a->domid != self_ || pins == UINT32_MAX)) {
        st = gntst_general_error;       // Another grantee's, or overflow.
    } else if (!pins || (write && !writers)) {
        st = set_status(v, ref, write, !pins, a);
    }
    if (st == gntst_okay) {
        a->pins = pins + 1;
        a->writers = writers + write;
        *frame = a->frame;
    }
    act_unlock(a);
    return st;
}

// Checks the guest's entry for grant 'ref' and sets GTF_reading (and
// GTF_writing) in it; for the 'first' pin, also reads the frame into the
// active entry 'a'.  Called with a's lock held.
inline __attribute__((always_inline)) int16_t
simxen_platform::set_status(domain_view *v, grant_ref_t ref, bool write,
                            bool first, active_grant_entry *a)
{
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
    if (first) {
        // The guest may rewrite the entry at any time: a frame checked and
        // then read again could be out of range.
        uint32_t f = __atomic_load_n(&v->gnt[ref].frame, __ATOMIC_RELAXED);
        if (f >= v->pages) {
            __atomic_fetch_and(&v->gnt[ref].flags,
                               static_cast<uint16_t>(~(want & ~old)),
                               __ATOMIC_RELEASE);
            return gntst_bad_page;
        }
        a->frame = f;
        a->domid = self_;
    }
    return gntst_okay;
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
        if ((st = pin_entry(v.get(), refs[i], !readonly, &frames[i]))
            != gntst_okay) {
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
            unpin_entry(v.get(), refs[i], !readonly);
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
        unpin_entry(m.view.get(), ref, !m.readonly);
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
