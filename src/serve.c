/* serve.c - maps a request to a file under the root and decides the
 * response, in this order: method, path (decode, normalise, dotfiles),
 * open below the root, own files, directory (redirect, index), then the
 * conditional and range decision of http_cond for the file. */
#include "serve.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http_date.h"
#include "mime.h"

static char boundary[40] = "00000000000000000000";

void serve_set_boundary(const char *b)
{
	snprintf(boundary, sizeof boundary, "%s", b);
}

static void cache_control(struct serve_ctx *s, struct response *resp)
{
	char v[48];
	if (s->cfg->max_age >= 0) {
		int n = snprintf(v, sizeof v, "max-age=%ld", s->cfg->max_age);
		http_response_header(resp, "Cache-Control", slice_make(v, (size_t)n));
	}
}

static void finish_head(struct serve_ctx *s, struct response *resp)
{
	http_response_end(resp, s->keep_alive_10);
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
	finish_head(s, resp);
	if (!head_only) {
		char *at = http_response_append(resp, body, n);
		if (at) {
			/* The body is part of the head bytes: nothing else. */
			resp->body_len = n;
		}
	}
}

static bool is_own_file(const struct serve_ctx *s, const struct stat *st)
{
	for (const struct own_file *o = s->own; o && o->ino; o++)
		if (o->dev == st->st_dev && o->ino == st->st_ino)
			return true;
	return false;
}

void serve_error(struct serve_ctx *s, int status, bool head_only, struct response *resp)
{
	resp->fd = -1;
	resp->nsegs = 0;
	resp->body_len = 0;
	if (status == 404) {
		struct stat st;
		int fd = path_open(s->root, "404.html");
		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
			http_response_begin(resp, 404, s->date);
			http_response_header(resp, "Content-Type", SLICE_LIT("text/html; charset=utf-8"));
			http_response_header_u64(resp, "Content-Length", (uint64_t)st.st_size);
			finish_head(s, resp);
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

static int errno_status(int err)
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

static void redirect_to_dir(struct serve_ctx *s, const struct request *r, size_t len,
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
	char body[512];
	size_t blen = http_response_error_body(301, body, sizeof body);
	http_response_begin(resp, 301, s->date);
	http_response_header(resp, "Location", slice_make(s->location, (size_t)n));
	http_response_header(resp, "Content-Type", SLICE_LIT("text/html; charset=utf-8"));
	http_response_header_u64(resp, "Content-Length", blen);
	finish_head(s, resp);
	if (r->method != HTTP_HEAD && http_response_append(resp, body, blen))
		resp->body_len = blen;
}

static void add_validators(struct serve_ctx *s, struct response *resp, const struct file_meta *m)
{
	http_response_header(resp, "Last-Modified", slice_make(s->last_modified, HTTP_DATE_LEN));
	http_response_header(resp, "ETag", m->etag);
}

/* Builds the body of a multipart/byteranges response (RFC 9110 section
 * 14.6): part headers go to extra, file bytes stay in the file. */
static bool multipart(struct serve_ctx *s, struct response *resp, const struct byte_range *rg,
		      size_t n, uint64_t size, const char *type, char *extra, size_t cap)
{
	size_t w = 0;
	unsigned k = 0;
	uint64_t total = 0;

	for (size_t i = 0; i < n; i++) {
		int m = snprintf(extra + w, cap - w,
				 "%s--%s\r\nContent-Type: %s\r\nContent-Range: bytes %llu-%llu/%llu\r\n\r\n",
				 i ? "\r\n" : "", boundary, type, (unsigned long long)rg[i].first,
				 (unsigned long long)rg[i].last, (unsigned long long)size);
		if (m < 0 || (size_t)m >= cap - w)
			return false;
		resp->segs[k++] = (struct body_seg){ extra + w, 0, (uint64_t)m };
		resp->segs[k++] = (struct body_seg){ NULL, rg[i].first, rg[i].last - rg[i].first + 1 };
		total += (uint64_t)m + rg[i].last - rg[i].first + 1;
		w += (size_t)m;
	}
	int m = snprintf(extra + w, cap - w, "\r\n--%s--\r\n", boundary);
	if (m < 0 || (size_t)m >= cap - w)
		return false;
	resp->segs[k++] = (struct body_seg){ extra + w, 0, (uint64_t)m };
	total += (uint64_t)m;
	resp->nsegs = k;
	resp->body_len = total;
	(void)s;
	return true;
}

static void serve_file(struct serve_ctx *s, const struct http_head *h, const struct request *r,
		       int fd, const struct stat *st, struct slice name, struct response *resp,
		       char *extra, size_t extra_cap)
{
	struct byte_range ranges[HTTP_RANGES_MAX];
	size_t nranges;
	bool head_only = r->method == HTTP_HEAD;
	const char *type = mime_lookup(name);
	struct file_meta m = {
		.size = (uint64_t)st->st_size,
		.mtime = st->st_mtim.tv_sec,
	};

	m.etag = slice_make(s->etag, http_cond_etag(s->etag, (uint64_t)st->st_ino, m.size,
						    (int64_t)st->st_mtim.tv_sec, st->st_mtim.tv_nsec));
	http_date_format(st->st_mtim.tv_sec, s->last_modified);

	enum cond_status cs = http_cond_evaluate(h, r->method, &m, ranges, &nranges);
	switch (cs) {
	case COND_NOT_MODIFIED:
		close(fd);
		http_response_begin(resp, 304, s->date);
		add_validators(s, resp, &m);
		cache_control(s, resp);
		finish_head(s, resp);
		return;
	case COND_FAILED:
		close(fd);
		serve_error(s, 412, head_only, resp);
		return;
	case COND_UNSATISFIABLE: {
		char body[512];
		size_t blen = http_response_error_body(416, body, sizeof body);
		int n = snprintf(s->content_range, sizeof s->content_range, "bytes */%llu",
				 (unsigned long long)m.size);
		close(fd);
		http_response_begin(resp, 416, s->date);
		http_response_header(resp, "Content-Range", slice_make(s->content_range, (size_t)n));
		http_response_header(resp, "Content-Type", SLICE_LIT("text/html; charset=utf-8"));
		http_response_header_u64(resp, "Content-Length", blen);
		finish_head(s, resp);
		if (!head_only && http_response_append(resp, body, blen))
			resp->body_len = blen;
		return;
	}
	case COND_PARTIAL:
		if (nranges == 1) {
			uint64_t len = ranges[0].last - ranges[0].first + 1;
			int n = snprintf(s->content_range, sizeof s->content_range, "bytes %llu-%llu/%llu",
					 (unsigned long long)ranges[0].first,
					 (unsigned long long)ranges[0].last, (unsigned long long)m.size);
			http_response_begin(resp, 206, s->date);
			http_response_header(resp, "Content-Type", slice_make(type, strlen(type)));
			http_response_header_u64(resp, "Content-Length", len);
			http_response_header(resp, "Content-Range", slice_make(s->content_range, (size_t)n));
			resp->segs[0] = (struct body_seg){ NULL, ranges[0].first, len };
			resp->nsegs = 1;
			resp->body_len = len;
		} else {
			if (!multipart(s, resp, ranges, nranges, m.size, type, extra, extra_cap))
				goto whole; /* parts do not fit: send it all */
			int n = snprintf(s->content_type, sizeof s->content_type,
					 "multipart/byteranges; boundary=%s", boundary);
			http_response_begin(resp, 206, s->date);
			http_response_header(resp, "Content-Type", slice_make(s->content_type, (size_t)n));
			http_response_header_u64(resp, "Content-Length", resp->body_len);
		}
		break;
	default:
	whole:
		http_response_begin(resp, 200, s->date);
		http_response_header(resp, "Content-Type", slice_make(type, strlen(type)));
		http_response_header_u64(resp, "Content-Length", m.size);
		resp->segs[0] = (struct body_seg){ NULL, 0, m.size };
		resp->nsegs = m.size ? 1 : 0;
		resp->body_len = m.size;
		break;
	}
	http_response_header(resp, "Accept-Ranges", SLICE_LIT("bytes"));
	add_validators(s, resp, &m);
	cache_control(s, resp);
	finish_head(s, resp);
	if (head_only || resp->nsegs == 0) {
		resp->nsegs = 0;
		resp->body_len = 0;
		close(fd);
		return;
	}
	resp->fd = fd;
}

void serve_request(struct serve_ctx *s, const struct http_head *h, const struct request *r,
		   struct response *resp, char *extra, size_t extra_cap)
{
	bool head_only = r->method == HTTP_HEAD;
	unsigned flags;
	struct stat st;
	long len;
	int fd;

	resp->fd = -1;
	resp->nsegs = 0;
	resp->body_len = 0;
	if (r->method == HTTP_OPTIONS) {
		http_response_begin(resp, 204, s->date);
		http_response_header(resp, "Allow", SLICE_LIT("GET, HEAD, OPTIONS"));
		finish_head(s, resp);
		return;
	}
	len = path_normalize(r->path, s->path, sizeof s->path - sizeof "/index.html", &flags);
	if (len < 0) {
		serve_error(s, len == PATH_TOO_LONG ? 414 : 400, head_only, resp);
		return;
	}
	if ((flags & PATH_DOTFILE) && !s->cfg->dotfiles) {
		serve_error(s, 404, head_only, resp);
		return;
	}
	fd = path_open(s->root, s->path);
	if (fd < 0) {
		serve_error(s, errno_status(-fd), head_only, resp);
		return;
	}
	if (fstat(fd, &st) < 0) {
		close(fd);
		serve_error(s, 500, head_only, resp);
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		if (!(flags & PATH_TRAILING_SLASH) && len > 0 && !(len == 1 && s->path[0] == '.')) {
			redirect_to_dir(s, r, (size_t)len, resp);
			return;
		}
		if (len == 1 && s->path[0] == '.')
			len = 0;
		memcpy(s->path + len, len ? "/index.html" : "index.html", len ? 12 : 11);
		len += len ? 11 : 10;
		fd = path_open(s->root, s->path);
		if (fd < 0) {
			serve_error(s, -fd == ENOENT ? 403 : errno_status(-fd), head_only, resp);
			return;
		}
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			close(fd);
			serve_error(s, 403, head_only, resp);
			return;
		}
	}
	if (!S_ISREG(st.st_mode) || is_own_file(s, &st)) {
		close(fd);
		serve_error(s, S_ISREG(st.st_mode) ? 404 : 403, head_only, resp);
		return;
	}
	serve_file(s, h, r, fd, &st, slice_make(s->path, (size_t)len), resp, extra, extra_cap);
}
