/* test_rules.c - path rules: glob matching and captures, $n and :name
 * expansion, _redirects and _headers as the vendors document them, their
 * errors, precedence, query carry-over, bounds, and hostile patterns. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rules.h"
#include "unit.h"

#define S(s) slice_make((s), strlen(s))

/* ---- glob matching (as tags, which carry no target) ---- */

struct glob_case {
	const char *glob, *path;
	bool match;
};

static const struct glob_case glob_cases[] = {
	{ "/", "/", true },
	{ "/", "/a", false },
	{ "/a", "/a", true },
	{ "/a", "/a/", true }, /* trailing slash ignored (Netlify) */
	{ "/a/", "/a", true },
	{ "/a", "/A", false }, /* case-sensitive */
	{ "/a", "/ab", false },
	{ "/a/*", "/a/b", true },
	{ "/a/*", "/a", true }, /* the directory itself */
	{ "/a/*", "/a/", true },
	{ "/a/*", "/ab", false },
	{ "/a/*", "/a/b/c", false }, /* * stays in one segment */
	{ "/a/**", "/a/b/c", true },
	{ "/a/**", "/a", true },
	{ "/a/**", "/ab", false },
	{ "/a/**", "/ab/c", false },
	{ "/a/**/b", "/a/b", true }, /* zero segments */
	{ "/a/**/b", "/a/x/b", true },
	{ "/a/**/b", "/a/x/y/b", true },
	{ "/a/**/b", "/a/xb", false },
	{ "/a/**/b", "/ab", false },
	{ "/a**", "/abc/d", true },
	{ "/a**", "/b", false },
	{ "/**/x", "/x", true },
	{ "/**/x", "/a/b/x", true },
	{ "/**/x", "/a/bx", false },
	{ "/?", "/a", true },
	{ "/?", "/", false },
	{ "/?", "/ab", false },
	{ "/a?c", "/abc", true },
	{ "/a?c", "/a/c", false }, /* ? is not '/' */
	{ "/*.html", "/index.html", true },
	{ "/*.html", "/a/index.html", false },
	{ "/**.html", "/a/index.html", true },
	{ "*.pdf", "/x.pdf", true }, /* no '/': the last segment anywhere */
	{ "*.pdf", "/a/b/x.pdf", true },
	{ "*.pdf", "/a.pdf/x", false },
	{ "*.pdf", "/", false },
	{ "index.html", "/a/index.html", true },
	{ "index.html", "/a/xindex.html", false },
	{ "/*/*/c", "/a/b/c", true },
	{ "/*/*/c", "/a/c", false },
	{ "/*a*b*", "/xaybz", true },
	{ "/*a*b*", "/xbya", false },
	{ "/a*", "/a", true },
	{ "/a*b", "/ab", true },
	{ "/admin/**", "/admin", true },
	{ "/admin/**", "/administrator", false },
	{ "/caf\xc3\xa9/*", "/caf\xc3\xa9/x", true }, /* bytes, no decoding */
	/* segments at fixed places are checked before any simulation */
	{ "/*/**", "/", true }, /* "/" is one empty segment */
	{ "/*/x/**", "/", false },
	{ "/a/*/b/*/c1/**", "/a/x/b/y/c1/z", true },
	{ "/a/*/b/*/c1/**", "/a/x/b/y/c1", true },
	{ "/a/*/b/*/c1/**", "/a/x/b/y/c2/z", false },
	{ "/a/*/b/*/c1/**", "/a/x/b/y/c11", false },
	{ "/a/*/b/*/c1/**", "/a/x/q/y/c1", false },
	{ "/a/*/b/*/c1/**", "/a/x/b", false },
	{ "/a/x*y/**", "/a/xzzy/q", true },
	{ "/a/x*y/**", "/a/xy", true },
	{ "/a/x*y/**", "/a/xzz/q", false },
	{ "/a/x*y/**", "/a/zzy/q", false },
	{ "/a/x?y/c", "/a/xzy/c", true },
	{ "/a/x?y/c", "/a/xzzy/c", false },
	{ "/a/x?y/c", "/a/xy/c", false },
	{ "/a/?/**/z", "/a/b/c/d/z", true },
	{ "/a/?/**/z", "/a/bc/d/z", false },
	{ "/a/b**/z", "/a/bq/r/z", true }, /* "**" inside a segment spans several */
	{ "/a/b**/z", "/a/q/r/z", false },
};

static void test_glob_match(void)
{
	for (size_t i = 0; i < sizeof glob_cases / sizeof glob_cases[0]; i++) {
		const struct glob_case *c = &glob_cases[i];
		struct rules *r = rules_new();
		char err[256] = "";
		int tags[2];
		CHECK(rules_add_tag(r, c->glob, 7, err, sizeof err) == 0, "glob %s: %s", c->glob, err);
		size_t n = strlen(c->path);
		bool ts = n > 1 && c->path[n - 1] == '/';
		int got = rules_tags(r, slice_make(c->path, ts ? n - 1 : n), ts, tags, 2);
		CHECK(got == (c->match ? 1 : 0) && (!got || tags[0] == 7), "glob %zu %s on %s: %d",
		      i, c->glob, c->path, got);
		rules_free(r);
	}
}

static const char *const bad_globs[] = {
	"", "a/b", "//a", "/a//b", "/a/./b", "/a/../b", "/..", "/a/***", "/***",
};

static void test_glob_errors(void)
{
	for (size_t i = 0; i < sizeof bad_globs / sizeof bad_globs[0]; i++) {
		struct rules *r = rules_new();
		char err[256] = "";
		CHECK(rules_add_tag(r, bad_globs[i], 1, err, sizeof err) == -1 && err[0],
		      "bad glob \"%s\" accepted", bad_globs[i]);
		CHECK(rules_empty(r), "bad glob %s left a rule", bad_globs[i]);
		rules_free(r);
	}
	char big[RULES_PATTERN_MAX + 2];
	big[0] = '/';
	memset(big + 1, 'a', sizeof big - 2);
	big[sizeof big - 1] = '\0';
	struct rules *r = rules_new();
	char err[256];
	CHECK(rules_add_tag(r, big, 1, err, sizeof err) == -1, "glob over the limit");
	big[RULES_PATTERN_MAX] = '\0';
	CHECK(rules_add_tag(r, big, 1, err, sizeof err) == 0, "glob at the limit: %s", err);
	rules_free(r);
}

/* ---- captures and $n expansion ---- */

struct cap_case {
	const char *glob, *to, *path, *query;
	const char *want; /* NULL: no match */
};

static const struct cap_case cap_cases[] = {
	{ "/old/*", "/new/$1", "/old/page", "", "/new/page" },
	{ "/old/**", "/new/$1", "/old/a/b/c", "", "/new/a/b/c" },
	{ "/old/**", "/new/$1", "/old", "", "/new/" },
	{ "/old/**", "/new/$1", "/old/", "", "/new/" },
	{ "/old/**", "/new/$1", "/old/a/", "", "/new/a/" }, /* the slash comes back */
	{ "/*/*", "/$2/$1", "/a/b", "", "/b/a" },
	{ "/a/**/b/*", "/x/$1/$2", "/a/p/q/b/r", "", "/x/p/q/r" },
	{ "/a/**/b/*", "/x/$1/$2", "/a/b/r", "", "/x//r" },
	{ "/**/*.html", "/$1/$2.htm", "/a/b/c.html", "", "/a/b/c.htm" },
	{ "/*-*", "/$1/$2", "/a-b-c", "", "/a-b/c" },    /* the first takes most */
	{ "/**a**", "/$1,$2", "/xaya", "", "/xay," },    /* greedy left to right */
	{ "/p/*", "/q|$1", "/p/x", "", "/q%7Cx" },
	{ "/?*", "/x/$1$2", "/abc", "", "/x/abc" },
	{ "/p/*", "/q?x=$1", "/p/a&b=c", "", "/q?x=a%26b%3Dc" }, /* & = in a query */
	{ "/p/*", "/q/$1", "/p/a b", "", "/q/a%20b" },
	{ "/p/*", "/q/$1", "/p/50%", "", "/q/50%25" },
	{ "/p/*", "/q/$1", "/p/a?b#c", "", "/q/a%3Fb%23c" },
	{ "/p/*", "/q/$1", "/p/a\r\nSet-Cookie: x", "", "/q/a%0D%0ASet-Cookie:%20x" },
	{ "/p/*", "/q/$1", "/p/caf\xc3\xa9", "", "/q/caf%C3%A9" },
	{ "/p/**", "/$1", "/p/evil.com", "", "/evil.com" },
	{ "/p**", "/$1", "/p/evil.com", "", "/%2Fevil.com" }, /* never "//host" */
	{ "/p/*", "/$$1/$1", "/p/x", "", "/$1/x" },
	{ "/p/*", "/q/caf\xc3\xa9 x", "/p/x", "", "/q/caf%C3%A9%20x" },
	{ "/p/*", "/q", "/p/x", "a=1&b=2", "/q?a=1&b=2" },
	{ "/p/*", "/q?z=0", "/p/x", "a=1", "/q?z=0&a=1" },
	{ "/p/*", "/q#top", "/p/x", "a=1", "/q?a=1#top" },
	{ "/p/*", "/q?z=0#top", "/p/x", "a=1", "/q?z=0&a=1#top" },
	{ "/p/*", "/q", "/p/x", "a=\r\n", "/q?a=%0D%0A" },
	{ "/p/*", "https://example.com/$1", "/p/x", "", "https://example.com/x" },
	{ "/p/*", "/q", "/r", "", NULL },
	/* an empty capture first never makes "//host" */
	{ "/p/**", "/$1/evil.com", "/p", "", "/evil.com" },
	{ "/p/**", "/$1/$1/x", "/p/", "", "/x" },
	{ "/p/**", "/$1/x", "/p/a", "", "/a/x" },
};

static void test_captures(void)
{
	for (size_t i = 0; i < sizeof cap_cases / sizeof cap_cases[0]; i++) {
		const struct cap_case *c = &cap_cases[i];
		struct rules *r = rules_new();
		char err[256] = "", target[512];
		struct rules_route rt = { 0 };
		CHECK(rules_add_route(r, c->glob, c->to, 302, false, err, sizeof err) == 0,
		      "route %s -> %s: %s", c->glob, c->to, err);
		size_t n = strlen(c->path);
		bool ts = n > 1 && c->path[n - 1] == '/';
		int rc = rules_route(r, slice_make(c->path, ts ? n - 1 : n), ts, S(c->query), false,
				     target, sizeof target, &rt);
		if (!c->want) {
			CHECK(rc == 0, "cap %zu: %s on %s matched", i, c->glob, c->path);
		} else {
			CHECK(rc == 1 && strcmp(target, c->want) == 0 && rt.len == strlen(target) &&
				      rt.status == 302,
			      "cap %zu: %s -> %s on %s: rc %d '%s', want '%s'", i, c->glob, c->to,
			      c->path, rc, target, c->want);
		}
		rules_free(r);
	}
}

struct target_error {
	const char *glob, *to;
	int status;
};

static const struct target_error target_errors[] = {
	{ "/a/*", "/b/$2", 301 },                    /* one wildcard only */
	{ "/a", "/b/$1", 301 },
	{ "/a/*", "/b/$x", 301 },
	{ "/a/*", "/b/$", 301 },
	{ "/a/*", "b", 301 },                        /* not a path */
	{ "/a/*", "//evil.com/", 301 },
	{ "/a/*", "https://$1.example.com/", 301 },  /* a capture may not pick the host */
	{ "/a/*", "https://example.com$1", 301 },
	{ "/a/*", "https:///x", 301 },
	{ "/a/*", "https://example.com/", 200 },     /* proxying */
	{ "/a/*", "https://example.com/", 404 },
	{ "/a/*", "/b", 500 },
	{ "/a/*", "/b", 304 },
	{ "/a/*", NULL, 301 },
	{ "/a/*", "/b\r\nX: y", 301 },
	{ "/a/*", "/b%zz", 301 },
};

static void test_target_errors(void)
{
	for (size_t i = 0; i < sizeof target_errors / sizeof target_errors[0]; i++) {
		const struct target_error *c = &target_errors[i];
		struct rules *r = rules_new();
		char err[256] = "";
		CHECK(rules_add_route(r, c->glob, c->to, c->status, false, err, sizeof err) == -1 &&
			      err[0],
		      "target %zu %s -> %s %d accepted", i, c->glob, c->to ? c->to : "(null)",
		      c->status);
		CHECK(rules_empty(r), "target %zu left a rule", i);
		rules_free(r);
	}
	/* a 4xx may have no page: the caller answers its own */
	struct rules *r = rules_new();
	char err[256] = "", target[64];
	struct rules_route rt;
	CHECK(rules_add_route(r, "/gone/**", NULL, 410, true, err, sizeof err) == 0, "410: %s", err);
	CHECK(rules_route(r, S("/gone/x"), false, S("a=1"), false, target, sizeof target, &rt) == 1 &&
		      rt.status == 410 && rt.len == 0 && target[0] == '\0' && rt.force,
	      "410 without a page");
	rules_free(r);
}

/* ---- _redirects ---- */

/* Examples from Netlify's and Cloudflare's documentation, and the IPFS
 * _redirects spec's fixture. */
static const char redirects_file[] =
	"# Redirects from what the browser requests to what we serve\n"
	"/home              /\n"
	"/blog/my-post.php  /blog/my-post\n"
	"/news              /blog\n"
	"/cuties            https://www.petsofnetlify.com\n"
	"/authors/c%C3%A9line /authors/about-c%C3%A9line\n"
	"/home302 / 302\n"
	"/querystrings /?query=string 301\n"
	"/page/ /page2/#fragment 301\n"
	"/trailing /trailing/ 301\n"
	"/news/*  /blog/:splat\n"
	"/posts/:month/:day/:year/:slug  /articles/:year/:month/:day/:slug  301\n"
	"/products/:code/:name /products?code=:code&name=:name\r\n"
	"/store id=:id  /blog/:id  301\n"
	"/articles id=:id tag=:tag /posts/:tag/:id 301\n"
	"/pass-through /index.html 200\n"
	"/app/*  /app/index.html  200\n"
	"/special-offer /too-late-its-over 404   # a comment\n"
	"/en/*  /en/404.html  404\n"
	"/gone/* /410.html 410\n"
	"/shadow /other 302!\n"
	"/movies/:title /media/:title\n"
	"/shop country=:c /shops/:c 302\n"
	"/*.jpg /img/:splat.webp 302\n"
	"\n"
	"   \t\n"
	"/spa/* 200\n"
	"/* /index.html 200\n";

struct redirect_case {
	const char *path, *query;
	bool exists;
	int rc, status;
	const char *target;
	bool force;
};

static const struct redirect_case redirect_cases[] = {
	{ "/home", "", false, 1, 301, "/", false },
	{ "/home/", "", false, 1, 301, "/", false },
	{ "/blog/my-post.php", "", false, 1, 301, "/blog/my-post", false },
	{ "/cuties", "", false, 1, 301, "https://www.petsofnetlify.com", false },
	{ "/cuties", "a=b", false, 1, 301, "https://www.petsofnetlify.com?a=b", false },
	{ "/authors/c\xc3\xa9line", "", false, 1, 301, "/authors/about-c%C3%A9line", false },
	{ "/home302", "", false, 1, 302, "/", false },
	{ "/querystrings", "", false, 1, 301, "/?query=string", false },
	{ "/querystrings", "x=1", false, 1, 301, "/?query=string&x=1", false },
	{ "/page", "", false, 1, 301, "/page2/#fragment", false },
	{ "/page/", "utm=1", false, 1, 301, "/page2/?utm=1#fragment", false },
	/* "/trailing /trailing/" leads back to itself: skipped, the catch-all serves */
	{ "/trailing", "", false, 1, 200, "/index.html", false },
	{ "/news/2024/05/x", "", false, 1, 301, "/blog/2024/05/x", false },
	{ "/news", "", false, 1, 301, "/blog", false }, /* the literal rule comes first */
	{ "/posts/06/15/2022/hello-world", "", false, 1, 301, "/articles/2022/06/15/hello-world",
	  false },
	{ "/products/42/shoe", "", false, 1, 301, "/products?code=42&name=shoe", false },
	{ "/store", "id=my-post", false, 1, 301, "/blog/my-post", false }, /* query dropped */
	{ "/store", "id=my-post&utm=x", false, 1, 301, "/blog/my-post", false },
	{ "/store", "other=1", false, 1, 200, "/index.html?other=1", false },
	{ "/articles", "tag=c&id=7", false, 1, 301, "/posts/c/7", false },
	{ "/articles", "id=7", false, 1, 200, "/index.html?id=7", false },
	{ "/pass-through", "", false, 1, 200, "/index.html", false },
	{ "/app/dashboard", "", false, 1, 200, "/app/index.html", false },
	/* rewriting /app/index.html to itself is a loop: the next rule serves */
	{ "/app/index.html", "", false, 1, 200, "/index.html", false },
	{ "/special-offer", "", false, 1, 404, "/too-late-its-over", false },
	{ "/en/missing", "", false, 1, 404, "/en/404.html", false },
	{ "/gone/x", "", false, 1, 410, "/410.html", false },
	{ "/shadow", "", true, 1, 302, "/other", true },           /* forced */
	{ "/home", "", true, 0, 0, "", false },                    /* a file shadows it */
	{ "/movies/up", "", false, 1, 301, "/media/up", false },
	{ "/shop", "country=fr", false, 1, 302, "/shops/fr", false },
	{ "/a/b/c.jpg", "", false, 1, 302, "/img/a/b/c.webp", false },
	/* the forward rule serves the path itself: a loop, so the next rule */
	{ "/spa/x/y", "", false, 1, 200, "/index.html", false },
	{ "/", "", false, 1, 200, "/index.html", false },
	{ "/anything/else", "q", false, 1, 200, "/index.html?q", false },
};

static void test_redirects(void)
{
	struct rules *r = rules_new();
	char err[256] = "";
	CHECK(rules_parse_redirects(r, redirects_file, sizeof redirects_file - 1, "_redirects", err,
				    sizeof err) == 0,
	      "_redirects: %s", err);
	for (size_t i = 0; i < sizeof redirect_cases / sizeof redirect_cases[0]; i++) {
		const struct redirect_case *c = &redirect_cases[i];
		char target[512] = "x";
		struct rules_route rt = { 0 };
		size_t n = strlen(c->path);
		bool ts = n > 1 && c->path[n - 1] == '/';
		int rc = rules_route(r, slice_make(c->path, ts ? n - 1 : n), ts, S(c->query),
				     c->exists, target, sizeof target, &rt);
		CHECK(rc == c->rc, "redirect %zu %s: rc %d want %d ('%s')", i, c->path, rc, c->rc,
		      target);
		if (rc == 1 && c->rc == 1)
			CHECK(rt.status == c->status && strcmp(target, c->target) == 0 &&
				      rt.force == c->force &&
				      rt.external == (strncmp(c->target, "https:", 6) == 0),
			      "redirect %zu %s: %d '%s' force %d, want %d '%s'", i, c->path,
			      rt.status, target, rt.force, c->status, c->target);
		if (rc == 0)
			CHECK(target[0] == '\0', "redirect %zu: target not emptied", i);
	}
	rules_free(r);
}

struct bad_line {
	const char *text, *want; /* want: the message's start */
};

static const struct bad_line bad_redirects[] = {
	{ "/a\n", "_redirects:1: missing destination" },
	{ "# x\n\n/a /b\n/c\n", "_redirects:4: missing destination" },
	{ "/a b\n", "_redirects:1: the destination must" },
	{ "a /b\n", "_redirects:1: the path must start with '/'" },
	{ "/a /b 999\n", "_redirects:1: status 999 is not supported" },
	{ "/a /b 30x\n", "_redirects:1: bad status" },
	{ "/a /b 301 extra\n", "_redirects:1: unexpected \"extra\"" },
	{ "/ /anz 302 Country=au,nz\n", "_redirects:1: Country conditions are not supported" },
	{ "/ /anz 302 Language=en\n", "_redirects:1: Language conditions" },
	{ "/admin/* /admin/:splat 200! Role=admin\n", "_redirects:1: Role conditions" },
	{ "/admin/* 200! Role=admin\n", "_redirects:1: Role conditions" },
	{ "/a /b 302 Cookie=preview\n", "_redirects:1: Cookie conditions" },
	{ "/api/* https://api.example.com/:splat 200\n", "_redirects:1: proxying" },
	{ "http://blog.example.com/* https://www.example.com/blog/:splat 301\n",
	  "_redirects:1: host-level rules" },
	{ "/a/*/b/* /c\n", "_redirects:1: only one splat" },
	{ "/a/:x/:x /c\n", "_redirects:1: placeholder \":x\" appears twice" },
	{ "/a /b\x01\n", "_redirects:1: control byte" },
	{ "/a /b\n/c\0 /d\n", "_redirects:2: NUL byte" },
	{ "/a /b%zz\n", "_redirects:1: target has a bad percent escape" },
	{ "/a%zz /b\n", "_redirects:1: bad percent escape in path" },
	{ "/a /en/404.html 404\n/b https://x.org/ 410\n", "_redirects:2: a status 410 page" },
	{ "/a =1 /b\n", "_redirects:1: query parameter \"=1\" has no name" },
	{ "/a/* :splat\n", "_redirects:1: the destination must start" },
	{ "/x//y /b\n", "_redirects:1: path has an empty segment" },
	{ "/s/* https://:splat.example.com/ 301\n", "_redirects:1: a placeholder may not choose" },
};

static void test_redirect_errors(void)
{
	for (size_t i = 0; i < sizeof bad_redirects / sizeof bad_redirects[0]; i++) {
		const struct bad_line *c = &bad_redirects[i];
		size_t len = strlen(c->text);
		if (strstr(c->want, "NUL"))
			len = 11; /* the text holds a NUL */
		struct rules *r = rules_new();
		char err[256] = "";
		CHECK(rules_add_route(r, "/keep", "/kept", 301, false, err, sizeof err) == 0, "%s",
		      err);
		int rc = rules_parse_redirects(r, c->text, len, "_redirects", err, sizeof err);
		CHECK(rc == -1 && strncmp(err, c->want, strlen(c->want)) == 0,
		      "bad redirects %zu: rc %d '%s', want '%s...'", i, rc, err, c->want);
		/* nothing of the failed file is kept, the earlier rule is */
		char target[64];
		struct rules_route rt;
		CHECK(rules_route(r, S("/a"), false, S(""), false, target, sizeof target, &rt) == 0 &&
			      rules_route(r, S("/keep"), false, S(""), false, target, sizeof target,
					  &rt) == 1,
		      "bad redirects %zu: rules kept", i);
		rules_free(r);
	}
}

/* ---- _headers ---- */

struct rec {
	char buf[2048];
	size_t len;
};

static void record(void *arg, enum rules_hop op, struct slice name, struct slice value)
{
	struct rec *rc = arg;
	static const char *const ops[] = { "SET", "ADD", "REMOVE" };
	int n = snprintf(rc->buf + rc->len, sizeof rc->buf - rc->len, "%s %.*s%s%.*s|", ops[op],
			 (int)name.len, name.ptr, op == RULES_REMOVE ? "" : ": ", (int)value.len,
			 value.ptr);
	if (n > 0 && (size_t)n < sizeof rc->buf - rc->len)
		rc->len += (size_t)n;
}

static const char headers_file[] =
	"\xef\xbb\xbf# This is a comment\n"
	"/secure/page\n"
	"  X-Frame-Options: DENY\n"
	"  X-Content-Type-Options: nosniff\n"
	"  Referrer-Policy: no-referrer\n"
	"\n"
	"/static/*\n"
	"  Access-Control-Allow-Origin: *\n"
	"  X-Robots-Tag: nosnippet\n"
	"/*\n"
	"  X-Robots-Tag: noindex\n"
	"  Content-Security-Policy: default-src 'self';\n"
	"/*.jpg\n"
	"  ! Content-Security-Policy\n"
	"/templates/index.html\n"
	"  # headers for that path:\n"
	"  X-Frame-Options: DENY\n"
	"  X-XSS-Protection: 1; mode=block\n"
	"/multi\n"
	"  cache-control: max-age=0\n"
	"  cache-control: no-cache\n"
	"  Cache-Control: no-store\n"
	"/movies/:title\n"
	"  x-movie-name: You are watching \":title\"\n"
	"/about/faq/*\r\n"
	"  Link: </about/faqs>; rel=\"canonical\"\r\n"
	"  X-Splat: :splat :nothing\r\n"
	"/empty-block\n"
	"/also-empty # a comment\n"
	"/also-empty\n"
	"  X-Also: 1\n";

struct header_case {
	const char *path, *want;
};

static const struct header_case header_cases[] = {
	{ "/secure/page",
	  "SET X-Frame-Options: DENY|SET X-Content-Type-Options: nosniff|"
	  "SET Referrer-Policy: no-referrer|SET X-Robots-Tag: noindex|"
	  "SET Content-Security-Policy: default-src 'self';|" },
	/* Cloudflare's table: both X-Robots-Tag values, joined */
	{ "/static/styles.css",
	  "SET Access-Control-Allow-Origin: *|SET X-Robots-Tag: nosnippet|"
	  "ADD X-Robots-Tag: noindex|SET Content-Security-Policy: default-src 'self';|" },
	{ "/static", "SET Access-Control-Allow-Origin: *|SET X-Robots-Tag: nosnippet|"
		     "ADD X-Robots-Tag: noindex|SET Content-Security-Policy: default-src 'self';|" },
	{ "/a/b.jpg", "SET X-Robots-Tag: noindex|SET Content-Security-Policy: default-src 'self';|"
		      "REMOVE Content-Security-Policy|" },
	{ "/multi", "SET X-Robots-Tag: noindex|SET Content-Security-Policy: default-src 'self';|"
		    "SET cache-control: max-age=0|ADD cache-control: no-cache|"
		    "ADD Cache-Control: no-store|" },
	{ "/movies/Up%20x", "SET X-Robots-Tag: noindex|"
			    "SET Content-Security-Policy: default-src 'self';|"
			    "SET x-movie-name: You are watching \"Up%2520x\"|" },
	{ "/movies/a\r\nb", "SET X-Robots-Tag: noindex|"
			    "SET Content-Security-Policy: default-src 'self';|"
			    "SET x-movie-name: You are watching \"a%0D%0Ab\"|" },
	{ "/about/faq/x/y", "SET X-Robots-Tag: noindex|"
			    "SET Content-Security-Policy: default-src 'self';|"
			    "SET Link: </about/faqs>; rel=\"canonical\"|SET X-Splat: x/y :nothing|" },
	{ "/", "SET X-Robots-Tag: noindex|SET Content-Security-Policy: default-src 'self';|" },
	{ "/also-empty", "SET X-Robots-Tag: noindex|"
			 "SET Content-Security-Policy: default-src 'self';|SET X-Also: 1|" },
};

static void test_headers(void)
{
	struct rules *r = rules_new();
	char err[256] = "";
	CHECK(rules_parse_headers(r, headers_file, sizeof headers_file - 1, "_headers", err,
				  sizeof err) == 0,
	      "_headers: %s", err);
	for (size_t i = 0; i < sizeof header_cases / sizeof header_cases[0]; i++) {
		struct rec rc = { "", 0 };
		rules_headers(r, S(header_cases[i].path), false, record, &rc);
		CHECK(strcmp(rc.buf, header_cases[i].want) == 0, "headers %zu %s:\n got %s\nwant %s",
		      i, header_cases[i].path, rc.buf, header_cases[i].want);
	}
	rules_free(r);
}

static const struct bad_line bad_headers[] = {
	{ "X-A: b\n", "_headers:1: a header line before any path" },
	{ "/a\n  X-A b\n", "_headers:2: expected \"Name: value\"" },
	{ "/a\n  X A: b\n", "_headers:2: header name \"X A\" is not a token" },
	{ "/a\n  : b\n", "_headers:2: header name must be" },
	{ "/a\n  X-A:\n", "_headers:2: header X-A has an empty value" },
	{ "/a\n  X-A: b\x01\n", "_headers:2: control byte" },
	{ "/a\n  X-A: b\rc\n", "_headers:2: control byte" },
	{ "https://myproject.pages.dev/*\n  X-Robots-Tag: noindex\n",
	  "_headers:1: absolute URLs" },
	{ "/a/*/*\n  X: y\n", "_headers:1: only one splat" },
	{ "/a\n  ! X Y\n", "_headers:2: header name \"X Y\" is not a token" },
	{ "/x\n  A: b\n/a/../b\n  X: y\n", "_headers:3: path has a \".\" or \"..\" segment" },
};

static void test_header_errors(void)
{
	for (size_t i = 0; i < sizeof bad_headers / sizeof bad_headers[0]; i++) {
		const struct bad_line *c = &bad_headers[i];
		struct rules *r = rules_new();
		char err[256] = "";
		int rc = rules_parse_headers(r, c->text, strlen(c->text), "_headers", err, sizeof err);
		CHECK(rc == -1 && strncmp(err, c->want, strlen(c->want)) == 0,
		      "bad headers %zu: rc %d '%s', want '%s...'", i, rc, err, c->want);
		CHECK(rules_empty(r), "bad headers %zu kept rules", i);
		rules_free(r);
	}
}

/* Config header rules: every match applies in order; values as written. */
static void test_config_headers(void)
{
	struct rules *r = rules_new();
	char err[256] = "";
	CHECK(rules_add_header(r, "/**", RULES_SET, "X-A", "1", err, sizeof err) == 0, "%s", err);
	CHECK(rules_add_header(r, "/a/**", RULES_ADD, "X-A", "2", err, sizeof err) == 0, "%s", err);
	CHECK(rules_add_header(r, "*.css", RULES_SET, "Cache-Control", "max-age=$1 :x", err,
			       sizeof err) == 0,
	      "%s", err);
	CHECK(rules_add_header(r, "/a/b/**", RULES_REMOVE, "X-A", NULL, err, sizeof err) == 0, "%s",
	      err);
	CHECK(rules_add_header(r, "/**", RULES_SET, "Bad Name", "x", err, sizeof err) == -1,
	      "bad name");
	CHECK(rules_add_header(r, "/**", RULES_SET, "X-B", "a\nb", err, sizeof err) == -1,
	      "value with LF");
	CHECK(rules_add_header(r, "/**", RULES_SET, "X-B", NULL, err, sizeof err) == -1, "no value");
	CHECK(rules_add_header(r, "/**", (enum rules_hop)7, "X-B", "v", err, sizeof err) == -1,
	      "bad op");
	/* _headers after config rules: replaces the config value, then joins */
	static const char h[] = "/a/*\n  X-A: 3\n";
	CHECK(rules_parse_headers(r, h, sizeof h - 1, "_headers", err, sizeof err) == 0, "%s", err);

	static const struct header_case cases[] = {
		{ "/x", "SET X-A: 1|" },
		{ "/a/x.css", "SET X-A: 1|ADD X-A: 2|SET Cache-Control: max-age=$1 :x|SET X-A: 3|" },
		/* a _headers '*' is a splat: it crosses '/' */
		{ "/a/b/c", "SET X-A: 1|ADD X-A: 2|REMOVE X-A|SET X-A: 3|" },
		{ "/b", "SET X-A: 1|" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct rec rc = { "", 0 };
		rules_headers(r, S(cases[i].path), false, record, &rc);
		CHECK(strcmp(rc.buf, cases[i].want) == 0, "config headers %s:\n got %s\nwant %s",
		      cases[i].path, rc.buf, cases[i].want);
	}
	rules_free(r);
}

/* ---- precedence, tags, bounds ---- */

static void test_precedence(void)
{
	struct rules *r = rules_new();
	char err[256] = "", target[64];
	struct rules_route rt;
	int tags[4];

	/* config rules first, then the site's file: the first match wins */
	CHECK(rules_add_route(r, "/docs/**", "/manual/$1", 308, false, err, sizeof err) == 0, "%s",
	      err);
	static const char f[] = "/docs/old /docs/new 301\n/blog/* /news/:splat 302\n"
				"/blog/x /never 301\n";
	CHECK(rules_parse_redirects(r, f, sizeof f - 1, "_redirects", err, sizeof err) == 0, "%s",
	      err);
	CHECK(rules_route(r, S("/docs/old"), false, S(""), false, target, sizeof target, &rt) == 1 &&
		      rt.status == 308 && strcmp(target, "/manual/old") == 0,
	      "config rule first: %d %s", rt.status, target);
	CHECK(rules_route(r, S("/blog/x"), false, S(""), false, target, sizeof target, &rt) == 1 &&
		      rt.status == 302 && strcmp(target, "/news/x") == 0,
	      "earlier file rule first: %s", target);

	CHECK(rules_add_tag(r, "/private/**", 1, err, sizeof err) == 0, "%s", err);
	CHECK(rules_add_tag(r, "*.zip", 2, err, sizeof err) == 0, "%s", err);
	CHECK(rules_add_tag(r, "/private/big/**", 3, err, sizeof err) == 0, "%s", err);
	int n = rules_tags(r, S("/private/big/a.zip"), false, tags, 4);
	CHECK(n == 3 && tags[0] == 1 && tags[1] == 2 && tags[2] == 3, "tags in order: %d", n);
	n = rules_tags(r, S("/private/big/a.zip"), false, tags, 2);
	CHECK(n == 3 && tags[0] == 1 && tags[1] == 2, "tags past max counted: %d", n);
	n = rules_tags(r, S("/private"), true, tags, 4);
	CHECK(n == 1 && tags[0] == 1, "the directory itself is private: %d", n);
	n = rules_tags(r, S(""), false, tags, 4);
	CHECK(n == 0, "empty path is the root");
	rules_free(r);

	/* an empty set costs nothing and matches nothing */
	CHECK(rules_empty(NULL), "NULL is empty");
	r = rules_new();
	CHECK(rules_empty(r), "new is empty");
	CHECK(rules_route(r, S("/a"), false, S(""), false, target, sizeof target, &rt) == 0 &&
		      target[0] == '\0',
	      "empty route");
	CHECK(rules_tags(r, S("/a"), false, tags, 4) == 0, "empty tags");
	struct rec rc = { "", 0 };
	rules_headers(r, S("/a"), false, record, &rc);
	CHECK(rc.len == 0, "empty headers");
	CHECK(rules_parse_redirects(r, "", 0, "_redirects", err, sizeof err) == 0 &&
		      rules_parse_headers(r, "# nothing\n", 10, "_headers", err, sizeof err) == 0 &&
		      rules_empty(r),
	      "files with no rule");
	rules_free(r);
}

/* A target that does not fit: -1, never a write past cap. */
static void test_overflow(void)
{
	struct rules *r = rules_new();
	char err[256] = "";
	struct rules_route rt;
	CHECK(rules_add_route(r, "/a/*", "/bbbbbbbb/$1", 301, false, err, sizeof err) == 0, "%s",
	      err);
	/* "/bbbbbbbb/xy" is 12 bytes: 13 with the NUL */
	for (size_t cap = 0; cap <= 16; cap++) {
		char buf[32];
		memset(buf, '#', sizeof buf);
		int rc = rules_route(r, S("/a/xy"), false, S(""), false, buf, cap, &rt);
		CHECK(rc == (cap >= 13 ? 1 : -1), "cap %zu: rc %d", cap, rc);
		for (size_t k = cap; k < sizeof buf; k++)
			if (buf[k] != '#') {
				CHECK(buf[k] == '#', "cap %zu: wrote at %zu", cap, k);
				break;
			}
		if (rc == 1)
			CHECK(strcmp(buf, "/bbbbbbbb/xy") == 0 && rt.len == 12, "cap %zu: %s", cap, buf);
		if (rc == -1 && cap)
			CHECK(buf[0] == '\0', "cap %zu: not emptied", cap);
	}
	/* a rule leading back to the path is skipped whatever the room */
	CHECK(rules_add_route(r, "/loop/**", "/loop/$1/", 301, false, err, sizeof err) == 0, "%s",
	      err);
	for (size_t cap = 0; cap <= 12; cap++) {
		char buf[16];
		CHECK(rules_route(r, S("/loop/x"), false, S("q"), false, buf, cap, &rt) == 0,
		      "loop with cap %zu", cap);
	}
	/* the query counts too, fragment moved behind it */
	CHECK(rules_add_route(r, "/f", "/g#h", 301, false, err, sizeof err) == 0, "%s", err);
	for (size_t cap = 0; cap <= 12; cap++) {
		char buf[32];
		memset(buf, '#', sizeof buf);
		int rc = rules_route(r, S("/f"), false, S("q=1"), false, buf, cap, &rt);
		/* "/g?q=1#h" is 8 bytes */
		CHECK(rc == (cap >= 9 ? 1 : -1), "query cap %zu: rc %d", cap, rc);
		for (size_t k = cap; k < sizeof buf; k++)
			if (buf[k] != '#') {
				CHECK(buf[k] == '#', "query cap %zu: wrote at %zu", cap, k);
				break;
			}
		if (rc == 1)
			CHECK(strcmp(buf, "/g?q=1#h") == 0, "query cap %zu: %s", cap, buf);
	}
	rules_free(r);
}

static void test_limits(void)
{
	struct rules *r = rules_new();
	char err[256] = "";
	int ok = 0;
	for (int i = 0; i < RULES_MAX; i++)
		ok += rules_add_tag(r, "/x", i, err, sizeof err) == 0;
	CHECK(ok == RULES_MAX, "%d rules", ok);
	CHECK(rules_add_tag(r, "/x", 0, err, sizeof err) == -1 && strstr(err, "more than"),
	      "rule %d: %s", RULES_MAX + 1, err);
	CHECK(rules_add_route(r, "/x", "/y", 301, false, err, sizeof err) == -1, "route over");
	static const char h[] = "/a\n  X: y\n";
	CHECK(rules_parse_headers(r, h, sizeof h - 1, "_headers", err, sizeof err) == -1 &&
		      strncmp(err, "_headers:2: more than", 21) == 0,
	      "header over: %s", err);
	rules_free(r);

	r = rules_new();
	size_t big = RULES_FILE_MAX + 1;
	char *text = malloc(big);
	memset(text, '\n', big);
	CHECK(rules_parse_redirects(r, text, big, "_redirects", err, sizeof err) == -1 &&
		      strstr(err, "larger than"),
	      "big file: %s", err);
	CHECK(rules_parse_headers(r, text, big - 1, "_headers", err, sizeof err) == 0,
	      "1 MiB of blank lines: %s", err);
	/* a file of bare paths keeps no block (nor the memory of one each) */
	for (size_t i = 0; i + 2 < big - 1; i += 2)
		memcpy(text + i, "/\n", 2);
	CHECK(rules_parse_headers(r, text, big - 1, "_headers", err, sizeof err) == 0 &&
		      rules_empty(r),
	      "1 MiB of paths: %s", err);
	free(text);
	static const char bom[] = "\xef\xbb\xbf/a /b\n";
	char target[16];
	struct rules_route rt;
	CHECK(rules_parse_redirects(r, bom, sizeof bom - 1, "_redirects", err, sizeof err) == 0 &&
		      rules_route(r, S("/a"), false, S(""), false, target, sizeof target, &rt) == 1,
	      "byte order mark: %s", err);

	/* errors are cut to the room given, always terminated */
	char small[12];
	CHECK(rules_parse_redirects(r, "/a\n", 3, "_redirects", small, sizeof small) == -1 &&
		      strlen(small) == sizeof small - 1,
	      "short err: %s", small);
	CHECK(rules_parse_redirects(r, "/a\n", 3, "_redirects", NULL, 0) == -1, "no err room");
	rules_free(r);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Patterns that make a backtracking matcher exponential, on paths at the
 * server's limit: each lookup is O(pattern x path). */
static void test_hostile(void)
{
	static char path[4096], glob[RULES_PATTERN_MAX + 1], target[8192];
	struct rules *r = rules_new();
	char err[256] = "";
	struct rules_route rt;
	size_t n = 0;

	while (n + 2 < sizeof path - 2) {
		path[n++] = '/';
		path[n++] = 'a';
	}
	struct slice miss = slice_make(path, n);
	path[n++] = '/';
	path[n++] = 'x';
	struct slice hit = slice_make(path, n);
	CHECK(rules_add_route(r, "/**/**/**/x", "/$1,$2,$3", 301, false, err, sizeof err) == 0,
	      "%s", err);
	CHECK(rules_add_tag(r, "/**a**a**a**a**a**a**a**x", 1, err, sizeof err) == 0, "%s", err);
	CHECK(rules_add_tag(r, "/*a*a*a*a*a*a*a*a*a*a*a*x", 2, err, sizeof err) == 0, "%s", err);
	/* as long as allowed: "/?*" repeated, then 'x'; too few segments */
	size_t g = 0;
	while (g + 3 < RULES_PATTERN_MAX - 1) {
		memcpy(glob + g, "/?*", 3);
		g += 3;
	}
	glob[g++] = 'x';
	glob[g] = '\0';
	CHECK(rules_add_tag(r, glob, 3, err, sizeof err) == 0, "long glob: %s", err);
	CHECK(rules_add_tag(r, "/**/**/**/**/**/**/**/**/x", 4, err, sizeof err) == 0, "%s", err);
	static const char hf[] = "/*/:a/:b/:c/:d\n  X: :a\n";
	CHECK(rules_parse_headers(r, hf, sizeof hf - 1, "_headers", err, sizeof err) == 0, "%s", err);

	double t0 = now();
	int tags[4];
	for (int k = 0; k < 5; k++) {
		CHECK(rules_route(r, hit, false, S(""), false, target, sizeof target, &rt) == 1 &&
			      rt.len == n && strcmp(target + n - 3, "a,,") == 0,
		      "hostile hit: len %zu", rt.len);
		CHECK(rules_route(r, miss, false, S(""), false, target, sizeof target, &rt) == 0,
		      "hostile miss");
		int nt = rules_tags(r, hit, false, tags, 4);
		CHECK(nt == 2 && tags[0] == 1 && tags[1] == 4, "hostile tags: %d", nt);
		CHECK(rules_tags(r, miss, false, tags, 4) == 0, "hostile tags miss");
		struct rec rc = { "", 0 };
		rules_headers(r, hit, false, record, &rc);
		CHECK(strcmp(rc.buf, "SET X: a|") == 0, "hostile headers: %s", rc.buf);
	}
	double dt = now() - t0;
	/* tens of ms without sanitizers; a backtracking matcher never ends */
	CHECK(dt < 5.0, "hostile lookups took %.2f s", dt);
	printf("test_rules: hostile lookups %.3f s\n", dt);
	rules_free(r);
}

/* What a path costs past the quick checks (rules_work), and that the
 * quick checks keep answering what the rules say. */
static void test_work(void)
{
	static char path[4096], text[128 * 1024];
	char err[256] = "", glob[64], target[8192];
	struct rules *r = rules_new();
	struct rules_route rt;
	int tags[4];

	/* A thousand interior wildcards, each with its own literal segment:
	 * a long path reaches the simulation of one of them. */
	for (int i = 0; i < 1000; i++) {
		snprintf(glob, sizeof glob, "/a/*/b/*/c%d/**", i);
		CHECK(rules_add_tag(r, glob, i, err, sizeof err) == 0, "%s", err);
	}
	size_t n = (size_t)snprintf(path, sizeof path, "/a/%01900d/b/%01900d/c7/zzzz", 0, 0);
	uint64_t w = rules_work(r, slice_make(path, n), false, S(""));
	CHECK(w > 0 && w <= RULES_WORK_MAX, "interior wildcards: work %llu",
	      (unsigned long long)w);
	CHECK(rules_tags(r, slice_make(path, n), false, tags, 4) == 1 && tags[0] == 7,
	      "interior wildcards: the one rule");
	n = (size_t)snprintf(path, sizeof path, "/a/x/b/y/c999");
	CHECK(rules_tags(r, slice_make(path, n), false, tags, 4) == 1 && tags[0] == 999,
	      "interior wildcards: the last rule");
	rules_free(r);

	/* Literal rules and "/dir/{**}" never simulate, whatever the path. */
	r = rules_new();
	size_t t = 0;
	for (int i = 0; i < 1000; i++)
		t += (size_t)snprintf(text + t, sizeof text - t, "/old/%d /new/%d 301\n/d%d/* /e/:splat 302\n",
				      i, i, i);
	CHECK(rules_parse_redirects(r, text, t, "_redirects", err, sizeof err) == 0, "%s", err);
	n = (size_t)snprintf(path, sizeof path, "/d999/%04000d", 0);
	CHECK(rules_work(r, slice_make(path, n), false, S("")) == 0, "literal and /dir/*: work");
	CHECK(rules_route(r, slice_make(path, n), false, S(""), false, target, sizeof target,
			  &rt) == 1 && rt.status == 302 && strncmp(target, "/e/0000", 7) == 0,
	      "/dir/* captured by hand: %s", target);
	rules_free(r);

	/* The same shape a thousand times: a short path is cheap, a long
	 * one passes the bound (the caller refuses it). */
	r = rules_new();
	t = 0;
	for (int i = 0; i < 1000; i++)
		t += (size_t)snprintf(text + t, sizeof text - t,
				      "/blog/:y/:m/:slug /news/:y/:slug?v=%d 301\n", i);
	CHECK(rules_parse_redirects(r, text, t, "_redirects", err, sizeof err) == 0, "%s", err);
	n = (size_t)snprintf(path, sizeof path, "/blog/2024/05/hello");
	w = rules_work(r, slice_make(path, n), false, S(""));
	CHECK(w > 0 && w <= RULES_WORK_MAX, "same shape, short path: work %llu",
	      (unsigned long long)w);
	CHECK(rules_route(r, slice_make(path, n), false, S(""), false, target, sizeof target,
			  &rt) == 1 && strcmp(target, "/news/2024/hello?v=0") == 0,
	      "same shape: %s", target);
	/* A route lookup ends at the first that answers. */
	n = (size_t)snprintf(path, sizeof path, "/blog/%01300d/%01300d/%01300d", 0, 0, 0);
	w = rules_work(r, slice_make(path, n), false, S(""));
	CHECK(w > 0 && w <= RULES_WORK_MAX, "same shape, long path, routes: work %llu",
	      (unsigned long long)w);
	rules_free(r);

	/* Header blocks all apply: the same shape a thousand times, on a
	 * long path, passes the bound (the caller refuses it). */
	r = rules_new();
	t = 0;
	for (int i = 0; i < 1000; i++)
		t += (size_t)snprintf(text + t, sizeof text - t, "/blog/:y/:m/:slug\n  X-N: %d\n", i);
	CHECK(rules_parse_headers(r, text, t, "_headers", err, sizeof err) == 0, "%s", err);
	w = rules_work(r, slice_make(path, n), false, S(""));
	CHECK(w > RULES_WORK_MAX, "same shape, long path, headers: work %llu",
	      (unsigned long long)w);
	n = (size_t)snprintf(path, sizeof path, "/blog/%01300d/%01300d", 0, 0);
	w = rules_work(r, slice_make(path, n), false, S(""));
	CHECK(w == 0, "another shape (three segments): work %llu", (unsigned long long)w);
	rules_free(r);

	/* Query conditions look at every field of the query. */
	r = rules_new();
	t = 0;
	for (int i = 0; i < 2000; i++)
		t += (size_t)snprintf(text + t, sizeof text - t, "/store id=%d /product/%d 301\n", i, i);
	CHECK(rules_parse_redirects(r, text, t, "_redirects", err, sizeof err) == 0, "%s", err);
	w = rules_work(r, S("/store"), false, S("id=1999"));
	CHECK(w > 0 && w <= RULES_WORK_MAX, "query conditions: work %llu", (unsigned long long)w);
	CHECK(rules_route(r, S("/store"), false, S("id=1999"), false, target, sizeof target,
			  &rt) == 1 && strcmp(target, "/product/1999") == 0,
	      "query conditions: %s", target);
	memset(path, '&', 8000 < sizeof path ? 8000 : sizeof path - 1);
	w = rules_work(r, S("/store"), false, slice_make(path, 4000));
	CHECK(w > RULES_WORK_MAX, "query of 4000 fields: work %llu", (unsigned long long)w);
	rules_free(r);
}

int main(void)
{
	test_glob_match();
	test_glob_errors();
	test_captures();
	test_target_errors();
	test_redirects();
	test_redirect_errors();
	test_headers();
	test_header_errors();
	test_config_headers();
	test_precedence();
	test_overflow();
	test_limits();
	test_work();
	test_hostile();
	return unit_done("test_rules");
}
