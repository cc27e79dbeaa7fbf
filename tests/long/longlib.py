"""Helpers for the long robustness tests (tests/long). Builds on lib from
tests/integration, which run_integration.py puts on sys.path."""
import json
import os
import resource
import select
import selectors
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
import lib  # on sys.path through run_integration.py

CLK_TCK = os.sysconf("SC_CLK_TCK")


class Server(lib.Server):
    """lib.Server with two additions: nofile=N starts the server with its
    descriptor limit (soft and hard) set to N, and the server's stdout and
    stderr are drained by threads, so a busy access log can never fill the
    pipe and block the server. Stopping and the checks on exit are lib's."""

    def __init__(self, root=None, args=(), nofile=None, **kw):
        super().__init__(root=root, args=args, **kw)
        self.nofile = nofile
        self._chunks = {"out": [], "err": []}
        self._threads = []

    def start(self):
        cmd, env = self.command(), self.environment()
        preexec = None
        if self.nofile:
            n = self.nofile

            def preexec():
                resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))
        self.proc = lib.register(subprocess.Popen(
            cmd, cwd=self.cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            preexec_fn=preexec))
        for name, stream in (("out", self.proc.stdout), ("err", self.proc.stderr)):
            t = threading.Thread(target=self._drain, args=(stream, self._chunks[name]),
                                 daemon=True)
            t.start()
            self._threads.append(t)
        if not lib.wait_port(self.port):
            self.proc.kill()
            self.proc.wait()
            self._join()
            raise AssertionError(f"server did not start: {self.output()!r} {self.errors()!r}")
        return self

    @staticmethod
    def _drain(stream, chunks):
        for block in iter(lambda: stream.read1(65536), b""):
            chunks.append(block)

    def _join(self):
        for t in self._threads:
            t.join(timeout=5)

    def output(self):
        return b"".join(self._chunks["out"]).decode(errors="replace")

    def errors(self):
        return b"".join(self._chunks["err"]).decode(errors="replace")

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        self.proc.wait(timeout=timeout)
        self._join()
        self.out = self.output()
        self.err = self.errors()
        return self.proc.returncode

    @property
    def pid(self):
        return self.proc.pid


# ---------------------------------------------------------------------------
# Looking at the server process.

def fd_list(pid):
    """The server's open descriptors as {fd: target}."""
    out = {}
    for name in os.listdir(f"/proc/{pid}/fd"):
        try:
            out[int(name)] = os.readlink(f"/proc/{pid}/fd/{name}")
        except OSError:
            pass
    return out


def assert_fds_return(pid, baseline, timeout=5.0, what=""):
    """Asserts that the server's descriptor count comes back to baseline
    within timeout (a leak otherwise), naming the extra descriptors."""
    end = time.monotonic() + timeout
    while True:
        n = lib.fd_count(pid)
        if n <= baseline:
            return n
        if time.monotonic() >= end:
            fds = fd_list(pid)
            kinds = {}
            for target in fds.values():
                k = target.split(":")[0] if ":" in target else target
                kinds[k] = kinds.get(k, 0) + 1
            raise AssertionError(f"{what}: server holds {n} descriptors {timeout:.0f} s later, "
                                 f"baseline {baseline}; by kind: {kinds}")
        time.sleep(0.05)


def settled_fd_count(pid, quiet=0.3, timeout=5.0):
    """The descriptor count once it has not changed for `quiet` seconds."""
    end = time.monotonic() + timeout
    last, since = lib.fd_count(pid), time.monotonic()
    while time.monotonic() < end:
        time.sleep(0.05)
        n = lib.fd_count(pid)
        if n != last:
            last, since = n, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
    return last


def cpu_seconds(pid):
    """utime + stime of the whole process (all threads), in seconds."""
    st = lib.proc_stat(pid)
    assert st is not None, f"process {pid} is gone"
    return (int(st[14]) + int(st[15])) / CLK_TCK


# ---------------------------------------------------------------------------
# Clients.

def get_request(path="/", close=True, extra=b""):
    return (b"GET " + path.encode() + b" HTTP/1.1\r\nHost: localhost\r\n"
            + (b"Connection: close\r\n" if close else b"") + extra + b"\r\n")


def timed_get(port, path="/", timeout=5.0):
    """A normal request on a fresh connection; returns (seconds from connect
    to the last body byte, Response or None)."""
    t0 = time.monotonic()
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(get_request(path))
        r, _ = lib.read_one(s, timeout=timeout)
        return time.monotonic() - t0, r
    finally:
        s.close()


def set_reset_on_close(s):
    """close() then sends a RST instead of a FIN."""
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def small_rcvbuf_socket(size=4096):
    """A socket whose receive buffer (and so TCP window) is small: set
    before connect, so the window scaling is negotiated for it."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
    return s


def recv_until_closed(s, timeout):
    """Reads everything until the peer closes; returns (bytes, how) where
    how is 'eof', 'reset' or 'timeout'."""
    data = b""
    end = time.monotonic() + timeout
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return data, "timeout"
        s.settimeout(left)
        try:
            chunk = s.recv(1 << 20)
        except socket.timeout:
            return data, "timeout"
        except ConnectionResetError:
            return data, "reset"
        if not chunk:
            return data, "eof"
        data += chunk


def open_keepalive(port, path="/", timeout=5.0):
    """A connection that has made one request and read its response, now
    idle in keep-alive; returns (socket, Response)."""
    s = lib.connect(port, timeout)
    try:
        s.sendall(get_request(path, close=False))
        r, rest = lib.read_one(s, timeout=timeout)
    except BaseException:
        s.close()
        raise
    assert rest == b"", rest[:100]
    return s, r


def close_all(socks):
    for s in socks:
        try:
            s.close()
        except OSError:
            pass
    socks.clear() if isinstance(socks, list) else None


# ---------------------------------------------------------------------------
# The slowloris client (slowloris.py), in its own process so that its work
# never takes the interpreter lock from the latency measurements.

class Trickler:
    """Starts `python3 slowloris.py PORT N INTERVAL`; ready() waits until
    every connection has sent its first byte; finish() stops it and returns
    its report (see slowloris.py)."""

    def __init__(self, port, n, interval=1.0):
        self.proc = lib.register(subprocess.Popen(
            [sys.executable, os.path.join(HERE, "slowloris.py"), str(port), str(n),
             str(interval)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE))

    def ready(self, timeout=30.0):
        r, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if r else b""
        if not line.startswith(b"ready"):
            self.proc.kill()
            out, err = self.proc.communicate()
            raise AssertionError(f"slowloris client not ready: {line + out!r} {err!r}")

    def finish(self, timeout=30.0):
        """Stops the client; returns its report, or None if it had already
        ended (ready() failed and killed it)."""
        if self.proc.returncode is not None:
            return None
        try:
            out, err = self.proc.communicate(b"stop\n", timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
            raise AssertionError(f"slowloris client did not stop: {err!r}")
        assert self.proc.returncode == 0, f"slowloris client failed: {err.decode()}"
        return json.loads(out)
