/* cache_policy.h - which Cache-Control a file is sent with. Pure. */
#ifndef CACHE_POLICY_H
#define CACHE_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "slice.h"

/* True if the file name's base carries a content hash the way bundlers
 * write it: a dot- or dash-separated part of 8 or more characters between
 * the stem and the extension, either hexadecimal with a digit
 * ("app.3f9a1c2b.js", "main-5d41402a.css") or base64url with a digit and
 * letters in both cases ("index-Bx7kQ2aZ.js"). */
bool cache_policy_hashed(struct slice name);

/* Writes the "Cache-Control: ...\r\n" line for a file (name is its path,
 * type its Content-Type) into out and returns its length, 0 for none.
 * smart: hashed names are immutable for a year, HTML is no-cache; the rest,
 * or everything when !smart, gets max-age=max_age when max_age >= 0. */
size_t cache_policy_header(struct slice name, const char *type, long max_age, bool smart,
			   char *out, size_t cap);

#endif
