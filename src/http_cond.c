/* http_cond.c - RFC 9110 section 13 (conditional requests) and section 14
 * (range requests). The order of section 13.2.2 is the whole algorithm:
 *   1. If-Match            false -> 412
 *   2. If-Unmodified-Since (only without If-Match) false -> 412
 *   3. If-None-Match       false -> 304 for GET/HEAD, else 412
 *   4. If-Modified-Since   (only without If-None-Match, GET/HEAD) -> 304
 *   5. Range, with If-Range deciding whether it applies -> 206 or 416
 * Dates that do not parse make their field be ignored (section 13.1.3). */
#include "http_cond.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "http_date.h"

/* Walks an entity-tag list ("*" is handled by the caller). Returns false
 * at the end or on a malformed element (which ends the walk). */
static bool next_etag(struct slice *rest, struct slice *tag, bool *weak)
{
	const char *p = rest->ptr, *end = rest->ptr + rest->len;

	while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
		p++;
	if (p == end)
		return false;
	*weak = false;
	if (end - p >= 2 && p[0] == 'W' && p[1] == '/') {
		*weak = true;
		p += 2;
	}
	if (p == end || *p != '"')
		return false;
	const char *q = memchr(p + 1, '"', (size_t)(end - p - 1));
	if (!q)
		return false;
	*tag = slice_make(p, (size_t)(q - p + 1));
	p = q + 1;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p < end && *p != ',')
		return false;
	rest->ptr = p;
	rest->len = (size_t)(end - p);
	return true;
}

static bool tag_eq(struct slice a, struct slice b)
{
	return a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0;
}

/* Does any field named name match the current ETag? Several field lines
 * form one list (RFC 9110 section 5.3). */
static bool etag_list_matches(const struct http_head *h, const char *name,
			      const struct file_meta *f, bool strong)
{
	for (size_t i = 0; i < h->nheaders; i++) {
		if (!slice_eq_ci(h->headers[i].name, name))
			continue;
		struct slice rest = h->headers[i].value, tag;
		bool weak;
		if (slice_eq(rest, "*"))
			return true; /* a file always has a current representation */
		while (next_etag(&rest, &tag, &weak)) {
			if (strong && weak)
				continue;
			if (tag_eq(tag, f->etag))
				return true;
		}
	}
	return false;
}

/* A date field counts only if it occurs once and parses. */
static bool single_date(const struct http_head *h, const char *name, time_t *t)
{
	const struct http_header *found = NULL;
	for (size_t i = 0; i < h->nheaders; i++) {
		if (slice_eq_ci(h->headers[i].name, name)) {
			if (found)
				return false;
			found = &h->headers[i];
		}
	}
	return found && http_date_parse(found->value, t);
}

static int cmp_range(const void *a, const void *b)
{
	const struct byte_range *x = a, *y = b;
	return x->first < y->first ? -1 : x->first > y->first;
}

/* Parses digits into *v, saturating at UINT64_MAX. */
static const char *parse_u64(const char *p, const char *end, uint64_t *v)
{
	const char *start = p;
	*v = 0;
	while (p < end && *p >= '0' && *p <= '9') {
		unsigned d = (unsigned)(*p - '0');
		*v = *v > (UINT64_MAX - d) / 10 ? UINT64_MAX : *v * 10 + d;
		p++;
	}
	return p == start ? NULL : p;
}

enum cond_status http_range_parse(struct slice value, uint64_t size, struct byte_range *ranges,
				  size_t *nranges)
{
	const char *p = value.ptr, *end = value.ptr + value.len;
	size_t n = 0, specs = 0;

	*nranges = 0;
	if (value.len < 6 || !slice_eq_ci(slice_make(p, 6), "bytes="))
		return COND_OK;
	p += 6;
	/* Empty list elements, leading ones too, are allowed (section 5.6.1). */
	while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
		p++;
	for (;;) {
		uint64_t a = 0, b = 0;
		bool suffix = false, open = false;

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p < end && *p == '-') {
			suffix = true;
			p = parse_u64(p + 1, end, &b);
			if (!p)
				return COND_OK;
		} else {
			p = parse_u64(p, end, &a);
			if (!p || p == end || *p != '-')
				return COND_OK;
			p++;
			if (p < end && *p >= '0' && *p <= '9') {
				p = parse_u64(p, end, &b);
				if (b < a)
					return COND_OK; /* invalid range-spec */
			} else {
				open = true;
			}
		}
		if (++specs > HTTP_RANGES_MAX)
			return COND_OK;
		/* Keep only satisfiable ranges (section 14.1.2). */
		if (suffix) {
			if (b > 0 && size > 0) {
				ranges[n].first = b >= size ? 0 : size - b;
				ranges[n].last = size - 1;
				n++;
			}
		} else if (a < size) {
			ranges[n].first = a;
			ranges[n].last = open || b >= size ? size - 1 : b;
			n++;
		}
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p == end)
			break;
		if (*p != ',')
			return COND_OK;
		p++;
		while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
			p++;
		if (p == end)
			break;
	}
	if (specs == 0)
		return COND_OK;
	if (n == 0)
		return COND_UNSATISFIABLE;
	/* Coalesce (section 14.3 allows it): overlapping or adjacent ranges
	 * become one, so the parts never add up to more than the file, which
	 * defeats the CVE-2011-3192 amplification. Ranges that need no merge
	 * keep the order the client asked for. */
	bool touching = false;
	for (size_t i = 0; i < n && !touching; i++)
		for (size_t j = i + 1; j < n && !touching; j++)
			touching = ranges[i].first <= ranges[j].last + 1 &&
				   ranges[j].first <= ranges[i].last + 1;
	if (!touching) {
		*nranges = n;
		return COND_PARTIAL;
	}
	qsort(ranges, n, sizeof *ranges, cmp_range);
	size_t w = 0;
	for (size_t i = 1; i < n; i++) {
		if (ranges[i].first <= ranges[w].last + 1) {
			if (ranges[i].last > ranges[w].last)
				ranges[w].last = ranges[i].last;
		} else {
			ranges[++w] = ranges[i];
		}
	}
	*nranges = w + 1;
	return COND_PARTIAL;
}

/* If-Range (section 13.1.5): an entity tag must match strongly; a date
 * must equal Last-Modified exactly and be a strong validator, which it is
 * not while the file may still change within the second it names.
 * Anything else means: send it all. */
static bool if_range_holds(const struct http_head *h, const struct file_meta *f)
{
	const struct http_header *ir = http_head_find(h, "if-range");
	if (!ir)
		return true;
	struct slice v = ir->value;
	if (v.len && (v.ptr[0] == '"' || (v.len > 1 && v.ptr[0] == 'W' && v.ptr[1] == '/'))) {
		struct slice tag;
		bool weak;
		return next_etag(&v, &tag, &weak) && !weak && v.len == 0 && tag_eq(tag, f->etag);
	}
	time_t t;
	return f->date_strong && http_date_parse(v, &t) && t == f->mtime;
}

enum cond_status http_cond_evaluate(const struct http_head *h, enum http_method m,
				    const struct file_meta *f, struct byte_range *ranges,
				    size_t *nranges)
{
	bool get_or_head = m == HTTP_GET || m == HTTP_HEAD;
	time_t t;

	*nranges = 0;
	if (http_head_find(h, "if-match")) {
		if (!etag_list_matches(h, "if-match", f, true))
			return COND_FAILED;
	} else if (single_date(h, "if-unmodified-since", &t)) {
		if (f->mtime > t)
			return COND_FAILED;
	}
	if (http_head_find(h, "if-none-match")) {
		if (etag_list_matches(h, "if-none-match", f, false))
			return get_or_head ? COND_NOT_MODIFIED : COND_FAILED;
	} else if (get_or_head && single_date(h, "if-modified-since", &t)) {
		if (f->mtime <= t)
			return COND_NOT_MODIFIED;
	}
	if (m != HTTP_GET)
		return COND_OK; /* Range is defined for GET only (section 14.2) */
	const struct http_header *range = NULL;
	for (size_t i = 0; i < h->nheaders; i++) {
		if (slice_eq_ci(h->headers[i].name, "range")) {
			if (range)
				return COND_OK; /* two Range fields: ignore both */
			range = &h->headers[i];
		}
	}
	if (!range || !if_range_holds(h, f))
		return COND_OK;
	return http_range_parse(range->value, f->size, ranges, nranges);
}

size_t http_cond_etag(char *out, uint64_t ino, uint64_t size, int64_t mtime_sec, long mtime_nsec)
{
	int n = snprintf(out, 64, "\"%llx-%llx-%llx.%lx\"", (unsigned long long)ino,
			 (unsigned long long)size, (unsigned long long)mtime_sec, mtime_nsec);
	return n > 0 ? (size_t)n : 0;
}
