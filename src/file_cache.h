/* file_cache.h - per-thread cache of small hot files: their bytes, their
 * validators and their precomputed header lines, so a hit costs no system
 * call at all. Not thread-safe by design: each event-loop thread has one. */
#ifndef FILE_CACHE_H
#define FILE_CACHE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "slice.h"

#define FILE_CACHE_TTL 1 /* seconds a cached file is trusted without a stat */

/* Reference-counted file contents: a response in flight keeps its bytes
 * alive even when the entry is dropped meanwhile. */
struct fc_blob {
	unsigned refs;
	size_t len;
	char data[];
};

struct fc_entry {
	struct fc_entry *hnext;              /* hash chain */
	struct fc_entry *lru_prev, *lru_next; /* most recent first */
	uint64_t hash;
	char *key;       /* the normalised request path, "/" appended for a directory */
	size_t key_len;
	char *file;      /* the path actually opened (an index file for a directory) */
	uint32_t checked; /* monotonic second of the last validation */
	dev_t dev;
	ino_t ino;
	uint64_t file_size; /* of the file on disk, for revalidation */
	uint64_t size;      /* of the representation: body->len */
	struct timespec mtime;
	const char *type;
	char etag[64];
	size_t etag_len;
	char last_modified[32];
	char *hdr;       /* Content-Type ... ETag lines of a 200 response */
	size_t hdr_len;
	struct fc_blob *body;
	const char *coding; /* "Content-Encoding: ...\r\nVary: ...\r\n" of an encoded entry, or "" */
	unsigned codings;   /* bits (1 << enc) this file could also be sent with */
};

struct file_cache {
	struct fc_entry **buckets;
	size_t nbuckets;
	struct fc_entry *lru_head, *lru_tail;
	size_t count, max_count;
	size_t bytes, max_bytes;
	size_t max_file;
	/* Written by the owning thread only, read by the metrics page. */
	_Atomic uint64_t hits, misses;
};

/* Sizes the cache; max_bytes 0 disables it. Returns 0 or -ENOMEM. */
int file_cache_init(struct file_cache *fc, size_t max_count, size_t max_bytes, size_t max_file);

/* Drops every entry (blobs in flight survive until released). */
void file_cache_destroy(struct file_cache *fc);

/* The entry for key if present (moved to the front), else NULL. The caller
 * revalidates it when now - checked >= FILE_CACHE_TTL. */
struct fc_entry *file_cache_find(struct file_cache *fc, const char *key, size_t key_len);

/* Adds a regular file of at most max_file bytes that the caller opened as
 * fd with stat st; reads its bytes. hdr_extra (may be empty) is appended
 * to the precomputed header lines. Returns the entry or NULL if the file
 * is not cacheable (too large, changed while read, out of memory). */
struct fc_entry *file_cache_add(struct file_cache *fc, const char *key, size_t key_len,
				const char *file, int fd, const struct stat *st, const char *type,
				struct slice hdr_extra, uint32_t now);

/* Adds a representation whose bytes the caller made (body: one reference
 * passes to the cache), e.g. a compressed form of file. etag_suffix is
 * appended inside the ETag's quotes; coding is the Content-Encoding line
 * (static). Returns the entry, or NULL (the reference is dropped). */
struct fc_entry *file_cache_add_blob(struct file_cache *fc, const char *key, size_t key_len,
				     const char *file, const struct stat *st, const char *type,
				     struct slice hdr_extra, struct fc_blob *body,
				     const char *etag_suffix, const char *coding, uint32_t now);

/* True if st still describes the file the entry was made from. */
bool file_cache_same(const struct fc_entry *e, const struct stat *st);

/* Removes an entry (after a failed revalidation). */
void file_cache_remove(struct file_cache *fc, struct fc_entry *e);

/* Takes and releases a reference to a blob. */
static inline struct fc_blob *fc_blob_get(struct fc_blob *b)
{
	b->refs++;
	return b;
}

void fc_blob_put(struct fc_blob *b);

#endif
