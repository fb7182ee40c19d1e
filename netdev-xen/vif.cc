// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// One Xen vif: xenbus handshake + platform + netif backends (linc-vif.h).

#include "netdev-xen/linc-vif.h"

#include <algorithm>
#include <atomic>
#include <chrono>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "netdev-xen/gso.h"
#include "netdev-xen/l4-csum.h"
#include "netdev-xen/netif-backend.h"
#include "netdev-xen/vif-xenbus.h"
#include "netdev-xen/xen-platform.h"

using namespace linc::xen;

static_assert(LINC_VIF_CSUM_BLANK == packet_csum_blank, "flag values");
static_assert(LINC_VIF_DATA_VALIDATED == packet_data_validated, "flag values");
static_assert(LINC_VIF_GSO_TCPV4 == XEN_NETIF_GSO_TYPE_TCPV4, "gso values");
static_assert(LINC_VIF_RX_QUEUE_BYTES == netif_rx_queue_limits{}.max_bytes
              && LINC_VIF_RX_QUEUE_PACKETS
                 == netif_rx_queue_limits{}.max_packets
              && LINC_VIF_RX_STALL_TIMEOUT_MS
                 == netif_rx_queue_limits{}.stall_timeout_ms,
              "one set of defaults");
static_assert(LINC_VIF_GSO_TCPV6 == XEN_NETIF_GSO_TYPE_TCPV6, "gso values");
static_assert(sizeof(linc_vif_pkt) == sizeof(packet_buf), "same layout");
static_assert(offsetof(linc_vif_pkt, gso_size) == offsetof(packet_buf, gso_size),
              "same layout");
static_assert(offsetof(linc_vif_pkt, frags) == offsetof(packet_buf, frags)
              && offsetof(linc_vif_pkt, copied) == offsetof(packet_buf, copied),
              "same layout");
static_assert(offsetof(linc_vif_pkt, data) == offsetof(packet_buf, data)
              && offsetof(linc_vif_pkt, len) == offsetof(packet_buf, len)
              && offsetof(linc_vif_pkt, flags) == offsetof(packet_buf, flags)
              && offsetof(linc_vif_pkt, gso_type)
                 == offsetof(packet_buf, gso_type),
              "same layout");
static_assert(sizeof(linc_vif_frags) == sizeof(frame_frags)
              && LINC_VIF_MAX_FRAGS == netif_max_slots
              && offsetof(linc_vif_frags, n) == offsetof(frame_frags, n)
              && sizeof(linc_vif_frag) == sizeof(grant_frag),
              "same layout");

namespace {

constexpr unsigned max_queues_limit = 16;

// One queue pair.  Each has its own platform handles (event channels, grant
// copy) so that forwarding threads serving different queues never share
// one, and its own mutex, held by a forwarding thread for one burst and by
// the main thread while it connects or disconnects the queue.
struct vif_queue {
    std::mutex mu;
    std::unique_ptr<backend_platform> platform;
    void *tx_ring = nullptr;
    void *rx_ring = nullptr;
    evtchn_port_t tx_port = 0;
    evtchn_port_t rx_port = 0;
    bool tx_bound = false;
    bool rx_bound = false;
    std::unique_ptr<netif_backend> backend;     // Null while disconnected.
    netif_counters retired{};                   // Of torn-down backends.
    netif_rx_queue_limits rx_limits;            // For the next backend.

    // Late unmasking of spurious events (see drain_events_locked()).
    bool tx_work_seen = false;                  // Since the last drain.
    uint32_t spurious_streak = 0;
    std::vector<evtchn_port_t> masked;          // Left masked, for now.
    std::chrono::steady_clock::time_point unmask_at{};
    uint64_t throttled = 0;                     // Events left masked.

    void disconnect_locked();
    int connect_locked(domid_t fe, const vif_frontend_params &,
                       const vif_queue_params &, std::string *why);
    void drain_events_locked();
    void unmask_deferred_locked();
    int ms_until_unmask_locked() const;
};

void add_counters(netif_counters *sum, const netif_counters &c)
{
    sum->tx_packets += c.tx_packets;
    sum->tx_bytes += c.tx_bytes;
    sum->rx_packets += c.rx_packets;
    sum->rx_bytes += c.rx_bytes;
    sum->tx_errors += c.tx_errors;
    sum->rx_errors += c.rx_errors;
    sum->rx_dropped_no_buffers += c.rx_dropped_no_buffers;
    sum->rx_dropped_too_big += c.rx_dropped_too_big;
    sum->rx_dropped_failed += c.rx_dropped_failed;
    sum->tx_dropped_no_room += c.tx_dropped_no_room;
    sum->tx_dropped_csum += c.tx_dropped_csum;
    sum->tx_dropped_runt += c.tx_dropped_runt;
    sum->tx_dropped_too_many_slots += c.tx_dropped_too_many_slots;
    sum->tx_credit_waits += c.tx_credit_waits;
    sum->rx_queued += c.rx_queued;
    sum->rx_dropped_queue_full += c.rx_dropped_queue_full;
    sum->rx_dropped_stalled += c.rx_dropped_stalled;
    sum->rx_stalls += c.rx_stalls;
    sum->rx_dropped_offload += c.rx_dropped_offload;
    sum->rx_dropped_invalid += c.rx_dropped_invalid;
}

void vif_queue::disconnect_locked()
{
    if (backend) {
        add_counters(&retired, backend->counters());
        // What still waited for the guest's buffers goes with the rings.
        retired.rx_dropped_failed += backend->rx_queued_packets();
    }
    backend.reset();
    masked.clear();             // Unbound below, masks and all.
    spurious_streak = 0;
    if (tx_bound) {
        platform->unbind(tx_port);
    }
    if (rx_bound) {
        platform->unbind(rx_port);
    }
    if (tx_ring) {
        platform->unmap(tx_ring, 1);
    }
    if (rx_ring) {
        platform->unmap(rx_ring, 1);
    }
    tx_ring = rx_ring = nullptr;
    tx_bound = rx_bound = false;
}

int vif_queue::connect_locked(domid_t fe, const vif_frontend_params &p,
                              const vif_queue_params &qp, std::string *why)
{
    // A bad ring reference is the frontend's fault: the platform checks it
    // is granted to us before mapping anything.
    tx_ring = platform->map_grant_refs(fe, &qp.tx_ring_ref, 1, false);
    rx_ring = tx_ring ? platform->map_grant_refs(fe, &qp.rx_ring_ref, 1, false)
                      : nullptr;
    if (!tx_ring || !rx_ring) {
        *why = std::string("cannot map the ring pages (")
               + std::strerror(errno) + ")";
        return EINVAL;
    }
    int error = platform->bind_interdomain(fe, qp.evtchn_tx, &tx_port);
    tx_bound = !error;
    if (!error && qp.split) {
        error = platform->bind_interdomain(fe, qp.evtchn_rx, &rx_port);
        rx_bound = !error;
    } else {
        rx_port = tx_port;
    }
    if (error) {
        *why = std::string("cannot bind the event channel (")
               + std::strerror(error) + ")";
        return error;
    }

    netif_backend_config cfg;
    cfg.frontend_domid = fe;
    cfg.features.sg = p.sg;
    cfg.features.gso_tcpv4 = p.gso_tcpv4;
    cfg.features.gso_tcpv6 = p.gso_tcpv6;
    cfg.features.rx_csum = p.csum_offload;
    cfg.features.rx_copy = true;
    cfg.features.tx_gso_tcpv4 = true;   // We advertise both (see create).
    cfg.features.tx_gso_tcpv6 = true;
    cfg.tx_port = tx_port;
    cfg.rx_port = rx_port;
    cfg.rx_queue = rx_limits;
    backend = std::make_unique<netif_backend>(platform.get(), tx_ring, rx_ring,
                                              cfg);
    return 0;
}

// Events are unmasked only once the backend has looked at the work they
// announced, as Linux's late EOI (XSA-332) does, and a run of events that
// announced nothing is unmasked later and later: 1 ms after the second,
// doubling per event up to a second.  A guest that notifies without
// posting work can then wake a forwarding thread a few times a second at
// most, whatever it does; one that posts work is served at once, and its
// ring is polled anyway whenever the thread is awake for other vifs.
//
// Unlike an interrupt handler we drain events only before sleeping, so an
// event whose requests a busy poll already took finds an empty ring: if
// this queue delivered packets since the last drain, its events announced
// real work and none of them counts against it.
void vif_queue::drain_events_locked()
{
    unmask_deferred_locked();
    const bool worked = tx_work_seen;
    tx_work_seen = false;
    if (worked) {
        spurious_streak = 0;
        for (evtchn_port_t port : masked) {
            platform->unmask(port);
        }
        masked.clear();
    }
    // Bounded: an event-channel storm cannot keep us here.
    for (int i = 0; i < 64; i++) {
        int port = platform->pending();
        if (port < 0) {
            break;
        }
        bool spurious = false;
        if (backend) {
            uint64_t before = backend->counters().spurious_events;
            backend->on_event(static_cast<evtchn_port_t>(port));
            spurious = backend->counters().spurious_events != before;
        }
        if (!spurious || worked) {
            spurious_streak = 0;
            platform->unmask(static_cast<evtchn_port_t>(port));
            continue;
        }
        if (++spurious_streak < 2) {
            platform->unmask(static_cast<evtchn_port_t>(port));
            continue;
        }
        const unsigned shift = std::min(spurious_streak - 2, 10u);
        const auto delay = std::min(std::chrono::milliseconds(1u << shift),
                                    std::chrono::milliseconds(1000));
        unmask_at = std::chrono::steady_clock::now() + delay;
        if (std::find(masked.begin(), masked.end(),
                      static_cast<evtchn_port_t>(port)) == masked.end()) {
            masked.push_back(static_cast<evtchn_port_t>(port));
        }
        throttled++;
    }
}

void vif_queue::unmask_deferred_locked()
{
    if (masked.empty()
        || std::chrono::steady_clock::now() < unmask_at) {
        return;
    }
    for (evtchn_port_t port : masked) {
        platform->unmask(port);
    }
    masked.clear();
}

// -1 if nothing is left masked, else how long until it is unmasked.
int vif_queue::ms_until_unmask_locked() const
{
    if (masked.empty()) {
        return -1;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        unmask_at - std::chrono::steady_clock::now());
    return static_cast<int>(std::max<long long>(left.count(), 0) + 1);
}

}  // namespace

struct linc_vif {
    linc_vif_options opts{};
    std::string simxen_dir;
    std::string platform_name;
    std::unique_ptr<xs_store> xs;
    std::unique_ptr<vif_xenbus> bus;

    // 'opts.max_queues' entries, fixed after creation.  Queues below
    // 'n_connected' have a backend (unless it is being torn down).
    std::vector<std::unique_ptr<vif_queue>> queues;
    std::atomic<int> n_connected{0};
    // The largest packet the connected queues can produce, fixed per
    // connection, so forwarding threads size buffers without locking.
    std::atomic<uint32_t> max_packet{65536};
    std::atomic<bool> partial_csum{false};  // frontend takes csum_blank
    // Frontend takes GSO frames whole (feature-gso-tcpv4/-v6, with
    // feature-sg to take them in several slots and partial checksums).
    std::atomic<bool> takes_gso_v4{false}, takes_gso_v6{false};

    // Main thread only.
    std::string failure;                // Why the last connection failed.
    std::string last_failure;           // Kept across reconnections.
    uint64_t n_failures = 0;
    // When the connected queues last asked the hypervisor whether the
    // guest's domain still exists.
    std::chrono::steady_clock::time_point last_alive_check{};
    bool failure_unreported = false;
    bool reattach_unreported = false;   // See linc_vif_take_reattached().

    int open_platform(std::unique_ptr<backend_platform> *out) const
    {
        return opts.sim ? open_simxen_platform(simxen_dir + "/control", 0, out)
                        : open_xen_platform(out);
    }
    // The toolstack's "rate" key (netback's credit), as last read.
    netif_credit credit;
    std::string rate_key;       // Its value, for the status ("" if none).

    void disconnect_all();
    void kick_all();
    int connect_all(std::string *why);
    void read_rate();
    void record_failure(const std::string &why)
    {
        failure = why;
        last_failure = why;
        n_failures++;
        failure_unreported = true;
    }
};

// After taking rings over: one notification on every port.  The backend
// before us may have died between publishing responses and notifying, and
// a frontend that waits for that event (Linux's netfront polls its RX ring
// only when notified) would wait for ever; a spurious event costs it
// nothing.
void linc_vif::kick_all()
{
    for (auto &q : queues) {
        std::lock_guard<std::mutex> g(q->mu);
        if (q->tx_bound) {
            q->platform->notify(q->tx_port);
        }
        if (q->rx_bound && q->rx_port != q->tx_port) {
            q->platform->notify(q->rx_port);
        }
    }
}

void linc_vif::disconnect_all()
{
    n_connected.store(0, std::memory_order_release);
    for (auto &q : queues) {
        std::lock_guard<std::mutex> g(q->mu);
        q->disconnect_locked();
    }
}

// Reads the backend directory's "rate" key (written by the toolstack, as
// xl's vif "rate=" option does; the guest cannot write there) and gives
// every connected queue that credit, as netback does.  A value that does
// not parse means no limit, as in netback, and says so in the status.
void linc_vif::read_rate()
{
    auto s = xs->read(bus->backend_path() + "/rate");
    rate_key.clear();
    credit = netif_credit{};
    if (s) {
        if (parse_netif_rate(s->c_str(), &credit)) {
            rate_key = *s;
        } else {
            rate_key = "unparsable, unlimited: " + quote_guest_value(*s, 32);
        }
    }
    for (auto &q : queues) {
        std::lock_guard<std::mutex> g(q->mu);
        if (q->backend) {
            q->backend->set_credit(credit);
        }
    }
}

int linc_vif::connect_all(std::string *why)
{
    const vif_frontend_params &p = bus->params();
    for (size_t i = 0; i < p.queues.size(); i++) {
        vif_queue &q = *queues[i];
        std::lock_guard<std::mutex> g(q.mu);
        int error = q.connect_locked(opts.domid, p, p.queues[i], why);
        if (error) {
            *why = "queue " + std::to_string(i) + ": " + *why;
            return error;
        }
    }
    read_rate();
    uint32_t m = 0;
    for (size_t i = 0; i < p.queues.size(); i++) {
        m = std::max(m, queues[i]->backend->max_tx_packet());
    }
    max_packet.store(m ? m : 65536, std::memory_order_relaxed);
    partial_csum.store(p.csum_offload, std::memory_order_relaxed);
    takes_gso_v4.store(p.sg && p.csum_offload && p.gso_tcpv4,
                       std::memory_order_relaxed);
    // rx_burst() takes csum_blank only with (IPv4's) csum offload, which
    // Linux's netfront ties IPv6's to anyway.
    takes_gso_v6.store(p.sg && p.csum_offload && p.ipv6_csum_offload
                       && p.gso_tcpv6,
                       std::memory_order_relaxed);
    // Release: a thread that sees the count sees the connected queues.
    n_connected.store(static_cast<int>(p.queues.size()),
                      std::memory_order_release);
    return 0;
}

namespace {

// libxenstore only learns where xenstored is from the environment, so
// every simxen user in this process must agree on it.
bool use_simxen_xenstore(const std::string &dir, std::string *why)
{
    std::string xs_path = dir + "/xenstored";
    const char *cur = std::getenv("XENSTORED_PATH");
    if (cur && xs_path != cur) {
        *why = std::string("XENSTORED_PATH is already ") + cur
               + "; one simxen per process";
        return false;
    }
    setenv("XENSTORED_PATH", xs_path.c_str(), 1);
    return true;
}

char *xstrdup_c(const std::string &s)
{
    char *p = static_cast<char *>(std::malloc(s.size() + 1));
    if (p) {
        std::memcpy(p, s.c_str(), s.size() + 1);
    }
    return p;
}

int fail_create(linc_vif *v, char **errp, int error, const std::string &why)
{
    if (errp) {
        *errp = xstrdup_c(why);
    }
    delete v;
    return error;
}

// Other ports expect complete checksums; finish what the guest left
// partial (its NIC offload, in effect).
void complete_csum(linc_vif_pkt &p)
{
    if ((p.flags & LINC_VIF_CSUM_BLANK)
        && linc::complete_l4_csum(p.data, p.len)) {
        p.flags = static_cast<uint16_t>(
            (p.flags & ~LINC_VIF_CSUM_BLANK) | LINC_VIF_DATA_VALIDATED);
    }
}

}  // namespace

extern "C" {

int linc_vif_create(const struct linc_vif_options *opts, struct linc_vif **vifp,
                    char **errp)
{
    auto *v = new linc_vif;
    v->opts = *opts;
    v->opts.max_queues = std::min(std::max(opts->max_queues, 1u),
                                  max_queues_limit);
    int error;

    if (opts->sim) {
        v->simxen_dir = opts->simxen_dir ? opts->simxen_dir : "";
        if (v->simxen_dir.empty()) {
            return fail_create(v, errp, EINVAL,
                               "platform=sim needs the simxen socket directory");
        }
        // libxenstore only learns where xenstored is from the environment.
        // Every sim vif of this process must agree on it.
        std::string why;
        if (!use_simxen_xenstore(v->simxen_dir, &why)) {
            return fail_create(v, errp, EINVAL, why);
        }
        v->platform_name = "sim";
    } else {
        v->platform_name = "xen";
    }
    for (unsigned i = 0; i < v->opts.max_queues; i++) {
        auto q = std::make_unique<vif_queue>();
        error = v->open_platform(&q->platform);
        if (error) {
            return fail_create(v, errp, error,
                               "cannot open the " + v->platform_name
                               + " platform: " + std::strerror(error));
        }
        v->queues.push_back(std::move(q));
    }

    v->xs = open_libxenstore();
    if (!v->xs) {
        error = errno ? errno : EIO;
        return fail_create(v, errp, error,
                           std::string("cannot connect to xenstore: ")
                           + std::strerror(error));
    }

    vif_features features;
    features.max_queues = v->opts.max_queues;
    // GSO from guests is welcome: the netdev cuts such frames into
    // segments in software (gso.h) before they reach the datapath.
    v->bus = std::make_unique<vif_xenbus>(*v->xs,
                                          v->queues[0]->platform->self_domid(),
                                          opts->domid, opts->devid, features);
    error = v->bus->start();
    if (error) {
        return fail_create(v, errp, error, v->bus->last_error());
    }
    *vifp = v;
    return 0;
}

void linc_vif_destroy(struct linc_vif *v)
{
    if (!v) {
        return;
    }
    v->disconnect_all();
    if (v->bus) {
        v->bus->closed();
    }
    delete v;
}

bool linc_vif_run(struct linc_vif *v)
{
    bool changed = false;
    // The Interface status shows both; OVS re-reads it only when told.
    const xenbus_state state_before = v->bus->state();
    const std::string error_before = v->bus->last_error();

    // A domain that died without the toolstack removing its xenstore
    // directory (a crashed or killed toolstack, a destroyed domain whose
    // cleanup never ran) leaves nothing to notice on an idle vif: no
    // watch fires and no grant copy fails.  Ask the hypervisor once a
    // second; a dead frontend then closes below as frontend_gone.
    const auto now = std::chrono::steady_clock::now();
    if (v->n_connected.load(std::memory_order_relaxed)
        && now - v->last_alive_check >= std::chrono::seconds(1)) {
        v->last_alive_check = now;
        bool asked = false;
        for (auto &q : v->queues) {
            std::lock_guard<std::mutex> g(q->mu);
            if (q->backend && !q->backend->failed() && !asked) {
                q->backend->check_alive();
                asked = true;   // One question answers for every queue.
            }
            if (q->backend) {
                // Also here, whatever the forwarding threads do: what
                // waits goes if it can, and a stall is noticed.
                q->backend->rx_queue_run();
                q->backend->rx_queue_trim();
            }
        }
    }

    // A backend that failed on a malformed request closes the connection;
    // the frontend has to start over, and the other vifs never notice.  A
    // frontend whose domain is gone (a grant copy found it dead before
    // xenstore told us, e.g. while it tears down) is not at fault: we just
    // close, as when xenstore tells us first.
    for (auto &q : v->queues) {
        std::string why;
        bool gone = false;
        {
            std::lock_guard<std::mutex> g(q->mu);
            if (q->backend && q->backend->failed()) {
                netif_status st = q->backend->state();
                gone = st.error == netif_error::frontend_gone;
                why = std::string(netif_error_name(st.error)) + ": "
                      + st.reason;
            }
        }
        if (gone) {
            v->disconnect_all();
            v->bus->closed();
            changed = true;
            break;
        }
        if (!why.empty()) {
            v->record_failure(why);
            v->disconnect_all();
            v->bus->failed(why);
            changed = true;
            break;
        }
    }

    switch (v->bus->run()) {
    case vif_xenbus::action::none:
        break;

    case vif_xenbus::action::connect: {
        std::string why;
        if (v->connect_all(&why)) {
            v->disconnect_all();
            if (!v->bus->retry_reattach(why)) {
                v->record_failure(why);
                v->bus->failed(why);
            }
        } else {
            v->failure.clear();
            v->reattach_unreported = v->bus->reattaching();
            if (v->reattach_unreported) {
                v->kick_all();
            }
            v->bus->connected();
        }
        changed = true;
        break;
    }

    case vif_xenbus::action::disconnect:
        v->disconnect_all();
        v->bus->closed();
        changed = true;
        break;
    }
    if (v->bus->take_rate_changed() && v->n_connected.load()) {
        v->read_rate();
    }
    return changed || v->bus->state() != state_before
           || v->bus->last_error() != error_before;
}

bool linc_vif_take_reattached(struct linc_vif *v)
{
    bool r = v->reattach_unreported;
    v->reattach_unreported = false;
    return r;
}

bool linc_vif_take_failure(struct linc_vif *v, char *buf, size_t size)
{
    if (!v->failure_unreported || !size) {
        return false;
    }
    v->failure_unreported = false;
    std::snprintf(buf, size, "%s", v->last_failure.c_str());
    return true;
}

int linc_vif_xs_fd(const struct linc_vif *v)
{
    return v->xs->fd();
}

int linc_vif_run_in_ms(const struct linc_vif *v)
{
    int64_t ms = v->bus->ms_until_offer();
    return ms < 0 ? -1 : static_cast<int>(std::min<int64_t>(ms, INT32_MAX));
}

int linc_vif_n_queues(const struct linc_vif *v)
{
    return v->n_connected.load(std::memory_order_acquire);
}

// Both receives: everything copied (and answered) with UINT32_MAX,
// otherwise a split burst the caller finishes.
static int vif_recv(struct linc_vif *v, int qid, struct linc_vif_pkt *pkts,
                    int max, uint32_t copy_limit)
{
    if (qid < 0 || qid >= linc_vif_n_queues(v) || max <= 0) {
        return 0;
    }
    vif_queue &q = *v->queues[qid];
    std::lock_guard<std::mutex> g(q.mu);
    netif_backend *b = q.backend.get();
    if (!b || b->failed()) {
        return 0;
    }
    // The thread that polls a queue also delivers what waits for its
    // guest's receive buffers: posting them wakes this thread
    // (linc_vif_prepare_wait()).
    b->rx_queue_run();
    // Events are drained only before sleeping (prepare_wait): while the
    // ring has work the guest is not notifying us anyway.
    auto *bufs = reinterpret_cast<packet_buf *>(pkts);
    size_t n = copy_limit == UINT32_MAX
               ? b->tx_burst(bufs, static_cast<size_t>(max))
               : b->tx_burst_split(bufs, static_cast<size_t>(max), copy_limit);
    // Finish partial checksums.  A packet the guest marked csum_blank whose
    // checksum cannot be completed (not TCP or UDP over IP, or lengths
    // that disagree) was answered OK but goes no further, as netback drops
    // it after checksum_setup() fails: no port may get a packet with a
    // checksum nobody can finish.  GSO frames are finished per segment.
    size_t kept = 0;
    q.tx_work_seen |= n != 0;
    for (size_t i = 0; i < n; i++) {
        linc_vif_pkt &p = pkts[i];
        if (p.copied == p.len && p.gso_type == LINC_VIF_GSO_NONE) {
            complete_csum(p);
            if (p.flags & LINC_VIF_CSUM_BLANK) {
                b->count_tx_dropped_csum();
                continue;
            }
        }
        if (kept != i) {
            std::swap(pkts[kept], p);
        }
        kept++;
    }
    return static_cast<int>(kept);
}

int linc_vif_recv(struct linc_vif *v, int qid, struct linc_vif_pkt *pkts,
                  int max)
{
    return vif_recv(v, qid, pkts, max, UINT32_MAX);
}

int linc_vif_recv_split(struct linc_vif *v, int qid, struct linc_vif_pkt *pkts,
                        int max, uint32_t copy_limit)
{
    return vif_recv(v, qid, pkts, max, copy_limit);
}

bool linc_vif_fetch(struct linc_vif *v, int qid, struct linc_vif_pkt *p)
{
    if (p->copied >= p->len) {
        return true;
    }
    if (qid < 0 || qid >= linc_vif_n_queues(v)) {
        return false;
    }
    vif_queue &q = *v->queues[qid];
    std::lock_guard<std::mutex> g(q.mu);
    netif_backend *b = q.backend.get();
    if (!b || !b->tx_fetch(p->token, p->data, p->copied)) {
        return false;
    }
    p->copied = p->len;
    if (p->gso_type != LINC_VIF_GSO_NONE) {
        return true;    // Finished per segment, or by the receiving guest.
    }
    complete_csum(*p);
    if (p->flags & LINC_VIF_CSUM_BLANK) {
        b->count_tx_dropped_csum();     // As vif_recv() drops it.
        return false;
    }
    return true;
}

void linc_vif_finish(struct linc_vif *v, int qid)
{
    if (qid < 0 || qid >= linc_vif_n_queues(v)) {
        return;
    }
    vif_queue &q = *v->queues[qid];
    std::lock_guard<std::mutex> g(q.mu);
    // A queue torn down and reconnected since the receive has a new
    // backend with nothing open: then there is nothing to answer.
    if (q.backend) {
        q.backend->tx_finish();
    }
}

bool linc_vif_can_copy_between(const struct linc_vif *src,
                               const struct linc_vif *dst)
{
    // One hypervisor: both on real Xen, or both on the same simxen.
    return src->opts.sim == dst->opts.sim
           && (!src->opts.sim || src->simxen_dir == dst->simxen_dir);
}

bool linc_vif_takes_partial_csum(const struct linc_vif *v)
{
    return v->partial_csum.load(std::memory_order_relaxed);
}

void linc_vif_set_rx_queue(struct linc_vif *v, uint32_t max_bytes,
                           uint32_t max_packets, uint32_t stall_timeout_ms)
{
    netif_rx_queue_limits l;
    l.max_bytes = max_bytes;
    l.max_packets = max_packets;
    l.stall_timeout_ms = stall_timeout_ms;
    for (auto &q : v->queues) {
        std::lock_guard<std::mutex> g(q->mu);
        q->rx_limits = l;
        if (q->backend) {
            q->backend->set_rx_queue_limits(l);
        }
    }
}

bool linc_vif_fill_csum(struct linc_vif_pkt *p)
{
    if (!linc::fill_l4_csum(p->data, p->len)) {
        return false;
    }
    p->flags = (p->flags & ~LINC_VIF_CSUM_BLANK) | LINC_VIF_DATA_VALIDATED;
    return true;
}

bool linc_vif_takes_gso(const struct linc_vif *v, uint8_t gso_type)
{
    return gso_type == LINC_VIF_GSO_TCPV4
           ? v->takes_gso_v4.load(std::memory_order_relaxed)
           : gso_type == LINC_VIF_GSO_TCPV6
             && v->takes_gso_v6.load(std::memory_order_relaxed);
}

int linc_vif_send(struct linc_vif *v, int qid, const struct linc_vif_pkt *pkts,
                  int n)
{
    return linc_vif_send_ex(v, qid, pkts, n, nullptr);
}

int linc_vif_send_ex(struct linc_vif *v, int qid,
                     const struct linc_vif_pkt *pkts, int n,
                     bool *foreign_failed)
{
    if (n <= 0) {
        return 0;
    }
    // Every entry is an answer, also for packets dropped before any copy
    // (no queue, no backend, a full ring).
    if (foreign_failed) {
        std::fill(foreign_failed, foreign_failed + n, false);
    }
    int nq = linc_vif_n_queues(v);
    if (!nq) {
        return 0;
    }
    vif_queue &q = *v->queues[static_cast<unsigned>(qid < 0 ? 0 : qid) % nq];
    std::lock_guard<std::mutex> g(q.mu);
    netif_backend *b = q.backend.get();
    if (!b) {
        return 0;
    }
    // linc_vif_pkt is a packet_buf ('frags', when set, the source guest's
    // pieces), which rx_burst() takes as it is.
    auto *bufs = reinterpret_cast<const packet_buf *>(pkts);
    return static_cast<int>(b->rx_send(bufs, static_cast<size_t>(n),
                                       foreign_failed));
}

int linc_vif_prepare_wait(struct linc_vif *v, int qid, bool *work,
                          int *timeout_ms)
{
    *work = false;
    *timeout_ms = -1;
    if (qid < 0 || qid >= linc_vif_n_queues(v)) {
        return -1;
    }
    vif_queue &q = *v->queues[qid];
    std::lock_guard<std::mutex> g(q.mu);
    netif_backend *b = q.backend.get();
    if (!b || b->failed()) {
        return -1;
    }
    q.drain_events_locked();
    uint64_t wait_ns, rx_wait_ns;
    if (b->final_check(&wait_ns) || b->rx_queue_final_check(&rx_wait_ns)) {
        *work = true;
        return -1;
    }
    if (rx_wait_ns && (!wait_ns || rx_wait_ns < wait_ns)) {
        wait_ns = rx_wait_ns;   // The receive queue's stall timeout.
    }
    // A masked port raises no event: look again when it is unmasked; nor
    // does a guest whose requests wait for their "rate" credit.
    *timeout_ms = q.ms_until_unmask_locked();
    if (wait_ns) {
        int ms = static_cast<int>(std::min<uint64_t>(wait_ns / 1000000 + 1,
                                                     1000));
        *timeout_ms = *timeout_ms < 0 ? ms : std::min(*timeout_ms, ms);
    }
    return q.platform->evtchn_fd();
}

uint32_t linc_vif_max_packet(const struct linc_vif *v)
{
    return v->max_packet.load(std::memory_order_relaxed);
}

void linc_vif_get_stats(const struct linc_vif *v, struct linc_vif_stats *s)
{
    netif_counters c{};
    uint64_t queue_packets = 0, queue_bytes = 0;
    for (auto &q : v->queues) {
        std::lock_guard<std::mutex> g(q->mu);
        add_counters(&c, q->retired);
        if (q->backend) {
            add_counters(&c, q->backend->counters());
            queue_packets += q->backend->rx_queued_packets();
            queue_bytes += q->backend->rx_queued_bytes();
        }
    }
    // The netdev's view: its rx is the guest's TX.
    s->rx_packets = c.tx_packets;
    s->rx_bytes = c.tx_bytes;
    s->rx_errors = c.tx_errors;
    // Runts were answered with errors and are counted there too.
    s->rx_dropped = c.tx_dropped_no_room + c.tx_dropped_csum;
    s->tx_packets = c.rx_packets;
    s->tx_bytes = c.rx_bytes;
    s->tx_errors = c.rx_errors;
    s->tx_dropped = c.rx_dropped_no_buffers + c.rx_dropped_too_big
                    + c.rx_dropped_failed + c.rx_dropped_offload
                    + c.rx_dropped_invalid + c.rx_dropped_queue_full
                    + c.rx_dropped_stalled;
    s->tx_queued = c.rx_queued;
    s->tx_queue_packets = queue_packets;
    s->tx_queue_bytes = queue_bytes;
    s->tx_dropped_queue_full = c.rx_dropped_queue_full;
    s->tx_dropped_stalled = c.rx_dropped_stalled;
    s->tx_stalls = c.rx_stalls;
}

void linc_vif_get_status(const struct linc_vif *v,
                         void (*add)(void *, const char *, const char *),
                         void *aux)
{
    int nq = linc_vif_n_queues(v);
    add(aux, "platform", v->platform_name.c_str());
    add(aux, "xenbus_state", xenbus_state_name(v->bus->state()));
    add(aux, "backend_path", v->bus->backend_path().c_str());
    add(aux, "queues", std::to_string(nq).c_str());
    add(aux, "max_queues", std::to_string(v->queues.size()).c_str());
    add(aux, "failures", std::to_string(v->n_failures).c_str());
    if (!v->last_failure.empty()) {
        add(aux, "last_failure", v->last_failure.c_str());
    }
    if (!v->failure.empty()) {
        add(aux, "error", v->failure.c_str());
    } else if (!v->bus->last_error().empty()) {
        add(aux, "error", v->bus->last_error().c_str());
    }
    uint64_t throttled = 0, credit_waits = 0;
    for (auto &q : v->queues) {
        std::lock_guard<std::mutex> g(q->mu);
        throttled += q->throttled;
        credit_waits += q->retired.tx_credit_waits
                        + (q->backend ? q->backend->counters().tx_credit_waits
                                      : 0);
    }
    if (throttled) {
        add(aux, "events_throttled", std::to_string(throttled).c_str());
    }
    if (v->bus->backoff_ms()) {
        add(aux, "reconnect_backoff_ms",
            std::to_string(v->bus->backoff_ms()).c_str());
    }
    if (!v->rate_key.empty()) {
        add(aux, "rate", v->rate_key.c_str());
        add(aux, "rate_waits", std::to_string(credit_waits).c_str());
    }
    uint8_t mac[6];
    if (linc_vif_get_mac(v, mac)) {
        char m[18];
        std::snprintf(m, sizeof m, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0],
                      mac[1], mac[2], mac[3], mac[4], mac[5]);
        add(aux, "guest_mac", m);
    }
    if (nq && v->bus->reattached()) {
        add(aux, "reattached", "true");
    }
    if (nq) {
        const vif_frontend_params &p = v->bus->params();
        std::string f;
        f += p.sg ? "sg " : "";
        f += p.gso_tcpv4 ? "gso-tcpv4 " : "";
        f += p.gso_tcpv6 ? "gso-tcpv6 " : "";
        f += p.csum_offload ? "csum " : "";
        f += p.ipv6_csum_offload ? "ipv6-csum " : "";
        f += p.rx_notify ? "rx-notify " : "";
        f += p.queues[0].split ? "split-evtchn " : "";
        if (!f.empty()) {
            f.pop_back();
        }
        add(aux, "features", f.c_str());
    }
}

size_t linc_vif_segment(const struct linc_vif_pkt *p,
                        void (*emit)(void *, const uint8_t *, size_t),
                        void *aux, bool *too_many_segs)
{
    linc::gso_refusal why;
    size_t n = linc::tcp_segment(p->data, p->len, p->gso_size, emit, aux,
                                 &why);
    *too_many_segs = why == linc::gso_refusal::too_many_segments;
    return n;
}

bool linc_vif_gso_prepare(struct linc_vif_pkt *p, bool *too_many_segs)
{
    linc::gso_refusal why;
    bool ok = linc::gso_prepare(p->data, p->len, std::min(p->copied, p->len),
                                p->gso_size, p->gso_type == LINC_VIF_GSO_TCPV6,
                                &why);
    *too_many_segs = !ok && why == linc::gso_refusal::too_many_segments;
    if (ok) {
        p->flags = (p->flags & ~LINC_VIF_DATA_VALIDATED) | LINC_VIF_CSUM_BLANK;
    }
    return ok;
}

static_assert(LINC_VIF_GSO_MAX_SEGS == linc::gso_max_segments, "same bound");

struct linc_vif_claimer {
    std::unique_ptr<xs_store> xs;
    std::unique_ptr<vif_claimer> claimer;
};

int linc_vif_claimer_create(bool sim, const char *simxen_dir,
                            struct linc_vif_claimer **cp, char **errp)
{
    std::string why;
    if (sim && !use_simxen_xenstore(simxen_dir ? simxen_dir : "", &why)) {
        if (errp) {
            *errp = xstrdup_c(why);
        }
        return EINVAL;
    }
    auto c = std::make_unique<linc_vif_claimer>();
    c->xs = open_libxenstore();
    if (!c->xs) {
        int error = errno ? errno : EIO;
        if (errp) {
            *errp = xstrdup_c(std::string("cannot connect to xenstore: ")
                              + std::strerror(error));
        }
        return error;
    }
    // Our domain: 0 in dom0 and on simxen, a driver domain's id otherwise.
    auto self = sim ? std::optional<uint64_t>(0)
                    : parse_xs_uint(c->xs->read("domid"), 0x7fef);
    vif_features features;          // As linc_vif_create offers.
    c->claimer = std::make_unique<vif_claimer>(
        *c->xs, static_cast<domid_t>(self ? *self : 0), features);
    int error = c->claimer->start();
    if (error) {
        if (errp) {
            *errp = xstrdup_c("cannot watch the vif backend directory");
        }
        return error;
    }
    *cp = c.release();
    return 0;
}

void linc_vif_claimer_destroy(struct linc_vif_claimer *c)
{
    delete c;
}

int linc_vif_claimer_run(struct linc_vif_claimer *c)
{
    return c->claimer->run();
}

int linc_vif_claimer_fd(const struct linc_vif_claimer *c)
{
    return c->xs->fd();
}

size_t linc_vif_claimer_connected(struct linc_vif_claimer *c, int *domids,
                                  int *devids, size_t max)
{
    size_t n = 0;
    for (const auto &v : c->claimer->connected_vifs()) {
        if (n == max) {
            break;
        }
        domids[n] = v.first;
        devids[n] = static_cast<int>(v.second);
        n++;
    }
    return n;
}

bool linc_vif_get_mac(const struct linc_vif *v, uint8_t mac[6])
{
    auto s = v->xs->read(v->bus->backend_path() + "/mac");
    unsigned b[6];
    if (!s || std::sscanf(s->c_str(), "%2x:%2x:%2x:%2x:%2x:%2x", &b[0], &b[1],
                          &b[2], &b[3], &b[4], &b[5]) != 6) {
        return false;
    }
    for (int i = 0; i < 6; i++) {
        mac[i] = static_cast<uint8_t>(b[i]);
    }
    return true;
}

}  // extern "C"
