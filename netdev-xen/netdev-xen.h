/*
 * Copyright (c) 2026 The openvswitch-linc authors.
 * Licensed under the Apache License, Version 2.0.
 */

#ifndef NETDEV_XEN_H
#define NETDEV_XEN_H 1

#include <stdbool.h>

/* The "xen" netdev class: a Xen guest's vif served by our userspace netif
 * backend.  See netdev-xen.c for the options. */
extern const struct netdev_class netdev_xen_class;

void netdev_xen_register(void);

struct smap;
/* Applies the Open_vSwitch other_config keys of the xen class (see
 * netdev-xen.c); called by the linc datapath's set_config. */
void netdev_xen_set_config_global(const struct smap *other_config);

/* The linc datapath's borrowed bursts (see netdev-xen.c).  All of these
 * are for the one thread that polls 'rxq', in this order per burst:
 *
 *   netdev_xen_rxq_recv_borrowed()  packets in 'borrowed' stay the rxq's
 *                                   (never delete them), in the guest's
 *                                   order.
 *   netdev_xen_rxq_settle()         after flow_extract() of a borrowed
 *                                   packet: 0 if the key is good, EAGAIN
 *                                   if the packet had to be fetched whole
 *                                   (extract again), another errno if it
 *                                   could not be (skip it: it is lost).
 *   netdev_xen_rxq_own()            an owned copy of a borrowed packet
 *                                   that is not GSO, for any path but
 *                                   the one below, or NULL if it could
 *                                   not be fetched.
 *   netdev_xen_rxq_segment()        for a borrowed GSO frame
 *                                   (netdev_xen_rxq_is_gso()) instead:
 *                                   cuts it into owned TCP segments and
 *                                   calls 'fn' with each batch of them,
 *                                   in order ('fn' takes the packets).
 *                                   False if it could not be cut.
 *   netdev_xen_send_borrowed()      sends borrowed packets to another xen
 *                                   port (queue 'qid', shared by callers
 *                                   as netdev_send()'s queues are): guest
 *                                   to guest when both are on one
 *                                   hypervisor, a GSO frame whole to a
 *                                   guest that takes GSO, cut for one
 *                                   that does not.  Does not take them.
 *   netdev_xen_rxq_finish()         answers the guest; the borrowed
 *                                   packets are invalid from then on. */
struct dp_packet;
struct dp_packet_batch;
struct flow;
struct netdev;
struct netdev_rxq;

bool netdev_xen_is_xen(const struct netdev *);
int netdev_xen_rxq_recv_borrowed(struct netdev_rxq *,
                                 struct dp_packet_batch *borrowed);
int netdev_xen_rxq_settle(struct netdev_rxq *, struct dp_packet *,
                          const struct flow *);
struct dp_packet *netdev_xen_rxq_own(struct netdev_rxq *, struct dp_packet *);
bool netdev_xen_rxq_is_gso(struct netdev_rxq *, const struct dp_packet *);
bool netdev_xen_rxq_segment(struct netdev_rxq *, struct dp_packet *,
                            void (*fn)(void *aux, struct dp_packet_batch *),
                            void *aux);
void netdev_xen_send_borrowed(struct netdev *, int qid,
                              struct netdev_rxq *src,
                              struct dp_packet **, int n);
void netdev_xen_rxq_finish(struct netdev_rxq *);

#endif /* netdev-xen.h */
