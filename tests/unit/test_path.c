/* test_path.c - percent-decoding and normalisation of request paths,
 * path_encode, and path_open's confinement to the document root. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "path.h"
#include "unit.h"

#define B(s) s, sizeof(s) - 1
#define OUTSZ 4096
#define TS PATH_TRAILING_SLASH
#define DOT PATH_DOTFILE

/* Normalises from an exact-size heap copy into a buffer followed by a
 * canary, so both over-reads (ASan) and over-writes show. */
static long norm(const char *raw, size_t len, char *out, size_t outsz, unsigned *flags)
{
	char *copy = malloc(len ? len : 1);
	char *buf = malloc(outsz + 16);
	if (!copy || !buf)
		abort();
	memcpy(copy, raw, len);
	memset(buf, '#', outsz + 16);
	long rc = path_normalize(slice_make(copy, len), buf, outsz, flags);
	for (size_t k = outsz; k < outsz + 16; k++)
		if (buf[k] != '#') {
			CHECK(buf[k] == '#', "normalize '%.*s' wrote past outsz %zu", (int)len, raw,
			      outsz);
			break;
		}
	if (rc >= 0)
		memcpy(out, buf, (size_t)rc + 1);
	free(copy);
	free(buf);
	return rc;
}

struct norm_case {
	const char *raw;
	size_t len;
	long rc;          /* > 0: expect out; < 0: the error */
	const char *out;
	unsigned flags;
};

static const struct norm_case norm_cases[] = {
	{ B("/"), 1, ".", TS },
	{ B("/index.html"), 10, "index.html", 0 },
	/* control bytes are a file name's business: the cache keys them as a
	 * field apart, logs and pages escape them */
	{ B("/%01br:about"), 9, "\x01" "br:about", 0 },
	{ B("/a/b/c"), 5, "a/b/c", 0 },
	{ B("/a/b/c/"), 5, "a/b/c", TS },
	{ B("/a//b"), 3, "a/b", 0 },
	{ B("//a"), 1, "a", 0 },
	{ B("///"), 1, ".", TS },
	{ B("/a/./b"), 3, "a/b", 0 },
	{ B("/./a"), 1, "a", 0 },
	{ B("/."), 1, ".", 0 },
	{ B("/./"), 1, ".", TS },
	{ B("/a/."), 1, "a", 0 },
	{ B("/a/../b"), 1, "b", 0 },
	{ B("/a/b/../../c"), 1, "c", 0 },
	{ B("/a/b/.."), 1, "a", 0 },
	{ B("/a/b/../"), 1, "a", TS },
	{ B("/a/.."), 1, ".", 0 },
	{ B("/a/../"), 1, ".", TS },
	{ B("/a/b/c/../../../d/"), 1, "d", TS },
	{ B("/aa/bb/../cc"), 5, "aa/cc", 0 },
	/* percent-decoding */
	{ B("/%41"), 1, "A", 0 },
	{ B("/%61%62c"), 3, "abc", 0 },
	{ B("/a%20b"), 3, "a b", 0 },
	{ B("/caf%C3%A9"), 5, "caf\xc3\xa9", 0 },
	{ B("/caf%c3%a9"), 5, "caf\xc3\xa9", 0 },
	{ B("/caf\xc3\xa9"), 5, "caf\xc3\xa9", 0 },
	{ B("/a%2fb"), 3, "a/b", 0 },
	{ B("/a%2Fb%2F"), 3, "a/b", TS },
	{ B("/a%2f..%2fb"), 1, "b", 0 },
	{ B("/a/%2e%2e/b"), 1, "b", 0 },
	{ B("/a/%2E%2e/b"), 1, "b", 0 },
	{ B("/a/.%2e/b"), 1, "b", 0 },
	{ B("/%2e/a"), 1, "a", 0 },
	{ B("/%25"), 1, "%", 0 },
	{ B("/%252e%252e"), 6, "%2e%2e", 0 },
	{ B("/%3F%23"), 2, "?#", 0 },
	{ B("/a+b"), 3, "a+b", 0 },
	/* errors */
	{ B(""), PATH_BAD, NULL, 0 },
	{ B("a"), PATH_BAD, NULL, 0 },
	{ B("a/b"), PATH_BAD, NULL, 0 },
	{ B("*"), PATH_BAD, NULL, 0 },
	{ B("."), PATH_BAD, NULL, 0 },
	{ B("%2f"), PATH_BAD, NULL, 0 },
	{ B("/%"), PATH_BAD, NULL, 0 },
	{ B("/%4"), PATH_BAD, NULL, 0 },
	{ B("/a%"), PATH_BAD, NULL, 0 },
	{ B("/a%4"), PATH_BAD, NULL, 0 },
	{ B("/%zz"), PATH_BAD, NULL, 0 },
	{ B("/%g0"), PATH_BAD, NULL, 0 },
	{ B("/%0g"), PATH_BAD, NULL, 0 },
	{ B("/% 1"), PATH_BAD, NULL, 0 },
	{ B("/%%41"), PATH_BAD, NULL, 0 },
	{ B("/%00"), PATH_BAD, NULL, 0 },
	{ B("/a%00.html"), PATH_BAD, NULL, 0 },
	{ B("/a\0b"), PATH_BAD, NULL, 0 },
	{ B("/.."), PATH_BAD, NULL, 0 },
	{ B("/../"), PATH_BAD, NULL, 0 },
	{ B("/../etc/passwd"), PATH_BAD, NULL, 0 },
	{ B("/a/../../b"), PATH_BAD, NULL, 0 },
	{ B("/a/b/../../../c"), PATH_BAD, NULL, 0 },
	{ B("/%2e%2e"), PATH_BAD, NULL, 0 },
	{ B("/%2e%2e/"), PATH_BAD, NULL, 0 },
	{ B("/.%2e/x"), PATH_BAD, NULL, 0 },
	{ B("/%2E./x"), PATH_BAD, NULL, 0 },
	{ B("/./../x"), PATH_BAD, NULL, 0 },
	{ B("//../x"), PATH_BAD, NULL, 0 },
	{ B("/%2f%2e%2e%2fx"), PATH_BAD, NULL, 0 },
	/* dotfiles, .well-known (RFC 8615) */
	{ B("/.git/config"), 11, ".git/config", DOT },
	{ B("/.git/"), 4, ".git", DOT | TS },
	{ B("/a/.htaccess"), 11, "a/.htaccess", DOT },
	{ B("/%2egit"), 4, ".git", DOT },
	{ B("/.well-known/acme-challenge/x"), 28, ".well-known/acme-challenge/x", 0 },
	{ B("/.well-known"), 11, ".well-known", 0 },
	{ B("/.well-known/"), 11, ".well-known", TS },
	{ B("/%2ewell-known/x"), 13, ".well-known/x", 0 },
	{ B("/.well-known/.secret"), 19, ".well-known/.secret", DOT },
	{ B("/.well-knownx"), 12, ".well-knownx", DOT },
	{ B("/.well-know"), 10, ".well-know", DOT },
	{ B("/.WELL-KNOWN/x"), 13, ".WELL-KNOWN/x", DOT },
	{ B("/a/.well-known"), 13, "a/.well-known", 0 },
	{ B("/..."), 3, "...", DOT },
	{ B("/a/.../b"), 7, "a/.../b", DOT },
	{ B("/.git/../a"), 1, "a", 0 },
	{ B("/a.b/c.d"), 7, "a.b/c.d", 0 },
	{ B("/a./b."), 5, "a./b.", 0 },
	{ B("/x/.%2e/.y"), 2, ".y", DOT },
};

static void test_normalize(void)
{
	for (size_t i = 0; i < sizeof norm_cases / sizeof norm_cases[0]; i++) {
		const struct norm_case *c = &norm_cases[i];
		char out[OUTSZ];
		unsigned flags = 0xdead;
		long rc = norm(c->raw, c->len, out, OUTSZ, &flags);
		CHECK(rc == c->rc, "normalize %zu '%.*s': rc %ld, want %ld", i, (int)c->len, c->raw, rc,
		      c->rc);
		if (rc > 0 && c->rc > 0) {
			CHECK(strcmp(out, c->out) == 0, "normalize %zu '%.*s': '%s', want '%s'", i,
			      (int)c->len, c->raw, out, c->out);
			CHECK(flags == c->flags, "normalize %zu '%.*s': flags %u, want %u", i,
			      (int)c->len, c->raw, flags, c->flags);
		}
	}
}

/* Output size limits: PATH_TOO_LONG, never a write past outsz. */
static void test_too_long(void)
{
	char out[OUTSZ];
	unsigned flags;
	static char big[8192];

	big[0] = '/';
	memset(big + 1, 'a', sizeof big - 1);
	CHECK(norm(big, sizeof big, out, OUTSZ, &flags) == PATH_TOO_LONG, "8192 bytes");
	CHECK(norm(big, OUTSZ, out, OUTSZ, &flags) == PATH_TOO_LONG, "OUTSZ bytes");
	CHECK(norm(big, OUTSZ - 1, out, OUTSZ, &flags) == OUTSZ - 2, "OUTSZ - 1 bytes");
	CHECK(norm("/abcdefg", 8, out, 8, &flags) == PATH_TOO_LONG, "8 into 8");
	CHECK(norm("/abcdef", 7, out, 8, &flags) == 6 && strcmp(out, "abcdef") == 0, "7 into 8");
	CHECK(norm("/", 1, out, 2, &flags) == 1 && strcmp(out, ".") == 0, "root into 2");
	CHECK(norm("/", 1, out, 1, &flags) == PATH_TOO_LONG, "root into 1");
	CHECK(norm("/a/..", 5, out, 6, &flags) == 1 && strcmp(out, ".") == 0, "/a/.. into 6");
	/* the limit is on the raw length: encoded input is not shortened first */
	CHECK(norm("/%41%42", 7, out, 7, &flags) == PATH_TOO_LONG, "encoded 7 into 7");
	CHECK(norm("/%41%42", 7, out, 8, &flags) == 2 && strcmp(out, "AB") == 0, "encoded 7 into 8");
	/* many dot-dots within the limit */
	size_t n = 0;
	for (int k = 0; k < 600; k++)
		n += (size_t)snprintf(big + n, sizeof big - n, "/a");
	for (int k = 0; k < 600; k++)
		n += (size_t)snprintf(big + n, sizeof big - n, "/..");
	CHECK(norm(big, n, out, OUTSZ, &flags) == 1 && strcmp(out, ".") == 0, "600 a/..");
	n += (size_t)snprintf(big + n, sizeof big - n, "/..");
	CHECK(norm(big, n, out, OUTSZ, &flags) == PATH_BAD, "601 .. above root");
}

/* Hostile paths: rejected, or normalised to something inside the root. */
static const char *const hostile[] = {
	"/..",
	"/../",
	"/../../../../etc/passwd",
	"/a/../../etc/passwd",
	"/a/b/c/../../../../etc/passwd",
	"/%2e%2e/etc/passwd",
	"/%2E%2E/etc/passwd",
	"/%2e%2E/%2E%2e/etc/passwd",
	"/.%2e/etc/passwd",
	"/%2e./etc/passwd",
	"/..%2fetc%2fpasswd",
	"/..%2Fetc%2Fpasswd",
	"/%2e%2e%2fetc%2fpasswd",
	"/%2f..%2f..%2fetc/passwd",
	"/a%2f..%2f..%2fetc",
	"/%252e%252e/etc/passwd",
	"/%252e%252e%252fetc%252fpasswd",
	"/%25252e%25252e/x",
	"/%c0%ae%c0%ae/etc/passwd",
	"/%c0%ae%c0%ae%c0%afetc%c0%afpasswd",
	"/%e0%80%ae%e0%80%ae/etc/passwd",
	"/%c1%9c../etc/passwd",
	"/%ef%bc%8e%ef%bc%8e/x",
	"/..\\..\\etc\\passwd",
	"/..%5c..%5cetc%5cpasswd",
	"/..%5C..%5Cwindows",
	"/a\\..\\..\\b",
	"/\\..\\x",
	"//etc/passwd",
	"///etc//passwd",
	"//..//..//etc",
	"/./././../x",
	"/./.././x",
	"/...",
	"/..../x",
	"/a/.../../b",
	"/a./../..",
	"/a/..%00/x",
	"/%00",
	"/index.html%00.txt",
	"/%00/../x",
	"/a%",
	"/a%2",
	"/a%%",
	"/%u002e%u002e/x",
	"/%%32%65%%32%65/x",
	"/..;/x",
	"/.;/x",
	"/..%20/x",
	"/%20../x",
	"/.. /x",
	"/ ../x",
	"/..%09/x",
	"/.%0a./x",
	"/..%0d%0a/x",
	"/..?/x",
	"/..#/x",
	"/.git/../../x",
	"/.well-known/../../x",
	"/.well-known/../.git/config",
	"/a/b/%2e%2e/%2e%2e/%2e%2e/x",
	"/a/b/%2e%2e%2f%2e%2e%2f%2e%2e%2fx",
	"/%2e%2e%5c%2e%2e%5c/x",
	"/x/..%2f..%2f..%2f",
	"/\xc0\xae\xc0\xae/x",
	"/\xff\xfe/../..",
	"/a/./b/./../../../x",
	"/a//..//..//x",
	"/proc/self/root/etc/passwd",
	"/a/b/c/d/e/f/g/h/../../../../../../../../../x",
	"/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
	"/....//....//etc",
	"/%2e%2e%2e/x",
	"/a%2f%2e%2e",
	"/a%2f%2e%2e%2f",
	"/a%2f%2e%2e%2f%2e%2e",
	"/%2e",
	"/%2e/",
	"/%2e%2f",
	"/file.",
	"/file..",
	"/dir./",
	"/C:\\Windows\\win.ini",
	"/c:/windows/win.ini",
	"/%43%3a%5c",
	"/~root/.ssh/id_rsa",
	"/$HOME/x",
	"/`id`",
	"/\x7f..",
};

static bool inside_root(const char *out, size_t n)
{
	if (n == 0 || out[0] == '/' || out[n - 1] == '/' || strlen(out) != n)
		return false;
	if (strcmp(out, ".") == 0)
		return true;
	for (size_t s = 0; s < n;) {
		size_t e = s;
		while (e < n && out[e] != '/')
			e++;
		size_t len = e - s;
		if (len == 0 || (len == 1 && out[s] == '.') ||
		    (len == 2 && out[s] == '.' && out[s + 1] == '.'))
			return false;
		s = e + 1;
	}
	return true;
}

/* A segment starting with '.' other than ".well-known" (and not the root
 * itself, "."). */
static bool has_dot_segment(const char *out)
{
	if (strcmp(out, ".") == 0)
		return false;
	for (const char *s = out; *s;) {
		size_t len = strcspn(s, "/");
		if (s[0] == '.' && !(len == 11 && strncmp(s, ".well-known", 11) == 0))
			return true;
		s += len + (s[len] == '/');
	}
	return false;
}

static void test_hostile(void)
{
	size_t count = sizeof hostile / sizeof hostile[0];
	static char longs[4][OUTSZ + 100];
	const char *extra[4];
	size_t extra_len[4];

	CHECK(count >= 60, "only %zu hostile paths", count);

	/* very long ones */
	memset(longs[0], 0, sizeof longs[0]);
	for (size_t k = 0; k + 3 < OUTSZ + 50; k += 3)
		memcpy(longs[0] + k, "/..", 3);
	extra[0] = longs[0];
	extra_len[0] = strlen(longs[0]);
	memset(longs[1], 0, sizeof longs[1]);
	longs[1][0] = '/';
	for (size_t k = 1; k + 3 < OUTSZ - 10; k += 3)
		memcpy(longs[1] + k, "%2e", 3);
	extra[1] = longs[1];
	extra_len[1] = strlen(longs[1]);
	memset(longs[2], 0, sizeof longs[2]);
	for (size_t k = 0; k + 4 < OUTSZ - 10; k += 4)
		memcpy(longs[2] + k, "/a/.", 4);
	memcpy(longs[2] + strlen(longs[2]), "/../../..", 9);
	extra[2] = longs[2];
	extra_len[2] = strlen(longs[2]);
	memset(longs[3], 'x', OUTSZ + 50);
	longs[3][0] = '/';
	longs[3][OUTSZ + 50] = '\0';
	extra[3] = longs[3];
	extra_len[3] = OUTSZ + 50;

	for (size_t i = 0; i < count + 4; i++) {
		const char *raw = i < count ? hostile[i] : extra[i - count];
		size_t len = i < count ? strlen(raw) : extra_len[i - count];
		char out[OUTSZ];
		unsigned flags;
		long rc = norm(raw, len, out, OUTSZ, &flags);

		if (rc == PATH_BAD || rc == PATH_TOO_LONG)
			continue;
		CHECK(rc > 0, "hostile %zu '%.60s': rc %ld", i, raw, rc);
		if (rc <= 0)
			continue;
		CHECK(inside_root(out, (size_t)rc), "hostile %zu '%.60s' -> '%s' escapes", i, raw, out);
		CHECK(has_dot_segment(out) == ((flags & PATH_DOTFILE) != 0),
		      "hostile %zu '%s': PATH_DOTFILE is %u", i, out, flags & PATH_DOTFILE);
	}
	CHECK(norm(extra[3], extra_len[3], (char[OUTSZ]){ 0 }, OUTSZ, &(unsigned){ 0 }) ==
		      PATH_TOO_LONG,
	      "very long path not PATH_TOO_LONG");
}

/* ---- path_encode ---------------------------------------------------------- */

struct enc_case {
	const char *rel;
	size_t len;
	const char *out;
};

static const struct enc_case enc_cases[] = {
	{ B("."), "/" },
	{ B("a"), "/a" },
	{ B("index.html"), "/index.html" },
	{ B("a/b/c/"), "/a/b/c/" },
	{ B("a b"), "/a%20b" },
	{ B("%"), "/%25" },
	{ B("?#"), "/%3F%23" },
	{ B("a;b"), "/a%3Bb" },
	{ B("caf\xc3\xa9"), "/caf%C3%A9" },
	{ B("-._~!$&'()*+,=:@"), "/-._~!$&'()*+,=:@" },
	{ B("\"<>\\^`{|}"), "/%22%3C%3E%5C%5E%60%7B%7C%7D" },
	{ B("\x01\x7f\n\r\t"), "/%01%7F%0A%0D%09" },
	{ B("a\0b"), "/a%00b" },
	{ B("\xff"), "/%FF" },
	{ B(".well-known/x"), "/.well-known/x" },
	{ B(".."), "/.." },
};

static void test_encode(void)
{
	for (size_t i = 0; i < sizeof enc_cases / sizeof enc_cases[0]; i++) {
		const struct enc_case *c = &enc_cases[i];
		char out[256];
		long n = path_encode(c->rel, c->len, out, sizeof out);
		CHECK(n == (long)strlen(c->out) && memcmp(out, c->out, strlen(c->out)) == 0,
		      "encode %zu: '%.*s' (%ld), want '%s'", i, (int)(n > 0 ? n : 0), out, n, c->out);
	}
	/* len limits what is read */
	char out[64];
	long n = path_encode("abc", 2, out, sizeof out);
	CHECK(n == 3 && memcmp(out, "/ab", 3) == 0, "encode with len 2");

	/* too small: -1, and never a write past outsz */
	static const char *const rels[] = { "abc", "a b", "\xc3\xa9\xc3\xa9", "index.html", "." };
	for (size_t i = 0; i < sizeof rels / sizeof rels[0]; i++) {
		char full[64];
		long want = path_encode(rels[i], strlen(rels[i]), full, sizeof full);
		CHECK(want > 0, "encode '%s'", rels[i]);
		for (size_t sz = 0; sz < (size_t)want + 8; sz++) {
			char buf[80];
			memset(buf, '#', sizeof buf);
			long got = path_encode(rels[i], strlen(rels[i]), buf, sz);
			bool canary = true;
			for (size_t k = sz; k < sizeof buf; k++)
				canary = canary && buf[k] == '#';
			CHECK(canary, "encode '%s' into %zu wrote past the end", rels[i], sz);
			CHECK(got == -1 || (got == want && memcmp(buf, full, (size_t)want) == 0 &&
					    (size_t)got <= sz),
			      "encode '%s' into %zu: %ld", rels[i], sz, got);
			if (sz < (size_t)want)
				CHECK(got == -1, "encode '%s' into %zu: %ld, must not fit", rels[i], sz,
				      got);
			if (sz >= (size_t)want + 3)
				CHECK(got == want, "encode '%s' into %zu: %ld, must fit", rels[i], sz,
				      got);
		}
	}
}

/* normalize(encode(normalize(x))) == normalize(x), with the same dotfile flag. */
static void test_encode_round_trip(void)
{
	static const char *const raws[] = {
		"/a b/c", "/caf%C3%A9/x.html", "/%25/%3F/%23", "/a;b=c", "/.well-known/a%2Fb",
		"/.git/x", "/%252e%252e", "/~user/!$&'()*+,=:@", "/\"<>\\^`{|}", "/%01%1f%7f%ff",
		"/", "/a/b/../c/", "/%2e%2e%2e", "/x.tar.gz",
	};
	for (size_t i = 0; i < sizeof raws / sizeof raws[0]; i++) {
		char a[OUTSZ], enc[OUTSZ], b[OUTSZ];
		unsigned fa, fb;
		long na = norm(raws[i], strlen(raws[i]), a, OUTSZ, &fa);
		CHECK(na > 0, "round trip %zu: normalize '%s' %ld", i, raws[i], na);
		if (na <= 0)
			continue;
		long ne = path_encode(a, (size_t)na, enc, sizeof enc);
		CHECK(ne > 0 && enc[0] == '/', "round trip %zu: encode '%s'", i, a);
		if (ne <= 0)
			continue;
		long nb = norm(enc, (size_t)ne, b, OUTSZ, &fb);
		CHECK(nb == na && strcmp(a, b) == 0, "round trip %zu: '%s' -> '%.*s' -> '%s'", i, a,
		      (int)ne, enc, nb > 0 ? b : "(error)");
		CHECK((fa & PATH_DOTFILE) == (fb & PATH_DOTFILE), "round trip %zu: dotfile flag", i);
	}
}

/* ---- path_open ------------------------------------------------------------- */

static char base[PATH_MAX];

static int rm_entry(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(p);
}

/* dir + "/" + name, aborting rather than truncating. */
static void join(char *out, size_t sz, const char *dir, const char *name)
{
	if ((size_t)snprintf(out, sz, "%s/%s", dir, name) >= sz)
		abort();
}

static void write_file(const char *dir, const char *name, const char *content)
{
	char p[PATH_MAX];
	join(p, sizeof p, dir, name);
	FILE *f = fopen(p, "w");
	if (!f) {
		perror(p);
		abort();
	}
	fputs(content, f);
	fclose(f);
}

static void make_link(const char *target, const char *dir, const char *name)
{
	char p[PATH_MAX];
	join(p, sizeof p, dir, name);
	if (symlink(target, p) != 0) {
		perror(p);
		abort();
	}
}

enum open_expect {
	OPEN_OK,      /* opens; content checked if given */
	OPEN_REFUSED, /* a symlink was refused: -EXDEV or -ELOOP */
	OPEN_ENOENT,
	OPEN_ELOOP,
};

struct open_case {
	const char *rel;
	enum open_expect expect, expect_nosym;
	const char *content; /* NULL: a directory or not checked */
};

static const struct open_case open_cases[] = {
	{ "index.html", OPEN_OK, OPEN_OK, "inside\n" },
	{ "sub/file.txt", OPEN_OK, OPEN_OK, "sub file\n" },
	{ ".hidden", OPEN_OK, OPEN_OK, "hidden\n" },
	{ "sub", OPEN_OK, OPEN_OK, NULL },
	{ ".", OPEN_OK, OPEN_OK, NULL },
	{ "missing", OPEN_ENOENT, OPEN_ENOENT, NULL },
	{ "sub/missing", OPEN_ENOENT, OPEN_ENOENT, NULL },
	/* symlinks that stay inside the root */
	{ "link_rel_in", OPEN_OK, OPEN_REFUSED, "inside\n" },
	{ "link_sub/file.txt", OPEN_OK, OPEN_REFUSED, "sub file\n" },
	{ "sub/link_up", OPEN_OK, OPEN_REFUSED, "inside\n" },
	{ "sub/link_dot/file.txt", OPEN_OK, OPEN_REFUSED, "sub file\n" },
	{ "link_abs_in", OPEN_OK, OPEN_REFUSED, "inside\n" },
	{ "link_abs_root/index.html", OPEN_OK, OPEN_REFUSED, "inside\n" },
	{ "link_chain", OPEN_OK, OPEN_REFUSED, "inside\n" },
	/* symlinks out of the root */
	{ "link_rel_out", OPEN_REFUSED, OPEN_REFUSED, NULL },
	{ "link_abs_out", OPEN_REFUSED, OPEN_REFUSED, NULL },
	{ "link_abs_etc", OPEN_REFUSED, OPEN_REFUSED, NULL },
	{ "link_dir_out/outside.txt", OPEN_REFUSED, OPEN_REFUSED, NULL },
	{ "link_abs_dir_out/outside.txt", OPEN_REFUSED, OPEN_REFUSED, NULL },
	{ "link_dir_out", OPEN_REFUSED, OPEN_REFUSED, NULL },
	{ "sub/link_out_deep", OPEN_REFUSED, OPEN_REFUSED, NULL },
	{ "link_chain_out", OPEN_REFUSED, OPEN_REFUSED, NULL },
	/* a sibling whose name has the root's name as prefix (www vs www2) */
	{ "link_sibling", OPEN_REFUSED, OPEN_REFUSED, NULL },
	{ "link_sibling_abs", OPEN_REFUSED, OPEN_REFUSED, NULL },
	{ "link_sibling_dir/secret.txt", OPEN_REFUSED, OPEN_REFUSED, NULL },
	/* relative names that are not normalised escape attempts */
	{ "../outside.txt", OPEN_REFUSED, OPEN_REFUSED, NULL },
	{ "sub/../../outside.txt", OPEN_REFUSED, OPEN_REFUSED, NULL },
	/* broken links */
	{ "link_dangling", OPEN_ENOENT, OPEN_REFUSED, NULL },
	{ "link_loop", OPEN_ELOOP, OPEN_ELOOP, NULL },
};

static void check_open(const struct path_root *root, const struct open_case *c, bool nosym)
{
	enum open_expect e = nosym ? c->expect_nosym : c->expect;
	int fd = path_open(root, c->rel);
	const char *mode = nosym ? "no_symlinks" : "symlinks";

	switch (e) {
	case OPEN_OK:
		CHECK(fd >= 0, "open %s (%s): %d (%s)", c->rel, mode, fd, fd < 0 ? strerror(-fd) : "");
		break;
	case OPEN_REFUSED:
		CHECK(fd == -EXDEV || fd == -ELOOP, "open %s (%s): %d, want -EXDEV or -ELOOP", c->rel,
		      mode, fd);
		break;
	case OPEN_ENOENT:
		CHECK(fd == -ENOENT, "open %s (%s): %d, want -ENOENT", c->rel, mode, fd);
		break;
	case OPEN_ELOOP:
		CHECK(fd == -ELOOP, "open %s (%s): %d, want -ELOOP", c->rel, mode, fd);
		break;
	}
	if (fd < 0)
		return;
	int fl = fcntl(fd, F_GETFL);
	CHECK(fl >= 0 && (fl & O_ACCMODE) == O_RDONLY && (fl & O_NONBLOCK),
	      "open %s: flags %#x not read-only non-blocking", c->rel, fl);
	CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0, "open %s: not close-on-exec", c->rel);
	if (c->content) {
		char buf[64];
		ssize_t n = read(fd, buf, sizeof buf - 1);
		buf[n > 0 ? n : 0] = '\0';
		CHECK(strcmp(buf, c->content) == 0, "open %s (%s): read '%s', want '%s'", c->rel, mode,
		      buf, c->content);
	}
	close(fd);
}

static void test_open(void)
{
	char root_dir[PATH_MAX], real[PATH_MAX], p[PATH_MAX * 2], p2[PATH_MAX];

	snprintf(base, sizeof base, "%s/test_path.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		CHECK(0, "cannot create a temporary directory");
		return;
	}
	join(root_dir, sizeof root_dir, base, "www");
	join(p2, sizeof p2, base, "www2");
	join(p, sizeof p, base, "www/sub");
	if (mkdir(root_dir, 0755) || mkdir(p2, 0755) || mkdir(p, 0755)) {
		perror("mkdir");
		abort();
	}
	write_file(base, "outside.txt", "outside\n");
	write_file(p2, "secret.txt", "secret\n");
	write_file(root_dir, "index.html", "inside\n");
	write_file(root_dir, ".hidden", "hidden\n");
	write_file(p, "file.txt", "sub file\n");
	if (!realpath(root_dir, real)) {
		perror("realpath");
		abort();
	}

	make_link("index.html", root_dir, "link_rel_in");
	make_link("sub", root_dir, "link_sub");
	make_link("../index.html", p, "link_up");
	make_link(".", p, "link_dot");
	make_link("link_rel_in", root_dir, "link_chain");
	make_link("link_rel_out", root_dir, "link_chain_out");
	join(p2, sizeof p2, real, "index.html");
	make_link(p2, root_dir, "link_abs_in");
	make_link(real, root_dir, "link_abs_root");
	make_link("../outside.txt", root_dir, "link_rel_out");
	join(p2, sizeof p2, base, "outside.txt");
	make_link(p2, root_dir, "link_abs_out");
	make_link("/etc/passwd", root_dir, "link_abs_etc");
	make_link("..", root_dir, "link_dir_out");
	make_link(base, root_dir, "link_abs_dir_out");
	make_link("../../outside.txt", p, "link_out_deep");
	make_link("../www2/secret.txt", root_dir, "link_sibling");
	join(p2, sizeof p2, base, "www2/secret.txt");
	make_link(p2, root_dir, "link_sibling_abs");
	join(p2, sizeof p2, base, "www2");
	make_link(p2, root_dir, "link_sibling_dir");
	make_link("nonexistent", root_dir, "link_dangling");
	make_link("link_loop", root_dir, "link_loop");

	struct path_root root = { .fd = open(real, O_PATH | O_DIRECTORY | O_CLOEXEC), .real = real };
	CHECK(root.fd >= 0, "open root %s", real);
	if (root.fd >= 0) {
		for (size_t i = 0; i < sizeof open_cases / sizeof open_cases[0]; i++) {
			root.no_symlinks = false;
			check_open(&root, &open_cases[i], false);
			root.no_symlinks = true;
			check_open(&root, &open_cases[i], true);
		}
		/* an absolute rel never escapes either */
		root.no_symlinks = false;
		int fd = path_open(&root, "/etc/passwd");
		CHECK(fd < 0, "open /etc/passwd through the root: %d", fd);
		if (fd >= 0)
			close(fd);
		join(p, sizeof p, base, "outside.txt");
		fd = path_open(&root, p);
		CHECK(fd < 0, "open %s through the root: %d", p, fd);
		if (fd >= 0)
			close(fd);
		close(root.fd);
	}

	nftw(base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	test_normalize();
	test_too_long();
	test_hostile();
	test_encode();
	test_encode_round_trip();
	test_open();
	return unit_done("path");
}
