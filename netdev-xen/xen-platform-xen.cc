// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// backend_platform on real Xen: libxengnttab for grant copy and grant map,
// libxenevtchn for event channels, libxenstore for our domain id and guest
// liveness.  A thin wrapper on purpose: xen-platform.h was shaped after
// these libraries, so segments pass through unchanged.

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

#include <poll.h>
#include <sys/mman.h>

#include "netdev-xen/xen-platform.h"

extern "C" {
#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>
}

namespace linc::xen {

static_assert(sizeof(grant_copy_segment) == sizeof(xengnttab_grant_copy_segment_t),
              "grant_copy_segment mirrors xengnttab's segment");
static_assert(offsetof(grant_copy_segment, len)
              == offsetof(xengnttab_grant_copy_segment_t, len), "layout");
static_assert(offsetof(grant_copy_segment, flags)
              == offsetof(xengnttab_grant_copy_segment_t, flags), "layout");
static_assert(offsetof(grant_copy_segment, status)
              == offsetof(xengnttab_grant_copy_segment_t, status), "layout");
static_assert(offsetof(grant_copy_segment, source.foreign.domid)
              == offsetof(xengnttab_grant_copy_segment_t, source.foreign.domid),
              "layout");
static_assert(offsetof(grant_copy_segment, dest.foreign.offset)
              == offsetof(xengnttab_grant_copy_segment_t, dest.foreign.offset),
              "layout");
static_assert(grant_copy_segment::source_gref == GNTCOPY_source_gref, "flags");
static_assert(gntst_bad_gntref == GNTST_bad_gntref
              && gntst_permission_denied == GNTST_permission_denied
              && gntst_bad_copy_arg == GNTST_bad_copy_arg
              && gntst_eagain == GNTST_eagain && gntst_no_space == GNTST_no_space,
              "GNTST_* values are Xen's");
static_assert(grant_copy_segment::dest_gref == GNTCOPY_dest_gref, "flags");

namespace {

class xen_platform final : public backend_platform {
public:
    xen_platform(xengnttab_handle *gt, xenevtchn_handle *ev, xs_handle *xs,
                 domid_t self)
        : gt_(gt), ev_(ev), xs_(xs), self_(self)
    {
    }
    ~xen_platform() override
    {
        xenevtchn_close(ev_);
        xengnttab_close(gt_);
        xs_close(xs_);
    }

    domid_t self_domid() const override { return self_; }

    int grant_copy(grant_copy_segment *segs, size_t n) override
    {
        if (n > UINT32_MAX) {
            return EINVAL;
        }
        return xengnttab_grant_copy(
                   gt_, static_cast<uint32_t>(n),
                   reinterpret_cast<xengnttab_grant_copy_segment_t *>(segs))
               ? errno : 0;
    }

    void *map_grant_refs(domid_t domid, const grant_ref_t *refs, size_t n,
                         bool readonly) override
    {
        return xengnttab_map_domain_grant_refs(
            gt_, static_cast<uint32_t>(n), domid,
            const_cast<uint32_t *>(refs),
            readonly ? PROT_READ : PROT_READ | PROT_WRITE);
    }

    int unmap(void *addr, size_t n) override
    {
        return xengnttab_unmap(gt_, addr, static_cast<uint32_t>(n)) ? errno : 0;
    }

    int evtchn_fd() const override { return xenevtchn_fd(ev_); }

    int bind_interdomain(domid_t domid, evtchn_port_t remote,
                         evtchn_port_t *local) override
    {
        xenevtchn_port_or_error_t p = xenevtchn_bind_interdomain(ev_, domid,
                                                                 remote);
        if (p < 0) {
            return errno;
        }
        *local = static_cast<evtchn_port_t>(p);
        return 0;
    }

    int unbind(evtchn_port_t local) override
    {
        return xenevtchn_unbind(ev_, local) ? errno : 0;
    }

    int notify(evtchn_port_t local) override
    {
        return xenevtchn_notify(ev_, local) ? errno : 0;
    }

    int pending() override
    {
        // xenevtchn_pending() can block when nothing is pending (see
        // xenevtchn.h), so look first.
        struct pollfd p = {xenevtchn_fd(ev_), POLLIN, 0};
        if (poll(&p, 1, 0) <= 0) {
            errno = EAGAIN;
            return -1;
        }
        xenevtchn_port_or_error_t port = xenevtchn_pending(ev_);
        return port < 0 ? -1 : static_cast<int>(port);
    }

    int unmask(evtchn_port_t local) override
    {
        return xenevtchn_unmask(ev_, local) ? errno : 0;
    }

    bool domain_alive(domid_t domid) override
    {
        return xs_is_domain_introduced(xs_, domid);
    }

private:
    xengnttab_handle *gt_;
    xenevtchn_handle *ev_;
    xs_handle *xs_;
    domid_t self_;
};

}  // namespace

int open_xen_platform(std::unique_ptr<backend_platform> *out)
{
    xs_handle *xs = xs_open(0);
    if (!xs) {
        return errno ? errno : ENOENT;
    }
    // Our own domain id: 0 in dom0, the driver domain's otherwise.
    unsigned int len = 0;
    char *domid_s = static_cast<char *>(xs_read(xs, XBT_NULL, "domid", &len));
    long self = domid_s ? std::strtol(domid_s, nullptr, 10) : 0;
    std::free(domid_s);

    xengnttab_handle *gt = xengnttab_open(nullptr, 0);
    if (!gt) {
        int e = errno ? errno : ENOENT;
        xs_close(xs);
        return e;
    }
    xenevtchn_handle *ev = xenevtchn_open(nullptr, 0);
    if (!ev) {
        int e = errno ? errno : ENOENT;
        xengnttab_close(gt);
        xs_close(xs);
        return e;
    }
    *out = std::make_unique<xen_platform>(gt, ev, xs,
                                          static_cast<domid_t>(self));
    return 0;
}

}  // namespace linc::xen
