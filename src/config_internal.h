/* config_internal.h - what config.c (the options) and config_file.c (the
 * YAML file) share; not for the rest of the server. */
#ifndef CONFIG_INTERNAL_H
#define CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

#define CONFIG_OPT_MAX 320 /* above every option code */

struct parser {
	struct config *c;    /* the config being filled: the global one or a site's */
	struct config *top;  /* the global one, which owns the memory */
	char *err;
	size_t cap;
	size_t headers_len;  /* strlen(c->extra_headers) */
	bool root_given;     /* -d DIR or DIR: not the default ./web */
	bool pid_given;
	bool from_cli;       /* applying the command line (else the file) */
	bool cli_index, cli_header, cli_listen; /* the command line replaced the file's lists */
	const char *root;    /* the document root to resolve */
	unsigned file_sites; /* the file has sites: no default ./web root */
	bool cli[CONFIG_OPT_MAX]; /* options the command line gave: they win */
};

/* Memory that lives as long as the config (freed by config_free). */
void *config_alloc(struct parser *p, size_t n);
char *config_strndup(struct parser *p, const char *s, size_t n);

/* Formats a message into p->err (control bytes shown as '?'); returns rc. */
__attribute__((format(printf, 3, 4))) int config_fail(struct parser *p, int rc,
						      const char *fmt, ...);

/* The option named name (its long form), or 0. *has_arg: as getopt's. */
int config_option(const char *name, int *has_arg);

/* Applies option opt with arg (NULL for an option without value) to
 * p->c; returns 0 or an enum config_result with the message in p->err. */
int config_apply(struct parser *p, int opt, const char *arg);

/* Applies a switch (an option without value) set to on or off. */
int config_apply_switch(struct parser *p, int opt, bool on);

/* Resolves dir to the canonical document root of p->c. */
int config_resolve_root(struct parser *p, const char *dir);

/* Reads file and applies its global keys to p->c (before the command
 * line); keeps the document for config_file_sites. */
int config_file_load(struct parser *p, const char *file, void **doc);

/* Builds p->top's sites from the document (after the command line). */
int config_file_sites(struct parser *p, void *doc);

void config_file_free(void *doc);

#endif
