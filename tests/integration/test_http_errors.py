"""Bad input: malformed request lines and headers (400), oversized heads
(431, 414), unsupported versions (505), Host rules. Every error is a
complete response: status line, Content-Type, Content-Length, body."""
import socket

import lib

REASONS = {400: "Bad Request", 414: "URI Too Long", 431: "Request Header Fields Too Large",
           505: "HTTP Version Not Supported"}


def site():
    return lib.make_site({"index.html": b"<p>index</p>\n", "a.txt": b"AAAA\n"})


def check_error(data, status, context):
    r, rest = lib.read_response(data)
    assert r is not None, (context, data[:300])
    assert r.status == status, (context, r.raw_head)
    assert r.reason == REASONS[status], (context, r.raw_head)
    assert r.header("content-type", "").startswith("text/html"), (context, r.raw_head)
    cl = r.header("content-length")
    assert cl is not None and int(cl) == len(r.body) > 0, (context, r.raw_head, r.body)
    assert f"{status} {REASONS[status]}".encode() in r.body, (context, r.body)
    assert r.header("date") and r.header("server"), (context, r.raw_head)
    assert rest == b"", (context, rest[:200])
    return r


def send(port, data, timeout=5.0):
    """Sends data and reads the answer without half-closing first, so the
    server has to end the response (and close) on its own."""
    return lib.exchange(port, data, timeout=timeout)


MALFORMED = [
    b"GARBAGE\r\n\r\n",
    b"GET\r\n\r\n",
    b"GET /\r\n\r\n",
    b"GET / \r\n\r\n",
    b"GET  / HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET / HTTP/1.1 \r\nHost: x\r\n\r\n",
    b" GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET / HTTP/1.1\rHost: x\r\n\r\n",
    b"GET / HTTP/1.x\r\nHost: x\r\n\r\n",
    b"GET / HTTP/11\r\nHost: x\r\n\r\n",
    b"GET / http/1.1\r\nHost: x\r\n\r\n",
    b"GET / FOO/1.1\r\nHost: x\r\n\r\n",
    b"G(T / HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /a\x01b HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET a.txt HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost x\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost : x\r\n\r\n",
    b"GET / HTTP/1.1\r\n: novalue\r\nHost: x\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nX-Bad Name: y\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nX-Ctl: a\x00b\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nX-Ctl: a\x7fb\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nX-CR: a\rb\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
    b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"GET /a#frag HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: bad host\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x/y\r\n\r\n",
]


def test_malformed_requests_400():
    with lib.Server(root=site()) as s:
        for req in MALFORMED:
            r = check_error(send(s.port, req), 400, req)
            assert r.header("connection", "").lower() == "close", (req, r.raw_head)


# Well-framed requests whose target cannot be a path: 400, but the
# connection may stay open, so these ask for close.
BAD_TARGETS = [b"/%zz", b"/%4", b"/a%", b"/%g0", b"/a%00b"]


def test_bad_percent_escapes_400():
    with lib.Server(root=site()) as s:
        for t in BAD_TARGETS:
            req = b"GET " + t + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            check_error(send(s.port, req), 400, t)
        # On a keep-alive connection the next request is still answered.
        data = send(s.port, b"GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n"
                            b"GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        rs, _ = lib.parse_seq(data, ["GET", "GET"])
        assert [r.status for r in rs] in ([400, 200], [400]), data
        if len(rs) == 2:
            assert rs[1].body == b"AAAA\n"
        else:
            assert rs[0].header("connection", "").lower() == "close", rs[0].raw_head


def test_400_on_keep_alive_connection_closes_it():
    with lib.Server(root=site()) as s:
        c = lib.connect(s.port)
        try:
            c.sendall(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n")
            r, _ = lib.read_one(c)
            assert r.status == 200
            c.sendall(b"GET / HTTP/1.1\r\nHost : x\r\n\r\nGET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n")
            data = lib.recv_all(c, 5)
            check_error(data, 400, "second request")
            assert b"AAAA" not in data
        finally:
            c.close()


def test_missing_host_http11_400():
    with lib.Server(root=site()) as s:
        check_error(send(s.port, b"GET /a.txt HTTP/1.1\r\n\r\n"), 400, "no host")
        check_error(send(s.port, b"GET /a.txt HTTP/1.1\r\nUser-Agent: t\r\n\r\n"), 400, "no host")
        # HTTP/1.0 does not need Host.
        data = lib.exchange(s.port, b"GET /a.txt HTTP/1.0\r\n\r\n")
        r, _ = lib.read_response(data)
        assert r.status == 200 and r.body == b"AAAA\n", data[:200]


def test_two_host_headers_400():
    with lib.Server(root=site()) as s:
        for req in (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
                    b"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",
                    b"GET / HTTP/1.1\r\nHost: a\r\nX: y\r\nhost: a\r\n\r\n",
                    b"GET / HTTP/1.0\r\nHost: a\r\nHOST: b\r\n\r\n"):
            check_error(send(s.port, req), 400, req)


def test_unsupported_versions_505():
    with lib.Server(root=site()) as s:
        for v in (b"HTTP/2.0", b"HTTP/1.2", b"HTTP/1.9", b"HTTP/3.0", b"HTTP/0.9", b"HTTP/9.9"):
            r = check_error(send(s.port, b"GET / " + v + b"\r\nHost: x\r\n\r\n"), 505, v)
            assert r.raw_head.startswith("HTTP/1.1 505") or r.raw_head.startswith("HTTP/1.0 505")


def test_head_over_16k_431():
    with lib.Server(root=site()) as s:
        # 20 fields of 1 KiB: about 20 KiB of header, few fields.
        fields = b"".join(b"X-Pad-%02d: %s\r\n" % (i, b"v" * 1000) for i in range(20))
        req = b"GET / HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n"
        check_error(send(s.port, req), 431, "20 KiB head")
        # One huge field.
        req = b"GET / HTTP/1.1\r\nHost: x\r\nX-Huge: " + b"h" * 17000 + b"\r\n\r\n"
        check_error(send(s.port, req), 431, "one 17 KB field")
        # The request arrives in pieces and never ends.
        c = lib.connect(s.port)
        try:
            c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
            for i in range(40):
                try:
                    c.sendall(b"X-More-%02d: %s\r\n" % (i, b"m" * 500))
                except (BrokenPipeError, ConnectionResetError):
                    break
            check_error(lib.recv_all(c, 5), 431, "trickled head")
        finally:
            c.close()


def test_head_under_16k_accepted():
    with lib.Server(root=site()) as s:
        fields = b"".join(b"X-Pad-%02d: %s\r\n" % (i, b"v" * 1000) for i in range(14))
        req = b"GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + fields + b"\r\n"
        assert len(req) < 16000
        r, _ = lib.read_response(send(s.port, req))
        assert r.status == 200 and r.body == b"AAAA\n", r.raw_head


def test_request_line_too_long_414():
    with lib.Server(root=site()) as s:
        # Longer than the whole head limit: the line never ends in 16 KiB.
        req = b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        check_error(send(s.port, req), 414, "20 KB line")
        # Longer than any path the server takes, but within the head limit.
        req = b"GET /" + b"b" * 9000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        check_error(send(s.port, req), 414, "9 KB line")


def test_errors_are_complete_for_head_requests():
    with lib.Server(root=site()) as s:
        data = send(s.port, b"HEAD / HTTP/1.1\r\n\r\n")
        r, rest = lib.read_response(data, head_only=True)
        assert r is not None and r.status == 400, data
        assert r.header("content-type", "").startswith("text/html")
        assert int(r.header("content-length")) > 0
        assert rest == b"", rest


def test_server_survives_garbage():
    with lib.Server(root=site()) as s:
        for junk in (b"\x00" * 100, b"\r\n" * 50, bytes(range(256)) * 4, b"\xff\xfe" * 3000,
                     b"GET / HTTP/1.1\r\n" + b"A: b\r\n" * 200 + b"\r\n"):
            try:
                lib.raw(s.port, junk, timeout=3)
            except OSError:
                pass
        r = lib.request(s.port, "/a.txt")
        assert r.status == 200 and r.body == b"AAAA\n"
