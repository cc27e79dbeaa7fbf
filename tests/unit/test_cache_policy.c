/* test_cache_policy.c - content-hashed file names and the Cache-Control
 * line chosen for a file. */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cache_policy.h"
#include "unit.h"

#define IMMUTABLE "Cache-Control: public, max-age=31536000, immutable\r\n"
#define NO_CACHE "Cache-Control: no-cache\r\n"
#define HTML "text/html; charset=utf-8"
#define CSS "text/css; charset=utf-8"
#define JS "text/javascript; charset=utf-8"

struct hashed_case {
	const char *name;
	bool hashed;
};

static const struct hashed_case hashed_cases[] = {
	/* what bundlers write */
	{ "app.3f9a1c2b.js", true },          /* webpack [contenthash:8] */
	{ "main-5d41402a.css", true },        /* dash-separated */
	{ "index-Bx7kQ2aZ.js", true },        /* Vite/Rollup base64url */
	{ "index-DiwrgTda.js", false },       /* no digit: could be a word */
	{ "Roboto-BoldItalic.woff2", false }, /* CamelCase is no hash */
	{ "index-Dh_3kLq9.js", true },        /* base64url with '_' */
	{ "chunk.abcdef12.min.js", true },    /* hash before a second extension */
	{ "dir/x.3f9a1c2b.css", true },       /* in a directory */
	{ "/a/b.c/x.3f9a1c2b.css", true },    /* dotted directory */
	{ "app.3F9A1C2B.js", true },          /* upper-case hex */
	{ "app.0123456789abcdef0123.js", true },
	{ "main.3f9a1c2b.chunk.js", true },   /* create-react-app */
	{ "vendor~main.3f9a1c2b.js", true },
	{ "logo.5d41402a.svg", true },
	{ "font.3f9a1c2b.woff2", true },
	/* no content hash */
	{ "report-20240115.pdf", false },     /* a date: digits only */
	{ "bootstrap.min.js", false },
	{ "jquery-3.7.1.js", false },         /* a version */
	{ "README", false },
	{ ".htaccess", false },
	{ "style.css", false },
	{ "abcdefgh.js", false },             /* stem only */
	{ "3f9a1c2b.js", false },             /* a hash as the stem is not marked */
	{ "dir/3f9a1c2b.css", false },
	{ "app.3f9a1c2.js", false },          /* 7 characters */
	{ "app.deadbeef.js", false },         /* hex without a digit */
	{ "app.12345678.js", false },         /* digits only */
	{ "app.abcdefgh.js", false },         /* one case, not hex */
	{ "app.ABCDEFGH.js", false },
	{ "app.3f9a1c2b", false },            /* the "hash" is the extension */
	{ "app-3f9a1c2b", false },            /* no extension */
	{ "x.3f9a1c2b/app.js", false },       /* in the directory, not the name */
	{ "x-3f9a1c2b/app.js", false },
	{ "my-component-name.js", false },
	{ "app.3f9a+c2b.js", false },         /* not base64url */
	{ "app.3f9a 1c2b.js", false },
	{ "app.3f9a1c2b3f9a1c2b3f9a1c2b3f9a1c2b3f9a1c2b3f9a1c2b3f9a1c2b3f9a1c2b0.js",
	  false },                            /* 65 characters: no hash is that long */
	{ "", false },
	{ ".", false },
	{ "/", false },
	{ "dir/", false },
};

static void test_hashed(void)
{
	for (size_t i = 0; i < sizeof hashed_cases / sizeof hashed_cases[0]; i++) {
		const struct hashed_case *c = &hashed_cases[i];
		bool got = cache_policy_hashed(slice_make(c->name, strlen(c->name)));
		CHECK(got == c->hashed, "hashed('%s') = %d, want %d", c->name, got, c->hashed);
	}
	/* only the slice counts, not what follows it in memory */
	static const char buf[] = "x.3f9a1c2b.css";
	CHECK(!cache_policy_hashed(slice_make(buf, 10)), "slice 'x.3f9a1c2b' of '%s' is hashed", buf);
	CHECK(cache_policy_hashed(slice_make(buf, sizeof buf - 1)), "'%s' not hashed", buf);
	static const char buf2[] = "style.css/app.3f9a1c2b.js";
	CHECK(!cache_policy_hashed(slice_make(buf2, 9)), "slice 'style.css' of '%s' is hashed", buf2);
}

struct header_case {
	const char *name, *type;
	long max_age;
	bool smart;
	const char *want; /* "" for none */
};

static const struct header_case header_cases[] = {
	/* smart: hashed -> immutable, whatever max_age */
	{ "app.3f9a1c2b.js", JS, -1, true, IMMUTABLE },
	{ "app.3f9a1c2b.js", JS, 0, true, IMMUTABLE },
	{ "app.3f9a1c2b.js", JS, 60, true, IMMUTABLE },
	{ "/assets/index-Bx7kQ2aZ.css", CSS, 3600, true, IMMUTABLE },
	/* smart: HTML is always revalidated */
	{ "index.html", HTML, -1, true, NO_CACHE },
	{ "index.html", HTML, 3600, true, NO_CACHE },
	{ "/docs/page.htm", "text/html", 0, true, NO_CACHE },
	/* smart: everything else follows max_age, and is revalidated without */
	{ "style.css", CSS, 3600, true, "Cache-Control: max-age=3600\r\n" },
	{ "style.css", CSS, 0, true, "Cache-Control: max-age=0\r\n" },
	{ "style.css", CSS, -1, true, NO_CACHE },
	{ "logo.png", "image/png", 86400, true, "Cache-Control: max-age=86400\r\n" },
	{ "data.json", "application/json", -1, true, NO_CACHE },
	{ "logo.png", "image/png", -1, true, NO_CACHE },
	{ "x.xhtml", "application/xhtml+xml; charset=utf-8", 5, true, "Cache-Control: max-age=5\r\n" },
	{ "style.css", CSS, LONG_MAX, true, "Cache-Control: max-age=9223372036854775807\r\n" },
	/* not smart: max-age only, hashed or HTML alike */
	{ "app.3f9a1c2b.js", JS, 60, false, "Cache-Control: max-age=60\r\n" },
	{ "app.3f9a1c2b.js", JS, -1, false, "" },
	{ "index.html", HTML, 60, false, "Cache-Control: max-age=60\r\n" },
	{ "index.html", HTML, -1, false, "" },
	{ "index.html", HTML, 0, false, "Cache-Control: max-age=0\r\n" },
	{ "style.css", CSS, 10, false, "Cache-Control: max-age=10\r\n" },
	{ "style.css", CSS, -1, false, "" },
};

static void test_header(void)
{
	for (size_t i = 0; i < sizeof header_cases / sizeof header_cases[0]; i++) {
		const struct header_case *c = &header_cases[i];
		char out[128];
		memset(out, 'X', sizeof out);
		size_t n = cache_policy_header(slice_make(c->name, strlen(c->name)), c->type,
					       c->max_age, c->smart, out, sizeof out);
		size_t want = strlen(c->want);
		CHECK(n == want, "'%s' %s max_age %ld smart %d: length %zu, want %zu", c->name,
		      c->type, c->max_age, c->smart, n, want);
		CHECK(memchr(out, '\0', sizeof out) != NULL && strcmp(out, c->want) == 0,
		      "'%s' %s max_age %ld smart %d: '%.*s', want '%s'", c->name, c->type,
		      c->max_age, c->smart, (int)strnlen(out, sizeof out), out, c->want);
	}

	/* too small a buffer: nothing (never half a line) */
	char small[16];
	size_t n = cache_policy_header(SLICE_LIT("app.3f9a1c2b.js"), JS, -1, true, small, sizeof small);
	CHECK(n == 0, "immutable line into 16 bytes: %zu", n);
	n = cache_policy_header(SLICE_LIT("style.css"), CSS, 3600, true, small, sizeof small);
	CHECK(n == 0, "max-age line into 16 bytes: %zu", n);
	/* exactly the line plus its NUL fits */
	char exact[sizeof NO_CACHE];
	n = cache_policy_header(SLICE_LIT("a.html"), HTML, -1, true, exact, sizeof exact);
	CHECK(n == sizeof NO_CACHE - 1 && strcmp(exact, NO_CACHE) == 0, "no-cache into %zu: %zu",
	      sizeof exact, n);
	n = cache_policy_header(SLICE_LIT("a.html"), HTML, -1, true, exact, sizeof exact - 1);
	CHECK(n == 0, "no-cache into %zu: %zu", sizeof exact - 1, n);
}

int main(void)
{
	test_hashed();
	test_header();
	return unit_done("cache_policy");
}
