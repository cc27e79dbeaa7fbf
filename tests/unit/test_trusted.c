/* test_trusted.c - strict address text, trusted proxy networks and the
 * client address taken from X-Forwarded-For / X-Real-IP. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trusted.h"
#include "unit.h"

/* An exact-size heap copy, so ASan sees any read past the end. */
static char *dup_exact(const char *s, size_t n)
{
	char *p = malloc(n ? n : 1);
	if (!p)
		abort();
	memcpy(p, s, n);
	return p;
}

static int parse_addr(const char *s, uint8_t out[16])
{
	size_t n = strlen(s);
	char *p = dup_exact(s, n);
	int fam = trusted_parse_addr(slice_make(p, n), out);
	free(p);
	return fam;
}

static int need(const char *s, size_t n, int fam)
{
	char *p = dup_exact(s, n);
	int r = trusted_addr_need(slice_make(p, n), fam);
	free(p);
	return r;
}

static bool parse_hop(const char *s, uint8_t out[16])
{
	size_t n = strlen(s);
	char *p = dup_exact(s, n);
	bool ok = trusted_parse_hop(slice_make(p, n), out);
	free(p);
	return ok;
}

/* 32 hex digits -> 16 bytes */
static void from_hex(const char *hex, uint8_t out[16])
{
	for (int i = 0; i < 16; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			abort();
		out[i] = (uint8_t)v;
	}
}

/* An address the test itself writes: must parse. */
static void addr(const char *s, uint8_t out[16])
{
	if (parse_addr(s, out) == 0) {
		fprintf(stderr, "test address '%s' does not parse\n", s);
		abort();
	}
}

struct addr_case {
	const char *in;
	int fam;
	const char *hex; /* the 16 bytes */
};

#define V4(h) "00000000000000000000ffff" h

static const struct addr_case good_addrs[] = {
	{ "0.0.0.0", 4, V4("00000000") },
	{ "255.255.255.255", 4, V4("ffffffff") },
	{ "10.0.0.1", 4, V4("0a000001") },
	{ "192.168.100.200", 4, V4("c0a864c8") },
	{ "1.2.3.4", 4, V4("01020304") },
	{ "100.99.9.0", 4, V4("64630900") },
	{ "::", 6, "00000000000000000000000000000000" },
	{ "::1", 6, "00000000000000000000000000000001" },
	{ "1::", 6, "00010000000000000000000000000000" },
	{ "1::8", 6, "00010000000000000000000000000008" },
	{ "1:2:3:4:5:6:7:8", 6, "00010002000300040005000600070008" },
	{ "1:2:3:4:5:6:7::", 6, "00010002000300040005000600070000" },
	{ "::2:3:4:5:6:7:8", 6, "00000002000300040005000600070008" },
	{ "1:2:3::6:7:8", 6, "00010002000300000000000600070008" },
	{ "2001:db8::ff00:42:8329", 6, "20010db8000000000000ff0000428329" },
	{ "2001:DB8:0:0:8:800:200C:417A", 6, "20010db80000000000080800200c417a" },
	{ "abcd:ef01:2345:6789:ABCD:EF01:2345:6789", 6, "abcdef0123456789abcdef0123456789" },
	{ "0000:0000::0000", 6, "00000000000000000000000000000000" },
	{ "0:0:0:0:0:0:0:0", 6, "00000000000000000000000000000000" },
	{ "fe80::", 6, "fe800000000000000000000000000000" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 6, "ffffffffffffffffffffffffffffffff" },
	/* dotted tails: mapped (what inet_ntop writes), compatible, full */
	{ "::ffff:1.2.3.4", 6, V4("01020304") },
	{ "::FFFF:192.0.2.1", 6, V4("c0000201") },
	{ "::1.2.3.4", 6, "00000000000000000000000001020304" },
	{ "1::1.2.3.4", 6, "00010000000000000000000001020304" },
	{ "1:2:3:4:5:6:1.2.3.4", 6, "00010002000300040005000601020304" },
	{ "1:2:3:4:5::1.2.3.4", 6, "00010002000300040005000001020304" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", 6, "ffffffffffffffffffffffffffffffff" },
};

static const char *const bad_addrs[] = {
	"", " ", "1", "1.2", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.04", "00.0.0.0",
	"1.2.3.256", "256.1.1.1", "1.2.3.999", "1.2.3.-1", "+1.2.3.4", "-1.2.3.4", " 1.2.3.4",
	"1.2.3.4 ", "1..2.3", ".1.2.3", "1.2.3.", "1.2.3.4.", "0x1.2.3.4", "1.2.3.4/8",
	"1.2.3.4:80", "1.2.3.0004", "1,2,3,4", "\xef\xbc\x91.2.3.4", "1.2.3.4\n", "1.2.3\0.4",
	":", ":::", "::::", "1:::2", "1::2::3", "::1::", ":1::", ":1", "1:", "1::2:", "1:2",
	"1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8:", ":1:2:3:4:5:6:7:8",
	"12345::", "::12345", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::8",
	"1::2:3:4:5:6:7:8", "g::", "::g", "fe80::1%eth0", "fe80::1%25eth0", "[::1]",
	"::1 ", " ::1", "::ffff:1.2.3", "::ffff:1.2.3.4.5", "::ffff:01.2.3.4",
	"::ffff:1.2.3.256", "1:2:3:4:5:6:7:1.2.3.4", "1:2:3:4:5:1.2.3.4", "1:2:3:4:5:6::1.2.3.4",
	"::1.2.3.4:5", "1.2.3.4::", "::1.2.3.4.", "::ffff:1.2.3.4x", "::ffff:a.2.3.4",
	"::ffff:1234.2.3.4", "::ffff:1.2.3.4/96", "::-1", "::+1",
};

static void test_parse_addr(void)
{
	for (size_t i = 0; i < sizeof good_addrs / sizeof good_addrs[0]; i++) {
		const struct addr_case *c = &good_addrs[i];
		uint8_t got[16], want[16];
		int fam = parse_addr(c->in, got);
		from_hex(c->hex, want);
		CHECK(fam == c->fam, "'%s': family %d, want %d", c->in, fam, c->fam);
		CHECK(fam == 0 || memcmp(got, want, 16) == 0, "'%s': wrong bytes", c->in);
		/* a whole address needs nothing more in its own family */
		CHECK(need(c->in, strlen(c->in), c->fam) == 0, "'%s': need != 0", c->in);
	}
	for (size_t i = 0; i < sizeof bad_addrs / sizeof bad_addrs[0]; i++) {
		uint8_t got[16];
		memset(got, 0xa5, sizeof got);
		int fam = parse_addr(bad_addrs[i], got);
		CHECK(fam == 0, "'%s' parsed as family %d", bad_addrs[i], fam);
		bool untouched = true;
		for (int k = 0; k < 16; k++)
			untouched = untouched && got[k] == 0xa5;
		CHECK(untouched, "'%s': out written on failure", bad_addrs[i]);
	}
	/* a NUL inside is not the end of the text */
	uint8_t a[16];
	CHECK(trusted_parse_addr(slice_make("1.2.3.4\0", 8), a) == 0, "NUL inside accepted");
	CHECK(trusted_parse_addr(slice_make("::1\0", 4), a) == 0, "NUL inside accepted");
	CHECK(trusted_parse_addr(slice_make(NULL, 0), a) == 0, "empty slice accepted");
}

struct need_case {
	const char *in;
	int fam;
	int need;
};

static const struct need_case need_cases[] = {
	{ "", 4, 7 },
	{ "1", 4, 6 },
	{ "1.", 4, 5 },
	{ "1.2", 4, 4 },
	{ "1.2.3.", 4, 1 },
	{ "1.2.3.4", 4, 0 },
	{ "0", 4, 6 },
	{ "25", 4, 6 },
	{ "01", 4, -1 },
	{ "256", 4, -1 },
	{ "1.2.3.4.", 4, -1 },
	{ "1..", 4, -1 },
	{ "::1", 4, -1 },
	{ "a", 4, -1 },
	{ "", 6, 2 },
	{ ":", 6, 1 },
	{ "::", 6, 0 },
	{ "1", 6, 2 },
	{ "1:", 6, 1 },
	{ "1::", 6, 0 },
	{ "1:2:3:4:5:6:7", 6, 2 },
	{ "1:2:3:4:5:6:7:", 6, 1 },
	{ "1:2:3:4:5:6:7:8", 6, 0 },
	{ "1:2:3:4:5:6:7:8:", 6, -1 },
	{ "1:2:3:4:5:6:7::", 6, 0 },
	{ "1:2:3:4:5:6:7::1", 6, -1 },
	{ "1::2:3:4:5:6", 6, 0 },
	{ "1::2:3:4:5:6:", 6, 1 },
	{ "1::2:3:4:5:6:7", 6, 0 },
	{ "1::2:3:4:5:6:7:", 6, -1 },
	{ "::ffff:1", 6, 0 },
	{ "::ffff:1.", 6, 5 },
	{ "::ffff:1.2", 6, 4 },
	{ "::ffff:1.2.3.", 6, 1 },
	{ "1:2:3:4:5:6:1.2.3.", 6, 1 },
	{ "1:2:3:4:5:1.", 6, -1 },
	{ "1.2.3.4", 6, -1 },
	{ "12345", 6, -1 },
	{ ":x", 6, -1 },
	{ "1.2.3.4", 5, -1 },
	{ "", 0, -1 },
};

/* Some string of exactly len bytes over a small alphabet completes p? */
static bool completes(const char *p, size_t n, int fam, size_t len)
{
	static const char alphabet[] = "01.:a";
	char buf[64];
	size_t idx[8] = { 0 };

	if (n + len > sizeof buf || len > 8)
		abort();
	memcpy(buf, p, n);
	for (;;) {
		for (size_t k = 0; k < len; k++)
			buf[n + k] = alphabet[idx[k]];
		if (need(buf, n + len, fam) == 0)
			return true;
		size_t k = 0;
		while (k < len && ++idx[k] == sizeof alphabet - 1)
			idx[k++] = 0;
		if (k == len)
			return false;
	}
}

static void test_need(void)
{
	for (size_t i = 0; i < sizeof need_cases / sizeof need_cases[0]; i++) {
		const struct need_case *c = &need_cases[i];
		int got = need(c->in, strlen(c->in), c->fam);
		CHECK(got == c->need, "need('%s', %d) = %d, want %d", c->in, c->fam, got, c->need);
	}
	/* Every prefix of every good address: need says how far the
	 * nearest whole address is, exactly (searched for when short). */
	for (size_t i = 0; i < sizeof good_addrs / sizeof good_addrs[0]; i++) {
		const struct addr_case *c = &good_addrs[i];
		size_t n = strlen(c->in);
		for (size_t k = 0; k <= n; k++) {
			int nd = need(c->in, k, c->fam);
			CHECK(nd >= 0 && (size_t)nd <= n - k, "'%.*s' (%d): need %d", (int)k, c->in,
			      c->fam, nd);
			if (nd < 0 || nd > 4)
				continue;
			CHECK(completes(c->in, k, c->fam, (size_t)nd),
			      "'%.*s': no %d-byte completion", (int)k, c->in, nd);
			for (int shorter = 0; shorter < nd; shorter++)
				CHECK(!completes(c->in, k, c->fam, (size_t)shorter),
				      "'%.*s': a %d-byte completion, need said %d", (int)k, c->in,
				      shorter, nd);
		}
	}
}

struct hop_case {
	const char *in;
	const char *want; /* address text, or NULL: not an element */
};

static const struct hop_case hops[] = {
	{ "1.2.3.4", "1.2.3.4" },
	{ " 1.2.3.4 ", "1.2.3.4" },
	{ "\t::1\t", "::1" },
	{ "[::1]", "::1" },
	{ "[2001:db8::1]:443", "2001:db8::1" },
	{ "[::ffff:1.2.3.4]", "1.2.3.4" },
	{ "::ffff:1.2.3.4", "1.2.3.4" },
	{ "1.2.3.4:80", "1.2.3.4" },
	{ "1.2.3.4:0", "1.2.3.4" },
	{ "1.2.3.4:65535", "1.2.3.4" },
	/* a bare IPv6 address cannot carry a port: this is ::1:80 */
	{ "::1:80", "::1:80" },
	{ "", NULL },
	{ "   ", NULL },
	{ "unknown", NULL },
	{ "_hidden", NULL },
	{ "example.com", NULL },
	{ "[1.2.3.4]", NULL },
	{ "[1.2.3.4]:80", NULL },
	{ "[::1", NULL },
	{ "::1]", NULL },
	{ "[]", NULL },
	{ "[::1]:", NULL },
	{ "[::1]:x", NULL },
	{ "[::1]80", NULL },
	{ "[::1]:65536", NULL },
	{ "[::1]:0443", NULL },
	{ "[ ::1]", NULL },
	{ "1.2.3.4:", NULL },
	{ "1.2.3.4:65536", NULL },
	{ "1.2.3.4:080", NULL },
	{ "1.2.3.4:+80", NULL },
	{ "1.2.3.4:-1", NULL },
	{ "1.2.3.4:123456", NULL },
	{ "1.2.3.4 :80", NULL },
	{ "01.2.3.4", NULL },
	{ "1.2.3.4 5.6.7.8", NULL },
	{ "1.2.3.4,5.6.7.8", NULL },
	{ "\"1.2.3.4\"", NULL },
	{ "for=1.2.3.4", NULL },
	{ "fe80::1%eth0", NULL },
	{ "[fe80::1%25eth0]", NULL },
};

static void test_hop(void)
{
	for (size_t i = 0; i < sizeof hops / sizeof hops[0]; i++) {
		const struct hop_case *c = &hops[i];
		uint8_t got[16], want[16];
		bool ok = parse_hop(c->in, got);
		CHECK(ok == (c->want != NULL), "hop '%s': %s", c->in, ok ? "accepted" : "refused");
		if (ok && c->want) {
			addr(c->want, want);
			CHECK(memcmp(got, want, 16) == 0, "hop '%s': wrong address", c->in);
		}
	}
}

struct add_case {
	const char *list;
	int rc;
	size_t count;     /* entries after a good add */
	const char *named; /* in the message of a bad one */
};

static const struct add_case adds[] = {
	{ "10.0.0.0/8", 0, 1, NULL },
	{ "10.0.0.0/8, 192.168.1.1 ::1/128,fd00::/8", 0, 4, NULL },
	{ "", 0, 0, NULL },
	{ " , ,, \t", 0, 0, NULL },
	{ "\t10.0.0.1\n10.0.0.2\r\n", 0, 2, NULL },
	{ "0.0.0.0/0", 0, 1, NULL },
	{ "::/0", 0, 1, NULL },
	{ "1.2.3.4/32", 0, 1, NULL },
	{ "::1/128", 0, 1, NULL },
	{ "::ffff:10.0.0.0/104", 0, 1, NULL },
	{ "fe80::/10", 0, 1, NULL },
	{ "10.128.0.0/9", 0, 1, NULL },
	{ "1.1.1.1,1.1.1.1", 0, 2, NULL },
	{ "10.0.0.0/33", -1, 0, "10.0.0.0/33" },
	{ "::/129", -1, 0, "::/129" },
	{ "10.0.0.1/8", -1, 0, "10.0.0.1/8" },
	{ "fe80::/8", -1, 0, "fe80::/8" },
	{ "1.2.3.4/0", -1, 0, "1.2.3.4/0" },
	{ "10.0.0.0/", -1, 0, "10.0.0.0/" },
	{ "10.0.0.0/08", -1, 0, "10.0.0.0/08" },
	{ "10.0.0.0/-8", -1, 0, "10.0.0.0/-8" },
	{ "10.0.0.0/+8", -1, 0, "10.0.0.0/+8" },
	{ "10.0.0.0/1000", -1, 0, "10.0.0.0/1000" },
	{ "10.0.0.0/8/8", -1, 0, "10.0.0.0/8/8" },
	{ "/8", -1, 0, "/8" },
	{ "foo", -1, 0, "foo" },
	{ "10.0.0.0/8;", -1, 0, "10.0.0.0/8;" },
	{ "10.0.0.0/8, 1.2.3.4:80", -1, 0, "1.2.3.4:80" },
	{ "[::1]", -1, 0, "[::1]" },
	{ "010.0.0.0/8", -1, 0, "010.0.0.0/8" },
	{ "192.168.1.1, bogus, 10.0.0.0/8", -1, 0, "bogus" },
};

static void test_add(void)
{
	for (size_t i = 0; i < sizeof adds / sizeof adds[0]; i++) {
		const struct add_case *c = &adds[i];
		struct trusted *t = trusted_new();
		char err[256] = "";
		if (!t)
			abort();
		int rc = trusted_add(t, c->list, err, sizeof err);
		CHECK(rc == c->rc, "add '%s': %d (%s)", c->list, rc, err);
		if (rc == 0)
			CHECK(trusted_count(t) == c->count, "add '%s': %zu entries", c->list,
			      trusted_count(t));
		else
			CHECK(trusted_count(t) == 0, "add '%s': failed but kept entries", c->list);
		if (c->named)
			CHECK(strstr(err, c->named) != NULL, "add '%s': message '%s'", c->list,
			      err);
		trusted_free(t);
	}

	/* a failed add leaves what was there */
	struct trusted *t = trusted_new();
	char err[256];
	CHECK(trusted_add(t, "10.0.0.0/8", err, sizeof err) == 0, "add");
	CHECK(trusted_add(t, "1.1.1.1, 2.2.2.2, nope", err, sizeof err) == -1, "add nope");
	CHECK(trusted_count(t) == 1, "count after a failed add: %zu", trusted_count(t));
	uint8_t a[16];
	addr("1.1.1.1", a);
	CHECK(!trusted_contains(t, a), "entry of a failed add kept");

	/* the bound: TRUSTED_MAX entries, over several calls */
	for (int i = 1; i < TRUSTED_MAX; i++) {
		char e[32];
		snprintf(e, sizeof e, "fd00::%x", i);
		if (trusted_add(t, e, err, sizeof err) != 0) {
			CHECK(0, "add entry %d: %s", i, err);
			break;
		}
	}
	CHECK(trusted_count(t) == TRUSTED_MAX, "count %zu", trusted_count(t));
	CHECK(trusted_add(t, "1.2.3.4", err, sizeof err) == -1, "entry %d accepted",
	      TRUSTED_MAX + 1);
	CHECK(strstr(err, "1.2.3.4") != NULL, "message '%s'", err);
	CHECK(trusted_count(t) == TRUSTED_MAX, "count %zu", trusted_count(t));
	trusted_free(t);

	/* messages are cut to cap, a long entry is shortened */
	t = trusted_new();
	char small[12];
	memset(small, '#', sizeof small);
	CHECK(trusted_add(t, "not-an-address", small, 8) == -1, "bad entry");
	CHECK(small[7] == '\0' && small[8] == '#', "message past cap");
	char longer[300];
	memset(longer, 'x', 200);
	longer[200] = '\0';
	CHECK(trusted_add(t, longer, err, sizeof err) == -1, "long entry");
	CHECK(strlen(err) < 120, "long entry quoted whole: %zu bytes", strlen(err));
	CHECK(trusted_add(t, "bad", NULL, 0) == -1, "no message buffer");
	CHECK(trusted_add(t, NULL, err, sizeof err) == 0, "NULL list");
	trusted_free(t);
	trusted_free(NULL);
}

struct contains_case {
	const char *addr;
	bool in;
};

static const char contains_set[] = "10.0.0.0/8, 192.168.1.1, ::1/128, fd00::/8, "
				   "172.16.0.0/12, 2001:db8:1::/48, 100.64.0.0/10, "
				   "10.128.0.0/9, 198.51.100.0/31, 2001:db8:8000::/33";

static const struct contains_case contains_cases[] = {
	{ "10.0.0.0", true },
	{ "10.255.255.255", true },
	{ "11.0.0.0", false },
	{ "9.255.255.255", false },
	{ "192.168.1.1", true },
	{ "192.168.1.2", false },
	{ "192.168.1.0", false },
	{ "::1", true },
	{ "::2", false },
	{ "::", false },
	{ "fd00::1", true },
	{ "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true },
	{ "fe00::", false },
	{ "fc00::", false },
	{ "172.31.255.255", true },
	{ "172.32.0.0", false },
	{ "172.15.255.255", false },
	{ "2001:db8:1:ffff::1", true },
	{ "2001:db8:2::", false },
	{ "2001:db8:0:ffff::", false },
	{ "100.127.255.255", true },
	{ "100.128.0.0", false },
	{ "100.63.255.255", false },
	{ "198.51.100.0", true },
	{ "198.51.100.1", true },
	{ "198.51.100.2", false },
	{ "2001:db8::", false },
	{ "2001:db8:7fff:ffff::", false },
	{ "2001:db8:8000::1", true },
	{ "2001:db8:ffff:ffff::", true },
	/* IPv4 written as mapped IPv6 is the same address; compatible is not */
	{ "::ffff:10.1.2.3", true },
	{ "::10.1.2.3", false },
	{ "::ffff:0a01:0203", true },
	{ "0.0.0.0", false },
	{ "255.255.255.255", false },
};

static void test_contains(void)
{
	struct trusted *t = trusted_new();
	char err[256];
	uint8_t a[16];

	CHECK(trusted_add(t, contains_set, err, sizeof err) == 0, "set: %s", err);
	for (size_t i = 0; i < sizeof contains_cases / sizeof contains_cases[0]; i++) {
		const struct contains_case *c = &contains_cases[i];
		addr(c->addr, a);
		CHECK(trusted_contains(t, a) == c->in, "contains %s: %d", c->addr, !c->in);
	}
	trusted_free(t);

	/* /0: all of one family; the IPv4 one is ::ffff:0:0/96 */
	t = trusted_new();
	CHECK(trusted_add(t, "0.0.0.0/0", err, sizeof err) == 0, "v4 /0");
	addr("1.2.3.4", a);
	CHECK(trusted_contains(t, a), "0.0.0.0/0 misses 1.2.3.4");
	addr("::1", a);
	CHECK(!trusted_contains(t, a), "0.0.0.0/0 holds ::1");
	addr("::ffff:0:0", a);
	CHECK(trusted_contains(t, a), "0.0.0.0/0 misses ::ffff:0:0");
	trusted_free(t);
	t = trusted_new();
	CHECK(trusted_add(t, "::/0", err, sizeof err) == 0, "v6 /0");
	addr("::1", a);
	CHECK(trusted_contains(t, a), "::/0 misses ::1");
	addr("1.2.3.4", a);
	CHECK(trusted_contains(t, a), "::/0 misses 1.2.3.4");
	trusted_free(t);
	t = trusted_new();
	CHECK(trusted_add(t, "::ffff:0:0/96", err, sizeof err) == 0, "mapped /96");
	addr("203.0.113.7", a);
	CHECK(trusted_contains(t, a), "::ffff:0:0/96 misses 203.0.113.7");
	addr("::1", a);
	CHECK(!trusted_contains(t, a), "::ffff:0:0/96 holds ::1");
	trusted_free(t);

	/* every prefix length: the network's first and last address are in,
	 * the ones just outside are not */
	for (unsigned bits = 0; bits <= 128; bits++) {
		uint8_t net[16], lo[16], hi[16];
		char text[64], e[256];
		memset(net, 0, 16);
		for (unsigned b = 0; b < bits; b++)
			if ((b * 7 + 3) % 5 < 3) /* some pattern of ones */
				net[b / 8] |= (uint8_t)(0x80 >> (b % 8));
		int w = 0;
		for (int k = 0; k < 8; k++)
			w += snprintf(text + w, sizeof text - (size_t)w, "%s%x", k ? ":" : "",
				      net[2 * k] << 8 | net[2 * k + 1]);
		snprintf(text + w, sizeof text - (size_t)w, "/%u", bits);
		t = trusted_new();
		CHECK(trusted_add(t, text, e, sizeof e) == 0, "add %s: %s", text, e);
		memcpy(lo, net, 16);
		memcpy(hi, net, 16);
		for (unsigned b = bits; b < 128; b++)
			hi[b / 8] |= (uint8_t)(0x80 >> (b % 8));
		CHECK(trusted_contains(t, lo), "%s misses its first address", text);
		CHECK(trusted_contains(t, hi), "%s misses its last address", text);
		if (bits > 0) {
			/* flip the last bit of the prefix */
			unsigned b = bits - 1;
			lo[b / 8] ^= (uint8_t)(0x80 >> (b % 8));
			hi[b / 8] ^= (uint8_t)(0x80 >> (b % 8));
			CHECK(!trusted_contains(t, lo), "%s holds an address outside", text);
			CHECK(!trusted_contains(t, hi), "%s holds an address outside", text);
		}
		trusted_free(t);
	}

	t = trusted_new();
	addr("1.2.3.4", a);
	CHECK(!trusted_contains(t, a), "empty set holds 1.2.3.4");
	CHECK(!trusted_contains(NULL, a), "NULL set holds 1.2.3.4");
	trusted_free(t);
}

#define NO_XFF { NULL }

struct client_case {
	const char *set;
	const char *peer;
	const char *xff[4]; /* fields in order, NULL-terminated */
	const char *real_ip; /* NULL: no X-Real-IP */
	const char *want;    /* NULL: the peer stays */
};

#define T "10.0.0.0/8, 192.168.0.0/16, fd00::/8"

static const struct client_case clients[] = {
	/* an untrusted peer is never believed */
	{ T, "203.0.113.9", { "1.2.3.4" }, NULL, NULL },
	{ T, "203.0.113.9", NO_XFF, "1.2.3.4", NULL },
	{ T, "127.0.0.1", { "1.2.3.4" }, "5.6.7.8", NULL },
	{ "", "10.0.0.1", { "1.2.3.4" }, "5.6.7.8", NULL },
	/* the rightmost untrusted hop */
	{ T, "10.0.0.1", { "1.2.3.4" }, NULL, "1.2.3.4" },
	{ T, "10.0.0.1", { "1.2.3.4, 10.0.0.2" }, NULL, "1.2.3.4" },
	{ T, "10.0.0.1", { "5.6.7.8, 1.2.3.4, 10.0.0.2" }, NULL, "1.2.3.4" },
	{ T, "10.0.0.1", { "10.9.9.9, 1.2.3.4, 10.0.0.2, 192.168.3.3" }, NULL, "1.2.3.4" },
	{ T, "10.0.0.1", { "5.6.7.8, 1.2.3.4" }, NULL, "1.2.3.4" },
	/* all trusted: the leftmost */
	{ T, "10.0.0.1", { "10.0.0.3, 10.0.0.2" }, NULL, "10.0.0.3" },
	{ T, "10.0.0.1", { "10.0.0.3" }, NULL, "10.0.0.3" },
	{ "0.0.0.0/0", "1.1.1.1", { "2.2.2.2, 3.3.3.3" }, NULL, "2.2.2.2" },
	/* several fields are one list, in order */
	{ T, "10.0.0.1", { "5.6.7.8, 1.2.3.4", "10.0.0.2" }, NULL, "1.2.3.4" },
	{ T, "10.0.0.1", { "1.2.3.4", "10.0.0.2, 10.0.0.3" }, NULL, "1.2.3.4" },
	{ T, "10.0.0.1", { "9.9.9.9", "1.2.3.4" }, NULL, "1.2.3.4" },
	{ T, "10.0.0.1", { "9.9.9.9", "10.0.0.5", "", "10.0.0.4" }, NULL, "9.9.9.9" },
	{ T, "10.0.0.1", { "10.0.0.7", "10.0.0.6" }, NULL, "10.0.0.7" },
	/* OWS and empty elements */
	{ T, "10.0.0.1", { " 1.2.3.4 ,\t10.0.0.2\t" }, NULL, "1.2.3.4" },
	{ T, "10.0.0.1", { "1.2.3.4,,10.0.0.2, ," }, NULL, "1.2.3.4" },
	{ T, "10.0.0.1", { ",1.2.3.4," }, NULL, "1.2.3.4" },
	{ T, "10.0.0.1", { "", " ", "1.2.3.4", "," }, NULL, "1.2.3.4" },
	/* garbage: the walk stops, the last hop passed over stays */
	{ T, "10.0.0.1", { "1.2.3.4, unknown" }, NULL, NULL },
	{ T, "10.0.0.1", { "1.2.3.4, unknown" }, "5.6.7.8", NULL },
	{ T, "10.0.0.1", { "1.2.3.4, garbage, 10.0.0.2" }, NULL, "10.0.0.2" },
	{ T, "10.0.0.1", { "1.2.3.4", "garbage", "10.0.0.2" }, NULL, "10.0.0.2" },
	{ T, "10.0.0.1", { "garbage, 1.2.3.4" }, NULL, "1.2.3.4" },
	{ T, "10.0.0.1", { "fe80::1%eth0, 10.0.0.2" }, NULL, "10.0.0.2" },
	{ T, "10.0.0.1", { "010.0.0.1, 10.0.0.2" }, NULL, "10.0.0.2" },
	{ T, "10.0.0.1", { "1.2.3.4 10.0.0.2" }, NULL, NULL },
	{ T, "10.0.0.1", { "_hidden" }, NULL, NULL },
	/* ports and brackets */
	{ T, "10.0.0.1", { "1.2.3.4:5678" }, NULL, "1.2.3.4" },
	{ T, "10.0.0.1", { "[2001:db8::1]:443, 10.0.0.2:80" }, NULL, "2001:db8::1" },
	{ T, "10.0.0.1", { "[2001:db8::1]" }, NULL, "2001:db8::1" },
	{ T, "10.0.0.1", { "1.2.3.4, [10.0.0.2]" }, NULL, NULL },
	/* IPv6 peers and hops; mapped IPv4 is IPv4 */
	{ T, "fd00::1", { "2001:db8::1, fd00::2" }, NULL, "2001:db8::1" },
	{ T, "::ffff:10.0.0.1", { "1.2.3.4, ::ffff:10.0.0.2" }, NULL, "1.2.3.4" },
	{ T, "fd00::1", { "::ffff:1.2.3.4" }, NULL, "1.2.3.4" },
	{ T, "fe80::1", { "1.2.3.4" }, NULL, NULL },
	/* X-Real-IP: only with no X-Forwarded-For element at all */
	{ T, "10.0.0.1", NO_XFF, "1.2.3.4", "1.2.3.4" },
	{ T, "10.0.0.1", NO_XFF, " 1.2.3.4 ", "1.2.3.4" },
	{ T, "10.0.0.1", NO_XFF, "10.0.0.5", "10.0.0.5" },
	{ T, "10.0.0.1", NO_XFF, "1.2.3.4:80", "1.2.3.4" },
	{ T, "10.0.0.1", NO_XFF, "[2001:db8::7]", "2001:db8::7" },
	{ T, "10.0.0.1", NO_XFF, "garbage", NULL },
	{ T, "10.0.0.1", NO_XFF, "1.2.3.4, 5.6.7.8", NULL },
	{ T, "10.0.0.1", NO_XFF, "", NULL },
	{ T, "10.0.0.1", { "", " , " }, "1.2.3.4", "1.2.3.4" },
	{ T, "10.0.0.1", { "9.9.9.9" }, "1.2.3.4", "9.9.9.9" },
	{ T, "10.0.0.1", NO_XFF, NULL, NULL },
};

static void test_client(void)
{
	for (size_t i = 0; i < sizeof clients / sizeof clients[0]; i++) {
		const struct client_case *c = &clients[i];
		struct trusted *t = trusted_new();
		struct slice xff[4], real_ip = { NULL, 0 };
		char *copies[5] = { NULL };
		uint8_t peer[16], out[16], want[16];
		size_t nxff = 0;
		char err[256];

		if (trusted_add(t, c->set, err, sizeof err) != 0)
			abort();
		addr(c->peer, peer);
		for (; nxff < 4 && c->xff[nxff]; nxff++) {
			size_t n = strlen(c->xff[nxff]);
			copies[nxff] = dup_exact(c->xff[nxff], n);
			xff[nxff] = slice_make(copies[nxff], n);
		}
		if (c->real_ip) {
			size_t n = strlen(c->real_ip);
			copies[4] = dup_exact(c->real_ip, n);
			real_ip = slice_make(copies[4], n);
		}
		memset(out, 0xa5, sizeof out);
		bool got = trusted_client(t, peer, xff, nxff, real_ip, out);
		CHECK(got == (c->want != NULL), "case %zu (peer %s, xff '%s'): %s", i, c->peer,
		      c->xff[0] ? c->xff[0] : "-", got ? "replaced" : "kept the peer");
		if (got && c->want) {
			addr(c->want, want);
			CHECK(memcmp(out, want, 16) == 0, "case %zu: not %s", i, c->want);
		}
		if (!got) {
			bool untouched = true;
			for (int k = 0; k < 16; k++)
				untouched = untouched && out[k] == 0xa5;
			CHECK(untouched, "case %zu: out written", i);
		}
		for (int k = 0; k < 5; k++)
			free(copies[k]);
		trusted_free(t);
	}

	/* a long chain of trusted hops: the leftmost */
	struct trusted *t = trusted_new();
	char err[256];
	size_t cap = 600 * 16, w = 0;
	char *chain = malloc(cap);
	uint8_t peer[16], out[16], want[16];
	CHECK(trusted_add(t, "10.0.0.0/8", err, sizeof err) == 0, "add");
	for (int i = 0; i < 600; i++)
		w += (size_t)snprintf(chain + w, cap - w, "%s10.%d.%d.%d", i ? "," : "", i % 7,
				      i % 251, i % 13);
	struct slice one = slice_make(chain, w);
	addr("10.0.0.1", peer);
	addr("10.0.0.0", want);
	CHECK(trusted_client(t, peer, &one, 1, (struct slice){ NULL, 0 }, out), "chain");
	CHECK(memcmp(out, want, 16) == 0, "chain: not the leftmost");
	CHECK(!trusted_client(NULL, peer, &one, 1, (struct slice){ NULL, 0 }, out),
	      "NULL set believed");
	free(chain);
	trusted_free(t);
}

int main(void)
{
	test_parse_addr();
	test_need();
	test_hop();
	test_add();
	test_contains();
	test_client();
	return unit_done("trusted");
}
