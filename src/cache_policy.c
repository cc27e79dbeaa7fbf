/* cache_policy.c - Cache-Control that is right for modern sites without
 * configuration: a name that changes whenever the content does can be
 * cached forever (RFC 8246 immutable); HTML, whose name never changes, must
 * be revalidated each time (no-cache still lets the validators make that a
 * 304); everything else follows --max-age, and without it is revalidated
 * too, as Netlify and Vercel do. */
#include "cache_policy.h"

#include <stdio.h>
#include <string.h>

static bool is_hash_part(const char *p, size_t n)
{
	bool hex = true, digit = false, lower = false, upper = false;
	if (n < 8 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c >= '0' && c <= '9')
			digit = true;
		else if (c >= 'a' && c <= 'z')
			lower = true, hex = hex && c <= 'f';
		else if (c >= 'A' && c <= 'Z')
			upper = true, hex = hex && c <= 'F';
		else if (c != '_')
			return false;
		else
			hex = false;
	}
	/* Hex with digits and letters ("3f9a1c2b", not a date like
	 * "20240115"), or base64url with both cases and a digit ("Bx7kQ2aZ",
	 * not a word like "BoldItalic"). A hash missed is only cached less
	 * long; a name taken for a hash would be cached for a year. */
	return (hex && digit && (lower || upper)) || (lower && upper && digit);
}

bool cache_policy_hashed(struct slice name)
{
	size_t start = name.len;
	while (start > 0 && name.ptr[start - 1] != '/')
		start--;
	const char *base = name.ptr + start;
	size_t n = name.len - start;
	const char *ext = NULL;
	for (size_t i = n; i > 0; i--) {
		if (base[i - 1] == '.') {
			ext = base + i - 1;
			break;
		}
	}
	if (!ext || ext == base)
		return false;
	/* Parts between the stem and the extension, split at '.' and '-'. */
	const char *p = base;
	while (p < ext && *p != '.' && *p != '-')
		p++;
	while (p < ext) {
		const char *q = ++p;
		while (q < ext && *q != '.' && *q != '-')
			q++;
		if (is_hash_part(p, (size_t)(q - p)))
			return true;
		p = q;
	}
	return false;
}

size_t cache_policy_header(struct slice name, const char *type, long max_age, bool smart,
			   char *out, size_t cap)
{
	int n = 0;
	if (smart && cache_policy_hashed(name))
		n = snprintf(out, cap, "Cache-Control: public, max-age=31536000, immutable\r\n");
	else if (smart && strncmp(type, "text/html", 9) == 0)
		n = snprintf(out, cap, "Cache-Control: no-cache\r\n");
	else if (max_age >= 0)
		n = snprintf(out, cap, "Cache-Control: max-age=%ld\r\n", max_age);
	else if (smart)
		/* Without it browsers cache heuristically (a tenth of the
		 * file's age) and a returning visitor keeps an old site.css
		 * without asking; no-cache revalidates, a 304 at best. */
		n = snprintf(out, cap, "Cache-Control: no-cache\r\n");
	else if (cap)
		out[0] = '\0';
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}
