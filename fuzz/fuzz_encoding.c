/* fuzz_encoding.c - http_encoding_order over arbitrary Accept-Encoding
 * fields. The input is split at '\n' into up to NHDR header fields; a
 * line "Name:value" gives its own field name (so other fields and other
 * spellings of Accept-Encoding are in the mix), any other line is an
 * Accept-Encoding value. Each name and value is a heap copy of exactly
 * its bytes, so ASan sees any read past either.
 *
 * Checked: at most 3 codings, each br, zstd or gzip, none twice; nothing
 * without an Accept-Encoding field; and the answer equals a model written
 * from RFC 9110 sections 12.4.2 and 12.5.3 (weights, "*", ties broken br,
 * zstd, gzip). */
#include "fuzz_check.h"

#include "http_encoding.h"
#include "http_parse.h"

#define NHDR 8

FUZZ_NOCOV
static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

FUZZ_NOCOV
static bool eq_ci(const char *p, size_t n, const char *lit)
{
	if (strlen(lit) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(p[i]) != lit[i])
			return false;
	return true;
}

FUZZ_NOCOV
static void trim(const char **p, size_t *n)
{
	while (*n && (**p == ' ' || **p == '\t')) {
		(*p)++;
		(*n)--;
	}
	while (*n && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t'))
		(*n)--;
}

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in
 * thousandths, or -1. */
FUZZ_NOCOV
static int model_q(const char *p, size_t n)
{
	if (n == 0 || n > 5 || (p[0] != '0' && p[0] != '1') || (n > 1 && p[1] != '.'))
		return -1;
	int q = p[0] == '1' ? 1000 : 0;
	int place[3] = { 100, 10, 1 };
	for (size_t i = 2; i < n; i++) {
		if (p[i] < '0' || p[i] > '9' || (p[0] == '1' && p[i] != '0'))
			return -1;
		q += (p[i] - '0') * place[i - 2];
	}
	return q;
}

/* The weight of one list element "coding [; q=x]": an element with a
 * parameter that is not a valid q counts as q=0. Sets the coding. */
FUZZ_NOCOV
static int model_weight(const char *p, size_t n, const char **coding, size_t *clen)
{
	const char *semi = memchr(p, ';', n);
	*coding = p;
	*clen = semi ? (size_t)(semi - p) : n;
	trim(coding, clen);
	if (!semi)
		return 1000;
	const char *par = semi + 1;
	size_t plen = n - (size_t)(par - p);
	trim(&par, &plen);
	if (plen < 2 || lower(par[0]) != 'q' || par[1] != '=')
		return 0;
	int q = model_q(par + 2, plen - 2);
	return q < 0 ? 0 : q;
}

struct model {
	int q[ENC_COUNT]; /* -1: not named */
	int star;
	bool present;
};

FUZZ_NOCOV
static void model_field(struct model *m, const char *v, size_t len)
{
	static const char *const names[ENC_COUNT] = { "identity", "br", "zstd", "gzip" };
	size_t start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && v[i] != ',')
			continue;
		const char *item = v + start, *coding;
		size_t n = i - start, clen;
		start = i + 1;
		trim(&item, &n);
		if (n == 0)
			continue;
		int w = model_weight(item, n, &coding, &clen);
		if (clen == 1 && coding[0] == '*') {
			m->star = w; /* the last "*" counts */
			continue;
		}
		for (int e = 0; e < ENC_COUNT; e++)
			if (eq_ci(coding, clen, names[e]) ||
			    (e == ENC_GZIP && eq_ci(coding, clen, "x-gzip")))
				m->q[e] = w > m->q[e] ? w : m->q[e];
	}
}

/* What http_encoding_order should answer for the model's weights. */
FUZZ_NOCOV
static int model_order(const struct model *m, enum http_encoding want[3], bool *identity_ok)
{
	int n = 0;
	*identity_ok =
	    !m->present || !(m->q[ENC_IDENTITY] == 0 || (m->q[ENC_IDENTITY] < 0 && m->star == 0));
	if (!m->present)
		return 0;
	/* From weight 1000 down, and in br, zstd, gzip order within one. */
	for (int w = 1000; w > 0; w--)
		for (int e = ENC_BR; e < ENC_COUNT; e++)
			if ((m->q[e] >= 0 ? m->q[e] : m->star) == w)
				want[n++] = (enum http_encoding)e;
	return n;
}

FUZZ_NOCOV
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_header *hdrs = calloc(NHDR, sizeof *hdrs);
	char *copies[2 * NHDR] = { NULL };
	struct http_head h = { .headers = hdrs, .max_headers = NHDR, .minor = 1 };
	struct model m = { .q = { -1, -1, -1, -1 }, .star = -1 };
	const char *p = (const char *)data, *end = p + size;

	h.method = SLICE_LIT("GET");
	h.target = SLICE_LIT("/");
	while (p <= end && h.nheaders < NHDR) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = nl ? nl : end;
		const char *colon = memchr(p, ':', (size_t)(line_end - p));
		const char *name = "Accept-Encoding", *v = p;
		size_t nlen = 15;
		if (colon) {
			name = p;
			nlen = (size_t)(colon - p);
			v = colon + 1;
		}
		size_t vlen = (size_t)(line_end - v);
		char *nc = fuzz_dup(name, nlen), *vc = fuzz_dup(v, vlen);
		copies[2 * h.nheaders] = nc;
		copies[2 * h.nheaders + 1] = vc;
		hdrs[h.nheaders].name = slice_make(nc, nlen);
		hdrs[h.nheaders].value = slice_make(vc, vlen);
		h.nheaders++;
		if (eq_ci(name, nlen, "accept-encoding")) {
			m.present = true;
			model_field(&m, v, vlen);
		}
		if (!nl)
			break;
		p = nl + 1;
	}

	enum http_encoding order[3] = { 99, 99, 99 }, want[3];
	bool identity_ok = false, want_identity;
	int n = http_encoding_order(&h, order, &identity_ok);

	FUZZ_CHECK(n >= 0 && n <= 3);
	for (int i = 0; i < n; i++) {
		FUZZ_CHECK(order[i] == ENC_BR || order[i] == ENC_ZSTD || order[i] == ENC_GZIP);
		for (int j = 0; j < i; j++)
			FUZZ_CHECK(order[i] != order[j]);
	}
	for (int i = n; i < 3; i++)
		FUZZ_CHECK(order[i] == 99); /* nothing written past the count */
	if (!m.present)
		FUZZ_CHECK(n == 0 && identity_ok);

	int wn = model_order(&m, want, &want_identity);
	FUZZ_CHECK(n == wn && memcmp(order, want, (size_t)n * sizeof *order) == 0);
	FUZZ_CHECK(identity_ok == want_identity);

	/* Deterministic, and the names and suffixes of what it chose exist. */
	enum http_encoding again[3];
	bool identity_again = !identity_ok;
	FUZZ_CHECK(http_encoding_order(&h, again, &identity_again) == n);
	FUZZ_CHECK(memcmp(again, order, (size_t)n * sizeof *order) == 0 &&
		   identity_again == identity_ok);
	for (int i = 0; i < n; i++)
		FUZZ_CHECK(http_encoding_name(order[i])[0] &&
			   http_encoding_suffix(order[i])[0] == '.');

	for (size_t i = 0; i < 2 * NHDR; i++)
		free(copies[i]);
	free(hdrs);
	return 0;
}
