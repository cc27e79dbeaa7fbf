/* compress.h - on-the-fly content coding with the field's standard
 * libraries (zlib, brotli, zstd), each compiled in when pkg-config finds
 * it at build time. */
#ifndef COMPRESS_H
#define COMPRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "file_cache.h"
#include "http_encoding.h"

/* Bit (1 << e) set for each coding this build can produce. */
unsigned compress_available(void);

/* Text-like types that compress well; never images, video, archives or
 * fonts that are compressed already (woff2). */
bool compress_type_ok(const char *type);

/* Encodes data into a new blob (one reference), or NULL when the coding
 * is not compiled in, fails, or (unless force) does not make the data
 * smaller. */
struct fc_blob *compress_encode(enum http_encoding e, const char *data, size_t len, bool force);

/* "gzip br zstd" as far as compiled in, for --version. */
const char *compress_features(void);

#endif
