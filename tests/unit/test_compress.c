/* test_compress.c - which types are coded on the fly, and every coding this
 * build has decoded back with its own library, byte for byte. */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compress.h"
#include "unit.h"

#ifdef HAVE_ZLIB
#include <zlib.h>
#endif
#ifdef HAVE_ZSTD
#include <zstd.h>
#endif

/* ---- compress_type_ok ---- */

struct type_case {
	const char *type;
	bool ok;
};

static const struct type_case type_cases[] = {
	{ "text/html; charset=utf-8", true },
	{ "text/html", true },
	{ "text/plain; charset=utf-8", true },
	{ "text/css; charset=utf-8", true },
	{ "text/javascript; charset=utf-8", true },
	{ "text/markdown; charset=utf-8", true },
	{ "text/csv; charset=utf-8", true },
	{ "text/x-anything", true },
	{ "application/javascript", true },
	{ "application/javascript; charset=utf-8", true },
	{ "application/json", true },
	{ "application/json; charset=utf-8", true },
	{ "application/ld+json", true },
	{ "application/manifest+json", true },
	{ "application/xml; charset=utf-8", true },
	{ "application/xhtml+xml; charset=utf-8", true },
	{ "application/rss+xml", true },
	{ "application/atom+xml", true },
	{ "application/wasm", true },
	{ "application/toml", true },
	{ "application/yaml", true },
	{ "image/svg+xml; charset=utf-8", true },
	{ "image/svg+xml", true },
	{ "image/x-icon", true },
	{ "image/bmp", true },
	{ "font/ttf", true },
	{ "font/otf", true },
	{ "application/vnd.ms-fontobject", true },
	/* compressed already, or binary */
	{ "image/png", false },
	{ "image/jpeg", false },
	{ "image/gif", false },
	{ "image/webp", false },
	{ "image/avif", false },
	{ "video/mp4", false },
	{ "audio/mpeg", false },
	{ "font/woff2", false },
	{ "font/woff", false },
	{ "application/zip", false },
	{ "application/gzip", false },
	{ "application/x-7z-compressed", false },
	{ "application/pdf", false },
	{ "application/octet-stream", false },
	/* near misses */
	{ "", false },
	{ "text", false },
	{ "texts/plain", false },
	{ "application/jsonx", false },
	{ "application/json5", false },
	{ "application/js", false },
	{ "application/", false },
	{ "application/json ;charset=utf-8", false },
	{ "image/svg+xmlz", false },
	{ "image/svg", false },
	{ "xapplication/json", false },
	{ "font/ttfx", false },
};

static void test_types(void)
{
	for (size_t i = 0; i < sizeof type_cases / sizeof type_cases[0]; i++) {
		bool ok = compress_type_ok(type_cases[i].type);
		CHECK(ok == type_cases[i].ok, "type_ok('%s') = %d, want %d", type_cases[i].type, ok,
		      type_cases[i].ok);
	}
}

/* ---- what is compiled in ---- */

static void test_available(void)
{
	unsigned want = 0;
#ifdef HAVE_ZLIB
	want |= 1u << ENC_GZIP;
#endif
#ifdef HAVE_BROTLI
	want |= 1u << ENC_BR;
#endif
#ifdef HAVE_ZSTD
	want |= 1u << ENC_ZSTD;
#endif
	CHECK(compress_available() == want, "available %#x, want %#x", compress_available(), want);
	CHECK(!(compress_available() & (1u << ENC_IDENTITY)), "identity listed as a coding");
	const char *f = compress_features();
	for (int e = ENC_BR; e < ENC_COUNT; e++) {
		char word[16];
		snprintf(word, sizeof word, " %s", http_encoding_name((enum http_encoding)e));
		const char *p = strstr(f, word);
		bool listed = p && (p[strlen(word)] == ' ' || p[strlen(word)] == '\0');
		CHECK(listed == !!(want & (1u << e)), "features '%s': %s listed %d", f, word, listed);
	}
}

/* ---- decoders ---- */

/* Decodes in with e into a malloc'd buffer of *out_len bytes; NULL when
 * the data is not a single valid stream of exactly in_len bytes. Sets
 * *skipped when this test cannot decode e. */
#ifdef HAVE_BROTLI
typedef int (*brotli_decompress_fn)(size_t, const uint8_t *, size_t *, uint8_t *);
static brotli_decompress_fn brotli_decompress;
static void *brotli_lib;
#endif

static char *decode(enum http_encoding e, const char *in, size_t in_len, size_t max_out,
		    size_t *out_len, bool *skipped)
{
	char *out = malloc(max_out + 1);
	(void)in;
	(void)in_len;
	*skipped = false;
	*out_len = 0;
	if (!out)
		return NULL;
	switch (e) {
#ifdef HAVE_ZLIB
	case ENC_GZIP: {
		z_stream z;
		memset(&z, 0, sizeof z);
		if (inflateInit2(&z, 15 + 16) != Z_OK)
			break;
		z.next_in = (Bytef *)(uintptr_t)in;
		z.avail_in = (uInt)in_len;
		z.next_out = (Bytef *)out;
		z.avail_out = (uInt)(max_out + 1);
		int rc = inflate(&z, Z_FINISH);
		bool ok = rc == Z_STREAM_END && z.avail_in == 0;
		*out_len = z.total_out;
		inflateEnd(&z);
		if (ok)
			return out;
		break;
	}
#endif
#ifdef HAVE_ZSTD
	case ENC_ZSTD: {
		unsigned long long size = ZSTD_getFrameContentSize(in, in_len);
		if (size == ZSTD_CONTENTSIZE_ERROR || (size != ZSTD_CONTENTSIZE_UNKNOWN && size > max_out))
			break;
		size_t n = ZSTD_decompress(out, max_out + 1, in, in_len);
		if (ZSTD_isError(n))
			break;
		*out_len = n;
		return out;
	}
#endif
#ifdef HAVE_BROTLI
	case ENC_BR: {
		if (!brotli_decompress) {
			*skipped = true;
			break;
		}
		size_t n = max_out + 1;
		if (brotli_decompress(in_len, (const uint8_t *)in, &n, (uint8_t *)out) != 1)
			break;
		*out_len = n;
		return out;
	}
#endif
	default:
		break;
	}
	free(out);
	return NULL;
}

/* ---- round trips ---- */

/* The budget coded blobs are counted against. */
static struct file_cache budget;

/* The coded length, or -1 for NULL; the blob is released. */
static long coded_len(enum http_encoding e, const char *data, size_t len, bool force)
{
	bool no_room;
	struct fc_blob *b = compress_encode(&budget, e, data, len, force, &no_room);
	long n = b ? (long)b->len : -1;
	fc_blob_put(b);
	return n;
}

static void make_text(char *buf, size_t len)
{
	static const char *const words[] = { "<div class=\"item\">", "static ", "file ", "server ",
					     "</div>\n", "cache ", "brotli ", "gzip ", "zstd ",
					     "<a href=\"/x\">", "</a> ", "0123456789 " };
	size_t w = 0;
	unsigned x = 7;
	while (w < len) {
		x = x * 1103515245u + 12345u;
		const char *s = words[(x >> 16) % (sizeof words / sizeof words[0])];
		size_t n = strlen(s);
		if (n > len - w)
			n = len - w;
		memcpy(buf + w, s, n);
		w += n;
	}
}

static void make_random(char *buf, size_t len)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		buf[i] = (char)(x >> 56);
	}
}

static const unsigned char gzip_magic[] = { 0x1f, 0x8b, 0x08 };
static const unsigned char zstd_magic[] = { 0x28, 0xb5, 0x2f, 0xfd };

static void check_round_trip(enum http_encoding e, const char *data, size_t len, bool force,
			     bool want_smaller, const char *what)
{
	const char *name = http_encoding_name(e);
	bool no_room;
	struct fc_blob *b = compress_encode(&budget, e, data, len, force, &no_room);
	CHECK(b != NULL, "%s %s (%zu bytes, force %d): NULL", name, what, len, force);
	if (!b)
		return;
	CHECK(b->refs == 1, "%s %s: refs %u", name, what, (unsigned)b->refs);
	/* Counted at what it holds, not at the coder's worst case. */
	CHECK(b->cap == b->len && atomic_load(&budget.held) == b->len,
	      "%s %s: %zu bytes held for a %zu-byte blob (cap %zu)", name, what,
	      (size_t)atomic_load(&budget.held), b->len, b->cap);
	if (want_smaller)
		CHECK(b->len < len, "%s %s: %zu bytes from %zu", name, what, b->len, len);
	if (e == ENC_GZIP)
		CHECK(b->len >= 18 && memcmp(b->data, gzip_magic, 3) == 0, "%s %s: no gzip header",
		      name, what);
	if (e == ENC_ZSTD)
		CHECK(b->len >= 4 && memcmp(b->data, zstd_magic, 4) == 0, "%s %s: no zstd magic", name,
		      what);
	size_t n;
	bool skipped;
	char *out = decode(e, b->data, b->len, len, &n, &skipped);
	if (!skipped) {
		CHECK(out != NULL, "%s %s: does not decode", name, what);
		CHECK(out && n == len && memcmp(out, data, len) == 0,
		      "%s %s: decodes to %zu bytes, want %zu", name, what, n, len);
	}
	free(out);
	fc_blob_put(b);
}

static void test_round_trips(void)
{
	static const size_t sizes[] = { 256, 1000, 4096, 65536, 1u << 20, 3u << 20 };
	size_t max = 3u << 20;
	char *text = malloc(max), *rnd = malloc(max);
	if (!text || !rnd)
		abort();
	make_text(text, max);
	make_random(rnd, max);

#ifdef HAVE_BROTLI
	/* libbrotlidec is not linked (pkg-config libbrotlienc only): load it
	 * if the system has it, else the br output is only checked smaller. */
	brotli_lib = dlopen("libbrotlidec.so.1", RTLD_NOW | RTLD_LOCAL);
	if (brotli_lib) {
		void *sym = dlsym(brotli_lib, "BrotliDecoderDecompress");
		memcpy(&brotli_decompress, &sym, sizeof sym);
	}
	if (!brotli_decompress)
		printf("compress: libbrotlidec.so.1 not found; br output not decoded\n");
#endif

	for (int e = ENC_BR; e < ENC_COUNT; e++) {
		enum http_encoding enc = (enum http_encoding)e;
		const char *name = http_encoding_name(enc);
		if (!(compress_available() & (1u << e))) {
			/* not compiled in: never a blob, even forced */
			CHECK(coded_len(enc, text, 1000, false) == -1, "%s not built but coded", name);
			CHECK(coded_len(enc, text, 1000, true) == -1, "%s not built but coded (force)",
			      name);
			printf("compress: %s not in this build\n", name);
			continue;
		}
		char what[64];
		for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
			snprintf(what, sizeof what, "text of %zu", sizes[i]);
			check_round_trip(enc, text, sizes[i], false, true, what);
		}
		/* a compressible prefix of random bytes still round-trips */
		char *mixed = malloc(70000);
		memcpy(mixed, text, 60000);
		memcpy(mixed + 60000, rnd, 10000);
		check_round_trip(enc, mixed, 70000, false, true, "mixed");
		free(mixed);

		/* incompressible: no gain, no blob; forced, a valid stream */
		static const size_t rsizes[] = { 1, 100, 4096, 65536, 1u << 20 };
		for (size_t i = 0; i < sizeof rsizes / sizeof rsizes[0]; i++) {
			long n = coded_len(enc, rnd, rsizes[i], false);
			CHECK(n == -1, "%s: %zu random bytes coded to %ld", name, rsizes[i], n);
			snprintf(what, sizeof what, "random %zu forced", rsizes[i]);
			check_round_trip(enc, rnd, rsizes[i], true, false, what);
		}
		/* tiny inputs grow: NULL unless forced; empty input too */
		CHECK(coded_len(enc, "a", 1, false) == -1, "%s: 1 byte coded", name);
		CHECK(coded_len(enc, "", 0, false) == -1, "%s: empty input coded", name);
		check_round_trip(enc, "a", 1, true, false, "one byte forced");
		check_round_trip(enc, "", 0, true, false, "empty forced");
		check_round_trip(enc, "\0\0\0\0", 4, true, false, "NULs forced");
	}
	CHECK(coded_len(ENC_IDENTITY, text, 1000, false) == -1, "identity coded");
	CHECK(coded_len(ENC_IDENTITY, text, 1000, true) == -1, "identity coded (force)");

#ifdef HAVE_BROTLI
	if (brotli_lib)
		dlclose(brotli_lib);
#endif
	free(text);
	free(rnd);
}

/* A coded form that does not fit the budget is refused and says so. */
static void test_budget(void)
{
	struct file_cache small;
	char text[8192];
	make_text(text, sizeof text);
	file_cache_init(&small, 16, 1024, 1024);
	unsigned avail = compress_available();
	for (int e = ENC_BR; e < ENC_COUNT; e++) {
		if (!(avail & (1u << e)))
			continue;
		bool no_room = false;
		struct fc_blob *b = compress_encode(&small, (enum http_encoding)e, text, sizeof text,
						    false, &no_room);
		CHECK(!b && no_room, "%s into a 1 KiB budget: blob %p, no_room %d",
		      http_encoding_name((enum http_encoding)e), (void *)b, no_room);
		fc_blob_put(b);
		CHECK(atomic_load(&small.held) == 0, "%s: %zu bytes still held",
		      http_encoding_name((enum http_encoding)e), (size_t)atomic_load(&small.held));
	}
	file_cache_destroy(&small);
}

int main(void)
{
	file_cache_init(&budget, 16, 64u << 20, 1 << 16);
	test_types();
	test_available();
	test_round_trips();
	test_budget();
	file_cache_destroy(&budget);
	return unit_done("compress");
}
