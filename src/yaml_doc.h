/* yaml_doc.h - one YAML document read strictly into a small tree of
 * scalars, mappings and sequences, each node with its line and column.
 * Every scalar stays text (no implicit typing: `no`, `~`, `1e3` are the
 * strings "no", "~", "1e3"); anchors, aliases, merge keys (<<), tags,
 * duplicate keys and non-scalar keys are errors. Needs libyaml
 * (HAVE_YAML); without it every load fails. */
#ifndef YAML_DOC_H
#define YAML_DOC_H

#include <stdbool.h>
#include <stddef.h>

/* Limits of a load; past each, the load fails with the position. */
#define YAML_DOC_INPUT_MAX  (1024 * 1024) /* bytes of input */
#define YAML_DOC_DEPTH_MAX  32            /* mappings and sequences nested */
#define YAML_DOC_NODES_MAX  100000        /* nodes in all, keys included */
#define YAML_DOC_SCALAR_MAX (64 * 1024)   /* bytes of one scalar */

enum yaml_doc_kind { YAML_DOC_SCALAR, YAML_DOC_MAP, YAML_DOC_SEQ };

struct yaml_doc_node {
	enum yaml_doc_kind kind;
	unsigned line, col; /* 1-based, where the node starts (a column counts characters) */
	const char *str;    /* SCALAR: its UTF-8 text, NUL-terminated, no NUL inside; else NULL */
	size_t len;         /* SCALAR: strlen(str) */
	bool quoted;        /* SCALAR: not plain (quoted, or a | or > block), so "" is not `~` */
	size_t n;           /* MAP: pairs; SEQ: items; SCALAR: 0 */
	struct yaml_doc_node *keys; /* MAP: n scalar keys, all different, in file order */
	struct yaml_doc_node *vals; /* MAP: n values; SEQ: n items (NULL when n is 0) */
};

struct yaml_doc_block;

struct yaml_doc {
	struct yaml_doc_node root;
	struct yaml_doc_block *arena; /* every node and string of the tree */
};

/* Parses len bytes of text as one YAML document (UTF-8). Input with no
 * document, or a document with no content (only `---` and comments),
 * loads as an empty mapping. file names the source in messages. Returns
 * 0, or -1 with "FILE:LINE:COLUMN: message" (one line) in err; then d
 * holds nothing, though yaml_doc_free on it is harmless. */
int yaml_doc_load(struct yaml_doc *d, const char *text, size_t len, const char *file, char *err,
		  size_t cap);

/* Releases everything of d (every node pointer into it dies); may be
 * called again. */
void yaml_doc_free(struct yaml_doc *d);

/* The value of key in map, or NULL if map is NULL, not a mapping, or
 * has no such key. */
const struct yaml_doc_node *yaml_doc_get(const struct yaml_doc_node *map, const char *key);

/* True if this build has libyaml, so yaml_doc_load can succeed. */
bool yaml_doc_available(void);

#endif
