// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// The xenbus side of one vif backend: the handshake with a netfront through
// xenstore, as Linux xen-netback and QEMU's xen_nic follow it.
//
//   backend                               frontend
//   -------                               --------
//   write feature-* keys, state=InitWait
//                                         write ring refs, event channels,
//                                         request-rx-copy..., state=Connected
//   read and validate them (once), map
//   rings, bind event channels,
//   state=Connected
//   ...
//                                         state=Closing / Closed, or dies
//   unmap, unbind, state=Closed;
//   when the frontend is back at
//   Initialising: state=InitWait again
//
// A backend that stops (exits, crashes, is killed) leaves its vifs'
// state Connected, and the next one takes the rings over where they are
// (start()): the frontend never sees a state change.
//
// Everything the frontend wrote is untrusted: each key is read once, parsed
// strictly and bounded before it is used.  A bad value fails the handshake
// with a reason (the vif goes to Closed and waits for a new attempt); it
// never reaches the ring code.
//
// xenstore access goes through 'xs_store' so the state machine is tested
// with an in-memory store; the real one wraps libxenstore (which talks to
// xenstored, or to simxen's xenstored through XENSTORED_PATH).

#ifndef LINC_VIF_XENBUS_H
#define LINC_VIF_XENBUS_H 1

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "netdev-xen/xen-platform.h"

namespace linc::xen {

enum class xenbus_state : int {
    unknown = 0,
    initialising = 1,
    init_wait = 2,
    initialised = 3,
    connected = 4,
    closing = 5,
    closed = 6,
    reconfiguring = 7,
    reconfigured = 8,
};

const char *xenbus_state_name(xenbus_state);

// The xenstore operations the handshake needs.  Paths are absolute.
class xs_store {
public:
    virtual ~xs_store() = default;
    virtual std::optional<std::string> read(const std::string &path) = 0;
    virtual bool write(const std::string &path, const std::string &value) = 0;
    virtual bool rm(const std::string &path) = 0;
    // Children of 'path' (empty if none or if it does not exist).
    virtual std::vector<std::string> directory(const std::string &path) = 0;
    virtual bool watch(const std::string &path, const std::string &token) = 0;
    virtual bool unwatch(const std::string &path, const std::string &token) = 0;
    // Fired watches since the last call: (path, token) pairs.  Never blocks.
    virtual std::vector<std::pair<std::string, std::string>> poll_watches() = 0;
    // Readable when a watch may have fired; -1 if the store has no fd.
    virtual int fd() const = 0;
};

// Connects to xenstored with libxenstore (honouring XENSTORED_PATH).
// Returns nullptr and sets errno on failure.
std::unique_ptr<xs_store> open_libxenstore();

// What we advertise (and then accept) for one vif.
struct vif_features {
    bool sg = true;                 // feature-sg
    bool gso_tcpv4 = true;          // feature-gso-tcpv4
    bool gso_tcpv6 = true;          // feature-gso-tcpv6
    bool ipv6_csum_offload = true;  // feature-ipv6-csum-offload
    bool split_event_channels = true;
    unsigned max_queues = 1;        // multi-queue-max-queues, 1..16
};

// The validated copy of what the frontend wrote, per queue.
struct vif_queue_params {
    grant_ref_t tx_ring_ref = 0;
    grant_ref_t rx_ring_ref = 0;
    evtchn_port_t evtchn_tx = 0;    // Equal to evtchn_rx without split
    evtchn_port_t evtchn_rx = 0;    // event channels.
    bool split = false;
};

struct vif_frontend_params {
    std::vector<vif_queue_params> queues;
    bool sg = false;
    bool gso_tcpv4 = false;
    bool gso_tcpv6 = false;
    bool csum_offload = true;       // feature-no-csum-offload inverted
    bool ipv6_csum_offload = false;
    bool rx_notify = false;         // feature-rx-notify
};

// Parses a decimal unsigned key value strictly (no sign, no spaces, no
// trailing garbage, at most 'max').  Exposed for the tests.
std::optional<uint64_t> parse_xs_uint(const std::optional<std::string> &,
                                      uint64_t max);

// 's' (guest-written bytes) as a double-quoted printable-ASCII string fit
// for OVSDB, xenstore and logs: other bytes become \xNN, and at most 'max'
// bytes of 's' are shown, followed by its length if it was longer.
std::string quote_guest_value(const std::string &s, size_t max);

class vif_xenbus {
public:
    // What the caller should do after run().
    enum class action {
        none,
        connect,        // params() holds a validated frontend; map and bind,
                        // then call connected() or failed().
        disconnect,     // Unmap and unbind now, then call closed().
    };

    // Milliseconds on a monotonic clock (replaceable for tests).
    using clock_fn = std::function<uint64_t()>;

    vif_xenbus(xs_store &, domid_t backend, domid_t frontend, unsigned devid,
               const vif_features &, clock_fn clock = nullptr);
    ~vif_xenbus();

    // Checks the toolstack made our backend directory, publishes features
    // and goes InitWait.  ENOENT if the backend directory is missing.
    //
    // Unless a backend before us left the vif Connected and the frontend is
    // Connected too (ovs-vswitchd-linc restarted, also after a crash): then
    // nothing is written, and the next run() asks to connect to the rings
    // the frontend published (action::connect, reattaching() true), which
    // the caller does as for a new connection: the ring code attaches after
    // the responses already published (BACK_RING_ATTACH).  If that fails,
    // failed() closes the vif as for a bad handshake.
    int start();

    // Handles fired watches (and the initial state).  Cheap when nothing
    // changed; call it when the store's fd is readable.
    action run();

    const vif_frontend_params &params() const { return params_; }

    // A frontend that keeps failing (a bad handshake, a malformed request)
    // or keeps connecting and closing is offered the backend again only
    // after a delay that doubles each time, from 100 ms up to 30 s, and
    // resets once a connection has lasted 10 s.  A starting frontend
    // simply waits in Initialising meanwhile, as for a slow backend.
    // Milliseconds until run() would offer again (or retry a take-over);
    // -1 if nothing waits.
    int64_t ms_until_offer() const;
    uint64_t backoff_ms() const { return backoff_ms_; }
    // Whether the toolstack wrote our "rate" key since the last call.
    bool take_rate_changed()
    {
        bool c = rate_changed_;
        rate_changed_ = false;
        return c;
    }
    void connected();                     // Rings are up: state=Connected.
    // Whether the connection being made takes over a frontend's live rings
    // (see start()), and whether the current one did.
    bool reattaching() const { return reattach_; }
    // A take-over that failed ('why'), perhaps for a passing reason (the
    // previous backend's ports not yet closed by the kernel as it exits):
    // true if run() will ask to connect again in reattach_retry_delay_ms,
    // nothing written meanwhile (ms_until_offer() says when); false once
    // reattach_max_tries have failed, when the caller gives up (failed()).
    bool retry_reattach(const std::string &why);
    static constexpr unsigned reattach_max_tries = 20;
    static constexpr uint64_t reattach_retry_delay_ms = 100;
    bool reattached() const { return reattached_; }
    void failed(const std::string &why);  // Handshake failed: state=Closed.
    void closed();                        // After a disconnect: Closed.

    xenbus_state state() const { return state_; }
    const std::string &last_error() const { return last_error_; }
    const std::string &backend_path() const { return backend_path_; }
    const std::string &frontend_path() const { return frontend_path_; }

private:
    bool set_state(xenbus_state);
    xenbus_state read_frontend_state();
    bool read_frontend(std::string *why);
    bool read_queue(const std::string &dir, vif_queue_params *, std::string *why);

    xs_store &xs_;
    const domid_t backend_;
    const domid_t frontend_;
    const unsigned devid_;
    const vif_features features_;
    std::string backend_path_;
    std::string frontend_path_;
    std::string token_;
    xenbus_state state_ = xenbus_state::unknown;
    xenbus_state last_frontend_state_ = xenbus_state::unknown;
    vif_frontend_params params_;
    std::string last_error_;
    bool watching_ = false;
    bool rate_changed_ = false;
    bool reattach_ = false;
    bool reattached_ = false;
    unsigned reattach_tries_ = 0;
    uint64_t reattach_retry_ms_ = 0;

    void back_off();
    clock_fn clock_;
    uint64_t backoff_ms_ = 0;
    uint64_t offer_not_before_ms_ = 0;
    uint64_t connected_at_ms_ = 0;
    bool offer_pending_ = false;
};

// Answers the toolstack for vifs whose hotplug script is vif-linc.
//
// xl (libxl) creates a vif's backend directory, then waits for the backend
// to reach InitWait before it runs the hotplug script, and it is that
// script which adds the OVS port that serves the vif.  A kernel netback
// answers by itself; we do the same here: for every vif in our backend
// directory that is still Initialising and names vif-linc as its script,
// publish our features and go InitWait.  The port's vif_xenbus takes over
// from there (publishing is idempotent).  Vifs with other scripts belong to
// someone else and are left alone.
class vif_claimer {
public:
    vif_claimer(xs_store &, domid_t self, const vif_features &);
    ~vif_claimer();

    // Watches our backend/vif directory.  EIO if the watch fails.
    int start();
    // Scans for new vifs (cheap when the watch has not fired); returns how
    // many it answered.  Bounded per call.
    int run();

    // The vifs whose script is vif-linc and whose backend state is
    // Connected, as (domid, devid): at start-up, those that no port serves
    // were left Connected by a previous ovs-vswitchd-linc whose port was
    // removed while no daemon ran, and nobody will serve them.  Bounded.
    using vif_ref = std::pair<domid_t, unsigned>;      // domid, devid
    std::vector<vif_ref> connected_vifs();

private:
    // Whether 'be' (a backend directory) names vif-linc as its script.
    bool is_ours(const std::string &be);
    // Our vifs (is_ours()) whose backend state is 'want'.  Bounded.
    std::vector<vif_ref> ours_in_state(xenbus_state want);

    xs_store &xs_;
    const domid_t self_;
    const vif_features features_;
    const std::string base_;
    bool watching_ = false;
    bool scan_ = true;
};

}  // namespace linc::xen

#endif  // netdev-xen/vif-xenbus.h
