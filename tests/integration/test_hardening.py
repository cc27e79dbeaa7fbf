"""Regression tests for hardening fixes, one per defect class: far-future
and negative mtimes, compression / listings / password checks kept off
the event loop, one memory bound for cached and in-flight bodies, the
send-rate timeout, cache keys that a request path cannot forge, 406 for
identity;q=0, staleness of index, fallback and same-size rewrites,
aborted responses in the log and metrics, malformed heads and -H values,
the server's own files (log) never served, and 503 past --max-conns.
Responses are judged with real clients and decoders (http.client, gzip,
brotli -d, email, json, html.parser); latency with time.monotonic, memory
and CPU from /proc/PID/status and /proc/PID/stat."""
import base64
import email.utils
import http.client
import io
import json
import os
import random
import re
import signal
import socket
import statistics
import struct
import tempfile
import threading
import time

import featlib as fl
import lib

MiB = 1024 * 1024


# ---------------------------------------------------------------------------
# Helpers


def conn(port, timeout=10.0):
    return http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)


def fetch(port, path, method="GET", headers=None, timeout=10.0):
    """One request on a fresh http.client connection; returns (status,
    {lower-name: value}, body)."""
    c = conn(port, timeout)
    try:
        c.request(method, path, headers=headers or {})
        r = c.getresponse()
        body = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, body
    finally:
        c.close()


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def cpu_seconds(pid):
    st = lib.proc_stat(pid)
    assert st is not None, f"process {pid} gone"
    return (int(st[14]) + int(st[15])) / os.sysconf("SC_CLK_TCK")


def p99(samples):
    s = sorted(samples)
    return s[min(len(s) - 1, int(len(s) * 0.99))]


def p95(samples):
    s = sorted(samples)
    return s[min(len(s) - 1, int(len(s) * 0.95))]


def bundle_text(n, seed=1):
    """n bytes of JavaScript-like text: compressible, but not so repetitive
    that compressing it is free."""
    r = random.Random(seed)
    words = ["".join(r.choice("abcdefghijklmnopqrstuvwxyz_") for _ in range(r.randint(3, 12)))
             for _ in range(4000)]
    out = bytearray()
    while len(out) < n:
        k = r.randint(3, 9)
        line = "function %s(%s){return %s(%d)+%s;}\n" % (
            r.choice(words), ",".join(r.choice(words) for _ in range(k)),
            r.choice(words), r.randint(0, 10**6), r.choice(words))
        out += line.encode()
    return bytes(out[:n])


class LatencyProbe(threading.Thread):
    """GET path on one keep-alive connection over and over until stopped
    (at most max_n requests); records each request's latency in seconds.
    Bodies are checked against want (if given)."""

    def __init__(self, port, path, headers=None, want=None, max_n=20000, pause=0.005):
        super().__init__(daemon=True)
        self.port, self.path, self.headers, self.want = port, path, headers or {}, want
        self.max_n, self.pause = max_n, pause
        self.samples, self.errors = [], []
        self.stop_evt = threading.Event()

    def run(self):
        c = conn(self.port, timeout=15)
        try:
            for _ in range(self.max_n):
                if self.stop_evt.is_set():
                    break
                t = time.monotonic()
                try:
                    c.request("GET", self.path, headers=self.headers)
                    r = c.getresponse()
                    body = r.read()
                except (OSError, http.client.HTTPException) as e:
                    self.errors.append(repr(e))
                    c.close()
                    c = conn(self.port, timeout=15)
                    continue
                self.samples.append(time.monotonic() - t)
                if r.status != 200 or (self.want is not None and body != self.want):
                    self.errors.append(f"status {r.status}, {len(body)} bytes")
                time.sleep(self.pause)
        finally:
            c.close()

    def stop(self):
        self.stop_evt.set()
        self.join(timeout=20)


def wide_mtime_dir():
    """A temporary directory, on a file system that keeps a 2**62-second
    mtime if there is one here (tmpfs does; ext4 clamps to year 2446)."""
    for base in ("/dev/shm", None):
        try:
            d = tempfile.mkdtemp(prefix="srvtest-", dir=base)
        except OSError:
            continue
        lib._dirs.append(d)
        p = os.path.join(d, ".probe")
        with open(p, "wb"):
            pass
        try:
            os.utime(p, ns=(2**62 * 10**9, 2**62 * 10**9))
            ok = os.stat(p).st_mtime == 2**62
        except (OSError, OverflowError):
            ok = False
        os.unlink(p)
        if ok or base is None:
            return d
    raise AssertionError("no temporary directory")


def slow_socket(port, rcvbuf=4096):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(10)
    s.connect(("127.0.0.1", port))
    return s


def metric(port, name):
    st, _, body = fetch(port, "/metrics")
    assert st == 200, st
    m = re.search(r"^%s(?:\{[^}]*\})? (\d+)$" % re.escape(name), body.decode(), re.M)
    assert m, f"no {name} in /metrics:\n{body.decode()[:2000]}"
    return int(m.group(1))


# ---------------------------------------------------------------------------
# 1. Far-future and negative mtimes


def _check_last_modified(value, what):
    assert value, f"{what}: no Last-Modified"
    dt = email.utils.parsedate_to_datetime(value)
    assert 1 <= dt.year <= 9999, (what, value)
    assert re.fullmatch(r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT", value), \
        (what, "not an IMF-fixdate", value)
    return dt


def test_extreme_mtimes_give_valid_dates_and_listing():
    root = wide_mtime_dir()
    stamps = {"far.txt": 2**62, "mid.txt": 2**40, "neg.txt": -2**40, "ok.txt": 1_700_000_000}
    for name, sec in stamps.items():
        path = os.path.join(root, name)
        fl.write(path, f"{name} content\n".encode())
        try:
            os.utime(path, ns=(sec * 10**9, sec * 10**9))
        except (OSError, OverflowError):
            pass
        stamps[name] = os.stat(path).st_mtime_ns // 10**9  # what the file system kept
    with lib.Server(root=root, args=["-l", "-t", "1"]) as s:
        for name, sec in stamps.items():
            for method in ("HEAD", "GET", "HEAD"):
                try:
                    st, h, body = fetch(s.port, "/" + name, method=method)
                except (OSError, http.client.HTTPException) as e:
                    time.sleep(0.2)
                    raise AssertionError(f"{method} /{name} (mtime {sec} s): {e!r}; server exit "
                                         f"status {s.proc.poll()}") from None
                assert st == 200, (name, method, st)
                dt = _check_last_modified(h.get("last-modified"), f"{method} /{name}")
                if sec > 253402300799:  # past 9999-12-31T23:59:59Z
                    assert dt.year == 9999, (name, h.get("last-modified"))
                if method == "GET":
                    assert body == f"{name} content\n".encode()
            # Conditional requests with the date it sent do not crash either.
            st, h, _ = fetch(s.port, "/" + name, headers={"If-Modified-Since": h["last-modified"]})
            assert st in (200, 304) and s.proc.poll() is None, (name, st)
        st, h, body = fetch(s.port, "/")
        assert st == 200 and s.proc.poll() is None
        page = fl.parse_html(body)
        hrefs = {href for href, _ in page.links}
        for name in stamps:
            assert any(name in (x or "") for x in hrefs), (name, hrefs)
        text = body.decode("utf-8")  # strict: no garbage bytes
        assert all(ch.isprintable() or ch in "\n\t" for ch in text), "control characters in listing"
        # The modified cells are real dates (year 0000..9999), no garbage.
        cells = re.findall(r'<time datetime="([^"]*)"[^>]*>([^<]*)</time>', text)
        assert len(cells) >= len(stamps), cells
        for iso, shown in cells:
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", iso), iso
            assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", shown), shown
        if max(stamps.values()) > 253402300799:
            assert "9999-12-31" in text, "far-future mtime not clamped to 9999 in the listing"
        r = lib.request(s.port, "/", headers={"Accept": "application/json"})
        assert r.status == 200 and "json" in (r.header("content-type") or ""), r.raw_head
        entries = json.loads(r.body)
        assert {e["name"] for e in entries} >= set(stamps), entries
        for e in entries:
            # RFC 3339 dates: four-digit years, also before year 1000.
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", e["mtime"]), e
        assert fetch(s.port, "/ok.txt")[0] == 200


# ---------------------------------------------------------------------------
# 2. Compression of a large file does not block the event loop


def test_large_compression_off_the_loop():
    if "br" not in fl.features():
        fl.skip("br not compiled in")
    big = fl.text_body(16 * MiB, "big")
    small = b"s" * 99 + b"\n"
    root = lib.make_site({"big.txt": big, "small.txt": small})
    with lib.Server(root=root, args=["-t", "1"]) as s:
        head_times, head_errors = [], []
        stop = threading.Event()

        def header_hammer():
            c = conn(s.port, timeout=15)
            try:
                for _ in range(2000):
                    if stop.is_set():
                        break
                    t = time.monotonic()
                    try:
                        c.request("HEAD", "/big.txt", headers={"Accept-Encoding": "br"})
                        r = c.getresponse()
                        r.read()
                    except (OSError, http.client.HTTPException) as e:
                        head_errors.append(repr(e))
                        c.close()
                        c = conn(s.port, timeout=15)
                        continue
                    head_times.append(time.monotonic() - t)
                    if r.status != 200:
                        head_errors.append(f"HEAD status {r.status}")
                    time.sleep(0.01)
            finally:
                c.close()

        probe = LatencyProbe(s.port, "/small.txt", want=small)
        hammers = [threading.Thread(target=header_hammer, daemon=True) for _ in range(2)]
        probe.start()
        for t in hammers:
            t.start()
        time.sleep(5)
        stop.set()
        probe.stop()
        for t in hammers:
            t.join(timeout=20)
        assert not head_errors, (f"{len(head_errors)} HEAD /big.txt failed (15 s timeout): "
                                 f"{head_errors[:3]}; {len(head_times)} answered")
        assert not probe.errors, probe.errors[:5]
        assert head_times and probe.samples
        assert max(head_times) < 1.0, f"a HEAD took {max(head_times):.2f} s (n={len(head_times)})"
        assert p99(probe.samples) < 0.2, (
            f"small-file p99 {p99(probe.samples) * 1000:.0f} ms while big.txt is compressed "
            f"(max {max(probe.samples) * 1000:.0f} ms, n={len(probe.samples)})")
        # The br form arrives once the helper has made it.
        end = time.monotonic() + 20
        got = None
        while time.monotonic() < end:
            st, h, body = fetch(s.port, "/big.txt", headers={"Accept-Encoding": "br"}, timeout=20)
            assert st == 200
            if h.get("content-encoding") == "br":
                got = body
                break
            assert body == big, "identity form differs"
            time.sleep(0.3)
        assert got is not None, "big.txt never came back br-encoded within 20 s"
        assert int(h["content-length"]) == len(got)
        assert fl.decode("br", got) == big


# ---------------------------------------------------------------------------
# 3. One cache for the process: a cached br form is not compressed again


def test_cached_br_form_costs_no_cpu():
    if "br" not in fl.features():
        fl.skip("br not compiled in")
    data = bundle_text(4 * MiB)
    root = lib.make_site({"bundle.js": data})
    with lib.Server(root=root, args=["-t", "16", "--cache-size", str(64 * MiB)]) as s:
        pid = s.proc.pid
        end = time.monotonic() + 20
        while True:
            st, h, body = fetch(s.port, "/bundle.js", headers={"Accept-Encoding": "br"}, timeout=20)
            assert st == 200
            if h.get("content-encoding") == "br":
                break
            assert time.monotonic() < end, "bundle.js never br-encoded within 20 s"
            time.sleep(0.2)
        assert fl.decode("br", body) == data
        time.sleep(0.3)  # let the helper that made it settle
        cpu0 = cpu_seconds(pid)
        bodies = []
        for i in range(10):
            st, h, body = fetch(s.port, "/bundle.js", headers={"Accept-Encoding": "br"}, timeout=20)
            assert st == 200 and h.get("content-encoding") == "br", (i, st, h)
            bodies.append(body)
        used = cpu_seconds(pid) - cpu0
        assert used < 0.2, f"10 cached br GETs cost {used:.2f} s of server CPU"
        for b in set(bodies):
            assert fl.decode("br", b) == data


# ---------------------------------------------------------------------------
# 4. Memory bound for in-flight bodies; slow readers are timed out


def test_memory_bounded_with_stalled_compressed_readers():
    """40 clients that never read, each asking for another file in a coded
    form: whatever the server holds for them (cached or in flight) stays
    within --cache-size. The files are 8 MiB (coded ~6 MiB): on loopback
    the kernel takes ~3 MiB of each response into its socket buffer, so
    smaller bodies would never stay in the server's memory at all."""
    if "asan" in os.path.basename(os.environ.get("SERVER_BIN", "")):
        # ASan keeps freed memory in quarantine and shadow pages: RSS says
        # nothing about the server's own bound there.
        fl.skip("RSS bound not measurable under AddressSanitizer")
    coding = "zstd" if "zstd" in fl.features() else "gzip"  # the fast coders
    budget = 64 * MiB
    r = random.Random(4)
    files = {f"f{i}.txt": base64.b64encode(r.randbytes(6 * MiB)) for i in range(40)}
    root = lib.make_site(files)
    with lib.Server(root=root, args=["--cache-size", str(budget)]) as s:
        pid = s.proc.pid
        assert fetch(s.port, "/f0.txt")[0] == 200
        rss0 = rss_kib(pid)
        limit = rss0 + budget // 1024 + 40 * 512 + 40 * 1024
        socks = []
        try:
            for i in range(40):
                k = slow_socket(s.port, rcvbuf=4096)
                k.sendall(f"GET /f{i}.txt HTTP/1.1\r\nHost: x\r\nAccept-Encoding: {coding}\r\n\r\n"
                          .encode())
                socks.append(k)
            peak = 0
            end = time.monotonic() + 4
            while time.monotonic() < end and peak < limit:
                peak = max(peak, rss_kib(pid))
                time.sleep(0.1)
            assert peak < limit, (f"RSS rose from {rss0 // 1024} MiB to {peak // 1024} MiB "
                                  f"(limit {limit // 1024} MiB, --cache-size {budget // MiB}M) "
                                  f"with 40 stalled {coding} readers")
        finally:
            for k in socks:
                k.close()
        time.sleep(1)
        for i in (0, 17, 39):
            st, h, body = fetch(s.port, f"/f{i}.txt", headers={"Accept-Encoding": coding}, timeout=20)
            assert st == 200, st
            assert fl.decode(h.get("content-encoding"), body) == files[f"f{i}.txt"], i


def tcp_state(local_port, remote_port):
    """(state, inode) of the loopback TCP socket local_port -> remote_port
    from /proc/net/tcp (state 1 = ESTABLISHED; inode 0 = no descriptor
    holds it any more), or None when there is none."""
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            p = line.split()
            if (int(p[1].split(":")[1], 16) == local_port
                    and int(p[2].split(":")[1], 16) == remote_port):
                return int(p[3], 16), int(p[9])
    return None


# ~600 B/s: under the server's minimum rate (1 KiB/s), yet with the
# smallest receive buffer the window reopens (576 bytes) about once a
# second, so a timeout that only looks for some progress never fires.
STEP, PAUSE, RCVBUF = 150, 0.25, 1


def test_slow_reader_is_timed_out():
    """A client reading ~600 B/s (below the server's minimum rate) is cut
    off: the server closes its socket within a few --send-timeout
    windows. (What is already in the kernel's send queue may still trickle
    out afterwards; the test watches the server's side of the socket.)"""
    data = os.urandom(4 * MiB)
    root = lib.make_site({"big.bin": data})
    with lib.Server(root=root, args=["--send-timeout", "2"]) as s:
        k = slow_socket(s.port, rcvbuf=RCVBUF)
        cport = k.getsockname()[1]
        try:
            k.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
            t0 = time.monotonic()
            closed, got = None, 0
            while time.monotonic() - t0 < 10:
                k.settimeout(0.5)
                try:
                    chunk = k.recv(STEP)
                except socket.timeout:
                    chunk = None
                except ConnectionResetError:
                    closed = "reset"
                    break
                if chunk == b"":
                    closed = "EOF"
                    break
                got += len(chunk or b"")
                srv = tcp_state(s.port, cport)
                if srv is None or srv[0] != 1 or srv[1] == 0:
                    closed = f"server side closed (state {srv})"
                    break
                time.sleep(PAUSE)
            took = time.monotonic() - t0
            assert closed, (f"a reader at ~600 B/s was never cut off (read {got} bytes in "
                            f"{took:.1f} s, --send-timeout 2; server socket {tcp_state(s.port, cport)})")
            assert took < 8.5, f"cut off only after {took:.1f} s ({closed})"
        finally:
            k.close()
        assert fetch(s.port, "/big.bin")[2] == data


# ---------------------------------------------------------------------------
# 5. A request path cannot forge another representation's cache key


def test_cache_key_cannot_be_forged_by_path():
    index = b"<!DOCTYPE html><title>i</title><p>INDEX PAGE " + fl.text_body(400, "index") + b"</p>"
    about = b"<!DOCTYPE html><title>a</title><p>ABOUT PAGE " + fl.text_body(400, "about") + b"</p>"
    root = lib.make_site({"index.html": index, "about.html": about})
    for coding in [c for c in ("br", "gzip") if c in fl.features()]:
        with lib.Server(root=root, args=["--pretty-urls", "--fallback", "/index.html",
                                         "-t", "1"]) as s:
            # The forged path asks for the identity form (cached under the
            # path as its key) and for the coded one.
            for forged in (f"/%01{coding}:about", f"/%01{coding}:about.html"):
                for ae in (None, coding):
                    fetch(s.port, forged, headers={"Accept-Encoding": ae} if ae else {})
            for _ in range(3):
                st, h, body = fetch(s.port, "/about", headers={"Accept-Encoding": coding})
                assert st == 200, st
                got = fl.decode(h.get("content-encoding"), body)
                assert b"INDEX PAGE" not in got, f"/about ({coding}) answered with the index page"
                assert got == about, (coding, got[:60])
            st, h, body = fetch(s.port, "/", headers={"Accept-Encoding": coding})
            assert fl.decode(h.get("content-encoding"), body) == index


# ---------------------------------------------------------------------------
# 6. identity;q=0


def test_identity_refused_gets_406_or_a_coded_form():
    text = fl.text_body(2000, "nocomp")
    r = random.Random(6)
    noise = r.randbytes(300)
    root = lib.make_site({"t.txt": text, "v.mp4": b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 2000,
                          "x.txt": noise})
    refuse = {"Accept-Encoding": "gzip, identity;q=0"}
    with lib.Server(root=root, args=["--no-compress"]) as s:
        st, h, body = fetch(s.port, "/t.txt", headers=refuse)
        assert st == 406, (f"--no-compress, no sidecar, identity refused: got {st} "
                           f"{h.get('content-encoding')!r}")
    with lib.Server(root=root, args=["-t", "1"]) as s:
        st, h, body = fetch(s.port, "/v.mp4", headers=refuse)
        assert st == 406, f"video/mp4 with identity refused: got {st} {h.get('content-encoding')!r}"
        st, h, body = fetch(s.port, "/x.txt", headers=refuse)
        assert st == 406 or (st == 200 and h.get("content-encoding") == "gzip"), (st, h)
        if st == 200:
            assert fl.decode("gzip", body) == noise
        for _ in range(2):
            st, h, body = fetch(s.port, "/x.txt", headers={"Accept-Encoding": "gzip"})
            assert st == 200
            if h.get("content-encoding") == "gzip":
                assert int(h["content-length"]) <= len(noise), (
                    f"gzip form of {h['content-length']} bytes sent for a {len(noise)}-byte file")
            assert fl.decode(h.get("content-encoding"), body) == noise


# ---------------------------------------------------------------------------
# 7. Staleness of index, fallback and same-size rewrites


def _poll_body(port, path, want, timeout=2.5):
    last = None
    end = time.monotonic() + timeout
    while True:
        st, h, body = fetch(port, path)
        last = (st, body[:60])
        if st == 200 and body == want:
            return True, last
        if time.monotonic() >= end:
            return False, last
        time.sleep(0.1)


def test_new_index_fallback_target_and_same_size_rewrite_are_seen():
    root = lib.tempdir()
    htm = b"<p>index.htm " + b"h" * 300 + b"</p>"
    html = b"<p>index.html " + b"H" * 300 + b"</p>"
    spa = b"<!DOCTYPE html><p>SPA INDEX</p>"
    fl.write(os.path.join(root, "d", "index.htm"), htm)
    fl.write(os.path.join(root, "index.html"), spa)
    old = fl.text_body(3000, "OLDCONTENT")
    new = fl.text_body(3000, "NEWCONTENT")
    assert len(old) == len(new)
    fl.write(os.path.join(root, "f.txt"), old)
    args = ["--index", "index.html", "--index", "index.htm", "--fallback", "/index.html",
            "-t", "1"]
    with lib.Server(root=root, args=args) as s:
        for _ in range(3):
            st, _, body = fetch(s.port, "/d/")
            assert st == 200 and body == htm
            st, _, body = fetch(s.port, "/app/route")
            assert st == 200 and body == spa, (st, body[:60])
            assert fetch(s.port, "/f.txt")[2] == old
        # (a) a preferred index file appears
        fl.write(os.path.join(root, "d", "index.html"), html)
        ok, last = _poll_body(s.port, "/d/", html)
        assert ok, f"new d/index.html not served within 2.5 s: {last}"
        # (b) the fallback's path becomes a real file
        route = b"the real route file\n"
        fl.write(os.path.join(root, "app", "route"), route)
        ok, last = _poll_body(s.port, "/app/route", route)
        assert ok, f"new app/route not served within 2.5 s (still the fallback?): {last}"
        # (c) same size, old mtime restored (cp -p / rsync -t): the ctime changed
        p = os.path.join(root, "f.txt")
        before = os.stat(p)
        with open(p, "r+b") as f:
            f.write(new)
        os.utime(p, ns=(before.st_atime_ns, before.st_mtime_ns))
        after = os.stat(p)
        assert after.st_mtime_ns == before.st_mtime_ns and after.st_size == before.st_size
        ok, last = _poll_body(s.port, "/f.txt", new)
        assert ok, f"rewritten f.txt (same size and mtime) not served within 2.5 s: {last}"


# ---------------------------------------------------------------------------
# 8. Large listings


def test_large_listing_off_the_loop_and_cacheable():
    root = lib.tempdir()
    d = os.path.join(root, "many")
    os.mkdir(d)
    for i in range(50000):
        os.close(os.open(os.path.join(d, f"file-{i:05d}.dat"), os.O_CREAT | os.O_WRONLY, 0o644))
    small = b"small\n" * 16
    fl.write(os.path.join(root, "small.txt"), small)
    with lib.Server(root=root, args=["-l", "-t", "1"]) as s:
        st, h, body = fetch(s.port, "/many/", timeout=30)
        assert st == 200, st
        stop = threading.Event()
        lister_errors = []
        lister_n = [0]

        def lister():
            for _ in range(500):
                if stop.is_set():
                    break
                try:
                    st2, _, b2 = fetch(s.port, "/many/", timeout=30)
                    if st2 != 200 or b"file-49999.dat" not in b2:
                        lister_errors.append(st2)
                    lister_n[0] += 1
                except (OSError, http.client.HTTPException) as e:
                    lister_errors.append(repr(e))

        probe = LatencyProbe(s.port, "/small.txt", want=small)
        t = threading.Thread(target=lister, daemon=True)
        probe.start()
        t.start()
        time.sleep(4)
        stop.set()
        probe.stop()
        t.join(timeout=30)
        assert not lister_errors, lister_errors[:5]
        assert not probe.errors, probe.errors[:5]
        assert p99(probe.samples) < 0.2, (
            f"small-file p99 {p99(probe.samples) * 1000:.0f} ms while a 50,000-entry listing "
            f"is fetched ({lister_n[0]} listings, n={len(probe.samples)})")

        etag, lm = h.get("etag"), h.get("last-modified")
        assert etag, f"listing has no ETag: {h}"
        assert lm, f"listing has no Last-Modified: {h}"
        email.utils.parsedate_to_datetime(lm)
        st, h304, b304 = fetch(s.port, "/many/", headers={"If-None-Match": etag})
        assert st == 304 and b304 == b"", st
        st, hh, hb = fetch(s.port, "/many/", method="HEAD")
        assert st == 200 and hb == b""
        assert hh.get("content-length") == h.get("content-length") == str(len(body)), (
            hh.get("content-length"), h.get("content-length"), len(body))
        st, hg, gz = fetch(s.port, "/many/", headers={"Accept-Encoding": "gzip"}, timeout=30)
        assert st == 200 and hg.get("content-encoding") == "gzip", hg
        page = fl.parse_html(fl.decode("gzip", gz))
        names = {text for _, text in page.links}
        assert {"file-00000.dat", "file-31337.dat", "file-49999.dat"} <= names
        os.close(os.open(os.path.join(d, "zz-new-file.dat"), os.O_CREAT | os.O_WRONLY, 0o644))
        end = time.monotonic() + 2.5
        while True:
            st, _, b = fetch(s.port, "/many/", timeout=30)
            if b"zz-new-file.dat" in b:
                break
            assert time.monotonic() < end, "new file not in the listing within 2.5 s"
            time.sleep(0.1)


# ---------------------------------------------------------------------------
# 9. Password checks off the loop; no user enumeration by timing


def test_password_checks_off_the_loop_and_constant_time():
    if "basic-auth" not in fl.features():
        fl.skip("basic-auth not compiled in")
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt
    h = crypt.crypt("right", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=2**10))
    assert h and h.startswith("$2b$10$"), h
    t = time.monotonic()
    crypt.crypt("wrong", h)
    one_check = time.monotonic() - t
    root = lib.make_site({"a.txt": b"secret a\n"})
    auth = os.path.join(lib.tempdir(), "htpasswd")
    with open(auth, "w") as f:
        f.write(f"alice:{h}\n")
    good = {"Authorization": fl.basic("alice", "right")}
    with lib.Server(root=root, args=["-t", "1", "--auth-file", auth]) as s:
        stop = threading.Event()
        attack_n = [0]

        def attacker(i):
            # A new source address every 20 failures: the server slows
            # down a client address past 50 failures a minute, and this
            # test wants the password checks themselves to keep coming.
            def attacker_conn(n):
                return http.client.HTTPConnection("127.0.0.1", s.port, timeout=30,
                                                  source_address=(f"127.0.{i + 1}.{n // 20 + 1}", 0))
            n = 0
            c = attacker_conn(n)
            try:
                for _ in range(1000):
                    if stop.is_set():
                        break
                    if n and n % 20 == 0:
                        c.close()
                        c = attacker_conn(n)
                    n += 1
                    try:
                        c.request("GET", "/a.txt",
                                  headers={"Authorization": fl.basic("alice", "nope")})
                        r = c.getresponse()
                        r.read()
                        attack_n[0] += 1
                    except (OSError, http.client.HTTPException):
                        c.close()
                        c = attacker_conn(n)
            finally:
                c.close()

        attackers = [threading.Thread(target=attacker, args=(i,), daemon=True) for i in range(4)]
        probe = LatencyProbe(s.port, "/a.txt", headers=good, want=b"secret a\n", pause=0.01)
        for a in attackers:
            a.start()
        time.sleep(0.3)
        probe.start()
        time.sleep(4)
        stop.set()
        probe.stop()
        for a in attackers:
            a.join(timeout=30)
        assert not probe.errors, probe.errors[:5]
        lat = probe.samples[1:]  # after its first (checked) request
        assert len(lat) >= 5, f"only {len(lat)} logged-in requests in 4 s"
        med, p = statistics.median(lat), p95(lat)
        assert med < 0.05 and p < 0.2, (
            f"logged-in client: median {med * 1000:.0f} ms, p95 {p * 1000:.0f} ms, n={len(lat)}, "
            f"while 4 clients send wrong passwords ({attack_n[0]} rejected)")

        # Enumeration: an unknown user costs what a wrong password costs.
        def timed(user, pw):
            t0 = time.monotonic()
            st, _, _ = fetch(s.port, "/a.txt", headers={"Authorization": fl.basic(user, pw)})
            assert st == 401, (user, st)
            return time.monotonic() - t0
        unknown, known = [], []
        for _ in range(5):
            unknown.append(timed("mallory", "guess"))
            known.append(timed("alice", "guess"))
        ratio = statistics.median(unknown) / statistics.median(known)
        assert 0.5 < ratio < 2, (
            f"unknown user {statistics.median(unknown) * 1000:.1f} ms vs wrong password "
            f"{statistics.median(known) * 1000:.1f} ms (ratio {ratio:.3f}; one bcrypt check "
            f"{one_check * 1000:.0f} ms here)")


# ---------------------------------------------------------------------------
# 11. Aborted responses are logged with the bytes really sent


def test_aborted_response_logged_with_bytes_sent():
    data = os.urandom(8 * MiB)
    root = lib.make_site({"big.bin": data})
    log = os.path.join(lib.tempdir(), "access.log")
    s = lib.Server(root=root, args=["--log-file", log, "--log-format", "json",
                                    "--metrics", "/metrics", "-t", "1"])
    with s:
        before = metric(s.port, "tern_sent_bytes_total")
        k = slow_socket(s.port, rcvbuf=65536)
        try:
            k.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\nUser-Agent: aborter\r\n\r\n")
            got = 0
            end = time.monotonic() + 10
            while got < MiB and time.monotonic() < end:
                chunk = k.recv(65536)
                if not chunk:
                    break
                got += len(chunk)
            assert got >= MiB, got
            k.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        finally:
            k.close()  # RST
        time.sleep(1.0)
        after = metric(s.port, "tern_sent_bytes_total")
        assert MiB <= after - before < 8 * MiB, (
            f"/metrics counted {after - before} bytes for a response aborted after ~1 MiB")
        rc = s.stop()
        assert rc == 0, (rc, s.err)
    lines = []
    for line in lib.read_text(log).splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"not JSON: {line!r}")
    mine = [e for e in lines if e.get("uri") == "/big.bin"]
    assert mine, f"no log line for the aborted /big.bin: {lines[-5:]}"
    e = mine[0]
    assert e.get("status") == 200, e
    assert MiB <= int(e.get("bytes")) < 8 * MiB, f"logged {e.get('bytes')} bytes: {e}"


# ---------------------------------------------------------------------------
# 12. Malformed heads


def test_oversized_header_option_and_long_redirect_target():
    root = lib.make_site({"d/x.txt": b"x"})
    port = lib.free_port()
    try:
        r = lib.run_server(["-p", str(port), "-a", "127.0.0.1", "-d", root,
                            "-H", "X-Big: " + "a" * 9000], timeout=4)
    except AssertionError:
        raise AssertionError("-H with a 9000-byte value was accepted: the server started") from None
    assert r.returncode == 2, (r.returncode, r.stderr[-500:])
    assert r.stderr.strip(), "no message"
    assert not lib.wait_port(port, timeout=0.2)
    with lib.Server(root=root) as s:
        st, h, body = fetch(s.port, "/d?q=" + "a" * 5000)
        assert st == 414, f"redirect to a 5000-byte target: {st}"
        st, h, body = fetch(s.port, "/d?q=abc&r=1")
        assert st == 301, st
        assert h.get("location") == "/d/?q=abc&r=1", h.get("location")


# ---------------------------------------------------------------------------
# 13. The server's own files


def test_own_log_files_are_not_served():
    root = lib.tempdir()
    fl.write(os.path.join(root, "hello.txt"), b"hello\n")
    log = os.path.join(root, "access.log")
    with lib.Server(root=root, args=["--log-file", log, "-l"]) as s:
        assert fetch(s.port, "/hello.txt")[0] == 200
        lib.wait_for(lambda: os.path.exists(log) and os.path.getsize(log) > 0, 5)
        os.rename(log, log + ".1")
        s.proc.send_signal(signal.SIGUSR1)
        assert lib.wait_for(lambda: os.path.exists(log), 5), "log not reopened"
        time.sleep(0.3)
        st, _, body = fetch(s.port, "/access.log.1")
        assert st == 404, f"the rotated log was served: {st} {body[:80]!r}"
        st, _, body = fetch(s.port, "/access.log")
        assert st == 404, f"the live log was served: {st} {body[:80]!r}"
        st, _, body = fetch(s.port, "/")
        assert st == 200
        names = {text for _, text in fl.parse_html(body).links}
        assert "hello.txt" in names, names
        assert not any(n.startswith("access.log") for n in names), names
        assert b"access.log" not in body

    root = lib.tempdir()
    page = fl.text_body(3000, "page")
    fl.write(os.path.join(root, "page.txt"), page, 1_600_000_000 * 10**9)
    log = os.path.join(root, "page.txt.gz")
    with lib.Server(root=root, args=["--log-file", log]) as s:
        for _ in range(3):
            st, h, body = fetch(s.port, "/page.txt", headers={"Accept-Encoding": "gzip"})
            assert st == 200
            assert os.path.getsize(log) == 0 or body != open(log, "rb").read()[:len(body)], \
                "the log file was sent as the gzip sidecar"
            try:
                got = fl.decode(h.get("content-encoding"), body)
            except (OSError, EOFError, Exception) as e:
                raise AssertionError(f"the log file was sent as the gzip sidecar: {e!r} "
                                     f"{body[:60]!r}")
            assert got == page


# ---------------------------------------------------------------------------
# 14. 503 past --max-conns


class _Bytes:
    """A socket stand-in for http.client.HTTPResponse over bytes read."""

    def __init__(self, data):
        self.data = data

    def makefile(self, *args, **kwargs):
        return io.BytesIO(self.data)


def test_503_past_max_conns():
    root = lib.make_site({"a.txt": b"a\n"})
    with lib.Server(root=root, args=["--max-conns", "1", "-t", "1"]) as s:
        held = conn(s.port)
        held.request("GET", "/a.txt")
        r = held.getresponse()
        assert r.status == 200 and r.read() == b"a\n"
        try:
            for delay in (0, 0.2, 0):
                k = socket.create_connection(("127.0.0.1", s.port), timeout=5)
                data, reset = b"", None
                try:
                    time.sleep(delay)  # the server may answer before the request
                    k.sendall(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n")
                    end = time.monotonic() + 5
                    while time.monotonic() < end:
                        try:
                            chunk = k.recv(65536)
                        except (ConnectionResetError, BrokenPipeError) as e:
                            reset = e
                            break
                        if not chunk:
                            break
                        data += chunk
                finally:
                    k.close()
                assert data, f"second connection past --max-conns 1: {reset!r}, no response"
                r2 = http.client.HTTPResponse(_Bytes(data))
                r2.begin()
                body = r2.read()
                assert r2.status == 503 and r2.version == 11, (r2.status, r2.version)
                cl = r2.getheader("Content-Length")
                assert cl is not None and int(cl) == len(body), (cl, len(body))
                assert reset is None, (f"the 503 (request sent {delay} s after connect) was followed "
                                       f"by a reset: {reset!r}; a client may lose the response")
        finally:
            held.close()
        time.sleep(0.3)
        assert fetch(s.port, "/a.txt")[0] == 200


def test_listing_honours_identity_refused():
    """A listing is compressed like any text; a client that refuses the
    identity form gets a coded page, or 406 when none can be made (RFC 9110
    section 12.5.3), never the plain page."""
    import gzip
    root = lib.make_site({f"file-{i:03d}.txt": b"x" for i in range(40)})
    with lib.Server(root=root, args=["-l"]) as s:
        st, h, body = fetch(s.port, "/", headers={"Accept-Encoding": "gzip, identity;q=0"})
        assert st == 200 and h.get("content-encoding") == "gzip", (st, h)
        assert b"file-039.txt" in gzip.decompress(body)
        st, h, _ = fetch(s.port, "/", headers={"Accept-Encoding": "identity;q=0"})
        assert st == 406, (st, h)
    with lib.Server(root=root, args=["-l", "--no-compress"]) as s:
        st, h, _ = fetch(s.port, "/", headers={"Accept-Encoding": "gzip, identity;q=0"})
        assert st == 406, (st, h)
        st, h, body = fetch(s.port, "/", headers={"Accept-Encoding": "gzip"})
        assert st == 200 and "content-encoding" not in h and b"file-000.txt" in body
