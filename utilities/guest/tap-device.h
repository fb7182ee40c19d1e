// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// A tap device inside a network namespace, for the guest emulator's tap
// mode: frames the kernel sends out of the tap are what the emulated guest
// transmits on its netif rings, and frames written to it are what the guest
// receives.  With offloads on, frames carry a virtio-net header (checksum
// and GSO metadata), which the emulator maps to netif's flags and GSO extra
// info, so real TCP stacks run with segmentation offload through the rings.

#ifndef LINC_GUEST_TAP_DEVICE_H
#define LINC_GUEST_TAP_DEVICE_H 1

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace linc::guest {

// struct virtio_net_hdr, as the tap driver reads and writes it.
struct vnet_hdr {
    enum : uint8_t { needs_csum = 1, data_valid = 2 };
    enum : uint8_t { gso_none = 0, gso_tcpv4 = 1, gso_udp = 3, gso_tcpv6 = 4,
                     gso_ecn = 0x80 };
    uint8_t flags = 0;
    uint8_t gso_type = gso_none;
    uint16_t hdr_len = 0;
    uint16_t gso_size = 0;
    uint16_t csum_start = 0;
    uint16_t csum_offset = 0;
};
static_assert(sizeof(vnet_hdr) == 10, "virtio_net_hdr layout");

class tap_device {
public:
    tap_device() = default;
    ~tap_device();
    tap_device(const tap_device &) = delete;
    tap_device &operator=(const tap_device &) = delete;

    // Creates tap 'name' in network namespace 'netns' (a name under
    // /var/run/netns, or empty for ours), sets its MAC and MTU and brings it
    // up.  With 'offloads', frames carry a vnet_hdr and the kernel may hand
    // over TSO frames up to 64 KiB.  Errors: ENOENT (no such namespace),
    // EEXIST, or what the kernel says.
    int open(const std::string &netns, const std::string &name,
             const std::array<uint8_t, 6> &mac, unsigned mtu, bool offloads);
    void close();

    // With offloads on: which the kernel may use towards us (TUN_F_* bits:
    // checksum, TSO4, TSO6).  0 or an errno.
    int set_offloads(unsigned tun_flags);

    int fd() const { return fd_; }
    bool offloads() const { return offloads_; }

    // Reads one frame into 'buf'; returns its length, 0 if none is waiting
    // (non-blocking), or -errno.  'hdr' is filled when offloads are on.
    long read(uint8_t *buf, size_t size, vnet_hdr *hdr);
    // Writes one frame ('hdr' ignored without offloads).  0 or -errno.
    int write(const uint8_t *frame, size_t len, const vnet_hdr &hdr);

private:
    int fd_ = -1;
    bool offloads_ = false;
};

// Runs 'fn' with the calling thread in network namespace 'netns' (empty:
// stay), then returns to the original namespace.  Returns fn's result, or
// -ENOENT / -errno if the namespace cannot be entered.
template <typename F> int in_netns(const std::string &netns, F fn);
int enter_netns(const std::string &netns, int *saved_fd);
int leave_netns(int saved_fd);

template <typename F> int in_netns(const std::string &netns, F fn)
{
    int saved = -1;
    int error = enter_netns(netns, &saved);
    if (error) {
        return -error;
    }
    int result = fn();
    leave_netns(saved);
    return result;
}

}  // namespace linc::guest

#endif  // utilities/guest/tap-device.h
