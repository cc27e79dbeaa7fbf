/* test_mime.c - extension -> media type table and lookup; mime.types
 * files (Apache and nginx forms) loaded over it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mime.h"
#include "unit.h"
#include "unit_tmp.h"

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

/* ---- mime_load ---- */


/* Apache form: "type ext ext ..." with '#' comments, tabs, CRLF. */
static const char apache_types[] =
	"# This is a comment. I love comments.\n"
	"#\n"
	"# MIME type (lowercased)\t\t\tExtensions\n"
	"# ============================================\t==========\n"
	"\n"
	"text/x-custom\t\t\t\t\tcst CST2\t# a trailing comment\n"
	"application/x-thing thing\r\n"
	"application/x-override\t\tpng\n"       /* over the built-in image/png */
	"text/x-markdown\tmd markdown\n"          /* over the built-in text/markdown */
	"application/json\t\t\tjson map\n"      /* no charset */
	"application/xml\t\t\t\txsd\n"         /* charset */
	"image/svg+xml\t\t\t\tsvg svgz\n"      /* +xml: charset */
	"application/vnd.custom+xml\tcxml\n"
	"application/javascript\t\tjsx\n"        /* charset */
	"application/ecmascript\tes\n"            /* not in the rule: none */
	"image/x-custom\t\t\t\timgx\n"
	"application/x-no-extensions\n"            /* ignored */
	"notatype ext1 ext2\n"                     /* no '/': ignored */
	"#text/x-commented cmt\n"
	"application/x-long aaaaaaaaaaaaaaaa bbbbbbbbbbbbbbb\n" /* 16 chars: skipped */
	"   text/x-indented   ind   \n"
	"text/x-last last"; /* no final newline */

/* nginx form: a "types" block, ';' ending each entry. */
static const char nginx_types[] =
	"\n"
	"types {\n"
	"    text/html                                        html htm shtml;\n"
	"    text/x-nginx                                     ngx;\n"
	"    image/x-ngimg                                    ngi ngj;\n"
	"    application/x-ngapp                              nga; # comment\n"
	"    application/vnd.openxmlformats-officedocument.presentationml.presentation\n"
	"                                                     pptx;\n"
	"    application/x-demo\n"
	"                                                     demo;\n"
	"}\n";

struct load_case {
	const char *name, *type;
};

static const struct load_case apache_cases[] = {
	{ "a.cst", "text/x-custom" UTF8 },
	{ "a.CST", "text/x-custom" UTF8 },
	{ "a.cst2", "text/x-custom" UTF8 },          /* extensions are lowercased */
	{ "a.Cst2", "text/x-custom" UTF8 },
	{ "x.thing", "application/x-thing" },          /* CRLF line */
	{ "x.png", "application/x-override" },        /* loaded wins over built-in */
	{ "README.md", "text/x-markdown" UTF8 },
	{ "x.markdown", "text/x-markdown" UTF8 },
	{ "x.json", "application/json" },
	{ "x.map", "application/json" },
	{ "x.xsd", "application/xml" UTF8 },
	{ "x.svg", "image/svg+xml" UTF8 },
	{ "x.svgz", "image/svg+xml" UTF8 },
	{ "x.cxml", "application/vnd.custom+xml" UTF8 },
	{ "x.jsx", "application/javascript" UTF8 },
	{ "x.es", "application/ecmascript" },
	{ "x.imgx", "image/x-custom" },
	{ "x.ind", "text/x-indented" UTF8 },
	{ "x.last", "text/x-last" UTF8 },
	/* not loaded */
	{ "x.ext1", OCTET },
	{ "x.ext2", OCTET },
	{ "x.cmt", OCTET },
	{ "x.aaaaaaaaaaaaaaaa", OCTET },
	{ "x.bbbbbbbbbbbbbbb", "application/x-long" }, /* 15 characters fit */
	{ "x.notatype", OCTET },
	/* the built-in table still answers for the rest */
	{ "style.css", "text/css" UTF8 },
	{ "index.html", "text/html" UTF8 },
	{ "photo.jpg", "image/jpeg" },
	{ "Makefile", OCTET },
	{ ".cst", OCTET },                            /* a dotfile, not an extension */
};

static const struct load_case nginx_cases[] = {
	{ "index.html", "text/html" UTF8 },
	{ "x.shtml", "text/html" UTF8 },
	{ "x.ngx", "text/x-nginx" UTF8 },
	{ "x.ngi", "image/x-ngimg" },
	{ "x.NGJ", "image/x-ngimg" },
	{ "x.nga", "application/x-ngapp" },
	{ "x.types", OCTET },
	{ "x.pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation" },
	/* nginx's own conf/mime.types splits long entries over two lines
	 * (type, then the extensions and ';' on the next) */
	{ "x.demo", "application/x-demo" },
	{ "style.css", "text/css" UTF8 },
};

static void check_cases(const struct load_case *c, size_t n, const char *what)
{
	for (size_t i = 0; i < n; i++) {
		const char *t = lookup(c[i].name);
		CHECK(t && strcmp(t, c[i].type) == 0, "%s: '%s' -> '%s', want '%s'", what, c[i].name,
		      t ? t : "(null)", c[i].type);
	}
}

static void test_load(void)
{
	snprintf(tmpdir, sizeof tmpdir, "%s/test_mime.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		CHECK(0, "cannot create a temporary directory");
		return;
	}
	/* built-in answers before any load */
	CHECK(strcmp(lookup("x.png"), "image/png") == 0, "x.png before load: '%s'", lookup("x.png"));

	int n = mime_load(write_tmp("apache.types", apache_types));
	/* cst CST2 thing png md markdown json map xsd svg svgz cxml jsx es imgx
	 * bbbbbbbbbbbbbbb ind last */
	CHECK(n == 18, "apache form: %d extensions loaded, want 18", n);
	check_cases(apache_cases, sizeof apache_cases / sizeof apache_cases[0], "apache");
	mime_unload();
	/* unloaded: the built-in table alone */
	CHECK(strcmp(lookup("x.png"), "image/png") == 0, "x.png after unload: '%s'", lookup("x.png"));
	CHECK(strcmp(lookup("x.md"), "text/markdown" UTF8) == 0, "x.md after unload: '%s'",
	      lookup("x.md"));
	CHECK(strcmp(lookup("x.cst"), OCTET) == 0, "x.cst after unload: '%s'", lookup("x.cst"));

	n = mime_load(write_tmp("nginx.types", nginx_types));
	/* html htm shtml ngx ngi ngj nga pptx demo */
	CHECK(n == 9, "nginx form: %d extensions loaded, want 9", n);
	check_cases(nginx_cases, sizeof nginx_cases / sizeof nginx_cases[0], "nginx");
	mime_unload();
	CHECK(strcmp(lookup("x.ngx"), OCTET) == 0, "x.ngx after unload: '%s'", lookup("x.ngx"));

	/* an empty file and one of comments load nothing */
	CHECK(mime_load(write_tmp("empty.types", "")) == 0, "empty file loaded entries");
	CHECK(mime_load(write_tmp("comments.types", "# a\n\n   \n#b c/d e\n")) == 0,
	      "comments loaded entries");
	CHECK(strcmp(lookup("x.e"), OCTET) == 0, "x.e after a file of comments");
	mime_unload();

	/* a missing file: -errno, nothing changed */
	char missing[600];
	snprintf(missing, sizeof missing, "%s/missing.types", tmpdir);
	n = mime_load(missing);
	CHECK(n == -ENOENT, "missing file: %d, want %d", n, -ENOENT);
	CHECK(strcmp(lookup("x.png"), "image/png") == 0, "x.png after a failed load");
	mime_unload(); /* with nothing loaded */

	/* many extensions (the table grows past its first allocation) */
	FILE *f = fopen(write_tmp("many.types", ""), "w");
	if (f) {
		for (int i = 0; i < 1000; i++)
			fprintf(f, "application/x-t%d e%d f%d\n", i % 10, i, i);
		fclose(f);
		char path[600];
		snprintf(path, sizeof path, "%s/many.types", tmpdir);
		n = mime_load(path);
		CHECK(n == 2000, "many: %d loaded, want 2000", n);
		int bad = 0;
		for (int i = 0; i < 1000; i += 37) {
			char name[32], want[32];
			snprintf(name, sizeof name, "x.E%d", i);
			snprintf(want, sizeof want, "application/x-t%d", i % 10);
			if (strcmp(lookup(name), want) != 0) {
				bad++;
				CHECK(0, "many: '%s' -> '%s', want '%s'", name, lookup(name), want);
			}
		}
		CHECK(bad == 0, "many: %d wrong", bad);
		mime_unload();
	}

	static const char *const names[] = { "apache.types", "nginx.types", "empty.types",
					     "comments.types", "many.types" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char path[600];
		snprintf(path, sizeof path, "%s/%s", tmpdir, names[i]);
		unlink(path);
	}
	rmdir(tmpdir);
}

int main(void)
{
	test_cases();
	test_table();
	test_load();
	/* the built-in table is back as it was */
	test_cases();
	return unit_done("mime");
}
