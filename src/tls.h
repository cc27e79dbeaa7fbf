/* tls.h - HTTPS with OpenSSL 3: one server context (TLS 1.2 and 1.3,
 * ALPN http/1.1, session tickets and cache), swapped whole on reload, and
 * non-blocking connections driven by the event loop. Kernel TLS is asked
 * for, so file bodies still go out with sendfile(2) where the kernel
 * supports it. Built without OpenSSL, tls_available() is false and
 * tls_init fails with a message saying so. */
#ifndef TLS_H
#define TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct tls_conn; /* an SSL object */

enum tls_result {
	TLS_OK = 0,
	TLS_WANT_READ = -1,  /* wait for readability, then call again */
	TLS_WANT_WRITE = -2, /* wait for writability, then call again */
	TLS_CLOSED = -3,     /* the peer closed (close_notify or EOF) */
	TLS_ERROR = -4,      /* a protocol or socket error: close */
};

bool tls_available(void);

/* Loads the certificate chain and key (PEM) into a new server context.
 * Returns 0, or -1 with a message. */
int tls_init(const char *cert, const char *key, char *err, size_t cap);

/* Loads the files again; on success new connections use them, and
 * connections already open keep theirs. On failure the old context stays.
 * Returns 0, or -1 with a message. */
int tls_reload(char *err, size_t cap);

/* OpenSSL's configuration file (read again by a server started for an
 * upgrade), to be freed by the caller; NULL without OpenSSL. */
char *tls_config_file(void);

/* Frees the context (at teardown). */
void tls_cleanup(void);

/* Whether the kernel offers TLS offload ("tls" upper layer protocol). */
bool tls_kernel_supported(void);

/* A server-side connection on a connected socket, or NULL. */
struct tls_conn *tls_accept(int fd);

/* Advances the handshake: TLS_OK when done, else a tls_result. */
int tls_handshake(struct tls_conn *t);

/* Read or write up to len bytes: the count (> 0), or a tls_result. */
long tls_read(struct tls_conn *t, void *buf, size_t len);
long tls_write(struct tls_conn *t, const void *buf, size_t len);

/* Whether records are sent by the kernel (sendfile works). */
bool tls_ktls_send(const struct tls_conn *t);

/* sendfile through kernel TLS: the count (> 0), or a tls_result. */
long tls_sendfile(struct tls_conn *t, int fd, off_t off, size_t len);

/* Sends close_notify (once, without waiting) and frees t. */
void tls_close(struct tls_conn *t);

/* Whether ALPN offers h2 (preferred over http/1.1); off by default. */
void tls_offer_h2(bool on);

/* True when the handshake selected h2. */
bool tls_alpn_h2(const struct tls_conn *t);

/* A site's own certificate and key, for clients that name it (SNI): an
 * opaque context, or NULL with a message. Free with tls_site_free. */
void *tls_site_new(const char *cert, const char *key, char *err, size_t cap);
void tls_site_free(void *ctx);

/* select(name) gives the context (from tls_site_new) of the site a
 * client names in its hello, or NULL for the default certificate; it
 * runs on the thread doing the handshake. */
void tls_sni(void *(*select)(const char *name));

#endif
