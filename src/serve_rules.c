/* serve_rules.c - what a site's path rules do to a request: ACME HTTP-01
 * answers (before anything else), redirects and rewrites, per-path users,
 * listing and CORS, and header changes on the way out. Rules match the
 * normalised, decoded path, so no spelling of a path escapes its rule. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http_response.h"
#include "mime.h"
#include "rules.h"
#include "serve_internal.h"
#include "site.h"

#define ACME_PREFIX "/.well-known/acme-challenge/"
#define ACME_TOKEN_MAX 256

const struct path_root *serve_acme;

/* A token is base64url (RFC 8555 section 8.3): nothing else is looked up. */
static bool acme_token(struct slice t)
{
	if (t.len == 0 || t.len > ACME_TOKEN_MAX)
		return false;
	for (size_t i = 0; i < t.len; i++) {
		char ch = t.ptr[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
			return false;
	}
	return true;
}

bool serve_acme_request(struct serve_ctx *s, const struct request *r, struct response *resp)
{
	size_t plen = sizeof ACME_PREFIX - 1;
	if (!serve_acme || r->path.len <= plen || memcmp(r->path.ptr, ACME_PREFIX, plen) != 0 ||
	    (r->method != HTTP_GET && r->method != HTTP_HEAD))
		return false;
	struct slice token = slice_make(r->path.ptr + plen, r->path.len - plen);
	char name[ACME_TOKEN_MAX + 1];
	struct stat st;
	bool head_only = r->method == HTTP_HEAD;
	if (!acme_token(token)) {
		serve_error(s, 404, head_only, resp);
		return true;
	}
	memcpy(name, token.ptr, token.len);
	name[token.len] = '\0';
	int fd = path_open(serve_acme, name);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > 4096) {
		if (fd >= 0)
			close(fd);
		serve_error(s, 404, head_only, resp);
		return true;
	}
	/* A key authorization is a few dozen bytes: read here, sent from
	 * the head buffer. */
	char body[4096];
	ssize_t n = pread(fd, body, sizeof body, 0);
	close(fd);
	if (n < 0) {
		serve_error(s, 500, head_only, resp);
		return true;
	}
	http_response_begin(resp, 200, s->date);
	http_response_header(resp, "Content-Type", SLICE_LIT("application/octet-stream"));
	http_response_header_u64(resp, "Content-Length", (uint64_t)n);
	http_response_header(resp, "Cache-Control", SLICE_LIT("no-store"));
	http_response_end(resp, s->keep_alive_10);
	if (!head_only && http_response_append(resp, body, (size_t)n))
		resp->body_len = (uint64_t)n;
	return true;
}

/* A target for Location: bytes that cannot stand in a URL (controls,
 * space, non-ASCII, quotes and the like) percent-encoded; '%', '?', '#'
 * and the rest as the rule wrote them (captured text never holds a raw
 * '#': rules.c encodes it). */
static long location(const char *t, size_t len, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)t[i];
		bool keep = ch > 0x20 && ch < 0x7f && !strchr("\"<>\\^`{|}", ch);
		if (n + (keep ? 1 : 3) >= cap)
			return -1;
		if (keep) {
			out[n++] = (char)ch;
		} else {
			out[n++] = '%';
			out[n++] = hex[ch >> 4];
			out[n++] = hex[ch & 15];
		}
	}
	out[n] = '\0';
	return (long)n;
}

/* A rule's status with the file target as its body (a custom 404). */
static void serve_target_status(struct serve_ctx *s, const struct request *r, int status,
				const char *target, struct response *resp)
{
	bool head_only = r->method == HTTP_HEAD;
	unsigned flags;
	struct stat st;
	size_t tlen = strcspn(target, "?");
	long n = path_normalize(slice_make(target, tlen), s->path, sizeof s->path, &flags);
	int fd = n < 0 ? -1 : path_open(s->root, s->path);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || serve_is_own_file(s, &st)) {
		if (fd >= 0)
			close(fd);
		serve_error(s, status, head_only, resp);
		return;
	}
	const char *type = mime_lookup(slice_make(s->path, (size_t)n));
	http_response_begin(resp, status, s->date);
	http_response_header(resp, "Content-Type", slice_make(type, strlen(type)));
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
}

/* Whether the normalised path names something in the root (a rule that
 * is not forced yields to it, as on Netlify). */
static bool exists(const struct serve_ctx *s)
{
	struct stat st;
	return fstatat(s->root->fd, s->path, &st, 0) == 0;
}

/* The users the rules ask for on a path ('/' and the normalised path),
 * the last matching rule's that names some; *refuse when more rules match
 * than can be looked at. */
static const struct auth *path_auth(const struct site *site, struct slice path, bool slash,
				    bool *refuse)
{
	int tags[16];
	int n = rules_tags(site->rules, path, slash, tags, 16);
	const struct auth *auth = NULL;
	*refuse = n > 16;
	for (int i = 0; i < n && i < 16; i++)
		if (tags[i] >= 0 && (unsigned)tags[i] < site->npaths && site->paths[tags[i]].auth)
			auth = site->paths[tags[i]].auth;
	return auth;
}

/* "/" and the normalised path rel (len bytes; "." is the root) in out. */
static size_t rooted(const char *rel, size_t len, char *out)
{
	if (len == 1 && rel[0] == '.')
		len = 0;
	out[0] = '/';
	memcpy(out + 1, rel, len);
	out[len + 1] = '\0';
	return len + 1;
}

int serve_rules_final(struct serve_ctx *s, const struct http_head *h, const struct request *r,
		      const char *rel, size_t len, struct response *resp)
{
	char p[SERVE_PATH_MAX + 2];
	bool refuse;
	bool head_only = r->method == HTTP_HEAD;
	if (len + 2 > sizeof p) {
		serve_error(s, 414, head_only, resp);
		return 1;
	}
	size_t n = rooted(rel, len, p);
	if (rules_work(s->site->rules, slice_make(p, n), false, slice_make("", 0)) >
	    RULES_WORK_MAX) {
		serve_error(s, 414, head_only, resp);
		return 1;
	}
	const struct auth *auth = path_auth(s->site, slice_make(p, n), false, &refuse);
	if (refuse) {
		serve_error(s, 500, head_only, resp);
		return 1;
	}
	if (auth && auth != s->auth) {
		s->auth = auth;
		if (!serve_authorized(s, h, head_only, resp))
			return 1;
	}
	return 0;
}

bool serve_rules_preflight(struct serve_ctx *s, const struct request *r)
{
	unsigned flags;
	if (r->asterisk)
		return true;
	long n = path_normalize(r->path, s->path, sizeof s->path - 16, &flags);
	if (n < 0)
		return true;
	s->rpath_len = rooted(s->path, (size_t)n, s->rpath);
	s->rpath_slash = (flags & PATH_TRAILING_SLASH) != 0;
	if (rules_work(s->site->rules, slice_make(s->rpath, s->rpath_len), s->rpath_slash,
		       r->query) > RULES_WORK_MAX) {
		s->rpath_len = 0;
		return false;
	}
	int tags[16];
	int nt = rules_tags(s->site->rules, slice_make(s->rpath, s->rpath_len), s->rpath_slash, tags,
			    16);
	for (int i = 0; i < nt && i < 16; i++)
		if (tags[i] >= 0 && (unsigned)tags[i] < s->site->npaths && s->site->paths[tags[i]].cors)
			s->cors = s->site->paths[tags[i]].cors;
	return true;
}

int serve_rules(struct serve_ctx *s, const struct http_head *h, const struct request *r,
		long *len, unsigned *flags, struct response *resp)
{
	const struct site *site = s->site;
	bool head_only = r->method == HTTP_HEAD;
	(void)h;

	/* "/" and the normalised path: what every rule matches. */
	size_t plen = (size_t)*len;
	s->rpath[0] = '/';
	if (plen == 1 && s->path[0] == '.')
		plen = 0;
	memcpy(s->rpath + 1, s->path, plen);
	s->rpath_len = plen + 1;
	s->rpath[s->rpath_len] = '\0';
	s->rpath_slash = (*flags & PATH_TRAILING_SLASH) != 0;
	struct slice path = slice_make(s->rpath, s->rpath_len);
	if (rules_work(site->rules, path, s->rpath_slash, r->query) > RULES_WORK_MAX) {
		/* A path that would cost the loop more than the rules allow
		 * (see rules.h) is refused before any rule is looked at. */
		s->rpath_len = 0;
		serve_error(s, 414, head_only, resp);
		return 1;
	}

	int tags[16];
	int ntags = rules_tags(site->rules, path, s->rpath_slash, tags, 16);
	const struct auth *auth = NULL;
	if (ntags > 16) {
		/* More settings than this request can hold: refuse rather than
		 * drop one (it may be the password). */
		serve_error(s, 500, head_only, resp);
		return 1;
	}
	for (int i = 0; i < ntags; i++) {
		/* Later rules refine earlier ones, setting by setting. */
		if (tags[i] < 0 || (unsigned)tags[i] >= site->npaths)
			continue;
		const struct site_path *sp = &site->paths[tags[i]];
		if (sp->auth)
			auth = sp->auth;
		if (sp->list >= 0)
			s->list = sp->list;
		if (sp->cors)
			s->cors = sp->cors;
	}

	char target[SERVE_PATH_MAX];
	struct rules_route rt;
	int rc = rules_route(site->rules, path, s->rpath_slash, r->query, false, target,
			     sizeof target, &rt);
	if (rc > 0 && !rt.force && exists(s))
		rc = rules_route(site->rules, path, s->rpath_slash, r->query, true, target,
				 sizeof target, &rt);
	if (rc < 0) {
		serve_error(s, 500, head_only, resp); /* the rule's target does not fit */
		return 1;
	}
	/* Users of a path are asked for before a rule says where it is. */
	if (auth) {
		s->auth = auth;
		if (!serve_authorized(s, h, head_only, resp))
			return 1;
	}
	if (rc == 0)
		return 0;
	if (rt.status >= 300 && rt.status < 400) {
		long n = location(target, rt.len, s->location, sizeof s->location);
		if (n < 0 || n > 4096) {
			serve_error(s, 414, head_only, resp);
			return 1;
		}
		serve_redirect_location(s, r, rt.status, (size_t)n, resp);
		return 1;
	}
	if (rt.status != 200) {
		if (rt.len == 0)
			serve_error(s, rt.status, head_only, resp);
		else
			serve_target_status(s, r, rt.status, target, resp);
		return 1;
	}
	/* A rewrite: the target is served as if asked for, behind the users
	 * its own path asks for too. */
	size_t tlen = strcspn(target, "?");
	long n = path_normalize(slice_make(target, tlen), s->path, sizeof s->path - 16, flags);
	if (n < 0) {
		serve_error(s, n == PATH_TOO_LONG ? 414 : 400, head_only, resp);
		return 1;
	}
	*len = n;
	return serve_rules_final(s, h, r, s->path, (size_t)n, resp);
}

/* Removes every "name: ..." line of the head (the status line is never
 * one: it has no ':' right after a token at the start). */
static void drop_header(struct response *resp, struct slice name)
{
	char *p = memchr(resp->head, '\n', resp->head_len);
	if (!p)
		return;
	p++;
	char *end = resp->head + resp->head_len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t line = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		if (line > name.len && p[name.len] == ':' && strncasecmp(p, name.ptr, name.len) == 0) {
			memmove(p, p + line, (size_t)(end - p) - line);
			end -= line;
			resp->head_len -= line;
			continue;
		}
		p += line;
	}
}

static void apply_hop(void *arg, enum rules_hop op, struct slice name, struct slice value)
{
	struct response *resp = arg;
	if (http_response_protected(name))
		return;
	if (op != RULES_ADD)
		drop_header(resp, name);
	if (op != RULES_REMOVE) {
		char n[256];
		if (name.len >= sizeof n)
			return;
		memcpy(n, name.ptr, name.len);
		n[name.len] = '\0';
		http_response_header(resp, n, value);
	}
}

void serve_rules_headers(struct serve_ctx *s, struct response *resp)
{
	if (!s->rpath_len || !s->site || !s->site->rules)
		return;
	rules_headers(s->site->rules, slice_make(s->rpath, s->rpath_len), s->rpath_slash, apply_hop,
		      resp);
}
