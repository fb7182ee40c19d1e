// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// fuzz-xenbus-keys: the handshake's parsers of what a guest writes in
// xenstore.  parse_xs_uint(), quote_guest_value() and parse_netif_rate()
// are checked against their specifications on every value of the input,
// and vif_xenbus runs against an in-memory store
// (tests/unit/fake-xs-store.h) whose frontend directory the input writes,
// step by step: whatever the guest writes, the backend's "error" key and
// last_error() stay printable ASCII and under 300 bytes.
//
// Input: [0] what the backend offers (bit 0 feature-sg, 1 gso-tcpv4,
// 2 gso-tcpv6, 3 ipv6-csum-offload, 4 split event channels; bits 5-7
// multi-queue-max-queues, 0-7), then records separated by NUL bytes:
//   key=value   writes 'value' at the frontend directory's 'key', or at
//               '/local/domain/5/key' if 'key' starts with '/' (a guest
//               writes only under its own domain)
//   !run        vif_xenbus::run(), then connected() if it says connect and
//               closed() if it says disconnect
//   !fail       failed() with a reason of the caller's
//   !rm=key     removes 'key' (as above) and everything below it
//   !tick=N     advances the clock by N milliseconds
//   !start      start()

#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "netdev-xen/netif-backend.h"
#include "netdev-xen/vif-xenbus.h"
#include "tests/fuzz/fuzz-guest.h"
#include "tests/unit/fake-xs-store.h"

using namespace linc::xen;
using linc::xen::testing::fake_store;

namespace {

const std::string be = "/local/domain/0/backend/vif/5/0";
const std::string fe = "/local/domain/5/device/vif/0";
const std::string guest_home = "/local/domain/5";

bool all_digits(const std::string &s)
{
    for (char c : s) {
        if (c < '0' || c > '9') {
            return false;
        }
    }
    return true;
}

// The decimal value of a digit string, or false past UINT64_MAX.
bool decimal(const std::string &s, uint64_t *v)
{
    unsigned __int128 x = 0;
    for (char c : s) {
        x = x * 10 + unsigned(c - '0');
        if (x > std::numeric_limits<uint64_t>::max()) {
            return false;
        }
    }
    *v = uint64_t(x);
    return true;
}

void check_parse_xs_uint(const std::string &s)
{
    static const uint64_t maxes[] = {0, 1, 8, 16, 0x7fef, 0xffff, UINT32_MAX,
                                     UINT64_MAX};
    uint64_t v = 0;
    bool wellformed = !s.empty() && s.size() <= 20 && all_digits(s)
                      && decimal(s, &v);
    for (uint64_t max : maxes) {
        auto r = parse_xs_uint(s, max);
        bool want = wellformed && v <= max;
        FUZZ_CHECK(r.has_value() == want);
        if (want) {
            FUZZ_CHECK(*r == v);
        }
    }
}

void check_quote(const std::string &s)
{
    for (size_t max : {size_t(0), size_t(3), size_t(32), size_t(256)}) {
        std::string q = quote_guest_value(s, max);
        FUZZ_CHECK(q.size() >= 2 && q[0] == '"');
        for (unsigned char c : q) {
            FUZZ_CHECK(c >= 0x20 && c < 0x7f);
        }
        // Decode it back: the first min(max, size) bytes of 's'.
        std::string back;
        size_t i = 1;
        while (i < q.size() && q[i] != '"') {
            if (q[i] == '\\') {
                FUZZ_CHECK(i + 3 < q.size() && q[i + 1] == 'x');
                back += char(std::stoi(q.substr(i + 2, 2), nullptr, 16));
                i += 4;
            } else {
                back += q[i++];
            }
        }
        FUZZ_CHECK(i < q.size());
        size_t shown = std::min(max, s.size());
        FUZZ_CHECK(back == s.substr(0, shown));
        std::string rest = q.substr(i + 1);
        if (shown < s.size()) {
            FUZZ_CHECK(rest == "... (" + std::to_string(s.size())
                               + " bytes)");
        } else {
            FUZZ_CHECK(rest.empty());
        }
        FUZZ_CHECK(q.size() <= 2 + 4 * max + 32);
    }
}

void check_rate(const std::string &s)
{
    netif_credit c{1, 1};
    bool ok = parse_netif_rate(s.c_str(), &c);
    size_t comma = s.find(',');
    uint64_t bytes = 0, usec = 0;
    bool want = comma != std::string::npos && comma > 0
                && comma + 1 < s.size()
                && all_digits(s.substr(0, comma))
                && all_digits(s.substr(comma + 1))
                && decimal(s.substr(0, comma), &bytes)
                && decimal(s.substr(comma + 1), &usec);
    FUZZ_CHECK(ok == want);
    if (ok && bytes && usec) {
        FUZZ_CHECK(c.bytes == bytes && c.usec == usec);
    } else {
        FUZZ_CHECK(c.bytes == 0 && c.usec == 0);
    }
}

void check_value(const std::string &s)
{
    check_parse_xs_uint(s);
    check_quote(s);
    // parse_netif_rate() takes a C string: up to the first NUL.
    check_rate(s.substr(0, s.find('\0')));
}

void check_error(const std::string &e)
{
    FUZZ_CHECK(e.size() < 300);
    for (unsigned char c : e) {
        FUZZ_CHECK(c >= 0x20 && c < 0x7f);
    }
}

std::string guest_path(const std::string &key)
{
    return !key.empty() && key[0] == '/' ? guest_home + key : fe + "/" + key;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    const uint8_t cfg = data[0];
    vif_features features;
    features.sg = cfg & 1;
    features.gso_tcpv4 = cfg & 2;
    features.gso_tcpv6 = cfg & 4;
    features.ipv6_csum_offload = cfg & 8;
    features.split_event_channels = cfg & 16;
    features.max_queues = cfg >> 5;

    // What the toolstack made before the guest started.
    fake_store xs;
    xs.kv[be + "/frontend"] = fe;
    xs.kv[be + "/frontend-id"] = "5";
    xs.kv[fe + "/backend"] = be;
    xs.kv[fe + "/backend-id"] = "0";
    xs.kv[fe + "/state"] = "1";
    uint64_t now_ms = 1000;
    vif_xenbus v(xs, 0, 5, 0, features, [&now_ms]() { return now_ms; });
    FUZZ_CHECK(v.start() == 0);

    const char *p = reinterpret_cast<const char *>(data) + 1;
    const char *end = reinterpret_cast<const char *>(data) + size;
    for (int records = 0; p < end && records < 256; records++) {
        const char *nul = static_cast<const char *>(std::memchr(p, 0, end - p));
        std::string rec(p, nul ? nul : end);
        p = nul ? nul + 1 : end;
        size_t eq = rec.find('=');
        std::string key = rec.substr(0, eq);
        std::string value = eq == std::string::npos ? "" : rec.substr(eq + 1);
        check_value(value);

        if (key == "!run") {
            switch (v.run()) {
            case vif_xenbus::action::connect:
                FUZZ_CHECK(!v.params().queues.empty());
                FUZZ_CHECK(v.params().queues.size()
                           <= std::max(1u, features.max_queues));
                v.connected();
                break;
            case vif_xenbus::action::disconnect:
                v.closed();
                break;
            case vif_xenbus::action::none:
                break;
            }
        } else if (key == "!fail") {
            v.failed("the rings could not be mapped");
        } else if (key == "!rm") {
            xs.rm(guest_path(value));
        } else if (key == "!tick") {
            now_ms += parse_xs_uint(value, 100000).value_or(1);
        } else if (key == "!start") {
            v.start();
        } else if (eq != std::string::npos) {
            xs.write(guest_path(key), value);
        }
        check_error(v.last_error());
        if (auto e = xs.read(be + "/error")) {
            check_error(*e);
        }
        int64_t wait = v.ms_until_offer();
        FUZZ_CHECK(wait >= -1 && wait <= 30000);
    }
    return 0;
}
