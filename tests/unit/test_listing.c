/* test_listing.c - directory listings: order, and names that hold anything
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

/* ---- HTML ---- */

/* Every href="..." value holds only unreserved characters, '/', and
 * %XX escapes. */
static void check_hrefs(const char *page, const char *what)
{
	const char *p = page;
	size_t n = 0;
	while ((p = strstr(p, "href=\""))) {
		p += 6;
		const char *end = strchr(p, '"');
		CHECK(end != NULL, "%s: unterminated href", what);
		if (!end)
			return;
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
			CHECK(ok, "%s: href '%.*s' holds byte 0x%02x", what, (int)(end - p), p, c);
			if (!ok)
				break;
		}
		n++;
		p = end + 1;
	}
	(void)n;
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
	{ "space name.txt", false },
	{ "colon:name", false },      /* would read as a scheme */
	{ "javascript:alert(1)", false },
	{ "hash#frag", false },
	{ "query?x=1", false },
	{ "100%.txt", false },
	{ "back\\slash", false },
	{ "tab\tnl\ncr\r", false },
	{ "caf\xc3\xa9", false },       /* valid UTF-8 is kept */
	{ "\xe6\x97\xa5\xe6\x9c\xac", true },
	{ "\xf0\x9f\x98\x80.png", false },
	{ "bad\xff\xfename", false },  /* bytes that are not UTF-8 */
	{ "over\xc0\xaflong", false },
	{ "sur\xed\xa0\x80gate", false },
	{ "cut\xe2\x82", false },
	{ "big\xf4\x90\x80\x80", false },
	{ "lone\x80", false },
	{ "-._~unreserved", false },
	{ "+=,;!$()*@[]", false },
};

static void check_entry_html(const char *page, const struct html_case *c)
{
	char esc[1024], url[1024], want[2200];
	html_escape(c->name, esc, sizeof esc);
	url_encode(c->name, url, sizeof url);
	/* the link and the text, exactly */
	snprintf(want, sizeof want, "<a href=\"./%s%s\">%s%s</a>", url, c->is_dir ? "/" : "", esc,
		 c->is_dir ? "/" : "");
	CHECK(strstr(page, want) != NULL, "'%s': no '%s' in the page", c->name, want);
	/* a name with a special never appears raw */
	if (strpbrk(c->name, "<>&\"'") && !strstr(c->name, "&amp;"))
		CHECK(strstr(page, c->name) == NULL, "'%s' appears unescaped", c->name);
}

static void test_html(void)
{
	struct listing l = { 0 };
	for (size_t i = 0; i < sizeof html_cases / sizeof html_cases[0]; i++)
		add(&l, html_cases[i].name, html_cases[i].is_dir, 1234, 1700000000);
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
	CHECK(len > 8 && strcmp(page + len - 8, "</html>\n") == 0, "page does not end in </html>");
	for (size_t i = 0; i < sizeof html_cases / sizeof html_cases[0]; i++)
		check_entry_html(page, &html_cases[i]);
	check_hrefs(page, "/sub/");
	/* each entry once, plus "../" */
	CHECK(count(page, "<a href=") == l.n + 1, "%zu links for %zu entries + ../",
	      count(page, "<a href="), l.n);
	CHECK(count(page, "href=\"../\"") == 1, "'../' link %zu times", count(page, "href=\"../\""));
	/* the only tags are the page's own: no <script>, <img> or handler */
	CHECK(strstr(page, "<script") == NULL, "raw <script> in the page");
	CHECK(strstr(page, "<img") == NULL, "raw <img> in the page");
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
	CHECK(strstr(page, "./-._~unreserved\"") != NULL, "unreserved characters encoded");
	CHECK(strstr(page, "./%2B%3D%2C%3B%21%24%28%29%2A%40%5B%5D\"") != NULL,
	      "sub-delims not encoded");
	/* sizes and times */
	CHECK(strstr(page, "<td class=\"size\">1.2 KiB</td><td class=\"time\">2023-11-14 22:13</td>") !=
		      NULL,
	      "file size/time cell missing");
	CHECK(strstr(page, "x&gt;y/</a></td><td class=\"size\">-</td>") != NULL,
	      "directory size not '-'");
	free(page);

	/* the directory itself is escaped in the title and heading */
	page = listing_html(&l, "/<b>&\"'\xff/", &len);
	CHECK(page != NULL, "listing_html NULL");
	if (page) {
		CHECK(count(page, "Index of /&lt;b&gt;&amp;&quot;&#39;" FFFD "/") == 2,
		      "directory name not escaped twice (title, h1)");
		CHECK(strstr(page, "<b>") == NULL, "raw <b> from the directory name");
		CHECK(utf8_valid(page, len), "page not valid UTF-8");
		free(page);
	}
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
			CHECK(count(page, "<a href=") == (size_t)(t[i].parent + !empty),
			      "dir '%s': %zu links", t[i].dir, count(page, "<a href="));
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
		char want[128];
		snprintf(want, sizeof want, "<td class=\"size\">%s</td><td class=\"time\">1970-01-01 00:00</td>",
			 t[i].text);
		CHECK(page && strstr(page, want), "size %llu: no '%s'", (unsigned long long)t[i].size,
		      want);
		free(page);
		listing_free(&l);
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
	test_html();
	test_html_parent();
	test_sizes();
	test_json();
	return unit_done("listing");
}
