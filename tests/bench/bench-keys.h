/*
 * Copyright (c) 2026 The openvswitch-linc authors.
 * Licensed under the Apache License, Version 2.0.
 *
 * Flow keys and masks for linc-engine-bench, laid out as OVS's struct flow
 * (built in C against OVS's headers, since those do not compile as C++).
 */

#ifndef LINC_BENCH_KEYS_H
#define LINC_BENCH_KEYS_H 1

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Words in a key: sizeof(struct flow) / 8, as the glue passes them. */
size_t linc_bench_n_words(void);

/* Writes the key flow_extract() gives a UDP/IPv4 packet from port 1,
 * 50:54:00:00:00:01 > 50:54:00:00:00:02, 10.x.y.z > 10.0.0.2, ttl 64,
 * port 1024+ > 5000, where source address and port encode 'id'
 * (0 <= id < 2^26).  'key' holds linc_bench_n_words() words. */
void linc_bench_udp_key(uint64_t *key, uint32_t id);

/* Changes only the words of a linc_bench_udp_key() key that depend on
 * 'id': what differs from one packet of a burst to the next. */
void linc_bench_udp_key_set_id(uint64_t *key, uint32_t id);

/* The mask ofproto installs for an exact 5-tuple OpenFlow rule: in_port,
 * packet_type, dl_type, nw_src, nw_dst, nw_proto, nw_frag, tp_src, tp_dst,
 * plus recirc_id, which the glue always matches.  With 'src_prefix' < 32
 * nw_src is matched on that prefix instead, giving a distinct mask. */
void linc_bench_5tuple_mask(uint64_t *mask, unsigned int src_prefix);

#ifdef __cplusplus
}
#endif

#endif /* bench-keys.h */
