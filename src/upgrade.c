/* upgrade.c - fork and exec with inherited sockets, as nginx does on
 * SIGUSR2. The child runs only async-signal-safe code between fork and
 * exec: the environment is built before the fork, with room for the
 * child's PID, which it writes in as digits. */
#include "upgrade.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "listen.h"

extern char **environ;

static void put_pid(char *digits, size_t width, long pid)
{
	for (size_t i = width; i-- > 0;) {
		digits[i] = (char)('0' + pid % 10);
		pid /= 10;
	}
}

int upgrade_start(const char *exe, char *const argv[], const int *fds, int n, const char *names,
		  const char *notify, const char *const *extra, pid_t *child, char *err, size_t cap)
{
	static char listen_pid[32], listen_fds[32], report[48], old_pid[48], notify_env[160];
	int pipefd[2], nenv = 0;
	size_t count = 0;

	if (n <= 0 || n > LISTEN_MAX) {
		snprintf(err, cap, "no sockets to hand over");
		return -1;
	}
	for (char **e = environ; *e; e++)
		count++;
	size_t nextra = 0;
	while (extra && extra[nextra])
		nextra++;
	char **envp = calloc(count + 7 + nextra, sizeof *envp);
	size_t nlen = names ? strlen(names) + 16 : 0;
	char *names_env = nlen ? malloc(nlen) : NULL;
	if (!envp || (nlen && !names_env)) {
		free(envp);
		free(names_env);
		snprintf(err, cap, "out of memory");
		return -1;
	}
	for (char **e = environ; *e; e++)
		if (strncmp(*e, "LISTEN_", 7) != 0 && strncmp(*e, "TERN_", 5) != 0 &&
		    strncmp(*e, "NOTIFY_SOCKET=", 14) != 0)
			envp[nenv++] = *e;
	snprintf(listen_pid, sizeof listen_pid, "LISTEN_PID=0000000000");
	snprintf(listen_fds, sizeof listen_fds, "LISTEN_FDS=%d", n);
	snprintf(report, sizeof report, UPGRADE_ENV_FD "=%d", LISTEN_FDS_START + n);
	snprintf(old_pid, sizeof old_pid, UPGRADE_ENV_PID "=%ld", (long)getpid());
	envp[nenv++] = listen_pid;
	envp[nenv++] = listen_fds;
	envp[nenv++] = report;
	envp[nenv++] = old_pid;
	if (names_env) {
		snprintf(names_env, nlen, "LISTEN_FDNAMES=%s", names);
		envp[nenv++] = names_env;
	}
	if (notify) {
		snprintf(notify_env, sizeof notify_env, "NOTIFY_SOCKET=%s", notify);
		envp[nenv++] = notify_env;
	}
	for (size_t i = 0; i < nextra; i++)
		envp[nenv++] = (char *)extra[i];
	envp[nenv] = NULL;

	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		snprintf(err, cap, "pipe: %s", strerror(errno));
		free(envp);
		free(names_env);
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, cap, "fork: %s", strerror(errno));
		close(pipefd[0]);
		close(pipefd[1]);
		free(envp);
		free(names_env);
		return -1;
	}
	if (pid == 0) {
		/* Move the sockets and the pipe above their targets first, so no
		 * dup2 below overwrites one not yet moved. */
		int high = LISTEN_FDS_START + n + 1, moved[LISTEN_MAX + 1];
		for (int i = 0; i < n; i++)
			moved[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, high);
		moved[n] = fcntl(pipefd[1], F_DUPFD_CLOEXEC, high);
		for (int i = 0; i <= n; i++)
			if (moved[i] < 0 || dup2(moved[i], LISTEN_FDS_START + i) < 0)
				_exit(127);
		put_pid(listen_pid + 11, 10, (long)getpid());
		/* A leading zero is fine for strtol; the width is fixed. */
		execve(exe, argv, envp);
		_exit(127);
	}
	close(pipefd[1]);
	free(envp);
	free(names_env);
	*child = pid;
	return pipefd[0];
}

bool upgrade_flag(const char *name)
{
	bool set = getenv(name) != NULL;
	unsetenv(name);
	return set;
}

int upgrade_report_fd(pid_t *old)
{
	const char *fd_s = getenv(UPGRADE_ENV_FD), *pid_s = getenv(UPGRADE_ENV_PID);
	int fd = -1;
	if (fd_s && pid_s) {
		fd = (int)strtol(fd_s, NULL, 10);
		*old = (pid_t)strtol(pid_s, NULL, 10);
		if (fd < LISTEN_FDS_START || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
			fd = -1;
	}
	unsetenv(UPGRADE_ENV_FD);
	unsetenv(UPGRADE_ENV_PID);
	return fd;
}
