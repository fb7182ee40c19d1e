// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// An in-memory hypervisor for unit tests: one backend domain and one
// guest whose pages live in a std::vector, a v1 grant table in the guest
// that grant copies and maps are checked against the way Xen checks them
// (entry in range and permitting access, granted to the copier, writable
// when written, offset + len within the page), and event channels that
// count notifications.

#ifndef LINC_TESTS_FAKE_XEN_H
#define LINC_TESTS_FAKE_XEN_H 1

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include "netdev-xen/netif-frontend.h"
#include "netdev-xen/xen-platform.h"

namespace linc::xen::test {

class fake_xen {
public:
    fake_xen(domid_t backend, domid_t guest, size_t guest_pages,
             size_t grant_entries = 2048);
    ~fake_xen();

    backend_platform &backend() { return *backend_; }
    frontend_platform &guest() { return *guest_; }
    domid_t backend_domid() const { return backend_domid_; }
    domid_t guest_domid() const { return guest_domid_; }

    // An interdomain channel: *backend_port / *guest_port are local ports.
    void connect_evtchn(evtchn_port_t *backend_port,
                        evtchn_port_t *guest_port);
    // Notifications each side sent on its local port.
    uint64_t backend_notifies(evtchn_port_t backend_port) const;
    uint64_t guest_notifies(evtchn_port_t guest_port) const;

    // Readable when the backend notified the guest (an eventfd).
    int guest_event_fd() const { return guest_event_fd_; }

    // Guest memory and grants, for assertions.
    uint8_t *guest_page(size_t i) { return &memory_[i * page_size]; }
    size_t grants_in_use() const;
    uint64_t grant_copy_calls() const { return copy_calls_; }
    uint64_t grant_copy_segments() const { return copy_segments_; }
    // Segments refused, by reason.
    uint64_t copy_refusals() const { return copy_refusals_; }
    // The guest page grant 'ref' points at, or nullptr (for a test that
    // plays a guest writing into memory it granted).
    uint8_t *granted_page(grant_ref_t ref);
    // Makes the next copies of 'ref' fail with GNTST_eagain.
    void page_out(grant_ref_t ref, bool out);
    void kill_guest() { guest_alive_ = false; }
    // Runs inside every grant_copy call before copying, to let a test play
    // a guest that rewrites its ring while the backend works.
    std::function<void()> during_copy;

private:
    friend class fake_backend_platform;
    friend class fake_guest_platform;

    // Safe for one backend thread and one guest thread.
    struct channel {
        evtchn_port_t backend_port, guest_port;
        std::atomic<uint64_t> backend_sent, guest_sent;
        std::atomic<bool> pending, masked;
    };
    static constexpr size_t max_channels = 8;

    int16_t check_foreign(domid_t copier, grant_ref_t ref, domid_t domid,
                          uint32_t offset, uint32_t len, bool write,
                          uint8_t **addr);
    channel *by_backend_port(evtchn_port_t p);
    channel *by_guest_port(evtchn_port_t p);

    domid_t backend_domid_, guest_domid_;
    std::vector<uint8_t> memory_;
    std::vector<grant_entry_v1_t> grants_;  // the guest's v1 table
    std::vector<uint32_t> maps_;            // per entry: live mappings
    std::vector<uint8_t> paged_out_;        // per entry: copies EAGAIN
    channel channels_[max_channels];
    size_t nchannels_ = 0;
    uint64_t copy_calls_ = 0, copy_segments_ = 0, copy_refusals_ = 0;
    bool guest_alive_ = true;
    int event_fd_ = -1;         // backend side: guest notified
    int guest_event_fd_ = -1;   // guest side: backend notified
    backend_platform *backend_;
    frontend_platform *guest_;
};

}  // namespace linc::xen::test

#endif  // tests/unit/fake-xen.h
