/* sandbox.h - after start-up the server confines itself: Landlock (the
 * document root read-only, the directories of the log and pid files
 * writable, the certificate readable, its own binary and libraries
 * executable for an upgrade, nothing else; no TCP bind or connect), no new
 * privileges, and a seccomp filter allowing only the system calls the
 * running server makes. Restrictions are inherited by the threads started
 * afterwards and by a binary started for an upgrade. */
#ifndef SANDBOX_H
#define SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

#define SANDBOX_MAX_PATHS 16

struct sandbox {
	int ruleset_fd;     /* Landlock ruleset being built, -1 if none */
	int abi;            /* Landlock ABI version, 0 if unsupported */
	unsigned nrules;
	bool landlock, no_new_privs, seccomp; /* what is in force */
};

enum sandbox_access {
	SANDBOX_READ,     /* read files, list directories */
	SANDBOX_WRITE,    /* create, write and remove files in a directory */
	SANDBOX_EXEC,     /* read and execute files */
	SANDBOX_READ_DIR_OF, /* read files in the directory holding path, and
				in the one its symbolic links lead to */
};

/* Starts a ruleset (while paths are still reachable, before a chroot).
 * Returns 0; without kernel support the sandbox goes on without Landlock. */
int sandbox_begin(struct sandbox *sb);

/* Allows access below an open directory or file (fd is not kept). */
void sandbox_allow_fd(struct sandbox *sb, int fd, enum sandbox_access access);

/* Allows access to path (below it for a directory); a missing path is
 * skipped. SANDBOX_WRITE and SANDBOX_READ_DIR_OF apply to the directory
 * that holds path. */
void sandbox_allow(struct sandbox *sb, const char *path, enum sandbox_access access);

/* Enforces the ruleset, PR_SET_NO_NEW_PRIVS and the seccomp filter on the
 * calling thread. Returns 0, or -1 with a message. */
int sandbox_enter(struct sandbox *sb, char *err, size_t cap);

/* A line for the start-up log: what is in force. */
void sandbox_describe(const struct sandbox *sb, char *out, size_t cap);

#endif
