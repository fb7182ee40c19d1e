/* Copyright (c) 2026 The openvswitch-linc authors.
 * Licensed under the Apache License, Version 2.0.
 *
 * linc-udpgen: a bounded UDP traffic source and sink for linc-bench.
 *
 *   linc-udpgen send DST_IP PORT FRAME_SIZE SECONDS
 *   linc-udpgen recv BIND_IP PORT SECONDS
 *
 * "send" transmits datagrams sized so that each Ethernet frame (without
 * FCS) is FRAME_SIZE bytes, in batches with sendmmsg(), for SECONDS, and
 * prints "sent=N seconds=T".  "recv" counts datagrams with recvmmsg()
 * until it has seen nothing for a second after traffic started, or after
 * SECONDS plus a margin, and prints the count and the interval between the
 * first and the last datagram.  Every loop is bounded in time. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define HEADERS (14 + 20 + 8)   /* Ethernet + IPv4 + UDP */

static double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
usage(void)
{
    fprintf(stderr, "usage: linc-udpgen send DST_IP PORT FRAME_SIZE SECONDS\n"
                    "       linc-udpgen recv BIND_IP PORT SECONDS\n");
    return 2;
}

static int
make_socket(const char *ip, int port, struct sockaddr_in *sin)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) {
        perror("socket");
        exit(1);
    }
    memset(sin, 0, sizeof *sin);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    if (inet_pton(AF_INET, ip, &sin->sin_addr) != 1) {
        fprintf(stderr, "linc-udpgen: bad address %s\n", ip);
        exit(2);
    }
    return fd;
}

static int
do_send(const char *ip, int port, int frame, double seconds)
{
    static char payload[9000];
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    struct sockaddr_in sin;
    int len = frame - HEADERS;
    int fd = make_socket(ip, port, &sin);
    int one = 1, buf = 4 << 20;

    if (len < 1 || len > (int) sizeof payload) {
        fprintf(stderr, "linc-udpgen: frame size must be %d..%d\n",
                HEADERS + 1, HEADERS + (int) sizeof payload);
        return 2;
    }
    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof buf);
    /* A zero UDP checksum is valid for IPv4 and keeps the kernel from
     * handing out CHECKSUM_PARTIAL packets that a userspace switch would
     * forward unfinished. */
    setsockopt(fd, SOL_SOCKET, SO_NO_CHECK, &one, sizeof one);
    if (connect(fd, (struct sockaddr *) &sin, sizeof sin)) {
        perror("connect");
        return 1;
    }
    memset(payload, 0x5a, sizeof payload);
    memset(msgs, 0, sizeof msgs);
    for (int i = 0; i < BATCH; i++) {
        iov[i].iov_base = payload;
        iov[i].iov_len = len;
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }

    uint64_t sent = 0, failed = 0;
    double start = now(), end = start + seconds, t;
    do {
        int n = sendmmsg(fd, msgs, BATCH, 0);
        if (n > 0) {
            sent += n;
        } else {
            failed++;           /* ENOBUFS, ECONNREFUSED: the loop is timed */
        }
    } while ((t = now()) < end);
    printf("sent=%llu failed_calls=%llu seconds=%.3f\n",
           (unsigned long long) sent, (unsigned long long) failed, t - start);
    return 0;
}

static int
do_recv(const char *ip, int port, double seconds)
{
    static char bufs[BATCH][2048];
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    struct sockaddr_in sin;
    int fd = make_socket(ip, port, &sin);
    int buf = 16 << 20;
    struct timeval tv = { 0, 100000 };

    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (bind(fd, (struct sockaddr *) &sin, sizeof sin)) {
        perror("bind");
        return 1;
    }
    memset(msgs, 0, sizeof msgs);
    for (int i = 0; i < BATCH; i++) {
        iov[i].iov_base = bufs[i];
        iov[i].iov_len = sizeof bufs[i];
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    printf("ready\n");
    fflush(stdout);

    uint64_t count = 0;
    double start = now(), deadline = start + seconds + 10, first = 0, last = 0;
    for (;;) {
        int n = recvmmsg(fd, msgs, BATCH, MSG_WAITFORONE, NULL);
        double t = now();
        if (n > 0) {
            if (!count) {
                first = t;
            }
            count += n;
            last = t;
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            perror("recvmmsg");
            return 1;
        }
        if (t >= deadline || (count && t - last > 1.0)) {
            break;
        }
    }
    printf("received=%llu seconds=%.3f\n", (unsigned long long) count,
           count ? last - first : 0.0);
    return 0;
}

int
main(int argc, char *argv[])
{
    if (argc == 6 && !strcmp(argv[1], "send")) {
        return do_send(argv[2], atoi(argv[3]), atoi(argv[4]), atof(argv[5]));
    } else if (argc == 5 && !strcmp(argv[1], "recv")) {
        return do_recv(argv[2], atoi(argv[3]), atof(argv[4]));
    }
    return usage();
}
