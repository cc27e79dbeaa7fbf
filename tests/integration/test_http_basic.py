"""GET and HEAD of files, index.html, directory redirects, 404 pages,
other methods, response headers and content types."""
import email.utils
import os
import time
import urllib.parse

import lib

INDEX = b"<!DOCTYPE html><title>home</title><p>root index</p>\n"
SUB_INDEX = b"<p>sub index</p>\n"
CUSTOM_404 = b"<!DOCTYPE html><title>404 Not Found</title><p>CUSTOM-404-MARKER</p>\n"


def site(with_404=False):
    files = {
        "index.html": INDEX,
        "a.txt": b"plain text file\n",
        "sub/index.html": SUB_INDEX,
        "sub/deeper/index.html": b"<p>deeper</p>\n",
        "sub/page.html": b"<p>page</p>\n",
        "my dir/index.html": b"<p>space dir</p>\n",
        "noindex/file.txt": b"x\n",
        "empty.txt": b"",
    }
    if with_404:
        files["404.html"] = CUSTOM_404
    return lib.make_site(files)


def test_get_root_serves_index_html():
    with lib.Server(root=site()) as s:
        r = lib.request(s.port, "/")
        assert r.status == 200, r.raw_head
        assert r.body == INDEX
        assert r.header("content-type") == "text/html; charset=utf-8"
        assert r.header("content-length") == str(len(INDEX))


def test_get_file_and_index_paths():
    with lib.Server(root=site()) as s:
        for path, body in (("/a.txt", b"plain text file\n"), ("/index.html", INDEX),
                           ("/sub/", SUB_INDEX), ("/sub/index.html", SUB_INDEX),
                           ("/sub/deeper/", b"<p>deeper</p>\n"),
                           ("/sub/page.html", b"<p>page</p>\n"),
                           ("/my%20dir/", b"<p>space dir</p>\n")):
            r = lib.request(s.port, path)
            assert r.status == 200, (path, r.raw_head)
            assert r.body == body, (path, r.body)
            assert int(r.header("content-length")) == len(body), path


def test_empty_file():
    with lib.Server(root=site()) as s:
        r = lib.request(s.port, "/empty.txt")
        assert r.status == 200 and r.body == b""
        assert r.header("content-length") == "0"


def test_get_with_curl():
    with lib.Server(root=site()) as s:
        p = lib.curl("-o", "-", "-w", "\n%{http_code}", f"http://127.0.0.1:{s.port}/a.txt")
        assert p.returncode == 0, p.stderr
        body, _, code = p.stdout.rpartition(b"\n")
        assert code == b"200" and body == b"plain text file\n", p.stdout


def test_directory_without_slash_redirects():
    with lib.Server(root=site()) as s:
        for path, loc_path, loc_query in (("/sub", "/sub/", ""),
                                          ("/sub?a=1&b=two", "/sub/", "a=1&b=two"),
                                          ("/sub/deeper", "/sub/deeper/", ""),
                                          ("/sub/deeper?x=%2F", "/sub/deeper/", "x=%2F"),
                                          ("/my%20dir", "/my%20dir/", "")):
            for method in ("GET", "HEAD"):
                r = lib.request(s.port, path, method=method)
                assert r.status == 301, (path, method, r.raw_head)
                loc = r.header("location")
                assert loc, (path, r.raw_head)
                u = urllib.parse.urlsplit(loc)
                assert u.path == loc_path, (path, loc)
                assert u.query == loc_query, (path, loc)
                if method == "GET":
                    assert int(r.header("content-length")) == len(r.body)
                else:
                    assert r.body == b""


def test_redirect_followed_by_curl():
    with lib.Server(root=site()) as s:
        p = lib.curl("-L", "-o", "-", f"http://127.0.0.1:{s.port}/sub?q=1")
        assert p.returncode == 0 and p.stdout == SUB_INDEX, p


def test_directory_without_index_is_not_listed():
    with lib.Server(root=site()) as s:
        r = lib.request(s.port, "/noindex/")
        assert r.status in (403, 404), r.raw_head
        assert b"file.txt" not in r.body


def _check_error_page(r, status, reason):
    assert r.status == status, r.raw_head
    assert r.header("content-type", "").startswith("text/html"), r.raw_head
    assert int(r.header("content-length")) == len(r.body), r.raw_head
    assert f"{status} {reason}".encode() in r.body, r.body


def test_404_default_page():
    with lib.Server(root=site(with_404=False)) as s:
        for path in ("/missing", "/missing.html", "/sub/missing.txt", "/nodir/x/y"):
            r = lib.request(s.port, path)
            _check_error_page(r, 404, "Not Found")
            assert b"CUSTOM-404-MARKER" not in r.body


def test_404_custom_page_from_root():
    with lib.Server(root=site(with_404=True)) as s:
        for path in ("/missing", "/sub/missing.txt"):
            r = lib.request(s.port, path)
            _check_error_page(r, 404, "Not Found")
            assert r.body == CUSTOM_404, r.body
            h = lib.request(s.port, path, method="HEAD")
            assert h.status == 404 and h.body == b""
            assert h.header("content-length") == str(len(CUSTOM_404))
        # The page itself is still an ordinary file.
        r = lib.request(s.port, "/404.html")
        assert r.status == 200 and r.body == CUSTOM_404


def _strip_date(r):
    return [(k, v) for k, v in r.headers if k != "date"]


def test_head_same_headers_as_get_no_body():
    for with_404 in (False, True):
        with lib.Server(root=site(with_404)) as s:
            for path in ("/", "/a.txt", "/sub/", "/sub", "/missing", "/empty.txt", "/noindex/"):
                g = lib.request(s.port, path, method="GET")
                # Raw bytes: a HEAD response must end right after the head.
                data = lib.raw(s.port, f"HEAD {path} HTTP/1.1\r\nHost: x\r\n"
                                       "Connection: close\r\n\r\n".encode())
                h, rest = lib.read_response(data, head_only=True)
                assert h is not None, data
                assert rest == b"", (path, rest[:100])
                assert h.status == g.status, (path, g.status, h.status)
                assert h.raw_head.split("\r\n")[0] == g.raw_head.split("\r\n")[0]
                assert _strip_date(h) == _strip_date(g), (path, g.headers, h.headers)


def test_other_methods_501_with_allow():
    with lib.Server(root=site()) as s:
        for method in ("POST", "PUT", "DELETE", "PATCH", "TRACE", "CONNECT", "PROPFIND", "BREW",
                       "get"):
            r = lib.request(s.port, "/a.txt", method=method)
            assert r.status == 501, (method, r.raw_head)
            assert r.reason == "Not Implemented", r.raw_head
            allow = [m.strip() for m in r.header("allow", "").split(",")]
            assert "GET" in allow and "HEAD" in allow, (method, r.raw_head)
            _check_error_page(r, 501, "Not Implemented")


def test_post_with_body_501_and_file_unchanged():
    root = site()
    with lib.Server(root=root) as s:
        r = lib.request(s.port, "/a.txt", method="POST", body=b"new content",
                        headers={"Content-Length": "11", "Content-Type": "text/plain"})
        assert r.status == 501, r.raw_head
        r = lib.request(s.port, "/new.txt", method="PUT", body=b"xyz",
                        headers={"Content-Length": "3"})
        assert r.status == 501, r.raw_head
    assert open(os.path.join(root, "a.txt"), "rb").read() == b"plain text file\n"
    assert not os.path.exists(os.path.join(root, "new.txt"))


def test_post_with_curl_501():
    with lib.Server(root=site()) as s:
        p = lib.curl("-i", "-X", "DELETE", f"http://127.0.0.1:{s.port}/a.txt")
        assert p.returncode == 0, p.stderr
        assert p.stdout.startswith(b"HTTP/1.1 501"), p.stdout[:100]
        assert b"501 Not Implemented" in p.stdout


def test_options_204_with_allow():
    with lib.Server(root=site()) as s:
        for target in ("/", "/a.txt", "*"):
            r = lib.request(s.port, target, method="OPTIONS")
            assert r.status == 204, (target, r.raw_head)
            allow = [m.strip() for m in r.header("allow", "").split(",")]
            assert "GET" in allow and "HEAD" in allow, r.raw_head
            assert r.body == b""


def test_standard_response_headers():
    root = site()
    mtime = 1700000000  # Tue, 14 Nov 2023 22:13:20 GMT
    os.utime(os.path.join(root, "a.txt"), (mtime, mtime))
    with lib.Server(root=root) as s:
        before = time.time()
        r = lib.request(s.port, "/a.txt")
        after = time.time()
        assert r.status == 200
        assert r.header("server"), r.raw_head
        d = email.utils.parsedate_to_datetime(r.header("date")).timestamp()
        assert before - 5 <= d <= after + 5, r.header("date")
        assert r.header("date").endswith(" GMT")
        assert r.header("last-modified") == "Tue, 14 Nov 2023 22:13:20 GMT", r.raw_head
        assert r.header("content-length") == str(len(b"plain text file\n"))
        assert r.header("content-type") == "text/plain; charset=utf-8"
        assert r.header("connection", "").lower() == "close"  # we asked for close
        for name in ("date", "server", "content-type", "content-length", "last-modified"):
            assert len(r.all(name)) == 1, (name, r.raw_head)
        # Error responses carry Date and Server too.
        e = lib.request(s.port, "/nope")
        assert e.header("date") and e.header("server"), e.raw_head


EXPECTED_TYPES = {
    "page.html": ("text/html; charset=utf-8",),
    "page.htm": ("text/html; charset=utf-8",),
    "style.css": ("text/css; charset=utf-8",),
    "app.js": ("text/javascript; charset=utf-8", "application/javascript; charset=utf-8"),
    "mod.mjs": ("text/javascript; charset=utf-8", "application/javascript; charset=utf-8"),
    "data.json": ("application/json", "application/json; charset=utf-8"),
    "logo.svg": ("image/svg+xml", "image/svg+xml; charset=utf-8"),
    "img.png": ("image/png",),
    "photo.jpg": ("image/jpeg",),
    "photo.jpeg": ("image/jpeg",),
    "anim.gif": ("image/gif",),
    "pic.webp": ("image/webp",),
    "favicon.ico": ("image/x-icon", "image/vnd.microsoft.icon"),
    "font.woff2": ("font/woff2",),
    "font.woff": ("font/woff",),
    "code.wasm": ("application/wasm",),
    "doc.pdf": ("application/pdf",),
    "notes.txt": ("text/plain; charset=utf-8",),
    "readme.md": ("text/markdown; charset=utf-8",),
    "feed.xml": ("application/xml; charset=utf-8", "text/xml; charset=utf-8",
                 "application/xml"),
    "table.csv": ("text/csv; charset=utf-8",),
    "clip.mp4": ("video/mp4",),
    "UPPER.PNG": ("image/png",),
    "archive.tar.gz": ("application/gzip", "application/x-gzip"),
    "file.unknownext": ("application/octet-stream",),
    "noextension": ("application/octet-stream",),
    "trailingdot.": ("application/octet-stream",),
    "dir.d/inner": ("application/octet-stream",),
}


def test_content_types():
    files = {name: b"content of " + name.encode() for name in EXPECTED_TYPES}
    with lib.Server(root=lib.make_site(files)) as s:
        for name, types in EXPECTED_TYPES.items():
            r = lib.request(s.port, "/" + name)
            assert r.status == 200, (name, r.raw_head)
            assert r.body == files[name]
            assert r.header("content-type") in types, (name, r.header("content-type"))
            ct = r.header("content-type")
            if ct.startswith("text/"):
                assert ct.endswith("; charset=utf-8"), (name, ct)


def test_query_string_ignored():
    with lib.Server(root=site()) as s:
        for path in ("/a.txt?x=1", "/a.txt?", "/a.txt?../../etc/passwd", "/?page=2"):
            r = lib.request(s.port, path)
            assert r.status == 200, (path, r.raw_head)
            assert r.body in (b"plain text file\n", INDEX), path


def test_percent_decoded_path():
    files = {"hello world.txt": b"spaces\n", "a.txt": b"A\n", "caf\u00e9.txt": b"utf8\n",
             "100%.txt": b"percent\n", "sub/x.txt": b"x\n"}
    with lib.Server(root=lib.make_site(files)) as s:
        for path, body in (("/hello%20world.txt", b"spaces\n"), ("/%61.txt", b"A\n"),
                           ("/%61%2E%74%78%74", b"A\n"), ("/caf%C3%A9.txt", b"utf8\n"),
                           ("/100%25.txt", b"percent\n"), ("/sub%2Fx.txt", b"x\n")):
            r = lib.request(s.port, path)
            assert r.status == 200, (path, r.raw_head)
            assert r.body == body, (path, r.body)


def test_changed_and_removed_files_served_fresh():
    # The server may cache small files, but a changed file must be seen
    # within a few seconds, and a removed one must stop being served.
    root = site()
    path = os.path.join(root, "a.txt")
    with lib.Server(root=root, args=["-t", "1"]) as s:
        assert lib.request(s.port, "/a.txt").body == b"plain text file\n"
        with open(path + ".new", "wb") as f:
            f.write(b"replaced, and longer than before\n")
        os.replace(path + ".new", path)
        fresh = lib.wait_for(lambda: lib.request(s.port, "/a.txt").body
                             == b"replaced, and longer than before\n", timeout=8, interval=0.2)
        assert fresh, lib.request(s.port, "/a.txt").body
        r = lib.request(s.port, "/a.txt")
        assert r.header("content-length") == str(len(r.body))
        os.unlink(path)
        gone = lib.wait_for(lambda: lib.request(s.port, "/a.txt").status == 404, timeout=8,
                            interval=0.2)
        assert gone, lib.request(s.port, "/a.txt").raw_head
