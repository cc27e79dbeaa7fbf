/* fuzz_auth.c - Basic authentication: auth_base64_decode and auth_check.
 * The input is a 2-byte header, then the payload:
 *
 *   0      bit 0: the payload is "user:password" that the harness sends
 *          as "Basic <base64>"; else it is the Authorization value as is
 *   1      cap: the output room given to auth_base64_decode (0..255)
 *
 * Checked on every input: auth_base64_decode of the payload into exactly
 * cap heap bytes (ASan sees a write past them) agrees with a model decoder
 * (RFC 4648 section 4, padding required); base64 of the payload, written
 * here, decodes back to it, and does not fit in one byte less. Then
 * auth_check against three users whose SHA-crypt ($5$, $6$) and bcrypt
 * hashes are made once at start-up with the fewest rounds, so it is fast:
 * it accepts exactly the right user:password pairs, and a value it
 * accepted once is accepted again (from the cache). Without libcrypt
 * (no HAVE_CRYPT) nothing may be accepted. */
#include "fuzz_check.h"

#ifdef HAVE_CRYPT
#include <crypt.h>
#endif

#include "auth.h"

#define HDR       2
#define CREDS_MAX 799 /* what auth_check decodes: its buffer less the NUL */

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static const struct {
	const char *name, *password, *prefix;
	unsigned long rounds;
} users[] = {
	{ "alice", "secret", "$5$", 1000 },
	{ "bob", "pa:ss w\xc3\xb6rd", "$6$", 1000 },
	{ "carol", "", "$2b$", 4 },
};
#define NUSERS (sizeof users / sizeof users[0])

static struct auth auth;
static struct auth_user auth_users[NUSERS];

FUZZ_NOCOV
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	for (size_t i = 0; i < NUSERS; i++) {
		auth_users[i].name = strdup(users[i].name);
#ifdef HAVE_CRYPT
		/* Fixed salt bytes: the same hashes every run. */
		static const char rbytes[16] = "fuzz_auth_salt!";
		char salt[CRYPT_GENSALT_OUTPUT_SIZE];
		struct crypt_data *cd = calloc(1, sizeof *cd);
		if (!cd || !crypt_gensalt_rn(users[i].prefix, users[i].rounds, rbytes,
					     sizeof rbytes, salt, sizeof salt))
			abort();
		const char *h = crypt_r(users[i].password, salt, cd);
		if (!h || h[0] == '*')
			abort();
		auth_users[i].hash = strdup(h);
		free(cd);
#else
		auth_users[i].hash = strdup("*");
#endif
	}
	auth.users = auth_users;
	auth.n = NUSERS;
	return 0;
}

FUZZ_NOCOV
static size_t encode(const unsigned char *p, size_t len, char *out)
{
	size_t w = 0;
	for (size_t i = 0; i < len; i += 3) {
		unsigned x = (unsigned)p[i] << 16 | (i + 1 < len ? (unsigned)p[i + 1] << 8 : 0) |
			     (i + 2 < len ? p[i + 2] : 0);
		out[w++] = alphabet[x >> 18];
		out[w++] = alphabet[x >> 12 & 63];
		out[w++] = i + 1 < len ? alphabet[x >> 6 & 63] : '=';
		out[w++] = i + 2 < len ? alphabet[x & 63] : '=';
	}
	return w;
}

/* The model decoder: -1, or the length of what it wrote to out (which has
 * room for len / 4 * 3 bytes). Bits below the last byte are ignored. */
FUZZ_NOCOV
static long decode(const char *in, size_t len, unsigned char *out)
{
	size_t w = 0;
	if (len % 4)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		const char *q = in + i;
		bool last = i + 4 == len;
		int pad = last && q[3] == '=' ? (q[2] == '=' ? 2 : 1) : 0;
		unsigned x = 0;
		for (int k = 0; k < 4; k++) {
			const char *a = k < 4 - pad && q[k] ? strchr(alphabet, q[k]) : NULL;
			if (k < 4 - pad && !a)
				return -1;
			x = x << 6 | (a ? (unsigned)(a - alphabet) : 0);
		}
		out[w++] = (unsigned char)(x >> 16);
		if (pad < 2)
			out[w++] = (unsigned char)(x >> 8);
		if (pad < 1)
			out[w++] = (unsigned char)x;
	}
	return (long)w;
}

FUZZ_NOCOV
static void check_decode(const char *payload, size_t len, size_t cap)
{
	char *in = fuzz_dup(payload, len);
	char *out = malloc(cap ? cap : 1);
	unsigned char *want = malloc(len / 4 * 3 + 1);
	long n = auth_base64_decode(slice_make(in, len), out, cap);
	long wn = decode(in, len, want);

	FUZZ_CHECK(n >= -1 && n <= (long)cap);
	if (wn >= 0 && (size_t)wn <= cap)
		FUZZ_CHECK(n == wn && memcmp(out, want, (size_t)n) == 0);
	else
		FUZZ_CHECK(n == -1);
	free(want);
	free(out);
	free(in);
}

/* base64 written here decodes back to the bytes, into exactly their room,
 * and not into one byte less. */
FUZZ_NOCOV
static void check_round_trip(const char *payload, size_t len)
{
	char *enc = malloc((len + 2) / 3 * 4 + 1);
	size_t elen = encode((const unsigned char *)payload, len, enc);
	char *e = fuzz_dup(enc, elen);
	char *out = malloc(len ? len : 1);

	FUZZ_CHECK(auth_base64_decode(slice_make(e, elen), out, len) == (long)len);
	FUZZ_CHECK(len == 0 || memcmp(out, payload, len) == 0);
	if (len > 0)
		FUZZ_CHECK(auth_base64_decode(slice_make(e, elen), out, len - 1) == -1);
	free(out);
	free(e);
	free(enc);
}

FUZZ_NOCOV
static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* Would a correct auth_check accept this Authorization value? */
FUZZ_NOCOV
static bool model_accepts(const char *v, size_t len)
{
	static const char scheme[] = "basic ";
	while (len && is_ows(*v)) {
		v++;
		len--;
	}
	while (len && is_ows(v[len - 1]))
		len--;
	if (len < 7 || len > 1024)
		return false;
	for (size_t i = 0; i < 6; i++)
		if ((v[i] >= 'A' && v[i] <= 'Z' ? v[i] + 32 : v[i]) != scheme[i])
			return false;
	v += 6;
	len -= 6;
	while (len && is_ows(*v)) {
		v++;
		len--;
	}
	unsigned char creds[1024];
	long n = decode(v, len, creds);
	if (n <= 0 || n > CREDS_MAX || memchr(creds, '\0', (size_t)n))
		return false;
	const unsigned char *colon = memchr(creds, ':', (size_t)n);
	if (!colon)
		return false;
	size_t ulen = (size_t)(colon - creds), plen = (size_t)n - ulen - 1;
	for (size_t i = 0; i < NUSERS; i++)
		if (strlen(users[i].name) == ulen && memcmp(users[i].name, creds, ulen) == 0)
			return strlen(users[i].password) == plen &&
			       memcmp(users[i].password, colon + 1, plen) == 0;
	return false;
}

FUZZ_NOCOV
static void check_auth(const char *value, size_t len)
{
	struct auth_cache cache;
	char *v = fuzz_dup(value, len);
	bool want = model_accepts(v, len);

	memset(&cache, 0, sizeof cache);
	bool ok = auth_check(&auth, &cache, slice_make(v, len));
#ifdef HAVE_CRYPT
	FUZZ_CHECK(ok == want);
#else
	(void)want;
	FUZZ_CHECK(!ok);
#endif
	if (ok)
		FUZZ_CHECK(auth_check(&auth, &cache, slice_make(v, len)));
	auth_cache_clear(&cache);
	free(v);
}

FUZZ_NOCOV
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < HDR)
		return 0;
	const char *payload = (const char *)data + HDR;
	size_t len = size - HDR;

	check_decode(payload, len, data[1]);
	check_round_trip(payload, len);
	if (data[0] & 1) {
		char *value = malloc(6 + (len + 2) / 3 * 4);
		memcpy(value, "Basic ", 6);
		size_t n = 6 + encode((const unsigned char *)payload, len, value + 6);
		check_auth(value, n);
		free(value);
	} else {
		check_auth(payload, len);
	}
	return 0;
}
