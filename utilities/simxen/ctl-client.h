// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// Client side of simxen's control socket (protocol.h), shared by the
// backend platform and the guest API.  Calls are serialised by a mutex, so
// one client may be used from several threads.

#ifndef SIMXEN_CTL_CLIENT_H
#define SIMXEN_CTL_CLIENT_H 1

#include <mutex>
#include <string>
#include <vector>

#include "utilities/simxen/protocol.h"
#include "utilities/simxen/unique-fd.h"

namespace linc::xen::simxen {

class ctl_client {
public:
    // Connects to the control socket at 'path'.  Returns an errno.
    int connect(const std::string &path);

    // Sends 'req' and waits for its reply.  Returns the transport errno, or
    // else the reply's err; '*fds' receives the reply's descriptors (owned
    // by the caller) only when the request succeeded.
    int call(const ctl_request &req, ctl_reply *rep,
             std::vector<unique_fd> *fds = nullptr);

private:
    std::mutex mu_;
    unique_fd fd_;
};

}  // namespace linc::xen::simxen

#endif
