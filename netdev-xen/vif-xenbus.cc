// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.

#include "netdev-xen/vif-xenbus.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

// libxenstore's header has no C++ linkage block of its own.
extern "C" {
#include <xenstore.h>
}

namespace linc::xen {

const char *xenbus_state_name(xenbus_state s)
{
    switch (s) {
    case xenbus_state::unknown: return "Unknown";
    case xenbus_state::initialising: return "Initialising";
    case xenbus_state::init_wait: return "InitWait";
    case xenbus_state::initialised: return "Initialised";
    case xenbus_state::connected: return "Connected";
    case xenbus_state::closing: return "Closing";
    case xenbus_state::closed: return "Closed";
    case xenbus_state::reconfiguring: return "Reconfiguring";
    case xenbus_state::reconfigured: return "Reconfigured";
    }
    return "Invalid";
}

std::optional<uint64_t> parse_xs_uint(const std::optional<std::string> &s,
                                      uint64_t max)
{
    // xenstore values are guest-written bytes: digits only, bounded length,
    // no sign or whitespace that strtoull would quietly accept.
    if (!s || s->empty() || s->size() > 20) {
        return std::nullopt;
    }
    uint64_t v = 0;
    for (char c : *s) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        uint64_t d = static_cast<uint64_t>(c - '0');
        if (v > max / 10) {
            return std::nullopt;
        }
        v *= 10;
        if (d > max - v) {
            return std::nullopt;
        }
        v += d;
    }
    return v;
}

namespace {

// A "0"/"1" feature flag; absent means 'absent'.
std::optional<bool> parse_flag(const std::optional<std::string> &s,
                               bool absent)
{
    if (!s) {
        return absent;
    }
    auto v = parse_xs_uint(s, 1);
    if (!v) {
        return std::nullopt;
    }
    return *v == 1;
}

constexpr unsigned max_queues_limit = 16;

constexpr uint64_t backoff_first_ms = 100;
constexpr uint64_t backoff_max_ms = 30000;
constexpr uint64_t stable_connection_ms = 10000;

uint64_t steady_ms()
{
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now().time_since_epoch()).count());
}

}  // namespace

vif_xenbus::vif_xenbus(xs_store &xs, domid_t backend, domid_t frontend,
                       unsigned devid, const vif_features &features,
                       clock_fn clock)
    : xs_(xs), backend_(backend), frontend_(frontend), devid_(devid),
      features_(features), clock_(clock ? std::move(clock) : steady_ms)
{
    backend_path_ = "/local/domain/" + std::to_string(backend) + "/backend/vif/"
                    + std::to_string(frontend) + "/" + std::to_string(devid);
    frontend_path_ = "/local/domain/" + std::to_string(frontend)
                     + "/device/vif/" + std::to_string(devid);
    token_ = "linc-vif" + std::to_string(frontend) + "." + std::to_string(devid);
}

vif_xenbus::~vif_xenbus()
{
    if (watching_) {
        xs_.unwatch(frontend_path_ + "/state", token_);
        xs_.unwatch(backend_path_, token_);
    }
}

bool vif_xenbus::set_state(xenbus_state s)
{
    state_ = s;
    return xs_.write(backend_path_ + "/state",
                     std::to_string(static_cast<int>(s)));
}

int vif_xenbus::start()
{
    // The toolstack (xl, or simxen's guest creation) makes the backend
    // directory and says where the frontend is; we insist it is the
    // canonical place for this domain and device.
    auto fe = xs_.read(backend_path_ + "/frontend");
    if (!fe) {
        last_error_ = "no backend directory " + backend_path_;
        return ENOENT;
    }
    if (*fe != frontend_path_) {
        last_error_ = "backend says the frontend is at " + *fe
                      + ", expected " + frontend_path_;
        return EINVAL;
    }

    if (!watching_) {
        if (!xs_.watch(frontend_path_ + "/state", token_)
            || !xs_.watch(backend_path_, token_)) {
            last_error_ = "cannot watch the frontend state";
            return EIO;
        }
        watching_ = true;
    }
    last_frontend_state_ = xenbus_state::unknown;

    // A backend before us (this program, restarted after an exit, a crash
    // or kill -9) left the vif Connected, and the frontend is still
    // Connected on its rings: take them over as they are, without a word
    // in xenstore.  A new handshake would be the end of the guest's
    // network: Linux's netfront never connects again once it has seen its
    // backend leave Connected.
    if (state_ == xenbus_state::unknown) {
        auto bs = parse_xs_uint(xs_.read(backend_path_ + "/state"), 8);
        if (bs && *bs == static_cast<int>(xenbus_state::connected)
            && read_frontend_state() == xenbus_state::connected) {
            reattach_ = true;
            state_ = xenbus_state::init_wait;
            return 0;
        }
    }

    unsigned max_queues = features_.max_queues;
    if (max_queues < 1 || max_queues > max_queues_limit) {
        max_queues = 1;
    }
    const std::pair<const char *, std::string> keys[] = {
        {"feature-sg", features_.sg ? "1" : "0"},
        {"feature-gso-tcpv4", features_.gso_tcpv4 ? "1" : "0"},
        {"feature-gso-tcpv6", features_.gso_tcpv6 ? "1" : "0"},
        {"feature-ipv6-csum-offload", features_.ipv6_csum_offload ? "1" : "0"},
        {"feature-rx-copy", "1"},
        {"feature-rx-flip", "0"},
        {"feature-split-event-channels",
         features_.split_event_channels ? "1" : "0"},
        {"multi-queue-max-queues", std::to_string(max_queues)},
    };
    for (const auto &kv : keys) {
        if (!xs_.write(backend_path_ + "/" + kv.first, kv.second)) {
            last_error_ = std::string("cannot write ") + kv.first;
            return EIO;
        }
    }
    return set_state(xenbus_state::init_wait) ? 0 : EIO;
}

xenbus_state vif_xenbus::read_frontend_state()
{
    auto v = parse_xs_uint(xs_.read(frontend_path_ + "/state"), 8);
    return v ? static_cast<xenbus_state>(*v) : xenbus_state::unknown;
}

std::string quote_guest_value(const std::string &s, size_t max)
{
    // Guest-written bytes go into OVSDB (which takes only UTF-8), xenstore
    // and logs: printable ASCII passes, everything else is \xNN, and the
    // result is bounded whatever the guest wrote.
    static const char hex[] = "0123456789abcdef";
    std::string out = "\"";
    size_t i = 0;
    for (; i < s.size() && i < max; i++) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            out += static_cast<char>(c);
        } else {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    out += '"';
    if (i < s.size()) {
        out += "... (" + std::to_string(s.size()) + " bytes)";
    }
    return out;
}

bool vif_xenbus::read_queue(const std::string &dir, vif_queue_params *q,
                            std::string *why)
{
    auto tx = parse_xs_uint(xs_.read(dir + "/tx-ring-ref"), UINT32_MAX);
    auto rx = parse_xs_uint(xs_.read(dir + "/rx-ring-ref"), UINT32_MAX);
    if (!tx || !rx) {
        *why = dir + ": missing or bad tx-ring-ref/rx-ring-ref";
        return false;
    }
    q->tx_ring_ref = static_cast<grant_ref_t>(*tx);
    q->rx_ring_ref = static_cast<grant_ref_t>(*rx);

    // As netback's connect_data_rings(): the split pair if the frontend
    // wrote it, otherwise one channel for both directions.
    auto etx_s = xs_.read(dir + "/event-channel-tx");
    auto erx_s = xs_.read(dir + "/event-channel-rx");
    if (etx_s || erx_s) {
        auto etx = parse_xs_uint(etx_s, UINT32_MAX);
        auto erx = parse_xs_uint(erx_s, UINT32_MAX);
        if (!etx || !erx) {
            *why = dir + ": missing or bad event-channel-tx/event-channel-rx";
            return false;
        }
        if (!features_.split_event_channels) {
            *why = dir + ": split event channels were not offered";
            return false;
        }
        q->evtchn_tx = static_cast<evtchn_port_t>(*etx);
        q->evtchn_rx = static_cast<evtchn_port_t>(*erx);
        q->split = true;
        return true;
    }
    auto ch = parse_xs_uint(xs_.read(dir + "/event-channel"), UINT32_MAX);
    if (!ch) {
        *why = dir + ": missing or bad event-channel";
        return false;
    }
    q->evtchn_tx = q->evtchn_rx = static_cast<evtchn_port_t>(*ch);
    q->split = false;
    return true;
}

bool vif_xenbus::read_frontend(std::string *why)
{
    vif_frontend_params p;
    const std::string &fe = frontend_path_;

    // Copy mode only: page flipping is obsolete and we never offered it.
    auto rx_copy = parse_flag(xs_.read(fe + "/request-rx-copy"), false);
    if (!rx_copy || !*rx_copy) {
        *why = "frontend does not request rx-copy";
        return false;
    }

    auto sg = parse_flag(xs_.read(fe + "/feature-sg"), false);
    auto gso4 = parse_flag(xs_.read(fe + "/feature-gso-tcpv4"), false);
    auto gso6 = parse_flag(xs_.read(fe + "/feature-gso-tcpv6"), false);
    auto no_csum = parse_flag(xs_.read(fe + "/feature-no-csum-offload"), false);
    auto csum6 = parse_flag(xs_.read(fe + "/feature-ipv6-csum-offload"), false);
    auto notify = parse_flag(xs_.read(fe + "/feature-rx-notify"), false);
    if (!sg || !gso4 || !gso6 || !no_csum || !csum6 || !notify) {
        *why = "frontend feature flag is not 0 or 1";
        return false;
    }
    // A feature counts only if we offered it too.
    p.sg = *sg && features_.sg;
    p.gso_tcpv4 = *gso4 && features_.gso_tcpv4 && p.sg;
    p.gso_tcpv6 = *gso6 && features_.gso_tcpv6 && p.sg;
    p.csum_offload = !*no_csum;
    p.ipv6_csum_offload = *csum6 && features_.ipv6_csum_offload;
    p.rx_notify = *notify;

    // netif.h: a frontend that uses one queue writes its ring and event
    // channel keys at the top level "as before", whether or not it also
    // writes multi-queue-num-queues (Linux's netfront writes it, = 1,
    // whenever the backend offers multi-queue); only with more than one
    // queue do they move to queue-N/.
    uint64_t nq = 1;
    auto nq_s = xs_.read(fe + "/multi-queue-num-queues");
    if (nq_s) {
        auto v = parse_xs_uint(nq_s, max_queues_limit);
        if (!v || *v < 1) {
            *why = "bad multi-queue-num-queues "
                   + quote_guest_value(*nq_s, 32);
            return false;
        }
        if (*v > features_.max_queues) {
            *why = "frontend asks for " + std::to_string(*v)
                   + " queues, more than the "
                   + std::to_string(features_.max_queues) + " offered";
            return false;
        }
        nq = *v;
    }
    for (uint64_t i = 0; i < nq; i++) {
        vif_queue_params q;
        std::string dir = nq == 1 ? fe : fe + "/queue-" + std::to_string(i);
        if (!read_queue(dir, &q, why)) {
            return false;
        }
        p.queues.push_back(q);
    }
    params_ = p;
    return true;
}

vif_xenbus::action vif_xenbus::run()
{
    // We re-read the state whatever fired; only "rate" needs to be noted.
    for (const auto &w : xs_.poll_watches()) {
        if (w.first == backend_path_ + "/rate") {
            rate_changed_ = true;
        }
    }

    xenbus_state fs = read_frontend_state();
    bool frontend_gone = !xs_.read(frontend_path_ + "/state");
    last_frontend_state_ = fs;
    if (frontend_gone && state_ != xenbus_state::connected) {
        // The domain went away: whoever comes next is a new guest, owed
        // no backoff for the old one's faults.
        backoff_ms_ = 0;
        offer_not_before_ms_ = 0;
        offer_pending_ = false;
    }

    if (state_ == xenbus_state::connected) {
        if (frontend_gone || fs == xenbus_state::closing
            || fs == xenbus_state::closed || fs == xenbus_state::initialising
            || fs == xenbus_state::unknown) {
            set_state(xenbus_state::closing);
            return action::disconnect;
        }
        return action::none;
    }

    if (reattach_ && fs != xenbus_state::connected) {
        // The frontend left the rings we were to take over: the last
        // backend's connection is over.  Closed, then as usual.
        reattach_ = false;
        set_state(xenbus_state::closed);
    }

    switch (fs) {
    case xenbus_state::initialised:
    case xenbus_state::connected:
        if (state_ == xenbus_state::init_wait) {
            if (reattach_ && clock_() < reattach_retry_ms_) {
                break;          // See retry_reattach().
            }
            std::string why;
            if (!read_frontend(&why)) {
                failed(why);
                return action::none;
            }
            return action::connect;
        }
        break;

    case xenbus_state::initialising:
    case xenbus_state::unknown:
        // A (re)starting frontend: offer ourselves again, once any backoff
        // has run out.
        if ((state_ == xenbus_state::closed || state_ == xenbus_state::closing)
            && !frontend_gone) {
            if (clock_() < offer_not_before_ms_) {
                offer_pending_ = true;
            } else {
                offer_pending_ = false;
                start();
            }
        }
        break;

    case xenbus_state::closing:
    case xenbus_state::closed:
        if (state_ != xenbus_state::closed) {
            set_state(xenbus_state::closed);
        }
        break;

    case xenbus_state::init_wait:
    case xenbus_state::reconfiguring:
    case xenbus_state::reconfigured:
        break;
    }
    return action::none;
}

void vif_xenbus::connected()
{
    last_error_.clear();
    connected_at_ms_ = clock_();
    reattached_ = reattach_;
    if (reattach_) {
        // The key says Connected already; writing it again would fire the
        // frontend's watch for nothing.
        reattach_ = false;
        state_ = xenbus_state::connected;
        return;
    }
    set_state(xenbus_state::connected);
}

void vif_xenbus::back_off()
{
    backoff_ms_ = backoff_ms_ ? std::min(2 * backoff_ms_, backoff_max_ms)
                              : backoff_first_ms;
    offer_not_before_ms_ = clock_() + backoff_ms_;
}

bool vif_xenbus::retry_reattach(const std::string &why)
{
    if (!reattach_ || reattach_tries_ >= reattach_max_tries) {
        return false;
    }
    reattach_tries_++;
    reattach_retry_ms_ = clock_() + reattach_retry_delay_ms;
    last_error_ = why;
    return true;
}

void vif_xenbus::failed(const std::string &why)
{
    // A re-attach that fails closes the vif with the reason: the rings the
    // last backend left cannot be trusted, and guessing would be worse.
    reattach_ = false;
    last_error_ = why;
    xs_.write(backend_path_ + "/error", why);
    set_state(xenbus_state::closed);
    back_off();
}

void vif_xenbus::closed()
{
    // A connection that did not last is a flap: back off as after a
    // failure.  One that did clears the slate.
    if (state_ == xenbus_state::connected
        || state_ == xenbus_state::closing) {
        if (clock_() - connected_at_ms_ < stable_connection_ms) {
            back_off();
        } else {
            backoff_ms_ = 0;
            offer_not_before_ms_ = 0;
        }
    }
    set_state(xenbus_state::closed);
}

int64_t vif_xenbus::ms_until_offer() const
{
    uint64_t now = clock_();
    if (reattach_ && reattach_retry_ms_) {
        return now >= reattach_retry_ms_
               ? 0 : static_cast<int64_t>(reattach_retry_ms_ - now);
    }
    if (!offer_pending_) {
        return -1;
    }
    return now >= offer_not_before_ms_
           ? 0 : static_cast<int64_t>(offer_not_before_ms_ - now);
}

// ---------------------------------------------------------------------------
// vif_claimer.

vif_claimer::vif_claimer(xs_store &xs, domid_t self,
                         const vif_features &features)
    : xs_(xs), self_(self), features_(features),
      base_("/local/domain/" + std::to_string(self) + "/backend/vif")
{
}

vif_claimer::~vif_claimer()
{
    if (watching_) {
        xs_.unwatch(base_, "linc-claim");
    }
}

int vif_claimer::start()
{
    if (!watching_ && !xs_.watch(base_, "linc-claim")) {
        return EIO;
    }
    watching_ = true;
    scan_ = true;
    return 0;
}

bool vif_claimer::is_ours(const std::string &be)
{
    auto script = xs_.read(be + "/script");
    return script && script->size() >= 8
           && !script->compare(script->size() - 8, 8, "vif-linc")
           && (script->size() == 8 || (*script)[script->size() - 9] == '/');
}

std::vector<vif_claimer::vif_ref> vif_claimer::ours_in_state(xenbus_state want)
{
    std::vector<vif_ref> out;
    int looked = 0;
    for (const std::string &d : xs_.directory(base_)) {
        auto domid = parse_xs_uint(d, 0x7fef);
        if (!domid) {
            continue;
        }
        for (const std::string &n : xs_.directory(base_ + "/" + d)) {
            auto devid = parse_xs_uint(n, 0xffff);
            // Bounded: a directory full of junk costs a few reads a scan.
            if (!devid || ++looked > 1024) {
                continue;
            }
            std::string be = base_ + "/" + d + "/" + n;
            auto state = parse_xs_uint(xs_.read(be + "/state"), 8);
            if (state && *state == static_cast<uint64_t>(want) && is_ours(be)) {
                out.emplace_back(static_cast<domid_t>(*domid),
                                 static_cast<unsigned>(*devid));
            }
        }
    }
    return out;
}

std::vector<vif_claimer::vif_ref> vif_claimer::connected_vifs()
{
    return ours_in_state(xenbus_state::connected);
}

int vif_claimer::run()
{
    if (!xs_.poll_watches().empty()) {
        scan_ = true;
    }
    if (!scan_) {
        return 0;
    }
    scan_ = false;

    int answered = 0;
    for (const vif_ref &v : ours_in_state(xenbus_state::initialising)) {
        vif_xenbus offer(xs_, self_, v.first, v.second, features_);
        if (!offer.start()) {
            answered++;
        }
    }
    return answered;
}

// ---------------------------------------------------------------------------
// libxenstore.

namespace {

class libxenstore_store final : public xs_store {
public:
    explicit libxenstore_store(xs_handle *h) : h_(h) {}
    ~libxenstore_store() override { xs_close(h_); }

    std::optional<std::string> read(const std::string &path) override
    {
        unsigned int len = 0;
        void *v = xs_read(h_, XBT_NULL, path.c_str(), &len);
        if (!v) {
            return std::nullopt;
        }
        std::string s(static_cast<const char *>(v), len);
        std::free(v);
        return s;
    }
    bool write(const std::string &path, const std::string &value) override
    {
        return xs_write(h_, XBT_NULL, path.c_str(), value.data(),
                        value.size());
    }
    bool rm(const std::string &path) override
    {
        return xs_rm(h_, XBT_NULL, path.c_str());
    }
    std::vector<std::string> directory(const std::string &path) override
    {
        std::vector<std::string> out;
        unsigned int n = 0;
        char **names = xs_directory(h_, XBT_NULL, path.c_str(), &n);
        if (names) {
            out.assign(names, names + n);
            std::free(names);
        }
        return out;
    }
    bool watch(const std::string &path, const std::string &token) override
    {
        return xs_watch(h_, path.c_str(), token.c_str());
    }
    bool unwatch(const std::string &path, const std::string &token) override
    {
        return xs_unwatch(h_, path.c_str(), token.c_str());
    }
    std::vector<std::pair<std::string, std::string>> poll_watches() override
    {
        std::vector<std::pair<std::string, std::string>> out;
        // Bounded: a watch storm is drained over several calls.
        for (int i = 0; i < 256; i++) {
            char **ev = xs_check_watch(h_);
            if (!ev) {
                break;
            }
            out.emplace_back(ev[XS_WATCH_PATH], ev[XS_WATCH_TOKEN]);
            std::free(ev);
        }
        return out;
    }
    int fd() const override { return xs_fileno(h_); }

private:
    xs_handle *h_;
};

}  // namespace

std::unique_ptr<xs_store> open_libxenstore()
{
    xs_handle *h = xs_open(0);
    if (!h) {
        return nullptr;
    }
    return std::make_unique<libxenstore_store>(h);
}

}  // namespace linc::xen
