/* fuzz_h2.c - the server's real connection code (conn.c, h2.c, conn_out.c
 * and the handler behind them) with the input as what an HTTP/2 client
 * sends after the connection preface. One worker, set up as main.c sets
 * one up but with no listener, serves a small document root made at start
 * (an HTML index, text files of 40 and 100 KiB that the helper pool
 * compresses, a 40 KiB image the cache holds, a file with a precompressed
 * sidecar, a custom 404 page, a directory without an index that the pool
 * lists).
 *
 * Per input: a socketpair stands in for the accepted socket, with a small
 * send buffer on the server's end so that responses fill it and writes
 * come out short. The input is read as frames (9-byte headers with their
 * lengths); a frame whose reserved bit R is set (RFC 9113 section 4.1:
 * receivers ignore it) starts a new segment. The preface and the first segment are written before
 * conn_open runs the connection (as with TCP_DEFER_ACCEPT); each further
 * segment goes in a loop turn of its own, once the one before is in. Each
 * turn reads and checks what the server wrote. Helper jobs run between
 * turns; a job is handed back (as worker.c's run_jobs does) after the turn
 * that delivers the next segment, or at once when the input is all in, so
 * a client can act both while a job runs and after it is back. Once
 * nothing moves, the loop's periodic work runs: a sweep; when bit 0 of
 * the last input byte is set, a stop (GOAWAY); when bit 1 is, a sweep
 * 60 s later (timeouts, the send-rate check). Then the client closes, and
 * the connection is closed and reaped.
 *
 * Deterministic: the worker's clock is set back at each input, the
 * multipart generator reseeded, the file cache emptied, and jobs run in
 * one helper thread only between turns (a job never finishes during the
 * turn that queued it), in the order they were queued.
 *
 * Checked: the server's output is a sequence of HTTP/2 frames that opens
 * with its SETTINGS and carries only frames a server may send, in an order
 * it may send them (no push, no PRIORITY, header blocks uninterrupted, one
 * response head per stream, no DATA before it or after the stream ended);
 * every header block decodes (HPACK) to a final status; a body that ends
 * has exactly its content-length; the body of a 200 or 206 answer from a
 * known file is that file's bytes (so bytes lost, doubled, reordered or
 * read from the wrong place on the way through the output queue show).
 * The connection never rests with input it has not read. At the end no
 * connection is left open or counted, and once the cache is emptied no
 * blob is held (every reference a response or job took was given back).
 * Without libnghttp2 the server speaks no HTTP/2 and the harness does
 * nothing. */
#include "fuzz_check.h"

#ifdef HAVE_NGHTTP2

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "config.h"
#include "conn.h"
#include "file_cache.h"
#include "h2.h"
#include "mime.h"
#include "path.h"
#include "pool.h"
#include "serve.h"
#include "worker.h"

#include <nghttp2/nghttp2.h>

/* A bound no finite input needs: more turns than this means the server
 * never stops writing. */
#define ROUNDS_MAX (1 << 20)
/* The server's send buffer (the kernel doubles it): a 16 KiB DATA frame
 * does not fit whole. */
#define SERVER_SNDBUF 4096

static char root_dir[] = "/tmp/fuzz_h2.XXXXXX";
static struct config cfg;
static struct site_set *sites; /* the configuration, as the server builds it */
static struct own_file own[OWN_FILES_MAX];
static struct file_cache cache;
static struct worker w;
static uint32_t base_now;
static uint64_t base_now_ms;
static sem_t gate;             /* opens the helper at the end of a turn */
static sem_t fence_done;       /* the jobs queued before the fence are done */
static struct pool_job holder; /* waits on the gate */
static struct pool_job fence;
static struct pool_job *later; /* finished jobs not handed back yet, oldest first */

/* Files whose bytes a 200 or 206 response must carry: told apart by
 * type, size and their fixed Last-Modified. */
#define FILE_TIME 1700000000
#define FILE_DATE "Tue, 14 Nov 2023 22:13:20 GMT"
struct known {
	const char *type;
	const char *bytes;
	size_t len;
};
static struct known known[8];
static unsigned nknown;

/* What the output check keeps of a stream. */
struct out_stream {
	uint32_t id;
	bool head;          /* its HEADERS came */
	bool ended;         /* END_STREAM or RST_STREAM came */
	int64_t length;     /* content-length, -1: none */
	uint64_t got;       /* DATA payload bytes */
	const char *expect; /* the bytes the body must be, or NULL */
};

#define OUT_STREAMS 1024
#define OUT_BLOCK_MAX (64 * 1024)

/* What the output check keeps between reads. */
struct frames {
	uint8_t hd[9];
	unsigned have;   /* header bytes gathered */
	uint64_t count;  /* frames seen */
	uint8_t type, flags;
	uint32_t id;
	uint32_t left;   /* payload bytes of this frame still to come */
	struct out_stream *cur; /* DATA: its stream, or NULL */
	/* A header block: HEADERS, then CONTINUATION until END_HEADERS. */
	bool in_block, block_end_stream;
	uint32_t block_id;
	size_t blen;
	uint8_t block[OUT_BLOCK_MAX];
	nghttp2_hd_inflater *inf;
	unsigned nstreams;
	struct out_stream streams[OUT_STREAMS];
};
static struct frames frames;

FUZZ_NOCOV
static void put_file(const char *rel, const char *data, size_t len)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", root_dir, rel);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(write(fd, data, len) == (ssize_t)len);
	close(fd);
}

/* One fixed time for every file and directory: stable validators, and
 * sidecars exactly as new as their files. */
FUZZ_NOCOV
static int set_time(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	static const struct timespec t[2] = { { FILE_TIME, 0 }, { FILE_TIME, 0 } };
	(void)st;
	(void)flag;
	(void)f;
	utimensat(AT_FDCWD, path, t, AT_SYMLINK_NOFOLLOW);
	return 0;
}

FUZZ_NOCOV
static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(path);
}

FUZZ_NOCOV
static void remove_root(void)
{
	nftw(root_dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

FUZZ_NOCOV
static void remember(const char *type, const char *bytes, size_t len)
{
	FUZZ_CHECK(nknown < sizeof known / sizeof known[0]);
	known[nknown++] = (struct known){ type, fuzz_dup(bytes, len), len };
}

FUZZ_NOCOV
static void make_root(void)
{
	static char big[100 * 1024];
	char text[2048];
	size_t n = 0;

	FUZZ_CHECK(mkdtemp(root_dir) != NULL);
	atexit(remove_root);
	n = (size_t)snprintf(text, sizeof text, "<!doctype html>\n<title>fuzz</title>\n");
	while (n < 1500)
		n += (size_t)snprintf(text + n, sizeof text - n, "<p>paragraph %zu of the index</p>\n", n);
	put_file("index.html", text, n);
	remember("text/html", text, n);
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = "abcdefghij klmnopqrst\n"[(i * 7 + i / 1024) % 22];
	put_file("big.txt", big, sizeof big);
	remember("text/plain", big, sizeof big);
	put_file("mid.txt", big, 40 * 1024); /* cached, compressed by the pool */
	remember("text/plain", big, 40 * 1024);
	uint32_t x = 1;
	for (size_t i = 0; i < 40000; i++) {
		x = x * 1103515245u + 12345u;
		big[i] = (char)(x >> 24);
	}
	put_file("photo.jpg", big, 40000); /* cached, never compressed */
	remember("image/jpeg", big, 40000);
	put_file("style.css", text, 600); /* the type decides, not the bytes */
	remember("text/css", text, 600);
	put_file("style.css.br", "\x0b\x02\x80" "fake br", 10);
	put_file("404.html", "<!doctype html><title>not here</title>\n", 39);
	put_file(".secret", "dot\n", 4);
	char path[256];
	snprintf(path, sizeof path, "%s/sub", root_dir);
	FUZZ_CHECK(mkdir(path, 0755) == 0);
	put_file("sub/a.txt", text, 333);
	remember("text/plain", text, 333);
	put_file("sub/b.json", "{\"a\": 1}\n", 9);
	snprintf(path, sizeof path, "%s/sub/deeper", root_dir);
	FUZZ_CHECK(mkdir(path, 0755) == 0);
	nftw(root_dir, set_time, 8, FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* sendfile(2) to a client that closed raises SIGPIPE; the server
	 * ignores it too (signals.c). */
	signal(SIGPIPE, SIG_IGN);
	make_root();
	char *args[] = {
		"fuzz_h2", "-d", root_dir, "-t", "1", "-l", "--no-sandbox",
		"--log-format", "combined", "--metrics", "/metrics", "--health", "/healthz",
		"-H", "X-Frame-Options: DENY", "--cors", "https://app.example",
		/* Small limits, so inputs reach them. */
		"--max-head", "4096", "--max-headers", "32", "--max-body", "4096",
	};
	char err[512];
	int argn = (int)(sizeof args / sizeof args[0]);
	if (config_parse_args(argn, args, &cfg, err, sizeof err) != 0) {
		fprintf(stderr, "fuzz_h2: %s\n", err);
		abort();
	}
	FUZZ_CHECK(cfg.http2 && h2_available());
	/* Lines are formatted for real and written to /dev/null. */
	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	FUZZ_CHECK(devnull >= 0);
	log_open(devnull, devnull, cfg.log_format, false);
	struct config copy = cfg;
	FUZZ_CHECK(site_set_build(&sites, &copy, 0, err, sizeof err) == 0);
	if (access("/etc/mime.types", R_OK) == 0)
		mime_load("/etc/mime.types");
	FUZZ_CHECK(file_cache_init(&cache, FILE_CACHE_ENTRIES, cfg.cache_bytes, FILE_CACHE_MAX_FILE) == 0);
	struct worker_listener none[1];
	FUZZ_CHECK(worker_init(&w, 0, &cfg, none, 0, sites, own, &cache) == 0);
	base_now = w.now;
	base_now_ms = w.now_ms;
	/* One helper: jobs finish in the order they were queued. */
	FUZZ_CHECK(sem_init(&gate, 0, 0) == 0 && sem_init(&fence_done, 0, 0) == 0);
	FUZZ_CHECK(pool_start(1, POOL_QUEUE_MAX) == 0);
	return 0;
}

/* The helper may run jobs only between loop turns: each turn queues a
 * job that holds the (single) helper until the turn is over, so the jobs
 * the turn submits run after it, in order, and never race the loop for
 * the cache. A fence queued after them says when they are all done (no
 * polling: the harness runs no instrumented code while it waits). */
FUZZ_NOCOV
static void hold(struct pool_job *j)
{
	(void)j;
	while (sem_wait(&gate) != 0)
		;
}

FUZZ_NOCOV
static void nothing(struct pool_job *j)
{
	(void)j;
}

FUZZ_NOCOV
static void fenced(struct pool_job *j)
{
	(void)j;
	sem_post(&fence_done); /* the pool touches the job no more */
}

FUZZ_NOCOV
static void turn_begin(void)
{
	holder = (struct pool_job){ .run = hold, .done = nothing };
	FUZZ_CHECK(pool_submit(&holder));
}

/* Ends a turn: the helper runs what it queued, and the jobs that
 * finished join later. */
FUZZ_NOCOV
static void turn_end(void)
{
	sem_post(&gate);
	fence = (struct pool_job){ .run = nothing, .done = fenced };
	FUZZ_CHECK(pool_submit(&fence));
	while (sem_wait(&fence_done) != 0)
		;
	uint64_t v;
	(void)!read(w.job_fd, &v, sizeof v);
	pthread_mutex_lock(&w.job_lock);
	struct pool_job *list = w.jobs_done, *rev = NULL;
	w.jobs_done = NULL;
	pthread_mutex_unlock(&w.job_lock);
	while (list) { /* newest first there */
		struct pool_job *next = list->next;
		list->next = rev;
		rev = list;
		list = next;
	}
	struct pool_job **tail = &later;
	while (*tail)
		tail = &(*tail)->next;
	*tail = rev;
}

/* Hands the jobs of list back to the loop, oldest first: a turn. */
FUZZ_NOCOV
static void hand_back(struct pool_job *list)
{
	turn_begin();
	while (list) {
		struct pool_job *next = list->next;
		conn_job_finished(&w, list);
		list = next;
	}
	turn_end();
}

/* Hands back every finished job, and those that queues. Returns whether
 * there was any. */
FUZZ_NOCOV
static bool hand_back_all(void)
{
	bool any = later != NULL;
	while (later) {
		struct pool_job *list = later;
		later = NULL;
		hand_back(list);
	}
	return any;
}

/* Frame types and flags (RFC 9113 section 6). */
enum { F_DATA, F_HEADERS, F_PRIORITY, F_RST, F_SETTINGS, F_PUSH, F_PING, F_GOAWAY, F_WINDOW, F_CONT };
enum { F_END_STREAM = 1, F_ACK = 1, F_END_HEADERS = 4, F_PADDED = 8, F_PRIO = 0x20 };

/* The record of a stream the server wrote about; NULL when the table is
 * full (the stream then goes unchecked). */
FUZZ_NOCOV
static struct out_stream *out_stream(struct frames *fr, uint32_t id)
{
	for (unsigned i = 0; i < fr->nstreams; i++)
		if (fr->streams[i].id == id)
			return &fr->streams[i];
	if (fr->nstreams == OUT_STREAMS)
		return NULL;
	struct out_stream *s = &fr->streams[fr->nstreams++];
	*s = (struct out_stream){ .id = id, .length = -1 };
	return s;
}

FUZZ_NOCOV
static bool nv_is(const nghttp2_nv *nv, const char *name)
{
	return nv->namelen == strlen(name) && memcmp(nv->name, name, nv->namelen) == 0;
}

FUZZ_NOCOV
static uint64_t nv_number(const uint8_t *p, size_t n, size_t *used)
{
	uint64_t v = 0;
	size_t i = 0;
	for (; i < n && p[i] >= '0' && p[i] <= '9' && v < (1ull << 40); i++)
		v = v * 10 + (p[i] - '0');
	*used = i;
	return v;
}

/* A response's header block is complete: decode it (HPACK must be
 * valid) and note its status, its length and, for a known file, the
 * bytes its body must be. */
FUZZ_NOCOV
static void end_block(struct frames *fr)
{
	struct out_stream *s = out_stream(fr, fr->block_id);
	const uint8_t *in = fr->block;
	size_t inlen = fr->blen;
	int status = 0;
	bool coded = false, dated = false, ranged = false;
	uint64_t first = 0, size = 0;
	char type[64]; /* a field is valid only until the next inflate call */
	size_t type_len = 0;
	for (;;) {
		nghttp2_nv nv;
		int flags = 0;
		ssize_t rv = nghttp2_hd_inflate_hd2(fr->inf, &nv, &flags, (uint8_t *)in, inlen, 1);
		FUZZ_CHECK(rv >= 0);
		in += rv;
		inlen -= (size_t)rv;
		if (flags & NGHTTP2_HD_INFLATE_EMIT) {
			size_t used;
			if (nv_is(&nv, ":status")) {
				status = (int)nv_number(nv.value, nv.valuelen, &used);
				FUZZ_CHECK(used == 3 && nv.valuelen == 3);
			} else if (nv_is(&nv, "content-length") && s) {
				s->length = (int64_t)nv_number(nv.value, nv.valuelen, &used);
				FUZZ_CHECK(used == nv.valuelen && used > 0);
			} else if (nv_is(&nv, "content-encoding")) {
				coded = true;
			} else if (nv_is(&nv, "last-modified")) {
				dated = nv.valuelen == strlen(FILE_DATE) &&
					memcmp(nv.value, FILE_DATE, nv.valuelen) == 0;
			} else if (nv_is(&nv, "content-type")) {
				type_len = nv.valuelen < sizeof type ? nv.valuelen : sizeof type;
				memcpy(type, nv.value, type_len);
			} else if (nv_is(&nv, "content-range") && nv.valuelen > 6 &&
				   memcmp(nv.value, "bytes ", 6) == 0) {
				/* "bytes FIRST-LAST/SIZE" */
				const uint8_t *p = nv.value + 6, *e = nv.value + nv.valuelen;
				first = nv_number(p, (size_t)(e - p), &used);
				p += used;
				const uint8_t *slash = memchr(p, '/', (size_t)(e - p));
				if (slash) {
					size = nv_number(slash + 1, (size_t)(e - slash - 1), &used);
					ranged = used == (size_t)(e - slash - 1);
				}
			}
		}
		if (flags & NGHTTP2_HD_INFLATE_FINAL) {
			nghttp2_hd_inflate_end_headers(fr->inf);
			break;
		}
		FUZZ_CHECK(rv > 0 || (flags & NGHTTP2_HD_INFLATE_EMIT)); /* no endless loop */
	}
	FUZZ_CHECK(status >= 200 && status <= 599); /* no 1xx is ever sent */
	fr->in_block = false;
	if (!s)
		return;
	if (fr->block_end_stream)
		s->ended = true;
	/* A known file, whole or one range of it, identity coded. */
	if (!dated || coded || s->length < 0 || (status != 200 && status != 206))
		return;
	for (unsigned i = 0; i < nknown; i++) {
		size_t tl = strlen(known[i].type);
		if (type_len < tl || memcmp(type, known[i].type, tl) != 0)
			continue;
		if (status == 200 && (uint64_t)s->length == known[i].len)
			s->expect = known[i].bytes;
		else if (status == 206 && ranged && size == known[i].len && first < size &&
			 (uint64_t)s->length <= size - first)
			s->expect = known[i].bytes + first;
	}
}

/* A frame's header: what a server may send, in the order it may send
 * it. */
FUZZ_NOCOV
static void begin_frame(struct frames *fr)
{
	const uint8_t *hd = fr->hd;
	uint32_t len = (uint32_t)hd[0] << 16 | (uint32_t)hd[1] << 8 | hd[2];
	uint8_t type = hd[3], flags = hd[4];
	uint32_t id = ((uint32_t)hd[5] << 24 | (uint32_t)hd[6] << 16 | (uint32_t)hd[7] << 8 | hd[8]) &
		      0x7fffffffu;
	struct out_stream *s = NULL;

	fr->type = type;
	fr->flags = flags;
	fr->id = id;
	fr->left = len;
	fr->cur = NULL;
	if (fr->count++ == 0) /* the server's preface */
		FUZZ_CHECK(type == F_SETTINGS && !(flags & F_ACK) && id == 0);
	/* Push is never used; PRIORITY is the client's to send; a header
	 * block is never interrupted. */
	FUZZ_CHECK(type <= F_CONT && type != F_PUSH && type != F_PRIORITY);
	FUZZ_CHECK(!fr->in_block || (type == F_CONT && id == fr->block_id));
	switch (type) {
	case F_DATA:
		/* On a stream the client opened, answered and not ended. */
		FUZZ_CHECK(id != 0 && (id & 1) && !(flags & F_PADDED));
		if ((s = out_stream(fr, id))) {
			FUZZ_CHECK(s->head && !s->ended);
			fr->cur = s;
		}
		break;
	case F_HEADERS:
		/* One response head per stream. */
		FUZZ_CHECK(id != 0 && (id & 1) && !(flags & (F_PADDED | F_PRIO)));
		if ((s = out_stream(fr, id))) {
			FUZZ_CHECK(!s->head && !s->ended);
			s->head = true;
		}
		fr->in_block = true;
		fr->block_id = id;
		fr->block_end_stream = flags & F_END_STREAM;
		fr->blen = 0;
		break;
	case F_CONT:
		FUZZ_CHECK(fr->in_block);
		break;
	case F_RST:
		FUZZ_CHECK(id != 0 && len == 4);
		if ((s = out_stream(fr, id)))
			s->ended = true;
		break;
	case F_SETTINGS:
		FUZZ_CHECK(id == 0 && len % 6 == 0 && (!(flags & F_ACK) || len == 0));
		break;
	case F_PING:
		FUZZ_CHECK(id == 0 && len == 8);
		break;
	case F_GOAWAY:
		FUZZ_CHECK(id == 0 && len >= 8);
		break;
	case F_WINDOW:
		FUZZ_CHECK(len == 4);
		break;
	}
}

/* The frame's payload is all in. */
FUZZ_NOCOV
static void end_frame(struct frames *fr)
{
	if ((fr->type == F_HEADERS || fr->type == F_CONT) && (fr->flags & F_END_HEADERS))
		end_block(fr);
	if (fr->type == F_DATA && fr->cur && (fr->flags & F_END_STREAM)) {
		/* The body is exactly as long as its head said. */
		FUZZ_CHECK(fr->cur->length < 0 || fr->cur->got == (uint64_t)fr->cur->length);
		fr->cur->ended = true;
	}
}

FUZZ_NOCOV
static void payload(struct frames *fr, const uint8_t *p, size_t k)
{
	if (fr->type == F_HEADERS || fr->type == F_CONT) {
		FUZZ_CHECK(fr->blen + k <= OUT_BLOCK_MAX);
		memcpy(fr->block + fr->blen, p, k);
		fr->blen += k;
	} else if (fr->type == F_DATA && fr->cur) {
		struct out_stream *s = fr->cur;
		FUZZ_CHECK(s->length < 0 || s->got + k <= (uint64_t)s->length);
		if (s->expect)
			FUZZ_CHECK(memcmp(p, s->expect + s->got, k) == 0);
		s->got += k;
	}
}

/* Feeds the output check n bytes the server wrote. */
FUZZ_NOCOV
static void frames_feed(struct frames *fr, const uint8_t *p, size_t n)
{
	while (n) {
		if (fr->have < 9) {
			fr->hd[fr->have++] = *p++;
			n--;
			if (fr->have == 9)
				begin_frame(fr);
		} else {
			size_t k = fr->left < n ? fr->left : n;
			payload(fr, p, k);
			fr->left -= (uint32_t)k;
			p += k;
			n -= k;
		}
		if (fr->have == 9 && fr->left == 0) {
			end_frame(fr);
			fr->have = 0;
		}
	}
}

/* Reads and checks what the server wrote; returns the byte count. */
FUZZ_NOCOV
static size_t drain_peer(int fd, struct frames *fr)
{
	static uint8_t buf[256 * 1024];
	size_t total = 0;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n <= 0)
			return total;
		frames_feed(fr, buf, (size_t)n);
		total += (size_t)n;
	}
}

/* The client: the preface and the input, written segment by segment.
 * Offsets count the preface's bytes too. */
struct client {
	int fd;
	const uint8_t *data;
	size_t len;
	size_t off;   /* written so far */
	size_t end;   /* of the segment being written */
	size_t total; /* H2_PREFACE_LEN + len */
};

/* Where the segment that starts at data offset from (a frame boundary)
 * ends: before the next frame after the first whose R bit is set. */
FUZZ_NOCOV
static size_t segment_end(const uint8_t *data, size_t len, size_t from)
{
	size_t p = from;
	for (bool first = true; p + 9 <= len; first = false) {
		if (!first && (data[p + 5] & 0x80))
			return p;
		p += 9 + ((size_t)data[p] << 16 | (size_t)data[p + 1] << 8 | data[p + 2]);
	}
	return len;
}

/* Moves on to the next segment once the one before is all written;
 * returns whether there was one. */
FUZZ_NOCOV
static bool next_segment(struct client *cl)
{
	if (cl->off < cl->end || cl->end == cl->total)
		return false;
	cl->end = H2_PREFACE_LEN + segment_end(cl->data, cl->len, cl->end - H2_PREFACE_LEN);
	return true;
}

/* Writes what the socket takes of the segment; returns the byte count.
 * A closed server end ends the input. */
FUZZ_NOCOV
static size_t feed_peer(struct client *cl)
{
	size_t total = 0;
	while (cl->off < cl->end) {
		struct iovec iov[2];
		int k = 0;
		if (cl->off < H2_PREFACE_LEN) {
			iov[k].iov_base = (char *)H2_PREFACE + cl->off;
			iov[k++].iov_len = H2_PREFACE_LEN - cl->off;
		}
		if (cl->end > H2_PREFACE_LEN) {
			size_t from = cl->off > H2_PREFACE_LEN ? cl->off - H2_PREFACE_LEN : 0;
			iov[k].iov_base = (void *)(cl->data + from);
			iov[k++].iov_len = cl->end - H2_PREFACE_LEN - from;
		}
		struct msghdr msg = { .msg_iov = iov, .msg_iovlen = (size_t)k };
		ssize_t n = sendmsg(cl->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			cl->off = cl->end = cl->total; /* the server closed: the rest is moot */
		if (n <= 0)
			return total;
		cl->off += (size_t)n;
		total += (size_t)n;
	}
	return total;
}

FUZZ_NOCOV
static void sweep(void)
{
	turn_begin();
	conn_sweep(&w);
	turn_end();
	hand_back_all();
}

/* Runs the connection until nothing moves: segments written, output read,
 * jobs handed back. The connection hears of it as from edge-triggered
 * epoll: EPOLLIN when bytes were written to it, EPOLLOUT when its output
 * was read. At rest, every byte written to it must have been read: nothing
 * would wake it again to read it. */
FUZZ_NOCOV
static void pump(struct conn *c, struct client *cl, struct frames *fr)
{
	bool drained = true;
	for (unsigned rounds = 0;; rounds++) {
		FUZZ_CHECK(rounds < ROUNDS_MAX);
		struct pool_job *due = later; /* back after this turn */
		later = NULL;
		next_segment(cl);
		bool wrote = feed_peer(cl) > 0;
		uint32_t events = (wrote ? EPOLLIN : 0) | (drained ? EPOLLOUT : 0);
		bool moved = wrote || due;
		if (events && c->state != CONN_CLOSED) {
			turn_begin();
			conn_on_event(&w, c, events);
			turn_end();
		}
		if (due)
			hand_back(due);
		if (cl->off == cl->total)
			moved |= hand_back_all();
		drained = drain_peer(cl->fd, fr) > 0;
		if (!moved && !drained)
			break;
	}
	int unread = 0;
	if (c->state == CONN_H2 && ioctl(c->fd, FIONREAD, &unread) == 0 && unread > 0) {
		fprintf(stderr, "fuzz_h2: %d bytes the connection never reads\n", unread);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	int sv[2];
	struct frames *fr = &frames;

	fr->have = 0;
	fr->count = 0;
	fr->in_block = false;
	fr->nstreams = 0;
	FUZZ_CHECK(nghttp2_hd_inflate_new(&fr->inf) == 0);
	FUZZ_CHECK(nghttp2_hd_inflate_change_table_size(fr->inf, 1 << 20) == 0);
	w.now = base_now;
	w.now_ms = base_now_ms;
	w.stopping = false;
	serve_seed(&w.serve, 1);
	FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
	int sndbuf = SERVER_SNDBUF;
	FUZZ_CHECK(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf) == 0);
	struct client cl = {
		.fd = sv[1],
		.data = data,
		.len = len,
		.end = H2_PREFACE_LEN + segment_end(data, len, 0),
		.total = H2_PREFACE_LEN + len,
	};
	feed_peer(&cl);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(40000) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	atomic_fetch_add(&worker_conn_count, 1); /* as accept_batch counts it */
	turn_begin();
	struct conn *c = conn_open(&w, sv[0], (struct sockaddr *)&sa, LISTEN_HTTP, false);
	turn_end();
	if (!c) {
		atomic_fetch_sub(&worker_conn_count, 1);
		hand_back_all();
		close(sv[1]);
		nghttp2_hd_inflate_del(fr->inf);
		return 0;
	}
	pump(c, &cl, fr);

	/* The loop's once-a-second work: now; then as the last input byte
	 * asks, after a stop (bit 0) and a minute later (bit 1). */
	unsigned last = len ? data[len - 1] : 0;
	sweep();
	pump(c, &cl, fr);
	if (last & 1) {
		w.stopping = true;
		sweep();
		pump(c, &cl, fr);
	}
	if (last & 2) {
		w.now += 60;
		w.now_ms += 60000;
		sweep();
		pump(c, &cl, fr);
	}

	/* The client goes away. */
	close(sv[1]);
	turn_begin();
	if (c->state != CONN_CLOSED)
		conn_on_event(&w, c, EPOLLIN | EPOLLRDHUP);
	conn_close_all(&w);
	turn_end();
	hand_back_all(); /* cancelled jobs come back to be freed */
	conn_reap(&w);
	access_log_flush(&w.log);
	FUZZ_CHECK(w.conns == NULL && w.nconns == 0 && later == NULL);
	FUZZ_CHECK(atomic_load(&worker_conn_count) == 0);

	/* The next input finds an empty cache; with no connection left, no
	 * blob is held any more. */
	while (cache.lru_head)
		file_cache_remove(&cache, cache.lru_head);
	FUZZ_CHECK(cache.count == 0 && cache.cached == 0 && atomic_load(&cache.held) == 0);
	nghttp2_hd_inflate_del(fr->inf);
	return 0;
}

#else

/* Built without libnghttp2 the server speaks no HTTP/2: nothing to run. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	(void)data;
	(void)len;
	return 0;
}

#endif
