/* fuzz_log.c - the combined and JSON access log formats on arbitrary
 * fields. The input is a 17-byte header, then the field bytes:
 *
 *   0      minor: byte % 11 - 1 (-1: no version, else HTTP/1.0 .. 1.9)
 *   1-2    status, little-endian (0 .. 65535)
 *   3      bit 0: the longest IPv6 text as the peer, else an IPv4 one
 *   4-11   bytes sent, little-endian; also the time (modulo year 10000)
 *   12     method length
 *   13-14  target length, little-endian
 *   15-16  referer length, little-endian
 *   ...    method, target, referer (each cut to what is left), and the
 *          rest is the User-Agent
 *
 * Missing header bytes read as 0. Each field is a heap copy of exactly its
 * bytes and the line buffer is exactly ACCESS_LOG_LINE_MAX, so ASan sees
 * any access past either. The line must be printable ASCII with one
 * newline, at its end, and read back (\xHH, or JSON's escapes) to the
 * fields cut to their limits: method 32, target 1024, referer and
 * User-Agent 512 bytes. */
#include "fuzz_check.h"

#include <time.h>

#include "access_log.h"

#define HDR 17
#define MAX_METHOD 32
#define MAX_TARGET 1024
#define MAX_FIELD 512

static const char *const ips[] = { "192.0.2.1", "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255" };

FUZZ_NOCOV
static size_t cut(size_t n, size_t max)
{
	return n < max ? n : max;
}

FUZZ_NOCOV
static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

FUZZ_NOCOV
static bool lit(const char **p, const char *end, const char *s)
{
	size_t n = strlen(s);
	if ((size_t)(end - *p) < n || memcmp(*p, s, n) != 0)
		return false;
	*p += n;
	return true;
}

/* A decimal without leading zeros; false on overflow. */
FUZZ_NOCOV
static bool number(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;
	*v = 0;
	while (*p < end && **p >= '0' && **p <= '9') {
		unsigned d = (unsigned)(**p - '0');
		if (*v > (UINT64_MAX - d) / 10)
			return false;
		*v = *v * 10 + d;
		(*p)++;
	}
	return *p > s && (*p - s == 1 || *s != '0');
}

/* The field as the line should show it: cut to max, or dash if empty. */
FUZZ_NOCOV
static bool same(const char *got, size_t n, struct slice want, size_t max, bool dash)
{
	if (dash && want.len == 0)
		return n == 1 && got[0] == '-';
	return n == cut(want.len, max) && (n == 0 || memcmp(got, want.ptr, n) == 0);
}

/* "..." of the combined format, decoded: only \xHH (lowercase hex). */
FUZZ_NOCOV
static bool clf_quoted(const char **p, const char *end, char *out, size_t *len)
{
	size_t w = 0;
	if (*p == end || **p != '"')
		return false;
	for ((*p)++; *p < end && **p != '"'; (*p)++) {
		if (**p != '\\') {
			out[w++] = **p;
			continue;
		}
		const char *e = *p;
		if (end - e < 4 || e[1] != 'x' || hexval(e[2]) < 0 || hexval(e[3]) < 0 ||
		    (e[2] >= 'A' && e[2] <= 'F') || (e[3] >= 'A' && e[3] <= 'F'))
			return false;
		out[w++] = (char)(hexval(e[2]) * 16 + hexval(e[3]));
		*p += 3;
	}
	if (*p == end)
		return false;
	(*p)++;
	*len = w;
	return true;
}

FUZZ_NOCOV
static void check_combined(const struct log_entry *e, const char *out, size_t n, char *dec)
{
	const char *p = out, *end = out + n;
	char clf[LOG_CLF_LEN + 1];
	size_t len;
	uint64_t v;

	log_clf_time(e->iso, clf);
	FUZZ_CHECK(lit(&p, end, e->ip) && lit(&p, end, " - - [") && lit(&p, end, clf) &&
		   lit(&p, end, "] "));

	/* "METHOD TARGET HTTP/1.x", or "-" when nothing was parsed */
	FUZZ_CHECK(clf_quoted(&p, end, dec, &len));
	if (e->method.len == 0) {
		FUZZ_CHECK(len == 1 && dec[0] == '-');
	} else {
		size_t ml = cut(e->method.len, MAX_METHOD), tl = cut(e->target.len, MAX_TARGET);
		size_t k = 0;
		FUZZ_CHECK(len >= ml && memcmp(dec, e->method.ptr, ml) == 0);
		k = ml;
		if (e->target.len) {
			FUZZ_CHECK(len >= k + 1 + tl && dec[k] == ' ' &&
				   memcmp(dec + k + 1, e->target.ptr, tl) == 0);
			k += 1 + tl;
		}
		if (e->minor >= 0) {
			char v1[16];
			snprintf(v1, sizeof v1, " HTTP/1.%d", e->minor);
			FUZZ_CHECK(len >= k + strlen(v1) && memcmp(dec + k, v1, strlen(v1)) == 0);
			k += strlen(v1);
		}
		FUZZ_CHECK(len == k);
	}
	FUZZ_CHECK(lit(&p, end, " ") && number(&p, end, &v) && v == (uint64_t)e->status);
	FUZZ_CHECK(lit(&p, end, " ") && number(&p, end, &v) && v == e->bytes);
	FUZZ_CHECK(lit(&p, end, " ") && clf_quoted(&p, end, dec, &len));
	FUZZ_CHECK(same(dec, len, e->referer, MAX_FIELD, true));
	FUZZ_CHECK(lit(&p, end, " ") && clf_quoted(&p, end, dec, &len));
	FUZZ_CHECK(same(dec, len, e->user_agent, MAX_FIELD, true));
	FUZZ_CHECK(lit(&p, end, "\n") && p == end);
}

/* A JSON string (RFC 8259), decoded; a \u above 0xff cannot be one of
 * the input's bytes and fails. */
FUZZ_NOCOV
static bool json_string(const char **p, const char *end, char *out, size_t *len)
{
	static const char esc[] = "\"\\/bfnrt", val[] = "\"\\/\b\f\n\r\t";
	size_t w = 0;
	if (*p == end || **p != '"')
		return false;
	for ((*p)++; *p < end && **p != '"'; (*p)++) {
		unsigned char c = (unsigned char)**p;
		if (c < 0x20)
			return false;
		if (c != '\\') {
			out[w++] = (char)c;
			continue;
		}
		if (++*p == end)
			return false;
		const char *s = **p ? strchr(esc, **p) : NULL;
		if (s) {
			out[w++] = val[s - esc];
		} else if (**p == 'u') {
			unsigned u = 0;
			for (int k = 0; k < 4; k++) {
				if (++*p == end || hexval(**p) < 0)
					return false;
				u = u * 16 + (unsigned)hexval(**p);
			}
			if (u > 0xff)
				return false;
			out[w++] = (char)u;
		} else {
			return false;
		}
	}
	if (*p == end)
		return false;
	(*p)++;
	*len = w;
	return true;
}

/* The members in the order the format writes them; true: a number. */
static const struct {
	const char *key;
	bool num;
} members[] = {
	{ "time", false },   { "remote_addr", false }, { "method", false },
	{ "uri", false },    { "protocol", false },    { "status", true },
	{ "bytes", true },   { "referer", false },     { "user_agent", false },
};

FUZZ_NOCOV
static void check_json(const struct log_entry *e, const char *out, size_t n, char *dec)
{
	const char *p = out, *end = out + n;
	char proto[16] = "";
	size_t len;
	uint64_t v;

	if (e->minor >= 0)
		snprintf(proto, sizeof proto, "HTTP/1.%d", e->minor);
	FUZZ_CHECK(lit(&p, end, "{"));
	for (size_t i = 0; i < sizeof members / sizeof members[0]; i++) {
		FUZZ_CHECK(i == 0 || lit(&p, end, ","));
		FUZZ_CHECK(json_string(&p, end, dec, &len));
		FUZZ_CHECK(len == strlen(members[i].key) && memcmp(dec, members[i].key, len) == 0);
		FUZZ_CHECK(lit(&p, end, ":"));
		if (members[i].num) {
			FUZZ_CHECK(number(&p, end, &v));
			FUZZ_CHECK(v == (i == 5 ? (uint64_t)e->status : e->bytes));
			continue;
		}
		FUZZ_CHECK(json_string(&p, end, dec, &len));
		struct slice want = i == 0   ? slice_make(e->iso, strlen(e->iso))
				    : i == 1 ? slice_make(e->ip, strlen(e->ip))
				    : i == 2 ? e->method
				    : i == 3 ? e->target
				    : i == 4 ? slice_make(proto, strlen(proto))
				    : i == 7 ? e->referer
					     : e->user_agent;
		size_t max = i == 2 ? MAX_METHOD : i == 3 ? MAX_TARGET : MAX_FIELD;
		FUZZ_CHECK(same(dec, len, want, max, false));
	}
	FUZZ_CHECK(lit(&p, end, "}\n") && p == end);
}

/* Bounded, printable ASCII, one newline at the end. */
FUZZ_NOCOV
static void check_line(const char *out, size_t n)
{
	FUZZ_CHECK(n > 0 && n <= ACCESS_LOG_LINE_MAX);
	FUZZ_CHECK(out[n - 1] == '\n');
	for (size_t i = 0; i + 1 < n; i++)
		FUZZ_CHECK(out[i] >= 0x20 && out[i] < 0x7f);
}

FUZZ_NOCOV
static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	while (n-- > 0)
		v = v << 8 | p[n];
	return v;
}

FUZZ_NOCOV
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t h[HDR] = { 0 };
	memcpy(h, data, size < HDR ? size : HDR);
	const char *rest = (const char *)data + (size < HDR ? size : HDR);
	size_t left = size < HDR ? 0 : size - HDR;

	size_t lens[4] = { h[12], (size_t)le(h + 13, 2), (size_t)le(h + 15, 2), 0 };
	char *fields[4];
	for (int i = 0; i < 4; i++) {
		if (i == 3 || lens[i] > left)
			lens[i] = left;
		fields[i] = fuzz_dup(rest, lens[i]);
		rest += lens[i];
		left -= lens[i];
	}

	uint64_t bytes = le(h + 4, 8);
	time_t t = (time_t)(bytes % 253402300800ULL);
	char iso[LOG_ISO_LEN + 1], clf[LOG_CLF_LEN + 1], want[64];
	struct tm tm;
	log_iso_time(t, iso);
	log_clf_time(iso, clf);
	gmtime_r(&t, &tm);
	strftime(want, sizeof want, "%d/%b/%Y:%H:%M:%S +0000", &tm);
	FUZZ_CHECK(strcmp(clf, want) == 0);

	struct log_entry e = {
		.iso = iso,
		.ip = ips[h[3] & 1],
		.method = slice_make(fields[0], lens[0]),
		.path = slice_make(fields[1], lens[1]),
		.target = slice_make(fields[1], lens[1]),
		.minor = h[0] % 11 - 1,
		.status = (int)le(h + 1, 2),
		.bytes = bytes,
		.referer = slice_make(fields[2], lens[2]),
		.user_agent = slice_make(fields[3], lens[3]),
	};
	char *out = malloc(ACCESS_LOG_LINE_MAX);
	char *dec = malloc(ACCESS_LOG_LINE_MAX);
	if (!out || !dec)
		abort();

	size_t n = access_log_format_combined(out, ACCESS_LOG_LINE_MAX, &e);
	check_line(out, n);
	check_combined(&e, out, n, dec);

	n = access_log_format_json(out, ACCESS_LOG_LINE_MAX, &e);
	check_line(out, n);
	check_json(&e, out, n, dec);

	free(dec);
	free(out);
	for (int i = 0; i < 4; i++)
		free(fields[i]);
	return 0;
}
