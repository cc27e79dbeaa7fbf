/* test_listing.c - directory listings: order (by name, size and time,
 * either way, as a query asks), the page's layout (breadcrumbs, sort
 * headings, exact sizes and dates for tools), and names that hold anything
 * but '/' and NUL kept harmless in HTML, in links and in JSON. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listing.h"
#include "unit.h"

#define FFFD "\xef\xbf\xbd"

/* ---- helpers ---- */

/* True if s[0..n) is well-formed UTF-8 (RFC 3629). */
static bool utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	while (p < end) {
		unsigned c = *p;
		size_t k;
		unsigned cp;
		if (c < 0x80) {
			p++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			k = 1, cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 2, cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3, cp = c & 0x07;
		} else {
			return false;
		}
		if ((size_t)(end - p) <= k)
			return false;
		for (size_t i = 1; i <= k; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		p += k + 1;
	}
	return true;
}

/* What a name becomes in UTF-8 output: each byte that does not start a
 * well-formed sequence is U+FFFD. An independent decoder: maximal valid
 * sequences are copied, anything else is replaced byte by byte. */
static void utf8_fix(const char *s, char *out, size_t cap)
{
	size_t w = 0, n = strlen(s);
	for (size_t i = 0; i < n && w + 4 < cap;) {
		size_t k;
		for (k = 4; k >= 1; k--)
			if (i + k <= n && utf8_valid(s + i, k) &&
			    (k == 1 || (unsigned char)s[i] >= 0x80))
				break;
		if (k >= 1 && !(k == 1 && (unsigned char)s[i] >= 0x80)) {
			memcpy(out + w, s + i, k);
			w += k;
			i += k;
		} else {
			memcpy(out + w, FFFD, 3);
			w += 3;
			i++;
		}
	}
	out[w] = '\0';
}

/* Percent-encoding of everything but RFC 3986 unreserved characters. */
static void url_encode(const char *s, char *out, size_t cap)
{
	size_t w = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p && w + 4 < cap; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '.' || *p == '_' || *p == '~')
			out[w++] = (char)*p;
		else
			w += (size_t)snprintf(out + w, cap - w, "%%%02X", *p);
	}
	out[w] = '\0';
}

/* HTML text of a name: the five specials as references, invalid UTF-8 as
 * U+FFFD. */
static void html_escape(const char *s, char *out, size_t cap)
{
	char fixed[1024];
	size_t w = 0;
	utf8_fix(s, fixed, sizeof fixed);
	for (const char *p = fixed; *p && w + 8 < cap; p++) {
		const char *r = NULL;
		switch (*p) {
		case '<': r = "&lt;"; break;
		case '>': r = "&gt;"; break;
		case '&': r = "&amp;"; break;
		case '"': r = "&quot;"; break;
		case '\'': r = "&#39;"; break;
		}
		if (r) {
			memcpy(out + w, r, strlen(r));
			w += strlen(r);
		} else {
			out[w++] = *p;
		}
	}
	out[w] = '\0';
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0, k = strlen(needle);
	for (const char *p = hay; (p = strstr(p, needle)); p += k ? k : 1)
		n++;
	return n;
}

static void add(struct listing *l, const char *name, bool is_dir, uint64_t size, time_t mtime)
{
	int rc = listing_add(l, name, is_dir, size, mtime);
	CHECK(rc == 0, "listing_add('%s') = %d", name, rc);
}

/* ---- sort ---- */

struct sort_case {
	const char *in[12];   /* "d:" prefix for a directory */
	const char *want[12]; /* the sorted order */
};

static const struct sort_case sort_cases[] = {
	{ { "a10", "a2", "a1", NULL }, { "a1", "a2", "a10", NULL } },
	{ { "file10.txt", "file9.txt", "file1.txt", "file100.txt", NULL },
	  { "file1.txt", "file9.txt", "file10.txt", "file100.txt", NULL } },
	{ { "b", "d:z", "a", "d:a10", "d:a2", NULL }, { "d:a2", "d:a10", "d:z", "a", "b", NULL } },
	{ { "d:same", "same", NULL }, { "d:same", "same", NULL } },
	{ { "same", "d:same", NULL }, { "d:same", "same", NULL } },
	{ { "zzz", "d:zzz", "aaa", "d:aaa", NULL }, { "d:aaa", "d:zzz", "aaa", "zzz", NULL } },
	{ { "v1.10.0", "v1.9.2", "v1.2.10", "v1.2.9", NULL },
	  { "v1.2.9", "v1.2.10", "v1.9.2", "v1.10.0", NULL } },
	{ { "x", NULL }, { "x", NULL } },
	{ { NULL }, { NULL } },
	/* byte order outside the digits: upper case first, UTF-8 last */
	{ { "\xc3\xa9", "b", "B", "a", "A", NULL }, { "A", "B", "a", "b", "\xc3\xa9", NULL } },
	{ { "img12.png", "img2.png", "img1.png", "img.png", NULL },
	  { "img.png", "img1.png", "img2.png", "img12.png", NULL } },
};

static void fill(struct listing *l, const char *const *names, const size_t *perm, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *s = names[perm ? perm[i] : i];
		bool dir = strncmp(s, "d:", 2) == 0;
		add(l, dir ? s + 2 : s, dir, 1, 0);
	}
}

static void join_names(const struct listing *l, char *out, size_t cap)
{
	size_t w = 0;
	out[0] = '\0';
	for (size_t i = 0; i < l->n && w < cap; i++) {
		int k = snprintf(out + w, cap - w, "%s%s%s", i ? " " : "", l->v[i].is_dir ? "d:" : "",
				 l->v[i].name);
		if (k < 0)
			break;
		w += (size_t)k;
	}
}

static void test_sort(void)
{
	for (size_t i = 0; i < sizeof sort_cases / sizeof sort_cases[0]; i++) {
		const struct sort_case *c = &sort_cases[i];
		size_t n = 0;
		while (c->in[n])
			n++;
		struct listing l = { 0 };
		fill(&l, c->in, NULL, n);
		listing_sort(&l);
		char got[512], want[512];
		join_names(&l, got, sizeof got);
		struct listing w = { 0 };
		fill(&w, c->want, NULL, n);
		join_names(&w, want, sizeof want);
		CHECK(l.n == n && strcmp(got, want) == 0, "case %zu: sorted '%s', want '%s'", i, got,
		      want);
		listing_free(&l);
		listing_free(&w);
		CHECK(l.n == 0 && l.v == NULL, "listing_free leaves n %zu", l.n);
	}

	/* The order is a total one: any input order sorts the same, also for
	 * names that only differ by leading zeros or case, and a directory
	 * and a file of the same name. */
	static const char *const names[] = { "a1",  "a01", "a001", "A1", "a1b", "a1.txt", "d:a1",
					     "d:a01", "a10", "a010", "a",  "",    "d:",   "0" };
	enum { N = sizeof names / sizeof names[0] };
	size_t perm[N];
	char first[512] = "";
	for (unsigned round = 0; round < 50; round++) {
		for (size_t i = 0; i < N; i++)
			perm[i] = i;
		unsigned x = round * 2654435761u + 1;
		for (size_t i = N - 1; i > 0 && round; i--) { /* round 0: as given */
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			size_t j = x % (i + 1), t = perm[i];
			perm[i] = perm[j];
			perm[j] = t;
		}
		struct listing l = { 0 };
		fill(&l, names, perm, N);
		listing_sort(&l);
		char got[512];
		join_names(&l, got, sizeof got);
		if (round == 0)
			memcpy(first, got, sizeof got);
		else
			CHECK(strcmp(got, first) == 0, "permutation %u sorts to '%s', not '%s'", round,
			      got, first);
		/* directories first, and each adjacent pair in order */
		for (size_t i = 1; i < l.n; i++) {
			const struct listing_entry *a = &l.v[i - 1], *b = &l.v[i];
			CHECK(a->is_dir >= b->is_dir, "'%s' (file) before '%s' (dir)", a->name, b->name);
			if (a->is_dir == b->is_dir)
				CHECK(strverscmp(a->name, b->name) <= 0, "'%s' before '%s'", a->name,
				      b->name);
		}
		listing_free(&l);
	}
	CHECK(strncmp(first, "d: d:a01 d:a1 ", 14) == 0, "directories first: '%s'", first);

	/* many entries: listing_add grows, sort keeps every name */
	struct listing l = { 0 };
	char name[32];
	for (int i = 999; i >= 0; i--) {
		snprintf(name, sizeof name, "f%d", i);
		add(&l, name, i % 7 == 0, (uint64_t)i, i);
	}
	listing_sort(&l);
	size_t dirs = 0;
	bool ordered = l.n == 1000;
	for (size_t i = 0; i < l.n; i++) {
		if (l.v[i].is_dir)
			dirs++;
		if (i > 0 && l.v[i].is_dir == l.v[i - 1].is_dir) {
			int a = atoi(l.v[i - 1].name + 1), b = atoi(l.v[i].name + 1);
			ordered = ordered && a < b && l.v[i].size == (uint64_t)b;
		}
	}
	CHECK(ordered && dirs == 143, "1000 entries: n %zu, dirs %zu, ordered %d", l.n, dirs, ordered);
	listing_free(&l);
}

/* ---- sort by a column ---- */

struct sort_fixture_entry {
	const char *name; /* "d:" prefix for a directory */
	uint64_t size;
	time_t mtime;
};

/* Ties on purpose: b2 and b10 have the same size and time (natural name
 * order breaks them); a directory's size never counts. */
static const struct sort_fixture_entry sort_fixture[] = {
	{ "d:beta", 4096, 300 }, { "c.txt", 10, 200 },   { "d:alpha", 100, 500 },
	{ "a.txt", 30, 100 },    { "b10.txt", 20, 300 }, { "d:gamma", 9999, 100 },
	{ "b2.txt", 20, 300 },   { "e.txt", 0, 400 },
};

struct sort_by_case {
	enum listing_order by;
	bool desc;
	const char *want;
};

static const struct sort_by_case sort_by_cases[] = {
	{ LISTING_BY_NAME, false, "d:alpha d:beta d:gamma a.txt b2.txt b10.txt c.txt e.txt" },
	{ LISTING_BY_NAME, true, "d:gamma d:beta d:alpha e.txt c.txt b10.txt b2.txt a.txt" },
	/* directories by name under size: their st_size means nothing */
	{ LISTING_BY_SIZE, false, "d:alpha d:beta d:gamma e.txt c.txt b2.txt b10.txt a.txt" },
	{ LISTING_BY_SIZE, true, "d:gamma d:beta d:alpha a.txt b10.txt b2.txt c.txt e.txt" },
	{ LISTING_BY_TIME, false, "d:gamma d:beta d:alpha a.txt c.txt b2.txt b10.txt e.txt" },
	{ LISTING_BY_TIME, true, "d:alpha d:beta d:gamma e.txt b10.txt b2.txt c.txt a.txt" },
};

static const char *order_name(enum listing_order by, bool desc)
{
	static const char *names[3][2] = { { "name asc", "name desc" },
					   { "size asc", "size desc" },
					   { "time asc", "time desc" } };
	return (unsigned)by < 3 ? names[by][desc] : "unknown";
}

static void fill_fixture(struct listing *l, const struct sort_fixture_entry *v, size_t n,
			 const size_t *perm)
{
	for (size_t i = 0; i < n; i++) {
		const struct sort_fixture_entry *e = &v[perm ? perm[i] : i];
		bool dir = strncmp(e->name, "d:", 2) == 0;
		add(l, dir ? e->name + 2 : e->name, dir, e->size, e->mtime);
	}
}

static void shuffle(size_t *perm, size_t n, unsigned round)
{
	for (size_t i = 0; i < n; i++)
		perm[i] = i;
	unsigned x = round * 2654435761u + 1;
	for (size_t i = n - 1; i > 0 && round; i--) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		size_t j = x % (i + 1), t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
}

static void test_sort_by(void)
{
	enum { N = sizeof sort_fixture / sizeof sort_fixture[0] };
	size_t perm[N];
	for (size_t c = 0; c < sizeof sort_by_cases / sizeof sort_by_cases[0]; c++) {
		const struct sort_by_case *t = &sort_by_cases[c];
		/* any input order gives the same page */
		for (unsigned round = 0; round < 30; round++) {
			shuffle(perm, N, round);
			struct listing l = { 0 };
			fill_fixture(&l, sort_fixture, N, perm);
			listing_sort_by(&l, t->by, t->desc);
			char got[512];
			join_names(&l, got, sizeof got);
			CHECK(l.n == N && strcmp(got, t->want) == 0,
			      "%s (round %u): '%s', want '%s'", order_name(t->by, t->desc), round,
			      got, t->want);
			listing_free(&l);
		}
	}

	/* descending is ascending reversed within each group, and directories
	 * stay first in every order */
	for (int by = LISTING_BY_NAME; by <= LISTING_BY_TIME; by++) {
		struct listing a = { 0 }, d = { 0 };
		fill_fixture(&a, sort_fixture, N, NULL);
		fill_fixture(&d, sort_fixture, N, NULL);
		listing_sort_by(&a, (enum listing_order)by, false);
		listing_sort_by(&d, (enum listing_order)by, true);
		size_t ndirs = 0;
		while (ndirs < a.n && a.v[ndirs].is_dir)
			ndirs++;
		bool ok = a.n == N && d.n == N;
		for (size_t i = 0; ok && i < N; i++) {
			size_t j = i < ndirs ? ndirs - 1 - i : N - 1 - (i - ndirs);
			ok = strcmp(d.v[i].name, a.v[j].name) == 0 && d.v[i].is_dir == (i < ndirs);
		}
		CHECK(ok, "%s is not %s reversed within groups", order_name(by, true),
		      order_name(by, false));
		listing_free(&a);
		listing_free(&d);
	}

	/* listing_sort is name ascending */
	struct listing a = { 0 }, b = { 0 };
	fill_fixture(&a, sort_fixture, N, NULL);
	fill_fixture(&b, sort_fixture, N, NULL);
	listing_sort(&a);
	listing_sort_by(&b, LISTING_BY_NAME, false);
	char ga[512], gb[512];
	join_names(&a, ga, sizeof ga);
	join_names(&b, gb, sizeof gb);
	CHECK(strcmp(ga, gb) == 0, "listing_sort '%s', by name '%s'", ga, gb);
	listing_free(&a);
	listing_free(&b);

	/* extremes compare without overflow: sizes near 2^64, times before
	 * 1970 and far beyond 9999 */
	static const struct sort_fixture_entry extreme[] = {
		{ "max", UINT64_MAX, INT64_MAX },  { "zero", 0, 0 },
		{ "half", 1ull << 63, -1 },       { "one", 1, INT64_MIN },
		{ "below", (1ull << 63) - 1, 1 }, { "d:dir", UINT64_MAX, 5 },
	};
	static const struct sort_by_case extreme_cases[] = {
		{ LISTING_BY_SIZE, false, "d:dir zero one below half max" },
		{ LISTING_BY_SIZE, true, "d:dir max half below one zero" },
		{ LISTING_BY_TIME, false, "d:dir one half zero below max" },
		{ LISTING_BY_TIME, true, "d:dir max below zero half one" },
	};
	enum { NX = sizeof extreme / sizeof extreme[0] };
	for (size_t c = 0; c < sizeof extreme_cases / sizeof extreme_cases[0]; c++) {
		const struct sort_by_case *t = &extreme_cases[c];
		struct listing l = { 0 };
		fill_fixture(&l, extreme, NX, NULL);
		listing_sort_by(&l, t->by, t->desc);
		char got[512];
		join_names(&l, got, sizeof got);
		CHECK(strcmp(got, t->want) == 0, "extremes %s: '%s', want '%s'",
		      order_name(t->by, t->desc), got, t->want);
		listing_free(&l);
	}

	/* nothing, one entry, directories only: no crash, nothing lost */
	for (int by = LISTING_BY_NAME; by <= LISTING_BY_TIME; by++) {
		for (int desc = 0; desc < 2; desc++) {
			struct listing none = { 0 }, one = { 0 }, dirs = { 0 }, files = { 0 };
			listing_sort_by(&none, (enum listing_order)by, desc);
			CHECK(none.n == 0, "empty listing has %zu entries", none.n);
			add(&one, "x", false, 1, 1);
			listing_sort_by(&one, (enum listing_order)by, desc);
			CHECK(one.n == 1 && strcmp(one.v[0].name, "x") == 0, "one entry lost");
			static const char *const dn[] = { "d:b", "d:a10", "d:a2" };
			fill(&dirs, dn, NULL, 3);
			listing_sort_by(&dirs, (enum listing_order)by, desc);
			char got[128];
			join_names(&dirs, got, sizeof got);
			CHECK(strcmp(got, desc ? "d:b d:a10 d:a2" : "d:a2 d:a10 d:b") == 0,
			      "directories only, %s: '%s'", order_name(by, desc), got);
			static const char *const fn[] = { "b", "a10", "a2" };
			fill(&files, fn, NULL, 3);
			listing_sort_by(&files, (enum listing_order)by, desc);
			join_names(&files, got, sizeof got);
			CHECK(strcmp(got, desc ? "b a10 a2" : "a2 a10 b") == 0,
			      "files only, %s: '%s'", order_name(by, desc), got);
			listing_free(&none);
			listing_free(&one);
			listing_free(&dirs);
			listing_free(&files);
		}
	}

	/* an order the enum does not hold (the server passes an int) sorts by
	 * name */
	struct listing l = { 0 };
	fill_fixture(&l, sort_fixture, N, NULL);
	listing_sort_by(&l, (enum listing_order)7, false);
	char got[512];
	join_names(&l, got, sizeof got);
	CHECK(strcmp(got, sort_by_cases[0].want) == 0, "unknown order: '%s'", got);
	listing_free(&l);
}

/* ---- the order a query asks for ---- */

struct order_case {
	const char *query;
	long len; /* -1: strlen */
	enum listing_order by;
	bool desc;
};

static const struct order_case order_cases[] = {
	{ "", -1, LISTING_BY_NAME, false },
	{ NULL, 0, LISTING_BY_NAME, false },
	{ "sort=size&order=desc", -1, LISTING_BY_SIZE, true },
	{ "sort=size&order=asc", -1, LISTING_BY_SIZE, false },
	{ "sort=size", -1, LISTING_BY_SIZE, false },
	{ "order=desc", -1, LISTING_BY_NAME, true },
	{ "sort=name&order=desc", -1, LISTING_BY_NAME, true },
	{ "sort=name&order=asc", -1, LISTING_BY_NAME, false },
	{ "sort=time&order=asc", -1, LISTING_BY_TIME, false },
	{ "sort=time&order=desc", -1, LISTING_BY_TIME, true },
	{ "sort=modified", -1, LISTING_BY_TIME, false }, /* Caddy's and miniserve's word */
	{ "sort=modified&order=desc", -1, LISTING_BY_TIME, true },
	{ "order=desc&sort=time", -1, LISTING_BY_TIME, true }, /* any order of the pair */
	{ "a=1&sort=time&b=2&order=desc&c", -1, LISTING_BY_TIME, true },
	/* ';' separates as '&' does (HTML 4.01's recommendation) */
	{ "sort=size;order=desc", -1, LISTING_BY_SIZE, true },
	{ "sort=time;order=desc&x=1", -1, LISTING_BY_TIME, true },
	/* repeated and leading/trailing separators */
	{ "sort=size&&order=desc", -1, LISTING_BY_SIZE, true },
	{ "&&sort=size&&&order=desc&&", -1, LISTING_BY_SIZE, true },
	{ ";;sort=time;&;order=desc;", -1, LISTING_BY_TIME, true },
	{ "&", -1, LISTING_BY_NAME, false },
	{ "&&&;;;", -1, LISTING_BY_NAME, false },
	/* unknown values: the default */
	{ "sort=bogus&order=bogus", -1, LISTING_BY_NAME, false },
	{ "sort=size&order=bogus", -1, LISTING_BY_SIZE, false },
	{ "sort=bogus&order=desc", -1, LISTING_BY_NAME, true },
	{ "sort=&order=", -1, LISTING_BY_NAME, false },
	{ "sort&order", -1, LISTING_BY_NAME, false },
	{ "sort=SIZE&order=DESC", -1, LISTING_BY_NAME, false }, /* values are case-sensitive */
	{ "sort=sizes", -1, LISTING_BY_NAME, false },
	{ "sort=siz", -1, LISTING_BY_NAME, false },
	{ "sort=size&order=descending", -1, LISTING_BY_SIZE, false },
	{ "sort=size &order=desc ", -1, LISTING_BY_NAME, false },
	{ "sort=%73ize&order=%64esc", -1, LISTING_BY_NAME, false }, /* not decoded */
	{ "sort=size%26order=desc", -1, LISTING_BY_NAME, false },
	{ "xsort=size&yorder=desc", -1, LISTING_BY_NAME, false },
	{ "Sort=size&Order=desc", -1, LISTING_BY_NAME, false },
	{ "sort==size", -1, LISTING_BY_NAME, false },
	/* the first of a repeated key wins, as in Go's Query().Get */
	{ "sort=size&sort=time", -1, LISTING_BY_SIZE, false },
	{ "order=desc&order=asc", -1, LISTING_BY_NAME, true },
	{ "sort=bogus&sort=time", -1, LISTING_BY_NAME, false },
	/* the length bounds the query: nothing past it is read */
	{ "sort=size&order=desc", 9, LISTING_BY_SIZE, false },
	{ "sort=timeXYZ", 9, LISTING_BY_TIME, false },
	{ "sort=size&order=descX", 20, LISTING_BY_SIZE, true },
	{ "sort=size&order=desc", 19, LISTING_BY_SIZE, false },
	{ "sort", 4, LISTING_BY_NAME, false },
	{ "sort=", 5, LISTING_BY_NAME, false },
	{ "order=desc", 6, LISTING_BY_NAME, false },
};

static void test_order_parse(void)
{
	for (size_t i = 0; i < sizeof order_cases / sizeof order_cases[0]; i++) {
		const struct order_case *c = &order_cases[i];
		size_t len = c->len < 0 ? strlen(c->query) : (size_t)c->len;
		/* an exact-size copy with no NUL: an over-read is a sanitizer
		 * report */
		char *q = len ? malloc(len) : NULL;
		if (len)
			memcpy(q, c->query, len);
		enum listing_order by = (enum listing_order)99;
		bool desc = !c->desc;
		listing_order_parse(q, len, &by, &desc);
		CHECK(by == c->by && desc == c->desc, "'%.*s': %s, want %s", (int)len,
		      c->query ? c->query : "", order_name(by, desc), order_name(c->by, c->desc));
		free(q);
	}
}

/* ---- HTML ---- */

/* Links to entries: "./name" and the parent "../". The breadcrumbs ("/...")
 * and the column headings ("?sort=...") are the page's own links. */
static size_t entry_links(const char *page)
{
	return count(page, "<a href=\"./") + count(page, "<a href=\"../\"");
}

static const char *const sort_hrefs[] = {
	"?sort=name&amp;order=asc", "?sort=name&amp;order=desc", "?sort=size&amp;order=asc",
	"?sort=size&amp;order=desc", "?sort=time&amp;order=asc", "?sort=time&amp;order=desc",
};

/* Every href="..." value is either one of the six column orders, or a path
 * ("./entry", "../", or a breadcrumb "/...") of unreserved characters, '/'
 * and %XX escapes. */
static void check_hrefs(const char *page, const char *what)
{
	const char *p = page;
	while ((p = strstr(p, "href=\""))) {
		p += 6;
		const char *end = strchr(p, '"');
		CHECK(end != NULL, "%s: unterminated href", what);
		if (!end)
			return;
		size_t n = (size_t)(end - p);
		if (*p == '?') {
			bool known = false;
			for (size_t i = 0; i < sizeof sort_hrefs / sizeof sort_hrefs[0]; i++)
				known = known || (strlen(sort_hrefs[i]) == n &&
						  memcmp(p, sort_hrefs[i], n) == 0);
			CHECK(known, "%s: href '%.*s' is no column order", what, (int)n, p);
			p = end + 1;
			continue;
		}
		CHECK(*p == '/' || strncmp(p, "./", 2) == 0 || (n == 3 && memcmp(p, "../", 3) == 0),
		      "%s: href '%.*s' neither ./, ../ nor /", what, (int)n, p);
		for (const char *q = p; q < end; q++) {
			unsigned char c = (unsigned char)*q;
			bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				  (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
				  c == '~' || c == '/';
			if (c == '%') {
				ok = end - q > 2 && strchr("0123456789ABCDEF", q[1]) &&
				     strchr("0123456789ABCDEF", q[2]);
				q += 2;
			}
			CHECK(ok, "%s: href '%.*s' holds byte 0x%02x", what, (int)n, p, c);
			if (!ok)
				break;
		}
		p = end + 1;
	}
}

/* Each "<span hidden>" holds " DD-Mon-YYYY HH:MM BYTES " or "... - " (a
 * directory) and nothing else, so no name leaks into the machine layout;
 * counts them into *files and *dirs. */
static void check_machine_lines(const char *page, const char *what, size_t *files, size_t *dirs)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	*files = *dirs = 0;
	for (const char *p = page; (p = strstr(p, "<span hidden>")); p++) {
		const char *s = p + 13, *end = strstr(s, "</span>");
		CHECK(end != NULL, "%s: unterminated hidden span", what);
		if (!end)
			return;
		unsigned d = 0, y = 0, hh = 0, mm = 0;
		char mon[4] = "", size[32] = "";
		int used = 0;
		bool ok = end - s < 60 &&
			  sscanf(s, " %2u-%3[A-Za-z]-%4u %2u:%2u %31[0-9-] %n", &d, mon, &y, &hh,
				 &mm, size, &used) == 6 &&
			  s + used == end && s[0] == ' ' && end[-1] == ' ' && s[3] == '-' &&
			  s[7] == '-' && s[12] == ' ' && s[15] == ':' && s[18] == ' ' &&
			  strstr(months, mon) && (strstr(months, mon) - months) % 3 == 0 &&
			  d >= 1 && d <= 31 && hh < 24 && mm < 60 &&
			  (strcmp(size, "-") == 0 || strspn(size, "0123456789") == strlen(size));
		CHECK(ok, "%s: hidden span '%.*s'", what, end ? (int)(end - s) : 40, s);
		if (strcmp(size, "-") == 0)
			(*dirs)++;
		else
			(*files)++;
	}
}

struct html_case {
	const char *name;
	bool is_dir;
};

static const struct html_case html_cases[] = {
	{ "<script>alert(1)</script>", false },
	{ "a&b", false },
	{ "a&amp;b", false },
	{ "q\"uote", false },
	{ "it's", false },
	{ "x>y", true },
	{ "\"><img src=x onerror=alert(1)>", false },
	{ "' onmouseover='alert(1)", true },
	{ "</span><script>alert(1)</script>", false }, /* out of the hidden span */
	{ "</td></tr></table><b>", true },
	{ "space name.txt", false },
	{ "colon:name", false }, /* would read as a scheme */
	{ "javascript:alert(1)", false },
	{ "hash#frag", false },
	{ "query?x=1", false },
	{ "?sort=size&order=desc", false }, /* a name that looks like a heading link */
	{ "100%.txt", false },
	{ "back\\slash", false },
	{ "tab\tnl\ncr\r", false },
	{ "caf\xc3\xa9", false }, /* valid UTF-8 is kept */
	{ "\xe6\x97\xa5\xe6\x9c\xac", true },
	{ "\xf0\x9f\x98\x80.png", false },
	{ "bad\xff\xfename", false }, /* bytes that are not UTF-8 */
	{ "over\xc0\xaflong", false },
	{ "sur\xed\xa0\x80gate", false },
	{ "cut\xe2\x82", false },
	{ "big\xf4\x90\x80\x80", false },
	{ "lone\x80", false },
	{ "-._~unreserved", false },
	{ "+=,;!$()*@[]", false },
	{ "12-Jan-2020 10:00 999", false }, /* a name shaped like the machine line */
};

#define T1700 "2023-11-14T22:13:20Z"

/* The whole row of an entry of size 1234 changed at 1700000000. */
static void check_entry_html(const char *page, const struct html_case *c)
{
	char esc[1024], url[1024], want[2600];
	html_escape(c->name, esc, sizeof esc);
	url_encode(c->name, url, sizeof url);
	const char *slash = c->is_dir ? "/" : "";
	snprintf(
	    want, sizeof want,
	    "<tr><td><a href=\"./%s%s\">%s%s</a><span hidden> 14-Nov-2023 22:13 %s </span></td>"
	    "%s<td class=\"time\"><time datetime=\"" T1700 "\" title=\"" T1700
	    "\">2023-11-14 22:13</time></td></tr>\n",
	    url, slash, esc, slash, c->is_dir ? "-" : "1234",
	    c->is_dir ? "<td class=\"size\">-</td>"
		      : "<td class=\"size\" data-bytes=\"1234\" title=\"1234 bytes\">1.2 KiB</td>");
	CHECK(strstr(page, want) != NULL, "'%s': no row '%s' in the page", c->name, want);
	CHECK(count(page, want) == 1, "'%s': row %zu times", c->name, count(page, want));
	/* a name with a special never appears raw */
	if (strpbrk(c->name, "<>&\"'") && !strstr(c->name, "&amp;"))
		CHECK(strstr(page, c->name) == NULL, "'%s' appears unescaped", c->name);
}

static void test_html(void)
{
	enum { N = sizeof html_cases / sizeof html_cases[0] };
	struct listing l = { 0 };
	size_t ndirs = 0;
	for (size_t i = 0; i < N; i++) {
		add(&l, html_cases[i].name, html_cases[i].is_dir, 1234, 1700000000);
		ndirs += html_cases[i].is_dir;
	}
	size_t len = 0;
	char *page = listing_html(&l, "/sub/", &len);
	CHECK(page != NULL, "listing_html returned NULL");
	if (!page) {
		listing_free(&l);
		return;
	}
	CHECK(len == strlen(page), "length %zu, strlen %zu", len, strlen(page));
	CHECK(utf8_valid(page, len), "page is not valid UTF-8");
	CHECK(strncmp(page, "<!DOCTYPE html>", 15) == 0, "page starts '%.20s'", page);
	CHECK(strstr(page, "<meta charset=\"utf-8\">") != NULL, "no charset");
	CHECK(strstr(page, "<meta name=\"viewport\"") != NULL, "no viewport (phones zoom out)");
	CHECK(strstr(page, "prefers-color-scheme:dark") != NULL, "no dark style");
	CHECK(len > 8 && strcmp(page + len - 8, "</html>\n") == 0, "page does not end in </html>");
	for (size_t i = 0; i < N; i++)
		check_entry_html(page, &html_cases[i]);
	check_hrefs(page, "/sub/");
	/* each entry once, plus "../"; the crumbs and the headings besides */
	CHECK(entry_links(page) == l.n + 1, "%zu entry links for %zu entries + ../",
	      entry_links(page), l.n);
	CHECK(count(page, "href=\"../\"") == 1, "'../' link %zu times",
	      count(page, "href=\"../\""));
	CHECK(count(page, "<a href=\"?sort=") == 3, "%zu heading links",
	      count(page, "<a href=\"?sort="));
	CHECK(count(page, "<a href=") == l.n + 1 + 3 + 2, "%zu links in all",
	      count(page, "<a href="));
	size_t mfiles, mdirs;
	check_machine_lines(page, "/sub/", &mfiles, &mdirs);
	CHECK(mfiles == N - ndirs && mdirs == ndirs, "hidden spans: %zu files, %zu dirs", mfiles,
	      mdirs);
	/* the only tags are the page's own: no <script>, <img> or handler */
	CHECK(strstr(page, "<script") == NULL, "raw <script> in the page");
	CHECK(strstr(page, "<img") == NULL, "raw <img> in the page");
	CHECK(strstr(page, "<b>") == NULL, "raw <b> in the page");
	CHECK(count(page, "</span>") == l.n, "%zu </span> for %zu entries", count(page, "</span>"),
	      l.n);
	CHECK(count(page, "</table>") == 1, "%zu </table>", count(page, "</table>"));
	CHECK(count(page, "<tr>") == l.n + 2, "%zu rows, want %zu", count(page, "<tr>"), l.n + 2);
	/* invalid UTF-8: each bad byte one U+FFFD, in the text; percent-encoded
	 * as it is in the link */
	CHECK(strstr(page, ">bad" FFFD FFFD "name<") != NULL, "bad\\xff\\xfe not as two U+FFFD");
	CHECK(strstr(page, "./bad%FF%FEname\"") != NULL, "bad\\xff\\xfe link not %%FF%%FE");
	CHECK(strstr(page, ">over" FFFD FFFD "long<") != NULL, "overlong not as U+FFFD");
	CHECK(strstr(page, ">sur" FFFD FFFD FFFD "gate<") != NULL, "surrogate not as U+FFFD");
	CHECK(strstr(page, ">cut" FFFD FFFD "<") != NULL, "truncated sequence not as U+FFFD");
	CHECK(strstr(page, ">big" FFFD FFFD FFFD FFFD "<") != NULL, "U+110000 not as U+FFFD");
	CHECK(strstr(page, ">caf\xc3\xa9<") != NULL, "valid UTF-8 changed");
	CHECK(strstr(page, "./caf%C3%A9\"") != NULL, "UTF-8 link not percent-encoded");
	CHECK(strstr(page, "./colon%3Aname\"") != NULL, "':' not encoded");
	CHECK(strstr(page, "./%3Fsort%3Dsize%26order%3Ddesc\"") != NULL, "'?' name not encoded");
	CHECK(strstr(page, "./-._~unreserved\"") != NULL, "unreserved characters encoded");
	CHECK(strstr(page, "./%2B%3D%2C%3B%21%24%28%29%2A%40%5B%5D\"") != NULL,
	      "sub-delims not encoded");
	/* sizes (human, and exact for tools) and times */
	CHECK(count(page, "<td class=\"size\" data-bytes=\"1234\" title=\"1234 bytes\">1.2 KiB</td>"
			  "<td class=\"time\"><time datetime=\"" T1700 "\" title=\"" T1700
			  "\">2023-11-14 22:13</time></td>") == N - ndirs,
	      "file size/time cells");
	CHECK(strstr(page, "x&gt;y/</a><span hidden> 14-Nov-2023 22:13 - </span></td>"
			   "<td class=\"size\">-</td>") != NULL,
	      "directory size not '-'");
	CHECK(count(page, "data-bytes=") == N - ndirs, "data-bytes on %zu cells",
	      count(page, "data-bytes="));
	free(page);

	/* the directory itself is escaped in the title, and in the crumbs'
	 * text and links */
	page = listing_html(&l, "/<b>&\"'\xff/", &len);
	CHECK(page != NULL, "listing_html NULL");
	if (page) {
		CHECK(strstr(page, "<title>Index of /&lt;b&gt;&amp;&quot;&#39;" FFFD "/</title>") !=
			      NULL,
		      "directory name not escaped in the title");
		CHECK(strstr(page,
			     "<h1>Index of <a href=\"/\">/</a><a href=\"/%3Cb%3E%26%22%27%FF/\">"
			     "&lt;b&gt;&amp;&quot;&#39;" FFFD "</a>/</h1>") != NULL,
		      "directory name not escaped in the heading");
		CHECK(strstr(page, "<b>") == NULL, "raw <b> from the directory name");
		CHECK(utf8_valid(page, len), "page not valid UTF-8");
		check_hrefs(page, "hostile directory");
		free(page);
	}
	listing_free(&l);
}

/* The heading: "Index of " and a link to each ancestor. */
static void test_crumbs(void)
{
	static const struct {
		const char *dir;
		const char *h1;
	} t[] = {
		{ "/", "<h1>Index of <a href=\"/\">/</a></h1>" },
		{ "/a/", "<h1>Index of <a href=\"/\">/</a><a href=\"/a/\">a</a>/</h1>" },
		{ "/a/b/c/", "<h1>Index of <a href=\"/\">/</a><a href=\"/a/\">a</a>/"
			     "<a href=\"/a/b/\">b</a>/<a href=\"/a/b/c/\">c</a>/</h1>" },
		{ "/a b/c d/", "<h1>Index of <a href=\"/\">/</a><a href=\"/a%20b/\">a b</a>/"
			       "<a href=\"/a%20b/c%20d/\">c d</a>/</h1>" },
		{ "/#?%/",
		  "<h1>Index of <a href=\"/\">/</a><a href=\"/%23%3F%25/\">#?%</a>/</h1>" },
		{ "/caf\xc3\xa9/\xe6\x97\xa5/",
		  "<h1>Index of <a href=\"/\">/</a><a href=\"/caf%C3%A9/\">caf\xc3\xa9</a>/"
		  "<a href=\"/caf%C3%A9/%E6%97%A5/\">\xe6\x97\xa5</a>/</h1>" },
		{ "/javascript:alert(1)/",
		  "<h1>Index of <a href=\"/\">/</a><a href=\"/javascript%3Aalert%281%29/\">"
		  "javascript:alert(1)</a>/</h1>" },
		{ "/\"><script>x</script>/",
		  "<h1>Index of <a href=\"/\">/</a><a href=\"/%22%3E%3Cscript%3Ex%3C/\">"
		  "&quot;&gt;&lt;script&gt;x&lt;</a>/"
		  "<a href=\"/%22%3E%3Cscript%3Ex%3C/script%3E/\">"
		  "script&gt;</a>/</h1>" },
		{ "/-._~/", "<h1>Index of <a href=\"/\">/</a><a href=\"/-._~/\">-._~</a>/</h1>" },
	};
	struct listing l = { 0 };
	add(&l, "f", false, 1, 0);
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		size_t len;
		char *page = listing_html(&l, t[i].dir, &len);
		CHECK(page != NULL, "listing_html('%s') NULL", t[i].dir);
		if (!page)
			continue;
		const char *h = strstr(page, "<h1>"), *e = h ? strstr(h, "</h1>") : NULL;
		CHECK(h && e && strncmp(h, t[i].h1, strlen(t[i].h1)) == 0,
		      "'%s': heading '%.*s', want '%s'", t[i].dir, h && e ? (int)(e + 5 - h) : 0,
		      h ? h : "", t[i].h1);
		check_hrefs(page, t[i].dir);
		free(page);
	}
	listing_free(&l);

	/* a deep path: one crumb per level, each link a prefix of the next */
	char dir[2048] = "/";
	for (int i = 0; i < 40; i++)
		snprintf(dir + strlen(dir), sizeof dir - strlen(dir), "level %d/", i);
	struct listing none = { 0 };
	size_t len;
	char *page = listing_html(&none, dir, &len);
	CHECK(page != NULL, "deep listing NULL");
	if (page) {
		const char *h = strstr(page, "<h1>"), *e = strstr(page, "</h1>");
		size_t links = 0;
		char prev[2048] = "";
		bool prefix = true;
		for (const char *p = h; p && p < e && (p = strstr(p, "<a href=\"")) && p < e;
		     links++) {
			p += 9;
			const char *q = strchr(p, '"');
			size_t n = (size_t)(q - p);
			prefix = prefix && strlen(prev) < n && strncmp(p, prev, strlen(prev)) == 0;
			snprintf(prev, sizeof prev, "%.*s", (int)n, p);
		}
		CHECK(links == 41 && prefix, "deep path: %zu crumbs (want 41), prefixes %d", links,
		      prefix);
		size_t pl = strlen(prev);
		CHECK(strncmp(prev, "/level%200/level%201/", 21) == 0 && pl > 12 &&
			      strcmp(prev + pl - 12, "/level%2039/") == 0,
		      "last crumb '%s'", prev);
		free(page);
	}
}

/* The column headings: links to the orders, the current one marked. */
static void test_headings(void)
{
	static const struct {
		const char *cls, *label, *key;
		enum listing_order by;
	} cols[] = {
		{ "name", "Name", "name", LISTING_BY_NAME },
		{ "size", "Size", "size", LISTING_BY_SIZE },
		{ "time", "Modified (UTC)", "time", LISTING_BY_TIME },
	};
	struct listing l = { 0 };
	/* given out of every order: the page keeps the listing's order */
	add(&l, "b", false, 1, 3);
	add(&l, "c", false, 3, 1);
	add(&l, "a", false, 2, 2);
	for (int by = LISTING_BY_NAME; by <= LISTING_BY_TIME; by++) {
		for (int desc = 0; desc < 2; desc++) {
			size_t len;
			char *page =
			    listing_html_sorted(&l, "/d/", (enum listing_order)by, desc, &len);
			CHECK(page != NULL, "listing_html_sorted NULL");
			if (!page)
				continue;
			for (size_t c = 0; c < 3; c++) {
				bool cur = cols[c].by == (enum listing_order)by;
				char want[256];
				snprintf(want, sizeof want,
					 "<th class=\"%s\"%s>"
					 "<a href=\"?sort=%s&amp;order=%s\">%s</a>%s</th>",
					 cols[c].cls,
					 !cur   ? ""
					 : desc ? " aria-sort=\"descending\""
						: " aria-sort=\"ascending\"",
					 cols[c].key, cur && !desc ? "desc" : "asc", cols[c].label,
					 !cur   ? ""
					 : desc ? " \xe2\x86\x93"
						: " \xe2\x86\x91");
				CHECK(strstr(page, want) != NULL, "%s: no heading '%s'",
				      order_name((enum listing_order)by, desc), want);
			}
			CHECK(count(page, "aria-sort=") == 1, "%s: %zu aria-sort",
			      order_name((enum listing_order)by, desc), count(page, "aria-sort="));
			CHECK(count(page, "\xe2\x86\x91") + count(page, "\xe2\x86\x93") == 1,
			      "%s: arrows", order_name((enum listing_order)by, desc));
			const char *a = strstr(page, "./a\""), *b = strstr(page, "./b\""),
				   *c = strstr(page, "./c\"");
			CHECK(a && b && c && b < c && c < a, "%s: rows reordered by the page",
			      order_name((enum listing_order)by, desc));
			check_hrefs(page, order_name((enum listing_order)by, desc));
			free(page);
		}
	}
	/* listing_html is the name-ascending page */
	size_t n1, n2;
	char *p1 = listing_html(&l, "/d/", &n1);
	char *p2 = listing_html_sorted(&l, "/d/", LISTING_BY_NAME, false, &n2);
	CHECK(p1 && p2 && n1 == n2 && memcmp(p1, p2, n1) == 0,
	      "listing_html differs from name asc");
	free(p1);
	free(p2);
	listing_free(&l);
}

static void test_html_parent(void)
{
	static const struct {
		const char *dir;
		bool parent;
	} t[] = {
		{ "/", false },
		{ "/a/", true },
		{ "/a/b/", true },
	};
	struct listing l = { 0 };
	add(&l, "f", false, 0, 0);
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		for (int empty = 0; empty < 2; empty++) {
			struct listing none = { 0 };
			size_t len;
			char *page = listing_html(empty ? &none : &l, t[i].dir, &len);
			CHECK(page != NULL, "listing_html('%s') NULL", t[i].dir);
			if (!page)
				continue;
			bool has = strstr(page, "href=\"../\"") != NULL;
			CHECK(has == t[i].parent, "dir '%s' (%s): ../ link %d, want %d", t[i].dir,
			      empty ? "empty" : "one file", has, t[i].parent);
			CHECK(entry_links(page) == (size_t)(t[i].parent + !empty),
			      "dir '%s': %zu entry links", t[i].dir, entry_links(page));
			if (t[i].parent)
				CHECK(strstr(
					  page,
					  "<tr><td><a href=\"../\">../</a></td><td class=\"size\">-"
					  "</td><td class=\"time\"></td></tr>\n") != NULL,
				      "dir '%s': parent row", t[i].dir);
			free(page);
		}
	}
	listing_free(&l);
}

static void test_sizes(void)
{
	static const struct {
		uint64_t size;
		const char *text;
	} t[] = {
		{ 0, "0 B" },
		{ 1, "1 B" },
		{ 1023, "1023 B" },
		{ 1024, "1.0 KiB" },
		{ 1536, "1.5 KiB" },
		{ 10 * 1024, "10 KiB" },
		{ 1024 * 1024, "1.0 MiB" },
		{ 5ull << 30, "5.0 GiB" },
		{ 3ull << 40, "3.0 TiB" },
		{ 2ull << 50, "2.0 PiB" },
		{ 5000ull << 50, "5000 PiB" },
		{ UINT64_MAX, "16384 PiB" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct listing l = { 0 };
		add(&l, "f", false, t[i].size, 0);
		size_t len;
		char *page = listing_html(&l, "/", &len);
		char want[512];
		unsigned long long n = (unsigned long long)t[i].size;
		snprintf(want, sizeof want,
			 "<a href=\"./f\">f</a><span hidden> 01-Jan-1970 00:00 %llu </span></td>"
			 "<td class=\"size\" data-bytes=\"%llu\" title=\"%llu bytes\">%s</td>"
			 "<td class=\"time\"><time datetime=\"1970-01-01T00:00:00Z\" "
			 "title=\"1970-01-01T00:00:00Z\">1970-01-01 00:00</time></td>",
			 n, n, n, t[i].text);
		CHECK(page && strstr(page, want), "size %llu: no '%s'", n, want);
		free(page);
		listing_free(&l);
	}
}

/* Times: the cell's text (minutes, UTC), its ISO datetime and title, and
 * the machine line's Apache form; clamped to four-digit years. */
static void test_times(void)
{
	static const struct {
		time_t t;
		const char *text, *iso, *apache;
	} t[] = {
		{ 0, "1970-01-01 00:00", "1970-01-01T00:00:00Z", "01-Jan-1970 00:00" },
		{ 59, "1970-01-01 00:00", "1970-01-01T00:00:59Z", "01-Jan-1970 00:00" },
		{ 86399, "1970-01-01 23:59", "1970-01-01T23:59:59Z", "01-Jan-1970 23:59" },
		{ 1700000000, "2023-11-14 22:13", "2023-11-14T22:13:20Z", "14-Nov-2023 22:13" },
		{ 951782400, "2000-02-29 00:00", "2000-02-29T00:00:00Z", "29-Feb-2000 00:00" },
		{ 1709251199, "2024-02-29 23:59", "2024-02-29T23:59:59Z", "29-Feb-2024 23:59" },
		{ 1230768000, "2009-01-01 00:00", "2009-01-01T00:00:00Z", "01-Jan-2009 00:00" },
		{ 1000000000, "2001-09-09 01:46", "2001-09-09T01:46:40Z", "09-Sep-2001 01:46" },
		{ 1372636800, "2013-07-01 00:00", "2013-07-01T00:00:00Z", "01-Jul-2013 00:00" },
		{ 1764547200, "2025-12-01 00:00", "2025-12-01T00:00:00Z", "01-Dec-2025 00:00" },
		{ -1, "1969-12-31 23:59", "1969-12-31T23:59:59Z", "31-Dec-1969 23:59" },
		{ -2208988800, "1900-01-01 00:00", "1900-01-01T00:00:00Z", "01-Jan-1900 00:00" },
		{ 4102444800, "2100-01-01 00:00", "2100-01-01T00:00:00Z", "01-Jan-2100 00:00" },
		{ 253402300799, "9999-12-31 23:59", "9999-12-31T23:59:59Z", "31-Dec-9999 23:59" },
		{ 253402300800, "9999-12-31 23:59", "9999-12-31T23:59:59Z", "31-Dec-9999 23:59" },
		{ INT64_MAX, "9999-12-31 23:59", "9999-12-31T23:59:59Z", "31-Dec-9999 23:59" },
		{ -62135596800, "0001-01-01 00:00", "0001-01-01T00:00:00Z", "01-Jan-0001 00:00" },
		{ -62167219200, "0000-01-01 00:00", "0000-01-01T00:00:00Z", "01-Jan-0000 00:00" },
		{ INT64_MIN, "0000-01-01 00:00", "0000-01-01T00:00:00Z", "01-Jan-0000 00:00" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		for (int dir = 0; dir < 2; dir++) {
			struct listing l = { 0 };
			add(&l, "f", dir, 7, t[i].t);
			size_t len;
			char *page = listing_html(&l, "/", &len);
			char want[512];
			snprintf(
			    want, sizeof want,
			    "<span hidden> %s %s </span></td>%s<td class=\"time\"><time "
			    "datetime=\"%s\" title=\"%s\">%s</time></td></tr>\n",
			    t[i].apache, dir ? "-" : "7",
			    dir ? "<td class=\"size\">-</td>"
				: "<td class=\"size\" data-bytes=\"7\" title=\"7 bytes\">7 B</td>",
			    t[i].iso, t[i].iso, t[i].text);
			CHECK(page && strstr(page, want), "time %lld (%s): no '%s'",
			      (long long)t[i].t, dir ? "dir" : "file", want);
			free(page);
			listing_free(&l);
		}
	}
}

/* ---- JSON ---- */

/* A strict parser for the shape listing_json writes: an array of objects
 * whose values are strings or non-negative integers. */
struct json_entry {
	char name[512];
	char type[32];
	char mtime[64];
	unsigned long long size;
	unsigned fields; /* 1 name, 2 type, 4 size, 8 mtime */
};

struct parser {
	const char *p, *end;
	const char *err;
};

static void ws(struct parser *ps)
{
	while (ps->p < ps->end && strchr(" \t\r\n", *ps->p) && *ps->p)
		ps->p++;
}

static bool lit(struct parser *ps, char c)
{
	ws(ps);
	if (ps->p < ps->end && *ps->p == c) {
		ps->p++;
		return true;
	}
	return false;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool put_cp(char *out, size_t cap, size_t *w, unsigned cp)
{
	char b[4];
	size_t n;
	if (cp < 0x80)
		b[0] = (char)cp, n = 1;
	else if (cp < 0x800)
		b[0] = (char)(0xc0 | cp >> 6), b[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
	else if (cp < 0x10000)
		b[0] = (char)(0xe0 | cp >> 12), b[1] = (char)(0x80 | (cp >> 6 & 0x3f)),
		b[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
	else
		b[0] = (char)(0xf0 | cp >> 18), b[1] = (char)(0x80 | (cp >> 12 & 0x3f)),
		b[2] = (char)(0x80 | (cp >> 6 & 0x3f)), b[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
	if (*w + n >= cap)
		return false;
	memcpy(out + *w, b, n);
	*w += n;
	return true;
}

static bool string(struct parser *ps, char *out, size_t cap)
{
	size_t w = 0;
	if (!lit(ps, '"'))
		return ps->err = "expected a string", false;
	const char *start = ps->p;
	while (ps->p < ps->end && *ps->p != '"')
		ps->p += *ps->p == '\\' ? 2 : 1;
	if (ps->p >= ps->end)
		return ps->err = "unterminated string", false;
	if (!utf8_valid(start, (size_t)(ps->p - start)))
		return ps->err = "string not valid UTF-8", false;
	for (const char *q = start; q < ps->p; q++) {
		unsigned char c = (unsigned char)*q;
		if (c < 0x20)
			return ps->err = "raw control character in a string", false;
		if (c != '\\') {
			if (w + 1 >= cap)
				return ps->err = "string too long", false;
			out[w++] = (char)c;
			continue;
		}
		q++;
		const char *simple = strchr("\"\\/bfnrt", *q);
		if (*q && simple) {
			if (w + 1 >= cap)
				return ps->err = "string too long", false;
			static const char map[] = "\"\\/\b\f\n\r\t";
			out[w++] = map[simple - "\"\\/bfnrt"];
		} else if (*q == 'u') {
			if (ps->p - q < 5)
				return ps->err = "short \\u", false;
			unsigned cp = 0;
			for (int k = 1; k <= 4; k++) {
				int h = hexval(q[k]);
				if (h < 0)
					return ps->err = "bad \\u digit", false;
				cp = cp << 4 | (unsigned)h;
			}
			q += 4;
			if (cp >= 0xd800 && cp <= 0xdfff)
				return ps->err = "surrogate escape", false;
			if (!put_cp(out, cap, &w, cp))
				return ps->err = "string too long", false;
		} else {
			return ps->err = "bad escape", false;
		}
	}
	ps->p++;
	out[w] = '\0';
	return true;
}

static bool number(struct parser *ps, unsigned long long *v)
{
	ws(ps);
	const char *s = ps->p;
	*v = 0;
	while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
		*v = *v * 10 + (unsigned long long)(*ps->p++ - '0');
	if (ps->p == s || (*s == '0' && ps->p - s > 1))
		return ps->err = "bad number", false;
	return true;
}

static bool object(struct parser *ps, struct json_entry *e)
{
	memset(e, 0, sizeof *e);
	if (!lit(ps, '{'))
		return ps->err = "expected '{'", false;
	do {
		char key[32];
		if (!string(ps, key, sizeof key) || !lit(ps, ':'))
			return ps->err = ps->err ? ps->err : "expected ':'", false;
		unsigned bit = strcmp(key, "name") == 0 ? 1 : strcmp(key, "type") == 0 ? 2 :
			       strcmp(key, "size") == 0 ? 4 : strcmp(key, "mtime") == 0 ? 8 : 16;
		if (e->fields & bit)
			return ps->err = "duplicate or unknown key", false;
		e->fields |= bit;
		bool ok = bit == 1   ? string(ps, e->name, sizeof e->name) :
			  bit == 2   ? string(ps, e->type, sizeof e->type) :
			  bit == 4   ? number(ps, &e->size) :
			  bit == 8   ? string(ps, e->mtime, sizeof e->mtime) :
				       (ps->err = "unknown key", false);
		if (!ok)
			return false;
	} while (lit(ps, ','));
	if (!lit(ps, '}'))
		return ps->err = "expected '}'", false;
	return true;
}

/* Parses the whole text; returns the number of entries or -1. */
static long parse_listing(const char *text, size_t len, struct json_entry *v, size_t cap,
			  const char **err)
{
	struct parser ps = { text, text + len, NULL };
	long n = 0;
	*err = NULL;
	if (!lit(&ps, '['))
		return *err = "expected '['", -1;
	ws(&ps);
	if (!lit(&ps, ']')) {
		do {
			if ((size_t)n >= cap)
				return *err = "too many entries", -1;
			if (!object(&ps, &v[n]))
				return *err = ps.err, -1;
			n++;
		} while (lit(&ps, ','));
		if (!lit(&ps, ']'))
			return *err = "expected ']'", -1;
	}
	ws(&ps);
	if (ps.p != ps.end)
		return *err = "trailing bytes", -1;
	return n;
}

struct json_case {
	const char *name;
	const char *decoded; /* what a JSON reader gets */
	bool is_dir;
	uint64_t size;
	time_t mtime;
	const char *when;
};

static const struct json_case json_cases[] = {
	{ "plain.txt", "plain.txt", false, 42, 0, "1970-01-01T00:00:00Z" },
	{ "q\"uote", "q\"uote", false, 0, 1700000000, "2023-11-14T22:13:20Z" },
	{ "back\\slash", "back\\slash", false, 1, 951782400, "2000-02-29T00:00:00Z" },
	{ "\\\"", "\\\"", false, 1, 0, "1970-01-01T00:00:00Z" },
	{ "tab\tnl\ncr\r", "tab\tnl\ncr\r", false, 1, 0, "1970-01-01T00:00:00Z" },
	{ "\x01\x02\x1f\x7f", "\x01\x02\x1f\x7f", false, 1, 0, "1970-01-01T00:00:00Z" },
	{ "\x1b[31mred", "\x1b[31mred", false, 1, 0, "1970-01-01T00:00:00Z" },
	{ "</script><script>", "</script><script>", false, 1, 0, "1970-01-01T00:00:00Z" },
	{ "caf\xc3\xa9", "caf\xc3\xa9", false, 1, 0, "1970-01-01T00:00:00Z" },
	{ "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80", false, 1, 0, "1970-01-01T00:00:00Z" },
	{ "bad\xff", "bad" FFFD, false, 1, 0, "1970-01-01T00:00:00Z" },
	{ "\xc0\xaf", FFFD FFFD, false, 1, 0, "1970-01-01T00:00:00Z" },
	{ "\xed\xa0\x80", FFFD FFFD FFFD, false, 1, 0, "1970-01-01T00:00:00Z" },
	{ "cut\xe2\x82", "cut" FFFD FFFD, false, 1, 0, "1970-01-01T00:00:00Z" },
	{ "a\x80\x80z", "a" FFFD FFFD "z", false, 1, 0, "1970-01-01T00:00:00Z" },
	{ "sub", "sub", true, 4096, 86399, "1970-01-01T23:59:59Z" },   /* size 0 for a dir */
	{ "big", "big", false, UINT64_MAX, 4102444800, "2100-01-01T00:00:00Z" },
	{ "old", "old", false, 7, -1, "1969-12-31T23:59:59Z" },
};

static void test_json(void)
{
	enum { N = sizeof json_cases / sizeof json_cases[0] };
	struct listing l = { 0 };
	for (size_t i = 0; i < N; i++)
		add(&l, json_cases[i].name, json_cases[i].is_dir, json_cases[i].size,
		    json_cases[i].mtime);
	size_t len = 0;
	char *text = listing_json(&l, &len);
	CHECK(text != NULL, "listing_json NULL");
	if (!text) {
		listing_free(&l);
		return;
	}
	CHECK(len == strlen(text), "length %zu, strlen %zu", len, strlen(text));
	CHECK(utf8_valid(text, len), "JSON not valid UTF-8");
	static struct json_entry v[N + 1];
	const char *err;
	long n = parse_listing(text, len, v, N + 1, &err);
	CHECK(n == N, "parsed %ld entries, want %d (%s)\n%s", n, N, err ? err : "", text);
	for (long i = 0; i < n && i < N; i++) {
		const struct json_case *c = &json_cases[i];
		const struct json_entry *e = &v[i];
		CHECK(e->fields == 15, "entry %ld: fields %#x", i, e->fields);
		CHECK(strcmp(e->name, c->decoded) == 0, "entry %ld: name '%s', want '%s'", i, e->name,
		      c->decoded);
		CHECK(strcmp(e->type, c->is_dir ? "directory" : "file") == 0, "'%s': type '%s'",
		      c->decoded, e->type);
		unsigned long long want = c->is_dir ? 0 : c->size;
		CHECK(e->size == want, "'%s': size %llu, want %llu", c->decoded, e->size, want);
		CHECK(strcmp(e->mtime, c->when) == 0, "'%s': mtime '%s', want '%s'", c->decoded,
		      e->mtime, c->when);
	}
	/* control characters as \u00XX, never raw */
	CHECK(strstr(text, "\\u0001\\u0002\\u001f\\u007f") != NULL, "controls not \\u00XX");
	CHECK(strstr(text, "\"q\\\"uote\"") != NULL, "quote not escaped");
	CHECK(strstr(text, "\"back\\\\slash\"") != NULL, "backslash not escaped");
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)text[i] < 0x20 && text[i] != '\n') {
			CHECK(0, "raw control byte 0x%02x at %zu", (unsigned char)text[i], i);
			break;
		}
	free(text);
	listing_free(&l);

	/* empty listing: valid and empty */
	struct listing none = { 0 };
	text = listing_json(&none, &len);
	CHECK(text != NULL, "listing_json of nothing NULL");
	if (text) {
		n = parse_listing(text, len, v, N, &err);
		CHECK(n == 0, "empty listing parses to %ld (%s): '%s'", n, err ? err : "", text);
		CHECK(len == strlen(text), "length %zu", len);
		free(text);
	}
	char *page = listing_html(&none, "/", &len);
	CHECK(page != NULL, "listing_html of nothing NULL");
	if (page) {
		CHECK(strstr(page, "<tbody>\n</tbody>") != NULL, "empty table body not empty");
		CHECK(count(page, "<tr>") == 1, "%zu rows in an empty listing", count(page, "<tr>"));
		CHECK(utf8_valid(page, len) && len == strlen(page), "empty page malformed");
		free(page);
	}
	listing_free(&none);

	/* one entry */
	struct listing one = { 0 };
	add(&one, "x", false, 3, 0);
	text = listing_json(&one, &len);
	n = text ? parse_listing(text, len, v, N, &err) : -1;
	CHECK(n == 1 && strcmp(v[0].name, "x") == 0 && v[0].size == 3, "one entry: %ld", n);
	free(text);
	listing_free(&one);
}

int main(void)
{
	test_sort();
	test_sort_by();
	test_order_parse();
	test_html();
	test_crumbs();
	test_headings();
	test_html_parent();
	test_sizes();
	test_times();
	test_json();
	return unit_done("listing");
}
