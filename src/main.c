/* main.c - start-up order: config -> daemon -> log -> pid file -> listen
 * -> root -> signals -> loops; then wait for a stop signal -> drain ->
 * teardown. Every start-up failure names what failed and exits non-zero
 * (reported through the daemon's pipe when detached). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access_log.h"
#include "auth.h"
#include "config.h"
#include "daemon.h"
#include "listen.h"
#include "mime.h"
#include "path.h"
#include "probe.h"
#include "serve.h"
#include "signals.h"
#include "version.h"
#include "worker.h"

static int report_fd = -1;
static struct pidfile pidfile = { .fd = -1 };

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void fail(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	pidfile_release(&pidfile);
	if (report_fd >= 0) {
		char line[1100];
		snprintf(line, sizeof line, "server: %s", msg);
		log_msg("%s", msg);
		daemon_report(report_fd, false, line);
	} else {
		fprintf(stderr, "server: %s\n", msg);
	}
	exit(1);
}

static int open_log(const struct config *cfg)
{
	if (!cfg->log_file)
		return STDOUT_FILENO;
	int fd = open(cfg->log_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0)
		fail("cannot open log file %s: %s", cfg->log_file, strerror(errno));
	return fd;
}

/* Raise the descriptor limit to the hard limit: each connection is one. */
static void raise_nofile(const struct config *cfg)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)cfg->max_conns + 64)
		log_msg("warning: the descriptor limit (%llu) is below --max-conns (%u); "
			"connections beyond it are shed",
			(unsigned long long)rl.rlim_cur, cfg->max_conns);
}

static void add_own(struct own_file *own, int *n, int fd)
{
	struct stat st;
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		own[*n].dev = st.st_dev;
		own[*n].ino = st.st_ino;
		(*n)++;
	}
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct path_root root;
	struct own_file own[3] = { { 0, 0 } };
	char where[128], err[512], boundary[40];
	int nown = 0, sigfd, *fds;
	struct worker *workers;

	config_parse(argc, argv, &cfg);
	if (cfg.probe) {
		int rc = probe_run(cfg.probe, 5000);
		config_free(&cfg);
		return rc;
	}

	if (cfg.daemon)
		report_fd = daemon_start();

	/* Before anything can be connected to: a stop signal that arrives
	 * during start-up waits in the signalfd instead of killing us. */
	sigfd = signals_init();
	if (sigfd < 0)
		fail("signalfd: %s", strerror(-sigfd));

	int logfd = open_log(&cfg);
	log_open(logfd, !cfg.daemon && !cfg.log_file && isatty(logfd) && !getenv("NO_COLOR"));
	add_own(own, &nown, cfg.log_file ? logfd : -1);

	if (cfg.pid_file) {
		if (pidfile_acquire(&pidfile, cfg.pid_file, err, sizeof err) < 0)
			fail("%s", err);
		add_own(own, &nown, pidfile.fd);
	}

	fds = calloc((size_t)cfg.threads, sizeof *fds);
	workers = calloc((size_t)cfg.threads, sizeof *workers);
	if (!fds || !workers)
		fail("out of memory");
	if (listen_open(cfg.addr, cfg.port, fds, cfg.threads, where, sizeof where, err, sizeof err) < 0)
		fail("%s", err);

	root.fd = open(cfg.root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root.fd < 0)
		fail("document root '%s': %s", cfg.root, strerror(errno));
	root.real = cfg.root;
	root.no_symlinks = cfg.no_symlinks;

	unsigned char rnd[10];
	if (getrandom(rnd, sizeof rnd, GRND_NONBLOCK) != (ssize_t)sizeof rnd)
		memset(rnd, 0x5a, sizeof rnd);
	for (int i = 0; i < 10; i++)
		snprintf(boundary + 2 * i, 3, "%02x", rnd[i]);
	serve_set_boundary(boundary);

	if (cfg.mime_types) {
		int n = mime_load(cfg.mime_types);
		if (n < 0)
			fail("cannot read mime types file %s: %s", cfg.mime_types, strerror(-n));
	} else if (access("/etc/mime.types", R_OK) == 0) {
		mime_load("/etc/mime.types");
	}
	struct auth auth, *authp = NULL;
	if (cfg.auth_file) {
		if (auth_load(&auth, cfg.auth_file, err, sizeof err) < 0)
			fail("%s", err);
		authp = &auth;
	}
	raise_nofile(&cfg);

	for (int i = 0; i < cfg.threads; i++) {
		int rc = worker_init(&workers[i], i, &cfg, fds[i], &root, own, authp);
		if (rc < 0)
			fail("cannot start event loop %d: %s", i, strerror(-rc));
	}
	for (int i = 0; i < cfg.threads; i++) {
		int rc = pthread_create(&workers[i].thread, NULL, worker_run, &workers[i]);
		if (rc != 0)
			fail("cannot start thread %d: %s", i, strerror(rc));
	}

	log_msg("%s serving %s on %s (%d thread%s, PID %ld)", SERVER_SOFTWARE, cfg.root, where,
		cfg.threads, cfg.threads == 1 ? "" : "s", (long)getpid());
	if (report_fd >= 0) {
		char msg[512];
		snprintf(msg, sizeof msg, "server: running as a daemon with PID %ld, serving %s on %s",
			 (long)getpid(), cfg.root, where);
		daemon_report(report_fd, true, msg);
		report_fd = -1;
	}

	/* Wait for SIGTERM or SIGINT; a second one ends the grace period. */
	int stops = 0, running = cfg.threads;
	bool *joined = calloc((size_t)cfg.threads, sizeof *joined);
	if (!joined)
		fail("out of memory");
	for (;;) {
		int sig = signals_wait(sigfd, stops ? 100 : -1);
		if (sig == SIGTERM || sig == SIGINT) {
			stops++;
			for (int i = 0; i < cfg.threads; i++)
				worker_stop(&workers[i], stops > 1);
		}
		for (int i = 0; stops && i < cfg.threads; i++) {
			if (!joined[i] && pthread_tryjoin_np(workers[i].thread, NULL) == 0) {
				joined[i] = true;
				running--;
			}
		}
		if (running == 0)
			break;
	}

	for (int i = 0; i < cfg.threads; i++)
		worker_destroy(&workers[i]);
	pidfile_release(&pidfile);
	log_msg("Stopped");
	close(sigfd);
	close(root.fd);
	free(joined);
	free(workers);
	free(fds);
	config_free(&cfg);
	mime_unload();
	if (authp)
		auth_free(authp);
	return 0;
}
