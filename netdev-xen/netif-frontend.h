// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// netif_frontend: the netfront side of a vif's rings, for emulated guests
// (the simxen guest emulator, benchmarks and tests).
//
// It runs on a small abstract view of a guest (frontend_platform): its own
// pages, its grant table and its event channels.  It lays out its pages
// as
//     first_page + 0              TX shared ring
//     first_page + 1              RX shared ring
//     first_page + 2 + i          TX buffer of request id i (i < 256)
//     first_page + 2 + 256 + i    RX buffer of request id i (i < 256)
// and grants the rings and buffers to the backend once, at init().
//
// The hostile() entry points deliberately break the protocol, one way
// each, to test the backend's defences.

#ifndef LINC_NETIF_FRONTEND_H
#define LINC_NETIF_FRONTEND_H 1

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "netdev-xen/netif-proto.h"
#include "netdev-xen/xen-platform.h"

namespace linc::xen {

// A guest as the frontend sees it.
class frontend_platform {
public:
    virtual ~frontend_platform() = default;

    virtual domid_t self_domid() const = 0;

    // The guest's own memory, one page at a time.
    virtual size_t page_count() const = 0;
    virtual void *page(size_t index) = 0;

    // Grants 'domid' access to page 'page_index'.  0 or an errno.
    virtual int grant_access(size_t page_index, domid_t domid, bool readonly,
                             grant_ref_t *ref) = 0;
    // Revokes a grant.  0 or an errno (EBUSY while the peer uses it).
    virtual int end_access(grant_ref_t ref) = 0;

    // Signals the peer of local port 'port'.
    virtual int notify(evtchn_port_t port) = 0;
};

struct netif_frontend_config {
    domid_t backend_domid = 0;
    size_t first_page = 0;      // see the layout above
    evtchn_port_t tx_port = 0;  // local ports
    evtchn_port_t rx_port = 0;  // == tx_port with one event channel
    bool sg = true;             // send multi-slot packets
};

// Per-packet metadata, both directions.  'flags' are packet_flags
// (netif-backend.h): packet_csum_blank, packet_data_validated.
struct frontend_tx_meta {
    uint16_t flags = 0;
    uint8_t gso_type = XEN_NETIF_GSO_TYPE_NONE;
    uint16_t gso_size = 0;
    uint16_t offset = 0;        // where the first slot's data starts
};

struct frontend_rx_packet {
    uint32_t len;
    uint16_t flags;             // packet_flags
    uint8_t gso_type;
    uint16_t gso_size;
    uint16_t slots;             // data slots it used
};

// Where one slot's share of a packet queued by reserve_tx() goes: 'len'
// bytes at 'data', in the slot's granted TX buffer.  '*tag' is the
// caller's note of what it left in that buffer (see reserve_tx()).
struct frontend_tx_segment {
    uint8_t *data;
    uint16_t len;
    uint32_t *tag;
};

// Where one data slot of a packet taken by receive_view() lies, in the
// slot's granted RX buffer.
struct frontend_rx_segment {
    const uint8_t *data;
    uint16_t len;
};

// A packet taken by receive_view(): its metadata and its data in place.
struct frontend_rx_view {
    static constexpr size_t max_segs = netif_max_slots + netif_max_extras + 1;
    frontend_rx_packet info;
    size_t nsegs;
    frontend_rx_segment segs[max_segs];
};

struct netif_frontend_counters {
    uint64_t tx_queued;         // packets written to the ring
    uint64_t tx_okay;           // responses per packet
    uint64_t tx_error;
    uint64_t tx_dropped;
    uint64_t rx_packets;
    uint64_t rx_bytes;
    uint64_t rx_errors;         // packets answered with an error status
    uint64_t backend_errors;    // malformed responses from the backend
    uint64_t notifications_sent;
};

// The ways hostile() can break the protocol.
enum class netif_hostile {
    bad_gref,           // TX gref outside the grant table
    ungranted_gref,     // TX gref of a grant that was revoked
    foreign_gref,       // TX gref granted to another domain
    readonly_rx_gref,   // RX buffer granted read-only
    offset_past_page,   // TX offset + size > page
    too_many_slots,     // TX packet with more data slots than netback takes
                        // (21 with feature-sg, 2 without)
    prod_overrun,       // TX req_prod more than a ring ahead
    rx_prod_overrun,    // RX req_prod more than a ring ahead
    zero_length,        // TX size 0
    oversize_length,    // TX single slot larger than a page
    duplicate_ids,      // two TX requests in flight with one id
    frag_size_mismatch, // TX fragments larger than the total
    bad_extra,          // TX extra info of an invalid type
    truncated_packet,   // TX packet published without its last slot
    notification_storm, // 'count' notifications with nothing queued
    // Not protocol violations, abuse the backend must bound by itself:
    gso_amplify,        // up to 'count' 60,000-byte TCP frames, gso_size 1
    old_netfront_slots, // a well-formed 19-slot packet, as netfronts
                        // before Linux 3.9 could send
    unfinishable_csum,  // 'count' ARP frames marked csum_blank
    // From another thread, not through hostile() (which refuses it:
    // EINVAL): the guest keeps rewriting the heads of the frames in its
    // TX buffers while the backend works (hostile_scribble_tx()).
    rewrite_heads,
    // In the handshake, not the rings (hostile() refuses it: EINVAL): the
    // guest writes 3,000 bytes of 0xff and newlines as
    // multi-queue-num-queues (linc-guest does it).
    xenstore_junk,
};

class netif_frontend {
public:
    static constexpr size_t tx_ring_size = netif_tx_ring_size;
    static constexpr size_t rx_ring_size = netif_rx_ring_size;
    static constexpr size_t pages_needed = 2 + tx_ring_size + rx_ring_size;

    netif_frontend(frontend_platform *platform,
                   const netif_frontend_config &config);
    ~netif_frontend();
    netif_frontend(const netif_frontend &) = delete;
    netif_frontend &operator=(const netif_frontend &) = delete;

    // Initialises the shared rings and grants the rings (writable), the TX
    // buffers (read-only) and the RX buffers (writable).  0 or an errno.
    int init();
    grant_ref_t tx_ring_ref() const { return tx_ring_ref_; }
    grant_ref_t rx_ring_ref() const { return rx_ring_ref_; }
    void *tx_ring_page();
    void *rx_ring_page();

    // Posts up to 'max' free RX buffers and publishes them, notifying the
    // backend if it asked.  Returns how many were posted.
    size_t post_rx_buffers(size_t max);

    // Queues one packet (not yet visible to the backend): 0, EAGAIN when
    // the ring or the buffers are full, EMSGSIZE when it cannot be sent.
    int send(const uint8_t *data, size_t len, const frontend_tx_meta &meta);
    // Queues one packet of 'len' bytes as send() does, but copies nothing:
    // fills segs[0..*nsegs) (at most netif_max_slots) with where its bytes
    // go, for the caller to write before push_tx().  The TX buffers stay
    // granted and keep what was written into them, so a caller that sends
    // the same frame again and again need only rewrite what changes: each
    // buffer has a tag, 0 at first and whenever send() writes the buffer,
    // which the caller may set to say what it left there.  Errors as send().
    int reserve_tx(size_t len, const frontend_tx_meta &meta,
                   frontend_tx_segment *segs, size_t *nsegs);
    // reserve_tx() for up to 'max' packets of 'len' bytes that each fit
    // one slot (meta.offset + len <= page_size, no GSO): segs[i] is
    // packet i's only segment.  Returns how many it queued: fewer when the
    // ring or the buffers fill up, 0 also for packets it does not take.
    size_t reserve_tx_burst(size_t len, const frontend_tx_meta &meta,
                            size_t max, frontend_tx_segment *segs);
    // Publishes queued packets; notifies if the backend asked.  Returns
    // whether it notified.
    bool push_tx();
    // Consumes TX responses and frees their buffers; returns how many
    // packets completed.
    size_t reap_tx();

    // Takes one received packet into 'buf': 1 when it did, 0 when none is
    // complete, -EMSGSIZE when it did not fit (it is consumed), -EIO when
    // the backend answered with an error or a malformed response.
    int receive(uint8_t *buf, size_t cap, frontend_rx_packet *info);

    // Takes one received packet as receive() does, but copies nothing: '*v'
    // says where its data lies, in the granted RX buffers, which stay the
    // caller's to read until the next post_rx_buffers() or hostile() (which
    // may hand them back to the backend).  1, 0 or -EIO as receive().
    int receive_view(frontend_rx_view *v);
    // receive_view() for up to 'max' packets: fills views[0..n) and returns
    // n, stopping early when no complete packet is left.  Packets answered
    // with an error are consumed and skipped (counted in rx_errors).
    size_t receive_views(frontend_rx_view *views, size_t max);

    // Re-arm rsp_event before sleeping; true if responses arrived meanwhile.
    bool final_check_tx();
    bool final_check_rx();

    // Hints for a polling loop (no memory barrier): whether the backend
    // has published responses not yet consumed, and whether send() has
    // room for a one-slot packet.
    bool tx_responses_pending() const
    {
        return initialised_ && read_once(&tx_.sring->rsp_prod) != tx_.rsp_cons;
    }
    bool rx_responses_pending() const
    {
        return initialised_ && read_once(&rx_.sring->rsp_prod) != rx_.rsp_cons;
    }
    bool tx_room() const
    {
        return initialised_ && !tx_free_.empty() && RING_FREE_REQUESTS(&tx_) > 0;
    }

    // Whether send() has room for the largest packet, as netfront asks
    // before it takes one from its queue (it stops the queue otherwise, so
    // the kernel holds packets rather than drop them).
    bool tx_room_for_any() const
    {
        return initialised_ && tx_free_.size() > netif_max_slots
               && RING_FREE_REQUESTS(&tx_) > netif_max_slots;
    }

    size_t tx_free_ids() const { return tx_free_.size(); }
    size_t rx_free_ids() const { return rx_free_.size(); }
    size_t tx_in_flight() const;
    const netif_frontend_counters &counters() const { return counters_; }

    // Breaks the protocol in way 'h' and publishes it (notifying 'count'
    // times for notification_storm).  0 or an errno.
    int hostile(netif_hostile h, unsigned count = 1);
    // Writes 'len' bytes of 'head' at the start of every TX buffer, in
    // flight or not, without any synchronisation: a guest rewriting what it
    // granted while the backend reads it.  Safe to call from another
    // thread than the one driving the rings (it touches guest memory only).
    void hostile_scribble_tx(const uint8_t *head, size_t len);

private:
    // The free request ids of one ring, last freed first taken: room for
    // every id, so a push needs only a bound check (a backend that
    // answers a request twice cannot overflow it).
    template <size_t N>
    class id_stack {
    public:
        size_t size() const { return n_; }
        bool empty() const { return n_ == 0; }
        uint16_t back() const { return ids_[n_ - 1]; }
        void pop_back() { n_--; }
        void push_back(uint16_t id)
        {
            if (n_ < N) {
                ids_[n_++] = id;
            }
        }
        uint16_t operator[](size_t i) const { return ids_[i]; }
        const uint16_t *data() const { return ids_.data(); }
        void shrink(size_t n) { n_ = n; }       // n <= size()

    private:
        std::array<uint16_t, N> ids_{};
        size_t n_ = 0;
    };

    void *page(size_t index);
    uint8_t *tx_buffer(uint16_t id);
    uint8_t *rx_buffer(uint16_t id);
    void notify(evtchn_port_t port);
    void put_tx_request(const netif_tx_request &req);
    void put_tx_extra(const netif_extra_info &e);
    void publish_tx_raw();
    int take_rx(frontend_rx_view *v, RING_IDX prod);
    __attribute__((noinline)) int take_rx_slow(frontend_rx_view *v,
                                               RING_IDX prod,
                                               const netif_rx_response &first);
    bool rx_prod_acquire(RING_IDX *prod);

    frontend_platform *platform_;
    netif_frontend_config config_;
    netif_tx_front_ring tx_{};
    netif_rx_front_ring rx_{};
    grant_ref_t tx_ring_ref_ = 0;
    grant_ref_t rx_ring_ref_ = 0;
    std::vector<grant_ref_t> tx_grefs_;
    std::vector<grant_ref_t> rx_grefs_;
    std::vector<uint8_t *> tx_buf_;         // per id: its page
    std::vector<uint8_t *> rx_buf_;
    std::vector<uint32_t> tx_tag_;          // per id: see reserve_tx()
    id_stack<tx_ring_size> tx_free_;
    id_stack<rx_ring_size> rx_free_;
    std::vector<uint8_t> tx_busy_;          // per id
    std::vector<uint16_t> rx_id_at_;        // per ring slot: posted id
    std::vector<grant_ref_t> extra_grants_; // hostile grants to revoke
    bool initialised_ = false;
    netif_frontend_counters counters_{};
};

}  // namespace linc::xen

#endif  // netdev-xen/netif-frontend.h
