/* http_parse.h - HTTP/1.x request head parser (RFC 9112 sections 2-5).
 * A pure function over a byte buffer: no allocation, no I/O. */
#ifndef HTTP_PARSE_H
#define HTTP_PARSE_H

#include <stddef.h>

#include "slice.h"

struct http_header {
	struct slice name;
	struct slice value; /* OWS trimmed */
};

struct http_head {
	struct slice method;
	struct slice target;
	int minor; /* 0 or 1: HTTP/1.minor */
	size_t nheaders;
	size_t max_headers;          /* capacity of headers, set by the caller */
	struct http_header *headers; /* owned by the caller */
};

enum http_parse_status {
	HTTP_PARSE_INCOMPLETE = -1, /* the head is not complete yet */
	HTTP_PARSE_BAD = -2,        /* malformed: 400 */
	HTTP_PARSE_TOO_MANY = -3,   /* more header fields than max_headers: 431 */
	HTTP_PARSE_VERSION = -4,    /* well-formed version other than 1.0/1.1: 505 */
};

/* Parses the request head at the start of buf. Returns the number of bytes
 * the head occupies (request line, fields and the empty line) or a negative
 * enum http_parse_status. Slices in *h point into buf and stay valid as
 * long as buf does. Errors are reported as early as the bytes show them. */
long http_parse_request(const char *buf, size_t len, struct http_head *h);

/* Returns the first header named name (case-insensitive), or NULL. */
const struct http_header *http_head_find(const struct http_head *h, const char *name);

#endif
