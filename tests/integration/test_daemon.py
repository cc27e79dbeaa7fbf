"""Daemon mode (-b), launched from a pseudo-terminal as its controlling
terminal, the way a shell user starts it. Each test runs in its own
temporary working directory, where server.pid and server.log are written,
and kills every daemon it started."""
import os
import re
import signal
import socket
import stat
import subprocess

import lib


def site():
    return lib.make_site({"index.html": b"<p>daemon</p>\n", "a.txt": b"A\n"})


def launch(cwd, root, port, extra=(), pass_fds=(), stderr_pipe=True):
    """Runs `server -b` on a terminal; returns (rc, terminal text, stderr).
    Every process left running with this port on its command line is
    registered for the cleanup, whatever the pid file says."""
    cmd = [lib.SERVER, "-b", "-p", str(port), "-a", "127.0.0.1", "-d", root, *extra]
    try:
        return lib.run_on_pty(cmd, cwd=cwd, pass_fds=pass_fds, stderr_pipe=stderr_pipe)
    finally:
        for pid in servers_with_args(["-p", str(port)], ["-d", root]):
            track(pid)


def servers_with_args(*seqs):
    """PIDs of live processes whose argv contains each of seqs (lists of
    arguments) as a contiguous run."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")[:-1]
        except OSError:
            continue
        def has(seq):
            want = [a.encode() for a in seq]
            return any(argv[i:i + len(want)] == want for i in range(len(argv)))
        if int(name) != os.getpid() and all(has(seq) for seq in seqs):
            found.append(int(name))
    return found


def track(pid):
    """Registers a daemon PID for the cleanup after the test."""
    if pid and pid > 1:
        lib.register(pid)
    return pid


def pid_in_file(path):
    text = lib.read_text(path).strip()
    return int(text) if text.isdigit() else None


def start_daemon(extra=(), pass_fds=()):
    """Starts a daemon in a fresh cwd; returns (cwd, root, port, pid, out)."""
    cwd, root, port = lib.tempdir(), site(), lib.free_port()
    rc, out, err = launch(cwd, root, port, extra, pass_fds)
    pid = track(pid_in_file(os.path.join(cwd, "server.pid")))
    m = re.search(r"\d+", out)
    if m:
        track(int(m.group()))
    assert rc == 0, (rc, out, err)
    assert pid, (os.listdir(cwd), out, err)
    return cwd, root, port, pid, out


def test_pty_launcher_gives_a_controlling_terminal():
    # The premise of the tests below: what the launcher runs has a
    # controlling terminal (tty_nr != 0) and leads its own session.
    rc, out, err = lib.run_on_pty(["/bin/sh", "-c", "cat /proc/$$/stat"])
    assert rc == 0, err
    fields = out[out.rindex(")") + 1:].split()
    pid = int(out.split()[0])
    assert int(fields[7 - 3]) != 0, out  # tty_nr
    assert int(fields[6 - 3]) == pid, out  # session leader


def test_daemon_reports_pid_and_detaches():
    cwd, root, port, pid, out = start_daemon()
    # The printed PID (first number on the line) is the pid file's.
    m = re.search(r"\d+", out)
    assert m and int(m.group()) == pid, out
    assert lib.read_text(os.path.join(cwd, "server.pid")) == f"{pid}\n"
    st = lib.proc_stat(pid)
    assert st is not None and lib.proc_alive(pid), pid
    assert "server" in st[2], st
    # Re-parented: not a child of the launcher or of this test.
    ppid = int(st[4])
    assert ppid != os.getpid()
    assert ppid == 1 or ppid in lib.ancestors(), (ppid, lib.ancestors())
    # Not a session leader, and no controlling terminal.
    sid = int(st[6])
    assert sid != pid, st
    assert sid != os.getsid(0), st
    assert int(st[7]) == 0, f"tty_nr {st[7]}"
    # Serves.
    r = lib.request(port, "/a.txt")
    assert r.status == 200 and r.body == b"A\n"


def test_daemon_descriptors_umask_cwd():
    marker_dir = lib.tempdir()
    marker = os.path.join(marker_dir, "inherited-marker.txt")
    fd = os.open(marker, os.O_RDWR | os.O_CREAT, 0o600)
    fd7 = fcntl_dup_at_least(fd, 7)
    try:
        cwd, root, port, pid, out = start_daemon(pass_fds=(fd7,))
    finally:
        os.close(fd7)
        os.close(fd)
    fds = {}
    for name in os.listdir(f"/proc/{pid}/fd"):
        try:
            fds[int(name)] = os.readlink(f"/proc/{pid}/fd/{name}")
        except OSError:
            pass
    for n in (0, 1, 2):
        assert fds.get(n) == "/dev/null", (n, fds)
    assert marker not in fds.values(), f"inherited descriptor still open: {fds}"
    assert not any("pts" in v or "ptmx" in v for v in fds.values()), fds
    status = lib.read_text(f"/proc/{pid}/status")
    m = re.search(r"^Umask:\s*(\d+)", status, re.M)
    assert m and int(m.group(1), 8) == 0, m and m.group(0)
    assert os.path.realpath(os.readlink(f"/proc/{pid}/cwd")) == os.path.realpath(cwd)


def fcntl_dup_at_least(fd, low):
    import fcntl
    return fcntl.fcntl(fd, fcntl.F_DUPFD, low)


def test_daemon_files_mode_0644_and_log():
    old = os.umask(0)  # the daemon's own modes must not depend on ours
    try:
        cwd, root, port, pid, out = start_daemon()
    finally:
        os.umask(old)
    for name in ("server.pid", "server.log"):
        p = os.path.join(cwd, name)
        mode = stat.S_IMODE(os.stat(p).st_mode)
        assert mode == 0o644, (name, oct(mode))
    assert lib.request(port, "/a.txt").status == 200
    assert lib.request(port, "/missing").status == 404
    log = os.path.join(cwd, "server.log")
    text = lib.wait_for(lambda: (lambda t: t if '"GET /missing" 404 Not Found' in t else "")(
        lib.read_text(log)), timeout=5)
    assert text, lib.read_text(log)
    lines = [l for l in text.splitlines() if lib.LOG_LINE.match(l)]
    assert any(l.endswith(' - 127.0.0.1 - "GET /a.txt" 200 OK') for l in lines), text
    assert "\x1b" not in text


def test_daemon_custom_pid_and_log_file():
    other = lib.tempdir()
    pid_path = os.path.join(other, "my.pid")
    log_path = os.path.join(other, "my.log")
    cwd, root, port = lib.tempdir(), site(), lib.free_port()
    rc, out, err = launch(cwd, root, port, ["--pid-file", pid_path, "--log-file", log_path])
    pid = track(pid_in_file(pid_path))
    assert rc == 0, (out, err)
    assert pid and re.search(r"\d+", out).group() == str(pid), out
    assert not os.path.exists(os.path.join(cwd, "server.pid"))
    assert not os.path.exists(os.path.join(cwd, "server.log"))
    assert lib.request(port, "/").status == 200
    assert lib.wait_for(lambda: '"GET /" 200 OK' in lib.read_text(log_path), 5)
    os.kill(pid, signal.SIGTERM)
    assert lib.wait_gone(pid), "daemon did not stop"
    assert lib.wait_for(lambda: not os.path.exists(pid_path), 5)
    assert "Stopped" in lib.read_text(log_path)


def test_second_daemon_refused():
    cwd, root, port, pid, out = start_daemon()
    pid_path = os.path.join(cwd, "server.pid")
    before = os.stat(pid_path)
    port2 = lib.free_port()
    rc, out2, err2 = launch(cwd, root, port2)
    m = re.search(r"\d+", out2)
    if m and int(m.group()) != pid:
        track(int(m.group()))
    assert rc != 0, (out2, err2)
    assert "already running" in err2, (out2, err2)
    assert str(pid) in err2, err2
    # The first daemon and its pid file are untouched.
    after = os.stat(pid_path)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert lib.read_text(pid_path) == f"{pid}\n"
    assert lib.proc_alive(pid)
    assert lib.request(port, "/a.txt").status == 200
    assert not lib.wait_port(port2, timeout=0.5), "the refused daemon listens"
    assert [f for f in os.listdir(cwd) if f not in ("server.pid", "server.log")] == []


def test_stale_pid_file_replaced():
    cwd, root, port = lib.tempdir(), site(), lib.free_port()
    dead = subprocess.Popen(["true"])
    dead.wait()
    with open(os.path.join(cwd, "server.pid"), "w") as f:
        f.write(f"{dead.pid}\n")
    rc, out, err = launch(cwd, root, port)
    pid = track(pid_in_file(os.path.join(cwd, "server.pid")))
    assert rc == 0, (out, err)
    assert pid and pid != dead.pid
    assert re.search(r"\d+", out).group() == str(pid), out
    assert lib.proc_alive(pid)
    assert lib.request(port, "/").status == 200


def test_port_in_use_reported_no_pid_file():
    cwd, root = lib.tempdir(), site()
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen(1)
    port = blocker.getsockname()[1]
    try:
        rc, out, err = launch(cwd, root, port, stderr_pipe=False)
        m = re.search(r"PID (\d+)", out)
        if m:
            track(int(m.group(1)))
        track(pid_in_file(os.path.join(cwd, "server.pid")))
        assert rc != 0, out
        assert "in use" in out.lower() and str(port) in out, out
        assert not os.path.exists(os.path.join(cwd, "server.pid")), os.listdir(cwd)
        assert not [f for f in os.listdir(cwd) if f.startswith("server.pid")], os.listdir(cwd)
    finally:
        blocker.close()


def test_port_in_use_error_on_stderr():
    cwd, root = lib.tempdir(), site()
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen(1)
    port = blocker.getsockname()[1]
    try:
        rc, out, err = launch(cwd, root, port)
        track(pid_in_file(os.path.join(cwd, "server.pid")))
        assert rc != 0
        assert "in use" in err.lower(), (out, err)
        assert not os.path.exists(os.path.join(cwd, "server.pid"))
    finally:
        blocker.close()


def _stop_daemon(sig):
    cwd, root, port, pid, out = start_daemon()
    assert lib.request(port, "/a.txt").status == 200
    os.kill(pid, sig)
    assert lib.wait_gone(pid, 15), f"daemon {pid} still running after {sig!r}"
    assert lib.wait_for(lambda: not os.path.exists(os.path.join(cwd, "server.pid")), 5), \
        os.listdir(cwd)
    log = lib.read_text(os.path.join(cwd, "server.log"))
    assert log.rstrip().endswith("Stopped"), log
    assert '"GET /a.txt" 200 OK' in log, log
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        raise AssertionError("port still accepts connections")
    except OSError:
        pass


def test_daemon_sigterm_stops_cleanly():
    _stop_daemon(signal.SIGTERM)


def test_daemon_sigint_stops_cleanly():
    _stop_daemon(signal.SIGINT)


def test_daemon_survives_terminal_hangup():
    # The launching terminal goes away (master closed); the daemon stays.
    cwd, root, port, pid, out = start_daemon()
    assert lib.proc_alive(pid)
    assert lib.request(port, "/").status == 200
