/* fuzz_config.c - config_parse_args over command lines made from the
 * input: NUL-separated arguments (at most ARGS_MAX) after argv[0], each a
 * heap copy of exactly its bytes and NUL, so ASan sees a read past one.
 * The message buffer is exactly ERR_CAP heap bytes.
 *
 * Checked: the result is 0 or an enum config_result; an error leaves a
 * non-empty one-line message, success and -h/-V none; a second parse of
 * the same arguments answers the same (no getopt state carried over);
 * config_free releases everything (LeakSanitizer) and may run twice. On
 * success the struct holds only what config.c promises: numbers in their
 * bounds, -H lines "Name: value\r\n" with a token name and no control
 * bytes, each at most CONFIG_HEADER_MAX and all of them with the --cors
 * origin at most CONFIG_HEADERS_MAX, at least one index name without '/',
 * an absolute document root unless --probe. The root is resolved for real
 * (from the directory the fuzzer runs in), which only reads. */
#include "fuzz_check.h"

#include "compress.h"
#include "config.h"

#define ARGS_MAX 32
#define ERR_CAP  256

/* Only config_parse's --version output names the compressors; a stand-in
 * keeps compress.c and what it needs out of this harness. */
const char *compress_features(void)
{
	return "";
}

FUZZ_NOCOV
static bool value_ok(const char *v)
{
	for (; *v; v++)
		if (((unsigned char)*v < 0x20 && *v != '\t') || *v == 0x7f)
			return false;
	return true;
}

FUZZ_NOCOV
static void check_headers(const char *h, const char *origin)
{
	size_t total = strlen(h) + (origin ? strlen(origin) : 0);

	FUZZ_CHECK(total <= CONFIG_HEADERS_MAX);
	while (*h) {
		const char *crlf = strstr(h, "\r\n");
		FUZZ_CHECK(crlf != NULL);
		FUZZ_CHECK((size_t)(crlf - h) <= CONFIG_HEADER_MAX);
		const char *colon = memchr(h, ':', (size_t)(crlf - h));
		FUZZ_CHECK(colon != NULL && colon > h && colon[1] == ' ');
		for (const char *p = h; p < colon; p++)
			FUZZ_CHECK(fuzz_tchar((unsigned char)*p));
		for (const char *p = colon + 2; p < crlf; p++)
			FUZZ_CHECK(((unsigned char)*p >= 0x20 || *p == '\t') && *p != 0x7f);
		h = crlf + 2;
	}
}

FUZZ_NOCOV
static void check_config(const struct config *c)
{
	FUZZ_CHECK(c->port >= 0 && c->port <= 65535); /* 0: a free port */
	FUZZ_CHECK(c->threads >= 1 && c->threads <= 256);
	FUZZ_CHECK(c->max_conns >= 1 && c->max_conns <= 1000000);
	FUZZ_CHECK(c->max_head >= 1024 && c->max_head <= 1048576);
	FUZZ_CHECK(c->max_headers >= 1 && c->max_headers <= 1000);
	FUZZ_CHECK(c->head_timeout >= 1 && c->head_timeout <= 86400);
	FUZZ_CHECK(c->keepalive_timeout >= 1 && c->keepalive_timeout <= 86400);
	FUZZ_CHECK(c->send_timeout >= 1 && c->send_timeout <= 86400);
	FUZZ_CHECK(c->grace <= 86400);
	FUZZ_CHECK(c->max_age >= -1 && c->max_age <= 2147483647);
	FUZZ_CHECK(c->unix_socket_mode <= 0777);
	FUZZ_CHECK(c->sendfile == SENDFILE_ON || c->sendfile == SENDFILE_OFF ||
		   c->sendfile == SENDFILE_AUTO);
	FUZZ_CHECK(c->redirect_port >= 0 && c->redirect_port <= 65535);
	FUZZ_CHECK(!c->redirect_port || (c->tls_cert && !c->unix_socket));
	FUZZ_CHECK(!c->tls_cert == !c->tls_key);
	FUZZ_CHECK(c->extra_headers != NULL);
	check_headers(c->extra_headers, c->cors_origin);
	if (c->cors_origin)
		FUZZ_CHECK(c->cors_origin[0] && value_ok(c->cors_origin));
	FUZZ_CHECK(c->nindexes >= 1 && c->indexes != NULL);
	for (unsigned i = 0; i < c->nindexes; i++)
		FUZZ_CHECK(c->indexes[i][0] && !strchr(c->indexes[i], '/') &&
			   strcmp(c->indexes[i], ".") != 0 && strcmp(c->indexes[i], "..") != 0);
	if (c->fallback)
		FUZZ_CHECK(c->fallback[0] == '/');
	if (c->health)
		FUZZ_CHECK(c->health[0] == '/' && value_ok(c->health) &&
			   !strpbrk(c->health, " ?#"));
	if (c->metrics)
		FUZZ_CHECK(c->metrics[0] == '/' && value_ok(c->metrics) &&
			   !strpbrk(c->metrics, " ?#"));
	if (c->user)
		FUZZ_CHECK(c->user[0] && c->user[0] != ':');
	if (!c->probe)
		FUZZ_CHECK(c->root && c->root[0] == '/');
	if (c->daemon)
		FUZZ_CHECK(c->pid_file && c->log_file);
}

/* argv from the input: argv[0] "server", then the NUL-separated pieces. */
FUZZ_NOCOV
static int make_argv(const uint8_t *data, size_t size, char **argv)
{
	const char *p = (const char *)data, *end = p + size;
	int argc = 0;

	argv[argc++] = fuzz_dup("server", 7);
	while (p < end && argc <= ARGS_MAX) {
		const char *nul = memchr(p, '\0', (size_t)(end - p));
		size_t n = nul ? (size_t)(nul - p) : (size_t)(end - p);
		char *a = malloc(n + 1);
		if (!a)
			abort();
		memcpy(a, p, n);
		a[n] = '\0';
		argv[argc++] = a;
		p += n + 1;
	}
	argv[argc] = NULL;
	return argc;
}

FUZZ_NOCOV
static void free_argv(char **argv, int argc)
{
	for (int i = 0; i < argc; i++)
		free(argv[i]);
}

FUZZ_NOCOV
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[ARGS_MAX + 2], *argv2[ARGS_MAX + 2];
	char *err = malloc(ERR_CAP), *err2 = malloc(ERR_CAP);
	struct config c, c2;
	int argc = make_argv(data, size, argv);
	int argc2 = make_argv(data, size, argv2);

	int rc = config_parse_args(argc, argv, &c, err, ERR_CAP);
	FUZZ_CHECK(rc == 0 || rc == CONFIG_HELP || rc == CONFIG_VERSION || rc == CONFIG_ERR_USAGE ||
		   rc == CONFIG_ERR_VALUE || rc == CONFIG_ERR_OPTION || rc == CONFIG_ERR_START ||
		   rc == CONFIG_ERR_FILE || rc == CONFIG_CHECKED);
	FUZZ_CHECK(memchr(err, '\0', ERR_CAP) != NULL);
	FUZZ_CHECK(!strchr(err, '\n') && !strchr(err, '\r'));
	FUZZ_CHECK(rc < 0 ? err[0] != '\0' : err[0] == '\0');
	if (rc == 0 || rc == CONFIG_CHECKED)
		check_config(&c);
	else
		FUZZ_CHECK(c.indexes == NULL && c.root == NULL && c.fallback == NULL &&
			   c.extra_headers && c.extra_headers[0] == '\0');

	/* The same command line again: the same answer. */
	int rc2 = config_parse_args(argc2, argv2, &c2, err2, ERR_CAP);
	FUZZ_CHECK(rc2 == rc && strcmp(err, err2) == 0);
	if ((rc == 0 || rc == CONFIG_CHECKED) && rc2 == rc) {
		FUZZ_CHECK(c.port == c2.port && c.nindexes == c2.nindexes &&
			   strcmp(c.extra_headers, c2.extra_headers) == 0 &&
			   !c.cors_origin == !c2.cors_origin);
	}

	config_free(&c);
	config_free(&c);
	config_free(&c2);
	free_argv(argv, argc);
	free_argv(argv2, argc2);
	free(err2);
	free(err);
	return 0;
}
