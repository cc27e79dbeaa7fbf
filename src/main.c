/* main.c - start-up order: config -> daemon -> signals -> logs -> pid file
 * -> listen -> root -> privileges -> loops; then wait for signals (stop,
 * reopen logs, upgrade) -> drain -> teardown. Every start-up failure names
 * what failed and exits non-zero (reported through the daemon's pipe when
 * detached, or to the server being replaced). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
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
#include "metrics.h"
#include "mime.h"
#include "notify.h"
#include "path.h"
#include "privs.h"
#include "probe.h"
#include "serve.h"
#include "pool.h"
#include "sandbox.h"
#include "signals.h"
#include "h2.h"
#include "tls.h"
#include "upgrade.h"
#include "version.h"
#include "worker.h"

static int report_fd = -1;
static pid_t replacing; /* the server this one replaces (upgrade), or 0 */
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
	log_writer_stop(); /* what is queued, and the message below, get out */
	if (report_fd >= 0) {
		char line[1100];
		snprintf(line, sizeof line, "%s: %s", config_program, msg);
		log_msg(LOG_ERROR, "%s", msg);
		daemon_report(report_fd, false, line);
	} else {
		fprintf(stderr, "%s: %s\n", config_program, msg);
	}
	if (!replacing)
		notify_send("STOPPING=1"); /* a failed upgrade: the old server runs on */
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

/* URLs a person can open: localhost for a bind to all interfaces, and
 * the machine's other addresses beside it (as miniserve prints them);
 * the bound address otherwise. The "[::]" form is not clickable
 * everywhere. */
static void clickable_urls(const struct config *cfg, const struct listen_set *ls, char *first,
			   size_t fcap, char *others, size_t ocap)
{
	const char *scheme = cfg->tls_cert ? "https" : "http";
	int port = listen_port(ls);
	first[0] = others[0] = '\0';
	if (cfg->unix_socket || port <= 0)
		return;
	bool any6 = !cfg->addr || strcmp(cfg->addr, "::") == 0;
	bool any4 = cfg->addr && strcmp(cfg->addr, "0.0.0.0") == 0;
	if (!any6 && !any4) {
		bool v6 = strchr(cfg->addr, ':') != NULL;
		snprintf(first, fcap, "%s://%s%s%s:%d/", scheme, v6 ? "[" : "", cfg->addr, v6 ? "]" : "",
			 port);
		return;
	}
	snprintf(first, fcap, "%s://localhost:%d/", scheme, port);
	struct ifaddrs *ifa, *i;
	if (getifaddrs(&ifa) < 0)
		return;
	size_t w = 0;
	int n = 0;
	for (int pass = 0; pass < 2; pass++) { /* IPv4 first */
		for (i = ifa; i && n < 4; i = i->ifa_next) {
			char host[INET6_ADDRSTRLEN];
			if (!i->ifa_addr || (i->ifa_flags & IFF_LOOPBACK) || !(i->ifa_flags & IFF_UP))
				continue;
			if (pass == 0 && i->ifa_addr->sa_family == AF_INET) {
				inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, host,
					  sizeof host);
			} else if (pass == 1 && any6 && i->ifa_addr->sa_family == AF_INET6) {
				const struct in6_addr *a = &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
				if (IN6_IS_ADDR_LINKLOCAL(a) || IN6_IS_ADDR_LOOPBACK(a))
					continue;
				inet_ntop(AF_INET6, a, host, sizeof host);
			} else {
				continue;
			}
			bool v6 = pass == 1;
			int k = snprintf(others + w, ocap - w, "%s%s://%s%s%s:%d/", n ? " " : "", scheme,
					 v6 ? "[" : "", host, v6 ? "]" : "", port);
			if (k < 0 || (size_t)k >= ocap - w) {
				others[w] = '\0';
				break;
			}
			w += (size_t)k;
			n++;
		}
	}
	freeifaddrs(ifa);
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

/* Records the file open as fd in own[i], so it is never served. */
static void set_own(struct own_file *own, int i, int fd)
{
	struct stat st;
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		atomic_store_explicit(&own[i].dev, st.st_dev, memory_order_relaxed);
		atomic_store_explicit(&own[i].ino, st.st_ino, memory_order_release);
	}
}

enum { OWN_ACCESS_LOG, OWN_ERROR_LOG, OWN_PID_FILE, OWN_ROTATED };

static void reopen_logs(struct log_file *access, struct log_file *error, struct own_file *own)
{
	log_writer_drain(500);
	int a = log_file_reopen(access), e = log_file_reopen(error);
	if (a < 0)
		log_msg(LOG_ERROR, "cannot reopen %s: %s", access->path, strerror(-a));
	if (e < 0)
		log_msg(LOG_ERROR, "cannot reopen %s: %s", error->path, strerror(-e));
	/* The files now open are never served, and neither are the ones
	 * rotated away (access.log.1 may still sit inside the root): their
	 * identities move to a ring of former log files. */
	static unsigned ring;
	for (int i = OWN_ACCESS_LOG; i <= OWN_ERROR_LOG; i++) {
		ino_t ino = atomic_load_explicit(&own[i].ino, memory_order_relaxed);
		struct stat now;
		int fd = i == OWN_ACCESS_LOG ? access->fd : error->fd;
		/* Only a file really rotated away takes a place in the ring. */
		if (!ino || (fd >= 0 && fstat(fd, &now) == 0 && now.st_ino == ino &&
			     now.st_dev == atomic_load(&own[i].dev)))
			continue;
		int k = OWN_ROTATED + (int)(ring++ % (OWN_FILES_MAX - OWN_ROTATED));
		atomic_store_explicit(&own[k].dev, atomic_load(&own[i].dev), memory_order_relaxed);
		atomic_store_explicit(&own[k].ino, ino, memory_order_release);
	}
	set_own(own, OWN_ACCESS_LOG, access->fd);
	set_own(own, OWN_ERROR_LOG, error->fd);
	if (a == 0 && e == 0 && (access->fd >= 0 || error->fd >= 0))
		log_msg(LOG_INFO, "log files reopened");
}

/* The binary to run for an upgrade: the file now at the path we were
 * started from, which a package upgrade replaces. Links are not resolved:
 * a link switched to a new version must lead to that version. */
static char *own_exe(const char *argv0)
{
	char buf[8192];
	if (argv0[0] == '/')
		return strdup(argv0);
	if (strchr(argv0, '/')) {
		if (!getcwd(buf, sizeof buf - 1 - strlen(argv0) - 1))
			return NULL;
		strcat(buf, "/");
		strcat(buf, argv0);
		return strdup(buf);
	}
	/* Found on PATH: search it the same way. */
	const char *path = getenv("PATH");
	for (const char *p = path; p && *p;) {
		const char *end = strchr(p, ':');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n && n + 1 + strlen(argv0) < sizeof buf && p[0] == '/') {
			memcpy(buf, p, n);
			buf[n] = '/';
			strcpy(buf + n + 1, argv0);
			if (access(buf, X_OK) == 0)
				return strdup(buf);
		}
		p = end ? end + 1 : NULL;
	}
	return realpath("/proc/self/exe", NULL);
}

/* What the running server may still touch: the root (read), the log and
 * pid files' directories (write, for reopening and removing), the TLS
 * files (read, for reloading), and for an upgrade the binary, its
 * libraries and the few files a starting server reads. */
/* Whether the directory open as dirfd holds the document root or lies
 * inside it: write access there reaches the root too. */
static bool holds_root(int dirfd, const char *root)
{
	char link[64], dir[4096];
	snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
	ssize_t n = readlink(link, dir, sizeof dir - 1);
	if (n <= 0)
		return true; /* unknown: assume the worst */
	dir[n] = '\0';
	size_t dl = (size_t)n, rl = strlen(root);
	if (strcmp(dir, "/") == 0 || strcmp(dir, root) == 0)
		return true;
	return (strncmp(root, dir, dl) == 0 && root[dl] == '/') ||
	       (strncmp(dir, root, rl) == 0 && dir[rl] == '/');
}

static void build_sandbox(struct sandbox *sb, const struct config *cfg,
			  const struct site_set *sites, const struct log_file *alog,
			  const struct log_file *elog, const char *exe, char *warning, size_t cap)
{
	static const char *const system_read[] = {
		"/etc/ld.so.cache", "/etc/passwd", "/etc/group", "/etc/nsswitch.conf",
		"/etc/mime.types", "/etc/localtime", "/dev/null", "/dev/urandom",
		"/sys/devices/system/cpu", "/proc/stat", /* the CPU count, for -t */
	};
	static const char *const libraries[] = { "/lib", "/lib64", "/usr/lib", "/usr/lib64" };

	sandbox_begin(sb);
	for (unsigned i = 0; i < sites->n; i++) {
		const struct config *sc = sites->sites[i].cfg;
		sandbox_allow_fd(sb, sites->sites[i].root.fd, SANDBOX_READ);
		/* Files read again at a reload are allowed by directory: tools
		 * replace them by renaming a new file over the old. */
		sandbox_allow(sb, sc->auth_file, SANDBOX_READ_DIR_OF);
		sandbox_allow(sb, sc->tls_cert, SANDBOX_READ_DIR_OF);
		sandbox_allow(sb, sc->tls_key, SANDBOX_READ_DIR_OF);
		const struct config_site *cs = cfg->nsites ? &cfg->sites[i] : NULL;
		const struct config_rule *rules = cs ? cs->rules : cfg->rules;
		unsigned nrules = cs ? cs->nrules : cfg->nrules;
		for (unsigned j = 0; j < nrules; j++)
			sandbox_allow(sb, rules[j].auth_file, SANDBOX_READ_DIR_OF);
	}
	sandbox_allow(sb, cfg->config_file, SANDBOX_READ_DIR_OF);
	sandbox_allow(sb, cfg->acme_challenge, SANDBOX_READ);
	/* The directories of the logs and the pid file are writable (files
	 * are created there on rotation and upgrade, removed at stop), never
	 * readable. Where one holds the document root, so does that right. */
	const int dirs[3] = { alog->fd >= 0 ? alog->dirfd : -1, elog->fd >= 0 ? elog->dirfd : -1,
			      pidfile.fd >= 0 ? pidfile.dirfd : -1 };
	warning[0] = '\0';
	for (int i = 0; i < 3; i++) {
		if (dirs[i] < 0)
			continue;
		sandbox_allow_fd(sb, dirs[i], SANDBOX_WRITE);
		for (unsigned j = 0; j < sites->n && !warning[0]; j++)
			if (holds_root(dirs[i], sites->sites[j].root.real))
				snprintf(warning, cap,
					 "sandbox: the %s file's directory holds the document root, "
					 "which is therefore writable too; give logs and the pid file "
					 "their own directory",
					 i == 2 ? "pid" : "log");
	}
	if (cfg->unix_socket)
		sandbox_allow(sb, cfg->unix_socket, SANDBOX_WRITE);
	for (unsigned i = 0; i < cfg->nlistens; i++)
		sandbox_allow(sb, cfg->listens[i].unix_path, SANDBOX_WRITE);
	sandbox_allow(sb, cfg->tls_cert, SANDBOX_READ_DIR_OF);
	sandbox_allow(sb, cfg->tls_key, SANDBOX_READ_DIR_OF);
	sandbox_allow(sb, cfg->mime_types, SANDBOX_READ);
	sandbox_allow(sb, cfg->auth_file, SANDBOX_READ_DIR_OF);
	char *ssl_conf = tls_config_file();
	if (ssl_conf) {
		sandbox_allow(sb, ssl_conf, SANDBOX_READ);
		char *real = realpath(ssl_conf, NULL);
		sandbox_allow(sb, real, SANDBOX_READ);
		free(real);
		free(ssl_conf);
	}
	for (size_t i = 0; i < sizeof system_read / sizeof system_read[0]; i++)
		sandbox_allow(sb, system_read[i], SANDBOX_READ);
	if (exe) {
		/* The directories, not the file: an upgrade replaces the file
		 * (or switches the link to it). */
		char *real = realpath(exe, NULL);
		const char *paths[2] = { exe, real };
		for (int i = 0; i < 2 && paths[i]; i++) {
			char dir[4096];
			snprintf(dir, sizeof dir, "%s", paths[i]);
			char *slash = strrchr(dir, '/');
			if (slash && slash != dir) {
				*slash = '\0';
				sandbox_allow(sb, dir, SANDBOX_EXEC);
			}
		}
		free(real);
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
			 const struct listen_set *rs, const struct listen_set *xs, int nxs,
			 bool sandboxed, pid_t *child, char *err, size_t cap)
{
	int fds[LISTEN_MAX], n = 0;
	char names[LISTEN_MAX * 10] = "";
	size_t w = 0;
	for (int k = 0; k < 2 + nxs; k++) {
		const struct listen_set *set = k == 0 ? ls : k == 1 ? rs : &xs[k - 2];
		char name[16];
		snprintf(name, sizeof name, "%s", k == 0 ? "server" : k == 1 ? "redirect" : "extra");
		if (k >= 2)
			snprintf(name, sizeof name, "extra%d", k - 2);
		for (int i = 0; i < set->n && n < LISTEN_MAX; i++) {
			fds[n++] = set->fds[i];
			w += (size_t)snprintf(names + w, sizeof names - w, "%s%s", w ? ":" : "", name);
		}
	}
	const char *extra[3];
	int k = 0;
	if (sandboxed)
		extra[k++] = UPGRADE_ENV_SANDBOXED "=1";
	if (ls->unix_path)
		extra[k++] = UPGRADE_ENV_UNIX_OWNED "=1";
	extra[k] = NULL;
	return upgrade_start(exe, argv, fds, n, names, notify_socket_path(), extra, child, err, cap);
}

/* The directory of ACME HTTP-01 answers, open before any sandbox. */
static struct path_root acme_root = { .fd = -1 };

static void acme_open(const struct config *cfg)
{
	if (!cfg->acme_challenge)
		return;
	acme_root.fd = open(cfg->acme_challenge, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (acme_root.fd < 0)
		fail("acme challenge directory '%s': %s", cfg->acme_challenge, strerror(errno));
	acme_root.real = cfg->acme_challenge;
	serve_acme = &acme_root;
}

/* TLS SNI: the certificate of the site the client names, from the
 * configuration of the thread's event loop. */
static void *sni_select(const char *name)
{
	const struct site_set *s = worker_sites;
	const struct site *st = s ? site_find_name(s, name) : NULL;
	return st ? st->tls : NULL;
}

/* Settings a reload cannot change: they shaped sockets, threads, logs or
 * the sandbox at start-up. A change is reported and left for SIGUSR2. */
static void report_fixed(const struct config *old, const struct config *new)
{
#define SAME_STR(a, b) ((!(a) && !(b)) || ((a) && (b) && strcmp(a, b) == 0))
	const char *what = NULL;
	if (old->port != new->port && !(old->port && new->port == 0))
		what = "port";
	else if (!SAME_STR(old->addr, new->addr))
		what = "addr";
	else if (old->threads != new->threads)
		what = "threads";
	else if (!SAME_STR(old->unix_socket, new->unix_socket))
		what = "unix-socket";
	else if (old->redirect_port != new->redirect_port)
		what = "redirect-http";
	else if (!SAME_STR(old->tls_cert, new->tls_cert) || !SAME_STR(old->tls_key, new->tls_key))
		what = "the default certificate's files";
	else if (!SAME_STR(old->log_file, new->log_file) ||
		 !SAME_STR(old->error_log, new->error_log) || old->log_format != new->log_format)
		what = "the logs";
	else if (!SAME_STR(old->user, new->user) || !SAME_STR(old->chroot, new->chroot) ||
		 old->sandbox != new->sandbox)
		what = "user, chroot or sandbox";
	else if (old->max_conns != new->max_conns || old->cache_bytes != new->cache_bytes ||
		 old->max_head != new->max_head || old->max_headers != new->max_headers ||
		 old->max_body != new->max_body)
		what = "a server-wide limit (max-conns, max-head, max-headers, max-body, cache-size)";
	else if (old->head_timeout != new->head_timeout ||
		 old->keepalive_timeout != new->keepalive_timeout ||
		 old->send_timeout != new->send_timeout || old->grace != new->grace)
		what = "a timeout (head, keepalive, send, grace)";
	else if (old->http2 != new->http2 || old->proxy_protocol != new->proxy_protocol ||
		 old->nlistens != new->nlistens)
		what = "a protocol or listener (http2, proxy-protocol, listen)";
	else if (old->access_log != new->access_log || old->sendfile != new->sendfile ||
		 !SAME_STR(old->mime_types, new->mime_types))
		what = "access-log, sendfile or mime-types";
	else if (!SAME_STR(old->acme_challenge, new->acme_challenge))
		what = "acme-challenge";
	if (what)
		log_msg(LOG_WARN,
			"reload: %s changed, which needs SIGUSR2 (or a restart) to apply; the "
			"sites, their rules, files and certificates are reloaded",
			what);
#undef SAME_STR
}

/* SIGHUP: the command line and the config file again, validated in full
 * into a new site set before it replaces the old one; connections finish
 * under the one they started with. An invalid file keeps the old one. */
static void reload(int argc, char **args, const struct config *running, struct site_set **cur,
		   struct worker *workers)
{
	if (running->chroot) {
		/* The paths of the command line and the file lie outside. */
		log_msg(LOG_WARN, "reload: the configuration is not read again under --chroot "
				  "(its paths are outside); restart, or SIGUSR2 without --chroot");
		return;
	}
	static unsigned gen;
	char **argv = calloc((size_t)argc + 1, sizeof *argv);
	char err[1024];
	struct config c;
	struct site_set *set;
	if (!argv) {
		log_msg(LOG_ERROR, "reload: out of memory; the configuration stays");
		return;
	}
	memcpy(argv, args, (size_t)argc * sizeof *argv);
	int rc = config_parse_args(argc, argv, &c, err, sizeof err);
	free(argv);
	if (rc != 0) {
		log_msg(LOG_ERROR, "reload failed, the configuration stays: %s", err);
		return;
	}
	if (c.port == 0)
		c.port = running->port;
	report_fixed(running, &c);
	if (site_set_build(&set, &c, ++gen, err, sizeof err) < 0) {
		log_msg(LOG_ERROR, "reload failed, the configuration stays: %s", err);
		return;
	}
	for (int i = 0; i < running->threads; i++)
		worker_reload(&workers[i], site_set_ref(set));
	worker_reload_commit(workers, running->threads);
	site_set_unref(*cur);
	*cur = set;
	log_msg(LOG_INFO, "reload: configuration%s%s loaded (%u site%s)",
		running->config_file ? " " : "", running->config_file ? running->config_file : "",
		set->n, set->n == 1 ? "" : "s");
}

int main(int argc, char **argv)
{
	struct config cfg;
	static struct own_file own[OWN_FILES_MAX];
	struct log_file alog = { .fd = -1, .dirfd = -1 }, elog = { .fd = -1, .dirfd = -1 };
	struct listen_set ls = { .n = 0 }, rs = { .n = 0 }; /* the server's, the redirect's */
	static struct listen_set xs[LISTEN_EXTRA_MAX];          /* --listen */
	struct privs privs;
	char err[512];
	int sigfd;
	struct worker *workers;

	/* The command line as given, parsed again on SIGHUP (getopt
	 * permutes what it parses). */
	char **args = calloc((size_t)argc + 1, sizeof *args);
	if (!args)
		fail("out of memory");
	memcpy(args, argv, (size_t)argc * sizeof *args);
	config_parse(argc, argv, &cfg);
	if (cfg.probe) {
		int rc = probe_run(cfg.probe, 5000);
		config_free(&cfg);
		free(args);
		return rc;
	}
	struct site_set *sites, *boot;
	if (cfg.check_config) {
		/* Everything the file names is opened and loaded, as at start. */
		struct config copy = cfg;
		if (site_set_build(&sites, &copy, 0, err, sizeof err) < 0) {
			fprintf(stderr, "%s: %s\n", config_program, err);
			free(args);
			return 1;
		}
		/* What start-up opens besides the sites. */
		int bad = 0;
		if (cfg.tls_cert && tls_init(cfg.tls_cert, cfg.tls_key, err, sizeof err) < 0)
			bad = fprintf(stderr, "%s: %s\n", config_program, err);
		else if (cfg.tls_cert)
			tls_cleanup();
		int dfd = cfg.acme_challenge ? open(cfg.acme_challenge, O_PATH | O_DIRECTORY | O_CLOEXEC)
					     : -2;
		if (dfd == -1)
			bad = fprintf(stderr, "%s: acme challenge directory '%s': %s\n", config_program,
				      cfg.acme_challenge, strerror(errno));
		if (dfd >= 0)
			close(dfd);
		if (cfg.mime_types && access(cfg.mime_types, R_OK) < 0)
			bad = fprintf(stderr, "%s: cannot read mime types file %s: %s\n", config_program,
				      cfg.mime_types, strerror(errno));
		if (bad) {
			site_set_unref(sites);
			free(args);
			return 1;
		}
		config_print(&sites->cfg, stdout);
		printf("# %s: the configuration is valid\n", sites->cfg.config_file);
		site_set_unref(sites);
		free(args);
		return 0;
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
	set_own(own, OWN_ACCESS_LOG, alog.fd);
	set_own(own, OWN_ERROR_LOG, elog.fd);

	if (cfg.pid_file) {
		if (pidfile_acquire(&pidfile, cfg.pid_file, replacing, err, sizeof err) < 0)
			fail("%s", err);
		set_own(own, OWN_PID_FILE, pidfile.fd);
	}

	if (cfg.tls_cert && tls_init(cfg.tls_cert, cfg.tls_key, err, sizeof err) < 0)
		fail("%s", err);
	tls_offer_h2(cfg.http2 && h2_available());

	int nxs = (int)cfg.nlistens;
	int inherited = listen_inherit_all(&ls, &rs, xs, nxs, cfg.threads, err, sizeof err);
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
	} else if (cfg.unix_socket && upgrade_flag(UPGRADE_ENV_UNIX_OWNED)) {
		ls.unix_path = cfg.unix_socket; /* created by the server we replace */
	}
	/* More listeners (--listen): handed over by the server we replace, or
	 * opened now. */
	for (int k = 0; k < nxs; k++) {
		const struct config_listen *l = &cfg.listens[k];
		if (xs[k].n > 0) {
			if (l->unix_path)
				xs[k].unix_path = l->unix_path;
			continue;
		}
		int rc = l->unix_path
				 ? listen_open_unix(&xs[k], l->unix_path, cfg.unix_socket_mode, err, sizeof err)
				 : listen_open(&xs[k], l->addr ? l->addr : cfg.addr, l->port, cfg.threads, err,
					       sizeof err);
		if (rc < 0)
			fail("--listen %s: %s", l->spec, err);
	}

	if (inherited > 0 || cfg.port == 0) {
		/* Redirects name the port clients reach the server on (and
		 * -p 0 lets the kernel pick it). */
		int port = listen_port(&ls);
		if (port > 0)
			cfg.port = port;
	}

	/* Before the sandbox: listing interfaces takes a netlink socket. */
	char url[160], more_urls[640];
	clickable_urls(&cfg, &ls, url, sizeof url, more_urls, sizeof more_urls);

	/* The sites (roots, users, rules, certificates) own the
	 * configuration's memory from here on; cfg stays the start-up view
	 * of the server-wide settings. Opened after the daemon's fork, which
	 * closes every inherited descriptor. */
	site_base_cert(cfg.tls_cert);
	if (site_set_build(&sites, &cfg, 0, err, sizeof err) < 0)
		fail("%s", err);
	boot = site_set_ref(sites);
	/* What start-up messages say is served: the root, or the sites. */
	char served[4200];
	if (cfg.nsites)
		snprintf(served, sizeof served, "%u site%s (%s%s) from %s", cfg.nsites,
			 cfg.nsites == 1 ? "" : "s",
			 cfg.sites[0].nhosts ? cfg.sites[0].hosts[0] : "default",
			 cfg.nsites > 1 ? ", ..." : "", cfg.config_file);
	else
		snprintf(served, sizeof served, "%s", cfg.root);
	acme_open(&cfg);
	tls_sni(sni_select);

	/* One cache and one byte budget for the whole process. */
	static struct file_cache cache;
	if (file_cache_init(&cache, FILE_CACHE_ENTRIES, cfg.cache_bytes, FILE_CACHE_MAX_FILE) < 0)
		fail("out of memory");

	if (cfg.mime_types) {
		int n = mime_load(cfg.mime_types);
		if (n < 0)
			fail("cannot read mime types file %s: %s", cfg.mime_types, strerror(-n));
	} else if (access("/etc/mime.types", R_OK) == 0) {
		mime_load("/etc/mime.types");
	}
	rlim_t nofile = raise_nofile(&cfg);
	char *exe = own_exe(argv[0]);

	/* The sandbox's rules name paths, so they are made before a chroot. */
	struct sandbox sb;
	char sandbox_warning[256] = "";
	bool inherited_sandbox = upgrade_flag(UPGRADE_ENV_SANDBOXED);
	if (cfg.sandbox && !inherited_sandbox)
		build_sandbox(&sb, &cfg, sites, &alog, &elog, exe, sandbox_warning,
			      sizeof sandbox_warning);

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
		for (int k = 0; k < 2 + nxs; k++) {
			const struct listen_set *set = k == 0 ? &ls : k == 1 ? &rs : &xs[k - 2];
			enum worker_listen_kind kind = k == 1		      ? LISTEN_REDIRECT
						       : k == 0 ? (cfg.tls_cert ? LISTEN_HTTPS : LISTEN_HTTP)
						       : cfg.listens[k - 2].tls ? LISTEN_HTTPS
										: LISTEN_HTTP;
			bool proxy = k < 2 ? cfg.proxy_protocol : cfg.listens[k - 2].proxy;
			int n = listen_for_thread(set, i, fds, shared, WORKER_LISTEN_MAX - nwl);
			if (n == -EMFILE)
				fail("too many listening sockets (at most %d)", WORKER_LISTEN_MAX);
			if (n < 0)
				fail("cannot share the listening sockets: %s", strerror(-n));
			for (int j = 0; j < n; j++)
				wl[nwl++] = (struct worker_listener){ fds[j], shared[j], proxy, kind };
		}
		int rc = worker_init(&workers[i], i, &cfg, wl, nwl, sites, own, &cache);
		if (rc < 0)
			fail("cannot start event loop %d: %s", i, strerror(-rc));
	}
	char sandbox_line[256] = "sandbox: off (--no-sandbox)";
	if (inherited_sandbox) {
		/* Already confined by the server we replace; another layer
		 * each upgrade would hit Landlock's limit of 16. */
		snprintf(sandbox_line, sizeof sandbox_line,
			 "sandbox: inherited from the server replaced (PID %ld)", (long)replacing);
	} else if (cfg.sandbox) {
		if (sandbox_enter(&sb, err, sizeof err) < 0)
			fail("cannot enter the sandbox: %s", err);
		sandbox_describe(&sb, sandbox_line, sizeof sandbox_line);
	}
	/* From here on one thread writes the logs: a log that blocks costs
	 * lines (counted), never a stalled event loop. */
	int lrc = log_writer_start();
	if (lrc < 0)
		fail("cannot start the log writer: %s", strerror(-lrc));
	metrics_register_log_dropped(log_dropped_lines);
	/* Helper threads for work too long for an event loop; started after
	 * the sandbox, so they are confined like the loops. */
	int prc = pool_start(POOL_THREADS, POOL_QUEUE_MAX);
	if (prc < 0)
		fail("cannot start the helper threads: %s", strerror(-prc));
	for (int i = 0; i < cfg.threads; i++) {
		int rc = pthread_create(&workers[i].thread, NULL, worker_run, &workers[i]);
		if (rc != 0)
			fail("cannot start thread %d: %s", i, strerror(rc));
	}

	if (cfg.tls_cert && strncmp(ls.where, "http://", 7) == 0) {
		memmove(ls.where + 5, ls.where + 4, strlen(ls.where + 4) + 1);
		ls.where[4] = 's';
	}
	/* A person at a terminal gets what they need in a line or two; the
	 * log (a file, a pipe, a journal) and --verbose get the detail. */
	bool terse = !cfg.daemon && !cfg.verbose && log_error_fd() >= 0 && isatty(log_error_fd());
	if (terse) {
		log_msg(LOG_INFO, "serving %s at %s", served, url[0] ? url : ls.where);
		if (more_urls[0])
			log_msg(LOG_INFO, "also at %s", more_urls);
		for (int k = 0; k < nxs; k++)
			log_msg(LOG_INFO, "also listening on %s", xs[k].where);
	} else {
		log_msg(LOG_INFO, "%s serving %s on %s%s%s (%d thread%s, PID %ld)", SERVER_SOFTWARE,
			served, ls.where, url[0] ? ", open " : "", url, cfg.threads,
			cfg.threads == 1 ? "" : "s", (long)getpid());
		if (more_urls[0])
			log_msg(LOG_INFO, "also at %s", more_urls);
		for (int k = 0; k < nxs; k++)
			log_msg(LOG_INFO, "also listening on %s%s%s (%s)", xs[k].where,
				cfg.listens[k].tls ? ", TLS" : "",
				cfg.listens[k].proxy ? ", PROXY protocol" : "", cfg.listens[k].spec);
		log_msg(LOG_INFO,
			"limits: %u connections, %u-byte heads, %u header fields, %llu-byte bodies; "
			"timeouts: head %us, keep-alive %us, send %us, grace %us; descriptors %llu",
			cfg.max_conns, cfg.max_head, cfg.max_headers, (unsigned long long)cfg.max_body,
			cfg.head_timeout, cfg.keepalive_timeout, cfg.send_timeout, cfg.grace,
			(unsigned long long)nofile);
		log_msg(LOG_INFO, "%s", sandbox_line);
	}
	if (sandbox_warning[0])
		log_msg(LOG_WARN, "%s", sandbox_warning);
	if (ls.inherited && !terse)
		log_msg(LOG_INFO, "listening sockets inherited (%d)", ls.n + rs.n);
	if (rs.n && !terse)
		log_msg(LOG_INFO, "redirecting plain HTTP on %s to HTTPS", rs.where);
	if (cfg.tls_cert && !terse)
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
	int committed = pidfile_commit(&pidfile);
	if (committed < 0)
		fail("cannot write pid file %s: %s", cfg.pid_file, strerror(-committed));
	if (report_fd >= 0) {
		char msg[4800];
		if (replacing)
			snprintf(msg, sizeof msg, "%ld", (long)getpid());
		else
			snprintf(msg, sizeof msg,
				 "%s: running as a daemon with PID %ld, serving %s at %s",
				 config_program, (long)getpid(), served, url[0] ? url : ls.where);
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
		int rc = poll(pfd, upgrade_fd >= 0 ? 2 : 1, stops ? 100 : 1000);
		log_writer_tick();
		if (!stops && site_set_stale(sites)) {
			log_msg(LOG_INFO, "_headers or _redirects changed: reloading");
			reload(argc, args, &cfg, &sites, workers);
		}
		int sig = rc > 0 && (pfd[0].revents & POLLIN) ? signals_read(sigfd) : 0;
		bool stop = sig == SIGTERM || sig == SIGINT;
		if (sig == SIGHUP || sig == SIGUSR1) {
			notify_reloading();
			reopen_logs(&alog, &elog, own);
			if (sig == SIGHUP && cfg.tls_cert) {
				if (tls_reload(err, sizeof err) < 0)
					log_msg(LOG_ERROR, "TLS reload failed, the old certificate stays: %s", err);
				else
					log_msg(LOG_INFO, "TLS certificate and key reloaded");
			}
			if (sig == SIGHUP)
				reload(argc, args, &cfg, &sites, workers);
			notify_send("READY=1");
		} else if (sig == SIGUSR2 && !stops && upgrade_fd < 0) {
			if (!exe)
				log_msg(LOG_ERROR, "upgrade: cannot find the server binary");
			else if (cfg.chroot)
				log_msg(LOG_ERROR, "upgrade: not possible under --chroot "
						   "(the binary is outside); restart instead");
			else if ((upgrade_fd = start_upgrade(exe, argv, &ls, &rs, xs, nxs,
							     cfg.sandbox, &upgrade_pid, err,
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
		if (stop && upgrade_fd >= 0) {
			/* Stopped while a new binary starts: it goes too. */
			kill(upgrade_pid, SIGTERM);
			close(upgrade_fd);
			upgrade_fd = -1;
			log_msg(LOG_INFO, "upgrade: stopped, and PID %ld with it", (long)upgrade_pid);
			upgrade_pid = 0;
		}
		if (stop) {
			if (!stops++ && !upgrade_pid)
				notify_send("STOPPING=1");
			listen_close(&ls);
			listen_close(&rs);
			for (int k = 0; k < nxs; k++)
				listen_close(&xs[k]);
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
	/* The loops have flushed their lines: write out what is queued. */
	log_writer_stop();

	/* The helpers finish the jobs they run (queued ones are dropped:
	 * their connections are gone); then the loops' memory goes, then
	 * the cache. */
	pool_stop();
	for (int i = 0; i < cfg.threads; i++)
		worker_destroy(&workers[i]);
	file_cache_destroy(&cache);
	pidfile_release(&pidfile);
	if (ls.unix_path && !upgrade_pid)
		unlink(ls.unix_path);
	for (int k = 0; k < nxs; k++)
		if (xs[k].unix_path && !upgrade_pid)
			unlink(xs[k].unix_path);
	log_msg(LOG_INFO, "Stopped");
	close(sigfd);
	site_set_unref(sites);
	site_set_unref(boot);
	if (acme_root.fd >= 0)
		close(acme_root.fd);
	tls_cleanup();
	log_file_close(&alog);
	log_file_close(&elog);
	free(exe);
	free(joined);
	free(workers);
	free(args);
	mime_unload();
	return 0;
}
