/*
 * Copyright (c) 2026 The openvswitch-linc authors.
 * Licensed under the Apache License, Version 2.0.
 *
 * The linc engine's C interface.
 *
 * The engine is C++17; the OVS-facing glue (dpif-linc.c) is C because OVS's
 * internal headers do not compile as C++.  This header is the whole boundary:
 * plain C types only, no OVS types.  A flow key is an array of 'n_words'
 * 64-bit words (the glue passes 'struct flow' viewed as FLOW_U64S words); the
 * engine never interprets the words, it only masks, hashes and compares them.
 *
 * Memory lifetime.  Objects that readers may still be using when a writer
 * removes them (flows, action lists) are not freed at once: the engine hands
 * them to the 'defer_free' callback given at creation, which the glue maps to
 * ovsrcu_postpone().  A pointer returned by a lookup, get or dump therefore
 * stays valid until the calling thread next quiesces.  Unit tests pass a
 * callback that frees immediately and use one thread.
 *
 * Errors are positive errno values, as in OVS.
 */

#ifndef LINC_ENGINE_H
#define LINC_ENGINE_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void linc_defer_free_fn(void (*free_fn)(void *), void *ptr);

/* 128-bit unique flow identifier, as ofproto-dpif assigns them. */
struct linc_ufid {
    uint64_t lo, hi;
};

struct linc_flow_stats {
    uint64_t n_packets;
    uint64_t n_bytes;
    long long int used;         /* OVS time_msec() of the last hit, 0 never. */
    uint16_t tcp_flags;         /* OR of the TCP flags seen. */
};

/* An immutable, reference-free action list (netlink attributes).  A flow's
 * action list is replaced as a whole on modify; the old one is deferred. */
struct linc_actions {
    size_t len;                 /* Bytes of netlink attributes in 'data'. */
    uint64_t data[];            /* 8-byte aligned, as nlattr parsing wants. */
};

/* ------------------------------------------------------------------------ */
/* Flow table: megaflows (key under mask) indexed by UFID.                   */
/* ------------------------------------------------------------------------ */

struct linc_flow_table;
struct linc_flow;

/* Upper bound on flows in one table; a put beyond it fails with EFBIG. */
#define LINC_FLOW_TABLE_MAX_FLOWS (1u << 20)

/* Flags for linc_flow_table_put(), with the meaning of DPIF_FP_*. */
enum linc_put_flags {
    LINC_PUT_CREATE = 1 << 0,     /* Allow creating a new flow. */
    LINC_PUT_MODIFY = 1 << 1,     /* Allow replacing an existing flow's actions. */
    LINC_PUT_ZERO_STATS = 1 << 2, /* On modify, zero the flow's statistics. */
};

struct linc_flow_table *linc_flow_table_create(size_t n_words,
                                               linc_defer_free_fn *);
void linc_flow_table_destroy(struct linc_flow_table *);

/* Inserts or modifies the flow 'ufid' with 'key' under 'mask' (both
 * 'n_words' long; 'key' need not be masked).  A modify replaces only the
 * actions (and maybe zeroes the statistics): the UFID names the flow and its
 * match never changes.  'old_stats', if nonnull, receives the statistics the
 * flow had before a modify (zero for a create).
 *
 * Errors: EEXIST if the flow exists and LINC_PUT_MODIFY is not set, or if a
 * create's match is already installed under another UFID; ENOENT if it does
 * not exist and LINC_PUT_CREATE is not set; EFBIG if the table is full;
 * ENOMEM. */
int linc_flow_table_put(struct linc_flow_table *, const struct linc_ufid *,
                        const uint64_t *key, const uint64_t *mask,
                        const void *actions, size_t actions_len,
                        unsigned int flags, struct linc_flow_stats *old_stats);

/* Inserts 'ufid' only if neither the UFID nor an identical key/mask is
 * present: the datapath's own install after an upcall, where two threads may
 * miss on the same packet.  Returns 0 or EEXIST (or EFBIG/ENOMEM). */
int linc_flow_table_insert_if_absent(struct linc_flow_table *,
                                     const struct linc_ufid *,
                                     const uint64_t *key, const uint64_t *mask,
                                     const void *actions, size_t actions_len);

/* Removes 'ufid'.  ENOENT if there is no such flow. */
int linc_flow_table_del(struct linc_flow_table *, const struct linc_ufid *,
                        struct linc_flow_stats *stats);

void linc_flow_table_flush(struct linc_flow_table *);

/* Copies out the flow 'ufid': its masked key and mask ('n_words' each),
 * its action list (valid until the caller quiesces) and statistics.
 * ENOENT if there is no such flow. */
int linc_flow_table_get(struct linc_flow_table *, const struct linc_ufid *,
                        uint64_t *key, uint64_t *mask,
                        const struct linc_actions **actions,
                        struct linc_flow_stats *stats);

size_t linc_flow_table_count(const struct linc_flow_table *);
size_t linc_flow_table_n_masks(const struct linc_flow_table *);

/* Looks up 'n' keys under one read-side critical section; out[i] is the
 * matching flow or NULL.  Returns the number of hits; adds to '*n_probes'
 * (if nonnull) the number of subtables probed for the hits, OVS's
 * "masks hit" statistic.  Never blocks on writers for longer than one
 * writer's critical section. */
size_t linc_flow_table_lookup_batch(struct linc_flow_table *,
                                    const uint64_t *const keys[], size_t n,
                                    struct linc_flow *out[],
                                    size_t *n_probes);

/* Reorders subtables by recent hit counts so the hottest mask is probed
 * first.  Cheap; the glue calls it from its periodic run(). */
void linc_flow_table_optimize(struct linc_flow_table *);

const struct linc_actions *linc_flow_actions(const struct linc_flow *);
void linc_flow_ufid(const struct linc_flow *, struct linc_ufid *);

/* Adds 'n_packets' hits to the flow's statistics.  Thread-safe (relaxed
 * atomics): several forwarding threads may account to one flow. */
void linc_flow_account(struct linc_flow *, uint32_t n_packets,
                       uint64_t n_bytes, long long int now,
                       uint16_t tcp_flags);

/* ------------------------------------------------------------------------ */
/* Exact-match cache (EMC): one per forwarding thread, in front of a table. */
/* ------------------------------------------------------------------------ */

/* Maps a packet's key to the megaflow it matched, for keys seen before.
 * Entries name a flow by its table slot and that slot's generation, so a
 * flow deleted (or flushed) since is never returned, even after its memory
 * was freed; an action change (modify) is seen through the flow itself.
 * Not thread-safe: each thread owns its cache.  It must be destroyed before
 * its table. */
struct linc_emc;

#define LINC_EMC_DEFAULT_ENTRIES 8192
#define LINC_EMC_DEFAULT_INSERT_INV_PROB 100

/* Lookup outcomes, added to by linc_emc_lookup_batch(). */
struct linc_lookup_stats {
    uint64_t emc_hits;          /* Found in the exact-match cache. */
    uint64_t megaflow_hits;     /* Found in the megaflow table. */
    uint64_t misses;            /* Found in neither. */
    uint64_t n_probes;          /* Subtables probed for megaflow hits. */
};

/* Creates a cache of 'n_entries' (rounded up to a power of two) in front of
 * 't'.  'insert_inv_prob' is as OVS's emc-insert-inv-prob: a megaflow hit
 * enters the cache with probability 1/insert_inv_prob; 0 disables the cache
 * (lookups go straight to the table).  NULL if out of memory. */
struct linc_emc *linc_emc_create(struct linc_flow_table *t, size_t n_entries,
                                 unsigned int insert_inv_prob);
void linc_emc_destroy(struct linc_emc *);
void linc_emc_set_insert_inv_prob(struct linc_emc *,
                                  unsigned int insert_inv_prob);
/* Empties the cache. */
void linc_emc_clear(struct linc_emc *);
/* Entries whose flow is still in the table. */
size_t linc_emc_count(const struct linc_emc *);
/* True while the cache's recent hit rate is too low for it to pay: then
 * only one burst in 16 looks it up, the others go straight to the table.
 * The one function here another thread may call on a cache, for display. */
bool linc_emc_bypassed(const struct linc_emc *);

/* Looks up 'n' keys: first all in the cache, then the misses in the table
 * (one read-side critical section), inserting some of the table's hits into
 * the cache.  out[i] is the matching flow or NULL; returns the number of
 * hits.  'hashes', if nonnull, gives a hash of each packet to use instead of
 * hashing its key (e.g. the NIC's RSS hash): any value is correct, only the
 * spread matters.  Pointers returned are valid until the caller quiesces. */
size_t linc_emc_lookup_batch(struct linc_emc *, const uint64_t *const keys[],
                             const uint32_t *hashes, size_t n,
                             struct linc_flow *out[],
                             struct linc_lookup_stats *);

/* Flow dump.  Several threads may call _next on one dump concurrently; each
 * flow present for the whole dump is returned exactly once.  The dump walks
 * a snapshot of UFIDs taken at start, so flows deleted meanwhile are
 * skipped and flows added meanwhile may be missed. */
struct linc_flow_dump;
struct linc_flow_dump *linc_flow_dump_start(struct linc_flow_table *);
/* Returns 0 and fills the outputs, or EOF when the dump is exhausted. */
int linc_flow_dump_next(struct linc_flow_dump *, struct linc_ufid *,
                        uint64_t *key, uint64_t *mask,
                        const struct linc_actions **actions,
                        struct linc_flow_stats *stats);
void linc_flow_dump_done(struct linc_flow_dump *);

/* ------------------------------------------------------------------------ */
/* Port numbering.                                                           */
/* ------------------------------------------------------------------------ */

#define LINC_PORT_NONE UINT32_MAX
#define LINC_PORT_MAX 65535u

struct linc_port_map;

struct linc_port_map *linc_port_map_create(void);
void linc_port_map_destroy(struct linc_port_map *);

/* Chooses a number for a new port called 'name'.  'requested', unless
 * LINC_PORT_NONE, is honoured or refused (EBUSY if taken, EINVAL if out of
 * range).  With 'from_name' (test ports), the first number embedded in the
 * name is used when free, offset by 100 for names starting with "br", as
 * OVS's userspace datapath does for its dummy class.  Otherwise the lowest
 * free number from 1.  EEXIST if the name is in use, EFBIG if full. */
int linc_port_map_choose(const struct linc_port_map *, const char *name,
                         uint32_t requested, bool from_name, uint32_t *port);
/* Records 'port' as 'name' with the caller's 'data'.  EBUSY/EEXIST. */
int linc_port_map_add(struct linc_port_map *, uint32_t port, const char *name,
                      void *data);
/* Forgets 'port' and returns its data, or NULL if unknown. */
void *linc_port_map_remove(struct linc_port_map *, uint32_t port);
void *linc_port_map_find(const struct linc_port_map *, uint32_t port);
void *linc_port_map_find_by_name(const struct linc_port_map *,
                                 const char *name, uint32_t *port);
size_t linc_port_map_count(const struct linc_port_map *);
/* Ports in ascending number: fills up to 'max' numbers after 'after'
 * (LINC_PORT_NONE to start) and returns how many. */
size_t linc_port_map_list(const struct linc_port_map *, uint32_t after,
                          uint32_t *ports, size_t max);

/* ------------------------------------------------------------------------ */
/* Receive-queue scheduling.                                                 */
/* ------------------------------------------------------------------------ */

/* Assigns 'n' receive queues to 'n_threads' forwarding threads so each
 * thread has as even a share of the queues' weights as greedy placement
 * gives (heaviest first onto the least loaded thread; ties keep input order
 * and the lowest thread).  weights[i] is any load estimate, 0 allowed;
 * thread_of[i] receives the thread index. */
void linc_sched_assign(const uint64_t *weights, size_t n, unsigned n_threads,
                       unsigned *thread_of);

/* Adaptive polling spins on empty rings for a window, then sleeps on the
 * event channels.  Given the window 'spin_us' a thread slept after, the
 * configured base window 'base_us' and 'n_woken', the packets its first
 * busy poll after waking found, returns the next window:
 *
 *   - at least 'full_burst' packets: the thread slept through traffic that
 *     had only paused (typically: on a busy host the sender lost its CPU
 *     for a while), and the wake-up, which waits for the scheduler, let
 *     the rings fill.  The window doubles, up to 'max_factor' * 'base_us'.
 *   - fewer: the traffic was light and sleeping was right; the window
 *     halves, never below 'base_us'.
 *
 * So an idle thread spins at most the widest window once before it
 * sleeps; a thread whose wakes keep finding full rings ends up spinning
 * 'max_factor' * 'base_us'.  Pure function. */
unsigned int linc_adaptive_spin_next(unsigned int spin_us,
                                     unsigned int base_us, int n_woken,
                                     int full_burst, unsigned int max_factor);

/* ------------------------------------------------------------------------ */
/* Action fast path.                                                         */
/* ------------------------------------------------------------------------ */

/* Netlink action types the engine recognises itself; values are the
 * kernel's ABI (linux/openvswitch.h), checked at build time by the glue. */
#define LINC_ODP_ACTION_OUTPUT 1

enum linc_action_kind {
    LINC_ACTIONS_DROP,      /* Empty list: the packet is dropped. */
    LINC_ACTIONS_OUTPUT,    /* Exactly one plain output to 'port'. */
    LINC_ACTIONS_GENERAL,   /* Anything else: OVS's action executor. */
};

/* Classifies a netlink action list for the forwarding fast path. A malformed
 * list is LINC_ACTIONS_GENERAL, so the full executor sees (and rejects) it. */
enum linc_action_kind linc_actions_classify(const void *actions, size_t len,
                                            uint32_t *port);

#ifdef __cplusplus
}
#endif

#endif /* linc-engine.h */
