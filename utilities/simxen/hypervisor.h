// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// The emulated hypervisor's state: domains (memory, grant table and active
// grant table memfds) and interdomain event channels (socket pairs).  The
// control protocol (protocol.h) maps one to one onto these methods; errors
// are positive errnos.  Who may call what is the daemon's business (its
// sockets' authority).  Single-threaded: the daemon's event loop owns it.

#ifndef SIMXEN_HYPERVISOR_H
#define SIMXEN_HYPERVISOR_H 1

#include <map>
#include <memory>
#include <vector>

#include "netdev-xen/xen-platform.h"
#include "utilities/simxen/grant-pin.h"
#include "utilities/simxen/protocol.h"
#include "utilities/simxen/unique-fd.h"
#include "utilities/simxen/xs-store.h"

namespace linc::xen::simxen {

class hypervisor {
public:
    // 'store' gets /local/domain/<id> and @introduceDomain/@releaseDomain.
    explicit hypervisor(xs_store *store) : store_(store) {}

    int create_domain(domid_t id, uint32_t pages, uint32_t grants);
    // 'keep_home': leave /local/domain/<id> (nobody cleaned up).
    int destroy_domain(domid_t id, bool keep_home = false);
    bool domain_alive(domid_t id) const { return domains_.count(id) != 0; }

    // Fills 'fds' with new descriptors the caller passes on and closes;
    // the active grant table's only if 'with_active' (a privileged
    // caller's: backends', never the guest's).
    int get_domain(domid_t id, bool with_active, uint32_t *pages,
                   uint32_t *grants, std::vector<int> *fds);

    int alloc_unbound(domid_t id, domid_t remote, evtchn_port_t *port,
                      std::vector<int> *fds);
    int bind_interdomain(domid_t id, domid_t remote, evtchn_port_t rport,
                         evtchn_port_t *port, std::vector<int> *fds);
    int notify(domid_t id, evtchn_port_t port);
    int unbind(domid_t id, evtchn_port_t port);

    // Grant mappings.  Pins grant 'ref' of domain 'granter' for 'grantee'
    // (writable if 'write') with Xen's checks (grant-pin.h) and gives the
    // frame to map in '*frame' and, in '*incarnation', which life of
    // 'granter' the pin belongs to (domain ids are reused).  The pin is
    // the hypervisor's, held for whoever asked until map_unpin(): the
    // daemon drops a client's pins when its connection closes, as Linux's
    // gntdev unmaps what a dead process had mapped.  ESRCH, EINVAL (no
    // such grant reference), EPERM (not granted so, or no longer).
    int map_pin(domid_t granter, grant_ref_t ref, domid_t grantee, bool write,
                uint32_t *frame, uint64_t *incarnation);
    // Drops one map_pin() of the same grant; nothing if 'granter' is no
    // longer that incarnation (its grants died with it).
    void map_unpin(domid_t granter, uint64_t incarnation, grant_ref_t ref,
                   bool write);

private:
    // An interdomain channel: a connected pair of stream sockets, end[i]
    // for the port on side i.  A byte sent on one end notifies the other.
    // Each end is a separate open file, so whoever holds one end (a guest)
    // cannot change how the other end behaves (make it blocking), as it
    // could with an eventfd shared by both sides.  Kept by both ports, so
    // that neither end closes (reporting a hang-up) while a port uses it.
    struct channel {
        unique_fd end[2];
    };

    struct port_state {
        bool bound;             // Interdomain; else unbound.
        domid_t remote_dom;     // Peer (bound) or who may bind (unbound).
        evtchn_port_t remote_port;
        std::shared_ptr<channel> chan;
        int side;               // Ours: chan->end[side].
        int fd() const { return chan->end[side].get(); }
    };

    struct domain {
        uint32_t pages;
        uint32_t grants;
        unique_fd mem;
        unique_fd gnt;
        unique_fd act;          // struct active_grant_entry[grants].
        unique_fd death_rd;     // Handed out; HUP once death_wr closes.
        unique_fd death_wr;
        // One page whose first word is 1 while the domain lives and 0 once
        // it is destroyed: handed out sealed against writes (only our
        // mapping, 'alive_word', may change it), so a client checks a
        // domain's liveness with a load instead of a poll() on death_rd.
        unique_fd alive;
        std::shared_ptr<uint32_t> alive_word;
        std::map<evtchn_port_t, port_state> ports;
        // Our own mappings of 'gnt' and 'act', for map_pin().
        std::shared_ptr<grant_entry_v1> gnt_map;
        std::shared_ptr<active_grant_entry> act_map;
        uint64_t incarnation = 0;
        grant_tables tables() const
        {
            return {gnt_map.get(), act_map.get(), grants, pages};
        }
    };

    int new_port(domain &d, evtchn_port_t *port);

    xs_store *store_;
    std::map<domid_t, domain> domains_;
    uint64_t incarnations_ = 0;
};

}  // namespace linc::xen::simxen

#endif
