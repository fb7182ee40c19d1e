// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// Datapath port numbering, as OVS's userspace datapath does it, so ofproto,
// OVS's tests and users see the numbers they expect.

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <new>
#include <string>

#include "dpif-linc/linc-engine.h"

struct linc_port_map {
    struct entry {
        std::string name;
        void *data;
    };
    std::map<uint32_t, entry> by_number;
    std::map<std::string, uint32_t> by_name;
};

namespace {

bool usable(uint32_t port)
{
    // Port 0 is the datapath's local port and is only ever requested.
    return port <= LINC_PORT_MAX;
}

}  // namespace

extern "C" {

struct linc_port_map *linc_port_map_create(void)
{
    return new (std::nothrow) linc_port_map;
}

void linc_port_map_destroy(struct linc_port_map *m) { delete m; }

int linc_port_map_choose(const struct linc_port_map *m, const char *name,
                         uint32_t requested, bool from_name, uint32_t *port)
{
    if (m->by_name.count(name)) {
        return EEXIST;
    }
    if (requested != LINC_PORT_NONE) {
        if (!usable(requested)) {
            return EINVAL;
        }
        if (m->by_number.count(requested)) {
            return EBUSY;
        }
        *port = requested;
        return 0;
    }
    if (from_name) {
        uint32_t start = !std::strncmp(name, "br", 2) ? 100 : 0;
        for (const char *p = name; *p; p++) {
            if (std::isdigit(static_cast<unsigned char>(*p))) {
                unsigned long n = std::strtoul(p, nullptr, 10);
                if (n <= LINC_PORT_MAX - start) {
                    uint32_t candidate = start + static_cast<uint32_t>(n);
                    if (candidate > 0 && !m->by_number.count(candidate)) {
                        *port = candidate;
                        return 0;
                    }
                }
                break;
            }
        }
    }
    for (uint32_t candidate = 1; candidate <= LINC_PORT_MAX; candidate++) {
        if (!m->by_number.count(candidate)) {
            *port = candidate;
            return 0;
        }
    }
    return EFBIG;
}

int linc_port_map_add(struct linc_port_map *m, uint32_t port, const char *name,
                      void *data)
{
    if (!usable(port)) {
        return EINVAL;
    }
    if (m->by_number.count(port)) {
        return EBUSY;
    }
    if (m->by_name.count(name)) {
        return EEXIST;
    }
    m->by_number.emplace(port, linc_port_map::entry{name, data});
    m->by_name.emplace(name, port);
    return 0;
}

void *linc_port_map_remove(struct linc_port_map *m, uint32_t port)
{
    auto it = m->by_number.find(port);
    if (it == m->by_number.end()) {
        return nullptr;
    }
    void *data = it->second.data;
    m->by_name.erase(it->second.name);
    m->by_number.erase(it);
    return data;
}

void *linc_port_map_find(const struct linc_port_map *m, uint32_t port)
{
    auto it = m->by_number.find(port);
    return it == m->by_number.end() ? nullptr : it->second.data;
}

void *linc_port_map_find_by_name(const struct linc_port_map *m,
                                 const char *name, uint32_t *port)
{
    auto it = m->by_name.find(name);
    if (it == m->by_name.end()) {
        return nullptr;
    }
    if (port) {
        *port = it->second;
    }
    return m->by_number.at(it->second).data;
}

size_t linc_port_map_count(const struct linc_port_map *m)
{
    return m->by_number.size();
}

size_t linc_port_map_list(const struct linc_port_map *m, uint32_t after,
                          uint32_t *ports, size_t max)
{
    auto it = after == LINC_PORT_NONE ? m->by_number.begin()
                                      : m->by_number.upper_bound(after);
    size_t n = 0;
    for (; it != m->by_number.end() && n < max; ++it) {
        ports[n++] = it->first;
    }
    return n;
}

}  // extern "C"
