/* config.h - the command line, parsed once into an immutable struct. */
#ifndef CONFIG_H
#define CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "access_log.h"

/* How file bodies are sent: sendfile(2) (zero copy), pread+send through a
 * buffer, or sendfile below CONFIG_SENDFILE_AUTO_MAX bytes and copies above
 * (measured fastest for long streams on loopback; see bench/README.md). */
enum config_sendfile {
	SENDFILE_ON,
	SENDFILE_OFF,
	SENDFILE_AUTO,
};

#define CONFIG_SENDFILE_AUTO_MAX (16ull << 20)

struct config {
	const char *root;      /* canonical absolute path of the document root */
	const char *addr;      /* bind address, NULL: all interfaces */
	int port;
	bool daemon;
	int threads;
	const char *pid_file;  /* NULL: none (foreground without --pid-file) */
	const char *log_file;  /* NULL: standard output */
	unsigned max_conns;
	unsigned max_head;     /* bytes of request line plus header fields */
	unsigned max_headers;
	uint64_t max_body;     /* request body bytes read and discarded */
	unsigned head_timeout; /* seconds to receive a complete request head */
	unsigned keepalive_timeout;
	unsigned send_timeout; /* seconds without any progress while sending */
	unsigned grace;        /* seconds to finish in-flight work at stop */
	uint64_t cache_bytes;  /* memory for cached small files, all threads */
	long max_age;          /* Cache-Control max-age, -1: none */
	bool access_log;       /* one line per request */
	bool dotfiles;
	bool no_symlinks;
	bool smart_cache;      /* immutable for hashed names, no-cache for HTML */
	bool pretty_urls;      /* /about -> about.html */
	bool list;             /* directory listings where there is no index */
	bool compress;         /* compress text types on the fly */
	int sendfile;          /* enum config_sendfile */
	const char **indexes;  /* directory index names, in order */
	unsigned nindexes;
	const char *extra_headers; /* "Name: value\r\n" lines from -H, or "" */
	const char *cors_origin;   /* Access-Control-Allow-Origin value, or NULL */
	const char *fallback;      /* file for missing non-asset paths, or NULL */
	const char *mime_types;    /* mime.types file to load, or NULL */
	const char *auth_file;     /* htpasswd file for Basic authentication, or NULL */
	const char *probe;         /* --probe URL: check it and exit, or NULL */
	const char *health;        /* path answered 200 without touching the disk, or NULL */
	const char *metrics;       /* path of the Prometheus page, or NULL */
	enum log_format log_format;
	const char *error_log;     /* file for server messages, or NULL (see usage) */
	const char *user;          /* -u USER[:GROUP] to switch to, or NULL */
	const char *chroot;        /* directory to confine the server to, or NULL */
	const char *unix_socket;   /* listen there instead of TCP, or NULL */
	unsigned unix_socket_mode;
	const char *tls_cert;      /* PEM certificate chain: the port speaks HTTPS */
	const char *tls_key;
	bool sandbox;              /* confine the server after start-up */
	bool http2;                /* HTTP/2 beside HTTP/1.1 (when built with it) */
	bool verbose;              /* full start-up detail on a terminal too */
	int redirect_port;         /* plain HTTP port answered with 308 to HTTPS, or 0 */
};

/* -H lines ("Name: value", as sent) may be this long each, and all of them
 * (with their CRLF) plus the --cors origin this long together, so the
 * server's own headers always fit the response head. */
#define CONFIG_HEADER_MAX 1024
#define CONFIG_HEADERS_MAX 2048

/* What config_parse_args returns besides 0; each error says how the
 * command line wrapper reports it. */
enum config_result {
	CONFIG_HELP = 1,          /* -h: nothing after it was looked at */
	CONFIG_VERSION = 2,       /* -V: likewise */
	CONFIG_ERR_USAGE = -1,    /* bad value: exit 2, with a pointer to --help */
	CONFIG_ERR_VALUE = -2,    /* number out of range, feature not built: exit 2 */
	CONFIG_ERR_OPTION = -3,   /* unknown option or missing value: exit 2, usage */
	CONFIG_ERR_START = -4,    /* unusable document root, no memory: exit 1 */
};

/* Fills *c from argv without printing or exiting, and without getopt state
 * left from an earlier call. Returns 0 (free *c with config_free), or an
 * enum config_result with *c already freed; errors leave a one-line
 * message naming the option in err. argv may be permuted. */
int config_parse_args(int argc, char **argv, struct config *c, char *err, size_t err_cap);

/* config_parse_args for main: prints usage and exits 0 for --help, the
 * version for --version; prints "server: <message>" and exits 2 for a bad
 * option or value and 1 for a document root that cannot be used. */
void config_parse(int argc, char **argv, struct config *c);

/* The program's name as called (tern, server), for messages; set by
 * config_parse. */
extern const char *config_program;

/* Frees what config_parse allocated; harmless to call again. */
void config_free(struct config *c);

#endif
