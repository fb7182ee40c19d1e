// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.

#include "utilities/simxen/hypervisor.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>

namespace linc::xen::simxen {

namespace {

// A zeroed memfd of 'size' bytes, sealed at that size: every holder (a
// guest among them) may read and write it, but none can shrink it under
// another's mapping (which would take SIGBUS there), grow it, or add seals
// (F_SEAL_WRITE would stop backends mapping it).
int make_memfd(const char *name, size_t size, unique_fd *out)
{
    unique_fd fd(memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!fd) {
        return errno;
    }
    if (ftruncate(fd.get(), static_cast<off_t>(size)) < 0 ||
        fcntl(fd.get(), F_ADD_SEALS,
              F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
        return errno;
    }
    *out = std::move(fd);
    return 0;
}

size_t page_round(size_t bytes)
{
    return (bytes + page_size - 1) / page_size * page_size;
}

// The liveness page (see hypervisor::domain): mapped here, set to 1, then
// sealed so that nobody else can ever map it writable or write it.
int make_alive_page(unique_fd *out, std::shared_ptr<uint32_t> *word)
{
    unique_fd fd(memfd_create("simxen-alive", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!fd) {
        return errno;
    }
    if (ftruncate(fd.get(), static_cast<off_t>(page_size)) < 0) {
        return errno;
    }
    void *p = mmap(nullptr, page_size, PROT_READ | PROT_WRITE, MAP_SHARED,
                   fd.get(), 0);
    if (p == MAP_FAILED) {
        return errno;
    }
    std::shared_ptr<uint32_t> w(static_cast<uint32_t *>(p), [](uint32_t *q) {
        munmap(q, page_size);
    });
    __atomic_store_n(w.get(), 1u, __ATOMIC_RELEASE);
    const int seals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL;
    // Kernels before 5.1 lack F_SEAL_FUTURE_WRITE: then a client could map
    // the page writable, though ours map it read-only, and
    // domain_view::dead() still sees the death pipe.
    if (fcntl(fd.get(), F_ADD_SEALS, seals | F_SEAL_FUTURE_WRITE) < 0
        && (errno != EINVAL || fcntl(fd.get(), F_ADD_SEALS, seals) < 0)) {
        return errno;
    }
    *out = std::move(fd);
    *word = std::move(w);
    return 0;
}

// Forgets what arrived on a channel end.  MSG_DONTWAIT: the other holder
// of this end (a guest) may have made it blocking.  Bounded, in case a
// peer keeps sending.
void drain(int fd)
{
    char buf[4096];
    for (int i = 0; i < 64 && recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0;
         i++) {
        continue;
    }
}

// 'bytes' of memfd 'fd' mapped shared here, unmapped with the last owner.
template <typename T>
int map_shared(int fd, size_t bytes, std::shared_ptr<T> *out)
{
    void *p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        return errno;
    }
    out->reset(static_cast<T *>(p), [bytes](T *q) { munmap(q, bytes); });
    return 0;
}

int dup_into(int fd, std::vector<int> *fds)
{
    int d = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (d < 0) {
        return errno;
    }
    fds->push_back(d);
    return 0;
}

}  // namespace

int hypervisor::create_domain(domid_t id, uint32_t pages, uint32_t grants)
{
    if (id >= domid_first_reserved || pages == 0 || pages > ctl_max_pages ||
        grants == 0 || grants > ctl_max_grants) {
        return EINVAL;
    }
    if (domains_.count(id)) {
        return EEXIST;
    }
    domain d;
    d.pages = pages;
    d.grants = grants;
    int err = make_memfd("simxen-memory", size_t{pages} * page_size, &d.mem);
    if (!err) {
        err = make_memfd("simxen-grant-table",
                         page_round(grants * sizeof(grant_entry_v1)), &d.gnt);
    }
    if (!err) {
        err = make_memfd("simxen-active-grants",
                         page_round(grants * sizeof(active_grant_entry)),
                         &d.act);
    }
    if (!err) {
        err = make_alive_page(&d.alive, &d.alive_word);
    }
    if (!err) {
        err = map_shared(d.gnt.get(),
                         page_round(grants * sizeof(grant_entry_v1)),
                         &d.gnt_map);
    }
    if (!err) {
        err = map_shared(d.act.get(),
                         page_round(grants * sizeof(active_grant_entry)),
                         &d.act_map);
    }
    if (err) {
        return err;
    }
    d.incarnation = ++incarnations_;
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        return errno;
    }
    d.death_rd.reset(p[0]);
    d.death_wr.reset(p[1]);
    domains_.emplace(id, std::move(d));

    // What the toolstack does after building a domain: its home in
    // xenstore, owned by the domain, then the introduction.
    std::string home = "/local/domain/" + std::to_string(id);
    store_->mkdir(0, 0, home);
    store_->set_perms(0, 0, home, {{'n', id}});
    store_->fire_special("@introduceDomain");
    return 0;
}

int hypervisor::destroy_domain(domid_t id, bool keep_home)
{
    auto it = domains_.find(id);
    if (it == domains_.end()) {
        return ESRCH;
    }
    if (id == 0) {
        return EPERM;
    }
    while (!it->second.ports.empty()) {
        unbind(id, it->second.ports.begin()->first);
    }
    // Dead for clients checking the liveness word before the pipe reports
    // it; seq_cst so it is visible before anything we do next.
    __atomic_store_n(it->second.alive_word.get(), 0u, __ATOMIC_SEQ_CST);
    domains_.erase(it);     // Closes death_wr: holders of death_rd see HUP.
    if (!keep_home) {
        store_->rm(0, 0, "/local/domain/" + std::to_string(id));
    }
    store_->fire_special("@releaseDomain");
    return 0;
}

int hypervisor::get_domain(domid_t id, bool with_active, uint32_t *pages,
                           uint32_t *grants, std::vector<int> *fds)
{
    auto it = domains_.find(id);
    if (it == domains_.end()) {
        return ESRCH;
    }
    const domain &d = it->second;
    for (int fd : {d.mem.get(), d.gnt.get(), d.death_rd.get(),
                   d.alive.get(), with_active ? d.act.get() : -1}) {
        int err = fd < 0 ? 0 : dup_into(fd, fds);
        if (err) {
            return err;
        }
    }
    *pages = d.pages;
    *grants = d.grants;
    return 0;
}

int hypervisor::new_port(domain &d, evtchn_port_t *port)
{
    // Lowest free port, as Xen allocates them; port 0 is never valid.
    evtchn_port_t p = 1;
    for (const auto &e : d.ports) {
        if (e.first != p) {
            break;
        }
        p++;
    }
    if (p > ctl_max_ports) {
        return ENOSPC;
    }
    *port = p;
    return 0;
}

int hypervisor::alloc_unbound(domid_t id, domid_t remote, evtchn_port_t *port,
                              std::vector<int> *fds)
{
    auto it = domains_.find(id);
    if (it == domains_.end() || !domains_.count(remote)) {
        return ESRCH;
    }
    evtchn_port_t p;
    int err = new_port(it->second, &p);
    if (err) {
        return err;
    }
    auto chan = std::make_shared<channel>();
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
                   sv) < 0) {
        return errno;
    }
    chan->end[0].reset(sv[0]);
    chan->end[1].reset(sv[1]);
    port_state ps{false, remote, 0, std::move(chan), 0};
    if ((err = dup_into(ps.fd(), fds)) != 0) {
        return err;
    }
    it->second.ports.emplace(p, std::move(ps));
    *port = p;
    return 0;
}

int hypervisor::bind_interdomain(domid_t id, domid_t remote,
                                 evtchn_port_t rport, evtchn_port_t *port,
                                 std::vector<int> *fds)
{
    auto it = domains_.find(id);
    auto rit = domains_.find(remote);
    if (it == domains_.end() || rit == domains_.end()) {
        return ESRCH;
    }
    auto rp = rit->second.ports.find(rport);
    if (rp == rit->second.ports.end() || rp->second.bound ||
        rp->second.remote_dom != id) {
        return EINVAL;
    }
    evtchn_port_t p;
    int err = new_port(it->second, &p);
    if (err) {
        return err;
    }
    // Ours is the other end of the unbound port's channel.
    port_state ps{true, remote, rport, rp->second.chan, 1 - rp->second.side};
    // Xen drops sends on unbound ports: forget what arrived meanwhile.
    drain(ps.fd());
    if ((err = dup_into(ps.fd(), fds)) != 0) {
        return err;
    }
    it->second.ports.emplace(p, std::move(ps));
    rp->second.bound = true;
    rp->second.remote_port = p;
    *port = p;
    return 0;
}

int hypervisor::notify(domid_t id, evtchn_port_t port)
{
    auto it = domains_.find(id);
    if (it == domains_.end()) {
        return ESRCH;
    }
    auto p = it->second.ports.find(port);
    if (p == it->second.ports.end()) {
        return EINVAL;
    }
    if (p->second.bound) {
        // Never blocks, whatever the other holder of our end did to it.
        // EAGAIN: plenty pending already; EPIPE, ECONNRESET: the peer shut
        // its end, so nobody listens.  Either way the event is delivered
        // as far as Xen would.
        const char one = 1;
        if (send(p->second.fd(), &one, 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0
            && errno != EAGAIN && errno != EPIPE && errno != ECONNRESET) {
            return errno;
        }
    }
    return 0;
}

int hypervisor::unbind(domid_t id, evtchn_port_t port)
{
    auto it = domains_.find(id);
    if (it == domains_.end()) {
        return ESRCH;
    }
    auto p = it->second.ports.find(port);
    if (p == it->second.ports.end()) {
        return EINVAL;
    }
    if (p->second.bound) {
        auto rit = domains_.find(p->second.remote_dom);
        if (rit != domains_.end()) {
            auto rp = rit->second.ports.find(p->second.remote_port);
            if (rp != rit->second.ports.end()) {
                // Xen: the peer falls back to unbound, awaiting us.
                rp->second.bound = false;
                rp->second.remote_dom = id;
                rp->second.remote_port = 0;
            }
        }
    }
    it->second.ports.erase(p);
    return 0;
}

int hypervisor::map_pin(domid_t granter, grant_ref_t ref, domid_t grantee,
                        bool write, uint32_t *frame, uint64_t *incarnation)
{
    auto it = domains_.find(granter);
    if (it == domains_.end()) {
        return ESRCH;
    }
    const domain &d = it->second;
    int16_t st = grant_pin(d.tables(), ref, grantee, write,
                           static_cast<uint32_t>(getpid()), frame);
    if (st != gntst_okay) {
        return st == gntst_bad_gntref ? EINVAL : EPERM;
    }
    *incarnation = d.incarnation;
    return 0;
}

void hypervisor::map_unpin(domid_t granter, uint64_t incarnation,
                           grant_ref_t ref, bool write)
{
    auto it = domains_.find(granter);
    if (it == domains_.end() || it->second.incarnation != incarnation
        || ref >= it->second.grants) {
        return;
    }
    grant_unpin(it->second.tables(), ref, write,
                static_cast<uint32_t>(getpid()));
}

}  // namespace linc::xen::simxen
