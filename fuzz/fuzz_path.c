/* fuzz_path.c - path_normalize on arbitrary bytes, as given and behind a
 * '/', with output buffers of exactly the size asked for; the result is
 * compared with a plain segment-stack model of RFC 3986 section 5.2.4 and
 * checked to be a fixed point and to survive path_encode. */
#include "fuzz_check.h"

#include "path.h"

#define PATH_OUT (4096 - 16) /* what serve.c passes: sizeof s->path - 16 */

FUZZ_NOCOV
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

/* The model: decode, split on '/', drop "" and ".", pop on "..". Writes
 * the joined segments ("." for none) into out (raw.len + 2 bytes). */
FUZZ_NOCOV
static long model(const char *raw, size_t len, size_t outsz, char *out, unsigned *flags)
{
	char *dec = fuzz_dup(raw, len);
	size_t n = 0, *starts, *lens, nseg = 0, w = 0;
	long rc = 0;

	*flags = 0;
	if (len == 0 || raw[0] != '/') {
		free(dec);
		return PATH_BAD;
	}
	if (len >= outsz) {
		free(dec);
		return PATH_TOO_LONG;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)raw[i];
		if (c == '%') {
			if (i + 2 >= len || hexval((unsigned char)raw[i + 1]) < 0 ||
			    hexval((unsigned char)raw[i + 2]) < 0) {
				free(dec);
				return PATH_BAD;
			}
			c = (unsigned char)(hexval((unsigned char)raw[i + 1]) * 16 +
					    hexval((unsigned char)raw[i + 2]));
			i += 2;
		}
		if (c == 0) {
			free(dec);
			return PATH_BAD;
		}
		dec[n++] = (char)c;
	}
	if (dec[n - 1] == '/')
		*flags |= PATH_TRAILING_SLASH;
	starts = malloc((n + 1) * sizeof *starts);
	lens = malloc((n + 1) * sizeof *lens);
	for (size_t i = 0; i <= n;) {
		size_t s = i;
		while (i < n && dec[i] != '/')
			i++;
		size_t l = i - s;
		i++;
		if (l == 0 || (l == 1 && dec[s] == '.'))
			continue;
		if (l == 2 && dec[s] == '.' && dec[s + 1] == '.') {
			if (nseg == 0) {
				rc = PATH_BAD;
				goto out;
			}
			nseg--;
			continue;
		}
		starts[nseg] = s;
		lens[nseg++] = l;
	}
	for (size_t k = 0; k < nseg; k++) {
		if (k)
			out[w++] = '/';
		memcpy(out + w, dec + starts[k], lens[k]);
		w += lens[k];
		if (dec[starts[k]] == '.' &&
		    !(lens[k] == 11 && memcmp(dec + starts[k], ".well-known", 11) == 0))
			*flags |= PATH_DOTFILE;
	}
	if (w == 0)
		out[w++] = '.';
	out[w] = '\0';
	rc = (long)w;
out:
	free(lens);
	free(starts);
	free(dec);
	return rc;
}

/* path_normalize of raw into an exact heap buffer of outsz bytes. */
FUZZ_NOCOV
static long normalize(const char *raw, size_t len, size_t outsz, char **out, unsigned *flags)
{
	char *r = fuzz_dup(raw, len);
	*out = malloc(outsz);
	long n = path_normalize(slice_make(r, len), *out, outsz, flags);
	free(r);
	return n;
}

FUZZ_NOCOV
static void check_result(const char *out, long n, size_t outsz)
{
	FUZZ_CHECK(n > 0 && (size_t)n < outsz);
	FUZZ_CHECK(out[n] == '\0');
	FUZZ_CHECK(memchr(out, '\0', (size_t)n) == NULL);
	if (n == 1 && out[0] == '.')
		return; /* the root */
	FUZZ_CHECK(out[0] != '/' && out[n - 1] != '/');
	for (long s = 0; s < n;) {
		long e = s;
		while (e < n && out[e] != '/')
			e++;
		FUZZ_CHECK(e > s); /* no empty segment */
		FUZZ_CHECK(!(e - s == 1 && out[s] == '.'));
		FUZZ_CHECK(!(e - s == 2 && out[s] == '.' && out[s + 1] == '.'));
		s = e + 1;
	}
}

/* One raw path, with outsz bytes of output. */
FUZZ_NOCOV
static void check_path(const char *raw, size_t len, size_t outsz)
{
	char *out, *mout = malloc(len + 2);
	unsigned flags, mflags;
	long n = normalize(raw, len, outsz, &out, &flags);
	long m = model(raw, len, outsz, mout, &mflags);

	FUZZ_CHECK(n == m);
	if (n < 0) {
		FUZZ_CHECK(n == PATH_BAD || n == PATH_TOO_LONG);
		goto done;
	}
	FUZZ_CHECK(memcmp(out, mout, (size_t)n + 1) == 0);
	FUZZ_CHECK(flags == mflags);
	check_result(out, n, outsz);

	/* A fixed point: "/" + out normalises to out again ('%' would be
	 * decoded a second time, so only without one). */
	if (!memchr(out, '%', (size_t)n)) {
		char *again, *slash = malloc((size_t)n + 1);
		unsigned f2;
		slash[0] = '/';
		memcpy(slash + 1, out, (size_t)n);
		long n2 = normalize(slash, (size_t)n + 1, (size_t)n + 2, &again, &f2);
		FUZZ_CHECK(n2 == n && memcmp(again, out, (size_t)n + 1) == 0);
		FUZZ_CHECK((f2 & PATH_DOTFILE) == (flags & PATH_DOTFILE));
		free(again);
		free(slash);
	}

	/* path_encode gives a URL path that decodes back to out. */
	size_t encsz = 3 * (size_t)n + 2;
	char *enc = malloc(encsz), *back;
	unsigned f3;
	long e = path_encode(out, (size_t)n, enc, encsz);
	FUZZ_CHECK(e >= 1 && (size_t)e < encsz && enc[0] == '/');
	for (long i = 0; i < e; i++) {
		unsigned char c = (unsigned char)enc[i];
		FUZZ_CHECK(c > 0x20 && c < 0x7f && c != '?' && c != '#' && c != '"' && c != '\\');
		if (c == '%')
			FUZZ_CHECK(i + 2 < e && hexval((unsigned char)enc[i + 1]) >= 0 &&
				   hexval((unsigned char)enc[i + 2]) >= 0);
	}
	long n3 = normalize(enc, (size_t)e, (size_t)e + 1, &back, &f3);
	FUZZ_CHECK(n3 == n && memcmp(back, out, (size_t)n + 1) == 0);
	FUZZ_CHECK((f3 & PATH_DOTFILE) == (flags & PATH_DOTFILE));
	free(back);
	/* Too small a buffer: -1, and nothing written past it. */
	char *small = malloc((size_t)e);
	long es = path_encode(out, (size_t)n, small, (size_t)e);
	FUZZ_CHECK(es == -1 || (es >= 1 && es < e));
	free(small);
	free(enc);
done:
	free(out);
	free(mout);
}

FUZZ_NOCOV
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	char *slashed;

	/* As given (most of it is not a path), with serve.c's buffer size. */
	check_path(in, size, PATH_OUT);
	if (size && in[0] == '/') {
		/* The smallest buffer that fits, and one byte less. */
		check_path(in, size, size + 1);
		check_path(in, size, size);
		return 0;
	}
	slashed = malloc(size + 1);
	slashed[0] = '/';
	memcpy(slashed + 1, in, size);
	check_path(slashed, size + 1, size + 2);
	check_path(slashed, size + 1, size + 1);
	check_path(slashed, size + 1, PATH_OUT);
	free(slashed);
	return 0;
}
