// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.

#include "tests/unit/fake-xen.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace linc::xen::test {

// The first grant entries are reserved, as in Xen guests.
constexpr grant_ref_t first_free_ref = 8;

class fake_backend_platform : public backend_platform {
public:
    explicit fake_backend_platform(fake_xen *x) : x_(x) {}

    domid_t self_domid() const override { return x_->backend_domid_; }

    int grant_copy(grant_copy_segment *segs, size_t n) override
    {
        x_->copy_calls_++;
        if (x_->during_copy) {
            x_->during_copy();
        }
        for (size_t i = 0; i < n; i++) {
            grant_copy_segment &s = segs[i];
            x_->copy_segments_++;
            uint8_t *src = nullptr, *dst = nullptr;
            int16_t st = gntst_okay;
            if (s.flags & ~(grant_copy_segment::source_gref
                            | grant_copy_segment::dest_gref)) {
                st = gntst_bad_copy_arg;
            }
            if (st == gntst_okay) {
                if (s.flags & grant_copy_segment::source_gref) {
                    st = x_->check_foreign(self_domid(), s.source.foreign.ref,
                                           s.source.foreign.domid,
                                           s.source.foreign.offset, s.len,
                                           false, &src);
                } else {
                    src = static_cast<uint8_t *>(s.source.virt);
                }
            }
            if (st == gntst_okay) {
                if (s.flags & grant_copy_segment::dest_gref) {
                    st = x_->check_foreign(self_domid(), s.dest.foreign.ref,
                                           s.dest.foreign.domid,
                                           s.dest.foreign.offset, s.len, true,
                                           &dst);
                } else {
                    dst = static_cast<uint8_t *>(s.dest.virt);
                }
            }
            if (st == gntst_okay && (!src || !dst)) {
                st = gntst_bad_virt_addr;
            }
            if (st == gntst_okay) {
                std::memmove(dst, src, s.len);
            } else {
                x_->copy_refusals_++;
            }
            s.status = st;
        }
        return 0;
    }

    void *map_grant_refs(domid_t domid, const grant_ref_t *refs, size_t n,
                         bool readonly) override
    {
        // Contiguous guest frames only: enough for ring pages.
        uint8_t *base = nullptr;
        for (size_t i = 0; i < n; i++) {
            uint8_t *addr;
            if (x_->check_foreign(self_domid(), refs[i], domid, 0, page_size,
                                  !readonly, &addr) != gntst_okay
                || (i > 0 && addr != base + i * page_size)) {
                errno = EINVAL;
                return nullptr;
            }
            if (i == 0) {
                base = addr;
            }
        }
        for (size_t i = 0; i < n; i++) {
            x_->maps_[refs[i]]++;
        }
        return base;
    }

    int unmap(void *addr, size_t n) override
    {
        uint8_t *p = static_cast<uint8_t *>(addr);
        if (p < x_->memory_.data()
            || p + n * page_size > x_->memory_.data() + x_->memory_.size()) {
            return EINVAL;
        }
        size_t frame = (p - x_->memory_.data()) / page_size;
        for (size_t i = 0; i < n; i++) {
            for (size_t r = 0; r < x_->grants_.size(); r++) {
                if (x_->grants_[r].frame == frame + i && x_->maps_[r]) {
                    x_->maps_[r]--;
                    break;
                }
            }
        }
        return 0;
    }

    int evtchn_fd() const override { return x_->event_fd_; }

    int bind_interdomain(domid_t domid, evtchn_port_t remote,
                         evtchn_port_t *local) override
    {
        if (domid != x_->guest_domid_) {
            return ESRCH;
        }
        for (size_t i = 0; i < x_->nchannels_; i++) {
            fake_xen::channel &c = x_->channels_[i];
            if (c.guest_port == remote) {
                *local = c.backend_port;
                return 0;
            }
        }
        return EINVAL;
    }

    int unbind(evtchn_port_t local) override
    {
        return x_->by_backend_port(local) ? 0 : EINVAL;
    }

    int notify(evtchn_port_t local) override
    {
        fake_xen::channel *c = x_->by_backend_port(local);
        if (!c) {
            return EINVAL;
        }
        c->backend_sent++;
        uint64_t one = 1;
        ssize_t n = write(x_->guest_event_fd_, &one, sizeof one);
        (void) n;
        return 0;
    }

    int pending() override
    {
        for (size_t i = 0; i < x_->nchannels_; i++) {
            fake_xen::channel &c = x_->channels_[i];
            if (!c.masked && c.pending.exchange(false)) {
                c.masked = true;
                return int(c.backend_port);
            }
        }
        errno = EAGAIN;
        return -1;
    }

    int unmask(evtchn_port_t local) override
    {
        fake_xen::channel *c = x_->by_backend_port(local);
        if (!c) {
            return EINVAL;
        }
        c->masked = false;
        return 0;
    }

    bool domain_alive(domid_t domid) override
    {
        return domid == x_->guest_domid_ && x_->guest_alive_;
    }

private:
    fake_xen *x_;
};

class fake_guest_platform : public frontend_platform {
public:
    explicit fake_guest_platform(fake_xen *x) : x_(x) {}

    domid_t self_domid() const override { return x_->guest_domid_; }
    size_t page_count() const override
    {
        return x_->memory_.size() / page_size;
    }
    void *page(size_t index) override
    {
        return index < page_count() ? x_->guest_page(index) : nullptr;
    }

    int grant_access(size_t page_index, domid_t domid, bool readonly,
                     grant_ref_t *ref) override
    {
        if (page_index >= page_count()) {
            return EINVAL;
        }
        for (grant_ref_t r = first_free_ref; r < x_->grants_.size(); r++) {
            grant_entry_v1_t &e = x_->grants_[r];
            if (e.flags == 0 && x_->maps_[r] == 0) {
                e.domid = domid;
                e.frame = uint32_t(page_index);
                // The entry is complete before it is marked usable.
                std::atomic_thread_fence(std::memory_order_release);
                e.flags = GTF_permit_access | (readonly ? GTF_readonly : 0);
                *ref = r;
                return 0;
            }
        }
        return ENOSPC;
    }

    int end_access(grant_ref_t ref) override
    {
        if (ref < first_free_ref || ref >= x_->grants_.size()) {
            return EINVAL;
        }
        if (x_->maps_[ref]) {
            return EBUSY;
        }
        x_->grants_[ref].flags = 0;
        return 0;
    }

    int notify(evtchn_port_t local) override
    {
        fake_xen::channel *c = x_->by_guest_port(local);
        if (!c) {
            return EINVAL;
        }
        c->guest_sent++;
        c->pending = true;
        uint64_t one = 1;
        ssize_t n = write(x_->event_fd_, &one, sizeof one);
        (void) n;
        return 0;
    }

private:
    fake_xen *x_;
};

fake_xen::fake_xen(domid_t backend, domid_t guest, size_t guest_pages,
                   size_t grant_entries)
    : backend_domid_(backend), guest_domid_(guest),
      memory_(guest_pages * page_size), grants_(grant_entries),
      maps_(grant_entries), paged_out_(grant_entries),
      event_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      guest_event_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      backend_(new fake_backend_platform(this)),
      guest_(new fake_guest_platform(this))
{
    std::memset(grants_.data(), 0, grants_.size() * sizeof grants_[0]);
}

fake_xen::~fake_xen()
{
    delete backend_;
    delete guest_;
    if (event_fd_ >= 0) {
        close(event_fd_);
    }
    if (guest_event_fd_ >= 0) {
        close(guest_event_fd_);
    }
}

void fake_xen::connect_evtchn(evtchn_port_t *backend_port,
                              evtchn_port_t *guest_port)
{
    if (nchannels_ == max_channels) {
        *backend_port = *guest_port = 0;
        return;
    }
    channel &c = channels_[nchannels_];
    c.backend_port = evtchn_port_t(100 + nchannels_);
    c.guest_port = evtchn_port_t(10 + nchannels_);
    c.backend_sent = c.guest_sent = 0;
    c.pending = c.masked = false;
    nchannels_++;
    *backend_port = c.backend_port;
    *guest_port = c.guest_port;
}

fake_xen::channel *fake_xen::by_backend_port(evtchn_port_t p)
{
    for (size_t i = 0; i < nchannels_; i++) {
        channel &c = channels_[i];
        if (c.backend_port == p) {
            return &c;
        }
    }
    return nullptr;
}

fake_xen::channel *fake_xen::by_guest_port(evtchn_port_t p)
{
    for (size_t i = 0; i < nchannels_; i++) {
        channel &c = channels_[i];
        if (c.guest_port == p) {
            return &c;
        }
    }
    return nullptr;
}

uint64_t fake_xen::backend_notifies(evtchn_port_t backend_port) const
{
    for (size_t i = 0; i < nchannels_; i++) {
        const channel &c = channels_[i];
        if (c.backend_port == backend_port) {
            return c.backend_sent;
        }
    }
    return 0;
}

uint64_t fake_xen::guest_notifies(evtchn_port_t guest_port) const
{
    for (size_t i = 0; i < nchannels_; i++) {
        const channel &c = channels_[i];
        if (c.guest_port == guest_port) {
            return c.guest_sent;
        }
    }
    return 0;
}

size_t fake_xen::grants_in_use() const
{
    size_t n = 0;
    for (auto &e : grants_) {
        n += (e.flags & GTF_type_mask) == GTF_permit_access;
    }
    return n;
}

void fake_xen::page_out(grant_ref_t ref, bool out)
{
    if (ref < paged_out_.size()) {
        paged_out_[ref] = out;
    }
}

// Xen's checks for one foreign side of a copy or a map, in its order.
uint8_t *fake_xen::granted_page(grant_ref_t ref)
{
    if (ref >= grants_.size()
        || grants_[ref].frame >= memory_.size() / page_size) {
        return nullptr;
    }
    return &memory_[size_t(grants_[ref].frame) * page_size];
}

int16_t fake_xen::check_foreign(domid_t copier, grant_ref_t ref,
                                domid_t domid, uint32_t offset, uint32_t len,
                                bool write, uint8_t **addr)
{
    if (domid != guest_domid_ || !guest_alive_) {
        return gntst_bad_domain;
    }
    if (ref >= grants_.size()) {
        return gntst_bad_gntref;
    }
    if (offset + len > page_size) {
        return gntst_bad_copy_arg;
    }
    const grant_entry_v1_t &e = grants_[ref];
    if ((e.flags & GTF_type_mask) != GTF_permit_access || e.domid != copier) {
        return gntst_general_error;     // "Bad flags or dom"
    }
    if (write && (e.flags & GTF_readonly)) {
        return gntst_permission_denied; // Xen: write-pin of a r/o entry
    }
    if (e.frame >= memory_.size() / page_size) {
        return gntst_bad_page;
    }
    if (paged_out_[ref]) {
        return gntst_eagain;
    }
    *addr = &memory_[size_t(e.frame) * page_size + offset];
    return gntst_okay;
}

}  // namespace linc::xen::test
