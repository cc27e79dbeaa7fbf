/* probe.h - the --probe health check: one HEAD request, for container
 * HEALTHCHECKs in images that have no curl. */
#ifndef PROBE_H
#define PROBE_H

/* Sends "HEAD path" to an http:// URL and waits up to timeout_ms for the
 * status line. Returns 0 for a 2xx or 3xx status, 1 for anything else
 * (bad URL, no connection, other status, timeout); prints why to stderr. */
int probe_run(const char *url, int timeout_ms);

#endif
