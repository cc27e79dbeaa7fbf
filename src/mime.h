/* mime.h - file name extension -> media type. */
#ifndef MIME_H
#define MIME_H

#include "slice.h"

/* Returns the Content-Type for the file name's extension (case-insensitive),
 * with "; charset=utf-8" for text types, or application/octet-stream.
 * The returned string is static. */
const char *mime_lookup(struct slice name);

/* Loads an Apache-style mime.types file ("type ext ext ..." per line,
 * '#' comments) or nginx's "types { type ext ...; }" form. Its entries
 * take precedence over the built-in table; text types get
 * "; charset=utf-8". Call at start-up, before threads. Returns the number
 * of extensions loaded or -errno. */
int mime_load(const char *path);

/* Forgets what mime_load added. */
void mime_unload(void);

/* Number of entries in the built-in table (for tests). */
unsigned mime_table_size(void);

/* The i-th extension of the built-in table, or NULL past its end. */
const char *mime_table_ext(unsigned i);

#endif
