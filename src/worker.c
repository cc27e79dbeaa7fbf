/* worker.c - the event loop of one thread: epoll_wait, accept, hand
 * readiness to the connections, then once per turn the housekeeping that
 * must not happen inside a connection's handler (reaping, log flush) and,
 * once a second, the timeout sweep. */
#include "worker.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "conn_out.h"
#include "h2.h"

#define MAX_EVENTS 256
/* Access-log lines wait at most this long, or until this many bytes are
 * buffered, so a busy thread writes a few times a second, not per turn. */
#define LOG_FLUSH_MS 200
#define LOG_FLUSH_BYTES (16 * 1024)
#define ACCEPT_BATCH 128
#define ACCEPT_PAUSE_MS 100 /* at the descriptor limit without a spare */

atomic_uint worker_conn_count;

/* Told apart from connections in epoll_event.data.ptr: the wake and job
 * markers and the addresses of the worker's listeners. */
static char wake_marker, job_marker;

static void update_clock(struct worker *w)
{
	struct timespec mono, real;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &mono);
	clock_gettime(CLOCK_REALTIME_COARSE, &real);
	w->now = (uint32_t)mono.tv_sec;
	w->now_ms = (uint64_t)mono.tv_sec * 1000 + (uint64_t)mono.tv_nsec / 1000000;
	w->wall_ts = real;
	if (real.tv_sec != w->wall) {
		w->wall = real.tv_sec;
		http_date_format(w->wall, w->date);
		log_iso_time(w->wall, w->iso);
	}
}

_Thread_local struct site_set *worker_sites;

/* Reloads committed: bumped after every worker's next_sites is stored. */
static atomic_uint worker_reloads;

void worker_reload(struct worker *w, struct site_set *sites)
{
	struct site_set *old = atomic_exchange_explicit(&w->next_sites, sites, memory_order_acq_rel);
	site_set_unref(old);
}

void worker_reload_commit(struct worker *ws, int n)
{
	atomic_fetch_add_explicit(&worker_reloads, 1, memory_order_release);
	for (int i = 0; i < n; i++) {
		uint64_t one = 1;
		/* The job eventfd wakes the loop without asking it to stop. */
		if (write(ws[i].job_fd, &one, sizeof one) < 0) {
			/* The counter is full: the loop wakes anyway. */
		}
	}
}

/* A committed reload replaces the worker's configuration: one atomic
 * load when there is none. */
void worker_take_reload(struct worker *w)
{
	unsigned g = atomic_load_explicit(&worker_reloads, memory_order_acquire);
	if (g == w->reload_seen)
		return;
	w->reload_seen = g;
	struct site_set *s = atomic_exchange_explicit(&w->next_sites, NULL, memory_order_acq_rel);
	if (!s)
		return;
	site_set_unref(w->sites);
	w->sites = s;
	worker_sites = s;
}

int worker_init(struct worker *w, int id, const struct config *cfg,
		const struct worker_listener *ls, int nls, struct site_set *sites,
		const struct own_file *own, struct file_cache *cache)
{
	struct epoll_event ev;

	memset(w, 0, sizeof *w);
	w->id = id;
	w->cfg = cfg;
	w->nls = nls < WORKER_LISTEN_MAX ? nls : WORKER_LISTEN_MAX;
	memcpy(w->ls, ls, (size_t)w->nls * sizeof *ls);
	w->epfd = -1;
	w->wake_fd = -1;
	w->job_fd = -1;
	w->spare_fd = -1;
	pthread_mutex_init(&w->job_lock, NULL);
	w->wall = -1;
	w->headers = calloc(cfg->max_headers, sizeof *w->headers);
	if (!w->headers)
		return -ENOMEM;
	if ((cfg->sendfile != SENDFILE_ON || cfg->tls_cert) && !(w->copy_buf = malloc(WORKER_COPY_BUF)))
		return -ENOMEM;
	w->sites = site_set_ref(sites);
	w->serve.cfg = sites->sites[0].cfg;
	w->serve.root = &sites->sites[0].root;
	w->serve.site = &sites->sites[0];
	w->serve.own = own;
	w->serve.auth = sites->sites[0].auth;
	w->serve.cache = cache;
	if (id == 0 && file_cache_enabled(cache))
		w->metrics.cache = cache; /* one cache: counted once */
	uint64_t seed = 0;
	if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != (ssize_t)sizeof seed)
		seed = (uint64_t)time(NULL) * 2654435761u + (uint64_t)id;
	serve_seed(&w->serve, seed);
	metrics_register(&w->metrics);
	metrics_register_conns(&worker_conn_count);
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	w->job_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	w->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (w->epfd < 0 || w->wake_fd < 0 || w->job_fd < 0)
		return -errno;
	for (int i = 0; i < w->nls; i++) {
		/* A socket every worker waits on wakes one of them, not all. */
		ev.events = EPOLLIN | (w->ls[i].shared ? EPOLLEXCLUSIVE : 0);
		ev.data.ptr = &w->ls[i];
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->ls[i].fd, &ev) < 0)
			return -errno;
	}
	ev.events = EPOLLIN;
	ev.data.ptr = &wake_marker;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->wake_fd, &ev) < 0)
		return -errno;
	ev.events = EPOLLIN;
	ev.data.ptr = &job_marker;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->job_fd, &ev) < 0)
		return -errno;
	update_clock(w);
	w->next_sweep = w->now + 1;
	return 0;
}

/* At the descriptor limit, a pending connection would keep the listening
 * socket readable forever and spin the loop: give up the spare descriptor,
 * accept and close one connection, and take the spare back. Another
 * thread may take the freed number meanwhile; a loop left without its
 * spare stops watching its listeners for ACCEPT_PAUSE_MS instead of
 * spinning, as nginx does. */
static void listeners_watch(struct worker *w, bool on)
{
	for (int i = 0; i < w->nls; i++) {
		struct epoll_event ev = {
			.events = EPOLLIN | (w->ls[i].shared ? EPOLLEXCLUSIVE : 0),
			.data.ptr = &w->ls[i],
		};
		epoll_ctl(w->epfd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, w->ls[i].fd, on ? &ev : NULL);
	}
}

static void shed_one(struct worker *w, int lfd)
{
	if (w->spare_fd >= 0) {
		close(w->spare_fd);
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			close(fd);
		w->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			return;
	}
	if (w->spare_fd < 0)
		w->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (!w->accept_paused_ms) {
		listeners_watch(w, false);
		w->accept_paused_ms = w->now_ms + ACCEPT_PAUSE_MS;
	}
}

/* Past --max-conns: the request is read first (TCP_DEFER_ACCEPT has it
 * there already), so closing does not reset the connection and destroy
 * the 503 before the client reads it. */
static void refuse(int fd)
{
	char sink[4096];
	for (int i = 0; i < 16 && recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0; i++)
		;
	static const char msg[] = "HTTP/1.1 503 Service Unavailable\r\n"
				  "Content-Type: text/plain; charset=utf-8\r\n"
				  "Content-Length: 24\r\n"
				  "Retry-After: 1\r\n"
				  "Connection: close\r\n\r\n"
				  "503 Service Unavailable\n";
	(void)send(fd, msg, sizeof msg - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	shutdown(fd, SHUT_WR);
	for (int i = 0; i < 16 && recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0; i++)
		;
	close(fd);
}

static void accept_batch(struct worker *w, const struct worker_listener *l)
{
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		int fd = accept4(l->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE) {
				shed_one(w, l->fd);
				if (w->accept_paused_ms)
					return;
				continue;
			}
			return; /* EAGAIN, or an error the next turn will see again */
		}
		unsigned n = atomic_fetch_add_explicit(&worker_conn_count, 1, memory_order_relaxed);
		if (n >= w->cfg->max_conns) {
			atomic_fetch_sub_explicit(&worker_conn_count, 1, memory_order_relaxed);
			refuse(fd);
			continue;
		}
		if (!conn_open(w, fd, (struct sockaddr *)&ss, l->kind, l->proxy))
			atomic_fetch_sub_explicit(&worker_conn_count, 1, memory_order_relaxed);
	}
}

int worker_watch(struct worker *w, int fd, struct conn *c)
{
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
		.data.ptr = c,
	};
	return epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int worker_rearm(struct worker *w, int fd, struct conn *c)
{
	/* EPOLL_CTL_MOD re-checks readiness: an edge-triggered descriptor that
	 * is still readable reports again at the next epoll_wait. */
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
		.data.ptr = c,
	};
	return epoll_ctl(w->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

void worker_job_done(struct pool_job *j)
{
	struct worker *w = j->owner;
	uint64_t one = 1;
	pthread_mutex_lock(&w->job_lock);
	j->next = w->jobs_done;
	w->jobs_done = j;
	pthread_mutex_unlock(&w->job_lock);
	(void)!write(w->job_fd, &one, sizeof one);
}

static struct pool_job *take_jobs(struct worker *w)
{
	uint64_t v;
	(void)!read(w->job_fd, &v, sizeof v);
	pthread_mutex_lock(&w->job_lock);
	struct pool_job *list = w->jobs_done;
	w->jobs_done = NULL;
	pthread_mutex_unlock(&w->job_lock);
	return list;
}

/* Finished jobs resume their connections, oldest first. */
static void run_jobs(struct worker *w)
{
	struct pool_job *list = take_jobs(w), *rev = NULL;
	while (list) {
		struct pool_job *next = list->next;
		list->next = rev;
		rev = list;
		list = next;
	}
	while (rev) {
		struct pool_job *next = rev->next;
		conn_job_finished(w, rev);
		rev = next;
	}
}

static void begin_stop(struct worker *w)
{
	uint64_t v;
	if (read(w->wake_fd, &v, sizeof v) < 0)
		return;
	if (!w->stopping) {
		w->stopping = true;
		w->stop_deadline = w->now + w->cfg->grace;
		/* Connections the kernel already completed are served (with
		 * Connection: close) rather than reset with the socket. */
		for (int i = 0; i < w->nls; i++) {
			accept_batch(w, &w->ls[i]);
			epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->ls[i].fd, NULL);
			close(w->ls[i].fd);
		}
		w->nls = 0;
		w->accept_paused_ms = 0;
	}
	if (v >= 2) /* a forced stop: no grace left */
		w->stop_deadline = w->now;
	conn_sweep(w);
}

void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct epoll_event events[MAX_EVENTS];

	worker_sites = w->sites;
	for (;;) {
		worker_take_reload(w);
		int timeout = w->stopping || w->accept_paused_ms ? 100 : 1000;
		if (w->log.len && timeout > LOG_FLUSH_MS)
			timeout = LOG_FLUSH_MS;
		int n = epoll_wait(w->epfd, events, MAX_EVENTS, timeout);
		if (n < 0 && errno != EINTR)
			break;
		update_clock(w);
		for (int i = 0; i < n; i++) {
			void *p = events[i].data.ptr;
			uintptr_t at = (uintptr_t)p, ls = (uintptr_t)w->ls;
			if (at >= ls && at < ls + sizeof w->ls) {
				/* Not one closed by a stop earlier in this batch. */
				if ((int)((at - ls) / sizeof w->ls[0]) < w->nls)
					accept_batch(w, p);
			}
			else if (p == &wake_marker)
				begin_stop(w);
			else if (p == &job_marker)
				run_jobs(w);
			else
				conn_on_event(w, p, events[i].events);
		}
		if (w->accept_paused_ms && w->now_ms >= w->accept_paused_ms) {
			w->accept_paused_ms = 0;
			listeners_watch(w, true);
		}
		if ((int32_t)(w->now - w->next_sweep) >= 0) {
			conn_sweep(w);
			w->next_sweep = w->now + 1;
		}
		if (w->stopping && (int32_t)(w->now - w->stop_deadline) >= 0)
			conn_close_all(w);
		conn_reap(w);
		if (w->log.len) {
			if (!w->log_since_ms)
				w->log_since_ms = w->now_ms;
			if (w->log.len >= LOG_FLUSH_BYTES || w->stopping ||
			    w->now_ms - w->log_since_ms >= LOG_FLUSH_MS) {
				access_log_flush(&w->log);
				w->log_since_ms = 0;
			}
		}
		if (w->stopping && w->nconns == 0)
			break;
	}
	access_log_flush(&w->log);
	h2_free_pools(); /* this thread's spare streams and buffers */
	conn_out_free_pools();
	return NULL;
}

void worker_stop(struct worker *w, bool force)
{
	uint64_t v = force ? 2 : 1;
	(void)!write(w->wake_fd, &v, sizeof v);
}

void worker_destroy(struct worker *w)
{
	conn_close_all(w);
	conn_free_pools(w);
	for (int i = 0; i < w->nls; i++)
		close(w->ls[i].fd);
	w->nls = 0;
	if (w->epfd >= 0)
		close(w->epfd);
	if (w->wake_fd >= 0)
		close(w->wake_fd);
	/* Jobs handed back after the loop ended: their connections are gone. */
	for (struct pool_job *j = w->jobs_done, *next; j; j = next) {
		next = j->next;
		serve_job_free(serve_job_of(j));
	}
	w->jobs_done = NULL;
	if (w->job_fd >= 0)
		close(w->job_fd);
	pthread_mutex_destroy(&w->job_lock);
	if (w->spare_fd >= 0)
		close(w->spare_fd);
	free(w->copy_buf);
	auth_cache_clear(&w->serve.auth_cache);
	free(w->headers);
	site_set_unref(atomic_exchange(&w->next_sites, NULL));
	site_set_unref(w->sites);
	w->sites = NULL;
}
