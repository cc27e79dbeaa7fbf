/* test_site.c - the config file into sites, and a host to its site: the
 * routing table (exact names, one-label wildcards, the default, 421), the
 * cache-key prefixes, the file's errors with their positions, and the
 * command line winning over the file. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "rules.h"
#include "site.h"
#include "unit.h"
#include "unit_tmp.h"
#include "yaml_doc.h"

static int parse_file(const char *text, struct config *c, char *err, size_t cap,
		      const char *extra1, const char *extra2)
{
	const char *path = write_tmp("tern.yaml", text);
	char *argv[8] = { "server", "-c", (char *)path };
	int argc = 3;
	if (extra1)
		argv[argc++] = (char *)extra1;
	if (extra2)
		argv[argc++] = (char *)extra2;
	argv[argc] = NULL;
	return config_parse_args(argc, argv, c, err, cap);
}

/* Three sites; the second is the default. */
static const char *sites_yaml(void)
{
	static char text[2048];
	snprintf(text, sizeof text,
		 "list: true\n"
		 "sites:\n"
		 "  - hosts: [Example.TEST, www.example.test]\n"
		 "    root: %s/a\n"
		 "  - hosts: \"*.apps.test\"\n"
		 "    root: %s/b\n"
		 "    default: true\n"
		 "    list: false\n"
		 "  - hosts: [apps.test, x.y.apps.test]\n"
		 "    root: %s/c\n",
		 tmpdir, tmpdir, tmpdir);
	return text;
}

struct route_case {
	const char *host;
	int site; /* index, or -1 for none (421) */
};

static const struct route_case routes[] = {
	{ "example.test", 0 },
	{ "EXAMPLE.test", 0 },
	{ "example.test:8080", 0 },
	{ "example.test.", 0 },
	{ "example.test.:443", 0 },
	{ "www.example.test", 0 },
	{ "a.apps.test", 1 },
	{ "A.APPS.TEST:1", 1 },
	{ "apps.test", 2 },          /* exact beats nothing: *.apps.test is not apps.test */
	{ "x.y.apps.test", 2 },      /* exact beats the wildcard */
	{ "z.y.apps.test", 1 },      /* two labels: not the wildcard, so the default */
	{ "other.test", 1 },         /* the default */
	{ "", 1 },                   /* no Host: the default */
	{ "[::1]:80", 1 },           /* an IP literal names no site */
	{ "127.0.0.1", 1 },
	{ ".apps.test", 1 },         /* an empty label is not one label */
	{ "example.test\x01", 1 },
};

static void test_routing(void)
{
	struct config c;
	char err[512];
	int rc = parse_file(sites_yaml(), &c, err, sizeof err, NULL, NULL);
	CHECK(rc == 0, "parse: %d %s", rc, err);
	if (rc)
		return;
	CHECK(c.nsites == 3, "%u sites", c.nsites);
	CHECK(c.sites[0].cfg.list && !c.sites[1].cfg.list, "per-site list");
	CHECK(strcmp(c.sites[0].hosts[0], "example.test") == 0, "lower case: %s", c.sites[0].hosts[0]);
	struct site_set *set;
	rc = site_set_build(&set, &c, 7, err, sizeof err);
	CHECK(rc == 0, "build: %s", err);
	if (rc)
		return;
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		const struct route_case *t = &routes[i];
		const struct site *s = site_find(set, slice_make(t->host, strlen(t->host)));
		int got = s ? (int)(s - set->sites) : -1;
		CHECK(got == t->site, "host '%s': site %d, want %d", t->host, got, t->site);
	}
	/* Sites never share cache keys, nor do sets of another generation. */
	CHECK(set->sites[0].key_len && strcmp(set->sites[0].key, set->sites[1].key) != 0, "keys");
	CHECK(set->sites[0].key[0] == '/' && strstr(set->sites[0].key, "7."), "key %s",
	      set->sites[0].key);
	site_set_unref(set);
}

static void test_no_default_is_421(void)
{
	char text[1024];
	struct config c;
	char err[512];
	snprintf(text, sizeof text, "sites:\n  - hosts: a.test\n    root: %s/a\n", tmpdir);
	int rc = parse_file(text, &c, err, sizeof err, NULL, NULL);
	CHECK(rc == 0, "parse: %s", err);
	if (rc)
		return;
	struct site_set *set;
	CHECK(site_set_build(&set, &c, 1, err, sizeof err) == 0, "build: %s", err);
	CHECK(site_find(set, SLICE_LIT("a.test")) == &set->sites[0], "a.test");
	CHECK(site_find(set, SLICE_LIT("b.test")) == NULL, "unknown host: none (421)");
	CHECK(site_find(set, SLICE_LIT("")) == NULL, "no host: none (421)");
	site_set_unref(set);
}

static void test_single_site_answers_all(void)
{
	struct config c;
	char err[512];
	char dir[300];
	snprintf(dir, sizeof dir, "%s/a", tmpdir);
	char *argv[] = { "server", "-d", dir, NULL };
	CHECK(config_parse_args(3, argv, &c, err, sizeof err) == 0, "parse: %s", err);
	struct site_set *set;
	CHECK(site_set_build(&set, &c, 0, err, sizeof err) == 0, "build: %s", err);
	CHECK(set->n == 1 && set->sites[0].key_len == 0, "one site, unprefixed keys");
	CHECK(site_find(set, SLICE_LIT("anything")) == &set->sites[0], "any host");
	CHECK(site_find(set, SLICE_LIT("")) == &set->sites[0], "no host");
	site_set_unref(set);
}

/* rules: and netlify: at the top level of a file without sites: are the
 * one folder's, built into its only site. */
static void test_top_level_rules(void)
{
	char text[1024];
	struct config c;
	char err[512];
	snprintf(text, sizeof text,
		 "root: %s/a\nlist: true\nrules:\n  - match: /old/**\n    redirect: /new/$1\n"
		 "    status: 308\n  - match: /priv/*\n    list: false\n",
		 tmpdir);
	int rc = parse_file(text, &c, err, sizeof err, NULL, NULL);
	CHECK(rc == 0, "parse: %s", err);
	if (rc)
		return;
	CHECK(c.nsites == 0 && c.nrules == 2 && !c.netlify, "%u sites, %u rules", c.nsites,
	      c.nrules);
	struct site_set *set;
	rc = site_set_build(&set, &c, 0, err, sizeof err);
	CHECK(rc == 0, "build: %s", err);
	if (rc)
		return;
	const struct site *st = site_find(set, SLICE_LIT("any.test"));
	CHECK(set->n == 1 && st == &set->sites[0] && st->rules && st->npaths == 2,
	      "one site with the rules");
	if (st && st->rules) {
		char to[64];
		struct rules_route rt;
		int got = rules_route(st->rules, SLICE_LIT("/old/a/b"), false, SLICE_LIT(""), false,
				      to, sizeof to, &rt);
		CHECK(got == 1 && rt.status == 308 && strcmp(to, "/new/a/b") == 0, "route %d %d %s",
		      got, rt.status, got == 1 ? to : "");
		int tags[4];
		CHECK(rules_tags(st->rules, SLICE_LIT("/priv/x"), false, tags, 4) == 1 &&
			      tags[0] == 1 && st->paths[1].list == 0,
		      "the listing rule");
	}
	site_set_unref(set);
	/* Without rules or netlify:, the folder has no rule set at all. */
	snprintf(text, sizeof text, "root: %s/a\n", tmpdir);
	rc = parse_file(text, &c, err, sizeof err, NULL, NULL);
	CHECK(rc == 0, "parse: %s", err);
	if (rc)
		return;
	rc = site_set_build(&set, &c, 0, err, sizeof err);
	CHECK(rc == 0 && !set->sites[0].rules, "no rules: %s", err);
	if (rc == 0)
		site_set_unref(set);
}

struct err_case {
	const char *text; /* %s: tmpdir */
	const char *want; /* in the message, after "tern.yaml:" */
};

static const struct err_case errors[] = {
	{ "port: 1\nport: 2\n", "tern.yaml:2:1: duplicate key 'port'" },
	{ "list: no\n", "tern.yaml:1:7: 'list' takes true or false" },
	{ "list: yes\n", "'list' takes true or false" },
	{ "bogus: 1\n", "tern.yaml:1:1: unknown key 'bogus'" },
	{ "probe: http://x/\n", "unknown key 'probe'" },
	{ "port: [1, 2]\n", "tern.yaml:1:7: 'port' takes a single value, not a list" },
	{ "port: 99999\n", "tern.yaml:1:7: invalid port '99999'" },
	{ "a: &x 1\nb: *x\n", "tern.yaml:1:" },
	{ "- 1\n", "the file must be a mapping" },
	{ "sites: []\n", "'sites' takes a list of sites" },
	{ "sites:\n  - hosts: a.test\n", "a site needs root:" },
	{ "sites:\n  - root: %s/a\n", "a site needs hosts:" },
	{ "sites:\n  - hosts: a.test\n    root: %s/a\n    port: 80\n",
	  "tern.yaml:4:5: 'port' applies to the whole server" },
	{ "sites:\n  - hosts: a.test\n    root: %s/a\n  - hosts: [b.test, A.test]\n    root: %s/b\n",
	  "host 'a.test' is named twice" },
	{ "sites:\n  - hosts: a.test:80\n    root: %s/a\n", "invalid host name 'a.test:80'" },
	{ "sites:\n  - hosts: a.test\n    root: %s/a\n    default: true\n  - hosts: b.test\n"
	  "    root: %s/b\n    default: true\n",
	  "two default sites" },
	{ "sites:\n  - hosts: a.test\n    root: %s/nope\n", "tern.yaml:3:11: document root" },
	{ "sites:\n  - hosts: a.test\n    root: %s/a\n    rules:\n      - redirect: /x\n",
	  "a rule needs match:" },
	{ "sites:\n  - hosts: a.test\n    root: %s/a\n    rules:\n      - match: /x\n        "
	  "redirect: /y\n        status: \"200\"\n",
	  "a redirect status is 301, 302, 303, 307 or 308" },
	{ "sites:\n  - hosts: a.test\n    root: %s/a\n    rules:\n      - match: /x\n        "
	  "redirect: /y\n        rewrite: /z\n",
	  "either redirects or rewrites" },
	{ "sites:\n  - hosts: a.test\n    root: %s/a\n    rules:\n      - match: /x\n        "
	  "headers:\n          set: {\"Bad Name\": v}\n",
	  "invalid header name 'Bad Name'" },
	{ "sites:\n  - hosts: a.test\n    root: %s/a\n    rules:\n      - match: /x\n", "the rule does nothing" },
	{ "rules:\n  - match: /x\nsites:\n  - hosts: a.test\n    root: %s/a\n",
	  "tern.yaml:1:1: 'rules' at the top level is for a file without sites:" },
	{ "netlify: true\nsites:\n  - hosts: a.test\n    root: %s/a\n",
	  "tern.yaml:1:1: 'netlify' at the top level is for a file without sites:" },
	{ "root: %s/a\nnetlify: no\n", "tern.yaml:2:10: 'netlify' takes true or false" },
	{ "root: %s/a\nrules: {}\n", "tern.yaml:2:8: 'rules' takes a list of at most" },
	{ "root: %s/a\nrules:\n  - match: /x\n", "tern.yaml:3:5: the rule does nothing" },
};

static void test_errors(void)
{
	for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++) {
		char text[2048];
		struct config c;
		char err[512];
		snprintf(text, sizeof text, errors[i].text, tmpdir, tmpdir);
		int rc = parse_file(text, &c, err, sizeof err, NULL, NULL);
		CHECK(rc == CONFIG_ERR_FILE, "case %zu: rc %d (%s)", i, rc, err);
		CHECK(strstr(err, errors[i].want) != NULL, "case %zu: '%s' lacks '%s'", i, err,
		      errors[i].want);
	}
}

static void test_command_line_wins(void)
{
	char text[1024];
	struct config c;
	char err[512];
	snprintf(text, sizeof text,
		 "port: 8080\nlist: true\nheader: [\"X-File: 1\"]\nsites:\n  - hosts: a.test\n"
		 "    root: %s/a\n    list: true\n    compress: true\n",
		 tmpdir);
	int rc = parse_file(text, &c, err, sizeof err, "-p9090", "--no-compress");
	CHECK(rc == 0, "parse: %s", err);
	if (rc)
		return;
	CHECK(c.port == 9090, "port %d", c.port);
	CHECK(c.list, "the file's list stays");
	CHECK(!c.compress && !c.sites[0].cfg.compress, "--no-compress wins in the site too");
	CHECK(strcmp(c.extra_headers, "X-File: 1\r\n") == 0, "headers '%s'", c.extra_headers);
	config_free(&c);
	rc = parse_file(text, &c, err, sizeof err, "-HX-Cli: 2", NULL);
	CHECK(rc == 0 && strcmp(c.extra_headers, "X-Cli: 2\r\n") == 0,
	      "a -H list replaces the file's: '%s'", rc == 0 ? c.extra_headers : err);
	if (rc == 0)
		config_free(&c);
}

/* Host beside :authority (HTTP/2): the same host as a site sees it. */
static void test_same_host(void)
{
	static const struct { const char *a, *b; bool same; } cases[] = {
		{ "a.test", "a.test", true },
		{ "a.test", "A.TEST", true },
		{ "a.test", "a.test:8443", true },
		{ "a.test.", "a.test", true },
		{ "A.Test.:1", "a.test:2", true },
		{ "a.test", "b.test", false },
		{ "a.test", "a.test.x", false },
		{ "a.test", "aa.test", false },
		{ "[::1]:80", "[::1]:80", true },
		{ "[::1]", "[::2]", false },
		{ "[::1]", "::1", false },
		{ "", "", true },
		{ "", "a.test", false },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct slice a = slice_make(cases[i].a, strlen(cases[i].a));
		struct slice b = slice_make(cases[i].b, strlen(cases[i].b));
		CHECK(site_same_host(a, b) == cases[i].same && site_same_host(b, a) == cases[i].same,
		      "same host %s / %s", cases[i].a, cases[i].b);
	}
}

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "%s/test_site.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	char d[300];
	for (const char *n = "abc"; *n; n++) {
		snprintf(d, sizeof d, "%s/%c", tmpdir, *n);
		mkdir(d, 0755);
	}
	test_same_host();
	if (yaml_doc_available()) {
		test_routing();
		test_no_default_is_421();
		test_errors();
		test_command_line_wins();
		test_top_level_rules();
	} else {
		struct config c;
		char err[256];
		int rc = parse_file("port: 1\n", &c, err, sizeof err, NULL, NULL);
		CHECK(rc == CONFIG_ERR_VALUE && strstr(err, "without libyaml"), "unavailable: %s", err);
	}
	test_single_site_answers_all();
	for (const char *n = "abc"; *n; n++) {
		snprintf(d, sizeof d, "%s/%c", tmpdir, *n);
		rmdir(d);
	}
	snprintf(d, sizeof d, "%s/tern.yaml", tmpdir);
	unlink(d);
	rmdir(tmpdir);
	return unit_done("site");
}
