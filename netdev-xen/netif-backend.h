// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// netif_backend: one queue of a Xen vif, served in userspace.
//
// The guest's netfront shares a TX ring (guest -> switch) and an RX ring
// (switch -> guest) and one or two event channels.  A forwarding thread
// calls tx_burst() to take packets the guest sent and rx_burst() to hand
// it packets; both move data with one batched grant copy per burst and
// publish their responses once per burst.
//
// Everything in the rings is the guest's and is read once into a local
// copy, validated, then used.  A malformed request fails only this vif:
// state() says why, the bursts do nothing from then on, and nothing
// outside the granted pages is touched.  The hot path neither allocates
// nor logs.
//
// Not thread-safe: one thread drives an instance at a time.

#ifndef LINC_NETIF_BACKEND_H
#define LINC_NETIF_BACKEND_H 1

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "netdev-xen/netif-proto.h"
#include "netdev-xen/rx-fifo.h"
#include "netdev-xen/xen-platform.h"

namespace linc::xen {

// What the frontend and backend negotiated in xenstore.
struct netif_features {
    bool sg = false;            // feature-sg: multi-slot packets
    bool gso_tcpv4 = false;     // feature-gso-tcpv4 (the frontend's, for RX)
    bool gso_tcpv6 = false;     // feature-gso-tcpv6 (the frontend's, for RX)
    bool rx_csum = true;        // !feature-no-csum-offload: csum_blank to guest
    bool rx_copy = true;        // request-rx-copy: the only mode we serve
    // TX offloads we accept from the guest (our feature-gso-* keys).
    bool tx_gso_tcpv4 = false;
    bool tx_gso_tcpv6 = false;
};

// Packet metadata flags, both directions.
enum packet_flags : uint16_t {
    packet_csum_blank = 1 << 0,      // checksum not yet computed (partial)
    packet_data_validated = 1 << 1,  // checksum already verified
};

// One piece of a packet still in a guest's granted page: a TX slot.
struct grant_frag {
    grant_ref_t gref;
    uint16_t offset;
    uint16_t len;
};

// The whole frame of a split packet, as the guest's TX slots hold it, in
// order.  At most netif_max_slots pieces.
struct frame_frags {
    grant_frag frags[netif_max_slots];
    domid_t domid;          // whose grants
    uint16_t n;
};

// A caller-owned, fixed-capacity packet buffer (from the caller's pool).
struct packet_buf {
    uint8_t *data;
    uint32_t len;           // out: the packet's length
    uint32_t capacity;      // in
    uint16_t flags;         // out: packet_flags
    uint8_t gso_type;       // out: XEN_NETIF_GSO_TYPE_*
    uint16_t gso_size;      // out: MSS when gso_type != NONE
    // Split bursts (tx_burst with a copy limit) only.
    uint32_t copied = 0;    // out: bytes in 'data' (< len when split)
    uint16_t token = 0;     // out: the packet's index for tx_fetch()
    frame_frags *frags = nullptr;   // in: where the frame's pieces go
};

// A packet to deliver to the guest: from local memory ('data'), or, with
// 'source' set, partly straight from another guest's granted pages: bytes
// [0, copied) from 'data' and [copied, len) from 'source' (which describes
// the whole frame), in one grant copy.  Whatever the datapath classified
// must be in 'data': the source guest can rewrite its pages at any time,
// and a copy from them of bytes a decision was based on would let it
// rewrite headers after classification (XSA-423's lesson).
struct packet_view {
    const uint8_t *data;
    uint32_t len;
    uint16_t flags;         // packet_flags
    uint8_t gso_type;       // XEN_NETIF_GSO_TYPE_*
    uint16_t gso_size;
    const frame_frags *source = nullptr;
    uint32_t copied = 0;    // with 'source': bytes taken from 'data'
};

// Why a vif failed (or what a counted error was).
enum class netif_error : uint8_t {
    none,
    tx_prod_overrun,        // TX req_prod more than a ring ahead
    tx_zero_size,           // a data slot of size 0
    tx_oversize,            // packet larger than this vif allows
    tx_bad_offset,          // offset + size past the page
    tx_too_many_slots,      // more data slots than allowed
    tx_frag_size_mismatch,  // fragment sizes do not add up to the total
    tx_bad_extra,           // malformed or unnegotiated extra info
    tx_duplicate_id,        // an id already in flight
    tx_grant_copy,          // the guest's TX grant could not be copied
    tx_truncated,           // a packet's slots run past req_prod
    rx_prod_overrun,        // RX req_prod more than a ring ahead
    rx_duplicate_id,        // an RX buffer id already in flight
    rx_grant_copy,          // the guest's RX buffer could not be written
    grant_copy_failed,      // the grant-copy call itself failed
    notification_storm,     // too many events that found no work
    unsupported,            // negotiated features we cannot serve
    frontend_gone,          // the frontend's domain no longer exists
                            // (check_alive(), or gntst_bad_domain for it)
    count_
};

constexpr size_t netif_error_kinds = static_cast<size_t>(netif_error::count_);

// A short fixed name for 'e', e.g. "tx_bad_offset".
const char *netif_error_name(netif_error e);

// Plain-data counters, updated by the driving thread.
struct netif_counters {
    uint64_t tx_packets;            // delivered to the switch
    uint64_t tx_bytes;
    uint64_t tx_dropped_no_room;    // caller's buffer too small
    uint64_t tx_dropped_csum;       // partial checksum nobody can complete
    uint64_t tx_dropped_runt;       // shorter than an Ethernet header
    uint64_t tx_dropped_too_many_slots; // 19 or 20 data slots (old netfronts)
    uint64_t tx_credit_waits;       // bursts stopped by the "rate" credit
    uint64_t tx_errors;             // responded NETIF_RSP_ERROR
    uint64_t rx_packets;            // delivered to the guest
    uint64_t rx_bytes;
    uint64_t rx_dropped_no_buffers; // guest had not posted enough buffers
    uint64_t rx_dropped_too_big;    // does not fit the guest's features
    uint64_t rx_dropped_failed;     // offered while the vif was failed
    uint64_t rx_dropped_offload;    // needs an offload the guest lacks
    uint64_t rx_dropped_invalid;    // empty packet
    uint64_t rx_errors;             // responded NETIF_RSP_ERROR
    uint64_t notifications_sent;
    uint64_t grant_copy_calls;
    uint64_t grant_copy_segments;
    uint64_t grant_copy_eagain;     // transient (paged-out) segments
    uint64_t events;                // on_event() calls
    uint64_t spurious_events;       // events that found no work
    uint64_t rx_foreign_packets;    // delivered guest to guest
    uint64_t rx_foreign_failed;     // guest-to-guest copy failed
    uint64_t tx_split_packets;      // left in the guest's pages (headers)
    uint64_t rx_queued;             // waited for buffers (rx_send())
    uint64_t rx_dropped_queue_full; // found the receive queue full
    uint64_t rx_dropped_stalled;    // flushed by, or sent during, a stall
    uint64_t rx_stalls;             // times the queue waited too long
    uint64_t errors[netif_error_kinds];
};

enum class netif_state : uint8_t { connected, failed };

struct netif_status {
    netif_state state;
    netif_error error;          // none while connected
    const char *reason;         // "" while connected; stays valid
};

// netback's receive queue (rx_send()): what the guest has no buffers for
// yet waits, in order, up to these bounds.
struct netif_rx_queue_limits {
    // Enough for a TCP receive window (what one flow can have in flight).
    // Linux's netback queues 512 KiB itself (XENVIF_RX_QUEUE_BYTES) and
    // then stops the vif's transmit queue, so up to txqueuelen (1000)
    // more packets wait in its qdisc; this queue is the only one.  With
    // 512 KiB, iperf3 between two guests lost 2.8% of its segments, with
    // 4 MiB none (docs/design.md).  Memory is taken only as far as the
    // queue is used, and given back once it has been idle
    // (rx_queue_trim()).
    uint32_t max_bytes = 4 * 1024 * 1024;
    uint32_t max_packets = 4096;
    // A guest that posts no buffer for this long while packets wait is
    // stalled: the queue is flushed, and until it posts one, packets for
    // it are dropped at once (netback turns the carrier off).
    uint32_t stall_timeout_ms = 10000;
};

struct netif_backend_config {
    domid_t frontend_domid = 0;
    netif_features features;
    evtchn_port_t tx_port = 0;  // local ports, already bound
    evtchn_port_t rx_port = 0;  // == tx_port with a single event channel
    // Fail the vif after this many consecutive events with no work.
    uint32_t spurious_event_limit = 65536;
    netif_rx_queue_limits rx_queue;
};

// netback's transmit credit (the backend directory's "rate" key, "bytes,
// usec"): the guest may send 'bytes' per 'usec' window.  A packet larger
// than the credit left waits, in the ring, for the next window; unused
// credit carries over up to max(128 KiB, bytes), so a window never
// blocks a maximum-size packet for ever.  'bytes' 0: unlimited.
struct netif_credit {
    uint64_t bytes = 0;
    uint64_t usec = 0;
};

// Parses "bytes,usec" as netback's xen_net_read_rate() does (two decimal
// numbers, nothing else; 0 bytes or 0 usec is unlimited).  False, leaving
// '*c' unlimited, if it does not parse.
bool parse_netif_rate(const char *s, netif_credit *c);

class netif_backend {
public:
    // 'tx_page' and 'rx_page' are the frontend's ring pages, mapped
    // writable.  The backend does not own them or the platform.  It
    // attaches after the responses already published in them
    // (BACK_RING_ATTACH); indices that do not add up fail it at once.
    netif_backend(backend_platform *platform, void *tx_page, void *rx_page,
                  const netif_backend_config &config);
    ~netif_backend();
    netif_backend(const netif_backend &) = delete;
    netif_backend &operator=(const netif_backend &) = delete;

    // Guest -> switch.  Fills up to 'max' of 'out' (each with its own
    // capacity) and returns how many it filled: out[0] .. out[n-1].  A
    // packet that does not fit its buffer is dropped (NETIF_RSP_DROPPED)
    // and its buffer reused; entries of 'out' may be swapped with each
    // other, never replaced.
    size_t tx_burst(packet_buf *out, size_t max);

    // Guest -> switch, leaving large frames in the guest's pages.  As
    // tx_burst(), but a packet longer than 'copy_limit' (GSO or not) has
    // only its first 'copy_limit' bytes copied ('copied' < 'len') and its
    // pieces described in '*frags' (which the caller must provide in each
    // 'out' entry).  Nothing of the burst is answered to the guest until
    // tx_finish(): until then the guest keeps the pages granted and the
    // caller may copy from them (rx_burst with a 'source') or fetch the
    // rest (tx_fetch).  Returns 0 while a split burst is unfinished.
    size_t tx_burst_split(packet_buf *out, size_t max, uint32_t copy_limit);
    // Copies the rest of split packet 'token' (bytes 'copied' .. 'len')
    // into 'dst' + 'copied'; 'dst' has room for 'len' bytes.  Returns
    // false if that failed: the packet is then answered with an error,
    // and a bad grant fails the vif.
    bool tx_fetch(uint16_t token, uint8_t *dst, uint32_t copied);
    // Answers every packet of the split burst (in ring order), publishes
    // the responses once and notifies if the ring says so.
    void tx_finish();
    bool tx_unfinished() const { return tx_open_ != 0; }

    // Switch -> guest.  Returns how many of the 'n' packets were delivered;
    // a packet with a source guest's pieces takes its first 'copied' bytes
    // from 'data' and only the rest from the pieces (see packet_view);
    // the others were dropped and counted (never blocks).  With
    // 'foreign_failed' (n entries) a packet whose guest-to-guest copy
    // failed is answered with an error without failing this vif (the
    // fault may be the source guest's) and flagged there for the caller
    // to sort out; without it such a failure counts against this vif.
    size_t rx_burst(const packet_view *pkts, size_t n,
                    bool *foreign_failed = nullptr);
    // The same for packets described as a split burst hands them out
    // ('data', 'len', 'flags', 'gso_type', 'gso_size'), with 'frags', when
    // not null, the source guest's pieces (packet_view's 'source').  Spares
    // a caller that holds packet_bufs a conversion per packet.
    size_t rx_burst(const packet_buf *pkts, size_t n,
                    bool *foreign_failed = nullptr);

    // Whether the TX ring holds requests we have not consumed.
    bool needs_work() const;

    // Before sleeping: re-arms the TX ring's req_event so the guest
    // notifies on its next request, and returns true if requests arrived
    // meanwhile (then do not sleep).  Requests that the "rate" credit
    // holds back are no work yet: then '*credit_wait_ns' (if not null) is
    // credit_wait_ns(), the longest the caller may sleep; otherwise 0.
    bool final_check(uint64_t *credit_wait_ns = nullptr);

    // Sets the transmit credit (the "rate" key); applies from the next
    // burst.  A window starts now with a full window's credit.
    void set_credit(const netif_credit &);
    // 0 if the guest's next packet may go now, else how many nanoseconds
    // until its credit allows it.  final_check() reports no work while
    // this is not 0.
    uint64_t credit_wait_ns();

    // Switch -> guest, queueing as netback does.  Packets go in order:
    // first what the receive queue holds (rx_queue_run()), then these.
    // One the guest has no buffers for waits in the queue, and so does
    // everything after it; only a full queue drops (counted).  A packet
    // with a source guest's pieces cannot wait (the pieces are valid only
    // for the burst): it and every packet after it are flagged in 'redo'
    // (n entries), for the caller to send again from its own copy, in
    // order; without 'redo' they are dropped.  'redo' also flags, as
    // rx_burst()'s 'foreign_failed' does, a guest-to-guest copy that
    // failed on the source's side.  Returns how many were delivered or
    // queued.  While the guest is stalled (netif_rx_queue_limits) nothing
    // waits: this is rx_burst().
    size_t rx_send(const packet_view *pkts, size_t n, bool *redo = nullptr);
    size_t rx_send(const packet_buf *pkts, size_t n, bool *redo = nullptr);
    // Delivers what waits in the receive queue, as far as the guest has
    // posted buffers, and flushes it (a stall) if nothing of it could go
    // for the stall timeout.  Returns how many packets were delivered.
    size_t rx_queue_run();
    // Before sleeping: true if the oldest queued packet can go now (call
    // rx_queue_run()); otherwise asks the guest to notify when it posts
    // the buffers that packet needs (req_event, then a re-check, as
    // final_check() does), and '*wait_ns' is how long the caller may sleep
    // before the stall timeout needs rx_queue_run().  False with '*wait_ns'
    // 0 when nothing waits.
    bool rx_queue_final_check(uint64_t *wait_ns);
    // Gives the receive queue's memory back if it has not been used since
    // the last call (the main thread calls it once a second per queue).
    void rx_queue_trim();
    // New bounds: the stall timeout at once, the sizes once what waits
    // now has gone (the queue is then made again).
    void set_rx_queue_limits(const netif_rx_queue_limits &);
    size_t rx_queued_packets() const { return rxq_ ? rxq_->size() : 0; }
    uint64_t rx_queued_bytes() const { return rxq_ ? rxq_->bytes() : 0; }
    bool rx_stalled() const { return rx_stalled_; }

    // For a caller that holds packets for the guest instead of dropping
    // them: true if at least 'slots' RX buffers are posted; otherwise asks
    // the guest to notify when it posts up to that many (req_event) and
    // re-checks, like final_check().
    bool rx_buffers_available(unsigned slots);

    // An event arrived on one of our ports.  Returns needs_work().
    // Counts events that found no work (no TX request, and no RX buffer
    // posted since the last look: an RX index that did not move forward
    // counts as none); too many in a row fail the vif.
    bool on_event(evtchn_port_t port);

    // Fails the vif (frontend_gone) if the frontend's domain has gone.
    // A call into the hypervisor: linc_vif_run() makes it once a second
    // per vif from the main thread, never per packet.  Returns !failed().
    bool check_alive();

    // The caller dropped a packet of a TX burst (answered OK) because its
    // partial checksum cannot be completed.
    void count_tx_dropped_csum() { counters_.tx_dropped_csum++; }

    netif_status state() const;
    bool failed() const { return error_ != netif_error::none; }
    const netif_counters &counters() const { return counters_; }
    const netif_backend_config &config() const { return config_; }

    // The largest packet a TX burst can produce / the guest can receive.
    uint32_t max_tx_packet() const;
    uint32_t max_rx_packet() const;

private:
    struct tx_pending;          // one packet being gathered
    struct rx_pending;          // one packet being delivered

    template <typename PKT>
    size_t rx_burst_impl(const PKT *pkts, size_t n, bool *foreign_failed,
                         size_t *stop_at = nullptr);
    template <typename PKT>
    size_t rx_send_impl(const PKT *pkts, size_t n, bool *redo);
    bool rx_room_for(uint32_t len, bool gso) const;
    void fail(netif_error e, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
    void count_error(netif_error e);
    void notify(evtchn_port_t port);
    enum class parse_result { parsed, incomplete, malformed };
    parse_result parse_tx_packet(const netif_tx_request &first,
                                 RING_IDX prod, tx_pending *p,
                                 packet_buf *out, size_t *nsegs,
                                 uint32_t copy_limit);
    bool tx_take_buffer(tx_pending *p, packet_buf *out, uint32_t total);
    parse_result parse_tx_single(const netif_tx_request &req, RING_IDX next,
                                 tx_pending *p, packet_buf *out,
                                 size_t *nsegs, uint32_t copy_limit);
    size_t tx_gather(packet_buf *out, size_t max, uint32_t copy_limit);
    void tx_respond(size_t npkts);
    bool grant_copy(size_t nsegs);
    int16_t dest_probe(const grant_copy_segment &failed_seg);
    void fail_frontend_gone();

    backend_platform *platform_;
    netif_backend_config config_;
    netif_tx_back_ring tx_;
    netif_rx_back_ring rx_;

    netif_error error_ = netif_error::none;
    char reason_[160] = "";
    netif_counters counters_{};
    uint32_t spurious_run_ = 0;
    RING_IDX rx_prod_seen_ = 0;
    size_t tx_open_ = 0;        // packets of an unfinished split burst

    // The receive queue (rx_send()), made when first needed.
    std::unique_ptr<rx_fifo> rxq_;
    uint64_t rx_progress_ns_ = 0;   // last delivery from it, or its start
    bool rx_queue_used_ = false;    // since the last rx_queue_trim()
    bool rx_stalled_ = false;

    // Transmit credit (set_credit()); 'credit_.bytes' 0 is unlimited.
    bool tx_credit_allows(uint32_t size);
    netif_credit credit_;
    uint64_t credit_left_ = 0;
    uint64_t credit_window_start_ns_ = 0;

    // Burst scratch, sized once.
    std::vector<grant_copy_segment> segs_;
    std::vector<tx_pending> tx_pkts_;
    std::vector<rx_pending> rx_pkts_;
    std::bitset<65536> tx_ids_;   // ids consumed in this burst
    std::bitset<65536> rx_ids_;
};

}  // namespace linc::xen

#endif  // netdev-xen/netif-backend.h
