/* metrics.c - per-thread counters summed on request. A counter has one
 * writer, so it is bumped with a relaxed load and store (no locked
 * instruction on the request path); readers see a recent value. */
#include "metrics.h"

#include <stdio.h>

#include "file_cache.h"
#include "version.h"

#define METRICS_MAX_THREADS 256

static struct metrics *all[METRICS_MAX_THREADS];
static int nall;
static const atomic_uint *conns;
static uint64_t (*log_dropped)(void);

void metrics_register_conns(const atomic_uint *c)
{
	conns = c;
}

void metrics_register_log_dropped(uint64_t (*read)(void))
{
	log_dropped = read;
}

void metrics_register(struct metrics *m)
{
	if (nall < METRICS_MAX_THREADS)
		all[nall++] = m;
}

static void add(_Atomic uint64_t *c, uint64_t v)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v,
			      memory_order_relaxed);
}

void metrics_response(struct metrics *m, int status, uint64_t bytes)
{
	int cls = status / 100;
	if (cls >= 1 && cls <= 5)
		add(&m->status[cls], 1);
	add(&m->bytes, bytes);
}

void metrics_protocol(struct metrics *m, bool http2)
{
	add(&m->proto[http2], 1);
}

static uint64_t get(const _Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

size_t metrics_format(char *out, size_t cap)
{
	unsigned open_conns = conns ? atomic_load_explicit(conns, memory_order_relaxed) : 0;
	uint64_t status[6] = { 0 }, bytes = 0, hits = 0, misses = 0, proto[2] = { 0 };
	for (int i = 0; i < nall; i++) {
		for (int k = 1; k <= 5; k++)
			status[k] += get(&all[i]->status[k]);
		bytes += get(&all[i]->bytes);
		proto[0] += get(&all[i]->proto[0]);
		proto[1] += get(&all[i]->proto[1]);
		if (all[i]->cache) {
			hits += get(&all[i]->cache->hits);
			misses += get(&all[i]->cache->misses);
		}
	}
	int n = snprintf(out, cap,
			 "# HELP tern_requests_total Responses sent, by status class.\n"
			 "# TYPE tern_requests_total counter\n"
			 "tern_requests_total{code=\"1xx\"} %llu\n"
			 "tern_requests_total{code=\"2xx\"} %llu\n"
			 "tern_requests_total{code=\"3xx\"} %llu\n"
			 "tern_requests_total{code=\"4xx\"} %llu\n"
			 "tern_requests_total{code=\"5xx\"} %llu\n"
			 "# HELP tern_requests_by_protocol_total Responses sent, by protocol.\n"
			 "# TYPE tern_requests_by_protocol_total counter\n"
			 "tern_requests_by_protocol_total{protocol=\"HTTP/1.x\"} %llu\n"
			 "tern_requests_by_protocol_total{protocol=\"HTTP/2\"} %llu\n"
			 "# HELP tern_sent_bytes_total Response body bytes sent.\n"
			 "# TYPE tern_sent_bytes_total counter\n"
			 "tern_sent_bytes_total %llu\n"
			 "# HELP tern_connections_open Client connections open now.\n"
			 "# TYPE tern_connections_open gauge\n"
			 "tern_connections_open %u\n"
			 "# HELP tern_cache_hits_total Lookups answered from the file cache.\n"
			 "# TYPE tern_cache_hits_total counter\n"
			 "tern_cache_hits_total %llu\n"
			 "# HELP tern_cache_misses_total Lookups the file cache could not answer.\n"
			 "# TYPE tern_cache_misses_total counter\n"
			 "tern_cache_misses_total %llu\n",
			 (unsigned long long)status[1], (unsigned long long)status[2],
			 (unsigned long long)status[3], (unsigned long long)status[4],
			 (unsigned long long)status[5], (unsigned long long)proto[0],
			 (unsigned long long)proto[1], (unsigned long long)bytes, open_conns,
			 (unsigned long long)hits, (unsigned long long)misses);
	size_t len = n > 0 ? (size_t)n : cap;
	if (log_dropped && len < cap) {
		n = snprintf(out + len, cap - len,
			     "# HELP tern_log_lines_dropped_total Log lines dropped because the "
			     "log did not keep up, or lost to a failed write.\n"
			     "# TYPE tern_log_lines_dropped_total counter\n"
			     "tern_log_lines_dropped_total %llu\n",
			     (unsigned long long)log_dropped());
		len = n > 0 ? len + (size_t)n : cap;
	}
	if (len < cap) {
		n = snprintf(out + len, cap - len,
			     "# HELP tern_build_info The server's version.\n"
			     "# TYPE tern_build_info gauge\n"
			     "tern_build_info{version=\"%s\"} 1\n",
			     SERVER_VERSION);
		len = n > 0 ? len + (size_t)n : cap;
	}
	return len < cap ? len : 0;
}
