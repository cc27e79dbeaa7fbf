/* test_proxy_proto.c - the PROXY protocol header, v1 and v2: every form,
 * every prefix of a valid header ("need more"), and invalid headers
 * refused at their first bad byte and never after accepted. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_proto.h"
#include "trusted.h"
#include "unit.h"

#define B(s) s, sizeof(s) - 1
#define AT(s) (sizeof(s) - 1)
#define SIG "\r\n\r\n\0\r\nQUIT\n"

/* Parses len bytes from an exact-size heap copy (ASan sees over-reads);
 * checks that *out is left alone unless a header is returned. */
static long parse(const void *in, size_t len, struct proxy_proto_addr *out)
{
	uint8_t *p = malloc(len ? len : 1);
	struct proxy_proto_addr o;
	if (!p)
		abort();
	memcpy(p, in, len);
	memset(&o, 0x5a, sizeof o);
	long r = proxy_proto_parse(p, len, &o);
	if (r <= 0) {
		const uint8_t *b = (const uint8_t *)&o;
		bool untouched = true;
		for (size_t i = 0; i < sizeof o; i++)
			untouched = untouched && b[i] == 0x5a;
		CHECK(untouched, "out written for a return of %ld", r);
	} else {
		*out = o;
	}
	free(p);
	return r;
}

static void addr(const char *s, uint8_t out[16])
{
	if (trusted_parse_addr(slice_make(s, strlen(s)), out) == 0)
		abort();
}

/* Every proper prefix of a valid header of length ret needs more; the
 * header alone and with what follows parse to the same thing. */
static void check_prefixes(const void *in, size_t len, long ret, const char *what)
{
	struct proxy_proto_addr a, b;
	for (size_t k = 0; k < (size_t)ret; k++) {
		long r = parse(in, k, &a);
		if (r != 0) {
			CHECK(r == 0, "%s: prefix of %zu bytes gives %ld", what, k, r);
			break;
		}
	}
	long r1 = parse(in, (size_t)ret, &a), r2 = parse(in, len, &b);
	CHECK(r1 == ret && r2 == ret, "%s: %ld alone, %ld with the rest", what, r1, r2);
	CHECK(r1 != ret || r2 != ret || memcmp(&a, &b, sizeof a) == 0, "%s: results differ", what);
}

/* An invalid input: refused at exactly `at` bytes, "need more" before,
 * refused at every length after. */
static void check_refused(const void *in, size_t len, size_t at, const char *what)
{
	struct proxy_proto_addr a;
	for (size_t k = 0; k <= len; k++) {
		long r = parse(in, k, &a);
		long want = k < at ? 0 : -1;
		if (r != want) {
			CHECK(r == want, "%s: %zu bytes give %ld, want %ld (refused at %zu)", what,
			      k, r, want, at);
			break;
		}
	}
}

struct v1_good {
	const char *in;
	int fam; /* 0: local */
	const char *src, *dst;
	unsigned sport, dport;
};

static const struct v1_good v1_good[] = {
	/* the example of section 2.1, with the request after it */
	{ "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET / HTTP/1.1\r\n"
	  "Host: 192.168.0.11\r\n\r\n",
	  4, "192.168.0.1", "192.168.0.11", 56324, 443 },
	/* the longest lines of 2.1: 56, 104 and 107 bytes */
	{ "PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n", 4, "255.255.255.255",
	  "255.255.255.255", 65535, 65535 },
	{ "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n",
	  6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	  65535, 65535 },
	{ "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n",
	  0, NULL, NULL, 0, 0 },
	{ "PROXY TCP4 0.0.0.0 0.0.0.0 0 0\r\n", 4, "0.0.0.0", "0.0.0.0", 0, 0 },
	{ "PROXY TCP4 10.0.0.1 10.200.30.4 1 65534\r\nxyz", 4, "10.0.0.1", "10.200.30.4", 1,
	  65534 },
	{ "PROXY TCP6 2001:db8::1 2001:db8::2 1 2\r\n", 6, "2001:db8::1", "2001:db8::2", 1, 2 },
	{ "PROXY TCP6 :: :: 0 0\r\n", 6, "::", "::", 0, 0 },
	{ "PROXY TCP6 2001:DB8::A fe80::1 1024 8080\r\n", 6, "2001:db8::a", "fe80::1", 1024, 8080 },
	/* inet_ntop writes IPv4-mapped addresses with a dotted tail */
	{ "PROXY TCP6 ::ffff:192.0.2.1 ::1 80 443\r\n", 6, "192.0.2.1", "::1", 80, 443 },
	/* a dotted tail may make a TCP6 line exactly 107 bytes */
	{ "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255 "
	  "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.25 0 0\r\n",
	  6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff19",
	  0, 0 },
	/* UNKNOWN: the rest of the line is ignored, whatever it is */
	{ "PROXY UNKNOWN\r\n", 0, NULL, NULL, 0, 0 },
	{ "PROXY UNKNOWN\r\nGET / HTTP/1.1\r\n", 0, NULL, NULL, 0, 0 },
	{ "PROXY UNKNOWN \r\n", 0, NULL, NULL, 0, 0 },
	{ "PROXY UNKNOWN 1.2.3.4 5.6.7.8 1 2\r\nGET", 0, NULL, NULL, 0, 0 },
	{ "PROXY UNKNOWN anything \x01\x7f\xff goes  \r\n", 0, NULL, NULL, 0, 0 },
};

static void test_v1_good(void)
{
	for (size_t i = 0; i < sizeof v1_good / sizeof v1_good[0]; i++) {
		const struct v1_good *c = &v1_good[i];
		size_t len = strlen(c->in);
		long ret = (long)(strstr(c->in, "\r\n") - c->in) + 2;
		struct proxy_proto_addr a;
		uint8_t src[16], dst[16];

		CHECK(ret <= 107, "case %zu is %ld bytes", i, ret);
		long r = parse(c->in, len, &a);
		CHECK(r == ret, "'%.*s': %ld, want %ld", (int)ret - 2, c->in, r, ret);
		if (r != ret)
			continue;
		CHECK(a.version == 1, "'%.*s': version %d", (int)ret - 2, c->in, a.version);
		CHECK(a.local == (c->fam == 0), "'%.*s': local %d", (int)ret - 2, c->in, a.local);
		CHECK(a.family == c->fam, "'%.*s': family %d", (int)ret - 2, c->in, a.family);
		if (c->fam) {
			addr(c->src, src);
			addr(c->dst, dst);
			CHECK(memcmp(a.src, src, 16) == 0, "'%.*s': source", (int)ret - 2, c->in);
			CHECK(memcmp(a.dst, dst, 16) == 0, "'%.*s': destination", (int)ret - 2,
			      c->in);
			CHECK(a.src_port == c->sport && a.dst_port == c->dport,
			      "'%.*s': ports %u %u", (int)ret - 2, c->in, a.src_port, a.dst_port);
		}
		check_prefixes(c->in, len, ret, c->in);
	}

	/* the longest UNKNOWN line: 107 bytes */
	char line[128];
	memcpy(line, "PROXY UNKNOWN ", 14);
	memset(line + 14, 'x', 91);
	memcpy(line + 105, "\r\nGET", 5);
	check_prefixes(line, 110, 107, "UNKNOWN, 107 bytes");
}

struct bad_case {
	const char *in;
	size_t len;
	size_t at; /* the shortest prefix refused */
};

static const struct bad_case v1_bad[] = {
	{ B("G"), AT("G") },
	{ B("GET / HTTP/1.1\r\n"), AT("G") },
	{ B("proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n"), AT("p") },
	{ B("PROXY\tTCP4 1.2.3.4 5.6.7.8 1 2\r\n"), AT("PROXY\t") },
	{ B("PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n"), AT("PROXY  ") },
	{ B("PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n"), AT("PROXY t") },
	{ B("PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n"), AT("PROXY TCP5") },
	{ B("PROXY TCP4\r\n"), AT("PROXY TCP4\r") },
	{ B("PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n"), AT("PROXY TCP4  ") },
	{ B("PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n"), AT("PROXY TCP4 1.2.3.4  ") },
	{ B("PROXY TCP4 1.2.3.4 5.6.7.8  1 2\r\n"), AT("PROXY TCP4 1.2.3.4 5.6.7.8  ") },
	{ B("PROXY TCP4 1.2.3.4 5.6.7.8 1  2\r\n"), AT("PROXY TCP4 1.2.3.4 5.6.7.8 1  ") },
	{ B("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n"), AT("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 ") },
	{ B("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n"), AT("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 ") },
	{ B("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n"), AT("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n") },
	{ B("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rx"), AT("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rx") },
	{ B("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n"), AT("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r") },
	{ B("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n"), AT("PROXY TCP4 1.2.3.4 5.6.7.8 1\r") },
	{ B("PROXY TCP4 1.2.3.4 5.6.7.8\r\n"), AT("PROXY TCP4 1.2.3.4 5.6.7.8\r") },
	/* addresses */
	{ B("PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n"), AT("PROXY TCP4 01") },
	{ B("PROXY TCP4 1.2.3.00 5.6.7.8 1 2\r\n"), AT("PROXY TCP4 1.2.3.00") },
	{ B("PROXY TCP4 256.1.1.1 5.6.7.8 1 2\r\n"), AT("PROXY TCP4 256") },
	{ B("PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n"), AT("PROXY TCP4 1.2.3 ") },
	{ B("PROXY TCP4 1.2.3.4.5 5.6.7.8 1 2\r\n"), AT("PROXY TCP4 1.2.3.4.") },
	{ B("PROXY TCP4 1.2.3.4 5.6.7.8.9 1 2\r\n"), AT("PROXY TCP4 1.2.3.4 5.6.7.8.") },
	{ B("PROXY TCP4 1.2.3.4 5.6.7 1 2\r\n"), AT("PROXY TCP4 1.2.3.4 5.6.7 ") },
	{ B("PROXY TCP4 ::1 ::1 1 2\r\n"), AT("PROXY TCP4 :") },
	{ B("PROXY TCP4 0x1.2.3.4 5.6.7.8 1 2\r\n"), AT("PROXY TCP4 0x") },
	{ B("PROXY TCP4 1.2.3.4\0 5.6.7.8 1 2\r\n"), AT("PROXY TCP4 1.2.3.4\0") },
	{ B("PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n"), AT("PROXY TCP6 1.") },
	{ B("PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n"), AT("PROXY TCP6 fe80::1%") },
	{ B("PROXY TCP6 [::1] ::1 1 2\r\n"), AT("PROXY TCP6 [") },
	{ B("PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n"), AT("PROXY TCP6 1:2:3:4:5:6:7:8:") },
	{ B("PROXY TCP6 1:2:3:4:5:6:7 ::1 1 2\r\n"), AT("PROXY TCP6 1:2:3:4:5:6:7 ") },
	{ B("PROXY TCP6 12345:: ::1 1 2\r\n"), AT("PROXY TCP6 12345") },
	{ B("PROXY TCP6 1::2::3 ::1 1 2\r\n"), AT("PROXY TCP6 1::2::") },
	{ B("PROXY TCP6 :::1 ::1 1 2\r\n"), AT("PROXY TCP6 :::") },
	{ B("PROXY TCP6 ::1 ::1: 1 2\r\n"), AT("PROXY TCP6 ::1 ::1: ") },
	{ B("PROXY TCP6 ::ffff:1.2.3.04 ::1 1 2\r\n"), AT("PROXY TCP6 ::ffff:1.2.3.04") },
	/* ports */
	{ B("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n"), AT("PROXY TCP4 1.2.3.4 5.6.7.8 65536") },
	{ B("PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n"), AT("PROXY TCP4 1.2.3.4 5.6.7.8 1 99999") },
	{ B("PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n"), AT("PROXY TCP4 1.2.3.4 5.6.7.8 08") },
	{ B("PROXY TCP4 1.2.3.4 5.6.7.8 1 00\r\n"), AT("PROXY TCP4 1.2.3.4 5.6.7.8 1 00") },
	{ B("PROXY TCP4 1.2.3.4 5.6.7.8 +80 2\r\n"), AT("PROXY TCP4 1.2.3.4 5.6.7.8 +") },
	{ B("PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n"), AT("PROXY TCP4 1.2.3.4 5.6.7.8 -") },
	{ B("PROXY TCP4 1.2.3.4 5.6.7.8 1 0x2\r\n"), AT("PROXY TCP4 1.2.3.4 5.6.7.8 1 0x") },
	{ B("PROXY TCP4 1.2.3.4 5.6.7.8 1 100000\r\n"), AT("PROXY TCP4 1.2.3.4 5.6.7.8 1 100000") },
	/* UNKNOWN */
	{ B("PROXY UNKNOWN\n"), AT("PROXY UNKNOWN\n") },
	{ B("PROXY UNKNOWNX\r\n"), AT("PROXY UNKNOWNX") },
	{ B("PROXY UNKNOWN\r\r\n"), AT("PROXY UNKNOWN\r\r") },
	{ B("PROXY UNKNOWN a\nb\r\n"), AT("PROXY UNKNOWN a\n") },
	{ B("PROXY UNKNOWN a\rb\r\n"), AT("PROXY UNKNOWN a\rb") },
	{ B("PROXY UNKNOW\r\n"), AT("PROXY UNKNOW\r") },
	/* 2.1's 107 bytes: a dotted tail can make a TCP6 line longer */
	{ B("PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255 "
	    "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255 65535 65535\r\n"),
	  AT("PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255 "
	     "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255") },
	{ B("PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255 "
	    "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.25 10 0\r\n"),
	  AT("PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255 "
	     "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.25 10") },
	/* v2 */
	{ B(SIG "\x11\x11\x00\x00"), 13 },
	{ B(SIG "\x31\x11\x00\x00"), 13 },
	{ B(SIG "\x01\x11\x00\x00"), 13 },
	{ B(SIG "\x22\x11\x00\x00"), 13 },
	{ B(SIG "\x2f\x11\x00\x00"), 13 },
	{ B(SIG "\x21\x41\x00\x0c"), 14 },
	{ B(SIG "\x21\xf0\x00\x0c"), 14 },
	{ B(SIG "\x21\x13\x00\x0c"), 14 },
	{ B(SIG "\x20\x03\x00\x00"), 14 },
	/* the cap, PROXY_PROTO_MAX = 4328 bytes: a length field over 4312 */
	{ B(SIG "\x21\x11\x10\xd9"), 16 },
	{ B(SIG "\x20\x00\xff\xff"), 16 },
	/* shorter than the address block */
	{ B(SIG "\x21\x11\x00\x0b"), 16 },
	{ B(SIG "\x21\x21\x00\x23"), 16 },
	{ B(SIG "\x21\x31\x00\xd7"), 16 },
	{ B(SIG "\x21\x22\x00\x00"), 16 },
	{ B(SIG "\x21\x12\x00\x0b"), 16 },
	/* TLVs that do not fill the rest exactly */
	{ B(SIG "\x21\x11\x00\x11" "\x01\x02\x03\x04\x05\x06\x07\x08\x00\x50\x01\xbb"
	        "\x01\x00\x05" "h2"),
	  31 },
	{ B(SIG "\x21\x11\x00\x13" "\x01\x02\x03\x04\x05\x06\x07\x08\x00\x50\x01\xbb"
	        "\x01\x00\x05" "h2xx"),
	  31 },
	{ B(SIG "\x21\x11\x00\x11" "\x01\x02\x03\x04\x05\x06\x07\x08\x00\x50\x01\xbb"
	        "\x04\x00\x00" "\x01\x00"),
	  31 },
	{ B(SIG "\x21\x11\x00\x0d" "\x01\x02\x03\x04\x05\x06\x07\x08\x00\x50\x01\xbb" "\x04"), 16 },
	{ B(SIG "\x21\x11\x00\x0e" "\x01\x02\x03\x04\x05\x06\x07\x08\x00\x50\x01\xbb" "\x04\x00"),
	  16 },
	{ B(SIG "\x21\x21\x00\x26" "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01"
	        "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02" "\x00\x50\x01\xbb" "\x05\x00"),
	  16 },
	{ B(SIG "\x21\x31\x00\xda"), 16 },
};

static void test_bad(void)
{
	for (size_t i = 0; i < sizeof v1_bad / sizeof v1_bad[0]; i++) {
		const struct bad_case *c = &v1_bad[i];
		char what[64];
		snprintf(what, sizeof what, "bad case %zu", i);
		check_refused(c->in, c->len, c->at, what);
	}

	/* every byte of the v2 signature matters */
	for (size_t i = 0; i < 12; i++) {
		uint8_t h[28];
		memcpy(h, SIG "\x21\x11\x00\x0c", 16);
		memset(h + 16, 1, 12);
		h[i] ^= 0x40;
		check_refused(h, sizeof h, i + 1, "v2 signature");
	}

	/* 2.1: no CRLF in the first 107 bytes */
	char line[128];
	memcpy(line, "PROXY UNKNOWN ", 14);
	memset(line + 14, 'x', 92);
	memcpy(line + 106, "\r\n", 2);
	check_refused(line, 108, 106, "UNKNOWN, 108 bytes");
	memset(line + 14, 'x', 91);
	memcpy(line + 105, "\r", 1);
	line[106] = 'x';
	check_refused(line, 107, 107, "UNKNOWN, CR at 106 without LF");
}

struct v2_case {
	const char *in;
	size_t len;
	long ret;
	int fam; /* 0: local */
	const char *src, *dst;
	unsigned sport, dport;
};

#define TCP4_BODY "\xc0\x00\x02\x01" "\xc6\x33\x64\x07" "\xdc\x04\x01\xbb"
#define TCP6_BODY                                                                         \
	"\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01" "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02" \
	"\x00\x50\xff\xff"

static const struct v2_case v2_good[] = {
	{ B(SIG "\x21\x11\x00\x0c" TCP4_BODY), 28, 4, "192.0.2.1", "198.51.100.7", 56324, 443 },
	{ B(SIG "\x21\x11\x00\x0c" TCP4_BODY "GET / HTTP/1.1\r\n"), 28, 4, "192.0.2.1",
	  "198.51.100.7", 56324, 443 },
	{ B(SIG "\x21\x21\x00\x24" TCP6_BODY), 52, 6, "2001:db8::1", "2001:db8::2", 80, 65535 },
	/* TLVs (2.2.1-2.2.8): ALPN, NOOP, UNIQUE_ID, SSL with sub-TLVs, a
	 * custom and a reserved type, an empty value */
	{ B(SIG "\x21\x11\x00\x33" TCP4_BODY "\x01\x00\x02" "h2" "\x04\x00\x00"
	        "\x05\x00\x03" "abc"
	        "\x20\x00\x0f" "\x07\x00\x00\x00\x00" "\x21\x00\x07" "TLSv1.3"
	        "\xe0\x00\x01" "x" "\xff\x00\x00"),
	  67, 4, "192.0.2.1", "198.51.100.7", 56324, 443 },
	{ B(SIG "\x21\x21\x00\x27" TCP6_BODY "\x04\x00\x00"), 55, 6, "2001:db8::1", "2001:db8::2",
	  80, 65535 },
	/* LOCAL: the real endpoints; the block is skipped whatever it is */
	{ B(SIG "\x20\x00\x00\x00"), 16, 0, NULL, NULL, 0, 0 },
	{ B(SIG "\x20\x00\x00\x00" "GET"), 16, 0, NULL, NULL, 0, 0 },
	{ B(SIG "\x20\x11\x00\x0c" TCP4_BODY), 28, 0, NULL, NULL, 0, 0 },
	{ B(SIG "\x20\x11\x00\x00"), 16, 0, NULL, NULL, 0, 0 },
	{ B(SIG "\x20\x00\x00\x05" "\x01\x00\x09\xff\xff"), 21, 0, NULL, NULL, 0, 0 },
	{ B(SIG "\x20\x21\x00\x01" "\x01"), 17, 0, NULL, NULL, 0, 0 },
	/* PROXY with what the server does not take: UNSPEC family or
	 * transport, UNIX, datagrams */
	{ B(SIG "\x21\x00\x00\x00"), 16, 0, NULL, NULL, 0, 0 },
	{ B(SIG "\x21\x00\x00\x07" "garbage"), 23, 0, NULL, NULL, 0, 0 },
	{ B(SIG "\x21\x10\x00\x03" "\x01\x02\x03"), 19, 0, NULL, NULL, 0, 0 },
	{ B(SIG "\x21\x01\x00\x00"), 16, 0, NULL, NULL, 0, 0 },
	{ B(SIG "\x21\x02\x00\x01" "x"), 17, 0, NULL, NULL, 0, 0 },
	{ B(SIG "\x21\x12\x00\x0c" TCP4_BODY), 28, 0, NULL, NULL, 0, 0 },
	{ B(SIG "\x21\x22\x00\x24" TCP6_BODY), 52, 0, NULL, NULL, 0, 0 },
	{ B(SIG "\x21\x12\x00\x0f" TCP4_BODY "\x04\x00\x00"), 31, 0, NULL, NULL, 0, 0 },
};

static void test_v2_good(void)
{
	for (size_t i = 0; i < sizeof v2_good / sizeof v2_good[0]; i++) {
		const struct v2_case *c = &v2_good[i];
		struct proxy_proto_addr a;
		uint8_t src[16], dst[16];
		char what[64];

		snprintf(what, sizeof what, "v2 case %zu", i);
		long r = parse(c->in, c->len, &a);
		CHECK(r == c->ret, "%s: %ld, want %ld", what, r, c->ret);
		if (r != c->ret)
			continue;
		CHECK(a.version == 2, "%s: version %d", what, a.version);
		CHECK(a.local == (c->fam == 0), "%s: local %d", what, a.local);
		CHECK(a.family == c->fam, "%s: family %d", what, a.family);
		if (c->fam) {
			addr(c->src, src);
			addr(c->dst, dst);
			CHECK(memcmp(a.src, src, 16) == 0, "%s: source", what);
			CHECK(memcmp(a.dst, dst, 16) == 0, "%s: destination", what);
			CHECK(a.src_port == c->sport && a.dst_port == c->dport, "%s: ports %u %u",
			      what, a.src_port, a.dst_port);
		}
		check_prefixes(c->in, c->len, c->ret, what);
	}
}

/* Header of vc/fam with a body of n bytes (length field n), a TLV of
 * the rest after an address block of addr bytes. */
static size_t build(uint8_t *h, uint8_t vc, uint8_t fam, size_t addr_len, size_t n)
{
	memcpy(h, SIG, 12);
	h[12] = vc;
	h[13] = fam;
	h[14] = (uint8_t)(n >> 8);
	h[15] = (uint8_t)n;
	memset(h + 16, 0x7e, addr_len);
	size_t v = n - addr_len - 3;
	h[16 + addr_len] = 0xe1;
	h[17 + addr_len] = (uint8_t)(v >> 8);
	h[18 + addr_len] = (uint8_t)v;
	memset(h + 19 + addr_len, 'v', v);
	return 16 + n;
}

static void test_v2_limits(void)
{
	uint8_t *h = malloc(PROXY_PROTO_MAX + 64);
	struct proxy_proto_addr a;
	size_t n;

	if (!h)
		abort();
	/* exactly the cap, for each address block */
	n = build(h, 0x21, 0x11, 12, PROXY_PROTO_MAX - 16);
	CHECK(parse(h, n, &a) == PROXY_PROTO_MAX && a.family == 4, "TCP4 at the cap");
	check_prefixes(h, n, PROXY_PROTO_MAX, "TCP4 at the cap");
	n = build(h, 0x21, 0x21, 36, PROXY_PROTO_MAX - 16);
	CHECK(parse(h, n, &a) == PROXY_PROTO_MAX && a.family == 6, "TCP6 at the cap");
	n = build(h, 0x21, 0x31, 216, PROXY_PROTO_MAX - 16);
	CHECK(parse(h, n, &a) == PROXY_PROTO_MAX && a.local, "UNIX at the cap");
	check_prefixes(h, n, PROXY_PROTO_MAX, "UNIX at the cap");
	/* one byte over: refused as soon as the length field is seen */
	n = build(h, 0x21, 0x11, 12, PROXY_PROTO_MAX - 15);
	check_refused(h, n, 16, "TCP4 over the cap");
	n = build(h, 0x20, 0x00, 0, PROXY_PROTO_MAX - 15);
	check_refused(h, n, 16, "LOCAL over the cap");

	/* TLV chains: many small ones, each checked as its head arrives */
	memcpy(h, SIG "\x21\x11", 14);
	memset(h + 16, 0, 12);
	n = 28;
	for (int i = 0; i < 200; i++) {
		h[n++] = (uint8_t)i;
		h[n++] = 0;
		h[n++] = (uint8_t)(i % 4);
		memset(h + n, 'a', (size_t)(i % 4));
		n += (size_t)(i % 4);
	}
	h[14] = (uint8_t)((n - 16) >> 8);
	h[15] = (uint8_t)(n - 16);
	check_prefixes(h, n, (long)n, "200 TLVs");
	/* the last one a byte too long: refused at its head */
	h[n - 5] = 0; /* i = 199: a head at n - 6, 3 bytes of value, now 4 */
	h[n - 4] = 4;
	check_refused(h, n, n - 3, "200 TLVs, the last too long");
	free(h);
}

int main(void)
{
	test_v1_good();
	test_bad();
	test_v2_good();
	test_v2_limits();
	return unit_done("proxy_proto");
}
