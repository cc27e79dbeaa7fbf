/* log_file.h - a log file that can be reopened by name (for logrotate),
 * also after a chroot or under the sandbox: its directory stays open. */
#ifndef LOG_FILE_H
#define LOG_FILE_H

struct log_file {
	const char *path; /* as given, for messages */
	const char *name; /* the name inside dirfd */
	int dirfd;        /* the directory it is in (O_PATH), -1 if none */
	int fd;           /* open for appending, -1 if none */
};

/* Opens the directory that holds path (O_PATH) and sets *name to the last
 * component. Returns the descriptor or -errno. */
int log_file_parent(const char *path, const char **name);

/* Opens path for appending (created 0644). f keeps pointers into path,
 * which must outlive it. Returns 0 or -errno (f->fd and f->dirfd are -1). */
int log_file_open(struct log_file *f, const char *path);

/* Opens the name again and puts the new file behind the same descriptor,
 * so writers never see a closed one. Returns 0 or -errno (the old file
 * stays in use). */
int log_file_reopen(struct log_file *f);

void log_file_close(struct log_file *f);

#endif
