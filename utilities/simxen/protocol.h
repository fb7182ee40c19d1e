// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// simxen's control protocol: what the emulated hypervisor offers besides
// xenstore (domains, their memory and grant tables, event channels).
//
// Transport: SOCK_SEQPACKET UNIX sockets in the socket directory (the
// xenstored sockets are beside them).  Each request is exactly one struct
// ctl_request datagram; each is answered by exactly one struct ctl_reply
// datagram, in order, carrying 'nfds' file descriptors as SCM_RIGHTS.  A
// request of any other size gets err = EINVAL.
//
// Authority, as a hypervisor gives it:
//
// - "<socket dir>/control" is the privileged socket (dom0's privcmd, the
//   toolstack's and the backends'), mode 0600.  Its clients act as any
//   domain ('domid'): they create and destroy domains and get any
//   domain's memory, grant table and active grant table (backends then
//   enforce the grant rules themselves, as Xen does for a grant copy).
// - "<socket dir>/control.<domid>" is domain <domid>'s own socket, created
//   with the domain and removed when it is destroyed (as its
//   xenstored.<domid>), mode 0600.  Its clients are that guest: every
//   request must have 'domid' equal to it (else EPERM), get_domain hands
//   out its own memory and grant table but not the active grant table,
//   create_domain is refused (EPERM), and destroy_domain only shuts the
//   domain itself down.  Its connections are closed when the domain is
//   destroyed (a connection never acts as a later domain with the same
//   id), and each domain has at most a few at a time.
//
// Operations ('domid' is the domain acting; errors are positive errnos):
//
//   create_domain     a = pages of guest memory (1..ctl_max_pages),
//                     b = grant table entries (1..ctl_max_grants).
//                     Creates the domain, its /local/domain/<domid> node in
//                     xenstore (owned by it), its own xenstored socket
//                     "<socket dir>/xenstored.<domid>" whose clients act as
//                     that domain (relative paths, permissions), its own
//                     control socket "<socket dir>/control.<domid>", and
//                     fires @introduceDomain.
//                     EEXIST, EINVAL (bad sizes, domid >= DOMID_FIRST_RESERVED).
//   destroy_domain    Closes its event channels (peers see them unbound), drops
//                     its memory, closes its xenstored and control sockets
//                     and their connections, removes /local/domain/<domid>
//                     and fires @releaseDomain.  With a = 1 the xenstore
//                     directory stays: a domain that crashed with no
//                     toolstack to clean up after it.  ESRCH; EPERM for
//                     domain 0.
//   get_domain        v0 = pages, v1 = grant entries; fds: [0] the memory
//                     memfd (pages * 4096 bytes; frame N at N * 4096), [1] the
//                     grant table memfd (struct grant_entry_v1[v1], page
//                     rounded), [2] a pipe read end that reports POLLHUP once
//                     the domain is destroyed, [3] a sealed read-only page
//                     (memfd) whose first uint32_t is 1 while the domain
//                     exists and 0 from its destruction on, and, on the
//                     privileged socket only, [4] the active grant table
//                     memfd (struct active_grant_entry[v1], page rounded).
//                     The memfds are sealed at their size (F_SEAL_SHRINK,
//                     F_SEAL_GROW, F_SEAL_SEAL): no holder can truncate them
//                     under another's mapping.  ESRCH.
//   domain_alive      v0 = 1 if the domain exists, else 0.
//   evtchn_alloc_unbound   a = remote domid.  v0 = new port; fds: [0] the
//                     port's end of the channel, a SOCK_STREAM UNIX socket:
//                     it polls readable once the peer notified (recv() with
//                     MSG_DONTWAIT clears it), and a byte sent on it with
//                     MSG_DONTWAIT | MSG_NOSIGNAL notifies the peer (EAGAIN:
//                     the peer has plenty pending; EPIPE: it is not
//                     listening).  Each end is its own open file, so no
//                     holder can make another's end block.  As on Xen,
//                     notifications sent before a peer binds are dropped:
//                     binding clears them.  ESRCH, ENOSPC.
//   evtchn_bind_interdomain  a = remote domid, b = remote port (unbound and
//                     allocated for 'domid').  v0 = local port; fds as for
//                     alloc_unbound (the other end).  The port belongs to
//                     the connection that bound it: when that connection
//                     closes (its process exited or died) the port is
//                     unbound, as Linux's evtchn device closes the ports
//                     of a process that goes away, and the peer's port
//                     waits unbound for 'domid' to bind it again.  ESRCH,
//                     EINVAL.
//   evtchn_notify     a = port.  Signals the peer (no-op while unbound). EINVAL.
//   evtchn_unbind     a = port.  Closes it; an interdomain peer becomes
//                     unbound (re-bindable by this domain), as in Xen.  EINVAL.
//   grant_map         Privileged socket only.  a = granting domid, with
//                     ctl_grant_map_write set to map it writable; b = grant
//                     reference.  Pins the grant for 'domid' with Xen's
//                     checks (grant-pin.h) and v0 = the frame to map (from
//                     the memory memfd).  The pin belongs to the connection:
//                     grant_unmap drops it, and so does the connection's
//                     end, as Linux's gntdev unmaps a dead process's
//                     mappings.  ESRCH, EINVAL (bad reference), EPERM (not
//                     granted so; not privileged).
//   grant_unmap       The same a and b: drops one grant_map pin of this
//                     connection.  EINVAL if it holds none.
//
// The memory and grant table fds are shared with the domain and with the
// backends: guests write their grant entries there and backends read and
// pin them.  The active grant table is shared only by the backends: the
// pin counts of each grant entry, which decide when GTF_reading and
// GTF_writing are set and cleared in the guest's entry.

#ifndef SIMXEN_PROTOCOL_H
#define SIMXEN_PROTOCOL_H 1

#include <cstdint>
#include <string>

// For the GTF_* flags.  Its compatibility macro would rename our
// grant_entry_v1 below to Xen's older struct name in any file that includes
// both, whichever comes first.
#include <xen/grant_table.h>
#undef grant_entry_v1
#undef grant_entry_v1_t

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
    grant_map = 9,
    grant_unmap = 10,
};

constexpr uint32_t ctl_grant_map_write = 1u << 16;     // grant_map's a.

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
constexpr uint32_t ctl_max_fds = 5;        // get_domain's, privileged.
constexpr uint16_t domid_first_reserved = 0x7ff0;

// Xen's v1 grant entry, shared between a guest and whoever it grants to.
struct grant_entry_v1 {
    uint16_t flags;
    uint16_t domid;
    uint32_t frame;     // Page index in the granting domain's memory.
};
static_assert(sizeof(grant_entry_v1) == 8, "v1 grant entries are 8 bytes");

// The hypervisor's state of one grant entry, as in Xen's active grant
// table: how many hold it and for what, shared by every backend (each
// process or queue) that copies or maps the domain's grants.  Changed only
// under 'lock', a spinlock word (0 free, else the holder's process id, so
// that a holder that died can be told from a slow one) held for a few
// loads and stores, never across a copy or a system call.  GTF_reading is set in the
// guest's entry while 'pins' > 0 and GTF_writing while 'writers' > 0, each
// set and cleared only by the holder that moves its count from or to 0.
struct active_grant_entry {
    uint32_t lock;
    uint32_t pins;      // Holders: copies in progress and mappings.
    uint32_t writers;   // Those of them that may write.
    uint32_t frame;     // The frame pinned (read once): valid while pinned.
    uint32_t domid;     // The grantee that pins it: valid while pinned.
    uint32_t pad[3];
};
static_assert(sizeof(active_grant_entry) == 32, "a power of two");

constexpr const char *control_socket_name = "control";
constexpr const char *xenstored_socket_name = "xenstored";     // dom0's.

// Domain 'domid''s xenstored socket name in the socket directory.
inline std::string guest_xenstored_name(uint16_t domid)
{
    return std::string(xenstored_socket_name) + "." + std::to_string(domid);
}

// Domain 'domid''s control socket name in the socket directory.
inline std::string guest_control_name(uint16_t domid)
{
    return std::string(control_socket_name) + "." + std::to_string(domid);
}

}  // namespace linc::xen::simxen

#endif
