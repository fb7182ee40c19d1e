// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// fuzz-xs-wire: simxen's xenstored, fed a client's byte stream without
// sockets.  The stream is cut into messages with xs_decode_header() as the
// daemon's xs_input() does, and each request is served by the daemon's own
// xs_requests on a fresh xs_store, through the real xs_split(),
// resolve_path(), perm_from_string() and xs_store.  Checked: the framing and string
// helpers against their specifications; every reply and watch event
// encodes to a message a client can take (payload <= XENSTORE_PAYLOAD_MAX);
// the store's node limits hold; and no guest reads or changes a node only
// dom0 may ("/local/domain/0/secret", permissions n0) when no client is
// dom0's.
//
// Input: [0] bits 0-1: connections - 1 (1-4); [1, 5) each connection's
// domain (mod 4: 0, 5, 6, 7); [5, ...) the stream of xsd_sockmsg messages
// (host byte order).  A message goes to connection req_id % connections.

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz-guest.h"
#include "utilities/simxen/xs-requests.h"
#include "utilities/simxen/xs-store.h"
#include "utilities/simxen/xs-wire.h"

using namespace linc::xen;
using namespace linc::xen::simxen;

namespace {

constexpr conn_id toolstack = 1000;
const std::string secret = "/local/domain/0/secret";

// A fresh store with no hypervisor behind it: no domain is alive.
struct server {
    xs_store store;
    xs_requests requests{&store, [](domid_t) { return false; }};
};

// A message we send must be one a client can take whole.
void check_sendable(const std::string &msg, uint32_t type, uint32_t req_id)
{
    xsd_sockmsg hdr;
    size_t len = 0;
    FUZZ_CHECK(xs_decode_header(msg.data(), msg.size(), &hdr, &len) == 0);
    FUZZ_CHECK(len == msg.size());
    FUZZ_CHECK(hdr.type == type || hdr.type == XS_ERROR);
    FUZZ_CHECK(hdr.req_id == req_id);
}

void check_split(const char *p, size_t n)
{
    std::vector<std::string> parts;
    bool ok = xs_split(p, n, &parts);
    FUZZ_CHECK(ok == (n == 0 || p[n - 1] == '\0'));
    size_t nuls = 0;
    for (size_t i = 0; i < n; i++) {
        nuls += p[i] == '\0';
    }
    FUZZ_CHECK(parts.size() == nuls);
    if (ok) {
        std::string joined;
        for (const std::string &s : parts) {
            joined += s;
            joined += '\0';
        }
        FUZZ_CHECK(joined == std::string(p, n));
    }
}

void check_resolve(const std::string &p, domid_t dom)
{
    std::string abs;
    size_t strip = 0;
    if (resolve_path(p, dom, &abs, &strip) != 0) {
        return;
    }
    FUZZ_CHECK(!abs.empty() && (abs[0] == '/' || abs[0] == '@'));
    FUZZ_CHECK(abs.size() <= XENSTORE_ABS_PATH_MAX);
    FUZZ_CHECK(abs.find("//") == std::string::npos);
    FUZZ_CHECK(abs.size() == 1 || abs.back() != '/' || abs[0] == '@');
    if (p[0] != '/' && p[0] != '@') {
        std::string prefix = "/local/domain/" + std::to_string(dom) + "/";
        FUZZ_CHECK(abs == prefix + p && strip == prefix.size());
    } else {
        FUZZ_CHECK(abs == p && strip == 0);
    }
}

void check_perm(const std::string &s)
{
    xs_perm p;
    if (!perm_from_string(s, &p)) {
        return;
    }
    xs_perm q;
    FUZZ_CHECK(perm_from_string(perm_to_string(p), &q));
    FUZZ_CHECK(q.kind == p.kind && q.domid == p.domid);
}

void check_errno_name(const std::string &s)
{
    int e = xs_errno_from_name(s);
    FUZZ_CHECK(xs_errno_from_name(xs_errno_name(e)) == e);
}

struct snapshot {
    bool exists;
    std::string value;
    std::vector<xs_perm> perms;

    bool operator==(const snapshot &o) const
    {
        if (exists != o.exists || value != o.value
            || perms.size() != o.perms.size()) {
            return false;
        }
        for (size_t i = 0; i < perms.size(); i++) {
            if (perms[i].kind != o.perms[i].kind
                || perms[i].domid != o.perms[i].domid) {
                return false;
            }
        }
        return true;
    }
    bool dom0_only() const
    {
        return exists && perms.size() == 1 && perms[0].kind == 'n'
               && perms[0].domid == 0;
    }
};

snapshot take_snapshot(xs_store &st)
{
    snapshot s;
    s.exists = st.read(toolstack, 0, secret, &s.value) == 0;
    if (s.exists) {
        st.get_perms(toolstack, 0, secret, &s.perms);
    }
    return s;
}

// What a toolstack made before the guests' clients connected.
void populate(xs_store &st)
{
    st.set_conn_domain(toolstack, 0);
    st.write(toolstack, 0, secret, "s");
    for (domid_t d : {5, 6, 7}) {
        std::string home = "/local/domain/" + std::to_string(d);
        st.mkdir(toolstack, 0, home);
        st.set_perms(toolstack, 0, home, {{'n', d}});
        st.write(toolstack, 0, home + "/name", "guest" + std::to_string(d));
        st.write(toolstack, 0, home + "/device/vif/0/state", "1");
        st.set_perms(toolstack, 0, home + "/device/vif/0",
                     {{'n', d}, {'r', 0}});
        std::string be = "/local/domain/0/backend/vif/" + std::to_string(d)
                         + "/0";
        st.write(toolstack, 0, be + "/state", "2");
        st.set_perms(toolstack, 0, be, {{'n', 0}, {'r', d}});
    }
    st.take_events();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const fuzz::input_reader in{data, size};
    static const domid_t doms[] = {0, 5, 6, 7};
    const size_t nconns = (in.u8(0) & 3) + 1;
    server srv;
    populate(srv.store);
    // Without a dom0 client, nothing but populate() may touch dom0's nodes.
    bool guests_only = true;
    for (size_t c = 0; c < nconns; c++) {
        srv.store.set_conn_domain(c + 1, doms[in.u8(1 + c) & 3]);
        guests_only = guests_only && doms[in.u8(1 + c) & 3] != 0;
    }

    size_t pos = 5;
    for (int msgs = 0; pos < size && msgs < 1024; msgs++) {
        xsd_sockmsg hdr;
        size_t len = 0;
        int err = xs_decode_header(data + pos, size - pos, &hdr, &len);
        if (err == EAGAIN) {
            FUZZ_CHECK(size - pos < xs_header_size
                       || xs_header_size + hdr.len > size - pos);
            break;
        }
        if (err) {
            // The daemon drops such a client: the stream cannot go on.
            FUZZ_CHECK(err == E2BIG && hdr.len > XENSTORE_PAYLOAD_MAX);
            break;
        }
        FUZZ_CHECK(len == xs_header_size + hdr.len && pos + len <= size);
        // The payload in an allocation of exactly its length.
        auto *payload = static_cast<char *>(std::malloc(hdr.len));
        std::memcpy(payload, data + pos + xs_header_size, hdr.len);
        pos += len;

        const conn_id conn = hdr.req_id % nconns + 1;
        const domid_t dom = doms[in.u8(1 + (conn - 1)) & 3];
        check_split(payload, hdr.len);
        std::vector<std::string> args;
        if (xs_split(payload, hdr.len, &args) && !args.empty()) {
            check_resolve(args[0], dom);
            for (const std::string &a : args) {
                check_perm(a);
            }
            check_errno_name(args[0]);
        }

        const snapshot before = take_snapshot(srv.store);
        std::string reply;
        err = srv.requests.dispatch(conn, dom, hdr, payload, &reply);
        std::string out;
        if (err) {
            xs_encode_error(hdr.req_id, hdr.tx_id, err, &out);
        } else {
            xs_encode(hdr.type, hdr.req_id, hdr.tx_id, reply, &out);
        }
        check_sendable(out, hdr.type, hdr.req_id);

        if (guests_only) {
            // A guest changes nothing only dom0 may, and reads none of it.
            FUZZ_CHECK(before.dom0_only());
            FUZZ_CHECK(take_snapshot(srv.store) == before);
            std::string abs;
            size_t strip;
            if (!err && !args.empty()
                && resolve_path(args[0], dom, &abs, &strip) == 0
                && abs == secret) {
                FUZZ_CHECK(hdr.type != XS_READ && hdr.type != XS_GET_PERMS
                           && hdr.type != XS_DIRECTORY
                           && hdr.type != XS_DIRECTORY_PART);
            }
        }
        for (const watch_event &e : srv.store.take_events()) {
            FUZZ_CHECK(e.conn >= 1 && e.conn <= nconns);
            std::string msg;
            xs_encode(XS_WATCH_EVENT, 0, 0,
                      xs_nul_terminated(e.path) + xs_nul_terminated(e.token),
                      &msg);
            check_sendable(msg, XS_WATCH_EVENT, 0);
        }
        FUZZ_CHECK(srv.store.node_count() <= xs_max_nodes);
        for (domid_t d : {5, 6, 7}) {
            FUZZ_CHECK(srv.store.nodes_owned(d) <= xs_max_nodes_per_domain);
        }
        std::free(payload);
    }
    return 0;
}
