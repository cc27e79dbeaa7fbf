/* test_access_log.c - the access log line formats (default, combined,
 * JSON) and their escaping, the ISO 8601 and CLF time stamps, and the
 * --log-format names. */
#include <stdint.h>
#include <stdlib.h>
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

/* ---- The combined and JSON formats ---- */

#define CLF "28/Sep/2025:18:30:00 +0000"
#define V6MAX "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"
/* What each field is cut to (access_log.c: 32, LOG_TARGET_MAX, LOG_FIELD_MAX). */
#define MAX_METHOD 32
#define MAX_TARGET 1024
#define MAX_FIELD 512

/* An expected combined line: IP - - [CLF] "REQUEST" STATUS BYTES "REFERER" "UA" */
#define C(req, st, by, rf, ua) IP " - - [" CLF "] \"" req "\" " st " " by " \"" rf "\" \"" ua "\"\n"
/* An expected JSON line; m, u, pr, rf, ua are JSON string contents. */
#define J(m, u, pr, st, by, rf, ua)                                                           \
	"{\"time\":\"" ISO "\",\"remote_addr\":\"" IP "\",\"method\":\"" m "\",\"uri\":\"" u \
	"\",\"protocol\":\"" pr "\",\"status\":" st ",\"bytes\":" by ",\"referer\":\"" rf     \
	"\",\"user_agent\":\"" ua "\"}\n"

struct entry_case {
	const char *method;
	size_t mlen;
	const char *target;
	size_t tlen;
	int minor;
	int status;
	uint64_t bytes;
	const char *referer;
	size_t rlen;
	const char *ua;
	size_t ulen;
	const char *combined, *json;
};

static const struct entry_case entry_cases[] = {
	/* typical requests: the query stays in the target */
	{ B("GET"), B("/index.html?x=1&y=2"), 1, 200, 1234, B("http://example.com/"), B("curl/8.5.0"),
	  C("GET /index.html?x=1&y=2 HTTP/1.1", "200", "1234", "http://example.com/", "curl/8.5.0"),
	  J("GET", "/index.html?x=1&y=2", "HTTP/1.1", "200", "1234", "http://example.com/",
	    "curl/8.5.0") },
	{ B("GET"), B("/file.txt"), 0, 200, 5, B(""), B("Wget/1.21.4"),
	  C("GET /file.txt HTTP/1.0", "200", "5", "-", "Wget/1.21.4"),
	  J("GET", "/file.txt", "HTTP/1.0", "200", "5", "", "Wget/1.21.4") },
	{ B("HEAD"), B("/"), 1, 304, 0, B(""), B(""), C("HEAD / HTTP/1.1", "304", "0", "-", "-"),
	  J("HEAD", "/", "HTTP/1.1", "304", "0", "", "") },
	{ B("OPTIONS"), B("*"), 1, 204, 0, B(""), B("x"), C("OPTIONS * HTTP/1.1", "204", "0", "-", "x"),
	  J("OPTIONS", "*", "HTTP/1.1", "204", "0", "", "x") },
	{ B("GET"), B("http://example.com:8080/a/b?x=1"), 1, 200, 10, B("-"), B(""),
	  C("GET http://example.com:8080/a/b?x=1 HTTP/1.1", "200", "10", "-", "-"),
	  J("GET", "http://example.com:8080/a/b?x=1", "HTTP/1.1", "200", "10", "-", "") },
	{ B("GET"), B("/"), 9, 505, 0, B(""), B(""), C("GET / HTTP/1.9", "505", "0", "-", "-"),
	  J("GET", "/", "HTTP/1.9", "505", "0", "", "") },
	{ B("GET"), B("/big"), 1, 599, UINT64_MAX, B(""), B(""),
	  C("GET /big HTTP/1.1", "599", "18446744073709551615", "-", "-"),
	  J("GET", "/big", "HTTP/1.1", "599", "18446744073709551615", "", "") },
	/* nothing parsed: "-" for the request, empty JSON strings */
	{ B(""), B(""), -1, 400, 0, B(""), B(""), C("-", "400", "0", "-", "-"),
	  J("", "", "", "400", "0", "", "") },
	{ B(""), B("/x"), -1, 400, 0, B(""), B(""), C("-", "400", "0", "-", "-"),
	  J("", "/x", "", "400", "0", "", "") },
	{ B("GET"), B(""), -1, 408, 0, B(""), B(""), C("GET", "408", "0", "-", "-"),
	  J("GET", "", "", "408", "0", "", "") },
	{ B("GET"), B("/"), -1, 414, 0, B(""), B(""), C("GET /", "414", "0", "-", "-"),
	  J("GET", "/", "", "414", "0", "", "") },
	/* escaping: quotes and backslashes */
	{ B("POST"), B("/form"), 1, 501, 0, B("https://h/p?q=\"x\""), B("UA \\o/"),
	  C("POST /form HTTP/1.1", "501", "0", "https://h/p?q=\\x22x\\x22", "UA \\x5co/"),
	  J("POST", "/form", "HTTP/1.1", "501", "0", "https://h/p?q=\\\"x\\\"", "UA \\\\o/") },
	{ B("GET"), B("/a\"b\\c"), 1, 404, 0, B(""), B(""),
	  C("GET /a\\x22b\\x5cc HTTP/1.1", "404", "0", "-", "-"),
	  J("GET", "/a\\\"b\\\\c", "HTTP/1.1", "404", "0", "", "") },
	/* control bytes, NUL, DEL and bytes >= 0x80 */
	{ B("GET"), B("/\t\r\n\x01\x1b[31m\0."), 0, 400, 0, B(""), B(""),
	  C("GET /\\x09\\x0d\\x0a\\x01\\x1b[31m\\x00. HTTP/1.0", "400", "0", "-", "-"),
	  J("GET", "/\\u0009\\u000d\\u000a\\u0001\\u001b[31m\\u0000.", "HTTP/1.0", "400", "0", "",
	    "") },
	{ B("GET"), B("/caf\xc3\xa9\x7f\x80\xff"), 1, 404, 0, B(""), B(""),
	  C("GET /caf\\xc3\\xa9\\x7f\\x80\\xff HTTP/1.1", "404", "0", "-", "-"),
	  J("GET", "/caf\\u00c3\\u00a9\\u007f\\u0080\\u00ff", "HTTP/1.1", "404", "0", "", "") },
	/* a forged line in the User-Agent stays on this one */
	{ B("GET"), B("/"), 1, 200, 0, B("r\x7f"), B("a\"\n1.2.3.4 - - [x] \"GET / HTTP/1.1\" 200 0\x1f~"),
	  C("GET / HTTP/1.1", "200", "0", "r\\x7f",
	    "a\\x22\\x0a1.2.3.4 - - [x] \\x22GET / HTTP/1.1\\x22 200 0\\x1f~"),
	  J("GET", "/", "HTTP/1.1", "200", "0", "r\\u007f",
	    "a\\\"\\u000a1.2.3.4 - - [x] \\\"GET / HTTP/1.1\\\" 200 0\\u001f~") },
	{ B("G\"T"), B("/"), 1, 501, 0, B(""), B(""), C("G\\x22T / HTTP/1.1", "501", "0", "-", "-"),
	  J("G\\\"T", "/", "HTTP/1.1", "501", "0", "", "") },
	{ B("G\x01T"), B("/"), 1, 400, 0, B(""), B(""), C("G\\x01T / HTTP/1.1", "400", "0", "-", "-"),
	  J("G\\u0001T", "/", "HTTP/1.1", "400", "0", "", "") },
	/* printable ASCII as it is ('/' is not escaped in JSON) */
	{ B("GET"), B("/ ~!#$%&'()*+,-.:;<=>?@[]^_`{|}"), 1, 200, 1, B("a b"), B("Mozilla/5.0 (X11)"),
	  C("GET / ~!#$%&'()*+,-.:;<=>?@[]^_`{|} HTTP/1.1", "200", "1", "a b", "Mozilla/5.0 (X11)"),
	  J("GET", "/ ~!#$%&'()*+,-.:;<=>?@[]^_`{|}", "HTTP/1.1", "200", "1", "a b",
	    "Mozilla/5.0 (X11)") },
	/* a method is cut to 32 bytes */
	{ B("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"), B("/"), 1, 501, 0, B(""), B(""),
	  C("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345 / HTTP/1.1", "501", "0", "-", "-"),
	  J("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", "/", "HTTP/1.1", "501", "0", "", "") },
};

static struct log_entry make_entry(const char *ip, struct slice method, struct slice target,
				   int minor, int status, uint64_t bytes, struct slice referer,
				   struct slice ua)
{
	return (struct log_entry){
		.iso = ISO,
		.ip = ip,
		.method = method,
		.path = SLICE_LIT("/not-the-target"), /* the default format's; unused here */
		.target = target,
		.minor = minor,
		.status = status,
		.bytes = bytes,
		.referer = referer,
		.user_agent = ua,
	};
}

/* A strict JSON reader (RFC 8259) for one line. The members of the top
 * object are recorded, strings decoded: \u00XX gives the byte XX (the log
 * reads bytes as Latin-1); a code point above 0xff marks the value wide. */
struct jfield {
	const char *key;
	size_t klen;
	bool str, wide, uint_ok;
	size_t off, len; /* a string's decoded bytes in jdoc.dec */
	uint64_t num;    /* a number that is a plain unsigned integer */
};

struct jdoc {
	struct jfield f[16];
	size_t nf;
	char dec[ACCESS_LOG_LINE_MAX * 2];
	size_t dlen;
};

struct jr {
	const char *p, *end;
	struct jdoc *d;
};

static void jws(struct jr *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

static bool jput(struct jr *r, unsigned v)
{
	if (r->d->dlen >= sizeof r->d->dec)
		return false;
	r->d->dec[r->d->dlen++] = (char)v;
	return true;
}

static bool jstring(struct jr *r, struct jfield *f)
{
	if (r->p == r->end || *r->p != '"')
		return false;
	r->p++;
	size_t start = r->d->dlen;
	bool wide = false;
	while (r->p < r->end) {
		unsigned char c = (unsigned char)*r->p++;
		if (c == '"') {
			if (f) {
				f->str = true;
				f->off = start;
				f->len = r->d->dlen - start;
				f->wide = wide;
			}
			return true;
		}
		if (c < 0x20)
			return false;
		if (c != '\\') {
			if (!jput(r, c))
				return false;
			continue;
		}
		if (r->p == r->end)
			return false;
		c = (unsigned char)*r->p++;
		const char *simple = strchr("\"\\/bfnrt", c);
		if (c && simple) {
			if (!jput(r, (unsigned)"\"\\/\b\f\n\r\t"[simple - "\"\\/bfnrt"]))
				return false;
		} else if (c == 'u') {
			unsigned v = 0;
			for (int k = 0; k < 4; k++) {
				int h = r->p < r->end ? hexval(*r->p++) : -1;
				if (h < 0)
					return false;
				v = v * 16 + (unsigned)h;
			}
			wide = wide || v > 0xff;
			if (!jput(r, v))
				return false;
		} else {
			return false;
		}
	}
	return false;
}

static bool jdigits(struct jr *r)
{
	const char *s = r->p;
	while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
		r->p++;
	return r->p > s;
}

static bool jnumber(struct jr *r, struct jfield *f)
{
	const char *s = r->p;
	bool neg = r->p < r->end && *r->p == '-';
	if (neg)
		r->p++;
	if (r->p < r->end && *r->p == '0')
		r->p++;
	else if (r->p == r->end || *r->p < '1' || *r->p > '9' || !jdigits(r))
		return false;
	const char *int_end = r->p;
	if (r->p < r->end && *r->p == '.') {
		r->p++;
		if (!jdigits(r))
			return false;
	}
	if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
		r->p++;
		if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
			r->p++;
		if (!jdigits(r))
			return false;
	}
	if (f) {
		f->str = false;
		f->uint_ok = !neg && int_end == r->p;
		f->num = 0;
		for (const char *q = s; f->uint_ok && q < int_end; q++) {
			unsigned d = (unsigned)(*q - '0');
			f->uint_ok = f->num <= (UINT64_MAX - d) / 10;
			f->num = f->num * 10 + d;
		}
	}
	return true;
}

static bool jvalue(struct jr *r, int depth, struct jfield *f);

/* An object or an array; the members of the top object (f != NULL) are
 * recorded. */
static bool jcompound(struct jr *r, int depth, bool top)
{
	char close = *r->p == '{' ? '}' : ']';
	bool obj = close == '}';
	r->p++;
	jws(r);
	if (r->p < r->end && *r->p == close) {
		r->p++;
		return true;
	}
	for (;;) {
		struct jfield *f = NULL;
		jws(r);
		if (obj) {
			const char *k = r->p;
			if (top && r->d->nf < sizeof r->d->f / sizeof r->d->f[0])
				f = &r->d->f[r->d->nf++];
			if (!jstring(r, NULL))
				return false;
			if (f) {
				f->key = k + 1;
				f->klen = (size_t)(r->p - k - 2);
			}
			jws(r);
			if (r->p == r->end || *r->p++ != ':')
				return false;
			jws(r);
		}
		if (!jvalue(r, depth + 1, f))
			return false;
		jws(r);
		if (r->p == r->end)
			return false;
		char c = *r->p++;
		if (c == close)
			return true;
		if (c != ',')
			return false;
	}
}

static bool jvalue(struct jr *r, int depth, struct jfield *f)
{
	if (r->p == r->end || depth > 16)
		return false;
	switch (*r->p) {
	case '{':
	case '[':
		return jcompound(r, depth, false);
	case '"':
		return jstring(r, f);
	case 't':
	case 'f':
	case 'n': {
		static const char *const words[] = { "true", "false", "null" };
		for (int i = 0; i < 3; i++) {
			size_t n = strlen(words[i]);
			if ((size_t)(r->end - r->p) >= n && memcmp(r->p, words[i], n) == 0) {
				r->p += n;
				if (f)
					f->str = false, f->uint_ok = false;
				return true;
			}
		}
		return false;
	}
	default:
		return jnumber(r, f);
	}
}

/* Is s (n bytes) one JSON object and nothing else but whitespace? */
static bool json_parse(const char *s, size_t n, struct jdoc *d)
{
	struct jr r = { s, s + n, d };
	d->nf = 0;
	d->dlen = 0;
	jws(&r);
	if (r.p == r.end || *r.p != '{' || !jcompound(&r, 0, true))
		return false;
	jws(&r);
	return r.p == r.end;
}

static bool jfield_is(const struct jdoc *d, size_t i, const char *key)
{
	return i < d->nf && d->f[i].klen == strlen(key) && memcmp(d->f[i].key, key, d->f[i].klen) == 0;
}

static bool jstr_eq(const struct jdoc *d, size_t i, const char *p, size_t n)
{
	return d->f[i].str && !d->f[i].wide && d->f[i].len == n &&
	       (n == 0 || memcmp(d->dec + d->f[i].off, p, n) == 0);
}

static struct jdoc jd; /* large: not on the stack */

struct json_case {
	const char *s;
	bool valid;
};

/* The reader itself: it must tell JSON from what is not. */
static const struct json_case json_cases[] = {
	{ "{}", true },
	{ " {\"a\":1}\n", true },
	{ "{\"a\":\"\\u00e9\\\"\\\\\\/\\b\\f\\n\\r\\t\"}", true },
	{ "{\"a\":[1,2.5e-3,-0,1E+2,true,false,null,{\"b\":[]}],\"c\":{}}", true },
	{ "{\"a\":\"x}", false },
	{ "{\"a\":\"\\x41\"}", false },
	{ "{\"a\":\"\x01\"}", false },
	{ "{\"a\":\"\n\"}", false },
	{ "{\"a\":01}", false },
	{ "{\"a\":1,}", false },
	{ "{\"a\" 1}", false },
	{ "{\"a\":\"\\u00g0\"}", false },
	{ "{\"a\":\"\\u00\"}", false },
	{ "{\"a\":1}x", false },
	{ "{\"a\":1}{}", false },
	{ "{'a':1}", false },
	{ "{\"a\":+1}", false },
	{ "{\"a\":1.}", false },
	{ "{\"a\":-}", false },
	{ "{\"a\":tru}", false },
	{ "{\"a\":1", false },
	{ "[1]", false }, /* a line is an object */
	{ "", false },
};

static void test_json_reader(void)
{
	for (size_t i = 0; i < sizeof json_cases / sizeof json_cases[0]; i++) {
		const struct json_case *c = &json_cases[i];
		CHECK(json_parse(c->s, strlen(c->s), &jd) == c->valid, "JSON reader on '%s': want %s",
		      c->s, c->valid ? "valid" : "invalid");
	}
	CHECK(json_parse(B("{\"k\":\"\\u0041\\u00ff\\u0100\"}"), &jd) && jd.nf == 1 &&
		      jfield_is(&jd, 0, "k") && jd.f[0].wide && jd.f[0].len == 3 &&
		      memcmp(jd.dec + jd.f[0].off, "A\xff", 2) == 0,
	      "JSON reader: \\u decoding");
}

/* Unescapes a combined-format field: \xHH (lowercase) is one byte; any
 * other backslash, or a quote, is an error. */
static bool clf_unescape(const char *s, size_t n, char *out, size_t cap, size_t *len)
{
	size_t w = 0;
	for (size_t i = 0; i < n; i++) {
		if (w == cap || s[i] == '"')
			return false;
		if (s[i] != '\\') {
			out[w++] = s[i];
			continue;
		}
		if (i + 3 >= n || s[i + 1] != 'x' || hexval(s[i + 2]) < 0 || hexval(s[i + 3]) < 0 ||
		    (s[i + 2] >= 'A' && s[i + 2] <= 'F') || (s[i + 3] >= 'A' && s[i + 3] <= 'F'))
			return false;
		out[w++] = (char)(hexval(s[i + 2]) * 16 + hexval(s[i + 3]));
		i += 3;
	}
	*len = w;
	return true;
}

static bool clf_number(const char **pp, const char *end, uint64_t *v)
{
	const char *p = *pp;
	*v = 0;
	while (p < end && *p >= '0' && *p <= '9') {
		unsigned d = (unsigned)(*p - '0');
		if (*v > (UINT64_MAX - d) / 10)
			return false;
		*v = *v * 10 + d;
		p++;
	}
	if (p == *pp || (p - *pp > 1 && **pp == '0'))
		return false;
	*pp = p;
	return true;
}

/* A quoted field at *pp ("...") decoded into out. */
static bool clf_quoted(const char **pp, const char *end, char *out, size_t cap, size_t *len)
{
	const char *p = *pp;
	if (p == end || *p != '"')
		return false;
	const char *q = memchr(p + 1, '"', (size_t)(end - p - 1));
	if (!q || !clf_unescape(p + 1, (size_t)(q - p - 1), out, cap, len))
		return false;
	*pp = q + 1;
	return true;
}

static bool lit(const char **pp, const char *end, const char *s)
{
	size_t n = strlen(s);
	if ((size_t)(end - *pp) < n || memcmp(*pp, s, n) != 0)
		return false;
	*pp += n;
	return true;
}

/* The request, referer and user agent as the formats should show them:
 * each field cut to its limit. */
struct want_fields {
	char req[MAX_METHOD + 1 + MAX_TARGET + 16];
	size_t reqlen;
};

static size_t min_sz(size_t a, size_t b)
{
	return a < b ? a : b;
}

static void want_request(const struct log_entry *e, struct want_fields *w)
{
	size_t n = 0;
	if (e->method.len == 0) {
		w->req[n++] = '-';
	} else {
		memcpy(w->req, e->method.ptr, min_sz(e->method.len, MAX_METHOD));
		n = min_sz(e->method.len, MAX_METHOD);
		if (e->target.len) {
			w->req[n++] = ' ';
			memcpy(w->req + n, e->target.ptr, min_sz(e->target.len, MAX_TARGET));
			n += min_sz(e->target.len, MAX_TARGET);
		}
		if (e->minor >= 0)
			n += (size_t)snprintf(w->req + n, sizeof w->req - n, " HTTP/1.%d", e->minor);
	}
	w->reqlen = n;
}

static bool field_eq(const char *got, size_t glen, struct slice want, size_t max, bool dash)
{
	if (want.len == 0 && dash)
		return glen == 1 && got[0] == '-';
	return glen == min_sz(want.len, max) && (glen == 0 || memcmp(got, want.ptr, glen) == 0);
}

static char fmt_out[ACCESS_LOG_LINE_MAX + 256];
static size_t fmt_len, longest_combined, longest_json;

/* Formats e (combined or JSON) into fmt_out and checks the line: within
 * ACCESS_LOG_LINE_MAX, nothing written past it, printable ASCII ending
 * in its only newline, and every field read back is the input cut to its
 * limit. Returns what is wrong, or NULL. */
static const char *entry_problem(const struct log_entry *e, bool json)
{
	static char req[ACCESS_LOG_LINE_MAX], ref[ACCESS_LOG_LINE_MAX], ua[ACCESS_LOG_LINE_MAX];
	memset(fmt_out, '#', sizeof fmt_out);
	size_t n = json ? access_log_format_json(fmt_out, ACCESS_LOG_LINE_MAX, e)
			: access_log_format_combined(fmt_out, ACCESS_LOG_LINE_MAX, e);
	fmt_len = n;
	for (size_t k = ACCESS_LOG_LINE_MAX; k < sizeof fmt_out; k++)
		if (fmt_out[k] != '#')
			return "wrote past ACCESS_LOG_LINE_MAX";
	if (n == 0 || n > ACCESS_LOG_LINE_MAX)
		return "length out of bounds";
	fmt_len = n;
	size_t *longest = json ? &longest_json : &longest_combined;
	if (n > *longest)
		*longest = n;
	if (fmt_out[n - 1] != '\n')
		return "does not end with a newline";
	if (memchr(fmt_out, '\n', n - 1))
		return "a newline before the end";
	for (size_t k = 0; k + 1 < n; k++)
		if ((unsigned char)fmt_out[k] < 0x20 || (unsigned char)fmt_out[k] >= 0x7f)
			return "a byte that is not printable ASCII";

	struct want_fields w;
	want_request(e, &w);
	if (json) {
		static const char *const keys[] = { "time",	"remote_addr", "method",
						    "uri",	"protocol",    "status",
						    "bytes",	"referer",     "user_agent" };
		if (!json_parse(fmt_out, n, &jd))
			return "not valid JSON";
		if (jd.nf != 9)
			return "not 9 members";
		for (size_t i = 0; i < 9; i++)
			if (!jfield_is(&jd, i, keys[i]))
				return "members not as expected";
		char proto[32] = "";
		if (e->minor >= 0)
			snprintf(proto, sizeof proto, "HTTP/1.%d", e->minor);
		if (!jstr_eq(&jd, 0, e->iso, strlen(e->iso)) || !jstr_eq(&jd, 1, e->ip, strlen(e->ip)))
			return "time or remote_addr";
		if (!jstr_eq(&jd, 2, e->method.ptr, min_sz(e->method.len, MAX_METHOD)))
			return "method does not decode to the input";
		if (!jstr_eq(&jd, 3, e->target.ptr, min_sz(e->target.len, MAX_TARGET)))
			return "uri does not decode to the input";
		if (!jstr_eq(&jd, 4, proto, strlen(proto)))
			return "protocol";
		if (jd.f[5].str || !jd.f[5].uint_ok || jd.f[5].num != (uint64_t)e->status)
			return "status";
		if (jd.f[6].str || !jd.f[6].uint_ok || jd.f[6].num != e->bytes)
			return "bytes";
		if (!jstr_eq(&jd, 7, e->referer.ptr, min_sz(e->referer.len, MAX_FIELD)))
			return "referer does not decode to the input";
		if (!jstr_eq(&jd, 8, e->user_agent.ptr, min_sz(e->user_agent.len, MAX_FIELD)))
			return "user_agent does not decode to the input";
		return NULL;
	}

	const char *p = fmt_out, *end = fmt_out + n;
	char clf[LOG_CLF_LEN + 1];
	size_t reqlen, reflen, ualen;
	uint64_t status, bytes;
	log_clf_time(e->iso, clf);
	if (!lit(&p, end, e->ip) || !lit(&p, end, " - - [") || !lit(&p, end, clf) ||
	    !lit(&p, end, "] "))
		return "the prefix";
	if (!clf_quoted(&p, end, req, sizeof req, &reqlen) || !lit(&p, end, " ") ||
	    !clf_number(&p, end, &status) || !lit(&p, end, " ") || !clf_number(&p, end, &bytes) ||
	    !lit(&p, end, " ") || !clf_quoted(&p, end, ref, sizeof ref, &reflen) ||
	    !lit(&p, end, " ") || !clf_quoted(&p, end, ua, sizeof ua, &ualen) ||
	    !lit(&p, end, "\n") || p != end)
		return "not IP - - [TIME] \"REQUEST\" STATUS BYTES \"REFERER\" \"UA\"";
	if (reqlen != w.reqlen || memcmp(req, w.req, reqlen) != 0)
		return "request does not decode to the input";
	if (status != (uint64_t)e->status || bytes != e->bytes)
		return "status or bytes";
	if (!field_eq(ref, reflen, e->referer, MAX_FIELD, true))
		return "referer does not decode to the input";
	if (!field_eq(ua, ualen, e->user_agent, MAX_FIELD, true))
		return "user agent does not decode to the input";
	return NULL;
}

static void test_entries(void)
{
	for (size_t i = 0; i < sizeof entry_cases / sizeof entry_cases[0]; i++) {
		const struct entry_case *c = &entry_cases[i];
		struct log_entry e = make_entry(IP, slice_make(c->method, c->mlen),
						slice_make(c->target, c->tlen), c->minor, c->status,
						c->bytes, slice_make(c->referer, c->rlen),
						slice_make(c->ua, c->ulen));
		char out[ACCESS_LOG_LINE_MAX + 16];
		size_t n = access_log_format_combined(out, ACCESS_LOG_LINE_MAX, &e);
		size_t want = strlen(c->combined);
		CHECK(n == want && memcmp(out, c->combined, want) == 0,
		      "combined %zu: '%.*s', want '%s'", i, (int)(n <= ACCESS_LOG_LINE_MAX ? n : 0), out,
		      c->combined);
		n = access_log_format_json(out, ACCESS_LOG_LINE_MAX, &e);
		want = strlen(c->json);
		CHECK(n == want && memcmp(out, c->json, want) == 0, "json %zu: '%.*s', want '%s'", i,
		      (int)(n <= ACCESS_LOG_LINE_MAX ? n : 0), out, c->json);
		CHECK(json_parse(c->json, want, &jd), "json %zu: the expected line is not JSON", i);
		/* and the generic checks agree with the table */
		const char *bad = entry_problem(&e, false);
		CHECK(!bad, "combined %zu: %s", i, bad);
		bad = entry_problem(&e, true);
		CHECK(!bad, "json %zu: %s", i, bad);
	}

	/* IPv6 peers */
	char out[ACCESS_LOG_LINE_MAX];
	struct log_entry e = make_entry("2001:db8::1", SLICE_LIT("GET"), SLICE_LIT("/"), 1, 200, 3,
					(struct slice){ 0 }, (struct slice){ 0 });
	static const char c6[] = "2001:db8::1 - - [" CLF "] \"GET / HTTP/1.1\" 200 3 \"-\" \"-\"\n";
	size_t n = access_log_format_combined(out, sizeof out, &e);
	CHECK(n == sizeof c6 - 1 && memcmp(out, c6, n) == 0, "combined IPv6: '%.*s'",
	      (int)(n < sizeof out ? n : 0), out);
	static const char j6[] =
		"{\"time\":\"" ISO "\",\"remote_addr\":\"2001:db8::1\",\"method\":\"GET\",\"uri\":\"/\","
		"\"protocol\":\"HTTP/1.1\",\"status\":200,\"bytes\":3,\"referer\":\"\",\"user_agent\":\"\"}\n";
	n = access_log_format_json(out, sizeof out, &e);
	CHECK(n == sizeof j6 - 1 && memcmp(out, j6, n) == 0, "json IPv6: '%.*s'",
	      (int)(n < sizeof out ? n : 0), out);
}

/* The longest fields, in bytes that all need escaping: bounded, one line,
 * valid JSON, nothing lost but what the field limits cut. */
static void test_entry_limits(void)
{
	static char method[4096], target[8192], referer[8192], ua[8192];
	static const int fills[] = { '"', '\\', 0, 1, '\n', 0x7f, 0x80, 0xff, 'a', -1 /* all bytes */ };
	for (size_t i = 0; i < sizeof fills / sizeof fills[0]; i++) {
		char *fields[] = { method, target, referer, ua };
		size_t sizes[] = { sizeof method, sizeof target, sizeof referer, sizeof ua };
		for (int f = 0; f < 4; f++)
			for (size_t k = 0; k < sizes[f]; k++)
				fields[f][k] = (char)(fills[i] >= 0 ? fills[i] : (int)((k * 7 + (size_t)f) & 0xff));
		struct log_entry e = make_entry(V6MAX, slice_make(method, sizeof method),
						slice_make(target, sizeof target), 1, 599, UINT64_MAX,
						slice_make(referer, sizeof referer),
						slice_make(ua, sizeof ua));
		for (int json = 0; json < 2; json++) {
			const char *bad = entry_problem(&e, json);
			CHECK(!bad, "%s, all fields of byte 0x%02x: %s ('%.200s')",
			      json ? "json" : "combined", fills[i] & 0xff, bad, fmt_out);
		}
		/* each field alone at its longest */
		for (int f = 0; f < 4; f++) {
			struct log_entry one = make_entry(IP, SLICE_LIT("GET"), SLICE_LIT("/"), 0, 200, 0,
							  (struct slice){ 0 }, (struct slice){ 0 });
			struct slice s = slice_make(fields[f], sizes[f]);
			*(f == 0 ? &one.method : f == 1 ? &one.target : f == 2 ? &one.referer : &one.user_agent) = s;
			for (int json = 0; json < 2; json++) {
				const char *bad = entry_problem(&one, json);
				CHECK(!bad, "%s, field %d alone of byte 0x%02x: %s", json ? "json" : "combined",
				      f, fills[i] & 0xff, bad);
			}
		}
	}
	/* Every field was cut by its own limit, never by the line's: the
	 * worst lines leave room. */
	CHECK(longest_combined < ACCESS_LOG_LINE_MAX && longest_json < ACCESS_LOG_LINE_MAX,
	      "longest lines: combined %zu, json %zu", longest_combined, longest_json);
}

/* A byte for random fields: often one that needs escaping. */
static char rand_byte(void)
{
	static const char special[] = { '"', '\\', '\n', '\r', 0, 0x7f, (char)0x80, (char)0xff, 'a', '/', ' ', '%' };
	uint64_t r = next_rand();
	return r & 1 ? special[(r >> 1) % sizeof special] : (char)(r >> 8);
}

static size_t rand_len(size_t max)
{
	uint64_t r = next_rand();
	return r % 4 == 0 ? 0 : (size_t)((r >> 2) % (max + 1));
}

static void test_entry_random(void)
{
	static char method[40], target[1100], referer[600], ua[600];
	unsigned bad = 0;
	for (int iter = 0; iter < 4000; iter++) {
		size_t ml = rand_len(sizeof method), tl = rand_len(sizeof target);
		size_t rl = rand_len(sizeof referer), ul = rand_len(sizeof ua);
		for (size_t k = 0; k < ml; k++)
			method[k] = rand_byte();
		for (size_t k = 0; k < tl; k++)
			target[k] = rand_byte();
		for (size_t k = 0; k < rl; k++)
			referer[k] = rand_byte();
		for (size_t k = 0; k < ul; k++)
			ua[k] = rand_byte();
		uint64_t r = next_rand();
		int minor = (int)(r % 12) - 1; /* -1 .. 10 */
		if (minor == 10)
			minor = 1;
		struct log_entry e = make_entry(r & 16 ? V6MAX : IP, slice_make(method, ml),
						slice_make(target, tl), minor,
						100 + (int)((r >> 8) % 500), next_rand() >> (r >> 32) % 64,
						slice_make(referer, rl), slice_make(ua, ul));
		for (int json = 0; json < 2; json++) {
			const char *why = entry_problem(&e, json);
			if (why && bad++ < 5)
				CHECK(0, "random %s line %d: %s: '%.*s'", json ? "json" : "combined", iter,
				      why, (int)fmt_len, fmt_out);
		}
	}
	CHECK(bad == 0, "%u random lines malformed", bad);
}

/* ---- The CLF time stamp ---- */

struct clf_case {
	const char *iso, *clf;
};

static const struct clf_case clf_cases[] = {
	{ "2025-09-28T18:30:00Z", "28/Sep/2025:18:30:00 +0000" },
	{ "1970-01-01T00:00:00Z", "01/Jan/1970:00:00:00 +0000" },
	{ "2025-01-31T01:02:03Z", "31/Jan/2025:01:02:03 +0000" },
	{ "2025-02-28T23:59:59Z", "28/Feb/2025:23:59:59 +0000" },
	{ "2025-03-01T00:00:00Z", "01/Mar/2025:00:00:00 +0000" },
	{ "2025-04-30T12:00:00Z", "30/Apr/2025:12:00:00 +0000" },
	{ "2025-05-05T05:05:05Z", "05/May/2025:05:05:05 +0000" },
	{ "2025-06-15T10:20:30Z", "15/Jun/2025:10:20:30 +0000" },
	{ "2025-07-04T04:00:00Z", "04/Jul/2025:04:00:00 +0000" },
	{ "2025-08-09T09:09:09Z", "09/Aug/2025:09:09:09 +0000" },
	{ "2025-10-10T10:10:10Z", "10/Oct/2025:10:10:10 +0000" },
	{ "2025-11-11T11:11:11Z", "11/Nov/2025:11:11:11 +0000" },
	{ "2025-12-31T23:59:59Z", "31/Dec/2025:23:59:59 +0000" },
	{ "2000-02-29T12:00:00Z", "29/Feb/2000:12:00:00 +0000" },
	{ "2024-02-29T00:00:00Z", "29/Feb/2024:00:00:00 +0000" },
	{ "9999-12-31T23:59:59Z", "31/Dec/9999:23:59:59 +0000" },
	/* not from log_iso_time: a month out of range reads no table past its end */
	{ "2025-13-01T00:00:00Z", "01/Jan/2025:00:00:00 +0000" },
	{ "2025-00-01T00:00:00Z", "01/Jan/2025:00:00:00 +0000" },
};

static unsigned clf_vs_strftime(time_t t)
{
	char iso[LOG_ISO_LEN + 1], out[LOG_CLF_LEN + 2], want[64];
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(want, sizeof want, "%d/%b/%Y:%H:%M:%S +0000", &tm);
	log_iso_time(t, iso);
	out[LOG_CLF_LEN + 1] = 'X';
	log_clf_time(iso, out);
	if (strcmp(out, want) == 0 && out[LOG_CLF_LEN + 1] == 'X')
		return 0;
	CHECK(0, "clf %lld: '%s', strftime '%s'", (long long)t, out, want);
	return 1;
}

static void test_clf_time(void)
{
	for (size_t i = 0; i < sizeof clf_cases / sizeof clf_cases[0]; i++) {
		char out[LOG_CLF_LEN + 2];
		memset(out, 'X', sizeof out);
		log_clf_time(clf_cases[i].iso, out);
		CHECK(strcmp(out, clf_cases[i].clf) == 0, "clf %s: '%s', want '%s'", clf_cases[i].iso,
		      out, clf_cases[i].clf);
		CHECK(strlen(clf_cases[i].clf) == LOG_CLF_LEN && out[LOG_CLF_LEN + 1] == 'X',
		      "clf %s: wrote past its LOG_CLF_LEN + 1 bytes", clf_cases[i].iso);
	}
	/* strftime as the oracle: every day from 1970 to 2100, at a
	 * different time of day each, then random times up to 9999 */
	unsigned bad = 0;
	for (long long day = 0; day < 47482 && bad < 5; day++)
		bad += clf_vs_strftime((time_t)(day * 86400 + (day * 7919) % 86400));
	for (int i = 0; i < 20000 && bad < 5; i++)
		bad += clf_vs_strftime((time_t)(next_rand() % 253402300800ULL));
	CHECK(bad == 0, "%u CLF times differ from strftime", bad);
}

/* ---- --log-format names ---- */

struct fmt_case {
	const char *name;
	int rc;
	enum log_format fmt;
};

static const struct fmt_case fmt_cases[] = {
	{ "default", 0, LOG_FORMAT_DEFAULT },
	{ "combined", 0, LOG_FORMAT_COMBINED },
	{ "json", 0, LOG_FORMAT_JSON },
	{ "", -1, 0 },
	{ "Default", -1, 0 },
	{ "JSON", -1, 0 },
	{ "Combined", -1, 0 },
	{ "json ", -1, 0 },
	{ " json", -1, 0 },
	{ "combined\n", -1, 0 },
	{ "jsonl", -1, 0 },
	{ "defaul", -1, 0 },
	{ "common", -1, 0 },
	{ "clf", -1, 0 },
	{ "ndjson", -1, 0 },
};

static void test_format_parse(void)
{
	for (size_t i = 0; i < sizeof fmt_cases / sizeof fmt_cases[0]; i++) {
		const struct fmt_case *c = &fmt_cases[i];
		enum log_format f = (enum log_format)77;
		int rc = log_format_parse(c->name, &f);
		CHECK(rc == c->rc, "log_format_parse('%s') = %d, want %d", c->name, rc, c->rc);
		if (c->rc == 0)
			CHECK(f == c->fmt, "log_format_parse('%s') gave %d, want %d", c->name, (int)f,
			      (int)c->fmt);
		else
			CHECK((int)f == 77, "log_format_parse('%s') failed but wrote %d", c->name, (int)f);
	}
}

int main(void)
{
	test_iso();
	test_lines();
	test_limits();
	test_small_cap();
	test_random();
	test_json_reader();
	test_entries();
	test_entry_limits();
	test_entry_random();
	test_clf_time();
	test_format_parse();
	return unit_done("access_log");
}
