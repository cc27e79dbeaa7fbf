/* compress.c - gzip (zlib), brotli and zstd, one call each over a whole
 * file in memory: results are cached by file_cache, so a file is
 * compressed once, not per request, at a level that favours ratio. */
#include "compress.h"

#include <stdlib.h>
#include <string.h>

#ifdef HAVE_ZLIB
#include <zlib.h>
#endif
#ifdef HAVE_BROTLI
#include <brotli/encode.h>
#endif
#ifdef HAVE_ZSTD
#include <zstd.h>
#endif

unsigned compress_available(void)
{
	unsigned m = 0;
#ifdef HAVE_ZLIB
	m |= 1u << ENC_GZIP;
#endif
#ifdef HAVE_BROTLI
	m |= 1u << ENC_BR;
#endif
#ifdef HAVE_ZSTD
	m |= 1u << ENC_ZSTD;
#endif
	return m;
}

const char *compress_features(void)
{
	return ""
#ifdef HAVE_ZLIB
	       " gzip"
#endif
#ifdef HAVE_BROTLI
	       " br"
#endif
#ifdef HAVE_ZSTD
	       " zstd"
#endif
		;
}

bool compress_type_ok(const char *type)
{
	static const char *const ok[] = {
		"application/javascript", "application/json", "application/ld+json",
		"application/manifest+json", "application/xml", "application/wasm",
		"application/rss+xml", "application/atom+xml", "application/xhtml+xml",
		"application/toml", "application/yaml", "image/svg+xml", "image/x-icon",
		"image/bmp", "font/ttf", "font/otf", "application/vnd.ms-fontobject",
	};
	if (strncmp(type, "text/", 5) == 0)
		return true;
	size_t n = strcspn(type, ";");
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (strlen(ok[i]) == n && strncmp(type, ok[i], n) == 0)
			return true;
	return false;
}

#if defined(HAVE_ZLIB) || defined(HAVE_BROTLI) || defined(HAVE_ZSTD)
/* The coder's worst case is reserved from the budget, then what it did
 * not use is given back (fc_blob_shrink). */
#define new_blob(cap) file_cache_blob_new(fc, cap)
#endif

#ifdef HAVE_ZLIB
static struct fc_blob *gzip(struct file_cache *fc, const char *data, size_t len)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	size_t cap = deflateBound(&z, (uLong)len);
	struct fc_blob *b = new_blob(cap);
	if (!b) {
		deflateEnd(&z);
		return NULL;
	}
	z.next_in = (Bytef *)data;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)b->data;
	z.avail_out = (uInt)cap;
	int rc = deflate(&z, Z_FINISH);
	b->len = z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		fc_blob_put(b);
		return NULL;
	}
	return b;
}
#endif

#ifdef HAVE_BROTLI
static struct fc_blob *brotli(struct file_cache *fc, const char *data, size_t len)
{
	size_t cap = BrotliEncoderMaxCompressedSize(len);
	struct fc_blob *b = cap ? new_blob(cap) : NULL;
	if (!b)
		return NULL;
	size_t out = cap;
	if (!BrotliEncoderCompress(6, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC, len,
				   (const uint8_t *)data, &out, (uint8_t *)b->data)) {
		fc_blob_put(b);
		return NULL;
	}
	b->len = out;
	return b;
}
#endif

#ifdef HAVE_ZSTD
static struct fc_blob *zstd(struct file_cache *fc, const char *data, size_t len)
{
	size_t cap = ZSTD_compressBound(len);
	struct fc_blob *b = new_blob(cap);
	if (!b)
		return NULL;
	size_t n = ZSTD_compress(b->data, cap, data, len, 6);
	if (ZSTD_isError(n)) {
		fc_blob_put(b);
		return NULL;
	}
	b->len = n;
	return b;
}
#endif

struct fc_blob *compress_encode(struct file_cache *fc, enum http_encoding e, const char *data,
			       size_t len, bool force, bool *no_room)
{
	struct fc_blob *b = NULL;
	size_t refused = fc ? atomic_load_explicit(&fc->refused, memory_order_relaxed) : 0;
	switch (e) {
#ifdef HAVE_ZLIB
	case ENC_GZIP: b = gzip(fc, data, len); break;
#endif
#ifdef HAVE_BROTLI
	case ENC_BR: b = brotli(fc, data, len); break;
#endif
#ifdef HAVE_ZSTD
	case ENC_ZSTD: b = zstd(fc, data, len); break;
#endif
	default: break;
	}
	(void)data;
	*no_room = !b && fc && atomic_load_explicit(&fc->refused, memory_order_relaxed) != refused;
	if (b && b->len >= len && !force) {
		fc_blob_put(b); /* no gain: send the file as it is */
		return NULL;
	}
	return b ? fc_blob_shrink(b) : NULL;
}
