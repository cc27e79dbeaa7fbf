/* serve_file.c - one file as a representation: content negotiation
 * (precompressed sidecars, on-the-fly coding cached per file), the
 * in-memory cache of small files, then the 200/206/304/412/416 decision of
 * http_cond and the header block with its body segments.
 *
 * On-the-fly coding never costs the event loop more than a small file's
 * worth: files up to COMPRESS_INLINE_MAX are coded inline; larger ones by
 * the helper pool. A GET of a file up to COMPRESS_WAIT_MAX waits for the
 * job (its connection only); a HEAD or a larger file gets the identity
 * form at once while the job fills the cache for the next request, since
 * coding megabytes takes seconds; a client that refuses identity always
 * waits. */
#include "serve_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache_policy.h"
#include "compress.h"
#include "http_date.h"
#include "http_multipart.h"
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

/* A date validator is strong once the file has not changed for a second
 * (RFC 9110 section 8.8.2.2): a second change within the same second
 * would carry the same Last-Modified. */
static bool date_strong(const struct serve_ctx *s, struct timespec mtime)
{
	int64_t d;
	if (__builtin_sub_overflow((int64_t)s->wall.tv_sec, (int64_t)mtime.tv_sec, &d))
		return mtime.tv_sec < 0; /* far apart: old if the mtime is negative */
	return d > 1 || (d == 1 && s->wall.tv_nsec >= mtime.tv_nsec);
}

static bool is_coded(const char *coding_lines)
{
	return strncmp(coding_lines, "Content-Encoding", 16) == 0;
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
	/* Ranges are served from the identity form only. */
	if (cs == COND_PARTIAL && is_coded(rep->coding))
		cs = COND_OK;
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
		char body[HTTP_ERROR_PAGE_MAX];
		size_t blen = http_response_error_body(416, body, sizeof body);
		int n = snprintf(s->content_range, sizeof s->content_range, "bytes */%llu",
				 (unsigned long long)size);
		http_response_begin(resp, 416, s->date);
		http_response_header(resp, "Content-Range", slice_make(s->content_range, (size_t)n));
		http_response_header(resp, "Content-Type", SLICE_LIT("text/html; charset=utf-8"));
		http_response_header_u64(resp, "Content-Length", blen);
		serve_page_headers(resp);
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
			resp->segs[0] = (struct body_seg){ NULL, ranges[0].first, len };
			resp->nsegs = 1;
			resp->body_len = len;
		} else {
			http_multipart_boundary(&s->rng, s->boundary);
			int k = http_multipart_layout(ranges, nranges, size, rep->type, s->boundary, extra,
						      extra_cap, resp->segs, RESP_SEGS_MAX,
						      &resp->body_len);
			if (k < 0)
				goto whole; /* the part headers do not fit: send it all */
			resp->nsegs = (unsigned)k;
			int n = snprintf(s->content_type, sizeof s->content_type,
					 "multipart/byteranges; boundary=%s", s->boundary);
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
			if (!is_coded(rep->coding))
				http_response_header(resp, "Accept-Ranges", SLICE_LIT("bytes"));
			add_validators(resp, rep);
			http_response_append(resp, rep->coding, strlen(rep->coding));
			http_response_append(resp, rep->cc, strlen(rep->cc));
		}
		resp->segs[0] = (struct body_seg){ NULL, 0, size };
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
		/* Range segments of a cached body point into its bytes. */
		for (unsigned i = 0; i < resp->nsegs; i++)
			if (!resp->segs[i].mem)
				resp->segs[i].mem = rep->e->body->data + resp->segs[i].off;
		resp->blob = fc_blob_get(rep->e->body);
		return;
	}
	resp->fd = rep->fd;
	return;
no_body:
	if (rep->fd >= 0)
		close(rep->fd);
}

void serve_entry(struct serve_ctx *s, const struct http_head *h, const struct request *r,
		 struct fc_entry *e, struct response *resp, char *extra, size_t extra_cap)
{
	struct representation rep = {
		.fd = -1,
		.e = e,
		.type = e->type,
		.last_modified = e->last_modified,
		.coding = e->coding_lines,
		.meta = { .size = e->size, .mtime = e->last_modified_t,
			  .etag = slice_make(e->etag, e->etag_len) },
	};
	if (e->kind == FC_FILE) {
		rep.meta.date_strong = date_strong(s, e->mtime);
		if (r->cond) /* the 200 header lines carry it already */
			set_policy(s, &rep, e->file);
	} else {
		rep.meta.date_strong = s->wall.tv_sec > e->last_modified_t + 1;
		snprintf(rep.cc, sizeof rep.cc, "Cache-Control: no-cache\r\n");
	}
	serve_representation(s, h, r, &rep, resp, extra, extra_cap);
}

/* The largest file coded on the fly: a quarter of the budget at most, so
 * one file cannot push everything else out. */
static uint64_t compress_limit(const struct serve_ctx *s)
{
	uint64_t q = s->cache->max_bytes / 4;
	return q < COMPRESS_MAX ? q : COMPRESS_MAX;
}

/* Codings a file can be sent with: precompressed sidecars no older than
 * the file (a stale one is never used), and on-the-fly coding of text
 * types when compression is on. force (the client refuses identity) lifts
 * only the minimum size: never --no-compress or the type rules. */
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
		if (fstat(fd, &ss) == 0 && S_ISREG(ss.st_mode) && !serve_is_own_file(s, &ss) &&
		    (ss.st_mtim.tv_sec > st->st_mtim.tv_sec ||
		     (ss.st_mtim.tv_sec == st->st_mtim.tv_sec && ss.st_mtim.tv_nsec >= st->st_mtim.tv_nsec)))
			mask |= 1u << e;
		close(fd);
	}
	if (file_cache_enabled(s->cache) && s->cfg->compress && compress_type_ok(type) &&
	    (uint64_t)st->st_size <= compress_limit(s) && (force || st->st_size >= COMPRESS_MIN))
		mask |= compress_available() << 16; /* on the fly: bits 16 and up */
	return mask;
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
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || serve_is_own_file(s, &st)) {
		close(fd);
		return false;
	}
	struct representation rep = { .fd = fd, .type = type, .coding = serve_coding_lines(e) };
	set_policy(s, &rep, s->path);
	rep.meta.size = (uint64_t)st.st_size;
	rep.meta.mtime = http_date_clamp(st.st_mtim.tv_sec);
	rep.meta.date_strong = date_strong(s, st.st_mtim);
	rep.meta.etag = slice_make(s->etag, http_cond_etag(s->etag, (uint64_t)st.st_ino, rep.meta.size,
							   (int64_t)st.st_mtim.tv_sec, st.st_mtim.tv_nsec));
	http_date_format(st.st_mtim.tv_sec, s->last_modified);
	rep.last_modified = s->last_modified;
	serve_representation(s, h, r, &rep, resp, extra, extra_cap);
	return true;
}

/* Background coding: at most this many jobs at once, one per key. */
#define BACKGROUND_MAX 8
static struct {
	pthread_mutex_t lock;
	uint64_t key[BACKGROUND_MAX]; /* 0: free */
} background = { .lock = PTHREAD_MUTEX_INITIALIZER };

static uint64_t background_key(const char *key, size_t len, enum http_encoding e)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)key[i]) * 1099511628211ULL;
	h = (h ^ (uint64_t)e) * 1099511628211ULL;
	return h ? h : 1;
}

/* Claims a slot for k; false when k is being made already or all slots
 * are busy. */
static bool background_claim(uint64_t k)
{
	int free_slot = -1;
	pthread_mutex_lock(&background.lock);
	for (int i = 0; i < BACKGROUND_MAX; i++) {
		if (background.key[i] == k) {
			pthread_mutex_unlock(&background.lock);
			return false;
		}
		if (!background.key[i] && free_slot < 0)
			free_slot = i;
	}
	if (free_slot >= 0)
		background.key[free_slot] = k;
	pthread_mutex_unlock(&background.lock);
	return free_slot >= 0;
}

static void background_release(uint64_t k)
{
	pthread_mutex_lock(&background.lock);
	for (int i = 0; i < BACKGROUND_MAX; i++)
		if (background.key[i] == k)
			background.key[i] = 0;
	pthread_mutex_unlock(&background.lock);
}

static void background_done(struct pool_job *p)
{
	struct serve_job *j = serve_job_of(p);
	background_release(background_key(j->key, j->key_len, j->coding));
	serve_job_free(j);
}

static struct serve_job *compress_job(struct serve_ctx *s, enum http_encoding e, int fd,
				      const struct stat *st, const char *type, bool forced,
				      const char *cc, bool waited_on)
{
	struct serve_job *j =
		waited_on ? serve_job_waiting(SERVE_JOB_COMPRESS, s->key, s->key_len, s->path)
			  : serve_job_new(SERVE_JOB_COMPRESS, s->key, s->key_len, s->path);
	if (!j)
		return NULL;
	j->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (j->fd < 0) {
		serve_job_free(j);
		return NULL;
	}
	j->cache = s->cache;
	j->now = s->now;
	j->st = *st;
	j->coding = e;
	j->forced = forced;
	j->type = type;
	snprintf(j->cc, sizeof j->cc, "%s", cc);
	return j;
}

/* Starts coding a large file in the background; the request itself is
 * answered with the identity form. */
static void start_background(struct serve_ctx *s, enum http_encoding e, int fd,
			     const struct stat *st, const char *type, const char *cc)
{
	uint64_t k = background_key(s->key, s->key_len, e);
	if (!background_claim(k))
		return;
	struct serve_job *j = compress_job(s, e, fd, st, type, false, cc, false);
	if (j) {
		j->background = true;
		j->base.done = background_done;
		if (pool_submit(serve_job_base(j)))
			return;
		serve_job_free(j);
	}
	background_release(k);
}

enum coded_outcome {
	CODED_SERVED,   /* resp is the coded form */
	CODED_DEFERRED, /* resp->job is set: wait for it */
	CODED_NONE,     /* no coded form now: identity (or 406) */
};

/* The coded form e of the file fd: from the cache, made inline when the
 * file is small, or by the helper pool. */
static enum coded_outcome serve_compressed(struct serve_ctx *s, const struct http_head *h,
					   const struct request *r, enum http_encoding e, int fd,
					   const struct stat *st, const char *type, bool forced,
					   struct response *resp, char *extra, size_t extra_cap)
{
	char cc[80];
	struct fc_entry *ent = NULL;
	bool no_room;

	if (s->done && s->done->kind == SERVE_JOB_COMPRESS) {
		/* This request's job finished (or found no room in the pool):
		 * its result, whatever it is. */
		ent = s->done->entry;
		bool rejected = s->done->rejected;
		s->done = NULL;
		if (!ent && rejected && forced) {
			serve_error(s, 503, r->method == HTTP_HEAD, resp);
			return CODED_SERVED;
		}
		if (!ent)
			return CODED_NONE;
		serve_entry(s, h, r, ent, resp, extra, extra_cap);
		return CODED_SERVED;
	}
	cache_policy_header(slice_make(s->path, strlen(s->path)), type, s->cfg->max_age,
			    s->cfg->smart_cache, cc, sizeof cc);
	for (int variant = 0; variant <= (forced ? 1 : 0); variant++) {
		struct fc_key k = { s->key, s->key_len, FC_FILE, (uint8_t)e, (uint8_t)variant };
		struct fc_entry *have = file_cache_get(s->cache, &k);
		if (!have)
			break;
		if (!file_cache_same(have, st) || strcmp(have->file, s->path) != 0) {
			file_cache_remove(s->cache, have); /* an older version */
			file_cache_release(have);
			break;
		}
		file_cache_touch(have, s->now);
		if (have->body) {
			serve_entry(s, h, r, have, resp, extra, extra_cap);
			file_cache_release(have);
			return CODED_SERVED;
		}
		file_cache_release(have);
		if (!forced)
			return CODED_NONE; /* it gains nothing: identity */
	}
	if ((uint64_t)st->st_size <= COMPRESS_INLINE_MAX) {
		ent = serve_compress_file(s->cache, s->key, s->key_len, s->path, fd, st, e, forced, type,
					  cc, s->now, &no_room);
		if (!ent)
			return CODED_NONE;
		serve_entry(s, h, r, ent, resp, extra, extra_cap);
		file_cache_release(ent);
		return CODED_SERVED;
	}
	/* A GET of a file of moderate size waits for its coded form (tens of
	 * milliseconds in a helper thread); a HEAD, or a larger file, gets
	 * the identity form now while a helper makes the coded one. */
	if (!forced && (r->method != HTTP_GET || (uint64_t)st->st_size > COMPRESS_WAIT_MAX)) {
		start_background(s, e, fd, st, type, cc);
		return CODED_NONE;
	}
	struct serve_job *j = compress_job(s, e, fd, st, type, forced, cc, true);
	if (!j && forced) {
		serve_error(s, 503, r->method == HTTP_HEAD, resp);
		return CODED_SERVED;
	}
	if (!j) {
		/* Too many waiting: this one gets the identity form. */
		start_background(s, e, fd, st, type, cc);
		return CODED_NONE;
	}
	resp->job = j;
	return CODED_DEFERRED;
}

void serve_file(struct serve_ctx *s, const struct http_head *h, const struct request *r,
		int fd, const struct stat *st, struct slice name, struct response *resp,
		char *extra, size_t extra_cap, const enum http_encoding *order, int nenc,
		bool identity_ok)
{
	struct representation rep = { .fd = fd, .type = mime_lookup(name) };
	unsigned codings = file_codings(s, s->path, st, rep.type, !identity_ok);

	/* Content negotiation first: a coded form the client prefers. Only
	 * the first coding that could be made on the fly is tried: one
	 * that gains nothing or does not fit stops the others. */
	bool tried = false;
	for (int i = 0; i < nenc; i++) {
		if ((codings & (1u << order[i])) &&
		    serve_sidecar(s, h, r, order[i], rep.type, resp, extra, extra_cap)) {
			close(fd);
			return;
		}
		if (tried || !(codings & (1u << (16 + order[i]))))
			continue;
		tried = true;
		enum coded_outcome o = serve_compressed(s, h, r, order[i], fd, st, rep.type,
							!identity_ok, resp, extra, extra_cap);
		if (o != CODED_NONE) {
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
	rep.coding = codings ? serve_coding_lines(ENC_IDENTITY) : "";
	set_policy(s, &rep, s->path);
	rep.meta.size = (uint64_t)st->st_size;
	rep.meta.mtime = http_date_clamp(st->st_mtim.tv_sec);
	rep.meta.date_strong = date_strong(s, st->st_mtim);
	if (file_cache_enabled(s->cache) && rep.meta.size <= s->cache->max_file) {
		struct fc_key k = { s->key, s->key_len, FC_FILE, ENC_IDENTITY, 0 };
		struct fc_entry *have = file_cache_get(s->cache, &k);
		bool same = have && have->body && file_cache_same(have, st) &&
			    strcmp(have->file, s->path) == 0;
		struct fc_entry *ent = NULL;
		if (same && have->codings == codings) {
			file_cache_touch(have, s->now);
			ent = have;
			have = NULL;
		} else {
			/* New, changed, or its sidecars changed: the bytes
			 * are read again unless only the sidecars did. */
			struct fc_blob *body = same ? fc_blob_get(have->body)
						    : file_cache_read(s->cache, fd, st);
			if (body) {
				struct fc_meta m = {
					.file = s->path, .st = st, .type = rep.type,
					.hdr_extra = slice_make(rep.cc, strlen(rep.cc)),
					.coding_lines = rep.coding, .codings = codings, .now = s->now,
				};
				ent = file_cache_insert(s->cache, &k, &m, body);
			}
		}
		file_cache_release(have);
		if (ent) {
			close(fd);
			serve_entry(s, h, r, ent, resp, extra, extra_cap);
			file_cache_release(ent);
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

bool serve_cached(struct serve_ctx *s, const struct http_head *h, const struct request *r,
		  struct fc_entry *e, struct response *resp, char *extra, size_t extra_cap)
{
	/* Past FILE_CACHE_TTL the request is resolved again from the top:
	 * a new file in front of a fallback, a higher-ranked index file or
	 * a rewrite in place is then seen. */
	if (!file_cache_fresh(e, s->now) || !e->body)
		return false;
	serve_entry(s, h, r, e, resp, extra, extra_cap);
	return true;
}
