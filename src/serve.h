/* serve.h - the static file handler: a request in, a response out. */
#ifndef SERVE_H
#define SERVE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "auth.h"
#include "config.h"
#include "file_cache.h"
#include "http_parse.h"
#include "http_request.h"
#include "http_response.h"
#include "path.h"
#include "pool.h"

#define SERVE_PATH_MAX 4096

/* Files the server writes itself (pid file, log); never served. */
/* The server's own files (logs, pid file), never served. The main thread
 * updates an entry when a log is reopened; workers read it concurrently. */
#define OWN_FILES_MAX 32 /* the pid file, the logs, and logs rotated away */
struct own_file {
	_Atomic dev_t dev;
	_Atomic ino_t ino; /* 0: unused */
};

/* Work a request needs done off the event loop (a password check, a
 * large compression, a listing): serve_request leaves one in resp->job,
 * the caller runs it through the helper pool and then calls
 * serve_request again for the same request with the job in ctx->done. */
struct serve_job;
struct site;

/* One per event-loop thread: the handler's scratch space and context. */
struct serve_ctx {
	const struct config *cfg;       /* the site's settings (this request's) */
	const struct path_root *root;
	const struct site *site;        /* the request's site */
	const struct own_file *own; /* OWN_FILES_MAX entries */
	struct file_cache *cache;   /* the process's (its budget too, when caching is off) */
	const struct auth *auth;    /* users, or NULL: no authentication */
	struct auth_cache auth_cache;
	const char *date;           /* the current IMF-fixdate */
	uint32_t now;               /* monotonic seconds, for the cache */
	struct timespec wall;       /* real time, precise enough for If-Range dates */
	bool keep_alive_10;         /* this request is HTTP/1.0 with keep-alive */
	const uint8_t *client;      /* 16 bytes of the client's address */
	int fwd_family;             /* a trusted proxy named the client: AF_INET(6), else 0 */
	uint8_t fwd[16];            /* its address, as struct conn keeps one */
	struct serve_job *done;     /* the finished job of this request, or NULL */
	/* What the site's path rules decided for this request. */
	const char *cors;           /* Access-Control-Allow-Origin, or NULL */
	int list;                   /* -1: as the site says */
	size_t rpath_len;           /* rpath holds the path header rules match, or 0 */
	bool rpath_slash;
	char rpath[SERVE_PATH_MAX + 2];
	uint64_t rng;               /* multipart boundaries */
	size_t key_len;
	char boundary[24];
	char path[SERVE_PATH_MAX];
	char key[SERVE_PATH_MAX + 64]; /* the site's prefix, then the path */
	char location[3 * SERVE_PATH_MAX + 2];
	char etag[64];
	char last_modified[32];
	char content_range[96];
	char content_type[96];
};

/* Builds the response to a parsed request into *resp, whose head buffer
 * and close flag the caller has set. extra (extra_cap bytes) holds the
 * part headers of a multipart/byteranges body. On return resp->fd is an
 * open file the caller must close after sending, or -1. */
void serve_request(struct serve_ctx *s, const struct http_head *h, const struct request *r,
		   struct response *resp, char *extra, size_t extra_cap);

/* Builds an error response (status 4xx/5xx) with an HTML body, the root's
 * custom page for 404 when it has one. head_only: a HEAD request. */
void serve_error(struct serve_ctx *s, int status, bool head_only, struct response *resp);

/* A 308 to the same path and query on https://HOST[:port] (the port is
 * left out when it is 443); 400 without a Host. */
void serve_redirect_https(struct serve_ctx *s, const struct request *r, int port,
			  struct response *resp);

/* The directory answering /.well-known/acme-challenge/ for every site,
 * or NULL; set once at start-up. */
extern const struct path_root *serve_acme;

/* Seeds the per-thread generator of multipart/byteranges boundaries. */
void serve_seed(struct serve_ctx *s, uint64_t seed);

/* The pool job inside a serve job, to submit and hand back. */
struct pool_job *serve_job_base(struct serve_job *j);

/* Keeps a reference to sites until the job is freed. */
struct site_set;
void serve_job_hold(struct serve_job *j, struct site_set *sites);
struct serve_job *serve_job_of(struct pool_job *p);

/* Marks a job the pool could not take: serve_request then answers
 * without it (identity form, or 503). */
void serve_job_reject(struct serve_job *j);

/* Frees a job and what it holds (after serve_request used it, or when its
 * connection is gone). */
void serve_job_free(struct serve_job *j);

#endif
