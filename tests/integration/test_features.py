"""Response headers and routing options: -H, --cors and preflight,
--fallback, the site's 404.html/403.html, --mime-types, --index,
--pretty-urls, and smart Cache-Control (--max-age, --no-smart-cache)."""
import os

import featlib as fl
import lib

IMMUTABLE = "public, max-age=31536000, immutable"


def get(port, path, **kw):
    return lib.request(port, path, **kw)


def test_extra_headers_on_every_response():
    root = lib.make_site({"a.txt": b"hello\n", "sub/x.txt": b"x", "big.txt": fl.text_body(3000)})
    args = ["-H", "X-Frame-Options: DENY", "--header", "X-Custom:  two  words ",
            "-H", "Strict-Transport-Security: max-age=63072000; includeSubDomains",
            "-H", "X-Empty:"]
    with lib.Server(root=root, args=args) as s:
        ok = get(s.port, "/a.txt")
        etag = ok.header("etag")
        responses = {
            "200": ok,
            "404": get(s.port, "/missing"),
            "304": get(s.port, "/a.txt", headers={"If-None-Match": etag}),
            "206": get(s.port, "/a.txt", headers={"Range": "bytes=0-1"}),
            "301": get(s.port, "/sub"),
            "403": get(s.port, "/sub/"),
            "HEAD": get(s.port, "/a.txt", method="HEAD"),
            "OPTIONS": get(s.port, "/a.txt", method="OPTIONS"),
            "405/501": get(s.port, "/a.txt", method="DELETE"),
            "gzip": get(s.port, "/big.txt", headers={"Accept-Encoding": "gzip"}),
            "412": get(s.port, "/a.txt", headers={"If-Match": '"nope"'}),
        }
        assert responses["304"].status == 304 and responses["206"].status == 206
        assert responses["412"].status == 412
        for what, r in responses.items():
            assert r.all("x-frame-options") == ["DENY"], (what, r.raw_head)
            assert r.all("x-custom") == ["two  words"], (what, r.raw_head)
            assert r.all("strict-transport-security") == ["max-age=63072000; includeSubDomains"], what
            assert r.all("x-empty") == [""], (what, r.raw_head)
    with lib.Server(root=root, args=["-l", "-H", "X-L: 1"]) as s:
        assert get(s.port, "/sub/").header("x-l") == "1"
    with lib.Server(root=root) as s:  # nothing extra without -H
        assert get(s.port, "/a.txt").header("x-frame-options") is None


def test_bad_header_option_rejected_at_startup():
    root = lib.make_site({"a.txt": b"a"})
    for bad in ("NoColon", ": value", " X-Lead: v", "Bad Name: v", "X(y): v", "X-Ctl: a\x01b",
                "X-NL: a\r\nInjected: yes", "X-LF: a\nb", "X-Esc: a\x1bb", "X-Nul-Like: \x1f", ""):
        port = lib.free_port()
        r = lib.run_server(["-p", str(port), "-a", "127.0.0.1", "-d", root, "-H", bad])
        assert r.returncode == 2, (bad, r.returncode, r.stderr)
        assert r.stderr.strip(), (bad, "no message")
        assert not lib.wait_port(port, timeout=0.2), bad
    r = lib.run_server(["-d", root, "-H"])
    assert r.returncode == 2, r


def test_header_value_with_del_rejected():
    """DEL (0x7f) is a control character: RFC 9110 field values are VCHAR,
    SP, HTAB and obs-text only, so -H must refuse it like the others."""
    root = lib.make_site({"a.txt": b"a"})
    running, rc = fl.try_start(root, ["-H", "X-Del: a\x7fb"])
    if running is None:
        assert rc == 2, f"refused, but with exit {rc}, not 2"
        return
    with running as s:
        got = get(s.port, "/a.txt").header("x-del")
    raise AssertionError(f"-H 'X-Del: a<DEL>b' accepted at start-up; responses carry {got!r}")


def test_cors_default_origin():
    root = lib.make_site({"a.txt": b"a"})
    with lib.Server(root=root, args=["--cors"]) as s:
        ok = get(s.port, "/a.txt", headers={"Origin": "https://x.example"})
        for r in (ok, get(s.port, "/missing"),
                  get(s.port, "/a.txt", headers={"If-None-Match": ok.header("etag")}),
                  get(s.port, "/a.txt", method="HEAD")):
            assert r.all("access-control-allow-origin") == ["*"], r.raw_head
            assert not fl.vary_has(r, "Origin"), r.raw_head
        pre = get(s.port, "/a.txt", method="OPTIONS", headers={
            "Origin": "https://x.example", "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "X-Requested-With, Content-Type"})
        assert pre.status == 204, pre.raw_head
        assert pre.body == b""
        methods = {m.strip() for m in pre.header("access-control-allow-methods", "").split(",")}
        assert {"GET", "HEAD"} <= methods, pre.raw_head
        assert pre.header("access-control-allow-origin") == "*"
        allowed = pre.header("access-control-allow-headers", "").lower()
        assert "x-requested-with" in allowed and "content-type" in allowed, pre.raw_head
        # With curl, a real preflight.
        p = lib.curl("-i", "-X", "OPTIONS", "-H", "Origin: https://y.example",
                     "-H", "Access-Control-Request-Method: GET", f"http://127.0.0.1:{s.port}/a.txt")
        assert p.returncode == 0 and b" 204" in p.stdout.split(b"\r\n")[0], p.stdout
        assert b"access-control-allow-methods:" in p.stdout.lower(), p.stdout


def test_cors_specific_origin():
    root = lib.make_site({"a.txt": b"a"})
    for args in (["--cors", "https://app.example"], ["--cors=https://app.example"]):
        with lib.Server(root=root, args=args) as s:
            for r in (get(s.port, "/a.txt", headers={"Origin": "https://app.example"}),
                      get(s.port, "/missing", headers={"Origin": "https://app.example"})):
                assert r.all("access-control-allow-origin") == ["https://app.example"], (args, r.raw_head)
                assert fl.vary_has(r, "Origin"), r.raw_head
            pre = get(s.port, "/a.txt", method="OPTIONS", headers={
                "Origin": "https://app.example", "Access-Control-Request-Method": "GET"})
            assert pre.status == 204
            assert pre.header("access-control-allow-origin") == "https://app.example"
            assert "GET" in pre.header("access-control-allow-methods", ""), pre.raw_head
    # --cors followed by another option: the default origin.
    with lib.Server(root=root, args=["--cors", "--max-age", "5"]) as s:
        r = get(s.port, "/a.txt")
        assert r.header("access-control-allow-origin") == "*"
        assert r.header("cache-control") == "max-age=5"


def test_no_cors_without_option():
    root = lib.make_site({"a.txt": b"a"})
    with lib.Server(root=root) as s:
        r = get(s.port, "/a.txt", headers={"Origin": "https://x.example"})
        assert r.header("access-control-allow-origin") is None, r.raw_head
        pre = get(s.port, "/a.txt", method="OPTIONS", headers={
            "Origin": "https://x.example", "Access-Control-Request-Method": "GET"})
        assert pre.status == 204
        assert pre.header("access-control-allow-origin") is None, pre.raw_head
        assert pre.header("access-control-allow-methods") is None, pre.raw_head


SPA = b"<!DOCTYPE html><title>app</title><div id=app></div>\n"


def spa_site():
    return lib.make_site({"app.html": SPA, "real.js": b"js()", "assets/x.css": b"css",
                          "docs/index.html": b"docs"})


def _check_fallback(port):
    for path in ("/some/route", "/route", "/a/b/c/d", "/docs/missing", "/some/route?x=1"):
        r = get(port, path)
        assert r.status == 200, (path, r.raw_head)
        assert r.body == SPA, (path, r.body)
        assert r.header("content-type").startswith("text/html"), r.raw_head
        h = get(port, path, method="HEAD")
        assert h.status == 200 and h.body == b"" and h.header("content-length") == str(len(SPA))
    for path in ("/missing.js", "/assets/missing.css", "/img/logo.png", "/a/b.json"):
        r = get(port, path)
        assert r.status == 404, (path, r.raw_head)
        assert SPA not in r.body
    assert get(port, "/real.js").body == b"js()"
    assert get(port, "/docs/").body == b"docs"
    assert get(port, "/route", method="POST").status in (405, 501)


def test_fallback_serves_file_for_app_routes():
    with lib.Server(root=spa_site(), args=["--fallback", "/app.html"]) as s:
        _check_fallback(s.port)
    with lib.Server(root=spa_site()) as s:
        assert get(s.port, "/some/route").status == 404


def test_fallback_file_named_relative_to_root():
    """--fallback FILE with FILE given as a plain name ("app.html", as one
    writes index.html) must work like "/app.html", or be refused at
    start-up; it may not silently never apply."""
    running, rc = fl.try_start(spa_site(), ["--fallback", "app.html"])
    if running is None:
        assert rc != 0
        return  # refused at start-up: acceptable
    with running as s:
        r = get(s.port, "/some/route")
        assert r.status == 200 and r.body == SPA, (
            f"--fallback app.html: /some/route got {r.status} (with '/app.html' it is 200)")
        _check_fallback(s.port)


def test_site_error_pages():
    e404 = b"<!DOCTYPE html><p>CUSTOM 404 PAGE</p>\n"
    e403 = b"<!DOCTYPE html><p>CUSTOM 403 PAGE</p>\n"
    root = lib.make_site({"404.html": e404, "403.html": e403, "noindex/a.txt": b"a", "ok.txt": b"ok"})
    with lib.Server(root=root) as s:
        r = get(s.port, "/missing.txt")
        assert r.status == 404 and r.body == e404, r.raw_head
        assert r.header("content-type").startswith("text/html")
        r = get(s.port, "/deep/missing/")
        assert r.status == 404 and r.body == e404
        r = get(s.port, "/noindex/")
        assert r.status == 403 and r.body == e403, r.raw_head
        h = get(s.port, "/missing.txt", method="HEAD")
        assert h.status == 404 and h.body == b"" and h.header("content-length") == str(len(e404))
        assert get(s.port, "/ok.txt").body == b"ok"
        p = lib.curl("-s", "-o", "/dev/null", "-w", "%{http_code}", f"http://127.0.0.1:{s.port}/nope")
        assert p.stdout == b"404"
    # Without them: the built-in pages.
    root2 = lib.make_site({"noindex/a.txt": b"a"})
    with lib.Server(root=root2) as s:
        r = get(s.port, "/missing.txt")
        assert r.status == 404 and b"CUSTOM" not in r.body and b"404" in r.body
        r = get(s.port, "/noindex/")
        assert r.status == 403 and b"403" in r.body
    # Only one of them.
    root3 = lib.make_site({"404.html": e404, "noindex/a.txt": b"a"})
    with lib.Server(root=root3) as s:
        r = get(s.port, "/noindex/")
        assert r.status == 403 and b"CUSTOM" not in r.body


def test_mime_types_file_overrides_builtin():
    root = lib.make_site({"a.txt": b"t", "b.foo": b"f", "c.BAR": b"b", "d.css": b"c",
                          "e.html": b"h", "f.unknownext": b"u"})
    mt = os.path.join(lib.tempdir(), "mime.types")
    fl.write(mt, b"# comment line\n"
                 b"application/x-override\ttxt\n"
                 b"text/x-custom    foo bar   # trailing comment\n"
                 b"\n"
                 b"image/x-noext\n")
    with lib.Server(root=root, args=["--mime-types", mt]) as s:
        assert get(s.port, "/a.txt").header("content-type") == "application/x-override"
        assert get(s.port, "/b.foo").header("content-type").startswith("text/x-custom")
        assert get(s.port, "/c.BAR").header("content-type").startswith("text/x-custom")
        assert get(s.port, "/d.css").header("content-type") == "text/css; charset=utf-8"
        assert get(s.port, "/e.html").header("content-type").startswith("text/html")
        assert get(s.port, "/f.unknownext").header("content-type") == "application/octet-stream"
    with lib.Server(root=root, args=["--mime-types", os.devnull]) as s:
        assert get(s.port, "/a.txt").header("content-type") == "text/plain; charset=utf-8"
    r = lib.run_server(["-p", str(lib.free_port()), "-a", "127.0.0.1", "-d", root,
                        "--mime-types", os.path.join(root, "no-such-file")])
    assert r.returncode != 0 and "no-such-file" in r.stderr, r


def test_index_names_first_existing_wins():
    root = lib.make_site({"both/start.htm": b"START", "both/home.html": b"HOME",
                          "second/home.html": b"HOME2", "none/x.txt": b"x",
                          "default/index.html": b"IDX"})
    with lib.Server(root=root, args=["--index", "start.htm", "--index", "home.html"]) as s:
        assert get(s.port, "/both/").body == b"START"
        assert get(s.port, "/second/").body == b"HOME2"
        assert get(s.port, "/none/").status == 403
    with lib.Server(root=root, args=["--index", "home.html", "--index", "start.htm"]) as s:
        assert get(s.port, "/both/").body == b"HOME"
    with lib.Server(root=root) as s:
        assert get(s.port, "/default/").body == b"IDX"
        assert get(s.port, "/both/").status == 403
    for bad in ("a/b.html", "", "..", "."):
        r = lib.run_server(["-d", root, "--index", bad])
        assert r.returncode == 2, (bad, r)


def test_pretty_urls():
    root = lib.make_site({"about.html": b"ABOUT", "blog/post.html": b"POST", "blog.html": b"BLOGPAGE",
                          "blog/index.html": b"BLOGIDX", "plain": b"PLAIN", "plain.html": b"PLAINHTML",
                          "x.txt.html": b"XT", "posts.html": b"POSTS", "posts/a.html": b"A",
                          "docs/index.html": b"DOCS"})
    with lib.Server(root=root, args=["--pretty-urls"]) as s:
        r = get(s.port, "/about")
        assert r.status == 200 and r.body == b"ABOUT", r.raw_head
        assert r.header("content-type").startswith("text/html")
        assert get(s.port, "/about.html").body == b"ABOUT"
        assert get(s.port, "/blog/post").body == b"POST"
        # nginx's try_files $uri $uri.html $uri/: a file of that name
        # wins, then NAME.html, then the directory (with its slash).
        assert get(s.port, "/blog").body == b"BLOGPAGE"
        assert get(s.port, "/blog/").body == b"BLOGIDX"
        r = get(s.port, "/posts")
        assert r.status == 200 and r.body == b"POSTS", r.raw_head
        r = get(s.port, "/docs")
        assert r.status == 301 and r.header("location").endswith("/docs/"), r.raw_head
        assert get(s.port, "/plain").body == b"PLAIN"
        assert get(s.port, "/nothing").status == 404
        assert get(s.port, "/about", method="HEAD").header("content-length") == "5"
    with lib.Server(root=root) as s:
        assert get(s.port, "/about").status == 404


def test_smart_cache_control():
    files = {"app.3f9a1c2b.js": fl.text_body(600), "main-5d41402a.css": b"css",
             "chunk.A1b2C3d4E5.js": b"x", "vendor-1a2b3c4d5e6f7a8b.js": b"x",
             "page.html": b"<p>x</p>", "index.html": b"<p>i</p>", "plain.txt": b"t",
             "app.js": b"x", "my-component.js": b"x", "logo.png": b"\x89PNG",
             "main-abcdef.css": b"x", "v1.2.3.js": b"x"}
    root = lib.make_site(files)
    hashed = ("app.3f9a1c2b.js", "main-5d41402a.css", "chunk.A1b2C3d4E5.js",
              "vendor-1a2b3c4d5e6f7a8b.js")
    plain = ("plain.txt", "app.js", "my-component.js", "logo.png", "main-abcdef.css", "v1.2.3.js")
    with lib.Server(root=root) as s:
        for n in hashed:
            r = get(s.port, "/" + n)
            assert r.header("cache-control") == IMMUTABLE, (n, r.raw_head)
            r304 = get(s.port, "/" + n, headers={"If-None-Match": r.header("etag")})
            assert r304.status == 304 and r304.header("cache-control") == IMMUTABLE, (n, r304.raw_head)
        r = get(s.port, "/app.3f9a1c2b.js", headers={"Accept-Encoding": "gzip"})
        assert r.header("content-encoding") == "gzip"
        assert r.header("cache-control") == IMMUTABLE, r.raw_head
        for p in ("/page.html", "/", "/index.html"):
            assert get(s.port, p).header("cache-control") == "no-cache", p
        for n in plain:
            # Unhashed assets are revalidated, not cached heuristically.
            assert get(s.port, "/" + n).header("cache-control") == "no-cache", n
    with lib.Server(root=root, args=["--max-age", "600"]) as s:
        for n in plain:
            assert get(s.port, "/" + n).header("cache-control") == "max-age=600", n
        assert get(s.port, "/" + hashed[0]).header("cache-control") == IMMUTABLE
        assert get(s.port, "/page.html").header("cache-control") == "no-cache"
    with lib.Server(root=root, args=["--no-smart-cache"]) as s:
        for n in hashed + plain + ("page.html",):
            assert get(s.port, "/" + n).header("cache-control") is None, n
    with lib.Server(root=root, args=["--no-smart-cache", "--max-age", "60"]) as s:
        for n in hashed + plain + ("page.html",):
            assert get(s.port, "/" + n).header("cache-control") == "max-age=60", n
