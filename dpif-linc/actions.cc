// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// Recognises the action lists the forwarding fast path runs itself.

#include <cstring>

#include "dpif-linc/linc-engine.h"

namespace {

// struct nlattr, as the kernel and OVS lay it out.
struct nl_header {
    uint16_t len;   // Header plus payload, excluding the padding.
    uint16_t type;
};

constexpr size_t nl_align(size_t n) { return (n + 3) & ~size_t{3}; }

}  // namespace

extern "C" enum linc_action_kind
linc_actions_classify(const void *actions, size_t len, uint32_t *port)
{
    if (!len) {
        return LINC_ACTIONS_DROP;
    }
    if (len < sizeof(nl_header)) {
        return LINC_ACTIONS_GENERAL;
    }
    nl_header h;
    std::memcpy(&h, actions, sizeof h);
    if (h.type != LINC_ODP_ACTION_OUTPUT
        || h.len != sizeof h + sizeof(uint32_t)
        || nl_align(h.len) != len) {
        return LINC_ACTIONS_GENERAL;
    }
    std::memcpy(port, static_cast<const char *>(actions) + sizeof h,
                sizeof *port);
    return LINC_ACTIONS_OUTPUT;
}
