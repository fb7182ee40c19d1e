// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// A backend and a frontend connected over fake_xen, for the netif tests.

#ifndef LINC_TESTS_NETIF_HARNESS_H
#define LINC_TESTS_NETIF_HARNESS_H 1

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "netdev-xen/netif-backend.h"
#include "netdev-xen/netif-frontend.h"
#include "tests/unit/fake-xen.h"

namespace linc::xen::test {

// A netfront initialised in 'xen''s guest (granting its ring pages to
// 'be_dom' from guest page 0) and its two ring pages mapped by the backend
// domain, as a backend's connect maps them.  The maps are null if the
// frontend failed to initialise; the caller unmaps them.
struct started_frontend {
    std::unique_ptr<netif_frontend> fe;
    int init_error = 0;
    void *tx_map = nullptr;
    void *rx_map = nullptr;
};

inline started_frontend start_frontend(fake_xen &xen, domid_t be_dom,
                                       domid_t fe_dom, evtchn_port_t fe_port,
                                       bool sg)
{
    started_frontend s;
    netif_frontend_config fc;
    fc.backend_domid = be_dom;
    fc.first_page = 0;
    fc.tx_port = fc.rx_port = fe_port;
    fc.sg = sg;
    s.fe = std::make_unique<netif_frontend>(&xen.guest(), fc);
    s.init_error = s.fe->init();
    if (s.init_error == 0) {
        grant_ref_t t = s.fe->tx_ring_ref(), r = s.fe->rx_ring_ref();
        s.tx_map = xen.backend().map_grant_refs(fe_dom, &t, 1, false);
        s.rx_map = xen.backend().map_grant_refs(fe_dom, &r, 1, false);
    }
    return s;
}

struct netif_pair {
    static constexpr domid_t be_dom = 0;
    static constexpr domid_t fe_dom = 7;
    static constexpr size_t pool_size = 64;
    static constexpr uint32_t buf_size = 65536;

    fake_xen xen{be_dom, fe_dom, netif_frontend::pages_needed + 4};
    evtchn_port_t be_port = 0, fe_port = 0;
    netif_frontend *fe = nullptr;
    netif_backend *be = nullptr;
    void *tx_map = nullptr, *rx_map = nullptr;
    std::vector<uint8_t> memory;
    std::vector<packet_buf> pool;

    explicit netif_pair(const netif_features &f, bool fe_sg = true,
                        uint32_t spurious_limit = 65536)
        : memory(pool_size * buf_size), pool(pool_size)
    {
        xen.connect_evtchn(&be_port, &fe_port);
        started_frontend s = start_frontend(xen, be_dom, fe_dom, fe_port,
                                            fe_sg);
        fe = s.fe.release();
        init_error = s.init_error;
        tx_map = s.tx_map;
        rx_map = s.rx_map;
        netif_backend_config bc;
        bc.frontend_domid = fe_dom;
        bc.features = f;
        bc.tx_port = bc.rx_port = be_port;
        bc.spurious_event_limit = spurious_limit;
        be = new netif_backend(&xen.backend(), tx_map, rx_map, bc);
        reset_pool(buf_size);
    }

    ~netif_pair()
    {
        delete be;
        if (tx_map) {
            xen.backend().unmap(tx_map, 1);
        }
        if (rx_map) {
            xen.backend().unmap(rx_map, 1);
        }
        delete fe;
    }

    void reset_pool(uint32_t capacity)
    {
        for (size_t i = 0; i < pool_size; i++) {
            pool[i] = packet_buf{&memory[i * buf_size], 0, capacity, 0, 0, 0};
        }
    }

    size_t tx(size_t max = pool_size) { return be->tx_burst(pool.data(), max); }

    int init_error = 0;
};

inline netif_features all_features()
{
    netif_features f;
    f.sg = true;
    f.gso_tcpv4 = f.gso_tcpv6 = true;
    f.tx_gso_tcpv4 = f.tx_gso_tcpv6 = true;
    f.rx_csum = true;
    f.rx_copy = true;
    return f;
}

// A recognisable payload: 'seq' then a pattern.
inline uint8_t packet_byte(size_t i, uint32_t seq)
{
    if (i < 4) {
        return uint8_t(seq >> (8 * i));
    }
    return uint8_t(seq * 31 + i * 7 + (i >> 8));
}

inline void fill_packet(uint8_t *p, size_t len, uint32_t seq)
{
    for (size_t i = 0; i < len; i++) {
        p[i] = packet_byte(i, seq);
    }
}

// Does not allocate: safe in test threads.
inline bool check_packet(const uint8_t *p, size_t len, uint32_t seq)
{
    for (size_t i = 0; i < len; i++) {
        if (p[i] != packet_byte(i, seq)) {
            return false;
        }
    }
    return true;
}

}  // namespace linc::xen::test

#endif  // tests/unit/netif-harness.h
