/* listing.c - the page a directory without an index shows with --list.
 * Names come from the file system and may hold anything but '/' and NUL:
 * in HTML they are escaped, in links percent-encoded, in JSON escaped, so
 * a file named "<script>" is just a name. */
#include "listing.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_date.h"
#include "page_style.h"

struct buf {
	char *p;
	size_t len, cap;
	bool failed;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->failed = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void putf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct buf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n > 0)
		put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF), or 0 if the byte starts none. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		unsigned char lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		unsigned char lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80 ? 4 : 0;
	}
	return 0;
}

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD for a byte that is not UTF-8 */

static void put_html(struct buf *b, const char *s)
{
	for (; *s; s++) {
		size_t n = utf8_len((const unsigned char *)s);
		if (n == 0) {
			puts_(b, REPLACEMENT);
			continue;
		}
		if (n > 1) {
			put(b, s, n);
			s += n - 1;
			continue;
		}
		switch (*s) {
		case '<': puts_(b, "&lt;"); break;
		case '>': puts_(b, "&gt;"); break;
		case '&': puts_(b, "&amp;"); break;
		case '"': puts_(b, "&quot;"); break;
		case '\'': puts_(b, "&#39;"); break;
		default: put(b, s, 1);
		}
	}
}

/* Percent-encodes everything but unreserved characters, so the link is a
 * relative path segment whatever the name holds (':' included, which
 * would otherwise read as a scheme). */
static void put_url(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			put(b, s, 1);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			put(b, e, 3);
		}
	}
}

static void put_json_string(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	put(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			put(b, e, 2);
		} else if (c < 0x20 || c == 0x7f) {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			put(b, e, 6);
		} else {
			/* JSON is UTF-8 (RFC 8259): a byte that is not becomes U+FFFD. */
			size_t n = utf8_len((const unsigned char *)s);
			if (n == 0) {
				puts_(b, REPLACEMENT);
			} else {
				put(b, s, n);
				s += n - 1;
			}
		}
	}
	put(b, "\"", 1);
}

static void human_size(uint64_t n, char *out, size_t cap)
{
	static const char *units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)n;
	int u = 0;
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, cap, "%llu B", (unsigned long long)n);
	else
		snprintf(out, cap, v < 10 ? "%.1f %s" : "%.0f %s", v, units[u]);
}

static void iso_time(time_t t, char *out, size_t cap)
{
	struct tm tm;
	http_date_gmtime(t, &tm);
	/* %Y would not pad years before 1000 to four digits. */
	snprintf(out, cap, "%04u-%02u-%02u %02u:%02u", (unsigned)(tm.tm_year + 1900) % 10000u,
		 (unsigned)tm.tm_mon % 12u + 1, (unsigned)tm.tm_mday % 32u, (unsigned)tm.tm_hour % 24u,
		 (unsigned)tm.tm_min % 60u);
}

static int cmp_name(const struct listing_entry *x, const struct listing_entry *y)
{
	int c = strverscmp(x->name, y->name);
	return c ? c : strcmp(x->name, y->name);
}

static int cmp_entry(const void *a, const void *b)
{
	const struct listing_entry *x = a, *y = b;
	if (x->is_dir != y->is_dir)
		return x->is_dir ? -1 : 1;
	return cmp_name(x, y);
}

static int cmp_size(const void *a, const void *b)
{
	const struct listing_entry *x = a, *y = b;
	if (x->is_dir != y->is_dir)
		return x->is_dir ? -1 : 1;
	if (!x->is_dir && x->size != y->size)
		return x->size < y->size ? -1 : 1;
	return cmp_name(x, y);
}

static int cmp_time(const void *a, const void *b)
{
	const struct listing_entry *x = a, *y = b;
	if (x->is_dir != y->is_dir)
		return x->is_dir ? -1 : 1;
	if (x->mtime != y->mtime)
		return x->mtime < y->mtime ? -1 : 1;
	return cmp_name(x, y);
}

void listing_sort(struct listing *l)
{
	listing_sort_by(l, LISTING_BY_NAME, false);
}

void listing_sort_by(struct listing *l, enum listing_order by, bool desc)
{
	if (l->n < 2)
		return;
	qsort(l->v, l->n, sizeof *l->v,
	      by == LISTING_BY_SIZE ? cmp_size : by == LISTING_BY_TIME ? cmp_time : cmp_entry);
	if (!desc)
		return;
	/* Reversed within each group: directories stay first. */
	size_t ndirs = 0;
	while (ndirs < l->n && l->v[ndirs].is_dir)
		ndirs++;
	size_t groups[2][2] = { { 0, ndirs }, { ndirs, l->n } };
	for (int g = 0; g < 2; g++) {
		for (size_t i = groups[g][0], j = groups[g][1]; i + 1 < j; i++, j--) {
			struct listing_entry t = l->v[i];
			l->v[i] = l->v[j - 1];
			l->v[j - 1] = t;
		}
	}
}

static bool query_value(const char *q, size_t len, const char *name, const char **v, size_t *vl)
{
	size_t nl = strlen(name);
	for (size_t i = 0; i < len;) {
		size_t end = i;
		while (end < len && q[end] != '&' && q[end] != ';')
			end++;
		if (end - i > nl && memcmp(q + i, name, nl) == 0 && q[i + nl] == '=') {
			*v = q + i + nl + 1;
			*vl = end - i - nl - 1;
			return true;
		}
		i = end + 1;
	}
	return false;
}

void listing_order_parse(const char *query, size_t len, enum listing_order *by, bool *desc)
{
	const char *v;
	size_t vl;
	*by = LISTING_BY_NAME;
	*desc = false;
	if (query_value(query, len, "sort", &v, &vl)) {
		if (vl == 4 && memcmp(v, "size", 4) == 0)
			*by = LISTING_BY_SIZE;
		else if ((vl == 4 && memcmp(v, "time", 4) == 0) ||
			 (vl == 8 && memcmp(v, "modified", 8) == 0))
			*by = LISTING_BY_TIME;
	}
	if (query_value(query, len, "order", &v, &vl) && vl == 4 && memcmp(v, "desc", 4) == 0)
		*desc = true;
}

int listing_add(struct listing *l, const char *name, bool is_dir, uint64_t size, time_t mtime)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct listing_entry *v = realloc(l->v, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	char *copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	l->v[l->n++] = (struct listing_entry){ copy, is_dir, size, mtime };
	return 0;
}

void listing_free(struct listing *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].name);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* The heading as breadcrumbs: each ancestor of the decoded path dir
 * ("/a b/c/") is a link ("/", "/a%20b/", "/a%20b/c/"). */
static void put_crumbs(struct buf *b, const char *dir)
{
	puts_(b, "<a href=\"/\">/</a>");
	struct buf href = { 0 };
	puts_(&href, "/");
	const char *p = dir + (dir[0] == '/');
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		char *seg = strndup(p, n);
		if (!seg) {
			b->failed = true;
			break;
		}
		put_url(&href, seg);
		puts_(&href, "/");
		puts_(b, "<a href=\"");
		puts_(b, href.failed ? "/" : href.p);
		puts_(b, "\">");
		put_html(b, seg);
		puts_(b, "</a>/");
		free(seg);
		p += n + (slash != NULL);
	}
	free(href.p);
}

/* One column heading: a link to this column's order (ascending first,
 * or the other direction when it is the current one), with an arrow on
 * the current one. */
static void put_heading(struct buf *b, const char *cls, const char *label, const char *key,
			bool current, bool desc)
{
	putf(b, "<th class=\"%s\"%s><a href=\"?sort=%s&amp;order=%s\">%s</a>%s</th>", cls,
	     current ? (desc ? " aria-sort=\"descending\"" : " aria-sort=\"ascending\"") : "", key,
	     current && !desc ? "desc" : "asc", label,
	     current ? (desc ? " \xe2\x86\x93" : " \xe2\x86\x91") : "");
}

/* "02-Dec-2026 12:34 SIZE" in a hidden span after each link: the layout of
 * Apache's listings, which lftp, wget and other mirroring tools read, with
 * the exact byte count ("-" for a directory). */
static void put_machine_line(struct buf *b, const struct listing_entry *e)
{
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	http_date_gmtime(e->mtime, &tm);
	putf(b, "<span hidden> %02u-%s-%04u %02u:%02u ", (unsigned)tm.tm_mday % 32u,
	     months[(unsigned)tm.tm_mon % 12u], (unsigned)(tm.tm_year + 1900) % 10000u,
	     (unsigned)tm.tm_hour % 24u, (unsigned)tm.tm_min % 60u);
	if (e->is_dir)
		puts_(b, "- </span>");
	else
		putf(b, "%llu </span>", (unsigned long long)e->size);
}

char *listing_html_sorted(const struct listing *l, const char *dir, enum listing_order by,
			  bool desc, size_t *len)
{
	struct buf b = { 0 };
	puts_(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		  "<meta name=\"color-scheme\" content=\"light dark\">\n"
		  "<title>Index of ");
	put_html(&b, dir);
	puts_(&b, "</title>\n<style>\n" PAGE_STYLE
		  "table{width:100%;border-collapse:collapse;table-layout:fixed}\n"
		  "th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid var(--line);"
		  "overflow-wrap:anywhere}\n"
		  "th{font-weight:600;white-space:nowrap}th a{color:var(--fg)}\n"
		  "th.size{width:7rem}th.time{width:11rem}\n"
		  "td.size,th.size{text-align:right;white-space:nowrap}\n"
		  "td.time{white-space:nowrap;color:var(--mute);font-variant-numeric:tabular-nums}\n"
		  "td.size{font-variant-numeric:tabular-nums}\n"
		  "tbody tr:hover td{background:var(--row)}\n"
		  "@media (max-width:600px){td.time,th.time{display:none}th.size{width:5.5rem}}\n"
		  "</style>\n</head>\n<body>\n<main>\n<h1>Index of ");
	put_crumbs(&b, dir);
	puts_(&b, "</h1>\n<table>\n<thead><tr>");
	put_heading(&b, "name", "Name", "name", by == LISTING_BY_NAME, desc);
	put_heading(&b, "size", "Size", "size", by == LISTING_BY_SIZE, desc);
	put_heading(&b, "time", "Modified (UTC)", "time", by == LISTING_BY_TIME, desc);
	puts_(&b, "</tr></thead>\n<tbody>\n");
	if (strcmp(dir, "/") != 0)
		puts_(&b, "<tr><td><a href=\"../\">../</a></td><td class=\"size\">-</td>"
			  "<td class=\"time\"></td></tr>\n");
	for (size_t i = 0; i < l->n; i++) {
		const struct listing_entry *e = &l->v[i];
		char size[32], when[32], iso[32];
		iso_time(e->mtime, when, sizeof when);
		struct tm tm;
		http_date_gmtime(e->mtime, &tm);
		snprintf(iso, sizeof iso, "%04u-%02u-%02uT%02u:%02u:%02uZ",
			 (unsigned)(tm.tm_year + 1900) % 10000u, (unsigned)tm.tm_mon % 12u + 1,
			 (unsigned)tm.tm_mday % 32u, (unsigned)tm.tm_hour % 24u, (unsigned)tm.tm_min % 60u,
			 (unsigned)tm.tm_sec % 61u);
		if (e->is_dir)
			snprintf(size, sizeof size, "-");
		else
			human_size(e->size, size, sizeof size);
		puts_(&b, "<tr><td><a href=\"./");
		put_url(&b, e->name);
		if (e->is_dir)
			puts_(&b, "/");
		puts_(&b, "\">");
		put_html(&b, e->name);
		if (e->is_dir)
			puts_(&b, "/");
		puts_(&b, "</a>");
		put_machine_line(&b, e);
		if (e->is_dir)
			puts_(&b, "</td><td class=\"size\">-</td>");
		else
			putf(&b, "</td><td class=\"size\" data-bytes=\"%llu\" title=\"%llu bytes\">%s</td>",
			     (unsigned long long)e->size, (unsigned long long)e->size, size);
		putf(&b, "<td class=\"time\"><time datetime=\"%s\" title=\"%s\">%s</time></td></tr>\n",
		     iso, iso, when);
	}
	puts_(&b, "</tbody>\n</table>\n</main>\n</body>\n</html>\n");
	if (b.failed) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

char *listing_html(const struct listing *l, const char *dir, size_t *len)
{
	return listing_html_sorted(l, dir, LISTING_BY_NAME, false, len);
}

char *listing_json(const struct listing *l, size_t *len)
{
	struct buf b = { 0 };
	puts_(&b, "[");
	for (size_t i = 0; i < l->n; i++) {
		const struct listing_entry *e = &l->v[i];
		struct tm tm;
		char when[32];
		http_date_gmtime(e->mtime, &tm);
		snprintf(when, sizeof when, "%04u-%02u-%02uT%02u:%02u:%02uZ",
			 (unsigned)(tm.tm_year + 1900) % 10000u, (unsigned)tm.tm_mon % 12u + 1,
			 (unsigned)tm.tm_mday % 32u, (unsigned)tm.tm_hour % 24u, (unsigned)tm.tm_min % 60u,
			 (unsigned)tm.tm_sec % 61u);
		puts_(&b, i ? ",\n{\"name\":" : "\n{\"name\":");
		put_json_string(&b, e->name);
		putf(&b, ",\"type\":\"%s\",\"size\":%llu,\"mtime\":\"%s\"}",
		     e->is_dir ? "directory" : "file", (unsigned long long)(e->is_dir ? 0 : e->size),
		     when);
	}
	puts_(&b, l->n ? "\n]\n" : "]\n");
	if (b.failed) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}
