// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// simxen's xenstore database: nodes, permissions, watches and transactions
// with xenstored's semantics, without any I/O.  The daemon's connection
// layer (daemon.cc) turns xs_wire requests into these calls and delivers
// the watch events they queue.
//
// Paths given here are absolute and already validated (resolve_path()).
// Each connection acts as a domain (set_conn_domain(), default 0).  Domain 0
// is privileged, as on the real xenstored's socket; other domains get
// xenstored's permission rules: the owner (first permission's domid) may do
// anything, others what their entry, else the first entry, grants ('r',
// 'w', 'b'oth, 'n'one); nodes a guest creates are its own; only the owner
// changes permissions and only dom0 gives a node away; watch events go only
// to domains that may read the changed node, special ones only to dom0.
//
// Transactions keep their changes apart from the store and record the
// generation of every node they read or write; commit fails with EAGAIN if
// any of those nodes changed meanwhile (xenstored's own conflict rule), so
// a committed transaction behaves as if it ran alone at commit time; and
// with ENOSPC if its result would exceed the node quotas that single
// operations are held to (each operation in a transaction is checked
// against the store without the transaction's other changes).  Either
// way the transaction ends and changes nothing.  Watch events of a
// transaction are queued only when it commits.

#ifndef SIMXEN_XS_STORE_H
#define SIMXEN_XS_STORE_H 1

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "netdev-xen/xen-platform.h"

namespace linc::xen::simxen {

using conn_id = uint64_t;

// One xenstore permission: 'n' none, 'r' read, 'w' write, 'b' both.
struct xs_perm {
    char kind;
    domid_t domid;
};

struct watch_event {
    conn_id conn;
    std::string path;
    std::string token;
};

// Limits on what a client controls.  Guests together may use only three
// quarters of the store-wide ones, so that they cannot lock dom0 out.
constexpr size_t xs_max_nodes = 20000;
constexpr size_t xs_max_watches_per_conn = 128;
constexpr size_t xs_max_transactions_per_conn = 16;
// A guest's, over all its connections (xenstored's quota is per ring).
constexpr size_t xs_max_transactions_per_domain = 16;
constexpr size_t xs_max_transactions = 128;         // All connections.
constexpr size_t xs_max_transaction_nodes = 1024;   // Touched by one.
constexpr size_t xs_max_perms = 64;
constexpr size_t xs_max_nodes_per_domain = 1000;    // Guests; xenstored's.

// Validates 'path' as sent by a client and makes it absolute: relative
// paths are under /local/domain/<domid>.  '*strip' is how many leading
// characters to remove from absolute event paths to give them back in the
// client's relative form (0 for absolute paths).  Returns 0 or EINVAL.
int resolve_path(const std::string &path, domid_t domid, std::string *abs,
                 size_t *strip);

// "n0" <-> xs_perm.
std::string perm_to_string(const xs_perm &p);
bool perm_from_string(const std::string &s, xs_perm *p);

class xs_store {
public:
    xs_store();

    // Node operations.  'tx' 0 acts on the store; otherwise on the
    // transaction 'tx', which must belong to 'conn' (else ENOENT).
    // Return 0 or an errno as xenstored would send it.
    int read(conn_id conn, uint32_t tx, const std::string &path,
             std::string *value);
    int write(conn_id conn, uint32_t tx, const std::string &path,
              const std::string &value);
    int mkdir(conn_id conn, uint32_t tx, const std::string &path);
    int rm(conn_id conn, uint32_t tx, const std::string &path);
    // '*gen' (optional) changes whenever the list of children does: the
    // generation XS_DIRECTORY_PART reports so clients can detect a listing
    // that changed between chunks.
    int directory(conn_id conn, uint32_t tx, const std::string &path,
                  std::vector<std::string> *children, uint64_t *gen = nullptr);
    int get_perms(conn_id conn, uint32_t tx, const std::string &path,
                  std::vector<xs_perm> *perms);
    int set_perms(conn_id conn, uint32_t tx, const std::string &path,
                  const std::vector<xs_perm> &perms);

    // Watches.  'path' is absolute or special ("@releaseDomain"); events
    // report paths with the first 'strip' characters removed.  A new watch
    // queues its initial event, as xenstored does.  EEXIST for a duplicate
    // (path, token), E2BIG past xs_max_watches_per_conn; unwatch: ENOENT.
    int watch(conn_id conn, const std::string &path, size_t strip,
              const std::string &token);
    int unwatch(conn_id conn, const std::string &path,
                const std::string &token);

    int transaction_start(conn_id conn, uint32_t *tx);
    int transaction_end(conn_id conn, uint32_t tx, bool commit);

    // Fires watches on a special path ("@releaseDomain").
    void fire_special(const std::string &name);

    // The domain a connection acts as (0 until set).
    void set_conn_domain(conn_id conn, domid_t domid);

    // Forgets a connection's watches, transactions and domain.
    void drop_connection(conn_id conn);
    void reset_watches(conn_id conn);

    // Takes the queued watch events, oldest first.
    std::vector<watch_event> take_events();

    size_t node_count() const { return nodes_.size(); }
    size_t nodes_owned(domid_t domid) const
    {
        auto it = owned_.find(domid);
        return it == owned_.end() ? 0 : it->second;
    }

private:
    struct node {
        std::string value;
        std::vector<xs_perm> perms;
        std::set<std::string> children;
        uint64_t gen = 0;
    };
    using node_map = std::map<std::string, node>;

    struct change {
        std::string path;
        bool recursive;     // Removal: also fires watches below 'path'.
        std::vector<xs_perm> perms;     // Who may read about it.
    };

    // Copy-on-write: only what the transaction changed is held here, so
    // its memory is bounded by what it touches, not by the store's size.
    struct transaction {
        conn_id conn;
        std::map<std::string, std::optional<node>> overlay;  // nullopt: rm'd.
        std::map<std::string, uint64_t> accessed;  // path -> gen (0: absent)
        std::vector<change> changes;
    };

    struct watch_rec {
        conn_id conn;
        std::string path;
        size_t strip;
        std::string token;
    };

    // What an operation works on: the store, or a transaction's view of
    // it (its overlay over the current store).
    struct view {
        transaction *tx;
        domid_t dom;        // Acting domain.
    };
    int get_view(conn_id conn, uint32_t tx, view *v);
    // The node at 'path' in the caller's view, if the caller may read it:
    // 0, or ENOENT / EACCES / get_view()'s errors.
    int find_readable(conn_id conn, uint32_t tx, const std::string &path,
                      const node **out);
    void touch(view &v, const std::string &path);
    const node *find(view &v, const std::string &path);
    node *find_mut(view &v, const std::string &path);
    node *insert(view &v, const std::string &path);
    void erase(view &v, const std::string &path);
    int create(view &v, const std::string &path, node **out);
    void remove_subtree(view &v, const std::string &path);
    void record(view &v, const std::string &path, bool recursive,
                const std::vector<xs_perm> &perms);
    domid_t dom_of(conn_id conn) const;
    void fire(const change &c);
    void bump(node *n) { n->gen = next_gen_++; }
    // Counts the nodes each guest owns in the store (not in transactions,
    // which xs_max_transaction_nodes bounds).
    void account(const node &n, int delta);
    // Whether committing 't' for 'dom' keeps within the node limits that
    // create() enforces: 0 or ENOSPC.
    int check_commit_quota(const transaction &t, domid_t dom) const;

    node_map nodes_;
    std::map<uint32_t, transaction> txs_;
    std::vector<watch_rec> watches_;
    std::map<conn_id, domid_t> conn_dom_;
    std::map<domid_t, size_t> owned_;
    std::vector<watch_event> events_;
    uint64_t next_gen_ = 1;
    uint32_t next_tx_ = 1;
};

}  // namespace linc::xen::simxen

#endif
