/* test_http_multipart.c - the layout of a multipart/byteranges body (RFC
 * 9110 section 14.6, RFC 2046 section 5.1.1) and the boundaries drawn for
 * it. The body is assembled from the segments as the server sends it and
 * split again at the delimiters as a MIME parser would. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_multipart.h"
#include "unit.h"

#define BOUNDARY "3d6b6a416f9b5c7e2a10" /* 20 of [0-9a-z], as the server makes */

/* The representation: byte i is FILE_BYTE(i), never a '-' or CR. */
#define FILE_BYTE(i) ((char)('A' + (i) % 26))
#define MAX_SIZE 4096

static char file[MAX_SIZE];

/* ---- one exact case ---- */

static void test_exact(void)
{
	/* "0123456789", bytes 0-1 and 5-9 */
	static const char ten[] = "0123456789";
	static const struct byte_range rg[] = { { 0, 1 }, { 5, 9 } };
	static const char want[] = "--" BOUNDARY "\r\n"
				   "Content-Type: text/plain\r\n"
				   "Content-Range: bytes 0-1/10\r\n"
				   "\r\n"
				   "01"
				   "\r\n--" BOUNDARY "\r\n"
				   "Content-Type: text/plain\r\n"
				   "Content-Range: bytes 5-9/10\r\n"
				   "\r\n"
				   "56789"
				   "\r\n--" BOUNDARY "--\r\n";
	char extra[512];
	struct body_seg segs[8];
	uint64_t total = 0;
	int k = http_multipart_layout(rg, 2, 10, "text/plain", BOUNDARY, extra, sizeof extra, segs, 8,
				      &total);
	CHECK(k == 5, "exact: %d segments, want 5", k);
	CHECK(total == sizeof want - 1, "exact: total %llu, want %zu", (unsigned long long)total,
	      sizeof want - 1);
	if (k != 5)
		return;
	char body[512];
	size_t w = 0;
	for (int i = 0; i < k && w < sizeof body; i++) {
		const char *src = segs[i].mem ? segs[i].mem : ten + segs[i].off;
		if (segs[i].len > sizeof body - w)
			break;
		memcpy(body + w, src, segs[i].len);
		w += segs[i].len;
	}
	CHECK(w == sizeof want - 1 && memcmp(body, want, w) == 0, "exact body\n'%.*s'\nwant\n'%s'",
	      (int)w, body, want);
	CHECK(segs[1].mem == NULL && segs[1].off == 0 && segs[1].len == 2, "segment 1");
	CHECK(segs[3].mem == NULL && segs[3].off == 5 && segs[3].len == 5, "segment 3");
}

/* ---- a table of range sets ---- */

struct layout_case {
	uint64_t size;
	size_t n;
	struct byte_range r[8];
	const char *type;
	const char *boundary; /* NULL: BOUNDARY */
};

static const struct layout_case layout_cases[] = {
	/* one range: the first byte, the last byte, the whole file */
	{ 100, 1, { { 0, 0 } }, "text/plain", NULL },
	{ 100, 1, { { 99, 99 } }, "text/plain", NULL },
	{ 100, 1, { { 0, 99 } }, "text/plain", NULL },
	{ 1, 1, { { 0, 0 } }, "application/octet-stream", NULL }, /* size 1 */
	/* two: the edges, adjacent, out of order */
	{ 100, 2, { { 0, 0 }, { 99, 99 } }, "text/html; charset=utf-8", NULL },
	{ 100, 2, { { 0, 49 }, { 50, 99 } }, "text/plain", NULL },
	{ 100, 2, { { 90, 99 }, { 0, 9 } }, "text/plain", NULL },
	{ 2, 2, { { 0, 0 }, { 1, 1 } }, "text/plain", NULL },
	/* several */
	{ 1000, 3, { { 0, 9 }, { 500, 599 }, { 990, 999 } }, "image/png", NULL },
	{ 4096, 8,
	  { { 0, 0 }, { 2, 3 }, { 10, 19 }, { 100, 199 }, { 1000, 1999 }, { 2048, 2048 },
	    { 4000, 4094 }, { 4095, 4095 } },
	  "application/pdf", NULL },
	{ 10, 5, { { 0, 1 }, { 2, 3 }, { 4, 5 }, { 6, 7 }, { 8, 9 } }, "text/plain", NULL },
	/* boundaries of every allowed length */
	{ 50, 2, { { 0, 4 }, { 45, 49 } }, "text/plain", "b" },
	{ 50, 2, { { 0, 4 }, { 45, 49 } }, "text/plain",
	  "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-" },
	/* sizes past 32 bits (only the numbers are checked, not bytes) */
	{ 5000000000ULL, 2, { { 0, 0 }, { 4999999999ULL, 4999999999ULL } }, "video/mp4", NULL },
};

/* Finds needle in the n bytes at hay. */
static const char *find_bytes(const char *hay, size_t n, const char *needle)
{
	size_t m = strlen(needle);
	for (size_t i = 0; m <= n && i <= n - m; i++)
		if (memcmp(hay + i, needle, m) == 0)
			return hay + i;
	return NULL;
}

static void check_layout(size_t ci, const struct layout_case *c)
{
	const char *bnd = c->boundary ? c->boundary : BOUNDARY;
	char extra[4096];
	struct body_seg segs[2 * 8 + 1];
	uint64_t total = 0;
	memset(segs, 0, sizeof segs);
	int k = http_multipart_layout(c->r, c->n, c->size, c->type, bnd, extra, sizeof extra, segs,
				      2 * c->n + 1, &total);
	CHECK(k == (int)(2 * c->n + 1), "case %zu: %d segments, want %zu", ci, k, 2 * c->n + 1);
	if (k != (int)(2 * c->n + 1))
		return;

	uint64_t sum = 0;
	for (int i = 0; i < k; i++)
		sum += segs[i].len;
	CHECK(total == sum, "case %zu: total %llu, segments sum %llu", ci, (unsigned long long)total,
	      (unsigned long long)sum);

	/* the segments: text, range, text, ..., range, closing text */
	char delim[100], closing[100];
	snprintf(delim, sizeof delim, "--%s\r\n", bnd);
	snprintf(closing, sizeof closing, "\r\n--%s--\r\n", bnd);
	const char *text_end = extra;
	for (size_t i = 0; i < c->n; i++) {
		const struct body_seg *t = &segs[2 * i], *r = &segs[2 * i + 1];
		CHECK(t->mem != NULL && t->mem >= extra && t->mem + t->len <= extra + sizeof extra,
		      "case %zu part %zu: header not in extra", ci, i);
		CHECK(t->mem == text_end, "case %zu part %zu: headers not laid out in order", ci, i);
		text_end = t->mem + t->len;
		CHECK(r->mem == NULL && r->off == c->r[i].first &&
			      r->len == c->r[i].last - c->r[i].first + 1,
		      "case %zu part %zu: range segment %llu+%llu", ci, i, (unsigned long long)r->off,
		      (unsigned long long)r->len);
		char want[200];
		int wl = snprintf(want, sizeof want, "%s--%s\r\n", i ? "\r\n" : "", bnd);
		CHECK(t->len >= (size_t)wl && memcmp(t->mem, want, (size_t)wl) == 0,
		      "case %zu part %zu: header does not open with the delimiter: '%.*s'", ci, i,
		      (int)t->len, t->mem);
		snprintf(want, sizeof want, "\r\nContent-Range: bytes %llu-%llu/%llu\r\n",
			 (unsigned long long)c->r[i].first, (unsigned long long)c->r[i].last,
			 (unsigned long long)c->size);
		CHECK(find_bytes(t->mem, t->len, want) != NULL, "case %zu part %zu: no '%s' in '%.*s'",
		      ci, i, want + 2, (int)t->len, t->mem);
		snprintf(want, sizeof want, "\r\nContent-Type: %s\r\n", c->type);
		CHECK(find_bytes(t->mem, t->len, want) != NULL, "case %zu part %zu: no Content-Type",
		      ci, i);
		CHECK(t->len >= 4 && memcmp(t->mem + t->len - 4, "\r\n\r\n", 4) == 0 &&
			      find_bytes(t->mem, t->len - 2, "\r\n\r\n") == NULL,
		      "case %zu part %zu: header block not closed by one empty line", ci, i);
	}
	const struct body_seg *last = &segs[k - 1];
	CHECK(last->mem == text_end && last->len == strlen(closing) &&
		      memcmp(last->mem, closing, last->len) == 0,
	      "case %zu: closing '%.*s', want '%s'", ci, (int)last->len, last->mem, closing);
	if (c->size > MAX_SIZE)
		return;

	/* the body as sent, then split at "\r\n--boundary" as a MIME parser
	 * does (the first delimiter may open the body without its CRLF) */
	static char body[64 * 1024];
	size_t w = 0;
	for (int i = 0; i < k; i++) {
		if (segs[i].len > sizeof body - w) {
			CHECK(0, "case %zu: body too large", ci);
			return;
		}
		memcpy(body + w, segs[i].mem ? segs[i].mem : file + segs[i].off, segs[i].len);
		w += segs[i].len;
	}
	CHECK(w == total, "case %zu: assembled %zu bytes, total %llu", ci, w,
	      (unsigned long long)total);
	CHECK(w >= strlen(closing) && memcmp(body + w - strlen(closing), closing, strlen(closing)) == 0,
	      "case %zu: the body does not end with the closing delimiter", ci);
	char dash[100];
	int dl = snprintf(dash, sizeof dash, "\r\n--%s", bnd);
	/* a leading CRLF makes the first delimiter look like the others */
	static char parse[64 * 1024 + 2];
	memcpy(parse, "\r\n", 2);
	memcpy(parse + 2, body, w);
	size_t plen = w + 2, pos = 0, part = 0;
	for (;;) {
		const char *d = find_bytes(parse + pos, plen - pos, dash);
		CHECK(d != NULL, "case %zu: delimiter %zu missing", ci, part);
		if (!d)
			return;
		size_t at = (size_t)(d - parse);
		if (part > 0) {
			/* parse + pos .. at is part part-1: headers, empty line, bytes */
			const char *hdr_end = find_bytes(parse + pos, at - pos, "\r\n\r\n");
			const struct byte_range *r = &c->r[part - 1];
			size_t len = (size_t)(r->last - r->first + 1);
			CHECK(hdr_end && (size_t)(parse + at - (hdr_end + 4)) == len &&
				      memcmp(hdr_end + 4, file + r->first, len) == 0,
			      "case %zu: part %zu's bytes are not bytes %llu-%llu", ci, part - 1,
			      (unsigned long long)r->first, (unsigned long long)r->last);
		} else {
			CHECK(at == 0, "case %zu: a preamble of %zu bytes", ci, at);
		}
		pos = at + (size_t)dl;
		if (plen - pos >= 2 && memcmp(parse + pos, "--", 2) == 0) {
			CHECK(plen - pos == 4 && memcmp(parse + pos, "--\r\n", 4) == 0,
			      "case %zu: %zu bytes after the close delimiter", ci, plen - pos - 2);
			break;
		}
		CHECK(plen - pos >= 2 && memcmp(parse + pos, "\r\n", 2) == 0,
		      "case %zu: delimiter %zu not followed by CRLF", ci, part);
		pos += 2;
		part++;
	}
	CHECK(part == c->n, "case %zu: %zu parts, want %zu", ci, part, c->n);
}

/* The smallest extra that fits, every smaller one refused without a byte
 * written past it; max_segs below 2n + 1 refused. */
static void check_limits(size_t ci, const struct layout_case *c)
{
	const char *bnd = c->boundary ? c->boundary : BOUNDARY;
	static char extra[4096 + 64];
	struct body_seg segs[2 * 8 + 2];
	uint64_t total;
	int k = http_multipart_layout(c->r, c->n, c->size, c->type, bnd, extra, 4096, segs,
				      2 * c->n + 2, &total);
	CHECK(k == (int)(2 * c->n + 1), "case %zu: %d segments with a spare one", ci, k);
	if (k < 0)
		return;
	size_t used = 0;
	for (int i = 0; i < k; i += 2)
		used += segs[i].len;
	long bad_cap = -1, dirty_cap = -1;
	for (size_t cap = 0; cap <= used + 1; cap++) {
		memset(extra, 0x5a, sizeof extra);
		k = http_multipart_layout(c->r, c->n, c->size, c->type, bnd, extra, cap, segs,
					  2 * c->n + 1, &total);
		for (size_t i = cap; i < sizeof extra && dirty_cap < 0; i++)
			if (extra[i] != 0x5a)
				dirty_cap = (long)cap;
		/* cap == used may be refused: room for a NUL is allowed for */
		bool ok = cap > used ? k == (int)(2 * c->n + 1) : cap < used ? k == -1 : true;
		if (!ok && bad_cap < 0)
			bad_cap = (long)cap;
	}
	CHECK(dirty_cap < 0, "case %zu: cap %ld: written past it", ci, dirty_cap);
	CHECK(bad_cap < 0, "case %zu: cap %ld of %zu text bytes: wrong result", ci, bad_cap, used);
	bool refused = true;
	for (size_t m = 0; m < 2 * c->n + 1; m++) {
		refused = refused && http_multipart_layout(c->r, c->n, c->size, c->type, bnd, extra,
							   4096, segs, m, &total) == -1;
	}
	CHECK(refused, "case %zu: max_segs under %zu taken", ci, 2 * c->n + 1);
}

static void test_layout(void)
{
	for (size_t i = 0; i < MAX_SIZE; i++)
		file[i] = FILE_BYTE(i);
	for (size_t i = 0; i < sizeof layout_cases / sizeof layout_cases[0]; i++) {
		check_layout(i, &layout_cases[i]);
		check_limits(i, &layout_cases[i]);
	}
}

/* ---- ranges that are not ranges of the representation ---- */

struct bad_case {
	uint64_t size;
	size_t n;
	struct byte_range r[3];
};

static const struct bad_case bad_cases[] = {
	{ 100, 1, { { 5, 4 } } },                      /* first > last */
	{ 100, 1, { { 99, 0 } } },
	{ 100, 1, { { 0, 100 } } },                    /* last == size */
	{ 100, 1, { { 100, 100 } } },
	{ 100, 1, { { 0, UINT64_MAX } } },
	{ 100, 1, { { UINT64_MAX, UINT64_MAX } } },
	{ 1, 1, { { 0, 1 } } },
	{ 1, 1, { { 1, 1 } } },
	{ 0, 1, { { 0, 0 } } },                        /* nothing to range over */
	{ 100, 2, { { 0, 9 }, { 20, 10 } } },          /* the second one */
	{ 100, 2, { { 0, 9 }, { 50, 100 } } },
	{ 100, 3, { { 0, 9 }, { 20, 29 }, { 200, 300 } } }, /* the last one */
	{ 100, 0, { { 0, 9 } } },                      /* no range at all */
};

static void test_bad_ranges(void)
{
	for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
		const struct bad_case *c = &bad_cases[i];
		char extra[2048];
		struct body_seg segs[16];
		uint64_t total;
		int k = http_multipart_layout(c->r, c->n, c->size, "text/plain", BOUNDARY, extra,
					      sizeof extra, segs, 16, &total);
		CHECK(k == -1, "bad case %zu: %d, want -1", i, k);
	}
}

/* ---- boundaries ---- */

static bool boundary_ok(const char *b)
{
	if (strlen(b) != HTTP_BOUNDARY_LEN)
		return false;
	for (int i = 0; i < HTTP_BOUNDARY_LEN; i++)
		if (!((b[i] >= '0' && b[i] <= '9') || (b[i] >= 'a' && b[i] <= 'z')))
			return false;
	return true;
}

#define NB 2000

static void test_boundary(void)
{
	static const uint64_t seeds[] = { 1, 2, 0, 0x9e3779b97f4a7c15ULL + 1, 42, UINT64_MAX,
					  0x123456789abcdefULL };
	enum { NS = sizeof seeds / sizeof seeds[0] };
	static char seq[NS][NB][HTTP_BOUNDARY_LEN + 1];
	unsigned seen[36] = { 0 };
	for (size_t s = 0; s < NS; s++) {
		uint64_t st = seeds[s];
		int bad = -1, stuck = -1;
		for (int i = 0; i < NB; i++) {
			char *b = seq[s][i];
			memset(b, '#', HTTP_BOUNDARY_LEN + 1);
			uint64_t before = st;
			http_multipart_boundary(&st, b);
			if (!(boundary_ok(b) && b[HTTP_BOUNDARY_LEN] == '\0') && bad < 0)
				bad = i;
			if ((st == before || st == 0) && stuck < 0)
				stuck = i;
			for (int j = 0; j < HTTP_BOUNDARY_LEN; j++)
				seen[b[j] <= '9' ? b[j] - '0' : b[j] - 'a' + 10]++;
		}
		CHECK(bad < 0, "seed %zu call %d: '%.*s' is not 20 of [0-9a-z]", s, bad,
		      HTTP_BOUNDARY_LEN + 1, bad < 0 ? "" : seq[s][bad]);
		CHECK(stuck < 0, "seed %zu call %d: the state did not move", s, stuck);
		/* every boundary of a sequence differs from every other */
		bool distinct = true;
		for (int i = 0; i < NB && distinct; i++)
			for (int j = 0; j < i && distinct; j++)
				distinct = strcmp(seq[s][i], seq[s][j]) != 0;
		CHECK(distinct, "seed %zu: a boundary repeats within %d calls", s, NB);
	}
	/* different seeds, different sequences: no boundary in common */
	for (size_t a = 0; a < NS; a++)
		for (size_t b = 0; b < a; b++) {
			bool apart = true;
			for (int i = 0; i < NB && apart; i++)
				apart = strcmp(seq[a][i], seq[b][i]) != 0;
			CHECK(apart, "seeds %zu and %zu give a common boundary", a, b);
		}
	/* the same seed, the same sequence */
	uint64_t st = seeds[0];
	char b[HTTP_BOUNDARY_LEN + 1];
	bool same = true;
	for (int i = 0; i < 10; i++) {
		http_multipart_boundary(&st, b);
		same = same && strcmp(b, seq[0][i]) == 0;
	}
	CHECK(same, "the same seed gave another sequence");
	/* every character of the set is drawn, none far more than others */
	unsigned total = NS * NB * HTTP_BOUNDARY_LEN, lo = total, hi = 0;
	for (int i = 0; i < 36; i++) {
		lo = seen[i] < lo ? seen[i] : lo;
		hi = seen[i] > hi ? seen[i] : hi;
	}
	CHECK(lo > total / 36 / 2 && hi < total / 36 * 2, "characters drawn %u to %u times", lo, hi);
	/* a boundary made here lays out */
	struct byte_range rg[2] = { { 0, 0 }, { 1, 1 } };
	char extra[512];
	struct body_seg segs[5];
	uint64_t tot;
	CHECK(http_multipart_layout(rg, 2, 2, "text/plain", seq[0][0], extra, sizeof extra, segs, 5,
				    &tot) == 5,
	      "a drawn boundary refused");
}

int main(void)
{
	test_exact();
	test_layout();
	test_bad_ranges();
	test_boundary();
	return unit_done("http_multipart");
}
