/* mime.c - a sorted table of extensions searched with bsearch. */
#include "mime.h"

#include <stdlib.h>

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
