/*
 * Copyright (c) 2026 The openvswitch-linc authors.
 * Licensed under the Apache License, Version 2.0.
 *
 * The "linc" dpif provider: OVS-facing glue around the linc engine.
 *
 * What lives here: the dpif_class, conversion between OVS's netlink flow
 * keys/actions and the engine's word arrays, dp_packet handling, action
 * execution (our fast path for plain output, OVS's odp_execute_actions() for
 * the rest), upcalls into ofproto, and the forwarding threads' loop.  The
 * flow table, port numbering, queue scheduling and fast-path recognition are
 * the engine's (linc-engine.h).
 *
 * Threads and locks.
 *
 *   - 'linc_dps_mutex' guards the set of datapaths.
 *   - dp->port_mutex serialises port add/del and thread reconfiguration
 *     (main thread).  dp->port_rwlock guards the port map: held for writing
 *     only while a port is inserted or removed, for reading by threads that
 *     execute actions outside the forwarding threads (handlers, main).
 *   - Forwarding threads never take port locks: they are stopped and
 *     restarted around every port or thread-count change and work from a
 *     snapshot of the ports taken when they start.
 *   - Flows and action lists are RCU-protected (the engine defers their
 *     free through ovsrcu_postpone()); forwarding threads quiesce between
 *     batches.
 *   - dp->upcall_rwlock is write-held while ofproto has upcalls disabled;
 *     a forwarding thread that cannot read-lock it drops the miss (n_lost).
 */

#include <config.h>

#include "dpif-linc/dpif-linc.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coverage.h"
#include "dp-packet.h"
#include "dpif-provider.h"
#include "fat-rwlock.h"
#include "fatal-signal.h"
#include "flow.h"
#include "latch.h"
#include "netdev.h"
#include "netdev-vport.h"
#include "netlink.h"
#include "odp-execute.h"
#include "odp-util.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/list.h"
#include "openvswitch/match.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/shash.h"
#include "openvswitch/vlog.h"
#include "ovs-numa.h"
#include "ovs-rcu.h"
#include "ovs-thread.h"
#include "packets.h"
#include "seq.h"
#include "smap.h"
#include "sset.h"
#include "timeval.h"
#include "unixctl.h"
#include "util.h"

#include "dpif-linc/linc-engine.h"
#include "netdev-xen/netdev-xen.h"

COVERAGE_DEFINE(linc_upcall_miss);
COVERAGE_DEFINE(linc_upcall_action);
COVERAGE_DEFINE(linc_upcall_lost);
COVERAGE_DEFINE(linc_fast_output);
COVERAGE_DEFINE(linc_recirc_too_deep);
COVERAGE_DEFINE(linc_output_no_port);
COVERAGE_DEFINE(linc_thread_sleep);

VLOG_DEFINE_THIS_MODULE(dpif_linc);

static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 20);

BUILD_ASSERT_DECL(LINC_ODP_ACTION_OUTPUT == OVS_ACTION_ATTR_OUTPUT);
BUILD_ASSERT_DECL(sizeof(struct flow) % sizeof(uint64_t) == 0);
BUILD_ASSERT_DECL(sizeof(struct linc_ufid) == sizeof(ovs_u128));

/* Every flow is in one table shared by all forwarding threads, so ofproto
 * sees a single "pmd" id: upcalls, dumps, gets and deletes agree on it. */
#define LINC_PMD_ID PMD_ID_NULL

/* Recirculation depth, as OVS's userspace datapath bounds it. */
#define LINC_MAX_RECIRC_DEPTH 6

/* Nesting of clone/sample/check_pkt_len action lists we accept. */
#define LINC_MAX_ACTION_NESTING 16

#define LINC_MAX_THREADS 64

/* Flows returned per flow_dump_next() call. */
#define LINC_DUMP_MAX_BATCH 50
#define LINC_DEFAULT_IDLE_SPIN_US 200
/* Adaptive polling widens its spin window up to this many times
 * linc-idle-spin-us (linc_adaptive_spin_next()). */
#define LINC_MAX_SPIN_FACTOR 16

/* Fields this datapath matches and emits, as odp-util sees them.  No
 * conntrack: packets never carry connection-tracking state here. */
static const struct odp_support linc_odp_support = {
    .max_vlan_headers = SIZE_MAX,
    .max_mpls_depth = SIZE_MAX,
    .recirc = true,
};

struct linc_port {
    odp_port_t port_no;
    struct netdev *netdev;
    struct netdev_saved_flags *saved_flags;
    char *type;                 /* Datapath-level type, e.g. "dummy". */
    struct netdev_rxq **rxqs;
    int n_rxq;
    int n_txq;
    bool is_xen;                /* Takes borrowed packets (netdev-xen.h). */
};

/* One receive queue a forwarding thread polls. */
struct linc_poll {
    struct linc_port *port;
    struct netdev_rxq *rxq;
};

/* Packets waiting to be sent to one port, flushed once per receive burst. */
struct linc_pending_output {
    struct linc_port *port;
    struct dp_packet_batch batch;
};

#define LINC_MAX_PENDING_PORTS 32

/* Borrowed packets of the current burst waiting for one xen port. */
struct linc_pending_borrowed {
    struct linc_port *port;
    int n;
    struct dp_packet *packets[NETDEV_MAX_BURST];
};

/* Per-thread execution state: everything a burst needs, preallocated. */
struct linc_ctx {
    struct linc_dp *dp;
    int tx_qid;                 /* This thread's transmit queue. */
    bool tx_concurrent;         /* Other threads may share 'tx_qid'. */
    bool forwarding_thread;     /* Ports come from 'ports' without locks. */
    struct hmap *ports;         /* Forwarding threads' port snapshot. */
    int depth;                  /* Recirculation depth. */
    struct linc_keys *keys[LINC_MAX_RECIRC_DEPTH + 1]; /* Per depth. */
    struct linc_pending_output out[LINC_MAX_PENDING_PORTS];
    size_t n_out;
    /* While a borrowed burst from a xen rxq is processed: that rxq, and
     * its packets bound for other xen ports. */
    struct netdev_rxq *borrow_rxq;
    struct linc_pending_borrowed borrowed[LINC_MAX_PENDING_PORTS];
    size_t n_borrowed;
    uint64_t n_packets;         /* Received by this thread. */
    /* Forwarding threads' own exact-match cache, else NULL, and the
     * insertion probability it was last given. */
    struct linc_emc *emc;
    unsigned int emc_inv_prob;
    /* Where this context's packets were found (forwarding threads). */
    atomic_ullong n_emc_hit;
    atomic_ullong n_megaflow_hit;
    atomic_ullong n_miss;
};

/* A burst's flow keys, at one recirculation depth.  Each key is a full
 * struct flow, as flow_extract() would make it, but it is filled from the
 * packet's miniflow word by word: only the words the miniflow has are
 * written, and only the words the slot's previous key had and this one
 * lacks are zeroed, instead of clearing all of struct flow every packet. */
struct linc_keys {
    struct flow flows[NETDEV_MAX_BURST];
    struct flowmap maps[NETDEV_MAX_BURST]; /* Words of flows[i] that may be
                                            * nonzero; all others are 0. */
};

struct linc_port_ref {
    struct hmap_node node;      /* In a forwarding thread's 'ports'. */
    struct linc_port *port;
};

struct linc_thread {
    struct linc_dp *dp;
    unsigned int index;
    int cpu;                    /* Pinned CPU, or -1. */
    pthread_t thread;
    struct latch exit_latch;    /* Wakes the thread when it sleeps. */
    atomic_bool exit_requested; /* Polled: latch_is_set() is a syscall. */
    /* From the exit check at the top of an iteration to the end of its
     * bursts: linc_stop_at_exit() waits while it is set. */
    atomic_bool in_bursts;
    struct ovs_list running_node;   /* In 'linc_running' while it runs. */
    struct linc_poll *polls;
    size_t n_polls;
    struct hmap ports;          /* Of linc_port_ref: outputs, no locks. */
    struct linc_ctx ctx;
    atomic_ullong n_packets;
    atomic_ullong n_sleeps;
    atomic_ullong n_busy_iterations;
    atomic_ullong n_idle_iterations;
    atomic_uint spin_us;        /* Adaptive polling's spin window now. */
};

struct linc_dp {
    char *name;
    const struct dpif_class *class;
    struct ovs_refcount ref_cnt;
    atomic_flag destroyed;

    struct ovs_mutex port_mutex;    /* Port changes, thread reconfiguration. */
    struct ovs_rwlock port_rwlock;  /* Reading 'ports' outside threads. */
    struct linc_port_map *ports;
    struct seq *port_seq;

    struct linc_flow_table *flows;

    upcall_callback *upcall_cb;
    void *upcall_aux;
    struct fat_rwlock upcall_rwlock;
    bool upcalls_enabled;           /* Else 'upcall_rwlock' is write-held
                                     * (by the main thread). */

    /* Forwarding threads (port_mutex). */
    struct linc_thread **threads;
    unsigned int n_threads;
    unsigned int n_threads_wanted;
    bool busy_poll;
    unsigned int idle_spin_us;
    int *cpus;                      /* linc-cpu-affinity, 'n_cpus' long. */
    size_t n_cpus;

    /* Statistics. */
    atomic_ullong n_hit;
    atomic_ullong n_missed;
    atomic_ullong n_lost;
    atomic_ullong n_mask_hit;
    atomic_ullong n_emc_hit;

    /* other_config:linc-emc-insert-inv-prob; 0 disables the caches. */
    atomic_uint emc_insert_inv_prob;

    long long int next_optimize;
};

struct dpif_linc {
    struct dpif dpif;
    struct linc_dp *dp;
    uint64_t last_port_seq;
};

static struct ovs_mutex linc_dps_mutex = OVS_MUTEX_INITIALIZER;

/* Every forwarding thread of every datapath between its start and its join,
 * for the exit hook (linc_stop_at_exit()), which cannot take a datapath's
 * port_mutex: its holder may be joining the very thread the hook runs on.
 * Threads are added before they start and removed after they are joined,
 * before they are freed; nothing holds 'linc_running_mutex' while joining
 * or while forwarding. */
static struct ovs_mutex linc_running_mutex = OVS_MUTEX_INITIALIZER;
static struct ovs_list linc_running OVS_GUARDED_BY(linc_running_mutex)
    = OVS_LIST_INITIALIZER(&linc_running);
static struct shash linc_dps OVS_GUARDED_BY(linc_dps_mutex)
    = SHASH_INITIALIZER(&linc_dps);

static void linc_process_batch(struct linc_ctx *, struct dp_packet_batch *);
static void linc_execute_actions(struct linc_ctx *, struct dp_packet_batch *,
                                 bool steal, const struct nlattr *actions,
                                 size_t actions_len);
static void linc_threads_stop(struct linc_dp *);
static void linc_threads_start(struct linc_dp *);

static struct dpif_linc *
dpif_linc_cast(const struct dpif *dpif)
{
    ovs_assert(dpif->dpif_class == &dpif_linc_class);
    return CONTAINER_OF(dpif, struct dpif_linc, dpif);
}

static struct linc_dp *
get_linc_dp(const struct dpif *dpif)
{
    return dpif_linc_cast(dpif)->dp;
}

static void
linc_defer_free(void (*free_fn)(void *), void *ptr)
{
    ovsrcu_postpone__(free_fn, ptr);
}

static void
ufid_to_linc(const ovs_u128 *ufid, struct linc_ufid *out)
{
    memcpy(out, ufid, sizeof *out);
}

static void
ufid_from_linc(const struct linc_ufid *ufid, ovs_u128 *out)
{
    memcpy(out, ufid, sizeof *out);
}

static void
stats_from_linc(const struct linc_flow_stats *s, struct dpif_flow_stats *out)
{
    out->n_packets = s->n_packets;
    out->n_bytes = s->n_bytes;
    out->used = s->used;
    out->tcp_flags = s->tcp_flags;
}

/* Ports. */

static bool
linc_dummy_enabled(void)
{
    struct sset types = SSET_INITIALIZER(&types);
    bool enabled;

    netdev_enumerate_types(&types);
    enabled = sset_contains(&types, "dummy-internal");
    sset_destroy(&types);
    return enabled;
}

static const char *
dpif_linc_port_open_type(const struct dpif_class *class OVS_UNUSED,
                         const char *type)
{
    /* Internal ports are taps, as in OVS's userspace datapath; with
     * --enable-dummy they are dummies, so tests need no kernel devices. */
    if (strcmp(type, "internal")) {
        return type;
    }
    return linc_dummy_enabled() ? "dummy-internal" : "tap";
}

static bool
linc_type_is_dummy(const char *type)
{
    return !strncmp(type, "dummy", 5);
}

static struct linc_port *
linc_port_lookup(const struct linc_dp *dp, odp_port_t port_no)
{
    return linc_port_map_find(dp->ports, odp_to_u32(port_no));
}

static void
linc_port_close(struct linc_port *port)
{
    for (int i = 0; i < port->n_rxq; i++) {
        netdev_rxq_close(port->rxqs[i]);
    }
    free(port->rxqs);
    netdev_restore_flags(port->saved_flags);
    netdev_close(port->netdev);
    free(port->type);
    free(port);
}

static int
linc_port_open(struct netdev *netdev, odp_port_t port_no,
               struct linc_port **portp)
{
    const char *type = netdev_get_type(netdev);
    struct netdev_saved_flags *sf = NULL;
    struct linc_port *port;
    int error;

    if (netdev_get_tunnel_config(netdev)) {
        VLOG_WARN("%s: tunnel ports (type %s) are not supported by the linc "
                  "datapath", netdev_get_name(netdev), type);
        return EOPNOTSUPP;
    }

    port = xzalloc(sizeof *port);
    port->port_no = port_no;
    port->netdev = netdev_ref(netdev);
    port->type = xstrdup(type);

    if (netdev_is_reconf_required(netdev)) {
        error = netdev_reconfigure(netdev);
        if (error && error != EOPNOTSUPP) {
            VLOG_WARN("%s: reconfiguration failed (%s)",
                      netdev_get_name(netdev), ovs_strerror(error));
            goto error;
        }
    }

    port->n_rxq = MAX(netdev_n_rxq(netdev), 1);
    port->n_txq = MAX(netdev_n_txq(netdev), 1);
    port->is_xen = netdev_xen_is_xen(netdev);
    port->rxqs = xcalloc(port->n_rxq, sizeof *port->rxqs);
    for (int i = 0; i < port->n_rxq; i++) {
        error = netdev_rxq_open(netdev, &port->rxqs[i], i);
        if (error) {
            if (error == EOPNOTSUPP && i == 0) {
                /* A send-only port: nothing to poll. */
                port->n_rxq = 0;
                break;
            }
            VLOG_WARN("%s: cannot open receive queue %d (%s)",
                      netdev_get_name(netdev), i, ovs_strerror(error));
            port->n_rxq = i;
            goto error;
        }
    }

    error = netdev_turn_flags_on(netdev, NETDEV_PROMISC, &sf);
    if (error) {
        VLOG_WARN("%s: cannot set promiscuous mode (%s)",
                  netdev_get_name(netdev), ovs_strerror(error));
        goto error;
    }
    port->saved_flags = sf;
    *portp = port;
    return 0;

error:
    linc_port_close(port);
    return error;
}

static void
linc_port_changed(struct linc_dp *dp)
{
    seq_change(dp->port_seq);
}

/* Adds 'netdev' as 'port_no' (or a chosen number) with the threads stopped
 * around the change. */
static int
linc_dp_port_add(struct linc_dp *dp, struct netdev *netdev,
                 odp_port_t *port_nop)
    OVS_REQUIRES(dp->port_mutex)
{
    char namebuf[NETDEV_VPORT_NAME_BUFSIZE];
    const char *name = netdev_vport_get_dpif_port(netdev, namebuf,
                                                  sizeof namebuf);
    const char *type = netdev_get_type(netdev);
    uint32_t requested = *port_nop == ODPP_NONE ? LINC_PORT_NONE
                                                : odp_to_u32(*port_nop);
    struct linc_port *port;
    uint32_t number;
    int error;

    error = linc_port_map_choose(dp->ports, name, requested,
                                 linc_type_is_dummy(type), &number);
    if (error) {
        return error;
    }
    error = linc_port_open(netdev, u32_to_odp(number), &port);
    if (error) {
        return error;
    }

    linc_threads_stop(dp);
    ovs_rwlock_wrlock(&dp->port_rwlock);
    error = linc_port_map_add(dp->ports, number, name, port);
    ovs_rwlock_unlock(&dp->port_rwlock);
    linc_threads_start(dp);

    if (error) {
        linc_port_close(port);
        return error;
    }
    *port_nop = u32_to_odp(number);
    linc_port_changed(dp);
    VLOG_INFO("%s: added port %s (type %s) as %"PRIu32" with %d rxq",
              dp->name, name, type, number, port->n_rxq);
    return 0;
}

static int
linc_dp_port_del(struct linc_dp *dp, odp_port_t port_no)
    OVS_REQUIRES(dp->port_mutex)
{
    struct linc_port *port;

    if (port_no == ODPP_LOCAL) {
        return EINVAL;
    }
    if (!linc_port_lookup(dp, port_no)) {
        return ENOENT;
    }

    linc_threads_stop(dp);
    ovs_rwlock_wrlock(&dp->port_rwlock);
    port = linc_port_map_remove(dp->ports, odp_to_u32(port_no));
    ovs_rwlock_unlock(&dp->port_rwlock);
    linc_threads_start(dp);

    /* Handler threads may be executing actions that found the port before
     * we removed it; they hold 'port_rwlock', which we have since taken
     * for writing, so none still uses it. */
    VLOG_INFO("%s: removed port %s (%"PRIu32")", dp->name,
              netdev_get_name(port->netdev), odp_to_u32(port_no));
    linc_port_close(port);
    linc_port_changed(dp);
    return 0;
}

/* Datapath life cycle. */

static int
linc_dp_create(const struct dpif_class *class, const char *name,
               struct linc_dp **dpp)
    OVS_REQUIRES(linc_dps_mutex)
{
    struct linc_dp *dp = xzalloc(sizeof *dp);
    struct netdev *netdev;
    odp_port_t port_no = ODPP_LOCAL;
    int error;

    dp->name = xstrdup(name);
    dp->class = class;
    ovs_refcount_init(&dp->ref_cnt);
    atomic_flag_clear(&dp->destroyed);
    ovs_mutex_init(&dp->port_mutex);
    ovs_rwlock_init(&dp->port_rwlock);
    dp->ports = linc_port_map_create();
    dp->port_seq = seq_create();
    dp->flows = linc_flow_table_create(FLOW_U64S, linc_defer_free);
    fat_rwlock_init(&dp->upcall_rwlock);
    /* Upcalls stay disabled until ofproto enables them. */
    fat_rwlock_wrlock(&dp->upcall_rwlock);
    dp->n_threads_wanted = MAX(1, ovs_numa_get_n_cores() == OVS_CORE_UNSPEC
                                  ? 1 : ovs_numa_get_n_cores() / 2);
    dp->idle_spin_us = LINC_DEFAULT_IDLE_SPIN_US;
    atomic_init(&dp->n_hit, 0);
    atomic_init(&dp->n_missed, 0);
    atomic_init(&dp->n_lost, 0);
    atomic_init(&dp->n_mask_hit, 0);
    atomic_init(&dp->n_emc_hit, 0);
    atomic_init(&dp->emc_insert_inv_prob, LINC_EMC_DEFAULT_INSERT_INV_PROB);

    /* The local port carries the datapath's name, as in OVS's userspace
     * datapath; bridges' own internal ports get other numbers. */
    error = netdev_open(name, dpif_linc_port_open_type(class, "internal"),
                        &netdev);
    if (!error) {
        ovs_mutex_lock(&dp->port_mutex);
        error = linc_dp_port_add(dp, netdev, &port_no);
        ovs_mutex_unlock(&dp->port_mutex);
        netdev_close(netdev);
    }
    if (error) {
        VLOG_ERR("%s: cannot create the local port (%s)", name,
                 ovs_strerror(error));
        fat_rwlock_unlock(&dp->upcall_rwlock);
        fat_rwlock_destroy(&dp->upcall_rwlock);
        linc_flow_table_destroy(dp->flows);
        seq_destroy(dp->port_seq);
        linc_port_map_destroy(dp->ports);
        ovs_rwlock_destroy(&dp->port_rwlock);
        ovs_mutex_destroy(&dp->port_mutex);
        free(dp->name);
        free(dp);
        return error;
    }

    shash_add(&linc_dps, name, dp);
    *dpp = dp;
    return 0;
}

static void
linc_dp_free(struct linc_dp *dp)
{
    uint32_t ports[64];
    size_t n;

    ovs_mutex_lock(&dp->port_mutex);
    dp->n_threads_wanted = 0;
    linc_threads_stop(dp);
    while ((n = linc_port_map_list(dp->ports, LINC_PORT_NONE, ports,
                                   ARRAY_SIZE(ports)))) {
        for (size_t i = 0; i < n; i++) {
            linc_port_close(linc_port_map_remove(dp->ports, ports[i]));
        }
    }
    ovs_mutex_unlock(&dp->port_mutex);

    linc_flow_table_flush(dp->flows);
    /* Deferred frees of flows must run before the table goes away. */
    ovsrcu_synchronize();
    linc_flow_table_destroy(dp->flows);
    linc_port_map_destroy(dp->ports);
    seq_destroy(dp->port_seq);
    if (!dp->upcalls_enabled) {
        fat_rwlock_unlock(&dp->upcall_rwlock);
    }
    fat_rwlock_destroy(&dp->upcall_rwlock);
    ovs_rwlock_destroy(&dp->port_rwlock);
    ovs_mutex_destroy(&dp->port_mutex);
    free(dp->threads);
    free(dp->cpus);
    free(dp->name);
    free(dp);
}

static void
linc_dp_unref(struct linc_dp *dp)
{
    if (dp && ovs_refcount_unref(&dp->ref_cnt) == 1) {
        /* The last reference: dpif_linc_destroy() already unlisted it. */
        linc_dp_free(dp);
    }
}

static int
dpif_linc_init(void)
{
    return 0;
}

static int
dpif_linc_enumerate(struct sset *all_dps, const struct dpif_class *class)
{
    struct shash_node *node;

    ovs_mutex_lock(&linc_dps_mutex);
    SHASH_FOR_EACH (node, &linc_dps) {
        const struct linc_dp *dp = node->data;
        if (dp->class == class) {
            sset_add(all_dps, node->name);
        }
    }
    ovs_mutex_unlock(&linc_dps_mutex);
    return 0;
}

static struct dpif *
create_dpif_linc(struct linc_dp *dp)
{
    uint16_t netflow_id = hash_string(dp->name, 0);
    struct dpif_linc *dpif = xzalloc(sizeof *dpif);

    ovs_refcount_ref(&dp->ref_cnt);
    dpif_init(&dpif->dpif, dp->class, dp->name, netflow_id >> 8, netflow_id);
    dpif->dp = dp;
    dpif->last_port_seq = seq_read(dp->port_seq);
    return &dpif->dpif;
}

static int
dpif_linc_open(const struct dpif_class *class, const char *name, bool create,
               struct dpif **dpifp)
{
    struct linc_dp *dp;
    int error;

    ovs_mutex_lock(&linc_dps_mutex);
    dp = shash_find_data(&linc_dps, name);
    if (!dp) {
        /* A new datapath holds one reference of its own, standing for "not
         * destroyed", dropped by dpif_linc_destroy(). */
        error = create ? linc_dp_create(class, name, &dp) : ENODEV;
    } else {
        error = dp->class != class ? EINVAL : create ? EEXIST : 0;
    }
    if (!error) {
        *dpifp = create_dpif_linc(dp);
    }
    ovs_mutex_unlock(&linc_dps_mutex);
    return error;
}

static void
dpif_linc_close(struct dpif *dpif)
{
    struct dpif_linc *d = dpif_linc_cast(dpif);

    linc_dp_unref(d->dp);
    free(d);
}

static int
dpif_linc_destroy(struct dpif *dpif)
{
    struct linc_dp *dp = get_linc_dp(dpif);

    if (!atomic_flag_test_and_set(&dp->destroyed)) {
        ovs_mutex_lock(&linc_dps_mutex);
        shash_find_and_delete(&linc_dps, dp->name);
        ovs_mutex_unlock(&linc_dps_mutex);
        linc_dp_unref(dp);
    }
    return 0;
}

static bool
dpif_linc_run(struct dpif *dpif)
{
    struct linc_dp *dp = get_linc_dp(dpif);
    long long int now = time_msec();

    if (now >= dp->next_optimize) {
        linc_flow_table_optimize(dp->flows);
        dp->next_optimize = now + 1000;
    }
    return false;
}

static void
dpif_linc_wait(struct dpif *dpif)
{
    poll_timer_wait_until(get_linc_dp(dpif)->next_optimize);
}

static int
dpif_linc_get_stats(const struct dpif *dpif, struct dpif_dp_stats *stats)
{
    struct linc_dp *dp = get_linc_dp(dpif);
    unsigned long long v;

    memset(stats, 0, sizeof *stats);
    stats->n_flows = linc_flow_table_count(dp->flows);
    atomic_read_relaxed(&dp->n_hit, &v);
    stats->n_hit = v;
    atomic_read_relaxed(&dp->n_missed, &v);
    stats->n_missed = v;
    atomic_read_relaxed(&dp->n_lost, &v);
    stats->n_lost = v;
    atomic_read_relaxed(&dp->n_mask_hit, &v);
    stats->n_mask_hit = v;
    stats->n_masks = linc_flow_table_n_masks(dp->flows);
    /* dpctl/show's "cache" line: the forwarding threads' EMC hits. */
    atomic_read_relaxed(&dp->n_emc_hit, &v);
    stats->n_cache_hit = v;
    return 0;
}

static int
dpif_linc_port_add(struct dpif *dpif, struct netdev *netdev,
                   odp_port_t *port_nop)
{
    struct linc_dp *dp = get_linc_dp(dpif);
    int error;

    ovs_mutex_lock(&dp->port_mutex);
    error = linc_dp_port_add(dp, netdev, port_nop);
    ovs_mutex_unlock(&dp->port_mutex);
    return error;
}

static int
dpif_linc_port_del(struct dpif *dpif, odp_port_t port_no)
{
    struct linc_dp *dp = get_linc_dp(dpif);
    int error;

    ovs_mutex_lock(&dp->port_mutex);
    error = linc_dp_port_del(dp, port_no);
    ovs_mutex_unlock(&dp->port_mutex);
    return error;
}

static void
answer_port_query(const struct linc_port *port, const char *name,
                  struct dpif_port *dpif_port)
{
    dpif_port->name = xstrdup(name);
    dpif_port->type = xstrdup(port->type);
    dpif_port->port_no = port->port_no;
}

static int
dpif_linc_port_query_by_number(const struct dpif *dpif, odp_port_t port_no,
                               struct dpif_port *dpif_port)
{
    struct linc_dp *dp = get_linc_dp(dpif);
    char namebuf[NETDEV_VPORT_NAME_BUFSIZE];
    struct linc_port *port;
    int error = ENODEV;

    ovs_rwlock_rdlock(&dp->port_rwlock);
    port = linc_port_lookup(dp, port_no);
    if (port) {
        if (dpif_port) {
            answer_port_query(port, netdev_vport_get_dpif_port(
                                  port->netdev, namebuf, sizeof namebuf),
                              dpif_port);
        }
        error = 0;
    }
    ovs_rwlock_unlock(&dp->port_rwlock);
    return error;
}

static int
dpif_linc_port_query_by_name(const struct dpif *dpif, const char *devname,
                             struct dpif_port *dpif_port)
{
    struct linc_dp *dp = get_linc_dp(dpif);
    struct linc_port *port;
    int error = ENODEV;

    ovs_rwlock_rdlock(&dp->port_rwlock);
    port = linc_port_map_find_by_name(dp->ports, devname, NULL);
    if (port) {
        if (dpif_port) {
            answer_port_query(port, devname, dpif_port);
        }
        error = 0;
    }
    ovs_rwlock_unlock(&dp->port_rwlock);
    return error;
}

struct linc_port_dump_state {
    uint32_t last;              /* Last port number returned. */
    struct dpif_port port;      /* Owned, freed on the next call. */
};

static int
dpif_linc_port_dump_start(const struct dpif *dpif OVS_UNUSED, void **statep)
{
    struct linc_port_dump_state *state = xzalloc(sizeof *state);

    state->last = LINC_PORT_NONE;
    *statep = state;
    return 0;
}

static int
dpif_linc_port_dump_next(const struct dpif *dpif, void *state_,
                         struct dpif_port *dpif_port)
{
    struct linc_port_dump_state *state = state_;
    struct linc_dp *dp = get_linc_dp(dpif);
    char namebuf[NETDEV_VPORT_NAME_BUFSIZE];
    int error = EOF;
    uint32_t number;

    dpif_port_destroy(&state->port);
    memset(&state->port, 0, sizeof state->port);

    ovs_rwlock_rdlock(&dp->port_rwlock);
    if (linc_port_map_list(dp->ports, state->last, &number, 1)) {
        struct linc_port *port = linc_port_map_find(dp->ports, number);

        answer_port_query(port, netdev_vport_get_dpif_port(
                              port->netdev, namebuf, sizeof namebuf),
                          &state->port);
        *dpif_port = state->port;
        state->last = number;
        error = 0;
    }
    ovs_rwlock_unlock(&dp->port_rwlock);
    return error;
}

static int
dpif_linc_port_dump_done(const struct dpif *dpif OVS_UNUSED, void *state_)
{
    struct linc_port_dump_state *state = state_;

    dpif_port_destroy(&state->port);
    free(state);
    return 0;
}

static int
dpif_linc_port_poll(const struct dpif *dpif_, char **devnamep OVS_UNUSED)
{
    struct dpif_linc *dpif = dpif_linc_cast(dpif_);
    uint64_t seqno = seq_read(dpif->dp->port_seq);

    if (seqno != dpif->last_port_seq) {
        dpif->last_port_seq = seqno;
        return ENOBUFS;         /* "Something changed: dump the ports." */
    }
    return EAGAIN;
}

static void
dpif_linc_port_poll_wait(const struct dpif *dpif_)
{
    struct dpif_linc *dpif = dpif_linc_cast(dpif_);

    seq_wait(dpif->dp->port_seq, dpif->last_port_seq);
}

/* Flow keys and actions. */

static bool
is_all_zeros_masked(const void *value_, const void *mask_, size_t n)
{
    const uint8_t *value = value_, *mask = mask_;

    for (size_t i = 0; i < n; i++) {
        if (value[i] & mask[i]) {
            return false;
        }
    }
    return true;
}

/* Returns true if 'match' needs state this datapath never has: connection
 * tracking or tunnel metadata with a nonzero value.  Matching those fields
 * against zero is fine, because every packet here has them zero; matching
 * a nonzero value could never hit and would be a silent mismatch, so such
 * flows are refused, and ofproto's feature probes see the refusal. */
static bool
match_needs_unsupported_state(const struct flow *flow,
                              const struct flow_wildcards *wc)
{
#define LINC_FIELD_SET(FIELD)                                           \
    (!is_all_zeros_masked(&flow->FIELD, &wc->masks.FIELD,               \
                          sizeof flow->FIELD))
    return (LINC_FIELD_SET(ct_state) || LINC_FIELD_SET(ct_zone)
            || LINC_FIELD_SET(ct_mark) || LINC_FIELD_SET(ct_label)
            || LINC_FIELD_SET(ct_nw_proto) || LINC_FIELD_SET(ct_nw_src)
            || LINC_FIELD_SET(ct_nw_dst) || LINC_FIELD_SET(ct_ipv6_src)
            || LINC_FIELD_SET(ct_ipv6_dst) || LINC_FIELD_SET(ct_tp_src)
            || LINC_FIELD_SET(ct_tp_dst) || LINC_FIELD_SET(tunnel));
#undef LINC_FIELD_SET
}

static int
linc_validate_actions__(const struct nlattr *actions, size_t actions_len,
                        int depth);

static int
linc_validate_nested(const struct nlattr *a, int type, int depth)
{
    const struct nlattr *inner = nl_attr_find_nested(a, type);

    return inner ? linc_validate_actions__(nl_attr_get(inner),
                                           nl_attr_get_size(inner), depth + 1)
                 : 0;
}

/* Checks that every action in the list is one this datapath executes
 * correctly.  EINVAL for conntrack, meters, native tunnelling, lb_output,
 * set(tunnel(...)) and unknown or malformed attributes. */
static int
linc_validate_actions__(const struct nlattr *actions, size_t actions_len,
                        int depth)
{
    const struct nlattr *a;
    size_t left;

    if (depth > LINC_MAX_ACTION_NESTING) {
        return EINVAL;
    }
    NL_ATTR_FOR_EACH (a, left, actions, actions_len) {
        enum ovs_action_attr type = nl_attr_type(a);

        switch (type) {
        case OVS_ACTION_ATTR_OUTPUT:
        case OVS_ACTION_ATTR_RECIRC:
            if (nl_attr_get_size(a) != sizeof(uint32_t)) {
                return EINVAL;
            }
            break;

        case OVS_ACTION_ATTR_SET:
        case OVS_ACTION_ATTR_SET_MASKED: {
            const struct nlattr *key = nl_attr_get(a);

            if (nl_attr_get_size(a) < NLA_HDRLEN
                || nl_attr_type(key) == OVS_KEY_ATTR_TUNNEL) {
                return EINVAL;
            }
            break;
        }

        case OVS_ACTION_ATTR_CLONE:
            if (linc_validate_actions__(nl_attr_get(a), nl_attr_get_size(a),
                                        depth + 1)) {
                return EINVAL;
            }
            break;

        case OVS_ACTION_ATTR_SAMPLE:
            if (linc_validate_nested(a, OVS_SAMPLE_ATTR_ACTIONS, depth)) {
                return EINVAL;
            }
            break;

        case OVS_ACTION_ATTR_CHECK_PKT_LEN:
            if (linc_validate_nested(a, OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_GREATER,
                                     depth)
                || linc_validate_nested(
                    a, OVS_CHECK_PKT_LEN_ATTR_ACTIONS_IF_LESS_EQUAL, depth)) {
                return EINVAL;
            }
            break;

        case OVS_ACTION_ATTR_USERSPACE:
        case OVS_ACTION_ATTR_PUSH_VLAN:
        case OVS_ACTION_ATTR_POP_VLAN:
        case OVS_ACTION_ATTR_HASH:
        case OVS_ACTION_ATTR_PUSH_MPLS:
        case OVS_ACTION_ATTR_POP_MPLS:
        case OVS_ACTION_ATTR_ADD_MPLS:
        case OVS_ACTION_ATTR_TRUNC:
        case OVS_ACTION_ATTR_PUSH_ETH:
        case OVS_ACTION_ATTR_POP_ETH:
        case OVS_ACTION_ATTR_PUSH_NSH:
        case OVS_ACTION_ATTR_POP_NSH:
        case OVS_ACTION_ATTR_CT_CLEAR:  /* Clears state we never set. */
        case OVS_ACTION_ATTR_DROP:
            break;

        case OVS_ACTION_ATTR_CT:
        case OVS_ACTION_ATTR_METER:
        case OVS_ACTION_ATTR_TUNNEL_PUSH:
        case OVS_ACTION_ATTR_TUNNEL_POP:
        case OVS_ACTION_ATTR_LB_OUTPUT:
        case OVS_ACTION_ATTR_UNSPEC:
        case __OVS_ACTION_ATTR_MAX:
        default:
            return EINVAL;
        }
    }
    return left ? EINVAL : 0;
}

static int
linc_validate_actions(const struct nlattr *actions, size_t actions_len)
{
    return linc_validate_actions__(actions, actions_len, 0);
}

static void
linc_flow_to_dpif_flow(const struct flow *key, const struct flow *mask,
                       const struct linc_actions *actions,
                       const struct linc_ufid *ufid,
                       const struct linc_flow_stats *stats,
                       struct ofpbuf *key_buf, struct ofpbuf *mask_buf,
                       struct dpif_flow *flow, bool terse)
{
    if (terse) {
        memset(flow, 0, sizeof *flow);
    } else {
        struct odp_flow_key_parms odp_parms = {
            .flow = key,
            .mask = mask,
            .support = linc_odp_support,
        };
        size_t offset;

        offset = key_buf->size;
        flow->key = ofpbuf_tail(key_buf);
        odp_flow_key_from_flow(&odp_parms, key_buf);
        flow->key_len = key_buf->size - offset;

        offset = mask_buf->size;
        flow->mask = ofpbuf_tail(mask_buf);
        odp_parms.key_buf = key_buf;
        odp_flow_key_from_mask(&odp_parms, mask_buf);
        flow->mask_len = mask_buf->size - offset;

        flow->actions = (const struct nlattr *) actions->data;
        flow->actions_len = actions->len;
    }
    ufid_from_linc(ufid, &flow->ufid);
    flow->ufid_present = true;
    flow->pmd_id = LINC_PMD_ID;
    stats_from_linc(stats, &flow->stats);
    flow->attrs.offloaded = false;
    flow->attrs.dp_layer = "ovs";
    flow->attrs.dp_extra_info = NULL;
}

/* Parses a flow key (and mask) from ofproto into 'match'.  'probe'
 * suppresses the logging of parse failures. */
static int
linc_match_from_nlattrs(const struct nlattr *key, size_t key_len,
                        const struct nlattr *mask, size_t mask_len,
                        bool probe, struct match *match)
{
    memset(match, 0, sizeof *match);
    if (odp_flow_key_to_flow(key, key_len, &match->flow, NULL)
        || odp_flow_key_to_mask(mask, mask_len, &match->wc, &match->flow,
                                NULL)) {
        if (!probe && !VLOG_DROP_WARN(&rl)) {
            struct ds s = DS_EMPTY_INITIALIZER;

            odp_flow_format(key, key_len, mask, mask_len, NULL, &s, true);
            VLOG_WARN("cannot parse flow %s", ds_cstr(&s));
            ds_destroy(&s);
        }
        return EINVAL;
    }
    /* The input port and recirculation id always match exactly. */
    match->wc.masks.in_port.odp_port = u32_to_odp(UINT32_MAX);
    match->wc.masks.recirc_id = UINT32_MAX;
    return 0;
}

static void
linc_ufid_for(const struct nlattr *key, size_t key_len, const ovs_u128 *ufid,
              struct linc_ufid *out)
{
    ovs_u128 hash;

    if (ufid) {
        ufid_to_linc(ufid, out);
    } else {
        odp_flow_key_hash(key, key_len, &hash);
        ufid_to_linc(&hash, out);
    }
}

static int
dpif_linc_flow_put(struct linc_dp *dp, const struct dpif_flow_put *put)
{
    bool probe = put->flags & DPIF_FP_PROBE;
    struct linc_flow_stats old;
    struct linc_ufid ufid;
    struct match match;
    unsigned int flags = 0;
    int error;

    error = linc_match_from_nlattrs(put->key, put->key_len, put->mask,
                                    put->mask_len, probe, &match);
    if (error) {
        return error;
    }
    if (match_needs_unsupported_state(&match.flow, &match.wc)
        || linc_validate_actions(put->actions, put->actions_len)) {
        if (!probe) {
            VLOG_WARN_RL(&rl, "%s: refusing a flow that needs conntrack, "
                         "tunnels or an unsupported action", dp->name);
        }
        return EINVAL;
    }

    flags |= put->flags & DPIF_FP_CREATE ? LINC_PUT_CREATE : 0;
    flags |= put->flags & DPIF_FP_MODIFY ? LINC_PUT_MODIFY : 0;
    flags |= put->flags & DPIF_FP_ZERO_STATS ? LINC_PUT_ZERO_STATS : 0;
    linc_ufid_for(put->key, put->key_len, put->ufid, &ufid);
    error = linc_flow_table_put(dp->flows, &ufid,
                                (const uint64_t *) &match.flow,
                                (const uint64_t *) &match.wc.masks,
                                put->actions, put->actions_len, flags, &old);
    if (VLOG_IS_DBG_ENABLED()) {
        VLOG_DBG("%s: flow_put%s%s ufid %016"PRIx64"%016"PRIx64": %s",
                 dp->name, flags & LINC_PUT_CREATE ? " create" : "",
                 flags & LINC_PUT_MODIFY ? " modify" : "", ufid.hi, ufid.lo,
                 ovs_strerror(error));
    }
    if (!error && put->stats) {
        stats_from_linc(&old, put->stats);
    }
    return error;
}

static int
dpif_linc_flow_del(struct linc_dp *dp, const struct dpif_flow_del *del)
{
    struct linc_flow_stats stats;
    struct linc_ufid ufid;
    int error;

    linc_ufid_for(del->key, del->key_len, del->ufid, &ufid);
    error = linc_flow_table_del(dp->flows, &ufid, &stats);
    if (VLOG_IS_DBG_ENABLED()) {
        VLOG_DBG("%s: flow_del ufid %016"PRIx64"%016"PRIx64": %s", dp->name,
                 ufid.hi, ufid.lo, ovs_strerror(error));
    }
    if (!error && del->stats) {
        stats_from_linc(&stats, del->stats);
    }
    return error;
}

static int
dpif_linc_flow_get(struct linc_dp *dp, const struct dpif_flow_get *get)
{
    const struct linc_actions *actions;
    struct linc_flow_stats stats;
    struct flow key, mask;
    struct linc_ufid ufid;
    int error;

    linc_ufid_for(get->key, get->key_len, get->ufid, &ufid);
    error = linc_flow_table_get(dp->flows, &ufid, (uint64_t *) &key,
                                (uint64_t *) &mask, &actions, &stats);
    if (!error) {
        linc_flow_to_dpif_flow(&key, &mask, actions, &ufid, &stats,
                               get->buffer, get->buffer, get->flow, false);
    }
    return error;
}

static int
dpif_linc_flow_flush(struct dpif *dpif)
{
    linc_flow_table_flush(get_linc_dp(dpif)->flows);
    return 0;
}

/* Flow dumps. */

struct dpif_linc_flow_dump {
    struct dpif_flow_dump up;
    struct linc_flow_dump *dump;
};

struct dpif_linc_flow_dump_thread {
    struct dpif_flow_dump_thread up;
    struct dpif_linc_flow_dump *dump;
    struct odputil_keybuf keybuf[LINC_DUMP_MAX_BATCH];
    struct odputil_keybuf maskbuf[LINC_DUMP_MAX_BATCH];
};

static struct dpif_flow_dump *
dpif_linc_flow_dump_create(const struct dpif *dpif, bool terse,
                           struct dpif_flow_dump_types *types OVS_UNUSED)
{
    struct dpif_linc_flow_dump *dump = xzalloc(sizeof *dump);

    dpif_flow_dump_init(&dump->up, dpif);
    dump->up.terse = terse;
    dump->dump = linc_flow_dump_start(get_linc_dp(dpif)->flows);
    return &dump->up;
}

static int
dpif_linc_flow_dump_destroy(struct dpif_flow_dump *dump_)
{
    struct dpif_linc_flow_dump *dump
        = CONTAINER_OF(dump_, struct dpif_linc_flow_dump, up);

    linc_flow_dump_done(dump->dump);
    free(dump);
    return 0;
}

static struct dpif_flow_dump_thread *
dpif_linc_flow_dump_thread_create(struct dpif_flow_dump *dump_)
{
    struct dpif_linc_flow_dump *dump
        = CONTAINER_OF(dump_, struct dpif_linc_flow_dump, up);
    struct dpif_linc_flow_dump_thread *thread = xmalloc(sizeof *thread);

    dpif_flow_dump_thread_init(&thread->up, &dump->up);
    thread->dump = dump;
    return &thread->up;
}

static void
dpif_linc_flow_dump_thread_destroy(struct dpif_flow_dump_thread *thread_)
{
    free(CONTAINER_OF(thread_, struct dpif_linc_flow_dump_thread, up));
}

static int
dpif_linc_flow_dump_next(struct dpif_flow_dump_thread *thread_,
                         struct dpif_flow *flows, int max_flows)
{
    struct dpif_linc_flow_dump_thread *thread
        = CONTAINER_OF(thread_, struct dpif_linc_flow_dump_thread, up);
    struct dpif_linc_flow_dump *dump = thread->dump;
    int n = 0;

    if (!dump->dump) {
        return 0;
    }
    max_flows = MIN(max_flows, LINC_DUMP_MAX_BATCH);
    while (n < max_flows) {
        const struct linc_actions *actions;
        struct linc_flow_stats stats;
        struct flow key, mask;
        struct linc_ufid ufid;
        struct ofpbuf kbuf, mbuf;

        if (linc_flow_dump_next(dump->dump, &ufid, (uint64_t *) &key,
                                (uint64_t *) &mask, &actions, &stats)) {
            break;
        }
        ofpbuf_use_stack(&kbuf, &thread->keybuf[n], sizeof thread->keybuf[n]);
        ofpbuf_use_stack(&mbuf, &thread->maskbuf[n],
                         sizeof thread->maskbuf[n]);
        linc_flow_to_dpif_flow(&key, &mask, actions, &ufid, &stats, &kbuf,
                               &mbuf, &flows[n], dump->up.terse);
        n++;
    }
    return n;
}

/* Packet processing. */

static struct linc_port *
linc_ctx_port(struct linc_ctx *ctx, odp_port_t port_no)
{
    if (ctx->forwarding_thread) {
        struct linc_port_ref *ref;

        HMAP_FOR_EACH_WITH_HASH (ref, node, hash_int(odp_to_u32(port_no), 0),
                                 ctx->ports) {
            if (ref->port->port_no == port_no) {
                return ref->port;
            }
        }
        return NULL;
    }
    /* Non-forwarding threads hold port_rwlock for the whole execution. */
    return linc_port_lookup(ctx->dp, port_no);
}

static void
linc_ctx_flush_borrowed(struct linc_ctx *ctx)
{
    for (size_t i = 0; i < ctx->n_borrowed; i++) {
        struct linc_pending_borrowed *b = &ctx->borrowed[i];
        struct linc_port *port = b->port;

        netdev_xen_send_borrowed(port->netdev, ctx->tx_qid % port->n_txq,
                                 ctx->borrow_rxq, b->packets, b->n);
    }
    ctx->n_borrowed = 0;
}

/* Queues borrowed 'batch' for xen port 'port'. */
static void
linc_ctx_output_borrowed(struct linc_ctx *ctx, struct linc_port *port,
                         const struct dp_packet_batch *batch)
{
    struct linc_pending_borrowed *b = NULL;
    size_t n = dp_packet_batch_size(batch);

    for (size_t i = 0; i < ctx->n_borrowed; i++) {
        if (ctx->borrowed[i].port == port) {
            b = &ctx->borrowed[i];
            break;
        }
    }
    if (!b) {
        if (ctx->n_borrowed == LINC_MAX_PENDING_PORTS) {
            linc_ctx_flush_borrowed(ctx);
        }
        b = &ctx->borrowed[ctx->n_borrowed++];
        b->port = port;
        b->n = 0;
    }
    /* A burst holds at most NETDEV_MAX_BURST borrowed packets. */
    ovs_assert(n <= NETDEV_MAX_BURST - b->n);
    if (n == 1) {
        b->packets[b->n] = batch->packets[0];   /* Many flows: no call. */
    } else {
        memcpy(&b->packets[b->n], batch->packets, n * sizeof *b->packets);
    }
    b->n += n;
}

static void
linc_ctx_flush(struct linc_ctx *ctx)
{
    linc_ctx_flush_borrowed(ctx);
    for (size_t i = 0; i < ctx->n_out; i++) {
        struct linc_pending_output *o = &ctx->out[i];
        struct linc_port *port = o->port;

        dp_packet_batch_apply_cutlen(&o->batch);
        netdev_send(port->netdev, ctx->tx_qid % port->n_txq, &o->batch,
                    ctx->tx_concurrent || port->n_txq <= ctx->tx_qid);
        dp_packet_batch_init(&o->batch);
    }
    ctx->n_out = 0;
}

/* Queues 'packet' (owned) for output on 'port_no'. */
static void
linc_ctx_output(struct linc_ctx *ctx, odp_port_t port_no,
                struct dp_packet *packet)
{
    struct linc_port *port = linc_ctx_port(ctx, port_no);
    struct linc_pending_output *o = NULL;

    if (!port) {
        COVERAGE_INC(linc_output_no_port);
        dp_packet_delete(packet);
        return;
    }
    for (size_t i = 0; i < ctx->n_out; i++) {
        if (ctx->out[i].port == port) {
            o = &ctx->out[i];
            break;
        }
    }
    if (!o) {
        if (ctx->n_out == LINC_MAX_PENDING_PORTS) {
            linc_ctx_flush(ctx);
        }
        o = &ctx->out[ctx->n_out++];
        o->port = port;
        dp_packet_batch_init(&o->batch);
    } else if (dp_packet_batch_is_full(&o->batch)) {
        linc_ctx_flush(ctx);
        return linc_ctx_output(ctx, port_no, packet);
    }
    dp_packet_batch_add(&o->batch, packet);
}

static int
linc_upcall(struct linc_dp *dp, struct dp_packet *packet,
            const struct flow *flow, ovs_u128 *ufid,
            enum dpif_upcall_type type, const struct nlattr *userdata,
            struct ofpbuf *actions, struct flow_wildcards *wc,
            struct ofpbuf *put_actions)
{
    int error;

    if (fat_rwlock_tryrdlock(&dp->upcall_rwlock)) {
        return ENODEV;          /* Upcalls disabled. */
    }
    error = dp->upcall_cb
            ? dp->upcall_cb(packet, flow, ufid, LINC_PMD_ID, type, userdata,
                            actions, wc, put_actions, dp->upcall_aux)
            : ENODEV;
    fat_rwlock_unlock(&dp->upcall_rwlock);
    return error;
}

static void
linc_count_lost(struct linc_dp *dp, unsigned long long n)
{
    unsigned long long orig;

    COVERAGE_ADD(linc_upcall_lost, n);
    atomic_add_relaxed(&dp->n_lost, n, &orig);
}

/* A packet that matched no flow: ask ofproto, install what it answers and
 * run the actions.  Takes ownership of 'packet'. */
static void
linc_handle_miss(struct linc_ctx *ctx, struct dp_packet *packet,
                 const struct flow *flow)
{
    struct linc_dp *dp = ctx->dp;
    uint64_t actions_stub[512 / 8], put_actions_stub[512 / 8];
    struct ofpbuf actions, put_actions;
    struct flow_wildcards wc;
    ovs_u128 ufid;
    int error;

    COVERAGE_INC(linc_upcall_miss);
    ofpbuf_use_stub(&actions, actions_stub, sizeof actions_stub);
    ofpbuf_use_stub(&put_actions, put_actions_stub, sizeof put_actions_stub);
    flow_wildcards_init_catchall(&wc);
    odp_flow_key_hash(flow, sizeof *flow, &ufid);

    error = linc_upcall(dp, packet, flow, &ufid, DPIF_UC_MISS, NULL,
                        &actions, &wc, &put_actions);
    if (error && error != ENOSPC) {
        if (error != ENODEV) {
            VLOG_WARN_RL(&rl, "%s: upcall failed (%s)", dp->name,
                         ovs_strerror(error));
        } else {
            VLOG_DBG_RL(&rl, "%s: miss dropped: upcalls are disabled",
                        dp->name);
        }
        linc_count_lost(dp, 1);
        dp_packet_delete(packet);
        goto out;
    }

    if (!error) {
        const struct ofpbuf *install = put_actions.size ? &put_actions
                                                        : &actions;

        wc.masks.in_port.odp_port = u32_to_odp(UINT32_MAX);
        wc.masks.recirc_id = UINT32_MAX;
        if (!match_needs_unsupported_state(flow, &wc)
            && !linc_validate_actions(install->data, install->size)) {
            struct linc_ufid lufid;

            ufid_to_linc(&ufid, &lufid);
            /* EEXIST: another thread installed it first; fine. */
            linc_flow_table_insert_if_absent(dp->flows, &lufid,
                                             (const uint64_t *) flow,
                                             (const uint64_t *) &wc.masks,
                                             install->data, install->size);
        } else {
            VLOG_WARN_RL(&rl, "%s: not installing a flow that needs "
                         "unsupported state or actions", dp->name);
        }
    }

    if (linc_validate_actions(actions.data, actions.size)) {
        dp_packet_delete(packet);
    } else {
        struct dp_packet_batch b;

        dp_packet_batch_init_packet(&b, packet);
        linc_execute_actions(ctx, &b, true, actions.data, actions.size);
    }

out:
    ofpbuf_uninit(&actions);
    ofpbuf_uninit(&put_actions);
}

struct linc_flow_group {
    struct linc_flow *flow;
    struct dp_packet_batch batch;
    uint64_t n_bytes;
    uint16_t tcp_flags;
};

/* The last single-output action list a burst's flows ran borrowed, and the
 * xen port it sends to (NULL if it does not go to a xen port): flows of a
 * burst mostly share their actions, though each has its own copy. */
struct linc_output_memo {
    size_t len;                 /* 0 if none yet, else sizeof 'actions'. */
    uint8_t actions[8];         /* One OVS_ACTION_ATTR_OUTPUT. */
    struct linc_port *port;
};

/* A borrowed GSO frame goes anywhere but to a xen port that takes it whole
 * as TCP segments of its own (OVS 3.1 cannot carry the guest's MSS): with
 * the actions of the flow the frame matched, or classified again. */
struct linc_segments_aux {
    struct linc_ctx *ctx;
    const struct nlattr *actions;   /* NULL: classify each batch. */
    size_t actions_len;
};

static void
linc_execute_segments(void *aux_, struct dp_packet_batch *segments)
{
    struct linc_segments_aux *aux = aux_;
    struct linc_ctx *ctx = aux->ctx;

    if (aux->actions) {
        linc_execute_actions(ctx, segments, true, aux->actions,
                             aux->actions_len);
    } else {
        /* One depth down, as for recirculation: the keys of the burst the
         * frame came in are still in use. */
        ctx->depth++;
        linc_process_batch(ctx, segments);
        ctx->depth--;
    }
}

/* Runs 'acts' on borrowed 'batch' (see linc_process_batch()): plain output
 * to a xen port sends from the slots or guest to guest; anything else
 * works on owned copies.  'memo' carries a port lookup from one call to
 * the next within a burst. */
static void
linc_execute_borrowed(struct linc_ctx *ctx, struct dp_packet_batch *batch,
                      const struct linc_actions *acts,
                      struct linc_output_memo *memo)
{
    const struct nlattr *actions = (const struct nlattr *) acts->data;
    struct linc_port *xen_port = NULL;
    struct dp_packet_batch owned;
    struct dp_packet *packet;
    uint32_t port_no;

    if (acts->len == sizeof memo->actions && memo->len == acts->len
        && !memcmp(acts->data, memo->actions, sizeof memo->actions)) {
        xen_port = memo->port;
    } else {
        switch (linc_actions_classify(actions, acts->len, &port_no)) {
        case LINC_ACTIONS_DROP:
            return;

        case LINC_ACTIONS_OUTPUT: {
            struct linc_port *port = linc_ctx_port(ctx, u32_to_odp(port_no));

            xen_port = port && port->is_xen ? port : NULL;
            if (acts->len == sizeof memo->actions) {
                memo->len = acts->len;
                memcpy(memo->actions, acts->data, sizeof memo->actions);
                memo->port = xen_port;
            }
            break;
        }

        case LINC_ACTIONS_GENERAL:
            break;
        }
    }
    if (xen_port && !batch->trunc) {
        COVERAGE_ADD(linc_fast_output, dp_packet_batch_size(batch));
        linc_ctx_output_borrowed(ctx, xen_port, batch);
        return;
    }

    dp_packet_batch_init(&owned);
    DP_PACKET_BATCH_FOR_EACH (i, packet, batch) {
        if (netdev_xen_rxq_is_gso(ctx->borrow_rxq, packet)) {
            struct linc_segments_aux aux = {
                .ctx = ctx, .actions = actions, .actions_len = acts->len,
            };

            /* Its segments follow what came before it. */
            if (dp_packet_batch_size(&owned)) {
                linc_execute_actions(ctx, &owned, true, actions, acts->len);
                dp_packet_batch_init(&owned);
            }
            netdev_xen_rxq_segment(ctx->borrow_rxq, packet,
                                   linc_execute_segments, &aux);
            continue;
        }

        struct dp_packet *copy = netdev_xen_rxq_own(ctx->borrow_rxq, packet);
        if (copy) {
            dp_packet_batch_add(&owned, copy);
        }
    }
    linc_execute_actions(ctx, &owned, true, actions, acts->len);
}

static struct linc_keys *
linc_ctx_keys(struct linc_ctx *ctx)
{
    struct linc_keys **keys = &ctx->keys[ctx->depth];

    if (!*keys) {
        *keys = xzalloc_cacheline(sizeof **keys);
    }
    return *keys;
}

/* Extracts 'packet''s flow into key 'i' of 'keys': the same struct flow as
 * flow_extract() gives (see struct linc_keys). */
static inline void
linc_key_extract(struct linc_keys *keys, size_t i, struct dp_packet *packet)
{
    struct {
        struct miniflow mf;
        uint64_t buf[FLOW_U64S];
    } m;
    uint64_t *dst = (uint64_t *) &keys->flows[i];
    struct flowmap *cur = &keys->maps[i];
    const uint64_t *p;
    size_t unit;
    map_t map;

    miniflow_extract(packet, &m.mf);
    p = miniflow_get_values(&m.mf);
    FLOWMAP_FOR_EACH_UNIT (unit) {
        uint64_t *d = dst + unit * MAP_T_BITS;
        size_t idx;

        map = cur->bits[unit] & ~m.mf.map.bits[unit];
        if (OVS_UNLIKELY(map)) {
            MAP_FOR_EACH_INDEX (idx, map) {
                d[idx] = 0;
            }
        }
        map = m.mf.map.bits[unit];
        MAP_FOR_EACH_INDEX (idx, map) {
            d[idx] = *p++;
        }
    }
    *cur = m.mf.map;
}

#define LINC_GROUP_BITS 6
#define LINC_GROUP_SLOTS (1 << LINC_GROUP_BITS)
BUILD_ASSERT_DECL(LINC_GROUP_SLOTS >= 2 * NETDEV_MAX_BURST
                  && LINC_GROUP_SLOTS <= UINT8_MAX);

static size_t
linc_group_hash(const struct linc_flow *flow)
{
    /* Fibonacci hashing: the top bits of the product mix all the
     * pointer's bits. */
    return ((uint64_t) (uintptr_t) flow * UINT64_C(0x9e3779b97f4a7c15))
           >> (64 - LINC_GROUP_BITS);
}

/* Classifies and forwards 'batch' (owned).  Packet metadata must be set. */
static void
linc_process_batch(struct linc_ctx *ctx, struct dp_packet_batch *batch)
{
    struct linc_dp *dp = ctx->dp;
    /* Packets straight from a xen rxq's slots: never freed, only sent to
     * xen ports or copied (see netdev-xen.h).  Recirculated ones are ours. */
    struct netdev_rxq *borrow_rxq = ctx->depth ? NULL : ctx->borrow_rxq;
    size_t n = 0;
    const uint64_t *key_ptrs[NETDEV_MAX_BURST];
    uint32_t hashes[NETDEV_MAX_BURST];
    bool all_hashed = true;
    struct linc_flow *flows[NETDEV_MAX_BURST];
    struct linc_flow_group groups[NETDEV_MAX_BURST];
    /* Open-addressed index of 'groups' by flow: 1 + group number, 0 if
     * free.  Twice NETDEV_MAX_BURST slots, so probes stay short. */
    uint8_t group_index[LINC_GROUP_SLOTS];
    struct linc_output_memo memo = { .len = 0 };
    struct linc_keys *lk = linc_ctx_keys(ctx);
    struct flow *keys = lk->flows;
    size_t n_groups = 0, n_hit, n_probes = 0, n_missed = 0;
    unsigned long long orig;
    struct dp_packet *packet;
    long long int now;
    size_t i;

    DP_PACKET_BATCH_FOR_EACH (i, packet, batch) {
        linc_key_extract(lk, n, packet);
        if (borrow_rxq) {
            int error = netdev_xen_rxq_settle(borrow_rxq, packet, &keys[n]);

            if (error == EAGAIN) {
                linc_key_extract(lk, n, packet);
            } else if (error) {
                continue;       /* Lost in the guest's pages. */
            }
        }
        batch->packets[n] = packet;
        key_ptrs[n] = (const uint64_t *) &keys[n];
        if (dp_packet_rss_valid(packet)) {
            /* Recirculated packets keep their hash: tell depths apart. */
            uint32_t rss = dp_packet_get_rss_hash(packet);

            hashes[n] = ctx->depth ? hash_int(rss, ctx->depth) : rss;
        } else {
            all_hashed = false;
        }
        n++;
    }
    batch->count = n;
    if (ctx->emc) {
        struct linc_lookup_stats ls = { 0, 0, 0, 0 };
        unsigned int inv_prob;

        atomic_read_relaxed(&dp->emc_insert_inv_prob, &inv_prob);
        if (inv_prob != ctx->emc_inv_prob) {
            linc_emc_set_insert_inv_prob(ctx->emc, inv_prob);
            ctx->emc_inv_prob = inv_prob;
        }
        /* Without a hash for every packet, the engine hashes the keys. */
        n_hit = linc_emc_lookup_batch(ctx->emc, key_ptrs,
                                      all_hashed ? hashes : NULL, n, flows,
                                      &ls);
        n_probes = ls.n_probes;
        atomic_add_relaxed(&dp->n_emc_hit, ls.emc_hits, &orig);
        atomic_add_relaxed(&ctx->n_emc_hit, ls.emc_hits, &orig);
        atomic_add_relaxed(&ctx->n_megaflow_hit, ls.megaflow_hits, &orig);
        atomic_add_relaxed(&ctx->n_miss, ls.misses, &orig);
    } else {
        n_hit = linc_flow_table_lookup_batch(dp->flows, key_ptrs, n, flows,
                                             &n_probes);
    }

    /* Group hits by flow, keeping each flow's packets in arrival order. */
    memset(group_index, 0, sizeof group_index);
    for (i = 0; i < n; i++) {
        struct linc_flow_group *g = NULL;

        if (!flows[i]) {
            continue;
        }
        if (n_groups && groups[n_groups - 1].flow == flows[i]) {
            g = &groups[n_groups - 1];          /* A run of one flow. */
        } else {
            size_t h = linc_group_hash(flows[i]);

            for (;; h = (h + 1) % LINC_GROUP_SLOTS) {
                uint8_t k = group_index[h];

                if (!k) {
                    g = &groups[n_groups++];
                    group_index[h] = n_groups;
                    g->flow = flows[i];
                    g->n_bytes = 0;
                    g->tcp_flags = 0;
                    dp_packet_batch_init(&g->batch);
                    break;
                } else if (groups[k - 1].flow == flows[i]) {
                    g = &groups[k - 1];
                    break;
                }
            }
        }
        dp_packet_batch_add(&g->batch, batch->packets[i]);
        g->n_bytes += dp_packet_size(batch->packets[i]);
        g->tcp_flags |= ntohs(keys[i].tcp_flags);
    }

    now = time_msec();
    for (i = 0; i < n_groups; i++) {
        struct linc_flow_group *g = &groups[i];
        const struct linc_actions *acts = linc_flow_actions(g->flow);

        linc_flow_account(g->flow, dp_packet_batch_size(&g->batch),
                          g->n_bytes, now, g->tcp_flags);
        if (borrow_rxq) {
            linc_execute_borrowed(ctx, &g->batch, acts, &memo);
        } else {
            linc_execute_actions(ctx, &g->batch, true,
                                 (const struct nlattr *) acts->data,
                                 acts->len);
        }
    }

    /* Misses go one by one: the first may install the flow the next uses.
     * The keys live at this depth, which executing actions above did not
     * reuse (recirculation runs one depth deeper). */
    for (i = 0; i < n; i++) {
        struct linc_flow *f;

        if (flows[i]) {
            continue;
        }
        n_missed++;
        if (borrow_rxq && netdev_xen_rxq_is_gso(borrow_rxq,
                                                batch->packets[i])) {
            struct linc_segments_aux aux = { .ctx = ctx };

            netdev_xen_rxq_segment(borrow_rxq, batch->packets[i],
                                   linc_execute_segments, &aux);
            continue;
        }
        if (borrow_rxq) {
            batch->packets[i] = netdev_xen_rxq_own(borrow_rxq,
                                                   batch->packets[i]);
            if (!batch->packets[i]) {
                continue;
            }
        }
        linc_flow_table_lookup_batch(dp->flows, &key_ptrs[i], 1, &f, NULL);
        if (f) {
            struct dp_packet_batch b;
            const struct linc_actions *acts = linc_flow_actions(f);

            linc_flow_account(f, 1, dp_packet_size(batch->packets[i]),
                              time_msec(), ntohs(keys[i].tcp_flags));
            dp_packet_batch_init_packet(&b, batch->packets[i]);
            linc_execute_actions(ctx, &b, true,
                                 (const struct nlattr *) acts->data,
                                 acts->len);
        } else {
            linc_handle_miss(ctx, batch->packets[i], &keys[i]);
        }
    }

    atomic_add_relaxed(&dp->n_hit, n_hit, &orig);
    atomic_add_relaxed(&dp->n_missed, n_missed, &orig);
    atomic_add_relaxed(&dp->n_mask_hit, n_probes, &orig);
}

struct linc_exec_aux {
    struct linc_ctx *ctx;
};

static void
linc_execute_userspace(struct linc_ctx *ctx, struct dp_packet_batch *batch,
                       const struct nlattr *a, bool should_steal)
{
    const struct nlattr *userdata = nl_attr_find_nested(
        a, OVS_USERSPACE_ATTR_USERDATA);
    struct dp_packet *packet;

    DP_PACKET_BATCH_FOR_EACH (i, packet, batch) {
        uint64_t actions_stub[512 / 8];
        struct ofpbuf actions;
        struct flow flow;
        ovs_u128 ufid;
        int error;

        COVERAGE_INC(linc_upcall_action);
        ofpbuf_use_stub(&actions, actions_stub, sizeof actions_stub);
        flow_extract(packet, &flow);
        /* ofproto looks the packet's flow up by UFID for slow-path
         * upcalls, so it gets the same UFID a miss would. */
        odp_flow_key_hash(&flow, sizeof flow, &ufid);
        error = linc_upcall(ctx->dp, packet, &flow, &ufid, DPIF_UC_ACTION,
                            userdata, &actions, NULL, NULL);
        if (error && error != ENOSPC) {
            VLOG_DBG_RL(&rl, "%s: userspace action upcall failed (%s)",
                        ctx->dp->name, ovs_strerror(error));
            linc_count_lost(ctx->dp, 1);
        } else if (actions.size
                   && !linc_validate_actions(actions.data, actions.size)) {
            struct dp_packet_batch b;

            dp_packet_batch_init_packet(&b, packet);
            linc_execute_actions(ctx, &b, false, actions.data, actions.size);
        }
        ofpbuf_uninit(&actions);
    }
    dp_packet_delete_batch(batch, should_steal);
}

static void
linc_execute_recirc(struct linc_ctx *ctx, struct dp_packet_batch *batch,
                    const struct nlattr *a, bool should_steal)
{
    struct dp_packet_batch copy;
    struct dp_packet *packet;
    uint32_t recirc_id = nl_attr_get_u32(a);

    if (ctx->depth >= LINC_MAX_RECIRC_DEPTH) {
        COVERAGE_INC(linc_recirc_too_deep);
        VLOG_WARN_RL(&rl, "%s: packet recirculated too deeply; dropped",
                     ctx->dp->name);
        dp_packet_delete_batch(batch, should_steal);
        return;
    }
    if (!should_steal) {
        dp_packet_batch_clone(&copy, batch);
        batch = &copy;
    }
    DP_PACKET_BATCH_FOR_EACH (i, packet, batch) {
        packet->md.recirc_id = recirc_id;
    }
    ctx->depth++;
    linc_process_batch(ctx, batch);
    ctx->depth--;
}

/* odp_execute_actions() callback for the actions that need the datapath. */
static void
linc_execute_cb(void *aux_, struct dp_packet_batch *batch,
                const struct nlattr *a, bool should_steal)
{
    struct linc_exec_aux *aux = aux_;
    struct linc_ctx *ctx = aux->ctx;
    enum ovs_action_attr type = nl_attr_type(a);
    struct dp_packet *packet;

    switch (type) {
    case OVS_ACTION_ATTR_OUTPUT: {
        odp_port_t port_no = nl_attr_get_odp_port(a);

        DP_PACKET_BATCH_FOR_EACH (i, packet, batch) {
            linc_ctx_output(ctx, port_no,
                            should_steal ? packet : dp_packet_clone(packet));
        }
        if (should_steal) {
            dp_packet_batch_init(batch);
        }
        return;
    }

    case OVS_ACTION_ATTR_USERSPACE:
        linc_execute_userspace(ctx, batch, a, should_steal);
        return;

    case OVS_ACTION_ATTR_RECIRC:
        linc_execute_recirc(ctx, batch, a, should_steal);
        return;

    default:
        /* odp_execute_actions() only hands us the actions that need the
         * datapath; of those, validation refuses the others (ct, meter,
         * tunnel push/pop, lb_output) before any packet sees them. */
        break;
    }
    OVS_NOT_REACHED();
}

/* Runs 'actions' on 'batch'.  With 'steal' the batch's packets are
 * consumed; otherwise they are left to the caller. */
static void
linc_execute_actions(struct linc_ctx *ctx, struct dp_packet_batch *batch,
                     bool steal, const struct nlattr *actions,
                     size_t actions_len)
{
    struct linc_exec_aux aux = { .ctx = ctx };
    uint32_t port;

    switch (linc_actions_classify(actions, actions_len, &port)) {
    case LINC_ACTIONS_DROP:
        dp_packet_delete_batch(batch, steal);
        return;

    case LINC_ACTIONS_OUTPUT:
        if (steal && !batch->trunc) {
            struct dp_packet *packet;

            COVERAGE_ADD(linc_fast_output, dp_packet_batch_size(batch));
            DP_PACKET_BATCH_FOR_EACH (i, packet, batch) {
                linc_ctx_output(ctx, u32_to_odp(port), packet);
            }
            dp_packet_batch_init(batch);
            return;
        }
        break;

    case LINC_ACTIONS_GENERAL:
        break;
    }
    odp_execute_actions(&aux, batch, steal, actions, actions_len,
                        linc_execute_cb);
}

static void
linc_ctx_init(struct linc_ctx *ctx, struct linc_dp *dp, int tx_qid,
              bool tx_concurrent, struct hmap *ports)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->dp = dp;
    ctx->tx_qid = tx_qid;
    ctx->tx_concurrent = tx_concurrent;
    ctx->forwarding_thread = ports != NULL;
    ctx->ports = ports;
    atomic_init(&ctx->n_emc_hit, 0);
    atomic_init(&ctx->n_megaflow_hit, 0);
    atomic_init(&ctx->n_miss, 0);
}

static void
linc_ctx_uninit(struct linc_ctx *ctx)
{
    for (size_t i = 0; i < ARRAY_SIZE(ctx->keys); i++) {
        free_cacheline(ctx->keys[i]);
    }
    linc_emc_destroy(ctx->emc);
}

static int
dpif_linc_execute(struct linc_dp *dp, struct dpif_execute *execute)
{
    struct dp_packet_batch batch;
    struct linc_ctx ctx;

    if (dp_packet_size(execute->packet) < ETH_HEADER_LEN
        || dp_packet_size(execute->packet) > UINT16_MAX) {
        return EINVAL;
    }
    if (linc_validate_actions(execute->actions, execute->actions_len)) {
        if (!execute->probe) {
            VLOG_WARN_RL(&rl, "%s: refusing to execute an unsupported "
                         "action", dp->name);
        }
        return EINVAL;
    }
    if (execute->probe) {
        /* Probes only ask whether the actions are acceptable; running them
         * could send spurious packets. */
        return 0;
    }
    if (!dp_packet_rss_valid(execute->packet)) {
        dp_packet_set_rss_hash(execute->packet,
                               flow_hash_5tuple(execute->flow, 0));
    }

    /* Threads other than the forwarding threads share the last transmit
     * queue and always send as if it were shared. */
    ovs_rwlock_rdlock(&dp->port_rwlock);
    linc_ctx_init(&ctx, dp, dp->n_threads, true, NULL);
    dp_packet_batch_init_packet(&batch, execute->packet);
    linc_execute_actions(&ctx, &batch, false, execute->actions,
                         execute->actions_len);
    linc_ctx_flush(&ctx);
    ovs_rwlock_unlock(&dp->port_rwlock);
    linc_ctx_uninit(&ctx);
    return 0;
}

static void
dpif_linc_operate(struct dpif *dpif, struct dpif_op **ops, size_t n_ops,
                  enum dpif_offload_type offload_type OVS_UNUSED)
{
    struct linc_dp *dp = get_linc_dp(dpif);

    for (size_t i = 0; i < n_ops; i++) {
        struct dpif_op *op = ops[i];

        switch (op->type) {
        case DPIF_OP_FLOW_PUT:
            op->error = dpif_linc_flow_put(dp, &op->flow_put);
            break;
        case DPIF_OP_FLOW_DEL:
            op->error = dpif_linc_flow_del(dp, &op->flow_del);
            break;
        case DPIF_OP_EXECUTE:
            op->error = dpif_linc_execute(dp, &op->execute);
            break;
        case DPIF_OP_FLOW_GET:
            op->error = dpif_linc_flow_get(dp, &op->flow_get);
            break;
        }
    }
}

/* Forwarding threads. */

static uint64_t
linc_now_us(void)
{
    struct timespec ts;

    /* Not OVS's time_usec(): spinning must follow real time even when a
     * test warps OVS's clock. */
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
}

/* A xen rxq: its packets are borrowed for the burst (netdev-xen.h). */
static int
linc_poll_xen_rxq(struct linc_thread *t, struct linc_poll *poll)
{
    struct dp_packet_batch borrowed;
    struct dp_packet *packet;
    int n;

    if (netdev_xen_rxq_recv_borrowed(poll->rxq, &borrowed)) {
        return 0;
    }
    DP_PACKET_BATCH_FOR_EACH (i, packet, &borrowed) {
        pkt_metadata_init(&packet->md, poll->port->port_no);
    }
    n = dp_packet_batch_size(&borrowed);
    t->ctx.n_packets += n;
    t->ctx.borrow_rxq = poll->rxq;
    linc_process_batch(&t->ctx, &borrowed);
    /* A flow's packets take one path, borrowed or owned, so each flow
     * keeps the guest's order; borrowed ones leave first. */
    linc_ctx_flush(&t->ctx);
    t->ctx.borrow_rxq = NULL;
    netdev_xen_rxq_finish(poll->rxq);
    return n;
}

static int
linc_poll_rxq(struct linc_thread *t, struct linc_poll *poll)
{
    struct dp_packet_batch batch;
    struct dp_packet *packet;
    int error;

    if (poll->port->is_xen) {
        return linc_poll_xen_rxq(t, poll);
    }
    dp_packet_batch_init(&batch);
    error = netdev_rxq_recv(poll->rxq, &batch, NULL);
    if (error) {
        if (error != EAGAIN && error != EOPNOTSUPP) {
            VLOG_ERR_RL(&rl, "%s: receive error on %s (%s)", t->dp->name,
                        netdev_get_name(poll->port->netdev),
                        ovs_strerror(error));
        }
        return 0;
    }
    DP_PACKET_BATCH_FOR_EACH (i, packet, &batch) {
        pkt_metadata_init(&packet->md, poll->port->port_no);
    }
    t->ctx.n_packets += dp_packet_batch_size(&batch);
    int n = dp_packet_batch_size(&batch);
    linc_process_batch(&t->ctx, &batch);
    linc_ctx_flush(&t->ctx);
    return n;
}

static void *
linc_thread_main(void *t_)
{
    struct linc_thread *t = t_;
    struct linc_dp *dp = t->dp;
    uint64_t idle_since = 0;        /* First empty poll of a dry spell. */
    unsigned int spin_us = dp->idle_spin_us;
    unsigned int iterations = 0;
    bool woken = false;
    bool counted = false;           /* Forwarded since it last slept. */
    long long int flush_due = 0;    /* See the sleep below. */
    unsigned long long orig;

    if (t->cpu >= 0) {
        cpu_set_t set;

        CPU_ZERO(&set);
        CPU_SET(t->cpu, &set);
        if (pthread_setaffinity_np(pthread_self(), sizeof set, &set)) {
            VLOG_WARN("%s: cannot pin forwarding thread %u to CPU %d",
                      dp->name, t->index, t->cpu);
        }
    }

    for (;;) {
        uint64_t now;
        bool exiting;
        int n = 0;

        /* seq_cst, as the exit hook's store of 'exit_requested' and load
         * of 'in_bursts': either we see the request here, or the hook sees
         * us in our bursts and waits until they are done. */
        atomic_store_explicit(&t->in_bursts, true, memory_order_seq_cst);
        atomic_read_explicit(&t->exit_requested, &exiting,
                             memory_order_seq_cst);
        if (exiting) {
            break;
        }
        for (size_t i = 0; i < t->n_polls; i++) {
            n += linc_poll_rxq(t, &t->polls[i]);
        }
        if (n) {
            if (woken) {
                /* Woke to a full burst: sleeping cost throughput, so
                 * spin longer (linc_adaptive_spin_next()). */
                spin_us = linc_adaptive_spin_next(spin_us, dp->idle_spin_us,
                                                  n, NETDEV_MAX_BURST,
                                                  LINC_MAX_SPIN_FACTOR);
                atomic_store_relaxed(&t->spin_us, spin_us);
                woken = false;
            }
            atomic_add_relaxed(&t->n_packets, n, &orig);
            atomic_add_relaxed(&t->n_busy_iterations, 1, &orig);
            counted = true;
            /* The clock is read only once the rings run dry. */
            idle_since = 0;
        } else {
            atomic_add_relaxed(&t->n_idle_iterations, 1, &orig);
            /* Busy mode never sleeps, so it needs no clock. */
            now = dp->busy_poll ? 0 : linc_now_us();
            if (!idle_since) {
                idle_since = now;
            }
            if (!dp->busy_poll && now - idle_since >= spin_us) {
                /* Idle: sleep until a port has packets or we must exit.
                 * poll_block() quiesces RCU while it sleeps. */
                COVERAGE_INC(linc_thread_sleep);
                atomic_add_relaxed(&t->n_sleeps, 1, &orig);
                for (size_t i = 0; i < t->n_polls; i++) {
                    netdev_rxq_wait(t->polls[i].rxq);
                }
                latch_wait(&t->exit_latch);
                /* This thread's coverage counts reach coverage/show only
                 * when it enters poll_block() a second or more after they
                 * last did (OVS's coverage_clear()), so counts made just
                 * before a long sleep would wait for the next packet: until
                 * a poll_block() a second after the last forwarding, keep
                 * a timer for that time, whatever else wakes us. */
                if (counted) {
                    flush_due = time_msec() + COVERAGE_CLEAR_INTERVAL + 10;
                    counted = false;
                }
                if (flush_due) {
                    if (time_msec() < flush_due) {
                        poll_timer_wait_until(flush_due);
                    } else {
                        flush_due = 0;      /* This poll_block() flushes. */
                    }
                }
                /* Release: what the bursts wrote is done.  poll_block()
                 * may itself run the exit hook (or block while another
                 * thread runs it). */
                atomic_store_explicit(&t->in_bursts, false,
                                      memory_order_release);
                poll_block();
                idle_since = 0;
                woken = true;
                continue;
            }
        }
        if (!(++iterations & 63)) {
            ovsrcu_quiesce();
            if (!(iterations & 1023)) {
                /* A thread that never sleeps (busy polling) otherwise never
                 * hands its coverage counts over, as dpif-netdev's PMD
                 * threads do the same. */
                coverage_try_clear();
            }
        }
    }
    atomic_store_explicit(&t->in_bursts, false, memory_order_release);
    return NULL;
}

struct linc_rxq_slot {
    struct linc_port *port;
    int qid;
};

static void
linc_threads_stop(struct linc_dp *dp)
    OVS_REQUIRES(dp->port_mutex)
{
    for (unsigned int i = 0; i < dp->n_threads; i++) {
        atomic_store_explicit(&dp->threads[i]->exit_requested, true,
                              memory_order_release);
        latch_set(&dp->threads[i]->exit_latch);
    }
    for (unsigned int i = 0; i < dp->n_threads; i++) {
        struct linc_thread *t = dp->threads[i];
        struct linc_port_ref *ref;

        xpthread_join(t->thread, NULL);
        ovs_mutex_lock(&linc_running_mutex);
        ovs_list_remove(&t->running_node);
        ovs_mutex_unlock(&linc_running_mutex);
        latch_destroy(&t->exit_latch);
        HMAP_FOR_EACH_POP (ref, node, &t->ports) {
            free(ref);
        }
        hmap_destroy(&t->ports);
        linc_ctx_uninit(&t->ctx);
        free(t->polls);
        free(t);
    }
    free(dp->threads);
    dp->threads = NULL;
    dp->n_threads = 0;
}

/* Starts dp->n_threads_wanted threads over the current ports, spreading
 * the receive queues with the engine's scheduler. */
static void
linc_threads_start(struct linc_dp *dp)
    OVS_REQUIRES(dp->port_mutex)
{
    unsigned int n = dp->n_threads_wanted;
    struct linc_rxq_slot *slots = NULL;
    size_t n_slots = 0, allocated = 0;
    uint32_t numbers[64];
    uint32_t last = LINC_PORT_NONE;
    size_t got;

    ovs_assert(!dp->n_threads);
    if (!n) {
        return;
    }

    dp->threads = xcalloc(n, sizeof *dp->threads);
    for (unsigned int i = 0; i < n; i++) {
        struct linc_thread *t = xzalloc(sizeof *t);

        t->dp = dp;
        t->index = i;
        t->cpu = i < dp->n_cpus ? dp->cpus[i] : -1;
        latch_init(&t->exit_latch);
        atomic_init(&t->exit_requested, false);
        atomic_init(&t->in_bursts, false);
        hmap_init(&t->ports);
        atomic_init(&t->n_packets, 0);
        atomic_init(&t->n_sleeps, 0);
        atomic_init(&t->n_busy_iterations, 0);
        atomic_init(&t->spin_us, dp->idle_spin_us);
        atomic_init(&t->n_idle_iterations, 0);
        dp->threads[i] = t;
    }

    while ((got = linc_port_map_list(dp->ports, last, numbers,
                                     ARRAY_SIZE(numbers)))) {
        for (size_t i = 0; i < got; i++) {
            struct linc_port *port = linc_port_map_find(dp->ports,
                                                        numbers[i]);

            for (unsigned int j = 0; j < n; j++) {
                struct linc_port_ref *ref = xmalloc(sizeof *ref);

                ref->port = port;
                hmap_insert(&dp->threads[j]->ports, &ref->node,
                            hash_int(odp_to_u32(port->port_no), 0));
            }
            for (int q = 0; q < port->n_rxq; q++) {
                if (n_slots == allocated) {
                    slots = x2nrealloc(slots, &allocated, sizeof *slots);
                }
                slots[n_slots++] = (struct linc_rxq_slot) { port, q };
            }
        }
        last = numbers[got - 1];
    }

    uint64_t *weights = xcalloc(MAX(n_slots, 1), sizeof *weights);
    unsigned int *thread_of = xcalloc(MAX(n_slots, 1), sizeof *thread_of);
    linc_sched_assign(weights, n_slots, n, thread_of);
    for (size_t i = 0; i < n_slots; i++) {
        struct linc_thread *t = dp->threads[thread_of[i]];

        t->polls = xrealloc(t->polls, (t->n_polls + 1) * sizeof *t->polls);
        t->polls[t->n_polls++] = (struct linc_poll) {
            .port = slots[i].port,
            .rxq = slots[i].port->rxqs[slots[i].qid],
        };
    }
    free(weights);
    free(thread_of);
    free(slots);

    for (unsigned int i = 0; i < n; i++) {
        struct linc_thread *t = dp->threads[i];
        char name[32];

        /* Thread i sends on queue i; other threads on queue n (shared). */
        linc_ctx_init(&t->ctx, dp, i, false, &t->ports);
        atomic_read_relaxed(&dp->emc_insert_inv_prob, &t->ctx.emc_inv_prob);
        t->ctx.emc = linc_emc_create(dp->flows, LINC_EMC_DEFAULT_ENTRIES,
                                     t->ctx.emc_inv_prob);
        if (!t->ctx.emc) {
            VLOG_WARN("%s: no memory for forwarding thread %u's exact-match "
                      "cache; running without", dp->name, i);
        }
        snprintf(name, sizeof name, "linc_fwd%u", i);
        ovs_mutex_lock(&linc_running_mutex);
        ovs_list_push_back(&linc_running, &t->running_node);
        t->thread = ovs_thread_create(name, linc_thread_main, t);
        ovs_mutex_unlock(&linc_running_mutex);
    }
    dp->n_threads = n;
}

static int
parse_cpu_list(const char *s, int **cpusp, size_t *n_cpusp)
{
    char *copy = xstrdup(s), *save = NULL, *tok;
    int *cpus = NULL;
    size_t n = 0;

    for (tok = strtok_r(copy, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char *end;
        long cpu = strtol(tok, &end, 10);

        if (*end || end == tok || cpu < 0 || cpu >= CPU_SETSIZE) {
            free(copy);
            free(cpus);
            return EINVAL;
        }
        cpus = xrealloc(cpus, (n + 1) * sizeof *cpus);
        cpus[n++] = cpu;
    }
    free(copy);
    *cpusp = cpus;
    *n_cpusp = n;
    return 0;
}

static int
dpif_linc_set_config(struct dpif *dpif, const struct smap *other_config)
{
    struct linc_dp *dp = get_linc_dp(dpif);
    int default_threads = ovs_numa_get_n_cores() == OVS_CORE_UNSPEC
                          ? 1 : MAX(1, ovs_numa_get_n_cores() / 2);
    int n_threads = smap_get_int(other_config, "linc-n-threads",
                                 default_threads);
    const char *mode = smap_get_def(other_config, "linc-poll-mode",
                                    "adaptive");
    int spin = smap_get_int(other_config, "linc-idle-spin-us",
                            LINC_DEFAULT_IDLE_SPIN_US);
    const char *affinity = smap_get_def(other_config, "linc-cpu-affinity",
                                        "");
    unsigned long long int emc_inv_prob = smap_get_ullong(
        other_config, "linc-emc-insert-inv-prob",
        LINC_EMC_DEFAULT_INSERT_INV_PROB);
    unsigned int old_inv_prob;
    int *cpus = NULL;
    size_t n_cpus = 0;
    bool busy;

    /* The xen interface class has no other_config of its own. */
    netdev_xen_set_config_global(other_config);

    if (n_threads < 1 || n_threads > LINC_MAX_THREADS) {
        VLOG_WARN_RL(&rl, "linc-n-threads=%d is out of range 1..%d; using %d",
                     n_threads, LINC_MAX_THREADS, default_threads);
        n_threads = default_threads;
    }
    if (!strcmp(mode, "busy")) {
        busy = true;
    } else {
        if (strcmp(mode, "adaptive")) {
            VLOG_WARN_RL(&rl, "linc-poll-mode=%s is not \"adaptive\" or "
                         "\"busy\"; using adaptive", mode);
        }
        busy = false;
    }
    if (spin < 0 || spin > 1000000) {
        VLOG_WARN_RL(&rl, "linc-idle-spin-us=%d is out of range 0..1000000; "
                     "using %d", spin, LINC_DEFAULT_IDLE_SPIN_US);
        spin = LINC_DEFAULT_IDLE_SPIN_US;
    }
    if (emc_inv_prob > UINT32_MAX) {
        VLOG_WARN_RL(&rl, "linc-emc-insert-inv-prob=%llu is out of range "
                     "0..%"PRIu32"; using %d", emc_inv_prob, UINT32_MAX,
                     LINC_EMC_DEFAULT_INSERT_INV_PROB);
        emc_inv_prob = LINC_EMC_DEFAULT_INSERT_INV_PROB;
    }
    atomic_read_relaxed(&dp->emc_insert_inv_prob, &old_inv_prob);
    if (emc_inv_prob != old_inv_prob) {
        /* Forwarding threads pick it up at their next batch. */
        atomic_store_relaxed(&dp->emc_insert_inv_prob, emc_inv_prob);
        if (emc_inv_prob) {
            VLOG_INFO("%s: exact-match cache insertion probability 1/%llu",
                      dp->name, emc_inv_prob);
        } else {
            VLOG_INFO("%s: exact-match cache disabled", dp->name);
        }
    }
    if (parse_cpu_list(affinity, &cpus, &n_cpus)) {
        VLOG_WARN_RL(&rl, "linc-cpu-affinity=%s is not a list of CPU "
                     "numbers; not pinning", affinity);
        cpus = NULL;
        n_cpus = 0;
    }

    ovs_mutex_lock(&dp->port_mutex);
    if (n_threads != dp->n_threads_wanted || busy != dp->busy_poll
        || spin != dp->idle_spin_us || n_cpus != dp->n_cpus
        || (n_cpus && memcmp(cpus, dp->cpus, n_cpus * sizeof *cpus))) {
        linc_threads_stop(dp);
        dp->n_threads_wanted = n_threads;
        dp->busy_poll = busy;
        dp->idle_spin_us = spin;
        free(dp->cpus);
        dp->cpus = cpus;
        dp->n_cpus = n_cpus;
        cpus = NULL;
        linc_threads_start(dp);
        VLOG_INFO("%s: %u forwarding thread(s), %s polling", dp->name,
                  dp->n_threads, busy ? "busy" : "adaptive");
    }
    ovs_mutex_unlock(&dp->port_mutex);
    free(cpus);
    return 0;
}

static void
dpif_linc_register_upcall_cb(struct dpif *dpif, upcall_callback *cb,
                             void *aux)
{
    struct linc_dp *dp = get_linc_dp(dpif);

    dp->upcall_aux = aux;
    dp->upcall_cb = cb;
}

static void
dpif_linc_enable_upcall(struct dpif *dpif)
{
    struct linc_dp *dp = get_linc_dp(dpif);

    if (!dp->upcalls_enabled) {
        dp->upcalls_enabled = true;
        fat_rwlock_unlock(&dp->upcall_rwlock);
    }
}

static void
dpif_linc_disable_upcall(struct dpif *dpif)
{
    struct linc_dp *dp = get_linc_dp(dpif);

    if (dp->upcalls_enabled) {
        fat_rwlock_wrlock(&dp->upcall_rwlock);
        dp->upcalls_enabled = false;
    }
}

static char *
dpif_linc_get_datapath_version(void)
{
    return xstrdup("linc " LINC_VERSION);
}

/* ovs-appctl linc/show [DP]: forwarding threads and their queues. */
static void
linc_unixctl_show(struct unixctl_conn *conn, int argc, const char *argv[],
                  void *aux OVS_UNUSED)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    struct shash_node *node;
    unsigned int inv_prob;

    ovs_mutex_lock(&linc_dps_mutex);
    SHASH_FOR_EACH (node, &linc_dps) {
        struct linc_dp *dp = node->data;

        if (argc > 1 && strcmp(argv[1], dp->name)) {
            continue;
        }
        ovs_mutex_lock(&dp->port_mutex);
        ds_put_format(&s, "%s: %u forwarding thread(s), %s polling",
                      dp->name, dp->n_threads,
                      dp->busy_poll ? "busy" : "adaptive");
        if (!dp->busy_poll) {
            ds_put_format(&s, " (idle spin %u us)", dp->idle_spin_us);
        }
        ds_put_format(&s, ", %"PRIuSIZE" flows, %"PRIuSIZE" masks",
                      linc_flow_table_count(dp->flows),
                      linc_flow_table_n_masks(dp->flows));
        atomic_read_relaxed(&dp->emc_insert_inv_prob, &inv_prob);
        if (inv_prob) {
            ds_put_format(&s, ", emc insert 1/%u\n", inv_prob);
        } else {
            ds_put_cstr(&s, ", emc disabled\n");
        }
        for (unsigned int i = 0; i < dp->n_threads; i++) {
            struct linc_thread *t = dp->threads[i];
            unsigned long long pkts, sleeps, busy, idle;
            unsigned long long emc_hit, megaflow_hit, miss;
            unsigned int spin_us;

            atomic_read_relaxed(&t->n_packets, &pkts);
            atomic_read_relaxed(&t->n_sleeps, &sleeps);
            atomic_read_relaxed(&t->n_busy_iterations, &busy);
            atomic_read_relaxed(&t->n_idle_iterations, &idle);
            atomic_read_relaxed(&t->ctx.n_emc_hit, &emc_hit);
            atomic_read_relaxed(&t->ctx.n_megaflow_hit, &megaflow_hit);
            atomic_read_relaxed(&t->ctx.n_miss, &miss);
            ds_put_format(&s, "  thread %u", i);
            if (t->cpu >= 0) {
                ds_put_format(&s, " (cpu %d)", t->cpu);
            }
            ds_put_format(&s, ": packets:%llu busy-iterations:%llu "
                          "idle-iterations:%llu sleeps:%llu",
                          pkts, busy, idle, sleeps);
            if (!dp->busy_poll) {
                atomic_read_relaxed(&t->spin_us, &spin_us);
                ds_put_format(&s, " spin:%uus", spin_us);
            }
            ds_put_char(&s, '\n');
            ds_put_format(&s, "    lookups: emc-hits:%llu megaflow-hits:%llu "
                          "misses:%llu%s\n", emc_hit, megaflow_hit, miss,
                          t->ctx.emc && linc_emc_bypassed(t->ctx.emc)
                          ? " (emc bypassed)" : "");
            for (size_t j = 0; j < t->n_polls; j++) {
                ds_put_format(&s, "    port %"PRIu32" (%s) rxq %d\n",
                              odp_to_u32(t->polls[j].port->port_no),
                              netdev_get_name(t->polls[j].port->netdev),
                              netdev_rxq_get_queue_id(t->polls[j].rxq));
            }
        }
        ovs_mutex_unlock(&dp->port_mutex);
    }
    ovs_mutex_unlock(&linc_dps_mutex);

    if (argc > 1 && !s.length) {
        unixctl_command_reply_error(conn, "no such linc datapath");
    } else {
        unixctl_command_reply(conn, ds_cstr(&s));
    }
    ds_destroy(&s);
}

const struct dpif_class dpif_linc_class = {
    .type = "linc",
    /* An exit without --cleanup leaves the ports alone, so that the vifs
     * stay Connected in xenstore and the next ovs-vswitchd-linc takes
     * their rings over (docs/xen-deployment.md, "Restarts"); only
     * `ovs-appctl exit --cleanup` and removing the bridge or the port
     * close them. */
    .cleanup_required = false,
    .init = dpif_linc_init,
    .enumerate = dpif_linc_enumerate,
    .port_open_type = dpif_linc_port_open_type,
    .open = dpif_linc_open,
    .close = dpif_linc_close,
    .destroy = dpif_linc_destroy,
    .run = dpif_linc_run,
    .wait = dpif_linc_wait,
    .get_stats = dpif_linc_get_stats,
    .port_add = dpif_linc_port_add,
    .port_del = dpif_linc_port_del,
    .port_query_by_number = dpif_linc_port_query_by_number,
    .port_query_by_name = dpif_linc_port_query_by_name,
    .port_dump_start = dpif_linc_port_dump_start,
    .port_dump_next = dpif_linc_port_dump_next,
    .port_dump_done = dpif_linc_port_dump_done,
    .port_poll = dpif_linc_port_poll,
    .port_poll_wait = dpif_linc_port_poll_wait,
    .flow_flush = dpif_linc_flow_flush,
    .flow_dump_create = dpif_linc_flow_dump_create,
    .flow_dump_destroy = dpif_linc_flow_dump_destroy,
    .flow_dump_thread_create = dpif_linc_flow_dump_thread_create,
    .flow_dump_thread_destroy = dpif_linc_flow_dump_thread_destroy,
    .flow_dump_next = dpif_linc_flow_dump_next,
    .operate = dpif_linc_operate,
    .set_config = dpif_linc_set_config,
    .register_upcall_cb = dpif_linc_register_upcall_cb,
    .enable_upcall = dpif_linc_enable_upcall,
    .disable_upcall = dpif_linc_disable_upcall,
    .get_datapath_version = dpif_linc_get_datapath_version,
};

/* At exit (ovs-appctl exit, SIGTERM, SIGINT; not kill -9, which needs
 * nothing of us either): the forwarding threads finish the burst in hand
 * and stop, so that every request they took from a guest's ring has its
 * response before the process goes, and nothing forwards while the
 * process comes apart.  The vifs are left Connected for the next
 * ovs-vswitchd-linc.  OVS runs fatal-signal hooks from poll_block(), so
 * this may run on a forwarding thread, which is then between bursts; and
 * a forwarding thread that goes to sleep meanwhile blocks in poll_block()
 * until the hook is done: so we wait only for threads in their bursts
 * (for a second at most), never for a thread to leave its loop. */
static void
linc_stop_at_exit(void *aux OVS_UNUSED)
{
    /* Bounded: a thread stuck inside a burst (a hypervisor call that does
     * not return) must not turn SIGTERM into a hang. */
    const long long int deadline = time_msec() + 1000;
    struct linc_thread *t;

    ovs_mutex_lock(&linc_running_mutex);
    LIST_FOR_EACH (t, running_node, &linc_running) {
        atomic_store_explicit(&t->exit_requested, true, memory_order_seq_cst);
        latch_set(&t->exit_latch);
    }
    LIST_FOR_EACH (t, running_node, &linc_running) {
        bool busy;

        if (pthread_equal(t->thread, pthread_self())) {
            continue;
        }
        for (;;) {
            atomic_read_explicit(&t->in_bursts, &busy, memory_order_seq_cst);
            if (!busy) {
                break;
            }
            if (time_msec() >= deadline) {
                VLOG_WARN("forwarding thread %u still in a burst at exit",
                          t->index);
                break;
            }
            sched_yield();
        }
    }
    ovs_mutex_unlock(&linc_running_mutex);
}

void
dpif_linc_register(void)
{
    static struct ovsthread_once once = OVSTHREAD_ONCE_INITIALIZER;

    if (ovsthread_once_start(&once)) {
        int error = dp_register_provider(&dpif_linc_class);

        if (error) {
            VLOG_ERR("cannot register the linc datapath (%s)",
                     ovs_strerror(error));
        }
        unixctl_command_register("linc/show", "[dp]", 0, 1,
                                 linc_unixctl_show, NULL);
        fatal_signal_add_hook(linc_stop_at_exit, NULL, NULL, true);
        ovsthread_once_done(&once);
    }
}
