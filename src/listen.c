/* listen.c - socket, bind, listen. SO_REUSEPORT gives every thread its own
 * accept queue; because it would also let a second server share the port
 * silently, the address is first bound once without it, which fails with
 * EADDRINUSE exactly when something already holds it. Unix and inherited
 * sockets are shared by the threads (EPOLLEXCLUSIVE in the worker). */
#include "listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
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

int listen_open(struct listen_set *set, const char *addr, int port, int n, char *err,
		size_t err_cap)
{
	int *fds = set->fds;
	char *where = set->where;
	size_t where_cap = sizeof set->where;
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

	if (n > LISTEN_MAX)
		n = LISTEN_MAX;
	set->n = 0;
	set->per_thread = true;
	int first = 0;
	if (port == 0) {
		/* A free port: the kernel picks one for the first socket, the
		 * others join it there. */
		fds[0] = open_one((struct sockaddr *)&ss, len, true, true);
		struct sockaddr_storage got;
		socklen_t gl = sizeof got;
		if (fds[0] < 0 || getsockname(fds[0], (struct sockaddr *)&got, &gl) < 0) {
			snprintf(err, err_cap, "cannot listen on %s: %s", host,
				 strerror(fds[0] < 0 ? -fds[0] : errno));
			if (fds[0] >= 0)
				close(fds[0]);
			return -1;
		}
		port = got.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&got)->sin6_port)
						 : ntohs(((struct sockaddr_in *)&got)->sin_port);
		if (ss.ss_family == AF_INET6)
			((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
		else
			((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
		snprintf(where, where_cap, ss.ss_family == AF_INET6 ? "http://[%s]:%d/" : "http://%s:%d/",
			 host, port);
		first = 1;
	} else {
		/* The probe only binds: were it listening, a client could
		 * connect to it in the moment before it is closed and be
		 * reset. */
		int probe = open_one((struct sockaddr *)&ss, len, false, false);
		if (probe < 0) {
			snprintf(err, err_cap, "cannot listen on %s port %d: %s", host, port,
				 strerror(-probe));
			return -1;
		}
		close(probe);
	}
	for (int i = first; i < n; i++) {
		fds[i] = open_one((struct sockaddr *)&ss, len, true, true);
		if (fds[i] < 0) {
			snprintf(err, err_cap, "cannot listen on %s port %d: %s", host, port,
				 strerror(-fds[i]));
			while (i-- > 0)
				close(fds[i]);
			return -1;
		}
	}
	set->n = n;
	return 0;
}

int listen_open_unix(struct listen_set *set, const char *path, unsigned mode, char *err, size_t cap)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;

	if (strlen(path) >= sizeof sun.sun_path) {
		snprintf(err, cap, "unix socket path too long: %s", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			close(fd);
			snprintf(err, cap, "cannot listen on %s: exists and is not a socket", path);
			return -1;
		}
		/* Someone accepting there means another server runs. */
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sun, sizeof sun) == 0) {
			close(probe);
			close(fd);
			snprintf(err, cap, "cannot listen on %s: another server is accepting there", path);
			return -1;
		}
		if (probe >= 0)
			close(probe);
		unlink(path); /* stale */
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) < 0)
		goto fail;
	if (chmod(path, mode) < 0 || listen(fd, BACKLOG) < 0) {
		unlink(path);
		goto fail;
	}
	set->fds[0] = fd;
	set->n = 1;
	set->per_thread = false;
	set->unix_path = path;
	snprintf(set->where, sizeof set->where, "unix:%s", path);
	return 0;
fail:
	snprintf(err, cap, "cannot listen on %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Describes a listening socket for the start-up message. */
static void describe(int fd, char *out, size_t cap)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char host[INET6_ADDRSTRLEN] = "?";
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		snprintf(out, cap, "?");
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
		snprintf(out, cap, "http://[%s]:%d/", host, ntohs(s6->sin6_port));
	} else if (ss.ss_family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
		snprintf(out, cap, "http://%s:%d/", host, ntohs(s4->sin_port));
	} else if (ss.ss_family == AF_UNIX) {
		struct sockaddr_un *su = (struct sockaddr_un *)&ss;
		snprintf(out, cap, "unix:%.100s", su->sun_path);
	} else {
		snprintf(out, cap, "?");
	}
}

/* Whether the sockets are one SO_REUSEPORT group (the same address), as
 * a server being replaced hands over: then each thread takes one. */
static bool reuseport_group(const struct listen_set *set)
{
	struct sockaddr_storage first, ss;
	socklen_t fl = sizeof first;
	if (getsockname(set->fds[0], (struct sockaddr *)&first, &fl) < 0)
		return false;
	for (int i = 0; i < set->n; i++) {
		int on = 0;
		socklen_t l = sizeof on, sl = sizeof ss;
		if (getsockopt(set->fds[i], SOL_SOCKET, SO_REUSEPORT, &on, &l) < 0 || !on ||
		    getsockname(set->fds[i], (struct sockaddr *)&ss, &sl) < 0 || sl != fl ||
		    memcmp(&ss, &first, fl) != 0)
			return false;
	}
	return true;
}

static void finish_set(struct listen_set *set, int threads, int tcp)
{
	if (set->n == 0)
		return;
	set->inherited = true;
	set->per_thread = set->n == threads && tcp == set->n && set->n > 1 && reuseport_group(set);
	describe(set->fds[0], set->where, sizeof set->where);
	if (set->n > 1 && !set->per_thread) {
		size_t w = strlen(set->where);
		snprintf(set->where + w, sizeof set->where - w, " and %d more", set->n - 1);
	}
}

int listen_inherit(struct listen_set *set, struct listen_set *redirect, int threads, char *err,
		   size_t cap)
{
	return listen_inherit_all(set, redirect, NULL, 0, threads, err, cap);
}

int listen_inherit_all(struct listen_set *set, struct listen_set *redirect,
		       struct listen_set *extra, int nextra, int threads, char *err, size_t cap)
{
	int xtcp[LISTEN_EXTRA_MAX] = { 0 };
	const char *pid_s = getenv("LISTEN_PID"), *fds_s = getenv("LISTEN_FDS");
	const char *names = getenv("LISTEN_FDNAMES");
	if (!pid_s || !fds_s || strtol(pid_s, NULL, 10) != (long)getpid())
		return 0;
	long n = strtol(fds_s, NULL, 10);
	if (n > LISTEN_MAX) {
		snprintf(err, cap, "too many inherited sockets (%ld)", n);
		return -1;
	}
	int tcp[2] = { 0, 0 };
	for (int i = 0; i < n; i++) {
		int fd = LISTEN_FDS_START + i, type = 0, acc = 0;
		socklen_t l = sizeof type;
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) < 0 || type != SOCK_STREAM ||
		    (l = sizeof acc, getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &l)) < 0 || !acc) {
			snprintf(err, cap, "inherited descriptor %d is not a listening stream socket", fd);
			return -1;
		}
		/* The i-th name of the colon-separated list. */
		const char *nm = names;
		for (int k = 0; nm && k < i; k++)
			nm = (nm = strchr(nm, ':')) ? nm + 1 : NULL;
		bool is_redirect = nm && strncmp(nm, "redirect", 8) == 0 && (nm[8] == ':' || !nm[8]);
		struct listen_set *to = is_redirect ? redirect : set;
		int x = -1;
		if (nm && strncmp(nm, "extra", 5) == 0 && nm[5] >= '0' && nm[5] <= '9' &&
		    (nm[6] == ':' || !nm[6]) && nm[5] - '0' < nextra && nm[5] - '0' < LISTEN_EXTRA_MAX) {
			x = nm[5] - '0';
			to = &extra[x];
		}
		bool tcp_fd = getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 &&
			      (ss.ss_family == AF_INET || ss.ss_family == AF_INET6);
		if (tcp_fd && x >= 0)
			xtcp[x]++;
		else if (tcp_fd)
			tcp[is_redirect]++;
		if (to->n >= LISTEN_MAX) {
			snprintf(err, cap, "too many inherited sockets for one listener");
			return -1;
		}
		int fl = fcntl(fd, F_GETFL);
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		to->fds[to->n++] = fd;
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	finish_set(set, threads, tcp[0]);
	finish_set(redirect, threads, tcp[1]);
	for (int x = 0; x < nextra; x++)
		finish_set(&extra[x], threads, xtcp[x]);
	return n > 0 ? (int)n : 0;
}

int listen_for_thread(const struct listen_set *set, int i, int *fds, bool *shared, int cap)
{
	if (set->per_thread) {
		if (cap < 1)
			return -EMFILE;
		fds[0] = set->fds[i];
		shared[0] = false;
		return 1;
	}
	if (set->n > cap)
		return -EMFILE; /* more sockets than a worker can wait on */
	int k = 0;
	for (; k < set->n && k < cap; k++) {
		fds[k] = fcntl(set->fds[k], F_DUPFD_CLOEXEC, 0);
		if (fds[k] < 0) {
			int e = errno;
			while (k-- > 0)
				close(fds[k]);
			return -e;
		}
		shared[k] = true;
	}
	return k;
}

int listen_port(const struct listen_set *set)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	if (set->n == 0 || getsockname(set->fds[0], (struct sockaddr *)&ss, &len) < 0)
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return 0;
}

void listen_close(struct listen_set *set)
{
	if (!set->per_thread)
		for (int i = 0; i < set->n; i++)
			close(set->fds[i]);
	set->n = 0;
}
