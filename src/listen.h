/* listen.h - listening sockets. */
#ifndef LISTEN_H
#define LISTEN_H

#include <stddef.h>

/* Opens n listening TCP sockets on addr (NULL: all interfaces, IPv6 with
 * IPv4 where the host has IPv6) and port, joined with SO_REUSEPORT so each
 * event-loop thread accepts on its own. Fails, rather than sharing the
 * port, when anything else listens there. Fills fds[0..n) and a printable
 * address into where (e.g. "http://[::]:3000/"). Returns 0, or -1 with a
 * message in err. */
int listen_open(const char *addr, int port, int *fds, int n, char *where, size_t where_cap,
		char *err, size_t err_cap);

#endif
