// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.

#include "utilities/simxen/xs-wire.h"

#include <cstring>

namespace linc::xen::simxen {

void xs_encode(uint32_t type, uint32_t req_id, uint32_t tx_id,
               const std::string &payload, std::string *out)
{
    xsd_sockmsg hdr;
    hdr.type = type;
    hdr.req_id = req_id;
    hdr.tx_id = tx_id;
    hdr.len = static_cast<uint32_t>(payload.size());
    out->append(reinterpret_cast<const char *>(&hdr), sizeof hdr);
    out->append(payload);
}

const char *xs_errno_name(int err)
{
    for (const auto &e : xsd_errors) {
        if (e.errnum == err) {
            return e.errstring;
        }
    }
    return "EINVAL";
}

int xs_errno_from_name(const std::string &name)
{
    for (const auto &e : xsd_errors) {
        if (name == e.errstring) {
            return e.errnum;
        }
    }
    return EINVAL;
}

void xs_encode_error(uint32_t req_id, uint32_t tx_id, int err,
                     std::string *out)
{
    std::string p = xs_errno_name(err);
    p.push_back('\0');
    xs_encode(XS_ERROR, req_id, tx_id, p, out);
}

int xs_decode_header(const void *buf, size_t n, xsd_sockmsg *hdr,
                     size_t *msg_len)
{
    if (n < sizeof *hdr) {
        return EAGAIN;
    }
    memcpy(hdr, buf, sizeof *hdr);
    if (hdr->len > XENSTORE_PAYLOAD_MAX) {
        return E2BIG;
    }
    *msg_len = sizeof *hdr + hdr->len;
    return n < *msg_len ? EAGAIN : 0;
}

bool xs_split(const char *p, size_t n, std::vector<std::string> *out)
{
    out->clear();
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\0') {
            out->emplace_back(p + start, i - start);
            start = i + 1;
        }
    }
    return start == n;
}

}  // namespace linc::xen::simxen
