/* config.c - getopt_long over argv; every value is checked here so the
 * rest of the server can trust struct config. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access_log.h"
#include "compress.h"
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
};

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
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: server [OPTION]...\n"
		"Serve the files of a directory over HTTP/1.1.\n"
		"\n"
		"  -p, --port PORT           TCP port, 1-65535 (default 3000)\n"
		"  -d, --root DIR            document root (default ./web)\n"
		"  -a, --addr ADDR           bind address (default: all interfaces, IPv6 and IPv4)\n"
		"      --tls-cert FILE       serve HTTPS with this PEM certificate (and chain)\n"
		"      --tls-key FILE        the certificate's PEM private key\n"
		"      --redirect-http PORT  also answer plain HTTP on PORT with 308 to HTTPS\n"
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
		"      --max-age SEC         send Cache-Control: max-age=SEC (default: none)\n"
		"      --dotfiles            serve files and directories whose name starts with '.'\n"
		"      --no-symlinks         refuse every symbolic link, even inside the root\n"
		"      --access-log on|off   log one line per request (default on)\n"
		"      --cache-size BYTES    memory for small hot files, 0 disables (default 67108864)\n"
		"      --index NAME          directory index file, repeatable (default index.html)\n"
		"  -l, --list                list directories that have no index file\n"
		"  -H, --header 'NAME: VALUE'  add a header to every response, repeatable\n"
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
		"  -h, --help                show this help and exit\n"
		"  -V, --version             show the version and exit\n"
		"\n"
		"Signals: SIGTERM or SIGINT stop the server after in-flight responses;\n"
		"SIGHUP reopens the log files and reloads the TLS certificate; SIGUSR1\n"
		"reopens the log files; SIGUSR2 starts a new binary on the same sockets.\n");
}

static void die_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "server: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'server --help' for more information.\n");
	exit(2);
}

static unsigned long parse_num(const char *s, const char *what, unsigned long lo, unsigned long hi)
{
	char *end;
	errno = 0;
	if (*s < '0' || *s > '9')
		goto bad;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end != '\0' || v < lo || v > hi)
		goto bad;
	return v;
bad:
	fprintf(stderr, "server: invalid %s '%s' (expected %lu-%lu)\n", what, s, lo, hi);
	exit(2);
}

static const char *resolve_root(const char *dir)
{
	struct stat st;
	char *real;
	int fd;

	if (stat(dir, &st) < 0) {
		fprintf(stderr, "server: document root '%s': %s\n", dir, strerror(errno));
		exit(1);
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "server: document root '%s': %s\n", dir, strerror(ENOTDIR));
		exit(1);
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || access(dir, R_OK | X_OK) < 0) {
		fprintf(stderr, "server: document root '%s': %s\n", dir, strerror(errno));
		exit(1);
	}
	close(fd);
	real = realpath(dir, NULL);
	if (!real) {
		fprintf(stderr, "server: document root '%s': %s\n", dir, strerror(errno));
		exit(1);
	}
	return real;
}

/* A header value may not break the header block. */
static bool valid_value(const char *v)
{
	for (; *v; v++)
		if (((unsigned char)*v < 0x20 && *v != '\t') || *v == 0x7f)
			return false;
	return true;
}

static void add_index(struct config *c, const char *name)
{
	if (!*name || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		die_usage("invalid index name '%s' (a file name, no '/')", name);
	const char **n = realloc(c->indexes, (c->nindexes + 1) * sizeof *n);
	if (!n)
		exit(1);
	n[c->nindexes++] = name;
	c->indexes = n;
}

/* -H 'Name: value': the name must be a token, the value free of control
 * characters; both are kept as one ready "Name: value\r\n" line. */
static void add_header(struct config *c, const char *arg)
{
	const char *colon = strchr(arg, ':');
	static const char tchar[] = "!#$%&'*+-.^_`|~";
	if (!colon || colon == arg)
		die_usage("invalid header '%s' (expected 'Name: value')", arg);
	for (const char *p = arg; p < colon; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      strchr(tchar, *p)))
			die_usage("invalid header name in '%s'", arg);
	const char *v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	if (!valid_value(v))
		die_usage("invalid header value in '%s'", arg);
	size_t old = strlen(c->extra_headers);
	size_t add = (size_t)(colon - arg) + 2 + strlen(v) + 2;
	char *buf = malloc(old + add + 1);
	if (!buf)
		exit(1);
	snprintf(buf, old + add + 1, "%s%.*s: %s\r\n", c->extra_headers, (int)(colon - arg), arg, v);
	if (old)
		free((void *)c->extra_headers);
	c->extra_headers = buf;
}

void config_parse(int argc, char **argv, struct config *c)
{
	const char *root = "./web";
	bool pid_given = false;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int opt;

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
	};
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":p:d:ba:t:H:u:lhV", options, NULL)) != -1) {
		switch (opt) {
		case 'p': c->port = (int)parse_num(optarg, "port", 1, 65535); break;
		case 'd': root = optarg; break;
		case 'b': c->daemon = true; break;
		case 'a': c->addr = optarg; break;
		case 't': c->threads = (int)parse_num(optarg, "thread count", 1, 256); break;
		case OPT_PID_FILE: c->pid_file = optarg; pid_given = true; break;
		case OPT_LOG_FILE: c->log_file = optarg; break;
		case OPT_MAX_CONNS: c->max_conns = (unsigned)parse_num(optarg, "connection limit", 1, 1000000); break;
		case OPT_MAX_HEAD: c->max_head = (unsigned)parse_num(optarg, "head size", 1024, 1048576); break;
		case OPT_MAX_HEADERS: c->max_headers = (unsigned)parse_num(optarg, "header count", 1, 1000); break;
		case OPT_MAX_BODY: c->max_body = parse_num(optarg, "body size", 0, ULONG_MAX); break;
		case OPT_HEAD_TIMEOUT: c->head_timeout = (unsigned)parse_num(optarg, "timeout", 1, 86400); break;
		case OPT_KEEPALIVE_TIMEOUT: c->keepalive_timeout = (unsigned)parse_num(optarg, "timeout", 1, 86400); break;
		case OPT_SEND_TIMEOUT: c->send_timeout = (unsigned)parse_num(optarg, "timeout", 1, 86400); break;
		case OPT_GRACE: c->grace = (unsigned)parse_num(optarg, "grace period", 0, 86400); break;
		case OPT_MAX_AGE: c->max_age = (long)parse_num(optarg, "max-age", 0, 2147483647); break;
		case OPT_DOTFILES: c->dotfiles = true; break;
		case OPT_NO_SYMLINKS: c->no_symlinks = true; break;
		case OPT_NO_SMART_CACHE: c->smart_cache = false; break;
		case 'l': c->list = true; break;
		case OPT_PRETTY_URLS: c->pretty_urls = true; break;
		case OPT_INDEX: add_index(c, optarg); break;
		case 'H': add_header(c, optarg); break;
		case OPT_CORS:
			/* "--cors ORIGIN" as well as "--cors=ORIGIN" and "--cors". */
			if (!optarg && optind < argc && argv[optind][0] != '-')
				optarg = argv[optind++];
			c->cors_origin = optarg ? optarg : "*";
			if (!valid_value(c->cors_origin))
				die_usage("invalid --cors origin '%s'", c->cors_origin);
			break;
		case OPT_FALLBACK: {
			/* A path relative to the root, with or without its '/'. */
			size_t n = strlen(optarg);
			char *f = malloc(n + 2);
			if (!f)
				exit(1);
			snprintf(f, n + 2, "%s%s", optarg[0] == '/' ? "" : "/", optarg);
			free((void *)c->fallback);
			c->fallback = f;
			break;
		}
		case OPT_MIME_TYPES: c->mime_types = optarg; break;
		case OPT_COMPRESS: c->compress = true; break;
		case OPT_NO_COMPRESS: c->compress = false; break;
		case OPT_AUTH_FILE: c->auth_file = optarg; break;
		case OPT_PROBE: c->probe = optarg; break;
		case OPT_LOG_FORMAT:
			if (log_format_parse(optarg, &c->log_format) < 0)
				die_usage("--log-format takes 'default', 'combined' or 'json', not '%s'", optarg);
			break;
		case OPT_ERROR_LOG: c->error_log = optarg; break;
		case 'u':
			if (!*optarg || *optarg == ':')
				die_usage("--user takes USER or USER:GROUP, not '%s'", optarg);
			c->user = optarg;
			break;
		case OPT_CHROOT: c->chroot = optarg; break;
		case OPT_NO_SANDBOX: c->sandbox = false; break;
		case OPT_UNIX_SOCKET: c->unix_socket = optarg; break;
		case OPT_TLS_CERT: c->tls_cert = optarg; break;
		case OPT_TLS_KEY: c->tls_key = optarg; break;
		case OPT_REDIRECT_HTTP: c->redirect_port = (int)parse_num(optarg, "port", 1, 65535); break;
		case OPT_UNIX_SOCKET_MODE: {
			char *end;
			unsigned long m = strtoul(optarg, &end, 8);
			if (!*optarg || *end || m > 0777)
				die_usage("--unix-socket-mode takes an octal mode like 660, not '%s'", optarg);
			c->unix_socket_mode = (unsigned)m;
			break;
		}
		case OPT_HEALTH:
			if (optarg[0] != '/' || !valid_value(optarg) || strpbrk(optarg, " ?#"))
				die_usage("--health takes a path like /healthz, not '%s'", optarg);
			c->health = optarg;
			break;
		case OPT_METRICS:
			if (optarg[0] != '/' || !valid_value(optarg) || strpbrk(optarg, " ?#"))
				die_usage("--metrics takes a path like /metrics, not '%s'", optarg);
			c->metrics = optarg;
			break;
		case OPT_SENDFILE:
			if (strcmp(optarg, "on") == 0)
				c->sendfile = SENDFILE_ON;
			else if (strcmp(optarg, "off") == 0)
				c->sendfile = SENDFILE_OFF;
			else if (strcmp(optarg, "auto") == 0)
				c->sendfile = SENDFILE_AUTO;
			else
				die_usage("--sendfile takes 'on', 'off' or 'auto', not '%s'", optarg);
			break;
		case OPT_CACHE: c->cache_bytes = parse_num(optarg, "cache size", 0, ULONG_MAX); break;
		case OPT_ACCESS_LOG:
			if (strcmp(optarg, "on") != 0 && strcmp(optarg, "off") != 0)
				die_usage("--access-log takes 'on' or 'off', not '%s'", optarg);
			c->access_log = strcmp(optarg, "on") == 0;
			break;
		case 'h': usage(stdout); exit(0);
		case 'V':
			printf("%s\nfeatures:%s%s%s\n", SERVER_SOFTWARE, tls_available() ? " tls" : "",
			       compress_features(),
#ifdef HAVE_CRYPT
			       " basic-auth"
#else
			       ""
#endif
			);
			exit(0);
		case ':':
			fprintf(stderr, "server: option '%s' needs a value\n", argv[optind - 1]);
			usage(stderr);
			exit(2);
		default:
			if (optopt)
				fprintf(stderr, "server: unknown option '-%c'\n", optopt);
			else
				fprintf(stderr, "server: unknown option '%s'\n", argv[optind - 1]);
			usage(stderr);
			exit(2);
		}
	}
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);
	if (!c->tls_cert != !c->tls_key)
		die_usage("%s", "--tls-cert and --tls-key go together");
	if (c->tls_cert && !tls_available()) {
		fprintf(stderr, "server: TLS is not available: this server was built without OpenSSL\n");
		exit(2);
	}
	if (c->redirect_port && !c->tls_cert)
		die_usage("%s", "--redirect-http needs --tls-cert and --tls-key");
	if (c->redirect_port && c->unix_socket)
		die_usage("%s", "--redirect-http does not go with --unix-socket");
	if (c->nindexes == 0)
		add_index(c, "index.html");
	if (!c->daemon && !pid_given)
		c->pid_file = NULL;
	if (c->daemon && !c->log_file)
		c->log_file = "server.log";
	if (c->daemon && !c->error_log && c->log_format == LOG_FORMAT_COMBINED)
		c->error_log = "server.error.log";
	if (c->probe)
		return; /* a health check needs no document root */
	c->root = resolve_root(root);
}

void config_free(struct config *c)
{
	free(c->indexes);
	free((void *)c->fallback);
	if (c->extra_headers[0])
		free((void *)c->extra_headers);
	free((void *)c->root);
	c->indexes = NULL;
	c->extra_headers = "";
	c->root = NULL;
}
