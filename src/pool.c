/* pool.c - a mutex and a condition variable around a singly linked queue;
 * jobs are few and each costs milliseconds, so nothing finer is needed. */
#include "pool.h"

#include <pthread.h>
#include <stdlib.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t more = PTHREAD_COND_INITIALIZER;
static struct pool_job *head, *tail;
static unsigned queued, running, limit, nthreads;
static bool stopping;
static pthread_t threads[16];

static void *helper(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	for (;;) {
		while (!head && !stopping)
			pthread_cond_wait(&more, &lock);
		if (!head || stopping)
			break; /* at a stop, what is queued is not run */
		struct pool_job *j = head;
		head = j->next;
		if (!head)
			tail = NULL;
		queued--;
		running++;
		pthread_mutex_unlock(&lock);
		if (!atomic_load_explicit(&j->cancelled, memory_order_acquire))
			j->run(j);
		j->done(j);
		pthread_mutex_lock(&lock);
		running--;
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

int pool_start(unsigned n, unsigned queue_max)
{
	if (n > sizeof threads / sizeof threads[0])
		n = sizeof threads / sizeof threads[0];
	limit = queue_max;
	stopping = false;
	for (nthreads = 0; nthreads < n; nthreads++) {
		int rc = pthread_create(&threads[nthreads], NULL, helper, NULL);
		if (rc != 0) {
			pool_stop();
			return -rc;
		}
	}
	return 0;
}

bool pool_submit(struct pool_job *j)
{
	pthread_mutex_lock(&lock);
	if (!nthreads || stopping || queued >= limit) {
		pthread_mutex_unlock(&lock);
		return false;
	}
	j->next = NULL;
	if (tail)
		tail->next = j;
	else
		head = j;
	tail = j;
	queued++;
	pthread_cond_signal(&more);
	pthread_mutex_unlock(&lock);
	return true;
}

unsigned pool_pending(void)
{
	pthread_mutex_lock(&lock);
	unsigned n = queued + running;
	pthread_mutex_unlock(&lock);
	return n;
}

void pool_stop(void)
{
	pthread_mutex_lock(&lock);
	stopping = true;
	pthread_cond_broadcast(&more);
	pthread_mutex_unlock(&lock);
	for (unsigned i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	nthreads = 0;
	/* Jobs never run are handed back empty, so their owners free them. */
	while (head) {
		struct pool_job *j = head;
		head = j->next;
		queued--;
		atomic_store(&j->cancelled, true);
		j->done(j);
	}
	tail = NULL;
}
