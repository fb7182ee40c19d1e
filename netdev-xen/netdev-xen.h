/*
 * Copyright (c) 2026 The openvswitch-linc authors.
 * Licensed under the Apache License, Version 2.0.
 */

#ifndef NETDEV_XEN_H
#define NETDEV_XEN_H 1

/* The "xen" netdev class: a Xen guest's vif served by our userspace netif
 * backend.  See netdev-xen.c for the options. */
extern const struct netdev_class netdev_xen_class;

void netdev_xen_register(void);

#endif /* netdev-xen.h */
