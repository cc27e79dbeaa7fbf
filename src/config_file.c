/* config_file.c - the YAML config file (--config FILE): its top-level keys
 * are the long command-line options, applied before the command line so a
 * flag given there wins; `sites:` adds virtual hosts, each a copy of the
 * global settings with its own keys applied. Every scalar is text that
 * the option's own parser checks (no YAML typing: `no` is not false);
 * unknown keys, wrong kinds and duplicates are errors at file:line:col.
 * The format is documented in docs/config.md. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_internal.h"
#include "http_response.h"
#include "yaml_doc.h"

#define CONFIG_FILE_MAX (1u << 20)
#define CONFIG_SITES_MAX 1024
#define CONFIG_HOSTS_MAX 4096
#define CONFIG_RULES_MAX 4096

typedef struct yaml_doc_node node;

/* Prefixes p->err with the node's position; returns rc. */
static int at(struct parser *p, const char *file, const node *n, int rc)
{
	char msg[1024];
	snprintf(msg, sizeof msg, "%s", p->err);
	config_fail(p, CONFIG_ERR_FILE, "%s:%u:%u: %s", file, n->line, n->col, msg);
	(void)rc;
	return CONFIG_ERR_FILE;
}

__attribute__((format(printf, 4, 5))) static int bad(struct parser *p, const char *file,
						     const node *n, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return config_fail(p, CONFIG_ERR_FILE, "%s:%u:%u: %s", file, n->line, n->col, msg);
}

static const char *kind_name(const node *n)
{
	return n->kind == YAML_DOC_MAP ? "a mapping" : n->kind == YAML_DOC_SEQ ? "a list" : "text";
}

static int want_scalar(struct parser *p, const char *file, const char *key, const node *n)
{
	if (n->kind == YAML_DOC_SCALAR)
		return 0;
	return bad(p, file, n, "'%s' takes a single value, not %s", key, kind_name(n));
}

/* on/off and true/false, nothing else: YAML's yes/no/y/n are not taken
 * as booleans anywhere, so they are refused here rather than guessed. */
static int parse_bool(struct parser *p, const char *file, const char *key, const node *n,
		      bool *v)
{
	if (want_scalar(p, file, key, n))
		return CONFIG_ERR_FILE;
	if (strcmp(n->str, "true") == 0 || strcmp(n->str, "on") == 0)
		*v = true;
	else if (strcmp(n->str, "false") == 0 || strcmp(n->str, "off") == 0)
		*v = false;
	else
		return bad(p, file, n, "'%s' takes true or false (or on, off), not '%s'", key,
			   n->str);
	return 0;
}

static const char *dup_node(struct parser *p, const node *n)
{
	return config_strndup(p, n->str, n->len);
}

/* Keys that exist only on the command line. */
static bool cli_only(const char *key)
{
	static const char *const keys[] = { "help", "version", "config", "check-config", "probe" };
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (strcmp(key, keys[i]) == 0)
			return true;
	return false;
}

/* Applies one option key with its value (text, a list of texts for the
 * repeatable ones, or a boolean for a switch). */
static int apply_key(struct parser *p, const char *file, const node *k, const node *v)
{
	int has_arg, opt = cli_only(k->str) ? 0 : config_option(k->str, &has_arg);
	int rc;

	if (!opt)
		return bad(p, file, k, "unknown key '%s'", k->str);
	if (has_arg == no_argument) {
		bool on;
		if (parse_bool(p, file, k->str, v, &on))
			return CONFIG_ERR_FILE;
		rc = config_apply_switch(p, opt, on);
		return rc ? at(p, file, v, rc) : 0;
	}
	if (v->kind == YAML_DOC_SEQ &&
	    (opt == 'H' || strcmp(k->str, "index") == 0 || strcmp(k->str, "listen") == 0)) {
		for (size_t i = 0; i < v->n; i++) {
			const node *it = &v->vals[i];
			if (want_scalar(p, file, k->str, it))
				return CONFIG_ERR_FILE;
			const char *s = dup_node(p, it);
			if (!s)
				return config_fail(p, CONFIG_ERR_START, "out of memory");
			if ((rc = config_apply(p, opt, s)) != 0)
				return at(p, file, it, rc);
		}
		return 0;
	}
	if (want_scalar(p, file, k->str, v))
		return CONFIG_ERR_FILE;
	const char *s = dup_node(p, v);
	if (!s)
		return config_fail(p, CONFIG_ERR_START, "out of memory");
	rc = config_apply(p, opt, s);
	return rc ? at(p, file, v, rc) : 0;
}

int config_file_load(struct parser *p, const char *file, void **out)
{
	struct yaml_doc *d = NULL;
	char *text = NULL;
	struct stat st;
	ssize_t got = 0;
	int fd = -1, rc = CONFIG_ERR_FILE;

	*out = NULL;
	if (!yaml_doc_available())
		return config_fail(p, CONFIG_ERR_VALUE,
				   "the config file is not available: this server was built "
				   "without libyaml");
	fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0) {
		config_fail(p, CONFIG_ERR_FILE, "cannot read config file %s: %s", file,
			    strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > CONFIG_FILE_MAX) {
		config_fail(p, CONFIG_ERR_FILE, "config file %s: %s", file,
			    S_ISREG(st.st_mode) ? "larger than 1 MiB" : "not a regular file");
		goto fail;
	}
	text = malloc((size_t)st.st_size + 1);
	d = calloc(1, sizeof *d);
	if (!text || !d) {
		rc = config_fail(p, CONFIG_ERR_START, "out of memory");
		goto fail;
	}
	while (got < st.st_size) {
		ssize_t n = read(fd, text + got, (size_t)(st.st_size - got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			config_fail(p, CONFIG_ERR_FILE, "cannot read config file %s: %s", file,
				    n < 0 ? strerror(errno) : "it shrank while read");
			goto fail;
		}
		got += n;
	}
	text[got] = '\0';
	if (yaml_doc_load(d, text, (size_t)got, file, p->err, p->cap) < 0)
		goto fail_doc;
	const node *root = &d->root;
	if (root->kind != YAML_DOC_MAP) {
		bad(p, file, root, "the file must be a mapping of keys (port: 8080), not %s",
		    kind_name(root));
		goto fail_loaded;
	}
	for (size_t i = 0; i < root->n; i++) {
		const node *k = &root->keys[i], *v = &root->vals[i];
		if (strcmp(k->str, "sites") == 0) {
			if (v->kind != YAML_DOC_SEQ || v->n == 0) {
				bad(p, file, v, "'sites' takes a list of sites");
				goto fail_loaded;
			}
			if (v->n > CONFIG_SITES_MAX) {
				bad(p, file, v, "more than %d sites", CONFIG_SITES_MAX);
				goto fail_loaded;
			}
			p->file_sites = (unsigned)v->n;
			continue;
		}
		if (strcmp(k->str, "rules") == 0 || strcmp(k->str, "netlify") == 0)
			continue; /* the folder's own, read by config_file_sites */
		if ((rc = apply_key(p, file, k, v)) != 0)
			goto fail_loaded;
	}
	close(fd);
	free(text);
	p->top->config_file = config_strndup(p, file, strlen(file));
	*out = d;
	return p->top->config_file ? 0 : config_fail(p, CONFIG_ERR_START, "out of memory");
fail_loaded:
	yaml_doc_free(d);
fail_doc:
	rc = rc == CONFIG_ERR_START ? rc : CONFIG_ERR_FILE;
fail:
	if (fd >= 0)
		close(fd);
	free(text);
	free(d);
	return rc;
}

/* A host name as a site lists it: lower case letters, digits, '-', '.',
 * optionally "*." in front; no port, no trailing dot. */
static const char *host_name(struct parser *p, const char *file, const node *n)
{
	const char *s = n->str;
	size_t len = n->len;
	if (len == 0 || len > 253)
		goto bad_host;
	size_t i = 0;
	if (len > 2 && s[0] == '*' && s[1] == '.')
		i = 2;
	char *out = config_strndup(p, s, len);
	if (!out) {
		config_fail(p, CONFIG_ERR_START, "out of memory");
		return NULL;
	}
	for (size_t j = i; j < len; j++) {
		char ch = s[j];
		if (ch >= 'A' && ch <= 'Z')
			out[j] = (char)(ch - 'A' + 'a');
		else if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
			   ch == '.' || ch == '_'))
			goto bad_host;
		if (ch == '.' && (j == i || s[j - 1] == '.' || j + 1 == len))
			goto bad_host;
	}
	return out;
bad_host:
	bad(p, file, n, "invalid host name '%s' (a name like example.com or *.example.com, no port)",
	    s);
	return NULL;
}

static int site_hosts(struct parser *p, const char *file, struct config_site *site, const node *v)
{
	size_t n = v->kind == YAML_DOC_SEQ ? v->n : 1;
	if (v->kind == YAML_DOC_MAP || n == 0)
		return bad(p, file, v, "'hosts' takes a host name or a list of them");
	if (n > CONFIG_HOSTS_MAX)
		return bad(p, file, v, "more than %d host names", CONFIG_HOSTS_MAX);
	site->hosts = config_alloc(p, n * sizeof *site->hosts);
	if (!site->hosts)
		return config_fail(p, CONFIG_ERR_START, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const node *h = v->kind == YAML_DOC_SEQ ? &v->vals[i] : v;
		if (want_scalar(p, file, "hosts", h))
			return CONFIG_ERR_FILE;
		if (!(site->hosts[i] = host_name(p, file, h)))
			return CONFIG_ERR_FILE;
	}
	site->nhosts = (unsigned)n;
	return 0;
}

static bool is_token(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      strchr("!#$%&'*+-.^_`|~", *s)))
			return false;
	return true;
}

static bool is_value(const char *s)
{
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
			return false;
	return true;
}

/* headers: {set: {Name: value}, add: {Name: value}, remove: [Name]} */
static int rule_headers(struct parser *p, const char *file, struct config_rule *r, const node *v)
{
	if (v->kind != YAML_DOC_MAP)
		return bad(p, file, v, "'headers' takes set:, add: and remove:");
	size_t total = 0;
	for (size_t i = 0; i < v->n; i++)
		total += v->vals[i].kind == YAML_DOC_SCALAR ? 1 : v->vals[i].n;
	r->headers = config_alloc(p, (total ? total : 1) * sizeof *r->headers);
	if (!r->headers)
		return config_fail(p, CONFIG_ERR_START, "out of memory");
	for (size_t i = 0; i < v->n; i++) {
		const node *k = &v->keys[i], *m = &v->vals[i];
		enum config_hop op;
		if (strcmp(k->str, "set") == 0)
			op = CONFIG_HOP_SET;
		else if (strcmp(k->str, "add") == 0)
			op = CONFIG_HOP_ADD;
		else if (strcmp(k->str, "remove") == 0)
			op = CONFIG_HOP_REMOVE;
		else
			return bad(p, file, k, "unknown key '%s' in headers (set, add, remove)",
				   k->str);
		if (op == CONFIG_HOP_REMOVE) {
			size_t n = m->kind == YAML_DOC_SEQ ? m->n : 1;
			if (m->kind == YAML_DOC_MAP)
				return bad(p, file, m, "'remove' takes header names");
			for (size_t j = 0; j < n; j++) {
				const node *h = m->kind == YAML_DOC_SEQ ? &m->vals[j] : m;
				if (want_scalar(p, file, "remove", h))
					return CONFIG_ERR_FILE;
				if (!is_token(h->str))
					return bad(p, file, h, "invalid header name '%s'", h->str);
				if (http_response_protected(slice_make(h->str, h->len)))
					return bad(p, file, h,
						   "'%s' frames the response: no rule may change it",
						   h->str);
				r->headers[r->nheaders++] = (struct config_rule_header){
					op, dup_node(p, h), ""
				};
			}
			continue;
		}
		if (m->kind != YAML_DOC_MAP)
			return bad(p, file, m, "'%s' takes a mapping of header names to values",
				   k->str);
		for (size_t j = 0; j < m->n; j++) {
			const node *hn = &m->keys[j], *hv = &m->vals[j];
			if (!is_token(hn->str))
				return bad(p, file, hn, "invalid header name '%s'", hn->str);
			if (http_response_protected(slice_make(hn->str, hn->len)))
				return bad(p, file, hn,
					   "'%s' frames the response: no rule may change it",
					   hn->str);
			if (want_scalar(p, file, hn->str, hv))
				return CONFIG_ERR_FILE;
			if (!is_value(hv->str) || hv->len > CONFIG_HEADER_MAX)
				return bad(p, file, hv, "invalid value for header '%s'", hn->str);
			r->headers[r->nheaders++] = (struct config_rule_header){ op, dup_node(p, hn),
										 dup_node(p, hv) };
		}
	}
	for (unsigned i = 0; i < r->nheaders; i++)
		if (!r->headers[i].name || !r->headers[i].value)
			return config_fail(p, CONFIG_ERR_START, "out of memory");
	return 0;
}

static int site_rule(struct parser *p, const char *file, struct config_rule *r, const node *v)
{
	*r = (struct config_rule){ .list = -1, .line = v->line, .col = v->col };
	if (v->kind != YAML_DOC_MAP)
		return bad(p, file, v, "a rule is a mapping with match: and what to do");
	const node *status = NULL;
	for (size_t i = 0; i < v->n; i++) {
		const node *k = &v->keys[i], *x = &v->vals[i];
		const char *key = k->str;
		if (strcmp(key, "headers") == 0) {
			int rc = rule_headers(p, file, r, x);
			if (rc)
				return rc;
			continue;
		}
		if (strcmp(key, "list") == 0) {
			bool on;
			if (parse_bool(p, file, key, x, &on))
				return CONFIG_ERR_FILE;
			r->list = on;
			continue;
		}
		if (want_scalar(p, file, key, x))
			return CONFIG_ERR_FILE;
		const char **field = NULL;
		if (strcmp(key, "match") == 0)
			field = &r->match;
		else if (strcmp(key, "redirect") == 0)
			field = &r->redirect;
		else if (strcmp(key, "rewrite") == 0)
			field = &r->rewrite;
		else if (strcmp(key, "auth-file") == 0)
			field = &r->auth_file;
		else if (strcmp(key, "cors") == 0)
			field = &r->cors;
		else if (strcmp(key, "status") == 0)
			status = x;
		else
			return bad(p, file, k,
				   "unknown key '%s' in a rule (match, headers, redirect, status, "
				   "rewrite, auth-file, list, cors)",
				   key);
		if (field) {
			if (!x->len || !is_value(x->str))
				return bad(p, file, x, "invalid value for '%s'", key);
			if (!(*field = dup_node(p, x)))
				return config_fail(p, CONFIG_ERR_START, "out of memory");
		}
		if (strcmp(key, "cors") == 0 && x->len > CONFIG_HEADER_MAX)
			return bad(p, file, x, "the cors origin is too long");
	}
	if (!r->match)
		return bad(p, file, v, "a rule needs match: (a path pattern such as /assets/*)");
	if (r->redirect && r->rewrite)
		return bad(p, file, v, "a rule either redirects or rewrites, not both");
	if (r->rewrite && r->rewrite[0] != '/')
		return bad(p, file, v, "rewrite takes a path starting with '/'");
	if (status) {
		if (!r->redirect)
			return bad(p, file, status, "status goes with redirect");
		if (strcmp(status->str, "301") && strcmp(status->str, "302") &&
		    strcmp(status->str, "303") && strcmp(status->str, "307") &&
		    strcmp(status->str, "308"))
			return bad(p, file, status,
				   "a redirect status is 301, 302, 303, 307 or 308, not '%s'",
				   status->str);
		r->status = atoi(status->str);
	} else if (r->redirect) {
		r->status = 301;
	}
	if (!r->redirect && !r->rewrite && !r->nheaders && !r->auth_file && r->list < 0 &&
	    !r->cors)
		return bad(p, file, v, "the rule does nothing");
	return 0;
}

static int rule_list(struct parser *p, const char *file, const node *x, struct config_rule **out,
		     unsigned *n)
{
	int rc;
	if (x->kind != YAML_DOC_SEQ || x->n > CONFIG_RULES_MAX)
		return bad(p, file, x, "'rules' takes a list of at most %d rules", CONFIG_RULES_MAX);
	struct config_rule *rules = config_alloc(p, (x->n ? x->n : 1) * sizeof *rules);
	if (!rules)
		return config_fail(p, CONFIG_ERR_START, "out of memory");
	for (size_t j = 0; j < x->n; j++)
		if ((rc = site_rule(p, file, &rules[j], &x->vals[j])) != 0)
			return rc;
	*out = rules;
	*n = (unsigned)x->n;
	return 0;
}

/* Keys a site may set besides its own (hosts, default, root, netlify,
 * rules): what serving a file depends on. The rest is the server's. */
static bool site_option(const char *key)
{
	static const char *const keys[] = {
		"list", "fallback", "pretty-urls", "index", "compress", "no-compress",
		"max-age", "no-smart-cache", "auth-file", "header", "cors", "dotfiles",
		"no-symlinks", "tls-cert", "tls-key",
	};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (strcmp(key, keys[i]) == 0)
			return true;
	return false;
}

static int one_site(struct parser *top, const char *file, struct config_site *site, const node *v)
{
	struct parser p = *top;
	const node *root = NULL;
	int rc;

	site->cfg = *top->top;
	site->cfg.sites = NULL;
	site->cfg.nsites = 0;
	site->cfg.rules = NULL;
	site->cfg.nrules = 0;
	site->cfg.netlify = false;
	site->cfg.mem = NULL;
	site->cfg.root = NULL;
	site->line = v->line;
	site->col = v->col;
	p.c = &site->cfg;
	p.from_cli = false;
	p.headers_len = strlen(site->cfg.extra_headers);
	p.root_given = true;
	if (v->kind != YAML_DOC_MAP)
		return bad(&p, file, v, "a site is a mapping with hosts: and root:");
	bool index_seen = false;
	for (size_t i = 0; i < v->n; i++) {
		const node *k = &v->keys[i], *x = &v->vals[i];
		const char *key = k->str;
		if (strcmp(key, "hosts") == 0) {
			if ((rc = site_hosts(&p, file, site, x)) != 0)
				return rc;
		} else if (strcmp(key, "root") == 0) {
			if (want_scalar(&p, file, key, x))
				return CONFIG_ERR_FILE;
			root = x;
		} else if (strcmp(key, "default") == 0) {
			if (parse_bool(&p, file, key, x, &site->is_default))
				return CONFIG_ERR_FILE;
		} else if (strcmp(key, "netlify") == 0) {
			if (parse_bool(&p, file, key, x, &site->netlify))
				return CONFIG_ERR_FILE;
		} else if (strcmp(key, "rules") == 0) {
			if ((rc = rule_list(&p, file, x, &site->rules, &site->nrules)) != 0)
				return rc;
		} else if (site_option(key)) {
			int has_arg, opt = config_option(key, &has_arg);
			if (opt > 0 && opt < CONFIG_OPT_MAX && top->cli[opt])
				continue; /* the command line wins */
			if (strcmp(key, "index") == 0 && !index_seen) {
				/* A site's index list replaces the global one. */
				index_seen = true;
				site->cfg.nindexes = 0;
			}
			if ((rc = apply_key(&p, file, k, x)) != 0)
				return rc;
		} else if (config_option(key, &(int){ 0 })) {
			return bad(&p, file, k, "'%s' applies to the whole server, not to a site",
				   key);
		} else {
			return bad(&p, file, k, "unknown key '%s' in a site", key);
		}
	}
	if (!root)
		return bad(&p, file, v, "a site needs root: (the directory it serves)");
	if (!site->nhosts && !site->is_default)
		return bad(&p, file, v, "a site needs hosts: (or default: true)");
	const char *dir = dup_node(&p, root);
	if (!dir)
		return config_fail(&p, CONFIG_ERR_START, "out of memory");
	if ((rc = config_resolve_root(&p, dir)) != 0)
		return at(&p, file, root, rc);
	if (!site->cfg.tls_cert != !site->cfg.tls_key)
		return bad(&p, file, v, "tls-cert and tls-key go together");
	if (site->cfg.nindexes == 0)
		return bad(&p, file, v, "the site's index list is empty");
	return 0;
}

/* Host names a site has: exact names once over all sites, as the
 * wildcards; one default. */
static int check_sites(struct parser *p, const char *file, const node *list)
{
	struct config *c = p->top;
	int def = -1;
	for (unsigned i = 0; i < c->nsites; i++) {
		const struct config_site *s = &c->sites[i];
		if (s->is_default) {
			if (def >= 0)
				return bad(p, file, &list->vals[i],
					   "two default sites (the first at line %u)",
					   c->sites[def].line);
			def = (int)i;
		}
		for (unsigned j = 0; j < s->nhosts; j++)
			for (unsigned a = 0; a <= i; a++)
				for (unsigned b = 0; b < (a == i ? j : c->sites[a].nhosts); b++)
					if (strcmp(c->sites[a].hosts[b], s->hosts[j]) == 0)
						return bad(p, file, &list->vals[i],
							   "host '%s' is named twice (also at line "
							   "%u)",
							   s->hosts[j], c->sites[a].line);
	}
	return 0;
}

int config_file_sites(struct parser *p, void *doc)
{
	struct yaml_doc *d = doc;
	const node *root = &d->root, *list = NULL;
	const char *file = p->top->config_file;
	int rc;

	for (size_t i = 0; i < root->n; i++)
		if (strcmp(root->keys[i].str, "sites") == 0)
			list = &root->vals[i];
	/* rules: and netlify: at the top level are the one folder's: with
	 * sites, each site has its own. */
	for (size_t i = 0; i < root->n; i++) {
		const node *k = &root->keys[i], *v = &root->vals[i];
		bool is_rules = strcmp(k->str, "rules") == 0;
		if (!is_rules && strcmp(k->str, "netlify") != 0)
			continue;
		if (list)
			return bad(p, file, k,
				   "'%s' at the top level is for a file without sites:; with "
				   "sites, each site has its own",
				   k->str);
		if (is_rules)
			rc = rule_list(p, file, v, &p->top->rules, &p->top->nrules);
		else
			rc = parse_bool(p, file, k->str, v, &p->top->netlify) ? CONFIG_ERR_FILE : 0;
		if (rc)
			return rc;
	}
	if (!list)
		return 0;
	struct config_site *sites = config_alloc(p, list->n * sizeof *sites);
	if (!sites)
		return config_fail(p, CONFIG_ERR_START, "out of memory");
	memset(sites, 0, list->n * sizeof *sites);
	for (size_t i = 0; i < list->n; i++)
		if ((rc = one_site(p, file, &sites[i], &list->vals[i])) != 0)
			return rc;
	p->top->sites = sites;
	p->top->nsites = (unsigned)list->n;
	if ((rc = check_sites(p, file, list)) != 0)
		return rc;
	bool tls = p->top->tls_cert != NULL;
	for (unsigned i = 0; i < p->top->nsites; i++)
		tls = tls || sites[i].cfg.tls_cert;
	if (tls && !p->top->tls_cert) {
		/* The port speaks TLS when any site has a certificate; clients
		 * without SNI get the default site's, else the first one's. */
		int pick = -1;
		for (unsigned i = 0; i < p->top->nsites; i++)
			if (sites[i].cfg.tls_cert && (pick < 0 || sites[i].is_default))
				pick = (int)i;
		p->top->tls_cert = sites[pick].cfg.tls_cert;
		p->top->tls_key = sites[pick].cfg.tls_key;
	}
	if (p->top->redirect_port && !p->top->tls_cert)
		return config_fail(p, CONFIG_ERR_FILE,
				   "%s: redirect-http needs a certificate (tls-cert and tls-key)", file);
	return 0;
}

void config_file_free(void *doc)
{
	if (doc) {
		yaml_doc_free(doc);
		free(doc);
	}
}
