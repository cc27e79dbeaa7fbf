/* small_sndbuf.c - LD_PRELOAD shim for tests: every accepted socket gets a
 * 4 KiB send buffer, so the server meets a full socket (EAGAIN, partial
 * writes) after a few kilobytes instead of megabytes. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <sys/socket.h>

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	static int (*real)(int, struct sockaddr *, socklen_t *, int);
	if (!real)
		real = (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(RTLD_NEXT, "accept4");
	int c = real(fd, addr, len, flags);
	if (c >= 0) {
		int size = 4096;
		setsockopt(c, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
	}
	return c;
}
