/* serve_internal.h - what serve.c, serve_file.c and serve_page.c share;
 * not for the rest of the server. */
#ifndef SERVE_INTERNAL_H
#define SERVE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "file_cache.h"
#include "http_encoding.h"
#include "pool.h"
#include "serve.h"

/* The operator's -H lines, CORS, Connection and the empty line. */
void serve_finish_head(struct serve_ctx *s, struct response *resp);

/* nosniff and a Content-Security-Policy for pages the server generates. */
void serve_page_headers(struct response *resp);

/* serve_error with a hint paragraph on the built-in page (static HTML). */
void serve_error_hint(struct serve_ctx *s, int status, const char *hint, bool head_only,
		      struct response *resp);

/* The request comes from this machine (loopback, or a unix socket). */
bool serve_client_local(const struct serve_ctx *s);

/* The pid file or a log file: never served. */
bool serve_is_own_file(const struct serve_ctx *s, const struct stat *st);

/* The status for an open(2) error: 404, 403 or 500. */
int serve_errno_status(int err);

/* 301 to the slash form of the directory s->path (len bytes). */
void serve_redirect_to_dir(struct serve_ctx *s, const struct request *r, size_t len,
			   struct response *resp);

/* A redirect to s->location (len bytes) with this status. */
void serve_redirect_location(struct serve_ctx *s, const struct request *r, int status, size_t len,
			     struct response *resp);

/* Basic authentication against s->auth: true to go on, else resp holds
 * the 401 (or the job that checks the password). */
bool serve_authorized(struct serve_ctx *s, const struct http_head *h, bool head_only,
		      struct response *resp);

/* GET /.well-known/acme-challenge/TOKEN from the challenge directory:
 * true when it answered. */
bool serve_acme_request(struct serve_ctx *s, const struct request *r, struct response *resp);

/* The site's path rules for the normalised s->path (*len bytes): 1 when
 * resp holds the answer (a redirect, a status, a 401), 0 to go on, with
 * s->path, *len and *flags rewritten when a rule said so. */
int serve_rules(struct serve_ctx *s, const struct http_head *h, const struct request *r,
		long *len, unsigned *flags, struct response *resp);

/* The users the rules ask for on the file finally served (rel, len bytes,
 * normalised: an index, a pretty URL, a rewrite target), when they are not
 * the ones already asked for: 1 when resp holds the answer (401, a job). */
int serve_rules_final(struct serve_ctx *s, const struct http_head *h, const struct request *r,
		      const char *rel, size_t len, struct response *resp);

/* OPTIONS (a CORS preflight, which carries no credentials): the path's
 * CORS origin and header rules, and nothing else of its rules. False
 * when the path costs more to look up than the rules allow (414). */
bool serve_rules_preflight(struct serve_ctx *s, const struct request *r);

/* The header changes of the rules matching the request's path. */
void serve_rules_headers(struct serve_ctx *s, struct response *resp);

/* The listing of directory s->path (len bytes), HTML or JSON by Accept,
 * from the cache or built by the helper pool (resp->job). */
void serve_listing(struct serve_ctx *s, const struct http_head *h, const struct request *r,
		   size_t len, const enum http_encoding *order, int nenc, bool identity_ok,
		   struct response *resp, char *extra, size_t extra_cap);

/* What a job does off the loop, and what it hands back. */
enum serve_job_kind {
	SERVE_JOB_AUTH,     /* check a password hash */
	SERVE_JOB_COMPRESS, /* compress a large file into the cache */
	SERVE_JOB_LISTING,  /* read a directory and format its page */
};

struct serve_job {
	struct pool_job base;
	enum serve_job_kind kind;
	struct file_cache *cache;
	uint32_t now;
	/* Results. */
	bool auth_ok;
	struct fc_entry *entry; /* the representation made, referenced, or NULL */
	bool no_room;           /* the budget could not take it */
	bool rejected;          /* the pool's queue was full: the job never ran */
	bool admitted;          /* counted by serve_job_waiting */
	/* SERVE_JOB_AUTH */
	const struct auth *auth;
	uint8_t client[16]; /* counted by auth_begin until the job is freed */
	bool counted;
	char *value;
	size_t value_len;
	/* SERVE_JOB_COMPRESS and SERVE_JOB_LISTING */
	char *key; /* malloc'd, with file */
	size_t key_len;
	char *file;
	int fd;
	struct stat st;
	enum http_encoding coding;
	bool forced;
	const char *type;
	char cc[80];
	bool background; /* nobody waits: counted in the background limit */
	struct site_set *hold; /* kept alive while the job lives, or NULL */
	/* SERVE_JOB_LISTING */
	const struct path_root *root;
	const struct config *cfg;
	const struct own_file *own;
	bool netlify; /* the root's _headers and _redirects are not listed */
	bool json;
	int order; /* enum listing_order */
	bool desc;
};

/* A job a connection will wait on: as serve_job_new, or NULL when too
 * many of its kind are waiting already. */
struct serve_job *serve_job_waiting(enum serve_job_kind kind, const char *key, size_t key_len,
				    const char *file);

/* A new job of kind for key (copied, with file), or NULL. */
struct serve_job *serve_job_new(enum serve_job_kind kind, const char *key, size_t key_len,
				const char *file);

/* The coded form (coding e) of the file fd (stat st, path file, request
 * key) made and put in the cache: the entry to serve (referenced), or
 * NULL when it gains nothing (a negative entry is then cached, so it is
 * not tried again), the budget cannot take it (*no_room), or the file
 * changed. forced: the client refuses identity, so a form that is not
 * smaller is kept too, under a key only such clients look up. */
struct fc_entry *serve_compress_file(struct file_cache *fc, const char *key, size_t key_len,
				     const char *file, int fd, const struct stat *st,
				     enum http_encoding e, bool forced, const char *type,
				     const char *cc, uint32_t now, bool *no_room);

/* Builds the listing page (HTML or JSON) of the directory path below
 * root, sorted by order (enum listing_order) and desc, as a detached or
 * cached entry under key; coded with e when that gains. Returns the entry
 * to serve, referenced, or NULL. */
struct fc_entry *serve_listing_build(struct file_cache *fc, const struct path_root *root,
				     const struct config *cfg, const struct own_file *own,
				     bool netlify, const char *key, size_t key_len, const char *path,
				     bool json,
				     int order, bool desc, enum http_encoding e, uint32_t now,
				     bool *no_room);

/* True if the own-file table lists st. */
bool serve_own_file(const struct own_file *own, const struct stat *st);

/* The Content-Encoding and Vary lines of a coding for a file. */
const char *serve_coding_lines(enum http_encoding e);

/* Serves entry e (any kind) as the representation, with conditional
 * requests and ranges; the caller keeps its reference. */
void serve_entry(struct serve_ctx *s, const struct http_head *h, const struct request *r,
		 struct fc_entry *e, struct response *resp, char *extra, size_t extra_cap);

/* Serves the regular file fd (stat st, s->path, cache key s->key),
 * negotiating its coding; takes over fd. */
void serve_file(struct serve_ctx *s, const struct http_head *h, const struct request *r, int fd,
		const struct stat *st, struct slice name, struct response *resp, char *extra,
		size_t extra_cap, const enum http_encoding *order, int nenc, bool identity_ok);

/* Serves a cache entry, revalidating it once per FILE_CACHE_TTL; false
 * when it turned out stale (it is then dropped). */
bool serve_cached(struct serve_ctx *s, const struct http_head *h, const struct request *r,
		  struct fc_entry *e, struct response *resp, char *extra, size_t extra_cap);

/* The cache key of a coded form of s->key; 0 if it does not fit. */
size_t serve_coded_key(struct serve_ctx *s, enum http_encoding e, char *out, size_t cap);

#endif
