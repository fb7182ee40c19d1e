// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// The xenstored requests: one decoded xsd_sockmsg served on an xs_store,
// with the caller's domain deciding what it may do.  Free of sockets so
// that the daemon (daemon.cc) and the fuzzer (tests/fuzz/fuzz-xs-wire.cc)
// serve exactly the same code.

#ifndef SIMXEN_XS_REQUESTS_H
#define SIMXEN_XS_REQUESTS_H 1

#include <cstdint>
#include <functional>
#include <set>
#include <string>

#include "utilities/simxen/xs-store.h"
#include "utilities/simxen/xs-wire.h"

namespace linc::xen::simxen {

// "0" .. "65535" in decimal, no sign, no leading space: a domain ID as the
// toolstack writes it.  False for anything else.
bool parse_domid(const std::string &s, domid_t *id);

class xs_requests {
public:
    // Whether the hypervisor has a domain with this ID (it then counts as
    // introduced even if no XS_INTRODUCE named it).  Called only from
    // serve() on the caller's thread.
    using domain_alive_fn = std::function<bool(domid_t)>;

    xs_requests(xs_store *store, domain_alive_fn domain_alive)
        : store_(store), domain_alive_(std::move(domain_alive)) {}

    // Serves request 'hdr' (whose 'hdr.len' bytes of payload are at
    // 'payload') from connection 'id' of domain 'dom'.  Returns 0 with the
    // reply payload in '*reply', or the errno to send back as XS_ERROR
    // (then '*reply' is meaningless).  Watch events it causes are queued
    // in the store (xs_store::take_events()).
    int dispatch(conn_id id, domid_t dom, const xsd_sockmsg &hdr,
                 const char *payload, std::string *reply);

    // The domain was destroyed: it is introduced no longer.
    void forget_domain(domid_t dom) { introduced_.erase(dom); }

    // dispatch(), encoded: the whole reply message for the client.
    std::string serve(conn_id id, domid_t dom, const xsd_sockmsg &hdr,
                      const char *payload);

private:
    xs_store *store_;
    domain_alive_fn domain_alive_;
    std::set<domid_t> introduced_;
};

}  // namespace linc::xen::simxen

#endif
