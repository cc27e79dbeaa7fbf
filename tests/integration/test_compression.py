"""Compression: precompressed sidecars (.br/.zst/.gz, never when stale),
Accept-Encoding negotiation with q-values, on-the-fly gzip/br/zstd of text
types only, identity for ranges, per-encoding ETags and 304s, --no-compress,
real decoders (curl --compressed, gzip/zlib, brotli -d, zstd -d) and the
one-second revalidation of cached (and compressed) files."""
import os
import subprocess
import time

import featlib as fl
import lib

T0 = 1_700_000_000 * 10**9 + 500_000_000  # a fixed file mtime in ns (mid-second)
SUFFIX = {"br": ".br", "zstd": ".zst", "gzip": ".gz"}
ALL = "br, zstd, gzip"


def sidecar_bytes(coding, data):
    if coding == "gzip":
        return fl.gzip_bytes(data, name="sidecar-marker")
    return fl.tool_compress({"br": "brotli", "zstd": "zstd"}[coding], data)


def sidecar_site(data, name="app.js", sidecar_mtime=T0, content_for_sidecars=None):
    """root with name (mtime T0) and its three sidecars (mtime
    sidecar_mtime); returns (root, {coding: sidecar bytes})."""
    root = lib.tempdir()
    fl.write(os.path.join(root, name), data, T0)
    sides = {}
    for c in ("br", "zstd", "gzip"):
        b = sidecar_bytes(c, content_for_sidecars if content_for_sidecars is not None else data)
        fl.write(os.path.join(root, name + SUFFIX[c]), b, sidecar_mtime)
        sides[c] = b
    return root, sides


def get(port, path, ae=None, headers=None, method="GET"):
    h = dict(headers or {})
    if ae is not None:
        h["Accept-Encoding"] = ae
    return lib.request(port, path, method=method, headers=h)


def test_sidecars_served_with_original_type_vary_and_distinct_etags():
    data = fl.text_body(3000, "sidecar")
    root, sides = sidecar_site(data)
    for args in ([], ["--no-compress"]):
        with lib.Server(root=root, args=args) as s:
            ident = get(s.port, "/app.js")
            assert ident.status == 200 and ident.body == data
            assert ident.header("content-encoding") is None
            etags = {"identity": ident.header("etag")}
            for c in ("br", "zstd", "gzip"):
                r = get(s.port, "/app.js", ae=c)
                assert r.status == 200, (args, c, r.raw_head)
                assert r.header("content-encoding") == c, (args, c, r.raw_head)
                # The sidecar's own bytes, not a fresh compression.
                assert r.body == sides[c], (args, c, "body is not the sidecar file")
                assert int(r.header("content-length")) == len(sides[c])
                assert r.header("content-type") == "text/javascript; charset=utf-8", r.raw_head
                assert fl.vary_has(r, "Accept-Encoding"), r.raw_head
                assert fl.decode(c, r.body) == data
                etags[c] = r.header("etag")
                assert etags[c], r.raw_head
            assert len(set(etags.values())) == 4, f"ETags not distinct per encoding: {etags}"
            # The sidecar files themselves are ordinary files too.
            r = get(s.port, "/app.js.gz")
            assert r.status == 200 and r.body == sides["gzip"]


def test_sidecars_for_index_files_and_without_original():
    page = b"<!DOCTYPE html><p>" + fl.text_body(1500, "index") + b"</p>"
    root = lib.tempdir()
    for d in ("", "sub/"):
        fl.write(os.path.join(root, d + "index.html"), page, T0)
        fl.write(os.path.join(root, d + "index.html.gz"), fl.gzip_bytes(page, d + "idx"), T0)
    fl.write(os.path.join(root, "orphan.js.gz"), fl.gzip_bytes(b"x" * 400), T0)
    with lib.Server(root=root, args=["-t", "1"]) as s:
        for _ in range(2):
            for d in ("", "sub/"):
                r = get(s.port, "/" + d, ae="gzip")
                assert r.header("content-encoding") == "gzip", (d, r.raw_head)
                assert r.body == fl.gzip_bytes(page, d + "idx"), d
                assert r.header("content-type") == "text/html; charset=utf-8"
                assert get(s.port, "/" + d).body == page
        # A sidecar is only an alternative form of an existing file.
        for ae in ("gzip", None):
            assert get(s.port, "/orphan.js", ae=ae).status == 404, ae


def test_sidecar_preference_follows_q_values():
    data = fl.text_body(2000, "prefs")
    root, sides = sidecar_site(data)
    cases = [
        ("gzip;q=0.5, br;q=0.9, zstd;q=0.1", "br"),
        ("br;q=0.1, zstd;q=0.8, gzip;q=0.5", "zstd"),
        ("br;q=0.1, zstd;q=0.2, gzip", "gzip"),
        ("br;q=0, zstd;q=0, gzip;q=0.001", "gzip"),
        ("gzip, deflate", "gzip"),
        ("x-gzip", "gzip"),
        ("GZIP", "gzip"),
        ("zstd", "zstd"),
        ("*", "br"),                 # all equal: br, zstd, gzip break ties
        ("br;q=0, *", "zstd"),
        ("br;q=0, zstd;q=0, *;q=0.5", "gzip"),
        ("identity;q=0, gzip", "gzip"),
        ("*;q=0.5, gzip", "gzip"),
        ("br;q=0.9, zstd;q=0.90, gzip;q=1.000", "gzip"),
    ]
    with lib.Server(root=root, args=["--no-compress"]) as s:
        for ae, want in cases:
            r = get(s.port, "/app.js", ae=ae)
            assert r.status == 200, (ae, r.raw_head)
            assert r.header("content-encoding") == want, (ae, want, r.raw_head)
            assert r.body == sides[want], ae
        for ae in ("", "identity", "gzip;q=0, br;q=0, zstd;q=0", "deflate", "compress",
                   "gzip;q=2", "gzip;q=abc", "br;level=5"):
            r = get(s.port, "/app.js", ae=ae)
            assert r.status == 200 and r.header("content-encoding") is None, (ae, r.raw_head)
            assert r.body == data, ae


def test_stale_sidecar_is_never_served():
    old = fl.text_body(2000, "OLD")
    new = fl.text_body(2100, "NEW")
    # Sidecars of the old content, older than the file: 100 s, and only
    # 1 ms (same second, older nanoseconds).
    for delta in (100 * 10**9, 10**6):
        root, sides = sidecar_site(new, sidecar_mtime=T0 - delta, content_for_sidecars=old)
        for args in (["--no-compress"], []):
            with lib.Server(root=root, args=args) as s:
                for c in ("br", "zstd", "gzip"):
                    for _ in range(3):  # also from the cache
                        r = get(s.port, "/app.js", ae=c)
                        assert r.status == 200
                        assert r.body != sides[c], (delta, args, c, "stale sidecar served")
                        assert fl.decode(r.header("content-encoding"), r.body) == new, (delta, args, c)
                        if args:
                            assert r.header("content-encoding") is None, r.raw_head
    # A sidecar with exactly the file's mtime is fresh.
    root, sides = sidecar_site(new, sidecar_mtime=T0)
    with lib.Server(root=root, args=["--no-compress"]) as s:
        r = get(s.port, "/app.js", ae="gzip")
        assert r.header("content-encoding") == "gzip" and r.body == sides["gzip"]


def test_sidecar_becomes_stale_when_file_changes():
    old = fl.text_body(2000, "OLD")
    new = fl.text_body(2000, "NEW")
    root, sides = sidecar_site(old)
    path = os.path.join(root, "app.js")
    with lib.Server(root=root, args=["--no-compress"]) as s:
        for _ in range(4):  # fill every thread's cache
            assert get(s.port, "/app.js", ae="gzip").body == sides["gzip"]
            assert get(s.port, "/app.js").body == old
        fl.write(path, new, T0 + 5 * 10**9)  # now newer than its sidecars
        time.sleep(1.5)
        for _ in range(4):
            r = get(s.port, "/app.js", ae="gzip")
            assert r.body == new and r.header("content-encoding") is None, r.raw_head
            r = get(s.port, "/app.js", ae="br, zstd, gzip")
            assert r.body == new and r.header("content-encoding") is None, r.raw_head
        # A new sidecar (not older than the file) is picked up again.
        newgz = fl.gzip_bytes(new, name="second-marker")
        fl.write(path + ".gz", newgz, T0 + 6 * 10**9)
        time.sleep(1.5)
        for _ in range(4):
            r = get(s.port, "/app.js", ae="gzip")
            assert r.header("content-encoding") == "gzip" and r.body == newgz, r.raw_head


def test_on_the_fly_compressible_types():
    body = fl.text_body(5000, "types")
    wasm = b"\x00asm\x01\x00\x00\x00" + bytes(range(64)) * 40
    files = {
        "t.txt": body, "s.css": body, "p.html": body, "app.js": body, "m.mjs": body,
        "d.json": b'{"k": "' + body.replace(b"\n", b" ") + b'"}',
        "i.svg": b"<svg xmlns='http://www.w3.org/2000/svg'>" + body.replace(b"\n", b" ") + b"</svg>",
        "f.xml": b"<?xml version='1.0'?><r>" + body.replace(b"\n", b" ") + b"</r>",
        "m.wasm": wasm,
    }
    root = lib.make_site(files)
    with lib.Server(root=root) as s:
        ident_types = {}
        for name, data in files.items():
            ident = get(s.port, "/" + name)
            assert ident.status == 200 and ident.body == data
            assert fl.vary_has(ident, "Accept-Encoding"), (name, ident.raw_head)
            ident_types[name] = ident.header("content-type")
            for c in fl.codings():
                r = get(s.port, "/" + name, ae=c)
                assert r.status == 200, (name, c)
                assert r.header("content-encoding") == c, (name, c, r.raw_head)
                assert r.header("content-type") == ident_types[name], (name, c, r.raw_head)
                assert fl.vary_has(r, "Accept-Encoding"), (name, r.raw_head)
                assert len(r.body) < len(data), (name, c)
                assert int(r.header("content-length")) == len(r.body)
                assert fl.decode(c, r.body) == data, (name, c)
                assert r.header("etag") not in (None, ident.header("etag")), (name, c, r.raw_head)
                # HEAD: the same length, no body.
                h = get(s.port, "/" + name, ae=c, method="HEAD")
                assert h.header("content-encoding") == c
                assert h.header("content-length") == r.header("content-length"), (name, c)
                assert h.header("etag") == r.header("etag")
        assert ident_types["m.wasm"] == "application/wasm"
    # What this build has was checked above; a coding it lacks was not.
    missing = [c for c in ("br", "zstd") if c not in fl.features()]
    if missing:
        fl.skip(f"on-the-fly {', '.join(missing)}: not compiled in (checked: {fl.codings()}; "
                f"server -V features: {sorted(fl.features())})")


def test_no_compression_for_compressed_types_or_small_files():
    compressible_junk = b"A" * 4000  # would shrink a lot if it were tried
    files = {"p.png": compressible_junk, "p.jpg": compressible_junk, "a.zip": compressible_junk,
             "f.woff2": compressible_junk, "x.gz": compressible_junk, "v.mp4": compressible_junk,
             "small.txt": fl.text_body(255), "edge.txt": fl.text_body(256),
             "noext": compressible_junk}
    root = lib.make_site(files)
    with lib.Server(root=root) as s:
        for name in ("p.png", "p.jpg", "a.zip", "f.woff2", "x.gz", "v.mp4", "small.txt", "noext"):
            for ae in (ALL, "gzip", "*"):
                r = get(s.port, "/" + name, ae=ae)
                assert r.status == 200
                assert r.header("content-encoding") is None, (name, ae, r.raw_head)
                assert r.body == files[name], name
        r = get(s.port, "/edge.txt", ae="gzip")
        assert r.header("content-encoding") == "gzip", ("256 bytes is enough", r.raw_head)
        assert fl.decode("gzip", r.body) == files["edge.txt"]


def test_range_requests_get_identity_bytes():
    data = fl.text_body(8000, "range")
    root, sides = sidecar_site(data, name="r.txt")
    fl.write(os.path.join(root, "fly.txt"), data)  # coded forms made on the fly and cached
    # One thread: the coded forms cached by the first requests are in
    # the cache the range requests look at.
    for args in (["-t", "1"], []):
        with lib.Server(root=root, args=args) as s:
            for path in ("/r.txt", "/fly.txt"):
                for _ in range(3):  # before and after coded forms are cached
                    for c in fl.codings():
                        get(s.port, path, ae=c)
                    for ae in (ALL, "gzip", "br", "zstd", "*"):
                        r = get(s.port, path, ae=ae, headers={"Range": "bytes=100-299"})
                        assert r.status == 206, (path, ae, r.raw_head)
                        assert r.header("content-encoding") is None, (path, ae, r.raw_head)
                        assert r.header("content-range") == f"bytes 100-299/{len(data)}", r.raw_head
                        assert r.body == data[100:300], (path, ae)
                        r = get(s.port, path, ae=ae, headers={"Range": "bytes=-10"})
                        assert r.status == 206 and r.body == data[-10:], (path, ae)
                        assert r.header("content-encoding") is None
                        r = get(s.port, path, ae=ae, headers={"Range": "bytes=0-0,-1"})
                        assert r.status == 206 and r.header("content-encoding") is None, r.raw_head
                        assert data[:1] in r.body and r.header("content-type").startswith("multipart/")
                # curl asking for a range with --compressed: identity bytes.
                p = lib.curl("--compressed", "-r", "0-99", f"http://127.0.0.1:{s.port}{path}")
                assert p.returncode == 0 and p.stdout == data[:100], (path, p)


def test_conditional_requests_on_the_representation_sent():
    data = fl.text_body(4000, "cond")
    root, sides = sidecar_site(data, name="side.js")
    fl.write(os.path.join(root, "fly.txt"), data)
    with lib.Server(root=root) as s:
        for path in ("/side.js", "/fly.txt"):
            ident = get(s.port, path)
            ie = ident.header("etag")
            for c in fl.codings():
                r = get(s.port, path, ae=c)
                assert r.header("content-encoding") == c, (path, c, r.raw_head)
                ce = r.header("etag")
                assert ce and ce != ie, (path, c)
                # The encoded ETag matches the encoded representation.
                r304 = get(s.port, path, ae=c, headers={"If-None-Match": ce})
                assert r304.status == 304, (path, c, r304.raw_head)
                assert r304.header("etag") == ce, r304.raw_head
                assert r304.body == b""
                assert fl.vary_has(r304, "Accept-Encoding"), r304.raw_head
                r304 = get(s.port, path, ae=c, headers={"If-None-Match": f'"nope", {ce}'})
                assert r304.status == 304, (path, c)
                # ... not the identity one, and not another coding's.
                r200 = get(s.port, path, headers={"If-None-Match": ce})
                assert r200.status == 200 and r200.body == data, (path, c, r200.raw_head)
                r200 = get(s.port, path, ae=c, headers={"If-None-Match": ie})
                assert r200.status == 200, (path, c, r200.raw_head)
                assert r200.header("content-encoding") == c
                assert fl.decode(c, r200.body) == data
                # If-Match with the coded ETag on the coded form.
                rm = get(s.port, path, ae=c, headers={"If-Match": ce})
                assert rm.status == 200, (path, c, rm.raw_head)
            assert get(s.port, path, headers={"If-None-Match": ie}).status == 304


def test_no_compress_turns_off_on_the_fly_only():
    data = fl.text_body(4000, "nocomp")
    root, sides = sidecar_site(data, name="side.css")
    fl.write(os.path.join(root, "plain.css"), data)
    with lib.Server(root=root, args=["--no-compress"]) as s:
        for ae in (ALL, "gzip", "br", "zstd", "*"):
            r = get(s.port, "/plain.css", ae=ae)
            assert r.header("content-encoding") is None and r.body == data, (ae, r.raw_head)
        for c in ("br", "zstd", "gzip"):
            r = get(s.port, "/side.css", ae=c)
            assert r.header("content-encoding") == c and r.body == sides[c], (c, r.raw_head)
    with lib.Server(root=root, args=["--no-compress", "--compress"]) as s:
        r = get(s.port, "/plain.css", ae="gzip")
        assert r.header("content-encoding") == "gzip", "--compress after --no-compress"


def test_curl_compressed_is_byte_identical():
    data = fl.text_body(20000, "curl")
    root, sides = sidecar_site(data, name="side.js")
    files = {"fly.txt": data, "fly.json": b'["' + data.replace(b"\n", b" ") + b'"]',
             "img.png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8}
    for n, b in files.items():
        fl.write(os.path.join(root, n), b)
    files["side.js"] = data
    with lib.Server(root=root) as s:
        out = os.path.join(lib.tempdir(), "out")
        for name, want in files.items():
            for enc in (None, "gzip", "br", "zstd", "br, zstd, gzip"):
                args = ["--compressed", "-D", "-", "-o", out]
                if enc:
                    args += ["-H", f"Accept-Encoding: {enc}"]
                p = lib.curl(*args, f"http://127.0.0.1:{s.port}/{name}")
                assert p.returncode == 0, (name, enc, p.stderr)
                head = p.stdout.decode("latin-1").lower()
                with open(out, "rb") as f:
                    body = f.read()
                assert body == want, (name, enc, head)
                coded = enc in ("gzip", "br", "zstd") and (
                    name == "side.js" or (name != "img.png" and enc in fl.codings()))
                if coded:
                    assert f"content-encoding: {enc}" in head, (name, enc, head)
                elif name == "img.png":
                    assert "content-encoding" not in head, (name, enc, head)


def test_command_line_decoders_byte_exact():
    data = fl.text_body(50000, "tools") + "ünïcödé 日本\n".encode() * 50
    root = lib.make_site({"big.txt": data, "page.html": data})
    with lib.Server(root=root) as s:
        for name in ("big.txt", "page.html"):
            for c in fl.codings():
                r = get(s.port, "/" + name, ae=c)
                assert r.header("content-encoding") == c, (name, c, r.raw_head)
                if c == "gzip":
                    fl.need_tool("gzip")
                    out = subprocess.run(["gzip", "-dc"], input=r.body, capture_output=True)
                    assert out.returncode == 0 and out.stdout == data, (name, out.stderr)
                    assert fl.decode("gzip", r.body) == data
                else:
                    assert fl.tool_decompress({"br": "brotli", "zstd": "zstd"}[c], r.body) == data
    # The codings this build has were decoded above; one it lacks was not.
    missing = [c for c in ("br", "zstd", "gzip") if c not in fl.features()]
    if missing:
        fl.skip(f"{', '.join(missing)} decoding check: not compiled in (checked: {fl.codings()}; "
                f"server -V features: {sorted(fl.features())})")


def _populate(port, path):
    for _ in range(4):  # every thread's cache, identity and each coding
        get(port, path)
        for c in fl.codings():
            get(port, path, ae=c)


def _check_all_forms(port, path, want):
    for _ in range(4):
        r = get(port, path)
        assert r.status == 200 and r.body == want, (path, "identity stale", r.body[:40])
        for c in fl.codings():
            r = get(port, path, ae=c)
            assert r.header("content-encoding") == c, (path, c, r.raw_head)
            got = fl.decode(c, r.body)
            assert got == want, (path, c, f"stale {c} form: {got[:40]!r}")


def test_changed_file_is_not_served_stale():
    v1 = fl.text_body(3000, "VERSION-1")
    v2 = fl.text_body(3000, "VERSION-2")  # same size: only mtime tells
    v3 = fl.text_body(4100, "VERSION-3")
    root = lib.make_site({"c.txt": v1, "d.txt": v1})
    path = os.path.join(root, "c.txt")
    with lib.Server(root=root) as s:
        _populate(s.port, "/c.txt")
        _check_all_forms(s.port, "/c.txt", v1)
        with open(path, "r+b") as f:  # in place
            f.write(v2)
        time.sleep(1.5)
        _check_all_forms(s.port, "/c.txt", v2)
        fl.write(path, v3)  # another size
        time.sleep(1.5)
        _check_all_forms(s.port, "/c.txt", v3)

        # Replaced by rename with the old mtime and size (an atomic
        # deploy that keeps timestamps): a new inode.
        dpath = os.path.join(root, "d.txt")
        _populate(s.port, "/d.txt")
        old = os.stat(dpath)
        tmp = os.path.join(root, ".d.tmp")
        fl.write(tmp, v2)
        os.utime(tmp, ns=(old.st_atime_ns, old.st_mtime_ns))
        os.rename(tmp, dpath)
        time.sleep(1.5)
        _check_all_forms(s.port, "/d.txt", v2)

        # A deleted file is gone.
        os.unlink(path)
        time.sleep(1.5)
        for _ in range(4):
            for ae in (None, "gzip", ALL):
                assert get(s.port, "/c.txt", ae=ae).status == 404


def test_q_values_honoured_when_another_coding_is_cached():
    """One thread, so the cache is shared: a coding made earlier for one
    client must not be sent to a client that prefers another available one."""
    other = [c for c in ("zstd", "br") if c in fl.features()]
    if not other:
        fl.skip("needs br or zstd compiled in besides gzip")
    c = other[0]
    data = fl.text_body(3000, "qcache")
    root = lib.make_site({"q.txt": data})
    with lib.Server(root=root, args=["-t", "1"]) as s:
        r = get(s.port, "/q.txt", ae="gzip")
        assert r.header("content-encoding") == "gzip"
        r = get(s.port, "/q.txt", ae=f"{c};q=1, gzip;q=0.5")
        assert r.header("content-encoding") == c, (
            f"client prefers {c} (q=1) over gzip (q=0.5) and {c} is available, "
            f"but got {r.header('content-encoding')!r}: {r.raw_head}")


def test_identity_refused_is_not_sent_as_identity():
    """Accept-Encoding: identity;q=0 (or *;q=0 without identity) forbids an
    uncoded body: a file that has no acceptable coding gets 406, never a
    plain body (RFC 9110 12.5.3 / 15.5.7)."""
    root = lib.make_site({"tiny.txt": b"short\n", "p.png": b"\x89PNG" + b"\x00" * 600})
    with lib.Server(root=root) as s:
        for path in ("/tiny.txt", "/p.png"):
            for ae in ("identity;q=0", "gzip, identity;q=0", "*;q=0"):
                r = get(s.port, path, ae=ae)
                ok = r.status == 406 or (r.status == 200 and r.header("content-encoding"))
                assert ok, (path, ae, f"identity body sent although refused: {r.raw_head}")
