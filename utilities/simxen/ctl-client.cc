// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.

#include "utilities/simxen/ctl-client.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

namespace linc::xen::simxen {

int ctl_client::connect(const std::string &path)
{
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    if (path.size() >= sizeof sun.sun_path) {
        return ENAMETOOLONG;
    }
    memcpy(sun.sun_path, path.c_str(), path.size() + 1);
    unique_fd fd(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    if (!fd) {
        return errno;
    }
    if (::connect(fd.get(), reinterpret_cast<sockaddr *>(&sun),
                  sizeof sun) < 0) {
        return errno;
    }
    std::lock_guard<std::mutex> lock(mu_);
    fd_ = std::move(fd);
    return 0;
}

int ctl_client::call(const ctl_request &req, ctl_reply *rep,
                     std::vector<unique_fd> *fds)
{
    std::lock_guard<std::mutex> lock(mu_);
    if (!fd_) {
        return ENOTCONN;
    }
    if (send(fd_.get(), &req, sizeof req, MSG_NOSIGNAL) !=
        static_cast<ssize_t>(sizeof req)) {
        return errno ? errno : EIO;
    }

    iovec iov{rep, sizeof *rep};
    msghdr mh{};
    alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(int) * ctl_max_fds)];
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = cbuf;
    mh.msg_controllen = sizeof cbuf;
    ssize_t n;
    do {
        n = recvmsg(fd_.get(), &mh, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return errno;
    }

    // Take ownership of whatever arrived before judging the reply, so no
    // descriptor leaks on any path.
    std::vector<unique_fd> got;
    for (cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
            size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < k; i++) {
                int f;
                memcpy(&f, CMSG_DATA(cm) + i * sizeof(int), sizeof f);
                got.emplace_back(f);
            }
        }
    }
    if (n != static_cast<ssize_t>(sizeof *rep) || (mh.msg_flags & MSG_CTRUNC)
        || got.size() != rep->nfds) {
        return EPROTO;
    }
    if (rep->err) {
        return rep->err;
    }
    if (fds) {
        *fds = std::move(got);
    }
    return 0;
}

}  // namespace linc::xen::simxen
