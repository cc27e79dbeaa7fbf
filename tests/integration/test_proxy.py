"""Behind a proxy (docs/config.md, "Behind a proxy or a load balancer"):
--trusted-proxies takes the client address of the access log from
X-Forwarded-For (rightmost untrusted hop) or X-Real-IP, only from trusted
peers, over HTTP/1.1 and HTTP/2; --proxy-protocol requires a PROXY v1 or v2
header on every connection (TCP4, TCP6, byte by byte, in front of TLS and
on the --redirect-http port) and closes, without a response, connections
that lack one or send garbage or nothing.

    python3 tests/run_integration.py --server bin/server -k test_proxy"""
import os
import socket
import ssl
import struct
import time

import conflib as cl
import h2lib as h
import lib

BODY = b"<p>behind a proxy</p>\n"


class LogServer(lib.Server):
    """The server on a small site, its log in a file read while it runs."""

    def __init__(self, args=()):
        self.log = os.path.join(lib.tempdir(), "server.log")
        super().__init__(root=lib.make_site({"index.html": BODY, "a.txt": b"a\n"}),
                         args=["--log-file", self.log, *args])

    log_text = cl.ConfServer.log_text
    client_of = cl.ConfServer.client_of


def get(port, path, headers=None):
    r = lib.request(port, path, headers=headers)
    assert r.status in (200, 404), (path, r.raw_head)
    return r


# ---------------------------------------------------------------------------
# X-Forwarded-For, X-Real-IP


def test_forwarded_for_from_a_trusted_peer():
    with LogServer(["--trusted-proxies", "127.0.0.0/8, 10.0.0.0/8, ::1"]) as s:
        cases = [
            ("/t1", {"X-Forwarded-For": "203.0.113.7"}, "203.0.113.7"),
            # From the right, passing over every trusted hop.
            ("/t2", {"X-Forwarded-For": "198.51.100.1, 203.0.113.9, 10.1.2.3"}, "203.0.113.9"),
            ("/t3", {"X-Forwarded-For": "198.51.100.1,203.0.113.9"}, "203.0.113.9"),
            ("/t4", {"X-Forwarded-For": "198.51.100.1, 203.0.113.9, 10.0.0.1, 127.0.0.5"},
             "203.0.113.9"),
            ("/t5", {"X-Real-IP": "198.51.100.23"}, "198.51.100.23"),
            ("/t6", {"X-Forwarded-For": "203.0.113.5", "X-Real-IP": "198.51.100.99"},
             "203.0.113.5"),
            ("/t7", {"X-Forwarded-For": "2001:db8::7"}, "2001:db8::7"),
            ("/t8", {}, "127.0.0.1"),
        ]
        for path, headers, _ in cases:
            get(s.port, path, headers)
        for path, _, want in cases:
            assert s.client_of(path) == want, (path, want, s.log_text()[-2000:])
        # curl as the proxy would send it.
        p = lib.curl("-H", "X-Forwarded-For: 192.0.2.44", f"http://127.0.0.1:{s.port}/c1")
        assert p.returncode == 0
        assert s.client_of("/c1") == "192.0.2.44"


def test_forwarded_for_from_an_untrusted_peer_is_ignored():
    with LogServer(["--trusted-proxies", "10.0.0.0/8, ::1"]) as s:
        get(s.port, "/u1", {"X-Forwarded-For": "203.0.113.7"})
        get(s.port, "/u2", {"X-Real-IP": "198.51.100.23"})
        get(s.port, "/u3", {"X-Forwarded-For": "203.0.113.7", "X-Real-IP": "198.51.100.2"})
        for path in ("/u1", "/u2", "/u3"):
            assert s.client_of(path) == "127.0.0.1", (path, s.log_text()[-2000:])
    # Without --trusted-proxies nobody is believed.
    with LogServer() as s:
        get(s.port, "/n1", {"X-Forwarded-For": "203.0.113.7"})
        get(s.port, "/n2", {"X-Real-IP": "198.51.100.23"})
        assert s.client_of("/n1") == "127.0.0.1" and s.client_of("/n2") == "127.0.0.1"


def test_forwarded_for_over_http2():
    h.need_h2()
    with LogServer(["--trusted-proxies", "127.0.0.1"]) as s:
        with h.Client(s.port) as c:
            st = c.get("/h1", [("x-forwarded-for", "198.51.100.1, 203.0.113.70")])
            assert st.status == 404
            st = c.get("/h2", [("x-real-ip", "203.0.113.71")])
            assert st.status == 404
            st = c.get("/")
            assert st.status == 200 and bytes(st.body) == BODY
        assert s.client_of("/h1") == "203.0.113.70", s.log_text()[-2000:]
        assert s.client_of("/h2") == "203.0.113.71"
        assert s.client_of("/") == "127.0.0.1"


def test_trusted_proxies_from_the_config_file():
    cl.need_config()
    root = lib.make_site({"index.html": BODY})
    conf = cl.config(f'root: {cl.q(root)}\ntrusted-proxies: "192.168.0.0/16, 127.0.0.1"\n')
    with cl.ConfServer(conf) as s:
        get(s.port, "/f1", {"X-Forwarded-For": "203.0.113.8"})
        assert s.client_of("/f1") == "203.0.113.8"
    conf = cl.config(f'root: {cl.q(root)}\ntrusted-proxies: "192.168.0.0/16"\n')
    with cl.ConfServer(conf) as s:
        get(s.port, "/f2", {"X-Forwarded-For": "203.0.113.8"})
        assert s.client_of("/f2") == "127.0.0.1"


# ---------------------------------------------------------------------------
# PROXY protocol


V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def v1(src, dst="127.0.0.1", sport=56324, dport=443, fam="TCP4"):
    return f"PROXY {fam} {src} {dst} {sport} {dport}\r\n".encode()


def v2(src, dst, sport=56324, dport=443, six=False, command=0x21):
    af = socket.AF_INET6 if six else socket.AF_INET
    body = socket.inet_pton(af, src) + socket.inet_pton(af, dst) + struct.pack("!HH", sport, dport)
    return V2_SIG + bytes([command, 0x21 if six else 0x11]) + struct.pack("!H", len(body)) + body


def req(path):
    return f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode()


def send_and_read(port, data, timeout=5.0):
    """Sends data, half-closes and reads until the server closes; a server
    that closes first (reset) is fine: returns what was read."""
    c = lib.connect(port, timeout)
    try:
        try:
            c.sendall(data)
            c.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        return lib.recv_all(c, timeout)
    finally:
        c.close()


def answer(port, data, timeout=5.0):
    got = lib.exchange(port, data, timeout)
    r, _ = lib.read_response(got)
    assert r is not None, (data[:80], got[:200])
    return r


def test_proxy_v1_and_v2_give_the_client_address():
    with LogServer(["--proxy-protocol"]) as s:
        cases = [
            ("/p1", v1("192.0.2.10"), "192.0.2.10"),
            ("/p2", v1("2001:db8::10", "::1", fam="TCP6"), "2001:db8::10"),
            ("/p3", v2("198.51.100.20", "10.0.0.1"), "198.51.100.20"),
            ("/p4", v2("2001:db8::20", "2001:db8::1", six=True), "2001:db8::20"),
        ]
        for path, head, _ in cases:
            r = answer(s.port, head + req(path))
            assert r.status == 404, (path, r.raw_head)
        r = answer(s.port, v1("192.0.2.11") + req("/"))
        assert r.status == 200 and r.body == BODY
        for path, _, want in cases:
            assert s.client_of(path) == want, (path, s.log_text()[-2000:])
        # Keep-alive: the header comes once, then several requests.
        c = lib.connect(s.port)
        try:
            c.sendall(v1("192.0.2.12"))
            buf = b""
            for path in ("/k1", "/k2"):
                r, buf = cl.keepalive_get(c, path, "localhost", buf)
                assert r.status == 404
        finally:
            c.close()
        assert s.client_of("/k1") == "192.0.2.12" and s.client_of("/k2") == "192.0.2.12"


def test_proxy_header_sent_byte_by_byte():
    with LogServer(["--proxy-protocol"]) as s:
        for path, head, want in (("/slow1", v1("192.0.2.30"), "192.0.2.30"),
                                 ("/slow2", v2("192.0.2.31", "127.0.0.1"), "192.0.2.31")):
            c = lib.connect(s.port)
            try:
                for i in range(len(head)):
                    c.sendall(head[i:i + 1])
                    time.sleep(0.01)
                c.sendall(req(path))
                r, _ = lib.read_response(lib.recv_all(c))
            finally:
                c.close()
            assert r is not None and r.status == 404, path
            assert s.client_of(path) == want


GARBAGE = [
    req("/g"),  # no header at all
    b"GARBAGE\r\n\r\n" + req("/g"),
    b"PROXY TCP4 999.0.2.1 127.0.0.1 1 2\r\n" + req("/g"),
    b"PROXY TCP4 192.0.2.1 127.0.0.1 1\r\n" + req("/g"),
    b"PROXY TCP5 192.0.2.1 127.0.0.1 1 2\r\n" + req("/g"),
    b"PROXY TCP4 192.0.2.1 127.0.0.1 1 99999\r\n" + req("/g"),
    b"PROXY TCP4 2001:db8::1 127.0.0.1 1 2\r\n" + req("/g"),
    b"PROXY TCP4 192.0.2.1 127.0.0.1 1 2\n" + req("/g"),
    b"PROXY TCP4 " + b"1" * 120 + b"\r\n" + req("/g"),
    b"proxy TCP4 192.0.2.1 127.0.0.1 1 2\r\n" + req("/g"),
    V2_SIG + b"\x31\x11\x00\x0c" + b"\x00" * 12 + req("/g"),  # version 3
    V2_SIG[:-1] + b"X" + b"\x21\x11\x00\x0c" + b"\x00" * 12 + req("/g"),
    V2_SIG + b"\x21\x11\x00\x04" + b"\x00" * 4 + req("/g"),  # too short for TCP4
    # Half a header, then the client's end of stream: it can never complete.
    V2_SIG + b"\x21\x11\x01\x00",  # promises 256 bytes
    b"PROXY TCP4 192.0.2",
]


def test_proxy_missing_or_garbage_header_is_closed():
    with LogServer(["--proxy-protocol"]) as s:
        slow = []
        for data in GARBAGE:
            t0 = time.monotonic()
            got = send_and_read(s.port, data, timeout=3.0)
            assert got == b"", (data[:60], got[:200])
            if time.monotonic() - t0 > 2.0:
                slow.append(data[:40])
        assert not slow, f"not closed within 2 s of the client's end of stream: {slow}"
        # No line for them in the log; a good client is still served.
        r = answer(s.port, v1("192.0.2.40") + req("/"))
        assert r.status == 200 and r.body == BODY
        assert s.client_of("/") == "192.0.2.40"
        assert "/g" not in "".join(l.split('"')[1] for l in s.log_text().splitlines()
                                   if lib.LOG_LINE.match(l)), s.log_text()


def test_proxy_silent_connection_closed_after_head_timeout():
    with LogServer(["--proxy-protocol", "--head-timeout", "1"]) as s:
        c = lib.connect(s.port)
        try:
            t0 = time.monotonic()
            assert lib.peer_closed(c, 4.0), "a connection that sent nothing stayed open"
            took = time.monotonic() - t0
            assert 0.5 < took < 3.5, took
        finally:
            c.close()
        # Half a header, then nothing: closed the same way.
        c = lib.connect(s.port)
        try:
            c.sendall(b"PROXY TCP4 192.0.2")
            assert lib.peer_closed(c, 4.0), "a connection with half a header stayed open"
        finally:
            c.close()


def test_proxy_header_in_front_of_tls_and_redirect_port():
    cl.need_openssl()
    cert, key = cl.self_signed("localhost")
    plain = lib.free_port()
    with LogServer(["--proxy-protocol", "--tls-cert", cert, "--tls-key", key,
                    "--redirect-http", str(plain)]) as s:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(cert)
        for path, head, want in (("/tls1", v1("192.0.2.50"), "192.0.2.50"),
                                 ("/tls2", v2("2001:db8::50", "::1", six=True), "2001:db8::50")):
            raw = socket.create_connection(("127.0.0.1", s.port), timeout=5)
            raw.sendall(head)
            with ctx.wrap_socket(raw, server_hostname="localhost") as t:
                t.sendall(req(path))
                data = b""
                while True:
                    try:
                        chunk = t.recv(65536)
                    except (ssl.SSLError, OSError):
                        break
                    if not chunk:
                        break
                    data += chunk
            r, _ = lib.read_response(data)
            assert r is not None and r.status == 404, (path, data[:200])
            assert s.client_of(path) == want
        # A TLS hello without the header is refused.
        raw = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        try:
            try:
                ctx.wrap_socket(raw, server_hostname="localhost").close()
                raise AssertionError("a TLS handshake without a PROXY header succeeded")
            except (ssl.SSLError, OSError):
                pass
        finally:
            raw.close()
        # The --redirect-http port wants the header too.
        assert lib.wait_port(plain)
        assert send_and_read(plain, req("/r")) == b""
        r = answer(plain, v1("192.0.2.60") + req("/r2"))
        assert r.status == 308 and r.header("location") == f"https://localhost:{s.port}/r2"
