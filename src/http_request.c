/* http_request.c - request semantics from RFC 9112: request target forms
 * (section 3.2), Host (RFC 9110 section 7.2), message body length and the
 * request smuggling guards (section 6.3), persistence (section 9.3) and
 * Expect (RFC 9110 section 10.1.1). */
#include "http_request.h"

bool http_list_has(struct slice list, const char *token)
{
	struct slice item;
	while (slice_next_item(&list, &item))
		if (slice_eq_ci(item, token))
			return true;
	return false;
}

/* uri-host [ ":" port ]: reg-name, IPv4 or an IP literal in brackets. Only
 * characters that can appear there are accepted, so nothing that could
 * split a path or a header ever comes from Host. */
static bool valid_host(struct slice s)
{
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.ptr[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  (c != '\0' && strchr("-._~%!$&'()*+,;=:[]", c) != NULL);
		if (!ok)
			return false;
	}
	return true;
}

/* Content-Length = 1*DIGIT; a list of identical values is accepted as
 * RFC 9110 section 8.6 allows, differing ones are not. */
static bool parse_length(struct slice v, uint64_t *out, bool *seen)
{
	struct slice item;
	if (v.len == 0)
		return false;
	while (v.len) {
		const char *comma = memchr(v.ptr, ',', v.len);
		size_t n = comma ? (size_t)(comma - v.ptr) : v.len;
		item = slice_trim(slice_make(v.ptr, n));
		v.ptr += comma ? n + 1 : n;
		v.len -= comma ? n + 1 : n;
		if (item.len == 0 || item.len > 18)
			return false;
		uint64_t x = 0;
		for (size_t i = 0; i < item.len; i++) {
			if (item.ptr[i] < '0' || item.ptr[i] > '9')
				return false;
			x = x * 10 + (uint64_t)(item.ptr[i] - '0');
		}
		if (*seen && x != *out)
			return false;
		*out = x;
		*seen = true;
	}
	return true;
}

static bool scheme_prefix(struct slice t, size_t *skip)
{
	if (t.len >= 7 && slice_eq_ci(slice_make(t.ptr, 7), "http://")) {
		*skip = 7;
		return true;
	}
	if (t.len >= 8 && slice_eq_ci(slice_make(t.ptr, 8), "https://")) {
		*skip = 8;
		return true;
	}
	return false;
}

/* Splits the target into path and query; absolute-form also yields the
 * authority. Returns false for a target of no form a static server takes. */
static bool split_target(struct request *r, struct slice t, struct slice *authority)
{
	size_t skip;

	authority->len = 0;
	authority->ptr = t.ptr;
	if (memchr(t.ptr, '#', t.len))
		return false; /* a fragment is never sent (RFC 9112 section 3.2) */
	if (t.len == 1 && t.ptr[0] == '*') {
		r->asterisk = true;
		r->path = t;
		return true;
	}
	if (scheme_prefix(t, &skip)) {
		size_t i = skip;
		while (i < t.len && t.ptr[i] != '/' && t.ptr[i] != '?' && t.ptr[i] != '#')
			i++;
		*authority = slice_make(t.ptr + skip, i - skip);
		/* userinfo is deprecated for http(s) (RFC 9110 section 4.2.4) */
		if (authority->len == 0 || memchr(authority->ptr, '@', authority->len))
			return false;
		t = slice_make(t.ptr + i, t.len - i);
		if (t.len == 0 || t.ptr[0] != '/') {
			/* "http://host" or "http://host?q": the path is "/" */
			r->path = SLICE_LIT("/");
			if (t.len && t.ptr[0] == '?')
				r->query = slice_make(t.ptr + 1, t.len - 1);
			return t.len == 0 || t.ptr[0] == '?';
		}
	}
	if (t.len == 0 || t.ptr[0] != '/')
		return false;
	const char *q = memchr(t.ptr, '?', t.len);
	if (q) {
		r->path = slice_make(t.ptr, (size_t)(q - t.ptr));
		r->query = slice_make(q + 1, t.len - (size_t)(q - t.ptr) - 1);
	} else {
		r->path = t;
	}
	return true;
}

int http_request_read(const struct http_head *h, struct request *r)
{
	struct slice authority, host = { 0 };
	unsigned nhost = 0;
	bool close = false, keep = false, has_len = false, has_te = false;
	bool bad_len = false, expect_other = false;

	memset(r, 0, sizeof *r);
	r->minor = h->minor;
	if (slice_eq(h->method, "GET"))
		r->method = HTTP_GET;
	else if (slice_eq(h->method, "HEAD"))
		r->method = HTTP_HEAD;
	else if (slice_eq(h->method, "OPTIONS"))
		r->method = HTTP_OPTIONS;
	else
		r->method = HTTP_OTHER;

	for (size_t i = 0; i < h->nheaders; i++) {
		struct slice n = h->headers[i].name, v = h->headers[i].value;
		switch (slice_lower(n.ptr[0])) {
		case 'h':
			if (slice_eq_ci(n, "host")) {
				host = v;
				nhost++;
			}
			break;
		case 'c':
			if (slice_eq_ci(n, "connection")) {
				close = close || http_list_has(v, "close");
				keep = keep || http_list_has(v, "keep-alive");
			} else if (slice_eq_ci(n, "content-length")) {
				if (!parse_length(v, &r->content_length, &has_len))
					bad_len = true;
			}
			break;
		case 't':
			if (slice_eq_ci(n, "transfer-encoding"))
				has_te = true;
			break;
		case 'i':
			if (slice_eq_ci(n, "if-match"))
				r->cond |= REQ_IF_MATCH;
			else if (slice_eq_ci(n, "if-none-match"))
				r->cond |= REQ_IF_NONE_MATCH;
			else if (slice_eq_ci(n, "if-modified-since"))
				r->cond |= REQ_IF_MODIFIED_SINCE;
			else if (slice_eq_ci(n, "if-unmodified-since"))
				r->cond |= REQ_IF_UNMODIFIED_SINCE;
			else if (slice_eq_ci(n, "if-range"))
				r->cond |= REQ_IF_RANGE;
			break;
		case 'r':
			if (slice_eq_ci(n, "range"))
				r->cond |= REQ_RANGE;
			break;
		case 'a':
			if (slice_eq_ci(n, "accept-encoding"))
				r->accept_encoding = true;
			break;
		case 'e':
			if (slice_eq_ci(n, "expect")) {
				if (slice_eq_ci(v, "100-continue"))
					r->expect_continue = h->minor >= 1;
				else if (v.len)
					expect_other = true;
			}
			break;
		default:
			break;
		}
	}

	r->keep_alive = h->minor >= 1 ? !close : (keep && !close);
	/* Smuggling guards: the body length must be beyond doubt. A request
	 * with Transfer-Encoding cannot be framed by this server at all. */
	if (has_te || bad_len) {
		r->keep_alive = false;
		r->content_length = 0;
		return 400;
	}
	if (!split_target(r, h->target, &authority))
		return 400;
	if (nhost > 1 || (nhost == 0 && h->minor >= 1) || (nhost == 1 && !valid_host(host)))
		return 400;
	r->host = authority.len ? authority : host;
	if (authority.len && !valid_host(authority))
		return 400;
	if (r->method == HTTP_OTHER)
		return 501;
	if (r->asterisk && r->method != HTTP_OPTIONS)
		return 400;
	if (expect_other && h->minor >= 1)
		return 417;
	return 0;
}
