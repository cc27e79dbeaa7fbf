/* http_request.h - the meaning of a parsed request head: method, target,
 * Host, persistence, framing. Pure: no I/O. */
#ifndef HTTP_REQUEST_H
#define HTTP_REQUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "http_parse.h"
#include "slice.h"

enum http_method {
	HTTP_GET,
	HTTP_HEAD,
	HTTP_OPTIONS,
	HTTP_OTHER,
};

struct request {
	enum http_method method;
	int minor;              /* HTTP/1.minor */
	bool keep_alive;        /* the client allows the connection to persist */
	bool expect_continue;   /* HTTP/1.1 with Expect: 100-continue */
	bool asterisk;          /* the target is "*" (OPTIONS only) */
	struct slice path;      /* raw (still percent-encoded) path, starts with '/' */
	struct slice query;     /* raw query without '?', empty if none */
	struct slice host;      /* from the absolute-form target, else the Host field */
	uint64_t content_length; /* request body length, 0 if none */
	unsigned cond;           /* enum request_cond bits: fields http_cond reads */
	bool accept_encoding;    /* an Accept-Encoding field is present */
};

/* Which conditional or range fields a request carries; a request with
 * none of them skips http_cond entirely. */
enum request_cond {
	REQ_IF_MATCH = 1,
	REQ_IF_NONE_MATCH = 2,
	REQ_IF_MODIFIED_SINCE = 4,
	REQ_IF_UNMODIFIED_SINCE = 8,
	REQ_IF_RANGE = 16,
	REQ_RANGE = 32,
};

/* Interprets h into *r. Returns 0, or the status of the error response:
 * 400 (bad target, Host, Content-Length or any Transfer-Encoding),
 * 417 (an Expect other than 100-continue) or 501 (a method other than
 * GET, HEAD and OPTIONS). After an error, r->content_length tells how much
 * body follows if the framing was valid; the caller closes on 400. */
int http_request_read(const struct http_head *h, struct request *r);

/* True if the comma-separated field value list contains token
 * (case-insensitive), e.g. "close" in Connection. */
bool http_list_has(struct slice list, const char *token);

#endif
