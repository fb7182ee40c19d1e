// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// Xen's netif ring protocol (xen/io/netif.h, xen/io/ring.h) for the
// backend and the emulated frontend, with C++ memory ordering.
//
// ring.h asks its includer for xen_mb/xen_rmb/xen_wmb.  The rings are
// shared with another domain, so they are mapped memory that is written
// concurrently by the peer; the fences are the C++ equivalents of the
// barriers ring.h documents:
//   xen_wmb  release: our ring entries are visible before the producer
//            index that publishes them;
//   xen_rmb  acquire: we read ring entries only after the producer index
//            that published them;
//   xen_mb   seq_cst: a published index is visible before we read the
//            peer's event index (and the reverse for the final check),
//            which needs store->load ordering that release/acquire lacks.
//
// Everything the peer can write is read through read_once() field by field
// into a local copy, so a value is fetched exactly once and validation and
// use see the same value (the XSA-155 double-fetch lesson).

#ifndef LINC_NETIF_PROTO_H
#define LINC_NETIF_PROTO_H 1

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>

#ifndef __XEN_INTERFACE_VERSION__
// Anything at or above 0x00030208 makes ring.h use our xen_*mb below.
#define __XEN_INTERFACE_VERSION__ 0x00040e00
#elif __XEN_INTERFACE_VERSION__ < 0x00030208
#error "netif-proto.h needs __XEN_INTERFACE_VERSION__ >= 0x00030208"
#endif

#define xen_mb()  std::atomic_thread_fence(std::memory_order_seq_cst)
#define xen_rmb() std::atomic_thread_fence(std::memory_order_acquire)
#define xen_wmb() std::atomic_thread_fence(std::memory_order_release)

#include <xen/io/netif.h>

namespace linc::xen {

// One read of a naturally aligned field in memory the peer may change.
template <typename T>
inline T read_once(const T *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

template <typename T>
inline void write_once(T *p, T v)
{
    __atomic_store_n(p, v, __ATOMIC_RELAXED);
}

// Local copies of ring entries.  Each field is fetched once.
inline netif_tx_request copy_tx_request(const netif_tx_request *s)
{
    netif_tx_request r;
    r.gref = read_once(&s->gref);
    r.offset = read_once(&s->offset);
    r.flags = read_once(&s->flags);
    r.id = read_once(&s->id);
    r.size = read_once(&s->size);
    return r;
}

inline netif_rx_request copy_rx_request(const netif_rx_request *s)
{
    netif_rx_request r;
    r.id = read_once(&s->id);
    r.pad = 0;
    r.gref = read_once(&s->gref);
    return r;
}

inline netif_tx_response copy_tx_response(const netif_tx_response *s)
{
    netif_tx_response r;
    r.id = read_once(&s->id);
    r.status = read_once(&s->status);
    return r;
}

inline netif_rx_response copy_rx_response(const netif_rx_response *s)
{
    netif_rx_response r;
    r.id = read_once(&s->id);
    r.offset = read_once(&s->offset);
    r.flags = read_once(&s->flags);
    r.status = read_once(&s->status);
    return r;
}

// An extra-info slot overlays a request or response slot; it is read as
// its three 16-bit payload words after the type and flags bytes.
inline netif_extra_info copy_extra_info(const void *slot)
{
    const netif_extra_info *s = static_cast<const netif_extra_info *>(slot);
    netif_extra_info e;
    e.type = read_once(&s->type);
    e.flags = read_once(&s->flags);
    for (int i = 0; i < 3; i++) {
        e.u.pad[i] = read_once(&s->u.pad[i]);
    }
    return e;
}

inline void store_extra_info(void *slot, const netif_extra_info &e)
{
    netif_extra_info *d = static_cast<netif_extra_info *>(slot);
    write_once(&d->type, e.type);
    write_once(&d->flags, e.flags);
    for (int i = 0; i < 3; i++) {
        write_once(&d->u.pad[i], e.u.pad[i]);
    }
}

// Ring sizes for one-page rings.
constexpr unsigned netif_tx_ring_size =
    __CONST_RING_SIZE(netif_tx, 4096);
constexpr unsigned netif_rx_ring_size =
    __CONST_RING_SIZE(netif_rx, 4096);

// Data slots a packet may use with feature-sg (Linux's
// XEN_NETBK_LEGACY_SLOTS_MAX, MAX_SKB_FRAGS + 1), the minimum every
// backend must accept (XEN_NETIF_NR_SLOTS_MIN).
constexpr unsigned netif_max_slots = XEN_NETIF_NR_SLOTS_MIN;
// Data slots past which a packet fails the vif (Linux netback's
// fatal_skb_slots default).  Packets of netif_max_slots + 1 to this many
// slots are answered with an error and dropped, as netback does, because
// netfronts older than the 18-slot limit (Linux before 3.9) send them.
constexpr unsigned netif_fatal_slots = 20;
static_assert(netif_fatal_slots >= netif_max_slots, "fatal above legal");
// Extra-info slots after a first request: one per type at most.
constexpr unsigned netif_max_extras = XEN_NETIF_EXTRA_TYPE_MAX - 1;

static_assert(sizeof(netif_extra_info) <= sizeof(netif_tx_request),
              "extra info must fit a tx request slot");
static_assert(sizeof(netif_extra_info) <= sizeof(netif_rx_response),
              "extra info must fit an rx response slot");

}  // namespace linc::xen

#endif  // netdev-xen/netif-proto.h
