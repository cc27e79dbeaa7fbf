"""Running under a service manager: the systemd notify protocol
(NOTIFY_SOCKET), socket activation (LISTEN_FDS) and the zero-downtime
upgrade on SIGUSR2 (with its failures)."""
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid

import lib


def site():
    return lib.make_site({"index.html": b"<p>svc</p>\n", "a.txt": b"A\n"})


# --- systemd notify protocol ----------------------------------------------------


def parse_notify(text):
    return dict(l.split("=", 1) for l in text.split("\n") if l)


class Notify:
    """A datagram socket the server reports to, like systemd's."""

    def __init__(self, abstract=False):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if abstract:
            name = f"tern-test-{uuid.uuid4().hex}"
            self.sock.bind("\0" + name)
            self.env = "@" + name
        else:
            self.env = os.path.join(lib.tempdir(), "notify")
            self.sock.bind(self.env)
        self.seen = []

    def wait(self, pred, timeout=10.0):
        """Reads messages until one satisfies pred (a dict of the message's
        KEY=VALUE lines); returns it."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.sock.settimeout(max(0.01, end - time.monotonic()))
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                break
            msg = parse_notify(data.decode())
            self.seen.append(msg)
            if pred(msg):
                return msg
        raise AssertionError(f"no matching notification within {timeout} s; got {self.seen}")

    def pending(self, wait=0.2):
        """Messages that arrive within wait seconds."""
        out = []
        self.sock.settimeout(wait)
        try:
            while True:
                out.append(self.sock.recv(4096).decode())
        except socket.timeout:
            return out

    def close(self):
        self.sock.close()


def _notify_cycle(abstract):
    n = Notify(abstract)
    try:
        with lib.Server(root=site(), env={"NOTIFY_SOCKET": n.env}) as s:
            ready = n.wait(lambda m: "READY" in m)
            assert ready == {"READY": "1", "MAINPID": str(s.proc.pid)}, ready
            assert lib.request(s.port, "/a.txt").status == 200
            before = time.monotonic()
            s.proc.send_signal(signal.SIGHUP)
            rel = n.wait(lambda m: True)
            assert set(rel) == {"RELOADING", "MONOTONIC_USEC"} and rel["RELOADING"] == "1", rel
            usec = int(rel["MONOTONIC_USEC"])
            assert before - 1 <= usec / 1e6 <= time.monotonic() + 1, (usec, before)
            again = n.wait(lambda m: True)
            assert again.get("READY") == "1", again
            assert lib.request(s.port, "/a.txt").status == 200
            s.proc.send_signal(signal.SIGTERM)
            stopping = n.wait(lambda m: True)
            assert stopping == {"STOPPING": "1"}, stopping
        assert n.pending() == [], "messages after STOPPING"
    finally:
        n.close()


def test_notify_ready_reload_stopping():
    _notify_cycle(abstract=False)


def test_notify_abstract_socket():
    _notify_cycle(abstract=True)


def test_notify_socket_missing_is_harmless():
    # Nobody listens at NOTIFY_SOCKET, or it is not a usable address: the
    # server runs and stops as usual.
    for value in (os.path.join(lib.tempdir(), "nobody-here"), "relative/path", "@"):
        with lib.Server(root=site(), env={"NOTIFY_SOCKET": value}) as s:
            assert lib.request(s.port, "/a.txt").status == 200, value
        assert "Stopped" in s.out, (value, s.out)


# --- socket activation ------------------------------------------------------------


def activated(sock_fd, args, log, listen_pid="$$", env=None):
    """A server started the way systemd does: sock_fd as descriptor 3,
    LISTEN_FDS=1 and LISTEN_PID (by default the server's own pid)."""
    script = f'exec 3<&{sock_fd}; export LISTEN_PID={listen_pid}; exec "$0" "$@"'
    cmd = ["sh", "-c", script, lib.SERVER, *args, "--log-file", log]
    full_env = {"LISTEN_FDS": "1"}
    full_env.update(env or {})
    return cmd, full_env


def test_socket_activation_serves_inherited_socket():
    root = site()
    log = os.path.join(lib.tempdir(), "server.log")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    blocker = socket.socket()  # the port given with -p is taken: it must not be bound
    blocker.bind(("127.0.0.1", 0))
    blocker.listen(1)
    try:
        port = listener.getsockname()[1]
        cmd, env = activated(listener.fileno(), ["-p", str(blocker.getsockname()[1]),
                                                 "-a", "127.0.0.1", "-d", root], log)
        with lib.CommandServer(cmd, lambda: "serving" in lib.read_text(log), env=env,
                    pass_fds=(listener.fileno(),)) as s:
            for _ in range(5):
                r = lib.request(port, "/a.txt")
                assert r.status == 200 and r.body == b"A\n", r.raw_head
            assert lib.curl(f"http://127.0.0.1:{port}/").stdout == b"<p>svc</p>\n"
            lib.wait_text(log, '"GET /a.txt" 200 OK')
        text = lib.read_text(log)
        assert re.search(r"listening sockets inherited \(1\)", text), text
        assert f"127.0.0.1:{port}" in text, text
        assert "in use" not in text
    finally:
        listener.close()
        blocker.close()


def _activation_fails(make_fd3):
    root = site()
    log = os.path.join(lib.tempdir(), "server.log")
    fd, keep = make_fd3()
    try:
        cmd, env = activated(fd, ["-p", str(lib.free_port()), "-a", "127.0.0.1", "-d", root], log)
        full = dict(os.environ, NO_COLOR="1", **env)
        r = subprocess.run(cmd, env=full, pass_fds=(fd,), capture_output=True, text=True, timeout=10)
        assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
        assert "3" in r.stderr and "socket" in r.stderr, r.stderr
    finally:
        for k in keep:
            k.close() if hasattr(k, "close") else os.close(k)


def test_socket_activation_pipe_refused():
    def pipe():
        r, w = os.pipe()
        return r, [r, w]
    _activation_fails(pipe)


def test_socket_activation_regular_file_refused():
    def regular():
        f = open(os.path.join(lib.tempdir(), "plain"), "w+")
        return f.fileno(), [f]
    _activation_fails(regular)


def test_socket_activation_unlistened_socket_refused():
    def unlistened():
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        return s.fileno(), [s]
    _activation_fails(unlistened)


def test_socket_activation_other_pid_ignored():
    root = site()
    log = os.path.join(lib.tempdir(), "server.log")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        port = lib.free_port()
        cmd, env = activated(listener.fileno(), ["-p", str(port), "-a", "127.0.0.1", "-d", root],
                             log, listen_pid="1")
        with lib.CommandServer(cmd, lambda: lib.wait_port(port, 0.1), env=env,
                    pass_fds=(listener.fileno(),)):
            assert lib.request(port, "/a.txt").status == 200
            # Nobody accepts on the socket meant for another process.
            c = socket.create_connection(listener.getsockname(), timeout=2)
            c.sendall(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n")
            c.settimeout(0.5)
            try:
                assert c.recv(100) == b"", "served on a socket meant for another PID"
            except socket.timeout:
                pass
            c.close()
        text = lib.read_text(log)
        assert "inherited" not in text, text
        assert f"127.0.0.1:{port}" in text, text
    finally:
        listener.close()


# --- upgrade on SIGUSR2 --------------------------------------------------------------


def pid_in(path):
    t = lib.read_text(path).strip()
    return int(t) if t.isdigit() else None


def start_daemon(exe=None, extra=(), env=None):
    """Starts `exe -b` in a fresh cwd; returns (cwd, port, pid, pid file, log)."""
    cwd, root, port = lib.tempdir(), site(), lib.free_port()
    os.chmod(cwd, 0o755)
    pid_path, log = os.path.join(cwd, "server.pid"), os.path.join(cwd, "server.log")
    full = dict(os.environ, NO_COLOR="1")
    full.update(env or {})
    r = subprocess.run([exe or lib.SERVER, "-b", "-p", str(port), "-a", "127.0.0.1", "-d", root,
                        "--pid-file", pid_path, "--log-file", log, *extra],
                       cwd=cwd, env=full, capture_output=True, text=True, timeout=30)
    pid = pid_in(pid_path)
    if pid:
        lib.register(pid)
    assert r.returncode == 0 and pid, (r.returncode, r.stdout, r.stderr)
    return cwd, port, pid, pid_path, log


def gone_or_zombie(pid):
    return not lib.proc_alive(pid)


class Load:
    """Clients hammering the server from threads: `close` threads open a
    connection per request (Connection: close); one keep-alive client
    reuses its connection, and reconnects when the server closes it
    between requests (a request that got no byte of answer on a reused
    connection is retried, as HTTP clients do for idempotent requests)."""

    def __init__(self, port, close_threads=4):
        self.port = port
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.done = []  # (start, end) of each good response
        self.failures = []
        self.retries = 0
        self.threads = [threading.Thread(target=self.closer, daemon=True)
                        for _ in range(close_threads)]
        self.threads.append(threading.Thread(target=self.keepalive, daemon=True))
        for t in self.threads:
            t.start()

    def ok(self, start):
        with self.lock:
            self.done.append((start, time.monotonic()))

    def fail(self, what):
        with self.lock:
            self.failures.append(what)

    def closer(self):
        while not self.stop.is_set():
            start = time.monotonic()
            try:
                r = lib.request(self.port, "/a.txt", timeout=5)
                if r.status == 200 and r.body == b"A\n":
                    self.ok(start)
                else:
                    self.fail(f"status {r.status} body {r.body[:40]!r}")
            except Exception as e:
                self.fail(f"close client: {e!r}")

    def keepalive(self):
        sock, reused = None, False
        while not self.stop.is_set():
            start = time.monotonic()
            try:
                if sock is None:
                    sock, reused = lib.connect(self.port), False
                sock.sendall(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n")
                r, rest = lib.read_one(sock)
            except OSError as e:
                r, rest = None, None
                err = e
            else:
                err = None
            if r is None:
                sock.close() if sock else None
                sock = None
                if reused and not rest:
                    with self.lock:
                        self.retries += 1
                    continue
                self.fail(f"keep-alive client: {err!r} {rest!r}")
                continue
            if r.status == 200 and r.body == b"A\n" and not rest:
                self.ok(start)
            else:
                self.fail(f"keep-alive status {r.status} {r.body[:40]!r} {rest!r}")
            if (r.header("connection") or "").lower() == "close":
                sock.close()
                sock = None
            else:
                reused = True
        if sock:
            sock.close()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(15)

    def served_between(self, t0, t1):
        with self.lock:
            return sum(1 for s, e in self.done if s >= t0 and e <= t1)


def test_upgrade_without_dropping_requests():
    cwd, port, old, pid_path, log = start_daemon()
    load = Load(port)
    try:
        time.sleep(0.3)
        t_signal = time.monotonic()
        os.kill(old, signal.SIGUSR2)
        new = lib.wait_for(lambda: (lambda p: p if p and p != old else None)(pid_in(pid_path)), 15)
        assert new, (lib.read_text(pid_path), lib.read_text(log))
        lib.register(new)
        done = lib.wait_for(lambda: gone_or_zombie(old) or
                            "Stopped" in lib.read_text(log), 15)
        assert done, f"old server {old} still running: {lib.read_text(log)}"
        t_gone = time.monotonic()
        time.sleep(0.5)
        t_end = time.monotonic()
    finally:
        load.finish()
    assert load.failures == [], (len(load.failures), load.failures[:10])
    assert load.served_between(0, t_signal) > 0, "nothing served before the upgrade"
    assert load.served_between(t_gone, t_end) > 0, "nothing served after the upgrade"
    assert lib.wait_gone(old, 10)
    assert lib.proc_alive(new)
    text = lib.read_text(log)
    assert re.search(rf"upgrade: started .* as PID {new}", text), text
    assert "[error]" not in text, text
    r = lib.request(port, "/a.txt")
    assert r.status == 200 and r.body == b"A\n"
    os.kill(new, signal.SIGTERM)
    assert lib.wait_gone(new, 15), "new server did not stop"
    assert lib.wait_for(lambda: not os.path.exists(pid_path), 5), lib.read_text(pid_path)
    assert lib.read_text(log).count("Stopped") == 2, lib.read_text(log)


def test_upgrade_reports_to_systemd():
    n = Notify()
    try:
        cwd, port, old, pid_path, log = start_daemon(env={"NOTIFY_SOCKET": n.env})
        n.wait(lambda m: m == {"READY": "1", "MAINPID": str(old)})
        os.kill(old, signal.SIGUSR2)
        # The new server's READY=1 and the old one's handing over of
        # MAINPID may come in either order.
        new_ready = n.wait(lambda m: m.get("READY") == "1" and m.get("MAINPID") != str(old))
        new = int(new_ready["MAINPID"])
        lib.register(new)
        assert new != old and pid_in(pid_path) == new
        if {"MAINPID": str(new)} not in n.seen:
            n.wait(lambda m: m == {"MAINPID": str(new)})
        assert lib.wait_gone(old, 15)
        msgs = n.pending(0.3)
        assert not any("STOPPING" in m for m in msgs + [str(x) for x in n.seen]), (n.seen, msgs)
        os.kill(new, signal.SIGTERM)
        assert n.wait(lambda m: True) == {"STOPPING": "1"}
        assert lib.wait_gone(new, 15)
    finally:
        n.close()


def _copy_server(d):
    exe = os.path.join(d, "server")
    shutil.copy2(lib.SERVER, exe)
    os.chmod(exe, 0o755)
    return exe


def _replace(exe, content=None, mode=0o755):
    """Replaces the binary at exe the way a package upgrade does (rename)."""
    tmp = exe + ".new"
    if content is None:
        shutil.copy2(lib.SERVER, tmp)
    else:
        with open(tmp, "wb") as f:
            f.write(content)
    os.chmod(tmp, mode)
    os.replace(tmp, exe)


def test_failed_upgrade_keeps_serving():
    bindir = lib.tempdir()
    os.chmod(bindir, 0o755)
    exe = _copy_server(bindir)
    cwd, port, pid, pid_path, log = start_daemon(exe=exe)
    assert lib.request(port, "/a.txt").status == 200
    attempts = [("not executable", lambda: _replace(exe, mode=0o644)),
                ("exits 1", lambda: _replace(exe, b"#!/bin/sh\nexit 1\n"))]
    for i, (what, breaks) in enumerate(attempts, start=1):
        breaks()
        os.kill(pid, signal.SIGUSR2)
        text = lib.wait_for(lambda: (lambda t: t if len(re.findall(r"\[error\] upgrade", t)) >= i
                                     else "")(lib.read_text(log)), 10)
        assert text, (what, lib.read_text(log))
        assert lib.proc_alive(pid), what
        assert pid_in(pid_path) == pid, what
        for _ in range(3):
            r = lib.request(port, "/a.txt")
            assert r.status == 200 and r.body == b"A\n", what
    # The failed children are reaped: no zombie is left.
    def children():
        out = []
        for p in os.listdir("/proc"):
            st = lib.proc_stat(int(p)) if p.isdigit() else None
            if st and st[4] == str(pid):
                out.append((p, st[3]))
        return out
    assert lib.wait_for(lambda: children() == [], 5), children()
    # With the binary back in place, an upgrade works again.
    _replace(exe)
    os.kill(pid, signal.SIGUSR2)
    new = lib.wait_for(lambda: (lambda p: p if p and p != pid else None)(pid_in(pid_path)), 15)
    assert new, lib.read_text(log)
    lib.register(new)
    assert lib.wait_gone(pid, 15)
    assert lib.request(port, "/a.txt").status == 200
    os.kill(new, signal.SIGTERM)
    assert lib.wait_gone(new, 15)
    assert lib.wait_for(lambda: not os.path.exists(pid_path), 5)


def test_failed_upgrade_then_stop_cleans_up():
    # After a failed upgrade the server is still the one in charge: at stop
    # it removes its unix socket and tells systemd it stops.
    bindir = lib.tempdir()
    os.chmod(bindir, 0o755)
    exe = _copy_server(bindir)
    path = os.path.join(lib.tempdir(), "s")
    log = os.path.join(lib.tempdir(), "server.log")
    n = Notify()
    try:
        with lib.CommandServer([exe, "--unix-socket", path, "-d", site(), "--log-file", log],
                    lambda: lib.unix_accepts(path), env={"NOTIFY_SOCKET": n.env}) as s:
            n.wait(lambda m: m.get("READY") == "1")
            _replace(exe, b"#!/bin/sh\nexit 1\n")
            s.proc.send_signal(signal.SIGUSR2)
            lib.wait_text(log, "[error] upgrade")
            assert lib.unix_request(path, "/a.txt").status == 200
            s.proc.send_signal(signal.SIGTERM)
            assert lib.wait_for(lambda: s.proc.poll() is not None, 15)
        problems = []
        if os.path.exists(path):
            problems.append("the unix socket file is left behind")
        if {"STOPPING": "1"} not in n.seen + [m for m in map(parse_notify, n.pending(0.3))]:
            problems.append(f"no STOPPING=1 (got {n.seen})")
        assert not problems, problems
    finally:
        n.close()


def test_upgrade_keeps_unix_socket():
    # The new server takes over the socket file: it stays in place while
    # the old one exits, and goes when the new one stops.
    sock = os.path.join(lib.tempdir(), "tern.sock")
    cwd, port, old, pid_path, log = start_daemon(extra=["--unix-socket", sock])
    assert lib.unix_request(sock, "/a.txt").status == 200
    ino = os.stat(sock).st_ino
    os.kill(old, signal.SIGUSR2)
    new = lib.wait_for(lambda: (lambda p: p if p and p != old else None)(pid_in(pid_path)), 15)
    assert new, lib.read_text(log)
    lib.register(new)
    assert lib.wait_gone(old, 15)
    assert os.path.exists(sock) and os.stat(sock).st_ino == ino, "socket file removed by the old server"
    r = lib.unix_request(sock, "/a.txt")
    assert r.status == 200 and r.body == b"A\n"
    os.kill(new, signal.SIGTERM)
    assert lib.wait_gone(new, 15)
    assert lib.wait_for(lambda: not os.path.exists(sock), 5), "socket file left after stop"
