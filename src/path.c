/* path.c - percent-decoding and normalisation of request paths (RFC 3986
 * sections 2.1 and 5.2.4), and confinement of every open to the document
 * root. Decoding happens before normalisation, so "%2e%2e%2f" is a ".."
 * segment like any other and cannot slip past the check. */
#include "path.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool is_dot_segment(const char *s, size_t n)
{
	/* ".well-known" is the one dot-directory sites are meant to expose
	 * (RFC 8615; ACME challenges live there). */
	return n > 0 && s[0] == '.' && !(n == 11 && memcmp(s, ".well-known", 11) == 0);
}

long path_normalize(struct slice raw, char *out, size_t outsz, unsigned *flags)
{
	size_t n = 0, w = 0, i = 0;

	*flags = 0;
	if (raw.len == 0 || raw.ptr[0] != '/')
		return PATH_BAD;
	if (raw.len >= outsz)
		return PATH_TOO_LONG;
	for (size_t k = 0; k < raw.len; k++) {
		unsigned char c = (unsigned char)raw.ptr[k];
		if (c == '%') {
			int hi, lo;
			if (k + 2 >= raw.len)
				return PATH_BAD;
			hi = hexval((unsigned char)raw.ptr[k + 1]);
			lo = hexval((unsigned char)raw.ptr[k + 2]);
			if (hi < 0 || lo < 0)
				return PATH_BAD;
			c = (unsigned char)(hi << 4 | lo);
			k += 2;
		}
		if (c == '\0')
			return PATH_BAD;
		out[n++] = (char)c;
	}
	if (out[n - 1] == '/')
		*flags |= PATH_TRAILING_SLASH;

	/* Normalise in place: w never overtakes i. */
	while (i < n) {
		while (i < n && out[i] == '/')
			i++;
		size_t s = i;
		while (i < n && out[i] != '/')
			i++;
		size_t len = i - s;
		if (len == 0 || (len == 1 && out[s] == '.'))
			continue;
		if (len == 2 && out[s] == '.' && out[s + 1] == '.') {
			if (w == 0)
				return PATH_BAD;
			while (w > 0 && out[w - 1] != '/')
				w--;
			if (w > 0)
				w--; /* the separator */
			continue;
		}
		if (w > 0)
			out[w++] = '/';
		memmove(out + w, out + s, len);
		w += len;
	}
	if (w == 0) {
		out[0] = '.';
		out[1] = '\0';
		return 1;
	}
	out[w] = '\0';
	for (size_t s = 0; s < w;) {
		size_t e = s;
		while (e < w && out[e] != '/')
			e++;
		if (is_dot_segment(out + s, e - s))
			*flags |= PATH_DOTFILE;
		s = e + 1;
	}
	return (long)w;
}

/* Checks that fd's real path is the root or lies below it; with
 * exact_rel, that it is exactly root/rel (no symlink was crossed). */
static int check_beneath(const struct path_root *root, int fd, const char *rel, bool exact_rel)
{
	char link[64], real[4096 + 1];
	size_t rl = strlen(root->real);
	ssize_t n;

	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	n = readlink(link, real, sizeof real - 1);
	if (n < 0 || (size_t)n >= sizeof real - 1)
		return -EACCES;
	real[n] = '\0';
	if (exact_rel) {
		bool is_root = strcmp(rel, ".") == 0;
		if (strncmp(real, root->real, rl) != 0)
			return -ELOOP;
		if (is_root)
			return real[rl] == '\0' ? 0 : -ELOOP;
		if (rl == 1) /* root is "/" */
			return strcmp(real + 1, rel) == 0 ? 0 : -ELOOP;
		return real[rl] == '/' && strcmp(real + rl + 1, rel) == 0 ? 0 : -ELOOP;
	}
	if (strncmp(real, root->real, rl) != 0)
		return -EXDEV;
	if (real[rl] != '\0' && real[rl] != '/' && rl != 1)
		return -EXDEV;
	return 0;
}

static int open_checked(const struct path_root *root, const char *rel, int flags)
{
	int fd = openat(root->fd, rel, flags | (root->no_symlinks ? O_NOFOLLOW : 0));
	if (fd < 0)
		return -errno;
	int rc = check_beneath(root, fd, rel, root->no_symlinks);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

int path_open(const struct path_root *root, const char *rel)
{
	const int flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
	struct open_how how = {
		.flags = (unsigned)flags,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS |
			   (root->no_symlinks ? RESOLVE_NO_SYMLINKS : 0),
	};
	long fd = syscall(SYS_openat2, root->fd, rel, &how, sizeof how);
	if (fd >= 0)
		return (int)fd;
	/* ENOSYS: a kernel without openat2. EXDEV: an absolute symlink, which
	 * RESOLVE_BENEATH refuses even when it points inside the root. */
	if (errno == ENOSYS || errno == EPERM || (errno == EXDEV && !root->no_symlinks))
		return open_checked(root, rel, flags);
	return -errno;
}

long path_encode(const char *rel, size_t len, char *out, size_t outsz)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t w = 0;

	if (outsz < 2)
		return -1;
	out[w++] = '/';
	if (len == 1 && rel[0] == '.')
		return (long)w;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)rel[i];
		/* unreserved, sub-delims other than those that confuse
		 * parsers, ':', '@' and '/' stay as they are. */
		bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			    strchr("-._~!$&'()*+,=:@/", c) != NULL;
		if (c == '\0')
			keep = false;
		if (w + 3 >= outsz)
			return -1;
		if (keep) {
			out[w++] = (char)c;
		} else {
			out[w++] = '%';
			out[w++] = hex[c >> 4];
			out[w++] = hex[c & 15];
		}
	}
	return (long)w;
}
