/* test_auth.c - HTTP Basic authentication (RFC 7617): base64 (RFC 4648),
 * the Authorization value checked against bcrypt and SHA-crypt hashes,
 * the per-thread cache of verified values, and the htpasswd loader. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_CRYPT
#include <crypt.h>
#endif

#include "auth.h"
#include "unit.h"
#include "unit_tmp.h"

/* ---- base64 ---- */

struct b64_case {
	const char *in;
	size_t len;      /* of in, when it holds a NUL; else 0 */
	long want;       /* length, or -1 */
	const char *out; /* want bytes (may hold NUL) */
	size_t cap;      /* 0: a large buffer; NOCAP: 0 */
};

#define NOCAP ((size_t)-1)

static const struct b64_case b64_cases[] = {
	/* RFC 4648 section 10 */
	{ "", 0, 0, "", 0 },
	{ "Zg==", 0, 1, "f", 0 },
	{ "Zm8=", 0, 2, "fo", 0 },
	{ "Zm9v", 0, 3, "foo", 0 },
	{ "Zm9vYg==", 0, 4, "foob", 0 },
	{ "Zm9vYmE=", 0, 5, "fooba", 0 },
	{ "Zm9vYmFy", 0, 6, "foobar", 0 },
	/* every alphabet character, binary output */
	{ "AP8A", 0, 3, "\x00\xff\x00", 0 },
	{ "+/+/", 0, 3, "\xfb\xff\xbf", 0 },
	{ "////", 0, 3, "\xff\xff\xff", 0 },
	{ "AAAA", 0, 3, "\0\0\0", 0 },
	{ "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3ODkrLw==",
	  0, 64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 0 },
	{ "YWxhZGRpbjpvcGVuc2VzYW1l", 0, 18, "aladdin:opensesame", 0 }, /* RFC 7617 */
	/* bad length: padding is required */
	{ "Zg", 0, -1, NULL, 0 },
	{ "Zg=", 0, -1, NULL, 0 },
	{ "Zm9", 0, -1, NULL, 0 },
	{ "Zm9vY", 0, -1, NULL, 0 },
	{ "Zm9vYg", 0, -1, NULL, 0 },
	{ "Zm9vYmFy=", 0, -1, NULL, 0 },
	{ "Z", 0, -1, NULL, 0 },
	/* characters outside the alphabet */
	{ "Zm9!", 0, -1, NULL, 0 },
	{ "Zm 9", 0, -1, NULL, 0 },
	{ "Zm9\n", 0, -1, NULL, 0 },
	{ "-_8A", 0, -1, NULL, 0 }, /* base64url is not base64 */
	{ "Zm9v\x80\x80\x80\x80", 0, -1, NULL, 0 },
	{ "Zm9\0", 4, -1, NULL, 0 },
	{ "Zm9vYmFy.AAA", 0, -1, NULL, 0 },
	/* '=' anywhere but the end of the last quantum */
	{ "Zg==Zg==", 0, -1, NULL, 0 },
	{ "Zm8=Zm9v", 0, -1, NULL, 0 },
	{ "=Zm9", 0, -1, NULL, 0 },
	{ "Z=m9", 0, -1, NULL, 0 },
	{ "Zm=9", 0, -1, NULL, 0 },
	{ "Zg=a", 0, -1, NULL, 0 },
	{ "Z===", 0, -1, NULL, 0 },
	{ "====", 0, -1, NULL, 0 },
	{ "Zm9v====", 0, -1, NULL, 0 },
	/* the output must fit cap */
	{ "Zm9vYmFy", 0, 6, "foobar", 6 },
	{ "Zm9vYmFy", 0, -1, NULL, 5 },
	{ "Zm9vYmFy", 0, -1, NULL, 3 },
	{ "Zm9vYg==", 0, 4, "foob", 4 },
	{ "Zm9vYg==", 0, -1, NULL, 3 },
	{ "Zm9vYmE=", 0, -1, NULL, 4 },
	{ "Zg==", 0, 1, "f", 1 },
	{ "Zg==", 0, -1, NULL, NOCAP },
	{ "", 0, 0, "", NOCAP },
};

static void test_base64(void)
{
	for (size_t i = 0; i < sizeof b64_cases / sizeof b64_cases[0]; i++) {
		const struct b64_case *c = &b64_cases[i];
		char out[128];
		size_t cap = c->cap == NOCAP ? 0 : c->cap ? c->cap : 100;
		size_t inlen = c->len ? c->len : strlen(c->in);
		memset(out, 0x5a, sizeof out);
		long n = auth_base64_decode(slice_make(c->in, inlen), out, cap);
		CHECK(n == c->want, "decode('%s', cap %zu) = %ld, want %ld", c->in, cap, n, c->want);
		if (n == c->want && n > 0)
			CHECK(memcmp(out, c->out, (size_t)n) == 0, "decode('%s'): wrong bytes", c->in);
		/* nothing written past cap, whatever the result */
		bool clean = true;
		for (size_t k = cap; k < sizeof out; k++)
			clean = clean && out[k] == 0x5a;
		CHECK(clean, "decode('%s', cap %zu) wrote past cap", c->in, cap);
	}

	/* round trip of every byte value through an independent encoder */
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char raw[256];
	for (int i = 0; i < 256; i++)
		raw[i] = (unsigned char)(255 - i);
	for (size_t len = 0; len <= sizeof raw; len += len < 8 ? 1 : 37) {
		char enc[400], dec[300];
		size_t w = 0;
		for (size_t i = 0; i < len; i += 3) {
			unsigned x = (unsigned)raw[i] << 16 | (i + 1 < len ? (unsigned)raw[i + 1] << 8 : 0) |
				     (i + 2 < len ? raw[i + 2] : 0);
			enc[w++] = alphabet[x >> 18];
			enc[w++] = alphabet[x >> 12 & 63];
			enc[w++] = i + 1 < len ? alphabet[x >> 6 & 63] : '=';
			enc[w++] = i + 2 < len ? alphabet[x & 63] : '=';
		}
		long n = auth_base64_decode(slice_make(enc, w), dec, sizeof dec);
		CHECK(n == (long)len && memcmp(dec, raw, len) == 0, "round trip of %zu bytes: %ld", len,
		      n);
	}
}

/* ---- auth_check ---- */

static void b64_encode(const char *in, size_t len, char *out)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)in;
	size_t w = 0;
	for (size_t i = 0; i < len; i += 3) {
		unsigned x = (unsigned)p[i] << 16 | (i + 1 < len ? (unsigned)p[i + 1] << 8 : 0) |
			     (i + 2 < len ? p[i + 2] : 0);
		out[w++] = alphabet[x >> 18];
		out[w++] = alphabet[x >> 12 & 63];
		out[w++] = i + 1 < len ? alphabet[x >> 6 & 63] : '=';
		out[w++] = i + 2 < len ? alphabet[x & 63] : '=';
	}
	out[w] = '\0';
}

/* "<scheme>" + base64(creds, credlen) + "<tail>" */
static void make_value(char *out, size_t cap, const char *scheme, const char *creds, size_t credlen,
		       const char *tail)
{
	char enc[4096];
	if (credlen > 3000)
		abort();
	b64_encode(creds, credlen, enc);
	size_t a = strlen(scheme), b = strlen(enc), c = strlen(tail);
	if (a + b + c + 1 > cap)
		abort(); /* a test bug */
	memcpy(out, scheme, a);
	memcpy(out + a, enc, b);
	memcpy(out + a + b, tail, c + 1);
}

static bool check(const struct auth *a, struct auth_cache *cache, const char *value)
{
	return auth_check(a, cache, slice_make(value, strlen(value)));
}

static unsigned cached(const struct auth_cache *cache)
{
	unsigned n = 0;
	for (unsigned i = 0; i < AUTH_CACHE; i++)
		n += cache->value[i] != NULL;
	return n;
}

static double mono_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

#ifdef HAVE_CRYPT
/* Known hashes of "Hello world!" (Drepper's SHA-crypt specification). */
#define SHA256_HELLO "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5"
#define SHA512_HELLO                                                            \
	"$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4" \
	"OTLiBFdcbYEdFCoEOfaS35inz1"

/* crypt_r of password with a fresh salt for prefix ("$2b$", "$6$"). */
static char *make_hash(const char *prefix, unsigned long count, const char *password)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	if (!crypt_gensalt_rn(prefix, count, NULL, 0, salt, sizeof salt)) {
		CHECK(0, "crypt_gensalt_rn(%s) failed", prefix);
		return strdup("*");
	}
	struct crypt_data *cd = calloc(1, sizeof *cd);
	const char *h = cd ? crypt_r(password, salt, cd) : NULL;
	CHECK(h && h[0] != '*' && strncmp(h, prefix, strlen(prefix)) == 0, "crypt_r(%s) = '%s'",
	      salt, h ? h : "(null)");
	char *copy = strdup(h ? h : "*");
	free(cd);
	return copy;
}

struct check_case {
	const char *scheme; /* "Basic " and variants */
	const char *creds;  /* user:password before base64 */
	size_t credlen;     /* 0: strlen */
	const char *tail;
	bool ok;
};

static const struct check_case check_cases[] = {
	/* right passwords, every hash kind */
	{ "Basic ", "alice:secret", 0, "", true },   /* $6$ made here */
	{ "Basic ", "bob:p:ss", 0, "", true },       /* $2b$; ':' in the password */
	{ "Basic ", "carol:", 0, "", true },         /* $5$, empty password */
	{ "Basic ", "dave:Hello world!", 0, "", true }, /* known $5$ */
	{ "Basic ", "erin:Hello world!", 0, "", true }, /* known $6$ */
	{ "Basic ", "frank:\xc3\xa9t\xc3\xa9", 0, "", true }, /* UTF-8 password, $2y$ */
	/* scheme: case-insensitive, then 1*SP; OWS around the value */
	{ "basic ", "alice:secret", 0, "", true },
	{ "BASIC ", "alice:secret", 0, "", true },
	{ "bAsIc ", "alice:secret", 0, "", true },
	{ "Basic   ", "alice:secret", 0, "", true },
	{ "  Basic ", "alice:secret", 0, " \t", true },
	/* wrong passwords */
	{ "Basic ", "alice:wrong", 0, "", false },
	{ "Basic ", "alice:secre", 0, "", false },
	{ "Basic ", "alice:secret ", 0, "", false },
	{ "Basic ", "alice:Secret", 0, "", false },
	{ "Basic ", "alice:", 0, "", false },
	{ "Basic ", "alice::secret", 0, "", false },
	{ "Basic ", "bob:p", 0, "", false },
	{ "Basic ", "bob:p:ss:", 0, "", false },
	{ "Basic ", "carol:x", 0, "", false },
	{ "Basic ", "carol: ", 0, "", false },
	{ "Basic ", "dave:Hello world", 0, "", false },
	{ "Basic ", "erin:hello world!", 0, "", false },
	{ "Basic ", "frank:ete", 0, "", false },
	{ "Basic ", "bob:secret", 0, "", false },   /* another user's password */
	{ "Basic ", "alice:p:ss", 0, "", false },
	/* unknown users; names are exact */
	{ "Basic ", "mallory:secret", 0, "", false },
	{ "Basic ", "ALICE:secret", 0, "", false },
	{ "Basic ", "alice :secret", 0, "", false },
	{ "Basic ", " alice:secret", 0, "", false },
	{ "Basic ", ":secret", 0, "", false },
	{ "Basic ", ":", 0, "", false },
	/* locked or broken hashes never match, even an empty password */
	{ "Basic ", "locked:", 0, "", false },
	{ "Basic ", "locked:!", 0, "", false },
	{ "Basic ", "empty:", 0, "", false },
	{ "Basic ", "star:", 0, "", false },
	{ "Basic ", "star:*", 0, "", false },
	/* no ':' */
	{ "Basic ", "alicesecret", 0, "", false },
	{ "Basic ", "alice", 0, "", false },
	{ "Basic ", "", 0, "", false },
	/* NUL inside the credentials */
	{ "Basic ", "alice:secret\0x", 14, "", false },
	{ "Basic ", "alice\0:secret", 13, "", false },
	{ "Basic ", "alice:sec\0ret", 13, "", false },
	/* not Basic, or not "Basic " */
	{ "", "alice:secret", 0, "", false },
	{ "Basic", "alice:secret", 0, "", false },
	{ "Basic\t", "alice:secret", 0, "", false },
	{ "Basic:", "alice:secret", 0, "", false },
	{ "Bearer ", "alice:secret", 0, "", false },
	{ "Basics ", "alice:secret", 0, "", false },
	{ "Digest ", "alice:secret", 0, "", false },
	{ "Basic Basic ", "alice:secret", 0, "", false },
	/* malformed base64 */
	{ "Basic ", "alice:secret", 0, "=", false },
	{ "Basic ", "alice:secret", 0, "A", false },
	{ "Basic ", "alice:secret", 0, " x", false },
	{ "Basic ", "alice:secret", 0, "!!!!", false },
	{ "Basic !", "alice:secret", 0, "", false },
};

static void test_check(void)
{
	char *h6 = make_hash("$6$", 0, "secret");
	char *h2b = make_hash("$2b$", 4, "p:ss");
	char *h5 = make_hash("$5$", 0, "");
	char *h2y = make_hash("$2y$", 4, "\xc3\xa9t\xc3\xa9");
	struct auth_user users[] = {
		{ "alice", h6 },
		{ "bob", h2b },
		{ "carol", h5 },
		{ "dave", SHA256_HELLO },
		{ "erin", SHA512_HELLO },
		{ "frank", h2y },
		{ "locked", "!" },
		{ "empty", "" },
		{ "star", "*" },
	};
	struct auth a = { .users = users, .n = sizeof users / sizeof users[0] };

	for (size_t i = 0; i < sizeof check_cases / sizeof check_cases[0]; i++) {
		const struct check_case *c = &check_cases[i];
		char value[2048];
		size_t credlen = c->credlen ? c->credlen : strlen(c->creds);
		make_value(value, sizeof value, c->scheme, c->creds, credlen, c->tail);
		/* a fresh cache: the hash decides */
		struct auth_cache cache = { 0 };
		bool ok = check(&a, &cache, value);
		CHECK(ok == c->ok, "'%s' (%s%.*s%s): %d, want %d", value, c->scheme, (int)credlen,
		      c->creds, c->tail, ok, c->ok);
		CHECK(cached(&cache) == (c->ok ? 1u : 0u), "'%s': %u cached", value, cached(&cache));
		/* twice: the same answer, now perhaps from the cache */
		ok = check(&a, &cache, value);
		CHECK(ok == c->ok, "'%s' again: %d, want %d", value, ok, c->ok);
		CHECK(cached(&cache) == (c->ok ? 1u : 0u), "'%s' again: %u cached", value,
		      cached(&cache));
		auth_cache_clear(&cache);
		CHECK(cached(&cache) == 0, "clear left %u", cached(&cache));
	}

	/* too long a value: refused before any decoding */
	{
		char creds[1100], value[2000];
		memset(creds, 'x', sizeof creds);
		memcpy(creds, "alice:secret", 12);
		struct auth_cache cache = { 0 };
		make_value(value, sizeof value, "Basic ", creds, sizeof creds, "");
		CHECK(!check(&a, &cache, value), "a %zu-byte value accepted", strlen(value));
		make_value(value, sizeof value, "Basic ", "alice:secret", 12, "");
		CHECK(check(&a, &cache, value), "alice:secret refused");
		auth_cache_clear(&cache);
	}

	/* the cache: a verified value is not hashed again. Swapping alice's
	 * hash for one that cannot match shows where the answer comes from. */
	{
		struct auth_cache cache = { 0 };
		char value[256], lower[256];
		make_value(value, sizeof value, "Basic ", "alice:secret", 12, "");
		make_value(lower, sizeof lower, "basic ", "alice:secret", 12, "");
		CHECK(check(&a, &cache, value), "alice refused");
		CHECK(cached(&cache) == 1, "%u cached after one success", cached(&cache));
		users[0].hash = "!";
		CHECK(check(&a, &cache, value), "cached value refused");
		CHECK(!check(&a, &cache, lower), "uncached value accepted with a locked hash");
		/* a value that only shares a prefix is not a hit */
		char longer[300];
		snprintf(longer, sizeof longer, "%sAAAA", value);
		CHECK(!check(&a, &cache, longer), "cached prefix accepted");
		snprintf(longer, sizeof longer, "%.*s", (int)strlen(value) - 1, value);
		CHECK(!check(&a, &cache, longer), "cached value less its last byte accepted");
		CHECK(!check(&a, &cache, ""), "empty value accepted");
		auth_cache_clear(&cache);
		CHECK(!check(&a, &cache, value), "value accepted after clear with a locked hash");
		users[0].hash = h6;

		/* AUTH_CACHE distinct values are kept; one more evicts the oldest */
		static const char *const schemes[] = { "basic ", "Basic ", "bAsic ", "baSic ", "basIc ",
						       "basiC ", "BAsic ", "BaSic ", "BasIc ",
						       "BasiC ", "bASic ", "bAsIc ", "bAsiC ", "baSIc ",
						       "baSiC ", "basIC ", "BASic ", "BAsIc " };
		enum { NS = sizeof schemes / sizeof schemes[0] };
		char values[NS][256];
		for (size_t i = 0; i < NS; i++)
			make_value(values[i], sizeof values[i], schemes[i], "bob:p:ss", 8, "");
		for (size_t i = 0; i < AUTH_CACHE + 1 && i < NS; i++)
			CHECK(check(&a, &cache, values[i]), "'%s' refused", values[i]);
		CHECK(cached(&cache) == AUTH_CACHE, "%u cached, want %d", cached(&cache), AUTH_CACHE);
		users[1].hash = "!";
		CHECK(!check(&a, &cache, values[0]), "the oldest value is still cached");
		for (size_t i = 1; i < AUTH_CACHE + 1 && i < NS; i++)
			CHECK(check(&a, &cache, values[i]), "'%s' not cached", values[i]);
		users[1].hash = h2b;
		/* wrong passwords are never cached */
		auth_cache_clear(&cache);
		char wrong[256];
		make_value(wrong, sizeof wrong, "Basic ", "bob:nope", 8, "");
		CHECK(!check(&a, &cache, wrong) && !check(&a, &cache, wrong) && cached(&cache) == 0,
		      "a wrong password cached");
		auth_cache_clear(&cache);
		auth_cache_clear(&cache); /* twice is fine */
	}

	/* no users: nothing passes */
	{
		struct auth none = { .users = NULL, .n = 0 };
		struct auth_cache cache = { 0 };
		char value[256];
		make_value(value, sizeof value, "Basic ", "alice:secret", 12, "");
		CHECK(!check(&none, &cache, value), "accepted with no users");
	}
	free(h6);
	free(h2b);
	free(h5);
	free(h2y);
}

/* ---- auth_load ---- */


static void test_load(void)
{
	snprintf(tmpdir, sizeof tmpdir, "%s/test_auth.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		CHECK(0, "cannot create a temporary directory");
		return;
	}
	char *h2b = make_hash("$2b$", 4, "pw2");
	char text[2048];
	struct auth a;
	char err[256] = "";
	const char *path;
	snprintf(text, sizeof text,
		 "# users\n"
		 "\n"
		 "dave:" SHA256_HELLO "\n"
		 "erin:" SHA512_HELLO "\r\n"
		 "#bob:$2b$04$xxxxxxxxxxxxxxxxxxxxxx\n"
		 "bob:%s\n"
		 "bob2:%s", /* no final newline */
		 h2b, h2b);
	path = write_tmp("ok", text);
	err[0] = '\0';
	int rc = auth_load(&a, path, err, sizeof err);
	CHECK(rc == 0, "auth_load = %d (%s)", rc, err);
	CHECK(a.n == 4, "%zu users, want 4", a.n);
	if (rc == 0 && a.n == 4) {
		CHECK(strcmp(a.users[0].name, "dave") == 0 && strcmp(a.users[0].hash, SHA256_HELLO) == 0,
		      "user 0 '%s' '%s'", a.users[0].name, a.users[0].hash);
		CHECK(strcmp(a.users[1].name, "erin") == 0 && strcmp(a.users[1].hash, SHA512_HELLO) == 0,
		      "user 1 '%s' '%s' (CR kept?)", a.users[1].name, a.users[1].hash);
		CHECK(strcmp(a.users[2].name, "bob") == 0 && strcmp(a.users[2].hash, h2b) == 0,
		      "user 2 '%s'", a.users[2].name);
		CHECK(strcmp(a.users[3].name, "bob2") == 0 && strcmp(a.users[3].hash, h2b) == 0,
		      "user 3 '%s' '%s'", a.users[3].name, a.users[3].hash);
		struct auth_cache cache = { 0 };
		char value[256];
		make_value(value, sizeof value, "Basic ", "erin:Hello world!", 17, "");
		CHECK(check(&a, &cache, value), "loaded erin refused");
		make_value(value, sizeof value, "Basic ", "bob2:pw2", 8, "");
		CHECK(check(&a, &cache, value), "loaded bob2 refused");
		make_value(value, sizeof value, "Basic ", "bob2:pw", 7, "");
		CHECK(!check(&a, &cache, value), "loaded bob2 with a wrong password accepted");
		auth_cache_clear(&cache);
	}
	auth_free(&a);
	CHECK(a.n == 0 && a.users == NULL, "auth_free left %zu users", a.n);

	static const struct {
		const char *text;
		const char *err; /* substring of the message */
	} bad[] = {
		{ "alice:$apr1$abc$defghijklmnopqrstuvwx\n", "line 1" }, /* Apache MD5 */
		{ "alice:{SHA}abcdefghijklmnopqrstuvwxyz0=\n", "line 1" },
		{ "alice:plaintext\n", "line 1" },
		{ "dave:" SHA256_HELLO "\nalice\n", "line 2" },
		{ ":" SHA256_HELLO "\n", "line 1" },
		{ "# comment\n\nalice\n", "line 3" },
		{ "dave " SHA256_HELLO "\n", "line 1" },
		{ "alice:\n", "line 1" },
		{ "", "no user" },
		{ "# only a comment\n\n", "no user" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		path = write_tmp("bad", bad[i].text);
		err[0] = '\0';
		rc = auth_load(&a, path, err, sizeof err);
		CHECK(rc == -1, "'%s' loaded (%d)", bad[i].text, rc);
		CHECK(strstr(err, bad[i].err) != NULL, "'%s': error '%s', want '%s'", bad[i].text, err,
		      bad[i].err);
		auth_free(&a);
	}
	snprintf(text, sizeof text, "%s/missing", tmpdir);
	err[0] = '\0';
	CHECK(auth_load(&a, text, err, sizeof err) == -1 && strstr(err, "missing"),
	      "missing file: '%s'", err);
	auth_free(&a);

	free(h2b);
	unlink(write_tmp("bad", ""));
	unlink(write_tmp("ok", ""));
	rmdir(tmpdir);
}

/* ---- auth_verify ---- */

/* auth_verify alone answers as auth_check does with an empty cache, and
 * keeps nothing: the same value is hashed again each time. */
static void test_verify(void)
{
	char *h6 = make_hash("$6$", 0, "secret");
	char *h2b = make_hash("$2b$", 4, "p:ss");
	char *h5 = make_hash("$5$", 0, "");
	char *h2y = make_hash("$2y$", 4, "\xc3\xa9t\xc3\xa9");
	struct auth_user users[] = {
		{ "alice", h6 },
		{ "bob", h2b },
		{ "carol", h5 },
		{ "dave", SHA256_HELLO },
		{ "erin", SHA512_HELLO },
		{ "frank", h2y },
		{ "locked", "!" },
		{ "empty", "" },
		{ "star", "*" },
	};
	struct auth a = { .users = users, .n = sizeof users / sizeof users[0] };
	for (size_t i = 0; i < sizeof check_cases / sizeof check_cases[0]; i++) {
		const struct check_case *c = &check_cases[i];
		char value[2048];
		size_t credlen = c->credlen ? c->credlen : strlen(c->creds);
		make_value(value, sizeof value, c->scheme, c->creds, credlen, c->tail);
		bool ok = auth_verify(&a, slice_make(value, strlen(value)));
		CHECK(ok == c->ok, "verify '%s' (%s%.*s%s): %d, want %d", value, c->scheme,
		      (int)credlen, c->creds, c->tail, ok, c->ok);
	}
	/* the answer comes from the hash each time */
	char value[256];
	make_value(value, sizeof value, "Basic ", "alice:secret", 12, "");
	struct slice v = slice_make(value, strlen(value));
	CHECK(auth_verify(&a, v) && auth_verify(&a, v), "alice refused");
	users[0].hash = "!";
	CHECK(!auth_verify(&a, v), "verified with a locked hash: remembered?");
	users[0].hash = h6;
	/* the first user's hash stands in for unknown users: it lets none in */
	make_value(value, sizeof value, "Basic ", "nobody:secret", 13, "");
	CHECK(!auth_verify(&a, slice_make(value, strlen(value))),
	      "an unknown user with the first user's password accepted");
	struct auth none = { .users = NULL, .n = 0 };
	make_value(value, sizeof value, "Basic ", "alice:secret", 12, "");
	CHECK(!auth_verify(&none, slice_make(value, strlen(value))), "accepted with no users");
	free(h6);
	free(h2b);
	free(h5);
	free(h2y);
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return a < b ? -1 : a > b;
}

/* This thread's CPU time: the hash's work, not the time other processes
 * on a busy machine take from it. */
static double cpu_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* An unknown user costs one hash, as a known user with a wrong password
 * does, so the time of a 401 does not tell which names exist. Medians of
 * interleaved runs, compared with a generous factor. */
#define TIMING_RUNS 9

static void test_verify_timing(void)
{
	static const struct {
		const char *prefix;
		unsigned long cost;
	} kinds[] = { { "$5$", 20000 }, { "$2b$", 6 } };
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		char *ha = make_hash(kinds[k].prefix, kinds[k].cost, "alice-pw");
		char *hb = make_hash(kinds[k].prefix, kinds[k].cost, "bob-pw");
		struct auth_user users[] = { { "alice", ha }, { "bob", hb } };
		struct auth a = { .users = users, .n = 2 };
		char known[256], unknown[256], right[256];
		make_value(known, sizeof known, "Basic ", "bob:wrong", 9, "");
		make_value(unknown, sizeof unknown, "Basic ", "mallory:wrong", 13, "");
		make_value(right, sizeof right, "Basic ", "bob:bob-pw", 10, "");
		CHECK(auth_verify(&a, slice_make(right, strlen(right))), "%s: bob refused",
		      kinds[k].prefix);
		double tk[TIMING_RUNS], tu[TIMING_RUNS];
		for (int i = 0; i < TIMING_RUNS; i++) {
			double t0 = cpu_ms();
			bool ok_k = auth_verify(&a, slice_make(known, strlen(known)));
			double t1 = cpu_ms();
			bool ok_u = auth_verify(&a, slice_make(unknown, strlen(unknown)));
			double t2 = cpu_ms();
			CHECK(!ok_k && !ok_u, "%s: a wrong password accepted", kinds[k].prefix);
			tk[i] = t1 - t0;
			tu[i] = t2 - t1;
		}
		qsort(tk, TIMING_RUNS, sizeof tk[0], cmp_double);
		qsort(tu, TIMING_RUNS, sizeof tu[0], cmp_double);
		double mk = tk[TIMING_RUNS / 2], mu = tu[TIMING_RUNS / 2];
		CHECK(mu >= 0.5 * mk, "%s: unknown user %.3f ms, known user %.3f ms (medians)",
		      kinds[k].prefix, mu, mk);
		CHECK(mk >= 0.5 * mu, "%s: known user %.3f ms, unknown user %.3f ms (medians)",
		      kinds[k].prefix, mk, mu);
		free(ha);
		free(hb);
	}
}

#else /* !HAVE_CRYPT */

static void test_check(void)
{
	printf("auth: built without libcrypt (HAVE_CRYPT): hash checks skipped\n");
	/* without crypt nothing authenticates, however well-formed */
	struct auth_user users[] = { { "alice", "$6$saltstring$x" } };
	struct auth a = { .users = users, .n = 1 };
	struct auth_cache cache = { 0 };
	char value[256];
	make_value(value, sizeof value, "Basic ", "alice:secret", 12, "");
	CHECK(!check(&a, &cache, value), "accepted without crypt support");
	CHECK(cached(&cache) == 0, "cached without crypt support");
}

static void test_load(void)
{
	struct auth a;
	char err[256] = "";
	CHECK(auth_load(&a, "/dev/null", err, sizeof err) == -1, "auth_load without crypt succeeded");
	CHECK(strstr(err, "not available") != NULL, "error '%s'", err);
}

static void test_verify(void)
{
	struct auth_user users[] = { { "alice", "$6$saltstring$x" } };
	struct auth a = { .users = users, .n = 1 };
	char value[256];
	make_value(value, sizeof value, "Basic ", "alice:secret", 12, "");
	CHECK(!auth_verify(&a, slice_make(value, strlen(value))), "verified without crypt support");
}

static void test_verify_timing(void)
{
}

#endif

/* ---- auth_cached, auth_remember ---- */

/* What a cache remembers, and what it answers: only the bytes remembered
 * (OWS trimmed), never a prefix, another scheme, or a value past 1024
 * bytes. auth_cached verifies nothing: remember only what was verified. */
#define V_ALICE "Basic YWxpY2U6c2VjcmV0" /* alice:secret */
#define V_BOB "Basic Ym9iOnA6c3M="        /* bob:p:ss */
#define V_WRONG "Basic YWxpY2U6bm9wZQ=="  /* alice:nope, never verified */

static const char *const remembered[] = {
	V_ALICE,
	"  " V_BOB "\t",           /* kept trimmed */
	V_WRONG,                   /* remember trusts its caller */
	"Bearer YWxpY2U6c2VjcmV0", /* not Basic: not kept */
	"Basic ",                  /* no credentials: not kept */
	"",
};

struct cached_case {
	const char *value;
	bool hit;
};

static const struct cached_case cached_cases[] = {
	{ V_ALICE, true },
	{ " " V_ALICE, true },
	{ V_ALICE "  ", true },
	{ "\t" V_ALICE "\t ", true },
	{ V_BOB, true },
	{ V_WRONG, true },
	{ "basic YWxpY2U6c2VjcmV0", false }, /* other bytes for the same credentials */
	{ "Basic  YWxpY2U6c2VjcmV0", false },
	{ "Basic YWxpY2U6c2VjcmV", false },   /* a prefix */
	{ "Basic YWxpY2U6c2VjcmV0A", false }, /* longer */
	{ "Basic YWxpY2U6c2VjcmV1", false },
	{ "Bearer YWxpY2U6c2VjcmV0", false },
	{ "YWxpY2U6c2VjcmV0", false },
	{ "Basic ", false },
	{ "Basic", false },
	{ "", false },
	{ "   ", false },
};

static void test_cached(void)
{
	struct auth_cache cache = { 0 };
	for (size_t i = 0; i < sizeof cached_cases / sizeof cached_cases[0]; i++) {
		const char *v = cached_cases[i].value;
		CHECK(!auth_cached(&cache, 1, slice_make(v, strlen(v))), "'%s' in an empty cache", v);
	}
	for (size_t i = 0; i < sizeof remembered / sizeof remembered[0]; i++)
		auth_remember(&cache, 1, slice_make(remembered[i], strlen(remembered[i])));
	CHECK(cached(&cache) == 3, "%u values kept, want 3", cached(&cache));
	for (size_t i = 0; i < sizeof cached_cases / sizeof cached_cases[0]; i++) {
		const char *v = cached_cases[i].value;
		bool hit = auth_cached(&cache, 1, slice_make(v, strlen(v)));
		CHECK(hit == cached_cases[i].hit, "cached('%s') = %d, want %d", v, hit,
		      cached_cases[i].hit);
	}
	/* a value is its slice: a prefix of a longer buffer */
	const char *longer = V_ALICE "XYZ";
	CHECK(auth_cached(&cache, 1, slice_make(longer, strlen(V_ALICE))), "slice of a longer buffer");
	CHECK(!auth_cached(&cache, 1, slice_make(longer, strlen(longer))), "longer value");

	/* over 1024 bytes: neither kept nor found; exactly 1024: kept */
	static char big[1100];
	memcpy(big, "Basic ", 6);
	memset(big + 6, 'A', sizeof big - 7);
	auth_remember(&cache, 1, slice_make(big, strlen(big)));
	CHECK(cached(&cache) == 3 && !auth_cached(&cache, 1, slice_make(big, strlen(big))),
	      "a %zu-byte value kept", strlen(big));
	auth_remember(&cache, 1, slice_make(big, 1024));
	CHECK(cached(&cache) == 4 && auth_cached(&cache, 1, slice_make(big, 1024)),
	      "a 1024-byte value not kept");
	auth_cache_clear(&cache);
	CHECK(cached(&cache) == 0 && !auth_cached(&cache, 1, SLICE_LIT(V_ALICE)), "clear");

	/* AUTH_CACHE values are kept; each one more pushes out the oldest */
	char values[AUTH_CACHE + 3][32];
	for (int i = 0; i < AUTH_CACHE + 3; i++) {
		snprintf(values[i], sizeof values[i], "Basic dXNlcjp%04d", i);
		auth_remember(&cache, 1, slice_make(values[i], strlen(values[i])));
		bool exact = true;
		for (int j = 0; j <= i; j++)
			exact = exact && auth_cached(&cache, 1, slice_make(values[j], strlen(values[j]))) ==
						 (j > i - AUTH_CACHE);
		CHECK(exact, "after %d remembered: not exactly the last %d kept", i + 1, AUTH_CACHE);
	}
	CHECK(cached(&cache) == AUTH_CACHE, "%u kept, want %d", cached(&cache), AUTH_CACHE);
	auth_cache_clear(&cache);
	CHECK(cached(&cache) == 0, "clear left %u", cached(&cache));
}

/* ---- auth_failed: repeated failures are slowed down ---- */

/* ::ffff:10.x.y.z, as an IPv4 client is recorded. */
static void addr_of(uint8_t out[16], unsigned n)
{
	memset(out, 0, 16);
	out[10] = out[11] = 0xff;
	out[12] = 10;
	out[13] = (uint8_t)(n >> 16);
	out[14] = (uint8_t)(n >> 8);
	out[15] = (uint8_t)n;
}

/* n failures of addr at now: how many were held back, and the number of
 * the first that was (0: none). */
static unsigned fail_n(const uint8_t addr[16], uint32_t now, unsigned n, unsigned *first)
{
	unsigned late = 0, odd = 0;
	*first = 0;
	for (unsigned i = 1; i <= n; i++) {
		unsigned d = auth_failed(addr, now);
		odd += d != 0 && d != AUTH_FAIL_DELAY;
		if (d && !late++)
			*first = i;
	}
	CHECK(odd == 0, "%u delays other than 0 or %d", odd, AUTH_FAIL_DELAY);
	return late;
}

static void test_failed(void)
{
	uint8_t a[16], b[16], c[16];
	addr_of(a, 1);
	addr_of(b, 2);
	memcpy(c, a, 16);
	c[0] = 0x20; /* an IPv6 address ending as a does */
	const uint32_t t = 100000;
	unsigned first;

	/* AUTH_FAIL_FREE failures are answered at once, later ones held */
	CHECK(fail_n(a, t, AUTH_FAIL_FREE, &first) == 0, "a delayed at failure %u of %d", first,
	      AUTH_FAIL_FREE);
	for (uint32_t i = 0; i < 5; i++)
		CHECK(auth_failed(a, t + 1 + i) == AUTH_FAIL_DELAY,
		      "failure %u past the free ones not delayed", AUTH_FAIL_FREE + 1 + i);
	/* other addresses are not affected */
	CHECK(auth_failed(b, t + 5) == 0, "b delayed for a's failures");
	CHECK(auth_failed(c, t + 5) == 0, "c (a's last bytes) delayed for a's failures");
	/* the window runs from the first failure, to its last second... */
	CHECK(auth_failed(a, t + AUTH_FAIL_WINDOW) == AUTH_FAIL_DELAY,
	      "not delayed in the window's last second");
	/* ...after it the count starts again */
	CHECK(fail_n(a, t + AUTH_FAIL_WINDOW + 1, AUTH_FAIL_FREE, &first) == 0,
	      "after the window: delayed at failure %u", first);
	CHECK(auth_failed(a, t + AUTH_FAIL_WINDOW + 1) == AUTH_FAIL_DELAY,
	      "new window: failure %d not delayed", AUTH_FAIL_FREE + 1);
	CHECK(auth_failed(a, t + 1000000) == 0, "delayed after a long quiet time");
	CHECK(auth_failed(b, t + 1000000) == 0, "b delayed after a long quiet time");

	/* many distinct addresses: each on its own, nothing crashes or
	 * hangs, and the table still counts a busy address afterwards */
	const uint32_t t2 = 200000;
	double t0 = mono_ms();
	unsigned delayed = 0;
	for (unsigned i = 0; i < 200000; i++) {
		uint8_t x[16];
		addr_of(x, 1000 + i);
		delayed += auth_failed(x, t2 + i / 20000) != 0;
	}
	double spent = mono_ms() - t0;
	CHECK(delayed == 0, "%u of 200000 first failures delayed", delayed);
	CHECK(spent < 5000, "200000 addresses took %.0f ms", spent);
	uint8_t e[16];
	addr_of(e, 5);
	CHECK(fail_n(e, t2 + 10, AUTH_FAIL_FREE + 2, &first) == 2 && first == AUTH_FAIL_FREE + 1,
	      "a busy address after the flood: first delayed at %u", first);
	/* every byte of the address counts */
	unsigned shared = 0;
	for (int byte = 0; byte < 16; byte++) {
		uint8_t y[16];
		memcpy(y, e, 16);
		y[byte] ^= 0x01;
		shared += auth_failed(y, t2 + 10) != 0;
	}
	CHECK(shared == 0, "%u of 16 addresses one bit off shared e's count", shared);
}

int main(void)
{
	test_base64();
	test_check();
	test_verify();
	test_verify_timing();
	test_cached();
	test_failed();
	test_load();
	return unit_done("auth");
}
