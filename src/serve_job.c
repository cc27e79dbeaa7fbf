/* serve_job.c - the work a request may need done off the event loop, and
 * the same work done inline when it is small: compressing a file into the
 * cache, building a directory listing page, checking a password. Each
 * function here runs in any thread: it touches only the shared cache and
 * what the job carries. */
#include "serve_internal.h"
#include "site.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compress.h"
#include "listing.h"

static void job_run(struct pool_job *p);

struct pool_job *serve_job_base(struct serve_job *j)
{
	return &j->base;
}

struct serve_job *serve_job_of(struct pool_job *p)
{
	return (struct serve_job *)p;
}

struct serve_job *serve_job_new(enum serve_job_kind kind, const char *key, size_t key_len,
				const char *file)
{
	struct serve_job *j = calloc(1, sizeof *j);
	size_t fl = file ? strlen(file) : 0;
	char *mem = malloc(key_len + 1 + fl + 1);
	if (!j || !mem) {
		free(j);
		free(mem);
		return NULL;
	}
	memcpy(mem, key, key_len);
	mem[key_len] = '\0';
	memcpy(mem + key_len + 1, file ? file : "", fl + 1);
	j->kind = kind;
	j->key = mem;
	j->key_len = key_len;
	j->file = mem + key_len + 1;
	j->fd = -1;
	j->base.run = job_run;
	return j;
}

/* Jobs a connection waits on, per kind, at most: one kind (a flood of
 * failed logins, of large listings) cannot take the helpers' whole queue
 * from the others. */
static const unsigned waiting_max[] = {
	[SERVE_JOB_AUTH] = 16,
	[SERVE_JOB_COMPRESS] = 32,
	[SERVE_JOB_LISTING] = 16,
};
static atomic_uint waiting[3];

struct serve_job *serve_job_waiting(enum serve_job_kind kind, const char *key, size_t key_len,
				    const char *file)
{
	unsigned n = atomic_fetch_add_explicit(&waiting[kind], 1, memory_order_relaxed);
	struct serve_job *j = n < waiting_max[kind] ? serve_job_new(kind, key, key_len, file) : NULL;
	if (!j) {
		atomic_fetch_sub_explicit(&waiting[kind], 1, memory_order_relaxed);
		return NULL;
	}
	j->admitted = true;
	return j;
}

void serve_job_reject(struct serve_job *j)
{
	j->rejected = true;
}

void serve_job_hold(struct serve_job *j, struct site_set *sites)
{
	if (!j->hold)
		j->hold = site_set_ref(sites);
}

void serve_job_free(struct serve_job *j)
{
	if (!j)
		return;
	site_set_unref(j->hold);
	if (j->fd >= 0)
		close(j->fd);
	if (j->counted)
		auth_end(j->client);
	if (j->admitted)
		atomic_fetch_sub_explicit(&waiting[j->kind], 1, memory_order_relaxed);
	file_cache_release(j->entry);
	if (j->value) {
		memset(j->value, 0, j->value_len);
		free(j->value);
	}
	free(j->key);
	free(j);
}

bool serve_own_file(const struct own_file *own, const struct stat *st)
{
	for (int i = 0; own && i < OWN_FILES_MAX; i++) {
		ino_t ino = atomic_load_explicit(&own[i].ino, memory_order_acquire);
		if (ino && ino == st->st_ino &&
		    atomic_load_explicit(&own[i].dev, memory_order_relaxed) == st->st_dev)
			return true;
	}
	return false;
}

const char *serve_coding_lines(enum http_encoding e)
{
	static const char *const lines[ENC_COUNT] = {
		"Vary: Accept-Encoding\r\n",
		"Content-Encoding: br\r\nVary: Accept-Encoding\r\n",
		"Content-Encoding: zstd\r\nVary: Accept-Encoding\r\n",
		"Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n",
	};
	return lines[e];
}

static const char *listing_coding_lines(enum http_encoding e)
{
	static const char *const lines[ENC_COUNT] = {
		"Vary: Accept, Accept-Encoding\r\n",
		"Content-Encoding: br\r\nVary: Accept, Accept-Encoding\r\n",
		"Content-Encoding: zstd\r\nVary: Accept, Accept-Encoding\r\n",
		"Content-Encoding: gzip\r\nVary: Accept, Accept-Encoding\r\n",
	};
	return lines[e];
}

/* Reads all of a file into a blob counted against the budget: the input
 * of a compression is memory the server holds too. */
static struct fc_blob *read_all(struct file_cache *fc, int fd, const struct stat *st, bool *no_room)
{
	uint64_t refused = atomic_load_explicit(&fc->refused, memory_order_relaxed);
	struct fc_blob *in = fc_blob_read(fc, fd, st);
	if (!in && atomic_load_explicit(&fc->refused, memory_order_relaxed) != refused)
		*no_room = true;
	return in;
}

struct fc_entry *serve_compress_file(struct file_cache *fc, const char *key, size_t key_len,
				     const char *file, int fd, const struct stat *st,
				     enum http_encoding e, bool forced, const char *type,
				     const char *cc, uint32_t now, bool *no_room)
{
	struct fc_key k = { key, key_len, FC_FILE, (uint8_t)e, 0 };
	struct fc_key kf = { key, key_len, FC_FILE, (uint8_t)e, 1 };
	*no_room = false;

	/* Made meanwhile (by another request's job)? */
	struct fc_entry *have = file_cache_get(fc, &k);
	if (have && file_cache_same(have, st) && strcmp(have->file, file) == 0) {
		if (have->body)
			return have;
		if (!forced) {
			file_cache_release(have);
			return NULL;
		}
		struct fc_entry *hf = file_cache_get(fc, &kf);
		if (hf && file_cache_same(hf, st) && strcmp(hf->file, file) == 0) {
			file_cache_release(have);
			return hf;
		}
		file_cache_release(hf);
	}
	file_cache_release(have);

	struct fc_blob *in = read_all(fc, fd, st, no_room);
	if (!in)
		return NULL;
	struct fc_blob *out = compress_encode(fc, e, in->data, in->len, true, no_room);
	size_t len = in->len;
	fc_blob_put(in);
	char suffix[16];
	snprintf(suffix, sizeof suffix, "-%s", http_encoding_name(e));
	struct fc_meta m = {
		.file = file, .st = st, .type = type, .hdr_extra = slice_make(cc, strlen(cc)),
		.etag_suffix = suffix, .coding_lines = serve_coding_lines(e), .now = now,
	};
	if (!out && *no_room)
		return NULL;
	bool smaller = out && out->len < len;
	if (smaller)
		return file_cache_insert(fc, &k, &m, out);
	/* No gain: remembered, so the next request does not try again. */
	m.etag_suffix = "";
	m.coding_lines = serve_coding_lines(ENC_IDENTITY);
	file_cache_release(file_cache_insert(fc, &k, &m, NULL));
	if (!forced || !out) {
		fc_blob_put(out);
		return NULL;
	}
	m.etag_suffix = suffix;
	m.coding_lines = serve_coding_lines(e);
	return file_cache_insert(fc, &kf, &m, out);
}

/* Reads the directory path (relative to root) into l, leaving out what is
 * not served: dotfiles (unless --dotfiles), the server's own files, and
 * symlinks that do not resolve inside the root. Fills *dir with the
 * directory's stat and *newest with the latest mtime seen. */
static int read_listing(const struct path_root *root, const struct config *cfg,
			const struct own_file *own, bool netlify, const char *path,
			struct listing *l, struct stat *dir, time_t *newest)
{
	int fd = path_open(root, path);
	if (fd < 0)
		return fd;
	if (fstat(fd, dir) < 0 || !S_ISDIR(dir->st_mode)) {
		int e = S_ISDIR(dir->st_mode) ? errno : ENOTDIR;
		close(fd);
		return -e;
	}
	*newest = dir->st_mtim.tv_sec;
	DIR *d = fdopendir(fd);
	if (!d) {
		int e = errno;
		close(fd);
		return -e;
	}
	bool top = strcmp(path, ".") == 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		struct stat st;
		const char *name = de->d_name;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		if (name[0] == '.' && !cfg->dotfiles && strcmp(name, ".well-known") != 0)
			continue;
		if (netlify && top && (strcmp(name, "_headers") == 0 ||
				       strcmp(name, "_redirects") == 0))
			continue; /* never served, so never listed */
		if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			/* Listed only if serving it would work. */
			char rel[SERVE_PATH_MAX];
			int n = snprintf(rel, sizeof rel, "%s/%s", top ? "." : path, name);
			if (n <= 0 || (size_t)n >= sizeof rel)
				continue;
			int t = path_open(root, rel);
			if (t < 0)
				continue;
			int ok = fstat(t, &st);
			close(t);
			if (ok < 0)
				continue;
		}
		if ((!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) || serve_own_file(own, &st))
			continue;
		if (st.st_mtim.tv_sec > *newest)
			*newest = st.st_mtim.tv_sec;
		if (listing_add(l, name, S_ISDIR(st.st_mode), (uint64_t)st.st_size, st.st_mtim.tv_sec) < 0)
			break;
	}
	closedir(d);
	return 0;
}

static uint64_t fnv(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

#define LISTING_HEADERS                                                                  \
	"Cache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\n"                 \
	"Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; img-src data:\r\n"

struct fc_entry *serve_listing_build(struct file_cache *fc, const struct path_root *root,
				     const struct config *cfg, const struct own_file *own,
				     bool netlify, const char *key, size_t key_len, const char *path,
				     bool json,
				     int order, bool desc, enum http_encoding e, uint32_t now,
				     bool *no_room)
{
	struct listing l = { 0 };
	struct stat dir;
	time_t newest = 0;
	size_t n = 0;
	char *page;
	*no_room = false;
	if (read_listing(root, cfg, own, netlify, path, &l, &dir, &newest) < 0)
		return NULL;
	listing_sort_by(&l, (enum listing_order)order, desc);
	if (json) {
		page = listing_json(&l, &n);
	} else {
		/* The heading shows the decoded URL path of the directory. */
		char heading[SERVE_PATH_MAX + 2];
		if (strcmp(path, ".") == 0)
			snprintf(heading, sizeof heading, "/");
		else
			snprintf(heading, sizeof heading, "/%s/", path);
		page = listing_html_sorted(&l, heading, (enum listing_order)order, desc, &n);
	}
	listing_free(&l);
	if (!page)
		return NULL;
	struct fc_blob *b = file_cache_blob_new(fc, n);
	if (!b) {
		free(page);
		*no_room = true;
		return NULL;
	}
	memcpy(b->data, page, n);
	b->len = n;
	free(page);

	char etag[64];
	uint64_t h = fnv(b->data, b->len);
	snprintf(etag, sizeof etag, "\"l%016llx\"", (unsigned long long)h);
	const char *type = json ? "application/json" : "text/html; charset=utf-8";
	struct fc_key k = { key, key_len, (uint8_t)(json ? FC_LISTING_JSON : FC_LISTING_HTML),
			    ENC_IDENTITY, (uint8_t)(order * 2 + desc) };
	struct fc_meta m = {
		.file = path, .st = &dir, .type = type, .hdr_extra = SLICE_LIT(LISTING_HEADERS),
		.etag = etag, .coding_lines = listing_coding_lines(ENC_IDENTITY),
		.last_modified = newest, .now = now,
	};
	size_t len = b->len;
	struct fc_entry *id = file_cache_insert(fc, &k, &m, fc_blob_get(b));
	if (e == ENC_IDENTITY || len < COMPRESS_MIN || !id) {
		fc_blob_put(b);
		return id;
	}
	bool full = false;
	struct fc_blob *out = compress_encode(fc, e, b->data, len, false, &full);
	fc_blob_put(b);
	if (!out)
		return id;
	snprintf(etag, sizeof etag, "\"l%016llx-%s\"", (unsigned long long)h, http_encoding_name(e));
	k.coding = (uint8_t)e;
	m.coding_lines = listing_coding_lines(e);
	struct fc_entry *coded = file_cache_insert(fc, &k, &m, out);
	if (!coded)
		return id;
	file_cache_release(id);
	return coded;
}

static void job_run(struct pool_job *p)
{
	struct serve_job *j = serve_job_of(p);
	switch (j->kind) {
	case SERVE_JOB_AUTH:
		j->auth_ok = auth_verify(j->auth, slice_make(j->value, j->value_len));
		break;
	case SERVE_JOB_COMPRESS:
		j->entry = serve_compress_file(j->cache, j->key, j->key_len, j->file, j->fd, &j->st,
					       j->coding, j->forced, j->type, j->cc, j->now,
					       &j->no_room);
		break;
	case SERVE_JOB_LISTING: {
		/* Made meanwhile by another request's job: that one. */
		struct fc_key k = { j->key, j->key_len,
				    (uint8_t)(j->json ? FC_LISTING_JSON : FC_LISTING_HTML),
				    (uint8_t)j->coding, (uint8_t)(j->order * 2 + j->desc) };
		struct fc_entry *e = file_cache_get(j->cache, &k);
		if (e && (int32_t)(e->born - j->now) >= 0) {
			j->entry = e;
			break;
		}
		file_cache_release(e);
		j->entry = serve_listing_build(j->cache, j->root, j->cfg, j->own, j->netlify, j->key,
					       j->key_len, j->file, j->json, j->order, j->desc,
					       j->coding, j->now, &j->no_room);
		break;
	}
	}
}
