/* conn_out.h - a connection's output queue: chunks of memory (copied into
 * the queue's buffer, or referenced where they live) and of files, sent
 * in order with gathered writes: sendmsg for memory, sendfile for file
 * chunks on cleartext sockets, one TLS record buffer over TLS. A protocol
 * fills it (HTTP/2 frames); the transport drains it. Each referenced
 * chunk names an owner, released once the chunk is sent or dropped. */
#ifndef CONN_OUT_H
#define CONN_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conn;

#define CONN_OUT_CHUNKS 256
#define CONN_OUT_BUF (64 * 1024) /* bytes copied into the queue */

struct conn_chunk {
	const char *mem; /* bytes to send, or NULL: bytes of fd */
	void *owner;     /* released when the chunk is done, or NULL */
	uint64_t off;    /* file offset */
	uint32_t len;
	int fd;
};

struct conn_out {
	struct conn_chunk q[CONN_OUT_CHUNKS];
	unsigned head, n;  /* queued chunks: q[head] ... q[head + n - 1] */
	uint32_t head_off; /* bytes of q[head] already sent */
	char *buf;         /* CONN_OUT_BUF bytes, allocated when first needed */
	size_t buf_len;
	uint64_t queued;   /* bytes waiting in the queue */
	uint64_t sent;     /* bytes written to the socket so far */
	void (*release)(void *ctx, void *owner);
	void *ctx;
};

/* Copies up to n bytes into the queue; returns how many it took (0 when
 * the buffer is full or memory is short). */
size_t conn_out_copy(struct conn_out *o, const void *p, size_t n);

/* Queues len bytes at mem (which must stay valid until owner is
 * released) or, with mem NULL, bytes of fd from off. False when the queue
 * has no free chunk. */
bool conn_out_add(struct conn_out *o, const char *mem, int fd, uint64_t off, uint32_t len,
		  void *owner);

/* Free chunk slots. */
unsigned conn_out_room(const struct conn_out *o);

/* Bytes conn_out_copy can take now. */
size_t conn_out_buf_room(const struct conn_out *o);

/* Sends what the socket takes. Returns 0 (all sent, or the socket is
 * full: CONN_WRITABLE is then clear) or -1 (the connection failed, or a
 * file shrank under a chunk). copy_buf: a scratch buffer of copy_cap
 * bytes for TLS records. */
int conn_out_flush(struct conn *c, struct conn_out *o, char *copy_buf, size_t copy_cap);

/* Drops every chunk (releasing owners) and the buffer. */
void conn_out_free(struct conn_out *o);

/* Gives the copy buffer back while nothing is queued (an idle connection
 * holds none). */
void conn_out_trim(struct conn_out *o);

/* Frees the calling thread's spare copy buffers (at worker teardown). */
void conn_out_free_pools(void);

#endif
