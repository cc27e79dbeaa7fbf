"""Persistent connections: HTTP/1.1 keep-alive, pipelining, HTTP/1.0
with and without keep-alive, Connection: close, and the head and
keep-alive timeouts."""
import socket
import time

import lib

FILES = {
    "index.html": b"<p>index</p>\n",
    "a.txt": b"AAAA\n",
    "b.txt": b"BBBBBBBB\n",
    "c.css": b"body{}\n",
}


def site():
    return lib.make_site(FILES)


def get(path, version="1.1", extra=""):
    host = "Host: localhost\r\n" if version == "1.1" else ""
    return f"GET {path} HTTP/{version}\r\n{host}{extra}\r\n".encode()


def test_keep_alive_sequential_requests():
    with lib.Server(root=site()) as s:
        c = lib.connect(s.port)
        try:
            buf = b""
            for path in ("/a.txt", "/b.txt", "/", "/missing", "/a.txt"):
                c.sendall(get(path))
                r, buf = lib.read_one(c, buf=buf)
                assert r is not None, path
                expect = FILES.get(path.lstrip("/") or "index.html")
                assert r.status == (200 if expect else 404), (path, r.raw_head)
                if expect:
                    assert r.body == expect
                assert (r.header("connection") or "").lower() != "close", r.raw_head
            assert buf == b""
        finally:
            c.close()


def test_pipelined_requests_answered_in_order():
    with lib.Server(root=site()) as s:
        paths = ["/a.txt", "/b.txt", "/c.css", "/missing", "/", "/a.txt"] * 5
        methods = ["GET", "GET", "HEAD", "GET", "GET", "HEAD"] * 5
        data = b"".join(f"{m} {p} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
                        for m, p in zip(methods, paths))
        data += get("/b.txt", extra="Connection: close\r\n")
        got = lib.exchange(s.port, data, timeout=10)
        rs, rest = lib.parse_seq(got, methods + ["GET"])
        assert len(rs) == len(paths) + 1, (len(rs), got[-300:])
        assert rest == b""
        for r, p, m in zip(rs, paths, methods):
            name = p.lstrip("/") or "index.html"
            if name in FILES:
                assert r.status == 200, (p, r.raw_head)
                assert int(r.header("content-length")) == len(FILES[name]), p
                assert r.body == (b"" if m == "HEAD" else FILES[name]), (p, m, r.body)
            else:
                assert r.status == 404, (p, r.raw_head)
        assert rs[-1].body == FILES["b.txt"]
        assert rs[-1].header("connection", "").lower() == "close"


def test_pipelined_then_half_close_gets_every_response():
    # Pipelined responses are gathered for one write; a client that shuts
    # its side right after its requests (on a connection already in use,
    # so the FIN comes with them) still gets every one of them, in order.
    with lib.Server(root=site()) as s:
        c = lib.connect(s.port)
        c.sendall(get("/a.txt"))
        first, rest = lib.read_one(c)
        assert first is not None and first.status == 200 and rest == b""
        time.sleep(0.2)  # the connection now waits in epoll
        paths = ["/a.txt", "/b.txt", "/missing", "/a.txt", "/b.txt"]
        c.sendall(b"".join(get(p) for p in paths))
        c.shutdown(socket.SHUT_WR)
        c.settimeout(10)
        got = b""
        while True:
            chunk = c.recv(65536)
            if not chunk:
                break
            got += chunk
        c.close()
        rs, rest = lib.parse_seq(got, ["GET"] * len(paths))
        assert len(rs) == len(paths) and rest == b"", (len(rs), got[-200:])
        for r, p in zip(rs, paths):
            name = p.lstrip("/")
            assert r.status == (200 if name in FILES else 404), (p, r.raw_head)
            if name in FILES:
                assert r.body == FILES[name], p


def test_pipelined_in_one_segment_byte_exact():
    with lib.Server(root=site()) as s:
        data = get("/a.txt") + get("/b.txt") + get("/a.txt", extra="Connection: close\r\n")
        got = lib.exchange(s.port, data)
        rs, rest = lib.parse_seq(got, ["GET"] * 3)
        assert [r.body for r in rs] == [FILES["a.txt"], FILES["b.txt"], FILES["a.txt"]], got
        assert rest == b""


def test_pipelined_after_request_with_body():
    # A request body (here on a 501) is consumed, so the next request is
    # read from the right place.
    with lib.Server(root=site()) as s:
        data = (b"POST /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 13\r\n\r\nGET /b.txt XX"
                + get("/a.txt", extra="Connection: close\r\n"))
        got = lib.exchange(s.port, data)
        rs, rest = lib.parse_seq(got, ["POST", "GET"])
        assert len(rs) == 2, got
        assert rs[0].status == 501
        assert rs[1].status == 200 and rs[1].body == FILES["a.txt"], rs[1].raw_head
        assert rest == b""


def test_connection_close_honoured():
    with lib.Server(root=site()) as s:
        c = lib.connect(s.port)
        try:
            # A request after the one with Connection: close is not answered.
            c.sendall(get("/a.txt", extra="Connection: close\r\n") + get("/b.txt"))
            r, buf = lib.read_one(c)
            assert r is not None and r.status == 200 and r.body == FILES["a.txt"]
            assert r.header("connection", "").lower() == "close", r.raw_head
            assert lib.peer_closed(c, 5), "server kept the connection open"
            assert b"BBBB" not in buf
        finally:
            c.close()


def test_connection_close_token_in_list():
    with lib.Server(root=site()) as s:
        c = lib.connect(s.port)
        try:
            c.sendall(get("/a.txt", extra="Connection: foo, Close\r\n"))
            r, _ = lib.read_one(c)
            assert r.status == 200 and r.header("connection", "").lower() == "close"
            assert lib.peer_closed(c, 5)
        finally:
            c.close()


def test_http10_closes_by_default():
    with lib.Server(root=site()) as s:
        c = lib.connect(s.port)
        try:
            c.sendall(get("/a.txt", version="1.0"))
            r, _ = lib.read_one(c)
            assert r is not None and r.status == 200 and r.body == FILES["a.txt"]
            assert (r.header("connection") or "close").lower() == "close", r.raw_head
            # We never half-close: the server must close by itself.
            assert lib.peer_closed(c, 5), "HTTP/1.0 connection left open"
        finally:
            c.close()


def test_http10_keep_alive_when_asked():
    with lib.Server(root=site()) as s:
        c = lib.connect(s.port)
        try:
            buf = b""
            for path in ("/a.txt", "/b.txt", "/missing"):
                c.sendall(get(path, version="1.0", extra="Connection: keep-alive\r\n"))
                r, buf = lib.read_one(c, buf=buf)
                assert r is not None, path
                assert r.header("connection", "").lower() == "keep-alive", (path, r.raw_head)
            assert not lib.peer_closed(c, 0.5), "keep-alive connection closed"
            # Without the token the next response closes.
            c.sendall(get("/a.txt", version="1.0"))
            r, buf = lib.read_one(c, buf=buf)
            assert r is not None and r.status == 200
            assert lib.peer_closed(c, 5)
        finally:
            c.close()


def test_http10_head_and_keep_alive_pipelined():
    with lib.Server(root=site()) as s:
        data = (b"HEAD /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                b"GET /b.txt HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"
                b"GET /a.txt HTTP/1.0\r\n\r\n")
        got = lib.exchange(s.port, data)
        rs, rest = lib.parse_seq(got, ["HEAD", "GET", "GET"])
        assert len(rs) == 3 and rest == b"", got
        assert rs[0].body == b"" and rs[0].header("content-length") == "5"
        assert rs[1].body == FILES["b.txt"]
        assert rs[2].body == FILES["a.txt"]


def test_head_timeout_closes_incomplete_head():
    with lib.Server(root=site(), args=["--head-timeout", "1", "--keepalive-timeout", "60"]) as s:
        partial = lib.connect(s.port)
        silent = lib.connect(s.port)
        idle = lib.connect(s.port)
        try:
            partial.sendall(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n")
            # A completed request on another connection: its keep-alive
            # idle time is governed by the 60 s keep-alive timeout.
            idle.sendall(get("/a.txt"))
            r, _ = lib.read_one(idle)
            assert r is not None and r.status == 200
            assert lib.peer_closed(partial, 8), "incomplete head not timed out"
            assert lib.peer_closed(silent, 8), "silent connection not timed out"
            # The idle keep-alive connection is still usable.
            idle.sendall(get("/b.txt"))
            r, _ = lib.read_one(idle)
            assert r is not None and r.status == 200 and r.body == FILES["b.txt"]
        finally:
            for c in (partial, silent, idle):
                c.close()


def test_head_timeout_not_extended_by_trickling():
    with lib.Server(root=site(), args=["--head-timeout", "2"]) as s:
        c = lib.connect(s.port)
        try:
            c.sendall(b"GET /a.txt HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            end = time.monotonic() + 10
            closed = False
            while time.monotonic() < end:
                try:
                    c.sendall(b"a")
                except (BrokenPipeError, ConnectionResetError):
                    closed = True
                    break
                if lib.peer_closed(c, 0.25):
                    closed = True
                    break
            assert closed, "a head trickled byte by byte was never timed out"
        finally:
            c.close()


def test_keepalive_timeout_closes_idle_connection():
    with lib.Server(root=site(), args=["--keepalive-timeout", "2", "--head-timeout", "60"]) as s:
        c = lib.connect(s.port)
        try:
            c.sendall(get("/a.txt"))
            r, _ = lib.read_one(c)
            assert r is not None and r.status == 200
            # Well inside the timeout the connection still serves.
            c.sendall(get("/b.txt"))
            r, _ = lib.read_one(c)
            assert r is not None and r.body == FILES["b.txt"]
            t0 = time.monotonic()
            assert lib.peer_closed(c, 10), "idle keep-alive connection not closed"
            assert time.monotonic() - t0 >= 0.5, "closed long before the keep-alive timeout"
        finally:
            c.close()
