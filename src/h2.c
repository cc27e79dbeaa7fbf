/* h2.c - HTTP/2 on libnghttp2 (see h2.h).
 *
 * A stream's request is answered when it ends (END_STREAM), after any body
 * was read and dropped, exactly as an HTTP/1.1 request: the same handler
 * (conn_build, serve_*) fills the same response, whose header block this
 * module turns into an HPACK field list and whose body segments (memory or
 * file ranges) become DATA frames. Frame bytes are copied into the
 * connection's output queue; payload is referenced where it lives (the
 * cache's blob, the open file), so a file's bytes go from the page cache
 * to the socket by sendfile on a cleartext connection.
 *
 * Every loop turn reads what the socket holds, answers the streams that
 * ended, and gathers the frames of every ready stream into one write.
 * While the output queue cannot drain, nothing more is read: a client
 * that does not read cannot make the server queue without bound.
 *
 * Abuse the library does not bound by itself is bounded here: resets of
 * streams either side causes (rapid reset, "MadeYouReset") draw on a
 * token bucket, empty frames are counted, header lists are held to
 * --max-head per stream and a multiple of it per connection. */
#include "h2.h"

#ifdef HAVE_NGHTTP2

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

#include "conn.h"
#include "conn_out.h"
#include "http_request.h"
#include "http_response.h"
#include "serve.h"
#include "site.h"
#include "worker.h"

#define H2_HEAD_CAP 8192        /* a response's header block (and error bodies) */
#define H2_EXTRA_CAP 4096       /* multipart part headers */
#define H2_OUT_BUDGET (256 * 1024) /* queued bytes before the library is held */
#define H2_READ_CHUNK (16 * 1024)
#define H2_READS_PER_TURN 8     /* then other connections and the timers run */
#define H2_FIELDS_MAX 128       /* response header fields */
#define H2_RESET_BURST 200      /* stream resets a connection may cause at once */
#define H2_RESET_RATE 50        /* ... and per second after that */
#define H2_EMPTY_MAX 256        /* empty DATA frames in a connection's life */
#define H2_CONTROL_BURST 100    /* PING and SETTINGS frames a client may send at once */
#define H2_CONTROL_RATE 10      /* ... and per second after that */
#define H2_CONN_HEAD_FACTOR 32  /* header bytes beyond the inline ones, per connection: x --max-head */
#define H2_HEAD_TOTAL_MAX (256u << 20) /* ... and in the whole process */
#define H2_SMALL_COPY 512       /* payload this short is copied, not referenced */
#define H2_READY_MAX 256        /* streams ended in one read, answered after it */
#define H2_INLINE_HEAD 768      /* request header bytes kept in the stream itself */
#define H2_INLINE_FIELDS 16
#define H2_INLINE_MEM 512       /* response header block kept in the stream itself */
#define H2_FREE_STREAMS 256     /* freed streams a thread keeps for reuse */

struct h2_field {
	uint32_t name, nlen, value, vlen; /* offsets into the stream's hbuf */
};

struct h2_stream {
	struct h2_stream *prev, *next; /* the session's streams */
	struct h2 *h2;
	int32_t id;
	uint32_t refs;       /* output chunks pointing at its memory or file */
	bool closed;         /* the library is done with it */
	bool answered;       /* its response is due (queued, built or being built) */
	int early;           /* the error it is answered with (413, 431), or 0 */
	bool submitted;      /* and handed to the library */
	bool logged;
	int fwd_family;      /* the client a trusted proxy named, or 0 */
	uint8_t fwd[16];
	bool too_big;        /* the header list passed --max-head or --max-headers: 431 */
	bool refused;        /* the connection's (or process's) header budget is spent */
	bool timed_out;      /* the sweep reset it */
	uint32_t resume_at;  /* a held-back response: second to submit it, 0: none */
	uint32_t stamp;      /* second its request last made progress, or its response was submitted */
	uint32_t win_start;  /* the response's rate window: its start, and */
	uint64_t win_sent;   /* the body bytes sent by then */
	struct pool_job *job; /* a helper job the response waits for */
	uint64_t body_in;    /* request body bytes received */
	uint64_t body_sent;  /* response body bytes queued */
	uint64_t body_read;  /* response body bytes promised to the library */
	/* The request: its fields' bytes, pseudo-fields apart. */
	char *hbuf;
	uint32_t hlen, hcap;
	struct h2_field *f;
	uint32_t nf, fcap;
	struct h2_field method, path, authority;
	char hinline[H2_INLINE_HEAD];
	struct h2_field finline[H2_INLINE_FIELDS];
	char minline[H2_INLINE_MEM];
	/* The response, its header block and memory in mem. */
	struct response resp;
	char *mem;
	size_t block_len;    /* header block bytes at mem */
	unsigned seg;        /* body cursor: segment and offset in it */
	uint64_t seg_off;
};

struct h2_bucket {
	uint32_t tokens;
	uint32_t stamp; /* second of the last refill */
};

struct h2 {
	nghttp2_session *s;
	struct worker *w;
	struct conn *c;
	struct h2_stream *streams; /* every stream not yet freed */
	unsigned open;             /* of them, not closed */
	size_t head_bytes;         /* request header bytes streams hold beyond their inline buffers */
	struct conn_out out;
	struct h2_bucket resets;   /* resets either side causes */
	struct h2_bucket control;  /* PING and SETTINGS frames */
	uint32_t empty;            /* empty DATA frames seen */
	uint32_t last_active;      /* second a stream last opened or closed */
	uint32_t win_start;        /* send-rate window: start, 0: none */
	uint64_t win_sent;
	uint32_t win_queued;
	uint32_t answered;         /* responses submitted */
	int32_t max_id;            /* the highest stream the client opened */
	uint8_t opened[128];       /* which of the 1024 odd ids up to max_id were */
	unsigned nready;           /* streams to answer after this read */
	int32_t ready[H2_READY_MAX];
	bool goaway;               /* a GOAWAY was submitted */
	bool dying;                /* being freed: callbacks do nothing */
};

static nghttp2_session_callbacks *callbacks;
static nghttp2_option *options;
static pthread_once_t setup_once = PTHREAD_ONCE_INIT;

static _Thread_local char scratch_head[H2_HEAD_CAP];
static atomic_size_t head_total; /* every connection's head_bytes */
static _Thread_local struct h2_stream *free_streams; /* linked by next */
static _Thread_local unsigned nfree_streams;
static _Thread_local char scratch_extra[H2_EXTRA_CAP];

bool h2_available(void)
{
	return true;
}

static struct slice field_slice(const struct h2_stream *st, uint32_t off, uint32_t len)
{
	return slice_make(st->hbuf + off, len);
}

static void stream_free(struct h2 *h, struct h2_stream *st)
{
	if (st->prev)
		st->prev->next = st->next;
	else
		h->streams = st->next;
	if (st->next)
		st->next->prev = st->prev;
	if (st->job) {
		atomic_store_explicit(&st->job->cancelled, true, memory_order_release);
		st->job = NULL;
	}
	conn_response_release(&st->resp);
	if (st->hbuf != st->hinline) {
		h->head_bytes -= st->hcap;
		atomic_fetch_sub_explicit(&head_total, st->hcap, memory_order_relaxed);
		free(st->hbuf);
	}
	if (st->f != st->finline)
		free(st->f);
	if (st->mem != st->minline)
		free(st->mem);
	if (nfree_streams < H2_FREE_STREAMS) {
		st->next = free_streams;
		free_streams = st;
		nfree_streams++;
	} else {
		free(st);
	}
}

/* A fresh stream, from the thread's free list when it has one. */
static struct h2_stream *stream_new(struct h2 *h)
{
	struct h2_stream *st = free_streams;
	if (st) {
		free_streams = st->next;
		nfree_streams--;
	} else if (!(st = malloc(sizeof *st))) {
		return NULL;
	}
	/* Everything before the inline buffers is reset; they need not be. */
	memset(st, 0, offsetof(struct h2_stream, hinline));
	memset(&st->resp, 0, sizeof st->resp);
	st->mem = NULL;
	st->block_len = 0;
	st->seg = 0;
	st->seg_off = 0;
	st->hbuf = st->hinline;
	st->hcap = H2_INLINE_HEAD;
	st->f = st->finline;
	st->fcap = H2_INLINE_FIELDS;
	(void)h;
	return st;
}

/* The output queue is done with a chunk of a stream's bytes. */
static void chunk_release(void *ctx, void *owner)
{
	struct h2 *h = ctx;
	struct h2_stream *st = owner;
	if (--st->refs == 0 && st->closed)
		stream_free(h, st);
}

/* One access-log line and the metrics for a stream's response. */
static void stream_log(struct h2 *h, struct h2_stream *st)
{
	struct worker *w = h->w;
	if (st->logged || !st->submitted)
		return;
	st->logged = true;
	metrics_response(&w->metrics, st->resp.status, st->body_sent);
	metrics_protocol(&w->metrics, true);
	if (!w->cfg->access_log)
		return;
	char ip[64];
	struct slice target = field_slice(st, st->path.value, st->path.vlen);
	struct slice path = target;
	const char *q = memchr(path.ptr, '?', path.len);
	if (q)
		path.len = (size_t)(q - path.ptr);
	struct log_entry e = {
		.iso = w->iso,
		.ip = ip,
		.method = field_slice(st, st->method.value, st->method.vlen),
		.path = path,
		.target = target,
		.minor = LOG_HTTP2,
		.status = st->resp.status,
		.bytes = st->body_sent,
	};
	if (w->cfg->log_format != LOG_FORMAT_DEFAULT) {
		for (uint32_t i = 0; i < st->nf; i++) {
			struct slice n = field_slice(st, st->f[i].name, st->f[i].nlen);
			if (slice_eq(n, "referer") && !e.referer.len)
				e.referer = field_slice(st, st->f[i].value, st->f[i].vlen);
			else if (slice_eq(n, "user-agent") && !e.user_agent.len)
				e.user_agent = field_slice(st, st->f[i].value, st->f[i].vlen);
		}
	}
	conn_client_ip(h->c, st->fwd_family, st->fwd, ip, sizeof ip);
	access_log_request(&w->log, &e);
}

/* Takes a token from a bucket that holds burst and refills at rate a
 * second; an empty bucket ends the connection (ENHANCE_YOUR_CALM). Resets
 * either side causes draw on one bucket (rapid reset, resets the client
 * provokes); frames that make the server answer (PING, SETTINGS) on
 * another, so a flood ends the connection instead of being answered
 * (CVE-2019-9512, CVE-2019-9515), even from a client that never reads. */
static void spend(struct h2 *h, struct h2_bucket *b, uint32_t burst, uint32_t rate)
{
	uint32_t now = h->w->now;
	uint64_t t = b->tokens + (uint64_t)(now - b->stamp) * rate;
	b->tokens = t > burst ? burst : (uint32_t)t;
	b->stamp = now;
	if (b->tokens == 0) {
		nghttp2_session_terminate_session(h->s, NGHTTP2_ENHANCE_YOUR_CALM);
		return;
	}
	b->tokens--;
}

static void spend_reset(struct h2 *h)
{
	spend(h, &h->resets, H2_RESET_BURST, H2_RESET_RATE);
}

/* --- Output: the library's frames onto the connection's queue. --- */

static ssize_t on_send(nghttp2_session *s, const uint8_t *data, size_t len, int flags, void *ud)
{
	struct h2 *h = ud;
	(void)s;
	(void)flags;
	if (h->out.queued >= H2_OUT_BUDGET)
		return NGHTTP2_ERR_WOULDBLOCK;
	size_t n = conn_out_copy(&h->out, data, len);
	return n ? (ssize_t)n : NGHTTP2_ERR_WOULDBLOCK;
}

static ssize_t on_read_body(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len,
			    uint32_t *flags, nghttp2_data_source *src, void *ud)
{
	struct h2_stream *st = src->ptr;
	(void)s;
	(void)id;
	(void)buf;
	(void)ud;
	uint64_t left = st->resp.body_len - st->body_read;
	size_t n = left < len ? (size_t)left : len;
	st->body_read += n;
	*flags |= NGHTTP2_DATA_FLAG_NO_COPY;
	if (st->body_read == st->resp.body_len)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

/* A DATA frame: its 9-byte header copied, its payload referenced (or
 * copied when short) from the response's segments. */
static int on_send_data(nghttp2_session *s, nghttp2_frame *frame, const uint8_t *framehd,
			size_t len, nghttp2_data_source *src, void *ud)
{
	struct h2 *h = ud;
	struct h2_stream *st = src->ptr;
	(void)s;
	(void)frame; /* no padding is ever chosen */
	if (h->out.queued >= H2_OUT_BUDGET || conn_out_room(&h->out) < RESP_SEGS_MAX + 2 ||
	    conn_out_buf_room(&h->out) < 9 + H2_SMALL_COPY)
		return NGHTTP2_ERR_WOULDBLOCK;
	if (conn_out_copy(&h->out, framehd, 9) != 9)
		return NGHTTP2_ERR_WOULDBLOCK; /* cannot happen: room was checked */
	st->body_sent += len;
	while (len) {
		const struct body_seg *g = &st->resp.segs[st->seg];
		uint64_t left = g->len - st->seg_off;
		if (left == 0) {
			st->seg++;
			st->seg_off = 0;
			continue;
		}
		uint32_t take = (uint32_t)(left < len ? left : len);
		bool ok;
		if (g->mem && take <= H2_SMALL_COPY && conn_out_buf_room(&h->out) >= take)
			ok = conn_out_copy(&h->out, g->mem + st->seg_off, take) == take;
		else if ((ok = conn_out_add(&h->out, g->mem ? g->mem + st->seg_off : NULL,
					    st->resp.fd, g->off + st->seg_off, take, st)))
			st->refs++;
		if (!ok)
			return NGHTTP2_ERR_CALLBACK_FAILURE; /* room was checked */
		st->seg_off += take;
		len -= take;
	}
	return 0;
}

/* --- Input: a stream's request. --- */

static struct h2_stream *stream_of(struct h2 *h, int32_t id)
{
	return nghttp2_session_get_stream_user_data(h->s, id);
}

static int on_begin_headers(nghttp2_session *s, const nghttp2_frame *frame, void *ud)
{
	struct h2 *h = ud;
	if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	struct h2_stream *st = stream_new(h);
	if (!st)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	st->h2 = h;
	st->id = frame->hd.stream_id;
	st->stamp = h->last_active = h->w->now;
	st->resp.fd = -1;
	st->next = h->streams;
	if (h->streams)
		h->streams->prev = st;
	h->streams = st;
	h->open++;
	nghttp2_session_set_stream_user_data(s, st->id, st);
	return 0;
}

/* Appends bytes to the stream's header store. A header list over
 * --max-head marks the stream too_big (431, as for HTTP/1.1); one that
 * fits but finds the connection's or the process's budget spent marks it
 * refused (REFUSED_STREAM, which clients retry). */
static bool store(struct h2 *h, struct h2_stream *st, const uint8_t *p, size_t n, uint32_t *off)
{
	if (st->hlen + n > st->hcap) {
		size_t limit = (size_t)h->w->cfg->max_head;
		if (st->hlen + n > limit) {
			st->too_big = true;
			return false;
		}
		size_t cap = st->hcap * 2;
		while (cap < st->hlen + n)
			cap *= 2;
		if (cap > limit)
			cap = limit;
		size_t heap_was = st->hbuf == st->hinline ? 0 : st->hcap;
		size_t grow = cap - heap_was;
		if (h->head_bytes + grow > limit * H2_CONN_HEAD_FACTOR ||
		    atomic_fetch_add_explicit(&head_total, grow, memory_order_relaxed) + grow >
			    H2_HEAD_TOTAL_MAX) {
			if (h->head_bytes + grow <= limit * H2_CONN_HEAD_FACTOR)
				atomic_fetch_sub_explicit(&head_total, grow, memory_order_relaxed);
			st->refused = true;
			return false;
		}
		char *b = heap_was ? realloc(st->hbuf, cap) : malloc(cap);
		if (!b) {
			atomic_fetch_sub_explicit(&head_total, grow, memory_order_relaxed);
			st->refused = true;
			return false;
		}
		if (!heap_was)
			memcpy(b, st->hinline, st->hlen);
		h->head_bytes += grow;
		st->hbuf = b;
		st->hcap = (uint32_t)cap;
	}
	memcpy(st->hbuf + st->hlen, p, n);
	*off = st->hlen;
	st->hlen += (uint32_t)n;
	return true;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *frame, const uint8_t *name,
		     size_t nlen, const uint8_t *value, size_t vlen, uint8_t flags, void *ud)
{
	struct h2 *h = ud;
	(void)flags;
	struct h2_stream *st = stream_of(h, frame->hd.stream_id);
	if (!st || st->too_big || st->refused || st->answered ||
	    frame->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0; /* trailers are never request fields; the library checks them */
	struct h2_field *slot = NULL;
	bool regular = !(nlen && name[0] == ':');
	if (!regular) {
		if (nlen == 7 && memcmp(name, ":method", 7) == 0)
			slot = &st->method;
		else if (nlen == 5 && memcmp(name, ":path", 5) == 0)
			slot = &st->path;
		else if (nlen == 10 && memcmp(name, ":authority", 10) == 0)
			slot = &st->authority;
		else
			return 0; /* :scheme; the library rejects others */
	} else {
		if (st->nf >= h->w->cfg->max_headers) {
			st->too_big = true; /* as HTTP/1.1's --max-headers: 431 */
			return 0;
		}
		if (st->nf == st->fcap) {
			uint32_t cap = st->fcap * 2;
			struct h2_field *f = st->f == st->finline ? malloc(cap * sizeof *f)
							  : realloc(st->f, cap * sizeof *f);
			if (!f)
				return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
			if (st->f == st->finline)
				memcpy(f, st->finline, sizeof st->finline);
			st->f = f;
			st->fcap = cap;
		}
		slot = &st->f[st->nf];
	}
	uint32_t no = 0, vo = 0;
	if (!store(h, st, name, nlen, &no) || !store(h, st, value, vlen, &vo))
		return 0; /* too_big or refused is set */
	*slot = (struct h2_field){ no, (uint32_t)nlen, vo, (uint32_t)vlen };
	if (regular)
		st->nf++;
	(void)s;
	return 0;
}

/* Copies what the response points at in the thread's scratch buffers
 * (header block, error body, part headers) into memory of its own. */
static bool capture(struct h2_stream *st)
{
	struct response *resp = &st->resp;
	const char *head = resp->head;
	const char *end = NULL;
	for (size_t i = 0; i + 3 < resp->head_len; i++) {
		if (head[i] == '\r' && head[i + 1] == '\n' && head[i + 2] == '\r' && head[i + 3] == '\n') {
			end = head + i + 4;
			break;
		}
	}
	if (!end)
		return false;
	size_t block = (size_t)(end - head), tail = resp->head_len - block;
	size_t total = resp->head_len;
	for (unsigned i = 0; i < resp->nsegs; i++) {
		const char *m = resp->segs[i].mem;
		if (m && m >= scratch_extra && m < scratch_extra + H2_EXTRA_CAP)
			total += resp->segs[i].len;
	}
	char *mem = total <= H2_INLINE_MEM && st->mem != st->minline ? st->minline
								      : malloc(total ? total : 1);
	if (!mem)
		return false;
	memcpy(mem, head, resp->head_len);
	size_t used = resp->head_len;
	for (unsigned i = 0; i < resp->nsegs; i++) {
		const char *m = resp->segs[i].mem;
		if (m && m >= scratch_extra && m < scratch_extra + H2_EXTRA_CAP) {
			memcpy(mem + used, m, resp->segs[i].len);
			resp->segs[i].mem = mem + used;
			used += resp->segs[i].len;
		}
	}
	if (tail) {
		/* A body that travels in the header buffer: the first segment. */
		if (resp->nsegs == RESP_SEGS_MAX) {
			if (mem != st->minline)
				free(mem);
			return false;
		}
		memmove(resp->segs + 1, resp->segs, resp->nsegs * sizeof *resp->segs);
		resp->segs[0] = (struct body_seg){ .mem = mem + block, .off = 0, .len = tail };
		resp->nsegs++;
	}
	uint64_t sum = 0;
	for (unsigned i = 0; i < resp->nsegs; i++)
		sum += resp->segs[i].len;
	resp->body_len = sum;
	resp->head = NULL;
	if (st->mem != st->minline)
		free(st->mem);
	st->mem = mem;
	st->block_len = block;
	return true;
}

static bool skip_field(struct slice n)
{
	/* Connection-specific fields have no place in HTTP/2 (RFC 9113
	 * section 8.2.2). */
	return slice_eq_ci(n, "connection") || slice_eq_ci(n, "keep-alive") ||
	       slice_eq_ci(n, "transfer-encoding") || slice_eq_ci(n, "upgrade") ||
	       slice_eq_ci(n, "proxy-connection");
}

/* Hands the captured response to the library: the header block as
 * fields, the body as a data source. */
static void submit(struct h2 *h, struct h2_stream *st)
{
	nghttp2_nv nv[H2_FIELDS_MAX];
	char lower[H2_HEAD_CAP];
	char status[3];
	const char *p = st->mem, *end = st->mem + st->block_len - 2;
	size_t k = 0, lo = 0;

	status[0] = (char)('0' + st->resp.status / 100 % 10);
	status[1] = (char)('0' + st->resp.status / 10 % 10);
	status[2] = (char)('0' + st->resp.status % 10);
	nv[k++] = (nghttp2_nv){ (uint8_t *)":status", (uint8_t *)status, 7, 3, NGHTTP2_NV_FLAG_NONE };
	p = memchr(p, '\n', (size_t)(end - p));
	p = p ? p + 1 : end;
	while (p < end && k < H2_FIELDS_MAX) {
		const char *eol = memchr(p, '\n', (size_t)(end + 2 - p));
		const char *colon = memchr(p, ':', (size_t)(end - p));
		if (!eol || !colon || colon > eol)
			break;
		struct slice n = slice_make(p, (size_t)(colon - p));
		const char *v = colon + 1;
		while (v < eol && *v == ' ')
			v++;
		size_t vlen = (size_t)(eol - v);
		if (vlen && v[vlen - 1] == '\r')
			vlen--;
		if (!skip_field(n) && lo + n.len <= sizeof lower) {
			for (size_t i = 0; i < n.len; i++) {
				char ch = n.ptr[i];
				lower[lo + i] = ch >= 'A' && ch <= 'Z' ? (char)(ch + 32) : ch;
			}
			nv[k++] = (nghttp2_nv){ (uint8_t *)lower + lo, (uint8_t *)v, n.len, vlen,
						NGHTTP2_NV_FLAG_NONE };
			lo += n.len;
		}
		p = eol + 1;
	}
	nghttp2_data_provider prd = { .source.ptr = st, .read_callback = on_read_body };
	st->submitted = true;
	st->stamp = st->win_start = h->w->now;
	st->win_sent = 0;
	h->answered++;
	if (nghttp2_submit_response(h->s, st->id, nv, k, st->resp.body_len ? &prd : NULL) != 0)
		nghttp2_submit_rst_stream(h->s, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR);
}

/* Builds the response for a stream (status: an error to answer with, or
 * 0 to serve the request), then submits it, or leaves it waiting for a
 * helper job or a held-back time. */
static void answer(struct h2 *h, struct h2_stream *st, int status)
{
	struct worker *w = h->w;
	struct http_header *fields = w->headers;
	size_t max = w->cfg->max_headers, n = 0;
	bool has_host = false;

	st->answered = true;
	struct slice authority = field_slice(st, st->authority.value, st->authority.vlen);
	for (uint32_t i = 0; i < st->nf && n < max; i++) {
		fields[n].name = field_slice(st, st->f[i].name, st->f[i].nlen);
		fields[n].value = field_slice(st, st->f[i].value, st->f[i].vlen);
		if (slice_eq(fields[n].name, "host")) {
			has_host = true;
			/* RFC 9113 section 8.3.1: a Host naming another entity
			 * than :authority makes the request malformed (the site
			 * is chosen by :authority, never by a second opinion). */
			if (st->authority.vlen && fields[n].value.len &&
			    !site_same_host(fields[n].value, authority))
				status = status ? status : 400;
		}
		n++;
	}
	if (!has_host && st->authority.vlen) {
		if (n == max) {
			status = status ? status : 431; /* Host would be one field too many */
		} else {
			fields[n].name = SLICE_LIT("host");
			fields[n].value = field_slice(st, st->authority.value, st->authority.vlen);
			n++;
		}
	}
	struct http_head hd = {
		.method = field_slice(st, st->method.value, st->method.vlen),
		.target = field_slice(st, st->path.value, st->path.vlen),
		.minor = 1,
		.nheaders = n,
		.max_headers = max,
		.headers = fields,
	};
	struct request r;
	bool valid = !st->too_big && hd.method.len && hd.target.len;
	int rs = valid ? http_request_read(&hd, &r) : 400;
	if (!status)
		status = rs;
	if (!status && r.content_length > w->cfg->max_body)
		status = 413;
	struct response *resp = &st->resp;
	conn_response_release(resp);
	resp->head = scratch_head;
	resp->head_cap = sizeof scratch_head;
	resp->close = false;
	struct pool_job *j = conn_build(w, h->c, (uint32_t)st->id, valid ? &hd : NULL,
					valid && rs == 0 ? &r : NULL, status, resp, scratch_extra,
					sizeof scratch_extra);
	st->fwd_family = w->serve.fwd_family;
	memcpy(st->fwd, w->serve.fwd, sizeof st->fwd);
	if (j) {
		st->job = j;
		return;
	}
	if (!capture(st)) {
		conn_response_release(resp);
		nghttp2_submit_rst_stream(h->s, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_INTERNAL_ERROR);
		return;
	}
	st->seg = 0;
	st->seg_off = 0;
	if (resp->delay) {
		st->resume_at = w->now + resp->delay; /* a failed login: the sweep submits it */
		return;
	}
	submit(h, st);
}

/* A stream's request ended (or is refused early): it is answered once
 * the whole read is processed, so a connection error later in the same
 * bytes goes out first, and a stream reset in the same bytes costs
 * nothing. */
static void due(struct h2 *h, struct h2_stream *st, int status)
{
	st->answered = true;
	st->early = status;
	if (h->nready < H2_READY_MAX)
		h->ready[h->nready++] = st->id;
	else
		answer(h, st, status);
}

/* Sends what the read caused (acknowledgements, a GOAWAY), then answers
 * the streams it ended, unless the session is ending. */
static int answer_due(struct h2 *h)
{
	if (!h->nready)
		return 0;
	if (nghttp2_session_send(h->s) != 0)
		return -1;
	for (unsigned i = 0; i < h->nready; i++) {
		struct h2_stream *st = stream_of(h, h->ready[i]);
		if (st && !st->closed && nghttp2_session_want_read(h->s))
			answer(h, st, st->early);
	}
	h->nready = 0;
	return 0;
}

/* Whether a content-length value (digits; the library checked it) is
 * more than max. */
static bool too_long(struct slice v, uint64_t max)
{
	uint64_t n = 0;
	for (size_t i = 0; i < v.len; i++) {
		if (v.ptr[i] < '0' || v.ptr[i] > '9')
			return false;
		if (n > (UINT64_MAX - 9) / 10)
			return true;
		n = n * 10 + (uint64_t)(v.ptr[i] - '0');
	}
	return n > max;
}

static int on_frame_recv(nghttp2_session *s, const nghttp2_frame *frame, void *ud)
{
	struct h2 *h = ud;
	struct h2_stream *st = frame->hd.stream_id ? stream_of(h, frame->hd.stream_id) : NULL;
	bool end = frame->hd.flags & NGHTTP2_FLAG_END_STREAM;
	const struct config *cfg = h->w->cfg;
	(void)s;
	switch (frame->hd.type) {
	case NGHTTP2_HEADERS:
		if (!st || st->answered)
			break;
		if (st->refused) {
			st->answered = true;
			nghttp2_submit_rst_stream(h->s, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_REFUSED_STREAM);
		} else if (st->too_big) {
			due(h, st, 431);
		} else if (end) {
			due(h, st, 0);
		} else {
			/* A body follows: refuse one announced too large now. */
			for (uint32_t i = 0; i < st->nf; i++) {
				struct slice n = field_slice(st, st->f[i].name, st->f[i].nlen);
				struct slice v = field_slice(st, st->f[i].value, st->f[i].vlen);
				if (slice_eq(n, "content-length") && !st->answered && too_long(v, cfg->max_body))
					due(h, st, 413);
			}
		}
		break;
	case NGHTTP2_DATA:
		if (st && end && !st->answered)
			due(h, st, 0);
		break;
	case NGHTTP2_RST_STREAM:
		spend_reset(h);
		break;
	case NGHTTP2_PING:
	case NGHTTP2_SETTINGS:
		if (!(frame->hd.flags & NGHTTP2_FLAG_ACK))
			spend(h, &h->control, H2_CONTROL_BURST, H2_CONTROL_RATE);
		break;
	default:
		break;
	}
	return 0;
}

static int on_data_chunk(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data,
			 size_t len, void *ud)
{
	struct h2 *h = ud;
	struct h2_stream *st = stream_of(h, id);
	(void)s;
	(void)flags;
	(void)data;
	if (!st)
		return 0;
	st->body_in += len;
	st->stamp = h->w->now;
	if (st->body_in > h->w->cfg->max_body && !st->answered)
		due(h, st, 413);
	return 0;
}

static int on_frame_send(nghttp2_session *s, const nghttp2_frame *frame, void *ud)
{
	struct h2 *h = ud;
	if (frame->hd.type == NGHTTP2_RST_STREAM) {
		spend_reset(h);
	} else if ((frame->hd.type == NGHTTP2_DATA || frame->hd.type == NGHTTP2_HEADERS) &&
		   (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) &&
		   !nghttp2_session_get_stream_remote_close(s, frame->hd.stream_id)) {
		/* Answered before the request ended (413, 431): the rest of
		 * the body is not wanted (RFC 9113 section 8.1). */
		nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, frame->hd.stream_id, NGHTTP2_NO_ERROR);
	}
	return 0;
}

static int on_stream_close(nghttp2_session *s, int32_t id, uint32_t code, void *ud)
{
	struct h2 *h = ud;
	struct h2_stream *st = stream_of(h, id);
	(void)code;
	if (!st || h->dying)
		return 0;
	nghttp2_session_set_stream_user_data(s, id, NULL);
	stream_log(h, st);
	h->last_active = h->w->now; /* idle time counts from the last stream */
	st->closed = true;
	h->open--;
	if (st->job) {
		/* Nobody waits for it any more: a helper that has not started
		 * it skips it; the loop frees it when it comes back. */
		atomic_store_explicit(&st->job->cancelled, true, memory_order_release);
		st->job = NULL;
	}
	if (st->refs == 0)
		stream_free(h, st);
	return 0;
}

/* A HEADERS frame on a stream id below the highest one seen, for a stream
 * that never opened, is a connection error (RFC 9113 section 5.1.1); the
 * library ignores such a frame, so this remembers which ids opened. */
static int on_begin_frame(nghttp2_session *s, const nghttp2_frame_hd *hd, void *ud)
{
	struct h2 *h = ud;
	int32_t id = hd->stream_id;
	if (hd->type == NGHTTP2_DATA && hd->length == 0 && !(hd->flags & NGHTTP2_FLAG_END_STREAM) &&
	    ++h->empty > H2_EMPTY_MAX) {
		/* Empty DATA frames cost work and answer nothing (CVE-2019-9518).
		 * Counted here, not once the frame is received: the library
		 * (before 1.67) does not expect its DATA callback to end the
		 * session, and aborts on the next malformed frame if it does. */
		nghttp2_session_terminate_session(s, NGHTTP2_ENHANCE_YOUR_CALM);
		return 0;
	}
	if (hd->type != NGHTTP2_HEADERS || !(id & 1))
		return 0;
	if (id > h->max_id) {
		if (id - h->max_id >= 2048)
			memset(h->opened, 0, sizeof h->opened);
		else
			for (int32_t k = h->max_id + 2; k < id; k += 2)
				h->opened[(k >> 1) % 1024 / 8] &= (uint8_t)~(1u << ((k >> 1) % 8));
		h->max_id = id;
		h->opened[(id >> 1) % 1024 / 8] |= (uint8_t)(1u << ((id >> 1) % 8));
		return 0;
	}
	if (h->max_id - id < 2048 && !(h->opened[(id >> 1) % 1024 / 8] & (1u << ((id >> 1) % 8))) &&
	    !nghttp2_session_find_stream(s, id))
		nghttp2_session_terminate_session(s, NGHTTP2_PROTOCOL_ERROR);
	return 0;
}

static void setup(void)
{
	nghttp2_session_callbacks *cb;
	if (nghttp2_session_callbacks_new(&cb) != 0 || nghttp2_option_new(&options) != 0)
		return;
	nghttp2_session_callbacks_set_send_callback(cb, on_send);
	nghttp2_session_callbacks_set_send_data_callback(cb, on_send_data);
	nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
	nghttp2_session_callbacks_set_on_begin_frame_callback(cb, on_begin_frame);
	nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
	nghttp2_session_callbacks_set_on_frame_send_callback(cb, on_frame_send);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
	/* Floods of frames that ask for an answer (PING, SETTINGS), of
	 * SETTINGS entries, of CONTINUATION frames, and of resets. */
	nghttp2_option_set_max_outbound_ack(options, 1000);
	nghttp2_option_set_max_settings(options, 32);
	nghttp2_option_set_stream_reset_rate_limit(options, H2_RESET_BURST, H2_RESET_RATE);
	nghttp2_option_set_max_continuations(options, 8);
	callbacks = cb;
}

int h2_start(struct worker *w, struct conn *c, const char *buf, size_t n)
{
	pthread_once(&setup_once, setup);
	struct h2 *h = calloc(1, sizeof *h);
	if (!callbacks || !h) {
		free(h);
		return STEP_CLOSE;
	}
	h->w = w;
	h->c = c;
	h->resets = (struct h2_bucket){ H2_RESET_BURST, w->now };
	h->control = (struct h2_bucket){ H2_CONTROL_BURST, w->now };
	h->last_active = w->now;
	h->out.release = chunk_release;
	h->out.ctx = h;
	if (nghttp2_session_server_new2(&h->s, callbacks, h, options) != 0) {
		free(h);
		return STEP_CLOSE;
	}
	nghttp2_settings_entry iv[] = {
		{ NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, H2_MAX_STREAMS },
		{ NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, (uint32_t)w->cfg->max_head },
	};
	nghttp2_submit_settings(h->s, NGHTTP2_FLAG_NONE, iv, sizeof iv / sizeof iv[0]);
	c->h2 = h;
	if (n && (nghttp2_session_mem_recv(h->s, (const uint8_t *)buf, n) < 0 || answer_due(h) < 0))
		return STEP_CLOSE;
	return CONN_H2;
}

int h2_run(struct worker *w, struct conn *c)
{
	struct h2 *h = c->h2;
	char buf[H2_READ_CHUNK];
	unsigned reads = 0;

	for (;;) {
		if (h->out.n) {
			if (conn_out_flush(c, &h->out, w->copy_buf, WORKER_COPY_BUF) < 0)
				return STEP_CLOSE;
			if (h->out.n)
				return STEP_WAIT; /* read nothing more until it drains */
		}
		if (nghttp2_session_send(h->s) != 0)
			return STEP_CLOSE;
		if (h->out.n)
			continue;
		if (!nghttp2_session_want_read(h->s) && !nghttp2_session_want_write(h->s))
			return conn_linger(w, c); /* GOAWAY sent, streams done, all written */
		if (!(c->flags & CONN_READABLE)) {
			conn_out_trim(&h->out);
			return STEP_WAIT;
		}
		if (++reads > H2_READS_PER_TURN) {
			/* A client that sends as fast as it is read must not keep
			 * the loop from its other connections and its timers: the
			 * rest waits for the next turn. */
			if (worker_rearm(w, c->fd, c) < 0)
				return STEP_CLOSE;
			conn_out_trim(&h->out);
			return STEP_WAIT;
		}
		ssize_t n = conn_recv(c, buf, sizeof buf);
		if (n > 0) {
			ssize_t rv = nghttp2_session_mem_recv(h->s, (const uint8_t *)buf, (size_t)n);
			if (rv < 0) {
				/* A fatal error: say why in a GOAWAY (the library
				 * queues one for some errors, not for floods), send
				 * what can be sent, then close. */
				bool flood = rv == NGHTTP2_ERR_FLOODED ||
					     rv == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS;
				nghttp2_session_terminate_session(h->s, flood ? NGHTTP2_ENHANCE_YOUR_CALM
									      : NGHTTP2_PROTOCOL_ERROR);
				if (nghttp2_session_send(h->s) == 0 &&
				    conn_out_flush(c, &h->out, w->copy_buf, WORKER_COPY_BUF) == 0 &&
				    h->out.n == 0)
					return conn_linger(w, c);
				return STEP_CLOSE;
			}
			if (answer_due(h) < 0)
				return STEP_CLOSE;
			if ((size_t)n < sizeof buf && !(c->flags & CONN_PEER_SHUT) && !c->tls)
				c->flags &= ~CONN_READABLE;
			continue;
		}
		if (n == 0)
			return STEP_CLOSE;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			c->flags &= ~CONN_READABLE;
			conn_out_trim(&h->out);
			return STEP_WAIT;
		}
		if (errno != EINTR)
			return STEP_CLOSE;
	}
}

void h2_job_finished(struct worker *w, struct conn *c, struct pool_job *j)
{
	struct h2 *h = c->h2;
	struct serve_job *job = serve_job_of(j);
	struct h2_stream *st = stream_of(h, (int32_t)j->sub);
	if (!st || st->job != j) {
		serve_job_free(job);
		return;
	}
	st->job = NULL;
	w->serve.done = job;
	answer(h, st, 0);
	w->serve.done = NULL;
	serve_job_free(job);
}

void h2_sweep(struct worker *w, struct conn *c)
{
	struct h2 *h = c->h2;
	const struct config *cfg = w->cfg;

	unsigned slow = 0; /* responses not yet fully handed to the library */
	for (struct h2_stream *st = h->streams; st; st = st->next)
		slow += !st->closed && st->submitted && st->body_read < st->resp.body_len;
	for (struct h2_stream *st = h->streams; st; st = st->next) {
		if (st->closed)
			continue;
		if (st->resume_at && ((int32_t)(w->now - st->resume_at) >= 0 || w->stopping)) {
			st->resume_at = 0;
			submit(h, st);
		}
		if (st->submitted) {
			/* A response holds its file and memory while it lasts:
			 * over each --send-timeout window it must move at its
			 * share of CONN_SEND_MIN_RATE among the connection's
			 * unfinished responses, whether a shut flow-control
			 * window or a trickle of 1-byte windows holds it up. A
			 * client cannot keep 128 files open per connection for
			 * a few bytes a second, and one paused stream does not
			 * cost the others. */
			uint32_t window = cfg->send_timeout;
			if (st->body_read < st->resp.body_len && !st->timed_out &&
			    w->now - st->win_start >= window) {
				uint64_t need = (uint64_t)window * CONN_SEND_MIN_RATE / (slow ? slow : 1);
				if (st->body_sent - st->win_sent < (need ? need : 1)) {
					st->timed_out = true;
					nghttp2_submit_rst_stream(h->s, NGHTTP2_FLAG_NONE, st->id,
								  NGHTTP2_CANCEL);
				}
				st->win_start = w->now;
				st->win_sent = st->body_sent;
			}
		} else if (!st->answered && w->now - st->stamp > cfg->head_timeout && !st->timed_out) {
			/* A request that does not finish arriving. */
			st->timed_out = true;
			nghttp2_submit_rst_stream(h->s, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_CANCEL);
		}
	}
	if ((w->stopping || h->c->sites != w->sites) && !h->goaway) {
		/* Streams already begun finish; new ones are refused. After a
		 * reload the client opens a new connection, under the new
		 * configuration, and the old one can be let go. */
		h->goaway = true;
		nghttp2_submit_goaway(h->s, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(h->s),
				      NGHTTP2_NO_ERROR, NULL, 0);
	}
	/* Without streams the connection is idle, whatever PINGs or other
	 * frames it still gets. */
	uint32_t idle = w->now - h->last_active;
	if (h->open == 0 && !h->out.n) {
		uint32_t limit = h->answered ? cfg->keepalive_timeout : cfg->head_timeout;
		if (idle > limit && !h->goaway) {
			h->goaway = true;
			nghttp2_session_terminate_session(h->s, NGHTTP2_NO_ERROR);
		}
	}
	if (h->out.n) {
		/* Bytes the socket does not take must reach the client at
		 * CONN_SEND_MIN_RATE over each --send-timeout window (a stream
		 * held up by its flow-control window is reset above). */
		uint32_t window = cfg->send_timeout;
		if (!h->win_start || w->now - h->win_start >= window) {
			int q = conn_out_queued(c);
			if (h->win_start) {
				uint64_t got = h->win_queued + (h->out.sent - h->win_sent);
				got = got > (uint64_t)q ? got - (uint64_t)q : 0;
				if (got < (uint64_t)window * CONN_SEND_MIN_RATE) {
					conn_reset(w, c);
					return;
				}
			}
			h->win_start = w->now;
			h->win_sent = h->out.sent;
			h->win_queued = (uint32_t)q;
		}
	} else {
		h->win_start = 0;
	}
	conn_resume(w, c);
}

void h2_free(struct worker *w, struct conn *c)
{
	struct h2 *h = c->h2;
	(void)w;
	if (!h)
		return;
	for (struct h2_stream *st = h->streams; st; st = st->next)
		if (!st->closed)
			stream_log(h, st); /* cut short: what it sent */
	h->dying = true;
	conn_out_free(&h->out);
	nghttp2_session_del(h->s);
	while (h->streams)
		stream_free(h, h->streams);
	free(h);
	c->h2 = NULL;
}

void h2_free_pools(void)
{
	while (free_streams) {
		struct h2_stream *st = free_streams;
		free_streams = st->next;
		free(st);
	}
	nfree_streams = 0;
}

#else

bool h2_available(void)
{
	return false;
}

void h2_free_pools(void)
{
}

int h2_start(struct worker *w, struct conn *c, const char *buf, size_t n)
{
	(void)w;
	(void)c;
	(void)buf;
	(void)n;
	return -2; /* STEP_CLOSE */
}

int h2_run(struct worker *w, struct conn *c)
{
	(void)w;
	(void)c;
	return -2;
}

void h2_job_finished(struct worker *w, struct conn *c, struct pool_job *j)
{
	(void)w;
	(void)c;
	(void)j;
}

void h2_sweep(struct worker *w, struct conn *c)
{
	(void)w;
	(void)c;
}

void h2_free(struct worker *w, struct conn *c)
{
	(void)w;
	(void)c;
}

#endif
