// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// The emulated guest the netif fuzzers attack the backend from: one
// fake_xen (tests/unit/fake-xen.h) with a netfront started in it by
// tests/unit/netif-harness.h's start_frontend(), built once per process.  Each
// input then writes its own ring page(s) into the guest and runs a fresh
// netif_backend over them, so nothing of one input survives into the next
// except guest page contents the harness resets.
//
// The guest's grant table, fixed for the seed corpus (make-seeds.py):
//   8          TX ring page (writable)
//   9          RX ring page (writable)
//   10..265    TX buffers, pages 2..257 (read-only)
//   266..521   RX buffers, pages 258..513 (writable)
//   522        page 514, granted to another domain (copies: general error)
//   523        page 515, paged out (copies: GNTST_eagain)
//   524        page 516, read-only (RX writes: permission denied)
//   525        page 517, revoked (flags 0: general error)
// Anything else is out of the table (>= 2048) or an empty entry.

#ifndef LINC_TESTS_FUZZ_GUEST_H
#define LINC_TESTS_FUZZ_GUEST_H 1

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "netdev-xen/netif-backend.h"
#include "netdev-xen/netif-frontend.h"
#include "tests/unit/fake-xen.h"
#include "tests/unit/netif-harness.h"

namespace linc::xen::fuzz {

// A check of the harness failed: report and abort, which libFuzzer turns
// into a crash with the input saved.
#define FUZZ_CHECK(cond)                                                    \
    do {                                                                    \
        if (!(cond)) {                                                      \
            std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,     \
                         __LINE__, #cond);                                  \
            std::abort();                                                   \
        }                                                                   \
    } while (0)

// With FUZZ_VERBOSE set in the environment, the harnesses say what each
// input did (for checking what a seed reaches).
inline bool verbose()
{
    static const bool v = std::getenv("FUZZ_VERBOSE") != nullptr;
    return v;
}

// Little-endian reads from fuzz input, bounded: missing bytes read as 0.
struct input_reader {
    const uint8_t *data;
    size_t size;

    uint8_t u8(size_t off) const { return off < size ? data[off] : 0; }
    uint16_t u16(size_t off) const
    {
        return static_cast<uint16_t>(u8(off) | u8(off + 1) << 8);
    }
    uint32_t u32(size_t off) const
    {
        return static_cast<uint32_t>(u16(off))
               | static_cast<uint32_t>(u16(off + 2)) << 16;
    }
    // Copies [off, off + n) into 'dst', zero-filling what the input lacks.
    void copy(size_t off, void *dst, size_t n) const
    {
        auto *d = static_cast<uint8_t *>(dst);
        size_t have = off < size ? std::min(n, size - off) : 0;
        if (have) {
            std::memcpy(d, data + off, have);
        }
        std::memset(d + have, 0, n - have);
    }
};

// Unless the input asks for its raw value, brings a ring page's req_prod
// within one ring of rsp_prod, so that most inputs get past the overrun
// check into the parser.
template <typename Sring>
void bound_req_prod(Sring *s, RING_IDX ring_size)
{
    const RING_IDX rsp = s->rsp_prod;
    if (s->req_prod - rsp > ring_size) {
        s->req_prod = rsp + (s->req_prod - rsp) % (ring_size + 1);
    }
}

class guest_world {
public:
    static constexpr domid_t be_dom = 0;
    static constexpr domid_t fe_dom = 7;
    static constexpr domid_t other_dom = 3;
    static constexpr size_t extra_pages = 4;
    static constexpr size_t first_extra_page = netif_frontend::pages_needed;
    static constexpr grant_ref_t tx_ring_gref = 8;
    static constexpr grant_ref_t rx_ring_gref = 9;
    static constexpr grant_ref_t first_tx_buf_gref = 10;
    static constexpr grant_ref_t first_rx_buf_gref = 266;
    static constexpr grant_ref_t foreign_gref = 522;
    static constexpr grant_ref_t paged_out_gref = 523;
    static constexpr grant_ref_t readonly_gref = 524;
    static constexpr grant_ref_t revoked_gref = 525;

    static guest_world &get()
    {
        static guest_world *w = new guest_world;
        return *w;
    }

    test::fake_xen xen{be_dom, fe_dom,
                       netif_frontend::pages_needed + extra_pages};
    evtchn_port_t be_port = 0, fe_port = 0;
    std::unique_ptr<netif_frontend> fe;
    void *tx_map = nullptr;
    void *rx_map = nullptr;

    netif_tx_sring *tx_sring() { return static_cast<netif_tx_sring *>(tx_map); }
    netif_rx_sring *rx_sring() { return static_cast<netif_rx_sring *>(rx_map); }

    // Guest page 'i' (0: TX ring, 1: RX ring, 2 + k: TX buffer k, ...).
    uint8_t *page(size_t i) { return xen.guest_page(i); }
    static constexpr size_t guest_pages =
        netif_frontend::pages_needed + extra_pages;

    netif_backend_config config(const netif_features &f) const
    {
        netif_backend_config c;
        c.frontend_domid = fe_dom;
        c.features = f;
        c.tx_port = c.rx_port = be_port;
        c.spurious_event_limit = 4;
        return c;
    }

private:
    guest_world()
    {
        xen.connect_evtchn(&be_port, &fe_port);
        test::started_frontend s =
            test::start_frontend(xen, be_dom, fe_dom, fe_port, true);
        FUZZ_CHECK(s.init_error == 0);
        fe = std::move(s.fe);
        FUZZ_CHECK(fe->tx_ring_ref() == tx_ring_gref);
        FUZZ_CHECK(fe->rx_ring_ref() == rx_ring_gref);
        tx_map = s.tx_map;
        rx_map = s.rx_map;
        FUZZ_CHECK(tx_map && rx_map);

        // The grants a hostile guest has besides its netfront's.
        frontend_platform &g = xen.guest();
        grant_ref_t ref;
        FUZZ_CHECK(g.grant_access(first_extra_page, other_dom, false, &ref)
                   == 0 && ref == foreign_gref);
        FUZZ_CHECK(g.grant_access(first_extra_page + 1, be_dom, false, &ref)
                   == 0 && ref == paged_out_gref);
        xen.page_out(ref, true);
        FUZZ_CHECK(g.grant_access(first_extra_page + 2, be_dom, true, &ref)
                   == 0 && ref == readonly_gref);
        FUZZ_CHECK(g.grant_access(first_extra_page + 3, be_dom, false, &ref)
                   == 0 && ref == revoked_gref);
        FUZZ_CHECK(g.end_access(ref) == 0);
    }
};

}  // namespace linc::xen::fuzz

#endif  // tests/fuzz/fuzz-guest.h
