/* test_config.c - the command line: config_parse_args on valid and
 * invalid command lines (result, message, the fields set), the bounds on
 * -H and --cors, repeated calls, and what config_parse prints and exits
 * with for each kind of result. */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "unit.h"

#define MAXARGS 16

/* An argument "%H<n>" stands for a -H line "X-Long: vvv..." of n bytes as
 * sent (n >= 9), "%O<n>" for a --cors origin of n bytes. */
struct cli_case {
	const char *args[MAXARGS]; /* after argv[0] */
	int want;                  /* 0 or an enum config_result */
	const char *msg;           /* in the message; NULL: an empty message */
	const char *headers;       /* want c.extra_headers (on success), or NULL */
};

static const struct cli_case cases[] = {
	/* defaults, and options that only set a field */
	{ { NULL }, 0, NULL, "" },
	{ { "-p", "8080", "-t", "2", "-a", "127.0.0.1", "-l", "--dotfiles" }, 0, NULL, "" },
	{ { "--port=1", "--threads=256", "--max-head", "1024", "--max-body", "0" }, 0, NULL, NULL },
	{ { "--max-age", "2147483647", "--cache-size", "0", "--grace", "0" }, 0, NULL, NULL },
	{ { "--sendfile", "off", "--access-log", "off", "--log-format", "json" }, 0, NULL, NULL },
	{ { "--health", "/healthz", "--metrics", "/m", "--unix-socket-mode", "600" },
	  0, NULL, NULL },
	{ { "--probe", "http://127.0.0.1:1/", "-d", "/no/such/dir" }, 0, NULL, NULL },
	/* help and version stop at once, whatever follows */
	{ { "-h" }, CONFIG_HELP, NULL, NULL },
	{ { "--help", "-p", "0" }, CONFIG_HELP, NULL, NULL },
	{ { "-V", "--bogus" }, CONFIG_VERSION, NULL, NULL },
	{ { "-Vh" }, CONFIG_VERSION, NULL, NULL },
	{ { "-p", "65536", "-h" }, CONFIG_ERR_VALUE, "invalid port '65536' (expected 0-65535)", NULL },
	{ { "-p", "0", "-h" }, CONFIG_HELP, NULL, NULL }, /* 0: a free port */
	/* numbers */
	{ { "-p", "65536" }, CONFIG_ERR_VALUE, "invalid port '65536'", NULL },
	{ { "-p", "" }, CONFIG_ERR_VALUE, "invalid port ''", NULL },
	{ { "-p", " 80" }, CONFIG_ERR_VALUE, "invalid port ' 80'", NULL },
	{ { "-p", "+80" }, CONFIG_ERR_VALUE, "invalid port '+80'", NULL },
	{ { "-p", "80x" }, CONFIG_ERR_VALUE, "invalid port '80x'", NULL },
	{ { "-t", "0" }, CONFIG_ERR_VALUE, "invalid thread count '0' (expected 1-256)", NULL },
	{ { "--max-head", "1023" }, CONFIG_ERR_VALUE, "invalid head size", NULL },
	{ { "--max-body", "99999999999999999999999" }, CONFIG_ERR_VALUE, "invalid body size",
	  NULL },
	{ { "--max-age", "-1" }, CONFIG_ERR_VALUE, "invalid max-age '-1'", NULL },
	{ { "--redirect-http", "0" }, CONFIG_ERR_VALUE, "invalid port '0'", NULL },
	/* unknown options, missing and unwanted values */
	{ { "--bogus" }, CONFIG_ERR_OPTION, "unknown option '--bogus'", NULL },
	{ { "-x" }, CONFIG_ERR_OPTION, "unknown option '-x'", NULL },
	{ { "-:" }, CONFIG_ERR_OPTION, "unknown option '-:'", NULL },
	{ { "--max" }, CONFIG_ERR_OPTION, "unknown option '--max'", NULL }, /* ambiguous */
	{ { "-p" }, CONFIG_ERR_OPTION, "option '-p' needs a value", NULL },
	{ { "--root" }, CONFIG_ERR_OPTION, "option '--root' needs a value", NULL },
	{ { "-H" }, CONFIG_ERR_OPTION, "option '-H' needs a value", NULL },
	{ { "--daemon=1" }, CONFIG_ERR_OPTION, "option '--daemon' takes no value", NULL },
	{ { "--dotfiles=yes" }, CONFIG_ERR_OPTION, "option '--dotfiles' takes no value", NULL },
	/* one positional argument is the directory, as -d */
	{ { "extra" }, CONFIG_ERR_START, "document root 'extra': No such file", NULL },
	{ { "a", "b" }, CONFIG_ERR_USAGE, "unexpected argument 'b' (the directory is given once", NULL },
	{ { "-d", "a", "b" }, CONFIG_ERR_USAGE, "unexpected argument 'b' (the directory is given once", NULL },
	{ { "extra", "--cors", "x", "y" }, CONFIG_ERR_USAGE, "unexpected argument 'y'", NULL },
	/* word values */
	{ { "--index", "a/b" }, CONFIG_ERR_USAGE, "invalid index name 'a/b'", NULL },
	{ { "--index", ".." }, CONFIG_ERR_USAGE, "invalid index name '..'", NULL },
	{ { "--log-format", "xml" }, CONFIG_ERR_USAGE, "--log-format takes", NULL },
	{ { "-u", ":wheel" }, CONFIG_ERR_USAGE, "--user takes USER or USER:GROUP", NULL },
	{ { "--unix-socket-mode", "1000" }, CONFIG_ERR_USAGE, "--unix-socket-mode takes", NULL },
	{ { "--health", "healthz" }, CONFIG_ERR_USAGE, "--health takes a path", NULL },
	{ { "--metrics", "/m?x" }, CONFIG_ERR_USAGE, "--metrics takes a path", NULL },
	{ { "--sendfile", "yes" }, CONFIG_ERR_USAGE, "--sendfile takes", NULL },
	{ { "--access-log", "1" }, CONFIG_ERR_USAGE, "--access-log takes", NULL },
	{ { "--tls-key", "k.pem" }, CONFIG_ERR_USAGE, "--tls-cert and --tls-key go together",
	  NULL },
	{ { "--redirect-http", "80" }, CONFIG_ERR_USAGE, "--redirect-http needs --tls-cert", NULL },
	/* the document root */
	{ { "-d", "missing" }, CONFIG_ERR_START, "document root 'missing': No such file", NULL },
	{ { "-d", "web/index.html" }, CONFIG_ERR_START, "document root 'web/index.html': Not a",
	  NULL },
	/* -H: the line is kept ready to send, leading OWS of the value dropped */
	{ { "-H", "X-A: 1" }, 0, NULL, "X-A: 1\r\n" },
	{ { "-H", "X-A:1", "--header", "X-B:\t two  words", "-H", "X-Empty:" }, 0, NULL,
	  "X-A: 1\r\nX-B: two  words\r\nX-Empty: \r\n" },
	{ { "-H", "!#$%&'*+-.^_`|~09azAZ: a:b \"c\" \x80\xff" }, 0, NULL,
	  "!#$%&'*+-.^_`|~09azAZ: a:b \"c\" \x80\xff\r\n" },
	{ { "-H", "NoColon" }, CONFIG_ERR_USAGE, "invalid header 'NoColon' (expected", NULL },
	{ { "-H", "" }, CONFIG_ERR_USAGE, "invalid header ''", NULL },
	{ { "-H", ": v" }, CONFIG_ERR_USAGE, "invalid header ': v'", NULL },
	{ { "-H", " X: v" }, CONFIG_ERR_USAGE, "invalid header name in ' X: v'", NULL },
	{ { "-H", "X Y: v" }, CONFIG_ERR_USAGE, "invalid header name", NULL },
	{ { "-H", "X(y): v" }, CONFIG_ERR_USAGE, "invalid header name", NULL },
	{ { "-H", "X\x01: v" }, CONFIG_ERR_USAGE, "invalid header name in 'X?: v'", NULL },
	{ { "-H", "X\x80: v" }, CONFIG_ERR_USAGE, "invalid header name", NULL },
	/* control bytes, shown as '?' so the message stays one line */
	{ { "-H", "X: a\r\nInjected: yes" }, CONFIG_ERR_USAGE,
	  "invalid header value in 'X: a??Injected: yes'", NULL },
	{ { "-H", "X: a\nb" }, CONFIG_ERR_USAGE, "invalid header value", NULL },
	{ { "-H", "X: a\rb" }, CONFIG_ERR_USAGE, "invalid header value", NULL },
	{ { "-H", "X: a\x01" }, CONFIG_ERR_USAGE, "invalid header value", NULL },
	{ { "-H", "X: \x1b[31m" }, CONFIG_ERR_USAGE, "invalid header value", NULL },
	{ { "-H", "X: a\x7f" }, CONFIG_ERR_USAGE, "invalid header value", NULL },
	{ { "-H", "X: a\tb" }, 0, NULL, "X: a\tb\r\n" },
	/* -H bounds: 1024 bytes a line, 2048 with the CRLFs and the origin */
	{ { "-H", "%H1024" }, 0, NULL, NULL },
	{ { "-H", "%H1025" }, CONFIG_ERR_USAGE,
	  "-H header 'X-Long' is too long: 1025 bytes, at most 1024", NULL },
	{ { "-H", "%H100000" }, CONFIG_ERR_USAGE, "-H header 'X-Long' is too long", NULL },
	{ { "-H", "%H1022", "-H", "%H1022" }, 0, NULL, NULL },
	{ { "-H", "%H1022", "-H", "%H1023" }, CONFIG_ERR_USAGE,
	  "-H headers are too long: 2049 bytes in all, at most 2048", NULL },
	{ { "-H", "%H1000", "-H", "%H1000", "-H", "%H100" }, CONFIG_ERR_USAGE,
	  "-H headers are too long", NULL },
	{ { "-H", "%H1022", "--cors", "%O1024" }, 0, NULL, NULL },
	{ { "-H", "%H1022", "--cors", "%O1025" }, CONFIG_ERR_USAGE,
	  "-H headers and the --cors origin are too long: 2049 bytes in all, at most 2048", NULL },
	{ { "--cors=%O1025", "-H", "%H1022" }, CONFIG_ERR_USAGE, "--cors origin are too long",
	  NULL },
	{ { "--cors", "%O2048" }, 0, NULL, "" },
	{ { "--cors", "%O2049" }, CONFIG_ERR_USAGE, "2049 bytes in all", NULL },
	/* --cors */
	{ { "--cors" }, 0, NULL, "" },
	{ { "--cors", "https://a.example", "--cors=https://b.example" }, 0, NULL, "" },
	{ { "--cors=" }, CONFIG_ERR_USAGE, "invalid --cors origin ''", NULL },
	{ { "--cors", "" }, CONFIG_ERR_USAGE, "invalid --cors origin ''", NULL },
	{ { "--cors", "a\r\nX: y" }, CONFIG_ERR_USAGE, "invalid --cors origin 'a??X: y'", NULL },
};

/* A fresh heap argv for a case (config_parse_args may permute it). */
static char **make_argv(const char *const *args, int *argc)
{
	char **argv = calloc(MAXARGS + 2, sizeof *argv);
	int n = 0;
	argv[n++] = strdup("server");
	for (; n <= MAXARGS && args[n - 1]; n++) {
		const char *a = args[n - 1];
		const char *pct = strchr(a, '%');
		size_t len =
			pct && (pct[1] == 'H' || pct[1] == 'O') ? strtoul(pct + 2, NULL, 10) : 0;
		if (!len) {
			argv[n] = strdup(a);
			continue;
		}
		size_t pre = (size_t)(pct - a);
		char *s = malloc(pre + len + 1);
		memcpy(s, a, pre);
		memset(s + pre, 'v', len);
		if (pct[1] == 'H')
			memcpy(s + pre, "X-Long: ", 8);
		s[pre + len] = '\0';
		argv[n] = s;
	}
	*argc = n;
	return argv;
}

static void free_argv(char **argv, int argc)
{
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
}

static void describe(const char *const *args, char *out, size_t cap)
{
	size_t w = 0;
	out[0] = '\0';
	for (int i = 0; i < MAXARGS && args[i] && w < cap; i++)
		w += (size_t)snprintf(out + w, cap - w, "%s'%.40s'", i ? " " : "", args[i]);
}

static void test_cases(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct cli_case *k = &cases[i];
		char err[512], what[400];
		struct config c;
		int argc;
		char **argv = make_argv(k->args, &argc);
		describe(k->args, what, sizeof what);
		memset(err, 'x', sizeof err);
		int rc = config_parse_args(argc, argv, &c, err, sizeof err);
		CHECK(rc == k->want, "[%s]: %d, want %d (%s)", what, rc, k->want, err);
		CHECK(memchr(err, '\0', sizeof err) && !strchr(err, '\n') && !strchr(err, '\r'),
		      "[%s]: message not one line", what);
		if (k->msg)
			CHECK(strstr(err, k->msg) != NULL, "[%s]: message '%s', want '%s'", what,
			      err, k->msg);
		else
			CHECK(err[0] == '\0', "[%s]: message '%s'", what, err);
		if (rc == 0 && k->headers)
			CHECK(strcmp(c.extra_headers, k->headers) == 0, "[%s]: headers '%s'", what,
			      c.extra_headers);
		if (rc == 0) {
			size_t total = strlen(c.extra_headers) +
				       (c.cors_origin ? strlen(c.cors_origin) : 0);
			CHECK(total <= CONFIG_HEADERS_MAX, "[%s]: %zu bytes of headers", what,
			      total);
			CHECK(c.nindexes >= 1 && c.indexes, "[%s]: no index name", what);
			CHECK(c.probe || (c.root && c.root[0] == '/'), "[%s]: root", what);
			config_free(&c);
		} else {
			/* freed already; a second free is harmless */
			CHECK(c.indexes == NULL && c.root == NULL && c.fallback == NULL &&
				      c.extra_headers[0] == '\0',
			      "[%s]: not freed after an error", what);
		}
		config_free(&c);
		free_argv(argv, argc);
	}
}

/* Parses args; the argv stays until the next call (fields point into it),
 * or until parse(NULL, ...). */
static int parse(struct config *c, char *err, size_t cap, const char *const *args)
{
	static char **argv;
	static int argc;
	if (argv)
		free_argv(argv, argc);
	argv = NULL;
	if (!c)
		return 0;
	argv = make_argv(args, &argc);
	return config_parse_args(argc, argv, c, err, cap);
}

/* The fields themselves, and what one option implies for another. */
static void test_fields(void)
{
	struct config c;
	char err[256];
	char cwd[512];

	CHECK(getcwd(cwd, sizeof cwd) != NULL, "getcwd");
	static const char *const plain[] = { NULL };
	CHECK(parse(&c, err, sizeof err, plain) == 0, "defaults: %s", err);
	CHECK(c.port == 3000 && c.threads >= 1 && c.threads <= 64 && !c.daemon && !c.pid_file &&
		      !c.log_file && c.max_age == -1 && c.access_log && c.smart_cache &&
		      c.compress && c.sendfile == SENDFILE_AUTO && c.sandbox &&
		      c.unix_socket_mode == 0660 && !c.cors_origin && c.max_body == 1048576 &&
		      c.cache_bytes == 64u << 20,
	      "defaults");
	CHECK(c.nindexes == 1 && strcmp(c.indexes[0], "index.html") == 0, "default index");
	char want[600];
	snprintf(want, sizeof want, "%s/web", cwd);
	CHECK(c.root && strcmp(c.root, want) == 0, "root %s, want %s", c.root, want);
	config_free(&c);

	static const char *const nums[] = { "-p", "65535", "--max-body", "18446744073709551615",
					     "--max-age", "0", "--cache-size", "1", "-t", "256",
					     "--grace", "86400", "--max-conns", "1000000", NULL };
	CHECK(parse(&c, err, sizeof err, nums) == 0, "numbers: %s", err);
	CHECK(c.port == 65535 && c.max_body == UINT64_MAX && c.max_age == 0 && c.cache_bytes == 1 &&
		      c.threads == 256 && c.grace == 86400 && c.max_conns == 1000000,
	      "numbers: %d %llu %ld %llu %d %u %u", c.port, (unsigned long long)c.max_body,
	      c.max_age, (unsigned long long)c.cache_bytes, c.threads, c.grace, c.max_conns);
	/* the fields next to the numbers are untouched */
	CHECK(c.max_head == 16384 && c.max_headers == 100 && c.head_timeout == 15 &&
		      c.keepalive_timeout == 30 && c.send_timeout == 30 && c.redirect_port == 0,
	      "neighbours of the numbers");
	config_free(&c);

	static const char *const daemon[] = { "-b", "--log-format", "combined", NULL };
	CHECK(parse(&c, err, sizeof err, daemon) == 0, "daemon: %s", err);
	CHECK(c.daemon && c.pid_file && strcmp(c.pid_file, "server.pid") == 0 && c.log_file &&
		      strcmp(c.log_file, "server.log") == 0 && c.error_log &&
		      strcmp(c.error_log, "server.error.log") == 0,
	      "daemon defaults");
	config_free(&c);

	static const char *const more[] = { "--index", "a.html", "--index", "b.htm", "--fallback",
					    "app.html", "--fallback", "/spa.html", "--cors", NULL };
	CHECK(parse(&c, err, sizeof err, more) == 0, "more: %s", err);
	CHECK(c.nindexes == 2 && strcmp(c.indexes[1], "b.htm") == 0, "indexes");
	CHECK(c.fallback && strcmp(c.fallback, "/spa.html") == 0, "fallback %s", c.fallback);
	CHECK(c.cors_origin && strcmp(c.cors_origin, "*") == 0, "cors default");
	config_free(&c);

	/* "--cors ORIGIN", but not an option after it */
	static const char *const cors[] = { "--cors", "https://a.example", NULL };
	CHECK(parse(&c, err, sizeof err, cors) == 0, "cors: %s", err);
	CHECK(c.cors_origin && strcmp(c.cors_origin, "https://a.example") == 0, "cors origin");
	config_free(&c);
	static const char *const cors2[] = { "--cors", "--max-age", "5", NULL };
	CHECK(parse(&c, err, sizeof err, cors2) == 0, "cors2: %s", err);
	CHECK(c.cors_origin && strcmp(c.cors_origin, "*") == 0 && c.max_age == 5,
	      "cors then option");
	config_free(&c);

	/* a small or no message buffer is never overrun */
	char tiny[8];
	memset(tiny, 'x', sizeof tiny);
	static const char *const bad[] = { "-p", "123456789", NULL };
	CHECK(parse(&c, tiny, 5, bad) == CONFIG_ERR_VALUE && strcmp(tiny, "inva") == 0 &&
		      tiny[5] == 'x',
	      "tiny buffer: '%.8s'", tiny);
	CHECK(parse(&c, NULL, 0, bad) == CONFIG_ERR_VALUE, "no buffer");
	parse(NULL, NULL, 0, NULL);
}

/* getopt keeps state between calls; each call must start over, even after
 * one that stopped inside "-lV" or left arguments permuted. */
static void test_repeat(void)
{
	static const char *const seq[][6] = {
		{ "-lV", NULL },          { "-l", NULL },          { "a", "b", "-p", "1", NULL },
		{ "-p", "2", NULL },      { "-hl", NULL },         { "-bl", NULL },
		{ "--cors", "x", "y", "z", NULL }, { "--cors", "x", NULL },
	};
	static const int want[] = { CONFIG_VERSION, 0, CONFIG_ERR_USAGE, 0,
				    CONFIG_HELP,    0, CONFIG_ERR_USAGE, 0 };
	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
			struct config c;
			char err[256];
			int rc = parse(&c, err, sizeof err, seq[i]);
			CHECK(rc == want[i], "round %d, call %zu: %d, want %d (%s)", round, i, rc,
			      want[i], err);
			if (rc == 0)
				config_free(&c);
		}
	}
	parse(NULL, NULL, 0, NULL);
}

/* config_parse: what a user sees, and the exit status. */
struct cli_exit {
	const char *args[4];
	int status;
	const char *out; /* start of standard output */
	const char *err; /* start of standard error */
};

static const struct cli_exit exits[] = {
	{ { "-h" }, 0, "Usage: server [OPTION]... [DIR]\n", "" },
	{ { "-V" }, 0, "tern/", "" },
	{ { "-p", "70000" }, 2, "", "server: invalid port '70000' (expected 0-65535)\n" },
	{ { "--bogus" }, 2, "", "server: unknown option '--bogus'\nUsage: server" },
	{ { "-p" }, 2, "", "server: option '-p' needs a value\nUsage: server" },
	{ { "-H", "%H1025" }, 2, "",
	  "server: -H header 'X-Long' is too long: 1025 bytes, at most 1024\n"
	  "Try 'server --help' for more information.\n" },
	{ { "-d", "missing" }, 1, "",
	  "server: document root 'missing': No such file or directory\n" },
};

static size_t slurp(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t r;
	while (n + 1 < cap && (r = read(fd, buf + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	return n;
}

static void test_exits(void)
{
	for (size_t i = 0; i < sizeof exits / sizeof exits[0]; i++) {
		const struct cli_exit *k = &exits[i];
		char what[200], out[8192], errs[8192];
		int po[2], pe[2], status;
		describe(k->args, what, sizeof what);
		if (pipe(po) < 0 || pipe(pe) < 0) {
			CHECK(0, "pipe");
			return;
		}
		fflush(NULL);
		pid_t pid = fork();
		if (pid == 0) {
			struct config c;
			int argc;
			char **argv = make_argv(k->args, &argc);
			dup2(po[1], 1);
			dup2(pe[1], 2);
			config_parse(argc, argv, &c);
			_exit(99);
		}
		close(po[1]);
		close(pe[1]);
		slurp(po[0], out, sizeof out);
		slurp(pe[0], errs, sizeof errs);
		close(po[0]);
		close(pe[0]);
		waitpid(pid, &status, 0);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == k->status,
		      "[%s]: status %d, want %d", what,
		      WIFEXITED(status) ? WEXITSTATUS(status) : -1, k->status);
		CHECK(strncmp(out, k->out, strlen(k->out)) == 0 && (k->out[0] || !out[0]),
		      "[%s]: stdout '%.80s'", what, out);
		CHECK(strncmp(errs, k->err, strlen(k->err)) == 0 && (k->err[0] || !errs[0]),
		      "[%s]: stderr '%.200s'", what, errs);
	}
}

int main(void)
{
	char dir[] = "/tmp/test_config.XXXXXX";
	char index[64];
	if (!mkdtemp(dir) || chdir(dir) != 0 || mkdir("web", 0755) != 0) {
		perror(dir);
		return 1;
	}
	int fd = open("web/index.html", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0)
		close(fd);
	test_cases();
	test_fields();
	test_repeat();
	test_exits();
	snprintf(index, sizeof index, "%s/web/index.html", dir);
	if (unlink(index) != 0 || rmdir("web") != 0 || chdir("/") != 0 || rmdir(dir) != 0)
		perror(dir);
	return unit_done("config");
}
