"""Issue 10, "the first five minutes": how a new user starts the server and
what a static-site generator's output needs from it.

- a positional directory (`server DIR`), -d still works, not both; the
  ./web default and its error when missing;
- the program name taken from argv[0] (`tern` once installed);
- `-p 0` picks a free port and prints it; the start-up line gives a
  clickable URL (localhost for all interfaces, the bound address else);
- on a terminal start-up is a line or two, the detail behind --verbose;
  not on a terminal the detail lines stay;
- --pretty-urls follows nginx's try_files $uri $uri.html $uri/;
- smart caching: unhashed assets get no-cache, --max-age overrides,
  --no-smart-cache leaves only --max-age.

Responses are judged with http.client (a strict client), not lib's reader.
Servers here are started with -p 0 and the port is read from their own
start-up line, so that line is checked by every test that uses it."""
import http.client
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import time

import lib

URL_RE = re.compile(r"open (http://(\S+?):(\d+)/)")
ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


# ---------------------------------------------------------------------------
# Helpers


def _env(extra=None):
    env = dict(os.environ, NO_COLOR="1")
    if extra:
        env.update(extra)
    return env


def _prog_copy(name="tern", symlink=False):
    """The server binary under another name in a fresh temp dir."""
    d = lib.tempdir()
    path = os.path.join(d, name)
    if symlink:
        os.symlink(lib.SERVER, path)
    else:
        shutil.copy2(lib.SERVER, path)
    return path


def _run(cmd, cwd=None, timeout=10):
    """Runs a command that must exit at once; CompletedProcess (text)."""
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              cwd=cwd, env=_env())
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"{cmd!r} did not exit within {timeout} s "
                             f"(stdout {e.stdout!r}, stderr {e.stderr!r})")


class PortZeroServer:
    """The server started with the caller's arguments (which should include
    -p 0), stdout and stderr on one pipe. start() reads the output until the
    start-up line names 'open http://HOST:PORT/' and sets self.url,
    self.host, self.port from it. On exit: SIGTERM, exit 0 required."""

    def __init__(self, args, cwd=None, binary=None, env=None):
        self.cmd = [binary or lib.SERVER, *args]
        self.cwd = cwd
        self.env = env
        self.proc = None
        self.text = ""
        self.url = self.host = self.port = None

    def _read(self, timeout):
        fd = self.proc.stdout.fileno()
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            return True
        chunk = os.read(fd, 65536)
        if not chunk:
            return False
        self.text += chunk.decode(errors="replace")
        return True

    def start(self, timeout=10.0):
        self.proc = lib.register(subprocess.Popen(self.cmd, cwd=self.cwd, env=_env(self.env),
                                                  stdin=subprocess.DEVNULL,
                                                  stdout=subprocess.PIPE,
                                                  stderr=subprocess.STDOUT))
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            m = URL_RE.search(self.text)
            if m and "\n" in self.text[m.end():]:
                self.url, self.host, self.port = m.group(1), m.group(2), int(m.group(3))
                break
            if not self._read(0.1):
                break
        if self.port is None:
            self.proc.kill()
            self.proc.wait(timeout=5)
            raise AssertionError(f"no 'open http://HOST:PORT/' start-up line from {self.cmd!r} "
                                 f"(exit {self.proc.returncode}): {self.text!r}")
        assert self.port != 0, self.text
        # The line is written once the sockets listen; give the log a moment
        # for the lines after it (limits, sandbox) to arrive too.
        end = time.monotonic() + 0.3
        while time.monotonic() < end and self._read(0.05):
            pass
        return self

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        out, _ = self.proc.communicate(timeout=timeout)
        self.text += out.decode(errors="replace")
        return self.proc.returncode

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        running = self.proc.poll() is None
        rc = self.stop()
        if exc[0] is not None:
            if hasattr(exc[1], "add_note"):
                exc[1].add_note(f"server exit {rc}, output:\n{self.text[-4000:]}")
            return False
        assert rc >= 0, f"server died from signal {-rc}: {self.text}"
        if running:
            assert rc == 0, f"server exited {rc}: {self.text}"
        return False


def _get(port, path, headers=None, method="GET", host="127.0.0.1"):
    """One request with http.client; (status, {lower-name: value}, body).
    A repeated header field would show up joined, so none is lost."""
    c = http.client.HTTPConnection(host, port, timeout=10)
    try:
        c.request(method, path, headers=headers or {})
        r = c.getresponse()
        body = r.read()
        hdrs = {}
        for k, v in r.getheaders():
            k = k.lower()
            hdrs[k] = hdrs[k] + ", " + v if k in hdrs else v
        return r.status, hdrs, body
    finally:
        c.close()


def _curl_status(url):
    r = lib.curl("-o", "/dev/null", "-w", "%{http_code}", url)
    return r.stdout.decode()


def _site(files=None):
    return lib.make_site(files or {"index.html": b"<h1>first minutes</h1>\n"})


def _lines(text):
    return [ln for ln in ANSI_RE.sub("", text).replace("\r", "").split("\n") if ln.strip()]


def _on_pty(args, cwd=None, settle=1.0, timeout=10.0, request_path="/", log_file=None):
    """Runs the server in the foreground with a fresh pseudo-terminal as its
    controlling terminal, stdin, stdout and stderr (as typed in a shell,
    NO_COLOR unset). Reads until the start-up URL shows and the output has
    been quiet for `settle` seconds; those are the start-up lines. Then
    sends one GET (to the printed port), reads a little more, stops the
    server with SIGINT. Returns (start-up lines, port, status of the GET,
    all terminal text, exit code). log_file: the URL is looked for there
    too (--log-file sends the messages to it)."""
    import fcntl
    import termios

    master, slave = os.openpty()

    def make_ctty():
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    env = dict(os.environ)
    env.pop("NO_COLOR", None)
    try:
        p = subprocess.Popen([lib.SERVER, *args], cwd=cwd, stdin=slave, stdout=slave,
                             stderr=slave, start_new_session=True, preexec_fn=make_ctty,
                             env=env)
    except BaseException:
        os.close(master)
        raise
    finally:
        os.close(slave)
    lib.register(p)
    buf = b""

    def pump(seconds):
        nonlocal buf
        end = time.monotonic() + seconds
        got = False
        while time.monotonic() < end:
            ready, _, _ = select.select([master], [], [], max(0.0, min(0.05, end - time.monotonic())))
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                return got
            buf += chunk
            got = True
        return got

    port = status = None
    try:
        end = time.monotonic() + timeout
        text = ""
        while time.monotonic() < end:
            pump(0.1)
            text = ANSI_RE.sub("", buf.decode(errors="replace"))
            if log_file:
                text += lib.read_text(log_file)
            m = re.search(r"https?://[^\s/]+:(\d+)/", text)
            if m:
                port = int(m.group(1))
                break
            if p.poll() is not None:
                break
        assert port, f"no URL on the terminal (exit {p.poll()}): {text!r}"
        # Quiet for `settle` seconds: nothing more is printed before a request.
        while pump(settle):
            pass
        startup = _lines(buf.decode(errors="replace"))
        if request_path is not None:
            status = _get(port, request_path, host="127.0.0.1")[0]
            pump(0.5)
        p.send_signal(signal.SIGINT)
        end = time.monotonic() + 15
        while p.poll() is None and time.monotonic() < end:
            pump(0.1)
        pump(0.2)
        rc = p.wait(timeout=5)
    finally:
        os.close(master)
    return startup, port, status, ANSI_RE.sub("", buf.decode(errors="replace")), rc


def _ipv6_loopback():
    try:
        s = socket.socket(socket.AF_INET6)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


# ---------------------------------------------------------------------------
# 1. The directory: positional, -d, not both; ./web and its error


def test_positional_directory_serves_it():
    root = _site({"index.html": b"<h1>positional</h1>\n", "a.txt": b"AAA\n"})
    # Options before and after the directory (GNU getopt permutes).
    for args in (["-p", "0", "-a", "127.0.0.1", root], [root, "-p", "0", "-a", "127.0.0.1"]):
        with PortZeroServer(args) as s:
            st, h, body = _get(s.port, "/")
            assert (st, body) == (200, b"<h1>positional</h1>\n"), (args, st, body)
            st, h, body = _get(s.port, "/a.txt")
            assert (st, body) == (200, b"AAA\n"), (args, st, body)
            assert root in s.text, ("the start-up line names the directory", s.text)


def test_positional_relative_directory():
    base = lib.tempdir()
    os.makedirs(os.path.join(base, "public"))
    with open(os.path.join(base, "public", "index.html"), "wb") as f:
        f.write(b"relative\n")
    with PortZeroServer(["-p", "0", "-a", "127.0.0.1", "public"], cwd=base) as s:
        st, _, body = _get(s.port, "/")
        assert (st, body) == (200, b"relative\n")


def test_dash_d_still_works():
    root = _site({"index.html": b"dash-d\n"})
    for args in (["-d", root], ["--root", root], [f"--root={root}"]):
        with PortZeroServer(["-p", "0", "-a", "127.0.0.1", *args]) as s:
            st, _, body = _get(s.port, "/")
            assert (st, body) == (200, b"dash-d\n"), (args, st, body)


def test_directory_given_twice_is_usage_error():
    a, b = _site(), _site()
    for args in (["-d", a, b], [b, "-d", a], [a, b], ["--root", a, b]):
        r = lib.run_server(["-p", str(lib.free_port()), "-a", "127.0.0.1", *args], timeout=5)
        assert r.returncode == 2, (args, r)
        assert r.stdout == "", (args, r.stdout)
        assert "once" in r.stderr, ("the error says the directory is given once", args, r.stderr)
        assert "--help" in r.stderr, (args, r.stderr)
    # Three positionals: the same error, naming the first extra one.
    r = lib.run_server(["-p", str(lib.free_port()), a, b, "third"], timeout=5)
    assert r.returncode == 2 and b in r.stderr, r


def test_default_web_from_cwd():
    base = lib.tempdir()
    os.makedirs(os.path.join(base, "web"))
    with open(os.path.join(base, "web", "index.html"), "wb") as f:
        f.write(b"default web\n")
    with PortZeroServer(["-p", "0", "-a", "127.0.0.1"], cwd=base) as s:
        st, _, body = _get(s.port, "/")
        assert (st, body) == (200, b"default web\n")


def test_missing_web_error_says_how_to_serve_a_folder():
    empty = lib.tempdir()
    prog = os.path.basename(lib.SERVER)
    r = _run([lib.SERVER, "-p", str(lib.free_port()), "-a", "127.0.0.1"], cwd=empty)
    assert r.returncode in (1, 2), r
    assert r.stdout == "", r.stdout
    assert "DIR" in r.stderr, ("the error shows how to serve another folder", r.stderr)
    assert f"{prog} DIR" in r.stderr, ("names the program as called", prog, r.stderr)
    assert r.stderr.startswith(f"{prog}:"), r.stderr
    assert "web" in r.stderr, r.stderr
    # Under another name the hint names that program.
    tern = _prog_copy()
    r = _run([tern, "-p", str(lib.free_port()), "-a", "127.0.0.1"], cwd=empty)
    assert r.returncode in (1, 2), r
    assert "tern DIR" in r.stderr, r.stderr
    assert r.stderr.startswith("tern:"), r.stderr


def test_missing_given_directory_names_it_without_web_hint():
    base = lib.tempdir()
    missing = os.path.join(base, "no-such-site")
    for args in ([missing], ["-d", missing]):
        r = _run([lib.SERVER, "-p", str(lib.free_port()), "-a", "127.0.0.1", *args], cwd=base)
        assert r.returncode == 1, (args, r)
        assert missing in r.stderr, (args, r.stderr)
        assert "'./web'" not in r.stderr, (args, r.stderr)


# ---------------------------------------------------------------------------
# 2. The program name is how it was called


def test_help_names_program_as_called():
    for symlink in (False, True):
        tern = _prog_copy(symlink=symlink)
        r = _run([tern, "--help"])
        assert r.returncode == 0, r
        first = r.stdout.splitlines()[0]
        assert first == "Usage: tern [OPTION]... [DIR]", (symlink, first)
        assert r.stderr == ""
    # Called by a relative path: the name is still the last component.
    d = os.path.dirname(_prog_copy())
    r = _run(["./tern", "-h"], cwd=d)
    assert r.stdout.splitlines()[0] == "Usage: tern [OPTION]... [DIR]", r.stdout
    # The build's own name.
    r = lib.run_server(["--help"])
    assert r.stdout.splitlines()[0] == \
        f"Usage: {os.path.basename(lib.SERVER)} [OPTION]... [DIR]", r.stdout


def test_usage_errors_name_program_as_called():
    tern = _prog_copy()
    r = _run([tern, "--bogus"])
    assert r.returncode == 2, r
    assert r.stdout == ""
    assert r.stderr.startswith("tern:"), r.stderr
    assert "--bogus" in r.stderr.splitlines()[0], r.stderr
    # Unknown options print the usage (documented since the seed): it must
    # name tern; a 'Try ... --help' line must name tern too.
    assert "tern --help" in r.stderr or "Usage: tern " in r.stderr, r.stderr
    assert "server --help" not in r.stderr and "Usage: server" not in r.stderr, r.stderr
    # Errors that end in "Try 'PROG --help'".
    a, b = _site(), _site()
    for args in (["-p"], [a, b]):
        r = _run([tern, *args])
        assert r.returncode == 2, (args, r)
        assert r.stderr.startswith("tern:"), (args, r.stderr)
        for ln in r.stderr.splitlines():
            if ln.startswith("Try "):
                assert "'tern --help'" in ln, (args, r.stderr)
            if ln.startswith("Usage:"):
                assert ln.startswith("Usage: tern "), (args, r.stderr)
    r = _run([tern, a, b])
    assert "Try 'tern --help'" in r.stderr, r.stderr
    # Bad values and start-up failures.
    r = _run([tern, "-p", "70000", "-d", a])
    assert r.returncode == 2 and r.stderr.startswith("tern:"), r
    missing = os.path.join(lib.tempdir(), "gone")
    r = _run([tern, "-p", str(lib.free_port()), "-a", "127.0.0.1", missing])
    assert r.returncode == 1 and r.stderr.startswith("tern:"), r


def test_startup_failure_after_parsing_names_program():
    # The port is taken: the failure comes from main(), not the parser.
    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    try:
        tern = _prog_copy()
        r = _run([tern, "-p", str(holder.getsockname()[1]), "-a", "127.0.0.1", _site()])
        assert r.returncode == 1, r
        assert r.stderr.startswith("tern:") or "\ntern:" in r.stderr, r.stderr
        assert "server:" not in r.stderr, r.stderr
    finally:
        holder.close()


# ---------------------------------------------------------------------------
# 3 and 4. -p 0 and the clickable URL


def test_port_zero_all_interfaces_prints_localhost_url():
    root = _site({"index.html": b"zero\n"})
    with PortZeroServer(["-p", "0", root]) as s:
        assert s.host == "localhost", s.text
        assert f"open http://localhost:{s.port}/" in s.text, s.text
        # No unclickable [::] form as the URL to open.
        assert "open http://[::]" not in s.text, s.text
        st, _, body = _get(s.port, "/")
        assert (st, body) == (200, b"zero\n")
        # The printed URL itself, with curl, resolving localhost.
        assert _curl_status(s.url) == "200", s.url
        # The port really is the server's: it is listening there.
        assert lib.wait_port(s.port, timeout=1)


def test_port_zero_loopback_prints_bound_address():
    root = _site({"index.html": b"zero lo\n"})
    with PortZeroServer(["-p", "0", "-a", "127.0.0.1", root]) as s:
        assert s.host == "127.0.0.1", s.text
        assert f"open http://127.0.0.1:{s.port}/" in s.text, s.text
        assert "localhost" not in s.url
        st, _, body = _get(s.port, "/")
        assert (st, body) == (200, b"zero lo\n")
        assert _curl_status(s.url) == "200"


def test_port_zero_ipv4_any_prints_localhost():
    root = _site({"index.html": b"v4any\n"})
    with PortZeroServer(["-p", "0", "-a", "0.0.0.0", root]) as s:
        assert s.url == f"http://localhost:{s.port}/", s.text
        assert _get(s.port, "/")[0] == 200
        assert "0.0.0.0:" not in s.url


def test_port_zero_ipv6_loopback_url_is_bracketed():
    if not _ipv6_loopback():
        raise lib.Skip("no IPv6 loopback here")
    root = _site({"index.html": b"v6\n"})
    with PortZeroServer(["-p", "0", "-a", "::1", root]) as s:
        assert s.url == f"http://[::1]:{s.port}/", s.text
        assert _get(s.port, "/", host="::1")[0] == 200
        assert _curl_status(s.url) == "200"


def test_port_zero_many_threads_one_port():
    # Every event-loop thread has its own listening socket: they must all
    # be on the one port the kernel picked (else some connections would
    # find nobody, or the line would name the wrong one).
    root = _site({"index.html": b"threads\n"})
    with PortZeroServer(["-p", "0", "-a", "127.0.0.1", "-t", "4", root]) as s:
        for _ in range(40):
            st, _, body = _get(s.port, "/")
            assert (st, body) == (200, b"threads\n")
        rows = []
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                with open(table) as f:
                    rows += [ln.split() for ln in f.readlines()[1:]]
            except FileNotFoundError:
                pass
        mine = set()
        for ino in os.listdir(f"/proc/{s.proc.pid}/fd"):
            try:
                t = os.readlink(f"/proc/{s.proc.pid}/fd/{ino}")
            except OSError:
                continue
            if t.startswith("socket:["):
                mine.add(t[8:-1])
        listening = [r for r in rows if r[3] == "0A" and r[9] in mine]
        ports = {int(r[1].rsplit(":", 1)[1], 16) for r in listening}
        assert ports == {s.port}, (ports, s.port)
        assert len(listening) >= 1


def test_two_port_zero_servers_get_different_ports():
    a = _site({"index.html": b"A\n"})
    b = _site({"index.html": b"B\n"})
    with PortZeroServer(["-p", "0", "-a", "127.0.0.1", a]) as sa, \
            PortZeroServer(["-p", "0", "-a", "127.0.0.1", b]) as sb:
        assert sa.port != sb.port
        assert _get(sa.port, "/")[2] == b"A\n"
        assert _get(sb.port, "/")[2] == b"B\n"


def test_port_zero_redirect_names_real_port():
    # A directory without its slash is redirected; an absolute Location
    # must carry the port the server really has, not 0.
    root = _site({"index.html": b"x\n", "sub/index.html": b"sub\n"})
    with PortZeroServer(["-p", "0", "-a", "127.0.0.1", root]) as s:
        st, h, _ = _get(s.port, "/sub", headers={"Host": f"127.0.0.1:{s.port}"})
        assert st in (301, 302, 307, 308), (st, h)
        loc = h.get("location", "")
        assert loc.endswith("/sub/"), loc
        assert ":0/" not in loc, loc
        m = re.match(r"https?://[^/]*?:(\d+)/", loc)
        if m:
            assert int(m.group(1)) == s.port, loc
        # And with no port in Host, the Location still works when followed.
        r = lib.curl("-L", "-o", "/dev/null", "-w", "%{http_code}",
                     f"http://127.0.0.1:{s.port}/sub")
        assert r.stdout.decode() == "200", r


def test_port_zero_pipe_output_keeps_detail_lines():
    # Not on a terminal (a pipe): the detail stays as before.
    root = _site()
    with PortZeroServer(["-p", "0", "-a", "127.0.0.1", root]) as s:
        pass
    assert "limits:" in s.text, s.text
    assert "sandbox" in s.text, s.text
    assert root in s.text
    # The classic line keeps its shape: software, root, where, threads, PID.
    assert re.search(r"serving .* on http://127\.0\.0\.1:\d+/.*\(\d+ threads?, PID \d+\)",
                     s.text), s.text


def test_fixed_port_still_printed_and_served():
    root = _site({"index.html": b"fixed\n"})
    port = lib.free_port()
    with PortZeroServer(["-p", str(port), root]) as s:
        assert s.port == port, s.text
        assert s.url == f"http://localhost:{port}/"
        assert _get(port, "/")[2] == b"fixed\n"


def test_port_zero_survives_upgrade():
    # SIGUSR2 starts a new binary on the same sockets: it must name the
    # port it inherited, not pick or print another. (The new server shares
    # the output pipe, so it is read without waiting for its end.)
    root = _site({"index.html": b"upgrade\n"})
    with PortZeroServer(["-p", "0", "-a", "127.0.0.1", root]) as s:
        old = s.proc.pid
        s.proc.send_signal(signal.SIGUSR2)
        new = None
        try:
            end = time.monotonic() + 15
            while time.monotonic() < end:
                m = re.search(r"upgrade: started .* as PID (\d+)", s.text)
                if m and new is None:
                    new = int(m.group(1))
                    lib.register(new)
                if new and len(URL_RE.findall(s.text)) >= 2 and s.proc.poll() is not None:
                    break
                s._read(0.1)
            assert new and new != old, s.text
            assert s.proc.wait(timeout=15) == 0, s.text
            urls = URL_RE.findall(s.text)
            assert len(urls) == 2 and {int(u[2]) for u in urls} == {s.port}, (urls, s.text)
            st, _, body = _get(s.port, "/")
            assert (st, body) == (200, b"upgrade\n")
        finally:
            if new:
                try:
                    os.kill(new, signal.SIGTERM)
                except ProcessLookupError:
                    pass
                lib.wait_gone(new)


def _self_signed(d):
    if not shutil.which("openssl"):
        raise lib.Skip("openssl(1) is needed for a throwaway certificate")
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-keyout", "k.pem", "-out", "c.pem",
                        "-days", "2", "-subj", "/CN=localhost"], cwd=d, capture_output=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    return os.path.join(d, "c.pem"), os.path.join(d, "k.pem")


def test_port_zero_https_url_and_redirect():
    r = lib.run_server(["-V"])
    if "tls" not in r.stdout.split("features:", 1)[-1].split():
        raise lib.Skip("built without TLS")
    cert, key = _self_signed(lib.tempdir())
    root = _site({"index.html": b"secure\n"})
    plain = lib.free_port()
    s = PortZeroServer(["-p", "0", "-a", "127.0.0.1", "--tls-cert", cert, "--tls-key", key,
                        "--redirect-http", str(plain), root])
    # The URL is https: PortZeroServer's pattern is http only, so look here.
    s.proc = lib.register(subprocess.Popen(s.cmd, env=_env(), stdin=subprocess.DEVNULL,
                                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
    try:
        end = time.monotonic() + 10
        m = None
        while time.monotonic() < end and not m:
            if not s._read(0.1):
                break
            m = re.search(r"open (https://127\.0\.0\.1:(\d+)/)", s.text)
        assert m, s.text
        port = int(m.group(2))
        assert port != 0 and port != plain
        r = lib.curl("-k", "-o", "/dev/null", "-w", "%{http_code}", m.group(1))
        assert r.stdout.decode() == "200", r
        r = lib.curl("-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
                     f"http://127.0.0.1:{plain}/a/b?c=d")
        code, _, loc = r.stdout.decode().partition(" ")
        assert code in ("301", "308"), r.stdout
        assert loc == f"https://127.0.0.1:{port}/a/b?c=d", ("the redirect names the real port", loc)
    finally:
        assert s.stop() == 0, s.text


# ---------------------------------------------------------------------------
# 5. Terse on a terminal, detail behind --verbose


def _check_terse(startup, port, root):
    assert 1 <= len(startup) <= 3, ("at most 3 lines before the first request", startup)
    first = startup[0]
    assert "serving" in first and root in first, startup
    for ln in startup:
        assert "limits:" not in ln and "sandbox:" not in ln, startup
        assert ("serving" in ln or "also at" in ln or "[warn]" in ln or "warn" in ln.lower()), \
            ("unexpected start-up line on a terminal", ln, startup)


def test_terminal_startup_is_short():
    root = _site({"index.html": b"tty\n"})
    startup, port, status, text, rc = _on_pty(["-p", "0", root])
    _check_terse(startup, port, root)
    assert f"http://localhost:{port}/" in startup[0], startup
    assert "[::]" not in startup[0], startup
    assert status == 200, (status, text)
    assert rc == 0, (rc, text)
    if os.geteuid() == 0:
        assert any("root" in ln for ln in startup), ("root without -u still warns", startup)
    # The access log still reaches the terminal after the request.
    after = text[text.find(startup[-1]) + len(startup[-1]):]
    assert '"GET /"' in after, text


def test_terminal_startup_loopback_url():
    root = _site({"index.html": b"tty lo\n"})
    startup, port, status, text, rc = _on_pty(["-p", "0", "-a", "127.0.0.1", root])
    _check_terse(startup, port, root)
    assert f"http://127.0.0.1:{port}/" in startup[0], startup
    assert not any("also at" in ln for ln in startup), ("other addresses only for any", startup)
    assert status == 200 and rc == 0, (status, rc, text)


def test_terminal_verbose_shows_detail():
    root = _site({"index.html": b"tty verbose\n"})
    startup, port, status, text, rc = _on_pty(["-p", "0", "--verbose", root])
    joined = "\n".join(startup)
    assert "limits:" in joined, startup
    assert "sandbox" in joined, startup
    assert f"http://localhost:{port}/" in joined, startup
    assert status == 200 and rc == 0, (status, rc, text)


def test_terminal_root_warning_kept():
    if os.geteuid() != 0:
        raise lib.Skip("needs root: the 'running as root' warning")
    root = _site()
    startup, port, status, text, rc = _on_pty(["-p", "0", "-a", "127.0.0.1", root])
    assert any("running as root" in ln for ln in startup), startup
    assert len(startup) <= 3, startup


def test_log_file_keeps_detail_when_run_from_terminal():
    # In the foreground on a terminal with --log-file, the messages follow
    # the access log to the file, which is no terminal: full detail there.
    root = _site()
    log = os.path.join(lib.tempdir(), "access.log")
    startup, port, status, text, rc = _on_pty(["-p", "0", "-a", "127.0.0.1", "--log-file", log,
                                               root], log_file=log)
    assert rc == 0 and status == 200, (rc, status, text)
    content = lib.read_text(log)
    assert f"open http://127.0.0.1:{port}/" in content, content
    assert "limits:" in content and "sandbox" in content, content
    assert len(startup) <= 3, startup


# ---------------------------------------------------------------------------
# 6. --pretty-urls: try_files $uri $uri.html $uri/


def test_pretty_urls_html_beside_directory_without_index():
    posts_html = b"<!doctype html><title>posts</title>section page\n"
    root = _site({"index.html": b"home\n", "posts.html": posts_html,
                  "posts/first.html": b"first\n"})
    with PortZeroServer(["-p", "0", "-a", "127.0.0.1", "--pretty-urls", root]) as s:
        st, h, body = _get(s.port, "/posts")
        assert st == 200, (st, h)
        assert body == posts_html
        assert h["content-type"].startswith("text/html"), h
        assert int(h["content-length"]) == len(posts_html)
        # Query strings do not change the choice.
        assert _get(s.port, "/posts?page=2")[2] == posts_html
        # HEAD and revalidation.
        st, h2, body = _get(s.port, "/posts", method="HEAD")
        assert st == 200 and body == b"" and h2["content-length"] == str(len(posts_html))
        st, _, _ = _get(s.port, "/posts", headers={"If-None-Match": h["etag"]})
        assert st == 304
        # The directory, with its slash, is still the directory: no index.
        st, _, _ = _get(s.port, "/posts/")
        assert st == 403, st
        assert _get(s.port, "/posts/first")[2] == b"first\n"
        assert _get(s.port, "/posts/first.html")[2] == b"first\n"
        # Served from memory the second time: the same answer.
        for _ in range(3):
            assert _get(s.port, "/posts")[2] == posts_html
            assert _get(s.port, "/posts/")[0] == 403


def test_pretty_urls_html_beside_directory_with_index():
    root = _site({"posts.html": b"section\n", "posts/index.html": b"index of posts\n"})
    with PortZeroServer(["-p", "0", "-a", "127.0.0.1", "--pretty-urls", root]) as s:
        # Both orders, twice (the second from the memory cache).
        for _ in range(2):
            st, _, body = _get(s.port, "/posts")
            assert (st, body) == (200, b"section\n")
            assert _get(s.port, "/posts/")[2] == b"index of posts\n"
    with PortZeroServer(["-p", "0", "-a", "127.0.0.1", "--pretty-urls", root]) as s:
        for _ in range(2):
            st, _, body = _get(s.port, "/posts/")
            assert (st, body) == (200, b"index of posts\n")
            st, _, body = _get(s.port, "/posts")
            assert (st, body) == (200, b"section\n")


def test_pretty_urls_nested_and_listing():
    root = _site({"blog/2024.html": b"year page\n", "blog/2024/a.html": b"a\n",
                  "blog/index.html": b"blog\n"})
    with PortZeroServer(["-p", "0", "-a", "127.0.0.1", "--pretty-urls", "-l", root]) as s:
        st, _, body = _get(s.port, "/blog/2024")
        assert (st, body) == (200, b"year page\n")
        # The directory itself is listed (-l) with its slash.
        st, h, body = _get(s.port, "/blog/2024/")
        assert st == 200 and b"a.html" in body, (st, body[:300])
        # No blog.html: /blog is the directory, redirected to its slash.
        st, h, _ = _get(s.port, "/blog")
        assert st in (301, 302, 307, 308) and h["location"].endswith("/blog/"), (st, h)


def test_pretty_urls_directory_without_html_still_redirects():
    root = _site({"docs/index.html": b"docs\n", "about.html": b"about\n"})
    with PortZeroServer(["-p", "0", "-a", "127.0.0.1", "--pretty-urls", root]) as s:
        st, h, _ = _get(s.port, "/docs")
        assert st in (301, 302, 307, 308), (st, h)
        assert h["location"].endswith("/docs/"), h
        assert _get(s.port, "/docs/")[2] == b"docs\n"
        assert _get(s.port, "/about")[2] == b"about\n"
        assert _get(s.port, "/about/")[0] == 404


def test_pretty_urls_exact_file_wins():
    # try_files $uri first: a file named exactly "posts" beats posts.html.
    root = _site({"posts": b"exact file\n", "posts.html": b"html file\n"})
    with PortZeroServer(["-p", "0", "-a", "127.0.0.1", "--pretty-urls", root]) as s:
        st, _, body = _get(s.port, "/posts")
        assert (st, body) == (200, b"exact file\n")
        assert _get(s.port, "/posts.html")[2] == b"html file\n"


def test_pretty_urls_precompressed_page():
    import gzip
    page = b"<p>" + b"hello pretty " * 200 + b"</p>\n"
    root = _site({"posts.html": page, "posts.html.gz": gzip.compress(page),
                  "posts/x.txt": b"x\n"})
    with PortZeroServer(["-p", "0", "-a", "127.0.0.1", "--pretty-urls", root]) as s:
        st, h, body = _get(s.port, "/posts", headers={"Accept-Encoding": "gzip"})
        assert st == 200 and h.get("content-encoding") == "gzip", h
        assert gzip.decompress(body) == page
        assert h["content-type"].startswith("text/html"), h
        st, h, body = _get(s.port, "/posts", headers={"Accept-Encoding": "identity"})
        assert st == 200 and "content-encoding" not in h and body == page, h


def test_without_pretty_urls_directory_redirect_unchanged():
    root = _site({"posts.html": b"section\n", "posts/x.txt": b"x\n"})
    with PortZeroServer(["-p", "0", "-a", "127.0.0.1", root]) as s:
        st, h, _ = _get(s.port, "/posts")
        assert st in (301, 302, 307, 308) and h["location"].endswith("/posts/"), (st, h)
        assert _get(s.port, "/posts/")[0] == 403
        assert _get(s.port, "/posts.html")[2] == b"section\n"


def test_pretty_urls_html_directory_is_not_a_page():
    # "posts.html" that is itself a directory is not served for /posts.
    root = _site({"posts/x.txt": b"x\n", "posts.html/y.txt": b"y\n"})
    with PortZeroServer(["-p", "0", "-a", "127.0.0.1", "--pretty-urls", root]) as s:
        st, h, _ = _get(s.port, "/posts")
        assert st in (301, 302, 307, 308) and h["location"].endswith("/posts/"), (st, h)


# ---------------------------------------------------------------------------
# 7. Caching


CACHE_SITE = {
    "index.html": b"<!doctype html><title>c</title>home\n",
    "page.html": b"<!doctype html><title>p</title>page\n",
    "site.css": b"body { color: #222; }\n",
    "logo.png": b"\x89PNG\r\n\x1a\n" + bytes(range(64)),
    "data.json": b'{"a": 1}\n',
    "app.3f9a1c2b.js": b"console.log('hashed');\n",
    "main-5d41402a.css": b"p{}\n",
}
IMMUTABLE = "public, max-age=31536000, immutable"


def test_smart_cache_default_unhashed_assets_revalidate():
    root = _site(CACHE_SITE)
    with PortZeroServer(["-p", "0", "-a", "127.0.0.1", root]) as s:
        for path in ("/site.css", "/logo.png", "/data.json"):
            for _ in range(2):  # from disk, then from memory
                st, h, body = _get(s.port, path)
                assert st == 200 and body == CACHE_SITE[path[1:]], (path, st)
                assert h.get("cache-control") == "no-cache", (path, h)
        for path in ("/", "/index.html", "/page.html"):
            st, h, _ = _get(s.port, path)
            assert st == 200 and h.get("cache-control") == "no-cache", (path, h)
        for path in ("/app.3f9a1c2b.js", "/main-5d41402a.css"):
            for _ in range(2):
                st, h, _ = _get(s.port, path)
                assert st == 200 and h.get("cache-control") == IMMUTABLE, (path, h)


def test_smart_cache_browser_revalidation_gets_304():
    root = _site(CACHE_SITE)
    with PortZeroServer(["-p", "0", "-a", "127.0.0.1", root]) as s:
        st, h, _ = _get(s.port, "/site.css")
        etag, lm = h["etag"], h["last-modified"]
        # What a browser sends after no-cache: the validators it kept.
        st, h304, body = _get(s.port, "/site.css", headers={
            "If-None-Match": etag, "If-Modified-Since": lm,
            "Accept-Encoding": "gzip, deflate, br, zstd"})
        assert st == 304 and body == b"", (st, h304)
        assert h304.get("etag") == etag, h304
        # RFC 9110 15.4.5: a 304 carries the Cache-Control a 200 would.
        assert h304.get("cache-control") == "no-cache", h304
        st, _, _ = _get(s.port, "/site.css", headers={"If-None-Match": etag})
        assert st == 304
        st, _, _ = _get(s.port, "/site.css", headers={"If-Modified-Since": lm})
        assert st == 304
        # curl with the ETag, as an independent client.
        r = lib.curl("-o", "/dev/null", "-w", "%{http_code}", "-H", f"If-None-Match: {etag}",
                     f"http://127.0.0.1:{s.port}/site.css")
        assert r.stdout.decode() == "304", r


def test_smart_cache_compressed_asset_revalidates_too():
    big_css = b"".join(b".c%d { color: #%06x; margin: 0 auto; }\n" % (i, i) for i in range(400))
    root = _site({"big.css": big_css, "index.html": b"x\n"})
    with PortZeroServer(["-p", "0", "-a", "127.0.0.1", root]) as s:
        for _ in range(3):
            st, h, body = _get(s.port, "/big.css", headers={"Accept-Encoding": "gzip"})
            assert st == 200, st
            assert h.get("cache-control") == "no-cache", h
            if h.get("content-encoding") == "gzip":
                import gzip
                assert gzip.decompress(body) == big_css
            else:
                assert body == big_css


def test_max_age_overrides_for_unhashed_assets():
    root = _site(CACHE_SITE)
    with PortZeroServer(["-p", "0", "-a", "127.0.0.1", "--max-age", "600", root]) as s:
        for path in ("/site.css", "/logo.png"):
            st, h, _ = _get(s.port, path)
            assert st == 200 and h.get("cache-control") == "max-age=600", (path, h)
        # HTML and hashed names keep their smart policy.
        assert _get(s.port, "/page.html")[1].get("cache-control") == "no-cache"
        assert _get(s.port, "/app.3f9a1c2b.js")[1].get("cache-control") == IMMUTABLE


def test_no_smart_cache_without_max_age_sends_none():
    root = _site(CACHE_SITE)
    with PortZeroServer(["-p", "0", "-a", "127.0.0.1", "--no-smart-cache", root]) as s:
        for path in ("/site.css", "/logo.png", "/page.html", "/app.3f9a1c2b.js"):
            for _ in range(2):
                st, h, _ = _get(s.port, path)
                assert st == 200 and "cache-control" not in h, (path, h)
        st, h, _ = _get(s.port, "/site.css")
        st, _, _ = _get(s.port, "/site.css", headers={"If-None-Match": h["etag"]})
        assert st == 304


def test_no_smart_cache_with_max_age_applies_to_all():
    root = _site(CACHE_SITE)
    with PortZeroServer(["-p", "0", "-a", "127.0.0.1", "--no-smart-cache", "--max-age", "600",
                         root]) as s:
        for path in ("/site.css", "/page.html", "/app.3f9a1c2b.js"):
            st, h, _ = _get(s.port, path)
            assert st == 200 and h.get("cache-control") == "max-age=600", (path, h)
