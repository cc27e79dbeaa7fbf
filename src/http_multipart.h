/* http_multipart.h - the layout of a multipart/byteranges body (RFC 9110
 * section 14.6): part headers as text, body bytes as ranges of the
 * representation. Pure: no I/O, nothing allocated. */
#ifndef HTTP_MULTIPART_H
#define HTTP_MULTIPART_H

#include <stddef.h>
#include <stdint.h>

#include "http_cond.h"
#include "http_response.h"

#define HTTP_BOUNDARY_LEN 20

/* Writes the part headers of n ranges of a representation of size bytes
 * (Content-Type type) into extra (cap bytes) and the body as segments:
 * text segments point into extra, range segments have mem NULL and off
 * the range's start. boundary: 1 to 70 characters of RFC 2046's set.
 * Returns the number of segments (2n + 1) and the body length in *total,
 * or -1 when extra or segs (max_segs) is too small. */
int http_multipart_layout(const struct byte_range *rg, size_t n, uint64_t size, const char *type,
			  const char *boundary, char *extra, size_t cap, struct body_seg *segs,
			  size_t max_segs, uint64_t *total);

/* Writes a boundary of HTTP_BOUNDARY_LEN characters (and a NUL) drawn
 * from *state, a xorshift generator the caller seeds. */
void http_multipart_boundary(uint64_t *state, char out[HTTP_BOUNDARY_LEN + 1]);

#endif
