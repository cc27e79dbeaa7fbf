/* signals.h - signals become readable events on a signalfd; no handler
 * ever runs. */
#ifndef SIGNALS_H
#define SIGNALS_H

/* Blocks SIGTERM, SIGINT, SIGHUP, SIGUSR1 and SIGUSR2 in the calling thread (and in every thread it
 * starts later), ignores SIGPIPE, and returns a signalfd for the blocked
 * set, or -errno. Call before starting threads. */
int signals_init(void);

/* Waits up to timeout_ms for a signal on fd; returns its number, 0 on
 * timeout, or -errno. */
int signals_wait(int fd, int timeout_ms);

/* Reads one pending signal from fd without waiting; 0 if none. */
int signals_read(int fd);

#endif
