/* config.h - the command line, parsed once into an immutable struct. */
#ifndef CONFIG_H
#define CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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

struct config_site;
struct config_mem;

/* A listener besides the main port (--listen SPEC, repeatable). */
#define CONFIG_LISTEN_MAX 8
struct config_listen {
	const char *spec;      /* as given, for messages */
	const char *addr;      /* NULL: all interfaces */
	int port;              /* TCP port, or 0 with unix_path */
	const char *unix_path; /* a unix socket, or NULL */
	bool tls;              /* HTTPS with the server's certificates */
	bool proxy;            /* PROXY protocol header required */
};

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
	const char *config_file;   /* --config FILE, or NULL */
	bool check_config;         /* --check-config: validate, print, exit */
	const char *acme_challenge; /* directory answering /.well-known/acme-challenge/ */
	const char *trusted_proxies; /* CIDR list whose X-Forwarded-For is believed */
	bool proxy_protocol;       /* the port expects a PROXY protocol header first */
	struct config_listen *listens; /* more listeners, or NULL */
	unsigned nlistens;
	struct config_site *sites; /* from the config file's sites:, or NULL */
	unsigned nsites;
	/* rules: and netlify: at the top level of a file without sites:,
	 * for the one folder served (a site keeps its own in config_site). */
	struct config_rule *rules;
	unsigned nrules;
	bool netlify;
	struct config_mem *mem;    /* everything config.c allocated, freed together */
};

/* A path rule of a site, as the config file gives it (see docs/config.md). */
enum config_hop { CONFIG_HOP_SET, CONFIG_HOP_ADD, CONFIG_HOP_REMOVE };

struct config_rule {
	const char *match;    /* path glob */
	const char *redirect; /* target of a redirect, or NULL */
	const char *rewrite;  /* path served instead, or NULL */
	int status;           /* redirect status (301 default) */
	struct config_rule_header {
		enum config_hop op;
		const char *name, *value;
	} *headers;
	unsigned nheaders;
	const char *auth_file; /* Basic authentication for these paths, or NULL */
	int list;              /* listing: -1 as the site says, 0 off, 1 on */
	const char *cors;      /* Access-Control-Allow-Origin for these paths, or NULL */
	unsigned line, col;    /* where the file defines it */
};

/* A virtual host: the global settings with the site's own applied. */
struct config_site {
	struct config cfg; /* cfg.sites is NULL */
	const char **hosts; /* lower case; "*.example.com" wildcards */
	unsigned nhosts;
	bool is_default;    /* answers hosts no site names */
	bool netlify;       /* reads _headers and _redirects in its root */
	struct config_rule *rules;
	unsigned nrules;
	unsigned line, col; /* where the file defines it */
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
	CONFIG_ERR_FILE = -5,     /* the config file is invalid: exit 1 */
	CONFIG_CHECKED = 3,       /* --check-config: valid, print it and exit 0 */
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

/* Writes the effective configuration as YAML the config file accepts
 * (what --check-config prints). */
void config_print(const struct config *c, FILE *out);

#endif
