// Copyright (c) 2026 The openvswitch-linc authors.
// Licensed under the Apache License, Version 2.0.
//
// Encoding and decoding of Xen's xenstore wire protocol (xen/io/xs_wire.h):
// a 16-byte struct xsd_sockmsg header in host byte order followed by 'len'
// bytes of payload, usually NUL-terminated strings.  Kept free of I/O so the
// framing rules can be unit-tested on their own.

#ifndef SIMXEN_XS_WIRE_H
#define SIMXEN_XS_WIRE_H 1

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <xen/io/xs_wire.h>

namespace linc::xen::simxen {

constexpr size_t xs_header_size = sizeof(xsd_sockmsg);

// Appends one complete message (header + payload) to 'out'.
void xs_encode(uint32_t type, uint32_t req_id, uint32_t tx_id,
               const std::string &payload, std::string *out);

// Appends an XS_ERROR reply carrying the errno's name ("ENOENT"); errnos the
// protocol has no name for are sent as "EINVAL", as xenstored does.
void xs_encode_error(uint32_t req_id, uint32_t tx_id, int err,
                     std::string *out);

// Looks at the start of 'buf'.  Returns 0 and fills 'hdr' once a whole
// message of '*msg_len' bytes is there, EAGAIN if more bytes are needed, or
// E2BIG if the header announces a payload over XENSTORE_PAYLOAD_MAX (the
// connection must then be dropped: the stream cannot be resynchronised).
int xs_decode_header(const void *buf, size_t n, xsd_sockmsg *hdr,
                     size_t *msg_len);

// 's' with its terminating NUL, as strings travel in a payload.
inline std::string xs_nul_terminated(const std::string &s)
{
    return std::string(s).append(1, '\0');
}

// Splits a payload into its NUL-terminated strings.  Fails (false) unless
// the payload is exactly a sequence of NUL-terminated strings.
bool xs_split(const char *p, size_t n, std::vector<std::string> *out);

// The errno for an error string ("ENOENT" -> ENOENT), or EINVAL.
int xs_errno_from_name(const std::string &name);
const char *xs_errno_name(int err);

}  // namespace linc::xen::simxen

#endif
