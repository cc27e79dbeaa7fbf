/* daemon.h - the classic double fork with a start-up pipe, and the pid file. */
#ifndef DAEMON_H
#define DAEMON_H

#include <stdbool.h>
#include <sys/types.h>

/* Detaches: fork, setsid, fork, umask(0), every inherited descriptor
 * closed and 0-2 on /dev/null; the working directory is kept. Returns in
 * the daemon the write end of the start-up pipe. The original process
 * never returns: it waits (bounded) for daemon_report and exits with the
 * daemon's word: 0 and the message on stdout, or 1 and the error on stderr. */
int daemon_start(void);

/* Tells the waiting original process how start-up went and closes fd.
 * ok: message is printed to its stdout, else to its stderr. */
void daemon_report(int fd, bool ok, const char *message);

struct pidfile {
	const char *path;
	const char *name; /* the file's name in dirfd */
	int dirfd;        /* the directory it is in (O_PATH) */
	int fd;           /* open and locked while we run */
	pid_t pid;
	bool pending;     /* written under tmp, not yet renamed into place */
	char tmp[300];
};

/* Writes our PID to path atomically (a locked temporary file renamed into
 * place) and keeps it locked. A live lock on an existing file means
 * another server runs: returns -1 with "already running with PID N" in
 * err, unless N is takeover (the server this one replaces); then the file
 * stays under its temporary name until pidfile_commit. */
int pidfile_acquire(struct pidfile *p, const char *path, pid_t takeover, char *err,
		    size_t err_cap);

/* Moves a file written for a takeover into place. Returns 0 or -errno. */
int pidfile_commit(struct pidfile *p);

/* Removes the pid file if it is still the one we wrote (or the temporary
 * file of an uncommitted takeover), and unlocks it. */
void pidfile_release(struct pidfile *p);

#endif
