/* fuzz_http_parse.c - arbitrary bytes as what a connection buffered:
 * http_parse_request with a small header array, then, per request, what
 * conn.c and serve.c do with a parsed head: http_request_read,
 * path_normalize, http_cond_evaluate and the access log line. Up to
 * FUZZ_PIPELINED requests are taken from one input, each head followed by
 * its Content-Length body as the connection would drop it. */
#include "fuzz_check.h"

#include "access_log.h"
#include "http_cond.h"
#include "http_parse.h"
#include "http_request.h"
#include "path.h"

#define NHDR 8      /* small, so HTTP_PARSE_TOO_MANY is easy to reach */
#define NHDR_BIG 64 /* the same input again with room to spare */
#define FUZZ_PIPELINED 4
#define PREFIX_ALL 96 /* inputs up to this long: check every prefix */
#define PATH_OUT (4096 - 16) /* what serve.c passes: sizeof s->path - 16 */

/* Validators the conditional headers are matched against: a 10000-byte
 * file modified at "Sun, 06 Nov 1994 08:49:37 GMT" (long ago: its date is
 * a strong validator), and an empty one changed just now. */
static const struct file_meta metas[] = {
	{ 10000, 784111777, SLICE_LIT("\"2a-2710-2ebc6c21.0\""), true },
	{ 0, 0, SLICE_LIT("\"0-0-0.0\""), false },
};

FUZZ_NOCOV
static void check_token(struct slice s)
{
	FUZZ_CHECK(s.len > 0);
	for (size_t i = 0; i < s.len; i++)
		FUZZ_CHECK(fuzz_tchar((unsigned char)s.ptr[i]));
}

FUZZ_NOCOV
static void check_target(struct slice s)
{
	FUZZ_CHECK(s.len > 0);
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.ptr[i];
		FUZZ_CHECK(c > 0x20 && c != 0x7f);
	}
}

/* Method and target: set by the parser for success, TOO_MANY and VERSION. */
FUZZ_NOCOV
static void check_line(const struct http_head *h, const char *buf, size_t n)
{
	check_token(h->method);
	check_target(h->target);
	FUZZ_CHECK(fuzz_in(h->method, buf, n));
	FUZZ_CHECK(fuzz_in(h->target, buf, n));
	FUZZ_CHECK(h->method.ptr + h->method.len < h->target.ptr);
	FUZZ_CHECK(h->method.ptr[h->method.len] == ' ');
	FUZZ_CHECK(h->target.ptr[h->target.len] == ' ');
}

FUZZ_NOCOV
static void check_fields(const struct http_head *h, const char *buf, size_t n)
{
	const char *prev = h->target.ptr + h->target.len;

	FUZZ_CHECK(h->nheaders <= h->max_headers);
	for (size_t i = 0; i < h->nheaders; i++) {
		struct slice name = h->headers[i].name, v = h->headers[i].value;
		check_token(name); /* non-empty, no ':', no whitespace */
		FUZZ_CHECK(fuzz_in(name, buf, n));
		FUZZ_CHECK(fuzz_in(v, buf, n));
		FUZZ_CHECK(name.ptr > prev);
		FUZZ_CHECK(name.ptr[name.len] == ':');
		FUZZ_CHECK(v.len == 0 || v.ptr > name.ptr + name.len);
		for (size_t k = 0; k < v.len; k++) {
			unsigned char c = (unsigned char)v.ptr[k];
			FUZZ_CHECK(c != '\r' && c != '\n' && c != '\0' && c != 0x7f);
			FUZZ_CHECK(c >= 0x20 || c == '\t');
		}
		if (v.len) {
			FUZZ_CHECK(v.ptr[0] != ' ' && v.ptr[0] != '\t');
			FUZZ_CHECK(v.ptr[v.len - 1] != ' ' && v.ptr[v.len - 1] != '\t');
			prev = v.ptr + v.len;
		} else {
			prev = name.ptr + name.len;
		}
	}
}

/* A complete head of n bytes: ends with an empty line, every CR is part
 * of a CRLF, and no NUL or DEL anywhere in it. */
FUZZ_NOCOV
static void check_head(const struct http_head *h, const char *buf, size_t n)
{
	check_line(h, buf, n);
	FUZZ_CHECK(h->minor == 0 || h->minor == 1);
	check_fields(h, buf, n);
	FUZZ_CHECK(n >= 2 && buf[n - 1] == '\n');
	FUZZ_CHECK(buf[n - 2] == '\n' || (n >= 3 && buf[n - 2] == '\r' && buf[n - 3] == '\n'));
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(buf[i] != '\0' && buf[i] != 0x7f);
		if (buf[i] == '\r')
			FUZZ_CHECK(i + 1 < n && buf[i + 1] == '\n');
	}
}

FUZZ_NOCOV
static bool same_slice(struct slice a, const char *abuf, struct slice b, const char *bbuf)
{
	return a.len == b.len && a.ptr - abuf == b.ptr - bbuf;
}

FUZZ_NOCOV
static bool same_head(const struct http_head *a, const char *abuf, const struct http_head *b,
		      const char *bbuf)
{
	if (!same_slice(a->method, abuf, b->method, bbuf) ||
	    !same_slice(a->target, abuf, b->target, bbuf) || a->minor != b->minor ||
	    a->nheaders != b->nheaders)
		return false;
	for (size_t i = 0; i < a->nheaders; i++)
		if (!same_slice(a->headers[i].name, abuf, b->headers[i].name, bbuf) ||
		    !same_slice(a->headers[i].value, abuf, b->headers[i].value, bbuf))
			return false;
	return true;
}

/* The first k bytes of a buffer whose full parse gave rc: either the head
 * is not complete yet, or they already decide the same answer. */
FUZZ_NOCOV
static void check_prefix(const char *buf, size_t k, long rc, const struct http_head *full)
{
	char *p = fuzz_dup(buf, k);
	struct http_header *hdrs = malloc(NHDR * sizeof *hdrs);
	struct http_head h = { .headers = hdrs, .max_headers = NHDR };
	long r = http_parse_request(p, k, &h);

	FUZZ_CHECK(r == HTTP_PARSE_INCOMPLETE || r == rc);
	if (r >= 0) {
		FUZZ_CHECK((size_t)r <= k);
		FUZZ_CHECK(same_head(&h, p, full, buf));
	}
	free(hdrs);
	free(p);
}

FUZZ_NOCOV
static void check_prefixes(const char *buf, size_t len, long rc, const struct http_head *h)
{
	if (len <= PREFIX_ALL) {
		for (size_t k = 0; k < len; k++)
			check_prefix(buf, k, rc, h);
		return;
	}
	check_prefix(buf, len - 1, rc, h);
	check_prefix(buf, len / 2, rc, h);
	check_prefix(buf, ((size_t)(unsigned char)buf[0] * 257 + (unsigned char)buf[1]) % len, rc, h);
	if (rc > 0) {
		check_prefix(buf, (size_t)rc - 1, rc, h);
		if ((size_t)rc < len)
			check_prefix(buf, (size_t)rc, rc, h);
	}
	/* Around the first line ends, where the parser changes state. */
	const char *p = buf, *end = buf + len;
	for (int i = 0; i < 6 && p < end; i++) {
		const char *lf = memchr(p, '\n', (size_t)(end - p));
		if (!lf)
			break;
		size_t at = (size_t)(lf - buf);
		check_prefix(buf, at, rc, h);
		if (at + 1 < len)
			check_prefix(buf, at + 1, rc, h);
		p = lf + 1;
	}
}

/* Unescapes the quoted part of a log line: \xHH is one byte. */
FUZZ_NOCOV
static size_t unescape(const char *s, size_t n, char *out)
{
	size_t w = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\') {
			FUZZ_CHECK(i + 3 < n && s[i + 1] == 'x');
			char hex[3] = { s[i + 2], s[i + 3], 0 };
			out[w++] = (char)strtoul(hex, NULL, 16);
			i += 3;
		} else {
			out[w++] = s[i];
		}
	}
	return w;
}

/* The access log line of a request, as conn.c writes it: one line, only
 * printable ASCII (and ESC for colours), the request shown faithfully. */
FUZZ_NOCOV
static void check_log(struct slice method, struct slice path, int status)
{
	static const char *const ips[] = { "192.0.2.1",
					   "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255" };
	char iso[LOG_ISO_LEN + 1];
	char *out = malloc(ACCESS_LOG_LINE_MAX);
	char *got = malloc(ACCESS_LOG_LINE_MAX);
	char *want = malloc(32 + 1 + 512);
	size_t wn = 0;

	log_iso_time(784111777, iso);
	FUZZ_CHECK(strcmp(iso, "1994-11-06T08:49:37Z") == 0);
	if (method.len == 0)
		method = SLICE_LIT("-");
	memcpy(want, method.ptr, method.len < 32 ? method.len : 32);
	wn = method.len < 32 ? method.len : 32;
	if (path.len) {
		want[wn++] = ' ';
		memcpy(want + wn, path.ptr, path.len < 512 ? path.len : 512);
		wn += path.len < 512 ? path.len : 512;
	}
	for (int color = 0; color < 2; color++) {
		for (size_t ip = 0; ip < sizeof ips / sizeof ips[0]; ip++) {
			size_t n = access_log_format(out, ACCESS_LOG_LINE_MAX, iso, ips[ip], method,
						     path, status, color);
			const char *q1 = NULL, *q2 = NULL;
			FUZZ_CHECK(n > 0 && n <= ACCESS_LOG_LINE_MAX);
			FUZZ_CHECK(out[n - 1] == '\n');
			FUZZ_CHECK(memcmp(out, iso, LOG_ISO_LEN) == 0);
			for (size_t i = 0; i + 1 < n; i++) {
				unsigned char c = (unsigned char)out[i];
				FUZZ_CHECK((c >= 0x20 && c < 0x7f) || (color && c == 0x1b));
				if (c == '"') {
					FUZZ_CHECK(!q2);
					if (q1)
						q2 = out + i;
					else
						q1 = out + i;
				}
			}
			FUZZ_CHECK(q1 && q2);
			size_t gn = unescape(q1 + 1, (size_t)(q2 - q1 - 1), got);
			FUZZ_CHECK(gn == wn && memcmp(got, want, wn) == 0);
		}
	}
	free(want);
	free(got);
	free(out);
}

static const struct {
	const char *name;
	unsigned bit;
} cond_fields[] = {
	{ "if-match", REQ_IF_MATCH },
	{ "if-none-match", REQ_IF_NONE_MATCH },
	{ "if-modified-since", REQ_IF_MODIFIED_SINCE },
	{ "if-unmodified-since", REQ_IF_UNMODIFIED_SINCE },
	{ "if-range", REQ_IF_RANGE },
	{ "range", REQ_RANGE },
};

FUZZ_NOCOV
static void check_request(const struct http_head *h, const char *buf, size_t n, int status,
			  const struct request *r)
{
	unsigned nhost = 0, nte = 0, ncl = 0, nconn = 0, cond = 0;
	bool ae = false;
	enum http_method m = slice_eq(h->method, "GET")       ? HTTP_GET
			     : slice_eq(h->method, "HEAD")    ? HTTP_HEAD
			     : slice_eq(h->method, "OPTIONS") ? HTTP_OPTIONS
							      : HTTP_OTHER;

	for (size_t i = 0; i < h->nheaders; i++) {
		nhost += slice_eq_ci(h->headers[i].name, "host");
		nte += slice_eq_ci(h->headers[i].name, "transfer-encoding");
		ncl += slice_eq_ci(h->headers[i].name, "content-length");
		nconn += slice_eq_ci(h->headers[i].name, "connection");
		ae = ae || slice_eq_ci(h->headers[i].name, "accept-encoding");
		for (size_t k = 0; k < sizeof cond_fields / sizeof cond_fields[0]; k++)
			if (slice_eq_ci(h->headers[i].name, cond_fields[k].name))
				cond |= cond_fields[k].bit;
	}
	/* Which conditional fields there are, whatever the status. */
	FUZZ_CHECK(r->cond == cond);
	FUZZ_CHECK(r->accept_encoding == ae);
	FUZZ_CHECK(status == 0 || status == 400 || status == 417 || status == 501);
	FUZZ_CHECK(r->minor == h->minor);
	FUZZ_CHECK(r->method == m);
	FUZZ_CHECK(!r->expect_continue || h->minor >= 1);
	if (ncl == 0)
		FUZZ_CHECK(r->content_length == 0);
	if (nte) {
		/* never framed: 400 and close */
		FUZZ_CHECK(status == 400 && !r->keep_alive && r->content_length == 0);
	}
	if (status == 400)
		return;

	/* The target was split and Host was checked. */
	FUZZ_CHECK(h->minor >= 1 ? nhost == 1 : nhost <= 1);
	if (r->asterisk) {
		FUZZ_CHECK(slice_eq(h->target, "*") && slice_eq(r->path, "*"));
		FUZZ_CHECK(status != 0 || m == HTTP_OPTIONS);
	} else {
		FUZZ_CHECK(r->path.len >= 1 && r->path.ptr[0] == '/');
		/* Inside the target, but for the "/" of "http://host[?q]". */
		FUZZ_CHECK(fuzz_in(r->path, h->target.ptr, h->target.len) ||
			   (slice_eq(r->path, "/") && h->target.ptr[0] != '/'));
		FUZZ_CHECK(!memchr(r->path.ptr, '?', r->path.len));
		FUZZ_CHECK(!memchr(r->path.ptr, '#', r->path.len));
		FUZZ_CHECK(fuzz_in(r->query, h->target.ptr, h->target.len));
			FUZZ_CHECK(r->query.len == 0 ||
				   !memchr(r->query.ptr, '#', r->query.len));
	}
	FUZZ_CHECK(fuzz_in(r->host, buf, n));
	for (size_t i = 0; i < r->host.len; i++) {
		unsigned char c = (unsigned char)r->host.ptr[i];
		FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			   (c != 0 && strchr("-._~%!$&'()*+,;=:[]", c)));
	}
	if (status == 501)
		FUZZ_CHECK(m == HTTP_OTHER);
	if (status == 417) {
		/* an Expect with a value other than 100-continue, in HTTP/1.1 */
		bool other = false;
		for (size_t i = 0; i < h->nheaders; i++)
			other = other || (slice_eq_ci(h->headers[i].name, "expect") &&
					  h->headers[i].value.len &&
					  !slice_eq_ci(h->headers[i].value, "100-continue"));
		FUZZ_CHECK(other && h->minor >= 1);
	}
	if (status == 0)
		FUZZ_CHECK(m != HTTP_OTHER);
	if (nconn == 0)
		FUZZ_CHECK(r->keep_alive == (h->minor >= 1));
}

FUZZ_NOCOV
static void check_cond(const struct http_head *h, enum http_method m, unsigned cond)
{
	bool get_or_head = m == HTTP_GET || m == HTTP_HEAD;
	struct byte_range *rg = malloc(HTTP_RANGES_MAX * sizeof *rg);
	struct byte_range *rg2 = malloc(HTTP_RANGES_MAX * sizeof *rg2);
	const struct http_header *range = NULL;
	unsigned nrange = 0;

	for (size_t i = 0; i < h->nheaders; i++) {
		if (slice_eq_ci(h->headers[i].name, "range")) {
			range = &h->headers[i];
			nrange++;
		}
	}
	for (size_t k = 0; k < sizeof metas / sizeof metas[0]; k++) {
		size_t n = 99, n2 = 99;
		enum cond_status cs = http_cond_evaluate(h, m, &metas[k], rg, &n);
		FUZZ_CHECK(cs == COND_OK || cs == COND_PARTIAL || cs == COND_NOT_MODIFIED ||
			   cs == COND_FAILED || cs == COND_UNSATISFIABLE);
		if (!get_or_head)
			FUZZ_CHECK(cs == COND_OK || cs == COND_FAILED);
		/* serve.c skips http_cond for a request without the fields:
		 * that must be the same as asking it. */
		if (cond == 0)
			FUZZ_CHECK(cs == COND_OK);
		if (cs != COND_PARTIAL) {
			FUZZ_CHECK(n == 0);
		} else {
			fuzz_check_ranges(rg, n, metas[k].size);
		}
		if (cs == COND_PARTIAL || cs == COND_UNSATISFIABLE) {
			/* Exactly one Range field, and it says the same alone. */
			FUZZ_CHECK(nrange == 1);
			enum cond_status cs2 = http_range_parse(range->value, metas[k].size, rg2, &n2);
			FUZZ_CHECK(cs2 == cs && n2 == n);
			FUZZ_CHECK(n == 0 || memcmp(rg, rg2, n * sizeof *rg) == 0);
		}
	}
	free(rg2);
	free(rg);
}

/* One request at the start of buf; returns the bytes it takes (head and
 * body), or 0 when the connection would stop here. */
FUZZ_NOCOV
static size_t one_request(const char *buf, size_t len)
{
	struct http_header *hdrs = malloc(NHDR * sizeof *hdrs);
	struct http_header *big = malloc(NHDR_BIG * sizeof *big);
	struct http_head h = { .headers = hdrs, .max_headers = NHDR };
	struct http_head hb = { .headers = big, .max_headers = NHDR_BIG };
	size_t used = 0;
	long rc = http_parse_request(buf, len, &h);

	FUZZ_CHECK(rc > 0 || rc == HTTP_PARSE_INCOMPLETE || rc == HTTP_PARSE_BAD ||
		   rc == HTTP_PARSE_TOO_MANY || rc == HTTP_PARSE_VERSION);
	FUZZ_CHECK(rc < 0 || (size_t)rc <= len);

	/* More room for fields changes nothing but TOO_MANY. */
	long rb = http_parse_request(buf, len, &hb);
	if (rc != HTTP_PARSE_TOO_MANY) {
		FUZZ_CHECK(rb == rc);
		if (rc > 0)
			FUZZ_CHECK(same_head(&h, buf, &hb, buf));
	} else {
		FUZZ_CHECK(h.nheaders == NHDR);
		FUZZ_CHECK(rb < 0 || hb.nheaders > NHDR);
	}

	if (len >= 2)
		check_prefixes(buf, len, rc, &h);

	if (rc == HTTP_PARSE_BAD) {
		check_log((struct slice){ 0 }, (struct slice){ 0 }, 400);
	} else if (rc == HTTP_PARSE_TOO_MANY || rc == HTTP_PARSE_VERSION) {
		/* conn.c answers 431 and 505 with the head as parsed so far */
		check_line(&h, buf, len);
		check_fields(&h, buf, len);
		check_log(h.method, h.target, rc == HTTP_PARSE_TOO_MANY ? 431 : 505);
	} else if (rc > 0) {
		struct request r;
		int status;

		check_head(&h, buf, (size_t)rc);
		status = http_request_read(&h, &r);
		check_request(&h, buf, (size_t)rc, status, &r);
		check_cond(&h, r.method, r.cond);
		if (status == 0 && !r.asterisk) {
			char *out = malloc(PATH_OUT);
			unsigned flags;
			long n = path_normalize(r.path, out, PATH_OUT, &flags);
			FUZZ_CHECK(n == PATH_BAD || n == PATH_TOO_LONG || n > 0);
			if (n == PATH_TOO_LONG)
				FUZZ_CHECK(r.path.len >= PATH_OUT);
			if (n > 0)
				FUZZ_CHECK((size_t)n < PATH_OUT && strlen(out) == (size_t)n);
			if (n < 0)
				status = n == PATH_TOO_LONG ? 414 : 400;
			free(out);
		}
		check_log(h.method, r.path, status ? status : 200);
		if (status == 0 || status == 501) {
			/* The connection goes on after the head and the body. */
			used = (size_t)rc;
			used += r.content_length < len - used ? (size_t)r.content_length : len - used;
		}
	}
	free(big);
	free(hdrs);
	return used;
}

FUZZ_NOCOV
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	size_t off = 0;

	for (int i = 0; i < FUZZ_PIPELINED && off < size; i++) {
		size_t used = one_request(buf + off, size - off);
		if (used == 0)
			break;
		off += used;
	}
	return 0;
}
