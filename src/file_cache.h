/* file_cache.h - one cache of representations for the whole process: small
 * files' bytes, compressed forms and listing pages, with their validators
 * and precomputed header lines, so a hit costs no system call.
 *
 * Memory: every body byte the server holds in memory is a blob counted
 * against one budget (--cache-size), whether the cache still holds it or
 * only a response in flight does. A blob that would pass the budget first
 * evicts least recently used entries; if that is not enough it is refused,
 * and the caller serves from disk or the identity form instead.
 *
 * Keys are structured (path, kind, coding, variant) and compared field by
 * field: no request path can name another key's entry.
 *
 * Thread-safe: lookups and changes take one mutex for a few hundred
 * nanoseconds; entries and blobs are reference-counted, so a response
 * keeps what it uses alive after an eviction. */
#ifndef FILE_CACHE_H
#define FILE_CACHE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "slice.h"

#define FILE_CACHE_TTL 1 /* seconds an entry is trusted before the request is resolved again */
#define FILE_CACHE_ENTRIES 4096
#define FILE_CACHE_MAX_FILE (64 * 1024) /* largest identity file kept in memory */

struct file_cache;

/* Reference-counted bytes. cap bytes are counted against the owner's
 * budget for as long as the blob lives. */
struct fc_blob {
	_Atomic unsigned refs;
	struct file_cache *owner; /* NULL: not counted */
	size_t cap;
	size_t len;
	char data[];
};

enum fc_kind {
	FC_FILE,         /* a file (or a directory's index file) */
	FC_LISTING_HTML, /* a directory listing page */
	FC_LISTING_JSON,
};

struct fc_key {
	const char *path; /* the normalised request path, "/" appended for a directory */
	size_t len;
	uint8_t kind;     /* enum fc_kind */
	uint8_t coding;   /* enum http_encoding */
	uint8_t variant;  /* FC_FILE: 1 for a coded form that is not smaller than
			   * the identity form (only for clients that refuse
			   * identity); listings: the sort order */
};

struct fc_entry {
	struct fc_entry *hnext;               /* hash chain */
	struct fc_entry *lru_prev, *lru_next; /* most recent first */
	_Atomic unsigned refs;                /* the cache's own, while linked, and lookups' */
	bool linked;
	uint64_t hash;
	char *path; /* key fields */
	size_t path_len;
	uint8_t kind, coding, variant;
	char *file;          /* the path actually opened, relative to the root */
	_Atomic uint32_t checked; /* monotonic second of the last validation */
	uint32_t born;            /* monotonic second it was made */
	dev_t dev;
	ino_t ino;
	uint64_t file_size;  /* of the file on disk, for revalidation */
	uint64_t size;       /* of the representation: body->len */
	struct timespec mtime, ctime;
	const char *type;
	char etag[80];
	size_t etag_len;
	char last_modified[32];
	time_t last_modified_t;
	char *hdr;           /* Content-Type ... ETag lines of a 200 response */
	size_t hdr_len;
	struct fc_blob *body; /* NULL: coding was tried and gains nothing */
	const char *coding_lines; /* Content-Encoding and Vary lines, or "" */
	unsigned codings;    /* bits (1 << enc) sidecars, (1 << (16 + enc)) on the fly */
};

struct file_cache {
	pthread_mutex_t lock;
	struct fc_entry **buckets;
	size_t nbuckets;
	struct fc_entry *lru_head, *lru_tail;
	size_t count, max_count;
	size_t cached;    /* bytes of the bodies linked in the table */
	size_t max_bytes; /* the budget of all blobs */
	size_t max_file;  /* largest identity file kept */
	_Atomic size_t held; /* bytes of all live blobs */
	_Atomic uint64_t hits, misses, refused;
};

/* What an insert records besides the key and the body. */
struct fc_meta {
	const char *file;        /* the path opened (copied) */
	const struct stat *st;   /* its identity and validators */
	const char *type;        /* static */
	struct slice hdr_extra;  /* appended to the header lines (copied) */
	const char *etag;        /* NULL: made from st, with etag_suffix inside the quotes */
	const char *etag_suffix; /* "" or e.g. "-br" */
	const char *coding_lines; /* static */
	unsigned codings;
	time_t last_modified;    /* 0: st's mtime */
	uint32_t now;
};

/* Budget for pages generated in flight when caching is off (max_bytes 0). */
#define FILE_CACHE_MIN_BUDGET (4u << 20)

/* Sizes the cache; max_bytes 0 disables caching (blobs in flight then get
 * FILE_CACHE_MIN_BUDGET). Returns 0 or -ENOMEM. */
int file_cache_init(struct file_cache *fc, size_t max_count, size_t max_bytes, size_t max_file);

/* Drops every entry; blobs in flight survive until released. */
void file_cache_destroy(struct file_cache *fc);

/* True if the cache is in use. */
static inline bool file_cache_enabled(const struct file_cache *fc)
{
	return fc && fc->buckets;
}

/* The entry for k with a reference the caller releases, or NULL. */
struct fc_entry *file_cache_get(struct file_cache *fc, const struct fc_key *k);

/* Releases a reference from file_cache_get or file_cache_insert. */
void file_cache_release(struct fc_entry *e);

/* A new blob of cap bytes (len 0, one reference) counted against the
 * budget, evicting entries to make room; NULL when the budget cannot take
 * it (or memory is short). */
struct fc_blob *file_cache_blob_new(struct file_cache *fc, size_t cap);

/* Gives back the reserved bytes past b->len (b has one reference); returns
 * the blob, which may have moved. */
struct fc_blob *fc_blob_shrink(struct fc_blob *b);

/* Reads a regular file of at most max_file bytes into a new blob; NULL if
 * it is too large, does not fit the budget, or changed while read. */
struct fc_blob *file_cache_read(struct file_cache *fc, int fd, const struct stat *st);

/* The same for a file of any size (the input of a compression), counted
 * against the budget; fc->refused moves when the budget said no. */
struct fc_blob *fc_blob_read(struct file_cache *fc, int fd, const struct stat *st);

/* Inserts body (its reference passes to the cache; NULL records a coding
 * that gains nothing) under k, replacing what k held. Returns the entry
 * with a reference for the caller, or NULL (memory). With caching off
 * the entry is made but not kept: it only carries one response. */
struct fc_entry *file_cache_insert(struct file_cache *fc, const struct fc_key *k,
				   const struct fc_meta *m, struct fc_blob *body);

/* True if st still describes the file the entry was made from
 * (device, inode, size, nanosecond mtime and ctime). */
bool file_cache_same(const struct fc_entry *e, const struct stat *st);

/* Unlinks an entry (still valid for references held). */
void file_cache_remove(struct file_cache *fc, struct fc_entry *e);

/* Marks an entry as validated at now. */
static inline void file_cache_touch(struct fc_entry *e, uint32_t now)
{
	atomic_store_explicit(&e->checked, now, memory_order_relaxed);
}

static inline bool file_cache_fresh(const struct fc_entry *e, uint32_t now)
{
	return now - atomic_load_explicit(&e->checked, memory_order_relaxed) < FILE_CACHE_TTL;
}

/* Takes and releases a reference to a blob (any thread). */
static inline struct fc_blob *fc_blob_get(struct fc_blob *b)
{
	atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
	return b;
}

void fc_blob_put(struct fc_blob *b);

#endif
