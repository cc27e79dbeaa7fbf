/* probe.c - a minimal HTTP/1.1 client: enough to ask a server (this one
 * or any other) whether it answers. */
#include "probe.h"

#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "config.h"

static long ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Waits for fd to be ready for events; false on timeout or error. */
static bool wait_fd(int fd, short events, const struct timespec *t0, int timeout_ms)
{
	for (;;) {
		long left = timeout_ms - ms_since(t0);
		if (left <= 0)
			return false;
		struct pollfd p = { .fd = fd, .events = events };
		int rc = poll(&p, 1, (int)left);
		if (rc > 0)
			return true;
		if (rc == 0 || errno != EINTR)
			return false;
	}
}

int probe_run(const char *url, int timeout_ms)
{
	char host[256], port[8] = "80", req[2048], buf[512];
	const char *p, *path;
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (strncmp(url, "http://", 7) != 0) {
		fprintf(stderr, "%s: --probe takes an http:// URL, not '%s'\n", config_program, url);
		return 1;
	}
	p = url + 7;
	path = strchr(p, '/');
	size_t alen = path ? (size_t)(path - p) : strlen(p);
	if (!path)
		path = "/";
	if (alen == 0 || alen >= sizeof host) {
		fprintf(stderr, "%s: --probe: no host in '%s'\n", config_program, url);
		return 1;
	}
	memcpy(host, p, alen);
	host[alen] = '\0';
	char *h = host, *colon = NULL;
	if (host[0] == '[') { /* [IPv6]:port */
		char *end = strchr(host, ']');
		if (!end) {
			fprintf(stderr, "%s: --probe: bad address in '%s'\n", config_program, url);
			return 1;
		}
		*end = '\0';
		h = host + 1;
		colon = end[1] == ':' ? end + 1 : NULL;
	} else {
		colon = strrchr(host, ':');
	}
	if (colon) {
		*colon = '\0';
		snprintf(port, sizeof port, "%s", colon + 1);
	}
	if (strpbrk(path, " \r\n")) {
		fprintf(stderr, "%s: --probe: bad path in '%s'\n", config_program, url);
		return 1;
	}

	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL, *ai;
	int rc = getaddrinfo(h, port, &hints, &res);
	if (rc != 0) {
		fprintf(stderr, "%s: --probe: %s: %s\n", config_program, h, gai_strerror(rc));
		return 1;
	}
	int fd = -1;
	for (ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
			close(fd);
			fd = -1;
			continue;
		}
		int err = 0;
		socklen_t el = sizeof err;
		if (!wait_fd(fd, POLLOUT, &t0, timeout_ms) ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0) {
		fprintf(stderr, "%s: --probe: cannot connect to %s port %s\n", config_program, h, port);
		return 1;
	}
	/* Host is the authority as written in the URL. */
	int n = snprintf(req, sizeof req,
		     "HEAD %s HTTP/1.1\r\nHost: %.*s\r\nUser-Agent: server-probe\r\nConnection: close\r\n\r\n",
		     path, (int)alen, url + 7);
	if (n <= 0 || (size_t)n >= sizeof req || send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
		fprintf(stderr, "%s: --probe: cannot send the request\n", config_program);
		close(fd);
		return 1;
	}
	size_t got = 0;
	while (got < 12) {
		if (!wait_fd(fd, POLLIN, &t0, timeout_ms))
			break;
		ssize_t k = recv(fd, buf + got, sizeof buf - 1 - got, 0);
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	close(fd);
	buf[got] = '\0';
	int status = 0;
	if (got >= 12 && strncmp(buf, "HTTP/1.", 7) == 0 && buf[8] == ' ')
		status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	if (status >= 200 && status < 400)
		return 0;
	if (status)
		fprintf(stderr, "%s: --probe: %s answered %d\n", config_program, url, status);
	else
		fprintf(stderr, "%s: --probe: no HTTP answer from %s\n", config_program, url);
	return 1;
}
