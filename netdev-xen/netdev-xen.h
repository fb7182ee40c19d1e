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

struct smap;
/* Applies the Open_vSwitch other_config keys of the xen class (see
 * netdev-xen.c); called by the linc datapath's set_config. */
void netdev_xen_set_config_global(const struct smap *other_config);

#endif /* netdev-xen.h */
