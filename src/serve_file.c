/* serve_file.c - one file as a representation: content negotiation
 * (precompressed sidecars, on-the-fly coding cached per file), the
 * in-memory cache of small files, then the 200/206/304/412/416 decision of
 * http_cond and the header block with its body segments. */
#include "serve_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache_policy.h"
#include "compress.h"
#include "http_date.h"
#include "mime.h"

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
				 i ? "\r\n" : "", serve_boundary(), rep->type, (unsigned long long)rg[i].first,
				 (unsigned long long)rg[i].last, (unsigned long long)rep->meta.size);
		if (m < 0 || (size_t)m >= cap - w)
			return false;
		resp->segs[k++] = (struct body_seg){ extra + w, 0, (uint64_t)m };
		resp->segs[k++] = body_bytes(rep, rg[i].first, rg[i].last - rg[i].first + 1);
		total += (uint64_t)m + rg[i].last - rg[i].first + 1;
		w += (size_t)m;
	}
	int m = snprintf(extra + w, cap - w, "\r\n--%s--\r\n", serve_boundary());
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
		serve_finish_head(s, resp);
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
		serve_finish_head(s, resp);
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
					 "multipart/byteranges; serve_boundary()=%s", serve_boundary());
			http_response_begin(resp, 206, s->date);
			http_response_header(resp, "Content-Type", slice_make(s->content_type, (size_t)n));
			http_response_header_u64(resp, "Content-Length", resp->body_len);
		}
		if (strncmp(rep->coding, "Content-Encoding", 16) != 0) /* ranges: identity only */
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
			if (strncmp(rep->coding, "Content-Encoding", 16) != 0) /* ranges: identity only */
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
	serve_finish_head(s, resp);
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
size_t serve_coded_key(struct serve_ctx *s, enum http_encoding e, char *out, size_t cap)
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


/* Compresses the file (fd) with e, caches the result under its coded key
 * and serves it from there. */
static bool serve_compressed(struct serve_ctx *s, const struct http_head *h, const struct request *r,
			     enum http_encoding e, int fd, const struct stat *st, const char *type,
			     bool force, struct response *resp, char *extra, size_t extra_cap)
{
	char key[SERVE_PATH_MAX + 16], suffix[16], cc[80];
	bool suffix_none = false;
	size_t klen = serve_coded_key(s, e, key, sizeof key);
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
	if (got != len) {
		free(data);
		return false;
	}
	struct fc_blob *body = compress_encode(e, data, len, force);
	const char *coding = coding_lines(e);
	if (!body) {
		/* No gain (or the coder failed): what clients that prefer e
		 * get is the file as it is, remembered under the coded key so
		 * the next request does not try again. */
		body = malloc(sizeof *body + (len ? len : 1));
		if (!body) {
			free(data);
			return false;
		}
		body->refs = 1;
		body->len = len;
		memcpy(body->data, data, len);
		coding = coding_lines(ENC_IDENTITY);
		suffix_none = true;
	}
	free(data);
	cache_policy_header(slice_make(s->path, strlen(s->path)), type, s->cfg->max_age,
			    s->cfg->smart_cache, cc, sizeof cc);
	snprintf(suffix, sizeof suffix, "-%s", http_encoding_name(e));
	struct fc_entry *ent = file_cache_add_blob(s->cache, key, klen, s->path, st, type,
						   slice_make(cc, strlen(cc)), body,
						   suffix_none ? "" : suffix, coding, s->now);
	if (!ent)
		return false;
	ent->checked = s->now;
	return serve_cached(s, h, r, ent, resp, extra, extra_cap);
}

void serve_file(struct serve_ctx *s, const struct http_head *h, const struct request *r,
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
bool serve_cached(struct serve_ctx *s, const struct http_head *h, const struct request *r,
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
