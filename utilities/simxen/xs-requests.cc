// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.

#include "utilities/simxen/xs-requests.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace linc::xen::simxen {

bool parse_domid(const std::string &s, domid_t *id)
{
    if (s.empty() || s.size() > 5) {
        return false;
    }
    unsigned long v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') {
            return false;
        }
        v = v * 10 + (c - '0');
    }
    if (v > 0xffff) {
        return false;
    }
    *id = static_cast<domid_t>(v);
    return true;
}

std::string xs_requests::serve(conn_id id, domid_t dom,
                               const xsd_sockmsg &hdr, const char *payload)
{
    std::string reply, out;
    int err = dispatch(id, dom, hdr, payload, &reply);
    if (err) {
        xs_encode_error(hdr.req_id, hdr.tx_id, err, &out);
    } else {
        xs_encode(hdr.type, hdr.req_id, hdr.tx_id, reply, &out);
    }
    return out;
}

int xs_requests::dispatch(conn_id id, domid_t dom, const xsd_sockmsg &hdr,
                          const char *payload, std::string *reply)
{
    static const std::string ok = xs_nul_terminated("OK");
    std::vector<std::string> args;
    std::string path;
    size_t strip = 0;
    int err;

    if (hdr.type == XS_WRITE) {
        // "path\0value": the value is raw bytes up to the end.
        const char *nul = static_cast<const char *>(
            memchr(payload, '\0', hdr.len));
        if (!nul) {
            return EINVAL;
        }
        std::string p(payload, nul);
        std::string value(nul + 1, payload + hdr.len);
        if ((err = resolve_path(p, dom, &path, &strip)) || path[0] == '@') {
            return err ? err : EINVAL;
        }
        err = store_->write(id, hdr.tx_id, path, value);
        *reply = ok;
        return err;
    }

    if (!xs_split(payload, hdr.len, &args)) {
        return EINVAL;
    }
    // Types whose first argument is a node path.
    switch (hdr.type) {
    case XS_READ: case XS_MKDIR: case XS_RM: case XS_DIRECTORY:
    case XS_GET_PERMS: case XS_SET_PERMS: case XS_WATCH: case XS_UNWATCH:
    case XS_DIRECTORY_PART:
        if (args.empty()) {
            return EINVAL;
        }
        if ((err = resolve_path(args[0], dom, &path, &strip)) != 0) {
            return err;
        }
        if (path[0] == '@' && hdr.type != XS_WATCH &&
            hdr.type != XS_UNWATCH) {
            return EINVAL;
        }
        break;
    default:
        break;
    }

    // Domain management is the toolstack's, i.e. dom0's.
    switch (hdr.type) {
    case XS_INTRODUCE: case XS_RELEASE: case XS_IS_DOMAIN_INTRODUCED:
        if (dom != 0) {
            return EACCES;
        }
        break;
    default:
        break;
    }

    domid_t domid;
    switch (hdr.type) {
    case XS_READ:
        return args.size() == 1 ? store_->read(id, hdr.tx_id, path, reply)
                                : EINVAL;
    case XS_MKDIR:
        *reply = ok;
        return args.size() == 1 ? store_->mkdir(id, hdr.tx_id, path) : EINVAL;
    case XS_RM:
        *reply = ok;
        return args.size() == 1 ? store_->rm(id, hdr.tx_id, path) : EINVAL;
    case XS_DIRECTORY: {
        std::vector<std::string> children;
        if (args.size() != 1) {
            return EINVAL;
        }
        if ((err = store_->directory(id, hdr.tx_id, path, &children)) != 0) {
            return err;
        }
        for (const std::string &c : children) {
            reply->append(xs_nul_terminated(c));
        }
        return reply->size() > XENSTORE_PAYLOAD_MAX ? E2BIG : 0;
    }
    case XS_DIRECTORY_PART: {
        // "path\0offset\0" -> "gen\0" then whole child names from byte
        // 'offset' of the full listing; the last chunk ends with an extra
        // NUL.  Chunks end on name boundaries: libxenstore takes "\0\0" at
        // a chunk's end as the end of the listing.
        std::vector<std::string> children;
        uint64_t gen;
        unsigned long offset;
        char *end;
        if (args.size() != 2 || args[1].empty() || args[1].size() > 10) {
            return EINVAL;
        }
        offset = strtoul(args[1].c_str(), &end, 10);
        if (*end) {
            return EINVAL;
        }
        if ((err = store_->directory(id, hdr.tx_id, path, &children, &gen))
            != 0) {
            return err;
        }
        *reply = xs_nul_terminated(std::to_string(gen));
        size_t pos = 0, i = 0;
        for (; i < children.size() && pos < offset; i++) {
            pos += children[i].size() + 1;
        }
        if (pos != offset) {
            return EINVAL;      // Not a name boundary of this listing.
        }
        for (; i < children.size(); i++) {
            if (reply->size() + children[i].size() + 1 >
                XENSTORE_PAYLOAD_MAX - 1) {
                return 0;       // More to come.
            }
            reply->append(xs_nul_terminated(children[i]));
        }
        reply->push_back('\0');
        return 0;
    }
    case XS_GET_PERMS: {
        std::vector<xs_perm> perms;
        if (args.size() != 1) {
            return EINVAL;
        }
        if ((err = store_->get_perms(id, hdr.tx_id, path, &perms)) != 0) {
            return err;
        }
        for (const xs_perm &p : perms) {
            reply->append(xs_nul_terminated(perm_to_string(p)));
        }
        return 0;
    }
    case XS_SET_PERMS: {
        std::vector<xs_perm> perms;
        for (size_t i = 1; i < args.size(); i++) {
            xs_perm p;
            if (!perm_from_string(args[i], &p)) {
                return EINVAL;
            }
            perms.push_back(p);
        }
        *reply = ok;
        return store_->set_perms(id, hdr.tx_id, path, perms);
    }
    case XS_WATCH:
        *reply = ok;
        return args.size() == 2 ? store_->watch(id, path, strip, args[1])
                                : EINVAL;
    case XS_UNWATCH:
        *reply = ok;
        return args.size() == 2 ? store_->unwatch(id, path, args[1]) : EINVAL;
    case XS_TRANSACTION_START: {
        uint32_t tx;
        if (hdr.tx_id != 0) {
            return EBUSY;       // No nesting.
        }
        if ((err = store_->transaction_start(id, &tx)) != 0) {
            return err;
        }
        *reply = xs_nul_terminated(std::to_string(tx));
        return 0;
    }
    case XS_TRANSACTION_END:
        if (args.size() != 1 || (args[0] != "T" && args[0] != "F")) {
            return EINVAL;
        }
        *reply = ok;
        return store_->transaction_end(id, hdr.tx_id, args[0] == "T");
    case XS_GET_DOMAIN_PATH:
        if (args.size() != 1 || !parse_domid(args[0], &domid)) {
            return EINVAL;
        }
        *reply = xs_nul_terminated("/local/domain/" + std::to_string(domid));
        return 0;
    case XS_INTRODUCE:
        // "domid\0mfn\0port\0": simxen has no xenstore rings to map, so an
        // introduction only records the domain and tells the watchers.
        if (args.size() != 3 || !parse_domid(args[0], &domid)) {
            return EINVAL;
        }
        introduced_.insert(domid);
        store_->fire_special("@introduceDomain");
        *reply = ok;
        return 0;
    case XS_RELEASE:
        if (args.size() != 1 || !parse_domid(args[0], &domid)) {
            return EINVAL;
        }
        if (!introduced_.erase(domid) && !domain_alive_(domid)) {
            return ENOENT;
        }
        store_->fire_special("@releaseDomain");
        *reply = ok;
        return 0;
    case XS_IS_DOMAIN_INTRODUCED:
        if (args.size() != 1 || !parse_domid(args[0], &domid)) {
            return EINVAL;
        }
        *reply = xs_nul_terminated(
            introduced_.count(domid) || domain_alive_(domid) ? "T" : "F");
        return 0;
    case XS_RESET_WATCHES:
        store_->reset_watches(id);
        *reply = ok;
        return 0;
    default:
        // XS_CONTROL, XS_RESUME, XS_SET_TARGET and unknown types.
        return ENOSYS;
    }
}

}  // namespace linc::xen::simxen
