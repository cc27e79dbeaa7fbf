/* mime.c - a sorted table of extensions searched with bsearch. */
#include "mime.h"

#include <stdbool.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mime_entry {
	const char *ext;
	const char *type;
};

#define UTF8 "; charset=utf-8"

/* Sorted by ext (byte order); test_mime checks that it stays sorted. */
static const struct mime_entry table[] = {
	{ "7z", "application/x-7z-compressed" },
	{ "aac", "audio/aac" },
	{ "apng", "image/apng" },
	{ "atom", "application/atom+xml" UTF8 },
	{ "avif", "image/avif" },
	{ "bin", "application/octet-stream" },
	{ "bmp", "image/bmp" },
	{ "bz2", "application/x-bzip2" },
	{ "cjs", "text/javascript" UTF8 },
	{ "css", "text/css" UTF8 },
	{ "csv", "text/csv" UTF8 },
	{ "doc", "application/msword" },
	{ "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document" },
	{ "eot", "application/vnd.ms-fontobject" },
	{ "epub", "application/epub+zip" },
	{ "flac", "audio/flac" },
	{ "gif", "image/gif" },
	{ "gz", "application/gzip" },
	{ "htm", "text/html" UTF8 },
	{ "html", "text/html" UTF8 },
	{ "ico", "image/x-icon" },
	{ "ics", "text/calendar" UTF8 },
	{ "jpeg", "image/jpeg" },
	{ "jpg", "image/jpeg" },
	{ "js", "text/javascript" UTF8 },
	{ "json", "application/json" },
	{ "jsonld", "application/ld+json" },
	{ "m4a", "audio/mp4" },
	{ "m4v", "video/mp4" },
	{ "manifest", "text/cache-manifest" UTF8 },
	{ "map", "application/json" },
	{ "markdown", "text/markdown" UTF8 },
	{ "md", "text/markdown" UTF8 },
	{ "mid", "audio/midi" },
	{ "midi", "audio/midi" },
	{ "mjs", "text/javascript" UTF8 },
	{ "mov", "video/quicktime" },
	{ "mp3", "audio/mpeg" },
	{ "mp4", "video/mp4" },
	{ "mpeg", "video/mpeg" },
	{ "mpg", "video/mpeg" },
	{ "oga", "audio/ogg" },
	{ "ogg", "audio/ogg" },
	{ "ogv", "video/ogg" },
	{ "opus", "audio/opus" },
	{ "otf", "font/otf" },
	{ "pdf", "application/pdf" },
	{ "png", "image/png" },
	{ "ppt", "application/vnd.ms-powerpoint" },
	{ "pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation" },
	{ "rar", "application/vnd.rar" },
	{ "rss", "application/rss+xml" UTF8 },
	{ "rtf", "application/rtf" },
	{ "svg", "image/svg+xml" UTF8 },
	{ "svgz", "image/svg+xml" },
	{ "tar", "application/x-tar" },
	{ "tif", "image/tiff" },
	{ "tiff", "image/tiff" },
	{ "toml", "application/toml" UTF8 },
	{ "ts", "video/mp2t" },
	{ "tsv", "text/tab-separated-values" UTF8 },
	{ "ttf", "font/ttf" },
	{ "txt", "text/plain" UTF8 },
	{ "vtt", "text/vtt" UTF8 },
	{ "wasm", "application/wasm" },
	{ "wav", "audio/wav" },
	{ "weba", "audio/webm" },
	{ "webm", "video/webm" },
	{ "webmanifest", "application/manifest+json" },
	{ "webp", "image/webp" },
	{ "woff", "font/woff" },
	{ "woff2", "font/woff2" },
	{ "xhtml", "application/xhtml+xml" UTF8 },
	{ "xls", "application/vnd.ms-excel" },
	{ "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
	{ "xml", "application/xml" UTF8 },
	{ "yaml", "application/yaml" UTF8 },
	{ "yml", "application/yaml" UTF8 },
	{ "zip", "application/zip" },
	{ "zst", "application/zstd" },
};

#define MIME_EXT_MAX 16

static int cmp_entry(const void *key, const void *elem)
{
	return strcmp(key, ((const struct mime_entry *)elem)->ext);
}

/* Entries from mime_load, sorted like the built-in table. */
/* An entry from mime_load; seq keeps the file's order for duplicates. */
struct loaded_entry {
	const char *ext; /* first, so cmp_entry's key comparison works on it */
	const char *type;
	size_t seq;
};

static struct loaded_entry *loaded;
static size_t nloaded;
static size_t loaded_cap;
static char **types; /* each loaded type string once; entries share them */
static size_t ntypes;

/* A media type as it may stand in a Content-Type field: "type/subtype",
 * RFC 9110 token characters, short. Anything else in a mime.types file is
 * skipped rather than written into responses. */
static bool valid_type(const char *t)
{
	size_t n = strlen(t), slash = 0;
	if (n < 3 || n > 127)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t[i];
		if (c == '/') {
			if (slash++ || i == 0 || i == n - 1)
				return false;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("!#$%&'*+-.^_`|~", c)))
			return false;
	}
	return slash == 1;
}

/* A copy of type, with the charset for text; remembered for mime_unload. */
static const char *with_charset(const char *type)
{
	char **v = realloc(types, (ntypes + 1) * sizeof *v);
	if (!v)
		return NULL;
	types = v;
	bool text = strncmp(type, "text/", 5) == 0 || strcmp(type, "application/javascript") == 0 ||
		    strcmp(type, "application/xml") == 0 || strstr(type, "+xml") != NULL;
	size_t n = strlen(type);
	char *t = malloc(n + sizeof UTF8);
	if (!t)
		return NULL;
	memcpy(t, type, n + 1);
	if (text)
		memcpy(t + n, UTF8, sizeof UTF8);
	types[ntypes++] = t;
	return t;
}

void mime_unload(void)
{
	for (size_t i = 0; i < nloaded; i++)
		free((void *)loaded[i].ext);
	for (size_t i = 0; i < ntypes; i++)
		free(types[i]);
	free(loaded);
	free(types);
	loaded = NULL;
	types = NULL;
	nloaded = ntypes = loaded_cap = 0;
}

static int add_loaded(const char *type, const char *ext)
{
	if (strlen(ext) >= MIME_EXT_MAX)
		return 0;
	if (nloaded == loaded_cap) {
		size_t cap = loaded_cap ? loaded_cap * 2 : 256;
		struct loaded_entry *v = realloc(loaded, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		loaded = v;
		loaded_cap = cap;
	}
	char *e = strdup(ext);
	if (!e)
		return -ENOMEM;
	for (char *q = e; *q; q++)
		*q = slice_lower(*q);
	loaded[nloaded] = (struct loaded_entry){ e, type, nloaded };
	nloaded++;
	return 0;
}

/* By extension, then file order: for an extension listed twice the first
 * line of this or an earlier load wins, as the duplicates are dropped after sorting. */
static int cmp_sort_stable(const void *a, const void *b)
{
	const struct loaded_entry *x = a, *y = b;
	int c = strcmp(x->ext, y->ext);
	return c ? c : (x->seq < y->seq ? -1 : x->seq > y->seq);
}

static int cmp_loaded(const void *key, const void *elem)
{
	return strcmp(key, ((const struct loaded_entry *)elem)->ext);
}

int mime_load(const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	/* Read it whole: nginx's form may spread an entry over lines. */
	char *text = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 65536;
			char *t = cap <= (16u << 20) ? realloc(text, cap) : NULL;
			if (!t) {
				free(text);
				fclose(f);
				return -ENOMEM;
			}
			text = t;
		}
		size_t n = fread(text + len, 1, 4096, f);
		len += n;
		if (n == 0)
			break;
	}
	fclose(f);
	text[len] = '\0';
	/* Comments out; in nginx's form ';' ends an entry, in Apache's the
	 * line does: both become a newline, braces and "types" blanks. */
	bool nginx = false;
	for (char *p = text; *p; p++) {
		if (*p == '#')
			while (*p && *p != '\n')
				*p++ = ' ';
		if (!*p)
			break; /* a comment that ends the file */
		if (*p == '{') {
			nginx = true;
			*p = ' ';
		} else if (*p == '}') {
			*p = ' ';
		}
	}
	for (char *p = text; *p; p++) {
		if (*p == ';')
			*p = '\n';
		else if (nginx && *p == '\n')
			*p = ' ';
		else if (*p == '\t' || *p == '\r')
			*p = ' ';
	}
	char *save_line = NULL;
	int rc = 0;
	for (char *line = strtok_r(text, "\n", &save_line); line && rc == 0;
	     line = strtok_r(NULL, "\n", &save_line)) {
		char *save = NULL, *type = strtok_r(line, " ", &save);
		if (type && strcmp(type, "types") == 0)
			type = strtok_r(NULL, " ", &save);
		if (!type || !valid_type(type))
			continue;
		const char *full = NULL;
		for (char *ext; rc == 0 && (ext = strtok_r(NULL, " ", &save));) {
			if (!full && !(full = with_charset(type)))
				rc = -ENOMEM;
			else
				rc = add_loaded(full, ext);
		}
	}
	free(text);
	if (rc < 0)
		return rc;
	if (nloaded > 1)
		qsort(loaded, nloaded, sizeof *loaded, cmp_sort_stable);
	size_t w = 0;
	for (size_t i = 0; i < nloaded; i++) {
		if (w && strcmp(loaded[w - 1].ext, loaded[i].ext) == 0) {
			free((void *)loaded[i].ext);
			continue;
		}
		loaded[w++] = loaded[i];
	}
	nloaded = w;
	return (int)nloaded;
}

const char *mime_lookup(struct slice name)
{
	char ext[MIME_EXT_MAX];
	size_t i = name.len;

	while (i > 0 && name.ptr[i - 1] != '.' && name.ptr[i - 1] != '/')
		i--;
	/* No dot, a dot starting the name (".bashrc"), or a dot at the end. */
	if (i <= 1 || name.ptr[i - 1] != '.' || name.ptr[i - 2] == '/' || i == name.len)
		return "application/octet-stream";
	size_t n = name.len - i;
	if (n >= MIME_EXT_MAX)
		return "application/octet-stream";
	for (size_t k = 0; k < n; k++)
		ext[k] = slice_lower(name.ptr[i + k]);
	ext[n] = '\0';
	if (nloaded) {
		const struct loaded_entry *l = bsearch(ext, loaded, nloaded, sizeof *loaded, cmp_loaded);
		if (l)
			return l->type;
	}
	const struct mime_entry *e =
		bsearch(ext, table, sizeof(table) / sizeof(table[0]), sizeof(table[0]), cmp_entry);
	return e ? e->type : "application/octet-stream";
}

unsigned mime_table_size(void)
{
	return (unsigned)(sizeof(table) / sizeof(table[0]));
}

const char *mime_table_ext(unsigned i)
{
	return i < mime_table_size() ? table[i].ext : NULL;
}
