/* metrics.h - counters for --metrics, in the Prometheus text format
 * (version 0.0.4). Each event loop counts into its own struct, written by
 * that thread only; the page sums them. */
#ifndef METRICS_H
#define METRICS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct file_cache;

struct metrics {
	_Atomic uint64_t status[6]; /* by class: [1] 1xx ... [5] 5xx */
	_Atomic uint64_t bytes;     /* response body bytes sent */
	_Atomic uint64_t proto[2];  /* responses by protocol: [0] HTTP/1.x, [1] HTTP/2 */
	const struct file_cache *cache; /* its hits and misses, or NULL */
};

/* Adds a thread's counters to those the page sums (before threads start). */
void metrics_register(struct metrics *m);

/* Counts one response (called by its thread). */
void metrics_response(struct metrics *m, int status, uint64_t bytes);

/* Counts one response by its protocol (called by its thread). */
void metrics_protocol(struct metrics *m, bool http2);

/* The gauge of open connections the page shows. */
void metrics_register_conns(const atomic_uint *conns);

/* The count of log lines dropped (access_log.c's log_dropped_lines); the
 * page shows it once registered. */
void metrics_register_log_dropped(uint64_t (*read)(void));

/* Writes the page into out; returns its length, or 0 if cap is too small. */
size_t metrics_format(char *out, size_t cap);

#endif
