/* rules.h - a site's per-path rules: header changes, redirects, rewrites,
 * status pages and tags, from the config file's globs and from the
 * Netlify / Cloudflare Pages _redirects and _headers files a static-site
 * builder emits. Compiled once at load time; immutable afterwards, so
 * every thread reads one set without locks, and no lookup allocates.
 * (A C comment cannot hold '/' then '*': "/a/{*}" below means "/a/" "*".)
 *
 * Matching. Rules see the request path after the server's percent-
 * decoding and normalisation (no "//", ".", ".."), so "/%61dmin" and
 * "//admin/../admin" meet the same rules as "/admin". Bytes compare
 * exactly: matching is case-sensitive, as Netlify documents ("Paths are
 * case-sensitive") and as the file system below is. A trailing slash is
 * ignored on both sides (Netlify: a "/blog" rule matches "/blog/"), so
 * Cloudflare's "/trailing /trailing/ 301" would loop: a 200 or 3xx rule
 * whose target is the request path itself is skipped and the next rule
 * tried (Netlify ignores rules whose from and to resolve to the same
 * place). A pattern ending in a whole-segment wildcard ("/a/{*}",
 * "/a/{**}") also matches the bare "/a": the directory itself, so a tag for
 * "/admin/{**}" covers "/admin/" too.
 *
 * Config globs (literal bytes, no percent-decoding):
 *   *    any run of bytes within one segment (no '/'), may be empty
 *   **   any run of bytes, '/' included; "/{**}/" in the middle is
 *        "zero or more whole segments", so "/a/{**}/b" matches "/a/b"
 *   ?    one byte other than '/'
 *   a glob with no '/' ("*.pdf") matches the last segment anywhere.
 * Every wildcard captures, in order: the targets' $1..$9; "$$" is '$'.
 * There is no escape: '*' and '?' are always wildcards; "***" is refused.
 *
 * _redirects (one rule a line; "#" comments, also at the end of a line):
 *   FROM [key=value ...] TO [STATUS[!]]
 * FROM is percent-decoded before matching ("%2A" is a literal '*'). Its
 * '*' (one at most, as both vendors say) is the splat, any run of bytes,
 * reused as ":splat"; ":name" (':' then a letter, then letters, digits,
 * '_', Cloudflare's grammar) matches a non-empty run without '/' and is
 * reused as ":name" in TO. key=value pairs require a query parameter
 * (Netlify "/store id=:id /blog/:id 301"): ":name" as value takes any
 * value, otherwise it must be equal; "key" alone means "key=" (an empty
 * value, "?key" included). At most 9 captures in all. STATUS (default
 * 301, Netlify's; Cloudflare defaults to 302):
 *   301 302 303 307 308   redirect to TO (a path or an http(s):// URL)
 *   200                   rewrite: serve the path TO, URL unchanged
 *   401 403 404 410 451   serve the path TO with that status
 * "!" forces the rule (Netlify shadowing: without it a file that exists
 * at the path wins; Cloudflare always applies rules, write "!" there).
 * "FROM/{*} 200" with no TO is Netlify's forward rule (TO = FROM/:splat);
 * it leads to itself, so it is accepted and does nothing.
 * Refused with "file:line: message": host-level FROM (http://...), 200 to
 * an absolute URL (proxying), Country/Language/Role/Cookie/Sign
 * conditions, other statuses, anything after the status.
 *
 * _headers: a line starting with '/' opens a block (same path syntax as
 * FROM); then indented "Name: value" lines, "! Name" (Cloudflare's
 * detach) removes a header, "#" starts a comment line. Absolute-URL paths
 * (a Cloudflare extension) are refused. ":name" and ":splat" in a value
 * are replaced by what the path matched, percent-encoded (Cloudflare; a
 * Netlify value never holds them). Where vendors differ on repeats, both
 * documented behaviours are kept by one rule: a _headers value replaces
 * what the server or config rules send for that name (RULES_SET), and
 * later _headers values of the same name, in the same block or another
 * matching one, join it (RULES_ADD) - Netlify combines repeated lines of
 * a block, Cloudflare joins values across blocks ("nosnippet, noindex").
 *
 * Precedence: routes (redirects, rewrites, status pages): the first
 * matching rule in the order added wins (Netlify's rule; the caller adds
 * config rules before the _redirects file). Headers: every matching rule
 * applies, in the order added. Tags: every matching rule, in order.
 *
 * Targets are URL references: literal bytes a URL cannot hold are
 * percent-encoded at load, captured text at lookup ('%', '?', '#',
 * controls, spaces and non-ASCII always; '&', '=', '+' also inside the
 * query part; a capture from the query keeps its '%' escapes), so a
 * target can never split a header, and "//host" cannot be made from a
 * capture. A capture from the path ending where a request path with a
 * trailing slash ended gets the slash back ("/a/{*} /b/:splat" maps "/a/x/"
 * to "/b/x/"). The caller percent-decodes and normalises a rewrite or
 * status-page target (path_normalize) before opening it.
 *
 * Query: the request's query is appended to a target (with '&' when the
 * target already has one, before any "#fragment"), as Netlify passes
 * query parameters on; a rule that matched on query parameters drops it
 * (reuse them in TO as placeholders). */
#ifndef RULES_H
#define RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "slice.h"

#define RULES_MAX         10000 /* routes + header lines + tags, in all */
#define RULES_PATTERN_MAX 4096  /* bytes of a glob or FROM */
#define RULES_TARGET_MAX  4096  /* bytes of a target or header value as written */
#define RULES_NAME_MAX    256   /* bytes of a header name */
#define RULES_FILE_MAX    (1024 * 1024)
#define RULES_CAPTURES    9
#define RULES_VALUE_MAX   8192  /* a header value after placeholders */

struct rules; /* opaque */

/* An empty rule set, or NULL without memory. Free with rules_free. */
struct rules *rules_new(void);
void rules_free(struct rules *r);

/* True when r (NULL allowed) holds no rule: one check, for the fast path. */
bool rules_empty(const struct rules *r);

enum rules_hop {
	RULES_SET,    /* replace every earlier value of the name */
	RULES_ADD,    /* one more value: another field line, or ", " joined
			 (RFC 9110 section 5.3; never join Set-Cookie) */
	RULES_REMOVE, /* drop every value of the name; value is empty */
};

/* The add functions and parsers return 0, or -1 with a one-line message
 * in err (cap bytes, NUL-terminated; the parsers' start "file:line: ").
 * Nothing is kept from a call that fails; r owns copies of all text. */

/* A config-file route: glob -> to ($1..$9, $$) with status (see above;
 * 200 rewrites). to may be NULL for a 4xx: the caller answers its own
 * error page. force: apply even where a file exists. */
int rules_add_route(struct rules *r, const char *glob, const char *to, int status, bool force,
		    char *err, size_t cap);

/* A config-file header change; value is ignored for RULES_REMOVE. The
 * name must be an RFC 9110 token, the value free of control bytes (tab
 * allowed); both are sent as given. */
int rules_add_header(struct rules *r, const char *glob, enum rules_hop op, const char *name,
		     const char *value, char *err, size_t cap);

/* A per-path setting the caller keeps (auth, listing, CORS), by number. */
int rules_add_tag(struct rules *r, const char *glob, int tag, char *err, size_t cap);

/* Whole _redirects / _headers texts (len <= RULES_FILE_MAX); file names
 * the messages. An error means the whole file is invalid. */
int rules_parse_redirects(struct rules *r, const char *text, size_t len, const char *file,
			  char *err, size_t cap);
int rules_parse_headers(struct rules *r, const char *text, size_t len, const char *file,
			char *err, size_t cap);

struct rules_route {
	int status;    /* 200 rewrite, 3xx redirect, 4xx status page */
	bool force;    /* the rule applies even over an existing file */
	bool external; /* target is an absolute http(s) URL (3xx only) */
	size_t len;    /* of target; 0 for a config 4xx without a page */
};

/* The first route matching path (starting with '/'; trailing_slash: the
 * request's ended with one) and query (raw, without '?'). file_exists:
 * the path names a file, so only forced rules apply; a caller that has
 * not looked yet can pass false and, for an unforced answer, look and
 * ask again with true. Returns 1 with the target NUL-terminated in
 * target[cap], 0 if no rule matched, -1 if the target did not fit (the
 * caller answers 500: the site's rule cannot be honoured). */
int rules_route(const struct rules *r, struct slice path, bool trailing_slash,
		struct slice query, bool file_exists, char *target, size_t cap,
		struct rules_route *out);

/* Calls fn for every header change of every matching rule, in order.
 * name and value point into r or into fn's caller's stack: copy what
 * must outlive fn. A value whose placeholders expand past
 * RULES_VALUE_MAX is skipped. */
void rules_headers(const struct rules *r, struct slice path, bool trailing_slash,
		   void (*fn)(void *arg, enum rules_hop op, struct slice name, struct slice value),
		   void *arg);

/* Writes the tags of matching rules, in order, into tags[max]; returns
 * how many rules matched, which may be more than max (only max written:
 * a caller should then refuse rather than drop a setting). */
int rules_tags(const struct rules *r, struct slice path, bool trailing_slash, int *tags, int max);

/* The work of looking path (and query, raw, for the routes' query
 * conditions) up in every rule, in simulation steps (the words and
 * positions a step visits, about 7 ns each), found by a dry run of the
 * lookups: every simulation, the captures of every rule that matched and
 * uses them, the query fields of every condition; counting stops past
 * RULES_WORK_MAX. 0 when every rule is decided by its quick checks: a
 * literal pattern, the bytes a pattern starts and ends with, its
 * segments at fixed places ("/a/{*}/b/..." looks at "a" and "b" first),
 * "/dir/{**}" and "/prefix{**}". Most paths meet few rules that need
 * more, but a long hostile path under a site with thousands of same-
 * shaped rules could meet them all: a caller refuses (414) a path whose
 * work passes RULES_WORK_MAX instead of looking it up (the dry run
 * stops there: about 0.3 ms). The lookups of an admitted path then do
 * the work counted, once: a whole request, dry run included, stays
 * under about 0.6 ms of a loop thread for the worst shapes measured
 * (eight captures per rule, same-shaped tags, long patterns). */
#define RULES_WORK_MAX 50000
uint64_t rules_work(const struct rules *r, struct slice path, bool trailing_slash,
		    struct slice query);

#endif
