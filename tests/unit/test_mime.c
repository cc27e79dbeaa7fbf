/* test_mime.c - extension -> media type table and lookup. */
#include <string.h>

#include "mime.h"
#include "unit.h"

#define OCTET "application/octet-stream"
#define UTF8 "; charset=utf-8"

static const char *lookup(const char *name)
{
	return mime_lookup(slice_make(name, strlen(name)));
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

struct mime_case {
	const char *name, *type;
};

static const struct mime_case cases[] = {
	{ "index.html", "text/html" UTF8 },
	{ "index.htm", "text/html" UTF8 },
	{ "INDEX.HTML", "text/html" UTF8 },
	{ "a.HtMl", "text/html" UTF8 },
	{ "style.css", "text/css" UTF8 },
	{ "app.js", "text/javascript" UTF8 },
	{ "mod.mjs", "text/javascript" UTF8 },
	{ "notes.txt", "text/plain" UTF8 },
	{ "README.md", "text/markdown" UTF8 },
	{ "data.csv", "text/csv" UTF8 },
	{ "data.json", "application/json" },
	{ "feed.xml", "application/xml" UTF8 },
	{ "logo.svg", "image/svg+xml" UTF8 },
	{ "logo.png", "image/png" },
	{ "photo.jpg", "image/jpeg" },
	{ "photo.JPG", "image/jpeg" },
	{ "photo.jpeg", "image/jpeg" },
	{ "anim.gif", "image/gif" },
	{ "pic.webp", "image/webp" },
	{ "pic.avif", "image/avif" },
	{ "favicon.ico", "image/x-icon" },
	{ "font.woff2", "font/woff2" },
	{ "font.woff", "font/woff" },
	{ "doc.pdf", "application/pdf" },
	{ "mod.wasm", "application/wasm" },
	{ "movie.mp4", "video/mp4" },
	{ "song.mp3", "audio/mpeg" },
	{ "archive.zip", "application/zip" },
	{ "archive.tar.gz", "application/gzip" },
	{ "archive.TAR", "application/x-tar" },
	{ "site.webmanifest", "application/manifest+json" },
	{ "7z.7z", "application/x-7z-compressed" },
	{ "dir/sub/page.html", "text/html" UTF8 },
	{ "dir.d/page.css", "text/css" UTF8 },
	{ "a..html", "text/html" UTF8 },
	{ "dir/.hidden.css", "text/css" UTF8 },
	/* no usable extension */
	{ "", OCTET },
	{ "Makefile", OCTET },
	{ "dir/Makefile", OCTET },
	{ ".bashrc", OCTET },
	{ ".html", OCTET },
	{ "dir/.html", OCTET },
	{ "dir/.htaccess", OCTET },
	{ "file.", OCTET },
	{ "file.html.", OCTET },
	{ ".", OCTET },
	{ "..", OCTET },
	{ "dir.html/file", OCTET },
	{ "dir.css/", OCTET },
	{ "a.unknown", OCTET },
	{ "a.htmlx", OCTET },
	{ "a.htm l", OCTET },
	{ "a.xhtml5", OCTET },
	{ "a.h", OCTET },
	{ "a.bin", OCTET },
	{ "a.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  OCTET },
	{ "a.webmanifestwebmanifest", OCTET },
	{ "a.html\xc3\xa9", OCTET },
};

static void test_cases(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *t = lookup(cases[i].name);
		CHECK(t && strcmp(t, cases[i].type) == 0, "'%s' -> '%s', want '%s'", cases[i].name,
		      t ? t : "(null)", cases[i].type);
	}
	/* a name that is not NUL-terminated where the slice ends */
	static const char buf[] = "x.html.gz";
	const char *t = mime_lookup(slice_make(buf, 6));
	CHECK(strcmp(t, "text/html" UTF8) == 0, "slice 'x.html' of 'x.html.gz' -> '%s'", t);
	t = mime_lookup(slice_make(buf, 3));
	CHECK(strcmp(t, OCTET) == 0, "slice 'x.h' -> '%s'", t);
}

static void test_table(void)
{
	unsigned n = mime_table_size();
	unsigned bad_order = 0;

	CHECK(n >= 40, "only %u table entries", n);
	CHECK(mime_table_ext(n) == NULL, "entry past the end is not NULL");
	CHECK(mime_table_ext(n + 1000) == NULL, "entry far past the end is not NULL");
	for (unsigned i = 0; i < n; i++) {
		const char *ext = mime_table_ext(i);
		CHECK(ext != NULL, "entry %u is NULL", i);
		if (!ext)
			continue;
		if (i > 0 && mime_table_ext(i - 1) && strcmp(mime_table_ext(i - 1), ext) >= 0) {
			bad_order++;
			CHECK(0, "table not sorted: '%s' before '%s'", mime_table_ext(i - 1), ext);
		}
		bool lower = ext[0] != '\0' && strlen(ext) < 16;
		for (const char *p = ext; *p; p++)
			lower = lower && ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'));
		CHECK(lower, "extension '%s' not lowercase alphanumeric (lookup lowercases)", ext);

		/* every entry is found, in any case, in any directory */
		char name[64], upper[64], dir[80];
		snprintf(name, sizeof name, "file.%s", ext);
		snprintf(dir, sizeof dir, "a.b/c/file.%s", ext);
		size_t k;
		for (k = 0; name[k]; k++)
			upper[k] = (name[k] >= 'a' && name[k] <= 'z') ? (char)(name[k] - 32) : name[k];
		upper[k] = '\0';
		const char *t = lookup(name);
		CHECK(strcmp(ext, "bin") == 0 || strcmp(t, OCTET) != 0, "'%s' not found", name);
		CHECK(strcmp(lookup(upper), t) == 0, "'%s' -> '%s' differs from '%s'", upper,
		      lookup(upper), t);
		CHECK(strcmp(lookup(dir), t) == 0, "'%s' differs", dir);
		/* the extension alone is a dotfile name, never typed */
		snprintf(name, sizeof name, ".%s", ext);
		CHECK(strcmp(lookup(name), OCTET) == 0, "dotfile '%s' -> '%s'", name, lookup(name));

		/* text types carry the charset; others never a bare "text/" */
		if (starts_with(t, "text/"))
			CHECK(ends_with(t, UTF8), "'%s' is '%s' without charset", ext, t);
		CHECK(strchr(t, '/') != NULL && !strchr(t, ' ') == !strchr(t, ';'),
		      "'%s' -> malformed '%s'", ext, t);
		if (strstr(t, "charset"))
			CHECK(ends_with(t, UTF8), "'%s' -> odd charset '%s'", ext, t);
	}
	CHECK(bad_order == 0, "%u entries out of order", bad_order);
}

int main(void)
{
	test_cases();
	test_table();
	return unit_done("mime");
}
