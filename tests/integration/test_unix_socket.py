"""--unix-socket PATH and --unix-socket-mode: serving over a unix socket,
the file's mode, a stale socket file replaced, a live one or a regular
file refused, the file removed at stop, and "unix:" in the log."""
import os
import socket
import stat

import lib


def site():
    return lib.make_site({"index.html": b"<p>svc</p>\n", "a.txt": b"A\n"})


def unix_server(path, root, args=()):
    cmd = [lib.SERVER, "--unix-socket", path, "-d", root, *args]
    return lib.CommandServer(cmd, lambda: lib.unix_accepts(path))


def run_unix(path, root, args=()):
    return lib.run_server(["--unix-socket", path, "-d", root, *args], timeout=10)


def test_unix_socket_serves():
    d = lib.tempdir()
    path = os.path.join(d, "tern.sock")
    with unix_server(path, site(), ["--unix-socket-mode", "600"]) as s:
        st = os.stat(path)
        assert stat.S_ISSOCK(st.st_mode), oct(st.st_mode)
        assert stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode)
        r = lib.unix_request(path, "/a.txt")
        assert r.status == 200 and r.body == b"A\n", r.raw_head
        c = lib.curl("--unix-socket", path, "-i", "http://localhost/index.html")
        assert c.returncode == 0, c
        assert c.stdout.startswith(b"HTTP/1.1 200") and c.stdout.endswith(b"<p>svc</p>\n"), c.stdout
        assert lib.unix_request(path, "/missing").status == 404
    assert not os.path.exists(path), "socket file left after stop"
    lines = [l for l in s.out.splitlines() if lib.LOG_LINE.match(l)]
    assert len(lines) == 3, s.out
    assert all(lib.LOG_LINE.match(l).group(2) == "unix:" for l in lines), lines
    assert "unix:" + path in s.out, s.out  # the start-up line says where


def test_unix_socket_default_mode_660():
    old = os.umask(0o077)  # the mode must not come from our umask
    try:
        path = os.path.join(lib.tempdir(), "s")
        with unix_server(path, site()):
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o660, oct(os.stat(path).st_mode)
            assert lib.unix_request(path, "/a.txt").status == 200
    finally:
        os.umask(old)


def test_unix_socket_stale_file_replaced():
    path = os.path.join(lib.tempdir(), "s")
    old = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old.bind(path)
    old.listen(1)
    old.close()  # the file stays: a server that crashed
    os.chmod(path, 0o604)  # to tell it from the server's own (660)
    assert not lib.unix_accepts(path)
    with unix_server(path, site()):
        assert lib.unix_request(path, "/a.txt").status == 200
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o660, oct(os.stat(path).st_mode)
    assert not os.path.exists(path)


def test_unix_socket_live_listener_refused():
    path = os.path.join(lib.tempdir(), "s")
    other = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    other.bind(path)
    other.listen(4)
    try:
        ino = os.stat(path).st_ino
        r = run_unix(path, site())
        assert r.returncode == 1, r
        assert path in r.stderr, r.stderr
        # The other server keeps its socket.
        assert os.stat(path).st_ino == ino
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(path)
        c.close()
    finally:
        other.close()


def test_unix_socket_regular_file_refused():
    path = os.path.join(lib.tempdir(), "data")
    with open(path, "wb") as f:
        f.write(b"precious\n")
    r = run_unix(path, site())
    assert r.returncode == 1, r
    assert path in r.stderr and "not a socket" in r.stderr, r.stderr
    with open(path, "rb") as f:
        assert f.read() == b"precious\n"
    assert stat.S_ISREG(os.stat(path).st_mode)
