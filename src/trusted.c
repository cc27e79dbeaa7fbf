/* trusted.c - trusted proxy networks, strict address text, and the client
 * address of X-Forwarded-For / X-Real-IP. Address text: RFC 4291 section
 * 2.2 (IPv6), section 2.5.5.2 (IPv4-mapped); CIDR: RFC 4632 section 3.1;
 * the list rule of the headers: RFC 9110 section 5.6.1. */
#include "trusted.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct trusted_net {
	uint8_t net[16];
	unsigned bits; /* 0-128, over the 16-byte form */
};

struct trusted {
	size_t n, cap;
	struct trusted_net *e;
};

static const uint8_t v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The scanners below return 0 when s[0..n) is a whole address (written to
 * out), the fewest bytes that would complete it when it is a proper prefix
 * of one, or -1. One function answers both questions, so the incremental
 * PROXY v1 parser and the whole-text parser cannot disagree. */

static int scan_v4(const char *s, size_t n, uint8_t out[4])
{
	unsigned dots = 0, digits = 0, value = 0;

	for (size_t i = 0; i < n; i++) {
		if (is_digit(s[i])) {
			/* "0" is an octet, "01" is not: inet_aton reads it as octal */
			if (digits == 3 || (digits == 1 && value == 0))
				return -1;
			value = value * 10 + (unsigned)(s[i] - '0');
			if (value > 255)
				return -1;
			digits++;
		} else if (s[i] == '.') {
			if (digits == 0 || dots == 3)
				return -1;
			out[dots++] = (uint8_t)value;
			digits = value = 0;
		} else {
			return -1;
		}
	}
	if (dots == 3 && digits > 0) {
		out[3] = (uint8_t)value;
		return 0;
	}
	/* a digit for an empty octet, then ".0" for each octet missing */
	return (digits == 0 ? 1 : 0) + (int)(3 - dots) * 2;
}

static int scan_v6(const char *s, size_t n, uint8_t out[16])
{
	uint16_t g[8];
	int ng = 0, dc = -1; /* groups read; where "::" stands, or -1 */
	size_t i = 0;

	if (n >= 1 && s[0] == ':') {
		if (n == 1)
			return 1;
		if (s[1] != ':')
			return -1;
		dc = 0;
		i = 2;
	}
	while (i < n) {
		size_t j = i;
		unsigned v = 0;
		while (j < n && hex_value(s[j]) >= 0) {
			if (j - i == 4)
				return -1;
			v = v * 16 + (unsigned)hex_value(s[j]);
			j++;
		}
		if (j == i)
			return -1;
		if (j < n && s[j] == '.') {
			/* the dotted tail is the last 32 bits: it needs two
			 * groups' room, and "::" still at least one zero group */
			uint8_t q[4];
			if (dc < 0 ? ng != 6 : ng > 5)
				return -1;
			int need = scan_v4(s + i, n - i, q);
			if (need != 0)
				return need;
			g[ng++] = (uint16_t)(q[0] << 8 | q[1]);
			g[ng++] = (uint16_t)(q[2] << 8 | q[3]);
			i = n;
			break;
		}
		/* without "::" eight groups at most; with it seven */
		if (dc < 0 ? ng > 7 : ng > 6)
			return -1;
		g[ng++] = (uint16_t)v;
		if (j == n) {
			i = n;
			break;
		}
		if (s[j] != ':')
			return -1;
		if (j + 1 < n && s[j + 1] == ':') {
			if (dc >= 0 || ng > 7)
				return -1;
			dc = ng;
			i = j + 2;
			continue;
		}
		/* a single ':' promises one more group */
		if (dc < 0 ? ng > 7 : ng > 6)
			return -1;
		if (j + 1 == n)
			return 1; /* "0", or ':' making it "::" */
		i = j + 1;
	}
	if (dc < 0 && ng < 8)
		return 2; /* "::" */
	if (dc < 0) {
		for (int k = 0; k < 8; k++) {
			out[2 * k] = (uint8_t)(g[k] >> 8);
			out[2 * k + 1] = (uint8_t)g[k];
		}
		return 0;
	}
	memset(out, 0, 16);
	for (int k = 0; k < dc; k++) {
		out[2 * k] = (uint8_t)(g[k] >> 8);
		out[2 * k + 1] = (uint8_t)g[k];
	}
	for (int k = dc; k < ng; k++) {
		int at = 8 - (ng - k);
		out[2 * at] = (uint8_t)(g[k] >> 8);
		out[2 * at + 1] = (uint8_t)g[k];
	}
	return 0;
}

int trusted_parse_addr(struct slice s, uint8_t out[16])
{
	uint8_t a[16];

	if (s.len == 0)
		return 0;
	if (memchr(s.ptr, ':', s.len)) {
		if (scan_v6(s.ptr, s.len, a) != 0)
			return 0;
		memcpy(out, a, 16);
		return 6;
	}
	if (scan_v4(s.ptr, s.len, a + 12) != 0)
		return 0;
	memcpy(a, v4_mapped, 12);
	memcpy(out, a, 16);
	return 4;
}

int trusted_addr_need(struct slice s, int family)
{
	uint8_t a[16];

	if (family == 4)
		return scan_v4(s.ptr, s.len, a);
	if (family == 6)
		return scan_v6(s.ptr, s.len, a);
	return -1;
}

/* A port as PROXY v1 writes one: decimal 0-65535, no leading zeros. */
static bool port_ok(const char *s, size_t n)
{
	unsigned v = 0;

	if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	return v <= 65535;
}

bool trusted_parse_hop(struct slice s, uint8_t out[16])
{
	s = slice_trim(s);
	if (s.len == 0)
		return false;
	if (s.ptr[0] == '[') {
		const char *close = memchr(s.ptr, ']', s.len);
		if (!close)
			return false;
		size_t in = (size_t)(close - s.ptr) - 1, rest = s.len - in - 2;
		if (rest > 0 && (close[1] != ':' || !port_ok(close + 2, rest - 1)))
			return false;
		/* brackets are for IPv6 only (RFC 3986 section 3.2.2) */
		return trusted_parse_addr(slice_make(s.ptr + 1, in), out) == 6;
	}
	const char *colon = memchr(s.ptr, ':', s.len);
	if (colon && !memchr(colon + 1, ':', s.len - (size_t)(colon - s.ptr) - 1)) {
		/* one colon is never IPv6 ("::" has two): IPv4 and a port */
		size_t a = (size_t)(colon - s.ptr);
		if (!port_ok(colon + 1, s.len - a - 1))
			return false;
		return trusted_parse_addr(slice_make(s.ptr, a), out) == 4;
	}
	return trusted_parse_addr(s, out) != 0;
}

struct trusted *trusted_new(void)
{
	return calloc(1, sizeof(struct trusted));
}

void trusted_free(struct trusted *t)
{
	if (!t)
		return;
	free(t->e);
	free(t);
}

size_t trusted_count(const struct trusted *t)
{
	return t ? t->n : 0;
}

/* Does addr fall in the first bits bits of net? */
static bool in_net(const uint8_t net[16], unsigned bits, const uint8_t addr[16])
{
	unsigned whole = bits / 8, rest = bits % 8;

	if (memcmp(net, addr, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (net[whole] & mask) == (addr[whole] & mask);
}

bool trusted_contains(const struct trusted *t, const uint8_t addr[16])
{
	if (!t)
		return false;
	for (size_t i = 0; i < t->n; i++)
		if (in_net(t->e[i].net, t->e[i].bits, addr))
			return true;
	return false;
}

#define ENTRY_SHOWN 64 /* bytes of a bad entry quoted in a message */

static int bad_entry(char *err, size_t cap, const char *p, size_t n, const char *why)
{
	if (err && cap)
		snprintf(err, cap, "trusted proxy '%.*s%s': %s",
			 (int)(n < ENTRY_SHOWN ? n : ENTRY_SHOWN), p, n > ENTRY_SHOWN ? "..." : "",
			 why);
	return -1;
}

/* One entry: address or address/length. */
static int add_entry(struct trusted *t, const char *p, size_t n, char *err, size_t cap)
{
	const char *slash = memchr(p, '/', n);
	size_t alen = slash ? (size_t)(slash - p) : n;
	uint8_t a[16];
	int fam = trusted_parse_addr(slice_make(p, alen), a);
	unsigned bits, max;

	if (fam == 0)
		return bad_entry(err, cap, p, n, "not an IPv4 or IPv6 address");
	max = fam == 4 ? 32 : 128;
	bits = max;
	if (slash) {
		const char *d = slash + 1;
		size_t dn = n - alen - 1;
		if (dn == 0 || dn > 3 || (dn > 1 && d[0] == '0'))
			return bad_entry(err, cap, p, n, "bad prefix length");
		bits = 0;
		for (size_t i = 0; i < dn; i++) {
			if (!is_digit(d[i]))
				return bad_entry(err, cap, p, n, "bad prefix length");
			bits = bits * 10 + (unsigned)(d[i] - '0');
		}
		if (bits > max)
			return bad_entry(err, cap, p, n, "prefix length over the address's bits");
	}
	if (fam == 4)
		bits += 96; /* over the mapped form */
	for (unsigned b = bits; b < 128; b++)
		if (a[b / 8] & (0x80 >> (b % 8)))
			return bad_entry(err, cap, p, n, "address bits set past the prefix length");
	if (t->n == TRUSTED_MAX)
		return bad_entry(err, cap, p, n, "more than 1024 trusted proxy entries");
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 16;
		struct trusted_net *ne = realloc(t->e, nc * sizeof *ne);
		if (!ne)
			return bad_entry(err, cap, p, n, "out of memory");
		t->e = ne;
		t->cap = nc;
	}
	memcpy(t->e[t->n].net, a, 16);
	t->e[t->n].bits = bits;
	t->n++;
	return 0;
}

static bool is_sep(char c)
{
	return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int trusted_add(struct trusted *t, const char *list, char *err, size_t cap)
{
	size_t n0 = t->n;

	if (!list)
		return 0;
	for (const char *p = list; *p;) {
		if (is_sep(*p)) {
			p++;
			continue;
		}
		const char *q = p;
		while (*q && !is_sep(*q))
			q++;
		if (add_entry(t, p, (size_t)(q - p), err, cap) < 0) {
			t->n = n0;
			return -1;
		}
		p = q;
	}
	return 0;
}

bool trusted_client(const struct trusted *t, const uint8_t peer[16], const struct slice *xff,
		    size_t nxff, struct slice real_ip, uint8_t out[16])
{
	uint8_t cur[16], a[16];
	bool any = false, have = false;

	if (!trusted_contains(t, peer))
		return false;
	for (size_t f = nxff; f-- > 0;) {
		struct slice v = xff[f];
		size_t end = v.len;
		if (v.len == 0)
			continue;
		for (;;) {
			size_t start = end;
			while (start > 0 && v.ptr[start - 1] != ',')
				start--;
			struct slice e = slice_trim(slice_make(v.ptr + start, end - start));
			if (e.len) {
				any = true;
				if (!trusted_parse_hop(e, a))
					goto walked;
				memcpy(cur, a, 16);
				have = true;
				if (!trusted_contains(t, a))
					goto walked;
			}
			if (start == 0)
				break;
			end = start - 1;
		}
	}
walked:
	if (!any) {
		if (real_ip.len == 0 || !trusted_parse_hop(real_ip, cur))
			return false;
		have = true;
	}
	if (have)
		memcpy(out, cur, 16);
	return have;
}
