// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// The Xen platform as the netif backend and the emulated guests see it.
//
// One interface, two implementations, the same backend code on both:
//   - real Xen: libxengnttab (grant copy, grant map) and libxenevtchn;
//   - simxen: an emulated hypervisor (utilities/simxen) whose guests' memory
//     and grant tables live in shared memory and whose event channels are
//     eventfds.
// xenstore is not here: both use libxenstore (simxen's xenstored speaks
// xs_wire on a UNIX socket named by XENSTORED_PATH).
//
// The shapes follow the Xen libraries on purpose (xengnttab_grant_copy
// segments, xenevtchn's single pollable fd with pending/unmask), so the real
// implementation is a thin wrapper and the simxen one is checked against
// the same contract.
//
// Errors are positive errno values.  Nothing here is thread-safe unless
// stated: a backend instance is driven by one forwarding thread at a time.

#ifndef LINC_XEN_PLATFORM_H
#define LINC_XEN_PLATFORM_H 1

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace linc::xen {

using domid_t = uint16_t;
using grant_ref_t = uint32_t;
using evtchn_port_t = uint32_t;

constexpr size_t page_size = 4096;

// One grant-copy segment, as xengnttab_grant_copy_segment_t: each side is
// either a foreign grant (ref, offset, domid) or a local virtual address.
struct grant_copy_segment {
    enum : uint16_t { source_gref = 1 << 0, dest_gref = 1 << 1 };
    union side {
        struct {
            grant_ref_t ref;
            uint16_t offset;
            domid_t domid;
        } foreign;
        void *virt;
    } source, dest;
    uint16_t len;
    uint16_t flags;         // source_gref / dest_gref
    int16_t status;         // Out: 0 (GNTST_okay) or a negative GNTST_*.
};

// Xen's grant status codes (xen/include/public/grant_table.h).
enum gntst : int16_t {
    gntst_okay = 0,
    gntst_general_error = -1,
    gntst_bad_domain = -2,
    gntst_bad_gntref = -3,
    gntst_bad_handle = -4,
    gntst_bad_virt_addr = -5,
    gntst_bad_dev_addr = -6,
    gntst_no_device_space = -7,
    gntst_permission_denied = -8,
    gntst_bad_page = -9,
    gntst_bad_copy_arg = -10,
    gntst_address_too_big = -11,
    gntst_eagain = -12,
    gntst_no_space = -13,
};

// What a backend needs from the hypervisor.
class backend_platform {
public:
    virtual ~backend_platform() = default;

    // Our own domain id (0 in dom0, a driver domain's id otherwise).
    virtual domid_t self_domid() const = 0;

    // Performs 'n' copies.  Returns 0 if the batch was submitted (each
    // segment then has its own status) or an errno if none was attempted.
    virtual int grant_copy(grant_copy_segment *segs, size_t n) = 0;

    // Maps 'n' pages granted by 'domid' contiguously, writable unless
    // 'readonly'.  Returns nullptr and sets errno on failure (any bad ref
    // fails the whole map).  Unmap with the same count.
    virtual void *map_grant_refs(domid_t domid, const grant_ref_t *refs,
                                 size_t n, bool readonly) = 0;
    virtual int unmap(void *addr, size_t n) = 0;

    // Event channels.  One fd becomes readable when any bound port fires;
    // pending() then returns a fired port (or -1 with errno EAGAIN) and the
    // port stays masked until unmask().
    virtual int evtchn_fd() const = 0;
    virtual int bind_interdomain(domid_t domid, evtchn_port_t remote,
                                 evtchn_port_t *local) = 0;
    virtual int unbind(evtchn_port_t local) = 0;
    virtual int notify(evtchn_port_t local) = 0;
    virtual int pending() = 0;
    virtual int unmask(evtchn_port_t local) = 0;

    // Whether 'domid' still exists (guest death detection).
    virtual bool domain_alive(domid_t domid) = 0;
};

// Opens the real Xen platform (libxengnttab/libxenevtchn).  ENOSYS when
// built without libxen-dev; ENOENT when not running on Xen.
int open_xen_platform(std::unique_ptr<backend_platform> *out);

// Opens the simxen platform as domain 'self' (normally 0) through the
// simxen control socket at 'ctl_path'.
int open_simxen_platform(const std::string &ctl_path, domid_t self,
                         std::unique_ptr<backend_platform> *out);

}  // namespace linc::xen

#endif  // netdev-xen/xen-platform.h
