// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include <CppUTest/CommandLineTestRunner.h>
#include <CppUTest/TestPlugin.h>
#include <CppUTest/TestRegistry.h>

namespace {

// A test that hangs would otherwise spin until the CI run is killed,
// without saying which one it was: each test gets LINC_TEST_TIMEOUT
// seconds (default 300, far above the slowest test under sanitizers on a
// loaded 2-core machine), after which the process names it and aborts.
char running_test[512] = "(none)";

void on_timeout(int)
{
    static const char prefix[] = "\nlinc-unit-tests: timed out in ";
    // Only async-signal-safe calls here.
    ssize_t r = write(STDERR_FILENO, prefix, sizeof prefix - 1);
    r = write(STDERR_FILENO, running_test, strlen(running_test));
    r = write(STDERR_FILENO, "\n", 1);
    (void) r;
    signal(SIGABRT, SIG_DFL);
    abort();
}

class watchdog_plugin : public TestPlugin {
public:
    explicit watchdog_plugin(unsigned seconds)
        : TestPlugin("watchdog"), seconds_(seconds)
    {
        signal(SIGALRM, on_timeout);
    }

    void preTestAction(UtestShell &test, TestResult &) override
    {
        SimpleString name = test.getFormattedName();
        strncpy(running_test, name.asCharString(), sizeof running_test - 1);
        alarm(seconds_);
    }

    void postTestAction(UtestShell &, TestResult &) override { alarm(0); }

private:
    unsigned seconds_;
};

}  // namespace

int main(int argc, char **argv)
{
    const char *env = std::getenv("LINC_TEST_TIMEOUT");
    unsigned seconds = env ? static_cast<unsigned>(std::atoi(env)) : 300;
    watchdog_plugin watchdog(seconds ? seconds : 300);
    TestRegistry::getCurrentRegistry()->installPlugin(&watchdog);
    int rc = CommandLineTestRunner::RunAllTests(argc, argv);
    TestRegistry::getCurrentRegistry()->removePluginByName("watchdog");
    return rc;
}
