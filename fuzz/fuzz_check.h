/* fuzz_check.h - shared helpers of the libFuzzer harnesses. FUZZ_CHECK
 * aborts with the failed condition, so libFuzzer saves the input as a
 * crash like any sanitizer report. */
#ifndef FUZZ_CHECK_H
#define FUZZ_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_cond.h"
#include "slice.h"

/* Harness code (checks, models) gets no coverage instrumentation: its
 * loops would cost time and count as features, and libFuzzer would keep
 * inputs for exercising the harness instead of the code under test. */
#define FUZZ_NOCOV __attribute__((no_sanitize("coverage")))

#define FUZZ_CHECK(cond)                                                            \
	do {                                                                        \
		if (!(cond)) {                                                      \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, \
				__LINE__, #cond);                                   \
			abort();                                                    \
		}                                                                   \
	} while (0)

/* A heap copy of exactly n bytes, so ASan sees any read past the end.
 * Never NULL (malloc(0) may be), never to be read when n == 0. */
FUZZ_NOCOV
static inline char *fuzz_dup(const void *p, size_t n)
{
	char *c = malloc(n ? n : 1);
	if (!c)
		abort();
	if (n)
		memcpy(c, p, n);
	return c;
}

/* Does s lie inside [buf, buf + len)? Compared as integers: the slice may
 * come from anywhere when the code is wrong. */
FUZZ_NOCOV
static inline bool fuzz_in(struct slice s, const char *buf, size_t len)
{
	uintptr_t b = (uintptr_t)buf, p = (uintptr_t)s.ptr;
	if (s.len == 0)
		return s.ptr == NULL || (p >= b && p <= b + len);
	return p >= b && p <= b + len && s.len <= len && p + s.len <= b + len;
}

/* tchar of RFC 9110 section 5.6.2, written independently of the parser. */
FUZZ_NOCOV
static inline bool fuzz_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* The ranges of a COND_PARTIAL answer for a representation of size
 * bytes: 1..HTTP_RANGES_MAX of them, each inside [0, size), pairwise
 * neither overlapping nor adjacent (adjacent ones are merged), and so
 * never more bytes in all than the representation has. */
FUZZ_NOCOV
static inline void fuzz_check_ranges(const struct byte_range *rg, size_t n, uint64_t size)
{
	uint64_t total = 0;

	FUZZ_CHECK(n >= 1 && n <= HTTP_RANGES_MAX);
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(rg[i].first <= rg[i].last);
		FUZZ_CHECK(rg[i].last < size);
		uint64_t len = rg[i].last - rg[i].first + 1;
		FUZZ_CHECK(len <= size - total);
		total += len;
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(rg[j].last + 1 < rg[i].first || rg[i].last + 1 < rg[j].first);
	}
	FUZZ_CHECK(total <= size);
}

#endif
