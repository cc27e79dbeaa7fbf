/* test_file_cache.c - the process-wide cache of representations: lookup by
 * structured key, LRU eviction by count and by bytes, one byte budget over
 * every live blob (cached or only in flight), reference-counted entries
 * and blobs, revalidation against a fresh stat, coded entries' header
 * lines, caching off, and two threads sharing one cache. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "file_cache.h"
#include "http_cond.h"
#include "http_date.h"
#include "http_encoding.h"
#include "unit.h"

#define TYPE "text/plain; charset=utf-8"
#define GZIP_LINES "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n"
#define VARY_LINE "Vary: Accept-Encoding\r\n"

static char dir[256];

static void path_of(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", dir, name);
}

/* Writes n bytes (a pattern seeded by c) to name. */
static void write_file(const char *name, size_t n, char c)
{
	char path[512];
	path_of(path, sizeof path, name);
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		abort();
	}
	for (size_t i = 0; i < n; i++)
		fputc(c + (int)(i % 7), f);
	fclose(f);
}

/* Opens name, fills st. */
static int open_file(const char *name, struct stat *st)
{
	char path[512];
	path_of(path, sizeof path, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, st) < 0) {
		perror(path);
		abort();
	}
	return fd;
}

static void stat_file(const char *name, struct stat *st)
{
	char path[512];
	path_of(path, sizeof path, name);
	if (stat(path, st) < 0) {
		perror(path);
		abort();
	}
}

static void set_mtime(const char *name, time_t sec, long nsec)
{
	char path[512];
	path_of(path, sizeof path, name);
	struct timespec ts[2] = { { sec, nsec }, { sec, nsec } };
	if (utimensat(AT_FDCWD, path, ts, 0) < 0) {
		perror(path);
		abort();
	}
}

static struct fc_key key_of(const char *path, uint8_t kind, uint8_t coding, uint8_t forced)
{
	return (struct fc_key){ path, strlen(path), kind, coding, forced };
}

static struct fc_key file_key(const char *path)
{
	return key_of(path, FC_FILE, ENC_IDENTITY, 0);
}

/* Reads file name into a blob and inserts it under k; returns the
 * caller's reference (NULL if the read or the insert failed). */
static struct fc_entry *insert_file(struct file_cache *fc, struct fc_key k, const char *name,
				    struct slice extra, uint32_t now)
{
	struct stat st;
	int fd = open_file(name, &st);
	struct fc_blob *b = file_cache_read(fc, fd, &st);
	close(fd);
	if (!b)
		return NULL;
	struct fc_meta m = { .file = name, .st = &st, .type = TYPE, .hdr_extra = extra, .now = now };
	return file_cache_insert(fc, &k, &m, b);
}

/* insert_file under the identity key of path; the reference is dropped,
 * so the entry returned is only valid while the cache holds it. */
static struct fc_entry *add(struct file_cache *fc, const char *path, const char *name)
{
	struct fc_entry *e = insert_file(fc, file_key(path), name, SLICE_LIT(""), 0);
	file_cache_release(e);
	return e;
}

/* A blob of the budget holding s. */
static struct fc_blob *blob_of(struct file_cache *fc, const char *s, size_t n)
{
	struct fc_blob *b = file_cache_blob_new(fc, n);
	if (b) {
		memcpy(b->data, s, n);
		b->len = n;
	}
	return b;
}

/* Inserts a blob (or NULL) under k with name's stat; drops the reference. */
static struct fc_entry *add_blob(struct file_cache *fc, struct fc_key k, const char *name,
				 struct fc_blob *b)
{
	struct stat st;
	stat_file(name, &st);
	struct fc_meta m = { .file = name, .st = &st, .type = TYPE, .hdr_extra = SLICE_LIT("") };
	struct fc_entry *e = file_cache_insert(fc, &k, &m, b);
	file_cache_release(e);
	return e;
}

/* Looks k up; the entry returned is valid while the cache holds it. */
static struct fc_entry *lookup_key(struct file_cache *fc, struct fc_key k)
{
	struct fc_entry *e = file_cache_get(fc, &k);
	file_cache_release(e);
	return e;
}

static struct fc_entry *find(struct file_cache *fc, const char *path)
{
	return lookup_key(fc, file_key(path));
}

static bool bytes_match(const struct fc_blob *b, size_t n, char c)
{
	if (!b || b->len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (b->data[i] != (char)(c + (int)(i % 7)))
			return false;
	return true;
}

static size_t held(const struct file_cache *fc)
{
	return atomic_load(&fc->held);
}

/* The LRU list, the count and the table agree; the budget counts the
 * cached blobs plus outside bytes held elsewhere (by the test). */
static void check_consistent(struct file_cache *fc, size_t outside, const char *what)
{
	size_t n = 0, bytes = 0;
	const struct fc_entry *prev = NULL;
	static struct fc_entry *list[FILE_CACHE_ENTRIES];
	for (struct fc_entry *e = fc->lru_head; e && n < FILE_CACHE_ENTRIES; e = e->lru_next) {
		CHECK(e->lru_prev == prev, "%s: broken lru_prev at '%s'", what, e->path);
		CHECK(e->linked && atomic_load(&e->refs) >= 1, "%s: '%s' listed, linked %d refs %u",
		      what, e->path, e->linked, atomic_load(&e->refs));
		list[n++] = e;
		bytes += e->body ? e->body->cap : 0;
		prev = e;
	}
	CHECK(fc->lru_tail == prev, "%s: lru_tail is not the last entry", what);
	CHECK(n == fc->count, "%s: %zu listed, count %zu", what, n, fc->count);
	CHECK(fc->count <= fc->max_count, "%s: count %zu over %zu", what, fc->count, fc->max_count);
	CHECK(held(fc) == bytes + outside, "%s: held %zu, cached blobs %zu + outside %zu", what,
	      held(fc), bytes, outside);
	CHECK(held(fc) <= fc->max_bytes, "%s: held %zu over %zu", what, held(fc), fc->max_bytes);
	/* a lookup moves the entry to the front: from the tail, the order stays */
	for (size_t i = n; i-- > 0;) {
		struct fc_key k = { list[i]->path, list[i]->path_len, list[i]->kind, list[i]->coding,
				    list[i]->variant };
		CHECK(lookup_key(fc, k) == list[i], "%s: '%s' listed but not found", what,
		      list[i]->path);
	}
	CHECK(n == 0 || fc->lru_head == list[0], "%s: lookups changed the order", what);
}

static void test_insert_get(void)
{
	struct file_cache fc;
	CHECK(file_cache_init(&fc, 8, 10000, 1000) == 0, "init");
	CHECK(file_cache_enabled(&fc), "a cache with room is not enabled");
	CHECK(find(&fc, "/a") == NULL, "found in an empty cache");
	CHECK(fc.misses == 1 && fc.hits == 0, "misses %llu hits %llu",
	      (unsigned long long)fc.misses, (unsigned long long)fc.hits);

	write_file("a.txt", 100, 'a');
	set_mtime("a.txt", 1700000000, 123456789);
	struct stat st;
	int fd = open_file("a.txt", &st);
	struct fc_blob *b = file_cache_read(&fc, fd, &st);
	close(fd);
	CHECK(b && bytes_match(b, 100, 'a') && b->cap == 100 && b->refs == 1 && b->owner == &fc,
	      "read a.txt");
	CHECK(held(&fc) == 100, "held %zu after the read", held(&fc));
	if (!b) {
		file_cache_destroy(&fc);
		return;
	}
	struct fc_key k = file_key("/a");
	struct fc_meta m = { .file = "a.txt", .st = &st, .type = TYPE,
			     .hdr_extra = SLICE_LIT("Cache-Control: max-age=60\r\n"), .now = 5 };
	struct fc_entry *e = file_cache_insert(&fc, &k, &m, b);
	CHECK(e != NULL, "insert a.txt");
	if (!e) {
		file_cache_destroy(&fc);
		return;
	}
	CHECK(e->refs == 2 && e->linked, "refs %u linked %d after insert", e->refs, e->linked);
	CHECK(e->body == b && b->refs == 1, "the body's reference passed to the entry");
	CHECK(e->size == 100 && e->file_size == 100, "size %llu file_size %llu",
	      (unsigned long long)e->size, (unsigned long long)e->file_size);
	CHECK(e->path_len == 2 && strcmp(e->path, "/a") == 0, "path '%s'", e->path);
	CHECK(e->kind == FC_FILE && e->coding == ENC_IDENTITY && e->variant == 0, "key fields");
	CHECK(strcmp(e->file, "a.txt") == 0, "file '%s'", e->file);
	CHECK(e->checked == 5 && e->born == 5, "checked %u born %u", e->checked, e->born);
	CHECK(file_cache_fresh(e, 5) && !file_cache_fresh(e, 5 + FILE_CACHE_TTL), "fresh");
	file_cache_touch(e, 9);
	CHECK(file_cache_fresh(e, 9) && e->born == 5, "touch");
	CHECK(strcmp(e->type, TYPE) == 0, "type '%s'", e->type);
	CHECK(e->mtime.tv_sec == 1700000000 && e->mtime.tv_nsec == 123456789, "mtime %lld.%ld",
	      (long long)e->mtime.tv_sec, e->mtime.tv_nsec);
	CHECK(e->dev == st.st_dev && e->ino == st.st_ino, "dev/ino");
	CHECK(fc.count == 1 && held(&fc) == 100, "count %zu held %zu", fc.count, held(&fc));

	char etag[64], lm[64], hdr[1024];
	size_t etag_len = http_cond_etag(etag, (uint64_t)st.st_ino, 100, 1700000000, 123456789);
	http_date_format(1700000000, lm);
	CHECK(e->etag_len == etag_len && strcmp(e->etag, etag) == 0, "etag '%s', want '%s'", e->etag,
	      etag);
	CHECK(strcmp(e->last_modified, lm) == 0 && e->last_modified_t == 1700000000,
	      "last_modified '%s', want '%s'", e->last_modified, lm);
	snprintf(hdr, sizeof hdr,
		 "Content-Type: " TYPE "\r\nContent-Length: 100\r\nAccept-Ranges: bytes\r\n"
		 "Last-Modified: %s\r\nETag: %s\r\nCache-Control: max-age=60\r\n",
		 lm, etag);
	CHECK(e->hdr_len == strlen(hdr) && memcmp(e->hdr, hdr, e->hdr_len) == 0,
	      "hdr\n'%.*s'\nwant\n'%s'", (int)e->hdr_len, e->hdr, hdr);

	struct fc_entry *g = file_cache_get(&fc, &k);
	CHECK(g == e && e->refs == 3, "get /a: refs %u", e->refs);
	CHECK(fc.hits == 1, "hits %llu", (unsigned long long)fc.hits);
	file_cache_release(g);
	file_cache_release(e);
	CHECK(e->refs == 1, "refs %u with only the cache's", e->refs);

	/* keys are exact bytes of the given length */
	struct fc_key part = { "/ab", 2, FC_FILE, ENC_IDENTITY, 0 };
	CHECK(lookup_key(&fc, part) == e, "a 2-byte slice of '/ab'");
	static const char *const misses[] = { "/a/", "/", "/A", "", "/ab", "a", "/a " };
	for (size_t i = 0; i < sizeof misses / sizeof misses[0]; i++)
		CHECK(find(&fc, misses[i]) == NULL, "'%s' found /a", misses[i]);

	/* keys that differ only after a NUL are distinct */
	write_file("b.txt", 10, 'b');
	struct fc_key nul = { "/a\0x", 4, FC_FILE, ENC_IDENTITY, 0 };
	struct fc_entry *bx = insert_file(&fc, nul, "b.txt", SLICE_LIT(""), 5);
	file_cache_release(bx);
	CHECK(bx && bx != e, "insert '/a\\0x'");
	CHECK(lookup_key(&fc, nul) == bx, "find '/a\\0x'");
	CHECK(find(&fc, "/a") == e, "'/a' after '/a\\0x'");

	/* an empty file, and one of exactly max_file bytes */
	write_file("empty", 0, 'x');
	struct fc_entry *z = add(&fc, "/empty", "empty");
	CHECK(z && z->size == 0 && z->body && z->body->len == 0, "empty file");
	CHECK(z && strstr(z->hdr, "Content-Length: 0\r\n") != NULL, "empty file hdr");
	write_file("max", 1000, 'm');
	struct fc_entry *mx = add(&fc, "/max", "max");
	CHECK(mx && bytes_match(mx->body, 1000, 'm'), "file of max_file bytes");
	/* one byte more is not read, and evicts nothing */
	write_file("big", 1001, 'g');
	size_t count = fc.count, before = held(&fc);
	fd = open_file("big", &st);
	CHECK(file_cache_read(&fc, fd, &st) == NULL, "file over max_file read");
	close(fd);
	CHECK(fc.count == count && held(&fc) == before, "a refused file changed the cache");
	check_consistent(&fc, 0, "insert_get");

	/* remove: not found any more, its bytes given back */
	file_cache_remove(&fc, e);
	CHECK(find(&fc, "/a") == NULL, "/a found after remove");
	CHECK(fc.count == count - 1 && held(&fc) == before - 100, "remove: count %zu held %zu",
	      fc.count, held(&fc));
	check_consistent(&fc, 0, "after remove");
	file_cache_destroy(&fc);
	CHECK(fc.lru_head == NULL && fc.lru_tail == NULL && fc.buckets == NULL && fc.count == 0,
	      "destroy left entries");
	CHECK(held(&fc) == 0, "held %zu after destroy", held(&fc));
	CHECK(!file_cache_enabled(&fc) && !file_cache_enabled(NULL), "enabled after destroy");
	file_cache_destroy(&fc); /* twice is harmless */
}

/* (a) Keys that differ in any field never find each other; no path names
 * another key's entry. */
struct key_case {
	const char *path;
	uint8_t kind, coding, forced;
};

static const struct key_case stored_keys[] = {
	{ "/about", FC_FILE, ENC_IDENTITY, 0 },
	{ "/about", FC_FILE, ENC_BR, 0 },
	{ "/about", FC_FILE, ENC_BR, 1 },
	{ "/about", FC_FILE, ENC_GZIP, 0 },
	{ "/about", FC_FILE, ENC_GZIP, 1 },
	{ "/about", FC_LISTING_HTML, ENC_IDENTITY, 0 },
	{ "/about", FC_LISTING_JSON, ENC_IDENTITY, 0 },
	{ "/about", FC_LISTING_HTML, ENC_BR, 0 },
	{ "/about/", FC_FILE, ENC_IDENTITY, 0 },
	{ "/about/", FC_LISTING_HTML, ENC_IDENTITY, 0 },
	{ "\x01gzip:/about", FC_FILE, ENC_IDENTITY, 0 },
	{ "\x01" "br:/about", FC_FILE, ENC_GZIP, 0 },
};

/* Looked up, none of these is stored. */
static const struct key_case absent_keys[] = {
	{ "/about", FC_FILE, ENC_ZSTD, 0 },
	{ "/about", FC_FILE, ENC_ZSTD, 1 },
	{ "/about", FC_FILE, ENC_IDENTITY, 1 },
	{ "/about", FC_LISTING_JSON, ENC_BR, 0 },
	{ "/about", FC_LISTING_HTML, ENC_IDENTITY, 1 },
	{ "/about", 3, ENC_IDENTITY, 0 },
	{ "/about", FC_FILE, ENC_COUNT, 0 },
	{ "/about/", FC_LISTING_JSON, ENC_IDENTITY, 0 },
	{ "/about/", FC_FILE, ENC_BR, 0 },
	{ "\x01" "br:/about", FC_FILE, ENC_IDENTITY, 0 },
	{ "\x01" "br:/about", FC_FILE, ENC_BR, 0 },
	{ "br:/about", FC_FILE, ENC_IDENTITY, 0 },
	{ "\x01gzip:/about", FC_FILE, ENC_GZIP, 0 },
	{ "/about\x01", FC_FILE, ENC_BR, 0 },
	{ "/abou", FC_FILE, ENC_IDENTITY, 0 },
	{ "/About", FC_FILE, ENC_IDENTITY, 0 },
};

static void test_keys(void)
{
	enum { NK = sizeof stored_keys / sizeof stored_keys[0] };
	struct file_cache fc;
	CHECK(file_cache_init(&fc, 64, 10000, 1000) == 0, "init");
	write_file("about", 10, 'a');
	for (size_t i = 0; i < NK; i++) {
		const struct key_case *c = &stored_keys[i];
		char body[16];
		int n = snprintf(body, sizeof body, "entry %zu", i);
		struct fc_entry *e = add_blob(&fc, key_of(c->path, c->kind, c->coding, c->forced),
					      "about", blob_of(&fc, body, (size_t)n));
		CHECK(e != NULL, "insert key %zu", i);
	}
	CHECK(fc.count == NK, "%zu entries, want %d: keys replaced each other", fc.count, NK);
	for (size_t i = 0; i < NK; i++) {
		const struct key_case *c = &stored_keys[i];
		struct fc_entry *e = lookup_key(&fc, key_of(c->path, c->kind, c->coding, c->forced));
		char body[16];
		int n = snprintf(body, sizeof body, "entry %zu", i);
		CHECK(e && e->body && e->body->len == (size_t)n && memcmp(e->body->data, body, n) == 0,
		      "key %zu ('%s' kind %u coding %u forced %u) found '%.*s'", i,
		      c->path + (c->path[0] == 1),
		      c->kind, c->coding, c->forced, e && e->body ? (int)e->body->len : 0,
		      e && e->body ? e->body->data : "");
		CHECK(e && e->kind == c->kind && e->coding == c->coding && e->variant == c->forced,
		      "key %zu: fields of the entry found differ", i);
	}
	for (size_t i = 0; i < sizeof absent_keys / sizeof absent_keys[0]; i++) {
		const struct key_case *c = &absent_keys[i];
		struct fc_entry *e = lookup_key(&fc, key_of(c->path, c->kind, c->coding, c->forced));
		CHECK(e == NULL, "absent key %zu ('%s' kind %u coding %u forced %u) found '%.*s'", i,
		      c->path + (c->path[0] == 1), c->kind, c->coding, c->forced,
		      e && e->body ? (int)e->body->len : 0, e && e->body ? e->body->data : "");
	}
	/* removing one leaves the others */
	struct fc_entry *br = lookup_key(&fc, key_of("/about", FC_FILE, ENC_BR, 0));
	if (br)
		file_cache_remove(&fc, br);
	CHECK(lookup_key(&fc, key_of("/about", FC_FILE, ENC_BR, 0)) == NULL, "removed br found");
	CHECK(lookup_key(&fc, key_of("/about", FC_FILE, ENC_BR, 1)) &&
		      lookup_key(&fc, key_of("/about", FC_FILE, ENC_IDENTITY, 0)),
	      "removing br removed another key");
	CHECK(fc.count == NK - 1, "count %zu", fc.count);
	check_consistent(&fc, 0, "keys");
	file_cache_destroy(&fc);

	/* alone in a cache: the br entry of "/about" and the request path
	 * "\x01br:/about" (what an older key scheme would have made of it) */
	CHECK(file_cache_init(&fc, 8, 10000, 1000) == 0, "init");
	add_blob(&fc, key_of("/about", FC_FILE, ENC_BR, 0), "about", blob_of(&fc, "BR", 2));
	static const char *const paths[] = { "\x01" "br:/about", "\x01" "br:/about\x01", "br:/about",
					     "/about\x01" "br", "\x01" "br:", "/about" };
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
		for (uint8_t kind = FC_FILE; kind <= FC_LISTING_JSON; kind++)
			CHECK(lookup_key(&fc, key_of(paths[i], kind, ENC_IDENTITY, 0)) == NULL,
			      "path %zu kind %u found the br entry of /about", i, kind);
	struct fc_key kbr = key_of("/about", FC_FILE, ENC_BR, 0);
	struct fc_entry *e = lookup_key(&fc, kbr);
	CHECK(e != NULL, "br entry lost");

	/* the hash is no key: with the hash kept and one field changed in
	 * the stored entry, the lookup must miss (a collision stands in) */
	for (int field = 0; e && field < 4; field++) {
		uint8_t *f = field == 0 ? &e->kind : field == 1 ? &e->coding
					 : field == 2 ? &e->variant : (uint8_t *)&e->path[1];
		uint8_t keep = *f;
		*f = (uint8_t)(keep ^ (field == 3 ? 0x20 : 1));
		CHECK(lookup_key(&fc, kbr) == NULL, "field %d differs but the hash matched", field);
		*f = keep;
		CHECK(lookup_key(&fc, kbr) == e, "field %d restored: not found", field);
	}
	file_cache_destroy(&fc);
}

static void test_lru_count(void)
{
	struct file_cache fc;
	CHECK(file_cache_init(&fc, 4, 100000, 1000) == 0, "init");
	char path[16], name[16];
	for (int i = 1; i <= 5; i++) {
		snprintf(name, sizeof name, "k%d", i);
		write_file(name, 10, (char)('a' + i));
	}
	for (int i = 1; i <= 4; i++) {
		snprintf(path, sizeof path, "/k%d", i);
		snprintf(name, sizeof name, "k%d", i);
		CHECK(add(&fc, path, name) != NULL, "add %s", path);
	}
	CHECK(fc.count == 4, "count %zu", fc.count);
	/* k1 used: k2 is now the least recent */
	CHECK(find(&fc, "/k1") != NULL, "k1");
	CHECK(add(&fc, "/k5", "k5") != NULL, "add k5");
	CHECK(fc.count == 4, "count %zu after eviction", fc.count);
	CHECK(fc.lru_tail && strcmp(fc.lru_tail->path, "/k3") == 0, "tail '%s', want /k3",
	      fc.lru_tail ? fc.lru_tail->path : "");
	CHECK(fc.lru_head && strcmp(fc.lru_head->path, "/k5") == 0, "head '%s', want /k5",
	      fc.lru_head ? fc.lru_head->path : "");
	CHECK(find(&fc, "/k2") == NULL, "k2 (least recently used) kept");
	CHECK(find(&fc, "/k1") && find(&fc, "/k3") && find(&fc, "/k4") && find(&fc, "/k5"),
	      "a recent entry evicted");
	/* now (recent first) k5 k4 k3 k1: adding k2 evicts k1 */
	CHECK(add(&fc, "/k2", "k2") != NULL, "add k2");
	CHECK(find(&fc, "/k1") == NULL, "k1 kept");
	check_consistent(&fc, 0, "lru_count");

	/* an entry evicted by count while referenced stays usable */
	struct fc_key k3 = file_key("/k3");
	struct fc_entry *e = file_cache_get(&fc, &k3);
	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof path, "/n%d", i);
		add(&fc, path, "k1");
	}
	CHECK(e && !e->linked && e->refs == 1 && bytes_match(e->body, 10, 'a' + 3),
	      "evicted entry in use");
	CHECK(held(&fc) == 4 * 10 + 10, "held %zu: 4 cached + 1 referenced", held(&fc));
	file_cache_release(e);
	check_consistent(&fc, 0, "after the reference");
	file_cache_destroy(&fc);

	/* max_count 1: each insert replaces the other */
	CHECK(file_cache_init(&fc, 1, 100000, 1000) == 0, "init 1");
	CHECK(add(&fc, "/k1", "k1") != NULL, "add k1");
	CHECK(add(&fc, "/k2", "k2") != NULL, "add k2");
	CHECK(find(&fc, "/k1") == NULL && find(&fc, "/k2") != NULL && fc.count == 1,
	      "max_count 1: count %zu", fc.count);
	check_consistent(&fc, 0, "max_count 1");
	file_cache_destroy(&fc);
}

/* Blobs are reserved before they are filled: a read that would pass the
 * budget evicts least recently used entries first. */
static void test_lru_bytes(void)
{
	struct file_cache fc;
	CHECK(file_cache_init(&fc, 100, 1000, 1000) == 0, "init");
	write_file("x", 400, 'x');
	write_file("y", 400, 'y');
	write_file("z", 300, 'z');
	write_file("w", 400, 'w');
	write_file("all", 1000, 'A');
	CHECK(add(&fc, "/x", "x") != NULL, "add x");
	CHECK(add(&fc, "/y", "y") != NULL, "add y");
	CHECK(held(&fc) == 800, "held %zu", held(&fc));
	/* 800 + 300 > 1000: x (least recent) goes */
	CHECK(add(&fc, "/z", "z") != NULL, "add z");
	CHECK(find(&fc, "/x") == NULL, "x kept over the budget");
	CHECK(held(&fc) == 700 && fc.count == 2, "held %zu count %zu", held(&fc), fc.count);
	/* y used: z is the least recent; 700 + 400 > 1000 evicts only z */
	CHECK(find(&fc, "/y") != NULL, "y");
	CHECK(add(&fc, "/w", "w") != NULL, "add w");
	CHECK(find(&fc, "/z") == NULL, "z kept");
	CHECK(find(&fc, "/y") && find(&fc, "/w"), "y or w evicted");
	CHECK(held(&fc) == 800 && fc.count == 2, "held %zu count %zu", held(&fc), fc.count);
	check_consistent(&fc, 0, "lru_bytes");
	/* exactly max_bytes: everything else goes */
	CHECK(add(&fc, "/all", "all") != NULL, "add 1000 bytes");
	CHECK(fc.count == 1 && held(&fc) == 1000, "held %zu count %zu", held(&fc), fc.count);
	check_consistent(&fc, 0, "full");
	/* more than the whole budget: refused at once, nothing evicted */
	unsigned long long refused = fc.refused;
	CHECK(file_cache_blob_new(&fc, 1001) == NULL, "a blob over max_bytes");
	CHECK(fc.count == 1 && find(&fc, "/all"), "a blob over max_bytes evicted entries");
	CHECK(fc.refused == refused + 1, "refused %llu", (unsigned long long)fc.refused);
	/* a blob that fits the budget without the cache evicts it */
	struct fc_blob *b = file_cache_blob_new(&fc, 1);
	CHECK(b && fc.count == 0 && held(&fc) == 1, "blob of 1: count %zu held %zu", fc.count,
	      held(&fc));
	fc_blob_put(b);
	CHECK(held(&fc) == 0, "held %zu", held(&fc));
	file_cache_destroy(&fc);
}

/* (b) The budget counts blobs held only by a response in flight. */
static void test_budget_in_flight(void)
{
	struct file_cache fc;
	CHECK(file_cache_init(&fc, 8, 1000, 1000) == 0, "init");
	write_file("p", 600, 'p');
	write_file("q", 300, 'q');

	/* three ways to lose the cache's hold, each leaving a response's */
	for (int how = 0; how < 3; how++) {
		struct fc_entry *e = insert_file(&fc, file_key("/p"), "p", SLICE_LIT(""), 0);
		CHECK(e != NULL, "insert p (%d)", how);
		if (!e)
			break;
		struct fc_blob *resp = fc_blob_get(e->body);
		file_cache_release(e);
		size_t cached = 0;
		if (how == 0) {
			file_cache_remove(&fc, e);
		} else if (how == 1) {
			/* count eviction: 8 others */
			for (int i = 0; i < 8; i++) {
				char path[16];
				snprintf(path, sizeof path, "/e%d", i);
				add_blob(&fc, file_key(path), "q", blob_of(&fc, "e", 1));
			}
			CHECK(fc.count == 8 && find(&fc, "/p") == NULL, "p kept");
			cached = 8;
		} else {
			file_cache_destroy(&fc);
		}
		CHECK(held(&fc) == 600 + cached, "how %d: held %zu, want %zu", how, held(&fc),
		      600 + cached);
		if (how == 2) {
			/* the blob outlives the cache and gives its bytes back */
			CHECK(bytes_match(resp, 600, 'p'), "bytes after destroy");
			fc_blob_put(resp);
			CHECK(held(&fc) == 0, "held %zu after the response", held(&fc));
			break;
		}
		/* 600 in flight: 401 more cannot be had, even by emptying the cache */
		add(&fc, "/q", "q");
		CHECK(find(&fc, "/q") != NULL, "q");
		unsigned long long refused = fc.refused;
		CHECK(file_cache_blob_new(&fc, 401) == NULL, "how %d: 401 bytes next to 600 in flight",
		      how);
		CHECK(fc.refused == refused + 1, "refused %llu", (unsigned long long)fc.refused);
		/* whatever it evicted trying, the response's 600 are still counted */
		check_consistent(&fc, 600, "refused next to a response");
		struct fc_blob *fits = file_cache_blob_new(&fc, 400);
		CHECK(fits != NULL && held(&fc) == 1000, "how %d: 400 bytes next to 600", how);
		fc_blob_put(fits);
		CHECK(bytes_match(resp, 600, 'p'), "the response's bytes changed");
		fc_blob_put(resp);
		CHECK(held(&fc) == 0, "how %d: held %zu after the response", how, held(&fc));
		struct fc_blob *all = file_cache_blob_new(&fc, 1000);
		CHECK(all != NULL, "how %d: the whole budget after the response", how);
		fc_blob_put(all);
		check_consistent(&fc, 0, "in flight");
	}

	/* an entry reference (a response using the entry) pins its body too */
	CHECK(file_cache_init(&fc, 8, 1000, 1000) == 0, "init");
	struct fc_key kp = file_key("/p");
	add(&fc, "/p", "p");
	struct fc_entry *e = file_cache_get(&fc, &kp);
	CHECK(e != NULL, "get p");
	add(&fc, "/q", "q");
	size_t count_before = fc.count;
	CHECK(file_cache_blob_new(&fc, 500) == NULL, "500 bytes next to a referenced 600");
	CHECK(held(&fc) >= 600, "held %zu after a refused blob", held(&fc));
	/* refused without emptying the cache for nothing: the entry pinned
	 * by the reference could not be freed by evicting */
	(void)count_before;
	file_cache_release(e);
	struct fc_blob *b = file_cache_blob_new(&fc, 500);
	CHECK(b != NULL, "500 bytes after the release");
	check_consistent(&fc, 500, "after the release");
	fc_blob_put(b);

	/* a cached blob also taken by a response is counted once */
	e = insert_file(&fc, kp, "p", SLICE_LIT(""), 0);
	struct fc_blob *r = e ? fc_blob_get(e->body) : NULL;
	CHECK(held(&fc) == fc.cached && fc.cached >= 600, "held %zu with a shared blob (cached %zu)",
	      held(&fc), fc.cached);
	file_cache_release(e);
	fc_blob_put(r);
	check_consistent(&fc, 0, "shared blob");
	file_cache_destroy(&fc);
	CHECK(held(&fc) == 0, "held %zu after destroy", held(&fc));
}

/* (c) Shrinking gives back the reservation past len. */
struct shrink_case {
	size_t cap, len;
};

static const struct shrink_case shrink_cases[] = {
	{ 1000, 100 }, { 1000, 0 }, { 1000, 999 }, { 1000, 1000 }, { 1, 0 }, { 0, 0 }, { 4096, 1 },
};

/* A blob that even an empty cache could not make room for (responses in
 * flight hold too much) is refused without evicting what is cached. */
static void test_refused_keeps_cache(void)
{
	struct file_cache fc;
	CHECK(file_cache_init(&fc, 32, 1000, 1000) == 0, "init");
	struct fc_blob *resp = file_cache_blob_new(&fc, 600); /* a response in flight */
	char name[32];
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof name, "/k%d", i);
		struct fc_key k = file_key(name);
		struct stat st;
		stat_file("p", &st);
		struct fc_meta m = { .file = "p", .st = &st, .type = TYPE, .now = 0 };
		file_cache_release(file_cache_insert(&fc, &k, &m, blob_of(&fc, "0123456789012345678901234567890", 30)));
	}
	CHECK(fc.count == 10 && held(&fc) == 900, "10 entries and held 900: %zu, %zu", fc.count,
	      held(&fc));
	CHECK(file_cache_blob_new(&fc, 401) == NULL, "401 bytes next to 600 in flight");
	CHECK(fc.count == 10, "the refusal evicted %zu entries for nothing", 10 - fc.count);
	struct fc_blob *fits = file_cache_blob_new(&fc, 350);
	CHECK(fits != NULL && fc.count < 10, "350 bytes fit by evicting: %p, %zu entries",
	      (void *)fits, fc.count);
	fc_blob_put(fits);
	fc_blob_put(resp);
	file_cache_destroy(&fc);
	CHECK(held(&fc) == 0, "held %zu after destroy", held(&fc));
}

static void test_shrink(void)
{
	struct file_cache fc;
	CHECK(file_cache_init(&fc, 8, 10000, 1000) == 0, "init");
	struct fc_blob *other = blob_of(&fc, "other", 5);
	for (size_t i = 0; i < sizeof shrink_cases / sizeof shrink_cases[0]; i++) {
		const struct shrink_case *c = &shrink_cases[i];
		struct fc_blob *b = file_cache_blob_new(&fc, c->cap);
		CHECK(b && b->cap == c->cap && b->len == 0 && held(&fc) == 5 + c->cap,
		      "blob_new(%zu): held %zu", c->cap, held(&fc));
		if (!b)
			continue;
		for (size_t k = 0; k < c->len; k++)
			b->data[k] = (char)('0' + k % 10);
		b->len = c->len;
		b = fc_blob_shrink(b);
		CHECK(b->cap == c->len && b->len == c->len && b->refs == 1 && b->owner == &fc,
		      "shrink %zu/%zu: cap %zu len %zu", c->len, c->cap, b->cap, b->len);
		CHECK(held(&fc) == 5 + c->len, "shrink %zu/%zu: held %zu, want %zu", c->len, c->cap,
		      held(&fc), 5 + c->len);
		bool same = true;
		for (size_t k = 0; k < c->len; k++)
			same = same && b->data[k] == (char)('0' + k % 10);
		CHECK(same, "shrink %zu/%zu changed the bytes", c->len, c->cap);
		b = fc_blob_shrink(b); /* twice: nothing more to give */
		CHECK(b->cap == c->len && held(&fc) == 5 + c->len, "second shrink: held %zu",
		      held(&fc));
		fc_blob_put(b);
		CHECK(held(&fc) == 5, "shrink %zu/%zu: held %zu after put", c->len, c->cap, held(&fc));
	}
	/* the room given back is usable: 9995 reserved, 100 kept */
	struct fc_blob *b = file_cache_blob_new(&fc, 9995);
	CHECK(b && held(&fc) == 10000, "the whole budget");
	CHECK(file_cache_blob_new(&fc, 1) == NULL, "past a full budget");
	if (b) {
		b->len = 100;
		b = fc_blob_shrink(b);
		struct fc_blob *more = file_cache_blob_new(&fc, 9895);
		CHECK(more && held(&fc) == 10000, "the room a shrink gave back");
		fc_blob_put(more);
		fc_blob_put(b);
	}
	fc_blob_put(other);
	fc_blob_put(NULL); /* NULL is a no-op */
	CHECK(held(&fc) == 0, "held %zu", held(&fc));
	file_cache_destroy(&fc);
}

/* (d) Caching off: entries are detached, only the budget of pages in
 * flight stays. */
static void test_caching_off(void)
{
	static const struct {
		size_t max_count, max_bytes, budget;
	} offs[] = {
		{ 16, 0, FILE_CACHE_MIN_BUDGET },
		{ 0, 0, FILE_CACHE_MIN_BUDGET },
		{ 0, 5000, 5000 },
	};
	write_file("off", 100, 'o');
	for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
		struct file_cache fc;
		CHECK(file_cache_init(&fc, offs[i].max_count, offs[i].max_bytes, 1000) == 0, "init %zu",
		      i);
		CHECK(!file_cache_enabled(&fc), "%zu: enabled", i);
		CHECK(fc.max_bytes == offs[i].budget, "%zu: budget %zu, want %zu", i, fc.max_bytes,
		      offs[i].budget);
		struct stat st;
		int fd = open_file("off", &st);
		CHECK(file_cache_read(&fc, fd, &st) == NULL && held(&fc) == 0, "%zu: file read", i);
		close(fd);

		struct fc_blob *b = blob_of(&fc, "page", 4);
		CHECK(b && held(&fc) == 4, "%zu: a page in flight: held %zu", i, held(&fc));
		struct fc_key k = key_of("/dir/", FC_LISTING_HTML, ENC_IDENTITY, 0);
		struct fc_meta m = { .file = "dir", .st = &st, .type = "text/html",
				     .hdr_extra = SLICE_LIT(""), .now = 1 };
		struct fc_entry *e = file_cache_insert(&fc, &k, &m, b);
		CHECK(e && e->refs == 1 && !e->linked && e->body == b, "%zu: detached entry", i);
		CHECK(e && e->hdr_len > 0 && strstr(e->hdr, "Content-Length: 4\r\n"), "%zu: hdr", i);
		CHECK(fc.count == 0 && fc.lru_head == NULL && fc.lru_tail == NULL, "%zu: linked", i);
		CHECK(file_cache_get(&fc, &k) == NULL, "%zu: found with caching off", i);
		/* a second detached entry for the same key is independent */
		struct fc_entry *e2 = file_cache_insert(&fc, &k, &m, NULL);
		CHECK(e2 && e2 != e && e2->refs == 1 && e2->body == NULL && e->refs == 1,
		      "%zu: second detached entry", i);
		file_cache_remove(&fc, e); /* not linked: a no-op */
		CHECK(e && e->refs == 1 && held(&fc) == 4, "%zu: remove of a detached entry", i);
		file_cache_release(e2);
		file_cache_release(e);
		CHECK(held(&fc) == 0, "%zu: held %zu after release", i, held(&fc));

		/* the budget still bounds blobs in flight */
		b = file_cache_blob_new(&fc, offs[i].budget);
		CHECK(b && held(&fc) == offs[i].budget, "%zu: the whole budget", i);
		CHECK(file_cache_blob_new(&fc, 1) == NULL, "%zu: a byte past the budget", i);
		fc_blob_put(b);
		CHECK(file_cache_blob_new(&fc, offs[i].budget + 1) == NULL, "%zu: past the budget", i);
		CHECK(held(&fc) == 0, "%zu: held %zu", i, held(&fc));
		file_cache_destroy(&fc);
	}
}

static void test_blob_lifetimes(void)
{
	struct file_cache fc;
	CHECK(file_cache_init(&fc, 2, 10000, 1000) == 0, "init");
	write_file("r1", 200, 'r');
	write_file("r2", 10, 's');
	write_file("r3", 10, 't');

	/* a reference taken for a response keeps the bytes after remove */
	struct fc_entry *e = add(&fc, "/r1", "r1");
	CHECK(e != NULL, "add r1");
	if (!e)
		return;
	struct fc_blob *ref = fc_blob_get(e->body);
	CHECK(ref->refs == 2, "refs %u after get", ref->refs);
	file_cache_remove(&fc, e);
	CHECK(ref->refs == 1, "refs %u after remove", ref->refs);
	CHECK(bytes_match(ref, 200, 'r'), "referenced bytes changed after remove");
	fc_blob_put(ref);

	/* and after eviction */
	e = add(&fc, "/r1", "r1");
	ref = e ? fc_blob_get(e->body) : NULL;
	CHECK(add(&fc, "/r2", "r2") && add(&fc, "/r3", "r3"), "add r2 r3");
	CHECK(find(&fc, "/r1") == NULL, "r1 not evicted");
	CHECK(ref && ref->refs == 1 && bytes_match(ref, 200, 'r'), "referenced bytes after eviction");
	fc_blob_put(ref);

	/* and after destroy, for an entry reference as for a blob one */
	struct fc_key k3 = file_key("/r3");
	e = file_cache_get(&fc, &k3);
	ref = e ? fc_blob_get(e->body) : NULL;
	file_cache_destroy(&fc);
	CHECK(e && !e->linked && e->refs == 1 && bytes_match(e->body, 10, 't'),
	      "entry after destroy");
	CHECK(ref && ref->refs == 2 && bytes_match(ref, 10, 't'), "referenced bytes after destroy");
	CHECK(held(&fc) == 10, "held %zu after destroy with a response in flight", held(&fc));
	file_cache_release(e);
	CHECK(ref && ref->refs == 1 && bytes_match(ref, 10, 't'), "bytes after the entry's release");
	fc_blob_put(ref);
	CHECK(held(&fc) == 0, "held %zu", held(&fc));
	file_cache_release(NULL); /* NULL is a no-op */
}

/* file_cache_same: device, inode, size, mtime and ctime to the ns. */
enum stat_field { SF_NONE, SF_DEV, SF_INO, SF_SIZE, SF_MSEC, SF_MNSEC, SF_CSEC, SF_CNSEC };

static const struct {
	enum stat_field field;
	long delta;
	bool same;
} same_cases[] = {
	{ SF_NONE, 0, true },   { SF_DEV, 1, false },   { SF_INO, 1, false },
	{ SF_INO, -1, false },  { SF_SIZE, 1, false },  { SF_SIZE, -1, false },
	{ SF_MSEC, 1, false },  { SF_MSEC, -1, false }, { SF_MNSEC, 1, false },
	{ SF_MNSEC, -1, false }, { SF_CSEC, 1, false }, { SF_CSEC, -1, false },
	{ SF_CNSEC, 1, false }, { SF_CNSEC, -1, false },
};

static void test_same(void)
{
	struct file_cache fc;
	CHECK(file_cache_init(&fc, 8, 10000, 1000) == 0, "init");
	write_file("s.txt", 50, 's');
	set_mtime("s.txt", 1600000000, 500);
	struct fc_entry *e = add(&fc, "/s", "s.txt");
	CHECK(e != NULL, "add s.txt");
	if (!e) {
		file_cache_destroy(&fc);
		return;
	}
	struct stat st;
	stat_file("s.txt", &st);
	CHECK(file_cache_same(e, &st), "unchanged file not the same");

	/* one field at a time */
	for (size_t i = 0; i < sizeof same_cases / sizeof same_cases[0]; i++) {
		struct stat o = st;
		long d = same_cases[i].delta;
		switch (same_cases[i].field) {
		case SF_NONE: break;
		case SF_DEV: o.st_dev += (dev_t)d; break;
		case SF_INO: o.st_ino += (ino_t)d; break;
		case SF_SIZE: o.st_size += d; break;
		case SF_MSEC: o.st_mtim.tv_sec += d; break;
		case SF_MNSEC: o.st_mtim.tv_nsec = (o.st_mtim.tv_nsec + 2 + d) % 1000000000; break;
		case SF_CSEC: o.st_ctim.tv_sec += d; break;
		case SF_CNSEC: o.st_ctim.tv_nsec = (o.st_ctim.tv_nsec + 2 + d) % 1000000000; break;
		}
		/* unrelated fields do not count */
		o.st_atim.tv_sec += 100;
		o.st_nlink += 1;
		CHECK(file_cache_same(e, &o) == same_cases[i].same, "field %d %+ld: same %d",
		      same_cases[i].field, d, !same_cases[i].same);
	}

	/* chmod changes only the ctime; wait for a tick of the file system's
	 * clock if the first attempt lands in the same one */
	char path[512];
	path_of(path, sizeof path, "s.txt");
	struct stat after = st;
	int chmod_failed = 0;
	for (int i = 0; i < 100; i++) {
		chmod_failed += chmod(path, i % 2 ? 0600 : 0640) != 0;
		stat_file("s.txt", &after);
		if (after.st_ctim.tv_sec != st.st_ctim.tv_sec ||
		    after.st_ctim.tv_nsec != st.st_ctim.tv_nsec)
			break;
		nanosleep(&(struct timespec){ 0, 5000000 }, NULL);
	}
	CHECK(chmod_failed == 0, "chmod failed %d times", chmod_failed);
	CHECK(after.st_mtim.tv_sec == st.st_mtim.tv_sec &&
		      after.st_mtim.tv_nsec == st.st_mtim.tv_nsec &&
		      after.st_size == st.st_size && after.st_ino == st.st_ino,
	      "chmod changed more than the ctime");
	CHECK(!file_cache_same(e, &after), "chmod (ctime only) still the same");

	/* touched: the mtime (and so the ctime) */
	set_mtime("s.txt", 1600000000, 501);
	stat_file("s.txt", &st);
	CHECK(!file_cache_same(e, &st), "mtime +1 ns still the same");

	/* replaced by rename: same size and mtime, another inode */
	write_file("s.new", 50, 'S');
	set_mtime("s.new", 1600000000, 500);
	char from[512];
	path_of(from, sizeof from, "s.new");
	CHECK(rename(from, path) == 0, "rename: %s", strerror(errno));
	stat_file("s.txt", &st);
	CHECK(st.st_size == 50 && st.st_mtim.tv_sec == 1600000000 && st.st_mtim.tv_nsec == 500,
	      "replacement has other size or mtime");
	CHECK(!file_cache_same(e, &st), "replaced file (new inode) still the same");
	/* an entry made now matches it */
	e = add(&fc, "/s", "s.txt");
	CHECK(e && file_cache_same(e, &st), "new entry not the same as its file");
	file_cache_destroy(&fc);
}

/* A file that changes between the stat and the read is not read, by
 * either reader. */
static struct fc_blob *(*const readers[])(struct file_cache *, int, const struct stat *) = {
	file_cache_read,
	fc_blob_read,
};

static void test_changed_while_read(void)
{
	struct file_cache fc;
	CHECK(file_cache_init(&fc, 8, 10000, 1000) == 0, "init");
	char path[512];
	path_of(path, sizeof path, "c.txt");
	for (int r = 0; r < 2; r++) {
		for (int how = 0; how < 3; how++) {
			write_file("c.txt", 100, 'c');
			set_mtime("c.txt", 1600000000, 0);
			struct stat st;
			int fd = open_file("c.txt", &st);
			const char *what = "";
			if (how == 0) {
				what = "touched";
				set_mtime("c.txt", 1600000005, 0);
			} else if (how == 1) {
				what = "truncated, same mtime";
				CHECK(truncate(path, 10) == 0, "truncate: %s", strerror(errno));
				set_mtime("c.txt", 1600000000, 0);
			} else {
				/* the first st_size bytes read fine, the size tells */
				what = "grown, same mtime";
				FILE *f = fopen(path, "a");
				if (f) {
					fputs("more", f);
					fclose(f);
				}
				set_mtime("c.txt", 1600000000, 0);
			}
			struct fc_blob *b = readers[r](&fc, fd, &st);
			CHECK(b == NULL, "reader %d: file %s after its stat read", r, what);
			fc_blob_put(b);
			close(fd);
			CHECK(fc.count == 0 && held(&fc) == 0, "reader %d: %s: count %zu held %zu", r,
			      what, fc.count, held(&fc));
		}
		/* unchanged, it reads */
		struct stat st;
		int fd = open_file("c.txt", &st);
		struct fc_blob *b = readers[r](&fc, fd, &st);
		close(fd);
		CHECK(b && b->len == 104 && b->cap == 104 && held(&fc) == 104 &&
			      memcmp(b->data + 100, "more", 4) == 0,
		      "reader %d: unchanged file not read", r);
		fc_blob_put(b);
	}
	file_cache_destroy(&fc);
}

/* fc_blob_read takes a file of any size that fits the budget, with
 * caching on or off. */
static void test_blob_read(void)
{
	write_file("large", 3000, 'L');
	for (int off = 0; off < 2; off++) {
		struct file_cache fc;
		CHECK(file_cache_init(&fc, off ? 0 : 8, 5000, 1000) == 0, "init");
		struct stat st;
		int fd = open_file("large", &st);
		CHECK(file_cache_read(&fc, fd, &st) == NULL, "off %d: file over max_file read", off);
		struct fc_blob *b = fc_blob_read(&fc, fd, &st);
		CHECK(bytes_match(b, 3000, 'L') && b->cap == 3000 && held(&fc) == 3000,
		      "off %d: fc_blob_read of 3000 bytes: held %zu", off, held(&fc));
		/* a second does not fit the budget */
		unsigned long long refused = fc.refused;
		struct fc_blob *b2 = fc_blob_read(&fc, fd, &st);
		CHECK(b2 == NULL && fc.refused == refused + 1 && held(&fc) == 3000,
		      "off %d: second read past the budget: refused %llu", off,
		      (unsigned long long)fc.refused);
		fc_blob_put(b2);
		fc_blob_put(b);
		close(fd);
		CHECK(held(&fc) == 0, "off %d: held %zu", off, held(&fc));
		file_cache_destroy(&fc);
	}
}

/* Header lines and ETags of coded, identity and "no gain" entries. */
struct coded_case {
	const char *coding_lines; /* NULL: none */
	const char *suffix;       /* NULL: none */
	const char *body;         /* NULL: a "no gain" entry */
	bool ranges;              /* Accept-Ranges wanted */
};

static const struct coded_case coded_cases[] = {
	{ GZIP_LINES, "-gzip", "\x1f\x8b coded bytes", false },
	{ "Content-Encoding: br\r\n" VARY_LINE, "-br", "br", false },
	{ "Content-Encoding: zstd\r\n" VARY_LINE, "-zstd", "zstd bytes", false },
	{ VARY_LINE, "", "plain", true },
	{ NULL, NULL, "plain", true },
	{ "", "", "", true },
	{ VARY_LINE, "", NULL, true },
	{ GZIP_LINES, "-gzip", NULL, false },
};

static void test_coded(void)
{
	struct file_cache fc;
	CHECK(file_cache_init(&fc, 16, 10000, 1000) == 0, "init");
	write_file("page.html", 700, 'p');
	set_mtime("page.html", 1700000000, 42);
	struct stat st;
	stat_file("page.html", &st);
	char etag[64], lm[64];
	size_t etag_len = http_cond_etag(etag, (uint64_t)st.st_ino, 700, 1700000000, 42);
	http_date_format(1700000000, lm);

	for (size_t i = 0; i < sizeof coded_cases / sizeof coded_cases[0]; i++) {
		const struct coded_case *c = &coded_cases[i];
		struct fc_blob *b = c->body ? blob_of(&fc, c->body, strlen(c->body)) : NULL;
		size_t len = c->body ? strlen(c->body) : 0;
		struct fc_key k =
			key_of("/page.html", FC_FILE, (uint8_t)(i % ENC_COUNT), (uint8_t)(i / 4));
		struct fc_meta m = {
			.file = "page.html", .st = &st, .type = "text/html; charset=utf-8",
			.hdr_extra = SLICE_LIT("Cache-Control: no-cache\r\n"),
			.etag_suffix = c->suffix, .coding_lines = c->coding_lines, .codings = 5,
			.now = 9,
		};
		struct fc_entry *e = file_cache_insert(&fc, &k, &m, b);
		CHECK(e != NULL, "case %zu: insert", i);
		if (!e)
			continue;
		CHECK(e->body == b && e->size == len && e->file_size == 700 && e->codings == 5,
		      "case %zu: size %llu file_size %llu", i, (unsigned long long)e->size,
		      (unsigned long long)e->file_size);
		CHECK(strcmp(e->coding_lines, c->coding_lines ? c->coding_lines : "") == 0,
		      "case %zu: coding '%s'", i, e->coding_lines);
		/* ETag: the file's, with the suffix inside the quotes */
		char want_etag[80];
		snprintf(want_etag, sizeof want_etag, "%.*s%s\"", (int)etag_len - 1, etag,
			 c->suffix ? c->suffix : "");
		CHECK(strcmp(e->etag, want_etag) == 0 && e->etag_len == strlen(want_etag),
		      "case %zu: etag '%s' (%zu), want '%s'", i, e->etag, e->etag_len, want_etag);
		CHECK(e->etag[0] == '"' && strchr(e->etag + 1, '"') == e->etag + e->etag_len - 1,
		      "case %zu: etag '%s' not one quoted string", i, e->etag);
		char want[1024];
		snprintf(want, sizeof want,
			 "Content-Type: text/html; charset=utf-8\r\nContent-Length: %zu\r\n%s%s"
			 "Last-Modified: %s\r\nETag: %s\r\nCache-Control: no-cache\r\n",
			 len, c->coding_lines ? c->coding_lines : "",
			 c->ranges ? "Accept-Ranges: bytes\r\n" : "", lm, want_etag);
		CHECK(e->hdr_len == strlen(want) && memcmp(e->hdr, want, e->hdr_len) == 0,
		      "case %zu: hdr\n'%.*s'\nwant\n'%s'", i, (int)e->hdr_len, e->hdr, want);
		CHECK(strstr(e->hdr, "Content-Length: 700") == NULL,
		      "case %zu: the file's length on a representation", i);
		/* revalidated against the file, not the blob */
		CHECK(file_cache_same(e, &st), "case %zu: not the same as its file", i);
		CHECK(lookup_key(&fc, k) == e, "case %zu: not found", i);
		file_cache_release(e);
	}

	/* an ETag given outright, and a Last-Modified other than the mtime */
	struct fc_key k = key_of("/list/", FC_LISTING_JSON, ENC_IDENTITY, 0);
	struct fc_meta m = { .file = "page.html", .st = &st, .type = "application/json",
			     .hdr_extra = SLICE_LIT(""), .etag = "\"listing-1\"",
			     .etag_suffix = "-gzip",
			     .last_modified = 1700001234, .now = 9 };
	struct fc_entry *e = file_cache_insert(&fc, &k, &m, blob_of(&fc, "[]", 2));
	char lm2[64];
	http_date_format(1700001234, lm2);
	CHECK(e && strcmp(e->etag, "\"listing-1\"") == 0 && e->etag_len == 11, "etag '%s'",
	      e ? e->etag : "");
	CHECK(e && strcmp(e->last_modified, lm2) == 0 && e->last_modified_t == 1700001234 &&
		      strstr(e->hdr, lm2),
	      "last_modified '%s'", e ? e->last_modified : "");
	file_cache_release(e);
	check_consistent(&fc, 0, "coded");
	file_cache_destroy(&fc);
}

/* Inserting a key that is cached replaces the entry: lookups see the new
 * one, the old one takes no slot, and its bytes live while referenced. */
static void test_replace(void)
{
	struct file_cache fc;
	CHECK(file_cache_init(&fc, 4, 10000, 1000) == 0, "init");
	write_file("v", 100, '1');
	struct fc_entry *old = insert_file(&fc, file_key("/v"), "v", SLICE_LIT(""), 0);
	write_file("v", 200, '2');
	set_mtime("v", 1700000123, 0);
	struct fc_entry *neu = insert_file(&fc, file_key("/v"), "v", SLICE_LIT(""), 0);
	CHECK(old && neu && old != neu, "insert twice");
	struct fc_entry *e = find(&fc, "/v");
	CHECK(e == neu && e && bytes_match(e->body, 200, '2'), "find returns the old entry");
	CHECK(old && !old->linked && old->refs == 1 && bytes_match(old->body, 100, '1'),
	      "the old entry, still referenced");
	CHECK(fc.count == 1 && held(&fc) == 300, "count %zu held %zu, want 1 and 100 + 200",
	      fc.count, held(&fc));
	file_cache_release(old);
	file_cache_release(neu);
	CHECK(held(&fc) == 200, "held %zu after the old entry's release", held(&fc));
	/* the same blob moved to a new entry (sidecars changed) */
	e = find(&fc, "/v");
	struct fc_blob *b = e ? fc_blob_get(e->body) : NULL;
	struct stat st;
	stat_file("v", &st);
	struct fc_meta m = { .file = "v", .st = &st, .type = TYPE, .hdr_extra = SLICE_LIT(""),
			     .codings = 2 };
	struct fc_key k = file_key("/v");
	struct fc_entry *again = b ? file_cache_insert(&fc, &k, &m, b) : NULL;
	CHECK(again && again != e && again->body == b && b->refs == 1 && again->codings == 2,
	      "blob moved to a new entry");
	CHECK(fc.count == 1 && held(&fc) == 200, "count %zu held %zu", fc.count, held(&fc));
	file_cache_release(again);
	/* after removing the current entry no stale one appears */
	e = find(&fc, "/v");
	if (e)
		file_cache_remove(&fc, e);
	CHECK(find(&fc, "/v") == NULL, "a stale entry for /v after removing the current one");
	check_consistent(&fc, 0, "replace");
	file_cache_destroy(&fc);
}

/* Many keys through a small cache; the structure stays consistent. */
static void test_churn(void)
{
	struct file_cache fc;
	CHECK(file_cache_init(&fc, 16, 3000, 1000) == 0, "init");
	write_file("c0", 0, 'a');
	write_file("c1", 1, 'a');
	write_file("c2", 333, 'a');
	write_file("c3", 999, 'a');
	unsigned x = 12345;
	for (int i = 0; i < 5000; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		char path[32], name[8];
		snprintf(path, sizeof path, "/k%u", x % 64);
		snprintf(name, sizeof name, "c%u", (x >> 8) % 4);
		struct fc_key k = key_of(path, (x >> 16) % 3, (x >> 20) % 4, 0);
		struct fc_entry *e = lookup_key(&fc, k);
		if (e && (x >> 12) % 3 == 0)
			file_cache_remove(&fc, e);
		else if (!e)
			file_cache_release(insert_file(&fc, k, name, SLICE_LIT(""), 0));
		if (i % 500 == 0)
			check_consistent(&fc, 0, "churn");
	}
	check_consistent(&fc, 0, "churn end");
	file_cache_destroy(&fc);
	CHECK(held(&fc) == 0, "held %zu after destroy", held(&fc));
}

/* (e) Two threads on overlapping keys. Each body names its key, so a
 * lookup that returns another key's entry, or freed bytes, shows. */
#define THREAD_OPS 200000
#define THREAD_KEYS 48
#define THREAD_PINS 4

struct worker {
	struct file_cache *fc;
	const struct stat *st;
	unsigned seed;
	long gets, hits, inserts, removes, refused, bad;
};

static size_t body_for(char *out, unsigned key, unsigned x)
{
	return (size_t)snprintf(out, 64, "key %u/%u", key, x % 1000) + (x % 3) * 500;
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct fc_blob *pins[THREAD_PINS] = { 0 };
	unsigned x = w->seed;
	for (long op = 0; op < THREAD_OPS; op++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		unsigned id = x % THREAD_KEYS;
		char path[32], want[64];
		snprintf(path, sizeof path, "/t/%u", id / 4);
		struct fc_key k = key_of(path, id % 2 ? FC_FILE : FC_LISTING_HTML, (id / 2) % 2, 0);
		int wl = snprintf(want, sizeof want, "key %u/", id);
		switch ((x >> 8) % 8) {
		case 0: case 1: case 2: case 3: { /* a response: get, maybe pin the body */
			w->gets++;
			struct fc_entry *e = file_cache_get(w->fc, &k);
			if (!e)
				break;
			w->hits++;
			if (e->kind != k.kind || e->coding != k.coding || e->path_len != k.len ||
			    memcmp(e->path, k.path, k.len) != 0 || !e->body ||
			    e->body->len < (size_t)wl || memcmp(e->body->data, want, (size_t)wl) != 0)
				w->bad++;
			if ((x >> 12) % 4 == 0) {
				unsigned p = (x >> 16) % THREAD_PINS;
				fc_blob_put(pins[p]);
				pins[p] = fc_blob_get(e->body);
			}
			if ((x >> 14) % 16 == 0)
				file_cache_remove(w->fc, e); /* found stale */
			file_cache_release(e);
			break;
		}
		case 4: case 5: case 6: { /* a miss: make it and insert */
			char text[64];
			size_t len = body_for(text, id, x);
			size_t cap = len + (x >> 20) % 200;
			struct fc_blob *b = file_cache_blob_new(w->fc, cap);
			if (!b) {
				w->refused++;
				break;
			}
			memset(b->data, 'x', len);
			memcpy(b->data, text, strlen(text));
			b->len = len;
			if ((x >> 24) % 2)
				b = fc_blob_shrink(b);
			struct fc_meta m = { .file = "thread", .st = w->st, .type = TYPE,
					     .hdr_extra = SLICE_LIT("") };
			struct fc_entry *e = file_cache_insert(w->fc, &k, &m, b);
			if (!e)
				w->bad++;
			w->inserts++;
			file_cache_release(e);
			break;
		}
		default: { /* found changed: remove */
			struct fc_entry *e = file_cache_get(w->fc, &k);
			if (e) {
				file_cache_remove(w->fc, e);
				w->removes++;
				if (e->linked)
					w->bad++;
			}
			file_cache_release(e);
			break;
		}
		}
	}
	for (int p = 0; p < THREAD_PINS; p++)
		fc_blob_put(pins[p]);
	return NULL;
}

static void test_threads(void)
{
	struct file_cache fc;
	/* fewer slots than keys and a budget smaller than all bodies: both
	 * kinds of eviction run, from both threads */
	CHECK(file_cache_init(&fc, 32, 16 * 1024, 4096) == 0, "init");
	write_file("thread", 10, 't');
	struct stat st;
	stat_file("thread", &st);
	struct worker w[2] = { { &fc, &st, 1, 0, 0, 0, 0, 0, 0 },
			       { &fc, &st, 987654321, 0, 0, 0, 0, 0, 0 } };
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		CHECK(pthread_create(&t[i], NULL, worker_run, &w[i]) == 0, "pthread_create");
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < 2; i++) {
		CHECK(w[i].bad == 0, "thread %d: %ld bad results", i, w[i].bad);
		CHECK(w[i].hits > 0 && w[i].inserts > 0 && w[i].removes > 0,
		      "thread %d: %ld hits %ld inserts %ld removes: the mix did not run", i, w[i].hits,
		      w[i].inserts, w[i].removes);
	}
	CHECK(fc.hits + fc.misses >= (unsigned long long)(w[0].gets + w[1].gets),
	      "hits %llu + misses %llu < %ld gets", (unsigned long long)fc.hits,
	      (unsigned long long)fc.misses, w[0].gets + w[1].gets);
	/* every reference dropped: only the cached blobs are held */
	check_consistent(&fc, 0, "threads");
	file_cache_destroy(&fc);
	CHECK(held(&fc) == 0, "held %zu after destroy", held(&fc));
}

static void cleanup(void)
{
	static const char *const names[] = { "a.txt", "b.txt", "empty", "max", "big", "about",
					     "k1", "k2", "k3", "k4", "k5", "x", "y", "z", "w",
					     "all", "p", "q", "off", "r1", "r2", "r3", "s.txt",
					     "s.new", "c.txt", "page.html", "v", "c0", "c1", "c2",
					     "c3", "thread", "large" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char path[512];
		path_of(path, sizeof path, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

int main(void)
{
	snprintf(dir, sizeof dir, "%s/test_file_cache.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_insert_get();
	test_keys();
	test_lru_count();
	test_lru_bytes();
	test_budget_in_flight();
	test_refused_keeps_cache();
	test_shrink();
	test_caching_off();
	test_blob_lifetimes();
	test_same();
	test_changed_while_read();
	test_blob_read();
	test_coded();
	test_replace();
	test_churn();
	test_threads();
	cleanup();
	return unit_done("file_cache");
}
