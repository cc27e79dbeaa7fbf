"""HTTP/2 (RFC 9113): h2c with prior knowledge on the cleartext port, h2
by ALPN over TLS, --no-http2; every feature over HTTP/2 as over HTTP/1.1
(conditional requests, ranges, compression, listings, Basic auth, CORS,
-H, --health, --metrics, fallback, pretty URLs, error pages, dotfiles and
symlinks); request bodies; the access log and metrics by protocol; limits
and abuse (rapid reset, CONTINUATION flood, SETTINGS, PING and empty DATA
floods, HPACK bomb, a client that never reads, provoked server resets),
each followed by a well-behaved client that must get 200 at once; a stop
with a download in flight. Judged with python3-h2 and raw frames, curl,
nghttp, h2spec and headless Chromium. A missing client tool skips its
test (lib.Skip), never passes it; a server built without HTTP/2 fails
them where libnghttp2 is installed (h2lib.need_h2).

    python3 tests/run_integration.py --server bin/server -k test_http2

h2spec is ../shared/tools/h2spec/h2spec beside the repository, or $H2SPEC."""
import email.parser
import email.policy
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time

import featlib as fl
import h2lib as h
import lib

MiB = 1 << 20
INDEX = b"<!DOCTYPE html><title>home</title><p>root index</p>\n"
A_TXT = b"plain text file\n"


def site(extra=None):
    """A site with one file of each kind the features need."""
    files = {
        "index.html": INDEX,
        "a.txt": A_TXT,
        "style.css": fl.text_body(20000, "css"),
        "sub/index.html": b"<p>sub index</p>\n",
        "noindex/x.txt": b"x\n",
        "noindex/y.txt": b"yy\n",
        "about.html": b"<p>about page</p>\n",
        "range.bin": bytes(range(256)) * 256,
        ".secret": b"dot secret\n",
        ".well-known/thing.txt": b"well known\n",
    }
    files.update(extra or {})
    return lib.make_site(files)


def url(s, path="/", tls=False):
    return f"{'https' if tls else 'http'}://127.0.0.1:{s.port}{path}"


# ---------------------------------------------------------------------------
# Negotiation: prior knowledge, HTTP/1.1 beside it, ALPN, --no-http2


def test_h2c_prior_knowledge_basic_requests():
    h.need_h2()
    with lib.Server(root=site()) as s:
        with h.Client(s.port) as c:
            mcs = c.settings().get(h.SETTINGS_MAX_CONCURRENT_STREAMS)
            assert mcs is not None and 100 <= mcs <= 128, \
                f"SETTINGS_MAX_CONCURRENT_STREAMS {mcs}, want 100-128 ({c.remote_settings})"
            r = c.get("/a.txt")
            assert r.status == 200 and r.body == A_TXT, r
            assert r.header("content-type", "").startswith("text/plain"), r
            assert r.header("content-length") == str(len(A_TXT)), r
            assert r.header("etag") and r.header("last-modified") and r.header("date"), r
            r = c.get("/")
            assert r.status == 200 and r.body == INDEX, r
            r = c.request("HEAD", "/a.txt")
            assert r.status == 200 and r.body == b"", r
            assert r.header("content-length") == str(len(A_TXT)), r
            r = c.get("/sub?q=1")
            assert r.status == 301 and r.header("location", "").endswith("/sub/?q=1"), r
            r = c.get("/missing.txt")
            assert r.status == 404 and r.header("content-type", "").startswith("text/html"), r
            assert b"404 Not Found" in r.body, r
            r = c.request("OPTIONS", "/a.txt")
            assert r.status == 204 and "GET" in r.header("allow", ""), r
            r = c.request("DELETE", "/a.txt")
            assert r.status == 501 and "GET" in r.header("allow", ""), r
            r = c.get("/%2e%2e/%2e%2e/etc/passwd")
            assert r.status in (400, 404) and b"root:" not in r.body, r
            # Everything above went on one connection.
            assert not c.closed and c.goaway is None, c.goaway


def test_h2c_many_streams_at_once():
    h.need_h2()
    big = os.urandom(3 * MiB)
    with lib.Server(root=site({"big.bin": big})) as s:
        with h.Client(s.port, window=16 * MiB) as c:
            want = {}
            for i in range(100):
                path = ["/a.txt", "/", "/range.bin", "/style.css", "/big.bin"][i % 5]
                want[c.send_request("GET", path, headers=[("accept-encoding", "identity")])] = path
            files = {"/a.txt": A_TXT, "/": INDEX, "/big.bin": big,
                     "/range.bin": bytes(range(256)) * 256,
                     "/style.css": fl.text_body(20000, "css")}
            for sid, path in want.items():
                r = c.response(sid, timeout=20)
                assert r.status == 200 and bytes(r.body) == files[path], (path, r)
            assert c.goaway is None, c.goaway


def test_http1_on_the_same_port_and_upgrade_h2c_ignored():
    h.need_h2()
    with lib.Server(root=site()) as s:
        r = lib.request(s.port, "/a.txt", headers={
            "Connection": "Upgrade, HTTP2-Settings", "Upgrade": "h2c",
            "HTTP2-Settings": "AAMAAABkAARAAAAAAAIAAAAA"})
        assert r.status == 200 and r.body == A_TXT, r.raw_head
        assert r.raw_head.startswith("HTTP/1.1 200"), r.raw_head
        assert r.header("upgrade") is None, r.raw_head
        r = lib.request(s.port, "/a.txt", version="1.0")
        assert r.status == 200 and r.body == A_TXT, r.raw_head
        p = lib.curl("-sS", "--http2", "-o", "/dev/null", "-w", "%{http_version} %{http_code}",
                     url(s, "/a.txt"))
        assert p.returncode == 0 and p.stdout == b"1.1 200", (p.stdout, p.stderr)


def test_tls_alpn_prefers_h2():
    h.need_h2()
    with lib.Server(root=site(), args=h.tls_args()) as s:
        for offer, want in ((["h2", "http/1.1"], "h2"), (["http/1.1", "h2"], "h2"),
                            (["http/1.1"], "http/1.1"), (None, None)):
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
            if offer:
                ctx.set_alpn_protocols(offer)
            with ctx.wrap_socket(socket.create_connection(("127.0.0.1", s.port), timeout=5),
                                 server_hostname="localhost") as t:
                got = t.selected_alpn_protocol()
                assert got == want, f"ALPN offer {offer}: selected {got!r}, want {want!r}"
                if got != "h2":
                    t.sendall(b"GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    data = lib.recv_all(t, 5)
                    assert data.startswith(b"HTTP/1.1 200") and data.endswith(A_TXT), data[:200]
        with h.Client(s.port, tls=True) as c:
            r = c.get("/a.txt")
            assert r.status == 200 and r.body == A_TXT, r
            r = c.get("/missing")
            assert r.status == 404 and b"404" in r.body, r


def test_no_http2_option():
    h.need_h2()
    with lib.Server(root=site(), args=["--no-http2"]) as s:
        got = lib.exchange(s.port, h.PREFACE + h.settings_frame(), timeout=5)
        assert got == b"" or re.match(rb"HTTP/1\.1 [45]\d\d ", got), \
            f"--no-http2: the preface got {got[:120]!r}, not an HTTP/1.1 error or a close"
        assert lib.request(s.port, "/a.txt").status == 200
    with lib.Server(root=site(), args=["--no-http2", *h.tls_args()]) as s:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        ctx.set_alpn_protocols(["h2", "http/1.1"])
        with ctx.wrap_socket(socket.create_connection(("127.0.0.1", s.port), timeout=5),
                             server_hostname="localhost") as t:
            assert t.selected_alpn_protocol() == "http/1.1", t.selected_alpn_protocol()
        p = lib.curl("-k", "--http2", "-o", "/dev/null", "-w", "%{http_version} %{http_code}",
                     url(s, "/a.txt", tls=True))
        assert p.returncode == 0 and p.stdout == b"1.1 200", (p.stdout, p.stderr)


# ---------------------------------------------------------------------------
# Real clients: curl, nghttp, h2spec, Chromium


def _curl_sha256(args, timeout=120):
    """Runs curl with the body on stdout, hashing it as it comes; returns
    (sha256, size, -w output written to stderr, returncode)."""
    p = lib.register(subprocess.Popen(
        ["curl", "-sS", "--max-time", str(timeout), "-w", "%{stderr}%{http_version} %{http_code}",
         *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    dig, n = hashlib.sha256(), 0
    for block in iter(lambda: p.stdout.read(1 << 20), b""):
        dig.update(block)
        n += len(block)
    err = p.stderr.read().decode(errors="replace")
    return dig.hexdigest(), n, err, p.wait(timeout=30)


def test_curl_downloads_byte_exact_h2c_and_tls():
    h.need_h2()
    root = site()
    h.write_big(os.path.join(root, "one.bin"), MiB)
    h.write_big(os.path.join(root, "hundred.bin"), 100 * MiB)
    sums = {n: h.sha256_file(os.path.join(root, n)) for n in ("one.bin", "hundred.bin")}
    with lib.Server(root=root, args=h.tls_args()) as tls, \
            lib.Server(root=root) as plain:
        for srv, opts in ((plain, ["--http2-prior-knowledge"]), (tls, ["--http2", "-k"])):
            is_tls = srv is tls
            p = lib.curl(*opts, "-D", "-", "-o", "/dev/null", url(srv, "/a.txt", is_tls))
            head = p.stdout.decode("latin-1")
            assert p.returncode == 0 and head.startswith("HTTP/2 200"), (head, p.stderr)
            for f in h.CONNECTION_FIELDS:
                assert f"\r\n{f}:" not in head.lower(), head
            for name, size in (("one.bin", MiB), ("hundred.bin", 100 * MiB)):
                dig, n, w, rc = _curl_sha256([*opts, url(srv, "/" + name, is_tls)])
                assert rc == 0 and w.endswith("2 200"), (name, is_tls, rc, w)
                assert n == size and dig == sums[name], \
                    f"{name} over {'TLS' if is_tls else 'h2c'}: {n} bytes, sha256 {dig}"


def test_nghttp_fetch():
    h.need_h2()
    nghttp = h.need_tool("nghttp", "nghttp2-client")
    with lib.Server(root=site()) as s:
        p = subprocess.run([nghttp, "-nv", url(s, "/a.txt")], capture_output=True, text=True,
                           timeout=20)
        assert p.returncode == 0, (p.stdout[-2000:], p.stderr)
        assert re.search(r"recv \(stream_id=\d+\) :status: 200", p.stdout), p.stdout[-2000:]
        assert "recv SETTINGS frame" in p.stdout and "recv DATA frame" in p.stdout, p.stdout
        p = subprocess.run([nghttp, url(s, "/style.css"), url(s, "/a.txt")], capture_output=True,
                           timeout=20)
        assert p.returncode == 0, p.stderr
        css = fl.text_body(20000, "css")
        assert p.stdout in (css + A_TXT, A_TXT + css), p.stdout[:200]


# Cases whose requirement RFC 9113 removed: the stream dependency tree of
# RFC 7540 section 5.3 is deprecated (RFC 9113 section 5.3.2), and a
# self-dependency need not be detected any more.
H2SPEC_OBSOLETE = {
    "http2/5.3.1/1": "RFC 9113 5.3: HEADERS depending on itself (priority tree deprecated)",
    "http2/5.3.1/2": "RFC 9113 5.3: PRIORITY depending on itself (priority tree deprecated)",
}
# Cleartext only: a port that speaks both protocols takes bytes that are
# not the HTTP/2 preface as HTTP/1.1, so "INVALID CONNECTION PREFACE\r\n\r\n"
# is a malformed HTTP/1.1 request line and gets HTTP/1.1's 400 (h2o 2.2.5
# answers it the same way). Over TLS, where ALPN chose h2, the case passes,
# and test_preface_garbage_on_cleartext_gets_http1_400 checks the 400.
H2SPEC_H2C_SHARED_PORT = {
    "http2/3.5/2": "a cleartext port shared with HTTP/1.1 answers a non-preface with 400",
}


def _h2spec(tls):
    h.need_h2()
    if not os.access(h.H2SPEC, os.X_OK):
        raise lib.Skip(f"h2spec not found at {os.path.normpath(h.H2SPEC)}")
    args = h.tls_args() if tls else []
    with lib.Server(root=site(), args=args) as s:
        report = os.path.join(lib.tempdir(), "h2spec.xml")
        cmd = [h.H2SPEC, "-h", "127.0.0.1", "-p", str(s.port), "-j", report, "-o", "3"]
        if tls:
            cmd += ["-t", "-k"]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        out = p.stdout + p.stderr
        summary = [l for l in out.splitlines() if re.match(r"\d+ tests, \d+ passed", l)]
        assert summary, f"h2spec gave no summary (exit {p.returncode}):\n{out[-3000:]}"
        cases = h.h2spec_cases(report)
        failed = {cid: (desc, msg) for cid, desc, msg in cases if msg and msg != "skipped"}
        allowed = dict(H2SPEC_OBSOLETE, **({} if tls else H2SPEC_H2C_SHARED_PORT))
        unexpected = {k: v for k, v in failed.items() if k not in allowed}
        print(f"h2spec {'TLS' if tls else 'h2c'}: {summary[-1]}; failed: {sorted(failed)}")
        assert not unexpected, (
            f"h2spec over {'TLS' if tls else 'h2c'}: {summary[-1]}; failures beyond the named "
            "cases:\n" + "\n".join(f"  {k} {d}: {m.strip()}"
                                             for k, (d, m) in sorted(unexpected.items())))
        assert len(cases) >= 140, (len(cases), summary)
        # The server stayed well through all of it.
        h.probe_ok(s.port, "/a.txt", tls=tls, what="after h2spec")


def test_preface_garbage_on_cleartext_gets_http1_400():
    # What h2spec's 3.5/2 sends, on a cleartext port: an HTTP/1.1 400 and a
    # close, never a hang; the server goes on serving.
    with lib.Server(root=site()) as s:
        c = lib.connect(s.port)
        c.sendall(b"INVALID CONNECTION PREFACE\r\n\r\n")
        c.settimeout(5)
        data = b""
        while True:
            chunk = c.recv(65536)
            if not chunk:
                break
            data += chunk
        c.close()
        assert data.startswith(b"HTTP/1.1 400 "), data[:100]
        h.probe_ok(s.port, "/a.txt", tls=False, what="after a bad preface")


def test_h2spec_h2c():
    _h2spec(tls=False)


def test_h2spec_tls():
    _h2spec(tls=True)


BROWSER_SCRIPT = r'''
import json, sys, time
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

cfg = json.load(sys.stdin)
opts = Options()
opts.binary_location = cfg["chromium"]
opts.accept_insecure_certs = True  # the test's own self-signed certificate
for a in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
          "--disable-background-networking", "--disable-component-update", "--disable-sync",
          "--disable-dev-shm-usage", "--ignore-certificate-errors", "--disable-quic",
          "--user-data-dir=" + cfg["profile"]):
    opts.add_argument(a)
drv = webdriver.Chrome(service=Service(executable_path=cfg["driver"]), options=opts)
try:
    drv.set_page_load_timeout(30)
    drv.get(cfg["url"])
    WebDriverWait(drv, 20).until(lambda d: d.execute_script(
        "return document.readyState === 'complete' && window.__scripts === %d" % cfg["scripts"]))
    out = drv.execute_script("""
      const e = performance.getEntries();
      return {nav: e[0].nextHopProtocol, navName: e[0].name,
              resources: performance.getEntriesByType('resource')
                                    .map(r => [r.name, r.nextHopProtocol]),
              images: Array.from(document.images).map(i => i.complete && i.naturalWidth > 0),
              scripts: window.__scripts, color: getComputedStyle(document.body).color};
    """)
finally:
    drv.quit()
print(json.dumps(out))
'''


def test_browser_page_with_many_assets_over_h2():
    h.need_h2()
    chromium = fl.chromium_path()
    if not chromium:
        raise lib.Skip("chromium not installed")
    driver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    if not os.path.exists(driver):
        raise lib.Skip("chromedriver not installed (Debian package chromium-driver)")
    syspy = "/usr/bin/python3"
    if subprocess.run([syspy, "-c", "import selenium"], capture_output=True).returncode != 0:
        raise lib.Skip("python3-selenium not importable by /usr/bin/python3")
    n_img, n_js, n_css = 40, 10, 5
    files = {}
    body = ['<!DOCTYPE html><html><head><title>many</title>']
    for i in range(n_css):
        files[f"css/s{i}.css"] = \
            f".c{i} {{ margin: {i}px }}\nbody {{ color: rgb(1, 2, 3) }}\n".encode()
        body.append(f'<link rel="stylesheet" href="/css/s{i}.css">')
    body.append("<script>window.__scripts = 0;</script></head><body>")
    for i in range(n_img):
        files[f"img/i{i}.svg"] = (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
            f'<rect width="10" height="10" fill="#{i:02x}8040"/></svg>').encode()
        body.append(f'<img src="/img/i{i}.svg" alt="{i}">')
    for i in range(n_js):
        files[f"js/j{i}.js"] = f"window.__scripts += 1; // {i}\n".encode()
        body.append(f'<script src="/js/j{i}.js"></script>')
    body.append("</body></html>")
    files["index.html"] = "\n".join(body).encode()
    root = lib.make_site(files)
    work = lib.tempdir()
    script = os.path.join(work, "drive.py")
    with open(script, "w") as f:
        f.write(BROWSER_SCRIPT)
    with lib.Server(root=root, args=h.tls_args()) as s:
        cfg = {"chromium": chromium, "driver": driver, "profile": os.path.join(work, "profile"),
               "url": url(s, "/", tls=True), "scripts": n_js}
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        env["HOME"] = work
        try:
            p = subprocess.run([syspy, script], input=json.dumps(cfg),
                               capture_output=True, text=True, timeout=120, env=env, cwd=work)
        except subprocess.TimeoutExpired as e:
            raise AssertionError(f"browser run timed out: {e.stderr!r}")
        assert p.returncode == 0, f"browser driver failed:\n{p.stderr[-3000:]}"
        out = json.loads(p.stdout.strip().splitlines()[-1])
    assert out["nav"] == "h2", f"page loaded over {out['nav']!r}, not h2 ({out['navName']})"
    assets = [(n, p) for n, p in out["resources"]
              if re.search(r"/(img|js|css)/", n)]  # not a favicon
    protos = {}
    for name, proto in assets:
        protos.setdefault(proto, []).append(name)
    assert set(protos) == {"h2"}, f"assets by protocol: { {k: len(v) for k, v in protos.items()} }"
    assert len(assets) == n_img + n_js + n_css, out["resources"]
    assert all(out["images"]) and len(out["images"]) == n_img, out["images"]
    assert out["scripts"] == n_js and out["color"] == "rgb(1, 2, 3)", out


# ---------------------------------------------------------------------------
# Features over HTTP/2


def multipart_parts(content_type, body):
    """[(Content-Range, bytes)] of a multipart/byteranges body, parsed by
    the email package as a client would."""
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    assert msg.get_content_type() == "multipart/byteranges", content_type
    assert msg.is_multipart() and not msg.defects, (msg.defects, body[:200])
    return [(p["Content-Range"], p.get_payload(decode=True)) for p in msg.iter_parts()]


def test_conditional_requests_and_ranges():
    h.need_h2()
    data = bytes(range(256)) * 256
    with lib.Server(root=site()) as s, h.Client(s.port) as c:
        r = c.get("/range.bin")
        etag, lm = r.header("etag"), r.header("last-modified")
        assert r.status == 200 and bytes(r.body) == data and etag and lm, r
        r = c.get("/range.bin", [("if-none-match", etag)])
        assert r.status == 304 and r.body == b"" and r.header("etag") == etag, r
        r = c.get("/range.bin", [("if-modified-since", lm)])
        assert r.status == 304 and r.body == b"", r
        r = c.get("/range.bin", [("if-match", '"nope"')])
        assert r.status == 412, r
        r = c.get("/range.bin", [("range", "bytes=100-199")])
        assert r.status == 206 and bytes(r.body) == data[100:200], r
        assert r.header("content-range") == f"bytes 100-199/{len(data)}", r
        r = c.get("/range.bin", [("range", "bytes=-10")])
        assert r.status == 206 and bytes(r.body) == data[-10:], r
        r = c.get("/range.bin", [("range", "bytes=0-9, 1000-1099, 60000-")])
        assert r.status == 206, r
        parts = multipart_parts(r.header("content-type"), bytes(r.body))
        assert parts == [(f"bytes 0-9/{len(data)}", data[0:10]),
                         (f"bytes 1000-1099/{len(data)}", data[1000:1100]),
                         (f"bytes 60000-{len(data) - 1}/{len(data)}", data[60000:])], parts
        r = c.get("/range.bin", [("range", "bytes=0-9"), ("if-range", etag)])
        assert r.status == 206 and bytes(r.body) == data[:10], r
        r = c.get("/range.bin", [("range", "bytes=0-9"), ("if-range", '"other"')])
        assert r.status == 200 and bytes(r.body) == data, r
        r = c.get("/range.bin", [("range", f"bytes={len(data) + 5}-")])
        assert r.status == 416 and r.header("content-range") == f"bytes */{len(data)}", r


def test_compression_sidecars_and_on_the_fly():
    h.need_h2()
    js = fl.text_body(30000, "js")
    extra = {"app.js": js, "app.js.gz": fl.gzip_bytes(js, "app.js")}
    codings = fl.codings()
    if "br" in codings and os.path.exists("/usr/bin/brotli"):
        extra["app.js.br"] = fl.tool_compress("brotli", js)
    root = site(extra)
    now = time.time()
    for n in extra:
        os.utime(os.path.join(root, n), (now, now))  # sidecars not older than app.js
    css = fl.text_body(20000, "css")
    with lib.Server(root=root) as s, h.Client(s.port) as c:
        for coding, sidecar in (("br", "app.js.br"), ("gzip", "app.js.gz")):
            if sidecar not in extra:
                continue
            r = c.get("/app.js", [("accept-encoding", coding)])
            assert r.status == 200 and r.header("content-encoding") == coding, (coding, r)
            assert bytes(r.body) == extra[sidecar], (coding, "not the sidecar's bytes")
            assert "accept-encoding" in r.header("vary", "").lower(), r
            assert fl.decode(coding, bytes(r.body)) == js, coding
        if not codings:
            raise lib.Skip("no on-the-fly compression compiled in (server -V)")
        for coding in codings:
            r = c.get("/style.css", [("accept-encoding", coding)])
            assert r.status == 200 and r.header("content-encoding") == coding, (coding, r)
            assert "accept-encoding" in r.header("vary", "").lower(), r
            assert fl.decode(coding, bytes(r.body)) == css, coding
            assert int(r.header("content-length")) == len(r.body) < len(css), r
        r = c.get("/style.css", [("accept-encoding", "identity")])
        assert r.header("content-encoding") is None and bytes(r.body) == css, r
    # curl asks for and decodes the codings itself.
    with lib.Server(root=root) as s:
        p = lib.curl("--http2-prior-knowledge", "--compressed", "-D", "-", url(s, "/style.css"))
        assert p.returncode == 0 and p.stdout.endswith(css), p.stderr
        assert b"\r\ncontent-encoding: " in p.stdout.lower(), p.stdout[:400]


def test_directory_listing():
    h.need_h2()
    with lib.Server(root=site(), args=["-l"]) as s, h.Client(s.port) as c:
        r = c.get("/noindex/")
        assert r.status == 200 and r.header("content-type", "").startswith("text/html"), r
        assert b"x.txt" in r.body and b"y.txt" in r.body, r
        r2 = c.get("/noindex/", [("if-none-match", r.header("etag"))])
        assert r2.status == 304 and r2.body == b"", r2
        r = c.get("/noindex/", [("accept", "application/json")])
        assert r.status == 200 and r.header("content-type", "").startswith("application/json"), r
        names = sorted(e["name"] for e in json.loads(bytes(r.body)))
        assert names == ["x.txt", "y.txt"], names
        r = c.get("/", [("accept", "application/json")])
        assert r.status == 200 and r.body == INDEX, r  # an index file wins


def test_basic_auth():
    h.need_h2()
    if "basic-auth" not in fl.features():
        raise lib.Skip("basic-auth not compiled in")
    root = site()
    htp = os.path.join(lib.tempdir(), "htpasswd")
    with open(htp, "w") as f:
        f.write(f"alice:{fl.crypt_hash('s3cret', 'sha256')}\n")
    with lib.Server(root=root, args=["--auth-file", htp, "--health", "/healthz"]) as s, \
            h.Client(s.port) as c:
        r = c.get("/a.txt")
        assert r.status == 401 and A_TXT not in r.body, r
        chal = r.header("www-authenticate", "")
        assert chal.lower().startswith("basic ") and "realm=" in chal, r
        r = c.get("/a.txt", [("authorization", fl.basic("alice", "s3cret"))])
        assert r.status == 200 and r.body == A_TXT, r
        r = c.get("/a.txt", [("authorization", fl.basic("alice", "wrong"))])
        assert r.status == 401, r
        r = c.get("/healthz")
        assert r.status == 200, r  # health needs no credentials


def test_cors_and_preflight():
    h.need_h2()
    with lib.Server(root=site(), args=["--cors"]) as s, h.Client(s.port) as c:
        for path in ("/a.txt", "/missing"):
            r = c.get(path, [("origin", "https://x.example")])
            assert r.all("access-control-allow-origin") == ["*"], r
        r = c.request("OPTIONS", "/a.txt", [("origin", "https://x.example"),
                                           ("access-control-request-method", "GET"),
                                           ("access-control-request-headers", "x-requested-with")])
        assert r.status == 204 and r.body == b"", r
        assert "GET" in r.header("access-control-allow-methods", ""), r
        assert "x-requested-with" in r.header("access-control-allow-headers", "").lower(), r
    with lib.Server(root=site(), args=["--cors", "https://app.example"]) as s:
        r = h.get(s.port, "/a.txt", [("origin", "https://app.example")])
        assert r.all("access-control-allow-origin") == ["https://app.example"], r
        assert "origin" in r.header("vary", "").lower(), r


def test_extra_headers_health_fallback_pretty_urls():
    h.need_h2()
    root = site({"app.html": b"<p>app</p>\n"})
    args = ["-H", "X-Extra: yes", "-H", "Strict-Transport-Security: max-age=60",
            "--health", "/healthz", "--fallback", "/app.html", "--pretty-urls"]
    with lib.Server(root=root, args=args) as s, h.Client(s.port) as c:
        for path, status, body in (("/a.txt", 200, A_TXT), ("/healthz", 200, None),
                                   ("/some/route", 200, b"<p>app</p>\n"),
                                   ("/about", 200, b"<p>about page</p>\n"),
                                   ("/missing.png", 404, None)):
            r = c.get(path)
            assert r.status == status, (path, r)
            if body is not None:
                assert r.body == body, (path, r)
            assert r.header("x-extra") == "yes", (path, r)  # names arrive lower-cased
            assert r.header("strict-transport-security") == "max-age=60", (path, r)
        r = c.request("HEAD", "/healthz")
        assert r.status == 200 and r.body == b"", r


def test_error_pages_dotfiles_and_symlinks():
    h.need_h2()
    root = site({"404.html": b"<!DOCTYPE html><p>CUSTOM-404</p>\n"})
    outside = lib.make_site({"secret.txt": b"outside secret\n"})
    os.symlink(os.path.join(outside, "secret.txt"), os.path.join(root, "out.txt"))
    os.symlink("a.txt", os.path.join(root, "in.txt"))
    with lib.Server(root=root) as s, h.Client(s.port) as c:
        r = c.get("/nothing-here")
        assert r.status == 404 and r.body == b"<!DOCTYPE html><p>CUSTOM-404</p>\n", r
        assert r.header("content-type", "").startswith("text/html"), r
        assert c.get("/.secret").status == 404
        r = c.get("/.well-known/thing.txt")
        assert r.status == 200 and r.body == b"well known\n", r
        r = c.get("/out.txt")
        assert r.status == 403 and b"outside secret" not in r.body, r
        r = c.get("/in.txt")
        assert r.status == 200 and r.body == A_TXT, r
    with lib.Server(root=root, args=["--dotfiles", "--no-symlinks"]) as s, h.Client(s.port) as c:
        r = c.get("/.secret")
        assert r.status == 200 and r.body == b"dot secret\n", r
        r = c.get("/in.txt")
        assert r.status in (403, 404) and r.body != A_TXT, r


def _scrape(port):
    r = lib.request(port, "/metrics")  # HTTP/1.1, so it does not count as HTTP/2
    assert r.status == 200, r.raw_head
    out = {}
    for line in r.body.decode().splitlines():
        m = re.match(r"^(\w+)(\{[^}]*\})? (\d+(?:\.\d+)?)$", line)
        if m:
            out[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return out, r.body.decode()


def test_metrics_count_http2_requests():
    h.need_h2()
    with lib.Server(root=site(), args=["--metrics", "/metrics"]) as s:
        before, _ = _scrape(s.port)
        with h.Client(s.port) as c:
            for _ in range(3):
                assert c.get("/a.txt").status == 200
        time.sleep(0.3)
        after, text = _scrape(s.port)
    h2_series = [k for k in after if "{" in k and re.search(
        r'=\s*"(?:HTTP/2(?:\.0)?|h2c?|2(?:\.0)?|http2)"', k.split("{", 1)[1], re.I)]
    assert h2_series, f"no series labelled for HTTP/2 in /metrics:\n{text}"
    grew = {k: after[k] - before.get(k, 0) for k in h2_series}
    req = {k: v for k, v in grew.items() if "request" in k}
    assert req and any(v == 3 for v in req.values()), \
        f"3 HTTP/2 requests, HTTP/2 request series moved by {grew}:\n{text}"


def test_access_log_records_http2_protocol():
    h.need_h2()
    for fmt, needle in (("combined", '"GET /a.txt?v=1 HTTP/2.0" 200 16'),
                        ("json", '"protocol":"HTTP/2.0"')):
        log = os.path.join(lib.tempdir(), "access.log")
        with lib.Server(root=site(), args=["--log-format", fmt, "--log-file", log]) as s:
            with h.Client(s.port) as c:
                assert c.get("/a.txt?v=1").status == 200
            text = lib.wait_text(log, needle)
        lines = [l for l in text.splitlines() if "/a.txt" in l]
        assert len(lines) == 1, (fmt, text)
        if fmt == "json":
            rec = json.loads(lines[0])
            assert rec["protocol"] == "HTTP/2.0" and rec["method"] == "GET", rec
            assert rec["uri"] == "/a.txt?v=1" and rec["status"] == 200 and rec["bytes"] == 16, rec


# ---------------------------------------------------------------------------
# Request bodies and malformed messages


def test_request_bodies_read_and_dropped():
    h.need_h2()
    with lib.Server(root=site(), args=["--max-body", "4096"]) as s:
        with h.Client(s.port) as c:
            r = c.request("GET", "/a.txt", [("content-length", "5")], body=b"hello")
            assert r.status == 200 and r.body == A_TXT, r
            r = c.request("POST", "/a.txt", [("content-length", "11")], body=b"hello world")
            assert r.status in (405, 501), r
            r = c.request("GET", "/a.txt", body=b"no length given")
            assert r.status == 200 and r.body == A_TXT, r
            # Over --max-body, announced or not: 413, or the stream is reset.
            for fields in ([("content-length", "20000")], []):
                sid = c.send_request("POST", "/a.txt", fields, end=False)
                for _ in range(5):
                    if c.streams[sid].done():
                        break
                    try:
                        c.conn.send_data(sid, b"x" * 4000)
                        c.flush()
                    except (h.h2.exceptions.FlowControlError, h.h2.exceptions.StreamClosedError,
                            h.h2.exceptions.ProtocolError, OSError):
                        break
                    c.pump(0.05)
                st = c.streams[sid]
                c.wait(lambda: st.done() or st.headers, 5, "413 or a reset")
                assert st.status == 413 or st.reset is not None, (fields, st)
                # The connection goes on serving.
                r = c.get("/a.txt")
                assert r.status == 200 and r.body == A_TXT, r
        h.probe_ok(s.port, "/a.txt")


def test_content_length_mismatch_is_a_stream_error():
    h.need_h2()
    with lib.Server(root=site()) as s:
        for declared, sent in ((10, b"12345"), (3, b"12345678")):
            with h.Raw(s.port) as r:
                r.server_settings()
                r.ack_settings()
                r.send(h.headers_frame(1, h.request_block(
                    "/a.txt", "POST", [("content-length", str(declared))]), end_stream=False)
                    + h.frame(h.DATA, h.END_STREAM, 1, sent))
                r.read(5, until=lambda fs: 1 in r.resets or r.goaway is not None)
                assert r.resets.get(1) == 1, \
                    (f"content-length {declared} with {len(sent)} bytes of DATA: want RST_STREAM "
                     f"PROTOCOL_ERROR, got {h.describe(r.frames)} ({r.how})")
                # A stream error only: the connection still serves.
                r.send(h.headers_frame(3, h.request_block("/a.txt")))
                r.read(5, until=lambda fs: any(t == h.DATA and f & h.END_STREAM and sid == 3
                                               for t, f, sid, _ in fs))
                assert any(t == h.HEADERS and sid == 3 for t, _, sid, _ in r.frames), \
                    h.describe(r.frames)


def test_malformed_requests_are_refused():
    """Connection-specific and upper-case fields, a missing :path, a
    pseudo-header after a regular field: malformed (RFC 9113 8.1.1),
    a stream error, never an answer as if well-formed."""
    h.need_h2()
    bad = [
        [("connection", "keep-alive")],
        [("transfer-encoding", "chunked")],
        [("X-Upper", "1")],
        [("te", "gzip")],
    ]
    blocks = [h.request_block("/a.txt", extra=extra) for extra in bad]
    blocks.append(b"".join(h.hpack_literal(k, v) for k, v in (
        (":method", "GET"), (":scheme", "http"), (":authority", "x"))))  # no :path
    blocks.append(b"".join(h.hpack_literal(k, v) for k, v in (
        (":method", "GET"), ("x-a", "1"), (":scheme", "http"), (":path", "/a.txt"),
        (":authority", "x"))))  # a pseudo-header after a regular field
    with lib.Server(root=site()) as s:
        for i, block in enumerate(blocks):
            with h.Raw(s.port) as r:
                r.server_settings()
                r.ack_settings()
                r.send(h.headers_frame(1, block))
                r.read(5, until=lambda fs: 1 in r.resets or r.goaway is not None
                       or 1 in r.ended_streams)
                what = f"malformed request {i} ({block!r})"
                assert r.status(1) is None, f"{what} answered: {r.heads[1]}"
                assert r.resets.get(1) == 1 or (r.goaway and r.goaway[0] == 1), \
                    f"{what}: want RST_STREAM PROTOCOL_ERROR, got {h.describe(r.frames)} {r.how}"
        h.probe_ok(s.port, "/a.txt")


# ---------------------------------------------------------------------------
# Limits


def test_concurrent_streams_beyond_the_limit_are_refused():
    h.need_h2()
    # A stream window of 0: the server can send no DATA, so every stream
    # stays open, waiting for a WINDOW_UPDATE.
    with lib.Server(root=site()) as s, \
            h.Raw(s.port, settings=[(h.SETTINGS_INITIAL_WINDOW_SIZE, 0)]) as r:
        mcs = r.server_settings()[h.SETTINGS_MAX_CONCURRENT_STREAMS]
        r.ack_settings()
        r.read(1, until=lambda fs: any(t == h.SETTINGS and f & h.ACK for t, f, _, _ in fs))
        n = mcs + 10
        r.send(b"".join(h.headers_frame(2 * i + 1, h.request_block("/a.txt")) for i in range(n)))
        r.read(3, until=lambda fs: len(r.resets) >= 10 or r.goaway is not None)
        refused = {sid for sid, code in r.resets.items() if code in (1, 7)}
        assert r.goaway is not None or len(refused) == 10, \
            (f"{n} open streams against a limit of {mcs}: resets {r.resets}; "
             f"{h.describe(r.frames, 20)}")
        if r.goaway is None:
            within = sorted(sid for sid in r.resets if sid <= 2 * mcs - 1)
            assert not within, f"streams within the limit of {mcs} reset: {within[:5]}"
        h.probe_ok(s.port, "/a.txt", what="with a connection at its stream limit")


def test_header_list_bounded_by_max_head():
    """--max-head bounds the decoded field list (one large field, or 80
    fields of 60 bytes), --max-headers the number of fields (150 small)."""
    h.need_h2()
    with lib.Server(root=site(), args=["--max-head", "4096"]) as s:
        for extra in ([("x-big", "v" * 6000)], [(f"x-f{i}", "v" * 60) for i in range(80)],
                      [(f"x-s{i}", "v") for i in range(150)]):
            with h.Raw(s.port) as r:
                r.server_settings()
                r.ack_settings()
                block = h.request_block("/a.txt", extra=extra)
                # HEADERS plus CONTINUATION, each within the 16 KiB frame default.
                r.send(h.headers_frame(1, block[:4000], end_headers=False)
                       + h.frame(h.CONTINUATION, h.END_HEADERS, 1, block[4000:]))
                r.read(5, until=lambda fs: r.resets or r.goaway or 1 in r.heads)
                if 1 in r.heads:
                    ok = r.status(1) == 431
                else:
                    ok = r.resets.get(1) is not None or r.goaway is not None or r.closed
                assert ok, (f"{len(extra)} fields, {len(block)} bytes, over --max-head 4096 or "
                            f"--max-headers 100: {r.heads.get(1)} {h.describe(r.frames)}")
        with h.Client(s.port) as c:
            r = c.get("/a.txt", [("x-small", "v" * 1000)])
            assert r.status == 200, r


# ---------------------------------------------------------------------------
# Abuse: each ends with the abuser cut off and a good client served at once


def _abuse_check(s, raw, what, limit=2.0, rss_before=None, rss_limit_mib=100):
    """After abuse on raw: a good client gets 200 within limit seconds,
    the abusive connection has been closed or sent GOAWAY (within 5 s),
    and the server's memory grew by less than rss_limit_mib."""
    h.probe_ok(s.port, "/a.txt", limit=limit, what=f"after {what}")
    how = raw.ended(5.0)
    assert how is not None, (f"{what}: the abusive connection is still open, no GOAWAY; the "
                             f"server sent {h.describe(raw.frames[-12:])}")
    if rss_before is not None:
        grown = h.grown_mib(s.proc.pid, rss_before)
        assert grown < rss_limit_mib, f"{what}: server memory grew by {grown:.0f} MiB"
    assert s.proc.poll() is None, f"server exited during {what}"
    print(f"{what}: ended by {how}")
    return how


def _connected(port):
    r = h.Raw(port)
    r.server_settings()
    r.ack_settings()
    return r


def test_abuse_rapid_reset():
    h.need_h2()
    with lib.Server(root=site()) as s, _connected(s.port) as r:
        rss = h.rss_kib(s.proc.pid)
        block = h.request_block("/a.txt")

        def cycles():
            for batch in range(200):
                yield b"".join(h.headers_frame(sid, block) + h.rst_frame(sid)
                               for sid in range(batch * 200 + 1, batch * 200 + 200, 2))
        n, outcome = h.flood(r, cycles(), time.monotonic() + 20)
        _abuse_check(s, r, f"rapid reset ({n * 100} streams opened and reset, {outcome})",
                     rss_before=rss)


def test_abuse_continuation_flood():
    h.need_h2()
    with lib.Server(root=site()) as s, _connected(s.port) as r:
        rss = h.rss_kib(s.proc.pid)
        head = h.headers_frame(1, h.request_block("/a.txt"), end_headers=False)
        cont = h.frame(h.CONTINUATION, 0, 1, h.hpack_literal("x-c", "v" * 20))
        empty = h.frame(h.CONTINUATION, 0, 1, b"")

        def chunks():
            yield head
            for i in range(2000):
                yield (cont if i % 2 else empty) * 100
        n, outcome = h.flood(r, chunks(), time.monotonic() + 20)
        _abuse_check(s, r, f"CONTINUATION flood ({n * 100} frames, {outcome})", rss_before=rss)


def _flood_without_reading(frame_bytes, what, per_chunk=1000, chunks=2000):
    """Floods frame_bytes on a connection whose replies are never read
    (a 4 KiB receive buffer). The server may cut the connection at once
    (GOAWAY or close), or stop reading it: then it must end it within its
    timeouts, here 3 s to send and 5 s for a request."""
    with lib.Server(root=site(), args=["--send-timeout", "3", "--head-timeout", "5"]) as s:
        r = h.Raw(s.port, rcvbuf=4096)
        with r:
            r.server_settings()
            r.ack_settings()
            rss = h.rss_kib(s.proc.pid)
            n, outcome = h.flood(r, (frame_bytes * per_chunk for _ in range(chunks)),
                                 time.monotonic() + 20, read=False)
            desc = f"{what} without reading ({n * per_chunk} frames, {outcome})"
            assert outcome != "sent", f"{desc}: the server read and answered all of it"
            h.probe_ok(s.port, "/a.txt", what=f"after {desc}")
            grown = h.grown_mib(s.proc.pid, rss)
            assert grown < 64, f"{desc}: server memory grew by {grown:.0f} MiB"
            t0 = time.monotonic()
            how = r.ended(12.0)
            assert how is not None, f"{desc}: the connection is still open after 12 s"
            print(f"{desc}: ended by {how} {time.monotonic() - t0:.1f} s after the flood")


def test_abuse_settings_flood_without_reading():
    h.need_h2()
    _flood_without_reading(h.settings_frame([(h.SETTINGS_ENABLE_PUSH, 0)]), "SETTINGS flood")


def test_abuse_ping_flood_without_reading():
    h.need_h2()
    _flood_without_reading(h.ping_frame(), "PING flood")


def test_abuse_empty_data_frames():
    h.need_h2()
    with lib.Server(root=site()) as s, _connected(s.port) as r:
        rss = h.rss_kib(s.proc.pid)
        head = h.headers_frame(1, h.request_block("/a.txt", "POST"), end_stream=False)
        empty = h.frame(h.DATA, 0, 1, b"")

        def chunks():
            yield head
            for _ in range(1000):
                yield empty * 200
        n, outcome = h.flood(r, chunks(), time.monotonic() + 20)
        _abuse_check(s, r, f"empty DATA flood ({n * 200} frames, {outcome})", rss_before=rss)


def test_abuse_hpack_bomb():
    h.need_h2()
    with lib.Server(root=site()) as s, _connected(s.port) as r:
        rss = h.rss_kib(s.proc.pid)
        t0 = time.monotonic()
        # Stream 1 puts one 4000-byte field in the server's dynamic table
        # (index 62); each later stream names it 16000 times, 64 MB decoded.
        entry = h.hpack_literal("x-bomb", "b" * 4000, index=True)
        r.send(h.headers_frame(1, h.request_block("/a.txt") + entry))
        refs = b"\xbe" * 16000
        sid = 3
        for _ in range(40):
            block = h.request_block("/a.txt") + refs
            if not r.send(h.headers_frame(sid, block[:15000], end_headers=False)
                          + h.frame(h.CONTINUATION, h.END_HEADERS, sid, block[15000:])):
                break
            r.read(0)
            sid += 2
        r.read(2, until=lambda fs: r.goaway is not None or len(r.resets) >= 39)
        answered = {k: r.status(k) for k in r.heads if k > 1}
        took = time.monotonic() - t0
        desc = (f"HPACK bomb ({(sid - 3) // 2} header blocks of 64 MB decoded; got "
                f"{len(r.resets)} resets, goaway {r.goaway}, {r.how}, in {took:.1f} s)")
        h.probe_ok(s.port, "/a.txt", what=f"after {desc}")
        grown = h.grown_mib(s.proc.pid, rss)
        assert grown < 100, f"{desc}: server memory grew by {grown:.0f} MiB"
        # Each bomb is refused: 431, a reset, or the connection ends.
        assert set(answered.values()) <= {431}, f"{desc}: bombs answered with {answered}"


def test_abuse_client_that_never_reads():
    h.need_h2()
    root = site()
    h.write_big(os.path.join(root, "big.bin"), 16 * MiB)
    with lib.Server(root=root) as s:
        rss = h.rss_kib(s.proc.pid)
        # Huge windows, so only the socket holds the server back.
        r = h.Raw(s.port, rcvbuf=4096, settings=[(h.SETTINGS_INITIAL_WINDOW_SIZE, 2**31 - 1)])
        with r:
            r.send(h.settings_frame(ack=True) + h.window_update(0, 2**31 - 1 - 65535))
            block = h.request_block("/big.bin")
            r.send(b"".join(h.headers_frame(2 * i + 1, block) for i in range(100)))
            time.sleep(1.0)
            mid = h.grown_mib(s.proc.pid, rss)
            # Then PINGs, never reading: the server must stop reading us
            # (our sending stalls) or cut us off, not queue answers forever.
            n, outcome = h.flood(r, (h.ping_frame() * 1000 for _ in range(2000)),
                                 time.monotonic() + 20, read=False)
            desc = (f"client that never reads (100 x 16 MiB requested, then {n * 1000} PINGs "
                    f"sent: {outcome})")
            assert outcome in ("stalled", "closed"), f"{desc}: the server kept reading"
            h.probe_ok(s.port, "/a.txt", what=f"during {desc}")
            grown = h.grown_mib(s.proc.pid, rss)
            assert grown < 100 and mid < 100, \
                f"{desc}: server memory grew by {mid:.0f} MiB, then {grown:.0f} MiB"


def test_abuse_provoked_server_resets():
    """MadeYouReset: frames that make the server reset streams itself."""
    h.need_h2()
    block_open = h.request_block("/a.txt", "POST", [("content-length", "10")])
    block = h.request_block("/a.txt")
    kinds = {
        # WINDOW_UPDATE overflowing an open stream's window: FLOW_CONTROL_ERROR.
        "WINDOW_UPDATE overflow": lambda sid: h.headers_frame(sid, block_open, end_stream=False)
        + h.window_update(sid, 2**31 - 1),
        # DATA after END_STREAM (half-closed remote): STREAM_CLOSED.
        "DATA on a closed stream": lambda sid: h.headers_frame(sid, block)
        + h.frame(h.DATA, 0, sid, b"x"),
    }
    for what, cycle in kinds.items():
        with lib.Server(root=site()) as s, _connected(s.port) as r:
            rss = h.rss_kib(s.proc.pid)
            # Batches of 50, each answered before the next goes: the
            # streams the server reset are closed, so the stream limit is
            # never what stops us; only a count of resets can.
            sent = 0
            for first in range(1, 20000, 100):
                if not r.send(b"".join(cycle(sid) for sid in range(first, first + 100, 2))):
                    break
                sent += 50
                r.read(2, until=lambda fs: r.goaway is not None or len(r.resets) >= sent)
                if r.goaway is not None or r.closed:
                    break
            _abuse_check(s, r, f"{what} ({sent} streams, {len(r.resets)} resets seen)",
                         rss_before=rss)


# ---------------------------------------------------------------------------
# Stop


def _stop_with_raw_download(root, size, want):
    """Raw frames, so the GOAWAY can be checked: python3-h2 treats any
    GOAWAY as the end of the connection, while a graceful one lets the
    streams below its last id finish."""
    s = lib.Server(root=root, args=["--grace", "20"]).start()
    r = h.Raw(s.port, rcvbuf=65536, flow=True, keep_body=True,
              settings=[(h.SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20)])
    try:
        r.server_settings()
        r.send(h.settings_frame(ack=True) + h.window_update(0, 1 << 20)
               + h.headers_frame(1, h.request_block("/big.bin")))
        r.read(20, until=lambda fs: r.data_len.get(1, 0) >= 2 * MiB)
        assert r.status(1) == 200 and r.data_len.get(1, 0) >= 2 * MiB, \
            (r.heads.get(1), h.describe(r.frames), r.how)
        s.proc.send_signal(signal.SIGTERM)
        r.read(5, until=lambda fs: r.goaway is not None)
        assert r.goaway is not None, \
            f"no GOAWAY after SIGTERM: {h.describe(r.frames[-10:])} {r.how}"
        code, last, _ = r.goaway
        assert code == 0 and last >= 1, f"GOAWAY {h.ERRORS.get(code, code)}, last stream {last}"
        # Stay slow a while: the server waits for us.
        t_end = time.monotonic() + 1.0
        while time.monotonic() < t_end and not r.closed:
            r.read(0)
            time.sleep(0.02)
        assert s.proc.poll() is None, "server exited with a response in flight"
        r.read(60, until=lambda fs: 1 in r.ended_streams or 1 in r.resets)
        got = r.data_len.get(1, 0)
        assert 1 in r.ended_streams and 1 not in r.resets, \
            (f"raw client: download ended after {got} of {size} bytes: "
             f"{h.describe(r.frames[-3:])}, then {r.how}")
        assert got == size and hashlib.sha256(r.bodies[1]).hexdigest() == want, \
            f"{got} bytes of {size}, or their bytes differ"
        # The final GOAWAY (if a second one came) still covers stream 1.
        assert all(g[1] >= 1 for g in r.goaways), r.goaways
    finally:
        r.close()
        assert s.stop(timeout=30) == 0, s.err
    assert s.out.rstrip().endswith("Stopped"), s.out[-500:]


def _stop_with_curl_download(root, size, want):
    """curl reading at 30 MB/s, as a client on a slower link does."""
    s = lib.Server(root=root, args=["--grace", "20"]).start()
    out = os.path.join(lib.tempdir(), "out.bin")
    p = lib.register(subprocess.Popen(
        ["curl", "-sS", "--http2-prior-knowledge", "--limit-rate", "30M", "-o", out,
         "-w", "%{http_version} %{http_code}", url(s, "/big.bin")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    try:
        lib.wait_for(lambda: os.path.exists(out) and os.path.getsize(out) >= 4 * MiB, 10)
        s.proc.send_signal(signal.SIGTERM)
        w, err = p.communicate(timeout=60)
    finally:
        assert s.stop(timeout=30) == 0, s.err
    got = os.path.getsize(out) if os.path.exists(out) else 0
    assert p.returncode == 0 and w == b"2 200", \
        f"curl: exit {p.returncode} {err.decode().strip()!r} after {got} of {size} bytes"
    assert got == size and h.sha256_file(out) == want, f"curl: {got} bytes, or they differ"


def test_sigterm_sends_goaway_and_finishes_download():
    h.need_h2()
    root = site()
    size = 48 * MiB
    h.write_big(os.path.join(root, "big.bin"), size)
    want = h.sha256_file(os.path.join(root, "big.bin"))
    errors = []
    for check in (_stop_with_raw_download, _stop_with_curl_download):
        try:
            check(root, size, want)
        except AssertionError as e:
            errors.append(str(e))
    assert not errors, "\n".join(errors)


# ---------------------------------------------------------------------------
# Regressions from review


def test_browser_sized_cookies_on_many_parallel_streams():
    # A browser opens its page's streams at once, each with the same
    # 2 KB cookie (HPACK-indexed, so the bytes on the wire are few): every
    # one is answered, none refused for the connection's header budget.
    h.need_h2()
    cookie = "session=" + "x" * 2000
    with lib.Server(root=site()) as s, h.Client(s.port) as c:
        sids = [c.send_request("GET", "/a.txt", headers=[("cookie", cookie)]) for _ in range(100)]
        got = [c.response(sid) for sid in sids]
        bad = [(st.sid, st.status, st.reset) for st in got if st.status != 200]
        assert not bad, bad[:10]


def test_max_headers_counts_every_field():
    # --max-headers as for HTTP/1.1: the limit of fields (Host included,
    # which :authority stands for) is served, one more is 431.
    h.need_h2()
    with lib.Server(root=site(), args=["--max-headers", "20"]) as s, h.Client(s.port) as c:
        ok = c.get("/a.txt", headers=[(f"x-f{i}", "v") for i in range(19)])
        assert ok.status == 200, ok
        over = c.get("/a.txt", headers=[(f"x-f{i}", "v") for i in range(20)])
        assert over.status == 431, over
        far = c.get("/a.txt", headers=[(f"x-f{i}", "v") for i in range(25)])
        assert far.status == 431, far


def test_trailers_are_not_request_fields():
    # A Range (or Authorization, Host...) sent as a trailer after the body
    # must not change how the request is served (RFC 9110 section 6.5.1).
    h.need_h2()
    with lib.Server(root=site()) as s, h.Client(s.port) as c:
        sid = c.send_request("GET", "/a.txt", headers=[("content-length", "3")], body=b"abc",
                             end=False)
        c.conn.send_headers(sid, [(b"range", b"bytes=0-1")], end_stream=True)
        c.flush()
        st = c.response(sid)
        assert st.status == 200 and bytes(st.body) == A_TXT, st


def test_stream_with_a_shut_window_is_reset_while_others_flow():
    # One stream's window stays at 0 while the connection serves others:
    # that stream is reset (CANCEL) after --send-timeout, so it cannot hold
    # its file and memory for ever; the other streams are not disturbed.
    h.need_h2()
    root = site()
    h.write_big(os.path.join(root, "big.bin"), 4 * MiB)
    with lib.Server(root=root, args=["--send-timeout", "2"]) as s:
        r = h.Raw(s.port, settings=[(h.SETTINGS_INITIAL_WINDOW_SIZE, 0)])
        try:
            r.server_settings()
            r.send(h.settings_frame(ack=True) + h.window_update(0, 1 << 30)
                   + h.headers_frame(1, h.request_block("/big.bin")))
            sid, t_end = 3, time.monotonic() + 8
            while time.monotonic() < t_end and 1 not in r.resets:
                # another small request, given the window it needs
                r.send(h.headers_frame(sid, h.request_block("/a.txt")) + h.window_update(sid, 1000))
                r.read(0.5)
                sid += 2
            assert r.resets.get(1) == 8, (f"stream 1: {r.resets.get(1)} after {sid // 2} requests, "
                                          f"{r.how} {h.describe(r.frames[-6:])}")
            assert r.data_len.get(1, 0) == 0
            # the connection goes on: streams opened after the reset are served
            after = [sid, sid + 2]
            r.send(b"".join(h.headers_frame(k, h.request_block("/a.txt")) + h.window_update(k, 1000)
                            for k in after))
            r.read(3.0, until=lambda fs: all(k in r.ended_streams for k in after))
            served = [k for k in range(3, sid + 4, 2) if r.status(k) == 200]
            assert all(k in served for k in after) and len(served) >= 3 and r.goaway is None, \
                (served, r.goaway, r.how)
        finally:
            r.close()


def test_fast_sender_does_not_starve_the_loop():
    # One client sends legal frames (WINDOW_UPDATE of 1) as fast as it
    # can; the single loop thread must still serve another client at
    # once, and its timers still run: the flooder's unfinished stream is
    # reset by --head-timeout while the flood goes on.
    h.need_h2()
    with lib.Server(root=site(), args=["-t", "1", "--head-timeout", "2"]) as s:
        r = h.Raw(s.port)
        r.send(h.settings_frame(ack=True)
               + h.headers_frame(1, h.request_block("/a.txt"), end_stream=False))
        blob = h.window_update(0, 1) * 60000
        result = {}

        def flood():
            t_end = time.monotonic() + 5
            try:
                while time.monotonic() < t_end:
                    r.sock.sendall(blob)
            except OSError as e:
                result["err"] = repr(e)

        t = threading.Thread(target=flood, daemon=True)
        t.start()
        try:
            time.sleep(0.5)
            took = h.probe_ok(s.port, "/a.txt", limit=1.0, what="during a frame flood")
            assert took < 1.0, took
            t.join(10)
            r.read(2.0, until=lambda fs: 1 in r.resets)
            assert r.resets.get(1) == 8, (r.resets, r.how, result)
        finally:
            r.close()


def test_many_trickled_streams_do_not_hold_descriptors():
    # Streams whose windows get a byte now and then hold a file each; over
    # each --send-timeout window a response must move at its share of
    # 1 KiB/s, so 2 x 100 such streams are reset and their descriptors
    # closed, and other clients are served meanwhile.
    h.need_h2()
    root = site()
    h.write_big(os.path.join(root, "big.bin"), 8 * MiB)
    with lib.Server(root=root, args=["--send-timeout", "2"]) as s:
        fd_dir = f"/proc/{s.proc.pid}/fd"

        def files_open():
            n = 0
            for fd in os.listdir(fd_dir):
                try:
                    n += os.readlink(os.path.join(fd_dir, fd)).endswith("/big.bin")
                except OSError:
                    pass
            return n
        raws = [h.Raw(s.port, settings=[(h.SETTINGS_INITIAL_WINDOW_SIZE, 0)]) for _ in range(2)]
        try:
            sids = list(range(1, 201, 2))
            for r in raws:
                r.server_settings()
                r.send(h.settings_frame(ack=True) + h.window_update(0, 1 << 30)
                       + b"".join(h.headers_frame(k, h.request_block("/big.bin")) for k in sids))
            time.sleep(0.5)
            held = files_open()
            assert held >= 150, f"only {held} descriptors held: the streams were not served"
            t_end = time.monotonic() + 8
            while time.monotonic() < t_end and not all(len(r.resets) == len(sids) for r in raws):
                for r in raws:
                    r.send(b"".join(h.window_update(k, 1) for k in sids if k not in r.resets))
                    r.read(0.3)
            for r in raws:
                assert len(r.resets) == len(sids) and set(r.resets.values()) == {8}, \
                    (len(r.resets), set(r.resets.values()), r.how)
            assert lib.wait_for(lambda: files_open() == 0, 3), files_open()
            h.probe_ok(s.port, "/a.txt", what="after the trickled streams")
        finally:
            for r in raws:
                r.close()


def test_sigusr2_upgrade_with_http2_in_flight():
    # An HTTP/2 download in flight finishes byte-exact on the old server
    # while the new one, started by SIGUSR2 on the same socket, answers new
    # HTTP/2 connections; then the old one stops.
    h.need_h2()
    root = site()
    h.write_big(os.path.join(root, "big.bin"), 24 * MiB)
    want = h.sha256_file(os.path.join(root, "big.bin"))
    pid_path = os.path.join(lib.tempdir(), "server.pid")
    s = lib.Server(root=root, args=["--pid-file", pid_path, "--grace", "30"]).start()
    out = os.path.join(lib.tempdir(), "out.bin")
    p = lib.register(subprocess.Popen(
        ["curl", "-sS", "--http2-prior-knowledge", "--limit-rate", "8M", "-o", out,
         "-w", "%{http_version} %{http_code}", url(s, "/big.bin")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    new = None
    try:
        assert lib.wait_for(lambda: os.path.exists(out) and os.path.getsize(out) >= 2 * MiB, 10)
        old = s.proc.pid
        os.kill(old, signal.SIGUSR2)
        new = lib.wait_for(lambda: (lambda v: v if v and v != old else None)(
            int(lib.read_text(pid_path).strip() or 0)), 15)
        assert new, lib.read_text(pid_path)
        lib.register(new)
        # A connection the old server accepted just before it stopped
        # accepting gets a GOAWAY whose last stream id is below the
        # request's: not processed, so a client retries it (RFC 9113
        # section 6.8), and the retry reaches the new server.
        got = None
        for _ in range(10):
            try:
                with h.Client(s.port) as c:
                    got = c.get("/a.txt")
                break
            except AssertionError as e:
                if "goaway" not in str(e):
                    raise
                time.sleep(0.2)
        assert got is not None and got.status == 200 and bytes(got.body) == A_TXT, got
        w, err = p.communicate(timeout=60)
        assert p.returncode == 0 and w == b"2 200", (p.returncode, err)
        assert h.sha256_file(out) == want
        assert s.proc.wait(timeout=30) == 0, "the old server did not end after its download"
    finally:
        if new:
            os.kill(new, signal.SIGTERM)
            assert lib.wait_gone(new, 15), "new server did not stop"
        s.stop(timeout=5)
