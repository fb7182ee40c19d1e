/* Copyright (c) 2026 The openvswitch-linc authors.
 * Licensed under the Apache License, Version 2.0.
 *
 * linc-ringbench: the machine's shared-memory ceiling for linc-bench.
 *
 *   linc-ringbench FRAME_SIZE SECONDS
 *
 * Forks a producer and a consumer, pinned to CPUs 0 and 1 when there are
 * two, that pass FRAME_SIZE-byte frames through a single-producer
 * single-consumer ring of 256 slots in shared memory: the producer copies
 * each frame into a slot, the consumer copies it out.  Both busy-poll; no
 * notifications, no switching.  After SECONDS the consumer prints
 * "received=N seconds=T".  This is what two cores can move through shared
 * memory with one copy per side, an upper bound for any ring-based path. */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SLOTS 256
#define SLOT_SIZE 2048
#define BATCH 32

struct ring {
    _Alignas(64) _Atomic uint64_t prod;
    _Alignas(64) _Atomic uint64_t cons;
    _Alignas(64) _Atomic int stop;
    _Alignas(64) uint32_t len[SLOTS];
    _Alignas(64) unsigned char data[SLOTS][SLOT_SIZE];
};

static double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
pin(int cpu)
{
    cpu_set_t set;
    if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
        return;
    }
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof set, &set);
}

static void
producer(struct ring *r, int size)
{
    unsigned char frame[SLOT_SIZE];
    uint64_t prod = 0;

    memset(frame, 0x5a, sizeof frame);
    pin(0);
    while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
        uint64_t cons = atomic_load_explicit(&r->cons, memory_order_acquire);
        uint64_t n = SLOTS - (prod - cons);
        if (n > BATCH) {
            n = BATCH;
        }
        for (uint64_t i = 0; i < n; i++) {
            unsigned int slot = (prod + i) % SLOTS;
            frame[0] = (unsigned char) (prod + i);
            memcpy(r->data[slot], frame, size);
            r->len[slot] = size;
        }
        prod += n;
        atomic_store_explicit(&r->prod, prod, memory_order_release);
    }
    _exit(0);
}

int
main(int argc, char *argv[])
{
    unsigned char frame[SLOT_SIZE];
    uint64_t cons = 0, bytes = 0, check = 0;

    if (argc != 3) {
        fprintf(stderr, "usage: linc-ringbench FRAME_SIZE SECONDS\n");
        return 2;
    }
    int size = atoi(argv[1]);
    double seconds = atof(argv[2]);
    if (size < 1 || size > SLOT_SIZE || seconds <= 0 || seconds > 600) {
        fprintf(stderr, "linc-ringbench: FRAME_SIZE 1..%d, SECONDS 0..600\n",
                SLOT_SIZE);
        return 2;
    }
    struct ring *r = mmap(NULL, sizeof *r, PROT_READ | PROT_WRITE,
                          MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (r == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    } else if (pid == 0) {
        producer(r, size);
    }

    pin(1);
    double start = now(), end = start + seconds, t = start;
    for (unsigned int spins = 0; ; spins++) {
        uint64_t prod = atomic_load_explicit(&r->prod, memory_order_acquire);
        for (; cons != prod; cons++) {
            unsigned int slot = cons % SLOTS;
            uint32_t len = r->len[slot];
            memcpy(frame, r->data[slot], len);
            /* Read the copy, so that it cannot be optimised away. */
            bytes += len;
            check += frame[0] ^ frame[len - 1];
        }
        atomic_store_explicit(&r->cons, cons, memory_order_release);
        if (!(spins % 64) && (t = now()) >= end) {
            break;
        }
    }
    atomic_store(&r->stop, 1);
    waitpid(pid, NULL, 0);
    printf("received=%llu seconds=%.3f bytes=%llu check=%llu\n",
           (unsigned long long) cons, t - start, (unsigned long long) bytes,
           (unsigned long long) check);
    return 0;
}
