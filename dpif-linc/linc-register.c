/*
 * Copyright (c) 2026 The openvswitch-linc authors.
 * Licensed under the Apache License, Version 2.0.
 *
 * Start-up hooks of ovs-vswitchd-linc.  The binary is OVS's own vswitchd
 * objects linked with our providers, so nothing in OVS's main() calls us:
 * the providers register from a constructor, before main() runs.  That is
 * early, but dp_register_provider() and netdev_register_provider() only
 * touch their own registries (initialised on first use) and start no
 * threads, so daemonising with --detach afterwards is safe.
 */

#include <config.h>

#include <stdio.h>

#include "dpif-linc/dpif-linc.h"
#include "netdev-xen/netdev-xen.h"
#include "util.h"

static void linc_register(void) __attribute__((constructor));

static void
linc_register(void)
{
    netdev_xen_register();
    dpif_linc_register();
}

/* ovs-vswitchd --version: OVS's line, then ours.  Linked with
 * -Wl,--wrap=ovs_print_version, so ovs-vswitchd.o's call lands here. */
void __real_ovs_print_version(uint8_t min_ofp, uint8_t max_ofp);
void __wrap_ovs_print_version(uint8_t min_ofp, uint8_t max_ofp);

void
__wrap_ovs_print_version(uint8_t min_ofp, uint8_t max_ofp)
{
    __real_ovs_print_version(min_ofp, max_ofp);
    printf("openvswitch-linc %s (datapath type \"linc\")\n", LINC_VERSION);
}
