/* privs.c - the order matters: chroot needs root, setgroups and setgid
 * need root, so setuid comes last; afterwards setuid(0) must fail, or the
 * drop did not happen and the server refuses to run. */
#include "privs.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int parse_id(const char *s, unsigned long *out)
{
	char *end;
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || *end || *out > 0x7ffffffful ? -1 : 0;
}

int privs_lookup(const char *spec, struct privs *p, char *err, size_t cap)
{
	char user[256], buf[16384];
	const char *colon = strchr(spec, ':');
	size_t ulen = colon ? (size_t)(colon - spec) : strlen(spec);
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;
	unsigned long id;
	uid_t uid;
	gid_t gid;

	if (ulen == 0 || ulen >= sizeof user) {
		snprintf(err, cap, "invalid user '%s'", spec);
		return -1;
	}
	memcpy(user, spec, ulen);
	user[ulen] = '\0';
	getpwnam_r(user, &pw, buf, sizeof buf, &pwp);
	if (!pwp && parse_id(user, &id) == 0) {
		/* A number: its passwd entry's group if it has one, else the
		 * same number. */
		getpwuid_r((uid_t)id, &pw, buf, sizeof buf, &pwp);
		uid = (uid_t)id;
		gid = pwp ? pw.pw_gid : (gid_t)id;
	} else if (pwp) {
		uid = pw.pw_uid;
		gid = pw.pw_gid;
	} else {
		snprintf(err, cap, "unknown user '%s'", user);
		return -1;
	}
	if (colon) {
		const char *g = colon + 1;
		getgrnam_r(g, &gr, buf, sizeof buf, &grp);
		if (grp) {
			gid = gr.gr_gid;
		} else if (parse_id(g, &id) == 0) {
			gid = (gid_t)id;
		} else {
			snprintf(err, cap, "unknown group '%s'", g);
			return -1;
		}
	}
	p->uid = uid;
	p->gid = gid;
	p->user_name = spec;
	return 0;
}

int privs_drop(const char *chroot_dir, const struct privs *p, char *err, size_t cap)
{
	if ((chroot_dir || p) && geteuid() != 0) {
		/* Already the user asked for: nothing to drop. */
		if (!chroot_dir && getuid() == p->uid && getegid() == p->gid)
			return 0;
		snprintf(err, cap, "%s needs to be started as root",
			 chroot_dir ? "--chroot" : "--user");
		return -1;
	}
	if (chroot_dir && (chroot(chroot_dir) < 0 || chdir("/") < 0)) {
		snprintf(err, cap, "cannot chroot to %s: %s", chroot_dir, strerror(errno));
		return -1;
	}
	if (!p)
		return 0;
	if (setgroups(1, &p->gid) < 0 || setgid(p->gid) < 0 || setuid(p->uid) < 0) {
		snprintf(err, cap, "cannot switch to user %s: %s", p->user_name, strerror(errno));
		return -1;
	}
	if (p->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0 || geteuid() != p->uid ||
			    getuid() != p->uid || getegid() != p->gid)) {
		snprintf(err, cap, "switching to user %s did not drop root", p->user_name);
		return -1;
	}
	return 0;
}
