// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.

#include "utilities/guest/tap-device.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <net/if_arp.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace linc::guest {

int enter_netns(const std::string &netns, int *saved_fd)
{
    *saved_fd = -1;
    if (netns.empty()) {
        return 0;
    }
    int target = ::open(("/var/run/netns/" + netns).c_str(),
                        O_RDONLY | O_CLOEXEC);
    if (target < 0) {
        return errno;
    }
    int self = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (self < 0) {
        int e = errno;
        ::close(target);
        return e;
    }
    if (setns(target, CLONE_NEWNET)) {
        int e = errno;
        ::close(target);
        ::close(self);
        return e;
    }
    ::close(target);
    *saved_fd = self;
    return 0;
}

int leave_netns(int saved_fd)
{
    if (saved_fd < 0) {
        return 0;
    }
    int error = setns(saved_fd, CLONE_NEWNET) ? errno : 0;
    ::close(saved_fd);
    return error;
}

tap_device::~tap_device() { close(); }

void tap_device::close()
{
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
}

int tap_device::open(const std::string &netns, const std::string &name,
                     const std::array<uint8_t, 6> &mac, unsigned mtu,
                     bool offloads)
{
    if (name.empty() || name.size() >= IFNAMSIZ) {
        return EINVAL;
    }
    close();
    int fd = -1;
    int r = in_netns(netns, [&]() -> int {
        // The tap is created in whatever namespace we are in; its fd keeps
        // working from ours afterwards.
        fd = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0) {
            return -errno;
        }
        struct ifreq ifr;
        std::memset(&ifr, 0, sizeof ifr);
        ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (offloads ? IFF_VNET_HDR : 0);
        std::memcpy(ifr.ifr_name, name.c_str(), name.size());
        if (ioctl(fd, TUNSETIFF, &ifr)) {
            return -errno;
        }
        if (offloads) {
            int hdr_size = sizeof(vnet_hdr);
            unsigned flags = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
            if (ioctl(fd, TUNSETVNETHDRSZ, &hdr_size)
                || ioctl(fd, TUNSETOFFLOAD, flags)) {
                return -errno;
            }
        }

        int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (s < 0) {
            return -errno;
        }
        int error = 0;
        std::memset(&ifr, 0, sizeof ifr);
        std::memcpy(ifr.ifr_name, name.c_str(), name.size());
        ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
        std::memcpy(ifr.ifr_hwaddr.sa_data, mac.data(), mac.size());
        if (ioctl(s, SIOCSIFHWADDR, &ifr)) {
            error = errno;
        }
        ifr.ifr_mtu = static_cast<int>(mtu);
        if (!error && ioctl(s, SIOCSIFMTU, &ifr)) {
            error = errno;
        }
        if (!error && ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
            ifr.ifr_flags |= IFF_UP;
            if (ioctl(s, SIOCSIFFLAGS, &ifr)) {
                error = errno;
            }
        } else if (!error) {
            error = errno;
        }
        ::close(s);
        return -error;
    });
    if (r < 0) {
        if (fd >= 0) {
            ::close(fd);
        }
        return -r;
    }
    fd_ = fd;
    offloads_ = offloads;
    return 0;
}

int tap_device::set_offloads(unsigned tun_flags)
{
    return ioctl(fd_, TUNSETOFFLOAD, tun_flags) ? errno : 0;
}

long tap_device::read(uint8_t *buf, size_t size, vnet_hdr *hdr)
{
    vnet_hdr scratch;
    struct iovec iov[2];
    int n = 0;
    if (offloads_) {
        iov[n++] = {hdr ? hdr : &scratch, sizeof(vnet_hdr)};
    }
    iov[n++] = {buf, size};
    ssize_t r = readv(fd_, iov, n);
    if (r < 0) {
        return errno == EAGAIN ? 0 : -errno;
    }
    if (offloads_) {
        if (static_cast<size_t>(r) < sizeof(vnet_hdr)) {
            return -EIO;
        }
        r -= sizeof(vnet_hdr);
    } else if (hdr) {
        *hdr = vnet_hdr{};
    }
    return r;
}

int tap_device::write(const uint8_t *frame, size_t len, const vnet_hdr &hdr)
{
    struct iovec iov[2];
    int n = 0;
    if (offloads_) {
        iov[n++] = {const_cast<vnet_hdr *>(&hdr), sizeof hdr};
    }
    iov[n++] = {const_cast<uint8_t *>(frame), len};
    return writev(fd_, iov, n) < 0 ? -errno : 0;
}

}  // namespace linc::guest
