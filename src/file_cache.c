/* file_cache.c - a hash table with LRU eviction, bounded in entries, and a
 * byte budget over every blob alive. Entries are trusted for
 * FILE_CACHE_TTL seconds; after that the request is resolved again (so a
 * file that appears in front of a fallback, or an index file of higher
 * rank, is seen) and the file compared by device, inode, size and
 * nanosecond mtime and ctime. */
#include "file_cache.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http_cond.h"
#include "http_date.h"

static uint64_t hash_key(const struct fc_key *k)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a over the path ... */
	for (size_t i = 0; i < k->len; i++) {
		h ^= (unsigned char)k->path[i];
		h *= 1099511628211ULL;
	}
	/* ... then the other fields, which no path byte can stand for. */
	h ^= (uint64_t)k->kind << 40 | (uint64_t)k->coding << 48 | (uint64_t)k->variant << 56;
	h *= 1099511628211ULL;
	return h ^ (h >> 29);
}

static bool key_eq(const struct fc_entry *e, uint64_t h, const struct fc_key *k)
{
	return e->hash == h && e->path_len == k->len && e->kind == k->kind &&
	       e->coding == k->coding && e->variant == k->variant &&
	       memcmp(e->path, k->path, k->len) == 0;
}

int file_cache_init(struct file_cache *fc, size_t max_count, size_t max_bytes, size_t max_file)
{
	memset(fc, 0, sizeof *fc);
	pthread_mutex_init(&fc->lock, NULL);
	fc->max_count = max_count;
	fc->max_bytes = max_bytes ? max_bytes : FILE_CACHE_MIN_BUDGET;
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
	if (!b || atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) != 1)
		return;
	if (b->owner)
		atomic_fetch_sub_explicit(&b->owner->held, b->cap, memory_order_relaxed);
	free(b);
}

static void entry_free(struct fc_entry *e)
{
	fc_blob_put(e->body);
	free(e->path); /* path, file and hdr share one allocation */
	free(e);
}

void file_cache_release(struct fc_entry *e)
{
	if (e && atomic_fetch_sub_explicit(&e->refs, 1, memory_order_acq_rel) == 1)
		entry_free(e);
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

/* With the lock held: takes e out of the table and drops the cache's
 * reference. */
static void unlink_locked(struct file_cache *fc, struct fc_entry *e)
{
	if (!e->linked)
		return;
	struct fc_entry **pp = &fc->buckets[e->hash & (fc->nbuckets - 1)];
	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = e->hnext;
	lru_unlink(fc, e);
	e->linked = false;
	fc->count--;
	fc->cached -= e->body ? e->body->cap : 0;
	file_cache_release(e);
}

void file_cache_remove(struct file_cache *fc, struct fc_entry *e)
{
	pthread_mutex_lock(&fc->lock);
	unlink_locked(fc, e);
	pthread_mutex_unlock(&fc->lock);
}

void file_cache_destroy(struct file_cache *fc)
{
	if (!fc->max_bytes)
		return;
	pthread_mutex_lock(&fc->lock);
	while (fc->lru_head)
		unlink_locked(fc, fc->lru_head);
	pthread_mutex_unlock(&fc->lock);
	free(fc->buckets);
	fc->buckets = NULL;
	pthread_mutex_destroy(&fc->lock);
	fc->max_bytes = 0;
}

struct fc_entry *file_cache_get(struct file_cache *fc, const struct fc_key *k)
{
	if (!fc->buckets)
		return NULL;
	uint64_t h = hash_key(k);
	pthread_mutex_lock(&fc->lock);
	for (struct fc_entry *e = fc->buckets[h & (fc->nbuckets - 1)]; e; e = e->hnext) {
		if (key_eq(e, h, k)) {
			if (fc->lru_head != e) {
				lru_unlink(fc, e);
				lru_push(fc, e);
			}
			atomic_fetch_add_explicit(&e->refs, 1, memory_order_relaxed);
			pthread_mutex_unlock(&fc->lock);
			atomic_fetch_add_explicit(&fc->hits, 1, memory_order_relaxed);
			return e;
		}
	}
	pthread_mutex_unlock(&fc->lock);
	atomic_fetch_add_explicit(&fc->misses, 1, memory_order_relaxed);
	return NULL;
}

bool file_cache_same(const struct fc_entry *e, const struct stat *st)
{
	return e->dev == st->st_dev && e->ino == st->st_ino && e->file_size == (uint64_t)st->st_size &&
	       e->mtime.tv_sec == st->st_mtim.tv_sec && e->mtime.tv_nsec == st->st_mtim.tv_nsec &&
	       e->ctime.tv_sec == st->st_ctim.tv_sec && e->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

/* Reserves n bytes of the budget, evicting least recently used entries
 * while that could help. */
static bool reserve(struct file_cache *fc, size_t n)
{
	if (n > fc->max_bytes)
		return false;
	for (;;) {
		size_t cur = atomic_load_explicit(&fc->held, memory_order_relaxed);
		if (cur + n <= fc->max_bytes) {
			if (atomic_compare_exchange_weak_explicit(&fc->held, &cur, cur + n,
								  memory_order_relaxed,
								  memory_order_relaxed))
				return true;
			continue;
		}
		if (!fc->buckets)
			return false;
		pthread_mutex_lock(&fc->lock);
		/* What responses in flight hold alone cannot be evicted: when
		 * that is already too much, refuse without emptying the cache. */
		cur = atomic_load_explicit(&fc->held, memory_order_relaxed);
		size_t pinned = cur > fc->cached ? cur - fc->cached : 0;
		bool evicted = fc->lru_tail != NULL && pinned + n <= fc->max_bytes;
		if (evicted)
			unlink_locked(fc, fc->lru_tail);
		pthread_mutex_unlock(&fc->lock);
		if (!evicted)
			return false;
	}
}

struct fc_blob *file_cache_blob_new(struct file_cache *fc, size_t cap)
{
	if (!fc || !fc->max_bytes || !reserve(fc, cap)) {
		if (fc)
			atomic_fetch_add_explicit(&fc->refused, 1, memory_order_relaxed);
		return NULL;
	}
	struct fc_blob *b = malloc(sizeof *b + (cap ? cap : 1));
	if (!b) {
		atomic_fetch_sub_explicit(&fc->held, cap, memory_order_relaxed);
		return NULL;
	}
	atomic_init(&b->refs, 1);
	b->owner = fc;
	b->cap = cap;
	b->len = 0;
	return b;
}

struct fc_blob *fc_blob_shrink(struct fc_blob *b)
{
	if (b->len >= b->cap)
		return b;
	struct fc_blob *nb = realloc(b, sizeof *b + (b->len ? b->len : 1));
	if (!nb)
		return b; /* keeps counting the larger size: still within the budget */
	if (nb->owner)
		atomic_fetch_sub_explicit(&nb->owner->held, nb->cap - nb->len, memory_order_relaxed);
	nb->cap = nb->len;
	return nb;
}

struct fc_blob *fc_blob_read(struct file_cache *fc, int fd, const struct stat *st)
{
	size_t size = (size_t)st->st_size;
	struct fc_blob *b = file_cache_blob_new(fc, size);
	if (!b)
		return NULL;
	size_t got = 0;
	while (got < size) {
		ssize_t n = pread(fd, b->data + got, size - got, (off_t)got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	struct stat after;
	if (got != size || fstat(fd, &after) < 0 || after.st_mtim.tv_sec != st->st_mtim.tv_sec ||
	    after.st_mtim.tv_nsec != st->st_mtim.tv_nsec || after.st_size != st->st_size) {
		fc_blob_put(b); /* changed while being read: serve it uncached */
		return NULL;
	}
	b->len = size;
	return b;
}

struct fc_blob *file_cache_read(struct file_cache *fc, int fd, const struct stat *st)
{
	if (!fc->buckets || (uint64_t)st->st_size > fc->max_file)
		return NULL;
	return fc_blob_read(fc, fd, st);
}

struct fc_entry *file_cache_insert(struct file_cache *fc, const struct fc_key *k,
				   const struct fc_meta *m, struct fc_blob *body)
{
	struct fc_entry *e = calloc(1, sizeof *e);
	size_t file_len = strlen(m->file);
	const char *cl = m->coding_lines ? m->coding_lines : "";
	size_t hdr_cap = 512 + m->hdr_extra.len + strlen(cl) + strlen(m->type);
	char *mem = malloc(k->len + 1 + file_len + 1 + hdr_cap);
	if (!e || !mem) {
		free(e);
		free(mem);
		fc_blob_put(body);
		return NULL;
	}
	const struct stat *st = m->st;
	e->path = mem;
	memcpy(e->path, k->path, k->len);
	e->path[k->len] = '\0';
	e->path_len = k->len;
	e->kind = k->kind;
	e->coding = k->coding;
	e->variant = k->variant;
	e->file = mem + k->len + 1;
	memcpy(e->file, m->file, file_len + 1);
	e->hdr = e->file + file_len + 1;
	e->hash = hash_key(k);
	atomic_init(&e->checked, m->now);
	e->born = m->now;
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	e->file_size = (uint64_t)st->st_size;
	e->size = body ? body->len : 0;
	e->mtime = st->st_mtim;
	e->ctime = st->st_ctim;
	e->type = m->type;
	e->coding_lines = cl;
	e->codings = m->codings;
	if (m->etag) {
		e->etag_len = strlen(m->etag) < sizeof e->etag ? strlen(m->etag) : 0;
		memcpy(e->etag, m->etag, e->etag_len);
		e->etag[e->etag_len] = '\0';
	} else {
		e->etag_len = http_cond_etag(e->etag, (uint64_t)st->st_ino, (uint64_t)st->st_size,
					     (int64_t)st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
		const char *suffix = m->etag_suffix ? m->etag_suffix : "";
		size_t sl = strlen(suffix);
		if (sl && e->etag_len + sl < sizeof e->etag) {
			/* inside the quotes: "...-gzip" */
			memcpy(e->etag + e->etag_len - 1, suffix, sl);
			e->etag_len += sl;
			e->etag[e->etag_len - 1] = '"';
			e->etag[e->etag_len] = '\0';
		}
	}
	e->last_modified_t = http_date_clamp(m->last_modified ? m->last_modified : st->st_mtim.tv_sec);
	http_date_format(e->last_modified_t, e->last_modified);
	int n = snprintf(e->hdr, hdr_cap,
			 "Content-Type: %s\r\nContent-Length: %llu\r\n%s%s"
			 "Last-Modified: %s\r\nETag: %s\r\n%.*s",
			 m->type, (unsigned long long)e->size, cl,
			 /* ranges are served from the identity form only */
			 strncmp(cl, "Content-Encoding", 16) == 0 ? "" : "Accept-Ranges: bytes\r\n",
			 e->last_modified, e->etag, (int)m->hdr_extra.len, m->hdr_extra.ptr);
	e->hdr_len = n > 0 && (size_t)n < hdr_cap ? (size_t)n : 0;
	e->body = body;
	if (!fc->buckets) {
		/* Caching is off: the entry only carries this response. */
		atomic_init(&e->refs, 1);
		return e;
	}
	atomic_init(&e->refs, 2); /* the cache's and the caller's */
	e->linked = true;

	pthread_mutex_lock(&fc->lock);
	/* A key is in the cache once: a new version replaces the old. */
	struct fc_entry **b = &fc->buckets[e->hash & (fc->nbuckets - 1)];
	for (struct fc_entry *o = *b; o; o = o->hnext) {
		if (key_eq(o, e->hash, k)) {
			unlink_locked(fc, o);
			break;
		}
	}
	while (fc->lru_tail && fc->count >= fc->max_count)
		unlink_locked(fc, fc->lru_tail);
	e->hnext = *b;
	*b = e;
	lru_push(fc, e);
	fc->count++;
	fc->cached += body ? body->cap : 0;
	pthread_mutex_unlock(&fc->lock);
	return e;
}
