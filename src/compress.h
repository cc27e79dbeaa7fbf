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

/* Encodes data into a new blob (one reference) counted against fc's
 * budget, or NULL when the coding is not compiled in, fails, does not fit
 * the budget (*no_room is then set), or (unless force) does not make the
 * data smaller. */
struct fc_blob *compress_encode(struct file_cache *fc, enum http_encoding e, const char *data,
			       size_t len, bool force, bool *no_room);

/* Smaller bodies gain nothing; larger ones are sent as they are. */
#define COMPRESS_MIN 256
#define COMPRESS_MAX (16u << 20)
/* Up to this size a file is compressed on the event loop (well under a
 * millisecond at the levels used); larger ones go to the helper pool. */
#define COMPRESS_INLINE_MAX (32u << 10)
/* Up to this size a GET waits for the helper; larger files are sent as
 * they are meanwhile. */
#define COMPRESS_WAIT_MAX (1u << 20)

/* "gzip br zstd" as far as compiled in, for --version. */
const char *compress_features(void);

#endif
