/* path.h - request path -> file under the document root. */
#ifndef PATH_H
#define PATH_H

#include <stdbool.h>
#include <stddef.h>

#include "slice.h"

enum path_flags {
	PATH_TRAILING_SLASH = 1, /* the decoded path ended with '/' */
	PATH_DOTFILE = 2,        /* a segment starts with '.' (not .well-known) */
};

enum path_error {
	PATH_BAD = -1,      /* bad escape, NUL, or a ".." above the root: 400 */
	PATH_TOO_LONG = -2, /* longer than the output buffer: 414 */
};

/* Percent-decodes the path part of a request target (it must start with
 * '/') and removes ".", ".." and empty segments. Writes the result relative
 * to the root ("." for the root itself, no leading '/') NUL-terminated into
 * out and returns its length, or a negative enum path_error. */
long path_normalize(struct slice raw, char *out, size_t outsz, unsigned *flags);

struct path_root {
	int fd;           /* O_PATH descriptor of the document root */
	const char *real; /* its canonical absolute path */
	bool no_symlinks; /* refuse every symlink, even inside the root */
};

/* Opens rel (as made by path_normalize) read-only and non-blocking below the
 * root, never following a symlink out of it: openat2(RESOLVE_BENEATH), or
 * openat plus a check of the opened file's real path where openat2 is
 * missing or refuses an absolute symlink. Returns the fd or -errno; -EXDEV
 * or -ELOOP when a symlink was refused. */
int path_open(const struct path_root *root, const char *rel);

/* Appends the percent-encoded form of the normalised path rel (as a URL
 * path starting with '/') to out; returns the length or -1 if it does not
 * fit. Used for Location headers, never with the raw target. */
long path_encode(const char *rel, size_t len, char *out, size_t outsz);

#endif
