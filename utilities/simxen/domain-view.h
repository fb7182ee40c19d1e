// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// A client's mapping of one simxen domain: its memory and grant table
// (shared memfds from get_domain), its active grant table when the client
// has the authority to get it (backends on the privileged socket), and the
// pipe that tells it died.  Shared by the backend platform and the guest
// API.

#ifndef SIMXEN_DOMAIN_VIEW_H
#define SIMXEN_DOMAIN_VIEW_H 1

#include <cstddef>
#include <cstdint>
#include <memory>

#include "netdev-xen/xen-platform.h"
#include "utilities/simxen/ctl-client.h"
#include "utilities/simxen/protocol.h"
#include "utilities/simxen/unique-fd.h"

namespace linc::xen::simxen {

struct domain_view {
    domid_t id = 0;
    uint32_t pages = 0;
    uint32_t grants = 0;
    uint8_t *mem = nullptr;             // pages * page_size bytes.
    grant_entry_v1 *gnt = nullptr;      // grants entries.
    size_t gnt_bytes = 0;
    // grants entries, or nullptr: the guest's own view lacks it.
    active_grant_entry *act = nullptr;
    size_t act_bytes = 0;
    unique_fd mem_fd;                   // Kept to map grants at frames.
    unique_fd death;
    const uint32_t *alive_word = nullptr;   // The daemon's liveness page.

    domain_view() = default;
    domain_view(const domain_view &) = delete;
    domain_view &operator=(const domain_view &) = delete;
    ~domain_view();

    // Whether the domain was destroyed: its liveness word says so, or the
    // death pipe reports a hang-up (a poll(): the domain, or the simxen
    // daemon itself, is gone).
    bool dead() const;
    // Whether the domain was destroyed, from the liveness word alone: one
    // load, for hot paths.  Unlike dead() it cannot tell that the daemon
    // died; callers check dead() now and then too.
    bool destroyed() const
    {
        return __atomic_load_n(alive_word, __ATOMIC_ACQUIRE) == 0;
    }
};

// Fetches and maps domain 'id'.  Returns 0 or an errno (ESRCH: no such
// domain).
int open_domain_view(ctl_client *ctl, domid_t id,
                     std::shared_ptr<domain_view> *out);

}  // namespace linc::xen::simxen

#endif
