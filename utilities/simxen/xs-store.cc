// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.

#include "utilities/simxen/xs-store.h"

#include <algorithm>
#include <cerrno>
#include <utility>

#include <xen/io/xs_wire.h>

namespace linc::xen::simxen {

namespace {

bool valid_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '/' || c == '_' ||
           c == '@';
}

std::string parent_of(const std::string &path)
{
    size_t slash = path.rfind('/');
    return slash == 0 ? "/" : path.substr(0, slash);
}

std::string base_of(const std::string &path)
{
    return path.substr(path.rfind('/') + 1);
}

// Whether 'b' is 'a' or lies below it.
bool is_at_or_below(const std::string &a, const std::string &b)
{
    if (a == "/") {
        return b[0] == '/';
    }
    return b.compare(0, a.size(), a) == 0 &&
           (b.size() == a.size() || b[a.size()] == '/');
}

// xenstored's access rule for an unprivileged domain.
bool may(const std::vector<xs_perm> &perms, domid_t dom, char need)
{
    if (dom == 0) {
        return true;
    }
    if (perms.empty()) {
        return false;
    }
    if (perms[0].domid == dom) {
        return true;            // The owner.
    }
    char kind = perms[0].kind;
    for (size_t i = 1; i < perms.size(); i++) {
        if (perms[i].domid == dom) {
            kind = perms[i].kind;
            break;
        }
    }
    return kind == 'b' || kind == need;
}

}  // namespace

int resolve_path(const std::string &path, domid_t domid, std::string *abs,
                 size_t *strip)
{
    if (path.empty()) {
        return EINVAL;
    }
    for (char c : path) {
        if (!valid_char(c)) {
            return EINVAL;
        }
    }
    if (path.find("//") != std::string::npos) {
        return EINVAL;
    }
    if (path[0] == '@') {
        // Special watch paths: only meaningful to watch().
        if (path.size() > XENSTORE_REL_PATH_MAX) {
            return EINVAL;
        }
        *abs = path;
        *strip = 0;
        return 0;
    }
    if (path.size() > 1 && path.back() == '/') {
        return EINVAL;
    }
    if (path[0] == '/') {
        if (path.size() > XENSTORE_ABS_PATH_MAX) {
            return EINVAL;
        }
        *abs = path;
        *strip = 0;
        return 0;
    }
    if (path.size() > XENSTORE_REL_PATH_MAX) {
        return EINVAL;
    }
    std::string prefix = "/local/domain/" + std::to_string(domid) + "/";
    *abs = prefix + path;
    *strip = prefix.size();
    return abs->size() > XENSTORE_ABS_PATH_MAX ? EINVAL : 0;
}

std::string perm_to_string(const xs_perm &p)
{
    return std::string(1, p.kind) + std::to_string(p.domid);
}

bool perm_from_string(const std::string &s, xs_perm *p)
{
    if (s.size() < 2 || s.size() > 6 ||
        (s[0] != 'n' && s[0] != 'r' && s[0] != 'w' && s[0] != 'b')) {
        return false;
    }
    unsigned long id = 0;
    for (size_t i = 1; i < s.size(); i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        id = id * 10 + (s[i] - '0');
    }
    if (id > 0xffff) {
        return false;
    }
    p->kind = s[0];
    p->domid = static_cast<domid_t>(id);
    return true;
}

xs_store::xs_store()
{
    // The tree a freshly booted xenstored offers, owned by dom0.
    for (const char *p : {"/", "/local", "/local/domain", "/tool"}) {
        node &n = nodes_[p];
        n.perms = {{'n', 0}};
        n.gen = next_gen_++;
    }
    nodes_["/"].children = {"local", "tool"};
    nodes_["/local"].children = {"domain"};
}

int xs_store::get_view(conn_id conn, uint32_t tx, view *v)
{
    v->dom = dom_of(conn);
    if (tx == 0) {
        v->tx = nullptr;
        return 0;
    }
    auto it = txs_.find(tx);
    if (it == txs_.end() || it->second.conn != conn) {
        return ENOENT;
    }
    if (it->second.accessed.size() >= xs_max_transaction_nodes) {
        return ENOSPC;
    }
    v->tx = &it->second;
    return 0;
}

void xs_store::touch(view &v, const std::string &path)
{
    if (v.tx && !v.tx->accessed.count(path)) {
        auto it = nodes_.find(path);
        v.tx->accessed.emplace(path, it == nodes_.end() ? 0 : it->second.gen);
    }
}

const xs_store::node *xs_store::find(view &v, const std::string &path)
{
    touch(v, path);
    if (v.tx) {
        auto o = v.tx->overlay.find(path);
        if (o != v.tx->overlay.end()) {
            return o->second ? &*o->second : nullptr;
        }
    }
    auto it = nodes_.find(path);
    return it == nodes_.end() ? nullptr : &it->second;
}

xs_store::node *xs_store::find_mut(view &v, const std::string &path)
{
    touch(v, path);
    if (v.tx) {
        auto o = v.tx->overlay.find(path);
        if (o != v.tx->overlay.end()) {
            return o->second ? &*o->second : nullptr;
        }
    }
    auto it = nodes_.find(path);
    if (it == nodes_.end()) {
        return nullptr;
    }
    if (!v.tx) {
        return &it->second;
    }
    std::optional<node> &copy = v.tx->overlay[path];
    copy = it->second;
    return &*copy;
}

xs_store::node *xs_store::insert(view &v, const std::string &path)
{
    touch(v, path);
    if (!v.tx) {
        return &(nodes_[path] = node());
    }
    std::optional<node> &n = v.tx->overlay[path];
    n = node();
    return &*n;
}

void xs_store::erase(view &v, const std::string &path)
{
    touch(v, path);
    if (v.tx) {
        v.tx->overlay[path] = std::nullopt;
        return;
    }
    auto it = nodes_.find(path);
    if (it != nodes_.end()) {
        account(it->second, -1);
        nodes_.erase(it);
    }
}

void xs_store::account(const node &n, int delta)
{
    if (n.perms.empty() || n.perms[0].domid == 0) {
        return;
    }
    size_t &count = owned_[n.perms[0].domid];
    count += delta;
    if (count == 0) {
        owned_.erase(n.perms[0].domid);
    }
}

int xs_store::create(view &v, const std::string &path, node **out)
{
    std::string parent_path = parent_of(path);
    node *parent = find_mut(v, parent_path);
    if (!parent) {
        int err = create(v, parent_path, &parent);
        if (err) {
            return err;
        }
    } else if (!may(parent->perms, v.dom, 'w')) {
        return EACCES;
    }
    if (nodes_.size() >= (v.dom == 0 ? xs_max_nodes : xs_max_nodes / 4 * 3)
        || (v.dom != 0 && nodes_owned(v.dom) >= xs_max_nodes_per_domain)) {
        return ENOSPC;
    }
    node *n = insert(v, path);
    // A new node inherits its parent's permissions; a guest owns what it
    // creates.
    n->perms = parent->perms;
    if (v.dom != 0 && !n->perms.empty()) {
        n->perms[0].domid = v.dom;
    }
    if (!v.tx) {
        account(*n, +1);
    }
    bump(n);
    parent->children.insert(base_of(path));
    bump(parent);
    *out = n;
    return 0;
}

void xs_store::remove_subtree(view &v, const std::string &path)
{
    const node *n = find(v, path);
    if (!n) {
        return;
    }
    std::set<std::string> children = n->children;
    for (const std::string &c : children) {
        remove_subtree(v, path == "/" ? "/" + c : path + "/" + c);
    }
    erase(v, path);
}

void xs_store::record(view &v, const std::string &path, bool recursive,
                      const std::vector<xs_perm> &perms)
{
    if (v.tx) {
        v.tx->changes.push_back({path, recursive, perms});
    } else {
        fire({path, recursive, perms});
    }
}

domid_t xs_store::dom_of(conn_id conn) const
{
    auto it = conn_dom_.find(conn);
    return it == conn_dom_.end() ? 0 : it->second;
}

void xs_store::set_conn_domain(conn_id conn, domid_t domid)
{
    conn_dom_[conn] = domid;
}

// Whether a watch event of 'path' and 'token' fits one message, as
// xenstored checks before sending ("don't try to send over-long events"):
// libxenstore refuses longer ones.
static bool event_fits(const std::string &path, const std::string &token)
{
    return path.size() + token.size() + 2 <= XENSTORE_PAYLOAD_MAX;
}

void xs_store::fire(const change &c)
{
    for (const watch_rec &w : watches_) {
        if (w.path[0] == '@') {
            continue;
        }
        const std::string *path = nullptr;
        if (is_at_or_below(w.path, c.path)) {
            path = &c.path;
        } else if (c.recursive && is_at_or_below(c.path, w.path)) {
            path = &w.path;
        } else {
            continue;
        }
        if (!may(c.perms, dom_of(w.conn), 'r')) {
            continue;
        }
        std::string reported = w.strip && path->size() > w.strip
                                   ? path->substr(w.strip) : *path;
        if (event_fits(reported, w.token)) {
            events_.push_back({w.conn, std::move(reported), w.token});
        }
    }
}

int xs_store::find_readable(conn_id conn, uint32_t tx,
                            const std::string &path, const node **out)
{
    view v;
    int err = get_view(conn, tx, &v);
    if (err) {
        return err;
    }
    const node *n = find(v, path);
    if (!n) {
        return ENOENT;
    }
    if (!may(n->perms, v.dom, 'r')) {
        return EACCES;
    }
    *out = n;
    return 0;
}

int xs_store::read(conn_id conn, uint32_t tx, const std::string &path,
                   std::string *value)
{
    const node *n;
    int err = find_readable(conn, tx, path, &n);
    if (err) {
        return err;
    }
    *value = n->value;
    return 0;
}

int xs_store::write(conn_id conn, uint32_t tx, const std::string &path,
                    const std::string &value)
{
    view v;
    int err = get_view(conn, tx, &v);
    if (err) {
        return err;
    }
    node *n = find_mut(v, path);
    if (n && !may(n->perms, v.dom, 'w')) {
        return EACCES;
    }
    if (!n && (err = create(v, path, &n)) != 0) {
        return err;
    }
    n->value = value;
    bump(n);
    record(v, path, false, n->perms);
    return 0;
}

int xs_store::mkdir(conn_id conn, uint32_t tx, const std::string &path)
{
    view v;
    int err = get_view(conn, tx, &v);
    if (err) {
        return err;
    }
    if (find(v, path)) {
        return 0;
    }
    node *n;
    if ((err = create(v, path, &n)) != 0) {
        return err;
    }
    record(v, path, false, n->perms);
    return 0;
}

int xs_store::rm(conn_id conn, uint32_t tx, const std::string &path)
{
    view v;
    int err = get_view(conn, tx, &v);
    if (err) {
        return err;
    }
    if (path == "/") {
        return EINVAL;
    }
    node *parent = find_mut(v, parent_of(path));
    const node *n = find(v, path);
    if (!n || !parent) {
        // xenstored: removing a missing node under an existing parent is
        // not an error.  (A transaction that removed the parent may still
        // see a child made outside it: that child is gone for it too.)
        return parent ? 0 : ENOENT;
    }
    if (!may(n->perms, v.dom, 'w')) {
        return EACCES;
    }
    std::vector<xs_perm> perms = n->perms;
    remove_subtree(v, path);
    parent->children.erase(base_of(path));
    bump(parent);
    record(v, path, true, perms);
    return 0;
}

int xs_store::directory(conn_id conn, uint32_t tx, const std::string &path,
                        std::vector<std::string> *children, uint64_t *gen)
{
    const node *n;
    int err = find_readable(conn, tx, path, &n);
    if (err) {
        return err;
    }
    children->assign(n->children.begin(), n->children.end());
    if (gen) {
        *gen = n->gen;
    }
    return 0;
}

int xs_store::get_perms(conn_id conn, uint32_t tx, const std::string &path,
                        std::vector<xs_perm> *perms)
{
    const node *n;
    int err = find_readable(conn, tx, path, &n);
    if (err) {
        return err;
    }
    *perms = n->perms;
    return 0;
}

int xs_store::set_perms(conn_id conn, uint32_t tx, const std::string &path,
                        const std::vector<xs_perm> &perms)
{
    if (perms.empty() || perms.size() > xs_max_perms) {
        return EINVAL;
    }
    view v;
    int err = get_view(conn, tx, &v);
    if (err) {
        return err;
    }
    node *n = find_mut(v, path);
    if (!n) {
        return ENOENT;
    }
    if (v.dom != 0) {
        if (n->perms.empty() || n->perms[0].domid != v.dom) {
            return EACCES;      // Only the owner...
        }
        if (perms[0].domid != v.dom) {
            return EPERM;       // ...and it cannot give the node away.
        }
    }
    if (!v.tx) {
        account(*n, -1);
    }
    n->perms = perms;
    if (!v.tx) {
        account(*n, +1);
    }
    bump(n);
    record(v, path, false, n->perms);
    return 0;
}

int xs_store::watch(conn_id conn, const std::string &path, size_t strip,
                    const std::string &token)
{
    size_t count = 0;
    for (const watch_rec &w : watches_) {
        if (w.conn == conn) {
            if (w.path == path && w.token == token) {
                return EEXIST;
            }
            count++;
        }
    }
    if (count >= xs_max_watches_per_conn) {
        return E2BIG;
    }
    watches_.push_back({conn, path, strip, token});
    if (event_fits(path.substr(strip), token)) {
        events_.push_back({conn, path.substr(strip), token});
    }
    return 0;
}

int xs_store::unwatch(conn_id conn, const std::string &path,
                      const std::string &token)
{
    for (auto it = watches_.begin(); it != watches_.end(); ++it) {
        if (it->conn == conn && it->path == path && it->token == token) {
            watches_.erase(it);
            return 0;
        }
    }
    return ENOENT;
}

int xs_store::transaction_start(conn_id conn, uint32_t *tx)
{
    const domid_t dom = dom_of(conn);
    size_t mine = 0, my_domain = 0, guests = 0;
    for (const auto &t : txs_) {
        domid_t d = dom_of(t.second.conn);
        mine += t.second.conn == conn;
        my_domain += d == dom;
        guests += d != 0;
    }
    bool guest = dom != 0;
    if (mine >= xs_max_transactions_per_conn ||
        txs_.size() >= xs_max_transactions ||
        (guest && (guests >= xs_max_transactions / 4 * 3 ||
                   my_domain >= xs_max_transactions_per_domain))) {
        return ENOSPC;
    }
    uint32_t id;
    do {
        id = next_tx_++;
    } while (id == 0 || txs_.count(id));
    txs_[id].conn = conn;
    *tx = id;
    return 0;
}

int xs_store::transaction_end(conn_id conn, uint32_t tx, bool commit)
{
    auto it = txs_.find(tx);
    if (tx == 0 || it == txs_.end() || it->second.conn != conn) {
        return ENOENT;
    }
    transaction t = std::move(it->second);
    txs_.erase(it);
    if (!commit) {
        return 0;
    }
    for (const auto &[path, gen] : t.accessed) {
        auto cur = nodes_.find(path);
        if ((cur == nodes_.end() ? 0 : cur->second.gen) != gen) {
            return EAGAIN;
        }
    }
    if (t.changes.empty()) {
        return 0;       // Read-only: nothing to apply.
    }
    // Each write passed create()'s quota checks against the store as it
    // was, without the transaction's other nodes: check the result as a
    // whole, as xenstored does (transaction_fix_domains()).  Past a quota
    // the commit fails with ENOSPC, as those checks do, and changes
    // nothing.
    if (int err = check_commit_quota(t, dom_of(conn)); err != 0) {
        return err;
    }
    for (auto &[path, n] : t.overlay) {
        auto cur = nodes_.find(path);
        if (cur != nodes_.end()) {
            account(cur->second, -1);
        }
        if (n) {
            account(*n, +1);
            nodes_[path] = std::move(*n);
        } else if (cur != nodes_.end()) {
            nodes_.erase(cur);
        }
    }
    for (const change &c : t.changes) {
        fire(c);
    }
    return 0;
}

int xs_store::check_commit_quota(const transaction &t, domid_t dom) const
{
    // What committing would change: the number of nodes, and the nodes
    // the committing guest owns (a guest cannot give nodes to another
    // domain, and dom0 has no per-domain quota, as in create()).
    long nodes = 0, owned = 0;
    auto owner_is = [dom](const node &n) {
        return !n.perms.empty() && n.perms[0].domid == dom;
    };
    for (const auto &[path, n] : t.overlay) {
        auto cur = nodes_.find(path);
        if (cur != nodes_.end()) {
            nodes--;
            owned -= owner_is(cur->second);
        }
        if (n) {
            nodes++;
            owned += owner_is(*n);
        }
    }
    size_t limit = dom == 0 ? xs_max_nodes : xs_max_nodes / 4 * 3;
    if (nodes > 0 && nodes_.size() + nodes > limit) {
        return ENOSPC;
    }
    if (dom != 0 && owned > 0 &&
        nodes_owned(dom) + owned > xs_max_nodes_per_domain) {
        return ENOSPC;
    }
    return 0;
}

void xs_store::fire_special(const std::string &name)
{
    for (const watch_rec &w : watches_) {
        if (w.path == name && dom_of(w.conn) == 0) {
            events_.push_back({w.conn, name, w.token});
        }
    }
}

void xs_store::reset_watches(conn_id conn)
{
    watches_.erase(std::remove_if(watches_.begin(), watches_.end(),
                                  [conn](const watch_rec &w) {
                                      return w.conn == conn;
                                  }),
                   watches_.end());
}

void xs_store::drop_connection(conn_id conn)
{
    reset_watches(conn);
    conn_dom_.erase(conn);
    for (auto it = txs_.begin(); it != txs_.end();) {
        it = it->second.conn == conn ? txs_.erase(it) : std::next(it);
    }
    events_.erase(std::remove_if(events_.begin(), events_.end(),
                                 [conn](const watch_event &e) {
                                     return e.conn == conn;
                                 }),
                  events_.end());
}

std::vector<watch_event> xs_store::take_events()
{
    return std::exchange(events_, {});
}

}  // namespace linc::xen::simxen
