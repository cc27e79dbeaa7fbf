"""Several listeners in one process (--listen, `listen:` in the config
file): plain and TLS TCP ports, a unix socket and a PROXY protocol port
beside the main one, each serving the same sites; the list handed over on a
SIGUSR2 upgrade; bad specs refused at start-up."""
import os
import signal
import socket
import ssl
import subprocess
import time

import conflib as cl
import lib


def site():
    return lib.make_site({"index.html": b"hello\n", "a.txt": b"A\n"})


def test_plain_tls_unix_and_proxy_listeners_together():
    cl.need_openssl()
    root = site()
    d = lib.tempdir()
    cert, key = cl.self_signed("listen.test", d)
    plain, tls, prox = lib.free_port(), lib.free_port(), lib.free_port()
    sock = os.path.join(d, "tern.sock")
    args = ["--listen", f"127.0.0.1:{plain}", "--listen", f"127.0.0.1:{tls},tls",
            "--listen", f"unix:{sock}", "--listen", f"127.0.0.1:{prox},proxy-protocol",
            "--tls-cert", cert, "--tls-key", key, "--access-log", "on"]
    with lib.Server(root=root, args=args) as s:
        for p in (plain, tls, prox):
            assert lib.wait_port(p), p
        # The main port speaks TLS (a certificate is given); the plain one HTTP.
        r = lib.request(plain, "/a.txt")
        assert r.status == 200 and r.body == b"A\n", r
        c = lib.curl("-sk", "--resolve", f"listen.test:{tls}:127.0.0.1",
                     f"https://listen.test:{tls}/a.txt", "-w", "%{http_code}")
        assert c.stdout == b"A\n200", c
        c = lib.curl("-sk", "--http2", f"https://127.0.0.1:{s.port}/a.txt", "-w", "%{http_version}")
        assert c.stdout == b"A\n2", c
        r = lib.unix_request(sock, "/a.txt")
        assert r.status == 200 and r.body == b"A\n", r
        # The PROXY port wants its header; curl sends v1.
        c = lib.curl("-s", "--haproxy-protocol", f"http://127.0.0.1:{prox}/a.txt")
        assert c.stdout == b"A\n", c
        with socket.create_connection(("127.0.0.1", prox), timeout=5) as x:
            x.sendall(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n")
            x.settimeout(5)
            try:
                got = x.recv(100)
            except ConnectionResetError:
                got = b""  # closed with the request unread: a reset
            assert got == b"", f"no PROXY header: closed without an answer, got {got!r}"
        # The main port needs no PROXY header (only that listener asked).
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with socket.create_connection(("127.0.0.1", s.port), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname="listen.test") as t:
                t.sendall(b"GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                got = lib.recv_all(t)
        assert got.startswith(b"HTTP/1.1 200") and got.endswith(b"A\n"), got[:200]
    # The unix socket file goes with the server.
    assert not os.path.exists(sock)


def test_listen_list_from_the_config_file_and_command_line_replaces_it():
    cl.need_config()
    root = site()
    a, b, c = lib.free_port(), lib.free_port(), lib.free_port()
    conf = cl.config(f"root: {cl.q(root)}\nlisten:\n  - \"127.0.0.1:{a}\"\n  - \"127.0.0.1:{b}\"\n")
    with cl.ConfServer(conf) as s:
        for p in (s.port, a, b):
            assert lib.wait_port(p), p
            assert lib.request(p, "/a.txt").body == b"A\n"
    with cl.ConfServer(conf, args=["--listen", f"127.0.0.1:{c}"]) as s:
        assert lib.wait_port(c)
        assert lib.request(c, "/a.txt").body == b"A\n"
        assert cl.not_listening(a) and cl.not_listening(b), "the command line's list replaces"


def test_bad_listen_specs_refused():
    root = site()
    for spec, why in (("0", "port"), ("70000", "port"), ("127.0.0.1:", "port"),
                      ("8080,bogus", "unknown flag 'bogus'"), ("unix:", "unix:PATH"),
                      ("unix:/tmp/x,tls", "without tls"), ("9,tls", "needs a certificate")):
        r = lib.run_server(["-p", str(lib.free_port()), "-a", "127.0.0.1", "-d", root,
                            "--listen", spec])
        assert r.returncode == 2, (spec, r)
        assert why in r.stderr, (spec, r.stderr)


def test_upgrade_hands_every_listener_over():
    root = site()
    d = lib.tempdir()
    extra = lib.free_port()
    sock = os.path.join(d, "x.sock")
    pid_file = os.path.join(d, "tern.pid")
    args = ["--listen", f"127.0.0.1:{extra}", "--listen", f"unix:{sock}", "--pid-file", pid_file]
    with lib.Server(root=root, args=args) as s:
        assert lib.wait_port(extra)
        old = s.proc.pid
        s.proc.send_signal(signal.SIGUSR2)
        # The old server drains and exits once the new one serves.
        lib.wait_for(lambda: s.proc.poll() is not None, 15)
        assert s.proc.returncode == 0, s.proc.returncode
        new = int(lib.read_text(pid_file))
        lib.register(new)
        assert new != old
        try:
            for p in (s.port, extra):
                r = lib.request(p, "/a.txt")
                assert r.status == 200 and r.body == b"A\n", (p, r)
            r = lib.unix_request(sock, "/a.txt")
            assert r.status == 200, r
        finally:
            os.kill(new, signal.SIGTERM)
            lib.wait_gone(new)
    assert not os.path.exists(sock)
