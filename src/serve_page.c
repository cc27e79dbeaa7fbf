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

#include "listing.h"

static char boundary[40] = "00000000000000000000";

const char *serve_boundary(void)
{
	return boundary;
}

void serve_set_boundary(const char *b)
{
	snprintf(boundary, sizeof boundary, "%s", b);
}

/* Every response ends the same way: the operator's -H headers, CORS, then
 * Connection and the empty line. */
void serve_finish_head(struct serve_ctx *s, struct response *resp)
{
	const struct config *cfg = s->cfg;
	http_response_append(resp, cfg->extra_headers, strlen(cfg->extra_headers));
	if (cfg->cors_origin) {
		http_response_header(resp, "Access-Control-Allow-Origin",
				     slice_make(cfg->cors_origin, strlen(cfg->cors_origin)));
		if (strcmp(cfg->cors_origin, "*") != 0)
			http_response_header(resp, "Vary", SLICE_LIT("Origin"));
	}
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
static void error_from_memory(struct serve_ctx *s, int status, bool head_only,
			      struct response *resp)
{
	char body[512];
	size_t n = http_response_error_body(status, body, sizeof body);

	http_response_begin(resp, status, s->date);
	http_response_header(resp, "Content-Type", SLICE_LIT("text/html; charset=utf-8"));
	http_response_header_u64(resp, "Content-Length", n);
	if (status == 501 || status == 405)
		http_response_header(resp, "Allow", SLICE_LIT("GET, HEAD, OPTIONS"));
	if (status == 401)
		http_response_header(resp, "WWW-Authenticate",
				     SLICE_LIT("Basic realm=\"Restricted\", charset=\"UTF-8\""));
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
	for (int i = 0; s->own && i < OWN_FILES_MAX; i++) {
		ino_t ino = atomic_load_explicit(&s->own[i].ino, memory_order_acquire);
		if (ino && ino == st->st_ino &&
		    atomic_load_explicit(&s->own[i].dev, memory_order_relaxed) == st->st_dev)
			return true;
	}
	return false;
}

void serve_error(struct serve_ctx *s, int status, bool head_only, struct response *resp)
{
	resp->fd = -1;
	resp->blob = NULL;
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
	error_from_memory(s, status, head_only, resp);
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

/* A redirect to the first len bytes of s->location, with a short page. */
static void redirect(struct serve_ctx *s, const struct request *r, int status, size_t len,
		     struct response *resp)
{
	char body[512];
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

void serve_redirect_to_dir(struct serve_ctx *s, const struct request *r, size_t len,
			    struct response *resp)
{
	long n = path_encode(s->path, len, s->location, sizeof s->location - 2);
	if (n < 0) {
		serve_error(s, 414, r->method == HTTP_HEAD, resp);
		return;
	}
	s->location[n++] = '/';
	if (r->query.len && (size_t)n + 1 + r->query.len < sizeof s->location) {
		s->location[n++] = '?';
		memcpy(s->location + n, r->query.ptr, r->query.len);
		n += (long)r->query.len;
	}
	redirect(s, r, 301, (size_t)n, resp);
}

void serve_redirect_https(struct serve_ctx *s, const struct request *r, int port,
			  struct response *resp)
{
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
	if (n < 0 || (size_t)n >= sizeof s->location || n > 4096) {
		serve_error(s, 414, r->method == HTTP_HEAD, resp);
		return;
	}
	redirect(s, r, 308, (size_t)n, resp);
}

/* Reads the directory s->path (len bytes, "." for the root) into l,
 * leaving out what is not served: dotfiles (unless --dotfiles), the
 * server's own files, and symlinks that do not resolve inside the root. */
static int read_listing(struct serve_ctx *s, size_t len, struct listing *l)
{
	int fd = path_open(s->root, s->path);
	if (fd < 0)
		return fd;
	DIR *d = fdopendir(fd);
	if (!d) {
		int e = errno;
		close(fd);
		return -e;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		struct stat st;
		const char *name = de->d_name;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		if (name[0] == '.' && !s->cfg->dotfiles && strcmp(name, ".well-known") != 0)
			continue;
		if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			/* Listed only if serving it would work. */
			char rel[SERVE_PATH_MAX];
			int n = snprintf(rel, sizeof rel, "%s/%s", len == 1 && s->path[0] == '.' ? "." : s->path,
					 name);
			if (n <= 0 || (size_t)n >= sizeof rel)
				continue;
			int t = path_open(s->root, rel);
			if (t < 0)
				continue;
			int ok = fstat(t, &st);
			close(t);
			if (ok < 0)
				continue;
		}
		if ((!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) || serve_is_own_file(s, &st))
			continue;
		if (listing_add(l, name, S_ISDIR(st.st_mode), (uint64_t)st.st_size, st.st_mtim.tv_sec) < 0)
			break;
	}
	closedir(d);
	listing_sort(l);
	return 0;
}

/* A generated page whose bytes were malloc'd: they travel as a blob. */
static void serve_generated(struct serve_ctx *s, const struct request *r, char *page, size_t len,
			    const char *type, struct response *resp)
{
	struct fc_blob *b = malloc(sizeof *b + len + 1);
	if (!b) {
		free(page);
		serve_error(s, 500, r->method == HTTP_HEAD, resp);
		return;
	}
	b->refs = 1;
	b->len = len;
	memcpy(b->data, page, len);
	free(page);
	http_response_begin(resp, 200, s->date);
	http_response_header(resp, "Content-Type", slice_make(type, strlen(type)));
	http_response_header_u64(resp, "Content-Length", len);
	http_response_header(resp, "Cache-Control", SLICE_LIT("no-cache"));
	http_response_header(resp, "Vary", SLICE_LIT("Accept"));
	serve_page_headers(resp);
	serve_finish_head(s, resp);
	if (r->method == HTTP_HEAD || len == 0) {
		fc_blob_put(b);
		return;
	}
	resp->blob = b;
	resp->segs[0] = (struct body_seg){ b->data, 0, len };
	resp->nsegs = 1;
	resp->body_len = len;
}

static bool wants_json(const struct http_head *h)
{
	const struct http_header *a = http_head_find(h, "accept");
	return a && http_list_has(a->value, "application/json");
}

void serve_listing(struct serve_ctx *s, const struct http_head *h, const struct request *r,
			  size_t len, struct response *resp)
{
	struct listing l = { 0 };
	size_t n = 0;
	char *page = NULL;
	int rc = read_listing(s, len, &l);
	if (rc < 0) {
		serve_error(s, serve_errno_status(-rc), r->method == HTTP_HEAD, resp);
		return;
	}
	bool json = wants_json(h);
	if (json) {
		page = listing_json(&l, &n);
	} else {
		/* The heading shows the decoded URL path of the directory. */
		char dir[SERVE_PATH_MAX + 2];
		if (len == 1 && s->path[0] == '.')
			snprintf(dir, sizeof dir, "/");
		else
			snprintf(dir, sizeof dir, "/%s/", s->path);
		page = listing_html(&l, dir, &n);
	}
	listing_free(&l);
	if (!page) {
		serve_error(s, 500, r->method == HTTP_HEAD, resp);
		return;
	}
	serve_generated(s, r, page, n, json ? "application/json" : "text/html; charset=utf-8", resp);
}
