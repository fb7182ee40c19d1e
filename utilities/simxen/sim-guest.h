// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// The guest side of simxen, for emulated guests (frontends) in tests and
// tools: a domain's memory, its grant table and its event channels, used
// the way a Linux guest uses them, with a guest's authority only: through
// the domain's own control socket (protocol.h), which acts as this domain
// and no other.  xenstore is separate: use libxenstore with
// XENSTORED_PATH=xenstored_path().
//
// Errors are positive errno values.  A sim_guest is not thread-safe: a
// frontend that notifies or waits from another thread must not allocate or
// unbind ports, or grant and end access, at the same time.  The event fd of
// a port may be polled from any thread while the port stays bound.

#ifndef SIMXEN_SIM_GUEST_H
#define SIMXEN_SIM_GUEST_H 1

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "netdev-xen/xen-platform.h"

namespace linc::xen {

namespace simxen {
class ctl_client;
struct domain_view;
class unique_fd;
}

class sim_guest {
public:
    // Creates domain 'domid' with 'pages' pages of zeroed memory and a grant
    // table of 'grants' entries (more than the 8 Xen reserves), as the
    // toolstack does, through simxen's privileged control socket 'ctl_path'
    // ("<dir>/control"), then attaches to it as the guest, through the
    // domain's own socket beside it.  EEXIST if the domain exists, EINVAL
    // for bad sizes, or a connection errno.
    static int create(const std::string &ctl_path, domid_t domid,
                      uint32_t pages, uint32_t grants,
                      std::unique_ptr<sim_guest> *out);

    // Attaches to existing domain 'domid' as the guest, through the
    // domain's own control socket in the directory of 'ctl_path' (simxen's
    // "<dir>/control").  ESRCH if there is none.  Grant references this
    // object hands out start after the 8 reserved ones and assume it is the
    // domain's only grant user.
    static int attach(const std::string &ctl_path, domid_t domid,
                      std::unique_ptr<sim_guest> *out);

    // Unmaps and unbinds this object's ports; the domain lives on.
    ~sim_guest();

    domid_t domid() const;

    // This domain's own xenstored socket: libxenstore clients given it as
    // XENSTORED_PATH act as this domain (relative paths under
    // /local/domain/<domid>, xenstored's permission checks), as a guest's
    // xenstore ring would.  It goes away when the domain is destroyed.
    std::string xenstored_path() const;
    uint32_t page_count() const;

    // The guest's page 'frame' (page_size bytes, shared with backends that
    // map or copy its grants), or nullptr if out of range.  Valid while
    // this object lives.
    void *page(uint32_t frame) const;

    // Grants 'to' access to page 'frame' (read-only if 'readonly') and
    // returns the reference in '*ref'.  The entry's frame and domid are
    // written before its flags, with release ordering, so a reader that sees
    // GTF_permit_access sees the rest (Linux's order).  EINVAL for a bad
    // frame, ENOSPC when all references are in use.
    int grant_access(uint32_t frame, domid_t to, bool readonly,
                     grant_ref_t *ref);

    // Revokes 'ref' and frees it, unless the grantee has it mapped or is
    // copying (GTF_reading/GTF_writing): then EBUSY and nothing changes, as
    // gnttab_end_foreign_access_ref() on Linux.  EINVAL if 'ref' is not one
    // of ours.
    int end_access(grant_ref_t ref);

    // Allocates an unbound event channel that 'remote' may bind, in
    // '*port'.  ESRCH (no such domain), ENOSPC.
    int alloc_unbound(domid_t remote, evtchn_port_t *port);

    // Signals the peer of 'port'.  As on Xen, a notification sent before
    // the peer binds is lost.  EINVAL for an unknown port.
    int notify(evtchn_port_t port);

    // A descriptor that polls readable while 'port' has an event pending;
    // owned by this object.  -1 for an unknown port.
    int event_fd(evtchn_port_t port) const;

    // Clears the pending event on 'port'; '*count' (optional) gets how many
    // notifications arrived since the last clear (0: none).  EINVAL.
    int consume(evtchn_port_t port, uint64_t *count = nullptr);

    // Waits up to 'timeout_ms' (-1: forever) for an event on 'port' and
    // consumes it.  ETIMEDOUT, EINVAL.
    int wait(evtchn_port_t port, int timeout_ms);

    // Closes 'port'; a bound peer sees it unbound.  EINVAL.
    int unbind(evtchn_port_t port);

    // Destroys the domain, as a guest shutting itself down (fires
    // @releaseDomain); this object then only keeps its now-orphaned memory
    // mapping, and its other calls fail (ESRCH).  ESRCH if already gone.
    // 'crash': leave its xenstore directory, as after a crash that no
    // toolstack cleaned up.
    int destroy(bool crash = false);

private:
    sim_guest();
    int init(const std::string &ctl_path, domid_t domid);
    int call(uint32_t op, uint32_t a, uint32_t b, uint32_t *v0,
             std::vector<simxen::unique_fd> *fds = nullptr);

    struct port;
    std::string ctl_path_;
    std::unique_ptr<simxen::ctl_client> ctl_;
    std::shared_ptr<simxen::domain_view> view_;
    std::vector<grant_ref_t> free_refs_;
    std::vector<bool> ours_;
    std::map<evtchn_port_t, std::unique_ptr<port>> ports_;
    bool destroyed_ = false;
};

}  // namespace linc::xen

#endif
