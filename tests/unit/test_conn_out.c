/* test_conn_out.c - the output queue: copied bytes, referenced memory and
 * file ranges leave in order and whole, across partial writes into a
 * small socket buffer; owners are released exactly once, when their chunk
 * is sent or dropped; the copy buffer and the chunk slots are bounded. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "conn_out.h"
#include "unit.h"

static int released[8];

static void on_release(void *ctx, void *owner)
{
	(void)ctx;
	released[(int *)owner - released]++;
}

/* A connection over one end of a socket pair with a small send buffer;
 * the other end is returned in *peer. */
static void make_conn(struct conn *c, int *peer, int sndbuf)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) < 0)
		abort();
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
	memset(c, 0, sizeof *c);
	c->fd = sv[0];
	c->flags = CONN_WRITABLE;
	*peer = sv[1];
}

/* Flushes, draining the peer in between, until the queue is empty or
 * rounds run out; returns the bytes the peer read. */
static size_t drain(struct conn *c, struct conn_out *o, int peer, char *got, size_t cap, int *rc)
{
	size_t n = 0;
	*rc = 0;
	for (int round = 0; round < 10000 && (o->n || n == 0); round++) {
		*rc = conn_out_flush(c, o, NULL, 0);
		if (*rc < 0)
			break;
		ssize_t k;
		while ((k = read(peer, got + n, cap - n)) > 0)
			n += (size_t)k;
		c->flags |= CONN_WRITABLE; /* the peer read: the socket takes more */
		if (!o->n)
			break;
	}
	return n;
}

struct mix_case {
	const char *what;
	int sndbuf;
	size_t copy_len; /* copied bytes, then */
	size_t mem_len;  /* referenced memory (owner 0), then */
	size_t file_off, file_len; /* a file range (owner 1), then */
	size_t tail_len; /* copied again */
};

static const struct mix_case mix_cases[] = {
	{ "small, one write", 1 << 16, 9, 100, 0, 200, 9 },
	{ "frame header + file, partial writes", 4096, 9, 0, 1000, 150000, 0 },
	{ "everything, tiny buffer", 1024, 5000, 30000, 12345, 70000, 777 },
	{ "empty middle chunks", 4096, 1, 0, 0, 0, 1 },
	{ "file at offset 0, whole", 8192, 0, 0, 0, 200000, 3 },
};

static void test_mix(void)
{
	static char file_bytes[300000], mem[40000], want[400000], got[400000];
	for (size_t i = 0; i < sizeof file_bytes; i++)
		file_bytes[i] = (char)(i * 7 + 3);
	for (size_t i = 0; i < sizeof mem; i++)
		mem[i] = (char)(i * 13 + 1);
	char path[] = "/tmp/test_conn_out.XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, file_bytes, sizeof file_bytes) != (ssize_t)sizeof file_bytes)
		abort();
	unlink(path);

	for (size_t t = 0; t < sizeof mix_cases / sizeof mix_cases[0]; t++) {
		const struct mix_case *m = &mix_cases[t];
		struct conn c;
		int peer;
		make_conn(&c, &peer, m->sndbuf);
		struct conn_out o = { .release = on_release };
		memset(released, 0, sizeof released);
		size_t w = 0;
		char copy[6000];
		for (size_t i = 0; i < m->copy_len; i++)
			copy[i] = (char)('a' + i % 26);
		CHECK(conn_out_copy(&o, copy, m->copy_len) == m->copy_len, "%s: copy", m->what);
		memcpy(want + w, copy, m->copy_len);
		w += m->copy_len;
		CHECK(conn_out_add(&o, mem, -1, 0, (uint32_t)m->mem_len, &released[0]), "%s: mem", m->what);
		memcpy(want + w, mem, m->mem_len);
		w += m->mem_len;
		CHECK(conn_out_add(&o, NULL, fd, m->file_off, (uint32_t)m->file_len, &released[1]),
		      "%s: file", m->what);
		memcpy(want + w, file_bytes + m->file_off, m->file_len);
		w += m->file_len;
		CHECK(conn_out_copy(&o, copy, m->tail_len) == m->tail_len, "%s: tail", m->what);
		memcpy(want + w, copy, m->tail_len);
		w += m->tail_len;
		CHECK(o.queued == w, "%s: queued %llu of %zu", m->what, (unsigned long long)o.queued, w);

		int rc;
		size_t n = drain(&c, &o, peer, got, sizeof got, &rc);
		CHECK(rc == 0 && o.n == 0 && o.queued == 0, "%s: rc %d, %u chunks left", m->what, rc, o.n);
		CHECK(n == w && memcmp(got, want, w) == 0, "%s: %zu bytes of %zu, or they differ",
		      m->what, n, w);
		CHECK(o.sent == w, "%s: sent %llu", m->what, (unsigned long long)o.sent);
		CHECK(released[0] == 1 && released[1] == 1, "%s: released %d %d", m->what, released[0],
		      released[1]);
		conn_out_free(&o);
		CHECK(released[0] == 1 && released[1] == 1, "%s: released again", m->what);
		close(c.fd);
		close(peer);
	}
	close(fd);
}

/* A socket that takes nothing: the flush returns 0 with the queue kept and
 * CONN_WRITABLE clear; dropping the queue releases every owner once. */
static void test_blocked_then_dropped(void)
{
	struct conn c;
	int peer;
	make_conn(&c, &peer, 1024);
	static char big[1 << 20];
	struct conn_out o = { .release = on_release };
	memset(released, 0, sizeof released);
	CHECK(conn_out_add(&o, big, -1, 0, sizeof big, &released[2]), "big chunk");
	CHECK(conn_out_add(&o, big, -1, 0, 10, &released[3]), "small chunk");
	CHECK(conn_out_flush(&c, &o, NULL, 0) == 0, "a full socket is not an error");
	CHECK(!(c.flags & CONN_WRITABLE), "writable flag cleared");
	CHECK(o.n == 2 && o.sent > 0 && o.sent < sizeof big, "partly sent: %llu",
	      (unsigned long long)o.sent);
	CHECK(released[2] == 0 && released[3] == 0, "nothing released yet");
	conn_out_free(&o);
	CHECK(released[2] == 1 && released[3] == 1 && o.n == 0 && o.queued == 0, "dropped: %d %d",
	      released[2], released[3]);
	/* not writable: flush does nothing */
	CHECK(conn_out_add(&o, big, -1, 0, 5, NULL) && conn_out_flush(&c, &o, NULL, 0) == 0 && o.n == 1,
	      "no write without CONN_WRITABLE");
	conn_out_free(&o);
	close(c.fd);
	close(peer);
}

/* Bounds: the copy buffer takes CONN_OUT_BUF bytes and then nothing (a
 * partial take at the edge); chunk slots run out at CONN_OUT_CHUNKS. */
static void test_bounds(void)
{
	struct conn_out o = { 0 };
	static char buf[CONN_OUT_BUF + 100];
	CHECK(conn_out_buf_room(&o) == CONN_OUT_BUF, "empty room");
	CHECK(conn_out_copy(&o, buf, CONN_OUT_BUF - 10) == CONN_OUT_BUF - 10, "most of it");
	CHECK(conn_out_copy(&o, buf, 100) == 10, "the edge: a partial take");
	CHECK(conn_out_copy(&o, buf, 1) == 0 && conn_out_buf_room(&o) == 0, "full");
	CHECK(o.n == 1, "contiguous copies share a chunk: %u", o.n);
	unsigned added = 0;
	while (conn_out_add(&o, buf, -1, 0, 1, NULL))
		added++;
	CHECK(added == CONN_OUT_CHUNKS - 1 && conn_out_room(&o) == 0, "chunks: %u", added);
	conn_out_free(&o);
	CHECK(conn_out_buf_room(&o) == CONN_OUT_BUF && conn_out_room(&o) == CONN_OUT_CHUNKS,
	      "empty again");
	/* once emptied, the buffer starts over */
	CHECK(conn_out_copy(&o, buf, CONN_OUT_BUF) == CONN_OUT_BUF, "whole again");
	conn_out_free(&o);
}

/* A file that shrank under a chunk fails the flush (its length was
 * promised); a peer that closed fails it too. */
static void test_failures(void)
{
	struct conn c;
	int peer;
	make_conn(&c, &peer, 1 << 16);
	char path[] = "/tmp/test_conn_out.XXXXXX";
	int fd = mkstemp(path);
	unlink(path);
	if (fd < 0 || write(fd, "abc", 3) != 3)
		abort();
	struct conn_out o = { 0 };
	CHECK(conn_out_add(&o, NULL, fd, 0, 100, NULL), "file chunk");
	CHECK(conn_out_flush(&c, &o, NULL, 0) < 0, "a shrunk file fails the flush");
	conn_out_free(&o);
	close(peer);
	CHECK(conn_out_copy(&o, "x", 1) == 1, "copy");
	c.flags |= CONN_WRITABLE;
	CHECK(conn_out_flush(&c, &o, NULL, 0) < 0 && errno == EPIPE, "a closed peer fails the flush");
	conn_out_free(&o);
	close(fd);
	close(c.fd);
}

int main(void)
{
	test_mix();
	test_blocked_then_dropped();
	test_bounds();
	test_failures();
	conn_out_free_pools();
	return unit_done("conn_out");
}
