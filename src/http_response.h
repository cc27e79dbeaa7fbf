/* http_response.h - a response as a header block plus body segments, and
 * the helpers that write the header block into a bounded buffer. */
#ifndef HTTP_RESPONSE_H
#define HTTP_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_cond.h"
#include "slice.h"

#define RESP_SEGS_MAX (2 * HTTP_RANGES_MAX + 2)

/* One piece of the body: bytes in memory, or (mem == NULL) bytes of the
 * response's file starting at off. */
struct body_seg {
	const char *mem;
	uint64_t off;
	uint64_t len;
};

struct fc_blob;
struct serve_job;

struct response {
	int status;
	struct fc_blob *blob; /* cached bytes the memory segments point into, or NULL */
	struct serve_job *job; /* set: nothing else is valid; run the job, then serve again */
	unsigned delay;        /* seconds to hold the response back (a failed login) */
	bool close;      /* the connection closes after this response */
	int fd;          /* file behind the file segments, or -1 */
	char *head;      /* header block; points into the connection's buffer */
	size_t head_len;
	size_t head_cap;
	bool overflow;   /* the header block did not fit */
	struct body_seg segs[RESP_SEGS_MAX];
	unsigned nsegs;
	uint64_t body_len; /* sum of segs, the Content-Length */
};

/* The reason phrase of status, e.g. "Not Found"; "Unknown" if none. */
const char *http_status_reason(int status);

/* Starts the header block: status line, Date and Server. */
void http_response_begin(struct response *r, int status, const char *date);

/* Appends "name: value\r\n". */
void http_response_header(struct response *r, const char *name, struct slice value);

/* Appends a header whose value is an unsigned number. */
void http_response_header_u64(struct response *r, const char *name, uint64_t v);

/* Appends Connection (when it matters for this request) and the empty line
 * that ends the block. keep_alive_10: the client is HTTP/1.0 asking for
 * keep-alive, which needs an explicit "Connection: keep-alive". */
void http_response_end(struct response *r, bool keep_alive_10);

/* Appends raw bytes to the block (used for an error body that travels in
 * the same buffer); returns where they start, or NULL if they do not fit. */
char *http_response_append(struct response *r, const char *bytes, size_t n);

/* Writes the HTML page of an error status into out (light and dark, the
 * listings' look); returns its length. HTTP_ERROR_PAGE_MAX always fits. */
#define HTTP_ERROR_PAGE_MAX 2048
size_t http_response_error_body(int status, char *out, size_t cap);

/* The same with a hint paragraph (static HTML, never request data). */
size_t http_response_error_page(int status, const char *hint_html, char *out, size_t cap);

/* Content-Length, Transfer-Encoding, Connection, Date and the other
 * headers that frame a message or belong to its connection: no path rule
 * may set, add or remove them. */
bool http_response_protected(struct slice name);

#endif
