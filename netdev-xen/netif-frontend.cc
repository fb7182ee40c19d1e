// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.

#include "netdev-xen/netif-frontend.h"

#include <algorithm>
#include <cerrno>

#include "netdev-xen/netif-backend.h"

namespace linc::xen {

namespace {

enum : uint8_t { id_free = 0, id_busy = 1, id_busy_first = 2 };

// A domain id no test or guest uses, for grants to "someone else".
constexpr domid_t other_domid = 0x7ff0;

}  // namespace

netif_frontend::netif_frontend(frontend_platform *platform,
                               const netif_frontend_config &config)
    : platform_(platform), config_(config),
      tx_grefs_(tx_ring_size), rx_grefs_(rx_ring_size),
      tx_buf_(tx_ring_size), rx_buf_(rx_ring_size), tx_tag_(tx_ring_size, 0),
      tx_busy_(tx_ring_size, id_free), rx_id_at_(rx_ring_size, 0)
{
}

netif_frontend::~netif_frontend()
{
    if (!initialised_) {
        return;
    }
    platform_->end_access(tx_ring_ref_);
    platform_->end_access(rx_ring_ref_);
    for (grant_ref_t ref : tx_grefs_) {
        platform_->end_access(ref);
    }
    for (grant_ref_t ref : rx_grefs_) {
        platform_->end_access(ref);
    }
    for (grant_ref_t ref : extra_grants_) {
        platform_->end_access(ref);
    }
}

void *netif_frontend::page(size_t index)
{
    return platform_->page(config_.first_page + index);
}

void *netif_frontend::tx_ring_page() { return page(0); }
void *netif_frontend::rx_ring_page() { return page(1); }

uint8_t *netif_frontend::tx_buffer(uint16_t id)
{
    return tx_buf_[id];
}

uint8_t *netif_frontend::rx_buffer(uint16_t id)
{
    return rx_buf_[id];
}

int netif_frontend::init()
{
    if (initialised_) {
        return EALREADY;
    }
    if (config_.first_page + pages_needed > platform_->page_count()) {
        return ENOSPC;
    }
    auto *txs = static_cast<netif_tx_sring *>(page(0));
    auto *rxs = static_cast<netif_rx_sring *>(page(1));
    SHARED_RING_INIT(txs);
    SHARED_RING_INIT(rxs);
    FRONT_RING_INIT(&tx_, txs, page_size);
    FRONT_RING_INIT(&rx_, rxs, page_size);
    // The loops index the rings with these constants.
    if (RING_SIZE(&tx_) != tx_ring_size || RING_SIZE(&rx_) != rx_ring_size) {
        return EINVAL;
    }

    const domid_t be = config_.backend_domid;
    int error = platform_->grant_access(config_.first_page, be, false,
                                        &tx_ring_ref_);
    if (!error) {
        error = platform_->grant_access(config_.first_page + 1, be, false,
                                        &rx_ring_ref_);
    }
    size_t i;
    for (i = 0; !error && i < tx_ring_size; i++) {
        error = platform_->grant_access(config_.first_page + 2 + i, be, true,
                                        &tx_grefs_[i]);
    }
    for (size_t j = 0; !error && j < rx_ring_size; j++) {
        error = platform_->grant_access(config_.first_page + 2 + tx_ring_size
                                        + j, be, false, &rx_grefs_[j]);
    }
    if (error) {
        return error;       // the platform cleans up with the guest
    }
    for (size_t k = 0; k < tx_ring_size; k++) {
        tx_buf_[k] = static_cast<uint8_t *>(page(2 + k));
    }
    for (size_t k = 0; k < rx_ring_size; k++) {
        rx_buf_[k] = static_cast<uint8_t *>(page(2 + tx_ring_size + k));
    }
    for (size_t k = tx_ring_size; k-- > 0;) {
        tx_free_.push_back(uint16_t(k));
    }
    for (size_t k = rx_ring_size; k-- > 0;) {
        rx_free_.push_back(uint16_t(k));
    }
    initialised_ = true;
    return 0;
}

void netif_frontend::notify(evtchn_port_t port)
{
    platform_->notify(port);
    counters_.notifications_sent++;
}

size_t netif_frontend::tx_in_flight() const
{
    return tx_ring_size - tx_free_.size();
}

size_t netif_frontend::post_rx_buffers(size_t max)
{
    const size_t n = std::min({max, rx_free_.size(),
                               size_t(RING_FREE_REQUESTS(&rx_))});
    const size_t left = rx_free_.size() - n;
    const RING_IDX prod = rx_.req_prod_pvt;
    netif_rx_sring *sring = rx_.sring;
    const grant_ref_t *grefs = rx_grefs_.data();
    uint16_t *id_at = rx_id_at_.data();
    for (size_t k = 0; k < n; k++) {
        const uint16_t id = rx_free_[left + k];
        const RING_IDX slot = (prod + RING_IDX(k)) & (rx_ring_size - 1);
        netif_rx_request req;
        req.id = id;
        req.pad = 0;
        req.gref = grefs[id];
        sring->ring[slot].req = req;
        id_at[slot] = id;
    }
    rx_free_.shrink(left);
    rx_.req_prod_pvt = prod + RING_IDX(n);
    if (n) {
        // Release (xen_wmb) the requests before req_prod; seq_cst (xen_mb)
        // before reading the backend's req_event.
        int notify_backend;
        RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&rx_, notify_backend);
        if (notify_backend) {
            notify(config_.rx_port);
        }
    }
    return n;
}

void netif_frontend::put_tx_request(const netif_tx_request &req)
{
    *RING_GET_REQUEST(&tx_, tx_.req_prod_pvt) = req;
    tx_.req_prod_pvt++;
}

void netif_frontend::put_tx_extra(const netif_extra_info &e)
{
    store_extra_info(RING_GET_REQUEST(&tx_, tx_.req_prod_pvt), e);
    tx_.req_prod_pvt++;
}

int netif_frontend::reserve_tx(size_t len, const frontend_tx_meta &meta,
                               frontend_tx_segment *segs, size_t *nsegs)
{
    if (!initialised_) {
        return ENOTCONN;
    }
    if (len == 0 || len > XEN_NETIF_MAX_TX_SIZE || meta.offset >= page_size) {
        return EMSGSIZE;
    }
    const size_t first_len = std::min(len, page_size - meta.offset);
    const size_t ndata = 1 + (len - first_len + page_size - 1) / page_size;
    if (ndata > (config_.sg ? netif_max_slots : 1)) {
        return EMSGSIZE;
    }
    const bool gso = meta.gso_type != XEN_NETIF_GSO_TYPE_NONE;
    const size_t nslots = ndata + (gso ? 1 : 0);
    if (RING_FREE_REQUESTS(&tx_) < nslots || tx_free_.size() < ndata) {
        return EAGAIN;
    }

    size_t pos = 0;
    for (size_t k = 0; k < ndata; k++) {
        uint16_t id = tx_free_.back();
        tx_free_.pop_back();
        tx_busy_[id] = k == 0 ? id_busy_first : id_busy;
        netif_tx_request req;
        req.gref = tx_grefs_[id];
        req.offset = k == 0 ? meta.offset : 0;
        req.id = id;
        size_t chunk = k == 0 ? first_len : std::min(len - pos, page_size);
        segs[k].data = tx_buf_[id] + req.offset;
        segs[k].len = uint16_t(chunk);
        segs[k].tag = &tx_tag_[id];
        pos += chunk;
        req.size = uint16_t(k == 0 ? len : chunk);
        req.flags = 0;
        if (k == 0) {
            if (meta.flags & packet_csum_blank) {
                req.flags |= NETTXF_csum_blank;
            }
            if (meta.flags & packet_data_validated) {
                req.flags |= NETTXF_data_validated;
            }
            if (gso) {
                req.flags |= NETTXF_extra_info;
            }
        }
        if (k + 1 < ndata) {
            req.flags |= NETTXF_more_data;
        }
        put_tx_request(req);
        if (k == 0 && gso) {
            netif_extra_info e{};
            e.type = XEN_NETIF_EXTRA_TYPE_GSO;
            e.flags = 0;
            e.u.gso.size = meta.gso_size;
            e.u.gso.type = meta.gso_type;
            e.u.gso.pad = 0;
            e.u.gso.features = 0;
            put_tx_extra(e);
        }
    }
    *nsegs = ndata;
    counters_.tx_queued++;
    return 0;
}

size_t netif_frontend::reserve_tx_burst(size_t len,
                                        const frontend_tx_meta &meta,
                                        size_t max, frontend_tx_segment *segs)
{
    if (!initialised_ || len == 0 || meta.offset >= page_size
        || len > page_size - meta.offset
        || meta.gso_type != XEN_NETIF_GSO_TYPE_NONE) {
        return 0;
    }
    const size_t n = std::min({max, tx_free_.size(),
                               size_t(RING_FREE_REQUESTS(&tx_))});
    uint16_t flags = 0;
    if (meta.flags & packet_csum_blank) {
        flags |= NETTXF_csum_blank;
    }
    if (meta.flags & packet_data_validated) {
        flags |= NETTXF_data_validated;
    }
    const size_t left = tx_free_.size() - n;
    const RING_IDX prod = tx_.req_prod_pvt;
    // Locals, so that the stores into the ring need not reload them.
    const uint16_t *free_ids = tx_free_.data() + left;
    uint8_t *busy = tx_busy_.data();
    const grant_ref_t *grefs = tx_grefs_.data();
    uint8_t *const *bufs = tx_buf_.data();
    uint32_t *tags = tx_tag_.data();
    const uint16_t offset = meta.offset;
    netif_tx_sring *sring = tx_.sring;
    for (size_t k = 0; k < n; k++) {
        // Last freed, first taken, as reserve_tx() takes them.
        const uint16_t id = free_ids[n - 1 - k];
        busy[id] = id_busy_first;
        netif_tx_request req;
        req.gref = grefs[id];
        req.offset = offset;
        req.flags = flags;
        req.id = id;
        req.size = uint16_t(len);
        sring->ring[(prod + RING_IDX(k)) & (tx_ring_size - 1)].req = req;
        segs[k] = {bufs[id] + offset, uint16_t(len), &tags[id]};
        // The caller writes the buffer's head next, which the backend's
        // core read last: fetch it for writing now.
        __builtin_prefetch(segs[k].data, 1);
    }
    tx_free_.shrink(left);
    tx_.req_prod_pvt = prod + RING_IDX(n);
    counters_.tx_queued += n;
    return n;
}

int netif_frontend::send(const uint8_t *data, size_t len,
                         const frontend_tx_meta &meta)
{
    frontend_tx_segment segs[netif_max_slots];
    size_t n;
    int error = reserve_tx(len, meta, segs, &n);
    if (error) {
        return error;
    }
    for (size_t k = 0; k < n; k++) {
        std::memcpy(segs[k].data, data, segs[k].len);
        data += segs[k].len;
        *segs[k].tag = 0;
    }
    return 0;
}

bool netif_frontend::push_tx()
{
    // Release (xen_wmb) requests before req_prod, then seq_cst (xen_mb)
    // before reading the backend's req_event.
    int notify_backend;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&tx_, notify_backend);
    if (notify_backend) {
        notify(config_.tx_port);
    }
    return notify_backend != 0;
}

size_t netif_frontend::reap_tx()
{
    // rsp_prod once, then acquire (xen_rmb) before reading responses.
    const RING_IDX prod = read_once(&tx_.sring->rsp_prod);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (RING_RESPONSE_PROD_OVERFLOW(&tx_, prod)) {
        counters_.backend_errors++;
        return 0;
    }
    size_t done = 0, okay = 0;
    RING_IDX cons = tx_.rsp_cons;
    uint8_t *busy = tx_busy_.data();
    const netif_tx_sring *sring = tx_.sring;
    for (; cons != prod; cons++) {
        netif_tx_response rsp =
            copy_tx_response(&sring->ring[cons & (tx_ring_size - 1)].rsp);
        if (rsp.status == NETIF_RSP_NULL) {
            continue;       // an extra-info slot
        }
        if (rsp.id >= tx_ring_size || busy[rsp.id] == id_free) {
            counters_.backend_errors++;
            continue;
        }
        if (busy[rsp.id] == id_busy_first) {
            done++;
            if (rsp.status == NETIF_RSP_OKAY) {
                okay++;
            } else if (rsp.status == NETIF_RSP_DROPPED) {
                counters_.tx_dropped++;
            } else {
                counters_.tx_error++;
            }
        }
        busy[rsp.id] = id_free;
        // Room for every id: one response per busy id.
        tx_free_.push_back(rsp.id);
    }
    tx_.rsp_cons = cons;
    counters_.tx_okay += okay;
    return done;
}

// Reads the RX ring's rsp_prod into '*prod', then acquire (xen_rmb) before
// the responses are read; false if it is more than a ring ahead.
bool netif_frontend::rx_prod_acquire(RING_IDX *prod)
{
    *prod = read_once(&rx_.sring->rsp_prod);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (RING_RESPONSE_PROD_OVERFLOW(&rx_, *prod)) {
        counters_.backend_errors++;
        return false;
    }
    return true;
}

// Takes the next complete packet before 'prod' off the RX ring and returns
// its buffers to the free list: 1 (then '*v' is filled), 0 or -EIO.
// Counts errors but not the packet.
__attribute__((always_inline)) inline int
netif_frontend::take_rx(frontend_rx_view *v, RING_IDX prod)
{
    RING_IDX i = rx_.rsp_cons;
    if (i == prod) {
        return 0;
    }
    netif_rx_response first =
        copy_rx_response(&rx_.sring->ring[i & (rx_ring_size - 1)].rsp);
    if (first.status > 0 && !(first.flags & (NETRXF_extra_info
                                             | NETRXF_more_data))) {
        // The common case: one slot, no extra info.
        uint16_t id = rx_id_at_[i & (rx_ring_size - 1)];
        rx_free_.push_back(id);
        rx_.rsp_cons = i + 1;
        if (first.id != id
            || uint32_t(first.offset) + uint32_t(first.status) > page_size) {
            counters_.backend_errors++;
            counters_.rx_errors++;
            return -EIO;
        }
        v->segs[0].data = rx_buffer(id) + first.offset;
        // The backend's core wrote it: start fetching the frame's head
        // now, while the caller takes the rest of the burst.
        __builtin_prefetch(v->segs[0].data);
        v->segs[0].len = uint16_t(first.status);
        v->nsegs = 1;
        v->info.len = uint32_t(first.status);
        v->info.slots = 1;
        v->info.flags = 0;
        if (first.flags & NETRXF_csum_blank) {
            v->info.flags |= packet_csum_blank;
        }
        if (first.flags & NETRXF_data_validated) {
            v->info.flags |= packet_data_validated;
        }
        v->info.gso_type = XEN_NETIF_GSO_TYPE_NONE;
        v->info.gso_size = 0;
        return 1;
    }
    return take_rx_slow(v, prod, first);
}

// take_rx() for a packet whose first response 'first' is an error, empty,
// or followed by extra info or more slots.
int netif_frontend::take_rx_slow(frontend_rx_view *v, RING_IDX prod,
                                 const netif_rx_response &first)
{
    // Find the packet's end first: it is taken only when complete.
    RING_IDX i = rx_.rsp_cons;
    unsigned nslots = 1;
    bool extra = first.status >= 0 && (first.flags & NETRXF_extra_info);
    bool more = first.status >= 0 && (first.flags & NETRXF_more_data);
    netif_extra_info gso{};
    if (extra) {
        if (i + 1 == prod) {
            return 0;
        }
        gso = copy_extra_info(RING_GET_RESPONSE(&rx_, i + 1));
        nslots++;
    }
    while (more) {
        if (i + nslots == prod) {
            return 0;
        }
        if (nslots > netif_max_slots + netif_max_extras) {
            counters_.backend_errors++;
            more = false;
            break;
        }
        netif_rx_response r =
            copy_rx_response(RING_GET_RESPONSE(&rx_, i + nslots));
        nslots++;
        more = r.status > 0 && (r.flags & NETRXF_more_data);
    }

    // Note where the data lies and return every buffer of the packet (the
    // backend gets them only when they are posted again).
    bool error = false;
    size_t len = 0;
    size_t nsegs = 0;
    for (unsigned s = 0; s < nslots; s++) {
        RING_IDX idx = i + s;
        uint16_t id = rx_id_at_[idx & (rx_ring_size - 1)];
        rx_free_.push_back(id);
        if (extra && s == 1) {
            continue;
        }
        netif_rx_response r = copy_rx_response(RING_GET_RESPONSE(&rx_, idx));
        if (r.status < 0) {
            error = true;
            continue;
        }
        if (r.id != id || uint32_t(r.offset) + uint32_t(r.status) > page_size) {
            counters_.backend_errors++;
            error = true;
            continue;
        }
        // nslots <= max_segs: the loop above stops there.
        v->segs[nsegs].data = rx_buffer(id) + r.offset;
        v->segs[nsegs].len = uint16_t(r.status);
        nsegs++;
        len += r.status;
    }
    rx_.rsp_cons = i + nslots;

    if (error) {
        counters_.rx_errors++;
        return -EIO;
    }
    frontend_rx_packet *info = &v->info;
    v->nsegs = nsegs;
    info->len = len;
    info->slots = uint16_t(nsegs);
    info->flags = 0;
    if (first.flags & NETRXF_csum_blank) {
        info->flags |= packet_csum_blank;
    }
    if (first.flags & NETRXF_data_validated) {
        info->flags |= packet_data_validated;
    }
    info->gso_type = XEN_NETIF_GSO_TYPE_NONE;
    info->gso_size = 0;
    if (extra && gso.type == XEN_NETIF_EXTRA_TYPE_GSO) {
        info->gso_type = gso.u.gso.type;
        info->gso_size = gso.u.gso.size;
    }
    return 1;
}

int netif_frontend::receive_view(frontend_rx_view *v)
{
    RING_IDX prod;
    if (!rx_prod_acquire(&prod)) {
        return -EIO;
    }
    int r = take_rx(v, prod);
    if (r == 1) {
        counters_.rx_packets++;
        counters_.rx_bytes += v->info.len;
    }
    return r;
}

size_t netif_frontend::receive_views(frontend_rx_view *views, size_t max)
{
    RING_IDX prod;
    if (!rx_prod_acquire(&prod)) {
        return 0;
    }
    size_t n = 0;
    uint64_t bytes = 0;
    while (n < max) {
        int r = take_rx(&views[n], prod);
        if (r == 0) {
            break;
        }
        if (r == 1) {
            bytes += views[n].info.len;
            n++;
        }
    }
    counters_.rx_packets += n;
    counters_.rx_bytes += bytes;
    return n;
}

int netif_frontend::receive(uint8_t *buf, size_t cap, frontend_rx_packet *info)
{
    RING_IDX prod;
    if (!rx_prod_acquire(&prod)) {
        return -EIO;
    }
    frontend_rx_view v;
    int r = take_rx(&v, prod);
    if (r != 1) {
        return r;
    }
    *info = v.info;
    if (v.info.len > cap) {
        return -EMSGSIZE;
    }
    for (size_t k = 0; k < v.nsegs; k++) {
        std::memcpy(buf, v.segs[k].data, v.segs[k].len);
        buf += v.segs[k].len;
    }
    counters_.rx_packets++;
    counters_.rx_bytes += v.info.len;
    return 1;
}

bool netif_frontend::final_check_tx()
{
    // rsp_event = rsp_cons + 1, seq_cst (xen_mb), re-read rsp_prod.
    int work;
    RING_FINAL_CHECK_FOR_RESPONSES(&tx_, work);
    return work != 0;
}

bool netif_frontend::final_check_rx()
{
    int work;
    RING_FINAL_CHECK_FOR_RESPONSES(&rx_, work);
    return work != 0;
}

void netif_frontend::publish_tx_raw()
{
    // Hostile requests are published the honest way: release then store.
    std::atomic_thread_fence(std::memory_order_release);
    write_once(&tx_.sring->req_prod, tx_.req_prod_pvt);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    notify(config_.tx_port);
}

void netif_frontend::hostile_scribble_tx(const uint8_t *head, size_t len)
{
    len = std::min(len, page_size);
    // tx_buf_ is fixed once init() ran; only guest memory is written.
    for (uint8_t *buf : tx_buf_) {
        volatile uint8_t *d = buf;
        for (size_t i = 0; i < len; i++) {
            d[i] = head[i];
        }
    }
}

int netif_frontend::hostile(netif_hostile h, unsigned count)
{
    if (!initialised_) {
        return ENOTCONN;
    }
    if (RING_FREE_REQUESTS(&tx_) < netif_fatal_slots + 2
        || tx_free_.size() < netif_fatal_slots + 2) {
        return EAGAIN;
    }
    auto take_id = [this](bool first) {
        uint16_t id = tx_free_.back();
        tx_free_.pop_back();
        tx_busy_[id] = first ? id_busy_first : id_busy;
        return id;
    };
    auto single = [&](grant_ref_t gref, uint16_t offset, uint16_t size) {
        netif_tx_request req{};
        req.id = take_id(true);
        req.gref = gref == grant_ref_t(-1) ? tx_grefs_[req.id] : gref;
        req.offset = offset;
        req.size = size;
        req.flags = 0;
        put_tx_request(req);
        return req.id;
    };
    constexpr grant_ref_t own = grant_ref_t(-1);

    switch (h) {
    case netif_hostile::bad_gref:
        single(0x7fffffff, 0, 64);
        break;
    case netif_hostile::ungranted_gref: {
        grant_ref_t ref;
        int error = platform_->grant_access(config_.first_page + 2, config_.backend_domid,
                                            true, &ref);
        if (error) {
            return error;
        }
        platform_->end_access(ref);
        single(ref, 0, 64);
        break;
    }
    case netif_hostile::foreign_gref: {
        grant_ref_t ref;
        int error = platform_->grant_access(config_.first_page + 2, other_domid,
                                            true, &ref);
        if (error) {
            return error;
        }
        extra_grants_.push_back(ref);
        single(ref, 0, 64);
        break;
    }
    case netif_hostile::readonly_rx_gref: {
        if (rx_free_.empty() || RING_FREE_REQUESTS(&rx_) == 0) {
            return EAGAIN;
        }
        uint16_t id = rx_free_.back();
        rx_free_.pop_back();
        grant_ref_t ref;
        int error = platform_->grant_access(config_.first_page + 2 + tx_ring_size + id,
                                            config_.backend_domid, true, &ref);
        if (error) {
            return error;
        }
        extra_grants_.push_back(ref);
        RING_IDX idx = rx_.req_prod_pvt++;
        netif_rx_request *req = RING_GET_REQUEST(&rx_, idx);
        req->id = id;
        req->pad = 0;
        req->gref = ref;
        rx_id_at_[idx & (rx_ring_size - 1)] = id;
        int notify_backend;
        RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&rx_, notify_backend);
        if (notify_backend) {
            notify(config_.rx_port);
        }
        return 0;
    }
    case netif_hostile::offset_past_page:
        single(own, page_size - 10, 64);
        break;
    case netif_hostile::too_many_slots:
    case netif_hostile::old_netfront_slots: {
        const unsigned n = h == netif_hostile::old_netfront_slots
                           ? netif_max_slots + 1
                           : (config_.sg ? netif_fatal_slots : 1) + 1;
        for (unsigned k = 0; k < n; k++) {
            netif_tx_request req{};
            req.id = take_id(k == 0);
            req.gref = tx_grefs_[req.id];
            req.offset = 0;
            req.size = k == 0 ? uint16_t(n * 100) : 100;
            req.flags = k + 1 < n ? NETTXF_more_data : 0;
            put_tx_request(req);
        }
        break;
    }
    case netif_hostile::prod_overrun:
        tx_.req_prod_pvt = tx_.sring->req_prod + tx_ring_size + 1;
        break;
    case netif_hostile::rx_prod_overrun: {
        rx_.req_prod_pvt = rx_.sring->req_prod + rx_ring_size + 1;
        std::atomic_thread_fence(std::memory_order_release);
        write_once(&rx_.sring->req_prod, rx_.req_prod_pvt);
        notify(config_.rx_port);
        return 0;
    }
    case netif_hostile::zero_length:
        single(own, 0, 0);
        break;
    case netif_hostile::oversize_length:
        single(own, 0, uint16_t(page_size + 1));
        break;
    case netif_hostile::duplicate_ids: {
        uint16_t id = single(own, 0, 64);
        netif_tx_request req{};
        req.id = id;
        req.gref = tx_grefs_[id];
        req.offset = 0;
        req.size = 64;
        req.flags = 0;
        put_tx_request(req);
        break;
    }
    case netif_hostile::frag_size_mismatch: {
        netif_tx_request req{};
        req.id = take_id(true);
        req.gref = tx_grefs_[req.id];
        req.size = 100;             // total, but the fragment alone is 200
        req.flags = NETTXF_more_data;
        put_tx_request(req);
        req.id = take_id(false);
        req.gref = tx_grefs_[req.id];
        req.size = 200;
        req.flags = 0;
        put_tx_request(req);
        break;
    }
    case netif_hostile::bad_extra: {
        netif_tx_request req{};
        req.id = take_id(true);
        req.gref = tx_grefs_[req.id];
        req.size = 64;
        req.flags = NETTXF_extra_info;
        put_tx_request(req);
        netif_extra_info e{};
        e.type = XEN_NETIF_EXTRA_TYPE_MAX + 7;
        put_tx_extra(e);
        break;
    }
    case netif_hostile::truncated_packet: {
        netif_tx_request req{};
        for (unsigned k = 0; k < 2; k++) {
            req.id = take_id(k == 0);
            req.gref = tx_grefs_[req.id];
            req.size = k == 0 ? 300 : 100;
            req.flags = NETTXF_more_data;   // promises a third slot
            put_tx_request(req);
        }
        break;
    }
    case netif_hostile::notification_storm:
        for (unsigned k = 0; k < count; k++) {
            notify(config_.tx_port);
        }
        return 0;
    case netif_hostile::gso_amplify: {
        // Well-formed TCP/IPv4 frames whose GSO extra asks for 1-byte
        // segments: about 60,000 packets each if the backend obliged.
        constexpr size_t len = 60000;
        static uint8_t frame[len];
        const uint8_t head[] = {
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 0x01,
            0x08, 0x00,
            0x45, 0, uint8_t((len - 14) >> 8), uint8_t(len - 14), 0, 0,
            0x40, 0, 64, 6, 0, 0, 10, 0, 0, 250, 10, 0, 0, 251,
            0x30, 0x39, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18,
            0xff, 0xff, 0, 0, 0, 0,
        };
        std::memcpy(frame, head, sizeof head);
        frontend_tx_meta meta;
        meta.flags = packet_csum_blank;
        meta.gso_type = XEN_NETIF_GSO_TYPE_TCPV4;
        meta.gso_size = 1;
        unsigned sent = 0;
        for (; sent < count; sent++) {
            if (send(frame, len, meta)) {
                break;
            }
        }
        push_tx();
        return sent ? 0 : EAGAIN;
    }
    case netif_hostile::unfinishable_csum: {
        // No L4 header, so nobody can complete the checksum it claims to
        // leave partial.
        uint8_t frame[64] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                             0x02, 0, 0, 0, 0, 0x02, 0x08, 0x06};
        frontend_tx_meta meta;
        meta.flags = packet_csum_blank;
        unsigned sent = 0;
        for (; sent < count; sent++) {
            if (send(frame, sizeof frame, meta)) {
                break;
            }
        }
        push_tx();
        return sent ? 0 : EAGAIN;
    }
    case netif_hostile::rewrite_heads:
    case netif_hostile::xenstore_junk:
        return EINVAL;
    }
    publish_tx_raw();
    return 0;
}

}  // namespace linc::xen
