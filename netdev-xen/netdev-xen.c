/*
 * Copyright (c) 2026 The openvswitch-linc authors.
 * Licensed under the Apache License, Version 2.0.
 *
 * The "xen" netdev class: a Xen guest's vif, served by our own userspace
 * netif backend (linc-vif.h), so the datapath polls the guest's rings with
 * no netback, bridge or tap in between.
 *
 *   ovs-vsctl add-port br0 vif5.0 -- set Interface vif5.0 type=xen
 *
 * The name vifD.N means domain D, device N; options:domid and options:devid
 * override it.  options:platform=xen|sim picks real Xen or simxen (default:
 * xen when /dev/xen/gntdev exists, else sim); options:simxen-dir names
 * simxen's socket directory (default $OVS_RUNDIR/simxen); options:max-queues
 * (1..16, default 1) is the multi-queue-max-queues offered, one receive
 * queue each, which the datapath spreads over its forwarding threads.
 *
 * What the guest has posted no receive buffers for waits, in order, as in
 * Linux's netback: options:rx-queue-bytes (default 4194304) and
 * options:rx-queue-packets (default 4096) bound each queue's backlog, and
 * only packets past them are dropped; a guest that posts no buffer for
 * options:rx-stall-timeout milliseconds (default 10000) while packets wait
 * is stalled: they are dropped, as is everything for it until it posts a
 * buffer again.  ovs-appctl xen/show has the counts ("rx queue").
 *
 * Open_vSwitch other_config:
 *
 *   linc-xen-hotplug=true|false   answer xl for vifs whose hotplug script is
 *                                 vif-linc (go InitWait so that xl runs the
 *                                 script that adds the port).  Default: true
 *                                 on Xen (when /dev/xen/xenbus exists), or
 *                                 when linc-simxen-dir is set.
 *   linc-simxen-dir=DIR           do so on simxen at DIR instead.
 *
 * Threads: the xenbus handshake runs in the main thread (the class's run
 * and wait); receive and send run in forwarding threads.  The vif object
 * serialises them (see linc-vif.h).  A connect or disconnect changes
 * 'connect_seq' so that a forwarding thread sleeping on a queue that had
 * no event channel yet wakes up and waits on the new one.
 */

#include <config.h>

#include "netdev-xen/netdev-xen.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coverage.h"
#include "dirs.h"
#include "dp-packet.h"
#include "dpif-netdev.h"
#include "netdev-provider.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/list.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "ovs-atomic.h"
#include "ovs-thread.h"
#include "packets.h"
#include "seq.h"
#include "smap.h"
#include "timeval.h"
#include "unixctl.h"
#include "userspace-tso.h"
#include "util.h"

#include "netdev-xen/linc-vif.h"

COVERAGE_DEFINE(netdev_xen_rx_burst);
COVERAGE_DEFINE(netdev_xen_tx_drop);
COVERAGE_DEFINE(netdev_xen_guest_fault);
COVERAGE_DEFINE(netdev_xen_reattach);
COVERAGE_DEFINE(netdev_xen_gso_segmented);
COVERAGE_DEFINE(netdev_xen_gso_dropped);
COVERAGE_DEFINE(netdev_xen_gso_too_many_segs);
COVERAGE_DEFINE(netdev_xen_tso_in);
COVERAGE_DEFINE(netdev_xen_csum_dropped);
COVERAGE_DEFINE(netdev_xen_backlog_drop);

VLOG_DEFINE_THIS_MODULE(netdev_xen);

static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 20);

#define XEN_DEFAULT_MTU 1500

struct netdev_xen {
    struct netdev up;

    /* Immutable after construct. */
    struct ovs_list list_node;  /* In 'xen_netdevs'. */

    struct ovs_mutex mutex;
    uint16_t domid OVS_GUARDED;
    unsigned int devid OVS_GUARDED;
    bool sim OVS_GUARDED;
    int max_queues OVS_GUARDED;
    char *simxen_dir OVS_GUARDED;
    char *config_error OVS_GUARDED;     /* Why the vif could not start. */
    struct eth_addr mac OVS_GUARDED;
    enum netdev_flags flags OVS_GUARDED;

    /* Set once by the main thread (set_config), read by forwarding threads.
     * Never replaced while the port exists (set_config refuses a change of
     * guest) and destroyed only in destruct, after the datapath has stopped
     * using the port. */
    ATOMIC(struct linc_vif *) vif;
    struct seq *connect_seq;
};

struct netdev_rxq_xen {
    struct netdev_rxq up;
    /* Packets (mostly segments of GSO frames) that did not fit the last
     * batch: 'backlog[head .. head + n_backlog)'. */
    struct dp_packet **backlog;
    size_t head, n_backlog, allocated;
    size_t backlog_bytes;       /* Sum of the backlog's packet sizes. */
    struct linc_vif_pkt pkts[NETDEV_MAX_BURST];
    /* NETDEV_MAX_BURST slots, each DP_NETDEV_HEADROOM + 'staging_size'
     * bytes; 'pkts[i].data' points past the headroom of one of them. */
    uint8_t *staging;
    uint32_t staging_size;
    uint64_t seen_seq;

    /* Borrowed bursts (netdev_xen_rxq_recv_borrowed()): 'slots[i]' wraps
     * 'pkts[i]'s buffer and stays ours; 'frags[i]' describes the part of a
     * split frame still in the guest's pages. */
    struct dp_packet slots[NETDEV_MAX_BURST];
    struct linc_vif_frags frags[NETDEV_MAX_BURST];
    bool open;                  /* Needs netdev_xen_rxq_finish(). */
    /* Segments of a GSO frame for a guest that cannot take it whole
     * (netdev_xen_send_borrowed()); allocated on first use. */
    uint8_t *seg_buf;
};

/* Frames longer than this are left in the guest's pages after their first
 * XEN_COPY_LIMIT bytes are copied (for classification), and moved guest to
 * guest by grant copies: the classified head from our copy, the rest from
 * the source guest's pages.  Anything that fits a standard Ethernet frame
 * is copied whole: then it leaves in one grant copy from our slot instead
 * of two (head and rest), which costs less per frame than the bytes saved
 * (docs/design.md), and nothing of it is read from the guest twice.  The
 * head is enough for Ethernet, two VLAN tags, IPv6 and the L4 header with
 * room to spare; a packet whose headers go further is fetched whole
 * (netdev_xen_rxq_settle()). */
#define XEN_COPY_LIMIT 2048

/* Main thread only. */
static struct linc_vif_claimer *claimer;
static char *claimer_config;        /* "xen", "sim:DIR" or NULL. */

/* Some time after the claimer starts, by when OVS has added the ports the
 * database has, vif-linc vifs still Connected that no port serves are
 * reported: a previous ovs-vswitchd-linc left them Connected and their port
 * was removed while no daemon ran, so their guests have no network
 * (docs/xen-deployment.md, "Restarts, upgrades and crashes"). */
#define XEN_ORPHAN_CHECK_MS 10000
static long long int orphan_check_at;   /* 0: done or no claimer. */

static struct ovs_mutex xen_list_mutex = OVS_MUTEX_INITIALIZER;
static struct ovs_list xen_netdevs OVS_GUARDED_BY(xen_list_mutex)
    = OVS_LIST_INITIALIZER(&xen_netdevs);

static struct linc_vif *
get_vif(const struct netdev_xen *dev)
{
    struct linc_vif *vif;

    atomic_read_explicit(CONST_CAST(ATOMIC(struct linc_vif *) *, &dev->vif),
                         &vif, memory_order_acquire);
    return vif;
}

static bool
is_xen_class(const struct netdev_class *class)
{
    return class->construct == netdev_xen_class.construct;
}

static struct netdev_xen *
netdev_xen_cast(const struct netdev *netdev)
{
    ovs_assert(is_xen_class(netdev_get_class(netdev)));
    return CONTAINER_OF(netdev, struct netdev_xen, up);
}

static struct netdev_rxq_xen *
netdev_rxq_xen_cast(const struct netdev_rxq *rx)
{
    return CONTAINER_OF(rx, struct netdev_rxq_xen, up);
}

/* Parses "vifD.N". */
static bool
parse_vif_name(const char *name, uint16_t *domid, unsigned int *devid)
{
    unsigned int d, n;
    char tail;

    if (sscanf(name, "vif%u.%u%c", &d, &n, &tail) != 2 || d > 0x7fef
        || n > 0xffff) {
        return false;
    }
    *domid = d;
    *devid = n;
    return true;
}

static struct netdev *
netdev_xen_alloc(void)
{
    struct netdev_xen *dev = xzalloc(sizeof *dev);
    return &dev->up;
}

static void netdev_xen_set_ol_flags(struct netdev *);

static int
netdev_xen_construct(struct netdev *netdev)
{
    struct netdev_xen *dev = netdev_xen_cast(netdev);

    ovs_mutex_init(&dev->mutex);
    dev->connect_seq = seq_create();
    /* fe:ff:ff:ff:ff:ff, as Linux netback gives every vif: locally
     * administered, so that no bridge takes it as its own address, and
     * above any real MAC. */
    dev->mac = eth_addr_broadcast;
    dev->mac.ea[0] = 0xfe;
    dev->flags = NETDEV_UP;
    if (!parse_vif_name(netdev_get_name(netdev), &dev->domid, &dev->devid)) {
        /* Fine if options:domid/devid come later. */
        dev->domid = UINT16_MAX;
    }
    dev->max_queues = 1;
    netdev->n_rxq = 1;
    netdev->n_txq = 1;
    netdev_xen_set_ol_flags(netdev);

    ovs_mutex_lock(&xen_list_mutex);
    ovs_list_push_back(&xen_netdevs, &dev->list_node);
    ovs_mutex_unlock(&xen_list_mutex);
    return 0;
}

static void
netdev_xen_destruct(struct netdev *netdev)
{
    struct netdev_xen *dev = netdev_xen_cast(netdev);

    ovs_mutex_lock(&xen_list_mutex);
    ovs_list_remove(&dev->list_node);
    ovs_mutex_unlock(&xen_list_mutex);

    linc_vif_destroy(get_vif(dev));
    seq_destroy(dev->connect_seq);
    free(dev->simxen_dir);
    free(dev->config_error);
    ovs_mutex_destroy(&dev->mutex);
}

static void
netdev_xen_dealloc(struct netdev *netdev)
{
    free(netdev_xen_cast(netdev));
}

static bool
default_platform_is_sim(void)
{
    return access("/dev/xen/gntdev", F_OK) != 0;
}

/* '*value' is option 'key' of 'args', a decimal number, or 'def' if it is
 * not there; false if it is there but not a number. */
static bool
get_ull_option(const struct smap *args, const char *key,
               unsigned long long def, unsigned long long *value)
{
    const char *s = smap_get(args, key);

    *value = def;
    return !s || str_to_ullong(s, 10, value);
}

static int
netdev_xen_set_config(struct netdev *netdev, const struct smap *args,
                      char **errp)
{
    struct netdev_xen *dev = netdev_xen_cast(netdev);
    const char *platform = smap_get_def(args, "platform",
                                        default_platform_is_sim() ? "sim"
                                                                  : "xen");
    int domid = smap_get_int(args, "domid", dev->domid == UINT16_MAX
                                            ? -1 : dev->domid);
    int devid = smap_get_int(args, "devid", dev->devid);
    int max_queues = smap_get_int(args, "max-queues", 1);
    unsigned long long rxq_bytes, rxq_packets, rx_stall_ms;
    bool rxq_ok = (get_ull_option(args, "rx-queue-bytes",
                                  LINC_VIF_RX_QUEUE_BYTES, &rxq_bytes)
                   & get_ull_option(args, "rx-queue-packets",
                                    LINC_VIF_RX_QUEUE_PACKETS, &rxq_packets)
                   & get_ull_option(args, "rx-stall-timeout",
                                    LINC_VIF_RX_STALL_TIMEOUT_MS,
                                    &rx_stall_ms));
    char *default_dir = xasprintf("%s/simxen", ovs_rundir());
    const char *simxen_dir = smap_get_def(args, "simxen-dir", default_dir);
    struct linc_vif_options opts;
    char *err = NULL;
    int error = 0;

    /* userspace-tso-enable may have been turned on since the port was
     * made (OVS never turns it off). */
    netdev_xen_set_ol_flags(netdev);
    if (strcmp(platform, "xen") && strcmp(platform, "sim")) {
        *errp = xasprintf("%s: platform=%s is not \"xen\" or \"sim\"",
                          netdev_get_name(netdev), platform);
        error = EINVAL;
        goto out;
    }
    if (max_queues < 1 || max_queues > 16) {
        *errp = xasprintf("%s: max-queues=%d is not in 1..16",
                          netdev_get_name(netdev), max_queues);
        error = EINVAL;
        goto out;
    }
    /* A queue must hold the largest packet; past 256 MiB, or 1 M packets,
     * the number is a typo. */
    if (!rxq_ok || rxq_bytes < 65536 || rxq_bytes > 256 * 1024 * 1024
        || rxq_packets < 1 || rxq_packets > 1024 * 1024
        || rx_stall_ms < 100 || rx_stall_ms > 3600 * 1000) {
        *errp = xasprintf("%s: rx-queue-bytes must be in 65536..2^28, "
                          "rx-queue-packets in 1..2^20 and rx-stall-timeout "
                          "(ms) in 100..3600000", netdev_get_name(netdev));
        error = EINVAL;
        goto out;
    }
    if (domid < 1 || domid > 0x7fef || devid < 0 || devid > 0xffff) {
        *errp = xasprintf("%s: needs a guest: name it vifD.N or set "
                          "options:domid (1..32751) and options:devid",
                          netdev_get_name(netdev));
        error = EINVAL;
        goto out;
    }

    ovs_mutex_lock(&dev->mutex);
    if (get_vif(dev)) {
        if (dev->domid != domid || dev->devid != (unsigned) devid
            || dev->max_queues != max_queues
            || dev->sim != !strcmp(platform, "sim")
            || (dev->sim && strcmp(dev->simxen_dir, simxen_dir))) {
            *errp = xasprintf("%s: the guest or platform of an attached vif "
                              "cannot change; delete and re-add the port",
                              netdev_get_name(netdev));
            error = EBUSY;
        } else {
            linc_vif_set_rx_queue(get_vif(dev), rxq_bytes, rxq_packets,
                                  rx_stall_ms);
        }
        ovs_mutex_unlock(&dev->mutex);
        goto out;
    }
    dev->domid = domid;
    dev->devid = devid;
    dev->sim = !strcmp(platform, "sim");
    dev->max_queues = max_queues;
    /* One receive queue per queue pair the guest may connect; the datapath
     * spreads them over its forwarding threads. */
    netdev->n_rxq = max_queues;
    netdev->n_txq = max_queues;
    free(dev->simxen_dir);
    dev->simxen_dir = xstrdup(simxen_dir);

    opts = (struct linc_vif_options) {
        .domid = domid,
        .devid = devid,
        .sim = dev->sim,
        .simxen_dir = dev->simxen_dir,
        .max_queues = max_queues,
    };
    struct linc_vif *vif = NULL;
    error = linc_vif_create(&opts, &vif, &err);
    free(dev->config_error);
    dev->config_error = NULL;
    if (error) {
        dev->config_error = xasprintf("%s", err ? err : ovs_strerror(error));
        *errp = xasprintf("%s: %s", netdev_get_name(netdev),
                          dev->config_error);
    } else {
        /* The port keeps fe:ff:ff:ff:ff:ff (see netdev_xen_construct()),
         * never the guest's MAC: OVS gives a bridge the lowest non-local
         * address among its ports, and the guest's own address on the
         * bridge would make the guest see itself on the wire. */
        /* Release: a forwarding thread that sees the pointer sees the
         * constructed vif. */
        linc_vif_set_rx_queue(vif, rxq_bytes, rxq_packets, rx_stall_ms);
        atomic_store_explicit(&dev->vif, vif, memory_order_release);
        VLOG_INFO("%s: serving domain %d device %d on %s",
                  netdev_get_name(netdev), domid, devid,
                  dev->sim ? "simxen" : "Xen");
    }
    free(err);
    ovs_mutex_unlock(&dev->mutex);

out:
    free(default_dir);
    return error;
}

static int
netdev_xen_get_config(const struct netdev *netdev, struct smap *args)
{
    struct netdev_xen *dev = netdev_xen_cast(netdev);

    ovs_mutex_lock(&dev->mutex);
    if (dev->domid != UINT16_MAX) {
        smap_add_format(args, "domid", "%u", dev->domid);
        smap_add_format(args, "devid", "%u", dev->devid);
    }
    smap_add(args, "platform", dev->sim ? "sim" : "xen");
    if (dev->max_queues > 1) {
        smap_add_format(args, "max-queues", "%d", dev->max_queues);
    }
    if (dev->sim && dev->simxen_dir) {
        smap_add(args, "simxen-dir", dev->simxen_dir);
    }
    ovs_mutex_unlock(&dev->mutex);
    return 0;
}

static void
add_status(void *smap_, const char *key, const char *value)
{
    smap_add(smap_, key, value);
}

static int
netdev_xen_get_status(const struct netdev *netdev, struct smap *smap)
{
    struct netdev_xen *dev = netdev_xen_cast(netdev);

    ovs_mutex_lock(&dev->mutex);
    if (get_vif(dev)) {
        linc_vif_get_status(get_vif(dev), add_status, smap);
    } else if (dev->config_error) {
        smap_add(smap, "error", dev->config_error);
    }
    ovs_mutex_unlock(&dev->mutex);
    return 0;
}

void
netdev_xen_set_config_global(const struct smap *other_config)
{
    const char *simxen_dir = smap_get(other_config, "linc-simxen-dir");
    bool on = smap_get_bool(other_config, "linc-xen-hotplug",
                            simxen_dir || !access("/dev/xen/xenbus", F_OK));
    char *want = !on ? NULL
                 : simxen_dir ? xasprintf("sim:%s", simxen_dir)
                 : xstrdup("xen");

    if (nullable_string_is_equal(want, claimer_config)) {
        free(want);
        return;
    }
    linc_vif_claimer_destroy(claimer);
    orphan_check_at = 0;
    claimer = NULL;
    free(claimer_config);
    claimer_config = want;
    if (want) {
        char *err = NULL;
        int error = linc_vif_claimer_create(simxen_dir != NULL, simxen_dir,
                                            &claimer, &err);
        if (error) {
            VLOG_WARN("cannot answer xl for vif-linc vifs: %s",
                      err ? err : ovs_strerror(error));
            claimer = NULL;
        } else {
            VLOG_INFO("answering xl for vifs with the vif-linc hotplug "
                      "script (%s)", simxen_dir ? simxen_dir : "Xen");
            orphan_check_at = time_msec() + XEN_ORPHAN_CHECK_MS;
        }
        free(err);
    }
}

static bool
vif_is_served(int domid, int devid)
{
    struct netdev_xen *dev;
    bool served = false;

    ovs_mutex_lock(&xen_list_mutex);
    LIST_FOR_EACH (dev, list_node, &xen_netdevs) {
        ovs_mutex_lock(&dev->mutex);
        served = dev->domid == domid && dev->devid == devid;
        ovs_mutex_unlock(&dev->mutex);
        if (served) {
            break;
        }
    }
    ovs_mutex_unlock(&xen_list_mutex);
    return served;
}

static void
report_orphan_vifs(void)
{
    int domids[256], devids[256];
    size_t n = linc_vif_claimer_connected(claimer, domids, devids,
                                          ARRAY_SIZE(domids));

    for (size_t i = 0; i < n; i++) {
        if (!vif_is_served(domids[i], devids[i])) {
            VLOG_WARN("vif%d.%d is Connected in xenstore but no port serves "
                      "it: its guest has no network until the port is added "
                      "again (type=xen) or the vif is re-plugged (xl "
                      "network-detach, network-attach)", domids[i],
                      devids[i]);
        }
    }
}

/* Main thread: the xenbus handshakes of every vif. */
static void
netdev_xen_run(const struct netdev_class *class OVS_UNUSED)
{
    struct netdev_xen *dev;

    if (claimer) {
        int n = linc_vif_claimer_run(claimer);
        if (n) {
            VLOG_INFO("offered ourselves as backend of %d new vif(s)", n);
        }
        if (orphan_check_at && time_msec() >= orphan_check_at) {
            orphan_check_at = 0;
            report_orphan_vifs();
        }
    }

    ovs_mutex_lock(&xen_list_mutex);
    LIST_FOR_EACH (dev, list_node, &xen_netdevs) {
        struct linc_vif *vif = get_vif(dev);

        if (vif && linc_vif_run(vif)) {
            char why[256];

            if (linc_vif_take_failure(vif, why, sizeof why)) {
                COVERAGE_INC(netdev_xen_guest_fault);
                VLOG_WARN_RL(&rl, "%s: disconnected domain %u: %s",
                             netdev_get_name(&dev->up), dev->domid, why);
            }
            if (linc_vif_take_reattached(vif)) {
                COVERAGE_INC(netdev_xen_reattach);
                VLOG_INFO("%s: took over domain %u's rings, left Connected "
                          "by the previous backend", netdev_get_name(&dev->up),
                          dev->domid);
            }
            seq_change(dev->connect_seq);
            netdev_change_seq_changed(&dev->up);
        }
    }
    ovs_mutex_unlock(&xen_list_mutex);
}

static void
netdev_xen_wait(const struct netdev_class *class OVS_UNUSED)
{
    struct netdev_xen *dev;

    if (claimer && linc_vif_claimer_fd(claimer) >= 0) {
        poll_fd_wait(linc_vif_claimer_fd(claimer), POLLIN);
    }
    if (claimer && orphan_check_at) {
        poll_timer_wait_until(orphan_check_at);
    }

    ovs_mutex_lock(&xen_list_mutex);
    LIST_FOR_EACH (dev, list_node, &xen_netdevs) {
        struct linc_vif *vif = get_vif(dev);

        if (vif) {
            int fd = linc_vif_xs_fd(vif);
            int ms = linc_vif_run_in_ms(vif);

            if (fd >= 0) {
                poll_fd_wait(fd, POLLIN);
            }
            if (ms >= 0) {
                poll_timer_wait(ms);
            }
            /* Failures found by the forwarding threads are acted on here;
             * look again now and then. */
            poll_timer_wait(500);
        }
    }
    ovs_mutex_unlock(&xen_list_mutex);
}

static struct netdev_rxq *
netdev_xen_rxq_alloc(void)
{
    struct netdev_rxq_xen *rx = xzalloc(sizeof *rx);
    return &rx->up;
}

static int
netdev_xen_rxq_construct(struct netdev_rxq *rxq)
{
    struct netdev_rxq_xen *rx = netdev_rxq_xen_cast(rxq);

    rx->backlog = NULL;
    rx->seg_buf = NULL;
    rx->head = rx->n_backlog = rx->allocated = rx->backlog_bytes = 0;
    return 0;
}

static void
netdev_xen_rxq_destruct(struct netdev_rxq *rxq)
{
    struct netdev_rxq_xen *rx = netdev_rxq_xen_cast(rxq);

    for (size_t i = 0; i < rx->n_backlog; i++) {
        dp_packet_delete(rx->backlog[rx->head + i]);
    }
    free(rx->backlog);
    free(rx->seg_buf);
    free_pagealign(rx->staging);
}

/* Emits one segment of a GSO frame into the batch, or the backlog once the
 * batch is full (a 64 KiB frame makes up to 45 segments). */
struct gso_emit_ctx {
    struct netdev_rxq_xen *rx;
    struct dp_packet_batch *batch;
};

/* A dp_packet holding a copy of 'len' bytes at 'data'. */
static struct dp_packet *
packet_copy(const void *data, size_t len)
{
    struct dp_packet *packet;

    packet = dp_packet_new_with_headroom(len, DP_NETDEV_HEADROOM);
    dp_packet_put(packet, data, len);
    return packet;
}

/* The backlog's bounds.  It holds at most one burst's GSO segments (a
 * receive drains it before taking more from the ring): NETDEV_MAX_BURST
 * frames of LINC_VIF_GSO_MAX_SEGS segments each at the very worst, far
 * less with TCP's real MSS.  The bounds make that a hard limit whatever a
 * guest sends, in memory as in packets. */
#define XEN_BACKLOG_MAX_PACKETS (NETDEV_MAX_BURST * LINC_VIF_GSO_MAX_SEGS)
#define XEN_BACKLOG_MAX_BYTES (4 * 1024 * 1024)

static bool
backlog_has_room(const struct netdev_rxq_xen *rx, size_t packets,
                 size_t bytes)
{
    return rx->n_backlog + packets <= XEN_BACKLOG_MAX_PACKETS
           && rx->backlog_bytes + bytes <= XEN_BACKLOG_MAX_BYTES;
}

/* Takes 'packet' onto the backlog, or drops it (counted) if that would
 * pass a bound. */
static void
backlog_push(struct netdev_rxq_xen *rx, struct dp_packet *packet)
{
    if (!backlog_has_room(rx, 1, dp_packet_size(packet))) {
        COVERAGE_INC(netdev_xen_backlog_drop);
        dp_packet_delete(packet);
        return;
    }
    if (rx->head + rx->n_backlog == rx->allocated) {
        rx->backlog = x2nrealloc(rx->backlog, &rx->allocated,
                                 sizeof *rx->backlog);
    }
    rx->backlog[rx->head + rx->n_backlog++] = packet;
    rx->backlog_bytes += dp_packet_size(packet);
}

static void
gso_emit_segment(void *ctx_, const uint8_t *seg, size_t len)
{
    struct gso_emit_ctx *ctx = ctx_;
    struct dp_packet *packet = packet_copy(seg, len);

    if (dp_packet_batch_is_full(ctx->batch)) {
        backlog_push(ctx->rx, packet);
    } else {
        dp_packet_batch_add(ctx->batch, packet);
    }
}

/* Cuts GSO frame 'p' into segments for 'batch' (and the backlog past it),
 * or drops it, counted: not TCP we can cut (a NIC would drop it too),
 * more segments than LINC_VIF_GSO_MAX_SEGS, or no room in the backlog for
 * the segments it could need. */
static void
rxq_segment_gso(struct netdev_rxq_xen *rx, const struct linc_vif_pkt *p,
                struct dp_packet_batch *batch)
{
    struct gso_emit_ctx ctx = { .rx = rx, .batch = batch };
    bool too_many;

    if (!backlog_has_room(rx, LINC_VIF_GSO_MAX_SEGS, p->len)) {
        COVERAGE_INC(netdev_xen_backlog_drop);
        return;
    }
    if (linc_vif_segment(p, gso_emit_segment, &ctx, &too_many)) {
        COVERAGE_INC(netdev_xen_gso_segmented);
    } else if (too_many) {
        COVERAGE_INC(netdev_xen_gso_too_many_segs);
    } else {
        COVERAGE_INC(netdev_xen_gso_dropped);
    }
}

static void
drain_backlog(struct netdev_rxq_xen *rx, struct dp_packet_batch *batch)
{
    while (rx->n_backlog && !dp_packet_batch_is_full(batch)) {
        struct dp_packet *packet = rx->backlog[rx->head++];

        rx->backlog_bytes -= dp_packet_size(packet);
        dp_packet_batch_add(batch, packet);
        rx->n_backlog--;
    }
    if (!rx->n_backlog) {
        rx->head = 0;
    }
}

static void
netdev_xen_rxq_dealloc(struct netdev_rxq *rxq)
{
    free(netdev_rxq_xen_cast(rxq));
}

/* Points 'rx->pkts' at staging slots big enough for 'max'-byte packets.
 * The slots are allocated once per rxq (and again only if a guest
 * reconnects with a larger maximum), never per packet.  'rx->pkts' keeps
 * pointing at them between bursts (a burst may permute the entries but
 * never replaces one), so they are set up only when (re)allocated. */
static void
rxq_prepare_staging(struct netdev_rxq_xen *rx, uint32_t max)
{
    const size_t stride = DP_NETDEV_HEADROOM + (size_t) MAX(max, 1);

    if (OVS_LIKELY(rx->staging && rx->staging_size >= max)) {
        return;
    }
    free_pagealign(rx->staging);
    rx->staging_size = max;
    rx->staging = xmalloc_pagealign(NETDEV_MAX_BURST * stride);
    for (int i = 0; i < NETDEV_MAX_BURST; i++) {
        rx->pkts[i] = (struct linc_vif_pkt) {
            .data = rx->staging + i * (DP_NETDEV_HEADROOM
                                       + (size_t) rx->staging_size)
                    + DP_NETDEV_HEADROOM,
            .capacity = rx->staging_size,
            .frags = &rx->frags[i],
        };
    }
}

/* Guest -> switch.  The backend gathers each packet (all its slots, one
 * grant copy per burst) into a staging buffer; we copy it into a dp_packet
 * of the right size. */
static int
netdev_xen_rxq_recv(struct netdev_rxq *rxq, struct dp_packet_batch *batch,
                    int *qfill)
{
    struct netdev_rxq_xen *rx = netdev_rxq_xen_cast(rxq);
    struct netdev_xen *dev = netdev_xen_cast(rxq->netdev);
    struct linc_vif *vif = get_vif(dev);
    uint32_t max;
    int n;

    if (qfill) {
        *qfill = 0;
    }
    if (!vif || !linc_vif_n_queues(vif)) {
        return EAGAIN;
    }
    max = linc_vif_max_packet(vif);
    rxq_prepare_staging(rx, max);

    dp_packet_batch_init(batch);
    drain_backlog(rx, batch);
    if (rx->n_backlog) {
        return 0;               /* A full batch from the backlog. */
    }
    n = linc_vif_recv(vif, rxq->queue_id, rx->pkts,
                      NETDEV_MAX_BURST - dp_packet_batch_size(batch));
    if (!n) {
        return dp_packet_batch_size(batch) ? 0 : EAGAIN;
    }
    COVERAGE_INC(netdev_xen_rx_burst);
    for (int i = 0; i < n; i++) {
        const struct linc_vif_pkt *p = &rx->pkts[i];
        struct dp_packet *packet;

        if (p->gso_type != LINC_VIF_GSO_NONE) {
            rxq_segment_gso(rx, p, batch);
            continue;
        }
        if (dp_packet_batch_is_full(batch)) {
            /* Segments of an earlier frame filled the batch. */
            backlog_push(rx, packet_copy(p->data, p->len));
            continue;
        }
        packet = packet_copy(p->data, p->len);
        if (p->flags & LINC_VIF_DATA_VALIDATED) {
            /* We completed the checksum, or the guest vouched for it: tell
             * OVS, as a NIC that verified it would. */
            *dp_packet_ol_flags_ptr(packet) |= DP_PACKET_OL_RX_L4_CKSUM_GOOD;
        }
        dp_packet_batch_add(batch, packet);
    }
    return 0;
}

static void
netdev_xen_rxq_wait(struct netdev_rxq *rxq)
{
    struct netdev_rxq_xen *rx = netdev_rxq_xen_cast(rxq);
    struct netdev_xen *dev = netdev_xen_cast(rxq->netdev);
    struct linc_vif *vif = get_vif(dev);
    int fd, timeout_ms;
    bool work;

    if (rx->n_backlog) {
        poll_immediate_wake();
        return;
    }
    /* A connect or disconnect must wake us to wait on the new state. */
    rx->seen_seq = seq_read(dev->connect_seq);
    seq_wait(dev->connect_seq, rx->seen_seq);
    if (!vif) {
        return;
    }
    fd = linc_vif_prepare_wait(vif, rxq->queue_id, &work, &timeout_ms);
    if (work) {
        poll_immediate_wake();
    } else if (fd >= 0) {
        poll_fd_wait(fd, POLLIN);
        if (timeout_ms >= 0) {
            poll_timer_wait(timeout_ms);
        }
    }
}

static int
netdev_xen_rxq_drain(struct netdev_rxq *rxq OVS_UNUSED)
{
    return 0;
}

/* The segments of a GSO frame for a guest that cannot take it whole,
 * gathered in 'rx->seg_buf' and sent a batch at a time. */
struct gso_send_ctx {
    uint8_t *buf;               /* XEN_SEG_BUF_SIZE bytes. */
    struct linc_vif *dst;
    int qid;
    size_t used;                /* Bytes of 'rx->seg_buf' in use. */
    int n;
    int made, sent;
    struct linc_vif_pkt pkts[NETDEV_MAX_BURST];
};

/* A segment is at most 64 KiB and its headers (gso.h); the buffer holds a
 * batch of typical ones. */
#define XEN_SEG_BUF_SIZE (256 * 1024)

static void
gso_send_flush(struct gso_send_ctx *ctx)
{
    ctx->sent += linc_vif_send(ctx->dst, ctx->qid, ctx->pkts, ctx->n);
    ctx->n = 0;
    ctx->used = 0;
}

static void
gso_send_emit(void *ctx_, const uint8_t *seg, size_t len)
{
    struct gso_send_ctx *ctx = ctx_;

    if (ctx->n == NETDEV_MAX_BURST || ctx->used + len > XEN_SEG_BUF_SIZE) {
        gso_send_flush(ctx);
    }
    memcpy(ctx->buf + ctx->used, seg, len);
    ctx->pkts[ctx->n++] = (struct linc_vif_pkt) {
        .data = ctx->buf + ctx->used,
        .len = len,
        .flags = LINC_VIF_DATA_VALIDATED,   /* tcp_segment() summed it. */
    };
    ctx->used += len;
    ctx->made++;
}

/* Cuts GSO frame 'p' for 'dst', which cannot take it whole, using 'buf'
 * (XEN_SEG_BUF_SIZE bytes).  Returns how many segments were lost. */
static int
send_segments(struct linc_vif *dst, int qid, const struct linc_vif_pkt *p,
              uint8_t *buf)
{
    struct gso_send_ctx ctx = { .buf = buf, .dst = dst, .qid = qid };
    bool too_many;

    if (!linc_vif_segment(p, gso_send_emit, &ctx, &too_many)) {
        if (too_many) {
            COVERAGE_INC(netdev_xen_gso_too_many_segs);
        } else {
            COVERAGE_INC(netdev_xen_gso_dropped);
        }
        return 1;
    }
    COVERAGE_INC(netdev_xen_gso_segmented);
    gso_send_flush(&ctx);
    return ctx.made - ctx.sent;
}

/* OVS 3.1's userspace TSO (other_config:userspace-tso-enable): a packet
 * from another port may come flagged DP_PACKET_OL_TX_TCP_SEG, a TCP frame
 * of up to 64 KiB with its L3 and L4 offsets set, or
 * DP_PACKET_OL_TX_TCP_CKSUM/UDP_CKSUM, its checksum left to the port.  OVS
 * 3.1 carries no MSS: as its netdev-linux does, the port derives it from
 * its MTU (here the IP and TCP headers, options included, below the MTU).
 * Fills in 'p' for such a packet: a GSO frame for a guest that takes GSO
 * ('*cut' false) or to cut in software ('*cut' true), or the checksum
 * computed.  False if it cannot be sent (counted). */
static bool
xen_tx_offload(struct linc_vif *vif, const struct dp_packet *packet,
               struct linc_vif_pkt *p, bool *cut)
{
    *cut = false;
    if (dp_packet_hwol_is_tso(packet)) {
        const struct tcp_header *th = dp_packet_l4(packet);
        const char *l3 = dp_packet_l3(packet);
        size_t headers;
        bool too_many;

        if (!th || !l3 || dp_packet_l4_size(packet) < TCP_HEADER_LEN) {
            COVERAGE_INC(netdev_xen_gso_dropped);
            return false;
        }
        headers = (const char *) th - l3 + TCP_OFFSET(th->tcp_ctl) * 4;
        if (headers >= XEN_DEFAULT_MTU) {
            COVERAGE_INC(netdev_xen_gso_dropped);
            return false;
        }
        p->gso_type = dp_packet_hwol_is_ipv4(packet) ? LINC_VIF_GSO_TCPV4
                                                     : LINC_VIF_GSO_TCPV6;
        p->gso_size = XEN_DEFAULT_MTU - headers;
        if (!linc_vif_gso_prepare(p, &too_many)) {
            if (too_many) {
                COVERAGE_INC(netdev_xen_gso_too_many_segs);
            } else {
                COVERAGE_INC(netdev_xen_gso_dropped);
            }
            return false;
        }
        COVERAGE_INC(netdev_xen_tso_in);
        *cut = !linc_vif_takes_gso(vif, p->gso_type);
        return true;
    }
    if (dp_packet_hwol_tx_l4_checksum(packet) && !linc_vif_fill_csum(p)) {
        COVERAGE_INC(netdev_xen_csum_dropped);
        return false;
    }
    return true;
}

/* Segments of TSO packets for guests that cannot take them whole, one
 * buffer per thread, made on first use. */
DEFINE_PER_THREAD_MALLOCED_DATA(uint8_t *, xen_tso_seg_buf);

/* Switch -> guest. */
static int
netdev_xen_send(struct netdev *netdev, int qid,
                struct dp_packet_batch *batch, bool concurrent_txq OVS_UNUSED)
{
    struct netdev_xen *dev = netdev_xen_cast(netdev);
    struct linc_vif_pkt pkts[NETDEV_MAX_BURST];
    struct linc_vif *vif = get_vif(dev);
    struct dp_packet *packet;
    int n = 0, lost = 0;

    if (!vif) {
        lost = dp_packet_batch_size(batch);
        goto out;
    }
    DP_PACKET_BATCH_FOR_EACH (i, packet, batch) {
        struct linc_vif_pkt *p = &pkts[n];
        bool cut = false;

        *p = (struct linc_vif_pkt) {
            .data = dp_packet_data(packet),
            .len = dp_packet_size(packet),
            .copied = dp_packet_size(packet),
            /* A checksum OVS knows good (a NIC or we verified it) need
             * not be checked again by the guest. */
            .flags = dp_packet_l4_checksum_valid(packet)
                     ? LINC_VIF_DATA_VALIDATED : 0,
        };
        if (OVS_UNLIKELY(*dp_packet_ol_flags_ptr(packet)
                         & (DP_PACKET_OL_TX_TCP_SEG | DP_PACKET_OL_TX_L4_MASK))
            && !xen_tx_offload(vif, packet, p, &cut)) {
            lost++;
            continue;
        }
        if (cut) {
            /* After what came before it. */
            uint8_t *buf = xen_tso_seg_buf_get();

            if (!buf) {
                buf = xmalloc(XEN_SEG_BUF_SIZE);
                xen_tso_seg_buf_set_unsafe(buf);
            }
            lost += n - linc_vif_send(vif, qid, pkts, n);
            lost += send_segments(vif, qid, p, buf);
            n = 0;
            continue;
        }
        n++;
    }
    lost += n - linc_vif_send(vif, qid, pkts, n);
out:
    if (lost) {
        COVERAGE_ADD(netdev_xen_tx_drop, lost);
        VLOG_DBG_RL(&rl, "%s: %d of %"PRIuSIZE" packets dropped (guest not "
                    "connected, out of receive buffers, or unsendable)",
                    netdev_get_name(netdev), lost,
                    dp_packet_batch_size(batch));
    }
    dp_packet_delete_batch(batch, true);
    return 0;
}

/* The offloads the xen class takes from OVS: all of userspace TSO's
 * (xen_tx_offload()), when it is on. */
static void
netdev_xen_set_ol_flags(struct netdev *netdev)
{
    if (userspace_tso_enabled()) {
        netdev->ol_flags |= NETDEV_TX_OFFLOAD_TCP_TSO
                            | NETDEV_TX_OFFLOAD_TCP_CKSUM
                            | NETDEV_TX_OFFLOAD_UDP_CKSUM;
    }
}

/* The linc datapath's fast path: borrowed bursts.
 *
 * netdev_rxq_recv() hands out packets the caller owns, which costs a
 * dp_packet allocation and a copy per packet.  The linc datapath instead
 * borrows the rxq's own staging slots for one burst: a frame is copied
 * once from the guest's pages into a slot (only its headers, if it is
 * large), classified there, and then either sent to another xen port
 * straight from the slot or from the source guest's pages (one grant copy,
 * guest to guest), or, for anything else, copied into a dp_packet of its
 * own (netdev_xen_rxq_own()).  The guest is answered for the whole burst
 * by netdev_xen_rxq_finish(). */

COVERAGE_DEFINE(netdev_xen_direct);
COVERAGE_DEFINE(netdev_xen_guest_to_guest);
COVERAGE_DEFINE(netdev_xen_fetch);
COVERAGE_DEFINE(netdev_xen_gso_whole);

bool
netdev_xen_is_xen(const struct netdev *netdev)
{
    return is_xen_class(netdev_get_class(netdev));
}

static size_t
borrowed_index(const struct netdev_rxq_xen *rx, const struct dp_packet *p)
{
    size_t i = p - rx->slots;

    ovs_assert(i < NETDEV_MAX_BURST);
    return i;
}

/* Makes slot 'i' whole: fetches what is still in the guest's pages. */
static bool
rxq_fetch(struct netdev_rxq_xen *rx, size_t i)
{
    struct netdev_xen *dev = netdev_xen_cast(rx->up.netdev);
    struct linc_vif_pkt *p = &rx->pkts[i];

    if (p->copied >= p->len) {
        return true;
    }
    COVERAGE_INC(netdev_xen_fetch);
    if (!linc_vif_fetch(get_vif(dev), rx->up.queue_id, p)) {
        return false;
    }
    if (p->flags & LINC_VIF_DATA_VALIDATED) {
        *dp_packet_ol_flags_ptr(&rx->slots[i])
            |= DP_PACKET_OL_RX_L4_CKSUM_GOOD;
    }
    return true;
}

int
netdev_xen_rxq_recv_borrowed(struct netdev_rxq *rxq,
                             struct dp_packet_batch *borrowed)
{
    struct netdev_rxq_xen *rx = netdev_rxq_xen_cast(rxq);
    struct netdev_xen *dev = netdev_xen_cast(rxq->netdev);
    struct linc_vif *vif = get_vif(dev);
    int n;

    dp_packet_batch_init(borrowed);
    ovs_assert(!rx->open);
    if (!vif || !linc_vif_n_queues(vif)) {
        return EAGAIN;
    }
    rxq_prepare_staging(rx, linc_vif_max_packet(vif));
    n = linc_vif_recv_split(vif, rxq->queue_id, rx->pkts, NETDEV_MAX_BURST,
                            XEN_COPY_LIMIT);
    if (!n) {
        return EAGAIN;
    }
    rx->open = true;
    COVERAGE_INC(netdev_xen_rx_burst);
    for (int i = 0; i < n; i++) {
        struct linc_vif_pkt *p = &rx->pkts[i];
        struct dp_packet *slot = &rx->slots[i];
        bool too_many;

        /* A GSO frame stays whole, split like any large frame (its
         * headers here, the rest in its guest's pages): to a guest that
         * takes GSO it goes as it is, to anything else it is fetched and
         * cut where it leaves the borrowed path (netdev_xen_rxq_segment(),
         * netdev_xen_send_borrowed()). */
        if (p->gso_type != LINC_VIF_GSO_NONE
            && !linc_vif_gso_prepare(p, &too_many)) {
            if (too_many) {
                COVERAGE_INC(netdev_xen_gso_too_many_segs);
            } else {
                COVERAGE_INC(netdev_xen_gso_dropped);
            }
            continue;
        }
        /* No headroom: a borrowed packet is never modified (anything that
         * would is given a copy of its own), and a dp_packet cannot
         * describe more than 65535 bytes, which a 64 KiB frame needs. */
        dp_packet_use_stub(slot, p->data, MIN(rx->staging_size, UINT16_MAX));
        /* For a split frame the bytes past 'copied' are not there yet, but
         * they are inside the slot, so parsing can never run off it. */
        dp_packet_set_size(slot, p->len);
        if (p->copied == p->len && (p->flags & LINC_VIF_DATA_VALIDATED)) {
            *dp_packet_ol_flags_ptr(slot) |= DP_PACKET_OL_RX_L4_CKSUM_GOOD;
        }
        dp_packet_batch_add(borrowed, slot);
    }
    return 0;
}

bool
netdev_xen_rxq_is_gso(struct netdev_rxq *rxq, const struct dp_packet *packet)
{
    struct netdev_rxq_xen *rx = netdev_rxq_xen_cast(rxq);

    return rx->pkts[borrowed_index(rx, packet)].gso_type != LINC_VIF_GSO_NONE;
}

/* Collects the segments of a borrowed GSO frame into owned batches. */
struct gso_batch_ctx {
    const struct dp_packet *frame;
    struct dp_packet_batch batch;
    void (*fn)(void *aux, struct dp_packet_batch *);
    void *aux;
};

static void
gso_batch_emit(void *ctx_, const uint8_t *seg, size_t len)
{
    struct gso_batch_ctx *ctx = ctx_;
    struct dp_packet *packet = packet_copy(seg, len);

    packet->md = ctx->frame->md;
    /* tcp_segment() computed each segment's checksum. */
    *dp_packet_ol_flags_ptr(packet) |= DP_PACKET_OL_RX_L4_CKSUM_GOOD;
    dp_packet_batch_add(&ctx->batch, packet);
    if (dp_packet_batch_is_full(&ctx->batch)) {
        ctx->fn(ctx->aux, &ctx->batch);
        dp_packet_batch_init(&ctx->batch);
    }
}

bool
netdev_xen_rxq_segment(struct netdev_rxq *rxq, struct dp_packet *packet,
                       void (*fn)(void *aux, struct dp_packet_batch *),
                       void *aux)
{
    struct netdev_rxq_xen *rx = netdev_rxq_xen_cast(rxq);
    struct gso_batch_ctx ctx = { .frame = packet, .fn = fn, .aux = aux };
    bool too_many;

    size_t i = borrowed_index(rx, packet);

    dp_packet_batch_init(&ctx.batch);
    if (!rxq_fetch(rx, i)) {
        return false;           /* Lost; the source guest is answered. */
    }
    if (!linc_vif_segment(&rx->pkts[i], gso_batch_emit, &ctx, &too_many)) {
        /* linc_vif_gso_prepare() accepted it: cannot happen. */
        COVERAGE_INC(netdev_xen_gso_dropped);
        return false;
    }
    COVERAGE_INC(netdev_xen_gso_segmented);
    if (dp_packet_batch_size(&ctx.batch)) {
        fn(aux, &ctx.batch);
    }
    return true;
}

int
netdev_xen_rxq_settle(struct netdev_rxq *rxq, struct dp_packet *packet,
                      const struct flow *flow)
{
    struct netdev_rxq_xen *rx = netdev_rxq_xen_cast(rxq);
    size_t i = borrowed_index(rx, packet);
    const struct linc_vif_pkt *p = &rx->pkts[i];
    bool ip = flow->dl_type == htons(ETH_TYPE_IP);

    if (p->copied >= p->len) {
        return 0;
    }
    /* The key may be taken from the copied headers only if parsing stopped
     * at an L4 header it read completely: TCP, UDP, SCTP or ICMPv4 (ICMPv6
     * neighbour discovery reads options to the end of the packet), not a
     * later fragment, and L4 well inside what was copied. */
    if ((ip || flow->dl_type == htons(ETH_TYPE_IPV6))
        && (flow->nw_proto == IPPROTO_TCP || flow->nw_proto == IPPROTO_UDP
            || flow->nw_proto == IPPROTO_SCTP
            || (ip && flow->nw_proto == IPPROTO_ICMP))
        && !(flow->nw_frag & FLOW_NW_FRAG_LATER)
        && packet->l4_ofs != UINT16_MAX
        && packet->l4_ofs + 64 <= p->copied) {
        return 0;
    }
    return rxq_fetch(rx, i) ? EAGAIN : EIO;
}

struct dp_packet *
netdev_xen_rxq_own(struct netdev_rxq *rxq, struct dp_packet *packet)
{
    struct netdev_rxq_xen *rx = netdev_rxq_xen_cast(rxq);
    size_t i = borrowed_index(rx, packet);

    /* A GSO frame leaves the borrowed path only as segments. */
    ovs_assert(rx->pkts[i].gso_type == LINC_VIF_GSO_NONE);
    if (!rxq_fetch(rx, i)) {
        return NULL;
    }
    return dp_packet_clone_with_headroom(packet, DP_NETDEV_HEADROOM);
}

/* The flags borrowed packet 'p' goes to a guest with.  A frame that never
 * left its guest ('split') keeps the guest's own checksum state, and so
 * does a GSO frame, whose partial checksum linc_vif_gso_prepare() wrote;
 * one we copied had its checksum completed or checked. */
static uint16_t
borrowed_flags(const struct linc_vif_pkt *p, bool split)
{
    return split || p->gso_type != LINC_VIF_GSO_NONE
           ? p->flags & (LINC_VIF_CSUM_BLANK | LINC_VIF_DATA_VALIDATED)
           : p->flags & LINC_VIF_DATA_VALIDATED;
}

/* Sends 'out[0 .. m)' (borrowed packets 'index[]' of 'rx') to 'dst':
 * returns how many were delivered. */
static int
send_borrowed_out(struct linc_vif *dst, int qid, struct netdev_rxq_xen *rx,
                  struct linc_vif_pkt *out, const size_t *index, int m)
{
    bool foreign_failed[NETDEV_MAX_BURST];
    int sent;

    if (!m) {
        return 0;
    }
    sent = linc_vif_send_ex(dst, qid, out, m, foreign_failed);
    for (int k = 0; k < m; k++) {
        if (foreign_failed[k] && rxq_fetch(rx, index[k])) {
            /* From our copy, in order: the source's pages failed and read
             * fine now, or they could not wait for the guest's buffers. */
            out[k].frags = NULL;
            out[k].copied = out[k].len;
            out[k].flags = borrowed_flags(&rx->pkts[index[k]], false);
            sent += linc_vif_send(dst, qid, &out[k], 1);
        }
    }
    return sent;
}

/* Cuts borrowed GSO frame 'i' for 'dst', which cannot take it whole.
 * Returns how many segments were lost (not delivered). */
static int
send_borrowed_segments(struct linc_vif *dst, int qid,
                       struct netdev_rxq_xen *rx, size_t i)
{
    if (!rxq_fetch(rx, i)) {
        return 1;               /* The source guest was answered. */
    }
    if (!rx->seg_buf) {
        rx->seg_buf = xmalloc(XEN_SEG_BUF_SIZE);
    }
    return send_segments(dst, qid, &rx->pkts[i], rx->seg_buf);
}

void
netdev_xen_send_borrowed(struct netdev *netdev, int qid,
                         struct netdev_rxq *src_rxq,
                         struct dp_packet **pkts, int n)
{
    struct netdev_rxq_xen *rx = netdev_rxq_xen_cast(src_rxq);
    struct linc_vif *src = get_vif(netdev_xen_cast(src_rxq->netdev));
    struct linc_vif *dst = get_vif(netdev_xen_cast(netdev));
    struct linc_vif_pkt out[NETDEV_MAX_BURST];
    size_t index[NETDEV_MAX_BURST];
    bool direct, partial_ok;
    int m = 0, lost = 0, n_split = 0, n_direct = 0, n_gso = 0;

    ovs_assert(n <= NETDEV_MAX_BURST);
    if (!dst || !src) {
        COVERAGE_ADD(netdev_xen_tx_drop, n);
        return;
    }
    direct = linc_vif_can_copy_between(src, dst);
    partial_ok = linc_vif_takes_partial_csum(dst);
    for (int k = 0; k < n; k++) {
        size_t i = borrowed_index(rx, pkts[k]);
        struct linc_vif_pkt *p = &rx->pkts[i];
        bool split = p->copied < p->len;

        if (p->gso_type != LINC_VIF_GSO_NONE
            && !linc_vif_takes_gso(dst, p->gso_type)) {
            /* Cut in software, after what came before it. */
            lost += m - send_borrowed_out(dst, qid, rx, out, index, m);
            m = 0;
            lost += send_borrowed_segments(dst, qid, rx, i);
            continue;
        }
        if (split && (!direct
                      || ((p->flags & LINC_VIF_CSUM_BLANK) && !partial_ok))) {
            if (!rxq_fetch(rx, i)) {
                lost++;         /* The source guest was answered. */
                continue;
            }
            split = false;
        }
        /* Only what linc_vif_send_ex() reads. */
        struct linc_vif_pkt *o = &out[m];
        o->data = p->data;
        o->len = p->len;
        o->flags = borrowed_flags(p, split);
        o->gso_type = p->gso_type;
        o->gso_size = p->gso_size;
        o->frags = split ? p->frags : NULL;
        /* What was classified comes from our copy, only the rest from the
         * source guest's pages: it may rewrite them at any time. */
        o->copied = split ? p->copied : p->len;
        n_gso += p->gso_type != LINC_VIF_GSO_NONE;
        n_split += split && p->gso_type == LINC_VIF_GSO_NONE;
        n_direct += !split && p->gso_type == LINC_VIF_GSO_NONE;
        index[m++] = i;
    }
    lost += m - send_borrowed_out(dst, qid, rx, out, index, m);
    COVERAGE_ADD(netdev_xen_gso_whole, n_gso);
    COVERAGE_ADD(netdev_xen_guest_to_guest, n_split);
    COVERAGE_ADD(netdev_xen_direct, n_direct);
    if (lost) {
        COVERAGE_ADD(netdev_xen_tx_drop, lost);
    }
}

void
netdev_xen_rxq_finish(struct netdev_rxq *rxq)
{
    struct netdev_rxq_xen *rx = netdev_rxq_xen_cast(rxq);

    if (rx->open) {
        linc_vif_finish(get_vif(netdev_xen_cast(rxq->netdev)),
                        rxq->queue_id);
        rx->open = false;
    }
}

static int
netdev_xen_get_stats(const struct netdev *netdev, struct netdev_stats *stats)
{
    struct netdev_xen *dev = netdev_xen_cast(netdev);
    struct linc_vif *vif = get_vif(dev);
    struct linc_vif_stats s;

    if (!vif) {
        return 0;
    }
    linc_vif_get_stats(vif, &s);
    stats->rx_packets = s.rx_packets;
    stats->rx_bytes = s.rx_bytes;
    stats->rx_errors = s.rx_errors;
    stats->rx_dropped = s.rx_dropped;
    stats->tx_packets = s.tx_packets;
    stats->tx_bytes = s.tx_bytes;
    stats->tx_errors = s.tx_errors;
    stats->tx_dropped = s.tx_dropped;
    return 0;
}

static int
netdev_xen_get_etheraddr(const struct netdev *netdev, struct eth_addr *mac)
{
    struct netdev_xen *dev = netdev_xen_cast(netdev);

    ovs_mutex_lock(&dev->mutex);
    *mac = dev->mac;
    ovs_mutex_unlock(&dev->mutex);
    return 0;
}

static int
netdev_xen_set_etheraddr(struct netdev *netdev, const struct eth_addr mac)
{
    struct netdev_xen *dev = netdev_xen_cast(netdev);

    ovs_mutex_lock(&dev->mutex);
    dev->mac = mac;
    ovs_mutex_unlock(&dev->mutex);
    return 0;
}

static int
netdev_xen_get_mtu(const struct netdev *netdev OVS_UNUSED, int *mtup)
{
    *mtup = XEN_DEFAULT_MTU;
    return 0;
}

static int
netdev_xen_update_flags(struct netdev *netdev, enum netdev_flags off,
                        enum netdev_flags on, enum netdev_flags *old_flagsp)
{
    struct netdev_xen *dev = netdev_xen_cast(netdev);

    if ((off | on) & ~(NETDEV_UP | NETDEV_PROMISC)) {
        return EINVAL;
    }
    ovs_mutex_lock(&dev->mutex);
    *old_flagsp = dev->flags;
    dev->flags |= on;
    dev->flags &= ~off;
    ovs_mutex_unlock(&dev->mutex);
    return 0;
}

/* ovs-appctl xen/show: every vif, its handshake state, counters and the
 * last protocol failure. */
static void
netdev_xen_unixctl_show(struct unixctl_conn *conn, int argc OVS_UNUSED,
                        const char *argv[] OVS_UNUSED, void *aux OVS_UNUSED)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    struct netdev_xen *dev;

    ovs_mutex_lock(&xen_list_mutex);
    LIST_FOR_EACH (dev, list_node, &xen_netdevs) {
        struct linc_vif *vif = get_vif(dev);
        struct smap status = SMAP_INITIALIZER(&status);
        const struct smap_node **nodes;
        struct netdev_stats stats;

        ds_put_format(&s, "%s:", netdev_get_name(&dev->up));
        netdev_xen_get_status(&dev->up, &status);
        nodes = smap_sort(&status);
        for (size_t i = 0; i < smap_count(&status); i++) {
            ds_put_format(&s, " %s=\"%s\"", nodes[i]->key, nodes[i]->value);
        }
        free(nodes);
        smap_destroy(&status);
        ds_put_char(&s, '\n');
        if (vif) {
            struct linc_vif_stats vs;

            memset(&stats, 0, sizeof stats);
            netdev_xen_get_stats(&dev->up, &stats);
            linc_vif_get_stats(vif, &vs);
            ds_put_format(&s, "  from guest: %"PRIu64" packets, %"PRIu64
                          " bytes, %"PRIu64" errors, %"PRIu64" dropped\n"
                          "  to guest:   %"PRIu64" packets, %"PRIu64
                          " bytes, %"PRIu64" dropped\n",
                          stats.rx_packets, stats.rx_bytes, stats.rx_errors,
                          stats.rx_dropped, stats.tx_packets, stats.tx_bytes,
                          stats.tx_dropped);
            ds_put_format(&s, "  rx queue:   %"PRIu64" packets, %"PRIu64
                          " bytes waiting; %"PRIu64" waited, %"PRIu64
                          " dropped full, rx_stall %"PRIu64" (%"PRIu64
                          " dropped)\n",
                          vs.tx_queue_packets, vs.tx_queue_bytes,
                          vs.tx_queued, vs.tx_dropped_queue_full,
                          vs.tx_stalls, vs.tx_dropped_stalled);
        }
    }
    ovs_mutex_unlock(&xen_list_mutex);
    unixctl_command_reply(conn, ds_cstr(&s));
    ds_destroy(&s);
}

const struct netdev_class netdev_xen_class = {
    .type = "xen",
    .is_pmd = false,
    .run = netdev_xen_run,
    .wait = netdev_xen_wait,
    .alloc = netdev_xen_alloc,
    .construct = netdev_xen_construct,
    .destruct = netdev_xen_destruct,
    .dealloc = netdev_xen_dealloc,
    .get_config = netdev_xen_get_config,
    .set_config = netdev_xen_set_config,
    .send = netdev_xen_send,
    .get_etheraddr = netdev_xen_get_etheraddr,
    .set_etheraddr = netdev_xen_set_etheraddr,
    .get_mtu = netdev_xen_get_mtu,
    .get_stats = netdev_xen_get_stats,
    .get_status = netdev_xen_get_status,
    .update_flags = netdev_xen_update_flags,
    .rxq_alloc = netdev_xen_rxq_alloc,
    .rxq_construct = netdev_xen_rxq_construct,
    .rxq_destruct = netdev_xen_rxq_destruct,
    .rxq_dealloc = netdev_xen_rxq_dealloc,
    .rxq_recv = netdev_xen_rxq_recv,
    .rxq_wait = netdev_xen_rxq_wait,
    .rxq_drain = netdev_xen_rxq_drain,
};

void
netdev_xen_register(void)
{
    int error = netdev_register_provider(&netdev_xen_class);

    if (error) {
        VLOG_ERR("cannot register the xen netdev class (%s)",
                 ovs_strerror(error));
    }
    unixctl_command_register("xen/show", "", 0, 0, netdev_xen_unixctl_show,
                             NULL);
}
