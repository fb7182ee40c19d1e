#! /usr/bin/env python3
# Copyright (c) 2026 The openvswitch-linc authors.
# Licensed under the Apache License, Version 2.0.
"""make-seeds.py: writes the fuzzers' seed corpora, tests/fuzz/corpus/NAME/.

    tests/fuzz/make-seeds.py [CORPUS-DIR]

Deterministic: running it again rewrites the same files.  The input formats
are described at the top of each tests/fuzz/fuzz-NAME.cc; grant references
are fuzz-guest.h's (TX buffers 10.., RX buffers 266.., 522 foreign,
523 paged out, 524 read-only, 525 revoked).
"""

import os
import struct
import sys

PAGE = 4096
TX_BUF = 10             # gref of TX buffer 0 (guest page 2)
RX_BUF = 266            # gref of RX buffer 0
FOREIGN, PAGED_OUT, READONLY, REVOKED = 522, 523, 524, 525

NETTXF_CSUM_BLANK, NETTXF_DATA_VALIDATED = 1, 2
NETTXF_MORE_DATA, NETTXF_EXTRA_INFO = 4, 8
EXTRA_GSO, EXTRA_MCAST_ADD, EXTRA_HASH = 1, 2, 4
EXTRA_FLAG_MORE = 1
GSO_TCPV4, GSO_TCPV6 = 1, 2
PKT_CSUM_BLANK, PKT_DATA_VALIDATED = 1, 2


# ---- frames ----------------------------------------------------------------

def csum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s


def eth(ethertype, vlan=None):
    h = bytes.fromhex('00163e000002') + bytes.fromhex('00163e000001')
    if vlan is not None:
        h += struct.pack('!HH', 0x8100, vlan)
    return h + struct.pack('!H', ethertype)


def tcp_header(seq=1000, flags=0x18, partial=None):
    # 20 bytes plus a 12-byte timestamp option (data offset 8 words).
    opts = bytes([1, 1, 8, 10]) + struct.pack('!II', 12345, 678)
    return (struct.pack('!HHIIBBHHH', 40000, 5201, seq, 1, 8 << 4, flags,
                        502, partial or 0, 0) + opts)


def ipv4(proto, l4, csum_blank=False):
    src, dst = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
    hdr = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(l4), 0x1234, 0x4000,
                      64, proto, 0, src, dst)
    hdr = hdr[:10] + struct.pack('!H', 0xffff - csum(hdr)) + hdr[12:]
    if csum_blank:
        # The pseudo-header sum in the checksum field, as Linux leaves it.
        pseudo = csum(src + dst + struct.pack('!HH', proto, len(l4)))
        off = 16 if proto == 6 else 6
        l4 = l4[:off] + struct.pack('!H', pseudo) + l4[off + 2:]
    return hdr + l4


def ipv6(proto, l4):
    src = bytes.fromhex('fd000000000000000000000000000001')
    dst = bytes.fromhex('fd000000000000000000000000000002')
    return struct.pack('!IHBB', 0x60000000, len(l4), proto, 64) + src + dst + l4


def payload(n, seed=0):
    return bytes((i * 7 + seed) & 0xff for i in range(n))


def tcp4_frame(n, csum_blank=True, vlan=None):
    return eth(0x0800, vlan) + ipv4(6, tcp_header() + payload(n), csum_blank)


def tcp6_frame(n, vlan=None):
    return eth(0x86dd, vlan) + ipv6(6, tcp_header() + payload(n))


def udp4_frame(n, csum_blank=True):
    udp = struct.pack('!HHHH', 5000, 5001, 8 + n, 0) + payload(n, 3)
    return eth(0x0800) + ipv4(17, udp, csum_blank)


def arp_frame():
    return eth(0x0806) + bytes(28) + bytes(18)


# ---- rings -----------------------------------------------------------------

def sring(req_prod, rsp_prod, entries, entry_size, start=0):
    """A ring page: the four indices, then 'entries' from ring slot 'start'
    (mod 256); only as much of the page as the last entry needs."""
    ring = bytearray(64 + 256 * entry_size)
    struct.pack_into('<IIII', ring, 0, req_prod, req_prod + 1, rsp_prod,
                     rsp_prod + 1)
    last = 64
    for k, e in enumerate(entries):
        off = 64 + ((start + k) % 256) * entry_size
        ring[off:off + len(e)] = e
        last = max(last, off + entry_size)
    return bytes(ring[:last])


def tx_req(gref, offset, flags, rid, size):
    return struct.pack('<IHHHH', gref, offset, flags, rid, size)


def extra(etype, flags=0, a=0, b=0, c=0):
    return struct.pack('<BBHBBH', etype, flags, a, b, 0, c)


def gso_extra(size, gtype=GSO_TCPV4, flags=0):
    return extra(EXTRA_GSO, flags, size, gtype)


def rx_req(rid, gref):
    return struct.pack('<HHI', rid, 0, gref)


class guest_pages:
    """The TX buffers as the netif-tx input lays them out: page k is gref
    TX_BUF + k."""

    def __init__(self):
        self.mem = bytearray()

    def put(self, page, offset, data):
        end = page * PAGE + offset + len(data)
        if len(self.mem) < end:
            self.mem += bytes(end - len(self.mem))
        self.mem[page * PAGE + offset:end] = data

    def frame(self, frame, slots):
        """Places 'frame' as the packet's slots [(page, offset, len)...]
        (the first slot's len is what is left) and returns the requests'
        (gref, offset, size) with the first size the total."""
        rest = sum(s[2] for s in slots[1:])
        first_len = len(frame) - rest
        pos = 0
        out = []
        for k, (page, off, n) in enumerate(slots):
            n = first_len if k == 0 else n
            self.put(page, off, frame[pos:pos + n])
            pos += n
            out.append((TX_BUF + page, off, len(frame) if k == 0 else n))
        return out


def tx_packet(reqs, rid, flags=0, extras=()):
    """Ring entries of one packet: its data slots with more_data, its
    extras after the first."""
    out = []
    for k, (gref, off, size) in enumerate(reqs):
        f = NETTXF_MORE_DATA if k + 1 < len(reqs) else 0
        if k == 0:
            f |= flags | (NETTXF_EXTRA_INFO if extras else 0)
        out.append(tx_req(gref, off, f, rid + k, size))
        if k == 0:
            for i, e in enumerate(extras):
                more = EXTRA_FLAG_MORE if i + 1 < len(extras) else 0
                out.append(e[:1] + bytes([e[1] | more]) + e[2:])
    return out


# ---- netif-tx ----------------------------------------------------------------

def tx_input(cfg, ops, burst, cap, entries, pages=None, copy_limit=0,
             credit=0, rewrite=(0, 0, 0), rsp_prod=0, req_prod=None):
    n = len(entries) if req_prod is None else req_prod
    hdr = struct.pack('<BBBBHHBBH4x', cfg, ops, burst - 1, cap, copy_limit,
                      credit, rewrite[0], rewrite[1], rewrite[2])
    ring = sring(rsp_prod + n, rsp_prod, entries, 12, start=rsp_prod)
    out = hdr + ring
    if pages is not None and pages.mem:
        out = out.ljust(16 + PAGE, b'\0') + bytes(pages.mem)
    return out


SG, GSO4, GSO6, RAW_PROD, REWRITE, CREDIT, DOWNSTREAM = 1, 2, 4, 8, 16, 32, 64
OP_BURST, OP_SPLIT, OP_FETCH, OP_EVENTS = 0, 1, 2, 3


def ops(*o):
    return sum(v << (2 * i) for i, v in enumerate(o))


def netif_tx():
    seeds = {}
    all_f = SG | GSO4 | GSO6 | DOWNSTREAM

    g = guest_pages()
    p1 = g.frame(udp4_frame(18), [(0, 0, 0)])
    seeds['single-udp'] = tx_input(all_f, 0, 32, 0,
                                   tx_packet(p1, 0, NETTXF_CSUM_BLANK), g)

    g = guest_pages()
    p1 = g.frame(tcp4_frame(4946), [(0, 0, 0), (1, 0, 1000), (1, 1000, 500)])
    p2 = g.frame(arp_frame(), [(1, 2000, 0)])
    seeds['multi-slot-csum'] = tx_input(
        all_f, 0, 32, 0,
        tx_packet(p1, 0, NETTXF_CSUM_BLANK) + tx_packet(p2, 3), g)

    g = guest_pages()
    p1 = g.frame(tcp4_frame(5934), [(0, 0, 0), (1, 0, 1934)])
    seeds['gso-tcpv4'] = tx_input(
        all_f, 0, 8, 0,
        tx_packet(p1, 0, NETTXF_CSUM_BLANK, [gso_extra(1448)]), g)

    g = guest_pages()
    p1 = g.frame(tcp6_frame(3000, vlan=5), [(0, 0, 0), (1, 0, 70)])
    seeds['gso-tcpv6-hash-extra'] = tx_input(
        all_f, 0, 8, 0,
        tx_packet(p1, 0, NETTXF_CSUM_BLANK,
                  [extra(EXTRA_HASH, 0, 0x0302, 0x04), gso_extra(1220,
                                                                 GSO_TCPV6)]),
        g)

    g = guest_pages()
    p1 = g.frame(tcp4_frame(1400), [(0, 0, 0)])
    p2 = g.frame(udp4_frame(2000), [(1, 0, 0), (1, 2048, 1000)])
    p3 = g.frame(arp_frame(), [(0, 3000, 0)])
    seeds['split-fetch'] = tx_input(
        SG | DOWNSTREAM, ops(OP_FETCH, OP_SPLIT, OP_FETCH, OP_BURST), 8, 0,
        tx_packet(p1, 0) + tx_packet(p2, 1, NETTXF_CSUM_BLANK)
        + tx_packet(p3, 3), g, copy_limit=128)

    g = guest_pages()
    p1 = g.frame(udp4_frame(100, False), [(0, 0, 0)])
    entries = (tx_packet([(PAGED_OUT, 0, 142)], 0)
               + tx_packet(p1, 1)
               + tx_packet([(READONLY, 0, 60)], 2)
               + tx_packet([(TX_BUF, 0, 10)], 3))       # a runt
    seeds['eagain-runt'] = tx_input(SG, 0, 4, 0, entries, g)

    seeds['foreign-gref'] = tx_input(
        SG, 0, 4, 0, tx_packet([(FOREIGN, 0, 60)], 0)
        + tx_packet([(REVOKED, 0, 60)], 1))

    g = guest_pages()
    entries = []
    for k in range(10):
        entries += tx_packet(g.frame(udp4_frame(20 + k), [(0, 256 * k, 0)]),
                             k)
    seeds['ring-wrap'] = tx_input(SG, ops(0, 0, 0, 0), 4, 1, entries, g,
                                  rsp_prod=250)

    g = guest_pages()
    entries = []
    for k in range(4):
        entries += tx_packet(g.frame(udp4_frame(200), [(0, 1024 * k, 0)]), k)
    seeds['credit-rewrite'] = tx_input(
        SG | CREDIT | REWRITE, ops(OP_BURST, OP_EVENTS, OP_SPLIT, OP_BURST),
        16, 6, entries, g, credit=600, copy_limit=64, rewrite=(1, 4, 0x10))

    # Too many slots (19: answered with an error), then the events.
    g = guest_pages()
    frame = udp4_frame(19 * 100)
    slots = [(0, 0, 0)] + [(0, 200 * k, 100) for k in range(1, 19)]
    seeds['nineteen-slots'] = tx_input(
        SG, ops(OP_BURST, OP_EVENTS, OP_EVENTS, OP_EVENTS), 4, 0,
        tx_packet(g.frame(frame, slots), 0), g)

    seeds['empty-events'] = tx_input(0, ops(3, 3, 3, 3), 1, 0, [])
    seeds['prod-overrun'] = tx_input(RAW_PROD, 0, 1, 0, [], req_prod=300)
    return seeds


# ---- netif-rx ------------------------------------------------------------------

def rx_input(cfg, pkts, frags, bufs, rounds=0, avail=0, rsp_prod=0,
             rewrite=(0, 0, 0), post=None):
    hdr = struct.pack('<BBBBBBH8x', cfg, len(pkts), rounds, avail,
                      rewrite[0], rewrite[1], rewrite[2])
    desc = b''
    for p in pkts:
        desc += struct.pack('<IHBBHIBB', p.get('len', 60), p.get('flags', 0),
                            p.get('gso_type', 0), p.get('mode', 0),
                            p.get('gso_size', 0), p.get('copied', 0),
                            p.get('first', 0), p.get('fill', 0x5a))
    desc = desc.ljust(16 * 16, b'\0')
    fr = b''.join(struct.pack('<IHH', *f) for f in frags).ljust(32 * 8, b'\0')
    n = len(bufs) if post is None else post
    ring = sring(rsp_prod + n, rsp_prod, bufs, 8, start=rsp_prod)
    return hdr + desc + fr + ring


RX_SG, RX_GSO4, RX_GSO6, RX_CSUM, RX_RAW = 1, 2, 4, 8, 16
RX_PKTBUF, RX_FOREIGN, RX_REWRITE = 32, 64, 128
SRC, FIX, OTHER_DOM = 1, 2, 4


def nfrags(n):
    return n << 3


def netif_rx():
    seeds = {}
    all_f = RX_SG | RX_GSO4 | RX_GSO6 | RX_CSUM
    bufs = [rx_req(i, RX_BUF + i) for i in range(32)]
    seeds['local'] = rx_input(all_f, [
        {'len': 60},
        {'len': 1514, 'flags': PKT_DATA_VALIDATED},
        {'len': 9000, 'flags': PKT_CSUM_BLANK},
        {'len': 20000, 'flags': PKT_CSUM_BLANK, 'gso_type': GSO_TCPV4,
         'gso_size': 1448},
        {'len': 3000, 'gso_type': GSO_TCPV6, 'gso_size': 1220},
    ], [], bufs, rounds=1)

    frags = [(TX_BUF, 0, 4096), (TX_BUF + 1, 0, 1904), (TX_BUF + 2, 100, 60),
             (TX_BUF + 3, 0, 3000), (TX_BUF + 4, 500, 3000)]
    seeds['guest-to-guest'] = rx_input(all_f | RX_FOREIGN, [
        {'len': 6000, 'mode': SRC | nfrags(2), 'copied': 128, 'first': 0},
        {'len': 60, 'mode': SRC | nfrags(1), 'copied': 14, 'first': 2},
        {'len': 6000, 'mode': SRC | FIX | nfrags(2), 'copied': 4200,
         'first': 3},
        {'len': 1500},
    ], frags, bufs)
    seeds['guest-to-guest-pktbuf'] = rx_input(
        all_f | RX_PKTBUF | RX_FOREIGN, [
            {'len': 6000, 'mode': SRC | nfrags(2), 'copied': 64},
            {'len': 60, 'mode': SRC | OTHER_DOM | nfrags(1), 'copied': 14,
             'first': 2},
        ], frags, bufs)

    seeds['bad-source'] = rx_input(all_f | RX_FOREIGN, [
        {'len': 5000, 'mode': SRC | FIX | nfrags(2), 'copied': 100,
         'first': 5},
        {'len': 200, 'mode': SRC | FIX | nfrags(1), 'first': 7},
    ], frags[:5] + [(FOREIGN, 0, 4096), (PAGED_OUT, 0, 1000),
                    (REVOKED, 0, 200)], bufs)

    seeds['no-sg-drops'] = rx_input(0, [
        {'len': 60, 'flags': PKT_CSUM_BLANK},
        {'len': 5000},
        {'len': 4096},
        {'len': 0},
        {'len': 100, 'gso_type': GSO_TCPV4, 'gso_size': 1000},
    ], [], bufs[:4], rounds=2)

    hostile = [rx_req(0, RX_BUF), rx_req(1, READONLY), rx_req(2, PAGED_OUT),
               rx_req(3, RX_BUF + 1), rx_req(4, 5000)]
    seeds['hostile-buffers'] = rx_input(all_f, [
        {'len': 60}, {'len': 60}, {'len': 60}, {'len': 60}, {'len': 60},
    ], [], hostile, rounds=3 | 4 | 8, avail=8)
    seeds['readonly-buffer'] = rx_input(all_f, [{'len': 60}, {'len': 5000}],
                                        [], [rx_req(1, RX_BUF),
                                             rx_req(2, READONLY),
                                             rx_req(3, RX_BUF + 2)])
    # The guest's own ring pages as buffers: the copies rewrite its rings.
    seeds['ring-pages-as-buffers'] = rx_input(
        all_f, [{'len': 100, 'fill': 0x11}, {'len': 3000}, {'len': 60}], [],
        [rx_req(1, 8), rx_req(2, 9), rx_req(3, RX_BUF)], rounds=2)
    seeds['dup-ids'] = rx_input(all_f, [{'len': 60}, {'len': 5000}],
                                [], [rx_req(7, RX_BUF), rx_req(7, RX_BUF + 1),
                                     rx_req(8, RX_BUF + 2)])
    seeds['wrap-rewrite'] = rx_input(
        all_f | RX_REWRITE, [{'len': 3000}] * 6, [],
        bufs[:12], rsp_prod=250, rounds=1, rewrite=(1, 1, 0))
    seeds['prod-overrun'] = rx_input(RX_RAW | all_f, [{'len': 60}], [], [],
                                     post=1000)
    # rx_send(): four buffers for nine packets (a GSO frame among them, a
    # guest-to-guest one that cannot wait): the rest wait, over rounds.
    seeds['queue'] = rx_input(all_f | RX_FOREIGN, [
        {'len': 60}, {'len': 9000},
        {'len': 20000, 'flags': PKT_CSUM_BLANK, 'gso_type': GSO_TCPV4,
         'gso_size': 1448},
        {'len': 60}, {'len': 6000, 'mode': SRC | FIX | nfrags(2),
                      'copied': 128},
        {'len': 1500}, {'len': 60}, {'len': 0}, {'len': 70000},
    ], frags, bufs[:4], rounds=3 | 16)
    seeds['queue-rewrite'] = rx_input(
        all_f | RX_REWRITE, [{'len': 3000}] * 8, [],
        bufs[:6], rsp_prod=250, rounds=3 | 16, rewrite=(3, 1, 0))
    return seeds


# ---- extra-gso -----------------------------------------------------------------

def direct(frame, mss):
    return struct.pack('<BHB', 0, mss, 0) + frame


def via_ring(frame, extras, csum_blank=True, validated=False):
    ctl = len(extras) | (16 if csum_blank else 0) | (32 if validated else 0)
    ex = b''.join(extras).ljust(24, b'\0')
    return bytes([1, ctl]) + ex + frame


def extra_gso():
    return {
        'tcp4': direct(tcp4_frame(3000, csum_blank=False), 1000),
        'tcp4-partial': direct(tcp4_frame(1000), 1460),
        'tcp6-vlan': direct(tcp6_frame(2500, vlan=100), 500),
        'udp4-partial': direct(udp4_frame(333), 0),
        'tcp4-250-segments': direct(tcp4_frame(16000), 64),
        'tcp4-too-many': direct(tcp4_frame(16000), 60),
        'tcp4-empty-payload': direct(tcp4_frame(0), 536),
        'ring-gso4': via_ring(tcp4_frame(6000), [gso_extra(1448)]),
        'ring-gso6-hash': via_ring(
            tcp6_frame(5000), [extra(EXTRA_HASH, EXTRA_FLAG_MORE, 1, 2),
                               gso_extra(1220, GSO_TCPV6)]),
        'ring-mcast': via_ring(udp4_frame(100), [extra(EXTRA_MCAST_ADD)]),
    }


# ---- xenbus-keys ---------------------------------------------------------------

def keys(cfg, *records):
    return bytes([cfg]) + b'\0'.join(
        r.encode('latin-1') if isinstance(r, str) else r for r in records)


def xenbus_keys():
    good = ['tx-ring-ref=8', 'rx-ring-ref=9', 'event-channel=3',
            'request-rx-copy=1', 'feature-sg=1', 'feature-gso-tcpv4=1',
            'feature-rx-notify=1']
    all_f = 0x1f
    return {
        'connect-close-reconnect': keys(
            all_f | 1 << 5, *good, 'state=4', '!run', 'state=5', '!run',
            'state=1', '!run', '!tick=100', '!run', 'state=4', '!run'),
        'linux-61-split': keys(
            all_f | 1 << 5, 'multi-queue-num-queues=1', 'tx-ring-ref=520',
            'rx-ring-ref=521', 'event-channel-tx=8', 'event-channel-rx=9',
            'request-rx-copy=1', 'feature-rx-notify=1', 'feature-sg=1',
            'feature-gso-tcpv4=1', 'feature-gso-tcpv6=1',
            'feature-ipv6-csum-offload=1', 'mac=00:16:3e:00:00:02',
            'state=4', '!run'),
        'two-queues': keys(
            all_f | 2 << 5, 'request-rx-copy=1', 'multi-queue-num-queues=2',
            'queue-0/tx-ring-ref=10', 'queue-0/rx-ring-ref=20',
            'queue-0/event-channel=30', 'queue-1/tx-ring-ref=11',
            'queue-1/rx-ring-ref=21', 'queue-1/event-channel-tx=31',
            'queue-1/event-channel-rx=41', 'state=4', '!run'),
        'junk-values': keys(
            all_f | 1 << 5, *good,
            b'multi-queue-num-queues=' + b'\xff\n' * 700,
            'tx-ring-ref=4294967296', 'feature-sg=01', 'state=4', '!run',
            'state=1', '!tick=50', '!run', '!tick=50', '!run',
            'rate=10000000,20000', 'rate=18446744073709551616,1'),
        'fail-and-back-off': keys(
            0x01 | 1 << 5, *good, 'state=4', '!run', '!fail', 'state=1',
            '!run', '!tick=100', '!run', 'state=4', '!run', '!rm=/device',
            '!run', '/device/vif/0/state=1', '!start', '!run'),
    }


# ---- xs-wire ----------------------------------------------------------------------

XS = dict(DIRECTORY=1, READ=2, GET_PERMS=3, WATCH=4, UNWATCH=5,
          TRANSACTION_START=6, TRANSACTION_END=7, INTRODUCE=8, RELEASE=9,
          GET_DOMAIN_PATH=10, WRITE=11, MKDIR=12, RM=13, SET_PERMS=14,
          IS_DOMAIN_INTRODUCED=17, RESET_WATCHES=21, DIRECTORY_PART=22)


def msg(kind, *args, req_id=0, tx_id=0, raw=None):
    if raw is None:
        raw = b''.join(a.encode() + b'\0' for a in args)
    return struct.pack('<IIII', XS[kind], req_id, tx_id, len(raw)) + raw


def write(path, value, req_id=0, tx_id=0):
    return msg('WRITE', req_id=req_id, tx_id=tx_id,
               raw=path.encode() + b'\0' + value.encode())


def conns(n, *doms):
    sel = {0: 0, 5: 1, 6: 2, 7: 3}
    d = [sel[x] for x in doms] + [0] * (4 - len(doms))
    return bytes([n - 1] + d)


def xs_wire():
    return {
        'dom0-basics': conns(1, 0) + b''.join([
            write('/local/domain/0/backend/vif/5/0/state', '4'),
            msg('READ', '/local/domain/5/device/vif/0/state'),
            msg('DIRECTORY', '/local/domain'),
            msg('DIRECTORY_PART', '/local/domain', '0'),
            msg('GET_PERMS', '/local/domain/5'),
            msg('SET_PERMS', '/local/domain/0/backend/vif/5/0', 'n0', 'r5'),
            msg('WATCH', '/local/domain/5/device', 'tok'),
            msg('WATCH', '@releaseDomain', 'rel'),
            msg('INTRODUCE', '9', '1234', '5'),
            msg('IS_DOMAIN_INTRODUCED', '9'),
            msg('RELEASE', '9'),
            msg('GET_DOMAIN_PATH', '5'),
            msg('RM', '/local/domain/0/backend/vif/6'),
            msg('UNWATCH', '/local/domain/5/device', 'tok'),
            msg('RESET_WATCHES'),
        ]),
        'guest-relative': conns(1, 5) + b''.join([
            write('device/vif/0/state', '4'),
            write('device/vif/0/tx-ring-ref', '8'),
            msg('MKDIR', 'data'),
            msg('WATCH', 'device', 'fe'),
            msg('READ', '/local/domain/0/backend/vif/5/0/state'),
            msg('READ', '/local/domain/0/secret'),
            write('/local/domain/6/name', 'mine'),
            msg('SET_PERMS', 'data', 'n5', 'r6'),
            msg('RM', 'device/vif/0/tx-ring-ref'),
        ]),
        'transactions': conns(2, 0, 5) + b''.join([
            msg('TRANSACTION_START', req_id=1),
            write('data/a', '1', req_id=1, tx_id=1),
            write('data/b', '2', req_id=0),
            msg('READ', 'data/b', req_id=1, tx_id=1),
            msg('RM', 'data/a', req_id=1, tx_id=1),
            msg('TRANSACTION_END', 'T', req_id=1, tx_id=1),
            msg('TRANSACTION_START', req_id=0),
            write('/tool/x', 'y', req_id=0, tx_id=2),
            msg('DIRECTORY', '/tool', req_id=0, tx_id=2),
            msg('TRANSACTION_END', 'F', req_id=0, tx_id=2),
        ]),
        'two-guests-watch': conns(3, 5, 6, 0) + b''.join([
            msg('WATCH', '/local/domain/5', 'w5', req_id=0),
            msg('WATCH', '/local/domain/5', 'w6', req_id=1),
            write('/local/domain/5/x', 'secret-ish', req_id=2),
            msg('SET_PERMS', '/local/domain/5/x', 'n5', req_id=2),
            write('/local/domain/5/x', 'changed', req_id=0),
            msg('RM', '/local/domain/5', req_id=2),
        ]),
        'malformed': conns(1, 6) + b''.join([
            msg('READ', raw=b'no-nul'),
            msg('WRITE', raw=b'no-nul-either'),
            msg('READ', '//bad//path'),
            msg('READ', 'a' * 3100),
            msg('SET_PERMS', 'x', 'q7'),
            msg('DIRECTORY_PART', '/local', 'x1'),
            msg('TRANSACTION_END', 'X'),
            struct.pack('<IIII', 99, 0, 0, 0),
        ]) + struct.pack('<IIII', 2, 0, 0, 5000),
    }


def main():
    root = (sys.argv[1] if len(sys.argv) > 1
            else os.path.join(os.path.dirname(os.path.abspath(__file__)),
                              'corpus'))
    sets = {
        'netif-tx': netif_tx(),
        'netif-rx': netif_rx(),
        'extra-gso': extra_gso(),
        'xenbus-keys': xenbus_keys(),
        'xs-wire': xs_wire(),
    }
    for name, seeds in sets.items():
        d = os.path.join(root, name)
        os.makedirs(d, exist_ok=True)
        for f in os.listdir(d):
            os.unlink(os.path.join(d, f))
        for seed, data in seeds.items():
            with open(os.path.join(d, seed), 'wb') as f:
                f.write(data)
        print('%s: %d seeds, %d bytes' % (d, len(seeds),
                                          sum(map(len, seeds.values()))))


if __name__ == '__main__':
    main()
