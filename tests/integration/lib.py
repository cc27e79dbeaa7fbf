"""Helpers for the integration tests: free ports, starting and stopping the
real server, raw-socket and curl clients. Every process started here is
registered and killed by kill_all() after each test."""
import fcntl
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import termios
import time

SERVER = os.environ.get("SERVER_BIN", os.path.abspath("bin/server"))
_procs = []
_dirs = []


class Skip(Exception):
    """Raised by a test that cannot run here (a feature not compiled in, a
    tool or privilege missing); the message says why. The runner reports
    the test as skipped, never as passed."""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, timeout=10.0, host="127.0.0.1"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            socket.create_connection((host, port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.02)
    return False


def tempdir():
    d = tempfile.mkdtemp(prefix="srvtest-")
    _dirs.append(d)
    return d


def register(proc_or_pid):
    _procs.append(proc_or_pid)
    return proc_or_pid


def kill_all():
    for p in _procs:
        try:
            if isinstance(p, int):
                os.kill(p, signal.SIGKILL)
            elif p.poll() is None:
                p.kill()
                p.wait(timeout=5)
        except (ProcessLookupError, ChildProcessError, subprocess.TimeoutExpired):
            pass
    _procs.clear()
    for d in _dirs:
        shutil.rmtree(d, ignore_errors=True)
    _dirs.clear()


class Server:
    """The real server in the foreground on a free port. Use as a context
    manager; on exit it is stopped with SIGTERM and must exit 0."""

    def __init__(self, root=None, args=(), cwd=None, env=None):
        self.port = free_port()
        self.root = root
        self.args = list(args)
        self.cwd = cwd
        self.env = env
        self.proc = None
        self.out = ""
        self.err = ""

    binary = None  # a subclass may name another build; default SERVER

    def command(self):
        cmd = [self.binary or SERVER, "-p", str(self.port), "-a", "127.0.0.1"]
        if self.root:
            cmd += ["-d", self.root]
        return cmd + self.args

    def environment(self):
        env = dict(os.environ, NO_COLOR="1")
        if self.env:
            env.update(self.env)
            # A value of None removes the variable (e.g. NO_COLOR).
            env = {k: v for k, v in env.items() if v is not None}
        return env

    def start(self):
        self.proc = register(subprocess.Popen(self.command(), cwd=self.cwd, env=self.environment(),
                                              stdout=subprocess.PIPE, stderr=subprocess.PIPE))
        if not wait_port(self.port):
            self.proc.kill()
            out, err = self.proc.communicate()
            raise AssertionError(f"server did not start: {out!r} {err!r}")
        return self

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        elif self.proc.stdout.closed:
            return self.proc.returncode  # already stopped and read
        out, err = self.proc.communicate(timeout=timeout)
        self.out += out.decode(errors="replace")
        self.err += err.decode(errors="replace")
        return self.proc.returncode

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        was_running = self.proc.poll() is None
        rc = self.stop()
        if exc[0] is not None:
            # A failing test shows what the server said.
            if hasattr(exc[1], "add_note"):
                exc[1].add_note(f"server exit {rc}, stderr:\n{self.err[-4000:]}")
            return False
        if rc < 0:
            raise AssertionError(f"server died from signal {-rc}: {self.err}")
        if was_running:
            assert rc == 0, f"server exited {rc}: {self.err}"
        if "runtime error" in self.err or "AddressSanitizer" in self.err or "LeakSanitizer" in self.err:
            raise AssertionError(f"sanitizer report:\n{self.err}")
        return False


def connect(port, timeout=5.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return s


def recv_all(s, timeout=5.0):
    """Reads until the peer closes (or timeout); returns the bytes."""
    s.settimeout(timeout)
    data = b""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data


def raw(port, data, timeout=5.0):
    """Sends data on a fresh connection, half-closes, returns all bytes read."""
    s = connect(port, timeout)
    try:
        s.sendall(data)
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        return recv_all(s, timeout)
    finally:
        s.close()


class Response:
    def __init__(self, status, reason, headers, body, raw_head):
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (name-lower, value)
        self.body = body
        self.raw_head = raw_head

    def header(self, name, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k == name:
                return v
        return default

    def all(self, name):
        return [v for k, v in self.headers if k == name.lower()]


def read_response(buf, head_only=False):
    """Parses one response from buf; returns (Response, rest) or (None, buf)
    if incomplete. head_only: the response has no body (HEAD, 304)."""
    i = buf.find(b"\r\n\r\n")
    if i < 0:
        return None, buf
    head = buf[:i].decode("latin-1")
    lines = head.split("\r\n")
    m = re.match(r"HTTP/1\.[01] (\d{3}) ?(.*)", lines[0])
    assert m, f"bad status line {lines[0]!r}"
    status = int(m.group(1))
    headers = []
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers.append((k.strip().lower(), v.strip()))
    rest = buf[i + 4:]
    r = Response(status, m.group(2), headers, b"", head)
    if head_only or status in (204, 304) or 100 <= status < 200:
        return r, rest
    cl = r.header("content-length")
    if cl is None:
        r.body = rest
        return r, b""
    n = int(cl)
    if len(rest) < n:
        return None, buf
    r.body = rest[:n]
    return r, rest[n:]


def parse_all(data, head_only=False):
    out = []
    while data:
        r, data = read_response(data, head_only)
        if r is None:
            break
        out.append(r)
    return out


def request(port, path="/", method="GET", headers=None, version="1.1", body=b"", timeout=5.0):
    """One request with Connection: close; returns the parsed Response."""
    h = {"Host": "localhost", "Connection": "close"}
    if headers:
        h.update(headers)
    lines = [f"{method} {path} HTTP/{version}"] + [f"{k}: {v}" for k, v in h.items() if v is not None]
    data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
    got = raw(port, data, timeout)
    r, _ = read_response(got, head_only=(method == "HEAD"))
    assert r is not None, f"no complete response to {method} {path}: {got[:200]!r}"
    return r


def curl(*args, timeout=20):
    """Runs curl; returns CompletedProcess with bytes stdout."""
    return subprocess.run(["curl", "-s", "--max-time", str(timeout), *args],
                          capture_output=True, timeout=timeout + 5)


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def make_site(files):
    """A temporary root with files {relative path: bytes}; returns its path."""
    root = tempdir()
    for rel, content in files.items():
        p = os.path.join(root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(content)
    return root


# ---------------------------------------------------------------------------
# Helpers added for the feature tests (test_http_*, test_daemon, ...).


def run_server(args, timeout=10, **kw):
    """Runs the server binary with args (for option checks that exit at
    once); returns CompletedProcess with text output. A server that keeps
    running is killed and reported as an AssertionError."""
    env = dict(os.environ, NO_COLOR="1")
    try:
        return subprocess.run([SERVER, *args], capture_output=True, text=True,
                              timeout=timeout, env=env, **kw)
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"server {args!r} did not exit within {timeout} s "
                             f"(stdout {e.stdout!r}, stderr {e.stderr!r})")


def wait_for(pred, timeout=10.0, interval=0.05):
    """Polls pred() until it is true; returns its last value."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= end:
            return v
        time.sleep(interval)


def read_text(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def proc_stat(pid):
    """Fields of /proc/PID/stat as a dict of 1-based field number -> str
    (field 2, comm, may contain spaces), or None if the process is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    lp, rp = data.index("("), data.rindex(")")
    fields = {1: data[:lp].strip(), 2: data[lp + 1:rp]}
    for i, v in enumerate(data[rp + 1:].split(), start=3):
        fields[i] = v
    return fields


def proc_alive(pid):
    """True while pid exists and is not a zombie."""
    st = proc_stat(pid)
    return st is not None and st[3] not in ("Z", "X")


def wait_gone(pid, timeout=15.0):
    return wait_for(lambda: not proc_alive(pid), timeout)


def ancestors(pid=None):
    """PIDs of the ancestors of pid (default: this process), nearest first."""
    out = []
    pid = pid or os.getpid()
    while pid > 1:
        st = proc_stat(pid)
        if st is None:
            break
        pid = int(st[4])
        out.append(pid)
    return out


def run_on_pty(cmd, cwd=None, pass_fds=(), stderr_pipe=True, env=None, timeout=20.0):
    """Runs cmd in a new session whose controlling terminal is a fresh
    pseudo-terminal (stdin and stdout on it; stderr on a pipe, or on the
    terminal too with stderr_pipe=False), like a command typed in a shell.
    Waits for cmd to exit and for the terminal and pipe to be closed by
    everyone (bounded). Returns (returncode, terminal text, stderr text)."""
    master, slave = os.openpty()

    def make_ctty():
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    full_env = dict(os.environ)
    full_env.pop("NO_COLOR", None)
    if env:
        full_env.update(env)
    try:
        p = subprocess.Popen(cmd, cwd=cwd, stdin=slave, stdout=slave,
                             stderr=subprocess.PIPE if stderr_pipe else slave,
                             start_new_session=True, preexec_fn=make_ctty,
                             pass_fds=pass_fds, env=full_env)
    except BaseException:
        os.close(master)
        raise
    finally:
        os.close(slave)
    register(p)
    tty, err = b"", b""
    streams = {master: "tty"}
    if p.stderr is not None:
        streams[p.stderr.fileno()] = "err"
    end = time.monotonic() + timeout
    exited_at = None
    try:
        while streams and time.monotonic() < end:
            if exited_at is None and p.poll() is not None:
                exited_at = time.monotonic()
            if exited_at is not None and time.monotonic() - exited_at > 2.0:
                break  # somebody else still holds the terminal or pipe
            ready, _, _ = select.select(list(streams), [], [], 0.1)
            for fd in ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:  # EIO: every slave descriptor is closed
                    chunk = b""
                if not chunk:
                    del streams[fd]
                elif streams[fd] == "tty":
                    tty += chunk
                else:
                    err += chunk
        rc = p.wait(timeout=max(0.1, end - time.monotonic()))
    finally:
        os.close(master)
        if p.stderr is not None:
            p.stderr.close()
    return (rc, tty.decode(errors="replace").replace("\r\n", "\n"),
            err.decode(errors="replace"))


def exchange(port, data, timeout=5.0, half_close=False):
    """Sends data on a fresh connection and reads until the server closes
    (or timeout); half_close: shut down our sending side first."""
    s = connect(port, timeout)
    try:
        s.sendall(data)
        if half_close:
            s.shutdown(socket.SHUT_WR)
        return recv_all(s, timeout)
    finally:
        s.close()


def parse_seq(data, methods):
    """Parses one response per method in methods (HEAD responses have no
    body); returns (list of Response, remaining bytes)."""
    out = []
    for m in methods:
        r, data = read_response(data, head_only=(m == "HEAD"))
        if r is None:
            break
        out.append(r)
    return out, data


def read_one(s, head_only=False, timeout=5.0, buf=b""):
    """Reads exactly one response from socket s (keeping the connection);
    returns (Response or None, leftover bytes)."""
    s.settimeout(timeout)
    end = time.monotonic() + timeout
    while True:
        r, rest = read_response(buf, head_only)
        if r is not None and (head_only or r.header("content-length") is not None
                              or r.status in (204, 304)):
            return r, rest
        if time.monotonic() >= end:
            return None, buf
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            return None, buf
        if not chunk:
            return read_response(buf, head_only)[0], b""
        buf += chunk


def peer_closed(s, timeout):
    """True if the peer closes s (EOF or reset) within timeout; data that
    arrives first is discarded."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        s.settimeout(max(0.01, end - time.monotonic()))
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            return True
        if not chunk:
            return True
    return False


LOG_LINE = re.compile(r'^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) - (\S+) - "([^"]*)" (\d{3}) (.+)$')


# ---------------------------------------------------------------------------
# Helpers added for the operations tests (test_operations, test_service,
# test_unix_socket, test_metrics).


def wait_text(path, needle, timeout=5.0):
    """Polls the file until it contains needle; returns its text (asserts)."""
    text = wait_for(lambda: (lambda t: t if needle in t else "")(read_text(path)), timeout)
    assert text, f"{needle!r} not in {path} within {timeout} s: {read_text(path)!r}"
    return text


class CommandServer(Server):
    """Server for a command line of the test's own (another binary, a
    wrapper, a unix socket) with its own readiness check: ready() true
    within timeout seconds, else an AssertionError with the output."""

    def __init__(self, cmd, ready, env=None, pass_fds=(), timeout=10.0):
        super().__init__(env=env)
        self.cmd, self.ready, self.pass_fds, self.timeout = cmd, ready, pass_fds, timeout

    def start(self):
        env = dict(os.environ, NO_COLOR="1")
        env.update(self.env or {})
        self.proc = register(subprocess.Popen(self.cmd, env=env, pass_fds=self.pass_fds,
                                              stdout=subprocess.PIPE, stderr=subprocess.PIPE))
        ok = wait_for(lambda: self.proc.poll() is not None or self.ready(), self.timeout)
        if not ok or self.proc.poll() is not None:
            self.proc.kill()
            out, err = self.proc.communicate()
            raise AssertionError(f"server did not start (exit {self.proc.returncode}): "
                                 f"{out!r} {err!r}")
        return self


def unix_accepts(path):
    """True if something accepts connections on the unix socket path."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


def unix_request(path, target="/", timeout=5.0):
    """GET target over the unix socket path with Connection: close."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(path)
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                  .encode())
        s.shutdown(socket.SHUT_WR)
        data = recv_all(s, timeout)
    finally:
        s.close()
    r, _ = read_response(data)
    assert r is not None, f"no complete response over {path}: {data[:200]!r}"
    return r
