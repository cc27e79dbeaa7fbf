/* auth.c - Basic authentication. The password never leaves this file: it
 * is decoded into a stack buffer, hashed, compared, and wiped. */
#include "auth.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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
/* The length of a hash's settings (algorithm and cost, before the salt):
 * "$2b$10$", "$5$rounds=9000$", "$6$". */
static size_t settings_len(const char *h)
{
	if (h[1] == '2')
		return strlen(h) >= 7 ? 7 : strlen(h);
	size_t n = 3;
	if (strncmp(h + 3, "rounds=", 7) == 0) {
		const char *d = strchr(h + 3, '$');
		n = d ? (size_t)(d - h) + 1 : n;
	}
	return n;
}

/* Times one check per distinct algorithm and cost and returns a user
 * with the slowest: a name not in the file is checked against that hash,
 * so an unknown name never answers faster than a known one. */
static size_t dearest_user(const struct auth *a)
{
	size_t best = 0, seen[16], nseen = 0;
	double best_t = -1;
	for (size_t i = 0; i < a->n; i++) {
		const char *h = a->users[i].hash;
		size_t l = settings_len(h);
		bool known = false;
		for (size_t k = 0; k < nseen && !known; k++)
			known = settings_len(a->users[seen[k]].hash) == l &&
				strncmp(a->users[seen[k]].hash, h, l) == 0;
		if (known || nseen == sizeof seen / sizeof seen[0])
			continue;
		seen[nseen++] = i;
		struct crypt_data cd;
		struct timespec t0, t1;
		memset(&cd, 0, sizeof cd);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		(void)crypt_r("timing probe", h, &cd);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double t = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		if (t > best_t) {
			best_t = t;
			best = i;
		}
	}
	return best;
}
#endif

int auth_load(struct auth *a, const char *path, char *err, size_t err_cap)
{
	char line[1024];
	unsigned lineno = 0;
	static atomic_uint_fast64_t loads;
	memset(a, 0, sizeof *a);
	a->id = atomic_fetch_add(&loads, 1) + 1;
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
	a->dearest = dearest_user(a);
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

static bool basic_value(struct slice *value)
{
	*value = slice_trim(*value);
	return value->len >= 7 && slice_eq_ci(slice_make(value->ptr, 6), "basic ") &&
	       value->len <= 1024;
}

bool auth_cached(const struct auth_cache *cache, uint64_t owner, struct slice value)
{
	if (!basic_value(&value))
		return false;
	for (unsigned i = 0; i < AUTH_CACHE; i++)
		if (cache->value[i] && cache->owner[i] == owner && cache->len[i] == value.len &&
		    same_bytes(cache->value[i], value.ptr, value.len))
			return true;
	return false;
}

bool auth_verify(const struct auth *a, struct slice value)
{
	if (!basic_value(&value))
		return false;
#ifdef HAVE_CRYPT
	char creds[800];
	struct slice b = slice_trim(slice_make(value.ptr + 6, value.len - 6));
	long n = auth_base64_decode(b, creds, sizeof creds - 1);
	bool ok = false;
	if (n > 0 && a->n) {
		creds[n] = '\0';
		char *colon = memchr(creds, ':', (size_t)n);
		if (colon && !memchr(creds, '\0', (size_t)n)) {
			*colon = '\0';
			const char *pass = colon + 1;
			/* An unknown user costs the dearest hash in the file,
			 * so timing does not tell which names exist. */
			const struct auth_user *u = NULL;
			for (size_t i = 0; i < a->n; i++)
				if (!u && strcmp(a->users[i].name, creds) == 0)
					u = &a->users[i]; /* the first line for a name */
			const char *hash = u ? u->hash : a->users[a->dearest < a->n ? a->dearest : 0].hash;
			struct crypt_data cd;
			memset(&cd, 0, sizeof cd);
			const char *h = crypt_r(pass, hash, &cd);
			size_t hl = strlen(hash);
			ok = u && h && h[0] != '*' && strlen(h) == hl && same_bytes(h, hash, hl);
			memset(&cd, 0, sizeof cd);
		}
		memset(creds, 0, sizeof creds);
	}
	return ok;
#else
	(void)a;
	return false;
#endif
}

void auth_remember(struct auth_cache *cache, uint64_t owner, struct slice value)
{
	if (!basic_value(&value))
		return;
	unsigned k = cache->next++ % AUTH_CACHE;
	if (cache->value[k]) {
		memset(cache->value[k], 0, cache->len[k]);
		free(cache->value[k]);
	}
	cache->value[k] = malloc(value.len);
	cache->owner[k] = owner;
	if (cache->value[k]) {
		memcpy(cache->value[k], value.ptr, value.len);
		cache->len[k] = value.len;
	}
}

bool auth_check(const struct auth *a, struct auth_cache *cache, struct slice value)
{
	if (auth_cached(cache, a->id, value))
		return true;
	if (!auth_verify(a, value))
		return false;
	auth_remember(cache, a->id, value);
	return true;
}

/* Failed attempts per client address: a small table where a new address
 * takes the slot of the stalest one in its probe window. */
#define LIMIT_SLOTS 1024
#define LIMIT_PROBE 8
static struct {
	uint8_t addr[16];
	uint32_t since; /* monotonic second the window started */
	uint32_t fails;
	uint32_t checking; /* checks under way */
	bool used;
} limit_tab[LIMIT_SLOTS];
static pthread_mutex_t limit_lock = PTHREAD_MUTEX_INITIALIZER;

static unsigned limit_hash(const uint8_t addr[16])
{
	uint32_t h = 2166136261u;
	for (int i = 0; i < 16; i++)
		h = (h ^ addr[i]) * 16777619u;
	return h % LIMIT_SLOTS;
}

/* Event loops read the clock once per turn, so a failure may carry a
 * second a little before the window's start: that is inside it. */
static bool window_over(uint32_t since, uint32_t now)
{
	int32_t d = (int32_t)(now - since);
	return d > AUTH_FAIL_WINDOW;
}

/* With the lock: the slot of addr, or a slot to take for it. */
static unsigned limit_slot(const uint8_t addr[16], uint32_t now, bool *found)
{
	unsigned h = limit_hash(addr), victim = h;
	uint32_t oldest = UINT32_MAX;
	*found = false;
	for (unsigned i = 0; i < LIMIT_PROBE; i++) {
		unsigned k = (h + i) % LIMIT_SLOTS;
		if (limit_tab[k].used && memcmp(limit_tab[k].addr, addr, 16) == 0) {
			*found = true;
			return k;
		}
		if (limit_tab[k].used && limit_tab[k].checking)
			continue; /* checks under way: kept */
		uint32_t age = limit_tab[k].used ? limit_tab[k].since : 0;
		if (!limit_tab[k].used || window_over(limit_tab[k].since, now)) {
			if (oldest != 0) {
				victim = k;
				oldest = 0;
			}
		} else if (age < oldest) {
			oldest = age;
			victim = k;
		}
	}
	return victim;
}

unsigned auth_failed(const uint8_t addr[16], uint32_t now)
{
	bool found;
	pthread_mutex_lock(&limit_lock);
	unsigned k = limit_slot(addr, now, &found);
	if (!found || window_over(limit_tab[k].since, now)) {
		if (!found)
			limit_tab[k].checking = 0;
		memcpy(limit_tab[k].addr, addr, 16);
		limit_tab[k].used = true;
		limit_tab[k].since = now;
		limit_tab[k].fails = 0;
	}
	uint32_t fails = ++limit_tab[k].fails;
	pthread_mutex_unlock(&limit_lock);
	return fails > AUTH_FAIL_FREE ? AUTH_FAIL_DELAY : 0;
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

/* A slot with checks under way is not taken by another address while its
 * probe window has another to give. */
bool auth_begin(const uint8_t addr[16])
{
	bool found, ok;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	uint32_t now = (uint32_t)ts.tv_sec;
	pthread_mutex_lock(&limit_lock);
	unsigned k = limit_slot(addr, now, &found);
	if (!found) {
		memcpy(limit_tab[k].addr, addr, 16);
		limit_tab[k].used = true;
		limit_tab[k].since = now;
		limit_tab[k].fails = 0;
		limit_tab[k].checking = 0;
	}
	ok = limit_tab[k].checking < AUTH_CHECKS_MAX;
	if (ok)
		limit_tab[k].checking++;
	pthread_mutex_unlock(&limit_lock);
	return ok;
}

void auth_end(const uint8_t addr[16])
{
	bool found;
	pthread_mutex_lock(&limit_lock);
	unsigned k = limit_slot(addr, 0, &found);
	if (found && limit_tab[k].checking)
		limit_tab[k].checking--;
	pthread_mutex_unlock(&limit_lock);
}
