/* signals.c - SIGTERM/SIGINT (stop), SIGHUP/SIGUSR1 (reopen logs, reload)
 * and SIGUSR2 (upgrade) through a signalfd read by the main thread;
 * SIGPIPE ignored so a client that goes away can only fail a write. */
#include "signals.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

int signals_init(void)
{
	sigset_t set;
	struct sigaction sa = { .sa_handler = SIG_IGN };

	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return -EINVAL;
	int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

int signals_wait(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct signalfd_siginfo si;
	int rc = poll(&pfd, 1, timeout_ms);
	if (rc < 0)
		return errno == EINTR ? 0 : -errno;
	if (rc == 0)
		return 0;
	ssize_t n = read(fd, &si, sizeof si);
	if (n != (ssize_t)sizeof si)
		return n < 0 && errno != EAGAIN ? -errno : 0;
	return (int)si.ssi_signo;
}

int signals_read(int fd)
{
	struct signalfd_siginfo si;
	ssize_t n = read(fd, &si, sizeof si);
	return n == (ssize_t)sizeof si ? (int)si.ssi_signo : 0;
}
