/* config.c - getopt_long over argv; every value is checked here so the
 * rest of the server can trust struct config. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access_log.h"
#include "compress.h"
#include "config_internal.h"
#include "h2.h"
#include "tls.h"
#include "trusted.h"
#include "version.h"
#include "yaml_doc.h"

enum {
	OPT_PID_FILE = 256,
	OPT_LOG_FILE,
	OPT_MAX_CONNS,
	OPT_MAX_HEAD,
	OPT_MAX_HEADERS,
	OPT_MAX_BODY,
	OPT_HEAD_TIMEOUT,
	OPT_KEEPALIVE_TIMEOUT,
	OPT_SEND_TIMEOUT,
	OPT_GRACE,
	OPT_MAX_AGE,
	OPT_DOTFILES,
	OPT_NO_SYMLINKS,
	OPT_ACCESS_LOG,
	OPT_CACHE,
	OPT_NO_SMART_CACHE,
	OPT_PRETTY_URLS,
	OPT_INDEX,
	OPT_CORS,
	OPT_FALLBACK,
	OPT_MIME_TYPES,
	OPT_COMPRESS,
	OPT_NO_COMPRESS,
	OPT_AUTH_FILE,
	OPT_SENDFILE,
	OPT_PROBE,
	OPT_HEALTH,
	OPT_LOG_FORMAT,
	OPT_ERROR_LOG,
	OPT_CHROOT,
	OPT_UNIX_SOCKET,
	OPT_UNIX_SOCKET_MODE,
	OPT_METRICS,
	OPT_TLS_CERT,
	OPT_TLS_KEY,
	OPT_REDIRECT_HTTP,
	OPT_NO_SANDBOX,
	OPT_NO_HTTP2,
	OPT_VERBOSE,
	OPT_CHECK_CONFIG,
	OPT_ACME_CHALLENGE,
	OPT_TRUSTED_PROXIES,
	OPT_PROXY_PROTOCOL,
	OPT_LISTEN,
	OPT_MAX, /* bound of the option codes */
};

#define SHORT_OPTIONS "p:d:ba:t:H:u:lhVc:"

static const struct option options[] = {
	{ "port", required_argument, NULL, 'p' },
	{ "root", required_argument, NULL, 'd' },
	{ "daemon", no_argument, NULL, 'b' },
	{ "addr", required_argument, NULL, 'a' },
	{ "threads", required_argument, NULL, 't' },
	{ "pid-file", required_argument, NULL, OPT_PID_FILE },
	{ "log-file", required_argument, NULL, OPT_LOG_FILE },
	{ "max-conns", required_argument, NULL, OPT_MAX_CONNS },
	{ "max-head", required_argument, NULL, OPT_MAX_HEAD },
	{ "max-headers", required_argument, NULL, OPT_MAX_HEADERS },
	{ "max-body", required_argument, NULL, OPT_MAX_BODY },
	{ "head-timeout", required_argument, NULL, OPT_HEAD_TIMEOUT },
	{ "keepalive-timeout", required_argument, NULL, OPT_KEEPALIVE_TIMEOUT },
	{ "send-timeout", required_argument, NULL, OPT_SEND_TIMEOUT },
	{ "grace", required_argument, NULL, OPT_GRACE },
	{ "max-age", required_argument, NULL, OPT_MAX_AGE },
	{ "dotfiles", no_argument, NULL, OPT_DOTFILES },
	{ "no-symlinks", no_argument, NULL, OPT_NO_SYMLINKS },
	{ "access-log", required_argument, NULL, OPT_ACCESS_LOG },
	{ "cache-size", required_argument, NULL, OPT_CACHE },
	{ "no-smart-cache", no_argument, NULL, OPT_NO_SMART_CACHE },
	{ "list", no_argument, NULL, 'l' },
	{ "pretty-urls", no_argument, NULL, OPT_PRETTY_URLS },
	{ "index", required_argument, NULL, OPT_INDEX },
	{ "header", required_argument, NULL, 'H' },
	{ "cors", optional_argument, NULL, OPT_CORS },
	{ "fallback", required_argument, NULL, OPT_FALLBACK },
	{ "mime-types", required_argument, NULL, OPT_MIME_TYPES },
	{ "compress", no_argument, NULL, OPT_COMPRESS },
	{ "no-compress", no_argument, NULL, OPT_NO_COMPRESS },
	{ "auth-file", required_argument, NULL, OPT_AUTH_FILE },
	{ "sendfile", required_argument, NULL, OPT_SENDFILE },
	{ "probe", required_argument, NULL, OPT_PROBE },
	{ "health", required_argument, NULL, OPT_HEALTH },
	{ "log-format", required_argument, NULL, OPT_LOG_FORMAT },
	{ "error-log", required_argument, NULL, OPT_ERROR_LOG },
	{ "user", required_argument, NULL, 'u' },
	{ "chroot", required_argument, NULL, OPT_CHROOT },
	{ "unix-socket", required_argument, NULL, OPT_UNIX_SOCKET },
	{ "unix-socket-mode", required_argument, NULL, OPT_UNIX_SOCKET_MODE },
	{ "metrics", required_argument, NULL, OPT_METRICS },
	{ "tls-cert", required_argument, NULL, OPT_TLS_CERT },
	{ "tls-key", required_argument, NULL, OPT_TLS_KEY },
	{ "redirect-http", required_argument, NULL, OPT_REDIRECT_HTTP },
	{ "no-sandbox", no_argument, NULL, OPT_NO_SANDBOX },
	{ "no-http2", no_argument, NULL, OPT_NO_HTTP2 },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ "config", required_argument, NULL, 'c' },
	{ "check-config", required_argument, NULL, OPT_CHECK_CONFIG },
	{ "acme-challenge", required_argument, NULL, OPT_ACME_CHALLENGE },
	{ "trusted-proxies", required_argument, NULL, OPT_TRUSTED_PROXIES },
	{ "proxy-protocol", no_argument, NULL, OPT_PROXY_PROTOCOL },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

const char *config_program = "server";

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: %s [OPTION]... [DIR]\n"
		"Serve the files of DIR (or -d DIR, default ./web) over HTTP/1.1 and HTTP/2.\n"
		"\n"
		"  -c, --config FILE         read settings and sites from a YAML file; flags given\n"
		"                            here win over it (see docs/config.md)\n"
		"      --check-config FILE   check the file, print the configuration, exit 0 or 1\n"
		"  -p, --port PORT           TCP port, 1-65535, or 0 for a free one (default 3000)\n"
		"  -d, --root DIR            document root (default ./web)\n"
		"  -a, --addr ADDR           bind address (default: all interfaces, IPv6 and IPv4)\n"
		"      --tls-cert FILE       serve HTTPS with this PEM certificate (and chain)\n"
		"      --tls-key FILE        the certificate's PEM private key\n"
		"      --redirect-http PORT  also answer plain HTTP on PORT with 308 to HTTPS\n"
		"      --no-http2            speak HTTP/1.1 only (default: HTTP/2 too, by ALPN h2\n"
		"                            over TLS and by prior knowledge on cleartext ports)\n"
		"      --acme-challenge DIR  answer /.well-known/acme-challenge/ from DIR, every site\n"
		"      --trusted-proxies LIST  take the client address from X-Forwarded-For or\n"
		"                            X-Real-IP of these peers (\"10.0.0.0/8, ::1\")\n"
		"      --proxy-protocol      every connection starts with a PROXY v1/v2 header\n"
		"      --listen SPEC         one more listener, repeatable: [ADDR:]PORT or\n"
		"                            unix:PATH, then ,tls and/or ,proxy-protocol\n"
		"      --unix-socket PATH    listen on a unix socket instead of TCP\n"
		"      --unix-socket-mode MODE  its permissions, octal (default 660)\n"
		"  -t, --threads N           event-loop threads (default: online CPUs)\n"
		"  -b, --daemon              run in the background as a daemon\n"
		"      --pid-file PATH       pid file (default server.pid; written in daemon mode,\n"
		"                            or in the foreground when this option is given)\n"
		"      --log-file PATH       access log file (default: standard output in the\n"
		"                            foreground, server.log as a daemon)\n"
		"      --log-format FORMAT   default, combined (Apache/nginx) or json\n"
		"      --error-log PATH      server messages (default: with the access log in the\n"
		"                            default and json formats; standard error, or\n"
		"                            server.error.log as a daemon, with combined)\n"
		"  -u, --user USER[:GROUP]   switch to this user after binding the port (as root)\n"
		"      --chroot DIR          confine the server to DIR after start-up (as root)\n"
		"      --no-sandbox          do not confine the running server (Landlock, seccomp)\n"
		"      --max-conns N         concurrent connections (default 16384)\n"
		"      --max-head BYTES      request line and header fields (default 16384)\n"
		"      --max-headers N       header fields per request (default 100)\n"
		"      --max-body BYTES      request body read and discarded (default 1048576)\n"
		"      --head-timeout SEC    time to receive a request head (default 15)\n"
		"      --keepalive-timeout SEC  idle time between requests (default 30)\n"
		"      --send-timeout SEC    time without progress while sending (default 30)\n"
		"      --grace SEC           time to finish in-flight responses at stop (default 10)\n"
		"      --max-age SEC         Cache-Control: max-age=SEC for files neither HTML\n"
		"                            nor hash-named (default: no-cache, revalidate)\n"
		"      --dotfiles            serve files and directories whose name starts with '.'\n"
		"      --no-symlinks         refuse every symbolic link, even inside the root\n"
		"      --access-log on|off   log one line per request (default on)\n"
		"      --cache-size BYTES    memory for small hot files, 0 disables (default 67108864)\n"
		"      --index NAME          directory index file, repeatable (default index.html)\n"
		"  -l, --list                list directories that have no index file\n"
		"  -H, --header 'NAME: VALUE'  add a header to every response, repeatable (at most\n"
		"                            1024 bytes each, 2048 in all with the --cors origin)\n"
		"      --cors [ORIGIN]       allow cross-origin requests (default origin *)\n"
		"      --fallback FILE       answer missing non-asset paths with FILE (single-page apps)\n"
		"      --pretty-urls         serve /about from about.html\n"
		"      --mime-types FILE     extra types from a mime.types file (default /etc/mime.types)\n"
		"      --no-smart-cache      only --max-age decides Cache-Control\n"
		"      --compress, --no-compress  compress text types on the fly (default on;\n"
		"                            precompressed .br/.zst/.gz files are always used)\n"
		"      --auth-file FILE      require Basic authentication (htpasswd, bcrypt or SHA-crypt)\n"
		"      --health PATH         answer GET/HEAD PATH with 200 without touching the disk\n"
		"      --metrics PATH        answer PATH with counters in the Prometheus format\n"
		"      --probe URL           send HEAD to an http:// URL; exit 0 on 2xx/3xx, else 1\n"
		"      --sendfile on|off|auto  file bodies with sendfile(2), pread+send, or sendfile\n"
		"                            up to 16 MiB and pread+send above (default auto)\n"
		"      --verbose             on a terminal, print the full start-up detail\n"
		"                            (limits, sandbox, TLS) as in the log\n"
		"  -h, --help                show this help and exit\n"
		"  -V, --version             show the version and exit\n"
		"\n"
		"Signals: SIGTERM or SIGINT stop the server after in-flight responses;\n"
		"SIGHUP reopens the log files and reloads the configuration and certificates; SIGUSR1\n"
		"reopens the log files; SIGUSR2 starts a new binary on the same sockets.\n",
		config_program);
}

struct config_mem {
	struct config_mem *next;
	max_align_t data[];
};

void *config_alloc(struct parser *p, size_t n)
{
	struct config_mem *m = malloc(sizeof *m + n);
	if (!m)
		return NULL;
	m->next = p->top->mem;
	p->top->mem = m;
	return m->data;
}

char *config_strndup(struct parser *p, const char *s, size_t n)
{
	char *d = config_alloc(p, n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/* Arguments end up quoted in messages: control bytes there (a -H value
 * with CRLF) are shown as '?' so the message stays one line. */
int config_fail(struct parser *p, int rc, const char *fmt, ...)
{
	va_list ap;

	if (!p->cap)
		return rc;
	va_start(ap, fmt);
	vsnprintf(p->err, p->cap, fmt, ap);
	va_end(ap);
	for (char *q = p->err; *q; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f)
			*q = '?';
	return rc;
}

#define fail(p, rc, ...) config_fail(p, rc, __VA_ARGS__)

static int no_memory(struct parser *p)
{
	return fail(p, CONFIG_ERR_START, "out of memory");
}

static int parse_num(struct parser *p, const char *s, const char *what, unsigned long lo,
		     unsigned long hi, unsigned long *v)
{
	char *end;
	errno = 0;
	if (*s < '0' || *s > '9')
		goto bad;
	*v = strtoul(s, &end, 10);
	if (errno || *end != '\0' || *v < lo || *v > hi)
		goto bad;
	return 0;
bad:
	return fail(p, CONFIG_ERR_VALUE, "invalid %s '%s' (expected %lu-%lu)", what, s,
		    lo, hi);
}

/* The options that take a number: its bounds, and the field it sets. */
struct num_option {
	int opt;
	const char *what; /* for "invalid <what> '<value>'" */
	unsigned long lo, hi;
	size_t offset, size;
};

/* The field's size, which must be 4 or 8 bytes: any other size asks for
 * an array too large to exist, which stops the build. */
#define FIELD_SIZE(f) sizeof(char[sizeof(f) == 4 || sizeof(f) == 8 ? sizeof(f) : -1])
#define NUM(opt, what, lo, hi, field)                                                              \
	{ opt, what, lo, hi, offsetof(struct config, field),                                       \
	  FIELD_SIZE(((struct config *)0)->field) }

static const struct num_option num_options[] = {
	NUM('p', "port", 0, 65535, port),
	NUM('t', "thread count", 1, 256, threads),
	NUM(OPT_MAX_CONNS, "connection limit", 1, 1000000, max_conns),
	NUM(OPT_MAX_HEAD, "head size", 1024, 1048576, max_head),
	NUM(OPT_MAX_HEADERS, "header count", 1, 1000, max_headers),
	NUM(OPT_MAX_BODY, "body size", 0, ULONG_MAX, max_body),
	NUM(OPT_HEAD_TIMEOUT, "timeout", 1, 86400, head_timeout),
	NUM(OPT_KEEPALIVE_TIMEOUT, "timeout", 1, 86400, keepalive_timeout),
	NUM(OPT_SEND_TIMEOUT, "timeout", 1, 86400, send_timeout),
	NUM(OPT_GRACE, "grace period", 0, 86400, grace),
	NUM(OPT_MAX_AGE, "max-age", 0, 2147483647, max_age),
	NUM(OPT_CACHE, "cache size", 0, ULONG_MAX, cache_bytes),
	NUM(OPT_REDIRECT_HTTP, "port", 1, 65535, redirect_port),
};

/* If opt takes a number, parses arg into its field (int, unsigned, long
 * or uint64_t: the bounds keep the value representable in each) and
 * returns true with *rc set. */
static bool opt_number(struct parser *p, int opt, const char *arg, int *rc)
{
	for (size_t i = 0; i < sizeof num_options / sizeof num_options[0]; i++) {
		const struct num_option *o = &num_options[i];
		unsigned long v = 0;
		if (o->opt != opt)
			continue;
		*rc = parse_num(p, arg, o->what, o->lo, o->hi, &v);
		if (*rc == 0 && o->size == sizeof(uint32_t)) {
			uint32_t x = (uint32_t)v;
			memcpy((char *)p->c + o->offset, &x, sizeof x);
		} else if (*rc == 0) {
			uint64_t x = v;
			memcpy((char *)p->c + o->offset, &x, sizeof x);
		}
		return true;
	}
	return false;
}

int config_resolve_root(struct parser *p, const char *dir)
{
	struct stat st;
	int fd, e;

	if (stat(dir, &st) < 0)
		goto fail;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		goto fail;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		goto fail;
	e = access(dir, R_OK | X_OK) < 0 ? errno : 0;
	close(fd);
	if (e) {
		errno = e;
		goto fail;
	}
	char *real = realpath(dir, NULL);
	if (!real)
		goto fail;
	p->c->root = config_strndup(p, real, strlen(real));
	free(real);
	return p->c->root ? 0 : no_memory(p);
fail:
	if (!p->root_given && errno == ENOENT)
		return fail(p, CONFIG_ERR_START,
			    "no directory '%s' to serve here; to serve another folder: %s DIR", dir,
			    config_program);
	return fail(p, CONFIG_ERR_START, "document root '%s': %s", dir,
		    strerror(errno));
}

/* A list of addresses and networks, checked here; the site layer builds
 * the set the server uses from the same text. */
static int set_trusted(struct parser *p, const char *arg)
{
	struct trusted *t = trusted_new();
	char msg[256];
	if (!t)
		return no_memory(p);
	int rc = trusted_add(t, arg, msg, sizeof msg);
	trusted_free(t);
	if (rc < 0 || !*arg)
		return fail(p, CONFIG_ERR_USAGE, "invalid --trusted-proxies: %s",
			    rc < 0 ? msg : "an empty list");
	p->c->trusted_proxies = arg;
	return 0;
}

/* --listen [ADDR:]PORT|[V6]:PORT|unix:PATH[,tls][,proxy-protocol] */
static int add_listen(struct parser *p, const char *arg)
{
	struct config *c = p->c;
	if (p->from_cli && !p->cli_listen) {
		p->cli_listen = true; /* the command line's list replaces the file's */
		c->nlistens = 0;
	}
	if (c->nlistens == CONFIG_LISTEN_MAX)
		return fail(p, CONFIG_ERR_USAGE, "at most %d --listen", CONFIG_LISTEN_MAX);
	struct config_listen l = { .spec = arg };
	size_t n = strcspn(arg, ",");
	char *where = config_strndup(p, arg, n);
	if (!where)
		return no_memory(p);
	for (const char *f = arg + n; *f;) {
		f++;
		size_t k = strcspn(f, ",");
		if (k == 3 && strncmp(f, "tls", 3) == 0)
			l.tls = true;
		else if (k == 14 && strncmp(f, "proxy-protocol", 14) == 0)
			l.proxy = true;
		else
			return fail(p, CONFIG_ERR_USAGE,
				    "--listen '%s': unknown flag '%.*s' (tls, proxy-protocol)", arg,
				    (int)k, f);
		f += k;
	}
	if (strncmp(where, "unix:", 5) == 0) {
		if (!where[5] || l.tls)
			return fail(p, CONFIG_ERR_USAGE,
				    "--listen '%s': unix:PATH, without tls", arg);
		l.unix_path = where + 5;
	} else {
		char *colon = strrchr(where, ':');
		const char *port = colon ? colon + 1 : where;
		if (colon) {
			*colon = '\0';
			l.addr = where;
			size_t al = strlen(where);
			if (al >= 2 && where[0] == '[' && where[al - 1] == ']') {
				where[al - 1] = '\0';
				l.addr = where + 1;
			}
			if (!*l.addr)
				return fail(p, CONFIG_ERR_USAGE, "--listen '%s': empty address", arg);
		}
		unsigned long v;
		int rc = parse_num(p, port, "--listen port", 1, 65535, &v);
		if (rc)
			return rc;
		l.port = (int)v;
	}
	struct config_listen *a = config_alloc(p, (c->nlistens + 1) * sizeof *a);
	if (!a)
		return no_memory(p);
	if (c->nlistens)
		memcpy(a, c->listens, c->nlistens * sizeof *a);
	a[c->nlistens++] = l;
	c->listens = a;
	return 0;
}

/* A header value may not break the header block. */
static bool valid_value(const char *v)
{
	for (; *v; v++)
		if (((unsigned char)*v < 0x20 && *v != '\t') || *v == 0x7f)
			return false;
	return true;
}

/* tchar of RFC 9110 section 5.6.2. */
static bool is_tchar(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static int add_index(struct parser *p, const char *name)
{
	struct config *c = p->c;
	if (!*name || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return fail(p, CONFIG_ERR_USAGE,
			    "invalid index name '%s' (a file name, no '/')", name);
	const char **n = config_alloc(p, (c->nindexes + 1) * sizeof *n);
	if (!n)
		return no_memory(p);
	if (c->nindexes)
		memcpy(n, c->indexes, c->nindexes * sizeof *n);
	n[c->nindexes++] = name;
	c->indexes = n;
	return 0;
}

/* -H 'Name: value': the name must be a token, the value free of control
 * characters; both are kept as one ready "Name: value\r\n" line. The
 * bounds keep every response head within its buffer. */
static int add_header(struct parser *p, const char *arg)
{
	struct config *c = p->c;
	const char *colon = strchr(arg, ':');
	if (!colon || colon == arg)
		return fail(p, CONFIG_ERR_USAGE,
			    "invalid header '%s' (expected 'Name: value')", arg);
	for (const char *q = arg; q < colon; q++)
		if (!is_tchar(*q))
			return fail(p, CONFIG_ERR_USAGE, "invalid header name in '%s'",
				    arg);
	const char *v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	if (!valid_value(v))
		return fail(p, CONFIG_ERR_USAGE, "invalid header value in '%s'", arg);
	int name_len = (int)(colon - arg);
	size_t line = (size_t)name_len + 2 + strlen(v);
	if (line > CONFIG_HEADER_MAX)
		return fail(p, CONFIG_ERR_USAGE,
			    "-H header '%.*s' is too long: %zu bytes, at most %d", name_len, arg,
			    line, CONFIG_HEADER_MAX);
	size_t old = p->headers_len, total = old + line + 2;
	if (total > CONFIG_HEADERS_MAX)
		return fail(p, CONFIG_ERR_USAGE,
			    "-H headers are too long: %zu bytes in all, at most %d", total,
			    CONFIG_HEADERS_MAX);
	char *buf = config_alloc(p, total + 1);
	if (!buf)
		return no_memory(p);
	memcpy(buf, c->extra_headers, old);
	snprintf(buf + old, total + 1 - old, "%.*s: %s\r\n", name_len, arg, v);
	c->extra_headers = buf;
	p->headers_len = total;
	return 0;
}

static int set_cors(struct parser *p, const char *origin)
{
	if (!*origin || !valid_value(origin))
		return fail(p, CONFIG_ERR_USAGE, "invalid --cors origin '%s'", origin);
	p->c->cors_origin = origin;
	return 0;
}

/* A path relative to the root, with or without its '/'. */
static int set_fallback(struct parser *p, const char *arg)
{
	size_t n = strlen(arg);
	char *f = config_alloc(p, n + 2);
	if (!f)
		return no_memory(p);
	snprintf(f, n + 2, "%s%s", arg[0] == '/' ? "" : "/", arg);
	p->c->fallback = f;
	return 0;
}

static int set_sendfile(struct parser *p, const char *arg)
{
	if (strcmp(arg, "on") == 0)
		p->c->sendfile = SENDFILE_ON;
	else if (strcmp(arg, "off") == 0)
		p->c->sendfile = SENDFILE_OFF;
	else if (strcmp(arg, "auto") == 0)
		p->c->sendfile = SENDFILE_AUTO;
	else
		return fail(p, CONFIG_ERR_USAGE,
			    "--sendfile takes 'on', 'off' or 'auto', not '%s'", arg);
	return 0;
}

/* --health and --metrics: a path a request line can carry as it is. */
static int set_page(struct parser *p, const char **field, const char *arg, const char *opt,
		    const char *example)
{
	if (arg[0] != '/' || !valid_value(arg) || strpbrk(arg, " ?#"))
		return fail(p, CONFIG_ERR_USAGE, "%s takes a path like %s, not '%s'",
			    opt, example, arg);
	*field = arg;
	return 0;
}

/* getopt_long returned '?' or ':' for the element before optind. */
static int bad_option(struct parser *p, int opt, char **argv)
{
	const char *arg = argv[optind - 1];
	if (opt == ':')
		return fail(p, CONFIG_ERR_OPTION, "option '%s' needs a value", arg);
	/* A known short option in optopt means a long one given "=value". */
	if (optopt >= 256 || (optopt > 0 && optopt != ':' && strchr(SHORT_OPTIONS, optopt)))
		return fail(p, CONFIG_ERR_OPTION, "option '%.*s' takes no value",
			    (int)strcspn(arg, "="), arg);
	if (optopt)
		return fail(p, CONFIG_ERR_OPTION, "unknown option '-%c'", optopt);
	return fail(p, CONFIG_ERR_OPTION, "unknown option '%s'", arg);
}

/* Checks across options, and what their absence implies. */
static int finish(struct parser *p)
{
	struct config *c = p->c;
	int rc;

	if (!c->tls_cert != !c->tls_key)
		return fail(p, CONFIG_ERR_USAGE,
			    "--tls-cert and --tls-key go together");
	if (c->tls_cert && !tls_available())
		return fail(p, CONFIG_ERR_VALUE,
			    "TLS is not available: this server was built without OpenSSL");
	if (c->redirect_port && !c->tls_cert && !p->file_sites)
		return fail(p, CONFIG_ERR_USAGE,
			    "--redirect-http needs --tls-cert and --tls-key");
	if (c->redirect_port && c->unix_socket)
		return fail(p, CONFIG_ERR_USAGE,
			    "--redirect-http does not go with --unix-socket");
	size_t total = p->headers_len + (c->cors_origin ? strlen(c->cors_origin) : 0);
	if (total > CONFIG_HEADERS_MAX)
		return fail(p, CONFIG_ERR_USAGE,
			    "-H headers and the --cors origin are too long: %zu bytes in all, "
			    "at most %d",
			    total, CONFIG_HEADERS_MAX);
	if (c->nindexes == 0 && (rc = add_index(p, "index.html")) < 0)
		return rc;
	if (!c->daemon && !p->pid_given)
		c->pid_file = NULL;
	if (c->daemon && !c->log_file)
		c->log_file = "server.log";
	if (c->daemon && !c->error_log && c->log_format == LOG_FORMAT_COMBINED)
		c->error_log = "server.error.log";
	if (c->probe)
		return 0; /* a health check needs no document root */
	if (p->file_sites && !p->root_given)
		return 0; /* the sites have their roots */
	return config_resolve_root(p, p->root);
}

int config_option(const char *name, int *has_arg)
{
	for (const struct option *o = options; o->name; o++)
		if (strcmp(o->name, name) == 0) {
			*has_arg = o->has_arg;
			return o->val;
		}
	return 0;
}

int config_apply_switch(struct parser *p, int opt, bool on)
{
	struct config *c = p->c;
	switch (opt) {
	case 'b': c->daemon = on; break;
	case OPT_DOTFILES: c->dotfiles = on; break;
	case OPT_NO_SYMLINKS: c->no_symlinks = on; break;
	case OPT_NO_SMART_CACHE: c->smart_cache = !on; break;
	case 'l': c->list = on; break;
	case OPT_PRETTY_URLS: c->pretty_urls = on; break;
	case OPT_COMPRESS: c->compress = on; break;
	case OPT_NO_COMPRESS: c->compress = !on; break;
	case OPT_NO_SANDBOX: c->sandbox = !on; break;
	case OPT_NO_HTTP2: c->http2 = !on; break;
	case OPT_VERBOSE: c->verbose = on; break;
	case OPT_PROXY_PROTOCOL: c->proxy_protocol = on; break;
	default: return fail(p, CONFIG_ERR_USAGE, "not a switch");
	}
	return 0;
}

int config_apply(struct parser *p, int opt, const char *arg)
{
	struct config *c = p->c;
	int rc = 0;

	if (p->from_cli && opt >= 0 && opt < CONFIG_OPT_MAX)
		p->cli[opt] = true;
	if (p->from_cli && (opt == OPT_COMPRESS || opt == OPT_NO_COMPRESS))
		p->cli[OPT_COMPRESS] = p->cli[OPT_NO_COMPRESS] = true; /* one setting */
	if (opt_number(p, opt, arg, &rc))
		return rc;
	switch (opt) {
	case 'd': p->root = arg; p->root_given = true; break;
	case 'b': case OPT_DOTFILES: case OPT_NO_SYMLINKS: case OPT_NO_SMART_CACHE: case 'l':
	case OPT_PRETTY_URLS: case OPT_COMPRESS: case OPT_NO_COMPRESS: case OPT_NO_SANDBOX:
	case OPT_NO_HTTP2: case OPT_VERBOSE: case OPT_PROXY_PROTOCOL:
		return config_apply_switch(p, opt, true);
	case 'a': c->addr = arg; break;
	case OPT_PID_FILE: c->pid_file = arg; p->pid_given = true; break;
	case OPT_LOG_FILE: c->log_file = arg; break;
	case OPT_INDEX:
		/* A list the command line gives replaces the file's. */
		if (p->from_cli && !p->cli_index) {
			p->cli_index = true;
			c->nindexes = 0;
		}
		return add_index(p, arg);
	case 'H':
		if (p->from_cli && !p->cli_header) {
			p->cli_header = true;
			c->extra_headers = "";
			p->headers_len = 0;
		}
		return add_header(p, arg);
	case OPT_CORS: return set_cors(p, arg ? arg : "*");
	case OPT_FALLBACK: return set_fallback(p, arg);
	case OPT_MIME_TYPES: c->mime_types = arg; break;
	case OPT_AUTH_FILE: c->auth_file = arg; break;
	case OPT_PROBE: c->probe = arg; break;
	case OPT_LOG_FORMAT:
		if (log_format_parse(arg, &c->log_format) < 0)
			return fail(p, CONFIG_ERR_USAGE,
				    "--log-format takes 'default', 'combined' or 'json', not '%s'", arg);
		break;
	case OPT_ERROR_LOG: c->error_log = arg; break;
	case 'u':
		if (!*arg || *arg == ':')
			return fail(p, CONFIG_ERR_USAGE, "--user takes USER or USER:GROUP, not '%s'",
				    arg);
		c->user = arg;
		break;
	case OPT_CHROOT: c->chroot = arg; break;
	case OPT_UNIX_SOCKET: c->unix_socket = arg; break;
	case OPT_TLS_CERT: c->tls_cert = arg; break;
	case OPT_TLS_KEY: c->tls_key = arg; break;
	case OPT_UNIX_SOCKET_MODE: {
		char *end;
		unsigned long m = strtoul(arg, &end, 8);
		if (!*arg || *end || m > 0777)
			return fail(p, CONFIG_ERR_USAGE,
				    "--unix-socket-mode takes an octal mode like 660, not '%s'", arg);
		c->unix_socket_mode = (unsigned)m;
		break;
	}
	case OPT_HEALTH: return set_page(p, &c->health, arg, "--health", "/healthz");
	case OPT_METRICS: return set_page(p, &c->metrics, arg, "--metrics", "/metrics");
	case OPT_SENDFILE: return set_sendfile(p, arg);
	case OPT_ACCESS_LOG:
		if (strcmp(arg, "on") != 0 && strcmp(arg, "off") != 0)
			return fail(p, CONFIG_ERR_USAGE, "--access-log takes 'on' or 'off', not '%s'",
				    arg);
		c->access_log = strcmp(arg, "on") == 0;
		break;
	case 'c': c->config_file = arg; break;
	case OPT_CHECK_CONFIG: c->config_file = arg; c->check_config = true; break;
	case OPT_ACME_CHALLENGE:
		if (!*arg)
			return fail(p, CONFIG_ERR_USAGE, "--acme-challenge takes a directory");
		c->acme_challenge = arg;
		break;
	case OPT_TRUSTED_PROXIES: return set_trusted(p, arg);
	case OPT_LISTEN: return add_listen(p, arg);
	case 'h': return CONFIG_HELP;
	case 'V': return CONFIG_VERSION;
	default: return fail(p, CONFIG_ERR_OPTION, "unknown option");
	}
	return 0;
}

int config_parse_args(int argc, char **argv, struct config *c, char *err, size_t err_cap)
{
	struct parser p = { .c = c, .top = c, .err = err, .cap = err_cap, .root = "./web" };
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	const char *file = NULL;
	void *doc = NULL;
	int opt, rc = 0;

	*c = (struct config){
		.port = 3000,
		.threads = cpus > 0 ? (int)(cpus > 64 ? 64 : cpus) : 1,
		.pid_file = "server.pid",
		.max_conns = 16384,
		.max_head = 16384,
		.max_headers = 100,
		.max_body = 1048576,
		.head_timeout = 15,
		.keepalive_timeout = 30,
		.send_timeout = 30,
		.grace = 10,
		.max_age = -1,
		.access_log = true,
		.cache_bytes = 64 << 20,
		.smart_cache = true,
		.compress = true,
		.sendfile = SENDFILE_AUTO,
		.extra_headers = "",
		.unix_socket_mode = 0660,
		.sandbox = true,
		.http2 = true,
	};
	if (err_cap)
		err[0] = '\0';
	opterr = 0;
	/* First pass: only -h, -V and the config file, which the rest of the
	 * command line then overrides. optind 0 makes glibc's getopt start
	 * over, whatever an earlier call (a test, a fuzzer) left behind. */
	optind = 0;
	bool info = false;
	while ((opt = getopt_long(argc, argv, ":" SHORT_OPTIONS, options, NULL)) != -1) {
		if (opt == 'h' || opt == 'V')
			info = true; /* answered without reading the file */
		if (opt == 'c' || opt == OPT_CHECK_CONFIG)
			file = optarg;
		/* As below, so both passes permute argv alike. */
		if (opt == OPT_CORS && !optarg && optind < argc && argv[optind][0] != '-')
			optind++;
	}
	if (info)
		file = NULL;
	if (file) {
		rc = config_file_load(&p, file, &doc);
		p.c = c;
	}
	p.from_cli = true;
	optind = 0;
	while (rc == 0 && (opt = getopt_long(argc, argv, ":" SHORT_OPTIONS, options, NULL)) != -1) {
		if (opt == '?' || opt == ':') {
			rc = bad_option(&p, opt, argv);
			break;
		}
		/* "--cors ORIGIN" as well as "--cors=ORIGIN" and "--cors". */
		if (opt == OPT_CORS && !optarg && optind < argc && argv[optind][0] != '-')
			optarg = argv[optind++];
		rc = config_apply(&p, opt, optarg);
	}
	/* "server DIR", as python -m http.server, darkhttpd and miniserve
	 * take it. */
	if (rc == 0 && optind < argc && !p.cli['d']) {
		p.root = argv[optind++];
		p.root_given = true;
		p.cli['d'] = true;
	}
	if (rc == 0 && optind < argc)
		rc = fail(&p, CONFIG_ERR_USAGE, "unexpected argument '%s'%s", argv[optind],
			  p.cli['d'] ? " (the directory is given once: DIR or -d DIR)" : "");
	if (rc == 0)
		rc = finish(&p);
	if (rc == 0 && doc)
		rc = config_file_sites(&p, doc);
	for (unsigned i = 0; rc == 0 && i < c->nlistens; i++)
		if (c->listens[i].tls && !c->tls_cert)
			rc = fail(&p, CONFIG_ERR_USAGE, "--listen '%s' needs a certificate (--tls-cert)",
				  c->listens[i].spec);
	config_file_free(doc);
	if (rc == 0 && c->check_config)
		rc = CONFIG_CHECKED;
	if (rc != 0 && rc != CONFIG_CHECKED)
		config_free(c);
	return rc;
}

void config_parse(int argc, char **argv, struct config *c)
{
	char err[4096];
	if (argc > 0 && argv[0] && argv[0][0]) {
		const char *slash = strrchr(argv[0], '/');
		config_program = slash && slash[1] ? slash + 1 : argv[0];
	}
	int rc = config_parse_args(argc, argv, c, err, sizeof err);
	bool check = false;
	for (int i = 1; i < argc; i++)
		if (strncmp(argv[i], "--check-config", 14) == 0)
			check = true;

	switch (rc) {
	case 0:
		return;
	case CONFIG_CHECKED:
		return; /* main builds the sites, then prints */
	case CONFIG_HELP:
		usage(stdout);
		exit(0);
	case CONFIG_VERSION:
		printf("%s\nfeatures:%s%s%s%s%s\n", SERVER_SOFTWARE, tls_available() ? " tls" : "",
		       h2_available() ? " http2" : "", compress_features(),
		       yaml_doc_available() ? " config-file" : "",
#ifdef HAVE_CRYPT
		       " basic-auth"
#else
		       ""
#endif
		);
		exit(0);
	case CONFIG_ERR_FILE:
		fprintf(stderr, "%s: %s\n", config_program, err);
		exit(1);
	case CONFIG_ERR_USAGE:
		if (check)
			break;
		fprintf(stderr, "%s: %s\nTry '%s --help' for more information.\n", config_program, err,
			config_program);
		exit(2);
	case CONFIG_ERR_OPTION:
		if (check)
			break;
		fprintf(stderr, "%s: %s\n", config_program, err);
		usage(stderr);
		exit(2);
	case CONFIG_ERR_VALUE:
		if (check)
			break;
		fprintf(stderr, "%s: %s\n", config_program, err);
		exit(2);
	default:
		break;
	}
	/* Other errors, and every error of --check-config (as nginx -t). */
	fprintf(stderr, "%s: %s\n", config_program, err);
	exit(1);
}

void config_free(struct config *c)
{
	while (c->mem) {
		struct config_mem *m = c->mem;
		c->mem = m->next;
		free(m);
	}
	c->indexes = NULL;
	c->nindexes = 0;
	c->fallback = NULL;
	c->extra_headers = "";
	c->root = NULL;
	c->sites = NULL;
	c->nsites = 0;
}

/* A scalar as YAML reads it back as the same text: double-quoted, with
 * the characters a double-quoted scalar escapes. */
static void put_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(out, "\\x%02x", (unsigned char)*s);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

static void put_key(FILE *out, const char *ind, const char *key, const char *v)
{
	if (!v)
		return;
	fprintf(out, "%s%s: ", ind, key);
	put_str(out, v);
	fputc('\n', out);
}

/* The settings a site can have, at the indentation given. */
static void print_site_settings(const struct config *c, FILE *out, const char *ind)
{
	put_key(out, ind, "root", c->root);
	fprintf(out, "%slist: %s\n", ind, c->list ? "true" : "false");
	fprintf(out, "%spretty-urls: %s\n", ind, c->pretty_urls ? "true" : "false");
	fprintf(out, "%scompress: %s\n", ind, c->compress ? "true" : "false");
	fprintf(out, "%sdotfiles: %s\n", ind, c->dotfiles ? "true" : "false");
	fprintf(out, "%sno-symlinks: %s\n", ind, c->no_symlinks ? "true" : "false");
	fprintf(out, "%sno-smart-cache: %s\n", ind, c->smart_cache ? "false" : "true");
	if (c->max_age >= 0)
		fprintf(out, "%smax-age: \"%ld\"\n", ind, c->max_age);
	fprintf(out, "%sindex:\n", ind);
	for (unsigned i = 0; i < c->nindexes; i++) {
		fprintf(out, "%s  - ", ind);
		put_str(out, c->indexes[i]);
		fputc('\n', out);
	}
	if (c->extra_headers[0]) {
		fprintf(out, "%sheader:\n", ind);
		for (const char *h = c->extra_headers; *h;) {
			const char *e = strstr(h, "\r\n");
			size_t n = e ? (size_t)(e - h) : strlen(h);
			char line[CONFIG_HEADER_MAX + 1];
			snprintf(line, sizeof line, "%.*s", (int)n, h);
			fprintf(out, "%s  - ", ind);
			put_str(out, line);
			fputc('\n', out);
			h += n + (e ? 2 : 0);
		}
	}
	put_key(out, ind, "cors", c->cors_origin);
	put_key(out, ind, "fallback", c->fallback);
	put_key(out, ind, "auth-file", c->auth_file);
	put_key(out, ind, "tls-cert", c->tls_cert);
	put_key(out, ind, "tls-key", c->tls_key);
}

/* A rules: list, its key at indentation ind. */
static void print_rules(const struct config_rule *rules, unsigned n, FILE *out, const char *ind)
{
	static const char *const ops[] = { "set", "add", "remove" };
	if (n)
		fprintf(out, "%srules:\n", ind);
	for (unsigned j = 0; j < n; j++) {
		const struct config_rule *r = &rules[j];
		char in[16];
		snprintf(in, sizeof in, "%s    ", ind);
		fprintf(out, "%s  - match: ", ind);
		put_str(out, r->match);
		fputc('\n', out);
		put_key(out, in, "redirect", r->redirect);
		if (r->redirect)
			fprintf(out, "%sstatus: \"%d\"\n", in, r->status);
		put_key(out, in, "rewrite", r->rewrite);
		put_key(out, in, "auth-file", r->auth_file);
		put_key(out, in, "cors", r->cors);
		if (r->list >= 0)
			fprintf(out, "%slist: %s\n", in, r->list ? "true" : "false");
		if (r->nheaders)
			fprintf(out, "%sheaders:\n", in);
		for (int op = 0; op < 3; op++) {
			bool any = false;
			for (unsigned k = 0; k < r->nheaders; k++) {
				const struct config_rule_header *h = &r->headers[k];
				if ((int)h->op != op)
					continue;
				if (!any)
					fprintf(out, "%s  %s:\n", in, ops[op]);
				any = true;
				fprintf(out, "%s    %s", in, op == CONFIG_HOP_REMOVE ? "- " : "");
				put_str(out, h->name);
				if (op != CONFIG_HOP_REMOVE) {
					fprintf(out, ": ");
					put_str(out, h->value);
				}
				fputc('\n', out);
			}
		}
	}
}

void config_print(const struct config *c, FILE *out)
{
	fprintf(out, "# the effective configuration%s%s\n", c->config_file ? " of " : "",
		c->config_file ? c->config_file : "");
	put_key(out, "", "addr", c->addr);
	if (c->unix_socket)
		put_key(out, "", "unix-socket", c->unix_socket);
	else
		fprintf(out, "port: \"%d\"\n", c->port);
	fprintf(out, "unix-socket-mode: \"%o\"\n", c->unix_socket_mode);
	if (c->redirect_port)
		fprintf(out, "redirect-http: \"%d\"\n", c->redirect_port);
	fprintf(out, "proxy-protocol: %s\n", c->proxy_protocol ? "true" : "false");
	if (c->nlistens)
		fprintf(out, "listen:\n");
	for (unsigned i = 0; i < c->nlistens; i++) {
		fprintf(out, "  - ");
		put_str(out, c->listens[i].spec);
		fputc('\n', out);
	}
	put_key(out, "", "trusted-proxies", c->trusted_proxies);
	put_key(out, "", "acme-challenge", c->acme_challenge);
	fprintf(out, "threads: \"%d\"\n", c->threads);
	fprintf(out, "daemon: %s\n", c->daemon ? "true" : "false");
	fprintf(out, "verbose: %s\n", c->verbose ? "true" : "false");
	put_key(out, "", "pid-file", c->pid_file);
	put_key(out, "", "log-file", c->log_file);
	put_key(out, "", "error-log", c->error_log);
	fprintf(out, "log-format: \"%s\"\n", c->log_format == LOG_FORMAT_COMBINED ? "combined"
					     : c->log_format == LOG_FORMAT_JSON   ? "json"
										  : "default");
	fprintf(out, "access-log: \"%s\"\n", c->access_log ? "on" : "off");
	put_key(out, "", "user", c->user);
	put_key(out, "", "chroot", c->chroot);
	fprintf(out, "no-sandbox: %s\n", c->sandbox ? "false" : "true");
	fprintf(out, "no-http2: %s\n", c->http2 ? "false" : "true");
	fprintf(out, "max-conns: \"%u\"\n", c->max_conns);
	fprintf(out, "max-head: \"%u\"\n", c->max_head);
	fprintf(out, "max-headers: \"%u\"\n", c->max_headers);
	fprintf(out, "max-body: \"%llu\"\n", (unsigned long long)c->max_body);
	fprintf(out, "head-timeout: \"%u\"\n", c->head_timeout);
	fprintf(out, "keepalive-timeout: \"%u\"\n", c->keepalive_timeout);
	fprintf(out, "send-timeout: \"%u\"\n", c->send_timeout);
	fprintf(out, "grace: \"%u\"\n", c->grace);
	fprintf(out, "cache-size: \"%llu\"\n", (unsigned long long)c->cache_bytes);
	fprintf(out, "sendfile: \"%s\"\n", c->sendfile == SENDFILE_ON    ? "on"
					   : c->sendfile == SENDFILE_OFF ? "off"
									 : "auto");
	put_key(out, "", "mime-types", c->mime_types);
	put_key(out, "", "health", c->health);
	put_key(out, "", "metrics", c->metrics);
	if (!c->nsites) {
		if (c->netlify)
			fprintf(out, "netlify: true\n");
		print_site_settings(c, out, "");
		print_rules(c->rules, c->nrules, out, "");
		return;
	}
	fprintf(out, "sites:\n");
	for (unsigned i = 0; i < c->nsites; i++) {
		const struct config_site *s = &c->sites[i];
		fprintf(out, "  - default: %s\n", s->is_default ? "true" : "false");
		if (s->nhosts)
			fprintf(out, "    hosts:\n");
		for (unsigned j = 0; j < s->nhosts; j++) {
			fprintf(out, "      - ");
			put_str(out, s->hosts[j]);
			fputc('\n', out);
		}
		if (s->netlify)
			fprintf(out, "    netlify: true\n");
		print_site_settings(&s->cfg, out, "    ");
		print_rules(s->rules, s->nrules, out, "    ");
	}
}
