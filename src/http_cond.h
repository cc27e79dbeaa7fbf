/* http_cond.h - conditional requests and byte ranges (RFC 9110 sections 13
 * and 14), decided in one fixed order. Pure: no I/O. */
#ifndef HTTP_COND_H
#define HTTP_COND_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "http_parse.h"
#include "http_request.h"

#define HTTP_RANGES_MAX 16 /* more ranges than this: the whole file (200) */

/* What the validators of the selected representation are. */
struct file_meta {
	uint64_t size;
	time_t mtime;
	struct slice etag; /* strong, with its quotes */
	/* Last-Modified may stand as a strong validator (If-Range): the file
	 * last changed at least a second ago (RFC 9110 section 8.8.2.2). */
	bool date_strong;
};

struct byte_range {
	uint64_t first, last; /* inclusive */
};

enum cond_status {
	COND_OK = 200,            /* serve the whole representation */
	COND_PARTIAL = 206,       /* serve the ranges in *ranges */
	COND_NOT_MODIFIED = 304,
	COND_FAILED = 412,
	COND_UNSATISFIABLE = 416,
};

/* Evaluates, in the order of RFC 9110 section 13.2.2, If-Match,
 * If-Unmodified-Since, If-None-Match, If-Modified-Since, then Range with
 * If-Range (GET and HEAD only). Fills ranges (capacity HTTP_RANGES_MAX)
 * and *nranges for COND_PARTIAL: sorted, overlapping and nearby ranges
 * merged. */
enum cond_status http_cond_evaluate(const struct http_head *h, enum http_method m,
				    const struct file_meta *f, struct byte_range *ranges,
				    size_t *nranges);

/* Parses a Range value against a representation of size bytes. Returns
 * COND_PARTIAL with the merged ranges, COND_UNSATISFIABLE, or COND_OK when
 * the field is to be ignored (not bytes, invalid syntax, too many ranges). */
enum cond_status http_range_parse(struct slice value, uint64_t size, struct byte_range *ranges,
				  size_t *nranges);

/* Formats a strong ETag for a file's identity, size and mtime into out
 * (at least 64 bytes) and returns its length. */
size_t http_cond_etag(char *out, uint64_t ino, uint64_t size, int64_t mtime_sec, long mtime_nsec);

#endif
