"""Shared helpers for the feature tests (test_compression, test_listing,
test_features, test_auth, test_browser). Builds on lib.py, which it does
not change: compressed bodies and their decoders, sites with given
mtimes, HTML link extraction, htpasswd files, and the server's compiled-in
features (`server -V`)."""
import base64
import gzip
import html.parser
import os
import shutil
import subprocess
import urllib.parse
import warnings
import zlib

import lib

_features = None


def features():
    """The words after 'features:' in `server -V` (e.g. {'gzip', 'br'})."""
    global _features
    if _features is None:
        r = lib.run_server(["-V"])
        assert r.returncode == 0, r
        words = set()
        for line in r.stdout.splitlines():
            if line.startswith("features:"):
                words = set(line[len("features:"):].split())
        _features = words
    return _features


def codings():
    """On-the-fly codings this build has, in the server's tie order."""
    return [c for c in ("br", "zstd", "gzip") if c in features()]


def skip(msg):
    """Ends the test as skipped, with msg as the reason (raises lib.Skip)."""
    raise lib.Skip(msg)


def need_tool(name):
    """Path of a command-line tool the tests need; a clear failure (not a
    skip) when absent, so a CI without it is noticed."""
    p = shutil.which(name)
    assert p, f"the '{name}' command is required by this test (Debian package '{name}')"
    return p


# ---------------------------------------------------------------------------
# Content and codings


def text_body(n, seed="line"):
    """n bytes of compressible ASCII text."""
    out = bytearray()
    i = 0
    while len(out) < n:
        out += f"{seed} {i}: the quick brown fox jumps over the lazy dog\n".encode()
        i += 1
    return bytes(out[:n])


def gzip_bytes(data, name=None):
    """gzip with an mtime and optional FNAME field, so the bytes differ
    from anything the server makes on the fly."""
    import io
    buf = io.BytesIO()
    with gzip.GzipFile(filename=name or "", mode="wb", fileobj=buf, mtime=1234567) as g:
        g.write(data)
    return buf.getvalue()


def tool_compress(tool, data):
    """brotli or zstd command-line compression of data."""
    need_tool(tool)
    args = {"brotli": ["brotli", "-c", "-q", "5"], "zstd": ["zstd", "-c", "-q", "-3"]}[tool]
    r = subprocess.run(args, input=data, capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout


def tool_decompress(tool, data):
    """brotli -d / zstd -d of data; returns the bytes (asserts success)."""
    need_tool(tool)
    r = subprocess.run([tool, "-d", "-c"], input=data, capture_output=True, timeout=30)
    assert r.returncode == 0, f"{tool} -d failed: {r.stderr!r} (input {data[:40]!r}...)"
    return r.stdout


def decode(coding, body):
    """Decodes a body sent with Content-Encoding coding (None: identity).
    gzip is decoded twice (gzip module and zlib) and both must agree."""
    if coding in (None, "identity"):
        return body
    if coding == "gzip":
        a = gzip.decompress(body)
        d = zlib.decompressobj(wbits=31)
        b = d.decompress(body) + d.flush()
        assert d.eof and not d.unused_data, "gzip stream with trailing bytes"
        assert a == b
        return a
    if coding == "br":
        return tool_decompress("brotli", body)
    if coding == "zstd":
        return tool_decompress("zstd", body)
    raise AssertionError(f"unexpected Content-Encoding {coding!r}")


def vary_has(r, token):
    vals = ",".join(r.all("vary")).lower()
    return token.lower() in [v.strip() for v in vals.split(",")]


# ---------------------------------------------------------------------------
# Files


def write(path, data, mtime=None):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    if mtime is not None:
        set_mtime(path, mtime)


def set_mtime(path, mtime_ns):
    os.utime(path, ns=(mtime_ns, mtime_ns))


def mtime_ns(path):
    return os.stat(path).st_mtime_ns


# ---------------------------------------------------------------------------
# HTML


class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links = []      # (href, text)
        self.tags = []       # every start tag name
        self.title = ""
        self._a = None
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "a":
            self._a = [dict(attrs).get("href"), ""]
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag):
        if tag == "a" and self._a is not None:
            self.links.append(tuple(self._a))
            self._a = None
        elif tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._a is not None:
            self._a[1] += data
        if self._in_title:
            self.title += data


def parse_html(body):
    """Returns the parser: .links [(href, text)], .tags, .title."""
    p = _Links()
    p.feed(body.decode("utf-8", errors="surrogateescape"))
    p.close()
    return p


def resolve(base_path, href):
    """The request path a browser would use for href on page base_path."""
    return urllib.parse.urljoin("http://h" + base_path, href)[len("http://h"):]


# ---------------------------------------------------------------------------
# Basic authentication


def crypt_hash(password, method):
    """A crypt(3) hash: method 'bcrypt' ($2b$), 'bcrypt-2y', 'sha512' or
    'sha256' (Python's crypt module; deprecated but present in 3.11)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt
    if method in ("bcrypt", "bcrypt-2y"):
        h = crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=32))
        assert h and h.startswith("$2b$"), h
        if method == "bcrypt-2y":
            h = "$2y$" + h[4:]
        return h
    m = {"sha512": crypt.METHOD_SHA512, "sha256": crypt.METHOD_SHA256}[method]
    h = crypt.crypt(password, crypt.mksalt(m))
    assert h and h.startswith({"sha512": "$6$", "sha256": "$5$"}[method]), h
    return h


def basic(user, password):
    raw = f"{user}:{password}".encode("utf-8")
    return "Basic " + base64.b64encode(raw).decode("ascii")


# ---------------------------------------------------------------------------
# Chromium


CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser",
                       "/usr/lib/chromium/chromium")


def chromium_path():
    for p in CHROMIUM_CANDIDATES:
        if os.path.exists(p) and os.access(p, os.X_OK):
            return p
    return shutil.which("chromium") or shutil.which("chromium-browser")


# ---------------------------------------------------------------------------
# Servers that may refuse to start


class _Running:
    """Context manager over an already started lib.Server: on exit the same
    checks as lib.Server's own (clean SIGTERM stop, no sanitizer report)."""

    def __init__(self, srv):
        self.srv = srv

    def __enter__(self):
        return self.srv

    def __exit__(self, *exc):
        return self.srv.__exit__(*exc)


def try_start(root, args):
    """Starts lib.Server(root, args). Returns (context manager, None) when
    it listens, or (None, exit code) when it refused to start."""
    srv = lib.Server(root=root, args=args)
    try:
        srv.start()
    except AssertionError:
        return None, srv.proc.returncode
    return _Running(srv), None
