/* test_http_response.c - status reasons, header blocks in a bounded
 * buffer, error bodies. */
#include <stdint.h>
#include <string.h>

#include "http_response.h"
#include "unit.h"
#include "version.h"

#define DATE "Sun, 06 Nov 1994 08:49:37 GMT"
#define BEGIN200 "HTTP/1.1 200 OK\r\nServer: " SERVER_SOFTWARE "\r\nDate: " DATE "\r\n"

struct reason_case {
	int status;
	const char *reason;
};

static const struct reason_case reasons[] = {
	{ 100, "Continue" },
	{ 200, "OK" },
	{ 204, "No Content" },
	{ 206, "Partial Content" },
	{ 301, "Moved Permanently" },
	{ 304, "Not Modified" },
	{ 308, "Permanent Redirect" },
	{ 400, "Bad Request" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 408, "Request Timeout" },
	{ 412, "Precondition Failed" },
	{ 413, "Content Too Large" },
	{ 414, "URI Too Long" },
	{ 416, "Range Not Satisfiable" },
	{ 417, "Expectation Failed" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" },
	{ 501, "Not Implemented" },
	{ 503, "Service Unavailable" },
	{ 505, "HTTP Version Not Supported" },
	{ 0, "Unknown" },
	{ -1, "Unknown" },
	{ 199, "Unknown" },
	{ 299, "Unknown" },
	{ 418, "Unknown" },
	{ 600, "Unknown" },
	{ 2000, "Unknown" },
};

static void test_reasons(void)
{
	for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++) {
		const char *r = http_status_reason(reasons[i].status);
		CHECK(r && strcmp(r, reasons[i].reason) == 0, "reason %d: '%s', want '%s'",
		      reasons[i].status, r ? r : "(null)", reasons[i].reason);
	}
}

static void init(struct response *r, char *buf, size_t cap)
{
	memset(r, 0, sizeof *r);
	r->fd = -1;
	r->head = buf;
	r->head_cap = cap;
}

static bool head_is(const struct response *r, const char *want)
{
	return !r->overflow && r->head_len == strlen(want) && memcmp(r->head, want, r->head_len) == 0;
}

/* A whole block, built step by step. */
struct block_case {
	int status;
	bool close, keep_alive_10;
	const char *block;
};

static const struct block_case blocks[] = {
	{ 200, false, false,
	  BEGIN200 "Content-Type: text/html\r\nContent-Length: 0\r\nX-Big: 18446744073709551615\r\n\r\n" },
	{ 200, true, false,
	  BEGIN200 "Content-Type: text/html\r\nContent-Length: 0\r\nX-Big: 18446744073709551615\r\n"
		   "Connection: close\r\n\r\n" },
	{ 200, false, true,
	  BEGIN200 "Content-Type: text/html\r\nContent-Length: 0\r\nX-Big: 18446744073709551615\r\n"
		   "Connection: keep-alive\r\n\r\n" },
	/* close wins over an HTTP/1.0 keep-alive */
	{ 200, true, true,
	  BEGIN200 "Content-Type: text/html\r\nContent-Length: 0\r\nX-Big: 18446744073709551615\r\n"
		   "Connection: close\r\n\r\n" },
	{ 404, false, false,
	  "HTTP/1.1 404 Not Found\r\nServer: " SERVER_SOFTWARE "\r\nDate: " DATE
	  "\r\nContent-Type: text/html\r\nContent-Length: 0\r\nX-Big: 18446744073709551615\r\n\r\n" },
	{ 799, false, false,
	  "HTTP/1.1 799 Unknown\r\nServer: " SERVER_SOFTWARE "\r\nDate: " DATE
	  "\r\nContent-Type: text/html\r\nContent-Length: 0\r\nX-Big: 18446744073709551615\r\n\r\n" },
};

static void build(struct response *r, const struct block_case *c)
{
	http_response_begin(r, c->status, DATE);
	http_response_header(r, "Content-Type", SLICE_LIT("text/html"));
	http_response_header_u64(r, "Content-Length", 0);
	http_response_header_u64(r, "X-Big", UINT64_MAX);
	r->close = c->close;
	http_response_end(r, c->keep_alive_10);
}

static void test_blocks(void)
{
	for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++) {
		char buf[1024];
		struct response r;
		init(&r, buf, sizeof buf);
		build(&r, &blocks[i]);
		CHECK(r.status == blocks[i].status, "block %zu: status %d", i, r.status);
		CHECK(head_is(&r, blocks[i].block), "block %zu: '%.*s'", i, (int)r.head_len, r.head);
	}
	/* begin starts over: a reused response holds only the new block */
	char buf[1024];
	struct response r;
	init(&r, buf, sizeof buf);
	build(&r, &blocks[1]);
	http_response_begin(&r, 200, DATE);
	CHECK(head_is(&r, BEGIN200), "begin after a block: '%.*s'", (int)r.head_len, r.head);
	/* numbers */
	static const struct {
		uint64_t v;
		const char *s;
	} nums[] = { { 0, "0" }, { 7, "7" }, { 1000000, "1000000" },
		     { 4294967296ULL, "4294967296" }, { UINT64_MAX, "18446744073709551615" } };
	for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
		char want[64];
		r.head_len = 0;
		http_response_header_u64(&r, "N", nums[i].v);
		snprintf(want, sizeof want, "N: %s\r\n", nums[i].s);
		CHECK(head_is(&r, want), "u64 %s: '%.*s'", nums[i].s, (int)r.head_len, r.head);
	}
	/* a value with its length, not NUL-terminated */
	r.head_len = 0;
	http_response_header(&r, "Location", slice_make("/dir/xyz", 5));
	CHECK(head_is(&r, "Location: /dir/\r\n"), "slice value: '%.*s'", (int)r.head_len, r.head);
}

/* A block that does not fit is flagged, never written past head_cap. */
static void test_overflow(void)
{
	static const struct block_case full = { 200, true, false, NULL };
	char ref[1024];
	struct response r;

	init(&r, ref, sizeof ref);
	build(&r, &full);
	size_t need = r.head_len;
	CHECK(!r.overflow && need > 0, "reference block");

	for (size_t cap = 0; cap <= need + 2; cap++) {
		char buf[1100];
		memset(buf, '#', sizeof buf);
		init(&r, buf, cap);
		build(&r, &full);
		bool canary = true;
		for (size_t k = cap; k < sizeof buf; k++)
			canary = canary && buf[k] == '#';
		CHECK(canary, "cap %zu: wrote past head_cap", cap);
		CHECK(r.head_len <= cap, "cap %zu: head_len %zu", cap, r.head_len);
		CHECK(r.overflow == (cap < need), "cap %zu (need %zu): overflow %d", cap, need,
		      r.overflow);
		if (!r.overflow)
			CHECK(r.head_len == need && memcmp(buf, ref, need) == 0, "cap %zu: content", cap);
	}

	/* append: exact fit, then nothing more; NULL once overflowed */
	char buf[16];
	init(&r, buf, sizeof buf);
	char *at = http_response_append(&r, "0123456789", 10);
	CHECK(at == buf && r.head_len == 10, "append 10");
	at = http_response_append(&r, "abcdef", 6);
	CHECK(at == buf + 10 && r.head_len == 16 && !r.overflow, "append to exactly full");
	at = http_response_append(&r, "", 0);
	CHECK(at != NULL && !r.overflow, "append nothing when full");
	at = http_response_append(&r, "x", 1);
	CHECK(at == NULL && r.overflow && r.head_len == 16, "append past full");
	r.head_len = 0; /* room again, but the block is already broken */
	at = http_response_append(&r, "x", 1);
	CHECK(at == NULL && r.overflow, "append after overflow must stay failed");
	http_response_begin(&r, 200, "D");
	CHECK(r.overflow, "begin into 16 bytes fits?");
	char big[256];
	init(&r, big, sizeof big);
	r.overflow = true;
	http_response_begin(&r, 304, DATE);
	CHECK(!r.overflow && r.head_len > 0, "begin clears overflow");
}

static void test_error_body(void)
{
	static const int codes[] = { 400, 403, 404, 405, 408, 412, 413, 414, 416, 417,
				     431, 500, 501, 503, 505, 301, 999 };
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		char out[1024], want[128];
		const char *reason = http_status_reason(codes[i]);
		size_t n = http_response_error_body(codes[i], out, sizeof out);
		CHECK(n == strlen(out) && n > 0, "body %d: length %zu vs %zu", codes[i], n,
		      strlen(out));
		CHECK(strncmp(out, "<!DOCTYPE html>", 15) == 0, "body %d: no doctype", codes[i]);
		snprintf(want, sizeof want, "<title>%d %s</title>", codes[i], reason);
		CHECK(strstr(out, want) != NULL, "body %d: no '%s'", codes[i], want);
		snprintf(want, sizeof want, "<h1>%d %s</h1>", codes[i], reason);
		CHECK(strstr(out, want) != NULL, "body %d: no '%s'", codes[i], want);
		CHECK(strstr(out, "charset=\"utf-8\"") != NULL, "body %d: no charset", codes[i]);
		CHECK(n > 0 && out[n - 1] == '\n', "body %d: no final newline", codes[i]);
	}
	/* truncated into small buffers: NUL-terminated, length within cap */
	char full[1024];
	size_t len = http_response_error_body(404, full, sizeof full);
	for (size_t cap = 0; cap <= len + 2; cap++) {
		char out[1100];
		memset(out, '#', sizeof out);
		size_t n = http_response_error_body(404, out, cap);
		bool canary = true;
		for (size_t k = cap; k < sizeof out; k++)
			canary = canary && out[k] == '#';
		CHECK(canary, "error body cap %zu: wrote past cap", cap);
		CHECK(cap == 0 ? n == 0 : (n < cap && out[n] == '\0' && memcmp(out, full, n) == 0),
		      "error body cap %zu: returned %zu", cap, n);
		if (cap > len)
			CHECK(n == len, "error body cap %zu: %zu, want %zu", cap, n, len);
	}
}

int main(void)
{
	test_reasons();
	test_blocks();
	test_overflow();
	test_error_body();
	return unit_done("http_response");
}
