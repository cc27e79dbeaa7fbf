/* http_encoding.h - content codings: Accept-Encoding negotiation (RFC 9110
 * section 12.5.3). Pure. */
#ifndef HTTP_ENCODING_H
#define HTTP_ENCODING_H

#include <stdbool.h>

#include "http_parse.h"

enum http_encoding {
	ENC_IDENTITY = 0,
	ENC_BR = 1,
	ENC_ZSTD = 2,
	ENC_GZIP = 3,
	ENC_COUNT = 4,
};

/* Lists the codings (br, zstd, gzip) the request's Accept-Encoding fields
 * allow with q > 0, best first; equal weights prefer br, then zstd, then
 * gzip. "*" stands for codings not named. Returns how many were written to
 * order (at most 3); none when there is no Accept-Encoding. *identity_ok
 * is false when identity is refused ("identity;q=0", or "*;q=0" without
 * identity). */
int http_encoding_order(const struct http_head *h, enum http_encoding order[3], bool *identity_ok);

/* "br", "zstd", "gzip". */
const char *http_encoding_name(enum http_encoding e);

/* The file name suffix of a precompressed sidecar: ".br", ".zst", ".gz". */
const char *http_encoding_suffix(enum http_encoding e);

#endif
