// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// Runs a simxen daemon on a thread of the test process, in a fresh
// temporary socket directory, for the duration of one test.

#ifndef TESTS_UNIT_SIMXEN_FIXTURE_H
#define TESTS_UNIT_SIMXEN_FIXTURE_H 1

#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <thread>

#include "utilities/simxen/daemon.h"

struct simxen_fixture {
    std::unique_ptr<linc::xen::simxen::simxen_daemon> daemon;
    std::thread thread;
    std::string dir;

    // Returns an errno.
    int start()
    {
        // The daemon's descriptors (two eventfds per port) count against
        // this process: use the whole allowance, as the daemon itself does.
        rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
            rl.rlim_cur = rl.rlim_max;
            setrlimit(RLIMIT_NOFILE, &rl);
        }
        char tmpl[] = "/tmp/simxen-test-XXXXXX";
        if (!mkdtemp(tmpl)) {
            return errno;
        }
        dir = tmpl;
        int err = linc::xen::simxen::simxen_daemon::create(dir, &daemon);
        if (err) {
            return err;
        }
        thread = std::thread([this] { daemon->run(); });
        return 0;
    }

    void stop()
    {
        if (daemon) {
            daemon->stop();
            thread.join();
            daemon.reset();
        }
        if (!dir.empty()) {
            rmdir(dir.c_str());
            dir.clear();
        }
    }

    std::string control() const { return dir + "/control"; }
    std::string xenstored() const { return dir + "/xenstored"; }
};

#endif
