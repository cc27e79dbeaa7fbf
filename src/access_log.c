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

static int out_fd = -1;
static bool out_color;
static bool out_pipe;

void log_open(int fd, bool color)
{
	struct stat st;
	out_fd = fd;
	out_color = color;
	out_pipe = fstat(fd, &st) == 0 && !S_ISREG(st.st_mode);
}

int log_fd(void)
{
	return out_fd;
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

/* Writes all of buf, retrying on EINTR and short writes; the log is never
 * non-blocking, so this only fails on a real error (disk full), in which
 * case the lines are dropped rather than the server stopped. */
static void write_all(const char *buf, size_t len)
{
	while (len > 0 && out_fd >= 0) {
		ssize_t n = write(out_fd, buf, len);
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
		write_all(buf, n);
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

void access_log_request(struct access_log *l, const char *iso, const char *ip,
			struct slice method, struct slice path, int status)
{
	if (out_fd < 0)
		return;
	if (ACCESS_LOG_BUF - l->len < ACCESS_LOG_LINE_MAX)
		access_log_flush(l);
	l->len += access_log_format(l->buf + l->len, ACCESS_LOG_LINE_MAX, iso, ip, method, path,
				    status, out_color);
}

void log_msg(const char *fmt, ...)
{
	char line[1024], iso[LOG_ISO_LEN + 1];
	va_list ap;
	int n, m;

	if (out_fd < 0)
		return;
	log_iso_time(time(NULL), iso);
	n = snprintf(line, sizeof line, "%s ", iso);
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += m;
	if ((size_t)n > sizeof line - 2)
		n = sizeof line - 2;
	line[n++] = '\n';
	write_all(line, (size_t)n);
}
