/* site.c - building the site set of a configuration and routing a host to
 * its site. A configuration without sites: is one site that answers every
 * host, so the request path is the same either way. */
#include "site.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rules.h"
#include "tls.h"
#include "trusted.h"

#define NETLIFY_MAX (1u << 20)

static const char *const netlify_files[2] = { "_headers", "_redirects" };

static const char *base_cert;

void site_base_cert(const char *cert)
{
	base_cert = cert;
}

static int cmp_host(const void *a, const void *b)
{
	return strcmp(((const struct site_host *)a)->name, ((const struct site_host *)b)->name);
}

/* Reads name in the root (at most 1 MiB); 0 with *text (NULL when there
 * is no such file), or -errno. */
static int read_root_file(int root, const char *name, char **text, size_t *len,
			  struct timespec *mtime)
{
	struct stat st;
	*text = NULL;
	*len = 0;
	int fd = openat(root, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > NETLIFY_MAX) {
		int e = errno;
		if (fstat(fd, &st) == 0)
			e = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
		close(fd);
		return -e;
	}
	*mtime = st.st_mtim;
	char *buf = malloc((size_t)st.st_size + 1);
	size_t got = 0;
	while (buf && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (!buf)
		return -ENOMEM;
	buf[got] = '\0';
	*text = buf;
	*len = got;
	return 0;
}

static int load_netlify(struct site *st, char *err, size_t cap)
{
	for (int i = 0; i < 2; i++) {
		char *text;
		size_t len;
		char where[4200];
		int rc = read_root_file(st->root.fd, netlify_files[i], &text, &len,
					&st->netlify_mtime[i]);
		snprintf(where, sizeof where, "%s/%s", st->root.real, netlify_files[i]);
		if (rc < 0) {
			snprintf(err, cap, "%s: %s", where, strerror(-rc));
			return -1;
		}
		if (!text)
			continue;
		rc = i == 0 ? rules_parse_headers(st->rules, text, len, where, err, cap)
			    : rules_parse_redirects(st->rules, text, len, where, err, cap);
		free(text);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* -2: the message in err already names the rule's place in file. */
static int build_rules(struct site *st, const struct config_rule *rules, unsigned nrules,
		       const char *file, char *err, size_t cap)
{
	if (!nrules && !st->netlify)
		return 0;
	st->rules = rules_new();
	st->paths = calloc(nrules ? nrules : 1, sizeof *st->paths);
	if (!st->rules || !st->paths) {
		snprintf(err, cap, "out of memory");
		return -1;
	}
	st->npaths = nrules;
	for (unsigned i = 0; i < nrules; i++) {
		const struct config_rule *r = &rules[i];
		int rc = 0;
		if (r->redirect)
			rc = rules_add_route(st->rules, r->match, r->redirect, r->status, true, err,
					     cap);
		else if (r->rewrite)
			rc = rules_add_route(st->rules, r->match, r->rewrite, 200, true, err, cap);
		for (unsigned j = 0; rc == 0 && j < r->nheaders; j++) {
			const struct config_rule_header *h = &r->headers[j];
			enum rules_hop op = h->op == CONFIG_HOP_SET   ? RULES_SET
					    : h->op == CONFIG_HOP_ADD ? RULES_ADD
								  : RULES_REMOVE;
			rc = rules_add_header(st->rules, r->match, op, h->name, h->value, err, cap);
		}
		struct site_path *sp = &st->paths[i];
		sp->list = r->list;
		sp->cors = r->cors;
		if (rc == 0 && r->auth_file) {
			sp->auth = calloc(1, sizeof *sp->auth);
			if (!sp->auth || auth_load(sp->auth, r->auth_file, err, cap) < 0) {
				if (sp->auth)
					auth_free(sp->auth);
				free(sp->auth);
				sp->auth = NULL;
				if (!sp->auth && !err[0])
					snprintf(err, cap, "out of memory");
				rc = -1;
			}
		}
		st->path_auth = st->path_auth || sp->auth;
		if (rc == 0 && (r->auth_file || r->list >= 0 || r->cors))
			rc = rules_add_tag(st->rules, r->match, (int)i, err, cap);
		if (rc < 0) {
			char msg[1024];
			snprintf(msg, sizeof msg, "%s", err);
			snprintf(err, cap, "%s:%u:%u: rule: %s", file, r->line, r->col, msg);
			return -2;
		}
	}
	if (st->netlify && load_netlify(st, err, cap) < 0)
		return -1;
	return 0;
}

/* -1 with a message, or -2 with one that names its place in the file. */
static int build_site(struct site_set *set, unsigned i, const struct config *cfg,
		      const struct config_site *cs, char *err, size_t cap)
{
	struct site *st = &set->sites[i];
	st->cfg = cfg;
	st->root.fd = open(cfg->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (st->root.fd < 0) {
		snprintf(err, cap, "document root '%s': %s", cfg->root, strerror(errno));
		return -1;
	}
	st->root.real = cfg->root;
	st->root.no_symlinks = cfg->no_symlinks;
	/* Without sites, the folder's rules are the file's top-level ones. */
	st->netlify = cs ? cs->netlify : cfg->netlify;
	/* Entries of different sites, and of sets before a reload, never
	 * share a cache key: a normalised path never starts with '/'. */
	if (cs || set->gen)
		st->key_len = (size_t)snprintf(st->key, sizeof st->key, "/%u.%u/", set->gen, i);
	if (cfg->auth_file) {
		st->auth = calloc(1, sizeof *st->auth);
		if (!st->auth || auth_load(st->auth, cfg->auth_file, err, cap) < 0) {
			if (st->auth)
				auth_free(st->auth);
			free(st->auth);
			st->auth = NULL;
			return -1;
		}
	}
	const char *base = base_cert ? base_cert : set->cfg.tls_cert;
	if (cs && cs->cfg.tls_cert && (!base || strcmp(cs->cfg.tls_cert, base) != 0)) {
		st->tls = tls_site_new(cs->cfg.tls_cert, cs->cfg.tls_key, err, cap);
		if (!st->tls)
			return -1;
	}
	return build_rules(st, cs ? cs->rules : cfg->rules, cs ? cs->nrules : cfg->nrules,
			   set->cfg.config_file ? set->cfg.config_file : "config", err, cap);
}

static int build_hosts(struct site_set *set)
{
	unsigned ne = 0, nw = 0;
	for (unsigned i = 0; i < set->cfg.nsites; i++)
		for (unsigned j = 0; j < set->cfg.sites[i].nhosts; j++)
			if (set->cfg.sites[i].hosts[j][0] == '*')
				nw++;
			else
				ne++;
	set->exact = calloc(ne ? ne : 1, sizeof *set->exact);
	set->wild = calloc(nw ? nw : 1, sizeof *set->wild);
	if (!set->exact || !set->wild)
		return -1;
	for (unsigned i = 0; i < set->cfg.nsites; i++)
		for (unsigned j = 0; j < set->cfg.sites[i].nhosts; j++) {
			const char *h = set->cfg.sites[i].hosts[j];
			if (h[0] == '*')
				set->wild[set->nwild++] = (struct site_host){ h + 2, i };
			else
				set->exact[set->nexact++] = (struct site_host){ h, i };
		}
	qsort(set->exact, set->nexact, sizeof *set->exact, cmp_host);
	qsort(set->wild, set->nwild, sizeof *set->wild, cmp_host);
	return 0;
}

int site_set_build(struct site_set **out, struct config *cfg, unsigned gen, char *err, size_t cap)
{
	struct site_set *set = calloc(1, sizeof *set);
	*out = NULL;
	if (err && cap)
		err[0] = '\0';
	if (!set) {
		snprintf(err, cap, "out of memory");
		config_free(cfg);
		return -1;
	}
	atomic_init(&set->refs, 1);
	set->cfg = *cfg;
	set->gen = gen;
	set->def = 0;
	unsigned n = set->cfg.nsites ? set->cfg.nsites : 1;
	set->sites = calloc(n, sizeof *set->sites);
	if (!set->sites)
		goto no_memory;
	for (unsigned i = 0; i < n; i++)
		set->sites[i].root.fd = -1;
	set->n = n;
	if (set->cfg.trusted_proxies) {
		set->trusted = trusted_new();
		if (!set->trusted)
			goto no_memory;
		if (trusted_add(set->trusted, set->cfg.trusted_proxies, err, cap) < 0)
			goto fail;
	}
	if (!set->cfg.nsites) {
		if (build_site(set, 0, &set->cfg, NULL, err, cap) < 0)
			goto fail;
	} else {
		set->def = -1;
		for (unsigned i = 0; i < n; i++) {
			const struct config_site *cs = &set->cfg.sites[i];
			if (cs->is_default)
				set->def = (int)i;
			int rc = build_site(set, i, &cs->cfg, cs, err, cap);
			if (rc == -1) {
				char msg[1024];
				snprintf(msg, sizeof msg, "%s", err);
				snprintf(err, cap, "%s:%u:%u: site: %s",
					 set->cfg.config_file ? set->cfg.config_file : "config",
					 cs->line, cs->col, msg);
			}
			if (rc < 0)
				goto fail;
		}
		if (build_hosts(set) < 0)
			goto no_memory;
	}
	*out = set;
	return 0;
no_memory:
	snprintf(err, cap, "out of memory");
fail:
	site_set_unref(set);
	return -1;
}

/* name (len bytes, lower case, no port) in a sorted table. */
static const struct site_host *lookup(const struct site_host *t, unsigned n, const char *name,
				      size_t len)
{
	unsigned lo = 0, hi = n;
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		int c = strncmp(t[mid].name, name, len);
		if (c == 0 && t[mid].name[len])
			c = 1;
		if (c == 0)
			return &t[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static const struct site *by_name(const struct site_set *s, const char *name, size_t len,
				  bool fallback)
{
	if (s->cfg.nsites == 0)
		return &s->sites[0];
	const struct site_host *h = len ? lookup(s->exact, s->nexact, name, len) : NULL;
	if (!h && len) {
		/* "*.example.com" stands for one label before example.com. */
		const char *dot = memchr(name, '.', len);
		if (dot && dot > name && (size_t)(dot - name) + 1 < len)
			h = lookup(s->wild, s->nwild, dot + 1, len - (size_t)(dot - name) - 1);
	}
	if (h)
		return &s->sites[h->site];
	return fallback && s->def >= 0 ? &s->sites[s->def] : NULL;
}

/* Lower case, without the port and a trailing dot; NULL when it cannot
 * be a host name (the default site answers it). */
static size_t host_key(struct slice host, char *out, size_t cap)
{
	size_t len = host.len;
	if (len && host.ptr[0] == '[')
		return 0; /* an IPv6 literal: no site names one */
	for (size_t i = 0; i < host.len; i++)
		if (host.ptr[i] == ':') {
			len = i;
			break;
		}
	if (len && host.ptr[len - 1] == '.')
		len--;
	if (len >= cap)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char ch = host.ptr[i];
		out[i] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
	}
	out[len] = '\0';
	return len;
}

const struct site *site_find(const struct site_set *s, struct slice host)
{
	char key[256];
	if (s->cfg.nsites == 0)
		return &s->sites[0];
	size_t len = host_key(host, key, sizeof key);
	return by_name(s, key, len, true);
}

bool site_same_host(struct slice a, struct slice b)
{
	char ka[256], kb[256];
	size_t la = host_key(a, ka, sizeof ka), lb = host_key(b, kb, sizeof kb);
	if (!la || !lb)
		return a.len == b.len && (!a.len || strncasecmp(a.ptr, b.ptr, a.len) == 0);
	return la == lb && memcmp(ka, kb, la) == 0;
}

const struct site *site_find_name(const struct site_set *s, const char *name)
{
	char key[256];
	if (s->cfg.nsites == 0)
		return NULL;
	size_t len = host_key(slice_make(name, strlen(name)), key, sizeof key);
	return len ? by_name(s, key, len, false) : NULL;
}

struct site_set *site_set_ref(struct site_set *s)
{
	atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
	return s;
}

void site_set_unref(struct site_set *s)
{
	if (!s || atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (unsigned i = 0; s->sites && i < s->n; i++) {
		struct site *st = &s->sites[i];
		if (st->root.fd >= 0)
			close(st->root.fd);
		if (st->auth) {
			auth_free(st->auth);
			free(st->auth);
		}
		for (unsigned j = 0; j < st->npaths; j++)
			if (st->paths[j].auth) {
				auth_free(st->paths[j].auth);
				free(st->paths[j].auth);
			}
		free(st->paths);
		if (st->rules)
			rules_free(st->rules);
		if (st->tls)
			tls_site_free(st->tls);
	}
	free(s->sites);
	free(s->exact);
	free(s->wild);
	if (s->trusted)
		trusted_free(s->trusted);
	config_free(&s->cfg);
	free(s);
}

bool site_set_stale(struct site_set *s)
{
	bool stale = false;
	for (unsigned i = 0; i < s->n; i++) {
		struct site *st = &s->sites[i];
		if (!st->netlify)
			continue;
		for (int f = 0; f < 2; f++) {
			struct stat sb;
			struct timespec now = { 0, 0 };
			if (fstatat(st->root.fd, netlify_files[f], &sb, AT_SYMLINK_NOFOLLOW) == 0)
				now = sb.st_mtim;
			/* Noted, so a change is reported once even when the
			 * reload it causes fails. */
			if (now.tv_sec != st->netlify_mtime[f].tv_sec ||
			    now.tv_nsec != st->netlify_mtime[f].tv_nsec) {
				st->netlify_mtime[f] = now;
				stale = true;
			}
		}
	}
	return stale;
}
