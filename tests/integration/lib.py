"""Helpers for the integration tests: free ports, starting and stopping the
real server, raw-socket and curl clients. Every process started here is
registered and killed by kill_all() after each test."""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

SERVER = os.environ.get("SERVER_BIN", os.path.abspath("bin/server"))
_procs = []
_dirs = []


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

    def start(self):
        cmd = [SERVER, "-p", str(self.port), "-a", "127.0.0.1"]
        if self.root:
            cmd += ["-d", self.root]
        cmd += self.args
        env = dict(os.environ, NO_COLOR="1")
        if self.env:
            env.update(self.env)
        self.proc = register(subprocess.Popen(cmd, cwd=self.cwd, env=env,
                                              stdout=subprocess.PIPE, stderr=subprocess.PIPE))
        if not wait_port(self.port):
            self.proc.kill()
            out, err = self.proc.communicate()
            raise AssertionError(f"server did not start: {out!r} {err!r}")
        return self

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        out, err = self.proc.communicate(timeout=timeout)
        self.out += out.decode(errors="replace")
        self.err += err.decode(errors="replace")
        return self.proc.returncode

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            rc = self.stop()
            if exc[0] is None:
                assert rc == 0, f"server exited {rc}: {self.err}"
        if self.proc.returncode is not None and self.proc.returncode < 0 and exc[0] is None:
            raise AssertionError(f"server died from signal {-self.proc.returncode}: {self.err}")
        if exc[0] is None and ("runtime error" in self.err or "AddressSanitizer" in self.err
                               or "LeakSanitizer" in self.err):
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
