// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// simxen's xenstore: wire framing and store semantics, without sockets.

#include <cstring>
#include <string>
#include <vector>

#include "utilities/simxen/xs-store.h"
#include "utilities/simxen/xs-wire.h"

#include <CppUTest/TestHarness.h>

using namespace linc::xen::simxen;

TEST_GROUP(simxen_wire) {};

TEST(simxen_wire, encode_then_decode_round_trips)
{
    std::string buf;
    xs_encode(XS_READ, 7, 3, std::string("/a/b\0", 5), &buf);
    LONGS_EQUAL(16 + 5, buf.size());
    xsd_sockmsg hdr;
    size_t len = 0;
    LONGS_EQUAL(0, xs_decode_header(buf.data(), buf.size(), &hdr, &len));
    LONGS_EQUAL(XS_READ, hdr.type);
    LONGS_EQUAL(7, hdr.req_id);
    LONGS_EQUAL(3, hdr.tx_id);
    LONGS_EQUAL(5, hdr.len);
    LONGS_EQUAL(21, len);
}

TEST(simxen_wire, partial_messages_need_more)
{
    std::string buf;
    xs_encode(XS_WRITE, 1, 0, "abc", &buf);
    xsd_sockmsg hdr;
    size_t len;
    LONGS_EQUAL(EAGAIN, xs_decode_header(buf.data(), 10, &hdr, &len));
    LONGS_EQUAL(EAGAIN, xs_decode_header(buf.data(), buf.size() - 1, &hdr,
                                         &len));
}

TEST(simxen_wire, oversized_payload_is_refused)
{
    xsd_sockmsg big{XS_WRITE, 1, 0, XENSTORE_PAYLOAD_MAX + 1};
    xsd_sockmsg hdr;
    size_t len;
    LONGS_EQUAL(E2BIG, xs_decode_header(&big, sizeof big, &hdr, &len));
    xsd_sockmsg max{XS_WRITE, 1, 0, XENSTORE_PAYLOAD_MAX};
    LONGS_EQUAL(EAGAIN, xs_decode_header(&max, sizeof max, &hdr, &len));
}

TEST(simxen_wire, errors_are_sent_by_name)
{
    std::string buf;
    xs_encode_error(9, 0, ENOENT, &buf);
    xsd_sockmsg hdr;
    memcpy(&hdr, buf.data(), sizeof hdr);
    LONGS_EQUAL(XS_ERROR, hdr.type);
    LONGS_EQUAL(9, hdr.req_id);
    STRCMP_EQUAL("ENOENT", buf.c_str() + 16);
    LONGS_EQUAL(7, hdr.len);
    LONGS_EQUAL(EAGAIN, xs_errno_from_name("EAGAIN"));
    STRCMP_EQUAL("EINVAL", xs_errno_name(ENOTTY));
}

TEST(simxen_wire, split_needs_terminated_strings)
{
    std::vector<std::string> v;
    CHECK(xs_split("a\0bc\0", 5, &v));
    LONGS_EQUAL(2, v.size());
    STRCMP_EQUAL("bc", v[1].c_str());
    CHECK(!xs_split("a\0bc", 4, &v));
    CHECK(xs_split("", 0, &v));
    LONGS_EQUAL(0, v.size());
}

TEST_GROUP(simxen_store)
{
    xs_store s;
    const conn_id c1 = 1, c2 = 2;

    std::vector<std::string> event_paths(conn_id conn)
    {
        std::vector<std::string> out;
        for (const watch_event &e : s.take_events()) {
            if (e.conn == conn) {
                out.push_back(e.path + "|" + e.token);
            }
        }
        return out;
    }
};

TEST(simxen_store, paths_are_validated_and_resolved)
{
    std::string abs;
    size_t strip;
    LONGS_EQUAL(0, resolve_path("/a/b-c_d", 0, &abs, &strip));
    LONGS_EQUAL(0, strip);
    LONGS_EQUAL(0, resolve_path("device/vif/0", 5, &abs, &strip));
    STRCMP_EQUAL("/local/domain/5/device/vif/0", abs.c_str());
    STRCMP_EQUAL("device/vif/0", abs.substr(strip).c_str());
    LONGS_EQUAL(EINVAL, resolve_path("", 0, &abs, &strip));
    LONGS_EQUAL(EINVAL, resolve_path("/a//b", 0, &abs, &strip));
    LONGS_EQUAL(EINVAL, resolve_path("/a/", 0, &abs, &strip));
    LONGS_EQUAL(EINVAL, resolve_path("/a b", 0, &abs, &strip));
    LONGS_EQUAL(EINVAL, resolve_path("/" + std::string(4000, 'x'), 0, &abs,
                                     &strip));
}

TEST(simxen_store, write_creates_parents_and_reads_back)
{
    std::string v;
    LONGS_EQUAL(0, s.write(c1, 0, "/a/b/c", "hello"));
    LONGS_EQUAL(0, s.read(c1, 0, "/a/b/c", &v));
    STRCMP_EQUAL("hello", v.c_str());
    LONGS_EQUAL(0, s.read(c1, 0, "/a/b", &v));
    STRCMP_EQUAL("", v.c_str());
    LONGS_EQUAL(ENOENT, s.read(c1, 0, "/a/x", &v));
}

TEST(simxen_store, directory_lists_children_sorted)
{
    s.write(c1, 0, "/d/zeta", "1");
    s.write(c1, 0, "/d/alpha", "2");
    s.mkdir(c1, 0, "/d/mid");
    std::vector<std::string> kids;
    LONGS_EQUAL(0, s.directory(c1, 0, "/d", &kids));
    LONGS_EQUAL(3, kids.size());
    STRCMP_EQUAL("alpha", kids[0].c_str());
    STRCMP_EQUAL("mid", kids[1].c_str());
    STRCMP_EQUAL("zeta", kids[2].c_str());
    LONGS_EQUAL(ENOENT, s.directory(c1, 0, "/nope", &kids));
}

TEST(simxen_store, rm_is_recursive)
{
    s.write(c1, 0, "/r/a/b/c", "x");
    s.write(c1, 0, "/r/a/d", "y");
    size_t before = s.node_count();
    LONGS_EQUAL(0, s.rm(c1, 0, "/r/a"));
    LONGS_EQUAL(before - 4, s.node_count());
    std::string v;
    LONGS_EQUAL(ENOENT, s.read(c1, 0, "/r/a/b/c", &v));
    std::vector<std::string> kids;
    LONGS_EQUAL(0, s.directory(c1, 0, "/r", &kids));
    LONGS_EQUAL(0, kids.size());
    // xenstored: missing node under an existing parent is fine.
    LONGS_EQUAL(0, s.rm(c1, 0, "/r/a"));
    LONGS_EQUAL(ENOENT, s.rm(c1, 0, "/r/a/b"));
    LONGS_EQUAL(EINVAL, s.rm(c1, 0, "/"));
}

TEST(simxen_store, watch_fires_initially_and_on_subpath_writes)
{
    LONGS_EQUAL(0, s.watch(c1, "/w", 0, "tok"));
    auto ev = event_paths(c1);
    LONGS_EQUAL(1, ev.size());
    STRCMP_EQUAL("/w|tok", ev[0].c_str());

    s.write(c2, 0, "/w/x/y", "1");
    ev = event_paths(c1);
    LONGS_EQUAL(1, ev.size());
    STRCMP_EQUAL("/w/x/y|tok", ev[0].c_str());

    s.write(c2, 0, "/wother", "1");     // Not below /w.
    LONGS_EQUAL(0, event_paths(c1).size());

    LONGS_EQUAL(EEXIST, s.watch(c1, "/w", 0, "tok"));
    LONGS_EQUAL(0, s.unwatch(c1, "/w", "tok"));
    LONGS_EQUAL(ENOENT, s.unwatch(c1, "/w", "tok"));
    s.write(c2, 0, "/w/x/y", "2");
    LONGS_EQUAL(0, event_paths(c1).size());
}

TEST(simxen_store, rm_of_ancestor_fires_watches_below_it)
{
    s.write(c1, 0, "/p/q/r", "1");
    s.watch(c1, "/p/q/r", 0, "deep");
    s.watch(c1, "/p", 0, "top");
    s.take_events();
    s.rm(c2, 0, "/p/q");
    auto ev = event_paths(c1);
    LONGS_EQUAL(2, ev.size());
    STRCMP_EQUAL("/p/q/r|deep", ev[0].c_str());
    STRCMP_EQUAL("/p/q|top", ev[1].c_str());
}

TEST(simxen_store, relative_watches_report_relative_paths)
{
    std::string abs;
    size_t strip;
    resolve_path("device", 0, &abs, &strip);
    s.watch(c1, abs, strip, "rel");
    auto ev = event_paths(c1);
    STRCMP_EQUAL("device|rel", ev[0].c_str());
    s.write(c2, 0, "/local/domain/0/device/vif", "");
    ev = event_paths(c1);
    STRCMP_EQUAL("device/vif|rel", ev[0].c_str());
}

TEST(simxen_store, special_watches_fire_only_on_their_event)
{
    s.watch(c1, "@releaseDomain", 0, "rel");
    s.take_events();
    s.write(c2, 0, "/x", "1");
    LONGS_EQUAL(0, event_paths(c1).size());
    s.fire_special("@releaseDomain");
    auto ev = event_paths(c1);
    LONGS_EQUAL(1, ev.size());
    STRCMP_EQUAL("@releaseDomain|rel", ev[0].c_str());
}

TEST(simxen_store, watch_count_is_bounded)
{
    for (size_t i = 0; i < xs_max_watches_per_conn; i++) {
        LONGS_EQUAL(0, s.watch(c1, "/w", 0, std::to_string(i)));
    }
    LONGS_EQUAL(E2BIG, s.watch(c1, "/w", 0, "one-too-many"));
    LONGS_EQUAL(0, s.watch(c2, "/w", 0, "other-conn"));
    s.drop_connection(c1);
    LONGS_EQUAL(0, s.watch(c1, "/w", 0, "again"));
}

TEST(simxen_store, transaction_is_isolated_until_commit)
{
    s.watch(c2, "/t", 0, "w");
    s.take_events();
    uint32_t tx;
    LONGS_EQUAL(0, s.transaction_start(c1, &tx));
    LONGS_EQUAL(0, s.write(c1, tx, "/t/a", "1"));
    std::string v;
    LONGS_EQUAL(0, s.read(c1, tx, "/t/a", &v));
    LONGS_EQUAL(ENOENT, s.read(c2, 0, "/t/a", &v));
    LONGS_EQUAL(ENOENT, s.read(c2, tx, "/t/a", &v));    // Not c2's.
    LONGS_EQUAL(0, event_paths(c2).size());
    LONGS_EQUAL(0, s.transaction_end(c1, tx, true));
    LONGS_EQUAL(0, s.read(c2, 0, "/t/a", &v));
    STRCMP_EQUAL("1", v.c_str());
    auto ev = event_paths(c2);
    LONGS_EQUAL(1, ev.size());
    STRCMP_EQUAL("/t/a|w", ev[0].c_str());
    LONGS_EQUAL(ENOENT, s.transaction_end(c1, tx, true));
}

TEST(simxen_store, transaction_abort_discards)
{
    uint32_t tx;
    s.transaction_start(c1, &tx);
    s.write(c1, tx, "/ab", "1");
    LONGS_EQUAL(0, s.transaction_end(c1, tx, false));
    std::string v;
    LONGS_EQUAL(ENOENT, s.read(c1, 0, "/ab", &v));
}

TEST(simxen_store, conflicting_transaction_gets_eagain)
{
    s.write(c1, 0, "/c/state", "1");
    uint32_t tx;
    s.transaction_start(c1, &tx);
    std::string v;
    s.read(c1, tx, "/c/state", &v);
    s.write(c1, tx, "/c/other", "x");
    s.write(c2, 0, "/c/state", "2");    // Changes what tx read.
    LONGS_EQUAL(EAGAIN, s.transaction_end(c1, tx, true));
    LONGS_EQUAL(ENOENT, s.read(c1, 0, "/c/other", &v));

    // Unrelated changes do not conflict.
    s.transaction_start(c1, &tx);
    s.read(c1, tx, "/c/state", &v);
    s.write(c1, tx, "/c/other", "y");
    s.write(c2, 0, "/elsewhere", "z");
    LONGS_EQUAL(0, s.transaction_end(c1, tx, true));
    LONGS_EQUAL(0, s.read(c1, 0, "/c/other", &v));
    STRCMP_EQUAL("y", v.c_str());
}

TEST(simxen_store, transactions_per_connection_are_bounded)
{
    uint32_t tx;
    for (size_t i = 0; i < xs_max_transactions_per_conn; i++) {
        LONGS_EQUAL(0, s.transaction_start(c1, &tx));
    }
    LONGS_EQUAL(ENOSPC, s.transaction_start(c1, &tx));
    s.drop_connection(c1);
    LONGS_EQUAL(0, s.transaction_start(c1, &tx));
}

TEST(simxen_store, perms_inherit_and_round_trip)
{
    std::vector<xs_perm> p;
    s.mkdir(c1, 0, "/vif");
    LONGS_EQUAL(0, s.set_perms(c1, 0, "/vif", {{'n', 0}, {'r', 5}}));
    s.write(c1, 0, "/vif/0", "x");
    LONGS_EQUAL(0, s.get_perms(c1, 0, "/vif/0", &p));
    LONGS_EQUAL(2, p.size());
    STRCMP_EQUAL("n0", perm_to_string(p[0]).c_str());
    STRCMP_EQUAL("r5", perm_to_string(p[1]).c_str());
    xs_perm one;
    CHECK(perm_from_string("b65535", &one));
    CHECK(!perm_from_string("x1", &one));
    CHECK(!perm_from_string("r70000", &one));
    CHECK(!perm_from_string("r", &one));
    LONGS_EQUAL(EINVAL, s.set_perms(c1, 0, "/vif", {}));
}

TEST(simxen_store, transaction_rm_and_directory_see_own_changes)
{
    s.write(c1, 0, "/q/a/b", "1");
    s.write(c1, 0, "/q/keep", "2");
    s.watch(c2, "/q/a/b", 0, "deep");
    s.take_events();
    uint32_t tx;
    s.transaction_start(c1, &tx);
    LONGS_EQUAL(0, s.rm(c1, tx, "/q/a"));
    LONGS_EQUAL(0, s.write(c1, tx, "/q/new", "3"));
    std::vector<std::string> kids;
    LONGS_EQUAL(0, s.directory(c1, tx, "/q", &kids));
    LONGS_EQUAL(2, kids.size());
    STRCMP_EQUAL("keep", kids[0].c_str());
    STRCMP_EQUAL("new", kids[1].c_str());
    LONGS_EQUAL(0, s.directory(c1, 0, "/q", &kids));    // Store unchanged.
    LONGS_EQUAL(2, kids.size());
    STRCMP_EQUAL("a", kids[0].c_str());
    LONGS_EQUAL(0, s.transaction_end(c1, tx, true));
    std::string v;
    LONGS_EQUAL(ENOENT, s.read(c1, 0, "/q/a/b", &v));
    LONGS_EQUAL(0, s.read(c1, 0, "/q/new", &v));
    auto ev = event_paths(c2);
    LONGS_EQUAL(1, ev.size());
    STRCMP_EQUAL("/q/a/b|deep", ev[0].c_str());
}

TEST(simxen_store, transaction_size_is_bounded)
{
    uint32_t tx;
    s.transaction_start(c1, &tx);
    int err = 0;
    size_t i;
    for (i = 0; i < 2 * xs_max_transaction_nodes && !err; i++) {
        err = s.write(c1, tx, "/big/" + std::to_string(i), "x");
    }
    LONGS_EQUAL(ENOSPC, err);
    CHECK(i <= xs_max_transaction_nodes);
    LONGS_EQUAL(0, s.transaction_end(c1, tx, false));

    // And across connections.
    size_t started = 0;
    err = 0;
    for (conn_id c = 10; c < 100 && !err; c++) {
        for (size_t k = 0; k < xs_max_transactions_per_conn && !err; k++) {
            err = s.transaction_start(c, &tx);
            started += !err;
        }
    }
    LONGS_EQUAL(ENOSPC, err);
    LONGS_EQUAL(xs_max_transactions, started);
}

TEST_GROUP(simxen_store_guest)
{
    xs_store s;
    const conn_id dom0 = 1, guest = 2, other = 3;

    void setup() override
    {
        s.set_conn_domain(guest, 5);
        s.set_conn_domain(other, 6);
        // What the toolstack sets up for domain 5.
        s.mkdir(dom0, 0, "/local/domain/5");
        s.set_perms(dom0, 0, "/local/domain/5", {{'n', 5}});
        s.mkdir(dom0, 0, "/local/domain/0/backend/vif/5/0");
        s.set_perms(dom0, 0, "/local/domain/0/backend/vif/5/0",
                    {{'n', 0}, {'r', 5}});
        s.write(dom0, 0, "/local/domain/0/backend/vif/5/0/state", "1");
        s.take_events();
    }
};

TEST(simxen_store_guest, guest_owns_what_it_creates_in_its_home)
{
    LONGS_EQUAL(0, s.write(guest, 0, "/local/domain/5/device/vif/0/state",
                           "1"));
    std::vector<xs_perm> p;
    LONGS_EQUAL(0, s.get_perms(guest, 0, "/local/domain/5/device/vif/0/state",
                               &p));
    LONGS_EQUAL(5, p[0].domid);
    std::string v;
    LONGS_EQUAL(0, s.read(dom0, 0, "/local/domain/5/device/vif/0/state", &v));
    LONGS_EQUAL(EACCES, s.read(other, 0, "/local/domain/5/device/vif/0/state",
                               &v));
}

TEST(simxen_store_guest, guest_reads_but_cannot_write_its_backend)
{
    std::string v;
    const char *state = "/local/domain/0/backend/vif/5/0/state";
    LONGS_EQUAL(0, s.read(guest, 0, state, &v));
    STRCMP_EQUAL("1", v.c_str());
    LONGS_EQUAL(EACCES, s.write(guest, 0, state, "6"));
    LONGS_EQUAL(EACCES, s.write(guest, 0, "/local/domain/0/backend/vif/5/0/x",
                                "evil"));
    LONGS_EQUAL(EACCES, s.rm(guest, 0, state));
    LONGS_EQUAL(EACCES, s.read(other, 0, state, &v));
    std::vector<std::string> kids;
    LONGS_EQUAL(EACCES, s.directory(guest, 0, "/local/domain/0", &kids));
    LONGS_EQUAL(EACCES, s.write(guest, 0, "/tool/x", "1"));
}

TEST(simxen_store_guest, only_the_owner_changes_perms_and_keeps_ownership)
{
    s.write(guest, 0, "/local/domain/5/data", "x");
    LONGS_EQUAL(0, s.set_perms(guest, 0, "/local/domain/5/data",
                               {{'n', 5}, {'r', 0}}));
    LONGS_EQUAL(EPERM, s.set_perms(guest, 0, "/local/domain/5/data",
                                   {{'n', 6}}));
    LONGS_EQUAL(EACCES, s.set_perms(guest, 0,
                                    "/local/domain/0/backend/vif/5/0/state",
                                    {{'n', 5}}));
}

TEST(simxen_store_guest, watch_events_need_read_access)
{
    s.watch(guest, "/local/domain/0/backend/vif/5", 0, "be");
    s.watch(other, "/local/domain/0/backend/vif/5", 0, "spy");
    s.watch(other, "@releaseDomain", 0, "rel");
    s.take_events();
    s.write(dom0, 0, "/local/domain/0/backend/vif/5/0/state", "4");
    s.fire_special("@releaseDomain");
    std::vector<watch_event> ev = s.take_events();
    LONGS_EQUAL(1, ev.size());
    LONGS_EQUAL(guest, ev[0].conn);
    STRCMP_EQUAL("be", ev[0].token.c_str());
}

TEST(simxen_store_guest, guests_have_a_node_quota)
{
    int err = 0;
    size_t made = 0;
    for (size_t i = 0; i < 2 * xs_max_nodes_per_domain && !err; i++) {
        err = s.write(guest, 0, "/local/domain/5/n" + std::to_string(i), "");
        made += !err;
    }
    LONGS_EQUAL(ENOSPC, err);
    // Its home, owned by it since the toolstack set it up, counts too.
    LONGS_EQUAL(xs_max_nodes_per_domain - 1, made);
    LONGS_EQUAL(xs_max_nodes_per_domain, s.nodes_owned(5));
    LONGS_EQUAL(0, s.write(dom0, 0, "/local/domain/0/still", "fine"));
    // Removing frees the quota.
    LONGS_EQUAL(0, s.rm(guest, 0, "/local/domain/5/n0"));
    LONGS_EQUAL(0, s.write(guest, 0, "/local/domain/5/again", ""));
    LONGS_EQUAL(0, s.rm(dom0, 0, "/local/domain/5"));
    LONGS_EQUAL(0, s.nodes_owned(5));
}

TEST(simxen_store_guest, guests_cannot_take_all_transactions)
{
    uint32_t tx;
    int err = 0;
    size_t started = 0;
    // Several guests, each within its own quota (one connection each).
    for (conn_id c = 100; c < 200 && !err; c++) {
        s.set_conn_domain(c, static_cast<linc::xen::domid_t>(c));
        for (size_t k = 0; k < xs_max_transactions_per_conn && !err; k++) {
            err = s.transaction_start(c, &tx);
            started += !err;
        }
    }
    LONGS_EQUAL(ENOSPC, err);
    LONGS_EQUAL(xs_max_transactions / 4 * 3, started);
    LONGS_EQUAL(0, s.transaction_start(dom0, &tx));
}

// One guest cannot take the guests' share of transactions (nor make the
// daemon hold that many transactions' worth of staged nodes) by opening
// more connections: xenstored's quota is per guest (its one ring).
TEST(simxen_store_guest, a_guest_has_a_transaction_quota_over_its_connections)
{
    uint32_t tx;
    int err = 0;
    size_t started = 0;
    for (conn_id c = 100; c < 108 && !err; c++) {
        s.set_conn_domain(c, 7);
        for (size_t k = 0; k < xs_max_transactions_per_conn && !err; k++) {
            err = s.transaction_start(c, &tx);
            started += !err;
        }
    }
    LONGS_EQUAL(ENOSPC, err);
    LONGS_EQUAL(xs_max_transactions_per_domain, started);
    // Other guests are not affected, and ending one frees its place.
    LONGS_EQUAL(0, s.transaction_start(guest, &tx));
    LONGS_EQUAL(0, s.transaction_end(guest, tx, false));
    LONGS_EQUAL(ENOSPC, s.transaction_start(100, &tx));
    LONGS_EQUAL(0, s.transaction_end(100, 1, false));  // Conn 100's first.
    LONGS_EQUAL(0, s.transaction_start(101, &tx));
}

TEST(simxen_store_guest, committed_transactions_count_against_the_quota)
{
    uint32_t tx;
    LONGS_EQUAL(0, s.transaction_start(guest, &tx));
    LONGS_EQUAL(0, s.write(guest, tx, "/local/domain/5/a", "1"));
    LONGS_EQUAL(0, s.write(guest, tx, "/local/domain/5/b", "1"));
    LONGS_EQUAL(1, s.nodes_owned(5));
    LONGS_EQUAL(0, s.transaction_end(guest, tx, true));
    LONGS_EQUAL(3, s.nodes_owned(5));
}

// A transaction's writes each pass the per-operation quota check, which
// counts only committed nodes: the commit checks the quota again (as
// xenstored's transaction_fix_domains() does) and, past it, fails with
// ENOSPC and changes nothing.
TEST(simxen_store_guest, a_commit_past_the_node_quota_fails)
{
    // Its home counts: leave room for 10 more nodes.
    for (size_t i = 1; i < xs_max_nodes_per_domain - 10; i++) {
        LONGS_EQUAL(0, s.write(guest, 0, "/local/domain/5/n" +
                                             std::to_string(i), ""));
    }
    LONGS_EQUAL(xs_max_nodes_per_domain - 10, s.nodes_owned(5));
    s.watch(dom0, "/local/domain/5", 0, "w");
    s.take_events();

    uint32_t tx;
    LONGS_EQUAL(0, s.transaction_start(guest, &tx));
    for (int i = 0; i < 20; i++) {
        LONGS_EQUAL(0, s.write(guest, tx, "/local/domain/5/t" +
                                              std::to_string(i), "1"));
    }
    size_t total = s.node_count();
    LONGS_EQUAL(ENOSPC, s.transaction_end(guest, tx, true));
    LONGS_EQUAL(xs_max_nodes_per_domain - 10, s.nodes_owned(5));
    LONGS_EQUAL(total, s.node_count());
    std::string v;
    LONGS_EQUAL(ENOENT, s.read(guest, 0, "/local/domain/5/t0", &v));
    LONGS_EQUAL(0, s.take_events().size());
    // The failed commit ended the transaction, as in xenstored.
    LONGS_EQUAL(ENOENT, s.transaction_end(guest, tx, false));

    // Up to the quota, a commit goes through; rewriting existing nodes and
    // removing some in the same transaction count as they should.
    LONGS_EQUAL(0, s.transaction_start(guest, &tx));
    for (int i = 0; i < 12; i++) {
        LONGS_EQUAL(0, s.write(guest, tx, "/local/domain/5/t" +
                                              std::to_string(i), "1"));
    }
    LONGS_EQUAL(0, s.write(guest, tx, "/local/domain/5/n1", "rewritten"));
    LONGS_EQUAL(0, s.rm(guest, tx, "/local/domain/5/n2"));
    LONGS_EQUAL(0, s.rm(guest, tx, "/local/domain/5/n3"));
    LONGS_EQUAL(0, s.transaction_end(guest, tx, true));
    LONGS_EQUAL(xs_max_nodes_per_domain, s.nodes_owned(5));
    LONGS_EQUAL(0, s.read(guest, 0, "/local/domain/5/t11", &v));
}

// The guests' share of the whole store is checked at commit too; dom0's
// transactions only against the store's size.
TEST(simxen_store_guest, a_commit_past_the_store_limits_fails)
{
    size_t room = 5;
    for (size_t i = 0; s.node_count() < xs_max_nodes / 4 * 3 - room; i++) {
        LONGS_EQUAL(0, s.write(dom0, 0, "/fill/" + std::to_string(i), ""));
    }
    uint32_t tx;
    LONGS_EQUAL(0, s.transaction_start(guest, &tx));
    for (size_t i = 0; i < 2 * room; i++) {
        LONGS_EQUAL(0, s.write(guest, tx, "/local/domain/5/t" +
                                              std::to_string(i), ""));
    }
    size_t total = s.node_count();
    LONGS_EQUAL(ENOSPC, s.transaction_end(guest, tx, true));
    LONGS_EQUAL(total, s.node_count());
    LONGS_EQUAL(1, s.nodes_owned(5));

    for (size_t i = 0; s.node_count() < xs_max_nodes - room; i++) {
        LONGS_EQUAL(0, s.write(dom0, 0, "/more/" + std::to_string(i), ""));
    }
    LONGS_EQUAL(0, s.transaction_start(dom0, &tx));
    for (size_t i = 0; i < 2 * room; i++) {
        LONGS_EQUAL(0, s.write(dom0, tx, "/local/domain/0/t" +
                                             std::to_string(i), ""));
    }
    total = s.node_count();
    LONGS_EQUAL(ENOSPC, s.transaction_end(dom0, tx, true));
    LONGS_EQUAL(total, s.node_count());
    // Within the limit, dom0 commits.
    LONGS_EQUAL(0, s.transaction_start(dom0, &tx));
    LONGS_EQUAL(0, s.write(dom0, tx, "/local/domain/0/t", ""));
    LONGS_EQUAL(0, s.transaction_end(dom0, tx, true));
}
