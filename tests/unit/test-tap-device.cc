// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// The guest emulator's tap device, in a network namespace of the test's
// own: frames go from the kernel's stack out of the tap and back in.

#include <arpa/inet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "netdev-xen/l4-csum.h"
#include "utilities/guest/tap-device.h"

#include <CppUTest/TestHarness.h>

using namespace linc::guest;
using linc::l4_csum_offsets;
using linc::complete_l4_csum;

namespace {

const std::array<uint8_t, 6> tap_mac = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
const uint8_t peer_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};

uint16_t ip_checksum(const uint8_t *p, size_t n)
{
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < n; i += 2) {
        sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return static_cast<uint16_t>(~sum);
}

// Configures 10.99.0.1/24 on 'dev' and a static ARP entry for 10.99.0.2.
int configure_ipv4(const std::string &dev)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq ifr;
    std::memset(&ifr, 0, sizeof ifr);
    std::strncpy(ifr.ifr_name, dev.c_str(), IFNAMSIZ - 1);
    auto *sin = reinterpret_cast<sockaddr_in *>(&ifr.ifr_addr);
    sin->sin_family = AF_INET;
    inet_pton(AF_INET, "10.99.0.1", &sin->sin_addr);
    int r = ioctl(s, SIOCSIFADDR, &ifr);
    inet_pton(AF_INET, "255.255.255.0", &sin->sin_addr);
    r |= ioctl(s, SIOCSIFNETMASK, &ifr);

    struct arpreq arp;
    std::memset(&arp, 0, sizeof arp);
    auto *pa = reinterpret_cast<sockaddr_in *>(&arp.arp_pa);
    pa->sin_family = AF_INET;
    inet_pton(AF_INET, "10.99.0.2", &pa->sin_addr);
    arp.arp_ha.sa_family = ARPHRD_ETHER;
    std::memcpy(arp.arp_ha.sa_data, peer_mac, 6);
    arp.arp_flags = ATF_COM | ATF_PERM;
    std::strncpy(arp.arp_dev, dev.c_str(), sizeof arp.arp_dev - 1);
    r |= ioctl(s, SIOCSARP, &arp);
    close(s);
    return r;
}

}  // namespace

// Creating namespaces and taps needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN);
// without it, as on a package build daemon, these tests say so and pass.
bool can_netns()
{
    static const bool can = geteuid() == 0;
    if (!can) {
        UT_PRINT("skipped: creating network namespaces needs root");
    }
    return can;
}

TEST_GROUP(tap_device)
{
    std::string ns;
    void setup() override
    {
        ns = "linc-ut-tap-" + std::to_string(getpid());
        if (can_netns()) {
            CHECK_EQUAL(0, std::system(("ip netns add " + ns).c_str()));
        }
    }
    void teardown() override
    {
        if (std::system(("ip netns del " + ns + " 2>/dev/null").c_str())) {
            // Already gone; nothing to clean up.
        }
    }
};

TEST(tap_device, missing_namespace)
{
    if (!can_netns()) {
        return;
    }
    tap_device t;
    LONGS_EQUAL(ENOENT, t.open("linc-ut-no-such-ns", "lt0", tap_mac, 1500,
                               false));
}

TEST(tap_device, frames_both_ways_through_the_kernel_stack)
{
    if (!can_netns()) {
        return;
    }
    tap_device t;
    LONGS_EQUAL(0, t.open(ns, "lt0", tap_mac, 1500, true));
    LONGS_EQUAL(0, in_netns(ns, [] { return configure_ipv4("lt0"); }));

    // Kernel -> tap: a UDP datagram to the static neighbour.
    int r = in_netns(ns, [] {
        int s = socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(9);
        inet_pton(AF_INET, "10.99.0.2", &to.sin_addr);
        ssize_t n = sendto(s, "hello", 5, 0,
                           reinterpret_cast<sockaddr *>(&to), sizeof to);
        close(s);
        return n == 5 ? 0 : -1;
    });
    LONGS_EQUAL(0, r);
    uint8_t buf[2048];
    vnet_hdr hdr;
    long n = 0;
    for (int i = 0; i < 100; i++) {
        // Skip IPv6 router solicitations and the like.
        pollfd p{t.fd(), POLLIN, 0};
        poll(&p, 1, 50);
        n = t.read(buf, sizeof buf, &hdr);
        if (n > 14 && buf[12] == 0x08 && buf[13] == 0x00) {
            break;
        }
    }
    CHECK(n >= 14 + 20 + 8 + 5);
    MEMCMP_EQUAL(peer_mac, buf, 6);
    MEMCMP_EQUAL(tap_mac.data(), buf + 6, 6);
    LONGS_EQUAL(17, buf[14 + 9]);
    MEMCMP_EQUAL("hello", buf + 14 + 20 + 8, 5);
    uint16_t start = 0, off = 0;
    CHECK(l4_csum_offsets(buf, static_cast<size_t>(n), &start, &off));
    LONGS_EQUAL(34, start);
    LONGS_EQUAL(6, off);
    if (hdr.flags & vnet_hdr::needs_csum) {
        LONGS_EQUAL(34, hdr.csum_start);
        LONGS_EQUAL(6, hdr.csum_offset);
    }

    // Tap -> kernel: a UDP datagram from the neighbour to a bound socket.
    int rx = -1;
    LONGS_EQUAL(0, in_netns(ns, [&rx] {
        rx = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(7777);
        return bind(rx, reinterpret_cast<sockaddr *>(&a), sizeof a);
    }));
    uint8_t f[14 + 20 + 8 + 4] = {};
    std::memcpy(f, tap_mac.data(), 6);
    std::memcpy(f + 6, peer_mac, 6);
    f[12] = 0x08;
    uint8_t *ip = f + 14;
    ip[0] = 0x45;
    ip[3] = 20 + 8 + 4;
    ip[8] = 64;
    ip[9] = 17;
    inet_pton(AF_INET, "10.99.0.2", ip + 12);
    inet_pton(AF_INET, "10.99.0.1", ip + 16);
    uint16_t c = ip_checksum(ip, 20);
    ip[10] = static_cast<uint8_t>(c >> 8);
    ip[11] = static_cast<uint8_t>(c);
    uint8_t *udp = ip + 20;
    udp[0] = 0x30; udp[1] = 0x39;                       // 12345
    udp[2] = 7777 >> 8; udp[3] = 7777 & 0xff;
    udp[5] = 8 + 4;                                     // Checksum 0: none.
    std::memcpy(udp + 8, "ping", 4);
    LONGS_EQUAL(0, t.write(f, sizeof f, vnet_hdr{}));
    char got[16] = {};
    ssize_t m = -1;
    for (int i = 0; i < 100 && m < 0; i++) {
        pollfd p{rx, POLLIN, 0};
        poll(&p, 1, 20);
        m = recv(rx, got, sizeof got, 0);
    }
    close(rx);
    LONGS_EQUAL(4, m);
    STRCMP_EQUAL("ping", got);
}

TEST(tap_device, csum_offsets_refuse_what_they_cannot_parse)
{
    uint8_t arp[42] = {};
    arp[12] = 0x08;
    arp[13] = 0x06;
    uint16_t s, o;
    CHECK(!l4_csum_offsets(arp, sizeof arp, &s, &o));
    uint8_t short_ip[20] = {};
    short_ip[12] = 0x08;
    CHECK(!l4_csum_offsets(short_ip, sizeof short_ip, &s, &o));
    uint8_t bad_ihl[80] = {};
    bad_ihl[12] = 0x08;
    bad_ihl[14] = 0x4f;      // IHL 60 bytes, total length 100: past the frame.
    bad_ihl[17] = 100;
    bad_ihl[23] = 6;
    CHECK(!l4_csum_offsets(bad_ihl, sizeof bad_ihl, &s, &o));
}

TEST(tap_device, complete_partial_udp_checksum)
{
    // IPv4/UDP 10.0.0.1:1 -> 10.0.0.2:2, payload "abcd", checksum field
    // holding the pseudo-header sum as a CHECKSUM_PARTIAL packet does.
    uint8_t f[14 + 20 + 8 + 4] = {};
    f[12] = 0x08;
    uint8_t *ip = f + 14;
    ip[0] = 0x45;
    ip[3] = 32;
    ip[9] = 17;
    ip[12] = 10; ip[15] = 1;
    ip[16] = 10; ip[19] = 2;
    uint8_t *udp = ip + 20;
    udp[1] = 1;
    udp[3] = 2;
    udp[5] = 12;
    std::memcpy(udp + 8, "abcd", 4);
    // Pseudo header: src + dst + proto + UDP length.
    uint32_t ph = 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 17 + 12;
    udp[6] = static_cast<uint8_t>(ph >> 8);
    udp[7] = static_cast<uint8_t>(ph);
    CHECK(complete_l4_csum(f, sizeof f));
    // Verify: the full sum over pseudo header and segment folds to 0xffff.
    uint32_t sum = 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 17 + 12;
    for (size_t i = 0; i < 12; i += 2) {
        sum += static_cast<uint32_t>(udp[i] << 8 | udp[i + 1]);
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    LONGS_EQUAL(0xffff, sum);
    // An IP length longer than the frame is refused.
    ip[3] = 200;
    CHECK(!complete_l4_csum(f, sizeof f));
}
