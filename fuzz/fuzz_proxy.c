/* fuzz_proxy.c - proxy_proto_parse on arbitrary bytes and on their
 * prefixes (0 until the header's length, then that length, or -1 from
 * the first bad byte on), with the result checked against the bytes it
 * came from; the address text parser against glibc's inet_pton; and the
 * input split into lines for trusted_add, trusted_contains and
 * trusted_client, each checked against a plain model:
 *   line 0        the trusted list
 *   line 1        the peer (an address; empty: the first entry's network)
 *   lines 2..n-2  X-Forwarded-For fields, line n-1 X-Real-IP (n >= 3) */
#include "fuzz_check.h"

#include <arpa/inet.h>

#include "proxy_proto.h"
#include "trusted.h"

#define PREFIX_ALL 256 /* inputs up to this size have every prefix parsed */

/* Parses data[0..k) from the end of a scratch buffer of exactly cap
 * bytes, so ASan sees a read past the k-th byte. */
FUZZ_NOCOV
static long parse_at(uint8_t *scratch, size_t cap, const uint8_t *data, size_t k,
		     struct proxy_proto_addr *out)
{
	memcpy(scratch + cap - k, data, k);
	return proxy_proto_parse(scratch + cap - k, k, out);
}

FUZZ_NOCOV
static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

FUZZ_NOCOV
static bool is_mapped(const uint8_t a[16])
{
	static const uint8_t m[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	return memcmp(a, m, 12) == 0;
}

/* A header that was accepted, against the bytes it was read from. */
FUZZ_NOCOV
static void check_header(const uint8_t *b, long r, const struct proxy_proto_addr *a)
{
	if (b[0] == 'P') {
		const char *s = (const char *)b;
		FUZZ_CHECK(a->version == 1 && r <= 107 && r >= 15);
		FUZZ_CHECK(b[r - 2] == '\r' && b[r - 1] == '\n');
		FUZZ_CHECK(memchr(b, '\n', (size_t)r - 1) == NULL);
		FUZZ_CHECK(memchr(b, '\r', (size_t)r - 2) == NULL);
		if (a->local) {
			FUZZ_CHECK(a->family == 0);
			FUZZ_CHECK(memcmp(s, "PROXY UNKNOWN", 13) == 0);
			FUZZ_CHECK(r == 15 || s[13] == ' ');
			return;
		}
		if (a->family == 4) {
			char line[128];
			FUZZ_CHECK(is_mapped(a->src) && is_mapped(a->dst));
			/* decimal without leading zeros is one text per address */
			const uint8_t *p = a->src + 12, *q = a->dst + 12;
			int n = snprintf(line, sizeof line,
					 "PROXY TCP4 %u.%u.%u.%u %u.%u.%u.%u %u %u\r\n", p[0], p[1],
					 p[2], p[3], q[0], q[1], q[2], q[3], a->src_port,
					 a->dst_port);
			FUZZ_CHECK(n == r && memcmp(line, s, (size_t)r) == 0);
			return;
		}
		FUZZ_CHECK(a->family == 6 && memcmp(s, "PROXY TCP6 ", 11) == 0);
		/* four tokens split by single spaces: two addresses glibc
		 * reads the same, two ports that print back the same */
		char line[128], *tok[4], port[8];
		memcpy(line, s + 11, (size_t)r - 13);
		line[r - 13] = '\0';
		tok[0] = line;
		for (int i = 1; i < 4; i++) {
			tok[i] = strchr(tok[i - 1], ' ');
			FUZZ_CHECK(tok[i] != NULL);
			*tok[i]++ = '\0';
		}
		FUZZ_CHECK(strchr(tok[3], ' ') == NULL);
		uint8_t x[16];
		FUZZ_CHECK(inet_pton(AF_INET6, tok[0], x) == 1 && memcmp(x, a->src, 16) == 0);
		FUZZ_CHECK(inet_pton(AF_INET6, tok[1], x) == 1 && memcmp(x, a->dst, 16) == 0);
		snprintf(port, sizeof port, "%u", a->src_port);
		FUZZ_CHECK(strcmp(port, tok[2]) == 0);
		snprintf(port, sizeof port, "%u", a->dst_port);
		FUZZ_CHECK(strcmp(port, tok[3]) == 0);
		return;
	}

	static const uint8_t sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
					 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };
	FUZZ_CHECK(a->version == 2 && memcmp(b, sig, 12) == 0);
	FUZZ_CHECK(r == 16 + be16(b + 14) && r <= PROXY_PROTO_MAX);
	FUZZ_CHECK((b[12] & 0xf0) == 0x20 && (b[12] & 0x0f) <= 1);
	FUZZ_CHECK((b[13] >> 4) <= 3 && (b[13] & 0x0f) <= 2);
	bool proxy = (b[12] & 0x0f) == 1;
	size_t addr = 0;
	if (proxy && (b[13] & 0x0f) != 0) {
		unsigned f = b[13] >> 4;
		addr = f == 1 ? 12 : f == 2 ? 36 : f == 3 ? 216 : 0;
	}
	if (addr) {
		/* the TLVs fill the rest exactly */
		size_t pos = 16 + addr;
		FUZZ_CHECK(pos <= (size_t)r);
		while (pos < (size_t)r) {
			FUZZ_CHECK(pos + 3 <= (size_t)r);
			pos += 3 + be16(b + pos + 1);
		}
		FUZZ_CHECK(pos == (size_t)r);
	}
	if (!proxy || (b[13] != 0x11 && b[13] != 0x21)) {
		FUZZ_CHECK(a->local && a->family == 0);
		return;
	}
	FUZZ_CHECK(!a->local);
	if (b[13] == 0x11) {
		FUZZ_CHECK(a->family == 4 && is_mapped(a->src) && is_mapped(a->dst));
		FUZZ_CHECK(memcmp(a->src + 12, b + 16, 4) == 0);
		FUZZ_CHECK(memcmp(a->dst + 12, b + 20, 4) == 0);
		FUZZ_CHECK(a->src_port == be16(b + 24) && a->dst_port == be16(b + 26));
	} else {
		FUZZ_CHECK(a->family == 6);
		FUZZ_CHECK(memcmp(a->src, b + 16, 16) == 0 && memcmp(a->dst, b + 32, 16) == 0);
		FUZZ_CHECK(a->src_port == be16(b + 48) && a->dst_port == be16(b + 50));
	}
}

FUZZ_NOCOV
static bool same(const struct proxy_proto_addr *a, const struct proxy_proto_addr *b)
{
	return a->version == b->version && a->local == b->local && a->family == b->family &&
	       memcmp(a->src, b->src, 16) == 0 && memcmp(a->dst, b->dst, 16) == 0 &&
	       a->src_port == b->src_port && a->dst_port == b->dst_port;
}

/* The answer at length k, given the answer r for the whole input. */
FUZZ_NOCOV
static void check_prefix(long rk, size_t k, long r, long *first_bad,
			 const struct proxy_proto_addr *a, const struct proxy_proto_addr *ak)
{
	if (r > 0) {
		FUZZ_CHECK(k < (size_t)r ? rk == 0 : rk == r);
		if (rk == r)
			FUZZ_CHECK(same(a, ak));
	} else if (r == 0) {
		FUZZ_CHECK(rk == 0);
	} else {
		FUZZ_CHECK(rk == 0 || rk == -1);
		if (rk == -1 && (*first_bad < 0 || (long)k < *first_bad))
			*first_bad = (long)k;
		if (*first_bad >= 0 && (long)k > *first_bad)
			FUZZ_CHECK(rk == -1);
	}
}

FUZZ_NOCOV
static void check_proxy(const uint8_t *data, size_t size)
{
	uint8_t *scratch = (uint8_t *)fuzz_dup(data, size);
	struct proxy_proto_addr a, ak;
	long first_bad = -1;

	memset(&a, 0, sizeof a);
	long r = parse_at(scratch, size, data, size, &a);
	FUZZ_CHECK(r >= -1 && r <= (long)size);
	if (r > 0)
		check_header(data, r, &a);
	/* in increasing k, so the first -1 is seen before the later ones */
	for (size_t k = 0; k < size; k++) {
		bool near_end = k <= 64 || k + 64 >= size;
		bool near_r = r > 0 && k + 2 >= (size_t)r && k <= (size_t)r + 2;
		if (size > PREFIX_ALL && !near_end && !near_r && k % 61 != 0)
			continue;
		memset(&ak, 0, sizeof ak);
		long rk = parse_at(scratch, size, data, k, &ak);
		check_prefix(rk, k, r, &first_bad, &a, &ak);
	}
	free(scratch);
}

/* trusted_parse_addr against inet_pton, which takes the same strict
 * forms (no inet_aton shorthands, no zones); and trusted_addr_need's
 * laws over the prefixes of s. */
FUZZ_NOCOV
static void check_addr(const char *s, size_t n)
{
	char z[80];
	uint8_t a[16], b[16];

	if (n >= sizeof z)
		n = sizeof z - 1;
	char *c = fuzz_dup(s, n);
	int fam = trusted_parse_addr(slice_make(c, n), a);
	FUZZ_CHECK(fam == 0 || fam == 4 || fam == 6);
	if (memchr(s, '\0', n)) {
		FUZZ_CHECK(fam == 0);
	} else {
		memcpy(z, s, n);
		z[n] = '\0';
		bool six = memchr(s, ':', n) != NULL;
		int p = inet_pton(six ? AF_INET6 : AF_INET, z, six ? b : b + 12);
		if (!six)
			memcpy(b, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12);
		FUZZ_CHECK((fam != 0) == (p == 1));
		if (fam)
			FUZZ_CHECK(fam == (six ? 6 : 4) && memcmp(a, b, 16) == 0);
	}
	for (int f = 4; f <= 6; f += 2) {
		int prev = 0;
		for (size_t k = 0; k <= n; k++) {
			int need = trusted_addr_need(slice_make(c, k), f);
			FUZZ_CHECK(need >= -1);
			if (k > 0 && prev < 0)
				FUZZ_CHECK(need < 0); /* no way back from -1 */
			if (k > 0 && prev >= 0 && need >= 0)
				FUZZ_CHECK(prev <= need + 1); /* one byte does one byte's work */
			FUZZ_CHECK((need == 0) == (trusted_parse_addr(slice_make(c, k), b) == f));
			prev = need;
		}
	}
	free(c);
}

/* What trusted_parse_hop should take, by inet_pton: an address, [v6],
 * [v6]:port or v4:port, port 0-65535 without leading zeros; OWS around. */
FUZZ_NOCOV
static bool hop_model(struct slice s, uint8_t out[16])
{
	char z[128];
	uint8_t x[16];

	s = slice_trim(s);
	if (s.len == 0 || s.len >= sizeof z || memchr(s.ptr, '\0', s.len))
		return false;
	memcpy(z, s.ptr, s.len);
	z[s.len] = '\0';
	memcpy(x, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12);
	if (inet_pton(AF_INET, z, x + 12) == 1 || inet_pton(AF_INET6, z, x) == 1)
		goto ok;
	char *port = NULL;
	if (z[0] == '[') {
		char *close = strchr(z, ']');
		if (!close)
			return false;
		*close = '\0';
		if (close[1] != '\0') {
			if (close[1] != ':')
				return false;
			port = close + 2;
		}
		if (inet_pton(AF_INET6, z + 1, x) != 1)
			return false;
	} else {
		char *colon = strrchr(z, ':');
		if (!colon)
			return false;
		*colon = '\0';
		port = colon + 1;
		if (inet_pton(AF_INET, z, x + 12) != 1)
			return false;
	}
	if (port) {
		size_t n = strlen(port);
		if (n == 0 || n > 5 || (n > 1 && port[0] == '0') ||
		    strspn(port, "0123456789") != n || atol(port) > 65535)
			return false;
	}
ok:
	memcpy(out, x, 16);
	return true;
}

struct model_net {
	uint8_t net[16];
	unsigned bits;
};

/* One entry of a trusted list, as trusted.h describes it. */
FUZZ_NOCOV
static bool model_entry(const char *p, size_t n, struct model_net *e)
{
	const char *slash = memchr(p, '/', n);
	size_t alen = slash ? (size_t)(slash - p) : n;
	int fam = trusted_parse_addr(slice_make(p, alen), e->net);
	if (fam == 0)
		return false;
	unsigned max = fam == 4 ? 32 : 128, bits = max;
	if (slash) {
		size_t dn = n - alen - 1;
		char d[8];
		if (dn == 0 || dn > 3 || (dn > 1 && slash[1] == '0'))
			return false;
		memcpy(d, slash + 1, dn);
		d[dn] = '\0';
		if (strspn(d, "0123456789") != dn)
			return false;
		bits = (unsigned)atoi(d);
		if (bits > max)
			return false;
	}
	if (fam == 4)
		bits += 96;
	for (unsigned b = bits; b < 128; b++)
		if ((e->net[b / 8] >> (7 - b % 8)) & 1)
			return false;
	e->bits = bits;
	return true;
}

FUZZ_NOCOV
static bool model_contains(const struct model_net *e, size_t n, const uint8_t a[16])
{
	for (size_t i = 0; i < n; i++) {
		unsigned b = 0;
		while (b < e[i].bits && ((e[i].net[b / 8] ^ a[b / 8]) >> (7 - b % 8) & 1) == 0)
			b++;
		if (b == e[i].bits)
			return true;
	}
	return false;
}

#define MAX_LINES 12

FUZZ_NOCOV
static void check_trusted(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	struct slice line[MAX_LINES];
	size_t nl = 0, at = 0;

	while (nl < MAX_LINES) {
		const char *nlp = at < size ? memchr(in + at, '\n', size - at) : NULL;
		size_t end = nlp ? (size_t)(nlp - in) : size;
		line[nl++] = slice_make(in + at, end - at);
		if (!nlp)
			break;
		at = end + 1;
	}
	for (size_t i = 0; i < nl && i < 4; i++)
		check_addr(line[i].ptr, line[i].len);

	/* the list, up to its first NUL as a C string ends there */
	char *list = malloc(line[0].len + 1);
	memcpy(list, line[0].ptr, line[0].len);
	list[line[0].len] = '\0';
	size_t cap = size ? data[0] % 96 : 0;
	char *err = malloc(cap ? cap : 1);
	struct trusted *t = trusted_new();
	FUZZ_CHECK(t != NULL);
	int rc = trusted_add(t, list, err, cap);

	struct model_net *e = malloc((strlen(list) / 2 + 2) * sizeof *e);
	size_t ne = 0;
	bool model_ok = true;
	for (const char *p = list; *p;) {
		if (strchr(", \t\n\r", *p)) {
			p++;
			continue;
		}
		size_t n = strcspn(p, ", \t\n\r");
		if (!model_entry(p, n, &e[ne]) || ne == TRUSTED_MAX)
			model_ok = false;
		else
			ne++;
		p += n;
	}
	FUZZ_CHECK(rc == (model_ok ? 0 : -1));
	if (rc == 0) {
		FUZZ_CHECK(trusted_count(t) == ne);
	} else {
		FUZZ_CHECK(trusted_count(t) == 0);
		if (cap)
			FUZZ_CHECK(memchr(err, '\0', cap) != NULL);
		ne = 0;
	}

	uint8_t peer[16], out[16], want[16], x[16];
	if (nl < 2 || trusted_parse_addr(line[1], peer) == 0) {
		if (ne)
			memcpy(peer, e[0].net, 16);
		else
			memcpy(peer, "\0\0\0\0\0\0\0\0\0\0\xff\xff\x0a\0\0\x01", 16);
	}
	bool trusted_peer = trusted_contains(t, peer);
	FUZZ_CHECK(trusted_peer == model_contains(e, ne, peer));

	/* the X-Forwarded-For fields joined into one list, split left to
	 * right, then walked from the right */
	size_t nxff = nl >= 3 ? nl - 3 : 0;
	struct slice *xff = nxff ? &line[2] : NULL, real_ip = { NULL, 0 };
	if (nl >= 3)
		real_ip = line[nl - 1];
	size_t jn = 0;
	for (size_t i = 0; i < nxff; i++)
		jn += xff[i].len + 1;
	char *joined = malloc(jn + 1);
	size_t w = 0;
	for (size_t i = 0; i < nxff; i++) {
		if (i)
			joined[w++] = ',';
		memcpy(joined + w, xff[i].ptr, xff[i].len);
		w += xff[i].len;
	}
	struct slice *el = malloc((w + 1) * sizeof *el);
	size_t nel = 0;
	for (size_t s = 0; s <= w;) {
		size_t q = s;
		while (q < w && joined[q] != ',')
			q++;
		struct slice one = slice_trim(slice_make(joined + s, q - s));
		if (one.len)
			el[nel++] = one;
		s = q + 1;
	}
	for (size_t i = 0; i < nel; i++) {
		bool h = trusted_parse_hop(el[i], x);
		uint8_t y[16];
		FUZZ_CHECK(h == hop_model(el[i], y));
		if (h)
			FUZZ_CHECK(memcmp(x, y, 16) == 0);
	}
	bool expect = false;
	if (trusted_peer) {
		if (nel == 0) {
			expect = real_ip.len && trusted_parse_hop(real_ip, want);
		} else {
			for (size_t i = nel; i-- > 0;) {
				if (!trusted_parse_hop(el[i], x))
					break;
				memcpy(want, x, 16);
				expect = true;
				if (!model_contains(e, ne, x))
					break;
			}
		}
	}
	memset(out, 0, sizeof out);
	bool got = trusted_client(t, peer, xff, nxff, real_ip, out);
	FUZZ_CHECK(got == expect);
	if (got)
		FUZZ_CHECK(memcmp(out, want, 16) == 0);

	free(el);
	free(joined);
	free(e);
	trusted_free(t);
	free(err);
	free(list);
}

FUZZ_NOCOV
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_proxy(data, size);
	check_trusted(data, size);
	return 0;
}
