/*
 * Copyright (c) 2026 The openvswitch-linc authors.
 * Licensed under the Apache License, Version 2.0.
 */

#ifndef DPIF_LINC_H
#define DPIF_LINC_H 1

/* The "linc" datapath: a userspace datapath with its own flow table, ports
 * and forwarding threads (see docs/design.md).  ofproto-dpif drives it like
 * OVS's userspace datapath: misses and userspace() actions reach ofproto
 * through the upcall callback, and the flow table is programmed with
 * megaflows keyed by UFID.
 *
 * Configuration (Open_vSwitch other_config, read by set_config):
 *
 *   linc-n-threads      forwarding threads, 1..64 (default: half the
 *                       online CPUs, at least 1)
 *   linc-poll-mode      "adaptive" (default): busy-poll while traffic flows,
 *                       sleep on the ports' wait handles when idle;
 *                       "busy": never sleep
 *   linc-idle-spin-us   adaptive mode: how long a thread keeps polling after
 *                       the last packet before it sleeps (default 200)
 *   linc-cpu-affinity   comma-separated CPU list to pin forwarding thread
 *                       i to the i-th CPU (default: unpinned)
 */

extern const struct dpif_class dpif_linc_class;

void dpif_linc_register(void);

#endif /* dpif-linc.h */
