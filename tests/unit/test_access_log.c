/* test_access_log.c - the access log line format and its escaping, and
 * the ISO 8601 time stamp. */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "access_log.h"
#include "unit.h"

#define B(s) s, sizeof(s) - 1
#define ISO "2025-09-28T18:30:00Z"
#define IP "127.0.0.1"
#define GREEN "\033[32m"
#define YELLOW "\033[33m"
#define RED "\033[31m"
#define CYAN "\033[36m"
#define RESET "\033[0m"

struct iso_case {
	long long t;
	const char *out;
};

static const struct iso_case iso_cases[] = {
	{ 0, "1970-01-01T00:00:00Z" },
	{ 1759084200, "2025-09-28T18:30:00Z" },
	{ 784111777, "1994-11-06T08:49:37Z" },
	{ 951825600, "2000-02-29T12:00:00Z" },
	{ 1483228799, "2016-12-31T23:59:59Z" },
	{ 2147483648LL, "2038-01-19T03:14:08Z" },
	{ 253402300799LL, "9999-12-31T23:59:59Z" },
};

static void test_iso(void)
{
	for (size_t i = 0; i < sizeof iso_cases / sizeof iso_cases[0]; i++) {
		char out[LOG_ISO_LEN + 2];
		memset(out, 'X', sizeof out);
		log_iso_time((time_t)iso_cases[i].t, out);
		CHECK(strcmp(out, iso_cases[i].out) == 0, "iso %lld: '%s', want '%s'", iso_cases[i].t,
		      out, iso_cases[i].out);
		CHECK(out[LOG_ISO_LEN + 1] == 'X', "iso %lld wrote past the NUL", iso_cases[i].t);
	}
	/* strftime as the oracle */
	uint64_t x = 88172645463325252ULL;
	unsigned bad = 0;
	for (int i = 0; i < 5000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		time_t t = (time_t)(x % 253402300800ULL);
		char out[LOG_ISO_LEN + 1], want[64];
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%SZ", &tm);
		log_iso_time(t, out);
		if (strcmp(out, want) != 0 && bad++ < 5)
			CHECK(0, "iso %lld: '%s', strftime '%s'", (long long)t, out, want);
	}
	CHECK(bad == 0, "%u ISO times differ from strftime", bad);
}

struct line_case {
	const char *method;
	size_t mlen;
	const char *path;
	size_t plen;
	int status;
	bool color;
	const char *line;
};

static const struct line_case line_cases[] = {
	{ B("GET"), B("/index.html"), 200, false, ISO " - " IP " - \"GET /index.html\" 200 OK\n" },
	{ B("HEAD"), B("/"), 304, false, ISO " - " IP " - \"HEAD /\" 304 Not Modified\n" },
	{ B("GET"), B("/missing"), 404, false, ISO " - " IP " - \"GET /missing\" 404 Not Found\n" },
	{ B("OPTIONS"), B("*"), 204, false, ISO " - " IP " - \"OPTIONS *\" 204 No Content\n" },
	{ B("GET"), B("/a?b=c&d"), 206, false,
	  ISO " - " IP " - \"GET /a?b=c&d\" 206 Partial Content\n" },
	/* nothing parsed: "-" for the method, no path */
	{ B(""), B(""), 400, false, ISO " - " IP " - \"-\" 400 Bad Request\n" },
	{ B("GET"), B(""), 408, false, ISO " - " IP " - \"GET\" 408 Request Timeout\n" },
	{ B(""), B("/x"), 400, false, ISO " - " IP " - \"- /x\" 400 Bad Request\n" },
	{ B("BREW"), B("/pot"), 999, false, ISO " - " IP " - \"BREW /pot\" 999 Unknown\n" },
	/* escaping: quotes, backslashes, controls, DEL, non-ASCII */
	{ B("GET"), B("/a\"b"), 200, false, ISO " - " IP " - \"GET /a\\x22b\" 200 OK\n" },
	{ B("GET"), B("/a\\b"), 200, false, ISO " - " IP " - \"GET /a\\x5cb\" 200 OK\n" },
	{ B("GET"), B("/a\nb"), 200, false, ISO " - " IP " - \"GET /a\\x0ab\" 200 OK\n" },
	{ B("GET"), B("/\r\n2025-01-01T00:00:00Z - 1.2.3.4 - \"GET /\" 200 OK"), 400, false,
	  ISO " - " IP " - \"GET /\\x0d\\x0a2025-01-01T00:00:00Z - 1.2.3.4 - \\x22GET /\\x22 200 OK\""
	      " 400 Bad Request\n" },
	{ B("GET"), B("/\t\x01\x1b[31m"), 200, false,
	  ISO " - " IP " - \"GET /\\x09\\x01\\x1b[31m\" 200 OK\n" },
	{ B("GET"), B("/\x7f"), 200, false, ISO " - " IP " - \"GET /\\x7f\" 200 OK\n" },
	{ B("GET"), B("/caf\xc3\xa9"), 200, false, ISO " - " IP " - \"GET /caf\\xc3\\xa9\" 200 OK\n" },
	{ B("GET"), B("/\xff\x80"), 200, false, ISO " - " IP " - \"GET /\\xff\\x80\" 200 OK\n" },
	{ B("GET"), B("/a\0b"), 200, false, ISO " - " IP " - \"GET /a\\x00b\" 200 OK\n" },
	{ B("G\"T"), B("/"), 501, false, ISO " - " IP " - \"G\\x22T /\" 501 Not Implemented\n" },
	{ B("G\x01T"), B("/"), 400, false, ISO " - " IP " - \"G\\x01T /\" 400 Bad Request\n" },
	{ B("GET"), B("/ ~!#$%&'()*+,-.:;<=>?@[]^_`{|}"), 200, false,
	  ISO " - " IP " - \"GET / ~!#$%&'()*+,-.:;<=>?@[]^_`{|}\" 200 OK\n" },
	/* colours only when asked */
	{ B("GET"), B("/"), 200, true, ISO " - " IP " - \"GET /\" " GREEN "200 OK" RESET "\n" },
	{ B("GET"), B("/"), 206, true,
	  ISO " - " IP " - \"GET /\" " GREEN "206 Partial Content" RESET "\n" },
	{ B("GET"), B("/"), 304, true,
	  ISO " - " IP " - \"GET /\" " CYAN "304 Not Modified" RESET "\n" },
	{ B("GET"), B("/"), 301, true,
	  ISO " - " IP " - \"GET /\" " CYAN "301 Moved Permanently" RESET "\n" },
	{ B("GET"), B("/"), 404, true, ISO " - " IP " - \"GET /\" " YELLOW "404 Not Found" RESET "\n" },
	{ B("GET"), B("/"), 416, true,
	  ISO " - " IP " - \"GET /\" " YELLOW "416 Range Not Satisfiable" RESET "\n" },
	{ B("GET"), B("/"), 500, true,
	  ISO " - " IP " - \"GET /\" " RED "500 Internal Server Error" RESET "\n" },
	{ B("GET"), B("/"), 503, true,
	  ISO " - " IP " - \"GET /\" " RED "503 Service Unavailable" RESET "\n" },
	{ B("GET"), B("/"), 500, false, ISO " - " IP " - \"GET /\" 500 Internal Server Error\n" },
	{ B("GET"), B("/\x1b[0m"), 200, true,
	  ISO " - " IP " - \"GET /\\x1b[0m\" " GREEN "200 OK" RESET "\n" },
};

static void test_lines(void)
{
	for (size_t i = 0; i < sizeof line_cases / sizeof line_cases[0]; i++) {
		const struct line_case *c = &line_cases[i];
		char out[ACCESS_LOG_LINE_MAX + 1];
		size_t n = access_log_format(out, ACCESS_LOG_LINE_MAX, ISO, IP,
					     slice_make(c->method, c->mlen),
					     slice_make(c->path, c->plen), c->status, c->color);
		size_t want = strlen(c->line);
		CHECK(n == want && memcmp(out, c->line, want) == 0, "line %zu: '%.*s', want '%s'", i,
		      (int)(n < sizeof out ? n : 0), out, c->line);
	}
	/* IPv6 peer */
	char out[ACCESS_LOG_LINE_MAX];
	static const char v6[] = ISO " - 2001:db8::1 - \"GET /\" 200 OK\n";
	size_t n = access_log_format(out, sizeof out, ISO, "2001:db8::1", SLICE_LIT("GET"),
				     SLICE_LIT("/"), 200, false);
	CHECK(n == sizeof v6 - 1 && memcmp(out, v6, n) == 0, "IPv6 line");
	/* too small a buffer: nothing */
	CHECK(access_log_format(out, 255, ISO, IP, SLICE_LIT("GET"), SLICE_LIT("/"), 200, false) ==
		      0,
	      "cap 255 formats something");
}

/* Long or hostile input: one line, bounded, cut rather than overflowing. */
static void test_limits(void)
{
	static char path[4096], method[100];
	char out[ACCESS_LOG_LINE_MAX + 64];
	size_t n;

	/* plain long path: cut to 512 bytes */
	memset(path, 'a', sizeof path);
	path[0] = '/';
	n = access_log_format(out, ACCESS_LOG_LINE_MAX, ISO, IP, SLICE_LIT("GET"),
			      slice_make(path, sizeof path), 200, false);
	static const char head[] = ISO " - " IP " - \"GET ";
	static const char tail[] = "\" 200 OK\n";
	CHECK(n == sizeof head - 1 + 512 + sizeof tail - 1, "long path: %zu bytes", n);
	CHECK(n > sizeof tail && memcmp(out + n - (sizeof tail - 1), tail, sizeof tail - 1) == 0,
	      "long path: tail");

	/* long method: cut to 32 bytes */
	memset(method, 'M', sizeof method);
	n = access_log_format(out, ACCESS_LOG_LINE_MAX, ISO, IP, slice_make(method, sizeof method),
			      SLICE_LIT("/"), 200, false);
	static const char m32[] = ISO " - " IP " - \"MMMMMMMMMMMMMMMMMMMMMMMMMMMMMMMM /\" 200 OK\n";
	CHECK(n == sizeof m32 - 1 && memcmp(out, m32, n) == 0, "long method: '%.*s'",
	      (int)(n < sizeof out ? n : 0), out);

	/* worst case: every byte escaped, colours, longest IPv6 text */
	memset(path, '\x01', sizeof path);
	memset(method, '"', sizeof method);
	memset(out, '#', sizeof out);
	n = access_log_format(out, ACCESS_LOG_LINE_MAX, ISO, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255",
			      slice_make(method, sizeof method), slice_make(path, sizeof path), 503,
			      true);
	CHECK(n > 0 && n <= ACCESS_LOG_LINE_MAX, "worst case: %zu bytes", n);
	CHECK(n > 0 && out[n - 1] == '\n' && memchr(out, '\n', n) == out + n - 1,
	      "worst case: not one line");
	bool canary = true;
	for (size_t k = ACCESS_LOG_LINE_MAX; k < sizeof out; k++)
		canary = canary && out[k] == '#';
	CHECK(canary, "worst case wrote past ACCESS_LOG_LINE_MAX");
}

/* cap is the size of out: the smallest accepted buffer must not overflow
 * either, whatever the request looked like. */
static void test_small_cap(void)
{
	static char path[600], method[40];
	char out[4096];
	static const size_t caps[] = { 256, 300, 400, 1000 };

	memset(path, '\x01', sizeof path);
	memset(method, '\x02', sizeof method);
	for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
		memset(out, '#', sizeof out);
		size_t n = access_log_format(out, caps[i], ISO, IP, slice_make(method, sizeof method),
					     slice_make(path, sizeof path), 200, true);
		size_t past = 0;
		for (size_t k = caps[i]; k < sizeof out; k++)
			past += out[k] != '#';
		CHECK(n <= caps[i] && past == 0,
		      "cap %zu: returned %zu, %zu bytes written past the buffer", caps[i], n, past);
	}
}

static uint64_t rng = 0x853c49e6748fea9bULL;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Random bytes: the line is printable ASCII, has exactly two quotes, and
 * one newline at its end; unescaping gives back the input. */
static void test_random(void)
{
	unsigned bad = 0;
	for (int iter = 0; iter < 3000 && bad < 5; iter++) {
		char method[16], path[128], out[ACCESS_LOG_LINE_MAX];
		size_t ml = 1 + next_rand() % sizeof method, pl = 1 + next_rand() % sizeof path;
		for (size_t k = 0; k < ml; k++)
			method[k] = (char)next_rand();
		for (size_t k = 0; k < pl; k++)
			path[k] = (char)next_rand();
		size_t n = access_log_format(out, sizeof out, ISO, IP, slice_make(method, ml),
					     slice_make(path, pl), 200, false);
		bool ok = n > 0 && out[n - 1] == '\n';
		int quotes = 0;
		for (size_t k = 0; ok && k + 1 < n; k++) {
			unsigned char c = (unsigned char)out[k];
			ok = c >= 0x20 && c < 0x7f;
			quotes += c == '"';
		}
		ok = ok && quotes == 2;
		/* decode the quoted part back */
		char dec[16 + 1 + 128];
		size_t d = 0;
		const char *q = memchr(out, '"', n);
		if (ok && q) {
			for (const char *p = q + 1; *p != '"' && d < sizeof dec; p++) {
				if (*p == '\\' && p[1] == 'x') {
					unsigned v = 0;
					for (int h = 2; h < 4; h++)
						v = v * 16 + (unsigned)(p[h] <= '9' ? p[h] - '0'
										 : p[h] - 'a' + 10);
					dec[d++] = (char)v;
					p += 3;
				} else {
					dec[d++] = *p;
				}
			}
			ok = d == ml + 1 + pl && memcmp(dec, method, ml) == 0 && dec[ml] == ' ' &&
			     memcmp(dec + ml + 1, path, pl) == 0;
		}
		if (!ok) {
			bad++;
			CHECK(ok, "random line %d: '%.*s'", iter, (int)n, out);
		}
	}
	CHECK(bad == 0, "%u random lines malformed", bad);
}

int main(void)
{
	test_iso();
	test_lines();
	test_limits();
	test_small_cap();
	test_random();
	return unit_done("access_log");
}
