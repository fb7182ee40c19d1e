// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.

#include "utilities/simxen/daemon.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "utilities/simxen/hypervisor.h"
#include "utilities/simxen/protocol.h"
#include "utilities/simxen/unique-fd.h"
#include "utilities/simxen/xs-requests.h"
#include "utilities/simxen/xs-store.h"
#include "utilities/simxen/xs-wire.h"

namespace linc::xen::simxen {

namespace {

// A client that stops reading its watch events is dropped rather than
// letting it grow our memory without bound.
constexpr size_t max_output_bytes = 1 << 20;
constexpr size_t max_connections = 256;           // dom0's, and control.
// A guest's (on each of its sockets), so that no guest can use up dom0's
// connections.
constexpr size_t max_guest_connections = 8;

int listen_unix(const std::string &path, int type, unique_fd *out)
{
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    if (path.size() >= sizeof sun.sun_path) {
        return ENAMETOOLONG;
    }
    memcpy(sun.sun_path, path.c_str(), path.size() + 1);
    unique_fd fd(socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) {
        return errno;
    }
    // A socket someone still answers on belongs to a running simxen: do
    // not steal it.  A stale one (nobody listening) is replaced.
    {
        unique_fd probe(socket(AF_UNIX, type | SOCK_CLOEXEC, 0));
        if (probe && connect(probe.get(), reinterpret_cast<sockaddr *>(&sun),
                             sizeof sun) == 0) {
            return EADDRINUSE;
        }
    }
    unlink(path.c_str());
    if (bind(fd.get(), reinterpret_cast<sockaddr *>(&sun), sizeof sun) < 0 ||
        chmod(path.c_str(), 0600) < 0 || listen(fd.get(), 64) < 0) {
        return errno;
    }
    *out = std::move(fd);
    return 0;
}


}  // namespace

class daemon_impl {
public:
    ~daemon_impl();
    int init(const std::string &dir);

    std::string dir;
    event_base *base = nullptr;
    unique_fd stop_fd;
    std::function<void(const std::string &)> log;

private:
    // Heap-allocated so libevent callbacks can hold a stable pointer; it
    // dies with its bufferevent, after which no callback can fire.
    struct xs_conn {
        daemon_impl *d;
        conn_id id;
        bufferevent *bev;
        domid_t dom;            // Who the connection acts as.
    };
    // A guest's own sockets, <dir>/xenstored.<domid> and
    // <dir>/control.<domid>: their clients act as that domain, as a guest's
    // xenstore ring and hypercalls would.
    struct guest_listener {
        daemon_impl *d;
        domid_t dom;
        unique_fd xs_fd;
        event *xs_ev = nullptr;
        unique_fd ctl_fd;
        event *ctl_ev = nullptr;
    };
    struct ctl_conn {
        unique_fd fd;
        event *ev;
        // Of <dir>/control (any domain); else of <dir>/control.<dom>.
        bool privileged;
        domid_t dom;
        bool doomed;            // Its domain is gone: close after replying.
        // What the connection holds, released when it closes: the ports it
        // bound with evtchn_bind_interdomain (domain, port) and its
        // grant_map pins.
        std::vector<std::pair<domid_t, evtchn_port_t>> bound;
        struct map_pin {
            domid_t granter;
            uint64_t incarnation;
            grant_ref_t ref;
            domid_t grantee;
            bool write;
        };
        std::vector<map_pin> maps;
    };

    static void on_stop(evutil_socket_t, short, void *);
    static void on_xs_accept(evutil_socket_t, short, void *);
    static void on_guest_accept(evutil_socket_t, short, void *);
    void xs_accept(int listen_fd, domid_t dom);
    int open_guest_socket(domid_t dom);
    void close_guest(domid_t dom);
    static void on_xs_read(bufferevent *, void *);
    static void on_xs_event(bufferevent *, short, void *);
    static void on_ctl_accept(evutil_socket_t, short, void *);
    static void on_guest_ctl_accept(evutil_socket_t, short, void *);
    void ctl_accept(int listen_fd, bool privileged, domid_t dom);
    static void on_ctl_read(evutil_socket_t, short, void *);

    void note(const std::string &msg)
    {
        if (log) {
            log(msg);
        }
    }
    void xs_close(conn_id id);
    void xs_input(xs_conn *c);
    std::string xs_handle(conn_id id, const xsd_sockmsg &hdr,
                          const char *payload);
    void deliver_events();

    void ctl_close(int fd);
    void forget_ports(domid_t dom, evtchn_port_t port);
    void ctl_handle(ctl_conn &c, const ctl_request &req,
                    ctl_reply *rep, std::vector<int> *fds);

    unique_fd xs_listen_, ctl_listen_;
    std::vector<event *> events_;
    std::map<conn_id, std::unique_ptr<xs_conn>> xs_conns_;
    std::map<int, ctl_conn> ctl_conns_;
    int serving_ctl_ = -1;      // The control connection being answered.
    std::map<domid_t, std::unique_ptr<guest_listener>> guests_;
    conn_id next_conn_ = 1;
    xs_store store_;
    hypervisor hv_{&store_};
    xs_requests requests_{&store_,
                          [this](domid_t d) { return hv_.domain_alive(d); }};
};

daemon_impl::~daemon_impl()
{
    for (auto &c : xs_conns_) {
        bufferevent_free(c.second->bev);
    }
    xs_conns_.clear();
    for (auto &c : ctl_conns_) {
        event_free(c.second.ev);
    }
    ctl_conns_.clear();
    while (!guests_.empty()) {
        close_guest(guests_.begin()->first);
    }
    for (event *e : events_) {
        event_free(e);
    }
    if (base) {
        event_base_free(base);
    }
    if (xs_listen_) {
        unlink((dir + "/" + xenstored_socket_name).c_str());
    }
    if (ctl_listen_) {
        unlink((dir + "/" + control_socket_name).c_str());
    }
}

int daemon_impl::init(const std::string &d)
{
    dir = d;
    if (mkdir(dir.c_str(), 0700) < 0 && errno != EEXIST) {
        return errno;
    }
    // Peers that go away must not kill us (or a test runner hosting us).
    signal(SIGPIPE, SIG_IGN);
    int err = listen_unix(dir + "/" + xenstored_socket_name, SOCK_STREAM,
                          &xs_listen_);
    if (!err) {
        err = listen_unix(dir + "/" + control_socket_name, SOCK_SEQPACKET,
                          &ctl_listen_);
    }
    if (err) {
        return err;
    }
    stop_fd.reset(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    base = event_base_new();
    if (!stop_fd || !base) {
        return ENOMEM;
    }
    events_.push_back(event_new(base, stop_fd.get(), EV_READ | EV_PERSIST,
                                on_stop, this));
    events_.push_back(event_new(base, xs_listen_.get(), EV_READ | EV_PERSIST,
                                on_xs_accept, this));
    events_.push_back(event_new(base, ctl_listen_.get(),
                                EV_READ | EV_PERSIST, on_ctl_accept, this));
    for (event *e : events_) {
        if (!e || event_add(e, nullptr) < 0) {
            return ENOMEM;
        }
    }
    return hv_.create_domain(0, 16, 64);
}

void daemon_impl::on_stop(evutil_socket_t, short, void *arg)
{
    auto *self = static_cast<daemon_impl *>(arg);
    event_base_loopbreak(self->base);
}

// ---- xenstored ----------------------------------------------------------

void daemon_impl::on_xs_accept(evutil_socket_t fd, short, void *arg)
{
    static_cast<daemon_impl *>(arg)->xs_accept(fd, 0);
}

void daemon_impl::on_guest_accept(evutil_socket_t fd, short, void *arg)
{
    auto *g = static_cast<guest_listener *>(arg);
    g->d->xs_accept(fd, g->dom);
}

void daemon_impl::on_guest_ctl_accept(evutil_socket_t fd, short, void *arg)
{
    auto *g = static_cast<guest_listener *>(arg);
    g->d->ctl_accept(fd, false, g->dom);
}

void daemon_impl::xs_accept(int fd, domid_t dom)
{
    int c = accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c < 0) {
        return;
    }
    size_t mine = 0;
    for (const auto &x : xs_conns_) {
        mine += x.second->dom == dom;
    }
    if (mine >= (dom == 0 ? max_connections : max_guest_connections)) {
        close(c);
        return;
    }
    bufferevent *bev = bufferevent_socket_new(base, c, BEV_OPT_CLOSE_ON_FREE);
    if (!bev) {
        close(c);
        return;
    }
    conn_id id = next_conn_++;
    auto conn = std::make_unique<xs_conn>(xs_conn{this, id, bev, dom});
    bufferevent_setcb(bev, on_xs_read, nullptr, on_xs_event, conn.get());
    xs_conns_[id] = std::move(conn);
    store_.set_conn_domain(id, dom);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
}

// Domain 'dom''s own sockets, xenstored.<dom> and control.<dom>.
int daemon_impl::open_guest_socket(domid_t dom)
{
    auto g = std::make_unique<guest_listener>();
    g->d = this;
    g->dom = dom;
    const std::string xs_path = dir + "/" + guest_xenstored_name(dom);
    const std::string ctl_path = dir + "/" + guest_control_name(dom);
    int err = listen_unix(xs_path, SOCK_STREAM, &g->xs_fd);
    if (!err) {
        err = listen_unix(ctl_path, SOCK_SEQPACKET, &g->ctl_fd);
    }
    if (!err) {
        g->xs_ev = event_new(base, g->xs_fd.get(), EV_READ | EV_PERSIST,
                             on_guest_accept, g.get());
        g->ctl_ev = event_new(base, g->ctl_fd.get(), EV_READ | EV_PERSIST,
                              on_guest_ctl_accept, g.get());
        if (!g->xs_ev || !g->ctl_ev || event_add(g->xs_ev, nullptr) < 0 ||
            event_add(g->ctl_ev, nullptr) < 0) {
            err = ENOMEM;
        }
    }
    if (err) {
        for (event *e : {g->xs_ev, g->ctl_ev}) {
            if (e) {
                event_free(e);
            }
        }
        // Only what we bound: a socket we refused (EADDRINUSE) is another
        // daemon's.
        if (g->xs_fd) {
            unlink(xs_path.c_str());
        }
        if (g->ctl_fd) {
            unlink(ctl_path.c_str());
        }
        return err;
    }
    guests_[dom] = std::move(g);
    return 0;
}

// The domain is gone: so are its sockets and their connections.  The
// control connection being answered (the domain shutting itself down)
// closes once it has its reply.
void daemon_impl::close_guest(domid_t dom)
{
    auto it = guests_.find(dom);
    if (it != guests_.end()) {
        event_free(it->second->xs_ev);
        event_free(it->second->ctl_ev);
        unlink((dir + "/" + guest_xenstored_name(dom)).c_str());
        unlink((dir + "/" + guest_control_name(dom)).c_str());
        guests_.erase(it);
    }
    std::vector<conn_id> doomed;
    for (const auto &c : xs_conns_) {
        if (c.second->dom == dom) {
            doomed.push_back(c.first);
        }
    }
    for (conn_id id : doomed) {
        xs_close(id);
    }
    std::vector<int> ctl_doomed;
    for (auto &c : ctl_conns_) {
        if (!c.second.privileged && c.second.dom == dom) {
            if (c.first == serving_ctl_) {
                c.second.doomed = true;
            } else {
                ctl_doomed.push_back(c.first);
            }
        }
    }
    for (int fd : ctl_doomed) {
        ctl_close(fd);
    }
}

void daemon_impl::xs_close(conn_id id)
{
    auto it = xs_conns_.find(id);
    if (it != xs_conns_.end()) {
        bufferevent_free(it->second->bev);
        xs_conns_.erase(it);
        store_.drop_connection(id);
    }
}

void daemon_impl::on_xs_event(bufferevent *, short what, void *arg)
{
    auto *c = static_cast<xs_conn *>(arg);
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
        c->d->xs_close(c->id);
    }
}

void daemon_impl::on_xs_read(bufferevent *, void *arg)
{
    auto *c = static_cast<xs_conn *>(arg);
    c->d->xs_input(c);
}

void daemon_impl::xs_input(xs_conn *c)
{
    conn_id id = c->id;
    evbuffer *in = bufferevent_get_input(c->bev);
    std::string msg;
    for (;;) {
        size_t avail = evbuffer_get_length(in);
        unsigned char *hdr_bytes = evbuffer_pullup(
            in, static_cast<ssize_t>(std::min(avail, xs_header_size)));
        xsd_sockmsg hdr;
        size_t len = 0;
        int err = xs_decode_header(hdr_bytes, avail, &hdr, &len);
        if (err == EAGAIN) {
            break;
        } else if (err) {
            xs_close(id);       // Oversized: the stream is unusable.
            note("xenstored: dropped a client that sent an oversized message");
            return;
        }
        msg.resize(len);
        evbuffer_remove(in, msg.data(), len);
        std::string reply = xs_handle(id, hdr, msg.data() + xs_header_size);
        evbuffer *out = bufferevent_get_output(c->bev);
        if (evbuffer_get_length(out) + reply.size() > max_output_bytes) {
            xs_close(id);       // Pipelining without reading replies.
            note("xenstored: dropped a client that does not read replies");
            deliver_events();
            return;
        }
        evbuffer_add(out, reply.data(), reply.size());
        deliver_events();
        if (!xs_conns_.count(id)) {
            return;             // Dropped while delivering.
        }
    }
}

void daemon_impl::deliver_events()
{
    std::vector<conn_id> overflow;
    for (const watch_event &e : store_.take_events()) {
        auto it = xs_conns_.find(e.conn);
        if (it == xs_conns_.end()) {
            continue;
        }
        std::string payload = xs_nul_terminated(e.path) + xs_nul_terminated(e.token);
        std::string msg;
        xs_encode(XS_WATCH_EVENT, 0, 0, payload, &msg);
        evbuffer *out = bufferevent_get_output(it->second->bev);
        if (evbuffer_get_length(out) + msg.size() > max_output_bytes) {
            overflow.push_back(e.conn);
            continue;
        }
        evbuffer_add(out, msg.data(), msg.size());
    }
    for (conn_id id : overflow) {
        xs_close(id);
        note("xenstored: dropped a client that does not read watch events");
    }
}

std::string daemon_impl::xs_handle(conn_id id, const xsd_sockmsg &hdr,
                                   const char *payload)
{
    auto it = xs_conns_.find(id);
    domid_t dom = it == xs_conns_.end() ? 0 : it->second->dom;
    return requests_.serve(id, dom, hdr, payload);
}

// ---- control ------------------------------------------------------------

void daemon_impl::on_ctl_accept(evutil_socket_t fd, short, void *arg)
{
    static_cast<daemon_impl *>(arg)->ctl_accept(fd, true, 0);
}

void daemon_impl::ctl_accept(int fd, bool privileged, domid_t dom)
{
    int c = accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c < 0) {
        return;
    }
    size_t mine = 0;
    for (const auto &x : ctl_conns_) {
        mine += x.second.privileged == privileged &&
                (privileged || x.second.dom == dom);
    }
    if (mine >= (privileged ? max_connections : max_guest_connections)) {
        close(c);
        return;
    }
    event *ev = event_new(base, c, EV_READ | EV_PERSIST, on_ctl_read, this);
    if (!ev || event_add(ev, nullptr) < 0) {
        if (ev) {
            event_free(ev);
        }
        close(c);
        return;
    }
    ctl_conns_[c] = {unique_fd(c), ev, privileged, dom, false, {}, {}};
}

// Closing a connection releases what it held, as Linux's evtchn and gntdev
// devices do for a process that exits or dies: its bound ports are closed
// (their peers wait unbound for the domain to bind them again) and its
// grant mappings unpinned.  A backend that is killed and restarted thus
// finds its guests' grants and event channels as Xen would leave them.
void daemon_impl::ctl_close(int fd)
{
    auto it = ctl_conns_.find(fd);
    if (it == ctl_conns_.end()) {
        return;
    }
    ctl_conn c = std::move(it->second);
    event_free(c.ev);
    ctl_conns_.erase(it);
    for (const auto &b : c.bound) {
        if (!hv_.unbind(b.first, b.second)) {
            note("domain " + std::to_string(b.first) + " port " +
                 std::to_string(b.second) + " closed with its connection");
        }
    }
    for (const auto &m : c.maps) {
        hv_.map_unpin(m.granter, m.incarnation, m.ref, m.write);
    }
    if (!c.maps.empty()) {
        note(std::to_string(c.maps.size()) +
             " grant mapping(s) dropped with their connection");
    }
}

// Port 'port' of 'dom' was closed (or, with port 0, every port of 'dom'
// went with it): no connection holds it any more.
void daemon_impl::forget_ports(domid_t dom, evtchn_port_t port)
{
    for (auto &kv : ctl_conns_) {
        auto &v = kv.second.bound;
        v.erase(std::remove_if(v.begin(), v.end(),
                               [&](const std::pair<domid_t, evtchn_port_t> &b) {
                                   return b.first == dom &&
                                          (!port || b.second == port);
                               }),
                v.end());
    }
}

void daemon_impl::on_ctl_read(evutil_socket_t fd, short, void *arg)
{
    auto *self = static_cast<daemon_impl *>(arg);
    ctl_request req;
    char buf[sizeof req + 1];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        return;
    }
    if (n <= 0) {
        self->ctl_close(fd);
        return;
    }
    ctl_reply rep{};
    std::vector<int> fds;
    if (static_cast<size_t>(n) != sizeof req) {
        rep.err = EINVAL;
    } else {
        memcpy(&req, buf, sizeof req);
        self->serving_ctl_ = fd;
        self->ctl_handle(self->ctl_conns_.at(fd), req, &rep, &fds);
        self->serving_ctl_ = -1;
    }
    if (fds.size() > ctl_max_fds) {
        rep.err = EIO;          // Never: more than a reply can carry.
    }
    if (rep.err) {
        for (int f : fds) {
            close(f);
        }
        fds.clear();
    }
    rep.nfds = static_cast<uint32_t>(fds.size());

    iovec iov{&rep, sizeof rep};
    msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(int) * ctl_max_fds)];
    if (!fds.empty()) {
        mh.msg_control = cbuf;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
        cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
        memcpy(CMSG_DATA(cm), fds.data(), sizeof(int) * fds.size());
    }
    ssize_t sent = sendmsg(fd, &mh, MSG_NOSIGNAL);
    for (int f : fds) {
        close(f);
    }
    auto it = self->ctl_conns_.find(fd);
    if (sent != static_cast<ssize_t>(sizeof rep) ||
        (it != self->ctl_conns_.end() && it->second.doomed)) {
        // A client that does not read its replies, or a domain's
        // connection that outlived its domain.
        self->ctl_close(fd);
    }
    self->deliver_events();     // Domain creation/destruction fire watches.
}

void daemon_impl::ctl_handle(ctl_conn &c, const ctl_request &req,
                             ctl_reply *rep, std::vector<int> *fds)
{
    // A domain's own socket: that domain and nothing else, and no domain
    // building (the toolstack's).  It may shut itself down.
    if (!c.privileged &&
        (req.domid != c.dom ||
         req.op == static_cast<uint32_t>(ctl_op::create_domain))) {
        rep->err = EPERM;
        return;
    }
    if (req.domid > 0xffff) {
        rep->err = EINVAL;
        return;
    }
    domid_t dom = static_cast<domid_t>(req.domid);
    evtchn_port_t port = 0;
    switch (static_cast<ctl_op>(req.op)) {
    case ctl_op::create_domain:
        rep->err = hv_.create_domain(dom, req.a, req.b);
        if (!rep->err && (rep->err = open_guest_socket(dom)) != 0) {
            hv_.destroy_domain(dom);
        }
        if (!rep->err) {
            note("domain " + std::to_string(dom) + " created: " +
                 std::to_string(req.a) + " pages, " + std::to_string(req.b) +
                 " grant entries");
        }
        break;
    case ctl_op::destroy_domain:
        rep->err = req.a > 1 ? EINVAL : hv_.destroy_domain(dom, req.a == 1);
        if (!rep->err) {
            forget_ports(dom, 0);
            close_guest(dom);
            requests_.forget_domain(dom);
            note("domain " + std::to_string(dom) + " destroyed");
        }
        break;
    case ctl_op::get_domain:
        // The active grant table is the backends' (privileged) only.
        rep->err = hv_.get_domain(dom, c.privileged, &rep->v0, &rep->v1,
                                  fds);
        break;
    case ctl_op::domain_alive:
        rep->v0 = hv_.domain_alive(dom);
        break;
    case ctl_op::evtchn_alloc_unbound:
        rep->err = req.a > 0xffff ? EINVAL
                   : hv_.alloc_unbound(dom, static_cast<domid_t>(req.a),
                                       &port, fds);
        rep->v0 = port;
        break;
    case ctl_op::evtchn_bind_interdomain:
        rep->err = req.a > 0xffff ? EINVAL
                   : hv_.bind_interdomain(dom, static_cast<domid_t>(req.a),
                                          req.b, &port, fds);
        rep->v0 = port;
        if (!rep->err) {
            c.bound.emplace_back(dom, port);
        }
        break;
    case ctl_op::evtchn_notify:
        rep->err = hv_.notify(dom, req.a);
        break;
    case ctl_op::evtchn_unbind:
        rep->err = hv_.unbind(dom, req.a);
        if (!rep->err) {
            forget_ports(dom, req.a);
        }
        break;
    case ctl_op::grant_map:
    case ctl_op::grant_unmap: {
        const uint32_t flags = req.a & ~0xffffu;
        const domid_t granter = static_cast<domid_t>(req.a & 0xffff);
        const bool write = flags & ctl_grant_map_write;
        if (!c.privileged) {
            rep->err = EPERM;       // Grant maps are the backends'.
            break;
        }
        if (flags & ~ctl_grant_map_write) {
            rep->err = EINVAL;
            break;
        }
        if (static_cast<ctl_op>(req.op) == ctl_op::grant_map) {
            uint32_t frame = 0;
            uint64_t inc = 0;
            rep->err = hv_.map_pin(granter, req.b, dom, write, &frame, &inc);
            if (!rep->err) {
                c.maps.push_back({granter, inc, req.b, dom, write});
                rep->v0 = frame;
            }
            break;
        }
        auto m = std::find_if(c.maps.begin(), c.maps.end(),
                              [&](const ctl_conn::map_pin &x) {
                                  return x.granter == granter &&
                                         x.ref == req.b && x.grantee == dom &&
                                         x.write == write;
                              });
        if (m == c.maps.end()) {
            rep->err = EINVAL;
            break;
        }
        hv_.map_unpin(m->granter, m->incarnation, m->ref, m->write);
        c.maps.erase(m);
        break;
    }
    default:
        rep->err = ENOSYS;
        break;
    }
}

// ---- simxen_daemon ------------------------------------------------------

int simxen_daemon::create(const std::string &dir,
                          std::unique_ptr<simxen_daemon> *out)
{
    std::unique_ptr<simxen_daemon> d(new simxen_daemon);
    d->impl_ = std::make_unique<daemon_impl>();
    int err = d->impl_->init(dir);
    if (err) {
        return err;
    }
    *out = std::move(d);
    return 0;
}

simxen_daemon::~simxen_daemon() = default;

int simxen_daemon::run()
{
    return event_base_dispatch(impl_->base) < 0 ? EIO : 0;
}

void simxen_daemon::set_log(std::function<void(const std::string &)> log)
{
    impl_->log = std::move(log);
}

void simxen_daemon::stop()
{
    uint64_t one = 1;
    ssize_t n = write(impl_->stop_fd.get(), &one, sizeof one);
    (void) n;       // A full counter already means "stop".
}

std::string simxen_daemon::xenstored_path() const
{
    return impl_->dir + "/" + xenstored_socket_name;
}

std::string simxen_daemon::control_path() const
{
    return impl_->dir + "/" + control_socket_name;
}

}  // namespace linc::xen::simxen
