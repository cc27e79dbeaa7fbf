/* serve_page.c - responses the server writes itself: error pages (the
 * site's own 403/404/500 page when it has one), redirects to a directory's
 * slash form, directory listings; and the header lines every response
 * ends with. */
#include "serve_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compress.h"
#include "listing.h"
#include "site.h"

void serve_seed(struct serve_ctx *s, uint64_t seed)
{
	s->rng = seed ? seed : 0x9e3779b97f4a7c15ULL;
}

/* Every response ends the same way: the operator's -H headers, CORS, then
 * Connection and the empty line. */
void serve_finish_head(struct serve_ctx *s, struct response *resp)
{
	const struct config *cfg = s->cfg;
	http_response_append(resp, cfg->extra_headers, strlen(cfg->extra_headers));
	if (s->cors) {
		http_response_header(resp, "Access-Control-Allow-Origin",
				     slice_make(s->cors, strlen(s->cors)));
		if (strcmp(s->cors, "*") != 0)
			http_response_header(resp, "Vary", SLICE_LIT("Origin"));
	}
	if (s->rpath_len)
		serve_rules_headers(s, resp);
	http_response_end(resp, s->keep_alive_10);
}

/* Pages the server writes itself (errors, redirects, listings) may not be
 * sniffed into something else and may load nothing. */
void serve_page_headers(struct response *resp)
{
	http_response_header(resp, "X-Content-Type-Options", SLICE_LIT("nosniff"));
	http_response_header(resp, "Content-Security-Policy",
			     SLICE_LIT("default-src 'none'; style-src 'unsafe-inline'; img-src data:"));
}

/* An error page from memory: the body follows the header block in the
 * same buffer and goes out in the same write. */
static void error_from_memory(struct serve_ctx *s, int status, const char *hint, bool head_only,
			      struct response *resp)
{
	char body[HTTP_ERROR_PAGE_MAX];
	size_t n = http_response_error_page(status, hint, body, sizeof body);

	http_response_begin(resp, status, s->date);
	http_response_header(resp, "Content-Type", SLICE_LIT("text/html; charset=utf-8"));
	http_response_header_u64(resp, "Content-Length", n);
	if (status == 501 || status == 405)
		http_response_header(resp, "Allow", SLICE_LIT("GET, HEAD, OPTIONS"));
	if (status == 401)
		http_response_header(resp, "WWW-Authenticate",
				     SLICE_LIT("Basic realm=\"Restricted\", charset=\"UTF-8\""));
	if (status == 503 || status == 429)
		http_response_header(resp, "Retry-After", SLICE_LIT("1"));
	serve_page_headers(resp);
	serve_finish_head(s, resp);
	if (!head_only) {
		char *at = http_response_append(resp, body, n);
		if (at) {
			/* The body is part of the head bytes: nothing else. */
			resp->body_len = n;
		}
	}
}

bool serve_is_own_file(const struct serve_ctx *s, const struct stat *st)
{
	return serve_own_file(s->own, st);
}

void serve_error(struct serve_ctx *s, int status, bool head_only, struct response *resp)
{
	serve_error_hint(s, status, NULL, head_only, resp);
}

void serve_error_hint(struct serve_ctx *s, int status, const char *hint, bool head_only,
		      struct response *resp)
{
	resp->fd = -1;
	resp->blob = NULL;
	resp->job = NULL;
	resp->delay = 0;
	resp->nsegs = 0;
	resp->body_len = 0;
	if (status == 403 || status == 404 || status == 500) {
		/* The site's own page for this status, when it has one. */
		struct stat st;
		char page[16];
		snprintf(page, sizeof page, "%d.html", status);
		int fd = path_open(s->root, page);
		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && !serve_is_own_file(s, &st)) {
			http_response_begin(resp, status, s->date);
			http_response_header(resp, "Content-Type", SLICE_LIT("text/html; charset=utf-8"));
			http_response_header_u64(resp, "Content-Length", (uint64_t)st.st_size);
			serve_finish_head(s, resp);
			if (!head_only && st.st_size > 0) {
				resp->fd = fd;
				resp->segs[0] = (struct body_seg){ NULL, 0, (uint64_t)st.st_size };
				resp->nsegs = 1;
				resp->body_len = (uint64_t)st.st_size;
			} else {
				close(fd);
			}
			return;
		}
		if (fd >= 0)
			close(fd);
	}
	error_from_memory(s, status, hint, head_only, resp);
}

int serve_errno_status(int err)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
	case ENAMETOOLONG:
		return 404;
	case EACCES:
	case EPERM:
	case EXDEV:  /* a symlink leading out of the root */
	case ELOOP:  /* a symlink where none are allowed */
		return 403;
	default:
		return 500;
	}
}

/* The longest Location written: with the other header lines it fits the
 * header block. */
#define REDIRECT_MAX 4096

/* A redirect to the first len bytes of s->location, with a short page. */
static void redirect(struct serve_ctx *s, const struct request *r, int status, size_t len,
		     struct response *resp)
{
	char body[HTTP_ERROR_PAGE_MAX];
	size_t blen = http_response_error_body(status, body, sizeof body);
	http_response_begin(resp, status, s->date);
	http_response_header(resp, "Location", slice_make(s->location, len));
	http_response_header(resp, "Content-Type", SLICE_LIT("text/html; charset=utf-8"));
	http_response_header_u64(resp, "Content-Length", blen);
	serve_page_headers(resp);
	serve_finish_head(s, resp);
	if (r->method != HTTP_HEAD && http_response_append(resp, body, blen))
		resp->body_len = blen;
}

void serve_redirect_location(struct serve_ctx *s, const struct request *r, int status, size_t len,
			     struct response *resp)
{
	redirect(s, r, status, len, resp);
}

void serve_redirect_to_dir(struct serve_ctx *s, const struct request *r, size_t len,
			    struct response *resp)
{
	long n = path_encode(s->path, len, s->location, sizeof s->location - 2);
	if (n < 0) {
		serve_error(s, 414, r->method == HTTP_HEAD, resp);
		return;
	}
	s->location[n++] = '/';
	if (r->query.len) {
		/* The query is kept or the redirect refused, never cut. */
		if ((size_t)n + 1 + r->query.len > REDIRECT_MAX) {
			serve_error(s, 414, r->method == HTTP_HEAD, resp);
			return;
		}
		s->location[n++] = '?';
		memcpy(s->location + n, r->query.ptr, r->query.len);
		n += (long)r->query.len;
	}
	if ((size_t)n > REDIRECT_MAX) {
		serve_error(s, 414, r->method == HTTP_HEAD, resp);
		return;
	}
	redirect(s, r, 301, (size_t)n, resp);
}

void serve_redirect_https(struct serve_ctx *s, const struct request *r, int port,
			  struct response *resp)
{
	/* Certificates are asked for over plain HTTP (ACME HTTP-01). */
	if (serve_acme_request(s, r, resp))
		return;
	struct slice host = r->host;
	/* Drop the port: "example.com:80", "[::1]:80". */
	for (size_t i = host.len; i-- > 0;) {
		if (host.ptr[i] == ':') {
			host.len = i;
			break;
		}
		if (host.ptr[i] == ']' || host.ptr[i] == '.')
			break;
	}
	if (host.len == 0 || r->asterisk) {
		serve_error(s, 400, r->method == HTTP_HEAD, resp);
		return;
	}
	int n = snprintf(s->location, sizeof s->location, "https://%.*s", (int)host.len, host.ptr);
	if (port != 443 && n > 0 && (size_t)n < sizeof s->location)
		n += snprintf(s->location + n, sizeof s->location - (size_t)n, ":%d", port);
	if (n > 0 && (size_t)n < sizeof s->location)
		n += snprintf(s->location + n, sizeof s->location - (size_t)n, "%.*s%s%.*s",
			      (int)r->path.len, r->path.ptr, r->query.len ? "?" : "",
			      (int)r->query.len, r->query.ptr);
	/* Past 4 KiB the Location would not fit the header block. */
	if (n < 0 || (size_t)n >= sizeof s->location || n > REDIRECT_MAX) {
		serve_error(s, 414, r->method == HTTP_HEAD, resp);
		return;
	}
	redirect(s, r, 308, (size_t)n, resp);
}

static bool wants_json(const struct http_head *h)
{
	const struct http_header *a = http_head_find(h, "accept");
	return a && http_list_has(a->value, "application/json");
}

/* Listing pages are trusted for FILE_CACHE_TTL, then kept while the
 * directory is unchanged (its mtime and ctime move when a name comes or
 * goes), for at most LISTING_MAX_AGE: sizes and dates of the files in it
 * are then at most that old. */
#define LISTING_MAX_AGE 10

static bool listing_valid(struct serve_ctx *s, struct fc_entry *e)
{
	if (file_cache_fresh(e, s->now))
		return true;
	if (s->now - e->born >= LISTING_MAX_AGE)
		return false;
	struct stat st;
	int fd = path_open(s->root, s->path);
	bool same = fd >= 0 && fstat(fd, &st) == 0 && file_cache_same(e, &st);
	if (fd >= 0)
		close(fd);
	if (same)
		file_cache_touch(e, s->now);
	return same;
}

/* Serves a listing page, or 406 when it is not coded and the client
 * refused identity (RFC 9110 section 12.5.3). */
static void serve_page_entry(struct serve_ctx *s, const struct http_head *h,
			     const struct request *r, struct fc_entry *e, bool identity_ok,
			     struct response *resp, char *extra, size_t extra_cap)
{
	if (!identity_ok && e->coding == ENC_IDENTITY)
		serve_error(s, 406, r->method == HTTP_HEAD, resp);
	else
		serve_entry(s, h, r, e, resp, extra, extra_cap);
}

void serve_listing(struct serve_ctx *s, const struct http_head *h, const struct request *r,
		   size_t len, const enum http_encoding *order, int nenc, bool identity_ok,
		   struct response *resp, char *extra, size_t extra_cap)
{
	bool json = wants_json(h);
	uint8_t kind = json ? FC_LISTING_JSON : FC_LISTING_HTML;
	enum http_encoding want = ENC_IDENTITY;
	enum listing_order by;
	bool desc;
	(void)len;
	listing_order_parse(r->query.ptr, r->query.len, &by, &desc);
	uint8_t variant = (uint8_t)(by * 2 + desc);
	for (int i = 0; i < nenc && s->cfg->compress; i++) {
		if (compress_available() & (1u << order[i])) {
			want = order[i];
			break;
		}
	}
	if (s->done && s->done->kind == SERVE_JOB_LISTING) {
		/* The page this request's job made. */
		struct fc_entry *e = s->done->entry;
		bool busy = s->done->no_room || s->done->rejected;
		s->done = NULL;
		if (!e) {
			serve_error(s, busy ? 503 : 500, r->method == HTTP_HEAD, resp);
			return;
		}
		serve_page_entry(s, h, r, e, identity_ok, resp, extra, extra_cap);
		return;
	}
	if (file_cache_enabled(s->cache)) {
		struct fc_key k = { s->key, s->key_len, kind, (uint8_t)want, variant };
		struct fc_entry *e = file_cache_get(s->cache, &k);
		if (!e && want != ENC_IDENTITY) {
			/* A page too small to code is kept as it is. */
			k.coding = ENC_IDENTITY;
			e = file_cache_get(s->cache, &k);
			if (e && e->size >= COMPRESS_MIN) {
				file_cache_release(e);
				e = NULL;
			}
		}
		if (e && listing_valid(s, e)) {
			serve_page_entry(s, h, r, e, identity_ok, resp, extra, extra_cap);
			file_cache_release(e);
			return;
		}
		if (e)
			file_cache_remove(s->cache, e);
		file_cache_release(e);
	}
	/* Reading a large directory takes long: the helper pool builds it. */
	struct serve_job *j = serve_job_waiting(SERVE_JOB_LISTING, s->key, s->key_len, s->path);
	if (!j) {
		serve_error(s, 503, r->method == HTTP_HEAD, resp);
		return;
	}
	j->cache = s->cache;
	j->now = s->now;
	j->root = s->root;
	j->cfg = s->cfg;
	j->own = s->own;
	j->netlify = s->site->netlify;
	j->json = json;
	j->coding = want;
	j->order = by;
	j->desc = desc;
	resp->job = j;
}
