/* http_date.h - HTTP-date (RFC 9110 section 5.6.7) format and parse. */
#ifndef HTTP_DATE_H
#define HTTP_DATE_H

#include <stdbool.h>
#include <time.h>

#include "slice.h"

#define HTTP_DATE_LEN 29 /* "Sun, 06 Nov 1994 08:49:37 GMT" */

/* The broken-down UTC time of t, clamped to the years 0000 to 9999 that
 * an HTTP-date can carry: a file's mtime may be anything (2^62 s on
 * tmpfs after `touch -d`), and gmtime_r fails beyond its range. */
void http_date_gmtime(time_t t, struct tm *tm);

/* t clamped to what an HTTP-date can carry, for comparisons with dates
 * clients send back. */
time_t http_date_clamp(time_t t);

/* Writes the IMF-fixdate of t into out (HTTP_DATE_LEN bytes plus a NUL);
 * t is clamped as by http_date_gmtime. */
void http_date_format(time_t t, char out[HTTP_DATE_LEN + 1]);

/* Parses IMF-fixdate, the obsolete RFC 850 form and asctime's form.
 * Returns true and sets *t on success; false for anything invalid. */
bool http_date_parse(struct slice s, time_t *t);

#endif
