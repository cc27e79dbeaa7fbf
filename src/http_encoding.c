/* http_encoding.c - Accept-Encoding = #( codings [ weight ] ), weight =
 * OWS ";" OWS "q=" qvalue (RFC 9110 sections 12.4.2 and 12.5.3). An
 * invalid qvalue makes its element count as q=0, never as a preference. */
#include "http_encoding.h"

static const char *const names[ENC_COUNT] = { "identity", "br", "zstd", "gzip" };
static const char *const suffixes[ENC_COUNT] = { "", ".br", ".zst", ".gz" };

const char *http_encoding_name(enum http_encoding e)
{
	return names[e];
}

const char *http_encoding_suffix(enum http_encoding e)
{
	return suffixes[e];
}

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in
 * thousandths; -1 if malformed. */
static int parse_q(struct slice v)
{
	if (v.len == 0 || v.len > 5 || (v.ptr[0] != '0' && v.ptr[0] != '1'))
		return -1;
	int q = (v.ptr[0] - '0') * 1000;
	if (v.len == 1)
		return q;
	if (v.ptr[1] != '.')
		return -1;
	int scale = 100;
	for (size_t i = 2; i < v.len; i++, scale /= 10) {
		if (v.ptr[i] < '0' || v.ptr[i] > '9')
			return -1;
		q += (v.ptr[i] - '0') * scale;
	}
	return q > 1000 ? -1 : q;
}

int http_encoding_order(const struct http_head *h, enum http_encoding order[3], bool *identity_ok)
{
	int q[ENC_COUNT] = { -1, -1, -1, -1 }; /* -1: not named */
	int star = -1;
	bool present = false;

	for (size_t i = 0; i < h->nheaders; i++) {
		if (!slice_eq_ci(h->headers[i].name, "accept-encoding"))
			continue;
		present = true;
		struct slice rest = h->headers[i].value, item;
		while (slice_next_item(&rest, &item)) {
			const char *semi = memchr(item.ptr, ';', item.len);
			struct slice coding = slice_trim(slice_make(item.ptr, semi ? (size_t)(semi - item.ptr) : item.len));
			int weight = 1000;
			if (semi) {
				struct slice p = slice_trim(slice_make(semi + 1, item.len - (size_t)(semi + 1 - item.ptr)));
				if (p.len >= 2 && (p.ptr[0] == 'q' || p.ptr[0] == 'Q') && p.ptr[1] == '=')
					weight = parse_q(slice_make(p.ptr + 2, p.len - 2));
				else
					weight = -1;
				if (weight < 0)
					weight = 0;
			}
			if (slice_eq_ci(coding, "*")) {
				star = weight;
				continue;
			}
			for (int e = 0; e < ENC_COUNT; e++) {
				if (slice_eq_ci(coding, names[e]) ||
				    (e == ENC_GZIP && slice_eq_ci(coding, "x-gzip")))
					q[e] = weight > q[e] ? weight : q[e];
			}
		}
	}
	*identity_ok = true;
	if (!present)
		return 0;
	if (q[ENC_IDENTITY] == 0 || (q[ENC_IDENTITY] < 0 && star == 0))
		*identity_ok = false;
	int n = 0;
	int w[ENC_COUNT];
	for (int e = ENC_BR; e < ENC_COUNT; e++)
		w[e] = q[e] >= 0 ? q[e] : star;
	/* Selection by weight; the loop order (br, zstd, gzip) breaks ties. */
	for (;;) {
		int best = -1;
		for (int e = ENC_BR; e < ENC_COUNT; e++)
			if (w[e] > 0 && (best < 0 || w[e] > w[best]))
				best = e;
		if (best < 0)
			break;
		order[n++] = (enum http_encoding)best;
		w[best] = -1;
	}
	return n;
}
