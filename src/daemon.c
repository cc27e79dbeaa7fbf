/* daemon.c - becoming a daemon the classic way (Stevens, APUE 13.3), with
 * one addition: the original process stays until the daemon reports over
 * a pipe that it listens (or why it could not), so the terminal shows the
 * truth and the exit status means something. */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"

#include "log_file.h"

#define REPORT_WAIT_MS 15000

static void close_from(int lowfd, int keep)
{
	/* close_range(2) where the kernel has it, else walk the table. */
	if (keep > lowfd && close_range((unsigned)lowfd, (unsigned)keep - 1, 0) == 0 &&
	    close_range((unsigned)keep + 1, ~0U, 0) == 0)
		return;
	long max = sysconf(_SC_OPEN_MAX);
	for (int fd = lowfd; fd < (max > 0 ? max : 65536); fd++)
		if (fd != keep)
			close(fd);
}

static void wait_for_report(int rd)
{
	char buf[1024];
	size_t len = 0;
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd pfd = { .fd = rd, .events = POLLIN };
		clock_gettime(CLOCK_MONOTONIC, &now);
		long spent = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (spent >= REPORT_WAIT_MS) {
			fprintf(stderr, "%s: the daemon did not report within %d s\n", config_program, REPORT_WAIT_MS / 1000);
			exit(1);
		}
		int rc = poll(&pfd, 1, (int)(REPORT_WAIT_MS - spent));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			continue;
		ssize_t n = read(rd, buf + len, sizeof buf - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == sizeof buf - 1)
			break;
	}
	buf[len] = '\0';
	if (len > 1 && buf[0] == 'O') {
		fputs(buf + 1, stdout);
		fflush(stdout);
		exit(0);
	}
	if (len > 1 && buf[0] == 'E')
		fputs(buf + 1, stderr);
	else
		fprintf(stderr, "%s: the daemon exited during start-up\n", config_program);
	exit(1);
}

int daemon_start(void)
{
	int pipefd[2];
	pid_t pid;

	fflush(NULL);
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		fprintf(stderr, "%s: pipe: %s\n", config_program, strerror(errno));
		exit(1);
	}
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "%s: fork: %s\n", config_program, strerror(errno));
		exit(1);
	}
	if (pid > 0) {
		close(pipefd[1]);
		/* Reap the session leader, which exits at once. */
		waitpid(pid, NULL, 0);
		wait_for_report(pipefd[0]);
	}
	close(pipefd[0]);
	if (setsid() < 0)
		_exit(1);
	/* The session leader must not get a terminal back when it opens one;
	 * its child is no session leader, so it never can. */
	signal(SIGHUP, SIG_IGN);
	pid = fork();
	if (pid < 0)
		_exit(1);
	if (pid > 0)
		_exit(0);
	signal(SIGHUP, SIG_DFL);
	umask(0);
	close_from(0, pipefd[1]);
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (null > 2)
			close(null);
	}
	return pipefd[1];
}

void daemon_report(int fd, bool ok, const char *message)
{
	char buf[1024];
	int n = snprintf(buf, sizeof buf, "%c%s\n", ok ? 'O' : 'E', message);
	if (n > (int)sizeof buf - 1)
		n = (int)sizeof buf - 1;
	(void)!write(fd, buf, (size_t)n);
	close(fd);
}

static pid_t read_pid(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	long v = strtol(buf, NULL, 10);
	return v > 0 ? (pid_t)v : 0;
}

int pidfile_acquire(struct pidfile *p, const char *path, pid_t takeover, char *err,
		    size_t err_cap)
{
	char line[32];
	int fd, n;

	p->path = path;
	p->fd = -1;
	p->pid = getpid();
	p->dirfd = log_file_parent(path, &p->name);
	if (p->dirfd < 0) {
		snprintf(err, err_cap, "cannot create pid file %s: %s", path, strerror(-p->dirfd));
		goto fail;
	}
	fd = openat(p->dirfd, p->name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == EACCES && takeover) {
		/* Under the sandbox of the server we replace, which may not
		 * read the file: its lock is that server's. */
	} else if (fd >= 0) {
		if (flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK &&
		    (!takeover || read_pid(fd) != takeover)) {
			pid_t other = read_pid(fd);
			close(fd);
			snprintf(err, err_cap, "already running with PID %ld (pid file %s)", (long)other, path);
			goto fail;
		}
		close(fd); /* stale: replaced below */
	}
	snprintf(p->tmp, sizeof p->tmp, "%s.%ld.tmp", p->name, (long)p->pid);
	fd = openat(p->dirfd, p->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		snprintf(err, err_cap, "cannot create pid file %s: %s", path, strerror(errno));
		goto fail;
	}
	n = snprintf(line, sizeof line, "%ld\n", (long)p->pid);
	/* Replacing a server, the file moves into place only once this one
	 * serves (pidfile_commit): a failed upgrade leaves the old PID. */
	p->pending = takeover != 0;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0 || write(fd, line, (size_t)n) != n ||
	    (!p->pending && renameat(p->dirfd, p->tmp, p->dirfd, p->name) < 0)) {
		snprintf(err, err_cap, "cannot write pid file %s: %s", path, strerror(errno));
		unlinkat(p->dirfd, p->tmp, 0);
		close(fd);
		goto fail;
	}
	p->fd = fd;
	return 0;
fail:
	if (p->dirfd >= 0)
		close(p->dirfd);
	p->dirfd = -1;
	return -1;
}

int pidfile_commit(struct pidfile *p)
{
	if (p->fd < 0 || !p->pending)
		return 0;
	if (renameat(p->dirfd, p->tmp, p->dirfd, p->name) < 0)
		return -errno;
	p->pending = false;
	return 0;
}

void pidfile_release(struct pidfile *p)
{
	if (p->fd < 0)
		return;
	if (p->pending) {
		unlinkat(p->dirfd, p->tmp, 0);
	} else {
		/* Still ours if the name leads to the file we hold (compared
		 * by inode: the sandbox may not let us read it). */
		struct stat named, held;
		if (fstatat(p->dirfd, p->name, &named, AT_SYMLINK_NOFOLLOW) == 0 &&
		    fstat(p->fd, &held) == 0 && named.st_dev == held.st_dev &&
		    named.st_ino == held.st_ino)
			unlinkat(p->dirfd, p->name, 0);
	}
	close(p->fd);
	close(p->dirfd);
	p->fd = -1;
	p->dirfd = -1;
}
