/* slice.h - a view of bytes inside some buffer owned by someone else.
 * A slice is never NUL-terminated and never owns its memory. */
#ifndef SLICE_H
#define SLICE_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct slice {
	const char *ptr;
	size_t len;
};

#define SLICE_LIT(s) ((struct slice){ (s), sizeof(s) - 1 })

static inline struct slice slice_make(const char *p, size_t n)
{
	return (struct slice){ p, n };
}

static inline char slice_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

/* Exact byte comparison with a NUL-terminated string. */
static inline bool slice_eq(struct slice s, const char *lit)
{
	size_t n = strlen(lit);
	return s.len == n && memcmp(s.ptr, lit, n) == 0;
}

/* ASCII case-insensitive comparison with a NUL-terminated string. */
static inline bool slice_eq_ci(struct slice s, const char *lit)
{
	size_t i;
	for (i = 0; i < s.len; i++) {
		if (lit[i] == '\0' || slice_lower(s.ptr[i]) != slice_lower(lit[i]))
			return false;
	}
	return lit[i] == '\0';
}

/* Removes leading and trailing spaces and tabs (HTTP's OWS). */
static inline struct slice slice_trim(struct slice s)
{
	while (s.len && (s.ptr[0] == ' ' || s.ptr[0] == '\t')) {
		s.ptr++;
		s.len--;
	}
	while (s.len && (s.ptr[s.len - 1] == ' ' || s.ptr[s.len - 1] == '\t'))
		s.len--;
	return s;
}

/* Splits the next comma-separated element off *rest (RFC 9110 section 5.6.1
 * lists); empty elements are skipped. Returns false when none is left. */
static inline bool slice_next_item(struct slice *rest, struct slice *item)
{
	while (rest->len) {
		const char *comma = memchr(rest->ptr, ',', rest->len);
		size_t n = comma ? (size_t)(comma - rest->ptr) : rest->len;
		*item = slice_trim(slice_make(rest->ptr, n));
		rest->ptr += comma ? n + 1 : n;
		rest->len -= comma ? n + 1 : n;
		if (item->len)
			return true;
	}
	return false;
}

#endif
