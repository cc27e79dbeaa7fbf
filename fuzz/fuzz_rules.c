/* fuzz_rules.c - the rules module on arbitrary _redirects and _headers
 * files, a config glob and a request path. The input is a 7-byte header,
 * then the parts:
 *
 *   0      bits 0-1: the glob's header op (SET, ADD, REMOVE; 3 = SET)
 *          bit 2: the request path had a trailing slash
 *          bit 3: a file exists at the path (only forced routes apply)
 *   1..2   length of the _redirects text (little endian, clamped)
 *   3..4   length of the _headers text
 *   5      length of the glob
 *   6      cap: room given for a route's target (0..255, exact heap size)
 *   rest   redirects, headers, glob, then "path?query"
 *
 * The glob is added first (as the server adds config rules before the
 * site's files) as a forced 404 route to "/c/$1/$2...", a header change
 * and a tag; then both files are parsed. Checked on every input: failed
 * parses leave a terminated message naming the file; lookups stay inside
 * their buffers, terminate the target and give a status of the supported
 * set; a target is printable ASCII, a local one starts with one '/', an
 * external one is http(s) with a redirect status; a short buffer gives
 * -1 exactly when the target is longer; header names are tokens and
 * values hold no control byte. Built with RULES_CHECK_QUICK, every
 * answer the matcher gives without simulating is checked against the
 * simulation. On short inputs the glob's tag and route
 * are compared with a plain backtracking model of the documented glob
 * semantics (memoised, so it stays polynomial): same match, same
 * captures (each wildcard the longest that lets the rest match). */
#include "fuzz_check.h"

#include <strings.h>

#include "rules.h"

#define HDR     7
#define BIG_CAP 65536
#define TAG     424242

/* ---- the model: config globs, straight from the documentation ---- */

#define MG 32  /* longest glob modelled */
#define MP 96  /* longest path modelled */

struct model {
	const char *g;
	size_t gl;
	const unsigned char *s;
	size_t n;
	int widx[MG + 1];          /* wildcard number at a glob position, -1 */
	size_t cs[10], ce[10];     /* captures */
	bool fail[MG + 2][MP + 2]; /* (glob, text) positions known to fail */
};

/* Is the '*' run at i a whole segment, and which kind of skip it allows. */
FUZZ_NOCOV
static size_t star_run(const struct model *m, size_t i)
{
	size_t k = i;
	while (k < m->gl && m->g[k] == '*')
		k++;
	return k - i;
}

FUZZ_NOCOV
static bool standalone(const struct model *m, size_t i, size_t r)
{
	return (i == 0 || m->g[i - 1] == '/') && (i + r == m->gl || m->g[i + r] == '/');
}

FUZZ_NOCOV
static void mcap(struct model *m, size_t pi, size_t s, size_t e)
{
	int w = m->widx[pi];
	if (w >= 1 && w <= 9) {
		m->cs[w] = s;
		m->ce[w] = e;
	}
}

FUZZ_NOCOV
static bool mmatch(struct model *m, size_t pi, size_t ti)
{
	if (m->fail[pi][ti])
		return false;
	bool ok = false;
	if (pi == m->gl) {
		ok = ti == m->n;
	} else if (m->g[pi] == '*') {
		size_t r = star_run(m, pi), hi = m->n;
		if (r == 1)
			for (hi = ti; hi < m->n && m->s[hi] != '/'; hi++)
				;
		for (size_t e = hi + 1; e-- > ti && !ok;) {
			mcap(m, pi, ti, e);
			ok = mmatch(m, pi + r, e);
		}
	} else if (m->g[pi] == '?') {
		if (ti < m->n && m->s[ti] != '/') {
			mcap(m, pi, ti, ti + 1);
			ok = mmatch(m, pi + 1, ti + 1);
		}
	} else {
		/* "/" before a whole-segment wildcard that ends the glob, or
		 * a whole-segment "**": the two may be left out together */
		size_t r = pi + 1 < m->gl && m->g[pi] == '/' ? star_run(m, pi + 1) : 0;
		bool skip = r && standalone(m, pi + 1, r) && (r == 2 || pi + 1 + r == m->gl);
		if (ti < m->n && m->s[ti] == (unsigned char)m->g[pi])
			ok = mmatch(m, pi + 1, ti + 1);
		if (!ok && skip) {
			mcap(m, pi + 1, ti, ti);
			ok = mmatch(m, pi + 1 + r, ti);
		}
	}
	if (!ok)
		m->fail[pi][ti] = true;
	return ok;
}

/* RFC 3986: unreserved, sub-delims, ':' '@' '/' stand for themselves. */
FUZZ_NOCOV
static bool keep(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("-._~!$&'()*+,;=:@/", c));
}

FUZZ_NOCOV
static void enc(char *out, size_t *w, unsigned char c, bool k)
{
	if (k) {
		out[(*w)++] = (char)c;
	} else {
		*w += (size_t)sprintf(out + *w, "%%%02X", c);
	}
}

/* Checks the glob's tag and route against the model. */
FUZZ_NOCOV
static void check_model(const struct rules *r, const char *glob, size_t glen, int nwild,
			struct slice path, bool ts, struct slice query, bool exists)
{
	static struct model m;
	const char *p = path.ptr;
	size_t n = path.len;
	char want[4 * MP + 3 * MP + 64], got[BIG_CAP];
	size_t w = 0;

	if (n == 0) {
		p = "/";
		n = 1;
	}
	while (n > 1 && p[n - 1] == '/') {
		n--;
		ts = true;
	}
	while (glen > 1 && glob[glen - 1] == '/')
		glen--;
	if (glen > MG || n > MP || query.len > MP)
		return;
	memset(&m, 0, sizeof m);
	m.g = glob;
	m.gl = glen;
	m.s = (const unsigned char *)p;
	m.n = n;
	if (!memchr(glob, '/', glen)) {
		const char *sl = memrchr(p, '/', n);
		if (sl) {
			m.s = (const unsigned char *)sl + 1;
			m.n = n - (size_t)(sl + 1 - p);
		}
	}
	int k = 0;
	for (size_t i = 0; i <= glen; i++)
		m.widx[i] = -1;
	for (size_t i = 0; i < glen;) {
		size_t rr = glob[i] == '*' ? star_run(&m, i) : 1;
		if (glob[i] == '*' || glob[i] == '?')
			m.widx[i] = ++k;
		i += rr;
	}
	bool match = mmatch(&m, 0, 0);

	int tags[64], nt = rules_tags(r, slice_make(p, n), ts, tags, 64), mine = 0;
	for (int i = 0; i < nt && i < 64; i++)
		mine += tags[i] == TAG;
	FUZZ_CHECK(mine == (match ? 1 : 0));
	if (!match)
		return;

	/* The route: first of all, so it answers when the glob matches. */
	w = (size_t)sprintf(want, "/c");
	for (int i = 1; i <= nwild && i <= 9; i++) {
		want[w++] = '/';
		for (size_t j = m.cs[i]; j < m.ce[i]; j++)
			enc(want, &w, m.s[j], keep(m.s[j]));
		if (ts && m.ce[i] == m.n && m.ce[i] > m.cs[i])
			want[w++] = '/';
	}
	if (query.len) {
		want[w++] = '?';
		for (size_t j = 0; j < query.len; j++) {
			unsigned char c = (unsigned char)query.ptr[j];
			enc(want, &w, c, !(c <= 0x20 || c >= 0x7f || c == '#'));
		}
	}
	want[w] = '\0';
	struct rules_route rt;
	int rc = rules_route(r, slice_make(p, n), ts, query, exists, got, sizeof got, &rt);
	FUZZ_CHECK(rc == 1 && rt.status == 404 && rt.force);
	FUZZ_CHECK(rt.len == w && memcmp(got, want, w + 1) == 0);
}

/* ---- invariants ---- */

FUZZ_NOCOV
static bool status_ok(int s)
{
	return s == 200 || s == 301 || s == 302 || s == 303 || s == 307 || s == 308 || s == 401 ||
	       s == 403 || s == 404 || s == 410 || s == 451;
}

FUZZ_NOCOV
static void check_target(const char *t, size_t len, const struct rules_route *rt)
{
	FUZZ_CHECK(status_ok(rt->status));
	FUZZ_CHECK(t[len] == '\0' && strlen(t) == len);
	for (size_t i = 0; i < len; i++)
		FUZZ_CHECK((unsigned char)t[i] > 0x20 && (unsigned char)t[i] < 0x7f);
	bool url = strncasecmp(t, "http://", 7) == 0 || strncasecmp(t, "https://", 8) == 0;
	FUZZ_CHECK(url == rt->external);
	if (rt->external)
		FUZZ_CHECK(rt->status >= 300 && rt->status < 400);
	else if (len)
		FUZZ_CHECK(t[0] == '/' && (len == 1 || (t[1] != '/' && t[1] != '\\')));
	else
		FUZZ_CHECK(rt->status >= 400);
}

FUZZ_NOCOV
static void check_hop(void *arg, enum rules_hop op, struct slice name, struct slice value)
{
	(void)arg;
	FUZZ_CHECK(op == RULES_SET || op == RULES_ADD || op == RULES_REMOVE);
	FUZZ_CHECK(name.len > 0 && name.len <= RULES_NAME_MAX);
	for (size_t i = 0; i < name.len; i++)
		FUZZ_CHECK(fuzz_tchar((unsigned char)name.ptr[i]));
	if (op == RULES_REMOVE)
		FUZZ_CHECK(value.len == 0);
	FUZZ_CHECK(value.len <= RULES_VALUE_MAX);
	for (size_t i = 0; i < value.len; i++) {
		unsigned char c = (unsigned char)value.ptr[i];
		FUZZ_CHECK((c >= 0x20 || c == '\t') && c != 0x7f);
	}
}

FUZZ_NOCOV
static void check_err(int rc, const char *err, size_t cap, const char *file)
{
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc == 0)
		return;
	FUZZ_CHECK(memchr(err, '\0', cap) != NULL);
	FUZZ_CHECK(strncmp(err, file, strlen(file)) == 0 && err[strlen(file)] == ':');
}

FUZZ_NOCOV
static int count_wild(const char *g, size_t n)
{
	int k = 0;
	for (size_t i = 0; i < n; i++) {
		if (g[i] == '?')
			k++;
		else if (g[i] == '*') {
			k++;
			while (i + 1 < n && g[i + 1] == '*')
				i++;
		}
	}
	return k;
}

FUZZ_NOCOV
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < HDR)
		return 0;
	unsigned flags = data[0];
	size_t lr = (size_t)data[1] | (size_t)data[2] << 8;
	size_t lh = (size_t)data[3] | (size_t)data[4] << 8;
	size_t lg = data[5], cap = data[6];
	const char *in = (const char *)data + HDR;
	size_t rest = size - HDR;
	lr = lr < rest ? lr : rest;
	lh = lh < rest - lr ? lh : rest - lr;
	lg = lg < rest - lr - lh ? lg : rest - lr - lh;
	char *red = fuzz_dup(in, lr), *hdr = fuzz_dup(in + lr, lh);
	char *glob = malloc(lg + 1);
	memcpy(glob, in + lr + lh, lg);
	glob[lg] = '\0';
	size_t pl = rest - lr - lh - lg;
	char *req = fuzz_dup(in + lr + lh + lg, pl);
	const char *q = memchr(req, '?', pl);
	struct slice path = slice_make(req, q ? (size_t)(q - req) : pl);
	struct slice query = q ? slice_make(q + 1, pl - path.len - 1) : slice_make("", 0);
	bool ts = flags & 4, exists = flags & 8;
	enum rules_hop op = (flags & 3) == 3 ? RULES_SET : (enum rules_hop)(flags & 3);

	struct rules *r = rules_new();
	char err[160];
	bool glob_ok = false;
	int nwild = 0;
	if (strlen(glob) == lg) {
		/* the route's target names every capture the glob has */
		char to[64];
		size_t tl = (size_t)sprintf(to, "/c");
		nwild = count_wild(glob, lg);
		for (int i = 1; i <= nwild && i <= 9; i++)
			tl += (size_t)sprintf(to + tl, "/$%d", i);
		int a = rules_add_route(r, glob, to, 404, true, err, sizeof err);
		int b = rules_add_header(r, glob, op, "X-Fuzz", "v", err, sizeof err);
		int c = rules_add_tag(r, glob, TAG, err, sizeof err);
		FUZZ_CHECK(a == b && b == c);
		glob_ok = a == 0;
	}
	int rc = rules_parse_redirects(r, red, lr, "R", err, sizeof err);
	check_err(rc, err, sizeof err, "R");
	rc = rules_parse_headers(r, hdr, lh, "H", err, sizeof err);
	check_err(rc, err, sizeof err, "H");

	/* Routes: into exactly cap bytes, then into plenty. */
	char *small = malloc(cap ? cap : 1), *big = malloc(BIG_CAP);
	struct rules_route rs = { 0 }, rb = { 0 };
	int a = rules_route(r, path, ts, query, exists, cap ? small : NULL, cap, &rs);
	int b = rules_route(r, path, ts, query, exists, big, BIG_CAP, &rb);
	FUZZ_CHECK(a >= -1 && a <= 1 && b >= -1 && b <= 1);
	if (b == 1)
		check_target(big, rb.len, &rb);
	if (a == 1) {
		check_target(small, rs.len, &rs);
		FUZZ_CHECK(b == 1 && rs.len == rb.len && rs.status == rb.status);
		FUZZ_CHECK(memcmp(small, big, rb.len + 1) == 0);
		FUZZ_CHECK(rs.len < cap);
	} else if (a == -1) {
		FUZZ_CHECK(b == 1 && rb.len + 1 > cap);
		FUZZ_CHECK(cap == 0 || small[0] == '\0');
	} else {
		FUZZ_CHECK(b == 0);
	}
	if (exists && b == 1)
		FUZZ_CHECK(rb.force);

	rules_headers(r, path, ts, check_hop, NULL);
	/* Counting stops at the first rule past the bound: one simulation
	 * step, or one rule's query conditions (at most 16 of 3 per field),
	 * over. */
	uint64_t fields = 1;
	for (size_t i = 0; i < query.len; i++)
		fields += query.ptr[i] == '&';
	FUZZ_CHECK(rules_work(r, path, ts, query) <=
		   RULES_WORK_MAX + 3 * (RULES_PATTERN_MAX + 1) + 16 * 3 * fields);
	int tags[8];
	int nt = rules_tags(r, path, ts, tags, 8);
	FUZZ_CHECK(nt >= 0 && nt <= 1);

	if (glob_ok)
		check_model(r, glob, lg, nwild, path, ts, query, exists);

	rules_free(r);
	free(small);
	free(big);
	free(req);
	free(glob);
	free(hdr);
	free(red);
	return 0;
}
