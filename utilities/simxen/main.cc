// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// simxen: an emulated Xen hypervisor and xenstored for running the netif
// backend and emulated guests on a machine without Xen.  Options follow
// the other OVS daemons (--pidfile, --log-file, --detach).

#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

#include "linc-config.h"
#include "utilities/simxen/daemon.h"

namespace {

using linc::xen::simxen::simxen_daemon;

simxen_daemon *running;
FILE *log_stream = stderr;

void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void log_msg(const char *fmt, ...)
{
    char when[32];
    time_t now = time(nullptr);
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
    fprintf(log_stream, "%s|simxen|", when);
    va_list args;
    va_start(args, fmt);
    vfprintf(log_stream, fmt, args);
    va_end(args);
    fputc('\n', log_stream);
    fflush(log_stream);
}

void on_signal(int)
{
    if (running) {
        running->stop();        // Writes an eventfd: async-signal-safe.
    }
}

void usage()
{
    printf("simxen: emulated Xen hypervisor and xenstored\n"
           "usage: simxen [OPTIONS]\n"
           "  --socket=DIR      sockets directory (xenstored, control)\n"
           "                    [/var/run/simxen]\n"
           "  --pidfile=FILE    write the process id to FILE\n"
           "  --log-file=FILE   log to FILE instead of stderr\n"
           "  --detach          run in the background\n"
           "  -h, --help        this help\n"
           "  -V, --version     the version\n"
           "Clients: XENSTORED_PATH=DIR/xenstored for libxenstore and the\n"
           "xenstore-* tools; DIR/control for the hypervisor protocol as\n"
           "dom0 (toolstack, backends); DIR/xenstored.N and DIR/control.N\n"
           "act as domain N only (guests).\n");
}

// Forks; the parent exits once the child reports it is serving (or
// failed), so "simxen --detach && client" never races the sockets.
int detach(int *ready_fd)
{
    int p[2];
    if (pipe(p) < 0) {
        return errno;
    }
    pid_t pid = fork();
    if (pid < 0) {
        return errno;
    }
    if (pid > 0) {
        close(p[1]);
        char status = 1;
        ssize_t n = read(p[0], &status, 1);
        _exit(n == 1 && status == 0 ? 0 : 1);
    }
    close(p[0]);
    setsid();
    if (chdir("/") < 0) {
        return errno;
    }
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        if (log_stream != stderr) {
            dup2(fileno(log_stream), STDERR_FILENO);
        } else {
            dup2(null, STDERR_FILENO);
        }
        close(null);
    }
    *ready_fd = p[1];
    return 0;
}

std::string absolute(const std::string &path)
{
    if (path.empty() || path[0] == '/') {
        return path;
    }
    char cwd[4096];
    return getcwd(cwd, sizeof cwd) ? std::string(cwd) + "/" + path : path;
}

}  // namespace

int main(int argc, char *argv[])
{
    enum { opt_socket = 256, opt_pidfile, opt_log_file, opt_detach };
    static const option long_options[] = {
        {"socket", required_argument, nullptr, opt_socket},
        {"pidfile", required_argument, nullptr, opt_pidfile},
        {"log-file", required_argument, nullptr, opt_log_file},
        {"detach", no_argument, nullptr, opt_detach},
        {"help", no_argument, nullptr, 'h'},
        {"version", no_argument, nullptr, 'V'},
        {nullptr, 0, nullptr, 0},
    };
    std::string dir = "/var/run/simxen", pidfile, log_file;
    bool want_detach = false;
    for (int c; (c = getopt_long(argc, argv, "hV", long_options, nullptr))
                != -1;) {
        switch (c) {
        case opt_socket: dir = optarg; break;
        case opt_pidfile: pidfile = optarg; break;
        case opt_log_file: log_file = optarg; break;
        case opt_detach: want_detach = true; break;
        case 'h': usage(); return 0;
        case 'V': printf("simxen (openvswitch-linc) %s\n", PACKAGE_VERSION);
                  return 0;
        default: return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "simxen: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    // --detach changes directory: keep the paths the user meant.
    dir = absolute(dir);
    pidfile = absolute(pidfile);

    if (!log_file.empty()) {
        log_stream = fopen(log_file.c_str(), "a");
        if (!log_stream) {
            fprintf(stderr, "simxen: %s: %s\n", log_file.c_str(),
                    strerror(errno));
            return 1;
        }
    }
    int ready_fd = -1;
    if (want_detach) {
        int err = detach(&ready_fd);
        if (err) {
            log_msg("detach failed: %s", strerror(err));
            return 1;
        }
    }

    // Every event channel holds two eventfds: take the whole allowance.
    rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }

    std::unique_ptr<simxen_daemon> d;
    int err = simxen_daemon::create(dir, &d);
    if (err) {
        log_msg("cannot serve in %s: %s", dir.c_str(), strerror(err));
        return 1;
    }
    if (!pidfile.empty()) {
        FILE *f = fopen(pidfile.c_str(), "w");
        if (!f) {
            log_msg("%s: %s", pidfile.c_str(), strerror(errno));
            return 1;
        }
        fprintf(f, "%ld\n", static_cast<long>(getpid()));
        fclose(f);
    }

    d->set_log([](const std::string &msg) { log_msg("%s", msg.c_str()); });
    running = d.get();
    struct sigaction sa{};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);

    log_msg("serving xenstored on %s and control on %s",
            d->xenstored_path().c_str(), d->control_path().c_str());
    if (ready_fd >= 0) {
        char ok = 0;
        ssize_t n = write(ready_fd, &ok, 1);
        (void) n;
        close(ready_fd);
    }
    err = d->run();
    running = nullptr;
    d.reset();
    if (!pidfile.empty()) {
        unlink(pidfile.c_str());
    }
    log_msg("exiting%s%s", err ? ": " : "", err ? strerror(err) : "");
    return err ? 1 : 0;
}
