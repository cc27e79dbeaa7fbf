/* listen.h - listening sockets: TCP (one per thread with SO_REUSEPORT), a
 * unix socket, or sockets inherited from a service manager or from the
 * server being replaced (the LISTEN_FDS protocol of sd_listen_fds(3)). */
#ifndef LISTEN_H
#define LISTEN_H

#include <stdbool.h>
#include <stddef.h>

#define LISTEN_MAX 256
#define LISTEN_FDS_START 3
#define LISTEN_EXTRA_MAX 8 /* --listen listeners (CONFIG_LISTEN_MAX) */

struct listen_set {
	int fds[LISTEN_MAX];
	int n;
	bool per_thread; /* fds[i] belongs to thread i; else every thread shares all */
	bool inherited;
	const char *unix_path; /* the socket file we created, removed at stop */
	char where[160];       /* e.g. "http://[::]:3000/" */
};

/* Opens n listening TCP sockets on addr (NULL: all interfaces, IPv6 with
 * IPv4 where the host has IPv6) and port, joined with SO_REUSEPORT so each
 * event-loop thread accepts on its own. Fails, rather than sharing the
 * port, when anything else holds it. Returns 0, or -1 with a message. */
int listen_open(struct listen_set *s, const char *addr, int port, int n, char *err, size_t cap);

/* Listens on a unix socket at path with the given mode. A stale socket
 * file (nobody accepting) is replaced; a live one or another kind of file
 * is an error. Returns 0, or -1 with a message. */
int listen_open_unix(struct listen_set *s, const char *path, unsigned mode, char *err, size_t cap);

/* Adopts listening sockets passed with LISTEN_PID (our PID) and LISTEN_FDS,
 * and unsets those variables. Sockets named "redirect" in LISTEN_FDNAMES
 * go to *redirect, the others to *s. A set of exactly threads TCP sockets
 * gives each thread one. Returns the number adopted (0: none passed), or
 * -1 with a message when a passed descriptor is not a listening socket. */
int listen_inherit(struct listen_set *s, struct listen_set *redirect, int threads, char *err,
		   size_t cap);

/* The same, where sockets named "extraN" (N below nextra) go to
 * extra[N]: the --listen listeners a server being replaced hands over. */
int listen_inherit_all(struct listen_set *s, struct listen_set *redirect,
		       struct listen_set *extra, int nextra, int threads, char *err, size_t cap);

/* The descriptors thread i waits on: its own, or duplicates of the shared
 * ones. Returns how many were written to fds (at most cap), or -errno. */
int listen_for_thread(const struct listen_set *s, int i, int *fds, bool *shared, int cap);

/* The TCP port of the set's first socket, or 0 (a unix socket). */
int listen_port(const struct listen_set *s);

/* Closes the set's own descriptors (after listen_for_thread for every
 * thread, for shared sets) and keeps the unix socket file. */
void listen_close(struct listen_set *s);

#endif
