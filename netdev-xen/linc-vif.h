/*
 * Copyright (c) 2026 The openvswitch-linc authors.
 * Licensed under the Apache License, Version 2.0.
 *
 * One Xen vif served in userspace: the C interface the netdev class
 * (netdev-xen.c) uses.  Behind it (vif.cc, C++): the xenbus handshake, the
 * Xen platform (real or simxen), and one netif backend per queue.
 *
 * Threads.  linc_vif_create/destroy/run/xs_fd/get_status are for the main
 * thread.  The queue functions may be called from any thread; each queue
 * serialises its callers with a mutex held for one burst, so a forwarding
 * thread receiving from a queue and another sending to it never overlap,
 * and the main thread can tear a queue down between bursts.
 *
 * Errors are positive errno values.
 */

#ifndef LINC_VIF_H
#define LINC_VIF_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct linc_vif;

struct linc_vif_options {
    uint16_t domid;             /* Frontend domain. */
    unsigned int devid;         /* Device number within the domain. */
    bool sim;                   /* simxen instead of real Xen. */
    const char *simxen_dir;     /* simxen's socket directory, if 'sim'. */
    unsigned int max_queues;    /* multi-queue-max-queues to offer, 1..16. */
};

/* Packet flags, both directions (match netif_backend's packet_flags). */
#define LINC_VIF_CSUM_BLANK     (1u << 0)   /* L4 checksum still partial. */
#define LINC_VIF_DATA_VALIDATED (1u << 1)   /* Checksum already verified. */

/* GSO types (XEN_NETIF_GSO_TYPE_*). */
#define LINC_VIF_GSO_NONE  0
#define LINC_VIF_GSO_TCPV4 1
#define LINC_VIF_GSO_TCPV6 2

/* A frame still in a guest's granted pages: its TX slots, in order. */
#define LINC_VIF_MAX_FRAGS 18       /* XEN_NETIF_NR_SLOTS_MIN */
struct linc_vif_frag {
    uint32_t gref;
    uint16_t offset;
    uint16_t len;
};
struct linc_vif_frags {
    struct linc_vif_frag frags[LINC_VIF_MAX_FRAGS];
    uint16_t domid;
    uint16_t n;
};

/* One packet: for receive, 'data'/'capacity' (and, for a split receive,
 * 'frags') are the caller's and the rest is filled in; for send,
 * everything is input, and a nonnull 'frags' means "copy the frame from
 * those grants", guest to guest, instead of from 'data'. */
struct linc_vif_pkt {
    uint8_t *data;
    uint32_t len;
    uint32_t capacity;
    uint16_t flags;
    uint8_t gso_type;
    uint16_t gso_size;
    uint32_t copied;            /* Receive: bytes in 'data' (< len: split). */
    uint16_t token;             /* Receive: for linc_vif_fetch(). */
    struct linc_vif_frags *frags;
};

/* What waits for the guest's receive buffers, per queue (see
 * netif_rx_queue_limits): at most 'max_bytes' and 'max_packets'; a guest
 * that posts none for 'stall_timeout_ms' while packets wait is stalled
 * (they are dropped, and so is what comes until it posts one).  The
 * timeout applies at once, the bounds once the queue has emptied.
 * Defaults: LINC_VIF_RX_QUEUE_*. */
#define LINC_VIF_RX_QUEUE_BYTES (4u * 1024 * 1024)
#define LINC_VIF_RX_QUEUE_PACKETS 4096u
#define LINC_VIF_RX_STALL_TIMEOUT_MS 10000u
void linc_vif_set_rx_queue(struct linc_vif *, uint32_t max_bytes,
                           uint32_t max_packets, uint32_t stall_timeout_ms);

/* Creates the vif and starts the handshake (publishes features, goes
 * InitWait).  On error '*errp' (if nonnull) gets a malloc'd message.
 * ENOENT: no backend directory in xenstore; ENOSYS: real Xen support not
 * built; others from the platform or xenstore. */
int linc_vif_create(const struct linc_vif_options *, struct linc_vif **,
                    char **errp);
void linc_vif_destroy(struct linc_vif *);

/* Main thread: follows the frontend through xenstore (connect, close,
 * reconnect, death).  Returns true if the set of connected queues, the
 * xenbus state or the handshake's error changed (the port's status). */
bool linc_vif_run(struct linc_vif *);
/* Main thread: if the guest broke the protocol since the last call (the
 * vif was then disconnected and waits for the frontend to start over),
 * copies why into 'buf' and returns true. */
bool linc_vif_take_failure(struct linc_vif *, char *buf, size_t size);
/* Main thread: whether the vif connected, since the last call, by taking
 * over the live rings a previous backend left Connected (a restart of
 * ovs-vswitchd-linc, also after a crash) rather than by a handshake. */
bool linc_vif_take_reattached(struct linc_vif *);

/* Main thread: an fd that becomes readable when run() has work. */
int linc_vif_xs_fd(const struct linc_vif *);
/* Main thread: milliseconds until run() must be called again whatever the
 * fd says (a frontend waiting out its reconnection backoff), or -1. */
int linc_vif_run_in_ms(const struct linc_vif *);

/* Queues the frontend connected (0 while not connected). */
int linc_vif_n_queues(const struct linc_vif *);

/* Guest -> switch: fills up to 'max' packets of queue 'qid'.  Returns how
 * many (0 when disconnected, failed or idle).  Partial checksums are
 * completed (the packet is then LINC_VIF_DATA_VALIDATED); a packet whose
 * partial checksum cannot be completed is dropped and counted, as netback
 * drops it.  Entries of the array may be swapped, never replaced. */
int linc_vif_recv(struct linc_vif *, int qid, struct linc_vif_pkt *, int max);
/* A packet the guest sent with GSO ('gso_type' not LINC_VIF_GSO_NONE):
 * cuts it into complete, checksummed TCP segments of at most 'gso_size'
 * payload bytes, calling 'emit' for each (the data is valid only during the
 * call).  Returns how many, or 0 if it is not TCP it can segment or would
 * make too many segments (below). */
size_t linc_vif_segment(const struct linc_vif_pkt *,
                        void (*emit)(void *aux, const uint8_t *seg,
                                     size_t len),
                        void *aux, bool *too_many_segs);
/* Before GSO frame 'p' (received whole) goes to a guest as it is: checks
 * it as linc_vif_segment() would cut it, and writes the partial checksum
 * the receiver expects of a LINC_VIF_CSUM_BLANK frame (see gso.h), which
 * it then is.  False if it is not TCP matching its GSO type, or would
 * make too many segments ('*too_many_segs'): then it goes nowhere. */
bool linc_vif_gso_prepare(struct linc_vif_pkt *p, bool *too_many_segs);
/* Computes packet 'p''s TCP or UDP checksum from scratch (OVS's
 * checksum-offload flags say it is to be done, not what the field holds)
 * and marks it LINC_VIF_DATA_VALIDATED.  False if it is neither. */
bool linc_vif_fill_csum(struct linc_vif_pkt *p);
/* Whether the guest behind 'dst' takes GSO frames of 'gso_type' whole
 * (it negotiated feature-gso-tcpv4/-tcpv6 and partial checksums). */
bool linc_vif_takes_gso(const struct linc_vif *dst, uint8_t gso_type);
/* The most segments linc_vif_segment() makes of one frame.  A frame that
 * would need more (the guest chose an MSS far below any TCP path's) is
 * refused whole before any work, and '*too_many_segs' says so. */
#define LINC_VIF_GSO_MAX_SEGS 256

/* Guest -> switch without copying large frames: as linc_vif_recv(), but a
 * packet longer than 'copy_limit' bytes (GSO or not) has only its first
 * 'copy_limit' bytes copied into 'data' ('copied' < 'len') and its pieces
 * described in '*frags'; the checksum of such a packet is not completed.
 * The guest gets no answer for any packet of the burst until
 * linc_vif_finish(), so its pages stay valid for linc_vif_send() with
 * 'frags' and for linc_vif_fetch().  Only the thread that polls 'qid' may
 * call these three, in that order; another split receive before the
 * finish returns 0. */
int linc_vif_recv_split(struct linc_vif *, int qid, struct linc_vif_pkt *,
                        int max, uint32_t copy_limit);
/* Copies the rest of split packet 'p' into p->data (which has room for
 * p->len bytes), completes a partial checksum as linc_vif_recv() does
 * (not a GSO frame's: that is done per segment) and sets
 * p->copied = p->len.  False if the guest's grant failed (the packet
 * is then lost, answered with an error, and a bad grant fails the vif), or
 * if its partial checksum cannot be completed (lost, counted). */
bool linc_vif_fetch(struct linc_vif *, int qid, struct linc_vif_pkt *p);
/* Answers the guest for the split receive on 'qid'. */
void linc_vif_finish(struct linc_vif *, int qid);
/* Whether a frame in one of 'src''s guest's pages can be copied straight
 * into 'dst''s guest (same hypervisor) and 'dst' takes partial checksums. */
bool linc_vif_can_copy_between(const struct linc_vif *src,
                               const struct linc_vif *dst);
bool linc_vif_takes_partial_csum(const struct linc_vif *);

/* Switch -> guest: delivers up to 'n' packets to queue 'qid'; the rest are
 * dropped and counted.  Returns how many were delivered.  A packet with
 * 'frags' takes its first 'copied' bytes from 'data' (what was classified)
 * and only the rest from the source guest's pages.  With
 * 'foreign_failed' ('n' entries, each written: false unless flagged), a
 * packet with 'frags' whose guest-to-guest copy failed on the source's side
 * is flagged there instead (the caller asks the source with
 * linc_vif_fetch() whose fault it was). */
int linc_vif_send(struct linc_vif *, int qid, const struct linc_vif_pkt *,
                  int n);
int linc_vif_send_ex(struct linc_vif *, int qid, const struct linc_vif_pkt *,
                     int n, bool *foreign_failed);
/* Before a forwarding thread sleeps on queue 'qid': processes pending
 * events, re-arms notification, and returns the fd to wait on, or -1 if
 * there is work already (do not sleep) or the queue is down (then wait on
 * nothing: the main thread will reconfigure).  Events that announced no
 * work are unmasked late (XSA-332's late EOI): '*timeout_ms' is then how
 * long to sleep at most before calling again, otherwise -1. */
int linc_vif_prepare_wait(struct linc_vif *, int qid, bool *work,
                          int *timeout_ms);
/* The largest packet linc_vif_recv() can produce (to size buffers). */
uint32_t linc_vif_max_packet(const struct linc_vif *);

struct linc_vif_stats {
    uint64_t rx_packets, rx_bytes;      /* From the guest (its TX). */
    uint64_t tx_packets, tx_bytes;      /* To the guest (its RX). */
    uint64_t rx_errors, tx_errors;
    uint64_t tx_dropped;                /* No guest buffers, too big... */
    uint64_t rx_dropped;
    /* The receive queues: packets that waited for the guest's buffers,
     * those waiting now, and why some were dropped instead. */
    uint64_t tx_queued;
    uint64_t tx_queue_packets, tx_queue_bytes;  /* Now. */
    uint64_t tx_dropped_queue_full;
    uint64_t tx_dropped_stalled;
    uint64_t tx_stalls;                 /* Times a queue was flushed. */
};
void linc_vif_get_stats(const struct linc_vif *, struct linc_vif_stats *);

/* Status for the Interface table: calls 'add' for each key/value. */
void linc_vif_get_status(const struct linc_vif *,
                         void (*add)(void *aux, const char *key,
                                     const char *value),
                         void *aux);
/* The MAC the toolstack gave the guest (backend's "mac" key), if any. */
bool linc_vif_get_mac(const struct linc_vif *, uint8_t mac[6]);

/* Answers xl for new vifs whose hotplug script is vif-linc (see
 * vif_claimer in vif-xenbus.h): main thread only.  'sim' and 'simxen_dir'
 * as for a vif. */
struct linc_vif_claimer;
int linc_vif_claimer_create(bool sim, const char *simxen_dir,
                            struct linc_vif_claimer **, char **errp);
void linc_vif_claimer_destroy(struct linc_vif_claimer *);
/* Returns how many vifs it answered this time. */
int linc_vif_claimer_run(struct linc_vif_claimer *);
int linc_vif_claimer_fd(const struct linc_vif_claimer *);
/* Main thread: the vif-linc vifs whose backend state is Connected, up to
 * 'max' of them, as domid and devid pairs; returns how many (see
 * vif_claimer::connected_vifs()). */
size_t linc_vif_claimer_connected(struct linc_vif_claimer *, int *domids,
                                  int *devids, size_t max);

#ifdef __cplusplus
}
#endif

#endif /* linc-vif.h */
