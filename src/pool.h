/* pool.h - a few helper threads with a bounded queue, for work that would
 * cost an event loop more than about a millisecond: compressing a large
 * file, building a directory listing, checking a password hash. The pool
 * knows nothing of what the jobs do: it runs job->run, then job->done,
 * both in a helper thread; done hands the result back (to an event loop,
 * through its eventfd) or frees the job. */
#ifndef POOL_H
#define POOL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct pool_job {
	struct pool_job *next;
	void (*run)(struct pool_job *j);  /* the work */
	void (*done)(struct pool_job *j); /* afterwards: hand back or free */
	void *owner;                      /* for done: who waits, or NULL */
	void *target;
	uint32_t gen;
	uint32_t sub;                     /* for the owner: e.g. an HTTP/2 stream */
	atomic_bool cancelled;            /* nobody waits any more: skip run */
};

#define POOL_THREADS 2
#define POOL_QUEUE_MAX 256

/* Starts n helper threads (after the sandbox is entered: they inherit
 * it). Returns 0 or -errno. */
int pool_start(unsigned n, unsigned queue_max);

/* Queues j; false when the queue is full or the pool is not running (the
 * job is then the caller's again). */
bool pool_submit(struct pool_job *j);

/* Jobs queued or running now. */
unsigned pool_pending(void);

/* Ends the threads after the jobs running now; queued jobs are not run
 * but handed to their done callbacks, marked cancelled. */
void pool_stop(void);

#endif
