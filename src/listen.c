/* listen.c - socket, bind, listen. SO_REUSEPORT gives every thread its own
 * accept queue; because it would also let a second server share the port
 * silently, the address is first bound once without it, which fails with
 * EADDRINUSE exactly when something already holds it. */
#include "listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BACKLOG 4096

static int open_one(const struct sockaddr *sa, socklen_t len, bool reuseport, bool do_listen)
{
	int one = 1, zero = 0;
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (reuseport)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
	if (sa->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
	/* Accept only once the request has arrived: the first read then
	 * succeeds and a short-lived connection needs no epoll round trip. */
	int defer = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof defer);
	if (bind(fd, sa, len) < 0 || (do_listen && listen(fd, BACKLOG) < 0)) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

int listen_open(const char *addr, int port, int *fds, int n, char *where, size_t where_cap,
		char *err, size_t err_cap)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char host[INET6_ADDRSTRLEN];

	memset(&ss, 0, sizeof ss);
	if (!addr) {
		/* Dual stack where IPv6 exists, IPv4 otherwise. */
		int probe = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
			close(probe);
			s6->sin6_family = AF_INET6;
			s6->sin6_addr = in6addr_any;
			s6->sin6_port = htons((uint16_t)port);
			len = sizeof *s6;
		} else {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
			s4->sin_family = AF_INET;
			s4->sin_addr.s_addr = htonl(INADDR_ANY);
			s4->sin_port = htons((uint16_t)port);
			len = sizeof *s4;
		}
	} else {
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE }, *res;
		char ps[8];
		snprintf(ps, sizeof ps, "%d", port);
		int rc = getaddrinfo(addr, ps, &hints, &res);
		if (rc != 0) {
			snprintf(err, err_cap, "cannot use address '%s': %s", addr, gai_strerror(rc));
			return -1;
		}
		memcpy(&ss, res->ai_addr, res->ai_addrlen);
		len = res->ai_addrlen;
		freeaddrinfo(res);
	}
	if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host, sizeof host);
	else
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof host);
	snprintf(where, where_cap, ss.ss_family == AF_INET6 ? "http://[%s]:%d/" : "http://%s:%d/",
		 host, port);

	/* The probe only binds: were it listening, a client could connect to
	 * it in the moment before it is closed and be reset. */
	int probe = open_one((struct sockaddr *)&ss, len, false, false);
	if (probe < 0) {
		snprintf(err, err_cap, "cannot listen on %s port %d: %s", host, port, strerror(-probe));
		return -1;
	}
	close(probe);
	for (int i = 0; i < n; i++) {
		fds[i] = open_one((struct sockaddr *)&ss, len, true, true);
		if (fds[i] < 0) {
			snprintf(err, err_cap, "cannot listen on %s port %d: %s", host, port,
				 strerror(-fds[i]));
			while (i-- > 0)
				close(fds[i]);
			return -1;
		}
	}
	return 0;
}
