/* test_http_parse.c - the request head parser (RFC 9112 sections 2-5). */
#include <stdlib.h>
#include <string.h>

#include "http_parse.h"
#include "unit.h"

#define B(s) s, sizeof(s) - 1
#define MAXH 16
#define WHOLE 0 /* expected return: the whole input is the head */

/* Every parse runs on an exact-size heap copy, so ASan sees any read past
 * the end of the bytes received so far. */
static char *copy_exact(const char *s, size_t n)
{
	char *p = malloc(n ? n : 1);
	if (!p)
		abort();
	memcpy(p, s, n);
	return p;
}

static long parse_n(const char *s, size_t n, struct http_header *hdrs, size_t max)
{
	struct http_head h = { .headers = hdrs, .max_headers = max };
	char *buf = copy_exact(s, n);
	long rc = http_parse_request(buf, n, &h);
	free(buf);
	return rc;
}

static bool slice_is(struct slice s, const char *lit)
{
	return s.len == strlen(lit) && memcmp(s.ptr, lit, s.len) == 0;
}

/* ---- valid requests ---------------------------------------------------- */

struct ok_case {
	const char *in;
	size_t len;
	long expect; /* WHOLE or the byte count of the first head */
	const char *method, *target;
	int minor;
	size_t nheaders;
};

static const struct ok_case ok_cases[] = {
	{ B("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), WHOLE, "GET", "/", 1, 1 },
	{ B("GET / HTTP/1.0\r\n\r\n"), WHOLE, "GET", "/", 0, 0 },
	{ B("HEAD /index.html HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n"), WHOLE,
	  "HEAD", "/index.html", 1, 2 },
	{ B("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n"), WHOLE, "OPTIONS", "*", 1, 1 },
	{ B("GET http://example.com/a?b=c HTTP/1.1\r\nHost: example.com\r\n\r\n"), WHOLE, "GET",
	  "http://example.com/a?b=c", 1, 1 },
	/* the parser takes any token as method; http_request decides 501 */
	{ B("get / HTTP/1.1\r\nHost: a\r\n\r\n"), WHOLE, "get", "/", 1, 1 },
	{ B("M-SEARCH! / HTTP/1.1\r\n\r\n"), WHOLE, "M-SEARCH!", "/", 1, 0 },
	/* bare LF line endings (RFC 9112 section 2.2) */
	{ B("GET / HTTP/1.1\nHost: a\n\n"), WHOLE, "GET", "/", 1, 1 },
	{ B("GET / HTTP/1.1\r\nHost: a\n\r\n"), WHOLE, "GET", "/", 1, 1 },
	{ B("GET / HTTP/1.1\nHost: a\r\n\n"), WHOLE, "GET", "/", 1, 1 },
	/* empty lines before the request line are skipped */
	{ B("\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), WHOLE, "GET", "/", 1, 1 },
	{ B("\r\n\r\n\n\nGET /x HTTP/1.0\r\n\r\n"), WHOLE, "GET", "/x", 0, 0 },
	/* raw UTF-8 in the target is tolerated */
	{ B("GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n"), WHOLE, "GET", "/caf\xc3\xa9", 1, 1 },
	/* empty field value, obs-text and tab in values */
	{ B("GET / HTTP/1.1\r\nX-Empty:\r\nX-Obs: \xff\x80\r\nX-Tab: a\tb\r\n\r\n"), WHOLE, "GET",
	  "/", 1, 3 },
	/* pipelined: only the first head is consumed */
	{ B("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n"), 28, "GET", "/1",
	  1, 1 },
	{ B("GET /1 HTTP/1.1\r\nHost: a\r\n\r\ngarbage"), 28, "GET", "/1", 1, 1 },
	{ B("GET /1 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET"), 38, "GET", "/1", 1, 1 },
	/* exactly MAXH header fields */
	{ B("GET / HTTP/1.1\r\na:1\r\nb:2\r\nc:3\r\nd:4\r\ne:5\r\nf:6\r\ng:7\r\nh:8\r\n"
	    "i:9\r\nj:10\r\nk:11\r\nl:12\r\nm:13\r\nn:14\r\no:15\r\np:16\r\n\r\n"),
	  WHOLE, "GET", "/", 1, 16 },
};

static void test_ok(void)
{
	for (size_t i = 0; i < sizeof ok_cases / sizeof ok_cases[0]; i++) {
		const struct ok_case *c = &ok_cases[i];
		struct http_header hdrs[MAXH];
		struct http_head h = { .headers = hdrs, .max_headers = MAXH };
		char *buf = copy_exact(c->in, c->len);
		long want = c->expect == WHOLE ? (long)c->len : c->expect;
		long rc = http_parse_request(buf, c->len, &h);

		CHECK(rc == want, "ok case %zu: rc %ld, want %ld", i, rc, want);
		if (rc > 0) {
			CHECK(slice_is(h.method, c->method), "ok case %zu: method '%.*s'", i,
			      (int)h.method.len, h.method.ptr);
			CHECK(slice_is(h.target, c->target), "ok case %zu: target '%.*s'", i,
			      (int)h.target.len, h.target.ptr);
			CHECK(h.minor == c->minor, "ok case %zu: minor %d", i, h.minor);
			CHECK(h.nheaders == c->nheaders, "ok case %zu: %zu headers", i, h.nheaders);
			/* every slice lies inside the consumed head */
			CHECK(h.method.ptr >= buf && h.target.ptr + h.target.len <= buf + rc,
			      "ok case %zu: slices outside the head", i);
			for (size_t k = 0; k < h.nheaders; k++)
				CHECK(hdrs[k].value.ptr + hdrs[k].value.len <= buf + rc &&
					      hdrs[k].name.len > 0,
				      "ok case %zu: header %zu", i, k);
		}
		free(buf);
	}
}

/* Every proper prefix of a valid request is incomplete, never an error. */
static void test_prefixes(void)
{
	for (size_t i = 0; i < sizeof ok_cases / sizeof ok_cases[0]; i++) {
		const struct ok_case *c = &ok_cases[i];
		struct http_header hdrs[MAXH];
		size_t head = c->expect == WHOLE ? c->len : (size_t)c->expect;
		size_t bad = 0;
		for (size_t n = 0; n < head; n++) {
			long rc = parse_n(c->in, n, hdrs, MAXH);
			if (rc != HTTP_PARSE_INCOMPLETE) {
				bad++;
				CHECK(rc == HTTP_PARSE_INCOMPLETE,
				      "prefix case %zu: %zu of %zu bytes gave %ld", i, n, head, rc);
			}
		}
		CHECK(bad == 0, "prefix case %zu: %zu prefixes not incomplete", i, bad);
		/* and any extension beyond the head still yields the same head */
		CHECK(parse_n(c->in, c->len, hdrs, MAXH) == (long)head, "prefix case %zu: whole", i);
	}
}

/* ---- errors -------------------------------------------------------------- */

struct err_case {
	const char *in;
	size_t len;
	long expect;
	size_t max_headers;
};

static const struct err_case err_cases[] = {
	/* bare CR */
	{ B("GET / HTTP/1.1\rHost: a\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("GET / HTTP/1.1\r\nHost: a\r\n\r\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("\rGET / HTTP/1.1\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("\r\n\r\rGET / HTTP/1.1\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("GET / HTTP/1.1\r\nHost: a\r\nX: y\r\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	/* whitespace between field name and colon (RFC 9112 section 5.1) */
	{ B("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("GET / HTTP/1.1\r\nContent-Length : 5\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	/* obs-fold and whitespace before the first field */
	{ B("GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("GET / HTTP/1.1\r\nX: a\r\n\tb\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("GET / HTTP/1.1\r\n Host: a\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	/* bad field names */
	{ B("GET / HTTP/1.1\r\n: a\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("GET / HTTP/1.1\r\nX y: a\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("GET / HTTP/1.1\r\nX(y): a\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("GET / HTTP/1.1\r\nX\xc3\xa9: a\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("GET / HTTP/1.1\r\nNoColon\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	/* control characters in field values */
	{ B("GET / HTTP/1.1\r\nX: a\x01z\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("GET / HTTP/1.1\r\nX: a\0z\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("GET / HTTP/1.1\r\nX: a\x7fz\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("GET / HTTP/1.1\r\nX: \x1b[31m\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	/* control characters in the target */
	{ B("GET /\x01 HTTP/1.1\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("GET /a\0b HTTP/1.1\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("GET /a\x7f HTTP/1.1\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("GET /a\tb HTTP/1.1\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("GET /a\x1b HTTP/1.1\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("GET /a\rb HTTP/1.1\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("GET /a\nb HTTP/1.1\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	/* empty method or target, wrong separators */
	{ B(" / HTTP/1.1\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("GET  HTTP/1.1\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("GET  / HTTP/1.1\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("GET /  HTTP/1.1\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("GET\t/ HTTP/1.1\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("GET /\tHTTP/1.1\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("G(T / HTTP/1.1\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("G\"T / HTTP/1.1\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("GET / HTTP/1.1 \r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("GET /\r\n\r\n"), HTTP_PARSE_BAD, MAXH }, /* HTTP/0.9 */
	{ B("GET / \r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	/* malformed versions */
	{ B("GET / http/1.1\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("GET / HTTPS/1.1\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("GET / HTTP/1\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("GET / HTTP/1.\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("GET / HTTP/11.1\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("GET / HTTP/1.10\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("GET / HTTP/1.1.1\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("GET / HTTP/1,1\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("GET / HTTP/a.1\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("GET / HTTP/1.x\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("GET / HTTP/2\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("GET / HTTP/1.1x\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	/* well-formed but unsupported versions: 505 */
	{ B("GET / HTTP/2.0\r\n\r\n"), HTTP_PARSE_VERSION, MAXH },
	{ B("GET / HTTP/1.2\r\nHost: a\r\n\r\n"), HTTP_PARSE_VERSION, MAXH },
	{ B("GET / HTTP/1.9\r\n\r\n"), HTTP_PARSE_VERSION, MAXH },
	{ B("GET / HTTP/0.9\r\n\r\n"), HTTP_PARSE_VERSION, MAXH },
	{ B("GET / HTTP/3.0\n\n"), HTTP_PARSE_VERSION, MAXH },
	{ B("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), HTTP_PARSE_VERSION, MAXH },
	/* garbage */
	{ B("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"), HTTP_PARSE_BAD, MAXH },
	{ B("hello world\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("\0\0\0\0"), HTTP_PARSE_BAD, MAXH },
	{ B("GET"), HTTP_PARSE_INCOMPLETE, MAXH },
	{ B("{\"json\": 1}\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("\xef\xbb\xbfGET / HTTP/1.1\r\n\r\n"), HTTP_PARSE_BAD, MAXH },
	{ B("GET / HTTP/1.1\r\n\r"), HTTP_PARSE_INCOMPLETE, MAXH },
	{ B("GET / HTTP/1.1\r\nHost: a\r\n"), HTTP_PARSE_INCOMPLETE, MAXH },
	/* too many header fields: 431 */
	{ B("GET / HTTP/1.1\r\na: 1\r\nb: 2\r\nc: 3\r\n\r\n"), HTTP_PARSE_TOO_MANY, 2 },
	{ B("GET / HTTP/1.1\r\na: 1\r\n\r\n"), HTTP_PARSE_TOO_MANY, 0 },
	{ B("GET / HTTP/1.1\r\na:1\r\nb:2\r\nc:3\r\nd:4\r\ne:5\r\nf:6\r\ng:7\r\nh:8\r\n"
	    "i:9\r\nj:10\r\nk:11\r\nl:12\r\nm:13\r\nn:14\r\no:15\r\np:16\r\nq:17\r\n\r\n"),
	  HTTP_PARSE_TOO_MANY, MAXH },
};

static void test_errors(void)
{
	for (size_t i = 0; i < sizeof err_cases / sizeof err_cases[0]; i++) {
		const struct err_case *c = &err_cases[i];
		struct http_header hdrs[MAXH];
		long rc = parse_n(c->in, c->len, hdrs, c->max_headers);
		CHECK(rc == c->expect, "error case %zu: rc %ld, want %ld", i, rc, c->expect);
		/* no prefix reports success or a different error */
		for (size_t n = 0; n < c->len; n++) {
			long p = parse_n(c->in, n, hdrs, c->max_headers);
			if (p != HTTP_PARSE_INCOMPLETE && p != c->expect) {
				CHECK(p == HTTP_PARSE_INCOMPLETE || p == c->expect,
				      "error case %zu: prefix %zu gave %ld", i, n, p);
				break;
			}
		}
	}
}

/* Errors show as soon as the offending byte arrives. */
struct early_case {
	const char *in;
	size_t len;
	long expect;
};

static const struct early_case early_cases[] = {
	{ B("G\x01"), HTTP_PARSE_BAD },
	{ B(" "), HTTP_PARSE_BAD },
	{ B("\x16\x03"), HTTP_PARSE_BAD },
	{ B("GET /\x01"), HTTP_PARSE_BAD },
	{ B("GET / X"), HTTP_PARSE_BAD },
	{ B("GET / HTTP/x"), HTTP_PARSE_BAD },
	{ B("GET / HTTP/1-"), HTTP_PARSE_BAD },
	{ B("GET / HTTP/1.1\r\nHost :"), HTTP_PARSE_BAD },
	{ B("GET / HTTP/1.1\r\n "), HTTP_PARSE_BAD },
	{ B("GET / HTTP/1.1\r\nX: \x01"), HTTP_PARSE_BAD },
	{ B("\rx"), HTTP_PARSE_BAD },
	{ B("GET / HTTP/2.0\r"), HTTP_PARSE_VERSION },
};

static void test_early(void)
{
	for (size_t i = 0; i < sizeof early_cases / sizeof early_cases[0]; i++) {
		struct http_header hdrs[MAXH];
		long rc = parse_n(early_cases[i].in, early_cases[i].len, hdrs, MAXH);
		CHECK(rc == early_cases[i].expect, "early case %zu: rc %ld, want %ld", i, rc,
		      early_cases[i].expect);
	}
}

/* ---- header names and values ---------------------------------------------- */

struct hdr_case {
	const char *in;
	size_t len;
	size_t index;
	const char *name, *value;
};

static const struct hdr_case hdr_cases[] = {
	{ B("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"), 0, "Host", "example.com" },
	{ B("GET / HTTP/1.1\r\nHost:example.com\r\n\r\n"), 0, "Host", "example.com" },
	{ B("GET / HTTP/1.1\r\nHost:   example.com   \r\n\r\n"), 0, "Host", "example.com" },
	{ B("GET / HTTP/1.1\r\nHost:\t example.com \t\r\n\r\n"), 0, "Host", "example.com" },
	{ B("GET / HTTP/1.1\r\nX: a  b\r\n\r\n"), 0, "X", "a  b" },
	{ B("GET / HTTP/1.1\r\nX:\r\n\r\n"), 0, "X", "" },
	{ B("GET / HTTP/1.1\r\nX:  \t \r\n\r\n"), 0, "X", "" },
	{ B("GET / HTTP/1.1\nA: 1\nB: 2 \n\n"), 1, "B", "2" },
	{ B("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: \"q\" , x\r\n\r\n"), 2, "C", "\"q\" , x" },
	{ B("GET / HTTP/1.1\r\nx-Weird_Name.~!#$%&'*+^`|: v\r\n\r\n"), 0, "x-Weird_Name.~!#$%&'*+^`|",
	  "v" },
	{ B("GET / HTTP/1.1\r\nX: caf\xc3\xa9\r\n\r\n"), 0, "X", "caf\xc3\xa9" },
};

static void test_headers(void)
{
	for (size_t i = 0; i < sizeof hdr_cases / sizeof hdr_cases[0]; i++) {
		const struct hdr_case *c = &hdr_cases[i];
		struct http_header hdrs[MAXH];
		struct http_head h = { .headers = hdrs, .max_headers = MAXH };
		char *buf = copy_exact(c->in, c->len);
		long rc = http_parse_request(buf, c->len, &h);
		CHECK(rc == (long)c->len, "header case %zu: rc %ld", i, rc);
		if (rc > 0 && c->index < h.nheaders) {
			CHECK(slice_is(hdrs[c->index].name, c->name), "header case %zu: name '%.*s'", i,
			      (int)hdrs[c->index].name.len, hdrs[c->index].name.ptr);
			CHECK(slice_is(hdrs[c->index].value, c->value), "header case %zu: value '%.*s'",
			      i, (int)hdrs[c->index].value.len, hdrs[c->index].value.ptr);
		} else {
			CHECK(0, "header case %zu: header %zu missing", i, c->index);
		}
		free(buf);
	}
}

/* ---- pipelining and reuse of the head ------------------------------------ */

static void test_pipeline(void)
{
	static const char pipe[] = "GET /1 HTTP/1.1\r\nHost: a\r\nX: 1\r\n\r\n"
				   "HEAD /2 HTTP/1.0\r\n\r\n"
				   "\r\nOPTIONS * HTTP/1.1\nHost: b\n\n";
	static const char *const methods[] = { "GET", "HEAD", "OPTIONS" };
	static const char *const targets[] = { "/1", "/2", "*" };
	static const size_t nh[] = { 2, 0, 1 };
	struct http_header hdrs[MAXH];
	struct http_head h = { .headers = hdrs, .max_headers = MAXH };
	size_t off = 0, len = sizeof pipe - 1;

	for (int k = 0; k < 3; k++) {
		long rc = http_parse_request(pipe + off, len - off, &h);
		CHECK(rc > 0, "pipeline %d: rc %ld", k, rc);
		if (rc <= 0)
			return;
		CHECK(slice_is(h.method, methods[k]), "pipeline %d: method", k);
		CHECK(slice_is(h.target, targets[k]), "pipeline %d: target", k);
		CHECK(h.nheaders == nh[k], "pipeline %d: %zu headers (stale count?)", k, h.nheaders);
		off += (size_t)rc;
	}
	CHECK(off == len, "pipeline consumed %zu of %zu", off, len);
	CHECK(http_parse_request(pipe + off, 0, &h) == HTTP_PARSE_INCOMPLETE, "empty rest");
}

/* ---- http_head_find ------------------------------------------------------- */

static void test_find(void)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: a\r\nX-Dup: 1\r\nx-dup: 2\r\n"
				  "Content-Length: 0\r\n\r\n";
	struct http_header hdrs[MAXH];
	struct http_head h = { .headers = hdrs, .max_headers = MAXH };
	const struct http_header *f;

	CHECK(http_parse_request(req, sizeof req - 1, &h) == (long)(sizeof req - 1), "find parse");
	f = http_head_find(&h, "host");
	CHECK(f && slice_is(f->value, "a"), "find host lowercase");
	f = http_head_find(&h, "HOST");
	CHECK(f && slice_is(f->value, "a"), "find host uppercase");
	f = http_head_find(&h, "x-dup");
	CHECK(f && slice_is(f->value, "1"), "find returns the first of duplicates");
	f = http_head_find(&h, "CONTENT-length");
	CHECK(f && slice_is(f->value, "0"), "find content-length");
	CHECK(http_head_find(&h, "hos") == NULL, "find prefix of a name");
	CHECK(http_head_find(&h, "hostx") == NULL, "find longer name");
	CHECK(http_head_find(&h, "") == NULL, "find empty name");
	CHECK(http_head_find(&h, "accept") == NULL, "find absent");
}

int main(void)
{
	test_ok();
	test_prefixes();
	test_errors();
	test_early();
	test_headers();
	test_pipeline();
	test_find();
	return unit_done("http_parse");
}
