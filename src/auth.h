/* auth.h - HTTP Basic authentication (RFC 7617) against an htpasswd file
 * of bcrypt ($2y$, $2b$) or SHA-crypt ($5$, $6$) hashes, checked with
 * libcrypt's crypt_r. */
#ifndef AUTH_H
#define AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "slice.h"

struct auth_user {
	char *name;
	char *hash;
};

struct auth {
	struct auth_user *users;
	size_t n;
	size_t dearest; /* the user whose hash costs most: unknown users pay it */
	uint64_t id;    /* this load's own number, never reused: the cache's key */
};

#define AUTH_CACHE 16

/* Per-thread memory of recently verified Authorization values, so a
 * browser's every request does not cost a bcrypt. */
struct auth_cache {
	char *value[AUTH_CACHE];
	size_t len[AUTH_CACHE];
	uint64_t owner[AUTH_CACHE]; /* the id of the users that verified it */
	unsigned next;
};

/* Reads "user:hash" lines ('#' comments, blank lines skipped). Returns 0,
 * or -1 with a message in err (unreadable file, unsupported hash, or no
 * crypt support in this build). */
int auth_load(struct auth *a, const char *path, char *err, size_t err_cap);

/* True if value (an Authorization field value) carries Basic credentials
 * of a listed user with the right password. Compares in constant time.
 * auth_check = auth_cached, else auth_verify and auth_remember. */
bool auth_check(const struct auth *a, struct auth_cache *cache, struct slice value);

/* True if value was verified before on this thread against the users
 * whose id is owner: no hashing. */
bool auth_cached(const struct auth_cache *cache, uint64_t owner, struct slice value);

/* The password check itself: one crypt_r, milliseconds for bcrypt (run it
 * off the event loop). An unknown user costs the same as a known one. */
bool auth_verify(const struct auth *a, struct slice value);

/* Remembers a value verified against the users whose id is owner. */
void auth_remember(struct auth_cache *cache, uint64_t owner, struct slice value);

/* Repeated failures from one client address (16 bytes) are slowed down:
 * past AUTH_FAIL_FREE failures within AUTH_FAIL_WINDOW seconds, each
 * further 401 is held back AUTH_FAIL_DELAY seconds. Nothing is refused,
 * so users sharing an address (a proxy, a NAT) are not locked out, and a
 * verified credential is never delayed. auth_failed counts a failure and
 * returns the seconds to hold its answer (0: none). */
#define AUTH_FAIL_FREE 50
#define AUTH_FAIL_WINDOW 60
#define AUTH_FAIL_DELAY 2
unsigned auth_failed(const uint8_t addr[16], uint32_t now);

/* Password checks under way per client address: auth_begin counts one
 * and returns false (nothing counted) when AUTH_CHECKS_MAX are under way
 * already, so one client cannot fill the helper threads' queue;
 * auth_end counts one down. */
#define AUTH_CHECKS_MAX 8
bool auth_begin(const uint8_t addr[16]);
void auth_end(const uint8_t addr[16]);

/* Decodes standard base64 (RFC 4648 section 4, padding required) into out;
 * returns the length or -1 if malformed or too long. */
long auth_base64_decode(struct slice in, char *out, size_t cap);

void auth_cache_clear(struct auth_cache *cache);

/* Frees what auth_load allocated. */
void auth_free(struct auth *a);

#endif
