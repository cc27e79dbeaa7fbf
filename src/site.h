/* site.h - the sites a configuration serves, built once per load (start,
 * SIGHUP) into an immutable, reference-counted set: each site's open
 * root, users, compiled path rules and certificate, and the host table
 * that routes a request to its site. */
#ifndef SITE_H
#define SITE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "auth.h"
#include "config.h"
#include "path.h"
#include "slice.h"

struct rules;
struct trusted;

/* What a path rule of the config file sets besides headers and routes. */
struct site_path {
	struct auth *auth; /* users for these paths, or NULL */
	int list;          /* -1: as the site says */
	const char *cors;  /* origin, or NULL */
};

struct site {
	const struct config *cfg; /* the site's settings */
	struct path_root root;
	struct auth *auth;        /* the site's users, or NULL */
	struct rules *rules;      /* path rules, or NULL when it has none */
	struct site_path *paths;  /* by rule tag */
	unsigned npaths;
	void *tls;                /* its own certificate (tls_site_new), or NULL */
	char key[24];             /* prefix of its file cache keys */
	size_t key_len;
	bool netlify;
	bool path_auth;           /* some rule asks for users on some paths */
	struct timespec netlify_mtime[2]; /* _headers, _redirects as loaded */
};

struct site_host {
	const char *name; /* exact, or the part after "*." for a wildcard */
	unsigned site;
};

struct site_set {
	atomic_uint refs;
	struct config cfg;         /* owned: freed with the set */
	struct site *sites;
	unsigned n;
	int def;                   /* the site for unknown hosts, -1: answer 421 */
	struct site_host *exact, *wild; /* sorted by name */
	unsigned nexact, nwild;
	struct trusted *trusted;   /* proxies whose X-Forwarded-For is believed, or NULL */
	unsigned gen;
};

/* Builds the set for cfg (taken over: freed with the set, also on
 * failure) as generation gen. Returns 0 with *out (one reference), or -1
 * with a message. */
int site_set_build(struct site_set **out, struct config *cfg, unsigned gen, char *err,
		   size_t cap);

/* The certificate the listening port was started with (its context is
 * reloaded in place): sites with another one get their own context. */
void site_base_cert(const char *cert);

/* The site for a Host or :authority value (a port and a trailing dot
 * are ignored, case too): an exact name, then a "*.name" wildcard (one
 * label), then the default site; NULL when none answers (421). */
const struct site *site_find(const struct site_set *s, struct slice host);

/* Whether two Host or :authority values name the same host as site_find
 * sees it (case, a port and a trailing dot ignored; IPv6 literals and
 * what cannot be a name compared as bytes, case aside). */
bool site_same_host(struct slice a, struct slice b);

/* The site a TLS client names (SNI) by an exact or wildcard name, for
 * its certificate; NULL (the port's certificate) for any other name. */
const struct site *site_find_name(const struct site_set *s, const char *name);

struct site_set *site_set_ref(struct site_set *s);
void site_set_unref(struct site_set *s);

/* True if a site's _headers or _redirects changed since the set was
 * built (a stat of each; the caller asks about once a second). */
bool site_set_stale(struct site_set *s);

#endif
