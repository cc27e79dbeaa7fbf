/* fuzz_yaml.c - yaml_doc_load on arbitrary bytes, with a message buffer
 * of exactly ERR_CAP heap bytes.
 *
 * Checked: the result is 0 or -1; an error leaves one line "fuzz.yaml:
 * LINE:COLUMN: message" with both numbers from 1, success an empty
 * message. A loaded tree keeps every promise of yaml_doc.h: each scalar
 * NUL-terminated at len with no NUL before, at most YAML_DOC_SCALAR_MAX
 * bytes; lines and columns from 1 and inside the input; n matching the
 * arrays (NULL when empty); keys scalars, all different in their mapping,
 * each found by yaml_doc_get; nesting and node count within the limits.
 * Loading again gives the same tree (no state kept between loads), and
 * yaml_doc_free releases everything (LeakSanitizer) and may run twice.
 * Built without HAVE_YAML, every load must fail with the one message. */
#include "fuzz_check.h"

#include "yaml_doc.h"

#define ERR_CAP 256
#define SOURCE  "fuzz.yaml"

struct bounds {
	unsigned lines, cols; /* the most a position can be */
	size_t nodes;
};

FUZZ_NOCOV
static void check_node(const struct yaml_doc_node *n, unsigned depth, struct bounds *b)
{
	FUZZ_CHECK(++b->nodes <= YAML_DOC_NODES_MAX);
	FUZZ_CHECK(n->line >= 1 && n->line <= b->lines);
	FUZZ_CHECK(n->col >= 1 && n->col <= b->cols);
	switch (n->kind) {
	case YAML_DOC_SCALAR:
		FUZZ_CHECK(n->str != NULL && n->len <= YAML_DOC_SCALAR_MAX);
		FUZZ_CHECK(n->str[n->len] == '\0' && memchr(n->str, '\0', n->len) == NULL);
		FUZZ_CHECK(n->n == 0 && n->keys == NULL && n->vals == NULL);
		return;
	case YAML_DOC_SEQ:
		FUZZ_CHECK(depth < YAML_DOC_DEPTH_MAX);
		FUZZ_CHECK(n->str == NULL && n->keys == NULL && !n->vals == !n->n);
		for (size_t i = 0; i < n->n; i++)
			check_node(&n->vals[i], depth + 1, b);
		return;
	case YAML_DOC_MAP:
		FUZZ_CHECK(depth < YAML_DOC_DEPTH_MAX);
		FUZZ_CHECK(n->str == NULL && !n->keys == !n->n && !n->vals == !n->n);
		for (size_t i = 0; i < n->n; i++) {
			const struct yaml_doc_node *k = &n->keys[i];
			FUZZ_CHECK(k->kind == YAML_DOC_SCALAR);
			check_node(k, depth + 1, b);
			/* Keys are different, so get finds each at its own place;
			 * a plain << would be a merge key. */
			FUZZ_CHECK(yaml_doc_get(n, k->str) == &n->vals[i]);
			FUZZ_CHECK(k->quoted || strcmp(k->str, "<<") != 0);
			check_node(&n->vals[i], depth + 1, b);
		}
		return;
	}
	FUZZ_CHECK(!"a node of no kind");
}

FUZZ_NOCOV
static bool same_tree(const struct yaml_doc_node *a, const struct yaml_doc_node *b)
{
	if (a->kind != b->kind || a->line != b->line || a->col != b->col || a->n != b->n ||
	    a->len != b->len || a->quoted != b->quoted)
		return false;
	if (a->kind == YAML_DOC_SCALAR)
		return memcmp(a->str, b->str, a->len + 1) == 0;
	for (size_t i = 0; i < a->n; i++)
		if ((a->kind == YAML_DOC_MAP && !same_tree(&a->keys[i], &b->keys[i])) ||
		    !same_tree(&a->vals[i], &b->vals[i]))
			return false;
	return true;
}

/* "fuzz.yaml:LINE:COLUMN: message", both numbers from 1, on one line. */
FUZZ_NOCOV
static void check_message(const char *err)
{
	const char *p = err + sizeof SOURCE;
	unsigned long line, col;
	char *end;

	FUZZ_CHECK(memchr(err, '\0', ERR_CAP) != NULL);
	FUZZ_CHECK(strncmp(err, SOURCE ":", sizeof SOURCE) == 0);
	for (const char *c = err; *c; c++)
		FUZZ_CHECK((unsigned char)*c >= 0x20 && *c != 0x7f);
	FUZZ_CHECK(*p >= '1' && *p <= '9');
	line = strtoul(p, &end, 10);
	FUZZ_CHECK(line >= 1 && *end == ':' && end[1] >= '1' && end[1] <= '9');
	col = strtoul(end + 1, &end, 10);
	FUZZ_CHECK(col >= 1 && end[0] == ':' && end[1] == ' ' && end[2] != '\0');
}

FUZZ_NOCOV
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	char *err = malloc(ERR_CAP), *err2 = malloc(ERR_CAP);
	struct yaml_doc d, d2;
	/* Lines end at \n, \r, and the UTF-8 of NEL, LS and PS: at most one
	 * line per such byte, and one after the last. */
	struct bounds b = { 2, (unsigned)size + 2, 0 };

	for (size_t i = 0; i < size; i++)
		if (text[i] && strchr("\n\r\x85\xa8\xa9", text[i]))
			b.lines++;

	memset(err, 'x', ERR_CAP);
	int rc = yaml_doc_load(&d, text, size, SOURCE, err, ERR_CAP);
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (!yaml_doc_available()) {
		/* Built without libyaml: every load fails alike. */
		FUZZ_CHECK(rc == -1 && d.arena == NULL);
		FUZZ_CHECK(strcmp(err, SOURCE ": this server was built without libyaml; the "
					  "config file is unavailable") == 0);
		yaml_doc_free(&d);
		free(err2);
		free(err);
		return 0;
	}
	if (rc == 0) {
		FUZZ_CHECK(err[0] == '\0');
		check_node(&d.root, 0, &b);
	} else {
		FUZZ_CHECK(d.arena == NULL);
		check_message(err);
	}

	/* Again: the same answer. */
	int rc2 = yaml_doc_load(&d2, text, size, SOURCE, err2, ERR_CAP);
	FUZZ_CHECK(rc2 == rc && strcmp(err, err2) == 0);
	if (rc == 0)
		FUZZ_CHECK(same_tree(&d.root, &d2.root));

	yaml_doc_free(&d);
	yaml_doc_free(&d);
	yaml_doc_free(&d2);
	free(err2);
	free(err);
	return 0;
}
