/* log_file.c - log files reopened in place: dup3 swaps the file behind a
 * descriptor atomically, so the threads writing to it need no lock. */
#include "log_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int log_file_parent(const char *path, const char **name)
{
	const char *slash = strrchr(path, '/');
	int fd;
	if (!slash) {
		*name = path;
		fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	} else if (slash == path) {
		*name = slash + 1;
		fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	} else {
		char dir[4096];
		size_t n = (size_t)(slash - path);
		if (n >= sizeof dir)
			return -ENAMETOOLONG;
		memcpy(dir, path, n);
		dir[n] = '\0';
		*name = slash + 1;
		fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd < 0)
		return -errno;
	if (!**name) {
		close(fd);
		return -EISDIR;
	}
	return fd;
}

static int open_in(const struct log_file *f)
{
	int fd = openat(f->dirfd, f->name, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY,
			0644);
	return fd < 0 ? -errno : fd;
}

int log_file_open(struct log_file *f, const char *path)
{
	f->path = path;
	f->fd = -1;
	int dirfd = log_file_parent(path, &f->name);
	if (dirfd < 0) {
		f->dirfd = -1;
		return dirfd;
	}
	f->dirfd = dirfd;
	int fd = open_in(f);
	if (fd < 0) {
		close(f->dirfd);
		f->dirfd = -1;
		return fd;
	}
	f->fd = fd;
	return 0;
}

int log_file_reopen(struct log_file *f)
{
	if (f->dirfd < 0 || f->fd < 0)
		return 0;
	int fd = open_in(f);
	if (fd < 0)
		return fd;
	int rc = dup3(fd, f->fd, O_CLOEXEC) < 0 ? -errno : 0;
	close(fd);
	return rc;
}

void log_file_close(struct log_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	if (f->dirfd >= 0)
		close(f->dirfd);
	f->fd = f->dirfd = -1;
}
