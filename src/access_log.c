/* access_log.c - request lines are formatted into a per-thread buffer and
 * written with one write(2) per event-loop turn, so threads never wait on
 * each other. Files are opened with O_APPEND, where each write(2) lands
 * whole; on pipes and terminals writes are cut at line ends into pieces of
 * at most PIPE_BUF bytes, which the kernel keeps whole too. */
#include "access_log.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http_response.h"

static int out_fd = -1, err_fd = -1;
static bool out_color;
static bool out_pipe;
static enum log_format out_format;

void log_open(int access_fd, int error_fd, enum log_format fmt, bool color)
{
	struct stat st;
	out_fd = access_fd;
	err_fd = error_fd;
	out_format = fmt;
	out_color = color && fmt == LOG_FORMAT_DEFAULT;
	out_pipe = access_fd >= 0 && fstat(access_fd, &st) == 0 && !S_ISREG(st.st_mode);
}

int log_fd(void)
{
	return out_fd;
}

int log_error_fd(void)
{
	return err_fd;
}

int log_format_parse(const char *name, enum log_format *out)
{
	static const char *const names[] = { "default", "combined", "json" };
	for (int i = 0; i < 3; i++) {
		if (strcmp(name, names[i]) == 0) {
			*out = (enum log_format)i;
			return 0;
		}
	}
	return -1;
}

static void put_num(char *p, int v, int digits)
{
	while (digits-- > 0) {
		p[digits] = (char)('0' + v % 10);
		v /= 10;
	}
}

void log_iso_time(time_t t, char *out)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	memcpy(out, "0000-00-00T00:00:00Z", LOG_ISO_LEN + 1);
	put_num(out, tm.tm_year + 1900, 4);
	put_num(out + 5, tm.tm_mon + 1, 2);
	put_num(out + 8, tm.tm_mday, 2);
	put_num(out + 11, tm.tm_hour, 2);
	put_num(out + 14, tm.tm_min, 2);
	put_num(out + 17, tm.tm_sec, 2);
}

static size_t put_escaped(char *out, size_t cap, struct slice s, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	size_t w = 0;
	for (size_t i = 0; i < s.len && i < max; i++) {
		unsigned char c = (unsigned char)s.ptr[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			if (w + 1 > cap)
				break;
			out[w++] = (char)c;
		} else {
			if (w + 4 > cap)
				break;
			out[w++] = '\\';
			out[w++] = 'x';
			out[w++] = hex[c >> 4];
			out[w++] = hex[c & 15];
		}
	}
	return w;
}

static const char *status_color(int status)
{
	if (status >= 500)
		return "\033[31m"; /* red */
	if (status >= 400)
		return "\033[33m"; /* yellow */
	if (status >= 300)
		return "\033[36m"; /* cyan */
	return "\033[32m";         /* green */
}

static size_t put_str(char *out, const char *s)
{
	size_t n = strlen(s);
	memcpy(out, s, n);
	return n;
}

/* Formatted by hand, not with snprintf: this runs once per request. */
size_t access_log_format(char *out, size_t cap, const char *iso, const char *ip,
			 struct slice method, struct slice path, int status, bool color)
{
	/* Room for the prefix, a few bytes of method and path, and the tail. */
	if (cap < ACCESS_LOG_MIN_CAP)
		return 0;
	const size_t tail_max = 96; /* '"', colour codes, status, reason, '\n' */
	size_t w = 0;
	w += put_str(out + w, iso);
	w += put_str(out + w, " - ");
	size_t iplen = strnlen(ip, 64);
	memcpy(out + w, ip, iplen);
	w += iplen;
	w += put_str(out + w, " - \"");
	size_t room = cap - w - tail_max; /* for method, ' ' and path */
	if (method.len == 0)
		method = SLICE_LIT("-");
	w += put_escaped(out + w, room / 4 < 32 * 4 ? room / 4 : 32 * 4, method, 32);
	room = cap - w - tail_max;
	if (path.len && room > 1) {
		out[w++] = ' ';
		w += put_escaped(out + w, room - 1, path, 512);
	}
	out[w++] = '"';
	out[w++] = ' ';
	if (color)
		w += put_str(out + w, status_color(status));
	out[w++] = (char)('0' + status / 100 % 10);
	out[w++] = (char)('0' + status / 10 % 10);
	out[w++] = (char)('0' + status % 10);
	out[w++] = ' ';
	w += put_str(out + w, http_status_reason(status));
	if (color)
		w += put_str(out + w, "\033[0m");
	out[w++] = '\n';
	return w;
}

void log_clf_time(const char *iso, char *out)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int mon = (iso[5] - '0') * 10 + (iso[6] - '0');
	if (mon < 1 || mon > 12)
		mon = 1;
	/* 2025-09-28T18:30:00Z -> 28/Sep/2025:18:30:00 +0000 */
	memcpy(out, iso + 8, 2);
	out[2] = '/';
	memcpy(out + 3, months + 3 * (mon - 1), 3);
	out[6] = '/';
	memcpy(out + 7, iso, 4);
	out[11] = ':';
	memcpy(out + 12, iso + 11, 8);
	memcpy(out + 20, " +0000", 7);
}

/* A bounded line being written: puts past the end are dropped, and the
 * limits on each field keep a line well inside ACCESS_LOG_LINE_MAX. */
struct line {
	char *p;
	size_t len, cap;
};

static void line_put(struct line *l, const char *s, size_t n)
{
	if (n > l->cap - l->len)
		n = l->cap - l->len;
	memcpy(l->p + l->len, s, n);
	l->len += n;
}

static void line_str(struct line *l, const char *s)
{
	line_put(l, s, strlen(s));
}

static void line_u64(struct line *l, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof tmp;
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	line_put(l, tmp + i, sizeof tmp - i);
}

/* Combined format: \xHH for what is not printable ASCII, '"' and '\'. */
static void line_clf(struct line *l, struct slice s, size_t max)
{
	if (s.len == 0) {
		line_put(l, "-", 1);
		return;
	}
	char buf[4 * 1024];
	struct slice t = { s.ptr, s.len < max ? s.len : max };
	line_put(l, buf, put_escaped(buf, sizeof buf, t, max));
}

/* JSON string contents: \" \\ and \u00XX for controls and bytes >= 0x7f
 * (read as Latin-1, so any input gives valid JSON). */
static void line_json(struct line *l, struct slice s, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < s.len && i < max; i++) {
		unsigned char c = (unsigned char)s.ptr[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			line_put(l, (const char *)&c, 1);
		} else if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			line_put(l, e, 2);
		} else {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			line_put(l, e, 6);
		}
	}
}

#define LOG_TARGET_MAX 1024
#define LOG_FIELD_MAX 512

static void line_proto(struct line *l, int minor)
{
	if (minor >= 0) {
		char v[9] = "HTTP/1.0";
		v[7] = (char)('0' + minor);
		line_put(l, v, 8);
	}
}

size_t access_log_format_combined(char *out, size_t cap, const struct log_entry *e)
{
	if (cap < ACCESS_LOG_LINE_MAX)
		return 0; /* the field limits are sized for a full line */
	struct line l = { out, 0, cap - 1 };
	char clf[LOG_CLF_LEN + 1];
	log_clf_time(e->iso, clf);
	line_str(&l, e->ip);
	line_str(&l, " - - [");
	line_str(&l, clf);
	line_str(&l, "] \"");
	if (e->method.len) {
		char buf[4 * 32];
		line_put(&l, buf, put_escaped(buf, sizeof buf, e->method, 32));
		if (e->target.len) {
			line_put(&l, " ", 1);
			char t[4 * LOG_TARGET_MAX];
			line_put(&l, t, put_escaped(t, sizeof t, e->target, LOG_TARGET_MAX));
		}
		if (e->minor >= 0) {
			line_put(&l, " ", 1);
			line_proto(&l, e->minor);
		}
	} else {
		line_put(&l, "-", 1);
	}
	line_str(&l, "\" ");
	line_u64(&l, (uint64_t)e->status);
	line_put(&l, " ", 1);
	line_u64(&l, e->bytes);
	line_str(&l, " \"");
	line_clf(&l, e->referer, LOG_FIELD_MAX);
	line_str(&l, "\" \"");
	line_clf(&l, e->user_agent, LOG_FIELD_MAX);
	line_str(&l, "\"");
	out[l.len++] = '\n';
	return l.len;
}

size_t access_log_format_json(char *out, size_t cap, const struct log_entry *e)
{
	if (cap < ACCESS_LOG_LINE_MAX)
		return 0; /* the field limits are sized for a full line */
	struct line l = { out, 0, cap - 1 };
	line_str(&l, "{\"time\":\"");
	line_str(&l, e->iso);
	line_str(&l, "\",\"remote_addr\":\"");
	line_str(&l, e->ip);
	line_str(&l, "\",\"method\":\"");
	line_json(&l, e->method, 32);
	line_str(&l, "\",\"uri\":\"");
	line_json(&l, e->target, LOG_TARGET_MAX);
	line_str(&l, "\",\"protocol\":\"");
	line_proto(&l, e->minor);
	line_str(&l, "\",\"status\":");
	line_u64(&l, (uint64_t)e->status);
	line_str(&l, ",\"bytes\":");
	line_u64(&l, e->bytes);
	line_str(&l, ",\"referer\":\"");
	line_json(&l, e->referer, LOG_FIELD_MAX);
	line_str(&l, "\",\"user_agent\":\"");
	line_json(&l, e->user_agent, LOG_FIELD_MAX);
	line_str(&l, "\"}");
	out[l.len++] = '\n';
	return l.len;
}

/* Writes all of buf, retrying on EINTR and short writes; the log is never
 * non-blocking, so this only fails on a real error (disk full), in which
 * case the lines are dropped rather than the server stopped. */
static void write_fd(int fd, const char *buf, size_t len)
{
	while (len > 0 && fd >= 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		buf += n;
		len -= (size_t)n;
	}
}

static void write_lines(const char *buf, size_t len)
{
	while (len > 0) {
		size_t n = len;
		if (out_pipe && n > PIPE_BUF) {
			n = PIPE_BUF;
			while (n > 0 && buf[n - 1] != '\n')
				n--;
			if (n == 0)
				n = PIPE_BUF;
		}
		write_fd(out_fd, buf, n);
		buf += n;
		len -= n;
	}
}

void access_log_flush(struct access_log *l)
{
	if (l->len) {
		write_lines(l->buf, l->len);
		l->len = 0;
	}
}

void access_log_request(struct access_log *l, const struct log_entry *e)
{
	if (out_fd < 0)
		return;
	if (ACCESS_LOG_BUF - l->len < ACCESS_LOG_LINE_MAX)
		access_log_flush(l);
	char *out = l->buf + l->len;
	switch (out_format) {
	case LOG_FORMAT_COMBINED:
		l->len += access_log_format_combined(out, ACCESS_LOG_LINE_MAX, e);
		break;
	case LOG_FORMAT_JSON:
		l->len += access_log_format_json(out, ACCESS_LOG_LINE_MAX, e);
		break;
	default:
		l->len += access_log_format(out, ACCESS_LOG_LINE_MAX, e->iso, e->ip, e->method,
					    e->path, e->status, out_color);
	}
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warn", "info" };
	char msg[1024], line[8192], iso[LOG_ISO_LEN + 1];
	va_list ap;

	if (err_fd < 0)
		return;
	log_iso_time(time(NULL), iso);
	va_start(ap, fmt);
	int m = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	size_t mlen = m < 0 ? 0 : (size_t)m < sizeof msg ? (size_t)m : sizeof msg - 1;
	struct line l = { line, 0, sizeof line - 1 };
	if (out_format == LOG_FORMAT_JSON) {
		line_str(&l, "{\"time\":\"");
		line_str(&l, iso);
		line_str(&l, "\",\"level\":\"");
		line_str(&l, names[level]);
		line_str(&l, "\",\"message\":\"");
		line_json(&l, slice_make(msg, mlen), sizeof msg);
		line_str(&l, "\"}");
	} else {
		line_str(&l, iso);
		line_str(&l, " [");
		line_str(&l, names[level]);
		line_str(&l, "] ");
		line_put(&l, msg, mlen);
	}
	line[l.len++] = '\n';
	write_fd(err_fd, line, l.len);
}
