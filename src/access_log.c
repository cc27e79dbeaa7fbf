/* access_log.c - request lines are formatted into a per-thread buffer,
 * which each event-loop turn hands whole to the log writer thread; that
 * thread alone waits on the log, so a log that stops taking lines costs
 * lines (dropped and counted), never a stalled loop. Files are opened with
 * O_APPEND, where each write(2) lands whole; on pipes and terminals writes
 * are cut at line ends into pieces of at most PIPE_BUF bytes, which the
 * kernel keeps whole too. */
#include "access_log.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http_response.h"

static int out_fd = -1, err_fd = -1;
static bool out_color;
static bool out_pipe, err_pipe; /* not a regular file: cut at line ends */
/* The error log is a file of its own: messages go there at once, so an
 * access log that blocks (a stalled pipe) never silences them. */
static bool err_direct;
static enum log_format out_format;

void log_open(int access_fd, int error_fd, enum log_format fmt, bool color)
{
	struct stat st;
	out_fd = access_fd;
	err_fd = error_fd;
	out_format = fmt;
	out_color = color && fmt == LOG_FORMAT_DEFAULT;
	out_pipe = access_fd >= 0 && fstat(access_fd, &st) == 0 && !S_ISREG(st.st_mode);
	err_pipe = error_fd >= 0 && fstat(error_fd, &st) == 0 && !S_ISREG(st.st_mode);
	err_direct = error_fd >= 0 && error_fd != access_fd && !err_pipe;
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
	if (minor == LOG_HTTP2) {
		line_put(l, "HTTP/2.0", 8);
	} else if (minor >= 0) {
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

/* How lines leave. Once log_writer_start has run, one writer thread owns
 * every write(2) to the logs: the event loops and the main thread copy
 * their lines into a bounded queue under a mutex and never wait for the
 * writer, so a log that blocks (a pipe nobody reads) stops only the
 * writer. Lines that find the queue full are dropped and counted. Before
 * the start and after the stop, lines are written by the caller. A
 * reopen swaps the file behind the same descriptor with dup3, which the
 * kernel does atomically: a write in progress finishes in the old file,
 * the next one goes to the new. */

/* The queue: at most LOG_QUEUE_SLOTS chunks of ACCESS_LOG_BUF bytes (4
 * MiB), each for one log; a hand-over fills the last chunk first. */
#define LOG_QUEUE_SLOTS 64
#define LOG_REPORT_SECS 10     /* at most one report of drops this often */
#define LOG_STOP_STALL_MS 5000 /* a stop gives up on a log stuck this long */

enum log_dest {
	DEST_ACCESS,
	DEST_ERROR,
};

struct log_chunk {
	char *buf; /* ACCESS_LOG_BUF bytes, allocated when first used */
	size_t len;
	enum log_dest dest;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t more; /* for the writer: a chunk queued, or the stop */
	pthread_cond_t done; /* for the stop: the writer has finished */
	struct log_chunk slot[LOG_QUEUE_SLOTS];
	unsigned head, count; /* queued: count chunks from slot[head] on */
	bool busy;            /* the writer is writing slot[head] */
	bool running;         /* lines go through the queue */
	bool stopping, finished;
	pthread_t thread;
} queue = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Lines dropped for a full queue, lines lost to failed writes (the last
 * error in lost_errno), and bytes written, by which a stop sees progress. */
static _Atomic uint64_t dropped, lost, written;
static _Atomic int lost_errno;

static uint64_t count_lines(const char *p, size_t len)
{
	uint64_t n = 0;
	const char *end = p + len;
	while (p < end && (p = memchr(p, '\n', (size_t)(end - p)))) {
		n++;
		p++;
	}
	return n;
}

static void count_lost(const char *buf, size_t len, int err)
{
	atomic_fetch_add_explicit(&lost, count_lines(buf, len), memory_order_relaxed);
	atomic_store_explicit(&lost_errno, err, memory_order_relaxed);
}

/* Writes all of buf, retrying on EINTR and short writes, and waiting when
 * the descriptor came non-blocking (a shared pipe). Returns 0 or -errno;
 * on an error (disk full, reader gone) the lines left are counted as lost
 * rather than the server stopped. */
static int write_fd(int fd, const char *buf, size_t len)
{
	while (len > 0 && fd >= 0) {
		ssize_t n = write(fd, buf, len);
		if (n >= 0) {
			atomic_fetch_add_explicit(&written, (uint64_t)n, memory_order_relaxed);
			buf += n;
			len -= (size_t)n;
			continue;
		}
		int e = errno;
		if (e == EINTR)
			continue;
		if (e == EAGAIN) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			if (poll(&p, 1, -1) >= 0 || errno == EINTR)
				continue;
		}
		count_lost(buf, len, e);
		return -e;
	}
	return 0;
}

/* On a pipe or terminal, pieces of at most PIPE_BUF bytes cut at line
 * ends, which the kernel keeps whole among other writers (the server
 * being replaced in an upgrade, a shell's other commands). */
static void write_lines(int fd, bool is_pipe, const char *buf, size_t len)
{
	while (len > 0) {
		size_t n = len;
		if (is_pipe && n > PIPE_BUF) {
			n = PIPE_BUF;
			while (n > 0 && buf[n - 1] != '\n')
				n--;
			if (n == 0)
				n = PIPE_BUF;
		}
		int rc = write_fd(fd, buf, n);
		if (rc < 0) {
			count_lost(buf + n, len - n, -rc);
			return;
		}
		buf += n;
		len -= n;
	}
}

/* The length of the whole lines at the start of buf that fit in room. */
static size_t whole_lines(const char *buf, size_t room)
{
	while (room > 0 && buf[room - 1] != '\n')
		room--;
	return room;
}

/* Queues len (at most ACCESS_LOG_BUF) bytes of whole lines for dest.
 * Never waits on the writer: lines that find no room are dropped and
 * counted. Returns false if no writer runs (the caller writes them). */
static bool enqueue(enum log_dest dest, const char *buf, size_t len)
{
	size_t n = 0;
	pthread_mutex_lock(&queue.lock);
	if (!queue.running) {
		pthread_mutex_unlock(&queue.lock);
		return false;
	}
	/* The last chunk takes what fits, unless the writer has it. */
	struct log_chunk *last = NULL;
	if (queue.count > 0 && !(queue.busy && queue.count == 1))
		last = &queue.slot[(queue.head + queue.count - 1) % LOG_QUEUE_SLOTS];
	if (last && last->dest == dest) {
		size_t room = ACCESS_LOG_BUF - last->len;
		n = len <= room ? len : whole_lines(buf, room);
		memcpy(last->buf + last->len, buf, n);
		last->len += n;
	}
	if (n < len && queue.count < LOG_QUEUE_SLOTS) {
		struct log_chunk *c = &queue.slot[(queue.head + queue.count) % LOG_QUEUE_SLOTS];
		if (!c->buf)
			c->buf = malloc(ACCESS_LOG_BUF);
		if (c->buf) {
			memcpy(c->buf, buf + n, len - n);
			c->len = len - n;
			c->dest = dest;
			queue.count++;
			n = len;
		}
	}
	if (n > 0)
		pthread_cond_signal(&queue.more);
	pthread_mutex_unlock(&queue.lock);
	if (n < len)
		atomic_fetch_add_explicit(&dropped, count_lines(buf + n, len - n),
					  memory_order_relaxed);
	return true;
}

static size_t format_msg(char *line, size_t cap, enum log_level level, const char *msg,
			 size_t mlen)
{
	static const char *const names[] = { "error", "warn", "info" };
	char iso[LOG_ISO_LEN + 1];
	log_iso_time(time(NULL), iso);
	struct line l = { line, 0, cap - 1 };
	if (out_format == LOG_FORMAT_JSON) {
		line_str(&l, "{\"time\":\"");
		line_str(&l, iso);
		line_str(&l, "\",\"level\":\"");
		line_str(&l, names[level]);
		line_str(&l, "\",\"message\":\"");
		line_json(&l, slice_make(msg, mlen), mlen);
		line_str(&l, "\"}");
	} else {
		line_str(&l, iso);
		line_str(&l, " [");
		line_str(&l, names[level]);
		line_str(&l, "] ");
		line_put(&l, msg, mlen);
	}
	line[l.len++] = '\n';
	return l.len;
}

static struct timespec mono_after(long ms)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += ms % 1000 * 1000000;
	if (t.tv_nsec >= 1000000000) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000;
	}
	return t;
}

/* The writer's report of lines dropped or lost since the last one, at
 * most one each LOG_REPORT_SECS unless final. Returns true when some wait
 * for a later report, due at *due. */
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;

static bool report_drops_locked(bool final, struct timespec *due);

static bool report_drops(bool final, struct timespec *due)
{
	pthread_mutex_lock(&report_lock);
	bool later = report_drops_locked(final, due);
	pthread_mutex_unlock(&report_lock);
	return later;
}

void log_writer_tick(void)
{
	struct timespec due;
	if (err_direct)
		report_drops(false, &due);
}

static bool report_drops_locked(bool final, struct timespec *due)
{
	static uint64_t told_dropped, told_lost;
	static struct timespec last; /* of the last report */
	static bool told;
	uint64_t d = atomic_load_explicit(&dropped, memory_order_relaxed) - told_dropped;
	uint64_t l = atomic_load_explicit(&lost, memory_order_relaxed) - told_lost;
	if (!d && !l)
		return false;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!final && told && now.tv_sec < last.tv_sec + LOG_REPORT_SECS) {
		*due = last;
		due->tv_sec += LOG_REPORT_SECS;
		return true;
	}
	char msg[256], line[512], ebuf[128];
	size_t n;
	if (d) {
		int m = snprintf(msg, sizeof msg,
				 "access log: %llu lines dropped, the log sink is not keeping up",
				 (unsigned long long)d);
		n = format_msg(line, sizeof line, LOG_ERROR, msg, (size_t)m);
		write_lines(err_fd, err_pipe, line, n);
	}
	if (l) {
		int e = atomic_load_explicit(&lost_errno, memory_order_relaxed);
		int m = snprintf(msg, sizeof msg, "access log: %llu lines lost, cannot write: %s",
				 (unsigned long long)l, strerror_r(e, ebuf, sizeof ebuf));
		n = format_msg(line, sizeof line, LOG_ERROR, msg, (size_t)m);
		write_lines(err_fd, err_pipe, line, n);
	}
	/* A report that could not be written is not reported in turn. */
	told_dropped += d;
	told_lost = atomic_load_explicit(&lost, memory_order_relaxed);
	last = now;
	told = true;
	return false;
}

static void *writer_run(void *arg)
{
	struct log_chunk *c = NULL;
	(void)arg;
	for (;;) {
		struct timespec due;
		bool later = report_drops(false, &due);
		pthread_mutex_lock(&queue.lock);
		if (c) {
			c->len = 0;
			queue.busy = false;
			queue.head = (queue.head + 1) % LOG_QUEUE_SLOTS;
			queue.count--;
			c = NULL;
			pthread_cond_broadcast(&queue.done); /* for a drain */
		}
		if (queue.count == 0 && !queue.stopping) {
			if (later)
				pthread_cond_timedwait(&queue.more, &queue.lock, &due);
			else
				pthread_cond_wait(&queue.more, &queue.lock);
		}
		if (queue.count > 0) {
			c = &queue.slot[queue.head];
			queue.busy = true;
		}
		bool stop = !c && queue.stopping;
		pthread_mutex_unlock(&queue.lock);
		if (stop)
			break;
		if (c && c->dest == DEST_ACCESS)
			write_lines(out_fd, out_pipe, c->buf, c->len);
		else if (c)
			write_lines(err_fd, err_pipe, c->buf, c->len);
	}
	report_drops(true, NULL);
	pthread_mutex_lock(&queue.lock);
	queue.finished = true;
	pthread_cond_signal(&queue.done);
	pthread_mutex_unlock(&queue.lock);
	return NULL;
}

int log_writer_start(void)
{
	pthread_condattr_t ca;
	if (queue.running)
		return 0;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&queue.more, &ca);
	pthread_cond_init(&queue.done, &ca);
	pthread_condattr_destroy(&ca);
	queue.running = true;
	int rc = pthread_create(&queue.thread, NULL, writer_run, NULL);
	if (rc != 0) {
		queue.running = false;
		return -rc;
	}
	return 0;
}

void log_writer_drain(long timeout_ms)
{
	pthread_mutex_lock(&queue.lock);
	struct timespec until = mono_after(timeout_ms);
	while (queue.running && queue.count > 0 && !queue.finished &&
	       pthread_cond_timedwait(&queue.done, &queue.lock, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&queue.lock);
}

void log_writer_stop(void)
{
	pthread_mutex_lock(&queue.lock);
	if (!queue.running || queue.stopping) {
		pthread_mutex_unlock(&queue.lock);
		return;
	}
	queue.stopping = true;
	pthread_cond_signal(&queue.more);
	/* Wait while the log takes bytes, however long the queue. */
	uint64_t seen = atomic_load(&written);
	long stalled = 0;
	while (!queue.finished && stalled < LOG_STOP_STALL_MS) {
		struct timespec until = mono_after(100);
		if (pthread_cond_timedwait(&queue.done, &queue.lock, &until) != ETIMEDOUT)
			continue;
		uint64_t now = atomic_load(&written);
		stalled = now == seen ? stalled + 100 : 0;
		seen = now;
	}
	bool finished = queue.finished;
	if (finished)
		queue.running = false;
	pthread_mutex_unlock(&queue.lock);
	if (!finished)
		return; /* stuck in a write: what is queued goes with the process */
	pthread_join(queue.thread, NULL);
	for (int i = 0; i < LOG_QUEUE_SLOTS; i++) {
		free(queue.slot[i].buf);
		queue.slot[i].buf = NULL;
	}
}

uint64_t log_dropped_lines(void)
{
	return atomic_load_explicit(&dropped, memory_order_relaxed) +
	       atomic_load_explicit(&lost, memory_order_relaxed);
}

void access_log_flush(struct access_log *l)
{
	if (l->len && !enqueue(DEST_ACCESS, l->buf, l->len))
		write_lines(out_fd, out_pipe, l->buf, l->len);
	l->len = 0;
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
	char msg[1024], line[8192];
	va_list ap;

	if (err_fd < 0)
		return;
	va_start(ap, fmt);
	int m = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	size_t mlen = m < 0 ? 0 : (size_t)m < sizeof msg ? (size_t)m : sizeof msg - 1;
	size_t n = format_msg(line, sizeof line, level, msg, mlen);
	if (err_direct || !enqueue(DEST_ERROR, line, n))
		write_fd(err_fd, line, n);
}
