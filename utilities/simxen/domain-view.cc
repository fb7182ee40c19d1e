// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.

#include "utilities/simxen/domain-view.h"

#include <poll.h>
#include <sys/mman.h>

#include <cerrno>

namespace linc::xen::simxen {

domain_view::~domain_view()
{
    if (mem) {
        munmap(mem, size_t{pages} * page_size);
    }
    if (gnt) {
        munmap(gnt, gnt_bytes);
    }
    if (act) {
        munmap(act, act_bytes);
    }
    if (alive_word) {
        munmap(const_cast<uint32_t *>(alive_word), page_size);
    }
}

bool domain_view::dead() const
{
    if (destroyed()) {
        return true;
    }
    pollfd p{death.get(), POLLIN, 0};
    return poll(&p, 1, 0) != 0;     // HUP (or an error): gone.
}

int open_domain_view(ctl_client *ctl, domid_t id,
                     std::shared_ptr<domain_view> *out)
{
    ctl_request req{static_cast<uint32_t>(ctl_op::get_domain), id, 0, 0};
    ctl_reply rep;
    std::vector<unique_fd> fds;
    int err = ctl->call(req, &rep, &fds);
    if (err) {
        return err;
    }
    if ((fds.size() != 4 && fds.size() != 5) || rep.v0 == 0 || rep.v0 > ctl_max_pages ||
        rep.v1 == 0 || rep.v1 > ctl_max_grants) {
        return EPROTO;
    }
    auto v = std::make_shared<domain_view>();
    v->id = id;
    v->pages = rep.v0;
    v->grants = rep.v1;
    v->gnt_bytes = (size_t{rep.v1} * sizeof(grant_entry_v1) + page_size - 1)
                   / page_size * page_size;
    void *mem = mmap(nullptr, size_t{v->pages} * page_size,
                     PROT_READ | PROT_WRITE, MAP_SHARED, fds[0].get(), 0);
    if (mem == MAP_FAILED) {
        return errno;
    }
    v->mem = static_cast<uint8_t *>(mem);
    void *gnt = mmap(nullptr, v->gnt_bytes, PROT_READ | PROT_WRITE,
                     MAP_SHARED, fds[1].get(), 0);
    if (gnt == MAP_FAILED) {
        return errno;
    }
    v->gnt = static_cast<grant_entry_v1 *>(gnt);
    if (fds.size() == 5) {
        v->act_bytes = (size_t{rep.v1} * sizeof(active_grant_entry) +
                        page_size - 1) / page_size * page_size;
        void *act = mmap(nullptr, v->act_bytes, PROT_READ | PROT_WRITE,
                         MAP_SHARED, fds[4].get(), 0);
        if (act == MAP_FAILED) {
            return errno;
        }
        v->act = static_cast<active_grant_entry *>(act);
    }
    // Read-only: the page is sealed against writable mappings.
    void *alive = mmap(nullptr, page_size, PROT_READ, MAP_SHARED,
                       fds[3].get(), 0);
    if (alive == MAP_FAILED) {
        return errno;
    }
    v->alive_word = static_cast<const uint32_t *>(alive);
    v->mem_fd = std::move(fds[0]);
    v->death = std::move(fds[2]);
    *out = std::move(v);
    return 0;
}

}  // namespace linc::xen::simxen
