"""Robustness under hostile or broken clients (make test-long): slowloris,
descriptor leaks after aborted connections, descriptor exhaustion
(EMFILE), the connection limit, the size limits and the timeouts.

Time bounds asserted here come from the configuration under test: the
server sweeps timeouts once a second on a whole-second clock, so a
timeout of T seconds closes a connection after more than T-1 and, with
margin for a loaded machine, less than T+3 seconds. The one performance
bound is the spec's: a normal request is answered within 100 ms while
1,000 slowloris connections are open."""
import os
import select
import socket
import statistics
import sys
import threading
import time

import lib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import longlib  # noqa: E402

SMALL = b"<p>index</p>\n"
BIG = 16 << 20  # larger than any socket buffers on the path


def site(big=False):
    files = {"index.html": SMALL, "a.txt": b"AAAA\n"}
    if big:
        files["big.bin"] = bytes(range(256)) * (BIG // 256)
    return lib.make_site(files)


def ok_get(port, path="/", timeout=5.0):
    """A normal request on a fresh connection; asserts a 200."""
    _, r = longlib.timed_get(port, path, timeout)
    assert r is not None and r.status == 200, (path, r and r.raw_head)
    return r


# ---------------------------------------------------------------------------
# 1. Slowloris

SLOW_CONNS = 1000
HEAD_TIMEOUT = 5
LATENCY_BOUND = 0.100


def _measure_latency(port, count=20, spacing=0.5):
    """count normal requests (fresh connection, GET /) spaced out; returns
    their times in seconds."""
    times = []
    for _ in range(count):
        t0 = time.monotonic()
        dt, r = longlib.timed_get(port, "/")
        assert r is not None and r.status == 200 and r.body == SMALL, r and r.raw_head
        times.append(dt)
        time.sleep(max(0.0, spacing - (time.monotonic() - t0)))
    return times


def test_slowloris_does_not_starve_normal_requests():
    args = ["-t", "1", "--head-timeout", str(HEAD_TIMEOUT), "--access-log", "off"]
    with longlib.Server(root=site(), args=args) as s:
        ok_get(s.port)
        baseline = longlib.settled_fd_count(s.pid)
        trickler = longlib.Trickler(s.port, SLOW_CONNS)
        try:
            trickler.ready()
            t_ready = time.monotonic()
            # The slow connections really are held by the server (the
            # listener defers accept until the first byte: it has come).
            held = lib.wait_for(lambda: lib.fd_count(s.pid) >= baseline + SLOW_CONNS * 0.95, 5)
            assert held, (f"server holds {lib.fd_count(s.pid)} descriptors with "
                          f"{SLOW_CONNS} slow connections open (baseline {baseline})")
            # ~10 s of normal requests while the trickle goes on (the
            # originals time out at ~5 s and are replaced at once).
            times = _measure_latency(s.port)
            attempts = [times]
            if max(times) >= LATENCY_BOUND:  # one retry on a noisy machine
                times = _measure_latency(s.port)
                attempts.append(times)
            # Every original must have had its head timeout by now.
            time.sleep(max(0.0, t_ready + HEAD_TIMEOUT + 3.5 - time.monotonic()))
        finally:
            report = trickler.finish()  # None if it had already failed
        summary = [f"median {statistics.median(t) * 1000:.1f} ms, max {max(t) * 1000:.1f} ms"
                   for t in attempts]
        assert max(times) < LATENCY_BOUND, (
            f"normal requests during slowloris took too long: {summary}")

        originals = report["originals"]
        open_ones = sum(1 for x in originals if x is None)
        assert open_ones == 0, (f"{open_ones} of {SLOW_CONNS} trickling connections were not "
                                f"closed {HEAD_TIMEOUT + 3.5} s after they started "
                                f"(--head-timeout {HEAD_TIMEOUT})")
        lives = sorted(originals + report["replaced_closed"])
        assert lives[0] > HEAD_TIMEOUT - 1.5, (
            f"a trickling connection was closed after {lives[0]:.2f} s, before "
            f"--head-timeout {HEAD_TIMEOUT}")
        assert lives[-1] < HEAD_TIMEOUT + 3, (
            f"a trickling connection lived {lives[-1]:.2f} s with --head-timeout {HEAD_TIMEOUT}")
        assert report["connect_errors"] == 0, report["connect_errors"]
        # The client (not the server) closed what was open at the end.
        longlib.assert_fds_return(s.pid, baseline, 5, "after the slowloris client left")
        ok_get(s.port)


# ---------------------------------------------------------------------------
# 2. Descriptor leaks after aborted connections

ROUNDS = 50


def _leak_server(root):
    return longlib.Server(root=root, args=["--send-timeout", "2", "--keepalive-timeout", "30",
                                           "--head-timeout", "30"])


def _baseline(s):
    ok_get(s.port)
    # A full download of the big file, so whatever the server opens once
    # (nothing should stay) is in the baseline too.
    c = lib.connect(s.port, 10)
    try:
        c.sendall(longlib.get_request("/big.bin"))
        data, how = longlib.recv_until_closed(c, 20)
        assert how == "eof" and len(data) > BIG, (how, len(data))
    finally:
        c.close()
    return longlib.settled_fd_count(s.pid)


def test_leak_client_disconnects_mid_download():
    with _leak_server(site(big=True)) as s:
        baseline = _baseline(s)
        for i in range(ROUNDS):
            c = lib.connect(s.port)
            try:
                c.sendall(longlib.get_request("/big.bin", close=(i % 2 == 0)))
                got = 0
                while got < 65536 + i * 4096:
                    chunk = c.recv(65536)
                    assert chunk, f"round {i}: closed after {got} bytes"
                    got += len(chunk)
            finally:
                c.close()
        longlib.assert_fds_return(s.pid, baseline, 5, f"{ROUNDS} aborted downloads")
        ok_get(s.port, "/a.txt")


def _reset_round(port, phase):
    """One connection that ends in a RST; phase picks when."""
    c = lib.connect(port)
    try:
        longlib.set_reset_on_close(c)
        if phase == 0:    # in the middle of the request head
            c.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\nX-Partial: abc")
        elif phase == 1:  # request sent, response never read
            c.sendall(longlib.get_request("/big.bin", close=False))
        elif phase == 2:  # in the middle of the response
            c.sendall(longlib.get_request("/big.bin", close=False))
            got = 0
            while got < 100000:
                chunk = c.recv(65536)
                assert chunk
                got += len(chunk)
        elif phase == 3:  # idle between keep-alive requests
            c.sendall(longlib.get_request("/a.txt", close=False))
            r, _ = lib.read_one(c)
            assert r is not None and r.status == 200
        elif phase == 4:  # in the middle of a request body being dropped
            c.sendall(b"POST /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 500000\r\n\r\n"
                      + b"b" * 1000)
        elif phase == 5:  # lingering after an error response
            c.sendall(b"GET /" + b"x" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
            lib.read_one(c, timeout=2)
        # Let the server get into the state before the reset.
        time.sleep(0.02)
    finally:
        c.close()


def test_leak_client_resets_connection():
    with _leak_server(site(big=True)) as s:
        baseline = _baseline(s)
        for i in range(ROUNDS):
            _reset_round(s.port, i % 6)
        longlib.assert_fds_return(s.pid, baseline, 5, f"{ROUNDS} reset connections")
        ok_get(s.port, "/a.txt")


def test_leak_client_never_reads():
    with _leak_server(site(big=True)) as s:
        baseline = _baseline(s)
        socks = []
        try:
            for _ in range(ROUNDS):
                c = longlib.small_rcvbuf_socket()
                socks.append(c)
                c.settimeout(5)
                c.connect(("127.0.0.1", s.port))
                c.sendall(longlib.get_request("/big.bin", close=False))
            # The server is stuck sending to all of them...
            stuck = lib.wait_for(lambda: lib.fd_count(s.pid) >= baseline + ROUNDS, 5)
            assert stuck, f"server holds {lib.fd_count(s.pid)}, baseline {baseline}"
            # ...and while the clients still hold their ends, --send-timeout
            # makes it let go of every one.
            longlib.assert_fds_return(s.pid, baseline, 2 + 4,
                                      f"{ROUNDS} clients that never read, --send-timeout 2")
            # It still serves, including a big download in full.
            ok_get(s.port, "/a.txt")
            r = lib.curl("-o", "/dev/null", "-w", "%{http_code} %{size_download}",
                         f"http://127.0.0.1:{s.port}/big.bin")
            assert r.stdout.decode() == f"200 {BIG}", r
        finally:
            longlib.close_all(socks)
        longlib.assert_fds_return(s.pid, baseline, 5, "after the clients closed")


# ---------------------------------------------------------------------------
# 3. Descriptor exhaustion

NOFILE = 64
HOARD = 100


def _classify(socks, timeout):
    """Waits until each socket got a complete response ('answered', kept
    open) or was closed without one ('closed'); returns {socket: outcome}
    (None: neither within timeout)."""
    out = {c: None for c in socks}
    bufs = {c: b"" for c in socks}
    byfd = {c.fileno(): c for c in socks}
    poller = select.poll()
    for c in socks:
        c.setblocking(False)
        poller.register(c, select.POLLIN)
    end = time.monotonic() + timeout
    while time.monotonic() < end and any(v is None for v in out.values()):
        for fd, _ in poller.poll(100):
            c = byfd[fd]
            try:
                chunk = c.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                chunk = b""
            if not chunk:
                out[c] = "closed" if not bufs[c] else "truncated"
                poller.unregister(c)
                continue
            bufs[c] += chunk
            r, rest = lib.read_response(bufs[c])
            if r is not None:
                out[c] = ("answered", r.status)
                poller.unregister(c)
    for c in socks:
        c.setblocking(True)
    return out


def test_emfile_no_busy_loop_and_recovers():
    args = ["-t", "1", "--keepalive-timeout", "60", "--head-timeout", "60"]
    with longlib.Server(root=site(), args=args, nofile=NOFILE) as s:
        ok_get(s.port)
        baseline = longlib.settled_fd_count(s.pid)
        assert baseline < NOFILE - 20, f"server starts with {baseline} descriptors"
        hoard = []
        try:
            for _ in range(HOARD):
                c = lib.connect(s.port)
                hoard.append(c)
                c.sendall(longlib.get_request("/", close=False))
            outcome = _classify(hoard, 10)
            # At the limit, with the hoard held and new connections still
            # knocking, the server must not spin.
            cpu0, t0 = longlib.cpu_seconds(s.pid), time.monotonic()
            knocked = []
            while time.monotonic() - t0 < 2.0:
                c = lib.connect(s.port)
                try:
                    c.sendall(longlib.get_request("/"))
                    data, how = longlib.recv_until_closed(c, 2)
                    knocked.append((how, data[:12]))
                finally:
                    c.close()
                time.sleep(0.1)
            cpu = longlib.cpu_seconds(s.pid) - cpu0
            elapsed = time.monotonic() - t0
            assert cpu < 0.5, (f"server used {cpu:.2f} s of CPU in {elapsed:.2f} s at the "
                               f"descriptor limit (busy loop?)")
            undecided = sum(1 for v in outcome.values() if v is None)
            answered = [v[1] for v in outcome.values() if isinstance(v, tuple)]
            closed = sum(1 for v in outcome.values() if v == "closed")
            truncated = sum(1 for v in outcome.values() if v == "truncated")
            assert undecided == 0, (f"{undecided} of {HOARD} connections neither answered nor "
                                    f"closed at the descriptor limit ({len(answered)} answered, "
                                    f"{closed} closed)")
            assert truncated == 0, f"{truncated} connections got a partial response"
            assert answered.count(200) >= 20, f"only {answered} answered"
            assert closed >= 1, "the descriptor limit was never reached"
            assert lib.fd_count(s.pid) <= NOFILE
            assert all(how != "timeout" for how, _ in knocked), (
                f"connections beyond the limit left hanging: {knocked}")
            assert lib.proc_alive(s.pid)
        finally:
            longlib.close_all(hoard)
        # Once the hoard is gone, normal service resumes.
        assert lib.wait_for(lambda: _try_get(s.port) == 200, 5), "no service after the hoard left"
        longlib.assert_fds_return(s.pid, baseline, 5, "after the hoard left")
        for _ in range(10):
            ok_get(s.port, "/a.txt")


def _try_get(port):
    try:
        _, r = longlib.timed_get(port, "/", 2)
    except OSError:
        return None
    return r.status if r else None


# ---------------------------------------------------------------------------
# 4. Connection limit

MAX_CONNS = 50


def _refused(port):
    """A connection beyond the limit: returns 'closed' (no bytes) or the
    status of the complete response it got; fails on anything else."""
    c = lib.connect(port)
    try:
        try:
            c.sendall(longlib.get_request("/"))
        except (BrokenPipeError, ConnectionResetError):
            return "closed"
        data, how = longlib.recv_until_closed(c, 5)
    finally:
        c.close()
    assert how != "timeout", f"connection beyond the limit left open: {data[:200]!r}"
    if not data:
        return "closed"
    r, rest = lib.read_response(data)
    assert r is not None and rest == b"", f"not a clean response: {data[:300]!r}"
    if r.status == 503:
        assert r.header("connection", "").lower() == "close", r.raw_head
    return r.status


def test_max_conns_refuses_excess_and_keeps_serving():
    args = ["--max-conns", str(MAX_CONNS), "--keepalive-timeout", "60", "--head-timeout", "60"]
    with longlib.Server(root=site(), args=args) as s:
        baseline = longlib.settled_fd_count(s.pid)
        idle = []
        try:
            for _ in range(MAX_CONNS):
                c, r = longlib.open_keepalive(s.port)
                idle.append(c)
                assert r.status == 200, r.raw_head
            assert lib.fd_count(s.pid) >= baseline + MAX_CONNS
            # Beyond the limit: a clean 503 (or a plain close), every time.
            results = [_refused(s.port) for _ in range(10)]
            assert all(x in (503, "closed") for x in results), results
            assert 503 in results, f"never a 503, only {results}"
            # The existing connections are unaffected.
            for c in idle[:5]:
                c.sendall(longlib.get_request("/a.txt", close=False))
                r, _ = lib.read_one(c)
                assert r is not None and r.status == 200 and r.body == b"AAAA\n"
            # Free 10 slots: new requests are served again.
            longlib.close_all(idle[:10])
            del idle[:10]
            assert lib.wait_for(lambda: _try_get(s.port) == 200, 5), "no service after closing"
            for _ in range(20):
                ok_get(s.port, "/a.txt")
            # The count is exact: 10 more fit, the one after does not.
            for _ in range(10):
                c, r = longlib.open_keepalive(s.port)
                idle.append(c)
                assert r.status == 200, (len(idle), r.raw_head)
            results = [_refused(s.port) for _ in range(3)]
            assert all(x in (503, "closed") for x in results), results
            # All 50 still make requests.
            for i, c in enumerate(idle):
                c.sendall(longlib.get_request("/", close=False))
                r, _ = lib.read_one(c)
                assert r is not None and r.status == 200 and r.body == SMALL, i
        finally:
            longlib.close_all(idle)
        longlib.assert_fds_return(s.pid, baseline, 5, "after the idle connections closed")
        ok_get(s.port)


# ---------------------------------------------------------------------------
# 5. Size limits and timeouts

LIMIT_ARGS = ["--max-head", "1024", "--max-headers", "10", "--max-body", "1000"]


def _exchange(port, data):
    """Sends data, reads until the server closes; returns (Response, how)."""
    c = lib.connect(port)
    try:
        c.sendall(data)
        got, how = longlib.recv_until_closed(c, 5)
    finally:
        c.close()
    r, rest = lib.read_response(got)
    assert r is not None, (how, got[:200])
    return r, how, rest


def _head(fields, line=b"GET /a.txt HTTP/1.1"):
    return line + b"\r\nHost: x\r\nConnection: close\r\n" + b"".join(
        b"%s: %s\r\n" % f for f in fields) + b"\r\n"


def test_limit_head_size_431():
    with longlib.Server(root=site(), args=LIMIT_ARGS) as s:
        under = _head([(b"X-Pad", b"p" * 900)])
        assert len(under) < 1000
        r, _, _ = _exchange(s.port, under)
        assert r.status == 200 and r.body == b"AAAA\n", r.raw_head
        over = _head([(b"X-Pad", b"p" * 1100)])
        r, how, rest = _exchange(s.port, over)
        assert r.status == 431, r.raw_head
        assert how == "eof" and rest == b"", (how, rest[:100])
        # Spread over several fields, each small.
        over = _head([(b"X-Pad-%d" % i, b"q" * 150) for i in range(8)])
        assert len(over) > 1100
        r, _, _ = _exchange(s.port, over)
        assert r.status == 431, r.raw_head


def test_limit_request_line_414():
    with longlib.Server(root=site(), args=LIMIT_ARGS) as s:
        r, how, _ = _exchange(s.port, _head([], line=b"GET /" + b"a" * 1100 + b" HTTP/1.1"))
        assert r.status == 414, r.raw_head
        assert how == "eof"
        ok_get(s.port, "/a.txt")


def test_limit_header_count_431():
    with longlib.Server(root=site(), args=LIMIT_ARGS) as s:
        # Host and Connection are two of the fields.
        r, _, _ = _exchange(s.port, _head([(b"X-F%d" % i, b"v") for i in range(8)]))
        assert r.status == 200, r.raw_head
        r, how, _ = _exchange(s.port, _head([(b"X-F%d" % i, b"v") for i in range(9)]))
        assert r.status == 431, r.raw_head
        assert how == "eof"
        r, _, _ = _exchange(s.port, _head([(b"X-F%d" % i, b"v") for i in range(50)]))
        assert r.status == 431, r.raw_head


def test_limit_body_413_and_close():
    with longlib.Server(root=site(), args=LIMIT_ARGS) as s:
        c = lib.connect(s.port)
        try:
            # At the limit: the body is read and dropped, the connection kept.
            c.sendall(b"GET /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"
                      + b"b" * 1000)
            r, rest = lib.read_one(c)
            assert r is not None and r.status == 200 and r.body == b"AAAA\n", r and r.raw_head
            assert (r.header("connection") or "").lower() != "close", r.raw_head
            c.sendall(longlib.get_request("/a.txt", close=False))
            r, _ = lib.read_one(c, buf=rest)
            assert r is not None and r.status == 200 and r.body == b"AAAA\n"
            # Over it: 413 and the server closes.
            c.sendall(b"POST /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n"
                      + b"b" * 1001)
            data, how = longlib.recv_until_closed(c, 5)
        finally:
            c.close()
        r, rest = lib.read_response(data)
        assert r is not None and r.status == 413, data[:200]
        assert r.header("connection", "").lower() == "close", r.raw_head
        assert how == "eof" and rest == b"", (how, rest[:100])
        # A huge declared length is refused at once, body unsent.
        r, how, _ = _exchange(s.port, b"PUT /x HTTP/1.1\r\nHost: x\r\n"
                              b"Content-Length: 1000000000000\r\n\r\n")
        assert r.status == 413 and how == "eof", (r.raw_head, how)


def _closed_after(c, earliest, latest):
    """Asserts the server does not close c before `earliest` seconds and
    does close it by `latest`; returns the time it took."""
    t0 = time.monotonic()
    assert not lib.peer_closed(c, earliest), f"closed before {earliest} s"
    assert lib.peer_closed(c, latest - earliest), f"still open after {latest} s"
    return time.monotonic() - t0


def test_keepalive_timeout_closes_idle_connection():
    with longlib.Server(root=site(), args=["--keepalive-timeout", "2",
                                           "--head-timeout", "60"]) as s:
        baseline = longlib.settled_fd_count(s.pid)
        c, r = longlib.open_keepalive(s.port, "/a.txt")
        try:
            _closed_after(c, 0.9, 2 + 3)
        finally:
            c.close()
        longlib.assert_fds_return(s.pid, baseline, 3, "after the keep-alive timeout")


def test_head_timeout_closes_partial_head():
    with longlib.Server(root=site(), args=["--head-timeout", "2",
                                           "--keepalive-timeout", "60"]) as s:
        baseline = longlib.settled_fd_count(s.pid)
        c = lib.connect(s.port)
        try:
            c.sendall(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n")
            _closed_after(c, 0.9, 2 + 3)
        finally:
            c.close()
        # After one request, a partial second head is on the head timeout
        # too, not the 60 s keep-alive one.
        c, _ = longlib.open_keepalive(s.port, "/a.txt")
        try:
            c.sendall(b"GET /a.txt HTTP/1.1\r\nHo")
            _closed_after(c, 0.9, 2 + 3)
        finally:
            c.close()
        longlib.assert_fds_return(s.pid, baseline, 3, "after the head timeouts")


# ---------------------------------------------------------------------------
# 6. Send timeout

def test_send_timeout_drops_client_that_never_reads():
    with longlib.Server(root=site(big=True), args=["--send-timeout", "2"]) as s:
        baseline = _baseline(s)
        c = longlib.small_rcvbuf_socket()
        try:
            c.settimeout(5)
            c.connect(("127.0.0.1", s.port))
            c.sendall(longlib.get_request("/big.bin", close=False))
            t0 = time.monotonic()
            assert lib.wait_for(lambda: lib.fd_count(s.pid) > baseline, 2)
            # Not before about the timeout (more than T-1 s: whole-second
            # clock)...
            time.sleep(0.8)
            assert lib.fd_count(s.pid) > baseline, "connection dropped before --send-timeout"
            # ...but within it (plus the once-a-second sweep and margin).
            longlib.assert_fds_return(s.pid, baseline, 2 + 4 - (time.monotonic() - t0),
                                      "a client that never reads, --send-timeout 2")
            # The client sees the response cut short, then the close.
            data, how = longlib.recv_until_closed(c, 20)
            assert how in ("eof", "reset"), how
            assert data.startswith(b"HTTP/1.1 200"), data[:100]
            assert len(data) < BIG, len(data)
        finally:
            c.close()
        ok_get(s.port, "/a.txt")


def test_send_timeout_spares_slow_reader_that_progresses():
    # --send-timeout is time without progress: a client that reads 64 KiB
    # every 0.25 s (256 KiB/s, steady) for 2.5 times the timeout must get
    # the whole file. The server fails this as of this writing: it counts
    # only its own sendfile progress, and the kernel reports the socket
    # writable again only after about a third of the send buffer (grown to
    # ~4 MB on loopback) has drained, which at 256 KiB/s takes longer than
    # the timeout.
    with longlib.Server(root=site(big=True), args=["--send-timeout", "2"]) as s:
        c = lib.connect(s.port, 10)
        try:
            c.sendall(longlib.get_request("/big.bin"))
            data = b""
            end = time.monotonic() + 5
            while time.monotonic() < end:
                want = len(data) + 65536
                while len(data) < want:
                    chunk = c.recv(want - len(data))
                    assert chunk, f"closed after {len(data)} bytes while reading steadily"
                    data += chunk
                time.sleep(0.25)
            slow = len(data)
            rest, how = longlib.recv_until_closed(c, 20)
            data += rest
        finally:
            c.close()
        head, _, body = data.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), head[:100]
        assert len(body) == BIG, (f"the response was cut after {len(body)} of {BIG} bytes "
                                  f"({how}); the client read {slow} bytes at 256 KiB/s first")


def test_connections_during_start_are_all_answered():
    """Clients that connect while the server is starting are either refused
    or answered, never accepted and then reset. A client hammers the port
    from before the server starts until it serves, many times over."""
    root = lib.make_site({"index.html": b"up\n"})
    for _ in range(40):
        port = lib.free_port()
        stop = threading.Event()
        failures, answered = [], [0]

        def hammer():
            while not stop.is_set():
                try:
                    s = socket.create_connection(("127.0.0.1", port), timeout=5)
                except OSError:
                    continue  # not listening yet: refused is fine
                try:
                    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    got = lib.recv_all(s, 5)
                finally:
                    s.close()
                if not got.startswith(b"HTTP/1.1 200"):
                    failures.append(got[:80])
                else:
                    answered[0] += 1
                    if answered[0] >= 3:
                        return

        t = threading.Thread(target=hammer)
        t.start()
        srv = lib.Server(root=root)
        srv.port = port
        try:
            with srv:
                t.join(timeout=10)
        finally:
            stop.set()
            t.join()
        assert not failures, f"accepted connections left unanswered: {failures[:3]}"
        assert answered[0] >= 3
