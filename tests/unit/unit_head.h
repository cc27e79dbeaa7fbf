/* unit_head.h - builds a struct http_head from text, for the tests of the
 * modules that read header fields. */
#ifndef UNIT_HEAD_H
#define UNIT_HEAD_H

#include <string.h>

#include "http_parse.h"

/* Builds a head from "Name: value\n..." lines (values trimmed). */
#define MAXH 8
static void build_head(const char *spec, struct http_head *h, struct http_header *hdrs)
{
	const char *p = spec;
	h->headers = hdrs;
	h->max_headers = MAXH;
	h->nheaders = 0;
	h->minor = 1;
	h->method = SLICE_LIT("GET");
	h->target = SLICE_LIT("/");
	while (*p && h->nheaders < MAXH) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		const char *colon = memchr(p, ':', n);
		if (colon) {
			hdrs[h->nheaders].name = slice_make(p, (size_t)(colon - p));
			hdrs[h->nheaders].value =
				slice_trim(slice_make(colon + 1, n - (size_t)(colon - p) - 1));
			h->nheaders++;
		}
		p += n + (nl != NULL);
	}
}

#endif
