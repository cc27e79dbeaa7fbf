/* yaml_doc.c - a YAML config document read strictly into a tree. It uses
 * libyaml's event parser, not its document loader: event by event this
 * file can refuse an alias before anything expands and stop at each limit
 * as soon as it is crossed. The tree lives in one arena; while a mapping
 * or sequence is open, its children wait on a stack and move into the
 * arena, as arrays, when it closes. Duplicate keys are found through one
 * hash table of the open mappings' keys, so a mapping of 50000 keys costs
 * no 50000^2 comparisons. */
#include "yaml_doc.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef HAVE_YAML
#include <yaml.h>
#endif

struct yaml_doc_block {
	struct yaml_doc_block *next;
	size_t used, cap;
	max_align_t data[];
};

static void arena_free(struct yaml_doc_block *b)
{
	while (b) {
		struct yaml_doc_block *next = b->next;
		free(b);
		b = next;
	}
}

void yaml_doc_free(struct yaml_doc *d)
{
	arena_free(d->arena);
	memset(d, 0, sizeof *d);
}

const struct yaml_doc_node *yaml_doc_get(const struct yaml_doc_node *map, const char *key)
{
	if (!map || map->kind != YAML_DOC_MAP || !key)
		return NULL;
	size_t n = strlen(key);
	for (size_t i = 0; i < map->n; i++)
		if (map->keys[i].len == n && memcmp(map->keys[i].str, key, n) == 0)
			return &map->vals[i];
	return NULL;
}

#ifndef HAVE_YAML

bool yaml_doc_available(void)
{
	return false;
}

int yaml_doc_load(struct yaml_doc *d, const char *text, size_t len, const char *file, char *err,
		  size_t cap)
{
	(void)text;
	(void)len;
	memset(d, 0, sizeof *d);
	if (cap)
		snprintf(err, cap,
			 "%s: this server was built without libyaml; "
			 "the config file is unavailable",
			 file ? file : "(input)");
	return -1;
}

#else

bool yaml_doc_available(void)
{
	return true;
}

#define BLOCK_SIZE (16 * 1024)
#define SHOWN_MAX  40 /* bytes of a key, tag or anchor quoted in a message */

/* n bytes from the arena, aligned for any node; NULL when out of memory. */
static void *arena_alloc(struct yaml_doc_block **arena, size_t n)
{
	const size_t align = _Alignof(max_align_t);
	struct yaml_doc_block *b = *arena;

	n = (n + align - 1) / align * align;
	if (b && b->cap - b->used >= n) {
		void *p = (char *)b->data + b->used;
		b->used += n;
		return p;
	}
	size_t cap = n > BLOCK_SIZE ? n : BLOCK_SIZE;
	struct yaml_doc_block *nb = malloc(sizeof *nb + cap);
	if (!nb)
		return NULL;
	nb->cap = cap;
	nb->used = n;
	/* A block of one big array goes behind the current one, which keeps
	 * its room for the small things that follow. */
	if (b && cap > BLOCK_SIZE) {
		nb->next = b->next;
		b->next = nb;
	} else {
		nb->next = b;
		*arena = nb;
	}
	return nb->data;
}

/* An open mapping or sequence. */
struct frame {
	struct yaml_doc_node node; /* kind, line and column so far */
	size_t base;               /* its first child on the stack */
	size_t map_id;             /* a mapping's keys in the key table; 0 for a sequence */
};

/* A key of an open mapping: its place on the stack. map_id 0: empty slot. */
struct key_slot {
	size_t map_id;
	size_t at;
};

struct build {
	const char *file, *text;
	size_t len, skip; /* skip: a UTF-8 byte order mark libyaml is not given */
	char *err;
	size_t cap;
	struct yaml_doc_block *arena;
	struct yaml_doc_node *stack; /* children of the open collections, then the root */
	size_t top, stack_cap;
	struct frame frames[YAML_DOC_DEPTH_MAX];
	unsigned depth;
	size_t nodes, maps;
	struct key_slot *slots;
	size_t nslots, nused;
	unsigned docs, doc_line;
};

static unsigned one_based(size_t v)
{
	return v >= UINT_MAX ? UINT_MAX : (unsigned)v + 1;
}

/* Line and column (characters, from 1) of byte off, counting line breaks
 * as libyaml does: \n, \r\n and a lone \r. */
static void offset_pos(const char *t, size_t len, size_t off, unsigned *line, unsigned *col)
{
	unsigned l = 1, c = 1;
	for (size_t i = 0; i < off && i < len; i++) {
		unsigned char ch = (unsigned char)t[i];
		if (ch == '\r' && i + 1 < len && t[i + 1] == '\n')
			continue;
		if (ch == '\n' || ch == '\r') {
			l++;
			c = 1;
		} else if ((ch & 0xc0) != 0x80) {
			c++;
		}
	}
	*line = l;
	*col = c;
}

/* "FILE:LINE:COLUMN: message" into err, kept on one line: a key or a file
 * name with a control character in it must not forge a second message. */
__attribute__((format(printf, 4, 5))) static int fail_at(struct build *b, unsigned line,
							  unsigned col, const char *fmt, ...)
{
	va_list ap;
	if (!b->cap)
		return -1;
	int w = snprintf(b->err, b->cap, "%s:%u:%u: ", b->file, line, col);
	if (w >= 0 && (size_t)w < b->cap) {
		va_start(ap, fmt);
		vsnprintf(b->err + w, b->cap - (size_t)w, fmt, ap);
		va_end(ap);
	}
	for (char *p = b->err; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return -1;
}

#define fail_mark(b, m, ...) fail_at(b, one_based((m).line), one_based((m).column), __VA_ARGS__)

/* At most SHOWN_MAX bytes of s for a message, cut between characters. */
static const char *shown(const void *s, size_t len, char out[SHOWN_MAX + 4])
{
	const unsigned char *u = s;
	size_t n = len;
	if (len > SHOWN_MAX) {
		n = SHOWN_MAX;
		while (n && (u[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(out, s, n);
	strcpy(out + n, n < len ? "..." : "");
	return out;
}

static int parser_fail(struct build *b, const yaml_parser_t *p)
{
	unsigned line, col;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return fail_mark(b, p->mark, "out of memory");
	case YAML_READER_ERROR:
		/* The reader gives a byte offset, not a mark. */
		offset_pos(b->text + b->skip, b->len - b->skip, p->problem_offset, &line, &col);
		if (p->problem_value != -1)
			return fail_at(b, line, col, "%s (0x%X)", p->problem,
				       (unsigned)p->problem_value);
		return fail_at(b, line, col, "%s", p->problem);
	default:
		if (p->context)
			return fail_mark(b, p->problem_mark, "%s (%s at line %u, column %u)",
					 p->problem ? p->problem : "syntax error", p->context,
					 one_based(p->context_mark.line),
					 one_based(p->context_mark.column));
		return fail_mark(b, p->problem_mark, "%s",
				 p->problem ? p->problem : "syntax error");
	}
}

/* Anchors make "billion laughs" documents and tags ask for types; a
 * config file needs neither. */
static int check_props(struct build *b, yaml_mark_t m, const yaml_char_t *anchor,
		       const yaml_char_t *tag)
{
	static const char core[] = "tag:yaml.org,2002:";
	char s[SHOWN_MAX + 4];

	if (anchor)
		return fail_mark(b, m, "anchors (&%s) are not allowed in a config file",
				 shown(anchor, strlen((const char *)anchor), s));
	if (!tag)
		return 0;
	const char *t = (const char *)tag;
	bool is_core = strncmp(t, core, sizeof core - 1) == 0; /* written as !!name */
	if (is_core)
		t += sizeof core - 1;
	return fail_mark(b, m, "tags (%s%s) are not allowed: every value is read as text",
			 is_core ? "!!" : "", shown(t, strlen(t), s));
}

static int count_node(struct build *b, yaml_mark_t m)
{
	if (b->nodes++ >= YAML_DOC_NODES_MAX)
		return fail_mark(b, m, "too many nodes (more than %d)", YAML_DOC_NODES_MAX);
	return 0;
}

/* The innermost open mapping if the next node is one of its keys. */
static const struct frame *key_of(const struct build *b)
{
	const struct frame *f = b->depth ? &b->frames[b->depth - 1] : NULL;
	if (f && f->map_id && (b->top - f->base) % 2 == 0)
		return f;
	return NULL;
}

static size_t key_hash(size_t map_id, const char *s, size_t len)
{
	uint64_t h = 14695981039346656037u ^ map_id;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211u;
	return (size_t)(h ^ h >> 29);
}

/* A bigger table, with only the keys of mappings still open: the closed
 * ones' keys can match nothing again. */
static int rehash(struct build *b)
{
	size_t live = 0, n = 64;

	for (size_t i = 0; i < b->nslots; i++)
		for (unsigned k = 0; k < b->depth; k++)
			if (b->slots[i].map_id && b->slots[i].map_id == b->frames[k].map_id) {
				live++;
				break;
			}
	while (n < 4 * (live + 1))
		n *= 2;
	struct key_slot *s = calloc(n, sizeof *s);
	if (!s)
		return -1;
	for (size_t i = 0; i < b->nslots; i++) {
		const struct key_slot *o = &b->slots[i];
		unsigned k = 0;
		while (k < b->depth && (!o->map_id || o->map_id != b->frames[k].map_id))
			k++;
		if (k == b->depth)
			continue;
		const struct yaml_doc_node *key = &b->stack[o->at];
		size_t j = key_hash(o->map_id, key->str, key->len) & (n - 1);
		while (s[j].map_id)
			j = (j + 1) & (n - 1);
		s[j] = *o;
	}
	free(b->slots);
	b->slots = s;
	b->nslots = n;
	b->nused = live;
	return 0;
}

/* key, about to go onto the stack, against the earlier keys of f. */
static int check_key(struct build *b, const struct frame *f, const struct yaml_doc_node *key)
{
	char s[SHOWN_MAX + 4];

	/* YAML 1.1 merges a plain << key's mapping into its parent. */
	if (!key->quoted && key->len == 2 && memcmp(key->str, "<<", 2) == 0)
		return fail_at(b, key->line, key->col,
			       "merge keys (<<) are not allowed in a config file");
	if (2 * (b->nused + 1) > b->nslots && rehash(b) < 0)
		return fail_at(b, key->line, key->col, "out of memory");
	size_t mask = b->nslots - 1, i = key_hash(f->map_id, key->str, key->len) & mask;
	for (; b->slots[i].map_id; i = (i + 1) & mask) {
		const struct yaml_doc_node *k = &b->stack[b->slots[i].at];
		if (b->slots[i].map_id == f->map_id && k->len == key->len &&
		    memcmp(k->str, key->str, key->len) == 0)
			return fail_at(b, key->line, key->col,
				       "duplicate key '%s' (first at line %u, column %u)",
				       shown(key->str, key->len, s), k->line, k->col);
	}
	b->slots[i] = (struct key_slot){ f->map_id, b->top };
	b->nused++;
	return 0;
}

/* A finished node onto the stack, as a child of the innermost open
 * collection (or as the root). */
static int push(struct build *b, const struct yaml_doc_node *node)
{
	const struct frame *f = key_of(b);

	if (f && check_key(b, f, node) < 0)
		return -1;
	if (b->top == b->stack_cap) {
		size_t n = b->stack_cap ? 2 * b->stack_cap : 64;
		struct yaml_doc_node *s = realloc(b->stack, n * sizeof *s);
		if (!s)
			return fail_at(b, node->line, node->col, "out of memory");
		b->stack = s;
		b->stack_cap = n;
	}
	b->stack[b->top++] = *node;
	return 0;
}

static int on_scalar(struct build *b, const yaml_event_t *ev)
{
	const size_t n = ev->data.scalar.length;
	const yaml_mark_t m = ev->start_mark;

	if (check_props(b, m, ev->data.scalar.anchor, ev->data.scalar.tag) < 0 ||
	    count_node(b, m) < 0)
		return -1;
	if (n > YAML_DOC_SCALAR_MAX)
		return fail_mark(b, m, "scalar is too long (%zu bytes, at most %d)", n,
				 YAML_DOC_SCALAR_MAX);
	/* A "\0" escape: the text could not be a C string. */
	if (memchr(ev->data.scalar.value, '\0', n))
		return fail_mark(b, m, "a NUL character (\\0) is not allowed in a value");
	char *s = arena_alloc(&b->arena, n + 1);
	if (!s)
		return fail_mark(b, m, "out of memory");
	memcpy(s, ev->data.scalar.value, n);
	s[n] = '\0';
	struct yaml_doc_node node = {
		.kind = YAML_DOC_SCALAR,
		.line = one_based(m.line),
		.col = one_based(m.column),
		.str = s,
		.len = n,
		.quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE,
	};
	return push(b, &node);
}

static int on_open(struct build *b, const yaml_event_t *ev, enum yaml_doc_kind kind,
		   const yaml_char_t *anchor, const yaml_char_t *tag)
{
	const yaml_mark_t m = ev->start_mark;
	const char *what = kind == YAML_DOC_MAP ? "mapping" : "sequence";

	if (check_props(b, m, anchor, tag) < 0)
		return -1;
	/* A key must be something the caller can compare and name. */
	if (key_of(b))
		return fail_mark(b, m, "a key must be a scalar, not a %s", what);
	if (count_node(b, m) < 0)
		return -1;
	if (b->depth == YAML_DOC_DEPTH_MAX)
		return fail_mark(b, m, "nested too deeply (more than %d levels)",
				 YAML_DOC_DEPTH_MAX);
	struct frame *f = &b->frames[b->depth++];
	f->node = (struct yaml_doc_node){
		.kind = kind,
		.line = one_based(m.line),
		.col = one_based(m.column),
	};
	f->base = b->top;
	f->map_id = kind == YAML_DOC_MAP ? ++b->maps : 0;
	return 0;
}

static int on_close(struct build *b)
{
	struct frame *f = &b->frames[--b->depth];
	struct yaml_doc_node node = f->node;
	size_t n = b->top - f->base;

	/* libyaml always pairs a key with a value (empty when none is written). */
	node.n = node.kind == YAML_DOC_MAP ? n / 2 : n;
	if (node.n) {
		const struct yaml_doc_node *c = &b->stack[f->base];
		size_t arrays = node.kind == YAML_DOC_MAP ? 2 : 1;
		struct yaml_doc_node *a = arena_alloc(&b->arena, arrays * node.n * sizeof *a);
		if (!a)
			return fail_at(b, node.line, node.col, "out of memory");
		if (node.kind == YAML_DOC_MAP) {
			node.keys = a;
			node.vals = a + node.n;
			for (size_t i = 0; i < node.n; i++) {
				node.keys[i] = c[2 * i];
				node.vals[i] = c[2 * i + 1];
			}
		} else {
			node.vals = a;
			memcpy(a, c, n * sizeof *a);
		}
	}
	b->top = f->base;
	return push(b, &node);
}

static int on_event(struct build *b, const yaml_event_t *ev, bool *done)
{
	char s[SHOWN_MAX + 4];

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (b->docs++)
			return fail_mark(b, ev->start_mark,
					 "a second document: a config file is one document "
					 "(the first began at line %u)",
					 b->doc_line);
		b->doc_line = one_based(ev->start_mark.line);
		return 0;
	case YAML_ALIAS_EVENT: {
		const char *a = (const char *)ev->data.alias.anchor;
		return fail_mark(b, ev->start_mark,
				 "aliases (*%s) are not allowed in a config file",
				 shown(a, strlen(a), s));
	}
	case YAML_SCALAR_EVENT:
		return on_scalar(b, ev);
	case YAML_SEQUENCE_START_EVENT:
		return on_open(b, ev, YAML_DOC_SEQ, ev->data.sequence_start.anchor,
			       ev->data.sequence_start.tag);
	case YAML_MAPPING_START_EVENT:
		return on_open(b, ev, YAML_DOC_MAP, ev->data.mapping_start.anchor,
			       ev->data.mapping_start.tag);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return on_close(b);
	case YAML_STREAM_END_EVENT:
		*done = true;
		return 0;
	default:
		return 0;
	}
}

int yaml_doc_load(struct yaml_doc *d, const char *text, size_t len, const char *file, char *err,
		  size_t cap)
{
	struct build b = {
		.file = file ? file : "(input)",
		.text = text ? text : "",
		.len = text ? len : 0,
		.err = err,
		.cap = cap,
	};
	yaml_parser_t p;
	yaml_event_t ev;
	bool done = false;
	int rc = -1;

	memset(d, 0, sizeof *d);
	if (cap)
		err[0] = '\0';
	/* libyaml, told the input is UTF-8, would count a byte order mark as
	 * a column; it is dropped here instead. */
	if (b.len >= 3 && memcmp(b.text, "\xef\xbb\xbf", 3) == 0)
		b.skip = 3;
	if (b.len > YAML_DOC_INPUT_MAX) {
		unsigned line, col;
		offset_pos(b.text + b.skip, b.len - b.skip, YAML_DOC_INPUT_MAX - b.skip, &line,
			   &col);
		return fail_at(&b, line, col, "the file is too large (%zu bytes, at most %d)",
			       b.len, YAML_DOC_INPUT_MAX);
	}
	if (!yaml_parser_initialize(&p))
		return fail_at(&b, 1, 1, "out of memory");
	yaml_parser_set_input_string(&p, (const unsigned char *)b.text + b.skip, b.len - b.skip);
	/* UTF-8 only, so a reader error's byte offset gives its position. */
	yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			parser_fail(&b, &p);
			goto out;
		}
		int r = on_event(&b, &ev, &done);
		yaml_event_delete(&ev);
		if (r < 0)
			goto out;
	}
	/* No document, or one of only `---` and comments (an empty plain
	 * scalar): an empty mapping, so an empty config file is a valid one. */
	if (b.top == 0)
		d->root = (struct yaml_doc_node){ .kind = YAML_DOC_MAP, .line = 1, .col = 1 };
	else if (b.stack[0].kind == YAML_DOC_SCALAR && !b.stack[0].quoted && !b.stack[0].len)
		d->root = (struct yaml_doc_node){ .kind = YAML_DOC_MAP,
						  .line = b.stack[0].line,
						  .col = b.stack[0].col };
	else
		d->root = b.stack[0];
	d->arena = b.arena;
	b.arena = NULL;
	rc = 0;
out:
	yaml_parser_delete(&p);
	arena_free(b.arena);
	free(b.stack);
	free(b.slots);
	return rc;
}

#endif
