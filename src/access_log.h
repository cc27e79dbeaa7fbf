/* access_log.h - one line per request, buffered per thread, in one of
 * three formats; and the server's own messages (start-up, errors,
 * "Stopped"), each with a time and a level. While the log writer thread
 * runs, both are handed to it and no caller waits on the log. */
#ifndef ACCESS_LOG_H
#define ACCESS_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "slice.h"

#define ACCESS_LOG_BUF 65536
#define ACCESS_LOG_LINE_MAX 16384 /* longest line; longer fields are cut */
#define ACCESS_LOG_MIN_CAP 256  /* smallest cap access_log_format writes into */
#define LOG_ISO_LEN 20           /* "2025-09-28T18:30:00Z" */

struct access_log {
	size_t len;
	char buf[ACCESS_LOG_BUF];
};

enum log_format {
	LOG_FORMAT_DEFAULT,  /* TIME - IP - "METHOD PATH" STATUS REASON */
	LOG_FORMAT_COMBINED, /* the Apache/nginx Combined Log Format */
	LOG_FORMAT_JSON,     /* one JSON object per line */
};

enum log_level {
	LOG_ERROR,
	LOG_WARN,
	LOG_INFO,
};

#define LOG_HTTP2 20 /* log_entry.minor of an HTTP/2 request: "HTTP/2.0" */

/* What one request line records; slices point into the request buffer. */
struct log_entry {
	const char *iso;         /* LOG_ISO_LEN time stamp */
	const char *ip;          /* the client's address as text */
	struct slice method;     /* empty: nothing was parsed */
	struct slice path;       /* the path (default format) */
	struct slice target;     /* the request target as sent */
	int minor;               /* HTTP/1.minor, LOG_HTTP2 for HTTP/2, -1 if unknown */
	int status;
	uint64_t bytes;          /* body bytes sent */
	struct slice referer;    /* empty if absent */
	struct slice user_agent; /* empty if absent */
};

/* Sets where request lines (access_fd, -1: none) and messages (error_fd)
 * go, and the request line format. color: wrap the status in ANSI colours
 * (default format only). */
void log_open(int access_fd, int error_fd, enum log_format fmt, bool color);

/* The descriptors request lines and messages go to, -1 if none. */
int log_fd(void);
int log_error_fd(void);

/* Parses a --log-format name; returns 0 or -1 if unknown. */
int log_format_parse(const char *name, enum log_format *out);

/* Writes "YYYY-MM-DDTHH:MM:SSZ" for t into out (LOG_ISO_LEN + 1 bytes). */
void log_iso_time(time_t t, char *out);

/* Formats one request line (with its newline) into out; returns its
 * length. Bytes of method and path that are not printable ASCII, '"' and
 * '\' are written as \xHH so a request cannot forge log lines. A cap
 * below ACCESS_LOG_MIN_CAP writes nothing and returns 0. */
size_t access_log_format(char *out, size_t cap, const char *iso, const char *ip,
			 struct slice method, struct slice path, int status, bool color);

/* Formats e in the Combined Log Format / as a JSON object, with the
 * newline; returns the length, or 0 when cap is below ACCESS_LOG_LINE_MAX.
 * Fields are escaped so that a request can neither forge a line nor break
 * it, and cut to fixed limits, so a line always fits. */
size_t access_log_format_combined(char *out, size_t cap, const struct log_entry *e);
size_t access_log_format_json(char *out, size_t cap, const struct log_entry *e);

/* Writes "DD/Mon/YYYY:HH:MM:SS +0000" (LOG_CLF_LEN + 1 bytes) for the
 * LOG_ISO_LEN stamp iso. */
#define LOG_CLF_LEN 26
void log_clf_time(const char *iso, char *out);

/* Appends a request line to the thread's buffer, flushing first if full. */
void access_log_request(struct access_log *l, const struct log_entry *e);

/* Hands the thread's buffered lines to the log writer (never waits: lines
 * it has no room for are dropped and counted), or writes them out when no
 * writer runs. Empties the buffer. */
void access_log_flush(struct access_log *l);

/* Writes "TIME [level] message" (start-up, errors, "Stopped"), through
 * the log writer while it runs, in order with the request lines; in the
 * JSON format, an object with time, level and message. */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Starts the thread that writes both logs from now on, through a queue of
 * at most 4 MiB; drops are reported in the error log, at most once each
 * 10 s. Call after log_open and the sandbox. Returns 0 or -errno. */
int log_writer_start(void);

/* Once the loops have flushed: writes out everything queued, then ends
 * the thread (later lines are written directly). Gives up, leaving the
 * queue to be lost at exit, on a log that takes no byte for 5 s. */
void log_writer_stop(void);

/* Called about once a second by the main thread: when the error log is a
 * file of its own, drops are reported even while the writer is stuck on
 * the access log. */
void log_writer_tick(void);

/* Waits up to timeout_ms for what is queued to be written (before the
 * logs are reopened, so lines logged before a rotation stay in the
 * rotated file). */
void log_writer_drain(long timeout_ms);

/* Log lines dropped (queue full) or lost (a failed write) so far. */
uint64_t log_dropped_lines(void);

#endif
