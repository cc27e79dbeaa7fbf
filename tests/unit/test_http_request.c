/* test_http_request.c - request semantics: Host, target forms, framing,
 * persistence, Expect and methods (RFC 9110, RFC 9112). */
#include <string.h>

#include "http_parse.h"
#include "http_request.h"
#include "unit.h"

#define ANY -1 /* keep_alive / expect: not checked */

struct req_case {
	const char *in;
	int status;
	int keep_alive;
	enum http_method method;
	const char *path, *query, *host; /* NULL: not checked */
	unsigned long long content_length;
	int expect_continue;
	int asterisk;
};

#define R11 " HTTP/1.1\r\n"
#define R10 " HTTP/1.0\r\n"
#define H "Host: example.com\r\n"
#define END "\r\n"

static const struct req_case cases[] = {
	/* basics */
	{ "GET /" R11 H END, 0, 1, HTTP_GET, "/", "", "example.com", 0, 0, 0 },
	{ "HEAD /a/b.html" R11 H END, 0, 1, HTTP_HEAD, "/a/b.html", "", "example.com", 0, 0, 0 },
	{ "OPTIONS /x" R11 H END, 0, 1, HTTP_OPTIONS, "/x", "", "example.com", 0, 0, 0 },
	{ "GET /a%20b/c%2e" R11 H END, 0, 1, HTTP_GET, "/a%20b/c%2e", "", NULL, 0, 0, 0 },

	/* Host (RFC 9112 section 3.2) */
	{ "GET /" R11 END, 400, ANY, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET /" R10 END, 0, 0, HTTP_GET, "/", "", "", 0, 0, 0 },
	{ "GET /" R10 H END, 0, 0, HTTP_GET, "/", "", "example.com", 0, 0, 0 },
	{ "GET /" R11 H H END, 400, ANY, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET /" R11 "Host: a\r\nHost: b\r\n" END, 400, ANY, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET /" R10 "Host: a\r\nhost: a\r\n" END, 400, ANY, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET /" R11 "HOST: Example.COM:8080\r\n" END, 0, 1, HTTP_GET, "/", "", "Example.COM:8080",
	  0, 0, 0 },
	{ "GET /" R11 "Host: [::1]:8080\r\n" END, 0, 1, HTTP_GET, "/", "", "[::1]:8080", 0, 0, 0 },
	{ "GET /" R11 "Host: 127.0.0.1\r\n" END, 0, 1, HTTP_GET, "/", "", "127.0.0.1", 0, 0, 0 },
	{ "GET /" R11 "Host: xn--bcher-kva.example\r\n" END, 0, 1, HTTP_GET, "/", "",
	  "xn--bcher-kva.example", 0, 0, 0 },
	{ "GET /" R11 "Host: a b\r\n" END, 400, ANY, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET /" R11 "Host: a/b\r\n" END, 400, ANY, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET /" R11 "Host: a@b\r\n" END, 400, ANY, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET /" R11 "Host: a\"b\r\n" END, 400, ANY, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET /" R11 "Host: a<b>\r\n" END, 400, ANY, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET /" R11 "Host: a\\b\r\n" END, 400, ANY, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET /" R11 "Host: a?b\r\n" END, 400, ANY, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET /" R11 "Host: a#b\r\n" END, 400, ANY, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET /" R11 "Host: a\tb\r\n" END, 400, ANY, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET /" R11 "Host: caf\xc3\xa9\r\n" END, 400, ANY, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET /" R11 "Host: a{b}\r\n" END, 400, ANY, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET /" R10 "Host: a/b\r\n" END, 400, ANY, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },

	/* absolute-form (RFC 9112 section 3.2.2): the authority wins over Host */
	{ "GET http://example.org/a/b?x=1" R11 "Host: other\r\n" END, 0, 1, HTTP_GET, "/a/b", "x=1",
	  "example.org", 0, 0, 0 },
	{ "GET https://example.org:8443/s" R11 H END, 0, 1, HTTP_GET, "/s", "", "example.org:8443",
	  0, 0, 0 },
	{ "GET HTTP://EXAMPLE.ORG/" R11 H END, 0, 1, HTTP_GET, "/", "", "EXAMPLE.ORG", 0, 0, 0 },
	{ "GET http://example.org" R11 H END, 0, 1, HTTP_GET, "/", "", "example.org", 0, 0, 0 },
	{ "GET http://example.org?q=1" R11 H END, 0, 1, HTTP_GET, "/", "q=1", "example.org", 0, 0,
	  0 },
	{ "GET http://[::1]:80/p" R11 H END, 0, 1, HTTP_GET, "/p", "", "[::1]:80", 0, 0, 0 },
	{ "GET http://example.org/" R10 END, 0, 0, HTTP_GET, "/", "", "example.org", 0, 0, 0 },
	{ "GET http://example.org/" R11 END, 400, ANY, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET http:///path" R11 H END, 400, ANY, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET http://" R11 H END, 400, ANY, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET http://user@example.org/" R11 H END, 400, ANY, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET http://u:p@example.org/" R11 H END, 400, ANY, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET http://example.org#f" R11 H END, 400, ANY, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET http://example.org/a#f" R11 H END, 400, ANY, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	/* found by fuzz_http_parse: a fragment after the query of a pathless URL */
	{ "GET http://h?#f" R11 H END, 400, ANY, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET http://exa<mple.org/" R11 H END, 400, ANY, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET http://exa\"mple/" R11 H END, 400, ANY, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET ftp://example.org/" R11 H END, 400, ANY, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET http:/example.org/" R11 H END, 400, ANY, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET //example.org/" R11 H END, 0, 1, HTTP_GET, "//example.org/", "", "example.com", 0, 0,
	  0 },
	/* absolute-form with a bad Host field: still 400 (section 3.2) */
	{ "GET http://example.org/" R11 "Host: a b\r\n" END, 400, ANY, HTTP_GET, NULL, NULL, NULL, 0,
	  ANY, 0 },

	/* asterisk-form: OPTIONS only */
	{ "OPTIONS *" R11 H END, 0, 1, HTTP_OPTIONS, NULL, "", "example.com", 0, 0, 1 },
	{ "GET *" R11 H END, 400, ANY, HTTP_GET, NULL, NULL, NULL, 0, ANY, ANY },
	{ "HEAD *" R11 H END, 400, ANY, HTTP_HEAD, NULL, NULL, NULL, 0, ANY, ANY },
	{ "OPTIONS *x" R11 H END, 400, ANY, HTTP_OPTIONS, NULL, NULL, NULL, 0, ANY, ANY },
	{ "OPTIONS **" R11 H END, 400, ANY, HTTP_OPTIONS, NULL, NULL, NULL, 0, ANY, ANY },
	{ "OPTIONS /*" R11 H END, 0, 1, HTTP_OPTIONS, "/*", "", NULL, 0, 0, 0 },

	/* origin-form must start with '/' */
	{ "GET a/b" R11 H END, 400, ANY, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET ?x" R11 H END, 400, ANY, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET example.com:80" R11 H END, 400, ANY, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },

	/* query and fragment */
	{ "GET /a?b=c" R11 H END, 0, 1, HTTP_GET, "/a", "b=c", NULL, 0, 0, 0 },
	{ "GET /a?" R11 H END, 0, 1, HTTP_GET, "/a", "", NULL, 0, 0, 0 },
	{ "GET /?x" R11 H END, 0, 1, HTTP_GET, "/", "x", NULL, 0, 0, 0 },
	{ "GET /a?b?c=/d" R11 H END, 0, 1, HTTP_GET, "/a", "b?c=/d", NULL, 0, 0, 0 },
	{ "GET /a%3Fb?c" R11 H END, 0, 1, HTTP_GET, "/a%3Fb", "c", NULL, 0, 0, 0 },
	{ "GET /a#frag" R11 H END, 400, ANY, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET /#" R11 H END, 400, ANY, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET /a#b?c" R11 H END, 400, ANY, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },

	/* Content-Length (RFC 9110 section 8.6, RFC 9112 section 6.3) */
	{ "GET /" R11 H "Content-Length: 0\r\n" END, 0, 1, HTTP_GET, "/", "", NULL, 0, 0, 0 },
	{ "GET /" R11 H "Content-Length: 5\r\n" END, 0, 1, HTTP_GET, "/", "", NULL, 5, 0, 0 },
	{ "GET /" R11 H "content-length: 42\r\n" END, 0, 1, HTTP_GET, "/", "", NULL, 42, 0, 0 },
	{ "GET /" R11 H "Content-Length: 5, 5\r\n" END, 0, 1, HTTP_GET, "/", "", NULL, 5, 0, 0 },
	{ "GET /" R11 H "Content-Length: 5,5,5\r\n" END, 0, 1, HTTP_GET, "/", "", NULL, 5, 0, 0 },
	{ "GET /" R11 H "Content-Length: 5\r\nContent-Length: 5\r\n" END, 0, 1, HTTP_GET, "/", "",
	  NULL, 5, 0, 0 },
	{ "GET /" R11 H "Content-Length: 007\r\n" END, 0, 1, HTTP_GET, "/", "", NULL, 7, 0, 0 },
	{ "GET /" R11 H "Content-Length: 999999999999999999\r\n" END, 0, 1, HTTP_GET, "/", "", NULL,
	  999999999999999999ULL, 0, 0 },
	{ "GET /" R11 H "Content-Length: 5\r\nContent-Length: 6\r\n" END, 400, 0, HTTP_GET, NULL,
	  NULL, NULL, 0, ANY, 0 },
	{ "GET /" R11 H "Content-Length: 5, 6\r\n" END, 400, 0, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET /" R11 H "Content-Length: 6,5\r\n" END, 400, 0, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET /" R11 H "Content-Length: abc\r\n" END, 400, 0, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET /" R11 H "Content-Length: -1\r\n" END, 400, 0, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET /" R11 H "Content-Length: +5\r\n" END, 400, 0, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET /" R11 H "Content-Length: 0x10\r\n" END, 400, 0, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET /" R11 H "Content-Length: 1 2\r\n" END, 400, 0, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET /" R11 H "Content-Length: 5.0\r\n" END, 400, 0, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET /" R11 H "Content-Length:\r\n" END, 400, 0, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET /" R11 H "Content-Length: 5,,5\r\n" END, 400, 0, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET /" R11 H "Content-Length: 9999999999999999999\r\n" END, 400, 0, HTTP_GET, NULL, NULL,
	  NULL, 0, ANY, 0 },
	{ "GET /" R11 H "Content-Length: 99999999999999999999999\r\n" END, 400, 0, HTTP_GET, NULL,
	  NULL, NULL, 0, ANY, 0 },

	/* any Transfer-Encoding: 400 and close (smuggling guard) */
	{ "GET /" R11 H "Transfer-Encoding: chunked\r\n" END, 400, 0, HTTP_GET, NULL, NULL, NULL, 0,
	  ANY, 0 },
	{ "GET /" R11 H "transfer-encoding: identity\r\n" END, 400, 0, HTTP_GET, NULL, NULL, NULL, 0,
	  ANY, 0 },
	{ "GET /" R11 H "Transfer-Encoding:\r\n" END, 400, 0, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "POST /" R11 H "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n" END, 400, 0, HTTP_OTHER,
	  NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET /" R10 "Transfer-Encoding: chunked\r\nConnection: keep-alive\r\n" END, 400, 0,
	  HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET /" R11 "Transfer-Encoding: chunked\r\n" END, 400, 0, HTTP_GET, NULL, NULL, NULL, 0,
	  ANY, 0 },
	/* TE (a different field) is harmless */
	{ "GET /" R11 H "TE: trailers\r\n" END, 0, 1, HTTP_GET, "/", "", NULL, 0, 0, 0 },
	{ "GET /" R11 H "Transfer-Encodings: x\r\n" END, 0, 1, HTTP_GET, "/", "", NULL, 0, 0, 0 },

	/* Expect (RFC 9110 section 10.1.1) */
	{ "GET /" R11 H "Expect: 100-continue\r\n" END, 0, 1, HTTP_GET, "/", "", NULL, 0, 1, 0 },
	{ "GET /" R11 H "Expect: 100-Continue\r\n" END, 0, 1, HTTP_GET, "/", "", NULL, 0, 1, 0 },
	{ "GET /" R10 "Expect: 100-continue\r\n" END, 0, 0, HTTP_GET, "/", "", NULL, 0, 0, 0 },
	{ "GET /" R11 H "Expect: 200-ok\r\n" END, 417, ANY, HTTP_GET, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GET /" R11 H "Expect: 100-continue-x\r\n" END, 417, ANY, HTTP_GET, NULL, NULL, NULL, 0,
	  ANY, 0 },
	{ "GET /" R10 "Expect: 200-ok\r\n" END, 0, 0, HTTP_GET, "/", "", NULL, 0, 0, 0 },
	{ "POST /" R11 H "Expect: foo\r\n" END, 501, ANY, HTTP_OTHER, NULL, NULL, NULL, 0, ANY, 0 },

	/* persistence (RFC 9112 section 9.3) */
	{ "GET /" R11 H "Connection: close\r\n" END, 0, 0, HTTP_GET, "/", "", NULL, 0, 0, 0 },
	{ "GET /" R11 H "Connection: CLOSE\r\n" END, 0, 0, HTTP_GET, "/", "", NULL, 0, 0, 0 },
	{ "GET /" R11 H "Connection: foo, close\r\n" END, 0, 0, HTTP_GET, "/", "", NULL, 0, 0, 0 },
	{ "GET /" R11 H "Connection: foo\r\nConnection: close\r\n" END, 0, 0, HTTP_GET, "/", "", NULL,
	  0, 0, 0 },
	{ "GET /" R11 H "Connection: closed\r\n" END, 0, 1, HTTP_GET, "/", "", NULL, 0, 0, 0 },
	{ "GET /" R11 H "Connection: keep-alive\r\n" END, 0, 1, HTTP_GET, "/", "", NULL, 0, 0, 0 },
	{ "GET /" R11 H "Connection: Upgrade\r\n" END, 0, 1, HTTP_GET, "/", "", NULL, 0, 0, 0 },
	{ "GET /" R11 H "Connection: keep-alive, close\r\n" END, 0, 0, HTTP_GET, "/", "", NULL, 0, 0,
	  0 },
	{ "GET /" R10 END, 0, 0, HTTP_GET, "/", "", NULL, 0, 0, 0 },
	{ "GET /" R10 "Connection: keep-alive\r\n" END, 0, 1, HTTP_GET, "/", "", NULL, 0, 0, 0 },
	{ "GET /" R10 "Connection: Keep-Alive\r\n" END, 0, 1, HTTP_GET, "/", "", NULL, 0, 0, 0 },
	{ "GET /" R10 "Connection: foo , keep-alive\r\n" END, 0, 1, HTTP_GET, "/", "", NULL, 0, 0, 0 },
	{ "GET /" R10 "Connection: keep-alive, close\r\n" END, 0, 0, HTTP_GET, "/", "", NULL, 0, 0, 0 },
	{ "GET /" R10 "Connection: keep-alive\r\nConnection: close\r\n" END, 0, 0, HTTP_GET, "/", "",
	  NULL, 0, 0, 0 },
	{ "GET /" R10 "Connection: keep-alivex\r\n" END, 0, 0, HTTP_GET, "/", "", NULL, 0, 0, 0 },
	{ "GET /" R10 "Keep-Alive: timeout=5\r\n" END, 0, 0, HTTP_GET, "/", "", NULL, 0, 0, 0 },

	/* methods: only GET, HEAD and OPTIONS (case-sensitive, RFC 9110 9.1) */
	{ "POST /" R11 H END, 501, 1, HTTP_OTHER, NULL, NULL, NULL, 0, ANY, 0 },
	{ "PUT /" R11 H END, 501, 1, HTTP_OTHER, NULL, NULL, NULL, 0, ANY, 0 },
	{ "DELETE /" R11 H END, 501, 1, HTTP_OTHER, NULL, NULL, NULL, 0, ANY, 0 },
	{ "PATCH /" R11 H END, 501, 1, HTTP_OTHER, NULL, NULL, NULL, 0, ANY, 0 },
	{ "TRACE /" R11 H END, 501, 1, HTTP_OTHER, NULL, NULL, NULL, 0, ANY, 0 },
	{ "CONNECT example.com:443" R11 H END, 400, ANY, HTTP_OTHER, NULL, NULL, NULL, 0, ANY, 0 },
	{ "get /" R11 H END, 501, 1, HTTP_OTHER, NULL, NULL, NULL, 0, ANY, 0 },
	{ "Head /" R11 H END, 501, 1, HTTP_OTHER, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GETS /" R11 H END, 501, 1, HTTP_OTHER, NULL, NULL, NULL, 0, ANY, 0 },
	{ "GE /" R11 H END, 501, 1, HTTP_OTHER, NULL, NULL, NULL, 0, ANY, 0 },
	/* the body length of a 501 is still known so it can be skipped */
	{ "POST /upload" R11 H "Content-Length: 11\r\n" END, 501, 1, HTTP_OTHER, "/upload", "", NULL,
	  11, ANY, 0 },
	{ "POST /" R11 END, 400, ANY, HTTP_OTHER, NULL, NULL, NULL, 0, ANY, 0 },
	{ "POST *" R11 H END, 501, ANY, HTTP_OTHER, NULL, NULL, NULL, 0, ANY, ANY },
};

static bool slice_is(struct slice s, const char *lit)
{
	return s.len == strlen(lit) && (s.len == 0 || memcmp(s.ptr, lit, s.len) == 0);
}

static void test_cases(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct req_case *c = &cases[i];
		struct http_header hdrs[16];
		struct http_head h = { .headers = hdrs, .max_headers = 16 };
		struct request r;
		size_t len = strlen(c->in);
		long n = http_parse_request(c->in, len, &h);

		CHECK(n == (long)len, "case %zu: head did not parse (%ld): %s", i, n, c->in);
		if (n != (long)len)
			continue;
		memset(&r, 0xa5, sizeof r); /* everything must be set by the call */
		int st = http_request_read(&h, &r);
		CHECK(st == c->status, "case %zu: status %d, want %d: %s", i, st, c->status, c->in);
		CHECK(r.method == c->method, "case %zu: method %d", i, (int)r.method);
		CHECK(r.minor == h.minor, "case %zu: minor %d", i, r.minor);
		if (c->keep_alive != ANY)
			CHECK(r.keep_alive == (c->keep_alive == 1), "case %zu: keep_alive %d: %s", i,
			      r.keep_alive, c->in);
		if (c->expect_continue != ANY)
			CHECK(r.expect_continue == (c->expect_continue == 1),
			      "case %zu: expect_continue %d", i, r.expect_continue);
		if (c->asterisk != ANY)
			CHECK(r.asterisk == (c->asterisk == 1), "case %zu: asterisk %d", i, r.asterisk);
		if (c->path)
			CHECK(slice_is(r.path, c->path), "case %zu: path '%.*s', want '%s'", i,
			      (int)r.path.len, r.path.ptr, c->path);
		if (c->query)
			CHECK(slice_is(r.query, c->query), "case %zu: query '%.*s', want '%s'", i,
			      (int)r.query.len, r.query.ptr, c->query);
		if (c->host)
			CHECK(slice_is(r.host, c->host), "case %zu: host '%.*s', want '%s'", i,
			      (int)r.host.len, r.host.ptr, c->host);
		CHECK(r.content_length == c->content_length, "case %zu: content_length %llu, want %llu",
		      i, (unsigned long long)r.content_length, c->content_length);
		if (st == 0 && !r.asterisk)
			CHECK(r.path.len > 0 && r.path.ptr[0] == '/', "case %zu: path not rooted", i);
	}
}

struct list_case {
	const char *list, *token;
	bool expect;
};

static const struct list_case list_cases[] = {
	{ "close", "close", true },
	{ "Close", "close", true },
	{ "close", "CLOSE", true },
	{ " a , close ,b", "close", true },
	{ "a,b,close", "close", true },
	{ "close,", "close", true },
	{ ",,close,,", "close", true },
	{ "a,\tclose\t", "close", true },
	{ "closed", "close", false },
	{ "clos", "close", false },
	{ "xclose", "close", false },
	{ "close-x, keep", "close", false },
	{ "", "close", false },
	{ ",,, ,", "close", false },
	{ "a b", "a", false },
	{ "keep-alive", "keep-alive", true },
	{ "Keep-Alive, Upgrade", "upgrade", true },
	{ "\"close\"", "close", false },
};

static void test_list(void)
{
	for (size_t i = 0; i < sizeof list_cases / sizeof list_cases[0]; i++) {
		const struct list_case *c = &list_cases[i];
		bool got = http_list_has(slice_make(c->list, strlen(c->list)), c->token);
		CHECK(got == c->expect, "list case %zu: '%s' has '%s': %d", i, c->list, c->token, got);
	}
}

int main(void)
{
	test_cases();
	test_list();
	return unit_done("http_request");
}
