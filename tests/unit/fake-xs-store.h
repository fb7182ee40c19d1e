// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// An in-memory xenstore for the handshake's tests and fuzzer: one map of
// path to value, watches fired synchronously into a list that
// poll_watches() drains.  No permissions and no transactions: what a
// guest may write is up to the test.

#ifndef LINC_TESTS_FAKE_XS_STORE_H
#define LINC_TESTS_FAKE_XS_STORE_H 1

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "netdev-xen/vif-xenbus.h"

namespace linc::xen::testing {

class fake_store final : public xs_store {
public:
    std::map<std::string, std::string> kv;
    std::set<std::pair<std::string, std::string>> watches;
    std::vector<std::pair<std::string, std::string>> fired;

    std::optional<std::string> read(const std::string &p) override
    {
        auto it = kv.find(p);
        if (it == kv.end()) {
            return std::nullopt;
        }
        return it->second;
    }
    bool write(const std::string &p, const std::string &v) override
    {
        kv[p] = v;
        fire(p);
        return true;
    }
    bool rm(const std::string &p) override
    {
        for (auto it = kv.begin(); it != kv.end();) {
            if (it->first == p || it->first.rfind(p + "/", 0) == 0) {
                it = kv.erase(it);
            } else {
                ++it;
            }
        }
        fire(p);
        return true;
    }
    std::vector<std::string> directory(const std::string &p) override
    {
        std::set<std::string> names;
        for (auto &e : kv) {
            if (e.first.rfind(p + "/", 0) == 0) {
                std::string rest = e.first.substr(p.size() + 1);
                names.insert(rest.substr(0, rest.find('/')));
            }
        }
        return {names.begin(), names.end()};
    }
    bool watch(const std::string &p, const std::string &t) override
    {
        watches.emplace(p, t);
        return true;
    }
    bool unwatch(const std::string &p, const std::string &t) override
    {
        return watches.erase({p, t}) > 0;
    }
    std::vector<std::pair<std::string, std::string>> poll_watches() override
    {
        auto out = fired;
        fired.clear();
        return out;
    }
    int fd() const override { return -1; }

private:
    void fire(const std::string &p)
    {
        for (auto &w : watches) {
            if (p == w.first || p.rfind(w.first + "/", 0) == 0) {
                fired.emplace_back(p, w.second);
            }
        }
    }
};

}  // namespace linc::xen::testing

#endif
