/* notify.h - the service manager's readiness protocol (sd_notify(3)):
 * datagrams such as "READY=1" sent to the AF_UNIX socket named by
 * $NOTIFY_SOCKET; without that variable every call does nothing. */
#ifndef NOTIFY_H
#define NOTIFY_H

/* Reads and unsets $NOTIFY_SOCKET and opens a datagram socket for it.
 * Returns 0, or -errno when the variable names no usable socket. */
int notify_init(void);

/* Sends state (e.g. "READY=1\nMAINPID=42"). Returns 0 or -errno. */
int notify_send(const char *state);

/* Sends RELOADING=1 with the MONOTONIC_USEC stamp the protocol asks for. */
int notify_reloading(void);

/* The socket's path, kept so a replacement server can be told of it. */
const char *notify_socket_path(void);

#endif
