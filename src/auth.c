/* auth.c - Basic authentication. The password never leaves this file: it
 * is decoded into a stack buffer, hashed, compared, and wiped. */
#include "auth.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef HAVE_CRYPT
#include <crypt.h>
#endif

static int b64(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long auth_base64_decode(struct slice in, char *out, size_t cap)
{
	size_t w = 0;
	if (in.len % 4)
		return -1;
	for (size_t i = 0; i < in.len; i += 4) {
		int v[4];
		int pad = 0;
		for (int k = 0; k < 4; k++) {
			unsigned char c = (unsigned char)in.ptr[i + k];
			if (c == '=' && i + 4 == in.len && k >= 2) {
				v[k] = 0;
				pad++;
			} else if (pad || (v[k] = b64(c)) < 0) {
				return -1;
			}
		}
		unsigned x = (unsigned)(v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3]);
		size_t n = 3 - (size_t)pad;
		if (w + n > cap)
			return -1;
		out[w++] = (char)(x >> 16);
		if (n > 1)
			out[w++] = (char)(x >> 8 & 0xff);
		if (n > 2)
			out[w++] = (char)(x & 0xff);
	}
	return (long)w;
}

#ifdef HAVE_CRYPT
static bool supported_hash(const char *h)
{
	return strncmp(h, "$2y$", 4) == 0 || strncmp(h, "$2b$", 4) == 0 ||
	       strncmp(h, "$2a$", 4) == 0 || strncmp(h, "$5$", 3) == 0 || strncmp(h, "$6$", 3) == 0;
}
#endif

int auth_load(struct auth *a, const char *path, char *err, size_t err_cap)
{
	char line[1024];
	unsigned lineno = 0;
	memset(a, 0, sizeof *a);
#ifndef HAVE_CRYPT
	snprintf(err, err_cap, "basic authentication is not available in this build (no libcrypt)");
	(void)path;
	(void)line;
	(void)lineno;
	return -1;
#else
	FILE *f = fopen(path, "re");
	if (!f) {
		snprintf(err, err_cap, "cannot read auth file %s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f)) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		char *colon = strchr(line, ':');
		if (!colon || colon == line || !supported_hash(colon + 1)) {
			snprintf(err, err_cap, "%s line %u: expected 'user:hash' with a bcrypt or SHA-crypt hash",
				 path, lineno);
			fclose(f);
			return -1;
		}
		*colon = '\0';
		struct auth_user *u = realloc(a->users, (a->n + 1) * sizeof *u);
		if (!u) {
			fclose(f);
			return -1;
		}
		a->users = u;
		u[a->n].name = strdup(line);
		u[a->n].hash = strdup(colon + 1);
		if (!u[a->n].name || !u[a->n].hash) {
			fclose(f);
			return -1;
		}
		a->n++;
	}
	fclose(f);
	if (a->n == 0) {
		snprintf(err, err_cap, "auth file %s lists no user", path);
		return -1;
	}
	return 0;
#endif
}

/* Constant-time equality of two byte strings of the same length. */
static bool same_bytes(const char *x, const char *y, size_t n)
{
	unsigned char d = 0;
	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)(x[i] ^ y[i]);
	return d == 0;
}

void auth_cache_clear(struct auth_cache *cache)
{
	for (unsigned i = 0; i < AUTH_CACHE; i++) {
		if (cache->value[i]) {
			memset(cache->value[i], 0, cache->len[i]);
			free(cache->value[i]);
		}
		cache->value[i] = NULL;
	}
}

bool auth_check(const struct auth *a, struct auth_cache *cache, struct slice value)
{
	value = slice_trim(value);
	if (value.len < 7 || !slice_eq_ci(slice_make(value.ptr, 6), "basic ") || value.len > 1024)
		return false;
	for (unsigned i = 0; i < AUTH_CACHE; i++)
		if (cache->value[i] && cache->len[i] == value.len &&
		    same_bytes(cache->value[i], value.ptr, value.len))
			return true;
#ifdef HAVE_CRYPT
	char creds[800];
	struct slice b = slice_trim(slice_make(value.ptr + 6, value.len - 6));
	long n = auth_base64_decode(b, creds, sizeof creds - 1);
	bool ok = false;
	if (n > 0) {
		creds[n] = '\0';
		char *colon = memchr(creds, ':', (size_t)n);
		if (colon && !memchr(creds, '\0', (size_t)n)) {
			*colon = '\0';
			const char *pass = colon + 1;
			for (size_t i = 0; i < a->n; i++) {
				if (strcmp(a->users[i].name, creds) != 0)
					continue;
				struct crypt_data cd;
				memset(&cd, 0, sizeof cd);
				const char *h = crypt_r(pass, a->users[i].hash, &cd);
				size_t hl = strlen(a->users[i].hash);
				ok = h && h[0] != '*' && strlen(h) == hl && same_bytes(h, a->users[i].hash, hl);
				memset(&cd, 0, sizeof cd);
				break;
			}
		}
		memset(creds, 0, sizeof creds);
	}
	if (ok) {
		unsigned k = cache->next++ % AUTH_CACHE;
		if (cache->value[k]) {
			memset(cache->value[k], 0, cache->len[k]);
			free(cache->value[k]);
		}
		cache->value[k] = malloc(value.len);
		if (cache->value[k]) {
			memcpy(cache->value[k], value.ptr, value.len);
			cache->len[k] = value.len;
		}
	}
	return ok;
#else
	(void)a;
	return false;
#endif
}

void auth_free(struct auth *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->users[i].name);
		free(a->users[i].hash);
	}
	free(a->users);
	a->users = NULL;
	a->n = 0;
}
