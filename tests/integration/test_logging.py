"""The request log: line format, standard output in the foreground, no
colour without a terminal or with NO_COLOR, --log-file appending, and
"Stopped" at a clean stop."""
import datetime
import os
import signal
import subprocess

import lib


def site():
    return lib.make_site({"index.html": b"<p>i</p>\n", "a.txt": b"A\n", "sub/index.html": b"s\n"})


def request_lines(text):
    return [l for l in text.splitlines() if lib.LOG_LINE.match(l)]


def test_request_lines_on_stdout():
    with lib.Server(root=site()) as s:
        lib.request(s.port, "/index.html")
        lib.request(s.port, "/a.txt", method="HEAD")
        lib.request(s.port, "/missing.txt")
        lib.request(s.port, "/a.txt", method="POST")
        lib.request(s.port, "/sub")
    lines = request_lines(s.out)
    assert len(lines) == 5, s.out
    now = datetime.datetime.now(datetime.timezone.utc)
    expected = [("GET /index.html", "200", "OK"), ("HEAD /a.txt", "200", "OK"),
                ("GET /missing.txt", "404", "Not Found"),
                ("POST /a.txt", "501", "Not Implemented"),
                ("GET /sub", "301", "Moved Permanently")]
    # Threads log independently: lines from different connections may come
    # in any order, so match them by request.
    by_req = {lib.LOG_LINE.match(l).group(3): l for l in lines}
    assert len(by_req) == 5, lines
    for req, status, reason in expected:
        line = by_req.get(req)
        assert line, (req, lines)
        m = lib.LOG_LINE.match(line)
        ts, ip, got_req, got_status, got_reason = m.groups()
        t = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc)
        assert abs((now - t).total_seconds()) < 60, line  # UTC, not local time
        assert ip == "127.0.0.1", line
        assert got_req == req, line
        assert got_status == status and got_reason == reason, line
    # The exact documented shape.
    assert by_req["GET /index.html"].endswith(' - 127.0.0.1 - "GET /index.html" 200 OK')


def test_error_requests_logged():
    with lib.Server(root=site()) as s:
        lib.raw(s.port, b"GET / HTTP/1.1\r\n\r\n")  # no Host
        lib.raw(s.port, b"GET / HTTP/2.0\r\nHost: x\r\n\r\n")
    lines = request_lines(s.out)
    assert any(l.endswith('"GET /" 400 Bad Request') for l in lines), s.out
    assert any(l.endswith('"GET /" 505 HTTP Version Not Supported') for l in lines), s.out


def test_log_cannot_be_forged():
    with lib.Server(root=site()) as s:
        lib.raw(s.port, b'GET /x"y\\z\xff HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')
    lines = [l for l in s.out.splitlines() if "/x" in l]
    assert len(lines) == 1, s.out
    assert lib.LOG_LINE.match(lines[0]), lines[0]
    assert lines[0].endswith('" 404 Not Found'), lines[0]


def test_no_colour_without_tty():
    # NO_COLOR removed: only the missing terminal keeps colour out.
    with lib.Server(root=site(), env={"NO_COLOR": None}) as s:
        lib.request(s.port, "/a.txt")
        lib.request(s.port, "/missing")
    assert "\x1b" not in s.out, repr(s.out)
    assert len(request_lines(s.out)) == 2, s.out


def _run_on_terminal(env):
    """Starts the server with stdout on a pseudo-terminal, makes two
    requests, stops it; returns what the terminal showed."""
    import pty
    import select
    import time
    root = site()
    port = lib.free_port()
    master, slave = pty.openpty()
    full = dict(os.environ)
    full.pop("NO_COLOR", None)
    full.update(env)
    p = lib.register(subprocess.Popen(
        [lib.SERVER, "-p", str(port), "-a", "127.0.0.1", "-d", root],
        stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=full))
    os.close(slave)
    out = b""
    try:
        assert lib.wait_port(port), "server did not start"
        lib.request(port, "/a.txt")
        lib.request(port, "/missing")
        p.send_signal(signal.SIGTERM)
        end = time.monotonic() + 10
        while time.monotonic() < end:
            r, _, _ = select.select([master], [], [], 0.2)
            if r:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
            elif p.poll() is not None:
                break
        assert p.wait(timeout=10) == 0
    finally:
        os.close(master)
    return out.decode(errors="replace")


def test_no_colour_with_no_color_on_tty():
    out = _run_on_terminal({"NO_COLOR": "1"})
    assert '"GET /a.txt" 200 OK' in out, repr(out)
    assert "\x1b" not in out, repr(out)


def test_colour_on_tty_without_no_color():
    # The counterpart of the checks above: on a terminal the status is
    # coloured, so those checks test something.
    out = _run_on_terminal({})
    assert "GET /a.txt" in out, repr(out)
    assert "\x1b[" in out, repr(out)


def test_log_file_appends():
    root = site()
    logdir = lib.tempdir()
    log = os.path.join(logdir, "access.log")
    with open(log, "w") as f:
        f.write("an earlier line\n")
    with lib.Server(root=root, args=["--log-file", log]) as s:
        lib.request(s.port, "/a.txt")
    first = lib.read_text(log)
    assert first.startswith("an earlier line\n"), first
    assert '"GET /a.txt" 200 OK' in first, first
    assert "Stopped" in first
    assert "GET /a.txt" not in s.out, s.out  # not on stdout as well
    with lib.Server(root=root, args=["--log-file", log]) as s:
        lib.request(s.port, "/missing")
    second = lib.read_text(log)
    assert second.startswith(first), second
    assert '"GET /missing" 404 Not Found' in second[len(first):], second
    assert "\x1b" not in second


def test_log_file_created_if_missing():
    root = site()
    log = os.path.join(lib.tempdir(), "new.log")
    with lib.Server(root=root, args=["--log-file", log]) as s:
        lib.request(s.port, "/")
    text = lib.read_text(log)
    assert '"GET /" 200 OK' in text and "Stopped" in text, text


def test_log_file_unwritable_fails():
    bad = os.path.join(lib.tempdir(), "no", "such", "dir", "x.log")
    r = lib.run_server(["-p", str(lib.free_port()), "-a", "127.0.0.1", "-d", site(),
                        "--log-file", bad], timeout=10)
    assert r.returncode != 0, r
    assert bad in r.stderr, r.stderr


def test_stopped_logged_last():
    with lib.Server(root=site()) as s:
        lib.request(s.port, "/a.txt")
    lines = [l for l in s.out.splitlines() if l.strip()]
    assert lines and lines[-1].endswith("Stopped"), s.out
    assert any(l.endswith('"GET /a.txt" 200 OK') for l in lines[:-1]), s.out
