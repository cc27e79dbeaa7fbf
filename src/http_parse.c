/* http_parse.c - request line and header fields, RFC 9112 sections 2.2, 3
 * and 5. Strict where leniency lets requests be smuggled (whitespace before
 * the colon, obsolete line folding, bare CR, control characters), lenient
 * where RFC 9112 allows it (empty lines before the request line, a bare LF
 * as line terminator). */
#include "http_parse.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* tchar (RFC 9110 section 5.6.2): the characters of a token. */
static const unsigned char token_chars[256] = {
	['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1,
	['*'] = 1, ['+'] = 1, ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1,
	['`'] = 1, ['|'] = 1, ['~'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
	['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
	['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
	['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
	['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
	['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
	['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
	['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1,
};

static inline bool is_token(unsigned char c)
{
	return token_chars[c];
}

/* The request target is visible ASCII; octets above 0x7f are tolerated
 * (clients send raw UTF-8) since they are never control characters. */
static inline bool is_target(unsigned char c)
{
	return c > 0x20 && c != 0x7f;
}

/* Field values: VCHAR, obs-text, SP and HTAB; never CR, LF, NUL or DEL. */
static inline bool is_value(unsigned char c)
{
	return c >= 0x20 ? c != 0x7f : c == '\t';
}

/* Skips 8 bytes at a time while none of them is a control character
 * (below 0x20) or DEL: the common case of a long field value or target
 * costs a few word operations instead of a table lookup per byte. The
 * byte loop after it decides about the byte that stopped the scan. */
static inline const char *skip_plain(const char *p, const char *end)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	while (end - p >= 8) {
		uint64_t x;
		memcpy(&x, p, 8);
		uint64_t ctl = (x - ones * 0x20) & ~x & highs;
		uint64_t d = x ^ (ones * 0x7f);
		uint64_t del = (d - ones) & ~d & highs;
		if (ctl | del)
			break;
		p += 8;
	}
	return p;
}

/* Consumes a line ending at *pp: CRLF or a bare LF. A CR not followed by LF
 * is an error. Returns 1 on success, 0 if incomplete, -1 if malformed. */
static int eat_eol(const char **pp, const char *end)
{
	const char *p = *pp;
	if (p == end)
		return 0;
	if (*p == '\n') {
		*pp = p + 1;
		return 1;
	}
	if (*p != '\r')
		return -1;
	if (p + 1 == end)
		return 0;
	if (p[1] != '\n')
		return -1;
	*pp = p + 2;
	return 1;
}

static long parse_version(const char **pp, const char *end, struct http_head *h)
{
	static const char proto[] = "HTTP/";
	const char *p = *pp;
	size_t avail = (size_t)(end - p);
	size_t i;

	for (i = 0; i < 5 && i < avail; i++)
		if (p[i] != proto[i])
			return HTTP_PARSE_BAD;
	if (avail < 8) {
		for (; i < avail; i++) {
			bool digit = p[i] >= '0' && p[i] <= '9';
			if (i == 6 ? p[i] != '.' : !digit)
				return HTTP_PARSE_BAD;
		}
		return HTTP_PARSE_INCOMPLETE;
	}
	if (p[5] < '0' || p[5] > '9' || p[6] != '.' || p[7] < '0' || p[7] > '9')
		return HTTP_PARSE_BAD;
	h->minor = p[7] - '0';
	*pp = p + 8;
	/* A well-formed line with another version is 505, but only once the
	 * line is known to end right after the version. */
	if (*pp < end && **pp != '\r' && **pp != '\n')
		return HTTP_PARSE_BAD;
	if (p[5] != '1' || h->minor > 1)
		return *pp == end ? HTTP_PARSE_INCOMPLETE : HTTP_PARSE_VERSION;
	return 0;
}

long http_parse_request(const char *buf, size_t len, struct http_head *h)
{
	const char *p = buf, *end = buf + len, *start;
	long rc;
	int eol;

	h->nheaders = 0;
	/* RFC 9112 section 2.2: ignore empty lines before the request line. */
	while (p < end && (*p == '\r' || *p == '\n')) {
		eol = eat_eol(&p, end);
		if (eol <= 0)
			return eol == 0 ? HTTP_PARSE_INCOMPLETE : HTTP_PARSE_BAD;
	}

	start = p;
	while (p < end && is_token((unsigned char)*p))
		p++;
	if (p == end)
		return HTTP_PARSE_INCOMPLETE;
	if (p == start || *p != ' ')
		return HTTP_PARSE_BAD;
	h->method = slice_make(start, (size_t)(p - start));
	p++;

	start = p;
	/* Spaces are not controls, so the word scan stops only at
	 * controls; the target's end (SP) is found byte by byte. */
	while (p < end && is_target((unsigned char)*p))
		p++;
	if (p == end)
		return HTTP_PARSE_INCOMPLETE;
	if (p == start || *p != ' ')
		return HTTP_PARSE_BAD;
	h->target = slice_make(start, (size_t)(p - start));
	p++;

	rc = parse_version(&p, end, h);
	if (rc < 0)
		return rc;
	eol = eat_eol(&p, end);
	if (eol <= 0)
		return eol == 0 ? HTTP_PARSE_INCOMPLETE : HTTP_PARSE_BAD;

	for (;;) {
		struct slice name, value;

		if (p == end)
			return HTTP_PARSE_INCOMPLETE;
		if (*p == '\r' || *p == '\n') {
			eol = eat_eol(&p, end);
			if (eol <= 0)
				return eol == 0 ? HTTP_PARSE_INCOMPLETE : HTTP_PARSE_BAD;
			return (long)(p - buf);
		}
		/* A line starting with whitespace is obs-fold (RFC 9112 5.2),
		 * or whitespace before the first field (section 2.2): both
		 * rejected. */
		start = p;
		while (p < end && is_token((unsigned char)*p))
			p++;
		if (p == end)
			return HTTP_PARSE_INCOMPLETE;
		if (p == start || *p != ':')
			return HTTP_PARSE_BAD;
		name = slice_make(start, (size_t)(p - start));
		p++;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		start = p;
		p = skip_plain(p, end);
		while (p < end && is_value((unsigned char)*p))
			p++;
		if (p == end)
			return HTTP_PARSE_INCOMPLETE;
		if (*p != '\r' && *p != '\n')
			return HTTP_PARSE_BAD;
		value = slice_trim(slice_make(start, (size_t)(p - start)));
		eol = eat_eol(&p, end);
		if (eol <= 0)
			return eol == 0 ? HTTP_PARSE_INCOMPLETE : HTTP_PARSE_BAD;
		if (h->nheaders == h->max_headers)
			return HTTP_PARSE_TOO_MANY;
		h->headers[h->nheaders].name = name;
		h->headers[h->nheaders].value = value;
		h->nheaders++;
	}
}

const struct http_header *http_head_find(const struct http_head *h, const char *name)
{
	for (size_t i = 0; i < h->nheaders; i++)
		if (slice_eq_ci(h->headers[i].name, name))
			return &h->headers[i];
	return NULL;
}
