/* privs.h - leaving root after start-up: chroot, then the user and group
 * of -u, for good. */
#ifndef PRIVS_H
#define PRIVS_H

#include <stddef.h>
#include <sys/types.h>

struct privs {
	uid_t uid;
	gid_t gid;
	const char *user_name;
};

/* Looks up spec ("USER" or "USER:GROUP"; names or numbers) while
 * /etc/passwd is still reachable. Returns 0, or -1 with a message. */
int privs_lookup(const char *spec, struct privs *p, char *err, size_t cap);

/* chroot(dir) when dir is not NULL, then (when p is not NULL) setgroups,
 * setgid and setuid to p, and checks that root cannot be regained.
 * Returns 0, or -1 with a message. */
int privs_drop(const char *chroot_dir, const struct privs *p, char *err, size_t cap);

#endif
