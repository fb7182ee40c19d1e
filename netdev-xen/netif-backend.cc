// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.

#include "netdev-xen/netif-backend.h"

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <utility>

namespace linc::xen {

namespace {

// Shorter than this is not an Ethernet frame.
constexpr uint32_t eth_header_len = 14;

// Ring slots a packet can take: data slots plus extras.
constexpr unsigned max_packet_slots = netif_max_slots + netif_max_extras;
// Segment scratch: a burst consumes at most one ring's worth of slots and
// each slot is at most one segment, except that a guest-to-guest packet
// may need one more segment per source piece (a segment never crosses a
// page on either side).
constexpr size_t max_burst_slots =
    std::max(netif_tx_ring_size, netif_rx_ring_size);
constexpr size_t max_burst_segs = 2 * max_burst_slots + 2 * max_packet_slots;

const char *gntst_name(int16_t st)
{
    switch (st) {
    case gntst_okay: return "okay";
    case gntst_general_error: return "general error";
    case gntst_bad_domain: return "bad domain";
    case gntst_bad_gntref: return "bad gref";
    case gntst_bad_handle: return "bad handle";
    case gntst_bad_virt_addr: return "bad virtual address";
    case gntst_bad_dev_addr: return "bad device address";
    case gntst_no_device_space: return "no device space";
    case gntst_permission_denied: return "permission denied";
    case gntst_bad_page: return "bad page";
    case gntst_bad_copy_arg: return "bad copy argument";
    case gntst_address_too_big: return "address too big";
    case gntst_eagain: return "eagain";
    default: return "unknown status";
    }
}

uint64_t monotonic_ns()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}

}  // namespace

bool parse_netif_rate(const char *s, netif_credit *c)
{
    *c = netif_credit{};
    if (!s || *s < '0' || *s > '9') {
        return false;
    }
    char *end;
    errno = 0;
    unsigned long long bytes = std::strtoull(s, &end, 10);
    if (errno || *end != ',' || end[1] < '0' || end[1] > '9') {
        return false;
    }
    unsigned long long usec = std::strtoull(end + 1, &end, 10);
    if (errno || *end) {
        return false;
    }
    if (bytes && usec) {
        c->bytes = bytes;
        c->usec = usec;
    }
    return true;
}

void netif_backend::set_credit(const netif_credit &c)
{
    credit_ = c.bytes && c.usec ? c : netif_credit{};
    credit_left_ = credit_.bytes;
    credit_window_start_ns_ = monotonic_ns();
}

// netback's tx_credit_exceeded() and tx_add_credit(), with our clock.
bool netif_backend::tx_credit_allows(uint32_t size)
{
    if (!credit_.bytes) {
        return true;
    }
    if (size <= credit_left_) {
        return true;
    }
    const uint64_t now = monotonic_ns();
    const uint64_t window_ns = credit_.usec * 1000;
    if (now - credit_window_start_ns_ >= window_ns) {
        // A new window: this window's credit on top of what is left,
        // capped so that a burst stays bounded but a 64 KiB packet can
        // always go once enough windows have passed.
        const uint64_t max_burst = std::max<uint64_t>(131072, credit_.bytes);
        credit_left_ = std::min(credit_left_ + credit_.bytes, max_burst);
        credit_window_start_ns_ = now;
    }
    return size <= credit_left_;
}

uint64_t netif_backend::credit_wait_ns()
{
    if (!credit_.bytes || failed()) {
        return 0;
    }
    const RING_IDX prod = read_once(&tx_.sring->req_prod);
    if (prod == tx_.req_cons) {
        return 0;
    }
    const netif_tx_request first =
        copy_tx_request(RING_GET_REQUEST(&tx_, tx_.req_cons));
    if (tx_credit_allows(first.size)) {
        return 0;
    }
    const uint64_t end = credit_window_start_ns_ + credit_.usec * 1000;
    const uint64_t now = monotonic_ns();
    return end > now ? end - now : 1;
}

const char *netif_error_name(netif_error e)
{
    switch (e) {
    case netif_error::none: return "none";
    case netif_error::tx_prod_overrun: return "tx_prod_overrun";
    case netif_error::tx_zero_size: return "tx_zero_size";
    case netif_error::tx_oversize: return "tx_oversize";
    case netif_error::tx_bad_offset: return "tx_bad_offset";
    case netif_error::tx_too_many_slots: return "tx_too_many_slots";
    case netif_error::tx_frag_size_mismatch: return "tx_frag_size_mismatch";
    case netif_error::tx_bad_extra: return "tx_bad_extra";
    case netif_error::tx_duplicate_id: return "tx_duplicate_id";
    case netif_error::tx_grant_copy: return "tx_grant_copy";
    case netif_error::tx_truncated: return "tx_truncated";
    case netif_error::rx_prod_overrun: return "rx_prod_overrun";
    case netif_error::rx_duplicate_id: return "rx_duplicate_id";
    case netif_error::rx_grant_copy: return "rx_grant_copy";
    case netif_error::grant_copy_failed: return "grant_copy_failed";
    case netif_error::notification_storm: return "notification_storm";
    case netif_error::unsupported: return "unsupported";
    case netif_error::frontend_gone: return "frontend_gone";
    case netif_error::count_: break;
    }
    return "unknown";
}

// One guest packet gathered from the TX ring.
struct netif_backend::tx_pending {
    packet_buf *out;            // nullptr when dropped without copying
    uint32_t first_seg;
    uint16_t nsegs;
    uint16_t ndata;             // data slots
    uint16_t nextras;           // extra-info slots (after the first)
    int16_t status;             // NETIF_RSP_*
    uint16_t ids[netif_fatal_slots];
    uint16_t flags;
    uint8_t gso_type;
    uint16_t gso_size;
    uint32_t len;
    uint32_t copied;            // bytes copied by the burst (< len: split)
    grant_frag frags[netif_max_slots];  // the data slots, for tx_fetch()
};

// One switch packet placed into guest RX buffers.
struct netif_backend::rx_pending {
    uint32_t first_seg;
    uint16_t nsegs;             // segments (>= data slots with a source)
    uint16_t in_index;          // index in rx_burst()'s 'pkts'
    bool foreign;               // copied guest to guest
    uint16_t slot_len[max_packet_slots];    // bytes per data slot
    bool gso;                   // slot 1 is a GSO extra
    uint16_t rx_flags;          // NETRXF_* for the first slot
    uint16_t ids[max_packet_slots];
    uint16_t nslots;
    uint8_t gso_type;
    uint16_t gso_size;
    uint32_t len;               // bytes delivered
};

netif_backend::netif_backend(backend_platform *platform, void *tx_page,
                             void *rx_page, const netif_backend_config &config)
    : platform_(platform), config_(config),
      segs_(max_burst_segs), tx_pkts_(netif_tx_ring_size),
      rx_pkts_(netif_rx_ring_size)
{
    // Attach where the rings are, as netback's
    // xenvif_map_frontend_data_rings() does (BACK_RING_ATTACH), rather
    // than assume the frontend just ran SHARED_RING_INIT: we start after
    // the last response published, and any request past it is served,
    // validated like any other.  The indices are the guest's: read once,
    // and more requests outstanding than the ring holds fail the vif.
    auto *txs = static_cast<netif_tx_sring *>(tx_page);
    auto *rxs = static_cast<netif_rx_sring *>(rx_page);
    const RING_IDX tx_rsp = read_once(&txs->rsp_prod);
    const RING_IDX tx_req = read_once(&txs->req_prod);
    const RING_IDX rx_rsp = read_once(&rxs->rsp_prod);
    const RING_IDX rx_req = read_once(&rxs->req_prod);
    BACK_RING_ATTACH(&tx_, txs, tx_rsp, page_size);
    BACK_RING_ATTACH(&rx_, rxs, rx_rsp, page_size);
    rx_prod_seen_ = rx_req;
    if (tx_req - tx_rsp > netif_tx_ring_size) {
        fail(netif_error::tx_prod_overrun, "at attach: req_prod %u is more "
             "than %u ahead of rsp_prod %u", tx_req, netif_tx_ring_size,
             tx_rsp);
    } else if (rx_req - rx_rsp > netif_rx_ring_size) {
        fail(netif_error::rx_prod_overrun, "at attach: req_prod %u is more "
             "than %u ahead of rsp_prod %u", rx_req, netif_rx_ring_size,
             rx_rsp);
    } else if (!config_.features.rx_copy) {
        fail(netif_error::unsupported, "frontend did not request rx-copy");
    }
}

netif_backend::~netif_backend() = default;

uint32_t netif_backend::max_tx_packet() const
{
    return config_.features.sg ? XEN_NETIF_MAX_TX_SIZE : page_size;
}

uint32_t netif_backend::max_rx_packet() const
{
    return config_.features.sg ? XEN_NETIF_MAX_TX_SIZE : page_size;
}

void netif_backend::count_error(netif_error e)
{
    counters_.errors[static_cast<size_t>(e)]++;
}

// Not on the hot path: only the first failure formats its reason.
void netif_backend::fail(netif_error e, const char *fmt, ...)
{
    count_error(e);
    if (failed()) {
        return;
    }
    error_ = e;
    va_list args;
    va_start(args, fmt);
    int n = snprintf(reason_, sizeof reason_, "%s: ", netif_error_name(e));
    if (n > 0 && size_t(n) < sizeof reason_) {
        vsnprintf(reason_ + n, sizeof reason_ - n, fmt, args);
    }
    va_end(args);
}

netif_status netif_backend::state() const
{
    if (!failed()) {
        return {netif_state::connected, netif_error::none, ""};
    }
    return {netif_state::failed, error_, reason_};
}

void netif_backend::notify(evtchn_port_t port)
{
    platform_->notify(port);
    counters_.notifications_sent++;
}

// Our frontend's domain is gone (a grant copy said gntst_bad_domain for
// it): not a malformed request, but nothing more can be done either.
void netif_backend::fail_frontend_gone()
{
    fail(netif_error::frontend_gone, "domain %u no longer exists",
         config_.frontend_domid);
}

// After a guest-to-guest segment failed: whether our guest's buffer takes
// a write (gntst_okay), i.e. whether the fault is the other guest's.  One
// byte is written into a buffer we are about to answer with an error
// anyway.
int16_t netif_backend::dest_probe(const grant_copy_segment &failed_seg)
{
    static const uint8_t probe_byte = 0;
    grant_copy_segment probe{};
    probe.source.virt = const_cast<uint8_t *>(&probe_byte);
    probe.dest.foreign = failed_seg.dest.foreign;
    probe.len = 1;
    probe.flags = grant_copy_segment::dest_gref;
    counters_.grant_copy_calls++;
    return platform_->grant_copy(&probe, 1) == 0
           ? probe.status : int16_t(gntst_general_error);
}

bool netif_backend::grant_copy(size_t nsegs)
{
    counters_.grant_copy_calls++;
    counters_.grant_copy_segments += nsegs;
    int error = platform_->grant_copy(segs_.data(), nsegs);
    if (error) {
        for (size_t i = 0; i < nsegs; i++) {
            segs_[i].status = gntst_general_error;
        }
        fail(netif_error::grant_copy_failed, "grant copy of %zu segments: "
             "errno %d", nsegs, error);
        return false;
    }
    return true;
}

// Gives accepted packet 'p' of 'total' bytes the caller's buffer 'out', or
// answers it without copying (returns false): NETIF_RSP_ERROR if it is
// shorter than an Ethernet header, NETIF_RSP_DROPPED if it does not fit.
inline bool netif_backend::tx_take_buffer(tx_pending *p, packet_buf *out,
                                          uint32_t total)
{
    if (total < eth_header_len) {
        // As netback: answered with an error and dropped, the vif goes on.
        // A guest's userspace can have its netfront send one (a raw
        // socket), so it is no reason to cut the whole guest off.
        p->out = nullptr;
        p->status = NETIF_RSP_ERROR;
        counters_.tx_dropped_runt++;
        return false;
    }
    if (!out || out->capacity < total) {
        p->out = nullptr;
        p->status = NETIF_RSP_DROPPED;
        counters_.tx_dropped_no_room++;
        return false;
    }
    p->out = out;
    p->status = NETIF_RSP_OKAY;
    return true;
}

// parse_tx_packet() for the common case: a packet of one data slot, no
// extras ('req', already copied out of the ring; 'next' the index after
// it).  The same checks as the general case, which it must match.
inline __attribute__((always_inline)) netif_backend::parse_result
netif_backend::parse_tx_single(const netif_tx_request &req, RING_IDX next,
                               tx_pending *p, packet_buf *out, size_t *nsegs,
                               uint32_t copy_limit)
{
    const uint32_t total = req.size;
    if (total > max_tx_packet()) {
        fail(netif_error::tx_oversize, "id %u: size %u > %u", req.id,
             total, max_tx_packet());
        return parse_result::malformed;
    }
    if (uint32_t(req.offset) + total > page_size) {
        fail(netif_error::tx_bad_offset, "id %u: offset %u + size %u past "
             "the page", req.id, req.offset, total);
        return parse_result::malformed;
    }
    if (tx_ids_.test(req.id)) {
        fail(netif_error::tx_duplicate_id, "id %u already in flight",
             req.id);
        return parse_result::malformed;
    }
    if (*nsegs + 1 > segs_.size()) {
        return parse_result::incomplete;
    }
    tx_ids_.set(req.id);

    tx_.req_cons = next;
    p->ndata = 1;
    p->nextras = 0;
    p->gso_type = XEN_NETIF_GSO_TYPE_NONE;
    p->gso_size = 0;
    p->ids[0] = req.id;
    p->len = total;
    p->flags = ((req.flags & NETTXF_csum_blank) ? packet_csum_blank : 0)
               | ((req.flags & NETTXF_data_validated)
                  ? packet_data_validated : 0);
    p->first_seg = *nsegs;
    p->nsegs = 0;
    if (!tx_take_buffer(p, out, total)) {
        return parse_result::parsed;
    }
    p->frags[0] = grant_frag{req.gref, req.offset, uint16_t(total)};
    const bool split = total > copy_limit;
    p->copied = split ? copy_limit : total;
    p->nsegs = 1;
    grant_copy_segment &s = segs_[(*nsegs)++];
    s.source.foreign.ref = req.gref;
    s.source.foreign.offset = req.offset;
    s.source.foreign.domid = config_.frontend_domid;
    s.dest.virt = out->data;
    s.len = uint16_t(p->copied);
    s.flags = grant_copy_segment::source_gref;
    s.status = gntst_okay;
    if (split) {
        counters_.tx_split_packets++;
        out->frags->n = 1;
        out->frags->domid = config_.frontend_domid;
        out->frags->frags[0] = p->frags[0];
    }
    return parse_result::parsed;
}

// Gathers one packet starting at req_cons, whose first slot the caller
// copied into 'first' (req_cons != prod).  Reads each further slot once
// into a local copy and validates only the copies.
netif_backend::parse_result
netif_backend::parse_tx_packet(const netif_tx_request &first, RING_IDX prod,
                               tx_pending *p, packet_buf *out, size_t *nsegs,
                               uint32_t copy_limit)
{
    const netif_features &f = config_.features;
    RING_IDX i = tx_.req_cons + 1;
    netif_tx_request reqs[netif_fatal_slots];
    unsigned nreqs = 0;

    reqs[nreqs++] = first;
    p->nextras = 0;
    p->gso_type = XEN_NETIF_GSO_TYPE_NONE;
    p->gso_size = 0;
    if (reqs[0].flags & NETTXF_extra_info) {
        unsigned seen = 0;
        for (;;) {
            if (p->nextras >= netif_max_extras) {
                fail(netif_error::tx_bad_extra, "id %u: more than %u extra "
                     "info slots", reqs[0].id, netif_max_extras);
                return parse_result::malformed;
            }
            if (i == prod) {
                fail(netif_error::tx_truncated, "id %u: extra info past "
                     "req_prod %u", reqs[0].id, prod);
                return parse_result::malformed;
            }
            netif_extra_info e = copy_extra_info(RING_GET_REQUEST(&tx_, i));
            i++;
            p->nextras++;
            if (e.type == XEN_NETIF_EXTRA_TYPE_NONE
                || e.type >= XEN_NETIF_EXTRA_TYPE_MAX) {
                fail(netif_error::tx_bad_extra, "id %u: extra info type %u",
                     reqs[0].id, e.type);
                return parse_result::malformed;
            }
            if (seen & (1u << e.type)) {
                fail(netif_error::tx_bad_extra, "id %u: extra info type %u "
                     "twice", reqs[0].id, e.type);
                return parse_result::malformed;
            }
            seen |= 1u << e.type;
            if (e.type == XEN_NETIF_EXTRA_TYPE_GSO) {
                bool ok = (e.u.gso.type == XEN_NETIF_GSO_TYPE_TCPV4
                           && f.tx_gso_tcpv4)
                          || (e.u.gso.type == XEN_NETIF_GSO_TYPE_TCPV6
                              && f.tx_gso_tcpv6);
                if (!ok || e.u.gso.size == 0) {
                    fail(netif_error::tx_bad_extra, "id %u: gso type %u size "
                         "%u not negotiated or invalid", reqs[0].id,
                         e.u.gso.type, e.u.gso.size);
                    return parse_result::malformed;
                }
                p->gso_type = e.u.gso.type;
                p->gso_size = e.u.gso.size;
            } else if (e.type == XEN_NETIF_EXTRA_TYPE_MCAST_ADD
                       || e.type == XEN_NETIF_EXTRA_TYPE_MCAST_DEL) {
                // We do not offer feature-multicast-control.
                fail(netif_error::tx_bad_extra, "id %u: multicast control "
                     "not negotiated", reqs[0].id);
                return parse_result::malformed;
            }
            // XEN_NETIF_EXTRA_TYPE_HASH is advisory: ignored.
            if (!(e.flags & XEN_NETIF_EXTRA_FLAG_MORE)) {
                break;
            }
        }
    }

    // With feature-sg: up to netif_max_slots data slots are served, up to
    // netif_fatal_slots are read and answered with an error, more fail
    // the vif (netback's xenvif_count_requests()).  Without it, one.
    const unsigned max_data = f.sg ? netif_fatal_slots : 1;
    bool more = reqs[0].flags & NETTXF_more_data;
    while (more) {
        if (nreqs >= max_data) {
            fail(netif_error::tx_too_many_slots, "id %u: more than %u data "
                 "slots", reqs[0].id, max_data);
            return parse_result::malformed;
        }
        // Frontends publish whole packets; one that runs past req_prod
        // would otherwise keep us polling forever (Linux: fatal too).
        if (i == prod) {
            fail(netif_error::tx_truncated, "id %u: more_data past req_prod "
                 "%u", reqs[0].id, prod);
            return parse_result::malformed;
        }
        reqs[nreqs] = copy_tx_request(RING_GET_REQUEST(&tx_, i));
        i++;
        more = reqs[nreqs].flags & NETTXF_more_data;
        nreqs++;
    }

    // Validate the copies.  (A total shorter than an Ethernet header is
    // answered with an error once the slots check out: tx_take_buffer().)
    const uint32_t total = reqs[0].size;
    if (total > max_tx_packet()) {
        fail(netif_error::tx_oversize, "id %u: size %u > %u", reqs[0].id,
             total, max_tx_packet());
        return parse_result::malformed;
    }
    uint32_t rest = 0;
    for (unsigned k = 1; k < nreqs; k++) {
        const netif_tx_request &r = reqs[k];
        if (r.size == 0) {
            fail(netif_error::tx_zero_size, "id %u: fragment %u size 0",
                 r.id, k);
            return parse_result::malformed;
        }
        if (uint32_t(r.offset) + r.size > page_size) {
            fail(netif_error::tx_bad_offset, "id %u: offset %u + size %u "
                 "past the page", r.id, r.offset, r.size);
            return parse_result::malformed;
        }
        rest += r.size;
    }
    if (rest >= total) {
        fail(netif_error::tx_frag_size_mismatch, "id %u: fragments hold %u "
             "bytes of a %u-byte packet", reqs[0].id, rest, total);
        return parse_result::malformed;
    }
    const uint32_t first_len = total - rest;
    if (uint32_t(reqs[0].offset) + first_len > page_size) {
        fail(netif_error::tx_bad_offset, "id %u: offset %u + size %u past "
             "the page", reqs[0].id, reqs[0].offset, first_len);
        return parse_result::malformed;
    }
    for (unsigned k = 0; k < nreqs; k++) {
        if (tx_ids_.test(reqs[k].id)) {
            fail(netif_error::tx_duplicate_id, "id %u already in flight",
                 reqs[k].id);
            return parse_result::malformed;
        }
        tx_ids_.set(reqs[k].id);
    }

    // Cannot happen while responses keep up with requests (the overrun
    // check bounds a burst to one ring), but never index past the scratch.
    if (*nsegs + nreqs > segs_.size()) {
        for (unsigned k = 0; k < nreqs; k++) {
            tx_ids_.reset(reqs[k].id);
        }
        return parse_result::incomplete;
    }

    // Accepted: every slot up to 'i' is consumed and gets a response.
    tx_.req_cons = i;
    p->ndata = nreqs;
    for (unsigned k = 0; k < nreqs; k++) {
        p->ids[k] = reqs[k].id;
    }
    p->len = total;
    p->flags = 0;
    if (reqs[0].flags & NETTXF_csum_blank) {
        p->flags |= packet_csum_blank;
    }
    if (reqs[0].flags & NETTXF_data_validated) {
        p->flags |= packet_data_validated;
    }
    p->first_seg = *nsegs;
    p->nsegs = 0;
    if (nreqs > netif_max_slots) {
        p->out = nullptr;
        p->status = NETIF_RSP_ERROR;
        counters_.tx_dropped_too_many_slots++;
        return parse_result::parsed;
    }
    if (!tx_take_buffer(p, out, total)) {
        return parse_result::parsed;
    }
    for (unsigned k = 0; k < nreqs; k++) {
        p->frags[k] = grant_frag{reqs[k].gref, reqs[k].offset,
                                 uint16_t(k == 0 ? first_len : reqs[k].size)};
    }
    // Anything that fits under the limit is copied whole.  A GSO frame
    // too is split: its headers are all a receiver that takes GSO needs
    // from us; whoever cuts it fetches the rest.
    const bool split = total > copy_limit;
    p->copied = split ? copy_limit : total;
    uint32_t pos = 0;
    for (unsigned k = 0; k < nreqs && pos < p->copied; k++) {
        grant_copy_segment &s = segs_[*nsegs];
        s.source.foreign.ref = p->frags[k].gref;
        s.source.foreign.offset = p->frags[k].offset;
        s.source.foreign.domid = config_.frontend_domid;
        s.dest.virt = out->data + pos;
        s.len = uint16_t(std::min<uint32_t>(p->frags[k].len, p->copied - pos));
        s.flags = grant_copy_segment::source_gref;
        s.status = gntst_okay;
        pos += s.len;
        ++*nsegs;
        p->nsegs++;
    }
    if (split) {
        counters_.tx_split_packets++;
        out->frags->n = uint16_t(nreqs);
        out->frags->domid = config_.frontend_domid;
        std::copy(p->frags, p->frags + nreqs, out->frags->frags);
    }
    return parse_result::parsed;
}

size_t netif_backend::tx_burst(packet_buf *out, size_t max)
{
    if (tx_open_) {
        return 0;
    }
    size_t n = tx_gather(out, max, UINT32_MAX);
    tx_finish();
    return n;
}

size_t netif_backend::tx_burst_split(packet_buf *out, size_t max,
                                     uint32_t copy_limit)
{
    if (tx_open_) {
        return 0;
    }
    return tx_gather(out, max, copy_limit);
}

// Takes up to 'max' packets off the TX ring and copies them (or their
// first 'copy_limit' bytes) into 'out'; leaves 'tx_open_' packets to answer.
size_t netif_backend::tx_gather(packet_buf *out, size_t max,
                                uint32_t copy_limit)
{
    if (failed()) {
        return 0;
    }
    // Read the guest's producer index once, then acquire (xen_rmb): the
    // requests it publishes are read only after it.
    const RING_IDX prod = read_once(&tx_.sring->req_prod);
    std::atomic_thread_fence(std::memory_order_acquire);

    if (RING_REQUEST_PROD_OVERFLOW(&tx_, prod)) {
        fail(netif_error::tx_prod_overrun, "req_prod %u is more than %u "
             "ahead of rsp_prod %u", prod, netif_tx_ring_size,
             tx_.rsp_prod_pvt);
        return 0;
    }

    max = std::min(max, tx_pkts_.size());
    size_t npkts = 0, nsegs = 0, nout = 0;
    while (npkts < max && tx_.req_cons != prod) {
        tx_pending *p = &tx_pkts_[npkts];
        // Each slot is copied out of the ring once: the first here, the
        // others (if any) by parse_tx_packet().
        const netif_tx_request first =
            copy_tx_request(RING_GET_REQUEST(&tx_, tx_.req_cons));
        // The "rate" credit: a packet that does not fit waits in the ring
        // (its size is the first slot's total; a lie there is caught by
        // the parser, which fails the vif).
        if (!tx_credit_allows(first.size)) {
            counters_.tx_credit_waits++;
            break;
        }
        parse_result r;
        if (!(first.flags & (NETTXF_extra_info | NETTXF_more_data))) {
            r = parse_tx_single(first, tx_.req_cons + 1, p, &out[nout],
                                &nsegs, copy_limit);
        } else {
            r = parse_tx_packet(first, prod, p, &out[nout], &nsegs,
                                copy_limit);
        }
        if (r != parse_result::parsed) {
            break;
        }
        if (credit_.bytes) {
            credit_left_ -= std::min<uint64_t>(credit_left_, first.size);
        }
        if (p->out) {
            nout++;
        }
        npkts++;
    }
    if (npkts == 0) {
        if (failed()) {
            tx_ids_.reset();
        }
        return 0;
    }
    spurious_run_ = 0;

    if (nsegs) {
        grant_copy(nsegs);
    }

    // Check each packet's segments; respond in ring order.
    size_t delivered = 0;
    for (size_t k = 0; k < npkts; k++) {
        tx_pending *p = &tx_pkts_[k];
        if (p->status == NETIF_RSP_OKAY) {
            for (unsigned s = 0; s < p->nsegs; s++) {
                const grant_copy_segment &seg = segs_[p->first_seg + s];
                if (seg.status == gntst_okay) {
                    continue;
                }
                p->status = NETIF_RSP_ERROR;
                if (seg.status == gntst_eagain) {
                    counters_.grant_copy_eagain++;
                } else if (seg.status == gntst_bad_domain) {
                    fail_frontend_gone();
                } else {
                    fail(netif_error::tx_grant_copy, "id %u gref %u: %s",
                         p->ids[s], seg.source.foreign.ref,
                         gntst_name(seg.status));
                }
                break;
            }
        }
        if (p->status == NETIF_RSP_OKAY) {
            // Keep delivered buffers first; a failed one swaps back.
            if (p->out != &out[delivered]) {
                std::swap(*p->out, out[delivered]);
            }
            packet_buf &b = out[delivered++];
            b.len = p->len;
            b.copied = p->copied;
            b.token = uint16_t(k);
            b.flags = p->flags;
            b.gso_type = p->gso_type;
            b.gso_size = p->gso_size;
            counters_.tx_packets++;
            counters_.tx_bytes += p->len;
        } else if (p->status == NETIF_RSP_ERROR) {
            counters_.tx_errors++;
        }
    }
    tx_open_ = npkts;
    return delivered;
}

bool netif_backend::tx_fetch(uint16_t token, uint8_t *dst, uint32_t copied)
{
    if (token >= tx_open_ || tx_pkts_[token].status != NETIF_RSP_OKAY
        || failed()) {
        return false;
    }
    tx_pending *p = &tx_pkts_[token];
    size_t nsegs = 0;
    uint32_t pos = 0;
    for (unsigned k = 0; k < p->ndata; k++) {
        const grant_frag &f = p->frags[k];
        uint32_t end = pos + f.len;
        if (end > copied) {
            uint32_t skip = copied > pos ? copied - pos : 0;
            grant_copy_segment &s = segs_[nsegs++];
            s.source.foreign.ref = f.gref;
            s.source.foreign.offset = uint16_t(f.offset + skip);
            s.source.foreign.domid = config_.frontend_domid;
            s.dest.virt = dst + pos + skip;
            s.len = uint16_t(f.len - skip);
            s.flags = grant_copy_segment::source_gref;
            s.status = gntst_okay;
        }
        pos = end;
    }
    if (nsegs && !grant_copy(nsegs)) {
        p->status = NETIF_RSP_ERROR;
        return false;
    }
    for (size_t i = 0; i < nsegs; i++) {
        if (segs_[i].status != gntst_okay) {
            p->status = NETIF_RSP_ERROR;
            counters_.tx_errors++;
            if (segs_[i].status == gntst_eagain) {
                counters_.grant_copy_eagain++;
            } else if (segs_[i].status == gntst_bad_domain) {
                fail_frontend_gone();
            } else {
                fail(netif_error::tx_grant_copy, "gref %u: %s",
                     segs_[i].source.foreign.ref, gntst_name(segs_[i].status));
            }
            return false;
        }
    }
    p->copied = p->len;
    return true;
}

void netif_backend::tx_finish()
{
    tx_respond(tx_open_);
    tx_open_ = 0;
}

void netif_backend::tx_respond(size_t npkts)
{
    if (npkts == 0) {
        return;
    }
    for (size_t k = 0; k < npkts; k++) {
        tx_pending *p = &tx_pkts_[k];
        if (p->ndata == 1 && p->nextras == 0) {
            // The common packet: one slot, one response.
            netif_tx_response *rsp = RING_GET_RESPONSE(&tx_, tx_.rsp_prod_pvt);
            rsp->id = p->ids[0];
            rsp->status = p->status;
            tx_.rsp_prod_pvt++;
            tx_ids_.reset(p->ids[0]);
            continue;
        }
        // Responses: first data slot, its extras (NULL), other data slots.
        for (unsigned s = 0; s < p->ndata; s++) {
            netif_tx_response *rsp = RING_GET_RESPONSE(&tx_, tx_.rsp_prod_pvt);
            rsp->id = p->ids[s];
            rsp->status = p->status;
            tx_.rsp_prod_pvt++;
            for (unsigned x = 0; s == 0 && x < p->nextras; x++) {
                rsp = RING_GET_RESPONSE(&tx_, tx_.rsp_prod_pvt);
                rsp->id = 0;
                rsp->status = NETIF_RSP_NULL;
                tx_.rsp_prod_pvt++;
            }
            tx_ids_.reset(p->ids[s]);
        }
    }
    if (failed()) {
        tx_ids_.reset();
    }

    // Publish all responses at once.  The macro releases (xen_wmb) the
    // responses before rsp_prod, then orders rsp_prod before reading
    // rsp_event (xen_mb, seq_cst) so a guest re-arming concurrently
    // either sees our responses or is notified.
    int notify_guest;
    RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&tx_, notify_guest);
    if (notify_guest) {
        notify(config_.tx_port);
    }
}

namespace {

// Where a packet to deliver is: rx_burst() takes both descriptions.
inline const frame_frags *pkt_source(const packet_view &p) { return p.source; }
inline const frame_frags *pkt_source(const packet_buf &p) { return p.frags; }

// How many leading bytes of a packet with a source come from our copy.
inline uint32_t pkt_head(const packet_view &p) { return std::min(p.copied, p.len); }
inline uint32_t pkt_head(const packet_buf &p) { return std::min(p.copied, p.len); }

}  // namespace

size_t netif_backend::rx_burst(const packet_view *pkts, size_t n,
                               bool *foreign_failed)
{
    return rx_burst_impl(pkts, n, foreign_failed);
}

size_t netif_backend::rx_burst(const packet_buf *pkts, size_t n,
                               bool *foreign_failed)
{
    return rx_burst_impl(pkts, n, foreign_failed);
}

// With 'stop_at', the burst ends at the first packet the guest has no
// buffers for (or that the burst's scratch cannot take), and '*stop_at' is
// its index ('n' if none): it and those after it are left to the caller,
// neither delivered nor counted.
template <typename PKT>
size_t netif_backend::rx_burst_impl(const PKT *pkts, size_t n,
                                    bool *foreign_failed, size_t *stop_at)
{
    if (stop_at) {
        *stop_at = n;
    }
    if (foreign_failed) {
        std::fill(foreign_failed, foreign_failed + n, false);
    }
    if (failed()) {
        counters_.rx_dropped_failed += n;
        return 0;
    }
    // The guest's producer index, read once; acquire (xen_rmb) before we
    // read the buffers it publishes.
    const RING_IDX prod = read_once(&rx_.sring->req_prod);
    std::atomic_thread_fence(std::memory_order_acquire);
    rx_prod_seen_ = prod;

    if (RING_REQUEST_PROD_OVERFLOW(&rx_, prod)) {
        fail(netif_error::rx_prod_overrun, "req_prod %u is more than %u "
             "ahead of rsp_prod %u", prod, netif_rx_ring_size,
             rx_.rsp_prod_pvt);
        counters_.rx_dropped_failed += n;
        return 0;
    }

    const netif_features &f = config_.features;
    const uint32_t max_len = max_rx_packet();
    const size_t max_segs = segs_.size();
    const domid_t domid = config_.frontend_domid;
    size_t nsegs = 0, npkts = 0;
    for (size_t k = 0; k < n; k++) {
        const PKT &pkt = pkts[k];
        if (failed()) {
            counters_.rx_dropped_failed++;
            continue;
        }
        if (pkt.len == 0) {
            counters_.rx_dropped_invalid++;
            continue;
        }
        if (pkt.len > max_len) {
            counters_.rx_dropped_too_big++;
            continue;
        }
        bool gso = pkt.gso_type != XEN_NETIF_GSO_TYPE_NONE;
        if (gso && !((pkt.gso_type == XEN_NETIF_GSO_TYPE_TCPV4 && f.gso_tcpv4)
                     || (pkt.gso_type == XEN_NETIF_GSO_TYPE_TCPV6
                         && f.gso_tcpv6))) {
            counters_.rx_dropped_offload++;
            continue;
        }
        if ((pkt.flags & packet_csum_blank) && !f.rx_csum) {
            counters_.rx_dropped_offload++;
            continue;
        }
        const unsigned ndata = (pkt.len + page_size - 1) / page_size;
        const unsigned nslots = ndata + (gso ? 1 : 0);
        if (prod - rx_.req_cons < nslots) {
            if (stop_at) {
                *stop_at = k;
                break;
            }
            counters_.rx_dropped_no_buffers++;
            continue;
        }
        // A source that does not add up to the packet is the caller's bug;
        // never copy past what it describes.
        const frame_frags *src = pkt_source(pkt);
        if (src) {
            uint32_t total = 0;
            for (unsigned i = 0; i < src->n && i < netif_max_slots; i++) {
                total += src->frags[i].len;
            }
            if (src->n > netif_max_slots || total != pkt.len) {
                counters_.rx_dropped_invalid++;
                continue;
            }
        }
        // Our copy's head takes at most one more segment per data slot.
        if (nsegs + (src ? 2 * ndata + src->n : ndata) > max_segs) {
            if (stop_at) {
                *stop_at = k;
                break;
            }
            counters_.rx_dropped_no_buffers++;
            continue;
        }

        // Take the guest's buffers, one local copy each.
        rx_pending *p = &rx_pkts_[npkts];
        p->first_seg = nsegs;
        p->nsegs = 0;
        p->nslots = 0;
        p->in_index = uint16_t(k);
        p->foreign = src != nullptr;
        p->gso = gso;
        p->gso_type = pkt.gso_type;
        p->gso_size = pkt.gso_size;
        p->rx_flags = 0;
        if (pkt.flags & packet_csum_blank) {
            p->rx_flags |= NETRXF_csum_blank | NETRXF_data_validated;
        } else if (pkt.flags & packet_data_validated) {
            p->rx_flags |= NETRXF_data_validated;
        }
        if (gso) {
            p->rx_flags |= NETRXF_extra_info;
        }
        p->len = pkt.len;
        if (nslots == 1 && !src) {
            // The common case: one buffer, one segment.
            netif_rx_request req =
                copy_rx_request(RING_GET_REQUEST(&rx_, rx_.req_cons));
            rx_.req_cons++;
            p->ids[0] = req.id;
            p->nslots = 1;
            p->nsegs = 1;
            p->slot_len[0] = uint16_t(pkt.len);
            grant_copy_segment &seg = segs_[nsegs++];
            seg.dest.foreign.ref = req.gref;
            seg.dest.foreign.offset = 0;
            seg.dest.foreign.domid = domid;
            seg.status = gntst_okay;
            seg.len = uint16_t(pkt.len);
            if (src) {
                const grant_frag &sf = src->frags[0];
                seg.source.foreign.ref = sf.gref;
                seg.source.foreign.offset = sf.offset;
                seg.source.foreign.domid = src->domid;
                seg.flags = grant_copy_segment::source_gref
                            | grant_copy_segment::dest_gref;
            } else {
                seg.source.virt = const_cast<uint8_t *>(pkt.data);
                seg.flags = grant_copy_segment::dest_gref;
            }
            npkts++;
            if (rx_ids_.test(req.id)) {
                fail(netif_error::rx_duplicate_id, "rx buffer id already in "
                     "flight");
            }
            rx_ids_.set(req.id);
            continue;
        }
        uint32_t pos = 0;
        unsigned d = 0;         // data slot
        // Guest to guest: the head (what was classified) comes from our
        // copy, never again from the source guest's pages; the source is
        // read from byte 'head' on.
        const uint32_t head = src ? pkt_head(pkt) : 0;
        unsigned sf = 0;        // source piece, and bytes of it used
        uint32_t sf_used = 0;
        if (src) {
            for (uint32_t skip = head; skip;) {
                uint32_t n = std::min<uint32_t>(skip, src->frags[sf].len - sf_used);
                skip -= n;
                sf_used += n;
                if (sf_used == src->frags[sf].len) {
                    sf++;
                    sf_used = 0;
                }
            }
        }
        bool dup = false;
        for (unsigned s = 0; s < nslots; s++) {
            netif_rx_request req =
                copy_rx_request(RING_GET_REQUEST(&rx_, rx_.req_cons));
            rx_.req_cons++;
            p->ids[p->nslots++] = req.id;
            if (rx_ids_.test(req.id)) {
                dup = true;
            }
            rx_ids_.set(req.id);
            if (gso && s == 1) {
                continue;       // the extra-info slot carries no data
            }
            const uint32_t slot_len = std::min<uint32_t>(pkt.len - pos,
                                                         page_size);
            p->slot_len[d++] = uint16_t(slot_len);
            for (uint32_t done = 0; done < slot_len;) {
                grant_copy_segment &seg = segs_[nsegs++];
                seg.dest.foreign.ref = req.gref;
                seg.dest.foreign.offset = uint16_t(done);
                seg.dest.foreign.domid = domid;
                seg.status = gntst_okay;
                if (src && pos + done >= head) {
                    // Guest to guest: neither side may cross a page.
                    const grant_frag &f = src->frags[sf];
                    uint32_t len = std::min(slot_len - done, f.len - sf_used);
                    seg.source.foreign.ref = f.gref;
                    seg.source.foreign.offset = uint16_t(f.offset + sf_used);
                    seg.source.foreign.domid = src->domid;
                    seg.len = uint16_t(len);
                    seg.flags = grant_copy_segment::source_gref
                                | grant_copy_segment::dest_gref;
                    sf_used += len;
                    if (sf_used == f.len) {
                        sf++;
                        sf_used = 0;
                    }
                } else {
                    // From our memory: a whole slot, or the head's part.
                    seg.source.virt = const_cast<uint8_t *>(pkt.data) + pos
                                      + done;
                    seg.len = uint16_t(src ? std::min(slot_len - done,
                                                      head - (pos + done))
                                           : slot_len);
                    seg.flags = grant_copy_segment::dest_gref;
                }
                done += seg.len;
                p->nsegs++;
            }
            pos += slot_len;
        }
        npkts++;
        if (dup) {
            // The consumed slots still get (error) responses below.
            fail(netif_error::rx_duplicate_id, "rx buffer id already in "
                 "flight");
        }
    }
    if (npkts == 0) {
        rx_ids_.reset();
        return 0;
    }
    if (failed()) {
        // Nothing of a failed burst is copied; its buffers get errors.
        for (size_t s = 0; s < nsegs; s++) {
            segs_[s].status = gntst_general_error;
        }
    } else if (nsegs) {
        grant_copy(nsegs);
    }

    size_t delivered = 0;
    for (size_t k = 0; k < npkts; k++) {
        rx_pending *p = &rx_pkts_[k];
        bool ok = true;
        for (unsigned s = 0; s < p->nsegs; s++) {
            const grant_copy_segment &seg = segs_[p->first_seg + s];
            if (seg.status == gntst_okay) {
                continue;
            }
            ok = false;
            // What our guest's buffer says: with a foreign source, a probe
            // tells whose fault it is; otherwise the buffer is all there is.
            const bool from_source =
                seg.flags & grant_copy_segment::source_gref;
            int16_t own = seg.status;
            if (seg.status != gntst_eagain && from_source) {
                own = foreign_failed && !failed()
                      ? dest_probe(seg) : int16_t(gntst_general_error);
            }
            if (seg.status == gntst_eagain) {
                counters_.grant_copy_eagain++;
            } else if (from_source && foreign_failed && own == gntst_okay) {
                // Our guest's buffer is fine: the source's grant failed.
                counters_.rx_foreign_failed++;
                foreign_failed[p->in_index] = true;
            } else if (own == gntst_bad_domain) {
                fail_frontend_gone();
            } else if (seg.status != gntst_general_error || !failed()) {
                fail(netif_error::rx_grant_copy, "gref %u: %s",
                     seg.dest.foreign.ref, gntst_name(seg.status));
            }
            break;
        }
        if (p->nslots == 1) {
            // One data slot: the packet's flags, no more_data.
            netif_rx_response *rsp = RING_GET_RESPONSE(&rx_,
                                                       rx_.rsp_prod_pvt++);
            rx_ids_.reset(p->ids[0]);
            rsp->id = p->ids[0];
            rsp->offset = 0;
            rsp->flags = ok ? p->rx_flags : 0;
            rsp->status = ok ? int16_t(p->len) : int16_t(NETIF_RSP_ERROR);
            if (ok) {
                delivered++;
                counters_.rx_packets++;
                counters_.rx_foreign_packets += p->foreign;
                counters_.rx_bytes += p->len;
            } else {
                counters_.rx_errors++;
            }
            continue;
        }
        unsigned d = 0;     // data slot index
        const unsigned ndata = p->nslots - (p->gso ? 1 : 0);
        for (unsigned s = 0; s < p->nslots; s++) {
            RING_IDX idx = rx_.rsp_prod_pvt++;
            rx_ids_.reset(p->ids[s]);
            if (ok && p->gso && s == 1) {
                netif_extra_info e{};
                e.type = XEN_NETIF_EXTRA_TYPE_GSO;
                e.flags = 0;
                e.u.gso.size = p->gso_size;
                e.u.gso.type = p->gso_type;
                e.u.gso.pad = 0;
                e.u.gso.features = 0;
                store_extra_info(RING_GET_RESPONSE(&rx_, idx), e);
                continue;
            }
            netif_rx_response *rsp = RING_GET_RESPONSE(&rx_, idx);
            rsp->id = p->ids[s];
            rsp->offset = 0;
            if (!ok) {
                rsp->flags = 0;
                rsp->status = NETIF_RSP_ERROR;
                continue;
            }
            uint16_t flags = d == 0 ? p->rx_flags : 0;
            if (d + 1 < ndata) {
                flags |= NETRXF_more_data;
            }
            rsp->flags = flags;
            rsp->status = int16_t(p->slot_len[d]);
            d++;
        }
        if (ok) {
            delivered++;
            counters_.rx_packets++;
            counters_.rx_foreign_packets += p->foreign;
            uint32_t len = 0;
            for (unsigned s = 0; s < ndata; s++) {
                len += p->slot_len[s];
            }
            counters_.rx_bytes += len;
        } else {
            counters_.rx_errors++;
        }
    }
    if (failed()) {
        rx_ids_.reset();
    }

    // Publish once: release the responses before rsp_prod (xen_wmb), then
    // seq_cst (xen_mb) before reading the guest's rsp_event.
    int notify_guest;
    RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&rx_, notify_guest);
    if (notify_guest) {
        notify(config_.rx_port);
    }
    return delivered;
}

bool netif_backend::needs_work() const
{
    if (failed()) {
        return false;
    }
    // A racy peek is fine: a stale value only delays us until the next
    // check, and tx_burst() re-reads the index with acquire ordering.
    return read_once(&tx_.sring->req_prod) != tx_.req_cons;
}

bool netif_backend::final_check(uint64_t *credit_wait)
{
    if (credit_wait) {
        *credit_wait = 0;
    }
    if (failed()) {
        return false;
    }
    // Sets req_event = req_cons + 1, then xen_mb (seq_cst) orders that
    // store before re-reading req_prod, so a request the guest publishes
    // concurrently is either seen here or raises an event.
    int work;
    RING_FINAL_CHECK_FOR_REQUESTS(&tx_, work);
    if (!work) {
        return false;
    }
    // Requests the credit holds back are no work until it allows them.
    const uint64_t wait = credit_wait_ns();
    if (credit_wait) {
        *credit_wait = wait;
    }
    return wait == 0;
}

size_t netif_backend::rx_send(const packet_view *pkts, size_t n, bool *redo)
{
    return rx_send_impl(pkts, n, redo);
}

size_t netif_backend::rx_send(const packet_buf *pkts, size_t n, bool *redo)
{
    return rx_send_impl(pkts, n, redo);
}

namespace {

unsigned rx_slots_for(uint32_t len, bool gso)
{
    return (len + page_size - 1) / page_size + (gso ? 1 : 0);
}

}  // namespace

// Whether the guest has posted the buffers a packet of 'len' bytes needs.
bool netif_backend::rx_room_for(uint32_t len, bool gso) const
{
    return read_once(&rx_.sring->req_prod) - rx_.req_cons
           >= rx_slots_for(len, gso);
}

template <typename PKT>
size_t netif_backend::rx_send_impl(const PKT *pkts, size_t n, bool *redo)
{
    if (redo) {
        std::fill(redo, redo + n, false);
    }
    if (failed()) {
        counters_.rx_dropped_failed += n;
        return 0;
    }
    rx_queue_run();
    if (rx_stalled_) {
        // As netback with the carrier off: nothing waits until the guest
        // posts a buffer again.
        if (read_once(&rx_.sring->req_prod) == rx_.req_cons) {
            counters_.rx_dropped_stalled += n;
            return 0;
        }
        rx_stalled_ = false;
    }

    size_t done = 0, k = 0;
    while (k < n && (!rxq_ || rxq_->empty())) {
        size_t stop;
        done += rx_burst_impl(pkts + k, n - k, redo ? redo + k : nullptr,
                              &stop);
        k += stop;
        if (k == n || failed()) {
            break;
        }
        // It stopped for want of buffers (the rest waits), or of burst
        // scratch after some progress (the rest goes in another burst).
        if (!stop || !rx_room_for(pkts[k].len, pkts[k].gso_type
                                               != XEN_NETIF_GSO_TYPE_NONE)) {
            break;
        }
    }
    if (k == n || failed()) {
        counters_.rx_dropped_failed += n - k;
        return done;
    }
    if (!rxq_) {
        // Once per busy spell: rx_queue_trim() frees it when idle.  Without
        // the memory the packets are dropped, never the daemon.
        const netif_rx_queue_limits &l = config_.rx_queue;
        rxq_.reset(new (std::nothrow) rx_fifo(l.max_bytes, l.max_packets,
                                              max_rx_packet()));
        if (!rxq_ || !rxq_->ok()) {
            rxq_.reset();
            counters_.rx_dropped_queue_full += n - k;
            return done;
        }
    }
    if (rxq_->empty()) {
        rx_progress_ns_ = monotonic_ns();   // The wait starts now.
    }
    rx_queue_used_ = true;
    for (; k < n; k++) {
        const PKT &pkt = pkts[k];
        if (pkt_source(pkt)) {
            if (!redo) {
                counters_.rx_dropped_no_buffers++;
                continue;
            }
            for (; k < n; k++) {
                redo[k] = true;
            }
            break;
        }
        if (rxq_->push(pkt.data, pkt.len, pkt.flags, pkt.gso_type,
                       pkt.gso_size)) {
            counters_.rx_queued++;
            done++;
        } else if (!pkt.len) {
            counters_.rx_dropped_invalid++;
        } else if (pkt.len > max_rx_packet()) {
            counters_.rx_dropped_too_big++;
        } else {
            counters_.rx_dropped_queue_full++;
        }
    }
    // The thread that polls this queue may be asleep with nothing asked of
    // the guest (its queue was empty then): ask for an event when it posts
    // what the oldest packet needs, so that posting wakes that thread, as
    // netback kicks its rx thread on every enqueue.  If the buffers came
    // meanwhile, deliver now.
    if (!rxq_->empty()) {
        const rx_fifo::entry &e = rxq_->at(0);
        if (rx_buffers_available(
                rx_slots_for(e.len, e.gso_type != XEN_NETIF_GSO_TYPE_NONE))) {
            rx_queue_run();
        }
    }
    return done;
}

size_t netif_backend::rx_queue_run()
{
    if (!rxq_ || rxq_->empty()) {
        return 0;
    }
    if (failed()) {
        counters_.rx_dropped_failed += rxq_->size();
        rxq_->clear();
        return 0;
    }
    size_t delivered = 0;
    constexpr size_t chunk = 32;
    packet_view v[chunk];
    while (!rxq_->empty()) {
        const size_t m = std::min(chunk, rxq_->size());
        for (size_t i = 0; i < m; i++) {
            const rx_fifo::entry &e = rxq_->at(i);
            v[i] = packet_view{rxq_->data(e), e.len, e.flags, e.gso_type,
                               e.gso_size};
        }
        size_t stop;
        delivered += rx_burst_impl(v, m, nullptr, &stop);
        rxq_->pop(stop);
        if (stop) {
            rx_progress_ns_ = monotonic_ns();
        }
        if (rxq_->empty()
            && (rxq_->max_bytes() != config_.rx_queue.max_bytes
                || rxq_->max_packets() != config_.rx_queue.max_packets)) {
            rxq_.reset();       // New bounds (set_rx_queue_limits()).
            break;
        }
        if (stop < m) {
            break;
        }
    }
    if (rxq_ && !rxq_->empty() && !failed()
        && monotonic_ns() - rx_progress_ns_
           >= uint64_t(config_.rx_queue.stall_timeout_ms) * 1000000) {
        counters_.rx_stalls++;
        counters_.rx_dropped_stalled += rxq_->size();
        rxq_->clear();
        rx_stalled_ = true;
    }
    return delivered;
}

void netif_backend::rx_queue_trim()
{
    if (rxq_ && rxq_->empty() && !rx_queue_used_) {
        rxq_.reset();
    }
    rx_queue_used_ = false;
}

void netif_backend::set_rx_queue_limits(const netif_rx_queue_limits &l)
{
    const netif_rx_queue_limits &o = config_.rx_queue;
    if (l.max_bytes == o.max_bytes && l.max_packets == o.max_packets
        && l.stall_timeout_ms == o.stall_timeout_ms) {
        return;
    }
    config_.rx_queue = l;
    if (rxq_ && rxq_->empty()) {
        rxq_.reset();           // Made again, with the new bounds.
    }
}

bool netif_backend::rx_queue_final_check(uint64_t *wait_ns)
{
    *wait_ns = 0;
    if (!rxq_ || rxq_->empty() || failed()) {
        return false;
    }
    const rx_fifo::entry &e = rxq_->at(0);
    if (rx_buffers_available(
            rx_slots_for(e.len, e.gso_type != XEN_NETIF_GSO_TYPE_NONE))) {
        return true;
    }
    const uint64_t deadline =
        rx_progress_ns_ + uint64_t(config_.rx_queue.stall_timeout_ms) * 1000000;
    const uint64_t now = monotonic_ns();
    if (now >= deadline) {
        return true;            // rx_queue_run() flushes it.
    }
    *wait_ns = deadline - now;
    return false;
}

bool netif_backend::rx_buffers_available(unsigned slots)
{
    if (failed()) {
        return false;
    }
    slots = std::max(1u, std::min(slots, netif_rx_ring_size));
    RING_IDX prod = read_once(&rx_.sring->req_prod);
    if (prod - rx_.req_cons >= slots) {
        return true;
    }
    // Ask for an event when the guest's req_prod reaches what we need,
    // then seq_cst (xen_mb) so the store is visible before the re-read:
    // buffers posted meanwhile are either seen or notified.
    write_once(&rx_.sring->req_event, rx_.req_cons + slots);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    prod = read_once(&rx_.sring->req_prod);
    return prod - rx_.req_cons >= slots;
}

bool netif_backend::check_alive()
{
    if (failed()) {
        return false;
    }
    if (!platform_->domain_alive(config_.frontend_domid)) {
        fail_frontend_gone();
        return false;
    }
    return true;
}

bool netif_backend::on_event(evtchn_port_t port)
{
    counters_.events++;
    if (failed()) {
        return false;
    }
    bool work = needs_work();
    if (!work && port == config_.rx_port) {
        // New RX buffers are worth an event, once.
        RING_IDX rx_prod = read_once(&rx_.sring->req_prod);
        if (RING_REQUEST_PROD_OVERFLOW(&rx_, rx_prod)) {
            fail(netif_error::rx_prod_overrun, "req_prod %u is more than %u "
                 "ahead of rsp_prod %u", rx_prod, netif_rx_ring_size,
                 rx_.rsp_prod_pvt);
            return false;
        }
        // Only buffers actually posted count as work: an index that moved
        // backwards, or not at all, is as spurious as an empty ring.
        if (rx_prod - rx_prod_seen_ - 1 < netif_rx_ring_size) {
            rx_prod_seen_ = rx_prod;
            spurious_run_ = 0;
            return false;
        }
    }
    if (work) {
        spurious_run_ = 0;
        return true;
    }
    counters_.spurious_events++;
    if (++spurious_run_ >= config_.spurious_event_limit) {
        fail(netif_error::notification_storm, "%u events in a row found no "
             "work", spurious_run_);
    }
    return false;
}

}  // namespace linc::xen
