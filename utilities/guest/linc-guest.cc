// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// linc-guest: emulated Xen guests with one network device each, on simxen.
//
// For each guest it plays both the toolstack (creates domain D, writes the
// vif's backend and frontend directories in xenstore, as xl does) and the
// guest's netfront (negotiates with the backend as Linux's xen-netfront
// does, then runs the rings).  Modes:
//
//   tap    a tap device inside a network namespace carries the kernel's own
//          stack through the rings: ping, iperf3, TCP all work (one guest
//          per process);
//   sink   counts what it receives, and measures the one-way latency of the
//          generator's frames;
//   gen    sends UDP/IPv4 frames ("probes", probe-frame.h): payload magic
//          0x4c494e43, a sequence number and the CLOCK_MONOTONIC send time
//          in ns (taken once per burst, just before the burst is queued
//          and pushed), optionally paced (--gen-rate) and spread over many
//          5-tuples (--gen-flows).
//
// Neither gen nor sink copies frames: the generator's frame stays in each
// granted TX buffer and per frame only its sequence number and time (and
// flow fields) are rewritten, with at most 192 frames in flight (one
// queue); the sink reads the probe fields in the granted RX buffers and
// reposts them, 32 at a time, as soon as it has.
//
// One guest comes from --domid and the other options (the original
// command line); several from repeated --guest=SPEC, where SPEC is a comma
// list of KEY=VALUE with the per-guest options' names as keys (domid,
// mode, devid, mac, backend-domid, queues, gen-size, gen-count, gen-rate,
// gen-flows, gen-gso-every, gen-gso-segs, gen-dst-mac, rx-gso, hotplug,
// bridge, hostile, hostile-after, on-backend-close); a key
// not in SPEC takes the value of the corresponding --option.  All guests
// run in one thread: each loop iteration serves every guest's rings in
// bursts (one push and at most one notification per ring per burst).
// --poll=sleep (the default) blocks in one poll() on every guest's event
// channels and xenstore connection when no guest has work; --poll=busy
// never blocks and makes no system call while the rings ask for no
// notification (xenstore watches are read every 50 ms).  A guest whose
// connection fails is logged and torn down; the others go on.
//
// --stats-file=PATH: on SIGUSR1 and at exit, PATH is replaced atomically
// (written as PATH.tmp, then renamed) with one line per guest:
//
//   domid D mode M tx_packets N rx_packets N rx_bytes N rx_other N
//   lat_count N lat_p50_ns N lat_p99_ns N lat_max_ns N rx_reordered N
//   rx_gso_frames N
//
// (on one line).  tx_packets: frames queued to the TX ring; rx_packets,
// rx_bytes: frames received; rx_other: received frames that are not
// probes; lat_*: the one-way latency (receive time - send time) of the
// probes received since the previous SIGUSR1 (count, median, 99th
// percentile, maximum; within 1 %, see guest-stats.h); rx_reordered: the
// probes received after one with a higher sequence number (meaningful for
// one generator's single flow), counting each segment's probe in a GSO
// frame received whole; rx_gso_frames: the frames received whole with GSO
// information (as netfront hands them to the kernel).  The counters are
// cumulative; SIGUSR1 resets the latency histogram after writing, so each
// measurement window gets its own percentiles.
//
// --hostile=KIND connects normally, waits --hostile-after seconds, then
// breaks the protocol once in that way (netif_frontend::hostile), so tests
// can check that only this vif fails.
//
// SIGTERM closes the devices (Closing, then Closed once the backend
// agrees) and destroys the domains; SIGHUP closes and reconnects them.
//
// A backend that goes Closing or Closed makes a guest close its device and
// leave it closed, as Linux's netfront does (netback_changed() calls
// xenbus_frontend_closed() and never connects again from Closed): only
// SIGHUP, standing for the toolstack plugging the vif in again, brings it
// back.  --on-backend-close=reconnect starts over at once instead.

#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/if_tun.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "netdev-xen/gso.h"
#include "netdev-xen/l4-csum.h"
#include "netdev-xen/netif-backend.h"
#include "netdev-xen/netif-frontend.h"
#include "netdev-xen/vif-xenbus.h"
#include "utilities/guest/guest-stats.h"
#include "utilities/guest/probe-frame.h"
#include "utilities/guest/tap-device.h"
#include "utilities/simxen/sim-guest.h"

using namespace linc::xen;
using linc::guest::latency_histogram;
using linc::guest::probe_frame;
using linc::guest::rate_pacer;
using linc::guest::tap_device;
using linc::guest::vnet_hdr;

namespace {

FILE *log_file = stderr;

void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_msg(const char *fmt, ...)
{
    char when[32];
    time_t now = time(nullptr);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    std::fprintf(log_file, "%s|linc-guest|", when);
    va_list args;
    va_start(args, fmt);
    std::vfprintf(log_file, fmt, args);
    va_end(args);
    std::fputc('\n', log_file);
    std::fflush(log_file);
}

[[noreturn]] void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...)
{
    char msg[512];
    va_list args;
    va_start(args, fmt);
    std::vsnprintf(msg, sizeof msg, fmt, args);
    va_end(args);
    log_msg("fatal: %s", msg);
    if (log_file != stderr) {
        std::fprintf(stderr, "linc-guest: %s\n", msg);
    }
    std::exit(1);
}

volatile sig_atomic_t stop_requested;
volatile sig_atomic_t reconnect_requested;
volatile sig_atomic_t stats_requested;
volatile sig_atomic_t crash_requested;

void on_signal(int sig)
{
    if (sig == SIGHUP) {
        reconnect_requested = 1;
    } else if (sig == SIGUSR1) {
        stats_requested = 1;
    } else if (sig == SIGUSR2) {
        crash_requested = 1;
    } else {
        stop_requested = 1;
    }
}

// What can differ from guest to guest (--guest=SPEC keys).
struct guest_options {
    domid_t domid = 0;
    unsigned devid = 0;
    domid_t backend = 0;
    std::string mode = "tap";
    std::array<uint8_t, 6> mac{};
    bool mac_set = false;
    unsigned queues = 1;
    std::string hotplug;            // xl's script=, run as xl runs it
    std::string bridge;             // xl's bridge=
    std::string hostile;
    double hostile_after = 0.5;
    bool hostile_repeat = false;    // again after every reconnection
    // On a backend that goes Closing or Closed: close the device and stay
    // closed until SIGHUP (false, as Linux's netfront, whose device stays
    // down until the toolstack plugs it in again), or start over by itself.
    bool reconnect_on_close = false;
    unsigned gen_size = 64;
    uint64_t gen_count = 0;         // 0: until stopped
    uint64_t gen_rate = 0;          // packets/s, 0: as fast as the ring goes
    uint32_t gen_flows = 1;
    std::array<uint8_t, 6> gen_dst_mac{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    // Every gen_gso_every-th frame (0: none) a TCP GSO frame of
    // gen_gso_segs segments of gen-size bytes, each a probe once cut.
    uint32_t gen_gso_every = 0;
    uint32_t gen_gso_segs = 40;
    // Whether the frontend takes GSO frames whole (feature-gso-tcpv4/-v6),
    // as Linux's netfront does; without, the backend must cut them.
    bool rx_gso = true;
};

struct options {
    std::string simxen_dir;
    guest_options base;             // the single guest, or --guest defaults
    std::vector<guest_options> guests;
    std::string netns;
    std::string ifname = "eth0";
    unsigned mtu = 1500;
    std::string pidfile;
    std::string logfile;
    bool detach = false;
    bool busy_poll = false;
    std::string stats_file;
};

// The simxen guest as netif_frontend sees a guest.
class sim_frontend_platform final : public frontend_platform {
public:
    explicit sim_frontend_platform(sim_guest &g) : g_(g) {}
    domid_t self_domid() const override { return g_.domid(); }
    size_t page_count() const override { return g_.page_count(); }
    void *page(size_t i) override
    {
        return g_.page(static_cast<uint32_t>(i));
    }
    int grant_access(size_t i, domid_t to, bool ro, grant_ref_t *ref) override
    {
        return g_.grant_access(static_cast<uint32_t>(i), to, ro, ref);
    }
    int end_access(grant_ref_t ref) override { return g_.end_access(ref); }
    int notify(evtchn_port_t port) override { return g_.notify(port); }

private:
    sim_guest &g_;
};

std::string mac_string(const std::array<uint8_t, 6> &m)
{
    char s[18];
    std::snprintf(s, sizeof s, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1],
                  m[2], m[3], m[4], m[5]);
    return s;
}

bool parse_mac(const char *s, std::array<uint8_t, 6> *m)
{
    unsigned b[6];
    char tail;
    if (std::sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
                    &b[4], &b[5], &tail) != 6) {
        return false;
    }
    for (int i = 0; i < 6; i++) {
        (*m)[i] = static_cast<uint8_t>(b[i]);
    }
    return true;
}

bool parse_hostile(const std::string &s, netif_hostile *h)
{
    static const struct {
        const char *name;
        netif_hostile h;
    } table[] = {
        {"bad-gref", netif_hostile::bad_gref},
        {"ungranted-gref", netif_hostile::ungranted_gref},
        {"foreign-gref", netif_hostile::foreign_gref},
        {"readonly-rx-gref", netif_hostile::readonly_rx_gref},
        {"offset-past-page", netif_hostile::offset_past_page},
        {"too-many-slots", netif_hostile::too_many_slots},
        {"prod-overrun", netif_hostile::prod_overrun},
        {"rx-prod-overrun", netif_hostile::rx_prod_overrun},
        {"zero-length", netif_hostile::zero_length},
        {"oversize-length", netif_hostile::oversize_length},
        {"duplicate-ids", netif_hostile::duplicate_ids},
        {"frag-size-mismatch", netif_hostile::frag_size_mismatch},
        {"bad-extra", netif_hostile::bad_extra},
        {"notification-storm", netif_hostile::notification_storm},
        {"gso-amplify", netif_hostile::gso_amplify},
        {"unfinishable-csum", netif_hostile::unfinishable_csum},
        {"xenstore-junk", netif_hostile::xenstore_junk},
        {"rewrite-heads", netif_hostile::rewrite_heads},
    };
    for (auto &e : table) {
        if (s == e.name) {
            *h = e.h;
            return true;
        }
    }
    return false;
}

// The toolstack's and the frontend's xenstore keys for one vif.
class vif_keys {
public:
    vif_keys(xs_store &xs, const guest_options &o)
        : xs_(xs),
          be_("/local/domain/" + std::to_string(o.backend) + "/backend/vif/"
              + std::to_string(o.domid) + "/" + std::to_string(o.devid)),
          fe_("/local/domain/" + std::to_string(o.domid) + "/device/vif/"
              + std::to_string(o.devid))
    {
    }

    const std::string &be() const { return be_; }
    const std::string &fe() const { return fe_; }

    // What xl writes before the guest boots.
    bool create(const guest_options &o)
    {
        std::string mac = mac_string(o.mac);
        std::string dom = "/local/domain/" + std::to_string(o.domid);
        return xs_.write(dom + "/name", "linc-guest-" + std::to_string(o.domid))
               && xs_.write(dom + "/domid", std::to_string(o.domid))
               && xs_.write(be_ + "/frontend", fe_)
               && xs_.write(be_ + "/frontend-id", std::to_string(o.domid))
               && xs_.write(be_ + "/online", "1")
               && xs_.write(be_ + "/mac", mac)
               && xs_.write(be_ + "/handle", std::to_string(o.devid))
               && xs_.write(be_ + "/type", "vif")
               && (o.hotplug.empty() || xs_.write(be_ + "/script", o.hotplug))
               && (o.bridge.empty() || xs_.write(be_ + "/bridge", o.bridge))
               && xs_.write(be_ + "/state", "1")
               && xs_.write(fe_ + "/backend", be_)
               && xs_.write(fe_ + "/backend-id", std::to_string(o.backend))
               && xs_.write(fe_ + "/mac", mac)
               && xs_.write(fe_ + "/handle", std::to_string(o.devid))
               && xs_.write(fe_ + "/state", "1");
    }

    int backend_state()
    {
        auto v = parse_xs_uint(xs_.read(be_ + "/state"), 8);
        return v ? static_cast<int>(*v) : -1;
    }

    bool set_state(int s) { return xs_.write(fe_ + "/state", std::to_string(s)); }

    // Waits until the backend reaches one of 'want' (bitmask of states).
    bool wait_backend(unsigned want, int timeout_ms)
    {
        auto deadline = std::chrono::steady_clock::now()
                        + std::chrono::milliseconds(timeout_ms);
        for (;;) {
            int s = backend_state();
            if (s >= 0 && (want & (1u << s))) {
                return true;
            }
            if (stop_requested || std::chrono::steady_clock::now() > deadline) {
                return false;
            }
            pollfd p{xs_.fd(), POLLIN, 0};
            poll(&p, 1, 50);
            xs_.poll_watches();
        }
    }

private:
    xs_store &xs_;
    std::string be_;
    std::string fe_;
};

// One queue pair of the netfront.
struct fe_queue {
    std::unique_ptr<netif_frontend> fe;
    evtchn_port_t tx_port = 0;
    evtchn_port_t rx_port = 0;      // == tx_port without split channels
};

// One connection of the netfront: rings granted, keys written.
struct connection {
    std::vector<fe_queue> queues;
    bool up() const { return !queues.empty(); }
    netif_frontend *fe0() { return queues[0].fe.get(); }
};

// The frontend half of the handshake, key by key as Linux 6.1's
// xen-netfront does it (talk_to_netback(), setup_netfront(),
// write_queue_xenstore_keys(); the table in docs/xen-netif.md):
// - queues: the backend's multi-queue-max-queues (absent: 1) capped by
//   ours (--queues, as netfront's max_queues parameter), and
//   multi-queue-num-queues written whenever the backend offered
//   multi-queue, even for one queue;
// - one queue: ring refs and event channels at the top of the device
//   directory; several: in queue-N/;
// - split event channels (event-channel-tx/-rx) when the backend offers
//   feature-split-event-channels, one event-channel otherwise;
// - request-rx-copy, feature-rx-notify, feature-sg, feature-gso-tcpv4,
//   feature-gso-tcpv6 and feature-ipv6-csum-offload, all "1", then
//   Connected straight from Initialising.
int connect_frontend(const guest_options &o, sim_guest &g,
                     sim_frontend_platform &plat,
                     vif_keys &keys, xs_store &xs, connection *c,
                     size_t rx_buffers = netif_frontend::rx_ring_size)
{
    log_msg("waiting for the backend at %s", keys.be().c_str());
    if (!keys.wait_backend(1u << 2, 30000)) {      // InitWait
        return ETIMEDOUT;
    }
    const std::string &be = keys.be();
    auto rx_copy = parse_xs_uint(xs.read(be + "/feature-rx-copy"), 1);
    if (!rx_copy || !*rx_copy) {
        log_msg("backend does not offer rx-copy");
        return EPROTO;
    }
    auto sg = parse_xs_uint(xs.read(be + "/feature-sg"), 1);
    auto split = parse_xs_uint(xs.read(be + "/feature-split-event-channels"), 1);
    auto max_q_s = xs.read(be + "/multi-queue-max-queues");
    auto max_q = parse_xs_uint(max_q_s, UINT32_MAX);
    unsigned nq = std::min<unsigned>(o.queues, max_q && *max_q ? *max_q : 1);
    bool use_split = split && *split;

    const std::string &fe = keys.fe();
    bool ok = true;
    c->queues.resize(nq);
    for (unsigned i = 0; i < nq; i++) {
        fe_queue &q = c->queues[i];
        int error = g.alloc_unbound(o.backend, &q.tx_port);
        if (!error && use_split) {
            error = g.alloc_unbound(o.backend, &q.rx_port);
        } else {
            q.rx_port = q.tx_port;
        }
        if (error) {
            return error;
        }
        netif_frontend_config cfg;
        cfg.backend_domid = o.backend;
        cfg.first_page = i * netif_frontend::pages_needed;
        cfg.tx_port = q.tx_port;
        cfg.rx_port = q.rx_port;
        cfg.sg = sg && *sg;
        q.fe = std::make_unique<netif_frontend>(&plat, cfg);
        error = q.fe->init();
        if (error) {
            return error;
        }
        std::string dir = nq == 1 ? fe : fe + "/queue-" + std::to_string(i);
        ok = ok && xs.write(dir + "/tx-ring-ref", std::to_string(q.fe->tx_ring_ref()))
             && xs.write(dir + "/rx-ring-ref", std::to_string(q.fe->rx_ring_ref()));
        if (use_split) {
            ok = ok && xs.write(dir + "/event-channel-tx", std::to_string(q.tx_port))
                 && xs.write(dir + "/event-channel-rx", std::to_string(q.rx_port));
        } else {
            ok = ok && xs.write(dir + "/event-channel", std::to_string(q.tx_port));
        }
    }
    if (max_q_s) {
        std::string num = std::to_string(nq);
        if (o.hostile == "xenstore-junk") {
            // Bytes no database or log should take raw.
            num.assign(3000, '\xff');
            for (size_t k = 0; k < num.size(); k += 10) {
                num[k] = '\n';
            }
        }
        ok = ok && xs.write(fe + "/multi-queue-num-queues", num);
    }
    ok = ok && xs.write(fe + "/request-rx-copy", "1")
         && xs.write(fe + "/feature-rx-notify", "1")
         && xs.write(fe + "/feature-sg", "1")
         && xs.write(fe + "/feature-gso-tcpv4", o.rx_gso ? "1" : "0")
         && xs.write(fe + "/feature-gso-tcpv6", o.rx_gso ? "1" : "0")
         && xs.write(fe + "/feature-ipv6-csum-offload", "1")
         && keys.set_state(4);
    if (!ok) {
        return EIO;
    }
    if (!keys.wait_backend(1u << 4 | 1u << 6, 30000)) {
        return ETIMEDOUT;
    }
    if (keys.backend_state() != 4) {
        auto why = xs.read(be + "/error");
        log_msg("backend refused the connection: %s",
                why ? why->c_str() : "(no reason)");
        return ECONNREFUSED;
    }
    for (fe_queue &q : c->queues) {
        q.fe->post_rx_buffers(rx_buffers);
    }
    log_msg("connected: domain %u device %u, %zu queue(s), event channel%s "
            "%u%s%s", o.domid, o.devid, c->queues.size(),
            use_split ? "s" : "", c->queues[0].tx_port,
            use_split ? "/" : "",
            use_split ? std::to_string(c->queues[0].rx_port).c_str() : "");
    return 0;
}

void disconnect_frontend(sim_guest &g, vif_keys &keys, connection *c)
{
    keys.set_state(5);                              // Closing
    keys.wait_backend(1u << 6 | 1u << 5, 5000);     // Closed
    keys.set_state(6);
    for (fe_queue &q : c->queues) {
        if (q.rx_port && q.rx_port != q.tx_port) {
            g.unbind(q.rx_port);
        }
        if (q.tx_port) {
            g.unbind(q.tx_port);
        }
    }
    c->queues.clear();
}

// What the backend said about a received frame, for the kernel, as
// Linux's netfront tells its stack: a partial checksum (a frame another
// guest sent with checksum offload, passed on untouched) is CHECKSUM_PARTIAL
// with the L4 header's offsets, a validated one needs no check.
vnet_hdr vnet_from_rx(const uint8_t *frame, const frontend_rx_packet &info)
{
    vnet_hdr vh;
    if ((info.flags & packet_csum_blank)
        && linc::l4_csum_offsets(frame, info.len, &vh.csum_start,
                                 &vh.csum_offset)) {
        vh.flags = vnet_hdr::needs_csum;
    } else if (info.flags & packet_data_validated) {
        vh.flags = vnet_hdr::data_valid;
    }
    // A GSO frame (we advertise feature-gso-tcpv4/-v6, as netfront does)
    // goes to the kernel whole, as netfront's xennet_set_skb_gso() does.
    if (info.gso_size && info.gso_type == XEN_NETIF_GSO_TYPE_TCPV4) {
        vh.gso_type = vnet_hdr::gso_tcpv4;
        vh.gso_size = info.gso_size;
    } else if (info.gso_size && info.gso_type == XEN_NETIF_GSO_TYPE_TCPV6) {
        vh.gso_type = vnet_hdr::gso_tcpv6;
        vh.gso_size = info.gso_size;
    }
    return vh;
}

// What the kernel said about a frame (virtio-net header) as netif TX
// metadata: a partial checksum is csum_blank, TSO is GSO extra info.
frontend_tx_meta tx_meta_from_vnet(const vnet_hdr &vh)
{
    frontend_tx_meta meta;
    if (vh.flags & vnet_hdr::needs_csum) {
        meta.flags |= packet_csum_blank;
    } else if (vh.flags & vnet_hdr::data_valid) {
        meta.flags |= packet_data_validated;
    }
    switch (vh.gso_type & ~vnet_hdr::gso_ecn) {
    case vnet_hdr::gso_tcpv4:
        meta.gso_type = XEN_NETIF_GSO_TYPE_TCPV4;
        meta.gso_size = vh.gso_size;
        break;
    case vnet_hdr::gso_tcpv6:
        meta.gso_type = XEN_NETIF_GSO_TYPE_TCPV6;
        meta.gso_size = vh.gso_size;
        break;
    default:
        break;
    }
    return meta;
}

// The TX queue for a frame: a hash of its IPv4 addresses and ports (the
// 4 bytes after the IP header's addresses), so a TCP flow keeps its order.
size_t flow_queue(const uint8_t *f, size_t len, size_t n)
{
    if (n <= 1 || len < 14 + 20 + 4 || f[12] != 0x08 || f[13] != 0x00) {
        return 0;
    }
    uint32_t h = 2166136261u;
    size_t l4 = 14 + (f[14] & 0xfu) * 4u;
    for (size_t i = 14 + 12; i < 14 + 20; i++) {
        h = (h ^ f[i]) * 16777619u;
    }
    for (size_t i = l4; i < l4 + 4 && i < len; i++) {
        h = (h ^ f[i]) * 16777619u;
    }
    return h % n;
}

// Runs the hotplug script as libxl does: SCRIPT online|offline, with the
// backend path in XENBUS_PATH.  Returns its exit status.
int run_hotplug(const std::string &script, const char *command,
                const std::string &backend_path)
{
    pid_t pid = fork();
    if (pid < 0) {
        return -1;
    }
    if (pid == 0) {
        setenv("XENBUS_PATH", backend_path.c_str(), 1);
        execl(script.c_str(), script.c_str(), command, (char *) nullptr);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void write_pidfile(const std::string &path)
{
    if (path.empty()) {
        return;
    }
    FILE *f = std::fopen(path.c_str(), "w");
    if (!f) {
        fatal("%s: %s", path.c_str(), std::strerror(errno));
    }
    std::fprintf(f, "%ld\n", static_cast<long>(getpid()));
    std::fclose(f);
}

void usage()
{
    std::printf(
        "linc-guest: emulated Xen guests with one netfront each, on simxen\n"
        "usage: linc-guest --simxen-dir=DIR --domid=D [options]\n"
        "       linc-guest --simxen-dir=DIR --guest=SPEC [--guest=SPEC...] [options]\n"
        "  --devid=N            device number (default 0)\n"
        "  --backend-domid=B    backend domain (default 0)\n"
        "  --mode=tap|sink|gen  (default tap)\n"
        "  --netns=NS           tap mode: network namespace for the tap\n"
        "  --ifname=NAME        tap mode: its name (default eth0)\n"
        "  --mac=MAC            the guest's MAC (default 00:16:3e:00:D:N)\n"
        "  --mtu=N              tap mode MTU (default 1500)\n"
        "  --queues=N           queue pairs to ask for (default 1)\n"
        "  --hotplug=SCRIPT     as xl with script=SCRIPT: once the backend is\n"
        "                       in InitWait, run SCRIPT online (and offline at\n"
        "                       exit) with XENBUS_PATH set\n"
        "  --bridge=BR          as xl's bridge=BR (read by the script)\n"
        "  --gen-size=N         gen mode frame size (default 64, at least 62)\n"
        "  --gen-count=N        gen mode frames to send (default: until stopped)\n"
        "  --gen-rate=PPS       gen mode packets per second (default 0: as\n"
        "                       fast as the ring takes them)\n"
        "  --gen-flows=N        gen mode: cycle over N UDP flows, source\n"
        "                       10.1.0.0+k port 1024+k%%64000 (default 1,\n"
        "                       at most 1000000)\n"
        "  --gen-dst-mac=MAC    gen mode destination (default broadcast)\n"
        "  --gen-gso-every=K    gen mode: every K-th frame is instead a TCP\n"
        "                       GSO frame (gso_size: --gen-size less the\n"
        "                       Ethernet, IPv4 and TCP headers) of\n"
        "                       --gen-gso-segs segments (default 40), each a\n"
        "                       probe with its own sequence number once cut\n"
        "                       (default 0: none); with one queue and flow,\n"
        "                       the sink's rx_reordered counts what arrived\n"
        "                       out of order\n"
        "  --rx-gso=0|1         offer feature-gso-tcpv4/-v6 for receiving,\n"
        "                       as netfront does (default 1); with 0 the\n"
        "                       backend must cut GSO frames for this guest\n"
        "  --hostile=KIND       break the protocol once after connecting:\n"
        "                       bad-gref ungranted-gref foreign-gref\n"
        "                       readonly-rx-gref offset-past-page too-many-slots\n"
        "                       prod-overrun rx-prod-overrun zero-length\n"
        "                       oversize-length duplicate-ids\n"
        "                       frag-size-mismatch bad-extra notification-storm;\n"
        "                       or abuse it: gso-amplify unfinishable-csum\n"
        "                       rewrite-heads (gen mode);\n"
        "                       or write junk in\n"
        "                       the handshake: xenstore-junk\n"
        "  --hostile-after=SEC  delay before that (default 0.5)\n"
        "  --hostile-repeat=1   again after every reconnection\n"
        "  --on-backend-close=stay-closed|reconnect\n"
        "                       when the backend goes Closing or Closed,\n"
        "                       close the device and stay closed until SIGHUP\n"
        "                       (default: what Linux's netfront does, which\n"
        "                       stays down until the toolstack plugs the vif\n"
        "                       in again), or start over at once\n"
        "  --guest=SPEC         one more guest in this process (repeatable),\n"
        "                       SPEC a comma list of KEY=VALUE, keys: domid\n"
        "                       mode devid mac backend-domid queues gen-size\n"
        "                       gen-count gen-rate gen-flows gen-gso-every\n"
        "                       gen-gso-segs gen-dst-mac rx-gso\n"
        "                       hotplug bridge hostile hostile-after\n"
        "                       hostile-repeat on-backend-close; others\n"
        "                       from the options above.  Not with --domid;\n"
        "                       gen and sink modes only.\n"
        "                       e.g. --guest=domid=1,mode=gen --guest=domid=2,mode=sink\n"
        "  --poll=sleep|busy    sleep in poll() when idle (default), or spin\n"
        "  --stats-file=PATH    on SIGUSR1 and at exit, replace PATH with one\n"
        "                       line per guest:\n"
        "                         domid D mode M tx_packets N rx_packets N\n"
        "                         rx_bytes N rx_other N lat_count N\n"
        "                         lat_p50_ns N lat_p99_ns N lat_max_ns N\n"
        "                         rx_reordered N rx_gso_frames N\n"
        "                       (lat_*: one-way latency of received probes\n"
        "                       since the last SIGUSR1, which resets them;\n"
        "                       counters are cumulative)\n"
        "  --pidfile=FILE --log-file=FILE --detach\n"
        "SIGTERM: close and destroy the domains; SIGHUP: close and reconnect\n"
        "(or plug in again a device its backend closed);\n"
        "SIGUSR1: write --stats-file; SIGUSR2: crash (the domains die, their\n"
        "xenstore keys stay, nobody tells the backend).\n");
}

unsigned long parse_number(const std::string &s, unsigned long max,
                           const char *what)
{
    auto v = parse_xs_uint(s, max);
    if (!v) {
        fatal("%s: %s is not a number up to %lu", what, s.c_str(), max);
    }
    return static_cast<unsigned long>(*v);
}

// Sets per-guest option 'key' (an option's name without "--") of 'g'.
// False if 'key' is not a per-guest option.
bool set_guest_option(guest_options *g, const std::string &key,
                      const std::string &value)
{
    std::string what = "--" + key;
    const char *w = what.c_str();
    if (key == "domid") {
        g->domid = static_cast<domid_t>(parse_number(value, 0x7fef, w));
    } else if (key == "devid") {
        g->devid = static_cast<unsigned>(parse_number(value, 0xffff, w));
    } else if (key == "backend-domid") {
        g->backend = static_cast<domid_t>(parse_number(value, 0x7fef, w));
    } else if (key == "mode") {
        g->mode = value;
    } else if (key == "mac") {
        if (!parse_mac(value.c_str(), &g->mac)) {
            fatal("%s: %s is not a MAC address", w, value.c_str());
        }
        g->mac_set = true;
    } else if (key == "queues") {
        g->queues = static_cast<unsigned>(parse_number(value, 16, w));
        if (!g->queues) {
            fatal("--queues: 1..16");
        }
    } else if (key == "hotplug") {
        g->hotplug = value;
    } else if (key == "bridge") {
        g->bridge = value;
    } else if (key == "hostile") {
        g->hostile = value;
    } else if (key == "hostile-after") {
        g->hostile_after = std::atof(value.c_str());
    } else if (key == "hostile-repeat") {
        g->hostile_repeat = parse_number(value, 1, w) != 0;
    } else if (key == "on-backend-close") {
        if (value != "stay-closed" && value != "reconnect") {
            fatal("%s: stay-closed or reconnect, not %s", w, value.c_str());
        }
        g->reconnect_on_close = value == "reconnect";
    } else if (key == "gen-size") {
        g->gen_size = static_cast<unsigned>(parse_number(value, 65535, w));
    } else if (key == "gen-count") {
        g->gen_count = parse_number(value, 4000000000ul, w);
    } else if (key == "gen-rate") {
        g->gen_rate = parse_number(value, 1000000000ul, w);
    } else if (key == "gen-flows") {
        g->gen_flows = static_cast<uint32_t>(
            parse_number(value, probe_frame::max_flows, w));
        if (!g->gen_flows) {
            fatal("--gen-flows: 1..%u", probe_frame::max_flows);
        }
    } else if (key == "gen-gso-every") {
        g->gen_gso_every = static_cast<uint32_t>(parse_number(value, 1000000, w));
    } else if (key == "gen-gso-segs") {
        g->gen_gso_segs = static_cast<uint32_t>(
            parse_number(value, linc::gso_max_segments, w));
        if (!g->gen_gso_segs) {
            fatal("--gen-gso-segs: 1..%zu", linc::gso_max_segments);
        }
    } else if (key == "rx-gso") {
        g->rx_gso = parse_number(value, 1, w) != 0;
    } else if (key == "gen-dst-mac") {
        if (!parse_mac(value.c_str(), &g->gen_dst_mac)) {
            fatal("%s: %s is not a MAC address", w, value.c_str());
        }
    } else {
        return false;
    }
    return true;
}

// --guest=SPEC on top of the defaults 'base'.
guest_options parse_guest_spec(const guest_options &base, const std::string &spec)
{
    guest_options g = base;
    g.domid = 0;
    g.mac_set = false;
    size_t pos = 0;
    while (pos <= spec.size()) {
        size_t end = spec.find(',', pos);
        if (end == std::string::npos) {
            end = spec.size();
        }
        std::string item = spec.substr(pos, end - pos);
        size_t eq = item.find('=');
        if (eq == std::string::npos
            || !set_guest_option(&g, item.substr(0, eq), item.substr(eq + 1))) {
            fatal("--guest=%s: \"%s\" is not KEY=VALUE with a per-guest key",
                  spec.c_str(), item.c_str());
        }
        pos = end + 1;
    }
    if (!g.domid) {
        fatal("--guest=%s: needs domid=D (D > 0)", spec.c_str());
    }
    return g;
}

options parse_args(int argc, char **argv)
{
    enum {
        o_simxen = 256, o_guest_opt, o_netns, o_ifname, o_mtu, o_pidfile,
        o_log, o_detach, o_guest, o_poll, o_stats_file, o_help,
    };
    static const struct option longopts[] = {
        {"simxen-dir", required_argument, nullptr, o_simxen},
        {"domid", required_argument, nullptr, o_guest_opt},
        {"devid", required_argument, nullptr, o_guest_opt},
        {"backend-domid", required_argument, nullptr, o_guest_opt},
        {"mode", required_argument, nullptr, o_guest_opt},
        {"netns", required_argument, nullptr, o_netns},
        {"ifname", required_argument, nullptr, o_ifname},
        {"mac", required_argument, nullptr, o_guest_opt},
        {"mtu", required_argument, nullptr, o_mtu},
        {"pidfile", required_argument, nullptr, o_pidfile},
        {"log-file", required_argument, nullptr, o_log},
        {"detach", no_argument, nullptr, o_detach},
        {"hostile", required_argument, nullptr, o_guest_opt},
        {"hostile-after", required_argument, nullptr, o_guest_opt},
        {"hostile-repeat", required_argument, nullptr, o_guest_opt},
        {"on-backend-close", required_argument, nullptr, o_guest_opt},
        {"gen-size", required_argument, nullptr, o_guest_opt},
        {"gen-count", required_argument, nullptr, o_guest_opt},
        {"gen-rate", required_argument, nullptr, o_guest_opt},
        {"gen-flows", required_argument, nullptr, o_guest_opt},
        {"gen-gso-every", required_argument, nullptr, o_guest_opt},
        {"gen-gso-segs", required_argument, nullptr, o_guest_opt},
        {"rx-gso", required_argument, nullptr, o_guest_opt},
        {"gen-dst-mac", required_argument, nullptr, o_guest_opt},
        {"queues", required_argument, nullptr, o_guest_opt},
        {"hotplug", required_argument, nullptr, o_guest_opt},
        {"bridge", required_argument, nullptr, o_guest_opt},
        {"guest", required_argument, nullptr, o_guest},
        {"poll", required_argument, nullptr, o_poll},
        {"stats-file", required_argument, nullptr, o_stats_file},
        {"help", no_argument, nullptr, o_help},
        {nullptr, 0, nullptr, 0},
    };
    options o;
    std::vector<std::string> specs;
    int c, index = 0;
    while ((c = getopt_long(argc, argv, "", longopts, &index)) != -1) {
        switch (c) {
        case o_simxen: o.simxen_dir = optarg; break;
        case o_guest_opt:
            set_guest_option(&o.base, longopts[index].name, optarg);
            break;
        case o_netns: o.netns = optarg; break;
        case o_ifname: o.ifname = optarg; break;
        case o_mtu: o.mtu = static_cast<unsigned>(parse_number(optarg, 65535, "--mtu")); break;
        case o_pidfile: o.pidfile = optarg; break;
        case o_log: o.logfile = optarg; break;
        case o_detach: o.detach = true; break;
        case o_guest: specs.push_back(optarg); break;
        case o_poll:
            if (std::strcmp(optarg, "busy") && std::strcmp(optarg, "sleep")) {
                fatal("--poll=%s: not sleep or busy", optarg);
            }
            o.busy_poll = !std::strcmp(optarg, "busy");
            break;
        case o_stats_file: o.stats_file = optarg; break;
        case o_help: usage(); std::exit(0);
        default: usage(); std::exit(2);
        }
    }
    if (o.simxen_dir.empty() || (specs.empty() && !o.base.domid)) {
        usage();
        std::exit(2);
    }
    if (!specs.empty() && o.base.domid) {
        fatal("--domid and --guest do not go together: give domid= in each "
              "--guest");
    }
    if (specs.empty()) {
        o.guests.push_back(o.base);
    }
    for (const std::string &spec : specs) {
        o.guests.push_back(parse_guest_spec(o.base, spec));
    }
    for (size_t i = 0; i < o.guests.size(); i++) {
        guest_options &g = o.guests[i];
        if (g.mode != "tap" && g.mode != "sink" && g.mode != "gen") {
            fatal("--mode=%s: not tap, sink or gen", g.mode.c_str());
        }
        if (g.mode == "tap" && o.guests.size() > 1) {
            fatal("domain %u: tap mode takes a process of its own (use "
                  "--domid, not --guest)", g.domid);
        }
        if (g.gen_gso_every
            && (g.gen_size < probe_frame::tcp_payload_off + probe_frame::probe_len
                || probe_frame::tcp_payload_off + size_t{g.gen_size
                       - probe_frame::tcp_payload_off} * g.gen_gso_segs
                   > probe_frame::max_size)) {
            fatal("domain %u: --gen-gso-segs=%u segments of --gen-size=%u "
                  "bytes do not make a GSO frame", g.domid, g.gen_gso_segs,
                  g.gen_size);
        }
        netif_hostile h;
        if (!g.hostile.empty() && !parse_hostile(g.hostile, &h)) {
            fatal("--hostile=%s: unknown kind (see --help)", g.hostile.c_str());
        }
        for (size_t j = 0; j < i; j++) {
            if (o.guests[j].domid == g.domid) {
                fatal("domain %u given twice", g.domid);
            }
        }
        if (!g.mac_set) {
            g.mac = {0x00, 0x16, 0x3e, 0x00, static_cast<uint8_t>(g.domid),
                     static_cast<uint8_t>(g.devid)};
        }
    }
    return o;
}

uint64_t monotonic_ns()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}

// One emulated guest: its domain, toolstack keys, netfront and traffic.
class guest {
public:
    // Frames generated per iteration, and received per queue and
    // iteration: up to a whole ring, so that a sink in the same loop as
    // its generator drains what it sends, taken (and the buffers
    // reposted) rx_chunk at a time.
    static constexpr size_t burst = 64;
    static constexpr size_t rx_burst = netif_frontend::rx_ring_size;
    static constexpr size_t rx_chunk = 32;
    // Frames the generator keeps in flight at most (one queue): a burst
    // less than the ring, so that a sink served by the same loop, which may
    // leave a few frames in its RX ring for the next iteration, still has
    // a buffer posted for every frame in flight.
    static constexpr size_t gen_max_in_flight =
        netif_frontend::tx_ring_size - burst;
    // How often xenstore watches are read when not woken by them.
    static constexpr uint64_t watch_period_ns = 50000000;

    guest(const guest_options &go, const options &o)
        : go_(go), o_(o),
          mode_(go.mode == "tap" ? mode::tap
                : go.mode == "gen" ? mode::gen : mode::sink),
          pacer_(go.gen_rate), buf_(65536 + 64), views_(rx_chunk)
    {
        parse_hostile(go.hostile, &hostile_kind_);
        hostile_done_ = go.hostile.empty()
                        || hostile_kind_ == netif_hostile::xenstore_junk
                        || hostile_kind_ == netif_hostile::rewrite_heads;
        frame_.build(go.mac, go.gen_dst_mac, go.gen_size);
        if (go.gen_size < probe_frame::min_size && go.mode == "gen") {
            log_msg("domain %u: --gen-size=%u is too small for a probe; "
                    "sending %zu bytes", go.domid, go.gen_size,
                    frame_.size());
        }
    }

    ~guest() { stop_rewriter(); }

    domid_t domid() const { return go_.domid; }
    bool failed() const { return state_ == state::failed; }
    // A generator sends nothing while held: until every guest of the
    // process is connected, so that the first frames do not meet a
    // destination vif that is not there yet.
    void set_gen_held(bool held) { gen_held_ = held; }
    bool connected() const { return state_ == state::connected; }
    bool closed() const { return state_ == state::closed; }
    bool initial() const { return state_ == state::initial; }

    // What xl does before the guest boots: the domain, its xenstore keys,
    // a watch on the backend's state, and the tap.  0, or fails the guest
    // and returns an errno.
    int create()
    {
        xs_ = open_libxenstore();
        if (!xs_) {
            return fail(errno ? errno : EIO,
                        "cannot connect to simxen's xenstored in %s",
                        o_.simxen_dir.c_str());
        }
        int error = sim_guest::create(
            o_.simxen_dir + "/control", go_.domid,
            go_.queues * netif_frontend::pages_needed + 8,
            2 * go_.queues * netif_frontend::pages_needed + 64, &sim_);
        if (error) {
            return fail(error, "cannot create domain %u", go_.domid);
        }
        plat_ = std::make_unique<sim_frontend_platform>(*sim_);
        keys_ = std::make_unique<vif_keys>(*xs_, go_);
        if (!keys_->create(go_)) {
            return fail(EIO, "cannot write the vif's xenstore keys");
        }
        // From here on we are the guest: like Linux's netfront
        // (xen_net_read_mac()), it takes its MAC from the mac key the
        // toolstack wrote in its device directory.
        auto mac_s = xs_->read(keys_->fe() + "/mac");
        std::array<uint8_t, 6> mac;
        if (!mac_s || !parse_mac(mac_s->c_str(), &mac)) {
            return fail(EINVAL, "no usable mac key in %s",
                        keys_->fe().c_str());
        }
        if (mac != go_.mac) {
            frame_.build(mac, go_.gen_dst_mac, go_.gen_size);
        }
        mac_ = mac;
        xs_->watch(keys_->be() + "/state", "backend");
        if (mode_ == mode::tap) {
            // With virtio-net headers, so that once the backend offers GSO
            // the kernel can hand us TSO frames (offloads are set after
            // connecting).
            error = tap_.open(o_.netns, o_.ifname, mac_, o_.mtu, true);
            if (error) {
                return fail(error, "cannot create tap %s in namespace %s",
                            o_.ifname.c_str(),
                            o_.netns.empty() ? "(ours)" : o_.netns.c_str());
            }
        }
        log_msg("waiting for the backend at %s", keys_->be().c_str());
        state_ = state::initial;
        created_ns_ = monotonic_ns();
        return 0;
    }

    // Connects once the backend is in InitWait (running the hotplug script
    // first, as xl does); does nothing before that.  The first connection
    // fails the guest if it does not happen within 30 s; later ones are
    // retried until they succeed, as Linux's netfront waits for its
    // backend.
    void try_connect(uint64_t now)
    {
        if (state_ != state::initial && state_ != state::waiting) {
            return;
        }
        bool first = state_ == state::initial;
        if (keys_->backend_state() != 2) {          // InitWait
            if (first && now - created_ns_ > 30 * rate_pacer::ns_per_s) {
                if (go_.hotplug.empty()) {
                    fail(ETIMEDOUT, "connection failed");
                } else {
                    fail(ETIMEDOUT, "no backend answered for %s (is "
                         "linc-xen-hotplug on?)", keys_->be().c_str());
                }
            }
            return;
        }
        if (first && !go_.hotplug.empty() && !hotplugged_) {
            int status = run_hotplug(go_.hotplug, "online", keys_->be());
            auto hs = xs_->read(keys_->be() + "/hotplug-status");
            if (status || !hs || *hs != "connected") {
                fail(EIO, "hotplug script %s failed (exit %d)",
                     go_.hotplug.c_str(), status);
                return;
            }
            hotplugged_ = true;
            log_msg("hotplug script %s online: ok", go_.hotplug.c_str());
        }
        // An RX-side fault goes into the ring behind the buffers already
        // posted; post few at first so the backend reaches it soon.
        bool rx_fault = first && !go_.hostile.empty()
                        && hostile_kind_ == netif_hostile::readonly_rx_gref;
        int error = connect_frontend(go_, *sim_, *plat_, *keys_, *xs_, &conn_,
                                     rx_fault ? 2 : netif_frontend::rx_ring_size);
        if (error) {
            disconnect_frontend(*sim_, *keys_, &conn_);
            if (first) {
                fail(error, "connection failed");
            } else {
                log_msg("reconnection failed: %s; retrying",
                        std::strerror(error));
                keys_->set_state(1);
                state_ = state::waiting;
            }
            return;
        }
        if (first) {
            start_ns_ = now;
            pacer_.start(monotonic_ns());
        }
        if (mode_ == mode::tap) {
            set_tap_offloads();
        }
        if (first && go_.hostile == "rewrite-heads") {
            start_rewriter();
        }
        if (!first && go_.hostile_repeat
            && hostile_kind_ != netif_hostile::xenstore_junk) {
            hostile_done_ = false;
            start_ns_ = now;
        }
        state_ = state::connected;
    }

    // Closes the device and starts over (SIGHUP, or the backend closing
    // with --on-backend-close=reconnect); plugs in again a device that the
    // backend closed.
    void reconnect()
    {
        if (state_ == state::closed) {
            log_msg("plugging domain %u's device in again", go_.domid);
            keys_->set_state(1);
            state_ = state::waiting;
            try_connect(monotonic_ns());
            return;
        }
        if (state_ != state::connected) {
            return;
        }
        stop_rewriter();        // Its frontend goes with the connection.
        disconnect_frontend(*sim_, *keys_, &conn_);
        keys_->set_state(1);
        state_ = state::waiting;
        try_connect(monotonic_ns());
    }

    // Reads the backend's state watch (every watch_period_ns, or when its
    // descriptor polled readable) and reacts to the backend closing on us
    // (a failed vif, or the switch going away), as Linux's netfront would.
    void check_backend(uint64_t now, bool woken)
    {
        if (!xs_ || state_ == state::failed
            || (!woken && now - last_watch_ns_ < watch_period_ns)) {
            return;
        }
        last_watch_ns_ = now;
        bool changed = !xs_->poll_watches().empty();
        if (state_ == state::initial || state_ == state::waiting) {
            try_connect(now);
            return;
        }
        if (!changed) {
            return;
        }
        int bs = keys_->backend_state();
        if (bs >= 0 && bs != 4 && bs != 5 && bs != 6) {
            // Linux's netfront ignores these while Connected (InitWait
            // only counts from Initialising); logged, so that tests can
            // tell a backend that never left Connected.
            log_msg("backend went to state %d while domain %u is connected",
                    bs, go_.domid);
            return;
        }
        if (bs == 5 || bs == 6) {
            auto why = xs_->read(keys_->be() + "/error");
            std::string quoted = why ? quote_guest_value(*why, 200) : "";
            if (go_.reconnect_on_close) {
                log_msg("backend went %s (%s); reconnecting domain %u",
                        bs == 5 ? "Closing" : "Closed", quoted.c_str(),
                        go_.domid);
                reconnect();
                return;
            }
            // Linux's netfront: xenbus_frontend_closed(), and no way back
            // but the toolstack plugging the device in again (SIGHUP).
            log_msg("backend went %s (%s); domain %u's device is closed "
                    "until it is plugged in again (SIGHUP)",
                    bs == 5 ? "Closing" : "Closed", quoted.c_str(),
                    go_.domid);
            stop_rewriter();
            disconnect_frontend(*sim_, *keys_, &conn_);
            state_ = state::closed;
        }
    }

    // One iteration: transmit, reap, receive, repost.  Returns whether
    // there was anything to do; lowers '*wake_ns' to when this guest next
    // needs the loop (0: at once) if idle.
    bool step(uint64_t now, uint64_t *wake_ns)
    {
        if (state_ != state::connected) {
            *wake_ns = std::min(*wake_ns, now + watch_period_ns);
            return false;
        }
        if (idle(now, wake_ns)) {
            return false;
        }
        return work(now, wake_ns);
    }

    // A quick look at the rings, so that a busy-polling loop with nothing
    // to do costs a few loads: true if work() would find nothing to do
    // (and then '*wake_ns' is lowered as work() would lower it).
    bool idle(uint64_t now, uint64_t *wake_ns)
    {
        if (mode_ == mode::tap || !hostile_done_) {
            return false;
        }
        for (fe_queue &q : conn_.queues) {
            if (q.fe->tx_responses_pending() || q.fe->rx_responses_pending()
                || q.fe->rx_free_ids()) {
                return false;
            }
        }
        if (mode_ == mode::gen && !gen_held_
            && !(go_.gen_count && gen_seq_ >= go_.gen_count)) {
            bool room = false;
            for (fe_queue &q : conn_.queues) {
                room |= q.fe->tx_room();
            }
            if (conn_.queues.size() == 1
                && conn_.fe0()->tx_in_flight() >= gen_max_in_flight) {
                room = false;
            }
            if (!room) {
                *wake_ns = 0;       // see generate()
            } else if (pacer_.due(now)) {
                return false;
            } else {
                *wake_ns = std::min(*wake_ns, pacer_.next_due_ns());
            }
        }
        return true;
    }

    // The work of step(), out of line so that profiles (utilities/bench/
    // cg-guest.sh) can count it apart from idle polling.
    __attribute__((noinline)) bool work(uint64_t now, uint64_t *wake_ns)
    {
        maybe_hostile(now);
        bool busy = false;
        for (fe_queue &q : conn_.queues) {
            q.fe->reap_tx();
            busy |= receive(*q.fe);
            // Keep the ring full of buffers, reposting what was consumed
            // at once: the backend drops what it cannot place rather than
            // wait for us.
            if (q.fe->rx_free_ids() && hostile_done_) {
                q.fe->post_rx_buffers(netif_frontend::rx_ring_size);
            }
        }
        if (mode_ == mode::tap) {
            busy |= tap_transmit();
        } else if (mode_ == mode::gen && !gen_held_) {
            busy |= generate(now, wake_ns);
        }
        return busy;
    }

    // Before sleeping: re-arms the rings' notifications; true if work
    // arrived meanwhile.
    bool final_check()
    {
        bool more = false;
        if (state_ == state::connected) {
            for (fe_queue &q : conn_.queues) {
                more |= q.fe->final_check_rx();
                more |= q.fe->final_check_tx();
            }
        }
        return more;
    }

    // The descriptors to sleep on: tag 0 is xenstore, 1 the tap, 2 + 2i
    // queue i's (TX or only) event channel, 3 + 2i its RX channel when
    // split.
    template <typename F>
    void for_each_fd(F &&add)
    {
        if (state_ == state::failed || !xs_) {
            return;
        }
        add(xs_->fd(), 0u);
        if (mode_ == mode::tap
            && (state_ != state::connected || tap_may_read())) {
            add(tap_.fd(), 1u);
        }
        if (state_ == state::connected) {
            for (size_t i = 0; i < conn_.queues.size(); i++) {
                const fe_queue &q = conn_.queues[i];
                add(sim_->event_fd(q.tx_port), static_cast<unsigned>(2 + 2 * i));
                if (q.rx_port != q.tx_port) {
                    add(sim_->event_fd(q.rx_port),
                        static_cast<unsigned>(3 + 2 * i));
                }
            }
        }
    }

    void woke(unsigned tag, uint64_t now)
    {
        if (tag == 0) {
            check_backend(now, true);
        } else if (tag >= 2 && state_ == state::connected
                   && (tag - 2) / 2 < conn_.queues.size()) {
            const fe_queue &q = conn_.queues[(tag - 2) / 2];
            sim_->consume(tag % 2 ? q.rx_port : q.tx_port);
        }
    }

    void write_stats(FILE *f) const
    {
        std::fprintf(f, "domid %u mode %s tx_packets %llu rx_packets %llu "
                     "rx_bytes %llu rx_other %llu lat_count %llu "
                     "lat_p50_ns %llu lat_p99_ns %llu lat_max_ns %llu "
                     "rx_reordered %llu rx_gso_frames %llu\n",
                     go_.domid, go_.mode.c_str(), ull(tx_packets_),
                     ull(rx_packets_), ull(rx_bytes_), ull(rx_other_),
                     ull(latency_.count()), ull(latency_.percentile(50)),
                     ull(latency_.percentile(99)), ull(latency_.max()),
                     ull(rx_reordered_), ull(rx_gso_frames_));
    }

    void reset_latency() { latency_.reset(); }
    const std::string &fail_msg() const { return fail_msg_; }

    // SIGUSR2: the domain dies with nothing else done (see the loop).
    void crash()
    {
        if (sim_) {
            sim_->destroy(true);
        }
    }

    // --hostile=rewrite-heads: a thread that flips the headers of every TX
    // buffer (Ethernet, IPv4, the UDP ports: the first 38 bytes) between
    // the frame's own and garbage, for ever, while the backend classifies
    // and copies them.  A flow on the destination MAC and UDP port (the
    // first and last bytes flipped) passes only wholly good headers; the
    // receiver must get exactly those, never garbage (which the sink
    // counts as rx_other).
    void start_rewriter()
    {
        netif_frontend *fe = conn_.fe0();
        std::array<uint8_t, 38> good{}, bad{};
        std::memcpy(good.data(), frame_.data(),
                    std::min(good.size(), frame_.size()));
        bad.fill(0xee);
        rewriter_ = std::thread([this, fe, good, bad]() {
            while (!rewriter_stop_.load(std::memory_order_relaxed)) {
                fe->hostile_scribble_tx(bad.data(), bad.size());
                fe->hostile_scribble_tx(good.data(), good.size());
            }
        });
        log_msg("hostile rewrite-heads: rewriting TX buffers");
    }

    void stop_rewriter()
    {
        if (rewriter_.joinable()) {
            rewriter_stop_.store(true);
            rewriter_.join();
        }
    }

    // SIGTERM: close, run the hotplug script offline, destroy the domain.
    void teardown()
    {
        stop_rewriter();
        if (state_ == state::connected) {
            uint64_t notified = 0;
            for (fe_queue &q : conn_.queues) {
                notified += q.fe->counters().notifications_sent;
            }
            log_msg("stopping: sent %llu, received %llu, notified the "
                    "backend %llu times", ull(tx_packets_), ull(rx_packets_),
                    ull(notified));
            disconnect_frontend(*sim_, *keys_, &conn_);
            if (hotplugged_) {
                run_hotplug(go_.hotplug, "offline", keys_->be());
            }
        }
        destroy_domain();
        state_ = state::failed;
    }

private:
    // closed: the backend closed the device, which waits for SIGHUP.
    enum class state { none, initial, waiting, connected, closed, failed };
    enum class mode { tap, sink, gen };

    static unsigned long long ull(uint64_t v) { return v; }

    int fail(int error, const char *fmt, ...) __attribute__((format(printf, 3, 4)))
    {
        stop_rewriter();
        char msg[512];
        va_list args;
        va_start(args, fmt);
        std::vsnprintf(msg, sizeof msg, fmt, args);
        va_end(args);
        log_msg("domain %u failed: %s: %s", go_.domid, msg,
                std::strerror(error));
        fail_msg_ = std::string(msg) + ": " + std::strerror(error);
        if (conn_.up()) {
            disconnect_frontend(*sim_, *keys_, &conn_);
        }
        destroy_domain();
        state_ = state::failed;
        return error;
    }

    void destroy_domain()
    {
        if (sim_) {
            sim_->destroy();
        }
        // As the toolstack does when a domain goes: its xenstore directory
        // goes too (the backend directory stays with the backend).
        if (xs_ && keys_) {
            xs_->rm("/local/domain/" + std::to_string(go_.domid));
        }
        keys_.reset();
        plat_.reset();
        sim_.reset();
    }

    void set_tap_offloads()
    {
        // As Linux's netfront: TSO only if the backend takes GSO frames;
        // checksum offload always (netfront marks packets csum_blank).
        auto gso4 = parse_xs_uint(xs_->read(keys_->be() + "/feature-gso-tcpv4"), 1);
        auto gso6 = parse_xs_uint(xs_->read(keys_->be() + "/feature-gso-tcpv6"), 1);
        unsigned offloads = TUN_F_CSUM;
        offloads |= gso4 && *gso4 ? TUN_F_TSO4 : 0;
        offloads |= gso6 && *gso6 ? TUN_F_TSO6 : 0;
        if (tap_.set_offloads(offloads)) {
            log_msg("cannot set the tap's offloads; sending full frames");
            tap_.set_offloads(0);
        }
    }

    void maybe_hostile(uint64_t now)
    {
        if (hostile_done_
            || double(now - start_ns_) / 1e9 < go_.hostile_after) {
            return;
        }
        int error = conn_.fe0()->hostile(
            hostile_kind_,
            hostile_kind_ == netif_hostile::notification_storm ? 200000
            : hostile_kind_ == netif_hostile::gso_amplify ? 64
            : hostile_kind_ == netif_hostile::unfinishable_csum ? 8 : 1);
        // EAGAIN: no free RX slot for an RX-side fault yet; we stop
        // reposting buffers until one frees up.
        if (error != EAGAIN) {
            hostile_done_ = true;
            log_msg("hostile %s sent: %s", go_.hostile.c_str(),
                    error ? std::strerror(error) : "ok");
        }
    }

    // Whether every queue has room for the largest packet.  Until they
    // do, the tap is not read (nor polled): the kernel keeps the packets,
    // and TCP's small-queue limits hold back its senders, as when
    // netfront stops its queue.
    bool tap_may_read() const
    {
        for (const fe_queue &q : conn_.queues) {
            if (!q.fe->tx_room_for_any()) {
                return false;
            }
        }
        return true;
    }

    // Guest transmit from the tap.
    bool tap_transmit()
    {
        bool busy = false;
        for (int i = 0; i < 32 && tap_may_read(); i++) {
            vnet_hdr vh;
            long n = tap_.read(buf_.data(), buf_.size(), &vh);
            if (n <= 0) {
                break;
            }
            frontend_tx_meta meta = tx_meta_from_vnet(vh);
            netif_frontend *fe = conn_.queues[flow_queue(
                buf_.data(), static_cast<size_t>(n), conn_.queues.size())].fe.get();
            if (fe->send(buf_.data(), static_cast<size_t>(n), meta) == EAGAIN) {
                fe->push_tx();
                fe->reap_tx();
                fe->send(buf_.data(), static_cast<size_t>(n), meta);
            }
            busy = true;
        }
        if (busy) {
            for (fe_queue &q : conn_.queues) {
                q.fe->push_tx();
            }
        }
        return busy;
    }

    // Generated probes: as many as are due (at most a burst), stamped with
    // one clock reading just before they are queued, then one push.
    bool generate(uint64_t now, uint64_t *wake_ns)
    {
        if (go_.gen_count && gen_seq_ >= go_.gen_count) {
            return false;
        }
        uint64_t due = std::min<uint64_t>(pacer_.due(now), burst);
        if (go_.gen_count) {
            due = std::min(due, go_.gen_count - gen_seq_);
        }
        if (!due) {
            *wake_ns = std::min(*wake_ns, pacer_.next_due_ns());
            return false;
        }
        const size_t nq = conn_.queues.size();
        const uint64_t send_ns = monotonic_ns();
        uint64_t n = 0;
        if (go_.gen_gso_every) {
            return generate_mixed(due, send_ns, wake_ns);
        }
        if (nq == 1 && frame_.size() <= page_size) {
            // One queue, one slot per frame: the whole burst at once.
            netif_frontend *fe = conn_.fe0();
            size_t in_flight = fe->tx_in_flight();
            size_t room = in_flight < gen_max_in_flight
                          ? gen_max_in_flight - in_flight : 0;
            n = fe->reserve_tx_burst(frame_.size(), {},
                                     std::min<uint64_t>(due, room), segs_);
            for (size_t i = 0; i < n; i++) {
                fill_frame(&segs_[i], 1, send_ns);
            }
        }
        for (; n < due && !(nq == 1 && frame_.size() <= page_size); n++) {
            netif_frontend *fe = conn_.queues[gen_flow_ % nq].fe.get();
            size_t nsegs;
            if (fe->reserve_tx(frame_.size(), frontend_tx_meta{}, segs_,
                               &nsegs)) {
                break;
            }
            fill_frame(segs_, nsegs, send_ns);
        }
        pacer_.sent(n);
        tx_packets_ += n;
        if (n) {
            for (fe_queue &q : conn_.queues) {
                q.fe->push_tx();
            }
        } else {
            // The ring is full: come back at once (the TX responses that
            // free it may not be notified).
            *wake_ns = 0;
        }
        return n > 0;
    }

    // generate() with --gen-gso-every: one frame at a time, each either the
    // probe or a TCP GSO frame whose segments carry the next sequence
    // numbers.  For ordering tests, not speed.
    bool generate_mixed(uint64_t due, uint64_t send_ns, uint64_t *wake_ns)
    {
        netif_frontend *fe = conn_.fe0();
        // parse_args() checked that these sizes make a frame.
        const size_t mss = go_.gen_size - probe_frame::tcp_payload_off;
        uint64_t n = 0;
        for (; n < due; n++) {
            if (++gen_frames_ % go_.gen_gso_every == 0) {
                size_t len = probe_frame::build_tcp_gso(
                    buf_.data(), mac_, go_.gen_dst_mac,
                    static_cast<uint16_t>(mss), go_.gen_gso_segs, gen_seq_,
                    send_ns, static_cast<uint32_t>(gen_seq_ * mss));
                frontend_tx_meta meta;
                meta.flags = packet_csum_blank;
                meta.gso_type = XEN_NETIF_GSO_TYPE_TCPV4;
                meta.gso_size = static_cast<uint16_t>(mss);
                if (fe->send(buf_.data(), len, meta)) {
                    gen_frames_--;
                    break;
                }
                gen_seq_ += go_.gen_gso_segs;
                continue;
            }
            size_t nsegs;
            if (fe->reserve_tx(frame_.size(), frontend_tx_meta{}, segs_,
                               &nsegs)) {
                gen_frames_--;
                break;
            }
            fill_frame(segs_, nsegs, send_ns);
        }
        pacer_.sent(n);
        tx_packets_ += n;
        if (n) {
            fe->push_tx();
        } else {
            *wake_ns = 0;       // The ring is full: see generate().
        }
        return n > 0;
    }

    // Writes the next generated frame into the TX buffer segments 'segs'.
    // The buffers keep the frame between packets: it is written whole only
    // into a buffer that does not hold our segment k (tag k + 1), then only
    // the fields that change, all in the first segment (which starts at
    // offset 0 and holds at least min_size bytes).
    void fill_frame(const frontend_tx_segment *segs, size_t nsegs,
                    uint64_t send_ns)
    {
        size_t pos = 0;
        for (size_t k = 0; k < nsegs; k++) {
            if (*segs[k].tag != k + 1) {
                std::memcpy(segs[k].data, frame_.data() + pos, segs[k].len);
                *segs[k].tag = uint32_t(k + 1);
            }
            pos += segs[k].len;
        }
        if (go_.gen_flows > 1) {
            frame_.write_flow(segs[0].data, gen_flow_);
        }
        probe_frame::stamp(segs[0].data, gen_seq_, send_ns);
        gen_seq_++;
        if (++gen_flow_ == go_.gen_flows) {
            gen_flow_ = 0;
        }
    }

    bool tap_receive(netif_frontend &fe)
    {
        size_t i = 0;
        for (; i < rx_burst; i++) {
            frontend_rx_packet info;
            int r = fe.receive(buf_.data(), buf_.size(), &info);
            if (r == 0) {
                break;
            }
            if (r == 1) {
                rx_packets_++;
                rx_bytes_ += info.len;
                tap_.write(buf_.data(), info.len, vnet_from_rx(buf_.data(), info));
            }
        }
        return i > 0;
    }

    void note_probe_seq(uint64_t seq)
    {
        if (seq < max_seq_seen_) {
            rx_reordered_++;
        } else {
            max_seq_seen_ = seq;
        }
    }

    // A GSO frame taken whole (as the kernel would, from netfront) holds a
    // probe per segment: the first, at 'first' (parsed already), then one
    // every gso_size bytes.  Their order counts; the first stands for the
    // frame's latency.
    void inner_probes(const frontend_rx_view &v, size_t first)
    {
        const size_t mss = v.info.gso_size;
        if (mss < probe_frame::probe_len) {
            return;
        }
        for (size_t off = first + mss; off + probe_frame::probe_len <= v.info.len;
             off += mss) {
            uint8_t p[probe_frame::probe_len];
            if (!copy_from_view(v, off, p, sizeof p)) {
                return;
            }
            uint64_t seq;
            if (probe_frame::parse_payload(p, sizeof p, &seq)) {
                note_probe_seq(seq);
            }
        }
    }

    // Bytes [off, off + n) of a received frame, across its slots.
    static bool copy_from_view(const frontend_rx_view &v, size_t off,
                               uint8_t *dst, size_t n)
    {
        for (size_t k = 0; k < v.nsegs && n; k++) {
            const size_t len = v.segs[k].len;
            if (off >= len) {
                off -= len;
                continue;
            }
            const size_t c = std::min(n, len - off);
            std::memcpy(dst, v.segs[k].data + off, c);
            dst += c;
            n -= c;
            off = 0;
        }
        return n == 0;
    }

    // Up to a burst of received frames: the tap gets a copy of each; the
    // sink reads the probe fields in the RX buffers (copying only a
    // frame's start when it is split over slots), and takes the probes'
    // latencies with one clock reading for the burst.
    bool receive(netif_frontend &fe)
    {
        if (mode_ == mode::tap) {
            return tap_receive(fe);
        }
        size_t total = 0;
        for (;;) {
            uint64_t sent_at[rx_chunk];
            size_t probes = 0;
            uint64_t bytes = 0;
            const size_t n = fe.receive_views(views_.data(), rx_chunk);
            for (size_t i = 0; i < n; i++) {
                const frontend_rx_view &v = views_[i];
                bytes += v.info.len;
                const uint8_t *start = v.segs[0].data;
                size_t len = v.segs[0].len;
                if (len < probe_frame::max_parse_len && len < v.info.len) {
                    len = 0;
                    for (size_t k = 0; k < v.nsegs && len < sizeof head_; k++) {
                        size_t c = std::min(sizeof head_ - len,
                                            size_t(v.segs[k].len));
                        std::memcpy(head_ + len, v.segs[k].data, c);
                        len += c;
                    }
                    start = head_;
                }
                uint64_t seq;
                size_t at;
                if (probe_frame::parse(start, len, &seq, &sent_at[probes],
                                       &at)) {
                    probes++;
                    note_probe_seq(seq);
                    if (v.info.gso_type != XEN_NETIF_GSO_TYPE_NONE) {
                        inner_probes(v, at);
                    }
                }
                rx_gso_frames_ += v.info.gso_type != XEN_NETIF_GSO_TYPE_NONE;
            }
            rx_packets_ += n;
            rx_bytes_ += bytes;
            rx_other_ += n - probes;
            total += n;
            if (probes) {
                uint64_t now = monotonic_ns();
                for (size_t k = 0; k < probes; k++) {
                    // A send time in the future (another clock, a forged
                    // frame) counts as 0.
                    latency_.record(now > sent_at[k] ? now - sent_at[k] : 0);
                }
            }
            // The views are read: repost their buffers at once, so that
            // the backend does not run short while we take the rest.
            if (n && hostile_done_) {
                fe.post_rx_buffers(netif_frontend::rx_ring_size);
            }
            if (n < rx_chunk || total >= rx_burst) {
                return total > 0;
            }
        }
    }

    const guest_options go_;
    const options &o_;
    const mode mode_;
    state state_ = state::none;
    std::unique_ptr<xs_store> xs_;
    std::unique_ptr<sim_guest> sim_;
    std::unique_ptr<sim_frontend_platform> plat_;
    std::unique_ptr<vif_keys> keys_;
    tap_device tap_;
    connection conn_;
    bool hotplugged_ = false;
    netif_hostile hostile_kind_{};
    bool hostile_done_ = true;
    std::thread rewriter_;
    std::atomic<bool> rewriter_stop_{false};
    bool gen_held_ = false;     // set_gen_held()
    std::string fail_msg_;
    uint64_t created_ns_ = 0;
    uint64_t start_ns_ = 0;
    uint64_t last_watch_ns_ = 0;

    probe_frame frame_;
    std::array<uint8_t, 6> mac_{};         // read from xenstore in create()
    rate_pacer pacer_;
    uint64_t gen_seq_ = 0;
    uint32_t gen_flow_ = 0;
    uint64_t gen_frames_ = 0;               // --gen-gso-every's count
    uint64_t max_seq_seen_ = 0;             // sink: the highest probe seq
    uint64_t rx_reordered_ = 0;             // probes below max_seq_seen_

    std::vector<uint8_t> buf_;
    std::vector<frontend_rx_view> views_;       // sink: a burst's packets
    frontend_tx_segment segs_[std::max<size_t>(burst, netif_max_slots)];
    uint8_t head_[probe_frame::max_parse_len];
    uint64_t tx_packets_ = 0;
    uint64_t rx_packets_ = 0;
    uint64_t rx_bytes_ = 0;
    uint64_t rx_other_ = 0;
    uint64_t rx_gso_frames_ = 0;            // taken whole, GSO info and all
    latency_histogram latency_;
};

// Replaces 'path' with every guest's statistics line (see the top).
void write_stats(const std::string &path,
                 const std::vector<std::unique_ptr<guest>> &guests)
{
    std::string tmp = path + ".tmp";
    FILE *f = std::fopen(tmp.c_str(), "w");
    if (!f) {
        log_msg("%s: %s", tmp.c_str(), std::strerror(errno));
        return;
    }
    for (const auto &g : guests) {
        g->write_stats(f);
    }
    if (std::fclose(f) || std::rename(tmp.c_str(), path.c_str())) {
        log_msg("%s: %s", path.c_str(), std::strerror(errno));
        unlink(tmp.c_str());
    }
}

}  // namespace

int main(int argc, char **argv)
{
    options o = parse_args(argc, argv);
    // One guest, as linc-guest always was: any failure ends the process.
    const bool single = o.guests.size() == 1;
    if (!o.logfile.empty()) {
        log_file = std::fopen(o.logfile.c_str(), "a");
        if (!log_file) {
            log_file = stderr;
            fatal("%s: %s", o.logfile.c_str(), std::strerror(errno));
        }
    }

    // --detach: the parent returns once the guests are connected (or one
    // failed), so "linc-guest --detach && ping" does not race the set-up.
    int ready[2] = {-1, -1};
    if (o.detach) {
        if (pipe(ready)) {
            fatal("pipe: %s", std::strerror(errno));
        }
        pid_t pid = fork();
        if (pid < 0) {
            fatal("fork: %s", std::strerror(errno));
        }
        if (pid > 0) {
            close(ready[1]);
            char status = 1;
            if (read(ready[0], &status, 1) != 1) {
                status = 1;
            }
            return status;
        }
        close(ready[0]);
        setsid();
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, STDIN_FILENO);
            dup2(null, STDOUT_FILENO);
            if (log_file != stderr) {
                dup2(null, STDERR_FILENO);
            }
        }
    }
    write_pidfile(o.pidfile);

    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGHUP, &sa, nullptr);
    sigaction(SIGUSR1, &sa, nullptr);
    sigaction(SIGUSR2, &sa, nullptr);
    signal(SIGPIPE, SIG_IGN);

    setenv("XENSTORED_PATH", (o.simxen_dir + "/xenstored").c_str(), 1);
    std::vector<std::unique_ptr<guest>> guests;
    for (const guest_options &go : o.guests) {
        guests.push_back(std::make_unique<guest>(go, o));
        int error = guests.back()->create();
        if (error && single) {
            fatal("domain %u: %s", go.domid, std::strerror(error));
        }
    }

    bool detach_pending = o.detach;
    int rc = 0;
    std::vector<pollfd> fds;
    std::vector<std::pair<guest *, unsigned>> fd_owner;
    fds.reserve(64);
    fd_owner.reserve(64);
    auto live = [&] {
        for (const auto &g : guests) {
            if (!g->failed()) {
                return true;
            }
        }
        return false;
    };

    while (!stop_requested) {
        uint64_t now = monotonic_ns();
        if (crash_requested) {
            // The domains die as in a crash, and no toolstack removes their
            // xenstore keys or tells the backend: only the hypervisor knows.
            log_msg("crashing");
            for (auto &g : guests) {
                g->crash();
            }
            if (!o.pidfile.empty()) {
                unlink(o.pidfile.c_str());
            }
            std::_Exit(0);
        }
        if (stats_requested) {
            stats_requested = 0;
            if (!o.stats_file.empty()) {
                write_stats(o.stats_file, guests);
            }
            for (auto &g : guests) {
                g->reset_latency();
            }
        }
        if (reconnect_requested) {
            reconnect_requested = 0;
            log_msg("reconnecting");
            for (auto &g : guests) {
                g->reconnect();
            }
        }

        bool busy = false;
        uint64_t wake_ns = now + 100000000;     // at most 100 ms asleep
        bool all_up = true;
        for (auto &g : guests) {
            all_up &= g->connected() || g->failed() || g->closed();
        }
        for (auto &g : guests) {
            g->check_backend(now, false);
            g->set_gen_held(!all_up);
            busy |= g->step(now, &wake_ns);
        }

        bool all_settled = true;
        for (auto &g : guests) {
            all_settled &= !g->initial();
        }
        if (single && guests[0]->failed()) {
            if (detach_pending) {
                char status = 1;
                (void) !write(ready[1], &status, 1);
            }
            fatal("%s", guests[0]->fail_msg().c_str());
        }
        if (detach_pending && all_settled) {
            char status = 0;
            for (auto &g : guests) {
                status |= g->failed();
            }
            (void) !write(ready[1], &status, 1);
            close(ready[1]);
            detach_pending = false;
        }
        if (!live()) {
            log_msg("no guest left");
            rc = 1;
            break;
        }
        if (busy || o.busy_poll) {
            continue;
        }

        // Sleep until an event channel, a tap, xenstore or the generator's
        // pace has news.
        bool more = false;
        for (auto &g : guests) {
            more |= g->final_check();
        }
        if (more) {
            continue;
        }
        fds.clear();
        fd_owner.clear();
        for (auto &g : guests) {
            g->for_each_fd([&](int fd, unsigned tag) {
                fds.push_back({fd, POLLIN, 0});
                fd_owner.emplace_back(g.get(), tag);
            });
        }
        now = monotonic_ns();
        uint64_t wait = wake_ns > now ? wake_ns - now : 0;
        timespec timeout{static_cast<time_t>(wait / 1000000000u),
                         static_cast<long>(wait % 1000000000u)};
        int n = ppoll(fds.data(), fds.size(), &timeout, nullptr);
        if (n > 0) {
            now = monotonic_ns();
            for (size_t i = 0; i < fds.size(); i++) {
                if (fds[i].revents) {
                    fd_owner[i].first->woke(fd_owner[i].second, now);
                }
            }
        }
    }

    if (!o.stats_file.empty()) {
        write_stats(o.stats_file, guests);
    }
    for (auto &g : guests) {
        g->teardown();
    }
    if (!o.pidfile.empty()) {
        unlink(o.pidfile.c_str());
    }
    return rc;
}
