"""A log that stops taking lines never stops the server: with standard
output a pipe nobody reads, requests are still answered, and the lines
that found no room are dropped, counted on /metrics and reported in the
error log, and every line is either written or counted. With a log that
takes its lines, a stop loses none, also when the log only starts to be
read after the stop signal."""
import re
import signal
import subprocess
import threading
import time

import lib

METRIC = "tern_log_lines_dropped_total"
DROP_REPORT = re.compile(r"access log: (\d+) lines dropped, the log sink is not keeping up")


def site():
    return lib.make_site({"a.txt": b"A\n"})


def start(args):
    """The server with standard output and error on pipes nobody reads yet;
    returns (lib.Server for its port and command line, Popen)."""
    s = lib.Server(root=site(), args=args)
    p = lib.register(subprocess.Popen(s.command(), env=s.environment(),
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    if not lib.wait_port(s.port):
        p.kill()
        raise AssertionError(f"server did not start: {p.communicate(timeout=5)!r}")
    return s, p


class Drain:
    """Reads a pipe to its end in a thread, so the server's writes go on."""

    def __init__(self, pipe):
        self.data = b""
        self.thread = threading.Thread(target=self._run, args=(pipe,), daemon=True)
        self.thread.start()

    def _run(self, pipe):
        while True:
            chunk = pipe.read1(65536)
            if not chunk:
                return
            self.data += chunk

    def text(self):
        return self.data.decode(errors="replace")


def fire(port, n, target="/a.txt", headers=None, conns=8, batch=50, timeout=5.0):
    """n GET requests over conns keep-alive connections at once, batch of
    them pipelined at a time; returns how many were answered 200."""
    head = f"GET {target} HTTP/1.1\r\nHost: localhost\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    req = (head + "\r\n").encode()
    answered = [0] * conns

    def run(i):
        todo = n // conns + (1 if i < n % conns else 0)
        try:
            s = lib.connect(port, timeout)
        except OSError:
            return
        buf = b""
        try:
            while todo:
                k = min(batch, todo)
                s.sendall(req * k)
                for _ in range(k):
                    r, buf = lib.read_response(buf)
                    while r is None:
                        chunk = s.recv(65536)
                        if not chunk:
                            return
                        buf += chunk
                        r, buf = lib.read_response(buf)
                    answered[i] += r.status == 200
                todo -= k
        except OSError:  # timed out: the server stalled
            return
        finally:
            s.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(answered)


def parse_prometheus(text):
    """The text format (0.0.4): {name: type} from the # TYPE lines and
    {(name, labels): value} from the samples "name{labels} value", each
    sample after the TYPE line of its name."""
    types, samples = {}, {}
    for line in text.splitlines():
        if not line:
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            assert len(parts) >= 3 and parts[1] in ("HELP", "TYPE"), line
            if parts[1] == "TYPE":
                assert len(parts) == 4 and parts[3] in ("counter", "gauge"), line
                types[parts[2]] = parts[3]
            continue
        m = re.fullmatch(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? ([0-9.eE+-]+)', line)
        assert m, f"not a sample line: {line!r}"
        assert m.group(1) in types, f"sample before its TYPE line: {line!r}"
        samples[(m.group(1), m.group(2) or "")] = float(m.group(3))
    return types, samples


def dropped(port):
    r = lib.request(port, "/metrics")
    assert r.status == 200, r.status
    types, samples = parse_prometheus(r.body.decode())
    assert types.get(METRIC) == "counter", r.body
    assert (METRIC, "") in samples, r.body
    return samples[(METRIC, "")]


def no_sanitizer_report(err):
    for word in ("runtime error", "AddressSanitizer", "LeakSanitizer", "ThreadSanitizer"):
        assert word not in err, f"sanitizer report:\n{err[-4000:]}"


def stop(p, out, err, timeout=15):
    """SIGTERM, then the exit status once both pipes are read to the end."""
    p.send_signal(signal.SIGTERM)
    rc = p.wait(timeout=timeout)
    out.thread.join(5)
    err.thread.join(5)
    no_sanitizer_report(err.text())
    return rc


def test_stalled_stdout_does_not_stall_requests():
    s, p = start(["--log-format", "combined", "--metrics", "/metrics"])
    # Lines of about 2 KiB: 4000 of them are twice what the log queue holds.
    long_headers = {"User-Agent": "u" * 500, "Referer": "http://r/" + "r" * 490}
    n = 4000
    answered = fire(s.port, n, "/a.txt?" + "q" * 1000, long_headers)
    assert answered == n, f"{answered} of {n} requests answered with standard output stalled"
    t = time.monotonic()
    r = lib.request(s.port, "/a.txt", timeout=1.0)
    took = time.monotonic() - t
    assert r.status == 200 and took < 1.0, (r.status, took)
    count = dropped(s.port)
    assert count > 0, count

    # The log is read again: what was kept comes out, then the report.
    out, err = Drain(p.stdout), Drain(p.stderr)
    assert lib.wait_for(lambda: DROP_REPORT.search(err.text()), 10), err.text()[-2000:]
    assert stop(p, out, err) == 0, err.text()[-2000:]
    reported = sum(int(m.group(1)) for m in DROP_REPORT.finditer(err.text()))
    assert reported >= count, (reported, count)
    # Each request's line was written whole or counted: n, the one after,
    # and the /metrics request.
    lines = out.text().splitlines()
    assert all(l.startswith('127.0.0.1 - - [') and l.endswith('"') for l in lines), \
        [l[:100] for l in lines if not l.endswith('"')][:3]
    assert len(lines) + reported == n + 2, (len(lines), reported)
    assert err.text().rstrip().endswith("Stopped"), err.text()[-500:]


def test_no_line_lost_at_stop_with_log_file():
    log = lib.tempdir() + "/access.log"
    s, p = start(["--log-file", log, "--metrics", "/metrics"])
    out, err = Drain(p.stdout), Drain(p.stderr)
    n = 3000
    assert fire(s.port, n) == n
    assert dropped(s.port) == 0
    # Stopped at once: lines still in the loops' buffers and in the queue.
    assert stop(p, out, err) == 0, err.text()
    text = lib.read_text(log)
    got = [l for l in text.splitlines() if lib.LOG_LINE.match(l) and '"GET /a.txt"' in l]
    assert len(got) == n, (len(got), n)
    assert text.rstrip().endswith("Stopped"), text[-300:]


def test_no_line_lost_when_stdout_is_read_only_after_stop():
    s, p = start([])
    n = 1500  # about 100 KiB of lines: more than the pipe holds
    assert fire(s.port, n) == n
    p.send_signal(signal.SIGTERM)
    time.sleep(1.0)  # the stop waits for a log that takes nothing yet
    out, err = Drain(p.stdout), Drain(p.stderr)
    assert p.wait(timeout=15) == 0, err.text()
    out.thread.join(5)
    err.thread.join(5)
    no_sanitizer_report(err.text())
    lines = out.text().splitlines()
    got = [l for l in lines if lib.LOG_LINE.match(l)]
    assert len(got) == n, (len(got), n)
    assert all(l.endswith('"GET /a.txt" 200 OK') for l in got), got[:3]
    assert lines[-1].endswith("Stopped"), lines[-3:]
    assert "lines dropped" not in out.text() and "lines lost" not in out.text()
