// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// linc-guest: an emulated Xen guest with one network device, on simxen.
//
// It plays both the toolstack (creates domain D, writes the vif's backend
// and frontend directories in xenstore, as xl does) and the guest's netfront
// (negotiates with the backend as Linux's xen-netfront does, then runs the
// rings).  Modes:
//
//   tap    a tap device inside a network namespace carries the kernel's own
//          stack through the rings: ping, iperf3, TCP all work;
//   sink   counts what it receives;
//   gen    sends fixed-size UDP frames (for tests; the benchmark tool has
//          its own generator).
//
// --hostile=KIND connects normally, waits --hostile-after seconds, then
// breaks the protocol once in that way (netif_frontend::hostile), so tests
// can check that only this vif fails.
//
// SIGTERM closes the device (Closing, then Closed once the backend agrees)
// and destroys the domain; SIGHUP closes and reconnects it.

#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/if_tun.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "netdev-xen/l4-csum.h"
#include "netdev-xen/netif-backend.h"
#include "netdev-xen/netif-frontend.h"
#include "netdev-xen/vif-xenbus.h"
#include "utilities/guest/tap-device.h"
#include "utilities/simxen/sim-guest.h"

using namespace linc::xen;
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

void on_signal(int sig)
{
    if (sig == SIGHUP) {
        reconnect_requested = 1;
    } else {
        stop_requested = 1;
    }
}

struct options {
    std::string simxen_dir;
    domid_t domid = 0;
    unsigned devid = 0;
    domid_t backend = 0;
    std::string mode = "tap";
    std::string netns;
    std::string ifname = "eth0";
    std::array<uint8_t, 6> mac{};
    bool mac_set = false;
    unsigned mtu = 1500;
    std::string pidfile;
    std::string logfile;
    bool detach = false;
    std::string hostile;
    double hostile_after = 0.5;
    unsigned queues = 1;
    std::string hotplug;            // xl's script=, run as xl runs it
    std::string bridge;             // xl's bridge=
    unsigned gen_size = 64;
    unsigned gen_count = 0;         // 0: until stopped
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
    vif_keys(xs_store &xs, const options &o)
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
    bool create(const options &o)
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
    evtchn_port_t port = 0;
};

// One connection of the netfront: rings granted, keys written.
struct connection {
    std::vector<fe_queue> queues;
    bool up() const { return !queues.empty(); }
    netif_frontend *fe0() { return queues[0].fe.get(); }
};

int connect_frontend(const options &o, sim_guest &g, sim_frontend_platform &plat,
                     vif_keys &keys, xs_store &xs, connection *c,
                     size_t rx_buffers = netif_frontend::rx_ring_size)
{
    log_msg("waiting for the backend at %s", keys.be().c_str());
    if (!keys.wait_backend(1u << 2, 30000)) {      // InitWait
        return ETIMEDOUT;
    }
    auto sg = parse_xs_uint(xs.read(keys.be() + "/feature-sg"), 1);
    auto rx_copy = parse_xs_uint(xs.read(keys.be() + "/feature-rx-copy"), 1);
    if (!rx_copy || !*rx_copy) {
        log_msg("backend does not offer rx-copy");
        return EPROTO;
    }

    auto max_q = parse_xs_uint(xs.read(keys.be() + "/multi-queue-max-queues"),
                               16);
    unsigned nq = std::min<unsigned>(o.queues, max_q && *max_q ? *max_q : 1);
    const std::string &fe = keys.fe();
    bool ok = true;
    c->queues.resize(nq);
    for (unsigned i = 0; i < nq; i++) {
        fe_queue &q = c->queues[i];
        int error = g.alloc_unbound(o.backend, &q.port);
        if (error) {
            return error;
        }
        netif_frontend_config cfg;
        cfg.backend_domid = o.backend;
        cfg.first_page = i * netif_frontend::pages_needed;
        cfg.tx_port = cfg.rx_port = q.port;
        cfg.sg = sg && *sg;
        q.fe = std::make_unique<netif_frontend>(&plat, cfg);
        error = q.fe->init();
        if (error) {
            return error;
        }
        // One queue: keys at the top, as before multi-queue; several: one
        // directory per queue, as Linux's netfront writes them.
        std::string dir = nq == 1 ? fe : fe + "/queue-" + std::to_string(i);
        ok = ok && xs.write(dir + "/tx-ring-ref", std::to_string(q.fe->tx_ring_ref()))
             && xs.write(dir + "/rx-ring-ref", std::to_string(q.fe->rx_ring_ref()))
             && xs.write(dir + "/event-channel", std::to_string(q.port));
    }
    if (nq > 1) {
        ok = ok && xs.write(fe + "/multi-queue-num-queues", std::to_string(nq));
    }
    ok = ok && xs.write(fe + "/request-rx-copy", "1")
         && xs.write(fe + "/feature-rx-notify", "1")
         && xs.write(fe + "/feature-sg", sg && *sg ? "1" : "0")
         && xs.write(fe + "/feature-gso-tcpv4", "0")
         && xs.write(fe + "/feature-gso-tcpv6", "0")
         && keys.set_state(4);
    if (!ok) {
        return EIO;
    }
    if (!keys.wait_backend(1u << 4 | 1u << 6, 30000)) {
        return ETIMEDOUT;
    }
    if (keys.backend_state() != 4) {
        auto why = xs.read(keys.be() + "/error");
        log_msg("backend refused the connection: %s",
                why ? why->c_str() : "(no reason)");
        return ECONNREFUSED;
    }
    for (fe_queue &q : c->queues) {
        q.fe->post_rx_buffers(rx_buffers);
    }
    log_msg("connected: domain %u device %u, %zu queue(s), event channel %u",
            o.domid, o.devid, c->queues.size(), c->queues[0].port);
    return 0;
}

void disconnect_frontend(sim_guest &g, vif_keys &keys, connection *c)
{
    keys.set_state(5);                              // Closing
    keys.wait_backend(1u << 6 | 1u << 5, 5000);     // Closed
    keys.set_state(6);
    for (fe_queue &q : c->queues) {
        if (q.port) {
            g.unbind(q.port);
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
        "linc-guest: an emulated Xen guest with one netfront, on simxen\n"
        "usage: linc-guest --simxen-dir=DIR --domid=D [options]\n"
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
        "  --gen-size=N         gen mode frame size (default 64)\n"
        "  --gen-count=N        gen mode frames to send (default: until stopped)\n"
        "  --hostile=KIND       break the protocol once after connecting:\n"
        "                       bad-gref ungranted-gref foreign-gref\n"
        "                       readonly-rx-gref offset-past-page too-many-slots\n"
        "                       prod-overrun rx-prod-overrun zero-length\n"
        "                       oversize-length duplicate-ids\n"
        "                       frag-size-mismatch bad-extra notification-storm\n"
        "  --hostile-after=SEC  delay before that (default 0.5)\n"
        "  --pidfile=FILE --log-file=FILE --detach\n"
        "SIGTERM: close and destroy the domain; SIGHUP: close and reconnect.\n");
}

options parse_args(int argc, char **argv)
{
    enum {
        o_simxen = 256, o_domid, o_devid, o_backend, o_mode, o_netns,
        o_ifname, o_mac, o_mtu, o_pidfile, o_log, o_detach, o_hostile,
        o_hostile_after, o_gen_size, o_gen_count, o_queues, o_hotplug,
        o_bridge, o_help,
    };
    static const struct option longopts[] = {
        {"simxen-dir", required_argument, nullptr, o_simxen},
        {"domid", required_argument, nullptr, o_domid},
        {"devid", required_argument, nullptr, o_devid},
        {"backend-domid", required_argument, nullptr, o_backend},
        {"mode", required_argument, nullptr, o_mode},
        {"netns", required_argument, nullptr, o_netns},
        {"ifname", required_argument, nullptr, o_ifname},
        {"mac", required_argument, nullptr, o_mac},
        {"mtu", required_argument, nullptr, o_mtu},
        {"pidfile", required_argument, nullptr, o_pidfile},
        {"log-file", required_argument, nullptr, o_log},
        {"detach", no_argument, nullptr, o_detach},
        {"hostile", required_argument, nullptr, o_hostile},
        {"hostile-after", required_argument, nullptr, o_hostile_after},
        {"gen-size", required_argument, nullptr, o_gen_size},
        {"gen-count", required_argument, nullptr, o_gen_count},
        {"queues", required_argument, nullptr, o_queues},
        {"hotplug", required_argument, nullptr, o_hotplug},
        {"bridge", required_argument, nullptr, o_bridge},
        {"help", no_argument, nullptr, o_help},
        {nullptr, 0, nullptr, 0},
    };
    options o;
    bool have_domid = false;
    auto number = [](const char *s, unsigned long max, const char *what) {
        auto v = parse_xs_uint(std::string(s), max);
        if (!v) {
            fatal("%s: %s is not a number up to %lu", what, s, max);
        }
        return static_cast<unsigned long>(*v);
    };
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, nullptr)) != -1) {
        switch (c) {
        case o_simxen: o.simxen_dir = optarg; break;
        case o_domid:
            o.domid = static_cast<domid_t>(number(optarg, 0x7fef, "--domid"));
            have_domid = o.domid > 0;
            break;
        case o_devid: o.devid = static_cast<unsigned>(number(optarg, 0xffff, "--devid")); break;
        case o_backend: o.backend = static_cast<domid_t>(number(optarg, 0x7fef, "--backend-domid")); break;
        case o_mode: o.mode = optarg; break;
        case o_netns: o.netns = optarg; break;
        case o_ifname: o.ifname = optarg; break;
        case o_mac:
            if (!parse_mac(optarg, &o.mac)) {
                fatal("--mac: %s is not a MAC address", optarg);
            }
            o.mac_set = true;
            break;
        case o_mtu: o.mtu = static_cast<unsigned>(number(optarg, 65535, "--mtu")); break;
        case o_pidfile: o.pidfile = optarg; break;
        case o_log: o.logfile = optarg; break;
        case o_detach: o.detach = true; break;
        case o_hostile: o.hostile = optarg; break;
        case o_hostile_after: o.hostile_after = std::atof(optarg); break;
        case o_gen_size: o.gen_size = static_cast<unsigned>(number(optarg, 65535, "--gen-size")); break;
        case o_gen_count: o.gen_count = static_cast<unsigned>(number(optarg, 4000000000ul, "--gen-count")); break;
        case o_queues:
            o.queues = static_cast<unsigned>(number(optarg, 16, "--queues"));
            if (!o.queues) {
                fatal("--queues: 1..16");
            }
            break;
        case o_hotplug: o.hotplug = optarg; break;
        case o_bridge: o.bridge = optarg; break;
        case o_help: usage(); std::exit(0);
        default: usage(); std::exit(2);
        }
    }
    if (o.simxen_dir.empty() || !have_domid) {
        usage();
        std::exit(2);
    }
    if (o.mode != "tap" && o.mode != "sink" && o.mode != "gen") {
        fatal("--mode=%s: not tap, sink or gen", o.mode.c_str());
    }
    if (!o.mac_set) {
        o.mac = {0x00, 0x16, 0x3e, 0x00, static_cast<uint8_t>(o.domid),
                 static_cast<uint8_t>(o.devid)};
    }
    return o;
}

}  // namespace

int main(int argc, char **argv)
{
    options o = parse_args(argc, argv);
    netif_hostile hostile_kind{};
    if (!o.hostile.empty() && !parse_hostile(o.hostile, &hostile_kind)) {
        fatal("--hostile=%s: unknown kind (see --help)", o.hostile.c_str());
    }
    if (!o.logfile.empty()) {
        log_file = std::fopen(o.logfile.c_str(), "a");
        if (!log_file) {
            log_file = stderr;
            fatal("%s: %s", o.logfile.c_str(), std::strerror(errno));
        }
    }

    // --detach: the parent returns once the guest is connected (or failed),
    // so "linc-guest --detach && ping" does not race the set-up.
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
    signal(SIGPIPE, SIG_IGN);

    setenv("XENSTORED_PATH", (o.simxen_dir + "/xenstored").c_str(), 1);
    std::unique_ptr<xs_store> xs = open_libxenstore();
    if (!xs) {
        fatal("cannot connect to simxen's xenstored in %s: %s",
              o.simxen_dir.c_str(), std::strerror(errno));
    }

    std::unique_ptr<sim_guest> guest;
    int error = sim_guest::create(o.simxen_dir + "/control", o.domid,
                                  o.queues * netif_frontend::pages_needed + 8,
                                  2 * o.queues * netif_frontend::pages_needed + 64,
                                  &guest);
    if (error) {
        fatal("cannot create domain %u: %s", o.domid, std::strerror(error));
    }
    sim_frontend_platform plat(*guest);
    vif_keys keys(*xs, o);
    if (!keys.create(o)) {
        fatal("cannot write the vif's xenstore keys");
    }
    xs->watch(keys.be() + "/state", "backend");

    tap_device tap;
    if (o.mode == "tap") {
        // With virtio-net headers, so that once the backend offers GSO the
        // kernel can hand us TSO frames (offloads are set after connecting).
        error = tap.open(o.netns, o.ifname, o.mac, o.mtu, true);
        if (error) {
            fatal("cannot create tap %s in namespace %s: %s", o.ifname.c_str(),
                  o.netns.empty() ? "(ours)" : o.netns.c_str(),
                  std::strerror(error));
        }
    }

    // xl waits for the backend to reach InitWait, then runs the vif's
    // hotplug script, which is what makes the switch serve it.
    if (!o.hotplug.empty()) {
        if (!keys.wait_backend(1u << 2, 30000)) {
            fatal("no backend answered for %s (is linc-xen-hotplug on?)",
                  keys.be().c_str());
        }
        int status = run_hotplug(o.hotplug, "online", keys.be());
        auto hs = xs->read(keys.be() + "/hotplug-status");
        if (status || !hs || *hs != "connected") {
            fatal("hotplug script %s failed (exit %d)", o.hotplug.c_str(),
                  status);
        }
        log_msg("hotplug script %s online: ok", o.hotplug.c_str());
    }

    // An RX-side fault goes into the ring behind the buffers already
    // posted; post few at first so the backend reaches it soon.
    bool rx_fault = !o.hostile.empty()
                    && (hostile_kind == netif_hostile::readonly_rx_gref);
    connection conn;
    error = connect_frontend(o, *guest, plat, keys, *xs, &conn,
                             rx_fault ? 2 : netif_frontend::rx_ring_size);
    if (o.detach) {
        char status = error ? 1 : 0;
        (void) !write(ready[1], &status, 1);
        close(ready[1]);
    }
    if (error) {
        fatal("connection failed: %s", std::strerror(error));
    }
    if (o.mode == "tap") {
        // As Linux's netfront: TSO only if the backend takes GSO frames;
        // checksum offload always (netfront marks packets csum_blank).
        auto gso4 = parse_xs_uint(xs->read(keys.be() + "/feature-gso-tcpv4"), 1);
        auto gso6 = parse_xs_uint(xs->read(keys.be() + "/feature-gso-tcpv6"), 1);
        unsigned offloads = TUN_F_CSUM;
        offloads |= gso4 && *gso4 ? TUN_F_TSO4 : 0;
        offloads |= gso6 && *gso6 ? TUN_F_TSO6 : 0;
        if (tap.set_offloads(offloads)) {
            log_msg("cannot set the tap's offloads; sending full frames");
            tap.set_offloads(0);
        }
    }

    auto start = std::chrono::steady_clock::now();
    bool hostile_done = o.hostile.empty();
    bool backend_changed = true;        // Look once at the start.
    std::vector<uint8_t> buf(65536 + 64);
    uint64_t gen_sent = 0, received = 0;
    unsigned gen_seq = 0;

    while (!stop_requested) {
        if (reconnect_requested) {
            reconnect_requested = 0;
            log_msg("reconnecting");
            disconnect_frontend(*guest, keys, &conn);
            keys.set_state(1);
            error = connect_frontend(o, *guest, plat, keys, *xs, &conn);
            if (error) {
                fatal("reconnection failed: %s", std::strerror(error));
            }
        }
        if (!hostile_done
            && std::chrono::duration<double>(std::chrono::steady_clock::now()
                                             - start).count() >= o.hostile_after) {
            error = conn.fe0()->hostile(hostile_kind,
                                     hostile_kind == netif_hostile::notification_storm
                                     ? 200000 : 1);
            // EAGAIN: no free RX slot for an RX-side fault yet; we stop
            // reposting buffers below until one frees up.
            if (error != EAGAIN) {
                hostile_done = true;
                log_msg("hostile %s sent: %s", o.hostile.c_str(),
                        error ? std::strerror(error) : "ok");
            }
        }

        bool busy = false;

        // Guest transmit: the tap's frames, or generated ones.
        if (o.mode == "tap") {
            for (int i = 0; i < 32; i++) {
                vnet_hdr vh;
                long n = tap.read(buf.data(), buf.size(), &vh);
                if (n <= 0) {
                    break;
                }
                frontend_tx_meta meta = tx_meta_from_vnet(vh);
                netif_frontend *fe = conn.queues[flow_queue(
                    buf.data(), static_cast<size_t>(n), conn.queues.size())].fe.get();
                if (fe->send(buf.data(), static_cast<size_t>(n), meta) == EAGAIN) {
                    fe->push_tx();
                    fe->reap_tx();
                    fe->send(buf.data(), static_cast<size_t>(n), meta);
                }
                busy = true;
            }
        } else if (o.mode == "gen" && (!o.gen_count || gen_sent < o.gen_count)) {
            // Broadcast UDP-in-Ethernet of --gen-size bytes.
            size_t len = std::max<size_t>(o.gen_size, 60);
            std::memset(buf.data(), 0xff, 6);
            std::memcpy(buf.data() + 6, o.mac.data(), 6);
            buf[12] = 0x88;
            buf[13] = 0xb5;         // Local experimental ethertype.
            std::memcpy(buf.data() + 14, &gen_seq, sizeof gen_seq);
            for (int i = 0; i < 32 && (!o.gen_count || gen_sent < o.gen_count); i++) {
                if (conn.fe0()->send(buf.data(), len, frontend_tx_meta{})) {
                    break;
                }
                gen_seq++;
                gen_sent++;
                busy = true;
            }
        }
        for (fe_queue &q : conn.queues) {
            q.fe->push_tx();
            q.fe->reap_tx();

            // Guest receive.
            for (int i = 0; i < 64; i++) {
                frontend_rx_packet info;
                int r = q.fe->receive(buf.data(), buf.size(), &info);
                if (r == 0) {
                    break;
                }
                busy = true;
                if (r == 1) {
                    received++;
                    if (o.mode == "tap") {
                        tap.write(buf.data(), info.len, vnet_from_rx(buf.data(), info));
                    }
                }
            }
            // Keep the ring full of buffers: the backend drops what it
            // cannot place rather than wait for us.
            if (q.fe->rx_free_ids() && hostile_done) {
                q.fe->post_rx_buffers(netif_frontend::rx_ring_size);
            }
        }

        // The backend closing on us (a failed vif, or the switch going
        // away) means starting over, as Linux's netfront would.
        // Only when the state watch fired: a xenstore round trip per loop
        // would cost more than the rings themselves.
        if (!xs->poll_watches().empty()) {
            backend_changed = true;
        }
        int bs = backend_changed ? keys.backend_state() : 4;
        backend_changed = false;
        if (bs == 5 || bs == 6) {
            auto why = xs->read(keys.be() + "/error");
            log_msg("backend went %s (%s); reconnecting",
                    bs == 5 ? "Closing" : "Closed", why ? why->c_str() : "");
            disconnect_frontend(*guest, keys, &conn);
            // Start over until the backend takes us again (it may be
            // restarting), as Linux's netfront waits for its backend.
            do {
                keys.set_state(1);
                error = connect_frontend(o, *guest, plat, keys, *xs, &conn);
                if (error) {
                    log_msg("reconnection failed: %s; retrying",
                            std::strerror(error));
                    disconnect_frontend(*guest, keys, &conn);
                }
            } while (error && !stop_requested);
            if (error) {
                break;
            }
        }

        if (!busy) {
            // Sleep until the tap, the event channel or xenstore has news.
            bool more = false;
            for (fe_queue &q : conn.queues) {
                more |= q.fe->final_check_rx();
                more |= q.fe->final_check_tx();
            }
            if (more) {
                continue;
            }
            pollfd fds[2 + 16];
            int n = 0;
            fds[n++] = {xs->fd(), POLLIN, 0};
            if (o.mode == "tap") {
                fds[n++] = {tap.fd(), POLLIN, 0};
            }
            for (fe_queue &q : conn.queues) {
                fds[n++] = {guest->event_fd(q.port), POLLIN, 0};
            }
            poll(fds, n, o.mode == "gen" ? 0 : 100);
            for (fe_queue &q : conn.queues) {
                guest->consume(q.port);
            }
            if (!xs->poll_watches().empty()) {
                backend_changed = true;
            }
        }
    }

    if (!conn.up()) {
        // Stopped while reconnecting: nothing connected to close.
        guest->destroy();
        xs->rm("/local/domain/" + std::to_string(o.domid));
        if (!o.pidfile.empty()) {
            unlink(o.pidfile.c_str());
        }
        return 0;
    }
    log_msg("stopping: sent %llu, received %llu",
            static_cast<unsigned long long>(conn.fe0()->counters().tx_okay),
            static_cast<unsigned long long>(received));
    disconnect_frontend(*guest, keys, &conn);
    if (!o.hotplug.empty()) {
        run_hotplug(o.hotplug, "offline", keys.be());
    }
    guest->destroy();
    // As the toolstack does when a domain goes: its xenstore directory
    // goes too (the backend directory stays with the backend).
    xs->rm("/local/domain/" + std::to_string(o.domid));
    if (!o.pidfile.empty()) {
        unlink(o.pidfile.c_str());
    }
    return 0;
}
