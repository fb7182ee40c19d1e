// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// simxen's control protocol: what the emulated hypervisor offers besides
// xenstore (domains, their memory and grant tables, event channels).
//
// Transport: a SOCK_SEQPACKET UNIX socket "<socket dir>/control" (the
// xenstored socket is "<socket dir>/xenstored").  Each request is exactly
// one struct ctl_request datagram; each is answered by exactly one struct
// ctl_reply datagram, in order, carrying 'nfds' file descriptors as
// SCM_RIGHTS.  A request of any other size gets err = EINVAL.  The socket is
// created mode 0600: whoever can connect acts with the hypervisor's
// authority on any domain (like dom0's privcmd), so there is no per-client
// permission check.
//
// Operations ('domid' is the domain acting; errors are positive errnos):
//
//   create_domain     a = pages of guest memory (1..ctl_max_pages),
//                     b = grant table entries (1..ctl_max_grants).
//                     Creates the domain, its /local/domain/<domid> node in
//                     xenstore (owned by it), its own xenstored socket
//                     "<socket dir>/xenstored.<domid>" whose clients act as
//                     that domain (relative paths, permissions), and fires
//                     @introduceDomain.
//                     EEXIST, EINVAL (bad sizes, domid >= DOMID_FIRST_RESERVED).
//   destroy_domain    Closes its event channels (peers see them unbound), drops
//                     its memory, closes its xenstored socket and
//                     connections, removes /local/domain/<domid> and fires
//                     @releaseDomain.  With a = 1 the xenstore directory
//                     stays: a domain that crashed with no toolstack to
//                     clean up after it.  ESRCH; EPERM for domain 0.
//   get_domain        v0 = pages, v1 = grant entries; fds: [0] the memory
//                     memfd (pages * 4096 bytes; frame N at N * 4096), [1] the
//                     grant table memfd (struct grant_entry_v1[v1], page
//                     rounded), [2] a pipe read end that reports POLLHUP once
//                     the domain is destroyed, [3] a sealed read-only page
//                     (memfd) whose first uint32_t is 1 while the domain
//                     exists and 0 from its destruction on.  ESRCH.
//   domain_alive      v0 = 1 if the domain exists, else 0.
//   evtchn_alloc_unbound   a = remote domid.  v0 = new port; fds: [0] the
//                     port's eventfd (readable when the peer notifies),
//                     [1] the peer's eventfd (write 1 to notify it; as on
//                     Xen, notifications sent before a peer binds are
//                     dropped: binding clears them).  ESRCH, ENOSPC.
//   evtchn_bind_interdomain  a = remote domid, b = remote port (unbound and
//                     allocated for 'domid').  v0 = local port; fds as for
//                     alloc_unbound.  ESRCH, EINVAL.
//   evtchn_notify     a = port.  Signals the peer (no-op while unbound). EINVAL.
//   evtchn_unbind     a = port.  Closes it; an interdomain peer becomes
//                     unbound (re-bindable by this domain), as in Xen.  EINVAL.
//
// The memory and grant table fds are shared with every client that asks:
// guests write their grant entries there and backends read and pin them.

#ifndef SIMXEN_PROTOCOL_H
#define SIMXEN_PROTOCOL_H 1

#include <cstdint>
#include <string>

namespace linc::xen::simxen {

enum class ctl_op : uint32_t {
    create_domain = 1,
    destroy_domain = 2,
    get_domain = 3,
    domain_alive = 4,
    evtchn_alloc_unbound = 5,
    evtchn_bind_interdomain = 6,
    evtchn_notify = 7,
    evtchn_unbind = 8,
};

struct ctl_request {
    uint32_t op;        // ctl_op
    uint32_t domid;
    uint32_t a;
    uint32_t b;
};

struct ctl_reply {
    int32_t err;        // 0 or a positive errno.
    uint32_t v0;
    uint32_t v1;
    uint32_t nfds;
};

constexpr uint32_t ctl_max_pages = 65536;        // 256 MiB per domain.
constexpr uint32_t ctl_max_grants = 65536;
constexpr uint32_t ctl_max_ports = 1024;         // Per domain.
constexpr uint32_t ctl_max_fds = 3;
constexpr uint16_t domid_first_reserved = 0x7ff0;

// Xen's v1 grant entry, shared between a guest and whoever it grants to.
struct grant_entry_v1 {
    uint16_t flags;
    uint16_t domid;
    uint32_t frame;     // Page index in the granting domain's memory.
};
static_assert(sizeof(grant_entry_v1) == 8, "v1 grant entries are 8 bytes");

constexpr const char *control_socket_name = "control";
constexpr const char *xenstored_socket_name = "xenstored";     // dom0's.

// Domain 'domid''s xenstored socket name in the socket directory.
inline std::string guest_xenstored_name(uint16_t domid)
{
    return std::string(xenstored_socket_name) + "." + std::to_string(domid);
}

}  // namespace linc::xen::simxen

#endif
