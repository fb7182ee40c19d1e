/*
 * Copyright (c) 2026 The openvswitch-linc authors.
 * Licensed under the Apache License, Version 2.0.
 */

#include <config.h>

#include "tests/bench/bench-keys.h"

#include <string.h>

#include "flow.h"
#include "packets.h"

BUILD_ASSERT_DECL(sizeof(struct flow) % sizeof(uint64_t) == 0);

size_t
linc_bench_n_words(void)
{
    return FLOW_U64S;
}

void
linc_bench_udp_key_set_id(uint64_t *key, uint32_t id)
{
    struct flow *f = (struct flow *) key;

    f->nw_src = htonl(0x0a000000 | ((id >> 14) + 0x100));
    f->tp_src = htons(1024 + (id & 0x3fff));
}

void
linc_bench_udp_key(uint64_t *key, uint32_t id)
{
    struct flow *f = (struct flow *) key;

    memset(f, 0, sizeof *f);
    f->in_port.odp_port = u32_to_odp(1);
    f->dl_src = (struct eth_addr) ETH_ADDR_C(50, 54, 00, 00, 00, 01);
    f->dl_dst = (struct eth_addr) ETH_ADDR_C(50, 54, 00, 00, 00, 02);
    f->dl_type = htons(ETH_TYPE_IP);
    f->nw_dst = htonl(0x0a000002);
    f->nw_proto = IPPROTO_UDP;
    f->nw_ttl = 64;
    f->tp_dst = htons(5000);
    linc_bench_udp_key_set_id(key, id);
}

void
linc_bench_5tuple_mask(uint64_t *mask, unsigned int src_prefix)
{
    struct flow *m = (struct flow *) mask;

    memset(m, 0, sizeof *m);
    m->in_port.odp_port = u32_to_odp(UINT32_MAX);
    m->recirc_id = UINT32_MAX;
    m->packet_type = OVS_BE32_MAX;
    m->dl_type = OVS_BE16_MAX;
    m->nw_src = be32_prefix_mask(src_prefix);
    m->nw_dst = OVS_BE32_MAX;
    m->nw_proto = UINT8_MAX;
    m->nw_frag = FLOW_NW_FRAG_MASK;
    m->tp_src = OVS_BE16_MAX;
    m->tp_dst = OVS_BE16_MAX;
}
