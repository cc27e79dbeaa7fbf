/* serve_internal.h - what serve.c, serve_file.c and serve_page.c share;
 * not for the rest of the server. */
#ifndef SERVE_INTERNAL_H
#define SERVE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "http_encoding.h"
#include "serve.h"

/* The operator's -H lines, CORS, Connection and the empty line. */
void serve_finish_head(struct serve_ctx *s, struct response *resp);

/* nosniff and a Content-Security-Policy for pages the server generates. */
void serve_page_headers(struct response *resp);

/* The pid file or a log file: never served. */
bool serve_is_own_file(const struct serve_ctx *s, const struct stat *st);

/* The status for an open(2) error: 404, 403 or 500. */
int serve_errno_status(int err);

/* 301 to the slash form of the directory s->path (len bytes). */
void serve_redirect_to_dir(struct serve_ctx *s, const struct request *r, size_t len,
			   struct response *resp);

/* The listing of directory s->path (len bytes), HTML or JSON by Accept. */
void serve_listing(struct serve_ctx *s, const struct http_head *h, const struct request *r,
		   size_t len, struct response *resp);

/* The multipart/byteranges boundary. */
const char *serve_boundary(void);

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
