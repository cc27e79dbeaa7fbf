/* worker.h - one event-loop thread: its epoll set, its listening socket,
 * its connections, buffers, clock and log buffer. The loop knows nothing
 * of HTTP; it hands readiness to conn.c. */
#ifndef WORKER_H
#define WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "access_log.h"
#include "config.h"
#include "file_cache.h"
#include "http_date.h"
#include "http_parse.h"
#include "metrics.h"
#include "pool.h"
#include "serve.h"
#include "site.h"

struct conn;
struct conn_io;

#define WORKER_COPY_BUF (128 * 1024)
#define WORKER_LISTEN_MAX 16

enum worker_listen_kind {
	LISTEN_HTTP,     /* plain HTTP */
	LISTEN_HTTPS,    /* TLS, then HTTP */
	LISTEN_REDIRECT, /* plain HTTP answered with redirects to HTTPS */
};

/* A listening socket as a worker sees it. */
struct worker_listener {
	int fd;
	bool shared; /* other workers wait on it too: EPOLLEXCLUSIVE */
	bool proxy;  /* connections start with a PROXY protocol header */
	enum worker_listen_kind kind;
};

struct worker {
	int id;
	pthread_t thread;
	int epfd;
	struct worker_listener ls[WORKER_LISTEN_MAX];
	int nls;
	int wake_fd;  /* eventfd: the main thread asks for a stop */
	int job_fd;   /* eventfd: helper threads hand finished jobs back */
	pthread_mutex_t job_lock;
	struct pool_job *jobs_done; /* finished, for connections of this loop */
	uint32_t next_conn_id;
	uint64_t accept_paused_ms; /* listeners left out of epoll until then (EMFILE) */
	int spare_fd; /* kept open to shed connections on EMFILE */
	const struct config *cfg;

	struct conn *conns;     /* every open connection (doubly linked) */
	struct conn *reap;      /* closed this turn, freed at its end */
	struct conn *free_conns;
	struct conn_io *free_io;
	unsigned nfree_io;
	unsigned nconns;

	/* Clocks, read once per loop turn. */
	uint32_t now;          /* monotonic seconds */
	uint64_t now_ms;       /* monotonic milliseconds */
	uint64_t log_since_ms; /* when the oldest unwritten log line came, 0: none */
	time_t wall;           /* real time, for Date and the log */
	struct timespec wall_ts; /* the same, to the few milliseconds */
	char date[HTTP_DATE_LEN + 1];
	char iso[LOG_ISO_LEN + 1];
	uint32_t next_sweep;

	bool stopping;
	uint32_t stop_deadline;

	char *copy_buf; /* WORKER_COPY_BUF bytes unless --sendfile on */

	struct site_set *sites;                 /* the configuration new connections get */
	_Atomic(struct site_set *) next_sites;  /* a reloaded one, handed over by main */
	unsigned reload_seen;                   /* worker_reloads when sites was taken */

	struct serve_ctx serve;
	struct http_header *headers; /* parser scratch, cfg->max_headers */
	struct access_log log;
	struct metrics metrics;
};

/* The number of open connections over all workers (for --max-conns). */
extern atomic_uint worker_conn_count;

/* Prepares w (epoll set, wake eventfd, buffers); the nls listening
 * sockets in ls are adopted. Returns 0 or -errno. */
int worker_init(struct worker *w, int id, const struct config *cfg,
		const struct worker_listener *ls, int nls, struct site_set *sites,
		const struct own_file *own, struct file_cache *cache);

/* Hands a reloaded configuration (one reference, taken over) to w;
 * worker_reload_commit then lets every worker take its own at once:
 * each swaps it in before its next accept or loop turn, so once one
 * connection has met the new configuration, every later one does (when
 * two reloads follow each other within microseconds, a worker that had
 * not taken the first may take the second a moment before the others).
 * Connections keep the one they started with. Main thread. */
void worker_reload(struct worker *w, struct site_set *sites);
void worker_reload_commit(struct worker *ws, int n);

/* Swaps in a committed reload, if any (the worker's own thread). */
void worker_take_reload(struct worker *w);

/* The set of the worker running on this thread (for TLS SNI), or NULL. */
extern _Thread_local struct site_set *worker_sites;

/* The pool's done callback for jobs a connection waits on (any thread):
 * queues the job for its worker and wakes that loop. */
void worker_job_done(struct pool_job *j);

/* The thread body: runs until a stop is requested and drained. */
void *worker_run(void *arg);

/* Asks w to stop (async from another thread): stop accepting, finish
 * in-flight responses within the grace period. force: close everything now. */
void worker_stop(struct worker *w, bool force);

/* Adds a connection's socket to the epoll set (edge-triggered, read and
 * write). Returns 0 or -errno. */
int worker_watch(struct worker *w, int fd, struct conn *c);

/* Asks for the connection's readiness again at the next loop turn (it
 * stopped reading with bytes left, to let other connections run).
 * Returns 0 or -errno. */
int worker_rearm(struct worker *w, int fd, struct conn *c);

/* Releases what worker_init acquired, after the thread has ended. */
void worker_destroy(struct worker *w);

#endif
