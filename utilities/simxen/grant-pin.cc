// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.

#include "utilities/simxen/grant-pin.h"

#include <sched.h>
#include <signal.h>

#include <cerrno>

namespace linc::xen::simxen {

namespace {

inline void cpu_relax()
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

}  // namespace

// The holder (another backend thread or process, or the daemon) keeps the
// lock for a few loads and stores, but may have been preempted meanwhile,
// so after a while we yield the CPU to it, and now and then check that it
// still exists.  If it does not, we take the lock over: the entry's counts
// may then be off by the dead holder's own pin, which it could never have
// dropped anyway (as for a backend that dies mid-copy), and flags it set
// without counting are cleared by the next holder to let go.
__attribute__((noinline)) void act_lock_slow(uint32_t *lock, uint32_t token)
{
    for (unsigned spins = 0;;) {
        uint32_t holder = __atomic_load_n(lock, __ATOMIC_RELAXED);
        if (!holder) {
            if (__atomic_compare_exchange_n(lock, &holder, token, false,
                                            __ATOMIC_ACQUIRE,
                                            __ATOMIC_RELAXED)) {
                return;
            }
            continue;
        }
        if (spins < 1000) {
            spins++;
            cpu_relax();
            continue;
        }
        sched_yield();
        if (++spins % 1024 == 0 && holder != token &&
            kill(static_cast<pid_t>(holder), 0) < 0 && errno == ESRCH &&
            __atomic_compare_exchange_n(lock, &holder, token, false,
                                        __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
            return;
        }
    }
}

}  // namespace linc::xen::simxen
