/* access_log.h - one line per request, buffered per thread; and the
 * server's own messages (start-up, errors, "Stopped") on the same output. */
#ifndef ACCESS_LOG_H
#define ACCESS_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "slice.h"

#define ACCESS_LOG_BUF 65536
#define ACCESS_LOG_LINE_MAX 2400 /* longest line; longer paths are cut */
#define ACCESS_LOG_MIN_CAP 256  /* smallest cap access_log_format writes into */
#define LOG_ISO_LEN 20           /* "2025-09-28T18:30:00Z" */

struct access_log {
	size_t len;
	char buf[ACCESS_LOG_BUF];
};

/* Sets where every line goes. color: wrap the status in ANSI colours. */
void log_open(int fd, bool color);

/* The descriptor lines go to (for closing or redirecting), -1 if none. */
int log_fd(void);

/* Writes "YYYY-MM-DDTHH:MM:SSZ" for t into out (LOG_ISO_LEN + 1 bytes). */
void log_iso_time(time_t t, char *out);

/* Formats one request line (with its newline) into out; returns its
 * length. Bytes of method and path that are not printable ASCII, '"' and
 * '\' are written as \xHH so a request cannot forge log lines. A cap
 * below ACCESS_LOG_MIN_CAP writes nothing and returns 0. */
size_t access_log_format(char *out, size_t cap, const char *iso, const char *ip,
			 struct slice method, struct slice path, int status, bool color);

/* Appends a request line to the thread's buffer, flushing first if full. */
void access_log_request(struct access_log *l, const char *iso, const char *ip,
			struct slice method, struct slice path, int status);

/* Writes the thread's buffered lines out. */
void access_log_flush(struct access_log *l);

/* Writes "TIME message" at once (start-up, errors, "Stopped"). */
void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
