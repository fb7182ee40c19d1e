// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.

#include "utilities/simxen/sim-guest.h"

#include <poll.h>
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
    unique_fd wait;
    unique_fd peer;
};

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
    std::unique_ptr<sim_guest> g(new sim_guest);
    int err = g->ctl_->connect(ctl_path);
    if (err) {
        return err;
    }
    ctl_request req{static_cast<uint32_t>(ctl_op::create_domain), domid,
                    pages, grants};
    ctl_reply rep;
    if ((err = g->ctl_->call(req, &rep)) != 0) {
        return err;
    }
    if ((err = g->init(ctl_path, domid)) != 0) {
        return err;
    }
    *out = std::move(g);
    return 0;
}

int sim_guest::attach(const std::string &ctl_path, domid_t domid,
                      std::unique_ptr<sim_guest> *out)
{
    std::unique_ptr<sim_guest> g(new sim_guest);
    int err = g->ctl_->connect(ctl_path);
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
    size_t slash = ctl_path_.rfind('/');
    std::string dir = slash == std::string::npos ? "."
                      : ctl_path_.substr(0, slash);
    return dir + "/" + simxen::guest_xenstored_name(view_->id);
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
    ctl_request req{static_cast<uint32_t>(ctl_op::evtchn_alloc_unbound),
                    view_->id, remote, 0};
    ctl_reply rep;
    std::vector<unique_fd> fds;
    int err = ctl_->call(req, &rep, &fds);
    if (err) {
        return err;
    }
    if (fds.size() != 2) {
        return EPROTO;
    }
    auto p = std::make_unique<port>();
    p->wait = std::move(fds[0]);
    p->peer = std::move(fds[1]);
    ports_[rep.v0] = std::move(p);
    *out = rep.v0;
    return 0;
}

int sim_guest::notify(evtchn_port_t port)
{
    auto it = ports_.find(port);
    if (it == ports_.end()) {
        return EINVAL;
    }
    uint64_t one = 1;
    if (write(it->second->peer.get(), &one, sizeof one) < 0 &&
        errno != EAGAIN) {
        return errno;
    }
    return 0;
}

int sim_guest::event_fd(evtchn_port_t port) const
{
    auto it = ports_.find(port);
    return it == ports_.end() ? -1 : it->second->wait.get();
}

int sim_guest::consume(evtchn_port_t port, uint64_t *count)
{
    auto it = ports_.find(port);
    if (it == ports_.end()) {
        return EINVAL;
    }
    uint64_t n = 0;
    if (read(it->second->wait.get(), &n, sizeof n) < 0 && errno != EAGAIN) {
        return errno;
    }
    if (count) {
        *count = n;
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
    ctl_request req{static_cast<uint32_t>(ctl_op::evtchn_unbind), view_->id,
                    port, 0};
    ctl_reply rep;
    return ctl_->call(req, &rep);
}

int sim_guest::destroy(bool crash)
{
    ports_.clear();     // The hypervisor closes them with the domain.
    ctl_request req{static_cast<uint32_t>(ctl_op::destroy_domain), view_->id,
                    crash ? 1u : 0u, 0};
    ctl_reply rep;
    return ctl_->call(req, &rep);
}

}  // namespace linc::xen
