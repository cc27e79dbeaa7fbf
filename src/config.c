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
#include "h2.h"
#include "tls.h"
#include "version.h"

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
};

#define SHORT_OPTIONS "p:d:ba:t:H:u:lhV"

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
		"  -p, --port PORT           TCP port, 1-65535, or 0 for a free one (default 3000)\n"
		"  -d, --root DIR            document root (default ./web)\n"
		"  -a, --addr ADDR           bind address (default: all interfaces, IPv6 and IPv4)\n"
		"      --tls-cert FILE       serve HTTPS with this PEM certificate (and chain)\n"
		"      --tls-key FILE        the certificate's PEM private key\n"
		"      --redirect-http PORT  also answer plain HTTP on PORT with 308 to HTTPS\n"
		"      --no-http2            speak HTTP/1.1 only (default: HTTP/2 too, by ALPN h2\n"
		"                            over TLS and by prior knowledge on cleartext ports)\n"
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
		"SIGHUP reopens the log files and reloads the TLS certificate; SIGUSR1\n"
		"reopens the log files; SIGUSR2 starts a new binary on the same sockets.\n",
		config_program);
}

/* Arguments end up quoted in messages: control bytes there (a -H value
 * with CRLF) are shown as '?' so the message stays one line. */
__attribute__((format(printf, 4, 5))) static int fail(char *err, size_t cap, int rc,
						      const char *fmt, ...)
{
	va_list ap;

	if (!cap)
		return rc;
	va_start(ap, fmt);
	vsnprintf(err, cap, fmt, ap);
	va_end(ap);
	for (char *p = err; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return rc;
}

struct parser {
	struct config *c;
	char *err;
	size_t cap;
	size_t headers_len; /* strlen(c->extra_headers) */
	bool root_given;    /* -d DIR or DIR: not the default ./web */
};

static int no_memory(struct parser *p)
{
	return fail(p->err, p->cap, CONFIG_ERR_START, "out of memory");
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
	return fail(p->err, p->cap, CONFIG_ERR_VALUE, "invalid %s '%s' (expected %lu-%lu)", what, s,
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

static int resolve_root(struct parser *p, const char *dir)
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
	p->c->root = realpath(dir, NULL);
	if (!p->c->root)
		goto fail;
	return 0;
fail:
	if (!p->root_given && errno == ENOENT)
		return fail(p->err, p->cap, CONFIG_ERR_START,
			    "no directory '%s' to serve here; to serve another folder: %s DIR", dir,
			    config_program);
	return fail(p->err, p->cap, CONFIG_ERR_START, "document root '%s': %s", dir,
		    strerror(errno));
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
		return fail(p->err, p->cap, CONFIG_ERR_USAGE,
			    "invalid index name '%s' (a file name, no '/')", name);
	const char **n = realloc(c->indexes, (c->nindexes + 1) * sizeof *n);
	if (!n)
		return no_memory(p);
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
		return fail(p->err, p->cap, CONFIG_ERR_USAGE,
			    "invalid header '%s' (expected 'Name: value')", arg);
	for (const char *q = arg; q < colon; q++)
		if (!is_tchar(*q))
			return fail(p->err, p->cap, CONFIG_ERR_USAGE, "invalid header name in '%s'",
				    arg);
	const char *v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	if (!valid_value(v))
		return fail(p->err, p->cap, CONFIG_ERR_USAGE, "invalid header value in '%s'", arg);
	int name_len = (int)(colon - arg);
	size_t line = (size_t)name_len + 2 + strlen(v);
	if (line > CONFIG_HEADER_MAX)
		return fail(p->err, p->cap, CONFIG_ERR_USAGE,
			    "-H header '%.*s' is too long: %zu bytes, at most %d", name_len, arg,
			    line, CONFIG_HEADER_MAX);
	size_t old = p->headers_len, total = old + line + 2;
	if (total > CONFIG_HEADERS_MAX)
		return fail(p->err, p->cap, CONFIG_ERR_USAGE,
			    "-H headers are too long: %zu bytes in all, at most %d", total,
			    CONFIG_HEADERS_MAX);
	char *buf = old ? realloc((char *)c->extra_headers, total + 1) : malloc(total + 1);
	if (!buf)
		return no_memory(p);
	snprintf(buf + old, total + 1 - old, "%.*s: %s\r\n", name_len, arg, v);
	c->extra_headers = buf;
	p->headers_len = total;
	return 0;
}

static int set_cors(struct parser *p, const char *origin)
{
	if (!*origin || !valid_value(origin))
		return fail(p->err, p->cap, CONFIG_ERR_USAGE, "invalid --cors origin '%s'", origin);
	p->c->cors_origin = origin;
	return 0;
}

/* A path relative to the root, with or without its '/'. */
static int set_fallback(struct parser *p, const char *arg)
{
	size_t n = strlen(arg);
	char *f = malloc(n + 2);
	if (!f)
		return no_memory(p);
	snprintf(f, n + 2, "%s%s", arg[0] == '/' ? "" : "/", arg);
	free((void *)p->c->fallback);
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
		return fail(p->err, p->cap, CONFIG_ERR_USAGE,
			    "--sendfile takes 'on', 'off' or 'auto', not '%s'", arg);
	return 0;
}

/* --health and --metrics: a path a request line can carry as it is. */
static int set_page(struct parser *p, const char **field, const char *arg, const char *opt,
		    const char *example)
{
	if (arg[0] != '/' || !valid_value(arg) || strpbrk(arg, " ?#"))
		return fail(p->err, p->cap, CONFIG_ERR_USAGE, "%s takes a path like %s, not '%s'",
			    opt, example, arg);
	*field = arg;
	return 0;
}

/* getopt_long returned '?' or ':' for the element before optind. */
static int bad_option(struct parser *p, int opt, char **argv)
{
	const char *arg = argv[optind - 1];
	if (opt == ':')
		return fail(p->err, p->cap, CONFIG_ERR_OPTION, "option '%s' needs a value", arg);
	/* A known short option in optopt means a long one given "=value". */
	if (optopt >= 256 || (optopt > 0 && optopt != ':' && strchr(SHORT_OPTIONS, optopt)))
		return fail(p->err, p->cap, CONFIG_ERR_OPTION, "option '%.*s' takes no value",
			    (int)strcspn(arg, "="), arg);
	if (optopt)
		return fail(p->err, p->cap, CONFIG_ERR_OPTION, "unknown option '-%c'", optopt);
	return fail(p->err, p->cap, CONFIG_ERR_OPTION, "unknown option '%s'", arg);
}

/* Checks across options, and what their absence implies. */
static int finish(struct parser *p, const char *root, bool pid_given)
{
	struct config *c = p->c;
	int rc;

	if (!c->tls_cert != !c->tls_key)
		return fail(p->err, p->cap, CONFIG_ERR_USAGE,
			    "--tls-cert and --tls-key go together");
	if (c->tls_cert && !tls_available())
		return fail(p->err, p->cap, CONFIG_ERR_VALUE,
			    "TLS is not available: this server was built without OpenSSL");
	if (c->redirect_port && !c->tls_cert)
		return fail(p->err, p->cap, CONFIG_ERR_USAGE,
			    "--redirect-http needs --tls-cert and --tls-key");
	if (c->redirect_port && c->unix_socket)
		return fail(p->err, p->cap, CONFIG_ERR_USAGE,
			    "--redirect-http does not go with --unix-socket");
	size_t total = p->headers_len + (c->cors_origin ? strlen(c->cors_origin) : 0);
	if (total > CONFIG_HEADERS_MAX)
		return fail(p->err, p->cap, CONFIG_ERR_USAGE,
			    "-H headers and the --cors origin are too long: %zu bytes in all, "
			    "at most %d",
			    total, CONFIG_HEADERS_MAX);
	if (c->nindexes == 0 && (rc = add_index(p, "index.html")) < 0)
		return rc;
	if (!c->daemon && !pid_given)
		c->pid_file = NULL;
	if (c->daemon && !c->log_file)
		c->log_file = "server.log";
	if (c->daemon && !c->error_log && c->log_format == LOG_FORMAT_COMBINED)
		c->error_log = "server.error.log";
	if (c->probe)
		return 0; /* a health check needs no document root */
	return resolve_root(p, root);
}

int config_parse_args(int argc, char **argv, struct config *c, char *err, size_t err_cap)
{
	struct parser p = { .c = c, .err = err, .cap = err_cap };
	const char *root = "./web";
	bool pid_given = false;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
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
	/* optind 0 makes glibc's getopt start over, whatever an earlier call
	 * (a test, a fuzzer) left behind. */
	optind = 0;
	opterr = 0;
	while (rc == 0 && (opt = getopt_long(argc, argv, ":" SHORT_OPTIONS, options, NULL)) != -1) {
		if (opt_number(&p, opt, optarg, &rc))
			continue;
		switch (opt) {
		case 'd': root = optarg; p.root_given = true; break;
		case 'b': c->daemon = true; break;
		case 'a': c->addr = optarg; break;
		case OPT_PID_FILE: c->pid_file = optarg; pid_given = true; break;
		case OPT_LOG_FILE: c->log_file = optarg; break;
		case OPT_DOTFILES: c->dotfiles = true; break;
		case OPT_NO_SYMLINKS: c->no_symlinks = true; break;
		case OPT_NO_SMART_CACHE: c->smart_cache = false; break;
		case 'l': c->list = true; break;
		case OPT_PRETTY_URLS: c->pretty_urls = true; break;
		case OPT_INDEX: rc = add_index(&p, optarg); break;
		case 'H': rc = add_header(&p, optarg); break;
		case OPT_CORS:
			/* "--cors ORIGIN" as well as "--cors=ORIGIN" and "--cors". */
			if (!optarg && optind < argc && argv[optind][0] != '-')
				optarg = argv[optind++];
			rc = set_cors(&p, optarg ? optarg : "*");
			break;
		case OPT_FALLBACK: rc = set_fallback(&p, optarg); break;
		case OPT_MIME_TYPES: c->mime_types = optarg; break;
		case OPT_COMPRESS: c->compress = true; break;
		case OPT_NO_COMPRESS: c->compress = false; break;
		case OPT_AUTH_FILE: c->auth_file = optarg; break;
		case OPT_PROBE: c->probe = optarg; break;
		case OPT_LOG_FORMAT:
			if (log_format_parse(optarg, &c->log_format) < 0)
				rc = fail(err, err_cap, CONFIG_ERR_USAGE,
					  "--log-format takes 'default', 'combined' or 'json', "
					  "not '%s'",
					  optarg);
			break;
		case OPT_ERROR_LOG: c->error_log = optarg; break;
		case 'u':
			if (!*optarg || *optarg == ':')
				rc = fail(err, err_cap, CONFIG_ERR_USAGE,
					  "--user takes USER or USER:GROUP, not '%s'", optarg);
			c->user = optarg;
			break;
		case OPT_CHROOT: c->chroot = optarg; break;
		case OPT_NO_SANDBOX: c->sandbox = false; break;
		case OPT_NO_HTTP2: c->http2 = false; break;
		case OPT_VERBOSE: c->verbose = true; break;
		case OPT_UNIX_SOCKET: c->unix_socket = optarg; break;
		case OPT_TLS_CERT: c->tls_cert = optarg; break;
		case OPT_TLS_KEY: c->tls_key = optarg; break;
		case OPT_UNIX_SOCKET_MODE: {
			char *end;
			unsigned long m = strtoul(optarg, &end, 8);
			if (!*optarg || *end || m > 0777)
				rc = fail(err, err_cap, CONFIG_ERR_USAGE,
					  "--unix-socket-mode takes an octal mode like 660, "
					  "not '%s'",
					  optarg);
			c->unix_socket_mode = (unsigned)m;
			break;
		}
		case OPT_HEALTH:
			rc = set_page(&p, &c->health, optarg, "--health", "/healthz");
			break;
		case OPT_METRICS:
			rc = set_page(&p, &c->metrics, optarg, "--metrics", "/metrics");
			break;
		case OPT_SENDFILE: rc = set_sendfile(&p, optarg); break;
		case OPT_ACCESS_LOG:
			if (strcmp(optarg, "on") != 0 && strcmp(optarg, "off") != 0)
				rc = fail(err, err_cap, CONFIG_ERR_USAGE,
					  "--access-log takes 'on' or 'off', not '%s'", optarg);
			c->access_log = strcmp(optarg, "on") == 0;
			break;
		case 'h': rc = CONFIG_HELP; break;
		case 'V': rc = CONFIG_VERSION; break;
		default: rc = bad_option(&p, opt, argv); break;
		}
	}
	/* "server DIR", as python -m http.server, darkhttpd and miniserve
	 * take it. */
	if (rc == 0 && optind < argc && !p.root_given) {
		root = argv[optind++];
		p.root_given = true;
	}
	if (rc == 0 && optind < argc)
		rc = fail(err, err_cap, CONFIG_ERR_USAGE, "unexpected argument '%s'%s", argv[optind],
			  p.root_given ? " (the directory is given once: DIR or -d DIR)" : "");
	if (rc == 0)
		rc = finish(&p, root, pid_given);
	if (rc != 0)
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

	switch (rc) {
	case 0:
		return;
	case CONFIG_HELP:
		usage(stdout);
		exit(0);
	case CONFIG_VERSION:
		printf("%s\nfeatures:%s%s%s%s\n", SERVER_SOFTWARE, tls_available() ? " tls" : "",
		       h2_available() ? " http2" : "", compress_features(),
#ifdef HAVE_CRYPT
		       " basic-auth"
#else
		       ""
#endif
		);
		exit(0);
	case CONFIG_ERR_USAGE:
		fprintf(stderr, "%s: %s\nTry '%s --help' for more information.\n", config_program, err,
			config_program);
		exit(2);
	case CONFIG_ERR_OPTION:
		fprintf(stderr, "%s: %s\n", config_program, err);
		usage(stderr);
		exit(2);
	case CONFIG_ERR_VALUE:
		fprintf(stderr, "%s: %s\n", config_program, err);
		exit(2);
	default:
		fprintf(stderr, "%s: %s\n", config_program, err);
		exit(1);
	}
}

void config_free(struct config *c)
{
	free(c->indexes);
	free((void *)c->fallback);
	if (c->extra_headers && c->extra_headers[0])
		free((void *)c->extra_headers);
	free((void *)c->root);
	c->indexes = NULL;
	c->nindexes = 0;
	c->fallback = NULL;
	c->extra_headers = "";
	c->root = NULL;
}
