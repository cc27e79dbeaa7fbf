/* file_cache.c - a hash table with LRU eviction, bounded in entries and in
 * bytes. Entries are trusted for FILE_CACHE_TTL seconds; after that the
 * caller re-opens the path (so a file replaced by rename is seen) and
 * compares device, inode, size and nanosecond mtime. A changed file is
 * therefore never served for more than FILE_CACHE_TTL seconds. */
#include "file_cache.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http_cond.h"
#include "http_date.h"

static uint64_t hash_key(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

int file_cache_init(struct file_cache *fc, size_t max_count, size_t max_bytes, size_t max_file)
{
	memset(fc, 0, sizeof *fc);
	fc->max_count = max_count;
	fc->max_bytes = max_bytes;
	fc->max_file = max_file;
	if (max_bytes == 0 || max_count == 0)
		return 0;
	fc->nbuckets = 1;
	while (fc->nbuckets < max_count * 2)
		fc->nbuckets <<= 1;
	fc->buckets = calloc(fc->nbuckets, sizeof *fc->buckets);
	return fc->buckets ? 0 : -ENOMEM;
}

void fc_blob_put(struct fc_blob *b)
{
	if (b && --b->refs == 0)
		free(b);
}

static void lru_unlink(struct file_cache *fc, struct fc_entry *e)
{
	if (e->lru_prev)
		e->lru_prev->lru_next = e->lru_next;
	else
		fc->lru_head = e->lru_next;
	if (e->lru_next)
		e->lru_next->lru_prev = e->lru_prev;
	else
		fc->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = NULL;
}

static void lru_push(struct file_cache *fc, struct fc_entry *e)
{
	e->lru_prev = NULL;
	e->lru_next = fc->lru_head;
	if (fc->lru_head)
		fc->lru_head->lru_prev = e;
	fc->lru_head = e;
	if (!fc->lru_tail)
		fc->lru_tail = e;
}

void file_cache_remove(struct file_cache *fc, struct fc_entry *e)
{
	struct fc_entry **pp = &fc->buckets[e->hash & (fc->nbuckets - 1)];
	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = e->hnext;
	lru_unlink(fc, e);
	fc->count--;
	fc->bytes -= e->size;
	fc_blob_put(e->body);
	free(e->key); /* key, file and hdr share one allocation */
	free(e);
}

void file_cache_destroy(struct file_cache *fc)
{
	while (fc->lru_head)
		file_cache_remove(fc, fc->lru_head);
	free(fc->buckets);
	fc->buckets = NULL;
}

/* One writer: a relaxed load and store, no locked instruction. */
static void bump(_Atomic uint64_t *c)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

struct fc_entry *file_cache_find(struct file_cache *fc, const char *key, size_t key_len)
{
	if (!fc->buckets)
		return NULL;
	uint64_t h = hash_key(key, key_len);
	for (struct fc_entry *e = fc->buckets[h & (fc->nbuckets - 1)]; e; e = e->hnext) {
		if (e->hash == h && e->key_len == key_len && memcmp(e->key, key, key_len) == 0) {
			if (fc->lru_head != e) {
				lru_unlink(fc, e);
				lru_push(fc, e);
			}
			bump(&fc->hits);
			return e;
		}
	}
	bump(&fc->misses);
	return NULL;
}

bool file_cache_same(const struct fc_entry *e, const struct stat *st)
{
	return e->dev == st->st_dev && e->ino == st->st_ino && e->file_size == (uint64_t)st->st_size &&
	       e->mtime.tv_sec == st->st_mtim.tv_sec && e->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

struct fc_entry *file_cache_add(struct file_cache *fc, const char *key, size_t key_len,
				const char *file, int fd, const struct stat *st, const char *type,
				struct slice hdr_extra, uint32_t now)
{
	uint64_t size = (uint64_t)st->st_size;
	if (!fc->buckets || size > fc->max_file || size > fc->max_bytes)
		return NULL;
	struct fc_blob *body = malloc(sizeof *body + (size ? size : 1));
	if (!body)
		return NULL;
	body->refs = 1;
	body->len = size;
	size_t got = 0;
	while (got < size) {
		ssize_t n = pread(fd, body->data + got, size - got, (off_t)got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	struct stat after;
	if (got != size || fstat(fd, &after) < 0 || after.st_mtim.tv_sec != st->st_mtim.tv_sec ||
	    after.st_mtim.tv_nsec != st->st_mtim.tv_nsec || after.st_size != st->st_size) {
		free(body); /* changed while being read: serve it uncached */
		return NULL;
	}
	return file_cache_add_blob(fc, key, key_len, file, st, type, hdr_extra, body, "", "", now);
}

struct fc_entry *file_cache_add_blob(struct file_cache *fc, const char *key, size_t key_len,
				     const char *file, const struct stat *st, const char *type,
				     struct slice hdr_extra, struct fc_blob *body,
				     const char *etag_suffix, const char *coding, uint32_t now)
{
	uint64_t size = body->len;
	if (!fc->buckets || size > fc->max_bytes) {
		fc_blob_put(body);
		return NULL;
	}
	/* A key is in the cache once: a new version replaces the old. */
	struct fc_entry *old = file_cache_find(fc, key, key_len);
	if (old)
		file_cache_remove(fc, old);
	while (fc->lru_tail && (fc->count >= fc->max_count || fc->bytes + size > fc->max_bytes))
		file_cache_remove(fc, fc->lru_tail);

	struct fc_entry *e = calloc(1, sizeof *e);
	size_t file_len = strlen(file);
	size_t hdr_cap = 512 + hdr_extra.len + strlen(coding);
	char *mem = malloc(key_len + 1 + file_len + 1 + hdr_cap);
	if (!e || !mem) {
		free(e);
		free(mem);
		fc_blob_put(body);
		return NULL;
	}
	e->key = mem;
	memcpy(e->key, key, key_len);
	e->key[key_len] = '\0';
	e->key_len = key_len;
	e->file = mem + key_len + 1;
	memcpy(e->file, file, file_len + 1);
	e->hdr = e->file + file_len + 1;
	e->hash = hash_key(key, key_len);
	e->checked = now;
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	e->file_size = (uint64_t)st->st_size;
	e->size = size;
	e->mtime = st->st_mtim;
	e->type = type;
	e->coding = coding;
	e->etag_len = http_cond_etag(e->etag, (uint64_t)st->st_ino, (uint64_t)st->st_size,
				     (int64_t)st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
	size_t sl = strlen(etag_suffix);
	if (sl && e->etag_len + sl < sizeof e->etag) {
		/* inside the quotes: "...-gzip" */
		memcpy(e->etag + e->etag_len - 1, etag_suffix, sl);
		e->etag_len += sl;
		e->etag[e->etag_len - 1] = '"';
		e->etag[e->etag_len] = '\0';
	}
	http_date_format(st->st_mtim.tv_sec, e->last_modified);
	int n = snprintf(e->hdr, hdr_cap,
			 "Content-Type: %s\r\nContent-Length: %llu\r\n%s%s"
			 "Last-Modified: %s\r\nETag: %s\r\n%.*s",
			 type, (unsigned long long)size, coding,
			 /* ranges are served from the identity form only */
			 strncmp(coding, "Content-Encoding", 16) == 0 ? "" : "Accept-Ranges: bytes\r\n",
			 e->last_modified, e->etag,
			 (int)hdr_extra.len, hdr_extra.ptr);
	e->hdr_len = n > 0 && (size_t)n < hdr_cap ? (size_t)n : 0;
	e->body = body;

	struct fc_entry **b = &fc->buckets[e->hash & (fc->nbuckets - 1)];
	e->hnext = *b;
	*b = e;
	lru_push(fc, e);
	fc->count++;
	fc->bytes += size;
	return e;
}
