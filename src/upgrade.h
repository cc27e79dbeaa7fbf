/* upgrade.h - replacing the running server with a new binary without
 * refusing a connection: the listening sockets pass to the new process
 * (LISTEN_FDS, as from a service manager), which reports over a pipe when
 * it serves; only then does the old one drain and exit. */
#ifndef UPGRADE_H
#define UPGRADE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define UPGRADE_ENV_FD "TERN_UPGRADE_FD"   /* the new server's report pipe */
#define UPGRADE_ENV_PID "TERN_UPGRADE_PID" /* the server being replaced */
#define UPGRADE_ENV_SANDBOXED "TERN_SANDBOXED" /* its sandbox is inherited */
#define UPGRADE_ENV_UNIX_OWNED "TERN_UNIX_OWNED" /* it created the unix socket */

/* Starts exe with argv, handing it the n listening sockets in fds, named
 * by the colon-separated names (LISTEN_FDNAMES; may be NULL), the service
 * manager's notify socket, if any, and the NULL-terminated "NAME=value"
 * strings in extra. Returns the read end of its report pipe and sets
 * *child, or returns -1 with a message. */
int upgrade_start(const char *exe, char *const argv[], const int *fds, int n, const char *names,
		  const char *notify, const char *const *extra, pid_t *child, char *err, size_t cap);

/* Whether the environment variable name is set; unsets it. */
bool upgrade_flag(const char *name);

/* In a server started by upgrade_start: the report pipe (and sets *old to
 * the PID being replaced), with both variables unset; -1 otherwise. */
int upgrade_report_fd(pid_t *old);

#endif
