/* test_file_cache.c - the per-thread cache of small files: lookup, LRU
 * eviction by count and by bytes, blob lifetimes, revalidation against a
 * fresh stat, coded representations and their header lines. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_cache.h"
#include "http_cond.h"
#include "http_date.h"
#include "unit.h"

#define TYPE "text/plain; charset=utf-8"
#define GZIP_LINES "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n"
#define VARY_LINE "Vary: Accept-Encoding\r\n"

static char dir[256];

static void path_of(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", dir, name);
}

/* Writes n bytes (a pattern seeded by c) to name; returns its path. */
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

/* Adds the file name under key (its path relative to dir as file). */
static struct fc_entry *add(struct file_cache *fc, const char *key, const char *name,
			    struct slice extra, uint32_t now)
{
	struct stat st;
	int fd = open_file(name, &st);
	struct fc_entry *e =
		file_cache_add(fc, key, strlen(key), name, fd, &st, TYPE, extra, now);
	close(fd);
	return e;
}

static struct fc_entry *find(struct file_cache *fc, const char *key)
{
	return file_cache_find(fc, key, strlen(key));
}

static bool bytes_match(const struct fc_blob *b, size_t n, char c)
{
	if (b->len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (b->data[i] != (char)(c + (int)(i % 7)))
			return false;
	return true;
}

/* The LRU list and the counters agree; every listed entry is found. */
static void check_consistent(struct file_cache *fc, const char *what)
{
	size_t n = 0, bytes = 0;
	const struct fc_entry *prev = NULL;
	struct fc_entry *list[4096];
	for (struct fc_entry *e = fc->lru_head; e && n < 4096; e = e->lru_next) {
		CHECK(e->lru_prev == prev, "%s: broken lru_prev at '%s'", what, e->key);
		list[n++] = e;
		bytes += e->size;
		prev = e;
	}
	CHECK(fc->lru_tail == prev, "%s: lru_tail is not the last entry", what);
	CHECK(n == fc->count, "%s: %zu listed, count %zu", what, n, fc->count);
	CHECK(bytes == fc->bytes, "%s: %zu bytes listed, bytes %zu", what, bytes, fc->bytes);
	CHECK(fc->count <= fc->max_count, "%s: count %zu over %zu", what, fc->count, fc->max_count);
	CHECK(fc->bytes <= fc->max_bytes, "%s: bytes %zu over %zu", what, fc->bytes, fc->max_bytes);
	/* finding moves entries: look up from the tail so the order stays */
	for (size_t i = n; i-- > 0;)
		CHECK(file_cache_find(fc, list[i]->key, list[i]->key_len) == list[i],
		      "%s: '%s' listed but not found", what,
		      list[i]->key);
}

static void test_add_find(void)
{
	struct file_cache fc;
	CHECK(file_cache_init(&fc, 8, 10000, 1000) == 0, "init");
	CHECK(find(&fc, "/a") == NULL, "found in an empty cache");
	CHECK(fc.misses == 1 && fc.hits == 0, "misses %llu hits %llu",
	      (unsigned long long)fc.misses, (unsigned long long)fc.hits);

	write_file("a.txt", 100, 'a');
	set_mtime("a.txt", 1700000000, 123456789);
	struct stat st;
	int fd = open_file("a.txt", &st);
	struct fc_entry *e = file_cache_add(&fc, "/a", 2, "a.txt", fd, &st, TYPE,
					    SLICE_LIT("Cache-Control: max-age=60\r\n"), 5);
	close(fd);
	CHECK(e != NULL, "add a.txt");
	if (!e) {
		file_cache_destroy(&fc);
		return;
	}
	CHECK(e->body && bytes_match(e->body, 100, 'a'), "a.txt bytes differ");
	CHECK(e->body && e->body->refs == 1, "refs %u", e->body ? e->body->refs : 0);
	CHECK(e->size == 100 && e->file_size == 100, "size %llu file_size %llu",
	      (unsigned long long)e->size, (unsigned long long)e->file_size);
	CHECK(e->key_len == 2 && strcmp(e->key, "/a") == 0, "key '%s'", e->key);
	CHECK(strcmp(e->file, "a.txt") == 0, "file '%s'", e->file);
	CHECK(e->checked == 5, "checked %u", e->checked);
	CHECK(strcmp(e->type, TYPE) == 0, "type '%s'", e->type);
	CHECK(e->mtime.tv_sec == 1700000000 && e->mtime.tv_nsec == 123456789, "mtime %lld.%ld",
	      (long long)e->mtime.tv_sec, e->mtime.tv_nsec);
	CHECK(e->dev == st.st_dev && e->ino == st.st_ino, "dev/ino");
	CHECK(fc.count == 1 && fc.bytes == 100, "count %zu bytes %zu", fc.count, fc.bytes);

	char etag[64], lm[64], hdr[1024];
	size_t etag_len = http_cond_etag(etag, (uint64_t)st.st_ino, 100, 1700000000, 123456789);
	http_date_format(1700000000, lm);
	CHECK(e->etag_len == etag_len && strcmp(e->etag, etag) == 0, "etag '%s', want '%s'", e->etag,
	      etag);
	CHECK(strcmp(e->last_modified, lm) == 0, "last_modified '%s', want '%s'", e->last_modified,
	      lm);
	snprintf(hdr, sizeof hdr,
		 "Content-Type: " TYPE "\r\nContent-Length: 100\r\nAccept-Ranges: bytes\r\n"
		 "Last-Modified: %s\r\nETag: %s\r\nCache-Control: max-age=60\r\n",
		 lm, etag);
	CHECK(e->hdr_len == strlen(hdr) && memcmp(e->hdr, hdr, e->hdr_len) == 0,
	      "hdr\n'%.*s'\nwant\n'%s'", (int)e->hdr_len, e->hdr, hdr);

	CHECK(find(&fc, "/a") == e, "find /a");
	CHECK(fc.hits == 1, "hits %llu", (unsigned long long)fc.hits);
	CHECK(file_cache_find(&fc, "/ab", 2) == e, "find of a 2-byte slice of '/ab'");
	CHECK(find(&fc, "/a/") == NULL, "found /a/");
	CHECK(find(&fc, "/") == NULL, "found /");
	CHECK(find(&fc, "/A") == NULL, "found /A (keys are exact)");
	CHECK(find(&fc, "") == NULL, "found the empty key");

	/* keys that differ only after a NUL are distinct */
	write_file("b.txt", 10, 'b');
	fd = open_file("b.txt", &st);
	struct fc_entry *b =
		file_cache_add(&fc, "/a\0x", 4, "b.txt", fd, &st, TYPE, SLICE_LIT(""), 5);
	close(fd);
	CHECK(b && b != e, "add '/a\\0x'");
	CHECK(file_cache_find(&fc, "/a\0x", 4) == b, "find '/a\\0x'");
	CHECK(file_cache_find(&fc, "/a", 2) == e, "'/a' after '/a\\0x'");

	/* an empty file, and one of exactly max_file bytes */
	write_file("empty", 0, 'x');
	struct fc_entry *z = add(&fc, "/empty", "empty", SLICE_LIT(""), 5);
	CHECK(z && z->size == 0 && z->body && z->body->len == 0, "empty file");
	CHECK(z && strstr(z->hdr, "Content-Length: 0\r\n") != NULL, "empty file hdr");
	write_file("max", 1000, 'm');
	struct fc_entry *m = add(&fc, "/max", "max", SLICE_LIT(""), 5);
	CHECK(m && bytes_match(m->body, 1000, 'm'), "file of max_file bytes");
	/* one byte more is not cached, and evicts nothing */
	write_file("big", 1001, 'g');
	size_t count = fc.count, bytes = fc.bytes;
	CHECK(add(&fc, "/big", "big", SLICE_LIT(""), 5) == NULL, "file over max_file cached");
	CHECK(fc.count == count && fc.bytes == bytes, "a refused file changed the cache");
	CHECK(find(&fc, "/big") == NULL, "/big found");
	check_consistent(&fc, "add_find");

	/* remove */
	file_cache_remove(&fc, e);
	CHECK(find(&fc, "/a") == NULL, "/a found after remove");
	CHECK(fc.count == count - 1 && fc.bytes == bytes - 100, "remove: count %zu bytes %zu",
	      fc.count, fc.bytes);
	check_consistent(&fc, "after remove");
	file_cache_destroy(&fc);
	CHECK(fc.lru_head == NULL && fc.lru_tail == NULL && fc.buckets == NULL,
	      "destroy left entries");
	file_cache_destroy(&fc); /* twice is harmless */
}

static void test_lru_count(void)
{
	struct file_cache fc;
	CHECK(file_cache_init(&fc, 4, 100000, 1000) == 0, "init");
	char key[16], name[16];
	for (int i = 1; i <= 5; i++) {
		snprintf(name, sizeof name, "k%d", i);
		write_file(name, 10, (char)('a' + i));
	}
	for (int i = 1; i <= 4; i++) {
		snprintf(key, sizeof key, "/k%d", i);
		snprintf(name, sizeof name, "k%d", i);
		CHECK(add(&fc, key, name, SLICE_LIT(""), 0) != NULL, "add %s", key);
	}
	CHECK(fc.count == 4, "count %zu", fc.count);
	/* k1 used: k2 is now the least recent */
	CHECK(find(&fc, "/k1") != NULL, "k1");
	CHECK(add(&fc, "/k5", "k5", SLICE_LIT(""), 0) != NULL, "add k5");
	CHECK(fc.count == 4, "count %zu after eviction", fc.count);
	CHECK(fc.lru_tail && strcmp(fc.lru_tail->key, "/k3") == 0, "tail '%s', want /k3",
	      fc.lru_tail ? fc.lru_tail->key : "");
	CHECK(fc.lru_head && strcmp(fc.lru_head->key, "/k5") == 0, "head '%s', want /k5",
	      fc.lru_head ? fc.lru_head->key : "");
	CHECK(find(&fc, "/k2") == NULL, "k2 (least recently used) kept");
	CHECK(find(&fc, "/k1") && find(&fc, "/k3") && find(&fc, "/k4") && find(&fc, "/k5"),
	      "a recent entry evicted");
	/* now k2 gone, order (recent first) k5 k4 k3 k1: add k2 evicts k1 */
	CHECK(add(&fc, "/k2", "k2", SLICE_LIT(""), 0) != NULL, "add k2");
	CHECK(find(&fc, "/k1") == NULL, "k1 kept");
	check_consistent(&fc, "lru_count");

	/* max_count 1: each add replaces the other */
	file_cache_destroy(&fc);
	CHECK(file_cache_init(&fc, 1, 100000, 1000) == 0, "init 1");
	CHECK(add(&fc, "/k1", "k1", SLICE_LIT(""), 0) != NULL, "add k1");
	CHECK(add(&fc, "/k2", "k2", SLICE_LIT(""), 0) != NULL, "add k2");
	CHECK(find(&fc, "/k1") == NULL && find(&fc, "/k2") != NULL && fc.count == 1,
	      "max_count 1: count %zu", fc.count);
	check_consistent(&fc, "max_count 1");
	file_cache_destroy(&fc);
}

static void test_lru_bytes(void)
{
	struct file_cache fc;
	CHECK(file_cache_init(&fc, 100, 1000, 1000) == 0, "init");
	write_file("x", 400, 'x');
	write_file("y", 400, 'y');
	write_file("z", 300, 'z');
	write_file("w", 400, 'w');
	write_file("all", 1000, 'A');
	CHECK(add(&fc, "/x", "x", SLICE_LIT(""), 0) != NULL, "add x");
	CHECK(add(&fc, "/y", "y", SLICE_LIT(""), 0) != NULL, "add y");
	CHECK(fc.bytes == 800, "bytes %zu", fc.bytes);
	/* 800 + 300 > 1000: x (least recent) goes */
	CHECK(add(&fc, "/z", "z", SLICE_LIT(""), 0) != NULL, "add z");
	CHECK(find(&fc, "/x") == NULL, "x kept over the byte limit");
	CHECK(fc.bytes == 700 && fc.count == 2, "bytes %zu count %zu", fc.bytes, fc.count);
	/* y used: z is the least recent; 700 + 400 > 1000 evicts only z */
	CHECK(find(&fc, "/y") != NULL, "y");
	CHECK(add(&fc, "/w", "w", SLICE_LIT(""), 0) != NULL, "add w");
	CHECK(find(&fc, "/z") == NULL, "z kept");
	CHECK(find(&fc, "/y") && find(&fc, "/w"), "y or w evicted");
	CHECK(fc.bytes == 800 && fc.count == 2, "bytes %zu count %zu", fc.bytes, fc.count);
	check_consistent(&fc, "lru_bytes");
	/* exactly max_bytes: everything else goes */
	CHECK(add(&fc, "/all", "all", SLICE_LIT(""), 0) != NULL, "add 1000 bytes");
	CHECK(fc.count == 1 && fc.bytes == 1000, "bytes %zu count %zu", fc.bytes, fc.count);
	check_consistent(&fc, "full");
	file_cache_destroy(&fc);
}

static void test_over_max_bytes(void)
{
	struct file_cache fc;
	CHECK(file_cache_init(&fc, 100, 500, 2000) == 0, "init");
	write_file("s", 100, 's');
	write_file("l", 600, 'l');
	CHECK(add(&fc, "/s", "s", SLICE_LIT(""), 0) != NULL, "add s");
	CHECK(add(&fc, "/l", "l", SLICE_LIT(""), 0) == NULL, "600 bytes cached with max_bytes 500");
	CHECK(find(&fc, "/s") != NULL && fc.count == 1 && fc.bytes == 100,
	      "a file over max_bytes evicted others: count %zu", fc.count);
	file_cache_destroy(&fc);

	/* disabled: max_bytes 0 or max_count 0 */
	for (int k = 0; k < 2; k++) {
		CHECK(file_cache_init(&fc, k ? 0 : 10, k ? 1000 : 0, 1000) == 0, "init disabled");
		CHECK(add(&fc, "/s", "s", SLICE_LIT(""), 0) == NULL, "added to a disabled cache");
		CHECK(find(&fc, "/s") == NULL, "found in a disabled cache");
		struct fc_blob *b = malloc(sizeof *b + 4);
		b->refs = 2;
		b->len = 4;
		memcpy(b->data, "abcd", 4);
		struct stat st;
		stat_file("s", &st);
		CHECK(file_cache_add_blob(&fc, "/s", 2, "s", &st, TYPE, SLICE_LIT(""), b, "-gzip",
					  GZIP_LINES, 0) == NULL,
		      "blob added to a disabled cache");
		CHECK(b->refs == 1, "disabled cache kept the blob's reference (refs %u)", b->refs);
		fc_blob_put(b);
		file_cache_destroy(&fc);
	}
}

static void test_blob_refs(void)
{
	struct file_cache fc;
	CHECK(file_cache_init(&fc, 2, 10000, 1000) == 0, "init");
	write_file("r1", 200, 'r');
	write_file("r2", 10, 's');
	write_file("r3", 10, 't');

	/* a reference taken for a response keeps the bytes after remove */
	struct fc_entry *e = add(&fc, "/r1", "r1", SLICE_LIT(""), 0);
	CHECK(e != NULL, "add r1");
	if (!e)
		return;
	struct fc_blob *held = fc_blob_get(e->body);
	CHECK(held->refs == 2, "refs %u after get", held->refs);
	file_cache_remove(&fc, e);
	CHECK(held->refs == 1, "refs %u after remove", held->refs);
	CHECK(bytes_match(held, 200, 'r'), "held bytes changed after remove");
	fc_blob_put(held);

	/* and after eviction */
	e = add(&fc, "/r1", "r1", SLICE_LIT(""), 0);
	held = e ? fc_blob_get(e->body) : NULL;
	CHECK(add(&fc, "/r2", "r2", SLICE_LIT(""), 0) && add(&fc, "/r3", "r3", SLICE_LIT(""), 0),
	      "add r2 r3");
	CHECK(find(&fc, "/r1") == NULL, "r1 not evicted");
	CHECK(held && held->refs == 1 && bytes_match(held, 200, 'r'), "held bytes after eviction");
	if (held)
		fc_blob_put(held);

	/* and after destroy */
	e = find(&fc, "/r3");
	held = e ? fc_blob_get(e->body) : NULL;
	file_cache_destroy(&fc);
	CHECK(held && held->refs == 1 && bytes_match(held, 10, 't'), "held bytes after destroy");
	if (held)
		fc_blob_put(held);
	fc_blob_put(NULL); /* NULL is a no-op */
}

static void test_same(void)
{
	struct file_cache fc;
	CHECK(file_cache_init(&fc, 8, 10000, 1000) == 0, "init");
	write_file("s.txt", 50, 's');
	set_mtime("s.txt", 1600000000, 500);
	struct fc_entry *e = add(&fc, "/s", "s.txt", SLICE_LIT(""), 0);
	CHECK(e != NULL, "add s.txt");
	if (!e) {
		file_cache_destroy(&fc);
		return;
	}
	struct stat st;
	stat_file("s.txt", &st);
	CHECK(file_cache_same(e, &st), "unchanged file not the same");

	/* touched: seconds, then only nanoseconds */
	set_mtime("s.txt", 1600000001, 500);
	stat_file("s.txt", &st);
	CHECK(!file_cache_same(e, &st), "mtime +1 s still the same");
	set_mtime("s.txt", 1600000000, 501);
	stat_file("s.txt", &st);
	CHECK(!file_cache_same(e, &st), "mtime +1 ns still the same");
	set_mtime("s.txt", 1599999999, 500);
	stat_file("s.txt", &st);
	CHECK(!file_cache_same(e, &st), "older mtime still the same");
	set_mtime("s.txt", 1600000000, 500);
	stat_file("s.txt", &st);
	CHECK(file_cache_same(e, &st), "mtime restored: not the same");

	/* rewritten in place with other bytes of the same size and mtime is
	 * beyond what a stat can see; a size change is not */
	write_file("s.txt", 51, 's');
	set_mtime("s.txt", 1600000000, 500);
	stat_file("s.txt", &st);
	CHECK(!file_cache_same(e, &st), "size change with the same mtime still the same");

	/* replaced by rename: same size and mtime, another inode */
	write_file("s.txt", 50, 's');
	set_mtime("s.txt", 1600000000, 500);
	stat_file("s.txt", &st);
	CHECK(file_cache_same(e, &st), "rewritten to the original: not the same");
	write_file("s.new", 50, 'S');
	set_mtime("s.new", 1600000000, 500);
	char from[512], to[512];
	path_of(from, sizeof from, "s.new");
	path_of(to, sizeof to, "s.txt");
	CHECK(rename(from, to) == 0, "rename: %s", strerror(errno));
	stat_file("s.txt", &st);
	CHECK(st.st_size == 50 && st.st_mtim.tv_sec == 1600000000 && st.st_mtim.tv_nsec == 500,
	      "replacement has other size or mtime");
	CHECK(!file_cache_same(e, &st), "replaced file (new inode) still the same");

	/* another device */
	struct stat other;
	stat_file("s.txt", &st);
	other = st;
	other.st_ino = e->ino;
	other.st_dev = e->dev + 1;
	other.st_size = (off_t)e->file_size;
	other.st_mtim = e->mtime;
	CHECK(!file_cache_same(e, &other), "another device still the same");
	other.st_dev = e->dev;
	CHECK(file_cache_same(e, &other), "identical stat not the same");
	file_cache_destroy(&fc);
}

/* A file that changes between the stat and the read is not cached. */
static void test_changed_while_read(void)
{
	struct file_cache fc;
	CHECK(file_cache_init(&fc, 8, 10000, 1000) == 0, "init");
	write_file("c.txt", 100, 'c');
	set_mtime("c.txt", 1600000000, 0);
	struct stat st;
	int fd = open_file("c.txt", &st);
	set_mtime("c.txt", 1600000005, 0); /* touched after the caller's stat */
	CHECK(file_cache_add(&fc, "/c", 2, "c.txt", fd, &st, TYPE, SLICE_LIT(""), 0) == NULL,
	      "file touched after its stat cached");
	close(fd);

	fd = open_file("c.txt", &st);
	char path[512];
	path_of(path, sizeof path, "c.txt");
	CHECK(truncate(path, 10) == 0, "truncate: %s", strerror(errno));
	set_mtime("c.txt", st.st_mtim.tv_sec, st.st_mtim.tv_nsec); /* same mtime, shorter */
	CHECK(file_cache_add(&fc, "/c", 2, "c.txt", fd, &st, TYPE, SLICE_LIT(""), 0) == NULL,
	      "file truncated after its stat cached");
	close(fd);

	/* grown after the stat, mtime put back: the first st_size bytes read
	 * fine, the size tells */
	write_file("c.txt", 100, 'c');
	set_mtime("c.txt", 1600000000, 0);
	fd = open_file("c.txt", &st);
	FILE *f = fopen(path, "a");
	if (f) {
		fputs("more", f);
		fclose(f);
	}
	set_mtime("c.txt", 1600000000, 0);
	CHECK(file_cache_add(&fc, "/c", 2, "c.txt", fd, &st, TYPE, SLICE_LIT(""), 0) == NULL,
	      "file grown after its stat cached");
	close(fd);
	CHECK(fc.count == 0 && fc.bytes == 0, "count %zu bytes %zu", fc.count, fc.bytes);
	file_cache_destroy(&fc);
}

static struct fc_blob *make_blob(const char *s, size_t n)
{
	struct fc_blob *b = malloc(sizeof *b + (n ? n : 1));
	if (!b)
		abort();
	b->refs = 1;
	b->len = n;
	memcpy(b->data, s, n);
	return b;
}

static void test_add_blob(void)
{
	struct file_cache fc;
	CHECK(file_cache_init(&fc, 8, 10000, 1000) == 0, "init");
	write_file("page.html", 700, 'p');
	set_mtime("page.html", 1700000000, 42);
	struct stat st;
	stat_file("page.html", &st);
	char etag[64], lm[64];
	size_t etag_len = http_cond_etag(etag, (uint64_t)st.st_ino, 700, 1700000000, 42);
	http_date_format(1700000000, lm);

	static const char gz[] = "\x1f\x8b coded bytes";
	struct fc_blob *b = make_blob(gz, sizeof gz - 1);
	struct fc_blob *held = fc_blob_get(b);
	struct fc_entry *e = file_cache_add_blob(&fc, "\x01gzip:/page.html", 16, "page.html", &st,
						 "text/html; charset=utf-8",
						 SLICE_LIT("Cache-Control: no-cache\r\n"), b, "-gzip",
						 GZIP_LINES, 9);
	CHECK(e != NULL, "add_blob");
	if (!e) {
		fc_blob_put(held);
		file_cache_destroy(&fc);
		return;
	}
	CHECK(e->body == held && held->refs == 2, "the cache took the reference: refs %u",
	      held->refs);
	CHECK(e->size == sizeof gz - 1 && e->file_size == 700, "size %llu file_size %llu",
	      (unsigned long long)e->size, (unsigned long long)e->file_size);
	CHECK(fc.bytes == sizeof gz - 1, "bytes %zu, want the blob's %zu", fc.bytes, sizeof gz - 1);
	CHECK(e->checked == 9, "checked %u", e->checked);
	CHECK(strcmp(e->coding, GZIP_LINES) == 0, "coding '%s'", e->coding);

	/* ETag: the file's, with "-gzip" inside the quotes */
	char want_etag[80];
	snprintf(want_etag, sizeof want_etag, "%.*s-gzip\"", (int)etag_len - 1, etag);
	CHECK(strcmp(e->etag, want_etag) == 0 && e->etag_len == strlen(want_etag),
	      "etag '%s' (%zu), want '%s'", e->etag, e->etag_len, want_etag);
	CHECK(e->etag[0] == '"' && e->etag[e->etag_len - 1] == '"' &&
		      strchr(e->etag + 1, '"') == e->etag + e->etag_len - 1,
	      "etag '%s' not one quoted string", e->etag);
	CHECK(strcmp(e->etag, etag) != 0, "coded ETag equals the identity ETag");

	/* header lines: the blob's length, the coding, no ranges */
	char want[1024];
	snprintf(want, sizeof want,
		 "Content-Type: text/html; charset=utf-8\r\nContent-Length: %zu\r\n" GZIP_LINES
		 "Last-Modified: %s\r\nETag: %s\r\nCache-Control: no-cache\r\n",
		 sizeof gz - 1, lm, want_etag);
	CHECK(e->hdr_len == strlen(want) && memcmp(e->hdr, want, e->hdr_len) == 0,
	      "hdr\n'%.*s'\nwant\n'%s'", (int)e->hdr_len, e->hdr, want);
	CHECK(strstr(e->hdr, "Accept-Ranges") == NULL, "Accept-Ranges on a coded entry");
	CHECK(strstr(e->hdr, "Content-Length: 700") == NULL, "the file's length on a coded entry");
	CHECK(file_cache_find(&fc, "\x01gzip:/page.html", 16) == e, "find the coded key");
	CHECK(find(&fc, "/page.html") == NULL, "the coded entry found under the identity key");
	/* revalidated against the file, not the blob */
	CHECK(file_cache_same(e, &st), "coded entry not the same as its file");

	/* an identity representation with a Vary line keeps Accept-Ranges */
	struct fc_blob *b2 = make_blob("plain", 5);
	struct fc_entry *e2 = file_cache_add_blob(&fc, "/page.html", 10, "page.html", &st,
						  "text/html; charset=utf-8", SLICE_LIT(""), b2, "",
						  VARY_LINE, 9);
	CHECK(e2 && strstr(e2->hdr, "Accept-Ranges: bytes\r\n") && strstr(e2->hdr, VARY_LINE) &&
		      strstr(e2->hdr, "Content-Length: 5\r\n"),
	      "identity blob hdr '%s'", e2 ? e2->hdr : "");
	CHECK(e2 && strcmp(e2->etag, etag) == 0, "empty suffix changed the ETag: '%s'",
	      e2 ? e2->etag : "");

	/* other suffixes */
	static const char *const suffixes[] = { "-br", "-zstd" };
	for (size_t i = 0; i < 2; i++) {
		char key[32];
		snprintf(key, sizeof key, "\x01%s:/page.html", suffixes[i] + 1);
		struct fc_entry *c = file_cache_add_blob(&fc, key, strlen(key), "page.html", &st, TYPE,
							 SLICE_LIT(""), make_blob("x", 1), suffixes[i],
							 "Content-Encoding: x\r\n", 9);
		snprintf(want_etag, sizeof want_etag, "%.*s%s\"", (int)etag_len - 1, etag, suffixes[i]);
		CHECK(c && strcmp(c->etag, want_etag) == 0, "etag '%s', want '%s'", c ? c->etag : "",
		      want_etag);
	}

	/* a blob over max_bytes: refused, its reference dropped */
	fc_blob_put(held);
	char *large = calloc(1, 10001);
	struct fc_blob *big = make_blob(large, 10001);
	free(large);
	held = fc_blob_get(big);
	size_t count = fc.count;
	CHECK(file_cache_add_blob(&fc, "/big", 4, "page.html", &st, TYPE, SLICE_LIT(""), big, "-gzip",
				  GZIP_LINES, 0) == NULL,
	      "blob over max_bytes cached");
	CHECK(held->refs == 1, "refused blob's reference kept: refs %u", held->refs);
	CHECK(fc.count == count, "refused blob evicted entries");
	fc_blob_put(held);
	check_consistent(&fc, "add_blob");
	file_cache_destroy(&fc);
}

/* Adding a key that is already cached replaces the entry: lookups see the
 * new one and the old one no longer takes a slot or bytes. */
static void test_replace(void)
{
	struct file_cache fc;
	CHECK(file_cache_init(&fc, 4, 10000, 1000) == 0, "init");
	write_file("v", 100, '1');
	struct fc_entry *old = add(&fc, "/v", "v", SLICE_LIT(""), 0);
	write_file("v", 200, '2');
	set_mtime("v", 1700000123, 0);
	struct fc_entry *neu = add(&fc, "/v", "v", SLICE_LIT(""), 0);
	CHECK(old && neu, "add twice");
	struct fc_entry *e = find(&fc, "/v");
	CHECK(e == neu && e && bytes_match(e->body, 200, '2'), "find returns the old entry");
	CHECK(fc.count == 1 && fc.bytes == 200,
	      "same key added twice: count %zu bytes %zu, want 1 and 200", fc.count, fc.bytes);
	/* after removing the current entry no stale one appears */
	if (e)
		file_cache_remove(&fc, e);
	CHECK(find(&fc, "/v") == NULL, "a stale entry for /v after removing the current one");
	check_consistent(&fc, "replace");
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
	for (int i = 0; i < 3000; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		char key[32], name[8];
		snprintf(key, sizeof key, "/k%u", x % 64);
		snprintf(name, sizeof name, "c%u", (x >> 8) % 4);
		struct fc_entry *e = find(&fc, key);
		if (e && (x >> 12) % 3 == 0)
			file_cache_remove(&fc, e);
		else if (!e)
			CHECK(add(&fc, key, name, SLICE_LIT(""), 0) != NULL, "add %s", key);
		if (i % 500 == 0)
			check_consistent(&fc, "churn");
	}
	check_consistent(&fc, "churn end");
	file_cache_destroy(&fc);
}

static void cleanup(void)
{
	static const char *const names[] = { "a.txt", "b.txt", "empty", "max", "big", "k1", "k2",
					     "k3", "k4", "k5", "x", "y", "z", "w", "all", "s", "l",
					     "r1", "r2", "r3", "s.txt", "s.new", "c.txt", "page.html",
					     "v", "c0", "c1", "c2", "c3" };
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
	test_add_find();
	test_lru_count();
	test_lru_bytes();
	test_over_max_bytes();
	test_blob_refs();
	test_same();
	test_changed_while_read();
	test_add_blob();
	test_replace();
	test_churn();
	cleanup();
	return unit_done("file_cache");
}
