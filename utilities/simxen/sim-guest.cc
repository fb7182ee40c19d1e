// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.

#include "utilities/simxen/sim-guest.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <xen/grant_table.h>

#include "utilities/simxen/ctl-client.h"
#include "utilities/simxen/domain-view.h"
#include "utilities/simxen/protocol.h"

namespace linc::xen {

using simxen::ctl_op;
using simxen::ctl_reply;
using simxen::ctl_request;
using simxen::unique_fd;

// Xen keeps the first references for the console and xenstore rings.
constexpr grant_ref_t reserved_refs = 8;

struct sim_guest::port {
    unique_fd fd;       // Our end of the channel (hypervisor.h).
};

namespace {

std::string dir_of(const std::string &path)
{
    size_t slash = path.rfind('/');
    return slash == std::string::npos ? "." : path.substr(0, slash);
}

// The domain's own control socket, beside 'ctl_path'.
std::string guest_control_path(const std::string &ctl_path, domid_t domid)
{
    return dir_of(ctl_path) + "/" + simxen::guest_control_name(domid);
}

}  // namespace

sim_guest::sim_guest() : ctl_(std::make_unique<simxen::ctl_client>()) {}

sim_guest::~sim_guest()
{
    while (!ports_.empty()) {
        unbind(ports_.begin()->first);
    }
}

int sim_guest::create(const std::string &ctl_path, domid_t domid,
                      uint32_t pages, uint32_t grants,
                      std::unique_ptr<sim_guest> *out)
{
    if (grants <= reserved_refs) {
        return EINVAL;
    }
    // The toolstack's part, with its authority; the connection goes when
    // we return.
    simxen::ctl_client toolstack;
    int err = toolstack.connect(ctl_path);
    if (err) {
        return err;
    }
    ctl_request req{static_cast<uint32_t>(ctl_op::create_domain), domid,
                    pages, grants};
    ctl_reply rep;
    if ((err = toolstack.call(req, &rep)) != 0) {
        return err;
    }
    // From here on, the guest's.
    std::unique_ptr<sim_guest> g(new sim_guest);
    err = g->ctl_->connect(guest_control_path(ctl_path, domid));
    if (!err) {
        err = g->init(ctl_path, domid);
    }
    if (err) {
        req = {static_cast<uint32_t>(ctl_op::destroy_domain), domid, 0, 0};
        toolstack.call(req, &rep);
        return err;
    }
    *out = std::move(g);
    return 0;
}

int sim_guest::attach(const std::string &ctl_path, domid_t domid,
                      std::unique_ptr<sim_guest> *out)
{
    std::unique_ptr<sim_guest> g(new sim_guest);
    int err = g->ctl_->connect(guest_control_path(ctl_path, domid));
    if (err == ENOENT || err == ECONNREFUSED) {
        err = ESRCH;            // No such domain, so no such socket.
    }
    if (!err) {
        err = g->init(ctl_path, domid);
    }
    if (!err) {
        *out = std::move(g);
    }
    return err;
}

int sim_guest::init(const std::string &ctl_path, domid_t domid)
{
    ctl_path_ = ctl_path;
    int err = simxen::open_domain_view(ctl_.get(), domid, &view_);
    if (err) {
        return err;
    }
    ours_.assign(view_->grants, false);
    // Handed out lowest first: pop from the back.
    for (grant_ref_t r = view_->grants; r-- > reserved_refs;) {
        free_refs_.push_back(r);
    }
    return 0;
}

domid_t sim_guest::domid() const { return view_->id; }

std::string sim_guest::xenstored_path() const
{
    return dir_of(ctl_path_) + "/" + simxen::guest_xenstored_name(view_->id);
}

// One request as this domain.  Once the domain is gone the daemon closes
// our connection: then ESRCH, whatever the transport said.
int sim_guest::call(uint32_t op, uint32_t a, uint32_t b, uint32_t *v0,
                    std::vector<unique_fd> *fds)
{
    if (destroyed_) {
        return ESRCH;
    }
    ctl_request req{op, view_->id, a, b};
    ctl_reply rep;
    int err = ctl_->call(req, &rep, fds);
    if ((err == EPIPE || err == ECONNRESET || err == EPROTO) &&
        view_->dead()) {
        err = ESRCH;
    }
    if (!err && v0) {
        *v0 = rep.v0;
    }
    return err;
}

uint32_t sim_guest::page_count() const { return view_->pages; }

void *sim_guest::page(uint32_t frame) const
{
    return frame < view_->pages ? view_->mem + size_t{frame} * page_size
                                : nullptr;
}

int sim_guest::grant_access(uint32_t frame, domid_t to, bool readonly,
                            grant_ref_t *ref)
{
    if (frame >= view_->pages) {
        return EINVAL;
    }
    if (free_refs_.empty()) {
        return ENOSPC;
    }
    grant_ref_t r = free_refs_.back();
    free_refs_.pop_back();
    ours_[r] = true;
    simxen::grant_entry_v1 *e = &view_->gnt[r];
    __atomic_store_n(&e->frame, frame, __ATOMIC_RELAXED);
    __atomic_store_n(&e->domid, to, __ATOMIC_RELAXED);
    __atomic_store_n(&e->flags,
                     static_cast<uint16_t>(GTF_permit_access |
                                           (readonly ? GTF_readonly : 0)),
                     __ATOMIC_RELEASE);
    *ref = r;
    return 0;
}

int sim_guest::end_access(grant_ref_t ref)
{
    if (ref >= ours_.size() || !ours_[ref]) {
        return EINVAL;
    }
    uint16_t *flags = &view_->gnt[ref].flags;
    uint16_t cur = __atomic_load_n(flags, __ATOMIC_ACQUIRE);
    do {
        if (cur & (GTF_reading | GTF_writing)) {
            return EBUSY;
        }
    } while (!__atomic_compare_exchange_n(flags, &cur, 0, false,
                                          __ATOMIC_ACQ_REL,
                                          __ATOMIC_ACQUIRE));
    ours_[ref] = false;
    free_refs_.push_back(ref);
    return 0;
}

int sim_guest::alloc_unbound(domid_t remote, evtchn_port_t *out)
{
    std::vector<unique_fd> fds;
    uint32_t v0;
    int err = call(static_cast<uint32_t>(ctl_op::evtchn_alloc_unbound),
                   remote, 0, &v0, &fds);
    if (err) {
        return err;
    }
    if (fds.size() != 1) {
        return EPROTO;
    }
    auto p = std::make_unique<port>();
    p->fd = std::move(fds[0]);
    ports_[v0] = std::move(p);
    *out = v0;
    return 0;
}

int sim_guest::notify(evtchn_port_t port)
{
    auto it = ports_.find(port);
    if (it == ports_.end()) {
        return EINVAL;
    }
    // EAGAIN: the peer has plenty pending; EPIPE: it is not listening.
    const char one = 1;
    if (send(it->second->fd.get(), &one, 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0
        && errno != EAGAIN && errno != EPIPE && errno != ECONNRESET) {
        return errno;
    }
    return 0;
}

int sim_guest::event_fd(evtchn_port_t port) const
{
    auto it = ports_.find(port);
    return it == ports_.end() ? -1 : it->second->fd.get();
}

int sim_guest::consume(evtchn_port_t port, uint64_t *count)
{
    auto it = ports_.find(port);
    if (it == ports_.end()) {
        return EINVAL;
    }
    // One byte per notification; more than we read stays pending.
    char buf[256];
    ssize_t n = recv(it->second->fd.get(), buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && errno != EAGAIN) {
        return errno;
    }
    if (count) {
        *count = n < 0 ? 0 : static_cast<uint64_t>(n);
    }
    return 0;
}

int sim_guest::wait(evtchn_port_t port, int timeout_ms)
{
    int fd = event_fd(port);
    if (fd < 0) {
        return EINVAL;
    }
    pollfd p{fd, POLLIN, 0};
    int n;
    do {
        n = poll(&p, 1, timeout_ms);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return errno;
    }
    return n == 0 ? ETIMEDOUT : consume(port);
}

int sim_guest::unbind(evtchn_port_t port)
{
    auto it = ports_.find(port);
    if (it == ports_.end()) {
        return EINVAL;
    }
    ports_.erase(it);
    return call(static_cast<uint32_t>(ctl_op::evtchn_unbind), port, 0,
                nullptr);
}

int sim_guest::destroy(bool crash)
{
    ports_.clear();     // The hypervisor closes them with the domain.
    int err = call(static_cast<uint32_t>(ctl_op::destroy_domain),
                   crash ? 1u : 0u, 0, nullptr);
    if (!err) {
        destroyed_ = true;
    }
    return err;
}

}  // namespace linc::xen
