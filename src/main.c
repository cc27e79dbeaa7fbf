/* main.c - start-up order: config -> daemon -> signals -> logs -> pid file
 * -> listen -> root -> privileges -> loops; then wait for signals (stop,
 * reopen logs, upgrade) -> drain -> teardown. Every start-up failure names
 * what failed and exits non-zero (reported through the daemon's pipe when
 * detached, or to the server being replaced). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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
#include <sys/wait.h>
#include <unistd.h>

#include "access_log.h"
#include "auth.h"
#include "config.h"
#include "daemon.h"
#include "listen.h"
#include "log_file.h"
#include "mime.h"
#include "notify.h"
#include "path.h"
#include "privs.h"
#include "probe.h"
#include "serve.h"
#include "sandbox.h"
#include "signals.h"
#include "tls.h"
#include "upgrade.h"
#include "version.h"
#include "worker.h"

static int report_fd = -1;
static struct pidfile pidfile = { .fd = -1, .dirfd = -1 };

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
		log_msg(LOG_ERROR, "%s", msg);
		daemon_report(report_fd, false, line);
	} else {
		fprintf(stderr, "server: %s\n", msg);
	}
	notify_send("STOPPING=1");
	exit(1);
}

/* The access log and the error log: files when named, else standard
 * output (access) and, with the combined format, standard error. */
static void open_logs(const struct config *cfg, struct log_file *access, struct log_file *error)
{
	int afd = STDOUT_FILENO, efd;
	if (cfg->log_file) {
		int rc = log_file_open(access, cfg->log_file);
		if (rc < 0)
			fail("cannot open log file %s: %s", cfg->log_file, strerror(-rc));
		afd = access->fd;
	}
	if (cfg->error_log) {
		int rc = log_file_open(error, cfg->error_log);
		if (rc < 0)
			fail("cannot open error log %s: %s", cfg->error_log, strerror(-rc));
		efd = error->fd;
	} else {
		efd = cfg->log_format == LOG_FORMAT_COMBINED ? STDERR_FILENO : afd;
	}
	bool color = !cfg->daemon && !cfg->log_file && isatty(afd) && !getenv("NO_COLOR");
	log_open(afd, efd, cfg->log_format, color);
}

/* Raise the descriptor limit to the hard limit: each connection is one. */
static rlim_t raise_nofile(const struct config *cfg)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 0;
	if (rl.rlim_cur < (rlim_t)cfg->max_conns + 64)
		log_msg(LOG_WARN,
			"the descriptor limit (%llu) is below --max-conns (%u); "
			"connections beyond it are shed",
			(unsigned long long)rl.rlim_cur, cfg->max_conns);
	return rl.rlim_cur;
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

static void reopen_logs(struct log_file *access, struct log_file *error)
{
	int a = log_file_reopen(access), e = log_file_reopen(error);
	if (a < 0)
		log_msg(LOG_ERROR, "cannot reopen %s: %s", access->path, strerror(-a));
	if (e < 0)
		log_msg(LOG_ERROR, "cannot reopen %s: %s", error->path, strerror(-e));
	if (a == 0 && e == 0)
		log_msg(LOG_INFO, "log files reopened");
}

/* The binary to run for an upgrade: the file now at the path we were
 * started from (which a package upgrade replaces). */
static char *own_exe(const char *argv0)
{
	if (strchr(argv0, '/'))
		return realpath(argv0, NULL);
	char *p = realpath("/proc/self/exe", NULL);
	if (p) {
		/* "(deleted)" cannot happen this early: the file is in place. */
		return p;
	}
	return NULL;
}

/* What the running server may still touch: the root (read), the log and
 * pid files' directories (write, for reopening and removing), the TLS
 * files (read, for reloading), and for an upgrade the binary, its
 * libraries and the few files a starting server reads. */
static void build_sandbox(struct sandbox *sb, const struct config *cfg, const struct path_root *root,
			  const struct log_file *alog, const struct log_file *elog, const char *exe)
{
	static const char *const system_read[] = {
		"/etc/ld.so.cache", "/etc/passwd", "/etc/group", "/etc/nsswitch.conf",
		"/etc/mime.types", "/etc/localtime", "/dev/null", "/dev/urandom",
	};
	static const char *const libraries[] = { "/lib", "/lib64", "/usr/lib", "/usr/lib64" };

	sandbox_begin(sb);
	sandbox_allow_fd(sb, root->fd, SANDBOX_READ);
	if (alog->fd >= 0)
		sandbox_allow_fd(sb, alog->dirfd, SANDBOX_WRITE);
	if (elog->fd >= 0)
		sandbox_allow_fd(sb, elog->dirfd, SANDBOX_WRITE);
	if (pidfile.fd >= 0)
		sandbox_allow_fd(sb, pidfile.dirfd, SANDBOX_WRITE);
	if (cfg->unix_socket)
		sandbox_allow(sb, cfg->unix_socket, SANDBOX_WRITE);
	sandbox_allow(sb, cfg->tls_cert, SANDBOX_READ_DIR_OF);
	sandbox_allow(sb, cfg->tls_key, SANDBOX_READ_DIR_OF);
	sandbox_allow(sb, cfg->mime_types, SANDBOX_READ);
	for (size_t i = 0; i < sizeof system_read / sizeof system_read[0]; i++)
		sandbox_allow(sb, system_read[i], SANDBOX_READ);
	if (exe) {
		/* The directory, not the file: an upgrade replaces the file. */
		char dir[4096];
		snprintf(dir, sizeof dir, "%s", exe);
		char *slash = strrchr(dir, '/');
		if (slash && slash != dir) {
			*slash = '\0';
			sandbox_allow(sb, dir, SANDBOX_EXEC);
		}
		for (size_t i = 0; i < sizeof libraries / sizeof libraries[0]; i++)
			sandbox_allow(sb, libraries[i], SANDBOX_EXEC);
	}
#ifdef __SANITIZE_ADDRESS__
	/* LeakSanitizer reads /proc/self at exit. */
	sandbox_allow(sb, "/proc", SANDBOX_READ);
#endif
}

/* Hands both sets of sockets to a new binary, naming the redirect ones. */
static int start_upgrade(const char *exe, char **argv, const struct listen_set *ls,
			 const struct listen_set *rs, pid_t *child, char *err, size_t cap)
{
	int fds[LISTEN_MAX], n = 0;
	char names[LISTEN_MAX * 10] = "";
	size_t w = 0;
	for (int k = 0; k < 2; k++) {
		const struct listen_set *set = k ? rs : ls;
		for (int i = 0; i < set->n && n < LISTEN_MAX; i++) {
			fds[n++] = set->fds[i];
			w += (size_t)snprintf(names + w, sizeof names - w, "%s%s", w ? ":" : "",
					      k ? "redirect" : "server");
		}
	}
	return upgrade_start(exe, argv, fds, n, names, notify_socket_path(), child, err, cap);
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct path_root root;
	struct own_file own[4] = { { 0, 0 } };
	struct log_file alog = { .fd = -1, .dirfd = -1 }, elog = { .fd = -1, .dirfd = -1 };
	struct listen_set ls = { .n = 0 }, rs = { .n = 0 }; /* the server's, the redirect's */
	struct privs privs;
	char err[512], boundary[40];
	int nown = 0, sigfd;
	pid_t replacing = 0;
	struct worker *workers;

	config_parse(argc, argv, &cfg);
	if (cfg.probe) {
		int rc = probe_run(cfg.probe, 5000);
		config_free(&cfg);
		return rc;
	}

	/* Started by a server being upgraded: already detached, and it waits
	 * for our word. Otherwise -b detaches now. */
	report_fd = upgrade_report_fd(&replacing);
	if (report_fd < 0 && cfg.daemon)
		report_fd = daemon_start();
	notify_init();

	/* Before anything can be connected to: a stop signal that arrives
	 * during start-up waits in the signalfd instead of killing us. */
	sigfd = signals_init();
	if (sigfd < 0)
		fail("signalfd: %s", strerror(-sigfd));

	open_logs(&cfg, &alog, &elog);
	add_own(own, &nown, alog.fd);
	add_own(own, &nown, elog.fd);

	if (cfg.pid_file) {
		if (pidfile_acquire(&pidfile, cfg.pid_file, replacing, err, sizeof err) < 0)
			fail("%s", err);
		add_own(own, &nown, pidfile.fd);
	}

	if (cfg.tls_cert && tls_init(cfg.tls_cert, cfg.tls_key, err, sizeof err) < 0)
		fail("%s", err);

	int inherited = listen_inherit(&ls, &rs, cfg.threads, err, sizeof err);
	if (inherited < 0)
		fail("%s", err);
	if (inherited > 0 && ls.n == 0)
		fail("no inherited socket to serve on (all are named \"redirect\")");
	if (inherited == 0) {
		int rc = cfg.unix_socket
				 ? listen_open_unix(&ls, cfg.unix_socket, cfg.unix_socket_mode, err, sizeof err)
				 : listen_open(&ls, cfg.addr, cfg.port, cfg.threads, err, sizeof err);
		if (rc == 0 && cfg.redirect_port)
			rc = listen_open(&rs, cfg.addr, cfg.redirect_port, cfg.threads, err, sizeof err);
		if (rc < 0)
			fail("%s", err);
	} else if (cfg.unix_socket) {
		ls.unix_path = cfg.unix_socket; /* handed over by an upgrade */
	}

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
	rlim_t nofile = raise_nofile(&cfg);
	char *exe = own_exe(argv[0]);

	/* The sandbox's rules name paths, so they are made before a chroot. */
	struct sandbox sb;
	if (cfg.sandbox)
		build_sandbox(&sb, &cfg, &root, &alog, &elog, exe);

	/* Everything is open: leave root behind. */
	if (cfg.user && privs_lookup(cfg.user, &privs, err, sizeof err) < 0)
		fail("%s", err);
	if (cfg.user && geteuid() == 0) {
		/* The user must be able to reopen its logs after a rotation. */
		if (alog.fd >= 0)
			(void)!fchown(alog.fd, privs.uid, privs.gid);
		if (elog.fd >= 0)
			(void)!fchown(elog.fd, privs.uid, privs.gid);
	}
	if ((cfg.user || cfg.chroot) && privs_drop(cfg.chroot, cfg.user ? &privs : NULL, err, sizeof err) < 0)
		fail("%s", err);

	workers = calloc((size_t)cfg.threads, sizeof *workers);
	if (!workers)
		fail("out of memory");
	for (int i = 0; i < cfg.threads; i++) {
		struct worker_listener wl[WORKER_LISTEN_MAX];
		int fds[WORKER_LISTEN_MAX], nwl = 0;
		bool shared[WORKER_LISTEN_MAX];
		const struct listen_set *sets[2] = { &ls, &rs };
		for (int k = 0; k < 2; k++) {
			enum worker_listen_kind kind = k ? LISTEN_REDIRECT
						     : cfg.tls_cert ? LISTEN_HTTPS : LISTEN_HTTP;
			int n = listen_for_thread(sets[k], i, fds, shared, WORKER_LISTEN_MAX - nwl);
			if (n < 0)
				fail("cannot share the listening sockets: %s", strerror(-n));
			for (int j = 0; j < n; j++)
				wl[nwl++] = (struct worker_listener){ fds[j], shared[j], kind };
		}
		int rc = worker_init(&workers[i], i, &cfg, wl, nwl, &root, own, authp);
		if (rc < 0)
			fail("cannot start event loop %d: %s", i, strerror(-rc));
	}
	char sandbox_line[256] = "sandbox: off (--no-sandbox)";
	if (cfg.sandbox) {
		if (sandbox_enter(&sb, err, sizeof err) < 0)
			fail("cannot enter the sandbox: %s", err);
		sandbox_describe(&sb, sandbox_line, sizeof sandbox_line);
	}
	for (int i = 0; i < cfg.threads; i++) {
		int rc = pthread_create(&workers[i].thread, NULL, worker_run, &workers[i]);
		if (rc != 0)
			fail("cannot start thread %d: %s", i, strerror(rc));
	}

	if (cfg.tls_cert && strncmp(ls.where, "http://", 7) == 0) {
		memmove(ls.where + 5, ls.where + 4, strlen(ls.where + 4) + 1);
		ls.where[4] = 's';
	}
	log_msg(LOG_INFO, "%s serving %s on %s (%d thread%s, PID %ld)", SERVER_SOFTWARE, cfg.root,
		ls.where, cfg.threads, cfg.threads == 1 ? "" : "s", (long)getpid());
	log_msg(LOG_INFO,
		"limits: %u connections, %u-byte heads, %u header fields, %llu-byte bodies; "
		"timeouts: head %us, keep-alive %us, send %us, grace %us; descriptors %llu",
		cfg.max_conns, cfg.max_head, cfg.max_headers, (unsigned long long)cfg.max_body,
		cfg.head_timeout, cfg.keepalive_timeout, cfg.send_timeout, cfg.grace,
		(unsigned long long)nofile);
	log_msg(LOG_INFO, "%s", sandbox_line);
	if (ls.inherited)
		log_msg(LOG_INFO, "listening sockets inherited (%d)", ls.n + rs.n);
	if (rs.n)
		log_msg(LOG_INFO, "redirecting plain HTTP on %s to HTTPS", rs.where);
	if (cfg.tls_cert)
		log_msg(LOG_INFO, "TLS 1.2/1.3 with %s; kernel TLS %s", cfg.tls_cert,
			tls_kernel_supported() ? "available: file bodies go with sendfile"
					       : "not available: file bodies are encrypted in user space");
	if (cfg.user)
		log_msg(LOG_INFO, "running as user %s (uid %ld, gid %ld)%s%s", cfg.user,
			(long)getuid(), (long)getgid(), cfg.chroot ? ", chroot " : "",
			cfg.chroot ? cfg.chroot : "");
	else if (geteuid() == 0)
		log_msg(LOG_WARN, "running as root: files are served with root's rights "
				  "(use -u USER to switch to an unprivileged user)");
	if (report_fd >= 0) {
		char msg[512];
		if (replacing)
			snprintf(msg, sizeof msg, "%ld", (long)getpid());
		else
			snprintf(msg, sizeof msg,
				 "server: running as a daemon with PID %ld, serving %s on %s",
				 (long)getpid(), cfg.root, ls.where);
		daemon_report(report_fd, true, msg);
		report_fd = -1;
	}
	{
		char ready[64];
		snprintf(ready, sizeof ready, "READY=1\nMAINPID=%ld", (long)getpid());
		notify_send(ready);
	}

	/* Wait for signals: SIGTERM or SIGINT stop (a second one ends the
	 * grace period); SIGHUP and SIGUSR1 reopen the logs; SIGUSR2 starts a
	 * new binary, and once it serves, this one stops. */
	int stops = 0, running = cfg.threads, upgrade_fd = -1;
	pid_t upgrade_pid = 0;
	bool *joined = calloc((size_t)cfg.threads, sizeof *joined);
	if (!joined)
		fail("out of memory");
	for (;;) {
		struct pollfd pfd[2] = { { .fd = sigfd, .events = POLLIN },
					 { .fd = upgrade_fd, .events = POLLIN } };
		int rc = poll(pfd, upgrade_fd >= 0 ? 2 : 1, stops ? 100 : -1);
		int sig = rc > 0 && (pfd[0].revents & POLLIN) ? signals_read(sigfd) : 0;
		bool stop = sig == SIGTERM || sig == SIGINT;
		if (sig == SIGHUP || sig == SIGUSR1) {
			notify_reloading();
			reopen_logs(&alog, &elog);
			if (sig == SIGHUP && cfg.tls_cert) {
				if (tls_reload(err, sizeof err) < 0)
					log_msg(LOG_ERROR, "TLS reload failed, the old certificate stays: %s", err);
				else
					log_msg(LOG_INFO, "TLS certificate and key reloaded");
			}
			notify_send("READY=1");
		} else if (sig == SIGUSR2 && !stops && upgrade_fd < 0) {
			if (!exe)
				log_msg(LOG_ERROR, "upgrade: cannot find the server binary");
			else if ((upgrade_fd = start_upgrade(exe, argv, &ls, &rs, &upgrade_pid, err,
							     sizeof err)) < 0)
				log_msg(LOG_ERROR, "upgrade: %s", err);
			else
				log_msg(LOG_INFO, "upgrade: started %s as PID %ld", exe, (long)upgrade_pid);
		}
		if (upgrade_fd >= 0 && rc > 0 && pfd[1].revents) {
			char buf[1100];
			ssize_t n = read(upgrade_fd, buf, sizeof buf - 1);
			buf[n > 0 ? n : 0] = '\0';
			close(upgrade_fd);
			upgrade_fd = -1;
			if (n > 1 && buf[0] == 'O') {
				char main_pid[48];
				log_msg(LOG_INFO, "upgrade: PID %ld serves; this server drains and exits",
					(long)upgrade_pid);
				snprintf(main_pid, sizeof main_pid, "MAINPID=%ld", (long)upgrade_pid);
				notify_send(main_pid);
				stop = true;
			} else {
				buf[strcspn(buf, "\n")] = '\0';
				log_msg(LOG_ERROR, "upgrade: the new server failed: %s",
					n > 1 ? buf + 1 : "it exited during start-up");
				waitpid(upgrade_pid, NULL, 0);
				upgrade_pid = 0; /* this server stays in charge */
			}
		}
		if (stop) {
			if (!stops++ && !upgrade_pid)
				notify_send("STOPPING=1");
			listen_close(&ls);
			listen_close(&rs);
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
	if (ls.unix_path && !upgrade_pid)
		unlink(ls.unix_path);
	log_msg(LOG_INFO, "Stopped");
	close(sigfd);
	close(root.fd);
	tls_cleanup();
	log_file_close(&alog);
	log_file_close(&elog);
	free(exe);
	free(joined);
	free(workers);
	config_free(&cfg);
	mime_unload();
	if (authp)
		auth_free(authp);
	return 0;
}
