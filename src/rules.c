/* rules.c - path rules compiled to small automata at load, matched without
 * backtracking at lookup.
 *
 * A pattern is a list of elements: a byte, '?' (one byte but '/'), '*'
 * (a run without '/') or '**' (any run). It is matched by simulating its
 * automaton backwards over the path with a bit set of element positions:
 * O(len(pattern) x len(path)) time, O(len(pattern)) bits of stack, for
 * any pattern: "/{**}/{**}/{**}/x" ({*} is *: a C comment cannot hold
 * "/" then "*") against 4 KiB of "a/" is a few set operations per byte,
 * never a search of the ways to split the path. Captures take, left to
 * right, the longest run that still lets the rest match (what a
 * backtracking matcher trying longest first would find); each capture
 * costs one more simulation, so with at most 9 the bound holds.
 * Positions that can be skipped ("/{**}/" in the middle, the '/' before a
 * final wildcard) carry a flag that lets the simulation jump two elements.
 *
 * Before any simulation, quick checks decide most rules in a few compares:
 * the shortest length, the bytes every match starts and ends with, the
 * segments at fixed places from the start (up to the first "**": each
 * segment's first and last bytes and length), and the shapes "/dir/{**}"
 * and "/prefix{**}", captured by hand. The segments of the path are found
 * once per lookup. With RULES_CHECK_QUICK (the fuzz harness) every quick
 * answer is checked against the simulation. rules_work bounds what is
 * left (see rules.h). */
#include "rules.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum el_kind { EL_BYTE, EL_ONE, EL_SEG, EL_ANY };
#define EL_SKIP2 1 /* position k may jump to k + 2 */

struct el {
	uint8_t kind, byte, cap, flags; /* cap: capture number 1..9, 0 none */
};

struct pat {
	struct el *el;
	uint32_t n;       /* elements */
	uint32_t min_len; /* shortest text it matches */
	uint32_t prefix;  /* leading plain bytes, copied in pre */
	uint32_t suffix;  /* trailing plain bytes that every match ends with */
	uint32_t cap_end; /* elements after this index capture nothing */
	char *pre;        /* prefix bytes, then suffix bytes */
	bool literal;     /* plain bytes only */
	bool basename;    /* matched against the last segment */
	bool tail_any;    /* prefix, then one "**" (after a skippable '/'
			     when tail_slash): matched and captured by
			     hand */
	bool tail_slash;
	uint8_t nhead;    /* leading path segments checked one by one */
	uint64_t weight;  /* most work per path byte a match and its captures
			     count (0: decided by the quick checks) */
	struct hseg *head;
};

/* A segment at a fixed place from the start of every path a pattern
 * matches: the bytes it starts and ends with (in pre[off..]), its
 * shortest length, and whether that is its only length (no '*'). */
struct hseg {
	uint32_t off, min;
	uint16_t pre, suf;
	bool exact;
};

#define HEAD_MAX 16

/* Work units (rules_work, a simulation step is one, about 7 ns) of one
 * query field a condition looks at (about 10 ns), and of one header
 * change applied (a scan of the response head), plus its value's length
 * over 64. */
#define QUERY_FIELD_WORK 2
#define HEADER_WORK      16

/* A target or header value: literal text and capture references. */
struct piece {
	uint32_t off, len; /* literal text[off, off + len) when cap == 0 */
	uint8_t cap;
	bool in_query; /* after the target's '?': also encode & = + */
};

struct tmpl {
	char *text;
	struct piece *pc;
	uint32_t n, len;
	bool has_caps;
};

/* A query parameter a _redirects rule requires. */
struct qcond {
	char *key, *val;
	uint32_t klen, vlen;
	uint8_t cap; /* the value is captured (any value), else must equal val */
};

struct route {
	struct pat pat;
	struct tmpl to;
	struct qcond *q;
	uint8_t nq;
	int status;
	bool force, external;
};

struct hent {
	enum rules_hop op;
	bool combine; /* from _headers: SET the first time a lookup sees the name, then ADD */
	uint32_t id;  /* interned name */
	char *name;
	uint32_t nlen;
	struct tmpl val;
};

struct hblock {
	struct pat pat;
	struct hent *e;
	size_t n, alloc;
	bool caps;
};

struct tagrule {
	struct pat pat;
	int tag;
};

struct rules {
	size_t count; /* routes + header entries + tags */
	size_t nsim;  /* patterns a path may have to be simulated against */
	size_t nquery; /* routes with query conditions */
	/* What rules_work's dry run can count at most: per path byte, in
	 * all, per query field (see rules_work). */
	uint64_t wbyte, wfixed, wquery;
	struct route *routes;
	size_t nroutes, aroutes;
	struct hblock *blocks;
	size_t nblocks, ablocks;
	struct tagrule *tags;
	size_t ntags, atags;
	/* Header names, case-insensitively interned, so a lookup can tell
	 * with one bit whether a _headers name was already set. */
	struct name { char *p; uint32_t len; } *names;
	uint32_t nnames, anames;
	uint32_t *hash; /* open addressing, id + 1, 0 empty */
	uint32_t hcap;
};

/* Captured text at lookup. */
struct caps {
	const char *p[RULES_CAPTURES + 1];
	uint32_t len[RULES_CAPTURES + 1];
	bool at_end[RULES_CAPTURES + 1]; /* ends where the path does */
	bool query[RULES_CAPTURES + 1];  /* from the query, still encoded */
};

/* ---- errors ---- */

__attribute__((format(printf, 5, 6))) static int fail(char *err, size_t cap, const char *file,
						      unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (!err || !cap)
		return -1;
	if (file && line)
		n = snprintf(err, cap, "%s:%u: ", file, line);
	else if (file)
		n = snprintf(err, cap, "%s: ", file);
	if (n < 0 || (size_t)n >= cap)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err + n, cap - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Where a message is built: the file and line, if from a file. */
struct ctx {
	const char *file;
	unsigned line;
	char *err;
	size_t cap;
};

#define FAIL(c, ...) fail((c)->err, (c)->cap, (c)->file, (c)->line, __VA_ARGS__)

/* ---- bytes ---- */

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_word(unsigned char c)
{
	return is_alpha(c) || (c >= '0' && c <= '9') || c == '_';
}

/* Controls other than tab: never in a header, never in a target. */
static bool has_ctl(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return true;
	}
	return false;
}

static bool prefix_ci(const char *p, size_t n, const char *lit)
{
	size_t l = strlen(lit);
	return n >= l && slice_eq_ci(slice_make(p, l), lit);
}

static bool is_url(const char *p, size_t n)
{
	return prefix_ci(p, n, "http://") || prefix_ci(p, n, "https://");
}

/* May byte c stand for itself in a URL's path (or query: in_query)? */
static bool url_keep(unsigned char c, bool in_query)
{
	if (c <= 0x20 || c >= 0x7f)
		return false;
	switch (c) {
	case '"': case '#': case '%': case '<': case '>': case '?':
	case '[': case '\\': case ']': case '^': case '`': case '{': case '|': case '}':
		return false;
	case '&': case '=': case '+':
		return !in_query;
	}
	return true;
}

/* ---- bounded writer ---- */

/* Watches a target as it is written: is its path part, percent-decoded
 * and less one trailing '/', the request path? Fed byte by byte, so the
 * answer does not depend on the room the target is written to. */
struct loopcmp {
	const char *path;
	size_t plen, at;
	bool ended, differs, slash;
	uint8_t esc, hex; /* inside "%XX": digits seen, value so far */
};

static void lc_decoded(struct loopcmp *lc, unsigned char c)
{
	if (lc->differs)
		return;
	if (!lc->slash && lc->at < lc->plen && (unsigned char)lc->path[lc->at] == c)
		lc->at++;
	else if (!lc->slash && c == '/' && lc->at == lc->plen)
		lc->slash = true;
	else
		lc->differs = true;
}

static void lc_feed(struct loopcmp *lc, unsigned char c)
{
	if (lc->ended)
		return;
	if (lc->esc) {
		int v = hexval(c);
		if (v >= 0 && lc->esc == 1) {
			lc->hex = (uint8_t)v;
			lc->esc = 2;
			return;
		}
		if (v >= 0) {
			lc->esc = 0;
			lc_decoded(lc, (unsigned char)(lc->hex * 16 + v));
			return;
		}
		/* not an escape after all: the '%' (and digit) stand for themselves */
		lc_decoded(lc, '%');
		if (lc->esc == 2)
			lc_decoded(lc, "0123456789ABCDEF"[lc->hex]);
		lc->esc = 0;
	}
	if (c == '%')
		lc->esc = 1;
	else if (c == '?' || c == '#')
		lc->ended = true;
	else
		lc_decoded(lc, c);
}

static bool lc_same(struct loopcmp *lc)
{
	if (lc->esc && !lc->ended) {
		lc_decoded(lc, '%');
		if (lc->esc == 2)
			lc_decoded(lc, "0123456789ABCDEF"[lc->hex]);
	}
	return !lc->differs && lc->at == lc->plen;
}

struct out {
	char *buf;
	size_t cap, len;
	bool over;
	struct loopcmp *lc; /* or NULL */
	char first;         /* the first byte, kept even without room */
};

static void put(struct out *o, char c)
{
	if (o->len == 0)
		o->first = c;
	if (o->len + 1 < o->cap)
		o->buf[o->len] = c;
	else
		o->over = true;
	o->len++;
	if (o->lc)
		lc_feed(o->lc, (unsigned char)c);
}

static void put_enc(struct out *o, unsigned char c)
{
	static const char hex[] = "0123456789ABCDEF";
	put(o, '%');
	put(o, hex[c >> 4]);
	put(o, hex[c & 15]);
}

/* ---- patterns ---- */

struct pbuild {
	uint32_t n;
	uint8_t ncap;   /* captures numbered */
	unsigned nwild; /* wildcards seen */
	bool basename;
	bool splat;
	uint8_t splat_cap;
	unsigned nnames;
	struct { const char *p; size_t len; uint8_t cap; } names[16]; /* Netlify placeholders */
	struct el el[RULES_PATTERN_MAX + 1]; /* last: only n of them are ever read */
};

static bool add_el(struct pbuild *b, uint8_t kind, uint8_t byte, uint8_t cap)
{
	if (b->n >= RULES_PATTERN_MAX)
		return false;
	b->el[b->n++] = (struct el){ kind, byte, cap, 0 };
	return true;
}

static uint8_t next_cap(struct pbuild *b)
{
	b->nwild++;
	return b->ncap < RULES_CAPTURES ? ++b->ncap : 0;
}

static bool is_star(const struct el *e)
{
	return e->kind == EL_SEG || e->kind == EL_ANY;
}

/* Lets the '/' before a whole-segment wildcard jump over itself and the
 * wildcard: at the end, so the bare directory matches; in the middle, for
 * "**" only, so "/{**}/" is zero or more segments. The flag sits on the
 * byte, never on the star: a star's position must keep meaning "the star
 * and what follows", which can always take one more byte in front. at is
 * the wildcard's element index. */
static void mark_segment_star(struct pbuild *b, uint32_t at, bool standalone, bool last)
{
	if (!standalone || at == 0 || b->el[at - 1].kind != EL_BYTE || b->el[at - 1].byte != '/')
		return;
	if (last || b->el[at].kind == EL_ANY)
		b->el[at - 1].flags |= EL_SKIP2;
}

/* Refuses what no normalised path holds: empty, "." and ".." segments. */
static int check_segments(const struct pbuild *b, struct ctx *c, const char *what)
{
	if (b->basename)
		return 0;
	for (uint32_t i = 0; i < b->n; i++) {
		if (b->el[i].kind != EL_BYTE || b->el[i].byte != '/')
			continue;
		uint32_t k = i + 1, dots = 0;
		while (k < b->n && b->el[k].kind == EL_BYTE && b->el[k].byte == '.')
			k++, dots++;
		bool end = k == b->n || (b->el[k].kind == EL_BYTE && b->el[k].byte == '/');
		if (end && (dots == 1 || dots == 2))
			return FAIL(c, "%s has a \".\" or \"..\" segment: it never matches", what);
		if (end && dots == 0 && k < b->n)
			return FAIL(c, "%s has an empty segment (\"//\"): it never matches", what);
	}
	return 0;
}

static void pat_free(struct pat *p)
{
	free(p->el);
	free(p->pre);
	free(p->head);
	memset(p, 0, sizeof *p);
}

/* The segments at fixed places from the start: each between two '/'
 * bytes before the first "**" or skippable '/' (from there on a segment
 * may be missing or span several). Returns how many, in h[HEAD_MAX];
 * their bytes add *bytes to the pattern's copy. */
static uint8_t head_segments(const struct pbuild *b, struct hseg *h, uint32_t *bytes)
{
	uint32_t m = b->n, i = 1;
	uint8_t n = 0;

	*bytes = 0;
	if (b->basename || m == 0 || b->el[0].kind != EL_BYTE || (b->el[0].flags & EL_SKIP2))
		return 0;
	while (i < m && n < HEAD_MAX) {
		uint32_t e = i, lits = 0, ones = 0;
		bool seg = false;
		for (; e < m && !(b->el[e].kind == EL_BYTE && b->el[e].byte == '/'); e++) {
			if (b->el[e].kind == EL_ANY)
				return n;
			lits += b->el[e].kind == EL_BYTE;
			ones += b->el[e].kind == EL_ONE;
			seg |= b->el[e].kind == EL_SEG;
		}
		uint32_t pre = 0, suf = 0;
		while (i + pre < e && b->el[i + pre].kind == EL_BYTE)
			pre++;
		while (e - suf > i + pre && b->el[e - suf - 1].kind == EL_BYTE)
			suf++;
		if (pre > UINT16_MAX || suf > UINT16_MAX)
			return n;
		h[n] = (struct hseg){ .off = i, .min = lits + ones, .pre = (uint16_t)pre,
				      .suf = (uint16_t)suf, .exact = !seg };
		*bytes += pre + suf;
		n++;
		if (e == m || (b->el[e].flags & EL_SKIP2))
			break;
		i = e + 1;
	}
	return n;
}

/* Turns the built elements into p: the quick-reject facts and copies. */
static int pat_finish(const struct pbuild *b, struct pat *p, struct ctx *c)
{
	uint32_t m = b->n, i, ml1 = 0, ml2 = 0; /* shortest match from i + 1, i + 2 */

	memset(p, 0, sizeof *p);
	p->el = malloc((m ? m : 1) * sizeof *p->el);
	if (!p->el)
		return FAIL(c, "out of memory");
	memcpy(p->el, b->el, m * sizeof *p->el);
	p->n = m;
	p->basename = b->basename;
	for (i = m; i-- > 0;) {
		const struct el *e = &b->el[i];
		uint32_t ml = (e->kind == EL_BYTE || e->kind == EL_ONE) + ml1;
		if ((e->flags & EL_SKIP2) && ml2 < ml)
			ml = ml2;
		ml2 = ml1;
		ml1 = ml;
	}
	p->min_len = ml1;
	for (i = 0; i < m && b->el[i].kind == EL_BYTE && !(b->el[i].flags & EL_SKIP2); i++)
		;
	p->prefix = i;
	p->literal = i == m;
	/* A trailing byte is certain unless a skip can jump over it or to it. */
	for (i = m; i > p->prefix; i--) {
		const struct el *e = &b->el[i - 1];
		if (e->kind != EL_BYTE || (e->flags & EL_SKIP2))
			break;
		if (i >= 2 && (b->el[i - 2].flags & EL_SKIP2))
			break;
	}
	p->suffix = p->literal ? 0 : m - i;
	p->cap_end = 0;
	for (i = 0; i < m; i++)
		if (b->el[i].cap)
			p->cap_end = i + 1;
	p->tail_any = p->n == p->prefix + 1 && b->el[p->prefix].kind == EL_ANY;
	p->tail_slash = p->n == p->prefix + 2 && b->el[p->prefix].kind == EL_BYTE &&
			b->el[p->prefix].byte == '/' && (b->el[p->prefix].flags & EL_SKIP2) &&
			b->el[p->prefix + 1].kind == EL_ANY;
	p->tail_any |= p->tail_slash;
	if (!p->literal && !p->tail_any) {
		/* One simulation, then at most one per element up to cap_end
		 * (a group, or a skippable byte looked at); each step visits
		 * the words and at most every position twice. */
		uint64_t sims = 1 + p->cap_end;
		p->weight = sims * ((uint64_t)(m / 64 + 1) + 2 * ((uint64_t)m + 1));
	}

	struct hseg h[HEAD_MAX];
	uint32_t hbytes;
	p->nhead = head_segments(b, h, &hbytes);
	p->pre = malloc(p->prefix + p->suffix + hbytes + 1);
	p->head = p->nhead ? malloc(p->nhead * sizeof *p->head) : NULL;
	if (!p->pre || (p->nhead && !p->head)) {
		pat_free(p);
		return FAIL(c, "out of memory");
	}
	for (i = 0; i < p->prefix; i++)
		p->pre[i] = (char)b->el[i].byte;
	for (i = 0; i < p->suffix; i++)
		p->pre[p->prefix + i] = (char)b->el[m - p->suffix + i].byte;
	uint32_t at = p->prefix + p->suffix;
	for (uint8_t k = 0; k < p->nhead; k++) {
		uint32_t e = h[k].off + h[k].pre;
		for (uint32_t x = h[k].off; x < e; x++)
			p->pre[at++] = (char)b->el[x].byte;
		/* The segment's last byte: before the next '/' or the end. */
		uint32_t end = h[k].off;
		while (end < m && !(b->el[end].kind == EL_BYTE && b->el[end].byte == '/'))
			end++;
		for (uint32_t x = end - h[k].suf; x < end; x++)
			p->pre[at++] = (char)b->el[x].byte;
		p->head[k] = h[k];
		p->head[k].off = at - h[k].pre - h[k].suf;
	}
	return 0;
}

/* Config glob: literal bytes, * ** ?; every wildcard a capture. */
static int glob_compile(struct pbuild *b, const char *g, struct ctx *c)
{
	size_t len = g ? strlen(g) : 0;

	memset(b, 0, offsetof(struct pbuild, names));
	if (len == 0)
		return FAIL(c, "empty glob");
	if (len > RULES_PATTERN_MAX)
		return FAIL(c, "glob longer than %d bytes", RULES_PATTERN_MAX);
	b->basename = !memchr(g, '/', len);
	if (!b->basename && g[0] != '/')
		return FAIL(c, "glob \"%.64s\" must start with '/' (or have no '/' to match a file name)",
			    g);
	while (len > 1 && g[len - 1] == '/')
		len--;
	for (size_t i = 0; i < len;) {
		if (g[i] == '*') {
			size_t k = i;
			while (k < len && g[k] == '*')
				k++;
			if (k - i > 2)
				return FAIL(c, "glob \"%.64s\" has \"***\"", g);
			bool standalone = (i == 0 || g[i - 1] == '/') && (k == len || g[k] == '/');
			uint32_t at = b->n;
			add_el(b, k - i == 2 ? EL_ANY : EL_SEG, 0, next_cap(b));
			mark_segment_star(b, at, standalone, k == len);
			i = k;
		} else if (g[i] == '?') {
			add_el(b, EL_ONE, 0, next_cap(b));
			i++;
		} else {
			add_el(b, EL_BYTE, (uint8_t)g[i], 0);
			i++;
		}
	}
	return check_segments(b, c, "glob");
}

/* Netlify / Cloudflare path: percent-decoded, one splat '*', :names. */
static int npath_compile(struct pbuild *b, const char *s, size_t len, struct ctx *c)
{
	memset(b, 0, offsetof(struct pbuild, names));
	const char *hash = memchr(s, '#', len);
	if (hash)
		len = slice_trim(slice_make(s, (size_t)(hash - s))).len; /* never sent */
	if (len > RULES_PATTERN_MAX)
		return FAIL(c, "path longer than %d bytes", RULES_PATTERN_MAX);
	if (is_url(s, len))
		return FAIL(c, "host-level rules (%.*s) are not supported", (int)(len < 64 ? len : 64),
			    s);
	if (len == 0 || s[0] != '/')
		return FAIL(c, "the path must start with '/'");
	while (len > 1 && s[len - 1] == '/')
		len--;
	for (size_t i = 0; i < len;) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '*') {
			if (b->splat || (i + 1 < len && s[i + 1] == '*'))
				return FAIL(c, "only one splat '*' is allowed in a path");
			bool standalone = s[i - 1] == '/' && (i + 1 == len || s[i + 1] == '/');
			uint32_t at = b->n;
			b->splat = true;
			b->splat_cap = next_cap(b);
			add_el(b, EL_ANY, 0, b->splat_cap);
			mark_segment_star(b, at, standalone, i + 1 == len);
			i++;
		} else if (ch == ':' && i + 1 < len && is_alpha((unsigned char)s[i + 1])) {
			size_t k = i + 1;
			while (k < len && is_word((unsigned char)s[k]))
				k++;
			const char *name = s + i + 1;
			size_t nl = k - i - 1;
			if (nl == 5 && memcmp(name, "splat", 5) == 0)
				return FAIL(c, "\":splat\" is the name of '*', not a placeholder");
			for (unsigned q = 0; q < b->nnames; q++)
				if (b->names[q].len == nl && memcmp(b->names[q].p, name, nl) == 0)
					return FAIL(c, "placeholder \":%.*s\" appears twice", (int)nl, name);
			if (b->nnames == sizeof b->names / sizeof b->names[0])
				return FAIL(c, "more than %zu placeholders",
					    sizeof b->names / sizeof b->names[0]);
			uint8_t cap = next_cap(b);
			b->names[b->nnames].p = name;
			b->names[b->nnames].len = nl;
			b->names[b->nnames++].cap = cap;
			add_el(b, EL_ONE, 0, cap);
			add_el(b, EL_SEG, 0, cap);
			i = k;
		} else if (ch == '%') {
			int hi = i + 2 < len ? hexval((unsigned char)s[i + 1]) : -1;
			int lo = i + 2 < len ? hexval((unsigned char)s[i + 2]) : -1;
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return FAIL(c, "bad percent escape in path");
			add_el(b, EL_BYTE, (uint8_t)(hi * 16 + lo), 0);
			i += 3;
		} else {
			add_el(b, EL_BYTE, ch, 0);
			i++;
		}
	}
	return check_segments(b, c, "path");
}

/* ---- matching ---- */

#define SIM_WORDS (RULES_PATTERN_MAX / 64 + 1)

static inline void bit_set(uint64_t *s, size_t k)
{
	s[k / 64] |= (uint64_t)1 << (k % 64);
}

static inline bool bit_test(const uint64_t *s, size_t k)
{
	return s[k / 64] >> (k % 64) & 1;
}

/* Adds the positions from which a set one is reachable without input:
 * a star may match nothing, a skip jumps two. Highest first, so a chain
 * (a skip landing just after a star) is followed in one pass. */
static size_t closure(const struct pat *p, uint64_t *s, size_t g)
{
	size_t visits = 0;
	for (size_t w = p->n / 64 + 1; w-- > g / 64;) {
		uint64_t done = 0, pend;
		while ((pend = s[w] & ~done) != 0) {
			unsigned b = 63 - (unsigned)__builtin_clzll(pend);
			size_t k = w * 64 + b;
			done |= (uint64_t)1 << b;
			visits++;
			if (k > g && is_star(&p->el[k - 1]))
				bit_set(s, k - 1);
			if (k >= g + 2 && (p->el[k - 2].flags & EL_SKIP2))
				bit_set(s, k - 2);
		}
	}
	return visits;
}

/* The largest e in [lo, hi] such that elements g.. match s[e, n), or -1.
 * The set holds the positions k whose elements k.. match s[e, n); each
 * step back over one byte costs O(pattern), never more. With work, adds
 * the words and positions it visits there, and gives up (-1) once that
 * passes RULES_WORK_MAX. */
static long rsim(const struct pat *p, size_t g, const unsigned char *s, size_t n, size_t lo,
		 size_t hi, uint64_t *work)
{
	uint64_t a[SIM_WORDS], b[SIM_WORDS], *cur = a, *nxt = b;
	size_t m = p->n, w0 = g / 64, w1 = m / 64, words = w1 - w0 + 1;

	if (lo > hi || hi > n || g > m)
		return -1;
	memset(cur + w0, 0, words * sizeof *cur);
	bit_set(cur, m);
	(void)closure(p, cur, g);
	for (size_t e = n;; e--) {
		if (e <= hi && bit_test(cur, g))
			return (long)e;
		if (e == lo)
			return -1;
		unsigned char ch = s[e - 1];
		bool any = false;
		size_t visits = words;
		memset(nxt + w0, 0, words * sizeof *nxt);
		for (size_t w = w0; w <= w1; w++) {
			for (uint64_t x = cur[w]; x; x &= x - 1) {
				size_t k = w * 64 + (size_t)__builtin_ctzll(x);
				visits++;
				if (k > g) {
					const struct el *e1 = &p->el[k - 1];
					if ((e1->kind == EL_BYTE && e1->byte == ch) ||
					    (e1->kind == EL_ONE && ch != '/')) {
						bit_set(nxt, k - 1);
						any = true;
					}
				}
				if (k < m) {
					const struct el *e0 = &p->el[k];
					if (e0->kind == EL_ANY || (e0->kind == EL_SEG && ch != '/')) {
						bit_set(nxt, k);
						any = true;
					}
				}
			}
		}
		if (!any)
			return -1;
		visits += closure(p, nxt, g);
		if (work && (*work += visits) > RULES_WORK_MAX)
			return -1;
		uint64_t *t = cur;
		cur = nxt;
		nxt = t;
	}
}

static void set_cap(struct caps *cp, uint8_t cap, const unsigned char *s, size_t at, size_t len,
		    size_t n)
{
	if (!cap)
		return;
	cp->p[cap] = (const char *)s + at;
	cp->len[cap] = (uint32_t)len;
	cp->at_end[cap] = at + len == n;
	cp->query[cap] = false;
}

/* Fills the captures of a pattern known to match s[0, n): each wildcard
 * group, left to right, takes the longest run after which the rest can
 * still match. */
static bool pat_caps(const struct pat *p, const unsigned char *s, size_t n, struct caps *cp,
		     uint64_t *work)
{
	size_t j = 0, k = 0, m = p->n;

	while (k < p->cap_end) {
		const struct el *e = &p->el[k];
		if (e->kind == EL_BYTE) {
			if ((e->flags & EL_SKIP2) &&
			    !(j < n && s[j] == e->byte && rsim(p, k + 1, s, n, j + 1, j + 1, work) >= 0)) {
				set_cap(cp, p->el[k + 1].cap, s, j, 0, n);
				k += 2;
				continue;
			}
			if (j >= n || s[j] != e->byte)
				return false;
			j++;
			k++;
			continue;
		}
		size_t g = k + 1, ones = 0, hi = n;
		bool seg = false, any = false;
		while (e->cap && g < m && p->el[g].cap == e->cap)
			g++;
		for (size_t i = k; i < g; i++) {
			ones += p->el[i].kind == EL_ONE;
			seg |= p->el[i].kind == EL_SEG;
			any |= p->el[i].kind == EL_ANY;
		}
		if (!any) {
			const unsigned char *sl = memchr(s + j, '/', n - j);
			hi = sl ? (size_t)(sl - s) : n;
			if (!seg && j + ones < hi)
				hi = j + ones;
		}
		long x = rsim(p, g, s, n, j + ones, hi, work);
		if (x < 0)
			return false;
		set_cap(cp, e->cap, s, j, (size_t)x - j, n);
		j = (size_t)x;
		k = g;
	}
	return true;
}

/* A path as every pattern sees it: its bytes and where its first
 * segments start and end (found once per lookup, not once per rule). */
struct pview {
	const unsigned char *s;
	size_t n;
	uint32_t nseg; /* segments found, at most HEAD_MAX */
	uint32_t at[HEAD_MAX], len[HEAD_MAX];
	size_t base;   /* where the last segment starts */
};

static void pview_init(struct pview *v, struct slice path)
{
	const unsigned char *s = (const unsigned char *)path.ptr;
	size_t n = path.len, i = 1;

	v->s = s;
	v->n = n;
	v->nseg = 0;
	const unsigned char *last = memrchr(s, '/', n);
	v->base = last ? (size_t)(last + 1 - s) : 0;
	/* After the first '/', every '/' ends one: "/" is one empty segment
	 * (as "/{*}" sees it), "/a/b" two. */
	while (i <= n && v->nseg < HEAD_MAX) {
		const unsigned char *sl = memchr(s + i, '/', n - i);
		size_t e = sl ? (size_t)(sl - s) : n;
		v->at[v->nseg] = (uint32_t)i;
		v->len[v->nseg++] = (uint32_t)(e - i);
		i = e + 1;
	}
}

enum quick { Q_NO, Q_YES, Q_SIM };

/* What can be told without simulating: the length, the bytes the
 * pattern starts and ends with, the segments at fixed places, and the
 * shapes "/dir/{**}" and "/prefix{**}" (captured by hand). On Q_SIM the
 * text to simulate over is in *s, *n. */
static enum quick pat_quick(const struct pat *p, const struct pview *v, const unsigned char **ps,
			    size_t *pn, struct caps *cp)
{
	const unsigned char *s = v->s;
	size_t n = v->n;

	if (p->basename) {
		s += v->base;
		n -= v->base;
	}
	*ps = s;
	*pn = n;
	if (n < p->min_len)
		return Q_NO;
	/* The byte after the leading '/' tells most rules apart: looked at
	 * before a call to memcmp. */
	if (p->prefix > 1 && s[1] != (unsigned char)p->pre[1])
		return Q_NO;
	if (p->prefix && memcmp(s, p->pre, p->prefix) != 0)
		return Q_NO;
	if (p->literal) {
		if (n != p->n)
			return Q_NO;
		if (cp)
			memset(cp, 0, sizeof *cp);
		return Q_YES;
	}
	if (p->suffix && memcmp(s + n - p->suffix, p->pre + p->prefix, p->suffix) != 0)
		return Q_NO;
	if (p->nhead > v->nseg)
		return Q_NO;
	for (uint8_t k = 0; k < p->nhead; k++) {
		const struct hseg *h = &p->head[k];
		const unsigned char *seg = s + v->at[k];
		size_t len = v->len[k];
		if (len < h->min || (h->exact && len != h->min))
			return Q_NO;
		if (h->pre && memcmp(seg, p->pre + h->off, h->pre) != 0)
			return Q_NO;
		if (h->suf && memcmp(seg + len - h->suf, p->pre + h->off + h->pre, h->suf) != 0)
			return Q_NO;
	}
	/* The common shapes "/dir/{**}" and "/prefix{**}": a hostile long
	 * path under a shared prefix costs the prefix compare, not one pass
	 * per rule. */
	if (p->tail_any) {
		size_t at = p->prefix;
		if (p->tail_slash) {
			if (n > at && s[at] != '/')
				return Q_NO;
			at += n > at;
		}
		if (cp) {
			memset(cp, 0, sizeof *cp);
			set_cap(cp, p->el[p->n - 1].cap, s, at, n - at, n);
		}
		return Q_YES;
	}
	return Q_SIM;
}

/* Does p match the path? Fills cp (if not NULL) with the captures. */
static bool pat_match(const struct pat *p, const struct pview *v, struct caps *cp,
		      uint64_t *work)
{
	const unsigned char *s;
	size_t n;

	enum quick q = pat_quick(p, v, &s, &n, cp);
#ifdef RULES_CHECK_QUICK
	/* Fuzzing: every quick answer is the simulation's, captures too. */
	if (q != Q_SIM) {
		struct caps ref = { 0 };
		bool yes = rsim(p, 0, s, n, 0, 0, NULL) == 0 && pat_caps(p, s, n, &ref, NULL);
		if (yes != (q == Q_YES))
			abort();
		for (int k = 1; yes && cp && k <= RULES_CAPTURES; k++)
			if (ref.p[k] != cp->p[k] || ref.len[k] != cp->len[k] ||
			    ref.at_end[k] != cp->at_end[k])
				abort();
	}
#endif
	switch (q) {
	case Q_NO:
		return false;
	case Q_YES:
		return true;
	case Q_SIM:
		break;
	}
	if (rsim(p, 0, s, n, 0, 0, work) != 0)
		return false;
	if (cp)
		memset(cp, 0, sizeof *cp);
	return !cp || pat_caps(p, s, n, cp, work);
}

/* ---- templates ---- */

static void tmpl_free(struct tmpl *t)
{
	free(t->text);
	free(t->pc);
	memset(t, 0, sizeof *t);
}

struct tbuild {
	struct tmpl *t;
	size_t alloc;
	bool in_query, in_frag;
	bool url; /* a target: encode what a URL cannot hold */
};

static bool tb_piece(struct tbuild *tb, uint32_t off, uint32_t len, uint8_t cap)
{
	struct tmpl *t = tb->t;
	if (cap == 0 && len == 0)
		return true;
	if (cap == 0 && t->n && t->pc[t->n - 1].cap == 0 &&
	    t->pc[t->n - 1].off + t->pc[t->n - 1].len == off) {
		t->pc[t->n - 1].len += len;
		return true;
	}
	if (t->n == tb->alloc) {
		size_t na = tb->alloc ? tb->alloc * 2 : 8;
		struct piece *np = realloc(t->pc, na * sizeof *np);
		if (!np)
			return false;
		t->pc = np;
		tb->alloc = na;
	}
	t->pc[t->n++] = (struct piece){ off, len, cap, tb->in_query };
	if (cap)
		t->has_caps = true;
	return true;
}

/* Appends literal byte ch to the template text (encoded if a URL cannot
 * hold it; '%' escapes were checked by the caller and stay). */
static bool tb_byte(struct tbuild *tb, unsigned char ch, bool escape_ok)
{
	struct tmpl *t = tb->t;
	uint32_t off = t->len;
	if (tb->url && !tb->in_frag) {
		if (ch == '?' && !tb->in_query)
			tb->in_query = true;
		else if (ch == '#')
			tb->in_frag = true;
	}
	bool keep = !tb->url || ch == '?' || ch == '#' || (ch == '%' && escape_ok) ||
		    url_keep(ch, false);
	if (keep) {
		t->text[t->len++] = (char)ch;
	} else {
		static const char hex[] = "0123456789ABCDEF";
		t->text[t->len++] = '%';
		t->text[t->len++] = hex[ch >> 4];
		t->text[t->len++] = hex[ch & 15];
	}
	return tb_piece(tb, off, t->len - off, 0);
}

/* How a template names captures. */
enum tsyntax {
	T_PLAIN,   /* none: config header values are sent as written */
	T_CONFIG,  /* $1..$9, $$ */
	T_NETLIFY, /* :name of the path's placeholders, :splat */
};

/* Compiles a target (url) or header value. */
static int tmpl_compile(struct tmpl *t, const char *s, size_t len, const struct pbuild *b,
			enum tsyntax syn, bool url, struct ctx *c, const char *what)
{
	struct tbuild tb = { t, 0, false, false, url };

	memset(t, 0, sizeof *t);
	if (len > RULES_TARGET_MAX)
		return FAIL(c, "%s longer than %d bytes", what, RULES_TARGET_MAX);
	if (has_ctl(s, len))
		return FAIL(c, "%s has a control byte", what);
	t->text = malloc(3 * len + 1);
	if (!t->text)
		return FAIL(c, "out of memory");
	for (size_t i = 0; i < len;) {
		unsigned char ch = (unsigned char)s[i];
		if (syn == T_CONFIG && ch == '$') {
			if (i + 1 < len && s[i + 1] == '$') {
				if (!tb_byte(&tb, '$', false))
					goto nomem;
				i += 2;
				continue;
			}
			if (i + 1 >= len || s[i + 1] < '1' || s[i + 1] > '9') {
				tmpl_free(t);
				return FAIL(c, "%s: '$' must be followed by 1..9 or '$'", what);
			}
			unsigned n = (unsigned)(s[i + 1] - '0');
			if (n > b->ncap) {
				tmpl_free(t);
				return FAIL(c, "%s uses $%u but the glob has %u wildcard%s", what, n,
					    b->ncap, b->ncap == 1 ? "" : "s");
			}
			if (!tb_piece(&tb, 0, 0, (uint8_t)n))
				goto nomem;
			i += 2;
			continue;
		}
		if (syn == T_NETLIFY && ch == ':' && i + 1 < len && is_alpha((unsigned char)s[i + 1])) {
			size_t k = i + 1;
			while (k < len && is_word((unsigned char)s[k]))
				k++;
			const char *name = s + i + 1;
			size_t nl = k - i - 1;
			int cap = -1;
			if (nl == 5 && memcmp(name, "splat", 5) == 0 && b->splat)
				cap = b->splat_cap;
			for (unsigned q = 0; q < b->nnames && cap < 0; q++)
				if (b->names[q].len == nl && memcmp(b->names[q].p, name, nl) == 0)
					cap = b->names[q].cap;
			if (cap == 0) {
				tmpl_free(t);
				return FAIL(c, "%s uses \":%.*s\", past the first %d captures", what,
					    (int)nl, name, RULES_CAPTURES);
			}
			if (cap > 0) {
				if (!tb_piece(&tb, 0, 0, (uint8_t)cap))
					goto nomem;
				i = k;
				continue;
			}
			/* not a placeholder of this rule: literal text */
		}
		bool escape_ok = false;
		if (url && ch == '%') {
			if (i + 2 >= len || hexval((unsigned char)s[i + 1]) < 0 ||
			    hexval((unsigned char)s[i + 2]) < 0) {
				tmpl_free(t);
				return FAIL(c, "%s has a bad percent escape", what);
			}
			escape_ok = true;
		}
		if (!tb_byte(&tb, ch, escape_ok))
			goto nomem;
		i++;
	}
	t->text[t->len] = '\0';
	return 0;
nomem:
	tmpl_free(t);
	return FAIL(c, "out of memory");
}

/* A target: local path or http(s) URL; no capture may choose the host. */
static int target_check(const struct tmpl *t, bool *external, struct ctx *c)
{
	const char *s = t->text;
	size_t n = t->len;

	*external = is_url(s, n);
	if (*external) {
		size_t a = (size_t)(strstr(s, "://") - s) + 3, e = a;
		while (e < n && s[e] != '/' && s[e] != '?' && s[e] != '#')
			e++;
		if (e == a)
			return FAIL(c, "target URL has no host");
		/* pieces are in text order; a capture's text offset is where the
		 * literal before it ended */
		uint32_t at = 0;
		for (uint32_t i = 0; i < t->n; i++) {
			if (t->pc[i].cap && at <= e)
				return FAIL(c, "a placeholder may not choose the target's host");
			if (!t->pc[i].cap)
				at = t->pc[i].off + t->pc[i].len;
		}
		return 0;
	}
	if (t->n == 0 || t->pc[0].cap || n == 0 || s[0] != '/')
		return FAIL(c, "target must be a path starting with '/' or an http(s):// URL");
	if (n > 1 && (s[1] == '/' || s[1] == '\\') && t->pc[0].len > 1)
		return FAIL(c, "target \"//...\" names another host: write https://");
	return 0;
}

/* Writes capture k, encoded, to o. */
static void put_cap(struct out *o, const struct caps *cp, uint8_t k, bool in_query, bool url)
{
	const unsigned char *p = (const unsigned char *)cp->p[k];
	for (uint32_t i = 0; i < cp->len[k]; i++) {
		unsigned char ch = p[i];
		bool keep = url_keep(ch, in_query && url) || (ch == '%' && cp->query[k]);
		/* "/" + a capture starting with '/' would make "//host" */
		if (ch == '/' && o->len == 1 && o->first == '/')
			keep = false;
		if (keep)
			put(o, (char)ch);
		else
			put_enc(o, ch);
	}
}

/* Expands t into o; url: a target (trailing slash given back, see rules.h). */
static void tmpl_expand(const struct tmpl *t, const struct caps *cp, bool trailing, bool url,
			struct out *o)
{
	for (uint32_t i = 0; i < t->n; i++) {
		const struct piece *pc = &t->pc[i];
		if (!pc->cap) {
			for (uint32_t k = 0; k < pc->len; k++) {
				char ch = t->text[pc->off + k];
				/* "/" + an empty capture + "/..." would make
				 * "//host": the slashes are one, as a path
				 * would be normalised. */
				if (url && ch == '/' && o->len == 1 && o->first == '/')
					continue;
				put(o, ch);
			}
			continue;
		}
		put_cap(o, cp, pc->cap, pc->in_query, url);
		if (url && trailing && !pc->in_query && !cp->query[pc->cap] && cp->at_end[pc->cap] &&
		    cp->len[pc->cap])
			put(o, '/');
	}
}

/* ---- rule storage ---- */

static bool grow(void **arr, size_t *alloc, size_t n, size_t size)
{
	if (n < *alloc)
		return true;
	size_t na = *alloc ? *alloc * 2 : 16;
	void *p = realloc(*arr, na * size);
	if (!p)
		return false;
	*arr = p;
	*alloc = na;
	return true;
}

static void route_free(struct route *rt)
{
	pat_free(&rt->pat);
	tmpl_free(&rt->to);
	for (uint8_t i = 0; i < rt->nq; i++) {
		free(rt->q[i].key);
		free(rt->q[i].val);
	}
	free(rt->q);
}

static void block_free(struct hblock *hb)
{
	pat_free(&hb->pat);
	for (size_t i = 0; i < hb->n; i++) {
		free(hb->e[i].name);
		tmpl_free(&hb->e[i].val);
	}
	free(hb->e);
}

struct rules *rules_new(void)
{
	return calloc(1, sizeof(struct rules));
}

/* Drops rules added after a saved point: a failed call keeps nothing. */
static void truncate_to(struct rules *r, size_t nroutes, size_t nblocks, size_t ntags, size_t count)
{
	while (r->nroutes > nroutes)
		route_free(&r->routes[--r->nroutes]);
	while (r->nblocks > nblocks)
		block_free(&r->blocks[--r->nblocks]);
	while (r->ntags > ntags)
		pat_free(&r->tags[--r->ntags].pat);
	r->count = count;
}

void rules_free(struct rules *r)
{
	if (!r)
		return;
	truncate_to(r, 0, 0, 0, 0);
	free(r->routes);
	free(r->blocks);
	free(r->tags);
	for (uint32_t i = 0; i < r->nnames; i++)
		free(r->names[i].p);
	free(r->names);
	free(r->hash);
	free(r);
}

bool rules_empty(const struct rules *r)
{
	return !r || r->count == 0;
}

static uint32_t name_hash(const char *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)slice_lower(p[i])) * 16777619u;
	return h;
}

static bool name_eq(const struct name *a, const char *p, size_t n)
{
	if (a->len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (slice_lower(a->p[i]) != slice_lower(p[i]))
			return false;
	return true;
}

/* The id of header name p (case-insensitive), added if new; -1: no
 * memory, -2: RULES_MAX names already (ids index a lookup's bit set). */
static long name_id(struct rules *r, const char *p, size_t n)
{
	if (r->hcap) {
		for (uint32_t i = name_hash(p, n) & (r->hcap - 1);; i = (i + 1) & (r->hcap - 1)) {
			if (!r->hash[i])
				break;
			if (name_eq(&r->names[r->hash[i] - 1], p, n))
				return r->hash[i] - 1;
		}
	}
	if (r->nnames >= RULES_MAX)
		return -2;
	if (r->nnames == r->anames) {
		uint32_t na = r->anames ? r->anames * 2 : 16;
		struct name *nn = realloc(r->names, na * sizeof *nn);
		if (!nn)
			return -1;
		r->names = nn;
		r->anames = na;
	}
	if (2 * (r->nnames + 1) > r->hcap) {
		uint32_t nc = r->hcap ? r->hcap * 2 : 64;
		uint32_t *nh = calloc(nc, sizeof *nh);
		if (!nh)
			return -1;
		for (uint32_t k = 0; k < r->nnames; k++) {
			uint32_t i = name_hash(r->names[k].p, r->names[k].len) & (nc - 1);
			while (nh[i])
				i = (i + 1) & (nc - 1);
			nh[i] = k + 1;
		}
		free(r->hash);
		r->hash = nh;
		r->hcap = nc;
	}
	char *copy = malloc(n + 1);
	if (!copy)
		return -1;
	memcpy(copy, p, n);
	copy[n] = '\0';
	uint32_t i = name_hash(p, n) & (r->hcap - 1);
	while (r->hash[i])
		i = (i + 1) & (r->hcap - 1);
	r->names[r->nnames] = (struct name){ copy, (uint32_t)n };
	r->hash[i] = ++r->nnames;
	return r->nnames - 1;
}

static bool status_ok(int status)
{
	switch (status) {
	case 200: case 301: case 302: case 303: case 307: case 308:
	case 401: case 403: case 404: case 410: case 451:
		return true;
	}
	return false;
}

static bool is_redirect(int status)
{
	return status >= 300 && status < 400;
}

/* Adds a route for b's pattern and target text; owns q, even on failure. */
static int route_add(struct rules *r, struct pbuild *b, const char *to, size_t tolen, int status,
		     bool force, bool netlify, struct qcond *q, uint8_t nq, struct ctx *c)
{
	struct route rt = { .q = q, .nq = nq, .status = status, .force = force };

	if (r->count >= RULES_MAX)
		goto too_many;
	if (!status_ok(status)) {
		FAIL(c, "status %d is not supported (200, 301, 302, 303, 307, 308, 401, 403, 404, "
			"410, 451)", status);
		goto fail;
	}
	if (to) {
		if (tmpl_compile(&rt.to, to, tolen, b, netlify ? T_NETLIFY : T_CONFIG, true, c,
				 "target") < 0)
			goto fail;
		if (target_check(&rt.to, &rt.external, c) < 0)
			goto fail;
		if (rt.external && status == 200) {
			FAIL(c, "proxying (200 to an absolute URL) is not supported");
			goto fail;
		}
		if (rt.external && !is_redirect(status)) {
			FAIL(c, "a status %d page must be a path on this site", status);
			goto fail;
		}
	} else if (status < 400) {
		FAIL(c, "status %d needs a target", status);
		goto fail;
	}
	if (pat_finish(b, &rt.pat, c) < 0)
		goto fail;
	r->nsim += !rt.pat.literal && !rt.pat.tail_any;
	r->nquery += nq != 0;
	/* two lookups: any route, then forced ones (where a file exists) */
	r->wbyte += 2 * rt.pat.weight + 2 * (rt.to.has_caps != 0);
	r->wfixed += 2 * (rt.to.len / 64 + 2); /* a target as expanded, over 64 */
	r->wquery += 2 * (uint64_t)nq * QUERY_FIELD_WORK;
	if (!grow((void **)&r->routes, &r->aroutes, r->nroutes, sizeof *r->routes)) {
		FAIL(c, "out of memory");
		goto fail;
	}
	r->routes[r->nroutes++] = rt;
	r->count++;
	return 0;
too_many:
	FAIL(c, "more than %d rules", RULES_MAX);
fail:
	route_free(&rt);
	return -1;
}

int rules_add_route(struct rules *r, const char *glob, const char *to, int status, bool force,
		    char *err, size_t cap)
{
	struct ctx c = { NULL, 0, err, cap };
	struct pbuild *b = malloc(sizeof *b);
	int rc = -1;

	if (!b)
		return FAIL(&c, "out of memory");
	if (glob_compile(b, glob, &c) == 0)
		rc = route_add(r, b, to, to ? strlen(to) : 0, status, force, false, NULL, 0, &c);
	free(b);
	return rc;
}

static int block_open(struct rules *r, struct pbuild *b, struct ctx *c)
{
	struct hblock hb = { 0 };
	if (pat_finish(b, &hb.pat, c) < 0)
		return -1;
	r->nsim += !hb.pat.literal && !hb.pat.tail_any;
	r->wbyte += hb.pat.weight;
	if (!grow((void **)&r->blocks, &r->ablocks, r->nblocks, sizeof *r->blocks)) {
		pat_free(&hb.pat);
		return FAIL(c, "out of memory");
	}
	r->blocks[r->nblocks++] = hb;
	return 0;
}

/* Adds a header change to the last block. */
static int block_entry(struct rules *r, const struct pbuild *b, enum rules_hop op, bool combine,
		       const char *name, size_t nlen, const char *val, size_t vlen, bool netlify,
		       struct ctx *c)
{
	struct hblock *hb = &r->blocks[r->nblocks - 1];
	struct hent he = { .op = op, .combine = combine };

	if (r->count >= RULES_MAX)
		return FAIL(c, "more than %d rules", RULES_MAX);
	if (nlen == 0 || nlen > RULES_NAME_MAX)
		return FAIL(c, "header name must be 1..%d bytes", RULES_NAME_MAX);
	for (size_t i = 0; i < nlen; i++)
		if (!is_tchar((unsigned char)name[i]))
			return FAIL(c, "header name \"%.*s\" is not a token", (int)nlen, name);
	if (op != RULES_REMOVE) {
		if (vlen == 0)
			return FAIL(c, "header %.*s has an empty value", (int)nlen, name);
		if (tmpl_compile(&he.val, val, vlen, b, netlify ? T_NETLIFY : T_PLAIN, false, c,
				 "header value") < 0)
			return -1;
	}
	long id = name_id(r, name, nlen);
	he.name = malloc(nlen + 1);
	if (id < 0 || !he.name || !grow((void **)&hb->e, &hb->alloc, hb->n, sizeof *hb->e)) {
		free(he.name);
		tmpl_free(&he.val);
		if (id == -2)
			return FAIL(c, "more than %d header names", RULES_MAX);
		return FAIL(c, "out of memory");
	}
	memcpy(he.name, name, nlen);
	he.name[nlen] = '\0';
	he.nlen = (uint32_t)nlen;
	he.id = (uint32_t)id;
	hb->caps |= he.val.has_caps;
	hb->e[hb->n++] = he;
	r->wfixed += HEADER_WORK + he.val.len / 64 + 1;
	r->wbyte += he.val.has_caps;
	r->count++;
	return 0;
}

int rules_add_header(struct rules *r, const char *glob, enum rules_hop op, const char *name,
		     const char *value, char *err, size_t cap)
{
	struct ctx c = { NULL, 0, err, cap };
	size_t nb = r->nblocks, count = r->count;
	struct pbuild *b = malloc(sizeof *b);
	int rc = -1;

	if (!b)
		return FAIL(&c, "out of memory");
	if (op != RULES_SET && op != RULES_ADD && op != RULES_REMOVE)
		FAIL(&c, "bad header operation");
	else if (!name || (op != RULES_REMOVE && !value))
		FAIL(&c, "header change without a name or value");
	else if (glob_compile(b, glob, &c) == 0 && block_open(r, b, &c) == 0) {
		rc = block_entry(r, b, op, false, name, strlen(name), value,
				 op == RULES_REMOVE ? 0 : strlen(value), false, &c);
	}
	if (rc < 0)
		truncate_to(r, r->nroutes, nb, r->ntags, count);
	free(b);
	return rc;
}

int rules_add_tag(struct rules *r, const char *glob, int tag, char *err, size_t cap)
{
	struct ctx c = { NULL, 0, err, cap };
	struct tagrule tr = { .tag = tag };
	struct pbuild *b = malloc(sizeof *b);
	int rc = -1;

	if (!b)
		return FAIL(&c, "out of memory");
	if (r->count >= RULES_MAX)
		FAIL(&c, "more than %d rules", RULES_MAX);
	else if (glob_compile(b, glob, &c) == 0 && pat_finish(b, &tr.pat, &c) == 0) {
		if (grow((void **)&r->tags, &r->atags, r->ntags, sizeof *r->tags)) {
			r->tags[r->ntags++] = tr;
			r->nsim += !tr.pat.literal && !tr.pat.tail_any;
			r->wbyte += tr.pat.weight;
			r->count++;
			rc = 0;
		} else {
			pat_free(&tr.pat);
			FAIL(&c, "out of memory");
		}
	}
	free(b);
	return rc;
}

/* ---- files ---- */

/* Splits text into lines; a '\r' before '\n' is dropped. */
struct lines {
	const char *p, *end;
	unsigned no;
};

static bool next_line(struct lines *l, const char **s, size_t *n)
{
	if (l->p >= l->end)
		return false;
	const char *nl = memchr(l->p, '\n', (size_t)(l->end - l->p));
	const char *e = nl ? nl : l->end;
	*s = l->p;
	*n = (size_t)(e - l->p);
	if (*n && (*s)[*n - 1] == '\r')
		(*n)--;
	l->p = nl ? nl + 1 : l->end;
	l->no++;
	return true;
}

static int file_scan(const char *text, size_t len, struct ctx *c);

/* Checks a whole file; skips a UTF-8 byte order mark that editors add. */
static int file_check(const char **text, size_t *len, struct ctx *c)
{
	if (*len >= 3 && memcmp(*text, "\xef\xbb\xbf", 3) == 0) {
		*text += 3;
		*len -= 3;
	}
	return file_scan(*text, *len, c);
}

static int file_scan(const char *text, size_t len, struct ctx *c)
{
	if (len > RULES_FILE_MAX)
		return FAIL(c, "larger than %d bytes", RULES_FILE_MAX);
	const char *nul = len ? memchr(text, '\0', len) : NULL;
	if (nul) {
		c->line = 1;
		for (const char *p = text; p < nul; p++)
			c->line += *p == '\n';
		return FAIL(c, "NUL byte");
	}
	return 0;
}

#define MAX_FIELDS 24

static bool is_status(const char *s, size_t n)
{
	if (n != 3 && !(n == 4 && s[3] == '!'))
		return false;
	return s[0] >= '1' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' &&
	       s[2] <= '9';
}

/* Netlify's conditions, which need what this server does not know. */
static const char *condition(const char *s, size_t n)
{
	static const char *const names[] = { "Country", "Language", "Role", "Cookie", "Sign",
					     "Signed" };
	const char *eq = memchr(s, '=', n);
	if (!eq)
		return NULL;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (slice_eq_ci(slice_make(s, (size_t)(eq - s)), names[i]))
			return names[i];
	return NULL;
}

static int redirect_line(struct rules *r, struct pbuild *b, const char *line, size_t len,
			 struct ctx *c)
{
	struct { const char *p; size_t n; } f[MAX_FIELDS];
	size_t nf = 0, i = 0;

	if (has_ctl(line, len))
		return FAIL(c, "control byte in the line");
	while (i < len) {
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == len || line[i] == '#')
			break;
		size_t s = i;
		while (i < len && line[i] != ' ' && line[i] != '\t')
			i++;
		if (nf == MAX_FIELDS)
			return FAIL(c, "more than %d fields", MAX_FIELDS);
		f[nf].p = line + s;
		f[nf++].n = i - s;
	}
	if (nf == 0)
		return 0;
	if (npath_compile(b, f[0].p, f[0].n, c) < 0)
		return -1;
	if (nf == 1)
		return FAIL(c, "missing destination");

	size_t k = 1, qn = 0;
	char fwd[RULES_PATTERN_MAX + 8];
	const char *to = NULL;
	size_t tolen = 0;
	struct qcond q[16];
	memset(q, 0, sizeof q);
	int rc = -1, status = 301;
	bool force = false;

	if (is_status(f[1].p, f[1].n)) {
		/* Netlify's forward rule: "/path/{*} 200" serves /path/:splat */
		size_t fl = f[0].n;
		const char *hash = memchr(f[0].p, '#', fl);
		if (hash)
			fl = (size_t)(hash - f[0].p);
		if (fl < 2 || f[0].p[fl - 2] != '/' || f[0].p[fl - 1] != '*' || f[1].p[0] != '2')
			return FAIL(c, "missing destination");
		memcpy(fwd, f[0].p, fl - 1);
		memcpy(fwd + fl - 1, ":splat", 6);
		to = fwd;
		tolen = fl + 5;
	} else {
		/* before TO, key=value pairs are query parameters (even one
		 * named like a condition: those come after the status) */
		for (; k < nf && f[k].p[0] != '/' && !is_url(f[k].p, f[k].n); k++) {
			if (is_status(f[k].p, f[k].n))
				return FAIL(c, "missing destination");
			if (qn == sizeof q / sizeof q[0])
				return FAIL(c, "more than %zu query parameters", sizeof q / sizeof q[0]);
			const char *eq = memchr(f[k].p, '=', f[k].n);
			size_t kl = eq ? (size_t)(eq - f[k].p) : f[k].n;
			const char *v = eq ? eq + 1 : f[k].p + f[k].n;
			size_t vl = f[k].n - kl - (eq ? 1 : 0);
			if (kl == 0)
				return FAIL(c, "query parameter \"%.*s\" has no name", (int)f[k].n,
					    f[k].p);
			q[qn].klen = (uint32_t)kl;
			q[qn].vlen = (uint32_t)vl;
			q[qn].key = (char *)f[k].p; /* copied below */
			q[qn].val = (char *)v;
			if (vl > 1 && v[0] == ':' && is_alpha((unsigned char)v[1])) {
				size_t e = 1;
				while (e < vl && is_word((unsigned char)v[e]))
					e++;
				if (e != vl)
					return FAIL(c, "bad placeholder \"%.*s\"", (int)vl, v);
				for (unsigned t = 0; t < b->nnames; t++)
					if (b->names[t].len == vl - 1 &&
					    memcmp(b->names[t].p, v + 1, vl - 1) == 0)
						return FAIL(c, "placeholder \"%.*s\" appears twice",
							    (int)vl, v);
				if (b->nnames == sizeof b->names / sizeof b->names[0])
					return FAIL(c, "too many placeholders");
				q[qn].cap = next_cap(b);
				b->names[b->nnames].p = v + 1;
				b->names[b->nnames].len = vl - 1;
				b->names[b->nnames++].cap = q[qn].cap;
			}
			qn++;
		}
		if (k == nf)
			return FAIL(c, "the destination must start with '/', http:// or https://");
		to = f[k].p;
		tolen = f[k].n;
		k++;
	}
	if (k < nf && is_status(f[k].p, f[k].n)) {
		status = (f[k].p[0] - '0') * 100 + (f[k].p[1] - '0') * 10 + (f[k].p[2] - '0');
		force = f[k].n == 4;
		k++;
	} else if (k < nf && f[k].p[0] >= '0' && f[k].p[0] <= '9') {
		return FAIL(c, "bad status \"%.*s\"", (int)f[k].n, f[k].p);
	}
	if (k < nf) {
		const char *cond = condition(f[k].p, f[k].n);
		if (cond)
			return FAIL(c, "%s conditions are not supported", cond);
		return FAIL(c, "unexpected \"%.*s\"", (int)f[k].n, f[k].p);
	}
	/* The route owns copies of the query conditions. */
	struct qcond *qc = NULL;
	if (qn) {
		qc = calloc(qn, sizeof *qc);
		if (!qc)
			return FAIL(c, "out of memory");
		for (size_t t = 0; t < qn; t++) {
			qc[t] = q[t];
			qc[t].key = malloc(q[t].klen + 1);
			qc[t].val = malloc(q[t].vlen + 1);
			if (!qc[t].key || !qc[t].val) {
				for (size_t u = 0; u <= t; u++) {
					free(qc[u].key);
					free(qc[u].val);
				}
				free(qc);
				return FAIL(c, "out of memory");
			}
			memcpy(qc[t].key, q[t].key, q[t].klen);
			memcpy(qc[t].val, q[t].val, q[t].vlen);
			qc[t].key[q[t].klen] = qc[t].val[q[t].vlen] = '\0';
		}
	}
	rc = route_add(r, b, to, tolen, status, force, true, qc, (uint8_t)qn, c);
	return rc;
}

int rules_parse_redirects(struct rules *r, const char *text, size_t len, const char *file,
			  char *err, size_t cap)
{
	struct ctx c = { file ? file : "_redirects", 0, err, cap };
	size_t nr = r->nroutes, nb = r->nblocks, nt = r->ntags, count = r->count;
	const char *line;
	size_t n;

	if (!text)
		text = "";
	if (file_check(&text, &len, &c) < 0)
		return -1;
	struct lines l = { text, text + len, 0 };
	struct pbuild *b = malloc(sizeof *b);
	if (!b)
		return FAIL(&c, "out of memory");
	while (next_line(&l, &line, &n)) {
		c.line = l.no;
		if (redirect_line(r, b, line, n, &c) < 0) {
			truncate_to(r, nr, nb, nt, count);
			free(b);
			return -1;
		}
	}
	free(b);
	return 0;
}

static struct slice trim(const char *p, size_t n)
{
	return slice_trim(slice_make(p, n));
}

int rules_parse_headers(struct rules *r, const char *text, size_t len, const char *file, char *err,
			size_t cap)
{
	struct ctx c = { file ? file : "_headers", 0, err, cap };
	size_t nr = r->nroutes, nb = r->nblocks, nt = r->ntags, count = r->count;
	const char *line;
	size_t n;
	bool open = false;

	if (!text)
		text = "";
	if (file_check(&text, &len, &c) < 0)
		return -1;
	struct lines l = { text, text + len, 0 };
	struct pbuild *b = malloc(sizeof *b);
	if (!b)
		return FAIL(&c, "out of memory");
	while (next_line(&l, &line, &n)) {
		struct slice t = trim(line, n);
		c.line = l.no;
		if (t.len == 0 || t.ptr[0] == '#')
			continue;
		if (has_ctl(t.ptr, t.len)) {
			FAIL(&c, "control byte in the line");
			goto fail;
		}
		if (t.ptr[0] == '/' || is_url(t.ptr, t.len)) {
			/* a name is a token, and '/' is none: this is a path */
			if (is_url(t.ptr, t.len)) {
				FAIL(&c, "absolute URLs (%.*s) are not supported",
				     (int)(t.len < 64 ? t.len : 64), t.ptr);
				goto fail;
			}
			/* a path without header lines is dropped: one at a time */
			if (open && r->blocks[r->nblocks - 1].n == 0)
				block_free(&r->blocks[--r->nblocks]);
			if (npath_compile(b, t.ptr, t.len, &c) < 0 || block_open(r, b, &c) < 0)
				goto fail;
			open = true;
			continue;
		}
		if (!open) {
			FAIL(&c, "a header line before any path");
			goto fail;
		}
		if (t.ptr[0] == '!') {
			struct slice name = trim(t.ptr + 1, t.len - 1);
			if (block_entry(r, b, RULES_REMOVE, true, name.ptr, name.len, NULL, 0, true,
					&c) < 0)
				goto fail;
			continue;
		}
		const char *colon = memchr(t.ptr, ':', t.len);
		if (!colon) {
			FAIL(&c, "expected \"Name: value\" or a path starting with '/'");
			goto fail;
		}
		struct slice name = trim(t.ptr, (size_t)(colon - t.ptr));
		struct slice val = trim(colon + 1, (size_t)(t.ptr + t.len - colon - 1));
		if (block_entry(r, b, RULES_SET, true, name.ptr, name.len, val.ptr, val.len, true,
				&c) < 0)
			goto fail;
	}
	if (open && r->blocks[r->nblocks - 1].n == 0)
		block_free(&r->blocks[--r->nblocks]);
	free(b);
	return 0;
fail:
	truncate_to(r, nr, nb, nt, count);
	free(b);
	return -1;
}

/* ---- lookups ---- */

/* The path as matched: "/" for empty, no trailing slash but the root's. */
static struct slice path_norm(struct slice path, bool *trailing)
{
	if (path.len == 0 || !path.ptr)
		return SLICE_LIT("/");
	while (path.len > 1 && path.ptr[path.len - 1] == '/') {
		path.len--;
		*trailing = true;
	}
	return path;
}

/* Finds key in a raw query; its value in *v. */
static bool query_get(struct slice q, const char *key, size_t klen, struct slice *v)
{
	struct slice rest = q;
	while (rest.len) {
		const char *amp = memchr(rest.ptr, '&', rest.len);
		size_t n = amp ? (size_t)(amp - rest.ptr) : rest.len;
		const char *eq = memchr(rest.ptr, '=', n);
		size_t kl = eq ? (size_t)(eq - rest.ptr) : n;
		if (kl == klen && memcmp(rest.ptr, key, klen) == 0) {
			*v = eq ? slice_make(eq + 1, n - kl - 1) : slice_make(rest.ptr + n, 0);
			return true;
		}
		rest.ptr += amp ? n + 1 : n;
		rest.len -= amp ? n + 1 : n;
	}
	return false;
}

static bool query_match(const struct route *rt, struct slice q, struct caps *cp)
{
	for (uint8_t i = 0; i < rt->nq; i++) {
		struct slice v;
		if (!query_get(q, rt->q[i].key, rt->q[i].klen, &v))
			return false;
		if (rt->q[i].cap) {
			cp->p[rt->q[i].cap] = v.ptr;
			cp->len[rt->q[i].cap] = (uint32_t)v.len;
			cp->at_end[rt->q[i].cap] = false;
			cp->query[rt->q[i].cap] = true;
		} else if (v.len != rt->q[i].vlen || memcmp(v.ptr, rt->q[i].val, v.len) != 0) {
			return false;
		}
	}
	return true;
}

/* Appends the request's query to o (before a fragment), encoding what
 * could end or split the target. */
static void add_query(struct out *o, struct slice q)
{
	size_t need = 1;
	for (size_t i = 0; i < q.len; i++) {
		unsigned char ch = (unsigned char)q.ptr[i];
		need += (ch <= 0x20 || ch >= 0x7f || ch == '#') ? 3 : 1;
	}
	size_t len = o->len < o->cap ? o->len : 0;
	const char *hash = o->over ? NULL : memchr(o->buf, '#', len);
	size_t at = hash ? (size_t)(hash - o->buf) : o->len;
	bool has_q = !o->over && memchr(o->buf, '?', at) != NULL;
	if (o->over || o->len + need + 1 > o->cap) {
		o->over = true;
		o->len += need;
		return;
	}
	memmove(o->buf + at + need, o->buf + at, o->len - at);
	struct out w = { .buf = o->buf + at, .cap = need + 1 };
	put(&w, has_q ? '&' : '?');
	for (size_t i = 0; i < q.len; i++) {
		unsigned char ch = (unsigned char)q.ptr[i];
		if (ch <= 0x20 || ch >= 0x7f || ch == '#')
			put_enc(&w, ch);
		else
			put(&w, (char)ch);
	}
	o->len += need;
}


/* rules_route on the normalised path, its view v and its query; with
 * work, counts there (qwork per query condition) and gives up (0) past
 * RULES_WORK_MAX. */
static int route_lookup(const struct rules *r, const struct pview *v, struct slice path,
			bool trailing_slash, struct slice query, bool file_exists, char *target,
			size_t cap, struct rules_route *out, uint64_t *work, uint64_t qwork)
{
	struct caps cp;

	for (size_t i = 0; i < r->nroutes; i++) {
		const struct route *rt = &r->routes[i];
		if (work && *work > RULES_WORK_MAX)
			return 0;
		if (file_exists && !rt->force)
			continue;
		bool need = rt->to.has_caps || rt->nq;
		if (!pat_match(&rt->pat, v, need ? &cp : NULL, work))
			continue;
		if (work)
			*work += rt->nq * qwork;
		if (rt->nq && !query_match(rt, query, &cp))
			continue;
		/* Netlify ignores rules that lead back to where they start. */
		struct loopcmp lc = { .path = path.ptr, .plen = path.len };
		bool loop_check = !rt->external && !rt->nq &&
				  (rt->status == 200 || is_redirect(rt->status));
		struct out o = { .buf = target, .cap = cap, .over = cap == 0,
				 .lc = loop_check ? &lc : NULL };
		tmpl_expand(&rt->to, &cp, trailing_slash, true, &o);
		if (work)
			*work += o.len / 64;
		if (loop_check && lc_same(&lc)) {
			if (cap)
				target[0] = '\0';
			continue;
		}
		if (!rt->nq && query.len && rt->to.n)
			add_query(&o, query);
		if (o.over || o.len >= cap) {
			if (cap)
				target[0] = '\0';
			return -1;
		}
		target[o.len] = '\0';
		out->status = rt->status;
		out->force = rt->force;
		out->external = rt->external;
		out->len = o.len;
		return 1;
	}
	return 0;
}

int rules_route(const struct rules *r, struct slice path, bool trailing_slash,
		struct slice query, bool file_exists, char *target, size_t cap,
		struct rules_route *out)
{
	if (cap)
		target[0] = '\0';
	if (rules_empty(r) || !r->nroutes)
		return 0;
	path = path_norm(path, &trailing_slash);
	struct pview v;
	pview_init(&v, path);
	return route_lookup(r, &v, path, trailing_slash, query, file_exists, target, cap, out,
			    NULL, 0);
}

void rules_headers(const struct rules *r, struct slice path, bool trailing_slash,
		   void (*fn)(void *arg, enum rules_hop op, struct slice name, struct slice value),
		   void *arg)
{
	uint64_t seen[(RULES_MAX + 63) / 64];
	char vbuf[RULES_VALUE_MAX + 1];
	struct caps cp;

	if (rules_empty(r) || !r->nblocks)
		return;
	path = path_norm(path, &trailing_slash);
	struct pview pv;
	pview_init(&pv, path);
	memset(seen, 0, (r->nnames + 63) / 64 * sizeof seen[0]);
	for (size_t i = 0; i < r->nblocks; i++) {
		const struct hblock *hb = &r->blocks[i];
		if (!pat_match(&hb->pat, &pv, hb->caps ? &cp : NULL, NULL))
			continue;
		for (uint32_t k = 0; k < hb->n; k++) {
			const struct hent *he = &hb->e[k];
			enum rules_hop op = he->op;
			struct slice v = { "", 0 };
			if (he->combine) {
				if (op == RULES_REMOVE) {
					seen[he->id / 64] &= ~((uint64_t)1 << (he->id % 64));
				} else {
					op = bit_test(seen, he->id) ? RULES_ADD : RULES_SET;
					bit_set(seen, he->id);
				}
			}
			if (op != RULES_REMOVE) {
				if (he->val.has_caps) {
					struct out o = { .buf = vbuf, .cap = sizeof vbuf };
					tmpl_expand(&he->val, &cp, false, false, &o);
					if (o.over)
						continue;
					v = slice_make(vbuf, o.len);
				} else {
					v = slice_make(he->val.text, he->val.len);
				}
			}
			fn(arg, op, slice_make(he->name, he->nlen), v);
		}
	}
}

int rules_tags(const struct rules *r, struct slice path, bool trailing_slash, int *tags, int max)
{
	int n = 0;

	if (rules_empty(r) || !r->ntags)
		return 0;
	path = path_norm(path, &trailing_slash);
	struct pview v;
	pview_init(&v, path);
	for (size_t i = 0; i < r->ntags; i++) {
		if (!pat_match(&r->tags[i].pat, &v, NULL, NULL))
			continue;
		if (n < max)
			tags[n] = r->tags[i].tag;
		n++;
	}
	return n;
}

uint64_t rules_work(const struct rules *r, struct slice path, bool trailing_slash,
		    struct slice query)
{
	uint64_t w = 0, fields = 1;
	char target[RULES_VALUE_MAX + 1];
	struct rules_route rt;
	struct caps cp;

	if (rules_empty(r) || (!r->nsim && !r->nquery))
		return 0; /* every rule is decided by its quick checks */
	path = path_norm(path, &trailing_slash);
	struct pview v;
	pview_init(&v, path);
	for (const char *q = query.ptr, *end = query.ptr + query.len;
	     r->nquery && q && (q = memchr(q, '&', (size_t)(end - q))) != NULL; q++)
		fields++;
	/* Most paths are short enough that the most the dry run could count
	 * is already within the bound: no need to run it. */
	uint64_t most = ((uint64_t)path.len + 2) * r->wbyte + r->wfixed + fields * r->wquery;
#ifndef RULES_CHECK_QUICK
	if (most <= RULES_WORK_MAX)
		return most;
#endif
	/* The lookups as made: routes, then forced routes only (where a
	 * file exists), header changes, tags. */
	for (int exists = 0; exists < 2; exists++)
		(void)route_lookup(r, &v, path, trailing_slash, query, exists, target,
				   sizeof target, &rt, &w, fields * QUERY_FIELD_WORK);
	for (size_t i = 0; i < r->nblocks && w <= RULES_WORK_MAX; i++) {
		const struct hblock *hb = &r->blocks[i];
		if (!pat_match(&hb->pat, &v, hb->caps ? &cp : NULL, &w))
			continue;
		for (size_t k = 0; k < hb->n; k++)
			w += HEADER_WORK + (hb->e[k].val.len + (hb->e[k].val.has_caps ? path.len : 0)) /
						   64;
	}
	for (size_t i = 0; i < r->ntags && w <= RULES_WORK_MAX; i++)
		(void)pat_match(&r->tags[i].pat, &v, NULL, &w);
#ifdef RULES_CHECK_QUICK
	/* Fuzzing: the most counted is never less than the dry run counts. */
	if (most <= RULES_WORK_MAX) {
		if (w > most)
			abort();
		return most;
	}
#endif
	return w;
}
