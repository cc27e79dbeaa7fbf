/* conn.c - the connection state machine. Sockets are registered once with
 * edge-triggered epoll for reading and writing; the CONN_READABLE and
 * CONN_WRITABLE flags remember an edge until a short read or write shows
 * the kernel buffer is exhausted, so a keep-alive request costs no
 * epoll_ctl at all. A request body is read and dropped before the response
 * is built, so a client that sends its whole body before reading can never
 * deadlock against a large response. */
#include "conn.h"
#include "proxy_proto.h"
#include "trusted.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <unistd.h>

#include "http_request.h"
#include "http_response.h"
#include "conn_out.h"
#include "file_cache.h"
#include "h2.h"
#include "serve.h"

#define IO_HEAD_CAP 8192   /* response header block (and small error bodies) */
#define IO_EXTRA_CAP 4096  /* multipart part headers */
#define IO_POOL_MAX 64     /* free buffers a worker keeps */
#define LINGER_SECONDS 2
#define LINGER_BYTES (1 << 20)
#define DRAIN_WATCH_MIN (64 * 1024) /* a finished body this large has its drain watched */
#define SENDFILE_CHUNK (1u << 30)
/* Bytes gathered per TLS write: a few records, small enough to stay in
 * the CPU cache between the file read and the encryption. */
#ifndef TLS_CHUNK
#define TLS_CHUNK (32 * 1024)
#endif

/* Buffers a connection holds only while a request is in progress, so an
 * idle keep-alive connection costs just its struct conn. */
struct conn_io {
	struct conn_io *next_free;
	size_t rlen;     /* bytes in rbuf */
	size_t scanned;  /* bytes known not to complete the head */
	size_t head_len; /* the head being answered, 0 while none is parsed */
	unsigned cont_left; /* bytes of "100 Continue" still to send */
	struct slice log_method, log_path, log_target, log_referer, log_agent;
	int log_minor;
	int fwd_family;   /* the client a trusted proxy named (0: the peer) */
	uint8_t fwd[16];
	struct response resp;
	size_t out_head;  /* header bytes sent */
	unsigned out_seg; /* segment being sent */
	uint64_t out_off; /* bytes of that segment sent */
	uint64_t sent;      /* bytes of this response written to the socket */
	uint64_t body_sent; /* of them, body segment bytes */
	uint64_t win_sent;  /* sent at the send-rate window's start */
	uint32_t win_queued; /* bytes the kernel held for the socket then */
	uint32_t win_start; /* second the window started, 0: at the next sweep */
	uint32_t resume_at; /* WAITING without a job: second to start sending */
	struct pool_job *job; /* WAITING: the job under way, until it is back */
	struct conn_out *batch; /* pipelined responses gathered for one write, or NULL */
	bool logged;        /* the access log has this response */
	char head[IO_HEAD_CAP];
	char extra[IO_EXTRA_CAP];
	char rbuf[]; /* cfg->max_head bytes */
};

static void conn_run(struct worker *w, struct conn *c);

ssize_t conn_recv(struct conn *c, void *buf, size_t len)
{
	if (!c->tls)
		return recv(c->fd, buf, len, 0);
	long n = tls_read(c->tls, buf, len);
	if (n > 0)
		return n;
	if (n == TLS_CLOSED)
		return 0;
	errno = n == TLS_WANT_READ || n == TLS_WANT_WRITE ? EAGAIN : EIO;
	return -1;
}

static struct conn_io *io_get(struct worker *w)
{
	struct conn_io *io = w->free_io;
	if (io) {
		w->free_io = io->next_free;
		w->nfree_io--;
	} else {
		io = malloc(sizeof *io + w->cfg->max_head);
		if (!io)
			return NULL;
	}
	io->rlen = io->scanned = io->head_len = 0;
	io->cont_left = 0;
	io->resp.fd = -1;
	io->resp.blob = NULL;
	io->resp.job = NULL;
	io->resume_at = 0;
	io->job = NULL;
	io->batch = NULL;
	io->logged = true; /* nothing to log yet */
	return io;
}

void conn_response_release(struct response *resp)
{
	if (resp->fd >= 0) {
		close(resp->fd);
		resp->fd = -1;
	}
	if (resp->blob) {
		fc_blob_put(resp->blob);
		resp->blob = NULL;
	}
}

static void io_put(struct worker *w, struct conn_io *io)
{
	conn_response_release(&io->resp);
	if (io->batch) {
		conn_out_free(io->batch);
		free(io->batch);
		io->batch = NULL;
	}
	if (w->nfree_io >= IO_POOL_MAX) {
		free(io);
		return;
	}
	io->next_free = w->free_io;
	w->free_io = io;
	w->nfree_io++;
}

/* An idle connection gives its buffers back. */
static void release_if_idle(struct worker *w, struct conn *c)
{
	if (c->io && c->io->rlen == 0 && c->io->head_len == 0 && c->discard == 0 &&
	    c->io->cont_left == 0 && !(c->io->batch && c->io->batch->n)) {
		io_put(w, c->io);
		c->io = NULL;
	}
}

struct conn *conn_open(struct worker *w, int fd, const struct sockaddr *sa,
		       enum worker_listen_kind kind, bool proxy)
{
	struct conn *c = w->free_conns;
	if (c)
		w->free_conns = c->next;
	else if (!(c = malloc(sizeof *c))) {
		close(fd);
		return NULL;
	}
	memset(c, 0, sizeof *c);
	c->id = ++w->next_conn_id;
	c->fd = fd;
	c->state = CONN_READING;
	c->flags = CONN_READABLE | CONN_WRITABLE;
	c->stamp = w->now;
	if (kind == LISTEN_HTTPS) {
		c->tls = tls_accept(fd);
		if (!c->tls) {
			close(fd);
			c->next = w->free_conns;
			w->free_conns = c;
			return NULL;
		}
		c->state = CONN_HANDSHAKE;
	} else if (kind == LISTEN_REDIRECT) {
		c->flags |= CONN_REDIRECT;
	}
	if (proxy && sa->sa_family != AF_UNIX) {
		/* The load balancer's header comes before TLS or HTTP. */
		c->after_proxy = c->state;
		c->state = CONN_PROXY;
	}
	worker_take_reload(w); /* a reload another worker has taken already */
	c->sites = site_set_ref(w->sites);
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			c->family = AF_INET;
			memcpy(c->addr, &s6->sin6_addr.s6_addr[12], 4);
		} else {
			c->family = AF_INET6;
			memcpy(c->addr, &s6->sin6_addr, 16);
		}
	} else if (sa->sa_family == AF_INET) {
		c->family = AF_INET;
		memcpy(c->addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	}
	c->next = w->conns;
	if (w->conns)
		w->conns->prev = c;
	w->conns = c;
	w->nconns++;
	conn_run(w, c);
	return c;
}

/* PROXY protocol v1 or v2 (a listener with --proxy-protocol): the header
 * is required, read exactly (peeked, then consumed to its last byte, so
 * nothing of the request is taken), and its source address replaces the
 * peer's for everything after: logs, limits, metrics. */
static int on_proxy(struct worker *w, struct conn *c)
{
	uint8_t buf[PROXY_PROTO_MAX];
	struct proxy_proto_addr a;
	ssize_t n = recv(c->fd, buf, sizeof buf, MSG_PEEK);
	if (n == 0)
		return STEP_CLOSE;
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return STEP_CLOSE;
		c->flags &= ~CONN_READABLE;
		return STEP_WAIT;
	}
	long len = proxy_proto_parse(buf, (size_t)n, &a);
	if (len < 0 || (len == 0 && (size_t)n == sizeof buf)) {
		(void)0; /* a scanner or a misrouted client: nothing worth a log line */
		return STEP_CLOSE;
	}
	if (len == 0) {
		/* A peer that ended its side will never complete the header. */
		if (c->flags & CONN_PEER_SHUT)
			return STEP_CLOSE;
		c->flags &= ~CONN_READABLE;
		return STEP_WAIT;
	}
	if (recv(c->fd, buf, (size_t)len, 0) != len)
		return STEP_CLOSE;
	if (!a.local) {
		static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
		if (memcmp(a.src, mapped, 12) == 0) {
			c->family = AF_INET;
			memset(c->addr, 0, sizeof c->addr);
			memcpy(c->addr, a.src + 12, 4);
		} else {
			c->family = AF_INET6;
			memcpy(c->addr, a.src, 16);
		}
	}
	c->stamp = w->now;
	return c->after_proxy;
}

/* addr (as struct conn keeps it) as text. */
static void format_ip(int family, const uint8_t *addr, char *out, size_t cap)
{
	if (family == AF_INET) {
		/* The common case by hand: inet_ntop costs more per request. */
		char *p = out;
		for (int i = 0; i < 4; i++) {
			unsigned v = addr[i];
			if (v >= 100)
				*p++ = (char)('0' + v / 100);
			if (v >= 10)
				*p++ = (char)('0' + v / 10 % 10);
			*p++ = (char)('0' + v % 10);
			*p++ = i < 3 ? '.' : '\0';
		}
		return;
	}
	if (family != AF_INET6)
		snprintf(out, cap, "unix:"); /* a unix socket peer has no address */
	else if (!inet_ntop(AF_INET6, addr, out, (socklen_t)cap))
		snprintf(out, cap, "-");
}

void conn_peer_ip(const struct conn *c, char *out, size_t cap)
{
	format_ip(c->family, c->addr, out, cap);
}

void conn_client_ip(const struct conn *c, int fwd_family, const uint8_t *fwd, char *out,
		    size_t cap)
{
	if (fwd_family)
		format_ip(fwd_family, fwd, out, cap);
	else
		format_ip(c->family, c->addr, out, cap);
}

/* The client a trusted proxy names (X-Forwarded-For, X-Real-IP) in
 * w->serve.fwd, or none (fwd_family 0): the peer is the client. */
static void forwarded_client(struct worker *w, struct conn *c, const struct http_head *h)
{
	struct serve_ctx *s = &w->serve;
	const struct trusted *t = c->sites->trusted;
	uint8_t peer[16], out[16];
	s->fwd_family = 0;
	s->client = c->addr;
	if (!t || !h || (c->family != AF_INET && c->family != AF_INET6))
		return;
	if (c->family == AF_INET) {
		memset(peer, 0, 10);
		peer[10] = peer[11] = 0xff;
		memcpy(peer + 12, c->addr, 4);
	} else {
		memcpy(peer, c->addr, 16);
	}
	if (!trusted_contains(t, peer))
		return;
	struct slice xff[32], real = { NULL, 0 };
	size_t n = 0, nreal = 0;
	for (size_t i = 0; i < h->nheaders; i++) {
		const struct http_header *f = &h->headers[i];
		if (slice_eq_ci(f->name, "x-forwarded-for")) {
			/* The rightmost fields are our proxies': more than fit,
			 * and none is believed rather than the client's own. */
			if (n == 32)
				return;
			xff[n++] = f->value;
		} else if (slice_eq_ci(f->name, "x-real-ip")) {
			real = f->value;
			nreal++;
		}
	}
	if (nreal > 1)
		real = (struct slice){ NULL, 0 }; /* ambiguous: the peer stays */
	if (!trusted_client(t, peer, xff, n, real, out))
		return;
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	memset(s->fwd, 0, sizeof s->fwd);
	if (memcmp(out, mapped, 12) == 0) {
		s->fwd_family = AF_INET;
		memcpy(s->fwd, out + 12, 4);
	} else {
		s->fwd_family = AF_INET6;
		memcpy(s->fwd, out, 16);
	}
	s->client = s->fwd;
}

/* One access-log line and the metrics for the response in io, with the
 * body bytes really sent: a response the client abandoned is logged too,
 * with what it got (as nginx does). */
static void log_response(struct worker *w, struct conn *c, uint64_t bytes)
{
	struct conn_io *io = c->io;
	struct response *resp = &io->resp;
	char ip[INET6_ADDRSTRLEN];

	io->logged = true;
	metrics_response(&w->metrics, resp->status, bytes);
	metrics_protocol(&w->metrics, false);
	if (w->cfg->access_log) {
		struct log_entry e = {
			.iso = w->iso,
			.ip = ip,
			.method = io->log_method,
			.path = io->log_path,
			.target = io->log_target,
			.minor = io->log_minor,
			.status = resp->status,
			.referer = io->log_referer,
			.user_agent = io->log_agent,
			.bytes = bytes,
		};
		conn_client_ip(c, io->fwd_family, io->fwd, ip, sizeof ip);
		access_log_request(&w->log, &e);
	}
}

/* Body bytes the client took of an abandoned response: sent, less what
 * the kernel still holds for the socket. */
static uint64_t body_delivered(struct conn *c)
{
	struct conn_io *io = c->io;
	int q = 0;
	if (ioctl(c->fd, SIOCOUTQ, &q) < 0 || q < 0)
		q = 0;
	return io->body_sent > (uint64_t)q ? io->body_sent - (uint64_t)q : 0;
}

static void conn_close(struct worker *w, struct conn *c)
{
	if (c->state == CONN_CLOSED)
		return;
	if (c->io && !c->io->logged && c->state == CONN_SENDING)
		log_response(w, c, body_delivered(c));
	if (c->io && c->io->job) {
		/* Nobody waits for it any more: a helper that has not started
		 * it skips it. The loop frees it when it comes back. */
		atomic_store_explicit(&c->io->job->cancelled, true, memory_order_release);
		c->io->job = NULL;
	}
	if (c->h2)
		h2_free(w, c);
	if (c->tls) {
		tls_close(c->tls);
		c->tls = NULL;
	}
	close(c->fd);
	if (c->io) {
		io_put(w, c->io);
		c->io = NULL;
	}
	site_set_unref(c->sites);
	c->sites = NULL;
	c->state = CONN_CLOSED;
	if (c->prev)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->next = w->reap;
	w->reap = c;
	w->nconns--;
	atomic_fetch_sub_explicit(&worker_conn_count, 1, memory_order_relaxed);
}

void conn_reap(struct worker *w)
{
	while (w->reap) {
		struct conn *c = w->reap;
		w->reap = c->next;
		c->next = w->free_conns;
		w->free_conns = c;
	}
}

struct pool_job *conn_build(struct worker *w, struct conn *c, uint32_t sub,
			    const struct http_head *h, const struct request *r, int status,
			    struct response *resp, char *extra, size_t extra_cap)
{
	resp->head_len = 0;
	resp->fd = -1;
	resp->blob = NULL;
	resp->job = NULL;
	resp->delay = 0;
	resp->nsegs = 0;
	resp->body_len = 0;
	resp->overflow = false;
	w->serve.date = w->date;
	w->serve.now = w->now;
	w->serve.wall = w->wall_ts;
	w->serve.keep_alive_10 = !c->h2 && r && r->minor == 0 && r->keep_alive;
	/* The site the Host (or :authority) names, in the configuration the
	 * connection started with. */
	const struct site *site = &c->sites->sites[c->sites->def > 0 ? c->sites->def : 0];
	if (c->sites->cfg.nsites && r) {
		const struct site *found = site_find(c->sites, r->host);
		if (found)
			site = found;
		else if (!status && !(c->flags & CONN_REDIRECT))
			status = 421;
	}
	/* After a reload an HTTP/1.1 connection finishes this response under
	 * the configuration it began with, then closes: the next one starts
	 * under the new one, and old configurations do not linger. */
	if (!c->h2 && c->sites != w->sites)
		resp->close = true;
	w->serve.site = site;
	w->serve.cfg = site->cfg;
	w->serve.root = &site->root;
	w->serve.auth = site->auth;
	forwarded_client(w, c, h);
	w->serve.cors = site->cfg->cors_origin;
	w->serve.list = -1;
	w->serve.rpath_len = 0;
	if (status)
		serve_error(&w->serve, status, r && r->method == HTTP_HEAD, resp);
	else if (c->flags & CONN_REDIRECT)
		serve_redirect_https(&w->serve, r, w->cfg->port, resp);
	else
		serve_request(&w->serve, h, r, resp, extra, extra_cap);
	if (resp->job) {
		/* Work for a helper thread: the request waits for it. */
		struct pool_job *j = serve_job_base(resp->job);
		/* The job may use the site's settings and files: they stay. */
		serve_job_hold(resp->job, c->sites);
		resp->job = NULL;
		j->owner = w;
		j->target = c;
		j->gen = c->id;
		j->sub = sub;
		j->done = worker_job_done;
		if (pool_submit(j))
			return j;
		/* The pool is full: serve again with the job marked as not
		 * run, which gives the identity form or a 503. */
		struct serve_job *job = serve_job_of(j), *outer = w->serve.done;
		serve_job_reject(job);
		w->serve.done = job;
		serve_request(&w->serve, h, r, resp, extra, extra_cap);
		w->serve.done = outer;
		serve_job_free(job);
		if (resp->job) { /* another step wants a job too: not now */
			serve_job_free(resp->job);
			resp->job = NULL;
			conn_response_release(resp);
			serve_error(&w->serve, 503, r && r->method == HTTP_HEAD, resp);
		}
	}
	if (resp->overflow) {
		/* Too much for the header block: a site's header rules add
		 * more than it holds (the operator's -H lines are bounded at
		 * start-up). A fixed answer that always fits, and a line in
		 * the error log, at most one a second. */
		static _Atomic long last;
		long now = (long)time(NULL);
		if (atomic_exchange(&last, now) != now)
			log_msg(LOG_ERROR, "a response head passed %zu bytes (a site's header "
					   "rules add too much?): answered 500", resp->head_cap);
		static const char fixed[] = "HTTP/1.1 500 Internal Server Error\r\n"
					    "Content-Length: 0\r\nConnection: close\r\n\r\n";
		conn_response_release(resp);
		resp->nsegs = 0;
		resp->body_len = 0;
		resp->close = true;
		resp->status = 500;
		memcpy(resp->head, fixed, sizeof fixed - 1);
		resp->head_len = sizeof fixed - 1;
		resp->overflow = false;
	}
	return NULL;
}

/* Prepares the response buffer and builds the response into it. status 0:
 * serve the request; otherwise an error response with that status. */
static int respond(struct worker *w, struct conn *c, const struct http_head *h,
		   const struct request *r, int status, bool must_close)
{
	struct conn_io *io = c->io;
	struct response *resp = &io->resp;

	io->resume_at = 0;
	resp->head = io->head;
	resp->head_cap = sizeof io->head;
	resp->close = must_close || !r || !r->keep_alive || (c->flags & CONN_DRAIN);
	struct pool_job *j = conn_build(w, c, 0, h, r, status, resp, io->extra, sizeof io->extra);
	if (j) {
		c->stamp = w->now;
		io->job = j;
		return CONN_WAITING;
	}
	/* Nagle's algorithm would hold the tail of a response sent in several
	 * writes, or of the next response on this connection; a single write
	 * followed by close needs no TCP_NODELAY, so that case skips the call. */
	if (!(c->flags & CONN_NODELAY) && !(resp->close && resp->fd < 0)) {
		int one = 1;
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		c->flags |= CONN_NODELAY;
	}
	io->log_method = h ? h->method : (struct slice){ 0 };
	io->log_path = r ? r->path : (h ? h->target : (struct slice){ 0 });
	io->log_target = h ? h->target : (struct slice){ 0 };
	/* After a 505 only the digit after "HTTP/x." is known: log none. */
	io->log_minor = h && h->method.len && status != 505 ? h->minor : -1;
	io->log_referer = io->log_agent = (struct slice){ 0 };
	io->fwd_family = w->serve.fwd_family;
	memcpy(io->fwd, w->serve.fwd, sizeof io->fwd);
	if (h && w->cfg->access_log && w->cfg->log_format != LOG_FORMAT_DEFAULT) {
		const struct http_header *f = http_head_find(h, "referer");
		if (f)
			io->log_referer = f->value;
		if ((f = http_head_find(h, "user-agent")))
			io->log_agent = f->value;
	}
	io->out_head = 0;
	io->out_seg = 0;
	io->out_off = 0;
	io->sent = io->body_sent = 0;
	io->win_start = 0;
	io->logged = false;
	c->stamp = w->now;
	if (resp->delay) {
		/* Held back (a failed login): the sweep sends it later. */
		io->resume_at = w->now + resp->delay;
		return CONN_WAITING;
	}
	return CONN_SENDING;
}

/* An error found while reading the head: answer it and close. */
static int respond_error(struct worker *w, struct conn *c, int status, const struct http_head *h)
{
	struct conn_io *io = c->io;
	if (io->head_len == 0)
		io->head_len = io->rlen; /* everything read is dropped */
	return respond(w, c, h, NULL, status, true);
}

static const char continue_msg[] = "HTTP/1.1 100 Continue\r\n\r\n";
#define CONTINUE_LEN (sizeof continue_msg - 1)

/* Sends what is left of a "100 Continue". It is part of the output
 * stream: nothing else may be written before it is out (a TLS write must
 * even be repeated with the same bytes). Returns false while some is left;
 * the connection then waits for writability. */
static bool flush_continue(struct conn *c)
{
	struct conn_io *io = c->io;
	if (io->cont_left && io->batch && io->batch->n) {
		/* Responses gathered before it go first (cleartext only). */
		if (conn_out_flush(c, io->batch, NULL, 0) < 0) {
			io->cont_left = 0; /* the connection failed: reads will say so */
			return true;
		}
		if (io->batch->n)
			return false;
	}
	while (io->cont_left) {
		const char *p = continue_msg + CONTINUE_LEN - io->cont_left;
		long n;
		if (c->tls) {
			n = tls_write(c->tls, p, io->cont_left);
			if (n == TLS_WANT_WRITE || n == TLS_WANT_READ)
				n = 0;
			else if (n < 0)
				n = -1;
		} else {
			n = send(c->fd, p, io->cont_left, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
				n = 0;
		}
		if (n < 0) {
			io->cont_left = 0; /* the connection failed: reads will say so */
			return true;
		}
		if (n == 0) {
			c->flags &= ~CONN_WRITABLE;
			return false;
		}
		io->cont_left -= (unsigned)n;
	}
	return true;
}

static void send_continue(struct conn *c)
{
	struct conn_out *b = c->io->batch;
	if (b && b->n && conn_out_buf_room(b) >= CONTINUE_LEN && conn_out_room(b)) {
		/* Behind responses gathered for one write: it goes with
		 * them, in order (the read that follows flushes them). */
		conn_out_copy(b, continue_msg, CONTINUE_LEN);
		return;
	}
	c->io->cont_left = CONTINUE_LEN;
	flush_continue(c);
}

/* Hands the connection to HTTP/2 with what was read so far. */
static int start_h2(struct worker *w, struct conn *c)
{
	struct conn_io *io = c->io;
	int next = CONN_H2;
	if (!(c->flags & CONN_NODELAY)) {
		int one = 1;
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		c->flags |= CONN_NODELAY;
	}
	if (io) {
		next = h2_start(w, c, io->rbuf, io->rlen);
		io_put(w, io);
		c->io = NULL;
	} else {
		next = h2_start(w, c, NULL, 0);
	}
	return next;
}

/* Tries to make a request out of the buffered bytes. Returns the next
 * state, or STEP_WAIT when more bytes are needed. */
static int try_request(struct worker *w, struct conn *c)
{
	struct conn_io *io = c->io;
	const struct config *cfg = w->cfg;
	struct http_head h = { .headers = w->headers, .max_headers = cfg->max_headers };
	struct request r;
	long rc;

	if (io->head_len == 0 && c->nreq == 0 && !c->tls && !(c->flags & CONN_REDIRECT) &&
	    cfg->http2 && h2_available()) {
		/* HTTP/2 by prior knowledge: the client preface instead of a
		 * request line (RFC 9113 section 3.3). */
		size_t k = io->rlen < H2_PREFACE_LEN ? io->rlen : H2_PREFACE_LEN;
		if (memcmp(io->rbuf, H2_PREFACE, k) == 0) {
			if (k < H2_PREFACE_LEN)
				return STEP_WAIT;
			return start_h2(w, c);
		}
	}
	if (io->head_len == 0) {
		/* Re-parse only when a new line ended: a client trickling a
		 * head byte by byte costs no quadratic work. */
		if (io->scanned && io->rlen < cfg->max_head &&
		    !memchr(io->rbuf + io->scanned, '\n', io->rlen - io->scanned)) {
			io->scanned = io->rlen;
			return STEP_WAIT;
		}
		rc = http_parse_request(io->rbuf, io->rlen, &h);
		if (rc == HTTP_PARSE_INCOMPLETE) {
			if (io->rlen < cfg->max_head) {
				io->scanned = io->rlen;
				return STEP_WAIT;
			}
			/* No room left: 414 while the request line is unfinished. */
			return respond_error(w, c, memchr(io->rbuf, '\n', io->rlen) ? 431 : 414, NULL);
		}
		if (rc < 0) {
			int status = rc == HTTP_PARSE_TOO_MANY ? 431 : rc == HTTP_PARSE_VERSION ? 505 : 400;
			return respond_error(w, c, status, rc == HTTP_PARSE_BAD ? NULL : &h);
		}
		io->head_len = (size_t)rc;
		io->scanned = 0;
		int status = http_request_read(&h, &r);
		if (status == 400 || status == 417) {
			io->head_len = io->rlen;
			return respond(w, c, &h, &r, status, true);
		}
		if (r.content_length > cfg->max_body) {
			io->head_len = io->rlen;
			return respond(w, c, &h, &r, 413, true);
		}
		if (r.content_length && r.expect_continue && status) {
			/* Refused whatever the body holds: answer now, without
			 * inviting the body (RFC 9110 section 10.1.1), and close. */
			io->head_len = io->rlen;
			return respond(w, c, &h, &r, status, true);
		}
		if (r.content_length) {
			c->discard = r.content_length;
			if (r.expect_continue)
				send_continue(c);
		} else {
			return respond(w, c, &h, &r, status, false);
		}
	}

	/* Drop body bytes that follow the head in the buffer. */
	size_t avail = io->rlen - io->head_len;
	size_t k = avail < c->discard ? avail : (size_t)c->discard;
	if (k) {
		memmove(io->rbuf + io->head_len, io->rbuf + io->head_len + k, avail - k);
		io->rlen -= k;
		c->discard -= k;
		c->stamp = w->now;
	}
	if (c->discard)
		return STEP_WAIT;
	/* The body is gone; the head is still at the start of the buffer. */
	rc = http_parse_request(io->rbuf, io->head_len, &h);
	int status = rc > 0 ? http_request_read(&h, &r) : 400;
	return respond(w, c, &h, &r, status, rc <= 0);
}

static int read_requests(struct worker *w, struct conn *c);

static bool batch_pending(const struct conn *c)
{
	return c->io && c->io->batch && c->io->batch->n;
}

/* Sends the gathered pipelined responses; false if the connection failed. */
static bool flush_batch(struct worker *w, struct conn *c)
{
	if (!batch_pending(c))
		return true;
	struct conn_out *b = c->io->batch;
	uint64_t before = b->sent;
	if (conn_out_flush(c, b, w->copy_buf, WORKER_COPY_BUF) < 0)
		return false;
	if (b->sent != before)
		c->stamp = w->now;
	return true;
}

/* Reading requests; before waiting for more, the responses gathered for
 * the requests already read leave in one write. A client that closed its
 * side still gets them (FLUSHING). */
static int on_reading(struct worker *w, struct conn *c)
{
	int next = read_requests(w, c);
	if (next == STEP_CLOSE && batch_pending(c))
		return CONN_FLUSHING;
	if (next == STEP_WAIT) {
		if (!flush_batch(w, c))
			return STEP_CLOSE;
		release_if_idle(w, c);
	}
	return next;
}

static int on_flushing(struct worker *w, struct conn *c)
{
	if (!flush_batch(w, c))
		return STEP_CLOSE;
	if (batch_pending(c))
		return STEP_WAIT;
	return conn_linger(w, c);
}

static int read_requests(struct worker *w, struct conn *c)
{
	if (c->io && c->io->cont_left && (c->flags & CONN_WRITABLE))
		flush_continue(c);
	for (;;) {
		struct conn_io *io = c->io;
		if (io && io->rlen) {
			int next = try_request(w, c);
			if (next != STEP_WAIT)
				return next;
		}
		if (!(c->flags & CONN_READABLE)) {
			release_if_idle(w, c);
			return STEP_WAIT;
		}
		if (!io && !(io = c->io = io_get(w)))
			return STEP_CLOSE;
		/* While a body is dropped the head stays put; the rest of the
		 * buffer takes the body bytes. */
		size_t room = w->cfg->max_head - io->rlen;
		if (room == 0) {
			/* A head that fills the buffer exactly, with a body
			 * behind it: drop body bytes without storing them. */
			char sink[4096];
			uint64_t want = c->discard < sizeof sink ? c->discard : sizeof sink;
			ssize_t k = want ? conn_recv(c, sink, (size_t)want) : -1;
			if (k > 0) {
				c->discard -= (uint64_t)k;
				c->stamp = w->now;
				if (c->discard == 0)
					return try_request(w, c);
				continue;
			}
			if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
				c->flags &= ~CONN_READABLE;
				return STEP_WAIT;
			}
			return STEP_CLOSE;
		}
		ssize_t n = conn_recv(c, io->rbuf + io->rlen, room);
		if (n > 0) {
			if (io->rlen == 0 && c->discard == 0)
				c->stamp = w->now; /* a new request starts */
			io->rlen += (size_t)n;
			/* A short TLS read is one record, not an empty socket. */
			if ((size_t)n < room && !(c->flags & CONN_PEER_SHUT) && !c->tls)
				c->flags &= ~CONN_READABLE;
			continue;
		}
		if (n == 0)
			return STEP_CLOSE;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			c->flags &= ~CONN_READABLE;
			release_if_idle(w, c);
			return STEP_WAIT;
		}
		if (errno == EINTR)
			continue;
		return STEP_CLOSE;
	}
}

static int finish_response(struct worker *w, struct conn *c)
{
	struct conn_io *io = c->io;
	struct response *resp = &io->resp;

	log_response(w, c, resp->body_len); /* all of it (0 for HEAD and 304) */
	if (io->body_sent >= DRAIN_WATCH_MIN) {
		/* A body the kernel took whole still has to reach the client
		 * at the minimum rate: the sweep keeps an eye on it. */
		int q = 0;
		if (ioctl(c->fd, SIOCOUTQ, &q) == 0 && q > 0) {
			c->drain_left = (uint32_t)q;
			c->drain_stamp = w->now;
		}
	}
	conn_response_release(resp);
	c->nreq++;
	io->rlen -= io->head_len;
	memmove(io->rbuf, io->rbuf + io->head_len, io->rlen);
	io->head_len = 0;
	io->scanned = 0;
	c->stamp = w->now;
	if (resp->close || (c->flags & CONN_DRAIN)) {
		/* Unread bytes at close(2) make the kernel send a reset that can
		 * destroy the response in flight: half-close and drain first. */
		bool linger = io->rlen || c->discard || resp->status >= 400;
		if (!linger)
			return STEP_CLOSE;
		if (c->tls) {
			/* close_notify goes first; what follows is dropped unread. */
			tls_close(c->tls);
			c->tls = NULL;
		}
		shutdown(c->fd, SHUT_WR);
		io->rlen = 0;
		c->discard = 0;
		release_if_idle(w, c);
		return CONN_LINGERING;
	}
	return CONN_READING;
}

/* Marks n more bytes as sent. */
static void advance(struct conn_io *io, size_t n)
{
	struct response *resp = &io->resp;
	io->sent += n;
	size_t h = resp->head_len - io->out_head;
	if (h) {
		size_t k = n < h ? n : h;
		io->out_head += k;
		n -= k;
	}
	io->body_sent += n;
	while (n && io->out_seg < resp->nsegs) {
		uint64_t left = resp->segs[io->out_seg].len - io->out_off;
		if (n < left) {
			io->out_off += n;
			return;
		}
		n -= (size_t)left;
		io->out_seg++;
		io->out_off = 0;
	}
}

/* A response of memory only, answering a pipelined request: copied into
 * the batch that leaves in one write once no complete request is left
 * in the buffer (or the batch is full). Returns false if it does not
 * qualify. */
#define BATCH_RESPONSE_MAX (16 * 1024)
static bool batch_take(struct conn *c)
{
	struct conn_io *io = c->io;
	struct response *resp = &io->resp;
	if (c->tls || resp->fd >= 0 || resp->close || (c->flags & CONN_DRAIN) || io->cont_left ||
	    resp->head_len + resp->body_len > BATCH_RESPONSE_MAX)
		return false;
	bool more = io->rlen > io->head_len;
	if (!more && !(io->batch && io->batch->n))
		return false; /* a lone response goes the usual way */
	if (!io->batch && !(io->batch = calloc(1, sizeof *io->batch)))
		return false;
	struct conn_out *b = io->batch;
	if (conn_out_buf_room(b) < resp->head_len + resp->body_len ||
	    conn_out_room(b) < resp->nsegs + 1)
		return false;
	conn_out_copy(b, io->head, resp->head_len);
	for (unsigned i = 0; i < resp->nsegs; i++)
		conn_out_copy(b, resp->segs[i].mem, resp->segs[i].len);
	io->out_head = resp->head_len;
	io->out_seg = resp->nsegs;
	io->out_off = 0;
	io->sent = resp->head_len + resp->body_len;
	io->body_sent = resp->body_len;
	return true;
}

static int on_sending(struct worker *w, struct conn *c)
{
	struct conn_io *io = c->io;
	struct response *resp = &io->resp;

	if (io->cont_left && !flush_continue(c))
		return STEP_WAIT;
	if (io->sent == 0 && io->out_head == 0) {
		if (batch_take(c))
			return finish_response(w, c);
		if (!flush_batch(w, c))
			return STEP_CLOSE;
		if (io->batch && io->batch->n)
			return STEP_WAIT; /* earlier responses go first */
	}
	for (;;) {
		ssize_t n;
		size_t want;

		if (!(c->flags & CONN_WRITABLE))
			return STEP_WAIT;
		if (io->out_head < resp->head_len ||
		    (io->out_seg < resp->nsegs && resp->segs[io->out_seg].mem)) {
			/* The header block and any memory segments after it
			 * leave in one sendmsg; MSG_MORE holds them for the
			 * file bytes that follow, so the head travels with
			 * the first body bytes. */
			struct iovec iov[8];
			int k = 0;
			unsigned s = io->out_seg;
			uint64_t off = io->out_off;
			want = 0;
			if (io->out_head < resp->head_len) {
				iov[k].iov_base = io->head + io->out_head;
				iov[k].iov_len = resp->head_len - io->out_head;
				want += iov[k++].iov_len;
			}
			while (k < 8 && s < resp->nsegs && resp->segs[s].mem) {
				iov[k].iov_base = (void *)(resp->segs[s].mem + off);
				iov[k].iov_len = (size_t)(resp->segs[s].len - off);
				want += iov[k++].iov_len;
				off = 0;
				s++;
			}
			struct msghdr msg = { .msg_iov = iov, .msg_iovlen = (size_t)k };
			n = sendmsg(c->fd, &msg, MSG_NOSIGNAL | (s < resp->nsegs ? MSG_MORE : 0));
		} else if (io->out_seg < resp->nsegs) {
			const struct body_seg *seg = &resp->segs[io->out_seg];
			off_t off = (off_t)(seg->off + io->out_off);
			uint64_t left = seg->len - io->out_off;
			if (w->copy_buf && (w->cfg->sendfile == SENDFILE_OFF ||
					    resp->body_len > CONFIG_SENDFILE_AUTO_MAX)) {
				/* A copy through a buffer: measured faster than
				 * sendfile for long streams (bench/README.md). */
				want = left > WORKER_COPY_BUF ? WORKER_COPY_BUF : (size_t)left;
				ssize_t got = pread(resp->fd, w->copy_buf, want, off);
				if (got <= 0)
					return STEP_CLOSE;
				want = (size_t)got;
				n = send(c->fd, w->copy_buf, want, MSG_NOSIGNAL);
			} else {
				want = left > SENDFILE_CHUNK ? SENDFILE_CHUNK : (size_t)left;
				n = sendfile(c->fd, resp->fd, &off, want);
			}
			if (n == 0)
				return STEP_CLOSE; /* the file shrank: the length is a lie now */
		} else {
			return finish_response(w, c);
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				c->flags &= ~CONN_WRITABLE;
				return STEP_WAIT;
			}
			if (errno == EINTR)
				continue;
			return STEP_CLOSE;
		}
		advance(io, (size_t)n);
		c->stamp = w->now;
		if ((size_t)n < want)
			c->flags &= ~CONN_WRITABLE;
	}
}

/* HTTPS: everything after the head goes through a buffer, as TLS records,
 * unless the kernel does TLS, in which case file bytes go with sendfile. */
static int on_sending_tls(struct worker *w, struct conn *c)
{
	struct conn_io *io = c->io;
	struct response *resp = &io->resp;

	if (io->cont_left && !flush_continue(c))
		return STEP_WAIT;
	for (;;) {
		long n;
		if (!(c->flags & CONN_WRITABLE))
			return STEP_WAIT;
		if (io->out_head == resp->head_len && io->out_seg == resp->nsegs)
			return finish_response(w, c);
		const struct body_seg *seg = &resp->segs[io->out_seg];
		if (io->out_head == resp->head_len && !seg->mem && tls_ktls_send(c->tls)) {
			uint64_t left = seg->len - io->out_off;
			n = tls_sendfile(c->tls, resp->fd, (off_t)(seg->off + io->out_off),
					 left > SENDFILE_CHUNK ? SENDFILE_CHUNK : (size_t)left);
		} else {
			/* Gather the next bytes: rest of the head, memory
			 * segments, file bytes. A retried write gathers the
			 * same bytes again, as OpenSSL requires. */
			size_t want = 0;
			if (io->out_head < resp->head_len) {
				want = resp->head_len - io->out_head;
				if (want > TLS_CHUNK)
					want = TLS_CHUNK;
				memcpy(w->copy_buf, io->head + io->out_head, want);
			}
			unsigned k = io->out_seg;
			uint64_t off = io->out_off;
			while (want < TLS_CHUNK && k < resp->nsegs) {
				const struct body_seg *g = &resp->segs[k];
				if (!g->mem && tls_ktls_send(c->tls) && want)
					break; /* the file goes by sendfile next */
				size_t take = (size_t)(g->len - off < TLS_CHUNK - want
							       ? g->len - off
							       : TLS_CHUNK - want);
				if (g->mem) {
					memcpy(w->copy_buf + want, g->mem + off, take);
				} else {
					ssize_t got = pread(resp->fd, w->copy_buf + want, take,
							    (off_t)(g->off + off));
					if (got <= 0)
						return STEP_CLOSE; /* the file shrank */
					take = (size_t)got;
				}
				want += take;
				off += take;
				if (off < g->len)
					break;
				k++;
				off = 0;
			}
			/* A partial write takes one record: offer the rest of
			 * the gathered bytes before gathering again. */
			size_t done = 0;
			do {
				n = tls_write(c->tls, w->copy_buf + done, want - done);
				if (n > 0)
					done += (size_t)n;
			} while (n > 0 && done < want);
			if (done) {
				advance(io, done);
				c->stamp = w->now;
				if (n > 0)
					continue;
			}
		}
		if (n == TLS_WANT_WRITE || n == TLS_WANT_READ) {
			c->flags &= ~CONN_WRITABLE;
			return STEP_WAIT;
		}
		if (n <= 0)
			return STEP_CLOSE;
		advance(io, (size_t)n);
		c->stamp = w->now;
	}
}

/* Plain HTTP sent to the HTTPS port: say so, as nginx does, instead of
 * failing the handshake silently. */
static int plain_on_https_port(struct conn *c)
{
	static const char msg[] = "HTTP/1.1 400 Bad Request\r\n"
				  "Content-Type: text/plain; charset=utf-8\r\n"
				  "Content-Length: 53\r\n"
				  "Connection: close\r\n\r\n"
				  "This port speaks HTTPS: use an https:// URL instead.\n";
	tls_close(c->tls);
	c->tls = NULL;
	(void)send(c->fd, msg, sizeof msg - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	shutdown(c->fd, SHUT_WR);
	c->discard = 0;
	return CONN_LINGERING;
}

static int on_handshake(struct worker *w, struct conn *c)
{
	static atomic_bool ktls_seen;
	if (!(c->flags & CONN_PEEKED)) {
		/* A TLS record starts with 0x16; a request line with a letter. */
		unsigned char b;
		ssize_t n = recv(c->fd, &b, 1, MSG_PEEK);
		if (n == 1) {
			c->flags |= CONN_PEEKED;
			if (b >= 'A' && b <= 'Z')
				return plain_on_https_port(c);
		}
	}
	int rc = tls_handshake(c->tls);
	if (rc == TLS_OK) {
		if (tls_ktls_send(c->tls) && !atomic_exchange(&ktls_seen, true))
			log_msg(LOG_INFO, "kernel TLS in use: file bodies go with sendfile");
		int one = 1;
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		c->flags |= CONN_NODELAY;
		c->stamp = w->now;
		if (tls_alpn_h2(c->tls) && w->cfg->http2)
			return start_h2(w, c);
		return CONN_READING;
	}
	if (rc == TLS_WANT_READ) {
		c->flags &= ~CONN_READABLE;
		return STEP_WAIT;
	}
	if (rc == TLS_WANT_WRITE) {
		c->flags &= ~CONN_WRITABLE;
		return STEP_WAIT;
	}
	return STEP_CLOSE;
}

static int on_lingering(struct worker *w, struct conn *c)
{
	char buf[4096];
	(void)w;
	for (;;) {
		if (!(c->flags & CONN_READABLE))
			return STEP_WAIT;
		ssize_t n = recv(c->fd, buf, sizeof buf, 0);
		if (n > 0) {
			if (c->discard + (uint64_t)n > LINGER_BYTES)
				return STEP_CLOSE;
			c->discard += (uint64_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			c->flags &= ~CONN_READABLE;
			return STEP_WAIT;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return STEP_CLOSE;
	}
}

/* The one place where states change. */
static void conn_run(struct worker *w, struct conn *c)
{
	for (;;) {
		int next;
		switch (c->state) {
		case CONN_HANDSHAKE: next = on_handshake(w, c); break;
		case CONN_READING: next = on_reading(w, c); break;
		case CONN_WAITING: next = STEP_WAIT; break;
		case CONN_SENDING: next = c->tls ? on_sending_tls(w, c) : on_sending(w, c); break;
		case CONN_LINGERING: next = on_lingering(w, c); break;
		case CONN_FLUSHING: next = on_flushing(w, c); break;
		case CONN_H2: next = h2_run(w, c); break;
		case CONN_PROXY: next = on_proxy(w, c); break;
		default: return;
		}
		if (next == STEP_WAIT) {
			if (!(c->flags & CONN_WATCHED)) {
				if (worker_watch(w, c->fd, c) < 0) {
					conn_close(w, c);
					return;
				}
				c->flags |= CONN_WATCHED;
			}
			return;
		}
		if (next == STEP_CLOSE) {
			conn_close(w, c);
			return;
		}
		c->state = (uint8_t)next;
	}
}

void conn_on_event(struct worker *w, struct conn *c, uint32_t events)
{
	if (c->state == CONN_CLOSED)
		return;
	if (c->state == CONN_WAITING && (events & (EPOLLHUP | EPOLLERR))) {
		/* The client reset the connection while its response was
		 * being prepared: drop it and its job. A half-close (FIN) is
		 * not a reset: many clients send it after their request. */
		conn_close(w, c);
		return;
	}
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->flags |= CONN_READABLE;
	if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->flags |= CONN_PEER_SHUT;
	if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		c->flags |= CONN_WRITABLE;
	/* A TLS read can wait on writability and a write on readability:
	 * either edge lets both be tried (a wrong guess costs one EAGAIN). */
	if (c->tls && (events & (EPOLLIN | EPOLLOUT)))
		c->flags |= CONN_READABLE | CONN_WRITABLE;
	conn_run(w, c);
}

/* A connection between responses whose last ones the kernel still sends:
 * the same minimum rate applies to what it queues. Returns false when the
 * connection was reset for it. */
static bool drain_check(struct worker *w, struct conn *c)
{
	uint32_t window = w->cfg->send_timeout;
	if (!c->drain_left || w->now - c->drain_stamp < window)
		return true;
	int q = 0;
	if (ioctl(c->fd, SIOCOUTQ, &q) < 0 || q <= 0) {
		c->drain_left = 0;
		return true;
	}
	uint64_t taken = (uint32_t)q < c->drain_left ? c->drain_left - (uint32_t)q : 0;
	if (taken < (uint64_t)window * CONN_SEND_MIN_RATE) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		conn_close(w, c);
		return false;
	}
	c->drain_left = (uint32_t)q;
	c->drain_stamp = w->now;
	return true;
}

/* A response must reach the client at CONN_SEND_MIN_RATE on average over
 * each --send-timeout window: what the kernel still queues for the socket
 * does not count as delivered. A reader slower than that is closed. */
static void send_rate_check(struct worker *w, struct conn *c)
{
	struct conn_io *io = c->io;
	uint32_t window = w->cfg->send_timeout;
	if (!io || (io->win_start && w->now - io->win_start < window))
		return;
	int q = 0;
	if (ioctl(c->fd, SIOCOUTQ, &q) < 0 || q < 0)
		q = 0;
	if (io->win_start) {
		/* What left the kernel's queue in the window: what it held
		 * at the start (an earlier pipelined response's tail too),
		 * plus what was written since, less what it holds now. */
		uint64_t delivered = io->win_queued + (io->sent - io->win_sent);
		delivered = delivered > (uint64_t)q ? delivered - (uint64_t)q : 0;
		if (delivered < (uint64_t)window * CONN_SEND_MIN_RATE) {
			/* Reset, not close: a close would leave the kernel
			 * feeding the queued bytes to the same slow reader. */
			struct linger lg = { .l_onoff = 1, .l_linger = 0 };
			setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
			conn_close(w, c);
			return;
		}
	}
	io->win_start = w->now;
	io->win_sent = io->sent;
	io->win_queued = (uint32_t)q;
}

int conn_out_queued(const struct conn *c)
{
	int q = 0;
	if (ioctl(c->fd, SIOCOUTQ, &q) < 0 || q < 0)
		q = 0;
	return q;
}

void conn_reset(struct worker *w, struct conn *c)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	conn_close(w, c);
}

int conn_linger(struct worker *w, struct conn *c)
{
	if (c->h2)
		h2_free(w, c);
	if (c->tls) {
		tls_close(c->tls);
		c->tls = NULL;
	}
	shutdown(c->fd, SHUT_WR);
	c->discard = 0;
	c->stamp = w->now;
	if (c->io) {
		io_put(w, c->io);
		c->io = NULL;
	}
	return CONN_LINGERING;
}

void conn_resume(struct worker *w, struct conn *c)
{
	conn_run(w, c);
}

void conn_job_finished(struct worker *w, struct pool_job *j)
{
	struct conn *c = j->target;
	struct serve_job *job = serve_job_of(j);
	if (c->state == CONN_H2 && c->id == j->gen) {
		h2_job_finished(w, c, j);
		conn_run(w, c);
		return;
	}
	if (c->state != CONN_WAITING || c->id != j->gen || (c->io && c->io->resume_at)) {
		serve_job_free(job); /* the connection is gone */
		return;
	}
	/* The head is still at the start of the buffer: parse it again and
	 * serve the request with the job's result. */
	struct conn_io *io = c->io;
	io->job = NULL;
	struct http_head h = { .headers = w->headers, .max_headers = w->cfg->max_headers };
	struct request r;
	long rc = http_parse_request(io->rbuf, io->head_len, &h);
	int status = rc > 0 ? http_request_read(&h, &r) : 400;
	w->serve.done = job;
	int next = respond(w, c, &h, rc > 0 ? &r : NULL, status, rc <= 0);
	w->serve.done = NULL;
	serve_job_free(job);
	c->state = (uint8_t)next;
	conn_run(w, c);
}

void conn_sweep(struct worker *w)
{
	const struct config *cfg = w->cfg;
	struct conn *c = w->conns, *next;

	for (; c; c = next) {
		next = c->next;
		uint32_t idle = w->now - c->stamp;
		bool partial = (c->io && c->io->rlen) || c->discard || batch_pending(c);
		switch (c->state) {
		case CONN_PROXY:
		case CONN_HANDSHAKE:
			if (w->stopping || idle > cfg->head_timeout)
				conn_close(w, c);
			break;
		case CONN_READING:
			if (!drain_check(w, c))
				break;
			if (w->stopping && !partial) {
				conn_close(w, c);
				break;
			}
			if (w->stopping)
				c->flags |= CONN_DRAIN;
			/* Whole seconds: "> T" closes after T to T+1 s. */
			if (idle > (partial || c->nreq == 0 ? cfg->head_timeout : cfg->keepalive_timeout))
				conn_close(w, c);
			break;
		case CONN_WAITING:
			/* Jobs end by themselves; at a stop the grace period
			 * bounds the wait. A held-back response goes when due. */
			if (w->stopping)
				c->flags |= CONN_DRAIN;
			if (c->io && c->io->resume_at &&
			    ((int32_t)(w->now - c->io->resume_at) >= 0 || w->stopping)) {
				c->io->resume_at = 0;
				c->io->win_start = 0;
				c->state = CONN_SENDING;
				conn_run(w, c);
			}
			break;
		case CONN_SENDING:
			if (w->stopping)
				c->flags |= CONN_DRAIN;
			send_rate_check(w, c);
			break;
		case CONN_LINGERING:
			if (!drain_check(w, c))
				break;
			if (idle > LINGER_SECONDS)
				conn_close(w, c);
			break;
		case CONN_FLUSHING:
			if (idle > cfg->send_timeout)
				conn_reset(w, c);
			break;
		case CONN_H2:
			h2_sweep(w, c);
			break;
		default:
			break;
		}
	}
}

void conn_close_all(struct worker *w)
{
	while (w->conns)
		conn_close(w, w->conns);
}

void conn_free_pools(struct worker *w)
{
	conn_reap(w);
	h2_free_pools();
	conn_out_free_pools();
	while (w->free_conns) {
		struct conn *c = w->free_conns;
		w->free_conns = c->next;
		free(c);
	}
	while (w->free_io) {
		struct conn_io *io = w->free_io;
		w->free_io = io->next_free;
		free(io);
	}
	w->nfree_io = 0;
}
