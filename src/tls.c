/* tls.c - OpenSSL glue. Settings follow Mozilla's "intermediate" profile:
 * TLS 1.2 with ECDHE and AEAD ciphers only, and TLS 1.3 with OpenSSL's
 * defaults; no renegotiation, no compression. The context in use is a
 * pointer swapped under a mutex on reload; SSL_new takes its own
 * reference, so connections outlive the context they started with. */
#include "tls.h"

#ifdef HAVE_OPENSSL

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/conf.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "log_file.h"

#define TLS12_CIPHERS                                                                  \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"                   \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                   \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

static pthread_mutex_t ctx_lock = PTHREAD_MUTEX_INITIALIZER;
static SSL_CTX *current;
static const char *cert_path, *key_path;
/* The files' directories, opened at start-up: a reload after a chroot
 * still finds them. */
static int cert_dir = -1, key_dir = -1;
static const char *cert_name, *key_name;

#define PEM_MAX (1 << 20)

bool tls_available(void)
{
	return true;
}

static atomic_bool offer_h2;

void tls_offer_h2(bool on)
{
	atomic_store(&offer_h2, on);
}

/* The offered protocol named name (length-prefixed list), or NULL. */
static const unsigned char *alpn_find(const unsigned char *in, unsigned inlen, const char *name)
{
	unsigned len = (unsigned)strlen(name);
	for (unsigned i = 0; i < inlen;) {
		unsigned n = in[i];
		if (i + 1 + n > inlen)
			break;
		if (n == len && memcmp(in + i + 1, name, len) == 0)
			return in + i + 1;
		i += 1 + n;
	}
	return NULL;
}

static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
		       const unsigned char *in, unsigned inlen, void *arg)
{
	(void)ssl;
	(void)arg;
	/* The server's preference: h2 (when on), then HTTP/1.1. */
	const unsigned char *p = NULL;
	if (atomic_load_explicit(&offer_h2, memory_order_relaxed) && (p = alpn_find(in, inlen, "h2")))
		*outlen = 2;
	else if ((p = alpn_find(in, inlen, "http/1.1")))
		*outlen = 8;
	if (!p)
		return SSL_TLSEXT_ERR_NOACK;
	*out = p;
	return SSL_TLSEXT_ERR_OK;
}

bool tls_alpn_h2(const struct tls_conn *t)
{
	const unsigned char *p = NULL;
	unsigned n = 0;
	SSL_get0_alpn_selected((const SSL *)t, &p, &n);
	return n == 2 && memcmp(p, "h2", 2) == 0;
}

static void ssl_error(const char *what, const char *file, char *err, size_t cap)
{
	unsigned long e = ERR_get_error();
	char buf[256];
	ERR_error_string_n(e, buf, sizeof buf);
	snprintf(err, cap, "%s %s: %s", what, file, e ? buf : strerror(errno));
	ERR_clear_error();
}

/* The PEM file name in dir, in memory. Returns a BIO or NULL (errno). */
static BIO *read_pem(int dir, const char *name)
{
	int fd = openat(dir, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	char *buf = malloc(PEM_MAX);
	size_t len = 0;
	ssize_t n = 0;
	while (buf && len < PEM_MAX && (n = read(fd, buf + len, PEM_MAX - len)) > 0)
		len += (size_t)n;
	int e = errno;
	close(fd);
	if (!buf || n < 0 || len == PEM_MAX) {
		free(buf);
		errno = n < 0 ? e : EFBIG;
		return NULL;
	}
	BIO *mem = BIO_new(BIO_s_mem());
	if (mem && BIO_write(mem, buf, (int)len) != (int)len) {
		BIO_free(mem);
		mem = NULL;
	}
	OPENSSL_cleanse(buf, len); /* it may hold the private key */
	free(buf);
	return mem;
}

/* The leaf certificate, then the chain certificates that follow it. */
static int load_chain(SSL_CTX *ctx, BIO *bio)
{
	X509 *leaf = PEM_read_bio_X509_AUX(bio, NULL, NULL, NULL);
	if (!leaf || SSL_CTX_use_certificate(ctx, leaf) != 1) {
		X509_free(leaf);
		return -1;
	}
	X509_free(leaf);
	SSL_CTX_clear_chain_certs(ctx);
	X509 *ca;
	while ((ca = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
		if (SSL_CTX_add0_chain_cert(ctx, ca) != 1) {
			X509_free(ca);
			return -1;
		}
	}
	/* The end of the file shows as "no start line": not an error. */
	unsigned long e = ERR_peek_last_error();
	if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
		ERR_clear_error();
	return ERR_peek_error() ? -1 : 0;
}

static SSL_CTX *make_ctx_from(int cdir, const char *cname, const char *cpath, int kdir,
			      const char *kname, const char *kpath, char *err, size_t cap);

static SSL_CTX *make_ctx(char *err, size_t cap)
{
	return make_ctx_from(cert_dir, cert_name, cert_path, key_dir, key_name, key_path, err, cap);
}

/* The server name a client asked for picks a site's own context. */
static void *(*sni_select)(const char *name);

static int sni_cb(SSL *ssl, int *alert, void *arg)
{
	(void)alert;
	(void)arg;
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	if (name && sni_select) {
		SSL_CTX *ctx = sni_select(name);
		if (ctx && ctx != SSL_get_SSL_CTX(ssl))
			SSL_set_SSL_CTX(ssl, ctx);
	}
	return SSL_TLSEXT_ERR_OK;
}

void tls_sni(void *(*select)(const char *name))
{
	sni_select = select;
}

void *tls_site_new(const char *cert, const char *key, char *err, size_t cap)
{
	const char *cn, *kn;
	int cd = log_file_parent(cert, &cn), kd = log_file_parent(key, &kn);
	SSL_CTX *ctx = NULL;
	if (cd < 0 || kd < 0)
		snprintf(err, cap, "cannot load %s: %s", cd < 0 ? cert : key,
			 strerror(-(cd < 0 ? cd : kd)));
	else
		ctx = make_ctx_from(cd, cn, cert, kd, kn, key, err, cap);
	if (cd >= 0)
		close(cd);
	if (kd >= 0)
		close(kd);
	return ctx;
}

void tls_site_free(void *ctx)
{
	SSL_CTX_free(ctx);
}

static SSL_CTX *make_ctx_from(int cdir, const char *cname, const char *cpath, int kdir,
			      const char *kname, const char *kpath, char *err, size_t cap)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	BIO *bio = NULL;
	if (!ctx) {
		ssl_error("cannot create a TLS context for", cpath, err, cap);
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
					 SSL_OP_ENABLE_KTLS);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				      SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
	SSL_CTX_sess_set_cache_size(ctx, 20480);
	static const unsigned char sid[] = "tern";
	SSL_CTX_set_session_id_context(ctx, sid, sizeof sid - 1);
	SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
	SSL_CTX_set_tlsext_servername_callback(ctx, sni_cb);
	ERR_clear_error();
	errno = 0;
	if (!(bio = read_pem(cdir, cname)) || load_chain(ctx, bio) < 0) {
		ssl_error("cannot load certificate", cpath, err, cap);
		goto fail;
	}
	BIO_free(bio);
	errno = 0;
	EVP_PKEY *pkey = NULL;
	if (!(bio = read_pem(kdir, kname)) ||
	    !(pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)) ||
	    SSL_CTX_use_PrivateKey(ctx, pkey) != 1) {
		EVP_PKEY_free(pkey);
		ssl_error("cannot load key", kpath, err, cap);
		goto fail;
	}
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	bio = NULL;
	if (SSL_CTX_check_private_key(ctx) != 1) {
		ssl_error("key does not match certificate", cpath, err, cap);
		goto fail;
	}
	return ctx;
fail:
	BIO_free(bio);
	SSL_CTX_free(ctx);
	return NULL;
}

int tls_init(const char *cert, const char *key, char *err, size_t cap)
{
	cert_path = cert;
	key_path = key;
	cert_dir = log_file_parent(cert, &cert_name);
	key_dir = log_file_parent(key, &key_name);
	if (cert_dir < 0 || key_dir < 0) {
		snprintf(err, cap, "cannot load %s: %s", cert_dir < 0 ? cert : key,
			 strerror(-(cert_dir < 0 ? cert_dir : key_dir)));
		return -1;
	}
	SSL_CTX *ctx = make_ctx(err, cap);
	if (!ctx)
		return -1;
	current = ctx;
	return 0;
}

int tls_reload(char *err, size_t cap)
{
	SSL_CTX *ctx = make_ctx(err, cap);
	if (!ctx)
		return -1;
	/* Tickets issued before the reload still resume. */
	unsigned char keys[80];
	pthread_mutex_lock(&ctx_lock);
	SSL_CTX *old = current;
	if (SSL_CTX_get_tlsext_ticket_keys(old, keys, sizeof keys) == 1)
		SSL_CTX_set_tlsext_ticket_keys(ctx, keys, sizeof keys);
	current = ctx;
	pthread_mutex_unlock(&ctx_lock);
	SSL_CTX_free(old);
	return 0;
}

void tls_cleanup(void)
{
	SSL_CTX_free(current);
	current = NULL;
	if (cert_dir >= 0)
		close(cert_dir);
	if (key_dir >= 0)
		close(key_dir);
	cert_dir = key_dir = -1;
}

char *tls_config_file(void)
{
	const char *env = getenv("OPENSSL_CONF");
	return env ? strdup(env) : CONF_get1_default_config_file();
}

bool tls_kernel_supported(void)
{
	/* The "tls" ULP refuses an unconnected socket with ENOTCONN when it
	 * exists, and with ENOENT when the kernel lacks it. */
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	int rc = setsockopt(fd, IPPROTO_TCP, TCP_ULP, "tls", 3);
	int e = errno;
	close(fd);
	return rc == 0 || e == ENOTCONN;
}

struct tls_conn *tls_accept(int fd)
{
	pthread_mutex_lock(&ctx_lock);
	SSL *ssl = SSL_new(current);
	pthread_mutex_unlock(&ctx_lock);
	if (!ssl) {
		ERR_clear_error();
		return NULL;
	}
	if (SSL_set_fd(ssl, fd) != 1) {
		SSL_free(ssl);
		ERR_clear_error();
		return NULL;
	}
	SSL_set_accept_state(ssl);
	return (struct tls_conn *)ssl;
}

static int result(SSL *ssl, int rc)
{
	switch (SSL_get_error(ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		return TLS_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return TLS_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		return TLS_CLOSED;
	case SSL_ERROR_SYSCALL:
		/* After a fatal error no close_notify may be sent. */
		SSL_set_quiet_shutdown(ssl, 1);
		ERR_clear_error();
		return errno == 0 ? TLS_CLOSED : TLS_ERROR;
	default:
		/* Left on the queue, the error would show up on the next
		 * connection this thread serves. */
		SSL_set_quiet_shutdown(ssl, 1);
		ERR_clear_error();
		return TLS_ERROR;
	}
}

int tls_handshake(struct tls_conn *t)
{
	SSL *ssl = (SSL *)t;
	/* SSL_get_error reads the thread's error queue: start it empty. */
	ERR_clear_error();
	errno = 0;
	int rc = SSL_do_handshake(ssl);
	return rc == 1 ? TLS_OK : result(ssl, rc);
}

long tls_read(struct tls_conn *t, void *buf, size_t len)
{
	SSL *ssl = (SSL *)t;
	size_t n = 0;
	ERR_clear_error();
	errno = 0;
	int rc = SSL_read_ex(ssl, buf, len, &n);
	return rc == 1 ? (long)n : result(ssl, rc);
}

long tls_write(struct tls_conn *t, const void *buf, size_t len)
{
	SSL *ssl = (SSL *)t;
	size_t n = 0;
	ERR_clear_error();
	errno = 0;
	int rc = SSL_write_ex(ssl, buf, len, &n);
	return rc == 1 ? (long)n : result(ssl, rc);
}

bool tls_ktls_send(const struct tls_conn *t)
{
	return BIO_get_ktls_send(SSL_get_wbio((const SSL *)t)) > 0;
}

long tls_sendfile(struct tls_conn *t, int fd, off_t off, size_t len)
{
	SSL *ssl = (SSL *)t;
	ERR_clear_error();
	errno = 0;
	ossl_ssize_t n = SSL_sendfile(ssl, fd, off, len, 0);
	if (n > 0)
		return (long)n;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == EBUSY) {
		ERR_clear_error();
		return TLS_WANT_WRITE;
	}
	ERR_clear_error();
	return TLS_ERROR;
}

void tls_close(struct tls_conn *t)
{
	SSL *ssl = (SSL *)t;
	if (!ssl)
		return;
	/* close_notify, best effort: the socket may be full or gone. */
	if (SSL_is_init_finished(ssl))
		SSL_shutdown(ssl);
	ERR_clear_error();
	SSL_free(ssl);
}

#else /* !HAVE_OPENSSL */

#include <stdio.h>

bool tls_available(void)
{
	return false;
}

int tls_init(const char *cert, const char *key, char *err, size_t cap)
{
	(void)cert;
	(void)key;
	snprintf(err, cap, "TLS is not available: this server was built without OpenSSL");
	return -1;
}

int tls_reload(char *err, size_t cap)
{
	snprintf(err, cap, "TLS is not available");
	return -1;
}

void tls_cleanup(void)
{
}

char *tls_config_file(void)
{
	return NULL;
}

bool tls_kernel_supported(void)
{
	return false;
}

struct tls_conn *tls_accept(int fd)
{
	(void)fd;
	return NULL;
}

int tls_handshake(struct tls_conn *t)
{
	(void)t;
	return TLS_ERROR;
}

long tls_read(struct tls_conn *t, void *buf, size_t len)
{
	(void)t;
	(void)buf;
	(void)len;
	return TLS_ERROR;
}

long tls_write(struct tls_conn *t, const void *buf, size_t len)
{
	(void)t;
	(void)buf;
	(void)len;
	return TLS_ERROR;
}

bool tls_ktls_send(const struct tls_conn *t)
{
	(void)t;
	return false;
}

long tls_sendfile(struct tls_conn *t, int fd, off_t off, size_t len)
{
	(void)t;
	(void)fd;
	(void)off;
	(void)len;
	return TLS_ERROR;
}

void tls_close(struct tls_conn *t)
{
	(void)t;
}

void tls_sni(void *(*select)(const char *name))
{
	(void)select;
}

void *tls_site_new(const char *cert, const char *key, char *err, size_t cap)
{
	(void)cert;
	(void)key;
	snprintf(err, cap, "TLS is not available: this server was built without OpenSSL");
	return NULL;
}

void tls_site_free(void *ctx)
{
	(void)ctx;
}

void tls_offer_h2(bool on)
{
	(void)on;
}

bool tls_alpn_h2(const struct tls_conn *t)
{
	(void)t;
	return false;
}

#endif
