/* listing.h - directory listings as HTML or JSON. The formatting is pure;
 * listing_read gathers the entries of an open directory. */
#ifndef LISTING_H
#define LISTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct listing_entry {
	char *name;
	bool is_dir;
	uint64_t size;
	time_t mtime;
};

struct listing {
	struct listing_entry *v;
	size_t n, cap;
};

enum listing_order {
	LISTING_BY_NAME,
	LISTING_BY_SIZE,
	LISTING_BY_TIME,
};

/* Sorts directories first, then by name in natural order ("a2" < "a10"). */
void listing_sort(struct listing *l);

/* Sorts directories first, then by the key (ties by name), descending when
 * desc. */
void listing_sort_by(struct listing *l, enum listing_order by, bool desc);

/* The order a listing query asks for: "sort=name|size|time" (also
 * "modified") and "order=asc|desc", as Caddy's browse takes them; name
 * ascending when absent or unknown. */
void listing_order_parse(const char *query, size_t len, enum listing_order *by, bool *desc);

/* Formats the listing of the directory at URL path dir (decoded, starting
 * and ending with '/') as an HTML5 page or a JSON array into a malloc'd
 * buffer; returns it (the caller frees) and its length in *len, or NULL.
 * Every name is HTML-escaped and percent-encoded in links. */
char *listing_html(const struct listing *l, const char *dir, size_t *len);

/* The same page for a listing sorted by (by, desc): the column headings
 * link to the other orders, so sorting works without JavaScript. */
char *listing_html_sorted(const struct listing *l, const char *dir, enum listing_order by,
			  bool desc, size_t *len);
char *listing_json(const struct listing *l, size_t *len);

/* Appends an entry (the name is copied). Returns 0 or -ENOMEM. */
int listing_add(struct listing *l, const char *name, bool is_dir, uint64_t size, time_t mtime);

void listing_free(struct listing *l);

#endif
