/* fuzz_multipart.c - multipart/byteranges assembly: the first 8 bytes
 * (little-endian, low 20 bits kept) are the representation's size, the
 * next 2 the room for part headers, the rest a Range value. The ranges
 * http_range_parse accepts are laid out by http_multipart_layout, and the
 * body is checked the way a client reads it: every part opens with the
 * delimiter, names its range in Content-Range, carries exactly those
 * bytes, and the body ends with the close delimiter and nothing else. */
#include "fuzz_check.h"

#include "http_multipart.h"

static char body[1 << 21];

FUZZ_NOCOV
static char file_byte(uint64_t i)
{
	return (char)('a' + i % 23);
}

FUZZ_NOCOV
static void check_body(const struct body_seg *segs, int k, uint64_t total, const struct byte_range *rg,
		       size_t n, uint64_t size, const char *boundary)
{
	size_t w = 0;
	for (int i = 0; i < k; i++) {
		FUZZ_CHECK(w + segs[i].len <= sizeof body);
		if (segs[i].mem) {
			memcpy(body + w, segs[i].mem, segs[i].len);
		} else {
			FUZZ_CHECK(segs[i].off + segs[i].len <= size);
			for (uint64_t j = 0; j < segs[i].len; j++)
				body[w + j] = file_byte(segs[i].off + j);
		}
		w += segs[i].len;
	}
	FUZZ_CHECK(w == total);
	char want[256];
	size_t p = 0;
	for (size_t i = 0; i < n; i++) {
		int m = snprintf(want, sizeof want,
				 "%s--%s\r\nContent-Type: text/plain\r\nContent-Range: bytes %llu-%llu/%llu\r\n\r\n",
				 i ? "\r\n" : "", boundary, (unsigned long long)rg[i].first,
				 (unsigned long long)rg[i].last, (unsigned long long)size);
		FUZZ_CHECK(m > 0 && p + (size_t)m <= w && memcmp(body + p, want, (size_t)m) == 0);
		p += (size_t)m;
		for (uint64_t j = rg[i].first; j <= rg[i].last; j++)
			FUZZ_CHECK(p < w && body[p++] == file_byte(j));
	}
	int m = snprintf(want, sizeof want, "\r\n--%s--\r\n", boundary);
	FUZZ_CHECK(p + (size_t)m == w && memcmp(body + p, want, (size_t)m) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	if (len < 10)
		return 0;
	uint64_t size = 0;
	for (int i = 7; i >= 0; i--)
		size = size << 8 | data[i];
	size &= (1u << 20) - 1;
	size_t cap = (size_t)data[8] | (size_t)data[9] << 8;
	struct byte_range rg[HTTP_RANGES_MAX];
	size_t n = 0;
	if (http_range_parse(slice_make((const char *)data + 10, len - 10), size, rg, &n) !=
	    COND_PARTIAL)
		return 0;
	char *extra = malloc(cap ? cap : 1);
	struct body_seg segs[2 * HTTP_RANGES_MAX + 1];
	uint64_t total = 0;
	uint64_t state = size * 2654435761u + cap;
	char boundary[HTTP_BOUNDARY_LEN + 1];
	http_multipart_boundary(&state, boundary);
	int k = http_multipart_layout(rg, n, size, "text/plain", boundary, extra, cap, segs,
				      sizeof segs / sizeof segs[0], &total);
	if (k >= 0) {
		FUZZ_CHECK((size_t)k == 2 * n + 1);
		check_body(segs, k, total, rg, n, size, boundary);
	}
	/* With room to spare it never fails. */
	char big[HTTP_RANGES_MAX * 160 + 64];
	k = http_multipart_layout(rg, n, size, "text/plain", boundary, big, sizeof big, segs,
				  sizeof segs / sizeof segs[0], &total);
	FUZZ_CHECK(k == (int)(2 * n + 1));
	check_body(segs, k, total, rg, n, size, boundary);
	free(extra);
	return 0;
}
