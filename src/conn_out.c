/* conn_out.c - the output queue of a connection (see conn_out.h). The
 * copy buffer is only ever appended to, and starts over when the queue is
 * empty, so queued pointers into it stay valid. */
#include "conn_out.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "conn.h"
#include "tls.h"

#define IOV_GATHER 64
#define SENDFILE_CHUNK (1u << 30)
/* With kernel TLS, file chunks this long go by sendfile; shorter ones
 * (an HTTP/2 frame's payload) are copied, so a frame is one record. */
#define KTLS_SENDFILE_MIN (64 * 1024)

/* Copy buffers a thread keeps for reuse: a connection holds one only
 * while it has something queued. */
#define SPARE_BUFS 4
static _Thread_local char *spare[SPARE_BUFS];
static _Thread_local unsigned nspare;

static char *buf_get(void)
{
	return nspare ? spare[--nspare] : malloc(CONN_OUT_BUF);
}

static void buf_put(char *b)
{
	if (nspare < SPARE_BUFS)
		spare[nspare++] = b;
	else
		free(b);
}

void conn_out_trim(struct conn_out *o)
{
	if (!o->n && o->buf) {
		buf_put(o->buf);
		o->buf = NULL;
		o->buf_len = 0;
	}
}

void conn_out_free_pools(void)
{
	while (nspare)
		free(spare[--nspare]);
}

static struct conn_chunk *at(struct conn_out *o, unsigned i)
{
	return &o->q[(o->head + i) % CONN_OUT_CHUNKS];
}

unsigned conn_out_room(const struct conn_out *o)
{
	return CONN_OUT_CHUNKS - o->n;
}

size_t conn_out_buf_room(const struct conn_out *o)
{
	return CONN_OUT_BUF - (o->n ? o->buf_len : 0);
}

static bool in_buf(const struct conn_out *o, const char *p)
{
	return o->buf && p >= o->buf && p <= o->buf + CONN_OUT_BUF;
}

size_t conn_out_copy(struct conn_out *o, const void *p, size_t n)
{
	if (o->n == 0)
		o->buf_len = 0;
	if (!o->buf && !(o->buf = buf_get()))
		return 0;
	size_t room = CONN_OUT_BUF - o->buf_len;
	if (n > room)
		n = room;
	if (n == 0)
		return 0;
	char *dst = o->buf + o->buf_len;
	struct conn_chunk *last = o->n ? at(o, o->n - 1) : NULL;
	if (last && last->mem && !last->owner && in_buf(o, last->mem) && last->mem + last->len == dst) {
		last->len += (uint32_t)n; /* the same run of copied bytes */
	} else if (!conn_out_add(o, dst, -1, 0, (uint32_t)n, NULL)) {
		return 0;
	} else {
		o->queued -= n; /* conn_out_add counted it; counted below */
	}
	memcpy(dst, p, n);
	o->buf_len += n;
	o->queued += n;
	return n;
}

bool conn_out_add(struct conn_out *o, const char *mem, int fd, uint64_t off, uint32_t len,
		  void *owner)
{
	if (o->n == CONN_OUT_CHUNKS)
		return false;
	*at(o, o->n++) = (struct conn_chunk){ .mem = mem, .owner = owner, .off = off, .len = len, .fd = fd };
	o->queued += len;
	return true;
}

/* n bytes from the head of the queue are gone. */
static void consume(struct conn_out *o, size_t n)
{
	o->sent += n;
	o->queued -= n;
	while (n) {
		struct conn_chunk *k = at(o, 0);
		size_t left = k->len - o->head_off;
		if (n < left) {
			o->head_off += (uint32_t)n;
			return;
		}
		n -= left;
		void *owner = k->owner;
		o->head = (o->head + 1) % CONN_OUT_CHUNKS;
		o->n--;
		o->head_off = 0;
		if (owner && o->release)
			o->release(o->ctx, owner);
	}
	/* Empty chunks at the head are done too. */
	while (o->n && at(o, 0)->len == 0) {
		void *owner = at(o, 0)->owner;
		o->head = (o->head + 1) % CONN_OUT_CHUNKS;
		o->n--;
		if (owner && o->release)
			o->release(o->ctx, owner);
	}
}

/* Cleartext: memory chunks in one sendmsg (MSG_MORE when file bytes
 * follow, so a frame header leaves with its payload), file chunks with
 * sendfile. */
static long send_plain(struct conn *c, struct conn_out *o, size_t *want)
{
	struct conn_chunk *k = at(o, 0);
	if (k->mem) {
		struct iovec iov[IOV_GATHER];
		unsigned i = 0;
		*want = 0;
		while (i < IOV_GATHER && i < o->n) {
			struct conn_chunk *g = at(o, i);
			if (!g->mem)
				break;
			size_t skip = i == 0 ? o->head_off : 0;
			iov[i].iov_base = (void *)(g->mem + skip);
			iov[i].iov_len = g->len - skip;
			*want += iov[i].iov_len;
			i++;
		}
		struct msghdr msg = { .msg_iov = iov, .msg_iovlen = i };
		return sendmsg(c->fd, &msg, MSG_NOSIGNAL | (i < o->n ? MSG_MORE : 0));
	}
	off_t off = (off_t)(k->off + o->head_off);
	size_t left = k->len - o->head_off;
	*want = left > SENDFILE_CHUNK ? SENDFILE_CHUNK : left;
	ssize_t n = sendfile(c->fd, k->fd, &off, *want);
	if (n == 0) {
		errno = EIO; /* the file shrank: the promised length is a lie now */
		return -1;
	}
	return n;
}

/* TLS: gather the next bytes into one buffer and write them as records.
 * A retried write gathers the same bytes again, as OpenSSL requires. */
static long send_tls(struct conn *c, struct conn_out *o, char *buf, size_t cap, size_t *want)
{
	struct conn_chunk *k = at(o, 0);
	if (!k->mem && k->len >= KTLS_SENDFILE_MIN && tls_ktls_send(c->tls)) {
		size_t left = k->len - o->head_off;
		*want = left > SENDFILE_CHUNK ? SENDFILE_CHUNK : left;
		long n = tls_sendfile(c->tls, k->fd, (off_t)(k->off + o->head_off), *want);
		if (n == TLS_WANT_WRITE || n == TLS_WANT_READ) {
			errno = EAGAIN;
			return -1;
		}
		if (n <= 0)
			errno = EIO;
		return n <= 0 ? -1 : n;
	}
	size_t len = 0;
	for (unsigned i = 0; i < o->n && len < cap; i++) {
		struct conn_chunk *g = at(o, i);
		if (!g->mem && g->len >= KTLS_SENDFILE_MIN && tls_ktls_send(c->tls))
			break; /* the file goes by sendfile next */
		size_t skip = i == 0 ? o->head_off : 0;
		size_t take = g->len - skip < cap - len ? g->len - skip : cap - len;
		if (g->mem) {
			memcpy(buf + len, g->mem + skip, take);
		} else {
			ssize_t got = pread(g->fd, buf + len, take, (off_t)(g->off + skip));
			if (got <= 0) {
				errno = EIO;
				return -1;
			}
			take = (size_t)got;
		}
		len += take;
		if (take < g->len - skip)
			break;
	}
	*want = len;
	size_t done = 0;
	long n;
	do {
		n = tls_write(c->tls, buf + done, len - done);
		if (n > 0)
			done += (size_t)n;
	} while (n > 0 && done < len);
	if (done)
		return (long)done;
	errno = n == TLS_WANT_WRITE || n == TLS_WANT_READ ? EAGAIN : EIO;
	return -1;
}

int conn_out_flush(struct conn *c, struct conn_out *o, char *copy_buf, size_t copy_cap)
{
	while (o->n) {
		if (!(c->flags & CONN_WRITABLE))
			return 0;
		size_t want = 0;
		/* A short sendfile may mean the file ended, not the socket
		 * filled: only the next call (EAGAIN, or 0) tells. */
		bool file = !c->tls && !at(o, 0)->mem;
		long n = c->tls ? send_tls(c, o, copy_buf, copy_cap, &want) : send_plain(c, o, &want);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				c->flags &= ~CONN_WRITABLE;
				return 0;
			}
			if (errno == EINTR)
				continue;
			return -1;
		}
		consume(o, (size_t)n);
		if ((size_t)n < want && !file)
			c->flags &= ~CONN_WRITABLE;
	}
	return 0;
}

void conn_out_free(struct conn_out *o)
{
	while (o->n) {
		void *owner = at(o, 0)->owner;
		o->head = (o->head + 1) % CONN_OUT_CHUNKS;
		o->n--;
		if (owner && o->release)
			o->release(o->ctx, owner);
	}
	o->head_off = 0;
	o->queued = 0;
	if (o->buf)
		buf_put(o->buf);
	o->buf = NULL;
	o->buf_len = 0;
}
