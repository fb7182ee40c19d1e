// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// The simxen daemon's core: one libevent loop serving the xenstored socket
// (xs_wire, for libxenstore and the xenstore-* tools), the privileged
// control socket (protocol.h), and each domain's own xenstored and control
// sockets.  main.cc wraps it as a daemon; tests run it on a thread.

#ifndef SIMXEN_DAEMON_H
#define SIMXEN_DAEMON_H 1

#include <functional>
#include <memory>
#include <string>

namespace linc::xen::simxen {

class daemon_impl;

class simxen_daemon {
public:
    // Creates 'dir' if needed (mode 0700) and listens on dir/xenstored and
    // dir/control, replacing stale sockets (EADDRINUSE if another daemon
    // still serves them); each domain created later gets
    // dir/xenstored.<domid> and dir/control.<domid>.  Domain 0 exists from the start
    // (16 pages, 64 grant entries) as the backends' home.  Returns an errno.
    static int create(const std::string &dir,
                      std::unique_ptr<simxen_daemon> *out);
    ~simxen_daemon();

    // Runs the event loop until stop(); returns 0 or an errno.
    int run();

    // Where to report domain lifecycle and dropped clients (never per
    // request).  Called on the run() thread; default: nowhere.
    void set_log(std::function<void(const std::string &)> log);

    // Makes run() return.  Safe from any thread and from a signal handler.
    void stop();

    std::string xenstored_path() const;
    std::string control_path() const;

private:
    simxen_daemon() = default;
    std::unique_ptr<daemon_impl> impl_;
};

}  // namespace linc::xen::simxen

#endif
