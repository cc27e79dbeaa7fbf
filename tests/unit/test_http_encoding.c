/* test_http_encoding.c - Accept-Encoding negotiation (RFC 9110 sections
 * 12.4.2 and 12.5.3): which codings, in which order, and whether the
 * uncoded form may be sent. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "http_encoding.h"
#include "unit.h"
#include "unit_head.h"


#define AE "Accept-Encoding: "
#define BR ENC_BR
#define ZS ENC_ZSTD
#define GZ ENC_GZIP
#define NONE ENC_IDENTITY /* unused slot */

struct enc_case {
	const char *headers;
	int n;
	enum http_encoding order[3];
	bool identity_ok;
};

static const struct enc_case cases[] = {
	/* no Accept-Encoding: nothing coded, identity fine */
	{ "", 0, { NONE }, true },
	{ "Accept: */*", 0, { NONE }, true },
	{ "Accept-Encodings: gzip", 0, { NONE }, true },
	{ "Accept-Encodin: gzip", 0, { NONE }, true },
	{ "TE: gzip", 0, { NONE }, true },
	/* one coding */
	{ AE "gzip", 1, { GZ }, true },
	{ AE "br", 1, { BR }, true },
	{ AE "zstd", 1, { ZS }, true },
	{ AE "x-gzip", 1, { GZ }, true },
	{ AE "deflate", 0, { NONE }, true },
	{ AE "compress, deflate", 0, { NONE }, true },
	{ AE "identity", 0, { NONE }, true },
	{ AE "gzipx", 0, { NONE }, true },
	{ AE "gz", 0, { NONE }, true },
	{ AE "x-br", 0, { NONE }, true },
	/* ties: br, then zstd, then gzip, whatever the field's order */
	{ AE "gzip, br", 2, { BR, GZ }, true },
	{ AE "gzip, deflate, br, zstd", 3, { BR, ZS, GZ }, true },
	{ AE "gzip, zstd", 2, { ZS, GZ }, true },
	{ AE "zstd,gzip,br", 3, { BR, ZS, GZ }, true },
	{ AE "gzip;q=0.5, br;q=0.5", 2, { BR, GZ }, true },
	/* weights */
	{ AE "br;q=0.5, gzip", 2, { GZ, BR }, true },
	{ AE "gzip;q=0.5, br;q=0.25, zstd;q=0.75", 3, { ZS, GZ, BR }, true },
	{ AE "gzip;q=1.0, br;q=0.999", 2, { GZ, BR }, true },
	{ AE "gzip;q=0.001", 1, { GZ }, true },
	{ AE "gzip;q=1", 1, { GZ }, true },
	{ AE "gzip;q=1.000", 1, { GZ }, true },
	{ AE "gzip;q=0.", 0, { NONE }, true }, /* "0." is 0 */
	{ AE "br;q=0.1, gzip;q=0.10", 2, { BR, GZ }, true },
	{ AE "br;q=0.1, gzip;q=0.100", 2, { BR, GZ }, true },
	{ AE "br;q=0.09, gzip;q=0.1", 2, { GZ, BR }, true },
	/* OWS around ';' and '=' less forms; Q is case-insensitive */
	{ AE "gzip ; q=0.5, br;q=0.4", 2, { GZ, BR }, true },
	{ AE "gzip;\tq=0.5 , br ;q=0.4", 2, { GZ, BR }, true },
	{ AE "gzip;Q=0.5, br;q=0.4", 2, { GZ, BR }, true },
	/* q=0 refuses */
	{ AE "gzip;q=0", 0, { NONE }, true },
	{ AE "gzip;q=0.0", 0, { NONE }, true },
	{ AE "gzip;q=0.000", 0, { NONE }, true },
	{ AE "gzip;q=0, br", 1, { BR }, true },
	/* invalid qvalues count as q=0, never as a preference */
	{ AE "gzip;q=2", 0, { NONE }, true },
	{ AE "gzip;q=abc", 0, { NONE }, true },
	{ AE "gzip;q=0.1234", 0, { NONE }, true },
	{ AE "gzip;q=1.001", 0, { NONE }, true },
	{ AE "gzip;q=1.5", 0, { NONE }, true },
	{ AE "gzip;q=1.0000", 0, { NONE }, true },
	{ AE "gzip;q=-1", 0, { NONE }, true },
	{ AE "gzip;q=.5", 0, { NONE }, true },
	{ AE "gzip;q=", 0, { NONE }, true },
	{ AE "gzip;q", 0, { NONE }, true },
	{ AE "gzip;", 0, { NONE }, true },
	{ AE "gzip;q=0.5x", 0, { NONE }, true },
	{ AE "gzip;q=0,5", 0, { NONE }, true }, /* "q=0" then an item "5" */
	{ AE "gzip;q=2, br;q=0.1", 1, { BR }, true },
	{ AE "gzip;q=abc, br", 1, { BR }, true },
	{ AE "identity;q=2", 0, { NONE }, false }, /* invalid: identity at q=0 */
	/* "*": every coding not named */
	{ AE "*", 3, { BR, ZS, GZ }, true },
	{ AE "*;q=0.5", 3, { BR, ZS, GZ }, true },
	{ AE "*;q=0.5, gzip", 3, { GZ, BR, ZS }, true },
	{ AE "br;q=0.5, *;q=0.8", 3, { ZS, GZ, BR }, true },
	{ AE "gzip;q=0, *", 2, { BR, ZS }, true },
	{ AE "*, gzip;q=0", 2, { BR, ZS }, true },
	{ AE "*;q=0", 0, { NONE }, false },            /* identity refused too */
	{ AE "*;q=0, gzip", 1, { GZ }, false },
	{ AE "gzip, *;q=0", 1, { GZ }, false },
	{ AE "*;q=0, identity", 0, { NONE }, true },   /* named identity wins */
	{ AE "*;q=0, identity;q=0.5", 0, { NONE }, true },
	{ AE "*;q=abc", 0, { NONE }, false },          /* invalid: q=0 */
	/* identity */
	{ AE "identity;q=0", 0, { NONE }, false },
	{ AE "identity;q=0.0", 0, { NONE }, false },
	{ AE "identity;q=0, gzip", 1, { GZ }, false },
	{ AE "gzip, identity;q=0", 1, { GZ }, false },
	{ AE "identity;q=0.5, gzip", 1, { GZ }, true },
	{ AE "identity, *;q=0", 0, { NONE }, true },
	{ AE "*, identity;q=0", 3, { BR, ZS, GZ }, false },
	/* x-gzip is gzip (RFC 9110 section 8.4.1.3); the better weight counts */
	{ AE "x-gzip;q=0.5, br;q=0.4", 2, { GZ, BR }, true },
	{ AE "x-gzip;q=0.5, gzip;q=0.2, br;q=0.4", 2, { GZ, BR }, true },
	{ AE "X-GZIP", 1, { GZ }, true },
	/* case-insensitive names and codings */
	{ "ACCEPT-ENCODING: GZIP, Br", 2, { BR, GZ }, true },
	{ "accept-encoding: ZsTd;Q=0.9, gzip;q=0.8", 2, { ZS, GZ }, true },
	{ AE "IDENTITY;Q=0", 0, { NONE }, false },
	/* several fields are one list (RFC 9110 section 5.3) */
	{ AE "gzip\n" AE "br", 2, { BR, GZ }, true },
	{ AE "gzip;q=0.5\n" AE "br;q=0.9\n" AE "zstd;q=0.7", 3, { BR, ZS, GZ }, true },
	{ AE "gzip\n" AE "identity;q=0", 1, { GZ }, false },
	{ AE "*;q=0\n" AE "gzip", 1, { GZ }, false },
	{ AE "gzip\nAccept: text/html\n" AE "br", 2, { BR, GZ }, true },
	{ AE "\n" AE "gzip", 1, { GZ }, true },
	/* empty values: no coding wanted, identity fine (RFC 9110 12.5.3) */
	{ AE "", 0, { NONE }, true },
	{ "Accept-Encoding:", 0, { NONE }, true },
	{ AE ",", 0, { NONE }, true },
	{ AE " , ,, ", 0, { NONE }, true },
	{ AE ", gzip,", 1, { GZ }, true },
	{ AE ";q=0.5", 0, { NONE }, true },
};

static void format_order(char *out, size_t cap, int n, const enum http_encoding *o)
{
	size_t w = 0;
	out[0] = '\0';
	for (int i = 0; i < n && i < 3 && w < cap; i++) {
		int k = snprintf(out + w, cap - w, "%s%s", i ? "," : "",
				 (o[i] >= ENC_BR && o[i] <= ENC_GZIP) ? http_encoding_name(o[i]) : "?");
		if (k < 0)
			break;
		w += (size_t)k;
	}
}

static void test_cases(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct enc_case *c = &cases[i];
		struct http_header hdrs[MAXH];
		struct http_head h;
		build_head(c->headers, &h, hdrs);

		enum http_encoding order[4] = { (enum http_encoding)99, (enum http_encoding)99,
						(enum http_encoding)99, (enum http_encoding)99 };
		bool identity_ok = !c->identity_ok; /* must be written either way */
		int n = http_encoding_order(&h, order, &identity_ok);

		char got[64], want[64];
		format_order(got, sizeof got, n, order);
		format_order(want, sizeof want, c->n, c->order);
		CHECK(n == c->n && strcmp(got, want) == 0, "'%s': %d [%s], want %d [%s]", c->headers,
		      n, got, c->n, want);
		CHECK(identity_ok == c->identity_ok, "'%s': identity_ok %d, want %d", c->headers,
		      identity_ok, c->identity_ok);
		/* nothing written past what is returned */
		for (int k = n < 0 ? 0 : n; k < 4; k++)
			CHECK(order[k] == (enum http_encoding)99, "'%s': order[%d] written (%d)",
			      c->headers, k, (int)order[k]);
	}
}

/* Every order is distinct codings, never identity. */
static void test_invariants(void)
{
	static const char *const values[] = {
		"gzip, gzip, gzip", "br, br;q=0.5, x-gzip, gzip", "*, *, *;q=0.1, br",
		"identity, identity;q=0.5, *", "gzip;q=0.5;q=1, br", "*;q=1, zstd;q=1, br;q=1",
	};
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
		struct http_header hdr = { SLICE_LIT("Accept-Encoding"),
					   slice_make(values[i], strlen(values[i])) };
		struct http_head h = { .method = SLICE_LIT("GET"), .target = SLICE_LIT("/"), .minor = 1,
				       .nheaders = 1, .max_headers = 1, .headers = &hdr };
		enum http_encoding order[3];
		bool ok;
		int n = http_encoding_order(&h, order, &ok);
		CHECK(n >= 0 && n <= 3, "'%s': %d codings", values[i], n);
		unsigned seen = 0;
		for (int k = 0; k < n && k < 3; k++) {
			CHECK(order[k] >= ENC_BR && order[k] <= ENC_GZIP, "'%s': order[%d] = %d",
			      values[i], k, (int)order[k]);
			CHECK(!(seen & (1u << order[k])), "'%s': %s twice", values[i],
			      http_encoding_name(order[k]));
			seen |= 1u << order[k];
		}
	}
}

static void test_names(void)
{
	static const struct {
		enum http_encoding e;
		const char *name, *suffix;
	} t[] = {
		{ ENC_IDENTITY, "identity", "" },
		{ ENC_BR, "br", ".br" },
		{ ENC_ZSTD, "zstd", ".zst" },
		{ ENC_GZIP, "gzip", ".gz" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		CHECK(strcmp(http_encoding_name(t[i].e), t[i].name) == 0, "name(%d) = '%s', want '%s'",
		      (int)t[i].e, http_encoding_name(t[i].e), t[i].name);
		CHECK(strcmp(http_encoding_suffix(t[i].e), t[i].suffix) == 0,
		      "suffix(%d) = '%s', want '%s'", (int)t[i].e, http_encoding_suffix(t[i].e),
		      t[i].suffix);
	}
}

int main(void)
{
	test_cases();
	test_invariants();
	test_names();
	return unit_done("http_encoding");
}
