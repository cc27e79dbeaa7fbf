/* serve.c - maps a request to what answers it, in this order: method
 * (OPTIONS), authentication, path (decode, normalise, dotfiles), the cache,
 * open below the root, alternatives for a missing path (pretty URLs,
 * fallback), directory (redirect, index, listing), own files, then the
 * file itself (serve_file.c). */
#include "serve_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef SANDBOX_PROBE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#endif
#include <sys/stat.h>
#include <unistd.h>

#include "compress.h"
#include "metrics.h"
#include "site.h"

/* OPTIONS: the methods, and for a CORS preflight (an Origin with
 * Access-Control-Request-Method) what the browser may do. */
static void serve_options(struct serve_ctx *s, const struct http_head *h, struct response *resp)
{
	http_response_begin(resp, 204, s->date);
	http_response_header(resp, "Allow", SLICE_LIT("GET, HEAD, OPTIONS"));
	if (s->cors && http_head_find(h, "origin") &&
	    http_head_find(h, "access-control-request-method")) {
		const struct http_header *rh = http_head_find(h, "access-control-request-headers");
		http_response_header(resp, "Access-Control-Allow-Methods", SLICE_LIT("GET, HEAD, OPTIONS"));
		if (rh && rh->value.len)
			http_response_header(resp, "Access-Control-Allow-Headers", rh->value);
		http_response_header(resp, "Access-Control-Max-Age", SLICE_LIT("86400"));
	}
	serve_finish_head(s, resp);
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
				/* Cached under the file's own key, not the
				 * request's: any number of routes share one
				 * entry (and one compression). */
				memcpy(s->key, s->site->key, s->site->key_len);
				memcpy(s->key + s->site->key_len, s->path, (size_t)n + 1);
				s->key_len = s->site->key_len + (size_t)n;
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

/* The Prometheus page: counters only, nothing from the disk. */
static void serve_metrics(struct serve_ctx *s, bool head_only, struct response *resp)
{
	char body[4096];
	size_t n = metrics_format(body, sizeof body);
	http_response_begin(resp, 200, s->date);
	http_response_header(resp, "Content-Type", SLICE_LIT("text/plain; version=0.0.4; charset=utf-8"));
	http_response_header_u64(resp, "Content-Length", n);
	http_response_header(resp, "Cache-Control", SLICE_LIT("no-store"));
	serve_finish_head(s, resp);
	if (!head_only && http_response_append(resp, body, n))
		resp->body_len = n;
}

#ifdef SANDBOX_PROBE
/* Test builds only (bin/server-probe): GET /.sandbox-probe?OP:PATH tries
 * what a path bug could make the server do, from inside a worker thread,
 * and answers with the result: read:PATH, write:PATH (open for reading or
 * writing, without the root's confinement) or bind:PORT (a TCP socket). */
static void serve_sandbox_probe(struct serve_ctx *s, const struct request *r, struct response *resp)
{
	char arg[512], body[600];
	snprintf(arg, sizeof arg, "%.*s", (int)r->query.len, r->query.ptr);
	const char *colon = strchr(arg, ':');
	int rc = -1, e = EINVAL;
	if (colon && strncmp(arg, "read:", 5) == 0) {
		rc = open(colon + 1, O_RDONLY | O_CLOEXEC);
	} else if (colon && strncmp(arg, "write:", 6) == 0) {
		rc = open(colon + 1, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	} else if (colon && strncmp(arg, "bind:", 5) == 0) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1)),
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		rc = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (rc >= 0 && bind(rc, (struct sockaddr *)&sa, sizeof sa) < 0) {
			e = errno;
			close(rc);
			rc = -1;
			errno = e;
		}
	}
	if (rc < 0)
		e = errno;
	else
		close(rc);
	int n = snprintf(body, sizeof body, "%s %s\n", arg, rc >= 0 ? "ok" : strerrorname_np(e));
	http_response_begin(resp, 200, s->date);
	http_response_header(resp, "Content-Type", SLICE_LIT("text/plain"));
	http_response_header_u64(resp, "Content-Length", (uint64_t)n);
	serve_finish_head(s, resp);
	if (http_response_append(resp, body, (size_t)n))
		resp->body_len = (uint64_t)n;
}
#endif

bool serve_client_local(const struct serve_ctx *s)
{
	static const uint8_t zero[16];
	const uint8_t *a = s->client;
	if (!a)
		return false;
	if (a[0] == 127 && memcmp(a + 4, zero, 12) == 0)
		return true; /* 127.0.0.0/8 */
	if (memcmp(a, zero, 15) == 0 && (a[15] == 1 || a[15] == 0))
		return true; /* ::1, or a unix socket's peer */
	return false;
}

/* Basic authentication: a credential verified before on this thread
 * passes at once; any other is checked by the helper pool (bcrypt costs
 * milliseconds), and this function is called again with the verdict in
 * s->done. A client that fails too often gets its 401s late. Returns true
 * when the request may go on. */
bool serve_authorized(struct serve_ctx *s, const struct http_head *h, bool head_only,
		      struct response *resp)
{
	const struct http_header *a = http_head_find(h, "authorization");
	/* Verdicts are kept per set of users: what one site or path accepted
	 * says nothing of another's. */
	if (a && auth_cached(&s->auth_cache, s->auth->id, a->value))
		return true;
	if (s->done && s->done->kind == SERVE_JOB_AUTH && s->done->auth == s->auth) {
		bool ok = s->done->auth_ok;
		bool rejected = s->done->rejected;
		s->done = NULL;
		if (rejected) {
			serve_error(s, 503, head_only, resp);
			return false;
		}
		if (ok && a) {
			auth_remember(&s->auth_cache, s->auth->id, a->value);
			return true;
		}
		unsigned delay = s->client ? auth_failed(s->client, s->now) : 0;
		serve_error(s, 401, head_only, resp);
		resp->delay = delay;
		return false;
	}
	if (!a) {
		serve_error(s, 401, head_only, resp);
		return false;
	}
	/* One client gets a few checks at a time, so it cannot fill the
	 * helpers' queue for everyone else. */
	if (s->client && !auth_begin(s->client)) {
		serve_error(s, 429, head_only, resp);
		return false;
	}
	struct serve_job *j = serve_job_waiting(SERVE_JOB_AUTH, "", 0, NULL);
	if (j && (j->value = malloc(a->value.len + 1))) {
		memcpy(j->value, a->value.ptr, a->value.len);
		j->value_len = a->value.len;
		j->auth = s->auth;
		if (s->client) {
			memcpy(j->client, s->client, 16);
			j->counted = true;
		}
		resp->job = j;
		return false;
	}
	if (s->client)
		auth_end(s->client);
	serve_job_free(j);
	serve_error(s, 503, head_only, resp);
	return false;
}

/* The fast path: a fresh cache entry answers without a system call. The
 * client's first choice among the codings this build makes comes first
 * (a cached second choice must not win over it); the identity form
 * answers unless a coding the client takes could be made or found. */
static bool serve_from_cache(struct serve_ctx *s, const struct http_head *h,
			     const struct request *r, const enum http_encoding *order, int nenc,
			     bool identity_ok, struct response *resp, char *extra, size_t extra_cap)
{
	if (!file_cache_enabled(s->cache))
		return false;
	unsigned accepted = 0;
	for (int i = 0; i < nenc; i++)
		accepted |= 1u << order[i] | 1u << (16 + order[i]);
	for (int i = 0; i < nenc; i++) {
		if (!(compress_available() & (1u << order[i])))
			continue;
		struct fc_key k = { s->key, s->key_len, FC_FILE, (uint8_t)order[i], 0 };
		struct fc_entry *e = file_cache_get(s->cache, &k);
		if (!e)
			break;
		bool fresh = file_cache_fresh(e, s->now);
		if (fresh && e->body) {
			serve_cached(s, h, r, e, resp, extra, extra_cap);
			file_cache_release(e);
			return true;
		}
		if (fresh) {
			/* It gains nothing: only sidecars could still win. */
			accepted &= 0xffffu;
		}
		file_cache_release(e);
		break;
	}
	if (!identity_ok)
		return false;
	struct fc_key k = { s->key, s->key_len, FC_FILE, ENC_IDENTITY, 0 };
	struct fc_entry *e = file_cache_get(s->cache, &k);
	bool done = e && !(e->codings & accepted) && serve_cached(s, h, r, e, resp, extra, extra_cap);
	file_cache_release(e);
	return done;
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
	resp->job = NULL;
	resp->delay = 0;
	resp->nsegs = 0;
	resp->body_len = 0;
	if (serve_acme && serve_acme_request(s, r, resp))
		return;
	if (r->method == HTTP_OPTIONS) {
		if (s->site->rules && !serve_rules_preflight(s, r))
			serve_error(s, 414, false, resp);
		else
			serve_options(s, h, resp);
		return;
	}
	if (s->cfg->health && slice_eq(r->path, s->cfg->health)) {
		/* Liveness for load balancers: no disk, no authentication. */
		http_response_begin(resp, 200, s->date);
		http_response_header(resp, "Content-Type", SLICE_LIT("text/plain; charset=utf-8"));
		http_response_header(resp, "Content-Length", SLICE_LIT("3"));
		http_response_header(resp, "Cache-Control", SLICE_LIT("no-store"));
		serve_finish_head(s, resp);
		if (r->method != HTTP_HEAD && http_response_append(resp, "OK\n", 3))
			resp->body_len = 3;
		return;
	}
	if (s->auth && !serve_authorized(s, h, head_only, resp))
		return;
#ifdef SANDBOX_PROBE
	if (slice_eq(r->path, "/.sandbox-probe")) {
		serve_sandbox_probe(s, r, resp);
		return;
	}
#endif
	if (s->cfg->metrics && slice_eq(r->path, s->cfg->metrics)) {
		serve_metrics(s, head_only, resp);
		return;
	}
	len = path_normalize(r->path, s->path, sizeof s->path - 16, &flags);
	if (len < 0) {
		serve_error(s, len == PATH_TOO_LONG ? 414 : 400, head_only, resp);
		return;
	}
	if (s->site->rules && serve_rules(s, h, r, &len, &flags, resp))
		return;
	if ((flags & PATH_DOTFILE) && !s->cfg->dotfiles) {
		serve_error(s, 404, head_only, resp);
		return;
	}
	if (s->site->netlify &&
	    (strcmp(s->path, "_headers") == 0 || strcmp(s->path, "_redirects") == 0)) {
		serve_error(s, 404, head_only, resp); /* the site's rules, not its content */
		return;
	}
	/* The cache key is the site's prefix and the normalised path, with a
	 * '/' when the request named a directory (its index is what gets
	 * cached). */
	memcpy(s->key, s->site->key, s->site->key_len);
	memcpy(s->key + s->site->key_len, s->path, (size_t)len);
	size_t klen = s->site->key_len + (size_t)len;
	if (flags & PATH_TRAILING_SLASH)
		s->key[klen++] = '/';
	s->key[klen] = '\0';
	s->key_len = klen;
	enum http_encoding order[3];
	bool identity_ok = true;
	int nenc = 0;
	if (r->accept_encoding) {
		nenc = http_encoding_order(h, order, &identity_ok);
		/* Ranges are served from the identity form; a client that
		 * refuses it gets a whole coded form (or 406) instead. */
		if (identity_ok && (r->cond & REQ_RANGE))
			nenc = 0;
	}
	/* A cached entry is found by the request's spelling of the path; where
	 * rules put users on paths, the file must be known first (below). */
	if (!s->done && !s->site->path_auth &&
	    serve_from_cache(s, h, r, order, nenc, identity_ok, resp, extra, extra_cap))
		return;
	fd = open_stat(s, &st);
	if (fd == -ENOENT || fd == -ENOTDIR)
		fd = open_alternative(s, r, &len, flags, &st);
	if (fd < 0) {
		serve_error(s, serve_errno_status(-fd), head_only, resp);
		return;
	}
	if (S_ISDIR(st.st_mode) && s->cfg->pretty_urls && !(flags & PATH_TRAILING_SLASH) &&
	    !(len == 1 && s->path[0] == '.') && (size_t)len + 6 < sizeof s->path) {
		/* nginx's try_files $uri $uri.html $uri/: "posts.html" beside a
		 * "posts/" directory answers "/posts" (Next.js, Hugo, Eleventy
		 * export sections that way). */
		struct stat hst;
		memcpy(s->path + len, ".html", 6);
		int hfd = open_stat(s, &hst);
		if (hfd >= 0 && S_ISREG(hst.st_mode)) {
			close(fd);
			fd = hfd;
			st = hst;
			len += 5;
		} else {
			if (hfd >= 0)
				close(hfd);
			s->path[len] = '\0';
		}
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		if (!(flags & PATH_TRAILING_SLASH) && !(len == 1 && s->path[0] == '.')) {
			serve_redirect_to_dir(s, r, (size_t)len, resp);
			return;
		}
		size_t dir_len = (size_t)len;
		fd = open_index(s, &len, &st);
		if (fd == -ENOENT && (s->list >= 0 ? s->list : s->cfg->list)) {
			serve_listing(s, h, r, dir_len, order, nenc, identity_ok, resp, extra,
				      extra_cap);
			return;
		}
		if (fd == -ENOENT && serve_client_local(s)) {
			/* Someone trying the server on their machine: say why. */
			serve_error_hint(s, 403,
					 "This folder has no index file. Start the server with "
					 "<code>-l</code> to list folders.",
					 head_only, resp);
			return;
		}
		if (fd < 0) {
			serve_error(s, fd == -ENOENT ? 403 : serve_errno_status(-fd), head_only, resp);
			return;
		}
	} else if (flags & PATH_TRAILING_SLASH) {
		close(fd); /* "/file.txt/" names no directory */
		serve_error(s, 404, head_only, resp);
		return;
	}
	if (!S_ISREG(st.st_mode) || serve_is_own_file(s, &st)) {
		close(fd);
		serve_error(s, S_ISREG(st.st_mode) ? 404 : 403, head_only, resp);
		return;
	}
	/* The file served may have users of its own (an index, a pretty URL,
	 * the fallback): no spelling of a path gets around them. */
	if (s->site->rules && serve_rules_final(s, h, r, s->path, (size_t)len, resp)) {
		close(fd);
		return;
	}
	serve_file(s, h, r, fd, &st, slice_make(s->path, (size_t)len), resp, extra, extra_cap, order,
		   nenc, identity_ok);
}
