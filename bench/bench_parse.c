/* bench_parse.c - requests parsed per second by http_parse_request on a
 * realistic browser request, against a naive strstr/strchr parse as a
 * floor. Not a test: `make bench-parse` prints the two rates. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "http_parse.h"

static const char request[] =
	"GET /assets/app.3f9a1c2b.js?v=2 HTTP/1.1\r\n"
	"Host: www.example.com\r\n"
	"Connection: keep-alive\r\n"
	"sec-ch-ua: \"Chromium\";v=\"124\", \"Not-A.Brand\";v=\"99\"\r\n"
	"sec-ch-ua-mobile: ?0\r\n"
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
	"Chrome/124.0.0.0 Safari/537.36\r\n"
	"sec-ch-ua-platform: \"Linux\"\r\n"
	"Accept: */*\r\n"
	"Sec-Fetch-Site: same-origin\r\n"
	"Sec-Fetch-Mode: no-cors\r\n"
	"Sec-Fetch-Dest: script\r\n"
	"Referer: https://www.example.com/\r\n"
	"Accept-Encoding: gzip, deflate, br, zstd\r\n"
	"Accept-Language: en-US,en;q=0.9\r\n"
	"Cookie: session=6f1ed002ab5595859014ebf0951522d9; theme=dark\r\n"
	"If-None-Match: \"5100ac-271-6b04fd5f.3a35ee72\"\r\n"
	"\r\n";

/* The floor: find the line ends with strstr and split at the first
 * colon, validating nothing. */
static long naive_parse(const char *buf, struct http_header *hdrs, size_t max, size_t *n)
{
	const char *end = strstr(buf, "\r\n\r\n");
	const char *p = strstr(buf, "\r\n") + 2;
	*n = 0;
	while (p < end && *n < max) {
		const char *eol = strstr(p, "\r\n");
		const char *colon = memchr(p, ':', (size_t)(eol - p));
		if (!colon)
			return -1;
		hdrs[*n].name = slice_make(p, (size_t)(colon - p));
		hdrs[*n].value = slice_make(colon + 2, (size_t)(eol - colon - 2));
		(*n)++;
		p = eol + 2;
	}
	return (long)(end + 4 - buf);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
	struct http_header hdrs[64];
	struct http_head h = { .headers = hdrs, .max_headers = 64 };
	const long iters = 2000000;
	volatile long sink = 0;
	size_t n;

	double t0 = now();
	for (long i = 0; i < iters; i++)
		sink += http_parse_request(request, sizeof request - 1, &h);
	double t1 = now();
	for (long i = 0; i < iters; i++)
		sink += naive_parse(request, hdrs, 64, &n);
	double t2 = now();
	printf("request: %zu bytes, %zu header fields\n", sizeof request - 1, h.nheaders);
	printf("http_parse_request: %.2f M requests/s (%.0f ns each, %.2f GB/s)\n",
	       iters / (t1 - t0) / 1e6, (t1 - t0) / iters * 1e9,
	       iters * (double)(sizeof request - 1) / (t1 - t0) / 1e9);
	printf("naive strstr parse: %.2f M requests/s (%.0f ns each)\n", iters / (t2 - t1) / 1e6,
	       (t2 - t1) / iters * 1e9);
	return sink == 42;
}
