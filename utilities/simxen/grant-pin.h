// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// Pinning a grant entry, as Xen's acquire_grant_for_copy() and
// release_grant_for_copy() do, shared by the two places that pin: a
// backend's grant copies (platform.cc, in the backend's process, for the
// few instructions of one copy) and grant mappings (the daemon, which
// holds a mapping's pins for the client connection that asked, and drops
// them when that connection closes, as Linux drops a dead process's
// gntdev mappings).
//
// The pins of an entry are counted in the domain's active grant table
// (protocol.h), under the entry's lock.  The first pin (or the first for
// writing) checks the guest's entry and sets GTF_reading (and GTF_writing)
// there with a compare-and-swap over the flags and domid together; the
// first pin also reads the frame, once, into the active entry, so a guest
// that rewrites its entry meanwhile changes nothing for the holders.  The
// last unpin of each kind clears the flag it set.

#ifndef SIMXEN_GRANT_PIN_H
#define SIMXEN_GRANT_PIN_H 1

#include <cstdint>

#include <xen/grant_table.h>

#include "netdev-xen/xen-platform.h"
#include "utilities/simxen/protocol.h"

namespace linc::xen::simxen {

// One domain's grant tables as a pinner has them mapped.
struct grant_tables {
    grant_entry_v1 *gnt;
    active_grant_entry *act;    // nullptr: no authority to pin.
    uint32_t grants;
    uint32_t pages;
};

// An active entry's spinlock holds its holder's process id ('token'), so
// that a holder that died inside its critical section (a backend killed,
// or crashed on another thread) can be told from one that is merely slow.
// Pinners sharing a domain's active grant table are assumed to share a
// pid namespace.  Contended: see grant-pin.cc.
void act_lock_slow(uint32_t *lock, uint32_t token);

inline void act_lock(active_grant_entry *a, uint32_t token)
{
    uint32_t free = 0;
    if (__builtin_expect(!__atomic_compare_exchange_n(&a->lock, &free, token,
                                                      false, __ATOMIC_ACQUIRE,
                                                      __ATOMIC_RELAXED),
                         0)) {
        act_lock_slow(&a->lock, token);
    }
}

inline void act_unlock(active_grant_entry *a)
{
    __atomic_store_n(&a->lock, 0u, __ATOMIC_RELEASE);
}

// Checks the guest's entry for grant 'ref' and sets GTF_reading (and
// GTF_writing) in it for 'grantee'; for the 'first' pin, also reads the
// frame into the active entry 'a'.  Called with a's lock held.
inline __attribute__((always_inline)) int16_t
grant_set_status(const grant_tables &t, grant_ref_t ref, domid_t grantee,
                 bool write, bool first, active_grant_entry *a)
{
    // flags (low half) and domid (high half) change together, so a guest
    // cannot retarget the grant between our check and our pin.
    auto *combo = reinterpret_cast<uint32_t *>(&t.gnt[ref]);
    uint32_t old = __atomic_load_n(combo, __ATOMIC_ACQUIRE);
    uint32_t want;
    for (int tries = 0;; tries++) {
        uint16_t flags = static_cast<uint16_t>(old);
        domid_t dom = static_cast<domid_t>(old >> 16);
        if ((flags & GTF_type_mask) != GTF_permit_access || dom != grantee) {
            return gntst_general_error;
        }
        if (write && (flags & GTF_readonly)) {
            return gntst_general_error;
        }
        want = old | GTF_reading | (write ? GTF_writing : 0);
        if (want == old ||
            __atomic_compare_exchange_n(combo, &old, want, false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            break;
        }
        if (tries == 4) {
            return gntst_general_error;     // Xen: "unstable" entry.
        }
    }
    if (first) {
        // The guest may rewrite the entry at any time: a frame checked and
        // then read again could be out of range.
        uint32_t f = __atomic_load_n(&t.gnt[ref].frame, __ATOMIC_RELAXED);
        if (f >= t.pages) {
            __atomic_fetch_and(&t.gnt[ref].flags,
                               static_cast<uint16_t>(~(want & ~old)),
                               __ATOMIC_RELEASE);
            return gntst_bad_page;
        }
        a->frame = f;
        a->domid = grantee;
    }
    return gntst_okay;
}

// Pins grant 'ref' of 't' for 'grantee', for reading (and writing, if
// 'write'), and gives its frame in '*frame'; grant_unpin() with the same
// 'write' undoes it.  A gntst_* status.
inline __attribute__((always_inline)) int16_t
grant_pin(const grant_tables &t, grant_ref_t ref, domid_t grantee, bool write,
          uint32_t token, uint32_t *frame)
{
    if (ref >= t.grants) {
        return gntst_bad_gntref;
    }
    if (!t.act) {
        return gntst_permission_denied;     // No backend authority.
    }
    active_grant_entry *a = &t.act[ref];
    act_lock(a, token);
    uint32_t pins = a->pins, writers = a->writers;
    int16_t st = gntst_okay;
    if (pins && (a->domid != grantee || pins == UINT32_MAX)) {
        st = gntst_general_error;       // Another grantee's, or overflow.
    } else if (!pins || (write && !writers)) {
        st = grant_set_status(t, ref, grantee, write, !pins, a);
    }
    if (st == gntst_okay) {
        a->pins = pins + 1;
        a->writers = writers + write;
        *frame = a->frame;
    }
    act_unlock(a);
    return st;
}

// Drops one pin of grant 'ref' of 't' (one taken by grant_pin() with the
// same 'write'), clearing GTF_writing and GTF_reading in the guest's entry
// if it was the last of its kind.  The flags change under the lock, so
// that nobody pins the entry between our count and our clearing.
inline __attribute__((always_inline)) void
grant_unpin(const grant_tables &t, grant_ref_t ref, bool write, uint32_t token)
{
    active_grant_entry *a = &t.act[ref];
    act_lock(a, token);
    uint32_t pins = a->pins, writers = a->writers;
    if (pins) {
        uint16_t clear = 0;
        if (write && writers && --writers == 0) {
            clear |= GTF_writing;
        }
        if (--pins == 0) {
            clear |= GTF_reading;
        }
        a->pins = pins;
        a->writers = writers;
        if (clear) {
            __atomic_fetch_and(&t.gnt[ref].flags,
                               static_cast<uint16_t>(~clear),
                               __ATOMIC_RELEASE);
        }
    }
    act_unlock(a);
}

}  // namespace linc::xen::simxen

#endif
