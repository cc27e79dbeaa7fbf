/* http_multipart.c - multipart/byteranges (RFC 9110 section 14.6, RFC 2046
 * section 5.1.1). Each response gets its own boundary, so a part can never
 * contain the delimiter by being a copy of an earlier response. */
#include "http_multipart.h"

#include <stdio.h>
#include <string.h>

int http_multipart_layout(const struct byte_range *rg, size_t n, uint64_t size, const char *type,
			  const char *boundary, char *extra, size_t cap, struct body_seg *segs,
			  size_t max_segs, uint64_t *total)
{
	size_t w = 0, k = 0;
	uint64_t sum = 0;

	if (n == 0 || 2 * n + 1 > max_segs)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (rg[i].first > rg[i].last || rg[i].last >= size)
			return -1;
		int m = snprintf(extra + w, cap - w,
				 "%s--%s\r\nContent-Type: %s\r\nContent-Range: bytes %llu-%llu/%llu\r\n\r\n",
				 i ? "\r\n" : "", boundary, type, (unsigned long long)rg[i].first,
				 (unsigned long long)rg[i].last, (unsigned long long)size);
		if (m < 0 || (size_t)m >= cap - w)
			return -1;
		uint64_t len = rg[i].last - rg[i].first + 1;
		segs[k++] = (struct body_seg){ extra + w, 0, (uint64_t)m };
		segs[k++] = (struct body_seg){ NULL, rg[i].first, len };
		sum += (uint64_t)m + len;
		w += (size_t)m;
	}
	int m = snprintf(extra + w, cap - w, "\r\n--%s--\r\n", boundary);
	if (m < 0 || (size_t)m >= cap - w)
		return -1;
	segs[k++] = (struct body_seg){ extra + w, 0, (uint64_t)m };
	*total = sum + (uint64_t)m;
	return (int)k;
}

void http_multipart_boundary(uint64_t *state, char out[HTTP_BOUNDARY_LEN + 1])
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ULL;
	for (int i = 0; i < HTTP_BOUNDARY_LEN; i++) {
		x ^= x << 13; /* xorshift64 */
		x ^= x >> 7;
		x ^= x << 17;
		out[i] = digits[(x >> 32) % 36];
	}
	out[HTTP_BOUNDARY_LEN] = '\0';
	*state = x;
}
