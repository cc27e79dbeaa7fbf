/* serve.c - maps a request to a file under the root and decides the
 * response, in this order: method, path (decode, normalise, dotfiles),
 * open below the root, own files, directory (redirect, index), then the
 * conditional and range decision of http_cond for the file. */
#include "serve.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache_policy.h"
#include "compress.h"
#include "http_encoding.h"
#include "http_date.h"
#include "listing.h"
#include "mime.h"

static char boundary[40] = "00000000000000000000";

void serve_set_boundary(const char *b)
{
	snprintf(boundary, sizeof boundary, "%s", b);
}

/* Every response ends the same way: the operator's -H headers, CORS, then
 * Connection and the empty line. */
static void finish_head(struct serve_ctx *s, struct response *resp)
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
static void generated_page_headers(struct response *resp)
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
	generated_page_headers(resp);
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
	resp->blob = NULL;
	resp->nsegs = 0;
	resp->body_len = 0;
	if (status == 403 || status == 404 || status == 500) {
		/* The site's own page for this status, when it has one. */
		struct stat st;
		char page[16];
		snprintf(page, sizeof page, "%d.html", status);
		int fd = path_open(s->root, page);
		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && !is_own_file(s, &st)) {
			http_response_begin(resp, status, s->date);
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
	generated_page_headers(resp);
	finish_head(s, resp);
	if (r->method != HTTP_HEAD && http_response_append(resp, body, blen))
		resp->body_len = blen;
}

/* The selected representation: a file on disk (fd) or in the cache (e). */
struct representation {
	int fd;
	struct fc_entry *e;
	struct file_meta meta;
	const char *type;
	const char *last_modified;
	const char *coding; /* Content-Encoding and Vary lines, or "" */
	char cc[80];        /* the Cache-Control line, or "" */
};

static void set_policy(struct serve_ctx *s, struct representation *rep, const char *name)
{
	cache_policy_header(slice_make(name, strlen(name)), rep->type, s->cfg->max_age,
			    s->cfg->smart_cache, rep->cc, sizeof rep->cc);
}

static struct body_seg body_bytes(const struct representation *rep, uint64_t off, uint64_t len)
{
	if (rep->e)
		return (struct body_seg){ rep->e->body->data + off, 0, len };
	return (struct body_seg){ NULL, off, len };
}

/* Builds the body of a multipart/byteranges response (RFC 9110 section
 * 14.6): part headers go to extra, file bytes stay where they are. */
static bool multipart(struct response *resp, const struct representation *rep,
		      const struct byte_range *rg, size_t n, char *extra, size_t cap)
{
	size_t w = 0;
	unsigned k = 0;
	uint64_t total = 0;

	for (size_t i = 0; i < n; i++) {
		int m = snprintf(extra + w, cap - w,
				 "%s--%s\r\nContent-Type: %s\r\nContent-Range: bytes %llu-%llu/%llu\r\n\r\n",
				 i ? "\r\n" : "", boundary, rep->type, (unsigned long long)rg[i].first,
				 (unsigned long long)rg[i].last, (unsigned long long)rep->meta.size);
		if (m < 0 || (size_t)m >= cap - w)
			return false;
		resp->segs[k++] = (struct body_seg){ extra + w, 0, (uint64_t)m };
		resp->segs[k++] = body_bytes(rep, rg[i].first, rg[i].last - rg[i].first + 1);
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
	return true;
}

static void add_validators(struct response *resp, const struct representation *rep)
{
	http_response_header(resp, "Last-Modified", slice_make(rep->last_modified, HTTP_DATE_LEN));
	http_response_header(resp, "ETag", rep->meta.etag);
}

/* Decides 200/206/304/412/416 for a representation and builds the
 * response. Takes over rep->fd (closed here or handed to resp). */
static void serve_representation(struct serve_ctx *s, const struct http_head *h,
				 const struct request *r, struct representation *rep,
				 struct response *resp, char *extra, size_t extra_cap)
{
	struct byte_range ranges[HTTP_RANGES_MAX];
	size_t nranges = 0;
	bool head_only = r->method == HTTP_HEAD;
	uint64_t size = rep->meta.size;
	enum cond_status cs = COND_OK;

	if (r->cond)
		cs = http_cond_evaluate(h, r->method, &rep->meta, ranges, &nranges);
	switch (cs) {
	case COND_NOT_MODIFIED:
		http_response_begin(resp, 304, s->date);
		add_validators(resp, rep);
		http_response_append(resp, rep->coding, strlen(rep->coding));
		http_response_append(resp, rep->cc, strlen(rep->cc));
		finish_head(s, resp);
		goto no_body;
	case COND_FAILED:
		serve_error(s, 412, head_only, resp);
		goto no_body;
	case COND_UNSATISFIABLE: {
		char body[512];
		size_t blen = http_response_error_body(416, body, sizeof body);
		int n = snprintf(s->content_range, sizeof s->content_range, "bytes */%llu",
				 (unsigned long long)size);
		http_response_begin(resp, 416, s->date);
		http_response_header(resp, "Content-Range", slice_make(s->content_range, (size_t)n));
		http_response_header(resp, "Content-Type", SLICE_LIT("text/html; charset=utf-8"));
		http_response_header_u64(resp, "Content-Length", blen);
		finish_head(s, resp);
		if (!head_only && http_response_append(resp, body, blen))
			resp->body_len = blen;
		goto no_body;
	}
	case COND_PARTIAL:
		if (nranges == 1) {
			uint64_t len = ranges[0].last - ranges[0].first + 1;
			int n = snprintf(s->content_range, sizeof s->content_range, "bytes %llu-%llu/%llu",
					 (unsigned long long)ranges[0].first,
					 (unsigned long long)ranges[0].last, (unsigned long long)size);
			http_response_begin(resp, 206, s->date);
			http_response_header(resp, "Content-Type", slice_make(rep->type, strlen(rep->type)));
			http_response_header_u64(resp, "Content-Length", len);
			http_response_header(resp, "Content-Range", slice_make(s->content_range, (size_t)n));
			resp->segs[0] = body_bytes(rep, ranges[0].first, len);
			resp->nsegs = 1;
			resp->body_len = len;
		} else {
			if (!multipart(resp, rep, ranges, nranges, extra, extra_cap))
				goto whole; /* the part headers do not fit: send it all */
			int n = snprintf(s->content_type, sizeof s->content_type,
					 "multipart/byteranges; boundary=%s", boundary);
			http_response_begin(resp, 206, s->date);
			http_response_header(resp, "Content-Type", slice_make(s->content_type, (size_t)n));
			http_response_header_u64(resp, "Content-Length", resp->body_len);
		}
		http_response_header(resp, "Accept-Ranges", SLICE_LIT("bytes"));
		add_validators(resp, rep);
		http_response_append(resp, rep->coding, strlen(rep->coding));
		http_response_append(resp, rep->cc, strlen(rep->cc));
		break;
	default:
	whole:
		http_response_begin(resp, 200, s->date);
		if (rep->e && rep->e->hdr_len) {
			/* Content-Type down to Cache-Control, made once. */
			http_response_append(resp, rep->e->hdr, rep->e->hdr_len);
		} else {
			http_response_header(resp, "Content-Type", slice_make(rep->type, strlen(rep->type)));
			http_response_header_u64(resp, "Content-Length", size);
			http_response_header(resp, "Accept-Ranges", SLICE_LIT("bytes"));
			add_validators(resp, rep);
			http_response_append(resp, rep->coding, strlen(rep->coding));
		http_response_append(resp, rep->cc, strlen(rep->cc));
		}
		resp->segs[0] = body_bytes(rep, 0, size);
		resp->nsegs = size ? 1 : 0;
		resp->body_len = size;
		break;
	}
	finish_head(s, resp);
	if (head_only || resp->nsegs == 0) {
		resp->nsegs = 0;
		resp->body_len = 0;
		goto no_body;
	}
	if (rep->e) {
		resp->blob = fc_blob_get(rep->e->body);
		return;
	}
	resp->fd = rep->fd;
	return;
no_body:
	if (rep->fd >= 0)
		close(rep->fd);
}

/* The Content-Encoding (and Vary) lines of a coding. */
static const char *coding_lines(enum http_encoding e)
{
	static const char *const lines[ENC_COUNT] = {
		"Vary: Accept-Encoding\r\n",
		"Content-Encoding: br\r\nVary: Accept-Encoding\r\n",
		"Content-Encoding: zstd\r\nVary: Accept-Encoding\r\n",
		"Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n",
	};
	return lines[e];
}

#define COMPRESS_MIN 256                /* smaller bodies gain nothing */
#define COMPRESS_MAX (16u << 20)        /* larger ones are sent as they are */

/* Codings a file can be sent with: precompressed sidecars no older than
 * the file (a stale one is never used), and on-the-fly coding of text. */
static unsigned file_codings(struct serve_ctx *s, const char *path, const struct stat *st,
			     const char *type, bool force)
{
	unsigned mask = 0;
	size_t n = strlen(path);
	char side[SERVE_PATH_MAX + 8];
	for (int e = ENC_BR; e < ENC_COUNT; e++) {
		const char *suf = http_encoding_suffix((enum http_encoding)e);
		if (n + strlen(suf) + 1 > sizeof side)
			continue;
		memcpy(side, path, n);
		strcpy(side + n, suf);
		struct stat ss;
		int fd = path_open(s->root, side);
		if (fd < 0)
			continue;
		if (fstat(fd, &ss) == 0 && S_ISREG(ss.st_mode) &&
		    (ss.st_mtim.tv_sec > st->st_mtim.tv_sec ||
		     (ss.st_mtim.tv_sec == st->st_mtim.tv_sec && ss.st_mtim.tv_nsec >= st->st_mtim.tv_nsec)))
			mask |= 1u << e;
		close(fd);
	}
	/* force: the client refused identity, so any file is coded. */
	if (s->cache && (uint64_t)st->st_size <= COMPRESS_MAX &&
	    (force || (s->cfg->compress && compress_type_ok(type) && st->st_size >= COMPRESS_MIN)))
		mask |= compress_available() << 16; /* on the fly: bits 16 and up */
	return mask;
}

/* The cache key of a coded form: "\x01gzip:" + the identity key. */
static size_t coded_key(struct serve_ctx *s, enum http_encoding e, char *out, size_t cap)
{
	int n = snprintf(out, cap, "\x01%s:%s", http_encoding_name(e), s->key);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* Sends the sidecar path+suffix as the representation. */
static bool serve_sidecar(struct serve_ctx *s, const struct http_head *h, const struct request *r,
			  enum http_encoding e, const char *type, struct response *resp, char *extra,
			  size_t extra_cap)
{
	char side[SERVE_PATH_MAX + 8];
	struct stat st;
	int n = snprintf(side, sizeof side, "%s%s", s->path, http_encoding_suffix(e));
	if (n <= 0 || (size_t)n >= sizeof side)
		return false;
	int fd = path_open(s->root, side);
	if (fd < 0)
		return false;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return false;
	}
	struct representation rep = { .fd = fd, .type = type, .coding = coding_lines(e) };
	set_policy(s, &rep, s->path);
	rep.meta.size = (uint64_t)st.st_size;
	rep.meta.mtime = st.st_mtim.tv_sec;
	rep.meta.etag = slice_make(s->etag, http_cond_etag(s->etag, (uint64_t)st.st_ino, rep.meta.size,
							   (int64_t)st.st_mtim.tv_sec, st.st_mtim.tv_nsec));
	http_date_format(st.st_mtim.tv_sec, s->last_modified);
	rep.last_modified = s->last_modified;
	serve_representation(s, h, r, &rep, resp, extra, extra_cap);
	return true;
}

static bool serve_cached(struct serve_ctx *s, const struct http_head *h, const struct request *r,
			 struct fc_entry *e, struct response *resp, char *extra, size_t extra_cap);

/* Compresses the file (fd) with e, caches the result under its coded key
 * and serves it from there. */
static bool serve_compressed(struct serve_ctx *s, const struct http_head *h, const struct request *r,
			     enum http_encoding e, int fd, const struct stat *st, const char *type,
			     bool force, struct response *resp, char *extra, size_t extra_cap)
{
	char key[SERVE_PATH_MAX + 16], suffix[16], cc[80];
	size_t klen = coded_key(s, e, key, sizeof key);
	size_t len = (size_t)st->st_size, got = 0;
	char *data = klen ? malloc(len) : NULL;
	if (!data)
		return false;
	while (got < len) {
		ssize_t n = pread(fd, data + got, len - got, (off_t)got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	struct fc_blob *body = got == len ? compress_encode(e, data, len, force) : NULL;
	free(data);
	if (!body)
		return false;
	cache_policy_header(slice_make(s->path, strlen(s->path)), type, s->cfg->max_age,
			    s->cfg->smart_cache, cc, sizeof cc);
	snprintf(suffix, sizeof suffix, "-%s", http_encoding_name(e));
	struct fc_entry *ent = file_cache_add_blob(s->cache, key, klen, s->path, st, type,
						   slice_make(cc, strlen(cc)), body, suffix,
						   coding_lines(e), s->now);
	if (!ent)
		return false;
	ent->checked = s->now;
	return serve_cached(s, h, r, ent, resp, extra, extra_cap);
}

static void serve_file(struct serve_ctx *s, const struct http_head *h, const struct request *r,
		       int fd, const struct stat *st, struct slice name, struct response *resp,
		       char *extra, size_t extra_cap, const enum http_encoding *order, int nenc,
		       bool identity_ok)
{
	struct representation rep = { .fd = fd, .type = mime_lookup(name) };
	unsigned codings = file_codings(s, s->path, st, rep.type, !identity_ok);

	/* Content negotiation first: a coded form the client prefers. */
	for (int i = 0; i < nenc && !(r->cond & REQ_RANGE); i++) {
		if ((codings & (1u << order[i])) &&
		    serve_sidecar(s, h, r, order[i], rep.type, resp, extra, extra_cap)) {
			close(fd);
			return;
		}
		if ((codings & (1u << (16 + order[i]))) &&
		    serve_compressed(s, h, r, order[i], fd, st, rep.type, !identity_ok, resp, extra,
				     extra_cap)) {
			close(fd);
			return;
		}
	}
	if (!identity_ok) {
		/* RFC 9110 section 12.5.3: no coding the client takes, and it
		 * refused the uncoded form. */
		close(fd);
		serve_error(s, 406, r->method == HTTP_HEAD, resp);
		return;
	}
	rep.coding = codings ? coding_lines(ENC_IDENTITY) : "";
	set_policy(s, &rep, s->path);
	rep.meta.size = (uint64_t)st->st_size;
	rep.meta.mtime = st->st_mtim.tv_sec;
	if (s->cache && rep.meta.size <= s->cache->max_file) {
		char extra_lines[160];
		snprintf(extra_lines, sizeof extra_lines, "%s%s", rep.coding, rep.cc);
		rep.e = file_cache_add(s->cache, s->key, strlen(s->key), s->path, fd, st, rep.type,
				       slice_make(extra_lines, strlen(extra_lines)), s->now);
		if (rep.e) {
			rep.e->codings = codings;
			rep.e->coding = rep.coding;
			close(fd);
			rep.fd = -1;
			rep.meta.etag = slice_make(rep.e->etag, rep.e->etag_len);
			rep.last_modified = rep.e->last_modified;
			serve_representation(s, h, r, &rep, resp, extra, extra_cap);
			return;
		}
	}
	rep.meta.etag = slice_make(s->etag, http_cond_etag(s->etag, (uint64_t)st->st_ino, rep.meta.size,
							   (int64_t)st->st_mtim.tv_sec,
							   st->st_mtim.tv_nsec));
	http_date_format(st->st_mtim.tv_sec, s->last_modified);
	rep.last_modified = s->last_modified;
	serve_representation(s, h, r, &rep, resp, extra, extra_cap);
}

/* A cache hit: trusted for FILE_CACHE_TTL seconds, then the path is opened
 * again and compared, so replacing a file is noticed. Returns false when
 * the entry is gone and the request takes the slow path. */
static bool serve_cached(struct serve_ctx *s, const struct http_head *h, const struct request *r,
			 struct fc_entry *e, struct response *resp, char *extra, size_t extra_cap)
{
	if (s->now - e->checked >= FILE_CACHE_TTL) {
		struct stat st;
		int fd = path_open(s->root, e->file);
		bool same = fd >= 0 && fstat(fd, &st) == 0 && file_cache_same(e, &st);
		if (fd >= 0)
			close(fd);
		/* Sidecars may have come or gone: the identity entry's
		 * codings are looked at again. */
		if (!same ||
		    (e->key[0] != '\x01' && file_codings(s, e->file, &st, e->type, false) != e->codings)) {
			file_cache_remove(s->cache, e);
			return false;
		}
		e->checked = s->now;
	}
	struct representation rep = {
		.fd = -1,
		.e = e,
		.type = e->type,
		.last_modified = e->last_modified,
		.coding = e->coding,
		.meta = { .size = e->size, .mtime = e->mtime.tv_sec,
			  .etag = slice_make(e->etag, e->etag_len) },
	};
	if (r->cond) /* the 200 header lines carry it already */
		set_policy(s, &rep, e->file);
	serve_representation(s, h, r, &rep, resp, extra, extra_cap);
	return true;
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
		if ((!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) || is_own_file(s, &st))
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
	generated_page_headers(resp);
	finish_head(s, resp);
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

static void serve_listing(struct serve_ctx *s, const struct http_head *h, const struct request *r,
			  size_t len, struct response *resp)
{
	struct listing l = { 0 };
	size_t n = 0;
	char *page = NULL;
	int rc = read_listing(s, len, &l);
	if (rc < 0) {
		serve_error(s, errno_status(-rc), r->method == HTTP_HEAD, resp);
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

/* OPTIONS: the methods, and for a CORS preflight (an Origin with
 * Access-Control-Request-Method) what the browser may do. */
static void serve_options(struct serve_ctx *s, const struct http_head *h, struct response *resp)
{
	http_response_begin(resp, 204, s->date);
	http_response_header(resp, "Allow", SLICE_LIT("GET, HEAD, OPTIONS"));
	if (s->cfg->cors_origin && http_head_find(h, "origin") &&
	    http_head_find(h, "access-control-request-method")) {
		const struct http_header *rh = http_head_find(h, "access-control-request-headers");
		http_response_header(resp, "Access-Control-Allow-Methods", SLICE_LIT("GET, HEAD, OPTIONS"));
		if (rh && rh->value.len)
			http_response_header(resp, "Access-Control-Allow-Headers", rh->value);
		http_response_header(resp, "Access-Control-Max-Age", SLICE_LIT("86400"));
	}
	finish_head(s, resp);
}

/* Opens s->path (len bytes) and stats it; returns the fd or -errno. */
static int open_stat(struct serve_ctx *s, struct stat *st)
{
	int fd = path_open(s->root, s->path);
	if (fd >= 0 && fstat(fd, st) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

/* The last segment has an extension: a missing asset, not an app route. */
static bool looks_like_asset(const char *path, size_t len)
{
	for (size_t i = len; i > 0 && path[i - 1] != '/'; i--)
		if (path[i - 1] == '.')
			return true;
	return false;
}

/* A missing path may still have an answer: "about.html" for "/about"
 * (--pretty-urls), or the single-page app's file (--fallback). On success
 * s->path names the file, *len its length, and the fd is returned. */
static int open_alternative(struct serve_ctx *s, const struct request *r, long *len,
			    unsigned flags, struct stat *st)
{
	const struct config *cfg = s->cfg;
	if (cfg->pretty_urls && !(flags & PATH_TRAILING_SLASH) && *len > 0 &&
	    (size_t)*len + 6 < sizeof s->path && !(*len == 1 && s->path[0] == '.')) {
		memcpy(s->path + *len, ".html", 6);
		int fd = open_stat(s, st);
		if (fd >= 0 && S_ISREG(st->st_mode)) {
			*len += 5;
			return fd;
		}
		if (fd >= 0)
			close(fd);
		s->path[*len] = '\0';
	}
	if (cfg->fallback && (r->method == HTTP_GET || r->method == HTTP_HEAD) &&
	    !looks_like_asset(s->path, (size_t)*len)) {
		unsigned f;
		long n = path_normalize(slice_make(cfg->fallback, strlen(cfg->fallback)), s->path,
					sizeof s->path, &f);
		if (n > 0) {
			int fd = open_stat(s, st);
			if (fd >= 0 && S_ISREG(st->st_mode)) {
				*len = n;
				return fd;
			}
			if (fd >= 0)
				close(fd);
		}
	}
	return -ENOENT;
}

/* A directory asked for with its slash: the first index file that exists. */
static int open_index(struct serve_ctx *s, long *len, struct stat *st)
{
	size_t base = (*len == 1 && s->path[0] == '.') ? 0 : (size_t)*len;
	int fd = -ENOENT;
	for (unsigned i = 0; i < s->cfg->nindexes; i++) {
		size_t n = strlen(s->cfg->indexes[i]);
		if (base + 1 + n + 1 > sizeof s->path)
			continue;
		if (base)
			s->path[base] = '/';
		memcpy(s->path + base + (base ? 1 : 0), s->cfg->indexes[i], n + 1);
		fd = open_stat(s, st);
		if (fd >= 0 && S_ISREG(st->st_mode)) {
			*len = (long)(base + (base ? 1 : 0) + n);
			return fd;
		}
		if (fd >= 0) {
			close(fd);
			fd = -ENOENT;
		}
		if (fd != -ENOENT && fd != -ENOTDIR)
			break;
	}
	s->path[base ? base : 1] = '\0';
	if (!base)
		s->path[0] = '.';
	return fd;
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
	resp->blob = NULL;
	resp->nsegs = 0;
	resp->body_len = 0;
	if (r->method == HTTP_OPTIONS) {
		serve_options(s, h, resp);
		return;
	}
	if (s->auth) {
		const struct http_header *a = http_head_find(h, "authorization");
		if (!a || !auth_check(s->auth, &s->auth_cache, a->value)) {
			serve_error(s, 401, head_only, resp);
			return;
		}
	}
	len = path_normalize(r->path, s->path, sizeof s->path - 16, &flags);
	if (len < 0) {
		serve_error(s, len == PATH_TOO_LONG ? 414 : 400, head_only, resp);
		return;
	}
	if ((flags & PATH_DOTFILE) && !s->cfg->dotfiles) {
		serve_error(s, 404, head_only, resp);
		return;
	}
	/* The cache key is the normalised path, with a '/' when the request
	 * named a directory (its index is what gets cached). */
	memcpy(s->key, s->path, (size_t)len);
	size_t klen = (size_t)len;
	if (flags & PATH_TRAILING_SLASH)
		s->key[klen++] = '/';
	s->key[klen] = '\0';
	enum http_encoding order[3];
	bool identity_ok = true;
	int nenc = 0;
	unsigned accepted = 0;
	if (r->accept_encoding && !(r->cond & REQ_RANGE))
		nenc = http_encoding_order(h, order, &identity_ok);
	for (int i = 0; i < nenc; i++)
		accepted |= 1u << order[i] | 1u << (16 + order[i]);
	if (s->cache) {
		char ckey[SERVE_PATH_MAX + 16];
		/* Only the client's first choice among the codings this build
		 * can make: a cached second choice must not win over it. */
		for (int i = 0; i < nenc; i++) {
			if (!(compress_available() & (1u << order[i])))
				continue;
			size_t cl = coded_key(s, order[i], ckey, sizeof ckey);
			struct fc_entry *e = cl ? file_cache_find(s->cache, ckey, cl) : NULL;
			if (e && serve_cached(s, h, r, e, resp, extra, extra_cap))
				return;
			break;
		}
		struct fc_entry *e = file_cache_find(s->cache, s->key, klen);
		/* The identity form answers unless a coding the client takes
		 * could be made or found (then the slow path negotiates). */
		if (e && identity_ok && !(e->codings & accepted) &&
		    serve_cached(s, h, r, e, resp, extra, extra_cap))
			return;
	}
	fd = open_stat(s, &st);
	if (fd == -ENOENT || fd == -ENOTDIR)
		fd = open_alternative(s, r, &len, flags, &st);
	if (fd < 0) {
		serve_error(s, errno_status(-fd), head_only, resp);
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		if (!(flags & PATH_TRAILING_SLASH) && !(len == 1 && s->path[0] == '.')) {
			redirect_to_dir(s, r, (size_t)len, resp);
			return;
		}
		size_t dir_len = (size_t)len;
		fd = open_index(s, &len, &st);
		if (fd == -ENOENT && s->cfg->list) {
			serve_listing(s, h, r, dir_len, resp);
			return;
		}
		if (fd < 0) {
			serve_error(s, fd == -ENOENT ? 403 : errno_status(-fd), head_only, resp);
			return;
		}
	} else if (flags & PATH_TRAILING_SLASH) {
		close(fd); /* "/file.txt/" names no directory */
		serve_error(s, 404, head_only, resp);
		return;
	}
	if (!S_ISREG(st.st_mode) || is_own_file(s, &st)) {
		close(fd);
		serve_error(s, S_ISREG(st.st_mode) ? 404 : 403, head_only, resp);
		return;
	}
	serve_file(s, h, r, fd, &st, slice_make(s->path, (size_t)len), resp, extra, extra_cap, order,
		   nenc, identity_ok);
}
