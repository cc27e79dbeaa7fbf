/* notify.c - no libsystemd needed: the protocol is one datagram per state
 * change. An address starting with '@' is in the abstract namespace. */
#include "notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int notify_fd = -1;
static struct sockaddr_un notify_addr;
static socklen_t notify_len;
static char notify_path[sizeof notify_addr.sun_path + 1];

int notify_init(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	if (!path)
		return 0;
	size_t n = strlen(path);
	snprintf(notify_path, sizeof notify_path, "%s", path);
	unsetenv("NOTIFY_SOCKET");
	/* A path needs its NUL in sun_path; an abstract name does not. */
	if (n < 2 || n > sizeof notify_addr.sun_path || (path[0] != '@' && n == sizeof notify_addr.sun_path) ||
	    (path[0] != '/' && path[0] != '@'))
		return -EINVAL;
	notify_addr.sun_family = AF_UNIX;
	memcpy(notify_addr.sun_path, notify_path, n);
	if (notify_addr.sun_path[0] == '@')
		notify_addr.sun_path[0] = '\0';
	notify_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	return notify_fd < 0 ? -errno : 0;
}

int notify_send(const char *state)
{
	if (notify_fd < 0)
		return 0;
	ssize_t n = sendto(notify_fd, state, strlen(state), MSG_NOSIGNAL,
			   (struct sockaddr *)&notify_addr, notify_len);
	return n < 0 ? -errno : 0;
}

int notify_reloading(void)
{
	struct timespec ts;
	char msg[96];
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000);
	return notify_send(msg);
}

const char *notify_socket_path(void)
{
	return notify_fd >= 0 ? notify_path : NULL;
}
