/* h2.h - HTTP/2 (RFC 9113) on a connection, on top of libnghttp2: the
 * library does the framing, HPACK, flow control and stream states; this
 * module turns a stream's header fields into the request the handler
 * reads, the handler's response into HEADERS and DATA frames, and puts
 * file bytes on the connection's output queue without copying them
 * (NGHTTP2_DATA_FLAG_NO_COPY). Without the library (built without
 * libnghttp2) h2_available() is false and no connection gets here. */
#ifndef H2_H
#define H2_H

#include <stdbool.h>
#include <stddef.h>

struct worker;
struct conn;
struct pool_job;
struct h2;

/* The client connection preface (RFC 9113 section 3.4). */
#define H2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define H2_PREFACE_LEN 24

/* Streams a client may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS). */
#define H2_MAX_STREAMS 128

bool h2_available(void);

/* Turns c into an HTTP/2 connection; buf holds n bytes already read (the
 * preface, on a cleartext port). Returns CONN_H2, or STEP_CLOSE. */
int h2_start(struct worker *w, struct conn *c, const char *buf, size_t n);

/* The CONN_H2 state's step: read frames, answer streams, send. */
int h2_run(struct worker *w, struct conn *c);

/* A helper job for one of c's streams is back. */
void h2_job_finished(struct worker *w, struct conn *c, struct pool_job *j);

/* Once a second: timeouts, held-back responses, and the GOAWAY of a stop. */
void h2_sweep(struct worker *w, struct conn *c);

/* Releases the session (the connection is closing); responses cut short
 * are logged with what they sent. */
void h2_free(struct worker *w, struct conn *c);

/* Frees the calling thread's spare stream structs (at worker teardown). */
void h2_free_pools(void);

#endif
