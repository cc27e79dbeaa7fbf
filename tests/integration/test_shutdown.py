"""Stopping with SIGTERM or SIGINT: exit 0, "Stopped" logged, in-flight
responses completed intact, new connections refused, idle connections
not waited for, the grace period bounded, the pid file removed."""
import hashlib
import os
import signal
import socket
import subprocess
import time

import lib

BIG = 50 * 1024 * 1024


def big_site():
    root = lib.tempdir()
    block = os.urandom(1 << 20)
    with open(os.path.join(root, "big.bin"), "wb") as f:
        for i in range(BIG >> 20):
            f.write(i.to_bytes(4, "big") + block[4:])
    with open(os.path.join(root, "index.html"), "wb") as f:
        f.write(b"<p>i</p>\n")
    return root


def small_site():
    return lib.make_site({"index.html": b"<p>i</p>\n"})


def test_sigterm_idle_exit_0_and_stopped():
    s = lib.Server(root=small_site()).start()
    r = lib.request(s.port, "/")
    assert r.status == 200
    assert s.stop(signal.SIGTERM, timeout=15) == 0, s.err
    assert s.out.rstrip().endswith("Stopped"), s.out


def test_sigint_idle_exit_0_and_stopped():
    s = lib.Server(root=small_site()).start()
    assert lib.request(s.port, "/").status == 200
    assert s.stop(signal.SIGINT, timeout=15) == 0, s.err
    assert s.out.rstrip().endswith("Stopped"), s.out


def test_foreground_pid_file_written_and_removed():
    for sig in (signal.SIGTERM, signal.SIGINT):
        d = lib.tempdir()
        pid_file = os.path.join(d, "fg.pid")
        s = lib.Server(root=small_site(), args=["--pid-file", pid_file]).start()
        assert lib.read_text(pid_file).strip() == str(s.proc.pid)
        assert s.stop(sig) == 0, s.err
        assert not os.path.exists(pid_file), sig
        assert not [f for f in os.listdir(d) if f != "fg.pid"], os.listdir(d)


def test_no_pid_file_in_foreground_by_default():
    cwd = lib.tempdir()
    with lib.Server(root=small_site(), cwd=cwd) as s:
        assert lib.request(s.port, "/").status == 200
        assert os.listdir(cwd) == [], os.listdir(cwd)


def _slow_download(port, before_signal, proc, sig):
    """Requests big.bin with a small receive buffer, reads before_signal
    bytes slowly, signals proc, then reads the rest. Returns (body, head,
    connect_refused_during_stop)."""
    c = socket.socket()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32768)
    c.settimeout(30)
    c.connect(("127.0.0.1", port))
    c.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
    data = bytearray()  # bytes += would copy the whole buffer every time
    while len(data) < before_signal:
        chunk = c.recv(16384)
        assert chunk, "connection closed early"
        data += chunk
        time.sleep(0.002)
    proc.send_signal(sig)
    # Stay slow for a while: the server must wait for us, not cut us off,
    # and must have stopped accepting new connections.
    refused = None
    t_end = time.monotonic() + 1.0
    while time.monotonic() < t_end:
        chunk = c.recv(16384)
        assert chunk, "connection closed during the grace period"
        data += chunk
        time.sleep(0.01)
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        refused = False
    except OSError:
        refused = True
    assert proc.poll() is None, "server exited with a response in flight"
    while True:
        chunk = c.recv(1 << 20)
        if not chunk:
            break
        data += chunk
    c.close()
    head, _, body = bytes(data).partition(b"\r\n\r\n")
    return body, head.decode("latin-1"), refused


def _expected_digest(root):
    h = hashlib.sha256()
    with open(os.path.join(root, "big.bin"), "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def test_sigterm_completes_large_download():
    root = big_site()
    s = lib.Server(root=root).start()
    body, head, refused = _slow_download(s.port, 2 << 20, s.proc, signal.SIGTERM)
    assert head.startswith("HTTP/1.1 200"), head
    assert f"Content-Length: {BIG}" in head, head
    assert len(body) == BIG, len(body)
    assert hashlib.sha256(body).hexdigest() == _expected_digest(root)
    assert refused, "new connection accepted after SIGTERM"
    assert s.stop(timeout=15) == 0, s.err
    assert s.out.rstrip().endswith("Stopped"), s.out
    assert '"GET /big.bin" 200 OK' in s.out, s.out


def test_sigint_completes_large_download():
    root = big_site()
    s = lib.Server(root=root, args=["-t", "1"]).start()
    body, head, refused = _slow_download(s.port, 1 << 20, s.proc, signal.SIGINT)
    assert len(body) == BIG, len(body)
    assert hashlib.sha256(body).hexdigest() == _expected_digest(root)
    assert refused
    assert s.stop(timeout=15) == 0, s.err
    assert "Stopped" in s.out


def test_idle_keep_alive_connection_does_not_delay_stop():
    s = lib.Server(root=small_site(), args=["--grace", "30"]).start()
    c = lib.connect(s.port)
    try:
        c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        r, _ = lib.read_one(c)
        assert r.status == 200
        t0 = time.monotonic()
        s.proc.send_signal(signal.SIGTERM)
        s.proc.wait(timeout=20)
        # Waiting for the 30 s grace would mean the idle connection was
        # treated as in flight.
        assert time.monotonic() - t0 < 15, "stop waited for an idle connection"
        assert lib.peer_closed(c, 5)
    finally:
        c.close()
    assert s.stop() == 0


def test_grace_period_ends_stuck_download():
    root = big_site()
    s = lib.Server(root=root, args=["--grace", "1", "--send-timeout", "60"]).start()
    c = socket.socket()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
    c.connect(("127.0.0.1", s.port))
    try:
        c.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        c.settimeout(5)
        assert c.recv(1024).startswith(b"HTTP/1.1 200")
        time.sleep(0.3)  # the client stops reading; the server blocks
        t0 = time.monotonic()
        s.proc.send_signal(signal.SIGTERM)
        try:
            s.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            raise AssertionError("server did not give up after --grace 1")
        assert time.monotonic() - t0 < 15
    finally:
        c.close()
    assert s.stop() == 0, s.err
    assert "Stopped" in s.out


def test_second_signal_ends_grace_at_once():
    root = big_site()
    s = lib.Server(root=root, args=["--grace", "60"]).start()
    c = socket.socket()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
    c.connect(("127.0.0.1", s.port))
    try:
        c.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        c.settimeout(5)
        assert c.recv(1024).startswith(b"HTTP/1.1 200")
        s.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert s.proc.poll() is None, "stopped before the grace period"
        s.proc.send_signal(signal.SIGTERM)
        try:
            s.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            raise AssertionError("a second SIGTERM did not end the grace period")
    finally:
        c.close()
    assert s.stop() == 0, s.err


def test_stop_with_many_open_connections():
    s = lib.Server(root=small_site(), args=["-t", "2"]).start()
    conns = []
    try:
        for i in range(50):
            c = lib.connect(s.port)
            if i % 2:
                c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                assert lib.read_one(c)[0].status == 200
            conns.append(c)
        assert s.stop(timeout=30) == 0, s.err
        assert "Stopped" in s.out
    finally:
        for c in conns:
            c.close()
