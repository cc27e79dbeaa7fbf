/* test_metrics.c - the --metrics page: per-thread counters summed, the
 * status classes, the open-connections gauge, the file caches' hits and
 * misses, the page's grammar and the cap of its buffer.
 *
 * The registry is global and has no unregister, so the tests run in a
 * fixed order and each one knows what the earlier ones left registered:
 * every struct registered is also kept in reg[] here, and a test that
 * needs a known total resets the counters of all of them. */
#include <limits.h>
#include <pthread.h>
#include <regex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file_cache.h"
#include "metrics.h"
#include "unit.h"
#include "version.h"

#define THREADS_MAX 256 /* metrics.c: METRICS_MAX_THREADS; config.c allows -t 1..256 */
#define U64MAX "18446744073709551615"

/* The whole page for given counts (each a string literal). */
#define PAGE(c1, c2, c3, c4, c5, bytes, conns, hits, misses)                      \
	PAGEP(c1, c2, c3, c4, c5, "0", "0", bytes, conns, hits, misses)
#define PAGEP(c1, c2, c3, c4, c5, h1, h2, bytes, conns, hits, misses)             \
	"# HELP tern_requests_total Responses sent, by status class.\n"            \
	"# TYPE tern_requests_total counter\n"                                      \
	"tern_requests_total{code=\"1xx\"} " c1 "\n"                               \
	"tern_requests_total{code=\"2xx\"} " c2 "\n"                               \
	"tern_requests_total{code=\"3xx\"} " c3 "\n"                               \
	"tern_requests_total{code=\"4xx\"} " c4 "\n"                               \
	"tern_requests_total{code=\"5xx\"} " c5 "\n"                               \
	"# HELP tern_requests_by_protocol_total Responses sent, by protocol.\n"    \
	"# TYPE tern_requests_by_protocol_total counter\n"                         \
	"tern_requests_by_protocol_total{protocol=\"HTTP/1.x\"} " h1 "\n"          \
	"tern_requests_by_protocol_total{protocol=\"HTTP/2\"} " h2 "\n"            \
	"# HELP tern_sent_bytes_total Response body bytes sent.\n"                 \
	"# TYPE tern_sent_bytes_total counter\n"                                    \
	"tern_sent_bytes_total " bytes "\n"                                         \
	"# HELP tern_connections_open Client connections open now.\n"              \
	"# TYPE tern_connections_open gauge\n"                                      \
	"tern_connections_open " conns "\n"                                         \
	"# HELP tern_cache_hits_total Lookups answered from the file cache.\n"     \
	"# TYPE tern_cache_hits_total counter\n"                                    \
	"tern_cache_hits_total " hits "\n"                                          \
	"# HELP tern_cache_misses_total Lookups the file cache could not answer.\n" \
	"# TYPE tern_cache_misses_total counter\n"                                  \
	"tern_cache_misses_total " misses "\n"                                      \
	"# HELP tern_build_info The server's version.\n"                           \
	"# TYPE tern_build_info gauge\n"                                            \
	"tern_build_info{version=\"" SERVER_VERSION "\"} 1\n"

/* Everything this test registered, in order. */
static struct metrics *reg[THREADS_MAX + 8];
static int nreg;

static void do_register(struct metrics *m)
{
	metrics_register(m);
	reg[nreg++] = m;
}

/* Zeroes the counters of everything registered so far. */
static void reset_all(void)
{
	for (int i = 0; i < nreg; i++) {
		for (int k = 0; k < 6; k++)
			atomic_store(&reg[i]->status[k], 0);
		atomic_store(&reg[i]->bytes, 0);
		atomic_store(&reg[i]->proto[0], 0);
		atomic_store(&reg[i]->proto[1], 0);
	}
}

static char page[8192];
static size_t page_len;

static void format_page(void)
{
	memset(page, '#', sizeof page);
	page_len = metrics_format(page, sizeof page);
}

static bool page_is(const char *want)
{
	return page_len == strlen(want) && strcmp(page, want) == 0;
}

/* The values on the page, read back by name. */
struct vals {
	uint64_t cls[6], bytes, conns, hits, misses;
};

static bool value_of(const char *name, uint64_t *v)
{
	size_t n = strlen(name);
	for (const char *p = page; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, name, n) == 0 && p[n] == ' ') {
			char *end;
			*v = strtoull(p + n + 1, &end, 10);
			return *end == '\n';
		}
	}
	return false;
}

static bool read_vals(struct vals *v)
{
	static const char *const cls[] = { NULL, "1xx", "2xx", "3xx", "4xx", "5xx" };
	char name[64];
	format_page();
	if (page_len == 0)
		return false;
	v->cls[0] = 0;
	for (int k = 1; k <= 5; k++) {
		snprintf(name, sizeof name, "tern_requests_total{code=\"%s\"}", cls[k]);
		if (!value_of(name, &v->cls[k]))
			return false;
	}
	return value_of("tern_sent_bytes_total", &v->bytes) &&
	       value_of("tern_connections_open", &v->conns) &&
	       value_of("tern_cache_hits_total", &v->hits) &&
	       value_of("tern_cache_misses_total", &v->misses);
}

/* The page's grammar: every sample line is NAME{LABEL="VALUE"}? NUMBER,
 * every comment "# HELP NAME text" or "# TYPE NAME counter|gauge", and
 * each sample comes after the TYPE line of its name. */
static const char *page_problem(void)
{
	static regex_t sample, help, type;
	static bool compiled;
	if (!compiled) {
		if (regcomp(&sample, "^[a-z_]+(\\{[a-z]+=\"[^\"]*\"\\})? [0-9]+$",
			    REG_EXTENDED | REG_NOSUB) ||
		    regcomp(&help, "^# HELP [a-z_]+ [^ ].*$", REG_EXTENDED | REG_NOSUB) ||
		    regcomp(&type, "^# TYPE [a-z_]+ (counter|gauge)$", REG_EXTENDED | REG_NOSUB))
			abort();
		compiled = true;
	}
	if (page_len == 0 || page_len >= sizeof page)
		return "no page";
	if (strlen(page) != page_len)
		return "length is not the text's";
	if (page[page_len - 1] != '\n')
		return "no newline at the end";
	char typed[64] = "";
	int samples = 0;
	for (const char *p = page; *p;) {
		const char *nl = strchr(p, '\n');
		char line[512];
		size_t n = (size_t)(nl - p);
		if (n == 0 || n >= sizeof line)
			return "an empty or overlong line";
		memcpy(line, p, n);
		line[n] = '\0';
		if (line[0] == '#') {
			if (regexec(&help, line, 0, NULL, 0) == 0)
				;
			else if (regexec(&type, line, 0, NULL, 0) == 0)
				sscanf(line, "# TYPE %63s", typed);
			else
				return "a comment that is neither HELP nor TYPE";
		} else {
			if (regexec(&sample, line, 0, NULL, 0) != 0)
				return "a sample line not NAME{LABEL=\"VALUE\"} NUMBER";
			size_t k = strcspn(line, "{ ");
			if (k != strlen(typed) || strncmp(line, typed, k) != 0)
				return "a sample without its TYPE line";
			samples++;
		}
		p = nl + 1;
	}
	return samples == 12 ? NULL : "not 12 samples";
}

static void check_page(const char *what, const char *want)
{
	const char *bad = page_problem();
	CHECK(!bad, "%s: %s", what, bad);
	if (want)
		CHECK(page_is(want), "%s: page\n%s\nwant\n%s", what, page, want);
}

/* Nothing registered: zeros, and no gauge reads 0. */
static void test_empty(void)
{
	format_page();
	check_page("empty", PAGE("0", "0", "0", "0", "0", "0", "0", "0", "0"));
}

static struct metrics m1;

struct status_case {
	int status;
	int cls; /* 0: counted in none */
};

static const struct status_case status_cases[] = {
	{ 100, 1 }, { 101, 1 }, { 199, 1 }, { 200, 2 }, { 204, 2 }, { 299, 2 },
	{ 300, 3 }, { 304, 3 }, { 399, 3 }, { 400, 4 }, { 404, 4 }, { 499, 4 },
	{ 500, 5 }, { 503, 5 }, { 599, 5 }, { 0, 0 },	{ 1, 0 },   { 99, 0 },
	{ 600, 0 }, { 999, 0 }, { 1000, 0 }, { 1099, 0 }, { 60000, 0 }, { -1, 0 },
	{ -100, 0 }, { -199, 0 }, { -500, 0 }, { INT_MAX, 0 }, { INT_MIN, 0 },
};

/* One struct, cache NULL: each status counts in its class or in none. */
static void test_classes(void)
{
	do_register(&m1);
	format_page();
	check_page("m1 registered", PAGE("0", "0", "0", "0", "0", "0", "0", "0", "0"));

	for (int s = 100; s <= 599; s++)
		metrics_response(&m1, s, (uint64_t)s);
	/* bytes: 100 + 101 + ... + 599 = 174750 */
	format_page();
	check_page("100..599", PAGE("100", "100", "100", "100", "100", "174750", "0", "0", "0"));

	for (size_t i = 0; i < sizeof status_cases / sizeof status_cases[0]; i++) {
		const struct status_case *c = &status_cases[i];
		struct vals a, b;
		bool ok = read_vals(&a);
		metrics_response(&m1, c->status, 0);
		ok = ok && read_vals(&b);
		CHECK(ok, "status %d: page not readable", c->status);
		for (int k = 1; ok && k <= 5; k++)
			CHECK(b.cls[k] == a.cls[k] + (k == c->cls),
			      "status %d: %dxx went from %llu to %llu", c->status, k,
			      (unsigned long long)a.cls[k], (unsigned long long)b.cls[k]);
		CHECK(!ok || b.bytes == a.bytes, "status %d: bytes changed", c->status);
	}
	/* A response's bytes count whatever its status. */
	metrics_response(&m1, 0, 7);
	metrics_response(&m1, 1000, 3);
	format_page();
	check_page("odd statuses",
		   PAGE("103", "103", "103", "103", "103", "174760", "0", "0", "0"));
	/* the largest byte counts add up modulo 2^64, like any counter */
	reset_all();
	metrics_response(&m1, 200, UINT64_MAX - 1);
	metrics_response(&m1, 200, 1);
	format_page();
	check_page("max bytes", PAGE("0", "2", "0", "0", "0", U64MAX, "0", "0", "0"));
}

static struct metrics m2, m3, m4;
static struct file_cache c2, c3;

/* Several threads' structs, two with caches: the page sums them. */
static void test_sum(void)
{
	reset_all(); /* m1 */
	metrics_response(&m1, 200, 10);
	m2.cache = &c2;
	m3.cache = &c3;
	atomic_store(&c2.hits, 5);
	atomic_store(&c2.misses, 3);
	atomic_store(&c3.hits, 100);
	atomic_store(&c3.misses, 1);
	do_register(&m2);
	do_register(&m3);
	do_register(&m4); /* no cache */
	metrics_response(&m2, 200, 1000);
	metrics_response(&m2, 404, 20);
	metrics_response(&m3, 301, 0);
	metrics_response(&m3, 500, 300);
	metrics_response(&m4, 101, 0);
	metrics_response(&m4, 206, 4);
	metrics_response(&m4, 206, 4);
	format_page();
	check_page("four structs", PAGE("1", "4", "1", "1", "1", "1338", "0", "105", "4"));

	/* the caches are read live */
	atomic_store(&c2.hits, 1000000);
	atomic_store(&c3.misses, 41);
	format_page();
	check_page("caches later",
		   PAGE("1", "4", "1", "1", "1", "1338", "0", "1000100", "44"));

	/* a cache on m1 too, set after its registration */
	static struct file_cache c1;
	atomic_store(&c1.hits, 1);
	atomic_store(&c1.misses, 2);
	m1.cache = &c1;
	format_page();
	check_page("cache on m1", PAGE("1", "4", "1", "1", "1", "1338", "0", "1000101", "46"));
	m1.cache = NULL;
}

/* The gauge is read from the atomic_uint registered last. */
static void test_conns(void)
{
	static atomic_uint conns, other;
	struct vals v;
	metrics_register_conns(&conns);
	CHECK(read_vals(&v) && v.conns == 0, "conns 0: %llu", (unsigned long long)v.conns);
	atomic_store(&conns, 7);
	format_page();
	check_page("conns 7", PAGE("1", "4", "1", "1", "1", "1338", "7", "1000100", "44"));
	atomic_store(&conns, UINT_MAX);
	CHECK(read_vals(&v) && v.conns == UINT_MAX, "conns UINT_MAX: %llu",
	      (unsigned long long)v.conns);
	atomic_store(&other, 12);
	metrics_register_conns(&other);
	CHECK(read_vals(&v) && v.conns == 12, "another gauge: %llu", (unsigned long long)v.conns);
	metrics_register_conns(&conns);
	atomic_store(&conns, 3);
	CHECK(read_vals(&v) && v.conns == 3, "the first gauge again: %llu",
	      (unsigned long long)v.conns);
}

/* metrics_format's cap: too small gives 0 and nothing past cap; the page
 * with every number at its widest fits the 4096 bytes serve.c gives it. */
static void test_cap(void)
{
	char full[8192], out[8192];
	size_t len = metrics_format(full, sizeof full);
	CHECK(len > 0 && len == strlen(full), "full page: %zu", len);
	size_t caps[] = { 0, 1, 2, 64, len / 2, len - 1, len, len + 1, len + 2, sizeof out };
	for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
		memset(out, '#', sizeof out);
		size_t n = metrics_format(out, caps[i]);
		size_t past = 0;
		for (size_t k = caps[i]; k < sizeof out; k++)
			past += out[k] != '#';
		if (caps[i] <= len)
			CHECK(n == 0, "cap %zu of a %zu-byte page: returned %zu", caps[i], len, n);
		else
			CHECK(n == len && memcmp(out, full, len + 1) == 0,
			      "cap %zu of a %zu-byte page: returned %zu", caps[i], len, n);
		CHECK(past == 0, "cap %zu: %zu bytes written past it", caps[i], past);
	}

	/* the widest numbers: every sum at UINT64_MAX, the gauge at UINT_MAX */
	static atomic_uint conns = UINT_MAX;
	static struct file_cache big;
	reset_all();
	for (int k = 1; k <= 5; k++)
		atomic_store(&m4.status[k], UINT64_MAX);
	atomic_store(&m4.bytes, UINT64_MAX);
	atomic_store(&m4.proto[0], UINT64_MAX);
	atomic_store(&m4.proto[1], UINT64_MAX);
	atomic_store(&big.hits, UINT64_MAX);
	atomic_store(&big.misses, UINT64_MAX);
	atomic_store(&c2.hits, 0);
	atomic_store(&c2.misses, 0);
	atomic_store(&c3.hits, 0);
	atomic_store(&c3.misses, 0);
	m4.cache = &big;
	metrics_register_conns(&conns);
	format_page();
	check_page("widest", PAGEP(U64MAX, U64MAX, U64MAX, U64MAX, U64MAX, U64MAX, U64MAX, U64MAX,
				   "4294967295", U64MAX, U64MAX));
	CHECK(page_len < 4096, "widest page: %zu bytes, serve.c has 4096", page_len);
	char small[4096];
	CHECK(metrics_format(small, sizeof small) == page_len, "widest page in 4096 bytes");
	m4.cache = NULL;
	reset_all();
}

/* Responses by protocol: each struct's counts summed, HTTP/1.x and
 * HTTP/2 apart, and apart from the status classes. */
static void test_protocol(void)
{
	reset_all();
	for (int i = 0; i < 3; i++)
		metrics_protocol(&m1, false);
	metrics_protocol(&m2, true);
	metrics_protocol(&m3, true);
	metrics_protocol(&m3, false);
	format_page();
	check_page("by protocol", PAGEP("0", "0", "0", "0", "0", "4", "2", "0", "4294967295", "0", "0"));
	reset_all();
}

/* One thread counts while another reads: the totals only grow and end
 * exact. */
#define WRITER_N 200000

static struct metrics mw;

static void *writer(void *arg)
{
	(void)arg;
	for (int i = 0; i < WRITER_N; i++)
		metrics_response(&mw, 200 + (i % 2) * 200, 2);
	return NULL;
}

static void test_concurrent(void)
{
	struct vals prev = { 0 }, v;
	pthread_t t;
	unsigned bad = 0;
	do_register(&mw);
	if (pthread_create(&t, NULL, writer, NULL) != 0)
		abort();
	for (int i = 0; i < 2000; i++) {
		if (!read_vals(&v) || v.cls[2] < prev.cls[2] || v.cls[4] < prev.cls[4] ||
		    v.bytes < prev.bytes || v.cls[2] > WRITER_N / 2 || v.bytes > 2 * WRITER_N)
			bad++;
		prev = v;
	}
	pthread_join(t, NULL);
	CHECK(bad == 0, "%u pages went backwards or past the total while counting", bad);
	CHECK(read_vals(&v) && v.cls[2] == WRITER_N / 2 && v.cls[4] == WRITER_N / 2 &&
		      v.bytes == 2 * WRITER_N,
	      "after the writer: 2xx %llu 4xx %llu bytes %llu", (unsigned long long)v.cls[2],
	      (unsigned long long)v.cls[4], (unsigned long long)v.bytes);
	reset_all();
}

/* Up to THREADS_MAX structs are summed; more are ignored (the server
 * never has more: -t is at most 256). Last, as it fills the registry. */
static void test_thread_limit(void)
{
	static struct metrics more[THREADS_MAX + 1];
	struct vals v;
	int room = THREADS_MAX - nreg;
	for (int i = 0; i < room; i++) {
		do_register(&more[i]);
		metrics_response(&more[i], 200, 1);
	}
	CHECK(read_vals(&v) && v.cls[2] == (uint64_t)room && v.bytes == (uint64_t)room,
	      "%d structs: 2xx %llu", nreg, (unsigned long long)v.cls[2]);
	metrics_register(&more[room]); /* one too many: not kept */
	metrics_response(&more[room], 200, 1000);
	CHECK(read_vals(&v) && v.cls[2] == (uint64_t)room && v.bytes == (uint64_t)room,
	      "struct %d counted: 2xx %llu bytes %llu", THREADS_MAX + 1,
	      (unsigned long long)v.cls[2], (unsigned long long)v.bytes);
	/* the ones inside the limit still count */
	metrics_response(&m1, 503, 0);
	metrics_response(&more[room - 1], 503, 0);
	CHECK(read_vals(&v) && v.cls[5] == 2, "5xx after the limit: %llu",
	      (unsigned long long)v.cls[5]);
	check_page("full registry", NULL);
}

int main(void)
{
	test_empty();
	test_classes();
	test_sum();
	test_conns();
	test_cap();
	test_protocol();
	test_concurrent();
	test_thread_limit();
	return unit_done("metrics");
}
