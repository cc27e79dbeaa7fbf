/* conn.h - a client connection as an explicit state machine:
 *   HANDSHAKE -> (HTTPS) the TLS handshake, driven by readiness
 *   READING   -> a request head (and any body to discard) arrives
 *   WAITING   -> a helper thread does work for the response (a large
 *                compression, a listing, a password check); the loop
 *                resumes the connection when the job is handed back
 *   SENDING   -> the response's head and body go out
 *   LINGERING -> after a response that closes, read and drop what the
 *                client still sends, so the close does not reset it
 *   FLUSHING  -> the client closed its side with pipelined responses still
 *                gathered: they are written, then LINGERING
 *   H2        -> the connection speaks HTTP/2 (h2.c runs it from here on)
 * A connection is never freed inside its own handler: conn_close marks it
 * closed and puts it on the worker's reap list. */
#ifndef CONN_H
#define CONN_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "http_parse.h"
#include "http_request.h"
#include "http_response.h"
#include "pool.h"
#include "tls.h"
#include "worker.h"

enum conn_state {
	CONN_HANDSHAKE,
	CONN_READING,
	CONN_WAITING,
	CONN_SENDING,
	CONN_LINGERING,
	CONN_FLUSHING,
	CONN_H2,
	CONN_PROXY,      /* reading the PROXY protocol header */
	CONN_CLOSED,
};

/* What a state's step returns besides the next state. */
enum conn_step {
	STEP_WAIT = -1,  /* blocked on the socket */
	STEP_CLOSE = -2, /* close the connection */
};

enum conn_flag {
	CONN_READABLE = 1,  /* reads may return data (edge seen, no EAGAIN) */
	CONN_WRITABLE = 2,  /* writes may make progress */
	CONN_PEER_SHUT = 4, /* the peer closed or reset: stay readable */
	CONN_DRAIN = 8,     /* the server is stopping: close after this response */
	CONN_WATCHED = 16,  /* in the worker's epoll set */
	CONN_NODELAY = 32,  /* TCP_NODELAY is set */
	CONN_REDIRECT = 64, /* every request is redirected to HTTPS */
	CONN_PEEKED = 128,  /* HTTPS: the first byte was checked for plain HTTP */
};

/* The slowest drain a response may have, in bytes a second averaged over
 * --send-timeout: slower readers are closed, so none holds a response
 * (and the memory behind it) for ever. */
#define CONN_SEND_MIN_RATE 1024

struct conn {
	struct conn *prev, *next; /* the worker's list, for timeouts */
	struct conn_io *io;       /* buffers, only while a request is active */
	struct tls_conn *tls;     /* HTTPS: the TLS session, else NULL */
	struct h2 *h2;            /* HTTP/2: the session, else NULL */
	struct site_set *sites;   /* the configuration it started with (a reference) */
	uint64_t discard;         /* request body bytes still to read and drop */
	uint32_t stamp;           /* worker second of the last progress */
	uint32_t nreq;            /* requests answered */
	uint32_t id;              /* tells a reused struct from the one a job was for */
	uint32_t drain_left;      /* bytes of finished responses the kernel still queued */
	uint32_t drain_stamp;     /* second drain_left was measured */
	int fd;
	uint8_t state;            /* enum conn_state */
	uint8_t after_proxy;      /* CONN_PROXY: the state after the header */
	uint8_t flags;            /* enum conn_flag */
	uint8_t family;           /* AF_INET or AF_INET6 */
	uint8_t addr[16];
};

/* Sets up a connection for an accepted socket and runs it at once: the
 * listening socket uses TCP_DEFER_ACCEPT, so the request is usually there
 * already, and a connection answered and closed in one go never enters the
 * epoll set. proxy: a PROXY protocol header comes first. Returns NULL
 * (and closes fd) when memory is short. */
struct conn *conn_open(struct worker *w, int fd, const struct sockaddr *sa,
		       enum worker_listen_kind kind, bool proxy);

/* recv(2), or a TLS read: > 0 bytes, 0 at the end, -1 with errno (EAGAIN:
 * wait for readiness). */
ssize_t conn_recv(struct conn *c, void *buf, size_t len);

/* The client's address as text (cap >= INET6_ADDRSTRLEN). */
void conn_peer_ip(const struct conn *c, char *out, size_t cap);

/* The same, or the address a trusted proxy named (fwd_family non-zero). */
void conn_client_ip(const struct conn *c, int fwd_family, const uint8_t *fwd, char *out,
		    size_t cap);

/* Builds the response to one request into resp, for either protocol:
 * status 0 serves the request, another status answers with that error.
 * resp->head, head_cap and close are the caller's; extra holds multipart
 * part headers. Work for a helper thread is submitted here, marked with
 * the connection and sub (the HTTP/2 stream, 0 for HTTP/1): the result
 * is then the submitted job (the request waits for it), else NULL. */
struct pool_job *conn_build(struct worker *w, struct conn *c, uint32_t sub,
			    const struct http_head *h, const struct request *r, int status,
			    struct response *resp, char *extra, size_t extra_cap);

/* Lets go of what a response holds: its file and its cached bytes. */
void conn_response_release(struct response *resp);

/* Bytes the kernel still holds for the socket (SIOCOUTQ), 0 if unknown. */
int conn_out_queued(const struct conn *c);

/* Closes with a reset (a reader too slow to keep): queued bytes are
 * dropped, not fed to the same reader. */
void conn_reset(struct worker *w, struct conn *c);

/* Ends the connection gracefully once everything is written: the
 * protocol's state is released, TLS sends close_notify, the write side is
 * shut, and what the client still sends is read and dropped for a while,
 * so the close does not reset bytes still in flight. Returns the next
 * state (CONN_LINGERING). */
int conn_linger(struct worker *w, struct conn *c);

/* Runs the state machine after something other than readiness changed
 * (a timer, a finished job). */
void conn_resume(struct worker *w, struct conn *c);

/* Handles readiness (EPOLL* bits) and runs the state machine. */
void conn_on_event(struct worker *w, struct conn *c, uint32_t events);

/* A job the connection waited on is back: serve the request with it, or
 * drop it if the connection is gone. */
void conn_job_finished(struct worker *w, struct pool_job *j);

/* Closes connections whose timeout has passed (a response that drains
 * slower than CONN_SEND_MIN_RATE over --send-timeout, too); when the
 * worker is stopping, also idle ones. */
void conn_sweep(struct worker *w);

/* Closes every connection (end of the grace period). */
void conn_close_all(struct worker *w);

/* Frees connections closed during this loop turn. */
void conn_reap(struct worker *w);

/* Frees pooled memory (at worker teardown). */
void conn_free_pools(struct worker *w);

#endif
