/* proxy_proto.h - the PROXY protocol header, versions 1 and 2 (HAProxy's
 * "The PROXY protocol, Versions 1 & 2", doc/proxy-protocol.txt, 2020/03/05).
 * A pure function over a byte buffer: no allocation, no I/O.
 *
 * Section 2 says a receiver must not guess whether a header is there: a
 * listener either requires one on every connection (and should accept it
 * only from trusted peers) or never looks for one. */
#ifndef PROXY_PROTO_H
#define PROXY_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest header accepted: v2's 16 fixed bytes, an AF_UNIX address
 * block (216) and 4 KiB of TLVs. A v1 line is at most 107 bytes (2.1). A
 * read buffer of this size always holds a whole header. */
#define PROXY_PROTO_MAX (16 + 216 + 4096)

struct proxy_proto_addr {
	int version; /* 1 or 2 */
	bool local;  /* v2 LOCAL, v1 UNKNOWN, or an address the server does
			not take (v2 AF_UNSPEC, AF_UNIX, DGRAM): keep the
			socket's own addresses */
	uint8_t src[16], dst[16]; /* IPv6; IPv4 as IPv4-mapped */
	uint16_t src_port, dst_port;
	int family; /* 4 or 6 (0 when local) */
};

/* Parses a PROXY header at the start of buf. Returns the header's length
 * in bytes (the connection's data starts after it), 0 when buf is a proper
 * prefix of some valid header (more bytes are needed), or -1 as soon as no
 * bytes appended to buf can make one. *out is written only when the return
 * is positive.
 *
 * v1 (2.1) is taken exactly: "PROXY TCP4 <src> <dst> <sport> <dport>\r\n"
 * (TCP6 likewise), single spaces, CRLF, at most 107 bytes; IPv4 as four
 * decimal octets without leading zeros, IPv6 as RFC 4291 text (the form
 * inet_ntop writes, "::ffff:a.b.c.d" included), matching the family;
 * ports 0-65535 without leading zeros or sign. "PROXY UNKNOWN" is followed
 * by CRLF or by a space and anything without CR or LF, which is ignored.
 *
 * v2 (2.2): the 12-byte signature, version 2, command LOCAL or PROXY,
 * family 0-3 and transport 0-2 (other values refused), total length at
 * most PROXY_PROTO_MAX. PROXY over TCP4/TCP6 gives addresses; a PROXY
 * header with a known address block (INET, INET6, UNIX with STREAM or
 * DGRAM) must hold the whole block, and the bytes after it must be TLVs
 * that exactly fill the rest (values are not interpreted; CRC32C is not
 * checked, which 2.2.3 leaves to receivers that support it). LOCAL and
 * UNSPEC blocks are skipped unread, as 2.2 says to discard them. */
long proxy_proto_parse(const uint8_t *buf, size_t len, struct proxy_proto_addr *out);

#endif
