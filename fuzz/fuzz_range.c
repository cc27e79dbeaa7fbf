/* fuzz_range.c - http_range_parse: the first 8 bytes (little-endian) are
 * the representation's size, the rest is the Range field value. Each
 * value is tried against that size and against its low 16 bits, so small
 * files, where ranges run off the end, are covered as well as huge ones. */
#include "fuzz_check.h"

#include "http_cond.h"

FUZZ_NOCOV
static bool starts_bytes(const char *p, size_t n)
{
	static const char b[] = "bytes=";
	if (n < 6)
		return false;
	for (size_t i = 0; i < 6; i++)
		if (p[i] != b[i] && !(b[i] >= 'a' && p[i] == b[i] - 32))
			return false;
	return true;
}

/* Saturating decimal, as a byte position far past any file. */
FUZZ_NOCOV
static bool digits(const char *p, size_t n, uint64_t *v)
{
	*v = 0;
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		unsigned d = (unsigned)(p[i] - '0');
		*v = *v > (UINT64_MAX - d) / 10 ? UINT64_MAX : *v * 10 + d;
	}
	return true;
}

/* The model, RFC 9110 section 14.1 read plainly: "bytes=" then a list of
 * int-range / suffix-range, OWS around elements, empty elements skipped.
 * Returns the number of specs (-1 if the value is not a valid range set)
 * and the satisfiable ranges, as the client listed them, in want. */
FUZZ_NOCOV
static long model(const char *v, size_t len, uint64_t size, struct byte_range *want,
		  size_t *nwant)
{
	const char *p = v + 6, *end = v + len;
	long specs = 0;
	bool last = false;

	*nwant = 0;
	if (!starts_bytes(v, len))
		return -1;
	while (!last) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *e = comma ? comma : end, *s = p;
		last = !comma;
		p = comma ? comma + 1 : end;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (s == e)
			continue;
		const char *dash = memchr(s, '-', (size_t)(e - s));
		uint64_t a, b;
		if (!dash)
			return -1;
		if (++specs > HTTP_RANGES_MAX)
			return -1;
		if (dash == s) {
			if (!digits(s + 1, (size_t)(e - s - 1), &b))
				return -1;
			if (b > 0 && size > 0) {
				want[*nwant].first = b >= size ? 0 : size - b;
				want[(*nwant)++].last = size - 1;
			}
			continue;
		}
		if (!digits(s, (size_t)(dash - s), &a))
			return -1;
		if (dash + 1 == e) {
			b = UINT64_MAX;
		} else if (!digits(dash + 1, (size_t)(e - dash - 1), &b) || b < a) {
			return -1;
		}
		if (a < size) {
			want[*nwant].first = a;
			want[(*nwant)++].last = b >= size ? size - 1 : b;
		}
	}
	return specs;
}

FUZZ_NOCOV
static int cmp_first(const void *x, const void *y)
{
	const struct byte_range *a = x, *b = y;
	return a->first < b->first ? -1 : a->first > b->first;
}

/* Sorts and merges overlapping or adjacent ranges; returns the count. */
FUZZ_NOCOV
static size_t merge(struct byte_range *r, size_t n)
{
	size_t w = 0;
	if (n == 0)
		return 0;
	qsort(r, n, sizeof *r, cmp_first);
	for (size_t i = 1; i < n; i++) {
		if (r[i].first <= r[w].last + 1) {
			if (r[i].last > r[w].last)
				r[w].last = r[i].last;
		} else {
			r[++w] = r[i];
		}
	}
	return w + 1;
}

FUZZ_NOCOV
static void check(const char *value, size_t len, uint64_t size)
{
	struct byte_range *rg = malloc(HTTP_RANGES_MAX * sizeof *rg);
	struct byte_range *rg2 = malloc(HTTP_RANGES_MAX * sizeof *rg2);
	char *v = fuzz_dup(value, len);
	size_t n = 99, n2 = 99;
	enum cond_status cs = http_range_parse(slice_make(v, len), size, rg, &n);

	FUZZ_CHECK(cs == COND_OK || cs == COND_PARTIAL || cs == COND_UNSATISFIABLE);
	if (cs == COND_PARTIAL)
		fuzz_check_ranges(rg, n, size);
	else
		FUZZ_CHECK(n == 0);
	if (cs != COND_OK)
		FUZZ_CHECK(starts_bytes(v, len));
	/* Nothing is satisfiable in an empty representation. */
	if (size == 0)
		FUZZ_CHECK(cs != COND_PARTIAL);

	/* Whatever the parser accepts, the model accepts too, and they agree
	 * on the bytes asked for. (Ignoring a Range the model takes is
	 * allowed: the parser may be stricter, never looser.) */
	if (cs != COND_OK) {
		struct byte_range want[HTTP_RANGES_MAX], got[HTTP_RANGES_MAX];
		size_t nwant;
		long specs = model(v, len, size, want, &nwant);
		FUZZ_CHECK(specs > 0);
		FUZZ_CHECK((cs == COND_UNSATISFIABLE) == (nwant == 0));
		if (cs == COND_PARTIAL) {
			bool touching = false;
			for (size_t i = 0; i < nwant && !touching; i++)
				for (size_t j = 0; j < i && !touching; j++)
					touching = want[j].last + 1 >= want[i].first &&
						   want[i].last + 1 >= want[j].first;
			if (!touching) {
				/* No merge needed: the client's order is kept. */
				FUZZ_CHECK(n == nwant && memcmp(rg, want, n * sizeof *rg) == 0);
			} else {
				size_t nm = merge(want, nwant);
				memcpy(got, rg, n * sizeof *rg);
				qsort(got, n, sizeof *got, cmp_first);
				FUZZ_CHECK(n == nm && memcmp(got, want, n * sizeof *rg) == 0);
			}
		}
	}

	/* Deterministic: the same value parses the same way again. */
	enum cond_status cs2 = http_range_parse(slice_make(v, len), size, rg2, &n2);
	FUZZ_CHECK(cs2 == cs && n2 == n && (n == 0 || memcmp(rg, rg2, n * sizeof *rg) == 0));

	free(v);
	free(rg2);
	free(rg);
}

FUZZ_NOCOV
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t fsize = 0;

	if (size < 8)
		return 0;
	for (int i = 7; i >= 0; i--)
		fsize = fsize << 8 | data[i];
	check((const char *)data + 8, size - 8, fsize);
	check((const char *)data + 8, size - 8, fsize & 0xffff);
	return 0;
}
