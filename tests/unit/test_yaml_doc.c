/* test_yaml_doc.c - the strict YAML reader: the tree, text and position of
 * nodes in block and flow style; every scalar kept as text; each refused
 * construct (duplicate and non-scalar keys, anchors, aliases, tags, merge
 * keys, a second document, NUL) and each limit with its FILE:LINE:COLUMN;
 * libyaml's own errors with theirs; the small API around the load. Built
 * without libyaml, it checks that the load says it is unavailable. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "yaml_doc.h"

#ifdef HAVE_YAML

/* Every node as the header promises it, so a case need not check what it
 * does not name. */
static bool tree_ok(const struct yaml_doc_node *n)
{
	if (n->line < 1 || n->col < 1)
		return false;
	switch (n->kind) {
	case YAML_DOC_SCALAR:
		return n->str && n->str[n->len] == '\0' && strlen(n->str) == n->len && n->n == 0 &&
		       !n->keys && !n->vals;
	case YAML_DOC_SEQ:
		if (n->keys || !n->vals != !n->n)
			return false;
		for (size_t i = 0; i < n->n; i++)
			if (!tree_ok(&n->vals[i]))
				return false;
		return true;
	case YAML_DOC_MAP:
		if (!n->keys != !n->n || !n->vals != !n->n)
			return false;
		for (size_t i = 0; i < n->n; i++)
			if (n->keys[i].kind != YAML_DOC_SCALAR || !tree_ok(&n->keys[i]) ||
			    !tree_ok(&n->vals[i]))
				return false;
		return true;
	}
	return false;
}

/* Lines numbered for the positions in node_cases. */
static const char config[] =
	"# tern\n"                                /* 1 */
	"port: 8080\n"                            /* 2 */
	"listen: \"127.0.0.1\"\n"                 /* 3 */
	"gzip: no\n"                              /* 4 */
	"dotfiles: yes\n"                         /* 5 */
	"index: ~\n"                              /* 6 */
	"cache: 1e3\n"                            /* 7 */
	"empty:\n"                                /* 8 */
	"quoted_empty: ''\n"                      /* 9 */
	"sites:\n"                                /* 10 */
	"  - hosts: [a.example, 'b.example']\n"   /* 11 */
	"    root: /srv/a\n"                      /* 12 */
	"    rules:\n"                            /* 13 */
	"      - {path: /old, redirect: /new}\n"  /* 14 */
	"  - hosts:\n"                            /* 15 */
	"      - c.example\n"                     /* 16 */
	"    root: /srv/c\n"                      /* 17 */
	"motd: |\n"                               /* 18 */
	"  line one\n"                            /* 19 */
	"  line two\n"                            /* 20 */
	"folded: >\n"                             /* 21 */
	"  one\n"                                 /* 22 */
	"  two\n"                                 /* 23 */
	"note: \"tab\\there\"\n"                  /* 24 */
	"unicode: \"\\u00e9 caf\xc3\xa9\"\n"      /* 25 */
	"\xc3\xa9t\xc3\xa9: x\n"                  /* 26: columns count characters */
	"same: {port: 1}\n";                      /* 27: a key again, in another map */

#define ABSENT (-1)
#define ANY    (-1)

struct node_case {
	const char *text;
	const char *path; /* keys and sequence indexes joined by '/'; "" the root */
	int kind;         /* enum yaml_doc_kind, or ABSENT */
	const char *str;  /* SCALAR: the text */
	int quoted;       /* SCALAR: 0, 1 or ANY */
	size_t n;         /* MAP, SEQ: pairs or items */
	unsigned line, col;
};

#define S YAML_DOC_SCALAR
#define M YAML_DOC_MAP
#define Q YAML_DOC_SEQ

static const struct node_case node_cases[] = {
	{ config, "", M, NULL, 0, 15, 2, 1 },
	/* plain scalars stay text, whatever YAML 1.1 would make of them */
	{ config, "port", S, "8080", 0, 0, 2, 7 },
	{ config, "listen", S, "127.0.0.1", 1, 0, 3, 9 },
	{ config, "gzip", S, "no", 0, 0, 4, 7 },
	{ config, "dotfiles", S, "yes", 0, 0, 5, 11 },
	{ config, "index", S, "~", 0, 0, 6, 8 },
	{ config, "cache", S, "1e3", 0, 0, 7, 8 },
	/* nothing written and '' differ only in quoted */
	{ config, "empty", S, "", 0, 0, 8, 7 },
	{ config, "quoted_empty", S, "", 1, 0, 9, 15 },
	/* a sequence of mappings, block and flow inside */
	{ config, "sites", Q, NULL, 0, 2, 11, 3 },
	{ config, "sites/0", M, NULL, 0, 3, 11, 5 },
	{ config, "sites/0/hosts", Q, NULL, 0, 2, 11, 12 },
	{ config, "sites/0/hosts/0", S, "a.example", 0, 0, 11, 13 },
	{ config, "sites/0/hosts/1", S, "b.example", 1, 0, 11, 24 },
	{ config, "sites/0/root", S, "/srv/a", 0, 0, 12, 11 },
	{ config, "sites/0/rules", Q, NULL, 0, 1, 14, 7 },
	{ config, "sites/0/rules/0", M, NULL, 0, 2, 14, 9 },
	{ config, "sites/0/rules/0/path", S, "/old", 0, 0, 14, 16 },
	{ config, "sites/0/rules/0/redirect", S, "/new", 0, 0, 14, 32 },
	{ config, "sites/1", M, NULL, 0, 2, 15, 5 },
	{ config, "sites/1/hosts", Q, NULL, 0, 1, 16, 7 },
	{ config, "sites/1/hosts/0", S, "c.example", 0, 0, 16, 9 },
	{ config, "sites/1/root", S, "/srv/c", 0, 0, 17, 11 },
	/* block scalars count as quoted: they are explicitly text */
	{ config, "motd", S, "line one\nline two\n", 1, 0, 18, 7 },
	{ config, "folded", S, "one two\n", 1, 0, 21, 9 },
	{ config, "note", S, "tab\there", 1, 0, 24, 7 },
	{ config, "unicode", S, "\xc3\xa9 caf\xc3\xa9", 1, 0, 25, 10 },
	{ config, "\xc3\xa9t\xc3\xa9", S, "x", 0, 0, 26, 6 },
	{ config, "same/port", S, "1", 0, 0, 27, 14 },
	/* absent: no such key, and get on what is not a mapping */
	{ config, "nope", ABSENT, NULL, 0, 0, 0, 0 },
	{ config, "PORT", ABSENT, NULL, 0, 0, 0, 0 },
	{ config, "port/x", ABSENT, NULL, 0, 0, 0, 0 },
	{ config, "sites/x", ABSENT, NULL, 0, 0, 0, 0 },
	{ config, "sites/2", ABSENT, NULL, 0, 0, 0, 0 },
	/* no content: an empty mapping */
	{ "", "", M, NULL, 0, 0, 1, 1 },
	{ "# only a comment\n", "", M, NULL, 0, 0, 1, 1 },
	{ "\n\n   \n", "", M, NULL, 0, 0, 1, 1 },
	{ "---\n", "", M, NULL, 0, 0, ANY, ANY },
	{ "--- # nothing\n...\n", "", M, NULL, 0, 0, ANY, ANY },
	/* other roots are the caller's to refuse */
	{ "''", "", S, "", 1, 0, 1, 1 },
	{ "~", "", S, "~", 0, 0, 1, 1 },
	{ "just text", "", S, "just text", 0, 0, 1, 1 },
	{ "- a\n- b: c\n", "", Q, NULL, 0, 2, 1, 1 },
	{ "- a\n- b: c\n", "1/b", S, "c", 0, 0, 2, 6 },
	/* flow style */
	{ "{a: 1, b: [x, y]}", "", M, NULL, 0, 2, 1, 1 },
	{ "{a: 1, b: [x, y]}", "b/1", S, "y", 0, 0, 1, 15 },
	{ "[1, 2]", "1", S, "2", 0, 0, 1, 5 },
	{ "{}", "", M, NULL, 0, 0, 1, 1 },
	{ "[]", "", Q, NULL, 0, 0, 1, 1 },
	{ "a: {}\nb: []\n", "a", M, NULL, 0, 0, 1, 4 },
	{ "a: {}\nb: []\n", "b", Q, NULL, 0, 0, 2, 4 },
	{ "a: [\n  1,\n  2,\n]\n", "a/1", S, "2", 0, 0, 3, 3 },
	/* an indentless sequence starts at its first '-' */
	{ "hosts:\n- a\n- b\n", "hosts", Q, NULL, 0, 2, 2, 1 },
	/* quoting and escapes */
	{ "a: 'it''s'", "a", S, "it's", 1, 0, 1, 4 },
	{ "a: \"\\x41\\t\\\"\"", "a", S, "A\t\"", 1, 0, 1, 4 },
	{ "a: one\n  two\n", "a", S, "one two", 0, 0, 1, 4 },
	{ "a: b # comment\n", "a", S, "b", 0, 0, 1, 4 },
	{ "a: |-\n  x\n", "a", S, "x", 1, 0, 1, 4 },
	/* `<<` is a merge key only plain and as a key */
	{ "'<<': x", "<<", S, "x", 0, 0, 1, 7 },
	{ "<<x: 1", "<<x", S, "1", 0, 0, 1, 6 },
	{ "a: <<", "a", S, "<<", 0, 0, 1, 4 },
	/* one key in different mappings is no duplicate */
	{ "- a: 1\n- a: 2\n", "1/a", S, "2", 0, 0, 2, 6 },
	{ "a: {x: 1}\nb: {x: 2}\n", "b/x", S, "2", 0, 0, 2, 8 },
	{ "a:\n  a:\n    a: 1\n", "a/a/a", S, "1", 0, 0, 3, 8 },
	/* an explicit key, an end marker, a %YAML directive, a byte order mark,
	 * CRLF line ends */
	{ "? a\n: 1\n", "a", S, "1", 0, 0, 2, 3 },
	{ "a: 1\n...\n", "a", S, "1", 0, 0, 1, 4 },
	{ "%YAML 1.1\n---\na: 1\n", "a", S, "1", 0, 0, 3, 4 },
	{ "\xef\xbb\xbf" "a: 1\n", "a", S, "1", 0, 0, 1, 4 },
	{ "\xef\xbb\xbf" "a: 1\r\nb: 2\r\n", "b", S, "2", 0, 0, 2, 4 },
	{ "a:\r\n  b: 1\r\n", "a/b", S, "1", 0, 0, 2, 6 },
};

/* The node at path below root, or NULL. */
static const struct yaml_doc_node *walk(const struct yaml_doc_node *n, const char *path)
{
	char part[64];

	while (n && *path) {
		size_t len = strcspn(path, "/");
		snprintf(part, sizeof part, "%.*s", (int)len, path);
		path += len + (path[len] == '/');
		if (n->kind == YAML_DOC_SEQ) {
			char *end;
			unsigned long i = strtoul(part, &end, 10);
			n = *end || end == part || i >= n->n ? NULL : &n->vals[i];
		} else {
			n = yaml_doc_get(n, part);
		}
	}
	return n;
}

static void test_nodes(void)
{
	for (size_t i = 0; i < sizeof node_cases / sizeof node_cases[0]; i++) {
		const struct node_case *k = &node_cases[i];
		struct yaml_doc d;
		char err[256];
		int rc = yaml_doc_load(&d, k->text, strlen(k->text), "t.yaml", err, sizeof err);

		CHECK(rc == 0, "[%zu '%s']: %s", i, k->path, err);
		if (rc)
			continue;
		CHECK(tree_ok(&d.root), "[%zu]: broken tree", i);
		const struct yaml_doc_node *n = walk(&d.root, k->path);
		if (k->kind == ABSENT) {
			CHECK(n == NULL, "[%zu '%s']: found", i, k->path);
			yaml_doc_free(&d);
			continue;
		}
		CHECK(n && (int)n->kind == k->kind, "[%zu '%s']: kind %d, want %d", i, k->path,
		      n ? (int)n->kind : -1, k->kind);
		if (!n || (int)n->kind != k->kind) {
			yaml_doc_free(&d);
			continue;
		}
		if (k->line != (unsigned)ANY)
			CHECK(n->line == k->line && n->col == k->col,
			      "[%zu '%s']: at %u:%u, want %u:%u", i, k->path, n->line, n->col,
			      k->line, k->col);
		if (k->kind == YAML_DOC_SCALAR) {
			CHECK(n->len == strlen(k->str) && strcmp(n->str, k->str) == 0,
			      "[%zu '%s']: '%s', want '%s'", i, k->path, n->str, k->str);
			if (k->quoted != ANY)
				CHECK(n->quoted == (k->quoted == 1), "[%zu '%s']: quoted %d", i,
				      k->path, n->quoted);
		} else {
			CHECK(n->n == k->n, "[%zu '%s']: n %zu, want %zu", i, k->path, n->n, k->n);
		}
		yaml_doc_free(&d);
	}
}

struct err_case {
	const char *text;
	size_t len; /* of text when it holds a NUL, else 0 */
	unsigned line, col;
	const char *msg; /* in the message, after "t.yaml:LINE:COL: " */
};

static const struct err_case err_cases[] = {
	/* duplicate keys, named with both positions */
	{ "port: 80\nhost: a\nport: 81\n", 0, 3, 1,
	  "duplicate key 'port' (first at line 1, column 1)" },
	{ "a:\n  x: 1\n  x: 2\n", 0, 3, 3, "duplicate key 'x' (first at line 2, column 3)" },
	{ "{a: 1, a: 2}", 0, 1, 8, "duplicate key 'a' (first at line 1, column 2)" },
	{ "a: 1\n'a': 2\n", 0, 2, 1, "duplicate key 'a'" },
	{ "\"a\": 1\na: 2\n", 0, 2, 1, "duplicate key 'a'" },
	{ "'': 1\n? \n: 2\n", 0, 2, 2, "duplicate key '' (first at line 1, column 1)" },
	{ "a:\n  b: 1\nc: 2\na: 3\n", 0, 4, 1, "duplicate key 'a' (first at line 1, column 1)" },
	{ "- x: 1\n  y: 2\n  x: 3\n", 0, 3, 3, "duplicate key 'x' (first at line 1, column 3)" },
	/* a key that cannot be named on one line is shown so */
	{ "\"a\\nb\": 1\n\"a\\nb\": 2\n", 0, 2, 1, "duplicate key 'a?b'" },
	/* keys are scalars */
	{ "[a]: 1", 0, 1, 1, "a key must be a scalar, not a sequence" },
	{ "? {a: 1}\n: 2\n", 0, 1, 3, "a key must be a scalar, not a mapping" },
	{ "{[a]: 1}", 0, 1, 2, "a key must be a scalar, not a sequence" },
	/* anchors, aliases, merge keys, tags */
	{ "a: &x 1\nb: *x\n", 0, 1, 4, "anchors (&x) are not allowed in a config file" },
	{ "b: *x\n", 0, 1, 4, "aliases (*x) are not allowed in a config file" },
	{ "a: &m\n  b: 1\n", 0, 1, 4, "anchors (&m) are not allowed" },
	{ "- &s [1]\n", 0, 1, 3, "anchors (&s) are not allowed" },
	{ "base: {a: 1}\nother:\n  <<: {b: 2}\n", 0, 3, 3,
	  "merge keys (<<) are not allowed in a config file" },
	{ "a: !!str 1", 0, 1, 4, "tags (!!str) are not allowed: every value is read as text" },
	{ "a: !foo 1", 0, 1, 4, "tags (!foo) are not allowed" },
	{ "a: !!map {b: 1}", 0, 1, 4, "tags (!!map) are not allowed" },
	{ "a: !!seq [1]", 0, 1, 4, "tags (!!seq) are not allowed" },
	{ "a: ! 1", 0, 1, 4, "tags (!) are not allowed" },
	{ "a: !<tag:x> 1", 0, 1, 4, "tags (tag:x) are not allowed" },
	{ "%TAG !e! tag:example.com,2000:\n---\na: !e!x 1\n", 0, 3, 4,
	  "tags (tag:example.com,2000:x) are not allowed" },
	/* one document */
	{ "a: 1\n---\nb: 2\n", 0, 2, 1,
	  "a second document: a config file is one document (the first began at line 1)" },
	{ "---\na: 1\n---\n", 0, 3, 1, "a second document" },
	{ "a: 1\n...\n---\nb: 2\n", 0, 3, 1, "a second document" },
	/* NUL and other bytes that are not text */
	{ "a: \"x\\0y\"", 0, 1, 4, "a NUL character (\\0) is not allowed in a value" },
	{ "a: 1\nb: x\0y", 11, 2, 5, "control characters are not allowed (0x0)" },
	{ "a: \x01", 0, 1, 4, "control characters are not allowed (0x1)" },
	{ "a: 1\r\nb: \xff", 0, 2, 4, "invalid leading UTF-8 octet (0xFF)" },
	{ "\xef\xbb\xbf" "a: \xff", 0, 1, 4, "invalid leading UTF-8 octet" },
	{ "a: \xc3", 0, 1, 4, "incomplete UTF-8 octet sequence" },
	{ "\xff\xfe" "a\0:\0", 6, 1, 1, "invalid leading UTF-8 octet" }, /* UTF-16 */
	/* libyaml's syntax errors, at its problem mark, with its context */
	{ "a:\n  b: 1\n c: 2\n", 0, 3, 2,
	  "did not find expected key (while parsing a block mapping at line 1, column 1)" },
	{ "a: b: c", 0, 1, 5, "mapping values are not allowed in this context" },
	{ "\ta: 1", 0, 1, 1, "found character that cannot start any token" },
	{ "a: 'x", 0, 1, 6,
	  "found unexpected end of stream (while scanning a quoted scalar at line 1, column 4)" },
	{ "key: [1, 2", 0, 2, 1, "did not find expected ',' or ']'" },
	{ "- a\nb: c\n", 0, 2, 1, "did not find expected '-' indicator" },
	{ "a: {b: 1\n", 0, 2, 1, "did not find expected ',' or '}'" },
};

static void check_err(const char *what, int rc, const char *err, unsigned line, unsigned col,
		      const char *msg)
{
	char want[64];
	snprintf(want, sizeof want, "t.yaml:%u:%u: ", line, col);
	CHECK(rc == -1, "[%s]: %d", what, rc);
	CHECK(strncmp(err, want, strlen(want)) == 0 && strstr(err, msg) != NULL,
	      "[%s]: '%s', want '%s...%s'", what, err, want, msg);
	CHECK(!strchr(err, '\n') && !strchr(err, '\r'), "[%s]: message not one line", what);
}

static void test_errors(void)
{
	for (size_t i = 0; i < sizeof err_cases / sizeof err_cases[0]; i++) {
		const struct err_case *k = &err_cases[i];
		struct yaml_doc d;
		char err[256], what[32];
		size_t len = k->len ? k->len : strlen(k->text);

		snprintf(what, sizeof what, "error %zu", i);
		int rc = yaml_doc_load(&d, k->text, len, "t.yaml", err, sizeof err);
		check_err(what, rc, err, k->line, k->col, k->msg);
		/* A failed load leaves nothing to free, yet freeing is harmless. */
		CHECK(d.arena == NULL, "[%s]: arena left", what);
		yaml_doc_free(&d);
	}
}

/* text of n bytes, filled by the caller; freed with free. */
static char *buf(size_t n)
{
	char *s = malloc(n + 1);
	if (!s)
		abort();
	s[n] = '\0';
	return s;
}

/* Each limit: at it, the load succeeds; one past it, it fails at the node
 * (or byte) that crossed it. */
static void test_limits(void)
{
	struct yaml_doc d;
	char err[256];
	char *s;
	int rc;

	/* depth: 32 flow sequences in one another, then 33 */
	for (int depth = 32; depth <= 33; depth++) {
		s = buf(2 * (size_t)depth + 1);
		memset(s, '[', (size_t)depth);
		s[depth] = 'x';
		memset(s + depth + 1, ']', (size_t)depth);
		rc = yaml_doc_load(&d, s, strlen(s), "t.yaml", err, sizeof err);
		if (depth == 32) {
			CHECK(rc == 0 && tree_ok(&d.root), "depth 32: %s", err);
		} else {
			check_err("depth 33", rc, err, 1, 33,
				  "nested too deeply (more than 32 levels)");
		}
		yaml_doc_free(&d);
		free(s);
	}
	/* and in block style: the 33rd mapping starts at line 33 */
	s = buf(33 * 68);
	s[0] = '\0';
	for (int i = 0; i < 33; i++)
		sprintf(s + strlen(s), "%*sa:\n", 2 * i, "");
	strcat(s, "                                                                    x\n");
	rc = yaml_doc_load(&d, s, strlen(s), "t.yaml", err, sizeof err);
	check_err("block depth 33", rc, err, 33, 65, "nested too deeply");
	free(s);

	/* nodes: a sequence and 99999 items, then one item more */
	for (size_t items = 99999; items <= 100000; items++) {
		s = buf(4 * items);
		for (size_t i = 0; i < items; i++)
			memcpy(s + 4 * i, "- x\n", 4);
		rc = yaml_doc_load(&d, s, 4 * items, "t.yaml", err, sizeof err);
		if (items == 99999)
			CHECK(rc == 0 && d.root.kind == YAML_DOC_SEQ && d.root.n == items &&
				      tree_ok(&d.root),
			      "99999 items: %s", err);
		else
			check_err("100000 items", rc, err, 100000, 3,
				  "too many nodes (more than 100000)");
		yaml_doc_free(&d);
		free(s);
	}

	/* a scalar: 64 KiB, then one byte more */
	for (size_t n = YAML_DOC_SCALAR_MAX; n <= YAML_DOC_SCALAR_MAX + 1; n++) {
		s = buf(3 + n);
		memcpy(s, "a: ", 3);
		memset(s + 3, 'x', n);
		rc = yaml_doc_load(&d, s, 3 + n, "t.yaml", err, sizeof err);
		if (n == YAML_DOC_SCALAR_MAX)
			CHECK(rc == 0 && yaml_doc_get(&d.root, "a")->len == n, "64 KiB scalar: %s",
			      err);
		else
			check_err("scalar 64 KiB + 1", rc, err, 1, 4,
				  "scalar is too long (65537 bytes, at most 65536)");
		yaml_doc_free(&d);
		free(s);
	}

	/* the input: 1 MiB of comment lines, then one byte more, which is
	 * the first of line 1025 */
	s = buf(YAML_DOC_INPUT_MAX + 1);
	for (size_t i = 0; i < 1024; i++) {
		memset(s + 1024 * i, '#', 1023);
		s[1024 * i + 1023] = '\n';
	}
	s[YAML_DOC_INPUT_MAX] = 'x';
	rc = yaml_doc_load(&d, s, YAML_DOC_INPUT_MAX, "t.yaml", err, sizeof err);
	CHECK(rc == 0 && d.root.kind == YAML_DOC_MAP && d.root.n == 0, "1 MiB: %s", err);
	yaml_doc_free(&d);
	rc = yaml_doc_load(&d, s, YAML_DOC_INPUT_MAX + 1, "t.yaml", err, sizeof err);
	check_err("1 MiB + 1", rc, err, 1025, 1,
		  "the file is too large (1048577 bytes, at most 1048576)");
	yaml_doc_free(&d);
	free(s);
}

/* Big mappings: the duplicate check is a hash table, not a scan, and keys
 * of closed mappings must not count against later ones. */
static void test_many_keys(void)
{
	struct yaml_doc d;
	char err[256];
	size_t pairs = 49999, w = 0;
	char *s = buf(16 * (pairs + 1));
	int rc;

	for (size_t i = 0; i < pairs; i++)
		w += (size_t)sprintf(s + w, "k%05zu: v\n", i);
	rc = yaml_doc_load(&d, s, w, "t.yaml", err, sizeof err);
	CHECK(rc == 0 && d.root.n == pairs && tree_ok(&d.root), "49999 keys: %s", err);
	const struct yaml_doc_node *v = yaml_doc_get(&d.root, "k31337");
	CHECK(v && v->line == 31338 && strcmp(v->str, "v") == 0, "k31337");
	yaml_doc_free(&d);
	/* the same and a last key as the first */
	w += (size_t)sprintf(s + w, "k00000: again\n");
	rc = yaml_doc_load(&d, s, w, "t.yaml", err, sizeof err);
	check_err("49999 keys and a duplicate", rc, err, 50000, 1,
		  "duplicate key 'k00000' (first at line 1, column 1)");
	free(s);

	/* 30000 mappings with the key "a" each */
	s = buf(7 * 30000);
	for (size_t i = 0; i < 30000; i++)
		memcpy(s + 7 * i, "- a: 1\n", 7);
	rc = yaml_doc_load(&d, s, 7 * 30000, "t.yaml", err, sizeof err);
	CHECK(rc == 0 && d.root.n == 30000 && tree_ok(&d.root), "30000 maps: %s", err);
	yaml_doc_free(&d);
	free(s);
}

static void test_api(void)
{
	struct yaml_doc d;
	char err[256], small[8];
	int rc;

	CHECK(yaml_doc_available(), "available");

	/* free twice, after success and after failure */
	rc = yaml_doc_load(&d, "a: [1]", 6, "t.yaml", err, sizeof err);
	CHECK(rc == 0 && err[0] == '\0', "load: %s", err);
	yaml_doc_free(&d);
	yaml_doc_free(&d);
	CHECK(d.arena == NULL, "free clears");
	rc = yaml_doc_load(&d, "*x", 2, "t.yaml", err, sizeof err);
	CHECK(rc == -1, "alias");
	yaml_doc_free(&d);

	/* get on what is no mapping */
	rc = yaml_doc_load(&d, "a: [1]\nb: c", 11, "t.yaml", err, sizeof err);
	CHECK(rc == 0, "load: %s", err);
	CHECK(yaml_doc_get(NULL, "a") == NULL, "get NULL");
	CHECK(yaml_doc_get(&d.root, NULL) == NULL, "get key NULL");
	CHECK(yaml_doc_get(yaml_doc_get(&d.root, "a"), "1") == NULL, "get on a sequence");
	CHECK(yaml_doc_get(yaml_doc_get(&d.root, "b"), "c") == NULL, "get on a scalar");
	CHECK(yaml_doc_get(&d.root, "") == NULL, "get ''");
	yaml_doc_free(&d);

	/* no text at all */
	rc = yaml_doc_load(&d, NULL, 0, "t.yaml", err, sizeof err);
	CHECK(rc == 0 && d.root.kind == YAML_DOC_MAP && d.root.n == 0, "NULL text: %s", err);
	yaml_doc_free(&d);

	/* the message buffer: cut short, absent; the file name unknown */
	rc = yaml_doc_load(&d, "*x", 2, "t.yaml", small, sizeof small);
	CHECK(rc == -1 && strcmp(small, "t.yaml:") == 0, "small buffer: '%s'", small);
	rc = yaml_doc_load(&d, "*x", 2, "t.yaml", NULL, 0);
	CHECK(rc == -1, "no buffer");
	rc = yaml_doc_load(&d, "*x", 2, NULL, err, sizeof err);
	CHECK(rc == -1 && strncmp(err, "(input):1:1: ", 13) == 0, "no file name: '%s'", err);
	/* a file name cannot break the message in two */
	rc = yaml_doc_load(&d, "*x", 2, "a\nb.yaml", err, sizeof err);
	CHECK(rc == -1 && strncmp(err, "a?b.yaml:1:1: ", 14) == 0, "file name: '%s'", err);

	/* a long key is cut in the message, between characters */
	char text[512];
	char key[201];
	for (int i = 0; i < 100; i++)
		memcpy(key + 2 * i, "\xc3\xa9", 2);
	key[200] = '\0';
	snprintf(text, sizeof text, "%s: 1\n%s: 2\n", key, key);
	rc = yaml_doc_load(&d, text, strlen(text), "t.yaml", err, sizeof err);
	CHECK(rc == -1 && strstr(err, "duplicate key '\xc3\xa9") && strstr(err, "\xc3\xa9...'") &&
		      strlen(err) < 120,
	      "long key: '%s'", err);
}

#else /* !HAVE_YAML */

static void test_unavailable(void)
{
	struct yaml_doc d;
	char err[256];

	CHECK(!yaml_doc_available(), "available without libyaml");
	int rc = yaml_doc_load(&d, "a: 1", 4, "t.yaml", err, sizeof err);
	CHECK(rc == -1, "load without libyaml: %d", rc);
	CHECK(strcmp(err, "t.yaml: this server was built without libyaml; the config file is "
			  "unavailable") == 0,
	      "message '%s'", err);
	yaml_doc_free(&d);
	yaml_doc_free(&d);
	CHECK(yaml_doc_get(NULL, "a") == NULL, "get NULL");
}

#endif

int main(void)
{
#ifdef HAVE_YAML
	test_nodes();
	test_errors();
	test_limits();
	test_many_keys();
	test_api();
#else
	test_unavailable();
#endif
	return unit_done("test_yaml_doc");
}
