/* proxy_proto.c - the PROXY protocol header, versions 1 and 2 (HAProxy's
 * doc/proxy-protocol.txt, 2020/03/05; section numbers below are its own).
 * Every answer is exact at every length: 0 means some continuation of the
 * bytes seen is a valid header, so a header trickled in byte by byte is
 * parsed as if it came at once, and garbage is refused at its first byte. */
#include "proxy_proto.h"

#include <string.h>

#include "slice.h"
#include "trusted.h"

#define V1_MAX 107 /* 2.1: the longest line, CRLF included */

enum { V2_CMD_LOCAL = 0, V2_CMD_PROXY = 1 };
enum { V2_AF_UNSPEC = 0, V2_AF_INET = 1, V2_AF_INET6 = 2, V2_AF_UNIX = 3 };
enum { V2_UNSPEC = 0, V2_STREAM = 1, V2_DGRAM = 2 };

static const uint8_t v2_sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
				    0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };

/* The answer while the input ends early: the shortest valid header that
 * starts with it is total bytes long, which must fit in a v1 line. */
static long v1_more(size_t total)
{
	return total <= V1_MAX ? 0 : -1;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A port (2.1): decimal 0-65535, no leading zeros. Returns the bytes that
 * complete s, 0 when s already is one, or -1. */
static int port_need(const char *s, size_t n)
{
	unsigned v = 0;

	if (n == 0)
		return 1;
	if (n > 5 || (n > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	return v <= 65535 ? 0 : -1;
}

/* "PROXY UNKNOWN" then CRLF, or a space and anything up to CRLF, which
 * 2.1 says the receiver must ignore; a lone CR or LF ends no line. */
static long v1_unknown(const char *s, size_t n, size_t pos, struct proxy_proto_addr *out)
{
	size_t i = pos;

	if (i == n)
		return v1_more(i + 2);
	if (s[i] == ' ')
		i++;
	else if (s[i] != '\r')
		return -1;
	for (; i < n; i++) {
		if (s[i] == '\n')
			return -1;
		if (s[i] != '\r')
			continue;
		if (i + 1 == n)
			return v1_more(i + 2);
		if (s[i + 1] != '\n')
			return -1;
		memset(out, 0, sizeof *out);
		out->version = 1;
		out->local = true;
		return (long)(i + 2);
	}
	return v1_more(n + 2);
}

/* An address token of family fam at s[*pos], then a space; rest is the
 * fewest bytes any valid line needs after that space. */
static long v1_addr(const char *s, size_t n, size_t *pos, int fam, size_t rest, uint8_t out[16])
{
	size_t e = *pos;

	while (e < n && s[e] != ' ' && s[e] != '\r' && s[e] != '\n')
		e++;
	struct slice tok = slice_make(s + *pos, e - *pos);
	if (e == n) {
		int need = trusted_addr_need(tok, fam);
		return need < 0 ? -1 : v1_more(e + (size_t)need + 1 + rest);
	}
	if (s[e] != ' ' || trusted_parse_addr(tok, out) != fam)
		return -1;
	*pos = e + 1;
	return 1;
}

/* A port token at s[*pos] ended by the byte end; rest as above. */
static long v1_port(const char *s, size_t n, size_t *pos, char end, size_t rest, uint16_t *port)
{
	size_t e = *pos;
	unsigned v = 0;

	while (e < n && is_digit(s[e]))
		e++;
	int need = port_need(s + *pos, e - *pos);
	if (e == n)
		return need < 0 ? -1 : v1_more(e + (size_t)need + 1 + rest);
	if (s[e] != end || need != 0)
		return -1;
	for (size_t i = *pos; i < e; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	*port = (uint16_t)v;
	*pos = e + 1;
	return 1;
}

static long v1_parse(const char *s, size_t len, struct proxy_proto_addr *out)
{
	static const struct {
		const char *name;
		int fam;
	} protos[] = { { "TCP4 ", 4 }, { "TCP6 ", 6 }, { "UNKNOWN", 0 } };
	/* a line never needs more than V1_MAX bytes: look no further */
	size_t n = len < V1_MAX ? len : V1_MAX, pos = 6, k;
	struct proxy_proto_addr a;
	int fam = -1;
	bool partial = false;
	long r;

	k = n < 6 ? n : 6;
	if (memcmp(s, "PROXY ", k) != 0)
		return -1;
	if (n < 6)
		return 0;
	for (size_t i = 0; i < sizeof protos / sizeof protos[0]; i++) {
		size_t m = strlen(protos[i].name);
		k = n - pos < m ? n - pos : m;
		if (memcmp(s + pos, protos[i].name, k) != 0)
			continue;
		if (k < m) {
			partial = true;
			continue;
		}
		fam = protos[i].fam;
		pos += m;
		break;
	}
	if (fam < 0)
		return partial ? 0 : -1;
	if (fam == 0)
		return v1_unknown(s, n, pos, out);

	/* after the source: " <dst> 0 0\r\n", the shortest dst being
	 * "0.0.0.0" or "::" */
	memset(&a, 0, sizeof a);
	if ((r = v1_addr(s, n, &pos, fam, (fam == 4 ? 7 : 2) + 6, a.src)) <= 0)
		return r;
	if ((r = v1_addr(s, n, &pos, fam, 5, a.dst)) <= 0)
		return r;
	if ((r = v1_port(s, n, &pos, ' ', 3, &a.src_port)) <= 0)
		return r;
	if ((r = v1_port(s, n, &pos, '\r', 1, &a.dst_port)) <= 0)
		return r;
	if (pos == n)
		return v1_more(pos + 1);
	if (s[pos] != '\n')
		return -1;
	a.version = 1;
	a.family = fam;
	*out = a;
	return (long)(pos + 1);
}

static long v2_parse(const uint8_t *b, size_t len, struct proxy_proto_addr *out)
{
	size_t k = len < 12 ? len : 12;

	if (memcmp(b, v2_sig, k) != 0)
		return -1;
	if (len < 13)
		return 0;
	/* 2.2: version 2 only; LOCAL and PROXY the only commands */
	if ((b[12] >> 4) != 2 || (b[12] & 0x0f) > V2_CMD_PROXY)
		return -1;
	if (len < 14)
		return 0;
	unsigned cmd = b[12] & 0x0f, fam = b[13] >> 4, proto = b[13] & 0x0f;
	if (fam > V2_AF_UNIX || proto > V2_DGRAM)
		return -1;
	if (len < 16)
		return 0;
	size_t total = 16 + ((size_t)b[14] << 8 | b[15]), addr = 0;
	if (total > PROXY_PROTO_MAX)
		return -1;
	if (cmd == V2_CMD_PROXY && proto != V2_UNSPEC) {
		static const size_t block[4] = { 0, 12, 36, 216 }; /* by family */
		addr = block[fam];
	}
	if (total < 16 + addr)
		return -1;
	if (addr) {
		/* TLVs fill the rest exactly; each is checked as soon as
		 * its 3-byte head has come */
		size_t avail = len < total ? len : total, pos = 16 + addr;
		while (pos < total) {
			if (total - pos < 3)
				return -1;
			if (pos + 3 > avail)
				break;
			size_t vlen = (size_t)b[pos + 1] << 8 | b[pos + 2];
			if (vlen > total - pos - 3)
				return -1;
			pos += 3 + vlen;
		}
	}
	if (len < total)
		return 0;

	memset(out, 0, sizeof *out);
	out->version = 2;
	/* 2.2: a receiver may fall back to UNSPEC, the real endpoints, for
	 * what it does not take: here UNIX sockets and datagrams */
	if (cmd != V2_CMD_PROXY || proto != V2_STREAM ||
	    (fam != V2_AF_INET && fam != V2_AF_INET6)) {
		out->local = true;
		return (long)total;
	}
	const uint8_t *p = b + 16;
	if (fam == V2_AF_INET) {
		static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
		memcpy(out->src, mapped, 12);
		memcpy(out->src + 12, p, 4);
		memcpy(out->dst, mapped, 12);
		memcpy(out->dst + 12, p + 4, 4);
		p += 8;
		out->family = 4;
	} else {
		memcpy(out->src, p, 16);
		memcpy(out->dst, p + 16, 16);
		p += 32;
		out->family = 6;
	}
	out->src_port = (uint16_t)(p[0] << 8 | p[1]);
	out->dst_port = (uint16_t)(p[2] << 8 | p[3]);
	return (long)total;
}

long proxy_proto_parse(const uint8_t *buf, size_t len, struct proxy_proto_addr *out)
{
	if (len == 0)
		return 0;
	/* 2.2: the two signatures differ at the first byte */
	if (buf[0] == 'P')
		return v1_parse((const char *)buf, len, out);
	if (buf[0] == v2_sig[0])
		return v2_parse(buf, len, out);
	return -1;
}
