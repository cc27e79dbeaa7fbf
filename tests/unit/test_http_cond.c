/* test_http_cond.c - conditional requests (RFC 9110 section 13), byte
 * ranges and If-Range (section 14), ETag formatting. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_cond.h"
#include "unit.h"
#include "unit_head.h"

#define LM "Sun, 28 Sep 2025 18:30:00 GMT"     /* the file's mtime */
#define BEFORE "Sun, 28 Sep 2025 18:29:59 GMT" /* one second earlier */
#define AFTER "Sun, 28 Sep 2025 18:30:01 GMT"  /* one second later */
#define LM_850 "Sunday, 28-Sep-25 18:30:00 GMT"  /* "25": 2025 until 2075 */
#define LM_ASC "Sun Sep 28 18:30:00 2025"
#define ETAG "\"abc\""

static const struct file_meta meta = {
	.size = 1000, .mtime = 1759084200, .etag = { ETAG, sizeof ETAG - 1 }, .date_strong = true
};

/* The same file changed less than a second ago: its date is weak. */
static const struct file_meta meta_new = {
	.size = 1000, .mtime = 1759084200, .etag = { ETAG, sizeof ETAG - 1 }, .date_strong = false
};


struct cond_case {
	enum http_method m;
	const char *headers;
	enum cond_status expect;
	size_t nranges;
	struct byte_range r[3];
};

static const struct cond_case cond_cases[] = {
	/* no conditions */
	{ HTTP_GET, "", COND_OK, 0, { { 0, 0 } } },
	{ HTTP_GET, "Accept: */*", COND_OK, 0, { { 0, 0 } } },

	/* If-Match: strong comparison (section 13.1.1) */
	{ HTTP_GET, "If-Match: " ETAG, COND_OK, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-Match: \"xyz\"", COND_FAILED, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-Match: *", COND_OK, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-Match: \"xyz\", " ETAG, COND_OK, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-Match: \"xyz\"," ETAG ",\"q\"", COND_OK, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-Match: W/" ETAG, COND_FAILED, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-Match: W/" ETAG ", " ETAG, COND_OK, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-Match: W/\"x\", W/" ETAG, COND_FAILED, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-Match: \"xyz\"\nIf-Match: " ETAG, COND_OK, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-Match: abc", COND_FAILED, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-Match: \"ABC\"", COND_FAILED, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-Match: \"abc", COND_FAILED, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-Match: \"\"", COND_FAILED, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-Match:", COND_FAILED, 0, { { 0, 0 } } },
	{ HTTP_GET, "if-match: " ETAG, COND_OK, 0, { { 0, 0 } } },
	{ HTTP_HEAD, "If-Match: \"xyz\"", COND_FAILED, 0, { { 0, 0 } } },
	{ HTTP_OTHER, "If-Match: \"xyz\"", COND_FAILED, 0, { { 0, 0 } } },
	{ HTTP_OTHER, "If-Match: " ETAG, COND_OK, 0, { { 0, 0 } } },
	{ HTTP_OPTIONS, "If-Match: *", COND_OK, 0, { { 0, 0 } } },

	/* If-Unmodified-Since (13.1.4): only without If-Match */
	{ HTTP_GET, "If-Unmodified-Since: " LM, COND_OK, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-Unmodified-Since: " AFTER, COND_OK, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-Unmodified-Since: " BEFORE, COND_FAILED, 0, { { 0, 0 } } },
	{ HTTP_HEAD, "If-Unmodified-Since: " BEFORE, COND_FAILED, 0, { { 0, 0 } } },
	{ HTTP_OTHER, "If-Unmodified-Since: " BEFORE, COND_FAILED, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-Unmodified-Since: " LM_850, COND_OK, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-Unmodified-Since: Sun Sep 28 18:29:59 2025", COND_FAILED, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-Unmodified-Since: yesterday", COND_OK, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-Unmodified-Since: Sun, 28 Sep 2025 18:29:59 UTC", COND_OK, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-Unmodified-Since: " BEFORE "\nIf-Unmodified-Since: " BEFORE, COND_OK, 0,
	  { { 0, 0 } } },
	{ HTTP_GET, "If-Match: " ETAG "\nIf-Unmodified-Since: " BEFORE, COND_OK, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-Match: *\nIf-Unmodified-Since: " BEFORE, COND_OK, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-Match: \"xyz\"\nIf-Unmodified-Since: " AFTER, COND_FAILED, 0, { { 0, 0 } } },

	/* If-None-Match: weak comparison (13.1.2) */
	{ HTTP_GET, "If-None-Match: " ETAG, COND_NOT_MODIFIED, 0, { { 0, 0 } } },
	{ HTTP_HEAD, "If-None-Match: " ETAG, COND_NOT_MODIFIED, 0, { { 0, 0 } } },
	{ HTTP_OTHER, "If-None-Match: " ETAG, COND_FAILED, 0, { { 0, 0 } } },
	{ HTTP_OPTIONS, "If-None-Match: " ETAG, COND_FAILED, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-None-Match: W/" ETAG, COND_NOT_MODIFIED, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-None-Match: \"xyz\"", COND_OK, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-None-Match: W/\"xyz\"", COND_OK, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-None-Match: *", COND_NOT_MODIFIED, 0, { { 0, 0 } } },
	{ HTTP_OTHER, "If-None-Match: *", COND_FAILED, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-None-Match: \"x\", W/" ETAG, COND_NOT_MODIFIED, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-None-Match: \"x\",\"y\" , \"z\"", COND_OK, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-None-Match: \"x\"\nIf-None-Match: " ETAG, COND_NOT_MODIFIED, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-None-Match: \"ABC\"", COND_OK, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-None-Match: w/" ETAG, COND_OK, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-None-Match: abc", COND_OK, 0, { { 0, 0 } } },

	/* If-Modified-Since (13.1.3): GET/HEAD only, ignored with If-None-Match */
	{ HTTP_GET, "If-Modified-Since: " LM, COND_NOT_MODIFIED, 0, { { 0, 0 } } },
	{ HTTP_HEAD, "If-Modified-Since: " LM, COND_NOT_MODIFIED, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-Modified-Since: " AFTER, COND_NOT_MODIFIED, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-Modified-Since: " BEFORE, COND_OK, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-Modified-Since: " LM_850, COND_NOT_MODIFIED, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-Modified-Since: " LM_ASC, COND_NOT_MODIFIED, 0, { { 0, 0 } } },
	{ HTTP_OTHER, "If-Modified-Since: " LM, COND_OK, 0, { { 0, 0 } } },
	{ HTTP_OPTIONS, "If-Modified-Since: " AFTER, COND_OK, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-Modified-Since: garbage", COND_OK, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-Modified-Since: Sun, 31 Feb 2099 00:00:00 GMT", COND_OK, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-Modified-Since: " LM "\nIf-Modified-Since: " LM, COND_OK, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-Modified-Since: " LM ", " LM, COND_OK, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-None-Match: \"xyz\"\nIf-Modified-Since: " AFTER, COND_OK, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-Modified-Since: " AFTER "\nIf-None-Match: \"xyz\"", COND_OK, 0,
	  { { 0, 0 } } },
	{ HTTP_GET, "If-None-Match: " ETAG "\nIf-Modified-Since: " BEFORE, COND_NOT_MODIFIED, 0,
	  { { 0, 0 } } },

	/* the order of section 13.2.2 */
	{ HTTP_GET, "If-None-Match: " ETAG "\nIf-Match: \"xyz\"", COND_FAILED, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-Match: " ETAG "\nIf-None-Match: " ETAG, COND_NOT_MODIFIED, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-Modified-Since: " LM "\nIf-Unmodified-Since: " BEFORE, COND_FAILED, 0,
	  { { 0, 0 } } },
	{ HTTP_GET, "If-Unmodified-Since: " LM "\nIf-Modified-Since: " LM, COND_NOT_MODIFIED, 0,
	  { { 0, 0 } } },
	{ HTTP_GET, "If-Unmodified-Since: " BEFORE "\nIf-None-Match: " ETAG, COND_FAILED, 0,
	  { { 0, 0 } } },
	{ HTTP_GET, "Range: bytes=0-9\nIf-None-Match: " ETAG, COND_NOT_MODIFIED, 0, { { 0, 0 } } },
	{ HTTP_GET, "Range: bytes=0-9\nIf-Modified-Since: " LM, COND_NOT_MODIFIED, 0, { { 0, 0 } } },
	{ HTTP_GET, "Range: bytes=0-9\nIf-Match: \"xyz\"", COND_FAILED, 0, { { 0, 0 } } },
	{ HTTP_GET, "Range: bytes=5000-\nIf-Match: \"xyz\"", COND_FAILED, 0, { { 0, 0 } } },
	{ HTTP_GET, "Range: bytes=5000-\nIf-None-Match: *", COND_NOT_MODIFIED, 0, { { 0, 0 } } },
	{ HTTP_GET, "Range: bytes=0-9\nIf-Match: " ETAG, COND_PARTIAL, 1, { { 0, 9 } } },
	{ HTTP_GET, "Range: bytes=0-9\nIf-Modified-Since: " BEFORE, COND_PARTIAL, 1, { { 0, 9 } } },
	{ HTTP_GET, "Range: bytes=0-9\nIf-None-Match: \"x\"", COND_PARTIAL, 1, { { 0, 9 } } },

	/* Range through the evaluation: GET only (section 14.2) */
	{ HTTP_GET, "Range: bytes=0-99", COND_PARTIAL, 1, { { 0, 99 } } },
	{ HTTP_HEAD, "Range: bytes=0-99", COND_OK, 0, { { 0, 0 } } },
	{ HTTP_OTHER, "Range: bytes=0-99", COND_OK, 0, { { 0, 0 } } },
	{ HTTP_OPTIONS, "Range: bytes=0-99", COND_OK, 0, { { 0, 0 } } },
	{ HTTP_GET, "range: BYTES=990-", COND_PARTIAL, 1, { { 990, 999 } } },
	{ HTTP_GET, "Range: bytes=1000-", COND_UNSATISFIABLE, 0, { { 0, 0 } } },
	{ HTTP_GET, "Range: bytes=0-1\nRange: bytes=2-3", COND_OK, 0, { { 0, 0 } } },
	{ HTTP_GET, "Range: bytes=x", COND_OK, 0, { { 0, 0 } } },

	/* If-Range (13.1.5): strong ETag match or exact date */
	{ HTTP_GET, "Range: bytes=0-9\nIf-Range: " ETAG, COND_PARTIAL, 1, { { 0, 9 } } },
	{ HTTP_GET, "If-Range: " ETAG "\nRange: bytes=0-9", COND_PARTIAL, 1, { { 0, 9 } } },
	{ HTTP_GET, "Range: bytes=0-9\nIf-Range: \"xyz\"", COND_OK, 0, { { 0, 0 } } },
	{ HTTP_GET, "Range: bytes=0-9\nIf-Range: W/" ETAG, COND_OK, 0, { { 0, 0 } } },
	{ HTTP_GET, "Range: bytes=0-9\nIf-Range: " ETAG ", \"x\"", COND_OK, 0, { { 0, 0 } } },
	{ HTTP_GET, "Range: bytes=0-9\nIf-Range: " ETAG " x", COND_OK, 0, { { 0, 0 } } },
	{ HTTP_GET, "Range: bytes=0-9\nIf-Range: \"abc", COND_OK, 0, { { 0, 0 } } },
	{ HTTP_GET, "Range: bytes=0-9\nIf-Range: *", COND_OK, 0, { { 0, 0 } } },
	{ HTTP_GET, "Range: bytes=0-9\nIf-Range: " LM, COND_PARTIAL, 1, { { 0, 9 } } },
	{ HTTP_GET, "Range: bytes=0-9\nIf-Range: " LM_850, COND_PARTIAL, 1, { { 0, 9 } } },
	{ HTTP_GET, "Range: bytes=0-9\nIf-Range: " AFTER, COND_OK, 0, { { 0, 0 } } },
	{ HTTP_GET, "Range: bytes=0-9\nIf-Range: " BEFORE, COND_OK, 0, { { 0, 0 } } },
	{ HTTP_GET, "Range: bytes=0-9\nIf-Range: not a date", COND_OK, 0, { { 0, 0 } } },
	{ HTTP_GET, "Range: bytes=0-9\nIf-Range:", COND_OK, 0, { { 0, 0 } } },
	{ HTTP_GET, "Range: bytes=5000-\nIf-Range: \"xyz\"", COND_OK, 0, { { 0, 0 } } },
	{ HTTP_GET, "Range: bytes=5000-\nIf-Range: " ETAG, COND_UNSATISFIABLE, 0, { { 0, 0 } } },
	{ HTTP_GET, "If-Range: " ETAG, COND_OK, 0, { { 0, 0 } } },
};

/* The same cases where they differ for a file changed within the last
 * second: a date no longer selects the range, an ETag still does. */
static const struct cond_case new_file_cases[] = {
	{ HTTP_GET, "Range: bytes=0-9\nIf-Range: " LM, COND_OK, 0, { { 0, 0 } } },
	{ HTTP_GET, "Range: bytes=0-9\nIf-Range: " LM_850, COND_OK, 0, { { 0, 0 } } },
	{ HTTP_GET, "Range: bytes=0-9\nIf-Range: " ETAG, COND_PARTIAL, 1, { { 0, 9 } } },
	{ HTTP_GET, "Range: bytes=0-9", COND_PARTIAL, 1, { { 0, 9 } } },
	{ HTTP_HEAD, "Range: bytes=0-9\nIf-Range: " ETAG, COND_OK, 0, { { 0, 0 } } },
};

/* Runs a table of cases against the file described by f. */
static void run_cases(const struct cond_case *cases, size_t n_cases, const struct file_meta *f,
		      const char *what)
{
	for (size_t i = 0; i < n_cases; i++) {
		const struct cond_case *c = &cases[i];
		struct http_header hdrs[MAXH];
		struct http_head h;
		struct byte_range r[HTTP_RANGES_MAX];
		size_t n = 99;

		build_head(c->headers, &h, hdrs);
		enum cond_status st = http_cond_evaluate(&h, c->m, f, r, &n);
		CHECK(st == c->expect, "%s %zu (method %d, '%s'): %d, want %d", what, i, (int)c->m,
		      c->headers, (int)st, (int)c->expect);
		if (st != COND_PARTIAL) {
			CHECK(n == 0, "%s %zu: nranges %zu without 206", what, i, n);
			continue;
		}
		CHECK(n == c->nranges, "%s %zu: %zu ranges, want %zu", what, i, n, c->nranges);
		for (size_t k = 0; k < n && k < c->nranges; k++)
			CHECK(r[k].first == c->r[k].first && r[k].last == c->r[k].last,
			      "%s %zu: range %zu is %llu-%llu", what, i, k, (unsigned long long)r[k].first,
			      (unsigned long long)r[k].last);
	}
}

static void test_new_file(void)
{
	run_cases(new_file_cases, sizeof new_file_cases / sizeof new_file_cases[0], &meta_new,
		  "new file");
}

static void test_cond(void)
{
	run_cases(cond_cases, sizeof cond_cases / sizeof cond_cases[0], &meta, "cond");
}

/* ---- Range parsing --------------------------------------------------------- */

struct range_case {
	const char *value;
	uint64_t size;
	enum cond_status expect;
	size_t n;
	struct byte_range r[4];
};

static const struct range_case range_cases[] = {
	/* the three forms (section 14.1.1) */
	{ "bytes=0-499", 1000, COND_PARTIAL, 1, { { 0, 499 } } },
	{ "bytes=500-999", 1000, COND_PARTIAL, 1, { { 500, 999 } } },
	{ "bytes=500-", 1000, COND_PARTIAL, 1, { { 500, 999 } } },
	{ "bytes=-200", 1000, COND_PARTIAL, 1, { { 800, 999 } } },
	{ "bytes=0-0", 1000, COND_PARTIAL, 1, { { 0, 0 } } },
	{ "bytes=999-999", 1000, COND_PARTIAL, 1, { { 999, 999 } } },
	{ "bytes=0-", 1000, COND_PARTIAL, 1, { { 0, 999 } } },
	{ "bytes=-1", 1000, COND_PARTIAL, 1, { { 999, 999 } } },
	{ "bytes=-1000", 1000, COND_PARTIAL, 1, { { 0, 999 } } },
	{ "Bytes=0-1", 1000, COND_PARTIAL, 1, { { 0, 1 } } },
	{ "BYTES=0-1", 1000, COND_PARTIAL, 1, { { 0, 1 } } },
	{ "bytes= 0-1", 1000, COND_PARTIAL, 1, { { 0, 1 } } },
	{ "bytes=0-1 ", 1000, COND_PARTIAL, 1, { { 0, 1 } } },
	{ "bytes=000-001", 1000, COND_PARTIAL, 1, { { 0, 1 } } },
	/* clamped to the size */
	{ "bytes=0-5000", 1000, COND_PARTIAL, 1, { { 0, 999 } } },
	{ "bytes=900-5000", 1000, COND_PARTIAL, 1, { { 900, 999 } } },
	{ "bytes=-2000", 1000, COND_PARTIAL, 1, { { 0, 999 } } },
	{ "bytes=0-18446744073709551615", 1000, COND_PARTIAL, 1, { { 0, 999 } } },
	{ "bytes=0-99999999999999999999999999", 1000, COND_PARTIAL, 1, { { 0, 999 } } },
	{ "bytes=-99999999999999999999999999", 1000, COND_PARTIAL, 1, { { 0, 999 } } },
	{ "bytes=0-0", 1, COND_PARTIAL, 1, { { 0, 0 } } },
	{ "bytes=-1", 1, COND_PARTIAL, 1, { { 0, 0 } } },
	{ "bytes=-5", 1, COND_PARTIAL, 1, { { 0, 0 } } },
	/* unsatisfiable (section 14.1.1: first-pos >= length, suffix 0) */
	{ "bytes=1000-", 1000, COND_UNSATISFIABLE, 0, { { 0, 0 } } },
	{ "bytes=1000-1000", 1000, COND_UNSATISFIABLE, 0, { { 0, 0 } } },
	{ "bytes=1000-2000", 1000, COND_UNSATISFIABLE, 0, { { 0, 0 } } },
	{ "bytes=-0", 1000, COND_UNSATISFIABLE, 0, { { 0, 0 } } },
	{ "bytes=-000", 1000, COND_UNSATISFIABLE, 0, { { 0, 0 } } },
	{ "bytes=1-", 1, COND_UNSATISFIABLE, 0, { { 0, 0 } } },
	{ "bytes=0-0", 0, COND_UNSATISFIABLE, 0, { { 0, 0 } } },
	{ "bytes=0-", 0, COND_UNSATISFIABLE, 0, { { 0, 0 } } },
	{ "bytes=-5", 0, COND_UNSATISFIABLE, 0, { { 0, 0 } } },
	{ "bytes=18446744073709551615-", 1000, COND_UNSATISFIABLE, 0, { { 0, 0 } } },
	{ "bytes=99999999999999999999999-", 1000, COND_UNSATISFIABLE, 0, { { 0, 0 } } },
	{ "bytes=1000-,2000-3000,-0", 1000, COND_UNSATISFIABLE, 0, { { 0, 0 } } },
	/* invalid: the field is ignored */
	{ "bytes=5-2", 1000, COND_OK, 0, { { 0, 0 } } },
	{ "bytes=0-1,5-2", 1000, COND_OK, 0, { { 0, 0 } } },
	{ "bytes=", 1000, COND_OK, 0, { { 0, 0 } } },
	{ "bytes= ", 1000, COND_OK, 0, { { 0, 0 } } },
	{ "bytes", 1000, COND_OK, 0, { { 0, 0 } } },
	{ "byte=0-1", 1000, COND_OK, 0, { { 0, 0 } } },
	{ "bytes 0-1", 1000, COND_OK, 0, { { 0, 0 } } },
	{ "bytes=0-1;x", 1000, COND_OK, 0, { { 0, 0 } } },
	{ "items=0-1", 1000, COND_OK, 0, { { 0, 0 } } },
	{ "bytesx=0-1", 1000, COND_OK, 0, { { 0, 0 } } },
	{ " bytes=0-1", 1000, COND_OK, 0, { { 0, 0 } } },
	{ "", 1000, COND_OK, 0, { { 0, 0 } } },
	{ "bytes=abc", 1000, COND_OK, 0, { { 0, 0 } } },
	{ "bytes=1", 1000, COND_OK, 0, { { 0, 0 } } },
	{ "bytes=-", 1000, COND_OK, 0, { { 0, 0 } } },
	{ "bytes=--1", 1000, COND_OK, 0, { { 0, 0 } } },
	{ "bytes=-1-2", 1000, COND_OK, 0, { { 0, 0 } } },
	{ "bytes=1-2-3", 1000, COND_OK, 0, { { 0, 0 } } },
	{ "bytes=0x1-2", 1000, COND_OK, 0, { { 0, 0 } } },
	{ "bytes=+1-2", 1000, COND_OK, 0, { { 0, 0 } } },
	{ "bytes=1 -2", 1000, COND_OK, 0, { { 0, 0 } } },
	{ "bytes=1- 2", 1000, COND_OK, 0, { { 0, 0 } } },
	{ "bytes=0-1 2-3", 1000, COND_OK, 0, { { 0, 0 } } },
	{ "bytes=0-1,abc", 1000, COND_OK, 0, { { 0, 0 } } },
	{ "bytes=0-1,-", 1000, COND_OK, 0, { { 0, 0 } } },
	{ "bytes=1.5-2", 1000, COND_OK, 0, { { 0, 0 } } },
	{ "bytes=0-1\x01", 1000, COND_OK, 0, { { 0, 0 } } },
	{ "bytes=5-2", 0, COND_OK, 0, { { 0, 0 } } },
	/* several ranges: kept in the client's order when none touch */
	{ "bytes=0-9,20-29", 1000, COND_PARTIAL, 2, { { 0, 9 }, { 20, 29 } } },
	{ "bytes=20-29,0-9", 1000, COND_PARTIAL, 2, { { 20, 29 }, { 0, 9 } } },
	{ "bytes=0-9,11-19", 1000, COND_PARTIAL, 2, { { 0, 9 }, { 11, 19 } } },
	{ "bytes=0-1, 3-4 ,\t6-7", 1000, COND_PARTIAL, 3, { { 0, 1 }, { 3, 4 }, { 6, 7 } } },
	{ "bytes=0-1,,3-4", 1000, COND_PARTIAL, 2, { { 0, 1 }, { 3, 4 } } },
	{ "bytes=0-1, ,3-4", 1000, COND_PARTIAL, 2, { { 0, 1 }, { 3, 4 } } },
	{ "bytes=0-1,", 1000, COND_PARTIAL, 1, { { 0, 1 } } },
	{ "bytes=0-1 ,", 1000, COND_PARTIAL, 1, { { 0, 1 } } },
	{ "bytes=-10,0-9", 1000, COND_PARTIAL, 2, { { 990, 999 }, { 0, 9 } } },
	/* unsatisfiable members are dropped */
	{ "bytes=0-1,1000-2000", 1000, COND_PARTIAL, 1, { { 0, 1 } } },
	{ "bytes=5000-,-0,10-", 1000, COND_PARTIAL, 1, { { 10, 999 } } },
	/* overlapping or adjacent: merged and sorted (section 14.3) */
	{ "bytes=0-9,5-14", 1000, COND_PARTIAL, 1, { { 0, 14 } } },
	{ "bytes=0-9,10-19", 1000, COND_PARTIAL, 1, { { 0, 19 } } },
	{ "bytes=10-19,0-9", 1000, COND_PARTIAL, 1, { { 0, 19 } } },
	{ "bytes=10-19,0-10", 1000, COND_PARTIAL, 1, { { 0, 19 } } },
	{ "bytes=0-1,0-1,0-1", 1000, COND_PARTIAL, 1, { { 0, 1 } } },
	{ "bytes=0-,0-,0-", 1000, COND_PARTIAL, 1, { { 0, 999 } } },
	{ "bytes=-100,0-", 1000, COND_PARTIAL, 1, { { 0, 999 } } },
	{ "bytes=0-499,-500", 1000, COND_PARTIAL, 1, { { 0, 999 } } },
	{ "bytes=100-200,150-160", 1000, COND_PARTIAL, 1, { { 100, 200 } } },
	{ "bytes=50-59,0-9,10-19", 1000, COND_PARTIAL, 2, { { 0, 19 }, { 50, 59 } } },
	{ "bytes=30-39,0-9,20-29,50-59", 1000, COND_PARTIAL, 3, { { 0, 9 }, { 20, 39 }, { 50, 59 } } },
	{ "bytes=0-0,2-2,1-1", 1000, COND_PARTIAL, 1, { { 0, 2 } } },
	{ "bytes=900-5000,950-", 1000, COND_PARTIAL, 1, { { 900, 999 } } },
	/* RFC 9110 section 5.6.1.2: recipients MUST accept empty list
	 * elements, leading ones included ("1#element" is received as
	 * *( "," OWS ) element *( OWS "," [ OWS element ] )). */
	{ "bytes=,0-1", 1000, COND_PARTIAL, 1, { { 0, 1 } } },
	{ "bytes= , 0-1", 1000, COND_PARTIAL, 1, { { 0, 1 } } },
};

static void test_range(void)
{
	for (size_t i = 0; i < sizeof range_cases / sizeof range_cases[0]; i++) {
		const struct range_case *c = &range_cases[i];
		struct byte_range r[HTTP_RANGES_MAX];
		size_t n = 99, len = strlen(c->value);
		char *copy = malloc(len ? len : 1); /* exact size for ASan */
		if (!copy)
			abort();
		memcpy(copy, c->value, len);
		enum cond_status st = http_range_parse(slice_make(copy, len), c->size, r, &n);
		free(copy);
		CHECK(st == c->expect, "range %zu '%s' (size %llu): %d, want %d", i, c->value,
		      (unsigned long long)c->size, (int)st, (int)c->expect);
		if (st != COND_PARTIAL) {
			CHECK(n == 0, "range %zu: nranges %zu without 206", i, n);
			continue;
		}
		CHECK(n == c->n, "range %zu '%s': %zu ranges, want %zu", i, c->value, n, c->n);
		for (size_t k = 0; k < n && k < c->n; k++)
			CHECK(r[k].first == c->r[k].first && r[k].last == c->r[k].last,
			      "range %zu '%s': #%zu is %llu-%llu, want %llu-%llu", i, c->value, k,
			      (unsigned long long)r[k].first, (unsigned long long)r[k].last,
			      (unsigned long long)c->r[k].first, (unsigned long long)c->r[k].last);
	}
}

/* HTTP_RANGES_MAX ranges are served; one more makes the field ignored. */
static void test_range_count(void)
{
	char buf[1024];
	struct byte_range r[HTTP_RANGES_MAX];
	size_t n, w;

	for (int extra = 0; extra <= 1; extra++) {
		w = (size_t)snprintf(buf, sizeof buf, "bytes=");
		for (int k = 0; k < HTTP_RANGES_MAX + extra; k++)
			w += (size_t)snprintf(buf + w, sizeof buf - w, "%s%d-%d", k ? "," : "", 10 * k,
					      10 * k + 1);
		enum cond_status st = http_range_parse(slice_make(buf, w), 100000, r, &n);
		if (!extra) {
			CHECK(st == COND_PARTIAL && n == HTTP_RANGES_MAX, "%d ranges: %d, n %zu",
			      HTTP_RANGES_MAX, (int)st, n);
			for (size_t k = 0; k < n; k++)
				CHECK(r[k].first == 10 * k && r[k].last == 10 * k + 1,
				      "range #%zu of %d", k, HTTP_RANGES_MAX);
		} else {
			CHECK(st == COND_OK && n == 0, "%d ranges: %d, want 200", HTTP_RANGES_MAX + 1,
			      (int)st);
		}
	}
	/* the limit counts specs, merged or unsatisfiable ones included */
	w = (size_t)snprintf(buf, sizeof buf, "bytes=0-0");
	for (int k = 0; k < HTTP_RANGES_MAX; k++)
		w += (size_t)snprintf(buf + w, sizeof buf - w, ",0-0");
	CHECK(http_range_parse(slice_make(buf, w), 1000, r, &n) == COND_OK,
	      "%d identical ranges not ignored", HTTP_RANGES_MAX + 1);
	w = (size_t)snprintf(buf, sizeof buf, "bytes=0-0");
	for (int k = 0; k < 1000; k++)
		w += (size_t)snprintf(buf + w, sizeof buf - w, ",");
	CHECK(http_range_parse(slice_make(buf, w), 1000, r, &n) == COND_PARTIAL && n == 1,
	      "empty elements counted as ranges");
	/* evaluation path: too many ranges -> 200 */
	{
		struct http_header hdrs[1] = { { SLICE_LIT("Range"), slice_make(buf, 0) } };
		struct http_head h = { .headers = hdrs, .nheaders = 1, .max_headers = 1, .minor = 1 };
		w = (size_t)snprintf(buf, sizeof buf, "bytes=");
		for (int k = 0; k <= HTTP_RANGES_MAX; k++)
			w += (size_t)snprintf(buf + w, sizeof buf - w, "%s%d-%d", k ? "," : "",
					      100 * k, 100 * k + 9);
		hdrs[0].value = slice_make(buf, w);
		CHECK(http_cond_evaluate(&h, HTTP_GET, &meta, r, &n) == COND_OK && n == 0,
		      "evaluate with %d ranges", HTTP_RANGES_MAX + 1);
	}
}

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Random range sets against a small file: the result covers exactly the
 * union of the satisfiable requested bytes, no two result ranges touch,
 * and the parts never add up to more than the file. */
static void test_range_random(void)
{
	enum { SIZE = 64 };
	unsigned failures = 0;

	for (int iter = 0; iter < 20000 && failures < 5; iter++) {
		char buf[512];
		bool want[SIZE] = { false }, got[SIZE] = { false };
		size_t w = (size_t)snprintf(buf, sizeof buf, "bytes=");
		int nspec = 1 + (int)(next_rand() % HTTP_RANGES_MAX);
		uint64_t size = next_rand() % (SIZE + 1);
		bool any = false;

		for (int k = 0; k < nspec; k++) {
			uint64_t a = next_rand() % (SIZE + 8), b = a + next_rand() % 20;
			int form = (int)(next_rand() % 3);
			if (form == 0) {
				w += (size_t)snprintf(buf + w, sizeof buf - w, "%s%llu-%llu",
						      k ? "," : "", (unsigned long long)a,
						      (unsigned long long)b);
			} else if (form == 1) {
				w += (size_t)snprintf(buf + w, sizeof buf - w, "%s%llu-",
						      k ? "," : "", (unsigned long long)a);
				b = UINT64_MAX;
			} else {
				uint64_t s = next_rand() % (SIZE + 8);
				w += (size_t)snprintf(buf + w, sizeof buf - w, "%s-%llu",
						      k ? "," : "", (unsigned long long)s);
				a = s >= size ? 0 : size - s;
				b = s ? size - 1 : 0;
				if (s == 0 || size == 0)
					continue;
			}
			for (uint64_t x = a; x <= b && x < size; x++)
				want[x] = any = true;
		}

		struct byte_range r[HTTP_RANGES_MAX];
		size_t n = 0;
		enum cond_status st = http_range_parse(slice_make(buf, w), size, r, &n);
		bool ok = st == (any ? COND_PARTIAL : COND_UNSATISFIABLE);
		uint64_t total = 0;
		for (size_t k = 0; ok && k < n; k++) {
			ok = r[k].first <= r[k].last && r[k].last < size;
			for (size_t j = 0; ok && j < k; j++)
				ok = r[k].first > r[j].last + 1 || r[j].first > r[k].last + 1;
			for (uint64_t x = r[k].first; ok && x <= r[k].last; x++)
				got[x] = true;
			total += r[k].last - r[k].first + 1;
		}
		ok = ok && total <= size && memcmp(want, got, sizeof want) == 0;
		if (!ok) {
			failures++;
			CHECK(ok, "random range '%s' size %llu: status %d, %zu ranges", buf,
			      (unsigned long long)size, (int)st, n);
		}
	}
	CHECK(failures == 0, "%u random range sets failed", failures);
}

/* ---- ETag --------------------------------------------------------------- */

static bool is_etagc(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x7e) || c >= 0x80;
}

static void test_etag(void)
{
	char out[64], other[64];
	size_t n;

	n = http_cond_etag(out, 0x1a, 0x2b, 0x3c, 0x4d);
	CHECK(n == strlen("\"1a-2b-3c.4d\"") && strcmp(out, "\"1a-2b-3c.4d\"") == 0,
	      "etag '%s' (%zu)", out, n);
	n = http_cond_etag(out, 0, 0, 0, 0);
	CHECK(strcmp(out, "\"0-0-0.0\"") == 0 && n == 9, "zero etag '%s'", out);

	n = http_cond_etag(out, UINT64_MAX, UINT64_MAX, INT64_MAX, 999999999L);
	CHECK(n > 2 && n < 64 && n == strlen(out), "huge etag length %zu", n);
	CHECK(out[0] == '"' && out[n - 1] == '"', "etag not quoted: %s", out);
	for (size_t k = 1; k + 1 < n; k++)
		CHECK(is_etagc((unsigned char)out[k]), "etag char %zu of %s", k, out);

	/* every component changes the tag; separators prevent ambiguity */
	static const uint64_t v[][4] = {
		{ 1, 2, 3, 4 }, { 5, 2, 3, 4 }, { 1, 5, 3, 4 }, { 1, 2, 5, 4 }, { 1, 2, 3, 5 },
		{ 0x12, 0x3, 3, 4 }, { 0x1, 0x23, 3, 4 }, { 1, 0x23, 0x4, 4 }, { 1, 0x2, 0x34, 4 },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		http_cond_etag(out, v[i][0], v[i][1], (int64_t)v[i][2], (long)v[i][3]);
		for (size_t j = 0; j < i; j++) {
			http_cond_etag(other, v[j][0], v[j][1], (int64_t)v[j][2], (long)v[j][3]);
			CHECK(strcmp(out, other) != 0, "etag collision %zu/%zu: %s", i, j, out);
		}
	}

	/* a generated tag matches itself through If-None-Match/If-Match */
	n = http_cond_etag(out, 77, 1000, 784111777, 5);
	struct file_meta f = { .size = 1000, .mtime = 784111777, .etag = slice_make(out, n) };
	struct http_header hdrs[1] = { { SLICE_LIT("If-None-Match"), slice_make(out, n) } };
	struct http_head h = { .headers = hdrs, .nheaders = 1, .max_headers = 1, .minor = 1 };
	struct byte_range r[HTTP_RANGES_MAX];
	size_t nr;
	CHECK(http_cond_evaluate(&h, HTTP_GET, &f, r, &nr) == COND_NOT_MODIFIED,
	      "own etag does not match");
	hdrs[0].name = SLICE_LIT("If-Match");
	CHECK(http_cond_evaluate(&h, HTTP_GET, &f, r, &nr) == COND_OK, "own etag If-Match");
}

int main(void)
{
	test_new_file();
	test_cond();
	test_range();
	test_range_count();
	test_range_random();
	test_etag();
	return unit_done("http_cond");
}
